// SPDX-License-Identifier: GPL-2.0
/*
 * The "iketcp" generic netlink family seen from userspace: SA binding
 * (BIND_SA, UNBIND_SA, the SAs in the GET_SOCKETS dump, NR_BINDINGS),
 * request validation and its extended ACK messages, permissions, the
 * "events" multicast group, scale, and module unload with bindings left.
 * include/uapi/linux/iketcp.h is the specification; one test per rule.
 *
 * Each test runs in a forked child that first moves to a network namespace
 * of its own, so bindings and counters start empty.  The connections run
 * over loopback with different addresses at the two ends (127.0.0.2 ->
 * 127.0.0.1, ::2 -> ::1), so the default SA addresses taken from the socket
 * are told apart.
 *
 * Fixtures:
 *   genl     binding, validation, permissions, events (IPv4, IPv6)
 *   scale    1000 bindings on 100 connections, dump, orphans, netns exit
 *   rmmod    unloading the module with bindings (runs last; reloads it
 *            from $IKETCP_MODULE)
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

#define TIMEOUT_MS	5000
#define EVENT_MS	3000

/* in6_ifreq of <linux/ipv6.h>, which clashes with <netinet/in.h>. */
struct ikt_in6_ifreq {
	struct in6_addr addr;
	uint32_t prefixlen;
	int ifindex;
};

/* A request nest with dir and spi only, as an rvalue pointer. */
#define SA(d, s) (&(struct gsa_sa){ .dir = (d), .spi_set = true,	\
		.spi = (s), .encap = -1, .sport = -1, .dport = -1 })

static void msleep(int ms)
{
	usleep(ms * 1000);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

/* The TCP acceptor's address (listener) and the originator's (client). */
static void addr_of(int family, bool client, uint8_t *out, int *len)
{
	memset(out, 0, 16);
	if (family == AF_INET) {
		out[0] = 127;
		out[3] = client ? 2 : 1;
		*len = 4;
	} else {
		out[15] = client ? 2 : 1;
		*len = 16;
	}
}

/* IPv6: put ::2 on lo (loopback has no DAD, but the add is asynchronous). */
static int add_v6_addr(void)
{
	struct ikt_in6_ifreq r = { .prefixlen = 128 };
	int fd, ret;

	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	r.addr.s6_addr[15] = 2;
	r.ifindex = if_nametoindex("lo");
	ret = ioctl(fd, SIOCSIFADDR, &r);
	if (ret && errno == EEXIST)
		ret = 0;
	close(fd);
	return ret;
}

/* Bind fd to the client address of family, retrying while it is tentative. */
static int bind_client(int fd, int family)
{
	struct sockaddr_storage ss = {};
	socklen_t len;
	uint8_t a[16];
	int alen, tries;

	addr_of(family, true, a, &alen);
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, a, 4);
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, a, 16);
		len = sizeof(*s);
	}
	for (tries = 0; tries < 300; tries++) {
		if (!bind(fd, (struct sockaddr *)&ss, len))
			return 0;
		if (errno != EADDRNOTAVAIL)
			return -1;
		msleep(10);
	}
	return -1;
}

/* A connection from the client address to lfd (listening on port). */
static int pair_on(int family, int lfd, uint16_t port, int *cli, int *srv)
{
	struct sockaddr_storage ss = {};
	socklen_t len;
	uint8_t a[16];
	int alen;

	*cli = socket(family, SOCK_STREAM, 0);
	if (*cli < 0)
		return -1;
	addr_of(family, false, a, &alen);
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		memcpy(&s->sin_addr, a, 4);
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		memcpy(&s->sin6_addr, a, 16);
		len = sizeof(*s);
	}
	if (bind_client(*cli, family) ||
	    connect(*cli, (struct sockaddr *)&ss, len)) {
		close(*cli);
		return -1;
	}
	*srv = accept(lfd, NULL, NULL);
	if (*srv < 0) {
		close(*cli);
		return -1;
	}
	return 0;
}

/* ---- ESP packets without XFRM ---------------------------------------------
 *
 * The output hook takes any bare ESP packet to a bound (daddr, SPI), so a
 * raw IPPROTO_ESP socket stands in for XFRM: the tests see exactly what
 * was sent, and need no keys.
 */

/* Body of ESP packet seq of SPI spi, len bytes. */
static void esp_body(uint8_t *p, size_t len, uint32_t spi, uint32_t seq)
{
	size_t i;

	p[0] = spi >> 24;
	p[1] = spi >> 16;
	p[2] = spi >> 8;
	p[3] = spi;
	p[4] = seq >> 24;
	p[5] = seq >> 16;
	p[6] = seq >> 8;
	p[7] = seq;
	for (i = 8; i < len; i++)
		p[i] = (uint8_t)(seq * 31 + i);
}

static socklen_t sockaddr_of(int family, const uint8_t *addr,
			     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, addr, 4);
		return sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, addr, 16);
		return sizeof(*s);
	}
}

/*
 * Send one bare ESP packet of len bytes to daddr: 0, or -1 with errno (a
 * packet the output hook drops may fail with EPERM, or not).
 */
static int raw_esp_send(int family, const uint8_t *daddr, uint32_t spi,
			uint32_t seq, size_t len)
{
	static uint8_t pkt[65535];
	struct sockaddr_storage ss;
	socklen_t sl = sockaddr_of(family, daddr, &ss);
	int fd, ret, err;

	fd = socket(family, SOCK_RAW, IPPROTO_ESP);
	if (fd < 0)
		return -1;
	esp_body(pkt, len, spi, seq);
	ret = sendto(fd, pkt, len, 0, (struct sockaddr *)&ss, sl) ==
	      (ssize_t)len ? 0 : -1;
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

/* A raw socket that sees every ESP packet delivered in this namespace. */
static int raw_esp_listener(int family)
{
	struct timeval tv = { 0, 300 * 1000 };
	int fd = socket(family, SOCK_RAW, IPPROTO_ESP);

	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* How many packets of SPI spi fd receives before it is quiet for 300 ms. */
static int raw_esp_count(int fd, int family, uint32_t spi)
{
	static uint8_t buf[65535 + 60];
	int n = 0;
	ssize_t len;

	while ((len = recv(fd, buf, sizeof(buf), 0)) > 0) {
		size_t off = family == AF_INET ? (buf[0] & 0xf) * 4 : 0;
		uint32_t got;

		if ((size_t)len < off + 4)
			continue;
		got = (uint32_t)buf[off] << 24 | buf[off + 1] << 16 |
		      buf[off + 2] << 8 | buf[off + 3];
		n += got == spi;
	}
	return n;
}

/*
 * Read one ESP record from a plain TCP peer: its ESP packet must be the
 * esp_body() of (spi, seq, len).  Returns 0, or -1 (errno EBADMSG if not).
 */
static int read_esp_record(int fd, uint32_t spi, uint32_t seq, size_t len)
{
	static uint8_t got[65535], want[65535];
	uint8_t hdr[2];

	if (ikt_read_all(fd, hdr, 2))
		return -1;
	if (((size_t)hdr[0] << 8 | hdr[1]) != len + 2 ||
	    ikt_read_all(fd, got, len)) {
		errno = EBADMSG;
		return -1;
	}
	esp_body(want, len, spi, seq);
	if (memcmp(got, want, len)) {
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

static int pair(int family, int *cli, int *srv)
{
	uint16_t port;
	int lfd, ret;

	if (family == AF_INET6 && add_v6_addr())
		return -1;
	lfd = ikt_listen(family, &port);
	if (lfd < 0)
		return -1;
	ret = pair_on(family, lfd, port, cli, srv);
	close(lfd);
	return ret;
}

/*
 * Attach iketcp to both ends and settle the roles the way a daemon does:
 * the client sends one IKE message (originator), the server receives it
 * (acceptor).
 */
static int attach_pair(int cli, int srv)
{
	uint8_t msg[64], buf[128];

	if (ikt_set_timeouts(cli, TIMEOUT_MS, TIMEOUT_MS) ||
	    ikt_set_timeouts(srv, TIMEOUT_MS, TIMEOUT_MS) ||
	    ikt_attach(cli, IKETCP_FRAMING_RFC9329) ||
	    ikt_attach(srv, IKETCP_FRAMING_RFC9329))
		return -1;
	ikt_msg(msg, sizeof(msg), 1);
	if (send(cli, msg, sizeof(msg), 0) != sizeof(msg))
		return -1;
	if (recv(srv, buf, sizeof(buf), 0) != sizeof(msg)) {
		errno = errno ?: EBADMSG;
		return -1;
	}
	return 0;
}

/*
 * ret and ack are what a request returned; want the errno expected (0: the
 * request must succeed); want2 another acceptable errno (0: none).  A
 * failure must carry an extack message containing substr (NULL: any
 * non-empty message).
 */
static void check_ack(struct __test_metadata *_metadata, const char *what,
		      int ret, const struct gsa_ack *ack, int want, int want2,
		      const char *substr)
{
	if (!want) {
		EXPECT_EQ(ret, 0)
			TH_LOG("%s: %s (extack \"%s\")", what, strerror(-ret),
			       ack->msg);
		return;
	}
	if (want2 && ret == -want2)
		want = want2;
	EXPECT_EQ(ret, -want)
		TH_LOG("%s: got %d (%s), want %s; extack \"%s\"", what, ret,
		       strerror(-ret), strerror(want), ack->msg);
	if (substr) {
		EXPECT_NE(strstr(ack->msg, substr), NULL)
			TH_LOG("%s: extack \"%s\" does not say \"%s\" (miss_type %d)",
			       what, ack->msg, substr, ack->miss_type);
	} else {
		EXPECT_NE(ack->msg[0], 0)
			TH_LOG("%s: no extack message (miss_type %d, offs %d)",
			       what, ack->miss_type, ack->offs);
	}
}

static int nr_bindings(struct __test_metadata *_metadata)
{
	struct gsa_netns info;

	EXPECT_EQ(ikt_get_netns(&info), 0)
		TH_LOG("GET_NETNS: %s", strerror(errno));
	return info.nr_bindings;
}

static int nr_sockets(struct __test_metadata *_metadata)
{
	struct gsa_netns info;

	EXPECT_EQ(ikt_get_netns(&info), 0)
		TH_LOG("GET_NETNS: %s", strerror(errno));
	return info.nr_sockets;
}

/* ========================================================================
 * genl: binding, validation, permissions, events
 */

FIXTURE(genl)
{
	int cli, srv;			/* both attached; cli is originator */
	struct gsa_nl nl;
	uint8_t cli_addr[16], srv_addr[16];
	int alen;
	uint64_t cli_ino, srv_ino;
};

FIXTURE_VARIANT(genl)
{
	int family;
	int other;
};

FIXTURE_VARIANT_ADD(genl, ipv4)
{
	.family = AF_INET,
	.other = AF_INET6,
};

FIXTURE_VARIANT_ADD(genl, ipv6)
{
	.family = AF_INET6,
	.other = AF_INET,
};

FIXTURE_SETUP(genl)
{
	int role;

	self->nl.fd = -1;
	ASSERT_EQ(ikt_netns_new(), 0) TH_LOG("netns: %s", strerror(errno));
	ASSERT_EQ(pair(variant->family, &self->cli, &self->srv), 0)
		TH_LOG("tcp pair: %s", strerror(errno));
	ASSERT_EQ(attach_pair(self->cli, self->srv), 0)
		TH_LOG("attach and first IKE message: %s", strerror(errno));
	ASSERT_EQ(ikt_get_int(self->cli, IKETCP_ROLE, &role), 0);
	ASSERT_EQ(role, IKETCP_ROLE_ORIGINATOR);
	ASSERT_EQ(ikt_get_int(self->srv, IKETCP_ROLE, &role), 0);
	ASSERT_EQ(role, IKETCP_ROLE_ACCEPTOR);
	addr_of(variant->family, true, self->cli_addr, &self->alen);
	addr_of(variant->family, false, self->srv_addr, &self->alen);
	self->cli_ino = ikt_fd_inode(self->cli);
	self->srv_ino = ikt_fd_inode(self->srv);
	ASSERT_EQ(gsa_open(&self->nl), 0) TH_LOG("genl: family not found");
	ASSERT_NE(self->nl.events_grp, 0U)
		TH_LOG("no \"%s\" group in CTRL_ATTR_MCAST_GROUPS",
		       IKETCP_MCGRP_EVENTS);
}

FIXTURE_TEARDOWN(genl)
{
	gsa_close(&self->nl);
	if (self->cli >= 0)
		close(self->cli);
	if (self->srv >= 0)
		close(self->srv);
}

static void bind_ok(struct __test_metadata *_metadata, struct gsa_nl *nl,
		    int fd, const struct gsa_sa *sa)
{
	struct gsa_ack ack;
	int ret = gsa_bind(nl, fd, sa, &ack);

	ASSERT_EQ(ret, 0) TH_LOG("BIND_SA dir %d spi %#x: %s (extack \"%s\")",
				 sa->dir, sa->spi, strerror(-ret), ack.msg);
}

static void dump_ok(struct __test_metadata *_metadata, struct gsa_nl *nl,
		    struct gsa_dump *d)
{
	int ret = gsa_dump(nl, d);

	ASSERT_EQ(ret, 0) TH_LOG("GET_SOCKETS: %s", strerror(-ret));
}

/* The listed SA matches what was bound. */
static void expect_sa(struct __test_metadata *_metadata,
		      const struct gsa_dump *d, uint64_t inode, int dir,
		      uint32_t spi, int family, const uint8_t *saddr,
		      const uint8_t *daddr, int alen, int encap, int sport,
		      int dport)
{
	const struct gsa_dump_sa *s;
	int count;

	s = gsa_dump_find(d, dir, spi, &count);
	ASSERT_NE(s, NULL) TH_LOG("SA dir %d spi %#x not listed", dir, spi);
	EXPECT_EQ(count, 1);
	EXPECT_EQ(s->inode, inode) TH_LOG("SA %#x listed under another socket",
					  spi);
	EXPECT_EQ(s->family, family);
	EXPECT_EQ(s->saddr_len, alen);
	EXPECT_EQ(s->daddr_len, alen);
	EXPECT_EQ(memcmp(s->saddr, saddr, alen), 0)
		TH_LOG("SA %#x: wrong source address", spi);
	EXPECT_EQ(memcmp(s->daddr, daddr, alen), 0)
		TH_LOG("SA %#x: wrong destination address", spi);
	EXPECT_EQ(s->encap, encap);
	EXPECT_EQ(s->sport, sport);
	EXPECT_EQ(s->dport, dport);
	EXPECT_FALSE(s->orphaned);
	EXPECT_TRUE(s->has_packets);
	EXPECT_TRUE(s->has_bytes);
	EXPECT_EQ(s->packets, 0U);
}

/* ---- happy paths ---------------------------------------------------------- */

TEST_F(genl, bind_out_in_listed_with_socket_defaults)
{
	struct gsa_sa out = gsa_sa_make(IKETCP_DIR_OUT, 0x1001);
	struct gsa_sa in = gsa_sa_make(IKETCP_DIR_IN, 0x2001);
	struct gsa_sa udp = gsa_sa_make(IKETCP_DIR_OUT, 0x1002);
	const struct gsa_sock *s;
	struct gsa_dump d;

	udp.encap = IKETCP_ENCAP_UDP;
	udp.sport = 4500;
	udp.dport = 4501;
	EXPECT_EQ(nr_bindings(_metadata), 0);
	bind_ok(_metadata, &self->nl, self->cli, &out);
	bind_ok(_metadata, &self->nl, self->cli, &in);
	bind_ok(_metadata, &self->nl, self->cli, &udp);
	EXPECT_EQ(nr_bindings(_metadata), 3);

	dump_ok(_metadata, &self->nl, &d);
	EXPECT_EQ(d.nsocks, 2);
	EXPECT_EQ(d.nsas, 3);
	s = gsa_dump_sock(&d, self->cli_ino);
	ASSERT_NE(s, NULL);
	EXPECT_TRUE(s->has_sas);
	EXPECT_EQ(s->nr_sas, 3);
	s = gsa_dump_sock(&d, self->srv_ino);
	ASSERT_NE(s, NULL);
	EXPECT_FALSE(s->has_sas) TH_LOG("a socket with no SAs has an SAS nest");
	/* OUT: local -> peer; IN: peer -> local. */
	expect_sa(_metadata, &d, self->cli_ino, IKETCP_DIR_OUT, 0x1001,
		  variant->family, self->cli_addr, self->srv_addr, self->alen,
		  IKETCP_ENCAP_NONE, -1, -1);
	expect_sa(_metadata, &d, self->cli_ino, IKETCP_DIR_IN, 0x2001,
		  variant->family, self->srv_addr, self->cli_addr, self->alen,
		  IKETCP_ENCAP_NONE, -1, -1);
	expect_sa(_metadata, &d, self->cli_ino, IKETCP_DIR_OUT, 0x1002,
		  variant->family, self->cli_addr, self->srv_addr, self->alen,
		  IKETCP_ENCAP_UDP, 4500, 4501);
	gsa_dump_free(&d);
}

TEST_F(genl, bind_on_acceptor_and_explicit_addresses)
{
	struct gsa_sa out = gsa_sa_make(IKETCP_DIR_OUT, 0x3001);
	struct gsa_sa in = gsa_sa_make(IKETCP_DIR_IN, 0x3002);
	uint8_t a[16] = {}, b[16] = {};
	struct gsa_dump d;

	/* Default on the acceptor: the other way round. */
	bind_ok(_metadata, &self->nl, self->srv, &out);
	/* Explicit addresses are kept as given. */
	memcpy(a, self->srv_addr, self->alen);
	memcpy(b, self->cli_addr, self->alen);
	a[self->alen - 1] = 9;
	b[self->alen - 1] = 10;
	in.family = variant->family;
	memcpy(in.saddr, a, 16);
	memcpy(in.daddr, b, 16);
	in.saddr_len = in.daddr_len = self->alen;
	bind_ok(_metadata, &self->nl, self->srv, &in);
	EXPECT_EQ(nr_bindings(_metadata), 2);

	dump_ok(_metadata, &self->nl, &d);
	expect_sa(_metadata, &d, self->srv_ino, IKETCP_DIR_OUT, 0x3001,
		  variant->family, self->srv_addr, self->cli_addr, self->alen,
		  IKETCP_ENCAP_NONE, -1, -1);
	expect_sa(_metadata, &d, self->srv_ino, IKETCP_DIR_IN, 0x3002,
		  variant->family, a, b, self->alen, IKETCP_ENCAP_NONE, -1, -1);
	gsa_dump_free(&d);

	/* The explicit DADDR is the key: unbinding by it works. */
	in = gsa_sa_make(IKETCP_DIR_IN, 0x3002);
	in.family = variant->family;
	memcpy(in.daddr, b, 16);
	in.daddr_len = self->alen;
	EXPECT_EQ(gsa_unbind(&self->nl, -1, &in, NULL), 0);
	EXPECT_EQ(nr_bindings(_metadata), 1);
}

TEST_F(genl, rebind_to_new_connection_moves_binding)
{
	struct gsa_sa out = gsa_sa_make(IKETCP_DIR_OUT, 0x4001);
	struct gsa_sa in = gsa_sa_make(IKETCP_DIR_IN, 0x4002);
	const struct gsa_sock *s;
	uint64_t cli2_ino;
	struct gsa_dump d;
	int cli2, srv2;

	bind_ok(_metadata, &self->nl, self->cli, &out);
	bind_ok(_metadata, &self->nl, self->cli, &in);
	EXPECT_EQ(nr_bindings(_metadata), 2);

	/* TCP reconnect: same addresses, so the same (family, dir, daddr, spi). */
	ASSERT_EQ(pair(variant->family, &cli2, &srv2), 0);
	ASSERT_EQ(attach_pair(cli2, srv2), 0);
	cli2_ino = ikt_fd_inode(cli2);
	bind_ok(_metadata, &self->nl, cli2, &out);
	bind_ok(_metadata, &self->nl, cli2, &in);
	EXPECT_EQ(nr_bindings(_metadata), 2) TH_LOG("rebinding added bindings");

	dump_ok(_metadata, &self->nl, &d);
	EXPECT_EQ(d.nsas, 2);
	expect_sa(_metadata, &d, cli2_ino, IKETCP_DIR_OUT, 0x4001,
		  variant->family, self->cli_addr, self->srv_addr, self->alen,
		  IKETCP_ENCAP_NONE, -1, -1);
	expect_sa(_metadata, &d, cli2_ino, IKETCP_DIR_IN, 0x4002,
		  variant->family, self->srv_addr, self->cli_addr, self->alen,
		  IKETCP_ENCAP_NONE, -1, -1);
	s = gsa_dump_sock(&d, self->cli_ino);
	ASSERT_NE(s, NULL);
	EXPECT_EQ(s->nr_sas, 0) TH_LOG("old socket still lists the SAs");
	EXPECT_FALSE(s->has_sas);
	gsa_dump_free(&d);

	/* Binding again to the same socket changes nothing either. */
	bind_ok(_metadata, &self->nl, cli2, &out);
	EXPECT_EQ(nr_bindings(_metadata), 2);

	/* Closing the old socket no longer affects the moved bindings. */
	ikt_close_rst(self->cli);
	self->cli = -1;
	dump_ok(_metadata, &self->nl, &d);
	EXPECT_EQ(d.nsas, 2);
	EXPECT_FALSE(gsa_dump_find(&d, IKETCP_DIR_OUT, 0x4001, NULL)->orphaned);
	gsa_dump_free(&d);
	EXPECT_EQ(nr_bindings(_metadata), 2);
	close(cli2);
	close(srv2);
}

TEST_F(genl, unbind_by_fd_and_by_family_daddr)
{
	struct gsa_sa out = gsa_sa_make(IKETCP_DIR_OUT, 0x5001);
	struct gsa_sa in = gsa_sa_make(IKETCP_DIR_IN, 0x5002);
	struct gsa_sa key;
	struct gsa_ack ack;
	struct gsa_dump d;
	int ret;

	bind_ok(_metadata, &self->nl, self->cli, &out);
	bind_ok(_metadata, &self->nl, self->cli, &in);
	EXPECT_EQ(nr_bindings(_metadata), 2);

	/* By fd: dir and spi, the socket supplies family and daddr. */
	ret = gsa_unbind(&self->nl, self->cli, SA(IKETCP_DIR_OUT, 0x5001),
			 &ack);
	check_ack(_metadata, "UNBIND by fd", ret, &ack, 0, 0, NULL);
	EXPECT_EQ(nr_bindings(_metadata), 1);

	/* By key: IN's daddr is the local address. */
	key = gsa_sa_make(IKETCP_DIR_IN, 0x5002);
	key.family = variant->family;
	memcpy(key.daddr, self->cli_addr, 16);
	key.daddr_len = self->alen;
	ret = gsa_unbind(&self->nl, -1, &key, &ack);
	check_ack(_metadata, "UNBIND by family+daddr", ret, &ack, 0, 0, NULL);
	EXPECT_EQ(nr_bindings(_metadata), 0);

	dump_ok(_metadata, &self->nl, &d);
	EXPECT_EQ(d.nsas, 0);
	gsa_dump_free(&d);
}

TEST_F(genl, unbind_missing_enoent)
{
	struct gsa_sa key = gsa_sa_make(IKETCP_DIR_OUT, 0x6001);
	struct gsa_ack ack;
	int ret;

	ret = gsa_unbind(&self->nl, self->cli, &key, &ack);
	check_ack(_metadata, "UNBIND by fd, nothing bound", ret, &ack, ENOENT,
		  0, "no such SA binding");
	key.family = variant->family;
	memcpy(key.daddr, self->srv_addr, 16);
	key.daddr_len = self->alen;
	ret = gsa_unbind(&self->nl, -1, &key, &ack);
	check_ack(_metadata, "UNBIND by key, nothing bound", ret, &ack, ENOENT,
		  0, "no such SA binding");

	/* Bound OUT, unbinding IN with the same SPI: still nothing. */
	bind_ok(_metadata, &self->nl, self->cli,
		SA(IKETCP_DIR_OUT, 0x6001));
	ret = gsa_unbind(&self->nl, self->cli,
			 SA(IKETCP_DIR_IN, 0x6001), &ack);
	check_ack(_metadata, "UNBIND other direction", ret, &ack, ENOENT, 0,
		  "no such SA binding");
	/* Removed once, the second time it is gone. */
	EXPECT_EQ(gsa_unbind(&self->nl, self->cli,
			     SA(IKETCP_DIR_OUT, 0x6001), NULL), 0);
	ret = gsa_unbind(&self->nl, self->cli,
			 SA(IKETCP_DIR_OUT, 0x6001), &ack);
	check_ack(_metadata, "UNBIND twice", ret, &ack, ENOENT, 0,
		  "no such SA binding");
	EXPECT_EQ(nr_bindings(_metadata), 0);
}

/*
 * One socket with more SAs than fit one dump message (an skb holds at most
 * 32 KiB): the dump must list them all, or fail; it must not end early as
 * if the list were complete.
 */
TEST_F(genl, dump_socket_with_many_sas_not_truncated)
{
	const int n = 600;
	struct gsa_dump d;
	int i, ret;

	for (i = 0; i < n; i++)
		bind_ok(_metadata, &self->nl, self->cli,
			SA(IKETCP_DIR_OUT, 0x70000 + i));
	bind_ok(_metadata, &self->nl, self->srv,
		SA(IKETCP_DIR_OUT, 0x7ffff));
	EXPECT_EQ(nr_bindings(_metadata), n + 1);
	ret = gsa_dump(&self->nl, &d);
	/* The dump continues in further messages: it must not fail. */
	ASSERT_EQ(ret, 0) TH_LOG("dump failed with %s after %d sockets, %d SAs",
				 strerror(-ret), d.nsocks, d.nsas);
	EXPECT_EQ(d.nsocks, 2)
		TH_LOG("dump ended without error after %d sockets, %d SAs",
		       d.nsocks, d.nsas);
	EXPECT_EQ(d.nsas, n + 1)
		TH_LOG("dump silently lost SAs: %d of %d listed", d.nsas, n + 1);
	/* Each SA once, under its own socket. */
	for (i = 0; i < n; i++) {
		const struct gsa_dump_sa *sa;
		int count;

		sa = gsa_dump_find(&d, IKETCP_DIR_OUT, 0x70000 + i, &count);
		ASSERT_EQ(count, 1) TH_LOG("SA %#x listed %d times",
					   0x70000 + i, count);
		ASSERT_EQ(sa->inode, self->cli_ino);
	}
	EXPECT_GT(d.nmsgs, 2) TH_LOG("%d SAs in %d messages?", d.nsas, d.nmsgs);
	gsa_dump_free(&d);
}

/*
 * The same with only 50 SAs, dumped on a fresh netlink socket: netlink sizes
 * a dump part by the largest recv() seen on the socket, NLMSG_GOODSIZE (one
 * page) before any, so ~4 KiB is all one socket's message may take here.
 */
TEST_F(genl, dump_fresh_nl_socket_50_sas_not_truncated)
{
	const int n = 50;
	struct gsa_nl fresh;
	struct gsa_dump d;
	int i, ret;

	for (i = 0; i < n; i++)
		bind_ok(_metadata, &self->nl, self->cli,
			SA(IKETCP_DIR_OUT, 0x70000 + i));
	ASSERT_EQ(gsa_open(&fresh), 0);
	ret = gsa_dump(&fresh, &d);
	ASSERT_EQ(ret, 0) TH_LOG("dump failed with %s after %d sockets, %d SAs",
				 strerror(-ret), d.nsocks, d.nsas);
	EXPECT_EQ(d.nsocks, 2)
		TH_LOG("dump ended without error after %d sockets, %d SAs",
		       d.nsocks, d.nsas);
	EXPECT_EQ(d.nsas, n)
		TH_LOG("dump silently lost SAs: %d of %d listed", d.nsas, n);
	gsa_dump_free(&d);
	/* A second dump on the same socket (now sized by that recv()). */
	ret = gsa_dump(&fresh, &d);
	ASSERT_EQ(ret, 0) TH_LOG("second dump: %s", strerror(-ret));
	EXPECT_EQ(d.nsas, n) TH_LOG("second dump: %d of %d SAs", d.nsas, n);
	gsa_dump_free(&d);
	gsa_close(&fresh);
}

/* ---- bad input ------------------------------------------------------------ */

TEST_F(genl, bind_missing_sock_fd_einval)
{
	struct gsa_sa sa = gsa_sa_make(IKETCP_DIR_OUT, 0x100);
	struct gsa_ack ack;
	int ret;

	ret = gsa_bind(&self->nl, -1, &sa, &ack);
	check_ack(_metadata, "BIND without IKETCP_A_SOCK_FD", ret, &ack,
		  EINVAL, 0, NULL);
	EXPECT_EQ(ack.miss_type, IKETCP_A_SOCK_FD);
}

TEST_F(genl, bind_missing_sa_einval)
{
	struct gsa_ack ack;
	int ret;

	ret = gsa_bind(&self->nl, self->cli, NULL, &ack);
	check_ack(_metadata, "BIND without IKETCP_A_SA", ret, &ack, EINVAL, 0,
		  NULL);
	EXPECT_EQ(ack.miss_type, IKETCP_A_SA);
	ret = gsa_unbind(&self->nl, self->cli, NULL, &ack);
	check_ack(_metadata, "UNBIND without IKETCP_A_SA", ret, &ack, EINVAL,
		  0, NULL);
	EXPECT_EQ(ack.miss_type, IKETCP_A_SA);
}

TEST_F(genl, bind_missing_dir_einval)
{
	struct gsa_sa sa = gsa_sa_make(-1, 0x100);
	struct gsa_ack ack;
	int ret;

	ret = gsa_bind(&self->nl, self->cli, &sa, &ack);
	check_ack(_metadata, "BIND without dir", ret, &ack, EINVAL, 0,
		  "direction missing");
	EXPECT_EQ(ack.miss_type, IKETCP_SA_DIR);
	ret = gsa_unbind(&self->nl, self->cli, &sa, &ack);
	check_ack(_metadata, "UNBIND without dir", ret, &ack, EINVAL, 0,
		  "direction missing");
	EXPECT_EQ(nr_bindings(_metadata), 0);
}

TEST_F(genl, bind_zero_or_missing_spi_einval)
{
	struct gsa_sa sa = gsa_sa_make(IKETCP_DIR_IN, 0);
	struct gsa_ack ack;
	int ret;

	ret = gsa_bind(&self->nl, self->cli, &sa, &ack);
	check_ack(_metadata, "BIND spi 0", ret, &ack, EINVAL, 0,
		  "SPI missing or zero");
	sa.spi_set = false;
	ret = gsa_bind(&self->nl, self->cli, &sa, &ack);
	check_ack(_metadata, "BIND without spi", ret, &ack, EINVAL, 0,
		  "SPI missing or zero");
	EXPECT_EQ(ack.miss_type, IKETCP_SA_SPI);
	EXPECT_EQ(nr_bindings(_metadata), 0);
}

TEST_F(genl, bind_dir_or_encap_out_of_range_policy)
{
	struct gsa_sa sa;
	struct gsa_ack ack;
	int ret;

	sa = gsa_sa_make(0, 0x100);
	ret = gsa_bind(&self->nl, self->cli, &sa, &ack);
	check_ack(_metadata, "BIND dir 0", ret, &ack, ERANGE, EINVAL, NULL);
	sa = gsa_sa_make(IKETCP_DIR_OUT + 1, 0x100);
	ret = gsa_bind(&self->nl, self->cli, &sa, &ack);
	check_ack(_metadata, "BIND dir 3", ret, &ack, ERANGE, EINVAL, NULL);
	sa = gsa_sa_make(IKETCP_DIR_OUT, 0x100);
	sa.encap = IKETCP_ENCAP_UDP + 1;
	ret = gsa_bind(&self->nl, self->cli, &sa, &ack);
	check_ack(_metadata, "BIND encap 2", ret, &ack, ERANGE, EINVAL, NULL);
	EXPECT_EQ(nr_bindings(_metadata), 0);
}

TEST_F(genl, bind_bad_address_length_einval)
{
	struct gsa_sa sa = gsa_sa_make(IKETCP_DIR_OUT, 0x100);
	int wrong = variant->family == AF_INET ? 16 : 4;
	struct gsa_ack ack;
	int ret;

	sa.daddr_len = wrong;
	memcpy(sa.daddr, self->srv_addr, self->alen);
	ret = gsa_bind(&self->nl, self->cli, &sa, &ack);
	check_ack(_metadata, "BIND daddr of the other family's length", ret,
		  &ack, EINVAL, 0, "address length");
	sa.daddr_len = 0;
	sa.saddr_len = 5;
	ret = gsa_bind(&self->nl, self->cli, &sa, &ack);
	check_ack(_metadata, "BIND saddr of 5 bytes", ret, &ack, EINVAL, 0,
		  "address length");
	sa.saddr_len = 17;
	ret = gsa_bind(&self->nl, self->cli, &sa, &ack);
	check_ack(_metadata, "BIND saddr of 17 bytes (policy)", ret, &ack,
		  ERANGE, EINVAL, NULL);
	/* UNBIND by key checks the length against the given family. */
	sa = gsa_sa_make(IKETCP_DIR_OUT, 0x100);
	sa.family = variant->family;
	sa.daddr_len = wrong;
	ret = gsa_unbind(&self->nl, -1, &sa, &ack);
	check_ack(_metadata, "UNBIND daddr of wrong length", ret, &ack, EINVAL,
		  0, "address length");
	EXPECT_EQ(nr_bindings(_metadata), 0);
}

TEST_F(genl, bind_family_mismatch_einval)
{
	struct gsa_sa sa = gsa_sa_make(IKETCP_DIR_OUT, 0x100);
	struct gsa_ack ack;
	int ret;

	sa.family = variant->other;
	ret = gsa_bind(&self->nl, self->cli, &sa, &ack);
	check_ack(_metadata, "BIND family of the other kind", ret, &ack,
		  EINVAL, 0, "family differs");
	ret = gsa_unbind(&self->nl, self->cli, &sa, &ack);
	check_ack(_metadata, "UNBIND by fd, other family", ret, &ack, EINVAL,
		  0, "family differs");
	/* UNBIND by key: only AF_INET and AF_INET6. */
	sa.family = AF_UNIX;
	sa.daddr_len = 4;
	ret = gsa_unbind(&self->nl, -1, &sa, &ack);
	check_ack(_metadata, "UNBIND family AF_UNIX", ret, &ack, EINVAL, 0,
		  "AF_INET or AF_INET6");
	EXPECT_EQ(nr_bindings(_metadata), 0);
}

TEST_F(genl, unbind_without_fd_or_key_einval)
{
	struct gsa_sa sa = gsa_sa_make(IKETCP_DIR_OUT, 0x100);
	struct gsa_ack ack;
	int ret;

	ret = gsa_unbind(&self->nl, -1, &sa, &ack);
	check_ack(_metadata, "UNBIND with neither fd nor family+daddr", ret,
		  &ack, EINVAL, 0, "FAMILY and DADDR");
	sa.family = variant->family;
	ret = gsa_unbind(&self->nl, -1, &sa, &ack);
	check_ack(_metadata, "UNBIND with family but no daddr", ret, &ack,
		  EINVAL, 0, "FAMILY and DADDR");
}

TEST_F(genl, bind_udp_encap_without_ports_einval)
{
	struct gsa_sa sa = gsa_sa_make(IKETCP_DIR_OUT, 0x100);
	struct gsa_ack ack;
	int ret;

	sa.encap = IKETCP_ENCAP_UDP;
	ret = gsa_bind(&self->nl, self->cli, &sa, &ack);
	check_ack(_metadata, "BIND udp, no ports", ret, &ack, EINVAL, 0,
		  "both ports");
	sa.sport = 4500;
	ret = gsa_bind(&self->nl, self->cli, &sa, &ack);
	check_ack(_metadata, "BIND udp, sport only", ret, &ack, EINVAL, 0,
		  "both ports");
	sa.sport = -1;
	sa.dport = 4500;
	ret = gsa_bind(&self->nl, self->cli, &sa, &ack);
	check_ack(_metadata, "BIND udp, dport only", ret, &ack, EINVAL, 0,
		  "both ports");
	EXPECT_EQ(nr_bindings(_metadata), 0);
}

TEST_F(genl, bind_fd_not_a_socket)
{
	struct gsa_sa sa = gsa_sa_make(IKETCP_DIR_OUT, 0x100);
	struct gsa_ack ack;
	int fd, ret;

	fd = open("/dev/null", O_RDONLY);
	ASSERT_GE(fd, 0);
	ret = gsa_bind(&self->nl, fd, &sa, &ack);
	check_ack(_metadata, "BIND /dev/null", ret, &ack, ENOTSOCK, 0,
		  "not an open socket");
	ret = gsa_bind(&self->nl, 1000, &sa, &ack);
	check_ack(_metadata, "BIND closed fd", ret, &ack, EBADF, 0,
		  "not an open socket");
	ret = gsa_unbind(&self->nl, fd, &sa, &ack);
	check_ack(_metadata, "UNBIND /dev/null", ret, &ack, ENOTSOCK, 0,
		  "not an open socket");
	close(fd);
	EXPECT_EQ(nr_bindings(_metadata), 0);
}

TEST_F(genl, bind_socket_without_ulp_eopnotsupp)
{
	struct gsa_sa sa = gsa_sa_make(IKETCP_DIR_OUT, 0x100);
	struct gsa_ack ack;
	int cli, srv, udp, ret;

	ASSERT_EQ(pair(variant->family, &cli, &srv), 0);
	ret = gsa_bind(&self->nl, cli, &sa, &ack);
	check_ack(_metadata, "BIND plain TCP", ret, &ack, EOPNOTSUPP, 0,
		  "no iketcp ULP");
	udp = socket(variant->family, SOCK_DGRAM, 0);
	ASSERT_GE(udp, 0);
	ret = gsa_bind(&self->nl, udp, &sa, &ack);
	check_ack(_metadata, "BIND UDP socket", ret, &ack, EOPNOTSUPP, 0,
		  "no iketcp ULP");
	ret = gsa_bind(&self->nl, self->nl.fd, &sa, &ack);
	check_ack(_metadata, "BIND netlink socket", ret, &ack, EOPNOTSUPP, 0,
		  "no iketcp ULP");
	close(udp);
	close(cli);
	close(srv);
	EXPECT_EQ(nr_bindings(_metadata), 0);
}

TEST_F(genl, bind_legacy_socket_eopnotsupp)
{
	struct gsa_sa sa = gsa_sa_make(IKETCP_DIR_OUT, 0x100);
	struct gsa_ack ack;
	int cli, srv, ret;

	ASSERT_EQ(pair(variant->family, &cli, &srv), 0);
	ASSERT_EQ(ikt_attach(cli, IKETCP_FRAMING_LEGACY), 0);
	ret = gsa_bind(&self->nl, cli, &sa, &ack);
	check_ack(_metadata, "BIND legacy socket", ret, &ack, EOPNOTSUPP, 0,
		  "legacy");
	close(cli);
	close(srv);
	EXPECT_EQ(nr_bindings(_metadata), 0);
}

TEST_F(genl, bind_role_unknown_einval)
{
	struct gsa_sa sa = gsa_sa_make(IKETCP_DIR_OUT, 0x100);
	struct gsa_ack ack;
	int cli, srv, ret;

	ASSERT_EQ(pair(variant->family, &cli, &srv), 0);
	ASSERT_EQ(ikt_attach(cli, IKETCP_FRAMING_RFC9329), 0);
	ret = gsa_bind(&self->nl, cli, &sa, &ack);
	check_ack(_metadata, "BIND before the role is known", ret, &ack,
		  EINVAL, 0, "role unknown");
	EXPECT_EQ(nr_bindings(_metadata), 0);
	/* Setting the role is enough. */
	ASSERT_EQ(ikt_set_role(cli, IKETCP_ROLE_ORIGINATOR), 0);
	ret = gsa_bind(&self->nl, cli, &sa, &ack);
	check_ack(_metadata, "BIND after IKETCP_ROLE", ret, &ack, 0, 0, NULL);
	EXPECT_EQ(nr_bindings(_metadata), 1);
	close(cli);
	close(srv);
}

TEST_F(genl, bind_socket_of_other_netns_exdev)
{
	struct gsa_sa sa = gsa_sa_make(IKETCP_DIR_OUT, 0x100);
	struct gsa_nl nl_b;
	struct gsa_ack ack;
	struct gsa_dump d;
	int ns_a, ret;

	ns_a = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(ns_a, 0);
	/* Namespace B: a netlink socket there, then back to A. */
	ASSERT_EQ(ikt_netns_new(), 0);
	ASSERT_EQ(gsa_open(&nl_b), 0);
	ASSERT_EQ(setns(ns_a, CLONE_NEWNET), 0) TH_LOG("setns: %s",
						       strerror(errno));

	ret = gsa_bind(&nl_b, self->cli, &sa, &ack);
	check_ack(_metadata, "BIND from another netns", ret, &ack, EXDEV, 0,
		  "another network namespace");
	ret = gsa_unbind(&nl_b, self->cli, &sa, &ack);
	check_ack(_metadata, "UNBIND by fd from another netns", ret, &ack,
		  EXDEV, 0, "another network namespace");
	/* B sees none of A's sockets; A's requests still work. */
	ASSERT_EQ(gsa_dump(&nl_b, &d), 0);
	EXPECT_EQ(d.nsocks, 0);
	gsa_dump_free(&d);
	EXPECT_EQ(nr_bindings(_metadata), 0);
	bind_ok(_metadata, &self->nl, self->cli, &sa);
	EXPECT_EQ(nr_bindings(_metadata), 1);
	/* An A binding cannot be removed by key from B. */
	sa.family = variant->family;
	memcpy(sa.daddr, self->srv_addr, 16);
	sa.daddr_len = self->alen;
	ret = gsa_unbind(&nl_b, -1, &sa, &ack);
	check_ack(_metadata, "UNBIND by key from another netns", ret, &ack,
		  ENOENT, 0, "no such SA binding");
	EXPECT_EQ(nr_bindings(_metadata), 1);
	gsa_close(&nl_b);
	close(ns_a);
}

TEST_F(genl, set_netns_limits_out_of_range)
{
	static const struct {
		uint32_t rx, tx;
	} bad[] = {
		{ IKETCP_QUEUE_LIMIT_MIN - 1, 0 },
		{ 0, IKETCP_QUEUE_LIMIT_MIN - 1 },
		{ IKETCP_QUEUE_LIMIT_MAX + 1, 0 },
		{ 0, IKETCP_QUEUE_LIMIT_MAX + 1 },
		{ 0xffffffffu, 0 },
	};
	struct gsa_netns info;
	struct nlattr *nest;
	struct gsa_req r;
	struct gsa_ack ack;
	char what[64];
	unsigned int i;
	int ret;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ret = gsa_set_limits(&self->nl, bad[i].rx, bad[i].tx, &ack);
		snprintf(what, sizeof(what), "SET_NETNS rx %u tx %u",
			 bad[i].rx, bad[i].tx);
		check_ack(_metadata, what, ret, &ack, ERANGE, EINVAL, NULL);
	}
	/* A u16 where a u32 belongs: policy too. */
	gsa_req_init(&self->nl, &r, IKETCP_CMD_SET_NETNS);
	nest = gsa_nest_start(&r, IKETCP_A_CONFIG);
	gsa_put_u16(&r, IKETCP_CONFIG_RX_QUEUE_LIMIT, 1000);
	gsa_nest_end(&r, nest);
	ret = gsa_call(&self->nl, &r, &ack);
	check_ack(_metadata, "SET_NETNS u16 limit", ret, &ack, ERANGE, EINVAL,
		  NULL);

	ASSERT_EQ(ikt_get_netns(&info), 0);
	EXPECT_EQ(info.rx_queue_limit, (uint32_t)IKETCP_QUEUE_LIMIT_DEFAULT);
	EXPECT_EQ(info.tx_queue_limit, (uint32_t)IKETCP_QUEUE_LIMIT_DEFAULT);
	/* Both bounds are allowed. */
	EXPECT_EQ(ikt_set_limits(IKETCP_QUEUE_LIMIT_MIN, IKETCP_QUEUE_LIMIT_MAX),
		  0);
	ASSERT_EQ(ikt_get_netns(&info), 0);
	EXPECT_EQ(info.rx_queue_limit, (uint32_t)IKETCP_QUEUE_LIMIT_MIN);
	EXPECT_EQ(info.tx_queue_limit, (uint32_t)IKETCP_QUEUE_LIMIT_MAX);
}

TEST_F(genl, set_netns_missing_config_einval)
{
	struct gsa_req r;
	struct gsa_ack ack;
	int ret;

	gsa_req_init(&self->nl, &r, IKETCP_CMD_SET_NETNS);
	ret = gsa_call(&self->nl, &r, &ack);
	check_ack(_metadata, "SET_NETNS without IKETCP_A_CONFIG", ret, &ack,
		  EINVAL, 0, NULL);
	EXPECT_EQ(ack.miss_type, IKETCP_A_CONFIG);
}

/* ---- permissions ---------------------------------------------------------- */

#define UCHK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "# unprivileged, line %d: ", __LINE__);	\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
		fails++;						\
	}								\
} while (0)

/* Runs as uid/gid 65534 with no capabilities; returns the failures. */
static int unprivileged_checks(int sock_fd, uint64_t inode, uint32_t spi,
			       int family, const uint8_t *daddr, int alen)
{
	struct gsa_sa sa = gsa_sa_make(IKETCP_DIR_OUT, spi);
	struct gsa_netns info;
	struct gsa_ack ack;
	struct gsa_nl nl;
	struct gsa_dump d;
	int fails = 0, ret, i;

	UCHK(gsa_open(&nl) == 0, "genl open");
	ret = gsa_bind(&nl, sock_fd, SA(IKETCP_DIR_OUT, spi + 1),
		       &ack);
	UCHK(ret == -EPERM, "BIND: %d (%s), want EPERM", ret, ack.msg);
	ret = gsa_unbind(&nl, sock_fd, &sa, &ack);
	UCHK(ret == -EPERM, "UNBIND by fd: %d (%s), want EPERM", ret, ack.msg);
	sa.family = family;
	memcpy(sa.daddr, daddr, alen);
	sa.daddr_len = alen;
	ret = gsa_unbind(&nl, -1, &sa, &ack);
	UCHK(ret == -EPERM, "UNBIND by key: %d (%s), want EPERM", ret, ack.msg);

	ret = gsa_set_limits(&nl, IKETCP_QUEUE_LIMIT_MIN, 0, &ack);
	UCHK(ret == -EPERM, "SET_NETNS: %d (%s), want EPERM", ret, ack.msg);

	UCHK(ikt_get_netns(&info) == 0, "GET_NETNS: %s", strerror(errno));
	UCHK(info.nr_bindings == 1, "GET_NETNS nr_bindings %u, want 1",
	     info.nr_bindings);
	UCHK(info.rx_queue_limit == IKETCP_QUEUE_LIMIT_DEFAULT,
	     "SET_NETNS changed the limit anyway");

	ret = gsa_dump(&nl, &d);
	UCHK(ret == 0, "GET_SOCKETS: %d", ret);
	if (!ret) {
		UCHK(d.nsocks == 2, "GET_SOCKETS lists %d sockets, want 2",
		     d.nsocks);
		UCHK(gsa_dump_sock(&d, inode) != NULL, "bound socket missing");
		for (i = 0; i < d.nsocks; i++)
			UCHK(!d.socks[i].has_sas,
			     "IKETCP_SOCK_SAS shown to an unprivileged caller");
		UCHK(d.nsas == 0, "%d SAs shown to an unprivileged caller",
		     d.nsas);
		gsa_dump_free(&d);
	}

	ret = gsa_join_events(&nl);
	UCHK(ret == -EPERM, "joining \"events\": %d, want EPERM", ret);
	gsa_close(&nl);
	return fails;
}

TEST_F(genl, unprivileged_caller)
{
	struct gsa_sa sa = gsa_sa_make(IKETCP_DIR_OUT, 0x8001);
	int status;
	pid_t pid;

	bind_ok(_metadata, &self->nl, self->cli, &sa);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fails;

		/* Changing every uid from 0 clears all capability sets. */
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534)) {
			perror("# drop privileges");
			_exit(100);
		}
		fails = unprivileged_checks(self->cli, self->cli_ino, 0x8001,
					    variant->family, self->srv_addr,
					    self->alen);
		_exit(fails > 99 ? 99 : fails);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0)
		TH_LOG("%d unprivileged check(s) failed (see above)",
		       WEXITSTATUS(status));
	/* Nothing changed. */
	EXPECT_EQ(nr_bindings(_metadata), 1);
}


/*
 * Runs as uid 65534 in a user namespace of its own, which owns a network
 * namespace of its own (netns_ok: genl sockets opened there).  nl_init was
 * opened by that uid in the test's namespace, owned by the initial user
 * namespace, before the unshare.  Returns the failures.
 */
static int userns_checks(struct gsa_nl *nl_init, int init_sock)
{
	struct gsa_sa sa = gsa_sa_make(IKETCP_DIR_OUT, 0x8101);
	struct gsa_netns info;
	struct gsa_nl nl, ev_nl;
	struct gsa_event ev;
	struct gsa_ack ack;
	struct gsa_dump d;
	int fails = 0, ret, cli, srv;

	/* The namespace owned by the initial user namespace: refused. */
	ret = gsa_set_limits(nl_init, IKETCP_QUEUE_LIMIT_MIN, 0, &ack);
	UCHK(ret == -EPERM, "init netns SET_NETNS: %d (%s), want EPERM", ret,
	     ack.msg);
	ret = gsa_bind(nl_init, init_sock, &sa, &ack);
	UCHK(ret == -EPERM, "init netns BIND: %d (%s), want EPERM", ret,
	     ack.msg);
	ret = gsa_dump_cmd(nl_init, &d, IKETCP_CMD_GET_BINDINGS);
	UCHK(ret == -EPERM, "init netns GET_BINDINGS: %d, want EPERM", ret);
	gsa_dump_free(&d);
	ret = gsa_join_events(nl_init);
	UCHK(ret == -EPERM, "init netns events: %d, want EPERM", ret);

	/* Its own namespace: every admin command works, on its own state. */
	UCHK(ikt_netns_new() == 0, "lo up in the new netns: %s",
	     strerror(errno));
	UCHK(gsa_open(&nl) == 0, "genl open in the new netns");
	UCHK(gsa_open(&ev_nl) == 0, "genl open in the new netns");
	ret = gsa_join_events(&ev_nl);
	UCHK(ret == 0, "own netns events: %d", ret);
	ret = gsa_set_limits(&nl, IKETCP_QUEUE_LIMIT_MIN, 0, &ack);
	UCHK(ret == 0, "own netns SET_NETNS: %d (%s)", ret, ack.msg);
	UCHK(ikt_get_netns(&info) == 0 &&
	     info.rx_queue_limit == IKETCP_QUEUE_LIMIT_MIN,
	     "own netns: rx_queue_limit %u", info.rx_queue_limit);
	if (ikt_tcp_pair(AF_INET, &cli, &srv) || attach_pair(cli, srv)) {
		UCHK(0, "attached pair in the new netns: %s", strerror(errno));
		return fails;
	}
	ret = gsa_bind(&nl, cli, &sa, &ack);
	UCHK(ret == 0, "own netns BIND: %d (%s)", ret, ack.msg);
	ret = gsa_dump_cmd(&nl, &d, IKETCP_CMD_GET_BINDINGS);
	UCHK(ret == 0 && d.nsas == 1 && d.sas[0].spi == 0x8101,
	     "own netns GET_BINDINGS: %d, %d SAs", ret, d.nsas);
	gsa_dump_free(&d);
	close(cli);
	ret = gsa_wait_event(&ev_nl, IKETCP_EVENT_SOCKET_CLOSED, EVENT_MS, &ev);
	UCHK(ret == 0, "own netns SOCKET_CLOSED event: %d", ret);
	sa.family = AF_INET;
	sa.daddr[0] = 127;
	sa.daddr[3] = 1;
	sa.daddr_len = 4;
	ret = gsa_unbind(&nl, -1, &sa, &ack);
	UCHK(ret == 0, "own netns UNBIND: %d (%s)", ret, ack.msg);
	close(srv);
	gsa_close(&nl);
	gsa_close(&ev_nl);
	return fails;
}

/*
 * CAP_NET_ADMIN counts in the user namespace that owns the network
 * namespace: an unprivileged user in a user namespace of its own runs the
 * admin commands on its own network namespace, not on this one.
 */
TEST_F(genl, admin_in_user_namespace_owning_the_netns)
{
	struct gsa_netns info;
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct gsa_nl nl_init;

		/*
		 * The kernel refuses CLONE_NEWUSER inside a chroot, and the
		 * VM harness runs tests in one: take PID 1's root (nothing
		 * below needs a file).
		 */
		if (chroot("/proc/1/root") || chdir("/")) {
			perror("# chroot /proc/1/root");
			_exit(100);
		}
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534)) {
			perror("# drop privileges");
			_exit(100);
		}
		if (gsa_open(&nl_init)) {
			fprintf(stderr, "# genl open as uid 65534 failed\n");
			_exit(100);
		}
		if (unshare(CLONE_NEWUSER)) {
			fprintf(stderr, "# unshare(CLONE_NEWUSER): %s\n",
				strerror(errno));
			_exit(KSFT_SKIP);
		}
		_exit(userns_checks(&nl_init, self->cli));
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == KSFT_SKIP)
		SKIP(return, "no unprivileged user namespaces here");
	EXPECT_EQ(WEXITSTATUS(status), 0)
		TH_LOG("%d user namespace check(s) failed (see above)",
		       WEXITSTATUS(status));
	/* This namespace saw none of it. */
	ASSERT_EQ(ikt_get_netns(&info), 0);
	EXPECT_EQ(info.nr_bindings, 0u);
	EXPECT_EQ(info.rx_queue_limit, (uint32_t)IKETCP_QUEUE_LIMIT_DEFAULT);
}

/* ---- events --------------------------------------------------------------- */

/* An event of type about socket inode and an SA of direction dir comes. */
static void expect_sa_event(struct __test_metadata *_metadata,
			    struct gsa_nl *ev_nl, uint32_t type,
			    uint64_t inode, int family, int dir,
			    struct gsa_event *ev)
{
	int ret = gsa_wait_event(ev_nl, type, EVENT_MS, ev);

	ASSERT_EQ(ret, 0) TH_LOG("no event %u: %s", type, strerror(-ret));
	EXPECT_EQ(ev->sock.inode, inode);
	EXPECT_EQ(ev->sock.family, family);
	EXPECT_TRUE(ev->has_sa);
	EXPECT_EQ(ev->dir, dir);
}

static void expect_closed_event(struct __test_metadata *_metadata,
				struct gsa_nl *ev_nl, uint64_t inode,
				int family)
{
	struct gsa_event ev;
	int ret;

	ret = gsa_wait_event(ev_nl, IKETCP_EVENT_SOCKET_CLOSED, EVENT_MS, &ev);
	ASSERT_EQ(ret, 0) TH_LOG("no SOCKET_CLOSED event: %s", strerror(-ret));
	EXPECT_EQ(ev.sock.inode, inode);
	EXPECT_EQ(ev.sock.family, family);
	EXPECT_EQ(ev.sock.addr_len, family == AF_INET ? 4 : 16);
	EXPECT_NE(ev.sock.sport, 0);
	EXPECT_NE(ev.sock.dport, 0);
}

TEST_F(genl, event_peer_reset_socket_closed)
{
	struct gsa_nl ev_nl;
	struct gsa_dump d;
	int i;

	ASSERT_EQ(gsa_open(&ev_nl), 0);
	ASSERT_EQ(gsa_join_events(&ev_nl), 0);
	bind_ok(_metadata, &self->nl, self->cli,
		SA(IKETCP_DIR_OUT, 0x9001));
	bind_ok(_metadata, &self->nl, self->cli,
		SA(IKETCP_DIR_IN, 0x9002));

	ikt_close_rst(self->srv);
	self->srv = -1;
	expect_closed_event(_metadata, &ev_nl, self->cli_ino, variant->family);
	/*
	 * The daemon still holds the socket, but the connection is gone:
	 * the bindings stay, orphaned (include/uapi/linux/iketcp.h: "when a
	 * socket with bound SAs closes or is reset").
	 */
	EXPECT_EQ(nr_bindings(_metadata), 2);
	ASSERT_EQ(gsa_dump_cmd(&self->nl, &d, IKETCP_CMD_GET_BINDINGS), 0);
	ASSERT_EQ(d.nsas, 2);
	for (i = 0; i < 2; i++) {
		EXPECT_TRUE(d.sas[i].orphaned)
			TH_LOG("SA %#x not orphaned after the reset",
			       d.sas[i].spi);
		EXPECT_EQ(d.sas[i].inode, 0u)
			TH_LOG("SA %#x still names socket %llu", d.sas[i].spi,
			       (unsigned long long)d.sas[i].inode);
	}
	gsa_dump_free(&d);
	/* Its OUT packets are dropped and counted, not sent. */
	raw_esp_send(variant->family, self->srv_addr, 0x9001, 1, 100);
	EXPECT_EQ(ikt_counter(IKETCP_CNT_TX_DROP_ESP_NO_SOCKET), 1u);
	EXPECT_EQ(ikt_counter(IKETCP_CNT_TX_ESP_PKTS), 0u);
	gsa_close(&ev_nl);
}

TEST_F(genl, event_own_close_orphans_bindings)
{
	struct gsa_sa key;
	struct gsa_nl ev_nl;
	struct gsa_dump d;
	struct gsa_ack ack;
	int ret;

	ASSERT_EQ(gsa_open(&ev_nl), 0);
	ASSERT_EQ(gsa_join_events(&ev_nl), 0);
	bind_ok(_metadata, &self->nl, self->cli,
		SA(IKETCP_DIR_OUT, 0xa001));
	bind_ok(_metadata, &self->nl, self->cli,
		SA(IKETCP_DIR_IN, 0xa002));
	/* Bound: GET_BINDINGS names the socket. */
	ASSERT_EQ(gsa_dump_cmd(&self->nl, &d, IKETCP_CMD_GET_BINDINGS), 0);
	ASSERT_EQ(d.nsas, 2);
	EXPECT_EQ(d.sas[0].inode, self->cli_ino);
	EXPECT_FALSE(d.sas[0].orphaned);
	gsa_dump_free(&d);

	close(self->cli);
	self->cli = -1;
	expect_closed_event(_metadata, &ev_nl, self->cli_ino, variant->family);
	EXPECT_EQ(nr_bindings(_metadata), 2) TH_LOG("orphans must stay");
	EXPECT_EQ(nr_sockets(_metadata), 1);
	dump_ok(_metadata, &self->nl, &d);
	EXPECT_EQ(d.nsocks, 1);
	EXPECT_EQ(gsa_dump_sock(&d, self->cli_ino), NULL);
	gsa_dump_free(&d);

	/* GET_BINDINGS lists them, orphaned, with no socket inode. */
	ASSERT_EQ(gsa_dump_cmd(&self->nl, &d, IKETCP_CMD_GET_BINDINGS), 0);
	ASSERT_EQ(d.nsas, 2);
	EXPECT_TRUE(d.sas[0].orphaned);
	EXPECT_TRUE(d.sas[1].orphaned);
	EXPECT_EQ(d.sas[0].inode, (uint64_t)0);
	EXPECT_EQ(d.sas[0].spi + d.sas[1].spi, (uint32_t)(0xa001 + 0xa002));
	gsa_dump_free(&d);

	/* Only the key can name them now. */
	key = gsa_sa_make(IKETCP_DIR_OUT, 0xa001);
	key.family = variant->family;
	memcpy(key.daddr, self->srv_addr, 16);
	key.daddr_len = self->alen;
	ret = gsa_unbind(&self->nl, -1, &key, &ack);
	check_ack(_metadata, "UNBIND orphan OUT", ret, &ack, 0, 0, NULL);
	key = gsa_sa_make(IKETCP_DIR_IN, 0xa002);
	key.family = variant->family;
	memcpy(key.daddr, self->cli_addr, 16);
	key.daddr_len = self->alen;
	ret = gsa_unbind(&self->nl, -1, &key, &ack);
	check_ack(_metadata, "UNBIND orphan IN", ret, &ack, 0, 0, NULL);
	EXPECT_EQ(nr_bindings(_metadata), 0);
	gsa_close(&ev_nl);
}

TEST_F(genl, event_close_without_sas_is_silent)
{
	struct gsa_nl ev_nl;
	struct gsa_event ev;

	ASSERT_EQ(gsa_open(&ev_nl), 0);
	ASSERT_EQ(gsa_join_events(&ev_nl), 0);
	ikt_close_rst(self->srv);
	self->srv = -1;
	close(self->cli);
	self->cli = -1;
	EXPECT_EQ(gsa_wait_event(&ev_nl, 0, 500, &ev), -ETIMEDOUT)
		TH_LOG("event %u for a socket with no SAs", ev.event);
	gsa_close(&ev_nl);
}

TEST_F(genl, event_esp_unbound_counted)
{
	static const uint8_t esp[16] = {
		0x12, 0x34, 0x56, 0x78,		/* SPI */
		0, 0, 0, 1,			/* sequence number */
		0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4,
	};
	uint8_t rec[64], msg[40], buf[64];
	struct gsa_sock info;
	struct gsa_nl ev_nl;
	struct gsa_event ev;
	bool found;
	uint64_t ino;
	int cli, srv, i, role = IKETCP_ROLE_UNKNOWN;
	size_t n;

	/* A plain TCP peer, so the test writes the records itself. */
	ASSERT_EQ(pair(variant->family, &cli, &srv), 0);
	ASSERT_EQ(ikt_set_timeouts(srv, TIMEOUT_MS, TIMEOUT_MS), 0);
	ASSERT_EQ(ikt_attach(srv, IKETCP_FRAMING_RFC9329), 0);
	ino = ikt_fd_inode(srv);
	ASSERT_EQ(gsa_open(&ev_nl), 0);
	ASSERT_EQ(gsa_join_events(&ev_nl), 0);
	/*
	 * That SPI bound OUT here, and IN with the same key (local address)
	 * on another socket, is still not bound IN on this one.
	 */
	ASSERT_EQ(ikt_write_all(cli, IKT_PREFIX, IKT_PREFIX_LEN), 0);
	/* The prefix makes it the acceptor: binding needs a known role. */
	for (i = 0; i < 500 && role == IKETCP_ROLE_UNKNOWN; i++) {
		ASSERT_EQ(ikt_get_int(srv, IKETCP_ROLE, &role), 0);
		msleep(10);
	}
	ASSERT_EQ(role, IKETCP_ROLE_ACCEPTOR);
	bind_ok(_metadata, &self->nl, srv,
		SA(IKETCP_DIR_OUT, 0x12345678));
	bind_ok(_metadata, &self->nl, self->srv,
		SA(IKETCP_DIR_IN, 0x12345678));

	n = ikt_raw_record(esp, sizeof(esp), rec);
	ASSERT_EQ(ikt_write_all(cli, rec, n), 0);
	expect_sa_event(_metadata, &ev_nl, IKETCP_EVENT_ESP_UNBOUND, ino,
			variant->family, IKETCP_DIR_IN, &ev);
	EXPECT_TRUE(ev.has_spi);
	EXPECT_EQ(ev.spi, 0x12345678U);
	EXPECT_EQ(ikt_counter(IKETCP_CNT_RX_DROP_ESP_UNBOUND), 1U);
	EXPECT_EQ(ikt_counter(IKETCP_CNT_RX_ESP_PKTS), 0U);
	EXPECT_EQ(ikt_counter(IKETCP_CNT_RX_DROP_RUNT), 0U);

	/* Events are rate limited, the counter is not. */
	ASSERT_EQ(ikt_write_all(cli, rec, n), 0);
	ASSERT_EQ(ikt_write_all(cli, rec, n), 0);
	for (i = 0; i < 100 && ikt_counter(IKETCP_CNT_RX_DROP_ESP_UNBOUND) < 3;
	     i++)
		msleep(20);
	EXPECT_EQ(ikt_counter(IKETCP_CNT_RX_DROP_ESP_UNBOUND), 3U);
	ASSERT_GE(ikt_get_socket(ino, &info, &found), 0);
	ASSERT_TRUE(found);
	EXPECT_EQ(info.cnt[IKETCP_CNT_RX_DROP_ESP_UNBOUND], 3U);
	/* The socket is fine: an IKE message still gets through. */
	ikt_msg(msg, sizeof(msg), 7);
	n = ikt_frame(IKETCP_FRAMING_RFC9329, msg, sizeof(msg), rec);
	ASSERT_EQ(ikt_write_all(cli, rec, n), 0);
	EXPECT_EQ(recv(srv, buf, sizeof(buf), 0), (ssize_t)sizeof(msg));
	close(cli);
	close(srv);
	gsa_close(&ev_nl);
}


/* ---- ESP through bound SAs (raw ESP packets, no XFRM) --------------------- */

/*
 * A connection whose originator *ike is attached (role set, prefix read)
 * and whose acceptor *peer is plain TCP, so the test reads the records.
 */
static void esp_pair(struct __test_metadata *_metadata, int family, int *ike,
		     int *peer)
{
	char pfx[IKT_PREFIX_LEN];

	ASSERT_EQ(pair(family, ike, peer), 0);
	ASSERT_EQ(ikt_set_timeouts(*ike, TIMEOUT_MS, TIMEOUT_MS), 0);
	ASSERT_EQ(ikt_set_timeouts(*peer, TIMEOUT_MS, TIMEOUT_MS), 0);
	ASSERT_EQ(ikt_attach(*ike, IKETCP_FRAMING_RFC9329), 0);
	ASSERT_EQ(ikt_set_role(*ike, IKETCP_ROLE_ORIGINATOR), 0);
	ASSERT_EQ(ikt_read_all(*peer, pfx, sizeof(pfx)), 0);
	ASSERT_EQ(memcmp(pfx, IKT_PREFIX, IKT_PREFIX_LEN), 0);
}

/* Nothing more arrives on fd within 200 ms. */
static void expect_no_more(struct __test_metadata *_metadata, int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	EXPECT_EQ(poll(&p, 1, 200), 0);
}

/* The binding (dir, spi) in GET_BINDINGS: fills *out, false if missing. */
static bool get_binding(struct gsa_nl *nl, uint8_t dir, uint32_t spi,
			struct gsa_dump_sa *out)
{
	const struct gsa_dump_sa *sa;
	struct gsa_dump d;
	bool found = false;

	if (gsa_dump_cmd(nl, &d, IKETCP_CMD_GET_BINDINGS))
		return false;
	sa = gsa_dump_find(&d, dir, spi, NULL);
	if (sa) {
		*out = *sa;
		found = true;
	}
	gsa_dump_free(&d);
	return found;
}

/*
 * OUT: bare ESP to the bound (daddr, SPI) goes into the stream as records,
 * byte for byte, counted in IKETCP_SA_PACKETS/BYTES and tx_esp_*; IN: ESP
 * records with a bound SPI go to XFRM, counted the same way.  Other SPIs
 * are left alone.
 */
TEST_F(genl, esp_bound_sa_packets_and_bytes_counted)
{
	static const size_t len[3] = { 8, 200, 1400 };
	static uint8_t rec[2000];
	struct gsa_dump_sa sa;
	int ike, peer, lis, i;
	uint64_t ino;
	size_t n;

	esp_pair(_metadata, variant->family, &ike, &peer);
	ino = ikt_fd_inode(ike);
	bind_ok(_metadata, &self->nl, ike, SA(IKETCP_DIR_OUT, 0xc001));
	bind_ok(_metadata, &self->nl, ike, SA(IKETCP_DIR_IN, 0xc002));
	lis = raw_esp_listener(variant->family);
	ASSERT_GE(lis, 0);

	/* OUT: the peer of the connection is the SA's destination. */
	for (i = 0; i < 3; i++)
		ASSERT_EQ(raw_esp_send(variant->family, self->srv_addr, 0xc001,
				       i + 1, len[i]), 0)
			TH_LOG("raw ESP %d: %s", i, strerror(errno));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(read_esp_record(peer, 0xc001, i + 1, len[i]), 0)
			TH_LOG("record %d: %s", i, strerror(errno));
	ASSERT_TRUE(get_binding(&self->nl, IKETCP_DIR_OUT, 0xc001, &sa));
	EXPECT_EQ(sa.inode, ino);
	EXPECT_TRUE(sa.has_packets && sa.has_bytes);
	EXPECT_EQ(sa.packets, 3u);
	EXPECT_EQ(sa.bytes, (uint64_t)(len[0] + len[1] + len[2]));
	EXPECT_EQ(ikt_counter(IKETCP_CNT_TX_ESP_PKTS), 3u);
	EXPECT_EQ(ikt_counter(IKETCP_CNT_TX_ESP_BYTES),
		  (uint64_t)(len[0] + len[1] + len[2]));
	/* Taken off the IP path: none was delivered. */
	EXPECT_EQ(raw_esp_count(lis, variant->family, 0xc001), 0);
	/* Another SPI, same destination: not ours, it goes out as IP. */
	ASSERT_EQ(raw_esp_send(variant->family, self->srv_addr, 0xc003, 1,
			       100), 0);
	EXPECT_EQ(raw_esp_count(lis, variant->family, 0xc003), 1);

	/* IN: two records of the bound SPI, one of another. */
	for (i = 0; i < 2; i++) {
		esp_body(rec, 300 + i, 0xc002, i + 1);
		n = ikt_raw_record(rec, 300 + i, rec);
		ASSERT_EQ(ikt_write_all(peer, rec, n), 0);
	}
	esp_body(rec, 100, 0xc004, 1);
	n = ikt_raw_record(rec, 100, rec);
	ASSERT_EQ(ikt_write_all(peer, rec, n), 0);
	for (i = 0; i < 250 && ikt_counter(IKETCP_CNT_RX_DROP_ESP_UNBOUND) < 1;
	     i++)
		msleep(20);
	EXPECT_EQ(ikt_counter(IKETCP_CNT_RX_ESP_PKTS), 2u);
	EXPECT_EQ(ikt_counter(IKETCP_CNT_RX_ESP_BYTES), 601u);
	EXPECT_EQ(ikt_counter(IKETCP_CNT_RX_DROP_ESP_UNBOUND), 1u);
	ASSERT_TRUE(get_binding(&self->nl, IKETCP_DIR_IN, 0xc002, &sa));
	EXPECT_EQ(sa.packets, 2u);
	EXPECT_EQ(sa.bytes, 601u);
	close(lis);
	close(ike);
	close(peer);
}

/*
 * An orphaned OUT binding: its packets are dropped and counted
 * (tx_drop_esp_no_socket), never sent on the SA's own transport, until it
 * is unbound.
 */
TEST_F(genl, esp_orphaned_out_dropped_counted_not_leaked)
{
	struct gsa_dump_sa sa;
	int ike, peer, lis, i;

	esp_pair(_metadata, variant->family, &ike, &peer);
	bind_ok(_metadata, &self->nl, ike, SA(IKETCP_DIR_OUT, 0xd001));
	lis = raw_esp_listener(variant->family);
	ASSERT_GE(lis, 0);
	close(ike);
	ASSERT_TRUE(get_binding(&self->nl, IKETCP_DIR_OUT, 0xd001, &sa));
	ASSERT_TRUE(sa.orphaned);

	for (i = 0; i < 3; i++)
		raw_esp_send(variant->family, self->srv_addr, 0xd001, i + 1,
			     100);
	EXPECT_EQ(ikt_counter(IKETCP_CNT_TX_DROP_ESP_NO_SOCKET), 3u);
	EXPECT_EQ(raw_esp_count(lis, variant->family, 0xd001), 0)
		TH_LOG("an orphan's packets leaked onto IP");
	ASSERT_TRUE(get_binding(&self->nl, IKETCP_DIR_OUT, 0xd001, &sa));
	EXPECT_EQ(sa.packets, 0u);

	/* Unbound: the SA's traffic takes its own transport again. */
	EXPECT_EQ(gsa_unbind(&self->nl, -1, &(struct gsa_sa){
		.dir = IKETCP_DIR_OUT, .spi_set = true, .spi = 0xd001,
		.family = variant->family, .daddr_len = self->alen,
		.encap = -1, .sport = -1, .dport = -1,
		.daddr = { self->srv_addr[0], self->srv_addr[1],
			   self->srv_addr[2], self->srv_addr[3],
			   self->srv_addr[4], self->srv_addr[5],
			   self->srv_addr[6], self->srv_addr[7],
			   self->srv_addr[8], self->srv_addr[9],
			   self->srv_addr[10], self->srv_addr[11],
			   self->srv_addr[12], self->srv_addr[13],
			   self->srv_addr[14], self->srv_addr[15] },
		}, NULL), 0);
	EXPECT_EQ(raw_esp_send(variant->family, self->srv_addr, 0xd001, 9,
			       100), 0);
	EXPECT_EQ(raw_esp_count(lis, variant->family, 0xd001), 1);
	EXPECT_EQ(ikt_counter(IKETCP_CNT_TX_DROP_ESP_NO_SOCKET), 3u);
	close(lis);
	close(peer);
}

/*
 * ESP beyond tx_queue_limit is dropped, counted (tx_drop_esp_queue_full)
 * and reported (IKETCP_EVENT_QUEUE_FULL); what was queued arrives whole.
 */
TEST_F(genl, esp_queue_full_dropped_counted_event)
{
	const int total = 60;
	const size_t len = 30000;
	struct gsa_sock si;
	struct gsa_event ev;
	struct gsa_nl ev_nl;
	int ike, peer, i, sz = 32768, read, taken;
	uint64_t ino, drops;
	bool found;

	ASSERT_EQ(ikt_set_limits(0, IKETCP_QUEUE_LIMIT_MIN), 0);
	esp_pair(_metadata, variant->family, &ike, &peer);
	ino = ikt_fd_inode(ike);
	ASSERT_EQ(setsockopt(peer, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)), 0);
	ASSERT_EQ(setsockopt(ike, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)), 0);
	ASSERT_EQ(gsa_open(&ev_nl), 0);
	ASSERT_EQ(gsa_join_events(&ev_nl), 0);
	bind_ok(_metadata, &self->nl, ike, SA(IKETCP_DIR_OUT, 0xe001));

	/* The peer does not read: 1.8 MB cannot all be queued. */
	for (i = 0; i < total; i++)
		ASSERT_EQ(raw_esp_send(variant->family, self->srv_addr, 0xe001,
				       i + 1, len), 0);
	ASSERT_GE(ikt_get_socket(ino, &si, &found), 1);
	ASSERT_TRUE(found);
	drops = si.cnt[IKETCP_CNT_TX_DROP_ESP_QUEUE_FULL];
	EXPECT_GT(drops, 0u) TH_LOG("nothing dropped: the queue never filled");
	ASSERT_LT(drops, (uint64_t)total);
	taken = total - drops;
	EXPECT_LE(si.tx_queued, (uint32_t)IKETCP_QUEUE_LIMIT_MIN);
	EXPECT_EQ(ikt_counter(IKETCP_CNT_TX_DROP_ESP_NO_SOCKET), 0u);
	expect_sa_event(_metadata, &ev_nl, IKETCP_EVENT_QUEUE_FULL, ino,
			variant->family, IKETCP_DIR_OUT, &ev);

	/* What was taken arrives whole and in order, gaps where dropped. */
	for (i = 1, read = 0; read < taken && i <= total; i++) {
		uint8_t hdr[10];

		ASSERT_EQ(ikt_read_all(peer, hdr, sizeof(hdr)), 0);
		ASSERT_EQ((size_t)hdr[0] << 8 | hdr[1], len + 2);
		ASSERT_EQ(hdr[2] << 24 | hdr[3] << 16 | hdr[4] << 8 | hdr[5],
			  0xe001);
		i = hdr[6] << 24 | hdr[7] << 16 | hdr[8] << 8 | hdr[9];
		{
			static uint8_t body[65535], want[65535];

			ASSERT_EQ(ikt_read_all(peer, body, len - 8), 0);
			esp_body(want, len, 0xe001, i);
			ASSERT_EQ(memcmp(body, want + 8, len - 8), 0);
		}
		read++;
	}
	EXPECT_EQ(read, taken);
	expect_no_more(_metadata, peer);
	EXPECT_EQ(ikt_counter(IKETCP_CNT_TX_ESP_PKTS), (uint64_t)taken);
	close(ike);
	close(peer);
	gsa_close(&ev_nl);
}

/*
 * The largest ESP packet a record can carry is 65533 bytes; a larger one
 * (only IPv6 can make one: its payload may be 65535) is dropped and counted
 * (tx_drop_esp_too_big).
 */
TEST_F(genl, esp_too_big_dropped_counted)
{
	const size_t largest = variant->family == AF_INET ?
			       65535 - 20 : IKETCP_MAX_ESP_PKT;
	struct gsa_sock si;
	int ike, peer;
	bool found;

	esp_pair(_metadata, variant->family, &ike, &peer);
	bind_ok(_metadata, &self->nl, ike, SA(IKETCP_DIR_OUT, 0xf001));
	ASSERT_EQ(raw_esp_send(variant->family, self->srv_addr, 0xf001, 1,
			       largest), 0)
		TH_LOG("ESP of %zu bytes: %s", largest, strerror(errno));
	ASSERT_EQ(read_esp_record(peer, 0xf001, 1, largest), 0);
	if (variant->family == AF_INET6) {
		/* Whether sendto() sees the drop is the hook's business. */
		raw_esp_send(AF_INET6, self->srv_addr, 0xf001, 2, largest + 1);
		raw_esp_send(AF_INET6, self->srv_addr, 0xf001, 3, 65535);
	}
	ASSERT_GE(ikt_get_socket(ikt_fd_inode(ike), &si, &found), 1);
	ASSERT_TRUE(found);
	EXPECT_EQ(si.cnt[IKETCP_CNT_TX_DROP_ESP_TOO_BIG],
		  variant->family == AF_INET6 ? 2u : 0u);
	EXPECT_EQ(si.cnt[IKETCP_CNT_TX_ESP_PKTS], 1u);
	/* Nothing of them reached the stream; the next one does. */
	ASSERT_EQ(raw_esp_send(variant->family, self->srv_addr, 0xf001, 4,
			       100), 0);
	ASSERT_EQ(read_esp_record(peer, 0xf001, 4, 100), 0)
		TH_LOG("%s", strerror(errno));
	close(ike);
	close(peer);
}

/*
 * Events are rate limited per socket (one of each kind per second): a
 * flood on one socket yields one event, another socket still gets its own,
 * and the first gets one again a second later.  Counters count them all.
 */
TEST_F(genl, events_rate_limited_per_socket)
{
	static uint8_t rec[64 * 20];
	uint8_t esp[16];
	struct gsa_event ev;
	struct gsa_nl ev_nl;
	int a_cli, a, b_cli, b, i, n_a = 0, n_b = 0, other = 0, ret;
	uint64_t a_ino, b_ino, t0, dt;
	size_t n = 0;

	ASSERT_EQ(pair(variant->family, &a_cli, &a), 0);
	ASSERT_EQ(pair(variant->family, &b_cli, &b), 0);
	ASSERT_EQ(ikt_attach(a, IKETCP_FRAMING_RFC9329), 0);
	ASSERT_EQ(ikt_attach(b, IKETCP_FRAMING_RFC9329), 0);
	a_ino = ikt_fd_inode(a);
	b_ino = ikt_fd_inode(b);
	ASSERT_EQ(gsa_open(&ev_nl), 0);
	ASSERT_EQ(gsa_join_events(&ev_nl), 0);
	memcpy(rec, IKT_PREFIX, IKT_PREFIX_LEN);
	n = IKT_PREFIX_LEN;
	for (i = 0; i < 20; i++) {
		esp_body(esp, sizeof(esp), 0x5000 + i, 1);
		n += ikt_raw_record(esp, sizeof(esp), rec + n);
	}
	/* 20 unbound ESP records on a, in one write. */
	t0 = mono_ms();
	ASSERT_EQ(ikt_write_all(a_cli, rec, n), 0);
	for (i = 0; i < 250 && ikt_counter(IKETCP_CNT_RX_DROP_ESP_UNBOUND) < 20;
	     i++)
		msleep(10);
	dt = mono_ms() - t0;
	EXPECT_EQ(ikt_counter(IKETCP_CNT_RX_DROP_ESP_UNBOUND), 20u);
	/* b, at once: its own event. */
	ASSERT_EQ(ikt_write_all(b_cli, rec, IKT_PREFIX_LEN + 18), 0);
	while (!(ret = gsa_wait_event(&ev_nl, IKETCP_EVENT_ESP_UNBOUND, 500,
				      &ev))) {
		if (ev.sock.inode == a_ino)
			n_a++;
		else if (ev.sock.inode == b_ino)
			n_b++;
		else
			other++;
	}
	EXPECT_EQ(ret, -ETIMEDOUT);
	EXPECT_EQ(n_b, 1) TH_LOG("socket b: %d events", n_b);
	EXPECT_EQ(other, 0);
	EXPECT_GE(n_a, 1);
	/* Within one second, one event; allow one more per second taken. */
	EXPECT_LE(n_a, 1 + (int)(dt / 1000))
		TH_LOG("socket a: %d events for 20 records in %llu ms", n_a,
		       (unsigned long long)dt);
	/* A second later, a is heard again. */
	msleep(1100);
	ASSERT_EQ(ikt_write_all(a_cli, rec + IKT_PREFIX_LEN, 18), 0);
	ret = gsa_wait_event(&ev_nl, IKETCP_EVENT_ESP_UNBOUND, EVENT_MS, &ev);
	ASSERT_EQ(ret, 0) TH_LOG("no event for a after 1.1 s");
	EXPECT_EQ(ev.sock.inode, a_ino);
	EXPECT_EQ(ikt_counter(IKETCP_CNT_RX_DROP_ESP_UNBOUND), 22u);
	close(a_cli);
	close(a);
	close(b_cli);
	close(b);
	gsa_close(&ev_nl);
}

/* ========================================================================
 * scale: 100 connections x 10 SAs
 */

#define SCALE_PAIRS	100
#define SCALE_SAS	10

FIXTURE(scale)
{
	int cli[SCALE_PAIRS], srv[SCALE_PAIRS];
	uint64_t ino[SCALE_PAIRS];
	struct gsa_nl nl;
	int ns_orig;
	long long kmalloc_base;		/* before the namespace */
};

static long long kmalloc_objects(void);
static long long kmalloc_settled(void);

FIXTURE_SETUP(scale)
{
	self->nl.fd = -1;
	self->kmalloc_base = kmalloc_settled();
	self->ns_orig = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(self->ns_orig, 0);
	ASSERT_EQ(ikt_netns_new(), 0);
	ASSERT_EQ(add_v6_addr(), 0);
	ASSERT_EQ(gsa_open(&self->nl), 0);
}

FIXTURE_TEARDOWN(scale)
{
	gsa_close(&self->nl);
	if (self->ns_orig >= 0)
		close(self->ns_orig);
}

/*
 * KASAN keeps freed objects in its quarantine, in use as /proc/slabinfo
 * counts them, until the quarantine is full: counting objects cannot show
 * a free there (the debug kernel's kmemleak scan checks for leaks instead).
 */
static bool kasan_quarantine(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[256];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, " kasan_quarantine_put") != NULL;
	fclose(f);
	return found;
}

/*
 * Objects in use in the general kmalloc caches of 64 to 512 bytes, plain
 * and accounted (/proc/slabinfo), or -1.  Other activity moves it by a
 * few dozen.
 */
static long long kmalloc_objects(void)
{
	static const char *const caches[] = {
		"kmalloc-64 ", "kmalloc-96 ", "kmalloc-128 ",
		"kmalloc-192 ", "kmalloc-256 ", "kmalloc-512 ",
		/* GFP_KERNEL_ACCOUNT allocations (memory cgroups) */
		"kmalloc-cg-64 ", "kmalloc-cg-96 ", "kmalloc-cg-128 ",
		"kmalloc-cg-192 ", "kmalloc-cg-256 ", "kmalloc-cg-512 ",
	};
	char line[512];
	long long sum = 0;
	unsigned int i;
	FILE *f;

	f = fopen("/proc/slabinfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		for (i = 0; i < sizeof(caches) / sizeof(caches[0]); i++)
			if (!strncmp(line, caches[i], strlen(caches[i])))
				sum += atoll(line + strlen(caches[i]));
	fclose(f);
	return sum;
}

/*
 * The same once it holds still (an earlier test's objects may still be
 * on their way out through RCU): two reads 200 ms apart within 50.
 */
static long long kmalloc_settled(void)
{
	long long a = kmalloc_objects(), b = a;
	int i, stable = 0;

	for (i = 0; i < 50; i++) {
		msleep(200);
		b = kmalloc_objects();
		if (b - a < 50 && a - b < 50 && ++stable == 5)
			break;
		if (b - a >= 50 || a - b >= 50)
			stable = 0;
		a = b;
	}
	return b;
}

static uint32_t scale_spi(int pair, int k)
{
	return 0x100000 + pair * 16 + k;
}

static int scale_dir(int k)
{
	return k < SCALE_SAS / 2 ? IKETCP_DIR_OUT : IKETCP_DIR_IN;
}

static int scale_bind_all(struct __test_metadata *_metadata,
			  FIXTURE_DATA(scale) *self)
{
	struct gsa_ack ack;
	int i, k, ret;

	for (i = 0; i < SCALE_PAIRS; i++)
		for (k = 0; k < SCALE_SAS; k++) {
			struct gsa_sa sa = gsa_sa_make(scale_dir(k),
						       scale_spi(i, k));

			ret = gsa_bind(&self->nl, self->cli[i], &sa, &ack);
			EXPECT_EQ(ret, 0) TH_LOG("bind %d/%d: %s (%s)", i, k,
						 strerror(-ret), ack.msg);
			if (ret)
				return ret;
		}
	return 0;
}

TEST_F_TIMEOUT(scale, thousand_bindings_dump_unbind_orphan_netns_exit, 180)
{
	long long with_orphans, after = 0;
	int lfd[2], i, k, count, ret, fam;
	struct timespec t0, t1;
	uint16_t port[2];
	struct gsa_dump d;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	lfd[0] = ikt_listen(AF_INET, &port[0]);
	lfd[1] = ikt_listen(AF_INET6, &port[1]);
	ASSERT_GE(lfd[0], 0);
	ASSERT_GE(lfd[1], 0);
	for (i = 0; i < SCALE_PAIRS; i++) {
		fam = i % 2;
		ASSERT_EQ(pair_on(fam ? AF_INET6 : AF_INET, lfd[fam], port[fam],
				  &self->cli[i], &self->srv[i]), 0)
			TH_LOG("pair %d: %s", i, strerror(errno));
		ASSERT_EQ(attach_pair(self->cli[i], self->srv[i]), 0)
			TH_LOG("attach %d: %s", i, strerror(errno));
		self->ino[i] = ikt_fd_inode(self->cli[i]);
	}
	close(lfd[0]);
	close(lfd[1]);
	EXPECT_EQ(nr_sockets(_metadata), 2 * SCALE_PAIRS);

	/* Bind: 5 OUT + 5 IN on each client socket. */
	ASSERT_EQ(scale_bind_all(_metadata, self), 0);
	EXPECT_EQ(nr_bindings(_metadata), SCALE_PAIRS * SCALE_SAS);

	/* Dump: in several parts, each SA once, under its socket. */
	ASSERT_EQ(gsa_dump(&self->nl, &d), 0);
	EXPECT_EQ(d.nsocks, 2 * SCALE_PAIRS);
	EXPECT_EQ(d.nsas, SCALE_PAIRS * SCALE_SAS);
	EXPECT_GT(d.nreads, 1) TH_LOG("a dump of %d SAs fit one read?", d.nsas);
	EXPECT_TRUE(d.all_multi);
	for (i = 0; i < SCALE_PAIRS; i++)
		for (k = 0; k < SCALE_SAS; k++) {
			const struct gsa_dump_sa *s;

			s = gsa_dump_find(&d, scale_dir(k), scale_spi(i, k),
					  &count);
			EXPECT_EQ(count, 1) TH_LOG("SA %d/%d listed %d times",
						   i, k, count);
			if (s)
				EXPECT_EQ(s->inode, self->ino[i]);
			if (count != 1)
				goto out_dump;
		}
out_dump:
	gsa_dump_free(&d);

	/* Unbind all by fd. */
	for (i = 0; i < SCALE_PAIRS; i++)
		for (k = 0; k < SCALE_SAS; k++) {
			struct gsa_sa sa = gsa_sa_make(scale_dir(k),
						       scale_spi(i, k));

			ret = gsa_unbind(&self->nl, self->cli[i], &sa, NULL);
			ASSERT_EQ(ret, 0) TH_LOG("unbind %d/%d: %s", i, k,
						 strerror(-ret));
		}
	EXPECT_EQ(nr_bindings(_metadata), 0);
	ASSERT_EQ(gsa_dump(&self->nl, &d), 0);
	EXPECT_EQ(d.nsas, 0);
	gsa_dump_free(&d);

	/* Rebind, then close every socket: 1000 orphans. */
	ASSERT_EQ(scale_bind_all(_metadata, self), 0);
	for (i = 0; i < SCALE_PAIRS; i++) {
		ikt_close_rst(self->cli[i]);
		ikt_close_rst(self->srv[i]);
	}
	EXPECT_EQ(nr_sockets(_metadata), 0);
	EXPECT_EQ(nr_bindings(_metadata), SCALE_PAIRS * SCALE_SAS);
	ASSERT_EQ(gsa_dump(&self->nl, &d), 0);
	EXPECT_EQ(d.nsocks, 0);
	gsa_dump_free(&d);

	/*
	 * Leave and drop the namespace: its exit frees the orphans.  Nothing
	 * can ask a dead namespace, so count what the bindings live in: the
	 * general kmalloc caches (struct iketcp_binding is one object each)
	 * hold 1000 more objects now than before the namespace existed, and
	 * fall back once it is gone (a leak would keep them).
	 */
	with_orphans = kmalloc_objects();
	ASSERT_GT(self->kmalloc_base, 0)
		TH_LOG("no kmalloc caches in /proc/slabinfo");
	EXPECT_GT(with_orphans,
		  self->kmalloc_base + SCALE_PAIRS * SCALE_SAS / 2);
	gsa_close(&self->nl);
	ASSERT_EQ(setns(self->ns_orig, CLONE_NEWNET), 0);
	/* Namespaces die in a work item, bindings after an RCU grace. */
	for (i = 0; i < 200; i++) {
		after = kmalloc_objects();
		if (after < self->kmalloc_base + SCALE_PAIRS * SCALE_SAS / 2)
			break;
		msleep(50);
	}
	if (!kasan_quarantine())
		EXPECT_LT(after,
			  self->kmalloc_base + SCALE_PAIRS * SCALE_SAS / 2)
			TH_LOG("kmalloc objects: %lld before, %lld with the orphans, %lld after the namespace exit",
			       self->kmalloc_base, with_orphans, after);
	TH_LOG("kmalloc objects: %lld before, %lld with the orphans, %lld after",
	       self->kmalloc_base, with_orphans, after);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	TH_LOG("scale: %.1f s", (t1.tv_sec - t0.tv_sec) +
	       (t1.tv_nsec - t0.tv_nsec) / 1e9);
}

/* ========================================================================
 * genl_max: IKETCP_MAX_BINDINGS (after scale: its 65536 bindings take a
 * while to be freed, and scale counts kmalloc objects)
 */

FIXTURE(genl_max)
{
	int cli, srv;
	struct gsa_nl nl;
	uint8_t srv_addr[16];
	int alen;
	uint64_t srv_ino;
};

FIXTURE_VARIANT(genl_max)
{
	int family;
};

FIXTURE_VARIANT_ADD(genl_max, ipv4)
{
	.family = AF_INET,
};

FIXTURE_SETUP(genl_max)
{
	self->nl.fd = -1;
	ASSERT_EQ(ikt_netns_new(), 0);
	ASSERT_EQ(pair(variant->family, &self->cli, &self->srv), 0);
	ASSERT_EQ(attach_pair(self->cli, self->srv), 0);
	addr_of(variant->family, false, self->srv_addr, &self->alen);
	self->srv_ino = ikt_fd_inode(self->srv);
	ASSERT_EQ(gsa_open(&self->nl), 0);
}

FIXTURE_TEARDOWN(genl_max)
{
	gsa_close(&self->nl);
	close(self->cli);
	close(self->srv);
}

/*
 * Send count BIND_SA requests (OUT, SPIs first, first + 1, ...) on fd in
 * batches (one send() each), then read their ACKs.  Returns how many
 * succeeded, or -errno; *last_err: the last failed request's error.
 */
static int bind_many(struct gsa_nl *nl, int fd, uint32_t first, int count,
		     int *last_err)
{
	static uint8_t out[64 * 128];
	static uint8_t in[64 * 1024];
	int done = 0, ok = 0;

	*last_err = 0;
	while (done < count) {
		/* Few enough that their ACKs fit the receive buffer. */
		int batch = count - done > 64 ? 64 : count - done;
		size_t off = 0;
		int i, acks = 0;

		for (i = 0; i < batch; i++) {
			struct gsa_sa sa = gsa_sa_make(IKETCP_DIR_OUT,
						       first + done + i);
			struct gsa_req r;

			gsa_req_init(nl, &r, IKETCP_CMD_BIND_SA);
			r.n.nlmsg_flags |= NLM_F_ACK;
			gsa_put_u32(&r, IKETCP_A_SOCK_FD, fd);
			gsa_put_sa(&r, &sa);
			memcpy(out + off, &r, r.n.nlmsg_len);
			off += NLMSG_ALIGN(r.n.nlmsg_len);
		}
		if (send(nl->fd, out, off, 0) != (ssize_t)off)
			return -errno;
		while (acks < batch) {
			struct nlmsghdr *n;
			int len = recv(nl->fd, in, sizeof(in), 0);

			if (len < 0)
				return -errno;
			for (n = (struct nlmsghdr *)in; NLMSG_OK(n, len);
			     n = NLMSG_NEXT(n, len)) {
				struct nlmsgerr *e = NLMSG_DATA(n);

				if (n->nlmsg_type != NLMSG_ERROR)
					continue;
				acks++;
				if (!e->error) {
					ok++;
					continue;
				}
				*last_err = e->error;
			}
		}
		done += batch;
	}
	return ok;
}

/* IKETCP_MAX_BINDINGS per namespace; the next new binding gets ENOSPC. */
TEST_F_TIMEOUT(genl_max, bind_beyond_max_bindings_enospc, 600)
{
	struct gsa_sa sa = gsa_sa_make(IKETCP_DIR_OUT, 0x100000);
	struct gsa_sa mv = gsa_sa_make(IKETCP_DIR_OUT, 1);
	struct gsa_dump_sa got;
	struct gsa_ack ack;
	int ret, err;

	ret = bind_many(&self->nl, self->cli, 1, IKETCP_MAX_BINDINGS, &err);
	ASSERT_EQ(ret, IKETCP_MAX_BINDINGS)
		TH_LOG("%d bindings made; last error %s", ret,
		       strerror(-err));
	EXPECT_EQ(nr_bindings(_metadata), IKETCP_MAX_BINDINGS);
	ret = gsa_bind(&self->nl, self->cli, &sa, &ack);
	check_ack(_metadata, "BIND beyond IKETCP_MAX_BINDINGS", ret, &ack,
		  ENOSPC, 0, "too many");
	ret = gsa_bind(&self->nl, self->srv, &sa, &ack);
	check_ack(_metadata, "BIND beyond the limit, other socket", ret, &ack,
		  ENOSPC, 0, NULL);
	EXPECT_EQ(nr_bindings(_metadata), IKETCP_MAX_BINDINGS);
	/*
	 * Moving an existing binding (same key: the cli socket's peer as
	 * DADDR) is no new one: allowed at the limit.
	 */
	mv.family = variant->family;
	memcpy(mv.daddr, self->srv_addr, 16);
	mv.daddr_len = self->alen;
	bind_ok(_metadata, &self->nl, self->srv, &mv);
	EXPECT_TRUE(get_binding(&self->nl, IKETCP_DIR_OUT, 1, &got) &&
		    got.inode == self->srv_ino);
	/* One removed, one may be added. */
	EXPECT_EQ(gsa_unbind(&self->nl, self->cli, SA(IKETCP_DIR_OUT, 2),
			     NULL), 0);
	bind_ok(_metadata, &self->nl, self->cli, &sa);
	ret = gsa_bind(&self->nl, self->cli, SA(IKETCP_DIR_IN, 0x100000),
		       &ack);
	check_ack(_metadata, "BIND at the limit again", ret, &ack, ENOSPC, 0,
		  NULL);
	EXPECT_EQ(nr_bindings(_metadata), IKETCP_MAX_BINDINGS);
}

/* ========================================================================
 * rmmod: unloading with bindings (last: it reloads the module)
 */

FIXTURE(rmmod)
{
	int cli, srv;
	struct gsa_nl nl;
	const char *ko;
	bool ready;		/* setup ran to the end */
};

FIXTURE_SETUP(rmmod)
{
	self->nl.fd = -1;
	self->ready = false;
	self->ko = getenv("IKETCP_MODULE");
	/* 6.1's harness runs the body after a SKIP here: it checks ready. */
	if (!self->ko || access(self->ko, R_OK))
		SKIP(return, "IKETCP_MODULE unset or unreadable: cannot reload");
	ASSERT_EQ(ikt_netns_new(), 0);
	ASSERT_EQ(pair(AF_INET, &self->cli, &self->srv), 0);
	ASSERT_EQ(attach_pair(self->cli, self->srv), 0);
	ASSERT_EQ(gsa_open(&self->nl), 0);
	self->ready = true;
}

FIXTURE_TEARDOWN(rmmod)
{
	gsa_close(&self->nl);
}

static int delete_module(const char *name, int flags)
{
	return syscall(SYS_delete_module, name, flags);
}

static int load_module(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	return ret;
}

TEST_F_TIMEOUT(rmmod, with_orphaned_bindings_then_reload, 60)
{
	struct gsa_netns ns;
	int tries, ret, id;

	if (!self->ready)
		SKIP(return, "IKETCP_MODULE unset or unreadable: cannot reload");
	bind_ok(_metadata, &self->nl, self->cli,
		SA(IKETCP_DIR_OUT, 0xb001));
	bind_ok(_metadata, &self->nl, self->cli,
		SA(IKETCP_DIR_IN, 0xb002));
	bind_ok(_metadata, &self->nl, self->srv,
		SA(IKETCP_DIR_OUT, 0xb003));
	EXPECT_EQ(nr_bindings(_metadata), 3);

	/* Attached sockets hold the module. */
	ret = delete_module("iketcp", O_NONBLOCK);
	EXPECT_EQ(ret, -1) TH_LOG("rmmod succeeded with sockets attached");
	if (ret == 0) {
		ASSERT_EQ(load_module(self->ko), 0);
		return;
	}
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY)
		TH_LOG("rmmod: %s", strerror(errno));

	/* Destroy both sockets at once: the bindings are orphans now. */
	ikt_close_rst(self->cli);
	ikt_close_rst(self->srv);
	EXPECT_EQ(nr_sockets(_metadata), 0);
	EXPECT_EQ(nr_bindings(_metadata), 3);
	gsa_close(&self->nl);

	for (tries = 0; tries < 50; tries++) {
		ret = delete_module("iketcp", O_NONBLOCK);
		if (!ret || (errno != EWOULDBLOCK && errno != EBUSY))
			break;
		msleep(100);
	}
	ASSERT_EQ(ret, 0) TH_LOG("rmmod after close (%d tries): %s", tries,
				 strerror(errno));
	if (tries)
		TH_LOG("rmmod needed %d retries", tries);
	id = gsa_family_lookup(IKETCP_GENL_NAME, NULL);
	EXPECT_EQ(id, -ENOENT) TH_LOG("family still registered after rmmod");

	ASSERT_EQ(load_module(self->ko), 0)
		TH_LOG("insmod %s: %s", self->ko, strerror(errno));
	/* The reloaded module starts empty, in this namespace too. */
	ASSERT_EQ(gsa_open(&self->nl), 0);
	ns.nr_sockets = ns.nr_bindings = 99;
	ASSERT_EQ(gsa_get_netns(&self->nl, &ns), 0);
	EXPECT_EQ(ns.nr_bindings, 0U);
	EXPECT_EQ(ns.nr_sockets, 0U);
}

TEST_HARNESS_MAIN
