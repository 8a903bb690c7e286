// SPDX-License-Identifier: GPL-2.0
/*
 * Building and parsing "iketcp" generic netlink messages with libmnl.
 * Every attribute is validated for its type and length before it is read:
 * the replies come from the kernel, but a mismatched module version must
 * give an error message, not garbage output.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "nlmsg.h"

static struct nlmsghdr *put_genl(void *buf, uint16_t type, uint16_t flags,
				 uint8_t cmd, uint8_t version, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

struct nlmsghdr *ik_req_getfamily(void *buf, uint32_t seq)
{
	struct nlmsghdr *nlh = put_genl(buf, GENL_ID_CTRL, NLM_F_ACK,
					CTRL_CMD_GETFAMILY, 1, seq);

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, IKETCP_GENL_NAME);
	return nlh;
}

struct nlmsghdr *ik_req_get_netns(void *buf, uint16_t family, uint32_t seq)
{
	return put_genl(buf, family, NLM_F_ACK, IKETCP_CMD_GET_NETNS,
			IKETCP_GENL_VERSION, seq);
}

struct nlmsghdr *ik_req_set_netns(void *buf, uint16_t family, uint32_t seq,
				  const struct ik_limits *lim)
{
	struct nlmsghdr *nlh = put_genl(buf, family, NLM_F_ACK,
					IKETCP_CMD_SET_NETNS,
					IKETCP_GENL_VERSION, seq);
	struct nlattr *nest = mnl_attr_nest_start(nlh, IKETCP_A_CONFIG);

	if (lim->set_rx)
		mnl_attr_put_u32(nlh, IKETCP_CONFIG_RX_QUEUE_LIMIT, lim->rx);
	if (lim->set_tx)
		mnl_attr_put_u32(nlh, IKETCP_CONFIG_TX_QUEUE_LIMIT, lim->tx);
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

struct nlmsghdr *ik_req_get_sockets(void *buf, uint16_t family, uint32_t seq)
{
	return put_genl(buf, family, NLM_F_DUMP, IKETCP_CMD_GET_SOCKETS,
			IKETCP_GENL_VERSION, seq);
}

static void put_bind_sa(struct nlmsghdr *nlh, const struct ik_bind *b,
			bool full)
{
	struct nlattr *nest;
	size_t alen = b->family == AF_INET6 ? 16 : 4;

	if (full || !b->family)
		mnl_attr_put_u32(nlh, IKETCP_A_SOCK_FD, b->fd);
	nest = mnl_attr_nest_start(nlh, IKETCP_A_SA);
	mnl_attr_put_u8(nlh, IKETCP_SA_DIR, b->dir);
	mnl_attr_put_u32(nlh, IKETCP_SA_SPI, htonl(b->spi));
	if (!full && b->family) {	/* unbind by key: the socket may be gone */
		mnl_attr_put_u16(nlh, IKETCP_SA_FAMILY, b->family);
		mnl_attr_put(nlh, IKETCP_SA_DADDR, alen, b->daddr);
	}
	if (full && b->family) {
		mnl_attr_put(nlh, IKETCP_SA_SADDR, alen, b->saddr);
		mnl_attr_put(nlh, IKETCP_SA_DADDR, alen, b->daddr);
	}
	if (full && b->udp) {
		mnl_attr_put_u8(nlh, IKETCP_SA_ENCAP, IKETCP_ENCAP_UDP);
		mnl_attr_put_u16(nlh, IKETCP_SA_ENCAP_SPORT, b->sport);
		mnl_attr_put_u16(nlh, IKETCP_SA_ENCAP_DPORT, b->dport);
	}
	mnl_attr_nest_end(nlh, nest);
}

static struct nlmsghdr *req_sa(void *buf, uint16_t family, uint32_t seq,
			       uint8_t cmd, const struct ik_bind *b)
{
	struct nlmsghdr *nlh = put_genl(buf, family, NLM_F_ACK, cmd,
					IKETCP_GENL_VERSION, seq);

	put_bind_sa(nlh, b, cmd == IKETCP_CMD_BIND_SA);
	return nlh;
}

struct nlmsghdr *ik_req_bind_sa(void *buf, uint16_t family, uint32_t seq,
				const struct ik_bind *b)
{
	return req_sa(buf, family, seq, IKETCP_CMD_BIND_SA, b);
}

struct nlmsghdr *ik_req_unbind_sa(void *buf, uint16_t family, uint32_t seq,
				  const struct ik_bind *b)
{
	return req_sa(buf, family, seq, IKETCP_CMD_UNBIND_SA, b);
}

struct nlmsghdr *ik_req_get_bindings(void *buf, uint16_t family, uint32_t seq)
{
	return put_genl(buf, family, NLM_F_DUMP, IKETCP_CMD_GET_BINDINGS,
			IKETCP_GENL_VERSION, seq);
}

/* ---------------------------------------------------------- parsing */

/* Attribute payloads follow the generic netlink header. */
#define GENL_HDRLEN_ALIGNED MNL_ALIGN(sizeof(struct genlmsghdr))

static bool genl_ok(const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_len >= MNL_NLMSG_HDRLEN + GENL_HDRLEN_ALIGNED;
}

#define mnl_attr_for_each_genl(attr, nlh) \
	mnl_attr_for_each(attr, nlh, GENL_HDRLEN_ALIGNED)

/* A u64 counters nest: type = enum iketcp_counter + 1. */
static int parse_counters(const struct nlattr *nest, uint64_t *cnt)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		unsigned int type = mnl_attr_get_type(a);

		if (type == 0 || type > __IKETCP_CNT_MAX)
			continue;	/* a counter newer than this iketcpd */
		if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
			return -EPROTO;
		cnt[type - 1] = mnl_attr_get_u64(a);
	}
	return 0;
}

static int parse_config(const struct nlattr *nest, struct ik_netns *ns)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		uint32_t *dst;

		switch (mnl_attr_get_type(a)) {
		case IKETCP_CONFIG_RX_QUEUE_LIMIT:
			dst = &ns->rx_queue_limit;
			break;
		case IKETCP_CONFIG_TX_QUEUE_LIMIT:
			dst = &ns->tx_queue_limit;
			break;
		default:
			continue;
		}
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return -EPROTO;
		*dst = mnl_attr_get_u32(a);
	}
	ns->have_config = true;
	return 0;
}

int ik_parse_family(const struct nlmsghdr *nlh, uint16_t *id)
{
	const struct nlattr *a;

	if (!genl_ok(nlh))
		return -EPROTO;
	mnl_attr_for_each_genl(a, nlh) {
		if (mnl_attr_get_type(a) != CTRL_ATTR_FAMILY_ID)
			continue;
		if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			return -EPROTO;
		*id = mnl_attr_get_u16(a);
		return 0;
	}
	return -EPROTO;
}

static int netns_attr(const struct nlattr *a, struct ik_netns *ns)
{
	switch (mnl_attr_get_type(a)) {
	case IKETCP_A_CONFIG:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			return -EPROTO;
		return parse_config(a, ns);
	case IKETCP_A_COUNTERS:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			return -EPROTO;
		ns->have_counters = true;
		return parse_counters(a, ns->counters);
	case IKETCP_A_NR_SOCKETS:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return -EPROTO;
		ns->nr_sockets = mnl_attr_get_u32(a);
		return 0;
	case IKETCP_A_NR_BINDINGS:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return -EPROTO;
		ns->nr_bindings = mnl_attr_get_u32(a);
		return 0;
	}
	return 0;
}

int ik_parse_netns(const struct nlmsghdr *nlh, struct ik_netns *ns)
{
	const struct nlattr *a;
	int err;

	memset(ns, 0, sizeof(*ns));
	if (!genl_ok(nlh))
		return -EPROTO;
	mnl_attr_for_each_genl(a, nlh) {
		err = netns_attr(a, ns);
		if (err)
			return err;
	}
	return ns->have_config ? 0 : -EPROTO;
}

/* Address attributes: 4 bytes for AF_INET, 16 for AF_INET6. */
static int get_addr(const struct nlattr *a, uint8_t *dst)
{
	uint16_t len = mnl_attr_get_payload_len(a);

	if (len != 4 && len != 16)
		return -EPROTO;
	memcpy(dst, mnl_attr_get_payload(a), len);
	return 0;
}

static int get_int(const struct nlattr *a, enum mnl_attr_data_type t,
		   void *dst)
{
	if (mnl_attr_validate(a, t) < 0)
		return -EPROTO;
	switch (t) {
	case MNL_TYPE_U8:
		*(uint8_t *)dst = mnl_attr_get_u8(a);
		break;
	case MNL_TYPE_U16:
		*(uint16_t *)dst = mnl_attr_get_u16(a);
		break;
	case MNL_TYPE_U32:
		*(uint32_t *)dst = mnl_attr_get_u32(a);
		break;
	default:
		*(uint64_t *)dst = mnl_attr_get_u64(a);
		break;
	}
	return 0;
}

static uint32_t count_nested(const struct nlattr *nest)
{
	const struct nlattr *a;
	uint32_t n = 0;

	mnl_attr_for_each_nested(a, nest)
		n++;
	return n;
}

static int sock_attr(const struct nlattr *a, struct ik_sock *sk)
{
	switch (mnl_attr_get_type(a)) {
	case IKETCP_SOCK_INODE:
		return get_int(a, MNL_TYPE_U64, &sk->inode);
	case IKETCP_SOCK_FAMILY:
		return get_int(a, MNL_TYPE_U16, &sk->family);
	case IKETCP_SOCK_SADDR:
		return get_addr(a, sk->saddr);
	case IKETCP_SOCK_DADDR:
		return get_addr(a, sk->daddr);
	case IKETCP_SOCK_SPORT:
		return get_int(a, MNL_TYPE_U16, &sk->sport);
	case IKETCP_SOCK_DPORT:
		return get_int(a, MNL_TYPE_U16, &sk->dport);
	case IKETCP_SOCK_FRAMING:
		return get_int(a, MNL_TYPE_U8, &sk->framing);
	case IKETCP_SOCK_ROLE:
		return get_int(a, MNL_TYPE_U8, &sk->role);
	case IKETCP_SOCK_RX_QUEUED:
		return get_int(a, MNL_TYPE_U32, &sk->rx_queued);
	case IKETCP_SOCK_TX_QUEUED:
		return get_int(a, MNL_TYPE_U32, &sk->tx_queued);
	case IKETCP_SOCK_COUNTERS:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			return -EPROTO;
		return parse_counters(a, sk->counters);
	case IKETCP_SOCK_SAS:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			return -EPROTO;
		sk->nr_sas = count_nested(a);
		return 0;
	}
	return 0;
}

int ik_parse_sock(const struct nlmsghdr *nlh, struct ik_sock *sk)
{
	const struct nlattr *a, *s;
	int err;

	memset(sk, 0, sizeof(*sk));
	if (!genl_ok(nlh))
		return -EPROTO;
	mnl_attr_for_each_genl(a, nlh) {
		if (mnl_attr_get_type(a) != IKETCP_A_SOCK)
			continue;
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			return -EPROTO;
		mnl_attr_for_each_nested(s, a) {
			err = sock_attr(s, sk);
			if (err)
				return err;
		}
		return sk->family ? 0 : -EPROTO;
	}
	return -EPROTO;
}

/* The extended ACK message, if the kernel sent one. */
static void parse_extack(const struct nlmsghdr *nlh,
			 const struct nlmsgerr *nerr, struct ik_nlerr *e)
{
	size_t off = sizeof(*nerr);
	const struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* Without NETLINK_CAP_ACK the request is echoed before the TLVs. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += nerr->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (MNL_NLMSG_HDRLEN + MNL_ALIGN(off) > nlh->nlmsg_len)
		return;
	mnl_attr_for_each(a, nlh, off) {
		if (mnl_attr_get_type(a) != NLMSGERR_ATTR_MSG ||
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			continue;
		snprintf(e->msg, sizeof(e->msg), "%s", mnl_attr_get_str(a));
	}
}

void ik_parse_nlerr(const struct nlmsghdr *nlh, struct ik_nlerr *e)
{
	const struct nlmsgerr *nerr = mnl_nlmsg_get_payload(nlh);

	e->msg[0] = '\0';
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*nerr)) {
		e->err = -EPROTO;
		return;
	}
	/* The kernel sends -errno; clamp anything else to a sane value. */
	e->err = nerr->error <= 0 ? nerr->error : -nerr->error;
	if (nerr->error)
		parse_extack(nlh, nerr, e);
}

/* NLMSG_DONE of a dump may carry the dump's error as an int. */
static int done_error(const struct nlmsghdr *nlh)
{
	int err = 0;

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int))
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(int));
	return err < 0 ? err : 0;
}

static int walk_one(const struct nlmsghdr *nlh, ik_msg_cb cb, void *data,
		    struct ik_nlerr *e)
{
	switch (nlh->nlmsg_type) {
	case NLMSG_NOOP:
		return 1;
	case NLMSG_ERROR:
		ik_parse_nlerr(nlh, e);
		return e->err;	/* 0 is the ACK: the reply is complete */
	case NLMSG_DONE:
		e->err = done_error(nlh);
		return e->err;
	case NLMSG_OVERRUN:
		e->err = -ENOBUFS;
		return e->err;
	}
	e->err = cb ? cb(nlh, data) : 0;
	if (e->err)
		return e->err;
	/* A single-part reply without ACK requested would end here. */
	return 1;
}

int ik_walk_reply(const void *buf, size_t len, uint32_t seq, ik_msg_cb cb,
		  void *data, struct ik_nlerr *e)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len, r;

	e->err = 0;
	e->msg[0] = '\0';
	while (mnl_nlmsg_ok(nlh, left)) {
		/* Stale replies to an earlier request: not ours. */
		if (nlh->nlmsg_seq == seq) {
			r = walk_one(nlh, cb, data, e);
			if (r <= 0)
				return r;
		}
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	if (left != 0) {
		e->err = -EPROTO;	/* a truncated message */
		return e->err;
	}
	return 1;
}

static int binding_attr(const struct nlattr *a, struct ik_binding *b)
{
	switch (mnl_attr_get_type(a)) {
	case IKETCP_SA_DIR:
		return get_int(a, MNL_TYPE_U8, &b->dir);
	case IKETCP_SA_SPI:
		if (get_int(a, MNL_TYPE_U32, &b->spi))
			return -EPROTO;
		b->spi = ntohl(b->spi);
		return 0;
	case IKETCP_SA_FAMILY:
		return get_int(a, MNL_TYPE_U16, &b->family);
	case IKETCP_SA_DADDR:
		return get_addr(a, b->daddr);
	case IKETCP_SA_PACKETS:
		return get_int(a, MNL_TYPE_U64, &b->packets);
	case IKETCP_SA_ORPHANED:
		b->orphaned = true;
		return 0;
	}
	return 0;
}

int ik_parse_binding(const struct nlmsghdr *nlh, struct ik_binding *b)
{
	const struct nlattr *a, *n;

	memset(b, 0, sizeof(*b));
	if (!genl_ok(nlh))
		return -EPROTO;
	mnl_attr_for_each_genl(n, nlh) {
		if (mnl_attr_get_type(n) != IKETCP_A_SA)
			continue;
		if (mnl_attr_validate(n, MNL_TYPE_NESTED) < 0)
			return -EPROTO;
		mnl_attr_for_each_nested(a, n)
			if (binding_attr(a, b))
				return -EPROTO;
		return b->dir && b->spi ? 0 : -EPROTO;
	}
	return -EPROTO;
}
