// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for ML-KEM (user/crypto/mlkem.c) through the key
 * exchange interface (user/crypto/kex.c), where a peer's bytes arrive.
 * The first input byte picks the case and the group (35, 36, 37); the rest
 * is the peer's value:
 *
 *   0  the responder side: the bytes as the initiator's encapsulation key
 *      (ik_kex_new_responder + ik_kex_shared): refused (-1) unless the
 *      length is right and every coefficient is below q; then the
 *      ciphertext has the length ik_kex_peer_len(group, true) says
 *   1  the initiator side: the bytes as the responder's ciphertext
 *      (ik_kex_new + ik_kex_shared): refused unless the length is right,
 *      else a 32-byte secret (implicit rejection: never an error)
 *   2  ik_mlkem_decaps() with the bytes as dk | ct, H(ek) in dk made to
 *      match so that decryption runs with an arbitrary s^ and ct
 *   3  ik_mlkem_check_ek() and ik_mlkem_encaps() agree on the bytes as ek
 *
 * Short inputs are padded with zeros to the case's length when the second
 * byte is odd, so each case is reached without the fuzzer guessing sizes.
 * Built with the project's implementation (never libcrypto's).
 *
 *   make fuzz FUZZ_SECONDS=30      (target mlkem; seeds: corpus-mlkem)
 *
 * The seeds are written by this file built without libFuzzer:
 *
 *   cc -std=c11 -D_GNU_SOURCE -DFUZZ_MLKEM_WRITE_SEEDS -Iinclude -Iuser \
 *	-o /tmp/mlkem_seeds selftests/fuzz/fuzz_mlkem.c user/crypto/kex.c \
 *	user/crypto/mlkem.c user/crypto/mlkem_evp.c user/crypto/rand.c \
 *	-lcrypto
 *   /tmp/mlkem_seeds selftests/fuzz/corpus-mlkem
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/mlkem.h"
#include "ike/wire.h"

static const uint16_t groups[] = {
	IKE_KE_MLKEM512, IKE_KE_MLKEM768, IKE_KE_MLKEM1024
};

static void fail(const char *why)
{
	fprintf(stderr, "fuzz_mlkem: %s\n", why);
	abort();
}

static void as_ek(uint16_t g, const uint8_t *p, size_t len)
{
	struct ik_kex *r = ik_kex_new_responder(g);
	uint8_t s[64], ct[IK_KEX_MAX];
	int n, c;

	if (!r)
		fail("no responder");
	n = ik_kex_shared(r, p, len, s, sizeof(s));
	c = ik_kex_public(r, ct, sizeof(ct));
	if (n < 0 && c != -1)
		fail("a ciphertext for a refused key");
	if (n >= 0 && (n != 32 || len != ik_kex_peer_len(g, false) ||
		       c != (int)ik_kex_peer_len(g, true)))
		fail("wrong lengths for an accepted key");
	if (n >= 0 && ik_mlkem_check_ek(g - 33, p, len) < 0)
		fail("a key that fails 7.2 was accepted");
	ik_kex_free(r);
}

static void as_ct(uint16_t g, const uint8_t *p, size_t len)
{
	struct ik_kex *i = ik_kex_new(g);
	uint8_t s[64];
	int n;

	if (!i)
		fail("no initiator");
	n = ik_kex_shared(i, p, len, s, sizeof(s));
	if ((len == ik_kex_peer_len(g, true)) != (n == 32))
		fail("a ciphertext's fate is not its length's");
	ik_kex_free(i);
}

static void as_dk_ct(int k, const uint8_t *p, size_t len)
{
	size_t dkl = ik_mlkem_dk_len(k), ctl = ik_mlkem_ct_len(k);
	uint8_t *dk, K[32];

	if (len < dkl)
		return;
	dk = malloc(dkl);
	memcpy(dk, p, dkl);
	/* H(ek) of the ek in dk: past the hash check, into decryption */
	ik_sha3_256(dk + 384 * k, ik_mlkem_ek_len(k), dk + 768 * k + 32);
	if ((ik_mlkem_decaps(k, dk, dkl, p + dkl, len - dkl, K) == 0) !=
	    (len - dkl == ctl))
		fail("decaps and the ciphertext length disagree");
	free(dk);
}

static void as_raw_ek(int k, const uint8_t *p, size_t len)
{
	uint8_t K[32], ct[IK_MLKEM_CT_MAX];

	if ((ik_mlkem_check_ek(k, p, len) == 0) !=
	    (ik_mlkem_encaps(k, p, len, K, ct) == 0))
		fail("check_ek and encaps disagree");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[IK_MLKEM_DK_MAX + IK_MLKEM_CT_MAX + 1];
	uint16_t g;
	size_t len, want[4];
	int mode, k;

	if (size < 2)
		return 0;
	ik_mlkem_select(IK_MLKEM_OWN);
	mode = data[0] & 3;
	g = groups[(data[0] >> 2) % 3];
	k = g - 33;
	len = size - 2;
	if (len > sizeof(buf))
		return 0;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, data + 2, len);
	want[0] = ik_mlkem_ek_len(k);
	want[1] = ik_mlkem_ct_len(k);
	want[2] = ik_mlkem_dk_len(k) + ik_mlkem_ct_len(k);
	want[3] = ik_mlkem_ek_len(k);
	if ((data[1] & 1) && len < want[mode])
		len = want[mode];
	switch (mode) {
	case 0:
		as_ek(g, buf, len);
		break;
	case 1:
		as_ct(g, buf, len);
		break;
	case 2:
		as_dk_ct(k, buf, len);
		break;
	default:
		as_raw_ek(k, buf, len);
	}
	return 0;
}

#ifdef FUZZ_MLKEM_WRITE_SEEDS
static void put(const char *dir, const char *name, uint8_t mode, uint8_t pad,
		const uint8_t *p, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fputc(mode, f) == EOF || fputc(pad, f) == EOF ||
	    fwrite(p, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* Valid values per set: an ek, a ciphertext, dk | ct. */
int main(int argc, char **argv)
{
	static uint8_t ek[IK_MLKEM_EK_MAX], dkct[IK_MLKEM_DK_MAX +
						 IK_MLKEM_CT_MAX];
	uint8_t K[32], name[64];
	int k;

	if (argc != 2)
		return 2;
	for (k = 2; k <= 4; k++) {
		size_t ekl = ik_mlkem_ek_len(k), dkl = ik_mlkem_dk_len(k),
		       ctl = ik_mlkem_ct_len(k);
		uint8_t sel = (uint8_t)((k - 2) << 2);

		if (ik_mlkem_keygen(k, ek, dkct) ||
		    ik_mlkem_encaps(k, ek, ekl, K, dkct + dkl))
			return 1;
		snprintf((char *)name, sizeof(name), "ek-%d", k);
		put(argv[1], (char *)name, sel | 0, 0, ek, ekl);
		snprintf((char *)name, sizeof(name), "ct-%d", k);
		put(argv[1], (char *)name, sel | 1, 0, dkct + dkl, ctl);
		snprintf((char *)name, sizeof(name), "dkct-%d", k);
		put(argv[1], (char *)name, sel | 2, 1, dkct, dkl + ctl);
		snprintf((char *)name, sizeof(name), "rawek-%d", k);
		put(argv[1], (char *)name, sel | 3, 1, ek, 7);
	}
	return 0;
}
#endif
