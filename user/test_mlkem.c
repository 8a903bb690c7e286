// SPDX-License-Identifier: GPL-2.0
/*
 * ML-KEM (crypto/mlkem.c, mlkem_evp.c) and its ik_kex wiring (groups 35,
 * 36, 37), against the C2SP files in ../shared/vectors/mlkem: every
 * intermediate value of one key pair, encapsulation and decapsulation per
 * parameter set; the strcmp and unlucky-sample vectors; every invalid key
 * of the modulus/ files refused by encapsulation.  Also the Keccak functions
 * against libcrypto's, Compress/Decompress exhaustively, the 7.2 and 7.3
 * input checks, and the kex API: initiator and responder agree, wrong
 * lengths and orders are refused, a tampered ciphertext gives another
 * (implicit-rejection) secret.
 *
 * The accumulated 10 000- and 1 000 000-test hashes run unsanitized, from
 * selftests/mlkem/accumulated.c: under ASan they would take minutes.
 */
#include <string.h>

#include <openssl/evp.h>

#include "crypto/crypto.h"
#include "crypto/mlkem.h"
#include "ike/wire.h"
#include "ktap.h"

static const int ranks[] = { IK_MLKEM512, IK_MLKEM768, IK_MLKEM1024 };
static const char *const set_names[] = {
	[IK_MLKEM512] = "ML-KEM-512", [IK_MLKEM768] = "ML-KEM-768",
	[IK_MLKEM1024] = "ML-KEM-1024",
};

/* ---- vector files (../shared/vectors; IKETCP_VECTORS overrides) ------- */

/* The path of vector file name, or false (and a note) if none is found. */
static bool vec_path(const char *name, char *path, size_t len)
{
	static const char *const dirs[] = {
		"../selftests/vectors", "../../shared/vectors",
		"../shared/vectors"
	};
	const char *env = getenv("IKETCP_VECTORS");
	size_t i;

	if (env) {
		snprintf(path, len, "%s/%s", env, name);
		if (access(path, R_OK) == 0)
			return true;
	}
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, len, "%s/%s", dirs[i], name);
		if (access(path, R_OK) == 0)
			return true;
	}
	printf("# vector file %s not found (set IKETCP_VECTORS)\n", name);
	return false;
}

static FILE *vec_open(const char *fmt, int k)
{
	char name[128], path[512];

	snprintf(name, sizeof(name), fmt, set_names[k]);
	return vec_path(name, path, sizeof(path)) ? fopen(path, "r") : NULL;
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

/* A "{1, 2, ...}" list of coefficients, as ByteEncode12. */
static size_t undec12(const char *s, uint8_t *out, size_t cap)
{
	unsigned int c[2], n = 0;
	size_t len = 0;
	char *end;

	for (s++; *s && *s != '}' && len + 3 <= cap; s = end) {
		c[n++ % 2] = (unsigned int)strtoul(s, &end, 10);
		if (end == s)
			break;
		if (n % 2 == 0) {
			out[len++] = (uint8_t)c[0];
			out[len++] = (uint8_t)(c[0] >> 8 | c[1] << 4);
			out[len++] = (uint8_t)(c[1] >> 4);
		}
		while (*end == ',' || *end == ' ')
			end++;
	}
	return len;
}

/* One "name = value" line: value as bytes (hex, else decimals). */
struct vline {
	char name[32];
	uint8_t *val;
	size_t len;
};

/* Every line of f, NULL-terminated by a zero name; free with vlines_free. */
static struct vline *vlines_read(FILE *f, size_t *count)
{
	struct vline *v = NULL;
	size_t n = 0, cap = 0;
	char *line = NULL, *eq, *hex;
	size_t lcap = 0;

	while (f && getline(&line, &lcap, f) > 0) {
		eq = strstr(line, " = ");
		if (!eq || eq - line >= (long)sizeof(v->name))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			v = realloc(v, cap * sizeof(*v));
		}
		memset(&v[n], 0, sizeof(v[n]));
		memcpy(v[n].name, line, (size_t)(eq - line));
		v[n].val = malloc(strlen(eq));
		/* "{decimals} = hex" and "NTT(s) = hex": the last part */
		for (hex = eq; strstr(hex + 3, " = "); )
			hex = strstr(hex + 3, " = ");
		if (hex[3] == '{')
			v[n].len = undec12(hex + 3, v[n].val, strlen(eq));
		else
			v[n].len = unhex(hex + 3, v[n].val, strlen(eq));
		n++;
	}
	free(line);
	if (f)
		fclose(f);
	*count = n;
	return v;
}

static void vlines_free(struct vline *v, size_t n)
{
	while (n--)
		free(v[n].val);
	free(v);
}

/* The nth (from 0) value named name, or NULL. */
static const struct vline *vfind(const struct vline *v, size_t n,
				 const char *name, int nth)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].name, name) && nth-- == 0)
			return &v[i];
	return NULL;
}

/* ---- Keccak, Compress ---------------------------------------------------- */

static void evp_digest(const char *md, const uint8_t *p, size_t len,
		       uint8_t *out, size_t outlen)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	const EVP_MD *m = EVP_get_digestbyname(md);

	CHECK(c && m && EVP_DigestInit_ex(c, m, NULL) == 1 &&
	      EVP_DigestUpdate(c, p, len) == 1);
	if (EVP_MD_get_flags(m) & EVP_MD_FLAG_XOF)
		CHECK(EVP_DigestFinalXOF(c, out, outlen) == 1);
	else
		CHECK(EVP_DigestFinal_ex(c, out, NULL) == 1);
	EVP_MD_CTX_free(c);
}

static void keccak_matches_libcrypto(void)
{
	uint8_t in[700], a[600], b[600];
	struct ik_keccak c;
	size_t len, off, step;

	for (len = 0; len < sizeof(in); len++)
		in[len] = (uint8_t)(len * 7 + 3);
	for (len = 0; len <= sizeof(in); len += 1 + len / 8) {
		evp_digest("SHA3-256", in, len, a, 32);
		ik_sha3_256(in, len, b);
		CHECK(!memcmp(a, b, 32));
		evp_digest("SHA3-512", in, len, a, 64);
		ik_sha3_512(in, len, b);
		CHECK(!memcmp(a, b, 64));
		/* absorbed in two parts, squeezed in uneven steps */
		step = 1 + len % 37;
		evp_digest(len % 2 ? "SHAKE128" : "SHAKE256", in, len, a,
			   sizeof(a));
		ik_shake_init(&c, len % 2 ? 128 : 256);
		ik_shake_absorb(&c, in, len / 3);
		ik_shake_absorb(&c, in + len / 3, len - len / 3);
		for (off = 0; off < sizeof(b); off += step)
			ik_shake_squeeze(&c, b + off, off + step > sizeof(b) ?
					 sizeof(b) - off : step);
		CHECK(!memcmp(a, b, sizeof(a)));
	}
}

/* Against the definitions with exact integer division, every input. */
static void compress_and_decompress_every_value(void)
{
	static const unsigned int ds[] = { 1, 4, 5, 10, 11 };
	unsigned int i, x, bad = 0;

	for (i = 0; i < sizeof(ds) / sizeof(ds[0]); i++) {
		unsigned int d = ds[i];

		/* round(2^d x / q) = floor((2^(d+1) x + q) / 2q) */
		for (x = 0; x < 3329; x++)
			bad += ik_mlkem_compress(d, (uint16_t)x) !=
			       (((x << (d + 1)) + 3329) / 6658) % (1u << d);
		/* round(q y / 2^d) = floor((2 q y + 2^d) / 2^(d+1)) */
		for (x = 0; x < 1u << d; x++)
			bad += ik_mlkem_decompress(d, (uint16_t)x) !=
			       (2 * 3329 * x + (1u << d)) >> (d + 1);
	}
	CHECK(bad == 0);
}

/* ---- intermediate values ------------------------------------------------- */

struct tracelog {
	struct vline ev[256];
	size_t n;
};

static void collect(void *arg, const char *name, const uint8_t *p, size_t len)
{
	struct tracelog *t = arg;
	struct vline *v;

	if (t->n == sizeof(t->ev) / sizeof(t->ev[0]))
		return;
	v = &t->ev[t->n++];
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->val = malloc(len);
	memcpy(v->val, p, len);
	v->len = len;
}

/*
 * Every value of the file that the trace also has, the nth of a name to
 * the nth of the trace; returns how many matched, prints what differs.
 */
static int compare_trace(const struct vline *want, size_t nw,
			 const struct tracelog *t, int k)
{
	int seen[64] = { 0 }, matched = 0;
	size_t i, j;

	for (i = 0; i < nw && i < 64; i++) {
		const struct vline *got;

		for (j = 0; j < i; j++)
			seen[i] += !strcmp(want[j].name, want[i].name);
		got = vfind(t->ev, t->n, want[i].name, seen[i]);
		if (!got)
			continue;
		if (got->len == want[i].len &&
		    !memcmp(got->val, want[i].val, got->len))
			matched++;
		else
			printf("# %s: %s (#%d) differs (%zu vs %zu bytes)\n",
			       set_names[k], want[i].name, seen[i] + 1,
			       got->len, want[i].len);
	}
	return matched;
}

static void intermediate_values_match(void)
{
	static uint8_t ek[IK_MLKEM_EK_MAX], dk[IK_MLKEM_DK_MAX];
	static uint8_t ct[IK_MLKEM_CT_MAX];
	uint8_t K[32], K2[32];
	size_t i, n;

	for (i = 0; i < 3; i++) {
		int k = ranks[i], matched;
		struct vline *v = vlines_read(
			vec_open("mlkem/intermediate/%s.txt", k), &n);
		const struct vline *d = vfind(v, n, "d", 0),
			*z = vfind(v, n, "z", 0), *m = vfind(v, n, "m", 0);
		struct tracelog *t = calloc(1, sizeof(*t));

		CHECK(n >= 39 && d && z && m && d->len == 32 &&
		      z->len == 32 && m->len == 32);
		if (n < 39 || !d || !z || !m)
			goto next;
		ik_mlkem_set_trace(collect, t);
		CHECK(ik_mlkem_keygen_derand_draft(k, d->val, z->val, ek,
						   dk) == 0);
		CHECK(ik_mlkem_encaps_derand(k, ek, ik_mlkem_ek_len(k),
					     m->val, K, ct) == 0);
		CHECK(ik_mlkem_decaps(k, dk, ik_mlkem_dk_len(k), ct,
				      ik_mlkem_ct_len(k), K2) == 0);
		ik_mlkem_set_trace(NULL, NULL);
		CHECK(!memcmp(K, K2, 32));
		/* the outputs, then everything the trace has on the way */
		CHECK(!memcmp(ek, vfind(v, n, "ek", 0)->val,
			      ik_mlkem_ek_len(k)));
		CHECK(!memcmp(dk, vfind(v, n, "dk", 0)->val,
			      ik_mlkem_dk_len(k)));
		CHECK(!memcmp(ct, vfind(v, n, "c", 0)->val,
			      ik_mlkem_ct_len(k)));
		CHECK(!memcmp(K, vfind(v, n, "K", 0)->val, 32));
		matched = compare_trace(v, n, t, k);
		printf("# %s: %d of %zu values checked and equal\n",
		       set_names[k], matched, n);
		/* all but the second dkPKE line (which repeats ek) */
		CHECK(matched == (int)n - 1);
		while (t->n--)
			free(t->ev[t->n].val);
next:
		free(t);
		vlines_free(v, n);
	}
}

/* ---- the other vector files --------------------------------------------- */

static void strcmp_vectors_decapsulate(void)
{
	uint8_t K[32];
	size_t i, n;

	for (i = 0; i < 3; i++) {
		int k = ranks[i];
		struct vline *v = vlines_read(
			vec_open("mlkem/strcmp/%s.txt", k), &n);
		const struct vline *dk = vfind(v, n, "dk", 0),
			*c = vfind(v, n, "c", 0), *want = vfind(v, n, "K", 0);

		CHECK(dk && c && want);
		if (dk && c && want) {
			CHECK(ik_mlkem_decaps(k, dk->val, dk->len, c->val,
					      c->len, K) == 0);
			CHECK(want->len == 32 && !memcmp(K, want->val, 32));
		}
		vlines_free(v, n);
	}
}

static void unlucky_sample_vectors(void)
{
	static uint8_t ek[IK_MLKEM_EK_MAX], dk[IK_MLKEM_DK_MAX];
	static uint8_t ct[IK_MLKEM_CT_MAX];
	uint8_t K[32], K2[32];
	size_t i, n;

	for (i = 0; i < 3; i++) {
		int k = ranks[i];
		struct vline *v = vlines_read(
			vec_open("mlkem/unluckysample/%s.txt", k), &n);
		const struct vline *d = vfind(v, n, "d", 0),
			*z = vfind(v, n, "z", 0), *m = vfind(v, n, "m", 0),
			*wek = vfind(v, n, "ek", 0),
			*wdk = vfind(v, n, "dk", 0),
			*wc = vfind(v, n, "c", 0), *wK = vfind(v, n, "K", 0);

		CHECK(n == 7 && d && z && m && wek && wdk && wc && wK);
		if (n != 7 || !d || !z || !m || !wek || !wdk || !wc || !wK) {
			vlines_free(v, n);
			continue;
		}
		CHECK(ik_mlkem_keygen_derand_draft(k, d->val, z->val, ek,
						   dk) == 0);
		CHECK(wek->len == ik_mlkem_ek_len(k) &&
		      !memcmp(ek, wek->val, wek->len));
		CHECK(wdk->len == ik_mlkem_dk_len(k) &&
		      !memcmp(dk, wdk->val, wdk->len));
		CHECK(ik_mlkem_encaps_derand(k, ek, ik_mlkem_ek_len(k),
					     m->val, K, ct) == 0);
		CHECK(wc->len == ik_mlkem_ct_len(k) &&
		      !memcmp(ct, wc->val, wc->len));
		CHECK(!memcmp(K, wK->val, 32));
		CHECK(ik_mlkem_decaps(k, dk, ik_mlkem_dk_len(k), ct,
				      ik_mlkem_ct_len(k), K2) == 0);
		CHECK(!memcmp(K2, K, 32));
		vlines_free(v, n);
	}
}

/* Every key of modulus/: each has one coefficient from q to 4095. */
static void modulus_keys_are_refused(void)
{
	static uint8_t ek[IK_MLKEM_EK_MAX + 1], ct[IK_MLKEM_CT_MAX];
	char name[128], path[512], cmd[600], *line = NULL;
	size_t i, lcap = 0;
	uint8_t K[32];

	for (i = 0; i < 3; i++) {
		int k = ranks[i], keys = 0, accepted = 0;
		FILE *f;

		snprintf(name, sizeof(name), "mlkem/modulus/%s.txt.gz",
			 set_names[k]);
		if (!vec_path(name, path, sizeof(path))) {
			CHECK(!"modulus vectors");
			continue;
		}
		snprintf(cmd, sizeof(cmd), "gzip -dc '%s'", path);
		f = popen(cmd, "r");
		CHECK(f != NULL);
		while (f && getline(&line, &lcap, f) > 0) {
			size_t len = unhex(line, ek, sizeof(ek));

			keys++;
			CHECK(len == ik_mlkem_ek_len(k));
			accepted += ik_mlkem_check_ek(k, ek, len) == 0;
			accepted += ik_mlkem_encaps(k, ek, len, K, ct) == 0;
		}
		CHECK(f && pclose(f) == 0);
		printf("# %s: %d invalid keys, %d accepted\n", set_names[k],
		       keys, accepted);
		CHECK(keys > 700 && accepted == 0);
	}
	free(line);
}

/* ---- FIPS 203 7.2 and 7.3 ------------------------------------------------ */

static void input_checks(void)
{
	static uint8_t ek[IK_MLKEM_EK_MAX + 1], dk[IK_MLKEM_DK_MAX + 1];
	static uint8_t ct[IK_MLKEM_CT_MAX + 1];
	size_t i;
	uint8_t K[32];

	for (i = 0; i < 3; i++) {
		int k = ranks[i];
		size_t ekl = ik_mlkem_ek_len(k), dkl = ik_mlkem_dk_len(k),
		       ctl = ik_mlkem_ct_len(k);

		CHECK(ik_mlkem_keygen(k, ek, dk) == 0);
		CHECK(ik_mlkem_check_ek(k, ek, ekl) == 0);
		CHECK(ik_mlkem_encaps(k, ek, ekl - 1, K, ct) == -1);
		CHECK(ik_mlkem_encaps(k, ek, ekl + 1, K, ct) == -1);
		CHECK(ik_mlkem_encaps(k, ek, ekl, K, ct) == 0);
		CHECK(ik_mlkem_decaps(k, dk, dkl, ct, ctl - 1, K) == -1);
		CHECK(ik_mlkem_decaps(k, dk, dkl, ct, ctl + 1, K) == -1);
		CHECK(ik_mlkem_decaps(k, dk, dkl - 1, ct, ctl, K) == -1);
		CHECK(ik_mlkem_decaps(k, dk, dkl, ct, ctl, K) == 0);
		/* 7.3 hash check: the ek inside dk no longer hashes to H(ek) */
		dk[384 * k + 5] ^= 1;
		CHECK(ik_mlkem_decaps(k, dk, dkl, ct, ctl, K) == -1);
		dk[384 * k + 5] ^= 1;
		dk[384 * k + ekl] ^= 1;
		CHECK(ik_mlkem_decaps(k, dk, dkl, ct, ctl, K) == -1);
		/* 7.2 modulus check: the last coefficient set to q */
		ek[384 * k - 2] = (uint8_t)((ek[384 * k - 2] & 0x0f) |
					    (3329 & 0x0f) << 4);
		ek[384 * k - 1] = 3329 >> 4;
		CHECK(ik_mlkem_check_ek(k, ek, ekl) == -1);
		CHECK(ik_mlkem_encaps(k, ek, ekl, K, ct) == -1);
	}
	CHECK(ik_mlkem_ek_len(1) == 0 && ik_mlkem_ct_len(5) == 0);
	CHECK(ik_mlkem_keygen(5, ek, dk) == -1);
}

static void fresh_keys_every_time(void)
{
	static uint8_t ek1[IK_MLKEM_EK_MAX], dk1[IK_MLKEM_DK_MAX];
	static uint8_t ek2[IK_MLKEM_EK_MAX], dk2[IK_MLKEM_DK_MAX];
	static uint8_t c1[IK_MLKEM_CT_MAX], c2[IK_MLKEM_CT_MAX];
	uint8_t K1[32], K2[32];

	CHECK(ik_mlkem_keygen(3, ek1, dk1) == 0);
	CHECK(ik_mlkem_keygen(3, ek2, dk2) == 0);
	CHECK(memcmp(ek1, ek2, sizeof(ek1)) && memcmp(dk1, dk2, sizeof(dk1)));
	CHECK(ik_mlkem_encaps(3, ek1, ik_mlkem_ek_len(3), K1, c1) == 0);
	CHECK(ik_mlkem_encaps(3, ek1, ik_mlkem_ek_len(3), K2, c2) == 0);
	CHECK(memcmp(c1, c2, sizeof(c1)) && memcmp(K1, K2, 32));
}

/* ---- the kex API --------------------------------------------------------- */

static const uint16_t kem_groups[] = {
	IKE_KE_MLKEM512, IKE_KE_MLKEM768, IKE_KE_MLKEM1024
};

/* One exchange; the initiator's and responder's secrets into si, sr. */
static bool kex_exchange(uint16_t g, uint8_t *si, uint8_t *sr, bool tamper)
{
	static uint8_t ek[IK_KEX_MAX], ct[IK_KEX_MAX];
	struct ik_kex *i = ik_kex_new(g), *r = ik_kex_new_responder(g);
	int ekl, ctl, ok;

	ekl = i ? ik_kex_public(i, ek, sizeof(ek)) : -1;
	ok = r && ekl == (int)ik_kex_peer_len(g, false) &&
	     ik_kex_public(r, ct, sizeof(ct)) == -1 &&	/* not yet */
	     ik_kex_shared(r, ek, (size_t)ekl, sr, 32) == 32;
	ctl = ok ? ik_kex_public(r, ct, sizeof(ct)) : -1;
	ok = ok && ctl == (int)ik_kex_peer_len(g, true);
	if (ok && tamper)
		ct[ctl / 2] ^= 0x10;
	ok = ok && ik_kex_shared(i, ct, (size_t)ctl, si, 32) == 32 &&
	     /* a responder encapsulates once */
	     ik_kex_shared(r, ek, (size_t)ekl, sr + 32, 32) == -1;
	ik_kex_free(i);
	ik_kex_free(r);
	return ok;
}

static void kex_roundtrip(void)
{
	uint8_t si[64], sr[64];
	int impl;
	size_t i;

	for (impl = 0; impl < 2; impl++) {
		if (impl == 1 && ik_mlkem_select(IK_MLKEM_LIBCRYPTO) < 0) {
			printf("# no ML-KEM in this libcrypto: ours only\n");
			break;
		}
		if (impl == 0)
			CHECK(ik_mlkem_select(IK_MLKEM_OWN) == 0);
		printf("# ML-KEM: %s\n", ik_mlkem_impl_name());
		for (i = 0; i < 3; i++) {
			uint16_t g = kem_groups[i];

			CHECK(ik_kex_supported(g));
			CHECK(kex_exchange(g, si, sr, false));
			CHECK(!memcmp(si, sr, 32));
			/* implicit rejection: a secret, but another one */
			CHECK(kex_exchange(g, si, sr, true));
			CHECK(memcmp(si, sr, 32));
		}
	}
	ik_mlkem_select(IK_MLKEM_AUTO);
}

static void kex_lengths(void)
{
	CHECK(ik_kex_peer_len(IKE_KE_MLKEM512, false) == 800);
	CHECK(ik_kex_peer_len(IKE_KE_MLKEM512, true) == 768);
	CHECK(ik_kex_peer_len(IKE_KE_MLKEM768, false) == 1184);
	CHECK(ik_kex_peer_len(IKE_KE_MLKEM768, true) == 1088);
	CHECK(ik_kex_peer_len(IKE_KE_MLKEM1024, false) == 1568);
	CHECK(ik_kex_peer_len(IKE_KE_MLKEM1024, true) == 1568);
	CHECK(IK_KEX_MAX >= IK_MLKEM_EK_MAX && IK_KEX_MAX >= IK_MLKEM_CT_MAX);
	/* for the other groups the responder is the same as the initiator */
	CHECK(ik_kex_peer_len(IKE_KE_X25519, true) == 32);
}

/* Wrong lengths and out-of-range keys through ik_kex, both impls. */
static void kex_refuses_bad_peer_values(void)
{
	static uint8_t ek[IK_KEX_MAX + 1], ct[IK_KEX_MAX + 1];
	uint8_t s[32];
	int impl;
	size_t i;

	for (impl = 0; impl < 2; impl++) {
		if (ik_mlkem_select(impl ? IK_MLKEM_LIBCRYPTO :
				    IK_MLKEM_OWN) < 0)
			break;
		for (i = 0; i < 3; i++) {
			uint16_t g = kem_groups[i];
			size_t ekl = ik_kex_peer_len(g, false),
			       ctl = ik_kex_peer_len(g, true);
			struct ik_kex *in = ik_kex_new(g), *r;

			CHECK(ik_kex_public(in, ek, sizeof(ek)) == (int)ekl);
			CHECK(ik_kex_public(in, ek, ekl - 1) == -1);
			CHECK(ik_kex_shared(in, ct, ctl - 1, s, 32) == -1);
			CHECK(ik_kex_shared(in, ct, ctl + 1, s, 32) == -1);
			CHECK(ik_kex_shared(in, ct, ctl, s, 31) == -1);
			r = ik_kex_new_responder(g);
			CHECK(ik_kex_shared(r, ek, ekl - 1, s, 32) == -1);
			CHECK(ik_kex_shared(r, ek, ekl + 1, s, 32) == -1);
			/* a coefficient of 4095: 7.2 refuses the key */
			ek[0] = 0xff;
			ek[1] |= 0x0f;
			CHECK(ik_kex_shared(r, ek, ekl, s, 32) == -1);
			CHECK(ik_kex_public(r, ct, sizeof(ct)) == -1);
			ik_kex_free(r);
			ik_kex_free(in);
		}
	}
	ik_mlkem_select(IK_MLKEM_AUTO);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(keccak_matches_libcrypto),
	KTAP_CASE(compress_and_decompress_every_value),
	KTAP_CASE(intermediate_values_match),
	KTAP_CASE(strcmp_vectors_decapsulate),
	KTAP_CASE(unlucky_sample_vectors),
	KTAP_CASE(modulus_keys_are_refused),
	KTAP_CASE(input_checks),
	KTAP_CASE(fresh_keys_every_time),
	KTAP_CASE(kex_roundtrip),
	KTAP_CASE(kex_lengths),
	KTAP_CASE(kex_refuses_bad_peer_values),
};

KTAP_MAIN(cases)
