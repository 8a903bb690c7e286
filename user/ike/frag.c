// SPDX-License-Identifier: GPL-2.0
/*
 * RFC 7383 fragmentation: see frag.h.
 *
 * Sending cuts the inner chain into equal pieces as large as max_msg
 * allows (the last one shorter) and seals each into its own message in one
 * buffer sized up front.  Receiving keeps each fragment's plaintext in an
 * allocation of its own, in an array sorted by Fragment Number, so memory
 * follows what arrived rather than what Total Fragments promises, and
 * completion is "n == total" because duplicates are never stored.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/frag.h"

/* ---- sending -------------------------------------------------------- */

size_t ike_frag_msg_max(int family, bool non_esp_marker, size_t ip_datagram)
{
	size_t hdr;

	switch (family) {
	case AF_INET:
		hdr = IKE_FRAG_IP4_HDR;
		if (!ip_datagram)
			ip_datagram = IKE_FRAG_IP4_DATAGRAM;
		break;
	case AF_INET6:
		hdr = IKE_FRAG_IP6_HDR;
		if (!ip_datagram)
			ip_datagram = IKE_FRAG_IP6_DATAGRAM;
		break;
	default:
		return 0;
	}
	hdr += IKE_FRAG_UDP_HDR + (non_esp_marker ? IKE_FRAG_NON_ESP_MARKER : 0);
	if (ip_datagram <= hdr + IKE_FRAG_HDR_LEN)
		return 0;
	ip_datagram -= hdr;
	return ip_datagram < IKE_MAX_MSG ? ip_datagram : IKE_MAX_MSG;
}

size_t ike_frag_payload_max(const struct ik_sk_key *k, size_t max_msg)
{
	size_t room, lo, hi, empty = ik_sk_body_len(k, 0);

	if (max_msg > IKE_MAX_MSG)
		max_msg = IKE_MAX_MSG;
	if (!empty || max_msg < IKE_FRAG_HDR_LEN + empty)
		return 0;
	room = max_msg - IKE_FRAG_HDR_LEN;
	/*
	 * The body grows with the payload (padding only rounds it up), so
	 * the answer is the largest p in [0, room] whose body fits: body(0)
	 * does, body(room) cannot (it adds at least IV, pad length and ICV).
	 */
	lo = 0;
	hi = room;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ik_sk_body_len(k, mid) <= room)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

bool ike_frag_needed(const struct ik_sk_key *k, size_t plen, size_t max_msg)
{
	size_t body = ik_sk_body_len(k, plen);

	return !body || IKE_HDR_LEN + IKE_GENERIC_HDR_LEN + body > max_msg;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Room for need bytes in f->buf (contents not kept). */
static int frags_reserve(struct ike_frags *f, size_t need)
{
	uint8_t *p;

	if (need <= f->cap)
		return 0;
	p = realloc(f->buf, need);
	if (!p)
		return -1;
	f->buf = p;
	f->cap = need;
	return 0;
}

/*
 * Fragment `number` of `total` at msg (cap bytes left): header, SKF
 * payload, sealed piece.  Returns its length, 0 on failure.
 */
static size_t frag_one(uint8_t *msg, size_t cap, const struct ik_sk_key *k,
		       const struct ike_hdr *h, uint8_t first_inner,
		       uint16_t number, uint16_t total, const uint8_t *piece,
		       size_t plen)
{
	size_t body = ik_sk_body_len(k, plen), at;
	struct ike_wbuf w;

	ike_w_init(&w, msg, cap);
	ike_w_header(&w, h);
	at = ike_w_begin(&w, IKE_PL_SKF);
	/* 2.5: the first inner type in fragment 1 only, 0 in the others */
	if (!w.err)
		msg[at] = number == 1 ? first_inner : IKE_PL_NONE;
	ike_w_u16(&w, number);
	ike_w_u16(&w, total);
	if (w.err || w.len != IKE_FRAG_HDR_LEN)
		return 0;
	ike_w_bytes(&w, NULL, body);
	ike_w_end(&w, at);
	ike_w_finish(&w);
	/* lengths are final: the AAD / ICV covers them, up to Total */
	if (w.err || ik_sk_seal(k, msg, IKE_FRAG_HDR_LEN, piece, plen))
		return 0;
	return w.len;
}

/* Total bytes of n fragments of `per` payload bytes, the last `last`. */
static size_t frags_size(const struct ik_sk_key *k, size_t n, size_t per,
			 size_t last)
{
	return (n - 1) * (IKE_FRAG_HDR_LEN + ik_sk_body_len(k, per)) +
	       IKE_FRAG_HDR_LEN + ik_sk_body_len(k, last);
}

/*
 * Cut plain[0..plen) into fragments of at most max_msg bytes into out, at
 * least min_n of them when plen allows: fewer bytes a fragment then, so
 * that each piece still carries one byte or more (per <= plen / min_n
 * makes ceil(plen / per) >= min_n).
 */
static int frags_cut(struct ike_frags *out, const struct ik_sk_key *k,
		     const struct ike_hdr *h, uint8_t first_inner,
		     const uint8_t *plain, size_t plen, size_t max_msg,
		     size_t min_n)
{
	size_t per = ike_frag_payload_max(k, max_msg), n, i, off = 0;

	out->len = 0;
	out->n = 0;
	if (!per || !h || (!plain && plen) || plen > IKE_FRAG_MAX_BYTES)
		return -1;
	n = plen ? (plen + per - 1) / per : 1;
	if (n < min_n) {
		if (plen < min_n)
			return -1;
		per = plen / min_n;
		n = (plen + per - 1) / per;
	}
	if (n > IKE_FRAG_MAX_FRAGS ||
	    frags_reserve(out, frags_size(k, n, per, plen - (n - 1) * per)))
		return -1;
	for (i = 0; i < n; i++) {
		size_t take = i + 1 < n ? per : plen - i * per;
		size_t len = frag_one(out->buf + off, out->cap - off, k, h,
				      first_inner, (uint16_t)(i + 1),
				      (uint16_t)n, plain + i * per, take);

		if (!len) {
			out->len = 0;
			return -1;
		}
		off += len;
	}
	out->len = off;
	out->n = (uint16_t)n;
	out->msgid = h->msgid;
	out->max_msg = max_msg;
	return 0;
}

static void frags_forget(struct ike_frags *f)
{
	if (f->plain)
		OPENSSL_cleanse(f->plain, f->plen);
	free(f->plain);
	f->plain = NULL;
	f->plen = 0;
	OPENSSL_cleanse(&f->key, sizeof(f->key));
}

void ike_frags_clear(struct ike_frags *f)
{
	f->len = 0;
	f->n = 0;
	f->max_msg = 0;
	frags_forget(f);
}

int ike_frags_keep(struct ike_frags *out, const struct ik_sk_key *k,
		   const struct ike_hdr *h, uint8_t first_inner,
		   const uint8_t *plain, size_t plen)
{
	ike_frags_clear(out);
	if (!k || !h || (!plain && plen) || plen > IKE_FRAG_MAX_BYTES)
		return -1;
	out->plain = malloc(plen ? plen : 1);
	if (!out->plain)
		return -1;
	if (plen)
		memcpy(out->plain, plain, plen);
	out->plen = plen;
	out->key = *k;
	out->h = *h;
	out->first = first_inner;
	return 0;
}

int ike_frags_build(struct ike_frags *out, const struct ik_sk_key *k,
		    const struct ike_hdr *h, uint8_t first_inner,
		    const uint8_t *plain, size_t plen, size_t max_msg)
{
	if (ike_frags_keep(out, k, h, first_inner, plain, plen))
		return -1;
	return frags_cut(out, &out->key, &out->h, first_inner, out->plain,
			 plen, max_msg, 1);
}

int ike_frags_rebuild(struct ike_frags *f, size_t max_msg)
{
	struct ike_frags tmp = { 0 };

	if (!f->plain)
		return -1;
	/*
	 * Into a new buffer: a failure leaves the old fragments whole.  A
	 * set already sent is replaced by one with a larger Total
	 * Fragments: the peer keeps a reassembly on an equal Total (2.6),
	 * and pieces cut at other boundaries would join it.
	 */
	if (frags_cut(&tmp, &f->key, &f->h, f->first, f->plain, f->plen,
		      max_msg, f->n ? (size_t)f->n + 1 : 1)) {
		free(tmp.buf);
		return -1;
	}
	free(f->buf);
	f->buf = tmp.buf;
	f->len = tmp.len;
	f->cap = tmp.cap;
	f->n = tmp.n;
	f->msgid = tmp.msgid;
	f->max_msg = tmp.max_msg;
	return 0;
}

const uint8_t *ike_frags_next(const struct ike_frags *f, size_t *pos,
			      size_t *len)
{
	const uint8_t *p;
	size_t l;

	if (!f->buf || *pos >= f->len || f->len - *pos < IKE_HDR_LEN)
		return NULL;
	p = f->buf + *pos;
	l = get32(p + 24);
	if (l < IKE_HDR_LEN || l > f->len - *pos)
		return NULL;
	*pos += l;
	*len = l;
	return p;
}

void ike_frags_free(struct ike_frags *f)
{
	frags_forget(f);
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

/* ---- receiving ------------------------------------------------------ */

static const char *const res_str[IKE_FRAG_RES_COUNT] = {
	[IKE_FRAG_MORE]			= "kept, more to come",
	[IKE_FRAG_COMPLETE]		= "kept, message complete",
	[IKE_FRAG_RESTART]		= "kept, greater Total Fragments: "
					  "reassembly restarted",
	[IKE_FRAG_DUPLICATE]		= "duplicate, ignored",
	[IKE_FRAG_OTHER_MSG]		= "another message is being reassembled",
	[IKE_FRAG_DROP_AUTH]		= "dropped: failed its integrity check",
	[IKE_FRAG_DROP_NUMBER]		= "dropped: Fragment Number not in "
					  "1..Total Fragments",
	[IKE_FRAG_DROP_TOO_MANY]	= "dropped: Total Fragments above the "
					  "limit",
	[IKE_FRAG_DROP_SMALLER_TOTAL]	= "dropped: Total Fragments below the "
					  "kept fragments'",
	[IKE_FRAG_DROP_TOO_BIG]		= "dropped: message larger than 65535 "
					  "bytes",
	[IKE_FRAG_DROP_BUDGET]		= "dropped: reassembly memory budget "
					  "spent",
	[IKE_FRAG_DROP_NOMEM]		= "dropped: out of memory",
};

const char *ike_frag_res_str(enum ike_frag_res r)
{
	if ((unsigned int)r >= IKE_FRAG_RES_COUNT)
		return "unknown";
	return res_str[r];
}

bool ike_frag_res_kept(enum ike_frag_res r)
{
	return r == IKE_FRAG_MORE || r == IKE_FRAG_COMPLETE ||
	       r == IKE_FRAG_RESTART;
}

void ike_frag_budget_init(struct ike_frag_budget *b, size_t limit)
{
	memset(b, 0, sizeof(*b));
	b->limit = limit;
}

void ike_frag_rx_init(struct ike_frag_rx *r, struct ike_frag_budget *b)
{
	memset(r, 0, sizeof(*r));
	r->budget = b;
}

/* Free the pieces and give their cost back; the key stays. */
static void rx_drop_pieces(struct ike_frag_rx *r)
{
	uint16_t i;

	for (i = 0; i < r->n; i++) {
		OPENSSL_cleanse(r->pieces[i].data, r->pieces[i].len);
		free(r->pieces[i].data);
	}
	free(r->pieces);
	r->pieces = NULL;
	r->n = r->cap = 0;
	r->bytes = 0;
	r->first_inner = IKE_PL_NONE;
	if (r->budget)
		r->budget->used -= r->charged;
	r->charged = 0;
}

void ike_frag_rx_reset(struct ike_frag_rx *r)
{
	struct ike_frag_budget *b = r->budget;

	rx_drop_pieces(r);
	memset(r, 0, sizeof(*r));
	r->budget = b;
}

int ike_frag_open(const struct ik_sk_key *k, const struct ike_msg *m,
		  uint8_t *plain, size_t cap)
{
	size_t hdr_end;

	if (!m || !m->has_skf)
		return -1;
	/* the IV starts after Total Fragments: all before it is the AAD */
	hdr_end = m->skf.offset + IKE_GENERIC_HDR_LEN + IKE_FRAG_NUMBERS_LEN;
	return ik_sk_open(k, m->raw.p, hdr_end, m->raw.len, plain, cap);
}

struct ike_frag_in ike_frag_in_msg(const struct ike_msg *m,
				   const uint8_t *plain, size_t len)
{
	return (struct ike_frag_in){
		.msgid = m->hdr.msgid,
		.exchange = m->hdr.exchange,
		.response = m->hdr.flags & IKE_FLAG_RESPONSE,
		.number = m->skf.number,
		.total = m->skf.total,
		.first_inner = m->skf.first_inner,
		.plain = plain,
		.len = len,
	};
}

/* The fragment's numbers alone, before any state is looked at. */
static enum ike_frag_res check_numbers(const struct ike_frag_in *f)
{
	if (!f->total || !f->number || f->number > f->total)
		return IKE_FRAG_DROP_NUMBER;
	if (f->total > IKE_FRAG_MAX_FRAGS)
		return IKE_FRAG_DROP_TOO_MANY;
	return IKE_FRAG_MORE;
}

static bool same_msg(const struct ike_frag_rx *r, const struct ike_frag_in *f)
{
	return r->msgid == f->msgid && r->exchange == f->exchange &&
	       r->response == f->response;
}

/* Index of the first piece numbered >= number (binary search). */
static uint16_t piece_at(const struct ike_frag_rx *r, uint16_t number)
{
	uint16_t lo = 0, hi = r->n;

	while (lo < hi) {
		uint16_t mid = lo + (hi - lo) / 2;

		if (r->pieces[mid].number < number)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A slot for one more piece (the array doubles). */
static int rx_grow(struct ike_frag_rx *r)
{
	struct ike_frag_piece *p;
	size_t cap;

	if (r->n < r->cap)
		return 0;
	cap = r->cap ? 2u * r->cap : 8;
	if (cap > IKE_FRAG_MAX_FRAGS)
		cap = IKE_FRAG_MAX_FRAGS;
	if (cap <= r->n)
		return -1;
	p = realloc(r->pieces, cap * sizeof(*p));
	if (!p)
		return -1;
	r->pieces = p;
	r->cap = (uint16_t)cap;
	return 0;
}

/* Begin message f (r holds nothing). */
static void rx_start(struct ike_frag_rx *r, const struct ike_frag_in *f,
		     uint64_t now)
{
	r->active = true;
	r->refused = false;
	r->msgid = f->msgid;
	r->exchange = f->exchange;
	r->response = f->response;
	r->total = f->total;
	r->started = now;
}

/* The fragment grew the message past what a message may be: free it all,
 * and drop the rest of its fragments until it is reset or restarted. */
static enum ike_frag_res rx_refuse(struct ike_frag_rx *r)
{
	rx_drop_pieces(r);
	r->refused = true;
	return IKE_FRAG_DROP_TOO_BIG;
}

/* Store f's plaintext at its place; budget and limits already checked. */
static enum ike_frag_res rx_store(struct ike_frag_rx *r,
				  const struct ike_frag_in *f, size_t cost)
{
	uint16_t at = piece_at(r, f->number);
	uint8_t *data = malloc(f->len ? f->len : 1);

	if (!data || rx_grow(r)) {
		free(data);
		return IKE_FRAG_DROP_NOMEM;
	}
	if (f->len)
		memcpy(data, f->plain, f->len);
	memmove(&r->pieces[at + 1], &r->pieces[at],
		(size_t)(r->n - at) * sizeof(r->pieces[0]));
	r->pieces[at] = (struct ike_frag_piece){
		.number = f->number, .len = (uint16_t)f->len, .data = data,
	};
	r->n++;
	r->bytes += f->len;
	r->charged += cost;
	r->budget->used += cost;
	if (f->number == 1)
		r->first_inner = f->first_inner;
	return r->n == r->total ? IKE_FRAG_COMPLETE : IKE_FRAG_MORE;
}

/*
 * RFC 7383 2.6 against what r holds for the same message: MORE to go on
 * (with *restart set when a greater Total discards the kept ones), or why
 * not.  Changes nothing.
 */
static enum ike_frag_res rx_judge(const struct ike_frag_rx *r,
				  const struct ike_frag_in *f, bool *restart)
{
	uint16_t at;

	*restart = false;
	if (!r->active)
		return IKE_FRAG_MORE;
	if (!same_msg(r, f))
		return IKE_FRAG_OTHER_MSG;
	if (f->total > r->total) {
		*restart = true;
		return IKE_FRAG_MORE;
	}
	if (f->total < r->total)
		return IKE_FRAG_DROP_SMALLER_TOTAL;
	if (r->refused)
		return IKE_FRAG_DROP_TOO_BIG;
	at = piece_at(r, f->number);
	if (at < r->n && r->pieces[at].number == f->number)
		return IKE_FRAG_DUPLICATE;
	return IKE_FRAG_MORE;
}

enum ike_frag_res ike_frag_add(struct ike_frag_rx *r,
			       const struct ike_frag_in *f, uint64_t now)
{
	enum ike_frag_res res = check_numbers(f);
	size_t cost, kept;
	bool restart;

	if (res != IKE_FRAG_MORE)
		return res;
	if (!r->budget || (!f->plain && f->len))
		return IKE_FRAG_DROP_NOMEM;
	res = rx_judge(r, f, &restart);
	if (res != IKE_FRAG_MORE)
		return res;
	if (restart)
		ike_frag_rx_reset(r);
	if (!r->active)
		rx_start(r, f, now);
	kept = r->bytes;
	if (f->len > IKE_FRAG_MAX_BYTES - kept)
		return rx_refuse(r);
	cost = f->len + IKE_FRAG_PIECE_COST;
	if (r->budget->used > r->budget->limit ||
	    cost > r->budget->limit - r->budget->used) {
		r->budget->dropped++;
		res = IKE_FRAG_DROP_BUDGET;
	} else {
		res = rx_store(r, f, cost);
	}
	/* a message nothing of which was kept is not started */
	if (!r->n && !ike_frag_res_kept(res))
		ike_frag_rx_reset(r);
	if (restart && ike_frag_res_kept(res))
		return IKE_FRAG_RESTART;
	return res;
}

enum ike_frag_res ike_frag_recv(struct ike_frag_rx *r,
				const struct ik_sk_key *k,
				const struct ike_msg *m, bool replace,
				uint64_t now)
{
	struct ike_frag_in f;
	enum ike_frag_res res;
	uint8_t *plain;
	size_t cap;
	int n;

	if (!m || !m->has_skf)
		return IKE_FRAG_DROP_AUTH;
	/* the plaintext is shorter than the body that carries it */
	cap = m->skf.body.len;
	plain = malloc(cap ? cap : 1);
	if (!plain)
		return IKE_FRAG_DROP_NOMEM;
	n = ike_frag_open(k, m, plain, cap);
	if (n < 0) {
		res = IKE_FRAG_DROP_AUTH;
		goto out;
	}
	f = ike_frag_in_msg(m, plain, (size_t)n);
	res = ike_frag_add(r, &f, now);
	if (res == IKE_FRAG_OTHER_MSG && replace) {
		ike_frag_rx_reset(r);
		res = ike_frag_add(r, &f, now);
	}
out:
	OPENSSL_cleanse(plain, cap);
	free(plain);
	return res;
}

int ike_frag_take(struct ike_frag_rx *r, uint8_t *out, size_t cap,
		  uint8_t *first_inner)
{
	size_t off = 0;
	uint16_t i;

	if (!r->active || r->refused || r->n != r->total ||
	    r->bytes > cap || r->bytes > IKE_FRAG_MAX_BYTES ||
	    (!out && r->bytes))
		return -1;
	for (i = 0; i < r->n; i++) {
		if (r->pieces[i].len)
			memcpy(out + off, r->pieces[i].data,
			       r->pieces[i].len);
		off += r->pieces[i].len;
	}
	*first_inner = r->first_inner;
	ike_frag_rx_reset(r);
	return (int)off;
}

uint64_t ike_frag_rx_expires_at(const struct ike_frag_rx *r,
				uint64_t max_age_ms)
{
	if (!r->active)
		return 0;
	return r->started + max_age_ms;
}

bool ike_frag_rx_expire(struct ike_frag_rx *r, uint64_t now,
			uint64_t max_age_ms)
{
	if (!r->active || now - r->started < max_age_ms)
		return false;
	ike_frag_rx_reset(r);
	return true;
}
