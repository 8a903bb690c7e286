/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IKE engine: one incoming message in, routed to its SA and exchange,
 * with the message ID rules of RFC 7296 2.1-2.3 (window of one): a new
 * request is handled once, a retransmitted one gets the cached response,
 * anything else is dropped.  No sockets, no clock: daemon.c feeds it and
 * applies the effects; the unit tests run two engines against each other.
 */
#ifndef IKETCPD_IKE_ENGINE_H
#define IKETCPD_IKE_ENGINE_H

#include "ike/cookie.h"
#include "ike/exchange.h"

/* Half-open IKE SAs one peer address may hold (after proving it with a
 * COOKIE when the responder is under load). */
#define IKE_HALF_OPEN_PER_PEER	16

struct ike_engine {
	struct ike_sa_table table;
	/* responder: the connection for a new IKE_SA_INIT, or NULL */
	const struct ike_conn_params *(*find_conn)(void *ctx,
			const struct sockaddr_storage *local,
			const struct sockaddr_storage *remote);
	void *ctx;
	unsigned int max_half_open;	/* refuse new IKE SAs beyond it */
	unsigned int cookie_threshold;	/* half-open SAs before COOKIEs */
	struct ike_cookie_jar cookies;
	struct ike_out stateless;	/* answers that create no SA */
	uint8_t plain[IKE_MAX_MSG];	/* decrypted payloads of the message */
	struct ike_msg msg;		/* the message being handled */
	uint8_t stateless_buf[512];
	/* set by the daemon around one call: the message came over TCP (no
	 * COOKIE is ever asked there, RFC 9329 section 3); the next
	 * initiation leaves SEPARATE_TRANSPORTS out (the UDP fallback) */
	bool in_tcp;
	bool no_sep_offer;
	/* ... and it came over TCP port 500 (draft-ietf-ipsecme-ike-tcp), on
	 * a connection that lives for a few exchanges only */
	bool in_tcp500;
	uint64_t now;			/* ms, set by the daemon: fragment ages */
};

void ike_engine_init(struct ike_engine *e);
void ike_engine_destroy(struct ike_engine *e);	/* frees every SA */

/*
 * Handle one message that came from remote to local.  Returns the SA it
 * belongs to (NULL if none: then fx->send, if set, is e->stateless, to be
 * sent back to remote).  why gets a line for the log when the message was
 * refused or dropped, or an SA failed.
 */
struct ike_sa *ike_engine_input(struct ike_engine *e, const uint8_t *buf,
				size_t len,
				const struct sockaddr_storage *local,
				const struct sockaddr_storage *remote,
				struct ike_effects *fx, char *why,
				size_t whylen);

/* Start an IKE SA for conn from local to remote (initiator). */
struct ike_sa *ike_engine_initiate(struct ike_engine *e,
				   const struct ike_conn_params *conn,
				   const struct sockaddr_storage *local,
				   const struct sockaddr_storage *remote,
				   struct ike_effects *fx, char *why,
				   size_t whylen);

/* Put the new SA of an IKE SA rekey (ike_effects.rekeyed) in the table. */
void ike_engine_adopt(struct ike_engine *e, struct ike_sa *sa);

/* Remove sa from the table and free it (after the daemon removed its
 * Child SAs from the kernel). */
void ike_engine_drop(struct ike_engine *e, struct ike_sa *sa);

#endif
