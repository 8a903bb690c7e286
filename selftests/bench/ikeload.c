// SPDX-License-Identifier: GPL-2.0
/*
 * ikeload: the load generator of the responder-capacity benchmark (issue
 * 19, selftests/bench/capacity.sh).  It keeps INFLIGHT handshakes (IKE
 * SA plus first Child SA, PSK, x25519) in flight against one responder
 * until TOTAL are done, each from its own source address (so the
 * responder sees TOTAL distinct peers, each with its own IKE SPIs and its
 * own inner /32), and prints how many came up, how fast and how long each
 * took.
 *
 * The handshakes are iketcpd's own initiator: one struct ike_engine (user/
 * ike/engine.c) with a connection per peer, linked from iketcpd's objects.
 * A handshake counts only when the engine says the IKE SA is established
 * with a Child SA, which means the responder's AUTH payload checked out
 * against the PSK and its IKE_AUTH answer carried the Child SA's proposal
 * and selectors.  Nothing is installed in the kernel here: the responder's
 * states are what the benchmark measures (capacity.sh counts them).
 *
 * All peers share one UDP socket on port 500 (IP_PKTINFO picks the source
 * address of each send and tells the destination of each answer), so the
 * responder sees no NAT.  A request unanswered for RTO ms is sent again,
 * the wait doubling, at most RETRIES times; then the handshake failed.
 *
 *   ikeload RESPONDER FIRST_SRC TOTAL INFLIGHT [options]
 *     --psk S         the pre-shared key ("capacity benchmark key")
 *     --inner A.B     peer i's inner /32 is A.B.(i / 250).(i % 250 + 1)
 *                     (10.201); the responder's side is TSR (--tsr)
 *     --tsr NET/LEN   the responder's inner network (10.202.0.0/24)
 *     --rto MS        first retransmission wait (3000), --retries N (4)
 *     --hold S        stay up S seconds after the last handshake (0), so
 *                     the responder's tunnels are measured while every
 *                     peer is still there, answering the responder's
 *                     requests (liveness checks; SIGTERM ends it early)
 *
 * Peer i sends from FIRST_SRC + i (the addresses must exist on an
 * interface) with ID_IPV4_ADDR its address.  Its established IKE SA
 * answers the responder's requests (liveness checks) through the engine.  Output, one line of
 * KEY=VALUE words on stdout: up, failed, retransmits, cookies (COOKIE
 * round trips), secs (first send to last handshake), rate (up / secs),
 * p50_ms and p90_ms (per handshake, first send to Child SA); then a line
 * "# fail i: why" per failure (at most 20), and after the hold "# answered
 * N requests of the responder".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ike/engine.h"

enum peer_state { P_IDLE, P_RUNNING, P_UP, P_FAILED };

struct peer {
	struct ike_conn_params conn;
	struct sockaddr_storage local;
	struct ike_sa *sa;
	enum peer_state st;
	uint64_t started, rtx_at;	/* ms */
	uint32_t wait_ms;		/* current retransmission wait */
	unsigned int sends, tries;
	uint32_t took_ms;
	char why[160];
};

struct load {
	struct ike_engine e;
	struct peer *peers;
	unsigned int total, inflight, next, running, up, failed;
	unsigned long retransmits, cookies, answered;
	struct sockaddr_storage remote;
	uint32_t first_src;		/* host order */
	int fd;
	uint32_t rto_ms;
	unsigned int retries;
	uint64_t t_first, t_last;
};

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_v4(struct sockaddr_storage *ss, uint32_t addr, uint16_t port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	s4->sin_family = AF_INET;
	s4->sin_addr.s_addr = htonl(addr);
	s4->sin_port = htons(port);
}

static void ts_v4(struct ike_ts_pl *ts, uint32_t lo, uint32_t hi)
{
	uint32_t nlo = htonl(lo), nhi = htonl(hi);

	memset(ts, 0, sizeof(*ts));
	ts->n = 1;
	ts->ts[0].type = IKE_TS_IPV4_ADDR_RANGE;
	ts->ts[0].end_port = 65535;
	memcpy(ts->ts[0].start, &nlo, 4);
	memcpy(ts->ts[0].end, &nhi, 4);
}

/* Peer i's connection: its address as ID, its inner /32 to the
 * responder's network, AES-GCM-256, PRF-SHA256, x25519; ESP AES-GCM-256. */
static void peer_init(struct peer *p, unsigned int i, uint32_t src,
		      uint32_t inner, uint32_t tsr, uint32_t tsr_mask,
		      const char *psk)
{
	uint32_t me = inner | (i / 250) << 8 | (i % 250 + 1);
	uint32_t nsrc = htonl(src);

	memset(p, 0, sizeof(*p));
	set_v4(&p->local, src, 500);
	p->conn.name = "load";
	p->conn.local_id.type = IKE_ID_IPV4_ADDR;
	p->conn.local_id.len = 4;
	memcpy(p->conn.local_id.data, &nsrc, 4);
	p->conn.psk = (const uint8_t *)psk;
	p->conn.psk_len = strlen(psk);
	p->conn.n_ike = 1;
	p->conn.ike[0] = (struct ike_prop){ .encr = IKE_ENCR_AES_GCM_16,
		.keybits = 256, .prf = IKE_PRF_HMAC_SHA2_256,
		.ke = IKE_KE_X25519 };
	p->conn.n_esp = 1;
	p->conn.esp[0] = (struct ike_prop){ .encr = IKE_ENCR_AES_GCM_16,
		.keybits = 256 };
	ts_v4(&p->conn.ts_local, me, me);
	ts_v4(&p->conn.ts_remote, tsr, tsr | ~tsr_mask);
}

/* Send out from peer p's address (IP_PKTINFO picks it). */
static void send_from(struct load *l, struct peer *p, const struct ike_out *out)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = out->buf, .iov_len = out->len };
	struct msghdr mh = {
		.msg_name = &l->remote, .msg_namelen = sizeof(struct sockaddr_in),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	struct in_pktinfo pi = { 0 };

	pi.ipi_spec_dst = ((struct sockaddr_in *)&p->local)->sin_addr;
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	if (sendmsg(l->fd, &mh, 0) < 0 && errno != EAGAIN)
		perror("ikeload: sendmsg");
}

static void peer_end(struct load *l, struct peer *p, enum peer_state st,
		     const char *why)
{
	p->st = st;
	l->running--;
	if (st == P_UP) {
		l->up++;
		l->t_last = now_ms();
		p->took_ms = l->t_last - p->started;
	} else {
		l->failed++;
		snprintf(p->why, sizeof(p->why), "%s", why);
		/* the SA stays in the table (responses to it change nothing) */
	}
}

/* What the engine asked for after an event of peer p. */
static void apply(struct load *l, struct peer *p, struct ike_effects *fx,
		  const char *why)
{
	int i;

	for (i = 0; i < fx->n_remove; i++)
		child_sa_free(fx->remove[i]);
	if (p->st != P_RUNNING)
		return;
	if (fx->send) {
		send_from(l, p, fx->send);
		/* IKE_SA_INIT again, with the responder's COOKIE */
		if (p->sends++ && fx->send->msgid == 0 && p->sa &&
		    p->sa->cookie_len)
			l->cookies++;
		p->tries = 0;
		p->wait_ms = l->rto_ms;
		p->rtx_at = now_ms() + p->wait_ms;
	}
	if (fx->established && fx->n_install > 0 && p->sa &&
	    p->sa->state == IKE_S_ESTABLISHED)
		peer_end(l, p, P_UP, "");
	else if (fx->established)
		peer_end(l, p, P_FAILED, why[0] ? why :
			 "IKE SA up without its Child SA");
	else if (fx->dead)
		peer_end(l, p, P_FAILED, why[0] ? why : "the IKE SA failed");
}

static void start_one(struct load *l)
{
	struct peer *p = &l->peers[l->next++];
	struct ike_effects fx;
	char why[160] = "";

	p->st = P_RUNNING;
	p->started = now_ms();
	if (!l->t_first)
		l->t_first = p->started;
	l->running++;
	p->sa = ike_engine_initiate(&l->e, &p->conn, &p->local, &l->remote,
				    &fx, why, sizeof(why));
	if (!p->sa) {
		peer_end(l, p, P_FAILED, why);
		return;
	}
	apply(l, p, &fx, why);
}

static struct peer *peer_of(struct load *l, const struct in_addr *dst)
{
	uint32_t i = ntohl(dst->s_addr) - l->first_src;

	return i < l->total ? &l->peers[i] : NULL;
}

/* One datagram from the socket, to the engine as the peer it came to;
 * 0 when none was waiting. */
static int receive_one(struct load *l)
{
	static uint8_t buf[IKE_MAX_MSG];
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} u;
	struct sockaddr_storage from;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct in_pktinfo *pi = NULL;
	struct ike_effects fx;
	struct cmsghdr *c;
	struct peer *p;
	char why[160] = "";
	ssize_t n;

	n = recvmsg(l->fd, &mh, MSG_DONTWAIT);
	if (n <= 0)
		return 0;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
			pi = (struct in_pktinfo *)CMSG_DATA(c);
	p = pi ? peer_of(l, &pi->ipi_addr) : NULL;
	if (!p || p->st == P_IDLE || p->st == P_FAILED)
		return 1;
	l->e.now = now_ms();
	ike_engine_input(&l->e, buf, n, &p->local, &from, &fx, why,
			 sizeof(why));
	if (p->st == P_UP && fx.send) {
		/* a request of the responder's (a liveness check): answered,
		 * or it would take the peer for dead and drop its tunnel */
		send_from(l, p, fx.send);
		l->answered++;
	}
	apply(l, p, &fx, why);
	return 1;
}

/* Retransmit what waits too long; fail what waited too often.  At most
 * every 20 ms: the scan of every peer would otherwise cost the generator
 * more than the responder's answers it waits for. */
static void timers(struct load *l)
{
	static uint64_t last;
	uint64_t now = now_ms();
	unsigned int i;

	if (now - last < 20)
		return;
	last = now;
	for (i = 0; i < l->next; i++) {
		struct peer *p = &l->peers[i];

		if (p->st != P_RUNNING || now < p->rtx_at || !p->sa)
			continue;
		if (p->tries >= l->retries) {
			peer_end(l, p, P_FAILED, p->sa->state == IKE_S_INIT_SENT ?
				 "no answer to IKE_SA_INIT" :
				 "no answer to IKE_AUTH");
			continue;
		}
		p->tries++;
		l->retransmits++;
		p->wait_ms *= 2;
		p->rtx_at = now + p->wait_ms;
		if (p->sa->req.len)
			send_from(l, p, &p->sa->req);
	}
}

static int open_socket(void)
{
	struct sockaddr_storage any;
	int fd, one = 1, big = 4 << 20;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	set_v4(&any, INADDR_ANY, 500);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&any, sizeof(struct sockaddr_in))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void report(const struct load *l)
{
	uint32_t *t = calloc(l->up + 1, sizeof(*t));
	unsigned int i, n = 0, shown = 0;
	/* none up: the time until the last one failed */
	double secs = ((l->up ? l->t_last : now_ms()) - l->t_first) / 1000.0;

	for (i = 0; t && i < l->total; i++)
		if (l->peers[i].st == P_UP)
			t[n++] = l->peers[i].took_ms;
	if (t)
		qsort(t, n, sizeof(*t), cmp_u32);
	printf("up=%u failed=%u retransmits=%lu cookies=%lu secs=%.3f rate=%.1f p50_ms=%u p90_ms=%u\n",
	       l->up, l->failed, l->retransmits, l->cookies, secs,
	       secs > 0 ? l->up / secs : 0.0, n && t ? t[n / 2] : 0,
	       n && t ? t[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1] : 0);
	for (i = 0; i < l->total && shown < 20; i++)
		if (l->peers[i].st == P_FAILED || l->peers[i].st == P_RUNNING) {
			printf("# fail %u: %s\n", i, l->peers[i].st == P_RUNNING ?
			       "still running" : l->peers[i].why);
			shown++;
		}
	fflush(stdout);
	free(t);
}

static int parse_net(const char *s, uint32_t *net, uint32_t *mask)
{
	char buf[64], *slash;
	struct in_addr a;
	long len = 32;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		len = strtol(slash + 1, NULL, 10);
	}
	if (inet_pton(AF_INET, buf, &a) != 1 || len < 0 || len > 32)
		return -1;
	*mask = len ? ~0u << (32 - len) : 0;
	*net = ntohl(a.s_addr) & *mask;
	return 0;
}

int main(int argc, char **argv)
{
	static struct load l;
	const char *psk = "capacity benchmark key";
	uint32_t inner = 10u << 24 | 201u << 16, tsr, tsr_mask, dummy;
	struct in_addr a;
	unsigned int hold = 0, i;
	uint64_t t_end;
	struct pollfd pfd;
	int k;

	if (argc < 5) {
		fprintf(stderr, "usage: ikeload RESPONDER FIRST_SRC TOTAL INFLIGHT [--psk S] [--inner A.B] [--tsr NET/LEN] [--rto MS] [--retries N] [--hold S]\n");
		return 2;
	}
	parse_net("10.202.0.0/24", &tsr, &tsr_mask);
	l.rto_ms = 3000;
	l.retries = 4;
	for (k = 5; k + 1 < argc; k += 2) {
		const char *o = argv[k], *v = argv[k + 1];

		if (!strcmp(o, "--psk"))
			psk = v;
		else if (!strcmp(o, "--inner") && !parse_net(v, &inner, &dummy))
			inner &= 0xffff0000;
		else if (!strcmp(o, "--tsr") && !parse_net(v, &tsr, &tsr_mask))
			;
		else if (!strcmp(o, "--rto"))
			l.rto_ms = strtoul(v, NULL, 10);
		else if (!strcmp(o, "--retries"))
			l.retries = strtoul(v, NULL, 10);
		else if (!strcmp(o, "--hold"))
			hold = strtoul(v, NULL, 10);
		else {
			fprintf(stderr, "ikeload: bad option %s %s\n", o, v);
			return 2;
		}
	}
	if (inet_pton(AF_INET, argv[1], &a) != 1)
		return 2;
	set_v4(&l.remote, ntohl(a.s_addr), 500);
	if (inet_pton(AF_INET, argv[2], &a) != 1)
		return 2;
	l.first_src = ntohl(a.s_addr);
	l.total = strtoul(argv[3], NULL, 10);
	l.inflight = strtoul(argv[4], NULL, 10);
	if (!l.total || !l.inflight || l.total > 62500)
		return 2;
	l.peers = calloc(l.total, sizeof(*l.peers));
	l.fd = open_socket();
	if (!l.peers || l.fd < 0) {
		perror("ikeload: setup");
		return 1;
	}
	for (i = 0; i < l.total; i++)
		peer_init(&l.peers[i], i, l.first_src + i, inner, tsr,
			  tsr_mask, psk);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	ike_engine_init(&l.e);
	pfd = (struct pollfd){ .fd = l.fd, .events = POLLIN };
	while (!stop && (l.next < l.total || l.running)) {
		while (l.next < l.total && l.running < l.inflight)
			start_one(&l);
		if (poll(&pfd, 1, 50) > 0)
			for (k = 0; k < 64 && receive_one(&l); k++)
				;
		timers(&l);
	}
	report(&l);
	/* holding the tunnels: answer what the responder asks */
	for (t_end = now_ms() + hold * 1000ull; !stop && now_ms() < t_end;)
		if (poll(&pfd, 1, 200) > 0)
			for (k = 0; k < 64 && receive_one(&l); k++)
				;
	printf("# answered %lu requests of the responder\n", l.answered);
	ike_engine_destroy(&l.e);
	free(l.peers);
	close(l.fd);
	return l.up ? 0 : 1;
}
