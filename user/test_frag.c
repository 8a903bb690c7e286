// SPDX-License-Identifier: GPL-2.0
/*
 * ike/frag.c (RFC 7383): a 64 KiB inner chain fragmented with every suite
 * sk.c supports, at the IPv6 and IPv4 defaults and at a tiny size, parses
 * as SKF messages with the right numbers, opens, and reassembles byte for
 * byte in any order with duplicates; every field before the IV is
 * authenticated; the reassembly rules of 2.6 (numbers, duplicates, greater
 * and smaller Total, other messages, first_inner from fragment 1) and the
 * limits (fragments, bytes per message, the process-wide budget, expiry)
 * hold, and every byte charged to the budget comes back.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "ike/frag.h"
#include "ike/msg.h"
#include "ktap.h"

struct suite {
	uint16_t encr, keybits, integ;
};

static const struct suite suites[] = {
	{ IKE_ENCR_AES_GCM_16, 128, IKE_INTEG_NONE },
	{ IKE_ENCR_AES_GCM_16, 192, IKE_INTEG_NONE },
	{ IKE_ENCR_AES_GCM_16, 256, IKE_INTEG_NONE },
	{ IKE_ENCR_AES_CBC, 128, IKE_INTEG_HMAC_SHA2_256_128 },
	{ IKE_ENCR_AES_CBC, 192, IKE_INTEG_HMAC_SHA2_384_192 },
	{ IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_512_256 },
	{ IKE_ENCR_AES_CBC, 256, IKE_INTEG_HMAC_SHA2_256_128 },
};
#define N_SUITES (sizeof(suites) / sizeof(suites[0]))

static const struct ike_hdr auth_hdr = {
	.spi_i = 0x0102030405060708ull,
	.spi_r = 0x1112131415161718ull,
	.exchange = IKE_AUTH,
	.flags = IKE_FLAG_INITIATOR,
	.msgid = 1,
};

/* Deterministic, so that a failure repeats: xorshift64. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t below)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return below ? (uint32_t)(rng_state % below) : 0;
}

static void key_for(const struct suite *s, struct ik_sk_key *k)
{
	uint8_t ek[36], ak[64];

	CHECK(ik_random(ek, sizeof(ek)) == 0 && ik_random(ak, sizeof(ak)) == 0);
	CHECK(ik_sk_key_set(k, s->encr, s->keybits, s->integ, ek, ak) == 0);
}

/*
 * A real inner chain of about 64 KiB: IDi, four 16 000-byte CERTs (a big
 * certificate chain), AUTH, a notify.  Returns its length; *first is the
 * first payload's type.  buf: IKE_MAX_MSG bytes.
 */
static size_t big_chain(uint8_t *buf, uint8_t *first)
{
	static uint8_t cert[16000];
	static const char id[] = "gw1.example.net";
	struct ike_wbuf w;
	size_t i;

	for (i = 0; i < sizeof(cert); i++)
		cert[i] = (uint8_t)(i * 131 + (i >> 8));
	ike_w_init(&w, buf, IKE_MAX_MSG);
	ike_w_id(&w, IKE_PL_IDI, IKE_ID_FQDN, (const uint8_t *)id,
		 sizeof(id) - 1);
	for (i = 0; i < 4; i++) {
		cert[0] = (uint8_t)i;
		ike_w_cert(&w, IKE_PL_CERT, IKE_CERT_X509_SIG, cert,
			   sizeof(cert));
	}
	ike_w_auth(&w, IKE_AUTH_DIGITAL_SIG, cert + 100, 512);
	ike_w_notify(&w, 0, NULL, 0, IKE_N_INITIAL_CONTACT, NULL, 0);
	CHECK(!w.err);
	*first = ike_w_first(&w);
	return w.len;
}

static const uint8_t *bytes(uint8_t seed, size_t n)
{
	static uint8_t b[4][70000];
	static unsigned int next;
	uint8_t *p = b[next++ % 4];
	size_t i;

	for (i = 0; i < n && i < sizeof(b[0]); i++)
		p[i] = (uint8_t)(seed + i * 7);
	return p;
}

/* A fresh budget of limit bytes and a reassembly charging it. */
static void fresh(struct ike_frag_budget *b, struct ike_frag_rx *r,
		  size_t limit)
{
	ike_frag_budget_init(b, limit);
	ike_frag_rx_init(r, b);
}

/*
 * A fragment given by hand, for the reassembly rules alone: number/total
 * of IKE_AUTH request msgid, len bytes of pattern seed (NULL when len is
 * 0), first_inner IDi in fragment 1.
 */
static struct ike_frag_in frag(uint32_t msgid, uint16_t number,
			       uint16_t total, uint8_t seed, size_t len)
{
	return (struct ike_frag_in){
		.msgid = msgid, .exchange = IKE_AUTH, .number = number,
		.total = total, .first_inner = number == 1 ? IKE_PL_IDI : 0,
		.plain = len ? bytes(seed, len) : NULL, .len = len,
	};
}

static enum ike_frag_res add_at(struct ike_frag_rx *r, uint64_t now,
				uint32_t msgid, uint16_t number,
				uint16_t total, uint8_t seed, size_t len)
{
	struct ike_frag_in f = frag(msgid, number, total, seed, len);

	return ike_frag_add(r, &f, now);
}

static enum ike_frag_res add(struct ike_frag_rx *r, uint32_t msgid,
			     uint16_t number, uint16_t total, uint8_t seed,
			     size_t len)
{
	return add_at(r, 0, msgid, number, total, seed, len);
}

/* ---- sizes -------------------------------------------------------- */

static void default_sizes_follow_rfc7383(void)
{
	CHECK(IKE_FRAG_MSG_IP6 == 1228);
	CHECK(IKE_FRAG_MSG_IP4 == 544);
	CHECK(ike_frag_msg_max(AF_INET6, true, 0) == 1228);
	CHECK(ike_frag_msg_max(AF_INET6, false, 0) == 1232);
	CHECK(ike_frag_msg_max(AF_INET, true, 0) == 544);
	CHECK(ike_frag_msg_max(AF_INET, false, 0) == 548);
	CHECK(ike_frag_msg_max(AF_INET, false, 1500) == 1472);
	CHECK(ike_frag_msg_max(AF_INET6, true, 9000) == 9000 - 52);
	CHECK(ike_frag_msg_max(AF_INET, false, 100000) == IKE_MAX_MSG);
	CHECK(ike_frag_msg_max(AF_UNIX, false, 0) == 0);
	CHECK(ike_frag_msg_max(AF_INET, true, 60) == 0);
	CHECK(IKE_FRAG_MAX_FRAGS == 1024);
}

static void payload_max_is_exact_for_every_suite(void)
{
	struct ik_sk_key k;
	size_t s, max, per;

	for (s = 0; s < N_SUITES; s++) {
		key_for(&suites[s], &k);
		for (max = 0; max < 2100; max++) {
			per = ike_frag_payload_max(&k, max);
			if (!per) {
				CHECK(max < IKE_FRAG_HDR_LEN +
					    ik_sk_body_len(&k, 1));
				continue;
			}
			CHECK(IKE_FRAG_HDR_LEN + ik_sk_body_len(&k, per) <= max);
			CHECK(IKE_FRAG_HDR_LEN + ik_sk_body_len(&k, per + 1) > max);
		}
		/* the IPv4 default carries what frag.h promises */
		CHECK(ike_frag_payload_max(&k, IKE_FRAG_MSG_IP4) >= 444);
		CHECK(ike_frag_needed(&k, 2000, IKE_FRAG_MSG_IP6));
		CHECK(!ike_frag_needed(&k, 1000, IKE_FRAG_MSG_IP6));
		ik_sk_key_wipe(&k);
	}
}

/* ---- sending and receiving ------------------------------------------ */

/*
 * Every fragment message of f: at most max bytes, parses as SKF with the
 * header and numbers expected, opens with k.  Its plaintext is appended to
 * *cat (for comparing the concatenation with the original).
 */
static void check_fragments(const struct ike_frags *f,
			    const struct ik_sk_key *k, size_t max,
			    uint8_t first, uint8_t *cat, size_t *cat_len)
{
	static struct ike_msg m;
	const uint8_t *p;
	size_t pos = 0, len;
	uint16_t i = 0;
	int n;

	*cat_len = 0;
	while ((p = ike_frags_next(f, &pos, &len))) {
		struct ike_parse_result r = ike_msg_parse(p, len, &m);

		i++;
		CHECK(len <= max);
		CHECK(r.err == IKE_PARSE_OK);
		CHECK(m.has_skf && !m.has_sk);
		CHECK(m.hdr.next == IKE_PL_SKF);
		CHECK(m.hdr.msgid == auth_hdr.msgid &&
		      m.hdr.exchange == IKE_AUTH &&
		      m.hdr.flags == IKE_FLAG_INITIATOR &&
		      m.hdr.spi_i == auth_hdr.spi_i &&
		      m.hdr.spi_r == auth_hdr.spi_r);
		CHECK(m.skf.number == i && m.skf.total == f->n);
		CHECK(m.skf.first_inner == (i == 1 ? first : IKE_PL_NONE));
		CHECK(m.skf.offset == IKE_HDR_LEN);
		n = ike_frag_open(k, &m, cat + *cat_len,
				  IKE_MAX_MSG - *cat_len);
		CHECK(n >= 0);
		if (n > 0)
			*cat_len += (size_t)n;
	}
	CHECK(i == f->n);
	CHECK(pos == f->len);
}

/* The fragment messages of f, each in an exact-size heap copy. */
struct msgs {
	uint8_t **p;
	size_t *len;
	uint16_t n;
};

static void msgs_of(const struct ike_frags *f, struct msgs *ms)
{
	const uint8_t *p;
	size_t pos = 0, len;

	ms->n = 0;
	ms->p = calloc(f->n, sizeof(*ms->p));
	ms->len = calloc(f->n, sizeof(*ms->len));
	CHECK(ms->p && ms->len);
	while ((p = ike_frags_next(f, &pos, &len)) && ms->n < f->n) {
		ms->p[ms->n] = malloc(len);
		memcpy(ms->p[ms->n], p, len);
		ms->len[ms->n++] = len;
	}
}

static void msgs_free(struct msgs *ms)
{
	uint16_t i;

	for (i = 0; i < ms->n; i++)
		free(ms->p[i]);
	free(ms->p);
	free(ms->len);
}

/* Parse fragment i of ms and give it to r. */
static enum ike_frag_res recv_one(struct ike_frag_rx *r,
				  const struct ik_sk_key *k,
				  const struct msgs *ms, uint16_t i,
				  uint64_t now)
{
	static struct ike_msg m;

	if (ike_msg_parse(ms->p[i], ms->len[i], &m).err != IKE_PARSE_OK)
		return IKE_FRAG_RES_COUNT;
	return ike_frag_recv(r, k, &m, false, now);
}

/*
 * All of ms into a fresh reassembly in a random order, with about a third
 * more duplicates sprinkled in: each new one MORE until the last COMPLETE,
 * each repeat DUPLICATE.  Then the taken chain must be want[0..want_len).
 */
static void reassemble_shuffled(const struct msgs *ms,
				const struct ik_sk_key *k, const uint8_t *want,
				size_t want_len, uint8_t want_first)
{
	static uint8_t out[IKE_MAX_MSG];
	struct ike_frag_budget b;
	struct ike_frag_rx r;
	uint16_t *order = calloc(ms->n, sizeof(*order));
	bool *seen = calloc(ms->n, sizeof(*seen));
	uint16_t i, j, got = 0, tmp;
	uint8_t first = 0xff;
	int n;

	CHECK(order && seen);
	ike_frag_budget_init(&b, IKE_FRAG_BUDGET_DEFAULT);
	ike_frag_rx_init(&r, &b);
	for (i = 0; i < ms->n; i++)
		order[i] = i;
	for (i = ms->n; i > 1; i--) {
		j = (uint16_t)rnd(i);
		tmp = order[i - 1];
		order[i - 1] = order[j];
		order[j] = tmp;
	}
	for (i = 0; i < ms->n; i++) {
		enum ike_frag_res res;

		if (i && rnd(3) == 0)	/* one seen before, again */
			CHECK(recv_one(&r, k, ms, order[rnd(i)], 5) ==
			      IKE_FRAG_DUPLICATE);
		res = recv_one(&r, k, ms, order[i], 5);
		CHECK(!seen[order[i]]);
		seen[order[i]] = true;
		got++;
		CHECK(res == (got == ms->n ? IKE_FRAG_COMPLETE : IKE_FRAG_MORE));
		CHECK(b.used <= b.limit && b.used == r.charged);
	}
	CHECK(recv_one(&r, k, ms, order[0], 5) == IKE_FRAG_DUPLICATE);
	CHECK(r.bytes == want_len);
	n = ike_frag_take(&r, out, sizeof(out), &first);
	CHECK(n >= 0 && (size_t)n == want_len);
	CHECK(n >= 0 && !memcmp(out, want, want_len));
	CHECK(first == want_first);
	CHECK(!r.active && b.used == 0);
	free(order);
	free(seen);
}

/* The chain fragmented at max with every suite, checked, reassembled. */
static void round_trip_at(size_t max, uint16_t min_frags)
{
	static uint8_t chain[IKE_MAX_MSG], cat[IKE_MAX_MSG];
	struct ike_frags f = { 0 };
	struct ik_sk_key k;
	size_t s, len, cat_len;
	uint8_t first;
	struct msgs ms;

	len = big_chain(chain, &first);
	CHECK(len > 60000);
	for (s = 0; s < N_SUITES; s++) {
		key_for(&suites[s], &k);
		CHECK(ike_frags_build(&f, &k, &auth_hdr, first, chain, len,
				      max) == 0);
		CHECK(f.n >= min_frags && f.n <= IKE_FRAG_MAX_FRAGS);
		CHECK(f.msgid == auth_hdr.msgid);
		check_fragments(&f, &k, max, first, cat, &cat_len);
		CHECK(cat_len == len && !memcmp(cat, chain, len));
		msgs_of(&f, &ms);
		reassemble_shuffled(&ms, &k, chain, len, first);
		msgs_free(&ms);
		ik_sk_key_wipe(&k);
	}
	ike_frags_free(&f);
	CHECK(!f.buf && !f.len && !f.n);
}

/*
 * RFC 7383 2.5.2: the kept message cut again smaller, under the key it was
 * built with even after the caller's key changed; a failed rebuild leaves
 * the fragments there; clearing forgets the message.
 */
static void rebuild_cuts_the_kept_message_smaller(void)
{
	static uint8_t chain[IKE_MAX_MSG], cat[IKE_MAX_MSG];
	struct ike_frags f = { 0 };
	struct ik_sk_key k, sealed;
	size_t len, cat_len, big = ike_frag_msg_max(AF_INET, true, 1280),
	       small = ike_frag_msg_max(AF_INET, true, 0);
	uint16_t big_n;
	uint8_t first;
	struct msgs ms;

	len = big_chain(chain, &first) / 8;
	key_for(&suites[0], &k);
	CHECK(ike_frags_build(&f, &k, &auth_hdr, first, chain, len, big) == 0);
	CHECK(f.max_msg == big && f.plain && f.plen == len);
	big_n = f.n;
	sealed = k;
	ik_sk_key_wipe(&k);	/* the caller moved on; f kept its own */
	CHECK(ike_frags_rebuild(&f, small) == 0);
	k = sealed;
	CHECK(f.max_msg == small && f.n > 2 * big_n - 1);
	check_fragments(&f, &k, small, first, cat, &cat_len);
	CHECK(cat_len == len && !memcmp(cat, chain, len));
	msgs_of(&f, &ms);
	reassemble_shuffled(&ms, &k, chain, len, first);
	msgs_free(&ms);
	/* too small for a byte of payload: refused, fragments intact */
	CHECK(ike_frags_rebuild(&f, IKE_HDR_LEN + 8) == -1);
	CHECK(f.max_msg == small);
	check_fragments(&f, &k, small, first, cat, &cat_len);
	CHECK(cat_len == len && !memcmp(cat, chain, len));
	/* kept, not cut: a message that fits today */
	CHECK(ike_frags_keep(&f, &k, &auth_hdr, first, chain, 300) == 0);
	CHECK(f.n == 0 && f.len == 0 && f.plain && f.plen == 300);
	CHECK(ike_frags_rebuild(&f, small) == 0 && f.n == 1);
	ike_frags_clear(&f);
	CHECK(!f.plain && !f.n && !f.len && !f.max_msg);
	CHECK(ike_frags_rebuild(&f, small) == -1);
	ike_frags_free(&f);
	ik_sk_key_wipe(&k);
	ik_sk_key_wipe(&sealed);
}

/*
 * RFC 7383 2.6: the peer restarts its reassembly only on a larger Total
 * Fragments.  A cut at a size that alone gives as many fragments as
 * before (2 at 1280, 2 again a little smaller) is made into one more,
 * every piece still within the size, and still the same message.
 */
static void rebuild_always_grows_the_total(void)
{
	static uint8_t chain[IKE_MAX_MSG], cat[IKE_MAX_MSG];
	struct ike_frags f = { 0 };
	struct ik_sk_key k;
	size_t len, cat_len, big = ike_frag_msg_max(AF_INET, true, 1280),
	       less = big - 32, per;
	uint8_t first;
	struct msgs ms;

	big_chain(chain, &first);
	key_for(&suites[0], &k);
	per = ike_frag_payload_max(&k, big);
	len = per + 10;
	CHECK(ike_frags_build(&f, &k, &auth_hdr, first, chain, len, big) == 0);
	CHECK(f.n == 2);
	/* the size alone would give 2 again */
	CHECK((len + ike_frag_payload_max(&k, less) - 1) /
	      ike_frag_payload_max(&k, less) == 2);
	CHECK(ike_frags_rebuild(&f, less) == 0);
	CHECK(f.n == 3 && f.max_msg == less);
	check_fragments(&f, &k, less, first, cat, &cat_len);
	CHECK(cat_len == len && !memcmp(cat, chain, len));
	msgs_of(&f, &ms);
	reassemble_shuffled(&ms, &k, chain, len, first);
	msgs_free(&ms);
	/* a first cut of a kept message has no such bound: 1 is fine */
	CHECK(ike_frags_keep(&f, &k, &auth_hdr, first, chain, 300) == 0);
	CHECK(ike_frags_rebuild(&f, big) == 0 && f.n == 1);
	ike_frags_free(&f);
	ik_sk_key_wipe(&k);
}

static void round_trip_ipv6_default_every_suite(void)
{
	round_trip_at(IKE_FRAG_MSG_IP6, 50);
	round_trip_at(1232, 50);	/* port 500: no marker */
}

static void round_trip_ipv4_default_every_suite(void)
{
	round_trip_at(IKE_FRAG_MSG_IP4, 120);
}

/*
 * 164-byte messages: 63 to 103 bytes of payload each, depending on the
 * suite, so 627 to 818 fragments, near IKE_FRAG_MAX_FRAGS.
 */
static void round_trip_tiny_fragments_every_suite(void)
{
	struct ik_sk_key k;
	size_t s;

	for (s = 0; s < N_SUITES; s++) {
		key_for(&suites[s], &k);
		CHECK(ike_frag_payload_max(&k, 164) >= 79);
		ik_sk_key_wipe(&k);
	}
	round_trip_at(164, 600);
}

static void reassembled_chain_parses_as_the_message(void)
{
	static uint8_t chain[IKE_MAX_MSG], out[IKE_MAX_MSG];
	static struct ike_msg m;
	struct ike_frags f = { 0 };
	struct ike_frag_budget b;
	struct ike_frag_rx r;
	struct ik_sk_key k;
	struct msgs ms;
	size_t len;
	uint8_t first, got_first = 0;
	uint16_t i;
	int n = -1;

	len = big_chain(chain, &first);
	key_for(&suites[0], &k);
	ike_frag_budget_init(&b, IKE_FRAG_BUDGET_DEFAULT);
	ike_frag_rx_init(&r, &b);
	CHECK(ike_frags_build(&f, &k, &auth_hdr, first, chain, len,
			      IKE_FRAG_MSG_IP6) == 0);
	msgs_of(&f, &ms);
	for (i = ms.n; i > 0; i--)	/* backwards: fragment 1 last */
		recv_one(&r, &k, &ms, i - 1, 0);
	n = ike_frag_take(&r, out, sizeof(out), &got_first);
	CHECK(n == (int)len && got_first == IKE_PL_IDI);
	memset(&m, 0, sizeof(m));
	CHECK(ike_payloads_parse(got_first, out, (size_t)n, &m).err ==
	      IKE_PARSE_OK);
	CHECK(m.has_idi && m.has_auth && m.n_certs == 4 && m.n_notifies == 1);
	CHECK(m.n_certs == 4 && m.certs[3].data.len == 16000 &&
	      m.certs[3].data.p[0] == 3);
	msgs_free(&ms);
	ike_frags_free(&f);
	ik_sk_key_wipe(&k);
}

static void skf_layout_on_the_wire(void)
{
	static const uint8_t inner[300];
	struct ike_frags f = { 0 };
	struct ik_sk_key k;
	const uint8_t *p;
	size_t pos = 0, len;
	uint16_t i = 0;

	key_for(&suites[3], &k);
	CHECK(ike_frags_build(&f, &k, &auth_hdr, IKE_PL_CERT, inner,
			      sizeof(inner), 200) == 0);
	CHECK(f.n > 2);
	while ((p = ike_frags_next(&f, &pos, &len))) {
		i++;
		CHECK(p[16] == IKE_PL_SKF);
		CHECK(((size_t)p[24] << 24 | (size_t)p[25] << 16 |
		       (size_t)p[26] << 8 | p[27]) == len);
		CHECK(p[28] == (i == 1 ? IKE_PL_CERT : 0));	/* SKF next */
		CHECK(p[29] == 0);				/* not critical */
		CHECK((size_t)(p[30] << 8 | p[31]) == len - IKE_HDR_LEN);
		CHECK((p[32] << 8 | p[33]) == i);
		CHECK((p[34] << 8 | p[35]) == f.n);
		/* CBC: IV + whole blocks + 16-byte ICV */
		CHECK((len - IKE_FRAG_HDR_LEN - 16 - 16) % 16 == 0);
	}
	CHECK(i == f.n);
	ike_frags_free(&f);
	ik_sk_key_wipe(&k);
}

static void empty_chain_is_one_fragment(void)
{
	static uint8_t out[16];
	struct ike_frags f = { 0 };
	struct ike_frag_budget b;
	struct ike_frag_rx r;
	struct ik_sk_key k;
	struct msgs ms;
	uint8_t first = 0xff;

	key_for(&suites[0], &k);
	ike_frag_budget_init(&b, 1000);
	ike_frag_rx_init(&r, &b);
	CHECK(ike_frags_build(&f, &k, &auth_hdr, IKE_PL_NONE, NULL, 0,
			      IKE_FRAG_MSG_IP4) == 0);
	CHECK(f.n == 1);
	msgs_of(&f, &ms);
	CHECK(recv_one(&r, &k, &ms, 0, 0) == IKE_FRAG_COMPLETE);
	CHECK(b.used == IKE_FRAG_PIECE_COST);
	CHECK(ike_frag_take(&r, out, sizeof(out), &first) == 0);
	CHECK(first == IKE_PL_NONE && b.used == 0);
	msgs_free(&ms);
	ike_frags_free(&f);
	ik_sk_key_wipe(&k);
}

static void sender_refuses_what_cannot_be_sent(void)
{
	static uint8_t chain[IKE_MAX_MSG + 1];
	struct ike_frags f = { 0 };
	struct ik_sk_key k;
	size_t s, smallest, per;

	for (s = 0; s < N_SUITES; s++) {
		key_for(&suites[s], &k);
		smallest = IKE_FRAG_HDR_LEN + ik_sk_body_len(&k, 1);
		/* not one byte of payload fits */
		CHECK(ike_frags_build(&f, &k, &auth_hdr, 1, chain, 10,
				      smallest - 1) == -1);
		CHECK(f.n == 0 && f.len == 0);
		/* padding to a block comes free: align - 1 bytes fit */
		per = ike_frag_payload_max(&k, smallest);
		CHECK(per == (suites[s].encr == IKE_ENCR_AES_CBC ? 15u : 3u));
		CHECK(ike_frags_build(&f, &k, &auth_hdr, 1, chain, 10 * per,
				      smallest) == 0 && f.n == 10);
		/* one fragment too many */
		CHECK(ike_frags_build(&f, &k, &auth_hdr, 1, chain,
				      IKE_FRAG_MAX_FRAGS * per + 1,
				      smallest) == -1);
		CHECK(ike_frags_build(&f, &k, &auth_hdr, 1, chain,
				      IKE_FRAG_MAX_FRAGS * per, smallest) == 0);
		CHECK(f.n == IKE_FRAG_MAX_FRAGS);
		/* more than a message may hold */
		CHECK(ike_frags_build(&f, &k, &auth_hdr, 1, chain,
				      IKE_MAX_MSG + 1, IKE_FRAG_MSG_IP6) == -1);
		CHECK(ike_frags_build(&f, &k, &auth_hdr, 1, chain,
				      IKE_MAX_MSG, IKE_FRAG_MSG_IP6) == 0);
		ik_sk_key_wipe(&k);
	}
	memset(&k, 0, sizeof(k));	/* no algorithm */
	CHECK(ike_frags_build(&f, &k, &auth_hdr, 1, chain, 10, 1000) == -1);
	ike_frags_free(&f);
}

/* ---- authentication ------------------------------------------------- */

/*
 * Changing any byte of a fragment, before the IV (header, SKF header,
 * numbers) or after (IV, ciphertext, ICV), makes it fail, and nothing is
 * kept; so does the wrong key.
 */
static void tampered_fragments_fail_and_are_never_kept(void)
{
	struct ike_frags f = { 0 };
	struct ike_frag_budget b;
	struct ike_frag_rx r;
	struct ik_sk_key k, other;
	struct ike_msg *m = malloc(sizeof(*m));
	size_t s, at, pos, len;
	uint8_t *copy;
	const uint8_t *p;

	ike_frag_budget_init(&b, IKE_FRAG_BUDGET_DEFAULT);
	ike_frag_rx_init(&r, &b);
	for (s = 0; s < N_SUITES; s++) {
		key_for(&suites[s], &k);
		key_for(&suites[s], &other);
		CHECK(ike_frags_build(&f, &k, &auth_hdr, IKE_PL_IDI,
				      bytes(1, 3000), 3000, 544) == 0);
		pos = 0;
		ike_frags_next(&f, &pos, &len);	/* skip fragment 1 */
		p = ike_frags_next(&f, &pos, &len);	/* fragment 2 of > 3 */
		CHECK(p && f.n > 3);
		copy = malloc(len);
		for (at = 0; p && at < len; at++) {
			/* flipping these bytes breaks the parse instead */
			if (at == 17 || (at >= 24 && at < 28) ||
			    (at >= 30 && at < 36 && at != 33 && at != 35))
				continue;
			memcpy(copy, p, len);
			copy[at] ^= at == 33 ? 0x01 : 0x80;	/* 2 -> 3 */
			if (at == 35)
				copy[at] = (uint8_t)(f.n + 1);	/* Total */
			CHECK(ike_msg_parse(copy, len, m).err == IKE_PARSE_OK);
			CHECK(ike_frag_recv(&r, &k, m, true, 0) ==
			      IKE_FRAG_DROP_AUTH);
			CHECK(!r.active && b.used == 0);
		}
		memcpy(copy, p, len);
		CHECK(ike_msg_parse(copy, len, m).err == IKE_PARSE_OK);
		CHECK(ike_frag_recv(&r, &other, m, true, 0) ==
		      IKE_FRAG_DROP_AUTH);
		CHECK(!r.active && b.used == 0);
		CHECK(ike_frag_recv(&r, &k, m, true, 0) == IKE_FRAG_MORE);
		CHECK(r.n == 1 && r.pieces[0].number == 2);
		ike_frag_rx_reset(&r);
		free(copy);
		ik_sk_key_wipe(&k);
		ik_sk_key_wipe(&other);
	}
	CHECK(b.used == 0);
	ike_frags_free(&f);
	free(m);
}

/* ---- the rules of 2.6 ----------------------------------------------- */

static void bad_numbers_dropped_without_state(void)
{
	struct ike_frag_budget b;
	struct ike_frag_rx r;

	fresh(&b, &r, 100000);
	CHECK(add(&r, 1, 0, 3, 2, 100) == IKE_FRAG_DROP_NUMBER);
	CHECK(add(&r, 1, 4, 3, 2, 100) == IKE_FRAG_DROP_NUMBER);
	CHECK(add(&r, 1, 1, 0, 2, 100) == IKE_FRAG_DROP_NUMBER);
	CHECK(add(&r, 1, 1, IKE_FRAG_MAX_FRAGS + 1, 2, 100) ==
	      IKE_FRAG_DROP_TOO_MANY);
	CHECK(add(&r, 1, 0xffff, 0xffff, 2, 100) == IKE_FRAG_DROP_TOO_MANY);
	CHECK(!r.active && b.used == 0);
	CHECK(add(&r, 1, IKE_FRAG_MAX_FRAGS, IKE_FRAG_MAX_FRAGS, 2, 100) ==
	      IKE_FRAG_MORE);
	CHECK(b.used == 100 + IKE_FRAG_PIECE_COST);
	/* with state, the same numbers are still refused first */
	CHECK(add(&r, 1, 0, IKE_FRAG_MAX_FRAGS, 2, 100) ==
	      IKE_FRAG_DROP_NUMBER);
	ike_frag_rx_reset(&r);
	CHECK(b.used == 0);
}

static void duplicates_keep_the_first_copy(void)
{
	static uint8_t out[300];
	struct ike_frag_budget b;
	struct ike_frag_rx r;
	size_t used;
	uint8_t first;

	fresh(&b, &r, 100000);
	CHECK(add(&r, 7, 2, 3, 1, 100) == IKE_FRAG_MORE);
	used = b.used;
	/* the same number with other (even longer) contents: ignored */
	CHECK(add(&r, 7, 2, 3, 9, 150) == IKE_FRAG_DUPLICATE);
	CHECK(b.used == used && r.n == 1 && r.bytes == 100);
	CHECK(add(&r, 7, 3, 3, 3, 100) == IKE_FRAG_MORE);
	CHECK(add(&r, 7, 1, 3, 5, 100) == IKE_FRAG_COMPLETE);
	/* once complete, every number is a duplicate */
	CHECK(add(&r, 7, 1, 3, 5, 100) == IKE_FRAG_DUPLICATE);
	CHECK(ike_frag_take(&r, out, sizeof(out), &first) == 300);
	CHECK(!memcmp(out, bytes(5, 100), 100) &&
	      !memcmp(out + 100, bytes(1, 100), 100) &&
	      !memcmp(out + 200, bytes(3, 100), 100));
	CHECK(b.used == 0);
}

static void first_inner_comes_from_fragment_1_only(void)
{
	/* by fragment number */
	static const uint8_t said[3] = { IKE_PL_CERT, IKE_PL_NOTIFY,
					 IKE_PL_AUTH };
	static const uint16_t order[3] = { 2, 1, 3 };
	static uint8_t out[64];
	struct ike_frag_budget b;
	struct ike_frag_rx r;
	struct ike_frag_in f;
	uint8_t first = 0;
	int i;

	fresh(&b, &r, 100000);
	/* each claims a first payload; only fragment 1's counts */
	for (i = 0; i < 3; i++) {
		f = frag(1, order[i], 3, 1, 10);
		f.first_inner = said[order[i] - 1];
		CHECK(ike_frag_add(&r, &f, 0) ==
		      (i == 2 ? IKE_FRAG_COMPLETE : IKE_FRAG_MORE));
	}
	CHECK(ike_frag_take(&r, out, sizeof(out), &first) == 30);
	CHECK(first == IKE_PL_CERT);
}

static void greater_total_restarts_smaller_total_dropped(void)
{
	static uint8_t out[1000];
	struct ike_frag_budget b;
	struct ike_frag_rx r;
	uint8_t first;
	uint16_t i;

	fresh(&b, &r, 100000);
	CHECK(add_at(&r, 10, 4, 1, 3, 1, 300) == IKE_FRAG_MORE);
	CHECK(add_at(&r, 10, 4, 2, 3, 2, 300) == IKE_FRAG_MORE);
	/* the peer refragmented smaller (2.5.2): start over */
	CHECK(add_at(&r, 20, 4, 3, 5, 3, 200) == IKE_FRAG_RESTART);
	CHECK(r.n == 1 && r.total == 5 && r.bytes == 200 && r.started == 20);
	CHECK(b.used == 200 + IKE_FRAG_PIECE_COST);
	/* the old set's fragments are now too few */
	CHECK(add_at(&r, 20, 4, 3, 3, 3, 300) == IKE_FRAG_DROP_SMALLER_TOTAL);
	CHECK(r.n == 1 && b.used == 200 + IKE_FRAG_PIECE_COST);
	for (i = 1; i <= 5; i++)
		if (i != 3)
			CHECK(add_at(&r, 30, 4, i, 5, 3, 200) ==
			      (i == 5 ? IKE_FRAG_COMPLETE : IKE_FRAG_MORE));
	CHECK(ike_frag_take(&r, out, sizeof(out), &first) == 1000);
	CHECK(first == IKE_PL_IDI && b.used == 0);
}

static void other_message_left_to_the_caller(void)
{
	struct ike_frag_budget b;
	struct ike_frag_rx r;
	struct ike_frag_in f;
	size_t used;

	fresh(&b, &r, 100000);
	CHECK(add(&r, 5, 1, 2, 1, 50) == IKE_FRAG_MORE);
	used = b.used;
	CHECK(add(&r, 6, 2, 2, 1, 50) == IKE_FRAG_OTHER_MSG);
	f = frag(5, 2, 2, 1, 50);
	f.response = true;			/* same ID, the other way */
	CHECK(ike_frag_add(&r, &f, 0) == IKE_FRAG_OTHER_MSG);
	f = frag(5, 2, 2, 1, 50);
	f.exchange = IKE_INFORMATIONAL;
	CHECK(ike_frag_add(&r, &f, 0) == IKE_FRAG_OTHER_MSG);
	CHECK(r.msgid == 5 && r.n == 1 && b.used == used);
	/* the caller's choice: this one replaces it */
	ike_frag_rx_reset(&r);
	CHECK(add(&r, 6, 2, 2, 1, 50) == IKE_FRAG_MORE);
	CHECK(r.msgid == 6 && r.n == 1 && b.used == used);
	ike_frag_rx_reset(&r);
	CHECK(b.used == 0);
}

/* recv(replace): an authenticated fragment of another message wins. */
static void recv_replaces_only_after_authentication(void)
{
	struct ike_frags f5 = { 0 }, f6 = { 0 };
	struct ike_frag_budget b;
	struct ike_frag_rx r;
	struct ik_sk_key k;
	struct ike_hdr h = auth_hdr;
	struct msgs m5, m6;
	struct ike_msg *m = malloc(sizeof(*m));

	key_for(&suites[1], &k);
	ike_frag_budget_init(&b, IKE_FRAG_BUDGET_DEFAULT);
	ike_frag_rx_init(&r, &b);
	h.msgid = 5;
	CHECK(ike_frags_build(&f5, &k, &h, IKE_PL_IDI, bytes(1, 2000), 2000,
			      544) == 0);
	h.msgid = 6;
	CHECK(ike_frags_build(&f6, &k, &h, IKE_PL_IDI, bytes(2, 2000), 2000,
			      544) == 0);
	msgs_of(&f5, &m5);
	msgs_of(&f6, &m6);
	CHECK(recv_one(&r, &k, &m5, 0, 0) == IKE_FRAG_MORE);
	CHECK(recv_one(&r, &k, &m6, 0, 0) == IKE_FRAG_OTHER_MSG);
	CHECK(r.msgid == 5);
	/* forged: fails before it can replace anything */
	m6.p[1][m6.len[1] - 1] ^= 1;
	CHECK(ike_msg_parse(m6.p[1], m6.len[1], m).err == IKE_PARSE_OK);
	CHECK(ike_frag_recv(&r, &k, m, true, 0) == IKE_FRAG_DROP_AUTH);
	CHECK(r.msgid == 5 && r.n == 1);
	m6.p[1][m6.len[1] - 1] ^= 1;
	CHECK(ike_msg_parse(m6.p[1], m6.len[1], m).err == IKE_PARSE_OK);
	CHECK(ike_frag_recv(&r, &k, m, true, 0) == IKE_FRAG_MORE);
	CHECK(r.msgid == 6 && r.n == 1 && r.pieces[0].number == 2);
	ike_frag_rx_reset(&r);
	CHECK(b.used == 0);
	msgs_free(&m5);
	msgs_free(&m6);
	ike_frags_free(&f5);
	ike_frags_free(&f6);
	ik_sk_key_wipe(&k);
	free(m);
}

/* ---- limits ----------------------------------------------------------- */

static void missing_fragment_never_completes_and_expires(void)
{
	static uint8_t out[IKE_MAX_MSG];
	struct ike_frag_budget b;
	struct ike_frag_rx r;
	const uint64_t t = IKE_FRAG_RX_TIMEOUT_MS;
	uint8_t first;
	uint16_t i;

	fresh(&b, &r, IKE_FRAG_BUDGET_DEFAULT);
	CHECK(ike_frag_rx_expires_at(&r, t) == 0);
	for (i = 1; i <= 40; i++)
		if (i != 17)
			CHECK(add_at(&r, 1000 + i, 2, i, 40, (uint8_t)i, 1000)
			      == IKE_FRAG_MORE);
	CHECK(r.n == 39 && b.used == 39 * (1000 + IKE_FRAG_PIECE_COST));
	CHECK(ike_frag_take(&r, out, sizeof(out), &first) == -1);
	CHECK(r.n == 39);
	/* its age counts from the first fragment */
	CHECK(ike_frag_rx_expires_at(&r, t) == 1001 + t);
	CHECK(!ike_frag_rx_expire(&r, 1000 + t, t));
	CHECK(r.active && r.n == 39);
	CHECK(ike_frag_rx_expire(&r, 1001 + t, t));
	CHECK(!r.active && r.n == 0 && !r.pieces && b.used == 0);
	CHECK(!ike_frag_rx_expire(&r, UINT64_MAX, 1));
	CHECK(r.budget == &b);
}

/* Plaintext past 65535 bytes: the message is refused whole and freed. */
static void oversize_message_refused_and_freed(void)
{
	struct ike_frag_budget b;
	struct ike_frag_rx r;

	fresh(&b, &r, IKE_FRAG_BUDGET_DEFAULT);
	CHECK(add(&r, 3, 1, 3, 1, 60000) == IKE_FRAG_MORE);
	CHECK(add(&r, 3, 2, 3, 1, 5535) == IKE_FRAG_MORE);	/* 65535 */
	CHECK(add(&r, 3, 3, 3, 1, 1) == IKE_FRAG_DROP_TOO_BIG);	/* 65536 */
	CHECK(r.active && r.refused && r.n == 0 && b.used == 0);
	/* the message's other fragments: refused too, nothing kept */
	CHECK(add(&r, 3, 1, 3, 1, 10) == IKE_FRAG_DROP_TOO_BIG);
	CHECK(b.used == 0);
	/* a refragmented copy (greater Total) may try again */
	CHECK(add(&r, 3, 1, 4, 1, 10) == IKE_FRAG_RESTART);
	CHECK(!r.refused && r.n == 1);
	ike_frag_rx_reset(&r);
	/* one fragment alone larger than a message */
	CHECK(add(&r, 3, 1, 2, 1, IKE_MAX_MSG + 1) == IKE_FRAG_DROP_TOO_BIG);
	CHECK(b.used == 0);
	ike_frag_rx_reset(&r);
	CHECK(b.used == 0 && !r.active);
}

#define N_SA	6

/*
 * Several SAs share a budget: fragments beyond it are dropped and counted,
 * used never passes the limit, freeing one SA lets another go on, and all
 * freed means used is 0.
 */
static void budget_shared_by_several_sas(void)
{
	static uint8_t out[IKE_MAX_MSG];
	const size_t cost = 1000 + IKE_FRAG_PIECE_COST;
	struct ike_frag_budget b;
	struct ike_frag_rx r[N_SA];
	size_t kept = 0, dropped = 0, i;
	enum ike_frag_res res;
	uint16_t n;
	uint8_t first;

	/* room for 25 fragments, the 26th and later dropped */
	ike_frag_budget_init(&b, 25 * cost + cost / 2);
	for (i = 0; i < N_SA; i++)
		ike_frag_rx_init(&r[i], &b);
	for (i = 0; i < N_SA; i++) {
		for (n = 1; n <= 5; n++) {
			res = add(&r[i], (uint32_t)i, n, 5, (uint8_t)n, 1000);
			if (res == IKE_FRAG_DROP_BUDGET)
				dropped++;
			else if (ike_frag_res_kept(res))
				kept++;
			CHECK(b.used <= b.limit);
		}
	}
	CHECK(kept == 25 && dropped == 5 && b.dropped == 5);
	CHECK(b.used == 25 * cost);
	/* SAs 0..4 hold whole messages; SA 5 none: not even started */
	CHECK(!r[5].active && r[5].n == 0);
	for (i = 0; i < 5; i++)
		CHECK(r[i].n == 5 && r[i].n == r[i].total);
	/* taking one message gives its bytes back; the last SA can go on */
	CHECK(ike_frag_take(&r[0], out, sizeof(out), &first) == 5000);
	CHECK(b.used == 20 * cost);
	for (n = 1; n <= 5; n++)
		CHECK(add(&r[5], 5, n, 5, (uint8_t)n, 1000) ==
		      (n == 5 ? IKE_FRAG_COMPLETE : IKE_FRAG_MORE));
	CHECK(b.used == 25 * cost);
	CHECK(add(&r[0], 9, 1, 2, 1, 1000) == IKE_FRAG_DROP_BUDGET);
	CHECK(!r[0].active && b.dropped == 6);
	for (i = 0; i < N_SA; i++)
		ike_frag_rx_reset(&r[i]);
	CHECK(b.used == 0);
}

/* Empty fragments still cost: a flood of them is bounded. */
static void empty_fragments_are_not_free(void)
{
	struct ike_frag_budget b;
	struct ike_frag_rx r;
	size_t kept = 0;
	uint16_t i;

	fresh(&b, &r, 100 * IKE_FRAG_PIECE_COST);
	for (i = 1; i <= IKE_FRAG_MAX_FRAGS; i++)
		kept += add(&r, 1, i, IKE_FRAG_MAX_FRAGS, 0, 0) ==
			IKE_FRAG_MORE;
	CHECK(kept == 100 && b.used == b.limit);
	CHECK(b.dropped == IKE_FRAG_MAX_FRAGS - 100);
	ike_frag_rx_reset(&r);
	CHECK(b.used == 0);
}

static void take_needs_room_and_a_whole_message(void)
{
	static uint8_t out[300];
	struct ike_frag_budget b;
	struct ike_frag_rx r;
	uint8_t first = 0;

	fresh(&b, &r, 100000);
	CHECK(ike_frag_take(&r, out, sizeof(out), &first) == -1);
	CHECK(add(&r, 1, 1, 2, 1, 150) == IKE_FRAG_MORE);
	CHECK(ike_frag_take(&r, out, sizeof(out), &first) == -1);
	CHECK(add(&r, 1, 2, 2, 2, 150) == IKE_FRAG_COMPLETE);
	CHECK(ike_frag_take(&r, out, 299, &first) == -1);
	CHECK(r.active && r.n == 2 && b.used == r.charged);
	CHECK(ike_frag_take(&r, out, 300, &first) == 300);
	CHECK(first == IKE_PL_IDI && !r.active && b.used == 0);
}

static void every_result_has_a_text(void)
{
	int i;

	for (i = 0; i < IKE_FRAG_RES_COUNT; i++)
		CHECK(ike_frag_res_str(i) && ike_frag_res_str(i)[0]);
	CHECK(!strcmp(ike_frag_res_str(IKE_FRAG_RES_COUNT), "unknown"));
	CHECK(!strncmp(ike_frag_res_str(IKE_FRAG_DROP_BUDGET), "dropped", 7));
	CHECK(ike_frag_res_kept(IKE_FRAG_RESTART));
	CHECK(!ike_frag_res_kept(IKE_FRAG_DUPLICATE));
}

static const struct ktap_case cases[] = {
	KTAP_CASE(default_sizes_follow_rfc7383),
	KTAP_CASE(payload_max_is_exact_for_every_suite),
	KTAP_CASE(round_trip_ipv6_default_every_suite),
	KTAP_CASE(round_trip_ipv4_default_every_suite),
	KTAP_CASE(round_trip_tiny_fragments_every_suite),
	KTAP_CASE(rebuild_cuts_the_kept_message_smaller),
	KTAP_CASE(rebuild_always_grows_the_total),
	KTAP_CASE(reassembled_chain_parses_as_the_message),
	KTAP_CASE(skf_layout_on_the_wire),
	KTAP_CASE(empty_chain_is_one_fragment),
	KTAP_CASE(sender_refuses_what_cannot_be_sent),
	KTAP_CASE(tampered_fragments_fail_and_are_never_kept),
	KTAP_CASE(bad_numbers_dropped_without_state),
	KTAP_CASE(duplicates_keep_the_first_copy),
	KTAP_CASE(first_inner_comes_from_fragment_1_only),
	KTAP_CASE(greater_total_restarts_smaller_total_dropped),
	KTAP_CASE(other_message_left_to_the_caller),
	KTAP_CASE(recv_replaces_only_after_authentication),
	KTAP_CASE(missing_fragment_never_completes_and_expires),
	KTAP_CASE(oversize_message_refused_and_freed),
	KTAP_CASE(budget_shared_by_several_sas),
	KTAP_CASE(empty_fragments_are_not_free),
	KTAP_CASE(take_needs_room_and_a_whole_message),
	KTAP_CASE(every_result_has_a_text),
};

KTAP_MAIN(cases)
