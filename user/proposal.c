// SPDX-License-Identifier: GPL-2.0
/*
 * Proposal strings into transform lists (proposal.h).
 *
 * The rules, each with its error (test_proposal.c proves them):
 *  - names are the table below, lower case; a name not there is refused,
 *    and so is one known but not implemented (`later`; none now);
 *  - a name written twice (or two names of one transform, x25519 and
 *    curve25519) is refused; so is a proposal given twice in a list;
 *  - every proposal has an encryption algorithm; AEAD (GCM) and non-AEAD
 *    (CBC) ciphers do not mix in one proposal (RFC 5282 section 8);
 *  - IKE, non-AEAD: an integrity algorithm is required; without a prf*
 *    name, each integrity name also gives its PRF (sha256: prfsha256);
 *  - IKE, AEAD: no integrity transform; a plain integrity name stands for
 *    its PRF (aes256gcm16-sha384-x25519 = ...-prfsha384-...), as strongSwan
 *    and libreswan read it; no PRF written at all means prfsha256;
 *  - IKE: a key exchange is required (IKE_SA_INIT carries one);
 *  - ESP: no PRF; integrity exactly as the cipher needs (required without
 *    AEAD, refused with it); a key exchange is optional and means PFS (it is
 *    used in CREATE_CHILD_SA, not in IKE_AUTH); esn / noesn choose extended
 *    sequence numbers, noesn when neither is written (RFC 7296 3.3.3: an ESP
 *    proposal always carries an ESN transform);
 *  - a second key exchange in one proposal is an RFC 9370 additional key
 *    exchange (ADDKE1, ...), allowed up to IK_MAX_ADDKE; in ESP they run
 *    with PFS, after CREATE_CHILD_SA (IKE_FOLLOWUP_KE).
 */
#include <stdio.h>
#include <string.h>

#include "proposal.h"

struct alg {
	const char *name;
	uint8_t type;			/* IKE_TT_* */
	uint16_t id;
	uint16_t keylen;		/* ENCR: bits; else 0 */
	uint16_t prf;			/* INTEG: the PRF it stands for in IKE */
	bool aead;
	bool later;			/* known, not implemented by this version */
};

/* The first entry of a transform is its canonical name (formatting). */
static const struct alg algs[] = {
	{ "aes128", IKE_TT_ENCR, IKE_ENCR_AES_CBC, 128, 0, false, false },
	{ "aes192", IKE_TT_ENCR, IKE_ENCR_AES_CBC, 192, 0, false, false },
	{ "aes256", IKE_TT_ENCR, IKE_ENCR_AES_CBC, 256, 0, false, false },
	{ "aes128gcm16", IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 128, 0, true, false },
	{ "aes192gcm16", IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 192, 0, true, false },
	{ "aes256gcm16", IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 256, 0, true, false },

	{ "sha256", IKE_TT_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0,
	  IKE_PRF_HMAC_SHA2_256, false, false },
	{ "sha384", IKE_TT_INTEG, IKE_INTEG_HMAC_SHA2_384_192, 0,
	  IKE_PRF_HMAC_SHA2_384, false, false },
	{ "sha512", IKE_TT_INTEG, IKE_INTEG_HMAC_SHA2_512_256, 0,
	  IKE_PRF_HMAC_SHA2_512, false, false },

	{ "prfsha256", IKE_TT_PRF, IKE_PRF_HMAC_SHA2_256, 0, 0, false, false },
	{ "prfsha384", IKE_TT_PRF, IKE_PRF_HMAC_SHA2_384, 0, 0, false, false },
	{ "prfsha512", IKE_TT_PRF, IKE_PRF_HMAC_SHA2_512, 0, 0, false, false },

	{ "x25519", IKE_TT_KE, IKE_KE_X25519, 0, 0, false, false },
	{ "curve25519", IKE_TT_KE, IKE_KE_X25519, 0, 0, false, false },
	{ "ecp256", IKE_TT_KE, IKE_KE_ECP256, 0, 0, false, false },
	{ "ecp384", IKE_TT_KE, IKE_KE_ECP384, 0, 0, false, false },
	{ "modp2048", IKE_TT_KE, IKE_KE_MODP2048, 0, 0, false, false },
	{ "modp3072", IKE_TT_KE, IKE_KE_MODP3072, 0, 0, false, false },
	{ "mlkem512", IKE_TT_KE, IKE_KE_MLKEM512, 0, 0, false, false },
	{ "mlkem768", IKE_TT_KE, IKE_KE_MLKEM768, 0, 0, false, false },
	{ "mlkem1024", IKE_TT_KE, IKE_KE_MLKEM1024, 0, 0, false, false },

	{ "esn", IKE_TT_ESN, IKE_ESN_YES, 0, 0, false, false },
	{ "noesn", IKE_TT_ESN, IKE_ESN_NO, 0, 0, false, false },
};

#define N_ALGS (sizeof(algs) / sizeof(algs[0]))

static const struct alg *alg_by_name(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < N_ALGS; i++)
		if (strlen(algs[i].name) == len &&
		    memcmp(algs[i].name, s, len) == 0)
			return &algs[i];
	return NULL;
}

/* ADDKE transforms are named as key exchanges. */
static const struct alg *alg_by_id(uint8_t type, uint16_t id, uint16_t keylen)
{
	size_t i;

	if (type >= IKE_TT_ADDKE1 && type <= IKE_TT_ADDKE7)
		type = IKE_TT_KE;
	for (i = 0; i < N_ALGS; i++)
		if (algs[i].type == type && algs[i].id == id &&
		    algs[i].keylen == keylen)
			return &algs[i];
	return NULL;
}

static bool same_transform(const struct alg *a, const struct alg *b)
{
	return a->type == b->type && a->id == b->id && a->keylen == b->keylen;
}

/* The names of one proposal, sorted into their types. */
struct picked {
	const struct alg *encr[IKE_MAX_TRANSFORMS];
	const struct alg *integ[IKE_MAX_TRANSFORMS];
	const struct alg *prf[IKE_MAX_TRANSFORMS];
	const struct alg *ke[IKE_MAX_TRANSFORMS];
	const struct alg *esn[IKE_MAX_TRANSFORMS];
	unsigned n_encr, n_integ, n_prf, n_ke, n_esn, n_total;
};

static void add(struct ik_proposal *p, uint8_t type, const struct alg *a)
{
	struct ike_transform *t = &p->t[p->n++];

	t->type = type;
	t->id = a->id;
	t->keylen = a->keylen;
}

/* Sort the name tok (len bytes) of proposal P into pk, or say why not. */
static int pick(struct picked *pk, uint8_t protocol, const char *tok,
		size_t len, const char *P, char *err, size_t errlen)
{
	const struct alg *a, **list;
	unsigned *n, i;

	if (len == 0) {
		snprintf(err, errlen, "empty algorithm name in '%s'", P);
		return -1;
	}
	a = alg_by_name(tok, len);
	if (!a) {
		snprintf(err, errlen, "unknown algorithm '%.*s' in '%s'",
			 (int)(len < 40 ? len : 40), tok, P);
		return -1;
	}
	if (a->later) {
		snprintf(err, errlen,
			 "'%s' in '%s' is not supported by this version",
			 a->name, P);
		return -1;
	}
	if (protocol == IKE_PROTO_ESP && a->type == IKE_TT_PRF) {
		snprintf(err, errlen,
			 "'%s' in '%s': ESP proposals take no PRF", a->name, P);
		return -1;
	}
	if (protocol == IKE_PROTO_IKE && a->type == IKE_TT_ESN) {
		snprintf(err, errlen,
			 "'%s' in '%s': extended sequence numbers are for ESP proposals",
			 a->name, P);
		return -1;
	}
	if (pk->n_total == IKE_MAX_TRANSFORMS) {
		snprintf(err, errlen, "more than %d algorithms in '%s'",
			 IKE_MAX_TRANSFORMS, P);
		return -1;
	}
	switch (a->type) {
	case IKE_TT_ENCR:
		list = pk->encr, n = &pk->n_encr;
		break;
	case IKE_TT_INTEG:
		list = pk->integ, n = &pk->n_integ;
		break;
	case IKE_TT_PRF:
		list = pk->prf, n = &pk->n_prf;
		break;
	case IKE_TT_KE:
		list = pk->ke, n = &pk->n_ke;
		break;
	default:
		list = pk->esn, n = &pk->n_esn;
		break;
	}
	for (i = 0; i < *n; i++) {
		if (!same_transform(list[i], a))
			continue;
		if (list[i] == a)
			snprintf(err, errlen, "'%s' appears twice in '%s'",
				 a->name, P);
		else
			snprintf(err, errlen, "'%s' repeats '%s' in '%s'",
				 a->name, list[i]->name, P);
		return -1;
	}
	list[(*n)++] = a;
	pk->n_total++;
	return 0;
}

/* The picked names of proposal P into transforms, by the rules above. */
static int build(const struct picked *pk, uint8_t protocol, const char *P,
		 struct ik_proposal *p, char *err, size_t errlen)
{
	static const struct alg default_prf = {
		"prfsha256", IKE_TT_PRF, IKE_PRF_HMAC_SHA2_256, 0, 0, false,
		false
	};
	const struct alg *aead = NULL, *plain = NULL;
	bool integ_as_prf = false;
	unsigned i;

	for (i = 0; i < pk->n_encr; i++) {
		if (pk->encr[i]->aead && !aead)
			aead = pk->encr[i];
		if (!pk->encr[i]->aead && !plain)
			plain = pk->encr[i];
	}
	if (!aead && !plain) {
		snprintf(err, errlen, "'%s' has no encryption algorithm", P);
		return -1;
	}
	if (aead && plain) {
		snprintf(err, errlen,
			 "'%s' mixes AEAD ('%s') and non-AEAD ('%s') ciphers",
			 P, aead->name, plain->name);
		return -1;
	}
	if (aead && pk->n_integ &&
	    (protocol == IKE_PROTO_ESP || pk->n_prf)) {
		snprintf(err, errlen,
			 "'%s': '%s' is an integrity algorithm, which AEAD ciphers do not take",
			 P, pk->integ[0]->name);
		return -1;
	}
	if (!aead && !pk->n_integ) {
		snprintf(err, errlen,
			 "'%s' has no integrity algorithm (e.g. sha256)", P);
		return -1;
	}
	if (protocol == IKE_PROTO_IKE && !pk->n_ke) {
		snprintf(err, errlen,
			 "'%s' has no key exchange (e.g. x25519)", P);
		return -1;
	}
	if (pk->n_ke > 1 + IK_MAX_ADDKE) {
		snprintf(err, errlen,
			 "'%s': '%s' would be an eighth additional key exchange; RFC 9370 allows seven",
			 P, pk->ke[1 + IK_MAX_ADDKE]->name);
		return -1;
	}

	memset(p, 0, sizeof(*p));
	p->protocol = protocol;
	for (i = 0; i < pk->n_encr; i++)
		add(p, IKE_TT_ENCR, pk->encr[i]);
	if (protocol == IKE_PROTO_IKE) {
		/* PRFs: as written, else from the integrity names, else default */
		integ_as_prf = !pk->n_prf && pk->n_integ;
		for (i = 0; i < pk->n_prf; i++)
			add(p, IKE_TT_PRF, pk->prf[i]);
		for (i = 0; integ_as_prf && i < pk->n_integ; i++)
			add(p, IKE_TT_PRF, alg_by_id(IKE_TT_PRF,
						     pk->integ[i]->prf, 0));
		if (!pk->n_prf && !pk->n_integ)
			add(p, IKE_TT_PRF, &default_prf);
	}
	for (i = 0; !aead && i < pk->n_integ; i++)
		add(p, IKE_TT_INTEG, pk->integ[i]);
	if (pk->n_ke)
		add(p, IKE_TT_KE, pk->ke[0]);
	for (i = 0; i < pk->n_esn; i++)
		add(p, IKE_TT_ESN, pk->esn[i]);
	if (protocol == IKE_PROTO_ESP && !pk->n_esn)
		add(p, IKE_TT_ESN, alg_by_id(IKE_TT_ESN, IKE_ESN_NO, 0));
	for (i = 1; i < pk->n_ke; i++)
		add(p, IKE_TT_ADDKE1 + i - 1, pk->ke[i]);
	return 0;
}

static bool proposal_equal(const struct ik_proposal *a,
			   const struct ik_proposal *b)
{
	unsigned i;

	if (a->protocol != b->protocol || a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (a->t[i].type != b->t[i].type || a->t[i].id != b->t[i].id ||
		    a->t[i].keylen != b->t[i].keylen)
			return false;
	return true;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* One proposal: P is its text (NUL-terminated, trimmed). */
static int parse_one(const char *P, uint8_t protocol, struct ik_proposal *p,
		     char *err, size_t errlen)
{
	struct picked pk;
	const char *tok = P, *dash;

	memset(&pk, 0, sizeof(pk));
	for (;;) {
		dash = strchr(tok, '-');
		if (pick(&pk, protocol, tok, dash ? (size_t)(dash - tok)
						  : strlen(tok),
			 P, err, errlen))
			return -1;
		if (!dash)
			break;
		tok = dash + 1;
	}
	return build(&pk, protocol, P, p, err, errlen);
}

int ik_proposals_parse(struct ik_proposals *out, uint8_t protocol,
		       const char *s, char *err, size_t errlen)
{
	struct ik_proposals res = *out;
	char P[256];
	const char *start = s, *end, *comma;
	size_t len;
	unsigned i;

	if (protocol != IKE_PROTO_IKE && protocol != IKE_PROTO_ESP) {
		snprintf(err, errlen, "protocol %u has no proposals", protocol);
		return -1;
	}
	while (is_blank(*start))
		start++;
	if (!*start) {
		snprintf(err, errlen, "empty proposal list");
		return -1;
	}
	for (;;) {
		comma = strchr(start, ',');
		end = comma ? comma : start + strlen(start);
		while (start < end && is_blank(*start))
			start++;
		while (end > start && is_blank(end[-1]))
			end--;
		len = (size_t)(end - start);
		if (len == 0) {
			snprintf(err, errlen, "empty proposal in '%s'", s);
			return -1;
		}
		if (len >= sizeof(P)) {
			snprintf(err, errlen, "proposal '%.40s...' is too long",
				 start);
			return -1;
		}
		memcpy(P, start, len);
		P[len] = '\0';
		if (res.n == IKE_MAX_PROPOSALS) {
			snprintf(err, errlen, "more than %d proposals",
				 IKE_MAX_PROPOSALS);
			return -1;
		}
		if (parse_one(P, protocol, &res.p[res.n], err, errlen))
			return -1;
		for (i = 0; i < res.n; i++) {
			if (proposal_equal(&res.p[i], &res.p[res.n])) {
				snprintf(err, errlen,
					 "'%s' repeats proposal %u", P, i + 1);
				return -1;
			}
		}
		res.n++;
		if (!comma)
			break;
		start = comma + 1;
	}
	*out = res;
	return 0;
}

int ik_proposal_format(const struct ik_proposal *p, char *buf, size_t size)
{
	/* Conventional order: cipher, integrity, PRF, key exchanges, ESN */
	static const uint8_t order[] = {
		IKE_TT_ENCR, IKE_TT_INTEG, IKE_TT_PRF, IKE_TT_KE,
		IKE_TT_ADDKE1, IKE_TT_ADDKE1 + 1, IKE_TT_ADDKE1 + 2,
		IKE_TT_ADDKE1 + 3, IKE_TT_ADDKE1 + 4, IKE_TT_ADDKE1 + 5,
		IKE_TT_ADDKE7, IKE_TT_ESN,
	};
	size_t o, len = 0;
	unsigned i;
	int r;

	if (size)
		buf[0] = '\0';
	for (o = 0; o < sizeof(order); o++) {
		for (i = 0; i < p->n; i++) {
			const struct ike_transform *t = &p->t[i];
			const struct alg *a;
			char *dst = len < size ? buf + len : NULL;
			size_t room = len < size ? size - len : 0;

			if (t->type != order[o])
				continue;
			a = alg_by_id(t->type, t->id, t->keylen);
			if (a)
				r = snprintf(dst, room, "%s%s",
					     len ? "-" : "", a->name);
			else
				r = snprintf(dst, room, "%stype%u:%u",
					     len ? "-" : "", t->type, t->id);
			if (r < 0)
				return r;
			len += (size_t)r;
		}
	}
	return (int)len;
}

const struct ike_transform *ik_proposal_find(const struct ik_proposal *p,
					     uint8_t type)
{
	unsigned i;

	for (i = 0; i < p->n; i++)
		if (p->t[i].type == type)
			return &p->t[i];
	return NULL;
}

bool ik_proposals_equal(const struct ik_proposals *a,
			const struct ik_proposals *b)
{
	unsigned i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (!proposal_equal(&a->p[i], &b->p[i]))
			return false;
	return true;
}
