// SPDX-License-Identifier: GPL-2.0
/*
 * espintcp on both ends, no iketcp: does a concurrent recv() corrupt
 * sk_forward_alloc?
 *
 * The reference kernel (Debian 6.1.192, CONFIG_INET_ESPINTCP=y) sometimes
 * WARNs in inet_sock_destruct() (sk_forward_alloc != 0) when an espintcp
 * socket is destroyed.  Suspect: espintcp_recvmsg() dequeues IKE messages
 * with __skb_recv_datagram() and frees them (sock_rfree ->
 * sk_mem_uncharge) in process context without lock_sock(), while TCP's
 * softirq receive path, strparser's handle_nonesp() and the socket's own
 * sendmsg/ACK processing update the same plain int under the socket lock.
 *
 * Two network namespaces joined by a veth pair, a TCP connection on port
 * 4500, the "IKETCP" prefix as espintcp expects it (the originator writes it
 * on the plain socket before it attaches, the acceptor reads it and then
 * attaches) and TCP_ULP "espintcp" on both sockets.  Then, per iteration,
 * on both sockets at once, a sender thread sends IKE messages (4 zero bytes
 * + payload, 100..1500 bytes in all) for a few seconds and a receiver
 * thread recv()s them; then both sockets are closed.  After each iteration
 * the test reads /proc/sys/kernel/tainted (bit 9, W) and names the
 * iteration that first set it.
 *
 * Before close, with the connection idle and the IKE queue drained, it also
 * prints SO_MEMINFO and the residue (fwd_alloc + rmem_alloc + wmem_queued)
 * mod 4096: every charge to sk_forward_alloc is matched by one of those
 * counters and memory is scheduled/reclaimed in whole pages, so a nonzero
 * residue means an update of sk_forward_alloc was lost (the WARN fires only
 * once per boot; the residue shows every affected socket).
 *
 * Modes (-m):
 *   concurrent  receiver threads run during the stress (default)
 *   deferred    no receiver during the stress; everything left in the IKE
 *               queue is received after the senders stopped.  Not a clean
 *               control: the IKE queue is charged to sk_rmem_alloc, so
 *               once it is full TCP advertises a zero window and the
 *               peer's data waits in its send queue; it then arrives while
 *               the drain runs (the test says when).
 *   phased      bursts (-b messages per side): both senders send a burst,
 *               wait until both send queues are acked, then both sides
 *               drain their IKE queues with MSG_DONTWAIT.  recv() never
 *               overlaps sending or arriving data; handle_nonesp() still
 *               charges every message.  The residue is checked after every
 *               drain.
 *
 * No SO_RCVTIMEO on the espintcp sockets: strparser takes sk_rcvtimeo as
 * its message assembly timeout and stops for good (sk_err ETIMEDOUT) when
 * a record takes longer than that.  The receivers poll() instead.
 *
 * Not part of make check (it tests the kernel's espintcp, not iketcp).
 * Build and run on the reference kernel (make kernel-ref), no module:
 *   make build/selftests/espintcp_race
 *   selftests/vm/run --no-module --timeout 900 \
 *     --kernel $(selftests/vm/build-kernel --path-only ref)/arch/x86/boot/bzImage \
 *     -- build/selftests/espintcp_race
 *
 * usage: espintcp_race [-m mode] [-i iterations] [-t seconds] [-b burst]
 * Output: KTAP, one test per iteration.  Run as root (in the VM).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/iketcp_test.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif
#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif

#define NS_A	"erace-a"	/* acceptor (listener) */
#define NS_B	"erace-b"	/* originator */
#define ADDR_A	"10.97.0.1"
#define ADDR_B	"10.97.0.2"
#define PORT	4500
#define MINMSG	100		/* record body: marker + payload */
#define MAXMSG	1500
#define TAINT_W	512

enum mode { M_CONCURRENT, M_DEFERRED, M_PHASED };
static const char *const mode_names[] = { "concurrent", "deferred", "phased" };

struct side {
	const char *name;
	int fd;
	/* sender */
	unsigned long sent, send_retries, send_errors;
	int send_errno;
	/* receiver */
	unsigned long rcvd, rcvd_bytes, bad, rcv_errors;
	int rcv_errno;
	unsigned int seed;
};

static enum mode mode = M_CONCURRENT;
static int stress_ms = 3000;
static int burst = 16;		/* messages per burst, phased mode */
static atomic_int stop_send;
static atomic_int senders_done;

/* phased mode: a barrier for the 2 senders + main, and the receivers */
static pthread_barrier_t ph_bar;
static atomic_int ph_quit;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long tainted(void)
{
	FILE *f = fopen("/proc/sys/kernel/tainted", "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void kmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void kmsg(const char *fmt, ...)
{
	va_list ap;
	int k = open("/dev/kmsg", O_WRONLY);

	if (k < 0)
		return;
	va_start(ap, fmt);
	vdprintf(k, fmt, ap);
	va_end(ap);
	close(k);
}

/* One IKE message: marker 0, then seq (4), length of the body (2), fill. */
static size_t build_msg(struct side *s, unsigned char *buf)
{
	size_t len = MINMSG + rand_r(&s->seed) % (MAXMSG - MINMSG + 1);
	uint32_t seq = (uint32_t)s->sent;
	uint16_t l16 = (uint16_t)len;

	memset(buf, 0, 4);
	memcpy(buf + 4, &seq, 4);
	memcpy(buf + 8, &l16, 2);
	memset(buf + 10, (int)(seq & 0xff), len - 10);
	return len;
}

/* Send one record; retry while espintcp still holds a partial one. */
static int send_one(struct side *s, const unsigned char *buf, size_t len)
{
	uint64_t end = now_ms() + 10000;
	ssize_t n;

	for (;;) {
		n = send(s->fd, buf, len, 0);
		if (n == (ssize_t)len)
			return 0;
		if (n < 0 && (errno == ENOBUFS || errno == EAGAIN ||
			      errno == EINTR) && now_ms() < end) {
			s->send_retries++;
			usleep(200);
			continue;
		}
		s->send_errors++;
		s->send_errno = n < 0 ? errno : EMSGSIZE;
		return -1;
	}
}

static void *sender(void *arg)
{
	struct side *s = arg;
	unsigned char buf[MAXMSG];
	size_t len;
	int i;

	if (mode == M_PHASED) {
		for (;;) {
			pthread_barrier_wait(&ph_bar);	/* start of a burst */
			if (atomic_load(&ph_quit))
				break;
			for (i = 0; i < burst; i++) {
				len = build_msg(s, buf);
				if (send_one(s, buf, len))
					break;
				s->sent++;
			}
			pthread_barrier_wait(&ph_bar);	/* burst sent */
		}
		return NULL;
	}
	while (!atomic_load(&stop_send)) {
		len = build_msg(s, buf);
		if (send_one(s, buf, len))
			break;
		s->sent++;
	}
	return NULL;
}

static int recv_one(struct side *s, unsigned char *buf, size_t size)
{
	ssize_t n = recv(s->fd, buf, size, 0);
	uint16_t l16;

	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE;
	s->rcv_errno = 0;
	memcpy(&l16, buf + 8, 2);
	if (n < 10 || buf[0] || buf[1] || buf[2] || buf[3] || l16 != n)
		s->bad++;
	s->rcvd++;
	s->rcvd_bytes += n;
	return 0;
}

/*
 * Receive until the senders are done and nothing came for a second.
 * Not with SO_RCVTIMEO: strparser takes sk_rcvtimeo as its message
 * assembly timeout and stops for good (sk_err ETIMEDOUT) when a record
 * takes longer than that to arrive.  poll() + MSG_DONTWAIT instead; the
 * recv() is the same espintcp_recvmsg() either way.
 */
static void *receiver(void *arg)
{
	struct side *s = arg;
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	unsigned char buf[2048];
	int r;

	for (;;) {
		r = poll(&pfd, 1, 1000);
		if (r == 0) {
			if (atomic_load(&senders_done))
				break;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		r = recv_one(s, buf, sizeof(buf));
		if (!r || r == -EAGAIN || r == -EINTR)
			continue;
		s->rcv_errors++;
		s->rcv_errno = -r;
		break;
	}
	return NULL;
}

/* Drain what is queued now, without blocking. */
static void drain_nonblock(struct side *s)
{
	unsigned char buf[2048];
	ssize_t n;
	uint16_t l16;

	for (;;) {
		n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			break;
		memcpy(&l16, buf + 8, 2);
		if (n < 10 || buf[0] || buf[1] || buf[2] || buf[3] || l16 != n)
			s->bad++;
		s->rcvd++;
		s->rcvd_bytes += n;
	}
}

static int outq(int fd)
{
	int v = -1;

	if (ioctl(fd, SIOCOUTQ, &v))
		return -1;
	return v;
}

static int enter(const char *ns)
{
	char path[128];
	int fd, r;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	r = setns(fd, CLONE_NEWNET);
	close(fd);
	return r;
}

static int setup_netns(void)
{
	ikt_sh("ip netns del " NS_A " 2>/dev/null; ip netns del " NS_B
	   " 2>/dev/null; true");
	return ikt_sh("set -e; ip netns add " NS_A "; ip netns add " NS_B "; "
		  "ip -n " NS_A " link set lo up; ip -n " NS_B " link set lo up; "
		  "ip link add erace-a netns " NS_A " type veth peer name erace-b "
		  "netns " NS_B "; "
		  "ip -n " NS_A " addr add " ADDR_A "/24 dev erace-a; "
		  "ip -n " NS_B " addr add " ADDR_B "/24 dev erace-b; "
		  "ip -n " NS_A " link set erace-a up; "
		  "ip -n " NS_B " link set erace-b up");
}

static int listener(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int fd, one = 1;

	inet_pton(AF_INET, ADDR_A, &sa.sin_addr);
	if (enter(NS_A))
		return -1;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4)) {
		printf("# bind/listen: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* A connected pair, prefix done, espintcp attached on both. */
static int connect_pair(int lfd, int *fa, int *fb)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	struct timeval tv = { 1, 0 };
	char pfx[6];
	int a = -1, b = -1, i;

	inet_pton(AF_INET, ADDR_A, &sa.sin_addr);
	if (enter(NS_B))
		return -1;
	b = socket(AF_INET, SOCK_STREAM, 0);
	if (b < 0)
		return -1;
	for (i = 0; i < 100; i++) {
		if (!connect(b, (struct sockaddr *)&sa, sizeof(sa)))
			break;
		usleep(50000);
	}
	if (i == 100) {
		printf("# connect: %s\n", strerror(errno));
		goto fail;
	}
	a = accept(lfd, NULL, NULL);
	if (a < 0) {
		printf("# accept: %s\n", strerror(errno));
		goto fail;
	}
	/* originator: prefix on the plain socket, then the ULP */
	if (send(b, "IKETCP", 6, 0) != 6) {
		printf("# prefix send: %s\n", strerror(errno));
		goto fail;
	}
	if (setsockopt(b, IPPROTO_TCP, TCP_ULP, "espintcp", sizeof("espintcp"))) {
		printf("# TCP_ULP espintcp (originator): %s\n", strerror(errno));
		goto fail;
	}
	/* acceptor: read the prefix, then the ULP */
	setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (recv(a, pfx, 6, MSG_WAITALL) != 6 || memcmp(pfx, "IKETCP", 6)) {
		printf("# prefix recv: %s\n", strerror(errno));
		goto fail;
	}
	/* no SO_RCVTIMEO under espintcp: it would be strparser's timeout */
	tv.tv_sec = 0;
	setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	tv.tv_sec = 1;
	if (setsockopt(a, IPPROTO_TCP, TCP_ULP, "espintcp", sizeof("espintcp"))) {
		printf("# TCP_ULP espintcp (acceptor): %s\n", strerror(errno));
		goto fail;
	}
	for (i = 0; i < 2; i++) {
		int fd = i ? b : a;

		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	*fa = a;
	*fb = b;
	return 0;
fail:
	if (a >= 0)
		close(a);
	close(b);
	return -1;
}

struct meminfo {
	__u32 m[SK_MEMINFO_VARS];
	long residue;
};

static void meminfo(int fd, struct meminfo *mi)
{
	socklen_t l = sizeof(mi->m);
	long sum;

	memset(mi, 0, sizeof(*mi));
	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mi->m, &l)) {
		mi->residue = -1;
		return;
	}
	sum = (long)(int)mi->m[SK_MEMINFO_FWD_ALLOC] +
	      (long)mi->m[SK_MEMINFO_RMEM_ALLOC] +
	      (long)mi->m[SK_MEMINFO_WMEM_QUEUED];
	mi->residue = ((sum % 4096) + 4096) % 4096;
}

/*
 * Wait until both send queues are empty (all acked), at most ms; true if
 * they are.  Then a little more for strparser's work and delayed ACKs.
 */
static bool wait_acked(struct side *sd, int ms, int settle_ms)
{
	uint64_t end = now_ms() + ms;
	bool idle;

	for (;;) {
		idle = !outq(sd[0].fd) && !outq(sd[1].fd);
		if (idle || now_ms() >= end)
			break;
		usleep(2000);
	}
	usleep(settle_ms * 1000);
	return idle;
}

static int iteration(int it, int lfd, int *first_w)
{
	struct side sd[2] = {
		{ .name = "acceptor" }, { .name = "originator" },
	};
	pthread_t snd[2], rcv[2];
	struct meminfo mi[2];
	uint64_t end;
	long t0 = tainted(), t1;
	int i, fail = 0, bursts = 0, busy_drains = 0, bad_bursts = 0;
	int first_bad_burst = 0;
	__u32 max_rmem = 0;
	bool drain_idle = true;

	if (connect_pair(lfd, &sd[0].fd, &sd[1].fd))
		return -1;
	for (i = 0; i < 2; i++)
		sd[i].seed = (unsigned int)(it * 2 + i + 1);
	atomic_store(&stop_send, 0);
	atomic_store(&senders_done, 0);
	atomic_store(&ph_quit, 0);

	if (mode == M_PHASED)
		pthread_barrier_init(&ph_bar, NULL, 3);
	for (i = 0; i < 2; i++) {
		pthread_create(&snd[i], NULL, sender, &sd[i]);
		if (mode == M_CONCURRENT)
			pthread_create(&rcv[i], NULL, receiver, &sd[i]);
	}

	end = now_ms() + stress_ms;
	if (mode == M_PHASED) {
		while (now_ms() < end) {
			pthread_barrier_wait(&ph_bar);	/* go */
			pthread_barrier_wait(&ph_bar);	/* burst sent */
			bursts++;
			/*
			 * Drain only once everything sent is acked: no data
			 * arrives while recv() runs.
			 */
			if (!wait_acked(sd, 5000, 5))
				busy_drains++;
			for (i = 0; i < 2; i++) {
				meminfo(sd[i].fd, &mi[i]);
				if (mi[i].m[SK_MEMINFO_RMEM_ALLOC] > max_rmem)
					max_rmem = mi[i].m[SK_MEMINFO_RMEM_ALLOC];
				drain_nonblock(&sd[i]);
			}
			/* idle and drained: the residue must be 0 now */
			for (i = 0; i < 2; i++) {
				meminfo(sd[i].fd, &mi[i]);
				if (mi[i].residue && !outq(sd[i].fd) &&
				    !mi[i].m[SK_MEMINFO_WMEM_QUEUED]) {
					bad_bursts++;
					if (!first_bad_burst)
						first_bad_burst = bursts;
				}
			}
		}
		atomic_store(&ph_quit, 1);
		pthread_barrier_wait(&ph_bar);
	} else {
		while (now_ms() < end)
			usleep(10000);
		atomic_store(&stop_send, 1);
	}
	for (i = 0; i < 2; i++)
		pthread_join(snd[i], NULL);
	atomic_store(&senders_done, 1);
	if (mode == M_PHASED)
		pthread_barrier_destroy(&ph_bar);

	if (mode == M_DEFERRED) {
		/* the traffic first settles, then each side drains its queue */
		int q0 = outq(sd[0].fd), q1 = outq(sd[1].fd);

		drain_idle = wait_acked(sd, 3000, 50);
		printf("# iter %d deferred: senders stopped with outq %d/%d; drain starts %s (outq %d/%d)\n",
		       it, q0, q1, drain_idle ? "idle" :
		       "with data still to arrive (zero window: IKE queue full)",
		       outq(sd[0].fd), outq(sd[1].fd));
		for (i = 0; i < 2; i++)
			pthread_create(&rcv[i], NULL, receiver, &sd[i]);
	}
	if (mode != M_PHASED)
		for (i = 0; i < 2; i++)
			pthread_join(rcv[i], NULL);
	else {
		wait_acked(sd, 3000, 50);
		drain_nonblock(&sd[0]);
		drain_nonblock(&sd[1]);
	}

	/* idle: nothing in flight, IKE queues empty */
	wait_acked(sd, 3000, 50);
	for (i = 0; i < 2; i++) {
		struct side *s = &sd[i], *peer = &sd[!i];

		int soerr = 0, idle;
		socklen_t el = sizeof(soerr);

		meminfo(s->fd, &mi[i]);
		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &el);
		idle = !mi[i].m[SK_MEMINFO_WMEM_QUEUED] && !outq(s->fd);
		printf("# iter %d %-10s sent %lu (retries %lu, errors %lu %s) rcvd %lu of peer's %lu (%lu bytes, bad %lu, rcv errors %lu %s, dropped %ld) SO_ERROR %s\n",
		       it, s->name, s->sent, s->send_retries, s->send_errors,
		       s->send_errors ? strerror(s->send_errno) : "",
		       s->rcvd, peer->sent, s->rcvd_bytes, s->bad,
		       s->rcv_errors, s->rcv_errors ? strerror(s->rcv_errno) : "",
		       (long)peer->sent - (long)s->rcvd,
		       soerr ? strerror(soerr) : "0");
		printf("# iter %d %-10s SO_MEMINFO before close: fwd_alloc %d rmem_alloc %u wmem_queued %u rcvbuf %u sndbuf %u outq %d; (fwd+rmem+wmemq) mod 4096 = %ld%s\n",
		       it, s->name, (int)mi[i].m[SK_MEMINFO_FWD_ALLOC],
		       mi[i].m[SK_MEMINFO_RMEM_ALLOC],
		       mi[i].m[SK_MEMINFO_WMEM_QUEUED],
		       mi[i].m[SK_MEMINFO_RCVBUF], mi[i].m[SK_MEMINFO_SNDBUF],
		       outq(s->fd), mi[i].residue,
		       !idle ? "  (not idle: residue not meaningful)" :
		       mi[i].residue ? "  <-- sk_forward_alloc lost an update" : "");
		if (mi[i].residue && idle)
			fail = 1;
		if (s->bad || !s->sent || s->send_errors || s->rcv_errors ||
		    soerr || !idle)
			fail = 1;
	}
	if (mode == M_PHASED)
		printf("# iter %d phased: %d bursts of %d messages per side, %d drains not idle (data in flight), max rmem_alloc before a drain %u, residue nonzero after %d bursts (first: burst %d)\n",
		       it, bursts, burst, busy_drains, max_rmem, bad_bursts,
		       first_bad_burst);
	if (busy_drains)
		fail = 1;

	for (i = 0; i < 2; i++) {
		kmsg("espintcp_race: iter %d (%s): close %s, fwd_alloc %d rmem_alloc %u wmem_queued %u residue %ld\n",
		     it, mode_names[mode], sd[i].name,
		     (int)mi[i].m[SK_MEMINFO_FWD_ALLOC],
		     mi[i].m[SK_MEMINFO_RMEM_ALLOC],
		     mi[i].m[SK_MEMINFO_WMEM_QUEUED], mi[i].residue);
		close(sd[i].fd);
	}
	usleep(500000);	/* let the sockets go (FIN/ACK, destruct) */

	t1 = tainted();
	printf("# iter %d tainted %ld -> %ld\n", it, t0, t1);
	if (!(t0 & TAINT_W) && (t1 & TAINT_W)) {
		printf("# iter %d: kernel taint W (512) set during this iteration\n", it);
		if (!*first_w)
			*first_w = it;
		fail = 1;
	}
	return fail;
}

int main(int argc, char **argv)
{
	int iters = 20, opt, it, lfd, fails = 0, first_w = 0, r;
	long t;

	while ((opt = getopt(argc, argv, "m:i:t:b:")) != -1) {
		switch (opt) {
		case 'm':
			if (!strcmp(optarg, "concurrent"))
				mode = M_CONCURRENT;
			else if (!strcmp(optarg, "deferred"))
				mode = M_DEFERRED;
			else if (!strcmp(optarg, "phased"))
				mode = M_PHASED;
			else
				goto usage;
			break;
		case 'i':
			iters = atoi(optarg);
			break;
		case 't':
			stress_ms = atoi(optarg) * 1000;
			break;
		case 'b':
			burst = atoi(optarg);
			break;
		default:
usage:
			fprintf(stderr, "usage: %s [-m concurrent|deferred|phased] [-i iterations] [-t seconds] [-b burst]\n",
				argv[0]);
			return 2;
		}
	}
	if (iters < 1 || stress_ms < 1000 || burst < 1)
		goto usage;

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	t = tainted();
	printf("# espintcp_race: mode %s, %d iterations of %d s, tainted at start %ld%s\n",
	       mode_names[mode], iters, stress_ms / 1000, t,
	       (t & TAINT_W) ? " (W already set: cannot attribute it)" : "");
	if (mode == M_PHASED)
		printf("# phased: bursts of %d messages per side\n", burst);
	if (setup_netns()) {
		printf("1..0 # SKIP cannot set up the namespaces\n");
		return 4;
	}
	lfd = listener();
	if (lfd < 0) {
		printf("1..0 # SKIP no listener\n");
		return 4;
	}
	printf("1..%d\n", iters);
	kmsg("espintcp_race: start, mode %s\n", mode_names[mode]);
	for (it = 1; it <= iters; it++) {
		r = iteration(it, lfd, &first_w);
		if (r < 0) {
			printf("not ok %d iteration %d # could not set up the connection\n",
			       it, it);
			fails++;
			if (it == 1) {
				printf("# espintcp unusable, giving up\n");
				break;
			}
			continue;
		}
		printf("%sok %d iteration %d\n", r ? "not " : "", it, it);
		fails += r;
	}
	close(lfd);
	/* handle_nonesp() counts its drops (queue over sk_rcvbuf, or no memory) as XfrmInError */
	printf("# nonzero /proc/net/xfrm_stat counters, per namespace:\n");
	fflush(stdout);
	ikt_sh("for n in " NS_A " " NS_B "; do ip netns exec $n cat /proc/net/xfrm_stat "
	   "2>/dev/null | grep -vE '\\s0$' | sed \"s/^/#   $n: /\"; done; true");
	ikt_sh("ip netns del " NS_A " 2>/dev/null; ip netns del " NS_B
	   " 2>/dev/null; true");
	usleep(500000);
	t = tainted();
	if (!first_w && (t & TAINT_W))
		printf("# taint W set after the last iteration (netns teardown)\n");
	if (first_w)
		printf("# first iteration that set taint W: %d\n", first_w);
	else if (!(t & TAINT_W))
		printf("# taint W never set\n");
	printf("# tainted at end %ld; %d of %d iterations failed\n",
	       t, fails, iters);
	printf("# Totals: pass:%d fail:%d\n", iters - fails, fails);
	return fails ? 1 : 0;
}
