// SPDX-License-Identifier: GPL-2.0
/*
 * The SA table and the SK payload's framing for an SA: see sa.h.
 * One list: iketcpd holds hundreds of IKE SAs, not millions; a hash can
 * replace it behind these functions when a benchmark asks for it.
 */
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/exchange.h"
#include "ike/sa.h"

struct ike_frag_budget *ike_frag_budget(void)
{
	static struct ike_frag_budget b = { .limit = IKE_FRAG_BUDGET_DEFAULT };

	return &b;
}

struct ike_sa *ike_sa_new(struct ike_sa_table *t,
			  const struct ike_conn_params *conn, bool initiator)
{
	struct ike_sa *sa = calloc(1, sizeof(*sa));

	if (!sa)
		return NULL;
	ike_frag_rx_init(&sa->frag_rx[0], ike_frag_budget());
	ike_frag_rx_init(&sa->frag_rx[1], ike_frag_budget());
	sa->conn = conn;
	sa->initiator = initiator;
	sa->next = t->head;
	t->head = sa;
	t->count++;
	return sa;
}

bool ike_same_ip(const struct sockaddr_storage *a,
		 const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return !memcmp(&((const struct sockaddr_in *)a)->sin_addr,
			       &((const struct sockaddr_in *)b)->sin_addr, 4);
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
}

/*
 * Our SPI names the SA: SPIr when we responded, SPIi when we initiated
 * (RFC 7296 2.6).  An IKE_SA_INIT response to our request carries our SPIi
 * and a new SPIr.
 */
struct ike_sa *ike_sa_lookup(struct ike_sa_table *t, const struct ike_hdr *h)
{
	bool from_initiator = h->flags & IKE_FLAG_INITIATOR;
	struct ike_sa *sa;

	for (sa = t->head; sa; sa = sa->next) {
		if (sa->state == IKE_S_DEAD)
			continue;
		if (sa->spi_i != h->spi_i)
			continue;
		/* who sent it must be the other side of this SA */
		if (from_initiator == sa->initiator)
			continue;
		if (sa->spi_r == h->spi_r)
			return sa;
		if (sa->initiator && sa->state == IKE_S_INIT_SENT &&
		    h->exchange == IKE_SA_INIT)
			return sa;
	}
	return NULL;
}

struct ike_sa *ike_sa_lookup_init(struct ike_sa_table *t, uint64_t spi_i,
				  const struct sockaddr_storage *remote)
{
	struct ike_sa *sa;

	for (sa = t->head; sa; sa = sa->next)
		if (!sa->initiator && sa->spi_i == spi_i &&
		    sa->state != IKE_S_DEAD && ike_same_ip(&sa->remote, remote))
			return sa;
	return NULL;
}

void ike_sa_unlink(struct ike_sa_table *t, struct ike_sa *sa)
{
	struct ike_sa **pp;

	for (pp = &t->head; *pp; pp = &(*pp)->next) {
		if (*pp == sa) {
			*pp = sa->next;
			t->count--;
			return;
		}
	}
}

void child_sa_free(struct child_sa *c)
{
	if (!c)
		return;
	OPENSSL_cleanse(c->keymat, sizeof(c->keymat));
	free(c);
}

void ike_sa_free(struct ike_sa *sa)
{
	struct child_sa *c, *n;

	if (!sa)
		return;
	for (c = sa->children; c; c = n) {
		n = c->next;
		child_sa_free(c);
	}
	child_sa_free(sa->pending);
	ike_fu_clear(&sa->fu[0]);
	ike_fu_clear(&sa->fu[1]);
	ike_sa_free(sa->rekey_new);
	ike_sa_free(sa->rekey_peer);
	ike_sa_free(sa->rekey_ours);
	child_sa_free(sa->creating);
	ik_kex_free(sa->ckex);
	OPENSSL_cleanse(sa->cnonce, sizeof(sa->cnonce));
	ik_kex_free(sa->kex);
	ike_keys_wipe(&sa->keys);
	OPENSSL_cleanse(&sa->resp_rx_key, sizeof(sa->resp_rx_key));
	OPENSSL_cleanse(sa->ni, sizeof(sa->ni));
	OPENSSL_cleanse(sa->nr, sizeof(sa->nr));
	free(sa->init_req);
	free(sa->init_resp);
	free(sa->req.buf);
	free(sa->resp.buf);
	ike_frags_free(&sa->req.frags);
	ike_frags_free(&sa->resp.frags);
	ike_frag_rx_reset(&sa->frag_rx[0]);
	ike_frag_rx_reset(&sa->frag_rx[1]);
	free(sa);
}

int ike_sa_fail(struct ike_sa *sa, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sa->why, sizeof(sa->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* A buffer of exactly need bytes in o (kept when it already is). */
static int out_size(struct ike_out *o, size_t need)
{
	uint8_t *b;

	if (o->cap == need && o->buf)
		return 0;
	b = realloc(o->buf, need);
	if (!b)
		return -1;
	o->buf = b;
	o->cap = need;
	return 0;
}

int ike_out_set(struct ike_out *o, const uint8_t *p, size_t len,
		uint32_t msgid)
{
	ike_frags_clear(&o->frags);
	if (!len || out_size(o, len))
		return -1;
	memcpy(o->buf, p, len);
	o->len = len;
	o->msgid = msgid;
	return 0;
}

/* Our keys protect what we send; the peer's what we receive. */
static const struct ik_sk_key *tx_key(const struct ike_sa *sa)
{
	return sa->initiator ? &sa->keys.sk_i : &sa->keys.sk_r;
}

static const struct ik_sk_key *rx_key(const struct ike_sa *sa)
{
	return sa->initiator ? &sa->keys.sk_r : &sa->keys.sk_i;
}

/* Is the fragment size ours to find (RFC 7383 2.5.2, frag.h)? */
static bool frag_pmtud(const struct ike_sa *sa)
{
	return !sa->conn->frag_size && sa->remote.ss_family == AF_INET;
}

/*
 * The largest fragment message for sa's next request or response: the
 * connection's fragment_size, or the family's default, or on IPv4 the
 * path MTU discovery of frag.h.  0: no fragments for this family.
 */
static size_t frag_max(const struct ike_sa *sa, bool response)
{
	size_t lo, hi;

	if (!frag_pmtud(sa))
		return ike_frag_msg_max(sa->remote.ss_family, true,
					sa->conn->frag_size);
	lo = ike_frag_msg_max(AF_INET, true, 0);
	hi = ike_frag_msg_max(AF_INET, true, sa->path_mtu ? sa->path_mtu :
			      IKE_FRAG_IP4_PROBE_DATAGRAM);
	if (!response)
		return sa->frag_small ? lo : hi;
	if (sa->req_in_len < lo)
		return lo;
	return sa->req_in_len < hi ? sa->req_in_len : hi;
}

/*
 * The fragments of out, when negotiated and out does not fit a datagram of
 * the size frag_max() chose (RFC 7383 2.5); built whatever the transport,
 * the daemon sends them only on UDP.  A message that fits but would not
 * fit 576-byte datagrams is kept for cutting later (2.5.2).
 */
static int build_frags(struct ike_sa *sa, const struct ike_hdr *h,
		       bool response, const struct ike_wbuf *inner,
		       struct ike_out *out)
{
	size_t max = frag_max(sa, response);

	ike_frags_clear(&out->frags);
	if (!sa->frag_ok || !max)
		return 0;
	if (out->len > max)
		return ike_frags_build(&out->frags, tx_key(sa), h,
				       ike_w_first(inner), inner->p,
				       inner->len, max);
	if (!frag_pmtud(sa) || out->len <= ike_frag_msg_max(AF_INET, true, 0))
		return 0;
	if (ike_frags_keep(&out->frags, tx_key(sa), h, ike_w_first(inner),
			   inner->p, inner->len))
		return -1;
	out->frags.max_msg = max;
	return 0;
}

/*
 * Has a fragment of the answer to our request come?  Then the peer has the
 * whole request and the path carries its fragments: what is missing was
 * lost, not too big, and smaller fragments would start the reassembly
 * over on both sides for nothing.
 */
static bool answer_begun(const struct ike_sa *sa)
{
	const struct ike_frag_rx *r = &sa->frag_rx[1];

	return r->active && r->msgid == sa->req.msgid;
}

bool ike_frag_shrink_request(struct ike_sa *sa, unsigned int sent)
{
	if (!frag_pmtud(sa) || sa->frag_small ||
	    sent < IKE_FRAG_SHRINK_SENDS || !sa->req.frags.plain ||
	    answer_begun(sa) ||
	    ike_frags_rebuild(&sa->req.frags,
			      ike_frag_msg_max(AF_INET, true, 0)))
		return false;
	sa->frag_small = true;
	return true;
}

bool ike_frag_fit_path(struct ike_sa *sa, unsigned int mtu)
{
	const struct ike_frags *f = &sa->req.frags;
	size_t max = ike_frag_msg_max(AF_INET, true, mtu);

	if (!frag_pmtud(sa) || sa->frag_small || mtu < IKE_FRAG_IP4_DATAGRAM ||
	    mtu >= IKE_FRAG_IP4_PROBE_DATAGRAM || !f->plain ||
	    answer_begun(sa))
		return false;
	/* fragments already that small, or a whole message that fits */
	if (f->n ? f->max_msg <= max : sa->req.len <= max)
		return false;
	if (ike_frags_rebuild(&sa->req.frags, max))
		return false;
	sa->path_mtu = (uint16_t)mtu;
	return true;
}

bool ike_frag_fit_answer(struct ike_sa *sa, size_t req_len)
{
	size_t lo = ike_frag_msg_max(AF_INET, true, 0);

	if (!frag_pmtud(sa) || !sa->resp.frags.plain)
		return false;
	if (req_len < lo)
		req_len = lo;
	return req_len < sa->resp.frags.max_msg &&
	       !ike_frags_rebuild(&sa->resp.frags, req_len);
}

int ike_sk_build(struct ike_sa *sa, uint8_t exchange, bool response,
		 uint32_t msgid, const struct ike_wbuf *inner,
		 struct ike_out *out)
{
	const struct ik_sk_key *k = tx_key(sa);
	struct ike_hdr h = {
		.spi_i = sa->spi_i, .spi_r = sa->spi_r,
		.version = IKE_VERSION, .exchange = exchange, .msgid = msgid,
	};
	struct ike_wbuf w;
	size_t body, hdr_end;

	if (inner->err || !sa->have_keys)
		return -1;
	h.flags = (sa->initiator ? IKE_FLAG_INITIATOR : 0) |
		  (response ? IKE_FLAG_RESPONSE : 0);
	body = ik_sk_body_len(k, inner->len);
	hdr_end = IKE_HDR_LEN + IKE_GENERIC_HDR_LEN;
	if (hdr_end + body > IKE_OUT_MAX || out_size(out, hdr_end + body))
		return -1;
	out->len = 0;	/* until it is whole */
	ike_w_init(&w, out->buf, out->cap);
	ike_w_header(&w, &h);
	ike_w_sk_header(&w, ike_w_first(inner), body);
	if (w.err || w.len != hdr_end)
		return -1;
	w.len += body;
	ike_w_finish(&w);
	if (ik_sk_seal(k, out->buf, hdr_end, inner->p, inner->len))
		return -1;
	out->len = w.len;
	out->msgid = msgid;
	out->over_udp = false;
	return build_frags(sa, &h, response, inner, out);
}

int ike_sk_open_msg(struct ike_sa *sa, struct ike_msg *m, uint8_t *plain)
{
	struct ike_parse_result r;
	size_t hdr_end;
	int n;

	if (!m->has_sk || !sa->have_keys)
		return ike_sa_fail(sa, "no SK payload or no keys");
	hdr_end = m->sk.offset + IKE_GENERIC_HDR_LEN;
	n = ik_sk_open(rx_key(sa), m->raw.p, hdr_end, m->raw.len, plain,
		       IKE_MAX_MSG);
	if (n < 0)
		return ike_sa_fail(sa, "%s message %u failed its integrity check",
				   ike_exchange_name(m->hdr.exchange),
				   m->hdr.msgid);
	m->inner = (struct ike_span){ plain, (size_t)n };
	m->inner_first = m->sk.first_inner;
	r = ike_payloads_parse(m->sk.first_inner, plain, n, m);
	if (r.err)
		return ike_sa_fail(sa, "%s message %u: %s at offset %zu",
				   ike_exchange_name(m->hdr.exchange),
				   m->hdr.msgid, r.why ? r.why : "bad syntax",
				   r.offset);
	return 0;
}

int ike_frag_input(struct ike_sa *sa, struct ike_msg *m, uint8_t *plain,
		   uint64_t now)
{
	bool response = m->hdr.flags & IKE_FLAG_RESPONSE;
	struct ike_frag_rx *r = &sa->frag_rx[response];
	struct ike_parse_result pr;
	enum ike_frag_res res;
	uint8_t first;
	int n;

	if (!sa->have_keys || !sa->frag_ok)
		return ike_sa_fail(sa, "fragment without negotiated "
				   "fragmentation");
	ike_frag_rx_expire(r, now, IKE_FRAG_RX_TIMEOUT_MS);
	res = ike_frag_recv(r, rx_key(sa), m, true, now);
	if (res == IKE_FRAG_DUPLICATE)
		return 0;
	if (!ike_frag_res_kept(res))
		return ike_sa_fail(sa, "fragment %u/%u of %s %u: %s",
				   m->skf.number, m->skf.total,
				   ike_exchange_name(m->hdr.exchange),
				   m->hdr.msgid, ike_frag_res_str(res));
	if (res != IKE_FRAG_COMPLETE)
		return 0;
	m->skf.total = r->total;	/* what the log tells */
	n = ike_frag_take(r, plain, IKE_MAX_MSG, &first);
	if (n < 0)
		return ike_sa_fail(sa, "reassembly of %s %u failed",
				   ike_exchange_name(m->hdr.exchange),
				   m->hdr.msgid);
	m->inner = (struct ike_span){ plain, (size_t)n };
	m->inner_first = first;
	pr = ike_payloads_parse(first, plain, n, m);
	if (pr.err)
		return ike_sa_fail(sa, "%s message %u: %s at offset %zu",
				   ike_exchange_name(m->hdr.exchange),
				   m->hdr.msgid, pr.why ? pr.why : "bad syntax",
				   pr.offset);
	return 1;
}

bool ike_frag_first_authentic(const struct ike_sa *sa,
			      const struct ike_msg *m)
{
	static uint8_t plain[IKE_MAX_MSG];
	const struct ik_sk_key *key = rx_key(sa);

	if (sa->resp_rx_key_set && sa->resp_rx_msgid == m->hdr.msgid)
		key = &sa->resp_rx_key;
	return m->has_skf && m->skf.number == 1 && sa->have_keys &&
	       ike_frag_open(key, m, plain, sizeof(plain)) >= 0;
}

void ike_sa_keep_rx_key(struct ike_sa *sa, uint32_t msgid)
{
	sa->resp_rx_key = *rx_key(sa);
	sa->resp_rx_msgid = msgid;
	sa->resp_rx_key_set = true;
}
