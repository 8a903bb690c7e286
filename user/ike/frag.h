/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IKEv2 message fragmentation (RFC 7383): splitting a message's protected
 * inner chain into Encrypted Fragment (SKF) messages that each fit one
 * datagram, and putting a peer's fragments back together.
 *
 * Sending.  ike_frags_build() cuts the inner chain (the plaintext that
 * ike_sk_build() would put in one SK payload) into pieces and seals each as
 * a whole IKE message: the IKE header (Next Payload SKF), one SKF payload
 * whose generic header names the first inner payload in fragment 1 and
 * none in the others (2.5), Fragment Number, Total Fragments, then IV |
 * ciphertext | padding | ICV.  Every field before the IV is integrity
 * protected: it is the AEAD's associated data, or under the CBC+HMAC ICV,
 * because ik_sk_seal() gets the end of the Total Fragments field as the end
 * of the "SK header".  The messages are stored back to back in one buffer
 * (struct ike_frags), which the daemon sends a datagram at a time with
 * ike_frags_next() and retransmits as a set (RFC 7383 2.6.1: a lost
 * fragment costs the whole set).
 *
 * Receiving.  A fragment is added to its IKE SA's reassembly (struct
 * ike_frag_rx) only after it passed authentication and decryption on its
 * own (2.6: ike_frag_open(), or ike_frag_recv() which does both), so
 * forged fragments never take memory.  The rules of 2.6 and the limits
 * below decide what is kept; every outcome is an enum ike_frag_res with a
 * static text for the log.  Memory is bounded three ways: fragments per
 * message (IKE_FRAG_MAX_FRAGS), plaintext per reassembly (IKE_MAX_MSG), and
 * all reassemblies of the process together (struct ike_frag_budget).
 *
 * Message IDs.  A reassembly holds one message, keyed by (message ID,
 * exchange, response flag).  Whether a fragment's message ID is acceptable
 * (the peer's next request, the response to our outstanding request, a
 * retransmission of a request already answered) is the exchange engine's
 * rule, not this file's: ike_frag_add() answers IKE_FRAG_OTHER_MSG for a
 * fragment of another message and changes nothing; the caller then drops
 * it, or resets the reassembly and adds it (ike_frag_recv(replace = true)).
 * Requests and responses of one SA may be in flight at once with equal
 * message IDs, so an SA should keep one ike_frag_rx for the peer's
 * requests and one for its responses.
 *
 * Single-threaded like the rest of the daemon; nothing here keeps a clock
 * (time comes in as `now`, in ms) or touches a socket.
 */
#ifndef IKETCPD_IKE_FRAG_H
#define IKETCPD_IKE_FRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "crypto/crypto.h"
#include "ike/msg.h"
#include "ike/wire.h"

/* Fragment Number and Total Fragments, after the SKF generic header. */
#define IKE_FRAG_NUMBERS_LEN	4
/* IKE header + SKF generic header + numbers: what precedes the IV. */
#define IKE_FRAG_HDR_LEN	(IKE_HDR_LEN + IKE_GENERIC_HDR_LEN + \
				 IKE_FRAG_NUMBERS_LEN)

/*
 * Default fragment sizes (RFC 7383 2.5.1).  Without a known path MTU the
 * RFC recommends IP datagrams of at most 1280 bytes on IPv6 (its minimum
 * link MTU, RFC 8200 5) and 576 on IPv4 (the datagram every IPv4 host must
 * accept, RFC 791 and RFC 1122 3.3.2).  The IKE message (what
 * ike_frags_build() calls max_msg) is what is left after the IP header
 * (IPv4 without options), the UDP header, and, on port 4500, the 4-byte
 * non-ESP marker (RFC 3948 2.2) that precedes IKE messages there:
 *
 *   IPv6: 1280 - 40 - 8 - 4 = 1228    (1232 on port 500)
 *   IPv4:  576 - 20 - 8 - 4 =  544    ( 548 on port 500)
 *
 * The marker is always subtracted in the IKE_FRAG_MSG_* defaults, so one
 * value serves both ports; ike_frag_msg_max() computes the exact value.
 */
#define IKE_FRAG_IP6_DATAGRAM	1280
#define IKE_FRAG_IP4_DATAGRAM	576
#define IKE_FRAG_IP6_HDR	40
#define IKE_FRAG_IP4_HDR	20
#define IKE_FRAG_UDP_HDR	8
#define IKE_FRAG_NON_ESP_MARKER	4
#define IKE_FRAG_MSG_IP6	(IKE_FRAG_IP6_DATAGRAM - IKE_FRAG_IP6_HDR - \
				 IKE_FRAG_UDP_HDR - IKE_FRAG_NON_ESP_MARKER)
#define IKE_FRAG_MSG_IP4	(IKE_FRAG_IP4_DATAGRAM - IKE_FRAG_IP4_HDR - \
				 IKE_FRAG_UDP_HDR - IKE_FRAG_NON_ESP_MARKER)

/*
 * Path MTU discovery (RFC 7383 2.5.2) on IPv4, when fragment_size is left
 * to us: a request's fragments start in datagrams of
 * IKE_FRAG_IP4_PROBE_DATAGRAM bytes, the IPv6 minimum MTU, which nearly
 * every IPv4 path carries too.  That is about 30 fragments for a 33 KB
 * IKE_AUTH instead of 68 at 576 bytes: at 1 % loss, one message in four
 * loses a fragment instead of one in two, and each such loss costs a
 * retransmission timeout.  A request still unanswered after
 * IKE_FRAG_SHRINK_SENDS sends, with not one fragment of its answer come,
 * goes out again in 576-byte datagrams, and the IKE SA keeps that size.
 * Sooner when the kernel learnt a smaller path MTU from an ICMP
 * "fragmentation needed": the next retransmission is cut to fit it
 * (ike_frag_fit_path(), sa.h), and the IKE SA keeps that bound.
 * Late and only then on purpose: lost fragments are the usual reason for
 * no answer, each retransmission fills the holes of the peer's reassembly
 * (and of ours, of its answer), and fragments of a new size start those
 * over (2.6): in the benchmark at 10 % loss, runs that shrank whenever
 * three sends went unanswered took 15 to 31 s, the others 3 to 5 s.  A response's fragments are no larger than the request's
 * fragment 1 (or whole message), which the path just carried, clamped to
 * 576..IKE_FRAG_IP4_PROBE_DATAGRAM.
 */
#define IKE_FRAG_IP4_PROBE_DATAGRAM	1280
#define IKE_FRAG_SHRINK_SENDS		3

/*
 * Fragments per message.  At the IPv4 default each fragment carries at
 * least 544 - 36 - 16 (IV) - 32 (ICV) - 16 (padding) = 444 bytes of inner
 * payloads with the widest suite here (AES-CBC + HMAC-SHA2-512), so a
 * 64 KiB message needs 148.  A peer searching for the path MTU downward
 * (2.5.2) sends more, smaller fragments; 64 bytes of payload per fragment
 * is far below any sensible size (a seventh of that worst case), and a
 * 65535-byte message at 64 bytes a fragment is 1024 fragments.  More than
 * that is refused on both sides: it would only cost the receiver a record
 * per fragment for nothing.
 */
#define IKE_FRAG_MIN_PAYLOAD	64
#define IKE_FRAG_MAX_FRAGS	((IKE_MAX_MSG + IKE_FRAG_MIN_PAYLOAD - 1) / \
				 IKE_FRAG_MIN_PAYLOAD)

/* Inner-chain bytes one reassembly may hold: a whole IKE message's worth. */
#define IKE_FRAG_MAX_BYTES	IKE_MAX_MSG

/*
 * What one kept fragment costs the budget besides its plaintext: its slot
 * in the reassembly's array (16 bytes, up to twice that while the array
 * grows by doubling) and the allocator's header, rounded up.  Charging it
 * keeps a flood of empty fragments from being free.
 */
#define IKE_FRAG_PIECE_COST	64

/*
 * The process-wide budget default: a full reassembly costs at most
 * IKE_FRAG_MAX_BYTES + IKE_FRAG_MAX_FRAGS * IKE_FRAG_PIECE_COST (128 KiB),
 * so 4 MiB lets 32 SAs each reassemble a 64 KiB message at once (and many
 * more of the usual 5-10 KiB IKE_AUTH), while a daemon with thousands of
 * SAs whose peers all send large messages stays within 4 MiB.
 */
#define IKE_FRAG_BUDGET_DEFAULT	(4u << 20)

/*
 * A reassembly older than this is dropped (ike_frag_rx_expire()).  Its age
 * counts from its first fragment; with iketcpd's retransmission defaults
 * (1 s, doubling, 5 tries, RFC 7296 2.4) a peer sends its last copy 31 s
 * after the first and gives up at 63 s, so nothing still to come can
 * complete a message a minute old.  A daemon configured otherwise passes
 * its own give-up time.
 */
#define IKE_FRAG_RX_TIMEOUT_MS	60000

/* ---- sending -------------------------------------------------------- */

/*
 * The fragment messages of one IKE message, back to back in buf (each
 * starts with its IKE header, whose length field gives its size).  buf is
 * kept between builds and grows as needed; zero-initialise before first use.
 */
struct ike_frags {
	uint8_t *buf;
	size_t len, cap;
	uint32_t msgid;
	uint16_t n;			/* fragments in buf */
	/*
	 * What ike_frags_rebuild() cuts again, smaller (RFC 7383 2.5.2): the
	 * message's header, first inner payload type, plaintext and send key
	 * (a responder has moved on to new keys by the time a retransmitted
	 * IKE_INTERMEDIATE wants its answer again), and the max_msg the
	 * fragments in buf were built for.  plain NULL: nothing kept.
	 */
	struct ike_hdr h;
	struct ik_sk_key key;
	uint8_t first;
	uint8_t *plain;
	size_t plen, max_msg;
};

/*
 * The largest IKE message that fits one datagram of ip_datagram bytes
 * (0: the RFC 7383 2.5.1 default for the family) of family AF_INET or
 * AF_INET6, with the non-ESP marker when non_esp_marker (port 4500).
 * 0 for an unknown family or a datagram too small for the headers.
 */
size_t ike_frag_msg_max(int family, bool non_esp_marker, size_t ip_datagram);

/*
 * Inner-chain bytes one fragment message of at most max_msg bytes can
 * carry with key k (IV, padding and ICV counted); 0 if none.
 */
size_t ike_frag_payload_max(const struct ik_sk_key *k, size_t max_msg);

/* Would an unfragmented message (one SK payload, plen inner bytes) exceed
 * max_msg?  The RFC's trigger for fragmenting (2.5). */
bool ike_frag_needed(const struct ik_sk_key *k, size_t plen, size_t max_msg);

/*
 * Build the fragment messages into out: header fields from h (spi_i,
 * spi_r, exchange, flags, msgid; its next and length are ignored), the
 * inner chain plain[0..plen) whose first payload type is first_inner,
 * sealed with our send key k, each message at most max_msg bytes.  Returns
 * 0, or -1 (out->n and out->len 0) when: max_msg leaves no room for a byte
 * of payload, the message would need more than IKE_FRAG_MAX_FRAGS
 * fragments, plen exceeds IKE_FRAG_MAX_BYTES, the key is unusable, or
 * memory or the cipher failed.
 */
int ike_frags_build(struct ike_frags *out, const struct ik_sk_key *k,
		    const struct ike_hdr *h, uint8_t first_inner,
		    const uint8_t *plain, size_t plen, size_t max_msg);

/* Forget the message (its fragments and what was kept); buf stays. */
void ike_frags_clear(struct ike_frags *f);

/*
 * Keep the message ike_frags_build() would cut (out->n and out->len 0),
 * so that ike_frags_rebuild() can fragment it later: a message that fits
 * today's datagrams but not the smaller ones of 2.5.2.  0 or -1.
 */
int ike_frags_keep(struct ike_frags *out, const struct ik_sk_key *k,
		   const struct ike_hdr *h, uint8_t first_inner,
		   const uint8_t *plain, size_t plen);

/*
 * Build the kept message's fragments again, each at most max_msg bytes,
 * and more of them than before (RFC 7383 2.6: a peer's reassembly restarts
 * only on a larger Total Fragments; on an equal one it would mix the two
 * cuts): when max_msg alone would give as many, the pieces are made
 * smaller still.  0, or -1 when nothing is kept or ike_frags_build() would
 * fail (the fragments already there stay then).
 */
int ike_frags_rebuild(struct ike_frags *f, size_t max_msg);

/*
 * Walk the fragments: *pos starts at 0; returns the fragment message at
 * *pos (its length in *len) and moves *pos past it, or NULL at the end.
 */
const uint8_t *ike_frags_next(const struct ike_frags *f, size_t *pos,
			      size_t *len);

void ike_frags_free(struct ike_frags *f);

/* ---- receiving ------------------------------------------------------ */

/*
 * The memory all reassemblies of the process share: `used` is what the
 * kept fragments cost (plaintext + IKE_FRAG_PIECE_COST each), never more
 * than `limit`; `dropped` counts fragments refused because it was reached.
 */
struct ike_frag_budget {
	size_t used, limit;
	uint64_t dropped;
};

/* One kept fragment's plaintext (sorted by number in its reassembly). */
struct ike_frag_piece {
	uint16_t number;
	uint16_t len;
	uint8_t *data;
};

/*
 * One message being reassembled.  Inactive (nothing held) after
 * ike_frag_rx_init(), ike_frag_rx_reset() and ike_frag_take().
 */
struct ike_frag_rx {
	struct ike_frag_budget *budget;	/* charged for every kept byte */
	bool active;
	bool refused;			/* too big: its fragments are dropped */
	uint8_t exchange;
	bool response;
	uint32_t msgid;
	uint16_t total;			/* Total Fragments of the kept ones */
	uint8_t first_inner;		/* from fragment 1, once it came */
	uint16_t n, cap;		/* pieces kept, array size */
	struct ike_frag_piece *pieces;
	size_t bytes;			/* plaintext kept */
	size_t charged;			/* what budget->used holds for us */
	uint64_t started;		/* ms, when its first fragment came */
};

/* One authenticated, decrypted fragment, as ike_frag_add() takes it. */
struct ike_frag_in {
	uint32_t msgid;
	uint8_t exchange;
	bool response;
	uint16_t number, total;
	uint8_t first_inner;		/* read from fragment 1 only */
	const uint8_t *plain;
	size_t len;
};

enum ike_frag_res {
	IKE_FRAG_MORE,			/* kept; fragments still missing */
	IKE_FRAG_COMPLETE,		/* kept; all here: ike_frag_take() */
	IKE_FRAG_RESTART,		/* greater Total: the kept ones went,
					 * this one starts the message anew */
	IKE_FRAG_DUPLICATE,		/* that number is already kept */
	IKE_FRAG_OTHER_MSG,		/* another message is being reassembled:
					 * the caller decides (see above) */
	IKE_FRAG_DROP_AUTH,		/* failed authentication or decryption */
	IKE_FRAG_DROP_NUMBER,		/* Number 0, Total 0 or Number > Total */
	IKE_FRAG_DROP_TOO_MANY,		/* Total > IKE_FRAG_MAX_FRAGS */
	IKE_FRAG_DROP_SMALLER_TOTAL,	/* Total below the kept ones' (2.6) */
	IKE_FRAG_DROP_TOO_BIG,		/* the message exceeds
					 * IKE_FRAG_MAX_BYTES: refused whole */
	IKE_FRAG_DROP_BUDGET,		/* the process-wide budget is spent */
	IKE_FRAG_DROP_NOMEM,		/* malloc failed */
	IKE_FRAG_RES_COUNT
};

/* Static text for the log ("kept, more to come", "dropped: ..."). */
const char *ike_frag_res_str(enum ike_frag_res r);
/* Did the fragment's bytes stay (MORE, COMPLETE, RESTART)? */
bool ike_frag_res_kept(enum ike_frag_res r);

void ike_frag_budget_init(struct ike_frag_budget *b, size_t limit);

/* An inactive reassembly charging budget b (which must outlive it). */
void ike_frag_rx_init(struct ike_frag_rx *r, struct ike_frag_budget *b);
/* Drop what it holds (plaintext wiped), give its bytes back: inactive. */
void ike_frag_rx_reset(struct ike_frag_rx *r);

/*
 * Check and decrypt parsed message m's SKF payload (m->has_skf) with the
 * peer's key k: the plaintext to plain (cap bytes; m->skf.body.len is
 * always enough).  Returns its length, or -1 (no SKF, malformed body or
 * failed authentication: drop the message, RFC 7383 2.6).
 */
int ike_frag_open(const struct ik_sk_key *k, const struct ike_msg *m,
		  uint8_t *plain, size_t cap);

/* The fragment of m (parsed, has_skf) whose opened plaintext is plain. */
struct ike_frag_in ike_frag_in_msg(const struct ike_msg *m,
				   const uint8_t *plain, size_t len);

/*
 * Add an authenticated fragment, by RFC 7383 2.6: numbers checked; a
 * duplicate ignored; a greater Total than the kept fragments' discards them
 * and starts over; a smaller one is dropped; a message that grows past
 * IKE_FRAG_MAX_BYTES is freed and its later fragments refused (until a
 * greater Total, a reset or expiry).  Other drops change nothing, nor do
 * DUPLICATE and OTHER_MSG, but for one: a greater Total discards the kept
 * fragments before its own may be dropped (budget, memory).
 */
enum ike_frag_res ike_frag_add(struct ike_frag_rx *r,
			       const struct ike_frag_in *f, uint64_t now);

/*
 * ike_frag_open() then ike_frag_add() for parsed message m; with replace,
 * a fragment of another message (IKE_FRAG_OTHER_MSG) that passed
 * authentication resets r and is added instead.  The caller applies its
 * message ID rules before (a fragment it would not accept is not given).
 */
enum ike_frag_res ike_frag_recv(struct ike_frag_rx *r,
				const struct ik_sk_key *k,
				const struct ike_msg *m, bool replace,
				uint64_t now);

/*
 * A complete message: the inner chain (the pieces in order) to out (cap
 * bytes; IKE_FRAG_MAX_BYTES is always enough) and its first payload type
 * to *first_inner, for ike_payloads_parse().  r is reset.  Returns the
 * length, or -1 (not complete, or cap too small: r unchanged).
 */
int ike_frag_take(struct ike_frag_rx *r, uint8_t *out, size_t cap,
		  uint8_t *first_inner);

/* When r goes stale (started + max_age_ms); 0 if it holds nothing. */
uint64_t ike_frag_rx_expires_at(const struct ike_frag_rx *r,
				uint64_t max_age_ms);
/* Reset r if it is older than max_age_ms; true if it was. */
bool ike_frag_rx_expire(struct ike_frag_rx *r, uint64_t now,
			uint64_t max_age_ms);

#endif
