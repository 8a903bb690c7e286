// SPDX-License-Identifier: GPL-2.0
/*
 * IKE_FOLLOWUP_KE (RFC 9370 2.2.4): the additional key exchanges of a
 * CREATE_CHILD_SA, new or rekeyed Child SA or IKE SA rekey alike.
 *
 *   CREATE_CHILD_SA  SA, Ni, KEi ...      ->
 *                    <- SA, Nr, KEr, N(ADDITIONAL_KEY_EXCHANGE)(link1) ...
 *   IKE_FOLLOWUP_KE  KEi(1), N(ADDITIONAL_KEY_EXCHANGE)(link1) ->
 *                    <- KEr(1) [, N(ADDITIONAL_KEY_EXCHANGE)(link2)]
 *   ... one exchange per ADDKE of the chosen proposal, in order
 *
 * Nothing is keyed until the last one: then the Child SA's KEYMAT is
 * prf+(SK_d, SK(0) | SK(1) | ... | Ni | Nr), and the new IKE SA's SKEYSEED
 * prf(SK_d (old), SK(0) | SK(1) | ... | Ni | Nr): the usual formulas with
 * the secrets concatenated where g^ir stood, so the callers' done() uses
 * the ordinary derivations on fu->acc.
 *
 * The responder's link is 8 random bytes, new for each exchange; a request
 * without the current one is refused (a stale or replayed follow-up).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/exchange.h"

#define FU_ACC_MAX	((1 + IKE_MAX_ADDKE) * IK_SECRET_MAX)
#define FU_PLAIN_MAX	(2 * IKE_GENERIC_HDR_LEN + 8 + 8 + IK_KEX_MAX)

bool ike_fu_wanted(const struct ike_prop *alg)
{
	return alg->addke[0] != 0;
}

void ike_fu_clear(struct ike_followup *fu)
{
	if (fu->acc) {
		OPENSSL_cleanse(fu->acc, FU_ACC_MAX);
		free(fu->acc);
	}
	ik_kex_free(fu->kex);
	child_sa_free(fu->child);
	ike_sa_free(fu->ns);
	OPENSSL_cleanse(fu, sizeof(*fu));
}

static int fu_add(struct ike_followup *fu, const uint8_t *sk, size_t n)
{
	if (n > FU_ACC_MAX - fu->acc_len)
		return -1;
	memcpy(fu->acc + fu->acc_len, sk, n);
	fu->acc_len += n;
	return 0;
}

static int new_link(struct ike_followup *fu)
{
	return ik_random(fu->link, sizeof(fu->link));
}

int ike_fu_start(struct ike_followup *fu, bool responder,
		 const struct ike_prop *alg, const uint8_t *sk0, size_t n0,
		 const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		 size_t nr_len, ike_fu_done_fn done)
{
	int i;

	ike_fu_clear(fu);
	if (ni_len > sizeof(fu->ni) || nr_len > sizeof(fu->nr))
		return -1;
	fu->acc = malloc(FU_ACC_MAX);
	if (!fu->acc || fu_add(fu, sk0, n0) ||
	    (responder && new_link(fu))) {
		ike_fu_clear(fu);
		return -1;
	}
	for (i = 0; i < IKE_MAX_ADDKE && alg->addke[i]; i++)
		fu->groups[fu->n++] = alg->addke[i];
	memcpy(fu->ni, ni, ni_len);
	fu->ni_len = ni_len;
	memcpy(fu->nr, nr, nr_len);
	fu->nr_len = nr_len;
	fu->done = done;
	fu->active = true;
	return 0;
}

void ike_fu_put_link(struct ike_wbuf *w, const struct ike_followup *fu)
{
	ike_w_notify(w, 0, NULL, 0, IKE_N_ADDITIONAL_KEY_EXCHANGE, fu->link,
		     sizeof(fu->link));
}

/* The link of a message: its N(ADDITIONAL_KEY_EXCHANGE) data. */
static bool get_link(const struct ike_msg *m, uint8_t *link, size_t len)
{
	const struct ike_notify_pl *n =
		ike_msg_notify(m, IKE_N_ADDITIONAL_KEY_EXCHANGE);

	if (!n || n->data.len != len)
		return false;
	memcpy(link, n->data.p, len);
	return true;
}

/* KE(n) of the running exchange: its method, its length for our role. */
static bool ke_ok(const struct ike_followup *fu, const struct ike_msg *m,
		  bool we_initiated)
{
	uint16_t g = fu->groups[fu->next];

	return m->has_ke && m->ke.group == g &&
	       m->ke.data.len == ik_kex_peer_len(g, we_initiated);
}

/* Initiator: the link from the CREATE_CHILD_SA (or last) response. */
int ike_fu_take_link(struct ike_followup *fu, const struct ike_msg *m)
{
	return get_link(m, fu->link, sizeof(fu->link)) ? 0 : -1;
}

int ike_fu_send(struct ike_sa *sa, struct ike_effects *fx)
{
	struct ike_followup *fu = &sa->fu[0];
	uint8_t buf[FU_PLAIN_MAX], pub[IK_KEX_MAX];
	uint16_t g = fu->groups[fu->next];
	struct ike_wbuf w;
	int plen;

	ik_kex_free(fu->kex);
	fu->kex = ik_kex_new(g);
	plen = fu->kex ? ik_kex_public(fu->kex, pub, sizeof(pub)) : -1;
	if (plen < 0)
		return ike_sa_fail(sa, "additional key exchange %u "
				   "unavailable", g);
	ike_w_init(&w, buf, sizeof(buf));
	ike_w_ke(&w, g, pub, plen);
	ike_fu_put_link(&w, fu);
	if (ike_sk_build(sa, IKE_FOLLOWUP_KE, false, sa->next_msgid, &w,
			 &sa->req))
		return ike_sa_fail(sa, "cannot build IKE_FOLLOWUP_KE");
	sa->next_msgid++;
	sa->tries = 0;
	fx->send = &sa->req;
	return 0;
}

/* Initiator: the exchange failed; what waited for it is given up. */
static int abandon(struct ike_sa *sa, struct ike_effects *fx)
{
	struct child_sa *old = ike_child_by_spi_in(sa, sa->creating_old_spi);
	bool ike_rekey = sa->rekey_new != NULL;

	ike_fu_clear(&sa->fu[0]);
	child_sa_free(sa->creating);
	sa->creating = NULL;
	ike_sa_free(sa->rekey_new);
	sa->rekey_new = NULL;
	if (old)
		old->rekeying = false;	/* the daemon tries again later */
	return ike_rekey ? ike_rekey_failed(sa, fx) : -1;
}

int ike_followup_response(struct ike_sa *sa, const struct ike_msg *m,
			  struct ike_effects *fx)
{
	struct ike_followup *fu = &sa->fu[0];
	const struct ike_notify_pl *err = ike_msg_error(m);
	uint8_t sk[IK_SECRET_MAX];
	int n, rc;

	sa->req.len = 0;
	if (!fu->active)
		return ike_sa_fail(sa, "IKE_FOLLOWUP_KE response out of order");
	if (err) {
		ike_sa_fail(sa, "peer refused IKE_FOLLOWUP_KE: %s",
			    ike_notify_name(err->type));
		return abandon(sa, fx);
	}
	if (!ke_ok(fu, m, true)) {
		ike_sa_fail(sa, "IKE_FOLLOWUP_KE response without the KE of "
			    "method %u", fu->groups[fu->next]);
		return abandon(sa, fx);
	}
	n = ik_kex_shared(fu->kex, m->ke.data.p, m->ke.data.len, sk,
			  sizeof(sk));
	rc = n < 0 ? -1 : fu_add(fu, sk, n);
	OPENSSL_cleanse(sk, sizeof(sk));
	if (rc) {
		ike_sa_fail(sa, "peer's additional key exchange %u value is "
			    "invalid", fu->next + 1);
		return abandon(sa, fx);
	}
	if (++fu->next < fu->n) {
		if (ike_fu_take_link(fu, m) || ike_fu_send(sa, fx)) {
			ike_sa_fail(sa, "IKE_FOLLOWUP_KE response without "
				    "the link to the next one");
			return abandon(sa, fx);
		}
		return 0;
	}
	rc = fu->done(sa, fu, fx);
	ike_fu_clear(fu);
	return rc;
}

static int refuse(struct ike_sa *sa, const struct ike_msg *m, uint16_t type,
		  struct ike_effects *fx)
{
	ike_reply_error(sa, m, type, fx);
	return ike_sa_fail(sa, "IKE_FOLLOWUP_KE %u refused: %s",
			   m->hdr.msgid, ike_notify_name(type));
}

/* Refused for good: the peer's exchange is over, and a rekey of ours that
 * waited for it (2.8.2) goes on alone. */
static int give_up(struct ike_sa *sa, const struct ike_msg *m, uint16_t type,
		   struct ike_effects *fx)
{
	int rc;

	ike_fu_clear(&sa->fu[1]);
	rc = refuse(sa, m, type, fx);
	ike_rekey_peer_failed(sa, fx);
	return rc;
}

int ike_followup_request(struct ike_sa *sa, const struct ike_msg *m,
			 struct ike_effects *fx)
{
	struct ike_followup *fu = &sa->fu[1];
	uint8_t buf[FU_PLAIN_MAX], pub[IK_KEX_MAX], sk[IK_SECRET_MAX];
	uint8_t link[sizeof(fu->link)];
	struct ik_kex *k;
	struct ike_wbuf w;
	int n, plen, rc;

	/* RFC 9370 2.2.4: an unknown link is STATE_NOT_FOUND */
	if (!fu->active || !get_link(m, link, sizeof(link)) ||
	    CRYPTO_memcmp(link, fu->link, sizeof(link)))
		return refuse(sa, m, IKE_N_STATE_NOT_FOUND, fx);
	if (!ke_ok(fu, m, false))
		return give_up(sa, m, IKE_N_INVALID_SYNTAX, fx);
	k = ik_kex_new_responder(fu->groups[fu->next]);
	n = k ? ik_kex_shared(k, m->ke.data.p, m->ke.data.len, sk,
			      sizeof(sk)) : -1;
	plen = n < 0 ? -1 : ik_kex_public(k, pub, sizeof(pub));
	rc = plen < 0 ? -1 : fu_add(fu, sk, n);
	OPENSSL_cleanse(sk, sizeof(sk));
	ik_kex_free(k);
	if (rc)
		return give_up(sa, m, IKE_N_INVALID_SYNTAX, fx);
	ike_w_init(&w, buf, sizeof(buf));
	ike_w_ke(&w, fu->groups[fu->next], pub, plen);
	if (++fu->next < fu->n) {
		if (new_link(fu))
			return give_up(sa, m, IKE_N_TEMPORARY_FAILURE, fx);
		ike_fu_put_link(&w, fu);
	}
	if (ike_sk_build(sa, IKE_FOLLOWUP_KE, true, m->hdr.msgid, &w,
			 &sa->resp)) {
		ike_fu_clear(fu);
		return ike_sa_fail(sa, "cannot build IKE_FOLLOWUP_KE answer");
	}
	fx->send = &sa->resp;
	if (fu->next < fu->n)
		return 0;
	rc = fu->done(sa, fu, fx);
	ike_fu_clear(fu);
	return rc;
}
