// SPDX-License-Identifier: GPL-2.0
/*
 * NAT detection hashes: see natd.h.
 */
#include <endian.h>
#include <netinet/in.h>
#include <string.h>

#include <openssl/evp.h>

#include "ike/natd.h"

int ike_natd_hash(uint64_t spi_i, uint64_t spi_r,
		  const struct sockaddr_storage *addr, uint8_t *out)
{
	uint8_t buf[8 + 8 + 16 + 2];
	uint64_t si = htobe64(spi_i), sr = htobe64(spi_r);
	size_t n = 16;
	unsigned int outlen = IKE_NATD_LEN;

	memcpy(buf, &si, 8);
	memcpy(buf + 8, &sr, 8);
	if (addr->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)addr;

		memcpy(buf + n, &s4->sin_addr, 4);
		n += 4;
		memcpy(buf + n, &s4->sin_port, 2);
	} else if (addr->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)addr;

		memcpy(buf + n, &s6->sin6_addr, 16);
		n += 16;
		memcpy(buf + n, &s6->sin6_port, 2);
	} else {
		return -1;
	}
	n += 2;
	return EVP_Digest(buf, n, out, &outlen, EVP_sha1(), NULL) ? 0 : -1;
}

bool ike_natd_check(const struct ike_msg *m, uint64_t spi_i, uint64_t spi_r,
		    const struct sockaddr_storage *local,
		    const struct sockaddr_storage *remote,
		    bool *nat_local, bool *nat_remote)
{
	uint8_t want_src[IKE_NATD_LEN], want_dst[IKE_NATD_LEN];
	bool seen_src = false, seen_dst = false, src_ok = false, dst_ok = false;
	int i;

	if (ike_natd_hash(spi_i, spi_r, remote, want_src) ||
	    ike_natd_hash(spi_i, spi_r, local, want_dst))
		return false;
	for (i = 0; i < m->n_notifies; i++) {
		const struct ike_notify_pl *n = &m->notifies[i];

		if (n->data.len != IKE_NATD_LEN)
			continue;
		if (n->type == IKE_N_NAT_DETECTION_SOURCE_IP) {
			seen_src = true;
			src_ok |= !memcmp(n->data.p, want_src, IKE_NATD_LEN);
		} else if (n->type == IKE_N_NAT_DETECTION_DESTINATION_IP) {
			seen_dst = true;
			dst_ok |= !memcmp(n->data.p, want_dst, IKE_NATD_LEN);
		}
	}
	if (!seen_src || !seen_dst)
		return false;
	*nat_remote = !src_ok;
	*nat_local = !dst_ok;
	return true;
}
