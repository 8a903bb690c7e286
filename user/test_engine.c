// SPDX-License-Identifier: GPL-2.0
/*
 * The IKE engine against itself, in one process: an initiator and a
 * responder engine pass their messages through the same parser, crypto and
 * exchanges a network would.  Proves the message flow and the key
 * agreement (each side's outbound ESP keys are the other's inbound), and
 * the refusals: wrong PSK, no common proposal, a KE group the responder
 * does not want first, a replayed or forged message.
 *
 * What this cannot prove (both ends share any misreading of the RFC) is
 * for the interop tests against libreswan and strongSwan in the VM.
 */
#include <arpa/inet.h>
#include <string.h>

#include "ike/engine.h"
#include "ktap.h"

struct side {
	struct ike_engine e;
	struct ike_conn_params conn;
	struct sockaddr_storage addr;
	/* where the other side sees it from (a NAT); family 0: addr */
	struct sockaddr_storage seen_as;
	struct ike_sa *sa;
	int installed, removed;
	struct child_sa *child;
	struct ike_sa *rekeyed;		/* the new SA of an IKE SA rekey */
	struct ike_sa *redundant;	/* 2.8.2: the other one */
	bool dead_seen;
	bool initial_contact_seen;	/* in the peer's IKE_AUTH */
	struct ike_sa *dead[8];		/* SAs the daemon would have dropped */
	int n_dead;
	/* the kernel refuses this side's Child SAs: the DELETE that follows */
	bool fail_install;
	struct ike_out *queued;
	int removed_owning;		/* removed with their policies */
	char why[256];
};

static struct side I, R;

static const struct ike_conn_params *find_conn(void *ctx,
		const struct sockaddr_storage *local,
		const struct sockaddr_storage *remote)
{
	(void)local;
	(void)remote;
	return &((struct side *)ctx)->conn;
}

static void set_addr(struct sockaddr_storage *ss, const char *ip, int port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	inet_pton(AF_INET, ip, &s4->sin_addr);
}

static void ts_range(struct ike_ts_pl *ts, const char *lo, const char *hi)
{
	memset(ts, 0, sizeof(*ts));
	ts->n = 1;
	ts->ts[0].type = IKE_TS_IPV4_ADDR_RANGE;
	ts->ts[0].end_port = 65535;
	inet_pton(AF_INET, lo, ts->ts[0].start);
	inet_pton(AF_INET, hi, ts->ts[0].end);
}

static void conn_default(struct ike_conn_params *c, const char *me,
			 const char *peer, const char *psk)
{
	memset(c, 0, sizeof(*c));
	c->name = "test";
	c->local_id.type = IKE_ID_FQDN;
	c->local_id.len = strlen(me);
	memcpy(c->local_id.data, me, c->local_id.len);
	c->remote_id.type = IKE_ID_FQDN;
	c->remote_id.len = strlen(peer);
	memcpy(c->remote_id.data, peer, c->remote_id.len);
	c->psk = (const uint8_t *)psk;
	c->psk_len = strlen(psk);
	c->n_ike = 1;
	c->ike[0] = (struct ike_prop){ .encr = IKE_ENCR_AES_GCM_16,
		.keybits = 256, .prf = IKE_PRF_HMAC_SHA2_256,
		.ke = IKE_KE_X25519 };
	c->n_esp = 1;
	c->esp[0] = (struct ike_prop){ .encr = IKE_ENCR_AES_GCM_16,
		.keybits = 256 };
}

static void setup(void)
{
	ike_engine_init(&I.e);
	ike_engine_init(&R.e);
	R.e.find_conn = find_conn;
	R.e.ctx = &R;
	set_addr(&I.addr, "192.0.2.1", 500);
	set_addr(&R.addr, "192.0.2.2", 500);
	conn_default(&I.conn, "left.example", "right.example", "s3cret");
	conn_default(&R.conn, "right.example", "left.example", "s3cret");
	ts_range(&I.conn.ts_local, "10.1.0.0", "10.1.255.255");
	ts_range(&I.conn.ts_remote, "10.2.0.0", "10.2.255.255");
	ts_range(&R.conn.ts_local, "10.2.0.0", "10.2.255.255");
	ts_range(&R.conn.ts_remote, "10.1.0.0", "10.1.255.255");
}

/* What a side does with effects: record installs/removes, free removed. */
static void apply(struct side *s, const struct ike_effects *fx)
{
	int i;

	s->installed += fx->n_install;
	if (fx->n_install)
		s->child = fx->install[0];
	for (i = 0; i < fx->n_remove; i++) {
		if (fx->remove[i] == s->child)
			s->child = NULL;
		s->removed_owning += fx->remove[i]->owns_policies;
		child_sa_free(fx->remove[i]);
		s->removed++;
	}
}

/* What the daemon does when the kernel refuses the new Child SAs: the
 * engine deletes them with the peer (that DELETE waits in s->queued). */
static void refuse_installs(struct side *s, struct ike_sa *sa,
			    struct ike_effects *fx)
{
	struct ike_effects del = { 0 };
	int i;

	for (i = 0; i < fx->n_install; i++)
		CHECK(ike_info_child_failed(sa, fx->install[i], &del) == 0);
	fx->n_install = 0;
	apply(s, &del);
	s->queued = del.send;
}

/* Deliver `out` from one side to the other; returns the answer, if any. */
static struct ike_out *deliver(struct side *from, struct side *to,
			       const struct ike_out *out)
{
	static uint8_t copy[IKE_MAX_MSG];
	struct ike_effects fx;
	struct ike_sa *sa;

	memcpy(copy, out->buf, out->len);
	sa = ike_engine_input(&to->e, copy, out->len, &to->addr,
			      from->seen_as.ss_family ? &from->seen_as :
			      &from->addr, &fx, to->why, sizeof(to->why));
	if (sa)
		to->sa = sa;
	to->initial_contact_seen |= fx.initial_contact;
	if (fx.rekeyed) {
		ike_engine_adopt(&to->e, fx.rekeyed);
		to->rekeyed = fx.rekeyed;
	}
	if (fx.redundant) {
		ike_engine_adopt(&to->e, fx.redundant);
		to->redundant = fx.redundant;
	}
	if (to->fail_install && sa && fx.n_install)
		refuse_installs(to, sa, &fx);
	apply(to, &fx);
	if (fx.dead && sa) {	/* the daemon would drop it now */
		to->dead_seen = true;
		if (to->n_dead < 8)
			to->dead[to->n_dead++] = sa;
	}
	if (fx.send_after)	/* the daemon sends it after the answer */
		to->queued = fx.send_after;
	if (to->why[0])
		printf("# %s: %s\n", to == &I ? "initiator" : "responder",
		       to->why);
	return fx.send;
}

/* Run the exchanges until nobody has anything to send. */
static void converse_from(struct side *start, struct ike_out *first)
{
	struct ike_out *out = first;
	struct side *from = start, *to = start == &I ? &R : &I, *tmp;
	int rounds = 0;

	while (out && rounds++ < 20) {
		out = deliver(from, to, out);
		tmp = from;
		from = to;
		to = tmp;
	}
	CHECK(rounds < 20);
}

static void converse(struct ike_out *first)
{
	converse_from(&I, first);
}

static struct ike_out *initiate(void)
{
	struct ike_effects fx;

	I.sa = ike_engine_initiate(&I.e, &I.conn, &I.addr, &R.addr, &fx,
				   I.why, sizeof(I.why));
	return I.sa ? fx.send : NULL;
}

static void teardown(void)
{
	if (I.child && I.child != R.child)
		I.child = NULL;
	ike_engine_destroy(&I.e);
	ike_engine_destroy(&R.e);
}

/* teardown(), and both sides wiped for a test that reads their flags */
static void teardown_all(void)
{
	teardown();
	memset(&I, 0, sizeof(I));
	memset(&R, 0, sizeof(R));
}

static bool keys_mirror(const struct child_sa *a, const struct child_sa *b)
{
	size_t dir = a->enc_len + a->integ_len;

	return dir && a->spi_in == b->spi_out && a->spi_out == b->spi_in &&
	       !memcmp(a->keymat, b->keymat + dir, dir) &&
	       !memcmp(a->keymat + dir, b->keymat, dir);
}

static void psk_handshake_establishes_both_sides(void)
{
	setup();
	converse(initiate());
	CHECK(I.sa && I.sa->state == IKE_S_ESTABLISHED);
	CHECK(R.sa && R.sa->state == IKE_S_ESTABLISHED);
	CHECK(I.installed == 1 && R.installed == 1);
	CHECK(I.child && R.child && keys_mirror(I.child, R.child));
	CHECK(I.child && I.child->enc_len == 36 && I.child->integ_len == 0);
	CHECK(I.sa && R.sa && I.sa->spi_i == R.sa->spi_i &&
	      I.sa->spi_r == R.sa->spi_r && I.sa->spi_r != 0);
	teardown();
}

static void cbc_hmac_and_ecp256_agree(void)
{
	struct ike_prop ike = { .encr = IKE_ENCR_AES_CBC, .keybits = 128,
		.integ = IKE_INTEG_HMAC_SHA2_256_128,
		.prf = IKE_PRF_HMAC_SHA2_256, .ke = IKE_KE_ECP256 };
	struct ike_prop esp = { .encr = IKE_ENCR_AES_CBC, .keybits = 256,
		.integ = IKE_INTEG_HMAC_SHA2_256_128, .esn = true };

	setup();
	I.conn.ike[0] = R.conn.ike[0] = ike;
	I.conn.esp[0] = R.conn.esp[0] = esp;
	converse(initiate());
	CHECK(I.installed == 1 && R.installed == 1);
	CHECK(I.child && R.child && keys_mirror(I.child, R.child));
	CHECK(I.child && I.child->enc_len == 32 && I.child->integ_len == 32);
	CHECK(I.child && I.child->alg.esn);
	teardown();
}

static void wrong_psk_fails_authentication(void)
{
	setup();
	R.conn.psk = (const uint8_t *)"other";
	R.conn.psk_len = 5;
	converse(initiate());
	CHECK(I.installed == 0 && R.installed == 0);
	CHECK(strstr(R.why, "AUTH") != NULL);
	CHECK(strstr(I.why, "AUTHENTICATION_FAILED") != NULL ||
	      strstr(I.why, "refused") != NULL);
	teardown();
}

static void no_common_proposal_is_refused_statelessly(void)
{
	setup();
	R.conn.ike[0].encr = IKE_ENCR_AES_CBC;
	R.conn.ike[0].integ = IKE_INTEG_HMAC_SHA2_256_128;
	converse(initiate());
	CHECK(R.e.table.count == 0);
	CHECK(strstr(I.why, "NO_PROPOSAL_CHOSEN") != NULL);
	teardown();
}

static void invalid_ke_round_trip_retries_with_the_wanted_group(void)
{
	setup();
	/* initiator offers ecp256 first (and its KE), then x25519 */
	I.conn.n_ike = 2;
	I.conn.ike[1] = I.conn.ike[0];
	I.conn.ike[0].ke = IKE_KE_ECP256;
	/* responder takes x25519 only */
	converse(initiate());
	CHECK(I.sa && I.sa->state == IKE_S_ESTABLISHED);
	CHECK(I.sa && I.sa->alg.ke == IKE_KE_X25519);
	CHECK(I.installed == 1 && R.installed == 1);
	teardown();
}

static void traffic_selectors_are_narrowed(void)
{
	setup();
	ts_range(&R.conn.ts_local, "10.2.1.0", "10.2.1.255");
	converse(initiate());
	CHECK(I.child && R.child);
	if (I.child) {
		uint8_t want[4];

		inet_pton(AF_INET, "10.2.1.0", want);
		CHECK(!memcmp(I.child->ts_remote.ts[0].start, want, 4));
	}
	teardown();
}

static void disjoint_selectors_leave_the_ike_sa_without_child(void)
{
	setup();
	ts_range(&R.conn.ts_local, "10.9.0.0", "10.9.0.255");
	converse(initiate());
	CHECK(I.sa && I.sa->state == IKE_S_ESTABLISHED);
	CHECK(I.installed == 0 && R.installed == 0);
	CHECK(strstr(I.why, "TS_UNACCEPTABLE") != NULL);
	teardown();
}

static void retransmitted_request_gets_the_cached_response(void)
{
	struct ike_out *req, *resp1, *resp2;
	uint8_t first[IKE_MAX_MSG];
	size_t len;

	setup();
	req = initiate();
	CHECK(req != NULL);
	if (!req)
		return;
	resp1 = deliver(&I, &R, req);
	CHECK(resp1 != NULL);
	if (!resp1)
		return;
	len = resp1->len;
	memcpy(first, resp1->buf, len);
	resp2 = deliver(&I, &R, req);	/* the same IKE_SA_INIT again */
	CHECK(resp2 && resp2->len == len && !memcmp(resp2->buf, first, len));
	CHECK(R.e.table.count == 1);
	teardown();
}

static void forged_message_changes_nothing(void)
{
	struct ike_effects fx;
	struct ike_out *auth;
	uint8_t copy[IKE_MAX_MSG];
	struct ike_sa *sa;

	setup();
	auth = deliver(&R, &I, deliver(&I, &R, initiate()));
	CHECK(auth != NULL);
	if (!auth)
		return;
	memcpy(copy, auth->buf, auth->len);
	copy[auth->len - 1] ^= 1;	/* last ICV byte */
	sa = ike_engine_input(&R.e, copy, auth->len, &R.addr, &I.addr, &fx,
			      R.why, sizeof(R.why));
	CHECK(sa && sa->state == IKE_S_INIT_DONE && !fx.send);
	CHECK(sa && sa->peer_msgid == 1);
	/* the genuine one still works */
	converse(auth);
	CHECK(R.sa && R.sa->state == IKE_S_ESTABLISHED);
	teardown();
}

static void delete_of_ike_sa_ends_both(void)
{
	struct ike_effects fx;

	setup();
	converse(initiate());
	CHECK(I.sa && I.sa->state == IKE_S_ESTABLISHED);
	if (!I.sa)
		return;
	memset(&fx, 0, sizeof(fx));
	CHECK(ike_info_delete_ike(I.sa, &fx) == 0);
	{
		struct ike_out *resp = deliver(&I, &R, fx.send);
		struct ike_effects fx2;
		uint8_t copy[IKE_MAX_MSG];

		CHECK(resp != NULL);
		CHECK(R.sa->state == IKE_S_ESTABLISHED);
		if (!resp)
			return;
		memcpy(copy, resp->buf, resp->len);
		ike_engine_input(&I.e, copy, resp->len, &I.addr, &R.addr, &fx2,
				 I.why, sizeof(I.why));
		CHECK(fx2.dead);
	}
	teardown();
}

static void unknown_spi_and_garbage_create_nothing(void)
{
	struct ike_effects fx;
	uint8_t junk[100] = { 0 };
	char why[256];

	setup();
	CHECK(!ike_engine_input(&R.e, junk, sizeof(junk), &R.addr, &I.addr,
				&fx, why, sizeof(why)));
	CHECK(!fx.send && R.e.table.count == 0);
	teardown();
}

/* Count a side's Child SAs. */
static int n_children(const struct ike_sa *sa)
{
	const struct child_sa *c;
	int n = 0;

	for (c = sa ? sa->children : NULL; c; c = c->next)
		n++;
	return n;
}

/* Rekey I's Child SA from I; returns the new pair through I/R.child. */
static void rekey_from_initiator(void)
{
	struct ike_effects fx = { 0 };
	struct child_sa *old = I.child;

	CHECK(ike_create_child(I.sa, old, &fx) == 0 && fx.send);
	if (fx.send)
		converse_from(&I, fx.send);
}

/* An IKE SA pair (after its rekey) works: a Child SA rekey on it. */
static void child_rekey_on(struct ike_sa *si, struct ike_sa *sr)
{
	I.sa = si;
	R.sa = sr;
	I.child = si->children;
	rekey_from_initiator();
	CHECK(n_children(si) == 1 && n_children(sr) == 1 &&
	      keys_mirror(si->children, sr->children));
}

static void child_rekey_replaces_the_pair(void)
{
	uint32_t old_in, old_out;

	setup();
	converse(initiate());
	CHECK(I.child && R.child);
	if (!I.child)
		return;
	old_in = I.child->spi_in;
	old_out = I.child->spi_out;
	rekey_from_initiator();
	CHECK(I.installed == 2 && R.installed == 2);
	CHECK(I.removed == 1 && R.removed == 1);
	CHECK(n_children(I.sa) == 1 && n_children(R.sa) == 1);
	CHECK(I.sa && I.sa->children && keys_mirror(I.sa->children,
						     R.sa->children));
	CHECK(I.sa && I.sa->children && I.sa->children->spi_in != old_in &&
	      I.sa->children->spi_out != old_out);
	CHECK(I.sa && I.sa->children && I.sa->children->owns_policies);
	teardown();
}

static void child_rekey_with_pfs_and_a_group_retry(void)
{
	setup();
	/* PFS: I offers ecp256 first, R takes x25519 only */
	I.conn.n_esp = 2;
	I.conn.esp[1] = I.conn.esp[0];
	I.conn.esp[0].ke = IKE_KE_ECP256;
	I.conn.esp[1].ke = IKE_KE_X25519;
	R.conn.esp[0].ke = IKE_KE_X25519;
	converse(initiate());
	CHECK(I.child && R.child);
	if (!I.child)
		return;
	rekey_from_initiator();
	CHECK(I.installed == 2 && R.installed == 2);
	CHECK(n_children(I.sa) == 1 && n_children(R.sa) == 1);
	CHECK(I.sa && I.sa->children && I.sa->children->alg.ke == IKE_KE_X25519);
	CHECK(I.sa && I.sa->children && keys_mirror(I.sa->children,
						     R.sa->children));
	teardown();
}

static void rekey_of_an_unknown_child_is_refused(void)
{
	struct ike_effects fx = { 0 };
	struct child_sa fake = { 0 };

	setup();
	converse(initiate());
	fake.spi_in = 0x12345678;
	fake.ts_local = I.conn.ts_local;
	fake.ts_remote = I.conn.ts_remote;
	CHECK(I.sa && ike_create_child(I.sa, &fake, &fx) == 0);
	if (fx.send)
		converse_from(&I, fx.send);
	CHECK(strstr(I.why, "CHILD_SA_NOT_FOUND") != NULL);
	CHECK(n_children(I.sa) == 1 && n_children(R.sa) == 1);
	teardown();
}

static void second_child_sa_from_the_responder(void)
{
	struct ike_effects fx = { 0 };

	setup();
	converse(initiate());
	CHECK(R.sa && ike_create_child(R.sa, NULL, &fx) == 0 && fx.send);
	if (fx.send)
		converse_from(&R, fx.send);
	CHECK(n_children(I.sa) == 2 && n_children(R.sa) == 2);
	CHECK(R.sa && R.sa->children && I.sa &&
	      keys_mirror(R.sa->children, ike_child_by_spi_out(I.sa,
					R.sa->children->spi_in)));
	teardown();
}

static void cookie_round_trip_under_load(void)
{
	setup();
	R.e.cookie_threshold = 0;	/* every new request needs a cookie */
	converse(initiate());
	CHECK(I.sa && I.sa->cookie_len == IKE_COOKIE_LEN);
	CHECK(I.sa && I.sa->state == IKE_S_ESTABLISHED);
	CHECK(I.installed == 1 && R.installed == 1);
	CHECK(R.e.table.count == 1);
	teardown();
}

static void request_without_cookie_keeps_no_state(void)
{
	struct ike_out *req, *resp;

	setup();
	R.e.cookie_threshold = 0;
	req = initiate();
	resp = req ? deliver(&I, &R, req) : NULL;
	CHECK(resp && resp == &R.e.stateless);
	CHECK(R.e.table.count == 0);
	teardown();
}

/* The IKE SA's own rekey: new SPIs and keys on both sides, the Child SA
 * moves over unchanged, the old SA is deleted, the new one carries on. */
static void ike_sa_rekey_moves_the_child_and_deletes_the_old_sa(void)
{
	struct ike_effects fx = { 0 };
	uint64_t old_spi_i;
	struct child_sa *child;

	setup();
	converse(initiate());
	CHECK(I.sa && I.sa->state == IKE_S_ESTABLISHED && I.child);
	if (!I.sa || !I.child)
		return;
	old_spi_i = I.sa->spi_i;
	child = I.sa->children;
	CHECK(ike_rekey_start(I.sa, &fx) == 0 && fx.send);
	converse_from(&I, fx.send);
	CHECK(I.rekeyed && R.rekeyed);
	CHECK(I.dead_seen && R.dead_seen);	/* the old SA, both sides */
	CHECK(I.e.table.count == 2 && R.e.table.count == 2);
	if (!I.rekeyed || !R.rekeyed)
		goto out;
	CHECK(I.rekeyed->spi_i != old_spi_i);
	CHECK(I.rekeyed->spi_i == R.rekeyed->spi_i &&
	      I.rekeyed->spi_r == R.rekeyed->spi_r);
	CHECK(I.rekeyed->initiator && !R.rekeyed->initiator);
	CHECK(!memcmp(I.rekeyed->keys.sk_d, R.rekeyed->keys.sk_d,
		      I.rekeyed->keys.prf_len));
	CHECK(I.rekeyed->children == child && n_children(I.rekeyed) == 1 &&
	      n_children(R.rekeyed) == 1);
	CHECK(I.removed == 0 && R.removed == 0);
	/* the new SA works: message IDs from 0, a Child SA rekey on it */
	CHECK(I.rekeyed->next_msgid == 0);
	child_rekey_on(I.rekeyed, R.rekeyed);
	CHECK(I.installed == 2 && R.installed == 2);
out:
	teardown_all();
}

/* A rekey proposal with a group the responder does not take. */
static void ike_sa_rekey_with_a_wrong_group_is_refused(void)
{
	struct ike_effects fx = { 0 };

	setup();
	converse(initiate());
	if (!I.sa)
		return;
	I.sa->alg.ke = IKE_KE_ECP256;	/* what our rekey's KE will use */
	CHECK(ike_rekey_start(I.sa, &fx) == 0 && fx.send);
	converse_from(&I, fx.send);
	CHECK(!I.rekeyed && !R.rekeyed);
	CHECK(I.sa && I.sa->state == IKE_S_ESTABLISHED && !I.sa->rekey_new);
	CHECK(n_children(I.sa) == 1);
	teardown_all();
}

/* ---- IKE_INTERMEDIATE and RFC 9370 additional key exchanges ---- */

static void with_addke(struct ike_conn_params *c, uint16_t ke, uint16_t a1,
		       uint16_t a2)
{
	c->ike[0].ke = ke;
	c->ike[0].addke[0] = a1;
	c->ike[0].addke[1] = a2;
}

static void additional_key_exchanges_run_in_ike_intermediate(void)
{
	setup();
	with_addke(&I.conn, IKE_KE_X25519, IKE_KE_ECP256, IKE_KE_MODP2048);
	with_addke(&R.conn, IKE_KE_X25519, IKE_KE_ECP256, IKE_KE_MODP2048);
	converse(initiate());
	CHECK(I.sa && I.sa->state == IKE_S_ESTABLISHED);
	CHECK(R.sa && R.sa->state == IKE_S_ESTABLISHED);
	CHECK(I.sa && R.sa && I.sa->int_auth_n == 2 && R.sa->int_auth_n == 2);
	/* IKE_AUTH came after two IKE_INTERMEDIATE exchanges */
	CHECK(I.sa && R.sa && I.sa->auth_mid == 3 && R.sa->auth_mid == 3);
	CHECK(I.sa && R.sa && !memcmp(I.sa->keys.sk_d, R.sa->keys.sk_d,
				      I.sa->keys.prf_len));
	CHECK(I.child && R.child && keys_mirror(I.child, R.child));
	CHECK(R.e.table.half_open == 0);
	teardown();
}

/* Each exchange's secret changes the keys: same SAs without them differ. */
static void additional_key_exchanges_change_the_keys(void)
{
	struct ike_out *resp;
	uint8_t sk_d[IK_PRF_MAX];

	setup();
	with_addke(&I.conn, IKE_KE_X25519, IKE_KE_ECP256, 0);
	with_addke(&R.conn, IKE_KE_X25519, IKE_KE_ECP256, 0);
	resp = deliver(&I, &R, initiate());
	CHECK(resp && R.sa && R.sa->state == IKE_S_INIT_DONE);
	if (!resp || !R.sa)
		goto out;
	memcpy(sk_d, R.sa->keys.sk_d, sizeof(sk_d));
	resp = deliver(&R, &I, resp);	/* the IKE_INTERMEDIATE request */
	CHECK(I.sa && I.sa->state == IKE_S_INTER_SENT);
	CHECK(resp && resp->buf[18] == IKE_INTERMEDIATE);
	if (!resp)
		goto out;
	resp = deliver(&I, &R, resp);
	CHECK(R.sa && R.sa->int_auth_n == 1 && R.sa->state == IKE_S_INIT_DONE);
	CHECK(R.sa && memcmp(sk_d, R.sa->keys.sk_d, R.sa->keys.prf_len));
	CHECK(R.e.table.half_open == 1);
	converse_from(&R, resp);
	CHECK(I.sa && I.sa->state == IKE_S_ESTABLISHED);
out:
	teardown();
}

/* IntAuth is in AUTH: a responder that saw other IKE_INTERMEDIATE
 * messages (here: a different IntAuth_i) refuses the initiator's AUTH. */
static void intauth_mismatch_fails_authentication(void)
{
	struct ike_out *out;
	int i;

	setup();
	with_addke(&I.conn, IKE_KE_X25519, IKE_KE_ECP256, 0);
	with_addke(&R.conn, IKE_KE_X25519, IKE_KE_ECP256, 0);
	out = initiate();
	for (i = 0; out && i < 4; i++)	/* INIT, INTERMEDIATE: both ways */
		out = deliver(i % 2 ? &R : &I, i % 2 ? &I : &R, out);
	CHECK(out && I.sa && I.sa->state == IKE_S_AUTH_SENT);
	if (!out || !R.sa)
		goto out;
	R.sa->int_auth_i[0] ^= 1;
	converse(out);
	CHECK(I.installed == 0 && R.installed == 0);
	CHECK(strstr(R.why, "AUTH") != NULL);
out:
	teardown();
}

static void a_peer_without_intermediate_gets_no_addke_proposal(void)
{
	setup();
	/* the initiator offers a plain proposal only: no notify either */
	with_addke(&R.conn, IKE_KE_X25519, IKE_KE_ECP256, 0);
	converse(initiate());
	CHECK(strstr(I.why, "NO_PROPOSAL_CHOSEN") != NULL);
	CHECK(R.e.table.count == 0);
	teardown();
}

static void the_responder_may_choose_a_proposal_without_addke(void)
{
	setup();
	I.conn.n_ike = 2;
	I.conn.ike[1] = I.conn.ike[0];
	with_addke(&I.conn, IKE_KE_X25519, IKE_KE_ECP384, 0);
	converse(initiate());
	CHECK(I.sa && I.sa->state == IKE_S_ESTABLISHED);
	CHECK(I.sa && I.sa->int_auth_n == 0 && I.sa->alg.addke[0] == 0);
	CHECK(I.sa && I.sa->auth_mid == 1);
	teardown();
}

/* A forged IKE_INTERMEDIATE request changes nothing on the responder. */
static void forged_intermediate_changes_nothing(void)
{
	struct ike_effects fx;
	uint8_t copy[IKE_MAX_MSG];
	struct ike_out *req;
	struct ike_sa *sa;

	setup();
	with_addke(&I.conn, IKE_KE_X25519, IKE_KE_ECP256, 0);
	with_addke(&R.conn, IKE_KE_X25519, IKE_KE_ECP256, 0);
	req = deliver(&R, &I, deliver(&I, &R, initiate()));
	CHECK(req != NULL);
	if (!req)
		goto out;
	memcpy(copy, req->buf, req->len);
	copy[req->len - 1] ^= 1;
	sa = ike_engine_input(&R.e, copy, req->len, &R.addr, &I.addr, &fx,
			      R.why, sizeof(R.why));
	CHECK(sa && sa->int_auth_n == 0 && !fx.send && sa->peer_msgid == 1);
	converse(req);
	CHECK(R.sa && R.sa->state == IKE_S_ESTABLISHED);
out:
	teardown();
}

/*
 * INITIAL_CONTACT (RFC 7296 2.4): the first IKE SA with a peer says so in
 * its IKE_AUTH (a restarted daemon's: the peer drops what it still holds);
 * a second one with the same peer, beside the first, does not.
 */
static void initial_contact_only_with_no_other_sa(void)
{
	struct ike_sa *first;

	setup();
	R.initial_contact_seen = false;
	converse(initiate());
	first = I.sa;
	CHECK(first && first->state == IKE_S_ESTABLISHED);
	CHECK(first && first->initial_contact && R.initial_contact_seen);
	R.initial_contact_seen = false;
	converse(initiate());
	CHECK(I.sa && I.sa != first && I.sa->state == IKE_S_ESTABLISHED);
	CHECK(I.sa && !I.sa->initial_contact && !R.initial_contact_seen);
	teardown();
}

/* ---- draft-ietf-ipsecme-ike-tcp: IKE over TCP port 500 ---- */

/* IKE_SA_INIT and IKE_AUTH over TCP 500 (NAT in front of the initiator
 * when nat); returns what the initiator sends once IKE_AUTH is answered. */
static struct ike_out *auth_over_tcp500(bool nat, bool tcp500)
{
	struct ike_out *out;
	int i;

	setup();
	if (nat)
		set_addr(&I.seen_as, "198.51.100.7", 500);
	I.e.in_tcp = R.e.in_tcp = true;
	I.e.in_tcp500 = R.e.in_tcp500 = tcp500;
	out = initiate();
	for (i = 0; out && i < 3; i++)	/* INIT, its answer, IKE_AUTH */
		out = deliver(i % 2 ? &R : &I, i % 2 ? &I : &R, out);
	CHECK(I.sa && I.sa->state == IKE_S_AUTH_SENT);
	return out ? deliver(&R, &I, out) : NULL;
}

/* Section 3.2: behind a NAT, right after IKE_AUTH over TCP 500, the
 * initiator checks liveness, a request marked for UDP (4500: NAT-T), which
 * the responder answers; without a NAT, or when IKE_AUTH came over UDP or
 * RFC 9329 TCP, nothing follows IKE_AUTH. */
static void nat_liveness_check_after_auth_over_tcp500(void)
{
	struct ike_out *out = auth_over_tcp500(true, true);

	CHECK(I.sa && I.sa->state == IKE_S_ESTABLISHED && I.sa->nat_local);
	CHECK(R.sa && R.sa->nat_remote);
	CHECK(out && I.sa && out == &I.sa->req && out->over_udp);
	CHECK(out && out->len > IKE_HDR_LEN && out->buf[18] ==
	      IKE_INFORMATIONAL);
	out = out ? deliver(&I, &R, out) : NULL;
	CHECK(out && R.sa && out == &R.sa->resp && !out->over_udp);
	CHECK(out && !deliver(&R, &I, out) && I.sa && !I.sa->req.len);
	teardown_all();
	CHECK(!auth_over_tcp500(false, true));
	teardown_all();
	CHECK(!auth_over_tcp500(true, false));
	teardown_all();
}

/* ---- ML-KEM (pure and hybrid) and RFC 7383 fragmentation ---- */

static void pure_mlkem1024_over_tcp(void)
{
	setup();
	with_addke(&I.conn, IKE_KE_MLKEM1024, 0, 0);
	with_addke(&R.conn, IKE_KE_MLKEM1024, 0, 0);
	I.e.in_tcp = R.e.in_tcp = true;
	converse(initiate());
	CHECK(I.sa && I.sa->state == IKE_S_ESTABLISHED);
	CHECK(R.sa && R.sa->state == IKE_S_ESTABLISHED);
	CHECK(I.child && R.child && keys_mirror(I.child, R.child));
	teardown();
}

static void pure_mlkem1024_is_not_offered_over_udp(void)
{
	setup();
	with_addke(&I.conn, IKE_KE_MLKEM1024, 0, 0);
	I.conn.mlkem_udp_max = IKE_KE_MLKEM512;
	CHECK(initiate() == NULL);
	CHECK(strstr(I.why, "mlkem_udp_max") != NULL);
	/* a responder over UDP does not take it either */
	I.conn.mlkem_udp_max = IKE_KE_MLKEM1024;
	with_addke(&R.conn, IKE_KE_MLKEM1024, 0, 0);
	R.conn.mlkem_udp_max = IKE_KE_MLKEM768;
	converse(initiate());
	CHECK(strstr(I.why, "NO_PROPOSAL_CHOSEN") != NULL);
	teardown();
}

static void hybrid_x25519_mlkem768_mlkem1024(void)
{
	setup();
	with_addke(&I.conn, IKE_KE_X25519, IKE_KE_MLKEM768, IKE_KE_MLKEM1024);
	with_addke(&R.conn, IKE_KE_X25519, IKE_KE_MLKEM768, IKE_KE_MLKEM1024);
	converse(initiate());
	CHECK(I.sa && I.sa->state == IKE_S_ESTABLISHED);
	CHECK(I.sa && R.sa && I.sa->int_auth_n == 2 && R.sa->int_auth_n == 2);
	CHECK(I.child && R.child && keys_mirror(I.child, R.child));
	teardown();
}

/* Deliver every fragment of out (or out itself); the answer, if any. */
static struct ike_out *deliver_frags(struct side *from, struct side *to,
				     const struct ike_out *out, int *nfrags)
{
	struct ike_out one = { 0 }, *ans = NULL, *a;
	size_t pos = 0, len;
	const uint8_t *p;

	*nfrags = out->frags.n;
	if (!out->frags.n)
		return deliver(from, to, out);
	while ((p = ike_frags_next(&out->frags, &pos, &len))) {
		one.buf = (uint8_t *)p;
		one.len = len;
		a = deliver(from, to, &one);
		if (a)
			ans = a;
	}
	return ans;
}

/*
 * A hybrid (x25519 + ML-KEM-1024) handshake with fragmentation at
 * fragment_size frag_size, up to the initiator's IKE_INTERMEDIATE request,
 * which it returns.
 */
static struct ike_out *fragmented_intermediate(uint16_t frag_size)
{
	setup();
	with_addke(&I.conn, IKE_KE_X25519, IKE_KE_MLKEM1024, 0);
	with_addke(&R.conn, IKE_KE_X25519, IKE_KE_MLKEM1024, 0);
	I.conn.frag = R.conn.frag = true;
	I.conn.frag_size = R.conn.frag_size = frag_size;
	return deliver(&R, &I, deliver(&I, &R, initiate()));
}

/* A hybrid handshake whose IKE_INTERMEDIATE messages are fragmented. */
static void fragmented_intermediate_and_auth(void)
{
	struct ike_out *out;
	struct side *from = &I, *to = &R, *tmp;
	int n, most = 0, rounds = 0;

	setup();
	with_addke(&I.conn, IKE_KE_X25519, IKE_KE_MLKEM1024, 0);
	with_addke(&R.conn, IKE_KE_X25519, IKE_KE_MLKEM1024, 0);
	I.conn.frag = R.conn.frag = true;
	I.conn.frag_size = R.conn.frag_size = 576;
	out = initiate();
	while (out && rounds++ < 20) {
		out = deliver_frags(from, to, out, &n);
		most = n > most ? n : most;
		tmp = from;
		from = to;
		to = tmp;
	}
	CHECK(I.sa && I.sa->frag_ok && R.sa && R.sa->frag_ok);
	CHECK(most >= 3);	/* a 1568-byte key in 576-byte datagrams */
	CHECK(I.sa && I.sa->state == IKE_S_ESTABLISHED);
	CHECK(R.sa && R.sa->state == IKE_S_ESTABLISHED);
	CHECK(I.child && R.child && keys_mirror(I.child, R.child));
	CHECK(ike_frag_budget()->used == 0);
	teardown();
}

/*
 * The answer to a fragmented IKE_INTERMEDIATE with an ADDKE is lost: the
 * responder has moved to the exchange's new keys, but the retransmitted
 * request still comes under the old ones and must get the answer again.
 */
static void lost_intermediate_answer_is_resent(void)
{
	struct ike_out *out, *again;
	int n;

	out = fragmented_intermediate(576);
	CHECK(out && out->frags.n >= 3 && I.sa->req.msgid == 1);
	if (!out)
		goto out;
	CHECK(deliver_frags(&I, &R, out, &n) != NULL);	/* then lost */
	CHECK(R.sa && R.sa->int_auth_n == 1);
	again = deliver_frags(&I, &R, &I.sa->req, &n);	/* retransmitted */
	CHECK(again == &R.sa->resp && R.sa->int_auth_n == 1);
	if (!again)
		goto out;
	converse_from(&R, again);
	CHECK(I.sa && I.sa->state == IKE_S_ESTABLISHED);
	CHECK(R.sa && R.sa->state == IKE_S_ESTABLISHED);
	CHECK(I.child && R.child && keys_mirror(I.child, R.child));
out:
	teardown();
}

/* The longest fragment message of o (0: not fragmented). */
static size_t longest_frag(const struct ike_out *o)
{
	size_t pos = 0, len, most = 0;

	while (ike_frags_next(&o->frags, &pos, &len))
		most = len > most ? len : most;
	return most;
}

/* The rest of a handshake whose messages may be fragmented. */
static void converse_frags(struct side *from, struct ike_out *out)
{
	struct side *to = from == &I ? &R : &I, *tmp;
	int n, rounds = 0;

	while (out && rounds++ < 20) {
		out = deliver_frags(from, to, out, &n);
		tmp = from;
		from = to;
		to = tmp;
	}
	CHECK(rounds < 20);
}

/*
 * The responder's fragmented answer ans goes to the initiator, and the
 * conversation runs to its end: both SAs up, the same Child SA keys, no
 * reassembly memory left.
 */
static void up_from_answer(struct ike_out *ans)
{
	converse_frags(&R, ans);
	CHECK(I.sa->state == IKE_S_ESTABLISHED);
	CHECK(R.sa->state == IKE_S_ESTABLISHED);
	CHECK(I.child && R.child && keys_mirror(I.child, R.child));
	CHECK(ike_frag_budget()->used == 0);
}

/*
 * RFC 7383 2.5.2 on IPv4 with no fragment_size: a request's fragments fit
 * 1280-byte datagrams; unanswered after 3 sends, 576-byte ones from then
 * on, which restart the peer's reassembly, and its answer follows them.
 */
static void ipv4_fragments_start_at_1280_then_shrink(void)
{
	const size_t big = ike_frag_msg_max(AF_INET, true, 1280),
		     small = ike_frag_msg_max(AF_INET, true, 0);
	struct ike_out *out, *ans, one = { 0 };
	size_t pos = 0;
	int n;

	out = fragmented_intermediate(0);
	CHECK(out && out == &I.sa->req && out->frags.n == 2);
	if (!out || !out->frags.n)
		goto out;
	CHECK(longest_frag(out) <= big && longest_frag(out) > small);
	CHECK(!ike_frag_shrink_request(I.sa, 2) && !I.sa->frag_small);
	/* only fragment 1 arrives; the responder keeps it */
	one.buf = (uint8_t *)ike_frags_next(&out->frags, &pos, &one.len);
	CHECK(one.buf && !deliver(&I, &R, &one) && R.sa->frag_rx[0].n == 1);
	CHECK(ike_frag_shrink_request(I.sa, 3) && I.sa->frag_small);
	CHECK(out->frags.n >= 4 && longest_frag(out) <= small);
	CHECK(!ike_frag_shrink_request(I.sa, 4));	/* once */
	ans = deliver_frags(&I, &R, out, &n);
	CHECK(ans == &R.sa->resp && ans->frags.n >= 4);
	CHECK(ans && longest_frag(ans) <= small);
	up_from_answer(ans);
out:
	teardown();
}

/*
 * RFC 7383 2.5.2 with ICMP: the kernel learnt that the path carries 1000-
 * byte IPv4 datagrams.  Only a size between 576 and the 1280 probe counts;
 * the request is cut once to fit it (into more fragments than before), the
 * answer follows it, and the SA keeps the bound; the blind search to 576
 * is not needed.
 */
static void ipv4_fragments_fit_the_path_mtu(void)
{
	const size_t fit = ike_frag_msg_max(AF_INET, true, 1000);
	struct ike_out *out, *ans;
	int n;

	out = fragmented_intermediate(0);
	CHECK(out && out == &I.sa->req && out->frags.n == 2);
	if (!out || !out->frags.n)
		goto out;
	CHECK(!ike_frag_fit_path(I.sa, 0) && !ike_frag_fit_path(I.sa, 575));
	CHECK(!ike_frag_fit_path(I.sa, 1280) && !ike_frag_fit_path(I.sa, 1500));
	CHECK(out->frags.n == 2 && !I.sa->path_mtu);
	CHECK(ike_frag_fit_path(I.sa, 1000) && I.sa->path_mtu == 1000);
	CHECK(out->frags.n >= 3 && longest_frag(out) <= fit);
	CHECK(!ike_frag_fit_path(I.sa, 1000));		/* it fits now */
	CHECK(!ike_frag_shrink_request(I.sa, 2) && !I.sa->frag_small);
	ans = deliver_frags(&I, &R, out, &n);
	CHECK(ans == &R.sa->resp && ans && longest_frag(ans) <= fit);
	up_from_answer(ans);
out:
	teardown();
}

/*
 * The answer in 1280-byte fragments is lost; the initiator goes down to
 * 576 and retransmits: the responder's cached answer is cut again, under
 * the keys it was sealed with (the responder has moved on after this
 * IKE_INTERMEDIATE), and the handshake completes.
 */
static void ipv4_answer_follows_a_smaller_retransmission(void)
{
	const size_t big = ike_frag_msg_max(AF_INET, true, 1280),
		     small = ike_frag_msg_max(AF_INET, true, 0);
	struct ike_out *out, *ans;
	int n;

	out = fragmented_intermediate(0);
	CHECK(out && out->frags.n == 2);
	if (!out || !out->frags.n)
		goto out;
	ans = deliver_frags(&I, &R, out, &n);		/* then lost */
	CHECK(ans == &R.sa->resp && ans->frags.n == 2);
	CHECK(ans && longest_frag(ans) <= big && longest_frag(ans) > small);
	/* the same size again: the same answer, not cut */
	CHECK(deliver_frags(&I, &R, out, &n) == ans &&
	      ans->frags.max_msg == longest_frag(out));
	CHECK(ike_frag_shrink_request(I.sa, 3));
	CHECK(deliver_frags(&I, &R, out, &n) == ans);
	CHECK(ans->frags.n >= 4 && longest_frag(ans) <= small);
	CHECK(R.sa->int_auth_n == 1);
	up_from_answer(ans);
out:
	teardown();
}

/*
 * A fragment of the answer came: the request got through and the path
 * carries big fragments; lost pieces are no reason to shrink (which would
 * start both reassemblies over).
 */
static void no_shrink_once_the_answer_began(void)
{
	struct ike_out *out, *ans, one = { 0 };
	size_t pos = 0;
	int n;

	out = fragmented_intermediate(0);
	CHECK(out && out->frags.n == 2);
	if (!out || !out->frags.n)
		goto out;
	ans = deliver_frags(&I, &R, out, &n);
	CHECK(ans && ans->frags.n == 2);
	if (!ans || !ans->frags.n)
		goto out;
	one.buf = (uint8_t *)ike_frags_next(&ans->frags, &pos, &one.len);
	CHECK(one.buf && !deliver(&R, &I, &one));
	CHECK(I.sa->frag_rx[1].active);
	CHECK(!ike_frag_shrink_request(I.sa, 3) && !I.sa->frag_small);
	CHECK(out->frags.n == 2);
	converse_frags(&R, ans);	/* the rest of it, resent */
	CHECK(I.sa->state == IKE_S_ESTABLISHED);
out:
	teardown();
}

/*
 * A configured fragment_size is the size: no probing, no shrinking, and
 * no path MTU from ICMP either.
 */
static void configured_fragment_size_is_kept(void)
{
	struct ike_out *out;

	out = fragmented_intermediate(1280);
	CHECK(out && out->frags.n == 2);
	CHECK(I.sa && !ike_frag_shrink_request(I.sa, 5) && !I.sa->frag_small);
	CHECK(I.sa && !ike_frag_fit_path(I.sa, 1000) && !I.sa->path_mtu);
	CHECK(out && out->frags.n == 2);
	teardown();
}

/* Without the notify from both, nothing is fragmented. */
static void no_fragments_unless_both_support_them(void)
{
	setup();
	with_addke(&I.conn, IKE_KE_X25519, IKE_KE_MLKEM1024, 0);
	with_addke(&R.conn, IKE_KE_X25519, IKE_KE_MLKEM1024, 0);
	I.conn.frag = true;
	I.conn.frag_size = R.conn.frag_size = 576;
	converse(initiate());
	CHECK(I.sa && !I.sa->frag_ok && I.sa->req.frags.n == 0);
	CHECK(I.sa && I.sa->state == IKE_S_ESTABLISHED);
	teardown();
}

/* ---- IKE_FOLLOWUP_KE: Child SAs and IKE SA rekeys with ADDKEs ---- */

static void child_rekey_with_additional_key_exchanges(void)
{
	struct ike_effects fx = { 0 };

	setup();
	I.conn.esp[0].ke = R.conn.esp[0].ke = IKE_KE_X25519;
	I.conn.esp[0].addke[0] = R.conn.esp[0].addke[0] = IKE_KE_MLKEM768;
	I.conn.esp[0].addke[1] = R.conn.esp[0].addke[1] = IKE_KE_ECP256;
	converse(initiate());
	CHECK(I.child && R.child);
	if (!I.sa || !I.child)
		goto out;
	CHECK(ike_create_child(I.sa, I.child, &fx) == 0 && fx.send);
	converse_from(&I, fx.send);
	CHECK(I.installed == 2 && R.installed == 2);
	CHECK(I.sa->children && R.sa->children &&
	      I.sa->children->alg.addke[1] == IKE_KE_ECP256 &&
	      keys_mirror(I.sa->children, R.sa->children));
	CHECK(!I.sa->fu[0].active && !R.sa->fu[1].active && !I.sa->creating);
	CHECK(n_children(I.sa) == 1 && n_children(R.sa) == 1);
out:
	teardown();
}

static void ike_rekey_with_additional_key_exchanges(void)
{
	struct ike_effects fx = { 0 };

	setup();
	with_addke(&I.conn, IKE_KE_X25519, IKE_KE_MLKEM768, IKE_KE_MLKEM1024);
	with_addke(&R.conn, IKE_KE_X25519, IKE_KE_MLKEM768, IKE_KE_MLKEM1024);
	converse(initiate());
	CHECK(I.sa && I.sa->state == IKE_S_ESTABLISHED);
	if (!I.sa)
		goto out;
	CHECK(ike_rekey_start(I.sa, &fx) == 0 && fx.send);
	converse_from(&I, fx.send);
	CHECK(I.rekeyed && R.rekeyed);
	if (!I.rekeyed || !R.rekeyed)
		goto out;
	CHECK(I.rekeyed->alg.addke[1] == IKE_KE_MLKEM1024);
	CHECK(!memcmp(I.rekeyed->keys.sk_d, R.rekeyed->keys.sk_d,
		      I.rekeyed->keys.prf_len));
	CHECK(n_children(I.rekeyed) == 1 && n_children(R.rekeyed) == 1);
	/* the new SA works: a Child SA rekey on it */
	child_rekey_on(I.rekeyed, R.rekeyed);
out:
	teardown_all();
}

/* A follow-up whose link the responder does not know: STATE_NOT_FOUND. */
static void followup_with_a_wrong_link_is_refused(void)
{
	struct ike_effects fx = { 0 };
	struct ike_out *req;

	setup();
	I.conn.esp[0].ke = R.conn.esp[0].ke = IKE_KE_X25519;
	I.conn.esp[0].addke[0] = R.conn.esp[0].addke[0] = IKE_KE_ECP256;
	converse(initiate());
	if (!I.sa || !I.child)
		goto out;
	CHECK(ike_create_child(I.sa, I.child, &fx) == 0 && fx.send);
	req = deliver(&R, &I, deliver(&I, &R, fx.send));
	CHECK(req && req->buf[18] == IKE_FOLLOWUP_KE && R.sa->fu[1].active);
	if (!req)
		goto out;
	R.sa->fu[1].link[0] ^= 1;
	converse(req);
	CHECK(strstr(I.why, "STATE_NOT_FOUND") != NULL);
	CHECK(I.installed == 1 && R.installed == 1);
	CHECK(!I.sa->creating && !I.sa->fu[0].active);
out:
	teardown();
}

/* ---- bad ML-KEM values (FIPS 203 7.2; the ML-KEM draft's answer) ---- */

/* A coefficient of ek's first polynomial set to 4095 (>= q = 3329). */
static void break_ek(struct ike_out *out)
{
	struct ike_msg m;

	if (ike_msg_parse(out->buf, out->len, &m).err || !m.has_ke) {
		CHECK(!"no KE payload to break");
		return;
	}
	out->buf[m.ke.data.p - out->buf] = 0xff;
	out->buf[m.ke.data.p - out->buf + 1] |= 0x0f;
}

static void mlkem_key_out_of_range_gets_invalid_syntax(void)
{
	struct ike_out *req, *ans;
	struct ike_msg m;

	setup();
	with_addke(&I.conn, IKE_KE_MLKEM768, 0, 0);
	with_addke(&R.conn, IKE_KE_MLKEM768, 0, 0);
	I.conn.mlkem_udp_max = R.conn.mlkem_udp_max = IKE_KE_MLKEM768;
	req = initiate();
	CHECK(req != NULL);
	if (!req)
		goto out;
	break_ek(req);
	ans = deliver(&I, &R, req);
	CHECK(ans && !ike_msg_parse(ans->buf, ans->len, &m).err &&
	      ike_msg_notify(&m, IKE_N_INVALID_SYNTAX));
	CHECK(R.e.table.count == 0);
	/* the real key still works: nothing was kept */
	converse(initiate());
	CHECK(I.sa && I.sa->state == IKE_S_ESTABLISHED);
out:
	teardown();
}

/* An ADDKE key that fails the check: INVALID_SYNTAX, the SA ends. */
static void bad_addke_key_in_intermediate_ends_the_sa(void)
{
	uint8_t pub[IK_KEX_MAX], buf[4096];
	struct ike_out *req;
	struct ike_wbuf w;
	int plen;

	setup();
	with_addke(&I.conn, IKE_KE_X25519, IKE_KE_MLKEM768, 0);
	with_addke(&R.conn, IKE_KE_X25519, IKE_KE_MLKEM768, 0);
	req = deliver(&R, &I, deliver(&I, &R, initiate()));
	CHECK(req && I.sa && I.sa->state == IKE_S_INTER_SENT && I.sa->kex);
	if (!req || !I.sa || !I.sa->kex)
		goto out;
	/* the same IKE_INTERMEDIATE request, its key broken, resealed */
	plen = ik_kex_public(I.sa->kex, pub, sizeof(pub));
	CHECK(plen == 1184);
	pub[0] = 0xff;
	pub[1] |= 0x0f;
	ike_w_init(&w, buf, sizeof(buf));
	ike_w_ke(&w, IKE_KE_MLKEM768, pub, plen);
	CHECK(ike_sk_build(I.sa, IKE_INTERMEDIATE, false, 1, &w,
			   &I.sa->req) == 0);
	converse(&I.sa->req);
	CHECK(strstr(R.why, "ADDKE1 value is invalid") != NULL);
	CHECK(strstr(I.why, "INVALID_SYNTAX") != NULL);
	CHECK(I.installed == 0 && R.installed == 0);
out:
	teardown();
}

/*
 * RFC 7296 2.8.1: both sides rekey the one Child SA at once.  Both
 * exchanges succeed; the one with the lowest nonce made the redundant
 * pair, and its initiator deletes it: one new pair is left on each side,
 * the same one, with the policies.
 */
static void one_simultaneous_rekey(void)
{
	struct ike_effects fi = { 0 }, fr = { 0 };
	struct ike_out *ri, *rr, *a;
	uint8_t reqi[IKE_MAX_MSG], reqr[IKE_MAX_MSG];
	struct ike_out oi = { .buf = reqi }, orr = { .buf = reqr };

	setup();
	converse(initiate());
	if (!I.sa || !R.sa || !I.sa->children || !R.sa->children)
		goto out;
	CHECK(ike_create_child(I.sa, I.sa->children, &fi) == 0 && fi.send);
	CHECK(ike_create_child(R.sa, R.sa->children, &fr) == 0 && fr.send);
	if (!fi.send || !fr.send)
		goto out;
	memcpy(reqi, fi.send->buf, fi.send->len);
	oi.len = fi.send->len;
	memcpy(reqr, fr.send->buf, fr.send->len);
	orr.len = fr.send->len;
	/* each request crosses the other's; then I's answer, whose DELETE
	 * of the old pair reaches R before R's own answer does */
	ri = deliver(&I, &R, &oi);
	rr = deliver(&R, &I, &orr);
	CHECK(ri && rr);
	if (!ri || !rr)
		goto out;
	a = deliver(&R, &I, ri);
	if (a)
		converse_from(&I, a);
	a = deliver(&I, &R, rr);
	if (a)
		converse_from(&R, a);
	/* the daemon's tick sends what is still queued */
	memset(&fi, 0, sizeof(fi));
	if (ike_info_flush_deletes(I.sa, &fi) > 0)
		converse_from(&I, fi.send);
	memset(&fr, 0, sizeof(fr));
	if (ike_info_flush_deletes(R.sa, &fr) > 0)
		converse_from(&R, fr.send);
	CHECK(n_children(I.sa) == 1 && n_children(R.sa) == 1);
	CHECK(I.sa->children && R.sa->children &&
	      keys_mirror(I.sa->children, R.sa->children));
	CHECK(I.sa->children && I.sa->children->owns_policies &&
	      R.sa->children && R.sa->children->owns_policies);
out:
	teardown_all();
}

/*
 * RFC 7296 2.8.1: both sides rekey the one Child SA at once.  Both
 * exchanges succeed; the one with the lowest nonce made the redundant
 * pair, and its initiator deletes it: one new pair is left on each side,
 * the same one, with the policies.  Nonces are random: eight rounds make
 * each side's exchange the loser in some (all but surely).
 */
static void simultaneous_child_rekeys_leave_one_pair(void)
{
	int i;

	for (i = 0; i < 8; i++)
		one_simultaneous_rekey();
}

/* ---- RFC 7296 2.8.2: simultaneous IKE SA rekeys ---- */

static bool is_dead(const struct side *s, const struct ike_sa *sa)
{
	int i;

	for (i = 0; i < s->n_dead; i++)
		if (s->dead[i] == sa)
			return true;
	return false;
}

/* The IKE SAs a side still has (the daemon drops the dead ones), and the
 * last of them. */
static int live_sas(const struct side *s, struct ike_sa **last)
{
	struct ike_sa *sa;
	int n = 0;

	*last = NULL;
	for (sa = s->e.table.head; sa; sa = sa->next) {
		if (is_dead(s, sa))
			continue;
		*last = sa;
		n++;
	}
	return n;
}

/* A message kept aside while others are delivered. */
struct held {
	struct ike_out o;
	uint8_t buf[IKE_MAX_MSG];
};

static struct ike_out *hold(struct held *h, const struct ike_out *o)
{
	if (!o)
		return NULL;
	memcpy(h->buf, o->buf, o->len);
	h->o = (struct ike_out){ .buf = h->buf, .len = o->len,
				 .msgid = o->msgid };
	return &h->o;
}

/* What a side sent after an answer (ike_effects.send_after), delivered. */
static void send_queued(struct side *s)
{
	struct ike_out *q = s->queued;

	s->queued = NULL;
	if (q && q->len)
		converse_from(s, q);
}

/* The DELETE a side sends on its redundant new SA, and the answer. */
static void delete_redundant(struct side *s)
{
	struct ike_sa *ns = s->redundant;

	if (ns && ns->req.len && ns->state == IKE_S_DELETING)
		converse_from(s, &ns->req);
}

/*
 * After the rekeys: one IKE SA on each side, the same one (SPIs and
 * keys), with the Child SA that was there before, its XFRM states never
 * touched; the old SA is gone on both sides, and the survivor works (a
 * Child SA rekey on it).
 */
static void one_survivor(struct ike_sa *old_i, struct ike_sa *old_r,
			 struct child_sa *child_i, struct child_sa *child_r,
			 bool redundant)
{
	struct ike_sa *si, *sr;

	CHECK(live_sas(&I, &si) == 1 && live_sas(&R, &sr) == 1);
	CHECK(is_dead(&I, old_i) && is_dead(&R, old_r));
	CHECK(!!I.redundant == redundant && !!R.redundant == redundant);
	if (!si || !sr)
		return;
	CHECK(si != old_i && sr != old_r);
	CHECK(si->spi_i == sr->spi_i && si->spi_r == sr->spi_r);
	CHECK(si->initiator != sr->initiator);
	CHECK(!memcmp(si->keys.sk_d, sr->keys.sk_d, si->keys.prf_len));
	CHECK(si->children == child_i && n_children(si) == 1);
	CHECK(sr->children == child_r && n_children(sr) == 1);
	CHECK(!si->req.len && !sr->req.len);
	CHECK(I.installed == 1 && R.installed == 1);
	CHECK(I.removed == 0 && R.removed == 0);
	child_rekey_on(si, sr);
}

/* An IKE SA up with its Child SA, and both sides' rekey requests out. */
struct both_rekeys {
	struct ike_sa *old_i, *old_r;
	struct child_sa *child_i, *child_r;
	struct held reqi, reqr;
};

static bool start_both_rekeys(struct both_rekeys *x, bool followups)
{
	struct ike_effects fi = { 0 }, fr = { 0 };

	setup();
	if (followups) {	/* RFC 9370: each rekey ends in IKE_FOLLOWUP_KE */
		with_addke(&I.conn, IKE_KE_X25519, IKE_KE_ECP256, 0);
		with_addke(&R.conn, IKE_KE_X25519, IKE_KE_ECP256, 0);
	}
	converse(initiate());
	x->old_i = I.sa;
	x->old_r = R.sa;
	if (!I.sa || !R.sa || !I.sa->children || !R.sa->children)
		return false;
	x->child_i = I.sa->children;
	x->child_r = R.sa->children;
	CHECK(ike_rekey_start(I.sa, &fi) == 0 && fi.send);
	CHECK(ike_rekey_start(R.sa, &fr) == 0 && fr.send);
	return hold(&x->reqi, fi.send) && hold(&x->reqr, fr.send);
}

/*
 * Both sides rekey the IKE SA at once, the requests crossing; both
 * answers go out.  I gets its answer first.  When I's rekey survives, I
 * deletes the old SA, and with delete_first that DELETE reaches R before
 * R's own answer does.  Returns whether that race was run.
 */
static bool one_simultaneous_ike_rekey(bool delete_first)
{
	static struct held respi, respr;
	struct ike_out *ri, *rr, *di, *dr, *a;
	static struct both_rekeys x;
	bool raced = false;

	if (!start_both_rekeys(&x, false))
		goto out;
	ri = deliver(&I, &R, &x.reqi.o);
	rr = deliver(&R, &I, &x.reqr.o);
	CHECK(ri && rr);
	if (!ri || !rr)
		goto out;
	ri = hold(&respi, ri);
	rr = hold(&respr, rr);
	di = deliver(&R, &I, ri);	/* I's answer: I resolves */
	if (delete_first && di) {
		raced = true;
		a = deliver(&I, &R, di);	/* before R's answer */
		CHECK(a && !is_dead(&R, x.old_r));
		if (a)
			deliver(&R, &I, a);
		dr = deliver(&I, &R, rr);
		CHECK(!dr && is_dead(&R, x.old_r));
	} else {
		dr = deliver(&I, &R, rr);	/* R resolves */
		CHECK(!di != !dr);	/* one of them deletes the old SA */
		if (di)
			converse_from(&I, di);
		if (dr)
			converse_from(&R, dr);
	}
	delete_redundant(&I);
	delete_redundant(&R);
	one_survivor(x.old_i, x.old_r, x.child_i, x.child_r, true);
out:
	teardown_all();
	return raced;
}

/*
 * RFC 7296 2.8.2: three IKE SAs after both rekeys, the new one made with
 * the lowest nonce is deleted by its initiator, the Child SAs move to the
 * other, the old SA is deleted.  Nonces are random: rounds until I's
 * rekey survived, and its DELETE of the old SA raced R's answer, twice.
 */
static void simultaneous_ike_rekeys_leave_one_sa(void)
{
	int i, races = 0;

	for (i = 0; i < 6; i++)
		one_simultaneous_ike_rekey(false);
	for (i = 0; i < 40 && races < 2; i++)
		races += one_simultaneous_ike_rekey(true);
	CHECK(races == 2);
}

/*
 * RFC 7296 2.8.2 with RFC 9370 follow-ups (an x25519 + ecp256 IKE SA):
 * the two CREATE_CHILD_SA requests cross, each rekey then completes with
 * its IKE_FOLLOWUP_KE exchange, and only then do the nonces decide: one
 * IKE SA survives on both sides, as without follow-ups.  Nonces are random:
 * rounds until each side's rekey has survived twice.  Returns 1 when I's
 * survived, 0 when R's, -1 when neither did.
 */
static int one_simultaneous_rekey_with_followups(void)
{
	static struct held respi, respr, fui, fur;
	struct ike_out *ri, *rr, *ni, *nr;
	static struct both_rekeys x;
	struct ike_sa *si = NULL;
	int won = -1;

	if (!start_both_rekeys(&x, true))
		goto out;
	CHECK(x.old_i->alg.addke[0] == IKE_KE_ECP256);
	ri = hold(&respi, deliver(&I, &R, &x.reqi.o));
	rr = hold(&respr, deliver(&R, &I, &x.reqr.o));
	CHECK(ri && rr);
	if (!ri || !rr)
		goto out;
	ni = hold(&fui, deliver(&R, &I, ri));	/* I's follow-up request */
	nr = hold(&fur, deliver(&I, &R, rr));	/* R's */
	CHECK(ni && ni->buf[18] == IKE_FOLLOWUP_KE);
	CHECK(nr && nr->buf[18] == IKE_FOLLOWUP_KE);
	if (!ni || !nr)
		goto out;
	converse_from(&I, ni);
	converse_from(&R, nr);
	send_queued(&I);
	send_queued(&R);
	delete_redundant(&I);
	delete_redundant(&R);
	one_survivor(x.old_i, x.old_r, x.child_i, x.child_r, true);
	if (live_sas(&I, &si) == 1)
		won = si->initiator;	/* a rekey's initiator initiates */
out:
	teardown_all();
	return won;
}

static void simultaneous_ike_rekeys_with_followups_leave_one_sa(void)
{
	int i, won[2] = { 0, 0 }, w;

	for (i = 0; i < 40 && (won[0] < 2 || won[1] < 2); i++) {
		w = one_simultaneous_rekey_with_followups();
		CHECK(w >= 0);
		if (w < 0)
			break;
		won[w]++;
	}
	CHECK(won[0] >= 2 && won[1] >= 2);
}

/*
 * Only R sees the collision: I's answer comes before R's request, I has
 * rekeyed and is deleting the old SA, so R's request gets
 * TEMPORARY_FAILURE; R's parked new SA (I's) takes the Child SA whether
 * I's DELETE of the old SA or that answer comes first.
 */
static void one_sided_collision(bool delete_first)
{
	static struct held del;
	struct ike_out *ri, *rr, *di, *a;
	static struct both_rekeys x;

	if (!start_both_rekeys(&x, false))
		goto out;
	ri = deliver(&I, &R, &x.reqi.o);	/* R parks I's */
	di = ri ? hold(&del, deliver(&R, &I, ri)) : NULL;
	CHECK(di && x.old_i->state == IKE_S_DELETING);
	rr = deliver(&R, &I, &x.reqr.o);	/* TEMPORARY_FAILURE */
	CHECK(rr && I.why[0] && strstr(I.why, "TEMPORARY_FAILURE"));
	if (!di || !rr)
		goto out;
	if (delete_first) {
		a = deliver(&I, &R, di);
		if (a)
			deliver(&R, &I, a);
		CHECK(!deliver(&I, &R, rr));
	} else {
		CHECK(!deliver(&I, &R, rr));
		CHECK(!is_dead(&R, x.old_r) && n_children(x.old_r) == 0);
		converse_from(&I, di);
	}
	one_survivor(x.old_i, x.old_r, x.child_i, x.child_r, false);
out:
	teardown_all();
}

static void one_sided_ike_rekey_collision(void)
{
	one_sided_collision(false);
	one_sided_collision(true);
}

/* ---- a Child SA the kernel refuses ---- */

/*
 * The initiator's first Child SA does not install: it is deleted with
 * the peer (whose pair goes too) and freed, the IKE SA stays and takes a
 * new Child SA.
 */
static void child_sa_the_kernel_refuses_is_deleted(void)
{
	struct ike_effects fx = { 0 };

	setup();
	I.fail_install = true;
	converse(initiate());
	CHECK(I.sa && I.sa->state == IKE_S_ESTABLISHED && I.queued);
	if (!I.sa || !I.queued)
		goto out;
	CHECK(n_children(I.sa) == 0 && I.installed == 0 && I.removed == 1);
	converse_from(&I, I.queued);
	CHECK(R.removed == 1 && n_children(R.sa) == 0);
	CHECK(I.sa->state == IKE_S_ESTABLISHED && !I.sa->req.len &&
	      R.sa->state == IKE_S_ESTABLISHED && !I.dead_seen &&
	      !R.dead_seen);
	I.fail_install = false;
	CHECK(ike_create_child(I.sa, NULL, &fx) == 0 && fx.send);
	if (fx.send)
		converse_from(&I, fx.send);
	CHECK(n_children(I.sa) == 1 && n_children(R.sa) == 1 &&
	      keys_mirror(I.sa->children, R.sa->children));
out:
	teardown_all();
}

/*
 * The responder's rekeyed Child SA does not install: the policies it took
 * over go back to the old pair, so they leave the kernel with it (no
 * policy is left behind on either side), and both pairs are deleted.
 */
static void rekeyed_child_sa_the_kernel_refuses_gives_back_policies(void)
{
	setup();
	converse(initiate());
	if (!I.sa || !R.sa || !I.child)
		goto out;
	R.fail_install = true;
	rekey_from_initiator();
	CHECK(R.queued);
	if (R.queued)
		converse_from(&R, R.queued);
	CHECK(n_children(I.sa) == 0 && n_children(R.sa) == 0);
	CHECK(I.removed == 2 && R.removed == 2);
	CHECK(I.removed_owning == 1 && R.removed_owning == 1);
	CHECK(I.sa->state == IKE_S_ESTABLISHED &&
	      R.sa->state == IKE_S_ESTABLISHED);
out:
	teardown_all();
}

/* RFC 9242: an IKE_INTERMEDIATE without KE when no ADDKE is left (as
 * libreswan's intermediate=yes sends) gets an empty answer. */
static void an_empty_intermediate_gets_an_empty_answer(void)
{
	struct ike_out *resp;
	struct ike_wbuf w;
	struct ike_msg m;
	uint8_t buf[16];

	setup();
	I.conn.n_ike = 2;
	I.conn.ike[1] = I.conn.ike[0];
	with_addke(&I.conn, IKE_KE_X25519, IKE_KE_ECP384, 0);
	/* IKE_SA_INIT only: the initiator announced IKE_INTERMEDIATE, the
	 * responder chose the proposal without ADDKE */
	resp = deliver(&I, &R, initiate());
	CHECK(resp && R.sa && R.sa->inter_ok && !R.sa->alg.addke[0]);
	if (!resp || !I.sa || !R.sa)
		goto out;
	deliver(&R, &I, resp);	/* I: keys, its IKE_AUTH is built */
	ike_w_init(&w, buf, sizeof(buf));
	CHECK(ike_sk_build(I.sa, IKE_INTERMEDIATE, false, 1, &w,
			   &I.sa->req) == 0);
	resp = deliver(&I, &R, &I.sa->req);
	CHECK(resp && !ike_msg_parse(resp->buf, resp->len, &m).err &&
	      m.hdr.exchange == IKE_INTERMEDIATE &&
	      (m.hdr.flags & IKE_FLAG_RESPONSE));
	CHECK(R.sa->state == IKE_S_INIT_DONE && R.sa->int_auth_n == 1 &&
	      R.sa->peer_msgid == 2);
out:
	teardown();
}

static const struct ktap_case cases[] = {
	KTAP_CASE(cookie_round_trip_under_load),
	KTAP_CASE(request_without_cookie_keeps_no_state),
	KTAP_CASE(child_rekey_replaces_the_pair),
	KTAP_CASE(child_rekey_with_pfs_and_a_group_retry),
	KTAP_CASE(rekey_of_an_unknown_child_is_refused),
	KTAP_CASE(second_child_sa_from_the_responder),
	KTAP_CASE(psk_handshake_establishes_both_sides),
	KTAP_CASE(cbc_hmac_and_ecp256_agree),
	KTAP_CASE(wrong_psk_fails_authentication),
	KTAP_CASE(no_common_proposal_is_refused_statelessly),
	KTAP_CASE(invalid_ke_round_trip_retries_with_the_wanted_group),
	KTAP_CASE(traffic_selectors_are_narrowed),
	KTAP_CASE(disjoint_selectors_leave_the_ike_sa_without_child),
	KTAP_CASE(retransmitted_request_gets_the_cached_response),
	KTAP_CASE(forged_message_changes_nothing),
	KTAP_CASE(delete_of_ike_sa_ends_both),
	KTAP_CASE(unknown_spi_and_garbage_create_nothing),
	KTAP_CASE(ike_sa_rekey_moves_the_child_and_deletes_the_old_sa),
	KTAP_CASE(ike_sa_rekey_with_a_wrong_group_is_refused),
	KTAP_CASE(additional_key_exchanges_run_in_ike_intermediate),
	KTAP_CASE(additional_key_exchanges_change_the_keys),
	KTAP_CASE(intauth_mismatch_fails_authentication),
	KTAP_CASE(a_peer_without_intermediate_gets_no_addke_proposal),
	KTAP_CASE(the_responder_may_choose_a_proposal_without_addke),
	KTAP_CASE(forged_intermediate_changes_nothing),
	KTAP_CASE(initial_contact_only_with_no_other_sa),
	KTAP_CASE(pure_mlkem1024_over_tcp),
	KTAP_CASE(pure_mlkem1024_is_not_offered_over_udp),
	KTAP_CASE(hybrid_x25519_mlkem768_mlkem1024),
	KTAP_CASE(fragmented_intermediate_and_auth),
	KTAP_CASE(lost_intermediate_answer_is_resent),
	KTAP_CASE(no_fragments_unless_both_support_them),
	KTAP_CASE(ipv4_fragments_start_at_1280_then_shrink),
	KTAP_CASE(ipv4_fragments_fit_the_path_mtu),
	KTAP_CASE(ipv4_answer_follows_a_smaller_retransmission),
	KTAP_CASE(no_shrink_once_the_answer_began),
	KTAP_CASE(configured_fragment_size_is_kept),
	KTAP_CASE(child_rekey_with_additional_key_exchanges),
	KTAP_CASE(ike_rekey_with_additional_key_exchanges),
	KTAP_CASE(followup_with_a_wrong_link_is_refused),
	KTAP_CASE(mlkem_key_out_of_range_gets_invalid_syntax),
	KTAP_CASE(bad_addke_key_in_intermediate_ends_the_sa),
	KTAP_CASE(simultaneous_child_rekeys_leave_one_pair),
	KTAP_CASE(simultaneous_ike_rekeys_leave_one_sa),
	KTAP_CASE(one_sided_ike_rekey_collision),
	KTAP_CASE(simultaneous_ike_rekeys_with_followups_leave_one_sa),
	KTAP_CASE(child_sa_the_kernel_refuses_is_deleted),
	KTAP_CASE(rekeyed_child_sa_the_kernel_refuses_gives_back_policies),
	KTAP_CASE(an_empty_intermediate_gets_an_empty_answer),
	KTAP_CASE(nat_liveness_check_after_auth_over_tcp500),
};

KTAP_MAIN(cases)
