// SPDX-License-Identifier: GPL-2.0
/*
 * ik_random(): SPIs, nonces, IVs and padding, from OpenSSL's default DRBG
 * (seeded from the kernel's getrandom()).  Stateless here.
 */
#include <openssl/rand.h>

#include "crypto/crypto.h"

int ik_random(void *buf, size_t len)
{
	if (len == 0)
		return 0;
	if (!buf)
		return -1;
	return RAND_bytes_ex(NULL, buf, len, 0) == 1 ? 0 : -1;
}
