// SPDX-License-Identifier: GPL-2.0
/*
 * ike/keys.c: SKEYSEED, the IKE SA's seven keys and the rekeyed SKEYSEED
 * against ../shared/vectors/ikev2-kdf-sha256.txt (NIST CAVS), each key at
 * its place in the RFC 7296 2.14 order, Child SA KEYMAT, the PSK AUTH value
 * and the signed octets recomputed here with OpenSSL's HMAC directly.
 */
#include <string.h>

#include <openssl/evp.h>

#include "crypto/crypto.h"
#include "ike/keys.h"
#include "ike/wire.h"
#include "ktap.h"

/* ---- the vector file (../shared/vectors; IKETCP_VECTORS overrides) --- */

#define KDF_FILE	"ikev2-kdf-sha256.txt"

static FILE *kdf_open(void)
{
	static const char *const dirs[] = {
		"../selftests/vectors", "../../shared/vectors",
		"../shared/vectors", NULL
	};
	const char *env = getenv("IKETCP_VECTORS");
	char path[512];
	FILE *f = NULL;
	int i;

	for (i = -1; !f && (i < 0 || dirs[i]); i++) {
		const char *d = i < 0 ? env : dirs[i];

		if (!d)
			continue;
		snprintf(path, sizeof(path), "%s/" KDF_FILE, d);
		f = fopen(path, "r");
	}
	if (!f)
		printf("# %s not found (set IKETCP_VECTORS)\n", KDF_FILE);
	return f;
}

/* `key = hex` in the section whose [title] contains `section`. */
static size_t kdf(const char *section, const char *key, uint8_t *out,
		  size_t cap)
{
	char line[1024], name[64], hex[900];
	bool in = false;
	size_t n = 0, i;
	unsigned int b;
	FILE *f = kdf_open();

	while (f && !n && fgets(line, sizeof(line), f)) {
		if (line[0] == '[') {
			in = strstr(line, section) != NULL;
			continue;
		}
		if (!in || sscanf(line, " %63s = %899s", name, hex) != 2 ||
		    strcmp(name, key))
			continue;
		for (i = 0; hex[2 * i] && n < cap &&
			    sscanf(hex + 2 * i, "%2x", &b) == 1; i++)
			out[n++] = (uint8_t)b;
	}
	if (f)
		fclose(f);
	if (!n)
		printf("# %s: no %s in [%s...]\n", KDF_FILE, key, section);
	return n;
}

#define SEC_SEED	"SKEYSEED = prf(Ni"
#define SEC_PRFPLUS	"prf+"
#define SEC_REKEY	"rekey"

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The first vector's inputs: g^ir, Ni, Nr and the SPIs (from S). */
struct kdf_in {
	uint8_t gir[64], ni[32], nr[32], s[64];
	size_t girlen, nilen, nrlen, slen;
	uint64_t spi_i, spi_r;
};

static bool kdf_inputs(struct kdf_in *v)
{
	v->girlen = kdf(SEC_SEED, "g_ir", v->gir, sizeof(v->gir));
	v->nilen = kdf(SEC_SEED, "Ni", v->ni, sizeof(v->ni));
	v->nrlen = kdf(SEC_SEED, "Nr", v->nr, sizeof(v->nr));
	v->slen = kdf(SEC_PRFPLUS, "S", v->s, sizeof(v->s));
	/* S = Ni | Nr | SPIi | SPIr */
	if (!v->girlen || !v->nilen || !v->nrlen ||
	    v->slen != v->nilen + v->nrlen + 16 ||
	    memcmp(v->s, v->ni, v->nilen) ||
	    memcmp(v->s + v->nilen, v->nr, v->nrlen))
		return false;
	v->spi_i = be64(v->s + v->slen - 16);
	v->spi_r = be64(v->s + v->slen - 8);
	return true;
}

/* ---- cases ----------------------------------------------------------- */

static void skeyseed_matches_the_vector(void)
{
	uint8_t want[64], out[IK_PRF_MAX];
	struct kdf_in v;

	CHECK(kdf_inputs(&v));
	CHECK(kdf(SEC_SEED, "SKEYSEED", want, sizeof(want)) == 32);
	CHECK(ike_skeyseed(IKE_PRF_HMAC_SHA2_256, v.gir, v.girlen, v.ni,
			   v.nilen, v.nr, v.nrlen, out) == 32);
	CHECK(!memcmp(out, want, 32));
	/* The nonces in the other order give another SKEYSEED */
	CHECK(ike_skeyseed(IKE_PRF_HMAC_SHA2_256, v.gir, v.girlen, v.nr,
			   v.nrlen, v.ni, v.nilen, out) == 32);
	CHECK(memcmp(out, want, 32) != 0);
}

/* k's keys are stream[] cut in the RFC 7296 2.14 order. */
static void check_layout(const struct ike_keys *k, const uint8_t *stream,
			 size_t have, size_t plen, size_t alen, size_t elen)
{
	struct {
		const uint8_t *key;
		size_t len;
	} order[7] = {
		{ k->sk_d, plen }, { k->sk_i.ak, alen }, { k->sk_r.ak, alen },
		{ k->sk_i.ek, elen }, { k->sk_r.ek, elen },
		{ k->sk_pi, plen }, { k->sk_pr, plen },
	};
	size_t off = 0, i, n;

	for (i = 0; i < 7 && off < have; i++) {
		n = order[i].len < have - off ? order[i].len : have - off;
		CHECK(!memcmp(order[i].key, stream + off, n));
		off += order[i].len;
	}
}

static void keys_are_prf_plus_in_rfc_order_cbc(void)
{
	uint8_t out132[132], full[300];
	struct ike_keys k;
	struct kdf_in v;
	uint8_t sk[64];

	CHECK(kdf_inputs(&v));
	CHECK(kdf(SEC_PRFPLUS, "out132", out132, sizeof(out132)) == 132);
	CHECK(kdf(SEC_PRFPLUS, "K", sk, sizeof(sk)) == 32);
	CHECK(ike_keys_derive(&k, IKE_PRF_HMAC_SHA2_256, IKE_ENCR_AES_CBC, 256,
			      IKE_INTEG_HMAC_SHA2_256_128, v.gir, v.girlen,
			      v.ni, v.nilen, v.nr, v.nrlen, v.spi_i,
			      v.spi_r) == 0);
	CHECK(k.prf == IKE_PRF_HMAC_SHA2_256 && k.prf_len == 32);
	CHECK(k.encr == IKE_ENCR_AES_CBC && k.keybits == 256);
	CHECK(k.sk_i.integ == IKE_INTEG_HMAC_SHA2_256_128);
	CHECK(k.sk_r.encr == IKE_ENCR_AES_CBC && k.sk_r.keybits == 256);
	/* SK_d, SK_ai, SK_ar, SK_ei and SK_er's first 4 bytes: the vector */
	check_layout(&k, out132, sizeof(out132), 32, 32, 32);
	/* the rest (SK_er, SK_pi, SK_pr) from the same prf+, 7 * 32 bytes */
	CHECK(ik_prf_plus(IKE_PRF_HMAC_SHA2_256, sk, 32, v.s, v.slen, full,
			  224) == 0);
	CHECK(!memcmp(full, out132, 132));
	check_layout(&k, full, 224, 32, 32, 32);
	ike_keys_wipe(&k);
}

static void keys_are_prf_plus_in_rfc_order_gcm(void)
{
	uint8_t out132[132], full[300], sk[64];
	struct ike_keys k;
	struct kdf_in v;

	CHECK(kdf_inputs(&v));
	CHECK(kdf(SEC_PRFPLUS, "out132", out132, sizeof(out132)) == 132);
	CHECK(kdf(SEC_PRFPLUS, "K", sk, sizeof(sk)) == 32);
	CHECK(ike_keys_derive(&k, IKE_PRF_HMAC_SHA2_256, IKE_ENCR_AES_GCM_16,
			      128, IKE_INTEG_NONE, v.gir, v.girlen, v.ni,
			      v.nilen, v.nr, v.nrlen, v.spi_i, v.spi_r) == 0);
	/*
	 * SK_d 32 | SK_ei 20 (key + salt) | SK_er 20 | SK_pi 32 | SK_pr 32:
	 * the vector reaches 28 bytes into SK_pr.
	 */
	check_layout(&k, out132, sizeof(out132), 32, 0, 20);
	CHECK(ik_prf_plus(IKE_PRF_HMAC_SHA2_256, sk, 32, v.s, v.slen, full,
			  136) == 0);
	check_layout(&k, full, 136, 32, 0, 20);
	CHECK(k.sk_i.integ == IKE_INTEG_NONE);
	ike_keys_wipe(&k);
}

static void spis_are_big_endian_in_the_seed(void)
{
	struct ike_keys a, b;
	struct kdf_in v;

	CHECK(kdf_inputs(&v));
	CHECK(ike_keys_derive(&a, IKE_PRF_HMAC_SHA2_256, IKE_ENCR_AES_CBC, 128,
			      IKE_INTEG_HMAC_SHA2_256_128, v.gir, v.girlen,
			      v.ni, v.nilen, v.nr, v.nrlen,
			      __builtin_bswap64(v.spi_i),
			      __builtin_bswap64(v.spi_r)) == 0);
	CHECK(ike_keys_derive(&b, IKE_PRF_HMAC_SHA2_256, IKE_ENCR_AES_CBC, 128,
			      IKE_INTEG_HMAC_SHA2_256_128, v.gir, v.girlen,
			      v.ni, v.nilen, v.nr, v.nrlen, v.spi_r,
			      v.spi_i) == 0);
	CHECK(memcmp(a.sk_d, b.sk_d, 32) != 0);
	ike_keys_wipe(&a);
	ike_keys_wipe(&b);
}

static void rekey_skeyseed_matches_the_vector(void)
{
	uint8_t skd[64], gir[64], ni[32], nr[32], want[64], out[IK_PRF_MAX];
	uint8_t out32[32];
	size_t dl, gl, nil, nrl;

	dl = kdf(SEC_REKEY, "SK_d_old", skd, sizeof(skd));
	gl = kdf(SEC_REKEY, "g_ir_new", gir, sizeof(gir));
	nil = kdf(SEC_REKEY, "Ni", ni, sizeof(ni));
	nrl = kdf(SEC_REKEY, "Nr", nr, sizeof(nr));
	CHECK(kdf(SEC_REKEY, "SKEYSEED", want, sizeof(want)) == 32);
	CHECK(dl == 32 && gl && nil && nrl);
	/* The old SK_d is the first vector's SK_d */
	CHECK(kdf(SEC_PRFPLUS, "out32", out32, sizeof(out32)) == 32);
	CHECK(!memcmp(out32, skd, 32));
	CHECK(ike_skeyseed_rekey(IKE_PRF_HMAC_SHA2_256, skd, dl, gir, gl, ni,
				 nil, nr, nrl, out) == 32);
	CHECK(!memcmp(out, want, 32));
	/* The old SK_d must have the old PRF's length */
	CHECK(ike_skeyseed_rekey(IKE_PRF_HMAC_SHA2_256, skd, 31, gir, gl, ni,
				 nil, nr, nrl, out) == -1);
	CHECK(ike_skeyseed_rekey(IKE_PRF_HMAC_SHA2_256, skd, dl, NULL, 0, ni,
				 nil, nr, nrl, out) == -1);
}

static void rekeyed_sa_uses_old_prf_then_new(void)
{
	uint8_t skd[64], gir[64], ni[32], nr[32], seed[64], stream[400];
	uint8_t s[IK_PRF_MAX * 2];
	size_t gl, nil, nrl, sl;
	struct ike_keys k;
	const uint64_t spi_i = 0x0102030405060708ull;
	const uint64_t spi_r = 0x1112131415161718ull;

	CHECK(kdf(SEC_REKEY, "SK_d_old", skd, sizeof(skd)) == 32);
	gl = kdf(SEC_REKEY, "g_ir_new", gir, sizeof(gir));
	nil = kdf(SEC_REKEY, "Ni", ni, sizeof(ni));
	nrl = kdf(SEC_REKEY, "Nr", nr, sizeof(nr));
	CHECK(kdf(SEC_REKEY, "SKEYSEED", seed, sizeof(seed)) == 32);
	/* Ni | Nr | SPIi | SPIr */
	sl = 0;
	memcpy(s + sl, ni, nil);
	sl += nil;
	memcpy(s + sl, nr, nrl);
	sl += nrl;
	memcpy(s + sl, "\x01\x02\x03\x04\x05\x06\x07\x08"
	       "\x11\x12\x13\x14\x15\x16\x17\x18", 16);
	sl += 16;
	/* Old PRF SHA-256 (32-byte SKEYSEED), new PRF SHA-512 */
	CHECK(ike_keys_rekey(&k, skd, IKE_PRF_HMAC_SHA2_256,
			     IKE_PRF_HMAC_SHA2_512, IKE_ENCR_AES_GCM_16, 256,
			     IKE_INTEG_NONE, gir, gl, ni, nil, nr, nrl, spi_i,
			     spi_r) == 0);
	CHECK(k.prf == IKE_PRF_HMAC_SHA2_512 && k.prf_len == 64);
	CHECK(ik_prf_plus(IKE_PRF_HMAC_SHA2_512, seed, 32, s, sl, stream,
			  3 * 64 + 2 * 36) == 0);
	check_layout(&k, stream, 3 * 64 + 2 * 36, 64, 0, 36);
	ike_keys_wipe(&k);
	/* Same PRF: the vector's SKEYSEED keys prf+ */
	CHECK(ike_keys_rekey(&k, skd, IKE_PRF_HMAC_SHA2_256,
			     IKE_PRF_HMAC_SHA2_256, IKE_ENCR_AES_CBC, 128,
			     IKE_INTEG_HMAC_SHA2_512_256, gir, gl, ni, nil, nr,
			     nrl, spi_i, spi_r) == 0);
	CHECK(ik_prf_plus(IKE_PRF_HMAC_SHA2_256, seed, 32, s, sl, stream,
			  3 * 32 + 2 * (64 + 16)) == 0);
	check_layout(&k, stream, 3 * 32 + 2 * (64 + 16), 32, 64, 16);
	ike_keys_wipe(&k);
}

/* HMAC by OpenSSL directly, as a second opinion. */
static void hmac(const char *md, const uint8_t *key, size_t klen,
		 const uint8_t *data, size_t len, uint8_t *out)
{
	size_t ol = 0;

	CHECK(EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, key, klen, data, len,
			out, IK_PRF_MAX, &ol) != NULL);
}

static void child_keymat_with_and_without_ke(void)
{
	uint8_t skd[32], gir[256], ni[32], nr[32], in[400], t1[IK_PRF_MAX];
	uint8_t a[200], b[200], c[200];
	size_t i;

	for (i = 0; i < sizeof(skd); i++)
		skd[i] = (uint8_t)i;
	memset(gir, 0x77, sizeof(gir));
	memset(ni, 0x11, sizeof(ni));
	memset(nr, 0x22, sizeof(nr));
	CHECK(ike_child_keymat(IKE_PRF_HMAC_SHA2_256, skd, 32, NULL, 0, ni, 32,
			       nr, 32, a, sizeof(a)) == 0);
	CHECK(ike_child_keymat(IKE_PRF_HMAC_SHA2_256, skd, 32, gir, 256, ni,
			       32, nr, 32, b, sizeof(b)) == 0);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	/* T1 = HMAC(SK_d, [g^ir |] Ni | Nr | 0x01) */
	memcpy(in, ni, 32);
	memcpy(in + 32, nr, 32);
	in[64] = 1;
	hmac("SHA256", skd, 32, in, 65, t1);
	CHECK(!memcmp(a, t1, 32));
	memcpy(in, gir, 256);
	memcpy(in + 256, ni, 32);
	memcpy(in + 288, nr, 32);
	in[320] = 1;
	hmac("SHA256", skd, 32, in, 321, t1);
	CHECK(!memcmp(b, t1, 32));
	/* T2 = HMAC(SK_d, T1 | Ni | Nr | 0x02) */
	memcpy(in, a, 32);
	memcpy(in + 32, ni, 32);
	memcpy(in + 64, nr, 32);
	in[96] = 2;
	hmac("SHA256", skd, 32, in, 97, t1);
	CHECK(!memcmp(a + 32, t1, 32));
	/* A prefix of a longer KEYMAT */
	CHECK(ike_child_keymat(IKE_PRF_HMAC_SHA2_256, skd, 32, NULL, 0, ni, 32,
			       nr, 32, c, 40) == 0);
	CHECK(!memcmp(a, c, 40));
	/* Bad input */
	CHECK(ike_child_keymat(IKE_PRF_HMAC_SHA2_256, skd, 31, NULL, 0, ni, 32,
			       nr, 32, c, 40) == -1);
	CHECK(ike_child_keymat(IKE_PRF_HMAC_SHA2_256, skd, 32, NULL, 5, ni, 32,
			       nr, 32, c, 40) == -1);
	CHECK(ike_child_keymat(IKE_PRF_HMAC_SHA2_256, skd, 32, NULL, 0, ni, 32,
			       nr, 32, c, 255 * 32 + 1) == -1);
	CHECK(ike_child_keymat(9, skd, 32, NULL, 0, ni, 32, nr, 32, c,
			       40) == -1);
}

static void psk_auth_is_prf_of_keypad_then_octets(void)
{
	static const char *const md[] = { "SHA256", "SHA384", "SHA512" };
	const uint8_t psk[] = "correct horse battery staple";
	const uint8_t octets[] = "RealMessage1 | NonceRData | MACedIDForI";
	uint8_t pad[IK_PRF_MAX], want[IK_PRF_MAX], out[IK_PRF_MAX];
	uint16_t prf;

	for (prf = IKE_PRF_HMAC_SHA2_256; prf <= IKE_PRF_HMAC_SHA2_512; prf++) {
		size_t len = ik_prf_len(prf);

		/* "Key Pad for IKEv2": 17 bytes, no NUL */
		hmac(md[prf - IKE_PRF_HMAC_SHA2_256], psk, sizeof(psk) - 1,
		     (const uint8_t *)"Key Pad for IKEv2", 17, pad);
		hmac(md[prf - IKE_PRF_HMAC_SHA2_256], pad, len, octets,
		     sizeof(octets) - 1, want);
		memset(out, 0, sizeof(out));
		CHECK(ike_psk_auth(prf, psk, sizeof(psk) - 1, octets,
				   sizeof(octets) - 1, out) == (int)len);
		CHECK(!memcmp(out, want, len));
	}
	CHECK(ike_psk_auth(1, psk, 4, octets, 4, out) == -1);
	CHECK(ike_psk_auth(IKE_PRF_HMAC_SHA2_256, NULL, 0, octets, 4,
			   out) == -1);
	CHECK(ike_psk_auth(IKE_PRF_HMAC_SHA2_256, psk, 4, NULL, 4, out) == -1);
}

static void signed_octets_of_each_side(void)
{
	const uint8_t msg1[] = "IKE_SA_INIT request bytes";
	const uint8_t nonce[] = "the other side's nonce";
	const uint8_t id[] = "\x02\0\0\0gw.example";	/* FQDN */
	const uint8_t ia[] = "IntAuth";
	uint8_t out[200], mac[IK_PRF_MAX];
	size_t ml = sizeof(msg1) - 1, nl = sizeof(nonce) - 1;
	size_t il = sizeof(id) - 1, al = sizeof(ia) - 1;
	struct ike_keys k;
	int n;

	memset(&k, 0, sizeof(k));
	k.prf = IKE_PRF_HMAC_SHA2_384;
	k.prf_len = 48;
	memset(k.sk_pi, 0xa1, sizeof(k.sk_pi));
	memset(k.sk_pr, 0xb2, sizeof(k.sk_pr));

	CHECK(ike_signed_octets(&k, true, msg1, ml, nonce, nl, id, il, NULL, 0,
				NULL, 0) == (int)(ml + nl + 48));
	n = ike_signed_octets(&k, true, msg1, ml, nonce, nl, id, il, NULL, 0,
			      out, sizeof(out));
	CHECK(n == (int)(ml + nl + 48));
	CHECK(!memcmp(out, msg1, ml) && !memcmp(out + ml, nonce, nl));
	hmac("SHA384", k.sk_pi, 48, id, il, mac);	/* SK_pi: initiator */
	CHECK(!memcmp(out + ml + nl, mac, 48));

	n = ike_signed_octets(&k, false, msg1, ml, nonce, nl, id, il, ia, al,
			      out, sizeof(out));
	CHECK(n == (int)(ml + nl + 48 + al));
	hmac("SHA384", k.sk_pr, 48, id, il, mac);	/* SK_pr: responder */
	CHECK(!memcmp(out + ml + nl, mac, 48));
	CHECK(!memcmp(out + ml + nl + 48, ia, al));	/* IntAuth last */

	CHECK(ike_signed_octets(&k, true, msg1, ml, nonce, nl, id, il, NULL, 0,
				out, ml + nl + 47) == -1);
	CHECK(ike_signed_octets(&k, true, msg1, ml, nonce, nl, id, il, NULL, 3,
				out, sizeof(out)) == -1);
	CHECK(ike_signed_octets(&k, true, NULL, 0, nonce, nl, id, il, NULL, 0,
				out, sizeof(out)) == -1);
	k.prf_len = 0;		/* keys not derived */
	CHECK(ike_signed_octets(&k, true, msg1, ml, nonce, nl, id, il, NULL, 0,
				out, sizeof(out)) == -1);
}

static void bad_algorithms_are_refused_and_leave_nothing(void)
{
	static const uint16_t bad[][4] = {
		/* prf, encr, keybits, integ */
		{ 2, IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128 },
		{ IKE_PRF_HMAC_SHA2_256, 3, 128, IKE_INTEG_HMAC_SHA2_256_128 },
		{ IKE_PRF_HMAC_SHA2_256, IKE_ENCR_AES_CBC, 64,
		  IKE_INTEG_HMAC_SHA2_256_128 },
		{ IKE_PRF_HMAC_SHA2_256, IKE_ENCR_AES_CBC, 128, 0 },
		{ IKE_PRF_HMAC_SHA2_256, IKE_ENCR_AES_GCM_16, 128,
		  IKE_INTEG_HMAC_SHA2_256_128 },
	};
	const uint8_t x[IK_PRF_MAX] = { 1 };
	const uint8_t zero[sizeof(struct ike_keys)] = { 0 };
	struct ike_keys k;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&k, 0x5a, sizeof(k));
		CHECK(ike_keys_derive(&k, bad[i][0], bad[i][1], bad[i][2],
				      bad[i][3], x, 16, x, 16, x, 16, 1,
				      2) == -1);
		CHECK(!memcmp(&k, zero, sizeof(k)));
		memset(&k, 0x5a, sizeof(k));
		CHECK(ike_keys_rekey(&k, x, IKE_PRF_HMAC_SHA2_256, bad[i][0],
				     bad[i][1], bad[i][2], bad[i][3], x, 16, x,
				     16, x, 16, 1, 2) == -1);
		CHECK(!memcmp(&k, zero, sizeof(k)));
	}
	CHECK(ike_keys_derive(NULL, IKE_PRF_HMAC_SHA2_256, IKE_ENCR_AES_CBC,
			      128, IKE_INTEG_HMAC_SHA2_256_128, x, 16, x, 16,
			      x, 16, 1, 2) == -1);
	CHECK(ike_keys_derive(&k, IKE_PRF_HMAC_SHA2_256, IKE_ENCR_AES_CBC,
			      128, IKE_INTEG_HMAC_SHA2_256_128, NULL, 0, x, 16,
			      x, 16, 1, 2) == -1);
	CHECK(ike_keys_derive(&k, IKE_PRF_HMAC_SHA2_256, IKE_ENCR_AES_CBC,
			      128, IKE_INTEG_HMAC_SHA2_256_128, x, 16, x, 0,
			      x, 16, 1, 2) == -1);
	/* An old SK_d inside the struct being overwritten */
	CHECK(ike_keys_rekey(&k, k.sk_d, IKE_PRF_HMAC_SHA2_256,
			     IKE_PRF_HMAC_SHA2_256, IKE_ENCR_AES_CBC, 128,
			     IKE_INTEG_HMAC_SHA2_256_128, x, 16, x, 16, x, 16,
			     1, 2) == -1);
}

static void derived_keys_protect_messages_both_ways(void)
{
	uint8_t msg[IKE_HDR_LEN + IKE_GENERIC_HDR_LEN + 100], back[64];
	const size_t hdr = IKE_HDR_LEN + IKE_GENERIC_HDR_LEN;
	const uint8_t x[32] = { 9 };
	struct ike_keys k;
	size_t len;

	memset(msg, 0x42, hdr);
	CHECK(ike_keys_derive(&k, IKE_PRF_HMAC_SHA2_512, IKE_ENCR_AES_CBC, 192,
			      IKE_INTEG_HMAC_SHA2_384_192, x, 32, x, 16,
			      x + 1, 16, 7, 8) == 0);
	len = hdr + ik_sk_body_len(&k.sk_i, 5);
	CHECK(ik_sk_seal(&k.sk_i, msg, hdr, (const uint8_t *)"hello", 5) == 0);
	CHECK(ik_sk_open(&k.sk_i, msg, hdr, len, back, sizeof(back)) == 5);
	/* The responder's keys do not open the initiator's messages */
	CHECK(ik_sk_open(&k.sk_r, msg, hdr, len, back, sizeof(back)) == -1);
	CHECK(memcmp(k.sk_pi, k.sk_pr, 64) && memcmp(k.sk_d, k.sk_pi, 64));
	ike_keys_wipe(&k);
	CHECK(k.prf_len == 0 && k.sk_d[0] == 0 && k.sk_i.ek[0] == 0);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(skeyseed_matches_the_vector),
	KTAP_CASE(keys_are_prf_plus_in_rfc_order_cbc),
	KTAP_CASE(keys_are_prf_plus_in_rfc_order_gcm),
	KTAP_CASE(spis_are_big_endian_in_the_seed),
	KTAP_CASE(rekey_skeyseed_matches_the_vector),
	KTAP_CASE(rekeyed_sa_uses_old_prf_then_new),
	KTAP_CASE(child_keymat_with_and_without_ke),
	KTAP_CASE(psk_auth_is_prf_of_keypad_then_octets),
	KTAP_CASE(signed_octets_of_each_side),
	KTAP_CASE(bad_algorithms_are_refused_and_leave_nothing),
	KTAP_CASE(derived_keys_protect_messages_both_ways),
};

KTAP_MAIN(cases)
