// SPDX-License-Identifier: GPL-2.0
/*
 * The C2SP accumulated ML-KEM vectors (../shared/vectors/README.md): N
 * tests per parameter set, inputs drawn from one SHAKE-128 stream, every
 * output absorbed into another SHAKE-128, whose first 32 bytes must be the
 * README's.  Built unsanitized at -O2 (make check-unit runs 10 000 tests
 * per set, make check-mlkem-slow 1 000 000): under ASan it would take
 * minutes.  The expected hashes are read from the README, not copied here.
 *
 * Those hashes were made, like the intermediate files, with the KeyGen of
 * FIPS 203's initial public draft ((rho, sigma) = G(d), not G(d | k)):
 * keys come from ik_mlkem_keygen_derand_draft().  Encapsulation and
 * decapsulation are the standard's; the standard's KeyGen is checked
 * against OpenSSL 3.5 by diff-openssl35.sh.
 *
 *   accumulated [TESTS]      TESTS: 10000 (default) or 1000000
 *
 * Prints KTAP, one line per parameter set; exits 1 if any differs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/mlkem.h"

static const char *const names[] = {
	[2] = "ML-KEM-512", [3] = "ML-KEM-768", [4] = "ML-KEM-1024",
};

/*
 * The expected hash for set k and n tests: in the README's table, the
 * row of the set, column 1 for 10 000 and 2 for 1 000 000.
 */
static int expected(const char *readme, int k, long n, char out[65])
{
	char line[512], want[64];
	FILE *f = fopen(readme, "r");
	int found = 0;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "| %s |", names[k]);
	while (!found && fgets(line, sizeof(line), f)) {
		char a[65], b[65];

		if (strncmp(line, want, strlen(want)))
			continue;
		if (sscanf(line + strlen(want), " %64s | %64s |", a, b) == 2) {
			snprintf(out, 65, "%s", n == 10000 ? a : b);
			found = 1;
		}
	}
	fclose(f);
	return found ? 0 : -1;
}

static void hex(const uint8_t *p, size_t len, char *out)
{
	size_t i;

	for (i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* The accumulated hash of n tests of set k, as hex; -1 on a mismatch. */
static int run(int k, long n, char out[65])
{
	static uint8_t ek[IK_MLKEM_EK_MAX], dk[IK_MLKEM_DK_MAX];
	static uint8_t ct[IK_MLKEM_CT_MAX], bad[IK_MLKEM_CT_MAX];
	size_t ekl = ik_mlkem_ek_len(k), dkl = ik_mlkem_dk_len(k),
	       ctl = ik_mlkem_ct_len(k);
	uint8_t d[32], z[32], m[32], K[32], K2[32], Kbad[32], h[32];
	struct ik_keccak rng, acc;
	long i;

	ik_shake_init(&rng, 128);
	ik_shake_init(&acc, 128);
	for (i = 0; i < n; i++) {
		ik_shake_squeeze(&rng, d, 32);
		ik_shake_squeeze(&rng, z, 32);
		ik_shake_squeeze(&rng, m, 32);
		ik_shake_squeeze(&rng, bad, ctl);
		if (ik_mlkem_keygen_derand_draft(k, d, z, ek, dk) ||
		    ik_mlkem_encaps_derand(k, ek, ekl, m, K, ct) ||
		    ik_mlkem_decaps(k, dk, dkl, ct, ctl, K2) ||
		    memcmp(K, K2, 32) ||
		    ik_mlkem_decaps(k, dk, dkl, bad, ctl, Kbad)) {
			printf("# %s: test %ld failed\n", names[k], i);
			return -1;
		}
		ik_shake_absorb(&acc, ek, ekl);
		ik_shake_absorb(&acc, dk, dkl);
		ik_shake_absorb(&acc, ct, ctl);
		ik_shake_absorb(&acc, K, 32);
		ik_shake_absorb(&acc, Kbad, 32);
	}
	ik_shake_squeeze(&acc, h, 32);
	hex(h, 32, out);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = getenv("IKETCP_VECTORS");
	long n = argc > 1 ? atol(argv[1]) : 10000;
	char readme[512], want[65], got[65];
	int k, failed = 0;

	if (n != 10000 && n != 1000000) {
		fprintf(stderr, "usage: accumulated [10000|1000000]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);	/* each set as it ends */
	snprintf(readme, sizeof(readme), "%s/README.md",
		 dir ? dir : "../shared/vectors");
	printf("TAP version 13\n1..3\n");
	for (k = 2; k <= 4; k++) {
		clock_t t0 = clock();
		bool ok;

		if (expected(readme, k, n, want) < 0) {
			printf("not ok %d mlkem_accumulated_%ld_%s # no hash in %s\n",
			       k - 1, n, names[k], readme);
			failed++;
			continue;
		}
		ok = run(k, n, got) == 0 && !strcmp(got, want);
		printf("# %s, %ld tests: %s (want %s), %.1f s\n", names[k], n,
		       got, want, (double)(clock() - t0) / CLOCKS_PER_SEC);
		printf("%sok %d mlkem_accumulated_%ld_%s\n", ok ? "" : "not ",
		       k - 1, n, names[k]);
		failed += !ok;
	}
	return failed ? 1 : 0;
}
