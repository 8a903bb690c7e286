// SPDX-License-Identifier: GPL-2.0
/*
 * IKE_AUTH (RFC 7296 1.2, 2.15), carrying the first Child SA, with a
 * pre-shared key or, when the connection has credentials (conn->cred),
 * certificates and signatures (ike/cred.h: RFC 7427 method 14, or RFC 7296
 * method 1 for an RSA peer without RFC 7427).
 *
 * Both sign the same octets: a side's own IKE_SA_INIT message, the other
 * side's nonce, and prf(SK_px, its ID payload body), SK_pi for the
 * initiator, SK_pr for the responder.  With a PSK the AUTH value is
 * prf(prf(PSK, "Key Pad for IKEv2"), those octets); with certificates, a
 * signature over them.
 *
 * Certificates: our CERT payloads (end entity, then intermediates) go in
 * front of AUTH, and an initiator adds CERTREQ (RFC 7296 3.7 order: IDi,
 * CERT, CERTREQ, AUTH).  Which hash we may sign with is what the peer put
 * in its SIGNATURE_HASH_ALGORITHMS notify in IKE_SA_INIT; we read it back
 * from its IKE_SA_INIT message as the SA kept it (sa->init_req or
 * sa->init_resp), so the SA needs no field for it.  Received CERTREQs are
 * ignored: we send our whole chain.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/choose.h"
#include "ike/cred.h"
#include "ike/exchange.h"

/* An ID payload body (type, 3 reserved bytes, data) for our ID. */
static size_t id_body(const struct ike_id *id, uint8_t *out)
{
	out[0] = id->type;
	memset(out + 1, 0, 3);
	memcpy(out + 4, id->data, id->len);
	return 4 + id->len;
}

/*
 * The signed octets of the initiator (for_initiator) or the responder, over
 * the given ID payload body: a malloc()ed buffer in *out, its length in
 * *len.  0 or -1.
 */
static int signed_octets(const struct ike_sa *sa, bool for_initiator,
			 const uint8_t *idbody, size_t idlen, uint8_t **out,
			 size_t *len)
{
	const uint8_t *msg = for_initiator ? sa->init_req : sa->init_resp;
	size_t mlen = for_initiator ? sa->init_req_len : sa->init_resp_len;
	const uint8_t *nonce = for_initiator ? sa->nr : sa->ni;
	size_t nlen = for_initiator ? sa->nr_len : sa->ni_len;
	uint8_t int_auth[2 * IK_PRF_MAX + 4], *octets;
	int n, ialen;

	*out = NULL;
	/* RFC 9242: IKE_INTERMEDIATE messages are authenticated here */
	ialen = ike_intauth(sa, int_auth, sizeof(int_auth));
	if (ialen < 0)
		return -1;
	n = ike_signed_octets(&sa->keys, for_initiator, msg, mlen, nonce, nlen,
			      idbody, idlen, ialen ? int_auth : NULL, ialen,
			      NULL, 0);
	if (n < 0)
		return -1;
	octets = malloc(n);
	if (!octets)
		return -1;
	if (ike_signed_octets(&sa->keys, for_initiator, msg, mlen, nonce,
			      nlen, idbody, idlen, ialen ? int_auth : NULL,
			      ialen, octets, n) < 0) {
		free(octets);
		return -1;
	}
	*out = octets;
	*len = (size_t)n;
	return 0;
}

/*
 * The PSK AUTH value of the initiator (for_initiator) or the responder,
 * over the given ID payload body.  out: prf length bytes.
 */
static int psk_auth(const struct ike_sa *sa, bool for_initiator,
		    const uint8_t *idbody, size_t idlen, uint8_t *out)
{
	const struct ike_conn_params *c = sa->conn;
	uint8_t *octets;
	size_t n;
	int rc;

	if (!c->psk_len ||
	    signed_octets(sa, for_initiator, idbody, idlen, &octets, &n))
		return -1;
	rc = ike_psk_auth(sa->alg.prf, c->psk, c->psk_len, octets, n, out);
	free(octets);
	return rc < 0 ? -1 : 0;
}

/*
 * What the peer announced in SIGNATURE_HASH_ALGORITHMS in its IKE_SA_INIT
 * message: *mask, and whether it sent the notify at all.  0 or -1.
 */
static int peer_hash_algs(const struct ike_sa *sa, bool *announced,
			  uint32_t *mask)
{
	const uint8_t *raw = sa->initiator ? sa->init_resp : sa->init_req;
	size_t len = sa->initiator ? sa->init_resp_len : sa->init_req_len;
	const struct ike_notify_pl *n;
	struct ike_msg *m;

	*announced = false;
	*mask = 0;
	if (!raw)
		return -1;
	m = malloc(sizeof(*m));
	if (!m)
		return -1;
	if (ike_msg_parse(raw, len, m).err) {
		free(m);
		return -1;
	}
	n = ike_msg_notify(m, IKE_N_SIGNATURE_HASH_ALGORITHMS);
	if (n) {
		*announced = true;
		*mask = ike_hash_algs_mask(n->data.p, n->data.len);
	}
	free(m);
	return 0;
}

static uint32_t spi32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

static void put_spi32(uint8_t *p, uint32_t spi)
{
	spi = htonl(spi);
	memcpy(p, &spi, 4);
}

static bool id_matches(const struct ike_id *want, const struct ike_id_pl *got)
{
	if (!want->type)
		return true;	/* any ID the authentication accepts */
	return got->type == want->type &&
	       ike_id_equal(want->type, want->data, want->len, got->data.p,
			    got->data.len);
}

/* The peer's certificates and signature (conn->cred); 0 or -1. */
static int verify_peer_cert(struct ike_sa *sa, const struct ike_msg *m,
			    const struct ike_id_pl *id)
{
	struct ike_peer_auth pa = {
		.certs = m->certs, .n_certs = m->n_certs,
		.id_type = id->type, .id = id->data.p, .id_len = id->data.len,
		.method = m->auth.method, .auth = m->auth.data.p,
		.auth_len = m->auth.data.len,
	};
	uint32_t mask;
	uint8_t *octets;
	size_t n;
	char why[200];
	int rc;

	if (m->auth.method != IKE_AUTH_DIGITAL_SIG &&
	    m->auth.method != IKE_AUTH_RSA_SIG)
		return ike_sa_fail(sa, "peer authenticates with method %u, "
				   "configured: certificates", m->auth.method);
	if (peer_hash_algs(sa, &pa.peer_announced, &mask) ||
	    signed_octets(sa, !sa->initiator, id->body.p, id->body.len,
			  &octets, &n))
		return ike_sa_fail(sa, "out of memory");
	pa.octets = octets;
	pa.octets_len = n;
	rc = ike_cred_verify(sa->conn->cred, &pa, why, sizeof(why));
	free(octets);
	if (rc)
		return ike_sa_fail(sa, "%s", why);
	return 0;
}

/* Check the peer's AUTH payload against its ID; 0 or -1. */
static int verify_peer(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_id_pl *id = sa->initiator ? &m->idr : &m->idi;
	uint8_t want[IK_PRF_MAX];
	size_t plen = ik_prf_len(sa->alg.prf);

	if (!(sa->initiator ? m->has_idr : m->has_idi) || !m->has_auth)
		return ike_sa_fail(sa, "IKE_AUTH without ID or AUTH payload");
	if (!id_matches(&sa->conn->remote_id, id))
		return ike_sa_fail(sa, "peer's ID is not the one configured");
	if (sa->conn->cred)
		return verify_peer_cert(sa, m, id);
	if (m->auth.method != IKE_AUTH_PSK)
		return ike_sa_fail(sa, "peer authenticates with method %u, "
				   "configured: PSK", m->auth.method);
	if (psk_auth(sa, !sa->initiator, id->body.p, id->body.len, want) ||
	    m->auth.data.len != plen ||
	    CRYPTO_memcmp(want, m->auth.data.p, plen))
		return ike_sa_fail(sa, "peer's AUTH does not verify (wrong "
				   "pre-shared key?)");
	return 0;
}

/* Our ID, CERT(s), CERTREQ (initiator) and signature AUTH payloads. */
static int put_id_cert_auth(struct ike_sa *sa, struct ike_wbuf *w,
			    const uint8_t *body, size_t blen)
{
	const struct ike_id *id = &sa->conn->local_id;
	const struct ike_cred *cred = sa->conn->cred;
	uint8_t *octets, *auth, method;
	size_t n, alen;
	uint32_t mask;
	bool announced;
	char why[160];
	int rc;

	if (peer_hash_algs(sa, &announced, &mask) ||
	    signed_octets(sa, sa->initiator, body, blen, &octets, &n))
		return ike_sa_fail(sa, "cannot compute AUTH: out of memory");
	rc = ike_cred_sign(cred, announced, mask, octets, n, &method, &auth,
			   &alen, why, sizeof(why));
	free(octets);
	if (rc)
		return ike_sa_fail(sa, "cannot compute AUTH: %s", why);
	ike_w_id(w, sa->initiator ? IKE_PL_IDI : IKE_PL_IDR, id->type,
		 id->data, id->len);
	ike_cred_put_certs(cred, w);
	if (sa->initiator)
		ike_cred_put_certreq(cred, w);
	ike_w_auth(w, method, auth, alen);
	free(auth);
	return 0;
}

/* Our ID and AUTH payloads (and CERTs with certificates). */
static int put_id_auth(struct ike_sa *sa, struct ike_wbuf *w)
{
	const struct ike_id *id = &sa->conn->local_id;
	uint8_t body[4 + IKE_MAX_ID], auth[IK_PRF_MAX];
	size_t blen = id_body(id, body);

	if (sa->conn->cred)
		return put_id_cert_auth(sa, w, body, blen);
	if (psk_auth(sa, sa->initiator, body, blen, auth))
		return ike_sa_fail(sa, "cannot compute AUTH (no PSK?)");
	ike_w_id(w, sa->initiator ? IKE_PL_IDI : IKE_PL_IDR, id->type,
		 id->data, id->len);
	ike_w_auth(w, IKE_AUTH_PSK, auth, ik_prf_len(sa->alg.prf));
	return 0;
}

static void put_child_offer(struct ike_sa *sa, struct child_sa *c,
			    struct ike_wbuf *w)
{
	const struct ike_conn_params *conn = sa->conn;
	uint8_t spi[4];
	struct ike_sa_pl sapl;

	put_spi32(spi, c->spi_in);

	if (conn->transport)
		ike_w_notify(w, 0, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_props_to_sa(conn->esp, conn->n_esp, IKE_PROTO_ESP,
			spi, 4, &sapl);
	ike_w_sa(w, &sapl);
	ike_w_ts(w, IKE_PL_TSI, &conn->ts_local);
	ike_w_ts(w, IKE_PL_TSR, &conn->ts_remote);
}

int ike_auth_start(struct ike_sa *sa, struct ike_effects *fx)
{
	uint8_t buf[IKE_MAX_MSG];
	struct ike_wbuf w;

	sa->pending = ike_child_new(sa);
	if (!sa->pending)
		return ike_sa_fail(sa, "out of memory");
	sa->auth_mid = sa->next_msgid;
	ike_w_init(&w, buf, sizeof(buf));
	if (put_id_auth(sa, &w))
		return -1;
	if (sa->initial_contact)
		ike_w_notify(&w, 0, NULL, 0, IKE_N_INITIAL_CONTACT, NULL, 0);
	put_child_offer(sa, sa->pending, &w);
	if (ike_sk_build(sa, IKE_AUTH, false, sa->next_msgid, &w, &sa->req))
		return ike_sa_fail(sa, "cannot build IKE_AUTH request");
	sa->next_msgid++;
	sa->tries = 0;
	sa->state = IKE_S_AUTH_SENT;
	fx->send = &sa->req;
	return 0;
}

/* Responder: the first Child SA from SAi2/TSi/TSr; NULL + notify if not. */
static struct child_sa *accept_child(struct ike_sa *sa,
				     const struct ike_msg *m,
				     struct ike_proposal *reply,
				     uint16_t *notify)
{
	const struct ike_conn_params *conn = sa->conn;
	struct child_sa *c;

	*notify = IKE_N_NO_PROPOSAL_CHOSEN;
	if (!m->has_sa || !m->has_tsi || !m->has_tsr)
		return NULL;
	c = ike_child_new(sa);
	if (!c)
		return NULL;
	if (ike_choose(&m->sa, IKE_PROTO_ESP, conn->esp, conn->n_esp, false,
		       &c->alg, reply))
		goto refuse;
	/* the peer's SPI is in the proposal we chose (same number) */
	for (int i = 0; i < m->sa.n; i++)
		if (m->sa.p[i].num == reply->num &&
		    m->sa.p[i].protocol == IKE_PROTO_ESP)
			c->spi_out = spi32(m->sa.p[i].spi);
	reply->spi_size = 4;
	put_spi32(reply->spi, c->spi_in);
	if (!!ike_msg_notify(m, IKE_N_USE_TRANSPORT_MODE) != conn->transport) {
		*notify = IKE_N_NO_PROPOSAL_CHOSEN;
		goto refuse;
	}
	*notify = IKE_N_TS_UNACCEPTABLE;
	if (ike_child_narrow(sa, c, &m->tsi, &m->tsr) || ike_child_keys(sa, c))
		goto refuse;
	return c;
refuse:
	child_sa_free(c);
	return NULL;
}

int ike_auth_request(struct ike_sa *sa, const struct ike_msg *m,
		     struct ike_effects *fx)
{
	uint8_t buf[IKE_MAX_MSG];
	struct ike_proposal reply;
	struct ike_wbuf w;
	struct child_sa *c;
	uint16_t notify;

	sa->auth_mid = m->hdr.msgid;
	ike_w_init(&w, buf, sizeof(buf));
	/* every additional key exchange must have run (RFC 9370 2.2.2) */
	if (sa->state != IKE_S_INIT_DONE || ike_inter_pending(sa) ||
	    verify_peer(sa, m) || put_id_auth(sa, &w)) {
		ike_w_init(&w, buf, sizeof(buf));
		ike_w_notify(&w, 0, NULL, 0, IKE_N_AUTHENTICATION_FAILED,
			     NULL, 0);
		if (!ike_sk_build(sa, IKE_AUTH, true, m->hdr.msgid, &w,
				  &sa->resp))
			fx->send = &sa->resp;
		fx->dead = true;
		return -1;
	}
	c = accept_child(sa, m, &reply, &notify);
	if (c) {
		struct ike_sa_pl sapl = { .n = 1, .p = { reply } };

		if (c->transport)
			ike_w_notify(&w, 0, NULL, 0, IKE_N_USE_TRANSPORT_MODE,
				     NULL, 0);
		ike_w_sa(&w, &sapl);
		ike_w_ts(&w, IKE_PL_TSI, &c->ts_remote);
		ike_w_ts(&w, IKE_PL_TSR, &c->ts_local);
	} else {
		/* the IKE SA stands without a Child SA (RFC 7296 1.2) */
		ike_w_notify(&w, 0, NULL, 0, notify, NULL, 0);
	}
	if (ike_sk_build(sa, IKE_AUTH, true, m->hdr.msgid, &w, &sa->resp)) {
		child_sa_free(c);
		return ike_sa_fail(sa, "cannot build IKE_AUTH response");
	}
	fx->send = &sa->resp;
	sa->state = IKE_S_ESTABLISHED;
	fx->established = true;
	fx->initial_contact = ike_msg_notify(m, IKE_N_INITIAL_CONTACT) != NULL;
	if (c) {
		c->next = sa->children;
		sa->children = c;
		fx->install[fx->n_install++] = c;
	} else {
		ike_sa_fail(sa, "IKE SA up without a Child SA: %s",
			    ike_notify_name(notify));
	}
	return 0;
}

int ike_auth_response(struct ike_sa *sa, const struct ike_msg *m,
		      struct ike_effects *fx)
{
	const struct ike_notify_pl *err = ike_msg_error(m);
	struct child_sa *c = sa->pending;
	struct ike_proposal got;

	if (sa->state != IKE_S_AUTH_SENT)
		return ike_sa_fail(sa, "IKE_AUTH response out of order");
	sa->req.len = 0;
	fx->dead = true;
	if (err && (err->type == IKE_N_AUTHENTICATION_FAILED ||
		    !m->has_auth))
		return ike_sa_fail(sa, "peer refused IKE_AUTH: %s",
				   ike_notify_name(err->type));
	if (verify_peer(sa, m))
		return -1;
	fx->dead = false;
	sa->state = IKE_S_ESTABLISHED;
	fx->established = true;
	sa->pending = NULL;
	if (err || !m->has_sa || !m->has_tsi || !m->has_tsr) {
		child_sa_free(c);
		return ike_sa_fail(sa, "IKE SA up, Child SA refused: %s",
				   err ? ike_notify_name(err->type) :
				   "no SA or TS payloads");
	}
	if (ike_check_choice(&m->sa, IKE_PROTO_ESP, sa->conn->esp,
			     sa->conn->n_esp, false, &c->alg, &got) ||
	    got.spi_size != 4 ||
	    !!ike_msg_notify(m, IKE_N_USE_TRANSPORT_MODE) != c->transport ||
	    ike_child_check_ts(sa, c, &m->tsi, &m->tsr)) {
		child_sa_free(c);
		/* RFC 7296 1.2: the Child SA is to be deleted; it never was */
		return ike_sa_fail(sa, "IKE SA up, responder's Child SA "
				   "answer unacceptable");
	}
	c->spi_out = spi32(got.spi);
	if (ike_child_keys(sa, c)) {
		child_sa_free(c);
		return ike_sa_fail(sa, "Child SA key derivation failed");
	}
	c->next = sa->children;
	sa->children = c;
	fx->install[fx->n_install++] = c;
	return 0;
}
