/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Proposal strings of iketcpd.conf (`ike = ...`, `esp = ...`) into the
 * transform lists IKEv2 puts in an SA payload: IDs of ike/wire.h and key
 * lengths, nothing else.  Pure: no I/O, no allocation, no global state.
 *
 * A list is proposals separated by commas, in order of preference; a
 * proposal is algorithm names joined by '-':
 *
 *     aes256gcm16-prfsha256-x25519, aes128-sha256-ecp256     (ike)
 *     aes256gcm16-x25519-esn, aes128-sha256                   (esp)
 *
 * Several names of one type in a proposal are alternatives, in order of
 * preference (aes256-aes128-sha256-x25519), except key exchanges: a second
 * one is an additional key exchange of RFC 9370 (ADDKE1, ..., at most
 * IK_MAX_ADDKE).  The rules, the error wording and the
 * table of names are in proposal.c and iketcpd.conf(5); test_proposal.c
 * checks each.
 */
#ifndef IKETCPD_PROPOSAL_H
#define IKETCPD_PROPOSAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/msg.h"	/* struct ike_transform, IKE_MAX_PROPOSALS, ... */

/*
 * Additional key exchanges (RFC 9370) a proposal may carry after its first
 * one: `x25519-mlkem768` is KE x25519 + ADDKE1 ML-KEM-768, run in
 * IKE_INTERMEDIATE for a new IKE SA, in IKE_FOLLOWUP_KE after a
 * CREATE_CHILD_SA (Child SAs with PFS, IKE SA rekeys).
 */
#define IK_MAX_ADDKE		7

/*
 * One proposal as we will offer it: its transforms sorted by type
 * (ENCR, PRF, INTEG, KE, ESN, ADDKE1..7), alternatives of one type in the
 * order they were written.  Not `struct ike_proposal` (ike/msg.h): that one
 * is what a peer sent, with its number and SPI.
 */
struct ik_proposal {
	uint8_t protocol;		/* IKE_PROTO_IKE or IKE_PROTO_ESP */
	uint8_t n;
	struct ike_transform t[IKE_MAX_TRANSFORMS];
};

struct ik_proposals {
	uint8_t n;
	struct ik_proposal p[IKE_MAX_PROPOSALS];
};

/*
 * Parse the list s for protocol IKE_PROTO_IKE or IKE_PROTO_ESP and append
 * its proposals to out (so a list continued on the next line appends).
 * Returns 0, or -1 with the problem in err (no file or line: the caller
 * adds them) and out unchanged.
 */
int ik_proposals_parse(struct ik_proposals *out, uint8_t protocol,
		       const char *s, char *err, size_t errlen);

/*
 * The canonical string of one proposal (every transform spelled out, e.g.
 * "aes256gcm16-prfsha256-x25519", "aes128-sha256-noesn"), which parses back
 * to the same proposal.  Returns what snprintf() would.
 */
int ik_proposal_format(const struct ik_proposal *p, char *buf, size_t size);

/* The first transform of type `type`, or NULL. */
const struct ike_transform *ik_proposal_find(const struct ik_proposal *p,
					     uint8_t type);

bool ik_proposals_equal(const struct ik_proposals *a,
			const struct ik_proposals *b);

#endif
