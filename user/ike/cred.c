// SPDX-License-Identifier: GPL-2.0
/*
 * Certificate credentials and IKE_AUTH signatures: see cred.h.
 *
 * Every OpenSSL failure here is turned into a line in `why`/`err` and the
 * library's error queue is cleared, so no stale error reaches other code.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "ike/cred.h"
#include "ike/wire.h"

struct ike_cred {
	EVP_PKEY *key;
	int n_chain;
	X509 *chain[IKE_CRED_MAX_CHAIN];	/* [0]: ours, then intermediates */
	uint8_t *der[IKE_CRED_MAX_CHAIN];
	size_t der_len[IKE_CRED_MAX_CHAIN];
	X509_STORE *store;			/* the trust anchors */
	uint8_t *certreq;			/* SHA-1(SPKI) of each anchor */
	size_t certreq_len;
	char key_name[32];
};

/* ---- files ------------------------------------------------------------- */

/* The whole regular file at path, malloc()ed; 0 or -1 with err. */
static int read_file(const char *path, uint8_t **buf, size_t *len,
		     const char *what, char *err, size_t errlen)
{
	struct stat st;
	size_t got = 0;
	uint8_t *b;
	ssize_t n;
	int fd;

	*buf = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > IKE_CRED_FILE_MAX) {
		snprintf(err, errlen, "%s %s: not a regular file of 1 to %d "
			 "bytes", what, path, IKE_CRED_FILE_MAX);
		close(fd);
		return -1;
	}
	b = malloc((size_t)st.st_size);
	if (!b) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, b + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		OPENSSL_clear_free(b, (size_t)st.st_size);
		snprintf(err, errlen, "%s %s: short read", what, path);
		return -1;
	}
	*buf = b;
	*len = got;
	return 0;
}

/*
 * The certificates of a PEM buffer (all of them, in order) or of a DER
 * one (one): into out[], at most max.  Their number, or -1 when there are
 * more than max, or 0 when none parses.
 */
static int parse_certs(const uint8_t *buf, size_t len, X509 **out, int max)
{
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	const unsigned char *p = buf;
	int n = 0;
	X509 *x;

	if (!bio)
		return 0;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		if (n == max) {
			X509_free(x);
			n = -1;
			break;
		}
		out[n++] = x;
	}
	BIO_free(bio);
	if (n == 0) {
		x = d2i_X509(NULL, &p, (long)len);
		if (x && p == buf + len)
			out[n++] = x;
		else
			X509_free(x);
	}
	if (n < 0)
		while (max > 0)
			X509_free(out[--max]);
	ERR_clear_error();
	return n;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static EVP_PKEY *parse_key(const uint8_t *buf, size_t len)
{
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	EVP_PKEY *k = NULL;

	if (bio)
		k = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (!k) {
		const unsigned char *p = buf;

		k = d2i_AutoPrivateKey(NULL, &p, (long)len);
	}
	ERR_clear_error();
	return k;
}

static void name_key(struct ike_cred *c)
{
	int bits = EVP_PKEY_get_bits(c->key);

	switch (EVP_PKEY_get_base_id(c->key)) {
	case EVP_PKEY_EC:
		snprintf(c->key_name, sizeof(c->key_name), "ECDSA P-%d", bits);
		break;
	case EVP_PKEY_RSA:
		snprintf(c->key_name, sizeof(c->key_name), "RSA-%d", bits);
		break;
	case EVP_PKEY_RSA_PSS:
		snprintf(c->key_name, sizeof(c->key_name), "RSA-PSS-%d", bits);
		break;
	case EVP_PKEY_ED25519:
		snprintf(c->key_name, sizeof(c->key_name), "Ed25519");
		break;
	case EVP_PKEY_ED448:
		snprintf(c->key_name, sizeof(c->key_name), "Ed448");
		break;
	default:
		c->key_name[0] = '\0';
	}
}

/* Each CA's SHA-1(subjectPublicKeyInfo) appended to c->certreq. */
static int add_certreq(struct ike_cred *c, X509 *ca)
{
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	uint8_t *grown;
	int n;

	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(ca), &der);
	if (n <= 0)
		return -1;
	if (!EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha1(), NULL)) {
		OPENSSL_free(der);
		return -1;
	}
	OPENSSL_free(der);
	grown = realloc(c->certreq, c->certreq_len + mdlen);
	if (!grown)
		return -1;
	c->certreq = grown;
	memcpy(c->certreq + c->certreq_len, md, mdlen);
	c->certreq_len += mdlen;
	return 0;
}

static int load_cas(struct ike_cred *c, const char *const *files, size_t n,
		    char *err, size_t errlen)
{
	X509 *x[64];
	uint8_t *buf;
	size_t len, i;
	int k, got;

	c->store = X509_STORE_new();
	if (!c->store) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!n) {
		snprintf(err, errlen, "no ca file");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (read_file(files[i], &buf, &len, "ca file", err, errlen))
			return -1;
		got = parse_certs(buf, len, x, 64);
		free(buf);
		if (got <= 0) {
			snprintf(err, errlen, "ca file %s: %s", files[i],
				 got ? "more than 64 certificates"
				     : "no PEM or DER certificate");
			return -1;
		}
		for (k = 0; k < got; k++) {
			if (!X509_STORE_add_cert(c->store, x[k]) ||
			    add_certreq(c, x[k])) {
				snprintf(err, errlen, "ca file %s: certificate "
					 "%d not usable", files[i], k + 1);
				while (k < got)
					X509_free(x[k++]);
				ERR_clear_error();
				return -1;
			}
			X509_free(x[k]);
		}
	}
	return 0;
}

int ike_cred_load(const char *cert_file, const char *key_file,
		  const char *const *ca_files, size_t n_ca,
		  struct ike_cred **out, char *err, size_t errlen)
{
	struct ike_cred *c = calloc(1, sizeof(*c));
	uint8_t *buf;
	size_t len;
	int i, n;

	*out = NULL;
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (read_file(cert_file, &buf, &len, "cert file", err, errlen))
		goto fail;
	n = parse_certs(buf, len, c->chain, IKE_CRED_MAX_CHAIN);
	free(buf);
	if (n <= 0) {
		snprintf(err, errlen, "cert file %s: %s", cert_file,
			 n ? "more than 8 certificates"
			   : "no PEM or DER certificate");
		goto fail;
	}
	c->n_chain = n;
	for (i = 0; i < n; i++) {
		unsigned char *p = NULL;
		int dl = i2d_X509(c->chain[i], &p);

		if (dl <= 0) {
			snprintf(err, errlen, "cert file %s: certificate %d "
				 "cannot be encoded", cert_file, i + 1);
			goto fail;
		}
		c->der[i] = p;
		c->der_len[i] = (size_t)dl;
	}

	/* the key: read once, the file's bytes wiped at once */
	if (read_file(key_file, &buf, &len, "key file", err, errlen))
		goto fail;
	c->key = parse_key(buf, len);
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (!c->key) {
		snprintf(err, errlen, "key file %s: not an unencrypted PEM or "
			 "DER private key", key_file);
		goto fail;
	}
	name_key(c);
	if (!c->key_name[0]) {
		snprintf(err, errlen, "key file %s: unsupported key type "
			 "(ECDSA, RSA, RSA-PSS, Ed25519 or Ed448)", key_file);
		goto fail;
	}
	if (X509_check_private_key(c->chain[0], c->key) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "key file %s does not belong to the "
			 "certificate in %s", key_file, cert_file);
		goto fail;
	}
	if (load_cas(c, ca_files, n_ca, err, errlen))
		goto fail;
	*out = c;
	return 0;
fail:
	ERR_clear_error();
	ike_cred_free(c);
	return -1;
}

void ike_cred_free(struct ike_cred *c)
{
	int i;

	if (!c)
		return;
	EVP_PKEY_free(c->key);		/* private parts cleared by OpenSSL */
	for (i = 0; i < c->n_chain; i++) {
		X509_free(c->chain[i]);
		OPENSSL_free(c->der[i]);
	}
	X509_STORE_free(c->store);
	free(c->certreq);
	free(c);
}

int ike_cred_subject(const struct ike_cred *c, uint8_t *out, size_t cap)
{
	X509_NAME *n = X509_get_subject_name(c->chain[0]);
	unsigned char *p = out;
	int len = i2d_X509_NAME(n, NULL);

	if (len <= 0 || (size_t)len > cap)
		return -1;
	i2d_X509_NAME(n, &p);
	return len;
}

bool ike_cred_has_id(const struct ike_cred *c, uint8_t type,
		     const uint8_t *data, size_t len)
{
	return ike_cert_has_id(c->chain[0], type, data, len);
}

const char *ike_cred_key_name(const struct ike_cred *c)
{
	return c->key_name;
}

/* ---- payloads ---------------------------------------------------------- */

void ike_cred_put_init(const struct ike_cred *c, bool responder,
		       struct ike_wbuf *w)
{
	static const uint8_t algs[] = {
		0, IKE_HASH_SHA2_256, 0, IKE_HASH_SHA2_384,
		0, IKE_HASH_SHA2_512, 0, IKE_HASH_IDENTITY,
	};

	if (!c)
		return;
	ike_w_notify(w, 0, NULL, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS, algs,
		     sizeof(algs));
	if (responder)
		ike_cred_put_certreq(c, w);
}

void ike_cred_put_certs(const struct ike_cred *c, struct ike_wbuf *w)
{
	int i;

	for (i = 0; i < c->n_chain; i++)
		ike_w_cert(w, IKE_PL_CERT, IKE_CERT_X509_SIG, c->der[i],
			   c->der_len[i]);
}

void ike_cred_put_certreq(const struct ike_cred *c, struct ike_wbuf *w)
{
	if (c->certreq_len)
		ike_w_cert(w, IKE_PL_CERTREQ, IKE_CERT_X509_SIG, c->certreq,
			   c->certreq_len);
}

uint32_t ike_hash_algs_mask(const uint8_t *data, size_t len)
{
	uint32_t mask = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		unsigned v = (unsigned)data[i] << 8 | data[i + 1];

		if (v < 32)
			mask |= 1u << v;
	}
	return mask;
}

/* ---- signatures -------------------------------------------------------- */

/* DER AlgorithmIdentifiers we sign with (RFC 7427 appendix A, RFC 8420) */
static const uint8_t ai_ecdsa256[] = {
	0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
};
static const uint8_t ai_ecdsa384[] = {
	0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03,
};
static const uint8_t ai_ecdsa512[] = {
	0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04,
};
/* RSASSA-PSS: hash H, MGF1 with H, salt of H's length, trailer 1 */
#define AI_PSS(h, salt) { \
	0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, \
	0x01, 0x0a, 0x30, 0x34, \
	0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, \
	0x03, 0x04, 0x02, (h), 0x05, 0x00, \
	0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, \
	0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, \
	0x01, 0x65, 0x03, 0x04, 0x02, (h), 0x05, 0x00, \
	0xa2, 0x03, 0x02, 0x01, (salt) }
static const uint8_t ai_pss256[] = AI_PSS(0x01, 32);
static const uint8_t ai_pss384[] = AI_PSS(0x02, 48);
static const uint8_t ai_pss512[] = AI_PSS(0x03, 64);
static const uint8_t ai_ed25519[] = { 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70 };
static const uint8_t ai_ed448[] = { 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x71 };

struct sig_choice {
	uint8_t hash;			/* IKE_HASH_* */
	const uint8_t *ai;
	size_t ai_len;
};

#define CHOICE(h, a) { h, a, sizeof(a) }
static const struct sig_choice ecdsa_choices[] = {
	CHOICE(IKE_HASH_SHA2_256, ai_ecdsa256),
	CHOICE(IKE_HASH_SHA2_384, ai_ecdsa384),
	CHOICE(IKE_HASH_SHA2_512, ai_ecdsa512),
};
static const struct sig_choice pss_choices[] = {
	CHOICE(IKE_HASH_SHA2_256, ai_pss256),
	CHOICE(IKE_HASH_SHA2_384, ai_pss384),
	CHOICE(IKE_HASH_SHA2_512, ai_pss512),
};
static const struct sig_choice ed25519_choice = CHOICE(IKE_HASH_IDENTITY,
						       ai_ed25519);
static const struct sig_choice ed448_choice = CHOICE(IKE_HASH_IDENTITY,
						     ai_ed448);

static const EVP_MD *hash_md(uint8_t hash)
{
	switch (hash) {
	case IKE_HASH_SHA2_256:
		return EVP_sha256();
	case IKE_HASH_SHA2_384:
		return EVP_sha384();
	case IKE_HASH_SHA2_512:
		return EVP_sha512();
	}
	return NULL;
}

/*
 * The signature algorithm for key: the candidates in our order of
 * preference, the first the peer announced wins (the first at all when it
 * announced nothing).  NULL if none.
 */
static const struct sig_choice *choose_sig(EVP_PKEY *key, bool announced,
					   uint32_t peer)
{
	const struct sig_choice *cand[3];
	int n = 0, i, bits;

	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_EC:
		bits = EVP_PKEY_get_bits(key);
		/* the curve's own hash first, then the others upwards */
		if (bits > 384)
			cand[n++] = &ecdsa_choices[2];
		else if (bits > 256)
			cand[n++] = &ecdsa_choices[1];
		for (i = 0; i < 3; i++)
			if (!n || cand[0] != &ecdsa_choices[i])
				cand[n++] = &ecdsa_choices[i];
		break;
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		for (i = 0; i < 3; i++)
			cand[n++] = &pss_choices[i];
		break;
	case EVP_PKEY_ED25519:
		cand[n++] = &ed25519_choice;
		break;
	case EVP_PKEY_ED448:
		cand[n++] = &ed448_choice;
		break;
	}
	for (i = 0; i < n; i++)
		if (!announced || (peer & (1u << cand[i]->hash)))
			return cand[i];
	return NULL;
}

/* One signature: md NULL for EdDSA; pss for RSASSA-PSS. */
static int digest_sign(EVP_PKEY *key, const EVP_MD *md, bool pss,
		       const uint8_t *tbs, size_t n, uint8_t *sig,
		       size_t *siglen)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	ok = m && EVP_DigestSignInit(m, &pctx, md, NULL, key) == 1;
	if (ok && pss)
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx,
						  RSA_PKCS1_PSS_PADDING) > 0 &&
		     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) > 0 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
						RSA_PSS_SALTLEN_DIGEST) > 0;
	ok = ok && EVP_DigestSign(m, sig, siglen, tbs, n) == 1;
	EVP_MD_CTX_free(m);
	return ok ? 0 : -1;
}

int ike_sig_sign(EVP_PKEY *key, bool peer_announced, uint32_t peer_hashes,
		 const uint8_t *octets, size_t olen, uint8_t *method,
		 uint8_t **auth, size_t *len, char *why, size_t whylen)
{
	const struct sig_choice *ch = NULL;
	size_t max = (size_t)EVP_PKEY_get_size(key), siglen, off;
	int type = EVP_PKEY_get_base_id(key);
	const EVP_MD *md;
	uint8_t *out;
	bool pss;

	*auth = NULL;
	if (!peer_announced && type == EVP_PKEY_RSA) {
		/* a peer without RFC 7427: RFC 7296's method 1 */
		*method = IKE_AUTH_RSA_SIG;
		md = EVP_sha1();
		pss = false;
		off = 0;
	} else {
		ch = choose_sig(key, peer_announced, peer_hashes);
		if (!ch) {
			snprintf(why, whylen, "the peer's SIGNATURE_HASH_"
				 "ALGORITHMS has no hash our key can use");
			return -1;
		}
		*method = IKE_AUTH_DIGITAL_SIG;
		md = hash_md(ch->hash);
		pss = type == EVP_PKEY_RSA || type == EVP_PKEY_RSA_PSS;
		off = 1 + ch->ai_len;
	}
	out = malloc(off + max);
	if (!out) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (ch) {
		out[0] = (uint8_t)ch->ai_len;
		memcpy(out + 1, ch->ai, ch->ai_len);
	}
	siglen = max;
	if (digest_sign(key, md, pss, octets, olen, out + off, &siglen)) {
		ERR_clear_error();
		free(out);
		snprintf(why, whylen, "signing AUTH failed");
		return -1;
	}
	*auth = out;
	*len = off + siglen;
	return 0;
}

int ike_cred_sign(const struct ike_cred *c, bool peer_announced,
		  uint32_t peer_hashes, const uint8_t *octets, size_t olen,
		  uint8_t *method, uint8_t **auth, size_t *len, char *why,
		  size_t whylen)
{
	return ike_sig_sign(c->key, peer_announced, peer_hashes, octets, olen,
			    method, auth, len, why, whylen);
}

static uint8_t md_hash_id(const EVP_MD *md)
{
	switch (md ? EVP_MD_get_type(md) : NID_undef) {
	case NID_sha256:
		return IKE_HASH_SHA2_256;
	case NID_sha384:
		return IKE_HASH_SHA2_384;
	case NID_sha512:
		return IKE_HASH_SHA2_512;
	}
	return 0;
}

/* An AlgorithmIdentifier's parameters as a DER SEQUENCE, or NULL. */
static const ASN1_STRING *seq_param(const X509_ALGOR *a)
{
	const ASN1_OBJECT *obj;
	const void *pval;
	int ptype;

	X509_ALGOR_get0(&obj, &ptype, &pval, a);
	return ptype == V_ASN1_SEQUENCE ? pval : NULL;
}

/* The hash of an AlgorithmIdentifier (its OID), or NULL. */
static const EVP_MD *algor_md(const X509_ALGOR *a)
{
	const ASN1_OBJECT *obj;

	X509_ALGOR_get0(&obj, NULL, NULL, a);
	return EVP_get_digestbyobj(obj);
}

/*
 * RSASSA-PSS-params (RFC 4055): hash, MGF1's hash, salt length.  Absent
 * fields take their defaults (SHA-1, MGF1-SHA-1, 20), which the caller then
 * refuses with SHA-1.  0 or -1.
 */
static int pss_params(const X509_ALGOR *alg, const EVP_MD **md,
		      const EVP_MD **mgf_md, int *salt)
{
	const ASN1_STRING *s = seq_param(alg), *ms;
	const unsigned char *p;
	RSA_PSS_PARAMS *pp;
	X509_ALGOR *mgf = NULL;
	int rc = -1;
	long v;

	if (!s)
		return -1;
	p = ASN1_STRING_get0_data(s);
	pp = d2i_RSA_PSS_PARAMS(NULL, &p, ASN1_STRING_length(s));
	if (!pp)
		return -1;
	*md = pp->hashAlgorithm ? algor_md(pp->hashAlgorithm) : EVP_sha1();
	*mgf_md = EVP_sha1();
	if (pp->maskGenAlgorithm) {
		const ASN1_OBJECT *obj;

		X509_ALGOR_get0(&obj, NULL, NULL, pp->maskGenAlgorithm);
		ms = seq_param(pp->maskGenAlgorithm);
		if (OBJ_obj2nid(obj) != NID_mgf1 || !ms)
			goto out;
		p = ASN1_STRING_get0_data(ms);
		mgf = d2i_X509_ALGOR(NULL, &p, ASN1_STRING_length(ms));
		if (!mgf)
			goto out;
		*mgf_md = algor_md(mgf);
	}
	*salt = 20;
	if (pp->saltLength) {
		v = ASN1_INTEGER_get(pp->saltLength);
		if (v < 0 || v > 1024)
			goto out;
		*salt = (int)v;
	}
	if (pp->trailerField && ASN1_INTEGER_get(pp->trailerField) != 1)
		goto out;
	rc = *md && *mgf_md ? 0 : -1;
out:
	X509_ALGOR_free(mgf);
	RSA_PSS_PARAMS_free(pp);
	return rc;
}

static int digest_verify(EVP_PKEY *pub, const EVP_MD *md, int padding,
			 const EVP_MD *mgf_md, int salt, const uint8_t *sig,
			 size_t siglen, const uint8_t *tbs, size_t n)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	ok = m && EVP_DigestVerifyInit(m, &pctx, md, NULL, pub) == 1;
	if (ok && padding)
		ok = EVP_PKEY_CTX_set_rsa_padding(pctx, padding) > 0;
	if (ok && padding == RSA_PKCS1_PSS_PADDING)
		ok = EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, mgf_md) > 0 &&
		     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt) > 0;
	ok = ok && EVP_DigestVerify(m, sig, siglen, tbs, n) == 1;
	EVP_MD_CTX_free(m);
	return ok ? 0 : -1;
}

static int fail(char *why, size_t whylen, const char *msg)
{
	snprintf(why, whylen, "%s", msg);
	ERR_clear_error();
	return -1;
}

/* Method 14: the AlgorithmIdentifier says how; check it fits the key. */
static int verify_digital(EVP_PKEY *pub, const uint8_t *auth, size_t len,
			  const uint8_t *tbs, size_t n, char *why,
			  size_t whylen)
{
	int type = EVP_PKEY_get_base_id(pub), nid, want, padding = 0;
	int salt = 0, rc;
	const EVP_MD *md = NULL, *mgf_md = NULL;
	const ASN1_OBJECT *obj;
	const unsigned char *p;
	X509_ALGOR *alg;
	size_t alen;
	uint8_t hash;
	char oid[80];

	if (len < 2 || !auth[0] || auth[0] > len - 1)
		return fail(why, whylen, "AUTH data of method 14 too short "
			    "for its AlgorithmIdentifier");
	alen = auth[0];
	p = auth + 1;
	alg = d2i_X509_ALGOR(NULL, &p, (long)alen);
	if (!alg || p != auth + 1 + alen) {
		X509_ALGOR_free(alg);
		return fail(why, whylen, "AUTH: malformed AlgorithmIdentifier");
	}
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	nid = OBJ_obj2nid(obj);
	switch (nid) {
	case NID_ecdsa_with_SHA256:
	case NID_ecdsa_with_SHA384:
	case NID_ecdsa_with_SHA512:
		want = EVP_PKEY_EC;
		md = nid == NID_ecdsa_with_SHA256 ? EVP_sha256() :
		     nid == NID_ecdsa_with_SHA384 ? EVP_sha384() : EVP_sha512();
		break;
	case NID_sha256WithRSAEncryption:
	case NID_sha384WithRSAEncryption:
	case NID_sha512WithRSAEncryption:
		want = EVP_PKEY_RSA;
		padding = RSA_PKCS1_PADDING;
		md = nid == NID_sha256WithRSAEncryption ? EVP_sha256() :
		     nid == NID_sha384WithRSAEncryption ? EVP_sha384()
							: EVP_sha512();
		break;
	case NID_rsassaPss:
		want = type == EVP_PKEY_RSA_PSS ? EVP_PKEY_RSA_PSS
						: EVP_PKEY_RSA;
		padding = RSA_PKCS1_PSS_PADDING;
		if (pss_params(alg, &md, &mgf_md, &salt) ||
		    !md_hash_id(mgf_md)) {
			X509_ALGOR_free(alg);
			return fail(why, whylen, "AUTH: RSASSA-PSS parameters "
				    "unsupported (hash, MGF1 with a SHA-2 "
				    "hash, trailer 1)");
		}
		break;
	case NID_sha1WithRSAEncryption:
	case NID_ecdsa_with_SHA1:
		want = nid == NID_ecdsa_with_SHA1 ? EVP_PKEY_EC : EVP_PKEY_RSA;
		md = EVP_sha1();	/* refused below: not announced */
		break;
	case NID_ED25519:
		want = EVP_PKEY_ED25519;
		break;
	case NID_ED448:
		want = EVP_PKEY_ED448;
		break;
	default:
		OBJ_obj2txt(oid, sizeof(oid), obj, 0);
		X509_ALGOR_free(alg);
		snprintf(why, whylen, "AUTH: signature algorithm %s not "
			 "supported", oid);
		ERR_clear_error();
		return -1;
	}
	X509_ALGOR_free(alg);
	hash = md ? md_hash_id(md) : IKE_HASH_IDENTITY;
	if (!hash || !(IKE_HASH_ALGS_OURS & (1u << hash)))
		return fail(why, whylen, "AUTH: signed with a hash we did not "
			    "announce");
	if (type != want) {
		snprintf(why, whylen, "AUTH: signature algorithm %s does not "
			 "fit the certificate's key", OBJ_nid2sn(nid));
		ERR_clear_error();
		return -1;
	}
	rc = digest_verify(pub, md, padding, mgf_md, salt, auth + 1 + alen,
			   len - 1 - alen, tbs, n);
	if (rc)
		return fail(why, whylen, "AUTH signature does not verify with "
			    "the certificate's key");
	return 0;
}

int ike_sig_verify(EVP_PKEY *pub, bool peer_announced, uint8_t method,
		   const uint8_t *auth, size_t len, const uint8_t *octets,
		   size_t olen, char *why, size_t whylen)
{
	if (method == IKE_AUTH_DIGITAL_SIG)
		return verify_digital(pub, auth, len, octets, olen, why,
				      whylen);
	if (method != IKE_AUTH_RSA_SIG) {
		snprintf(why, whylen, "AUTH method %u, expected a signature "
			 "(14, or 1)", method);
		return -1;
	}
	if (peer_announced)
		return fail(why, whylen, "AUTH method 1 (RSA with SHA-1) from "
			    "a peer that announced RFC 7427 signatures");
	if (EVP_PKEY_get_base_id(pub) != EVP_PKEY_RSA)
		return fail(why, whylen, "AUTH method 1 with a certificate "
			    "whose key is not RSA");
	if (digest_verify(pub, EVP_sha1(), RSA_PKCS1_PADDING, NULL, 0, auth,
			  len, octets, olen))
		return fail(why, whylen, "AUTH signature does not verify with "
			    "the certificate's key");
	return 0;
}

/* ---- certificates ------------------------------------------------------ */

static void dn_text(X509_NAME *n, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int got = 0;

	buf[0] = '\0';
	if (!b)
		return;
	if (X509_NAME_print_ex(b, n, 0, (XN_FLAG_SEP_CPLUS_SPC |
					ASN1_STRFLGS_RFC2253) &
			       ~ASN1_STRFLGS_ESC_MSB) >= 0)
		got = BIO_read(b, buf, (int)len - 1);
	buf[got > 0 ? got : 0] = '\0';
	BIO_free(b);
}

X509 *ike_cred_verify_chain(const struct ike_cred *c,
			    const struct ike_cert_pl *certs, size_t n,
			    char *why, size_t whylen)
{
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509_STORE_CTX *ctx = NULL;
	X509 *ee = NULL, *x;
	const unsigned char *p;
	char dn[200];
	size_t i;
	int err, depth;

	if (!untrusted) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (certs[i].encoding != IKE_CERT_X509_SIG)
			continue;	/* other encodings: not ours to use */
		p = certs[i].data.p;
		x = d2i_X509(NULL, &p, (long)certs[i].data.len);
		if (!x || p != certs[i].data.p + certs[i].data.len) {
			X509_free(x);
			snprintf(why, whylen, "peer's CERT payload %zu is not "
				 "a DER X.509 certificate", i + 1);
			goto out;
		}
		if (!ee) {
			ee = x;
		} else if (!sk_X509_push(untrusted, x)) {
			X509_free(x);
			snprintf(why, whylen, "out of memory");
			goto out;
		}
	}
	if (!ee) {
		snprintf(why, whylen, "peer sent no X.509 certificate");
		goto out;
	}
	ctx = X509_STORE_CTX_new();
	if (!ctx || !X509_STORE_CTX_init(ctx, c->store, ee, untrusted)) {
		snprintf(why, whylen, "out of memory");
		goto bad;
	}
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN);
	if (X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		depth = X509_STORE_CTX_get_error_depth(ctx);
		dn_text(X509_get_subject_name(ee), dn, sizeof(dn));
		snprintf(why, whylen, "peer's certificate \"%s\" does not "
			 "verify: %s (depth %d)", dn,
			 X509_verify_cert_error_string(err), depth);
		goto bad;
	}
	if ((X509_get_extension_flags(ee) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(ee) &
	      (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))) {
		snprintf(why, whylen, "peer's certificate does not allow "
			 "digital signatures (key usage)");
		goto bad;
	}
	goto out;
bad:
	X509_free(ee);
	ee = NULL;
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(untrusted, X509_free);
	ERR_clear_error();
	return ee;
}

bool ike_cert_has_id(X509 *cert, uint8_t type, const uint8_t *data,
		     size_t len)
{
	const unsigned int flags = X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
				   X509_CHECK_FLAG_NO_WILDCARDS;
	const unsigned char *p = data;
	X509_NAME *name;
	bool ok = false;

	switch (type) {
	case IKE_ID_DER_ASN1_DN:
		name = d2i_X509_NAME(NULL, &p, (long)len);
		ok = name && p == data + len &&
		     X509_NAME_cmp(name, X509_get_subject_name(cert)) == 0;
		X509_NAME_free(name);
		break;
	case IKE_ID_FQDN:
		ok = len && !memchr(data, 0, len) &&
		     X509_check_host(cert, (const char *)data, len, flags,
				     NULL) == 1;
		break;
	case IKE_ID_RFC822_ADDR:
		ok = len && !memchr(data, 0, len) &&
		     X509_check_email(cert, (const char *)data, len,
				      flags) == 1;
		break;
	case IKE_ID_IPV4_ADDR:
	case IKE_ID_IPV6_ADDR:
		ok = len == (type == IKE_ID_IPV4_ADDR ? 4u : 16u) &&
		     X509_check_ip(cert, data, len, 0) == 1;
		break;
	}
	ERR_clear_error();
	return ok;
}

bool ike_id_equal(uint8_t type, const uint8_t *a, size_t alen,
		  const uint8_t *b, size_t blen)
{
	const unsigned char *pa = a, *pb = b;
	X509_NAME *na, *nb;
	bool eq;

	if (type != IKE_ID_DER_ASN1_DN)
		return alen == blen && !memcmp(a, b, alen);
	na = d2i_X509_NAME(NULL, &pa, (long)alen);
	nb = d2i_X509_NAME(NULL, &pb, (long)blen);
	eq = na && nb && pa == a + alen && pb == b + blen &&
	     X509_NAME_cmp(na, nb) == 0;
	X509_NAME_free(na);
	X509_NAME_free(nb);
	ERR_clear_error();
	return eq;
}

int ike_cred_verify(const struct ike_cred *c, const struct ike_peer_auth *pa,
		    char *why, size_t whylen)
{
	EVP_PKEY *pub;
	X509 *ee;
	int rc = -1;

	ee = ike_cred_verify_chain(c, pa->certs, pa->n_certs, why, whylen);
	if (!ee)
		return -1;
	if (!ike_cert_has_id(ee, pa->id_type, pa->id, pa->id_len)) {
		char dn[200];

		dn_text(X509_get_subject_name(ee), dn, sizeof(dn));
		snprintf(why, whylen, "peer's ID is not in its certificate "
			 "\"%s\" (subject, or subjectAltName)", dn);
		goto out;
	}
	pub = X509_get0_pubkey(ee);
	if (!pub) {
		snprintf(why, whylen, "peer's certificate has no usable key");
		goto out;
	}
	rc = ike_sig_verify(pub, pa->peer_announced, pa->method, pa->auth,
			    pa->auth_len, pa->octets, pa->octets_len, why,
			    whylen);
out:
	X509_free(ee);
	ERR_clear_error();
	return rc;
}
