// SPDX-License-Identifier: GPL-2.0
/*
 * The IKEv2 PRFs (HMAC-SHA2-256/384/512, RFC 4868) and prf+ (RFC 7296
 * 2.13), on OpenSSL's EVP_MAC.  Stateless: each call fetches, uses and frees
 * its own MAC context, and wipes the intermediate blocks it keeps.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto/crypto.h"
#include "ike/wire.h"

static const char *prf_digest(uint16_t prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA2_256:
		return "SHA2-256";
	case IKE_PRF_HMAC_SHA2_384:
		return "SHA2-384";
	case IKE_PRF_HMAC_SHA2_512:
		return "SHA2-512";
	}
	return NULL;
}

size_t ik_prf_len(uint16_t prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA2_256:
		return 32;
	case IKE_PRF_HMAC_SHA2_384:
		return 48;
	case IKE_PRF_HMAC_SHA2_512:
		return 64;
	}
	return 0;
}

/* An HMAC context for prf, keyed; NULL on failure. */
static EVP_MAC_CTX *prf_ctx(uint16_t prf, const uint8_t *key, size_t klen)
{
	static const uint8_t empty;	/* EVP_MAC_init() wants a key pointer */
	const char *md = prf_digest(prf);
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;
	EVP_MAC *mac;

	if (!md || (!key && klen))
		return NULL;
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		return NULL;
	ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);		/* the context keeps a reference */
	if (!ctx)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						     (char *)md, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, klen ? key : &empty, klen, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* One PRF output of the keyed ctx over iov[]; the ctx is re-armed after. */
static int prf_run(EVP_MAC_CTX *ctx, const struct ik_iov *iov, int niov,
		   uint8_t *out, size_t outlen)
{
	size_t len = 0;
	int i;

	for (i = 0; i < niov; i++) {
		if (!iov[i].p && iov[i].len)
			return -1;
		if (iov[i].len &&
		    EVP_MAC_update(ctx, iov[i].p, iov[i].len) != 1)
			return -1;
	}
	if (EVP_MAC_final(ctx, out, &len, outlen) != 1 || len != outlen)
		return -1;
	/* Same key, fresh state: a NULL key keeps the one set before. */
	if (EVP_MAC_init(ctx, NULL, 0, NULL) != 1)
		return -1;
	return 0;
}

int ik_prfv(uint16_t prf, const uint8_t *key, size_t klen,
	    const struct ik_iov *iov, int niov, uint8_t *out)
{
	size_t len = ik_prf_len(prf);
	EVP_MAC_CTX *ctx;
	int rc;

	if (!len || !out || niov < 0 || (niov && !iov))
		return -1;
	ctx = prf_ctx(prf, key, klen);
	if (!ctx)
		return -1;
	rc = prf_run(ctx, iov, niov, out, len);
	EVP_MAC_CTX_free(ctx);		/* cleanses the keyed state */
	return rc;
}

int ik_prf(uint16_t prf, const uint8_t *key, size_t klen,
	   const uint8_t *data, size_t dlen, uint8_t *out)
{
	struct ik_iov iov = { data, dlen };

	return ik_prfv(prf, key, klen, &iov, 1, out);
}

/*
 * T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n); out = T1 | T2 | ...
 * out must not overlap key or seed (they are read for every block).
 */
int ik_prf_plus(uint16_t prf, const uint8_t *key, size_t klen,
		const uint8_t *seed, size_t slen, uint8_t *out, size_t outlen)
{
	size_t len = ik_prf_len(prf), done = 0;
	uint8_t t[IK_PRF_MAX], n = 1;
	EVP_MAC_CTX *ctx;
	int rc = 0;

	if (!len || outlen > 255 * len || (!out && outlen) ||
	    (!seed && slen))
		return -1;
	if (!outlen)
		return 0;
	ctx = prf_ctx(prf, key, klen);
	if (!ctx)
		return -1;
	while (done < outlen) {
		struct ik_iov iov[3] = {
			{ t, n == 1 ? 0 : len },
			{ seed, slen },
			{ &n, 1 },
		};
		size_t take = outlen - done < len ? outlen - done : len;

		if (prf_run(ctx, iov, 3, t, len) < 0) {
			rc = -1;
			break;
		}
		memcpy(out + done, t, take);
		done += take;
		n++;
	}
	OPENSSL_cleanse(t, sizeof(t));
	EVP_MAC_CTX_free(ctx);
	if (rc)
		OPENSSL_cleanse(out, outlen);
	return rc;
}
