// SPDX-License-Identifier: GPL-2.0
/*
 * The IKE SA's own rekey (RFC 7296 1.3.2, 2.18): a CREATE_CHILD_SA whose
 * SA payload proposes IKE with the new SPI, a nonce and a KE, on the old
 * IKE SA.  The new SA's keys come from the old SK_d and the new g^ir
 * (keys.h, ike_keys_rekey()); the Child SAs move to it unchanged (their
 * XFRM states do not notice); the rekey's initiator becomes the new SA's
 * original initiator and DELETEs the old SA, whose message IDs die with it.
 *
 * The new SA is not in the table until the exchange is done: the engine's
 * caller adopts it from ike_effects.rekeyed (ike_engine_adopt()).  With
 * RFC 9370 additional key exchanges "done" is after the IKE_FOLLOWUP_KE
 * exchanges (followup.c), whose secrets join g^ir in SKEYSEED.
 *
 * Simultaneous rekeys (2.8.2): a peer's rekey that meets our own is
 * answered as usual, and its new SA waits (sa->rekey_peer) until ours is
 * done.  Then three IKE SAs exist: the exchange with the lowest of the four
 * nonces made the redundant new SA, which its initiator deletes; the other
 * takes the Child SAs, and its initiator deletes the old SA.  A peer that
 * finished its rekey before it saw ours answers ours TEMPORARY_FAILURE (it
 * is closing the old SA) or deletes the old SA first: its rekey survives.
 * With RFC 9370 follow-ups the nonces decide once both rekeys have run all
 * their IKE_FOLLOWUP_KE exchanges: whichever new SA is keyed first waits
 * for the other (sa->rekey_ours, sa->rekey_peer).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "ike/choose.h"
#include "ike/exchange.h"

static void spi64_put(uint8_t *p, uint64_t spi)
{
	int i;

	for (i = 7; i >= 0; i--, spi >>= 8)
		p[i] = spi & 0xff;
}

static uint64_t spi64_get(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The new SA: same connection, peer and addresses; not in any table. */
static struct ike_sa *successor(const struct ike_sa *sa, bool initiator)
{
	struct ike_sa_table none = { 0 };
	struct ike_sa *ns = ike_sa_new(&none, sa->conn, initiator);

	if (!ns)
		return NULL;
	ns->next = NULL;
	ns->local = sa->local;
	ns->remote = sa->remote;
	ns->natt = sa->natt;
	ns->nat_local = sa->nat_local;
	ns->nat_remote = sa->nat_remote;
	ns->sep_offered = sa->sep_offered;
	ns->sep_agreed = sa->sep_agreed;
	ns->peer_tcp_port = sa->peer_tcp_port;
	ns->frag_ok = sa->frag_ok;
	ns->ni_len = ns->nr_len = IKE_NONCE_LEN;
	return ns;
}

/* The new SA's keys from the old SK_d and the exchange's secret(s). */
static int new_keys(struct ike_sa *old, struct ike_sa *ns,
		    const uint8_t *secret, size_t len)
{
	int rc = ike_keys_rekey(&ns->keys, old->keys.sk_d, old->alg.prf,
				ns->alg.prf, ns->alg.encr, ns->alg.keybits,
				ns->alg.integ, secret, len, ns->ni, ns->ni_len,
				ns->nr, ns->nr_len, ns->spi_i, ns->spi_r);

	ns->have_keys = rc >= 0;
	return rc < 0 ? -1 : 0;
}

/* g^ir with the peer's KE into gir (IK_SECRET_MAX): its length or -1. */
static int shared(struct ike_sa *ns, const uint8_t *ke, size_t kelen,
		  uint8_t *gir)
{
	return ik_kex_shared(ns->kex, ke, kelen, gir, IK_SECRET_MAX);
}

/* Both sides: the new SA takes over the old one's Child SAs. */
static void take_children(struct ike_sa *old, struct ike_sa *ns,
			  struct ike_effects *fx)
{
	ns->children = old->children;
	old->children = NULL;
	ns->state = IKE_S_ESTABLISHED;
	fx->rekeyed = ns;
}

/* The lower nonce of ns's CREATE_CHILD_SA exchange. */
static void low_nonce(const struct ike_sa *ns, const uint8_t **p,
		      size_t *len)
{
	bool i_low = ike_nonce_cmp(ns->ni, ns->ni_len, ns->nr, ns->nr_len) < 0;

	*p = i_low ? ns->ni : ns->nr;
	*len = i_low ? ns->ni_len : ns->nr_len;
}

/* 2.8.2: did our exchange make the redundant SA (the lowest of the four
 * nonces)?  Both sides see the same nonces, so they agree. */
static bool ours_redundant(const struct ike_sa *ours,
			   const struct ike_sa *peers)
{
	const uint8_t *a, *b;
	size_t alen, blen;

	low_nonce(ours, &a, &alen);
	low_nonce(peers, &b, &blen);
	return ike_nonce_cmp(a, alen, b, blen) < 0;
}

/* 2.8.2: our redundant new SA joins the table without Child SAs, its
 * DELETE (sent on itself, by us, its initiator) ready in its req. */
static void drop_ours(struct ike_sa *ns, struct ike_effects *fx)
{
	struct ike_effects own = { 0 };

	ns->state = IKE_S_ESTABLISHED;
	fx->redundant = ns;
	if (ike_info_delete_ike(ns, &own))
		ns->req.len = 0;	/* the peer's liveness check ends it */
}

/* A line for the log that is no failure. */
static int note(struct ike_sa *sa, const char *what)
{
	ike_sa_fail(sa, "simultaneous IKE SA rekeys (RFC 7296 2.8.2): %s",
		    what);
	return 0;
}

/*
 * Our rekey's new SA ns is keyed.  Alone, it takes the Child SAs and we
 * delete the old SA (2.18).  Beside the peer's (2.8.2) the nonces pick the
 * survivor, which takes the Child SAs; the old SA is deleted by the
 * survivor's initiator.  When the peer deleted the old SA already, its
 * rekey survived (the Child SAs went to it then).
 */
static int ours_done(struct ike_sa *sa, struct ike_sa *ns,
		     struct ike_effects *fx)
{
	struct ike_sa *peers = sa->rekey_peer;

	sa->rekey_peer = NULL;
	if (sa->peer_deleted) {
		drop_ours(ns, fx);
		fx->dead = true;
		return note(sa, "the peer's survived and it deleted this SA, "
			    "ours is deleted");
	}
	if (!peers && sa->fu[1].active && sa->fu[1].ns) {
		sa->rekey_ours = ns;	/* the peer's follow-ups still run */
		return 0;
	}
	if (!peers) {
		take_children(sa, ns, fx);
		return ike_info_delete_ike(sa, fx);
	}
	if (ours_redundant(ns, peers)) {
		take_children(sa, peers, fx);
		drop_ours(ns, fx);
		return note(sa, "the peer's survives, ours is deleted; the "
			    "peer deletes this SA");
	}
	take_children(sa, ns, fx);
	peers->state = IKE_S_ESTABLISHED;
	fx->redundant = peers;		/* the peer deletes it */
	note(sa, "ours survives, the peer deletes its own; this SA goes");
	return ike_info_delete_ike(sa, fx);
}

int ike_rekey_failed(struct ike_sa *sa, struct ike_effects *fx)
{
	struct ike_sa *peers = sa->rekey_peer;

	sa->rekey_peer = NULL;
	if (peers)
		take_children(sa, peers, fx);
	if (sa->peer_deleted)
		fx->dead = true;
	return -1;
}

/*
 * Ours was keyed first and waited: now the nonces decide, or ours stands
 * alone (peers NULL: the peer's follow-up failed).  This runs while we
 * answer the peer's IKE_FOLLOWUP_KE, so that answer goes first and our
 * DELETE of the old SA, if ours survives, right after it.
 */
static int resolve_waiting(struct ike_sa *sa, struct ike_sa *peers,
			   struct ike_effects *fx)
{
	struct ike_sa *ours = sa->rekey_ours;
	struct ike_out *answer = fx->send;
	int rc;

	sa->rekey_ours = NULL;
	sa->rekey_peer = peers;
	rc = ours_done(sa, ours, fx);
	fx->send_after = fx->send != answer ? fx->send : NULL;
	fx->send = answer;
	return rc;
}

/* The peer's rekey's new SA ns is keyed: it takes the Child SAs, or
 * waits while ours is out (2.8.2), or decides against ours, keyed. */
static int peers_done(struct ike_sa *sa, struct ike_sa *ns,
		      struct ike_effects *fx)
{
	if (sa->rekey_ours)
		return resolve_waiting(sa, ns, fx);
	if (sa->rekey_new) {
		sa->rekey_peer = ns;
		return 0;
	}
	take_children(sa, ns, fx);
	return 0;
}

int ike_rekey_peer_failed(struct ike_sa *sa, struct ike_effects *fx)
{
	return sa->rekey_ours ? resolve_waiting(sa, NULL, fx) : 0;
}

bool ike_rekey_peer_deletes(struct ike_sa *sa, struct ike_effects *fx)
{
	struct ike_sa *peers = sa->rekey_peer;

	if (sa->rekey_ours) {
		/* the peer gave its own up: ours, keyed, takes over */
		take_children(sa, sa->rekey_ours, fx);
		sa->rekey_ours = NULL;
		ike_fu_clear(&sa->fu[1]);
		return false;
	}
	if (!peers)
		return false;
	sa->rekey_peer = NULL;
	take_children(sa, peers, fx);
	if (!sa->rekey_new)
		return false;
	sa->peer_deleted = true;
	return true;
}

/*
 * RFC 9370: the new SA is keyed once its IKE_FOLLOWUP_KE exchanges ran,
 * from every secret of the rekey (fu->acc where g^ir stood).
 */
static int fu_initiator_done(struct ike_sa *sa, struct ike_followup *fu,
			     struct ike_effects *fx)
{
	struct ike_sa *ns = sa->rekey_new;

	sa->rekey_new = NULL;
	if (!ns || new_keys(sa, ns, fu->acc, fu->acc_len)) {
		ike_sa_free(ns);
		ike_sa_fail(sa, "IKE SA rekey: key derivation failed");
		return ike_rekey_failed(sa, fx);
	}
	return ours_done(sa, ns, fx);
}

static int fu_responder_done(struct ike_sa *sa, struct ike_followup *fu,
			     struct ike_effects *fx)
{
	struct ike_sa *ns = fu->ns;

	fu->ns = NULL;
	if (!ns || new_keys(sa, ns, fu->acc, fu->acc_len)) {
		ike_sa_free(ns);
		return ike_sa_fail(sa, "IKE SA rekey: key derivation failed");
	}
	return peers_done(sa, ns, fx);
}

int ike_rekey_start(struct ike_sa *sa, struct ike_effects *fx)
{
	uint8_t buf[4096 + IK_KEX_MAX], spi[8], pub[IK_KEX_MAX];
	struct ike_sa_pl sapl;
	struct ike_sa *ns;
	struct ike_wbuf w;
	int plen;

	if (sa->state != IKE_S_ESTABLISHED || sa->req.len || sa->creating ||
	    sa->rekey_new || sa->rekey_ours)
		return ike_sa_fail(sa, "busy: IKE SA rekey not started");
	ns = successor(sa, true);
	if (!ns)
		return ike_sa_fail(sa, "out of memory");
	ns->alg = sa->alg;
	ns->kex_group = sa->alg.ke;
	ns->kex = ik_kex_new(ns->kex_group);
	plen = ns->kex ? ik_kex_public(ns->kex, pub, sizeof(pub)) : -1;
	if (plen < 0 || ik_random(&ns->spi_i, sizeof(ns->spi_i)) ||
	    ik_random(ns->ni, ns->ni_len)) {
		ike_sa_free(ns);
		return ike_sa_fail(sa, "IKE SA rekey: no key exchange or "
				   "randomness");
	}
	spi64_put(spi, ns->spi_i);
	ike_props_to_sa(sa->conn->ike, sa->conn->n_ike, IKE_PROTO_IKE, spi, 8,
			&sapl);
	ike_w_init(&w, buf, sizeof(buf));
	ike_w_sa(&w, &sapl);
	ike_w_nonce(&w, ns->ni, ns->ni_len);
	ike_w_ke(&w, ns->kex_group, pub, plen);
	if (ike_sk_build(sa, IKE_CREATE_CHILD_SA, false, sa->next_msgid, &w,
			 &sa->req)) {
		ike_sa_free(ns);
		return ike_sa_fail(sa, "cannot build the IKE SA rekey");
	}
	sa->next_msgid++;
	sa->rekey_new = ns;
	fx->send = &sa->req;
	return 0;
}

static int refuse(struct ike_sa *sa, const struct ike_msg *m, uint16_t type,
		  uint16_t group, struct ike_effects *fx)
{
	uint8_t buf[64], g[2] = { group >> 8, group & 0xff };
	struct ike_wbuf w;

	ike_w_init(&w, buf, sizeof(buf));
	ike_w_notify(&w, 0, NULL, 0, type, group ? g : NULL, group ? 2 : 0);
	if (!ike_sk_build(sa, IKE_CREATE_CHILD_SA, true, m->hdr.msgid, &w,
			  &sa->resp))
		fx->send = &sa->resp;
	return ike_sa_fail(sa, "IKE SA rekey refused: %s",
			   ike_notify_name(type));
}

/* The request's proposal and KE, checked; the new SA with its SPIs. */
static struct ike_sa *rekey_responder_sa(struct ike_sa *sa,
					 const struct ike_msg *m,
					 struct ike_proposal *reply,
					 uint16_t *err, uint16_t *group)
{
	struct ike_prop chosen;
	struct ike_sa *ns;
	int i;

	*err = IKE_N_NO_PROPOSAL_CHOSEN;
	*group = 0;
	if (ike_choose(&m->sa, IKE_PROTO_IKE, sa->conn->ike, sa->conn->n_ike,
		       true, &chosen, reply))
		return NULL;
	if (m->ke.group != chosen.ke) {
		*err = IKE_N_INVALID_KE_PAYLOAD;
		*group = chosen.ke;
		return NULL;
	}
	*err = IKE_N_INVALID_SYNTAX;
	if (m->ke.data.len != ik_kex_peer_len(chosen.ke, false) ||
	    m->nonce.len > sizeof(sa->ni))
		return NULL;
	ns = successor(sa, false);
	if (!ns)
		return NULL;
	for (i = 0; i < m->sa.n; i++)
		if (m->sa.p[i].num == reply->num && m->sa.p[i].spi_size == 8)
			ns->spi_i = spi64_get(m->sa.p[i].spi);
	ns->alg = chosen;
	ns->kex_group = chosen.ke;
	ns->kex = ik_kex_new_responder(chosen.ke);
	ns->ni_len = m->nonce.len;
	memcpy(ns->ni, m->nonce.p, m->nonce.len);
	if (!ns->spi_i || !ns->kex ||
	    ik_random(&ns->spi_r, sizeof(ns->spi_r)) ||
	    ik_random(ns->nr, ns->nr_len)) {
		ike_sa_free(ns);
		return NULL;
	}
	return ns;
}

int ike_rekey_request(struct ike_sa *sa, const struct ike_msg *m,
		      struct ike_effects *fx)
{
	uint8_t buf[4096 + IK_KEX_MAX], pub[IK_KEX_MAX], gir[IK_SECRET_MAX];
	struct ike_proposal reply;
	struct ike_sa_pl sapl;
	struct ike_sa *ns;
	struct ike_wbuf w;
	uint16_t err, group;
	bool later;
	int n, plen;

	if (!m->has_ke || !m->has_nonce)
		return refuse(sa, m, IKE_N_INVALID_SYNTAX, 0, fx);
	/* 2.8.2: one meeting ours goes on (the nonces pick), a second one
	 * waits; so does one meeting our CREATE_CHILD_SA or a follow-up */
	if (sa->rekey_peer || sa->peer_deleted || sa->creating ||
	    sa->fu[1].active)
		return refuse(sa, m, IKE_N_TEMPORARY_FAILURE, 0, fx);
	ns = rekey_responder_sa(sa, m, &reply, &err, &group);
	if (!ns)
		return refuse(sa, m, err, group, fx);
	n = shared(ns, m->ke.data.p, m->ke.data.len, gir);
	plen = n < 0 ? -1 : ik_kex_public(ns->kex, pub, sizeof(pub));
	later = ike_fu_wanted(&ns->alg);
	if (plen < 0 ||
	    (later ? ike_fu_start(&sa->fu[1], true, &ns->alg, gir, n, ns->ni,
				  ns->ni_len, ns->nr, ns->nr_len,
				  fu_responder_done) :
		     new_keys(sa, ns, gir, n))) {
		OPENSSL_cleanse(gir, sizeof(gir));
		ike_sa_free(ns);
		return refuse(sa, m, IKE_N_INVALID_SYNTAX, 0, fx);
	}
	OPENSSL_cleanse(gir, sizeof(gir));
	reply.spi_size = 8;
	spi64_put(reply.spi, ns->spi_r);
	sapl.n = 1;
	sapl.p[0] = reply;
	ike_w_init(&w, buf, sizeof(buf));
	ike_w_sa(&w, &sapl);
	ike_w_nonce(&w, ns->nr, ns->nr_len);
	ike_w_ke(&w, ns->kex_group, pub, plen);
	if (later)
		ike_fu_put_link(&w, &sa->fu[1]);
	if (ike_sk_build(sa, IKE_CREATE_CHILD_SA, true, m->hdr.msgid, &w,
			 &sa->resp)) {
		ike_fu_clear(&sa->fu[1]);
		ike_sa_free(ns);
		return ike_sa_fail(sa, "cannot build the IKE SA rekey answer");
	}
	fx->send = &sa->resp;
	if (!later)
		return peers_done(sa, ns, fx);
	sa->fu[1].ns = ns;	/* keyed after IKE_FOLLOWUP_KE */
	return 0;
}

int ike_rekey_response(struct ike_sa *sa, const struct ike_msg *m,
		       struct ike_effects *fx)
{
	const struct ike_notify_pl *err = ike_msg_error(m);
	struct ike_sa *ns = sa->rekey_new;
	struct ike_followup *fu = &sa->fu[0];
	uint8_t gir[IK_SECRET_MAX];
	struct ike_proposal got;
	int n, rc;

	sa->rekey_new = NULL;
	if (err) {
		ike_sa_free(ns);
		ike_sa_fail(sa, "peer refused the IKE SA rekey: %s",
			    ike_notify_name(err->type));
		return ike_rekey_failed(sa, fx);
	}
	if (!m->has_sa || !m->has_ke || !m->has_nonce ||
	    m->nonce.len > sizeof(ns->nr) ||
	    ike_check_choice(&m->sa, IKE_PROTO_IKE, sa->conn->ike,
			     sa->conn->n_ike, true, &ns->alg, &got) ||
	    got.spi_size != 8 || m->ke.group != ns->kex_group ||
	    ns->alg.ke != ns->kex_group) {
		ike_sa_free(ns);
		ike_sa_fail(sa, "IKE SA rekey answer unacceptable");
		return ike_rekey_failed(sa, fx);
	}
	ns->spi_r = spi64_get(got.spi);
	ns->nr_len = m->nonce.len;
	memcpy(ns->nr, m->nonce.p, m->nonce.len);
	n = ns->spi_r ? shared(ns, m->ke.data.p, m->ke.data.len, gir) : -1;
	if (n >= 0 && ike_fu_wanted(&ns->alg)) {
		sa->rekey_new = ns;	/* keyed after IKE_FOLLOWUP_KE */
		rc = ike_fu_start(fu, false, &ns->alg, gir, n, ns->ni,
				  ns->ni_len, ns->nr, ns->nr_len,
				  fu_initiator_done);
		OPENSSL_cleanse(gir, sizeof(gir));
		if (rc || ike_fu_take_link(fu, m) || ike_fu_send(sa, fx)) {
			ike_fu_clear(fu);
			sa->rekey_new = NULL;
			ike_sa_free(ns);
			ike_sa_fail(sa, "IKE SA rekey: no IKE_FOLLOWUP_KE");
			return ike_rekey_failed(sa, fx);
		}
		return 0;
	}
	rc = n < 0 ? -1 : new_keys(sa, ns, gir, n);
	OPENSSL_cleanse(gir, sizeof(gir));
	if (rc) {
		ike_sa_free(ns);
		ike_sa_fail(sa, "IKE SA rekey: bad key exchange");
		return ike_rekey_failed(sa, fx);
	}
	return ours_done(sa, ns, fx);
}
