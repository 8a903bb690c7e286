// SPDX-License-Identifier: GPL-2.0
/*
 * ESP SA bindings through the iketcp generic netlink family: espbind.h.
 * Called from the daemon's loop only (one thread); each call is one
 * netlink request answered at once by the module.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "counters.h"
#include "nlmsg.h"
#include "sys/espbind.h"

static int say(char *err, size_t errlen, const char *what,
	       const struct ik_nlerr *e)
{
	snprintf(err, errlen, "%s: %s%s%s", what, strerror(-e->err),
		 e->msg[0] ? ": " : "", e->msg);
	return e->err;
}

static int ensure_open(struct ik_espbind *b, char *err, size_t errlen)
{
	struct ik_nlerr e = { 0 };
	bool lookup;

	if (b->open)
		return 0;
	if (ik_genl_open(&b->g, &e, &lookup) < 0)
		return say(err, errlen, lookup && e.err == -ENOENT ?
			   "iketcp module not loaded" : "generic netlink", &e);
	b->open = true;
	return 0;
}

static int run(struct ik_espbind *b, bool bind, const struct ik_bind *x,
	       struct ik_nlerr *e)
{
	char req[IK_REQ_SIZE];
	struct nlmsghdr *nlh;

	nlh = bind ? ik_req_bind_sa(req, b->g.family, 0, x) :
		     ik_req_unbind_sa(req, b->g.family, 0, x);
	return ik_genl_run(&b->g, nlh, NULL, NULL, e);
}

int ik_espbind_bind(struct ik_espbind *b, int fd, int dir, uint32_t spi,
		    bool udp, uint16_t lport, uint16_t rport, char *err,
		    size_t errlen)
{
	struct ik_bind x = { .fd = fd, .dir = dir, .spi = spi, .udp = udp };
	struct ik_nlerr e = { 0 };
	int rc = ensure_open(b, err, errlen);

	if (rc)
		return rc;
	x.sport = dir == IKETCP_DIR_IN ? rport : lport;
	x.dport = dir == IKETCP_DIR_IN ? lport : rport;
	if (run(b, true, &x, &e) < 0)
		return say(err, errlen, dir == IKETCP_DIR_IN ? "binding the "
			   "inbound SA" : "binding the outbound SA", &e);
	return 0;
}

struct in_find {
	int family;
	uint32_t spi;
	int64_t packets;
};

static int in_cb(const struct nlmsghdr *nlh, void *data)
{
	struct in_find *f = data;
	struct ik_binding bd;

	if (!ik_parse_binding(nlh, &bd) && bd.dir == IKETCP_DIR_IN &&
	    bd.spi == f->spi && bd.family == f->family)
		f->packets = (int64_t)bd.packets;
	return 0;
}

int64_t ik_espbind_in_packets(struct ik_espbind *b, int family, uint32_t spi)
{
	struct in_find f = { .family = family, .spi = spi, .packets = -1 };
	char req[IK_REQ_SIZE], err[128];
	struct ik_nlerr e = { 0 };

	if (ensure_open(b, err, sizeof(err)))
		return -1;
	if (ik_genl_run(&b->g, ik_req_get_bindings(req, b->g.family, 0),
			in_cb, &f, &e) < 0)
		return -1;
	return f.packets;
}

int ik_espbind_unbind(struct ik_espbind *b, int family, const void *local,
		      const void *remote, uint32_t spi_in, uint32_t spi_out,
		      char *err, size_t errlen)
{
	size_t alen = family == AF_INET6 ? 16 : 4;
	struct ik_bind x = { .family = family, .dir = IKETCP_DIR_IN,
			     .spi = spi_in };
	struct ik_nlerr e = { 0 };
	int rc = ensure_open(b, err, errlen);

	if (rc)
		return rc;
	memcpy(x.daddr, local, alen);
	if (run(b, false, &x, &e) < 0 && e.err != -ENOENT)
		rc = say(err, errlen, "unbinding the inbound SA", &e);
	x.dir = IKETCP_DIR_OUT;
	x.spi = spi_out;
	memcpy(x.daddr, remote, alen);
	if (run(b, false, &x, &e) < 0 && e.err != -ENOENT && !rc)
		rc = say(err, errlen, "unbinding the outbound SA", &e);
	return rc;
}

#define ORPHANS_PER_PASS	256

struct orphans {
	struct ik_binding b[ORPHANS_PER_PASS];
	int n;
};

static int orphan_cb(const struct nlmsghdr *nlh, void *data)
{
	struct orphans *o = data;
	struct ik_binding bd;

	if (!ik_parse_binding(nlh, &bd) && bd.orphaned && bd.family &&
	    o->n < ORPHANS_PER_PASS)
		o->b[o->n++] = bd;
	return 0;
}

int ik_espbind_flush_orphans(struct ik_espbind *b, char *err, size_t errlen)
{
	static struct orphans o;
	char req[IK_REQ_SIZE];
	struct ik_nlerr e = { 0 };
	int rc = ensure_open(b, err, errlen), i, total = 0, passes = 0;

	/* IKETCP_MAX_BINDINGS / ORPHANS_PER_PASS passes at most */
	while (!rc && passes++ < IKETCP_MAX_BINDINGS / ORPHANS_PER_PASS) {
		o.n = 0;
		if (ik_genl_run(&b->g, ik_req_get_bindings(req, b->g.family, 0),
				orphan_cb, &o, &e) < 0)
			return say(err, errlen, "listing the bindings", &e);
		for (i = 0; i < o.n; i++) {
			struct ik_bind x = { .dir = o.b[i].dir,
					     .spi = o.b[i].spi,
					     .family = o.b[i].family };

			memcpy(x.daddr, o.b[i].daddr, sizeof(x.daddr));
			if (run(b, false, &x, &e) < 0 && e.err != -ENOENT)
				return say(err, errlen, "unbinding", &e);
		}
		total += o.n;
		if (o.n < ORPHANS_PER_PASS)
			return total;
	}
	return rc ? rc : total;
}

struct reset_find {
	uint64_t inode;
	const char *cause;
};

static int reset_cb(const struct nlmsghdr *nlh, void *data)
{
	static const unsigned int resets[] = {
		IKETCP_CNT_RESET_BAD_PREFIX, IKETCP_CNT_RESET_BAD_LENGTH,
		IKETCP_CNT_RESET_LEGACY_LENGTH, IKETCP_CNT_RESET_URGENT,
	};
	struct reset_find *f = data;
	struct ik_sock sk;
	size_t i;

	if (ik_parse_sock(nlh, &sk) || sk.inode != f->inode)
		return 0;
	for (i = 0; i < sizeof(resets) / sizeof(resets[0]); i++)
		if (sk.counters[resets[i]])
			f->cause = iketcp_counter_name(resets[i]);
	return 0;
}

const char *ik_espbind_reset_cause(struct ik_espbind *b, uint64_t inode)
{
	struct reset_find f = { .inode = inode };
	char req[IK_REQ_SIZE], err[128];
	struct ik_nlerr e = { 0 };

	if (ensure_open(b, err, sizeof(err)))
		return NULL;
	if (ik_genl_run(&b->g, ik_req_get_sockets(req, b->g.family, 0),
			reset_cb, &f, &e) < 0)
		return NULL;
	return f.cause;
}

void ik_espbind_close(struct ik_espbind *b)
{
	if (b->open)
		ik_genl_close(&b->g);
	b->open = false;
}
