// SPDX-License-Identifier: GPL-2.0
/*
 * IKE_INTERMEDIATE (RFC 9242) carrying the additional key exchanges of
 * RFC 9370, between IKE_SA_INIT and IKE_AUTH.
 *
 * Exchange n (1-based) carries ADDKEn: the initiator's KE payload in the
 * request, the responder's in the response, both under SK with the keys
 * of exchange n-1.  Once both sides have it (the initiator on the
 * response, the responder after sending its response), the keys become
 *
 *	SKEYSEED(n) = prf(SK_d(n-1), SK(n) | Ni | Nr)
 *	{SK_d(n) | SK_ai(n) | ... | SK_pr(n)} = prf+(SKEYSEED(n),
 *						   Ni | Nr | SPIi | SPIr)
 *
 * with the IKE_SA_INIT nonces and SPIs, i.e. ike_keys_rekey() with the
 * SPIs unchanged.
 *
 * Every IKE_INTERMEDIATE message is authenticated later, in IKE_AUTH,
 * through IntAuth (RFC 9242 3.3.2):
 *
 *	IntAuth_in = prf(SK_pi, IntAuth_i(n-1) | A | P)   (first: no prefix)
 *	IntAuth_rn = prf(SK_pr, IntAuth_r(n-1) | A | P)
 *	IntAuth    = IntAuth_iN | IntAuth_rN | IKE_AUTH_MID
 *
 * with the SK_p of the keys that protected message n.  P is the message's
 * inner payloads in clear; A is its IKE header and the Encrypted payload's
 * generic header with both Length fields counting only A and P (no IV,
 * padding or ICV), so IntAuth does not depend on the cipher, on
 * fragmentation (RFC 7383) or on the transport.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "ike/exchange.h"

/* The IKE_INTERMEDIATE messages are small: one KE payload each. */
#define INTER_PLAIN_MAX	(IKE_GENERIC_HDR_LEN + 4 + IK_KEX_MAX)

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

bool ike_inter_pending(const struct ike_sa *sa)
{
	return sa->addke_next < IKE_MAX_ADDKE &&
	       sa->alg.addke[sa->addke_next] != 0;
}

/*
 * Fold one IKE_INTERMEDIATE message into IntAuth_i (from_initiator) or
 * IntAuth_r.  msg: the message as sent or received, whose first sk_off
 * bytes are the IKE header and any payloads before SK (or SKF); plain the
 * decrypted inner chain, first its first payload type.
 */
int ike_intauth_add(struct ike_sa *sa, bool from_initiator,
		    const uint8_t *msg, size_t sk_off, uint8_t first,
		    const uint8_t *plain, size_t plen)
{
	uint8_t *acc = from_initiator ? sa->int_auth_i : sa->int_auth_r;
	const uint8_t *key = from_initiator ? sa->keys.sk_pi : sa->keys.sk_pr;
	uint8_t a[IKE_HDR_LEN + 64 + IKE_GENERIC_HDR_LEN];
	size_t alen = sk_off + IKE_GENERIC_HDR_LEN;
	struct ik_iov iov[3];
	int n = 0;

	if (sk_off < IKE_HDR_LEN || alen > sizeof(a) ||
	    plen > IKE_MAX_MSG - alen)
		return ike_sa_fail(sa, "IKE_INTERMEDIATE message too odd for "
				   "IntAuth");
	memcpy(a, msg, sk_off);
	/* as if unfragmented: SK, not SKF, follows the header chain */
	if (sk_off == IKE_HDR_LEN)
		a[16] = IKE_PL_SK;
	put_be32(a + 24, (uint32_t)(alen + plen));
	a[sk_off] = first;
	a[sk_off + 1] = 0;
	a[sk_off + 2] = (uint8_t)((IKE_GENERIC_HDR_LEN + plen) >> 8);
	a[sk_off + 3] = (uint8_t)(IKE_GENERIC_HDR_LEN + plen);
	if (sa->int_auth_n)
		iov[n++] = (struct ik_iov){ acc, sa->keys.prf_len };
	iov[n++] = (struct ik_iov){ a, alen };
	iov[n++] = (struct ik_iov){ plain, plen };
	if (ik_prfv(sa->keys.prf, key, sa->keys.prf_len, iov, n, acc) < 0)
		return ike_sa_fail(sa, "IntAuth computation failed");
	return 0;
}

/* Both messages of exchange n are in IntAuth: SK(n) replaces the keys. */
static int update_keys(struct ike_sa *sa, const uint8_t *sk, size_t sklen)
{
	struct ike_keys nk;
	int rc;

	rc = ike_keys_rekey(&nk, sa->keys.sk_d, sa->keys.prf, sa->alg.prf,
			    sa->alg.encr, sa->alg.keybits, sa->alg.integ, sk,
			    sklen, sa->ni, sa->ni_len, sa->nr, sa->nr_len,
			    sa->spi_i, sa->spi_r);
	if (rc == 0)
		sa->keys = nk;
	ike_keys_wipe(&nk);
	sa->int_auth_n++;
	sa->addke_next++;
	return rc ? ike_sa_fail(sa, "key update after ADDKE%u failed",
				sa->addke_next) : 0;
}

/* Our request or response of this exchange: built, sealed, in IntAuth. */
static int send_inter(struct ike_sa *sa, bool response, uint32_t msgid,
		      const struct ike_wbuf *w, struct ike_out *out)
{
	if (ike_sk_build(sa, IKE_INTERMEDIATE, response, msgid, w, out))
		return ike_sa_fail(sa, "cannot build IKE_INTERMEDIATE");
	return ike_intauth_add(sa, sa->initiator, out->buf, IKE_HDR_LEN,
			       ike_w_first(w), w->p, w->len);
}

int ike_inter_start(struct ike_sa *sa, struct ike_effects *fx)
{
	uint16_t group = sa->alg.addke[sa->addke_next];
	uint8_t buf[INTER_PLAIN_MAX], pub[IK_KEX_MAX];
	struct ike_wbuf w;
	int plen;

	ik_kex_free(sa->kex);
	sa->kex = ik_kex_new(group);
	sa->kex_group = group;
	if (!sa->kex)
		return ike_sa_fail(sa, "additional key exchange %u "
				   "unavailable", group);
	plen = ik_kex_public(sa->kex, pub, sizeof(pub));
	if (plen < 0)
		return ike_sa_fail(sa, "additional key exchange %u failed",
				   group);
	ike_w_init(&w, buf, sizeof(buf));
	ike_w_ke(&w, group, pub, plen);
	if (send_inter(sa, false, sa->next_msgid, &w, &sa->req))
		return -1;
	sa->next_msgid++;
	sa->tries = 0;
	sa->state = IKE_S_INTER_SENT;
	fx->send = &sa->req;
	return 0;
}

/* The KE payload of exchange n must be of ADDKEn, with the right length. */
static int check_ke(struct ike_sa *sa, const struct ike_msg *m,
		    bool we_initiated)
{
	uint16_t group = sa->alg.addke[sa->addke_next];

	if (!m->has_ke || m->ke.group != group)
		return ike_sa_fail(sa, "IKE_INTERMEDIATE %u without a KE "
				   "payload of ADDKE%u's method %u",
				   m->hdr.msgid, sa->addke_next + 1, group);
	if (m->ke.data.len != ik_kex_peer_len(group, we_initiated))
		return ike_sa_fail(sa, "IKE_INTERMEDIATE %u: KE data of %zu "
				   "bytes for method %u", m->hdr.msgid,
				   m->ke.data.len, group);
	return 0;
}

static int received(struct ike_sa *sa, const struct ike_msg *m)
{
	return ike_intauth_add(sa, !sa->initiator, m->raw.p,
			       m->has_skf ? m->skf.offset : m->sk.offset,
			       m->inner_first, m->inner.p, m->inner.len);
}

/*
 * RFC 9242 lets an initiator run IKE_INTERMEDIATE exchanges for its own
 * purposes (libreswan's intermediate=yes sends an empty one): with no
 * additional key exchange left, one without KE is answered empty, and
 * both messages still go into IntAuth.
 */
static int empty_exchange(struct ike_sa *sa, const struct ike_msg *m,
			  struct ike_effects *fx)
{
	struct ike_wbuf w;
	uint8_t buf[16];

	if (m->has_ke || received(sa, m)) {
		ike_reply_error(sa, m, IKE_N_INVALID_SYNTAX, fx);
		return ike_sa_fail(sa, "IKE_INTERMEDIATE %u with a KE payload "
				   "but no additional key exchange left",
				   m->hdr.msgid);
	}
	ike_w_init(&w, buf, sizeof(buf));
	if (send_inter(sa, true, m->hdr.msgid, &w, &sa->resp))
		return -1;
	sa->int_auth_n++;
	fx->dead = false;
	fx->send = &sa->resp;
	return 0;
}

int ike_inter_request(struct ike_sa *sa, const struct ike_msg *m,
		      struct ike_effects *fx)
{
	uint8_t buf[INTER_PLAIN_MAX], pub[IK_KEX_MAX], sk[IK_SECRET_MAX];
	struct ike_wbuf w;
	int n = -1, plen;

	fx->dead = true;	/* any failure here ends the half-open SA */
	if (sa->initiator || sa->state != IKE_S_INIT_DONE || !sa->inter_ok) {
		ike_reply_error(sa, m, IKE_N_INVALID_SYNTAX, fx);
		return ike_sa_fail(sa, "unexpected IKE_INTERMEDIATE request");
	}
	if (!ike_inter_pending(sa))
		return empty_exchange(sa, m, fx);
	if (check_ke(sa, m, false) || received(sa, m)) {
		ike_reply_error(sa, m, IKE_N_INVALID_SYNTAX, fx);
		return -1;
	}
	ik_kex_free(sa->kex);
	sa->kex = ik_kex_new_responder(sa->alg.addke[sa->addke_next]);
	if (sa->kex)
		n = ik_kex_shared(sa->kex, m->ke.data.p, m->ke.data.len, sk,
				  sizeof(sk));
	plen = n < 0 ? -1 : ik_kex_public(sa->kex, pub, sizeof(pub));
	if (plen < 0) {
		OPENSSL_cleanse(sk, sizeof(sk));
		ike_reply_error(sa, m, IKE_N_INVALID_SYNTAX, fx);
		return ike_sa_fail(sa, "peer's ADDKE%u value is invalid",
				   sa->addke_next + 1);
	}
	ike_w_init(&w, buf, sizeof(buf));
	ike_w_ke(&w, sa->alg.addke[sa->addke_next], pub, plen);
	/* the response goes out under the keys of this exchange; its
	 * request's retransmissions come under them too */
	ike_sa_keep_rx_key(sa, m->hdr.msgid);
	if (send_inter(sa, true, m->hdr.msgid, &w, &sa->resp) ||
	    update_keys(sa, sk, n)) {
		OPENSSL_cleanse(sk, sizeof(sk));
		sa->resp.len = 0;
		return -1;
	}
	OPENSSL_cleanse(sk, sizeof(sk));
	fx->dead = false;
	fx->send = &sa->resp;
	return 0;
}

int ike_inter_response(struct ike_sa *sa, const struct ike_msg *m,
		       struct ike_effects *fx)
{
	uint8_t sk[IK_SECRET_MAX];
	const struct ike_notify_pl *err;
	int n, rc;

	if (sa->state != IKE_S_INTER_SENT)
		return ike_sa_fail(sa, "IKE_INTERMEDIATE response out of "
				   "order");
	fx->dead = true;
	err = ike_msg_error(m);
	if (err)
		return ike_sa_fail(sa, "peer refused IKE_INTERMEDIATE: %s",
				   ike_notify_name(err->type));
	if (check_ke(sa, m, true) || received(sa, m))
		return -1;
	n = ik_kex_shared(sa->kex, m->ke.data.p, m->ke.data.len, sk,
			  sizeof(sk));
	if (n < 0)
		return ike_sa_fail(sa, "peer's ADDKE%u value is invalid",
				   sa->addke_next + 1);
	rc = update_keys(sa, sk, n);
	OPENSSL_cleanse(sk, sizeof(sk));
	if (rc)
		return -1;
	ik_kex_free(sa->kex);
	sa->kex = NULL;
	sa->req.len = 0;
	fx->dead = false;
	return ike_inter_pending(sa) ? ike_inter_start(sa, fx) :
				       ike_auth_start(sa, fx);
}

int ike_intauth(const struct ike_sa *sa, uint8_t *out, size_t cap)
{
	size_t plen = sa->keys.prf_len;

	if (!sa->int_auth_n)
		return 0;
	if (cap < 2 * plen + 4)
		return -1;
	memcpy(out, sa->int_auth_i, plen);
	memcpy(out + plen, sa->int_auth_r, plen);
	put_be32(out + 2 * plen, sa->auth_mid);
	return (int)(2 * plen + 4);
}
