// SPDX-License-Identifier: GPL-2.0
/*
 * The IKE engine: see engine.h.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "ike/engine.h"

void ike_engine_init(struct ike_engine *e)
{
	memset(e, 0, sizeof(*e));
	e->stateless.buf = e->stateless_buf;
	e->stateless.cap = sizeof(e->stateless_buf);
	e->max_half_open = 1000;
	e->cookie_threshold = 50;
	ike_cookie_init(&e->cookies, 0);
}

void ike_engine_destroy(struct ike_engine *e)
{
	struct ike_sa *sa, *n;

	for (sa = e->table.head; sa; sa = n) {
		n = sa->next;
		ike_sa_free(sa);
	}
	e->table.head = NULL;
	e->table.count = e->table.half_open = 0;
}

void ike_engine_adopt(struct ike_engine *e, struct ike_sa *sa)
{
	sa->next = e->table.head;
	e->table.head = sa;
	e->table.count++;
}

void ike_engine_drop(struct ike_engine *e, struct ike_sa *sa)
{
	if (sa->state == IKE_S_INIT_DONE && e->table.half_open)
		e->table.half_open--;
	ike_sa_unlink(&e->table, sa);
	ike_sa_free(sa);
}

static unsigned int half_open_from(const struct ike_sa_table *t,
				   const struct sockaddr_storage *remote)
{
	const struct ike_sa *sa;
	unsigned int n = 0;

	for (sa = t->head; sa; sa = sa->next)
		n += sa->state == IKE_S_INIT_DONE && ike_same_ip(&sa->remote, remote);
	return n;
}

/* An IKE_SA_INIT request: a retransmission, or a new responder SA. */
static struct ike_sa *new_request(struct ike_engine *e,
				  const struct ike_msg *m,
				  const struct sockaddr_storage *local,
				  const struct sockaddr_storage *remote,
				  struct ike_effects *fx, char *why,
				  size_t whylen)
{
	const struct ike_conn_params *conn;
	struct ike_sa *sa;

	sa = ike_sa_lookup_init(&e->table, m->hdr.spi_i, remote);
	if (sa) {
		/* same request again: same answer, no new computation */
		if (sa->init_req_len == m->raw.len &&
		    !memcmp(sa->init_req, m->raw.p, m->raw.len) &&
		    sa->resp.len && sa->resp.msgid == 0)
			fx->send = &sa->resp;
		return sa;
	}
	/* under load, only requests that prove their address (2.6), and
	 * before any other work: one HMAC, no state.  Never over TCP: the
	 * handshake proved the address already (RFC 9329 section 3). */
	if (!e->in_tcp && e->table.half_open >= e->cookie_threshold &&
	    !ike_cookie_valid(&e->cookies, m, remote)) {
		uint8_t cookie[IKE_COOKIE_LEN];

		snprintf(why, whylen, "%u half-open IKE SAs: COOKIE asked",
			 e->table.half_open);
		if (!m->has_nonce ||
		    ike_cookie_make(&e->cookies, m, remote, cookie) ||
		    ike_init_notify_reply(&m->hdr, IKE_N_COOKIE, cookie,
					  sizeof(cookie), &e->stateless))
			return NULL;
		fx->send = &e->stateless;
		return NULL;
	}
	if (e->table.half_open >= e->max_half_open) {
		snprintf(why, whylen, "too many half-open IKE SAs");
		return NULL;
	}
	/* past the cookie, the address is proven: one address cannot take
	 * the whole half-open table from everyone else */
	if (half_open_from(&e->table, remote) >= IKE_HALF_OPEN_PER_PEER) {
		snprintf(why, whylen, "%d half-open IKE SAs from this address",
			 IKE_HALF_OPEN_PER_PEER);
		return NULL;
	}
	conn = e->find_conn ? e->find_conn(e->ctx, local, remote) : NULL;
	if (!conn) {
		snprintf(why, whylen, "no connection for this peer");
		ike_init_notify_reply(&m->hdr, IKE_N_NO_PROPOSAL_CHOSEN, NULL,
				      0, &e->stateless);
		fx->send = e->stateless.len ? &e->stateless : NULL;
		return NULL;
	}
	sa = ike_init_respond(&e->table, conn, m, local, remote, e->in_tcp,
			      &e->stateless,
			      why, whylen, fx);
	if (!sa && e->stateless.len)
		fx->send = &e->stateless;
	return sa;
}

/* A request from the peer on an existing SA, message ID already checked. */
static int handle_request(struct ike_sa *sa, struct ike_msg *m,
			  struct ike_effects *fx)
{
	switch (m->hdr.exchange) {
	case IKE_INTERMEDIATE:
		return ike_inter_request(sa, m, fx);
	case IKE_AUTH:
		return ike_auth_request(sa, m, fx);
	case IKE_INFORMATIONAL:
		if (sa->state != IKE_S_ESTABLISHED &&
		    sa->state != IKE_S_DELETING)
			break;
		return ike_info_request(sa, m, fx);
	case IKE_CREATE_CHILD_SA:
		return ike_create_request(sa, m, fx);
	case IKE_FOLLOWUP_KE:
		if (sa->state != IKE_S_ESTABLISHED)
			break;
		return ike_followup_request(sa, m, fx);
	}
	ike_reply_error(sa, m, IKE_N_INVALID_SYNTAX, fx);
	return ike_sa_fail(sa, "unexpected %s request",
			   ike_exchange_name(m->hdr.exchange));
}

static int handle_response(struct ike_sa *sa, struct ike_msg *m,
			   struct ike_effects *fx)
{
	switch (m->hdr.exchange) {
	case IKE_INTERMEDIATE:
		return ike_inter_response(sa, m, fx);
	case IKE_AUTH:
		return ike_auth_response(sa, m, fx);
	case IKE_INFORMATIONAL:
		return ike_info_response(sa, m, fx);
	case IKE_CREATE_CHILD_SA:
		return ike_create_response(sa, m, fx);
	case IKE_FOLLOWUP_KE:
		return ike_followup_response(sa, m, fx);
	}
	return ike_sa_fail(sa, "unexpected %s response",
			   ike_exchange_name(m->hdr.exchange));
}

/*
 * draft-ietf-ipsecme-ike-tcp 3.2: an IKE_AUTH over TCP port 500 opened no
 * NAT mapping for UDP 4500, so ESP in UDP (and the peer's requests over
 * UDP) could only flow from us to the peer.  Behind a NAT the initiator
 * checks liveness over UDP 4500 right after IKE_AUTH: the mapping comes
 * into being and the peer learns from it where we are.
 */
static void nat_liveness(const struct ike_engine *e, struct ike_sa *sa,
			 struct ike_effects *fx)
{
	if (!fx->established || !sa->initiator || !e->in_tcp500 ||
	    !(sa->nat_local || sa->nat_remote) || fx->send || sa->req.len)
		return;
	if (!ike_info_liveness(sa, fx))
		sa->req.over_udp = true;
}

/*
 * An authentic datagram of the peer's request: its size bounds our
 * answer's fragments (frag.h).  Fragment 1 is always full size; the
 * latest one counts, so a peer that went down to smaller fragments (RFC
 * 7383 2.5.2) is followed.
 */
static void note_request_size(struct ike_sa *sa, const struct ike_msg *m)
{
	if (m->has_skf && m->skf.number != 1)
		return;
	sa->req_in_len = m->raw.len;
}

/* Message ID rules and decryption for a message on an existing SA. */
static struct ike_sa *on_sa(struct ike_engine *e, struct ike_sa *sa,
			    struct ike_effects *fx, char *why, size_t whylen)
{
	struct ike_msg *m = &e->msg;
	bool response = m->hdr.flags & IKE_FLAG_RESPONSE;
	int rc;

	if (response) {
		if (!sa->req.len || m->hdr.msgid != sa->req.msgid) {
			snprintf(why, whylen, "response %u does not answer "
				 "our request", m->hdr.msgid);
			return sa;
		}
	} else if (m->hdr.msgid + 1 == sa->peer_msgid && sa->resp.len &&
		   sa->resp.msgid == m->hdr.msgid) {
		/* a retransmission: same answer; once per fragmented request,
		 * on its authentic first fragment (RFC 7383 2.6.1) */
		if (!m->has_skf || ike_frag_first_authentic(sa, m)) {
			if (m->has_skf && ike_frag_fit_answer(sa, m->raw.len))
				fx->answer_recut = sa->resp.frags.max_msg;
			fx->send = &sa->resp;
		}
		return sa;
	} else if (m->hdr.msgid != sa->peer_msgid) {
		snprintf(why, whylen, "request %u, expected %u", m->hdr.msgid,
			 sa->peer_msgid);
		return sa;
	}
	/* integrity first: a forged message changes nothing (2.21.2) */
	if (m->has_skf) {
		rc = ike_frag_input(sa, m, e->plain, e->now);
		if (rc >= 0 && !response)
			note_request_size(sa, m);
		if (rc <= 0) {
			/* a kept fragment is authentic, but no message yet */
			fx->authentic = rc == 0;
			snprintf(why, whylen, "%s", rc < 0 ? sa->why : "");
			return sa;
		}
		fx->frags_in = m->skf.total;
	} else if (ike_sk_open_msg(sa, m, e->plain)) {
		snprintf(why, whylen, "%s", sa->why);
		return sa;
	}
	sa->why[0] = '\0';
	fx->authentic = true;
	if (!m->has_skf && !response)
		note_request_size(sa, m);
	if (response) {
		rc = handle_response(sa, m, fx);
		if (!rc)
			nat_liveness(e, sa, fx);
	} else {
		bool was_half_open = sa->state == IKE_S_INIT_DONE;

		sa->peer_msgid++;
		rc = handle_request(sa, m, fx);
		/* IKE_INTERMEDIATE leaves it half-open */
		if (was_half_open && sa->state != IKE_S_INIT_DONE &&
		    e->table.half_open)
			e->table.half_open--;
	}
	if (rc || sa->why[0])
		snprintf(why, whylen, "%s", sa->why);
	return sa;
}

struct ike_sa *ike_engine_input(struct ike_engine *e, const uint8_t *buf,
				size_t len,
				const struct sockaddr_storage *local,
				const struct sockaddr_storage *remote,
				struct ike_effects *fx, char *why,
				size_t whylen)
{
	struct ike_msg *m = &e->msg;
	struct ike_parse_result r;
	struct ike_sa *sa;

	memset(fx, 0, sizeof(*fx));
	why[0] = '\0';
	r = ike_msg_parse(buf, len, m);
	if (r.err) {
		/* RFC 7296 2.21.1: no answer to an unauthenticated mess */
		snprintf(why, whylen, "malformed message: %s at offset %zu",
			 r.why ? r.why : "bad syntax", r.offset);
		return NULL;
	}
	if (m->hdr.exchange == IKE_SA_INIT &&
	    !(m->hdr.flags & IKE_FLAG_RESPONSE)) {
		if (!(m->hdr.flags & IKE_FLAG_INITIATOR)) {
			snprintf(why, whylen, "IKE_SA_INIT request without "
				 "the Initiator flag");
			return NULL;
		}
		return new_request(e, m, local, remote, fx, why, whylen);
	}
	sa = ike_sa_lookup(&e->table, &m->hdr);
	if (!sa) {
		snprintf(why, whylen, "no IKE SA for SPIs %016llx/%016llx",
			 (unsigned long long)m->hdr.spi_i,
			 (unsigned long long)m->hdr.spi_r);
		return NULL;
	}
	if (m->hdr.exchange == IKE_SA_INIT) {
		if (ike_init_response(sa, m, fx))
			snprintf(why, whylen, "%s", sa->why);
		return sa;
	}
	return on_sa(e, sa, fx, why, whylen);
}

/* Has the engine another IKE SA, up or coming up, with sa's peer? */
static bool other_sa_with(const struct ike_engine *e, const struct ike_sa *sa)
{
	const struct ike_sa *s;

	for (s = e->table.head; s; s = s->next)
		if (s != sa && s->state != IKE_S_DELETING &&
		    s->state != IKE_S_DEAD &&
		    ike_same_ip(&s->remote, &sa->remote))
			return true;
	return false;
}

struct ike_sa *ike_engine_initiate(struct ike_engine *e,
				   const struct ike_conn_params *conn,
				   const struct sockaddr_storage *local,
				   const struct sockaddr_storage *remote,
				   struct ike_effects *fx, char *why,
				   size_t whylen)
{
	struct ike_sa *sa;

	memset(fx, 0, sizeof(*fx));
	sa = ike_sa_new(&e->table, conn, true);
	if (!sa) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	sa->local = *local;
	sa->remote = *remote;
	sa->initial_contact = !other_sa_with(e, sa);
	sa->init_tcp = e->in_tcp;
	sa->sep_offered = conn->sep_offer && !e->no_sep_offer;
	e->no_sep_offer = false;
	if (ike_init_start(sa, 0, fx)) {
		snprintf(why, whylen, "%s", sa->why);
		ike_engine_drop(e, sa);
		return NULL;
	}
	return sa;
}
