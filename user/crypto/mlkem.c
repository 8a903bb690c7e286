// SPDX-License-Identifier: GPL-2.0
/*
 * The project's ML-KEM (FIPS 203), for libcrypto without one (OpenSSL 3.0,
 * Debian 12).  Written from the standard; the algorithm numbers below are
 * FIPS 203's.  kex.c prefers libcrypto's where it exists (mlkem_evp.c).
 *
 * Why its own Keccak-f[1600]: SampleNTT squeezes SHAKE-128 until it has
 * 256 coefficients, and OpenSSL 3.0's EVP cannot squeeze a second time;
 * and one exchange hashes about 150 blocks, where EVP's per-call set-up
 * would cost more than the permutations.
 *
 * Arithmetic: coefficients are kept fully reduced, in [0, q), in uint16_t.
 * Products are reduced by Barrett's method with a 64-bit multiply, and every
 * "if >= q, subtract q" is a mask, never a branch.
 *
 * Constant time: no branch and no memory index depends on a secret (d, z,
 * m, s^, e, the ciphertext a decapsulation re-encrypts).  Compress_d
 * divides by q with a multiply and shift (a division instruction's time
 * can depend on its operands); the FO comparison reads both ciphertexts
 * whole and the choice of K or K-bar is a mask.  The rejection sampling of
 * SampleNTT branches on rho, which is public (it is part of ek): the
 * valgrind build (-DIK_MLKEM_VALGRIND, selftests/mlkem/ct-valgrind.sh),
 * in which secrets are "undefined", declares it and the ek inside dk
 * public with declassify().
 *
 * Stack: under 32 KB (ML-KEM-1024's matrix alone is 8 KB).  Secret
 * intermediates are wiped before returning.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "crypto/crypto.h"
#include "crypto/mlkem.h"

#ifdef IK_MLKEM_VALGRIND
#include <valgrind/memcheck.h>
#define declassify(p, n)	VALGRIND_MAKE_MEM_DEFINED(p, n)
#else
#define declassify(p, n)	do { (void)(p); (void)(n); } while (0)
#endif

#define Q	3329
#define N	256
#define KMAX	4

/* ---- Keccak-f[1600] (FIPS 202) ---------------------------------------- */

/* Round constants: the LFSR rc(t) of FIPS 202 3.2.5. */
static const uint64_t keccak_rc[24] = {
	0x0000000000000001ULL, 0x0000000000008082ULL,
	0x800000000000808aULL, 0x8000000080008000ULL,
	0x000000000000808bULL, 0x0000000080000001ULL,
	0x8000000080008081ULL, 0x8000000000008009ULL,
	0x000000000000008aULL, 0x0000000000000088ULL,
	0x0000000080008009ULL, 0x000000008000000aULL,
	0x000000008000808bULL, 0x800000000000008bULL,
	0x8000000000008089ULL, 0x8000000000008003ULL,
	0x8000000000008002ULL, 0x8000000000000080ULL,
	0x000000000000800aULL, 0x800000008000000aULL,
	0x8000000080008081ULL, 0x8000000000008080ULL,
	0x0000000080000001ULL, 0x8000000080008008ULL,
};

static inline uint64_t rol64(uint64_t x, unsigned int n)
{
	return (x << n) | (x >> ((64 - n) & 63));
}

/*
 * One lane after theta, rho and pi: lane s of the state with theta's
 * column term d<x> (x = s mod 5), rotated by its rho offset n
 * ((t + 1)(t + 2)/2 mod 64, FIPS 202 3.2.2).
 */
#define RP(s, x, n)	rol64(a[s] ^ d##x, n)

/* One row of chi into out: e0..e4 are the row's lanes after pi. */
#define CHI(row, e0, e1, e2, e3, e4) do { \
	uint64_t b0 = e0, b1 = e1, b2 = e2, b3 = e3, b4 = e4; \
	out[row] = b0 ^ (~b1 & b2); \
	out[row + 1] = b1 ^ (~b2 & b3); \
	out[row + 2] = b2 ^ (~b3 & b4); \
	out[row + 3] = b3 ^ (~b4 & b0); \
	out[row + 4] = b4 ^ (~b0 & b1); \
} while (0)

/*
 * One round of Keccak-f[1600] from a into out, unrolled (a loop over lanes
 * through index tables ran four times slower).  Row y of the result takes,
 * by pi (FIPS 202 3.2.3), lanes (x + 3y) mod 5 + 5x for x = 0..4.
 */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void keccak_round(uint64_t *out, const uint64_t *a,
				uint64_t rc)
{
	uint64_t c0 = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20];
	uint64_t c1 = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21];
	uint64_t c2 = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22];
	uint64_t c3 = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23];
	uint64_t c4 = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24];
	uint64_t d0 = c4 ^ rol64(c1, 1), d1 = c0 ^ rol64(c2, 1);
	uint64_t d2 = c1 ^ rol64(c3, 1), d3 = c2 ^ rol64(c4, 1);
	uint64_t d4 = c3 ^ rol64(c0, 1);

	CHI(0, RP(0, 0, 0), RP(6, 1, 44), RP(12, 2, 43),
	    RP(18, 3, 21), RP(24, 4, 14));
	CHI(5, RP(3, 3, 28), RP(9, 4, 20), RP(10, 0, 3),
	    RP(16, 1, 45), RP(22, 2, 61));
	CHI(10, RP(1, 1, 1), RP(7, 2, 6), RP(13, 3, 25),
	    RP(19, 4, 8), RP(20, 0, 18));
	CHI(15, RP(4, 4, 27), RP(5, 0, 36), RP(11, 1, 10),
	    RP(17, 2, 15), RP(23, 3, 56));
	CHI(20, RP(2, 2, 62), RP(8, 3, 55), RP(14, 4, 39),
	    RP(15, 0, 41), RP(21, 1, 2));
	out[0] ^= rc;	/* iota */
}

static void keccak_f1600(uint64_t a[25])
{
	uint64_t t[25];
	int r;

	for (r = 0; r < 24; r += 2) {
		keccak_round(t, a, keccak_rc[r]);
		keccak_round(a, t, keccak_rc[r + 1]);
	}
}

#undef RP
#undef CHI

/* Lanes are little-endian (FIPS 202 B.1). */
static inline uint64_t load64(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
#else
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
#endif
}

static inline void store64(uint8_t *p, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(p, &v, 8);
#else
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
#endif
}

static void keccak_init(struct ik_keccak *c, unsigned int rate)
{
	memset(c, 0, sizeof(*c));
	c->rate = rate;
}

static void keccak_absorb(struct ik_keccak *c, const uint8_t *p, size_t len)
{
	while (len) {
		if (c->pos % 8 == 0 && len >= 8) {
			c->a[c->pos / 8] ^= load64(p);
			c->pos += 8;
			p += 8;
			len -= 8;
		} else {
			c->a[c->pos / 8] ^= (uint64_t)*p++ << 8 * (c->pos % 8);
			c->pos++;
			len--;
		}
		if (c->pos == c->rate) {
			keccak_f1600(c->a);
			c->pos = 0;
		}
	}
}

/* Pads with the domain bits ds (SHA-3: 0x06, SHAKE: 0x1f) and pad10*1. */
static void keccak_finish(struct ik_keccak *c, uint8_t ds)
{
	c->a[c->pos / 8] ^= (uint64_t)ds << (8 * (c->pos % 8));
	c->a[(c->rate - 1) / 8] ^= 0x80ULL << (8 * ((c->rate - 1) % 8));
	keccak_f1600(c->a);
	c->pos = 0;
	c->squeezing = true;
}

static void keccak_squeeze(struct ik_keccak *c, uint8_t *out, size_t len)
{
	while (len) {
		if (c->pos == c->rate) {
			keccak_f1600(c->a);
			c->pos = 0;
		}
		if (c->pos % 8 == 0 && len >= 8) {
			store64(out, c->a[c->pos / 8]);
			c->pos += 8;
			out += 8;
			len -= 8;
		} else {
			*out++ = (uint8_t)(c->a[c->pos / 8] >>
					   8 * (c->pos % 8));
			c->pos++;
			len--;
		}
	}
}

void ik_shake_init(struct ik_keccak *c, unsigned int bits)
{
	keccak_init(c, 200 - bits / 4);
}

void ik_shake_absorb(struct ik_keccak *c, const void *p, size_t len)
{
	keccak_absorb(c, p, len);
}

void ik_shake_squeeze(struct ik_keccak *c, void *out, size_t len)
{
	if (!c->squeezing)
		keccak_finish(c, 0x1f);
	keccak_squeeze(c, out, len);
}

/* SHA3-256 or SHA3-512 (outlen 32 or 64) of a | b. */
static void sha3(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
		 uint8_t *out, size_t outlen)
{
	struct ik_keccak c;

	keccak_init(&c, 200 - 2 * outlen);
	keccak_absorb(&c, a, alen);
	keccak_absorb(&c, b, blen);
	keccak_finish(&c, 0x06);
	keccak_squeeze(&c, out, outlen);
	OPENSSL_cleanse(&c, sizeof(c));
}

void ik_sha3_256(const void *p, size_t len, uint8_t out[32])
{
	sha3(p, len, NULL, 0, out, 32);
}

void ik_sha3_512(const void *p, size_t len, uint8_t out[64])
{
	sha3(p, len, NULL, 0, out, 64);
}

/* SHAKE-256 of a | b: J (32 bytes) and PRF_eta (64 eta bytes). */
static void shake256(const uint8_t *a, size_t alen, const uint8_t *b,
		     size_t blen, uint8_t *out, size_t outlen)
{
	struct ik_keccak c;

	ik_shake_init(&c, 256);
	keccak_absorb(&c, a, alen);
	keccak_absorb(&c, b, blen);
	ik_shake_squeeze(&c, out, outlen);
	OPENSSL_cleanse(&c, sizeof(c));
}

/* ---- the parameter sets (FIPS 203 8) ---------------------------------- */

struct params {
	int k;
	unsigned int eta1, eta2, du, dv;
};

static const struct params param_sets[] = {
	{ 2, 3, 2, 10, 4 },
	{ 3, 2, 2, 10, 4 },
	{ 4, 2, 2, 11, 5 },
};

static const struct params *params_of(int k)
{
	return k >= 2 && k <= 4 ? &param_sets[k - 2] : NULL;
}

size_t ik_mlkem_ek_len(int k)
{
	return params_of(k) ? IK_MLKEM_EK_LEN(k) : 0;
}

size_t ik_mlkem_dk_len(int k)
{
	return params_of(k) ? IK_MLKEM_DK_LEN(k) : 0;
}

size_t ik_mlkem_ct_len(int k)
{
	return params_of(k) ? IK_MLKEM_CT_LEN(k) : 0;
}

/* ---- arithmetic mod q -------------------------------------------------- */

struct poly {
	uint16_t c[N];
};

/* a mod q for a < 2q, by a mask: no branch on a. */
static inline uint16_t csubq(uint32_t a)
{
	uint32_t r = a - Q;

	r += Q & (0u - (r >> 31));
	return (uint16_t)r;
}

/*
 * x mod q for any 32-bit x: t = floor(x * floor(2^43 / q) / 2^43) is
 * floor(x / q) or one less (the error is below x / 2^43 < 1), so
 * x - t q is in [0, 2q).
 */
static inline uint16_t reduce(uint32_t x)
{
	uint32_t t = (uint32_t)(((uint64_t)x * 2642262848u) >> 43);

	return csubq(x - t * Q);
}

static inline uint16_t fqadd(uint16_t a, uint16_t b)
{
	return csubq((uint32_t)a + b);
}

static inline uint16_t fqsub(uint16_t a, uint16_t b)
{
	return csubq((uint32_t)a + Q - b);
}

/*
 * Montgomery multiplication: a b 2^-16 mod q, in [0, q), for a b < 2^27.
 * t makes x + t q a multiple of 2^16 (qinv = -q^-1 mod 2^16); the sum is
 * below 2^32 and its quotient below 2q.  32-bit only, no 64-bit product.
 */
static inline uint16_t montmul(uint32_t a, uint32_t b)
{
	uint32_t x = a * b;
	uint32_t t = (x * 3327u) & 0xffff;

	return csubq((x + t * Q) >> 16);
}

/* z 2^16 mod q and z 2^32 mod q: montmul(a, M(z)) = a z mod q. */
#define M(z)	((uint16_t)(((uint32_t)(z) << 16) % Q))
#define M2(z)	M(M(z))

/* zeta^BitRev7(i) mod q, zeta = 17 (FIPS 203 4.3, appendix A). */
static const uint16_t zetas[128] = {
	M(1), M(1729), M(2580), M(3289), M(2642), M(630), M(1897), M(848),
	M(1062), M(1919), M(193), M(797), M(2786), M(3260), M(569), M(1746),
	M(296), M(2447), M(1339), M(1476), M(3046), M(56), M(2240), M(1333),
	M(1426), M(2094), M(535), M(2882), M(2393), M(2879), M(1974), M(821),
	M(289), M(331), M(3253), M(1756), M(1197), M(2304), M(2277), M(2055),
	M(650), M(1977), M(2513), M(632), M(2865), M(33), M(1320), M(1915),
	M(2319), M(1435), M(807), M(452), M(1438), M(2868), M(1534), M(2402),
	M(2647), M(2617), M(1481), M(648), M(2474), M(3110), M(1227), M(910),
	M(17), M(2761), M(583), M(2649), M(1637), M(723), M(2288), M(1100),
	M(1409), M(2662), M(3281), M(233), M(756), M(2156), M(3015), M(3050),
	M(1703), M(1651), M(2789), M(1789), M(1847), M(952), M(1461), M(2687),
	M(939), M(2308), M(2437), M(2388), M(733), M(2337), M(268), M(641),
	M(1584), M(2298), M(2037), M(3220), M(375), M(2549), M(2090), M(1645),
	M(1063), M(319), M(2773), M(757), M(2099), M(561), M(2466), M(2594),
	M(2804), M(1092), M(403), M(1026), M(1143), M(2150), M(2775), M(886),
	M(1722), M(1212), M(1874), M(1029), M(2110), M(2935), M(885), M(2154),
};

/*
 * zeta^(2 BitRev7(i) + 1) mod q: the moduli of BaseCaseMultiply, times
 * 2^32 for the two Montgomery multiplications that apply them.
 */
static const uint16_t gammas[128] = {
	M2(17), M2(3312), M2(2761), M2(568), M2(583), M2(2746), M2(2649),
	M2(680), M2(1637), M2(1692), M2(723), M2(2606), M2(2288), M2(1041),
	M2(1100), M2(2229), M2(1409), M2(1920), M2(2662), M2(667), M2(3281),
	M2(48), M2(233), M2(3096), M2(756), M2(2573), M2(2156), M2(1173),
	M2(3015), M2(314), M2(3050), M2(279), M2(1703), M2(1626), M2(1651),
	M2(1678), M2(2789), M2(540), M2(1789), M2(1540), M2(1847), M2(1482),
	M2(952), M2(2377), M2(1461), M2(1868), M2(2687), M2(642), M2(939),
	M2(2390), M2(2308), M2(1021), M2(2437), M2(892), M2(2388), M2(941),
	M2(733), M2(2596), M2(2337), M2(992), M2(268), M2(3061), M2(641),
	M2(2688), M2(1584), M2(1745), M2(2298), M2(1031), M2(2037), M2(1292),
	M2(3220), M2(109), M2(375), M2(2954), M2(2549), M2(780), M2(2090),
	M2(1239), M2(1645), M2(1684), M2(1063), M2(2266), M2(319), M2(3010),
	M2(2773), M2(556), M2(757), M2(2572), M2(2099), M2(1230), M2(561),
	M2(2768), M2(2466), M2(863), M2(2594), M2(735), M2(2804), M2(525),
	M2(1092), M2(2237), M2(403), M2(2926), M2(1026), M2(2303), M2(1143),
	M2(2186), M2(2150), M2(1179), M2(2775), M2(554), M2(886), M2(2443),
	M2(1722), M2(1607), M2(1212), M2(2117), M2(1874), M2(1455), M2(1029),
	M2(2300), M2(2110), M2(1219), M2(2935), M2(394), M2(885), M2(2444),
	M2(2154), M2(1175),
};

/*
 * Algorithm 9, NTT, in place.  The additions are left unreduced: each
 * layer adds less than q to the bound, so after seven coefficients are
 * below 8q (fits 16 bits, and montmul's 2^27) and are reduced once.
 */
static void ntt(struct poly *f)
{
	unsigned int len, start, j, i = 1;

	for (len = 128; len >= 2; len >>= 1) {
		for (start = 0; start < N; start += 2 * len) {
			uint16_t z = zetas[i++];

			for (j = start; j < start + len; j++) {
				uint16_t t = montmul(z, f->c[j + len]);

				f->c[j + len] = (uint16_t)(f->c[j] + Q - t);
				f->c[j] = (uint16_t)(f->c[j] + t);
			}
		}
	}
	for (j = 0; j < N; j++)
		f->c[j] = reduce(f->c[j]);
}

/* Algorithm 10, NTT^-1, in place; 3303 = 128^-1 mod q. */
static void invntt(struct poly *f)
{
	unsigned int len, start, j, i = 127;

	for (len = 2; len <= 128; len <<= 1) {
		for (start = 0; start < N; start += 2 * len) {
			uint16_t z = zetas[i--];

			for (j = start; j < start + len; j++) {
				uint16_t t = f->c[j], u = f->c[j + len];

				f->c[j] = fqadd(t, u);
				f->c[j + len] = montmul(z, (uint32_t)u + Q - t);
			}
		}
	}
	for (j = 0; j < N; j++)
		f->c[j] = montmul(f->c[j], M(3303));
}

/*
 * acc += a * b in the NTT domain (Algorithms 11 and 12), unreduced: each
 * call adds less than 2 q^2 per coefficient, so k <= 4 calls and a final
 * reduce() stay far below 2^32.
 */
static void basemul_acc(uint32_t acc[N], const struct poly *a,
			const struct poly *b)
{
	unsigned int i;

	for (i = 0; i < N / 2; i++) {
		uint32_t a0 = a->c[2 * i], a1 = a->c[2 * i + 1];
		uint32_t b0 = b->c[2 * i], b1 = b->c[2 * i + 1];

		acc[2 * i] += a0 * b0 + montmul(montmul(a1, b1), gammas[i]);
		acc[2 * i + 1] += a0 * b1 + a1 * b0;
	}
}

/* r = sum over j of a[j] * b[j] in the NTT domain, reduced. */
static void inner_product(struct poly *r, const struct poly *a,
			  const struct poly *b, int k)
{
	uint32_t acc[N] = { 0 };
	unsigned int i;
	int j;

	for (j = 0; j < k; j++)
		basemul_acc(acc, &a[j], &b[j]);
	for (i = 0; i < N; i++)
		r->c[i] = reduce(acc[i]);
	OPENSSL_cleanse(acc, sizeof(acc));
}

static void poly_add(struct poly *r, const struct poly *a)
{
	unsigned int i;

	for (i = 0; i < N; i++)
		r->c[i] = fqadd(r->c[i], a->c[i]);
}

/* ---- compression and encoding (FIPS 203 4.2.1) ------------------------- */

/*
 * Compress_d(x) = round(2^d x / q) mod 2^d = floor((2^(d+1) x + q) / 2q).
 * The numerator is below 2^24; multiplying by ceil(2^37 / 2q) and shifting
 * by 37 divides exactly for all n < 2^37 / 2q, no division instruction.
 */
static inline uint16_t compress(unsigned int d, uint16_t x)
{
	uint64_t n = ((uint64_t)x << (d + 1)) + Q;

	return (uint16_t)(((n * 20642679u) >> 37) & ((1u << d) - 1));
}

/* Decompress_d(y) = round(q y / 2^d), exactly. */
static inline uint16_t decompress(unsigned int d, uint16_t y)
{
	return (uint16_t)(((uint32_t)y * Q + (1u << (d - 1))) >> d);
}

uint16_t ik_mlkem_compress(unsigned int d, uint16_t x)
{
	return compress(d, x);
}

uint16_t ik_mlkem_decompress(unsigned int d, uint16_t y)
{
	return decompress(d, y);
}

/* Algorithm 5, ByteEncode_d, of one polynomial: 32 d bytes. */
static void byte_encode(uint8_t *out, const struct poly *f, unsigned int d)
{
	uint64_t acc = 0;
	unsigned int i, bits = 0;

	for (i = 0; i < N; i++) {
		acc |= (uint64_t)f->c[i] << bits;
		for (bits += d; bits >= 8; bits -= 8) {
			*out++ = (uint8_t)acc;
			acc >>= 8;
		}
	}
}

/* Algorithm 6, ByteDecode_d, without the reduction mod q for d = 12. */
static void byte_decode(struct poly *f, const uint8_t *in, unsigned int d)
{
	uint64_t acc = 0;
	unsigned int i, bits = 0;

	for (i = 0; i < N; i++) {
		for (; bits < d; bits += 8)
			acc |= (uint64_t)*in++ << bits;
		f->c[i] = (uint16_t)(acc & ((1u << d) - 1));
		acc >>= d;
		bits -= d;
	}
}

/* ByteDecode12 with its reduction mod q (values up to 4095 < 2q). */
static void decode12(struct poly *f, const uint8_t *in)
{
	unsigned int i;

	byte_decode(f, in, 12);
	for (i = 0; i < N; i++)
		f->c[i] = csubq(f->c[i]);
}

static void encode_vec(uint8_t *out, const struct poly *v, int k,
		       unsigned int d)
{
	int i;

	for (i = 0; i < k; i++)
		byte_encode(out + 32 * d * i, &v[i], d);
}

static void decode12_vec(struct poly *v, const uint8_t *in, int k)
{
	int i;

	for (i = 0; i < k; i++)
		decode12(&v[i], in + 384 * i);
}

/* ---- tracing, for the intermediate-value tests ------------------------- */

static ik_mlkem_trace_fn *trace_fn;
static void *trace_arg;

void ik_mlkem_set_trace(ik_mlkem_trace_fn *fn, void *arg)
{
	trace_fn = fn;
	trace_arg = arg;
}

static void trace(const char *name, const uint8_t *p, size_t len)
{
	if (trace_fn)
		trace_fn(trace_arg, name, p, len);
}

/* n polynomials as ByteEncode12 (their coefficients are below 2^12). */
static void trace_polys(const char *name, const struct poly *v, int n)
{
	uint8_t buf[KMAX * KMAX * 384];

	if (!trace_fn)
		return;
	encode_vec(buf, v, n, 12);
	trace_fn(trace_arg, name, buf, 384 * (size_t)n);
}

/* ---- sampling (FIPS 203 4.2.2) ----------------------------------------- */

/*
 * Algorithm 7, SampleNTT(rho | x | y): rejection sampling from SHAKE-128,
 * a block of 168 bytes (56 pairs of 12-bit candidates) at a time.  Rho is
 * public: the branches here reveal nothing.
 */
static void sample_ntt(struct poly *f, const uint8_t rho[32], uint8_t x,
		       uint8_t y)
{
	uint8_t xy[2] = { x, y }, buf[168];
	struct ik_keccak c;
	unsigned int n = 0, b;

	ik_shake_init(&c, 128);
	keccak_absorb(&c, rho, 32);
	keccak_absorb(&c, xy, 2);
	keccak_finish(&c, 0x1f);
	while (n < N) {
		keccak_squeeze(&c, buf, sizeof(buf));
		for (b = 0; b < sizeof(buf) && n < N; b += 3) {
			uint16_t d1 = buf[b] | (uint16_t)(buf[b + 1] & 15) << 8;
			uint16_t d2 = buf[b + 1] >> 4 |
				      (uint16_t)buf[b + 2] << 4;

			if (d1 < Q)
				f->c[n++] = d1;
			if (d2 < Q && n < N)
				f->c[n++] = d2;
		}
	}
}

/*
 * A^[i][j] = SampleNTT(rho | j | i) (Algorithm 13), or its transpose
 * (Algorithm 14), row-major in a[k * i + j].
 */
static void gen_matrix(struct poly *a, const uint8_t rho[32], int k,
		       bool transpose)
{
	int i, j;

	for (i = 0; i < k; i++)
		for (j = 0; j < k; j++)
			sample_ntt(&a[k * i + j], rho, transpose ? i : j,
				   transpose ? j : i);
}

/*
 * Algorithm 8, SamplePolyCBD_eta, eta 2 or 3, on 64 eta bytes: each
 * coefficient is (sum of eta bits) - (sum of the next eta bits), the sums
 * taken for all coefficients of a word at once.
 */
static void sample_cbd(struct poly *f, const uint8_t *b, unsigned int eta)
{
	unsigned int i, j;

	if (eta == 2) {
		for (i = 0; i < N / 8; i++) {
			uint32_t t = b[4 * i] | (uint32_t)b[4 * i + 1] << 8 |
				     (uint32_t)b[4 * i + 2] << 16 |
				     (uint32_t)b[4 * i + 3] << 24;
			uint32_t s = (t & 0x55555555) + (t >> 1 & 0x55555555);

			for (j = 0; j < 8; j++)
				f->c[8 * i + j] = csubq(
					(s >> 4 * j & 3) + Q -
					(s >> (4 * j + 2) & 3));
		}
		return;
	}
	for (i = 0; i < N / 4; i++) {
		uint32_t t = b[3 * i] | (uint32_t)b[3 * i + 1] << 8 |
			     (uint32_t)b[3 * i + 2] << 16;
		uint32_t s = (t & 0x249249) + (t >> 1 & 0x249249) +
			     (t >> 2 & 0x249249);

		for (j = 0; j < 4; j++)
			f->c[4 * i + j] = csubq((s >> 6 * j & 7) + Q -
						(s >> (6 * j + 3) & 7));
	}
}

/* SamplePolyCBD_eta(PRF_eta(seed, n)) for n = *nonce, then *nonce + 1 .. */
static void sample_noise(struct poly *v, int count, const uint8_t seed[32],
			 uint8_t *nonce, unsigned int eta)
{
	uint8_t buf[64 * 3];
	int i;

	for (i = 0; i < count; i++) {
		shake256(seed, 32, nonce, 1, buf, 64 * eta);
		sample_cbd(&v[i], buf, eta);
		(*nonce)++;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
}

/* ---- K-PKE (FIPS 203 5) ------------------------------------------------ */

/*
 * Algorithm 13, K-PKE.KeyGen(d): ek (384 k + 32 bytes), dk (384 k).
 * draft: (rho, sigma) = G(d) as in the initial public draft of FIPS 203,
 * not G(d | k), for the test vectors made for it.
 */
static void kpke_keygen(const struct params *p, const uint8_t d[32],
			bool draft, uint8_t *ek, uint8_t *dk)
{
	struct poly a[KMAX * KMAX], s[KMAX], e[KMAX], t[KMAX] = { 0 };
	uint8_t dk1[33], g[64];
	const uint8_t *rho = g, *sigma = g + 32;
	uint8_t nonce = 0;
	int k = p->k, i;

	memcpy(dk1, d, 32);
	dk1[32] = (uint8_t)k;
	sha3(dk1, draft ? 32 : 33, NULL, 0, g, 64);
	declassify(g, 32);		/* rho goes out in ek */
	trace("ρ", rho, 32);
	trace("σ", sigma, 32);
	gen_matrix(a, rho, k, false);
	trace_polys("A[0, 0]", a, 1);
	trace_polys("A", a, k * k);
	sample_noise(s, k, sigma, &nonce, p->eta1);
	sample_noise(e, k, sigma, &nonce, p->eta1);
	trace_polys("s[0]", s, 1);
	trace_polys("s", s, k);
	trace_polys("e", e, k);
	for (i = 0; i < k; i++) {
		ntt(&s[i]);
		ntt(&e[i]);
	}
	trace_polys("NTT(s[0])", s, 1);
	trace_polys("dkPKE", s, k);
	trace_polys("NTT(e)", e, k);
	for (i = 0; i < k; i++) {
		inner_product(&t[i], &a[k * i], s, k);
		poly_add(&t[i], &e[i]);
	}
	trace_polys("t", t, k);
	encode_vec(ek, t, k, 12);
	memcpy(ek + 384 * k, rho, 32);
	encode_vec(dk, s, k, 12);
	OPENSSL_cleanse(s, sizeof(s));
	OPENSSL_cleanse(e, sizeof(e));
	OPENSSL_cleanse(dk1, sizeof(dk1));
	OPENSSL_cleanse(g, sizeof(g));
}

/*
 * Algorithm 14, K-PKE.Encrypt(ek, m, r) into ct.  ek has passed the
 * checks of 7.2 (encapsulation) or 7.3 (decapsulation).
 */
static void kpke_encrypt(const struct params *p, const uint8_t *ek,
			 const uint8_t m[32], const uint8_t r[32], uint8_t *ct)
{
	struct poly at[KMAX * KMAX], t[KMAX], y[KMAX], e1[KMAX], u[KMAX];
	struct poly e2, mu, v;
	uint8_t nonce = 0;
	int k = p->k, i;
	unsigned int j;

	decode12_vec(t, ek, k);
	gen_matrix(at, ek + 384 * k, k, true);
	sample_noise(y, k, r, &nonce, p->eta1);
	sample_noise(e1, k, r, &nonce, p->eta2);
	sample_noise(&e2, 1, r, &nonce, p->eta2);
	/* Decompress_1(ByteDecode_1(m)): 0 or (q + 1) / 2, by a mask */
	for (j = 0; j < N; j++)
		mu.c[j] = (uint16_t)((0u - (m[j / 8] >> (j % 8) & 1)) &
				     ((Q + 1) / 2));
	trace_polys("μ", &mu, 1);
	trace_polys("A^T", at, k * k);
	trace_polys("r", y, k);
	trace_polys("e1", e1, k);
	trace_polys("e2", &e2, 1);
	for (i = 0; i < k; i++)
		ntt(&y[i]);
	trace_polys("NTT(r)", y, k);
	for (i = 0; i < k; i++) {
		inner_product(&u[i], &at[k * i], y, k);
		invntt(&u[i]);
		poly_add(&u[i], &e1[i]);
	}
	inner_product(&v, t, y, k);
	invntt(&v);
	poly_add(&v, &e2);
	poly_add(&v, &mu);
	trace_polys("u", u, k);
	trace_polys("u[0]", u, 1);
	trace_polys("v", &v, 1);
	for (i = 0; i < k; i++)
		for (j = 0; j < N; j++)
			u[i].c[j] = compress(p->du, u[i].c[j]);
	for (j = 0; j < N; j++)
		v.c[j] = compress(p->dv, v.c[j]);
	trace_polys("compress(u[0])", u, 1);
	trace_polys("compress(v)", &v, 1);
	encode_vec(ct, u, k, p->du);
	byte_encode(ct + 32 * p->du * k, &v, p->dv);
	trace("c1", ct, 32 * p->du * k);
	trace("c2", ct + 32 * p->du * k, 32 * p->dv);
	OPENSSL_cleanse(y, sizeof(y));
	OPENSSL_cleanse(e1, sizeof(e1));
	OPENSSL_cleanse(u, sizeof(u));
	OPENSSL_cleanse(&e2, sizeof(e2));
	OPENSSL_cleanse(&mu, sizeof(mu));
	OPENSSL_cleanse(&v, sizeof(v));
}

/* Algorithm 15, K-PKE.Decrypt(dk, c) into m. */
static void kpke_decrypt(const struct params *p, const uint8_t *dk,
			 const uint8_t *ct, uint8_t m[32])
{
	struct poly s[KMAX], u[KMAX], v, w;
	int k = p->k, i;
	unsigned int j;

	for (i = 0; i < k; i++) {
		byte_decode(&u[i], ct + 32 * p->du * i, p->du);
		for (j = 0; j < N; j++)
			u[i].c[j] = decompress(p->du, u[i].c[j]);
	}
	byte_decode(&v, ct + 32 * p->du * k, p->dv);
	for (j = 0; j < N; j++)
		v.c[j] = decompress(p->dv, v.c[j]);
	trace_polys("uᵈ", u, k);
	trace_polys("vᵈ", &v, 1);
	decode12_vec(s, dk, k);
	for (i = 0; i < k; i++)
		ntt(&u[i]);
	trace_polys("NTT(uᵈ)", u, k);
	inner_product(&w, s, u, k);
	invntt(&w);
	for (j = 0; j < N; j++)
		w.c[j] = fqsub(v.c[j], w.c[j]);
	trace_polys("w", &w, 1);
	memset(m, 0, 32);
	for (j = 0; j < N; j++)
		m[j / 8] |= (uint8_t)(compress(1, w.c[j]) << (j % 8));
	OPENSSL_cleanse(s, sizeof(s));
	OPENSSL_cleanse(&w, sizeof(w));
}

/* ---- ML-KEM (FIPS 203 6 and 7) ----------------------------------------- */

/* Algorithm 16, ML-KEM.KeyGen_internal(d, z). */
static int keygen(int k, const uint8_t d[32], const uint8_t z[32],
		  bool draft, uint8_t *ek, uint8_t *dk)
{
	const struct params *p = params_of(k);
	size_t eklen = IK_MLKEM_EK_LEN(k);

	if (!p || !d || !z || !ek || !dk)
		return -1;
	trace("d", d, 32);
	kpke_keygen(p, d, draft, ek, dk);
	memcpy(dk + 384 * k, ek, eklen);
	sha3(ek, eklen, NULL, 0, dk + 384 * k + eklen, 32);
	memcpy(dk + 384 * k + eklen + 32, z, 32);
	trace("ek", ek, eklen);
	trace("z", z, 32);
	trace("H(ek)", dk + 384 * k + eklen, 32);
	trace("dk", dk, IK_MLKEM_DK_LEN(k));
	return 0;
}

int ik_mlkem_keygen_derand(int k, const uint8_t d[32], const uint8_t z[32],
			   uint8_t *ek, uint8_t *dk)
{
	return keygen(k, d, z, false, ek, dk);
}

int ik_mlkem_keygen_derand_draft(int k, const uint8_t d[32],
				 const uint8_t z[32], uint8_t *ek, uint8_t *dk)
{
	return keygen(k, d, z, true, ek, dk);
}

/* Algorithm 19, ML-KEM.KeyGen. */
int ik_mlkem_keygen(int k, uint8_t *ek, uint8_t *dk)
{
	uint8_t dz[64];
	int rc = -1;

	if (params_of(k) && ik_random(dz, sizeof(dz)) == 0)
		rc = ik_mlkem_keygen_derand(k, dz, dz + 32, ek, dk);
	OPENSSL_cleanse(dz, sizeof(dz));
	return rc;
}

int ik_mlkem_check_ek(int k, const uint8_t *ek, size_t ek_len)
{
	struct poly t;
	uint32_t bad = 0;
	unsigned int j;
	int i;

	if (!params_of(k) || !ek || ek_len != IK_MLKEM_EK_LEN(k))
		return -1;
	/* ByteEncode12(ByteDecode12(ek)) == ek iff no value is >= q */
	for (i = 0; i < k; i++) {
		byte_decode(&t, ek + 384 * i, 12);
		for (j = 0; j < N; j++)
			bad |= (uint32_t)(Q - 1 - t.c[j]) >> 31;
	}
	return bad ? -1 : 0;
}

/* Algorithm 17, ML-KEM.Encaps_internal(ek, m), after the 7.2 checks. */
int ik_mlkem_encaps_derand(int k, const uint8_t *ek, size_t ek_len,
			   const uint8_t m[32], uint8_t K[32], uint8_t *ct)
{
	const struct params *p = params_of(k);
	uint8_t h[32], g[64];

	if (!m || !K || !ct)
		return -1;
	if (ik_mlkem_check_ek(k, ek, ek_len) < 0) {
		memset(K, 0, 32);
		memset(ct, 0, ik_mlkem_ct_len(k));
		return -1;
	}
	sha3(ek, ek_len, NULL, 0, h, 32);
	sha3(m, 32, h, 32, g, 64);
	trace("m", m, 32);
	trace("K", g, 32);
	trace("r", g + 32, 32);
	kpke_encrypt(p, ek, m, g + 32, ct);
	trace("c", ct, IK_MLKEM_CT_LEN(k));
	memcpy(K, g, 32);
	OPENSSL_cleanse(g, sizeof(g));
	return 0;
}

/* Algorithm 20, ML-KEM.Encaps. */
int ik_mlkem_encaps(int k, const uint8_t *ek, size_t ek_len, uint8_t K[32],
		    uint8_t *ct)
{
	uint8_t m[32];
	int rc = -1;

	if (ik_random(m, sizeof(m)) == 0)
		rc = ik_mlkem_encaps_derand(k, ek, ek_len, m, K, ct);
	OPENSSL_cleanse(m, sizeof(m));
	return rc;
}

/* All-ones if a and b (len bytes) are equal, else 0; reads both whole. */
static uint8_t ct_equal_mask(const uint8_t *a, const uint8_t *b, size_t len)
{
	uint32_t diff = 0;
	size_t i;

	for (i = 0; i < len; i++)
		diff |= a[i] ^ b[i];
	/* diff - 1 has bit 31 set only for diff == 0 */
	diff = (diff - 1) >> 31;
#if defined(__GNUC__)
	/* keep the compiler from turning the select below into a branch */
	__asm__("" : "+r"(diff));
#endif
	return (uint8_t)(0u - diff);
}

/*
 * Algorithm 18, ML-KEM.Decaps_internal, after the 7.3 checks of
 * Algorithm 21.
 */
int ik_mlkem_decaps(int k, const uint8_t *dk, size_t dk_len,
		    const uint8_t *ct, size_t ct_len, uint8_t K[32])
{
	const struct params *p = params_of(k);
	uint8_t m[32], g[64], kbar[32], h[32], ct2[IK_MLKEM_CT_MAX];
	const uint8_t *ek, *hek, *z;
	size_t eklen, i;
	uint8_t eq;

	if (!K)
		return -1;
	memset(K, 0, 32);
	if (!p || !dk || !ct || dk_len != IK_MLKEM_DK_LEN(k) ||
	    ct_len != IK_MLKEM_CT_LEN(k))
		return -1;
	eklen = IK_MLKEM_EK_LEN(k);
	ek = dk + 384 * k;
	hek = ek + eklen;
	z = hek + 32;
	declassify(ek, eklen + 32);	/* ek and H(ek) are public */
	/* 7.3, hash check: H(ek) in dk is the hash of the ek in dk */
	sha3(ek, eklen, NULL, 0, h, 32);
	if (CRYPTO_memcmp(h, hek, 32))
		return -1;
	kpke_decrypt(p, dk, ct, m);
	sha3(m, 32, hek, 32, g, 64);
	shake256(z, 32, ct, ct_len, kbar, 32);
	trace("KBar", kbar, 32);
	kpke_encrypt(p, ek, m, g + 32, ct2);
	eq = ct_equal_mask(ct, ct2, ct_len);
	for (i = 0; i < 32; i++)
		K[i] = (g[i] & eq) | (kbar[i] & (uint8_t)~eq);
	OPENSSL_cleanse(m, sizeof(m));
	OPENSSL_cleanse(g, sizeof(g));
	OPENSSL_cleanse(kbar, sizeof(kbar));
	OPENSSL_cleanse(ct2, sizeof(ct2));
	return 0;
}
