// SPDX-License-Identifier: GPL-2.0
/*
 * COOKIE: see cookie.h.
 */
#include <endian.h>
#include <netinet/in.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto/crypto.h"
#include "ike/cookie.h"
#include "ike/wire.h"

int ike_cookie_init(struct ike_cookie_jar *j, uint64_t now)
{
	memset(j, 0, sizeof(*j));
	j->rotated_at = now;
	return ik_random(j->secret[0], sizeof(j->secret[0])) ||
	       ik_random(j->secret[1], sizeof(j->secret[1])) ? -1 : 0;
}

void ike_cookie_rotate(struct ike_cookie_jar *j, uint64_t now)
{
	if (now - j->rotated_at < IKE_COOKIE_ROTATE_MS)
		return;
	memcpy(j->secret[1], j->secret[0], sizeof(j->secret[0]));
	if (ik_random(j->secret[0], sizeof(j->secret[0])))
		return;		/* keep the old one rather than none */
	j->version++;
	j->rotated_at = now;
}

static int cookie_with(const uint8_t *secret, uint8_t version,
		       const struct ike_msg *m,
		       const struct sockaddr_storage *remote, uint8_t *out)
{
	uint64_t spi = htobe64(m->hdr.spi_i);
	struct ik_iov iov[3] = { { m->nonce.p, m->nonce.len } };

	if (remote->ss_family == AF_INET)
		iov[1] = (struct ik_iov){
			&((const struct sockaddr_in *)remote)->sin_addr, 4 };
	else
		iov[1] = (struct ik_iov){
			&((const struct sockaddr_in6 *)remote)->sin6_addr, 16 };
	iov[2] = (struct ik_iov){ &spi, 8 };
	out[0] = version;
	return ik_prfv(IKE_PRF_HMAC_SHA2_256, secret, 32, iov, 3, out + 1) < 0 ?
		-1 : 0;
}

int ike_cookie_make(const struct ike_cookie_jar *j, const struct ike_msg *m,
		    const struct sockaddr_storage *remote, uint8_t *out)
{
	return cookie_with(j->secret[0], j->version, m, remote, out);
}

bool ike_cookie_valid(const struct ike_cookie_jar *j, const struct ike_msg *m,
		      const struct sockaddr_storage *remote)
{
	const struct ike_notify_pl *n = ike_msg_notify(m, IKE_N_COOKIE);
	uint8_t want[IKE_COOKIE_LEN];
	int k;

	if (!n || n->data.len != IKE_COOKIE_LEN)
		return false;
	for (k = 0; k < 2; k++) {
		uint8_t v = k ? (uint8_t)(j->version - 1) : j->version;

		if (n->data.p[0] != v ||
		    cookie_with(j->secret[k], v, m, remote, want))
			continue;
		if (!CRYPTO_memcmp(want, n->data.p, IKE_COOKIE_LEN))
			return true;
	}
	return false;
}
