/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Messages of the "iketcp" generic netlink family, as bytes: building the
 * requests iketcpd sends and parsing the replies into plain structs.  No
 * socket here, so the unit tests run all of it on canned buffers.
 */
#ifndef IKETCPD_NLMSG_H
#define IKETCPD_NLMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>
#include <linux/types.h>

#include "uapi/linux/iketcp.h"

/* IKETCP_CMD_GET_NETNS reply. */
struct ik_netns {
	bool have_config;
	uint32_t rx_queue_limit;
	uint32_t tx_queue_limit;
	bool have_counters;
	uint64_t counters[__IKETCP_CNT_MAX];
	uint32_t nr_sockets;
	uint32_t nr_bindings;
};

/* One IKETCP_CMD_GET_SOCKETS dump message. */
struct ik_sock {
	uint64_t inode;
	uint16_t family;	/* AF_INET or AF_INET6 */
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint16_t sport;
	uint16_t dport;
	uint8_t framing;	/* enum iketcp_framing */
	uint8_t role;		/* enum iketcp_role */
	uint32_t rx_queued;
	uint32_t tx_queued;
	uint64_t counters[__IKETCP_CNT_MAX];
	uint32_t nr_sas;	/* bound SAs; reported to admins only */
};

/* IKETCP_CMD_SET_NETNS request: which limits to change. */
struct ik_limits {
	bool set_rx;
	bool set_tx;
	uint32_t rx;
	uint32_t tx;
};

/*
 * IKETCP_CMD_BIND_SA / IKETCP_CMD_UNBIND_SA: one direction of one ESP SA
 * on the socket fd (an attached RFC 9329 socket of the calling process).
 * Addresses default to the socket's when family is 0.
 */
struct ik_bind {
	uint32_t fd;
	uint8_t dir;		/* IKETCP_DIR_IN or IKETCP_DIR_OUT */
	uint32_t spi;		/* host order; sent in network order */
	uint16_t family;	/* 0: addresses from the socket */
	uint8_t saddr[16], daddr[16];
	bool udp;		/* the XFRM state is ESP in UDP */
	uint16_t sport, dport;	/* its UDP ports, host order */
};

/* A netlink error: negative errno and the kernel's extended ACK text. */
struct ik_nlerr {
	int err;
	char msg[256];
};

/* Requests need at most this much room (all are small). */
#define IK_REQ_SIZE 1024

struct nlmsghdr *ik_req_getfamily(void *buf, uint32_t seq);
struct nlmsghdr *ik_req_get_netns(void *buf, uint16_t family, uint32_t seq);
struct nlmsghdr *ik_req_set_netns(void *buf, uint16_t family, uint32_t seq,
				  const struct ik_limits *lim);
struct nlmsghdr *ik_req_get_sockets(void *buf, uint16_t family,
				    uint32_t seq);

struct nlmsghdr *ik_req_bind_sa(void *buf, uint16_t family, uint32_t seq,
				const struct ik_bind *b);
/* Unbind by (dir, spi) on b->fd's socket, or, with b->family set, by the
 * binding's key (dir, spi, family, daddr), which works after the socket
 * closed (an orphaned binding). */
struct nlmsghdr *ik_req_unbind_sa(void *buf, uint16_t family, uint32_t seq,
				  const struct ik_bind *b);

struct nlmsghdr *ik_req_get_bindings(void *buf, uint16_t family,
				     uint32_t seq);

/* One IKETCP_CMD_GET_BINDINGS dump message (the fields iketcpd uses). */
struct ik_binding {
	uint8_t dir;
	uint32_t spi;		/* host order */
	uint16_t family;
	uint8_t daddr[16];
	uint64_t packets;
	bool orphaned;
};

int ik_parse_binding(const struct nlmsghdr *nlh, struct ik_binding *b);

/* Parsers: 0, or -EPROTO for a malformed reply.  Unknown attributes are
 * skipped so that a newer module still works with this iketcpd. */
int ik_parse_family(const struct nlmsghdr *nlh, uint16_t *id);
int ik_parse_netns(const struct nlmsghdr *nlh, struct ik_netns *ns);
int ik_parse_sock(const struct nlmsghdr *nlh, struct ik_sock *sk);
void ik_parse_nlerr(const struct nlmsghdr *nlh, struct ik_nlerr *e);

/* Called for each data message of a reply; 0 or a negative errno. */
typedef int (*ik_msg_cb)(const struct nlmsghdr *nlh, void *data);

/*
 * Walk one datagram of replies to request seq: data messages go to cb,
 * an ACK or NLMSG_DONE ends the reply, an error fills *e.  Returns 1 when
 * more datagrams are expected, 0 when the reply is complete, or a negative
 * errno (then e->err says the same).
 */
int ik_walk_reply(const void *buf, size_t len, uint32_t seq, ik_msg_cb cb,
		  void *data, struct ik_nlerr *e);

#endif
