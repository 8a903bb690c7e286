/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic netlink helpers for the SA binding tests (selftests/genl.c):
 * raw requests with any attributes (good or bad), answers with the
 * extended ACK parsed out, BIND_SA / UNBIND_SA, a full GET_SOCKETS dump
 * including the SAs, and the "events" multicast group.
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
#include <linux/netlink.h>

#include "uapi/linux/iketcp.h"

struct gsa_nl {
	int fd;
	uint32_t seq;
	uint16_t family_id;	/* of "iketcp" */
	uint32_t events_grp;	/* id of the "events" mcast group, 0 if none */
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
void gsa_close(struct gsa_nl *nl);
/* CTRL_CMD_GETFAMILY for name: the family id, or -errno (-ENOENT). */
int gsa_family_lookup(const char *name, uint32_t *events_grp);

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

/* Send r with NLM_F_ACK and read the ACK; returns ack->error. */
int gsa_call(struct gsa_nl *nl, struct gsa_req *r, struct gsa_ack *ack);

/*
 * GET_NETNS on nl: the socket and binding counts (either pointer may be
 * NULL).  Unlike ikt_get_netns() it caches no family id, so it works after
 * the module was reloaded.
 */
int gsa_get_netns(struct gsa_nl *nl, uint32_t *nr_sockets,
		  uint32_t *nr_bindings);

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

struct gsa_dump_sock {
	uint64_t inode;
	uint16_t family;
	uint8_t saddr[16], daddr[16];
	int addr_len;
	uint16_t sport, dport;
	bool has_sas;			/* IKETCP_SOCK_SAS present */
	int nr_sas;
};

struct gsa_dump {
	int nsocks, nsas;
	struct gsa_dump_sock *socks;
	struct gsa_dump_sa *sas;
	int nmsgs;			/* GET_SOCKETS messages */
	int nreads;			/* recv() calls that returned data */
	bool all_multi;			/* every message had NLM_F_MULTI */
	int done_error;			/* error in NLMSG_DONE or NLMSG_ERROR */
};

/* Dump everything; returns 0 or -errno (dump->done_error then too). */
int gsa_dump(struct gsa_nl *nl, struct gsa_dump *dump);
int gsa_dump_cmd(struct gsa_nl *nl, struct gsa_dump *dump, int cmd);
void gsa_dump_free(struct gsa_dump *dump);
/* The SA (dir, spi host order) in the dump, or NULL; *count: how often. */
const struct gsa_dump_sa *gsa_dump_find(const struct gsa_dump *dump,
					uint8_t dir, uint32_t spi, int *count);
const struct gsa_dump_sock *gsa_dump_sock(const struct gsa_dump *dump,
					  uint64_t inode);

/* ---- events --------------------------------------------------------------- */

/* NETLINK_ADD_MEMBERSHIP of the events group: 0 or -errno. */
int gsa_join_events(struct gsa_nl *nl);

struct gsa_event {
	uint32_t event;
	uint64_t inode;
	uint16_t family;
	uint8_t saddr[16], daddr[16];
	int addr_len;
	uint16_t sport, dport;
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
