// SPDX-License-Identifier: GPL-2.0
/*
 * The selftests' generic netlink client; see genl_sa.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "genl_sa.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

#define RXBUF (128 * 1024)

/* ---- reading attributes --------------------------------------------------- */

uint8_t gsa_get_u8(const struct nlattr *a)
{
	return GSA_A_LEN(a) >= 1 ? *GSA_A_DATA(a) : 0;
}

uint16_t gsa_get_u16(const struct nlattr *a)
{
	uint16_t v = 0;

	if (GSA_A_LEN(a) >= 2)
		memcpy(&v, GSA_A_DATA(a), 2);
	return v;
}

uint32_t gsa_get_u32(const struct nlattr *a)
{
	uint32_t v = 0;

	if (GSA_A_LEN(a) >= 4)
		memcpy(&v, GSA_A_DATA(a), 4);
	return v;
}

uint64_t gsa_get_u64(const struct nlattr *a)
{
	uint64_t v = 0;

	if (GSA_A_LEN(a) >= 8)
		memcpy(&v, GSA_A_DATA(a), 8);
	return v;
}

int gsa_get_addr(const struct nlattr *a, uint8_t *out)
{
	int l = GSA_A_LEN(a);

	if (l < 0 || l > 16)
		return 0;
	memcpy(out, GSA_A_DATA(a), l);
	return l;
}

/* ---- socket and family ---------------------------------------------------- */

static int nl_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { 5, 0 };
	int fd, one = 1;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	/*
	 * Bind (to an automatic port id) now: multicasts from the kernel
	 * (port id 0) skip sockets whose own port id is still 0.
	 */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	return fd;
}

/* The "events" group's id in a CTRL_ATTR_MCAST_GROUPS nest. */
static uint32_t find_group(struct nlattr *groups, const char *name)
{
	struct nlattr *g, *a;

	gsa_for_each_nested(g, groups) {
		uint32_t id = 0;
		bool match = false;

		gsa_for_each_nested(a, g) {
			if (GSA_A_TYPE(a) == CTRL_ATTR_MCAST_GRP_ID)
				id = gsa_get_u32(a);
			if (GSA_A_TYPE(a) == CTRL_ATTR_MCAST_GRP_NAME &&
			    GSA_A_LEN(a) == (int)strlen(name) + 1 &&
			    !memcmp(GSA_A_DATA(a), name, strlen(name) + 1))
				match = true;
		}
		if (match)
			return id;
	}
	return 0;
}

static int family_msg(const struct nlmsghdr *n, void *data)
{
	struct gsa_family *f = data;
	struct nlattr *a;

	gsa_for_each_msg_attr(a, n) {
		switch (GSA_A_TYPE(a)) {
		case CTRL_ATTR_FAMILY_ID:
			f->id = gsa_get_u16(a);
			break;
		case CTRL_ATTR_VERSION:
			f->version = gsa_get_u32(a);
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			f->events_grp = find_group(a, IKETCP_MCGRP_EVENTS);
			break;
		}
	}
	return 0;
}

int gsa_family_get(const char *name, struct gsa_family *f)
{
	struct gsa_nl ctl;
	struct gsa_req r;
	int ret;

	memset(f, 0, sizeof(*f));
	ret = gsa_open_id(&ctl, GENL_ID_CTRL);
	if (ret)
		return ret;
	gsa_req_init(&ctl, &r, CTRL_CMD_GETFAMILY);
	r.g[1] = 1;
	gsa_put(&r, CTRL_ATTR_FAMILY_NAME, name, strlen(name) + 1);
	ret = gsa_request(&ctl, &r, family_msg, f, NULL);
	gsa_close(&ctl);
	if (ret)
		return ret;
	return f->id ? f->id : -ENOENT;
}

int gsa_family_lookup(const char *name, uint32_t *events_grp)
{
	struct gsa_family f;
	int id = gsa_family_get(name, &f);

	if (events_grp)
		*events_grp = f.events_grp;
	return id;
}

int gsa_open_id(struct gsa_nl *nl, uint16_t family_id)
{
	memset(nl, 0, sizeof(*nl));
	nl->family_id = family_id;
	nl->fd = nl_socket();
	return nl->fd < 0 ? nl->fd : 0;
}

int gsa_open(struct gsa_nl *nl)
{
	struct gsa_family f;
	int id, ret;

	memset(nl, 0, sizeof(*nl));
	nl->fd = -1;
	id = gsa_family_get(IKETCP_GENL_NAME, &f);
	if (id < 0)
		return id;
	ret = gsa_open_id(nl, id);
	nl->events_grp = f.events_grp;
	return ret;
}

void gsa_close(struct gsa_nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

/* ---- requests ------------------------------------------------------------- */

void gsa_req_init(struct gsa_nl *nl, struct gsa_req *r, uint8_t cmd)
{
	memset(r, 0, offsetof(struct gsa_req, buf));
	r->n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->n.nlmsg_type = nl->family_id;
	r->n.nlmsg_flags = NLM_F_REQUEST;
	r->n.nlmsg_seq = ++nl->seq;
	r->g[0] = cmd;
	r->g[1] = IKETCP_GENL_VERSION;
}

struct nlattr *gsa_put(struct gsa_req *r, uint16_t type, const void *data,
		       uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((uint8_t *)r +
					     NLMSG_ALIGN(r->n.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy(GSA_A_DATA(a), data, len);
	memset(GSA_A_DATA(a) + len, 0, NLA_ALIGN(a->nla_len) - a->nla_len);
	r->n.nlmsg_len = NLMSG_ALIGN(r->n.nlmsg_len) + NLA_ALIGN(a->nla_len);
	return a;
}

void gsa_put_u8(struct gsa_req *r, uint16_t type, uint8_t v)
{
	gsa_put(r, type, &v, 1);
}

void gsa_put_u16(struct gsa_req *r, uint16_t type, uint16_t v)
{
	gsa_put(r, type, &v, 2);
}

void gsa_put_u32(struct gsa_req *r, uint16_t type, uint32_t v)
{
	gsa_put(r, type, &v, 4);
}

struct nlattr *gsa_nest_start(struct gsa_req *r, uint16_t type)
{
	return gsa_put(r, type | NLA_F_NESTED, NULL, 0);
}

void gsa_nest_end(struct gsa_req *r, struct nlattr *nest)
{
	nest->nla_len = (uint8_t *)r + r->n.nlmsg_len - (uint8_t *)nest;
}

/* An NLMSG_ERROR: the error and, if the kernel added them, extack TLVs. */
static void parse_ack(const struct nlmsghdr *n, struct gsa_ack *ack)
{
	const struct nlmsgerr *e = NLMSG_DATA(n);
	struct nlattr *a;
	uint8_t *tlvs;
	int rem;

	if (n->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
		ack->error = -EPROTO;
		return;
	}
	ack->error = e->error;
	if (!(n->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	tlvs = (uint8_t *)e + sizeof(*e);
	/* Without NETLINK_CAP_ACK the request is echoed before the TLVs. */
	if (!(n->nlmsg_flags & NLM_F_CAPPED))
		tlvs += NLMSG_ALIGN(e->msg.nlmsg_len) - sizeof(e->msg);
	rem = (const uint8_t *)n + n->nlmsg_len - tlvs;
	if (rem <= 0)
		return;
	gsa_for_each_attr(a, tlvs, rem) {
		switch (GSA_A_TYPE(a)) {
		case NLMSGERR_ATTR_MSG:
			snprintf(ack->msg, sizeof(ack->msg), "%.*s",
				 GSA_A_LEN(a), (char *)GSA_A_DATA(a));
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			ack->miss_type = gsa_get_u32(a);
			break;
		case NLMSGERR_ATTR_MISS_NEST:
			ack->miss_nest = gsa_get_u32(a);
			break;
		case NLMSGERR_ATTR_OFFS:
			ack->offs = gsa_get_u32(a);
			break;
		}
	}
}

static void ack_init(struct gsa_ack *ack)
{
	memset(ack, 0, sizeof(*ack));
	ack->miss_type = -1;
	ack->miss_nest = -1;
	ack->offs = -1;
}

/* NLMSG_DONE may carry the dump's error as an int. */
static int done_error(const struct nlmsghdr *n)
{
	int e = 0;

	if (n->nlmsg_len >= NLMSG_LENGTH(sizeof(e)))
		memcpy(&e, NLMSG_DATA(n), sizeof(e));
	return e <= 0 ? e : -EPROTO;
}

struct answer {
	struct gsa_nl *nl;
	uint32_t seq;
	bool single;		/* no ACK, no dump: one message answers */
	gsa_msg_cb cb;
	void *data;
	struct gsa_ack *ack;
};

/* One message of the answer: 1 to read on, else the answer's result. */
static int answer_msg(struct answer *an, const struct nlmsghdr *n)
{
	int err;

	switch (n->nlmsg_type) {
	case NLMSG_ERROR:
		parse_ack(n, an->ack);
		return an->ack->error;
	case NLMSG_DONE:
		return an->ack->error = done_error(n);
	}
	if (n->nlmsg_type != an->nl->family_id ||
	    n->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return 1;
	err = an->cb ? an->cb(n, an->data) : 0;
	if (err)
		return an->ack->error = err;
	return an->single ? 0 : 1;
}

/* One recv() of the answer: 1 to read on, else the answer's result. */
static int answer_read(struct answer *an, uint8_t *buf)
{
	struct nlmsghdr *n;
	int len, ret;

	len = recv(an->nl->fd, buf, RXBUF, 0);
	if (len < 0)
		return an->ack->error = -errno;
	an->nl->nreads++;
	for (n = (struct nlmsghdr *)buf; NLMSG_OK(n, len);
	     n = NLMSG_NEXT(n, len)) {
		if (n->nlmsg_seq != an->seq)
			continue;	/* a stale answer */
		ret = answer_msg(an, n);
		if (ret <= 0)
			return ret;
	}
	return 1;
}

int gsa_request(struct gsa_nl *nl, struct gsa_req *r, gsa_msg_cb cb,
		void *data, struct gsa_ack *ack)
{
	struct gsa_ack tmp;
	struct answer an = {
		.nl = nl, .seq = r->n.nlmsg_seq, .cb = cb, .data = data,
		.ack = ack ? ack : &tmp,
		.single = !(r->n.nlmsg_flags & (NLM_F_ACK | NLM_F_DUMP)),
	};
	uint8_t *buf;
	int ret;

	ack_init(an.ack);
	if (send(nl->fd, r, r->n.nlmsg_len, 0) < 0)
		return an.ack->error = -errno;
	buf = malloc(RXBUF);
	if (!buf)
		return an.ack->error = -ENOMEM;
	do
		ret = answer_read(&an, buf);
	while (ret > 0);
	free(buf);
	return ret;
}

int gsa_call(struct gsa_nl *nl, struct gsa_req *r, struct gsa_ack *ack)
{
	r->n.nlmsg_flags |= NLM_F_ACK;
	return gsa_request(nl, r, NULL, NULL, ack);
}

/* ---- GET_NETNS and SET_NETNS ---------------------------------------------- */

/* Counters nest: u64 values, type = counter + 1; pads (type 0) skipped. */
static void parse_counters(const struct nlattr *nest, uint64_t *cnt)
{
	struct nlattr *a;

	gsa_for_each_nested(a, nest) {
		int t = GSA_A_TYPE(a);

		if (t >= 1 && t <= __IKETCP_CNT_MAX && GSA_A_LEN(a) == 8)
			cnt[t - 1] = gsa_get_u64(a);
	}
}

static void parse_config(const struct nlattr *nest, struct gsa_netns *ns)
{
	struct nlattr *a;

	gsa_for_each_nested(a, nest) {
		if (GSA_A_TYPE(a) == IKETCP_CONFIG_RX_QUEUE_LIMIT)
			ns->rx_queue_limit = gsa_get_u32(a);
		if (GSA_A_TYPE(a) == IKETCP_CONFIG_TX_QUEUE_LIMIT)
			ns->tx_queue_limit = gsa_get_u32(a);
	}
}

static int netns_msg(const struct nlmsghdr *n, void *data)
{
	struct gsa_netns *ns = data;
	struct nlattr *a;

	gsa_for_each_msg_attr(a, n) {
		switch (GSA_A_TYPE(a)) {
		case IKETCP_A_COUNTERS:
			parse_counters(a, ns->cnt);
			break;
		case IKETCP_A_NR_SOCKETS:
			ns->nr_sockets = gsa_get_u32(a);
			break;
		case IKETCP_A_NR_BINDINGS:
			ns->nr_bindings = gsa_get_u32(a);
			break;
		case IKETCP_A_CONFIG:
			parse_config(a, ns);
			break;
		}
	}
	return 0;
}

int gsa_get_netns(struct gsa_nl *nl, struct gsa_netns *ns)
{
	struct gsa_req r;

	gsa_req_init(nl, &r, IKETCP_CMD_GET_NETNS);
	return gsa_request(nl, &r, netns_msg, ns, NULL);
}

int gsa_set_limits(struct gsa_nl *nl, uint32_t rx, uint32_t tx,
		   struct gsa_ack *ack)
{
	struct nlattr *nest;
	struct gsa_req r;

	gsa_req_init(nl, &r, IKETCP_CMD_SET_NETNS);
	nest = gsa_nest_start(&r, IKETCP_A_CONFIG);
	if (rx)
		gsa_put_u32(&r, IKETCP_CONFIG_RX_QUEUE_LIMIT, rx);
	if (tx)
		gsa_put_u32(&r, IKETCP_CONFIG_TX_QUEUE_LIMIT, tx);
	gsa_nest_end(&r, nest);
	return gsa_call(nl, &r, ack);
}

/* ---- SA requests ---------------------------------------------------------- */

struct gsa_sa gsa_sa_make(int dir, uint32_t spi)
{
	struct gsa_sa sa = {
		.dir = dir, .spi_set = true, .spi = spi,
		.encap = -1, .sport = -1, .dport = -1,
	};

	return sa;
}

void gsa_put_sa(struct gsa_req *r, const struct gsa_sa *sa)
{
	struct nlattr *nest = gsa_nest_start(r, IKETCP_A_SA);

	if (sa->dir >= 0)
		gsa_put_u8(r, IKETCP_SA_DIR, sa->dir);
	if (sa->spi_set)
		gsa_put_u32(r, IKETCP_SA_SPI, htonl(sa->spi));
	if (sa->family)
		gsa_put_u16(r, IKETCP_SA_FAMILY, sa->family);
	if (sa->saddr_len)
		gsa_put(r, IKETCP_SA_SADDR, sa->saddr, sa->saddr_len);
	if (sa->daddr_len)
		gsa_put(r, IKETCP_SA_DADDR, sa->daddr, sa->daddr_len);
	if (sa->encap >= 0)
		gsa_put_u8(r, IKETCP_SA_ENCAP, sa->encap);
	if (sa->sport >= 0)
		gsa_put_u16(r, IKETCP_SA_ENCAP_SPORT, sa->sport);
	if (sa->dport >= 0)
		gsa_put_u16(r, IKETCP_SA_ENCAP_DPORT, sa->dport);
	gsa_nest_end(r, nest);
}

static int sa_cmd(struct gsa_nl *nl, uint8_t cmd, int fd,
		  const struct gsa_sa *sa, struct gsa_ack *ack)
{
	struct gsa_req r;

	gsa_req_init(nl, &r, cmd);
	if (fd >= 0)
		gsa_put_u32(&r, IKETCP_A_SOCK_FD, fd);
	if (sa)
		gsa_put_sa(&r, sa);
	return gsa_call(nl, &r, ack);
}

int gsa_bind(struct gsa_nl *nl, int fd, const struct gsa_sa *sa,
	     struct gsa_ack *ack)
{
	return sa_cmd(nl, IKETCP_CMD_BIND_SA, fd, sa, ack);
}

int gsa_unbind(struct gsa_nl *nl, int fd, const struct gsa_sa *sa,
	       struct gsa_ack *ack)
{
	return sa_cmd(nl, IKETCP_CMD_UNBIND_SA, fd, sa, ack);
}

/* ---- sockets and dumps ---------------------------------------------------- */

static uint32_t count_sas(const struct nlattr *sas)
{
	struct nlattr *a;
	uint32_t n = 0;

	gsa_for_each_nested(a, sas)
		n += GSA_A_TYPE(a) == IKETCP_A_SA;
	return n;
}

/* The attributes of a socket that are plain values, by type. */
static void sock_value(const struct nlattr *a, struct gsa_sock *s)
{
	switch (GSA_A_TYPE(a)) {
	case IKETCP_SOCK_INODE:
		s->inode = gsa_get_u64(a);
		break;
	case IKETCP_SOCK_FAMILY:
		s->family = gsa_get_u16(a);
		break;
	case IKETCP_SOCK_SPORT:
		s->sport = gsa_get_u16(a);
		break;
	case IKETCP_SOCK_DPORT:
		s->dport = gsa_get_u16(a);
		break;
	case IKETCP_SOCK_FRAMING:
		s->framing = gsa_get_u8(a);
		break;
	case IKETCP_SOCK_ROLE:
		s->role = gsa_get_u8(a);
		break;
	case IKETCP_SOCK_RX_QUEUED:
		s->rx_queued = gsa_get_u32(a);
		break;
	case IKETCP_SOCK_TX_QUEUED:
		s->tx_queued = gsa_get_u32(a);
		break;
	}
}

void gsa_parse_sock(const struct nlattr *nest, struct gsa_sock *s)
{
	struct nlattr *a;

	memset(s, 0, sizeof(*s));
	gsa_for_each_nested(a, nest) {
		switch (GSA_A_TYPE(a)) {
		case IKETCP_SOCK_SADDR:
			s->addr_len = gsa_get_addr(a, s->saddr);
			break;
		case IKETCP_SOCK_DADDR:
			gsa_get_addr(a, s->daddr);
			break;
		case IKETCP_SOCK_RX_MEM:
			s->has_rx_mem = true;
			s->rx_mem = gsa_get_u32(a);
			break;
		case IKETCP_SOCK_TX_MEM:
			s->has_tx_mem = true;
			s->tx_mem = gsa_get_u32(a);
			break;
		case IKETCP_SOCK_COUNTERS:
			parse_counters(a, s->cnt);
			break;
		case IKETCP_SOCK_SAS:
			s->has_sas = true;
			s->nr_sas += count_sas(a);
			break;
		default:
			sock_value(a, s);
		}
	}
}

struct sock_find {
	uint64_t inode;
	struct gsa_sock *s;
	bool *found;
	int seen;
};

static int sock_find_msg(const struct nlmsghdr *n, void *data)
{
	struct sock_find *f = data;
	struct gsa_sock s;
	struct nlattr *a;

	gsa_for_each_msg_attr(a, n) {
		if (GSA_A_TYPE(a) != IKETCP_A_SOCK)
			continue;
		gsa_parse_sock(a, &s);
		f->seen++;
		if (s.inode == f->inode) {
			*f->s = s;
			*f->found = true;
		}
	}
	return 0;
}

int gsa_get_sock(struct gsa_nl *nl, uint64_t inode, struct gsa_sock *s,
		 bool *found)
{
	struct sock_find f = { .inode = inode, .s = s, .found = found };
	struct gsa_req r;
	int ret;

	memset(s, 0, sizeof(*s));
	*found = false;
	gsa_req_init(nl, &r, IKETCP_CMD_GET_SOCKETS);
	r.n.nlmsg_flags |= NLM_F_DUMP;
	ret = gsa_request(nl, &r, sock_find_msg, &f, NULL);
	return ret < 0 ? ret : f.seen;
}

static int grow(void **arr, int n, int *cap, size_t size)
{
	void *p;

	if (n < *cap)
		return 0;
	*cap = *cap ? *cap * 2 : 64;
	p = realloc(*arr, *cap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

static void parse_sa(struct nlattr *nest, struct gsa_dump_sa *s)
{
	struct nlattr *a;

	s->encap = s->sport = s->dport = -1;
	gsa_for_each_nested(a, nest) {
		switch (GSA_A_TYPE(a)) {
		case IKETCP_SA_DIR:
			s->dir = gsa_get_u8(a);
			break;
		case IKETCP_SA_SPI:
			s->spi = ntohl(gsa_get_u32(a));
			break;
		case IKETCP_SA_FAMILY:
			s->family = gsa_get_u16(a);
			break;
		case IKETCP_SA_SADDR:
			s->saddr_len = gsa_get_addr(a, s->saddr);
			break;
		case IKETCP_SA_DADDR:
			s->daddr_len = gsa_get_addr(a, s->daddr);
			break;
		case IKETCP_SA_ENCAP:
			s->encap = gsa_get_u8(a);
			break;
		case IKETCP_SA_ENCAP_SPORT:
			s->sport = gsa_get_u16(a);
			break;
		case IKETCP_SA_ENCAP_DPORT:
			s->dport = gsa_get_u16(a);
			break;
		case IKETCP_SA_PACKETS:
			s->has_packets = true;
			s->packets = gsa_get_u64(a);
			break;
		case IKETCP_SA_BYTES:
			s->has_bytes = true;
			s->bytes = gsa_get_u64(a);
			break;
		case IKETCP_SA_ORPHANED:
			s->orphaned = true;
			break;
		case IKETCP_SA_SOCK_INODE:
			s->inode = gsa_get_u64(a);
			break;
		}
	}
}

struct dump_state {
	struct gsa_dump *d;
	int cap_socks, cap_sas;
};

/* The SA of nest, appended to the dump; NULL when out of memory. */
static struct gsa_dump_sa *add_sa(struct dump_state *st, struct nlattr *nest)
{
	struct gsa_dump *d = st->d;
	struct gsa_dump_sa *x;

	if (grow((void **)&d->sas, d->nsas, &st->cap_sas, sizeof(*x)))
		return NULL;
	x = &d->sas[d->nsas++];
	memset(x, 0, sizeof(*x));
	parse_sa(nest, x);
	return x;
}

static int add_sock(struct dump_state *st, struct nlattr *nest)
{
	struct gsa_dump *d = st->d;
	struct nlattr *a, *sa;
	struct gsa_sock *s;

	if (grow((void **)&d->socks, d->nsocks, &st->cap_socks, sizeof(*s)))
		return -ENOMEM;
	s = &d->socks[d->nsocks++];
	gsa_parse_sock(nest, s);
	/*
	 * A socket with more SAs than fit one message comes in several, each
	 * repeating its attributes: count it once, with all its SAs.
	 */
	if (d->nsocks > 1 && d->socks[d->nsocks - 2].inode == s->inode) {
		d->socks[d->nsocks - 2].has_sas |= s->has_sas;
		d->socks[d->nsocks - 2].nr_sas += s->nr_sas;
		d->nsocks--;
	}
	gsa_for_each_nested(a, nest) {
		if (GSA_A_TYPE(a) != IKETCP_SOCK_SAS)
			continue;
		gsa_for_each_nested(sa, a) {
			struct gsa_dump_sa *x;

			if (GSA_A_TYPE(sa) != IKETCP_A_SA)
				continue;
			x = add_sa(st, sa);
			if (!x)
				return -ENOMEM;
			x->inode = d->socks[d->nsocks - 1].inode;
		}
	}
	return 0;
}

static int dump_msg(const struct nlmsghdr *n, void *data)
{
	struct dump_state *st = data;
	struct nlattr *a;
	int err = 0;

	st->d->nmsgs++;
	if (!(n->nlmsg_flags & NLM_F_MULTI))
		st->d->all_multi = false;
	gsa_for_each_msg_attr(a, n) {
		if (GSA_A_TYPE(a) == IKETCP_A_SA)
			err = add_sa(st, a) ? 0 : -ENOMEM;
		else if (GSA_A_TYPE(a) == IKETCP_A_SOCK)
			err = add_sock(st, a);
		if (err)
			return err;
	}
	return 0;
}

int gsa_dump(struct gsa_nl *nl, struct gsa_dump *d)
{
	return gsa_dump_cmd(nl, d, IKETCP_CMD_GET_SOCKETS);
}

/* GET_SOCKETS fills socks and sas; GET_BINDINGS only sas. */
int gsa_dump_cmd(struct gsa_nl *nl, struct gsa_dump *d, int cmd)
{
	struct dump_state st = { .d = d };
	int reads = nl->nreads;
	struct gsa_req r;

	memset(d, 0, sizeof(*d));
	d->all_multi = true;
	gsa_req_init(nl, &r, cmd);
	r.n.nlmsg_flags |= NLM_F_DUMP;
	d->done_error = gsa_request(nl, &r, dump_msg, &st, NULL);
	d->nreads = nl->nreads - reads;
	return d->done_error;
}

void gsa_dump_free(struct gsa_dump *d)
{
	free(d->socks);
	free(d->sas);
	d->socks = NULL;
	d->sas = NULL;
}

const struct gsa_dump_sa *gsa_dump_find(const struct gsa_dump *d, uint8_t dir,
					uint32_t spi, int *count)
{
	const struct gsa_dump_sa *found = NULL;
	int i, c = 0;

	for (i = 0; i < d->nsas; i++) {
		if (d->sas[i].dir == dir && d->sas[i].spi == spi) {
			if (!found)
				found = &d->sas[i];
			c++;
		}
	}
	if (count)
		*count = c;
	return found;
}

const struct gsa_sock *gsa_dump_sock(const struct gsa_dump *d, uint64_t inode)
{
	int i;

	for (i = 0; i < d->nsocks; i++)
		if (d->socks[i].inode == inode)
			return &d->socks[i];
	return NULL;
}

/* ---- events --------------------------------------------------------------- */

int gsa_join_events(struct gsa_nl *nl)
{
	uint32_t grp = nl->events_grp;

	if (!grp)
		return -ENOENT;
	if (setsockopt(nl->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp,
		       sizeof(grp)))
		return -errno;
	return 0;
}

static void parse_event(const struct nlmsghdr *n, struct gsa_event *ev)
{
	struct nlattr *a, *b;

	memset(ev, 0, sizeof(*ev));
	ev->dir = -1;
	gsa_for_each_msg_attr(a, n) {
		switch (GSA_A_TYPE(a)) {
		case IKETCP_A_EVENT:
			ev->event = gsa_get_u32(a);
			break;
		case IKETCP_A_SOCK:
			gsa_parse_sock(a, &ev->sock);
			break;
		case IKETCP_A_SA:
			ev->has_sa = true;
			gsa_for_each_nested(b, a) {
				if (GSA_A_TYPE(b) == IKETCP_SA_DIR)
					ev->dir = gsa_get_u8(b);
				if (GSA_A_TYPE(b) == IKETCP_SA_SPI) {
					ev->has_spi = true;
					ev->spi = ntohl(gsa_get_u32(b));
				}
			}
			break;
		}
	}
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int gsa_wait_event(struct gsa_nl *nl, uint32_t event, int timeout_ms,
		   struct gsa_event *ev)
{
	long long end = mono_ms() + timeout_ms;
	uint8_t buf[16384];
	struct nlmsghdr *n;
	int len;

	for (;;) {
		struct pollfd p = { .fd = nl->fd, .events = POLLIN };
		long long left = end - mono_ms();

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, left) == 0)
			return -ETIMEDOUT;
		len = recv(nl->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -errno;
		}
		for (n = (struct nlmsghdr *)buf; NLMSG_OK(n, len);
		     n = NLMSG_NEXT(n, len)) {
			if (n->nlmsg_type != nl->family_id ||
			    n->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN) ||
			    ((uint8_t *)NLMSG_DATA(n))[0] != IKETCP_CMD_EVENT)
				continue;
			parse_event(n, ev);
			if (!event || ev->event == event)
				return 0;
		}
	}
}
