// SPDX-License-Identifier: GPL-2.0
/*
 * Proposal choice (RFC 7296 2.7, 3.3): see choose.h.
 */
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "ike/choose.h"

static void add_t(struct ike_proposal *p, uint8_t type, uint16_t id,
		  uint16_t keylen)
{
	if (p->n_transforms >= IKE_MAX_TRANSFORMS)
		return;
	p->t[p->n_transforms++] = (struct ike_transform){ type, id, keylen };
}

static void prop_to_wire(const struct ike_prop *q, uint8_t protocol,
			 bool with_ke, struct ike_proposal *p)
{
	int i;

	p->n_transforms = 0;
	add_t(p, IKE_TT_ENCR, q->encr, q->keybits);
	if (protocol == IKE_PROTO_IKE)
		add_t(p, IKE_TT_PRF, q->prf, 0);
	if (q->integ)
		add_t(p, IKE_TT_INTEG, q->integ, 0);
	if (q->ke && with_ke)
		add_t(p, IKE_TT_KE, q->ke, 0);
	for (i = 0; with_ke && i < IKE_MAX_ADDKE && q->addke[i]; i++)
		add_t(p, IKE_TT_ADDKE1 + i, q->addke[i], 0);
	if (protocol == IKE_PROTO_ESP)
		add_t(p, IKE_TT_ESN, q->esn ? IKE_ESN_YES : IKE_ESN_NO, 0);
}

static void props_to_sa(const struct ike_prop *props, int n,
			uint8_t protocol, const uint8_t *spi, uint8_t spi_size,
			bool with_ke, struct ike_sa_pl *sa)
{
	int i;

	memset(sa, 0, sizeof(*sa));
	for (i = 0; i < n && i < IKE_MAX_PROPOSALS; i++) {
		struct ike_proposal *p = &sa->p[sa->n++];

		p->num = i + 1;
		p->protocol = protocol;
		p->spi_size = spi_size;
		if (spi_size)
			memcpy(p->spi, spi, spi_size);
		prop_to_wire(&props[i], protocol, with_ke, p);
	}
}

void ike_props_to_sa(const struct ike_prop *props, int n, uint8_t protocol,
		     const uint8_t *spi, uint8_t spi_size, struct ike_sa_pl *sa)
{
	/* ESP groups go only in a CREATE_CHILD_SA with PFS (RFC 7296 1.2) */
	props_to_sa(props, n, protocol, spi, spi_size,
		    protocol == IKE_PROTO_IKE, sa);
}

void ike_props_to_sa_pfs(const struct ike_prop *props, int n,
			 const uint8_t *spi, struct ike_sa_pl *sa)
{
	props_to_sa(props, n, IKE_PROTO_ESP, spi, 4, true, sa);
}

static bool has_t(const struct ike_proposal *p, uint8_t type, uint16_t id,
		  uint16_t keylen)
{
	int i;

	for (i = 0; i < p->n_transforms; i++)
		if (p->t[i].type == type && p->t[i].id == id &&
		    p->t[i].keylen == keylen)
			return true;
	return false;
}

static bool has_type(const struct ike_proposal *p, uint8_t type)
{
	int i;

	for (i = 0; i < p->n_transforms; i++)
		if (p->t[i].type == type)
			return true;
	return false;
}

/*
 * RFC 9370: each ADDKEn of ours must be offered; an ADDKEn the peer
 * offers and we do not use is acceptable only with NONE (optional).
 */
static bool addke_ok(const struct ike_proposal *p, const struct ike_prop *q)
{
	int i;

	for (i = 0; i < IKE_MAX_ADDKE; i++) {
		uint8_t type = IKE_TT_ADDKE1 + i;

		if (q->addke[i] ? !has_t(p, type, q->addke[i], 0) :
		    has_type(p, type) && !has_t(p, type, IKE_KE_NONE, 0))
			return false;
	}
	return true;
}

/* Does the peer's proposal p offer everything our q needs? */
static bool offers(const struct ike_proposal *p, uint8_t protocol,
		   const struct ike_prop *q, bool want_ke)
{
	if (!has_t(p, IKE_TT_ENCR, q->encr, q->keybits))
		return false;
	if (protocol == IKE_PROTO_IKE && !has_t(p, IKE_TT_PRF, q->prf, 0))
		return false;
	if (q->integ) {
		if (!has_t(p, IKE_TT_INTEG, q->integ, 0))
			return false;
	} else if (has_type(p, IKE_TT_INTEG) &&
		   !has_t(p, IKE_TT_INTEG, IKE_INTEG_NONE, 0)) {
		return false;	/* AEAD with a required integrity algorithm */
	}
	/* without a KE payload (IKE_AUTH's first Child SA, a Child SA
	 * without PFS) the proposals' groups are ignored */
	if (want_ke && (!has_t(p, IKE_TT_KE, q->ke, 0) || !addke_ok(p, q)))
		return false;
	if (protocol == IKE_PROTO_ESP) {
		uint16_t esn = q->esn ? IKE_ESN_YES : IKE_ESN_NO;

		/* no ESN transform at all means "no ESN" */
		if (!has_t(p, IKE_TT_ESN, esn, 0) &&
		    (q->esn || has_type(p, IKE_TT_ESN)))
			return false;
	}
	return true;
}

static void drop_ke(struct ike_prop *p)
{
	p->ke = 0;
	memset(p->addke, 0, sizeof(p->addke));
}

static bool spi_size_ok(const struct ike_proposal *p, uint8_t protocol)
{
	return protocol == IKE_PROTO_IKE ? p->spi_size == 0 || p->spi_size == 8 :
		p->spi_size == 4;
}

int ike_choose(const struct ike_sa_pl *peer, uint8_t protocol,
	       const struct ike_prop *ours, int n, bool want_ke,
	       struct ike_prop *chosen, struct ike_proposal *reply)
{
	int i, j;

	for (i = 0; i < peer->n; i++) {
		const struct ike_proposal *p = &peer->p[i];

		if (p->protocol != protocol || !spi_size_ok(p, protocol))
			continue;
		for (j = 0; j < n; j++) {
			if (!offers(p, protocol, &ours[j], want_ke))
				continue;
			*chosen = ours[j];
			if (!want_ke)
				drop_ke(chosen);
			memset(reply, 0, sizeof(*reply));
			reply->num = p->num;
			reply->protocol = protocol;
			prop_to_wire(chosen, protocol, want_ke, reply);
			return 0;
		}
	}
	return -1;
}

int ike_check_choice(const struct ike_sa_pl *answer, uint8_t protocol,
		     const struct ike_prop *ours, int n, bool want_ke,
		     struct ike_prop *chosen, struct ike_proposal *got)
{
	const struct ike_proposal *p;
	int i, j;

	if (answer->n != 1)
		return -1;
	p = &answer->p[0];
	if (p->protocol != protocol || !spi_size_ok(p, protocol))
		return -1;
	/* one transform of each type, no more */
	for (i = 0; i < p->n_transforms; i++)
		for (j = i + 1; j < p->n_transforms; j++)
			if (p->t[i].type == p->t[j].type)
				return -1;
	for (j = 0; j < n; j++) {
		if (!offers(p, protocol, &ours[j], want_ke))
			continue;
		*chosen = ours[j];
		if (!want_ke)
			drop_ke(chosen);
		*got = *p;
		return 0;
	}
	return -1;
}

static const char *encr_name(uint16_t encr)
{
	return encr == IKE_ENCR_AES_GCM_16 ? "gcm16" : "";
}

static const char *integ_name(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA2_256_128: return "-sha256";
	case IKE_INTEG_HMAC_SHA2_384_192: return "-sha384";
	case IKE_INTEG_HMAC_SHA2_512_256: return "-sha512";
	}
	return "";
}

static const char *prf_name(uint16_t prf)
{
	switch (prf) {
	case IKE_PRF_HMAC_SHA2_256: return "-prfsha256";
	case IKE_PRF_HMAC_SHA2_384: return "-prfsha384";
	case IKE_PRF_HMAC_SHA2_512: return "-prfsha512";
	}
	return "";
}

static const char *ke_name(uint16_t ke)
{
	switch (ke) {
	case IKE_KE_MODP2048: return "-modp2048";
	case IKE_KE_MODP3072: return "-modp3072";
	case IKE_KE_ECP256: return "-ecp256";
	case IKE_KE_ECP384: return "-ecp384";
	case IKE_KE_X25519: return "-x25519";
	case IKE_KE_MLKEM512: return "-mlkem512";
	case IKE_KE_MLKEM768: return "-mlkem768";
	case IKE_KE_MLKEM1024: return "-mlkem1024";
	}
	return "";
}

const char *ike_ke_name(uint16_t ke, char *buf, size_t len)
{
	const char *n = ke_name(ke);

	if (*n)
		snprintf(buf, len, "%s", n + 1);
	else
		snprintf(buf, len, "group %u", ke);
	return buf;
}

const char *ike_prop_name(const struct ike_prop *p, bool ike, char *buf,
			  size_t len)
{
	int n, i;

	n = snprintf(buf, len, "aes%u%s%s%s%s", p->keybits,
		     encr_name(p->encr), integ_name(p->integ),
		     ike ? prf_name(p->prf) : "", ke_name(p->ke));
	for (i = 0; i < IKE_MAX_ADDKE && p->addke[i] && n >= 0 &&
	     (size_t)n < len; i++)
		n += snprintf(buf + n, len - n, "%s", ke_name(p->addke[i]));
	if (!ike && p->esn && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, "-esn");
	return buf;
}
