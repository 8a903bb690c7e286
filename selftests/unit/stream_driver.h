/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A reference receiver for include/iketcp_framing.h, for the unit tests and
 * the fuzzer: it feeds a byte stream through iketcp_hdr_feed() and
 * iketcp_classify() exactly as the header's top comment says a receiver must
 * (and as kernel/rx.c does), and records what it saw as a list of events.
 *
 * It copies only what a receiver keeps anyway (the first
 * IKETCP_CLASSIFY_LEN bytes of a body), so the events also say where each
 * record lies in the stream; the tests compare them with the input.
 * Single-threaded, no allocation: the caller supplies the event array.
 */
#ifndef IKETCP_STREAM_DRIVER_H
#define IKETCP_STREAM_DRIVER_H

#include "iketcp_framing.h"

enum sd_event_type {
	SD_PREFIX_OK = 1,	/* the stream prefix was right */
	SD_RECORD,		/* a whole record: kind, offsets, lengths */
	SD_FATAL,		/* a fatal verdict; nothing after it is read */
	SD_PARTIAL_EOF,		/* end of stream inside a header or body */
};

struct sd_event {
	u8 type;		/* enum sd_event_type */
	u8 code;		/* SD_RECORD: kind; SD_FATAL: verdict */
	u32 rec_off;		/* stream offset of the record's first byte */
	u32 body_off;		/* stream offset of its body */
	u32 body_len;
	u32 ike_offset;		/* SD_RECORD of IKETCP_K_IKE: from classify */
};

struct sd_rx {
	struct iketcp_hdr_state hdr;
	bool in_body;		/* header done, collecting the body */
	bool dead;		/* a fatal verdict was seen */
	u32 pos;		/* stream bytes consumed so far */
	u32 rec_off;		/* where the current record started */
	u32 body_off;
	u32 body_have;		/* body bytes collected, header's included */
	u8 head[IKETCP_CLASSIFY_LEN];	/* first body bytes, for classify */
	struct sd_event *ev;	/* caller's array */
	u32 ev_cap;
	u32 nr_ev;		/* events seen; only ev_cap are stored */
};

/* Field by field: the struct's padding is not part of an event. */
static inline bool sd_event_eq(const struct sd_event *a,
			       const struct sd_event *b)
{
	return a->type == b->type && a->code == b->code &&
	       a->rec_off == b->rec_off && a->body_off == b->body_off &&
	       a->body_len == b->body_len && a->ike_offset == b->ike_offset;
}

/* Two runs saw the same events (n of them, all stored). */
static inline bool sd_events_eq(const struct sd_event *a,
				const struct sd_event *b, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (!sd_event_eq(&a[i], &b[i]))
			return false;
	return true;
}

static inline void sd_init(struct sd_rx *rx, u8 framing, bool expect_prefix,
			   struct sd_event *ev, u32 ev_cap)
{
	memset(rx, 0, sizeof(*rx));
	iketcp_hdr_init(&rx->hdr, framing, expect_prefix);
	rx->ev = ev;
	rx->ev_cap = ev_cap;
}

static inline void sd_emit(struct sd_rx *rx, struct sd_event e)
{
	if (rx->nr_ev < rx->ev_cap)
		rx->ev[rx->nr_ev] = e;
	rx->nr_ev++;
}

static inline u32 sd_head_len(u32 body_len)
{
	return body_len < IKETCP_CLASSIFY_LEN ? body_len : IKETCP_CLASSIFY_LEN;
}

/* The body is complete: classify it and get ready for the next header. */
static inline void sd_finish_record(struct sd_rx *rx)
{
	struct sd_event e = {
		.type = SD_RECORD,
		.rec_off = rx->rec_off,
		.body_off = rx->body_off,
		.body_len = rx->hdr.body_len,
	};

	e.code = iketcp_classify(rx->hdr.framing, rx->head, e.body_len,
				 &e.ike_offset);
	sd_emit(rx, e);
	rx->in_body = false;
	iketcp_hdr_reset(&rx->hdr);
}

/* A record header is complete: start its body with the header's bytes. */
static inline void sd_start_body(struct sd_rx *rx)
{
	u32 keep = rx->hdr.hdr_in_body;

	if (keep > sd_head_len(rx->hdr.body_len))
		keep = sd_head_len(rx->hdr.body_len);
	memcpy(rx->head, rx->hdr.buf, keep);
	rx->body_have = rx->hdr.hdr_in_body;
	rx->body_off = rx->pos - rx->hdr.hdr_in_body;
	rx->in_body = true;
	if (rx->body_have == rx->hdr.body_len)
		sd_finish_record(rx);
}

/* Feed header bytes; returns how many were taken. */
static inline u32 sd_feed_header(struct sd_rx *rx, const u8 *p, u32 len)
{
	struct sd_event e = { .rec_off = rx->rec_off };
	enum iketcp_verdict v;
	u32 used;

	if (rx->hdr.have == 0)
		rx->rec_off = e.rec_off = rx->pos;
	v = iketcp_hdr_feed(&rx->hdr, p, len, &used);
	rx->pos += used;
	switch (v) {
	case IKETCP_V_MORE:
		break;
	case IKETCP_V_PREFIX_OK:
		e.type = SD_PREFIX_OK;
		sd_emit(rx, e);
		break;
	case IKETCP_V_RECORD:
		sd_start_body(rx);
		break;
	default:
		e.type = SD_FATAL;
		e.code = (u8)v;
		sd_emit(rx, e);
		rx->dead = true;
		break;
	}
	return used;
}

/* Feed body bytes; returns how many were taken. */
static inline u32 sd_feed_body(struct sd_rx *rx, const u8 *p, u32 len)
{
	u32 want = rx->hdr.body_len - rx->body_have;
	u32 n = len < want ? len : want;
	u32 head = sd_head_len(rx->hdr.body_len);

	if (rx->body_have < head) {
		u32 c = head - rx->body_have;

		memcpy(rx->head + rx->body_have, p, c < n ? c : n);
	}
	rx->body_have += n;
	rx->pos += n;
	if (rx->body_have == rx->hdr.body_len)
		sd_finish_record(rx);
	return n;
}

/*
 * Feed a chunk of the stream, as a receiver does with each segment; returns
 * the bytes consumed, which is less than len only after a fatal verdict.
 */
static inline u32 sd_feed(struct sd_rx *rx, const u8 *data, u32 len)
{
	u32 done = 0;

	while (done < len && !rx->dead) {
		if (rx->in_body)
			done += sd_feed_body(rx, data + done, len - done);
		else
			done += sd_feed_header(rx, data + done, len - done);
	}
	return done;
}

/* The peer closed: a record (or prefix) half read is a partial record. */
static inline void sd_eof(struct sd_rx *rx)
{
	struct sd_event e = { .type = SD_PARTIAL_EOF, .rec_off = rx->rec_off };

	if (rx->dead || (!rx->in_body && rx->hdr.have == 0))
		return;
	sd_emit(rx, e);
}

#endif /* IKETCP_STREAM_DRIVER_H */
