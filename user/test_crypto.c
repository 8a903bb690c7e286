// SPDX-License-Identifier: GPL-2.0
/*
 * crypto/: the PRFs against RFC 4231, prf+ and X25519 against the files in
 * ../shared/vectors, ECDH and MODP exchanges between two parties with bad
 * peer values refused, and the SK payload sealed and opened for every
 * cipher and integrity algorithm, with every tampered or malformed body
 * refused.  Bodies built here by hand with OpenSSL (the RFC 7296 3.14 and
 * RFC 5282 layouts) check the padding rules and that ik_sk_open() reads
 * what another implementation writes.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>

#include "crypto/crypto.h"
#include "ike/wire.h"
#include "ktap.h"

/* ---- test vectors (../shared/vectors; IKETCP_VECTORS overrides) ----- */

static FILE *vec_open(const char *name)
{
	static const char *const dirs[] = {
		"../selftests/vectors", "../../shared/vectors",
		"../shared/vectors"
	};
	const char *env = getenv("IKETCP_VECTORS");
	char path[512];
	FILE *f = NULL;
	size_t i;

	if (env) {
		snprintf(path, sizeof(path), "%s/%s", env, name);
		f = fopen(path, "r");
	}
	for (i = 0; !f && i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		f = fopen(path, "r");
	}
	if (!f)
		printf("# vector file %s not found (set IKETCP_VECTORS)\n",
		       name);
	return f;
}

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned int b;

	while (s[0] && s[1] && n < cap && sscanf(s, "%2x", &b) == 1) {
		out[n++] = (uint8_t)b;
		s += 2;
	}
	return n;
}

/*
 * The hex value of `key = ...` in the first section whose [header]
 * contains `section` (NULL: anywhere); its length, 0 if absent.
 */
static size_t vec_get(const char *file, const char *section, const char *key,
		      uint8_t *out, size_t cap)
{
	char line[1024], name[64], val[900];
	bool in = section == NULL;
	size_t n = 0;
	FILE *f = vec_open(file);

	while (f && !n && fgets(line, sizeof(line), f)) {
		if (line[0] == '[')
			in = !section || strstr(line, section);
		else if (in && sscanf(line, " %63s = %899s", name, val) == 2 &&
			 !strcmp(name, key))
			n = unhex(val, out, cap);
	}
	if (f)
		fclose(f);
	if (!n)
		printf("# %s: no %s in [%s]\n", file, key,
		       section ? section : "*");
	return n;
}

#define KDF_FILE	"ikev2-kdf-sha256.txt"
#define X25519_FILE	"x25519-rfc7748.txt"

/* ---- PRF ------------------------------------------------------------- */

static void prf_lengths(void)
{
	uint8_t out[IK_PRF_MAX];

	CHECK(ik_prf_len(IKE_PRF_HMAC_SHA2_256) == 32);
	CHECK(ik_prf_len(IKE_PRF_HMAC_SHA2_384) == 48);
	CHECK(ik_prf_len(IKE_PRF_HMAC_SHA2_512) == 64);
	CHECK(ik_prf_len(0) == 0 && ik_prf_len(2) == 0);
	CHECK(ik_prf(2, (const uint8_t *)"k", 1, (const uint8_t *)"d", 1,
		     out) == -1);
	CHECK(ik_prf(IKE_PRF_HMAC_SHA2_256, NULL, 4, (const uint8_t *)"d", 1,
		     out) == -1);
	CHECK(ik_prf(IKE_PRF_HMAC_SHA2_256, (const uint8_t *)"k", 1, NULL, 3,
		     out) == -1);
	CHECK(ik_prf(IKE_PRF_HMAC_SHA2_256, (const uint8_t *)"k", 1,
		     (const uint8_t *)"d", 1, NULL) == -1);
}

/* RFC 4231 test cases 1 and 2 (not in vectors/: the RFC's own text). */
static const struct {
	uint16_t prf;
	int tc;
	const char *mac;
} rfc4231[] = {
	{ IKE_PRF_HMAC_SHA2_256, 1, "b0344c61d8db38535ca8afceaf0bf12b"
	  "881dc200c9833da726e9376c2e32cff7" },
	{ IKE_PRF_HMAC_SHA2_384, 1, "afd03944d84895626b0825f4ab46907f"
	  "15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6" },
	{ IKE_PRF_HMAC_SHA2_512, 1, "87aa7cdea5ef619d4ff0b4241a1d6cb0"
	  "2379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4"
	  "be9d914eeb61f1702e696c203a126854" },
	{ IKE_PRF_HMAC_SHA2_256, 2, "5bdcc146bf60754e6a042426089575c7"
	  "5a003f089d2739839dec58b964ec3843" },
	{ IKE_PRF_HMAC_SHA2_384, 2, "af45d2e376484031617f78d2b58a6b1b"
	  "9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649" },
	{ IKE_PRF_HMAC_SHA2_512, 2, "164b7a7bfcf819e2e395fbe73b56e0a3"
	  "87bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fd"
	  "caeab1a34d4a6b4b636e070a38bce737" },
};

static void prf_rfc4231_cases_1_and_2(void)
{
	uint8_t key1[20], want[IK_PRF_MAX], out[IK_PRF_MAX];
	size_t i;

	memset(key1, 0x0b, sizeof(key1));
	for (i = 0; i < sizeof(rfc4231) / sizeof(rfc4231[0]); i++) {
		size_t len = unhex(rfc4231[i].mac, want, sizeof(want));
		const char *data = rfc4231[i].tc == 1 ? "Hi There" :
				   "what do ya want for nothing?";
		const uint8_t *key = rfc4231[i].tc == 1 ? key1 :
				     (const uint8_t *)"Jefe";
		size_t klen = rfc4231[i].tc == 1 ? sizeof(key1) : 4;

		CHECK(len == ik_prf_len(rfc4231[i].prf));
		memset(out, 0, sizeof(out));
		CHECK(ik_prf(rfc4231[i].prf, key, klen, (const uint8_t *)data,
			     strlen(data), out) == 0);
		CHECK(!memcmp(out, want, len));
	}
}

static void prfv_is_prf_of_the_concatenation(void)
{
	const char *data = "what do ya want for nothing?";
	struct ik_iov iov[4] = {
		{ data, 4 }, { NULL, 0 }, { data + 4, 10 }, { data + 14, 14 }
	};
	uint8_t a[IK_PRF_MAX], b[IK_PRF_MAX];

	CHECK(ik_prf(IKE_PRF_HMAC_SHA2_384, (const uint8_t *)"Jefe", 4,
		     (const uint8_t *)data, strlen(data), a) == 0);
	CHECK(ik_prfv(IKE_PRF_HMAC_SHA2_384, (const uint8_t *)"Jefe", 4,
		      iov, 4, b) == 0);
	CHECK(!memcmp(a, b, 48));
	iov[1].len = 1;		/* NULL with a length */
	CHECK(ik_prfv(IKE_PRF_HMAC_SHA2_384, (const uint8_t *)"Jefe", 4,
		      iov, 4, b) == -1);
	CHECK(ik_prfv(IKE_PRF_HMAC_SHA2_384, (const uint8_t *)"Jefe", 4,
		      iov, -1, b) == -1);
}

static void prf_plus_matches_the_kdf_vectors(void)
{
	uint8_t k[64], s[64], want[200], out[200];
	size_t klen, slen, wlen;
	static const struct {
		const char *name;
		size_t len;
	} outs[] = { { "out132", 132 }, { "out32", 32 }, { "out15", 15 } };
	size_t i;

	klen = vec_get(KDF_FILE, "prf+", "K", k, sizeof(k));
	slen = vec_get(KDF_FILE, "prf+", "S", s, sizeof(s));
	CHECK(klen == 32 && slen == 32);
	for (i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
		wlen = vec_get(KDF_FILE, "prf+", outs[i].name, want,
			       sizeof(want));
		CHECK(wlen == outs[i].len);
		memset(out, 0xee, sizeof(out));
		CHECK(ik_prf_plus(IKE_PRF_HMAC_SHA2_256, k, klen, s, slen, out,
				  wlen) == 0);
		CHECK(wlen && !memcmp(out, want, wlen));
		CHECK(out[wlen] == 0xee);	/* nothing written beyond */
	}
}

static void prf_plus_stops_at_255_blocks(void)
{
	static uint8_t out[255 * 64 + 1];
	uint8_t t1[64];

	CHECK(ik_prf_plus(IKE_PRF_HMAC_SHA2_256, (const uint8_t *)"k", 1,
			  (const uint8_t *)"s", 1, out, 255 * 32) == 0);
	CHECK(ik_prf_plus(IKE_PRF_HMAC_SHA2_256, (const uint8_t *)"k", 1,
			  (const uint8_t *)"s", 1, out, 255 * 32 + 1) == -1);
	CHECK(ik_prf_plus(IKE_PRF_HMAC_SHA2_512, (const uint8_t *)"k", 1,
			  (const uint8_t *)"s", 1, out, 255 * 64) == 0);
	CHECK(ik_prf_plus(IKE_PRF_HMAC_SHA2_512, (const uint8_t *)"k", 1,
			  (const uint8_t *)"s", 1, out, 255 * 64 + 1) == -1);
	CHECK(ik_prf_plus(0, (const uint8_t *)"k", 1, (const uint8_t *)"s", 1,
			  out, 16) == -1);
	CHECK(ik_prf_plus(IKE_PRF_HMAC_SHA2_256, (const uint8_t *)"k", 1,
			  (const uint8_t *)"s", 1, out, 0) == 0);
	/* T1 = prf(K, S | 0x01) */
	CHECK(ik_prf(IKE_PRF_HMAC_SHA2_512, (const uint8_t *)"k", 1,
		     (const uint8_t *)"s\001", 2, t1) == 0);
	CHECK(ik_prf_plus(IKE_PRF_HMAC_SHA2_512, (const uint8_t *)"k", 1,
			  (const uint8_t *)"s", 1, out, 64) == 0);
	CHECK(!memcmp(out, t1, 64));
}

static void random_fills_and_differs(void)
{
	uint8_t a[32] = { 0 }, b[32] = { 0 }, zero[32] = { 0 };

	CHECK(ik_random(a, sizeof(a)) == 0);
	CHECK(ik_random(b, sizeof(b)) == 0);
	CHECK(memcmp(a, b, sizeof(a)) && memcmp(a, zero, sizeof(a)));
	CHECK(ik_random(NULL, 0) == 0);
	CHECK(ik_random(NULL, 1) == -1);
}

/* ---- key exchange ---------------------------------------------------- */

static void x25519_matches_rfc7748(void)
{
	uint8_t a_priv[32], a_pub[32], b_priv[32], b_pub[32], shared[32];
	uint8_t pub[IK_KEX_MAX], sec[IK_SECRET_MAX];
	struct ik_kex *a, *b;

	CHECK(vec_get(X25519_FILE, NULL, "alice_private", a_priv, 32) == 32);
	CHECK(vec_get(X25519_FILE, NULL, "alice_public", a_pub, 32) == 32);
	CHECK(vec_get(X25519_FILE, NULL, "bob_private", b_priv, 32) == 32);
	CHECK(vec_get(X25519_FILE, NULL, "bob_public", b_pub, 32) == 32);
	CHECK(vec_get(X25519_FILE, NULL, "shared", shared, 32) == 32);
	a = ik_kex_new_with_private(IKE_KE_X25519, a_priv, 32);
	b = ik_kex_new_with_private(IKE_KE_X25519, b_priv, 32);
	CHECK(a && b);
	if (!a || !b)
		goto out;
	CHECK(ik_kex_public(a, pub, sizeof(pub)) == 32);
	CHECK(!memcmp(pub, a_pub, 32));
	CHECK(ik_kex_public(b, pub, sizeof(pub)) == 32);
	CHECK(!memcmp(pub, b_pub, 32));
	CHECK(ik_kex_shared(a, b_pub, 32, sec, sizeof(sec)) == 32);
	CHECK(!memcmp(sec, shared, 32));
	memset(sec, 0, sizeof(sec));
	CHECK(ik_kex_shared(b, a_pub, 32, sec, sizeof(sec)) == 32);
	CHECK(!memcmp(sec, shared, 32));
out:
	ik_kex_free(a);
	ik_kex_free(b);
	CHECK(ik_kex_new_with_private(IKE_KE_X25519, a_priv, 31) == NULL);
	CHECK(ik_kex_new_with_private(IKE_KE_ECP256, a_priv, 32) == NULL);
}

static void x25519_low_order_points_are_refused(void)
{
	uint8_t zero[32] = { 0 }, one[32] = { 1 }, sec[32];
	uint8_t pub[33];
	struct ik_kex *k = ik_kex_new(IKE_KE_X25519);

	CHECK(k != NULL);
	if (!k)
		return;
	/* u = 0 and u = 1 have small order: the shared secret is zero. */
	CHECK(ik_kex_shared(k, zero, 32, sec, sizeof(sec)) == -1);
	CHECK(ik_kex_shared(k, one, 32, sec, sizeof(sec)) == -1);
	CHECK(ik_kex_public(k, pub, sizeof(pub)) == 32);
	CHECK(ik_kex_shared(k, pub, 31, sec, sizeof(sec)) == -1);
	CHECK(ik_kex_shared(k, pub, 33, sec, sizeof(sec)) == -1);
	ik_kex_free(k);
}

/* Two parties of group agree; returns the secret's length, or -1. */
static int agree(uint16_t group, size_t publen, size_t seclen)
{
	uint8_t pa[IK_KEX_MAX], pb[IK_KEX_MAX];
	uint8_t sa[IK_SECRET_MAX], sb[IK_SECRET_MAX];
	struct ik_kex *a = ik_kex_new(group), *b = ik_kex_new(group);
	int la = -1, lb = -1, rc = -1;

	CHECK(a && b);
	if (!a || !b)
		goto out;
	CHECK(ik_kex_public(a, pa, sizeof(pa)) == (int)publen);
	CHECK(ik_kex_public(b, pb, sizeof(pb)) == (int)publen);
	CHECK(memcmp(pa, pb, publen) != 0);
	la = ik_kex_shared(a, pb, publen, sa, sizeof(sa));
	lb = ik_kex_shared(b, pa, publen, sb, sizeof(sb));
	CHECK(la == (int)seclen && lb == (int)seclen);
	CHECK(la > 0 && la == lb && !memcmp(sa, sb, la));
	/* Same answer twice; a buffer one byte short is refused. */
	CHECK(ik_kex_shared(a, pb, publen, sb, sizeof(sb)) == la);
	CHECK(la > 0 && !memcmp(sa, sb, la));
	CHECK(ik_kex_shared(a, pb, publen, sb, seclen - 1) == -1);
	CHECK(ik_kex_public(a, pa, publen - 1) == -1);
	rc = la;
out:
	ik_kex_free(a);
	ik_kex_free(b);
	return rc;
}

static void lengths_per_group(void)
{
	static const struct {
		uint16_t group;
		size_t len;
	} g[] = {
		{ IKE_KE_MODP2048, 256 }, { IKE_KE_MODP3072, 384 },
		{ IKE_KE_ECP256, 64 }, { IKE_KE_ECP384, 96 },
		{ IKE_KE_X25519, 32 },
	};
	size_t i;

	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		CHECK(ik_kex_supported(g[i].group));
		CHECK(ik_kex_peer_len(g[i].group, true) == g[i].len);
		CHECK(ik_kex_peer_len(g[i].group, false) == g[i].len);
	}
	CHECK(!ik_kex_supported(IKE_KE_NONE));
	/* ML-KEM (FIPS 203): the initiator's value is ek, the responder's ct */
	CHECK(ik_kex_supported(IKE_KE_MLKEM768));
	CHECK(ik_kex_peer_len(IKE_KE_MLKEM512, false) == 800 &&
	      ik_kex_peer_len(IKE_KE_MLKEM512, true) == 768);
	CHECK(ik_kex_peer_len(IKE_KE_MLKEM768, false) == 1184 &&
	      ik_kex_peer_len(IKE_KE_MLKEM768, true) == 1088);
	CHECK(ik_kex_peer_len(IKE_KE_MLKEM1024, false) == 1568 &&
	      ik_kex_peer_len(IKE_KE_MLKEM1024, true) == 1568);
	CHECK(!ik_kex_supported(2));
	CHECK(ik_kex_peer_len(2, true) == 0);
	CHECK(ik_kex_new(2) == NULL);
	CHECK(ik_kex_public(NULL, NULL, 0) == -1);
	CHECK(ik_kex_shared(NULL, NULL, 0, NULL, 0) == -1);
	ik_kex_free(NULL);
}

static void ecp_parties_agree(void)
{
	CHECK(agree(IKE_KE_ECP256, 64, 32) == 32);
	CHECK(agree(IKE_KE_ECP384, 96, 48) == 48);
	CHECK(agree(IKE_KE_X25519, 32, 32) == 32);
}

static void ecp_bad_points_are_refused(void)
{
	static const struct {
		uint16_t group;
		size_t len;
	} g[] = { { IKE_KE_ECP256, 64 }, { IKE_KE_ECP384, 96 } };
	uint8_t pub[IK_KEX_MAX], bad[IK_KEX_MAX], sec[IK_SECRET_MAX];
	size_t i;

	for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		struct ik_kex *a = ik_kex_new(g[i].group);
		struct ik_kex *b = ik_kex_new(g[i].group);
		size_t n = g[i].len;

		CHECK(a && b);
		if (!a || !b)
			goto next;
		CHECK(ik_kex_public(b, pub, sizeof(pub)) == (int)n);
		CHECK(ik_kex_shared(a, pub, n, sec, sizeof(sec)) == (int)n / 2);
		/* y + 1 (mod 256 in its last byte): off the curve */
		memcpy(bad, pub, n);
		bad[n - 1] ^= 1;
		CHECK(ik_kex_shared(a, bad, n, sec, sizeof(sec)) == -1);
		/* x changed: off the curve (y no longer matches) */
		memcpy(bad, pub, n);
		bad[0] ^= 0x80;
		CHECK(ik_kex_shared(a, bad, n, sec, sizeof(sec)) == -1);
		memset(bad, 0, n);		/* (0, 0): not a point */
		CHECK(ik_kex_shared(a, bad, n, sec, sizeof(sec)) == -1);
		memset(bad, 0xff, n);		/* coordinates >= p */
		CHECK(ik_kex_shared(a, bad, n, sec, sizeof(sec)) == -1);
		/* With the 0x04 prefix, or one byte short: wrong length */
		bad[0] = 0x04;
		memcpy(bad + 1, pub, n);
		CHECK(ik_kex_shared(a, bad, n + 1, sec, sizeof(sec)) == -1);
		CHECK(ik_kex_shared(a, pub, n - 1, sec, sizeof(sec)) == -1);
next:
		ik_kex_free(a);
		ik_kex_free(b);
	}
}

static void modp_parties_agree(void)
{
	CHECK(agree(IKE_KE_MODP2048, 256, 256) == 256);
	CHECK(agree(IKE_KE_MODP3072, 384, 384) == 384);
}

/* y as a big-endian, len-byte value. */
static void be(const BIGNUM *y, uint8_t *out, int len)
{
	CHECK(BN_bn2binpad(y, out, len) == len);
}

static void modp_bad_values_are_refused(void)
{
	uint8_t v[384], sec[IK_SECRET_MAX];
	BIGNUM *p = BN_get_rfc3526_prime_2048(NULL);
	BIGNUM *y = BN_new();
	struct ik_kex *k = ik_kex_new(IKE_KE_MODP2048);

	CHECK(p && y && k);
	if (!p || !y || !k)
		goto out;
	CHECK(BN_num_bytes(p) == 256);
	BN_zero(y);
	be(y, v, 256);
	CHECK(ik_kex_shared(k, v, 256, sec, sizeof(sec)) == -1);
	CHECK(BN_one(y));
	be(y, v, 256);
	CHECK(ik_kex_shared(k, v, 256, sec, sizeof(sec)) == -1);
	CHECK(BN_copy(y, p) && BN_sub_word(y, 1));	/* p - 1 */
	be(y, v, 256);
	CHECK(ik_kex_shared(k, v, 256, sec, sizeof(sec)) == -1);
	be(p, v, 256);					/* p */
	CHECK(ik_kex_shared(k, v, 256, sec, sizeof(sec)) == -1);
	memset(v, 0xff, 256);				/* > p */
	CHECK(ik_kex_shared(k, v, 256, sec, sizeof(sec)) == -1);
	/* 2 and p - 2 are fine (range check only: the group is safe-prime) */
	CHECK(BN_set_word(y, 2));
	be(y, v, 256);
	CHECK(ik_kex_shared(k, v, 256, sec, sizeof(sec)) == 256);
	CHECK(BN_copy(y, p) && BN_sub_word(y, 2));
	be(y, v, 256);
	CHECK(ik_kex_shared(k, v, 256, sec, sizeof(sec)) == 256);
	/* Without its leading zeros, or with one more: wrong length */
	CHECK(BN_set_word(y, 2));
	be(y, v, 255);
	CHECK(ik_kex_shared(k, v, 255, sec, sizeof(sec)) == -1);
	be(y, v, 257);
	CHECK(ik_kex_shared(k, v, 257, sec, sizeof(sec)) == -1);
	/* A 3072-bit value to a 2048-bit group */
	be(y, v, 384);
	CHECK(ik_kex_shared(k, v, 384, sec, sizeof(sec)) == -1);
out:
	ik_kex_free(k);
	BN_free(y);
	BN_free(p);
}

/* ---- SK payload ------------------------------------------------------ */

struct combo {
	uint16_t encr, keybits, integ;
	size_t iv, icv, align;
};

static const struct combo combos[] = {
	{ IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128, 16, 16, 16 },
	{ IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_384_192, 16, 24, 16 },
	{ IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_512_256, 16, 32, 16 },
	{ IKE_ENCR_AES_CBC, 192, IKE_INTEG_HMAC_SHA2_256_128, 16, 16, 16 },
	{ IKE_ENCR_AES_CBC, 192, IKE_INTEG_HMAC_SHA2_384_192, 16, 24, 16 },
	{ IKE_ENCR_AES_CBC, 192, IKE_INTEG_HMAC_SHA2_512_256, 16, 32, 16 },
	{ IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128, 16, 16, 16 },
	{ IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_384_192, 16, 24, 16 },
	{ IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_512_256, 16, 32, 16 },
	{ IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_NONE, 8, 16, 4 },
	{ IKE_ENCR_AES_GCM_16, 192, IKE_INTEG_NONE, 8, 16, 4 },
	{ IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE, 8, 16, 4 },
};
#define N_COMBOS (sizeof(combos) / sizeof(combos[0]))

#define HDR_END	(IKE_HDR_LEN + IKE_GENERIC_HDR_LEN)

static void key_for(const struct combo *c, struct ik_sk_key *k)
{
	uint8_t ek[36], ak[64];

	CHECK(ik_random(ek, sizeof(ek)) == 0 && ik_random(ak, sizeof(ak)) == 0);
	CHECK(ik_sk_key_set(k, c->encr, c->keybits, c->integ, ek, ak) == 0);
}

/* An IKE header and SK generic header with recognisable bytes. */
static void fake_header(uint8_t *msg)
{
	size_t i;

	for (i = 0; i < HDR_END; i++)
		msg[i] = (uint8_t)(0xa0 + i);
}

static void keymat_lengths(void)
{
	CHECK(ik_encr_keymat_len(IKE_ENCR_AES_CBC, 128) == 16);
	CHECK(ik_encr_keymat_len(IKE_ENCR_AES_CBC, 192) == 24);
	CHECK(ik_encr_keymat_len(IKE_ENCR_AES_CBC, 256) == 32);
	CHECK(ik_encr_keymat_len(IKE_ENCR_AES_GCM_16, 128) == 20);
	CHECK(ik_encr_keymat_len(IKE_ENCR_AES_GCM_16, 256) == 36);
	CHECK(ik_encr_keymat_len(IKE_ENCR_AES_CBC, 64) == 0);
	CHECK(ik_encr_keymat_len(3, 128) == 0);
	CHECK(ik_integ_keymat_len(IKE_INTEG_HMAC_SHA2_256_128) == 32);
	CHECK(ik_integ_keymat_len(IKE_INTEG_HMAC_SHA2_384_192) == 48);
	CHECK(ik_integ_keymat_len(IKE_INTEG_HMAC_SHA2_512_256) == 64);
	CHECK(ik_integ_keymat_len(IKE_INTEG_NONE) == 0);
	CHECK(ik_encr_is_aead(IKE_ENCR_AES_GCM_16));
	CHECK(!ik_encr_is_aead(IKE_ENCR_AES_CBC));
}

static void key_set_refuses_bad_combinations(void)
{
	uint8_t ek[36] = { 0 }, ak[64] = { 0 };
	struct ik_sk_key k;

	CHECK(ik_sk_key_set(&k, IKE_ENCR_AES_GCM_16, 128,
			    IKE_INTEG_HMAC_SHA2_256_128, ek, ak) == -1);
	CHECK(ik_sk_key_set(&k, IKE_ENCR_AES_CBC, 128, IKE_INTEG_NONE, ek,
			    ak) == -1);
	CHECK(ik_sk_key_set(&k, IKE_ENCR_AES_CBC, 100,
			    IKE_INTEG_HMAC_SHA2_256_128, ek, ak) == -1);
	CHECK(ik_sk_key_set(&k, IKE_ENCR_AES_CBC, 128, 2, ek, ak) == -1);
	CHECK(ik_sk_key_set(&k, IKE_ENCR_AES_CBC, 128,
			    IKE_INTEG_HMAC_SHA2_256_128, ek, NULL) == -1);
	CHECK(ik_sk_key_set(&k, IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_NONE,
			    ek, NULL) == 0);
	memset(&k, 0, sizeof(k));		/* an unset key */
	CHECK(ik_sk_body_len(&k, 10) == 0);
	CHECK(ik_sk_seal(&k, ek, 0, NULL, 0) == -1);
}

static void seal_then_open_every_combination(void)
{
	static const size_t sizes[] = { 0, 1, 3, 4, 14, 15, 16, 17, 100, 4000 };
	static uint8_t msg[HDR_END + 4200], plain[4100], back[4100];
	size_t i, j;

	for (i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)(i * 7);
	for (i = 0; i < N_COMBOS; i++) {
		const struct combo *c = &combos[i];
		struct ik_sk_key k;

		key_for(c, &k);
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			size_t n = sizes[j];
			size_t padded = (n + 1 + c->align - 1) / c->align *
					c->align;
			size_t body = ik_sk_body_len(&k, n);

			CHECK(body == c->iv + padded + c->icv);
			fake_header(msg);
			CHECK(ik_sk_seal(&k, msg, HDR_END, plain, n) == 0);
			/* The header is left alone. */
			CHECK(msg[0] == 0xa0 && msg[HDR_END - 1] ==
			      (uint8_t)(0xa0 + HDR_END - 1));
			memset(back, 0, sizeof(back));
			CHECK(ik_sk_open(&k, msg, HDR_END, HDR_END + body,
					 back, sizeof(back)) == (int)n);
			CHECK(!memcmp(back, plain, n));
			/* Exactly enough room, then one byte too few */
			CHECK(ik_sk_open(&k, msg, HDR_END, HDR_END + body,
					 back, n) == (int)n);
			if (n)
				CHECK(ik_sk_open(&k, msg, HDR_END,
						 HDR_END + body, back,
						 n - 1) == -1);
		}
		ik_sk_key_wipe(&k);
	}
}

static void each_message_gets_a_fresh_iv(void)
{
	uint8_t m1[HDR_END + 100], m2[HDR_END + 100];
	const uint8_t *same = (const uint8_t *)"same";
	size_t i;

	for (i = 0; i < N_COMBOS; i++) {
		struct ik_sk_key k;

		key_for(&combos[i], &k);
		fake_header(m1);
		fake_header(m2);
		CHECK(ik_sk_seal(&k, m1, HDR_END, same, 4) == 0);
		CHECK(ik_sk_seal(&k, m2, HDR_END, same, 4) == 0);
		CHECK(memcmp(m1 + HDR_END, m2 + HDR_END, combos[i].iv) != 0);
		CHECK(memcmp(m1 + HDR_END + combos[i].iv,
			     m2 + HDR_END + combos[i].iv, 4) != 0);
		ik_sk_key_wipe(&k);
	}
}

static void one_flipped_bit_anywhere_is_refused(void)
{
	uint8_t msg[HDR_END + 200], copy[HDR_END + 200], back[100];
	size_t i, n = 37;

	for (i = 0; i < N_COMBOS; i++) {
		const struct combo *c = &combos[i];
		size_t body, len, pos;
		struct ik_sk_key k, other;
		/* IKE header, SK header, IV, ciphertext (first, last), ICV */
		size_t where[7];

		key_for(c, &k);
		body = ik_sk_body_len(&k, n);
		len = HDR_END + body;
		where[0] = 3;
		where[1] = HDR_END - 2;
		where[2] = HDR_END;
		where[3] = HDR_END + c->iv;
		where[4] = len - c->icv - 1;
		where[5] = len - c->icv;
		where[6] = len - 1;
		fake_header(msg);
		memset(back, 0x5a, sizeof(back));
		CHECK(ik_sk_seal(&k, msg, HDR_END, back, n) == 0);
		CHECK(ik_sk_open(&k, msg, HDR_END, len, back,
				 sizeof(back)) == (int)n);
		for (pos = 0; pos < sizeof(where) / sizeof(where[0]); pos++) {
			memcpy(copy, msg, len);
			copy[where[pos]] ^= 0x04;
			CHECK(ik_sk_open(&k, copy, HDR_END, len, back,
					 sizeof(back)) == -1);
		}
		/* Another key: refused */
		key_for(c, &other);
		CHECK(ik_sk_open(&other, msg, HDR_END, len, back,
				 sizeof(back)) == -1);
		/* A header boundary elsewhere changes the AAD/ICV input */
		CHECK(ik_sk_open(&k, msg, HDR_END + 4, len, back,
				 sizeof(back)) == -1);
		ik_sk_key_wipe(&k);
		ik_sk_key_wipe(&other);
	}
}

static void short_and_misaligned_bodies_are_refused(void)
{
	uint8_t msg[HDR_END + 200], back[100];
	size_t i, cut;

	for (i = 0; i < N_COMBOS; i++) {
		const struct combo *c = &combos[i];
		struct ik_sk_key k;
		size_t len;

		key_for(c, &k);
		fake_header(msg);
		CHECK(ik_sk_seal(&k, msg, HDR_END, (const uint8_t *)"abc", 3)
		      == 0);
		len = HDR_END + ik_sk_body_len(&k, 3);
		/* Every shorter length, down to an empty body */
		for (cut = 1; cut <= len - HDR_END; cut++)
			CHECK(ik_sk_open(&k, msg, HDR_END, len - cut, back,
					 sizeof(back)) == -1);
		CHECK(ik_sk_open(&k, msg, HDR_END, HDR_END - 1, back,
				 sizeof(back)) == -1);
		CHECK(ik_sk_open(&k, msg, 8, len, back, sizeof(back)) == -1);
		CHECK(ik_sk_seal(&k, msg, 8, back, 3) == -1);
		ik_sk_key_wipe(&k);
	}
}

/*
 * The cipher of c run by hand over in[0..n) into out, with the IV at
 * msg + HDR_END (and, for GCM, the header as AAD).  Encrypting writes the
 * GCM tag at out + n; decrypting checks no tag.
 */
static void raw_cipher(const struct combo *c, const struct ik_sk_key *k,
		       bool enc, const uint8_t *msg, const uint8_t *in,
		       size_t n, uint8_t *out)
{
	static const char *const names[2][3] = {
		{ "AES-128-CBC", "AES-192-CBC", "AES-256-CBC" },
		{ "AES-128-GCM", "AES-192-GCM", "AES-256-GCM" },
	};
	bool gcm = c->encr == IKE_ENCR_AES_GCM_16;
	const uint8_t *iv = msg + HDR_END;
	EVP_CIPHER *ciph;
	EVP_CIPHER_CTX *ctx;
	uint8_t nonce[12];
	int outl = 0, fin = 0;

	ciph = EVP_CIPHER_fetch(NULL, names[gcm][c->keybits / 64 - 2], NULL);
	ctx = EVP_CIPHER_CTX_new();
	CHECK(ciph && ctx);
	memcpy(nonce, k->ek + c->keybits / 8, 4);	/* salt | IV */
	memcpy(nonce + 4, iv, 8);
	CHECK(EVP_CipherInit_ex2(ctx, ciph, k->ek, gcm ? nonce : iv, enc,
				 NULL));
	CHECK(EVP_CIPHER_CTX_set_padding(ctx, 0));
	if (gcm)
		CHECK(EVP_CipherUpdate(ctx, NULL, &outl, msg, HDR_END));
	CHECK(EVP_CipherUpdate(ctx, out, &outl, in, (int)n));
	CHECK(outl == (int)n);
	if (enc) {
		CHECK(EVP_CipherFinal_ex(ctx, out + outl, &fin) && !fin);
		if (gcm)
			CHECK(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG,
						  16, out + n));
	}
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(ciph);
}

/*
 * A body made here, as another implementation would: IV | E(plain) | ICV
 * with the pad length byte already in plain (n bytes).  Returns msg_len.
 */
static size_t forge(const struct combo *c, const struct ik_sk_key *k,
		    uint8_t *msg, const uint8_t *plain, size_t n)
{
	size_t end = HDR_END + c->iv + n;

	fake_header(msg);
	CHECK(ik_random(msg + HDR_END, c->iv) == 0);
	raw_cipher(c, k, true, msg, plain, n, msg + HDR_END + c->iv);
	if (c->encr == IKE_ENCR_AES_CBC) {
		static const char *const md[] = {
			"SHA256", "SHA384", "SHA512"
		};
		uint8_t mac[64];
		size_t ml = 0;

		CHECK(EVP_Q_mac(NULL, "HMAC", NULL,
				md[c->integ - IKE_INTEG_HMAC_SHA2_256_128],
				NULL, k->ak, c->icv * 2, msg, end, mac,
				sizeof(mac), &ml) != NULL);
		memcpy(msg + end, mac, c->icv);
	}
	return end + c->icv;
}

/* Open msg[0..len) into the caller's back[]. */
#define OPEN(k, msg, len) \
	ik_sk_open(k, msg, HDR_END, len, back, sizeof(back))

static void padding_rules(void)
{
	uint8_t msg[HDR_END + 400], plain[256], back[256];
	size_t i, len;

	for (i = 0; i < N_COMBOS; i++) {
		const struct combo *c = &combos[i];
		size_t n = c->align == 16 ? 32 : 20;
		struct ik_sk_key k;

		key_for(c, &k);
		memset(plain, 0x11, sizeof(plain));
		/* Minimal padding: 5 bytes, pad length n - 6 */
		plain[n - 1] = (uint8_t)(n - 6);
		len = forge(c, &k, msg, plain, n);
		CHECK(OPEN(&k, msg, len) == 5);
		CHECK(!memcmp(back, plain, 5));
		/* More padding than needed is accepted (RFC 7296 3.14) */
		plain[n - 1] = (uint8_t)(n - 1 - 1);
		len = forge(c, &k, msg, plain, n);
		CHECK(OPEN(&k, msg, len) == 1);
		/* Everything padding: no payloads, but well-formed */
		plain[n - 1] = (uint8_t)(n - 1);
		len = forge(c, &k, msg, plain, n);
		CHECK(OPEN(&k, msg, len) == 0);
		/* Pad length >= the plaintext: refused */
		plain[n - 1] = (uint8_t)n;
		len = forge(c, &k, msg, plain, n);
		CHECK(OPEN(&k, msg, len) == -1);
		plain[n - 1] = 0xff;
		len = forge(c, &k, msg, plain, n);
		CHECK(OPEN(&k, msg, len) == -1);
		if (c->align == 16) {
			/*
			 * A valid ICV over a ciphertext that is not whole
			 * blocks: refused before decryption.
			 */
			len = forge(c, &k, msg, plain, 16);
			CHECK(ik_sk_open(&k, msg, HDR_END, len, back,
					 sizeof(back)) == -1);
		} else {
			/* GCM needs no block alignment: 3 bytes + pad 0 */
			plain[3] = 0;
			len = forge(c, &k, msg, plain, 4);
			CHECK(ik_sk_open(&k, msg, HDR_END, len, back,
					 sizeof(back)) == 3);
			plain[2] = 0;
			len = forge(c, &k, msg, plain, 3);
			CHECK(ik_sk_open(&k, msg, HDR_END, len, back,
					 sizeof(back)) == 2);
		}
		ik_sk_key_wipe(&k);
	}
}

/* What ik_sk_seal() writes, a third party reads: the pad is minimal. */
static void sealed_padding_is_minimal(void)
{
	uint8_t msg[HDR_END + 200], plain[64], raw[200];
	size_t i, n;

	for (i = 0; i < N_COMBOS; i++) {
		const struct combo *c = &combos[i];
		struct ik_sk_key k;

		key_for(c, &k);
		for (n = 0; n < 40; n++) {
			size_t body = ik_sk_body_len(&k, n);
			size_t ctlen = body - c->iv - c->icv;

			CHECK(ctlen % c->align == 0);
			CHECK(ctlen >= n + 1 && ctlen - n - 1 < c->align);
			memset(plain, (int)n, sizeof(plain));
			fake_header(msg);
			CHECK(ik_sk_seal(&k, msg, HDR_END, plain, n) == 0);
			raw_cipher(c, &k, false, msg, msg + HDR_END + c->iv,
				   ctlen, raw);
			CHECK(!memcmp(raw, plain, n));
			CHECK(raw[ctlen - 1] == ctlen - n - 1);
		}
		ik_sk_key_wipe(&k);
	}
}

static const struct ktap_case cases[] = {
	KTAP_CASE(prf_lengths),
	KTAP_CASE(prf_rfc4231_cases_1_and_2),
	KTAP_CASE(prfv_is_prf_of_the_concatenation),
	KTAP_CASE(prf_plus_matches_the_kdf_vectors),
	KTAP_CASE(prf_plus_stops_at_255_blocks),
	KTAP_CASE(random_fills_and_differs),
	KTAP_CASE(x25519_matches_rfc7748),
	KTAP_CASE(x25519_low_order_points_are_refused),
	KTAP_CASE(lengths_per_group),
	KTAP_CASE(ecp_parties_agree),
	KTAP_CASE(ecp_bad_points_are_refused),
	KTAP_CASE(modp_parties_agree),
	KTAP_CASE(modp_bad_values_are_refused),
	KTAP_CASE(keymat_lengths),
	KTAP_CASE(key_set_refuses_bad_combinations),
	KTAP_CASE(seal_then_open_every_combination),
	KTAP_CASE(each_message_gets_a_fresh_iv),
	KTAP_CASE(one_flipped_bit_anywhere_is_refused),
	KTAP_CASE(short_and_misaligned_bodies_are_refused),
	KTAP_CASE(padding_rules),
	KTAP_CASE(sealed_padding_is_minimal),
};

KTAP_MAIN(cases)
