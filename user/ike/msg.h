/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IKEv2 messages: the validator/parser (bytes -> checked struct) and the
 * builder (struct pieces -> bytes).
 *
 * Parsing is the first of two layers (DESIGN.md, "Rules for the helper"):
 * every length is checked against what is left before anything is read, the
 * fixed headers are copied out, variable parts are views (struct ike_span)
 * into the caller's buffer, and nothing here touches an SA.  Handlers in
 * ike/<exchange>.c see only a struct ike_msg that passed.
 *
 * A message with an SK (or SKF) payload is parsed in two steps: the outer
 * chain (header + payloads up to and including SK, which must be last), then,
 * after crypto/ decrypted it, the inner chain with ike_payloads_parse() into
 * the same struct.
 *
 * Limits below bound what one message may carry; more is INVALID_SYNTAX
 * (counted as such, never silently truncated).  Vendor IDs, CP, EAP and
 * unknown non-critical payloads are skipped as RFC 7296 allows.  Transforms
 * of unknown types, and transforms with attributes other than one Key
 * Length, are kept (the latter with keylen IKE_KEYLEN_UNUSABLE): RFC 7296
 * 3.3.6 makes the chooser refuse them (their proposal, for unknown types),
 * not the parser the message.
 */
#ifndef IKETCPD_IKE_MSG_H
#define IKETCPD_IKE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/wire.h"

#define IKE_MAX_PROPOSALS	16
#define IKE_MAX_TRANSFORMS	32	/* per proposal */
#define IKE_MAX_NOTIFIES	32
#define IKE_MAX_CERTS		16
#define IKE_MAX_CERTREQS	8
#define IKE_MAX_DELETES		8
#define IKE_MAX_TS		16	/* per TS payload */

/* A view into the message buffer: valid as long as the buffer is. */
struct ike_span {
	const uint8_t *p;
	size_t len;
};

struct ike_hdr {
	uint64_t spi_i, spi_r;		/* host order */
	uint8_t next;			/* first payload type */
	uint8_t version;
	uint8_t exchange;
	uint8_t flags;
	uint32_t msgid;			/* host order */
	uint32_t length;		/* host order, == bytes parsed */
};

struct ike_transform {
	uint8_t type;			/* enum ike_transform_type */
	uint16_t id;
	uint16_t keylen;		/* bits; 0: no Key Length attribute */
};
/* keylen of a transform with attributes we cannot honour: refuse it */
#define IKE_KEYLEN_UNUSABLE	0xffff

struct ike_proposal {
	uint8_t num;
	uint8_t protocol;		/* enum ike_protocol */
	uint8_t spi_size;		/* 0, 4 or 8 */
	uint8_t spi[8];
	uint8_t n_transforms;
	struct ike_transform t[IKE_MAX_TRANSFORMS];
};

struct ike_sa_pl {
	uint8_t n;
	struct ike_proposal p[IKE_MAX_PROPOSALS];
};

struct ike_ke_pl {
	uint16_t group;
	struct ike_span data;
};

struct ike_id_pl {
	uint8_t type;			/* enum ike_id_type */
	struct ike_span data;
	struct ike_span body;		/* type..end: what AUTH signs (RFC 7296 2.15) */
};

struct ike_auth_pl {
	uint8_t method;
	struct ike_span data;
};

struct ike_cert_pl {
	uint8_t encoding;
	struct ike_span data;
};

struct ike_notify_pl {
	uint8_t protocol;
	uint8_t spi_size;
	uint16_t type;
	struct ike_span spi;
	struct ike_span data;
};

struct ike_delete_pl {
	uint8_t protocol;
	uint8_t spi_size;		/* 0 for IKE, 4 for ESP */
	uint16_t n_spis;
	struct ike_span spis;		/* n_spis * spi_size bytes */
};

struct ike_ts {
	uint8_t type;			/* enum ike_ts_type */
	uint8_t ipproto;		/* 0: any */
	uint16_t start_port, end_port;
	uint8_t start[16], end[16];	/* 4 or 16 bytes used, network order */
};

struct ike_ts_pl {
	uint8_t n;
	struct ike_ts ts[IKE_MAX_TS];
};

/* The SK payload: what crypto/ needs to check and decrypt it. */
struct ike_sk_pl {
	uint8_t first_inner;		/* its Next Payload: the inner chain's first */
	size_t offset;			/* of its generic header in the message */
	struct ike_span body;		/* IV | ciphertext | padding | ICV */
};

/* The SKF payload (RFC 7383): as SK, plus the fragment's numbers. */
struct ike_skf_pl {
	uint8_t first_inner;		/* meaningful in fragment 1 only */
	uint16_t number, total;
	size_t offset;
	struct ike_span body;
};

struct ike_msg {
	struct ike_hdr hdr;
	struct ike_span raw;		/* the whole message */

	bool has_sa, has_ke, has_nonce, has_idi, has_idr, has_auth;
	bool has_tsi, has_tsr, has_sk, has_skf;
	struct ike_sa_pl sa;
	struct ike_ke_pl ke;
	struct ike_span nonce;
	struct ike_id_pl idi, idr;
	struct ike_auth_pl auth;
	struct ike_ts_pl tsi, tsr;
	struct ike_sk_pl sk;
	struct ike_skf_pl skf;
	/* once decrypted (and reassembled): the inner chain, and its first
	 * payload type; RFC 9242's IntAuth covers it */
	struct ike_span inner;
	uint8_t inner_first;

	uint8_t n_certs, n_certreqs, n_notifies, n_deletes;
	struct ike_cert_pl certs[IKE_MAX_CERTS];
	struct ike_cert_pl certreqs[IKE_MAX_CERTREQS];
	struct ike_notify_pl notifies[IKE_MAX_NOTIFIES];
	struct ike_delete_pl deletes[IKE_MAX_DELETES];
};

/* Why a parse failed: what the RFC says to answer, and a word for the log. */
enum ike_parse_err {
	IKE_PARSE_OK = 0,
	IKE_PARSE_SHORT,		/* not even a header: drop */
	IKE_PARSE_VERSION,		/* major version != 2: INVALID_MAJOR_VERSION */
	IKE_PARSE_SYNTAX,		/* INVALID_SYNTAX */
	IKE_PARSE_CRITICAL,		/* UNSUPPORTED_CRITICAL_PAYLOAD */
	IKE_PARSE_LIMIT,		/* more of something than we keep: INVALID_SYNTAX */
};

struct ike_parse_result {
	enum ike_parse_err err;
	uint8_t payload;		/* payload type where it failed, if any */
	size_t offset;			/* byte offset where it failed */
	const char *why;		/* static text, for the log */
};

/*
 * The fixed header alone (for routing a datagram to its SA before anything
 * else): checks length >= 28, version, and that the header's length equals
 * len.  Returns IKE_PARSE_OK or the error.
 */
enum ike_parse_err ike_hdr_parse(const uint8_t *buf, size_t len,
				 struct ike_hdr *h);

/*
 * Header and outer payload chain into *m (zeroed first).  An SK or SKF
 * payload must be the last one; its contents are not parsed.
 */
struct ike_parse_result ike_msg_parse(const uint8_t *buf, size_t len,
				      struct ike_msg *m);

/*
 * A decrypted inner chain starting with payload type `first`, added to *m
 * (whose counters and has_* flags carry on; SK inside SK is a syntax error).
 */
struct ike_parse_result ike_payloads_parse(uint8_t first, const uint8_t *buf,
					   size_t len, struct ike_msg *m);

/* Lookups in a parsed message */
const struct ike_notify_pl *ike_msg_notify(const struct ike_msg *m,
					   uint16_t type);
/* The first error notify (type <= IKE_N_ERROR_MAX), or NULL. */
const struct ike_notify_pl *ike_msg_error(const struct ike_msg *m);

/* Same selector: type, protocol, ports and the addresses its type uses. */
bool ike_ts_eq(const struct ike_ts *a, const struct ike_ts *b);

const char *ike_exchange_name(uint8_t exchange);
const char *ike_payload_name(uint8_t type);
const char *ike_notify_name(uint16_t type);

/* ---- building ------------------------------------------------------- */

/*
 * An output buffer.  Writers never write past cap; once one did not fit,
 * err is set and every later write is a no-op, so a builder checks err once
 * at the end.  `last_next` is the offset of the Next Payload byte to patch
 * when the next payload is added (the header's, then each payload's).
 */
struct ike_wbuf {
	uint8_t *p;
	size_t len, cap;
	size_t last_next;
	bool err;
	uint8_t first;			/* headerless chain: its first type */
};

void ike_w_init(struct ike_wbuf *w, uint8_t *buf, size_t cap);
/* src NULL writes n zero bytes. */
void ike_w_bytes(struct ike_wbuf *w, const void *src, size_t n);
void ike_w_u8(struct ike_wbuf *w, uint8_t v);
void ike_w_u16(struct ike_wbuf *w, uint16_t v);
void ike_w_u32(struct ike_wbuf *w, uint32_t v);

/* The header; its length is set by ike_w_finish(). */
void ike_w_header(struct ike_wbuf *w, const struct ike_hdr *h);
/* Patch the header's length to w->len (call last). */
void ike_w_finish(struct ike_wbuf *w);

/*
 * A payload's generic header: links it from the previous payload's Next
 * Payload, returns its offset for ike_w_end().  A chain without an IKE
 * header (an SK payload's inner chain) starts with ike_w_init() and its
 * first payload's type is read back with ike_w_first().
 */
size_t ike_w_begin(struct ike_wbuf *w, uint8_t type);
void ike_w_end(struct ike_wbuf *w, size_t start);	/* sets its length */
/* Type of the first payload of a headerless chain (0 if none). */
uint8_t ike_w_first(const struct ike_wbuf *w);

void ike_w_sa(struct ike_wbuf *w, const struct ike_sa_pl *sa);
void ike_w_ke(struct ike_wbuf *w, uint16_t group, const uint8_t *data,
	      size_t len);
void ike_w_nonce(struct ike_wbuf *w, const uint8_t *nonce, size_t len);
void ike_w_id(struct ike_wbuf *w, uint8_t pl_type, uint8_t id_type,
	      const uint8_t *data, size_t len);
void ike_w_auth(struct ike_wbuf *w, uint8_t method, const uint8_t *data,
		size_t len);
void ike_w_cert(struct ike_wbuf *w, uint8_t pl_type, uint8_t encoding,
		const uint8_t *data, size_t len);
void ike_w_notify(struct ike_wbuf *w, uint8_t protocol, const uint8_t *spi,
		  uint8_t spi_size, uint16_t type, const uint8_t *data,
		  size_t len);
void ike_w_delete(struct ike_wbuf *w, uint8_t protocol, uint8_t spi_size,
		  const uint8_t *spis, uint16_t n_spis);
void ike_w_ts(struct ike_wbuf *w, uint8_t pl_type, const struct ike_ts_pl *ts);

/*
 * The SK payload's generic header (Next Payload = first inner type, length
 * covering body_len bytes that the caller fills after it).  Returns the
 * offset of the generic header (the end of the AAD for AEAD ciphers).
 */
size_t ike_w_sk_header(struct ike_wbuf *w, uint8_t first_inner,
		       size_t body_len);

#endif
