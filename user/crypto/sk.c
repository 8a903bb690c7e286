// SPDX-License-Identifier: GPL-2.0
/*
 * The SK payload's protection (RFC 7296 3.14): AES-CBC with HMAC-SHA2
 * (RFC 3602, RFC 4868) and AES-GCM with a 16-byte ICV (RFC 5282), on
 * OpenSSL's EVP_CIPHER.  The body is IV | ciphertext | ICV, the plaintext
 * inner payloads | padding | pad length.
 *
 *  - AES-CBC: 16-byte random IV, plaintext padded to 16-byte blocks, ICV =
 *    HMAC over the message from the IKE header to the end of the
 *    ciphertext, truncated to half the hash.  Opening checks the ICV (in
 *    constant time) before it decrypts anything.
 *  - AES-GCM-16: key material = key | 4-byte salt, nonce = salt | 8-byte
 *    random IV, AAD = IKE header | SK generic header (msg[0..sk_hdr_end)),
 *    plaintext padded to 4 bytes (RFC 5282 3 allows any padding).
 *
 * Stateless; every plaintext copy made here is wiped before it is freed.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto/crypto.h"
#include "ike/wire.h"

#define CBC_BLOCK	16
#define GCM_IV		8
#define GCM_SALT	4
#define GCM_ICV		16
#define GCM_ALIGN	4

/* What one key's algorithms need. */
struct sk_params {
	const char *cipher;	/* OpenSSL name */
	size_t keylen;		/* AES key bytes (without the GCM salt) */
	size_t iv_len, align, icv_len;
	uint16_t hmac;		/* the PRF id of the INTEG HMAC; 0 for AEAD */
};

static const char *const cbc_names[] = {
	"AES-128-CBC", "AES-192-CBC", "AES-256-CBC"
};
static const char *const gcm_names[] = {
	"AES-128-GCM", "AES-192-GCM", "AES-256-GCM"
};

static int keybits_index(uint16_t keybits)
{
	switch (keybits) {
	case 128:
		return 0;
	case 192:
		return 1;
	case 256:
		return 2;
	}
	return -1;
}

/* HMAC's PRF id and the ICV length of an INTEG transform. */
static uint16_t integ_hmac(uint16_t integ, size_t *icv)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA2_256_128:
		*icv = 16;
		return IKE_PRF_HMAC_SHA2_256;
	case IKE_INTEG_HMAC_SHA2_384_192:
		*icv = 24;
		return IKE_PRF_HMAC_SHA2_384;
	case IKE_INTEG_HMAC_SHA2_512_256:
		*icv = 32;
		return IKE_PRF_HMAC_SHA2_512;
	}
	*icv = 0;
	return 0;
}

static int sk_params(uint16_t encr, uint16_t keybits, uint16_t integ,
		     struct sk_params *p)
{
	int i = keybits_index(keybits);

	if (i < 0)
		return -1;
	memset(p, 0, sizeof(*p));
	p->keylen = keybits / 8;
	switch (encr) {
	case IKE_ENCR_AES_CBC:
		p->hmac = integ_hmac(integ, &p->icv_len);
		if (!p->hmac)
			return -1;
		p->cipher = cbc_names[i];
		p->iv_len = CBC_BLOCK;
		p->align = CBC_BLOCK;
		return 0;
	case IKE_ENCR_AES_GCM_16:
		if (integ != IKE_INTEG_NONE)
			return -1;
		p->cipher = gcm_names[i];
		p->iv_len = GCM_IV;
		p->align = GCM_ALIGN;
		p->icv_len = GCM_ICV;
		return 0;
	}
	return -1;
}

size_t ik_encr_keymat_len(uint16_t encr, uint16_t keybits)
{
	if (keybits_index(keybits) < 0)
		return 0;
	switch (encr) {
	case IKE_ENCR_AES_CBC:
		return keybits / 8;
	case IKE_ENCR_AES_GCM_16:
		return keybits / 8 + GCM_SALT;
	}
	return 0;
}

size_t ik_integ_keymat_len(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA2_256_128:
		return 32;
	case IKE_INTEG_HMAC_SHA2_384_192:
		return 48;
	case IKE_INTEG_HMAC_SHA2_512_256:
		return 64;
	}
	return 0;
}

bool ik_encr_is_aead(uint16_t encr)
{
	return encr == IKE_ENCR_AES_GCM_16;
}

int ik_sk_key_set(struct ik_sk_key *k, uint16_t encr, uint16_t keybits,
		  uint16_t integ, const uint8_t *ek, const uint8_t *ak)
{
	size_t elen = ik_encr_keymat_len(encr, keybits);
	size_t alen = ik_integ_keymat_len(integ);
	struct sk_params p;

	if (!k || sk_params(encr, keybits, integ, &p) < 0 || !ek ||
	    (alen && !ak) || elen > sizeof(k->ek) || alen > sizeof(k->ak))
		return -1;
	ik_sk_key_wipe(k);
	k->encr = encr;
	k->keybits = keybits;
	k->integ = integ;
	memcpy(k->ek, ek, elen);
	if (alen)
		memcpy(k->ak, ak, alen);
	return 0;
}

void ik_sk_key_wipe(struct ik_sk_key *k)
{
	if (k)
		OPENSSL_cleanse(k, sizeof(*k));
}

static size_t padded_len(const struct sk_params *p, size_t plen)
{
	return (plen + 1 + p->align - 1) / p->align * p->align;
}

size_t ik_sk_body_len(const struct ik_sk_key *k, size_t plen)
{
	struct sk_params p;

	if (!k || sk_params(k->encr, k->keybits, k->integ, &p) < 0 ||
	    plen > IKE_MAX_MSG)
		return 0;
	return p.iv_len + padded_len(&p, plen) + p.icv_len;
}

/* The truncated HMAC ICV over msg[0..len) into icv (p->icv_len bytes). */
static int cbc_icv(const struct ik_sk_key *k, const struct sk_params *p,
		   const uint8_t *msg, size_t len, uint8_t *icv)
{
	uint8_t mac[IK_PRF_MAX];
	int rc;

	rc = ik_prf(p->hmac, k->ak, ik_integ_keymat_len(k->integ), msg, len,
		    mac);
	if (rc == 0)
		memcpy(icv, mac, p->icv_len);
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

/*
 * Run the cipher over in[0..len) into out (same length; no padding), with
 * key, iv (iv_len bytes) and, for GCM, the AAD and the tag (written on
 * encrypt, checked on decrypt).
 */
static int cipher_run(const struct sk_params *p, const struct ik_sk_key *k,
		      bool enc, const uint8_t *iv, const uint8_t *aad,
		      size_t aadlen, const uint8_t *in, size_t len,
		      uint8_t *out, uint8_t *tag)
{
	uint8_t nonce[GCM_SALT + GCM_IV];
	bool gcm = p->hmac == 0;
	EVP_CIPHER_CTX *ctx = NULL;
	EVP_CIPHER *c = NULL;
	OSSL_PARAM params[2];
	int outl = 0, fin = 0, rc = -1;

	if (len > INT_MAX || aadlen > INT_MAX)
		return -1;
	params[0] = OSSL_PARAM_construct_octet_string(
		OSSL_CIPHER_PARAM_AEAD_TAG, tag, GCM_ICV);
	params[1] = OSSL_PARAM_construct_end();
	if (gcm) {
		memcpy(nonce, k->ek + p->keylen, GCM_SALT);
		memcpy(nonce + GCM_SALT, iv, GCM_IV);
		iv = nonce;
	}
	c = EVP_CIPHER_fetch(NULL, p->cipher, NULL);
	ctx = EVP_CIPHER_CTX_new();
	if (!c || !ctx ||
	    EVP_CipherInit_ex2(ctx, c, k->ek, iv, enc, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1)
		goto out;
	if (gcm && aadlen &&
	    EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aadlen) != 1)
		goto out;
	if (gcm && !enc && EVP_CIPHER_CTX_set_params(ctx, params) != 1)
		goto out;
	outl = 0;
	if ((len && EVP_CipherUpdate(ctx, out, &outl, in, (int)len) != 1) ||
	    EVP_CipherFinal_ex(ctx, out + outl, &fin) != 1 ||
	    (size_t)outl + (size_t)fin != len)
		goto out;
	if (gcm && enc && EVP_CIPHER_CTX_get_params(ctx, params) != 1)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(nonce, sizeof(nonce));
	EVP_CIPHER_CTX_free(ctx);	/* cleanses the key schedule */
	EVP_CIPHER_free(c);
	return rc;
}

int ik_sk_seal(const struct ik_sk_key *k, uint8_t *msg, size_t sk_hdr_end,
	       const uint8_t *plain, size_t plen)
{
	uint8_t *body, *tmp;
	struct sk_params p;
	size_t padded;
	int rc = -1;

	if (!k || !msg || (!plain && plen) || plen > IKE_MAX_MSG ||
	    sk_hdr_end < IKE_HDR_LEN + IKE_GENERIC_HDR_LEN ||
	    sk_params(k->encr, k->keybits, k->integ, &p) < 0)
		return -1;
	padded = padded_len(&p, plen);
	/* A copy first: plain may overlap the body we are about to write. */
	tmp = malloc(padded);
	if (!tmp)
		return -1;
	if (plen)
		memcpy(tmp, plain, plen);
	memset(tmp + plen, 0, padded - plen);
	tmp[padded - 1] = (uint8_t)(padded - plen - 1);	/* < align */

	body = msg + sk_hdr_end;
	if (ik_random(body, p.iv_len) < 0 ||
	    cipher_run(&p, k, true, body, msg, sk_hdr_end, tmp, padded,
		       body + p.iv_len, body + p.iv_len + padded) < 0)
		goto out;
	if (p.hmac &&
	    cbc_icv(k, &p, msg, sk_hdr_end + p.iv_len + padded,
		    body + p.iv_len + padded) < 0)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(tmp, padded);
	free(tmp);
	if (rc)		/* no half-protected message leaves */
		OPENSSL_cleanse(msg + sk_hdr_end,
				p.iv_len + padded + p.icv_len);
	return rc;
}

int ik_sk_open(const struct ik_sk_key *k, const uint8_t *msg,
	       size_t sk_hdr_end, size_t msg_len, uint8_t *plain, size_t cap)
{
	uint8_t icv[32], tag[GCM_ICV], *tmp;
	const uint8_t *body;
	struct sk_params p;
	size_t blen, ctlen, padlen, inner;
	int rc = -1;

	if (!k || !msg || (!plain && cap) ||
	    sk_hdr_end < IKE_HDR_LEN + IKE_GENERIC_HDR_LEN ||
	    msg_len <= sk_hdr_end ||
	    sk_params(k->encr, k->keybits, k->integ, &p) < 0)
		return -1;
	body = msg + sk_hdr_end;
	blen = msg_len - sk_hdr_end;
	/* At least the pad length byte (CBC: one block) between IV and ICV. */
	if (blen < p.iv_len + (p.hmac ? CBC_BLOCK : 1) + p.icv_len)
		return -1;
	ctlen = blen - p.iv_len - p.icv_len;
	if (p.hmac && ctlen % CBC_BLOCK)
		return -1;

	if (p.hmac) {
		int diff;

		if (cbc_icv(k, &p, msg, msg_len - p.icv_len, icv) < 0)
			return -1;
		diff = CRYPTO_memcmp(icv, msg + msg_len - p.icv_len,
				     p.icv_len);
		OPENSSL_cleanse(icv, sizeof(icv));
		if (diff)
			return -1;
	} else {
		memcpy(tag, msg + msg_len - GCM_ICV, GCM_ICV);
	}
	tmp = malloc(ctlen);
	if (!tmp)
		return -1;
	/* GCM: OpenSSL checks the tag; tmp is not used unless it matched. */
	if (cipher_run(&p, k, false, body, msg, sk_hdr_end, body + p.iv_len,
		       ctlen, tmp, tag) < 0)
		goto out;
	padlen = tmp[ctlen - 1];
	if (padlen >= ctlen)
		goto out;
	inner = ctlen - 1 - padlen;
	if (inner > cap || inner > INT_MAX)
		goto out;
	if (inner)
		memcpy(plain, tmp, inner);
	rc = (int)inner;
out:
	OPENSSL_cleanse(tmp, ctlen);
	free(tmp);
	return rc;
}
