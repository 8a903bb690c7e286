// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for include/iketcp_framing.h: arbitrary bytes go through
 * the reference receiver (selftests/unit/stream_driver.h), which uses the
 * framing functions exactly as kernel/rx.c does.
 *
 * Input: byte 0 picks the configuration, the rest is the TCP stream.
 *   bit 0     framing: 0 RFC 9329, 1 legacy
 *   bit 1     RFC 9329 only: expect the "IKETCP" prefix (acceptor)
 *   bits 2-7  seed of the chunk sizes the stream is cut into
 *
 * Invariants (any violation aborts, so libFuzzer reports it):
 *  - reading: every hdr_feed() gets an exact-size heap copy of its chunk
 *    and classify() an exact-size copy of its head, so ASan catches a read
 *    past what a receiver has; events never point past the input;
 *  - lengths: a record's body fits the framing's limits and the stream;
 *  - classify agrees with the record's bytes (marker, IKE length, ESP and
 *    keepalive rules) and iketcp_ike_header() rebuilds an IKE record's header;
 *  - whole input, byte at a time and seeded chunks give the same events;
 *  - after a fatal verdict nothing more is read.
 *
 * Build and run: `make fuzz [FUZZ_SECONDS=N]` (corpus in
 * build/fuzz/corpus-framing, created by `make fuzz` or by hand with mkdir).
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

#include "../unit/stream_driver.h"

#define MAX_INPUT	(1 << 16)

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_framing: %s:%d: %s\n", __FILE__, \
			__LINE__, #cond); \
		abort(); \
	} \
} while (0)

struct result {
	struct sd_event *ev;
	u32 cap;
	u32 nr_ev;
	u32 consumed;
};

/* Next chunk size, 1..64 and sometimes large, from a small LCG. */
static u32 next_chunk(u32 *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	if ((*seed >> 28) == 0)
		return 1000 + (*seed >> 16) % 4000;
	return 1 + (*seed >> 16) % 64;
}

/*
 * Drive the stream in chunks.  chunk 0: one call with the whole stream;
 * chunk 1: byte at a time; otherwise the seeded pattern.  Each chunk is an
 * exact-size heap copy so that a read past it is an ASan report.
 */
static void drive(struct result *r, u8 framing, bool prefix, const u8 *s,
		  u32 len, u32 chunk, u32 seed)
{
	struct sd_rx rx;
	u32 at = 0;

	sd_init(&rx, framing, prefix, r->ev, r->cap);
	while (at < len && !rx.dead) {
		u32 n = chunk ? chunk : len;
		u32 used;
		u8 *copy;

		if (chunk > 1)
			n = next_chunk(&seed);
		if (n > len - at)
			n = len - at;
		copy = malloc(n);
		CHECK(copy);
		memcpy(copy, s + at, n);
		used = sd_feed(&rx, copy, n);
		free(copy);
		CHECK(used <= n);
		CHECK(rx.dead || used == n);
		at += used;
		CHECK(rx.pos == at);
	}
	r->consumed = at;
	sd_eof(&rx);
	r->nr_ev = rx.nr_ev;
	CHECK(r->nr_ev <= r->cap);
}

static bool same(const struct result *a, const struct result *b)
{
	return a->nr_ev == b->nr_ev && a->consumed == b->consumed &&
	       sd_events_eq(a->ev, b->ev, a->nr_ev);
}

/* Classify again from an exact-size copy of the head: same answer. */
static void check_classify_again(u8 framing, const u8 *body,
				 const struct sd_event *e)
{
	u32 hl = sd_head_len(e->body_len), off;
	u8 *head = malloc(hl ? hl : 1);

	CHECK(head);
	memcpy(head, body, hl);
	CHECK(iketcp_classify(framing, head, e->body_len, &off) == e->code);
	CHECK(off == e->ike_offset);
	free(head);
}

static void check_rfc_record(const u8 *s, const struct sd_event *e)
{
	const u8 *body = s + e->body_off;
	static const u8 zero[4];
	u8 hdr[6];

	CHECK(e->body_off == e->rec_off + IKETCP_LEN_FIELD);
	CHECK(iketcp_get_be16(s + e->rec_off) == e->body_len + 2);
	CHECK(e->body_len <= IKETCP_MAX_ESP_PKT);
	switch (e->code) {
	case IKETCP_K_EMPTY:
		CHECK(e->body_len == 0);
		break;
	case IKETCP_K_KEEPALIVE:
		CHECK(e->body_len == 1 && body[0] == 0xff);
		break;
	case IKETCP_K_RUNT:
		CHECK(e->body_len < ESP_HDR_LEN);
		CHECK(!(e->body_len == 1 && body[0] == 0xff));
		break;
	case IKETCP_K_ESP:
		CHECK(e->body_len >= ESP_HDR_LEN && memcmp(body, zero, 4));
		break;
	case IKETCP_K_IKE:
		CHECK(e->ike_offset == IKETCP_MARKER_LEN);
		CHECK(!memcmp(body, zero, 4));
		CHECK(e->body_len - 4 <= IKETCP_MAX_IKE_MSG);
		CHECK(iketcp_get_be32(body + 4 + IKE_HDR_LEN_OFFSET) ==
		      e->body_len - 4);
		CHECK(iketcp_ike_header(IKETCP_FRAMING_RFC9329,
					e->body_len - 4, hdr) == 6);
		CHECK(!memcmp(hdr, s + e->rec_off, 6));
		break;
	case IKETCP_K_BAD_IKE_LENGTH:
		CHECK(e->body_len >= 4 && !memcmp(body, zero, 4));
		CHECK(e->body_len < 4 + IKE_HDR_LEN ||
		      iketcp_get_be32(body + 4 + IKE_HDR_LEN_OFFSET) !=
		      e->body_len - 4);
		break;
	default:
		CHECK(0);
	}
}

static void check_legacy_record(const u8 *s, const struct sd_event *e)
{
	u8 hdr[6];

	CHECK(e->body_off == e->rec_off);
	CHECK(e->body_len >= IKE_HDR_LEN);
	CHECK(e->body_len <= IKETCP_LEGACY_MAX_MSG);
	/* The header length decides the record, so it always matches. */
	CHECK(e->code == IKETCP_K_IKE && e->ike_offset == 0);
	CHECK(iketcp_get_be32(s + e->rec_off + IKE_HDR_LEN_OFFSET) ==
	      e->body_len);
	CHECK(iketcp_ike_header(IKETCP_FRAMING_LEGACY, e->body_len, hdr) == 0);
}

/* Events are in stream order, inside the input, and each one is right. */
static void check_events(u8 framing, bool prefix, const u8 *s, u32 len,
			 const struct result *r)
{
	u32 i, next = 0;

	for (i = 0; i < r->nr_ev; i++) {
		const struct sd_event *e = &r->ev[i];

		CHECK(e->rec_off == next);
		switch (e->type) {
		case SD_PREFIX_OK:
			CHECK(i == 0 && prefix && !memcmp(s, "IKETCP", 6));
			next = 6;
			break;
		case SD_RECORD:
			CHECK(!(prefix && i == 0));
			CHECK(e->body_off + e->body_len <= len);
			next = e->body_off + e->body_len;
			check_classify_again(framing, s + e->body_off, e);
			if (framing == IKETCP_FRAMING_LEGACY)
				check_legacy_record(s, e);
			else
				check_rfc_record(s, e);
			break;
		case SD_FATAL:
		case SD_PARTIAL_EOF:
			/* Nothing may follow the end of the stream. */
			CHECK(i == r->nr_ev - 1);
			break;
		default:
			CHECK(0);
		}
	}
	if (r->nr_ev && r->ev[r->nr_ev - 1].type == SD_FATAL)
		CHECK(r->consumed <= len);
	else
		CHECK(r->consumed == len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result whole, bytes, chunks;
	u8 framing;
	bool prefix;
	u32 len, cap, seed;

	if (size < 1 || size > MAX_INPUT)
		return 0;
	framing = (data[0] & 1) ? IKETCP_FRAMING_LEGACY :
				  IKETCP_FRAMING_RFC9329;
	prefix = framing == IKETCP_FRAMING_RFC9329 && (data[0] & 2);
	seed = data[0] >> 2;
	len = (u32)size - 1;
	/* Every record takes at least 2 bytes; plus prefix and EOF events. */
	cap = len / 2 + 3;
	whole.ev = calloc(cap, sizeof(*whole.ev));
	bytes.ev = calloc(cap, sizeof(*bytes.ev));
	chunks.ev = calloc(cap, sizeof(*chunks.ev));
	CHECK(whole.ev && bytes.ev && chunks.ev);
	whole.cap = bytes.cap = chunks.cap = cap;

	drive(&whole, framing, prefix, data + 1, len, 0, 0);
	drive(&bytes, framing, prefix, data + 1, len, 1, 0);
	drive(&chunks, framing, prefix, data + 1, len, 2, seed);
	check_events(framing, prefix, data + 1, len, &whole);
	CHECK(same(&whole, &bytes));
	CHECK(same(&whole, &chunks));

	free(whole.ev);
	free(bytes.ev);
	free(chunks.ev);
	return 0;
}
