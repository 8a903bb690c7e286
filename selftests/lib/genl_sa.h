/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The generic netlink client of the selftests and test tools: one raw
 * AF_NETLINK implementation (no libmnl) of the "iketcp" family for the
 * kselftests, lib/iketcp_test.c (the ikt_ shortcuts) and
 * tools/iketcp-sock.c.  Requests with any attributes (good or bad),
 * answers with the extended ACK parsed out, lenient attribute readers (a
 * test sees whatever the kernel sent), GET_NETNS, SET_NETNS, BIND_SA /
 * UNBIND_SA, GET_SOCKETS and GET_BINDINGS dumps, the "events" group.
 * iketcpd has its own, strict, libmnl client (user/nlmsg.c, user/genl.c):
 * a daemon must refuse what a test has to be able to send and look at.
 *
 * A struct gsa_nl is one netlink socket, opened in the network namespace
 * current at gsa_open() time; requests on it act on that namespace.
 * Functions return 0 or a count on success and a negative errno on failure
 * (the kernel's, for requests), unless stated otherwise.
 */
#ifndef GENL_SA_H
#define GENL_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "uapi/linux/iketcp.h"

struct gsa_nl {
	int fd;
	uint32_t seq;
	uint16_t family_id;	/* of "iketcp" */
	uint32_t events_grp;	/* id of the "events" mcast group, 0 if none */
	int nreads;		/* recv() calls that returned data */
};

/* What the kernel said about one request. */
struct gsa_ack {
	int error;		/* 0 or negative errno */
	char msg[256];		/* NLMSGERR_ATTR_MSG, "" if none */
	int miss_type;		/* NLMSGERR_ATTR_MISS_TYPE, -1 if none */
	int miss_nest;		/* NLMSGERR_ATTR_MISS_NEST offset, -1 if none */
	int offs;		/* NLMSGERR_ATTR_OFFS, -1 if none */
};

/* Open, enable extended ACKs and resolve the family and its group. */
int gsa_open(struct gsa_nl *nl);
/* Open for a family id already known (no lookup, no events group). */
int gsa_open_id(struct gsa_nl *nl, uint16_t family_id);
void gsa_close(struct gsa_nl *nl);

struct gsa_family {
	uint16_t id;
	uint32_t version;	/* CTRL_ATTR_VERSION */
	uint32_t events_grp;	/* IKETCP_MCGRP_EVENTS' id, 0 if none */
};

/* CTRL_CMD_GETFAMILY for name: the family id, or -errno (-ENOENT). */
int gsa_family_get(const char *name, struct gsa_family *f);
int gsa_family_lookup(const char *name, uint32_t *events_grp);

/* ---- reading attributes --------------------------------------------------- */

#define GSA_A_DATA(a)	((uint8_t *)(a) + NLA_HDRLEN)
#define GSA_A_LEN(a)	((int)(a)->nla_len - NLA_HDRLEN)
#define GSA_A_TYPE(a)	((a)->nla_type & NLA_TYPE_MASK)

/* Each well-formed attribute a in [p, p + len). */
#define gsa_for_each_attr(a, p, len)					\
	for (a = (struct nlattr *)(p);					\
	     (uint8_t *)a + NLA_HDRLEN <= (uint8_t *)(p) + (len) &&	\
	     a->nla_len >= NLA_HDRLEN &&					\
	     (uint8_t *)a + a->nla_len <= (uint8_t *)(p) + (len);	\
	     a = (struct nlattr *)((uint8_t *)a + NLA_ALIGN(a->nla_len)))

#define gsa_for_each_nested(a, nest)					\
	gsa_for_each_attr(a, GSA_A_DATA(nest), GSA_A_LEN(nest))

/* The attributes of a generic netlink message of at least GENL_HDRLEN. */
#define gsa_for_each_msg_attr(a, n)					\
	gsa_for_each_attr(a, (uint8_t *)NLMSG_DATA(n) + GENL_HDRLEN,	\
			  (n)->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN))

/* Values of attributes too short for them read as 0. */
uint8_t gsa_get_u8(const struct nlattr *a);
uint16_t gsa_get_u16(const struct nlattr *a);
uint32_t gsa_get_u32(const struct nlattr *a);
uint64_t gsa_get_u64(const struct nlattr *a);
/* An address of up to 16 bytes into out: its length, 0 if longer. */
int gsa_get_addr(const struct nlattr *a, uint8_t *out);

/* ---- building requests -------------------------------------------------- */

struct gsa_req {
	struct nlmsghdr n;
	uint8_t g[4];			/* struct genlmsghdr */
	uint8_t buf[8192];
};

void gsa_req_init(struct gsa_nl *nl, struct gsa_req *r, uint8_t cmd);
struct nlattr *gsa_put(struct gsa_req *r, uint16_t type, const void *data,
		       uint16_t len);
void gsa_put_u8(struct gsa_req *r, uint16_t type, uint8_t v);
void gsa_put_u16(struct gsa_req *r, uint16_t type, uint16_t v);
void gsa_put_u32(struct gsa_req *r, uint16_t type, uint32_t v);
struct nlattr *gsa_nest_start(struct gsa_req *r, uint16_t type);
void gsa_nest_end(struct gsa_req *r, struct nlattr *nest);

/* One message of nl's family answering a request: 0 or -errno to stop. */
typedef int (*gsa_msg_cb)(const struct nlmsghdr *n, void *data);

/*
 * Send r as it is and read its answer (the messages with r's seq): those
 * of nl's family go to cb (may be NULL).  The answer ends with NLMSG_ERROR
 * (ack filled: its error is returned), NLMSG_DONE (its error returned),
 * or, when r asked for neither an ACK nor a dump, after the first message.
 * ack may be NULL.
 */
int gsa_request(struct gsa_nl *nl, struct gsa_req *r, gsa_msg_cb cb,
		void *data, struct gsa_ack *ack);
/* Send r with NLM_F_ACK and read the ACK; returns ack->error. */
int gsa_call(struct gsa_nl *nl, struct gsa_req *r, struct gsa_ack *ack);

/* ---- GET_NETNS and SET_NETNS ---------------------------------------------- */

struct gsa_netns {
	uint64_t cnt[__IKETCP_CNT_MAX];
	uint32_t rx_queue_limit;
	uint32_t tx_queue_limit;
	uint32_t nr_sockets;
	uint32_t nr_bindings;
};

/*
 * GET_NETNS on nl: the fields whose attributes came are set, the others
 * left as they were.  It caches no family id, so a gsa_open() after a
 * module reload works.
 */
int gsa_get_netns(struct gsa_nl *nl, struct gsa_netns *ns);
/* SET_NETNS; a limit of 0 is left out of the request. */
int gsa_set_limits(struct gsa_nl *nl, uint32_t rx, uint32_t tx,
		   struct gsa_ack *ack);

/* ---- SA requests ---------------------------------------------------------- */

/*
 * The IKETCP_A_SA nest of a request.  Fields left at their "omit" value
 * are not sent: family 0, addr_len 0, encap/sport/dport -1, spi_set false.
 */
struct gsa_sa {
	int dir;			/* -1: omit */
	bool spi_set;
	uint32_t spi;			/* host order; sent big-endian */
	int family;			/* 0: omit */
	uint8_t saddr[16], daddr[16];
	int saddr_len, daddr_len;	/* 0: omit */
	int encap;			/* -1: omit */
	int sport, dport;		/* -1: omit */
};

/* A nest with dir and spi only, everything else omitted. */
struct gsa_sa gsa_sa_make(int dir, uint32_t spi);
void gsa_put_sa(struct gsa_req *r, const struct gsa_sa *sa);

/* BIND_SA with IKETCP_A_SOCK_FD = fd (fd < 0: omit it). */
int gsa_bind(struct gsa_nl *nl, int fd, const struct gsa_sa *sa,
	     struct gsa_ack *ack);
/* UNBIND_SA with fd (fd < 0: omit it) and the nest as given. */
int gsa_unbind(struct gsa_nl *nl, int fd, const struct gsa_sa *sa,
	       struct gsa_ack *ack);

/* ---- GET_SOCKETS ---------------------------------------------------------- */

/* An IKETCP_A_SOCK nest (dumps and events). */
struct gsa_sock {
	uint64_t inode;
	uint16_t family;
	uint8_t saddr[16], daddr[16];
	int addr_len;
	uint16_t sport, dport;
	uint8_t framing;
	uint8_t role;
	uint32_t rx_queued;
	uint32_t tx_queued;
	uint64_t cnt[__IKETCP_CNT_MAX];
	/* Memory held against rx/tx_queue_limit; absent from older modules. */
	bool has_rx_mem, has_tx_mem;
	uint32_t rx_mem;
	uint32_t tx_mem;
	bool has_sas;			/* IKETCP_SOCK_SAS present */
	int nr_sas;			/* IKETCP_A_SA nests in it */
};

void gsa_parse_sock(const struct nlattr *nest, struct gsa_sock *s);

/*
 * Dump GET_SOCKETS on nl; *s gets the socket inode if it is listed (then
 * *found).  Returns the IKETCP_A_SOCK nests seen (a socket with many SAs
 * may take several), or -errno.
 */
int gsa_get_sock(struct gsa_nl *nl, uint64_t inode, struct gsa_sock *s,
		 bool *found);

struct gsa_dump_sa {
	uint64_t inode;			/* the socket it is listed under */
	uint8_t dir;
	uint32_t spi;			/* host order */
	uint16_t family;
	uint8_t saddr[16], daddr[16];
	int saddr_len, daddr_len;
	int encap;			/* -1: absent */
	int sport, dport;		/* -1: absent */
	bool orphaned;
	bool has_packets, has_bytes;
	uint64_t packets, bytes;
};

struct gsa_dump {
	int nsocks, nsas;
	struct gsa_sock *socks;		/* one per socket, its SAs merged */
	struct gsa_dump_sa *sas;
	int nmsgs;			/* GET_SOCKETS messages */
	int nreads;			/* recv() calls that returned data */
	bool all_multi;			/* every message had NLM_F_MULTI */
	int done_error;			/* the dump's error, as returned */
};

/* Dump everything; returns 0 or -errno (dump->done_error then too). */
int gsa_dump(struct gsa_nl *nl, struct gsa_dump *dump);
int gsa_dump_cmd(struct gsa_nl *nl, struct gsa_dump *dump, int cmd);
void gsa_dump_free(struct gsa_dump *dump);
/* The SA (dir, spi host order) in the dump, or NULL; *count: how often. */
const struct gsa_dump_sa *gsa_dump_find(const struct gsa_dump *dump,
					uint8_t dir, uint32_t spi, int *count);
const struct gsa_sock *gsa_dump_sock(const struct gsa_dump *dump,
					  uint64_t inode);

/* ---- events --------------------------------------------------------------- */

/* NETLINK_ADD_MEMBERSHIP of the events group: 0 or -errno. */
int gsa_join_events(struct gsa_nl *nl);

struct gsa_event {
	uint32_t event;
	struct gsa_sock sock;
	bool has_sa;
	int dir;			/* -1: absent */
	bool has_spi;
	uint32_t spi;			/* host order */
};

/*
 * Wait up to timeout_ms for an IKETCP_CMD_EVENT of type event (0: any);
 * other events are skipped.  0 when one came, -ETIMEDOUT, or -errno.
 */
int gsa_wait_event(struct gsa_nl *nl, uint32_t event, int timeout_ms,
		   struct gsa_event *ev);

#endif /* GENL_SA_H */
