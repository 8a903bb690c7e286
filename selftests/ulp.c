// SPDX-License-Identifier: GPL-2.0
/*
 * The iketcp ULP seen from userspace: every rule of the socket API in
 * include/uapi/linux/iketcp.h, one test per rule.  The other end of each
 * connection is usually a plain TCP socket, so the tests see the raw bytes
 * the module writes and can write any bytes it must parse.
 *
 * Each test runs in a forked child that first moves to a network namespace
 * of its own (ikt_netns_new), so the namespace counters start at zero and
 * queue limits set by one test do not leak into the next.
 *
 * Fixtures:
 *   attach   attaching, roles and the stream prefix (IPv4, IPv6)
 *   ulp      send/recv semantics, both framings (family x which TCP side
 *            is the iketcp one x framing)
 *   rfc      RFC 9329 record rules (family x side)
 *   legacy   draft framing rules (family x side)
 *   garbage  seeded random streams against a reference parser
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <linux/sockios.h>

#include "kselftest_harness.h"
#include "lib/iketcp_test.h"

#define TIMEOUT_MS	(5000U * (unsigned int)ikt_timeout_scale())
#define BIG		(IKETCP_LEGACY_MAX_MSG + 64)

static const int CNT_RX_ALL[] = {
	IKETCP_CNT_RX_IKE_MSGS, IKETCP_CNT_RX_IKE_BYTES,
	IKETCP_CNT_RX_KEEPALIVES, IKETCP_CNT_RX_EMPTY_RECORDS,
	IKETCP_CNT_RX_DROP_IKE_LENGTH, IKETCP_CNT_RX_DROP_RUNT,
	IKETCP_CNT_RX_DROP_ESP_UNBOUND, IKETCP_CNT_RX_DROP_PARTIAL_EOF,
	IKETCP_CNT_RESET_BAD_PREFIX, IKETCP_CNT_RESET_BAD_LENGTH,
	IKETCP_CNT_RESET_LEGACY_LENGTH,
};

static const char *const cnt_names[__IKETCP_CNT_MAX] = {
	"rx_ike_msgs", "rx_ike_bytes", "rx_esp_pkts", "rx_esp_bytes",
	"rx_keepalives", "rx_empty_records", "rx_drop_ike_length",
	"rx_drop_runt", "rx_drop_esp_unbound", "rx_drop_partial_eof",
	"rx_truncated", "rx_backpressure", "tx_ike_msgs", "tx_ike_bytes",
	"tx_esp_pkts", "tx_esp_bytes", "tx_drop_esp_queue_full",
	"tx_drop_esp_no_socket", "tx_drop_close", "tx_backpressure",
	"reset_bad_prefix", "reset_bad_length", "reset_legacy_length",
	"tx_drop_esp_too_big", "reset_urgent",
};

static char stat_state(const char *path);

/* The scheduler state of thread tid of this process ('R', 'S', ...). */
static char task_state(pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	return stat_state(path);
}

/* The same for a process. */
static char proc_state(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	return stat_state(path);
}

static char stat_state(const char *path)
{
	char buf[512], *p;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');		/* the command may hold blanks */
	return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * A thread that set *entering just before its blocking call: true once it
 * sleeps in the kernel (state S) while still inside that call (*done unset).
 */
static bool wait_thread_blocked(const volatile pid_t *tid,
				const volatile int *done)
{
	uint64_t t0 = ikt_now_ms();

	while (ikt_now_ms() - t0 < TIMEOUT_MS) {
		if (*done)
			return false;
		if (*tid && task_state(*tid) == 'S' && !*done)
			return true;
		usleep(1000);
	}
	return false;
}

/* TCP state of fd (TCP_ESTABLISHED, TCP_CLOSE_WAIT, ...), -1 on error. */
static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -1;
	return ti.tcpi_state;
}

/* Wait up to TIMEOUT_MS for fd's TCP state to become state. */
static bool wait_tcp_state(int fd, int state)
{
	uint64_t t0 = ikt_now_ms();

	while (ikt_now_ms() - t0 < TIMEOUT_MS) {
		if (tcp_state(fd) == state)
			return true;
		usleep(1000);
	}
	return false;
}

/*
 * Wait up to TIMEOUT_MS for an error on fd (POLLERR), then check that it is
 * err (SO_ERROR).  Reading is not needed: unread data does not hide it.
 */
static bool wait_peer_error(int fd, int err)
{
	struct pollfd p = { .fd = fd, .events = 0 };
	socklen_t len = sizeof(int);
	int e = 0;

	if (poll(&p, 1, TIMEOUT_MS) != 1 || !(p.revents & POLLERR))
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len))
		return false;
	return e == err;
}

/* Wait up to TIMEOUT_MS until the peer acknowledged all fd sent. */
static bool wait_outq_empty(int fd)
{
	uint64_t t0 = ikt_now_ms();
	int outq;

	while (ikt_now_ms() - t0 < TIMEOUT_MS) {
		if (!ioctl(fd, SIOCOUTQ, &outq) && !outq)
			return true;
		usleep(1000);
	}
	return false;
}

/* Wait up to TIMEOUT_MS until fd's TCP receive queue holds want bytes. */
static bool wait_inq(int fd, int want)
{
	uint64_t t0 = ikt_now_ms();
	int inq;

	while (ikt_now_ms() - t0 < TIMEOUT_MS) {
		if (!ioctl(fd, SIOCINQ, &inq) && inq >= want)
			return inq == want;
		usleep(1000);
	}
	return false;
}

/*
 * The connection every data test runs on: ike is the iketcp socket, peer a
 * plain TCP socket.  ike_connects picks which of them called connect().
 * For RFC 9329 the role is set explicitly to the TCP role of the iketcp side
 * and the prefix exchanged here, so tests start on a clean record stream.
 */
static void conn_setup(struct __test_metadata *_metadata, int family,
		       bool ike_connects, int framing, int *ike, int *peer)
{
	int cli, srv;

	ASSERT_EQ(ikt_netns_new(), 0) TH_LOG("netns: %s", strerror(errno));
	ASSERT_EQ(ikt_tcp_pair(family, &cli, &srv), 0)
		TH_LOG("tcp pair: %s", strerror(errno));
	*ike = ike_connects ? cli : srv;
	*peer = ike_connects ? srv : cli;
	ASSERT_EQ(ikt_set_timeouts(*ike, TIMEOUT_MS, TIMEOUT_MS), 0);
	ASSERT_EQ(ikt_set_timeouts(*peer, TIMEOUT_MS, TIMEOUT_MS), 0);
	/* No Nagle on the peer: each write goes out at once. */
	ASSERT_EQ(ikt_nodelay(*peer), 0);
	ASSERT_EQ(ikt_attach(*ike, framing), 0)
		TH_LOG("attach: %s", strerror(errno));
	if (framing != IKETCP_FRAMING_RFC9329)
		return;
	if (ike_connects) {
		char pfx[IKT_PREFIX_LEN];

		ASSERT_EQ(ikt_set_role(*ike, IKETCP_ROLE_ORIGINATOR), 0);
		ASSERT_EQ(ikt_read_all(*peer, pfx, sizeof(pfx)), 0);
		ASSERT_EQ(memcmp(pfx, IKT_PREFIX, IKT_PREFIX_LEN), 0);
	} else {
		ASSERT_EQ(ikt_set_role(*ike, IKETCP_ROLE_ACCEPTOR), 0);
		ASSERT_EQ(ikt_write_all(*peer, IKT_PREFIX, IKT_PREFIX_LEN), 0);
	}
}

/* The peer writes one framed IKE message of len bytes with this id. */
static void peer_send(struct __test_metadata *_metadata, int peer, int framing,
		      uint32_t id, size_t len)
{
	static uint8_t msg[BIG], rec[BIG];
	size_t n;

	ikt_msg(msg, len, id);
	n = ikt_frame(framing, msg, len, rec);
	ASSERT_EQ(ikt_write_all(peer, rec, n), 0);
}

/* The iketcp socket sends one IKE message. */
static void ike_send(struct __test_metadata *_metadata, int ike, uint32_t id,
		     size_t len)
{
	static uint8_t msg[BIG];

	ikt_msg(msg, len, id);
	ASSERT_EQ(send(ike, msg, len, 0), (ssize_t)len)
		TH_LOG("send %zu: %s", len, strerror(errno));
}

/* The iketcp socket receives exactly the message (id, len). */
static void ike_expect(struct __test_metadata *_metadata, int ike,
		       uint32_t id, size_t len)
{
	static uint8_t buf[BIG];
	uint32_t got;
	ssize_t n;

	n = recv(ike, buf, sizeof(buf), 0);
	ASSERT_EQ(n, (ssize_t)len) TH_LOG("recv: %s", strerror(errno));
	ASSERT_TRUE(ikt_msg_ok(buf, n, &got));
	ASSERT_EQ(got, id);
}

/* The plain peer reads exactly the framed message (id, len). */
static void peer_expect(struct __test_metadata *_metadata, int peer,
			int framing, uint32_t id, size_t len)
{
	static uint8_t buf[BIG];
	uint32_t got;
	ssize_t n;

	n = ikt_read_framed(peer, framing, buf, sizeof(buf));
	ASSERT_EQ(n, (ssize_t)len) TH_LOG("read: %s", strerror(errno));
	ASSERT_TRUE(ikt_msg_ok(buf, n, &got));
	ASSERT_EQ(got, id);
}

/* Nothing more arrives on fd within ms. */
static void expect_quiet(struct __test_metadata *_metadata, int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint8_t b[64];

	ASSERT_EQ(poll(&p, 1, ms), 0)
		TH_LOG("unexpected %zd bytes", ikt_pending(fd, b, sizeof(b)));
}

/* The iketcp socket was reset by the module: EPROTO once, then 0. */
static void expect_ike_reset(struct __test_metadata *_metadata, int ike,
			     int peer)
{
	uint8_t b[64];

	EXPECT_EQ(recv(ike, b, sizeof(b), 0), -1);
	EXPECT_EQ(errno, EPROTO);
	EXPECT_EQ(recv(ike, b, sizeof(b), 0), 0);
	/* The peer sees the reset. */
	EXPECT_EQ(recv(peer, b, sizeof(b), 0), -1);
	EXPECT_EQ(errno, ECONNRESET);
}

static long long counter(struct __test_metadata *_metadata,
			enum iketcp_counter c)
{
	uint64_t v = ikt_counter(c);

	EXPECT_NE(v, UINT64_MAX) TH_LOG("GET_NETNS: %s", strerror(errno));
	return (long long)v;
}

/*
 * Fill the iketcp send queue while the peer does not read: send 8000-byte
 * messages (ids from *next) with MSG_DONTWAIT until EAGAIN persists across
 * pauses, so TCP's own buffers are full too.  The last EAGAIN is the last
 * thing done: TCP still frees some room now and then (window probes, the
 * peer collapsing its receive queue), so the caller acts on a queue that
 * was full a moment ago, and copes with room that appears later
 * (send_on_full_queue(), start_blocked_send()).  Returns the count.
 */
static int fill_send_queue(struct __test_metadata *_metadata, int ike,
			   int peer, int *next)
{
	static uint8_t msg[8000];
	int ok = 0, quiet = 0, sz = 65536;

	/* Fixed TCP buffers: autotuning must not make room later. */
	ASSERT_EQ(setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)), 0);
	ASSERT_EQ(setsockopt(ike, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)), 0);

	while (quiet < 5) {
		ikt_msg(msg, sizeof(msg), *next);
		if (send(ike, msg, sizeof(msg), MSG_DONTWAIT) ==
		    (ssize_t)sizeof(msg)) {
			(*next)++;
			ok++;
			quiet = 0;
			EXPECT_LT(ok, 20000) TH_LOG("the send queue never filled");
			if (ok >= 20000)
				break;
			continue;
		}
		EXPECT_EQ(errno, EAGAIN);
		if (errno != EAGAIN || ++quiet == 5)
			break;
		/* TCP may still be sending: quiet for 200 ms (or longer) */
		ikt_msleep(50 * ikt_timeout_scale());
	}
	return ok;
}

/*
 * A non-blocking send of message *next on the queue fill_send_queue()
 * filled: sends TCP made room for meanwhile count in *next; the first
 * refused one's result is returned (errno set).
 */
static ssize_t send_on_full_queue(int ike, int *next)
{
	static uint8_t msg[8000];
	ssize_t n = -1;
	int tries;

	for (tries = 0; tries < 100; tries++) {
		ikt_msg(msg, sizeof(msg), *next);
		n = send(ike, msg, sizeof(msg), MSG_DONTWAIT);
		if (n != (ssize_t)sizeof(msg))
			break;
		(*next)++;
	}
	return n;
}

/* ========================================================================
 * attach: attaching, roles, the stream prefix
 */

FIXTURE(attach)
{
	int cli, srv;
};

FIXTURE_VARIANT(attach)
{
	int family;
};

FIXTURE_VARIANT_ADD(attach, ipv4)
{
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(attach, ipv6)
{
	.family = AF_INET6,
};

FIXTURE_SETUP(attach)
{
	ASSERT_EQ(ikt_netns_new(), 0) TH_LOG("netns: %s", strerror(errno));
	ASSERT_EQ(ikt_tcp_pair(variant->family, &self->cli, &self->srv), 0);
	ASSERT_EQ(ikt_set_timeouts(self->cli, TIMEOUT_MS, TIMEOUT_MS), 0);
	ASSERT_EQ(ikt_set_timeouts(self->srv, TIMEOUT_MS, TIMEOUT_MS), 0);
}

FIXTURE_TEARDOWN(attach)
{
	close(self->cli);
	close(self->srv);
}

TEST_F(attach, connected_socket_attaches_both_framings)
{
	int f;

	ASSERT_EQ(ikt_attach(self->cli, IKETCP_FRAMING_RFC9329), 0);
	ASSERT_EQ(ikt_attach(self->srv, IKETCP_FRAMING_LEGACY), 0);
	ASSERT_EQ(ikt_get_int(self->cli, IKETCP_FRAMING, &f), 0);
	EXPECT_EQ(f, IKETCP_FRAMING_RFC9329);
	ASSERT_EQ(ikt_get_int(self->srv, IKETCP_FRAMING, &f), 0);
	EXPECT_EQ(f, IKETCP_FRAMING_LEGACY);
	ASSERT_EQ(ikt_get_int(self->cli, IKETCP_ROLE, &f), 0);
	EXPECT_EQ(f, IKETCP_ROLE_UNKNOWN);
}

TEST_F(attach, unconnected_socket_refused_enotconn)
{
	int fd = socket(variant->family, SOCK_STREAM, 0);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(ikt_attach(fd, IKETCP_FRAMING_RFC9329), -1);
	EXPECT_EQ(errno, ENOTCONN);
	EXPECT_EQ(ikt_attach(fd, IKETCP_FRAMING_LEGACY), -1);
	EXPECT_EQ(errno, ENOTCONN);
	close(fd);
}

TEST_F(attach, listening_socket_refused_enotconn)
{
	uint16_t port;
	int fd = ikt_listen(variant->family, &port);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(ikt_attach(fd, IKETCP_FRAMING_RFC9329), -1);
	EXPECT_EQ(errno, ENOTCONN);
	close(fd);
}

TEST_F(attach, second_ulp_refused_eexist)
{
	ASSERT_EQ(ikt_attach(self->cli, IKETCP_FRAMING_RFC9329), 0);
	EXPECT_EQ(ikt_attach(self->cli, IKETCP_FRAMING_RFC9329), -1);
	EXPECT_EQ(errno, EEXIST);
	EXPECT_EQ(ikt_attach(self->cli, IKETCP_FRAMING_LEGACY), -1);
	EXPECT_EQ(errno, EEXIST);
}

TEST_F(attach, closed_by_peer_socket_refused_enotconn)
{
	uint8_t b;

	close(self->srv);
	self->srv = -1;
	/* The FIN makes the socket CLOSE_WAIT: not established any more. */
	ASSERT_EQ(recv(self->cli, &b, 1, 0), 0);
	EXPECT_EQ(ikt_attach(self->cli, IKETCP_FRAMING_RFC9329), -1);
	EXPECT_EQ(errno, ENOTCONN);
}

TEST_F(attach, originator_sends_prefix_exactly_once)
{
	uint8_t buf[IKT_PREFIX_LEN];
	int role, i;

	ASSERT_EQ(ikt_attach(self->cli, IKETCP_FRAMING_RFC9329), 0);
	/* Nothing goes out before the first send. */
	expect_quiet(_metadata, self->srv, 100);
	for (i = 0; i < 3; i++)
		ike_send(_metadata, self->cli, i, 40 + i);
	ASSERT_EQ(ikt_get_int(self->cli, IKETCP_ROLE, &role), 0);
	EXPECT_EQ(role, IKETCP_ROLE_ORIGINATOR);
	ASSERT_EQ(ikt_read_all(self->srv, buf, sizeof(buf)), 0);
	ASSERT_EQ(memcmp(buf, IKT_PREFIX, IKT_PREFIX_LEN), 0);
	for (i = 0; i < 3; i++)
		peer_expect(_metadata, self->srv, IKETCP_FRAMING_RFC9329, i,
			    40 + i);
	expect_quiet(_metadata, self->srv, 100);
}

TEST_F(attach, originator_role_set_sends_prefix_at_once)
{
	uint8_t buf[IKT_PREFIX_LEN];
	int role;

	ASSERT_EQ(ikt_attach(self->cli, IKETCP_FRAMING_RFC9329), 0);
	ASSERT_EQ(ikt_set_role(self->cli, IKETCP_ROLE_ORIGINATOR), 0);
	ASSERT_EQ(ikt_get_int(self->cli, IKETCP_ROLE, &role), 0);
	EXPECT_EQ(role, IKETCP_ROLE_ORIGINATOR);
	ASSERT_EQ(ikt_read_all(self->srv, buf, sizeof(buf)), 0);
	ASSERT_EQ(memcmp(buf, IKT_PREFIX, IKT_PREFIX_LEN), 0);
	ike_send(_metadata, self->cli, 7, 100);
	peer_expect(_metadata, self->srv, IKETCP_FRAMING_RFC9329, 7, 100);
	expect_quiet(_metadata, self->srv, 100);
}

TEST_F(attach, acceptor_consumes_and_checks_prefix)
{
	int role;

	ASSERT_EQ(ikt_attach(self->srv, IKETCP_FRAMING_RFC9329), 0);
	ASSERT_EQ(ikt_write_all(self->cli, IKT_PREFIX, IKT_PREFIX_LEN), 0);
	peer_send(_metadata, self->cli, IKETCP_FRAMING_RFC9329, 1, 60);
	ike_expect(_metadata, self->srv, 1, 60);
	ASSERT_EQ(ikt_get_int(self->srv, IKETCP_ROLE, &role), 0);
	EXPECT_EQ(role, IKETCP_ROLE_ACCEPTOR);
	/* The acceptor's reply carries no prefix. */
	ike_send(_metadata, self->srv, 2, 70);
	peer_expect(_metadata, self->cli, IKETCP_FRAMING_RFC9329, 2, 70);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RESET_BAD_PREFIX), 0);
}

TEST_F(attach, acceptor_prefix_before_attach_is_parsed)
{
	ASSERT_EQ(ikt_write_all(self->cli, IKT_PREFIX, IKT_PREFIX_LEN), 0);
	peer_send(_metadata, self->cli, IKETCP_FRAMING_RFC9329, 3, 33);
	/* All of it is in TCP's queue before the attach. */
	ASSERT_TRUE(wait_inq(self->srv, IKT_PREFIX_LEN + IKT_RFC_HDR + 33));
	ASSERT_EQ(ikt_attach(self->srv, IKETCP_FRAMING_RFC9329), 0);
	ike_expect(_metadata, self->srv, 3, 33);
}

TEST_F(attach, acceptor_prefix_dribbled_is_accepted)
{
	int i;

	ASSERT_EQ(ikt_nodelay(self->cli), 0);
	ASSERT_EQ(ikt_attach(self->srv, IKETCP_FRAMING_RFC9329), 0);
	for (i = 0; i < IKT_PREFIX_LEN; i++) {
		ASSERT_EQ(ikt_write_all(self->cli, IKT_PREFIX + i, 1), 0);
		ikt_msleep(5);
	}
	peer_send(_metadata, self->cli, IKETCP_FRAMING_RFC9329, 4, 28);
	ike_expect(_metadata, self->srv, 4, 28);
}

TEST_F(attach, wrong_prefix_resets_and_counts_reset_bad_prefix)
{
	ASSERT_EQ(ikt_attach(self->srv, IKETCP_FRAMING_RFC9329), 0);
	uint8_t rec[IKT_PREFIX_LEN + 66];

	/* Prefix and a record in one write: the reset may come at once. */
	memcpy(rec, "IKETCX", IKT_PREFIX_LEN);
	ikt_msg(rec + IKT_PREFIX_LEN, 60, 1);
	ikt_frame(IKETCP_FRAMING_RFC9329, rec + IKT_PREFIX_LEN, 60,
		  rec + IKT_PREFIX_LEN);
	ASSERT_EQ(ikt_write_all(self->cli, rec, sizeof(rec)), 0);
	expect_ike_reset(_metadata, self->srv, self->cli);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RESET_BAD_PREFIX), 1);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_IKE_MSGS), 0);
}

TEST_F(attach, acceptor_role_set_sends_no_prefix)
{
	int role;

	ASSERT_EQ(ikt_attach(self->srv, IKETCP_FRAMING_RFC9329), 0);
	ASSERT_EQ(ikt_set_role(self->srv, IKETCP_ROLE_ACCEPTOR), 0);
	ASSERT_EQ(ikt_get_int(self->srv, IKETCP_ROLE, &role), 0);
	EXPECT_EQ(role, IKETCP_ROLE_ACCEPTOR);
	/* It sends first, yet stays the acceptor: no prefix. */
	ike_send(_metadata, self->srv, 5, 50);
	peer_expect(_metadata, self->cli, IKETCP_FRAMING_RFC9329, 5, 50);
	ASSERT_EQ(ikt_get_int(self->srv, IKETCP_ROLE, &role), 0);
	EXPECT_EQ(role, IKETCP_ROLE_ACCEPTOR);
	/* And it still wants the prefix from the peer. */
	ASSERT_EQ(ikt_write_all(self->cli, IKT_PREFIX, IKT_PREFIX_LEN), 0);
	peer_send(_metadata, self->cli, IKETCP_FRAMING_RFC9329, 6, 51);
	ike_expect(_metadata, self->srv, 6, 51);
}

TEST_F(attach, role_set_twice_ebusy)
{
	int role;

	ASSERT_EQ(ikt_attach(self->cli, IKETCP_FRAMING_RFC9329), 0);
	ASSERT_EQ(ikt_set_role(self->cli, IKETCP_ROLE_ACCEPTOR), 0);
	EXPECT_EQ(ikt_set_role(self->cli, IKETCP_ROLE_ACCEPTOR), -1);
	EXPECT_EQ(errno, EBUSY);
	EXPECT_EQ(ikt_set_role(self->cli, IKETCP_ROLE_ORIGINATOR), -1);
	EXPECT_EQ(errno, EBUSY);
	ASSERT_EQ(ikt_get_int(self->cli, IKETCP_ROLE, &role), 0);
	EXPECT_EQ(role, IKETCP_ROLE_ACCEPTOR);
}

TEST_F(attach, role_set_after_inferred_ebusy)
{
	ASSERT_EQ(ikt_attach(self->cli, IKETCP_FRAMING_RFC9329), 0);
	ike_send(_metadata, self->cli, 1, 28);
	EXPECT_EQ(ikt_set_role(self->cli, IKETCP_ROLE_ACCEPTOR), -1);
	EXPECT_EQ(errno, EBUSY);
}

TEST_F(attach, role_invalid_value_einval)
{
	int role = 3;

	ASSERT_EQ(ikt_attach(self->cli, IKETCP_FRAMING_RFC9329), 0);
	EXPECT_EQ(ikt_set_role(self->cli, IKETCP_ROLE_UNKNOWN), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(ikt_set_role(self->cli, 3), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(setsockopt(self->cli, SOL_IKETCP, IKETCP_ROLE, &role, 2), -1);
	EXPECT_EQ(errno, EINVAL);
	ASSERT_EQ(ikt_get_int(self->cli, IKETCP_ROLE, &role), 0);
	EXPECT_EQ(role, IKETCP_ROLE_UNKNOWN);
}

TEST_F(attach, framing_is_get_only)
{
	int v = IKETCP_FRAMING_LEGACY;

	ASSERT_EQ(ikt_attach(self->cli, IKETCP_FRAMING_RFC9329), 0);
	EXPECT_EQ(setsockopt(self->cli, SOL_IKETCP, IKETCP_FRAMING, &v,
			     sizeof(v)), -1);
	ASSERT_EQ(ikt_get_int(self->cli, IKETCP_FRAMING, &v), 0);
	EXPECT_EQ(v, IKETCP_FRAMING_RFC9329);
}

TEST_F(attach, legacy_has_no_roles)
{
	int role;

	ASSERT_EQ(ikt_attach(self->cli, IKETCP_FRAMING_LEGACY), 0);
	EXPECT_EQ(ikt_set_role(self->cli, IKETCP_ROLE_ORIGINATOR), -1);
	ASSERT_EQ(ikt_get_int(self->cli, IKETCP_ROLE, &role), 0);
	EXPECT_EQ(role, IKETCP_ROLE_UNKNOWN);
}

TEST_F(attach, legacy_first_sender_sends_no_prefix)
{
	uint8_t buf[64];

	ASSERT_EQ(ikt_attach(self->cli, IKETCP_FRAMING_LEGACY), 0);
	ike_send(_metadata, self->cli, 9, 40);
	/* The first bytes on the wire are the IKE message itself. */
	ASSERT_EQ(ikt_read_all(self->srv, buf, 40), 0);
	EXPECT_NE(memcmp(buf, IKT_PREFIX, IKT_PREFIX_LEN), 0)
		TH_LOG("legacy socket sent the RFC 9329 prefix");
	EXPECT_TRUE(ikt_msg_ok(buf, 40, NULL));
}

/*
 * The module owns the receive low-water mark: one set before the attach
 * would keep TCP from telling it of small messages.
 */
TEST_F(attach, so_rcvlowat_reset_at_attach_then_refused)
{
	static uint8_t msg[300], rec[400];
	struct pollfd p = { .fd = self->srv, .events = POLLIN };
	int v = 1000;
	socklen_t vl = sizeof(v);
	size_t n;

	ASSERT_EQ(setsockopt(self->srv, SOL_SOCKET, SO_RCVLOWAT, &v,
			     sizeof(v)), 0);
	ASSERT_EQ(ikt_attach(self->srv, IKETCP_FRAMING_RFC9329), 0);
	ASSERT_EQ(getsockopt(self->srv, SOL_SOCKET, SO_RCVLOWAT, &v, &vl), 0);
	EXPECT_EQ(v, 1);
	v = 1000;
	EXPECT_EQ(setsockopt(self->srv, SOL_SOCKET, SO_RCVLOWAT, &v,
			     sizeof(v)), -1);
	EXPECT_EQ(errno, EOPNOTSUPP);

	ikt_msg(msg, sizeof(msg), 9);
	n = ikt_frame(IKETCP_FRAMING_RFC9329, msg, sizeof(msg), rec);
	ASSERT_EQ(ikt_write_all(self->cli, IKT_PREFIX, IKT_PREFIX_LEN), 0);
	ASSERT_EQ(ikt_write_all(self->cli, rec, n), 0);
	/* poll() only reports what the module parsed from data_ready. */
	ASSERT_EQ(poll(&p, 1, TIMEOUT_MS), 1);
	EXPECT_EQ(recv(self->srv, msg, sizeof(msg), 0), (ssize_t)sizeof(msg));
}

TEST_F(attach, sol_iketcp_refused_without_ulp)
{
	int v;

	EXPECT_EQ(ikt_get_int(self->cli, IKETCP_ROLE, &v), -1);
	EXPECT_EQ(ikt_set_role(self->cli, IKETCP_ROLE_ORIGINATOR), -1);
}

/* ========================================================================
 * ulp: send and receive semantics, both framings
 */

FIXTURE(ulp)
{
	int ike, peer;
};

FIXTURE_VARIANT(ulp)
{
	int family;
	bool ike_connects;	/* the iketcp side is the TCP originator */
	int framing;
};

FIXTURE_VARIANT_ADD(ulp, ipv4_originator_rfc9329)
{
	.family = AF_INET, .ike_connects = true,
	.framing = IKETCP_FRAMING_RFC9329,
};

FIXTURE_VARIANT_ADD(ulp, ipv4_acceptor_rfc9329)
{
	.family = AF_INET, .ike_connects = false,
	.framing = IKETCP_FRAMING_RFC9329,
};

FIXTURE_VARIANT_ADD(ulp, ipv6_originator_rfc9329)
{
	.family = AF_INET6, .ike_connects = true,
	.framing = IKETCP_FRAMING_RFC9329,
};

FIXTURE_VARIANT_ADD(ulp, ipv6_acceptor_rfc9329)
{
	.family = AF_INET6, .ike_connects = false,
	.framing = IKETCP_FRAMING_RFC9329,
};

FIXTURE_VARIANT_ADD(ulp, ipv4_originator_legacy)
{
	.family = AF_INET, .ike_connects = true,
	.framing = IKETCP_FRAMING_LEGACY,
};

FIXTURE_VARIANT_ADD(ulp, ipv4_acceptor_legacy)
{
	.family = AF_INET, .ike_connects = false,
	.framing = IKETCP_FRAMING_LEGACY,
};

FIXTURE_VARIANT_ADD(ulp, ipv6_originator_legacy)
{
	.family = AF_INET6, .ike_connects = true,
	.framing = IKETCP_FRAMING_LEGACY,
};

FIXTURE_VARIANT_ADD(ulp, ipv6_acceptor_legacy)
{
	.family = AF_INET6, .ike_connects = false,
	.framing = IKETCP_FRAMING_LEGACY,
};

FIXTURE_SETUP(ulp)
{
	conn_setup(_metadata, variant->family, variant->ike_connects,
		   variant->framing, &self->ike, &self->peer);
}

FIXTURE_TEARDOWN(ulp)
{
	close(self->ike);
	close(self->peer);
}

static size_t max_msg(int framing)
{
	return framing == IKETCP_FRAMING_LEGACY ? IKETCP_LEGACY_MAX_MSG :
						  IKETCP_MAX_IKE_MSG;
}

TEST_F(ulp, send_one_call_is_one_record)
{
	static uint8_t msg[300], raw[400];

	ikt_msg(msg, sizeof(msg), 42);
	ASSERT_EQ(send(self->ike, msg, sizeof(msg), 0), (ssize_t)sizeof(msg));
	if (variant->framing == IKETCP_FRAMING_RFC9329) {
		ASSERT_EQ(ikt_read_all(self->peer, raw, 306), 0);
		EXPECT_EQ(raw[0], 306 >> 8);
		EXPECT_EQ(raw[1], 306 & 0xff);
		EXPECT_EQ(raw[2] | raw[3] | raw[4] | raw[5], 0);
		EXPECT_EQ(memcmp(raw + 6, msg, sizeof(msg)), 0);
	} else {
		ASSERT_EQ(ikt_read_all(self->peer, raw, 300), 0);
		EXPECT_EQ(memcmp(raw, msg, sizeof(msg)), 0);
	}
	expect_quiet(_metadata, self->peer, 100);
}

TEST_F(ulp, send_sendmsg_iovecs_make_one_record)
{
	static uint8_t msg[1000];
	struct iovec iov[3] = {
		{ msg, 10 }, { msg + 10, 500 }, { msg + 510, 490 },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 3 };

	ikt_msg(msg, sizeof(msg), 77);
	ASSERT_EQ(sendmsg(self->ike, &mh, 0), (ssize_t)sizeof(msg));
	peer_expect(_metadata, self->peer, variant->framing, 77, sizeof(msg));
	expect_quiet(_metadata, self->peer, 100);
}

TEST_F(ulp, send_largest_message_ok)
{
	size_t max = max_msg(variant->framing);

	ike_send(_metadata, self->ike, 1, max);
	peer_expect(_metadata, self->peer, variant->framing, 1, max);
	ike_send(_metadata, self->ike, 2, 28);
	peer_expect(_metadata, self->peer, variant->framing, 2, 28);
}

TEST_F(ulp, send_too_large_emsgsize)
{
	static uint8_t msg[BIG];
	size_t len = max_msg(variant->framing) + 1;

	ikt_msg(msg, len, 1);
	EXPECT_EQ(send(self->ike, msg, len, 0), -1);
	EXPECT_EQ(errno, EMSGSIZE);
	ikt_msg(msg, 70000, 1);
	EXPECT_EQ(send(self->ike, msg, 70000, 0), -1);
	EXPECT_EQ(errno, EMSGSIZE);
	expect_quiet(_metadata, self->peer, 100);
}

TEST_F(ulp, send_zero_bytes_einval)
{
	uint8_t b = 0;

	EXPECT_EQ(send(self->ike, &b, 0, 0), -1);
	EXPECT_EQ(errno, EINVAL);
	expect_quiet(_metadata, self->peer, 100);
}

TEST_F(ulp, send_ike_length_mismatch_einval)
{
	uint8_t msg[200];

	ikt_msg(msg, 200, 1);
	EXPECT_EQ(send(self->ike, msg, 199, 0), -1);	/* header says 200 */
	EXPECT_EQ(errno, EINVAL);
	ikt_msg(msg, 100, 1);
	EXPECT_EQ(send(self->ike, msg, 200, 0), -1);	/* header says 100 */
	EXPECT_EQ(errno, EINVAL);
	ikt_msg(msg, 28, 1);
	EXPECT_EQ(send(self->ike, msg, 27, 0), -1);	/* shorter than a header */
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(send(self->ike, msg, 1, 0), -1);
	EXPECT_EQ(errno, EINVAL);
	/* Nothing went out, and the socket still works. */
	ike_send(_metadata, self->ike, 2, 60);
	peer_expect(_metadata, self->peer, variant->framing, 2, 60);
	expect_quiet(_metadata, self->peer, 100);
}

/*
 * send() a len-byte IKE message of which only the first readable bytes are
 * mapped (an unmapped page follows): EFAULT, nothing reaches the peer, and
 * a next_len-byte message then goes through.
 */
static void send_unreadable_tail(struct __test_metadata *_metadata, int ike,
				 int peer, int framing, size_t len,
				 size_t readable, size_t next_len)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t mapped = (readable + pg - 1) / pg * pg;
	uint8_t *map, *msg;

	map = mmap(NULL, mapped + pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(map, MAP_FAILED);
	ASSERT_EQ(munmap(map + mapped, pg), 0);
	msg = map + mapped - readable;
	ikt_msg(msg, readable, 7);
	msg[24] = len >> 24;
	msg[25] = len >> 16;
	msg[26] = len >> 8;
	msg[27] = len & 0xff;
	EXPECT_EQ(send(ike, msg, len, 0), -1);
	EXPECT_EQ(errno, EFAULT);
	munmap(map, mapped);
	expect_quiet(_metadata, peer, 200);
	/* The connection goes on. */
	ike_send(_metadata, ike, 8, next_len);
	peer_expect(_metadata, peer, framing, 8, next_len);
}

TEST_F(ulp, send_partly_unreadable_buffer_efault_nothing_sent)
{
	send_unreadable_tail(_metadata, self->ike, self->peer,
			     variant->framing, 3000, 1000, 500);
}

/*
 * Large messages (20 KiB on) can go out as TCP's own copy of the caller's
 * buffer, header first: the same rules hold there.
 */
TEST_F(ulp, send_large_partly_unreadable_buffer_efault_nothing_sent)
{
	send_unreadable_tail(_metadata, self->ike, self->peer,
			     variant->framing, 40000, 39000, 50000);
}

TEST_F(ulp, send_large_bad_ike_length_einval_nothing_sent)
{
	static uint8_t msg[30000];

	ikt_msg(msg, sizeof(msg), 3);
	msg[27] ^= 1;		/* the header now says 29999 or 30001 */
	EXPECT_EQ(send(self->ike, msg, sizeof(msg), 0), -1);
	EXPECT_EQ(errno, EINVAL);
	expect_quiet(_metadata, self->peer, 200);
	ike_send(_metadata, self->ike, 4, 30000);
	peer_expect(_metadata, self->peer, variant->framing, 4, 30000);
}

/*
 * A large message in several vectors, the IKE length field split between
 * the first two: the sender reads it across them (not as one user buffer),
 * rejects a wrong one with nothing sent, and sends a right one whole.
 */
TEST_F(ulp, send_large_sendmsg_iovecs_split_ike_length)
{
	static uint8_t msg[30000];
	struct iovec iov[3] = {
		{ msg, 26 }, { msg + 26, 10000 }, { msg + 10026, 19974 },
	};
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 3 };

	ikt_msg(msg, sizeof(msg), 5);
	msg[27] ^= 1;
	EXPECT_EQ(sendmsg(self->ike, &mh, 0), -1);
	EXPECT_EQ(errno, EINVAL);
	expect_quiet(_metadata, self->peer, 200);
	msg[27] ^= 1;
	ASSERT_EQ(sendmsg(self->ike, &mh, 0), (ssize_t)sizeof(msg));
	peer_expect(_metadata, self->peer, variant->framing, 5, sizeof(msg));
	expect_quiet(_metadata, self->peer, 100);
}

static uint32_t tx_queued(struct __test_metadata *_metadata, int ike)
{
	struct gsa_sock info;
	bool found = false;

	EXPECT_GE(ikt_get_socket(ikt_fd_inode(ike), &info, &found), 1);
	EXPECT_TRUE(found);
	return found ? info.tx_queued : 0;
}

/*
 * TCP takes only part of a large message (small buffers, the peer not
 * reading): the rest is queued, the send succeeds at once, and the peer
 * gets every message whole, in order.  Rounds until one send was taken
 * partly (TCP's send queue grew, and so did iketcp's).
 */
TEST_F(ulp, send_large_partly_taken_rest_queued)
{
	static uint8_t msg[60000];
	int sz = 16384, id = 1, round, partial = 0, outq0, outq1, i, first;

	ASSERT_EQ(setsockopt(self->ike, SOL_SOCKET, SO_SNDBUF, &sz,
			     sizeof(sz)), 0);
	for (round = 0; round < 10 && !partial; round++) {
		first = id;
		do {
			usleep(20000);	/* in-flight bytes get acknowledged */
			ASSERT_EQ(ioctl(self->ike, SIOCOUTQ, &outq0), 0);
			ikt_msg(msg, sizeof(msg), id);
			ASSERT_EQ(send(self->ike, msg, sizeof(msg),
				       MSG_DONTWAIT), (ssize_t)sizeof(msg))
				TH_LOG("send %d: %s", id, strerror(errno));
			id++;
			ASSERT_EQ(ioctl(self->ike, SIOCOUTQ, &outq1), 0);
		} while (!tx_queued(_metadata, self->ike) && id - first < 50);
		ASSERT_LT(id - first, 50) TH_LOG("TCP's buffer never filled");
		if (outq1 > outq0)
			partial++;
		for (i = first; i < id; i++)
			peer_expect(_metadata, self->peer, variant->framing,
				    i, sizeof(msg));
		EXPECT_EQ(tx_queued(_metadata, self->ike), (uint32_t)0);
	}
	EXPECT_GT(partial, 0) TH_LOG("no send was taken partly by TCP");
	expect_quiet(_metadata, self->peer, 100);
}

TEST_F(ulp, send_oob_eopnotsupp)
{
	uint8_t msg[40];

	ikt_msg(msg, 40, 1);
	EXPECT_EQ(send(self->ike, msg, 40, MSG_OOB), -1);
	EXPECT_EQ(errno, EOPNOTSUPP);
}

/*
 * sendfile() and splice() would write raw pages into the stream, around
 * the framing: EOPNOTSUPP, nothing sent, the socket still works.
 */
TEST_F(ulp, sendfile_and_splice_eopnotsupp_nothing_sent)
{
	static uint8_t msg[3000];
	char path[] = "/tmp/iketcp-sendfile-XXXXXX";
	int fd, pfd[2];
	off_t off = 0;

	ikt_msg(msg, sizeof(msg), 1);
	fd = mkstemp(path);
	ASSERT_GE(fd, 0) TH_LOG("mkstemp: %s", strerror(errno));
	unlink(path);
	ASSERT_EQ(write(fd, msg, sizeof(msg)), (ssize_t)sizeof(msg));
	EXPECT_EQ(sendfile(self->ike, fd, &off, sizeof(msg)), -1);
	EXPECT_EQ(errno, EOPNOTSUPP);
	EXPECT_EQ(off, 0);
	close(fd);

	ASSERT_EQ(pipe(pfd), 0);
	ASSERT_EQ(write(pfd[1], msg, sizeof(msg)), (ssize_t)sizeof(msg));
	/* Non-blocking: a wrong success must not leave the test waiting. */
	EXPECT_EQ(splice(pfd[0], NULL, self->ike, NULL, sizeof(msg),
			 SPLICE_F_NONBLOCK), -1);
	EXPECT_EQ(errno, EOPNOTSUPP);
	close(pfd[0]);
	close(pfd[1]);

	expect_quiet(_metadata, self->peer, 200);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_TX_IKE_MSGS), 0);
	ike_send(_metadata, self->ike, 2, 100);
	peer_expect(_metadata, self->peer, variant->framing, 2, 100);
}

/*
 * What the socket's send queue holds against tx_queue_limit (GET_SOCKETS):
 * its memory, or its bytes from a module that reports no memory.
 */
static uint32_t sock_tx_queued(struct __test_metadata *_metadata, uint64_t ino)
{
	struct gsa_sock si;
	bool found = false;

	EXPECT_GE(ikt_get_socket(ino, &si, &found), 1);
	EXPECT_TRUE(found);
	if (!found)
		return 0;
	return si.tx_mem ? si.tx_mem : si.tx_queued;
}

/*
 * epoll: EPOLLIN only with a whole message queued; EPOLLOUT only while a
 * message of the largest size would be taken without blocking, not merely
 * some smaller one; both wake an epoll_wait().
 */
/*
 * Send 8000-byte messages (ids 100 + *id on) until the send queue holds
 * more than over bytes, the same for three reads in a row (TCP takes
 * nothing more for now).  Returns what it holds.
 */
static uint32_t fill_past(struct __test_metadata *_metadata, int ike,
			  uint64_t ino, uint32_t over, int *id)
{
	static uint8_t msg[8000];
	uint32_t q0 = 0, q1;
	int i, stable;

	for (i = 0, stable = 0; i < 2000 && stable < 3; i++) {
		q1 = sock_tx_queued(_metadata, ino);
		if (q1 > over) {
			stable = q1 == q0 ? stable + 1 : 1;
			q0 = q1;
			if (stable < 3)
				ikt_msleep(20 * ikt_timeout_scale());
			continue;
		}
		stable = 0;
		q0 = q1;
		ikt_msg(msg, sizeof(msg), 100 + *id);
		ASSERT_EQ(send(ike, msg, sizeof(msg), MSG_DONTWAIT),
			  (ssize_t)sizeof(msg))
			TH_LOG("send %d: %s", *id, strerror(errno));
		(*id)++;
	}
	EXPECT_EQ(stable, 3) TH_LOG("tx_queued never settled");
	return q0;
}

/*
 * No EPOLLOUT now: true.  EPOLLOUT: TCP made room meanwhile, and the queue
 * must then be down to limit - largest; false.
 */
static bool writable_only_below(struct __test_metadata *_metadata, int ep,
				uint64_t ino, uint32_t limit)
{
	struct epoll_event got;
	uint32_t q1;

	if (epoll_wait(ep, &got, 1, 0) == 0)
		return true;
	q1 = sock_tx_queued(_metadata, ino);
	EXPECT_LE(q1, limit - IKETCP_MAX_RECORD)
		TH_LOG("EPOLLOUT with %u of %u bytes queued", q1, limit);
	return false;
}

TEST_F(ulp, epoll_in_whole_message_out_when_largest_fits)
{
	const uint32_t limit = IKETCP_QUEUE_LIMIT_MIN;
	static uint8_t msg[IKETCP_LEGACY_MAX_MSG], rec[4000];
	size_t max = max_msg(variant->framing), n;
	uint64_t ino = ikt_fd_inode(self->ike);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT }, got;
	uint32_t q0 = 0, hdr;
	int ep, sz = 65536, id = 0, i, tries, st;
	pid_t pid;

	hdr = variant->framing == IKETCP_FRAMING_RFC9329 ? IKT_RFC_HDR : 0;
	ep = epoll_create1(0);
	ASSERT_GE(ep, 0);
	ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, self->ike, &ev), 0);
	/* Idle: writable, not readable. */
	ASSERT_EQ(epoll_wait(ep, &got, 1, 0), 1);
	EXPECT_EQ(got.events, (uint32_t)EPOLLOUT);

	/* Half a message: not readable; all of it: epoll_wait() wakes. */
	ikt_msg(msg, 3000, 1);
	n = ikt_frame(variant->framing, msg, 3000, rec);
	ASSERT_EQ(ikt_write_all(self->peer, rec, n / 2), 0);
	ASSERT_TRUE(wait_outq_empty(self->peer));
	ASSERT_EQ(epoll_wait(ep, &got, 1, 0), 1);
	EXPECT_EQ(got.events & EPOLLIN, 0u);
	ev.events = EPOLLIN;
	ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_MOD, self->ike, &ev), 0);
	ASSERT_EQ(ikt_write_all(self->peer, rec + n / 2, n - n / 2), 0);
	ASSERT_EQ(epoll_wait(ep, &got, 1, TIMEOUT_MS), 1);
	EXPECT_EQ(got.events, (uint32_t)EPOLLIN);
	ike_expect(_metadata, self->ike, 1, 3000);
	EXPECT_EQ(epoll_wait(ep, &got, 1, 0), 0);

	/*
	 * The peer does not read; TCP's buffers fill, then the module's
	 * queue, to more than limit - largest record but with room left for
	 * an 8000-byte message.
	 */
	ASSERT_EQ(ikt_set_limits(0, limit), 0);
	ASSERT_EQ(setsockopt(self->peer, SOL_SOCKET, SO_RCVBUF, &sz,
			     sizeof(sz)), 0);
	ASSERT_EQ(setsockopt(self->ike, SOL_SOCKET, SO_SNDBUF, &sz,
			     sizeof(sz)), 0);
	ev.events = EPOLLIN | EPOLLOUT;
	ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_MOD, self->ike, &ev), 0);
	/*
	 * Filled past that, TCP's buffers full and its window closed: no
	 * EPOLLOUT, the largest message fails with EAGAIN, a smaller one that
	 * fits is taken, and still no EPOLLOUT.  TCP still makes room now and
	 * then (window probes, the peer collapsing its queue), between any two
	 * of these steps: EPOLLOUT is then right if the queue went down to
	 * limit - largest, and a largest message that is taken means the same;
	 * fill again and start over.
	 */
	for (tries = 0; tries < 10; tries++) {
		q0 = fill_past(_metadata, self->ike, ino,
			       limit - IKETCP_MAX_RECORD, &id);
		ASSERT_GT(q0, limit - IKETCP_MAX_RECORD);
		ASSERT_LE(q0 + 8000 + hdr, limit) TH_LOG("%u queued: no room", q0);
		if (!writable_only_below(_metadata, ep, ino, limit))
			continue;
		/* Consistent with send(): the largest fails, a smaller fits. */
		ikt_msg(msg, max, 100 + id);
		if (send(self->ike, msg, max, MSG_DONTWAIT) == (ssize_t)max) {
			TH_LOG("TCP made room: the largest was taken");
			id++;
			continue;
		}
		EXPECT_EQ(errno, EAGAIN);
		ikt_msg(msg, 8000, 100 + id);
		EXPECT_EQ(send(self->ike, msg, 8000, MSG_DONTWAIT), 8000);
		id++;
		if (writable_only_below(_metadata, ep, ino, limit))
			break;
	}
	ASSERT_LT(tries, 10) TH_LOG("TCP kept making room");

	/* The peer reads (another process): epoll_wait() wakes... */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		for (i = 0; i < id; i++) {
			uint32_t got_id;

			ssize_t len = ikt_read_framed(self->peer,
						      variant->framing, msg,
						      sizeof(msg));

			/* 8000 bytes, or the largest when TCP made room */
			if ((len != 8000 && len != (ssize_t)max) ||
			    !ikt_msg_ok(msg, len, &got_id) ||
			    got_id != (uint32_t)(100 + i))
				_exit(1);
		}
		_exit(0);
	}
	EXPECT_EQ(epoll_wait(ep, &got, 1, TIMEOUT_MS), 1);
	EXPECT_EQ(got.events, (uint32_t)EPOLLOUT);
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
		TH_LOG("the peer read wrong records");
	/* ...and then a message of the largest size is taken at once. */
	ikt_msg(msg, max, 100 + id);
	EXPECT_EQ(send(self->ike, msg, max, MSG_DONTWAIT), (ssize_t)max)
		TH_LOG("EPOLLOUT, yet: %s", strerror(errno));
	peer_expect(_metadata, self->peer, variant->framing, 100 + id, max);
	close(ep);
}

TEST_F(ulp, send_nonblocking_full_eagain_nothing_queued)
{
	struct gsa_sock before, after;
	static uint8_t msg[8000];
	uint64_t ino = ikt_fd_inode(self->ike);
	int ok = 0, i, tries;
	bool found;
	ssize_t n;

	ASSERT_EQ(ikt_set_limits(0, IKETCP_QUEUE_LIMIT_MIN), 0)
		TH_LOG("SET_NETNS: %s", strerror(errno));
	fill_send_queue(_metadata, self->ike, self->peer, &ok);
	ASSERT_GT(ok, 0);
	n = send_on_full_queue(self->ike, &ok);
	ASSERT_EQ(n, -1);
	ASSERT_EQ(errno, EAGAIN);
	ASSERT_GE(ikt_get_socket(ino, &before, &found), 1);
	ASSERT_TRUE(found);
	EXPECT_LE(before.tx_queued, (uint32_t)IKETCP_QUEUE_LIMIT_MIN);
	/*
	 * More attempts: EAGAIN, nothing queued (those TCP made room for
	 * count in ok, which the sums below check).
	 */
	for (tries = 0; tries < 10; tries++) {
		EXPECT_EQ(send_on_full_queue(self->ike, &ok), -1);
		EXPECT_EQ(errno, EAGAIN);
	}
	ASSERT_GE(ikt_get_socket(ino, &after, &found), 1);
	EXPECT_LE(after.tx_queued, (uint32_t)IKETCP_QUEUE_LIMIT_MIN);
	/* Queued records: the message plus its header (legacy has none). */
	EXPECT_EQ(after.cnt[IKETCP_CNT_TX_IKE_MSGS] +
		  after.tx_queued / (sizeof(msg) +
				     (variant->framing == IKETCP_FRAMING_LEGACY ?
				      0 : 6)), (uint64_t)ok)
		TH_LOG("sent %llu queued %u ok %d",
		       (unsigned long long)after.cnt[IKETCP_CNT_TX_IKE_MSGS],
		       after.tx_queued, ok);
	/* The peer reads whole records only: exactly the ok messages. */
	for (i = 0; i < ok; i++)
		peer_expect(_metadata, self->peer, variant->framing, i,
			    sizeof(msg));
	expect_quiet(_metadata, self->peer, 200);
	/* Room again: a non-blocking send works. */
	ikt_msg(msg, sizeof(msg), ok);
	EXPECT_EQ(send(self->ike, msg, sizeof(msg), MSG_DONTWAIT),
		  (ssize_t)sizeof(msg));
	peer_expect(_metadata, self->peer, variant->framing, ok, sizeof(msg));
}

/*
 * A send() or recv() on another thread: tid is set before the call, done
 * after it, so the test can wait until the call sleeps in the kernel.
 */
struct blocked_call {
	int fd;
	uint8_t *buf;
	size_t len;
	volatile pid_t tid;
	volatile int done;
	ssize_t ret;
	int err;
};

static void *blocked_send(void *p)
{
	struct blocked_call *c = p;

	c->tid = syscall(SYS_gettid);
	c->ret = send(c->fd, c->buf, c->len, MSG_NOSIGNAL);
	c->err = errno;
	c->done = 1;
	return NULL;
}

static void *blocked_recv(void *p)
{
	struct blocked_call *c = p;

	c->tid = syscall(SYS_gettid);
	c->ret = recv(c->fd, c->buf, c->len, 0);
	c->err = errno;
	c->done = 1;
	return NULL;
}

/* Start fn(c) on *th and wait until it sleeps in its call. */
static void start_blocked(struct __test_metadata *_metadata, pthread_t *th,
			  void *(*fn)(void *), struct blocked_call *c)
{
	ASSERT_EQ(pthread_create(th, NULL, fn, c), 0);
	ASSERT_TRUE(wait_thread_blocked(&c->tid, &c->done))
		TH_LOG("the call did not block (returned %zd: %s)", c->ret,
		       strerror(c->err));
}

/*
 * A blocking send of message *next (c->buf, 8000 bytes) on *th, on the
 * queue fill_send_queue() filled, asleep in its call.  If TCP made room
 * meanwhile and it went through, it counts in *next and the queue is
 * filled again, a few times over.  *backpressure: tx_backpressure just
 * before the call that blocked.
 */
static void start_blocked_send(struct __test_metadata *_metadata,
			       pthread_t *th, struct blocked_call *c, int ike,
			       int peer, int *next, long long *backpressure)
{
	int tries;

	for (tries = 0; tries < 5; tries++) {
		c->tid = 0;
		c->done = 0;
		ikt_msg(c->buf, c->len, *next);
		*backpressure = ikt_counter(IKETCP_CNT_TX_BACKPRESSURE);
		ASSERT_EQ(pthread_create(th, NULL, blocked_send, c), 0);
		if (wait_thread_blocked(&c->tid, &c->done))
			return;
		pthread_join(*th, NULL);
		ASSERT_EQ(c->ret, (ssize_t)c->len) TH_LOG("send: %s",
							   strerror(c->err));
		(*next)++;
		fill_send_queue(_metadata, ike, peer, next);
	}
	ASSERT_TRUE(false) TH_LOG("the send never blocked on a full queue");
}

/*
 * close(*fd) while c sleeps in a call on it: the call sleeps on, or (TCP
 * may free room for a send meanwhile) completes, but is not cut short.
 */
static void close_under_blocked(struct __test_metadata *_metadata, int *fd,
				struct blocked_call *c)
{
	close(*fd);
	*fd = -1;
	if (!wait_thread_blocked(&c->tid, &c->done))
		EXPECT_GT(c->ret, 0) TH_LOG("close ended the call: %zd (%s)",
					    c->ret, strerror(c->err));
}

TEST_F(ulp, send_blocking_waits_then_succeeds)
{
	static uint8_t msg[8000];
	struct blocked_call c = { .fd = self->ike, .buf = msg,
				  .len = sizeof(msg) };
	long long waited;
	pthread_t th;
	int ok = 0, i;

	ASSERT_EQ(ikt_set_limits(0, IKETCP_QUEUE_LIMIT_MIN), 0);
	fill_send_queue(_metadata, self->ike, self->peer, &ok);
	/*
	 * The send sleeps while the queue is full (failed MSG_DONTWAIT sends
	 * count too: the count is taken just before it)...
	 */
	start_blocked_send(_metadata, &th, &c, self->ike, self->peer, &ok,
			   &waited);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_TX_BACKPRESSURE), waited + 1);
	/* ...and completes once the peer reads. */
	for (i = 0; i < ok; i++)
		peer_expect(_metadata, self->peer, variant->framing, i,
			    sizeof(msg));
	pthread_join(th, NULL);
	EXPECT_EQ(c.ret, (ssize_t)sizeof(msg)) TH_LOG("send: %s",
						       strerror(c.err));
	peer_expect(_metadata, self->peer, variant->framing, ok, sizeof(msg));
	expect_quiet(_metadata, self->peer, 100);
}

TEST_F(ulp, send_sndtimeo_eagain)
{
	static uint8_t msg[8000];
	int ok = 0, tries, err = 0;
	uint64_t t0, dt = 0;
	ssize_t n = 0;

	ASSERT_EQ(ikt_set_limits(0, IKETCP_QUEUE_LIMIT_MIN), 0);
	ASSERT_EQ(ikt_set_timeouts(self->ike, TIMEOUT_MS, 200), 0);
	fill_send_queue(_metadata, self->ike, self->peer, &ok);
	/*
	 * TCP may still free some room (probes, retransmits) and let a
	 * blocking send through; keep sending until one times out.
	 */
	for (tries = 0; tries < 500; tries++) {
		ikt_msg(msg, sizeof(msg), ok++);
		t0 = ikt_now_ms();
		n = send(self->ike, msg, sizeof(msg), 0);
		err = errno;
		dt = ikt_now_ms() - t0;
		if (n < 0)
			break;
	}
	ASSERT_LT(tries, 500) TH_LOG("no blocking send ever timed out");
	EXPECT_EQ(n, -1);
	EXPECT_EQ(err, EAGAIN) TH_LOG("timed-out send: %s", strerror(err));
	/* It waited for SO_SNDTIMEO (200 ms), not longer. */
	EXPECT_GE(dt, 150u);
	EXPECT_LT(dt, 3000u);
	EXPECT_GE(counter(_metadata, IKETCP_CNT_TX_BACKPRESSURE), 1);
}

TEST_F(ulp, poll_out_when_idle)
{
	struct pollfd p = { .fd = self->ike, .events = POLLOUT | POLLIN };

	ASSERT_EQ(poll(&p, 1, 0), 1);
	EXPECT_EQ(p.revents, POLLOUT);
}

TEST_F(ulp, recv_one_call_is_one_message)
{
	static uint8_t buf[3000], rec[4000];
	size_t n = 0;
	int i;

	/* Three records in one write: three recvs, each one message. */
	for (i = 0; i < 3; i++) {
		ikt_msg(buf, 100 * (i + 1), i);
		n += ikt_frame(variant->framing, buf, 100 * (i + 1), rec + n);
	}
	ASSERT_EQ(ikt_write_all(self->peer, rec, n), 0);
	for (i = 0; i < 3; i++)
		ike_expect(_metadata, self->ike, i, 100 * (i + 1));
	EXPECT_EQ(recv(self->ike, buf, sizeof(buf), MSG_DONTWAIT), -1);
	EXPECT_EQ(errno, EAGAIN);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_IKE_MSGS), 3);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_IKE_BYTES), 600);
}

TEST_F(ulp, recv_dribbled_one_byte_at_a_time)
{
	static uint8_t msg[100], rec[200], buf[200];
	struct pollfd p = { .fd = self->ike, .events = POLLIN };
	size_t n, i;

	ASSERT_EQ(ikt_nodelay(self->peer), 0);
	ikt_msg(msg, sizeof(msg), 5);
	n = ikt_frame(variant->framing, msg, sizeof(msg), rec);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(ikt_write_all(self->peer, rec + i, 1), 0);
		usleep(2000);
		if (i + 1 < n && i % 16 == 0) {
			EXPECT_EQ(poll(&p, 1, 0), 0);
			EXPECT_EQ(recv(self->ike, buf, sizeof(buf),
				       MSG_DONTWAIT), -1);
			EXPECT_EQ(errno, EAGAIN);
		}
	}
	ike_expect(_metadata, self->ike, 5, sizeof(msg));
}

TEST_F(ulp, recv_blocking_across_dribbled_record)
{
	static uint8_t msg[3000], rec[3100];
	size_t n, i;
	pid_t pid;
	int st;

	ASSERT_EQ(ikt_nodelay(self->peer), 0);
	ikt_msg(msg, sizeof(msg), 8);
	n = ikt_frame(variant->framing, msg, sizeof(msg), rec);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		for (i = 0; i < n; i += 97) {
			if (ikt_write_all(self->peer, rec + i,
					  n - i < 97 ? n - i : 97))
				_exit(1);
			usleep(3000);
		}
		_exit(0);
	}
	/* One blocking recv waits across many partial arrivals. */
	ike_expect(_metadata, self->ike, 8, sizeof(msg));
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
}

TEST_F(ulp, recv_records_split_across_segments)
{
	static uint8_t msg[20000], rec[70000];
	size_t n = 0, off, chunk;
	int i;

	ASSERT_EQ(ikt_nodelay(self->peer), 0);
	srand(1);
	for (i = 0; i < 3; i++) {
		ikt_msg(msg, 20000 - i * 3000, i);
		n += ikt_frame(variant->framing, msg, 20000 - i * 3000,
			       rec + n);
	}
	for (off = 0; off < n; off += chunk) {
		chunk = 1 + rand() % 1500;
		if (chunk > n - off)
			chunk = n - off;
		ASSERT_EQ(ikt_write_all(self->peer, rec + off, chunk), 0);
		if (rand() % 4 == 0)
			usleep(500);
	}
	for (i = 0; i < 3; i++)
		ike_expect(_metadata, self->ike, i, 20000 - i * 3000);
}

/*
 * A message that has only partly arrived waits in TCP for the rest, not
 * readable and not taken out of TCP's queue (SIOCINQ counts it), then
 * arrives whole.
 */
TEST_F(ulp, recv_partial_message_waits_in_tcp_then_arrives_whole)
{
	static uint8_t msg[3000], rec[3100];
	int inq = -1;
	size_t n;

	ikt_msg(msg, sizeof(msg), 5);
	n = ikt_frame(variant->framing, msg, sizeof(msg), rec);
	ASSERT_EQ(ikt_write_all(self->peer, rec, 1000), 0);
	expect_quiet(_metadata, self->ike, 200);
	ASSERT_EQ(ioctl(self->ike, SIOCINQ, &inq), 0);
	EXPECT_EQ(inq, 1000);
	ASSERT_EQ(ikt_write_all(self->peer, rec + 1000, n - 1000), 0);
	ike_expect(_metadata, self->ike, 5, sizeof(msg));
	ASSERT_EQ(ioctl(self->ike, SIOCINQ, &inq), 0);
	EXPECT_EQ(inq, 0);
}

/*
 * With a receive buffer too small to hold a whole message, waiting in TCP
 * would stall the connection: the module takes the bytes out instead.
 */
TEST_F(ulp, recv_largest_message_with_small_rcvbuf_arrives)
{
	size_t max = max_msg(variant->framing);
	int v = 4096;

	ASSERT_EQ(setsockopt(self->ike, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)),
		  0);
	peer_send(_metadata, self->peer, variant->framing, 3, max);
	peer_send(_metadata, self->peer, variant->framing, 4, max);
	ike_expect(_metadata, self->ike, 3, max);
	ike_expect(_metadata, self->ike, 4, max);
}

TEST_F(ulp, recv_short_buffer_truncates_and_discards_rest)
{
	uint8_t buf[300], full[300];
	struct iovec iov = { buf, 50 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	peer_send(_metadata, self->peer, variant->framing, 1, 200);
	peer_send(_metadata, self->peer, variant->framing, 2, 150);
	peer_send(_metadata, self->peer, variant->framing, 3, 120);
	ASSERT_EQ(recvmsg(self->ike, &mh, 0), 50);
	EXPECT_TRUE(mh.msg_flags & MSG_TRUNC);
	ikt_msg(full, 200, 1);
	EXPECT_EQ(memcmp(buf, full, 50), 0);
	/* The rest of message 1 is gone: the next recv is message 2. */
	ike_expect(_metadata, self->ike, 2, 150);
	/* MSG_TRUNC in the flags: the full length is returned. */
	EXPECT_EQ(recv(self->ike, buf, 10, MSG_TRUNC), 120);
	EXPECT_EQ(recv(self->ike, buf, sizeof(buf), MSG_DONTWAIT), -1);
	EXPECT_EQ(errno, EAGAIN);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_TRUNCATED), 2);
}

TEST_F(ulp, recv_peek_leaves_message_queued)
{
	uint8_t a[200], b[200];

	peer_send(_metadata, self->peer, variant->framing, 9, 100);
	ASSERT_EQ(recv(self->ike, a, sizeof(a), MSG_PEEK), 100);
	ASSERT_EQ(recv(self->ike, b, 40, MSG_PEEK), 40);
	EXPECT_EQ(memcmp(a, b, 40), 0);
	ASSERT_EQ(recv(self->ike, b, sizeof(b), 0), 100);
	EXPECT_EQ(memcmp(a, b, 100), 0);
	EXPECT_TRUE(ikt_msg_ok(b, 100, NULL));
	EXPECT_EQ(recv(self->ike, b, sizeof(b), MSG_DONTWAIT), -1);
	EXPECT_EQ(errno, EAGAIN);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_TRUNCATED), 0);
}

/* A whole message is queued on fd (poll), and nothing was read. */
static void wait_readable(struct __test_metadata *_metadata, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	ASSERT_EQ(poll(&p, 1, TIMEOUT_MS), 1);
	ASSERT_TRUE(p.revents & POLLIN);
}

/* Wait until this netns's counter c reaches want. */
static void wait_counter(struct __test_metadata *_metadata,
			 enum iketcp_counter c, long long want)
{
	uint64_t t0 = ikt_now_ms();
	long long v;

	while ((v = counter(_metadata, c)) < want &&
	       ikt_now_ms() - t0 < TIMEOUT_MS)
		ikt_msleep(10);
	ASSERT_EQ(v, want) TH_LOG("counter %s", cnt_names[c]);
}

/*
 * A lone message waits in TCP's receive queue until recv() copies it out
 * (kernel/rx.c, "direct").  The tests below take it through every way out:
 * more records behind it, a short buffer, a bad buffer, EOF.
 */
TEST_F(ulp, recv_lone_message_then_more_arrive_order_and_counts_kept)
{
	peer_send(_metadata, self->peer, variant->framing, 1, 300);
	wait_readable(_metadata, self->ike);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_IKE_MSGS), 1);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_IKE_BYTES), 300);
	/* Records behind it take it out of TCP's queue first. */
	peer_send(_metadata, self->peer, variant->framing, 2, 5000);
	peer_send(_metadata, self->peer, variant->framing, 3, 40);
	wait_counter(_metadata, IKETCP_CNT_RX_IKE_MSGS, 3);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_IKE_BYTES), 5340);
	ike_expect(_metadata, self->ike, 1, 300);
	ike_expect(_metadata, self->ike, 2, 5000);
	ike_expect(_metadata, self->ike, 3, 40);
	/* Each counted once. */
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_IKE_MSGS), 3);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_IKE_BYTES), 5340);
}

TEST_F(ulp, recv_lone_message_short_buffer_then_next_intact)
{
	uint8_t buf[100], full[2000];

	peer_send(_metadata, self->peer, variant->framing, 1, 2000);
	wait_readable(_metadata, self->ike);
	ASSERT_EQ(recv(self->ike, buf, 50, MSG_PEEK), 50);
	ASSERT_EQ(recv(self->ike, buf, 60, MSG_TRUNC), 2000);
	ikt_msg(full, 2000, 1);
	EXPECT_EQ(memcmp(buf, full, 60), 0);
	EXPECT_EQ(recv(self->ike, buf, sizeof(buf), MSG_DONTWAIT), -1);
	EXPECT_EQ(errno, EAGAIN);
	peer_send(_metadata, self->peer, variant->framing, 2, 2000);
	ike_expect(_metadata, self->ike, 2, 2000);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_TRUNCATED), 1);
}

TEST_F(ulp, recv_bad_buffer_efault_message_stays_queued)
{
	peer_send(_metadata, self->peer, variant->framing, 1, 700);
	wait_readable(_metadata, self->ike);
	EXPECT_EQ(recv(self->ike, (void *)8, 700, 0), -1);
	EXPECT_EQ(errno, EFAULT);
	ike_expect(_metadata, self->ike, 1, 700);
	/* The same once it is out of TCP's queue. */
	peer_send(_metadata, self->peer, variant->framing, 2, 700);
	peer_send(_metadata, self->peer, variant->framing, 3, 700);
	wait_counter(_metadata, IKETCP_CNT_RX_IKE_MSGS, 3);
	EXPECT_EQ(recv(self->ike, (void *)8, 700, 0), -1);
	EXPECT_EQ(errno, EFAULT);
	ike_expect(_metadata, self->ike, 2, 700);
	ike_expect(_metadata, self->ike, 3, 700);
}

TEST_F(ulp, recv_lone_message_then_fin_message_then_eof)
{
	uint8_t b[100];

	peer_send(_metadata, self->peer, variant->framing, 1, 3000);
	ASSERT_EQ(shutdown(self->peer, SHUT_WR), 0);
	wait_readable(_metadata, self->ike);
	ASSERT_TRUE(wait_tcp_state(self->ike, TCP_CLOSE_WAIT))
		TH_LOG("the FIN did not arrive");
	ike_expect(_metadata, self->ike, 1, 3000);
	EXPECT_EQ(recv(self->ike, b, sizeof(b), 0), 0);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_DROP_PARTIAL_EOF), 0);
}

TEST_F(ulp, recv_dontwait_eagain)
{
	uint8_t b[100];
	uint64_t t0 = ikt_now_ms();

	EXPECT_EQ(recv(self->ike, b, sizeof(b), MSG_DONTWAIT), -1);
	EXPECT_EQ(errno, EAGAIN);
	EXPECT_LT(ikt_now_ms() - t0, 1000u);
}

TEST_F(ulp, recv_rcvtimeo_eagain_after_timeout)
{
	uint8_t b[100];
	uint64_t t0, dt;

	ASSERT_EQ(ikt_set_timeouts(self->ike, 300, TIMEOUT_MS), 0);
	t0 = ikt_now_ms();
	EXPECT_EQ(recv(self->ike, b, sizeof(b), 0), -1);
	EXPECT_EQ(errno, EAGAIN);
	dt = ikt_now_ms() - t0;
	EXPECT_GE(dt, 250u);
	EXPECT_LT(dt, 3000u);
}

/*
 * MSG_WAITALL does not make recv() wait for the buffer to fill: one whole
 * message, at once, even with another queued behind it and a long timeout.
 */
TEST_F(ulp, recv_waitall_ignored)
{
	uint8_t b[500];
	uint64_t t0, dt;

	ASSERT_EQ(ikt_set_timeouts(self->ike, 3000, TIMEOUT_MS), 0);
	peer_send(_metadata, self->peer, variant->framing, 1, 100);
	wait_readable(_metadata, self->ike);
	t0 = ikt_now_ms();
	EXPECT_EQ(recv(self->ike, b, sizeof(b), MSG_WAITALL), 100)
		TH_LOG("recv: %s", strerror(errno));
	dt = ikt_now_ms() - t0;
	EXPECT_LT(dt, 1000u) TH_LOG("MSG_WAITALL recv took %llu ms",
				    (unsigned long long)dt);
	EXPECT_TRUE(ikt_msg_ok(b, 100, NULL));
	/* Two queued: still one message per call. */
	peer_send(_metadata, self->peer, variant->framing, 2, 150);
	peer_send(_metadata, self->peer, variant->framing, 3, 120);
	wait_counter(_metadata, IKETCP_CNT_RX_IKE_MSGS, 3);
	t0 = ikt_now_ms();
	EXPECT_EQ(recv(self->ike, b, sizeof(b), MSG_WAITALL), 150);
	EXPECT_EQ(recv(self->ike, b, sizeof(b), MSG_WAITALL), 120);
	dt = ikt_now_ms() - t0;
	EXPECT_LT(dt, 1000u);
}

TEST_F(ulp, poll_in_only_when_whole_message_queued)
{
	static uint8_t msg[1000], rec[1100];
	struct pollfd p = { .fd = self->ike, .events = POLLIN };
	size_t n, half;

	ASSERT_EQ(ikt_nodelay(self->peer), 0);
	ikt_msg(msg, sizeof(msg), 3);
	n = ikt_frame(variant->framing, msg, sizeof(msg), rec);
	half = n / 2;
	ASSERT_EQ(ikt_write_all(self->peer, rec, half), 0);
	EXPECT_EQ(poll(&p, 1, 300), 0);
	ASSERT_EQ(ikt_write_all(self->peer, rec + half, n - half), 0);
	EXPECT_EQ(poll(&p, 1, TIMEOUT_MS), 1);
	EXPECT_TRUE(p.revents & POLLIN);
	ike_expect(_metadata, self->ike, 3, sizeof(msg));
	EXPECT_EQ(poll(&p, 1, 0), 0);
}

TEST_F(ulp, recv_zero_after_peer_close_and_drain)
{
	struct pollfd p = { .fd = self->ike, .events = POLLIN };
	uint8_t b[100];

	peer_send(_metadata, self->peer, variant->framing, 1, 40);
	peer_send(_metadata, self->peer, variant->framing, 2, 41);
	close(self->peer);
	self->peer = -1;
	ike_expect(_metadata, self->ike, 1, 40);
	ike_expect(_metadata, self->ike, 2, 41);
	EXPECT_EQ(recv(self->ike, b, sizeof(b), 0), 0);
	EXPECT_EQ(recv(self->ike, b, sizeof(b), 0), 0);
	EXPECT_EQ(poll(&p, 1, 0), 1);
	EXPECT_TRUE(p.revents & POLLIN);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_DROP_PARTIAL_EOF), 0);
}

TEST_F(ulp, partial_record_at_eof_discarded_and_counted)
{
	static uint8_t msg[500], rec[600];
	uint8_t b[600];
	size_t n;

	peer_send(_metadata, self->peer, variant->framing, 1, 60);
	ikt_msg(msg, sizeof(msg), 2);
	n = ikt_frame(variant->framing, msg, sizeof(msg), rec);
	ASSERT_EQ(ikt_write_all(self->peer, rec, n - 100), 0);
	close(self->peer);
	self->peer = -1;
	ike_expect(_metadata, self->ike, 1, 60);
	EXPECT_EQ(recv(self->ike, b, sizeof(b), 0), 0);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_DROP_PARTIAL_EOF), 1);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_IKE_MSGS), 1);
}

TEST_F(ulp, partial_header_at_eof_discarded_and_counted)
{
	uint8_t rec[10] = { 0 }, b[100];

	/* One byte of the next record's header, then FIN. */
	ASSERT_EQ(ikt_write_all(self->peer, rec, 1), 0);
	close(self->peer);
	self->peer = -1;
	EXPECT_EQ(recv(self->ike, b, sizeof(b), 0), 0);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_DROP_PARTIAL_EOF), 1);
}

TEST_F(ulp, peer_rst_mid_message_econnreset)
{
	static uint8_t msg[2000], rec[2100];
	uint8_t b[100];
	size_t n;

	ikt_msg(msg, sizeof(msg), 1);
	n = ikt_frame(variant->framing, msg, sizeof(msg), rec);
	ASSERT_EQ(ikt_write_all(self->peer, rec, n / 2), 0);
	/* The half message has arrived (acknowledged) before the RST. */
	ASSERT_TRUE(wait_outq_empty(self->peer));
	ikt_close_rst(self->peer);
	self->peer = -1;
	EXPECT_EQ(recv(self->ike, b, sizeof(b), 0), -1);
	EXPECT_EQ(errno, ECONNRESET);
	EXPECT_EQ(recv(self->ike, b, sizeof(b), 0), 0);
	/* Sending on the dead connection fails cleanly. */
	ikt_msg(msg, 40, 1);
	EXPECT_EQ(send(self->ike, msg, 40, MSG_NOSIGNAL), -1);
}

struct pipe_arg {
	int fd, framing, count;
	int err;
	bool big;	/* peer_writer: 1000..1999-byte messages */
};

static size_t writer_len(const struct pipe_arg *a, int i)
{
	return a->big ? 1000 + (i * 37) % 1000 : 28 + (i * 7) % 101;
}

static void *ike_sender(void *p)
{
	struct pipe_arg *a = p;
	uint8_t msg[128];
	int i;

	for (i = 0; i < a->count; i++) {
		size_t len = 28 + i % 97;

		ikt_msg(msg, len, i);
		if (send(a->fd, msg, len, 0) != (ssize_t)len) {
			a->err = errno ? errno : EIO;
			return NULL;
		}
	}
	return NULL;
}

static void *peer_writer(void *p)
{
	struct pipe_arg *a = p;
	static __thread uint8_t buf[64 * 1024];
	uint8_t msg[2048];
	size_t n = 0;
	int i;

	for (i = 0; i < a->count; i++) {
		size_t len = writer_len(a, i);

		ikt_msg(msg, len, i);
		n += ikt_frame(a->framing, msg, len, buf + n);
		if (n > sizeof(buf) - 4096 || i == a->count - 1) {
			if (ikt_write_all(a->fd, buf, n)) {
				a->err = errno;
				return NULL;
			}
			n = 0;
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(ulp, pipelined_10000_messages_both_ways, 300)
{
	struct pipe_arg out = { self->ike, variant->framing, 10000, 0, false };
	struct pipe_arg in = { self->peer, variant->framing, 10000, 0, false };
	static uint8_t buf[BIG];
	pthread_t t1, t2;
	uint32_t id;
	ssize_t n;
	int i;

	ASSERT_EQ(pthread_create(&t1, NULL, ike_sender, &out), 0);
	ASSERT_EQ(pthread_create(&t2, NULL, peer_writer, &in), 0);
	for (i = 0; i < 10000; i++) {
		n = ikt_read_framed(self->peer, variant->framing, buf,
				    sizeof(buf));
		ASSERT_EQ(n, 28 + i % 97) TH_LOG("msg %d: %s", i,
						 strerror(errno));
		ASSERT_TRUE(ikt_msg_ok(buf, n, &id));
		ASSERT_EQ(id, (uint32_t)i);
	}
	for (i = 0; i < 10000; i++) {
		n = recv(self->ike, buf, sizeof(buf), 0);
		ASSERT_EQ(n, 28 + (i * 7) % 101) TH_LOG("msg %d: %s", i,
						       strerror(errno));
		ASSERT_TRUE(ikt_msg_ok(buf, n, &id));
		ASSERT_EQ(id, (uint32_t)i);
	}
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	EXPECT_EQ(out.err, 0);
	EXPECT_EQ(in.err, 0);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_TX_IKE_MSGS), 10000);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_IKE_MSGS), 10000);
}

#define SENDERS		4
#define PER_SENDER	400

struct sender_arg {
	int fd, idx, err;
};

static void *concurrent_sender(void *p)
{
	struct sender_arg *a = p;
	static __thread uint8_t msg[16384];
	int i;

	for (i = 0; i < PER_SENDER; i++) {
		size_t len = 28 + ((i * 131 + a->idx * 977) % 12000);

		ikt_msg(msg, len, (uint32_t)a->idx << 16 | i);
		if (send(a->fd, msg, len, 0) != (ssize_t)len) {
			a->err = errno ? errno : EIO;
			return NULL;
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(ulp, concurrent_senders_records_never_interleave, 300)
{
	struct sender_arg args[SENDERS];
	pthread_t th[SENDERS];
	int next[SENDERS] = { 0 };
	static uint8_t buf[BIG];
	uint32_t id;
	ssize_t n;
	int i, s;

	for (i = 0; i < SENDERS; i++) {
		args[i] = (struct sender_arg){ self->ike, i, 0 };
		ASSERT_EQ(pthread_create(&th[i], NULL, concurrent_sender,
					 &args[i]), 0);
	}
	for (i = 0; i < SENDERS * PER_SENDER; i++) {
		n = ikt_read_framed(self->peer, variant->framing, buf,
				    sizeof(buf));
		ASSERT_GT(n, 0) TH_LOG("record %d: %s", i, strerror(errno));
		ASSERT_TRUE(ikt_msg_ok(buf, n, &id))
			TH_LOG("record %d (len %zd) is not one intact message",
			       i, n);
		s = id >> 16;
		ASSERT_LT(s, SENDERS);
		/* Each sender's messages arrive whole and in its order. */
		ASSERT_EQ(id & 0xffff, (uint32_t)next[s]);
		next[s]++;
	}
	for (i = 0; i < SENDERS; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(args[i].err, 0);
	}
	expect_quiet(_metadata, self->peer, 100);
}

TEST_F_TIMEOUT(ulp, bounded_memory_backpressure_loses_nothing, 120)
{
	struct pipe_arg in = { self->peer, variant->framing, 0, 0, true };
	struct gsa_sock si;
	uint64_t ino = ikt_fd_inode(self->ike);
	static uint8_t buf[BIG];
	const int count = 600;
	uint32_t prev = 0, last_q = 0;
	pthread_t t;
	uint32_t id;
	bool found;
	ssize_t n;
	int i;

	ASSERT_EQ(ikt_set_limits(IKETCP_QUEUE_LIMIT_MIN, 0), 0)
		TH_LOG("SET_NETNS: %s", strerror(errno));
	in.count = count;
	ASSERT_EQ(pthread_create(&t, NULL, peer_writer, &in), 0);
	/* Wait until the queue stops growing: reading has paused. */
	for (i = 0; i < 100; i++) {
		ikt_msleep(50);
		ASSERT_GE(ikt_get_socket(ino, &si, &found), 1);
		ASSERT_TRUE(found);
		if (si.cnt[IKETCP_CNT_RX_BACKPRESSURE] &&
		    si.rx_queued == last_q)
			break;
		last_q = si.rx_queued;
	}
	EXPECT_GE(si.cnt[IKETCP_CNT_RX_BACKPRESSURE], 1u);
	/* The limit is on memory (truesize), exceeded by one record at most. */
	EXPECT_GE(si.rx_mem, (uint32_t)IKETCP_QUEUE_LIMIT_MIN);
	EXPECT_LE(si.rx_mem,
		  (uint32_t)(IKETCP_QUEUE_LIMIT_MIN + 2 * IKETCP_MAX_RECORD));
	EXPECT_LE(si.rx_queued, si.rx_mem);
	EXPECT_LT(si.cnt[IKETCP_CNT_RX_IKE_MSGS], (uint64_t)count);
	for (i = 0; i < count; i++) {
		n = recv(self->ike, buf, sizeof(buf), 0);
		ASSERT_EQ(n, (ssize_t)writer_len(&in, i))
			TH_LOG("msg %d: %s", i, strerror(errno));
		ASSERT_TRUE(ikt_msg_ok(buf, n, &id));
		ASSERT_EQ(id, (uint32_t)i) TH_LOG("after %u", prev);
		prev = id;
	}
	pthread_join(t, NULL);
	EXPECT_EQ(in.err, 0);
	EXPECT_EQ(recv(self->ike, buf, sizeof(buf), MSG_DONTWAIT), -1);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_IKE_MSGS), count);
}

TEST_F(ulp, bounded_memory_large_messages)
{
	struct gsa_sock si;
	uint64_t ino = ikt_fd_inode(self->ike), t0;
	int i, st, outq = 0, sz = 65536;
	pid_t pid;
	bool found;

	ASSERT_EQ(ikt_set_limits(IKETCP_QUEUE_LIMIT_MIN, 0), 0);
	/* Fixed TCP buffers: autotuning must not absorb the 2.4 MB. */
	ASSERT_EQ(setsockopt(self->ike, SOL_SOCKET, SO_RCVBUF, &sz,
			     sizeof(sz)), 0);
	ASSERT_EQ(setsockopt(self->peer, SOL_SOCKET, SO_SNDBUF, &sz,
			     sizeof(sz)), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		for (i = 0; i < 40; i++)
			peer_send(_metadata, self->peer, variant->framing, i,
				  60000);
		_exit(0);
	}
	/* Reading pauses once the limit is reached. */
	t0 = ikt_now_ms();
	do {
		ASSERT_GE(ikt_get_socket(ino, &si, &found), 1);
		ASSERT_TRUE(found);
		if (si.cnt[IKETCP_CNT_RX_BACKPRESSURE])
			break;
		usleep(2000);
	} while (ikt_now_ms() - t0 < TIMEOUT_MS);
	ASSERT_GE(si.cnt[IKETCP_CNT_RX_BACKPRESSURE], 1u)
		TH_LOG("reading never paused (rx_queued %u)", si.rx_queued);
	EXPECT_GE(si.rx_mem, (uint32_t)IKETCP_QUEUE_LIMIT_MIN);
	EXPECT_LE(si.rx_mem,
		  (uint32_t)(IKETCP_QUEUE_LIMIT_MIN + 2 * IKETCP_MAX_RECORD));
	EXPECT_LT(si.cnt[IKETCP_CNT_RX_IKE_MSGS], 40u);
	/*
	 * The window closed: the peer (not done) sleeps in write() with
	 * bytes it cannot send.
	 */
	t0 = ikt_now_ms();
	do {
		ASSERT_EQ(ioctl(self->peer, SIOCOUTQ, &outq), 0);
		if (outq > 0 && proc_state(pid) == 'S' &&
		    waitpid(pid, &st, WNOHANG) == 0)
			break;
		outq = 0;
		usleep(2000);
	} while (ikt_now_ms() - t0 < TIMEOUT_MS);
	EXPECT_GT(outq, 0) TH_LOG("the peer is not held back");
	for (i = 0; i < 40; i++)
		ike_expect(_metadata, self->ike, i, 60000);
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
}

TEST_F(ulp, close_with_queued_data_both_sides)
{
	struct gsa_netns ni;
	struct gsa_sock si;
	uint8_t msg[8000];
	uint32_t rec, dropped;
	bool found;
	int i;

	ASSERT_EQ(ikt_set_limits(IKETCP_QUEUE_LIMIT_MIN,
				 IKETCP_QUEUE_LIMIT_MIN), 0);
	/* Received messages nobody reads, and a full send queue. */
	for (i = 0; i < 50; i++)
		peer_send(_metadata, self->peer, variant->framing, i, 5000);
	i = 0;
	fill_send_queue(_metadata, self->ike, self->peer, &i);
	ASSERT_GE(ikt_get_socket(ikt_fd_inode(self->ike), &si, &found), 1);
	ASSERT_TRUE(found);
	TH_LOG("at close: tx_queued %u, rx_queued %u", si.tx_queued,
	       si.rx_queued);
	EXPECT_GT(si.tx_queued, 0u);
	EXPECT_GT(si.rx_queued, 0u);
	ASSERT_EQ(ikt_get_netns(&ni), 0);
	EXPECT_EQ(ni.nr_sockets, 1u);
	close(self->ike);
	self->ike = -1;
	ASSERT_EQ(ikt_get_netns(&ni), 0);
	EXPECT_EQ(ni.nr_sockets, 0u);
	/*
	 * Every record still queued at close is counted as dropped.  TCP can
	 * take some between the count above and close() (fill_send_queue():
	 * window probes, the peer collapsing its receive queue; seen in CI: 7
	 * of 14): nothing is queued after the count, so the queue only
	 * shrinks and the count bounds the drops, and the queue was not empty
	 * at close (the peer's window stayed closed).
	 */
	rec = sizeof(msg) +
	      (variant->framing == IKETCP_FRAMING_RFC9329 ? IKT_RFC_HDR : 0);
	dropped = ni.cnt[IKETCP_CNT_TX_DROP_CLOSE];
	if (dropped != si.tx_queued / rec)
		TH_LOG("TCP took %u records between the count and close()",
		       si.tx_queued / rec - dropped);
	EXPECT_GE(dropped, 1u);
	EXPECT_LE(dropped, si.tx_queued / rec);
	/* The peer sees a reset (unread data at close), not a hang. */
	EXPECT_TRUE(wait_peer_error(self->peer, ECONNRESET));
}

TEST_F(ulp, shutdown_rdwr_queued_message_then_eof)
{
	uint8_t b[100];

	peer_send(_metadata, self->peer, variant->framing, 1, 50);
	wait_readable(_metadata, self->ike);
	ASSERT_EQ(shutdown(self->ike, SHUT_RDWR), 0);
	/* The queued message is still there, then EOF. */
	ike_expect(_metadata, self->ike, 1, 50);
	EXPECT_EQ(recv(self->ike, b, sizeof(b), 0), 0);
	EXPECT_EQ(recv(self->peer, b, sizeof(b), 0), 0);
}

/* shutdown(SHUT_RD) from another thread wakes a recv() blocked in it. */
TEST_F(ulp, shutdown_wakes_recv_blocked_in_other_thread)
{
	static uint8_t buf[200];
	struct blocked_call c = { .fd = self->ike, .buf = buf,
				  .len = sizeof(buf) };
	pthread_t th;
	uint64_t t0;

	start_blocked(_metadata, &th, blocked_recv, &c);
	t0 = ikt_now_ms();
	ASSERT_EQ(shutdown(self->ike, SHUT_RD), 0);
	pthread_join(th, NULL);
	EXPECT_EQ(c.ret, 0) TH_LOG("recv: %s", strerror(c.err));
	/* Woken by the shutdown, not by SO_RCVTIMEO (5 s). */
	EXPECT_LT(ikt_now_ms() - t0, 2000u);
}

/* nr_sockets of this netns reaches want within TIMEOUT_MS. */
static bool wait_nr_sockets(uint32_t want)
{
	struct gsa_netns ni;
	uint64_t t0 = ikt_now_ms();

	while (ikt_now_ms() - t0 < TIMEOUT_MS) {
		if (!ikt_get_netns(&ni) && ni.nr_sockets == want)
			return true;
		usleep(2000);
	}
	return false;
}

/*
 * close() while another thread sleeps in recv() on the socket: the call
 * holds the file, so it goes on and returns the next message; the socket is
 * released when it returns (the peer then sees the FIN, the count drops).
 */
TEST_F(ulp, close_while_recv_blocked_in_other_thread)
{
	static uint8_t buf[2000];
	struct blocked_call c = { .fd = self->ike, .buf = buf,
				  .len = sizeof(buf) };
	uint8_t b[64];
	pthread_t th;
	uint32_t id;

	start_blocked(_metadata, &th, blocked_recv, &c);
	close_under_blocked(_metadata, &self->ike, &c);
	peer_send(_metadata, self->peer, variant->framing, 4, 1500);
	pthread_join(th, NULL);
	EXPECT_EQ(c.ret, 1500) TH_LOG("recv: %s", strerror(c.err));
	EXPECT_TRUE(c.ret == 1500 && ikt_msg_ok(buf, 1500, &id) && id == 4);
	/* The last reference is gone: the connection closes. */
	EXPECT_EQ(recv(self->peer, b, sizeof(b), 0), 0);
	EXPECT_TRUE(wait_nr_sockets(0));
}

/*
 * close() while another thread sleeps in send() on a full queue: the send
 * completes once the peer reads and the socket is released when it
 * returns.  Records still queued then are dropped whole (tx_drop_close):
 * the peer reads intact messages in order, then EOF.
 */
TEST_F(ulp, close_while_send_blocked_in_other_thread)
{
	static uint8_t msg[8000], rbuf[8000], buf[64];
	struct blocked_call c = { .fd = self->ike, .buf = msg,
				  .len = sizeof(msg) };
	long long bp;
	pthread_t th;
	int ok = 0, i;
	uint32_t id;
	ssize_t n;

	ASSERT_EQ(ikt_set_limits(0, IKETCP_QUEUE_LIMIT_MIN), 0);
	fill_send_queue(_metadata, self->ike, self->peer, &ok);
	start_blocked_send(_metadata, &th, &c, self->ike, self->peer, &ok,
			   &bp);
	close_under_blocked(_metadata, &self->ike, &c);
	for (i = 0; i <= ok; i++) {
		n = ikt_read_framed(self->peer, variant->framing, rbuf,
				    sizeof(rbuf));
		if (n < 0 && errno == ENODATA)
			break;		/* EOF */
		ASSERT_EQ(n, (ssize_t)sizeof(msg)) TH_LOG("record %d: %s", i,
							   strerror(errno));
		ASSERT_TRUE(ikt_msg_ok(rbuf, n, &id));
		ASSERT_EQ(id, (uint32_t)i);
	}
	pthread_join(th, NULL);
	EXPECT_EQ(c.ret, (ssize_t)sizeof(msg)) TH_LOG("send: %s",
						       strerror(c.err));
	EXPECT_GT(i, 0);
	EXPECT_EQ(recv(self->peer, buf, sizeof(buf), 0), 0);
	EXPECT_TRUE(wait_nr_sockets(0));
	/* Every message was either delivered or counted as dropped. */
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_TX_DROP_CLOSE), ok + 1 - i);
}

TEST_F(ulp, shutdown_wr_delivers_queued_records_before_fin)
{
	static uint8_t msg[8000], buf[8000];
	int ok, i;

	ASSERT_EQ(ikt_set_limits(0, IKETCP_QUEUE_LIMIT_MIN), 0);
	ok = 0;
	fill_send_queue(_metadata, self->ike, self->peer, &ok);
	ASSERT_EQ(shutdown(self->ike, SHUT_WR), 0);
	ikt_msg(msg, 40, 1);
	EXPECT_EQ(send(self->ike, msg, 40, MSG_NOSIGNAL), -1);
	EXPECT_EQ(errno, EPIPE);
	for (i = 0; i < ok; i++)
		peer_expect(_metadata, self->peer, variant->framing, i,
			    sizeof(msg));
	EXPECT_EQ(recv(self->peer, buf, sizeof(buf), 0), 0);
}

TEST_F(ulp, counters_netns_totals)
{
	struct gsa_netns ni;
	int i;

	for (i = 0; i < 5; i++)
		ike_send(_metadata, self->ike, i, 100);
	for (i = 0; i < 5; i++)
		peer_expect(_metadata, self->peer, variant->framing, i, 100);
	for (i = 0; i < 3; i++)
		peer_send(_metadata, self->peer, variant->framing, i, 50);
	for (i = 0; i < 3; i++)
		ike_expect(_metadata, self->ike, i, 50);
	ASSERT_EQ(ikt_get_netns(&ni), 0) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(ni.nr_sockets, 1u);
	EXPECT_EQ(ni.rx_queue_limit, (uint32_t)IKETCP_QUEUE_LIMIT_DEFAULT);
	EXPECT_EQ(ni.tx_queue_limit, (uint32_t)IKETCP_QUEUE_LIMIT_DEFAULT);
	EXPECT_EQ(ni.cnt[IKETCP_CNT_TX_IKE_MSGS], 5u);
	EXPECT_EQ(ni.cnt[IKETCP_CNT_TX_IKE_BYTES], 500u);
	EXPECT_EQ(ni.cnt[IKETCP_CNT_RX_IKE_MSGS], 3u);
	EXPECT_EQ(ni.cnt[IKETCP_CNT_RX_IKE_BYTES], 150u);
	/* Closed sockets stay in the totals. */
	close(self->ike);
	self->ike = -1;
	ASSERT_EQ(ikt_get_netns(&ni), 0);
	EXPECT_EQ(ni.nr_sockets, 0u);
	EXPECT_EQ(ni.cnt[IKETCP_CNT_TX_IKE_MSGS], 5u);
	EXPECT_EQ(ni.cnt[IKETCP_CNT_RX_IKE_MSGS], 3u);
}

TEST_F(ulp, counters_get_sockets_lists_socket_by_inode)
{
	struct sockaddr_storage la, ra;
	socklen_t ll = sizeof(la), rl = sizeof(ra);
	struct gsa_sock si;
	uint64_t ino = ikt_fd_inode(self->ike);
	bool found;
	int expect_role, i;

	ike_send(_metadata, self->ike, 1, 80);
	peer_expect(_metadata, self->peer, variant->framing, 1, 80);
	peer_send(_metadata, self->peer, variant->framing, 2, 90);
	peer_send(_metadata, self->peer, variant->framing, 3, 95);
	ike_expect(_metadata, self->ike, 2, 90);
	/* Message 3 is queued, unread. */
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(ikt_get_socket(ino, &si, &found), 1);
		ASSERT_TRUE(found);
		if (si.rx_queued)
			break;
		ikt_msleep(20);
	}
	EXPECT_EQ(si.family, variant->family);
	EXPECT_EQ(si.framing, variant->framing);
	if (variant->framing == IKETCP_FRAMING_RFC9329)
		expect_role = variant->ike_connects ? IKETCP_ROLE_ORIGINATOR :
						      IKETCP_ROLE_ACCEPTOR;
	else
		expect_role = IKETCP_ROLE_UNKNOWN;	/* legacy: no roles */
	EXPECT_EQ(si.role, expect_role);
	EXPECT_EQ(si.rx_queued, 95u);
	EXPECT_EQ(si.tx_queued, 0u);
	EXPECT_EQ(si.cnt[IKETCP_CNT_TX_IKE_MSGS], 1u);
	EXPECT_EQ(si.cnt[IKETCP_CNT_TX_IKE_BYTES], 80u);
	EXPECT_EQ(si.cnt[IKETCP_CNT_RX_IKE_MSGS], 2u);
	EXPECT_EQ(si.cnt[IKETCP_CNT_RX_IKE_BYTES], 185u);
	ASSERT_EQ(getsockname(self->ike, (struct sockaddr *)&la, &ll), 0);
	ASSERT_EQ(getpeername(self->ike, (struct sockaddr *)&ra, &rl), 0);
	if (variant->family == AF_INET) {
		struct sockaddr_in *l = (void *)&la, *r = (void *)&ra;

		EXPECT_EQ(si.addr_len, 4);
		EXPECT_EQ(memcmp(si.saddr, &l->sin_addr, 4), 0);
		EXPECT_EQ(memcmp(si.daddr, &r->sin_addr, 4), 0);
		EXPECT_EQ(si.sport, ntohs(l->sin_port));
		EXPECT_EQ(si.dport, ntohs(r->sin_port));
	} else {
		struct sockaddr_in6 *l = (void *)&la, *r = (void *)&ra;

		EXPECT_EQ(si.addr_len, 16);
		EXPECT_EQ(memcmp(si.saddr, &l->sin6_addr, 16), 0);
		EXPECT_EQ(memcmp(si.daddr, &r->sin6_addr, 16), 0);
		EXPECT_EQ(si.sport, ntohs(l->sin6_port));
		EXPECT_EQ(si.dport, ntohs(r->sin6_port));
	}
	/* Closed: no longer listed. */
	close(self->ike);
	self->ike = -1;
	ASSERT_EQ(ikt_get_socket(ino, &si, &found), 0);
	EXPECT_FALSE(found);
}

TEST_F(ulp, set_netns_limits_validated)
{
	struct gsa_netns ni;

	EXPECT_EQ(ikt_set_limits(IKETCP_QUEUE_LIMIT_MIN - 1, 0), -1);
	EXPECT_EQ(errno, ERANGE);
	EXPECT_EQ(ikt_set_limits(0, IKETCP_QUEUE_LIMIT_MAX + 1), -1);
	EXPECT_EQ(errno, ERANGE);
	ASSERT_EQ(ikt_set_limits(IKETCP_QUEUE_LIMIT_MIN,
				 IKETCP_QUEUE_LIMIT_MAX), 0);
	ASSERT_EQ(ikt_get_netns(&ni), 0);
	EXPECT_EQ(ni.rx_queue_limit, (uint32_t)IKETCP_QUEUE_LIMIT_MIN);
	EXPECT_EQ(ni.tx_queue_limit, (uint32_t)IKETCP_QUEUE_LIMIT_MAX);
}

/* ========================================================================
 * rfc: RFC 9329 record rules (received records)
 */

FIXTURE(rfc)
{
	int ike, peer;
};

FIXTURE_VARIANT(rfc)
{
	int family;
	bool ike_connects;
};

FIXTURE_VARIANT_ADD(rfc, ipv4_originator)
{
	.family = AF_INET, .ike_connects = true,
};

FIXTURE_VARIANT_ADD(rfc, ipv4_acceptor)
{
	.family = AF_INET, .ike_connects = false,
};

FIXTURE_VARIANT_ADD(rfc, ipv6_originator)
{
	.family = AF_INET6, .ike_connects = true,
};

FIXTURE_VARIANT_ADD(rfc, ipv6_acceptor)
{
	.family = AF_INET6, .ike_connects = false,
};

FIXTURE_SETUP(rfc)
{
	conn_setup(_metadata, variant->family, variant->ike_connects,
		   IKETCP_FRAMING_RFC9329, &self->ike, &self->peer);
}

FIXTURE_TEARDOWN(rfc)
{
	close(self->ike);
	close(self->peer);
}

/* Peer writes a raw record with this body, then message 100 (a canary). */
static void raw_then_canary(struct __test_metadata *_metadata, int peer,
			    const uint8_t *body, size_t len)
{
	uint8_t rec[2100];

	ASSERT_LT(len, 2000u);
	ASSERT_EQ(ikt_write_all(peer, rec, ikt_raw_record(body, len, rec)), 0);
	peer_send(_metadata, peer, IKETCP_FRAMING_RFC9329, 100, 64);
}

static void rfc_bad_length(struct __test_metadata *_metadata, int ike,
			   int peer, uint8_t len)
{
	uint8_t rec[8] = { 0, len, 0, 0, 0, 0, 0, 0 };

	peer_send(_metadata, peer, IKETCP_FRAMING_RFC9329, 1, 40);
	ASSERT_EQ(ikt_write_all(peer, rec, sizeof(rec)), 0);
	/* What was queued before the bad record is still delivered. */
	ike_expect(_metadata, ike, 1, 40);
	expect_ike_reset(_metadata, ike, peer);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RESET_BAD_LENGTH), 1);
}

TEST_F(rfc, record_length_0_resets_reset_bad_length)
{
	rfc_bad_length(_metadata, self->ike, self->peer, 0);
}

TEST_F(rfc, record_length_1_resets_reset_bad_length)
{
	rfc_bad_length(_metadata, self->ike, self->peer, 1);
}

TEST_F(rfc, record_length_2_ignored_rx_empty_records)
{
	raw_then_canary(_metadata, self->peer, NULL, 0);
	raw_then_canary(_metadata, self->peer, NULL, 0);
	ike_expect(_metadata, self->ike, 100, 64);
	ike_expect(_metadata, self->ike, 100, 64);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_EMPTY_RECORDS), 2);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_IKE_MSGS), 2);
}

TEST_F(rfc, keepalive_0xff_dropped_rx_keepalives)
{
	uint8_t ka = 0xff;

	raw_then_canary(_metadata, self->peer, &ka, 1);
	ike_expect(_metadata, self->ike, 100, 64);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_KEEPALIVES), 1);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_DROP_RUNT), 0);
}

TEST_F(rfc, non_esp_marker_record_is_ike)
{
	uint8_t body[4 + 60] = { 0 };

	ikt_msg(body + 4, 60, 3);
	raw_then_canary(_metadata, self->peer, body, sizeof(body));
	ike_expect(_metadata, self->ike, 3, 60);
	ike_expect(_metadata, self->ike, 100, 64);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_IKE_MSGS), 2);
}

TEST_F(rfc, ike_length_mismatch_dropped_stream_goes_on)
{
	uint8_t body[4 + 60] = { 0 };
	uint8_t shortb[4 + 10] = { 0 };

	ikt_msg(body + 4, 60, 3);
	body[4 + 27] = 61;	/* IKE header says 61, record holds 60 */
	raw_then_canary(_metadata, self->peer, body, sizeof(body));
	/* A zero marker with less than an IKE header. */
	raw_then_canary(_metadata, self->peer, shortb, sizeof(shortb));
	ike_expect(_metadata, self->ike, 100, 64);
	ike_expect(_metadata, self->ike, 100, 64);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_DROP_IKE_LENGTH), 2);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_IKE_MSGS), 2);
}

TEST_F(rfc, esp_record_dropped_rx_drop_esp_unbound_stream_goes_on)
{
	uint8_t esp[100];
	int i;

	for (i = 0; i < (int)sizeof(esp); i++)
		esp[i] = i + 1;		/* SPI 0x01020304 */
	raw_then_canary(_metadata, self->peer, esp, sizeof(esp));
	raw_then_canary(_metadata, self->peer, esp, 8);	/* smallest ESP */
	ike_expect(_metadata, self->ike, 100, 64);
	ike_expect(_metadata, self->ike, 100, 64);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_DROP_ESP_UNBOUND), 2);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_ESP_PKTS), 0);
}

TEST_F(rfc, esp_behind_unread_ike_message_not_held_up)
{
	uint8_t esp[100], rec[110];
	int i;

	for (i = 0; i < (int)sizeof(esp); i++)
		esp[i] = i + 1;
	peer_send(_metadata, self->peer, IKETCP_FRAMING_RFC9329, 1, 1000);
	wait_readable(_metadata, self->ike);
	/* The daemon does not read; the ESP record is handled anyway. */
	ASSERT_EQ(ikt_write_all(self->peer, rec,
				ikt_raw_record(esp, sizeof(esp), rec)), 0);
	wait_counter(_metadata, IKETCP_CNT_RX_DROP_ESP_UNBOUND, 1);
	ike_expect(_metadata, self->ike, 1, 1000);
}

TEST_F(rfc, urgent_data_resets_reset_urgent)
{
	ASSERT_EQ(send(self->peer, "U", 1, MSG_OOB), 1);
	expect_ike_reset(_metadata, self->ike, self->peer);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RESET_URGENT), 1);
}

TEST_F(rfc, runt_record_dropped_rx_drop_runt)
{
	uint8_t b[7] = { 1, 2, 3, 4, 5, 6, 7 };

	raw_then_canary(_metadata, self->peer, b, 7);
	raw_then_canary(_metadata, self->peer, b, 1);	/* 1 byte, not 0xff */
	raw_then_canary(_metadata, self->peer, b, 3);
	ike_expect(_metadata, self->ike, 100, 64);
	ike_expect(_metadata, self->ike, 100, 64);
	ike_expect(_metadata, self->ike, 100, 64);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_DROP_RUNT), 3);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_KEEPALIVES), 0);
}


/*
 * A fatal record followed at once by the peer's FIN: recv() must still
 * report the stream error (EPROTO), not a clean EOF.  Many connections, as
 * the outcome depends on whether recv() runs before the deferred reset.
 */
static int fatal_then_fin_misses(struct __test_metadata *_metadata,
				 int family, int framing, const uint8_t *bad,
				 size_t len, int rounds)
{
	int i, cli, srv, misses = 0;
	uint8_t b[64];
	ssize_t n;

	for (i = 0; i < rounds; i++) {
		ASSERT_EQ(ikt_tcp_pair(family, &cli, &srv), 0);
		ASSERT_EQ(ikt_set_timeouts(srv, TIMEOUT_MS, TIMEOUT_MS), 0);
		ASSERT_EQ(ikt_attach(srv, framing), 0);
		ASSERT_EQ(ikt_write_all(cli, bad, len), 0);
		shutdown(cli, SHUT_WR);
		n = recv(srv, b, sizeof(b), 0);
		if (n == 0)
			misses++;
		else
			EXPECT_TRUE(n == -1 && errno == EPROTO)
				TH_LOG("recv %zd: %s", n, strerror(errno));
		close(srv);
		close(cli);
	}
	return misses;
}

TEST_F(rfc, fatal_record_then_fin_recv_fails_eproto)
{
	uint8_t bad[IKT_PREFIX_LEN + 2] = "IKETCP";
	int misses;

	misses = fatal_then_fin_misses(_metadata, variant->family,
				       IKETCP_FRAMING_RFC9329, bad,
				       sizeof(bad), 100);
	EXPECT_EQ(misses, 0)
		TH_LOG("%d of 100 reset streams ended in recv() == 0", misses);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RESET_BAD_LENGTH), 100);
}

TEST_F(rfc, largest_record_received)
{
	ASSERT_EQ(ikt_set_timeouts(self->ike, 20000, 20000), 0);
	peer_send(_metadata, self->peer, IKETCP_FRAMING_RFC9329, 1,
		  IKETCP_MAX_IKE_MSG);
	ike_expect(_metadata, self->ike, 1, IKETCP_MAX_IKE_MSG);
}

/* ========================================================================
 * legacy: draft-ietf-ipsecme-ike-tcp-01 framing rules
 */

FIXTURE(legacy)
{
	int ike, peer;
};

FIXTURE_VARIANT(legacy)
{
	int family;
	bool ike_connects;
};

FIXTURE_VARIANT_ADD(legacy, ipv4_originator)
{
	.family = AF_INET, .ike_connects = true,
};

FIXTURE_VARIANT_ADD(legacy, ipv4_acceptor)
{
	.family = AF_INET, .ike_connects = false,
};

FIXTURE_VARIANT_ADD(legacy, ipv6_originator)
{
	.family = AF_INET6, .ike_connects = true,
};

FIXTURE_VARIANT_ADD(legacy, ipv6_acceptor)
{
	.family = AF_INET6, .ike_connects = false,
};

FIXTURE_SETUP(legacy)
{
	conn_setup(_metadata, variant->family, variant->ike_connects,
		   IKETCP_FRAMING_LEGACY, &self->ike, &self->peer);
}

FIXTURE_TEARDOWN(legacy)
{
	close(self->ike);
	close(self->peer);
}

static void legacy_bad_length(struct __test_metadata *_metadata, int ike,
			      int peer, uint32_t len)
{
	uint8_t hdr[IKT_IKE_HDR];

	peer_send(_metadata, peer, IKETCP_FRAMING_LEGACY, 1, 40);
	ikt_msg(hdr, IKT_IKE_HDR, 2);
	hdr[24] = len >> 24;
	hdr[25] = len >> 16;
	hdr[26] = len >> 8;
	hdr[27] = len;
	ASSERT_EQ(ikt_write_all(peer, hdr, sizeof(hdr)), 0);
	ike_expect(_metadata, ike, 1, 40);
	expect_ike_reset(_metadata, ike, peer);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RESET_LEGACY_LENGTH), 1);
}

TEST_F(legacy, ike_length_27_resets_reset_legacy_length)
{
	legacy_bad_length(_metadata, self->ike, self->peer, 27);
}

TEST_F(legacy, ike_length_0_resets_reset_legacy_length)
{
	legacy_bad_length(_metadata, self->ike, self->peer, 0);
}

TEST_F(legacy, ike_length_65536_resets_reset_legacy_length)
{
	legacy_bad_length(_metadata, self->ike, self->peer, 65536);
}

TEST_F(legacy, ike_length_huge_resets_reset_legacy_length)
{
	legacy_bad_length(_metadata, self->ike, self->peer, 0xffffffff);
}

TEST_F(legacy, records_delimited_by_ike_length)
{
	static uint8_t rec[3 * 300], msg[300];
	size_t n = 0;
	int i;

	/* 28 bytes (header only), then two longer ones, in one write. */
	for (i = 0; i < 3; i++) {
		ikt_msg(msg, 28 + i * 100, i);
		n += ikt_frame(IKETCP_FRAMING_LEGACY, msg, 28 + i * 100,
			       rec + n);
	}
	ASSERT_EQ(ikt_write_all(self->peer, rec, n), 0);
	for (i = 0; i < 3; i++)
		ike_expect(_metadata, self->ike, i, 28 + i * 100);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RX_IKE_MSGS), 3);
}


TEST_F(legacy, fatal_length_then_fin_recv_fails_eproto)
{
	uint8_t bad[IKT_IKE_HDR];
	int misses;

	ikt_msg(bad, IKT_IKE_HDR, 1);
	bad[27] = 27;
	misses = fatal_then_fin_misses(_metadata, variant->family,
				       IKETCP_FRAMING_LEGACY, bad,
				       sizeof(bad), 100);
	EXPECT_EQ(misses, 0)
		TH_LOG("%d of 100 reset streams ended in recv() == 0", misses);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RESET_LEGACY_LENGTH), 100);
}

TEST_F(legacy, largest_message_65535_received)
{
	ASSERT_EQ(ikt_set_timeouts(self->ike, 20000, 20000), 0);
	peer_send(_metadata, self->peer, IKETCP_FRAMING_LEGACY, 1,
		  IKETCP_LEGACY_MAX_MSG);
	ike_expect(_metadata, self->ike, 1, IKETCP_LEGACY_MAX_MSG);
}

TEST_F(legacy, prefix_bytes_are_not_special)
{
	uint8_t b[64];

	/* "IKETCP..." is just the start of an IKE header with a bad length. */
	memset(b, 0xff, sizeof(b));
	memcpy(b, IKT_PREFIX, IKT_PREFIX_LEN);
	ASSERT_EQ(ikt_write_all(self->peer, b, IKT_IKE_HDR), 0);
	expect_ike_reset(_metadata, self->ike, self->peer);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RESET_LEGACY_LENGTH), 1);
	EXPECT_EQ(counter(_metadata, IKETCP_CNT_RESET_BAD_PREFIX), 0);
}

/* ========================================================================
 * garbage: seeded random streams into an iketcp acceptor
 *
 * Each stream is a new connection to one reused listener.  A reference
 * parser written here from the header's rules predicts, for every stream,
 * exactly which counters move and whether the connection is reset; the
 * test compares that with the namespace counters and what recv() returned.
 */

#define GARBAGE_MAX	4096

struct model {
	uint64_t cnt[__IKETCP_CNT_MAX];
	int msgs;
	bool reset;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void model_ike(struct model *m, uint32_t len)
{
	m->cnt[IKETCP_CNT_RX_IKE_MSGS]++;
	m->cnt[IKETCP_CNT_RX_IKE_BYTES] += len;
	m->msgs++;
}

static void model_rfc(const uint8_t *s, size_t n, struct model *m)
{
	static const uint8_t zero[4];
	size_t pos = IKT_PREFIX_LEN, body;
	const uint8_t *b;

	if (memcmp(s, IKT_PREFIX, IKT_PREFIX_LEN)) {
		m->cnt[IKETCP_CNT_RESET_BAD_PREFIX]++;
		m->reset = true;
		return;
	}
	while (pos < n) {
		if (n - pos < 2)
			goto partial;
		body = (size_t)s[pos] << 8 | s[pos + 1];
		if (body < 2) {
			m->cnt[IKETCP_CNT_RESET_BAD_LENGTH]++;
			m->reset = true;
			return;
		}
		body -= 2;
		if (n - pos - 2 < body)
			goto partial;
		b = s + pos + 2;
		pos += 2 + body;
		if (body == 0)
			m->cnt[IKETCP_CNT_RX_EMPTY_RECORDS]++;
		else if (body == 1 && b[0] == 0xff)
			m->cnt[IKETCP_CNT_RX_KEEPALIVES]++;
		else if (body < 4)
			m->cnt[IKETCP_CNT_RX_DROP_RUNT]++;
		else if (memcmp(b, zero, 4))
			m->cnt[body < 8 ? IKETCP_CNT_RX_DROP_RUNT :
			       IKETCP_CNT_RX_DROP_ESP_UNBOUND]++;
		else if (body - 4 >= IKT_IKE_HDR && be32(b + 4 + 24) == body - 4)
			model_ike(m, body - 4);
		else
			m->cnt[IKETCP_CNT_RX_DROP_IKE_LENGTH]++;
	}
	return;
partial:
	m->cnt[IKETCP_CNT_RX_DROP_PARTIAL_EOF]++;
}

static void model_legacy(const uint8_t *s, size_t n, struct model *m)
{
	size_t pos = 0;
	uint32_t len;

	while (pos < n) {
		if (n - pos < IKT_IKE_HDR)
			goto partial;
		len = be32(s + pos + 24);
		if (len < IKT_IKE_HDR || len > IKETCP_LEGACY_MAX_MSG) {
			m->cnt[IKETCP_CNT_RESET_LEGACY_LENGTH]++;
			m->reset = true;
			return;
		}
		if (n - pos < len)
			goto partial;
		model_ike(m, len);
		pos += len;
	}
	return;
partial:
	m->cnt[IKETCP_CNT_RX_DROP_PARTIAL_EOF]++;
}

static void rand_bytes(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = rand();
}

static size_t put16(uint8_t *p, size_t v)
{
	p[0] = v >> 8;
	p[1] = v;
	return 2;
}

/* One random stream (srand() already seeded); returns its length. */
static size_t gen_stream(int framing, uint8_t *s)
{
	uint8_t msg[400];
	size_t n = 0, len, keep;
	int recs = rand() % 8, i;

	if (framing == IKETCP_FRAMING_RFC9329) {
		if (rand() % 10 == 0) {
			rand_bytes(s, IKT_PREFIX_LEN);
			if (!memcmp(s, IKT_PREFIX, IKT_PREFIX_LEN))
				s[0] ^= 1;
		} else {
			memcpy(s, IKT_PREFIX, IKT_PREFIX_LEN);
		}
		n = IKT_PREFIX_LEN;
	}
	for (i = 0; i < recs; i++) {
		int kind = rand() % 10;

		if (framing == IKETCP_FRAMING_LEGACY) {
			len = 28 + rand() % 300;
			ikt_msg(msg, len, rand());
			if (kind == 6)		/* length below 28 */
				msg[24] = msg[25] = msg[26] = 0,
				msg[27] = rand() % 28;
			else if (kind == 7)	/* above the maximum */
				msg[25] |= 1 + rand() % 255;
			else if (kind == 8)	/* raw noise */
				len = 1 + rand() % 60, rand_bytes(msg, len);
			else if (kind == 9)	/* random header */
				rand_bytes(msg, 28), len = 28;
			memcpy(s + n, msg, len);
			n += len;
			continue;
		}
		switch (kind) {
		case 0:			/* valid IKE */
		case 1:			/* IKE whose header length is off */
			len = 28 + rand() % 300;
			ikt_msg(msg, len, rand());
			if (kind == 1)
				msg[27] ^= 1 + rand() % 3;
			n += ikt_frame(framing, msg, len, s + n);
			break;
		case 2:			/* keepalive */
			n += put16(s + n, 3);
			s[n++] = 0xff;
			break;
		case 3:			/* empty */
			n += put16(s + n, 2);
			break;
		case 4:			/* ESP */
			len = 8 + rand() % 100;
			rand_bytes(msg, len);
			msg[0] |= 0x80;
			n += ikt_raw_record(msg, len, s + n);
			break;
		case 5:			/* runt */
			len = 1 + rand() % 7;
			rand_bytes(msg, len);
			msg[0] = 1 + rand() % 0xfe;
			n += ikt_raw_record(msg, len, s + n);
			break;
		case 6:			/* fatal length 0 or 1 */
			n += put16(s + n, rand() % 2);
			break;
		case 7:			/* noise */
			len = 1 + rand() % 50;
			rand_bytes(s + n, len);
			n += len;
			break;
		case 8:			/* zero marker, short IKE */
			len = 4 + rand() % 40;
			memset(msg, 0, len);
			rand_bytes(msg + 4, len - 4);
			n += ikt_raw_record(msg, len, s + n);
			break;
		case 9:			/* random length field and body */
			len = rand() % 300;
			n += put16(s + n, len + 2);
			rand_bytes(s + n, len);
			n += len;
			break;
		}
	}
	/* Cut the stream anywhere (keep the RFC prefix whole). */
	if (rand() % 3 == 0 && n > IKT_PREFIX_LEN) {
		keep = rand() % n + 1;
		if (framing == IKETCP_FRAMING_RFC9329 && keep < IKT_PREFIX_LEN)
			keep = IKT_PREFIX_LEN;
		n = keep;
	}
	if (!n)				/* never an empty legacy stream */
		n = 1, s[0] = 0;
	return n;
}

FIXTURE(garbage)
{
	int lfd;
	uint16_t port;
};

FIXTURE_VARIANT(garbage)
{
	int family;
	int framing;
	unsigned int seed;
};

FIXTURE_VARIANT_ADD(garbage, ipv4_rfc9329)
{
	.family = AF_INET, .framing = IKETCP_FRAMING_RFC9329, .seed = 1,
};

FIXTURE_VARIANT_ADD(garbage, ipv6_rfc9329)
{
	.family = AF_INET6, .framing = IKETCP_FRAMING_RFC9329, .seed = 100001,
};

FIXTURE_VARIANT_ADD(garbage, ipv4_legacy)
{
	.family = AF_INET, .framing = IKETCP_FRAMING_LEGACY, .seed = 200001,
};

FIXTURE_VARIANT_ADD(garbage, ipv6_legacy)
{
	.family = AF_INET6, .framing = IKETCP_FRAMING_LEGACY, .seed = 300001,
};

FIXTURE_SETUP(garbage)
{
	ASSERT_EQ(ikt_netns_new(), 0) TH_LOG("netns: %s", strerror(errno));
	self->lfd = ikt_listen(variant->family, &self->port);
	ASSERT_GE(self->lfd, 0);
}

FIXTURE_TEARDOWN(garbage)
{
	close(self->lfd);
}

TEST_F_TIMEOUT(garbage, random_streams_reset_or_counted_drops, 600)
{
	const char *env = getenv("IKETCP_GARBAGE_STREAMS");
	int streams = env ? atoi(env) : 1000;
	struct gsa_netns prev, cur;
	static uint8_t s[GARBAGE_MAX], buf[BIG];
	uint64_t t0 = ikt_now_ms();
	int i, c, ike, peer, got, resets = 0, msgs = 0;
	unsigned int seed;
	struct model m;
	bool saw_eproto;
	ssize_t n;
	size_t len;

	ASSERT_EQ(ikt_get_netns(&prev), 0);
	for (i = 0; i < streams; i++) {
		seed = variant->seed + i;
		srand(seed);
		len = gen_stream(variant->framing, s);
		memset(&m, 0, sizeof(m));
		if (variant->framing == IKETCP_FRAMING_RFC9329)
			model_rfc(s, len, &m);
		else
			model_legacy(s, len, &m);

		peer = ikt_connect(variant->family, self->port);
		ASSERT_GE(peer, 0) TH_LOG("seed %u: %s", seed, strerror(errno));
		ike = accept(self->lfd, NULL, NULL);
		ASSERT_GE(ike, 0);
		ASSERT_EQ(ikt_set_timeouts(ike, TIMEOUT_MS, TIMEOUT_MS), 0);
		ASSERT_EQ(ikt_attach(ike, variant->framing), 0);
		/* Write as the stream goes; a reset makes the rest fail. */
		if (rand() % 2)
			ikt_nodelay(peer);
		ikt_write_all(peer, s, len);
		close(peer);

		got = 0;
		saw_eproto = false;
		for (;;) {
			n = recv(ike, buf, sizeof(buf), 0);
			if (n == 0)
				break;
			if (n < 0) {
				ASSERT_EQ(errno, EPROTO)
					TH_LOG("seed %u: recv: %s", seed,
					       strerror(errno));
				ASSERT_FALSE(saw_eproto);
				saw_eproto = true;
				continue;
			}
			ASSERT_GE(n, IKT_IKE_HDR);
			ASSERT_EQ(be32(buf + 24), (uint32_t)n)
				TH_LOG("seed %u: message of %zd bytes", seed, n);
			got++;
		}
		close(ike);

		ASSERT_EQ(ikt_get_netns(&cur), 0);
		for (c = 0; c < (int)(sizeof(CNT_RX_ALL) / sizeof(int)); c++) {
			int k = CNT_RX_ALL[c];

			EXPECT_EQ(cur.cnt[k] - prev.cnt[k], m.cnt[k])
				TH_LOG("seed %u: %s moved %llu, expected %llu",
				       seed, cnt_names[k],
				       (unsigned long long)(cur.cnt[k] -
							    prev.cnt[k]),
				       (unsigned long long)m.cnt[k]);
		}
		EXPECT_EQ(got, m.msgs) TH_LOG("seed %u", seed);
		/*
		 * EPROTO only for a reset stream.  (That a reset stream always
		 * reports EPROTO is checked by the *_then_fin_* tests.)
		 */
		if (saw_eproto)
			EXPECT_TRUE(m.reset) TH_LOG("seed %u", seed);
		if (!_metadata->passed)
			break;
		resets += m.reset;
		msgs += got;
		prev = cur;
	}
	ASSERT_EQ(cur.nr_sockets, 0u);
	TH_LOG("%d streams in %llu ms: %d reset, %d IKE messages", i,
	       (unsigned long long)(ikt_now_ms() - t0), resets, msgs);
}

TEST_HARNESS_MAIN
