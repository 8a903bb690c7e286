// SPDX-License-Identifier: GPL-2.0
/*
 * libcrypto's ML-KEM (OpenSSL 3.5 and later), and the choice between it and
 * the project's own (mlkem.c).
 *
 * Why at run time: iketcpd is built against Debian 12's OpenSSL 3.0
 * headers, which know nothing of ML-KEM, and the same binary (or source)
 * should use libcrypto's on a system whose libcrypto has it (Debian 13's
 * 3.5): a vetted, FIPS-validated implementation with assembly.  So nothing
 * here names a 3.5 symbol: the key types are fetched by name ("ML-KEM-768")
 * and the 3.5 parameters by their strings ("seed", "ikme").  The probe is
 * EVP_PKEY_CTX_new_from_name(NULL, "ML-KEM-768", NULL), once.
 *
 * Input checks: OpenSSL 3.5 refuses an encapsulation key whose length is
 * wrong or whose coefficients are not below q (FIPS 203 7.2) when it is
 * imported, and ciphertexts of the wrong length; lengths are checked here
 * first anyway, so both implementations give the same answers.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto/mlkem.h"

static const char *evp_name(int k)
{
	switch (k) {
	case IK_MLKEM512:
		return "ML-KEM-512";
	case IK_MLKEM768:
		return "ML-KEM-768";
	case IK_MLKEM1024:
		return "ML-KEM-1024";
	}
	return NULL;
}

bool ik_mlkem_evp_available(void)
{
	static int probed = -1;
	EVP_PKEY_CTX *ctx;

	if (probed < 0) {
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "ML-KEM-768", NULL);
		probed = ctx != NULL;
		EVP_PKEY_CTX_free(ctx);
		ERR_clear_error();	/* 3.0's "unsupported" is no error */
	}
	return probed;
}

static enum ik_mlkem_impl selected = IK_MLKEM_AUTO;

int ik_mlkem_select(enum ik_mlkem_impl impl)
{
	if (impl == IK_MLKEM_LIBCRYPTO && !ik_mlkem_evp_available())
		return -1;
	selected = impl;
	return 0;
}

bool ik_mlkem_uses_libcrypto(void)
{
	return selected != IK_MLKEM_OWN && ik_mlkem_evp_available();
}

const char *ik_mlkem_impl_name(void)
{
	return ik_mlkem_uses_libcrypto() ? "libcrypto" : "iketcp";
}

EVP_PKEY *ik_mlkem_evp_keygen(int k, const uint8_t *seed)
{
	const char *name = evp_name(k);
	OSSL_PARAM params[2];
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *ctx;

	if (!name)
		return NULL;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL);
	if (!ctx)
		return NULL;
	params[0] = OSSL_PARAM_construct_octet_string("seed", (void *)seed, 64);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_keygen_init(ctx) != 1 ||
	    (seed && EVP_PKEY_CTX_set_params(ctx, params) != 1) ||
	    EVP_PKEY_generate(ctx, &pk) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

int ik_mlkem_evp_ek(const EVP_PKEY *pk, uint8_t *ek, size_t ek_len)
{
	size_t len = ek_len;

	if (!pk || !ek ||
	    EVP_PKEY_get_raw_public_key(pk, ek, &len) != 1 || len != ek_len)
		return -1;
	return 0;
}

int ik_mlkem_evp_dk(const EVP_PKEY *pk, uint8_t *dk, size_t dk_len)
{
	size_t len = dk_len;

	if (!pk || !dk ||
	    EVP_PKEY_get_raw_private_key(pk, dk, &len) != 1 || len != dk_len) {
		if (dk)
			OPENSSL_cleanse(dk, dk_len);
		return -1;
	}
	return 0;
}

EVP_PKEY *ik_mlkem_evp_from_dk(int k, const uint8_t *dk, size_t dk_len)
{
	const char *name = evp_name(k);

	if (!name || !dk || dk_len != IK_MLKEM_DK_LEN(k))
		return NULL;
	return EVP_PKEY_new_raw_private_key_ex(NULL, name, NULL, dk, dk_len);
}

int ik_mlkem_evp_encaps(int k, const uint8_t *ek, size_t ek_len,
			const uint8_t *m, uint8_t K[32], uint8_t *ct)
{
	const char *name = evp_name(k);
	size_t ctlen = IK_MLKEM_CT_LEN(k), klen = 32;
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	EVP_PKEY *pk = NULL;
	int rc = -1;

	if (!name || !ek || !K || !ct || ek_len != IK_MLKEM_EK_LEN(k))
		return -1;
	pk = EVP_PKEY_new_raw_public_key_ex(NULL, name, NULL, ek, ek_len);
	if (!pk)
		goto out;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	params[0] = OSSL_PARAM_construct_octet_string("ikme", (void *)m, 32);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx && EVP_PKEY_encapsulate_init(ctx, m ? params : NULL) == 1 &&
	    EVP_PKEY_encapsulate(ctx, ct, &ctlen, K, &klen) == 1 &&
	    ctlen == IK_MLKEM_CT_LEN(k) && klen == 32)
		rc = 0;
out:
	if (rc < 0) {
		OPENSSL_cleanse(K, 32);
		ERR_clear_error();
	}
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return rc;
}

int ik_mlkem_evp_decaps(EVP_PKEY *pk, const uint8_t *ct, size_t ct_len,
			uint8_t K[32])
{
	EVP_PKEY_CTX *ctx;
	size_t klen = 32;
	int rc = -1;

	if (!pk || !ct || !K)
		return -1;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	if (ctx && EVP_PKEY_decapsulate_init(ctx, NULL) == 1 &&
	    EVP_PKEY_decapsulate(ctx, K, &klen, ct, ct_len) == 1 && klen == 32)
		rc = 0;
	if (rc < 0) {
		OPENSSL_cleanse(K, 32);
		ERR_clear_error();
	}
	EVP_PKEY_CTX_free(ctx);
	return rc;
}
