/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ML-KEM (FIPS 203): ML-KEM-512, -768 and -1024, named here by their
 * module rank k (2, 3, 4).
 *
 * Two implementations with one byte-oriented interface:
 *
 *  - mlkem.c, the project's own, in portable C11: constant time (no branch
 *    and no memory index on secret data; test_mlkem.c and
 *    selftests/mlkem/ct-valgrind.sh check it), its own Keccak-f[1600] for
 *    SHA3-256, SHA3-512, SHAKE-128 and SHAKE-256.
 *  - mlkem_evp.c, libcrypto's (OpenSSL 3.5 and later), found at run time,
 *    so that one build works on Debian 12 (OpenSSL 3.0: no ML-KEM) and
 *    uses libcrypto's on Debian 13.
 *
 * ik_kex (kex.c) uses libcrypto's when it has one (ik_mlkem_select()).
 *
 * Byte strings are FIPS 203's: ek = ByteEncode12(t^) | rho,
 * dk = ByteEncode12(s^) | ek | H(ek) | z, ct = c1 | c2, and the shared
 * secret K is IK_MLKEM_SS_LEN bytes.  Functions return 0 on success and -1
 * on failure (unknown k, a length that is not the parameter set's, or an
 * input that fails the checks of FIPS 203 7.2 and 7.3); outputs are then
 * zeroed.  Decapsulating a ciphertext that does not re-encrypt is not a
 * failure: K is then the implicit-rejection key J(z | ct).
 */
#ifndef IKETCPD_MLKEM_H
#define IKETCPD_MLKEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#define IK_MLKEM512	2
#define IK_MLKEM768	3
#define IK_MLKEM1024	4

#define IK_MLKEM_SEED_LEN	32	/* d, z, m */
#define IK_MLKEM_SS_LEN		32	/* K */
#define IK_MLKEM_EK_LEN(k)	((size_t)384 * (k) + 32)
#define IK_MLKEM_DK_LEN(k)	((size_t)768 * (k) + 96)
/* du = 10, dv = 4 for k = 2, 3; du = 11, dv = 5 for k = 4 */
#define IK_MLKEM_CT_LEN(k)	((size_t)((k) == 4 ? 1568 : 320 * (k) + 128))
#define IK_MLKEM_EK_MAX		IK_MLKEM_EK_LEN(4)
#define IK_MLKEM_DK_MAX		IK_MLKEM_DK_LEN(4)
#define IK_MLKEM_CT_MAX		IK_MLKEM_CT_LEN(4)

/* ---- mlkem.c: the project's implementation --------------------------- */

/* Lengths for rank k; 0 if k is not 2, 3 or 4. */
size_t ik_mlkem_ek_len(int k);
size_t ik_mlkem_dk_len(int k);
size_t ik_mlkem_ct_len(int k);

/* ML-KEM.KeyGen_internal(d, z): ek (ek_len) and dk (dk_len). */
int ik_mlkem_keygen_derand(int k, const uint8_t d[32], const uint8_t z[32],
			   uint8_t *ek, uint8_t *dk);
/* ML-KEM.KeyGen with fresh d and z from ik_random(). */
int ik_mlkem_keygen(int k, uint8_t *ek, uint8_t *dk);

/*
 * FIPS 203 7.2 input check of an encapsulation key: its length, and
 * ByteEncode12(ByteDecode12(ek)) == ek (every coefficient below q).
 */
int ik_mlkem_check_ek(int k, const uint8_t *ek, size_t ek_len);

/* ML-KEM.Encaps_internal(ek, m) after the 7.2 check: K and ct (ct_len). */
int ik_mlkem_encaps_derand(int k, const uint8_t *ek, size_t ek_len,
			   const uint8_t m[32], uint8_t K[32], uint8_t *ct);
/* ML-KEM.Encaps with a fresh m from ik_random(). */
int ik_mlkem_encaps(int k, const uint8_t *ek, size_t ek_len, uint8_t K[32],
		    uint8_t *ct);

/*
 * ML-KEM.Decaps after the 7.3 checks (the lengths of ct and dk, and
 * H(ek) in dk matching the ek in dk).  Constant time in dk and in whether
 * ct is valid.
 */
int ik_mlkem_decaps(int k, const uint8_t *dk, size_t dk_len,
		    const uint8_t *ct, size_t ct_len, uint8_t K[32]);

/* ---- mlkem_evp.c: libcrypto's, and which one ik_kex uses ------------- */

enum ik_mlkem_impl {
	IK_MLKEM_AUTO,		/* libcrypto's if it has one (the default) */
	IK_MLKEM_OWN,		/* always mlkem.c */
	IK_MLKEM_LIBCRYPTO,	/* libcrypto's; -1 from select if absent */
};

/* True if this libcrypto has ML-KEM (OpenSSL >= 3.5); probed once. */
bool ik_mlkem_evp_available(void);
/* What ik_kex_new*() use from now on, for tests and benchmarks. */
int ik_mlkem_select(enum ik_mlkem_impl impl);
bool ik_mlkem_uses_libcrypto(void);
/* "libcrypto" or "iketcp": for logs and the benchmark's table. */
const char *ik_mlkem_impl_name(void);

/*
 * libcrypto's ML-KEM, same rules as above.  keygen: seed is d | z (64
 * bytes), or NULL for a fresh key pair; the key stays in an EVP_PKEY.
 * encaps: m NULL for a fresh one.
 */
EVP_PKEY *ik_mlkem_evp_keygen(int k, const uint8_t *seed);
int ik_mlkem_evp_ek(const EVP_PKEY *pk, uint8_t *ek, size_t ek_len);
int ik_mlkem_evp_dk(const EVP_PKEY *pk, uint8_t *dk, size_t dk_len);
EVP_PKEY *ik_mlkem_evp_from_dk(int k, const uint8_t *dk, size_t dk_len);
int ik_mlkem_evp_encaps(int k, const uint8_t *ek, size_t ek_len,
			const uint8_t *m, uint8_t K[32], uint8_t *ct);
int ik_mlkem_evp_decaps(EVP_PKEY *pk, const uint8_t *ct, size_t ct_len,
			uint8_t K[32]);

/* ---- for tests only --------------------------------------------------- */

/*
 * Called, when set, with each intermediate value by its name in the C2SP
 * intermediate-value files (ρ, σ, A, s, NTT(s), t, μ, u, c1, w, KBar, ...):
 * polynomials as ByteEncode12.  Never set in iketcpd: it would see secrets.
 */
typedef void ik_mlkem_trace_fn(void *arg, const char *name,
			       const uint8_t *p, size_t len);
void ik_mlkem_set_trace(ik_mlkem_trace_fn *fn, void *arg);

/*
 * KeyGen of the initial public draft of FIPS 203 (August 2023): (rho,
 * sigma) = G(d) where the standard has G(d | k).  The C2SP intermediate
 * and unlucky-sample files were made with it; nothing else differs.
 */
int ik_mlkem_keygen_derand_draft(int k, const uint8_t d[32],
				 const uint8_t z[32], uint8_t *ek, uint8_t *dk);

/* Compress_d and Decompress_d of FIPS 203 4.2.1, for an exhaustive test. */
uint16_t ik_mlkem_compress(unsigned int d, uint16_t x);
uint16_t ik_mlkem_decompress(unsigned int d, uint16_t y);

/* The Keccak functions ML-KEM uses, for a test against libcrypto's. */
struct ik_keccak {
	uint64_t a[25];
	unsigned int pos;	/* byte offset into the rate */
	unsigned int rate;	/* bytes */
	bool squeezing;
};

void ik_shake_init(struct ik_keccak *c, unsigned int bits);	/* 128, 256 */
void ik_shake_absorb(struct ik_keccak *c, const void *p, size_t len);
/* The first squeeze ends the absorbing; squeezes may follow in any sizes. */
void ik_shake_squeeze(struct ik_keccak *c, void *out, size_t len);
void ik_sha3_256(const void *p, size_t len, uint8_t out[32]);
void ik_sha3_512(const void *p, size_t len, uint8_t out[64]);

#endif
