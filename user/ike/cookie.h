/* SPDX-License-Identifier: GPL-2.0 */
/*
 * COOKIE (RFC 7296 2.6): a responder under load answers an IKE_SA_INIT
 * that lacks a valid cookie with N(COOKIE) and keeps no state; the
 * initiator repeats its request with the cookie first.  The cookie is
 * <secret version (1 byte)> | HMAC-SHA256(secret, Ni | IPi | SPIi), so
 * checking it costs one HMAC and no memory.  The secret changes every
 * IKE_COOKIE_ROTATE_MS; the previous one stays valid for a rotation.
 */
#ifndef IKETCPD_IKE_COOKIE_H
#define IKETCPD_IKE_COOKIE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ike/msg.h"

#define IKE_COOKIE_LEN		33	/* version + SHA-256 */
#define IKE_COOKIE_ROTATE_MS	120000

struct ike_cookie_jar {
	uint8_t secret[2][32];		/* current, previous */
	uint8_t version;		/* of secret[0] */
	uint64_t rotated_at;		/* ms */
};

int ike_cookie_init(struct ike_cookie_jar *j, uint64_t now);
/* A fresh secret when the current one is old enough. */
void ike_cookie_rotate(struct ike_cookie_jar *j, uint64_t now);
/* The cookie for request m from remote into out (IKE_COOKIE_LEN bytes). */
int ike_cookie_make(const struct ike_cookie_jar *j, const struct ike_msg *m,
		    const struct sockaddr_storage *remote, uint8_t *out);
/* Does m carry a valid cookie (N(COOKIE) first, of this jar's secrets)? */
bool ike_cookie_valid(const struct ike_cookie_jar *j, const struct ike_msg *m,
		      const struct sockaddr_storage *remote);

#endif
