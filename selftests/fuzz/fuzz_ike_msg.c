// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for user/ike/msg.c, the IKEv2 validator/parser and its
 * builder.  The input is one IKE message; besides, the input minus its
 * first byte is parsed as a decrypted inner chain whose first payload type
 * is that byte, so the inner parser is reached without a valid header.
 *
 * Invariants (any violation aborts, so libFuzzer reports it):
 *  - reading: every parse gets an exact-size heap copy, so ASan catches a
 *    read past the input;
 *  - ike_hdr_parse() and ike_msg_parse() agree on the header;
 *  - a failure has a reason and an offset inside the input;
 *  - a success: every span lies inside the input, counts are within the
 *    limits of msg.h, and what each payload's rules require holds (SPI
 *    sizes, nonce length, selector types, ...);
 *  - round trip: a parsed message rebuilt with the builder fits in no more
 *    bytes than the input (only skipped payloads and unknown attributes
 *    go) and parses back to the same contents;
 *  - an SK (or first SKF) body parsed as an inner chain: if it parses
 *    merged into the outer message it parses alone, and alone it round
 *    trips as a headerless chain.
 *
 * Build and run, from the top of the tree (/work/main):
 *
 *   mkdir -p build/fuzz/corpus-ike_msg
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 \
 *	-D_GNU_SOURCE -I/work/main/include -I/work/main/user \
 *	-o build/fuzz/fuzz_ike_msg selftests/fuzz/fuzz_ike_msg.c \
 *	user/ike/msg.c
 *   build/fuzz/fuzz_ike_msg -max_total_time=60 -max_len=4096 \
 *	build/fuzz/corpus-ike_msg selftests/fuzz/corpus-ike_msg
 *
 * The seeds in selftests/fuzz/corpus-ike_msg are written by this file
 * built without libFuzzer (their SK bodies are inner chains in clear, so
 * that the inner parser starts from valid payloads):
 *
 *   cc -std=c11 -D_GNU_SOURCE -DFUZZ_IKE_MSG_WRITE_SEEDS \
 *	-Iinclude -Iuser -o /tmp/ike_msg_seeds \
 *	selftests/fuzz/fuzz_ike_msg.c user/ike/msg.c
 *   /tmp/ike_msg_seeds selftests/fuzz/corpus-ike_msg
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/msg.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_ike_msg: %s:%d: %s\n", __FILE__, \
			__LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* ---- what a parsed message must satisfy ------------------------------ */

static void check_span(struct ike_span s, const uint8_t *buf, size_t len)
{
	uintptr_t b = (uintptr_t)buf, p = (uintptr_t)s.p;

	if (!s.len)
		return;
	CHECK(p >= b && s.len <= len && p - b <= len - s.len);
}

static void check_sa(const struct ike_sa_pl *sa)
{
	size_t i;

	CHECK(sa->n >= 1 && sa->n <= IKE_MAX_PROPOSALS);
	for (i = 0; i < sa->n; i++) {
		const struct ike_proposal *p = &sa->p[i];

		CHECK(p->spi_size == 0 || p->spi_size == 4 || p->spi_size == 8);
		CHECK(p->n_transforms <= IKE_MAX_TRANSFORMS);
		CHECK(p->num != 0);
		CHECK(i == 0 || p->num == sa->p[i - 1].num + 1);
	}
}

static void check_ts(const struct ike_ts_pl *ts)
{
	size_t i;

	CHECK(ts->n <= IKE_MAX_TS);
	for (i = 0; i < ts->n; i++)
		CHECK(ts->ts[i].type == IKE_TS_IPV4_ADDR_RANGE ||
		      ts->ts[i].type == IKE_TS_IPV6_ADDR_RANGE);
}

static void check_lists(const struct ike_msg *m, const uint8_t *buf,
			size_t len)
{
	size_t i;

	CHECK(m->n_notifies <= IKE_MAX_NOTIFIES);
	CHECK(m->n_certs <= IKE_MAX_CERTS);
	CHECK(m->n_certreqs <= IKE_MAX_CERTREQS);
	CHECK(m->n_deletes <= IKE_MAX_DELETES);
	for (i = 0; i < m->n_notifies; i++) {
		CHECK(m->notifies[i].spi.len == m->notifies[i].spi_size);
		check_span(m->notifies[i].spi, buf, len);
		check_span(m->notifies[i].data, buf, len);
	}
	for (i = 0; i < m->n_certs; i++)
		check_span(m->certs[i].data, buf, len);
	for (i = 0; i < m->n_certreqs; i++)
		check_span(m->certreqs[i].data, buf, len);
	for (i = 0; i < m->n_deletes; i++) {
		const struct ike_delete_pl *d = &m->deletes[i];

		CHECK(d->spis.len == (size_t)d->spi_size * d->n_spis);
		CHECK(d->protocol != IKE_PROTO_IKE || !d->spis.len);
		check_span(d->spis, buf, len);
	}
}

/* Payloads' rules; spans inside buf (outer and inner chains alike). */
static void check_msg(const struct ike_msg *m, const uint8_t *buf,
		      size_t len)
{
	if (m->has_sa)
		check_sa(&m->sa);
	if (m->has_ke)
		CHECK(m->ke.data.len >= 1);
	if (m->has_nonce)
		CHECK(m->nonce.len >= 16 && m->nonce.len <= 256);
	if (m->has_idi)
		CHECK(m->idi.body.len == m->idi.data.len + 4 &&
		      m->idi.data.p == m->idi.body.p + 4);
	if (m->has_idr)
		CHECK(m->idr.body.len == m->idr.data.len + 4);
	if (m->has_auth)
		CHECK(m->auth.data.len >= 1);
	if (m->has_tsi)
		check_ts(&m->tsi);
	if (m->has_tsr)
		check_ts(&m->tsr);
	if (m->has_skf)
		CHECK(m->skf.number >= 1 && m->skf.number <= m->skf.total);
	CHECK(!(m->has_sk && m->has_skf));
	check_span(m->ke.data, buf, len);
	check_span(m->nonce, buf, len);
	check_span(m->idi.body, buf, len);
	check_span(m->idr.body, buf, len);
	check_span(m->auth.data, buf, len);
	check_span(m->sk.body, buf, len);
	check_span(m->skf.body, buf, len);
	check_lists(m, buf, len);
}

/* ---- the same contents ------------------------------------------------ */

static bool span_eq(struct ike_span a, struct ike_span b)
{
	return a.len == b.len && (!a.len || !memcmp(a.p, b.p, a.len));
}

static bool proposal_eq(const struct ike_proposal *a,
			const struct ike_proposal *b)
{
	size_t i;

	if (a->num != b->num || a->protocol != b->protocol ||
	    a->spi_size != b->spi_size || memcmp(a->spi, b->spi, a->spi_size) ||
	    a->n_transforms != b->n_transforms)
		return false;
	for (i = 0; i < a->n_transforms; i++)
		if (a->t[i].type != b->t[i].type || a->t[i].id != b->t[i].id ||
		    a->t[i].keylen != b->t[i].keylen)
			return false;
	return true;
}

static bool sa_eq(const struct ike_sa_pl *a, const struct ike_sa_pl *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (!proposal_eq(&a->p[i], &b->p[i]))
			return false;
	return true;
}

static bool ts_eq(const struct ike_ts_pl *a, const struct ike_ts_pl *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (!ike_ts_eq(&a->ts[i], &b->ts[i]))
			return false;
	return true;
}

static bool certs_eq(const struct ike_cert_pl *a, const struct ike_cert_pl *b,
		     size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i].encoding != b[i].encoding ||
		    !span_eq(a[i].data, b[i].data))
			return false;
	return true;
}

static bool lists_eq(const struct ike_msg *a, const struct ike_msg *b)
{
	size_t i;

	if (a->n_certs != b->n_certs || a->n_certreqs != b->n_certreqs ||
	    a->n_notifies != b->n_notifies || a->n_deletes != b->n_deletes)
		return false;
	if (!certs_eq(a->certs, b->certs, a->n_certs) ||
	    !certs_eq(a->certreqs, b->certreqs, a->n_certreqs))
		return false;
	for (i = 0; i < a->n_notifies; i++) {
		const struct ike_notify_pl *x = &a->notifies[i];
		const struct ike_notify_pl *y = &b->notifies[i];

		if (x->protocol != y->protocol || x->spi_size != y->spi_size ||
		    x->type != y->type || !span_eq(x->spi, y->spi) ||
		    !span_eq(x->data, y->data))
			return false;
	}
	for (i = 0; i < a->n_deletes; i++) {
		const struct ike_delete_pl *x = &a->deletes[i];
		const struct ike_delete_pl *y = &b->deletes[i];

		if (x->protocol != y->protocol || x->spi_size != y->spi_size ||
		    x->n_spis != y->n_spis || !span_eq(x->spis, y->spis))
			return false;
	}
	return true;
}

/*
 * Everything a payload chain carries, SK and SKF included.  Reserved bytes
 * are not compared: the builder writes them as zero, but an ID's body (what
 * AUTH signs) keeps them as received.
 */
static bool payloads_eq(const struct ike_msg *a, const struct ike_msg *b)
{
	return a->has_sa == b->has_sa && a->has_ke == b->has_ke &&
	       a->has_nonce == b->has_nonce && a->has_idi == b->has_idi &&
	       a->has_idr == b->has_idr && a->has_auth == b->has_auth &&
	       a->has_tsi == b->has_tsi && a->has_tsr == b->has_tsr &&
	       a->has_sk == b->has_sk && a->has_skf == b->has_skf &&
	       (!a->has_sa || sa_eq(&a->sa, &b->sa)) &&
	       a->ke.group == b->ke.group && span_eq(a->ke.data, b->ke.data) &&
	       span_eq(a->nonce, b->nonce) &&
	       a->idi.type == b->idi.type && span_eq(a->idi.data, b->idi.data) &&
	       a->idr.type == b->idr.type && span_eq(a->idr.data, b->idr.data) &&
	       a->auth.method == b->auth.method &&
	       span_eq(a->auth.data, b->auth.data) &&
	       ts_eq(&a->tsi, &b->tsi) && ts_eq(&a->tsr, &b->tsr) &&
	       a->sk.first_inner == b->sk.first_inner &&
	       span_eq(a->sk.body, b->sk.body) &&
	       a->skf.first_inner == b->skf.first_inner &&
	       a->skf.number == b->skf.number &&
	       a->skf.total == b->skf.total &&
	       span_eq(a->skf.body, b->skf.body) && lists_eq(a, b);
}

static bool hdr_eq(const struct ike_hdr *a, const struct ike_hdr *b)
{
	return a->spi_i == b->spi_i && a->spi_r == b->spi_r &&
	       a->version == b->version && a->exchange == b->exchange &&
	       a->flags == b->flags && a->msgid == b->msgid;
}

/* ---- rebuilding with the builder --------------------------------------- */

static void rebuild_lists(struct ike_wbuf *w, const struct ike_msg *m)
{
	size_t i;

	for (i = 0; i < m->n_certs; i++)
		ike_w_cert(w, IKE_PL_CERT, m->certs[i].encoding,
			   m->certs[i].data.p, m->certs[i].data.len);
	for (i = 0; i < m->n_certreqs; i++)
		ike_w_cert(w, IKE_PL_CERTREQ, m->certreqs[i].encoding,
			   m->certreqs[i].data.p, m->certreqs[i].data.len);
	for (i = 0; i < m->n_notifies; i++) {
		const struct ike_notify_pl *n = &m->notifies[i];

		ike_w_notify(w, n->protocol, n->spi.p, n->spi_size, n->type,
			     n->data.p, n->data.len);
	}
	for (i = 0; i < m->n_deletes; i++) {
		const struct ike_delete_pl *d = &m->deletes[i];

		ike_w_delete(w, d->protocol, d->spi_size, d->spis.p,
			     d->n_spis);
	}
}

/* Every payload but SK and SKF, in an order of the builder's choosing. */
static void rebuild_payloads(struct ike_wbuf *w, const struct ike_msg *m)
{
	if (m->has_sa)
		ike_w_sa(w, &m->sa);
	if (m->has_ke)
		ike_w_ke(w, m->ke.group, m->ke.data.p, m->ke.data.len);
	if (m->has_nonce)
		ike_w_nonce(w, m->nonce.p, m->nonce.len);
	if (m->has_idi)
		ike_w_id(w, IKE_PL_IDI, m->idi.type, m->idi.data.p,
			 m->idi.data.len);
	if (m->has_idr)
		ike_w_id(w, IKE_PL_IDR, m->idr.type, m->idr.data.p,
			 m->idr.data.len);
	if (m->has_auth)
		ike_w_auth(w, m->auth.method, m->auth.data.p, m->auth.data.len);
	if (m->has_tsi)
		ike_w_ts(w, IKE_PL_TSI, &m->tsi);
	if (m->has_tsr)
		ike_w_ts(w, IKE_PL_TSR, &m->tsr);
	rebuild_lists(w, m);
}

static void rebuild_skf(struct ike_wbuf *w, const struct ike_skf_pl *skf)
{
	size_t at = ike_w_begin(w, IKE_PL_SKF);

	if (!w->err)
		w->p[at] = skf->first_inner;
	ike_w_u16(w, skf->number);
	ike_w_u16(w, skf->total);
	ike_w_bytes(w, skf->body.p, skf->body.len);
	ike_w_end(w, at);
}

/* Rebuild m, parse it back, compare.  The input was len bytes long. */
static void round_trip(const struct ike_msg *m, size_t len)
{
	uint8_t *out = malloc(len);
	struct ike_parse_result r;
	struct ike_msg *back = malloc(sizeof(*back));
	struct ike_wbuf w;

	CHECK(out && back);
	ike_w_init(&w, out, len);
	ike_w_header(&w, &m->hdr);
	rebuild_payloads(&w, m);
	if (m->has_sk) {
		ike_w_sk_header(&w, m->sk.first_inner, m->sk.body.len);
		ike_w_bytes(&w, m->sk.body.p, m->sk.body.len);
	}
	if (m->has_skf)
		rebuild_skf(&w, &m->skf);
	ike_w_finish(&w);
	CHECK(!w.err);
	r = ike_msg_parse(out, w.len, back);
	CHECK(r.err == IKE_PARSE_OK);
	CHECK(hdr_eq(&m->hdr, &back->hdr));
	CHECK(payloads_eq(m, back));
	free(back);
	free(out);
}

/* The same for a headerless chain, parsed alone into *m (len: its input). */
static void round_trip_inner(const struct ike_msg *m, size_t len)
{
	uint8_t *out = malloc(len ? len : 1);
	struct ike_msg *back = calloc(1, sizeof(*back));
	struct ike_parse_result r;
	struct ike_wbuf w;

	CHECK(out && back);
	ike_w_init(&w, out, len);
	rebuild_payloads(&w, m);
	CHECK(!w.err);
	r = ike_payloads_parse(ike_w_first(&w), out, w.len, back);
	CHECK(r.err == IKE_PARSE_OK);
	CHECK(payloads_eq(m, back));
	free(back);
	free(out);
}

/* ---- driving ---------------------------------------------------------- */

static void check_failure(struct ike_parse_result r, size_t len)
{
	CHECK(r.why != NULL);
	CHECK(r.offset <= len);
}

/*
 * An inner chain at buf (inside the input) with first type `first`: alone
 * (into a zeroed message) and merged into `outer` (a copy of it).
 */
static void inner(uint8_t first, const uint8_t *buf, size_t len,
		  const uint8_t *in, size_t in_len, const struct ike_msg *outer)
{
	struct ike_msg *alone = calloc(1, sizeof(*alone));
	struct ike_msg *merged = malloc(sizeof(*merged));
	struct ike_parse_result a, b;

	CHECK(alone && merged);
	a = ike_payloads_parse(first, buf, len, alone);
	if (a.err == IKE_PARSE_OK) {
		CHECK(!alone->has_sk && !alone->has_skf);
		check_msg(alone, buf, len);
		round_trip_inner(alone, len);
	} else {
		check_failure(a, len);
	}
	if (outer) {
		*merged = *outer;
		b = ike_payloads_parse(first, buf, len, merged);
		if (b.err == IKE_PARSE_OK) {
			CHECK(a.err == IKE_PARSE_OK);
			check_msg(merged, in, in_len);
		}
	}
	free(merged);
	free(alone);
}

static void outer(const uint8_t *in, size_t len)
{
	struct ike_msg *m = malloc(sizeof(*m));
	struct ike_parse_result r;
	enum ike_parse_err herr;
	struct ike_hdr h;

	CHECK(m);
	r = ike_msg_parse(in, len, m);
	herr = ike_hdr_parse(in, len, &h);
	CHECK(herr == r.err || (herr == IKE_PARSE_OK &&
				r.err != IKE_PARSE_SHORT &&
				r.err != IKE_PARSE_VERSION));
	if (r.err != IKE_PARSE_OK) {
		check_failure(r, len);
		free(m);
		return;
	}
	CHECK(m->raw.p == in && m->raw.len == len && m->hdr.length == len);
	CHECK(hdr_eq(&h, &m->hdr));
	check_msg(m, in, len);
	if (m->has_sk)
		CHECK(m->sk.body.p == in + m->sk.offset + 4 &&
		      m->sk.offset + 4 + m->sk.body.len == len);
	round_trip(m, len);
	if (m->has_sk)
		inner(m->sk.first_inner, m->sk.body.p, m->sk.body.len, in, len,
		      m);
	if (m->has_skf && m->skf.number == 1)
		inner(m->skf.first_inner, m->skf.body.p, m->skf.body.len, in,
		      len, m);
	free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if (size > IKE_MAX_MSG)
		return 0;
	/* Exact-size copies: a read past the input is an ASan report. */
	copy = malloc(size ? size : 1);
	CHECK(copy);
	memcpy(copy, data, size);
	outer(copy, size);
	if (size)
		inner(copy[0], copy + 1, size - 1, NULL, 0, NULL);
	free(copy);
	return 0;
}

#ifdef FUZZ_IKE_MSG_WRITE_SEEDS
/* ---- seeds: valid messages ------------------------------------------- */

static const uint8_t *bytes(uint8_t seed, size_t n)
{
	static uint8_t b[4][512];
	static unsigned next;
	uint8_t *p = b[next++ % 4];
	size_t i;

	for (i = 0; i < n && i < sizeof(b[0]); i++)
		p[i] = (uint8_t)(seed * 31 + i * 7);
	return p;
}

static void write_seed(const char *dir, const char *name,
		       const struct ike_wbuf *w)
{
	char path[512];
	FILE *f;

	CHECK(!w->err);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	CHECK(f && fwrite(w->p, 1, w->len, f) == w->len && !fclose(f));
}

static void seed_sa_init(const char *dir)
{
	static const struct ike_sa_pl sa = {
		.n = 2,
		.p = {
			{ .num = 1, .protocol = IKE_PROTO_IKE, .n_transforms = 5,
			  .t = { { IKE_TT_ENCR, IKE_ENCR_AES_CBC, 256 },
				 { IKE_TT_PRF, IKE_PRF_HMAC_SHA2_256, 0 },
				 { IKE_TT_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0 },
				 { IKE_TT_KE, IKE_KE_ECP256, 0 },
				 { IKE_TT_KE, IKE_KE_X25519, 0 } } },
			{ .num = 2, .protocol = IKE_PROTO_IKE, .n_transforms = 4,
			  .t = { { IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 128 },
				 { IKE_TT_PRF, IKE_PRF_HMAC_SHA2_384, 0 },
				 { IKE_TT_KE, IKE_KE_X25519, 0 },
				 { IKE_TT_ADDKE1, IKE_KE_MLKEM768, 0 } } },
		},
	};
	static const struct ike_hdr h = {
		.spi_i = 0x8a1b2c3d4e5f6071ull, .exchange = IKE_SA_INIT,
		.flags = IKE_FLAG_INITIATOR,
	};
	uint8_t buf[1024];
	struct ike_wbuf w;

	ike_w_init(&w, buf, sizeof(buf));
	ike_w_header(&w, &h);
	ike_w_sa(&w, &sa);
	ike_w_ke(&w, IKE_KE_ECP256, bytes(1, 64), 64);
	ike_w_nonce(&w, bytes(2, 32), 32);
	ike_w_notify(&w, 0, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP,
		     bytes(3, 20), 20);
	ike_w_notify(&w, 0, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP,
		     bytes(4, 20), 20);
	ike_w_notify(&w, 0, NULL, 0, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED,
		     NULL, 0);
	ike_w_finish(&w);
	write_seed(dir, "ike_sa_init_request", &w);
}

/* A message of exchange x whose SK body is the chain in `in`, in clear. */
static void seed_sk(const char *dir, const char *name, uint8_t x,
		    uint32_t msgid, const struct ike_wbuf *in)
{
	const struct ike_hdr h = {
		.spi_i = 0x8a1b2c3d4e5f6071ull, .spi_r = 0x1122334455667788ull,
		.exchange = x, .flags = IKE_FLAG_INITIATOR, .msgid = msgid,
	};
	uint8_t buf[2048];
	struct ike_wbuf w;

	CHECK(!in->err);
	ike_w_init(&w, buf, sizeof(buf));
	ike_w_header(&w, &h);
	ike_w_sk_header(&w, ike_w_first(in), in->len);
	ike_w_bytes(&w, in->p, in->len);
	ike_w_finish(&w);
	write_seed(dir, name, &w);
}

static void seed_auth(const char *dir)
{
	static const struct ike_sa_pl sa = {
		.n = 1,
		.p = { { .num = 1, .protocol = IKE_PROTO_ESP, .spi_size = 4,
			 .spi = { 0xc0, 0xff, 0xee, 0x01 }, .n_transforms = 2,
			 .t = { { IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 256 },
				{ IKE_TT_ESN, IKE_ESN_NO, 0 } } } },
	};
	static const struct ike_ts_pl tsi = {
		.n = 2,
		.ts = { { .type = IKE_TS_IPV4_ADDR_RANGE, .end_port = 65535,
			  .start = { 10, 0, 0, 0 }, .end = { 10, 0, 0, 255 } },
			{ .type = IKE_TS_IPV6_ADDR_RANGE, .end_port = 65535,
			  .start = { 0x20, 0x01, 0x0d, 0xb8 },
			  .end = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0xff } } },
	};
	static const struct ike_ts_pl tsr = {
		.n = 1,
		.ts = { { .type = IKE_TS_IPV4_ADDR_RANGE, .ipproto = 17,
			  .start_port = 4500, .end_port = 4500,
			  .start = { 192, 0, 2, 1 },
			  .end = { 192, 0, 2, 1 } } },
	};
	static const char id[] = "gw1.example.net";
	uint8_t buf[1024];
	struct ike_wbuf w;

	ike_w_init(&w, buf, sizeof(buf));
	ike_w_id(&w, IKE_PL_IDI, IKE_ID_FQDN, (const uint8_t *)id,
		 sizeof(id) - 1);
	ike_w_cert(&w, IKE_PL_CERTREQ, IKE_CERT_X509_SIG, bytes(5, 20), 20);
	ike_w_auth(&w, IKE_AUTH_PSK, bytes(6, 32), 32);
	ike_w_notify(&w, 0, NULL, 0, IKE_N_INITIAL_CONTACT, NULL, 0);
	ike_w_notify(&w, 0, NULL, 0, IKE_N_USE_TRANSPORT_MODE, NULL, 0);
	ike_w_sa(&w, &sa);
	ike_w_ts(&w, IKE_PL_TSI, &tsi);
	ike_w_ts(&w, IKE_PL_TSR, &tsr);
	seed_sk(dir, "ike_auth_request_sk", IKE_AUTH, 1, &w);
}

static void seed_informational(const char *dir)
{
	static const uint8_t spis[8] = { 0xc0, 0xff, 0xee, 1, 0xc0, 0xff,
					 0xee, 2 };
	uint8_t buf[256];
	struct ike_wbuf w;

	ike_w_init(&w, buf, sizeof(buf));
	ike_w_delete(&w, IKE_PROTO_ESP, 4, spis, 2);
	seed_sk(dir, "informational_delete_sk", IKE_INFORMATIONAL, 2, &w);
	ike_w_init(&w, buf, sizeof(buf));
	seed_sk(dir, "informational_empty_sk", IKE_INFORMATIONAL, 3, &w);
}

static void seed_skf(const char *dir)
{
	static const struct ike_hdr h = {
		.spi_i = 0x8a1b2c3d4e5f6071ull, .spi_r = 0x1122334455667788ull,
		.exchange = IKE_AUTH, .flags = IKE_FLAG_INITIATOR, .msgid = 1,
	};
	uint8_t buf[256];
	struct ike_wbuf w;
	size_t at;

	ike_w_init(&w, buf, sizeof(buf));
	ike_w_header(&w, &h);
	at = ike_w_begin(&w, IKE_PL_SKF);
	buf[at] = IKE_PL_NONCE;
	ike_w_u16(&w, 1);
	ike_w_u16(&w, 2);
	/* a Nonce payload: length 20 */
	ike_w_bytes(&w, "\0\0\0\x14", 4);
	ike_w_bytes(&w, bytes(7, 16), 16);
	ike_w_end(&w, at);
	ike_w_finish(&w);
	write_seed(dir, "ike_auth_fragment_1_of_2", &w);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	seed_sa_init(argv[1]);
	seed_auth(argv[1]);
	seed_informational(argv[1]);
	seed_skf(argv[1]);
	return 0;
}
#endif
