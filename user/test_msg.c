// SPDX-License-Identifier: GPL-2.0
/*
 * ike/msg.c: messages built by the builder parse back to what was put in;
 * the builder lays bytes out as RFC 7296 section 3 says; every malformed
 * message named by the rules in msg.h fails with the right error kind, at
 * the right payload and offset; nothing reads past the buffer (parses of
 * broken messages run on exact-size heap copies, under ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ike/msg.h"
#include "ktap.h"

#define BUF	4096

static const struct ike_hdr init_hdr = {
	.spi_i = 0x0102030405060708ull,
	.exchange = IKE_SA_INIT,
	.flags = IKE_FLAG_INITIATOR,
};

static const struct ike_hdr auth_hdr = {
	.spi_i = 0x0102030405060708ull,
	.spi_r = 0x1112131415161718ull,
	.exchange = IKE_AUTH,
	.flags = IKE_FLAG_INITIATOR,
	.msgid = 1,
};

static const char fqdn[] = "gw1.example.net";

/* Recognisable bytes: n bytes from seed. */
static const uint8_t *pattern(uint8_t seed, size_t n)
{
	static uint8_t b[8][1024];
	static unsigned next;
	uint8_t *p = b[next++ % 8];
	size_t i;

	for (i = 0; i < n && i < sizeof(b[0]); i++)
		p[i] = (uint8_t)(seed + i * 7);
	return p;
}

static bool span_is(struct ike_span s, const void *p, size_t len)
{
	return s.len == len && (!len || !memcmp(s.p, p, len));
}

static struct ike_parse_result parse_copy(const uint8_t *buf, size_t len,
					  struct ike_msg *m)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct ike_parse_result r;

	memcpy(copy, buf, len);
	r = ike_msg_parse(copy, len, m);
	free(copy);	/* m's spans dangle: for failures only */
	return r;
}

static enum ike_parse_err err_of(const uint8_t *buf, size_t len)
{
	struct ike_msg m;

	return parse_copy(buf, len, &m).err;
}

/* ---- building blocks ------------------------------------------------ */

static void sa_offer(struct ike_sa_pl *sa)
{
	static const struct ike_proposal p1 = {
		.num = 1, .protocol = IKE_PROTO_IKE, .n_transforms = 5,
		.t = {
			{ IKE_TT_ENCR, IKE_ENCR_AES_CBC, 256 },
			{ IKE_TT_PRF, IKE_PRF_HMAC_SHA2_256, 0 },
			{ IKE_TT_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0 },
			{ IKE_TT_KE, IKE_KE_ECP256, 0 },
			{ IKE_TT_KE, IKE_KE_X25519, 0 },
		},
	};
	static const struct ike_proposal p2 = {
		.num = 2, .protocol = IKE_PROTO_IKE, .n_transforms = 4,
		.t = {
			{ IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 128 },
			{ IKE_TT_PRF, IKE_PRF_HMAC_SHA2_384, 0 },
			{ IKE_TT_KE, IKE_KE_MLKEM768, 0 },
			{ IKE_TT_ADDKE1, IKE_KE_MLKEM512, 0 },
		},
	};

	memset(sa, 0, sizeof(*sa));
	sa->n = 2;
	sa->p[0] = p1;
	sa->p[1] = p2;
}

static void sa_child(struct ike_sa_pl *sa)
{
	static const struct ike_proposal p = {
		.num = 1, .protocol = IKE_PROTO_ESP, .spi_size = 4,
		.spi = { 0xc0, 0xff, 0xee, 0x01 }, .n_transforms = 2,
		.t = {
			{ IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 256 },
			{ IKE_TT_ESN, IKE_ESN_NO, 0 },
		},
	};

	memset(sa, 0, sizeof(*sa));
	sa->n = 1;
	sa->p[0] = p;
}

static void ts_pair(struct ike_ts_pl *tsi, struct ike_ts_pl *tsr)
{
	static const struct ike_ts v4 = {
		.type = IKE_TS_IPV4_ADDR_RANGE, .start_port = 0,
		.end_port = 65535, .start = { 10, 0, 0, 0 },
		.end = { 10, 0, 0, 255 },
	};
	static const struct ike_ts v6 = {
		.type = IKE_TS_IPV6_ADDR_RANGE, .ipproto = 6,
		.start_port = 443, .end_port = 443,
		.start = { 0x20, 0x01, 0x0d, 0xb8 },
		.end = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0xff },
	};
	static const struct ike_ts one = {
		.type = IKE_TS_IPV4_ADDR_RANGE, .ipproto = 17,
		.start_port = 4500, .end_port = 4500,
		.start = { 192, 0, 2, 1 }, .end = { 192, 0, 2, 1 },
	};

	memset(tsi, 0, sizeof(*tsi));
	memset(tsr, 0, sizeof(*tsr));
	tsi->n = 2;
	tsi->ts[0] = v4;
	tsi->ts[1] = v6;
	tsr->n = 1;
	tsr->ts[0] = one;
}

static void w_vendor(struct ike_wbuf *w, const uint8_t *id, size_t len)
{
	size_t at = ike_w_begin(w, IKE_PL_VENDOR);

	ike_w_bytes(w, id, len);
	ike_w_end(w, at);
}

/* A payload as given: any type, flags byte and body. */
static void w_raw(struct ike_wbuf *w, uint8_t type, uint8_t flags,
		  const void *body, size_t len)
{
	size_t at = ike_w_begin(w, type);

	if (!w->err)
		w->p[at + 1] = flags;
	ike_w_bytes(w, body, len);
	ike_w_end(w, at);
}

static size_t w_done(struct ike_wbuf *w)
{
	ike_w_finish(w);
	CHECK(!w->err);
	return w->len;
}

/* IKE_SA_INIT request: SA, KE, Ni, N(NAT_D source, dest), V. */
static size_t build_sa_init(uint8_t *buf, size_t cap)
{
	struct ike_sa_pl sa;
	struct ike_wbuf w;

	sa_offer(&sa);
	ike_w_init(&w, buf, cap);
	ike_w_header(&w, &init_hdr);
	ike_w_sa(&w, &sa);
	ike_w_ke(&w, IKE_KE_ECP256, pattern(1, 64), 64);
	ike_w_nonce(&w, pattern(2, 32), 32);
	ike_w_notify(&w, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP,
		     pattern(3, 20), 20);
	ike_w_notify(&w, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP,
		     pattern(4, 20), 20);
	w_vendor(&w, pattern(5, 16), 16);
	return w_done(&w);
}

/* IKE_AUTH request's inner chain; *first gets its first payload type. */
static size_t build_inner(uint8_t *buf, size_t cap, uint8_t *first)
{
	struct ike_ts_pl tsi, tsr;
	struct ike_sa_pl sa;
	struct ike_wbuf w;

	sa_child(&sa);
	ts_pair(&tsi, &tsr);
	ike_w_init(&w, buf, cap);
	ike_w_id(&w, IKE_PL_IDI, IKE_ID_FQDN, (const uint8_t *)fqdn,
		 strlen(fqdn));
	ike_w_cert(&w, IKE_PL_CERT, IKE_CERT_X509_SIG, pattern(6, 200), 200);
	ike_w_cert(&w, IKE_PL_CERTREQ, IKE_CERT_X509_SIG, pattern(7, 20), 20);
	ike_w_auth(&w, IKE_AUTH_DIGITAL_SIG, pattern(8, 64), 64);
	ike_w_notify(&w, 0, NULL, 0, IKE_N_INITIAL_CONTACT, NULL, 0);
	ike_w_sa(&w, &sa);
	ike_w_ts(&w, IKE_PL_TSI, &tsi);
	ike_w_ts(&w, IKE_PL_TSR, &tsr);
	CHECK(!w.err);
	*first = ike_w_first(&w);
	return w.len;
}

/* IKE_AUTH with the inner chain as SK's body (in clear: parsing only). */
static size_t build_auth(uint8_t *buf, size_t cap, size_t *inner_len)
{
	uint8_t inner[BUF], first;
	struct ike_wbuf w;

	*inner_len = build_inner(inner, sizeof(inner), &first);
	ike_w_init(&w, buf, cap);
	ike_w_header(&w, &auth_hdr);
	ike_w_sk_header(&w, first, *inner_len);
	ike_w_bytes(&w, inner, *inner_len);
	return w_done(&w);
}

static void msg_start(struct ike_wbuf *w, uint8_t *buf, size_t cap)
{
	ike_w_init(w, buf, cap);
	ike_w_header(w, &init_hdr);
}

/* Proposal and transform headers, fields as RFC 7296 3.3.1/3.3.2 order. */
static void raw_proposal(struct ike_wbuf *w, uint8_t last, uint16_t len,
			 uint8_t num, uint8_t spi_size, uint8_t n_transforms)
{
	ike_w_u8(w, last);
	ike_w_u8(w, 0);
	ike_w_u16(w, len);
	ike_w_u8(w, num);
	ike_w_u8(w, IKE_PROTO_IKE);
	ike_w_u8(w, spi_size);
	ike_w_u8(w, n_transforms);
}

static void raw_transform(struct ike_wbuf *w, uint8_t last, uint16_t len,
			  uint8_t type, uint16_t id)
{
	ike_w_u8(w, last);
	ike_w_u8(w, 0);
	ike_w_u16(w, len);
	ike_w_u8(w, type);
	ike_w_u8(w, 0);
	ike_w_u16(w, id);
}

/* An SA payload of one proposal with n plain transforms, count claimed. */
static size_t msg_sa_n_transforms(uint8_t *buf, unsigned n, uint8_t count)
{
	struct ike_wbuf w;
	size_t at;
	unsigned i;

	msg_start(&w, buf, BUF);
	at = ike_w_begin(&w, IKE_PL_SA);
	raw_proposal(&w, 0, (uint16_t)(8 + 8 * n), 1, 0, count);
	for (i = 0; i < n; i++)
		raw_transform(&w, i + 1 == n ? 0 : 3, 8, IKE_TT_ENCR, 12);
	ike_w_end(&w, at);
	return w_done(&w);
}

/* ---- header ----------------------------------------------------------- */

static void header_fields_in_host_order(void)
{
	uint8_t buf[BUF];
	size_t len = build_sa_init(buf, sizeof(buf));
	struct ike_hdr h;

	CHECK(ike_hdr_parse(buf, len, &h) == IKE_PARSE_OK);
	CHECK(h.spi_i == 0x0102030405060708ull && h.spi_r == 0);
	CHECK(h.next == IKE_PL_SA && h.version == IKE_VERSION);
	CHECK(h.exchange == IKE_SA_INIT && h.flags == IKE_FLAG_INITIATOR);
	CHECK(h.msgid == 0 && h.length == len);
	CHECK(buf[0] == 0x01 && buf[7] == 0x08);
	CHECK(buf[24] == 0 && buf[25] == 0 && buf[26] == len >> 8 &&
	      buf[27] == (len & 0xff));
}

static void header_short_version_and_length_rejected(void)
{
	uint8_t buf[BUF];
	size_t len = build_sa_init(buf, sizeof(buf));
	struct ike_parse_result r;
	struct ike_msg m;
	struct ike_hdr h;

	CHECK(ike_hdr_parse(NULL, 0, &h) == IKE_PARSE_SHORT);
	CHECK(ike_hdr_parse(buf, IKE_HDR_LEN - 1, &h) == IKE_PARSE_SHORT);
	CHECK(err_of(buf, IKE_HDR_LEN - 1) == IKE_PARSE_SHORT);
	/* datagram and header disagree, either way */
	CHECK(ike_hdr_parse(buf, len - 1, &h) == IKE_PARSE_SYNTAX);
	r = parse_copy(buf, len - 1, &m);
	CHECK(r.err == IKE_PARSE_SYNTAX && r.offset == 24);
	buf[27]--;
	CHECK(ike_hdr_parse(buf, len, &h) == IKE_PARSE_SYNTAX);
	buf[27]++;
	/* a minor version is no reason to refuse */
	buf[17] = 0x21;
	CHECK(ike_hdr_parse(buf, len, &h) == IKE_PARSE_OK);
	/* major 3 or 1: INVALID_MAJOR_VERSION, with the SPIs to answer it */
	buf[17] = 0x30;
	memset(&h, 0, sizeof(h));
	CHECK(ike_hdr_parse(buf, len, &h) == IKE_PARSE_VERSION);
	CHECK(h.spi_i == init_hdr.spi_i && h.version == 0x30);
	r = parse_copy(buf, len, &m);
	CHECK(r.err == IKE_PARSE_VERSION && r.offset == 17);
	buf[17] = 0x10;
	CHECK(err_of(buf, len) == IKE_PARSE_VERSION);
}

static void header_only_message_parses(void)
{
	uint8_t buf[IKE_HDR_LEN];
	struct ike_parse_result r;
	struct ike_wbuf w;
	struct ike_msg m;

	ike_w_init(&w, buf, sizeof(buf));
	ike_w_header(&w, &auth_hdr);
	CHECK(w_done(&w) == IKE_HDR_LEN);
	r = ike_msg_parse(buf, sizeof(buf), &m);
	CHECK(r.err == IKE_PARSE_OK);
	CHECK(m.hdr.next == IKE_PL_NONE && m.hdr.msgid == 1);
	CHECK(!m.has_sk && !m.n_notifies);
}

/* ---- round trips ------------------------------------------------------ */

static bool transform_is(const struct ike_transform *a,
			 const struct ike_transform *b)
{
	return a->type == b->type && a->id == b->id && a->keylen == b->keylen;
}

static bool sa_is(const struct ike_sa_pl *a, const struct ike_sa_pl *b)
{
	size_t i, j;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		const struct ike_proposal *x = &a->p[i], *y = &b->p[i];

		if (x->num != y->num || x->protocol != y->protocol ||
		    x->spi_size != y->spi_size ||
		    memcmp(x->spi, y->spi, x->spi_size) ||
		    x->n_transforms != y->n_transforms)
			return false;
		for (j = 0; j < x->n_transforms; j++)
			if (!transform_is(&x->t[j], &y->t[j]))
				return false;
	}
	return true;
}

static bool ts_is(const struct ike_ts_pl *a, const struct ike_ts_pl *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (!ike_ts_eq(&a->ts[i], &b->ts[i]))
			return false;
	return true;
}

static void sa_init_round_trip(void)
{
	uint8_t buf[BUF];
	size_t len = build_sa_init(buf, sizeof(buf));
	struct ike_parse_result r;
	struct ike_sa_pl sa;
	struct ike_msg m;

	r = ike_msg_parse(buf, len, &m);
	CHECK(r.err == IKE_PARSE_OK);
	sa_offer(&sa);
	CHECK(m.has_sa && sa_is(&m.sa, &sa));
	CHECK(m.has_ke && m.ke.group == IKE_KE_ECP256);
	CHECK(span_is(m.ke.data, pattern(1, 64), 64));
	CHECK(m.has_nonce && span_is(m.nonce, pattern(2, 32), 32));
	CHECK(m.n_notifies == 2);
	CHECK(m.notifies[0].type == IKE_N_NAT_DETECTION_SOURCE_IP);
	CHECK(m.notifies[0].spi_size == 0 && m.notifies[0].spi.len == 0);
	CHECK(span_is(m.notifies[0].data, pattern(3, 20), 20));
	CHECK(m.notifies[1].type == IKE_N_NAT_DETECTION_DESTINATION_IP);
	CHECK(span_is(m.notifies[1].data, pattern(4, 20), 20));
	/* what the message does not carry is not claimed */
	CHECK(!m.has_idi && !m.has_idr && !m.has_auth && !m.has_tsi &&
	      !m.has_tsr && !m.has_sk && !m.has_skf);
	CHECK(!m.n_certs && !m.n_certreqs && !m.n_deletes);
	CHECK(m.raw.p == buf && m.raw.len == len);
}

static void auth_inner_chain_round_trip(void)
{
	uint8_t buf[BUF];
	size_t inner_len, len = build_auth(buf, sizeof(buf), &inner_len);
	struct ike_ts_pl tsi, tsr;
	struct ike_parse_result r;
	struct ike_sa_pl sa;
	struct ike_msg m;

	r = ike_msg_parse(buf, len, &m);
	CHECK(r.err == IKE_PARSE_OK && m.has_sk && !m.has_idi);
	r = ike_payloads_parse(m.sk.first_inner, m.sk.body.p, m.sk.body.len,
			       &m);
	CHECK(r.err == IKE_PARSE_OK);
	CHECK(m.has_idi && m.idi.type == IKE_ID_FQDN);
	CHECK(span_is(m.idi.data, fqdn, strlen(fqdn)));
	CHECK(m.n_certs == 1 && m.certs[0].encoding == IKE_CERT_X509_SIG);
	CHECK(span_is(m.certs[0].data, pattern(6, 200), 200));
	CHECK(m.n_certreqs == 1);
	CHECK(span_is(m.certreqs[0].data, pattern(7, 20), 20));
	CHECK(m.has_auth && m.auth.method == IKE_AUTH_DIGITAL_SIG);
	CHECK(span_is(m.auth.data, pattern(8, 64), 64));
	CHECK(m.n_notifies == 1 &&
	      m.notifies[0].type == IKE_N_INITIAL_CONTACT &&
	      m.notifies[0].data.len == 0);
	sa_child(&sa);
	CHECK(m.has_sa && sa_is(&m.sa, &sa));
	CHECK(m.sa.p[0].spi[0] == 0xc0 && m.sa.p[0].spi[3] == 0x01);
	ts_pair(&tsi, &tsr);
	CHECK(m.has_tsi && ts_is(&m.tsi, &tsi));
	CHECK(m.has_tsr && ts_is(&m.tsr, &tsr));
	CHECK(!m.has_idr && !m.has_ke && !m.has_nonce);
}

/* .raw, .sk.offset (its generic header) and the ID body AUTH signs */
static void spans_point_into_the_message(void)
{
	uint8_t buf[BUF];
	size_t inner_len, len = build_auth(buf, sizeof(buf), &inner_len);
	struct ike_msg m;

	CHECK(ike_msg_parse(buf, len, &m).err == IKE_PARSE_OK);
	CHECK(m.raw.p == buf && m.raw.len == len);
	CHECK(m.sk.offset == IKE_HDR_LEN);
	CHECK(buf[16] == IKE_PL_SK);
	CHECK(m.sk.first_inner == IKE_PL_IDI && buf[m.sk.offset] == IKE_PL_IDI);
	CHECK(m.sk.body.p == buf + IKE_HDR_LEN + 4);
	CHECK(m.sk.body.len == inner_len && len == IKE_HDR_LEN + 4 + inner_len);
	CHECK(ike_payloads_parse(m.sk.first_inner, m.sk.body.p,
				 m.sk.body.len, &m).err == IKE_PARSE_OK);
	/* IDi is the first inner payload: its body follows its header */
	CHECK(m.idi.body.p == m.sk.body.p + 4);
	CHECK(m.idi.body.len == 4 + strlen(fqdn));
	CHECK(m.idi.body.p[0] == IKE_ID_FQDN);
	CHECK(!m.idi.body.p[1] && !m.idi.body.p[2] && !m.idi.body.p[3]);
	CHECK(m.idi.data.p == m.idi.body.p + 4);
	CHECK(m.ke.data.p == NULL);
}

/* ---- truncation and mutation ------------------------------------------ */

/* Every shorter message, its header's length fixed up, is refused. */
static void check_truncations(const uint8_t *buf, size_t len)
{
	size_t k;

	for (k = 0; k < len; k++) {
		uint8_t *copy = malloc(k ? k : 1);
		enum ike_parse_err err;

		memcpy(copy, buf, k);
		if (k >= IKE_HDR_LEN) {
			copy[24] = copy[25] = 0;
			copy[26] = (uint8_t)(k >> 8);
			copy[27] = (uint8_t)k;
		}
		err = err_of(copy, k);
		CHECK(err == (k < IKE_HDR_LEN ? IKE_PARSE_SHORT :
					       IKE_PARSE_SYNTAX));
		if (k >= IKE_HDR_LEN)
			/* and without the fix-up, the length disagrees */
			CHECK(err_of(buf, k) == IKE_PARSE_SYNTAX);
		free(copy);
	}
}

static void truncated_messages_rejected_at_every_length(void)
{
	uint8_t buf[BUF], inner[BUF], first;
	size_t len, inner_len, k;
	struct ike_msg m;

	len = build_sa_init(buf, sizeof(buf));
	check_truncations(buf, len);
	len = build_auth(buf, sizeof(buf), &inner_len);
	check_truncations(buf, len);

	inner_len = build_inner(inner, sizeof(inner), &first);
	for (k = 0; k < inner_len; k++) {
		uint8_t *copy = malloc(k ? k : 1);

		memcpy(copy, inner, k);
		memset(&m, 0, sizeof(m));
		CHECK(ike_payloads_parse(first, copy, k, &m).err ==
		      IKE_PARSE_SYNTAX);
		free(copy);
	}
}

static bool span_inside(struct ike_span s, const uint8_t *buf, size_t len)
{
	uintptr_t b = (uintptr_t)buf, p = (uintptr_t)s.p;

	return !s.len || (p >= b && s.len <= len && p - b <= len - s.len);
}

static bool spans_inside(const struct ike_msg *m, const uint8_t *buf,
			 size_t len)
{
	bool ok = span_inside(m->ke.data, buf, len) &&
		  span_inside(m->nonce, buf, len) &&
		  span_inside(m->idi.body, buf, len) &&
		  span_inside(m->idr.body, buf, len) &&
		  span_inside(m->auth.data, buf, len) &&
		  span_inside(m->sk.body, buf, len) &&
		  span_inside(m->skf.body, buf, len);
	size_t i;

	for (i = 0; i < m->n_notifies; i++)
		ok = ok && span_inside(m->notifies[i].spi, buf, len) &&
		     span_inside(m->notifies[i].data, buf, len);
	for (i = 0; i < m->n_certs; i++)
		ok = ok && span_inside(m->certs[i].data, buf, len);
	for (i = 0; i < m->n_deletes; i++)
		ok = ok && span_inside(m->deletes[i].spis, buf, len);
	return ok;
}

/* Parse a copy with byte i set to v: refused, or every span inside it. */
static void mutate_one(const uint8_t *buf, size_t len, size_t i, uint8_t v)
{
	uint8_t *copy = malloc(len);
	struct ike_msg m;

	memcpy(copy, buf, len);
	copy[i] = v;
	if (ike_msg_parse(copy, len, &m).err == IKE_PARSE_OK) {
		if (m.has_sk)
			ike_payloads_parse(m.sk.first_inner, m.sk.body.p,
					   m.sk.body.len, &m);
		CHECK(spans_inside(&m, copy, len));
	}
	free(copy);
}

static void mutated_messages_parse_or_fail_cleanly(void)
{
	static const uint8_t vals[] = { 0, 1, 2, 3, 4, 7, 8, 0x10, 0x20,
					0x7f, 0x80, 0xfe, 0xff };
	uint8_t buf[BUF];
	size_t len, inner_len, i, j;
	int round;

	for (round = 0; round < 2; round++) {
		len = round ? build_auth(buf, sizeof(buf), &inner_len) :
			      build_sa_init(buf, sizeof(buf));
		for (i = 0; i < len; i++) {
			for (j = 0; j < sizeof(vals); j++)
				mutate_one(buf, len, i, vals[j]);
			mutate_one(buf, len, i, buf[i] + 1);
			mutate_one(buf, len, i, buf[i] - 1);
		}
	}
}

/* ---- generic payload header ------------------------------------------- */

static void payload_lengths_checked(void)
{
	uint8_t buf[BUF];
	struct ike_parse_result r;
	struct ike_wbuf w;
	struct ike_msg m;
	size_t len;

	/* length 3: less than its own header */
	len = build_sa_init(buf, sizeof(buf));
	buf[IKE_HDR_LEN + 2] = 0;
	buf[IKE_HDR_LEN + 3] = 3;
	r = parse_copy(buf, len, &m);
	CHECK(r.err == IKE_PARSE_SYNTAX && r.payload == IKE_PL_SA);
	CHECK(r.offset == IKE_HDR_LEN + 2);
	/* past the end of the message */
	buf[IKE_HDR_LEN + 2] = 0xff;
	CHECK(err_of(buf, len) == IKE_PARSE_SYNTAX);

	/* bytes after the last payload (header's length covering them) */
	msg_start(&w, buf, sizeof(buf));
	ike_w_nonce(&w, pattern(1, 16), 16);
	ike_w_bytes(&w, NULL, 5);
	len = w_done(&w);
	r = parse_copy(buf, len, &m);
	CHECK(r.err == IKE_PARSE_SYNTAX && r.offset == len - 5);

	/* header says a payload follows, but the message ends */
	msg_start(&w, buf, sizeof(buf));
	len = w_done(&w);
	buf[16] = IKE_PL_NONCE;
	r = parse_copy(buf, len, &m);
	CHECK(r.err == IKE_PARSE_SYNTAX && r.payload == IKE_PL_NONCE);
}

static void unknown_payloads_skipped_unless_critical(void)
{
	uint8_t buf[BUF];
	struct ike_parse_result r;
	struct ike_wbuf w;
	struct ike_msg m;
	size_t len;

	/* skipped: unknown, vendor ID, CP, EAP; the chain goes on after */
	msg_start(&w, buf, sizeof(buf));
	w_raw(&w, 200, 0, "abcd", 4);
	w_raw(&w, IKE_PL_VENDOR, 0, "v", 1);
	w_raw(&w, IKE_PL_CP, 0, "cp..", 4);
	w_raw(&w, IKE_PL_EAP, IKE_PL_CRITICAL, "eap", 3);
	/* a known payload with the critical bit is just parsed */
	w_raw(&w, IKE_PL_NONCE, IKE_PL_CRITICAL, pattern(9, 16), 16);
	len = w_done(&w);
	r = ike_msg_parse(buf, len, &m);
	CHECK(r.err == IKE_PARSE_OK);
	CHECK(m.has_nonce && span_is(m.nonce, pattern(9, 16), 16));

	/* unknown and critical: UNSUPPORTED_CRITICAL_PAYLOAD, type named */
	msg_start(&w, buf, sizeof(buf));
	ike_w_nonce(&w, pattern(9, 16), 16);
	w_raw(&w, 200, IKE_PL_CRITICAL, "abcd", 4);
	len = w_done(&w);
	r = parse_copy(buf, len, &m);
	CHECK(r.err == IKE_PARSE_CRITICAL && r.payload == 200);
	CHECK(r.offset == IKE_HDR_LEN + 4 + 16);
}

/* ---- SA payload -------------------------------------------------------- */

static void proposal_spi_size_must_be_0_4_or_8(void)
{
	uint8_t buf[BUF];
	struct ike_parse_result r;
	struct ike_wbuf w;
	struct ike_msg m;
	uint8_t size;
	size_t at, len;

	for (size = 0; size <= 9; size++) {
		msg_start(&w, buf, sizeof(buf));
		at = ike_w_begin(&w, IKE_PL_SA);
		raw_proposal(&w, 0, 8 + size + 8, 1, size, 1);
		ike_w_bytes(&w, pattern(size, size), size);
		raw_transform(&w, 0, 8, IKE_TT_ENCR, 12);
		ike_w_end(&w, at);
		len = w_done(&w);
		r = parse_copy(buf, len, &m);
		if (size == 0 || size == 4 || size == 8) {
			CHECK(r.err == IKE_PARSE_OK);
			CHECK(m.sa.p[0].spi_size == size);
			continue;
		}
		CHECK(r.err == IKE_PARSE_SYNTAX && r.payload == IKE_PL_SA);
		CHECK(r.offset == IKE_HDR_LEN + 4 + 6);
	}
}

static void transform_count_and_limit(void)
{
	uint8_t buf[BUF];
	struct ike_parse_result r;
	struct ike_msg m;
	size_t len;

	len = msg_sa_n_transforms(buf, 32, 32);
	CHECK(ike_msg_parse(buf, len, &m).err == IKE_PARSE_OK);
	CHECK(m.sa.p[0].n_transforms == 32);
	len = msg_sa_n_transforms(buf, 33, 33);
	r = parse_copy(buf, len, &m);
	CHECK(r.err == IKE_PARSE_LIMIT && r.payload == IKE_PL_SA);
	CHECK(r.offset == IKE_HDR_LEN + 4 + 7);
	/* the count in the proposal header must match the transforms */
	len = msg_sa_n_transforms(buf, 2, 3);
	CHECK(err_of(buf, len) == IKE_PARSE_SYNTAX);
	len = msg_sa_n_transforms(buf, 3, 2);
	r = parse_copy(buf, len, &m);
	CHECK(r.err == IKE_PARSE_SYNTAX);
	CHECK(r.offset == IKE_HDR_LEN + 4 + 8 + 16);
}

static void proposal_limit(void)
{
	uint8_t buf[BUF];
	struct ike_parse_result r;
	struct ike_wbuf w;
	struct ike_msg m;
	unsigned n, i;
	size_t at, len;

	for (n = 16; n <= 17; n++) {
		msg_start(&w, buf, sizeof(buf));
		at = ike_w_begin(&w, IKE_PL_SA);
		for (i = 0; i < n; i++) {
			raw_proposal(&w, i + 1 == n ? 0 : 2, 16,
				     (uint8_t)(i + 1), 0, 1);
			raw_transform(&w, 0, 8, IKE_TT_ENCR, 12);
		}
		ike_w_end(&w, at);
		len = w_done(&w);
		r = parse_copy(buf, len, &m);
		if (n == 16) {
			CHECK(r.err == IKE_PARSE_OK && m.sa.n == 16);
			continue;
		}
		CHECK(r.err == IKE_PARSE_LIMIT);
		CHECK(r.offset == IKE_HDR_LEN + 4 + 16 * 16);
	}
}

/* Two proposals with the given flags and numbers, one transform each. */
static enum ike_parse_err two_proposals(uint8_t last0, uint8_t num0,
					uint8_t last1, uint8_t num1,
					uint8_t tlast)
{
	uint8_t buf[BUF];
	struct ike_wbuf w;
	size_t at;

	msg_start(&w, buf, sizeof(buf));
	at = ike_w_begin(&w, IKE_PL_SA);
	raw_proposal(&w, last0, 16, num0, 0, 1);
	raw_transform(&w, tlast, 8, IKE_TT_ENCR, 12);
	raw_proposal(&w, last1, 16, num1, 0, 1);
	raw_transform(&w, 0, 8, IKE_TT_ENCR, 12);
	ike_w_end(&w, at);
	return err_of(buf, w_done(&w));
}

static void substructure_flags_and_numbers(void)
{
	CHECK(two_proposals(2, 1, 0, 2, 0) == IKE_PARSE_OK);
	CHECK(two_proposals(0, 1, 0, 2, 0) == IKE_PARSE_SYNTAX);
	CHECK(two_proposals(2, 1, 2, 2, 0) == IKE_PARSE_SYNTAX);
	CHECK(two_proposals(1, 1, 0, 2, 0) == IKE_PARSE_SYNTAX);
	CHECK(two_proposals(3, 1, 0, 2, 0) == IKE_PARSE_SYNTAX);
	/* transform "more" (3) on the only transform of a proposal */
	CHECK(two_proposals(2, 1, 0, 2, 3) == IKE_PARSE_SYNTAX);
	CHECK(two_proposals(2, 1, 0, 2, 2) == IKE_PARSE_SYNTAX);
	/* numbers go up by one; an answer's single one may be any but 0 */
	CHECK(two_proposals(2, 1, 0, 3, 0) == IKE_PARSE_SYNTAX);
	CHECK(two_proposals(2, 2, 0, 1, 0) == IKE_PARSE_SYNTAX);
	CHECK(two_proposals(2, 0, 0, 1, 0) == IKE_PARSE_SYNTAX);
	CHECK(two_proposals(2, 255, 0, 0, 0) == IKE_PARSE_SYNTAX);
	CHECK(two_proposals(2, 7, 0, 8, 0) == IKE_PARSE_OK);
}

static void sa_lengths_checked(void)
{
	uint8_t buf[BUF];
	struct ike_wbuf w;
	size_t at;

	/* an SA payload with no proposal */
	msg_start(&w, buf, sizeof(buf));
	w_raw(&w, IKE_PL_SA, 0, NULL, 0);
	CHECK(err_of(buf, w_done(&w)) == IKE_PARSE_SYNTAX);
	/* proposal length past the payload, and shorter than its header */
	msg_start(&w, buf, sizeof(buf));
	at = ike_w_begin(&w, IKE_PL_SA);
	raw_proposal(&w, 0, 17, 1, 0, 1);
	raw_transform(&w, 0, 8, IKE_TT_ENCR, 12);
	ike_w_end(&w, at);
	CHECK(err_of(buf, w_done(&w)) == IKE_PARSE_SYNTAX);
	buf[IKE_HDR_LEN + 4 + 3] = 7;
	CHECK(err_of(buf, w.len) == IKE_PARSE_SYNTAX);
	/* transform length 7 */
	buf[IKE_HDR_LEN + 4 + 3] = 16;
	buf[IKE_HDR_LEN + 4 + 8 + 3] = 7;
	CHECK(err_of(buf, w.len) == IKE_PARSE_SYNTAX);
	buf[IKE_HDR_LEN + 4 + 8 + 3] = 8;
	CHECK(err_of(buf, w.len) == IKE_PARSE_OK);
	/* proposal too short for its SPI */
	msg_start(&w, buf, sizeof(buf));
	at = ike_w_begin(&w, IKE_PL_SA);
	raw_proposal(&w, 0, 12, 1, 8, 0);
	ike_w_bytes(&w, NULL, 4);
	ike_w_end(&w, at);
	CHECK(err_of(buf, w_done(&w)) == IKE_PARSE_SYNTAX);
}

/* One proposal, one transform of the given type/id with these attrs. */
static size_t msg_attrs(uint8_t *buf, uint8_t type, const void *attrs,
			size_t alen)
{
	struct ike_wbuf w;
	size_t at;

	msg_start(&w, buf, BUF);
	at = ike_w_begin(&w, IKE_PL_SA);
	raw_proposal(&w, 0, (uint16_t)(16 + alen), 1, 0, 1);
	raw_transform(&w, 0, (uint16_t)(8 + alen), type, 12);
	ike_w_bytes(&w, attrs, alen);
	ike_w_end(&w, at);
	return w_done(&w);
}

/* keylen the parser gives a transform with these attributes */
static int keylen_of(const void *attrs, size_t alen)
{
	uint8_t buf[BUF];
	size_t len = msg_attrs(buf, IKE_TT_ENCR, attrs, alen);
	struct ike_msg m;

	if (ike_msg_parse(buf, len, &m).err != IKE_PARSE_OK)
		return -1;
	return m.sa.p[0].t[0].keylen;
}

static void transform_attributes(void)
{
	static const uint8_t kl128[] = { 0x80, 14, 0, 128 };
	static const uint8_t unknown_tv[] = { 0x80, 1, 0, 5 };
	static const uint8_t tlv[] = { 0x00, 5, 0, 3, 'x', 'y', 'z' };
	static const uint8_t kl_twice[] = { 0x80, 14, 0, 128, 0x80, 14, 1, 0 };
	static const uint8_t kl_zero[] = { 0x80, 14, 0, 0 };
	static const uint8_t tlv_then_kl[] = { 0x00, 5, 0, 1, 'x',
					       0x80, 14, 0, 128 };
	static const uint8_t tlv_long[] = { 0x00, 5, 0, 4, 'x', 'y', 'z' };
	static const uint8_t half[] = { 0x80, 14 };
	uint8_t buf[BUF];
	struct ike_msg m;
	size_t len;

	CHECK(keylen_of(NULL, 0) == 0);
	CHECK(keylen_of(kl128, sizeof(kl128)) == 128);
	/* kept, but marked so the chooser refuses the transform */
	CHECK(keylen_of(unknown_tv, sizeof(unknown_tv)) ==
	      IKE_KEYLEN_UNUSABLE);
	CHECK(keylen_of(tlv, sizeof(tlv)) == IKE_KEYLEN_UNUSABLE);
	CHECK(keylen_of(kl_twice, sizeof(kl_twice)) == IKE_KEYLEN_UNUSABLE);
	CHECK(keylen_of(kl_zero, sizeof(kl_zero)) == IKE_KEYLEN_UNUSABLE);
	CHECK(keylen_of(tlv_then_kl, sizeof(tlv_then_kl)) ==
	      IKE_KEYLEN_UNUSABLE);
	/* an attribute past the transform is a syntax error */
	CHECK(keylen_of(tlv_long, sizeof(tlv_long)) == -1);
	CHECK(keylen_of(half, sizeof(half)) == -1);
	len = msg_attrs(buf, IKE_TT_ENCR, tlv_long, sizeof(tlv_long));
	CHECK(err_of(buf, len) == IKE_PARSE_SYNTAX);
	/* a transform type we do not know stays, for the chooser to see */
	len = msg_attrs(buf, 200, NULL, 0);
	CHECK(ike_msg_parse(buf, len, &m).err == IKE_PARSE_OK);
	CHECK(m.sa.p[0].n_transforms == 1 && m.sa.p[0].t[0].type == 200);
}

/* ---- KE, Nonce, ID, AUTH ---------------------------------------------- */

static enum ike_parse_err one_payload(uint8_t type, const void *body,
				      size_t len)
{
	uint8_t buf[BUF];
	struct ike_wbuf w;

	msg_start(&w, buf, sizeof(buf));
	w_raw(&w, type, 0, body, len);
	return err_of(buf, w_done(&w));
}

static void nonce_16_to_256_bytes(void)
{
	const uint8_t *n = pattern(3, 300);

	CHECK(one_payload(IKE_PL_NONCE, n, 15) == IKE_PARSE_SYNTAX);
	CHECK(one_payload(IKE_PL_NONCE, n, 16) == IKE_PARSE_OK);
	CHECK(one_payload(IKE_PL_NONCE, n, 256) == IKE_PARSE_OK);
	CHECK(one_payload(IKE_PL_NONCE, n, 257) == IKE_PARSE_SYNTAX);
	CHECK(one_payload(IKE_PL_NONCE, NULL, 0) == IKE_PARSE_SYNTAX);
}

static void ke_id_auth_need_data(void)
{
	static const uint8_t fixed[5] = { 0, 19, 0, 0, 0xaa };

	CHECK(one_payload(IKE_PL_KE, fixed, 4) == IKE_PARSE_SYNTAX);
	CHECK(one_payload(IKE_PL_KE, fixed, 5) == IKE_PARSE_OK);
	CHECK(one_payload(IKE_PL_KE, fixed, 2) == IKE_PARSE_SYNTAX);
	CHECK(one_payload(IKE_PL_IDI, fixed, 4) == IKE_PARSE_SYNTAX);
	CHECK(one_payload(IKE_PL_IDR, fixed, 5) == IKE_PARSE_OK);
	CHECK(one_payload(IKE_PL_AUTH, fixed, 4) == IKE_PARSE_SYNTAX);
	CHECK(one_payload(IKE_PL_AUTH, fixed, 5) == IKE_PARSE_OK);
	CHECK(one_payload(IKE_PL_CERT, NULL, 0) == IKE_PARSE_SYNTAX);
	CHECK(one_payload(IKE_PL_CERTREQ, fixed, 1) == IKE_PARSE_OK);
}

/* ---- traffic selectors ------------------------------------------------ */

static enum ike_parse_err ts_payload(uint8_t count, uint8_t type,
				     uint16_t sel_len, unsigned n_sel,
				     size_t body_len)
{
	uint8_t body[BUF] = { count };
	size_t i, at = 4;

	for (i = 0; i < n_sel; i++, at += body_len) {
		body[at] = type;
		body[at + 2] = (uint8_t)(sel_len >> 8);
		body[at + 3] = (uint8_t)sel_len;
	}
	return one_payload(IKE_PL_TSI, body, at);
}

static void traffic_selectors_checked(void)
{
	struct ike_ts_pl tsi, tsr;
	struct ike_parse_result r;
	uint8_t inner[BUF];
	struct ike_wbuf w;
	struct ike_msg m;

	CHECK(ts_payload(1, 7, 16, 1, 16) == IKE_PARSE_OK);
	CHECK(ts_payload(1, 8, 40, 1, 40) == IKE_PARSE_OK);
	CHECK(ts_payload(2, 7, 16, 2, 16) == IKE_PARSE_OK);
	CHECK(ts_payload(0, 7, 16, 0, 16) == IKE_PARSE_OK);
	/* a selector's length is fixed by its type */
	CHECK(ts_payload(1, 7, 40, 1, 40) == IKE_PARSE_SYNTAX);
	CHECK(ts_payload(1, 8, 16, 1, 16) == IKE_PARSE_SYNTAX);
	CHECK(ts_payload(1, 7, 15, 1, 16) == IKE_PARSE_SYNTAX);
	/* unknown type */
	CHECK(ts_payload(1, 9, 16, 1, 16) == IKE_PARSE_SYNTAX);
	/* count and selectors disagree */
	CHECK(ts_payload(2, 7, 16, 1, 16) == IKE_PARSE_SYNTAX);
	CHECK(ts_payload(1, 7, 16, 2, 16) == IKE_PARSE_SYNTAX);
	CHECK(ts_payload(16, 7, 16, 16, 16) == IKE_PARSE_OK);
	CHECK(ts_payload(17, 7, 16, 17, 16) == IKE_PARSE_LIMIT);

	/* in an inner chain, the offset counts from the chain's start */
	ts_pair(&tsi, &tsr);
	ike_w_init(&w, inner, sizeof(inner));
	ike_w_nonce(&w, pattern(1, 16), 16);
	ike_w_ts(&w, IKE_PL_TSI, &tsi);
	CHECK(!w.err);
	inner[20 + 4 + 4 + 3] = 40;	/* the IPv4 selector claims 40 */
	memset(&m, 0, sizeof(m));
	r = ike_payloads_parse(ike_w_first(&w), inner, w.len, &m);
	CHECK(r.err == IKE_PARSE_SYNTAX && r.payload == IKE_PL_TSI);
	CHECK(r.offset == 20 + 4 + 4 + 2);
}

static void ts_eq_compares_what_the_type_uses(void)
{
	struct ike_ts_pl tsi, tsr;
	struct ike_ts a, b;

	ts_pair(&tsi, &tsr);
	a = b = tsi.ts[0];
	CHECK(ike_ts_eq(&a, &b));
	b.start[4] = 1;		/* past an IPv4 address: not compared */
	CHECK(ike_ts_eq(&a, &b));
	b.end[3] = 254;
	CHECK(!ike_ts_eq(&a, &b));
	b = a;
	b.end_port = 80;
	CHECK(!ike_ts_eq(&a, &b));
	a = b = tsi.ts[1];
	b.end[15] = 0xfe;
	CHECK(!ike_ts_eq(&a, &b));
	b = a;
	b.ipproto = 17;
	CHECK(!ike_ts_eq(&a, &b));
}

/* ---- notify and delete ------------------------------------------------ */

static void notify_fields_and_lookups(void)
{
	static const uint8_t spi[4] = { 1, 2, 3, 4 };
	static const uint8_t spi5[] = { 3, 5, 0x40, 0x09, 1, 2, 3, 4, 5 };
	uint8_t buf[BUF];
	struct ike_wbuf w;
	struct ike_msg m;
	size_t len;

	msg_start(&w, buf, sizeof(buf));
	ike_w_notify(&w, IKE_PROTO_ESP, spi, 4, IKE_N_REKEY_SA, NULL, 0);
	ike_w_notify(&w, 0, NULL, 0, IKE_N_COOKIE, pattern(1, 8), 8);
	ike_w_notify(&w, 0, NULL, 0, IKE_N_INVALID_KE_PAYLOAD,
		     (const uint8_t *)"\0\x13", 2);
	ike_w_notify(&w, 0, NULL, 0, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	len = w_done(&w);
	CHECK(ike_msg_parse(buf, len, &m).err == IKE_PARSE_OK);
	CHECK(m.n_notifies == 4);
	CHECK(m.notifies[0].protocol == IKE_PROTO_ESP);
	CHECK(m.notifies[0].spi_size == 4 && span_is(m.notifies[0].spi, spi, 4));
	CHECK(m.notifies[0].data.len == 0);
	CHECK(ike_msg_notify(&m, IKE_N_COOKIE) == &m.notifies[1]);
	CHECK(span_is(m.notifies[1].data, pattern(1, 8), 8));
	CHECK(ike_msg_notify(&m, IKE_N_INITIAL_CONTACT) == NULL);
	/* the first error, not a later one, not a status */
	CHECK(ike_msg_error(&m) == &m.notifies[2]);
	m.n_notifies = 2;
	CHECK(ike_msg_error(&m) == NULL);
	/* an SPI size past the payload */
	CHECK(one_payload(IKE_PL_NOTIFY, spi5, 8) == IKE_PARSE_SYNTAX);
	CHECK(one_payload(IKE_PL_NOTIFY, spi5, 3) == IKE_PARSE_SYNTAX);
	CHECK(one_payload(IKE_PL_NOTIFY, spi5, 9) == IKE_PARSE_OK);
}

static enum ike_parse_err delete_payload(uint8_t proto, uint8_t spi_size,
					 uint16_t count, size_t spi_bytes)
{
	uint8_t body[64] = { proto, spi_size, (uint8_t)(count >> 8),
			     (uint8_t)count };

	return one_payload(IKE_PL_DELETE, body, 4 + spi_bytes);
}

static void delete_checked(void)
{
	static const uint8_t spis[12] = { 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3 };
	uint8_t buf[BUF];
	struct ike_wbuf w;
	struct ike_msg m;

	msg_start(&w, buf, sizeof(buf));
	ike_w_delete(&w, IKE_PROTO_ESP, 4, spis, 3);
	ike_w_delete(&w, IKE_PROTO_IKE, 0, NULL, 0);
	CHECK(ike_msg_parse(buf, w_done(&w), &m).err == IKE_PARSE_OK);
	CHECK(m.n_deletes == 2);
	CHECK(m.deletes[0].protocol == IKE_PROTO_ESP &&
	      m.deletes[0].n_spis == 3 && m.deletes[0].spi_size == 4);
	CHECK(span_is(m.deletes[0].spis, spis, 12));
	CHECK(m.deletes[1].protocol == IKE_PROTO_IKE &&
	      m.deletes[1].n_spis == 0 && m.deletes[1].spis.len == 0);

	CHECK(delete_payload(IKE_PROTO_ESP, 4, 3, 12) == IKE_PARSE_OK);
	CHECK(delete_payload(IKE_PROTO_ESP, 4, 3, 8) == IKE_PARSE_SYNTAX);
	CHECK(delete_payload(IKE_PROTO_ESP, 4, 2, 12) == IKE_PARSE_SYNTAX);
	CHECK(delete_payload(IKE_PROTO_ESP, 4, 0, 0) == IKE_PARSE_OK);
	CHECK(delete_payload(IKE_PROTO_AH, 8, 1, 8) == IKE_PARSE_SYNTAX);
	CHECK(delete_payload(IKE_PROTO_IKE, 8, 1, 8) == IKE_PARSE_SYNTAX);
	CHECK(delete_payload(IKE_PROTO_IKE, 0, 1, 0) == IKE_PARSE_SYNTAX);
	CHECK(delete_payload(IKE_PROTO_IKE, 0, 0, 4) == IKE_PARSE_SYNTAX);
	CHECK(delete_payload(9, 4, 1, 4) == IKE_PARSE_SYNTAX);
	CHECK(one_payload(IKE_PL_DELETE, spis, 3) == IKE_PARSE_SYNTAX);
}

/* ---- duplicates and limits -------------------------------------------- */

static void payloads_allowed_once(void)
{
	uint8_t buf[BUF], inner[BUF];
	struct ike_parse_result r;
	struct ike_ts_pl tsi, tsr;
	struct ike_sa_pl sa;
	struct ike_wbuf w;
	struct ike_msg m;
	size_t len;

	sa_offer(&sa);
	msg_start(&w, buf, sizeof(buf));
	ike_w_sa(&w, &sa);
	len = w.len;
	ike_w_sa(&w, &sa);
	r = parse_copy(buf, w_done(&w), &m);
	CHECK(r.err == IKE_PARSE_SYNTAX && r.payload == IKE_PL_SA);
	CHECK(r.offset == len);

	msg_start(&w, buf, sizeof(buf));
	ike_w_ke(&w, 19, pattern(1, 8), 8);
	ike_w_ke(&w, 19, pattern(1, 8), 8);
	CHECK(err_of(buf, w_done(&w)) == IKE_PARSE_SYNTAX);
	msg_start(&w, buf, sizeof(buf));
	ike_w_nonce(&w, pattern(1, 16), 16);
	ike_w_nonce(&w, pattern(1, 16), 16);
	CHECK(err_of(buf, w_done(&w)) == IKE_PARSE_SYNTAX);
	/* IDi and IDr are different payloads */
	msg_start(&w, buf, sizeof(buf));
	ike_w_id(&w, IKE_PL_IDI, IKE_ID_FQDN, (const uint8_t *)"a", 1);
	ike_w_id(&w, IKE_PL_IDR, IKE_ID_FQDN, (const uint8_t *)"b", 1);
	CHECK(err_of(buf, w_done(&w)) == IKE_PARSE_OK);

	/* the inner chain carries on from the outer one's payloads */
	msg_start(&w, buf, sizeof(buf));
	ike_w_auth(&w, IKE_AUTH_PSK, pattern(1, 32), 32);
	len = w_done(&w);
	CHECK(ike_msg_parse(buf, len, &m).err == IKE_PARSE_OK);
	ike_w_init(&w, inner, sizeof(inner));
	ike_w_auth(&w, IKE_AUTH_PSK, pattern(1, 32), 32);
	r = ike_payloads_parse(ike_w_first(&w), inner, w.len, &m);
	CHECK(r.err == IKE_PARSE_SYNTAX && r.payload == IKE_PL_AUTH);

	ts_pair(&tsi, &tsr);
	ike_w_init(&w, inner, sizeof(inner));
	ike_w_ts(&w, IKE_PL_TSI, &tsi);
	ike_w_ts(&w, IKE_PL_TSR, &tsr);
	ike_w_ts(&w, IKE_PL_TSI, &tsr);
	memset(&m, 0, sizeof(m));
	r = ike_payloads_parse(ike_w_first(&w), inner, w.len, &m);
	CHECK(r.err == IKE_PARSE_SYNTAX && r.payload == IKE_PL_TSI);
}

/* How a message of n payloads, each from add(), parses. */
static enum ike_parse_err many(unsigned n, void (*add)(struct ike_wbuf *))
{
	uint8_t buf[BUF];
	struct ike_wbuf w;
	unsigned i;

	msg_start(&w, buf, sizeof(buf));
	for (i = 0; i < n; i++)
		add(&w);
	return err_of(buf, w_done(&w));
}

static void add_notify(struct ike_wbuf *w)
{
	ike_w_notify(w, 0, NULL, 0, IKE_N_COOKIE, NULL, 0);
}

static void add_cert(struct ike_wbuf *w)
{
	ike_w_cert(w, IKE_PL_CERT, IKE_CERT_X509_SIG, pattern(1, 4), 4);
}

static void add_certreq(struct ike_wbuf *w)
{
	ike_w_cert(w, IKE_PL_CERTREQ, IKE_CERT_X509_SIG, NULL, 0);
}

static void add_delete(struct ike_wbuf *w)
{
	ike_w_delete(w, IKE_PROTO_ESP, 4, pattern(1, 4), 1);
}

static void per_message_limits(void)
{
	CHECK(many(IKE_MAX_NOTIFIES, add_notify) == IKE_PARSE_OK);
	CHECK(many(IKE_MAX_NOTIFIES + 1, add_notify) == IKE_PARSE_LIMIT);
	CHECK(many(IKE_MAX_CERTS, add_cert) == IKE_PARSE_OK);
	CHECK(many(IKE_MAX_CERTS + 1, add_cert) == IKE_PARSE_LIMIT);
	CHECK(many(IKE_MAX_CERTREQS, add_certreq) == IKE_PARSE_OK);
	CHECK(many(IKE_MAX_CERTREQS + 1, add_certreq) == IKE_PARSE_LIMIT);
	CHECK(many(IKE_MAX_DELETES, add_delete) == IKE_PARSE_OK);
	CHECK(many(IKE_MAX_DELETES + 1, add_delete) == IKE_PARSE_LIMIT);
}

/* ---- SK and SKF --------------------------------------------------------- */

static void sk_must_be_last_and_outer(void)
{
	uint8_t buf[BUF];
	struct ike_parse_result r;
	struct ike_wbuf w;
	struct ike_msg m;
	size_t len;

	msg_start(&w, buf, sizeof(buf));
	w_raw(&w, IKE_PL_SK, 0, pattern(1, 32), 32);
	ike_w_nonce(&w, pattern(1, 16), 16);
	len = w_done(&w);
	r = parse_copy(buf, len, &m);
	CHECK(r.err == IKE_PARSE_SYNTAX && r.payload == IKE_PL_SK);
	CHECK(r.offset == IKE_HDR_LEN);
	/* the builder refuses to add a payload after SK */
	msg_start(&w, buf, sizeof(buf));
	ike_w_sk_header(&w, IKE_PL_IDI, 0);
	CHECK(!w.err);
	ike_w_nonce(&w, pattern(1, 16), 16);
	CHECK(w.err);
	/* SK with an empty body parses (crypto/ refuses it) */
	msg_start(&w, buf, sizeof(buf));
	ike_w_nonce(&w, pattern(1, 16), 16);
	ike_w_sk_header(&w, IKE_PL_NONE, 0);
	len = w_done(&w);
	r = ike_msg_parse(buf, len, &m);
	CHECK(r.err == IKE_PARSE_OK && m.has_sk && m.has_nonce);
	CHECK(m.sk.offset == IKE_HDR_LEN + 20 && m.sk.body.len == 0);
	/* SK inside SK, and SKF */
	ike_w_init(&w, buf, sizeof(buf));
	ike_w_nonce(&w, pattern(1, 16), 16);
	ike_w_sk_header(&w, IKE_PL_NONE, 0);
	memset(&m, 0, sizeof(m));
	r = ike_payloads_parse(ike_w_first(&w), buf, w.len, &m);
	CHECK(r.err == IKE_PARSE_SYNTAX && r.payload == IKE_PL_SK);
	CHECK(r.offset == 20);
	ike_w_init(&w, buf, sizeof(buf));
	w_raw(&w, IKE_PL_SKF, 0, "\0\1\0\1", 4);
	memset(&m, 0, sizeof(m));
	r = ike_payloads_parse(ike_w_first(&w), buf, w.len, &m);
	CHECK(r.err == IKE_PARSE_SYNTAX && r.payload == IKE_PL_SKF);
}

static enum ike_parse_err skf(uint16_t number, uint16_t total,
			      size_t body_len, struct ike_msg *m,
			      uint8_t *buf)
{
	uint8_t body[64] = { (uint8_t)(number >> 8), (uint8_t)number,
			     (uint8_t)(total >> 8), (uint8_t)total };
	struct ike_wbuf w;
	size_t at;

	memcpy(body + 4, pattern(2, 32), 32);
	msg_start(&w, buf, BUF);
	at = ike_w_begin(&w, IKE_PL_SKF);
	if (!w.err)
		buf[at] = IKE_PL_IDI;
	ike_w_bytes(&w, body, body_len);
	ike_w_end(&w, at);
	return ike_msg_parse(buf, w_done(&w), m).err;
}

static void skf_fragment_numbers(void)
{
	uint8_t buf[BUF];
	struct ike_msg m;

	CHECK(skf(1, 1, 36, &m, buf) == IKE_PARSE_OK);
	CHECK(m.has_skf && !m.has_sk);
	CHECK(m.skf.number == 1 && m.skf.total == 1);
	CHECK(m.skf.first_inner == IKE_PL_IDI);
	CHECK(m.skf.offset == IKE_HDR_LEN);
	CHECK(m.skf.body.p == buf + IKE_HDR_LEN + 8);
	CHECK(span_is(m.skf.body, pattern(2, 32), 32));
	CHECK(skf(3, 3, 36, &m, buf) == IKE_PARSE_OK);
	CHECK(skf(0, 1, 36, &m, buf) == IKE_PARSE_SYNTAX);
	CHECK(skf(4, 3, 36, &m, buf) == IKE_PARSE_SYNTAX);
	CHECK(skf(1, 0, 36, &m, buf) == IKE_PARSE_SYNTAX);
	CHECK(skf(1, 1, 3, &m, buf) == IKE_PARSE_SYNTAX);
}

static void inner_chain_edges(void)
{
	uint8_t buf[8] = { 0 };
	struct ike_parse_result r;
	struct ike_msg m;

	memset(&m, 0, sizeof(m));
	CHECK(ike_payloads_parse(IKE_PL_NONE, NULL, 0, &m).err ==
	      IKE_PARSE_OK);
	r = ike_payloads_parse(IKE_PL_NONE, buf, 3, &m);
	CHECK(r.err == IKE_PARSE_SYNTAX && r.offset == 0);
	r = ike_payloads_parse(IKE_PL_NONCE, NULL, 0, &m);
	CHECK(r.err == IKE_PARSE_SYNTAX && r.payload == IKE_PL_NONCE);
}

/* ---- builder ------------------------------------------------------------ */

static void builder_sa_bytes_as_rfc_lays_them_out(void)
{
	static const uint8_t want[] = {
		0, 0, 0, 32,			/* generic: last, length 32 */
		0, 0, 0, 28, 1, 1, 0, 2,	/* proposal 1, IKE, 2 transforms */
		3, 0, 0, 12, 1, 0, 0, 12,	/* ENCR AES-CBC, more */
		0x80, 14, 0, 128,		/* Key Length 128 (TV) */
		0, 0, 0, 8, 4, 0, 0, 19,	/* KE ECP256, last */
	};
	struct ike_sa_pl sa = { .n = 1 };
	uint8_t buf[64];
	struct ike_wbuf w;

	sa.p[0] = (struct ike_proposal){
		.num = 1, .protocol = IKE_PROTO_IKE, .n_transforms = 2,
		.t = { { IKE_TT_ENCR, IKE_ENCR_AES_CBC, 128 },
		       { IKE_TT_KE, IKE_KE_ECP256, 0 } },
	};
	ike_w_init(&w, buf, sizeof(buf));
	CHECK(ike_w_first(&w) == IKE_PL_NONE);
	ike_w_sa(&w, &sa);
	CHECK(!w.err && w.len == sizeof(want));
	CHECK(!memcmp(buf, want, sizeof(want)));
	CHECK(ike_w_first(&w) == IKE_PL_SA);
}

static void builder_links_payloads_and_sets_lengths(void)
{
	static const uint8_t spi[4] = { 9, 8, 7, 6 };
	struct ike_ts_pl tsi, tsr;
	uint8_t buf[BUF];
	struct ike_wbuf w;
	size_t ke, n, ts, len;

	ts_pair(&tsi, &tsr);
	msg_start(&w, buf, sizeof(buf));
	CHECK(buf[16] == IKE_PL_NONE);
	ke = w.len;
	ike_w_ke(&w, 31, pattern(1, 32), 32);
	n = w.len;
	ike_w_notify(&w, IKE_PROTO_ESP, spi, 4, IKE_N_REKEY_SA, NULL, 0);
	ts = w.len;
	ike_w_ts(&w, IKE_PL_TSR, &tsi);
	len = w_done(&w);
	CHECK(buf[16] == IKE_PL_KE && buf[17] == IKE_VERSION);
	CHECK(buf[ke] == IKE_PL_NOTIFY && buf[ke + 1] == 0);
	CHECK(buf[ke + 2] == 0 && buf[ke + 3] == 4 + 4 + 32);
	CHECK(buf[ke + 4] == 0 && buf[ke + 5] == 31);
	CHECK(buf[n] == IKE_PL_TSR && buf[n + 3] == 4 + 4 + 4);
	CHECK(buf[n + 4] == IKE_PROTO_ESP && buf[n + 5] == 4);
	CHECK(buf[n + 6] == IKE_N_REKEY_SA >> 8 && buf[n + 8] == 9);
	CHECK(buf[ts] == IKE_PL_NONE && buf[ts + 3] == 4 + 4 + 16 + 40);
	CHECK(buf[ts + 4] == 2);
	CHECK(buf[ts + 8] == IKE_TS_IPV4_ADDR_RANGE && buf[ts + 11] == 16);
	CHECK(buf[ts + 24] == IKE_TS_IPV6_ADDR_RANGE && buf[ts + 27] == 40);
	CHECK(buf[ts + 24 + 1] == 6 && buf[ts + 24 + 5] == 443 % 256);
	CHECK(len == ts + 64);
	CHECK(buf[26] == len >> 8 && buf[27] == (len & 0xff));
}

static void builder_overflow_stops_every_write(void)
{
	uint8_t buf[64];
	struct ike_wbuf w;
	size_t len;

	memset(buf, 0xaa, sizeof(buf));
	ike_w_init(&w, buf, 40);
	ike_w_header(&w, &init_hdr);
	ike_w_nonce(&w, pattern(1, 16), 16);
	CHECK(w.err && w.len <= 40);
	len = w.len;
	ike_w_u8(&w, 1);
	ike_w_u32(&w, 1);
	ike_w_begin(&w, IKE_PL_KE);
	ike_w_finish(&w);
	CHECK(w.err && w.len == len);
	for (len = 40; len < sizeof(buf); len++)
		CHECK(buf[len] == 0xaa);
	/* exactly full is fine */
	ike_w_init(&w, buf, 48);
	ike_w_header(&w, &init_hdr);
	ike_w_nonce(&w, pattern(1, 16), 16);
	ike_w_finish(&w);
	CHECK(!w.err && w.len == 48 && buf[47] != 0xaa);
	/* no buffer at all */
	ike_w_init(&w, NULL, 100);
	ike_w_u8(&w, 1);
	CHECK(w.err && w.len == 0);
}

static void builder_refuses_what_cannot_be_encoded(void)
{
	struct ike_sa_pl sa = { 0 };
	struct ike_ts_pl ts = { .n = 1 };
	uint8_t buf[BUF], *big;
	struct ike_wbuf w;

	ike_w_init(&w, buf, sizeof(buf));
	ike_w_sa(&w, &sa);			/* no proposal */
	CHECK(w.err);
	sa_offer(&sa);
	sa.p[1].spi_size = 5;
	ike_w_init(&w, buf, sizeof(buf));
	ike_w_sa(&w, &sa);
	CHECK(w.err);
	ts.ts[0].type = 9;
	ike_w_init(&w, buf, sizeof(buf));
	ike_w_ts(&w, IKE_PL_TSI, &ts);
	CHECK(w.err);
	/* a payload longer than its 16-bit length can say */
	big = calloc(1, 70000);
	ike_w_init(&w, big, 70000);
	ike_w_nonce(&w, NULL, 65532);
	CHECK(w.err);
	ike_w_init(&w, big, 70000);
	ike_w_nonce(&w, NULL, 65531);
	CHECK(!w.err);
	ike_w_init(&w, big, 70000);
	ike_w_sk_header(&w, IKE_PL_IDI, 65532);
	CHECK(w.err);
	free(big);
	/* ike_w_finish without a header */
	ike_w_init(&w, buf, sizeof(buf));
	ike_w_u8(&w, 0);
	ike_w_finish(&w);
	CHECK(w.err);
}

static void names(void)
{
	CHECK(!strcmp(ike_exchange_name(IKE_SA_INIT), "IKE_SA_INIT"));
	CHECK(!strcmp(ike_exchange_name(IKE_INFORMATIONAL), "INFORMATIONAL"));
	CHECK(!strcmp(ike_exchange_name(IKE_INTERMEDIATE), "IKE_INTERMEDIATE"));
	CHECK(!strcmp(ike_exchange_name(0), "unknown"));
	CHECK(!strcmp(ike_payload_name(IKE_PL_SK), "SK"));
	CHECK(!strcmp(ike_payload_name(IKE_PL_SKF), "SKF"));
	CHECK(!strcmp(ike_payload_name(IKE_PL_TSR), "TSr"));
	CHECK(!strcmp(ike_payload_name(52), "unknown"));
	CHECK(!strcmp(ike_payload_name(255), "unknown"));
	CHECK(!strcmp(ike_notify_name(IKE_N_INVALID_SYNTAX), "INVALID_SYNTAX"));
	CHECK(!strcmp(ike_notify_name(IKE_N_NAT_DETECTION_DESTINATION_IP),
		      "NAT_DETECTION_DESTINATION_IP"));
	CHECK(!strcmp(ike_notify_name(12345), "unknown"));
}

static const struct ktap_case cases[] = {
	KTAP_CASE(header_fields_in_host_order),
	KTAP_CASE(header_short_version_and_length_rejected),
	KTAP_CASE(header_only_message_parses),
	KTAP_CASE(sa_init_round_trip),
	KTAP_CASE(auth_inner_chain_round_trip),
	KTAP_CASE(spans_point_into_the_message),
	KTAP_CASE(truncated_messages_rejected_at_every_length),
	KTAP_CASE(mutated_messages_parse_or_fail_cleanly),
	KTAP_CASE(payload_lengths_checked),
	KTAP_CASE(unknown_payloads_skipped_unless_critical),
	KTAP_CASE(proposal_spi_size_must_be_0_4_or_8),
	KTAP_CASE(transform_count_and_limit),
	KTAP_CASE(proposal_limit),
	KTAP_CASE(substructure_flags_and_numbers),
	KTAP_CASE(sa_lengths_checked),
	KTAP_CASE(transform_attributes),
	KTAP_CASE(nonce_16_to_256_bytes),
	KTAP_CASE(ke_id_auth_need_data),
	KTAP_CASE(traffic_selectors_checked),
	KTAP_CASE(ts_eq_compares_what_the_type_uses),
	KTAP_CASE(notify_fields_and_lookups),
	KTAP_CASE(delete_checked),
	KTAP_CASE(payloads_allowed_once),
	KTAP_CASE(per_message_limits),
	KTAP_CASE(sk_must_be_last_and_outer),
	KTAP_CASE(skf_fragment_numbers),
	KTAP_CASE(inner_chain_edges),
	KTAP_CASE(builder_sa_bytes_as_rfc_lays_them_out),
	KTAP_CASE(builder_links_payloads_and_sets_lengths),
	KTAP_CASE(builder_overflow_stops_every_write),
	KTAP_CASE(builder_refuses_what_cannot_be_encoded),
	KTAP_CASE(names),
};

KTAP_MAIN(cases)
