// SPDX-License-Identifier: GPL-2.0
/*
 * Key exchange cost through the helper's own interface (user/crypto/kex.c),
 * on the host: ML-KEM-768 key generation, encapsulation and decapsulation
 * beside X25519 key generation and derivation, with the project's ML-KEM
 * and with libcrypto's where it has one (OpenSSL >= 3.5).  Issue 21's
 * target: the project's ML-KEM-768 round no slower than X25519's.
 *
 * A round is one whole exchange, both sides: for ML-KEM the initiator's
 * key pair and ek, the responder's encapsulation and ciphertext, the
 * initiator's decapsulation; for X25519 two key pairs, two public values,
 * two derivations.  Each step is timed on its own, ROUNDS times after a
 * warm-up, the methods taking turns; the table gives medians in
 * microseconds.
 *
 *   kex_bench [ROUNDS] > kex.md     (default 2000)
 *
 * Writes a Markdown table on stdout and, with KEX_BENCH_CSV=path, the same
 * rows as CSV.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "crypto/crypto.h"
#include "crypto/mlkem.h"
#include "ike/wire.h"

#define WARMUP	100
#define OPS	4		/* per row: keygen, encaps/derive, decaps, round */

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * One exchange of group g; t[0..2] get the time of its three steps:
 * ML-KEM: keygen+ek, encaps+ct, decaps.  X25519: both key pairs and
 * public values, the responder's derivation, the initiator's.
 */
static int exchange(uint16_t g, double t[3])
{
	static uint8_t pi[IK_KEX_MAX], pr[IK_KEX_MAX];
	uint8_t si[IK_SECRET_MAX], sr[IK_SECRET_MAX];
	struct ik_kex *i, *r;
	int li, lr, ok;
	double t0;

	t0 = now_us();
	i = ik_kex_new(g);
	li = i ? ik_kex_public(i, pi, sizeof(pi)) : -1;
	r = ik_kex_new_responder(g);
	if (g == IKE_KE_X25519)		/* a key pair on each side */
		lr = r ? ik_kex_public(r, pr, sizeof(pr)) : -1;
	t[0] = now_us() - t0;
	t0 = now_us();
	ok = li > 0 && r && ik_kex_shared(r, pi, (size_t)li, sr, sizeof(sr)) > 0;
	if (g != IKE_KE_X25519)		/* the ciphertext */
		lr = ok ? ik_kex_public(r, pr, sizeof(pr)) : -1;
	t[1] = now_us() - t0;
	t0 = now_us();
	ok = ok && lr > 0 &&
	     ik_kex_shared(i, pr, (size_t)lr, si, sizeof(si)) > 0 &&
	     !memcmp(si, sr, 32);
	t[2] = now_us() - t0;
	ik_kex_free(i);
	ik_kex_free(r);
	return ok ? 0 : -1;
}

struct row {
	const char *what, *impl;
	uint16_t group;
	enum ik_mlkem_impl sel;
	double *v[OPS];		/* samples, then op[] their medians */
	double op[OPS];
};

/*
 * All rows, round by round, interleaved: a load that comes and goes on
 * the host then slows every row alike instead of the one it falls on.
 */
static int measure(struct row *rows, int nrows, int rounds)
{
	double t[3];
	int n, r, j;

	for (r = 0; r < nrows; r++)
		for (j = 0; j < OPS; j++)
			rows[r].v[j] = calloc((size_t)rounds, sizeof(double));
	for (n = -WARMUP; n < rounds; n++) {
		for (r = 0; r < nrows; r++) {
			ik_mlkem_select(rows[r].sel);
			if (exchange(rows[r].group, t) < 0) {
				fprintf(stderr, "kex_bench: %s (%s) failed\n",
					rows[r].what, rows[r].impl);
				return -1;
			}
			if (n < 0)
				continue;
			for (j = 0; j < 3; j++)
				rows[r].v[j][n] = t[j];
			rows[r].v[3][n] = t[0] + t[1] + t[2];
		}
	}
	for (r = 0; r < nrows; r++)
		for (j = 0; j < OPS; j++) {
			rows[r].op[j] = median(rows[r].v[j], rounds);
			free(rows[r].v[j]);
		}
	ik_mlkem_select(IK_MLKEM_AUTO);
	return 0;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 2000, n = 0, i, rc;
	const char *csv = getenv("KEX_BENCH_CSV");
	struct row rows[3];
	FILE *f;

	if (rounds < 1)
		return 2;
	rows[n++] = (struct row){ .what = "ML-KEM-768", .impl = "iketcp",
				  .group = IKE_KE_MLKEM768,
				  .sel = IK_MLKEM_OWN };
	if (ik_mlkem_evp_available())
		rows[n++] = (struct row){ .what = "ML-KEM-768",
					  .impl = "libcrypto",
					  .group = IKE_KE_MLKEM768,
					  .sel = IK_MLKEM_LIBCRYPTO };
	rows[n++] = (struct row){ .what = "X25519", .impl = "libcrypto",
				  .group = IKE_KE_X25519,
				  .sel = IK_MLKEM_AUTO };
	rc = measure(rows, n, rounds);

	printf("## Key exchange cost (issue 21)\n\n");
	printf("Host, %s, median of %d exchanges through ik_kex (user/crypto/kex.c), "
	       "microseconds.\n", OpenSSL_version(OPENSSL_VERSION), rounds);
	printf("ML-KEM: keygen = key pair + ek, encaps = encapsulation + "
	       "ciphertext, decaps.\n");
	printf("X25519: keygen = both key pairs + public values, then each "
	       "side's derivation.\n\n");
	printf("| method | implementation | keygen | encaps / derive (resp) | "
	       "decaps / derive (init) | round | round / X25519 |\n");
	printf("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
	for (i = 0; i < n; i++)
		printf("| %s | %s | %.1f | %.1f | %.1f | %.1f | %.2f |\n",
		       rows[i].what, rows[i].impl, rows[i].op[0],
		       rows[i].op[1], rows[i].op[2], rows[i].op[3],
		       rows[i].op[3] / rows[n - 1].op[3]);
	printf("\nTarget: the project's ML-KEM-768 round no slower than "
	       "X25519's: %s.\n",
	       rows[0].op[3] <= rows[n - 1].op[3] ? "met" : "missed");
	f = csv ? fopen(csv, "w") : NULL;
	if (f) {
		fprintf(f, "method,impl,keygen_us,encaps_us,decaps_us,round_us\n");
		for (i = 0; i < n; i++)
			fprintf(f, "%s,%s,%.1f,%.1f,%.1f,%.1f\n", rows[i].what,
				rows[i].impl, rows[i].op[0], rows[i].op[1],
				rows[i].op[2], rows[i].op[3]);
		fclose(f);
	}
	return rc ? 1 : 0;
}
