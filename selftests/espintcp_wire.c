// SPDX-License-Identifier: GPL-2.0
/*
 * Wire conformance of iketcp against the kernel's own RFC 9329 code, the
 * "espintcp" TCP ULP (net/xfrm/espintcp.c, CONFIG_INET_ESPINTCP).
 *
 *  ┌──── ns ewire-esp ─────┐            ┌──── ns ewire-ike ─────┐
 *  │ inner $IN_E (lo)      │            │ inner $IN_I (lo)      │
 *  │ TCP ULP "espintcp" ──────── veth ────── TCP ULP "iketcp"  │
 *  │ $O_E                  │  TCP 4500  │ $O_I                  │
 *  │ SA out 0x1000 encap espintcp       │ SA in 0x1000 (bound)  │
 *  │ SA in  0x2000 encap espintcp       │ SA out 0x2000 (bound) │
 *  └───────────────────────┘            └───────────────────────┘
 *
 * The test does the daemon's duties for espintcp, which knows nothing of
 * the stream prefix and IKE framing beyond the length field:
 *  - espintcp as TCP originator: write "IKETCP" on the plain socket, then
 *    attach; as acceptor: read the 6-byte prefix, then attach;
 *  - sendmsg() takes one record body: an IKE message is sent as the 4-byte
 *    zero non-ESP marker followed by the message, and espintcp prepends the
 *    length (body up to 65533 bytes, so IKE messages up to 65529);
 *  - recvmsg() returns one record body: the marker, then the IKE message;
 *  - a one-byte body 0xFF is written as [00 03 FF], a NAT keepalive.
 *
 * Variants: iketcp as TCP originator or acceptor, IPv4 or IPv6.  On a
 * kernel without espintcp (TCP_ULP "espintcp" fails with ENOENT) every
 * test is skipped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lib/iketcp_test.h"

#define NS_E		"ewire-esp"	/* the espintcp side */
#define NS_I		"ewire-ike"	/* the iketcp side */
#define PORT		4500
#define ESPINTCP_MAX_BODY	65533	/* espintcp.c MAX_ESPINTCP_MSG */
#define MAX_IKE		IKETCP_MAX_IKE_MSG	/* 65529 = 65533 - marker */
#define BUFSZ		(IKETCP_MAX_RECORD + 64)
#define SPI_E2I		0x1000		/* espintcp side -> iketcp side */
#define SPI_I2E		0x2000
#define KEY1 "0x0102030405060708090a0b0c0d0e0f1011121314"
#define KEY2 "0x1112131415161718191a1b1c1d1e1f2021222324"
#define IO_TIMEOUT_MS	30000

static const size_t ike_sizes[] = { 28, 29, 100, 1500, 16000, 65000, MAX_IKE };

/* ---- small helpers ------------------------------------------------------ */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

/*
 * Run a shell command; its output is printed as "# " lines only when it
 * fails (or always with verbose).  Returns the exit status.
 */
static int run(bool verbose, const char *fmt, ...)
{
	char cmd[4096], line[512];
	va_list ap;
	FILE *f;
	char *out = NULL;
	size_t outlen = 0;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		size_t l = strlen(line);
		char *n = realloc(out, outlen + l + 1);

		if (!n)
			break;
		out = n;
		memcpy(out + outlen, line, l + 1);
		outlen += l;
	}
	st = pclose(f);
	st = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	if ((st || verbose) && out) {
		char *s, *save = NULL;

		if (st)
			printf("# command failed (%d): %s\n", st, cmd);
		for (s = strtok_r(out, "\n", &save); s;
		     s = strtok_r(NULL, "\n", &save))
			printf("#   %s\n", s);
	}
	free(out);
	return st;
}

/* Move the calling thread into the network namespace behind nsfd. */
static int enter(int nsfd)
{
	return setns(nsfd, CLONE_NEWNET);
}

static int send_all_esp(int fd, const void *buf, size_t len)
{
	uint64_t end = now_ms() + IO_TIMEOUT_MS;
	ssize_t n;

	/*
	 * espintcp keeps one partly sent record per socket and fails a new
	 * sendmsg() with ENOBUFS while it has one (or while an ESP packet
	 * waits): try again, as a daemon must.
	 */
	for (;;) {
		n = send(fd, buf, len, 0);
		if (n == (ssize_t)len)
			return 0;
		if (n >= 0) {
			errno = EMSGSIZE;
			return -1;
		}
		if ((errno != ENOBUFS && errno != EAGAIN && errno != EINTR) ||
		    now_ms() > end)
			return -1;
		usleep(1000);
	}
}

/* ---- the IKE exchanges, usable from any thread ---------------------------- */

struct xfer {
	int fd_e, fd_i;
	uint8_t *sbuf, *rbuf;
	char err[256];
};

static int xfer_init(struct xfer *x, int fd_e, int fd_i)
{
	x->fd_e = fd_e;
	x->fd_i = fd_i;
	x->sbuf = malloc(BUFSZ);
	x->rbuf = malloc(BUFSZ);
	x->err[0] = 0;
	return x->sbuf && x->rbuf ? 0 : -1;
}

static void xfer_free(struct xfer *x)
{
	free(x->sbuf);
	free(x->rbuf);
}

/* iketcp sends one IKE message; espintcp must return marker + message. */
static int ike_to_esp(struct xfer *x, size_t len, uint32_t id)
{
	uint32_t got;
	ssize_t n;

	ikt_msg(x->sbuf, len, id);
	n = send(x->fd_i, x->sbuf, len, 0);
	if (n != (ssize_t)len) {
		snprintf(x->err, sizeof(x->err), "iketcp send %zu: %zd (%s)",
			 len, n, strerror(errno));
		return -1;
	}
	n = recv(x->fd_e, x->rbuf, BUFSZ, 0);
	if (n != (ssize_t)(len + 4)) {
		snprintf(x->err, sizeof(x->err),
			 "espintcp recv for %zu-byte message id %u: %zd (%s)",
			 len, id, n, n < 0 ? strerror(errno) : "wrong length");
		return -1;
	}
	if (memcmp(x->rbuf, "\0\0\0\0", 4)) {
		snprintf(x->err, sizeof(x->err),
			 "espintcp got no non-ESP marker: %02x%02x%02x%02x",
			 x->rbuf[0], x->rbuf[1], x->rbuf[2], x->rbuf[3]);
		return -1;
	}
	if (memcmp(x->rbuf + 4, x->sbuf, len) || !ikt_msg_ok(x->rbuf + 4, len, &got) ||
	    got != id) {
		snprintf(x->err, sizeof(x->err),
			 "espintcp got a corrupt %zu-byte message (id %u)", len, id);
		return -1;
	}
	return 0;
}

/* espintcp sends marker + IKE message; iketcp must return the message. */
static int esp_to_ike(struct xfer *x, size_t len, uint32_t id)
{
	uint32_t got;
	ssize_t n;

	memset(x->sbuf, 0, 4);
	ikt_msg(x->sbuf + 4, len, id);
	if (send_all_esp(x->fd_e, x->sbuf, len + 4)) {
		snprintf(x->err, sizeof(x->err), "espintcp send %zu: %s",
			 len + 4, strerror(errno));
		return -1;
	}
	n = recv(x->fd_i, x->rbuf, BUFSZ, 0);
	if (n != (ssize_t)len) {
		snprintf(x->err, sizeof(x->err),
			 "iketcp recv for %zu-byte message id %u: %zd (%s)",
			 len, id, n, n < 0 ? strerror(errno) : "wrong length");
		return -1;
	}
	if (memcmp(x->rbuf, x->sbuf + 4, len) || !ikt_msg_ok(x->rbuf, len, &got) ||
	    got != id) {
		snprintf(x->err, sizeof(x->err),
			 "iketcp got a corrupt %zu-byte message (id %u)", len, id);
		return -1;
	}
	return 0;
}

/* ---- the fixture -------------------------------------------------------- */

FIXTURE(wire) {
	int fd_e, fd_i;		/* espintcp socket, iketcp socket */
	int ns_e, ns_i, ns_init;
	uint16_t port_e, port_i;
	const char *o_e, *o_i, *in_e, *in_i;
	int plen;
	bool no_espintcp;
	struct xfer x;
};

FIXTURE_VARIANT(wire) {
	int family;
	bool ike_originator;	/* iketcp side called connect() */
};

FIXTURE_VARIANT_ADD(wire, v4_ike_originator) {
	.family = AF_INET, .ike_originator = true,
};

FIXTURE_VARIANT_ADD(wire, v4_ike_acceptor) {
	.family = AF_INET, .ike_originator = false,
};

FIXTURE_VARIANT_ADD(wire, v6_ike_originator) {
	.family = AF_INET6, .ike_originator = true,
};

FIXTURE_VARIANT_ADD(wire, v6_ike_acceptor) {
	.family = AF_INET6, .ike_originator = false,
};

static socklen_t mkaddr(int family, const char *s, uint16_t port,
			struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		inet_pton(AF_INET, s, &a->sin_addr);
		return sizeof(*a);
	}
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons(port);
	inet_pton(AF_INET6, s, &a6->sin6_addr);
	return sizeof(*a6);
}

static uint16_t local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &l))
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void kill_ns_procs(void)
{
	/* iperf3 servers this test started and that are still there */
	run(false, "for n in " NS_E " " NS_I "; do "
		   "for p in $(ip netns pids $n 2>/dev/null); do "
		   "kill $p; done; done 2>/dev/null; true");
}

FIXTURE_SETUP(wire)
{
	const char *nodad = variant->family == AF_INET6 ? " nodad" : "";
	const char *o_acc;
	struct sockaddr_storage ss;
	socklen_t sl;
	int lfd, cfd, afd, one = 1, i, ns_acc, ns_orig;
	struct timeval tv = { IO_TIMEOUT_MS / 1000, 0 };

	self->fd_e = self->fd_i = -1;
	signal(SIGPIPE, SIG_IGN);
	if (variant->family == AF_INET) {
		self->o_e = "10.93.0.1";
		self->o_i = "10.93.0.2";
		self->in_e = "192.168.93.1";
		self->in_i = "192.168.94.1";
		self->plen = 24;
	} else {
		self->o_e = "fd94::1";
		self->o_i = "fd94::2";
		self->in_e = "fd95::1";
		self->in_i = "fd96::1";
		self->plen = 64;
	}
	kill_ns_procs();
	run(false, "ip netns del " NS_E " 2>/dev/null; "
		   "ip netns del " NS_I " 2>/dev/null; true");
	ASSERT_EQ(run(false,
		"set -e; ip netns add " NS_E "; ip netns add " NS_I "; "
		"ip -n " NS_E " link set lo up; ip -n " NS_I " link set lo up; "
		"ip link add ewire-e netns " NS_E " type veth peer name ewire-i "
		"netns " NS_I "; "
		"ip -n " NS_E " addr add %s/%d dev ewire-e%s; "
		"ip -n " NS_I " addr add %s/%d dev ewire-i%s; "
		"ip -n " NS_E " link set ewire-e up; "
		"ip -n " NS_I " link set ewire-i up",
		self->o_e, self->plen, nodad, self->o_i, self->plen, nodad), 0);

	self->ns_init = open("/proc/self/ns/net", O_RDONLY);
	self->ns_e = open("/run/netns/" NS_E, O_RDONLY);
	self->ns_i = open("/run/netns/" NS_I, O_RDONLY);
	ASSERT_GE(self->ns_init, 0);
	ASSERT_GE(self->ns_e, 0);
	ASSERT_GE(self->ns_i, 0);

	/* The TCP connection: the acceptor listens on its outer address. */
	ns_acc = variant->ike_originator ? self->ns_e : self->ns_i;
	ns_orig = variant->ike_originator ? self->ns_i : self->ns_e;
	o_acc = variant->ike_originator ? self->o_e : self->o_i;
	sl = mkaddr(variant->family, o_acc, PORT, &ss);

	ASSERT_EQ(enter(ns_acc), 0);
	lfd = socket(variant->family, SOCK_STREAM, 0);
	ASSERT_GE(lfd, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ASSERT_EQ(bind(lfd, (struct sockaddr *)&ss, sl), 0)
		TH_LOG("bind: %s", strerror(errno));
	ASSERT_EQ(listen(lfd, 1), 0);

	ASSERT_EQ(enter(ns_orig), 0);
	cfd = socket(variant->family, SOCK_STREAM, 0);
	ASSERT_GE(cfd, 0);
	for (i = 0; i < 100; i++) {
		if (!connect(cfd, (struct sockaddr *)&ss, sl))
			break;
		usleep(50000);
	}
	ASSERT_LT(i, 100) TH_LOG("connect: %s", strerror(errno));
	ASSERT_EQ(enter(ns_acc), 0);
	afd = accept(lfd, NULL, NULL);
	ASSERT_GE(afd, 0);
	close(lfd);
	self->fd_i = variant->ike_originator ? cfd : afd;
	self->fd_e = variant->ike_originator ? afd : cfd;
	ASSERT_EQ(enter(self->ns_init), 0);

	self->port_e = local_port(self->fd_e);
	self->port_i = local_port(self->fd_i);
	setsockopt(self->fd_e, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(self->fd_e, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(self->fd_i, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(self->fd_i, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	ASSERT_EQ(xfer_init(&self->x, self->fd_e, self->fd_i), 0);
}

FIXTURE_TEARDOWN(wire)
{
	if (self->fd_e >= 0)
		close(self->fd_e);
	if (self->fd_i >= 0)
		close(self->fd_i);
	xfer_free(&self->x);
	kill_ns_procs();
	run(false, "ip netns del " NS_E " 2>/dev/null; "
		   "ip netns del " NS_I " 2>/dev/null; true");
}

/*
 * Attach both ULPs and do the prefix, each side as its TCP role wants.
 * raw_keepalive: the iketcp side writes a raw NAT keepalive record before
 * it attaches (possible only as TCP acceptor: an originator's first bytes
 * must be the prefix, which iketcp itself writes after attaching).
 * Returns false (the test is then skipped) when there is no espintcp.
 */
static bool attach_both(struct __test_metadata *_metadata,
			FIXTURE_DATA(wire) *self,
			const FIXTURE_VARIANT(wire) *variant, bool raw_keepalive)
{
	static const char espintcp[] = "espintcp";
	int role = -1, i;

	if (variant->ike_originator) {
		char pfx[IKT_PREFIX_LEN];

		EXPECT_FALSE(raw_keepalive);
		ASSERT_EQ(ikt_attach(self->fd_i, IKETCP_FRAMING_RFC9329), 0)
			TH_LOG("attach iketcp: %s", strerror(errno));
		ASSERT_EQ(ikt_set_role(self->fd_i, IKETCP_ROLE_ORIGINATOR), 0)
			TH_LOG("role: %s", strerror(errno));
		/* espintcp's daemon consumes the prefix, then attaches */
		ASSERT_EQ(ikt_read_all(self->fd_e, pfx, sizeof(pfx)), 0)
			TH_LOG("read prefix: %s", strerror(errno));
		ASSERT_EQ(memcmp(pfx, IKT_PREFIX, IKT_PREFIX_LEN), 0);
		if (setsockopt(self->fd_e, IPPROTO_TCP, TCP_ULP, espintcp,
			       sizeof(espintcp))) {
			ASSERT_EQ(errno, ENOENT) TH_LOG("attach espintcp: %s",
							strerror(errno));
			self->no_espintcp = true;
			return false;
		}
		return true;
	}
	/* espintcp's daemon writes the prefix as TCP originator */
	ASSERT_EQ(ikt_write_all(self->fd_e, IKT_PREFIX, IKT_PREFIX_LEN), 0);
	if (setsockopt(self->fd_e, IPPROTO_TCP, TCP_ULP, espintcp,
		       sizeof(espintcp))) {
		ASSERT_EQ(errno, ENOENT) TH_LOG("attach espintcp: %s",
						strerror(errno));
		self->no_espintcp = true;
		return false;
	}
	if (raw_keepalive)
		ASSERT_EQ(ikt_write_all(self->fd_i, "\x00\x03\xff", 3), 0);
	ASSERT_EQ(ikt_attach(self->fd_i, IKETCP_FRAMING_RFC9329), 0)
		TH_LOG("attach iketcp: %s", strerror(errno));
	/*
	 * No role set: the prefix espintcp's daemon wrote makes this socket
	 * the acceptor, whether it arrived before the attach or after.
	 */
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(ikt_get_int(self->fd_i, IKETCP_ROLE, &role), 0);
		if (role != IKETCP_ROLE_UNKNOWN)
			break;
		usleep(20000);
	}
	ASSERT_EQ(role, IKETCP_ROLE_ACCEPTOR);
	return true;
}

#define ATTACH(raw_ka) do { \
	if (!attach_both(_metadata, self, variant, raw_ka)) \
		SKIP(return, "no espintcp ULP in this kernel (CONFIG_INET_ESPINTCP)"); \
} while (0)

/* The iketcp socket's counters, read in its namespace. */
static int ike_sock_info(FIXTURE_DATA(wire) *self, struct gsa_sock *info)
{
	bool found = false;
	int ret;

	if (enter(self->ns_i))
		return -1;
	ret = ikt_get_socket(ikt_fd_inode(self->fd_i), info, &found);
	enter(self->ns_init);
	if (ret < 0)
		return -1;
	if (!found) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

/* A field of /proc/net/xfrm_stat in the espintcp namespace, -1 if none. */
static long long esp_xfrm_stat(const char *name)
{
	char cmd[256], line[128];
	long long v = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "ip netns exec " NS_E " cat /proc/net/xfrm_stat 2>/dev/null");
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char n[64];
		long long x;

		if (sscanf(line, "%63s %lld", n, &x) == 2 && !strcmp(n, name))
			v = x;
	}
	pclose(f);
	return v;
}

/* ---- IKE messages ------------------------------------------------------- */

/* Every size from 28 to the largest, each way, whole and byte-identical. */
TEST_F_TIMEOUT(wire, ike_sizes, 120)
{
	struct gsa_sock info;
	uint32_t id = 1;
	size_t i;

	ATTACH(false);
	for (i = 0; i < sizeof(ike_sizes) / sizeof(ike_sizes[0]); i++) {
		ASSERT_EQ(ike_to_esp(&self->x, ike_sizes[i], id++), 0)
			TH_LOG("%s", self->x.err);
		ASSERT_EQ(esp_to_ike(&self->x, ike_sizes[i], id++), 0)
			TH_LOG("%s", self->x.err);
	}
	/* and the other order: espintcp speaks first */
	for (i = 0; i < sizeof(ike_sizes) / sizeof(ike_sizes[0]); i++) {
		ASSERT_EQ(esp_to_ike(&self->x, ike_sizes[i], id++), 0)
			TH_LOG("%s", self->x.err);
		ASSERT_EQ(ike_to_esp(&self->x, ike_sizes[i], id++), 0)
			TH_LOG("%s", self->x.err);
	}
	ASSERT_EQ(ike_sock_info(self, &info), 0) TH_LOG("%s", strerror(errno));
	EXPECT_EQ((long long)info.cnt[IKETCP_CNT_RX_IKE_MSGS], 14);
	EXPECT_EQ((long long)info.cnt[IKETCP_CNT_TX_IKE_MSGS], 14);
	EXPECT_EQ((long long)info.cnt[IKETCP_CNT_RX_DROP_IKE_LENGTH], 0);
	EXPECT_EQ((long long)info.cnt[IKETCP_CNT_RX_DROP_RUNT], 0);
	EXPECT_EQ((long long)info.cnt[IKETCP_CNT_RX_DROP_ESP_UNBOUND], 0);
}

/*
 * No explicit role: the iketcp originator's first send() puts the prefix
 * and the first record out together; espintcp's daemon reads the 6 prefix
 * bytes, attaches, and the record already queued must come out whole.  The
 * iketcp acceptor learns its role from the prefix espintcp's daemon wrote.
 */
TEST_F(wire, ike_inferred_role)
{
	static const char espintcp[] = "espintcp";
	char pfx[IKT_PREFIX_LEN];
	int role = -1;

	if (!variant->ike_originator) {
		/* attach_both() leaves the acceptor's role to inference */
		ATTACH(false);
		ASSERT_EQ(esp_to_ike(&self->x, 1500, 1), 0) TH_LOG("%s", self->x.err);
		ASSERT_EQ(ike_to_esp(&self->x, 1500, 2), 0) TH_LOG("%s", self->x.err);
		return;
	}
	ASSERT_EQ(ikt_attach(self->fd_i, IKETCP_FRAMING_RFC9329), 0);
	ikt_msg(self->x.sbuf, 3000, 1);
	ASSERT_EQ(send(self->fd_i, self->x.sbuf, 3000, 0), 3000);
	ASSERT_EQ(ikt_get_int(self->fd_i, IKETCP_ROLE, &role), 0);
	ASSERT_EQ(role, IKETCP_ROLE_ORIGINATOR);
	usleep(100000);		/* let the record arrive behind the prefix */
	ASSERT_EQ(ikt_read_all(self->fd_e, pfx, sizeof(pfx)), 0);
	ASSERT_EQ(memcmp(pfx, IKT_PREFIX, IKT_PREFIX_LEN), 0);
	if (setsockopt(self->fd_e, IPPROTO_TCP, TCP_ULP, espintcp,
		       sizeof(espintcp))) {
		ASSERT_EQ(errno, ENOENT);
		SKIP(return, "no espintcp ULP in this kernel (CONFIG_INET_ESPINTCP)");
	}
	ASSERT_EQ(recv(self->fd_e, self->x.rbuf, BUFSZ, 0), 3004)
		TH_LOG("espintcp recv: %s", strerror(errno));
	ASSERT_EQ(memcmp(self->x.rbuf, "\0\0\0\0", 4), 0);
	ASSERT_EQ(memcmp(self->x.rbuf + 4, self->x.sbuf, 3000), 0);
	ASSERT_EQ(esp_to_ike(&self->x, 1500, 2), 0) TH_LOG("%s", self->x.err);
	ASSERT_EQ(ike_to_esp(&self->x, 28, 3), 0) TH_LOG("%s", self->x.err);
}

/* Both ends refuse the same first size past the limit. */
TEST_F(wire, max_size_agrees)
{
	uint8_t *buf = self->x.sbuf;

	ATTACH(false);
	memset(buf, 0, BUFSZ);
	ikt_msg(buf + 4, MAX_IKE + 1, 7);
	/* espintcp: a body (marker + message) above 65533 */
	EXPECT_EQ(send(self->fd_e, buf, MAX_IKE + 1 + 4, 0), -1);
	EXPECT_EQ(errno, EMSGSIZE);
	EXPECT_EQ(send(self->fd_i, buf + 4, MAX_IKE + 1, 0), -1);
	EXPECT_EQ(errno, EMSGSIZE);
	/* and the limit itself works both ways after the refusals */
	ASSERT_EQ(ike_to_esp(&self->x, MAX_IKE, 8), 0) TH_LOG("%s", self->x.err);
	ASSERT_EQ(esp_to_ike(&self->x, MAX_IKE, 9), 0) TH_LOG("%s", self->x.err);
}

/*
 * Many records back to back, so each side parses records split across and
 * coalesced within TCP segments.  The total stays below espintcp's receive
 * buffer: espintcp drops IKE messages beyond sk_rcvbuf instead of pausing.
 */
TEST_F_TIMEOUT(wire, ike_back_to_back, 120)
{
	static const size_t sz[] = { 28, 333, 1500, 29, 4000, 2048, 77, 9000 };
	struct gsa_sock info;
	uint8_t *msg = self->x.sbuf, *buf = self->x.rbuf;
	uint32_t id, got;
	int i, n = 40;
	ssize_t r;

	ATTACH(false);
	/*
	 * espintcp charges IKE messages by truesize against sk_rcvbuf, which
	 * debug kernels inflate: leave it room for the whole burst.
	 */
	i = 8 << 20;
	ASSERT_EQ(setsockopt(self->fd_e, SOL_SOCKET, SO_RCVBUFFORCE, &i,
			     sizeof(i)), 0);
	for (i = 0; i < n; i++) {
		size_t len = sz[i % 8];

		ikt_msg(msg, len, 100 + i);
		ASSERT_EQ(send(self->fd_i, msg, len, 0), (ssize_t)len);
		memset(msg, 0, 4);
		ikt_msg(msg + 4, len, 200 + i);
		ASSERT_EQ(send_all_esp(self->fd_e, msg, len + 4), 0)
			TH_LOG("espintcp send: %s", strerror(errno));
	}
	for (i = 0; i < n; i++) {
		size_t len = sz[i % 8];

		r = recv(self->fd_e, buf, BUFSZ, 0);
		ASSERT_EQ(r, (ssize_t)len + 4) TH_LOG("espintcp recv #%d: %s",
						     i, strerror(errno));
		ASSERT_EQ(memcmp(buf, "\0\0\0\0", 4), 0);
		ASSERT_TRUE(ikt_msg_ok(buf + 4, len, &got));
		ASSERT_EQ(got, (uint32_t)(100 + i));
		r = recv(self->fd_i, buf, BUFSZ, 0);
		ASSERT_EQ(r, (ssize_t)len) TH_LOG("iketcp recv #%d: %s", i,
						  strerror(errno));
		ASSERT_TRUE(ikt_msg_ok(buf, len, &id));
		ASSERT_EQ(id, (uint32_t)(200 + i));
	}
	ASSERT_EQ(ike_sock_info(self, &info), 0);
	EXPECT_EQ((long long)info.cnt[IKETCP_CNT_RX_IKE_MSGS], n);
	EXPECT_EQ((long long)info.cnt[IKETCP_CNT_RX_DROP_RUNT], 0);
}

/* ---- NAT keepalives ----------------------------------------------------- */

/* espintcp writes [00 03 FF] for a one-byte body 0xFF; iketcp drops it. */
TEST_F(wire, keepalive_to_iketcp)
{
	struct gsa_sock info;

	ATTACH(false);
	/* first record of the stream, then between messages, then a pair */
	ASSERT_EQ(send_all_esp(self->fd_e, "\xff", 1), 0);
	ASSERT_EQ(esp_to_ike(&self->x, 28, 1), 0) TH_LOG("%s", self->x.err);
	ASSERT_EQ(send_all_esp(self->fd_e, "\xff", 1), 0);
	ASSERT_EQ(esp_to_ike(&self->x, 1500, 2), 0) TH_LOG("%s", self->x.err);
	ASSERT_EQ(send_all_esp(self->fd_e, "\xff", 1), 0);
	ASSERT_EQ(send_all_esp(self->fd_e, "\xff", 1), 0);
	ASSERT_EQ(esp_to_ike(&self->x, MAX_IKE, 3), 0) TH_LOG("%s", self->x.err);
	ASSERT_EQ(ike_to_esp(&self->x, 100, 4), 0) TH_LOG("%s", self->x.err);
	ASSERT_EQ(ike_sock_info(self, &info), 0) TH_LOG("%s", strerror(errno));
	EXPECT_EQ((long long)info.cnt[IKETCP_CNT_RX_KEEPALIVES], 4);
	EXPECT_EQ((long long)info.cnt[IKETCP_CNT_RX_IKE_MSGS], 3);
	EXPECT_EQ((long long)info.cnt[IKETCP_CNT_RX_DROP_RUNT], 0);
	EXPECT_EQ((long long)info.cnt[IKETCP_CNT_RX_DROP_ESP_UNBOUND], 0);
	EXPECT_EQ((long long)info.cnt[IKETCP_CNT_RX_EMPTY_RECORDS], 0);
}

/*
 * A keepalive record from the iketcp side is dropped by espintcp: the next
 * IKE message is the first thing recv() returns, and espintcp counted no
 * header error (its "other short messages" path).  iketcp has no call that
 * sends a keepalive, so the record is written on the plain socket before
 * the attach, which only the TCP acceptor may do.
 */
TEST_F(wire, keepalive_to_espintcp)
{
	long long hdr_err;

	if (variant->ike_originator)
		SKIP(return, "iketcp cannot send a keepalive after its prefix (no API)");
	hdr_err = esp_xfrm_stat("XfrmInHdrError");
	ATTACH(true);
	if (hdr_err < 0)
		TH_LOG("no /proc/net/xfrm_stat (CONFIG_XFRM_STATISTICS)");
	ASSERT_EQ(ike_to_esp(&self->x, 28, 1), 0) TH_LOG("%s", self->x.err);
	ASSERT_EQ(ike_to_esp(&self->x, 16000, 2), 0) TH_LOG("%s", self->x.err);
	ASSERT_EQ(esp_to_ike(&self->x, 100, 3), 0) TH_LOG("%s", self->x.err);
	EXPECT_EQ(esp_xfrm_stat("XfrmInHdrError"), hdr_err);
}

/* ---- ESP in the stream -------------------------------------------------- */

static int iketcp_bind_sa(int sock_fd, uint8_t dir, uint32_t spi_host)
{
	struct gsa_sa sa = gsa_sa_make(dir, spi_host);
	struct gsa_nl nl;
	int err = gsa_open(&nl);

	if (!err) {
		err = gsa_bind(&nl, sock_fd, &sa, NULL);
		gsa_close(&nl);
	}
	if (err) {
		errno = -err;
		return -1;
	}
	return 0;
}

/*
 * Static-key tunnel-mode SAs.  The espintcp side's states carry "encap
 * espintcp LOCALPORT PEERPORT": esp_find_tcp_sk() looks up the established
 * socket (local = SA source, port encap_sport; remote = SA destination, port
 * encap_dport), and input demands a state whose encap type is espintcp.  The
 * iketcp side's states have no encap and are bound to the socket.
 */
static void setup_esp(struct __test_metadata *_metadata,
		      FIXTURE_DATA(wire) *self, const FIXTURE_VARIANT(wire) *variant)
{
	const char *oa = variant->family == AF_INET ? "0.0.0.0" : "::";
	const char *aead = "aead 'rfc4106(gcm(aes))'";

	ASSERT_EQ(run(false,
		"set -e; E='ip -n " NS_E "'; I='ip -n " NS_I "'; "
		"$E xfrm state add src %1$s dst %2$s proto esp spi %5$#x mode tunnel "
		"%7$s " KEY1 " 128 encap espintcp %9$u %10$u %8$s; "
		"$E xfrm state add src %2$s dst %1$s proto esp spi %6$#x mode tunnel "
		"%7$s " KEY2 " 128 encap espintcp %10$u %9$u %8$s; "
		"$I xfrm state add src %1$s dst %2$s proto esp spi %5$#x mode tunnel "
		"%7$s " KEY1 " 128; "
		"$I xfrm state add src %2$s dst %1$s proto esp spi %6$#x mode tunnel "
		"%7$s " KEY2 " 128; "
		"$E xfrm policy add src %3$s dst %4$s dir out tmpl src %1$s dst %2$s "
		"proto esp mode tunnel; "
		"$E xfrm policy add src %4$s dst %3$s dir in tmpl src %2$s dst %1$s "
		"proto esp mode tunnel; "
		"$I xfrm policy add src %4$s dst %3$s dir out tmpl src %2$s dst %1$s "
		"proto esp mode tunnel; "
		"$I xfrm policy add src %3$s dst %4$s dir in tmpl src %1$s dst %2$s "
		"proto esp mode tunnel; "
		"$E addr add %3$s dev lo; $I addr add %4$s dev lo; "
		"$E route add %4$s via %2$s src %3$s; "
		"$I route add %3$s via %1$s src %4$s",
		self->o_e, self->o_i, self->in_e, self->in_i, SPI_E2I, SPI_I2E,
		aead, oa, self->port_e, self->port_i), 0);
	ASSERT_EQ(enter(self->ns_i), 0);
	ASSERT_EQ(iketcp_bind_sa(self->fd_i, IKETCP_DIR_IN, SPI_E2I), 0)
		TH_LOG("bind in: %s", strerror(errno));
	ASSERT_EQ(iketcp_bind_sa(self->fd_i, IKETCP_DIR_OUT, SPI_I2E), 0)
		TH_LOG("bind out: %s", strerror(errno));
	ASSERT_EQ(enter(self->ns_init), 0);
}

static void show_state(void)
{
	run(true, "for n in " NS_E " " NS_I "; do echo \"== $n\"; "
		  "ip -n $n -s xfrm state | grep -E '^src|encap|lifetime current' -A1 | head -40; "
		  "ip netns exec $n cat /proc/net/xfrm_stat | grep -v ' 0$'; "
		  "ip netns exec $n nstat -az 2>/dev/null | grep -iE 'TcpExt(TCPAbort|TCPRcvQDrop)|TcpRetransSegs' ; "
		  "done");
}

static int ping_both(FIXTURE_DATA(wire) *self, int count)
{
	int r1, r2;

	r1 = run(false, "ip netns exec " NS_E " ping -q -c %d -i 0.2 -W 2 -I %s %s",
		 count, self->in_e, self->in_i);
	r2 = run(false, "ip netns exec " NS_I " ping -q -c %d -i 0.2 -W 2 -I %s %s",
		 count, self->in_i, self->in_e);
	return r1 || r2;
}

TEST_F_TIMEOUT(wire, esp_ping, 120)
{
	struct gsa_sock info;

	ATTACH(false);
	/* the first IKE exchange, as a daemon would have done */
	ASSERT_EQ(ike_to_esp(&self->x, 200, 1), 0) TH_LOG("%s", self->x.err);
	ASSERT_EQ(esp_to_ike(&self->x, 200, 2), 0) TH_LOG("%s", self->x.err);
	setup_esp(_metadata, self, variant);
	if (ping_both(self, 5)) {
		show_state();
		ASSERT_TRUE(0) TH_LOG("ping through espintcp <-> iketcp failed");
	}
	ASSERT_EQ(ike_sock_info(self, &info), 0);
	TH_LOG("iketcp: rx_esp_pkts %llu tx_esp_pkts %llu",
	       (unsigned long long)info.cnt[IKETCP_CNT_RX_ESP_PKTS],
	       (unsigned long long)info.cnt[IKETCP_CNT_TX_ESP_PKTS]);
	EXPECT_GE((long long)info.cnt[IKETCP_CNT_RX_ESP_PKTS], 10);
	EXPECT_GE((long long)info.cnt[IKETCP_CNT_TX_ESP_PKTS], 10);
	EXPECT_EQ((long long)info.cnt[IKETCP_CNT_RX_DROP_ESP_UNBOUND], 0);
	EXPECT_EQ((long long)info.cnt[IKETCP_CNT_RX_DROP_RUNT], 0);
	/* IKE still works after ESP went both ways */
	ASSERT_EQ(ike_to_esp(&self->x, MAX_IKE, 3), 0) TH_LOG("%s", self->x.err);
	ASSERT_EQ(esp_to_ike(&self->x, MAX_IKE, 4), 0) TH_LOG("%s", self->x.err);
}

/* IKE exchanges in both directions until told to stop. */
struct ike_loop {
	struct xfer x;
	volatile bool stop;
	int exchanges;
	int failed;
	uint64_t max_ms;
};

static void *ike_loop_fn(void *arg)
{
	static const size_t sz[] = { 28, 1500, 16000, MAX_IKE, 4000 };
	struct ike_loop *l = arg;
	uint32_t id = 1000;
	int i = 0;

	while (!l->stop) {
		size_t len = sz[i++ % 5];
		uint64_t t = now_ms();

		if (ike_to_esp(&l->x, len, id++) || esp_to_ike(&l->x, len, id++)) {
			l->failed = 1;
			break;
		}
		t = now_ms() - t;
		if (t > l->max_ms)
			l->max_ms = t;
		l->exchanges++;
		usleep(20000);
	}
	return NULL;
}

static int iperf(FIXTURE_DATA(wire) *self, bool server_on_ike, bool reverse)
{
	const char *srv_ns = server_on_ike ? NS_I : NS_E;
	const char *cli_ns = server_on_ike ? NS_E : NS_I;
	const char *srv = server_on_ike ? self->in_i : self->in_e;
	const char *cli = server_on_ike ? self->in_e : self->in_i;

	if (run(false, "ip netns exec %s iperf3 -s -1 -D -B %s", srv_ns, srv))
		return -1;
	usleep(700000);
	return run(true, "ip netns exec %s timeout 60 iperf3 -c %s -B %s -t 3 %s "
		   ">/tmp/ewire-iperf.$$ 2>&1; rc=$?; "
		   "grep -E 'sender|receiver|error' /tmp/ewire-iperf.$$; "
		   "rm -f /tmp/ewire-iperf.$$; exit $rc",
		   cli_ns, srv, cli, reverse ? "-R" : "");
}

/*
 * iperf3 through the tunnel, both directions and both client sides, while
 * IKE messages up to the largest size go back and forth on the same TCP
 * connection: every one must arrive whole.
 */
TEST_F_TIMEOUT(wire, esp_iperf3_with_ike, 300)
{
	struct gsa_sock info;
	struct ike_loop l = { 0 };
	pthread_t th;
	int r[4];

	ATTACH(false);
	ASSERT_EQ(ike_to_esp(&self->x, 200, 1), 0) TH_LOG("%s", self->x.err);
	ASSERT_EQ(esp_to_ike(&self->x, 200, 2), 0) TH_LOG("%s", self->x.err);
	setup_esp(_metadata, self, variant);
	if (ping_both(self, 2)) {
		show_state();
		ASSERT_TRUE(0) TH_LOG("ping through the tunnel failed");
	}
	ASSERT_EQ(xfer_init(&l.x, self->fd_e, self->fd_i), 0);
	ASSERT_EQ(pthread_create(&th, NULL, ike_loop_fn, &l), 0);
	r[0] = iperf(self, true, false);
	r[1] = iperf(self, true, true);
	r[2] = iperf(self, false, false);
	r[3] = iperf(self, false, true);
	l.stop = true;
	pthread_join(th, NULL);
	TH_LOG("%d IKE exchanges during iperf3 (slowest %llu ms)%s%s",
	       l.exchanges, (unsigned long long)l.max_ms,
	       l.failed ? ", failed: " : "", l.failed ? l.x.err : "");
	if (r[0] || r[1] || r[2] || r[3])
		show_state();
	EXPECT_EQ(r[0], 0) TH_LOG("iperf3 espintcp side -> iketcp side");
	EXPECT_EQ(r[1], 0) TH_LOG("iperf3 -R, server on the iketcp side");
	EXPECT_EQ(r[2], 0) TH_LOG("iperf3 iketcp side -> espintcp side");
	EXPECT_EQ(r[3], 0) TH_LOG("iperf3 -R, server on the espintcp side");
	EXPECT_EQ(l.failed, 0) TH_LOG("IKE during iperf3: %s", l.x.err);
	EXPECT_GT(l.exchanges, 0);
	xfer_free(&l.x);
	ASSERT_EQ(ike_sock_info(self, &info), 0);
	TH_LOG("iketcp: rx_esp_pkts %llu tx_esp_pkts %llu tx_drop_esp_queue_full %llu "
	       "rx_backpressure %llu",
	       (unsigned long long)info.cnt[IKETCP_CNT_RX_ESP_PKTS],
	       (unsigned long long)info.cnt[IKETCP_CNT_TX_ESP_PKTS],
	       (unsigned long long)info.cnt[IKETCP_CNT_TX_DROP_ESP_QUEUE_FULL],
	       (unsigned long long)info.cnt[IKETCP_CNT_RX_BACKPRESSURE]);
	EXPECT_EQ((long long)info.cnt[IKETCP_CNT_RX_DROP_ESP_UNBOUND], 0);
	EXPECT_EQ((long long)info.cnt[IKETCP_CNT_RX_DROP_RUNT], 0);
	EXPECT_EQ((long long)info.cnt[IKETCP_CNT_RX_DROP_IKE_LENGTH], 0);
	/* the connection is still good */
	ASSERT_EQ(ike_to_esp(&self->x, MAX_IKE, 5), 0) TH_LOG("%s", self->x.err);
	ASSERT_EQ(esp_to_ike(&self->x, MAX_IKE, 6), 0) TH_LOG("%s", self->x.err);
}

TEST_HARNESS_MAIN
