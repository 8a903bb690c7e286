/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IKE over TCP, RFC 9329, through the iketcp module's "iketcp" ULP: the
 * module adds and checks the stream prefix, the length fields and the
 * non-ESP marker, so one send() is one IKE message and one recv() returns
 * one; ESP records on the stream go to XFRM once the daemon binds their
 * SPIs (sys/espbind.h).  This file only opens, accepts, connects, reads
 * and writes: which IKE SA rides which connection is the daemon's.
 *
 * Every socket bypasses IPsec policies, like the UDP ones: IKE must never
 * ride the SAs it negotiates.  All sockets are non-blocking.
 */
#ifndef IKETCPD_NET_TCP_H
#define IKETCPD_NET_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* A connect() that has not completed after this is given up (a dropped
 * SYN would otherwise take the kernel's two minutes). */
#define IK_TCP_CONNECT_TIMEOUT_MS	5000

struct ik_tcp_conn {
	struct ik_tcp_conn *next;
	int fd;
	bool legacy;		/* TCP 500, "iketcp-legacy": no ESP, no roles */
	bool half_closed;	/* we sent our FIN (legacy) */
	bool originator;	/* we connected: only we reconnect */
	bool connecting;	/* connect() in progress */
	bool dead;		/* closed or failed: freed by ik_tcp_reap() */
	struct sockaddr_storage local, remote;
	uint64_t created, last_active;	/* ms, the caller's clock */
	uint64_t inode;		/* as the module's dumps name it */
};

/* listeners: RFC 9329 IPv4 and IPv6, then legacy (TCP 500) IPv4, IPv6 */
#define IK_TCP_LISTENERS	4

struct ik_tcp {
	int lfd[IK_TCP_LISTENERS];	/* -1: none */
	uint16_t port;
	struct ik_tcp_conn *conns;
	unsigned int n_conns;
};

/* Listen on port for both families (one missing is skipped), the RFC
 * 9329 listeners or (legacy) the TCP 500 ones.  0, or -errno with the
 * cause in err. */
int ik_tcp_listen(struct ik_tcp *t, uint16_t port, bool legacy, char *err,
		  size_t errlen);
void ik_tcp_close_all(struct ik_tcp *t);

/* Accept one connection on listener i and attach its ULP (as acceptor).
 * NULL with err filled (or err empty when nothing was waiting). */
struct ik_tcp_conn *ik_tcp_accept(struct ik_tcp *t, int i, uint64_t now,
				  char *err, size_t errlen);

/* Start connecting from local's address (port 0: any) to remote.  The
 * connection is usable once ik_tcp_connected() says so (EPOLLOUT). */
struct ik_tcp_conn *ik_tcp_connect(struct ik_tcp *t,
				   const struct sockaddr_storage *local,
				   const struct sockaddr_storage *remote,
				   bool legacy, uint64_t now, char *err,
				   size_t errlen);

/* Legacy: our last request is out, the peer closes after its answers. */
void ik_tcp_half_close(struct ik_tcp_conn *c);

/* The connect finished: attach the ULP as originator.  0, or -errno
 * (the connection failed; it is marked dead) with the cause in err. */
int ik_tcp_connected(struct ik_tcp_conn *c, char *err, size_t errlen);

/* One whole IKE message.  0, or -errno (the message was not queued). */
int ik_tcp_send(struct ik_tcp_conn *c, const uint8_t *msg, size_t len);

/* One IKE message into buf: its length, 0 at the peer's close, -EAGAIN
 * when none is waiting, or another -errno (-EPROTO: the module reset the
 * stream, see its counters). */
ssize_t ik_tcp_recv(struct ik_tcp_conn *c, uint8_t *buf, size_t cap);

/* Close the socket now (the struct stays, dead, until ik_tcp_reap()). */
void ik_tcp_shut(struct ik_tcp_conn *c);
/* Free the dead connections. */
void ik_tcp_reap(struct ik_tcp *t);

#endif
