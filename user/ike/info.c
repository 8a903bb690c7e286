// SPDX-License-Identifier: GPL-2.0
/*
 * INFORMATIONAL (RFC 7296 1.4, 1.5): DELETE of the IKE SA and of Child
 * SAs in both directions, and the empty request that checks liveness.
 */
#include <arpa/inet.h>
#include <string.h>

#include "ike/exchange.h"

static uint32_t spi_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

/* Unlink the Child SA whose outbound SPI is spi; NULL if none. */
static struct child_sa *take_child_by_out(struct ike_sa *sa, uint32_t spi)
{
	struct child_sa **pp;

	for (pp = &sa->children; *pp; pp = &(*pp)->next) {
		struct child_sa *c = *pp;

		if (c->spi_out == spi) {
			*pp = c->next;
			c->next = NULL;
			return c;
		}
	}
	return NULL;
}

/* Unlink c from sa's Child SAs; false if it is not there. */
static bool unlink_child(struct ike_sa *sa, struct child_sa *c)
{
	struct child_sa **pp;

	for (pp = &sa->children; *pp && *pp != c; pp = &(*pp)->next)
		;
	if (!*pp)
		return false;
	*pp = c->next;
	c->next = NULL;
	return true;
}

/*
 * c leaves: when it holds the policies that a sibling of the same reqid
 * (a simultaneous rekey's other new SA, RFC 7296 2.8.1) still needs, the
 * sibling takes them over instead of their removal.
 */
static void pass_policies(struct ike_sa *sa, struct child_sa *c)
{
	struct child_sa *o;

	if (!c->owns_policies)
		return;
	for (o = sa->children; o; o = o->next) {
		if (o != c && o->reqid == c->reqid) {
			o->owns_policies = true;
			c->owns_policies = false;
			return;
		}
	}
}

/*
 * The peer deletes Child SAs by its inbound SPIs (our outbound); we answer
 * with our inbound SPIs of the same pairs (RFC 7296 1.4.1).
 */
static void delete_children(struct ike_sa *sa, const struct ike_delete_pl *d,
			    uint8_t *ours, uint16_t *n_ours,
			    struct ike_effects *fx)
{
	uint16_t i;

	/* fx->remove bounds one exchange; the peer repeats what is left */
	for (i = 0; i < d->n_spis && fx->n_remove < IKE_FX_REMOVE_MAX; i++) {
		struct child_sa *c = take_child_by_out(sa,
						spi_at(d->spis.p + 4 * i));
		uint32_t in;

		if (!c)
			continue;	/* already gone: nothing to answer */
		pass_policies(sa, c);
		in = htonl(c->spi_in);
		memcpy(ours + 4 * *n_ours, &in, 4);
		(*n_ours)++;
		fx->remove[fx->n_remove++] = c;
	}
}

static int request(struct ike_sa *sa, const struct ike_wbuf *w,
		   struct ike_effects *fx);

static int respond(struct ike_sa *sa, const struct ike_msg *m,
		   const struct ike_wbuf *w, struct ike_effects *fx)
{
	if (ike_sk_build(sa, IKE_INFORMATIONAL, true, m->hdr.msgid, w,
			 &sa->resp))
		return ike_sa_fail(sa, "cannot build INFORMATIONAL response");
	fx->send = &sa->resp;
	return 0;
}

int ike_info_request(struct ike_sa *sa, const struct ike_msg *m,
		     struct ike_effects *fx)
{
	uint8_t buf[IKE_MAX_MSG], ours[IKE_FX_REMOVE_MAX * 4];
	struct ike_wbuf w;
	uint16_t n_ours = 0;
	int i;

	ike_w_init(&w, buf, sizeof(buf));
	for (i = 0; i < m->n_deletes; i++) {
		const struct ike_delete_pl *d = &m->deletes[i];

		if (d->protocol == IKE_PROTO_IKE) {
			/* the IKE SA and all its children go (1.4.1), but
			 * to the peer's rekey's new SA if one waited on
			 * ours (2.8.2), whose answer may still be due */
			if (ike_rekey_peer_deletes(sa, fx)) {
				ike_sa_fail(sa, "peer deleted the IKE SA, "
					    "its rekey took over; ours waits "
					    "for its answer");
				return respond(sa, m, &w, fx);
			}
			fx->dead = true;
			ike_sa_fail(sa, "peer deleted the IKE SA");
			return respond(sa, m, &w, fx);
		}
		if (d->protocol == IKE_PROTO_ESP && d->spi_size == 4)
			delete_children(sa, d, ours, &n_ours, fx);
	}
	if (n_ours)
		ike_w_delete(&w, IKE_PROTO_ESP, 4, ours, n_ours);
	return respond(sa, m, &w, fx);
}

int ike_info_response(struct ike_sa *sa, const struct ike_msg *m,
		      struct ike_effects *fx)
{
	int i;

	(void)m;
	sa->req.len = 0;
	if (sa->state == IKE_S_DELETING) {
		fx->dead = true;
		ike_sa_fail(sa, "IKE SA deleted");
		return 0;
	}
	/* the Child SAs our DELETE named are gone on both sides now */
	for (i = 0; i < sa->n_deleting; i++) {
		struct child_sa *c = ike_child_by_spi_in(sa, sa->deleting[i]);

		if (!c || fx->n_remove >= IKE_FX_REMOVE_MAX ||
		    !unlink_child(sa, c))
			continue;
		pass_policies(sa, c);
		fx->remove[fx->n_remove++] = c;
	}
	sa->n_deleting = 0;
	return ike_info_flush_deletes(sa, fx) < 0 ? -1 : 0;
}

int ike_info_flush_deletes(struct ike_sa *sa, struct ike_effects *fx)
{
	uint8_t buf[IKE_FX_REMOVE_MAX * 4 + 64], spis[IKE_FX_REMOVE_MAX * 4];
	struct ike_wbuf w;
	int i;

	if (sa->req.len || !sa->n_to_delete || sa->state != IKE_S_ESTABLISHED)
		return 0;
	for (i = 0; i < sa->n_to_delete; i++) {
		ike_spi32_put(spis + 4 * i, sa->to_delete[i]);
		sa->deleting[i] = sa->to_delete[i];
	}
	ike_w_init(&w, buf, sizeof(buf));
	ike_w_delete(&w, IKE_PROTO_ESP, 4, spis, sa->n_to_delete);
	sa->n_deleting = sa->n_to_delete;
	sa->n_to_delete = 0;
	if (request(sa, &w, fx))
		return -1;
	return 1;
}

int ike_info_child_failed(struct ike_sa *sa, struct child_sa *c,
			  struct ike_effects *fx)
{
	if (fx->n_remove >= IKE_FX_REMOVE_MAX || !unlink_child(sa, c))
		return -1;
	pass_policies(sa, c);	/* back to the pair it was to replace */
	if (sa->n_to_delete < IKE_FX_REMOVE_MAX)
		sa->to_delete[sa->n_to_delete++] = c->spi_in;
	fx->remove[fx->n_remove++] = c;
	return ike_info_flush_deletes(sa, fx) < 0 ? -1 : 0;
}

static int request(struct ike_sa *sa, const struct ike_wbuf *w,
		   struct ike_effects *fx)
{
	if (ike_sk_build(sa, IKE_INFORMATIONAL, false, sa->next_msgid, w,
			 &sa->req))
		return ike_sa_fail(sa, "cannot build INFORMATIONAL request");
	sa->next_msgid++;
	sa->tries = 0;
	fx->send = &sa->req;
	return 0;
}

int ike_info_delete_ike(struct ike_sa *sa, struct ike_effects *fx)
{
	uint8_t buf[64];
	struct ike_wbuf w;

	ike_w_init(&w, buf, sizeof(buf));
	ike_w_delete(&w, IKE_PROTO_IKE, 0, NULL, 0);
	if (request(sa, &w, fx))
		return -1;
	sa->state = IKE_S_DELETING;
	return 0;
}

int ike_info_liveness(struct ike_sa *sa, struct ike_effects *fx)
{
	struct ike_wbuf w;
	uint8_t buf[8];

	ike_w_init(&w, buf, sizeof(buf));
	return request(sa, &w, fx);
}

int ike_reply_error(struct ike_sa *sa, const struct ike_msg *m, uint16_t type,
		    struct ike_effects *fx)
{
	uint8_t buf[64];
	struct ike_wbuf w;

	ike_w_init(&w, buf, sizeof(buf));
	ike_w_notify(&w, 0, NULL, 0, type, NULL, 0);
	if (ike_sk_build(sa, m->hdr.exchange, true, m->hdr.msgid, &w,
			 &sa->resp))
		return ike_sa_fail(sa, "cannot build error response");
	fx->send = &sa->resp;
	return 0;
}
