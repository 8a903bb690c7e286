// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of include/iketcp_framing.h, the record framing that the
 * module's receive and send paths and the fuzzer share.  Each test name
 * states the rule it proves (RFC 9329 section 3, draft-ietf-ipsecme-ike-tcp-01
 * for "legacy").  The last group runs whole hand-made streams through the
 * reference receiver in stream_driver.h, whole and byte by byte.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "stream_driver.h"

/*
 * The harness copies both operands into variables of their own types, so a
 * literal "56" is an int compared with a u32: the values here are all small
 * and non-negative, and a U on every literal would hide the rules.
 */
#pragma GCC diagnostic ignored "-Wsign-compare"

#define RFC IKETCP_FRAMING_RFC9329
#define LEGACY IKETCP_FRAMING_LEGACY

/* ------------------------------------------------------------ helpers */

static void put_be16(u8 *p, u32 v)
{
	p[0] = (u8)(v >> 8);
	p[1] = (u8)v;
}

static void put_be32(u8 *p, u32 v)
{
	p[0] = (u8)(v >> 24);
	p[1] = (u8)(v >> 16);
	p[2] = (u8)(v >> 8);
	p[3] = (u8)v;
}

/* A fake IKE message of len bytes (len >= 28) whose header says len. */
static void make_ike(u8 *p, u32 len)
{
	u32 i;

	for (i = 0; i < len; i++)
		p[i] = (u8)(0x40 + i);
	put_be32(p + IKE_HDR_LEN_OFFSET, len);
}

/* Append an RFC 9329 IKE record with an ike_len-byte message; new end. */
static u32 add_rfc_ike(u8 *s, u32 at, u32 ike_len)
{
	put_be16(s + at, IKETCP_LEN_FIELD + IKETCP_MARKER_LEN + ike_len);
	memset(s + at + 2, 0, IKETCP_MARKER_LEN);
	make_ike(s + at + 6, ike_len);
	return at + 6 + ike_len;
}

/* Append an RFC 9329 record whose body is the given bytes; new end. */
static u32 add_rfc_raw(u8 *s, u32 at, const u8 *body, u32 len)
{
	put_be16(s + at, IKETCP_LEN_FIELD + len);
	if (len)
		memcpy(s + at + 2, body, len);
	return at + 2 + len;
}

/* Feed a whole header in one call; the verdict, all bytes used. */
static enum iketcp_verdict feed_all(struct iketcp_hdr_state *st,
				    const u8 *p, u32 len)
{
	u32 used = 0;
	enum iketcp_verdict v = iketcp_hdr_feed(st, p, len, &used);

	return used == len ? v : (enum iketcp_verdict)-1;
}

/* Feed byte by byte: every byte but the last must answer MORE. */
static enum iketcp_verdict feed_bytes(struct iketcp_hdr_state *st,
				      const u8 *p, u32 len)
{
	enum iketcp_verdict v = IKETCP_V_MORE;
	u32 i, used;

	for (i = 0; i < len; i++) {
		if (v != IKETCP_V_MORE)
			return (enum iketcp_verdict)-1;
		v = iketcp_hdr_feed(st, p + i, 1, &used);
		if (used != 1)
			return (enum iketcp_verdict)-1;
	}
	return v;
}

/* Verdict of a whole header, fed both ways; -2 if the ways disagree. */
static int header_verdict(u8 framing, bool prefix, const u8 *p, u32 len)
{
	struct iketcp_hdr_state a, b;
	enum iketcp_verdict va, vb;

	iketcp_hdr_init(&a, framing, prefix);
	iketcp_hdr_init(&b, framing, prefix);
	va = feed_all(&a, p, len);
	vb = feed_bytes(&b, p, len);
	if (va != vb || a.body_len != b.body_len)
		return -2;
	return va;
}

static enum iketcp_kind classify(u8 framing, const u8 *body, u32 len,
				 u32 *off)
{
	return iketcp_classify(framing, body, len, off);
}

/* ------------------------------------------------------ stream prefix */

TEST(prefix_need_is_six_bytes_then_two_for_rfc9329)
{
	struct iketcp_hdr_state st;

	iketcp_hdr_init(&st, RFC, true);
	ASSERT_EQ(6, iketcp_hdr_need(&st));
	ASSERT_EQ(IKETCP_V_PREFIX_OK, feed_all(&st, (const u8 *)"IKETCP", 6));
	ASSERT_EQ(2, iketcp_hdr_need(&st));
}

TEST(prefix_accepted_whole_and_byte_at_a_time)
{
	ASSERT_EQ(IKETCP_V_PREFIX_OK,
		  header_verdict(RFC, true, (const u8 *)"IKETCP", 6));
}

TEST(prefix_rejected_if_any_byte_differs)
{
	u8 p[6];
	int i;

	for (i = 0; i < 6; i++) {
		memcpy(p, "IKETCP", 6);
		p[i] ^= 0x20;	/* same letter, other case */
		EXPECT_EQ(IKETCP_V_BAD_PREFIX, header_verdict(RFC, true, p, 6))
			TH_LOG("byte %d", i);
	}
}

TEST(prefix_not_expected_reads_a_record_header_at_once)
{
	struct iketcp_hdr_state st;
	u32 used;

	iketcp_hdr_init(&st, RFC, false);
	ASSERT_EQ(2, iketcp_hdr_need(&st));
	ASSERT_EQ(IKETCP_V_RECORD,
		  iketcp_hdr_feed(&st, (const u8 *)"IKETCP", 6, &used));
	ASSERT_EQ(2, used);
	ASSERT_EQ(('I' << 8 | 'K') - 2, st.body_len);
}

TEST(hdr_feed_takes_no_more_than_it_needs)
{
	struct iketcp_hdr_state st;
	u8 buf[64] = "IKETCPxyz";
	u32 used;

	iketcp_hdr_init(&st, RFC, true);
	ASSERT_EQ(IKETCP_V_MORE, iketcp_hdr_feed(&st, buf, 4, &used));
	ASSERT_EQ(4, used);
	ASSERT_EQ(IKETCP_V_PREFIX_OK, iketcp_hdr_feed(&st, buf + 4, 60, &used));
	ASSERT_EQ(2, used);
}

/* ----------------------------------------------- RFC 9329 length field */

TEST(rfc9329_length_0_is_fatal)
{
	ASSERT_EQ(IKETCP_V_BAD_LENGTH,
		  header_verdict(RFC, false, (const u8 *)"\0\0", 2));
}

TEST(rfc9329_length_1_is_fatal)
{
	ASSERT_EQ(IKETCP_V_BAD_LENGTH,
		  header_verdict(RFC, false, (const u8 *)"\0\1", 2));
}

TEST(rfc9329_length_2_is_an_empty_record)
{
	struct iketcp_hdr_state st;
	u32 off = 99;

	iketcp_hdr_init(&st, RFC, false);
	ASSERT_EQ(IKETCP_V_RECORD, feed_all(&st, (const u8 *)"\0\2", 2));
	ASSERT_EQ(0, st.body_len);
	ASSERT_EQ(0, st.hdr_in_body);
	ASSERT_EQ(IKETCP_K_EMPTY, classify(RFC, NULL, 0, &off));
	ASSERT_EQ(0, off);
}

TEST(rfc9329_length_65535_gives_body_65533)
{
	struct iketcp_hdr_state st;

	iketcp_hdr_init(&st, RFC, false);
	ASSERT_EQ(IKETCP_V_RECORD, feed_all(&st, (const u8 *)"\xff\xff", 2));
	ASSERT_EQ(IKETCP_MAX_ESP_PKT, st.body_len);
}

/* ------------------------------------------------- RFC 9329 record kinds */

TEST(keepalive_is_one_byte_0xff_in_a_length_3_record)
{
	const u8 ff = 0xff;
	u32 off;

	ASSERT_EQ(IKETCP_K_KEEPALIVE, classify(RFC, &ff, 1, &off));
}

TEST(one_byte_other_than_0xff_is_a_runt)
{
	const u8 b = 0xfe;
	u32 off;

	ASSERT_EQ(IKETCP_K_RUNT, classify(RFC, &b, 1, &off));
}

TEST(ike_with_zero_marker_and_matching_length_is_ike)
{
	u8 body[4 + 40] = { 0 };
	u32 off = 0;

	make_ike(body + 4, 40);
	ASSERT_EQ(IKETCP_K_IKE, classify(RFC, body, sizeof(body), &off));
	ASSERT_EQ(IKETCP_MARKER_LEN, off);
}

TEST(ike_header_length_mismatch_is_dropped)
{
	u8 body[4 + 40] = { 0 };
	u32 off;

	make_ike(body + 4, 40);
	put_be32(body + 4 + IKE_HDR_LEN_OFFSET, 41);
	EXPECT_EQ(IKETCP_K_BAD_IKE_LENGTH,
		  classify(RFC, body, sizeof(body), &off));
	put_be32(body + 4 + IKE_HDR_LEN_OFFSET, 39);
	EXPECT_EQ(IKETCP_K_BAD_IKE_LENGTH,
		  classify(RFC, body, sizeof(body), &off));
	/* The length must count the IKE message only, not the marker. */
	put_be32(body + 4 + IKE_HDR_LEN_OFFSET, sizeof(body));
	EXPECT_EQ(IKETCP_K_BAD_IKE_LENGTH,
		  classify(RFC, body, sizeof(body), &off));
}

TEST(ike_shorter_than_an_ike_header_is_dropped)
{
	u8 body[4 + 27] = { 0 };
	u32 len, off;

	for (len = 4; len < sizeof(body); len++)
		EXPECT_EQ(IKETCP_K_BAD_IKE_LENGTH,
			  classify(RFC, body, len, &off)) TH_LOG("len %u", len);
}

TEST(marker_of_two_or_three_bytes_is_a_runt)
{
	const u8 z[3] = { 0 };
	u32 off;

	EXPECT_EQ(IKETCP_K_RUNT, classify(RFC, z, 2, &off));
	EXPECT_EQ(IKETCP_K_RUNT, classify(RFC, z, 3, &off));
}

TEST(esp_shorter_than_8_bytes_is_a_runt)
{
	const u8 esp[7] = { 0, 0, 0, 1, 0, 0, 0 };
	u32 len, off;

	for (len = 2; len <= sizeof(esp); len++)
		EXPECT_EQ(IKETCP_K_RUNT, classify(RFC, esp, len, &off))
			TH_LOG("len %u", len);
}

TEST(esp_of_8_bytes_or_more_is_esp)
{
	const u8 esp[9] = { 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1, 0xee };
	u32 off = 99;

	EXPECT_EQ(IKETCP_K_ESP, classify(RFC, esp, 8, &off));
	EXPECT_EQ(0, off);
	EXPECT_EQ(IKETCP_K_ESP, classify(RFC, esp, 9, &off));
}

TEST(esp_whose_spi_starts_with_0xff_is_esp_not_keepalive)
{
	const u8 esp[8] = { 0xff, 0, 0, 1, 0, 0, 0, 1 };
	u32 off;

	EXPECT_EQ(IKETCP_K_ESP, classify(RFC, esp, 8, &off));
}

/* ------------------------------------------------------------- legacy */

static int legacy_verdict(u32 ike_len)
{
	u8 hdr[IKE_HDR_LEN];

	make_ike(hdr, IKE_HDR_LEN);
	put_be32(hdr + IKE_HDR_LEN_OFFSET, ike_len);
	return header_verdict(LEGACY, false, hdr, sizeof(hdr));
}

TEST(legacy_header_is_the_28_byte_ike_header)
{
	struct iketcp_hdr_state st;

	iketcp_hdr_init(&st, LEGACY, false);
	ASSERT_EQ(IKE_HDR_LEN, iketcp_hdr_need(&st));
}

TEST(legacy_length_below_28_is_fatal)
{
	EXPECT_EQ(IKETCP_V_LEGACY_LENGTH, legacy_verdict(0));
	EXPECT_EQ(IKETCP_V_LEGACY_LENGTH, legacy_verdict(1));
	EXPECT_EQ(IKETCP_V_LEGACY_LENGTH, legacy_verdict(27));
}

TEST(legacy_length_28_to_65535_is_a_record)
{
	struct iketcp_hdr_state st;
	u8 hdr[IKE_HDR_LEN];

	EXPECT_EQ(IKETCP_V_RECORD, legacy_verdict(28));
	EXPECT_EQ(IKETCP_V_RECORD, legacy_verdict(29));
	EXPECT_EQ(IKETCP_V_RECORD, legacy_verdict(65535));
	make_ike(hdr, IKE_HDR_LEN);
	put_be32(hdr + IKE_HDR_LEN_OFFSET, 1000);
	iketcp_hdr_init(&st, LEGACY, false);
	ASSERT_EQ(IKETCP_V_RECORD, feed_all(&st, hdr, sizeof(hdr)));
	EXPECT_EQ(1000, st.body_len);
	EXPECT_EQ(IKE_HDR_LEN, st.hdr_in_body);
}

TEST(legacy_length_above_65535_is_fatal)
{
	EXPECT_EQ(IKETCP_V_LEGACY_LENGTH, legacy_verdict(65536));
	EXPECT_EQ(IKETCP_V_LEGACY_LENGTH, legacy_verdict(0x80000000u));
	EXPECT_EQ(IKETCP_V_LEGACY_LENGTH, legacy_verdict(0xffffffffu));
}

TEST(legacy_has_no_stream_prefix)
{
	/* "IKETCP" then 22 bytes: legacy reads them as an IKE header. */
	u8 hdr[IKE_HDR_LEN] = "IKETCP";

	put_be32(hdr + IKE_HDR_LEN_OFFSET, 28);
	EXPECT_EQ(IKETCP_V_RECORD,
		  header_verdict(LEGACY, false, hdr, sizeof(hdr)));
}

TEST(legacy_body_is_ike_at_offset_0_with_no_marker)
{
	u8 msg[60];
	u32 off = 99;

	make_ike(msg, sizeof(msg));
	EXPECT_EQ(IKETCP_K_IKE, classify(LEGACY, msg, sizeof(msg), &off));
	EXPECT_EQ(0, off);
	make_ike(msg, IKE_HDR_LEN);
	EXPECT_EQ(IKETCP_K_IKE, classify(LEGACY, msg, IKE_HDR_LEN, &off));
}

TEST(legacy_zero_bytes_are_not_a_marker)
{
	u8 msg[4 + 28] = { 0 };
	u32 off;

	put_be32(msg + 4 + IKE_HDR_LEN_OFFSET, 28);
	EXPECT_EQ(IKETCP_K_BAD_IKE_LENGTH,
		  classify(LEGACY, msg, sizeof(msg), &off));
}

/* ----------------------------------------------------- sending, limits */

TEST(ike_header_rfc9329_is_length_then_zero_marker)
{
	u8 hdr[8];
	u32 n;

	memset(hdr, 0xaa, sizeof(hdr));
	n = iketcp_ike_header(RFC, 100, hdr);
	ASSERT_EQ(6, n);
	EXPECT_EQ(0, hdr[0]);
	EXPECT_EQ(106, hdr[1]);
	EXPECT_EQ(0, memcmp(hdr + 2, "\0\0\0\0", 4));
	EXPECT_EQ(0xaa, hdr[6]);	/* writes nothing past its size */
}

TEST(ike_header_of_the_largest_message_is_length_65535)
{
	u8 hdr[6];

	ASSERT_EQ(6, iketcp_ike_header(RFC, IKETCP_MAX_IKE_MSG, hdr));
	EXPECT_EQ(0xff, hdr[0]);
	EXPECT_EQ(0xff, hdr[1]);
}

TEST(ike_header_legacy_is_empty)
{
	u8 hdr[6] = { 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa };

	ASSERT_EQ(0, iketcp_ike_header(LEGACY, 100, hdr));
	EXPECT_EQ(0xaa, hdr[0]);
}

/* The header's comment promises 0 for a length out of range. */
TEST(ike_header_refuses_a_message_too_large_for_the_length_field)
{
	u8 hdr[6];

	EXPECT_EQ(0, iketcp_ike_header(RFC, IKETCP_MAX_IKE_MSG + 1, hdr));
	EXPECT_EQ(0, iketcp_ike_header(RFC, 0x10000, hdr));
}

TEST(ike_header_output_reads_back_as_the_same_ike_record)
{
	static u8 rec[6 + IKETCP_MAX_IKE_MSG];
	static const u32 lens[] = { 28, 29, 255, 256, 1000, IKETCP_MAX_IKE_MSG };
	struct iketcp_hdr_state st;
	u32 i, off;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		ASSERT_EQ(6, iketcp_ike_header(RFC, lens[i], rec));
		make_ike(rec + 6, lens[i]);
		iketcp_hdr_init(&st, RFC, false);
		ASSERT_EQ(IKETCP_V_RECORD, feed_all(&st, rec, 2));
		ASSERT_EQ(lens[i] + 4, st.body_len);
		EXPECT_EQ(IKETCP_K_IKE, classify(RFC, rec + 2, st.body_len,
						 &off)) TH_LOG("len %u", lens[i]);
	}
}

TEST(max_message_sizes)
{
	EXPECT_EQ(65529, IKETCP_MAX_IKE_MSG);
	EXPECT_EQ(65533, IKETCP_MAX_ESP_PKT);
	EXPECT_EQ(65529, iketcp_max_ike_msg(RFC));
	EXPECT_EQ(65535, iketcp_max_ike_msg(LEGACY));
	EXPECT_EQ(IKETCP_LEGACY_MAX_MSG, iketcp_max_ike_msg(LEGACY));
	/* A queue must hold at least one record of each maximum size. */
	EXPECT_GE(IKETCP_QUEUE_LIMIT_MIN, 2 * IKETCP_MAX_RECORD);
}

TEST(classify_reads_only_the_head_it_is_given)
{
	/* Exact-size heap copies: ASan fails any read past the head. */
	u8 body[4 + 28] = { 0 };
	u32 len, off;

	put_be32(body + 4 + IKE_HDR_LEN_OFFSET, 28);
	for (len = 0; len <= sizeof(body); len++) {
		u8 *h = malloc(len ? len : 1);

		ASSERT_NE(NULL, h);
		memcpy(h, body, len);
		classify(RFC, h, len, &off);
		/* Legacy bodies are whole IKE messages: 28 bytes at least. */
		if (len >= IKE_HDR_LEN)
			classify(LEGACY, h, len, &off);
		free(h);
	}
}

/* -------------------------------------------------- the stream driver */

#define MAX_EV 64

struct run {
	struct sd_event ev[MAX_EV];
	u32 nr_ev;
	u32 consumed;
};

/* Run a stream through the driver in chunks of `chunk` bytes (0: whole). */
static void drive(struct run *r, u8 framing, bool prefix, const u8 *s,
		  u32 len, u32 chunk)
{
	struct sd_rx rx;
	u32 at = 0, n;

	sd_init(&rx, framing, prefix, r->ev, MAX_EV);
	if (!chunk)
		chunk = len ? len : 1;
	while (at < len) {
		n = len - at < chunk ? len - at : chunk;
		r->consumed = at + sd_feed(&rx, s + at, n);
		if (rx.dead)
			break;
		at += n;
	}
	if (at == len)
		r->consumed = len;
	sd_eof(&rx);
	r->nr_ev = rx.nr_ev;
}

/* Whole, byte-at-a-time and every chunk size give the same events. */
static bool drive_all_ways(struct run *whole, u8 framing, bool prefix,
			   const u8 *s, u32 len)
{
	static struct run other;
	u32 chunk;

	drive(whole, framing, prefix, s, len, 0);
	if (whole->nr_ev > MAX_EV)
		return false;
	for (chunk = 1; chunk <= 40 && chunk < len; chunk++) {
		drive(&other, framing, prefix, s, len, chunk);
		if (other.nr_ev != whole->nr_ev ||
		    other.consumed != whole->consumed ||
		    !sd_events_eq(other.ev, whole->ev, whole->nr_ev))
			return false;
	}
	return true;
}

static bool is_record(const struct sd_event *e, u8 kind, u32 rec_off,
		      u32 body_len)
{
	return e->type == SD_RECORD && e->code == kind &&
	       e->rec_off == rec_off && e->body_len == body_len;
}

TEST(stream_prefix_then_every_record_kind)
{
	static u8 s[512];
	static struct run r;
	const u8 esp[12] = { 1, 2, 3, 4, 0, 0, 0, 1, 9, 9, 9, 9 };
	const u8 ff = 0xff, runt[5] = { 1, 1, 1, 1, 1 };
	u32 n = 6, ike2, esp_at, ka, empty, rt, bad;

	memcpy(s, "IKETCP", 6);
	n = add_rfc_ike(s, n, 40);
	ike2 = n;
	n = add_rfc_ike(s, n, 28);
	esp_at = n;
	n = add_rfc_raw(s, n, esp, sizeof(esp));
	ka = n;
	n = add_rfc_raw(s, n, &ff, 1);
	empty = n;
	n = add_rfc_raw(s, n, NULL, 0);
	rt = n;
	n = add_rfc_raw(s, n, runt, sizeof(runt));
	bad = n;
	n = add_rfc_ike(s, n, 30);
	put_be32(s + bad + 6 + IKE_HDR_LEN_OFFSET, 31);

	ASSERT_TRUE(drive_all_ways(&r, RFC, true, s, n));
	ASSERT_EQ(n, r.consumed);
	ASSERT_EQ(8, r.nr_ev);
	EXPECT_EQ(SD_PREFIX_OK, r.ev[0].type);
	EXPECT_TRUE(is_record(&r.ev[1], IKETCP_K_IKE, 6, 44));
	EXPECT_EQ(4, r.ev[1].ike_offset);
	EXPECT_EQ(8, r.ev[1].body_off);
	EXPECT_TRUE(is_record(&r.ev[2], IKETCP_K_IKE, ike2, 32));
	EXPECT_TRUE(is_record(&r.ev[3], IKETCP_K_ESP, esp_at, 12));
	EXPECT_TRUE(is_record(&r.ev[4], IKETCP_K_KEEPALIVE, ka, 1));
	EXPECT_TRUE(is_record(&r.ev[5], IKETCP_K_EMPTY, empty, 0));
	EXPECT_TRUE(is_record(&r.ev[6], IKETCP_K_RUNT, rt, 5));
	EXPECT_TRUE(is_record(&r.ev[7], IKETCP_K_BAD_IKE_LENGTH, bad, 34));
}

TEST(stream_bad_prefix_stops_before_any_record)
{
	static u8 s[64];
	static struct run r;
	u32 n;

	memcpy(s, "IKETCQ", 6);
	n = add_rfc_ike(s, 6, 28);
	ASSERT_TRUE(drive_all_ways(&r, RFC, true, s, n));
	ASSERT_EQ(1, r.nr_ev);
	EXPECT_EQ(SD_FATAL, r.ev[0].type);
	EXPECT_EQ(IKETCP_V_BAD_PREFIX, r.ev[0].code);
	EXPECT_EQ(6, r.consumed);
}

TEST(stream_length_1_is_fatal_and_nothing_after_it_is_read)
{
	static u8 s[128];
	static struct run r;
	u32 n;

	n = add_rfc_ike(s, 0, 28);
	put_be16(s + n, 1);
	n = add_rfc_ike(s, n + 2, 28);
	ASSERT_TRUE(drive_all_ways(&r, RFC, false, s, n));
	ASSERT_EQ(2, r.nr_ev);
	EXPECT_TRUE(is_record(&r.ev[0], IKETCP_K_IKE, 0, 32));
	EXPECT_EQ(SD_FATAL, r.ev[1].type);
	EXPECT_EQ(IKETCP_V_BAD_LENGTH, r.ev[1].code);
	EXPECT_EQ(34 + 2, r.consumed);
}

TEST(stream_partial_record_at_eof_is_reported)
{
	static u8 s[128];
	static struct run r;
	u32 n = add_rfc_ike(s, 0, 28);

	add_rfc_ike(s, n, 28);
	ASSERT_TRUE(drive_all_ways(&r, RFC, false, s, n + 10));
	ASSERT_EQ(2, r.nr_ev);
	EXPECT_EQ(SD_PARTIAL_EOF, r.ev[1].type);
	EXPECT_EQ(n, r.ev[1].rec_off);
	/* Half a length field is partial too; a clean end is not. */
	ASSERT_TRUE(drive_all_ways(&r, RFC, false, s, n + 1));
	EXPECT_EQ(SD_PARTIAL_EOF, r.ev[r.nr_ev - 1].type);
	ASSERT_TRUE(drive_all_ways(&r, RFC, false, s, n));
	EXPECT_EQ(1, r.nr_ev);
}

TEST(stream_legacy_messages_back_to_back)
{
	static u8 s[256];
	static struct run r;

	make_ike(s, 28);
	make_ike(s + 28, 100);
	make_ike(s + 128, 50);
	ASSERT_TRUE(drive_all_ways(&r, LEGACY, false, s, 178));
	ASSERT_EQ(3, r.nr_ev);
	EXPECT_TRUE(is_record(&r.ev[0], IKETCP_K_IKE, 0, 28));
	EXPECT_TRUE(is_record(&r.ev[1], IKETCP_K_IKE, 28, 100));
	EXPECT_EQ(28, r.ev[1].body_off);
	EXPECT_EQ(0, r.ev[1].ike_offset);
	EXPECT_TRUE(is_record(&r.ev[2], IKETCP_K_IKE, 128, 50));
}

TEST(stream_legacy_bad_length_is_fatal)
{
	static u8 s[128];
	static struct run r;

	make_ike(s, 28);
	make_ike(s + 28, 28);
	put_be32(s + 28 + IKE_HDR_LEN_OFFSET, 27);
	ASSERT_TRUE(drive_all_ways(&r, LEGACY, false, s, 100));
	ASSERT_EQ(2, r.nr_ev);
	EXPECT_EQ(SD_FATAL, r.ev[1].type);
	EXPECT_EQ(IKETCP_V_LEGACY_LENGTH, r.ev[1].code);
	EXPECT_EQ(56, r.consumed);
}

TEST(stream_empty_input_has_no_events)
{
	static struct run r;

	drive(&r, RFC, true, NULL, 0, 0);
	EXPECT_EQ(0, r.nr_ev);
	drive(&r, LEGACY, false, NULL, 0, 0);
	EXPECT_EQ(0, r.nr_ev);
}

TEST_HARNESS_MAIN
