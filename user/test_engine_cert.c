// SPDX-License-Identifier: GPL-2.0
/*
 * Two IKE engines in one process authenticating with certificates (the PSK
 * flows are test_engine.c's): each key type of selftests/certs/make-certs.sh
 * with its chain through an intermediate CA, mixed key types, DN
 * identities, and the refusals: a peer chaining to a CA we do not trust
 * (AUTHENTICATION_FAILED), an ID its certificate does not carry, an AUTH
 * altered in flight (re-encrypted with the right keys, so only the
 * signature can tell), and certificates against a PSK connection.  Also
 * what goes on the wire: SIGNATURE_HASH_ALGORITHMS both ways, CERTREQ in
 * the IKE_SA_INIT response and the IKE_AUTH request, CERT end entity first.
 */
#include <arpa/inet.h>
#include <string.h>

#include <openssl/pem.h>

#include "ike/cred.h"
#include "ike/engine.h"
#include "ktap.h"
#include "test_pki.h"

enum { INI, RES };

struct end {
	struct ike_engine e;
	struct ike_conn_params conn;
	struct ike_cred *cred;
	struct sockaddr_storage addr;
	struct ike_sa *sa;
	struct child_sa *child;
	int installed;
	char why[256];
};

static struct end E[2];

static const struct ike_conn_params *responder_conn(void *ctx,
		const struct sockaddr_storage *local,
		const struct sockaddr_storage *remote)
{
	(void)ctx;
	(void)local;
	(void)remote;
	return &E[RES].conn;
}

static void id_text(struct ike_id *id, uint8_t type, const char *s)
{
	id->type = type;
	id->len = (uint8_t)strlen(s);
	memcpy(id->data, s, id->len);
}

/*
 * Side `me` of a connection between a.example (initiator, 192.0.2.1,
 * 10.1/16) and b.example (responder, 192.0.2.2, 10.2/16): its certificate
 * T/NAME.pem with its key, trusting CA (a PKI path) as anchor; NULL t:
 * PSK.
 */
static int end_setup(int me, const char *t, const char *name,
		     const char *ca)
{
	static const char *const host[2] = { "a.example", "b.example" };
	static const char *const ip[2] = { "192.0.2.1", "192.0.2.2" };
	struct end *s = &E[me];
	struct ike_conn_params *c = &s->conn;
	struct sockaddr_in *sin = (struct sockaddr_in *)&s->addr;
	char cert[32], key[32], err[256];
	int side;

	memset(s, 0, sizeof(*s));
	ike_engine_init(&s->e);
	sin->sin_family = AF_INET;
	sin->sin_port = htons(500);
	inet_pton(AF_INET, ip[me], &sin->sin_addr);
	c->name = me == INI ? "ini" : "res";
	id_text(&c->local_id, IKE_ID_FQDN, host[me]);
	id_text(&c->remote_id, IKE_ID_FQDN, host[!me]);
	for (side = 0; side < 2; side++) {
		struct ike_ts_pl *ts = side ? &c->ts_remote : &c->ts_local;
		int net = (side ? !me : me) + 1;	/* 10.1 or 10.2 */

		ts->n = 1;
		ts->ts[0] = (struct ike_ts){ .type = IKE_TS_IPV4_ADDR_RANGE,
			.end_port = 65535, .start = { 10, (uint8_t)net },
			.end = { 10, (uint8_t)net, 255, 255 } };
	}
	c->n_ike = 1;
	c->ike[0] = (struct ike_prop){ .encr = IKE_ENCR_AES_CBC,
		.keybits = 128, .integ = IKE_INTEG_HMAC_SHA2_256_128,
		.prf = IKE_PRF_HMAC_SHA2_256, .ke = IKE_KE_ECP256 };
	c->n_esp = 1;
	c->esp[0] = (struct ike_prop){ .encr = IKE_ENCR_AES_GCM_16,
		.keybits = 256 };
	if (me == RES) {
		s->e.find_conn = responder_conn;
		s->e.ctx = s;
	}
	if (!t) {
		c->psk = (const uint8_t *)"a shared secret";
		c->psk_len = 15;
		return 0;
	}
	snprintf(cert, sizeof(cert), "%s/%s.pem", t, name);
	snprintf(key, sizeof(key), "%s/%s.key", t, name);
	if (ike_cred_load(pki(cert), pki(key), &ca, 1, &s->cred, err,
			  sizeof(err))) {
		printf("# %s\n", err);
		return -1;
	}
	c->cred = s->cred;
	return 0;
}

/* Both ends: key type t each, a and b under t's root. */
static int pair(const char *t)
{
	char root[32];

	snprintf(root, sizeof(root), "%s/root.pem", t);
	return end_setup(INI, t, "a", pki(root)) |
	       end_setup(RES, t, "b", pki(root));
}

static void pair_free(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		ike_engine_destroy(&E[i].e);
		ike_cred_free(E[i].cred);
	}
}

/* Hand msg from end `from` to the other; the answer, if any. */
static struct ike_out *hand_over(int from, const struct ike_out *msg)
{
	static uint8_t wire[IKE_MAX_MSG];
	struct end *to = &E[!from];
	struct ike_effects fx;
	struct ike_sa *sa;
	int i;

	memcpy(wire, msg->buf, msg->len);
	to->why[0] = '\0';
	sa = ike_engine_input(&to->e, wire, msg->len, &to->addr,
			      &E[from].addr, &fx, to->why, sizeof(to->why));
	if (sa)
		to->sa = sa;
	for (i = 0; i < fx.n_install; i++, to->installed++)
		to->child = fx.install[i];
	for (i = 0; i < fx.n_remove; i++)
		child_sa_free(fx.remove[i]);
	if (to->why[0])
		printf("# %s: %s\n", from == INI ? "responder" : "initiator",
		       to->why);
	return fx.send;
}

/* From msg on (sent by `from`), until nobody answers. */
static void play(struct ike_out *msg, int from)
{
	int n;

	for (n = 0; msg && n < 16; n++, from = !from)
		msg = hand_over(from, msg);
	CHECK(n < 16);
}

static struct ike_out *start(void)
{
	struct ike_effects fx;

	E[INI].sa = ike_engine_initiate(&E[INI].e, &E[INI].conn, &E[INI].addr,
					&E[RES].addr, &fx, E[INI].why,
					sizeof(E[INI].why));
	return E[INI].sa ? fx.send : NULL;
}

static bool both_up(void)
{
	const struct child_sa *a = E[INI].child, *b = E[RES].child;

	return E[INI].sa && E[RES].sa &&
	       E[INI].sa->state == IKE_S_ESTABLISHED &&
	       E[RES].sa->state == IKE_S_ESTABLISHED &&
	       E[INI].installed == 1 && E[RES].installed == 1 && a && b &&
	       a->spi_out == b->spi_in && b->spi_out == a->spi_in &&
	       !memcmp(a->keymat, b->keymat + a->enc_len + a->integ_len,
		       a->enc_len + a->integ_len);
}

static void establish(const char *t)
{
	CHECK(pair(t) == 0);
	play(start(), INI);
	CHECK(both_up());
	pair_free();
}

static void ecdsa_p256_chain_with_intermediate(void)
{
	establish("p256");
}

static void ecdsa_p384_chain_with_intermediate(void)
{
	establish("p384");
}

static void rsa_pss_chain_with_intermediate(void)
{
	establish("rsa");
}

static void ed25519_chain_with_intermediate(void)
{
	establish("ed25519");
}

static void mixed_key_types_and_a_chain_of_one(void)
{
	/* initiator: P-256 signed by its root directly; responder: Ed25519 */
	CHECK(end_setup(INI, "p256", "c", pki("ed25519/root.pem")) == 0);
	CHECK(end_setup(RES, "ed25519", "b", pki("p256/root.pem")) == 0);
	play(start(), INI);
	CHECK(both_up());
	pair_free();
	/* an RSA-PSS key (id-RSASSA-PSS) against RSA-3072 */
	CHECK(end_setup(INI, "rsa", "p", pki("rsa/root.pem")) == 0);
	CHECK(end_setup(RES, "rsa", "b", pki("rsa/root.pem")) == 0);
	play(start(), INI);
	CHECK(both_up());
	pair_free();
}

/* The subject DN of a PKI certificate file, as an ike_id. */
static void dn_of(const char *rel, struct ike_id *id)
{
	FILE *f = fopen(pki(rel), "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	unsigned char *p = id->data;
	int n = x ? i2d_X509_NAME(X509_get_subject_name(x), NULL) : -1;

	memset(id, 0, sizeof(*id));
	if (n > 0 && n <= IKE_MAX_ID) {
		id->type = IKE_ID_DER_ASN1_DN;
		id->len = (uint8_t)n;
		i2d_X509_NAME(X509_get_subject_name(x), &p);
	}
	X509_free(x);
	if (f)
		fclose(f);
}

static void dn_identities(void)
{
	CHECK(pair("ed25519") == 0);
	dn_of("ed25519/a.crt", &E[INI].conn.local_id);
	dn_of("ed25519/b.crt", &E[INI].conn.remote_id);
	dn_of("ed25519/b.crt", &E[RES].conn.local_id);
	E[RES].conn.remote_id.type = 0;		/* %any */
	CHECK(E[INI].conn.local_id.type == IKE_ID_DER_ASN1_DN);
	play(start(), INI);
	CHECK(both_up());
	pair_free();
	/* a DN that is not the certificate's subject */
	CHECK(pair("ed25519") == 0);
	dn_of("ed25519/int.pem", &E[INI].conn.local_id);
	E[RES].conn.remote_id.type = 0;
	play(start(), INI);
	CHECK(!both_up());
	CHECK(strstr(E[RES].why, "not in its certificate") != NULL);
	pair_free();
}

static bool refused(void)
{
	return E[INI].sa && E[INI].sa->state != IKE_S_ESTABLISHED &&
	       E[INI].installed == 0 && E[RES].installed == 0 &&
	       strstr(E[INI].why, "AUTHENTICATION_FAILED") != NULL;
}

static void untrusted_ca_is_authentication_failed(void)
{
	/* the responder trusts another root only */
	CHECK(end_setup(INI, "p256", "a", pki("p256/root.pem")) == 0);
	CHECK(end_setup(RES, "p256", "b", pki("other/root.pem")) == 0);
	play(start(), INI);
	CHECK(refused());
	CHECK(strstr(E[RES].why, "does not verify") != NULL);
	pair_free();
	/* a certificate from another PKI with the right name */
	CHECK(end_setup(INI, "other", "a", pki("p256/root.pem")) == 0);
	CHECK(end_setup(RES, "p256", "b", pki("p256/root.pem")) == 0);
	play(start(), INI);
	CHECK(refused());
	pair_free();
	/* the initiator does not trust the responder */
	CHECK(end_setup(INI, "p256", "a", pki("p384/root.pem")) == 0);
	CHECK(end_setup(RES, "p256", "b", pki("p256/root.pem")) == 0);
	play(start(), INI);
	CHECK(E[INI].sa && E[INI].sa->state != IKE_S_ESTABLISHED &&
	      E[INI].installed == 0);
	CHECK(strstr(E[INI].why, "does not verify") != NULL);
	pair_free();
}

static void id_not_in_the_certificate_fails(void)
{
	CHECK(pair("p384") == 0);
	id_text(&E[INI].conn.local_id, IKE_ID_FQDN, "c.example");
	id_text(&E[RES].conn.remote_id, IKE_ID_FQDN, "c.example");
	play(start(), INI);
	CHECK(refused());
	CHECK(strstr(E[RES].why, "not in its certificate") != NULL);
	pair_free();
	/* the right certificate, but not the ID the responder wants */
	CHECK(pair("p384") == 0);
	id_text(&E[RES].conn.remote_id, IKE_ID_FQDN, "c.example");
	play(start(), INI);
	CHECK(refused());
	CHECK(strstr(E[RES].why, "not the one configured") != NULL);
	pair_free();
}

/*
 * msg (an IKE_AUTH of end `from`) opened with its sender's keys, its inner
 * payloads parsed into *m (plain holds them), its length in *plen.
 */
static int open_auth(int from, const struct ike_out *msg, uint8_t *plain,
		     size_t *plen, struct ike_msg *m)
{
	const struct ike_sa *sa = E[from].sa;
	const struct ik_sk_key *k = sa->initiator ? &sa->keys.sk_i
						  : &sa->keys.sk_r;
	int n;

	if (ike_msg_parse(msg->buf, msg->len, m).err || !m->has_sk)
		return -1;
	n = ik_sk_open(k, msg->buf, m->sk.offset + IKE_GENERIC_HDR_LEN,
		       msg->len, plain, IKE_MAX_MSG);
	if (n < 0 || ike_payloads_parse(m->sk.first_inner, plain, n, m).err)
		return -1;
	*plen = (size_t)n;
	return 0;
}

/*
 * Flip the last bit of the AUTH data in msg, an IKE_AUTH of end `from`,
 * and seal it again with that end's keys into out.
 */
static int tamper_auth(int from, const struct ike_out *msg,
		       struct ike_out *out)
{
	static uint8_t plain[IKE_MAX_MSG];
	static struct ike_msg m;
	struct ike_wbuf inner;
	size_t n;
	uint8_t *last;

	if (open_auth(from, msg, plain, &n, &m) || !m.has_auth)
		return -1;
	last = plain + (m.auth.data.p + m.auth.data.len - 1 - plain);
	*last ^= 0x01;
	ike_w_init(&inner, plain, sizeof(plain));
	inner.len = n;
	inner.first = m.sk.first_inner;
	return ike_sk_build(E[from].sa, IKE_AUTH,
			    !!(m.hdr.flags & IKE_FLAG_RESPONSE), m.hdr.msgid,
			    &inner, out);
}

static void tampered_auth_fails(void)
{
	struct ike_out bad = { 0 }, *auth;	/* ike_sk_build sizes it */

	/* the initiator's AUTH */
	CHECK(pair("ed25519") == 0);
	auth = hand_over(RES, hand_over(INI, start()));
	CHECK(auth && tamper_auth(INI, auth, &bad) == 0);
	play(&bad, INI);
	CHECK(refused());
	CHECK(strstr(E[RES].why, "AUTH signature does not verify") != NULL);
	pair_free();

	/* the responder's AUTH */
	CHECK(pair("rsa") == 0);
	auth = hand_over(INI, hand_over(RES, hand_over(INI, start())));
	CHECK(auth && tamper_auth(RES, auth, &bad) == 0);
	play(&bad, RES);
	CHECK(E[INI].sa && E[INI].sa->state != IKE_S_ESTABLISHED &&
	      E[INI].installed == 0);
	CHECK(strstr(E[INI].why, "AUTH signature does not verify") != NULL);
	pair_free();
	free(bad.buf);
}

static void certificates_against_psk_are_refused(void)
{
	CHECK(end_setup(INI, "p256", "a", pki("p256/root.pem")) == 0);
	CHECK(end_setup(RES, NULL, NULL, NULL) == 0);
	play(start(), INI);
	CHECK(refused());
	CHECK(strstr(E[RES].why, "configured: PSK") != NULL);
	pair_free();
	CHECK(end_setup(INI, NULL, NULL, NULL) == 0);
	CHECK(end_setup(RES, "p256", "b", pki("p256/root.pem")) == 0);
	play(start(), INI);
	CHECK(refused());
	CHECK(strstr(E[RES].why, "configured: certificates") != NULL);
	pair_free();
}

static void what_goes_on_the_wire(void)
{
	static uint8_t plain[IKE_MAX_MSG];
	static struct ike_msg m;
	struct ike_out *req, *resp, *auth;
	const struct ike_notify_pl *n;
	size_t len;

	CHECK(pair("p384") == 0);
	req = start();
	CHECK(req && !ike_msg_parse(req->buf, req->len, &m).err);
	n = ike_msg_notify(&m, IKE_N_SIGNATURE_HASH_ALGORITHMS);
	CHECK(n && ike_hash_algs_mask(n->data.p, n->data.len) ==
	      IKE_HASH_ALGS_OURS);
	CHECK(m.n_certreqs == 0);
	resp = hand_over(INI, req);
	CHECK(resp && !ike_msg_parse(resp->buf, resp->len, &m).err);
	CHECK(ike_msg_notify(&m, IKE_N_SIGNATURE_HASH_ALGORITHMS) != NULL);
	CHECK(m.n_certreqs == 1 && m.certreqs[0].encoding == 4 &&
	      m.certreqs[0].data.len == 20);
	auth = hand_over(RES, resp);
	CHECK(auth && !open_auth(INI, auth, plain, &len, &m));
	CHECK(m.has_idi && m.idi.type == IKE_ID_FQDN);
	CHECK(m.n_certs == 2 && m.certs[0].encoding == IKE_CERT_X509_SIG);
	CHECK(m.n_certreqs == 1 && m.certreqs[0].data.len == 20);
	CHECK(m.has_auth && m.auth.method == IKE_AUTH_DIGITAL_SIG);
	/* ECDSA P-384: ecdsa-with-SHA384 */
	CHECK(m.auth.data.len > 12 && m.auth.data.p[0] == 12 &&
	      m.auth.data.p[10] == 0x04 && m.auth.data.p[11] == 0x03 &&
	      m.auth.data.p[12] == 0x03);
	auth = hand_over(INI, auth);
	CHECK(auth && !open_auth(RES, auth, plain, &len, &m));
	CHECK(m.has_idr && m.n_certs == 2 && m.n_certreqs == 0);
	CHECK(m.has_auth && m.auth.method == IKE_AUTH_DIGITAL_SIG);
	play(auth, RES);
	CHECK(both_up());
	pair_free();
	/* PSK connections send none of it */
	CHECK(end_setup(INI, NULL, NULL, NULL) == 0);
	CHECK(end_setup(RES, NULL, NULL, NULL) == 0);
	req = start();
	CHECK(req && !ike_msg_parse(req->buf, req->len, &m).err);
	CHECK(!ike_msg_notify(&m, IKE_N_SIGNATURE_HASH_ALGORITHMS));
	resp = hand_over(INI, req);
	CHECK(resp && !ike_msg_parse(resp->buf, resp->len, &m).err);
	CHECK(!ike_msg_notify(&m, IKE_N_SIGNATURE_HASH_ALGORITHMS) &&
	      m.n_certreqs == 0);
	play(resp, RES);
	CHECK(both_up());
	pair_free();
}

static const struct ktap_case cases[] = {
	KTAP_CASE(ecdsa_p256_chain_with_intermediate),
	KTAP_CASE(ecdsa_p384_chain_with_intermediate),
	KTAP_CASE(rsa_pss_chain_with_intermediate),
	KTAP_CASE(ed25519_chain_with_intermediate),
	KTAP_CASE(mixed_key_types_and_a_chain_of_one),
	KTAP_CASE(dn_identities),
	KTAP_CASE(untrusted_ca_is_authentication_failed),
	KTAP_CASE(id_not_in_the_certificate_fails),
	KTAP_CASE(tampered_auth_fails),
	KTAP_CASE(certificates_against_psk_are_refused),
	KTAP_CASE(what_goes_on_the_wire),
};

KTAP_MAIN(cases)
