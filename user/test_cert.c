// SPDX-License-Identifier: GPL-2.0
/*
 * ike/cred.c: loading certificates and keys, RFC 7427 and RFC 7296 method
 * 1 signatures, chain verification, IDs in certificates, CERTREQ, and the
 * credentials conn.c builds from a config.  The PKI comes from
 * selftests/certs/make-certs.sh (test_pki.h), so the certificates are the
 * openssl CLI's, not this code's.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "conn.h"
#include "ike/cred.h"
#include "ktap.h"
#include "test_pki.h"

static const char *const types[] = { "p256", "p384", "rsa", "ed25519" };
#define N_TYPES (sizeof(types) / sizeof(types[0]))

static const uint8_t octets[] = "the signed octets of some IKE SA";

/* T/NAME.pem, T/NAME.key, T/root.pem */
static struct ike_cred *load(const char *t, const char *name, char *err,
			     size_t errlen)
{
	char cert[32], key[32], root[32];
	const char *ca[1];
	struct ike_cred *c;

	snprintf(cert, sizeof(cert), "%s/%s.pem", t, name);
	snprintf(key, sizeof(key), "%s/%s.key", t, name);
	snprintf(root, sizeof(root), "%s/root.pem", t);
	ca[0] = pki(root);
	if (ike_cred_load(pki(cert), pki(key), ca, 1, &c, err, errlen))
		return NULL;
	return c;
}

/* The first certificate (key false) or private key of a PKI PEM file. */
static void *read_pem(const char *rel, bool key)
{
	FILE *f = fopen(pki(rel), "r");
	void *v = NULL;

	if (f)
		v = key ? (void *)PEM_read_PrivateKey(f, NULL, NULL, NULL)
			: (void *)PEM_read_X509(f, NULL, NULL, NULL);
	if (f)
		fclose(f);
	return v;
}
#define read_cert(rel) ((X509 *)read_pem(rel, false))
#define read_key(rel) ((EVP_PKEY *)read_pem(rel, true))

/* CERT payloads of the certificate files rel[] (first certificate each);
 * der[] holds their bytes (OPENSSL_free them). */
static size_t cert_pls(const char *const *rel, size_t n,
		       struct ike_cert_pl *pl, unsigned char **der)
{
	size_t i;

	for (i = 0; i < n; i++) {
		X509 *x = read_cert(rel[i]);
		int len;

		der[i] = NULL;
		len = x ? i2d_X509(x, &der[i]) : -1;
		X509_free(x);
		pl[i].encoding = IKE_CERT_X509_SIG;
		pl[i].data.p = der[i];
		pl[i].data.len = len > 0 ? (size_t)len : 0;
	}
	return n;
}

static void free_ders(unsigned char **der, size_t n)
{
	while (n)
		OPENSSL_free(der[--n]);
}

/* The payloads a writer put in buf, parsed back. */
static void parse_back(const struct ike_wbuf *w, struct ike_msg *m)
{
	struct ike_parse_result r;

	memset(m, 0, sizeof(*m));
	r = ike_payloads_parse(ike_w_first(w), w->p, w->len, m);
	CHECK(r.err == IKE_PARSE_OK);
}

static void pki_was_made(void)
{
	CHECK(pki_dir[0] != '\0');
}

static void each_key_type_loads_with_its_chain(void)
{
	static const char *const names[N_TYPES] = {
		"ECDSA P-256", "ECDSA P-384", "RSA-3072", "Ed25519",
	};
	static uint8_t buf[8192];
	static struct ike_msg m;
	struct ike_wbuf w;
	char err[256];
	size_t i;

	for (i = 0; i < N_TYPES; i++) {
		struct ike_cred *c = load(types[i], "a", err, sizeof(err));
		char rel[32];
		X509 *ee, *in;

		CHECK(c != NULL);
		if (!c) {
			printf("# %s\n", err);
			continue;
		}
		CHECK(!strcmp(ike_cred_key_name(c), names[i]));
		ike_w_init(&w, buf, sizeof(buf));
		ike_cred_put_certs(c, &w);
		CHECK(!w.err);
		parse_back(&w, &m);
		CHECK(m.n_certs == 2);
		snprintf(rel, sizeof(rel), "%s/a.crt", types[i]);
		ee = read_cert(rel);
		snprintf(rel, sizeof(rel), "%s/int.pem", types[i]);
		in = read_cert(rel);
		if (ee && in && m.n_certs == 2) {
			const unsigned char *p = m.certs[0].data.p;
			X509 *got0 = d2i_X509(NULL, &p, m.certs[0].data.len);
			X509 *got1;

			p = m.certs[1].data.p;
			got1 = d2i_X509(NULL, &p, m.certs[1].data.len);
			CHECK(m.certs[0].encoding == IKE_CERT_X509_SIG);
			CHECK(got0 && !X509_cmp(got0, ee));
			CHECK(got1 && !X509_cmp(got1, in));
			X509_free(got0);
			X509_free(got1);
		}
		X509_free(ee);
		X509_free(in);
		ike_cred_free(c);
	}
}

static void bad_files_are_refused_with_the_file_named(void)
{
	const char *ca[1] = { pki("p256/root.pem") };
	struct ike_cred *c = NULL;
	char err[256], encpath[200];
	EVP_PKEY *k;
	FILE *f;

	CHECK(ike_cred_load(pki("p256/a.pem"), pki("p256/b.key"), ca, 1, &c,
			    err, sizeof(err)) == -1 && !c);
	CHECK(strstr(err, "does not belong") && strstr(err, "b.key"));
	CHECK(ike_cred_load(pki("p256/none.pem"), pki("p256/a.key"), ca, 1,
			    &c, err, sizeof(err)) == -1);
	CHECK(strstr(err, "none.pem") && strstr(err, "No such file"));
	CHECK(ike_cred_load(pki("p256/a.key"), pki("p256/a.key"), ca, 1, &c,
			    err, sizeof(err)) == -1);
	CHECK(strstr(err, "no PEM or DER certificate") != NULL);
	CHECK(ike_cred_load(pki("p256/a.pem"), pki("p256/a.crt"), ca, 1, &c,
			    err, sizeof(err)) == -1);
	CHECK(strstr(err, "not an unencrypted PEM or DER private key") !=
	      NULL);
	ca[0] = pki("p256/a.key");
	CHECK(ike_cred_load(pki("p256/a.pem"), pki("p256/a.key"), ca, 1, &c,
			    err, sizeof(err)) == -1);
	CHECK(strstr(err, "ca file") && strstr(err, "a.key"));

	/* an encrypted key: refused, no prompt for a passphrase */
	k = read_key("p256/a.key");
	snprintf(encpath, sizeof(encpath), "%s/enc.key", pki_dir);
	f = fopen(encpath, "w");
	CHECK(k && f && PEM_write_PrivateKey(f, k, EVP_aes_128_cbc(),
					     (unsigned char *)"pass", 4,
					     NULL, NULL));
	if (f)
		fclose(f);
	EVP_PKEY_free(k);
	ca[0] = pki("p256/root.pem");
	CHECK(ike_cred_load(pki("p256/a.pem"), encpath, ca, 1, &c, err,
			    sizeof(err)) == -1);
	CHECK(strstr(err, "unencrypted") != NULL);
	unlink(encpath);
	ERR_clear_error();
}

static void ids_in_the_certificate(void)
{
	uint8_t v4[4], v6[16], dn[512];
	struct ike_cred *c = load("p256", "a", NULL, 0);
	struct ike_cred *ns;
	const char *ca[1] = { pki("p256/root.pem") };
	char err[256];
	int n;

	CHECK(c != NULL);
	if (!c)
		return;
#define HAS(t, s) ike_cred_has_id(c, t, (const uint8_t *)(s), strlen(s))
	CHECK(HAS(IKE_ID_FQDN, "a.example"));
	CHECK(HAS(IKE_ID_FQDN, "A.Example"));
	CHECK(!HAS(IKE_ID_FQDN, "b.example"));
	CHECK(!HAS(IKE_ID_FQDN, "example"));
	CHECK(!HAS(IKE_ID_FQDN, ""));
	CHECK(HAS(IKE_ID_RFC822_ADDR, "a@a.example"));
	CHECK(!HAS(IKE_ID_RFC822_ADDR, "b@a.example"));
	CHECK(!HAS(IKE_ID_KEY_ID, "a.example"));
	CHECK(!ike_cred_has_id(c, IKE_ID_FQDN, (const uint8_t *)"a.example\0x",
			       11));
	inet_pton(AF_INET, "192.0.2.1", v4);
	CHECK(ike_cred_has_id(c, IKE_ID_IPV4_ADDR, v4, 4));
	CHECK(!ike_cred_has_id(c, IKE_ID_IPV6_ADDR, v4, 4));
	inet_pton(AF_INET, "192.0.2.2", v4);
	CHECK(!ike_cred_has_id(c, IKE_ID_IPV4_ADDR, v4, 4));
	inet_pton(AF_INET6, "2001:db8::1", v6);
	CHECK(ike_cred_has_id(c, IKE_ID_IPV6_ADDR, v6, 16));
	v6[15] = 2;
	CHECK(!ike_cred_has_id(c, IKE_ID_IPV6_ADDR, v6, 16));

	n = ike_cred_subject(c, dn, sizeof(dn));
	CHECK(n > 0);
	CHECK(n > 0 && ike_cred_has_id(c, IKE_ID_DER_ASN1_DN, dn, n));
	CHECK(ike_cred_subject(c, dn, 10) == -1);
	/* the same DN written with other string types still matches */
	{
		X509_NAME *x = X509_NAME_new();
		unsigned char *der = NULL;
		int len;

		X509_NAME_add_entry_by_txt(x, "C", MBSTRING_UTF8,
					   (const unsigned char *)"CH", -1, -1,
					   0);
		X509_NAME_add_entry_by_txt(x, "O", MBSTRING_UTF8,
					   (const unsigned char *)"iketcp  Test",
					   -1, -1, 0);
		X509_NAME_add_entry_by_txt(x, "CN", MBSTRING_UTF8,
					   (const unsigned char *)"a.example",
					   -1, -1, 0);
		len = i2d_X509_NAME(x, &der);
		CHECK(len > 0 && (len != n || memcmp(der, dn, len)));
		CHECK(ike_cred_has_id(c, IKE_ID_DER_ASN1_DN, der, len));
		CHECK(ike_id_equal(IKE_ID_DER_ASN1_DN, der, len, dn, n));
		CHECK(!ike_id_equal(IKE_ID_DER_ASN1_DN, der, len, dn, n - 1));
		OPENSSL_free(der);
		X509_NAME_free(x);
	}
	dn[n - 1] ^= 1;		/* last letter of the CN */
	CHECK(!ike_cred_has_id(c, IKE_ID_DER_ASN1_DN, dn, n));
	CHECK(ike_id_equal(IKE_ID_FQDN, (const uint8_t *)"x", 1,
			   (const uint8_t *)"x", 1));
	CHECK(!ike_id_equal(IKE_ID_FQDN, (const uint8_t *)"x", 1,
			    (const uint8_t *)"X", 1));
	ike_cred_free(c);

	/* the CN is not an FQDN identity: subjectAltName only */
	CHECK(ike_cred_load(pki("p256/nosan.pem"), pki("p256/nosan.key"), ca,
			    1, &ns, err, sizeof(err)) == 0);
	if (ns) {
		CHECK(!ike_cred_has_id(ns, IKE_ID_FQDN,
				       (const uint8_t *)"a.example", 9));
		ike_cred_free(ns);
	}
#undef HAS
}

/* sign with key T/NAME.key, verify with T/NAME.crt's public key */
static int round_trip(const char *t, bool announced, uint32_t mask,
		      uint8_t *method, uint8_t *ai, size_t *ai_len)
{
	char rel[32], why[200];
	EVP_PKEY *k;
	X509 *x;
	uint8_t *auth = NULL;
	size_t len = 0;
	int rc = -1;

	snprintf(rel, sizeof(rel), "%s.key", t);
	k = read_key(rel);
	snprintf(rel, sizeof(rel), "%s.crt", t);
	x = read_cert(rel);
	if (!k || !x)
		goto out;
	if (ike_sig_sign(k, announced, mask, octets, sizeof(octets), method,
			 &auth, &len, why, sizeof(why))) {
		printf("# sign %s: %s\n", t, why);
		goto out;
	}
	if (*method == IKE_AUTH_DIGITAL_SIG && ai) {
		*ai_len = auth[0];
		memcpy(ai, auth + 1, auth[0]);
	}
	rc = ike_sig_verify(X509_get0_pubkey(x), announced, *method, auth, len,
			    octets, sizeof(octets), why, sizeof(why));
	if (rc)
		printf("# verify %s: %s\n", t, why);
	/* one bit off in the signature, or in what was signed: refused */
	auth[len - 1] ^= 0x01;
	if (!rc && !ike_sig_verify(X509_get0_pubkey(x), announced, *method,
				   auth, len, octets, sizeof(octets), why,
				   sizeof(why)))
		rc = -2;
	auth[len - 1] ^= 0x01;
	if (!rc && !ike_sig_verify(X509_get0_pubkey(x), announced, *method,
				   auth, len, octets, sizeof(octets) - 1,
				   why, sizeof(why)))
		rc = -3;
out:
	free(auth);
	EVP_PKEY_free(k);
	X509_free(x);
	return rc;
}

static const uint8_t ai_ecdsa256[] = {	/* RFC 7427 A.3.1 */
	0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
};
static const uint8_t ai_ed25519[] = { 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70 };

/* The NID of a DER AlgorithmIdentifier, and its PSS hash if any. */
static int ai_nid(const uint8_t *ai, size_t len, int *pss_hash)
{
	const unsigned char *p = ai;
	X509_ALGOR *a = d2i_X509_ALGOR(NULL, &p, len);
	const ASN1_OBJECT *obj;
	int nid = NID_undef;

	*pss_hash = NID_undef;
	if (a && p == ai + len) {
		X509_ALGOR_get0(&obj, NULL, NULL, a);
		nid = OBJ_obj2nid(obj);
		if (nid == NID_rsassaPss) {
			const ASN1_STRING *s;
			const void *pv;
			int pt;

			X509_ALGOR_get0(&obj, &pt, &pv, a);
			s = pv;
			p = ASN1_STRING_get0_data(s);
			RSA_PSS_PARAMS *pp = d2i_RSA_PSS_PARAMS(NULL, &p,
						ASN1_STRING_length(s));

			if (pp && pp->hashAlgorithm) {
				X509_ALGOR_get0(&obj, NULL, NULL,
						pp->hashAlgorithm);
				*pss_hash = OBJ_obj2nid(obj);
			}
			RSA_PSS_PARAMS_free(pp);
		}
	}
	X509_ALGOR_free(a);
	return nid;
}

static void each_key_type_signs_and_verifies_method_14(void)
{
	static const int want[N_TYPES] = {
		NID_ecdsa_with_SHA256, NID_ecdsa_with_SHA384, NID_rsassaPss,
		NID_ED25519,
	};
	uint8_t method, ai[128];
	size_t i, ai_len = 0;
	int h;

	for (i = 0; i < N_TYPES; i++) {
		char t[32];

		snprintf(t, sizeof(t), "%s/a", types[i]);
		CHECK(round_trip(t, true, IKE_HASH_ALGS_OURS, &method, ai,
				 &ai_len) == 0);
		CHECK(method == IKE_AUTH_DIGITAL_SIG);
		CHECK(ai_nid(ai, ai_len, &h) == want[i]);
		if (want[i] == NID_rsassaPss)
			CHECK(h == NID_sha256);
		if (i == 0)
			CHECK(ai_len == sizeof(ai_ecdsa256) &&
			      !memcmp(ai, ai_ecdsa256, ai_len));
		if (want[i] == NID_ED25519)
			CHECK(ai_len == sizeof(ai_ed25519) &&
			      !memcmp(ai, ai_ed25519, ai_len));
	}
	/* an RSA-PSS key (id-RSASSA-PSS) */
	CHECK(round_trip("rsa/p", true, IKE_HASH_ALGS_OURS, &method, ai,
			 &ai_len) == 0);
	CHECK(method == IKE_AUTH_DIGITAL_SIG &&
	      ai_nid(ai, ai_len, &h) == NID_rsassaPss && h == NID_sha256);
}

static void hash_is_one_the_peer_announced(void)
{
	uint8_t method, ai[128];
	size_t ai_len = 0;
	int h;

	CHECK(round_trip("p256/a", true, 1u << IKE_HASH_SHA2_384, &method, ai,
			 &ai_len) == 0);
	CHECK(ai_nid(ai, ai_len, &h) == NID_ecdsa_with_SHA384);
	CHECK(round_trip("p384/a", true, 1u << IKE_HASH_SHA2_256 |
			 1u << IKE_HASH_SHA2_512, &method, ai, &ai_len) == 0);
	CHECK(ai_nid(ai, ai_len, &h) == NID_ecdsa_with_SHA256);
	CHECK(round_trip("rsa/a", true, 1u << IKE_HASH_SHA2_512, &method, ai,
			 &ai_len) == 0);
	CHECK(ai_nid(ai, ai_len, &h) == NID_rsassaPss && h == NID_sha512);
	/* nothing usable: Ed25519 needs "identity", ECDSA a SHA-2 */
	CHECK(round_trip("ed25519/a", true, 1u << IKE_HASH_SHA2_256, &method,
			 ai, &ai_len) == -1);
	CHECK(round_trip("p256/a", true, 1u << 1 /* SHA-1 */ |
			 1u << IKE_HASH_IDENTITY, &method, ai, &ai_len) == -1);
	/* no notify from the peer: ECDSA and EdDSA still use method 14 */
	CHECK(round_trip("p256/a", false, 0, &method, ai, &ai_len) == 0 &&
	      method == IKE_AUTH_DIGITAL_SIG);
	CHECK(round_trip("ed25519/a", false, 0, &method, ai, &ai_len) == 0 &&
	      method == IKE_AUTH_DIGITAL_SIG);
}

static void rsa_method_1_only_for_peers_without_rfc7427(void)
{
	uint8_t method, *auth = NULL;
	char why[200];
	size_t len;
	EVP_PKEY *k = read_key("rsa/a.key");
	X509 *x = read_cert("rsa/a.crt");

	CHECK(round_trip("rsa/a", false, 0, &method, NULL, NULL) == 0);
	CHECK(method == IKE_AUTH_RSA_SIG);
	/* an RSA-PSS key cannot do PKCS#1 v1.5: method 14 */
	CHECK(round_trip("rsa/p", false, 0, &method, NULL, NULL) == 0);
	CHECK(method == IKE_AUTH_DIGITAL_SIG);
	/* method 1 from a peer that announced RFC 7427: a downgrade */
	CHECK(k && x && !ike_sig_sign(k, false, 0, octets, sizeof(octets),
				      &method, &auth, &len, why, sizeof(why)));
	if (auth && x) {
		CHECK(len == 384);	/* bare PKCS#1 v1.5 over SHA-1 */
		CHECK(ike_sig_verify(X509_get0_pubkey(x), true, method, auth,
				     len, octets, sizeof(octets), why,
				     sizeof(why)) == -1);
		CHECK(strstr(why, "announced") != NULL);
		CHECK(ike_sig_verify(X509_get0_pubkey(x), false, method, auth,
				     len, octets, sizeof(octets), why,
				     sizeof(why)) == 0);
	}
	free(auth);
	EVP_PKEY_free(k);
	X509_free(x);
}

/* Method 14 AUTH data made here with OpenSSL alone, for what we verify but
 * do not make (strongSwan's default for RSA keys). */
static size_t make_auth(EVP_PKEY *k, const EVP_MD *md, const uint8_t *ai,
			size_t ai_len, uint8_t *out, size_t cap)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	size_t sl = cap - 1 - ai_len;

	out[0] = (uint8_t)ai_len;
	memcpy(out + 1, ai, ai_len);
	if (!m || EVP_DigestSignInit(m, NULL, md, NULL, k) != 1 ||
	    EVP_DigestSign(m, out + 1 + ai_len, &sl, octets,
			   sizeof(octets)) != 1)
		sl = 0;
	EVP_MD_CTX_free(m);
	return sl ? 1 + ai_len + sl : 0;
}

static void other_signature_algorithms(void)
{
	static const uint8_t sha256rsa[] = {
		0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
		0x01, 0x01, 0x0b, 0x05, 0x00,
	};
	static const uint8_t sha1rsa[] = {
		0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
		0x01, 0x01, 0x05, 0x05, 0x00,
	};
	static const uint8_t ecdsa_sha1[] = {
		0x30, 0x09, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04,
		0x01,
	};
	EVP_PKEY *rk = read_key("rsa/a.key"), *ek = read_key("p256/a.key");
	X509 *rx = read_cert("rsa/a.crt"), *ex = read_cert("p256/a.crt");
	EVP_PKEY *rpub = rx ? X509_get0_pubkey(rx) : NULL;
	EVP_PKEY *epub = ex ? X509_get0_pubkey(ex) : NULL;
	uint8_t buf[600];
	char why[200];
	size_t n;

	CHECK(rk && ek && rpub && epub);
	if (!rk || !ek || !rpub || !epub)
		goto out;
	/* sha256WithRSAEncryption (PKCS#1 v1.5): accepted */
	n = make_auth(rk, EVP_sha256(), sha256rsa, sizeof(sha256rsa), buf,
		      sizeof(buf));
	CHECK(n && !ike_sig_verify(rpub, true, 14, buf, n, octets,
				   sizeof(octets), why, sizeof(why)));
	/* but not with an ECDSA key */
	CHECK(n && ike_sig_verify(epub, true, 14, buf, n, octets,
				  sizeof(octets), why, sizeof(why)) == -1);
	CHECK(strstr(why, "does not fit") != NULL);
	/* SHA-1: we never announce it */
	n = make_auth(rk, EVP_sha1(), sha1rsa, sizeof(sha1rsa), buf,
		      sizeof(buf));
	CHECK(n && ike_sig_verify(rpub, true, 14, buf, n, octets,
				  sizeof(octets), why, sizeof(why)) == -1);
	CHECK(strstr(why, "did not announce") != NULL);
	n = make_auth(ek, EVP_sha1(), ecdsa_sha1, sizeof(ecdsa_sha1), buf,
		      sizeof(buf));
	CHECK(n && ike_sig_verify(epub, true, 14, buf, n, octets,
				  sizeof(octets), why, sizeof(why)) == -1);
	/* a mislabelled algorithm: ECDSA-SHA-256 data claimed as SHA-384 */
	n = make_auth(ek, EVP_sha256(), ai_ecdsa256, sizeof(ai_ecdsa256), buf,
		      sizeof(buf));
	CHECK(n && !ike_sig_verify(epub, true, 14, buf, n, octets,
				   sizeof(octets), why, sizeof(why)));
	buf[12] = 0x03;
	CHECK(ike_sig_verify(epub, true, 14, buf, n, octets, sizeof(octets),
			     why, sizeof(why)) == -1);
	/* broken framing: length byte past the end, zero, garbage inside */
	buf[0] = 0xff;
	CHECK(ike_sig_verify(epub, true, 14, buf, n, octets, sizeof(octets),
			     why, sizeof(why)) == -1);
	buf[0] = 0;
	CHECK(ike_sig_verify(epub, true, 14, buf, n, octets, sizeof(octets),
			     why, sizeof(why)) == -1);
	buf[0] = 12;
	buf[2] = 0x0b;		/* inner length 11 in 12 bytes */
	CHECK(ike_sig_verify(epub, true, 14, buf, n, octets, sizeof(octets),
			     why, sizeof(why)) == -1);
	CHECK(ike_sig_verify(epub, true, 14, buf, 1, octets, sizeof(octets),
			     why, sizeof(why)) == -1);
	CHECK(ike_sig_verify(epub, true, 2, buf, n, octets, sizeof(octets),
			     why, sizeof(why)) == -1);
	CHECK(ike_sig_verify(epub, false, 1, buf, n, octets, sizeof(octets),
			     why, sizeof(why)) == -1);
	CHECK(strstr(why, "not RSA") != NULL);
out:
	EVP_PKEY_free(rk);
	EVP_PKEY_free(ek);
	X509_free(rx);
	X509_free(ex);
	ERR_clear_error();
}

/* The chain of rel[] verified against t's anchors (root.pem). */
static bool chain_ok(const char *t, const char *const *rel, size_t n,
		     char *why, size_t whylen)
{
	struct ike_cert_pl pl[4];
	unsigned char *der[4];
	struct ike_cred *c = load(t, "b", NULL, 0);
	X509 *ee = NULL;

	if (!c)
		return false;
	cert_pls(rel, n, pl, der);
	ee = ike_cred_verify_chain(c, pl, n, why, whylen);
	free_ders(der, n);
	ike_cred_free(c);
	X509_free(ee);
	return ee != NULL;
}

static void chains_verify_to_the_configured_anchor_only(void)
{
	static const char *const a_int[] = { "p256/a.crt", "p256/int.pem" };
	static const char *const a_only[] = { "p256/a.crt" };
	static const char *const direct[] = { "p256/c.crt" };
	static const char *const other[] = { "other/a.crt" };
	static const char *const ed_int[] = { "ed25519/a.crt",
					      "ed25519/int.pem" };
	static const char *const rsa_int[] = { "rsa/a.crt", "rsa/int.pem" };
	static const char *const rsa_pss_key[] = { "rsa/p.crt", "rsa/int.pem" };
	char why[256];

	CHECK(chain_ok("p256", a_int, 2, why, sizeof(why)));
	CHECK(chain_ok("ed25519", ed_int, 2, why, sizeof(why)));
	CHECK(chain_ok("rsa", rsa_int, 2, why, sizeof(why)));
	CHECK(chain_ok("rsa", rsa_pss_key, 2, why, sizeof(why)));
	CHECK(chain_ok("p256", direct, 1, why, sizeof(why)));
	/* the intermediate missing */
	CHECK(!chain_ok("p256", a_only, 1, why, sizeof(why)));
	CHECK(strstr(why, "does not verify") && strstr(why, "CN=a.example"));
	/* another PKI's chain */
	CHECK(!chain_ok("p256", other, 1, why, sizeof(why)));
	CHECK(!chain_ok("p384", a_int, 2, why, sizeof(why)));
	CHECK(!chain_ok("p256", a_int, 0, why, sizeof(why)));
	CHECK(strstr(why, "no X.509 certificate") != NULL);
}

static void garbage_certificates_are_refused(void)
{
	static const char *const a_int[] = { "p256/a.crt", "p256/int.pem" };
	struct ike_cert_pl pl[3];
	unsigned char *der[2];
	struct ike_cred *c = load("p256", "b", NULL, 0);
	char why[256];
	X509 *ee;

	CHECK(c != NULL);
	if (!c)
		return;
	cert_pls(a_int, 2, pl, der);
	/* other encodings are skipped, not parsed */
	pl[2] = pl[1];
	pl[1].encoding = 12;	/* "Hash and URL of X.509 certificate" */
	ee = ike_cred_verify_chain(c, pl, 3, why, sizeof(why));
	CHECK(ee != NULL);
	X509_free(ee);
	/* truncated DER */
	pl[0].data.len--;
	CHECK(!ike_cred_verify_chain(c, pl, 3, why, sizeof(why)));
	CHECK(strstr(why, "not a DER X.509") != NULL);
	pl[0].data.len++;
	/* a flipped bit in the signed part of the end entity */
	der[0][40] ^= 0x01;
	CHECK(!ike_cred_verify_chain(c, pl, 3, why, sizeof(why)));
	free_ders(der, 2);
	ike_cred_free(c);
}

/* SHA-1 of root.pem's subjectPublicKeyInfo, by the openssl CLI */
static bool cli_spki_sha1(const char *t, uint8_t out[20])
{
	char cmd[512], hex[64];
	FILE *p;
	int i, ok;

	snprintf(cmd, sizeof(cmd), "openssl x509 -in '%s/%s/root.pem' -noout "
		 "-pubkey | openssl pkey -pubin -outform DER | sha1sum",
		 pki_dir, t);
	p = popen(cmd, "r");
	if (!p)
		return false;
	ok = fscanf(p, "%40s", hex) == 1;
	pclose(p);
	for (i = 0; ok && i < 20; i++)
		ok = sscanf(hex + 2 * i, "%2hhx", &out[i]) == 1;
	return ok;
}

static void certreq_and_hash_notify(void)
{
	static uint8_t buf[2048];
	static struct ike_msg m;
	const char *ca[2] = { pki("p256/root.pem"), pki("ed25519/root.pem") };
	static const uint8_t want_algs[] = { 0, 2, 0, 3, 0, 4, 0, 5 };
	struct ike_cred *c = NULL;
	uint8_t h1[20], h2[20];
	struct ike_wbuf w;
	char err[256];

	CHECK(ike_cred_load(pki("p256/a.pem"), pki("p256/a.key"), ca, 2, &c,
			    err, sizeof(err)) == 0);
	if (!c)
		return;
	CHECK(cli_spki_sha1("p256", h1) && cli_spki_sha1("ed25519", h2));

	ike_w_init(&w, buf, sizeof(buf));
	ike_cred_put_init(c, true, &w);
	parse_back(&w, &m);
	CHECK(m.n_notifies == 1 && m.n_certreqs == 1);
	CHECK(m.notifies[0].type == IKE_N_SIGNATURE_HASH_ALGORITHMS &&
	      m.notifies[0].data.len == sizeof(want_algs) &&
	      !memcmp(m.notifies[0].data.p, want_algs, sizeof(want_algs)));
	CHECK(m.certreqs[0].encoding == IKE_CERT_X509_SIG &&
	      m.certreqs[0].data.len == 40 &&
	      !memcmp(m.certreqs[0].data.p, h1, 20) &&
	      !memcmp(m.certreqs[0].data.p + 20, h2, 20));
	/* an initiator's IKE_SA_INIT: the notify alone */
	ike_w_init(&w, buf, sizeof(buf));
	ike_cred_put_init(c, false, &w);
	parse_back(&w, &m);
	CHECK(m.n_notifies == 1 && m.n_certreqs == 0);
	/* PSK: nothing */
	ike_w_init(&w, buf, sizeof(buf));
	ike_cred_put_init(NULL, true, &w);
	CHECK(w.len == 0);
	ike_cred_free(c);

	CHECK(ike_hash_algs_mask(want_algs, sizeof(want_algs)) ==
	      IKE_HASH_ALGS_OURS);
	CHECK(ike_hash_algs_mask((const uint8_t *)"\0\2\1\0\0\5\0", 7) ==
	      (1u << 2 | 1u << 5));
	CHECK(ike_hash_algs_mask(NULL, 0) == 0);
}

static void full_verification_checks_chain_id_and_signature(void)
{
	struct ike_cred *a = load("p384", "a", NULL, 0);
	struct ike_cred *b = load("p384", "b", NULL, 0);
	static const char *const a_int[] = { "p384/a.crt", "p384/int.pem" };
	struct ike_cert_pl pl[2];
	unsigned char *der[2];
	struct ike_peer_auth pa = { 0 };
	uint8_t *auth = NULL, method;
	char why[256];
	size_t len;

	CHECK(a && b);
	if (!a || !b)
		goto out;
	cert_pls(a_int, 2, pl, der);
	CHECK(!ike_cred_sign(a, true, IKE_HASH_ALGS_OURS, octets,
			     sizeof(octets), &method, &auth, &len, why,
			     sizeof(why)));
	pa = (struct ike_peer_auth){
		.certs = pl, .n_certs = 2, .id_type = IKE_ID_FQDN,
		.id = (const uint8_t *)"a.example", .id_len = 9,
		.method = method, .auth = auth, .auth_len = len,
		.peer_announced = true, .octets = octets,
		.octets_len = sizeof(octets),
	};
	CHECK(ike_cred_verify(b, &pa, why, sizeof(why)) == 0);
	pa.id = (const uint8_t *)"b.example";
	CHECK(ike_cred_verify(b, &pa, why, sizeof(why)) == -1);
	CHECK(strstr(why, "not in its certificate") != NULL);
	pa.id = (const uint8_t *)"a.example";
	pa.octets_len--;
	CHECK(ike_cred_verify(b, &pa, why, sizeof(why)) == -1);
	CHECK(strstr(why, "does not verify") != NULL);
	pa.octets_len++;
	pa.n_certs = 1;
	CHECK(ike_cred_verify(b, &pa, why, sizeof(why)) == -1);
	free_ders(der, 2);
out:
	free(auth);
	ike_cred_free(a);
	ike_cred_free(b);
}

/* ---- conn.c: config -> credentials ------------------------------------ */

static int conn_from(const char *local_id, struct ike_conn_params *p,
		     char *err, size_t errlen)
{
	char text[1024];
	struct ik_config *cfg = NULL;
	FILE *f;
	int rc;

	snprintf(text, sizeof(text),
		 "[conn x]\nlocal = 192.0.2.1\nremote = 192.0.2.2\n%s%s%s"
		 "auth = pubkey\ncert = %s\nkey = %s\nca = %s\n",
		 local_id ? "local_id = " : "", local_id ? local_id : "",
		 local_id ? "\n" : "", pki("rsa/a.pem"), pki("rsa/a.key"),
		 pki("rsa/root.pem"));
	f = fmemopen(text, strlen(text), "r");
	if (!f)
		return -1;
	rc = ik_config_load_stream(f, "iketcpd.conf", &cfg, err, errlen);
	fclose(f);
	if (rc)
		return -1;
	rc = ik_conn_params(cfg->conns[0], p, err, errlen);
	ik_config_free(cfg);	/* the credentials outlive the config */
	return rc;
}

static void conn_builds_credentials_from_the_config(void)
{
	struct ike_conn_params p;
	uint8_t dn[512];
	char err[512];
	int n;

	CHECK(conn_from(NULL, &p, err, sizeof(err)) == 0);
	CHECK(p.cred != NULL && p.psk == NULL && p.psk_len == 0);
	if (p.cred) {
		/* no local_id: the certificate's subject */
		n = ike_cred_subject(p.cred, dn, sizeof(dn));
		CHECK(p.local_id.type == IKE_ID_DER_ASN1_DN &&
		      p.local_id.len == n && !memcmp(p.local_id.data, dn, n));
		CHECK(!strcmp(ike_cred_key_name(p.cred), "RSA-3072"));
	}
	ik_conn_params_free(&p);
	CHECK(p.cred == NULL);

	CHECK(conn_from("fqdn:a.example", &p, err, sizeof(err)) == 0);
	CHECK(p.local_id.type == IKE_ID_FQDN && p.local_id.len == 9);
	ik_conn_params_free(&p);
	CHECK(conn_from("dn:C=CH, O=iketcp test, CN=a.example", &p, err,
			sizeof(err)) == 0);
	ik_conn_params_free(&p);
	CHECK(conn_from("192.0.2.1", &p, err, sizeof(err)) == 0);
	ik_conn_params_free(&p);

	/* an identity the certificate does not carry */
	CHECK(conn_from("fqdn:b.example", &p, err, sizeof(err)) == -1);
	CHECK(strstr(err, "local_id 'fqdn:b.example' is not in certificate")
	      != NULL);
	CHECK(p.cred == NULL);
	CHECK(conn_from("dn:C=CH, O=iketcp test, CN=b.example", &p, err,
			sizeof(err)) == -1);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(pki_was_made),
	KTAP_CASE(each_key_type_loads_with_its_chain),
	KTAP_CASE(bad_files_are_refused_with_the_file_named),
	KTAP_CASE(ids_in_the_certificate),
	KTAP_CASE(each_key_type_signs_and_verifies_method_14),
	KTAP_CASE(hash_is_one_the_peer_announced),
	KTAP_CASE(rsa_method_1_only_for_peers_without_rfc7427),
	KTAP_CASE(other_signature_algorithms),
	KTAP_CASE(chains_verify_to_the_configured_anchor_only),
	KTAP_CASE(garbage_certificates_are_refused),
	KTAP_CASE(certreq_and_hash_notify),
	KTAP_CASE(full_verification_checks_chain_id_and_signature),
	KTAP_CASE(conn_builds_credentials_from_the_config),
};

KTAP_MAIN(cases)
