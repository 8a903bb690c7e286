// SPDX-License-Identifier: GPL-2.0
/*
 * The project's ML-KEM (user/crypto/mlkem.c) against OpenSSL 3.5's, built
 * and run by diff-openssl35.sh inside a Debian 13 chroot.  Per parameter
 * set and random seed:
 *
 *  - keygen: the same d | z gives the same ek and dk (OpenSSL's "seed");
 *  - encaps: the same ek and m give the same ct and K (OpenSSL's "ikme");
 *  - each side decapsulates the other's ciphertext to the same K, and a
 *    random ciphertext to the same implicit-rejection K;
 *  - OpenSSL's own random key pair: we encapsulate to its ek, and
 *    decapsulate its ciphertexts with its dk;
 *  - a key with a coefficient of q: both refuse it (FIPS 203 7.2);
 *  - kex.c with libcrypto's backend (mlkem_evp.c) against kex.c with the
 *    project's, both ways round, and libcrypto's on both sides.
 *
 *   diff_openssl [SEEDS]       SEEDS per parameter set (default 200)
 *
 * KTAP on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto/crypto.h"
#include "crypto/mlkem.h"
#include "ike/wire.h"

static int failures;

#define EXPECT(cond, k, n) do { \
	if (!(cond)) { \
		if (failures++ < 20) \
			printf("# ML-KEM k=%d seed %d: failed: %s\n", k, n, \
			       #cond); \
	} \
} while (0)

static void rnd(void *p, size_t len)
{
	if (RAND_bytes(p, (int)len) != 1)
		abort();
}

/* One random seed, m and ciphertext for rank k; counts into failures. */
static void one_seed(int k, int n)
{
	static uint8_t ek1[IK_MLKEM_EK_MAX], dk1[IK_MLKEM_DK_MAX];
	static uint8_t ek2[IK_MLKEM_EK_MAX], dk2[IK_MLKEM_DK_MAX];
	static uint8_t ct1[IK_MLKEM_CT_MAX], ct2[IK_MLKEM_CT_MAX];
	static uint8_t bad[IK_MLKEM_CT_MAX];
	size_t ekl = ik_mlkem_ek_len(k), dkl = ik_mlkem_dk_len(k),
	       ctl = ik_mlkem_ct_len(k);
	uint8_t seed[64], m[32], K1[32], K2[32], K3[32], K4[32];
	EVP_PKEY *pk, *mine;

	rnd(seed, sizeof(seed));
	rnd(m, sizeof(m));
	rnd(bad, ctl);
	EXPECT(ik_mlkem_keygen_derand(k, seed, seed + 32, ek1, dk1) == 0, k, n);
	pk = ik_mlkem_evp_keygen(k, seed);
	EXPECT(pk != NULL, k, n);
	if (!pk)
		return;
	EXPECT(ik_mlkem_evp_ek(pk, ek2, ekl) == 0, k, n);
	EXPECT(ik_mlkem_evp_dk(pk, dk2, dkl) == 0, k, n);
	EXPECT(!memcmp(ek1, ek2, ekl), k, n);
	EXPECT(!memcmp(dk1, dk2, dkl), k, n);

	/* the same m: the same ciphertext and key */
	EXPECT(ik_mlkem_encaps_derand(k, ek1, ekl, m, K1, ct1) == 0, k, n);
	EXPECT(ik_mlkem_evp_encaps(k, ek1, ekl, m, K2, ct2) == 0, k, n);
	EXPECT(!memcmp(ct1, ct2, ctl) && !memcmp(K1, K2, 32), k, n);

	/* each decapsulates the other's, fresh m on OpenSSL's side */
	EXPECT(ik_mlkem_evp_encaps(k, ek1, ekl, NULL, K2, ct2) == 0, k, n);
	EXPECT(ik_mlkem_decaps(k, dk1, dkl, ct2, ctl, K3) == 0, k, n);
	EXPECT(!memcmp(K2, K3, 32), k, n);
	EXPECT(ik_mlkem_evp_decaps(pk, ct1, ctl, K4) == 0, k, n);
	EXPECT(!memcmp(K1, K4, 32), k, n);

	/* implicit rejection agrees */
	EXPECT(ik_mlkem_decaps(k, dk1, dkl, bad, ctl, K3) == 0, k, n);
	EXPECT(ik_mlkem_evp_decaps(pk, bad, ctl, K4) == 0, k, n);
	EXPECT(!memcmp(K3, K4, 32), k, n);

	/* our dk imported into OpenSSL decapsulates our ciphertext */
	mine = ik_mlkem_evp_from_dk(k, dk1, dkl);
	EXPECT(mine && ik_mlkem_evp_decaps(mine, ct1, ctl, K4) == 0 &&
	       !memcmp(K1, K4, 32), k, n);
	EVP_PKEY_free(mine);
	EVP_PKEY_free(pk);

	/* OpenSSL's own random key pair */
	pk = ik_mlkem_evp_keygen(k, NULL);
	EXPECT(pk && ik_mlkem_evp_ek(pk, ek2, ekl) == 0 &&
	       ik_mlkem_evp_dk(pk, dk2, dkl) == 0, k, n);
	EXPECT(ik_mlkem_encaps(k, ek2, ekl, K1, ct1) == 0, k, n);
	EXPECT(ik_mlkem_evp_decaps(pk, ct1, ctl, K2) == 0, k, n);
	EXPECT(!memcmp(K1, K2, 32), k, n);
	EXPECT(ik_mlkem_evp_encaps(k, ek2, ekl, NULL, K1, ct2) == 0, k, n);
	EXPECT(ik_mlkem_decaps(k, dk2, dkl, ct2, ctl, K2) == 0, k, n);
	EXPECT(!memcmp(K1, K2, 32), k, n);
	EVP_PKEY_free(pk);

	/* coefficient n % 256 of the first polynomial set to q: 7.2 */
	memcpy(ek2, ek1, ekl);
	if (n % 2 == 0) {
		ek2[3 * (n % 128)] = 3329 & 0xff;
		ek2[3 * (n % 128) + 1] = (uint8_t)((ek2[3 * (n % 128) + 1] &
						    0xf0) | 3329 >> 8);
	} else {
		ek2[3 * (n % 128) + 1] = (uint8_t)((ek2[3 * (n % 128) + 1] &
						    0x0f) | (3329 & 0x0f) << 4);
		ek2[3 * (n % 128) + 2] = 3329 >> 4;
	}
	EXPECT(ik_mlkem_encaps(k, ek2, ekl, K1, ct1) == -1, k, n);
	EXPECT(ik_mlkem_evp_encaps(k, ek2, ekl, NULL, K1, ct1) == -1, k, n);
}

/* Through kex.c: initiator with impl a, responder with impl b. */
static int kex_pair(uint16_t g, enum ik_mlkem_impl a, enum ik_mlkem_impl b,
		    bool tamper)
{
	static uint8_t ek[IK_KEX_MAX], ct[IK_KEX_MAX];
	uint8_t si[32], sr[32];
	struct ik_kex *i, *r;
	int ekl, ctl, ok;

	ik_mlkem_select(a);
	i = ik_kex_new(g);
	ik_mlkem_select(b);
	r = ik_kex_new_responder(g);
	ekl = i ? ik_kex_public(i, ek, sizeof(ek)) : -1;
	ok = r && ekl > 0 && ik_kex_shared(r, ek, (size_t)ekl, sr, 32) == 32;
	ctl = ok ? ik_kex_public(r, ct, sizeof(ct)) : -1;
	if (ctl > 0 && tamper)
		ct[0] ^= 1;
	ok = ok && ctl > 0 && ik_kex_shared(i, ct, (size_t)ctl, si, 32) == 32;
	ok = ok && !memcmp(si, sr, 32) == !tamper;
	ik_kex_free(i);
	ik_kex_free(r);
	ik_mlkem_select(IK_MLKEM_AUTO);
	return ok;
}

int main(int argc, char **argv)
{
	static const uint16_t groups[] = {
		IKE_KE_MLKEM512, IKE_KE_MLKEM768, IKE_KE_MLKEM1024
	};
	int seeds = argc > 1 ? atoi(argv[1]) : 200, k, n, f, i, t = 0;
	int kex_bad = 0;

	printf("TAP version 13\n1..4\n# %s, %d seeds per set\n",
	       OpenSSL_version(OPENSSL_VERSION), seeds);
	if (!ik_mlkem_evp_available()) {
		printf("not ok 1 mlkem_diff_openssl # libcrypto has no ML-KEM\n");
		return 1;
	}
	for (k = 2; k <= 4; k++) {
		f = failures;
		for (n = 0; n < seeds; n++)
			one_seed(k, n);
		printf("%sok %d mlkem_diff_openssl_ML-KEM-%d # %d seeds, %d failed checks\n",
		       failures > f ? "not " : "", ++t,
		       k == 2 ? 512 : k == 3 ? 768 : 1024, seeds, failures - f);
	}
	for (i = 0; i < 3; i++)
		for (n = 0; n < 20; n++) {
			uint16_t g = groups[i];

			kex_bad += !kex_pair(g, IK_MLKEM_LIBCRYPTO,
					     IK_MLKEM_OWN, n % 4 == 3);
			kex_bad += !kex_pair(g, IK_MLKEM_OWN,
					     IK_MLKEM_LIBCRYPTO, n % 4 == 3);
			kex_bad += !kex_pair(g, IK_MLKEM_LIBCRYPTO,
					     IK_MLKEM_LIBCRYPTO, n % 4 == 3);
		}
	printf("%sok %d mlkem_diff_kex_evp_backend # 180 exchanges, %d failed\n",
	       kex_bad ? "not " : "", ++t, kex_bad);
	return failures || kex_bad ? 1 : 0;
}
