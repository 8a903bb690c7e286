/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Certificate credentials of a connection (auth = pubkey): our certificate
 * chain and private key, the trust anchors for the peer's chain, and the
 * signatures of IKE_AUTH (RFC 7296 2.15, RFC 7427).
 *
 * A struct ike_cred is made once from the files the config names and does
 * not change afterwards; the engine sees it read-only through
 * ike_conn_params.cred.  The private key is read once into an EVP_PKEY, the
 * file's bytes are wiped after parsing, the key is never printed (errors
 * name the file, not its contents), and ike_cred_free() releases it.
 *
 * AUTH methods:
 *  - 14, Digital Signature (RFC 7427): AUTH data = one octet length of an
 *    ASN.1 AlgorithmIdentifier, the AlgorithmIdentifier, the signature.
 *    We sign with ECDSA (the curve's hash first: P-256 SHA-256, P-384
 *    SHA-384, P-521 SHA-512; DER Ecdsa-Sig-Value), RSASSA-PSS (SHA-256 first,
 *    MGF1 with the same hash, salt of the hash's length) for RSA and RSA-PSS
 *    keys, Ed25519 and Ed448 (identity "hash").  The hash is one the peer
 *    announced in SIGNATURE_HASH_ALGORITHMS.  We verify those and
 *    sha{256,384,512}WithRSAEncryption (PKCS#1 v1.5), which strongSwan uses
 *    for RSA keys unless told to use PSS.
 *  - 1, RSA Digital Signature (RFC 7296: RSASSA-PKCS1-v1_5 with SHA-1), for
 *    peers without RFC 7427 only: we sign with it when our key is an
 *    rsaEncryption key and the peer sent no SIGNATURE_HASH_ALGORITHMS, and
 *    accept it only from such a peer.  (Without the notify, non-RSA keys
 *    still sign with method 14: RFC 7296's ECDSA methods 9-11 are not
 *    implemented.)
 *
 * Peer verification, in this order: the chain from the peer's CERT payloads
 * (X.509 signature, encoding 4: the first is the end entity, the rest are
 * untrusted intermediates) to one of our trust anchors with
 * X509_verify_cert() (a CA certificate in the ca files is an anchor even if
 * it is not self-signed: X509_V_FLAG_PARTIAL_CHAIN); an end-entity key
 * usage, if present, must allow digitalSignature; then the peer's ID must
 * be in the certificate (DER_ASN1_DN: the subject, by X509_NAME_cmp();
 * FQDN, RFC822_ADDR, IPV4_ADDR, IPV6_ADDR: a dNSName, rfc822Name or
 * iPAddress of subjectAltName, exactly, no wildcards); then the AUTH
 * signature with the certificate's public key.  Revocation (CRLs, OCSP) is
 * not checked: out of scope.  Nor are extended key usages.
 *
 * CERTREQ (encoding 4): the SHA-1 hashes of the subjectPublicKeyInfo of our
 * trust anchors, concatenated.  Received CERTREQs are ignored: we always
 * send our whole chain.
 */
#ifndef IKETCPD_IKE_CRED_H
#define IKETCPD_IKE_CRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ike/msg.h"

struct ike_cred;

#define IKE_CRED_MAX_CHAIN	8	/* certificates of ours sent, EE included */
#define IKE_CRED_FILE_MAX	(1 << 20)	/* bytes of a cert, key or CA file */

/*
 * Load cert_file (PEM: the end-entity certificate first, then any
 * intermediates; or one DER certificate), key_file (PEM or DER private
 * key, unencrypted; it must belong to the certificate) and the trust
 * anchors in ca_files (PEM, each may hold several certificates; or DER).
 * 0 with *out set, or -1 with a line in err naming the file.
 */
int ike_cred_load(const char *cert_file, const char *key_file,
		  const char *const *ca_files, size_t n_ca,
		  struct ike_cred **out, char *err, size_t errlen);
void ike_cred_free(struct ike_cred *c);

/* Our certificate's subject as DER into out; its length, or -1 if > cap. */
int ike_cred_subject(const struct ike_cred *c, uint8_t *out, size_t cap);
/* Does our certificate carry this ID (rules above)? */
bool ike_cred_has_id(const struct ike_cred *c, uint8_t type,
		     const uint8_t *data, size_t len);
/* A short name of our key ("ECDSA P-256", "RSA-3072", "Ed25519"...). */
const char *ike_cred_key_name(const struct ike_cred *c);

/*
 * IKE_SA_INIT, request or response: N(SIGNATURE_HASH_ALGORITHMS) and, for a
 * responder, CERTREQ.  Nothing when c is NULL (PSK).
 */
void ike_cred_put_init(const struct ike_cred *c, bool responder,
		       struct ike_wbuf *w);
/* IKE_AUTH: our CERT payloads, end entity first, then intermediates. */
void ike_cred_put_certs(const struct ike_cred *c, struct ike_wbuf *w);
/* IKE_AUTH request: CERTREQ for our trust anchors. */
void ike_cred_put_certreq(const struct ike_cred *c, struct ike_wbuf *w);

/*
 * The hash algorithms of a SIGNATURE_HASH_ALGORITHMS notify's data as a
 * mask, bit n for RFC 7427 hash algorithm n (unknown values above 31 and
 * an odd trailing byte are ignored).
 */
uint32_t ike_hash_algs_mask(const uint8_t *data, size_t len);
/* What we announce, and accept in method 14: SHA2-256/384/512, identity. */
#define IKE_HASH_ALGS_OURS	(1u << IKE_HASH_SHA2_256 | \
				 1u << IKE_HASH_SHA2_384 | \
				 1u << IKE_HASH_SHA2_512 | \
				 1u << IKE_HASH_IDENTITY)

/*
 * Sign octets with c's key.  peer_announced: the peer sent
 * SIGNATURE_HASH_ALGORITHMS, with peer_hashes its mask.  Sets *method and
 * returns a malloc()ed AUTH data in *auth (*len bytes), or -1 with why.
 */
int ike_cred_sign(const struct ike_cred *c, bool peer_announced,
		  uint32_t peer_hashes, const uint8_t *octets, size_t olen,
		  uint8_t *method, uint8_t **auth, size_t *len, char *why,
		  size_t whylen);

/* The same with a bare key (the unit tests use it directly). */
int ike_sig_sign(EVP_PKEY *key, bool peer_announced, uint32_t peer_hashes,
		 const uint8_t *octets, size_t olen, uint8_t *method,
		 uint8_t **auth, size_t *len, char *why, size_t whylen);
/*
 * Check AUTH data of method (1 or 14) over octets with pub.  Method 1 only
 * if !peer_announced.  0, or -1 with why.
 */
int ike_sig_verify(EVP_PKEY *pub, bool peer_announced, uint8_t method,
		   const uint8_t *auth, size_t len, const uint8_t *octets,
		   size_t olen, char *why, size_t whylen);

/* What the peer sent in IKE_AUTH, for ike_cred_verify(). */
struct ike_peer_auth {
	const struct ike_cert_pl *certs;
	size_t n_certs;
	uint8_t id_type;
	const uint8_t *id;
	size_t id_len;
	uint8_t method;
	const uint8_t *auth;
	size_t auth_len;
	bool peer_announced;		/* it sent SIGNATURE_HASH_ALGORITHMS */
	const uint8_t *octets;		/* its signed octets */
	size_t octets_len;
};

/* Chain, ID, signature (see above).  0, or -1 with why. */
int ike_cred_verify(const struct ike_cred *c, const struct ike_peer_auth *p,
		    char *why, size_t whylen);

/*
 * The peer's end-entity certificate from its CERT payloads, verified to one
 * of c's anchors: a new X509 (X509_free() it), or NULL with why.
 */
X509 *ike_cred_verify_chain(const struct ike_cred *c,
			    const struct ike_cert_pl *certs, size_t n,
			    char *why, size_t whylen);
/* Is the ID in cert (rules above)? */
bool ike_cert_has_id(X509 *cert, uint8_t type, const uint8_t *data,
		     size_t len);

/* Same identity: DNs by X509_NAME_cmp(), others byte for byte. */
bool ike_id_equal(uint8_t type, const uint8_t *a, size_t alen,
		  const uint8_t *b, size_t blen);

#endif
