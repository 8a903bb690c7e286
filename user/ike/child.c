// SPDX-License-Identifier: GPL-2.0
/*
 * Child SAs: inbound SPI, traffic selector narrowing (RFC 7296 2.9) and
 * KEYMAT (2.17).  The kernel side (XFRM) is sys/xfrm.c's, driven by the
 * daemon from struct ike_effects.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/exchange.h"

/* SPIs below 256 are reserved (RFC 4303 2.1). */
static int random_spi(uint32_t *spi)
{
	do {
		if (ik_random(spi, sizeof(*spi)))
			return -1;
	} while (*spi < 256);
	return 0;
}

struct child_sa *ike_child_new(struct ike_sa *sa)
{
	struct child_sa *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (random_spi(&c->spi_in)) {
		free(c);
		return NULL;
	}
	c->transport = sa->conn->transport;
	c->owns_policies = true;
	c->ts_local = sa->conn->ts_local;
	c->ts_remote = sa->conn->ts_remote;
	return c;
}

static size_t addr_len(uint8_t type)
{
	return type == IKE_TS_IPV6_ADDR_RANGE ? 16 : 4;
}

/* a ∩ b into out; false if empty or of different families. */
static bool ts_intersect(const struct ike_ts *a, const struct ike_ts *b,
			 struct ike_ts *out)
{
	size_t n = addr_len(a->type);

	if (a->type != b->type)
		return false;
	if (a->ipproto && b->ipproto && a->ipproto != b->ipproto)
		return false;
	*out = *a;
	out->ipproto = a->ipproto ? a->ipproto : b->ipproto;
	out->start_port = a->start_port > b->start_port ? a->start_port :
							  b->start_port;
	out->end_port = a->end_port < b->end_port ? a->end_port : b->end_port;
	if (out->start_port > out->end_port)
		return false;
	memcpy(out->start, memcmp(a->start, b->start, n) > 0 ? a->start :
	       b->start, n);
	memcpy(out->end, memcmp(a->end, b->end, n) < 0 ? a->end : b->end, n);
	return memcmp(out->start, out->end, n) <= 0;
}

/* The first non-empty intersection of any of theirs with any of ours. */
static bool narrow_one(const struct ike_ts_pl *theirs,
		       const struct ike_ts_pl *ours, struct ike_ts_pl *out)
{
	int i, j;

	for (i = 0; i < theirs->n; i++)
		for (j = 0; j < ours->n; j++)
			if (ts_intersect(&theirs->ts[i], &ours->ts[j],
					 &out->ts[0])) {
				out->n = 1;
				return true;
			}
	return false;
}

int ike_child_narrow(struct ike_sa *sa, struct child_sa *c,
		     const struct ike_ts_pl *tsi, const struct ike_ts_pl *tsr)
{
	/* the initiator's TSi is the peer's side: our remote */
	if (!narrow_one(tsi, &sa->conn->ts_remote, &c->ts_remote) ||
	    !narrow_one(tsr, &sa->conn->ts_local, &c->ts_local))
		return ike_sa_fail(sa, "traffic selectors do not overlap "
				   "the configured ones");
	return 0;
}

static bool ts_within(const struct ike_ts *in, const struct ike_ts *outer)
{
	size_t n = addr_len(in->type);

	return in->type == outer->type &&
	       (!outer->ipproto || in->ipproto == outer->ipproto) &&
	       in->start_port >= outer->start_port &&
	       in->end_port <= outer->end_port &&
	       memcmp(in->start, outer->start, n) >= 0 &&
	       memcmp(in->end, outer->end, n) <= 0;
}

/* Every selector of got lies within one of asked; the first is kept. */
static bool all_within(const struct ike_ts_pl *got,
		       const struct ike_ts_pl *asked, struct ike_ts_pl *keep)
{
	int i, j;

	if (!got->n)
		return false;
	for (i = 0; i < got->n; i++) {
		for (j = 0; j < asked->n; j++)
			if (ts_within(&got->ts[i], &asked->ts[j]))
				break;
		if (j == asked->n)
			return false;
	}
	keep->n = 1;
	keep->ts[0] = got->ts[0];
	return true;
}

int ike_child_check_ts(struct ike_sa *sa, struct child_sa *c,
		       const struct ike_ts_pl *tsi, const struct ike_ts_pl *tsr)
{
	if (!all_within(tsi, &sa->conn->ts_local, &c->ts_local) ||
	    !all_within(tsr, &sa->conn->ts_remote, &c->ts_remote))
		return ike_sa_fail(sa, "responder's traffic selectors are "
				   "wider than ours");
	return 0;
}

int ike_child_keys_from(struct ike_sa *sa, struct child_sa *c,
			bool we_initiated, const uint8_t *gir, size_t girlen,
			const uint8_t *ni, size_t ni_len, const uint8_t *nr,
			size_t nr_len)
{
	uint8_t km[sizeof(c->keymat)];
	size_t e = ik_encr_keymat_len(c->alg.encr, c->alg.keybits);
	size_t a = ik_integ_keymat_len(c->alg.integ);
	size_t dir = e + a;
	const uint8_t *i2r = km, *r2i = km + dir;

	if (!e || 2 * dir > sizeof(km))
		return ike_sa_fail(sa, "unsupported ESP algorithm");
	if (ike_child_keymat(sa->alg.prf, sa->keys.sk_d, sa->keys.prf_len,
			     gir, girlen, ni, ni_len, nr, nr_len,
			     km, 2 * dir) < 0)
		return ike_sa_fail(sa, "KEYMAT derivation failed");
	/* c->keymat: inbound first, then outbound; "initiator" is the
	 * exchange's (RFC 7296 2.17) */
	memcpy(c->keymat, we_initiated ? r2i : i2r, dir);
	memcpy(c->keymat + dir, we_initiated ? i2r : r2i, dir);
	OPENSSL_cleanse(km, sizeof(km));
	c->enc_len = e;
	c->integ_len = a;
	return 0;
}

int ike_child_keys(struct ike_sa *sa, struct child_sa *c)
{
	return ike_child_keys_from(sa, c, sa->initiator, NULL, 0, sa->ni,
				   sa->ni_len, sa->nr, sa->nr_len);
}

struct child_sa *ike_child_by_spi_in(struct ike_sa *sa, uint32_t spi)
{
	struct child_sa *c;

	for (c = sa->children; c; c = c->next)
		if (c->spi_in == spi)
			return c;
	return NULL;
}

struct child_sa *ike_child_by_spi_out(struct ike_sa *sa, uint32_t spi)
{
	struct child_sa *c;

	for (c = sa->children; c; c = c->next)
		if (c->spi_out == spi)
			return c;
	return NULL;
}
