/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Proposals on the wire and in the config: turning ours into an SA payload,
 * choosing among the peer's (responder), and checking the peer's choice
 * (initiator).  Pure functions over ike/msg.h structs.
 */
#ifndef IKETCPD_IKE_CHOOSE_H
#define IKETCPD_IKE_CHOOSE_H

#include "ike/sa.h"

/*
 * Our proposals as an SA payload for protocol IKE (spi_size 0) or ESP
 * (spi: our inbound SPI, network order, 4 bytes).  ke_first: for IKE, the
 * group to put first in every proposal that offers it (the one our KE
 * payload uses); 0 keeps the config's order.
 */
void ike_props_to_sa(const struct ike_prop *props, int n, uint8_t protocol,
		     const uint8_t *spi, uint8_t spi_size, struct ike_sa_pl *sa);

/* ESP proposals with their groups: a CREATE_CHILD_SA with PFS. */
void ike_props_to_sa_pfs(const struct ike_prop *props, int n,
			 const uint8_t *spi, struct ike_sa_pl *sa);

/*
 * Responder: the first proposal of the peer's (in its order) that one of
 * ours accepts; fills *chosen (our view) and *reply (the one proposal to
 * send back, peer's number and SPI).  ke_required: for IKE, the group must
 * match one the proposal offers, not necessarily the KE payload's (the
 * caller checks that and answers INVALID_KE_PAYLOAD).  Returns 0 or -1
 * (NO_PROPOSAL_CHOSEN).
 */
int ike_choose(const struct ike_sa_pl *peer, uint8_t protocol,
	       const struct ike_prop *ours, int n, bool want_ke,
	       struct ike_prop *chosen, struct ike_proposal *reply);

/*
 * Initiator: the responder's answer must be exactly one proposal, one
 * transform per type, and acceptable to one of ours.  0 or -1.
 */
int ike_check_choice(const struct ike_sa_pl *answer, uint8_t protocol,
		     const struct ike_prop *ours, int n, bool want_ke,
		     struct ike_prop *chosen, struct ike_proposal *got);

/* A key exchange's name ("mlkem768"), or "group N". */
const char *ike_ke_name(uint16_t ke, char *buf, size_t len);

/* "aes256gcm16-prfsha256-x25519" style name of a chosen proposal. */
const char *ike_prop_name(const struct ike_prop *p, bool ike, char *buf,
			  size_t len);

#endif
