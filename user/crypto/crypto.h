/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The helper's cryptography, behind small interfaces keyed by IKEv2
 * transform IDs (ike/wire.h).  Everything goes through OpenSSL libcrypto's
 * EVP layer; nothing here knows about messages or SAs.
 *
 *  - prf.c:  PRF and prf+ (RFC 7296 2.13)
 *  - kex.c:  key exchange: MODP, ECP, X25519 and ML-KEM behind one
 *            interface in which a KEM is a key exchange whose responder
 *            "public value" depends on the initiator's (mlkem.c,
 *            mlkem_evp.c: ML-KEM itself)
 *  - sk.c:   the SK payload's protection: AES-GCM-16, AES-CBC + HMAC-SHA2
 *  - rand:   ik_random() for SPIs, nonces, IVs
 *
 * Secrets are wiped (OPENSSL_cleanse) before their memory is freed.
 * Functions return 0 (or a length) on success and -1 on failure; they never
 * abort on bad input.
 */
#ifndef IKETCPD_CRYPTO_H
#define IKETCPD_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IK_PRF_MAX	64	/* SHA-512 */
#define IK_KEX_MAX	1568	/* largest public value or ciphertext (ML-KEM-1024 ek) */
#define IK_SECRET_MAX	512	/* largest shared secret (MODP-4096 would be 512) */

struct ik_iov {
	const void *p;
	size_t len;
};

int ik_random(void *buf, size_t len);

/* ---- prf.c ---------------------------------------------------------- */

/* Output length of the PRF in bytes, 0 if unsupported. */
size_t ik_prf_len(uint16_t prf);
/* out (ik_prf_len(prf) bytes) = prf(key, iov[0] | iov[1] | ...). */
int ik_prfv(uint16_t prf, const uint8_t *key, size_t klen,
	    const struct ik_iov *iov, int niov, uint8_t *out);
int ik_prf(uint16_t prf, const uint8_t *key, size_t klen,
	   const uint8_t *data, size_t dlen, uint8_t *out);
/* prf+ (RFC 7296 2.13): outlen bytes, at most 255 * ik_prf_len(prf). */
int ik_prf_plus(uint16_t prf, const uint8_t *key, size_t klen,
		const uint8_t *seed, size_t slen, uint8_t *out, size_t outlen);

/* ---- kex.c ---------------------------------------------------------- */

struct ik_kex;

bool ik_kex_supported(uint16_t group);
/*
 * Length the peer's public value must have; 0 if unknown.  For a KEM
 * (ML-KEM, 35-37) the initiator receives the ciphertext and the responder
 * the encapsulation key: we_initiated picks which.
 */
size_t ik_kex_peer_len(uint16_t group, bool we_initiated);

/*
 * A fresh private key (or KEM key pair) for one exchange: the initiator's
 * side.  For a KEM, ik_kex_public() is the encapsulation key and
 * ik_kex_shared() decapsulates the responder's ciphertext.
 */
struct ik_kex *ik_kex_new(uint16_t group);
/*
 * The responder's side.  The same as ik_kex_new() but for a KEM: no key
 * pair; ik_kex_shared() encapsulates to the initiator's key (once), and
 * only then does ik_kex_public() give the ciphertext (before, it fails).
 */
struct ik_kex *ik_kex_new_responder(uint16_t group);
/*
 * Derive the shared secret from the peer's value into out (cap bytes);
 * returns its length (ML-KEM: 32) or -1 (wrong length, point not on the
 * curve, an ML-KEM key with a coefficient not below q, ...).  A KEM
 * ciphertext that does not decapsulate gives FIPS 203's implicit-rejection
 * secret, not -1: the peer finds out when the AUTH check fails.
 */
int ik_kex_shared(struct ik_kex *k, const uint8_t *peer, size_t plen,
		  uint8_t *out, size_t cap);
/* Our public value (KE payload data) into out; returns its length or -1. */
int ik_kex_public(const struct ik_kex *k, uint8_t *out, size_t cap);
void ik_kex_free(struct ik_kex *k);

/*
 * For tests only (known-answer vectors): a key exchange whose private key
 * is given.  X25519 only (priv: 32 bytes, RFC 7748); NULL for other groups.
 */
struct ik_kex *ik_kex_new_with_private(uint16_t group, const uint8_t *priv,
				       size_t len);

/* ---- sk.c ----------------------------------------------------------- */

/* One direction's keys of an SK payload (SK_ei + SK_ai, or SK_er + SK_ar). */
struct ik_sk_key {
	uint16_t encr;			/* IKE_ENCR_* */
	uint16_t keybits;		/* 128, 192, 256 */
	uint16_t integ;			/* IKE_INTEG_*; NONE for AEAD */
	uint8_t ek[36];			/* AES key, + 4-byte salt for GCM */
	uint8_t ak[64];
};

/* Key material lengths, in bytes, for the keying order of RFC 7296 2.14. */
size_t ik_encr_keymat_len(uint16_t encr, uint16_t keybits);	/* 0: unsupported */
size_t ik_integ_keymat_len(uint16_t integ);			/* 0 for NONE */
bool ik_encr_is_aead(uint16_t encr);

/* Fill k from key material (ik_encr_keymat_len + ik_integ_keymat_len bytes
 * already split by the caller). */
int ik_sk_key_set(struct ik_sk_key *k, uint16_t encr, uint16_t keybits,
		  uint16_t integ, const uint8_t *ek, const uint8_t *ak);
void ik_sk_key_wipe(struct ik_sk_key *k);

/* Length of the SK body (IV | ciphertext with padding | ICV) for plen bytes
 * of inner payloads. */
size_t ik_sk_body_len(const struct ik_sk_key *k, size_t plen);

/*
 * Protect: msg[0..sk_hdr_end) holds the IKE header (length already final)
 * and the SK generic header; the body (ik_sk_body_len(k, plen) bytes) is
 * written at msg + sk_hdr_end.  AEAD: the AAD is msg[0..sk_hdr_end) (RFC
 * 5282); otherwise the ICV covers msg[0..end of ciphertext).
 */
int ik_sk_seal(const struct ik_sk_key *k, uint8_t *msg, size_t sk_hdr_end,
	       const uint8_t *plain, size_t plen);

/*
 * Check and decrypt the body at msg + sk_hdr_end up to msg_len.  Writes the
 * inner payloads (padding removed) to plain; returns their length, or -1 if
 * the body is malformed or fails authentication (nothing useful in plain).
 */
int ik_sk_open(const struct ik_sk_key *k, const uint8_t *msg,
	       size_t sk_hdr_end, size_t msg_len, uint8_t *plain, size_t cap);

#endif
