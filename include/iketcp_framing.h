/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Record framing of IKE over TCP: RFC 9329 and draft-ietf-ipsecme-ike-tcp-01.
 *
 * Pure functions on bytes, no allocation, no locking: the module's receive
 * path, its send path and the userspace fuzzers and unit tests all compile
 * this one file.  The caller owns the buffers and the state.
 *
 * Reading a stream is:
 *   1. while iketcp_hdr_need() > 0: hand it that many bytes (or fewer) with
 *      iketcp_hdr_feed(); it answers with a verdict;
 *   2. on IKETCP_V_RECORD: the record's body is body_len bytes, of which the
 *      first hdr_in_body were already fed as header (legacy framing: the IKE
 *      header is part of the message); collect the rest;
 *   3. classify the complete body with iketcp_classify(); iketcp_hdr_reset()
 *      and go on with the next record.
 */
#ifndef IKETCP_FRAMING_H
#define IKETCP_FRAMING_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#else
#include "iketcp_user_types.h"	/* in user/: u8, u16, u32, bool, memcpy */
#endif

#include "uapi/linux/iketcp.h"

#define IKETCP_PREFIX		"IKETCP"
#define IKETCP_PREFIX_LEN	6
#define IKETCP_LEN_FIELD	2
#define IKETCP_MARKER_LEN	4
#define IKETCP_KEEPALIVE	0xff
#define IKE_HDR_LEN		28
#define IKE_HDR_LEN_OFFSET	24
#define ESP_HDR_LEN		8	/* SPI and sequence number */
/* Body bytes iketcp_classify() looks at: marker plus a whole IKE header. */
#define IKETCP_CLASSIFY_LEN	(IKETCP_MARKER_LEN + IKE_HDR_LEN)

enum iketcp_rx_stage {
	IKETCP_STAGE_PREFIX,	/* acceptor: collecting the stream prefix */
	IKETCP_STAGE_HEADER,	/* collecting a record header */
};

/* Verdicts of iketcp_hdr_feed(). */
enum iketcp_verdict {
	IKETCP_V_MORE,		/* need more header bytes */
	IKETCP_V_PREFIX_OK,	/* the stream prefix was right */
	IKETCP_V_RECORD,	/* a record header is complete */
	IKETCP_V_BAD_PREFIX,	/* fatal: wrong stream prefix */
	IKETCP_V_BAD_LENGTH,	/* fatal: RFC 9329 length 0 or 1 */
	IKETCP_V_LEGACY_LENGTH,	/* fatal: legacy IKE length out of range */
};

struct iketcp_hdr_state {
	u8 framing;		/* enum iketcp_framing */
	u8 stage;		/* enum iketcp_rx_stage */
	u8 have;		/* header bytes collected */
	u8 buf[IKE_HDR_LEN];	/* prefix or header bytes so far */
	u32 body_len;		/* valid after IKETCP_V_RECORD */
	u32 hdr_in_body;	/* header bytes that belong to the body */
};

/* What a complete record body is. */
enum iketcp_kind {
	IKETCP_K_IKE,		/* IKE message at body + ike_offset */
	IKETCP_K_ESP,		/* ESP packet: the whole body */
	IKETCP_K_KEEPALIVE,	/* NAT-keepalive, drop */
	IKETCP_K_EMPTY,		/* length 2, ignore */
	IKETCP_K_RUNT,		/* too short to be anything, drop */
	IKETCP_K_BAD_IKE_LENGTH, /* IKE header length != record, drop */
};

static inline void iketcp_hdr_init(struct iketcp_hdr_state *st, u8 framing,
				   bool expect_prefix)
{
	memset(st, 0, sizeof(*st));
	st->framing = framing;
	st->stage = expect_prefix ? IKETCP_STAGE_PREFIX : IKETCP_STAGE_HEADER;
}

static inline void iketcp_hdr_reset(struct iketcp_hdr_state *st)
{
	st->stage = IKETCP_STAGE_HEADER;
	st->have = 0;
	st->body_len = 0;
	st->hdr_in_body = 0;
}

static inline u32 iketcp_hdr_size(const struct iketcp_hdr_state *st)
{
	if (st->stage == IKETCP_STAGE_PREFIX)
		return IKETCP_PREFIX_LEN;
	return st->framing == IKETCP_FRAMING_LEGACY ? IKE_HDR_LEN :
						      IKETCP_LEN_FIELD;
}

/* How many more header bytes iketcp_hdr_feed() wants. */
static inline u32 iketcp_hdr_need(const struct iketcp_hdr_state *st)
{
	return iketcp_hdr_size(st) - st->have;
}

static inline u32 iketcp_get_be32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static inline u16 iketcp_get_be16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

static inline enum iketcp_verdict
iketcp_hdr_complete(struct iketcp_hdr_state *st)
{
	u32 len;

	if (st->stage == IKETCP_STAGE_PREFIX) {
		if (memcmp(st->buf, IKETCP_PREFIX, IKETCP_PREFIX_LEN))
			return IKETCP_V_BAD_PREFIX;
		iketcp_hdr_reset(st);
		return IKETCP_V_PREFIX_OK;
	}
	if (st->framing == IKETCP_FRAMING_LEGACY) {
		len = iketcp_get_be32(st->buf + IKE_HDR_LEN_OFFSET);
		if (len < IKE_HDR_LEN || len > IKETCP_LEGACY_MAX_MSG)
			return IKETCP_V_LEGACY_LENGTH;
		st->body_len = len;
		st->hdr_in_body = IKE_HDR_LEN;
		return IKETCP_V_RECORD;
	}
	len = iketcp_get_be16(st->buf);
	if (len < IKETCP_LEN_FIELD)
		return IKETCP_V_BAD_LENGTH;
	st->body_len = len - IKETCP_LEN_FIELD;
	st->hdr_in_body = 0;
	return IKETCP_V_RECORD;
}

/*
 * Feed up to iketcp_hdr_need() bytes; *used tells how many were taken.
 * A fatal verdict leaves the state unusable: the connection must close.
 */
static inline enum iketcp_verdict
iketcp_hdr_feed(struct iketcp_hdr_state *st, const u8 *data, u32 len,
		u32 *used)
{
	u32 need = iketcp_hdr_need(st);
	u32 n = len < need ? len : need;

	memcpy(st->buf + st->have, data, n);
	st->have += n;
	*used = n;
	if (st->have < iketcp_hdr_size(st))
		return IKETCP_V_MORE;
	return iketcp_hdr_complete(st);
}

/*
 * Classify a complete record body from its first bytes: head holds
 * min(body_len, IKETCP_CLASSIFY_LEN) bytes.  For IKETCP_K_IKE, *ike_offset
 * is where the IKE message starts in the body (after the non-ESP marker).
 */
static inline enum iketcp_kind iketcp_classify(u8 framing, const u8 *head,
					       u32 body_len, u32 *ike_offset)
{
	static const u8 marker[IKETCP_MARKER_LEN];
	u32 off = 0;

	*ike_offset = 0;
	if (framing == IKETCP_FRAMING_RFC9329) {
		if (body_len == 0)
			return IKETCP_K_EMPTY;
		if (body_len == 1 && head[0] == IKETCP_KEEPALIVE)
			return IKETCP_K_KEEPALIVE;
		if (body_len < IKETCP_MARKER_LEN)
			return IKETCP_K_RUNT;
		if (memcmp(head, marker, IKETCP_MARKER_LEN)) {
			if (body_len < ESP_HDR_LEN)
				return IKETCP_K_RUNT;
			return IKETCP_K_ESP;
		}
		off = IKETCP_MARKER_LEN;
	}
	if (body_len - off < IKE_HDR_LEN)
		return IKETCP_K_BAD_IKE_LENGTH;
	if (iketcp_get_be32(head + off + IKE_HDR_LEN_OFFSET) != body_len - off)
		return IKETCP_K_BAD_IKE_LENGTH;
	*ike_offset = off;
	return IKETCP_K_IKE;
}

/*
 * Header to put in front of an IKE message of len bytes when sending; returns
 * its size (RFC 9329: length and marker, 6), or 0: legacy framing has no
 * header, and an RFC 9329 message over IKETCP_MAX_IKE_MSG has none that fits
 * (callers check iketcp_max_ike_msg() first).
 */
static inline u32 iketcp_ike_header(u8 framing, u32 len, u8 *hdr)
{
	u32 rec;

	if (framing == IKETCP_FRAMING_LEGACY || len > IKETCP_MAX_IKE_MSG)
		return 0;
	rec = IKETCP_LEN_FIELD + IKETCP_MARKER_LEN + len;
	hdr[0] = (u8)(rec >> 8);
	hdr[1] = (u8)rec;
	memset(hdr + IKETCP_LEN_FIELD, 0, IKETCP_MARKER_LEN);
	return IKETCP_LEN_FIELD + IKETCP_MARKER_LEN;
}

/* Bytes on the wire for an IKE message of len bytes (at most the maximum). */
static inline u32 iketcp_record_len(u8 framing, u32 len)
{
	if (framing == IKETCP_FRAMING_LEGACY)
		return len;
	return IKETCP_LEN_FIELD + IKETCP_MARKER_LEN + len;
}

/* Largest IKE message a socket of this framing may send or receive. */
static inline u32 iketcp_max_ike_msg(u8 framing)
{
	return framing == IKETCP_FRAMING_LEGACY ? IKETCP_LEGACY_MAX_MSG :
						  IKETCP_MAX_IKE_MSG;
}

#endif /* IKETCP_FRAMING_H */
