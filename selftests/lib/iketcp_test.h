/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the iketcp selftests: a private network namespace with
 * loopback up, connected TCP pairs over IPv4 or IPv6 loopback, IKE messages
 * with a correct header length, raw record framing for plain TCP peers, and
 * one-call shortcuts to the "iketcp" generic netlink family (over the
 * client in genl_sa.h).
 *
 * Functions return 0 (or a count) on success and -1 with errno set on
 * failure, so tests can ASSERT on them and print errno.
 */
#ifndef IKETCP_TEST_H
#define IKETCP_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "genl_sa.h"
#include "uapi/linux/iketcp.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

#define IKT_PREFIX	"IKETCP"
#define IKT_PREFIX_LEN	6
#define IKT_IKE_HDR	28	/* IKE header; its length field is at 24 */
#define IKT_RFC_HDR	6	/* RFC 9329 IKE record: length(2) + marker(4) */

/* ---- time and commands --------------------------------------------------- */

/*
 * IKETCP_TIMEOUT_SCALE (1 unless set): how many times slower than Debian's
 * kernel this one runs (the debug kernel); also scales the harness's
 * per-test timeouts (alarm()).  For waits whose length decides a verdict.
 */
int ikt_timeout_scale(void);
uint64_t ikt_now_ms(void);		/* CLOCK_MONOTONIC */
void ikt_msleep(int ms);
/* system() of the formatted command: its exit status, 128 if none. */
int ikt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- namespace and sockets ---------------------------------------------- */

/* Move the calling process into a new network namespace with lo up. */
int ikt_netns_new(void);

/* Listening socket on the loopback address of family; *port gets its port. */
int ikt_listen(int family, uint16_t *port);
/* A socket connected to the loopback listener on port. */
int ikt_connect(int family, uint16_t port);
/* Connected pair: *cli called connect(), *srv came out of accept(). */
int ikt_tcp_pair(int family, int *cli, int *srv);

/* Attach the iketcp ULP; framing is enum iketcp_framing. */
int ikt_attach(int fd, int framing);
int ikt_set_role(int fd, int role);
int ikt_get_int(int fd, int optname, int *val);	/* SOL_IKETCP get */

int ikt_set_timeouts(int fd, int rcv_ms, int snd_ms);
int ikt_nodelay(int fd);
/* Close so the connection is reset at once (SO_LINGER 0). */
void ikt_close_rst(int fd);

/* ---- bytes ---------------------------------------------------------------- */

/* Write or read exactly len bytes (read: 0 at early EOF is an error). */
int ikt_write_all(int fd, const void *buf, size_t len);
int ikt_read_all(int fd, void *buf, size_t len);
/* Bytes readable now without blocking (MSG_PEEK|MSG_DONTWAIT), 0 if none. */
ssize_t ikt_pending(int fd, void *buf, size_t len);

/*
 * An IKE message of len (>= 28) bytes: a plausible IKE header carrying id
 * (SPIs and message ID) and length, then a body pattern derived from id.
 */
void ikt_msg(uint8_t *buf, size_t len, uint32_t id);
/* Check a message built by ikt_msg(); *id gets its id.  True if intact. */
bool ikt_msg_ok(const uint8_t *buf, size_t len, uint32_t *id);

/*
 * Frame an IKE message as the variant's framing puts it on the wire: RFC
 * 9329 adds length and zero marker, legacy adds nothing.  Returns the size.
 */
size_t ikt_frame(int framing, const uint8_t *msg, size_t len, uint8_t *out);
/* A raw RFC 9329 record: Length = 2 + len (may be forced), then body. */
size_t ikt_raw_record(const uint8_t *body, size_t len, uint8_t *out);
/*
 * Read one framed IKE message from a plain TCP peer: returns the message
 * length (without framing), -1 on error; EBADMSG if the framing is wrong.
 */
ssize_t ikt_read_framed(int fd, int framing, uint8_t *buf, size_t cap);

/* ---- generic netlink ----------------------------------------------------
 *
 * Each call opens a socket of its own in the calling process's network
 * namespace; the family id is looked up once and kept.
 */

int ikt_genl_family(void);
int ikt_get_netns(struct gsa_netns *info);
/* SET_NETNS; a limit of 0 is left out of the request. */
int ikt_set_limits(uint32_t rx, uint32_t tx);
/* Dump GET_SOCKETS; fill *info for inode.  Returns sockets seen, or -1. */
int ikt_get_socket(uint64_t inode, struct gsa_sock *info, bool *found);
/* Shortcut: one counter of this netns (UINT64_MAX on error). */
uint64_t ikt_counter(enum iketcp_counter c);
uint64_t ikt_fd_inode(int fd);

#endif /* IKETCP_TEST_H */
