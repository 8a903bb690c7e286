// SPDX-License-Identifier: GPL-2.0
/*
 * The ULP suite as routers run it (issue 18, "Router configurations"):
 * records between two network namespaces over a veth pair with netem
 * delay, loss and reordering; a memory cgroup with a low memory.max around
 * records nobody reads; and threads blocked in recv() and send() when
 * their process is killed or the peer's namespace is deleted, with ESP in
 * flight both ways.
 *
 * Namespace A is the test's own (ikt_netns_new()), B a second one; the
 * veth ikta (A, 10.77.0.1, fd77::1) - iktb (B, 10.77.0.2, fd77::2) joins
 * them, GRO on, GSO and TSO off as on a router, and gso_max_segs 1: TCP
 * builds GSO packets whatever ethtool says (GSO is always on for TCP since
 * Linux 4.19) and segments them after the qdisc, so netem would drop and
 * reorder whole 64 KB bursts, a few dozen per test, instead of segments
 * (one run in CI lost and reordered nothing at all).  Both ends of every
 * connection are iketcp sockets: A's connects and is the originator.
 *
 * Fixtures:
 *   netem     2 ms delay, 1 % loss, a quarter reordered, both directions:
 *             largest and small messages both ways, MSG_WAITALL, queues
 *             at their minimum under a reader that starts late
 *   memcg     unread records under memory.max: backpressure, nothing
 *             lost, socket memory back to zero after close; the module's
 *             queues charged to the socket's memory cgroup; ENOBUFS
 *             under a small tcp_mem, nothing lost
 *   teardown  SIGKILL of the process and deletion of the peer's netns
 *             under blocked threads and ESP; the module unloads after
 *             (runs last; reloads it from $IKETCP_MODULE)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include "kselftest_harness.h"
#include "lib/genl_sa.h"
#include "lib/iketcp_test.h"

/* Every blocking call of the data tests gives up after this. */
#define STALL_MS	30000
#define ADDR_A4		"10.77.0.1"
#define ADDR_B4		"10.77.0.2"
#define ADDR_A6		"fd77::1"
#define ADDR_B6		"fd77::2"
#define NETEM		"netem delay 2ms loss 1% reorder 25% 50%"
#define RECV_BUF	65536

/* A shell command (ip, tc, ethtool) that must succeed: 0 or -1. */
#define run(...)	(ikt_sh(__VA_ARGS__) ? -1 : 0)

/* waitpid() with a deadline: the status, or -1 if pid is still there. */
static int wait_exit(pid_t pid, int ms)
{
	uint64_t t0 = ikt_now_ms();
	int st;

	do {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		ikt_msleep(20);
	} while (ikt_now_ms() - t0 < (uint64_t)ms);
	return -1;
}

/* ========================================================================
 * Two namespaces and a veth between them
 */

struct two_ns {
	int a, b;		/* namespace fds; the calling thread is in a */
};

static int ns_enter(int fd)
{
	return setns(fd, CLONE_NEWNET);
}

static int ns_fd(void)
{
	return open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
}

/* One end of the link, in the current namespace. */
static int link_end(const char *dev, const char *a4, const char *a6,
		    int mtu, const char *qdisc)
{
	if (run("ip link set lo up && ip link set %s mtu %d up && "
		"ip addr add %s/24 dev %s && ip addr add %s/64 dev %s nodad && "
		"ethtool -K %s gro on gso off tso off >/dev/null && "
		"ip link set %s gso_max_segs 1",
		dev, mtu, a4, dev, a6, dev, dev, dev))
		return -1;
	return qdisc ? run("tc qdisc add dev %s root %s", dev, qdisc) : 0;
}

/*
 * Move to a new namespace A, make B, link them; qdisc (or NULL) on both
 * ends.  The caller ends in A.
 */
static int link_setup(struct two_ns *ns, int mtu, const char *qdisc)
{
	ns->a = ns->b = -1;
	if (ikt_netns_new())
		return -1;
	ns->a = ns_fd();
	if (ns->a < 0 || unshare(CLONE_NEWNET))
		return -1;
	ns->b = ns_fd();
	if (ns->b < 0 || ns_enter(ns->a))
		return -1;
	if (run("ip link add ikta type veth peer name iktb netns /proc/%d/fd/%d",
		getpid(), ns->b) ||
	    link_end("ikta", ADDR_A4, ADDR_A6, mtu, qdisc) || ns_enter(ns->b) ||
	    link_end("iktb", ADDR_B4, ADDR_B6, mtu, qdisc))
		return -1;
	return ns_enter(ns->a);
}

static void link_close(struct two_ns *ns)
{
	if (ns->a >= 0)
		close(ns->a);
	if (ns->b >= 0)
		close(ns->b);
	ns->a = ns->b = -1;
}

static socklen_t sockaddr_of(int family, const char *addr, uint16_t port,
			     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		inet_pton(AF_INET, addr, &s->sin_addr);
		return sizeof(*s);
	}
	((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
	((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)ss)->sin6_addr);
	return sizeof(struct sockaddr_in6);
}

/*
 * A TCP connection from A to B: *a in namespace A called connect(), *b in
 * B came out of accept().  The calling thread is in A before and after.
 */
static int pair_across(const struct two_ns *ns, int family, int *a, int *b)
{
	const char *baddr = family == AF_INET ? ADDR_B4 : ADDR_B6;
	struct sockaddr_storage ss;
	socklen_t sl;
	int lfd, ret = -1;

	if (ns_enter(ns->b))
		return -1;
	lfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ns_enter(ns->a) || lfd < 0)
		goto out;
	sl = sockaddr_of(family, baddr, 0, &ss);
	if (bind(lfd, (struct sockaddr *)&ss, sl) || listen(lfd, 4) ||
	    getsockname(lfd, (struct sockaddr *)&ss, &sl))
		goto out;
	*a = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*a < 0)
		goto out;
	if (connect(*a, (struct sockaddr *)&ss, sl)) {
		close(*a);
		goto out;
	}
	*b = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (*b < 0) {
		close(*a);
		goto out;
	}
	ret = 0;
out:
	if (lfd >= 0)
		close(lfd);
	return ret;
}

/*
 * Both ends iketcp; for RFC 9329, a the originator, b the acceptor, whose
 * role is set first: a's prefix arriving first would set it (EBUSY then).
 */
static int attach_both(int a, int b, int framing)
{
	if (ikt_attach(a, framing) || ikt_attach(b, framing))
		return -1;
	if (framing != IKETCP_FRAMING_RFC9329)
		return 0;
	return ikt_set_role(b, IKETCP_ROLE_ACCEPTOR) ||
	       ikt_set_role(a, IKETCP_ROLE_ORIGINATOR) ? -1 : 0;
}

/* A counter of namespace fd (the caller is in A before and after). */
static uint64_t counter_in(const struct two_ns *ns, int fd,
			   enum iketcp_counter c)
{
	uint64_t v = UINT64_MAX;

	if (!ns_enter(fd))
		v = ikt_counter(c);
	if (ns_enter(ns->a))
		return UINT64_MAX;
	return v;
}

/* ========================================================================
 * Message flows: one thread sends count messages, another receives them
 */

enum flow_sizes { SZ_LARGEST, SZ_SMALL, SZ_MIXED };

struct flow {
	int tx, rx;			/* sending and receiving socket */
	int count;
	int framing;
	enum flow_sizes sizes;
	int rx_flags;			/* for recv(): MSG_WAITALL or 0 */
	int rx_wait_ns;			/* >= 0: read nothing before this netns
					 * counts rx_backpressure */
	/* results */
	int sent, received;
	int send_err;
	char why[160];			/* the first wrong message */
	pthread_t tx_th, rx_th;
};

static size_t flow_max(const struct flow *f)
{
	return f->framing == IKETCP_FRAMING_LEGACY ? IKETCP_LEGACY_MAX_MSG :
						     IKETCP_MAX_IKE_MSG;
}

/* The size of message i: every size from the IKE header to the largest. */
static size_t flow_size(const struct flow *f, int i)
{
	size_t span = flow_max(f) - IKT_IKE_HDR + 1;

	switch (f->sizes) {
	case SZ_LARGEST:
		return flow_max(f);
	case SZ_SMALL:
		return IKT_IKE_HDR + (size_t)i * 37 % 300;
	default:
		return IKT_IKE_HDR + ((size_t)i * 7919 + 13) % span;
	}
}

static void *flow_send(void *p)
{
	struct flow *f = p;
	uint8_t *msg = malloc(flow_max(f));
	int i;

	for (i = 0; msg && i < f->count; i++) {
		size_t len = flow_size(f, i);

		ikt_msg(msg, len, i);
		if (send(f->tx, msg, len, MSG_NOSIGNAL) != (ssize_t)len) {
			f->send_err = errno;
			break;
		}
		f->sent++;
	}
	free(msg);
	return NULL;
}

/* In namespace fd (this thread only): wait for rx_backpressure. */
static void flow_wait_backpressure(int fd)
{
	uint64_t t0 = ikt_now_ms(), v;

	if (ns_enter(fd))
		return;
	do {
		v = ikt_counter(IKETCP_CNT_RX_BACKPRESSURE);
		if (v && v != UINT64_MAX)
			return;
		ikt_msleep(10);
	} while (ikt_now_ms() - t0 < STALL_MS);
}

/* Receive every message once, whole, in order; note the first wrong one. */
static void *flow_recv(void *p)
{
	struct flow *f = p;
	uint8_t *buf = malloc(RECV_BUF);
	uint32_t id;
	ssize_t n;
	int i;

	if (f->rx_wait_ns >= 0)
		flow_wait_backpressure(f->rx_wait_ns);
	for (i = 0; buf && i < f->count; i++) {
		n = recv(f->rx, buf, RECV_BUF, f->rx_flags);
		if (n != (ssize_t)flow_size(f, i) ||
		    !ikt_msg_ok(buf, n, &id) || id != (uint32_t)i) {
			snprintf(f->why, sizeof(f->why),
				 "message %d: recv %zd (%s), want %zu bytes, %s",
				 i, n, n < 0 ? strerror(errno) : "ok",
				 flow_size(f, i),
				 n > 0 && ikt_msg_ok(buf, n, &id) ?
				 "intact, another id" : "not intact");
			break;
		}
		f->received++;
	}
	free(buf);
	return NULL;
}

static int flow_start(struct flow *f)
{
	if (pthread_create(&f->rx_th, NULL, flow_recv, f))
		return -1;
	if (pthread_create(&f->tx_th, NULL, flow_send, f)) {
		pthread_join(f->rx_th, NULL);
		return -1;
	}
	return 0;
}

static void flow_check(struct __test_metadata *_metadata, struct flow *f)
{
	uint8_t b[64];

	pthread_join(f->tx_th, NULL);
	pthread_join(f->rx_th, NULL);
	EXPECT_EQ(f->sent, f->count) TH_LOG("send: %s", strerror(f->send_err));
	EXPECT_EQ(f->received, f->count) TH_LOG("%s", f->why);
	/* Nothing duplicated: no message beyond the last. */
	EXPECT_EQ(recv(f->rx, b, sizeof(b), MSG_DONTWAIT), -1);
	EXPECT_EQ(errno, EAGAIN);
}

/* ========================================================================
 * netem: record semantics over a lossy, reordering link
 */

FIXTURE(netem)
{
	struct two_ns ns;
	int a, b;
};

FIXTURE_VARIANT(netem)
{
	int family;
	int framing;
	int mtu;
};

/* Not 9000: a few hundred jumbo frames might all pass netem untouched. */
FIXTURE_VARIANT_ADD(netem, ipv4_rfc9329_mtu1500)
{
	.family = AF_INET, .framing = IKETCP_FRAMING_RFC9329, .mtu = 1500,
};

FIXTURE_VARIANT_ADD(netem, ipv6_legacy_mtu1280)
{
	.family = AF_INET6, .framing = IKETCP_FRAMING_LEGACY, .mtu = 1280,
};

FIXTURE_SETUP(netem)
{
	self->a = self->b = -1;
	self->ns.a = self->ns.b = -1;
	ASSERT_EQ(link_setup(&self->ns, variant->mtu, NETEM), 0)
		TH_LOG("link: %s", strerror(errno));
	ASSERT_EQ(pair_across(&self->ns, variant->family, &self->a, &self->b),
		  0) TH_LOG("connection: %s", strerror(errno));
	ASSERT_EQ(ikt_set_timeouts(self->a, STALL_MS, STALL_MS), 0);
	ASSERT_EQ(ikt_set_timeouts(self->b, STALL_MS, STALL_MS), 0);
	ASSERT_EQ(attach_both(self->a, self->b, variant->framing), 0)
		TH_LOG("attach: %s", strerror(errno));
}

/* TCP sockets of the current netns not in TIME_WAIT (/proc/net/tcp*). */
static int live_tcp_sockets(void)
{
	static const char *const files[] = { "/proc/thread-self/net/tcp",
					     "/proc/thread-self/net/tcp6" };
	char line[512], st[8];
	int n = 0;
	size_t i;

	for (i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "r");

		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "%*s %*s %*s %7s", st) == 1 &&
			    strcmp(st, "st") && strcmp(st, "06"))
				n++;
		fclose(f);
	}
	return n;
}

/*
 * Close over a clean link, and wait until both ends are gone: when a
 * namespace dies its veth goes, and a close whose last FIN or ACK netem
 * dropped would retransmit into nothing for minutes, holding the module.
 */
FIXTURE_TEARDOWN(netem)
{
	uint64_t t0;

	if (self->ns.a < 0 || self->ns.b < 0)
		return;
	run("tc qdisc del dev ikta root");
	if (!ns_enter(self->ns.b))
		run("tc qdisc del dev iktb root");
	ns_enter(self->ns.a);
	close(self->a);
	close(self->b);
	for (t0 = ikt_now_ms(); ikt_now_ms() - t0 < 10000; ikt_msleep(50)) {
		int n = live_tcp_sockets();

		if (!ns_enter(self->ns.b))
			n += live_tcp_sockets();
		ns_enter(self->ns.a);
		if (!n)
			break;
	}
	link_close(&self->ns);
}

/* Value of name in a two-line-per-group /proc/net file (snmp, netstat). */
static long long proc_net_value(const char *file, const char *group,
				const char *name)
{
	char path[64], names[4096], vals[4096], *n, *v, *sn, *sv;
	long long ret = -1;
	size_t glen = strlen(group);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/thread-self/net/%s", file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(names, sizeof(names), f) && fgets(vals, sizeof(vals), f)) {
		if (strncmp(names, group, glen) || names[glen] != ':')
			continue;
		n = strtok_r(names + glen + 1, " \n", &sn);
		v = strtok_r(vals + glen + 1, " \n", &sv);
		for (; n && v; n = strtok_r(NULL, " \n", &sn),
		     v = strtok_r(NULL, " \n", &sv))
			if (!strcmp(n, name))
				ret = atoll(v);
	}
	fclose(f);
	return ret;
}

/* A TCP statistic summed over both namespaces. */
static long long tcp_stat(const struct two_ns *ns, const char *file,
			  const char *group, const char *name)
{
	long long a = proc_net_value(file, group, name), b = -1;

	if (!ns_enter(ns->b))
		b = proc_net_value(file, group, name);
	if (ns_enter(ns->a) || a < 0 || b < 0)
		return -1;
	return a + b;
}

/* Errors of the stream that a link cannot cause: all zero in A and B. */
static void expect_stream_clean(struct __test_metadata *_metadata,
				const struct two_ns *ns)
{
	static const enum iketcp_counter bad[] = {
		IKETCP_CNT_RX_DROP_IKE_LENGTH, IKETCP_CNT_RX_DROP_RUNT,
		IKETCP_CNT_RX_DROP_PARTIAL_EOF, IKETCP_CNT_RX_TRUNCATED,
		IKETCP_CNT_RESET_BAD_PREFIX, IKETCP_CNT_RESET_BAD_LENGTH,
		IKETCP_CNT_RESET_LEGACY_LENGTH, IKETCP_CNT_RX_EMPTY_RECORDS,
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(counter_in(ns, ns->a, bad[i]), 0u) TH_LOG("A %zu", i);
		EXPECT_EQ(counter_in(ns, ns->b, bad[i]), 0u) TH_LOG("B %zu", i);
	}
}

/* Both ways at once: count messages of sizes each way, checked. */
static void both_ways(struct __test_metadata *_metadata,
		      FIXTURE_DATA(netem) *self, int framing, int count,
		      enum flow_sizes sizes, int rx_flags)
{
	struct flow ab = {
		.tx = self->a, .rx = self->b, .count = count,
		.framing = framing, .sizes = sizes, .rx_flags = rx_flags,
		.rx_wait_ns = -1,
	};
	struct flow ba = ab;
	uint64_t in_b = counter_in(&self->ns, self->ns.b,
				   IKETCP_CNT_RX_IKE_MSGS),
		 in_a = counter_in(&self->ns, self->ns.a,
				   IKETCP_CNT_RX_IKE_MSGS);

	ba.tx = self->b;
	ba.rx = self->a;
	ASSERT_EQ(flow_start(&ab), 0);
	ASSERT_EQ(flow_start(&ba), 0);
	flow_check(_metadata, &ab);
	flow_check(_metadata, &ba);
	EXPECT_EQ(counter_in(&self->ns, self->ns.b, IKETCP_CNT_RX_IKE_MSGS) -
		  in_b, (uint64_t)count);
	EXPECT_EQ(counter_in(&self->ns, self->ns.a, IKETCP_CNT_RX_IKE_MSGS) -
		  in_a, (uint64_t)count);
	expect_stream_clean(_metadata, &self->ns);
}

/* What netem on dev (current namespace) dropped, from tc -s; -1 unknown. */
static long long netem_drops(const char *dev)
{
	char cmd[64], line[256], *d;
	long long n = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "tc -s qdisc show dev %s 2>/dev/null", dev);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		if (n < 0 && (d = strstr(line, "(dropped ")))
			n = atoll(d + strlen("(dropped "));
	pclose(p);
	return n;
}

/*
 * The largest messages, both ways: each spans tens of segments, some lost
 * and retransmitted, some reordered.  The link must really have lost or
 * reordered segments (TCP's retransmission and out-of-order counters);
 * netem's own drop counts are logged beside them.
 */
TEST_F_TIMEOUT(netem, largest_messages_both_ways_whole_in_order, 240)
{
	long long retrans, ofo, drop_a, drop_b = -1;

	both_ways(_metadata, self, variant->framing, 12, SZ_LARGEST, 0);
	retrans = tcp_stat(&self->ns, "snmp", "Tcp", "RetransSegs");
	ofo = tcp_stat(&self->ns, "netstat", "TcpExt", "TCPOFOQueue");
	drop_a = netem_drops("ikta");
	if (!ns_enter(self->ns.b))
		drop_b = netem_drops("iktb");
	ASSERT_EQ(ns_enter(self->ns.a), 0);
	TH_LOG("retransmitted %lld segments, %lld queued out of order; netem dropped %lld and %lld",
	       retrans, ofo, drop_a, drop_b);
	/* Either alone may be 0 on a slow host: few segments in flight. */
	EXPECT_GT(retrans + ofo, 0) TH_LOG("netem lost and reordered nothing");
	EXPECT_GT(drop_a + drop_b, 0) TH_LOG("netem dropped nothing");
}

/* Many small messages both ways: records share segments, split anywhere. */
TEST_F_TIMEOUT(netem, small_messages_both_ways_whole_in_order, 240)
{
	both_ways(_metadata, self, variant->framing, 600, SZ_SMALL, 0);
}

/*
 * MSG_WAITALL with a buffer larger than any message: each recv() still
 * returns one whole message, however its segments arrive.
 */
TEST_F_TIMEOUT(netem, waitall_recv_returns_one_message_each, 240)
{
	both_ways(_metadata, self, variant->framing, 24, SZ_MIXED,
		  MSG_WAITALL);
}

/*
 * Both queue limits at their minimum and a reader that starts only once
 * the receiving side paused reading TCP (rx_backpressure in B): the
 * sender waited (tx_backpressure in A), and then every message arrives.
 */
TEST_F_TIMEOUT(netem, backpressure_minimum_queues_late_reader_loses_nothing,
	       240)
{
	struct flow ab = {
		.tx = self->a, .rx = self->b, .count = 40,
		.framing = variant->framing, .sizes = SZ_MIXED,
		.rx_wait_ns = self->ns.b,
	};
	int sz = 65536;

	ASSERT_EQ(ikt_set_limits(IKETCP_QUEUE_LIMIT_MIN,
				 IKETCP_QUEUE_LIMIT_MIN), 0);
	ASSERT_EQ(ns_enter(self->ns.b), 0);
	ASSERT_EQ(ikt_set_limits(IKETCP_QUEUE_LIMIT_MIN,
				 IKETCP_QUEUE_LIMIT_MIN), 0);
	ASSERT_EQ(ns_enter(self->ns.a), 0);
	/* Fixed TCP buffers: autotuning must not swallow it all. */
	ASSERT_EQ(setsockopt(self->b, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)),
		  0);
	ASSERT_EQ(setsockopt(self->a, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)),
		  0);
	ASSERT_EQ(flow_start(&ab), 0);
	flow_check(_metadata, &ab);
	EXPECT_GT(counter_in(&self->ns, self->ns.a,
			     IKETCP_CNT_TX_BACKPRESSURE), 0u);
	EXPECT_GT(counter_in(&self->ns, self->ns.b,
			     IKETCP_CNT_RX_BACKPRESSURE), 0u);
	expect_stream_clean(_metadata, &self->ns);
}

/* ========================================================================
 * memcg: unread records in a memory cgroup with a low memory.max
 */

#define CG_ROOT		"/sys/fs/cgroup"
#define CGROUP2_MAGIC	0x63677270

FIXTURE(memcg)
{
	char dir[128];
	bool ready;
	char tcp_mem[64];	/* to put back, if a test changed it */
};

/*
 * memory.max of the cgroup: above what the module's default queues and
 * TCP's buffers (fixed at 1 MiB) hold, so the module's backpressure must
 * stop the sender first.  At the limit, TCP's own charges from process
 * context would OOM-kill the process (the kernel's policy for socket
 * memory; seen with 2 and 3 MiB, in sock_alloc_inode() among others).
 */
#define CG_MAX		(4 << 20)

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	ret = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
	close(fd);
	return ret;
}

static int read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* A number in cgroup file name: the whole file, or key's value in it. */
static long long cg_value(const char *dir, const char *name, const char *key)
{
	char path[192], buf[8192], *p;
	size_t klen;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	if (!key)
		return atoll(buf);
	klen = strlen(key);
	for (p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, klen) && p[klen] == ' ')
			return atoll(p + klen + 1);
	return -1;
}

static bool cgroup2_mounted(void)
{
	struct statfs sf;

	return !statfs(CG_ROOT, &sf) && sf.f_type == CGROUP2_MAGIC;
}

FIXTURE_SETUP(memcg)
{
	char path[192], max[32], ctl[256];

	self->ready = false;
	/* selftests/vm/init mounts it; a kernel may still lack it. */
	if (!cgroup2_mounted())
		mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL);
	if (!cgroup2_mounted() ||
	    read_file(CG_ROOT "/cgroup.controllers", ctl, sizeof(ctl)) ||
	    !strstr(ctl, "memory"))
		SKIP(return, "no cgroup2 memory controller");
	write_file(CG_ROOT "/cgroup.subtree_control", "+memory");
	snprintf(self->dir, sizeof(self->dir), CG_ROOT "/iketcp-memcg-%d",
		 getpid());
	ASSERT_EQ(mkdir(self->dir, 0755), 0) TH_LOG("%s", strerror(errno));
	snprintf(path, sizeof(path), "%s/memory.max", self->dir);
	snprintf(max, sizeof(max), "%d", CG_MAX);
	ASSERT_EQ(write_file(path, max), 0) TH_LOG("%s", strerror(errno));
	self->ready = true;
}

#define TCP_MEM	"/proc/sys/net/ipv4/tcp_mem"

FIXTURE_TEARDOWN(memcg)
{
	int i;

	if (self->tcp_mem[0])
		write_file(TCP_MEM, self->tcp_mem);
	if (!self->ready)
		return;
	for (i = 0; i < 50 && rmdir(self->dir) && errno == EBUSY; i++)
		ikt_msleep(100);
}

/* What the worker saw, through a pipe. */
struct memcg_report {
	int sent;		/* messages send() took */
	int err;		/* errno of the refused send() */
	uint64_t tx_backpressure;
	uint32_t tx_mem, rx_mem;	/* the module's queues, both sockets */
	long long rcvq_drop;	/* TCPRcvQDrop */
	int received;
	char why[128];
};

/*
 * Send 8000-byte messages without blocking until send() keeps refusing;
 * the module's queues of cli and srv (if not -1) into the report.
 */
static void memcg_fill(int cli, int srv, struct memcg_report *r)
{
	static uint8_t msg[8000];
	struct gsa_sock si;
	int refused = 0;
	bool found;

	while (refused < 5) {
		ikt_msg(msg, sizeof(msg), r->sent);
		if (send(cli, msg, sizeof(msg), MSG_DONTWAIT) ==
		    (ssize_t)sizeof(msg)) {
			r->sent++;
			refused = 0;
			continue;
		}
		r->err = errno;
		if (errno != EAGAIN)
			break;
		refused++;
		ikt_msleep(50);
	}
	r->tx_backpressure = ikt_counter(IKETCP_CNT_TX_BACKPRESSURE);
	r->rcvq_drop = proc_net_value("netstat", "TcpExt", "TCPRcvQDrop");
	if (ikt_get_socket(ikt_fd_inode(cli), &si, &found) > 0 && found)
		r->tx_mem = si.tx_mem, r->rx_mem = si.rx_mem;
	if (srv >= 0 && ikt_get_socket(ikt_fd_inode(srv), &si, &found) > 0 &&
	    found)
		r->tx_mem += si.tx_mem, r->rx_mem += si.rx_mem;
}

/* Read every message taken, whole and in order, and nothing more. */
static void memcg_drain(int srv, struct memcg_report *r)
{
	static uint8_t buf[RECV_BUF];
	uint32_t id;

	for (; r->received < r->sent; r->received++) {
		ssize_t n = recv(srv, buf, sizeof(buf), 0);

		if (n != 8000 || !ikt_msg_ok(buf, n, &id) ||
		    id != (uint32_t)r->received) {
			snprintf(r->why, sizeof(r->why), "message %d: %zd (%s)",
				 r->received, n, n < 0 ? strerror(errno) : "");
			return;
		}
	}
	if (recv(srv, buf, sizeof(buf), MSG_DONTWAIT) != -1)
		snprintf(r->why, sizeof(r->why), "a message beyond the last");
}

/* TCP buffers of 1 MiB (2 MiB of truesize) each way: no autotuning. */
static int fix_buffers(int cli, int srv)
{
	int sz = 1 << 20;

	return setsockopt(cli, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) ||
	       setsockopt(srv, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

/*
 * The worker, in the cgroup from the first word on (a socket is charged
 * to its creator's cgroup): an iketcp pair over loopback, with the
 * module's queue limits at limit each way (0: the defaults).  Nobody reads
 * until the third word.
 */
static void memcg_worker(int go, int rep, uint32_t limit)
{
	struct memcg_report r = { 0 };
	int lfd, cli, srv;
	uint16_t port;
	char c;

	if (read(go, &c, 1) != 1 || ikt_netns_new() ||
	    (limit && ikt_set_limits(limit, limit)))
		_exit(2);
	lfd = ikt_listen(AF_INET, &port);
	cli = lfd < 0 ? -1 : ikt_connect(AF_INET, port);
	if (cli < 0 || write(rep, "c", 1) != 1 || read(go, &c, 1) != 1)
		_exit(3);
	srv = accept(lfd, NULL, NULL);
	if (srv < 0 || attach_both(cli, srv, IKETCP_FRAMING_RFC9329) ||
	    ikt_set_timeouts(srv, STALL_MS, STALL_MS) || fix_buffers(cli, srv))
		_exit(4);
	memcg_fill(cli, srv, &r);
	if (write(rep, &r, sizeof(r)) != sizeof(r) || read(go, &c, 1) != 1)
		_exit(5);
	memcg_drain(srv, &r);
	close(cli);
	close(srv);
	close(lfd);
	_exit(write(rep, &r, sizeof(r)) == sizeof(r) ? 0 : 6);
}

static int read_report(int fd, void *r, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, 60000) != 1)
		return -1;
	return read(fd, r, len) == (ssize_t)len ? 0 : -1;
}

static int cg_join(const char *dir, pid_t pid)
{
	char path[192], s[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(s, sizeof(s), "%d", pid);
	return write_file(path, s);
}

/* memory.events, memory.peak and memory.stat of the cgroup, logged. */
static long long cg_log(struct __test_metadata *_metadata, const char *dir,
			int max)
{
	long long peak = cg_value(dir, "memory.peak", NULL);

	TH_LOG("memcg: max %d current %lld peak %lld sock %lld, events max %lld oom_kill %lld",
	       max, cg_value(dir, "memory.current", NULL), peak,
	       cg_value(dir, "memory.stat", "sock"),
	       cg_value(dir, "memory.events", "max"),
	       cg_value(dir, "memory.events", "oom_kill"));
	return peak;
}

static void report_log(struct __test_metadata *_metadata,
		       const struct memcg_report *r)
{
	TH_LOG("sent %d (then %s), tx_backpressure %llu, module queues tx %u rx %u, TCPRcvQDrop %lld",
	       r->sent, strerror(r->err), (unsigned long long)r->tx_backpressure,
	       r->tx_mem, r->rx_mem, r->rcvq_drop);
}

/* After the worker exited: socket memory 0, usage near 0. */
static void expect_cg_empty(struct __test_metadata *_metadata,
			    const char *dir)
{
	long long sock = -1, cur = -1;
	int i;

	EXPECT_EQ(cg_value(dir, "memory.events", "oom_kill"), 0);
	/* Everything the sockets charged comes back (sockets die in RCU). */
	for (i = 0; i < 100; i++) {
		sock = cg_value(dir, "memory.stat", "sock");
		cur = cg_value(dir, "memory.current", NULL);
		if (!sock && cur < (1 << 20))
			break;
		ikt_msleep(100);
	}
	TH_LOG("after exit: current %lld, sock %lld", cur, sock);
	EXPECT_EQ(sock, 0);
	EXPECT_LT(cur, 1 << 20);
}

static void expect_drained(struct __test_metadata *_metadata,
			   const struct memcg_report *r, pid_t w)
{
	int st;

	EXPECT_EQ(r->received, r->sent) TH_LOG("%s", r->why);
	EXPECT_STREQ(r->why, "");
	st = wait_exit(w, 30000);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("worker status %#x", st);
}

/* A worker in the fixture's cgroup, and the pipes to it. */
struct memcg_run {
	int go[2], rep[2];
	pid_t w;
};

/*
 * Start a worker (queue limits limit, 0: the defaults) in dir's cgroup and
 * let it fill the queues; its report in *r.  False, said why, on failure.
 */
static bool memcg_run_fill(struct __test_metadata *_metadata,
			   const char *dir, uint32_t limit,
			   struct memcg_run *m, struct memcg_report *r)
{
	char c;

	if (pipe(m->go) || pipe(m->rep))
		return false;
	m->w = fork();
	if (m->w < 0)
		return false;
	if (!m->w)
		memcg_worker(m->go[0], m->rep[1], limit);
	if (cg_join(dir, m->w) || write(m->go[1], "g", 1) != 1 ||
	    read_report(m->rep[0], &c, 1) || write(m->go[1], "g", 1) != 1) {
		TH_LOG("worker: no pair (%m)");
		return false;
	}
	if (read_report(m->rep[0], r, sizeof(*r))) {
		TH_LOG("no report from the worker: status %#x, oom_kill %lld",
		       wait_exit(m->w, 1000),
		       cg_value(dir, "memory.events", "oom_kill"));
		return false;
	}
	report_log(_metadata, r);
	return true;
}

/* The worker reads everything and exits: all delivered, nothing left. */
static void memcg_run_drain(struct __test_metadata *_metadata,
			    const char *dir, struct memcg_run *m)
{
	struct memcg_report r;

	ASSERT_EQ(write(m->go[1], "d", 1), 1);
	ASSERT_EQ(read_report(m->rep[0], &r, sizeof(r)), 0)
		TH_LOG("no report from the worker");
	expect_drained(_metadata, &r, m->w);
	expect_cg_empty(_metadata, dir);
	close(m->go[0]);
	close(m->go[1]);
	close(m->rep[0]);
	close(m->rep[1]);
}

/*
 * Records nobody reads, sender and receiver in a cgroup with a low
 * memory.max: the sender is refused (EAGAIN, counted in tx_backpressure)
 * below the cgroup's limit, nothing oopses, nobody is OOM-killed; every
 * message taken then arrives whole and in order; after close and exit
 * the cgroup's socket memory is zero, its usage near zero.
 */
TEST_F_TIMEOUT(memcg, unread_records_under_memory_max, 180)
{
	struct memcg_report r;
	struct memcg_run m;
	long long peak;

	if (!self->ready)
		SKIP(return, "no cgroup2 memory controller");
	ASSERT_TRUE(memcg_run_fill(_metadata, self->dir, 0, &m, &r));
	peak = cg_log(_metadata, self->dir, CG_MAX);
	EXPECT_EQ(r.err, EAGAIN);
	EXPECT_GT(r.sent, 0);
	EXPECT_GT(r.tx_backpressure, 0u);
	/* The module's limits stopped the sender below the cgroup's. */
	EXPECT_LT(peak, CG_MAX);
	memcg_run_drain(_metadata, self->dir, &m);
}

/*
 * Queues of CHARGED_LIMIT each way, far above what TCP's buffers hold, and
 * a memory.max far above those: the module's queues must show in the
 * cgroup's socket memory, as TCP's own queues do (kernel/socket.h).
 */
#define CHARGED_LIMIT	(12 << 20)
#define CHARGED_CG_MAX	(256 << 20)

/*
 * IKE records waiting in the module's queues, both ways, are charged to
 * the socket's memory accounting and so to its memory cgroup: memory.stat's
 * "sock" holds at least what the module says it queues.  After reading
 * and close, everything charged comes back (an uncharge missed or done
 * twice leaves "sock" off zero; the harness catches the kernel's WARN).
 */
TEST_F_TIMEOUT(memcg, queued_records_are_charged_to_the_cgroup, 180)
{
	char path[192], max[32];
	struct memcg_report r;
	struct memcg_run m;
	long long sock;

	if (!self->ready)
		SKIP(return, "no cgroup2 memory controller");
	snprintf(path, sizeof(path), "%s/memory.max", self->dir);
	snprintf(max, sizeof(max), "%d", CHARGED_CG_MAX);
	ASSERT_EQ(write_file(path, max), 0) TH_LOG("%s", strerror(errno));
	ASSERT_TRUE(memcg_run_fill(_metadata, self->dir, CHARGED_LIMIT, &m,
				   &r));
	cg_log(_metadata, self->dir, CHARGED_CG_MAX);
	sock = cg_value(self->dir, "memory.stat", "sock");
	EXPECT_EQ(r.err, EAGAIN);
	/* Both queues filled to their limits, well past TCP's buffers... */
	EXPECT_GT(r.tx_mem, (uint32_t)CHARGED_LIMIT - (1 << 20));
	EXPECT_GT(r.rx_mem, (uint32_t)CHARGED_LIMIT - (1 << 20));
	/* ...and the cgroup was charged for them. */
	EXPECT_GE(sock, (long long)r.tx_mem + r.rx_mem)
		TH_LOG("memory.stat sock %lld, module queues %u + %u", sock,
		       r.tx_mem, r.rx_mem);
	memcg_run_drain(_metadata, self->dir, &m);
}

/*
 * Under TCP memory pressure (tcp_mem of a few pages, the whole machine's
 * TCP over its hard limit), the socket's accounting refuses to charge a
 * message that would have to wait: send() fails with ENOBUFS, nothing
 * queued, and what was taken before still arrives whole, in order, once
 * tcp_mem is back; the charges all come back after close.
 */
TEST_F_TIMEOUT(memcg, small_tcp_mem_refuses_with_enobufs_loses_nothing, 180)
{
	struct memcg_report r;
	struct memcg_run m;

	if (!self->ready)
		SKIP(return, "no cgroup2 memory controller");
	ASSERT_EQ(read_file(TCP_MEM, self->tcp_mem, sizeof(self->tcp_mem)),
		  0);
	ASSERT_EQ(write_file(TCP_MEM, "1 2 4"), 0) TH_LOG("%m");
	ASSERT_TRUE(memcg_run_fill(_metadata, self->dir, 0, &m, &r));
	EXPECT_EQ(write_file(TCP_MEM, self->tcp_mem), 0);
	self->tcp_mem[0] = 0;
	EXPECT_EQ(r.err, ENOBUFS) TH_LOG("send: %s", strerror(r.err));
	EXPECT_GT(r.sent, 0);
	memcg_run_drain(_metadata, self->dir, &m);
}

/* ========================================================================
 * teardown: kill and netns deletion under blocked threads, ESP in flight
 */

/* Failures in a forked child: say why on stderr and exit non-zero. */
#define CHILD_CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "# %s:%d: %s: ", __FILE__,	\
				__LINE__, #cond);			\
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
			_exit(1);					\
		}							\
	} while (0)

#define SPI_A1_OUT	0x5001	/* A1's queue is full: dropped, counted */
#define SPI_A2_OUT	0x5002	/* A2 -> B2, into B's XFRM */
#define SPI_B2_OUT	0x5003	/* B2 -> A2, into A's XFRM */

/*
 * Two connections A1-B1 and A2-B2; B1 never reads, so A1's sender blocks.
 * ESP: raw packets sent in A to B's address with SPI_A1_OUT and SPI_A2_OUT
 * are taken by A1's and A2's OUT bindings; B2's OUT binding takes B's
 * SPI_B2_OUT packets, and the IN bindings hand the records to XFRM.
 */
struct world {
	struct two_ns ns;
	int a1, b1, a2, b2;
	struct gsa_nl nla, nlb;
	int raw_a, raw_b;	/* raw ESP sockets in A and B */
};

static void bind_sa(struct gsa_nl *nl, int fd, int dir, uint32_t spi)
{
	struct gsa_sa sa = gsa_sa_make(dir, spi);
	struct gsa_ack ack;
	int ret = gsa_bind(nl, fd, &sa, &ack);

	CHILD_CHECK(!ret, "BIND_SA %#x: %s %s", spi, strerror(-ret), ack.msg);
}

static void world_up(struct world *w)
{
	CHILD_CHECK(!link_setup(&w->ns, 1500, NULL), "link: %m");
	CHILD_CHECK(!pair_across(&w->ns, AF_INET, &w->a1, &w->b1), "1: %m");
	CHILD_CHECK(!pair_across(&w->ns, AF_INET, &w->a2, &w->b2), "2: %m");
	CHILD_CHECK(!attach_both(w->a1, w->b1, IKETCP_FRAMING_RFC9329), "%m");
	CHILD_CHECK(!attach_both(w->a2, w->b2, IKETCP_FRAMING_RFC9329), "%m");
	CHILD_CHECK(!gsa_open(&w->nla), "genl A");
	w->raw_a = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ESP);
	CHILD_CHECK(w->raw_a >= 0, "raw A: %m");
	bind_sa(&w->nla, w->a1, IKETCP_DIR_OUT, SPI_A1_OUT);
	bind_sa(&w->nla, w->a2, IKETCP_DIR_OUT, SPI_A2_OUT);
	bind_sa(&w->nla, w->a2, IKETCP_DIR_IN, SPI_B2_OUT);
	CHILD_CHECK(!ns_enter(w->ns.b), "%m");
	CHILD_CHECK(!gsa_open(&w->nlb), "genl B");
	w->raw_b = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ESP);
	CHILD_CHECK(w->raw_b >= 0, "raw B: %m");
	bind_sa(&w->nlb, w->b2, IKETCP_DIR_OUT, SPI_B2_OUT);
	bind_sa(&w->nlb, w->b2, IKETCP_DIR_IN, SPI_A2_OUT);
	CHILD_CHECK(!ns_enter(w->ns.a), "%m");
}

/* Raw ESP packets, about one a millisecond per SPI, until stop. */
struct flood {
	int fd;
	const char *daddr;
	uint32_t spi[2];
	int nspi;
	volatile int stop;
	pthread_t th;
};

static void *esp_flood(void *p)
{
	struct flood *f = p;
	struct sockaddr_storage ss;
	socklen_t sl = sockaddr_of(AF_INET, f->daddr, 0, &ss);
	uint8_t pkt[1000] = { 0 };
	uint32_t seq = 0;
	int i;

	while (!f->stop) {
		seq++;
		for (i = 0; i < f->nspi; i++) {
			uint32_t spi = htonl(f->spi[i]), s = htonl(seq);

			memcpy(pkt, &spi, 4);
			memcpy(pkt + 4, &s, 4);
			/* May fail once the link is gone: that is the test. */
			sendto(f->fd, pkt, sizeof(pkt), 0,
			       (struct sockaddr *)&ss, sl);
		}
		usleep(1000);
	}
	return NULL;
}

static void flood_start(struct flood *f, int fd, const char *daddr,
			uint32_t spi0, uint32_t spi1)
{
	*f = (struct flood){ .fd = fd, .daddr = daddr,
			     .spi = { spi0, spi1 }, .nspi = spi1 ? 2 : 1 };
	CHILD_CHECK(!pthread_create(&f->th, NULL, esp_flood, f), "flood");
}

static void flood_stop(struct flood *f)
{
	f->stop = 1;
	pthread_join(f->th, NULL);
}

/* A thread blocked in send() (full queue) or recv(). */
struct blocked {
	int fd;
	bool sends;
	volatile pid_t tid;
	volatile int done;
	int sent;
	ssize_t ret;
	int err;
	pthread_t th;
};

static void *blocked_run(void *p)
{
	static uint8_t msg[8000];
	struct blocked *b = p;
	uint8_t buf[256];

	b->tid = syscall(SYS_gettid);
	if (!b->sends) {
		b->ret = recv(b->fd, buf, sizeof(buf), 0);
	} else {
		for (;;) {
			ikt_msg(msg, sizeof(msg), b->sent);
			b->ret = send(b->fd, msg, sizeof(msg), MSG_NOSIGNAL);
			if (b->ret != (ssize_t)sizeof(msg))
				break;
			b->sent++;
		}
	}
	b->err = errno;
	b->done = 1;
	return NULL;
}

static char thread_state(pid_t tid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	if (read_file(path, buf, sizeof(buf)))
		return 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * Start b and wait until it sleeps in its call and, 300 ms later, still
 * sleeps in it without having sent more (ESP records wake a reader too).
 */
static void blocked_start(struct blocked *b, int fd, bool sends)
{
	uint64_t t0;
	int sent;

	*b = (struct blocked){ .fd = fd, .sends = sends };
	CHILD_CHECK(!pthread_create(&b->th, NULL, blocked_run, b), "thread");
	for (t0 = ikt_now_ms(); ikt_now_ms() - t0 < STALL_MS; ikt_msleep(20)) {
		CHILD_CHECK(!b->done, "the %s returned: %zd (%s)",
			    sends ? "send" : "recv", b->ret, strerror(b->err));
		if (!b->tid || thread_state(b->tid) != 'S')
			continue;
		sent = b->sent;
		ikt_msleep(300);
		if (!b->done && b->sent == sent && thread_state(b->tid) == 'S')
			return;
	}
	CHILD_CHECK(0, "the %s never blocked", sends ? "send" : "recv");
}

/* A counter of this namespace reaches more than min within STALL_MS. */
static void wait_counter_above(enum iketcp_counter c, uint64_t min)
{
	uint64_t t0 = ikt_now_ms(), v = 0;

	for (; ikt_now_ms() - t0 < STALL_MS; ikt_msleep(20)) {
		v = ikt_counter(c);
		if (v != UINT64_MAX && v > min)
			return;
	}
	CHILD_CHECK(0, "counter %d stayed at %llu", c, (unsigned long long)v);
}

/* In A: the sender waited, and ESP flows out and in and is dropped. */
static void wait_esp_and_blocked(void)
{
	wait_counter_above(IKETCP_CNT_TX_BACKPRESSURE, 0);
	wait_counter_above(IKETCP_CNT_TX_DROP_ESP_QUEUE_FULL, 0);
	wait_counter_above(IKETCP_CNT_TX_ESP_PKTS,
			   ikt_counter(IKETCP_CNT_TX_ESP_PKTS));
	wait_counter_above(IKETCP_CNT_RX_ESP_PKTS,
			   ikt_counter(IKETCP_CNT_RX_ESP_PKTS));
}

FIXTURE(teardown)
{
	const char *ko;
	bool ready;
};

FIXTURE_SETUP(teardown)
{
	self->ko = getenv("IKETCP_MODULE");
	self->ready = self->ko && !access(self->ko, R_OK);
	/* 6.1's harness runs the body after a SKIP here: it checks ready. */
	if (!self->ready)
		SKIP(return, "IKETCP_MODULE unset or unreadable: cannot reload");
}

FIXTURE_TEARDOWN(teardown)
{
}

/*
 * Nothing of the module's is left once the namespaces are gone: it
 * unloads (its sockets hold it), then loads again for the tests after.
 */
static void expect_unload_reload(struct __test_metadata *_metadata,
				 const char *ko)
{
	int tries, ret = -1, fd;

	for (tries = 0; tries < 200; tries++) {
		ret = syscall(SYS_delete_module, "iketcp", O_NONBLOCK);
		if (!ret || (errno != EWOULDBLOCK && errno != EBUSY))
			break;
		ikt_msleep(100);
	}
	if (ret) {
		char st[512] = "";

		/* Lingering TCP sockets (alloc), or a reference without one. */
		read_file("/proc/net/sockstat", st, sizeof(st));
		TH_LOG("rmmod (%d tries): %s; %s", tries, strerror(errno), st);
		EXPECT_EQ(ret, 0);
		return;
	}
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(syscall(SYS_finit_module, fd, "", 0), 0)
		TH_LOG("insmod %s: %s", ko, strerror(errno));
	close(fd);
}

/* The killed child: blocked threads on both sides, ESP both ways. */
static void kill_child(int ready)
{
	struct blocked snd, rcv_a, rcv_b;
	struct flood fa, fb;
	struct world w;

	world_up(&w);
	flood_start(&fa, w.raw_a, ADDR_B4, SPI_A1_OUT, SPI_A2_OUT);
	flood_start(&fb, w.raw_b, ADDR_A4, SPI_B2_OUT, 0);
	blocked_start(&snd, w.a1, true);
	blocked_start(&rcv_a, w.a2, false);
	blocked_start(&rcv_b, w.b2, false);
	wait_esp_and_blocked();
	CHILD_CHECK(write(ready, "r", 1) == 1, "%m");
	for (;;)
		pause();
}

/*
 * SIGKILL while one thread sleeps in send() on a full queue and two in
 * recv() on connections ESP flows over both ways: the process dies at
 * once (no thread stays stuck in the module), its namespaces go away with
 * it, and the module can be unloaded.
 */
TEST_F_TIMEOUT(teardown, kill_with_threads_blocked_and_esp_in_flight, 180)
{
	struct pollfd p;
	int fds[2], st;
	char c;
	pid_t pid;

	if (!self->ready)
		SKIP(return, "IKETCP_MODULE unset or unreadable: cannot reload");
	ASSERT_EQ(pipe(fds), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		close(fds[0]);
		kill_child(fds[1]);
	}
	close(fds[1]);
	p = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	EXPECT_EQ(poll(&p, 1, 120000), 1);
	EXPECT_EQ(read(fds[0], &c, 1), 1) TH_LOG("the child gave up (above)");
	close(fds[0]);
	ASSERT_EQ(kill(pid, SIGKILL), 0);
	st = wait_exit(pid, 20000);
	ASSERT_NE(st, -1) TH_LOG("the killed process did not exit in 20 s");
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
		TH_LOG("status %#x", st);
	expect_unload_reload(_metadata, self->ko);
}

/* B's side of the netns test: B1, B2, their threads and ESP. */
static void peer_child(struct world *w)
{
	struct blocked rcv_b;
	struct flood fb;

	close(w->a1);
	close(w->a2);
	close(w->raw_a);
	gsa_close(&w->nla);
	CHILD_CHECK(!ns_enter(w->ns.b), "%m");
	link_close(&w->ns);
	flood_start(&fb, w->raw_b, ADDR_A4, SPI_B2_OUT, 0);
	blocked_start(&rcv_b, w->b2, false);
	for (;;)
		pause();
}

static bool link_gone_within(int ms)
{
	uint64_t t0 = ikt_now_ms();

	do {
		if (!if_nametoindex("ikta"))
			return true;
		ikt_msleep(20);
	} while (ikt_now_ms() - t0 < (uint64_t)ms);
	return false;
}

/* A blocked call returned within ms, with 0 or one of two errors. */
static void check_returned(struct blocked *b, int ms, int err1, int err2)
{
	uint64_t t0 = ikt_now_ms();

	while (!b->done && ikt_now_ms() - t0 < (uint64_t)ms)
		ikt_msleep(20);
	CHILD_CHECK(b->done, "the %s is still blocked after %d ms",
		    b->sends ? "send" : "recv", ms);
	pthread_join(b->th, NULL);
	CHILD_CHECK(b->ret == (b->sends ? -1 : 0) ||
		    (b->ret == -1 && (b->err == err1 || b->err == err2)),
		    "the %s returned %zd (%s)", b->sends ? "send" : "recv",
		    b->ret, strerror(b->err));
}

/*
 * A's side: when B's only process is killed, B's namespace is deleted
 * and the veth with it.  A's threads blocked in send() and recv() return
 * (the peer's close reset or ended the connections) while ESP still
 * flows out of A.
 */
static void netns_child(void)
{
	struct blocked snd, rcv_a;
	struct flood fa;
	struct world w;
	pid_t peer;
	int st;

	world_up(&w);
	peer = fork();
	CHILD_CHECK(peer >= 0, "fork: %m");
	if (!peer)
		peer_child(&w);
	close(w.b1);
	close(w.b2);
	close(w.raw_b);
	gsa_close(&w.nlb);
	close(w.ns.b);
	w.ns.b = -1;
	flood_start(&fa, w.raw_a, ADDR_B4, SPI_A1_OUT, SPI_A2_OUT);
	blocked_start(&snd, w.a1, true);
	blocked_start(&rcv_a, w.a2, false);
	wait_esp_and_blocked();

	CHILD_CHECK(!kill(peer, SIGKILL), "%m");
	st = wait_exit(peer, 20000);
	CHILD_CHECK(st != -1 && WIFSIGNALED(st), "peer status %#x", st);
	CHILD_CHECK(link_gone_within(20000), "B's namespace was not deleted");
	check_returned(&snd, 10000, ECONNRESET, EPIPE);
	/* EPIPE: a reset in CLOSE_WAIT, after B2's FIN (tcp_reset()). */
	check_returned(&rcv_a, 10000, ECONNRESET, EPIPE);
	flood_stop(&fa);
	close(w.a1);
	close(w.a2);
	close(w.raw_a);
	gsa_close(&w.nla);
	_exit(0);
}

/*
 * The peer's namespace deleted under A's blocked threads, ESP in flight:
 * see netns_child().  Then A's namespace goes too, and the module unloads.
 */
TEST_F_TIMEOUT(teardown, peer_netns_deleted_with_threads_blocked_esp_in_flight,
	       180)
{
	int st;
	pid_t pid;

	if (!self->ready)
		SKIP(return, "IKETCP_MODULE unset or unreadable: cannot reload");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		netns_child();
	st = wait_exit(pid, 150000);
	ASSERT_NE(st, -1) TH_LOG("the test process hangs");
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("status %#x (reason above)", st);
	expect_unload_reload(_metadata, self->ko);
}

TEST_HARNESS_MAIN
