// SPDX-License-Identifier: GPL-2.0
/*
 * Config connection -> engine parameters: see conn.h.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "ike/cred.h"

/*
 * The engine takes one transform per type in a proposal; a config proposal
 * may list several of a type ("aes256gcm16-aes128gcm16-prfsha256-x25519").
 * Each combination becomes one engine proposal, in the config's order.
 */
struct expand {
	struct ike_prop *out;
	int n, max;
	bool overflow;
};

static void expand_from(const struct ik_proposal *p, int i,
			struct ike_prop cur, struct expand *x)
{
	const struct ike_transform *t;

	if (i == p->n) {
		if (x->n == x->max) {
			x->overflow = true;
			return;
		}
		x->out[x->n++] = cur;
		return;
	}
	t = &p->t[i];
	switch (t->type) {
	case IKE_TT_ENCR:
		cur.encr = t->id;
		cur.keybits = t->keylen;
		break;
	case IKE_TT_PRF:
		cur.prf = t->id;
		break;
	case IKE_TT_INTEG:
		cur.integ = t->id;
		break;
	case IKE_TT_KE:
		cur.ke = t->id;
		break;
	case IKE_TT_ESN:
		cur.esn = t->id == IKE_ESN_YES;
		break;
	default:
		if (t->type >= IKE_TT_ADDKE1 && t->type <= IKE_TT_ADDKE7)
			cur.addke[t->type - IKE_TT_ADDKE1] = t->id;
		break;
	}
	expand_from(p, i + 1, cur, x);
}

static int expand_all(const struct ik_proposals *ps, struct ike_prop *out,
		      uint8_t *n, char *err, size_t errlen, const char *what)
{
	struct expand x = { out, 0, IKE_MAX_PROPS, false };
	int i;

	for (i = 0; i < ps->n; i++)
		expand_from(&ps->p[i], 0, (struct ike_prop){ 0 }, &x);
	if (x.overflow) {
		snprintf(err, errlen, "%s proposals make more than %d "
			 "combinations", what, IKE_MAX_PROPS);
		return -1;
	}
	*n = x.n;
	return 0;
}

static int copy_id(const struct ik_id *from, struct ike_id *to, char *err,
		   size_t errlen)
{
	memset(to, 0, sizeof(*to));
	if (from->type == IK_ID_NONE)
		return 0;
	if (from->len > sizeof(to->data)) {
		snprintf(err, errlen, "ID '%s' is longer than %zu bytes",
			 from->text ? from->text : "", sizeof(to->data));
		return -1;
	}
	to->type = from->type;
	to->len = from->len;
	memcpy(to->data, from->data, from->len);
	return 0;
}

/* A traffic selector list, or the IKE address alone when it is empty. */
static void copy_ts(const struct ik_ts_list *l, const struct ik_addr *a,
		    struct ike_ts_pl *out)
{
	struct ike_ts *t = &out->ts[0];

	memset(out, 0, sizeof(*out));
	if (l->n) {
		out->n = l->n;
		memcpy(out->ts, l->ts, l->n * sizeof(l->ts[0]));
		return;
	}
	out->n = 1;
	t->end_port = 65535;
	if (a->family == AF_INET6) {
		t->type = IKE_TS_IPV6_ADDR_RANGE;
		memcpy(t->start, a->a, 16);
		memcpy(t->end, a->a, 16);
	} else if (a->family == AF_INET) {
		t->type = IKE_TS_IPV4_ADDR_RANGE;
		memcpy(t->start, a->a, 4);
		memcpy(t->end, a->a, 4);
	} else {
		/* %any: whatever the initiator proposes, IPv4 */
		t->type = IKE_TS_IPV4_ADDR_RANGE;
		memset(t->end, 0xff, 4);
	}
}

/*
 * auth = pubkey: the credentials from cert, key and ca (read here, once),
 * and local_id: the certificate's subject DN when none is given, else an
 * identity the certificate must carry (the peer checks it does).
 */
static int load_cred(const struct ik_conn *c, struct ike_conn_params *p,
		     char *err, size_t errlen)
{
	const char *ca[IK_MAX_CA];
	struct ike_cred *cred;
	int n;

	for (n = 0; n < c->n_ca; n++)
		ca[n] = c->ca[n].path;
	if (ike_cred_load(c->cert.path, c->key.path, ca, c->n_ca, &cred, err,
			  errlen))
		return -1;
	if (c->local_id.type == IK_ID_NONE) {
		n = ike_cred_subject(cred, p->local_id.data,
				     sizeof(p->local_id.data));
		if (n < 0) {
			snprintf(err, errlen, "the subject DN of %s is longer "
				 "than %zu bytes: set local_id",
				 c->cert.path, sizeof(p->local_id.data));
			ike_cred_free(cred);
			return -1;
		}
		p->local_id.type = IKE_ID_DER_ASN1_DN;
		p->local_id.len = (uint8_t)n;
	} else if (!ike_cred_has_id(cred, p->local_id.type, p->local_id.data,
				    p->local_id.len)) {
		snprintf(err, errlen, "local_id '%s' is not in certificate %s "
			 "(its subject DN, or a subjectAltName)",
			 c->local_id.text ? c->local_id.text : "",
			 c->cert.path);
		ike_cred_free(cred);
		return -1;
	}
	p->cred = cred;
	return 0;
}

int ik_conn_params(const struct ik_conn *c, struct ike_conn_params *p,
		   char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->name = c->name;
	if (copy_id(&c->local_id, &p->local_id, err, errlen) ||
	    copy_id(&c->remote_id, &p->remote_id, err, errlen) ||
	    expand_all(&c->ike, p->ike, &p->n_ike, err, errlen, "ike") ||
	    expand_all(&c->esp, p->esp, &p->n_esp, err, errlen, "esp"))
		return -1;
	if (c->auth == IK_AUTH_PUBKEY) {
		if (load_cred(c, p, err, errlen))
			return -1;
	} else {
		p->psk = c->psk.p;
		p->psk_len = c->psk.len;
	}
	copy_ts(&c->local_ts, &c->local, &p->ts_local);
	copy_ts(&c->remote_ts, &c->remote, &p->ts_remote);
	p->transport = c->mode == IK_MODE_TRANSPORT;
	return 0;
}

void ik_conn_params_free(struct ike_conn_params *p)
{
	ike_cred_free((struct ike_cred *)p->cred);
	p->cred = NULL;
}

static bool addr_is(const struct ik_addr *a, const struct sockaddr_storage *ss)
{
	if (a->family == AF_UNSPEC)
		return true;
	if (a->family != ss->ss_family)
		return false;
	if (a->family == AF_INET)
		return !memcmp(a->a, &((const struct sockaddr_in *)ss)->sin_addr,
			       4);
	return !memcmp(a->a, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
}

bool ik_conn_matches(const struct ik_conn *c,
		     const struct sockaddr_storage *local,
		     const struct sockaddr_storage *remote)
{
	return addr_is(&c->local, local) && addr_is(&c->remote, remote);
}

void ik_addr_to_ss(const struct ik_addr *a, uint16_t port,
		   struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = a->family;
	if (a->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		memcpy(&s4->sin_addr, a->a, 4);
		s4->sin_port = htons(port);
	} else if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		memcpy(&s6->sin6_addr, a->a, 16);
		s6->sin6_port = htons(port);
	}
}
