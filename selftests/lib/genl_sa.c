// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink helpers for the SA binding tests; see genl_sa.h.
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

#define A_DATA(a)	((uint8_t *)(a) + NLA_HDRLEN)
#define A_LEN(a)	((int)(a)->nla_len - NLA_HDRLEN)
#define A_TYPE(a)	((a)->nla_type & NLA_TYPE_MASK)

/* Each well-formed attribute in [p, p + len). */
#define for_each_attr(a, p, len)					\
	for (a = (struct nlattr *)(p);					\
	     (uint8_t *)a + NLA_HDRLEN <= (uint8_t *)(p) + (len) &&	\
	     a->nla_len >= NLA_HDRLEN &&					\
	     (uint8_t *)a + a->nla_len <= (uint8_t *)(p) + (len);	\
	     a = (struct nlattr *)((uint8_t *)a + NLA_ALIGN(a->nla_len)))

#define for_each_nested(a, nest) for_each_attr(a, A_DATA(nest), A_LEN(nest))

static uint8_t get_u8(const struct nlattr *a)
{
	return A_LEN(a) >= 1 ? *A_DATA(a) : 0;
}

static uint16_t get_u16(const struct nlattr *a)
{
	uint16_t v = 0;

	if (A_LEN(a) >= 2)
		memcpy(&v, A_DATA(a), 2);
	return v;
}

static uint32_t get_u32(const struct nlattr *a)
{
	uint32_t v = 0;

	if (A_LEN(a) >= 4)
		memcpy(&v, A_DATA(a), 4);
	return v;
}

static uint64_t get_u64(const struct nlattr *a)
{
	uint64_t v = 0;

	if (A_LEN(a) >= 8)
		memcpy(&v, A_DATA(a), 8);
	return v;
}

static int get_addr(const struct nlattr *a, uint8_t *out)
{
	int l = A_LEN(a);

	if (l < 0 || l > 16)
		return 0;
	memcpy(out, A_DATA(a), l);
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

	for_each_nested(g, groups) {
		uint32_t id = 0;
		bool match = false;

		for_each_nested(a, g) {
			if (A_TYPE(a) == CTRL_ATTR_MCAST_GRP_ID)
				id = get_u32(a);
			if (A_TYPE(a) == CTRL_ATTR_MCAST_GRP_NAME &&
			    A_LEN(a) == (int)strlen(name) + 1 &&
			    !memcmp(A_DATA(a), name, strlen(name) + 1))
				match = true;
		}
		if (match)
			return id;
	}
	return 0;
}

int gsa_family_lookup(const char *name, uint32_t *events_grp)
{
	struct gsa_nl ctl = { .family_id = GENL_ID_CTRL };
	struct gsa_req r;
	struct nlmsghdr *n;
	struct nlattr *a;
	uint8_t *buf;
	int len, ret = -ENOENT;

	ctl.fd = nl_socket();
	if (ctl.fd < 0)
		return ctl.fd;
	buf = malloc(RXBUF);
	if (!buf) {
		close(ctl.fd);
		return -ENOMEM;
	}
	gsa_req_init(&ctl, &r, CTRL_CMD_GETFAMILY);
	r.g[1] = 1;
	gsa_put(&r, CTRL_ATTR_FAMILY_NAME, name, strlen(name) + 1);
	if (send(ctl.fd, &r, r.n.nlmsg_len, 0) < 0) {
		ret = -errno;
		goto out;
	}
	len = recv(ctl.fd, buf, RXBUF, 0);
	if (len < 0) {
		ret = -errno;
		goto out;
	}
	n = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(n, len)) {
		ret = -EPROTO;
		goto out;
	}
	if (n->nlmsg_type == NLMSG_ERROR) {
		ret = ((struct nlmsgerr *)NLMSG_DATA(n))->error ?: -EPROTO;
		goto out;
	}
	if (events_grp)
		*events_grp = 0;
	for_each_attr(a, (uint8_t *)NLMSG_DATA(n) + GENL_HDRLEN,
		      n->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN)) {
		if (A_TYPE(a) == CTRL_ATTR_FAMILY_ID)
			ret = get_u16(a);
		if (A_TYPE(a) == CTRL_ATTR_MCAST_GROUPS && events_grp)
			*events_grp = find_group(a, IKETCP_MCGRP_EVENTS);
	}
out:
	free(buf);
	close(ctl.fd);
	return ret;
}

int gsa_open(struct gsa_nl *nl)
{
	int id;

	memset(nl, 0, sizeof(*nl));
	nl->fd = -1;
	id = gsa_family_lookup(IKETCP_GENL_NAME, &nl->events_grp);
	if (id < 0)
		return id;
	nl->family_id = id;
	nl->fd = nl_socket();
	return nl->fd < 0 ? nl->fd : 0;
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
		memcpy(A_DATA(a), data, len);
	memset(A_DATA(a) + len, 0, NLA_ALIGN(a->nla_len) - a->nla_len);
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

static void parse_ack(struct nlmsghdr *n, struct gsa_ack *ack)
{
	struct nlmsgerr *e = NLMSG_DATA(n);
	struct nlattr *a;
	uint8_t *tlvs;
	int rem;

	ack->error = e->error;
	if (!(n->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	tlvs = (uint8_t *)e + sizeof(*e);
	if (!(n->nlmsg_flags & NLM_F_CAPPED))
		tlvs += NLMSG_ALIGN(e->msg.nlmsg_len) - sizeof(e->msg);
	rem = (uint8_t *)n + n->nlmsg_len - tlvs;
	if (rem <= 0)
		return;
	for_each_attr(a, tlvs, rem) {
		switch (A_TYPE(a)) {
		case NLMSGERR_ATTR_MSG:
			snprintf(ack->msg, sizeof(ack->msg), "%.*s", A_LEN(a),
				 (char *)A_DATA(a));
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			ack->miss_type = get_u32(a);
			break;
		case NLMSGERR_ATTR_MISS_NEST:
			ack->miss_nest = get_u32(a);
			break;
		case NLMSGERR_ATTR_OFFS:
			ack->offs = get_u32(a);
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

int gsa_call(struct gsa_nl *nl, struct gsa_req *r, struct gsa_ack *ack)
{
	struct gsa_ack tmp;
	uint8_t buf[16384];
	struct nlmsghdr *n;
	int len;

	if (!ack)
		ack = &tmp;
	ack_init(ack);
	r->n.nlmsg_flags |= NLM_F_ACK;
	if (send(nl->fd, r, r->n.nlmsg_len, 0) < 0)
		return ack->error = -errno;
	for (;;) {
		len = recv(nl->fd, buf, sizeof(buf), 0);
		if (len < 0)
			return ack->error = -errno;
		for (n = (struct nlmsghdr *)buf; NLMSG_OK(n, len);
		     n = NLMSG_NEXT(n, len)) {
			if (n->nlmsg_seq != r->n.nlmsg_seq)
				continue;	/* a stale answer */
			if (n->nlmsg_type == NLMSG_ERROR) {
				parse_ack(n, ack);
				return ack->error;
			}
		}
	}
}

int gsa_get_netns(struct gsa_nl *nl, uint32_t *nr_sockets,
		  uint32_t *nr_bindings)
{
	uint8_t buf[16384];
	struct gsa_req r;
	struct nlmsghdr *n;
	struct nlattr *a;
	int len;

	gsa_req_init(nl, &r, IKETCP_CMD_GET_NETNS);
	if (send(nl->fd, &r, r.n.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		len = recv(nl->fd, buf, sizeof(buf), 0);
		if (len < 0)
			return -errno;
		for (n = (struct nlmsghdr *)buf; NLMSG_OK(n, len);
		     n = NLMSG_NEXT(n, len)) {
			if (n->nlmsg_seq != r.n.nlmsg_seq)
				continue;
			if (n->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(n))->error ?:
				       -EPROTO;
			if (n->nlmsg_type != nl->family_id)
				continue;
			for_each_attr(a, (uint8_t *)NLMSG_DATA(n) + GENL_HDRLEN,
				      n->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN)) {
				if (A_TYPE(a) == IKETCP_A_NR_SOCKETS && nr_sockets)
					*nr_sockets = get_u32(a);
				if (A_TYPE(a) == IKETCP_A_NR_BINDINGS &&
				    nr_bindings)
					*nr_bindings = get_u32(a);
			}
			return 0;
		}
	}
}

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

/* ---- dump ----------------------------------------------------------------- */

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
	for_each_nested(a, nest) {
		switch (A_TYPE(a)) {
		case IKETCP_SA_DIR:
			s->dir = get_u8(a);
			break;
		case IKETCP_SA_SPI:
			s->spi = ntohl(get_u32(a));
			break;
		case IKETCP_SA_FAMILY:
			s->family = get_u16(a);
			break;
		case IKETCP_SA_SADDR:
			s->saddr_len = get_addr(a, s->saddr);
			break;
		case IKETCP_SA_DADDR:
			s->daddr_len = get_addr(a, s->daddr);
			break;
		case IKETCP_SA_ENCAP:
			s->encap = get_u8(a);
			break;
		case IKETCP_SA_ENCAP_SPORT:
			s->sport = get_u16(a);
			break;
		case IKETCP_SA_ENCAP_DPORT:
			s->dport = get_u16(a);
			break;
		case IKETCP_SA_PACKETS:
			s->has_packets = true;
			s->packets = get_u64(a);
			break;
		case IKETCP_SA_BYTES:
			s->has_bytes = true;
			s->bytes = get_u64(a);
			break;
		case IKETCP_SA_ORPHANED:
			s->orphaned = true;
			break;
		case IKETCP_SA_SOCK_INODE:
			s->inode = get_u64(a);
			break;
		}
	}
}

static int parse_dump_sock(struct gsa_dump *d, struct nlattr *nest,
			   int *cap_socks, int *cap_sas)
{
	struct gsa_dump_sock *s;
	struct nlattr *a, *sa;

	if (grow((void **)&d->socks, d->nsocks, cap_socks, sizeof(*s)))
		return -ENOMEM;
	s = &d->socks[d->nsocks++];
	memset(s, 0, sizeof(*s));
	for_each_nested(a, nest) {
		switch (A_TYPE(a)) {
		case IKETCP_SOCK_INODE:
			s->inode = get_u64(a);
			break;
		case IKETCP_SOCK_FAMILY:
			s->family = get_u16(a);
			break;
		case IKETCP_SOCK_SADDR:
			s->addr_len = get_addr(a, s->saddr);
			break;
		case IKETCP_SOCK_DADDR:
			get_addr(a, s->daddr);
			break;
		case IKETCP_SOCK_SPORT:
			s->sport = get_u16(a);
			break;
		case IKETCP_SOCK_DPORT:
			s->dport = get_u16(a);
			break;
		}
	}
	/*
	 * A socket with more SAs than fit one message comes in several, each
	 * repeating its attributes: count it once, with all its SAs.
	 */
	if (d->nsocks > 1 && d->socks[d->nsocks - 2].inode == s->inode) {
		d->nsocks--;
		s = &d->socks[d->nsocks - 1];
	}
	/* Second pass: the inode may come after the SAs in principle. */
	for_each_nested(a, nest) {
		if (A_TYPE(a) != IKETCP_SOCK_SAS)
			continue;
		s->has_sas = true;
		for_each_nested(sa, a) {
			struct gsa_dump_sa *x;

			if (A_TYPE(sa) != IKETCP_A_SA)
				continue;
			if (grow((void **)&d->sas, d->nsas, cap_sas,
				 sizeof(*x)))
				return -ENOMEM;
			x = &d->sas[d->nsas++];
			memset(x, 0, sizeof(*x));
			parse_sa(sa, x);
			x->inode = s->inode;
			s->nr_sas++;
		}
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
	int cap_socks = 0, cap_sas = 0, len, err;
	struct gsa_req r;
	struct nlmsghdr *n;
	struct nlattr *a;
	uint8_t *buf;

	memset(d, 0, sizeof(*d));
	d->all_multi = true;
	buf = malloc(RXBUF);
	if (!buf)
		return -ENOMEM;
	gsa_req_init(nl, &r, cmd);
	r.n.nlmsg_flags |= NLM_F_DUMP;
	if (send(nl->fd, &r, r.n.nlmsg_len, 0) < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		len = recv(nl->fd, buf, RXBUF, 0);
		if (len < 0) {
			err = -errno;
			goto out;
		}
		d->nreads++;
		for (n = (struct nlmsghdr *)buf; NLMSG_OK(n, len);
		     n = NLMSG_NEXT(n, len)) {
			if (n->nlmsg_seq != r.n.nlmsg_seq)
				continue;
			if (n->nlmsg_type == NLMSG_DONE) {
				int e = 0;

				if (n->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					memcpy(&e, NLMSG_DATA(n), sizeof(e));
				err = d->done_error = e;
				goto out;
			}
			if (n->nlmsg_type == NLMSG_ERROR) {
				err = d->done_error =
					((struct nlmsgerr *)NLMSG_DATA(n))->error;
				goto out;
			}
			if (n->nlmsg_type != nl->family_id)
				continue;
			d->nmsgs++;
			if (!(n->nlmsg_flags & NLM_F_MULTI))
				d->all_multi = false;
			for_each_attr(a, (uint8_t *)NLMSG_DATA(n) + GENL_HDRLEN,
				      n->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN)) {
				if (A_TYPE(a) == IKETCP_A_SA) {
					struct gsa_dump_sa *x;

					if (grow((void **)&d->sas, d->nsas,
						 &cap_sas, sizeof(*x))) {
						err = -ENOMEM;
						goto out;
					}
					x = &d->sas[d->nsas++];
					memset(x, 0, sizeof(*x));
					parse_sa(a, x);
					continue;
				}
				if (A_TYPE(a) != IKETCP_A_SOCK)
					continue;
				err = parse_dump_sock(d, a, &cap_socks,
						      &cap_sas);
				if (err)
					goto out;
			}
		}
	}
out:
	free(buf);
	return err;
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

const struct gsa_dump_sock *gsa_dump_sock(const struct gsa_dump *d,
					  uint64_t inode)
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

static void parse_event(struct nlmsghdr *n, struct gsa_event *ev)
{
	struct nlattr *a, *b;

	memset(ev, 0, sizeof(*ev));
	ev->dir = -1;
	for_each_attr(a, (uint8_t *)NLMSG_DATA(n) + GENL_HDRLEN,
		      n->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN)) {
		switch (A_TYPE(a)) {
		case IKETCP_A_EVENT:
			ev->event = get_u32(a);
			break;
		case IKETCP_A_SOCK:
			for_each_nested(b, a) {
				switch (A_TYPE(b)) {
				case IKETCP_SOCK_INODE:
					ev->inode = get_u64(b);
					break;
				case IKETCP_SOCK_FAMILY:
					ev->family = get_u16(b);
					break;
				case IKETCP_SOCK_SADDR:
					ev->addr_len = get_addr(b, ev->saddr);
					break;
				case IKETCP_SOCK_DADDR:
					get_addr(b, ev->daddr);
					break;
				case IKETCP_SOCK_SPORT:
					ev->sport = get_u16(b);
					break;
				case IKETCP_SOCK_DPORT:
					ev->dport = get_u16(b);
					break;
				}
			}
			break;
		case IKETCP_A_SA:
			ev->has_sa = true;
			for_each_nested(b, a) {
				if (A_TYPE(b) == IKETCP_SA_DIR)
					ev->dir = get_u8(b);
				if (A_TYPE(b) == IKETCP_SA_SPI) {
					ev->has_spi = true;
					ev->spi = ntohl(get_u32(b));
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
