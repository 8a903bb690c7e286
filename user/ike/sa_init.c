// SPDX-License-Identifier: GPL-2.0
/*
 * IKE_SA_INIT (RFC 7296 1.2, 2.6, 2.7, 2.23): proposals, key exchange,
 * nonces, NAT detection; then the IKE SA's keys.
 *
 * A responder keeps no state for a request it refuses: INVALID_KE_PAYLOAD
 * and NO_PROPOSAL_CHOSEN go out as stateless answers, and no key exchange
 * is computed before the request has passed every check.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/choose.h"
#include "ike/cred.h"
#include "ike/exchange.h"
#include "ike/natd.h"

/* Where IKE_SA_INIT messages are built before the SA keeps a copy of
 * their size: one thread, one message at a time. */
static uint8_t scratch[IKE_OUT_MAX];

/* IKE_TCP_SUPPORTED: the TCP port the peer takes IKE on (2 octets). */
static void put_tcps(struct ike_wbuf *w, const struct ike_conn_params *c)
{
	uint8_t port[2] = { c->tcps_port >> 8, c->tcps_port & 0xff };

	if (c->tcps_port && c->tcps_notify)
		ike_w_notify(w, 0, NULL, 0, c->tcps_notify, port, 2);
}

static uint16_t peer_tcps(const struct ike_conn_params *c,
			  const struct ike_msg *m)
{
	const struct ike_notify_pl *n = c->tcps_notify ?
		ike_msg_notify(m, c->tcps_notify) : NULL;

	if (!n || n->data.len != 2)
		return 0;
	return (uint16_t)(n->data.p[0] << 8 | n->data.p[1]);
}

/* NAT_DETECTION_SOURCE_IP and _DESTINATION_IP for this SA's addresses. */
static void put_natd(struct ike_wbuf *w, const struct ike_sa *sa)
{
	uint8_t h[IKE_NATD_LEN];

	if (!ike_natd_hash(sa->spi_i, sa->spi_r, &sa->local, h))
		ike_w_notify(w, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, h,
			     sizeof(h));
	if (!ike_natd_hash(sa->spi_i, sa->spi_r, &sa->remote, h))
		ike_w_notify(w, 0, NULL, 0,
			     IKE_N_NAT_DETECTION_DESTINATION_IP, h, sizeof(h));
}

static uint8_t *dup_bytes(const uint8_t *p, size_t len)
{
	uint8_t *d = malloc(len);

	if (d)
		memcpy(d, p, len);
	return d;
}

static bool conn_offers_group(const struct ike_conn_params *c, uint16_t g)
{
	int i;

	for (i = 0; i < c->n_ike; i++)
		if (c->ike[i].ke == g)
			return true;
	return false;
}

static bool is_mlkem(uint16_t g)
{
	return g >= IKE_KE_MLKEM512 && g <= IKE_KE_MLKEM1024;
}

/*
 * The IKE proposals usable for this IKE_SA_INIT: over UDP (which cannot
 * fragment it) none whose key exchange is an ML-KEM larger than the
 * connection allows there (the ML-KEM draft: ML-KEM-1024 SHOULD NOT go in
 * an IKE_SA_INIT that may exceed the MTU); with no_addke, none with
 * additional key exchanges (the peer has no IKE_INTERMEDIATE).  Returns
 * how many are left in out.
 */
static int usable_props(const struct ike_conn_params *c, bool tcp,
			bool no_addke, struct ike_prop *out)
{
	int i, n = 0;

	for (i = 0; i < c->n_ike; i++) {
		const struct ike_prop *p = &c->ike[i];

		if (!tcp && is_mlkem(p->ke) && p->ke > c->mlkem_udp_max)
			continue;
		if (no_addke && p->addke[0])
			continue;
		out[n++] = *p;
	}
	return n;
}

static bool props_have_addke(const struct ike_prop *p, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (p[i].addke[0])
			return true;
	return false;
}

int ike_init_start(struct ike_sa *sa, uint16_t group, struct ike_effects *fx)
{
	const struct ike_conn_params *c = sa->conn;
	uint8_t pub[IK_KEX_MAX];
	struct ike_hdr h = { .version = IKE_VERSION, .exchange = IKE_SA_INIT,
			     .flags = IKE_FLAG_INITIATOR };
	struct ike_prop props[IKE_MAX_PROPS];
	struct ike_sa_pl sapl;
	struct ike_wbuf w;
	int plen, nprops;

	nprops = usable_props(c, sa->init_tcp, false, props);
	if (!nprops)
		return ike_sa_fail(sa, "every IKE proposal has an ML-KEM "
				   "larger than mlkem_udp_max, and IKE_SA_INIT "
				   "goes over UDP");
	if (!group)
		group = sa->alg.ke ? sa->alg.ke : props[0].ke;
	sa->alg.ke = group;	/* what a COOKIE retry sends again */
	if (!sa->spi_i && ik_random(&sa->spi_i, sizeof(sa->spi_i)))
		return ike_sa_fail(sa, "no randomness");
	sa->spi_r = 0;
	/* a COOKIE retry repeats the request: same nonce and key (2.6) */
	if (!sa->ni_len) {
		sa->ni_len = IKE_NONCE_LEN;
		if (ik_random(sa->ni, sa->ni_len))
			return ike_sa_fail(sa, "no randomness");
	}
	if (!sa->kex || sa->kex_group != group) {
		ik_kex_free(sa->kex);
		sa->kex = ik_kex_new(group);
		sa->kex_group = group;
	}
	if (!sa->kex)
		return ike_sa_fail(sa, "key exchange group %u unavailable",
				   group);
	plen = ik_kex_public(sa->kex, pub, sizeof(pub));
	if (plen < 0)
		return ike_sa_fail(sa, "key exchange group %u failed", group);

	ike_props_to_sa(props, nprops, IKE_PROTO_IKE, NULL, 0, &sapl);
	h.spi_i = sa->spi_i;
	ike_w_init(&w, scratch, sizeof(scratch));
	ike_w_header(&w, &h);
	if (sa->cookie_len)	/* must be the first payload (2.6) */
		ike_w_notify(&w, 0, NULL, 0, IKE_N_COOKIE, sa->cookie,
			     sa->cookie_len);
	ike_w_sa(&w, &sapl);
	ike_w_ke(&w, group, pub, plen);
	ike_w_nonce(&w, sa->ni, sa->ni_len);
	put_natd(&w, sa);
	if (c->frag)
		ike_w_notify(&w, 0, NULL, 0,
			     IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	if (props_have_addke(props, nprops))
		ike_w_notify(&w, 0, NULL, 0,
			     IKE_N_INTERMEDIATE_EXCHANGE_SUPPORTED, NULL, 0);
	if (sa->sep_offered)
		ike_w_notify(&w, 0, NULL, 0, c->sep_notify, NULL, 0);
	put_tcps(&w, c);
	ike_cred_put_init(c->cred, false, &w);	/* certificates only */
	ike_w_finish(&w);
	if (w.err || ike_out_set(&sa->req, w.p, w.len, 0))
		return ike_sa_fail(sa, "IKE_SA_INIT request does not fit");
	sa->next_msgid = 1;
	sa->tries = 0;
	free(sa->init_req);
	sa->init_req = dup_bytes(w.p, w.len);
	sa->init_req_len = w.len;
	if (!sa->init_req)
		return ike_sa_fail(sa, "out of memory");
	sa->state = IKE_S_INIT_SENT;
	fx->send = &sa->req;
	return 0;
}

int ike_init_notify_reply(const struct ike_hdr *req, uint16_t type,
			  const uint8_t *data, size_t len, struct ike_out *out)
{
	struct ike_hdr h = {
		.spi_i = req->spi_i, .version = IKE_VERSION,
		.exchange = IKE_SA_INIT, .flags = IKE_FLAG_RESPONSE,
		.msgid = req->msgid,
	};
	struct ike_wbuf w;

	ike_w_init(&w, out->buf, out->cap);
	ike_w_header(&w, &h);
	ike_w_notify(&w, 0, NULL, 0, type, data, len);
	ike_w_finish(&w);
	out->len = w.err ? 0 : w.len;
	out->msgid = req->msgid;
	return w.err ? -1 : 0;
}

/* g^ir and the IKE SA's keys, once both nonces and KE values are known. */
static int derive_keys(struct ike_sa *sa, const uint8_t *peer_ke, size_t len)
{
	uint8_t gir[IK_SECRET_MAX];
	int n, rc;

	n = ik_kex_shared(sa->kex, peer_ke, len, gir, sizeof(gir));
	if (n < 0)
		return ike_sa_fail(sa, "peer's key exchange value is invalid");
	rc = ike_keys_derive(&sa->keys, sa->alg.prf, sa->alg.encr,
			     sa->alg.keybits, sa->alg.integ, gir, n, sa->ni,
			     sa->ni_len, sa->nr, sa->nr_len, sa->spi_i,
			     sa->spi_r);
	OPENSSL_cleanse(gir, sizeof(gir));
	if (rc < 0)
		return ike_sa_fail(sa, "key derivation failed");
	sa->have_keys = true;
	return 0;
}

/* The request's checks that need no SA; fills chosen/reply. */
static int check_init_request(const struct ike_conn_params *conn,
			      const struct ike_msg *m, bool tcp,
			      struct ike_prop *chosen,
			      struct ike_proposal *reply, uint16_t *notify,
			      char *why, size_t whylen)
{
	struct ike_prop props[IKE_MAX_PROPS];
	bool inter = ike_msg_notify(m, IKE_N_INTERMEDIATE_EXCHANGE_SUPPORTED);
	int nprops = usable_props(conn, tcp, !inter, props);

	*notify = IKE_N_INVALID_SYNTAX;
	if (!m->has_sa || !m->has_ke || !m->has_nonce || m->hdr.spi_r ||
	    m->hdr.msgid || m->has_sk) {
		snprintf(why, whylen, "IKE_SA_INIT request without SA, KE or "
			 "nonce, or with SPIr or message ID set");
		return -1;
	}
	if (ike_choose(&m->sa, IKE_PROTO_IKE, props, nprops, true,
		       chosen, reply)) {
		*notify = IKE_N_NO_PROPOSAL_CHOSEN;
		snprintf(why, whylen, "no acceptable IKE proposal");
		return -1;
	}
	if (m->ke.group != chosen->ke) {
		*notify = IKE_N_INVALID_KE_PAYLOAD;
		snprintf(why, whylen, "KE group %u, want %u", m->ke.group,
			 chosen->ke);
		return -1;
	}
	if (m->ke.data.len != ik_kex_peer_len(chosen->ke, false)) {
		snprintf(why, whylen, "KE data of %zu bytes for group %u",
			 m->ke.data.len, chosen->ke);
		return -1;
	}
	return 0;
}

static int build_init_response(struct ike_sa *sa,
			       const struct ike_proposal *reply)
{
	uint8_t pub[IK_KEX_MAX];
	struct ike_hdr h = {
		.spi_i = sa->spi_i, .spi_r = sa->spi_r, .version = IKE_VERSION,
		.exchange = IKE_SA_INIT, .flags = IKE_FLAG_RESPONSE,
	};
	struct ike_sa_pl sapl = { .n = 1, .p = { *reply } };
	struct ike_wbuf w;
	int plen = ik_kex_public(sa->kex, pub, sizeof(pub));

	if (plen < 0)
		return ike_sa_fail(sa, "key exchange failed");
	ike_w_init(&w, scratch, sizeof(scratch));
	ike_w_header(&w, &h);
	ike_w_sa(&w, &sapl);
	ike_w_ke(&w, sa->alg.ke, pub, plen);
	ike_w_nonce(&w, sa->nr, sa->nr_len);
	put_natd(&w, sa);
	if (sa->frag_ok)
		ike_w_notify(&w, 0, NULL, 0,
			     IKE_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	if (sa->inter_ok)
		ike_w_notify(&w, 0, NULL, 0,
			     IKE_N_INTERMEDIATE_EXCHANGE_SUPPORTED, NULL, 0);
	if (sa->sep_agreed)	/* the echo: no data (draft section 4) */
		ike_w_notify(&w, 0, NULL, 0, sa->conn->sep_notify, NULL, 0);
	put_tcps(&w, sa->conn);
	ike_cred_put_init(sa->conn->cred, true, &w);	/* certificates only */
	ike_w_finish(&w);
	if (w.err || ike_out_set(&sa->resp, w.p, w.len, 0))
		return ike_sa_fail(sa, "IKE_SA_INIT response does not fit");
	sa->init_resp = dup_bytes(w.p, w.len);
	sa->init_resp_len = w.len;
	return sa->init_resp ? 0 : ike_sa_fail(sa, "out of memory");
}

struct ike_sa *ike_init_respond(struct ike_sa_table *t,
				const struct ike_conn_params *conn,
				const struct ike_msg *m,
				const struct sockaddr_storage *local,
				const struct sockaddr_storage *remote,
				bool tcp, struct ike_out *stateless, char *why,
				size_t whylen, struct ike_effects *fx)
{
	struct ike_proposal reply;
	struct ike_prop chosen;
	uint16_t notify, group;
	struct ike_sa *sa;
	bool bad_ke;

	stateless->len = 0;
	if (check_init_request(conn, m, tcp, &chosen, &reply, &notify, why,
			       whylen)) {
		group = htons(chosen.ke);
		ike_init_notify_reply(&m->hdr, notify,
				      notify == IKE_N_INVALID_KE_PAYLOAD ?
				      (uint8_t *)&group : NULL,
				      notify == IKE_N_INVALID_KE_PAYLOAD ? 2 : 0,
				      stateless);
		return NULL;
	}
	sa = ike_sa_new(t, conn, false);
	if (!sa) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	sa->spi_i = m->hdr.spi_i;
	sa->local = *local;
	sa->remote = *remote;
	sa->alg = chosen;
	sa->peer_msgid = 1;
	sa->ni_len = m->nonce.len;
	memcpy(sa->ni, m->nonce.p, m->nonce.len);
	sa->nr_len = IKE_NONCE_LEN;
	ike_natd_check(m, sa->spi_i, 0, local, remote, &sa->nat_local,
		       &sa->nat_remote);
	/* the echo is mandatory when we have it enabled (draft section 3) */
	sa->sep_offered = conn->sep_notify &&
			  ike_msg_notify(m, conn->sep_notify) != NULL;
	sa->sep_agreed = sa->sep_offered && conn->sep_echo;
	sa->peer_tcp_port = peer_tcps(conn, m);
	sa->frag_ok = conn->frag &&
		      ike_msg_notify(m, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED);
	/* we take IKE_INTERMEDIATE whenever the peer does (RFC 9242 3.1) */
	sa->inter_ok = ike_msg_notify(m, IKE_N_INTERMEDIATE_EXCHANGE_SUPPORTED);
	sa->init_req = dup_bytes(m->raw.p, m->raw.len);
	sa->init_req_len = m->raw.len;
	/* a KEM's responder encapsulates to the initiator's key */
	sa->kex = ik_kex_new_responder(chosen.ke);
	bad_ke = false;
	if (!sa->init_req || !sa->kex ||
	    ik_random(&sa->spi_r, sizeof(sa->spi_r)) ||
	    ik_random(sa->nr, sa->nr_len) ||
	    (bad_ke = derive_keys(sa, m->ke.data.p, m->ke.data.len)) ||
	    build_init_response(sa, &reply)) {
		snprintf(why, whylen, "%s", sa->why[0] ? sa->why :
			 "out of memory or randomness");
		ike_sa_unlink(t, sa);
		ike_sa_free(sa);
		/* a KE value that fails its checks (a point off the curve,
		 * an ML-KEM key that fails FIPS 203 7.2): INVALID_SYNTAX,
		 * as the ML-KEM draft asks */
		if (bad_ke)
			ike_init_notify_reply(&m->hdr, IKE_N_INVALID_SYNTAX,
					      NULL, 0, stateless);
		return NULL;
	}
	sa->state = IKE_S_INIT_DONE;
	t->half_open++;
	fx->send = &sa->resp;
	return sa;
}

/* An error notify in the response: retry (new group, cookie) or give up. */
static int init_response_notify(struct ike_sa *sa, const struct ike_msg *m,
				struct ike_effects *fx, bool *handled)
{
	const struct ike_notify_pl *n;

	*handled = true;
	n = ike_msg_notify(m, IKE_N_COOKIE);
	if (n && n->data.len >= 1 && n->data.len <= sizeof(sa->cookie) &&
	    sa->tries < 3) {
		memcpy(sa->cookie, n->data.p, n->data.len);
		sa->cookie_len = n->data.len;
		sa->tries++;
		return ike_init_start(sa, 0, fx);
	}
	n = ike_msg_notify(m, IKE_N_INVALID_KE_PAYLOAD);
	if (n) {
		uint16_t g;

		if (n->data.len != 2)
			goto fail;
		g = (uint16_t)(n->data.p[0] << 8 | n->data.p[1]);
		if (!conn_offers_group(sa->conn, g) || sa->tries >= 3) {
			fx->dead = true;
			return ike_sa_fail(sa, "peer wants KE group %u, which "
					   "we do not offer", g);
		}
		sa->tries++;
		return ike_init_start(sa, g, fx);
	}
	n = ike_msg_error(m);
	if (n) {
		fx->dead = true;
		return ike_sa_fail(sa, "peer refused IKE_SA_INIT: %s",
				   ike_notify_name(n->type));
	}
	*handled = false;
	return 0;
fail:
	fx->dead = true;
	return ike_sa_fail(sa, "malformed INVALID_KE_PAYLOAD");
}

int ike_init_response(struct ike_sa *sa, const struct ike_msg *m,
		      struct ike_effects *fx)
{
	struct ike_proposal got;
	bool handled;
	int rc;

	if (sa->state != IKE_S_INIT_SENT)
		return ike_sa_fail(sa, "IKE_SA_INIT response out of order");
	rc = init_response_notify(sa, m, fx, &handled);
	if (handled)
		return rc;
	/* from here on, a failure ends the SA: the peer has committed */
	fx->dead = true;
	if (!m->has_sa || !m->has_ke || !m->has_nonce || !m->hdr.spi_r)
		return ike_sa_fail(sa, "IKE_SA_INIT response lacks SA, KE, "
				   "nonce or SPIr");
	if (ike_check_choice(&m->sa, IKE_PROTO_IKE, sa->conn->ike,
			     sa->conn->n_ike, true, &sa->alg, &got))
		return ike_sa_fail(sa, "responder chose a proposal we did not "
				   "offer");
	if (m->ke.group != sa->alg.ke ||
	    m->ke.data.len != ik_kex_peer_len(sa->alg.ke, true))
		return ike_sa_fail(sa, "responder's KE payload does not match "
				   "its choice");
	sa->spi_r = m->hdr.spi_r;
	sa->nr_len = m->nonce.len;
	memcpy(sa->nr, m->nonce.p, m->nonce.len);
	ike_natd_check(m, sa->spi_i, sa->spi_r, &sa->local, &sa->remote,
		       &sa->nat_local, &sa->nat_remote);
	/* an echo we did not ask for means nothing */
	sa->sep_agreed = sa->sep_offered &&
			 ike_msg_notify(m, sa->conn->sep_notify) != NULL;
	sa->peer_tcp_port = peer_tcps(sa->conn, m);
	sa->inter_ok = ike_msg_notify(m, IKE_N_INTERMEDIATE_EXCHANGE_SUPPORTED);
	sa->frag_ok = sa->conn->frag &&
		      ike_msg_notify(m, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED);
	if (sa->alg.addke[0] && !sa->inter_ok)
		return ike_sa_fail(sa, "responder chose additional key "
				   "exchanges without IKE_INTERMEDIATE");
	sa->init_resp = dup_bytes(m->raw.p, m->raw.len);
	sa->init_resp_len = m->raw.len;
	if (!sa->init_resp)
		return ike_sa_fail(sa, "out of memory");
	if (derive_keys(sa, m->ke.data.p, m->ke.data.len))
		return -1;
	sa->req.len = 0;
	fx->dead = false;
	ik_kex_free(sa->kex);	/* its secret is in the keys now */
	sa->kex = NULL;
	return ike_inter_pending(sa) ? ike_inter_start(sa, fx) :
				       ike_auth_start(sa, fx);
}
