// SPDX-License-Identifier: GPL-2.0
/*
 * Child SA -> XFRM states and policies: see install.h.
 */
#include <netinet/in.h>
#include <string.h>

#include "install.h"
#include "net/transport.h"

static void ss_addr(const struct sockaddr_storage *ss, union ik_xfrm_addr *a,
		    uint16_t *port)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		a->v4 = s4->sin_addr;
		*port = ntohs(s4->sin_port);
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		a->v6 = s6->sin6_addr;
		*port = ntohs(s6->sin6_port);
	}
}

static void ts_to_xfrm(const struct ike_ts *t, struct ik_xfrm_ts *x)
{
	memset(x, 0, sizeof(*x));
	x->family = t->type == IKE_TS_IPV6_ADDR_RANGE ? AF_INET6 : AF_INET;
	memcpy(x->start.b, t->start, x->family == AF_INET6 ? 16 : 4);
	memcpy(x->end.b, t->end, x->family == AF_INET6 ? 16 : 4);
	x->proto = t->ipproto;
	x->port_start = t->start_port;
	x->port_end = t->end_port;
}

/* One direction's state: inbound (peer -> us) or outbound. */
static void fill_sa(const struct ike_sa *sa, const struct child_sa *c,
		    const struct ik_conn *conn, const struct ik_global *g,
		    bool inbound, struct ik_xfrm_sa *x)
{
	union ik_xfrm_addr local, remote;
	uint16_t lport, rport;
	const uint8_t *keys = c->keymat + (inbound ? 0 :
					   c->enc_len + c->integ_len);

	ss_addr(&sa->local, &local, &lport);
	ss_addr(&sa->remote, &remote, &rport);
	memset(x, 0, sizeof(*x));
	x->family = sa->remote.ss_family;
	x->src = inbound ? remote : local;
	x->dst = inbound ? local : remote;
	x->spi = inbound ? c->spi_in : c->spi_out;
	x->reqid = c->reqid;
	x->mode = c->transport ? XFRM_MODE_TRANSPORT : XFRM_MODE_TUNNEL;
	/* ESP in UDP: the daemon chose it (net/transport.c) and its ports */
	if (c->udp_encap) {
		x->encap_sport = inbound ? c->encap_rport : c->encap_lport;
		x->encap_dport = inbound ? c->encap_lport : c->encap_rport;
	}
	x->encr = c->alg.encr;
	x->keybits = c->alg.keybits;
	x->integ = c->alg.integ;
	x->enc_key = keys;
	x->enc_key_len = c->enc_len;
	x->auth_key = c->integ_len ? keys + c->enc_len : NULL;
	x->auth_key_len = c->integ_len;
	x->esn = c->alg.esn;
	x->replay_window = g->replay_window;
	x->lft.soft_secs = conn->rekey_time_ms / 1000;
	x->lft.hard_secs = conn->lifetime_ms / 1000;
}

static void fill_policy(const struct ike_sa *sa, const struct child_sa *c,
			struct ik_xfrm_policy *p)
{
	uint16_t port;

	memset(p, 0, sizeof(*p));
	ts_to_xfrm(&c->ts_local.ts[0], &p->local);
	ts_to_xfrm(&c->ts_remote.ts[0], &p->remote);
	p->family = sa->remote.ss_family;
	ss_addr(&sa->local, &p->local_addr, &port);
	ss_addr(&sa->remote, &p->remote_addr, &port);
	p->mode = c->transport ? XFRM_MODE_TRANSPORT : XFRM_MODE_TUNNEL;
	p->reqid = c->reqid;
	p->priority = 1000;
}

static unsigned int dirs_of(const struct child_sa *c)
{
	return c->transport ? IK_XFRM_DIR_IN | IK_XFRM_DIR_OUT :
		IK_XFRM_DIR_ALL;
}

int ik_child_install(struct ik_xfrm *h, const struct ike_sa *sa,
		     const struct child_sa *c, const struct ik_conn *conn,
		     const struct ik_global *g, bool with_policies,
		     struct ik_xfrm_err *e)
{
	struct ik_xfrm_err ignored;	/* e keeps the first error */
	struct ik_xfrm_sa in, out;
	struct ik_xfrm_policy pol;
	int rc;

	fill_sa(sa, c, conn, g, true, &in);
	fill_sa(sa, c, conn, g, false, &out);
	fill_policy(sa, c, &pol);
	rc = ik_xfrm_sa_add(h, &in, e);
	if (rc)
		return rc;
	rc = ik_xfrm_sa_add(h, &out, e);
	if (rc)
		goto del_in;
	if (with_policies) {
		rc = ik_xfrm_policy_add(h, &pol, dirs_of(c), e);
		if (rc)
			goto del_out;
	}
	return 0;

del_out:
	ik_xfrm_sa_del(h, out.family, &out.dst, out.spi, &ignored);
del_in:
	ik_xfrm_sa_del(h, in.family, &in.dst, in.spi, &ignored);
	return rc;
}

int ik_child_update_encap(struct ik_xfrm *h, const struct ike_sa *sa,
			  const struct child_sa *c, const struct ik_conn *conn,
			  const struct ik_global *g, struct ik_xfrm_err *e)
{
	struct ik_xfrm_sa in, out;
	int rc;

	fill_sa(sa, c, conn, g, true, &in);
	fill_sa(sa, c, conn, g, false, &out);
	rc = ik_xfrm_sa_update(h, &in, e);
	return rc ? rc : ik_xfrm_sa_update(h, &out, e);
}

int ik_child_remove(struct ik_xfrm *h, const struct ike_sa *sa,
		    const struct child_sa *c, struct ik_xfrm_err *e)
{
	union ik_xfrm_addr local, remote;
	struct ik_xfrm_policy pol;
	uint16_t port;
	int rc, first;

	ss_addr(&sa->local, &local, &port);
	ss_addr(&sa->remote, &remote, &port);
	fill_policy(sa, c, &pol);
	first = c->owns_policies ? ik_xfrm_policy_del(h, &pol, dirs_of(c), e) :
		0;
	rc = ik_xfrm_sa_del(h, sa->remote.ss_family, &local, c->spi_in, e);
	if (!first)
		first = rc;
	rc = ik_xfrm_sa_del(h, sa->remote.ss_family, &remote, c->spi_out, e);
	if (!first)
		first = rc;
	return first;
}
