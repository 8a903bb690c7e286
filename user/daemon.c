// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon: see daemon.h.  This file wires sockets, timers and the
 * kernel to the IKE engine; protocol decisions live in ike/.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <stddef.h>
#include <sys/signalfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "crypto/crypto.h"
#include "ctl.h"
#include "daemon.h"
#include "ike/choose.h"
#include "ike/engine.h"
#include "install.h"
#include "log.h"
#include "net/probe.h"
#include "net/tcp.h"
#include "net/transport.h"
#include "net/udp.h"
#include "status.h"
#include "sys/caps.h"
#include "sys/espbind.h"
#include "sys/xfrm.h"

#define TICK_MS			200
#define HALF_OPEN_MS		30000	/* a responder SA waiting for AUTH */

/* What restart_delay needs of a connection (restart_conns()). */
struct conn_watch {
	uint64_t down_since;	/* first tick seen without an IKE SA; 0 */
	bool held;		/* down by `iketcpd down`, until `up` */
};

struct ik_daemon {
	struct ik_config *cfg;
	struct ike_conn_params *params;	/* one per cfg->conns[i] */
	struct conn_watch *watch;	/* one per cfg->conns[i] */
	struct ike_engine eng;
	struct ik_udp udp;
	struct ik_tcp tcp;
	struct ik_espbind bind;
	struct ik_probe_sock probe;
	struct ik_xfrm xfrm;
	int epfd, sigfd, ctlfd, lockfd;
	uint16_t next_reqid;
	bool stop;
	/* the legacy (TCP 500) connection the message being handled came
	 * on: its answer goes there (draft-ietf-ipsecme-ike-tcp 2.2) */
	struct ik_tcp_conn *in_legacy;
	uint8_t rxbuf[IKE_MAX_MSG + 64];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const struct ik_conn *conn_of(struct ik_daemon *d,
				     const struct ike_sa *sa)
{
	size_t i;

	for (i = 0; i < d->cfg->n_conns; i++)
		if (&d->params[i] == sa->conn)
			return d->cfg->conns[i];
	return NULL;
}

static const struct ike_conn_params *find_conn(void *ctx,
		const struct sockaddr_storage *local,
		const struct sockaddr_storage *remote)
{
	struct ik_daemon *d = ctx;
	size_t i;

	for (i = 0; i < d->cfg->n_conns; i++)
		if (ik_conn_matches(d->cfg->conns[i], local, remote))
			return &d->params[i];
	return NULL;
}

#define SA_LOG(lvl, sa, ...) \
	ik_log_sa(lvl, (sa)->conn ? (sa)->conn->name : "-", (sa)->spi_i, \
		  __VA_ARGS__)

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static void tcp_reconnect(struct ik_daemon *d, struct ike_sa *sa);

/*
 * IKE over TCP: on the SA's connection.  Without one, the TCP originator
 * (the IKE initiator) connects again and the message waits for the
 * connection; a responder waits for the peer's new connection, and never
 * falls back to UDP (RFC 9329 section 6).
 */
static void send_tcp(struct ik_daemon *d, struct ike_sa *sa,
		     const struct ike_out *out)
{
	int rc;

	if ((!sa->tcp || sa->tcp->dead) && sa->initiator)
		tcp_reconnect(d, sa);
	if (!sa->tcp || sa->tcp->dead) {
		SA_LOG(IK_LOG_INFO, sa, "no TCP connection: message %u waits "
		       "for the peer to connect again", out->msgid);
		return;
	}
	if (sa->tcp->connecting)
		return;		/* sent once connected (tcp_up) */
	rc = ik_tcp_send(sa->tcp, out->buf, out->len);
	if (rc)
		SA_LOG(IK_LOG_WARNING, sa, "TCP send: %s", strerror(-rc));
}

/* On UDP, a message with fragments (RFC 7383) goes as its fragments. */
static void send_udp(struct ik_daemon *d, struct ike_sa *sa,
		     const struct ike_out *out)
{
	struct ik_addrs a = {
		.local = sa->local, .remote = sa->remote,
		.slot = ik_udp_slot_for(sa->remote.ss_family, sa->natt),
	};
	const uint8_t *p = out->buf;
	size_t pos = 0, len = out->len;
	int rc = 0;

	if (out->frags.n) {
		p = ike_frags_next(&out->frags, &pos, &len);
		SA_LOG(IK_LOG_DEBUG, sa, "message %u (%zu bytes) sent as %u "
		       "fragments", out->msgid, out->len, out->frags.n);
	}
	while (p && !rc) {
		rc = ik_udp_send(&d->udp, &a, p, len);
		p = out->frags.n ? ike_frags_next(&out->frags, &pos, &len) :
				   NULL;
	}
	if (rc)
		SA_LOG(IK_LOG_WARNING, sa, "send: %s", strerror(-rc));
}

static bool send_legacy(struct ik_daemon *d, struct ike_sa *sa,
			const struct ike_out *out);

static void send_for(struct ik_daemon *d, struct ike_sa *sa,
		     const struct ike_out *out)
{
	if (sa->on_tcp)
		send_tcp(d, sa, out);
	else if (!send_legacy(d, sa, out))
		send_udp(d, sa, out);
}

/*
 * When to rekey a new SA: its rekey time t (rekey_time or ike_rekey_time)
 * less up to rekey_jitter percent at random, so that a fleet does not rekey
 * at once; the responder waits a tenth longer, so that the initiator's
 * rekey normally comes first (create.c resolves simultaneous Child SA
 * rekeys, rekey.c refuses an IKE SA rekey that meets ours).  Never, for
 * t = 0.
 */
static uint64_t rekey_after(const struct ike_sa *sa,
			    const struct ik_conn *conn, uint64_t t)
{
	uint32_t r = 0;

	if (!conn || !t)
		return UINT64_MAX;
	if (conn->rekey_jitter && !ik_random(&r, sizeof(r)))
		t -= t * (r % (conn->rekey_jitter + 1)) / 100;
	if (!sa->initiator)
		t += t / 10;
	return now_ms() + t;
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET6 ?
		     ((const struct sockaddr_in6 *)ss)->sin6_port :
		     ((const struct sockaddr_in *)ss)->sin_port);
}

static const void *ip_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return &((const struct sockaddr_in6 *)ss)->sin6_addr;
	return &((const struct sockaddr_in *)ss)->sin_addr;
}

/* ESP in UDP's ports for sa, as net/transport.h says. */
static struct ik_esp_ports esp_ports(const struct ik_daemon *d,
				     const struct ike_sa *sa)
{
	struct ik_esp_path p = {
		.ike_natt = sa->natt, .ike_lport = port_of(&sa->local),
		.ike_rport = port_of(&sa->remote),
		.seen_rport = sa->esp_seen_rport, .natt_port = d->udp.port_natt,
	};

	return ik_esp_ports(&p);
}

/* ESP's transport for c (net/transport.c decides) and, for ESP in UDP,
 * its ports. */
static void choose_esp(struct ik_daemon *d, struct ike_sa *sa,
		       struct child_sa *c, const struct ik_conn *conn)
{
	struct ik_esp_facts f = {
		.esp_transport = conn->encap, .ike_on_tcp = sa->on_tcp,
		.sep_agreed = sa->sep_agreed,
		.nat = sa->nat_local || sa->nat_remote,
		.esp_failed = sa->esp_failed,
		.probe_ok = sa->probe_ok, .probe_fallback = sa->probe_fallback,
	};
	struct ik_esp_choice ch = ik_esp_choose(&f);
	struct ik_esp_ports ports;

	c->esp_via = ch.via;
	c->esp_why = ch.why;
	c->udp_encap = ch.via == IK_ESP_UDP;
	ports = esp_ports(d, sa);
	c->encap_lport = ports.local;
	c->encap_rport = ports.remote;
}

/*
 * ESP and the IKE connection: while IKE is on TCP, the inbound state is
 * always bound to the connection (ESP records from the peer are taken
 * whatever ESP's own path, so either side may move to TCP alone), the
 * outbound one only when ESP rides TCP.
 */
static bool bind_dir(struct ik_daemon *d, struct ike_sa *sa,
		     struct child_sa *c, int dir)
{
	uint32_t spi = dir == IKETCP_DIR_IN ? c->spi_in : c->spi_out;
	char err[256];

	if (!ik_espbind_bind(&d->bind, sa->tcp->fd, dir, spi, c->udp_encap,
			     c->encap_lport, c->encap_rport, err, sizeof(err)))
		return true;
	SA_LOG(IK_LOG_ERR, sa, "Child SA %08x/%08x: %s", c->spi_in,
	       c->spi_out, err);
	return false;
}

static void bind_child(struct ik_daemon *d, struct ike_sa *sa,
		       struct child_sa *c)
{
	if (!c->installed || !sa->on_tcp)
		return;
	if (!sa->tcp || sa->tcp->dead || sa->tcp->connecting) {
		/* bound again when a connection comes */
		c->bound_in = c->bound_out = false;
		return;
	}
	c->bound_in = bind_dir(d, sa, c, IKETCP_DIR_IN);
	if (c->esp_via == IK_ESP_TCP)
		c->bound_out = bind_dir(d, sa, c, IKETCP_DIR_OUT);
}

static void unbind_child(struct ik_daemon *d, struct ike_sa *sa,
			 struct child_sa *c)
{
	char err[256];

	if (!c->bound_in && !c->bound_out)
		return;
	if (ik_espbind_unbind(&d->bind, sa->remote.ss_family,
			      ip_of(&sa->local), ip_of(&sa->remote),
			      c->spi_in, c->spi_out, err, sizeof(err)))
		SA_LOG(IK_LOG_WARNING, sa, "Child SA %08x: %s", c->spi_in,
		       err);
	c->bound_in = c->bound_out = false;
}

/* ESP of c has no path over IP/UDP (or the peer moved it): into the IKE
 * connection, states unchanged, and the IKE SA's later Child SAs too. */
static void esp_to_tcp(struct ik_daemon *d, struct ike_sa *sa,
		       struct child_sa *c, const char *why)
{
	c->esp_via = IK_ESP_TCP;
	c->esp_why = why;
	sa->esp_failed = true;
	SA_LOG(IK_LOG_NOTICE, sa, "Child SA %08x/%08x: %s: ESP moves into the "
	       "TCP connection", c->spi_in, c->spi_out, why);
	bind_child(d, sa, c);
}

static void bind_children(struct ik_daemon *d, struct ike_sa *sa)
{
	struct child_sa *c;

	for (c = sa->children; c; c = c->next)
		bind_child(d, sa, c);
}

/*
 * The peer's UDP 4500 now comes from another port (a NAT's new mapping):
 * each ESP-in-UDP state follows, updated in place so that its replay
 * state stays, and so does its binding to the IKE connection.
 */
static void esp_follow_peer(struct ik_daemon *d, struct ike_sa *sa)
{
	const struct ik_conn *conn = conn_of(d, sa);
	struct ik_esp_ports p = esp_ports(d, sa);
	struct ik_xfrm_err e = { 0 };
	struct child_sa *c;

	for (c = sa->children; c && conn; c = c->next) {
		if (!c->installed || !c->udp_encap ||
		    (c->encap_lport == p.local && c->encap_rport == p.remote))
			continue;
		c->encap_lport = p.local;
		c->encap_rport = p.remote;
		if (ik_child_update_encap(&d->xfrm, sa, c, conn,
					  &d->cfg->global, &e)) {
			SA_LOG(IK_LOG_WARNING, sa, "Child SA %08x: ESP in UDP "
			       "to port %u: %s", c->spi_in, p.remote, e.msg);
			continue;
		}
		SA_LOG(IK_LOG_NOTICE, sa, "Child SA %08x/%08x: ESP in UDP "
		       "follows the peer to port %u", c->spi_in, c->spi_out,
		       p.remote);
		if (c->bound_in)
			bind_child(d, sa, c);
	}
}

static void probe_start(struct ik_daemon *d, struct ike_sa *sa,
			const struct child_sa *c, const struct ik_conn *conn);

/* c into the kernel; false (logged) when the kernel refused it. */
static bool child_up(struct ik_daemon *d, struct ike_sa *sa,
		     struct child_sa *c)
{
	const struct ik_conn *conn = conn_of(d, sa);
	struct ik_xfrm_err e = { 0 };
	char name[64];
	int rc;

	bool successor = c->reqid != 0;	/* a rekey: reqid and policies */

	if (!successor) {
		if (!d->next_reqid)
			d->next_reqid = 1;
		c->reqid = ik_xfrm_reqid(d->next_reqid++);
	}
	choose_esp(d, sa, c, conn);
	rc = ik_child_install(&d->xfrm, sa, c, conn, &d->cfg->global,
			      !successor, &e);
	if (rc) {
		SA_LOG(IK_LOG_ERR, sa, "Child SA %08x/%08x not installed: %s; "
		       "deleted with the peer", c->spi_in, c->spi_out, e.msg);
		return false;
	}
	c->installed = true;
	bind_child(d, sa, c);
	c->created = now_ms();
	c->rekey_at = rekey_after(sa, conn, conn ? conn->rekey_time_ms : 0);
	SA_LOG(IK_LOG_NOTICE, sa, "Child SA up%s: SPIs in %08x out %08x, %s, "
	       "%s, ESP over %s (%s)", successor ? " (rekeyed)" : "",
	       c->spi_in, c->spi_out,
	       ike_prop_name(&c->alg, false, name, sizeof(name)),
	       c->transport ? "transport" : "tunnel",
	       ik_esp_via_name(c->esp_via), c->esp_why);
	probe_start(d, sa, c, conn);
	return true;
}

static void child_down(struct ik_daemon *d, struct ike_sa *sa,
		       struct child_sa *c)
{
	struct ik_xfrm_err e = { 0 };

	unbind_child(d, sa, c);
	if (c->installed && ik_child_remove(&d->xfrm, sa, c, &e))
		SA_LOG(IK_LOG_WARNING, sa, "Child SA %08x: removal: %s",
		       c->spi_in, e.msg);
	else if (c->installed)
		SA_LOG(IK_LOG_NOTICE, sa, "Child SA %08x/%08x deleted",
		       c->spi_in, c->spi_out);
}

/* The IKE SA is over: its Child SAs leave the kernel, then it goes. */
static void sa_dead(struct ik_daemon *d, struct ike_sa *sa)
{
	struct child_sa *c;

	for (c = sa->children; c; c = c->next)
		child_down(d, sa, c);
	SA_LOG(IK_LOG_NOTICE, sa, "IKE SA gone%s%s", sa->why[0] ? ": " : "",
	       sa->why);
	ike_engine_drop(&d->eng, sa);
}

/* An authentic message over UDP 4500 from a->remote: IKE answers there,
 * and ESP in UDP follows when only the port changed (ESP states cannot
 * change their addresses in place). */
static void nat_follow(struct ik_daemon *d, struct ike_sa *sa,
		       const struct ik_addrs *a)
{
	bool same_ip = ike_same_ip(&sa->remote, &a->remote);

	sa->natt = true;
	sa->remote = a->remote;
	sa->local = a->local;
	if (same_ip)
		esp_follow_peer(d, sa);
}

/*
 * NAT-T (RFC 7296 2.23): once a NAT is seen, the initiator moves IKE to
 * port 4500 before IKE_AUTH; the responder follows the peer's address and
 * port when an authentic message comes from elsewhere.
 */
static void nat_float(struct ik_daemon *d, struct ike_sa *sa,
		      const struct ik_addrs *a, bool authentic)
{
	/* RFC 9242 2: in the first IKE_INTERMEDIATE when there is one */
	if (sa->initiator && !sa->natt &&
	    (sa->state == IKE_S_AUTH_SENT || sa->state == IKE_S_INTER_SENT) &&
	    (sa->nat_local || sa->nat_remote)) {
		sa->natt = true;
		set_port(&sa->local, d->udp.port_natt);
		set_port(&sa->remote, d->udp.port_natt);
		SA_LOG(IK_LOG_INFO, sa, "NAT detected (%s): IKE moves to "
		       "port %u", sa->nat_local ? "in front of us" :
		       "in front of the peer", d->udp.port_natt);
	}
	/* IKE_SA_INIT to port 4500 (separate transports' discovery, RFC
	 * 7296 2.23 allows it): the responder answers there */
	if (a && !sa->initiator && sa->state == IKE_S_INIT_DONE &&
	    ik_udp_slot_natt(a->slot))
		sa->natt = true;
	if (a && authentic && ik_udp_slot_natt(a->slot))
		nat_follow(d, sa, a);
}

static const char *ike_via(const struct ike_sa *sa)
{
	if (sa->on_tcp)
		return "TCP";
	return sa->natt ? "UDP 4500" : "UDP 500";
}

/* Over UDP, RFC 7296 2.4's schedule; over TCP no retransmission (RFC
 * 9329 section 6), only a give-up after as long as the schedule lasts. */
static void arm_retransmit(struct ik_daemon *d, struct ike_sa *sa)
{
	const struct ik_global *g = &d->cfg->global;
	uint64_t wait = 0, w;
	unsigned int n;

	sa->rtx_n = 0;
	if (!sa->on_tcp) {
		sa->rtx_at = now_ms() + ik_retransmit_delay_ms(g, 0);
		return;
	}
	for (n = 0; n < 64 && (w = ik_retransmit_delay_ms(g, n)); n++)
		wait += w;
	sa->rtx_at = now_ms() + wait;
}

static void restart_over_udp(struct ik_daemon *d, struct ike_sa *sa,
			     const char *why);
static void legacy_done(struct ike_sa *sa);
static int tcp_attach_new(struct ik_daemon *d, struct ike_sa *sa);

/*
 * separate-udp, IKE_SA_INIT done: on the responder's echo, IKE_AUTH and
 * everything after go over TCP (draft section 3.1); without it IKE stays
 * on UDP 4500.  A TCP connection that cannot even start means the
 * fallback of tcp_fallback.
 */
static bool after_init(struct ik_daemon *d, struct ike_sa *sa)
{
	const struct ik_conn *conn = conn_of(d, sa);

	if (!conn || conn->ike_transport != IK_IKE_SEP_UDP || sa->on_tcp ||
	    !sa->sep_offered)
		return false;
	if (!sa->sep_agreed) {
		sa->ike_why = "no SEPARATE_TRANSPORTS echo: IKE stays on UDP";
		SA_LOG(IK_LOG_INFO, sa, "%s", sa->ike_why);
		return false;
	}
	sa->ike_why = "SEPARATE_TRANSPORTS echoed: IKE moved to TCP";
	SA_LOG(IK_LOG_INFO, sa, "%s", sa->ike_why);
	sa->on_tcp = true;
	if (!tcp_attach_new(d, sa))
		return false;
	restart_over_udp(d, sa, "TCP connection failed");
	return true;
}

/* Each RFC 9370 additional key exchange, once both sides have its key. */
static void log_addke(struct ike_sa *sa)
{
	char name[16];

	while (sa->addke_logged < sa->addke_next) {
		uint16_t g = sa->alg.addke[sa->addke_logged++];

		SA_LOG(IK_LOG_INFO, sa, "additional key exchange %u (%s) done",
		       sa->addke_logged, ike_ke_name(g, name, sizeof(name)));
	}
}

/* When to rekey an IKE SA: ike_rekey_time, as rekey_after() does it. */
static uint64_t ike_rekey_time(struct ik_daemon *d, const struct ike_sa *sa)
{
	const struct ik_conn *conn = conn_of(d, sa);

	return rekey_after(sa, conn, conn ? conn->ike_rekey_time_ms : 0);
}

/* The IKE SA was rekeyed: the new one takes over the transport, the
 * timers and the Child SAs (moved by the engine); the old one waits for
 * its DELETE. */
static void adopt(struct ik_daemon *d, struct ike_sa *old, struct ike_sa *ns)
{
	ike_engine_adopt(&d->eng, ns);
	ns->tcp = old->tcp;
	ns->on_tcp = old->on_tcp;
	ns->ike_why = old->ike_why;
	ns->esp_failed = old->esp_failed;
	ns->probe_ok = old->probe_ok;
	ns->probe_fallback = old->probe_fallback;
	ns->esp_seen_rport = old->esp_seen_rport;
	ns->created = ns->last_heard = ns->up_since = now_ms();
	ns->ike_rekey_at = ike_rekey_time(d, ns);
	old->ike_rekey_at = UINT64_MAX;
	SA_LOG(IK_LOG_NOTICE, ns, "IKE SA rekeyed: SPIs %016llx/%016llx "
	       "replace %016llx/%016llx", (unsigned long long)ns->spi_i,
	       (unsigned long long)ns->spi_r, (unsigned long long)old->spi_i,
	       (unsigned long long)old->spi_r);
}

static void apply(struct ik_daemon *d, struct ike_sa *sa,
		  const struct ik_addrs *a, struct ike_effects *fx);

/* 2.8.2: the redundant new SA of a simultaneous IKE SA rekey joins the
 * table until its initiator's DELETE; ours goes out now. */
static void adopt_redundant(struct ik_daemon *d, struct ike_sa *old,
			    struct ike_sa *ns)
{
	ike_engine_adopt(&d->eng, ns);
	ns->tcp = old->tcp;
	ns->on_tcp = old->on_tcp;
	ns->ike_why = old->ike_why;
	ns->created = ns->last_heard = now_ms();
	ns->ike_rekey_at = UINT64_MAX;
	SA_LOG(IK_LOG_NOTICE, ns, "IKE SA %016llx/%016llx is redundant "
	       "(simultaneous rekeys): %s", (unsigned long long)ns->spi_i,
	       (unsigned long long)ns->spi_r,
	       ns->req.len ? "deleting it" : "the peer deletes it");
	if (ns->req.len) {
		arm_retransmit(d, ns);
		send_for(d, ns, &ns->req);
	}
}

/* The kernel refused the Child SAs in failed[0..n): each is deleted with
 * the peer and freed; the IKE SA stays. */
static void children_failed(struct ik_daemon *d, struct ike_sa *sa,
			    struct child_sa **failed, int n)
{
	struct ike_effects fx = { 0 };
	int i;

	for (i = 0; i < n; i++)
		if (ike_info_child_failed(sa, failed[i], &fx))
			SA_LOG(IK_LOG_WARNING, sa, "Child SA %08x: %s",
			       failed[i]->spi_in, sa->why);
	apply(d, sa, NULL, &fx);
}

/*
 * The peer's INITIAL_CONTACT (RFC 7296 2.4): it restarted, so our other
 * IKE SAs of this connection with it are gone on its side.  They go now,
 * without a DELETE, before sa's Child SA installs policies for the same
 * traffic selectors.
 */
static void initial_contact(struct ik_daemon *d, struct ike_sa *sa)
{
	struct ike_sa *s, *next;

	for (s = d->eng.table.head; s; s = next) {
		next = s->next;
		if (s == sa || s->conn != sa->conn ||
		    !ike_same_ip(&s->remote, &sa->remote))
			continue;
		ike_sa_fail(s, "the peer restarted (INITIAL_CONTACT)");
		sa_dead(d, s);
	}
}

static void apply(struct ik_daemon *d, struct ike_sa *sa,
		  const struct ik_addrs *a, struct ike_effects *fx)
{
	struct child_sa *failed[2];
	int i, n_failed = 0;

	if (!sa) {
		if (fx->send && a) {
			int rc = ik_udp_send(&d->udp, a, fx->send->buf,
					     fx->send->len);
			if (rc)
				ik_log(IK_LOG_WARNING, "send: %s",
				       strerror(-rc));
		}
		return;
	}
	if (fx->initial_contact)
		initial_contact(d, sa);
	if (!sa->on_tcp)
		nat_float(d, sa, a, fx->authentic);
	if (!sa->ike_why)	/* a responder: the peer chose */
		sa->ike_why = sa->on_tcp ? "the peer came over TCP" :
			      "the peer came over UDP";
	if (fx->authentic || fx->established)
		sa->last_heard = now_ms();
	log_addke(sa);
	if (fx->frags_in)
		SA_LOG(IK_LOG_DEBUG, sa, "a message reassembled from %u "
		       "fragments", fx->frags_in);
	if (fx->answer_recut)
		SA_LOG(IK_LOG_INFO, sa, "the peer's request %u came again in "
		       "smaller fragments: our answer too, at most %u bytes "
		       "each (RFC 7383 2.5.2)", sa->resp.msgid,
		       fx->answer_recut);
	if (fx->send == &sa->req && sa->req.msgid == 1 &&
	    (sa->state == IKE_S_AUTH_SENT || sa->state == IKE_S_INTER_SENT) &&
	    after_init(d, sa))
		return;		/* the SA is gone: restarted over UDP */
	if (fx->send) {
		if (fx->send == &sa->req)
			arm_retransmit(d, sa);
		send_for(d, sa, fx->send);
	}
	if (fx->send_after) {
		if (fx->send_after == &sa->req)
			arm_retransmit(d, sa);
		send_for(d, sa, fx->send_after);
	}
	if (fx->established) {
		char name[80];

		SA_LOG(IK_LOG_NOTICE, sa, "IKE SA up with %s, over %s (%s)",
		       ike_prop_name(&sa->alg, true, name, sizeof(name)),
		       ike_via(sa), sa->ike_why ? sa->ike_why : "-");
	}
	if (fx->established) {
		sa->up_since = now_ms();
		sa->ike_rekey_at = ike_rekey_time(d, sa);
		if (sa->initiator)
			legacy_done(sa);
	}
	if (fx->rekeyed)
		adopt(d, sa, fx->rekeyed);
	if (fx->redundant)
		adopt_redundant(d, sa, fx->redundant);
	for (i = 0; i < fx->n_install; i++)
		if (!child_up(d, sa, fx->install[i]))
			failed[n_failed++] = fx->install[i];
	for (i = 0; i < fx->n_remove; i++) {
		child_down(d, sa, fx->remove[i]);
		child_sa_free(fx->remove[i]);
	}
	if (fx->dead)
		sa_dead(d, sa);
	else if (n_failed)
		children_failed(d, sa, failed, n_failed);
}

/* ---- IKE over TCP (net/tcp.c): connections and the SAs riding them ---- */

#define TAG_TCP_LISTEN	200	/* + the listener's index (net/tcp.h) */
#define TCP_RECONNECT_MS	1000

static void initiate(struct ik_daemon *d, size_t i);

/* Connections are tagged by their address (any tag below 1000 is one of
 * the fixed sockets); a connecting one waits for EPOLLOUT. */
static int watch_conn(struct ik_daemon *d, struct ik_tcp_conn *c, int op)
{
	struct epoll_event ev = {
		.events = EPOLLIN | (c->connecting ? EPOLLOUT : 0),
		.data.ptr = c,
	};

	return epoll_ctl(d->epfd, op, c->fd, &ev);
}

static struct sockaddr_storage tcp_peer(struct ik_daemon *d,
					const struct sockaddr_storage *remote)
{
	struct sockaddr_storage r = *remote;

	set_port(&r, d->cfg->global.tcp_port);
	return r;
}

/* Start a connection and watch it; NULL with the cause in err. */
static struct ik_tcp_conn *connect_watched(struct ik_daemon *d,
		const struct sockaddr_storage *local,
		const struct sockaddr_storage *remote, bool legacy, char *err,
		size_t errlen)
{
	struct ik_tcp_conn *c;

	c = ik_tcp_connect(&d->tcp, local, remote, legacy, now_ms(), err,
			   errlen);
	if (c && watch_conn(d, c, EPOLL_CTL_ADD)) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		ik_tcp_shut(c);
		c = NULL;
	}
	return c;
}

/* A new connection from the SA's local address to the peer's TCP port. */
static int tcp_attach_new(struct ik_daemon *d, struct ike_sa *sa)
{
	struct sockaddr_storage remote = tcp_peer(d, &sa->remote);
	struct ik_tcp_conn *c;
	char err[256];

	c = connect_watched(d, &sa->local, &remote, false, err, sizeof(err));
	if (!c) {
		SA_LOG(IK_LOG_WARNING, sa, "%s", err);
		return -1;
	}
	sa->tcp = c;
	return 0;
}

/* The TCP originator lost its connection: a new one, at most once a
 * second; the SAs' ESP bindings move to it once it is up (tcp_up). */
static void tcp_reconnect(struct ik_daemon *d, struct ike_sa *sa)
{
	uint64_t now = now_ms();

	if (now < sa->reconnect_at)
		return;
	sa->reconnect_at = now + TCP_RECONNECT_MS;
	SA_LOG(IK_LOG_INFO, sa, "connecting to the peer over TCP again");
	tcp_attach_new(d, sa);
}

static ssize_t conn_index_of(struct ik_daemon *d, const struct ike_sa *sa)
{
	size_t i;

	for (i = 0; i < d->cfg->n_conns; i++)
		if (&d->params[i] == sa->conn)
			return i;
	return -1;
}

/*
 * separate-udp without a TCP connection (draft section 3.1): cancel the
 * IKE SA and, if tcp_fallback = udp, start again over UDP without
 * proposing separate transports.  The SA is freed.
 */
static void restart_over_udp(struct ik_daemon *d, struct ike_sa *sa,
			     const char *why)
{
	const struct ik_conn *conn = conn_of(d, sa);
	ssize_t i = conn_index_of(d, sa);
	bool again = conn && conn->tcp_fallback == IK_TCP_FALLBACK_UDP;

	ike_sa_fail(sa, "%s: %s", why, again ? "starting again over UDP "
		    "without SEPARATE_TRANSPORTS" : "giving up (tcp_fallback "
		    "= fail)");
	sa_dead(d, sa);
	if (!again || i < 0)
		return;
	d->eng.no_sep_offer = true;
	initiate(d, i);
}

static void tcp_lost(struct ik_daemon *d, struct ik_tcp_conn *c,
		     const char *why);

/* ---- IKE over TCP port 500 (draft-ietf-ipsecme-ike-tcp, legacy ULP) ---- */

/* Does our request out go over TCP?  Only as the original initiator, per
 * ike_transport: tcp500 always; auto when it is longer than
 * tcp500_threshold and the peer announced IKE_TCP_SUPPORTED. */
static bool legacy_wants_tcp(struct ik_daemon *d, const struct ike_sa *sa,
			     const struct ike_out *out)
{
	const struct ik_conn *conn = conn_of(d, sa);

	if (!conn || !sa->initiator || out != &sa->req)
		return false;
	if (conn->ike_transport == IK_IKE_TCP500)
		return true;
	return conn->ike_transport == IK_IKE_AUTO && sa->peer_tcp_port &&
	       out->len > conn->tcp500_threshold;
}

static void legacy_connect(struct ik_daemon *d, struct ike_sa *sa)
{
	struct sockaddr_storage remote = sa->remote;
	struct ik_tcp_conn *c;
	char err[256];

	set_port(&remote, sa->peer_tcp_port ? sa->peer_tcp_port :
		 d->cfg->global.tcp500_port);
	c = connect_watched(d, &sa->local, &remote, true, err, sizeof(err));
	if (!c) {
		SA_LOG(IK_LOG_WARNING, sa, "TCP 500: %s; over UDP", err);
		send_udp(d, sa, &sa->req);
		return;
	}
	sa->tcp = c;	/* tcp_up sends the request */
}

/*
 * Each message picks its transport (draft sections 2.1-2.2).  An answer
 * goes on the connection its request came on, and nowhere if that one is
 * gone (the peer retransmits); a request that wants TCP goes on our own
 * connection (never the peer's), new if needed, and is never sent twice on
 * one connection: TCP retransmits.  Returns false for UDP.
 */
static bool send_legacy(struct ik_daemon *d, struct ike_sa *sa,
			const struct ike_out *out)
{
	struct ik_tcp_conn *c = d->in_legacy;
	int rc;

	if (out == &sa->resp && c) {
		rc = c->dead ? -ENOTCONN : ik_tcp_send(c, out->buf, out->len);
		if (rc)
			SA_LOG(IK_LOG_INFO, sa, "answer not sent: the peer's TCP "
			       "connection is gone (%s); it will retransmit",
			       strerror(-rc));
		return true;
	}
	if (out->over_udp) {
		if (!sa->rtx_n)
			SA_LOG(IK_LOG_INFO, sa, "NAT detected: liveness check "
			       "over UDP %u right after IKE_AUTH over TCP 500",
			       port_of(&sa->remote));
		return false;
	}
	if (!legacy_wants_tcp(d, sa, out))
		return false;
	c = sa->tcp;
	if (!c || c->dead) {
		if (sa->rtx_n)
			return false;	/* the connection went: UDP now */
		legacy_connect(d, sa);
		return true;
	}
	if (sa->rtx_n || c->connecting)
		return true;	/* TCP retransmits; or sent once connected */
	rc = ik_tcp_send(c, out->buf, out->len);
	if (rc)
		SA_LOG(IK_LOG_WARNING, sa, "TCP 500 send: %s", strerror(-rc));
	return !rc;
}

/* The initiator's last request over TCP is answered: half-close (section
 * 2.1; the NAT liveness check goes over UDP); the connection closes on the
 * next tick, as no SA rides it. */
static void legacy_done(struct ike_sa *sa)
{
	if (!sa->tcp || !sa->tcp->legacy || (sa->req.len && !sa->req.over_udp))
		return;
	ik_tcp_half_close(sa->tcp);
	sa->tcp = NULL;
}

/* The connection is up: each SA riding it sends what waited for it, and
 * its ESP bindings move to it (a reconnect). */
static void tcp_up(struct ik_daemon *d, struct ik_tcp_conn *c)
{
	struct ike_sa *sa, *next;
	char err[256];

	if (ik_tcp_connected(c, err, sizeof(err))) {
		tcp_lost(d, c, err);
		return;
	}
	watch_conn(d, c, EPOLL_CTL_MOD);
	for (sa = d->eng.table.head; sa; sa = next) {
		next = sa->next;
		if (sa->tcp != c)
			continue;
		SA_LOG(IK_LOG_INFO, sa, "TCP connection to the peer is up");
		bind_children(d, sa);
		if (sa->req.len) {
			send_tcp(d, sa, &sa->req);
		} else if (sa->state == IKE_S_ESTABLISHED && !c->legacy) {
			/* tell the responder which connection is ours now */
			struct ike_effects fx = { 0 };

			if (!ike_info_liveness(sa, &fx))
				apply(d, sa, NULL, &fx);
		}
	}
}

/*
 * A connection closed, failed or was reset: the SAs on it lose it.  An
 * initiator that was still setting up over separate-udp falls back to
 * UDP; other initiators reconnect; responders wait for the peer (RFC 9329
 * section 6: only the TCP originator reconnects).
 */
static void tcp_lost(struct ik_daemon *d, struct ik_tcp_conn *c,
		     const char *why)
{
	const struct ik_conn *conn;
	struct ike_sa *sa, *next;

	for (sa = d->eng.table.head; sa; sa = next) {
		next = sa->next;
		if (sa->tcp != c)
			continue;
		sa->tcp = NULL;
		conn = conn_of(d, sa);
		SA_LOG(IK_LOG_NOTICE, sa, "TCP connection lost: %s", why);
		if (c->legacy) {
			/* closed before the answer came: UDP (section 2.1) */
			if (sa->req.len)
				send_udp(d, sa, &sa->req);
			continue;
		}
		if (sa->initiator && sa->state != IKE_S_ESTABLISHED &&
		    conn && conn->ike_transport == IK_IKE_SEP_UDP) {
			restart_over_udp(d, sa, "TCP connection failed");
		} else if (sa->initiator && sa->state == IKE_S_ESTABLISHED) {
			tcp_reconnect(d, sa);
		} else if (sa->initiator) {
			/* a TCP start: no fallback; restart_delay tries
			 * again, without waiting for the give-up */
			ike_sa_fail(sa, "TCP connection failed: %s", why);
			sa_dead(d, sa);
		}
	}
	if (!c->dead)
		ik_tcp_shut(c);
}

static bool conn_carries_sa(struct ik_daemon *d, const struct ik_tcp_conn *c)
{
	struct ike_sa *sa;

	for (sa = d->eng.table.head; sa; sa = sa->next)
		if (sa->tcp == c)
			return true;
	return false;
}

/* An SA follows the connection its peer uses (a new one after the
 * originator reconnected); its ESP bindings follow too. */
static void tcp_follow(struct ik_daemon *d, struct ike_sa *sa,
		       struct ik_tcp_conn *c, bool authentic)
{
	bool fresh = !sa->on_tcp && sa->state == IKE_S_INIT_DONE;

	if (sa->tcp == c || (!authentic && !fresh))
		return;
	if (!sa->on_tcp)
		sa->ike_why = sa->natt ? "IKE_AUTH came over TCP "
			      "(SEPARATE_TRANSPORTS)" : "IKE_SA_INIT came "
			      "over TCP";
	sa->on_tcp = true;
	sa->tcp = c;
	bind_children(d, sa);
}

static void tcp_input(struct ik_daemon *d, struct ik_tcp_conn *c, size_t n)
{
	struct sockaddr_storage local = c->local, remote = c->remote;
	struct ike_effects fx;
	struct ike_sa *sa;
	char why[256];
	int rc;

	/* a legacy SA's addresses are those of UDP 500: its connections
	 * come and go, per message */
	if (c->legacy) {
		set_port(&local, d->udp.port_ike);
		set_port(&remote, d->udp.port_ike);
	}
	d->eng.in_tcp = true;
	d->eng.in_tcp500 = c->legacy;
	d->eng.now = now_ms();
	sa = ike_engine_input(&d->eng, d->rxbuf, n, &local, &remote, &fx, why,
			      sizeof(why));
	d->eng.in_tcp = d->eng.in_tcp500 = false;
	if (why[0]) {
		if (sa)
			SA_LOG(IK_LOG_INFO, sa, "%s", why);
		else
			ik_log(IK_LOG_DEBUG, "dropped (TCP): %s", why);
	}
	if (!sa) {
		rc = fx.send ? ik_tcp_send(c, fx.send->buf, fx.send->len) : 0;
		if (rc)
			ik_log(IK_LOG_WARNING, "TCP send: %s", strerror(-rc));
		return;
	}
	if (c->legacy) {
		d->in_legacy = c;
		apply(d, sa, NULL, &fx);
		d->in_legacy = NULL;
		return;
	}
	tcp_follow(d, sa, c, fx.authentic);
	apply(d, sa, NULL, &fx);
}

static void on_tcp_conn(struct ik_daemon *d, struct ik_tcp_conn *c,
			uint32_t events)
{
	const char *cause;
	char why[160];
	int budget = 16;
	ssize_t n;

	if (c->dead)
		return;
	if (c->connecting) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			tcp_up(d, c);
		return;
	}
	while (budget-- && !c->dead) {
		n = ik_tcp_recv(c, d->rxbuf, sizeof(d->rxbuf));
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return;
		if (n > 0) {
			c->last_active = now_ms();
			tcp_input(d, c, n);
			continue;
		}
		cause = n == -EPROTO ?
			ik_espbind_reset_cause(&d->bind, c->inode) : NULL;
		snprintf(why, sizeof(why), "%s%s%s", n == 0 ? "closed by the "
			 "peer" : strerror((int)-n), cause ? ": reset by the "
			 "iketcp module, counter " : "", cause ? cause : "");
		ik_log(IK_LOG_NOTICE, "TCP connection %s: %s",
		       c->originator ? "to the peer" : "from a peer", why);
		tcp_lost(d, c, why);
	}
}

static void on_tcp_listen(struct ik_daemon *d, int i)
{
	struct ik_tcp_conn *c;
	char err[256];
	int budget = 16;

	while (budget--) {
		c = ik_tcp_accept(&d->tcp, i, now_ms(), err, sizeof(err));
		if (!c) {
			if (err[0])
				ik_log(IK_LOG_WARNING, "%s", err);
			return;
		}
		if (watch_conn(d, c, EPOLL_CTL_ADD))
			ik_tcp_shut(c);
	}
}

/*
 * The connections' timers: a connect that takes too long fails; an
 * accepted connection that carries no IKE SA closes after
 * tcp_idle_timeout; our own closes once no SA rides it.
 */
static void tcp_tick(struct ik_daemon *d, uint64_t now)
{
	struct ik_tcp_conn *c;

	for (c = d->tcp.conns; c; c = c->next) {
		if (c->dead)
			continue;
		if (c->connecting) {
			/* one made during this tick (a restart) is newer
			 * than now: not yet late */
			if (now > c->created &&
			    now - c->created > IK_TCP_CONNECT_TIMEOUT_MS)
				tcp_lost(d, c, "connect timed out");
		} else if (conn_carries_sa(d, c)) {
			continue;
		} else if (c->originator) {
			ik_tcp_shut(c);
		} else if (now - c->last_active > (c->legacy ?
			   d->cfg->global.tcp500_idle_timeout_ms :
			   d->cfg->global.tcp_idle_timeout_ms)) {
			ik_log(IK_LOG_INFO, "closing an idle TCP connection "
			       "that carries no IKE SA");
			ik_tcp_shut(c);
		}
	}
	ik_tcp_reap(&d->tcp);
}

static bool probe_input(struct ik_daemon *d, const uint8_t *ike, size_t n,
			const struct ik_addrs *a, enum ik_esp_via via);

static void on_udp(struct ik_daemon *d, enum ik_udp_slot s)
{
	struct ike_effects fx;
	struct ik_addrs a;
	struct ike_sa *sa;
	char why[256];
	ssize_t n;
	int budget = 64;	/* then let the other sockets and timers in */

	while (budget--) {
		n = ik_udp_recv(&d->udp, s, d->rxbuf, sizeof(d->rxbuf), &a);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return;
		if (n <= 0)
			continue;
		if (ik_udp_slot_natt(s) &&
		    probe_input(d, d->rxbuf, n, &a, IK_ESP_UDP))
			continue;
		d->eng.now = now_ms();
		sa = ike_engine_input(&d->eng, d->rxbuf, n, &a.local,
				      &a.remote, &fx, why, sizeof(why));
		if (why[0]) {
			if (sa)
				SA_LOG(IK_LOG_INFO, sa, "%s", why);
			else
				ik_log(IK_LOG_DEBUG, "dropped: %s", why);
		}
		apply(d, sa, &a, &fx);
	}
}

/*
 * A request of ours went unanswered over UDP: if its fragments are larger
 * than the path MTU the kernel learnt since (from an ICMP "fragmentation
 * needed"), cut it again to fit, rather than let the kernel send IP
 * fragments that middleboxes drop, the very thing RFC 7383 avoids.
 */
static bool fit_path_mtu(struct ike_sa *sa)
{
	if (!sa->frag_ok || sa->remote.ss_family != AF_INET)
		return false;
	return ike_frag_fit_path(sa, ik_udp_path_mtu(&sa->remote));
}

static void retransmit(struct ik_daemon *d, struct ike_sa *sa, uint64_t now)
{
	uint64_t wait = ik_retransmit_delay_ms(&d->cfg->global,
					       sa->rtx_n + 1);

	if (sa->on_tcp) {
		ike_sa_fail(sa, "no answer over TCP");
		sa_dead(d, sa);
		return;
	}
	if (!wait) {
		ike_sa_fail(sa, "no answer from the peer (%u "
			    "retransmissions)", sa->rtx_n);
		sa_dead(d, sa);
		return;
	}
	sa->rtx_n++;
	sa->rtx_at = now + wait;
	if (fit_path_mtu(sa))
		SA_LOG(IK_LOG_INFO, sa, "request %u unanswered; the path "
		       "carries IPv4 datagrams of %u bytes at most (ICMP): "
		       "again in %zu-byte fragments (RFC 7383 2.5.2)",
		       sa->req.msgid, sa->path_mtu, sa->req.frags.max_msg);
	else if (ike_frag_shrink_request(sa, sa->rtx_n))
		SA_LOG(IK_LOG_INFO, sa, "request %u unanswered after %u sends: "
		       "again in %zu-byte fragments from now on (RFC 7383 "
		       "2.5.2)", sa->req.msgid, sa->rtx_n,
		       sa->req.frags.max_msg);
	send_for(d, sa, &sa->req);
}

/*
 * Dead peer detection: an INFORMATIONAL after liveness_interval of silence;
 * a peer silent for liveness_timeout more while a request of ours waits is
 * dead (or sooner, when the retransmissions run out).  Returns true when
 * the SA was dropped.
 */
static bool liveness(struct ik_daemon *d, struct ike_sa *sa, uint64_t now)
{
	const struct ik_conn *conn = conn_of(d, sa);
	struct ike_effects fx = { 0 };

	if (!conn || !conn->liveness_interval_ms)
		return false;
	if (sa->req.len && now - sa->last_heard >=
	    conn->liveness_interval_ms + conn->liveness_timeout_ms) {
		ike_sa_fail(sa, "peer silent for %llu s: dead",
			    (unsigned long long)(now - sa->last_heard) / 1000);
		sa_dead(d, sa);
		return true;
	}
	if (sa->req.len || now - sa->last_heard < conn->liveness_interval_ms)
		return false;
	if (!ike_info_liveness(sa, &fx))
		apply(d, sa, NULL, &fx);
	return false;
}

/*
 * ike_lifetime: an IKE SA that was not rekeyed by then ends, its Child SAs
 * with it; the peer is told when no request of ours is out.  Counted, like
 * ike_rekey_time, from when the SA came up: a slow handshake must not eat
 * the rekey's margin.  True when the SA was dropped.
 */
static bool ike_expired(struct ik_daemon *d, struct ike_sa *sa, uint64_t now)
{
	const struct ik_conn *conn = conn_of(d, sa);
	struct ike_effects fx = { 0 };

	if (!conn || !conn->ike_lifetime_ms || !sa->up_since ||
	    now - sa->up_since < conn->ike_lifetime_ms)
		return false;
	if (!sa->req.len && !ike_info_delete_ike(sa, &fx) && fx.send)
		send_for(d, sa, fx.send);
	ike_sa_fail(sa, "IKE SA lifetime of %llu s ended without a rekey",
		    (unsigned long long)conn->ike_lifetime_ms / 1000);
	sa_dead(d, sa);
	return true;
}

/* The IKE SA's rekey, when its time has come and nothing else is out. */
static void rekey_ike(struct ik_daemon *d, struct ike_sa *sa, uint64_t now)
{
	struct ike_effects fx = { 0 };

	if (now < sa->ike_rekey_at || sa->req.len || sa->creating ||
	    sa->rekey_new || sa->rekey_ours)
		return;
	sa->ike_rekey_at = now + 10000;	/* the retry, should it fail */
	SA_LOG(IK_LOG_INFO, sa, "rekeying the IKE SA");
	if (ike_rekey_start(sa, &fx))
		SA_LOG(IK_LOG_WARNING, sa, "%s", sa->why);
	else
		apply(d, sa, NULL, &fx);
}

/* Queued DELETEs first, then a Child SA whose rekey time has come. */
static void rekey_children(struct ik_daemon *d, struct ike_sa *sa,
			   uint64_t now)
{
	struct ike_effects fx = { 0 };
	struct child_sa *c;

	if (sa->req.len || sa->creating)
		return;
	if (ike_info_flush_deletes(sa, &fx) > 0) {
		apply(d, sa, NULL, &fx);
		return;
	}
	for (c = sa->children; c; c = c->next) {
		if (c->rekeying || now < c->rekey_at)
			continue;
		SA_LOG(IK_LOG_INFO, sa, "rekeying Child SA %08x/%08x",
		       c->spi_in, c->spi_out);
		c->rekey_at = now + 10000;	/* the retry, should it fail */
		if (ike_create_child(sa, c, &fx))
			SA_LOG(IK_LOG_WARNING, sa, "%s", sa->why);
		else
			apply(d, sa, NULL, &fx);
		return;
	}
}

static void child_stats(void *ctx, const struct ike_sa *sa,
			const struct child_sa *c, struct ik_child_stats *st);

/*
 * Is ESP on IP/UDP getting through?  With IKE on TCP, once a second: a
 * Child SA that sends ESP and receives none for esp_fail_timeout moves into
 * the connection; one whose inbound binding carried ESP follows the peer,
 * which moved it.  (The draft's reachability check, by counters: the
 * kernel has no ESP echo.)
 */
static void esp_watch_child(struct ik_daemon *d, struct ike_sa *sa,
			    struct child_sa *c, uint64_t now)
{
	uint64_t timeout = d->cfg->global.esp_fail_timeout_ms;
	struct ik_child_stats st;
	bool sent;

	if (c->bound_in &&
	    ik_espbind_in_packets(&d->bind, sa->remote.ss_family,
				  c->spi_in) > 0) {
		esp_to_tcp(d, sa, c, "the peer sends ESP on the TCP "
			   "connection");
		return;
	}
	child_stats(d, sa, c, &st);
	if (!st.ok)
		return;
	sent = st.out_packets != c->seen_out;
	if (st.in_packets != c->seen_in)
		c->stall_since = 0;
	else if (sent && !c->stall_since)
		c->stall_since = now;
	c->seen_in = st.in_packets;
	c->seen_out = st.out_packets;
	if (sent && c->stall_since && now - c->stall_since >= timeout)
		esp_to_tcp(d, sa, c, "ESP sent over IP/UDP, none received");
}

static void esp_watch(struct ik_daemon *d, struct ike_sa *sa, uint64_t now)
{
	struct child_sa *c;

	if (!d->cfg->global.esp_fail_timeout_ms || !sa->on_tcp || !sa->tcp ||
	    sa->tcp->dead || sa->tcp->connecting || now < sa->esp_watch_at ||
	    sa->probe_until)
		return;
	sa->esp_watch_at = now + 1000;
	for (c = sa->children; c; c = c->next)
		if (c->installed && c->esp_via != IK_ESP_TCP)
			esp_watch_child(d, sa, c, now);
}

static bool esp_in_udp(const struct ike_sa *sa)
{
	const struct child_sa *c;

	for (c = sa->children; c; c = c->next)
		if (c->esp_via == IK_ESP_UDP)
			return true;
	return false;
}

/*
 * Behind a NAT, keep its mapping for port 4500 open (RFC 3948 2.3): while
 * IKE is on UDP 4500, and while ESP is in UDP whatever IKE rides (a TCP
 * connection keeps only its own mapping).
 */
static void nat_keepalive(struct ik_daemon *d, struct ike_sa *sa,
			  uint64_t now)
{
	uint64_t every = d->cfg->global.nat_keepalive_ms;
	struct ik_addrs a;

	if (!every || !sa->nat_local || now < sa->keepalive_at ||
	    !((sa->natt && !sa->on_tcp) || esp_in_udp(sa)))
		return;
	sa->keepalive_at = now + every;
	a.local = sa->local;
	a.remote = sa->remote;
	if (!sa->natt) {	/* IKE on TCP from the start */
		set_port(&a.local, d->udp.port_natt);
		set_port(&a.remote, d->udp.port_natt);
	}
	a.slot = ik_udp_slot_for(sa->remote.ss_family, true);
	if (ik_udp_send_keepalive(&d->udp, &a))
		SA_LOG(IK_LOG_DEBUG, sa, "NAT keepalive not sent");
}

/* ---- the ESP path probe after a TCP start (net/probe.h) ---- */

#define PROBE_EVERY_MS	400

/* Our probe (or answer) over ESP's path: bare IP, or UDP 4500 (both ends
 * on port 4500 when IKE came over TCP, as ESP in UDP). */
static void probe_send(struct ik_daemon *d, const struct ike_sa *sa,
		       const struct ik_addrs *to, enum ik_esp_via via,
		       bool answer, const uint8_t *token)
{
	struct ik_probe_msg m = { .spi_i = sa->spi_i, .spi_r = sa->spi_r,
				  .answer = answer };
	uint8_t b[IK_PROBE_LEN];
	int rc;

	memcpy(m.token, token, IK_PROBE_TOKEN_LEN);
	ik_probe_encode(&m, b);
	if (via == IK_ESP_IP)
		rc = ik_probe_send(&d->probe, &to->local, &to->remote, b);
	else
		rc = ik_udp_send(&d->udp, to, b + 4, sizeof(b) - 4);
	if (rc)
		SA_LOG(IK_LOG_DEBUG, sa, "ESP probe over %s not sent: %s",
		       ik_esp_via_name(via), strerror(-rc));
}

/* Where the initiator's probes go: the peer, over ESP's path. */
static void probe_path(struct ik_daemon *d, const struct ike_sa *sa,
		       struct ik_addrs *a)
{
	a->local = sa->local;
	a->remote = sa->remote;
	if (!sa->natt) {	/* IKE on TCP from the start */
		set_port(&a->local, d->udp.port_natt);
		set_port(&a->remote, d->udp.port_natt);
	}
	a->slot = ik_udp_slot_for(sa->remote.ss_family, true);
}

static enum ik_esp_via probe_via(const struct ike_sa *sa)
{
	return sa->children ? sa->children->esp_via : IK_ESP_IP;
}

/*
 * After a TCP start whose SEPARATE_TRANSPORTS was echoed, the initiator
 * checks that ESP's own path works (draft -04, "UDP Reachability
 * Verification"): once per IKE SA, with its first Child SA.
 */
static void probe_start(struct ik_daemon *d, struct ike_sa *sa,
			const struct child_sa *c, const struct ik_conn *conn)
{
	uint64_t timeout = d->cfg->global.esp_probe_timeout_ms;

	if (!timeout || !sa->initiator || !sa->on_tcp || !sa->sep_agreed ||
	    !conn || conn->ike_transport != IK_IKE_SEP_TCP ||
	    c->esp_via == IK_ESP_TCP || sa->probe_ok || sa->probe_until)
		return;
	if (ik_random(sa->probe_token, sizeof(sa->probe_token))) {
		SA_LOG(IK_LOG_WARNING, sa, "no randomness for the ESP probe");
		return;
	}
	sa->probe_next_at = now_ms();
	sa->probe_until = sa->probe_next_at + timeout;
	SA_LOG(IK_LOG_INFO, sa, "probing ESP's path over %s",
	       ik_esp_via_name(c->esp_via));
}

/* ESP's path answered: ESP stays there, and status says so. */
static void probe_answered(struct ik_daemon *d, struct ike_sa *sa,
			   uint64_t now)
{
	const struct ik_conn *conn = conn_of(d, sa);
	struct child_sa *c;

	SA_LOG(IK_LOG_NOTICE, sa, "ESP probe over %s answered in %llu ms: ESP "
	       "stays off TCP", ik_esp_via_name(probe_via(sa)),
	       (unsigned long long)(now + d->cfg->global.esp_probe_timeout_ms -
				    sa->probe_until));
	sa->probe_ok = true;
	sa->probe_until = 0;
	for (c = sa->children; c && conn; c = c->next)
		if (c->esp_via != IK_ESP_TCP)
			choose_esp(d, sa, c, conn);
}

/*
 * No answer: DELETE the IKE SA and start again over TCP without proposing
 * separate transports, so that ESP rides the connection (draft -04).
 */
static void probe_failed(struct ik_daemon *d, struct ike_sa *sa)
{
	struct ike_effects fx = { 0 };
	ssize_t i = conn_index_of(d, sa);

	if (!ike_info_delete_ike(sa, &fx))
		send_for(d, sa, fx.send);
	ike_sa_fail(sa, "ESP probe over %s unanswered in %llu ms: starting "
		    "again over TCP without SEPARATE_TRANSPORTS",
		    ik_esp_via_name(probe_via(sa)),
		    (unsigned long long)d->cfg->global.esp_probe_timeout_ms);
	SA_LOG(IK_LOG_NOTICE, sa, "%s", sa->why);
	sa_dead(d, sa);
	if (i < 0)
		return;
	d->eng.no_sep_offer = true;
	initiate(d, (size_t)i);
}

/* Send the next probe; true when the IKE SA was given up. */
static bool probe_tick(struct ik_daemon *d, struct ike_sa *sa, uint64_t now)
{
	struct ik_addrs a;

	if (!sa->probe_until)
		return false;
	if (now >= sa->probe_until) {
		probe_failed(d, sa);
		return true;
	}
	if (now < sa->probe_next_at)
		return false;
	sa->probe_next_at = now + PROBE_EVERY_MS;
	probe_path(d, sa, &a);
	probe_send(d, sa, &a, probe_via(sa), false, sa->probe_token);
	return false;
}

/* The peer's probe over UDP 4500 came from port: its NAT's mapping for
 * ESP in UDP, which a NAT that changes ports shows only this way. */
static void probe_learn_port(struct ik_daemon *d, struct ike_sa *sa,
			     uint16_t port)
{
	if (sa->natt || port == sa->esp_seen_rport)
		return;
	sa->esp_seen_rport = port;
	esp_follow_peer(d, sa);
}

/* The established IKE SA a probe names, on the side that gets it. */
static struct ike_sa *probe_sa(struct ik_daemon *d,
			       const struct ik_probe_msg *m,
			       const struct sockaddr_storage *from)
{
	struct ike_sa *sa;

	for (sa = d->eng.table.head; sa; sa = sa->next)
		if (sa->spi_i == m->spi_i && sa->spi_r == m->spi_r &&
		    sa->state == IKE_S_ESTABLISHED &&
		    sa->initiator == m->answer && sa->sep_agreed &&
		    sa->on_tcp && ike_same_ip(&sa->remote, from))
			return sa;
	return NULL;
}

/*
 * A datagram or packet that may be a probe (ike: after the SPI-0 field or
 * the non-ESP marker), which came over via from a->remote to a->local:
 * the peer's probe is answered over the same path; an answer to ours ends
 * our probe.  False if it is not a probe.
 */
static bool probe_input(struct ik_daemon *d, const uint8_t *ike, size_t n,
			const struct ik_addrs *a, enum ik_esp_via via)
{
	struct ik_probe_msg m;
	struct ik_addrs back;
	struct ike_sa *sa;

	if (!ik_probe_parse(ike, n, &m))
		return false;
	sa = probe_sa(d, &m, &a->remote);
	if (!sa) {
		ik_log(IK_LOG_DEBUG, "dropped: an ESP probe of no IKE SA");
		return true;
	}
	if (!m.answer) {
		back = *a;
		if (via == IK_ESP_IP)
			back.local = sa->local;
		else
			probe_learn_port(d, sa, port_of(&a->remote));
		probe_send(d, sa, &back, via, true, m.token);
		SA_LOG(IK_LOG_DEBUG, sa, "answered an ESP probe over %s",
		       ik_esp_via_name(via));
	} else if (sa->probe_until && via == probe_via(sa) &&
		   !memcmp(m.token, sa->probe_token, sizeof(m.token))) {
		probe_answered(d, sa, now_ms());
	}
	return true;
}

static void on_probe_raw(struct ik_daemon *d, int i)
{
	struct ik_addrs a = { 0 };
	ssize_t n;
	int budget = 64;

	while (budget--) {
		n = ik_probe_recv(&d->probe, i, d->rxbuf, sizeof(d->rxbuf),
				  &a.remote);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return;
		if (n >= 4)
			probe_input(d, d->rxbuf + 4, (size_t)n - 4, &a,
				    IK_ESP_IP);
	}
}

static void restart_conns(struct ik_daemon *d, uint64_t now);

static void tick(struct ik_daemon *d)
{
	uint64_t now = now_ms();
	struct ike_sa *sa, *next;

	ike_cookie_rotate(&d->eng.cookies, now);
	for (sa = d->eng.table.head; sa; sa = next) {
		next = sa->next;
		if (!sa->created)
			sa->created = sa->last_heard = now;
		if (sa->state == IKE_S_INIT_DONE &&
		    now - sa->created > HALF_OPEN_MS) {
			ike_sa_fail(sa, "half-open for %d s", HALF_OPEN_MS / 1000);
			sa_dead(d, sa);
		} else if (sa->req.len && now >= sa->rtx_at) {
			retransmit(d, sa, now);
		} else if (sa->state == IKE_S_ESTABLISHED) {
			if (sa->on_tcp && !sa->tcp && sa->initiator)
				tcp_reconnect(d, sa);
			if (ike_expired(d, sa, now) || liveness(d, sa, now))
				continue;
			rekey_ike(d, sa, now);
			rekey_children(d, sa, now);
			nat_keepalive(d, sa, now);
			if (probe_tick(d, sa, now))
				continue;
			esp_watch(d, sa, now);
		}
	}
	tcp_tick(d, now);
	restart_conns(d, now);
}

/* Where IKE_SA_INIT goes, per ike_transport: UDP 500, UDP 4500
 * (separate-udp's discovery), or a TCP connection to tcp_port. */
static int initial_path(struct ik_daemon *d, const struct ik_conn *c,
			struct sockaddr_storage *local,
			struct sockaddr_storage *remote,
			struct ik_tcp_conn **tcp, char *why, size_t whylen)
{
	bool natt = c->ike_transport == IK_IKE_SEP_UDP;
	uint16_t port = natt ? d->udp.port_natt : d->udp.port_ike;

	*tcp = NULL;
	ik_addr_to_ss(&c->local, port, local);
	ik_addr_to_ss(&c->remote, port, remote);
	if (c->ike_transport != IK_IKE_TCP && c->ike_transport != IK_IKE_SEP_TCP)
		return 0;
	set_port(remote, d->cfg->global.tcp_port);
	*tcp = connect_watched(d, local, remote, false, why, whylen);
	if (!*tcp)
		return -1;
	*local = (*tcp)->local;		/* its port is the kernel's */
	return 0;
}

static const char *const ike_start_why[] = {
	[IK_IKE_UDP] = "ike_transport = udp",
	[IK_IKE_TCP] = "ike_transport = tcp",
	[IK_IKE_SEP_UDP] = "separate-udp: IKE_SA_INIT over UDP 4500",
	[IK_IKE_SEP_TCP] = "separate-tcp: IKE_SA_INIT over TCP",
	[IK_IKE_TCP500] = "tcp500: every request over TCP 500",
	[IK_IKE_AUTO] = "auto: UDP, long requests over TCP 500",
};

static void initiate(struct ik_daemon *d, size_t i)
{
	const struct ik_conn *c = d->cfg->conns[i];
	struct sockaddr_storage local, remote;
	struct ik_tcp_conn *tcp;
	struct ike_effects fx;
	struct ike_sa *sa;
	char why[256];

	if (c->local.family == AF_UNSPEC || c->remote.family == AF_UNSPEC) {
		ik_log(IK_LOG_ERR, "%s: start = initiate needs local and "
		       "remote addresses", c->name);
		return;
	}
	if (initial_path(d, c, &local, &remote, &tcp, why, sizeof(why))) {
		ik_log(IK_LOG_ERR, "%s: cannot initiate: %s", c->name, why);
		return;
	}
	d->eng.in_tcp = tcp != NULL;
	sa = ike_engine_initiate(&d->eng, &d->params[i], &local, &remote,
				 &fx, why, sizeof(why));
	d->eng.in_tcp = false;
	if (!sa) {
		ik_log(IK_LOG_ERR, "%s: cannot initiate: %s", c->name, why);
		if (tcp)
			ik_tcp_shut(tcp);
		return;
	}
	sa->created = sa->last_heard = now_ms();
	sa->natt = c->ike_transport == IK_IKE_SEP_UDP;
	sa->tcp = tcp;
	sa->on_tcp = tcp != NULL;
	sa->ike_why = ike_start_why[c->ike_transport];
	if (c->ike_transport == IK_IKE_SEP_UDP && !sa->sep_offered)
		sa->ike_why = "separate-udp fallback: UDP only";
	if (c->ike_transport == IK_IKE_SEP_TCP && !sa->sep_offered) {
		sa->ike_why = "separate-tcp after an unanswered ESP probe: "
			      "all over TCP";
		sa->probe_fallback = true;
	}
	SA_LOG(IK_LOG_INFO, sa, "initiating over %s", ike_via(sa));
	apply(d, sa, NULL, &fx);
}

/* SIGTERM, SIGINT: tell each peer, and leave nothing in the kernel. */
static void shutdown_all(struct ik_daemon *d)
{
	struct ik_xfrm_err e = { 0 };
	struct ike_sa *sa;
	int n;

	while ((sa = d->eng.table.head)) {
		struct ike_effects fx = { 0 };

		if (sa->state == IKE_S_ESTABLISHED &&
		    !ike_info_delete_ike(sa, &fx))
			send_for(d, sa, fx.send);
		ike_sa_fail(sa, "iketcpd stops");
		sa_dead(d, sa);
	}
	n = ik_xfrm_flush_own(&d->xfrm, &e);
	if (n < 0)
		ik_log(IK_LOG_WARNING, "final clean-up: %s", e.msg);
}

static int reload(struct ik_daemon *d, char *err, size_t errlen);

static int on_signal(struct ik_daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			char err[512];

			if (reload(d, err, sizeof(err)))
				ik_log(IK_LOG_ERR, "reload: %s (the running "
				       "config stays)", err);
			continue;
		}
		ik_log(IK_LOG_NOTICE, "signal %u: stopping", si.ssi_signo);
		d->stop = true;
	}
	return 0;
}

static int add_fd(struct ik_daemon *d, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/*
 * One daemon per network namespace: a second one would remove the first's
 * XFRM states at its start.  An abstract Unix socket is per namespace and
 * goes away with its process, even after SIGKILL.
 */
static int single_instance(struct ik_daemon *d)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	static const char name[] = "iketcpd";	/* "\0iketcpd" */

	memcpy(sun.sun_path + 1, name, sizeof(name) - 1);
	d->lockfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (d->lockfd >= 0 &&
	    !bind(d->lockfd, (struct sockaddr *)&sun,
		  offsetof(struct sockaddr_un, sun_path) + sizeof(name)))
		return 0;
	ik_log(IK_LOG_ERR, "%s", errno == EADDRINUSE ?
	       "another iketcpd runs in this network namespace" :
	       strerror(errno));
	return -1;
}

#define TAG_SIGNAL	100
#define TAG_CTL		101
#define TAG_PROBE	102	/* + 0 (IPv4) or 1 (IPv6) raw ESP socket */

/* ---- the control socket ---- */

static void child_stats(void *ctx, const struct ike_sa *sa,
			const struct child_sa *c, struct ik_child_stats *st)
{
	struct ik_daemon *d = ctx;
	struct ik_xfrm_sa_stats in, out;
	struct ik_xfrm_err e;
	union ik_xfrm_addr local, remote;
	int fam = sa->remote.ss_family;

	memset(st, 0, sizeof(*st));
	memset(&local, 0, sizeof(local));
	memset(&remote, 0, sizeof(remote));
	if (fam == AF_INET) {
		local.v4 = ((const struct sockaddr_in *)&sa->local)->sin_addr;
		remote.v4 = ((const struct sockaddr_in *)&sa->remote)->sin_addr;
	} else {
		local.v6 = ((const struct sockaddr_in6 *)&sa->local)->sin6_addr;
		remote.v6 = ((const struct sockaddr_in6 *)&sa->remote)->sin6_addr;
	}
	if (!c->installed ||
	    ik_xfrm_sa_get_stats(&d->xfrm, fam, &local, c->spi_in, &in, &e) ||
	    ik_xfrm_sa_get_stats(&d->xfrm, fam, &remote, c->spi_out, &out, &e))
		return;
	st->ok = true;
	st->in_bytes = in.bytes;
	st->in_packets = in.packets;
	st->out_bytes = out.bytes;
	st->out_packets = out.packets;
}

static ssize_t conn_index(struct ik_daemon *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->cfg->n_conns; i++)
		if (!strcmp(d->cfg->conns[i]->name, name))
			return i;
	return -1;
}

static void initiate(struct ik_daemon *d, size_t i);

/* down NAME: DELETE every IKE SA of the connection */
static int conn_down(struct ik_daemon *d, size_t i)
{
	struct ike_sa *sa, *next;
	int n = 0;

	for (sa = d->eng.table.head; sa; sa = next) {
		struct ike_effects fx = { 0 };

		next = sa->next;
		if (sa->conn != &d->params[i])
			continue;
		if (sa->state == IKE_S_ESTABLISHED &&
		    !ike_info_delete_ike(sa, &fx))
			send_for(d, sa, fx.send);
		ike_sa_fail(sa, "iketcpd down %s", d->cfg->conns[i]->name);
		sa_dead(d, sa);
		n++;
	}
	return n;
}

/* What the engine needs of the transports: whether this connection offers
 * SEPARATE_TRANSPORTS, whether we echo it, and its number. */
static void transport_params(const struct ik_config *cfg, size_t i,
			     struct ike_conn_params *p)
{
	enum ik_ike_transport t = cfg->conns[i]->ike_transport;

	p->sep_notify = cfg->global.sep_notify;
	p->sep_offer = t == IK_IKE_SEP_UDP || t == IK_IKE_SEP_TCP;
	p->sep_echo = cfg->global.separate_transports;
	p->tcps_notify = cfg->global.tcps_notify;
	p->tcps_port = !cfg->global.tcp500_listen ? 0 :
		       cfg->global.tcp500_public_port ?
		       cfg->global.tcp500_public_port : cfg->global.tcp500_port;
	p->mlkem_udp_max = (uint16_t)cfg->conns[i]->mlkem_udp_max;
	p->frag = cfg->conns[i]->fragmentation;
	p->frag_size = cfg->conns[i]->fragment_size;
}

/* The engine parameters of n connections, their credentials with them. */
static void free_params(struct ike_conn_params *params, size_t n)
{
	size_t i;

	for (i = 0; params && i < n; i++)
		ik_conn_params_free(&params[i]);
	free(params);
}

static bool conn_has_sa(struct ik_daemon *d, size_t i)
{
	struct ike_sa *sa;

	for (sa = d->eng.table.head; sa; sa = sa->next)
		if (sa->conn == &d->params[i])
			return true;
	return false;
}

/*
 * restart_delay: a connection with start = initiate that has had no IKE SA
 * for that long is initiated again, whatever ended the last one (it never
 * came up, its peer was declared dead, its lifetime ran out, the peer
 * deleted it): an operator who asked for a tunnel wants it back once the
 * path or the peer is.  Not after `iketcpd down`, until `up`.
 */
static void restart_conns(struct ik_daemon *d, uint64_t now)
{
	size_t i;

	for (i = 0; i < d->cfg->n_conns; i++) {
		const struct ik_conn *c = d->cfg->conns[i];
		struct conn_watch *w = &d->watch[i];

		if (c->start != IK_START_INITIATE || !c->restart_delay_ms ||
		    w->held || conn_has_sa(d, i)) {
			w->down_since = 0;
			continue;
		}
		if (!w->down_since)
			w->down_since = now;
		if (now - w->down_since < c->restart_delay_ms)
			continue;
		ik_log(IK_LOG_NOTICE, "%s: no IKE SA for %llu s: initiating "
		       "again (restart_delay)", c->name,
		       (unsigned long long)(now - w->down_since) / 1000);
		w->down_since = 0;
		initiate(d, i);
	}
}

/*
 * Reread the config: IKE SAs of connections that did not change stay up
 * (pointed at the new config), those of changed or removed ones are
 * deleted, new connections with start = initiate start.  A config that
 * does not load changes nothing.  0, or -1 with the reason in err.
 */
static int reload(struct ik_daemon *d, char *err, size_t errlen)
{
	struct ike_conn_params *params;
	struct conn_watch *watch;
	struct ik_config *cfg;
	struct ike_sa *sa, *next;
	ssize_t j;
	size_t i;

	if (ik_config_load(d->cfg->path, &cfg, err, errlen))
		return -1;
	params = calloc(cfg->n_conns + 1, sizeof(*params));
	for (i = 0; params && i < cfg->n_conns; i++) {
		if (ik_conn_params(cfg->conns[i], &params[i], err, errlen)) {
			free_params(params, i);
			ik_config_free(cfg);
			return -1;
		}
		transport_params(cfg, i, &params[i]);
	}
	watch = calloc(cfg->n_conns + 1, sizeof(*watch));
	if (!params || !watch) {
		free_params(params, cfg->n_conns);
		free(watch);
		ik_config_free(cfg);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (sa = d->eng.table.head; sa; sa = next) {
		const struct ik_conn *old = conn_of(d, sa);

		next = sa->next;
		for (j = 0; old && j < (ssize_t)cfg->n_conns; j++)
			if (!strcmp(cfg->conns[j]->name, old->name))
				break;
		if (old && j < (ssize_t)cfg->n_conns &&
		    ik_conn_equal(old, cfg->conns[j])) {
			sa->conn = &params[j];
			continue;
		}
		if (sa->state == IKE_S_ESTABLISHED) {
			struct ike_effects fx = { 0 };

			if (!ike_info_delete_ike(sa, &fx))
				send_for(d, sa, fx.send);
		}
		ike_sa_fail(sa, "connection changed or removed by reload");
		sa_dead(d, sa);
	}
	if (!ik_global_equal(&d->cfg->global, &cfg->global))
		ik_log(IK_LOG_WARNING, "reload: [global] changed; ports and "
		       "the control socket change only on restart");
	free_params(d->params, d->cfg->n_conns);
	ik_config_free(d->cfg);
	free(d->watch);
	d->cfg = cfg;
	d->params = params;
	d->watch = watch;
	ik_log_setup(cfg->global.log_level);
	d->eng.cookie_threshold = cfg->global.cookie_threshold;
	for (i = 0; i < cfg->n_conns; i++)
		if (cfg->conns[i]->start == IK_START_INITIATE &&
		    !conn_has_sa(d, i))
			initiate(d, i);
	ik_log(IK_LOG_NOTICE, "reloaded %s: %zu connection(s)", cfg->path,
	       cfg->n_conns);
	return 0;
}

static void ctl_answer(void *ctx, const char *cmd, FILE *f)
{
	struct ik_daemon *d = ctx;
	ssize_t i;

	if (!strcmp(cmd, "status") || !strcmp(cmd, "status json")) {
		fprintf(f, "ok\n");
		ik_status_write(f, cmd[6] != '\0', &d->eng.table, now_ms(),
				child_stats, d);
		return;
	}
	if (!strncmp(cmd, "up ", 3) || !strncmp(cmd, "down ", 5)) {
		bool up = cmd[0] == 'u';

		i = conn_index(d, cmd + (up ? 3 : 5));
		if (i < 0) {
			fprintf(f, "error: no connection '%s'\n",
				cmd + (up ? 3 : 5));
			return;
		}
		ik_log(IK_LOG_NOTICE, "control: %s", cmd);
		d->watch[i].held = !up;
		if (up) {
			initiate(d, i);
			fprintf(f, "ok\ninitiating %s\n", cmd + 3);
		} else {
			fprintf(f, "ok\n%d IKE SA(s) of %s deleted\n",
				conn_down(d, i), cmd + 5);
		}
		return;
	}
	if (!strcmp(cmd, "reload")) {
		char err[512];

		if (reload(d, err, sizeof(err))) {
			ik_log(IK_LOG_ERR, "reload: %s", err);
			fprintf(f, "error: %s\n", err);
		} else {
			fprintf(f, "ok\nreloaded\n");
		}
		return;
	}
	fprintf(f, "error: unknown command '%s'\n", cmd);
}

static int setup(struct ik_daemon *d, const char *path)
{
	struct ik_xfrm_err e = { 0 };
	char err[512];
	sigset_t set;
	size_t i;
	int s, n;

	if (ik_config_load(path, &d->cfg, err, sizeof(err))) {
		ik_log(IK_LOG_ERR, "%s", err);
		return -1;
	}
	ik_log_setup(d->cfg->global.log_level);
	d->params = calloc(d->cfg->n_conns + 1, sizeof(*d->params));
	d->watch = calloc(d->cfg->n_conns + 1, sizeof(*d->watch));
	if (!d->params || !d->watch)
		return -1;
	for (i = 0; i < d->cfg->n_conns; i++) {
		if (ik_conn_params(d->cfg->conns[i], &d->params[i], err,
				   sizeof(err))) {
			ik_log(IK_LOG_ERR, "%s: conn '%s': %s", path,
			       d->cfg->conns[i]->name, err);
			return -1;
		}
		transport_params(d->cfg, i, &d->params[i]);
	}
	ike_engine_init(&d->eng);
	d->eng.find_conn = find_conn;
	d->eng.ctx = d;
	d->eng.cookie_threshold = d->cfg->global.cookie_threshold;
	if (ike_cookie_init(&d->eng.cookies, now_ms())) {
		ik_log(IK_LOG_ERR, "no randomness for the COOKIE secret");
		return -1;
	}
	if (single_instance(d))
		return -1;
	if (ik_xfrm_open(&d->xfrm, &e)) {
		ik_log(IK_LOG_ERR, "XFRM netlink: %s", e.msg);
		return -1;
	}
	n = ik_xfrm_flush_own(&d->xfrm, &e);
	if (n < 0)
		ik_log(IK_LOG_WARNING, "clean-up of a previous run: %s", e.msg);
	else if (n > 0)
		ik_log(IK_LOG_NOTICE, "removed %d XFRM entries a previous run "
		       "left behind", n);
	n = ik_espbind_flush_orphans(&d->bind, err, sizeof(err));
	if (n > 0)
		ik_log(IK_LOG_NOTICE, "removed %d orphaned ESP bindings a "
		       "previous run left in the iketcp module", n);
	else if (n < 0)
		ik_log(IK_LOG_DEBUG, "orphaned ESP bindings: %s", err);
	if (ik_udp_open(&d->udp, d->cfg->global.port, d->cfg->global.natt_port,
			err, sizeof(err))) {
		ik_log(IK_LOG_ERR, "%s", err);
		return -1;
	}
	if ((d->cfg->global.tcp_listen &&
	     ik_tcp_listen(&d->tcp, d->cfg->global.tcp_port, false, err,
			   sizeof(err))) ||
	    (d->cfg->global.tcp500_listen &&
	     ik_tcp_listen(&d->tcp, d->cfg->global.tcp500_port, true, err,
			   sizeof(err)))) {
		ik_log(IK_LOG_ERR, "%s", err);
		return -1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->sigfd < 0 || d->epfd < 0 || add_fd(d, d->sigfd, TAG_SIGNAL)) {
		ik_log(IK_LOG_ERR, "epoll/signalfd: %s", strerror(errno));
		return -1;
	}
	for (s = 0; s < IK_UDP_SLOTS; s++)
		if (d->udp.fd[s] >= 0 && add_fd(d, d->udp.fd[s], s))
			return -1;
	for (s = 0; s < IK_TCP_LISTENERS; s++)
		if (d->tcp.lfd[s] >= 0 &&
		    add_fd(d, d->tcp.lfd[s], TAG_TCP_LISTEN + s))
			return -1;
	if (ik_probe_open(&d->probe, err, sizeof(err)))
		ik_log(IK_LOG_WARNING, "%s: no ESP probe over IP", err);
	for (s = 0; s < 2; s++)
		if (d->probe.fd[s] >= 0 &&
		    add_fd(d, d->probe.fd[s], TAG_PROBE + s))
			return -1;
	d->ctlfd = ik_ctl_listen(d->cfg->global.ctl_socket, err, sizeof(err));
	if (d->ctlfd < 0 || add_fd(d, d->ctlfd, TAG_CTL)) {
		ik_log(IK_LOG_ERR, "%s", err);
		return -1;
	}
	return 0;
}

static void teardown(struct ik_daemon *d)
{
	ike_engine_destroy(&d->eng);
	ik_udp_close(&d->udp);
	ik_probe_close(&d->probe);
	ik_tcp_close_all(&d->tcp);
	ik_espbind_close(&d->bind);
	ik_xfrm_close(&d->xfrm);
	if (d->epfd >= 0)
		close(d->epfd);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->ctlfd >= 0) {
		close(d->ctlfd);
		unlink(d->cfg->global.ctl_socket);
	}
	if (d->lockfd >= 0)
		close(d->lockfd);
	free_params(d->params, d->cfg ? d->cfg->n_conns : 0);
	free(d->watch);
	ik_config_free(d->cfg);
}

/*
 * Every socket that needs CAP_NET_RAW is open: the running daemon keeps
 * only CAP_NET_ADMIN and CAP_NET_BIND_SERVICE (sys/caps.h).  A failure
 * costs hardening, not function: said, not fatal.
 */
static void limit_capabilities(void)
{
	char kept[128], err[256];

	if (ik_caps_limit(kept, sizeof(kept), err, sizeof(err)))
		ik_log(IK_LOG_WARNING, "%s", err);
	else
		ik_log(IK_LOG_INFO, "capabilities kept: %s", kept);
}

int ik_daemon_run(const char *config_path)
{
	static struct ik_daemon daemon;	/* large: not on the stack */
	struct ik_daemon *d = &daemon;
	struct epoll_event ev[8];
	uint64_t next_tick;
	size_t i;
	int n, k;

	ik_log_setup(IK_LOG_INFO);
	d->epfd = d->sigfd = d->ctlfd = d->lockfd = -1;
	d->probe.fd[0] = d->probe.fd[1] = -1;
	for (k = 0; k < IK_TCP_LISTENERS; k++)
		d->tcp.lfd[k] = -1;
	if (setup(d, config_path)) {
		teardown(d);
		return 1;
	}
	limit_capabilities();
	ik_log(IK_LOG_NOTICE, "started with %zu connection(s) from %s",
	       d->cfg->n_conns, config_path);
	for (i = 0; i < d->cfg->n_conns; i++)
		if (d->cfg->conns[i]->start == IK_START_INITIATE)
			initiate(d, i);
	next_tick = now_ms() + TICK_MS;
	while (!d->stop) {
		uint64_t now = now_ms();

		n = epoll_wait(d->epfd, ev, 8,
			       next_tick > now ? (int)(next_tick - now) : 0);
		if (n < 0 && errno != EINTR)
			break;
		for (k = 0; k < n; k++) {
			if (ev[k].data.u64 == TAG_SIGNAL)
				on_signal(d);
			else if (ev[k].data.u64 == TAG_CTL)
				ik_ctl_accept(d->ctlfd, ctl_answer, d);
			else if (ev[k].data.u64 == TAG_PROBE ||
				 ev[k].data.u64 == TAG_PROBE + 1)
				on_probe_raw(d, (int)(ev[k].data.u64 -
						      TAG_PROBE));
			else if (ev[k].data.u64 >= 1000)
				on_tcp_conn(d, ev[k].data.ptr, ev[k].events);
			else if (ev[k].data.u64 >= TAG_TCP_LISTEN)
				on_tcp_listen(d, ev[k].data.u64 -
					      TAG_TCP_LISTEN);
			else
				on_udp(d, (enum ik_udp_slot)ev[k].data.u64);
		}
		if (now_ms() >= next_tick) {
			tick(d);
			next_tick = now_ms() + TICK_MS;
		}
	}
	shutdown_all(d);
	ik_log(IK_LOG_NOTICE, "stopped");
	teardown(d);
	return 0;
}
