// SPDX-License-Identifier: GPL-2.0
/*
 * CREATE_CHILD_SA (RFC 7296 1.3, 2.8, 2.17): a new Child SA, or the rekey
 * of one (N(REKEY_SA) names it by the sender's inbound SPI), with a key
 * exchange when the ESP proposals carry a group (PFS).
 *
 * A rekeyed Child SA's successor takes its reqid and its policies: the
 * kernel sends on the newest state of a reqid, so traffic moves to the new
 * SA as soon as it is installed, and the old one's DELETE removes only its
 * states.  The initiator deletes the old SA once the new one is up.
 *
 * With RFC 9370 additional key exchanges in the chosen proposal the new
 * Child SA is keyed, and installed, only after the IKE_FOLLOWUP_KE
 * exchanges (followup.c).
 *
 * Simultaneous rekeys of one Child SA (2.8.1) leave two new pairs; the
 * exchange with the lowest nonce made the redundant one, and its
 * initiator deletes it (resolve_simultaneous()).
 *
 * The IKE SA's own rekey is in rekey.c.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/choose.h"
#include "ike/exchange.h"

static int error_reply(struct ike_sa *sa, const struct ike_msg *m,
		       uint16_t type, const uint8_t *data, size_t len,
		       struct ike_effects *fx)
{
	uint8_t buf[64];
	struct ike_wbuf w;

	ike_w_init(&w, buf, sizeof(buf));
	ike_w_notify(&w, 0, NULL, 0, type, data, len);
	if (ike_sk_build(sa, IKE_CREATE_CHILD_SA, true, m->hdr.msgid, &w,
			 &sa->resp))
		return ike_sa_fail(sa, "cannot build CREATE_CHILD_SA answer");
	fx->send = &sa->resp;
	return ike_sa_fail(sa, "CREATE_CHILD_SA refused: %s",
			   ike_notify_name(type));
}

/* The request's SA, nonce, KE, selectors, and N(REKEY_SA) when rekeying. */
static int build_request(struct ike_sa *sa, struct child_sa *c,
			 uint32_t old_spi_in, uint16_t group)
{
	const struct ike_conn_params *conn = sa->conn;
	uint8_t buf[IKE_MAX_MSG], spi[4], pub[IK_KEX_MAX];
	struct ike_sa_pl sapl;
	struct ike_wbuf w;
	int plen;

	ike_w_init(&w, buf, sizeof(buf));
	if (old_spi_in) {
		ike_spi32_put(spi, old_spi_in);
		ike_w_notify(&w, IKE_PROTO_ESP, spi, 4, IKE_N_REKEY_SA, NULL, 0);
	}
	if (c->transport)
		ike_w_notify(&w, 0, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_spi32_put(spi, c->spi_in);
	if (group)
		ike_props_to_sa_pfs(conn->esp, conn->n_esp, spi, &sapl);
	else
		ike_props_to_sa(conn->esp, conn->n_esp, IKE_PROTO_ESP, spi, 4,
				&sapl);
	ike_w_sa(&w, &sapl);
	ike_w_nonce(&w, sa->cnonce, sizeof(sa->cnonce));
	ik_kex_free(sa->ckex);
	sa->ckex = NULL;
	if (group) {
		sa->ckex = ik_kex_new(group);
		plen = sa->ckex ? ik_kex_public(sa->ckex, pub, sizeof(pub)) : -1;
		if (plen < 0)
			return ike_sa_fail(sa, "PFS group %u unavailable", group);
		ike_w_ke(&w, group, pub, plen);
	}
	ike_w_ts(&w, IKE_PL_TSI, &c->ts_local);
	ike_w_ts(&w, IKE_PL_TSR, &c->ts_remote);
	if (ike_sk_build(sa, IKE_CREATE_CHILD_SA, false, sa->next_msgid, &w,
			 &sa->req))
		return ike_sa_fail(sa, "cannot build CREATE_CHILD_SA request");
	sa->next_msgid++;
	sa->tries = 0;
	return 0;
}

static uint16_t pfs_group(const struct ike_conn_params *conn)
{
	return conn->n_esp ? conn->esp[0].ke : 0;
}

int ike_create_child(struct ike_sa *sa, struct child_sa *old,
		     struct ike_effects *fx)
{
	struct child_sa *c;

	if (sa->state != IKE_S_ESTABLISHED || sa->req.len || sa->creating)
		return ike_sa_fail(sa, "busy: CREATE_CHILD_SA not started");
	c = ike_child_new(sa);
	if (!c || ik_random(sa->cnonce, sizeof(sa->cnonce))) {
		child_sa_free(c);
		return ike_sa_fail(sa, "out of memory or randomness");
	}
	if (old) {
		c->ts_local = old->ts_local;
		c->ts_remote = old->ts_remote;
	}
	if (build_request(sa, c, old ? old->spi_in : 0,
			  pfs_group(sa->conn))) {
		child_sa_free(c);
		return -1;
	}
	sa->creating = c;
	sa->creating_old_spi = old ? old->spi_in : 0;
	if (old)
		old->rekeying = true;
	fx->send = &sa->req;
	return 0;
}

/* Responder: g^ir (n bytes, 0 without KE) and our KE (plen bytes). */
static int responder_kex(struct ike_sa *sa, struct child_sa *c,
			 const struct ike_msg *m, uint8_t *gir, int *n,
			 uint8_t *pub, int *plen)
{
	struct ik_kex *k;

	*n = *plen = 0;
	if (!m->has_ke)
		return 0;
	k = ik_kex_new_responder(c->alg.ke);
	*n = k ? ik_kex_shared(k, m->ke.data.p, m->ke.data.len, gir,
			       IK_SECRET_MAX) : -1;
	*plen = *n < 0 ? -1 : ik_kex_public(k, pub, IK_KEX_MAX);
	ik_kex_free(k);
	if (*n < 0 || *plen < 0)
		return ike_sa_fail(sa, "PFS key exchange failed");
	return 0;
}

int ike_nonce_cmp(const uint8_t *a, size_t alen, const uint8_t *b,
		  size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : (alen > blen) - (alen < blen);
}

/*
 * RFC 7296 2.8.1: when both sides rekeyed one Child SA, the exchange with
 * the lowest of the four nonces made the redundant SA, and its initiator
 * deletes it.  Both sides see the same nonces, so they agree; ours is
 * queued for DELETE when it lost, the peer deletes its own otherwise.
 * Noted per IKE SA by the old SA's inbound SPI, which the peer's DELETE of
 * the old SA may take away before our own rekey's answer comes.
 */
static void resolve_simultaneous(struct ike_sa *sa)
{
	if (!sa->rk[0].set || !sa->rk[1].set)
		return;
	if (ike_nonce_cmp(sa->rk[0].nonce, sa->rk[0].len, sa->rk[1].nonce,
		      sa->rk[1].len) < 0 &&
	    sa->n_to_delete < IKE_FX_REMOVE_MAX)
		sa->to_delete[sa->n_to_delete++] = sa->rk[0].new_spi_in;
	sa->rk[0].set = sa->rk[1].set = false;
}

/* Note one rekey exchange (which: 0 ours, 1 the peer's) of the Child SA
 * whose inbound SPI was old_spi. */
static void note_rekey(struct ike_sa *sa, uint32_t old_spi, int which,
		       const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		       size_t nr_len, uint32_t new_spi_in)
{
	bool i_low = ike_nonce_cmp(ni, ni_len, nr, nr_len) < 0;
	const uint8_t *low = i_low ? ni : nr;
	size_t len = i_low ? ni_len : nr_len;

	if (!old_spi || len > sizeof(sa->rk[which].nonce))
		return;
	if (sa->rk_old_spi != old_spi) {
		sa->rk[0].set = sa->rk[1].set = false;
		sa->rk_old_spi = old_spi;
	}
	memcpy(sa->rk[which].nonce, low, len);
	sa->rk[which].len = (uint16_t)len;
	sa->rk[which].new_spi_in = new_spi_in;
	sa->rk[which].set = true;
	resolve_simultaneous(sa);
}

/* Responder: a rekeyed Child SA's successor takes over its policies. */
static void take_over(struct child_sa *c, struct child_sa *old)
{
	if (!old)
		return;
	c->reqid = old->reqid;
	c->owns_policies = old->owns_policies;
	old->owns_policies = false;
}

static int answer(struct ike_sa *sa, const struct ike_msg *m,
		  struct child_sa *c, const struct ike_proposal *reply,
		  const uint8_t *nr, const uint8_t *pub, int plen,
		  const struct ike_followup *fu, struct ike_effects *fx)
{
	struct ike_sa_pl sapl = { .n = 1, .p = { *reply } };
	uint8_t buf[IKE_MAX_MSG];
	struct ike_wbuf w;

	ike_w_init(&w, buf, sizeof(buf));
	if (c->transport)
		ike_w_notify(&w, 0, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_w_sa(&w, &sapl);
	ike_w_nonce(&w, nr, IKE_NONCE_LEN);
	if (plen > 0)
		ike_w_ke(&w, c->alg.ke, pub, plen);
	if (fu)		/* RFC 9370: IKE_FOLLOWUP_KE exchanges follow */
		ike_fu_put_link(&w, fu);
	ike_w_ts(&w, IKE_PL_TSI, &c->ts_remote);
	ike_w_ts(&w, IKE_PL_TSR, &c->ts_local);
	if (ike_sk_build(sa, IKE_CREATE_CHILD_SA, true, m->hdr.msgid, &w,
			 &sa->resp))
		return ike_sa_fail(sa, "cannot build CREATE_CHILD_SA response");
	fx->send = &sa->resp;
	return 0;
}

static void responder_child_up(struct ike_sa *sa, struct child_sa *c,
			       struct child_sa *old, const uint8_t *ni,
			       size_t ni_len, const uint8_t *nr, size_t nr_len,
			       struct ike_effects *fx)
{
	if (old)
		note_rekey(sa, old->spi_in, 1, ni, ni_len, nr, nr_len,
			   c->spi_in);
	take_over(c, old);
	c->next = sa->children;
	sa->children = c;
	fx->install[fx->n_install++] = c;
}

/* Responder, RFC 9370: the Child SA's keys wait for IKE_FOLLOWUP_KE. */
static int fu_responder_done(struct ike_sa *sa, struct ike_followup *fu,
			     struct ike_effects *fx)
{
	struct child_sa *c = fu->child, *old = NULL;

	fu->child = NULL;
	if (fu->old_spi_out)
		old = ike_child_by_spi_out(sa, fu->old_spi_out);
	if (ike_child_keys_from(sa, c, false, fu->acc, fu->acc_len, fu->ni,
				fu->ni_len, fu->nr, fu->nr_len)) {
		child_sa_free(c);
		return -1;
	}
	responder_child_up(sa, c, old, fu->ni, fu->ni_len, fu->nr, fu->nr_len,
			   fx);
	return 0;
}

static int defer_child(struct ike_sa *sa, const struct ike_msg *m,
		       struct child_sa *c, struct child_sa *old,
		       const struct ike_proposal *reply, const uint8_t *nr,
		       uint8_t *gir, int n, const uint8_t *pub, int plen,
		       struct ike_effects *fx)
{
	struct ike_followup *fu = &sa->fu[1];
	int rc;

	rc = ike_fu_start(fu, true, &c->alg, gir, n, m->nonce.p,
			  m->nonce.len, nr, IKE_NONCE_LEN, fu_responder_done);
	OPENSSL_cleanse(gir, IK_SECRET_MAX);
	if (rc || answer(sa, m, c, reply, nr, pub, plen, fu, fx)) {
		ike_fu_clear(fu);
		child_sa_free(c);
		return ike_sa_fail(sa, "cannot start IKE_FOLLOWUP_KE");
	}
	fu->child = c;
	fu->old_spi_out = old ? old->spi_out : 0;
	return 0;
}

int ike_create_request(struct ike_sa *sa, const struct ike_msg *m,
		       struct ike_effects *fx)
{
	const struct ike_conn_params *conn = sa->conn;
	const struct ike_notify_pl *rk = ike_msg_notify(m, IKE_N_REKEY_SA);
	uint8_t nr[IKE_NONCE_LEN], pub[IK_KEX_MAX], gir[IK_SECRET_MAX];
	struct child_sa *c, *old = NULL;
	struct ike_proposal reply;
	int plen, n, rc;

	/* an SA we are closing takes nothing new (2.8.2: nor its rekey) */
	if (sa->state == IKE_S_DELETING)
		return error_reply(sa, m, IKE_N_TEMPORARY_FAILURE, NULL, 0, fx);
	if (sa->state != IKE_S_ESTABLISHED || !m->has_sa || !m->has_nonce)
		return error_reply(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0, fx);
	if (m->sa.n && m->sa.p[0].protocol == IKE_PROTO_IKE)
		return ike_rekey_request(sa, m, fx);
	if (!m->has_tsi || !m->has_tsr)
		return error_reply(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0, fx);
	if (rk) {
		old = rk->spi.len == 4 ?
			ike_child_by_spi_out(sa, ike_spi32_get(rk->spi.p)) : NULL;
		if (!old)
			return error_reply(sa, m, IKE_N_CHILD_SA_NOT_FOUND,
					   NULL, 0, fx);
	}
	c = ike_child_new(sa);
	if (!c)
		return ike_sa_fail(sa, "out of memory");
	if (ike_choose(&m->sa, IKE_PROTO_ESP, conn->esp, conn->n_esp,
		       m->has_ke, &c->alg, &reply)) {
		child_sa_free(c);
		return error_reply(sa, m, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0, fx);
	}
	if (m->has_ke && m->ke.group != c->alg.ke) {
		uint8_t g[2] = { c->alg.ke >> 8, c->alg.ke & 0xff };

		child_sa_free(c);
		return error_reply(sa, m, IKE_N_INVALID_KE_PAYLOAD, g, 2, fx);
	}
	for (int i = 0; i < m->sa.n; i++)
		if (m->sa.p[i].num == reply.num)
			c->spi_out = ike_spi32_get(m->sa.p[i].spi);
	reply.spi_size = 4;
	ike_spi32_put(reply.spi, c->spi_in);
	if (ik_random(nr, sizeof(nr)) ||
	    !!ike_msg_notify(m, IKE_N_USE_TRANSPORT_MODE) != c->transport ||
	    ike_child_narrow(sa, c, &m->tsi, &m->tsr)) {
		child_sa_free(c);
		return error_reply(sa, m, IKE_N_TS_UNACCEPTABLE, NULL, 0, fx);
	}
	if (responder_kex(sa, c, m, gir, &n, pub, &plen)) {
		/* the ML-KEM draft: a key that fails FIPS 203 7.2 */
		child_sa_free(c);
		return error_reply(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0, fx);
	}
	if (ike_fu_wanted(&c->alg))
		return defer_child(sa, m, c, old, &reply, nr, gir, n, pub, plen,
				   fx);
	rc = ike_child_keys_from(sa, c, false, n ? gir : NULL, n,
				 m->nonce.p, m->nonce.len, nr, IKE_NONCE_LEN);
	OPENSSL_cleanse(gir, sizeof(gir));
	if (rc || answer(sa, m, c, &reply, nr, pub, plen, NULL, fx)) {
		child_sa_free(c);
		return -1;
	}
	responder_child_up(sa, c, old, m->nonce.p, m->nonce.len, nr,
			   IKE_NONCE_LEN, fx);
	return 0;
}

/* Initiator: the responder refused; retry with its group, or give up. */
static int create_refused(struct ike_sa *sa, const struct ike_notify_pl *err,
			  struct ike_effects *fx)
{
	struct child_sa *c = sa->creating, *old;
	uint16_t g;

	old = ike_child_by_spi_in(sa, sa->creating_old_spi);
	if (err->type == IKE_N_INVALID_KE_PAYLOAD && err->data.len == 2) {
		g = (uint16_t)(err->data.p[0] << 8 | err->data.p[1]);
		for (int i = 0; i < sa->conn->n_esp; i++) {
			if (sa->conn->esp[i].ke != g || sa->tries++ > 2)
				continue;
			if (build_request(sa, c, sa->creating_old_spi, g))
				break;
			fx->send = &sa->req;
			return 0;
		}
	}
	sa->creating = NULL;
	child_sa_free(c);
	if (old)
		old->rekeying = false;	/* the daemon tries again later */
	return ike_sa_fail(sa, "peer refused CREATE_CHILD_SA: %s",
			   ike_notify_name(err->type));
}

/* Initiator: g^ir of the PFS exchange, when we asked for one. */
static int initiator_gir(struct ike_sa *sa, struct child_sa *c,
			 const struct ike_msg *m, uint8_t *gir, int *n)
{
	*n = 0;
	if (!sa->ckex)
		return m->has_ke ? -1 : 0;
	if (!m->has_ke || m->ke.group != c->alg.ke)
		return -1;
	*n = ik_kex_shared(sa->ckex, m->ke.data.p, m->ke.data.len, gir,
			   IK_SECRET_MAX);
	return *n < 0 ? -1 : 0;
}

static int initiator_child_up(struct ike_sa *sa, struct child_sa *c,
			      const uint8_t *nr, size_t nr_len,
			      struct ike_effects *fx);

/* Initiator: RFC 9370's additional exchanges before the keys. */
static int fu_initiator_done(struct ike_sa *sa, struct ike_followup *fu,
			     struct ike_effects *fx)
{
	struct child_sa *c = sa->creating;

	sa->creating = NULL;
	if (!c || ike_child_keys_from(sa, c, true, fu->acc, fu->acc_len,
				      fu->ni, fu->ni_len, fu->nr, fu->nr_len)) {
		struct child_sa *old =
			ike_child_by_spi_in(sa, sa->creating_old_spi);

		child_sa_free(c);
		if (old)
			old->rekeying = false;
		return ike_sa_fail(sa, "Child SA keys after IKE_FOLLOWUP_KE "
				   "failed");
	}
	return initiator_child_up(sa, c, fu->nr, fu->nr_len, fx);
}

static int start_followup(struct ike_sa *sa, const struct ike_msg *m,
			  const uint8_t *gir, int n, struct ike_effects *fx)
{
	struct ike_followup *fu = &sa->fu[0];

	if (ike_fu_start(fu, false, &sa->creating->alg, gir, n, sa->cnonce,
			 sizeof(sa->cnonce), m->nonce.p, m->nonce.len,
			 fu_initiator_done) ||
	    ike_fu_take_link(fu, m) || ike_fu_send(sa, fx)) {
		ike_fu_clear(fu);
		return -1;
	}
	return 0;
}

int ike_create_response(struct ike_sa *sa, const struct ike_msg *m,
			struct ike_effects *fx)
{
	const struct ike_notify_pl *err = ike_msg_error(m);
	struct child_sa *c = sa->creating, *old;
	struct ike_proposal got;
	uint8_t gir[IK_SECRET_MAX];
	bool later = false;
	int n = 0, rc;

	sa->req.len = 0;
	if (sa->rekey_new)
		return ike_rekey_response(sa, m, fx);
	if (!c)
		return ike_sa_fail(sa, "CREATE_CHILD_SA response out of order");
	if (err)
		return create_refused(sa, err, fx);
	old = ike_child_by_spi_in(sa, sa->creating_old_spi);
	rc = -1;
	if (m->has_sa && m->has_nonce && m->has_tsi && m->has_tsr &&
	    !ike_check_choice(&m->sa, IKE_PROTO_ESP, sa->conn->esp,
			      sa->conn->n_esp, sa->ckex != NULL, &c->alg, &got) &&
	    got.spi_size == 4 &&
	    !!ike_msg_notify(m, IKE_N_USE_TRANSPORT_MODE) == c->transport &&
	    !ike_child_check_ts(sa, c, &m->tsi, &m->tsr) &&
	    !initiator_gir(sa, c, m, gir, &n)) {
		c->spi_out = ike_spi32_get(got.spi);
		later = ike_fu_wanted(&c->alg);
		rc = later ? start_followup(sa, m, gir, n, fx) :
		     ike_child_keys_from(sa, c, true, n ? gir : NULL, n,
					 sa->cnonce, sizeof(sa->cnonce),
					 m->nonce.p, m->nonce.len);
	}
	OPENSSL_cleanse(gir, sizeof(gir));
	ik_kex_free(sa->ckex);
	sa->ckex = NULL;
	if (!rc && later)
		return 0;	/* sa->creating waits for IKE_FOLLOWUP_KE */
	sa->creating = NULL;
	if (rc) {
		child_sa_free(c);
		if (old)
			old->rekeying = false;
		return ike_sa_fail(sa, "CREATE_CHILD_SA answer unacceptable");
	}
	return initiator_child_up(sa, c, m->nonce.p, m->nonce.len, fx);
}

/* Initiator: the new Child SA is keyed; a rekeyed one's pair is deleted. */
static int initiator_child_up(struct ike_sa *sa, struct child_sa *c,
			      const uint8_t *nr, size_t nr_len,
			      struct ike_effects *fx)
{
	struct child_sa *old = ike_child_by_spi_in(sa, sa->creating_old_spi);
	struct child_sa *sib = NULL;

	/* the peer's DELETE of old came first, after its own rekey of old:
	 * that rekey's SA holds old's reqid and policies, and keeps them */
	if (!old && sa->rk_old_spi == sa->creating_old_spi && sa->rk[1].set)
		sib = ike_child_by_spi_in(sa, sa->rk[1].new_spi_in);
	if (sib) {
		c->reqid = sib->reqid;
		c->owns_policies = false;
	}
	note_rekey(sa, sa->creating_old_spi, 0, sa->cnonce,
		   sizeof(sa->cnonce), nr, nr_len, c->spi_in);
	if (old) {
		c->reqid = old->reqid;
		c->owns_policies = old->owns_policies;
		old->owns_policies = false;
		if (sa->n_to_delete < IKE_FX_REMOVE_MAX)
			sa->to_delete[sa->n_to_delete++] = old->spi_in;
	}
	c->next = sa->children;
	sa->children = c;
	fx->install[fx->n_install++] = c;
	return ike_info_flush_deletes(sa, fx) < 0 ? -1 : 0;
}
