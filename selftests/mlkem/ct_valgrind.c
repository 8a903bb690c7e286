// SPDX-License-Identifier: GPL-2.0
/*
 * The constant-time proof of user/crypto/mlkem.c, run under valgrind
 * memcheck by ct-valgrind.sh.  The secret inputs (d, z, m, dk) are marked
 * undefined; memcheck then reports every conditional jump and every memory
 * address that depends on them.  mlkem.c is built with -DIK_MLKEM_VALGRIND,
 * which declares public what FIPS 203 makes public (rho, and the ek and
 * H(ek) stored in dk); outputs that leave the party (ek, ct) are declared
 * public here before the next step uses them.  Zero errors is the proof.
 *
 *   ct_valgrind           keygen, encaps, decaps (valid and tampered
 *                         ciphertext) of ML-KEM-512, -768, -1024
 *   ct_valgrind canary    a deliberate branch on a secret: memcheck must
 *                         report it, or the proof above proves nothing
 */
#include <stdio.h>
#include <string.h>

#include <valgrind/memcheck.h>

#include "crypto/mlkem.h"

#define secret(p, n)	VALGRIND_MAKE_MEM_UNDEFINED(p, n)
#define public(p, n)	VALGRIND_MAKE_MEM_DEFINED(p, n)

static int one_set(int k)
{
	static uint8_t ek[IK_MLKEM_EK_MAX], dk[IK_MLKEM_DK_MAX];
	static uint8_t ct[IK_MLKEM_CT_MAX];
	uint8_t d[32], z[32], m[32], K[32], K2[32], K3[32];
	size_t ekl = ik_mlkem_ek_len(k), dkl = ik_mlkem_dk_len(k),
	       ctl = ik_mlkem_ct_len(k);
	int rc = 0, i;

	for (i = 0; i < 32; i++) {
		d[i] = (uint8_t)(i * 3 + k);
		z[i] = (uint8_t)(i * 5 + k);
		m[i] = (uint8_t)(i * 7 + k);
	}
	secret(d, 32);
	secret(z, 32);
	secret(m, 32);
	rc |= ik_mlkem_keygen_derand(k, d, z, ek, dk);
	public(ek, ekl);		/* sent to the peer */
	secret(dk, dkl);		/* all of it, ek part too */
	rc |= ik_mlkem_encaps_derand(k, ek, ekl, m, K, ct);
	public(ct, ctl);		/* sent to the peer */
	rc |= ik_mlkem_decaps(k, dk, dkl, ct, ctl, K2);
	ct[ctl - 1] ^= 1;		/* implicit rejection, same path */
	rc |= ik_mlkem_decaps(k, dk, dkl, ct, ctl, K3);
	/* the test's own verdict looks at the secrets: declare them */
	public(K, 32);
	public(K2, 32);
	public(K3, 32);
	if (memcmp(K, K2, 32) || !memcmp(K, K3, 32))
		rc = -1;
	printf("# ML-KEM-%d: keygen, encaps, decaps %s\n",
	       k == 2 ? 512 : k == 3 ? 768 : 1024, rc ? "FAILED" : "agree");
	return rc;
}

/* Two different calls: no compiler turns their choice into a select. */
__attribute__((noinline)) static void odd(void)
{
	printf("# canary: odd\n");
}

__attribute__((noinline)) static void even(void)
{
	printf("# canary: even\n");
}

int main(int argc, char **argv)
{
	int rc = 0, k;

	if (argc > 1 && !strcmp(argv[1], "canary")) {
		uint8_t s[32] = { 1 };

		secret(s, sizeof(s));
		if (s[0] & 1)		/* the branch memcheck must see */
			odd();
		else
			even();
		return 0;
	}
	for (k = 2; k <= 4; k++)
		rc |= one_set(k);
	return rc ? 1 : 0;
}
