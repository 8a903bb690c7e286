// SPDX-License-Identifier: GPL-2.0
/*
 * IKEv2 messages: validator/parser and builder (ike/msg.h is the contract,
 * RFC 7296 section 3 the formats).
 *
 * Parsing walks a payload chain.  Each generic header is checked first
 * (length >= 4 and within what is left); the body then goes to its type's
 * parser from one table.  A parser checks the body's length against its
 * fixed part before reading any field of it, reads those fields at constant
 * offsets, and keeps the variable parts as spans into the caller's buffer.
 * Lists inside a body (proposals, transforms, attributes, selectors) are
 * walked the same way: length checked against what is left, then read.
 * The first failure stops everything and is recorded with the payload type,
 * the offset and a static reason.  Nothing here allocates or keeps state.
 *
 * Building: a struct ike_wbuf writes until something does not fit, then
 * sets err and ignores every later write, so a builder checks err once.
 */
#include <stdint.h>
#include <string.h>

#include "ike/msg.h"

/* ---- reading big-endian fields (callers checked the length) ---------- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static struct ike_span span(const uint8_t *p, size_t len)
{
	return (struct ike_span){ .p = p, .len = len };
}

/* ---- parse context and failures ------------------------------------- */

struct pctx {
	struct ike_msg *m;
	const uint8_t *base;	/* result offsets count from here */
	uint8_t type;		/* payload being parsed */
	struct ike_parse_result res;
};

static bool fail(struct pctx *c, enum ike_parse_err err, const uint8_t *at,
		 const char *why)
{
	c->res.err = err;
	c->res.payload = c->type;
	/* Integers, not pointer subtraction: base may be NULL for len 0. */
	c->res.offset = (size_t)((uintptr_t)at - (uintptr_t)c->base);
	c->res.why = why;
	return false;
}

static bool syntax(struct pctx *c, const uint8_t *at, const char *why)
{
	return fail(c, IKE_PARSE_SYNTAX, at, why);
}

static bool limit(struct pctx *c, const uint8_t *at, const char *why)
{
	return fail(c, IKE_PARSE_LIMIT, at, why);
}

/* ---- SA payload: proposals, transforms, attributes ------------------ */

/*
 * Proposals and transforms start alike (RFC 7296 3.3.1, 3.3.2): Last
 * Substruc (0 last, `more` otherwise), reserved, a 16-bit length covering
 * the substructure, and at least 8 bytes in all.
 */
struct sub_rules {
	uint8_t more;
	const char *truncated, *bad_flag, *bad_len, *early_last, *late_last;
};

static const struct sub_rules proposal_rules = {
	2, "proposal header truncated", "proposal Last Substruc not 0 or 2",
	"proposal length out of range", "proposal marked last is not last",
	"last proposal not marked last",
};

static const struct sub_rules transform_rules = {
	3, "transform header truncated", "transform Last Substruc not 0 or 3",
	"transform length out of range", "transform marked last is not last",
	"last transform not marked last",
};

/*
 * Check the substructure at p (left bytes to the end of its parent) and
 * return its length.  "Last" must be set exactly when it ends the parent:
 * a flag that disagrees with the lengths means one of them lies.
 */
static bool sub_hdr(struct pctx *c, const struct sub_rules *r,
		    const uint8_t *p, size_t left, size_t *len)
{
	bool last;

	if (left < 8)
		return syntax(c, p, r->truncated);
	if (p[0] != 0 && p[0] != r->more)
		return syntax(c, p, r->bad_flag);
	*len = get16(p + 2);
	if (*len < 8 || *len > left)
		return syntax(c, p + 2, r->bad_len);
	last = p[0] == 0;
	if (last && *len != left)
		return syntax(c, p, r->early_last);
	if (!last && *len == left)
		return syntax(c, p, r->late_last);
	return true;
}

/*
 * Only Key Length (TV) is understood (RFC 7296 3.3.5).  Any other
 * attribute, a second Key Length or a zero one make the transform one we
 * cannot honour.  That is reason to refuse the transform, not the message
 * (3.3.6), so it is kept, marked IKE_KEYLEN_UNUSABLE for the chooser.
 */
static uint16_t keylen_after(uint16_t keylen, uint16_t type, uint16_t val)
{
	if (type != (IKE_ATTR_TV | IKE_ATTR_KEY_LENGTH) || keylen || !val)
		return IKE_KEYLEN_UNUSABLE;
	return val;
}

static bool attributes(struct pctx *c, const uint8_t *p, size_t left,
		       uint16_t *keylen)
{
	*keylen = 0;
	while (left) {
		size_t len = 4;
		uint16_t type;

		if (left < 4)
			return syntax(c, p, "transform attribute truncated");
		type = get16(p);
		/* TLV: the second field is the length of a value after it */
		if (!(type & IKE_ATTR_TV))
			len += get16(p + 2);
		if (len > left)
			return syntax(c, p, "transform attribute too long");
		*keylen = keylen_after(*keylen, type, get16(p + 2));
		p += len;
		left -= len;
	}
	return true;
}

/*
 * Transforms of types we do not know are kept too: RFC 7296 3.3.6 makes
 * their proposal unacceptable, which only the chooser can decide.
 */
static bool transforms(struct pctx *c, const uint8_t *p, size_t left,
		       struct ike_proposal *pr, uint8_t count)
{
	size_t len;

	while (left) {
		struct ike_transform *t;

		if (pr->n_transforms == count)
			return syntax(c, p, "more transforms than counted");
		if (!sub_hdr(c, &transform_rules, p, left, &len))
			return false;
		t = &pr->t[pr->n_transforms];
		t->type = p[4];
		t->id = get16(p + 6);
		if (!attributes(c, p + 8, len - 8, &t->keylen))
			return false;
		pr->n_transforms++;
		p += len;
		left -= len;
	}
	if (pr->n_transforms != count)
		return syntax(c, p, "fewer transforms than counted");
	return true;
}

/* One proposal at p; *len is its length.  p[4..7]: num, protocol, SPI
 * size, transform count; then the SPI and the transforms. */
static bool proposal(struct pctx *c, const uint8_t *p, size_t left,
		     struct ike_proposal *pr, size_t *len)
{
	uint8_t spi_size;

	if (!sub_hdr(c, &proposal_rules, p, left, len))
		return false;
	spi_size = p[6];
	if (spi_size != 0 && spi_size != 4 && spi_size != 8)
		return syntax(c, p + 6, "proposal SPI size not 0, 4 or 8");
	if (p[7] > IKE_MAX_TRANSFORMS)
		return limit(c, p + 7, "too many transforms in a proposal");
	if (*len < 8u + spi_size)
		return syntax(c, p + 6, "proposal SPI longer than proposal");
	memset(pr, 0, sizeof(*pr));
	pr->num = p[4];
	pr->protocol = p[5];
	pr->spi_size = spi_size;
	memcpy(pr->spi, p + 8, spi_size);
	return transforms(c, p + 8 + spi_size, *len - 8 - spi_size, pr, p[7]);
}

/*
 * RFC 7296 3.3.1: numbers go up by one from the first.  The first is 1 in
 * a request but, in an answer, the number of the proposal accepted.
 */
static bool proposal_num_ok(const struct ike_sa_pl *sa)
{
	const struct ike_proposal *pr = &sa->p[sa->n];

	if (sa->n == 0)
		return pr->num != 0;
	return pr->num == sa->p[sa->n - 1].num + 1;
}

static bool pl_sa(struct pctx *c, const uint8_t *p, size_t left)
{
	struct ike_sa_pl *sa = &c->m->sa;
	size_t len;

	sa->n = 0;
	if (!left)
		return syntax(c, p, "SA without proposals");
	while (left) {
		if (sa->n == IKE_MAX_PROPOSALS)
			return limit(c, p, "too many proposals");
		if (!proposal(c, p, left, &sa->p[sa->n], &len))
			return false;
		if (!proposal_num_ok(sa))
			return syntax(c, p + 4, "proposal number out of sequence");
		sa->n++;
		p += len;
		left -= len;
	}
	return true;
}

/* ---- the other payloads (b: body after the generic header) ----------- */

static bool pl_ke(struct pctx *c, const uint8_t *b, size_t len)
{
	/* Group, 2 reserved bytes, key exchange data (never empty). */
	if (len < 5)
		return syntax(c, b, "KE without key exchange data");
	c->m->ke.group = get16(b);
	c->m->ke.data = span(b + 4, len - 4);
	return true;
}

static bool pl_nonce(struct pctx *c, const uint8_t *b, size_t len)
{
	/* RFC 7296 2.10: at least 128 bits, at most 2048 bits. */
	if (len < 16 || len > 256)
		return syntax(c, b, "nonce not 16 to 256 bytes");
	c->m->nonce = span(b, len);
	return true;
}

static bool pl_id(struct pctx *c, const uint8_t *b, size_t len)
{
	struct ike_id_pl *id = c->type == IKE_PL_IDI ? &c->m->idi : &c->m->idr;

	/* Type, 3 reserved bytes, identification data (never empty). */
	if (len < 5)
		return syntax(c, b, "ID without identification data");
	id->type = b[0];
	id->data = span(b + 4, len - 4);
	/* RFC 7296 2.15: AUTH covers the body from the ID type on. */
	id->body = span(b, len);
	return true;
}

static bool pl_auth(struct pctx *c, const uint8_t *b, size_t len)
{
	if (len < 5)
		return syntax(c, b, "AUTH without authentication data");
	c->m->auth.method = b[0];
	c->m->auth.data = span(b + 4, len - 4);
	return true;
}

/* CERT and CERTREQ: encoding, then data (a CERTREQ's may be empty). */
static bool pl_cert(struct pctx *c, const uint8_t *b, size_t len)
{
	struct ike_msg *m = c->m;
	bool req = c->type == IKE_PL_CERTREQ;
	uint8_t *n = req ? &m->n_certreqs : &m->n_certs;
	struct ike_cert_pl *cert = req ? m->certreqs : m->certs;

	if (len < 1)
		return syntax(c, b, "CERT or CERTREQ without encoding");
	if (*n >= (req ? IKE_MAX_CERTREQS : IKE_MAX_CERTS))
		return limit(c, b, "too many CERT or CERTREQ payloads");
	cert[*n].encoding = b[0];
	cert[*n].data = span(b + 1, len - 1);
	(*n)++;
	return true;
}

/* Protocol, SPI size, type, SPI, data (RFC 7296 3.10). */
static bool pl_notify(struct pctx *c, const uint8_t *b, size_t len)
{
	struct ike_msg *m = c->m;
	struct ike_notify_pl *n;
	size_t spi_size;

	if (len < 4)
		return syntax(c, b, "notify header truncated");
	spi_size = b[1];
	if (spi_size > len - 4)
		return syntax(c, b + 1, "notify SPI longer than the payload");
	if (m->n_notifies >= IKE_MAX_NOTIFIES)
		return limit(c, b, "too many notify payloads");
	n = &m->notifies[m->n_notifies++];
	n->protocol = b[0];
	n->spi_size = b[1];
	n->type = get16(b + 2);
	n->spi = span(b + 4, spi_size);
	n->data = span(b + 4 + spi_size, len - 4 - spi_size);
	return true;
}

/*
 * Protocol, SPI size, count, SPIs (RFC 7296 3.11).  An IKE SA is named by
 * the header's SPIs, so its delete carries none; AH and ESP SPIs are 4
 * bytes; the SPIs must fill the payload exactly.
 */
static bool pl_delete(struct pctx *c, const uint8_t *b, size_t len)
{
	struct ike_msg *m = c->m;
	struct ike_delete_pl *d;
	size_t spi_size, count;

	if (len < 4)
		return syntax(c, b, "delete header truncated");
	spi_size = b[1];
	count = get16(b + 2);
	if (b[0] != IKE_PROTO_IKE && b[0] != IKE_PROTO_AH &&
	    b[0] != IKE_PROTO_ESP)
		return syntax(c, b, "delete of an unknown protocol");
	if (b[0] == IKE_PROTO_IKE && (spi_size || count))
		return syntax(c, b + 1, "IKE SA delete with SPIs");
	if (b[0] != IKE_PROTO_IKE && spi_size != 4)
		return syntax(c, b + 1, "Child SA delete with SPI size not 4");
	if (spi_size * count != len - 4)
		return syntax(c, b + 2, "delete SPI count disagrees with length");
	if (m->n_deletes >= IKE_MAX_DELETES)
		return limit(c, b, "too many delete payloads");
	d = &m->deletes[m->n_deletes++];
	d->protocol = b[0];
	d->spi_size = b[1];
	d->n_spis = (uint16_t)count;
	d->spis = span(b + 4, len - 4);
	return true;
}

/* Address length of a selector type; 0 for types we do not know. */
static size_t ts_addr_len(uint8_t type)
{
	if (type == IKE_TS_IPV4_ADDR_RANGE)
		return 4;
	if (type == IKE_TS_IPV6_ADDR_RANGE)
		return 16;
	return 0;
}

/* One selector (RFC 7296 3.13.1); its length is fixed by its type. */
static bool ts_one(struct pctx *c, const uint8_t *p, size_t left,
		   struct ike_ts *ts, size_t *len)
{
	size_t alen;

	if (left < 4)
		return syntax(c, p, "traffic selector truncated");
	alen = ts_addr_len(p[0]);
	if (!alen)
		return syntax(c, p, "unknown traffic selector type");
	*len = get16(p + 2);
	if (*len != 8 + 2 * alen)
		return syntax(c, p + 2, "selector length wrong for its type");
	if (*len > left)
		return syntax(c, p + 2, "selector longer than the payload");
	memset(ts, 0, sizeof(*ts));
	ts->type = p[0];
	ts->ipproto = p[1];
	ts->start_port = get16(p + 4);
	ts->end_port = get16(p + 6);
	memcpy(ts->start, p + 8, alen);
	memcpy(ts->end, p + 8 + alen, alen);
	return true;
}

/* Count, 3 reserved bytes, selectors that fill the payload exactly. */
static bool pl_ts(struct pctx *c, const uint8_t *b, size_t len)
{
	struct ike_ts_pl *ts = c->type == IKE_PL_TSI ? &c->m->tsi : &c->m->tsr;
	size_t left, n, used;
	const uint8_t *p;

	if (len < 4)
		return syntax(c, b, "TS header truncated");
	if (b[0] > IKE_MAX_TS)
		return limit(c, b, "too many traffic selectors");
	p = b + 4;
	left = len - 4;
	for (n = 0; n < b[0]; n++) {
		if (!ts_one(c, p, left, &ts->ts[n], &used))
			return false;
		p += used;
		left -= used;
	}
	if (left)
		return syntax(c, p, "bytes after the last traffic selector");
	ts->n = b[0];
	return true;
}

/* Vendor ID, CP, EAP: known, not used here, so not critical either. */
static bool pl_skip(struct pctx *c, const uint8_t *b, size_t len)
{
	(void)c;
	(void)b;
	(void)len;
	return true;
}

typedef bool (*pl_parser)(struct pctx *c, const uint8_t *body, size_t len);

static const pl_parser parsers[256] = {
	[IKE_PL_SA]		= pl_sa,
	[IKE_PL_KE]		= pl_ke,
	[IKE_PL_IDI]		= pl_id,
	[IKE_PL_IDR]		= pl_id,
	[IKE_PL_CERT]		= pl_cert,
	[IKE_PL_CERTREQ]	= pl_cert,
	[IKE_PL_AUTH]		= pl_auth,
	[IKE_PL_NONCE]		= pl_nonce,
	[IKE_PL_NOTIFY]		= pl_notify,
	[IKE_PL_DELETE]		= pl_delete,
	[IKE_PL_VENDOR]		= pl_skip,
	[IKE_PL_TSI]		= pl_ts,
	[IKE_PL_TSR]		= pl_ts,
	[IKE_PL_CP]		= pl_skip,
	[IKE_PL_EAP]		= pl_skip,
};

/* The has_ flag of a payload allowed once per message, or NULL. */
static bool *once_flag(struct ike_msg *m, uint8_t type)
{
	switch (type) {
	case IKE_PL_SA:		return &m->has_sa;
	case IKE_PL_KE:		return &m->has_ke;
	case IKE_PL_NONCE:	return &m->has_nonce;
	case IKE_PL_IDI:	return &m->has_idi;
	case IKE_PL_IDR:	return &m->has_idr;
	case IKE_PL_AUTH:	return &m->has_auth;
	case IKE_PL_TSI:	return &m->has_tsi;
	case IKE_PL_TSR:	return &m->has_tsr;
	default:		return NULL;
	}
}

/* One payload other than SK/SKF; p: its generic header, len >= 4. */
static bool payload(struct pctx *c, const uint8_t *p, size_t len)
{
	pl_parser parse = parsers[c->type];
	bool *once = once_flag(c->m, c->type);

	if (!parse) {
		/* RFC 7296 3.2: skip unknown payloads, unless critical. */
		if (p[1] & IKE_PL_CRITICAL)
			return fail(c, IKE_PARSE_CRITICAL, p,
				    "unsupported critical payload");
		return true;
	}
	if (once && *once)
		return syntax(c, p, "second payload of a type allowed once");
	if (!parse(c, p + IKE_GENERIC_HDR_LEN, len - IKE_GENERIC_HDR_LEN))
		return false;
	if (once)
		*once = true;
	return true;
}

/* SK: its Next Payload names the first inner payload. */
static bool pl_sk(struct pctx *c, const uint8_t *p, size_t len)
{
	struct ike_sk_pl *sk = &c->m->sk;

	sk->first_inner = p[0];
	sk->offset = (size_t)(p - c->base);
	sk->body = span(p + IKE_GENERIC_HDR_LEN, len - IKE_GENERIC_HDR_LEN);
	c->m->has_sk = true;
	return true;
}

/* SKF (RFC 7383 2.5): fragment number and total, then as SK. */
static bool pl_skf(struct pctx *c, const uint8_t *p, size_t len)
{
	struct ike_skf_pl *skf = &c->m->skf;
	const uint8_t *b = p + IKE_GENERIC_HDR_LEN;
	uint16_t number, total;

	if (len < IKE_GENERIC_HDR_LEN + 4)
		return syntax(c, b, "SKF fragment numbers truncated");
	number = get16(b);
	total = get16(b + 2);
	if (!total || !number || number > total)
		return syntax(c, b, "SKF fragment number not in 1..total");
	skf->first_inner = p[0];
	skf->number = number;
	skf->total = total;
	skf->offset = (size_t)(p - c->base);
	skf->body = span(b + 4, len - IKE_GENERIC_HDR_LEN - 4);
	c->m->has_skf = true;
	return true;
}

/*
 * SK or SKF: only in the outer chain, and last there, because everything
 * after its generic header is the encrypted body.
 */
static bool encrypted(struct pctx *c, const uint8_t *p, size_t len,
		      size_t left, bool outer)
{
	if (!outer)
		return syntax(c, p, "SK or SKF inside SK");
	if (len != left)
		return syntax(c, p, "SK or SKF not the last payload");
	if (c->type == IKE_PL_SK)
		return pl_sk(c, p, len);
	return pl_skf(c, p, len);
}

/* A payload chain starting with type `type` at p, which must fill left. */
static bool walk(struct pctx *c, uint8_t type, const uint8_t *p, size_t left,
		 bool outer)
{
	size_t len;

	while (type != IKE_PL_NONE) {
		c->type = type;
		if (left < IKE_GENERIC_HDR_LEN)
			return syntax(c, p, "payload header truncated");
		len = get16(p + 2);
		if (len < IKE_GENERIC_HDR_LEN || len > left)
			return syntax(c, p + 2, "payload length out of range");
		if (type == IKE_PL_SK || type == IKE_PL_SKF)
			return encrypted(c, p, len, left, outer);
		if (!payload(c, p, len))
			return false;
		type = p[0];
		p += len;
		left -= len;
	}
	c->type = IKE_PL_NONE;
	if (left)
		return syntax(c, p, "bytes after the last payload");
	return true;
}

/* ---- entry points --------------------------------------------------- */

/*
 * The header is copied out before version and length are checked, so
 * that an INVALID_MAJOR_VERSION answer can name the SPIs.
 */
static enum ike_parse_err hdr_check(const uint8_t *buf, size_t len,
				    struct ike_hdr *h, struct pctx *c)
{
	if (!buf || len < IKE_HDR_LEN) {
		fail(c, IKE_PARSE_SHORT, c->base, "shorter than an IKE header");
		return c->res.err;
	}
	h->spi_i = get64(buf);
	h->spi_r = get64(buf + 8);
	h->next = buf[16];
	h->version = buf[17];
	h->exchange = buf[18];
	h->flags = buf[19];
	h->msgid = get32(buf + 20);
	h->length = get32(buf + 24);
	if (h->version >> 4 != 2)
		fail(c, IKE_PARSE_VERSION, buf + 17, "major version not 2");
	else if (h->length != len)
		syntax(c, buf + 24, "header length is not the message's");
	return c->res.err;
}

enum ike_parse_err ike_hdr_parse(const uint8_t *buf, size_t len,
				 struct ike_hdr *h)
{
	struct pctx c = { .base = buf };

	return hdr_check(buf, len, h, &c);
}

struct ike_parse_result ike_msg_parse(const uint8_t *buf, size_t len,
				      struct ike_msg *m)
{
	struct pctx c = { .m = m, .base = buf, .res.why = "ok" };

	memset(m, 0, sizeof(*m));
	if (hdr_check(buf, len, &m->hdr, &c))
		return c.res;
	m->raw = span(buf, len);
	walk(&c, m->hdr.next, buf + IKE_HDR_LEN, len - IKE_HDR_LEN, true);
	return c.res;
}

/* Offsets in the result count from buf, the start of the inner chain. */
struct ike_parse_result ike_payloads_parse(uint8_t first, const uint8_t *buf,
					   size_t len, struct ike_msg *m)
{
	struct pctx c = { .m = m, .base = buf, .res.why = "ok" };

	walk(&c, first, buf, len, false);
	return c.res;
}

const struct ike_notify_pl *ike_msg_notify(const struct ike_msg *m,
					   uint16_t type)
{
	size_t i;

	for (i = 0; i < m->n_notifies; i++)
		if (m->notifies[i].type == type)
			return &m->notifies[i];
	return NULL;
}

const struct ike_notify_pl *ike_msg_error(const struct ike_msg *m)
{
	size_t i;

	for (i = 0; i < m->n_notifies; i++)
		if (m->notifies[i].type <= IKE_N_ERROR_MAX)
			return &m->notifies[i];
	return NULL;
}

bool ike_ts_eq(const struct ike_ts *a, const struct ike_ts *b)
{
	size_t alen = ts_addr_len(a->type);

	return a->type == b->type && a->ipproto == b->ipproto &&
	       a->start_port == b->start_port && a->end_port == b->end_port &&
	       !memcmp(a->start, b->start, alen) &&
	       !memcmp(a->end, b->end, alen);
}

/* ---- names, for logs and status ------------------------------------- */

const char *ike_exchange_name(uint8_t exchange)
{
	switch (exchange) {
	case IKE_SA_INIT:		return "IKE_SA_INIT";
	case IKE_AUTH:			return "IKE_AUTH";
	case IKE_CREATE_CHILD_SA:	return "CREATE_CHILD_SA";
	case IKE_INFORMATIONAL:		return "INFORMATIONAL";
	case IKE_INTERMEDIATE:		return "IKE_INTERMEDIATE";
	case IKE_FOLLOWUP_KE:		return "IKE_FOLLOWUP_KE";
	default:			return "unknown";
	}
}

static const char *const payload_names[] = {
	[IKE_PL_NONE]	= "NONE",
	[IKE_PL_SA]	= "SA",
	[IKE_PL_KE]	= "KE",
	[IKE_PL_IDI]	= "IDi",
	[IKE_PL_IDR]	= "IDr",
	[IKE_PL_CERT]	= "CERT",
	[IKE_PL_CERTREQ] = "CERTREQ",
	[IKE_PL_AUTH]	= "AUTH",
	[IKE_PL_NONCE]	= "Nonce",
	[IKE_PL_NOTIFY]	= "N",
	[IKE_PL_DELETE]	= "D",
	[IKE_PL_VENDOR]	= "V",
	[IKE_PL_TSI]	= "TSi",
	[IKE_PL_TSR]	= "TSr",
	[IKE_PL_SK]	= "SK",
	[IKE_PL_CP]	= "CP",
	[IKE_PL_EAP]	= "EAP",
	[IKE_PL_SKF]	= "SKF",
};

const char *ike_payload_name(uint8_t type)
{
	if (type < sizeof(payload_names) / sizeof(payload_names[0]) &&
	    payload_names[type])
		return payload_names[type];
	return "unknown";
}

static const struct {
	uint16_t type;
	const char *name;
} notify_names[] = {
	{ IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, "UNSUPPORTED_CRITICAL_PAYLOAD" },
	{ IKE_N_INVALID_IKE_SPI, "INVALID_IKE_SPI" },
	{ IKE_N_INVALID_MAJOR_VERSION, "INVALID_MAJOR_VERSION" },
	{ IKE_N_INVALID_SYNTAX, "INVALID_SYNTAX" },
	{ IKE_N_INVALID_MESSAGE_ID, "INVALID_MESSAGE_ID" },
	{ IKE_N_INVALID_SPI, "INVALID_SPI" },
	{ IKE_N_NO_PROPOSAL_CHOSEN, "NO_PROPOSAL_CHOSEN" },
	{ IKE_N_INVALID_KE_PAYLOAD, "INVALID_KE_PAYLOAD" },
	{ IKE_N_AUTHENTICATION_FAILED, "AUTHENTICATION_FAILED" },
	{ IKE_N_SINGLE_PAIR_REQUIRED, "SINGLE_PAIR_REQUIRED" },
	{ IKE_N_NO_ADDITIONAL_SAS, "NO_ADDITIONAL_SAS" },
	{ IKE_N_INTERNAL_ADDRESS_FAILURE, "INTERNAL_ADDRESS_FAILURE" },
	{ IKE_N_FAILED_CP_REQUIRED, "FAILED_CP_REQUIRED" },
	{ IKE_N_TS_UNACCEPTABLE, "TS_UNACCEPTABLE" },
	{ IKE_N_INVALID_SELECTORS, "INVALID_SELECTORS" },
	{ IKE_N_TEMPORARY_FAILURE, "TEMPORARY_FAILURE" },
	{ IKE_N_CHILD_SA_NOT_FOUND, "CHILD_SA_NOT_FOUND" },
	{ IKE_N_STATE_NOT_FOUND, "STATE_NOT_FOUND" },
	{ IKE_N_INITIAL_CONTACT, "INITIAL_CONTACT" },
	{ IKE_N_SET_WINDOW_SIZE, "SET_WINDOW_SIZE" },
	{ IKE_N_IPCOMP_SUPPORTED, "IPCOMP_SUPPORTED" },
	{ IKE_N_NAT_DETECTION_SOURCE_IP, "NAT_DETECTION_SOURCE_IP" },
	{ IKE_N_NAT_DETECTION_DESTINATION_IP,
	  "NAT_DETECTION_DESTINATION_IP" },
	{ IKE_N_COOKIE, "COOKIE" },
	{ IKE_N_USE_TRANSPORT_MODE, "USE_TRANSPORT_MODE" },
	{ IKE_N_REKEY_SA, "REKEY_SA" },
	{ IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED,
	  "ESP_TFC_PADDING_NOT_SUPPORTED" },
	{ IKE_N_NON_FIRST_FRAGMENTS_ALSO, "NON_FIRST_FRAGMENTS_ALSO" },
	{ IKE_N_IKEV2_FRAGMENTATION_SUPPORTED,
	  "IKEV2_FRAGMENTATION_SUPPORTED" },
	{ IKE_N_SIGNATURE_HASH_ALGORITHMS, "SIGNATURE_HASH_ALGORITHMS" },
	{ IKE_N_INTERMEDIATE_EXCHANGE_SUPPORTED,
	  "INTERMEDIATE_EXCHANGE_SUPPORTED" },
	{ IKE_N_ADDITIONAL_KEY_EXCHANGE, "ADDITIONAL_KEY_EXCHANGE" },
};

const char *ike_notify_name(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(notify_names) / sizeof(notify_names[0]); i++)
		if (notify_names[i].type == type)
			return notify_names[i].name;
	return "unknown";
}

/* ---- building ------------------------------------------------------- */

/*
 * last_next when there is no Next Payload byte to patch: at the start of
 * a headerless chain (the first type goes to w->first instead), and after
 * SK, which must stay last (a payload added after it is an error).
 */
#define W_LINK_FIRST	SIZE_MAX
#define W_LINK_CLOSED	(SIZE_MAX - 1)

void ike_w_init(struct ike_wbuf *w, uint8_t *buf, size_t cap)
{
	*w = (struct ike_wbuf){
		.p = buf,
		.cap = buf ? cap : 0,
		.last_next = W_LINK_FIRST,
	};
}

/* Room for n more bytes?  If not, the buffer is spoilt for good. */
static bool w_room(struct ike_wbuf *w, size_t n)
{
	if (!w->err && n > w->cap - w->len)
		w->err = true;
	return !w->err;
}

/* src NULL: n zero bytes (reserved fields, space filled in later). */
void ike_w_bytes(struct ike_wbuf *w, const void *src, size_t n)
{
	if (!w_room(w, n) || !n)
		return;
	if (src)
		memcpy(w->p + w->len, src, n);
	else
		memset(w->p + w->len, 0, n);
	w->len += n;
}

void ike_w_u8(struct ike_wbuf *w, uint8_t v)
{
	ike_w_bytes(w, &v, 1);
}

void ike_w_u16(struct ike_wbuf *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	ike_w_bytes(w, b, sizeof(b));
}

void ike_w_u32(struct ike_wbuf *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	ike_w_bytes(w, b, sizeof(b));
}

/* Overwrite 16 or 32 bits already written at off. */
static void w_put(struct ike_wbuf *w, size_t off, uint32_t v, size_t n)
{
	if (w->err || off > w->len || n > w->len - off) {
		w->err = true;
		return;
	}
	while (n--) {
		w->p[off + n] = (uint8_t)v;
		v >>= 8;
	}
}

/*
 * The header's Next Payload is written as NONE and set by the first
 * ike_w_begin(); version 0 means IKE_VERSION; the length is set by
 * ike_w_finish().
 */
void ike_w_header(struct ike_wbuf *w, const struct ike_hdr *h)
{
	size_t at = w->len;

	ike_w_u32(w, (uint32_t)(h->spi_i >> 32));
	ike_w_u32(w, (uint32_t)h->spi_i);
	ike_w_u32(w, (uint32_t)(h->spi_r >> 32));
	ike_w_u32(w, (uint32_t)h->spi_r);
	ike_w_u8(w, IKE_PL_NONE);
	ike_w_u8(w, h->version ? h->version : IKE_VERSION);
	ike_w_u8(w, h->exchange);
	ike_w_u8(w, h->flags);
	ike_w_u32(w, h->msgid);
	ike_w_u32(w, 0);
	if (!w->err)
		w->last_next = at + 16;
}

/* The header is at offset 0: this is the message's whole length. */
void ike_w_finish(struct ike_wbuf *w)
{
	if (w->len < IKE_HDR_LEN || w->len > UINT32_MAX)
		w->err = true;
	w_put(w, 24, (uint32_t)w->len, 4);
}

size_t ike_w_begin(struct ike_wbuf *w, uint8_t type)
{
	size_t at = w->len;

	if (w->err)
		return at;
	if (w->last_next == W_LINK_CLOSED) {
		w->err = true;
		return at;
	}
	if (w->last_next == W_LINK_FIRST)
		w->first = type;
	else
		w->p[w->last_next] = type;
	/* Next Payload NONE until one follows, not critical, length later */
	ike_w_u32(w, 0);
	if (!w->err)
		w->last_next = at;
	return at;
}

void ike_w_end(struct ike_wbuf *w, size_t start)
{
	size_t len = w->len - start;

	if (!w->err && (start > w->len || len < IKE_GENERIC_HDR_LEN ||
			len > UINT16_MAX))
		w->err = true;
	w_put(w, start + 2, (uint32_t)len, 2);
}

uint8_t ike_w_first(const struct ike_wbuf *w)
{
	return w->first;
}

/* One transform: Key Length attribute only when there is a key length. */
static void w_transform(struct ike_wbuf *w, const struct ike_transform *t,
			bool last)
{
	ike_w_u8(w, last ? 0 : 3);
	ike_w_u8(w, 0);
	ike_w_u16(w, t->keylen ? 12 : 8);
	ike_w_u8(w, t->type);
	ike_w_u8(w, 0);
	ike_w_u16(w, t->id);
	if (t->keylen) {
		ike_w_u16(w, IKE_ATTR_TV | IKE_ATTR_KEY_LENGTH);
		ike_w_u16(w, t->keylen);
	}
}

static void w_proposal(struct ike_wbuf *w, const struct ike_proposal *pr,
		       bool last)
{
	size_t at = w->len;
	size_t i;

	if (pr->n_transforms > IKE_MAX_TRANSFORMS ||
	    (pr->spi_size != 0 && pr->spi_size != 4 && pr->spi_size != 8)) {
		w->err = true;
		return;
	}
	ike_w_u8(w, last ? 0 : 2);
	ike_w_u8(w, 0);
	ike_w_u16(w, 0);	/* length, below */
	ike_w_u8(w, pr->num);
	ike_w_u8(w, pr->protocol);
	ike_w_u8(w, pr->spi_size);
	ike_w_u8(w, pr->n_transforms);
	ike_w_bytes(w, pr->spi, pr->spi_size);
	for (i = 0; i < pr->n_transforms; i++)
		w_transform(w, &pr->t[i], i + 1 == pr->n_transforms);
	/* Proposal length sits where a payload's does. */
	ike_w_end(w, at);
}

void ike_w_sa(struct ike_wbuf *w, const struct ike_sa_pl *sa)
{
	size_t at = ike_w_begin(w, IKE_PL_SA);
	size_t i;

	if (!sa->n || sa->n > IKE_MAX_PROPOSALS)
		w->err = true;
	for (i = 0; i < sa->n && !w->err; i++)
		w_proposal(w, &sa->p[i], i + 1 == sa->n);
	ike_w_end(w, at);
}

void ike_w_ke(struct ike_wbuf *w, uint16_t group, const uint8_t *data,
	      size_t len)
{
	size_t at = ike_w_begin(w, IKE_PL_KE);

	ike_w_u16(w, group);
	ike_w_u16(w, 0);
	ike_w_bytes(w, data, len);
	ike_w_end(w, at);
}

void ike_w_nonce(struct ike_wbuf *w, const uint8_t *nonce, size_t len)
{
	size_t at = ike_w_begin(w, IKE_PL_NONCE);

	ike_w_bytes(w, nonce, len);
	ike_w_end(w, at);
}

/* A payload of one byte, 3 reserved bytes and data: ID and AUTH. */
static void w_typed(struct ike_wbuf *w, uint8_t pl_type, uint8_t type,
		    const uint8_t *data, size_t len)
{
	size_t at = ike_w_begin(w, pl_type);

	ike_w_u8(w, type);
	ike_w_bytes(w, NULL, 3);
	ike_w_bytes(w, data, len);
	ike_w_end(w, at);
}

void ike_w_id(struct ike_wbuf *w, uint8_t pl_type, uint8_t id_type,
	      const uint8_t *data, size_t len)
{
	w_typed(w, pl_type, id_type, data, len);
}

void ike_w_auth(struct ike_wbuf *w, uint8_t method, const uint8_t *data,
		size_t len)
{
	w_typed(w, IKE_PL_AUTH, method, data, len);
}

void ike_w_cert(struct ike_wbuf *w, uint8_t pl_type, uint8_t encoding,
		const uint8_t *data, size_t len)
{
	size_t at = ike_w_begin(w, pl_type);

	ike_w_u8(w, encoding);
	ike_w_bytes(w, data, len);
	ike_w_end(w, at);
}

void ike_w_notify(struct ike_wbuf *w, uint8_t protocol, const uint8_t *spi,
		  uint8_t spi_size, uint16_t type, const uint8_t *data,
		  size_t len)
{
	size_t at = ike_w_begin(w, IKE_PL_NOTIFY);

	ike_w_u8(w, protocol);
	ike_w_u8(w, spi_size);
	ike_w_u16(w, type);
	ike_w_bytes(w, spi, spi_size);
	ike_w_bytes(w, data, len);
	ike_w_end(w, at);
}

void ike_w_delete(struct ike_wbuf *w, uint8_t protocol, uint8_t spi_size,
		  const uint8_t *spis, uint16_t n_spis)
{
	size_t at = ike_w_begin(w, IKE_PL_DELETE);

	ike_w_u8(w, protocol);
	ike_w_u8(w, spi_size);
	ike_w_u16(w, n_spis);
	ike_w_bytes(w, spis, (size_t)spi_size * n_spis);
	ike_w_end(w, at);
}

static void w_selector(struct ike_wbuf *w, const struct ike_ts *ts)
{
	size_t alen = ts_addr_len(ts->type);

	if (!alen) {
		w->err = true;
		return;
	}
	ike_w_u8(w, ts->type);
	ike_w_u8(w, ts->ipproto);
	ike_w_u16(w, (uint16_t)(8 + 2 * alen));
	ike_w_u16(w, ts->start_port);
	ike_w_u16(w, ts->end_port);
	ike_w_bytes(w, ts->start, alen);
	ike_w_bytes(w, ts->end, alen);
}

void ike_w_ts(struct ike_wbuf *w, uint8_t pl_type, const struct ike_ts_pl *ts)
{
	size_t at = ike_w_begin(w, pl_type);
	size_t i;

	if (ts->n > IKE_MAX_TS)
		w->err = true;
	ike_w_u8(w, ts->n);
	ike_w_bytes(w, NULL, 3);
	for (i = 0; i < ts->n && !w->err; i++)
		w_selector(w, &ts->ts[i]);
	ike_w_end(w, at);
}

size_t ike_w_sk_header(struct ike_wbuf *w, uint8_t first_inner,
		       size_t body_len)
{
	size_t at = ike_w_begin(w, IKE_PL_SK);

	if (body_len > UINT16_MAX - IKE_GENERIC_HDR_LEN)
		w->err = true;
	if (w->err)
		return at;
	w->p[at] = first_inner;
	w_put(w, at + 2, (uint32_t)(IKE_GENERIC_HDR_LEN + body_len), 2);
	w->last_next = W_LINK_CLOSED;
	return at;
}
