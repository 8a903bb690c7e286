// SPDX-License-Identifier: GPL-2.0
/*
 * Key exchange methods (IKEv2 transform type 4) behind one interface: a
 * table of ops per group.  Each backend makes our key in ->generate, writes
 * our KE payload data in ->public and the shared secret in ->shared; the
 * common code checks lengths and buffer sizes before calling them.
 *
 *  - MODP 2048/3072 (14, 15): the RFC 3526 groups, OpenSSL's "modp_2048",
 *    "modp_3072".  Public values and g^ir are big-endian, left-padded to the
 *    prime's length (RFC 7296 2.14); the peer's y must satisfy 1 < y < p-1.
 *  - ECP 256/384 (19, 20): public value x | y without the 0x04 prefix, g^ir
 *    the x coordinate (RFC 5903); the peer's point must be on the curve.
 *  - X25519 (31): RFC 8031; an all-zero shared secret is refused.
 *
 *  - ML-KEM-512/768/1024 (35, 36, 37): FIPS 203, libcrypto's where it has
 *    one (OpenSSL >= 3.5), else the project's (mlkem.c); mlkem_evp.c
 *    chooses, at run time.
 *
 * A KEM is not symmetric: the initiator makes a key pair and sends the
 * encapsulation key; the responder encapsulates to it and sends the
 * ciphertext; the initiator decapsulates.  The role cannot be told from
 * the peer value's length (ML-KEM-1024's encapsulation key and ciphertext
 * are both 1568 bytes) nor from call order, so it is given when k is made:
 * ik_kex_new() is the initiator (->generate makes the key pair, ->public
 * is ek, ->shared decapsulates), ik_kex_new_responder() the responder
 * (no key pair; ->shared encapsulates, once, after which ->public is the
 * ciphertext).  For the other groups the two are the same.
 *
 * Secrets live in OpenSSL's EVP_PKEY objects (freed, and so cleansed, by
 * ik_kex_free()) and in stack buffers that are wiped before returning.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include "crypto/crypto.h"
#include "crypto/mlkem.h"
#include "ike/wire.h"

struct ik_kex;

struct kex_ops {
	uint16_t group;
	const char *keytype;	/* OpenSSL key type: "DH", "EC", "X25519";
				 * NULL for ML-KEM */
	const char *name;	/* OpenSSL group name, NULL if none */
	size_t pub_len;		/* our public value (KEM: encapsulation key) */
	size_t resp_len;	/* the responder's: pub_len but for a KEM */
	size_t secret_len;
	bool kem;
	int (*generate)(struct ik_kex *k);
	/* Writes exactly pub_len (or resp_len) bytes. */
	int (*public)(const struct ik_kex *k, uint8_t *out);
	/* peer has the length ik_kex_peer_len() wants; writes secret_len. */
	int (*shared)(struct ik_kex *k, const uint8_t *peer, size_t plen,
		      uint8_t *out);
};

struct ik_kex {
	const struct kex_ops *ops;
	EVP_PKEY *pkey;		/* our key pair (libcrypto's ML-KEM too) */
	bool responder;		/* made by ik_kex_new_responder() */
	bool encapsulated;	/* KEM responder: ->public is the ciphertext */
	uint8_t *kem;		/* ML-KEM: our dk (initiator, project's
				 * implementation) or the ciphertext */
	size_t kem_len;
};

/* ---- helpers -------------------------------------------------------- */

/* A fresh key of ops' type and group from OpenSSL's keygen. */
static int keygen_named(struct ik_kex *k)
{
	const struct kex_ops *o = k->ops;
	EVP_PKEY_CTX *ctx;
	OSSL_PARAM params[2];
	int ok;

	ctx = EVP_PKEY_CTX_new_from_name(NULL, o->keytype, NULL);
	if (!ctx)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(
		OSSL_PKEY_PARAM_GROUP_NAME, (char *)o->name, 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = EVP_PKEY_keygen_init(ctx) == 1 &&
	     (!o->name || EVP_PKEY_CTX_set_params(ctx, params) == 1) &&
	     EVP_PKEY_generate(ctx, &k->pkey) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* A public key of our group from OSSL_PARAMs built by the caller. */
static EVP_PKEY *peer_fromdata(const struct kex_ops *o, OSSL_PARAM *params)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *peer = NULL;

	ctx = EVP_PKEY_CTX_new_from_name(NULL, o->keytype, NULL);
	if (!ctx)
		return NULL;
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &peer, EVP_PKEY_PUBLIC_KEY, params) != 1)
		peer = NULL;
	EVP_PKEY_CTX_free(ctx);
	return peer;
}

/*
 * Derive with our key and peer into out, left-padded to want bytes.
 * validate: let OpenSSL check the peer key too (EC: on the curve).
 */
static int derive(struct ik_kex *k, EVP_PKEY *peer, bool validate,
		  bool dh_pad, uint8_t *out, size_t want)
{
	uint8_t buf[IK_SECRET_MAX];
	unsigned int pad = 1;
	OSSL_PARAM params[2];
	EVP_PKEY_CTX *ctx;
	size_t len = sizeof(buf);
	int rc = -1;

	if (want > sizeof(buf))
		return -1;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	if (!ctx)
		return -1;
	params[0] = OSSL_PARAM_construct_uint(OSSL_EXCHANGE_PARAM_PAD, &pad);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_derive_init(ctx) != 1 ||
	    (dh_pad && EVP_PKEY_CTX_set_params(ctx, params) != 1) ||
	    EVP_PKEY_derive_set_peer_ex(ctx, peer, validate) != 1 ||
	    EVP_PKEY_derive(ctx, buf, &len) != 1 || len > want)
		goto out;
	memset(out, 0, want - len);
	memcpy(out + want - len, buf, len);
	rc = 0;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* ---- MODP (RFC 3526) ------------------------------------------------ */

static int modp_public(const struct ik_kex *k, uint8_t *out)
{
	BIGNUM *y = NULL;
	int rc = -1;

	if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY, &y) == 1 &&
	    BN_bn2binpad(y, out, k->ops->pub_len) == (int)k->ops->pub_len)
		rc = 0;
	BN_free(y);
	return rc;
}

static int modp_shared(struct ik_kex *k, const uint8_t *peer, size_t plen,
		       uint8_t *out)
{
	BIGNUM *y = NULL, *p = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pk = NULL;
	int rc = -1;

	y = BN_bin2bn(peer, plen, NULL);
	if (!y ||
	    EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_FFC_P, &p) != 1 ||
	    !BN_sub_word(p, 1))
		goto out;
	/*
	 * 1 < y < p-1.  The groups' primes are safe primes, so this rules out
	 * the only small subgroup ({1, p-1}); OpenSSL's own (full) check would
	 * add a modular exponentiation by q per exchange for nothing more.
	 */
	if (BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, p) >= 0)
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					     k->ops->name, 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	if (!params)
		goto out;
	pk = peer_fromdata(k->ops, params);
	if (pk)
		rc = derive(k, pk, false, true, out, k->ops->secret_len);
out:
	EVP_PKEY_free(pk);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(p);
	BN_free(y);
	return rc;
}

/* ---- ECP (RFC 5903) ------------------------------------------------- */

static int ecp_public(const struct ik_kex *k, uint8_t *out)
{
	uint8_t buf[1 + 2 * 66];
	size_t len = 0;

	/* Uncompressed SEC1 point: 0x04 | x | y; IKE sends x | y. */
	if (EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY,
					    buf, sizeof(buf), &len) != 1 ||
	    len != 1 + k->ops->pub_len || buf[0] != 0x04)
		return -1;
	memcpy(out, buf + 1, k->ops->pub_len);
	return 0;
}

static int ecp_shared(struct ik_kex *k, const uint8_t *peer, size_t plen,
		      uint8_t *out)
{
	uint8_t point[1 + 2 * 66];
	OSSL_PARAM params[3];
	EVP_PKEY *pk;
	int rc;

	if (plen + 1 > sizeof(point))
		return -1;
	point[0] = 0x04;
	memcpy(point + 1, peer, plen);
	params[0] = OSSL_PARAM_construct_utf8_string(
		OSSL_PKEY_PARAM_GROUP_NAME, (char *)k->ops->name, 0);
	params[1] = OSSL_PARAM_construct_octet_string(
		OSSL_PKEY_PARAM_PUB_KEY, point, plen + 1);
	params[2] = OSSL_PARAM_construct_end();
	/* The import refuses points off the curve; derive checks again. */
	pk = peer_fromdata(k->ops, params);
	if (!pk)
		return -1;
	rc = derive(k, pk, true, false, out, k->ops->secret_len);
	EVP_PKEY_free(pk);
	return rc;
}

/* ---- X25519 (RFC 7748, RFC 8031) ------------------------------------ */

static int x25519_public(const struct ik_kex *k, uint8_t *out)
{
	size_t len = k->ops->pub_len;

	if (EVP_PKEY_get_raw_public_key(k->pkey, out, &len) != 1 ||
	    len != k->ops->pub_len)
		return -1;
	return 0;
}

static int x25519_shared(struct ik_kex *k, const uint8_t *peer, size_t plen,
			 uint8_t *out)
{
	uint8_t acc = 0;
	EVP_PKEY *pk;
	size_t i;
	int rc;

	pk = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, peer, plen);
	if (!pk)
		return -1;
	rc = derive(k, pk, false, false, out, k->ops->secret_len);
	EVP_PKEY_free(pk);
	if (rc < 0)
		return -1;
	/* RFC 8031 2: a low-order point gives zero; OpenSSL refuses it too. */
	for (i = 0; i < k->ops->secret_len; i++)
		acc |= out[i];
	if (!acc)
		return -1;
	return 0;
}

/* ---- ML-KEM (FIPS 203) --------------------------------------------- */

/* The module rank k: ek is 384 k + 32 bytes. */
static int mlkem_rank(const struct kex_ops *o)
{
	return (int)((o->pub_len - 32) / 384);
}

static int mlkem_generate(struct ik_kex *k)
{
	int rank = mlkem_rank(k->ops);
	uint8_t ek[IK_MLKEM_EK_MAX];

	if (k->responder)
		return 0;		/* no key pair: it encapsulates */
	if (ik_mlkem_uses_libcrypto()) {
		k->pkey = ik_mlkem_evp_keygen(rank, NULL);
		return k->pkey ? 0 : -1;
	}
	k->kem_len = IK_MLKEM_DK_LEN(rank);
	k->kem = malloc(k->kem_len);
	if (!k->kem)
		return -1;
	return ik_mlkem_keygen(rank, ek, k->kem);
}

static int mlkem_public(const struct ik_kex *k, uint8_t *out)
{
	int rank = mlkem_rank(k->ops);

	if (k->responder)
		memcpy(out, k->kem, k->ops->resp_len);	/* the ciphertext */
	else if (k->pkey)
		return ik_mlkem_evp_ek(k->pkey, out, k->ops->pub_len);
	else	/* dk = dk_PKE | ek | H(ek) | z */
		memcpy(out, k->kem + 384 * rank, k->ops->pub_len);
	return 0;
}

/* Responder: encapsulate to the initiator's ek, once. */
static int mlkem_encapsulate(struct ik_kex *k, const uint8_t *ek,
			     size_t eklen, uint8_t *out)
{
	int rank = mlkem_rank(k->ops), rc;

	if (k->encapsulated)
		return -1;
	k->kem_len = k->ops->resp_len;
	k->kem = malloc(k->kem_len);
	if (!k->kem)
		return -1;
	if (ik_mlkem_uses_libcrypto())
		rc = ik_mlkem_evp_encaps(rank, ek, eklen, NULL, out, k->kem);
	else
		rc = ik_mlkem_encaps(rank, ek, eklen, out, k->kem);
	if (rc < 0) {
		free(k->kem);
		k->kem = NULL;
		return -1;
	}
	k->encapsulated = true;
	return 0;
}

static int mlkem_shared(struct ik_kex *k, const uint8_t *peer, size_t plen,
			uint8_t *out)
{
	if (k->responder)
		return mlkem_encapsulate(k, peer, plen, out);
	if (k->pkey)
		return ik_mlkem_evp_decaps(k->pkey, peer, plen, out);
	return ik_mlkem_decaps(mlkem_rank(k->ops), k->kem, k->kem_len, peer,
			       plen, out);
}

/* ---- the table ------------------------------------------------------ */

static const struct kex_ops kex_table[] = {
	{ IKE_KE_MODP2048, "DH", "modp_2048", 256, 256, 256, false,
	  keygen_named, modp_public, modp_shared },
	{ IKE_KE_MODP3072, "DH", "modp_3072", 384, 384, 384, false,
	  keygen_named, modp_public, modp_shared },
	{ IKE_KE_ECP256, "EC", "P-256", 64, 64, 32, false,
	  keygen_named, ecp_public, ecp_shared },
	{ IKE_KE_ECP384, "EC", "P-384", 96, 96, 48, false,
	  keygen_named, ecp_public, ecp_shared },
	{ IKE_KE_X25519, "X25519", NULL, 32, 32, 32, false,
	  keygen_named, x25519_public, x25519_shared },
	{ IKE_KE_MLKEM512, NULL, NULL, IK_MLKEM_EK_LEN(2), IK_MLKEM_CT_LEN(2),
	  IK_MLKEM_SS_LEN, true, mlkem_generate, mlkem_public, mlkem_shared },
	{ IKE_KE_MLKEM768, NULL, NULL, IK_MLKEM_EK_LEN(3), IK_MLKEM_CT_LEN(3),
	  IK_MLKEM_SS_LEN, true, mlkem_generate, mlkem_public, mlkem_shared },
	{ IKE_KE_MLKEM1024, NULL, NULL, IK_MLKEM_EK_LEN(4), IK_MLKEM_CT_LEN(4),
	  IK_MLKEM_SS_LEN, true, mlkem_generate, mlkem_public, mlkem_shared },
};

static const struct kex_ops *kex_find(uint16_t group)
{
	size_t i;

	for (i = 0; i < sizeof(kex_table) / sizeof(kex_table[0]); i++)
		if (kex_table[i].group == group)
			return &kex_table[i];
	return NULL;
}

bool ik_kex_supported(uint16_t group)
{
	return kex_find(group) != NULL;
}

size_t ik_kex_peer_len(uint16_t group, bool we_initiated)
{
	const struct kex_ops *o = kex_find(group);

	if (!o)
		return 0;
	return we_initiated ? o->resp_len : o->pub_len;
}

static struct ik_kex *kex_new(uint16_t group, bool responder)
{
	const struct kex_ops *o = kex_find(group);
	struct ik_kex *k;

	if (!o)
		return NULL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->ops = o;
	k->responder = responder && o->kem;
	if (o->generate(k) < 0) {
		ik_kex_free(k);
		return NULL;
	}
	return k;
}

struct ik_kex *ik_kex_new(uint16_t group)
{
	return kex_new(group, false);
}

struct ik_kex *ik_kex_new_responder(uint16_t group)
{
	return kex_new(group, true);
}

struct ik_kex *ik_kex_new_with_private(uint16_t group, const uint8_t *priv,
				       size_t len)
{
	const struct kex_ops *o = kex_find(group);
	struct ik_kex *k;

	if (!o || !priv || group != IKE_KE_X25519)
		return NULL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->ops = o;
	k->pkey = EVP_PKEY_new_raw_private_key_ex(NULL, "X25519", NULL,
						  priv, len);
	if (!k->pkey) {
		free(k);
		return NULL;
	}
	return k;
}

int ik_kex_shared(struct ik_kex *k, const uint8_t *peer, size_t plen,
		  uint8_t *out, size_t cap)
{
	const struct kex_ops *o;

	if (!k || !peer || !out)
		return -1;
	o = k->ops;
	/* a KEM's initiator gets the ciphertext, its responder ek */
	if (plen != (o->kem && !k->responder ? o->resp_len : o->pub_len) ||
	    cap < o->secret_len)
		return -1;
	if (o->shared(k, peer, plen, out) < 0) {
		OPENSSL_cleanse(out, o->secret_len);
		return -1;
	}
	return (int)o->secret_len;
}

int ik_kex_public(const struct ik_kex *k, uint8_t *out, size_t cap)
{
	size_t len;

	if (!k || !out)
		return -1;
	if (k->responder && !k->encapsulated)
		return -1;	/* a KEM responder has nothing to send yet */
	len = k->responder ? k->ops->resp_len : k->ops->pub_len;
	if (cap < len || k->ops->public(k, out) < 0)
		return -1;
	return (int)len;
}

void ik_kex_free(struct ik_kex *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);		/* cleanses the private key */
	if (k->kem) {
		OPENSSL_cleanse(k->kem, k->kem_len);
		free(k->kem);
	}
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}
