/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exchanges, one file each: sa_init.c (IKE_SA_INIT), auth.c (IKE_AUTH
 * with PSK), child.c (Child SA keys and selectors), info.c (INFORMATIONAL:
 * DELETE and liveness).  Each takes a checked message and an SA, changes
 * the SA and fills struct ike_effects (sa.h).  Returns 0, or -1 with the
 * reason in sa->why (the daemon logs it; fx->dead says whether the IKE SA
 * is finished).
 */
#ifndef IKETCPD_IKE_EXCHANGE_H
#define IKETCPD_IKE_EXCHANGE_H

#include "ike/sa.h"

/* ---- sa_init.c ---- */

/* Initiator: send IKE_SA_INIT (again, after INVALID_KE_PAYLOAD or COOKIE,
 * with group and sa->cookie). */
int ike_init_start(struct ike_sa *sa, uint16_t group, struct ike_effects *fx);

/*
 * Responder: an IKE_SA_INIT request from remote for conn.  Returns a new SA
 * (in t) with its response in fx->send, or NULL: then *stateless holds an
 * answer that creates no state (INVALID_KE_PAYLOAD, NO_PROPOSAL_CHOSEN,
 * INVALID_SYNTAX), or has len 0 when the request is just dropped; why says
 * what happened.
 */
struct ike_sa *ike_init_respond(struct ike_sa_table *t,
				const struct ike_conn_params *conn,
				const struct ike_msg *m,
				const struct sockaddr_storage *local,
				const struct sockaddr_storage *remote,
				bool tcp, struct ike_out *stateless, char *why,
				size_t whylen, struct ike_effects *fx);

/* Initiator: the IKE_SA_INIT response; on success IKE_AUTH goes out. */
int ike_init_response(struct ike_sa *sa, const struct ike_msg *m,
		      struct ike_effects *fx);

/* An unprotected IKE_SA_INIT response carrying one notify. */
int ike_init_notify_reply(const struct ike_hdr *req, uint16_t type,
			  const uint8_t *data, size_t len,
			  struct ike_out *out);

/* ---- intermediate.c: IKE_INTERMEDIATE with RFC 9370's ADDKEs ---- */

/* An additional key exchange of the chosen proposal is still to run. */
bool ike_inter_pending(const struct ike_sa *sa);
/* Initiator: the IKE_INTERMEDIATE request of the next ADDKE. */
int ike_inter_start(struct ike_sa *sa, struct ike_effects *fx);
/* Responder: an IKE_INTERMEDIATE request (decrypted into m). */
int ike_inter_request(struct ike_sa *sa, const struct ike_msg *m,
		      struct ike_effects *fx);
/* Initiator: its response; then the next ADDKE or IKE_AUTH. */
int ike_inter_response(struct ike_sa *sa, const struct ike_msg *m,
		       struct ike_effects *fx);
/* Fold one IKE_INTERMEDIATE message into IntAuth_i (from_initiator) or
 * IntAuth_r: msg[0..sk_off) is its header and the payloads before SK. */
int ike_intauth_add(struct ike_sa *sa, bool from_initiator,
		    const uint8_t *msg, size_t sk_off, uint8_t first,
		    const uint8_t *plain, size_t plen);
/* RFC 9242's IntAuth for the AUTH payloads into out: its length, 0 when
 * no IKE_INTERMEDIATE took place, -1 if cap is too small. */
int ike_intauth(const struct ike_sa *sa, uint8_t *out, size_t cap);

/* ---- followup.c: IKE_FOLLOWUP_KE (RFC 9370 2.2.4) ---- */

/* The chosen proposal has additional key exchanges. */
bool ike_fu_wanted(const struct ike_prop *alg);
/* Begin fu after the CREATE_CHILD_SA: SK(0), its nonces, alg's ADDKEs;
 * a responder gets a fresh link.  0 or -1. */
int ike_fu_start(struct ike_followup *fu, bool responder,
		 const struct ike_prop *alg, const uint8_t *sk0, size_t n0,
		 const uint8_t *ni, size_t ni_len, const uint8_t *nr,
		 size_t nr_len, ike_fu_done_fn done);
/* Free and wipe fu and what waits in it. */
void ike_fu_clear(struct ike_followup *fu);
/* Responder: N(ADDITIONAL_KEY_EXCHANGE) with fu's link, into w. */
void ike_fu_put_link(struct ike_wbuf *w, const struct ike_followup *fu);
/* Initiator: the link of the response m into fu; 0 or -1 (none). */
int ike_fu_take_link(struct ike_followup *fu, const struct ike_msg *m);
/* Initiator: the IKE_FOLLOWUP_KE request of sa->fu[0]'s next ADDKE. */
int ike_fu_send(struct ike_sa *sa, struct ike_effects *fx);
int ike_followup_request(struct ike_sa *sa, const struct ike_msg *m,
			 struct ike_effects *fx);
int ike_followup_response(struct ike_sa *sa, const struct ike_msg *m,
			  struct ike_effects *fx);

/* ---- auth.c ---- */

int ike_auth_start(struct ike_sa *sa, struct ike_effects *fx);
/* Responder: an IKE_AUTH request (already decrypted into m). */
int ike_auth_request(struct ike_sa *sa, const struct ike_msg *m,
		     struct ike_effects *fx);
/* Initiator: the IKE_AUTH response (already decrypted into m). */
int ike_auth_response(struct ike_sa *sa, const struct ike_msg *m,
		      struct ike_effects *fx);

/* ---- child.c ---- */

/* A Child SA of sa for conn's selectors and ESP proposals, with a fresh
 * inbound SPI; not linked anywhere yet. */
struct child_sa *ike_child_new(struct ike_sa *sa);
/* Responder: narrow the peer's TSi/TSr to conn's; 0 or -1 (TS_UNACCEPTABLE). */
int ike_child_narrow(struct ike_sa *sa, struct child_sa *c,
		     const struct ike_ts_pl *tsi, const struct ike_ts_pl *tsr);
/* Initiator: the responder's TSi/TSr must lie within what we asked. */
int ike_child_check_ts(struct ike_sa *sa, struct child_sa *c,
		       const struct ike_ts_pl *tsi, const struct ike_ts_pl *tsr);
/* KEYMAT for c (RFC 7296 2.17), no PFS: from SK_d and the IKE SA's nonces. */
int ike_child_keys(struct ike_sa *sa, struct child_sa *c);
/* The same for a CREATE_CHILD_SA: its nonces, g^ir with PFS (else NULL),
 * and who initiated that exchange (its keys come first in KEYMAT). */
int ike_child_keys_from(struct ike_sa *sa, struct child_sa *c,
			bool we_initiated, const uint8_t *gir, size_t girlen,
			const uint8_t *ni, size_t ni_len, const uint8_t *nr,
			size_t nr_len);
struct child_sa *ike_child_by_spi_in(struct ike_sa *sa, uint32_t spi);
struct child_sa *ike_child_by_spi_out(struct ike_sa *sa, uint32_t spi);

/* ---- create.c: CREATE_CHILD_SA (new and rekeyed Child SAs) ---- */

/* Initiator: rekey old (or, old NULL, a new Child SA for the connection's
 * selectors), with PFS when the ESP proposals carry a group. */
int ike_create_child(struct ike_sa *sa, struct child_sa *old,
		     struct ike_effects *fx);
int ike_create_request(struct ike_sa *sa, const struct ike_msg *m,
		       struct ike_effects *fx);
int ike_create_response(struct ike_sa *sa, const struct ike_msg *m,
			struct ike_effects *fx);
/* Nonces in order (bytes, then a prefix first), for RFC 7296 2.8.1 and
 * 2.8.2's lowest nonce. */
int ike_nonce_cmp(const uint8_t *a, size_t alen, const uint8_t *b,
		  size_t blen);

/* ---- rekey.c: the IKE SA's own rekey ---- */

/* Initiator: propose the new IKE SA (same proposals and group). */
int ike_rekey_start(struct ike_sa *sa, struct ike_effects *fx);
/* Responder: a CREATE_CHILD_SA request whose SA proposes IKE. */
int ike_rekey_request(struct ike_sa *sa, const struct ike_msg *m,
		      struct ike_effects *fx);
/* Initiator: the answer; on success the old SA's DELETE goes out. */
int ike_rekey_response(struct ike_sa *sa, const struct ike_msg *m,
		       struct ike_effects *fx);
/* Our rekey failed (sa->why says why): a rekey of the peer's that
 * waited on it takes the Child SAs (the peer did not see ours, 2.8.2);
 * if the peer deleted sa meanwhile, it ends.  Returns -1. */
int ike_rekey_failed(struct ike_sa *sa, struct ike_effects *fx);
/* The peer deletes sa: a rekey of the peer's that waited on ours takes
 * the Child SAs (2.8.2: the peer's survived).  True when sa must stay
 * until our own rekey's answer comes (its new SA is then redundant). */
bool ike_rekey_peer_deletes(struct ike_sa *sa, struct ike_effects *fx);
/* The peer's IKE SA rekey failed in an IKE_FOLLOWUP_KE we refused (its
 * state already cleared): ours, keyed and waiting on it, goes on alone. */
int ike_rekey_peer_failed(struct ike_sa *sa, struct ike_effects *fx);

/* ---- info.c ---- */

/* A request from the peer on an established SA (INFORMATIONAL). */
int ike_info_request(struct ike_sa *sa, const struct ike_msg *m,
		     struct ike_effects *fx);
/* The answer to our INFORMATIONAL request. */
int ike_info_response(struct ike_sa *sa, const struct ike_msg *m,
		      struct ike_effects *fx);
/* Send DELETE for the whole IKE SA. */
int ike_info_delete_ike(struct ike_sa *sa, struct ike_effects *fx);
/* Send an empty INFORMATIONAL (liveness check). */
int ike_info_liveness(struct ike_sa *sa, struct ike_effects *fx);
/* If no request is out and Child SAs wait to be deleted (sa->to_delete),
 * send their DELETE; 1 if one went out, 0 if nothing to do, -1. */
int ike_info_flush_deletes(struct ike_sa *sa, struct ike_effects *fx);

/*
 * The daemon could not install c (the kernel refused it): c leaves sa now
 * (unlinked into fx->remove; the policies it took over go back to the
 * pair it was to replace) and the peer is told with a DELETE of its SPI,
 * now or when no request is out.  The IKE SA stays.  0 or -1.
 */
int ike_info_child_failed(struct ike_sa *sa, struct child_sa *c,
			  struct ike_effects *fx);

/* A response to a request we do not handle (wrong state, unknown exchange):
 * an encrypted response with one error notify. */
int ike_reply_error(struct ike_sa *sa, const struct ike_msg *m, uint16_t type,
		    struct ike_effects *fx);

#endif
