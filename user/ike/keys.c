// SPDX-License-Identifier: GPL-2.0
/*
 * IKE SA and Child SA key derivation and the PSK AUTH value (ike/keys.h),
 * on crypto/'s PRF and prf+.  Stateless; every intermediate secret
 * (SKEYSEED, the key stream, concatenated nonces and g^ir) is wiped before
 * its memory is released.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto/crypto.h"
#include "ike/keys.h"
#include "ike/wire.h"

/* The longest key stream: SK_d, SK_pi, SK_pr, 2 x (SK_a + SK_e). */
#define KEYSTREAM_MAX	(3 * IK_PRF_MAX + 2 * (64 + 36))

static const char key_pad[] = "Key Pad for IKEv2";	/* 17 bytes, no NUL */

/* a | b [| c] into a fresh buffer (free with wipe_free). */
static uint8_t *concat(const struct ik_iov *iov, int n, size_t *len)
{
	size_t total = 0, off = 0;
	uint8_t *buf;
	int i;

	for (i = 0; i < n; i++)
		total += iov[i].len;
	buf = malloc(total ? total : 1);
	if (!buf)
		return NULL;
	for (i = 0; i < n; i++) {
		if (iov[i].len)
			memcpy(buf + off, iov[i].p, iov[i].len);
		off += iov[i].len;
	}
	*len = total;
	return buf;
}

static void wipe_free(uint8_t *p, size_t len)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

static bool bad(const uint8_t *p, size_t len)
{
	return !p || !len;
}

int ike_skeyseed(uint16_t prf, const uint8_t *gir, size_t girlen,
		 const uint8_t *ni, size_t nilen, const uint8_t *nr,
		 size_t nrlen, uint8_t *out)
{
	struct ik_iov nonces[2] = { { ni, nilen }, { nr, nrlen } };
	size_t len = ik_prf_len(prf), klen;
	uint8_t *key;
	int rc;

	if (!len || !out || bad(gir, girlen) || bad(ni, nilen) ||
	    bad(nr, nrlen))
		return -1;
	/* All our PRFs are HMACs: the key is Ni | Nr in full. */
	key = concat(nonces, 2, &klen);
	if (!key)
		return -1;
	rc = ik_prf(prf, key, klen, gir, girlen, out);
	wipe_free(key, klen);
	return rc < 0 ? -1 : (int)len;
}

int ike_skeyseed_rekey(uint16_t old_prf, const uint8_t *old_sk_d,
		       size_t old_sk_d_len, const uint8_t *gir, size_t girlen,
		       const uint8_t *ni, size_t nilen, const uint8_t *nr,
		       size_t nrlen, uint8_t *out)
{
	struct ik_iov data[3] = {
		{ gir, girlen }, { ni, nilen }, { nr, nrlen }
	};
	size_t len = ik_prf_len(old_prf);

	if (!len || !out || bad(old_sk_d, old_sk_d_len) ||
	    old_sk_d_len != len || bad(gir, girlen) || bad(ni, nilen) ||
	    bad(nr, nrlen))
		return -1;
	if (ik_prfv(old_prf, old_sk_d, old_sk_d_len, data, 3, out) < 0)
		return -1;
	return (int)len;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* The seven keys from SKEYSEED, into k (wiped on failure). */
static int keys_from_skeyseed(struct ike_keys *k, uint16_t prf,
			      uint16_t encr, uint16_t keybits, uint16_t integ,
			      const uint8_t *skeyseed, size_t sslen,
			      const uint8_t *ni, size_t nilen,
			      const uint8_t *nr, size_t nrlen,
			      uint64_t spi_i, uint64_t spi_r)
{
	size_t plen = ik_prf_len(prf), elen, alen, total, slen = 0, off;
	uint8_t spis[16], stream[KEYSTREAM_MAX], *seed = NULL;
	struct ik_iov parts[3] = {
		{ ni, nilen }, { nr, nrlen }, { spis, sizeof(spis) }
	};
	int rc = -1;

	ike_keys_wipe(k);
	elen = ik_encr_keymat_len(encr, keybits);
	alen = ik_integ_keymat_len(integ);
	/* AEAD: no integrity keys; otherwise it needs them. */
	if (!plen || !elen || ik_encr_is_aead(encr) != (alen == 0))
		return -1;
	total = 3 * plen + 2 * (alen + elen);
	if (total > sizeof(stream))
		return -1;
	put_be64(spis, spi_i);
	put_be64(spis + 8, spi_r);
	seed = concat(parts, 3, &slen);
	if (!seed)
		return -1;

	if (ik_prf_plus(prf, skeyseed, sslen, seed, slen, stream, total) < 0)
		goto out;
	k->prf = prf;
	k->encr = encr;
	k->keybits = keybits;
	k->integ = integ;
	k->prf_len = plen;
	/* SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr */
	memcpy(k->sk_d, stream, plen);
	off = plen;
	if (ik_sk_key_set(&k->sk_i, encr, keybits, integ,
			  stream + off + 2 * alen, stream + off) < 0 ||
	    ik_sk_key_set(&k->sk_r, encr, keybits, integ,
			  stream + off + 2 * alen + elen,
			  stream + off + alen) < 0)
		goto out;
	off += 2 * alen + 2 * elen;
	memcpy(k->sk_pi, stream + off, plen);
	memcpy(k->sk_pr, stream + off + plen, plen);
	rc = 0;
out:
	OPENSSL_cleanse(stream, sizeof(stream));
	wipe_free(seed, slen);
	if (rc)
		ike_keys_wipe(k);
	return rc;
}

int ike_keys_derive(struct ike_keys *k, uint16_t prf, uint16_t encr,
		    uint16_t keybits, uint16_t integ,
		    const uint8_t *gir, size_t girlen,
		    const uint8_t *ni, size_t nilen,
		    const uint8_t *nr, size_t nrlen,
		    uint64_t spi_i, uint64_t spi_r)
{
	uint8_t skeyseed[IK_PRF_MAX];
	int rc;

	if (!k)
		return -1;
	rc = ike_skeyseed(prf, gir, girlen, ni, nilen, nr, nrlen, skeyseed);
	if (rc >= 0)
		rc = keys_from_skeyseed(k, prf, encr, keybits, integ, skeyseed,
					(size_t)rc, ni, nilen, nr, nrlen,
					spi_i, spi_r);
	else
		ike_keys_wipe(k);
	OPENSSL_cleanse(skeyseed, sizeof(skeyseed));
	return rc < 0 ? -1 : 0;
}

int ike_keys_rekey(struct ike_keys *nk, const uint8_t *old_sk_d,
		   uint16_t old_prf, uint16_t prf, uint16_t encr,
		   uint16_t keybits, uint16_t integ,
		   const uint8_t *gir, size_t girlen,
		   const uint8_t *ni, size_t nilen,
		   const uint8_t *nr, size_t nrlen,
		   uint64_t spi_i, uint64_t spi_r)
{
	uintptr_t d = (uintptr_t)old_sk_d, n = (uintptr_t)nk;
	uint8_t skeyseed[IK_PRF_MAX];
	int rc;

	/* Not into the struct being overwritten (it is wiped on failure). */
	if (!nk || (d >= n && d < n + sizeof(*nk)))
		return -1;
	rc = ike_skeyseed_rekey(old_prf, old_sk_d, ik_prf_len(old_prf), gir,
				girlen, ni, nilen, nr, nrlen, skeyseed);
	/*
	 * SKEYSEED has the old PRF's length and keys the new PRF's prf+
	 * (HMAC takes keys of any length, so a change of PRF is fine).
	 */
	if (rc >= 0)
		rc = keys_from_skeyseed(nk, prf, encr, keybits, integ,
					skeyseed, (size_t)rc, ni, nilen, nr,
					nrlen, spi_i, spi_r);
	else
		ike_keys_wipe(nk);
	OPENSSL_cleanse(skeyseed, sizeof(skeyseed));
	return rc < 0 ? -1 : 0;
}

int ike_child_keymat(uint16_t prf, const uint8_t *sk_d, size_t prflen,
		     const uint8_t *gir, size_t girlen,
		     const uint8_t *ni, size_t nilen,
		     const uint8_t *nr, size_t nrlen,
		     uint8_t *out, size_t outlen)
{
	struct ik_iov parts[3] = {
		{ gir, girlen }, { ni, nilen }, { nr, nrlen }
	};
	size_t slen = 0;
	uint8_t *seed;
	int rc;

	if (!ik_prf_len(prf) || prflen != ik_prf_len(prf) ||
	    bad(sk_d, prflen) || (!gir && girlen) || (gir && !girlen) ||
	    bad(ni, nilen) || bad(nr, nrlen) || !out || !outlen)
		return -1;
	seed = concat(parts, 3, &slen);
	if (!seed)
		return -1;
	rc = ik_prf_plus(prf, sk_d, prflen, seed, slen, out, outlen);
	wipe_free(seed, slen);
	return rc;
}

int ike_signed_octets(const struct ike_keys *k, bool of_initiator,
		      const uint8_t *real_msg, size_t msglen,
		      const uint8_t *nonce, size_t noncelen,
		      const uint8_t *id_body, size_t idlen,
		      const uint8_t *int_auth, size_t ialen,
		      uint8_t *out, size_t cap)
{
	uint8_t maced_id[IK_PRF_MAX];
	const uint8_t *sk_p;
	size_t need;

	if (!k || !k->prf_len || k->prf_len != ik_prf_len(k->prf) ||
	    bad(real_msg, msglen) || bad(nonce, noncelen) ||
	    bad(id_body, idlen) || (!int_auth && ialen))
		return -1;
	need = msglen + noncelen + k->prf_len + ialen;
	if (msglen > INT_MAX || noncelen > INT_MAX || ialen > INT_MAX ||
	    need > INT_MAX)
		return -1;
	if (!out)
		return (int)need;
	if (cap < need)
		return -1;
	sk_p = of_initiator ? k->sk_pi : k->sk_pr;
	if (ik_prf(k->prf, sk_p, k->prf_len, id_body, idlen, maced_id) < 0)
		return -1;
	memcpy(out, real_msg, msglen);
	memcpy(out + msglen, nonce, noncelen);
	memcpy(out + msglen + noncelen, maced_id, k->prf_len);
	if (ialen)
		memcpy(out + msglen + noncelen + k->prf_len, int_auth, ialen);
	OPENSSL_cleanse(maced_id, sizeof(maced_id));
	return (int)need;
}

int ike_psk_auth(uint16_t prf, const uint8_t *psk, size_t psklen,
		 const uint8_t *signed_octets, size_t len, uint8_t *out)
{
	size_t plen = ik_prf_len(prf);
	uint8_t key[IK_PRF_MAX];
	int rc;

	if (!plen || bad(psk, psklen) || bad(signed_octets, len) || !out)
		return -1;
	rc = ik_prf(prf, psk, psklen, (const uint8_t *)key_pad,
		    sizeof(key_pad) - 1, key);
	if (rc == 0)
		rc = ik_prf(prf, key, plen, signed_octets, len, out);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc < 0) {
		OPENSSL_cleanse(out, plen);
		return -1;
	}
	return (int)plen;
}

void ike_keys_wipe(struct ike_keys *k)
{
	if (k)
		OPENSSL_cleanse(k, sizeof(*k));
}
