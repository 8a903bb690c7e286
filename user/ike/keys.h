/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IKE SA keys: SKEYSEED and the seven keys of RFC 7296 2.14, their rekeyed
 * successors (2.18, and RFC 9370's additional key exchanges, which use the
 * same formula), Child SA key material (2.17), and the PSK AUTH value with
 * its signed octets (2.15, RFC 9242's IntAuth appended).
 *
 * Directions: sk_i (SK_ei, SK_ai) protects every message the IKE SA's
 * initiator sends, requests and responses alike; sk_r every message its
 * responder sends.  SK_pi authenticates the initiator's ID in its signed
 * octets, SK_pr the responder's.  For a rekeyed IKE SA, "initiator" is the
 * one that sent the CREATE_CHILD_SA request: its nonce is Ni and its new
 * SPI is SPIi.
 *
 * Everything returns 0 (or a length) on success and -1 on bad input or
 * unsupported algorithms; the caller's outputs are wiped on failure.  An
 * ike_keys holds secrets: ike_keys_wipe() it before its memory is reused.
 */
#ifndef IKETCPD_IKE_KEYS_H
#define IKETCPD_IKE_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"

struct ike_keys {
	uint16_t prf, encr, keybits, integ;	/* transform IDs (ike/wire.h) */
	size_t prf_len;				/* of sk_d, sk_pi, sk_pr */
	uint8_t sk_d[IK_PRF_MAX];
	uint8_t sk_pi[IK_PRF_MAX];
	uint8_t sk_pr[IK_PRF_MAX];
	struct ik_sk_key sk_i;			/* SK_ei + SK_ai */
	struct ik_sk_key sk_r;			/* SK_er + SK_ar */
};

/* SKEYSEED = prf(Ni | Nr, g^ir) into out; returns ik_prf_len(prf). */
int ike_skeyseed(uint16_t prf, const uint8_t *gir, size_t girlen,
		 const uint8_t *ni, size_t nilen, const uint8_t *nr,
		 size_t nrlen, uint8_t *out);

/*
 * Rekey (or RFC 9370 additional key exchange):
 * SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), with the OLD SA's PRF;
 * returns ik_prf_len(old_prf).
 */
int ike_skeyseed_rekey(uint16_t old_prf, const uint8_t *old_sk_d,
		       size_t old_sk_d_len, const uint8_t *gir, size_t girlen,
		       const uint8_t *ni, size_t nilen, const uint8_t *nr,
		       size_t nrlen, uint8_t *out);

/*
 * A new IKE SA's keys:
 * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr}
 *	= prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
 * with SKEYSEED from ike_skeyseed(); SPIs in host order (sent big-endian).
 * encr/keybits/integ as ik_sk_key_set() takes them (integ NONE for GCM).
 */
int ike_keys_derive(struct ike_keys *k, uint16_t prf, uint16_t encr,
		    uint16_t keybits, uint16_t integ,
		    const uint8_t *gir, size_t girlen,
		    const uint8_t *ni, size_t nilen,
		    const uint8_t *nr, size_t nrlen,
		    uint64_t spi_i, uint64_t spi_r);

/*
 * The same for a rekeyed IKE SA (or after an RFC 9370 additional key
 * exchange, with old = the SA's current keys and unchanged SPIs): SKEYSEED
 * from ike_skeyseed_rekey() with old_sk_d and old_prf, then prf+ with the
 * NEW prf.  nk may not be the struct old_sk_d points into.
 */
int ike_keys_rekey(struct ike_keys *nk, const uint8_t *old_sk_d,
		   uint16_t old_prf, uint16_t prf, uint16_t encr,
		   uint16_t keybits, uint16_t integ,
		   const uint8_t *gir, size_t girlen,
		   const uint8_t *ni, size_t nilen,
		   const uint8_t *nr, size_t nrlen,
		   uint64_t spi_i, uint64_t spi_r);

/*
 * Child SA key material: KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr), outlen
 * bytes; gir NULL (girlen 0) without a key exchange.  The caller splits it
 * (RFC 7296 2.17: initiator-to-responder keys first, encryption before
 * integrity in each direction).
 */
int ike_child_keymat(uint16_t prf, const uint8_t *sk_d, size_t prflen,
		     const uint8_t *gir, size_t girlen,
		     const uint8_t *ni, size_t nilen,
		     const uint8_t *nr, size_t nrlen,
		     uint8_t *out, size_t outlen);

/*
 * <SignedOctets> of one side (RFC 7296 2.15, RFC 9242 3.3.2) into out:
 *
 *   initiator (of_initiator true):
 *	RealMessage1 | NonceRData | prf(SK_pi, RestOfInitIDPayload) | IntAuth
 *   responder (false):
 *	RealMessage2 | NonceIData | prf(SK_pr, RestOfRespIDPayload) | IntAuth
 *
 * real_msg is that side's IKE_SA_INIT message as it was sent, nonce the
 * OTHER side's Nonce data, id_body the side's ID payload after the generic
 * header (struct ike_id_pl.body), int_auth RFC 9242's IntAuth (NULL, 0
 * without IKE_INTERMEDIATE).  Each side computes its own to make its AUTH
 * and the peer's to check the peer's.  out must not overlap the inputs.
 * Returns the length written; with out NULL, the length needed.
 */
int ike_signed_octets(const struct ike_keys *k, bool of_initiator,
		      const uint8_t *real_msg, size_t msglen,
		      const uint8_t *nonce, size_t noncelen,
		      const uint8_t *id_body, size_t idlen,
		      const uint8_t *int_auth, size_t ialen,
		      uint8_t *out, size_t cap);

/*
 * AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)
 * (RFC 7296 2.15; 2.16 uses it with the EAP MSK as the shared secret).
 * out gets ik_prf_len(prf) bytes; returns that length.  Compare a peer's
 * AUTH with CRYPTO_memcmp().
 */
int ike_psk_auth(uint16_t prf, const uint8_t *psk, size_t psklen,
		 const uint8_t *signed_octets, size_t len, uint8_t *out);

void ike_keys_wipe(struct ike_keys *k);

#endif
