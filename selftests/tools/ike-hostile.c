// SPDX-License-Identifier: GPL-2.0
/*
 * ike-hostile: hostile and legitimate IKEv2 traffic against a responder, for
 * selftests/iketcpd_hostile.sh (issue 19).
 *
 *   ike-hostile garbage --dst ADDR --src A[,B...] [--rounds N] [--pace-us U]
 *	Datagrams no responder may keep state for: random bytes, every
 *	truncation of a request, wrong header lengths, versions and flags,
 *	bad payload, proposal and transform lengths, unknown critical
 *	payloads, too many payloads, KE values of the wrong group or length
 *	or of low order, messages for unknown SPIs (IKE_AUTH, INFORMATIONAL,
 *	CREATE_CHILD_SA, responses), a 64 KiB chain of 16000 payloads, and on
 *	the NAT-T port runts, keepalives, bare markers and ESP-looking bytes.
 *	Prints what it sent and what came back (stateless error answers).
 *
 *   ike-hostile replay --dst ADDR --src ADDR [--count N]
 *	One real IKE_SA_INIT request, answered; then that captured request
 *	replayed N times from the same address and other ports, the same SPIi
 *	with another nonce, an IKE_AUTH for the new SA with a forged SK
 *	payload, and the responder's own response reflected back.  Exit 0 when
 *	the request was answered and every answer to a replay is the first
 *	response byte for byte (no new SA, no new key exchange).
 *
 *   ike-hostile flood --dst ADDR --src A[,B...] [--count N] [--ports P]
 *			[--answer-cookies]
 *	N mutated but well-formed IKE_SA_INIT requests (random SPIs, nonces,
 *	KE values, proposal lists, extra notifies and vendor IDs; a tenth with
 *	the wrong KE group, a tenth with no acceptable proposal) from P ports
 *	on each source address, as fast as the sockets take them.  With
 *	--answer-cookies an N(COOKIE) answer is obeyed (an attacker that owns
 *	its addresses): it reads the answers between its requests and sends
 *	the cookie back at once, so that only max_half_open bounds what it
 *	holds.  Prints the answers by kind and when they came.
 *
 *   ike-hostile legit --dst ADDR --src ADDR [--count N] [--gap-ms G]
 *			[--deadline S]
 *	N real IKE_SA_INIT requests, one every G ms, each retransmitted after
 *	1, 2 and 4 s (RFC 7296 2.4) and repeated with the cookie when asked
 *	(2.6); one is answered when a response with SA, KE and Nr for its SPIi
 *	arrives within S seconds.  Prints each time and
 *	"legit: answered K of N".
 *
 * Common options: --port P (IKE, 500), --natt-port P (4500), --seed S.
 * x25519 public values are random 32-byte strings (every string is a valid
 * u-coordinate), so the tool needs no crypto library: the responder still
 * computes a shared secret for each request it accepts.  Messages are built
 * and answers parsed with the project's own builder and parser (msg.c, no
 * libraries): the tool checks structure, not the daemon's decisions.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../user/ike/msg.c"

#define MAX_SRC		256
#define BUF_MAX		65536
#define COOKIE_MAX	64

static struct {
	const char *dst;
	const char *src[MAX_SRC];
	int n_src;
	int count, rounds, ports, gap_ms, pace_us;
	double deadline;
	uint16_t port, natt_port;
	uint64_t seed;
	bool answer_cookies;
} opt = {
	.count = -1, .rounds = 1, .ports = 4, .gap_ms = 200, .pace_us = -1,
	.deadline = 10, .port = 500, .natt_port = 4500,
};

static struct sockaddr_storage dst, dst_natt;
static socklen_t dst_len;

/* ---- small helpers ---------------------------------------------------- */

static uint64_t rng;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from --seed */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static uint32_t rnd_below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = (uint8_t)rnd();
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "ike-hostile: %s: %s\n", what, strerror(errno));
	exit(2);
}

static socklen_t addr_parse(const char *s, uint16_t port,
			    struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return sizeof(*s4);
	}
	if (inet_pton(AF_INET6, s, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		return sizeof(*s6);
	}
	fprintf(stderr, "ike-hostile: not an address: %s\n", s);
	exit(2);
}

/* A non-blocking UDP socket bound to src, port 0 (a new source port). */
static int udp_from(const char *src)
{
	struct sockaddr_storage ss;
	socklen_t sl = addr_parse(src, 0, &ss);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	int big = 1 << 20;

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&ss, sl))
		die(src);
	return fd;
}

static unsigned long n_sent, n_send_err;

/* Send, waiting out a full socket buffer; natt: to 4500, bytes as given. */
static void send_raw(int fd, const void *buf, size_t len, bool natt)
{
	const struct sockaddr *to = (const struct sockaddr *)
		(natt ? &dst_natt : &dst);
	int tries;

	for (tries = 0; tries < 1000; tries++) {
		if (sendto(fd, buf, len, 0, to, dst_len) >= 0) {
			n_sent++;
			return;
		}
		if (errno != EAGAIN && errno != ENOBUFS)
			break;
		usleep(100);
	}
	n_send_err++;
}

/* An IKE message to port 4500 goes behind the non-ESP marker. */
static void send_ike(int fd, const uint8_t *msg, size_t len, bool natt)
{
	static uint8_t b[BUF_MAX + 4];

	if (!natt || len > BUF_MAX) {
		send_raw(fd, msg, len, false);
		return;
	}
	memset(b, 0, 4);
	memcpy(b + 4, msg, len);
	send_raw(fd, b, len + 4, true);
}

static void pace(void)
{
	if (opt.pace_us > 0)
		usleep(opt.pace_us);
}

/* ---- building requests ------------------------------------------------ */

static void put_t(struct ike_proposal *p, uint8_t type, uint16_t id,
		  uint16_t keylen)
{
	if (p->n_transforms < IKE_MAX_TRANSFORMS)
		p->t[p->n_transforms++] =
			(struct ike_transform){ type, id, keylen };
}

/* aes256gcm16-prfsha256-x25519: what the test's responder takes */
static void good_proposal(struct ike_proposal *p, uint8_t num)
{
	memset(p, 0, sizeof(*p));
	p->num = num;
	p->protocol = IKE_PROTO_IKE;
	put_t(p, IKE_TT_ENCR, IKE_ENCR_AES_GCM_16, 256);
	put_t(p, IKE_TT_PRF, IKE_PRF_HMAC_SHA2_256, 0);
	put_t(p, IKE_TT_KE, IKE_KE_X25519, 0);
}

/* Something no responder of the test accepts: AES-CBC-128, SHA-384, ECP-384 */
static void bad_proposal(struct ike_proposal *p, uint8_t num)
{
	memset(p, 0, sizeof(*p));
	p->num = num;
	p->protocol = IKE_PROTO_IKE;
	put_t(p, IKE_TT_ENCR, IKE_ENCR_AES_CBC, 128);
	put_t(p, IKE_TT_PRF, IKE_PRF_HMAC_SHA2_384, 0);
	put_t(p, IKE_TT_INTEG, IKE_INTEG_HMAC_SHA2_384_192, 0);
	put_t(p, IKE_TT_KE, IKE_KE_ECP384, 0);
}

struct req {
	uint64_t spi_i;
	const uint8_t *cookie;
	size_t cookie_len;
	struct ike_sa_pl sa;
	uint16_t group;
	uint8_t ke[512];
	size_t ke_len;
	uint8_t nonce[256];
	size_t nonce_len;
	int n_extra_notify;		/* random status notifies after the nonce */
	size_t vendor_len;		/* a Vendor ID of this size, 0: none */
};

/* The plain request of a well-behaved initiator. */
static void req_plain(struct req *r)
{
	memset(r, 0, sizeof(*r));
	r->spi_i = rnd() | 1;
	r->sa.n = 1;
	good_proposal(&r->sa.p[0], 1);
	r->group = IKE_KE_X25519;
	r->ke_len = 32;
	rnd_bytes(r->ke, 32);
	r->nonce_len = 32;
	rnd_bytes(r->nonce, 32);
}

static size_t req_build(const struct req *r, uint8_t *buf, size_t cap)
{
	struct ike_hdr h = { .spi_i = r->spi_i, .exchange = IKE_SA_INIT,
			     .flags = IKE_FLAG_INITIATOR };
	struct ike_wbuf w;
	uint8_t data[64];
	int i;

	ike_w_init(&w, buf, cap);
	ike_w_header(&w, &h);
	if (r->cookie_len)	/* first (RFC 7296 2.6) */
		ike_w_notify(&w, 0, NULL, 0, IKE_N_COOKIE, r->cookie,
			     r->cookie_len);
	ike_w_sa(&w, &r->sa);
	ike_w_ke(&w, r->group, r->ke, r->ke_len);
	ike_w_nonce(&w, r->nonce, r->nonce_len);
	for (i = 0; i < r->n_extra_notify; i++) {
		/* NAT detection hashes that match nothing, or an unknown
		 * status type: both are to be ignored or used, not refused */
		uint16_t type = i < 2 ? IKE_N_NAT_DETECTION_SOURCE_IP + i :
			(uint16_t)(40000 + rnd_below(20000));

		rnd_bytes(data, 20);
		ike_w_notify(&w, 0, NULL, 0, type, data, 20);
	}
	if (r->vendor_len) {
		size_t at = ike_w_begin(&w, IKE_PL_VENDOR);
		uint8_t v[256];

		rnd_bytes(v, r->vendor_len);
		ike_w_bytes(&w, v, r->vendor_len);
		ike_w_end(&w, at);
	}
	ike_w_finish(&w);
	return w.err ? 0 : w.len;
}

/* A request for an exchange on an SA: header, then an SK payload of
 * random bytes (nothing decrypts it). */
static size_t sk_msg(uint8_t *buf, size_t cap, uint64_t spi_i, uint64_t spi_r,
		     uint8_t exchange, uint8_t flags, uint32_t msgid,
		     size_t body, bool fragment)
{
	struct ike_hdr h = { .spi_i = spi_i, .spi_r = spi_r,
			     .exchange = exchange, .flags = flags,
			     .msgid = msgid };
	struct ike_wbuf w;
	uint8_t b[1024];

	if (body > sizeof(b))
		body = sizeof(b);
	rnd_bytes(b, body);
	ike_w_init(&w, buf, cap);
	ike_w_header(&w, &h);
	if (fragment) {
		size_t at = ike_w_begin(&w, IKE_PL_SKF);

		ike_w_u16(&w, 1);
		ike_w_u16(&w, 2);
		ike_w_bytes(&w, b, body);
		ike_w_end(&w, at);
		if (!w.err)
			w.p[at] = IKE_PL_IDI;
	} else {
		ike_w_sk_header(&w, IKE_PL_IDI, body);
		ike_w_bytes(&w, b, body);
	}
	ike_w_finish(&w);
	return w.err ? 0 : w.len;
}

/* ---- reading answers -------------------------------------------------- */

enum ans_kind { A_FULL, A_COOKIE, A_INVALID_KE, A_NO_PROPOSAL, A_SYNTAX,
		A_OTHER_NOTIFY, A_UNPARSED, A_KINDS };
static const char *const ans_name[A_KINDS] = {
	"full", "cookie", "invalid_ke", "no_proposal", "invalid_syntax",
	"other_notify", "unparsed",
};
static unsigned long answers[A_KINDS];
static double ans_first[A_KINDS], ans_last[A_KINDS];	/* flood: times */

static struct ike_msg am;	/* large: not on the stack */

/*
 * What an answer to an IKE_SA_INIT request is.  A full one must be a
 * response to spi_i (when non-zero) carrying SA (one proposal we offered:
 * AES-GCM-256, PRF-SHA256, x25519), KE (x25519, 32 bytes), a nonce and a
 * responder SPI.
 */
static enum ans_kind classify(const uint8_t *b, size_t n, uint64_t spi_i)
{
	const struct ike_notify_pl *no;
	const struct ike_proposal *p;
	struct ike_parse_result r = ike_msg_parse(b, n, &am);
	int i, ok = 0;

	if (r.err || am.hdr.exchange != IKE_SA_INIT ||
	    !(am.hdr.flags & IKE_FLAG_RESPONSE) || am.hdr.msgid ||
	    (spi_i && am.hdr.spi_i != spi_i))
		return A_UNPARSED;
	if (ike_msg_notify(&am, IKE_N_COOKIE))
		return A_COOKIE;
	no = ike_msg_error(&am);
	if (no) {
		if (no->type == IKE_N_INVALID_KE_PAYLOAD)
			return A_INVALID_KE;
		if (no->type == IKE_N_NO_PROPOSAL_CHOSEN)
			return A_NO_PROPOSAL;
		if (no->type == IKE_N_INVALID_SYNTAX)
			return A_SYNTAX;
		return A_OTHER_NOTIFY;
	}
	if (!am.has_sa || !am.has_ke || !am.has_nonce || !am.hdr.spi_r ||
	    am.sa.n != 1 || am.ke.group != IKE_KE_X25519 ||
	    am.ke.data.len != 32)
		return A_OTHER_NOTIFY;
	p = &am.sa.p[0];
	for (i = 0; i < p->n_transforms; i++) {
		const struct ike_transform *t = &p->t[i];

		ok += (t->type == IKE_TT_ENCR && t->id == IKE_ENCR_AES_GCM_16 &&
		       t->keylen == 256) ||
		      (t->type == IKE_TT_PRF && t->id == IKE_PRF_HMAC_SHA2_256) ||
		      (t->type == IKE_TT_KE && t->id == IKE_KE_X25519);
	}
	return ok == 3 && p->n_transforms == 3 ? A_FULL : A_OTHER_NOTIFY;
}

/* One datagram from fd into buf, the marker removed when it came from the
 * NAT-T port; -1: none. */
static ssize_t recv_ike(int fd, uint8_t *buf, size_t cap)
{
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(fd, buf, cap, MSG_DONTWAIT,
			     (struct sockaddr *)&from, &fl);
	uint16_t port = from.ss_family == AF_INET6 ?
		ntohs(((struct sockaddr_in6 *)&from)->sin6_port) :
		ntohs(((struct sockaddr_in *)&from)->sin_port);

	if (n >= 4 && port == opt.natt_port && !memcmp(buf, "\0\0\0\0", 4)) {
		memmove(buf, buf + 4, n - 4);
		n -= 4;
	}
	return n;
}

/* Count whatever answers wait on the sockets, until quiet for `quiet` s. */
static void drain(const int *fds, int nfd, double quiet)
{
	static uint8_t b[BUF_MAX];
	double until = now_s() + quiet;

	while (now_s() < until) {
		struct pollfd pfd[MAX_SRC * 8];
		int i, k = nfd < MAX_SRC * 8 ? nfd : MAX_SRC * 8;

		for (i = 0; i < k; i++)
			pfd[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		if (poll(pfd, k, 50) <= 0)
			continue;
		for (i = 0; i < k; i++) {
			ssize_t n;

			if (!(pfd[i].revents & POLLIN))
				continue;
			while ((n = recv_ike(fds[i], b, sizeof(b))) >= 0)
				answers[classify(b, n, 0)]++;
		}
		until = now_s() + quiet;
	}
}

static void print_answers(const char *who)
{
	int k;

	printf("# %s: answers:", who);
	for (k = 0; k < A_KINDS; k++)
		printf(" %s %lu", ans_name[k], answers[k]);
	printf("\n");
}

/* ---- garbage ---------------------------------------------------------- */

static unsigned long g_count[32];
static const char *g_name[32];
static int g_cat;

static void cat(int k, const char *name)
{
	g_cat = k;
	g_name[k] = name;
}

static void g_send(int fd, const uint8_t *b, size_t len, bool natt)
{
	send_ike(fd, b, len, natt);
	g_count[g_cat]++;
	pace();
}

static void g_send_raw(int fd, const uint8_t *b, size_t len)
{
	send_raw(fd, b, len, true);
	g_count[g_cat]++;
	pace();
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/* Offsets of the generic headers of a built message's payloads. */
static int payload_offsets(const uint8_t *b, size_t len, size_t *off, int max)
{
	size_t at = IKE_HDR_LEN;
	uint8_t next = b[16];
	int n = 0;

	while (next && at + 4 <= len && n < max) {
		off[n++] = at;
		next = b[at];
		at += (size_t)(b[at + 2] << 8 | b[at + 3]);
	}
	return n;
}

/* A request with this KE group and data (refused, answered statelessly,
 * or failing its key exchange). */
static size_t req_with_ke(uint8_t *buf, uint16_t group, const uint8_t *ke,
			  size_t len)
{
	struct req r;

	req_plain(&r);
	r.group = group;
	memcpy(r.ke, ke, len);
	r.ke_len = len;
	return req_build(&r, buf, BUF_MAX);
}

static unsigned long g_skipped;

/*
 * Would this message be a well-formed IKE_SA_INIT request, one that a
 * responder may rightly answer with a new SA?  The targeted corruptions
 * below are built not to be; this keeps a mutation that happens to
 * produce a valid request out of the "no SA" count.
 */
static bool is_valid_request(const uint8_t *b, size_t len)
{
	struct ike_parse_result r = ike_msg_parse(b, len, &am);

	return !r.err && am.hdr.exchange == IKE_SA_INIT &&
	       (am.hdr.flags & IKE_FLAG_INITIATOR) &&
	       !(am.hdr.flags & IKE_FLAG_RESPONSE) && !am.hdr.spi_r &&
	       !am.hdr.msgid && am.has_sa && am.has_ke && am.has_nonce &&
	       !am.has_sk && am.ke.group == IKE_KE_X25519 &&
	       am.ke.data.len == 32;
}

static void g_mut(int fd, const uint8_t *b, size_t len, bool natt)
{
	if (is_valid_request(b, len)) {
		g_skipped++;
		return;
	}
	g_send(fd, b, len, natt);
}

static void garbage_round(const int *fds, int nfd)
{
	static uint8_t b[BUF_MAX], v[BUF_MAX];
	size_t off[32], vlen, len;
	struct req r;
	int i, k, np;
	bool natt;

#define FD() fds[rnd_below(nfd)]
	/* 1. random datagrams, 1 to 1500 bytes, to both ports */
	cat(0, "random");
	for (i = 0; i < 400; i++) {
		len = 1 + rnd_below(1500);
		rnd_bytes(b, len);
		if (i % 2)	/* to 4500 behind a marker: IKE garbage */
			g_send(FD(), b, len, true);
		else
			g_send(FD(), b, len, false);
	}
	/* 2. every truncation of a valid request, header length as sent
	 * and as patched to the truncated length */
	cat(1, "truncated");
	req_plain(&r);
	r.n_extra_notify = 2;
	vlen = req_build(&r, v, sizeof(v));
	for (len = 0; len < vlen; len++) {
		memcpy(b, v, len);
		natt = len % 3 == 0;
		g_mut(FD(), b, len, natt);
		if (len >= IKE_HDR_LEN) {
			put32(b + 24, (uint32_t)len);
			g_mut(FD(), b, len, natt);
		}
	}
	/* 3. header: wrong length, version, flags, message ID, SPIr */
	cat(2, "header");
	{
		static const uint32_t lens[] = { 0, 1, 27, 28, 0xffffffff,
						 0x80000000 };
		static const uint8_t vers[] = { 0x00, 0x10, 0x30, 0xf0, 0x21 };
		static const uint8_t flags[] = { 0x00, IKE_FLAG_RESPONSE,
			IKE_FLAG_RESPONSE | IKE_FLAG_INITIATOR, 0xff & ~0x08 };

		for (k = 0; k < 6; k++) {
			memcpy(b, v, vlen);
			put32(b + 24, lens[k]);
			g_mut(FD(), b, vlen, k & 1);
		}
		for (k = -3; k <= 3; k++) {
			if (!k)
				continue;
			memcpy(b, v, vlen);
			put32(b + 24, (uint32_t)(vlen + k));
			g_mut(FD(), b, vlen, k & 1);
		}
		for (k = 0; k < 5; k++) {
			memcpy(b, v, vlen);
			b[17] = vers[k];	/* 0x21: minor 1, still v2 */
			if (vers[k] == 0x21)
				b[19] = 0;	/* and no Initiator flag */
			g_mut(FD(), b, vlen, k & 1);
		}
		for (k = 0; k < 4; k++) {
			memcpy(b, v, vlen);
			b[19] = flags[k];
			g_mut(FD(), b, vlen, k & 1);
		}
		memcpy(b, v, vlen);
		put32(b + 20, 1);		/* message ID 1 */
		g_mut(FD(), b, vlen, false);
		memcpy(b, v, vlen);
		put32(b + 8, 0xdeadbeef);	/* SPIr set */
		g_mut(FD(), b, vlen, false);
		memcpy(b, v, vlen);
		b[16] = 0;			/* no payloads, bytes follow */
		g_mut(FD(), b, vlen, false);
		memcpy(b, v, vlen);
		b[18] = 0;			/* exchange 0 */
		g_mut(FD(), b, vlen, false);
	}
	/* 4. each payload's length: 0..3, +-1, beyond the message */
	cat(3, "payload_length");
	np = payload_offsets(v, vlen, off, 32);
	for (k = 0; k < np; k++) {
		static const int16_t delta[] = { -1000, -1, 1, 2, 1000 };
		uint16_t pl = (uint16_t)(v[off[k] + 2] << 8 | v[off[k] + 3]);

		for (i = 0; i < 4; i++) {
			memcpy(b, v, vlen);
			put16(b + off[k] + 2, (uint16_t)i);
			g_mut(FD(), b, vlen, i & 1);
		}
		for (i = 0; i < 5; i++) {
			memcpy(b, v, vlen);
			put16(b + off[k] + 2, (uint16_t)(pl + delta[i]));
			g_mut(FD(), b, vlen, i & 1);
		}
		memcpy(b, v, vlen);
		put16(b + off[k] + 2, 0xffff);
		g_mut(FD(), b, vlen, false);
		memcpy(b, v, vlen);
		b[off[k]] = 0;		/* chain ends early: bytes left */
		if (k + 1 < np)
			g_mut(FD(), b, vlen, false);
	}
	/* ... inside the SA payload: proposal and transform lengths and
	 * counts, the attribute (the SA payload is the first) */
	{
		size_t sa = off[0] + 4;	/* the first proposal */
		static const struct { size_t at; int w; uint16_t val; } m[] = {
			{ 2, 2, 0 }, { 2, 2, 7 }, { 2, 2, 0xffff },
			{ 2, 2, 1 },			/* proposal length */
			{ 7, 1, 0 }, { 7, 1, 4 }, { 7, 1, 255 },	/* count */
			{ 6, 1, 9 }, { 6, 1, 3 },	/* SPI size */
			{ 4, 1, 0 },			/* proposal number 0 */
			{ 0, 1, 2 },			/* "more proposals" */
			{ 8 + 2, 2, 0 }, { 8 + 2, 2, 7 },
			{ 8 + 2, 2, 0xffff },		/* transform length */
			{ 8 + 0, 1, 0 },		/* "last" too early */
			{ 8 + 8, 2, 0x000e },		/* attribute as TLV */
		};

		for (i = 0; i < (int)(sizeof(m) / sizeof(m[0])); i++) {
			memcpy(b, v, vlen);
			if (m[i].w == 2) {
				uint16_t cur = (uint16_t)(b[sa + m[i].at] << 8 |
							  b[sa + m[i].at + 1]);

				put16(b + sa + m[i].at, m[i].at == 2 &&
				      m[i].val == 1 ? cur + 1 : m[i].val);
			} else {
				b[sa + m[i].at] = (uint8_t)m[i].val;
			}
			g_mut(FD(), b, vlen, i & 1);
		}
	}
	/* 5. unknown critical payloads: first, in the middle, last */
	cat(4, "critical");
	for (k = 0; k < 3; k++) {
		uint8_t type = (uint8_t)(200 + rnd_below(50));
		size_t at;

		memcpy(b, v, vlen);
		len = vlen;
		/* append: the last payload's Next Payload -> type */
		at = off[np - 1];
		if (k == 0) {
			b[at] = type;
			memcpy(b + len, "\0\x80\0\x08" "abcd", 8);
			len += 8;
		} else {
			/* insert after the header (k 1) or the SA (k 2) */
			size_t ins = k == 1 ? IKE_HDR_LEN : off[1];
			uint8_t *link = k == 1 ? b + 16 : b + off[0];
			uint8_t was = *link;

			memmove(b + ins + 8, b + ins, vlen - ins);
			*link = type;
			b[ins] = was;
			memcpy(b + ins + 1, "\x80\0\x08" "wxyz", 7);
			len += 8;
		}
		put32(b + 24, (uint32_t)len);
		g_mut(FD(), b, len, k & 1);
		/* and in a message for an unknown SA */
		len = sk_msg(b, sizeof(b), rnd(), rnd(), IKE_AUTH,
			     IKE_FLAG_INITIATOR, 1, 64, false);
		b[16] = type;
		memmove(b + 36, b + 28, len - 28);
		memcpy(b + 28, "\x2e\x80\0\x08" "crit", 8);
		len += 8;
		put32(b + 24, (uint32_t)len);
		g_send(FD(), b, len, false);
	}
	/* 6. payloads that cannot be (twice, too many, empty, bad KE) */
	cat(5, "semantic");
	{
		uint8_t ke[384];
		struct req q;

		req_plain(&q);
		q.n_extra_notify = 40;		/* > IKE_MAX_NOTIFIES */
		len = req_build(&q, b, sizeof(b));
		g_mut(FD(), b, len, false);
		req_plain(&q);
		q.sa.n = 16;
		for (i = 0; i < 16; i++)
			bad_proposal(&q.sa.p[i], (uint8_t)(i + 1));
		len = req_build(&q, b, sizeof(b));	/* NO_PROPOSAL_CHOSEN */
		g_send(FD(), b, len, false);
		req_plain(&q);
		q.sa.n = 2;			/* proposal numbers 1, 3 */
		good_proposal(&q.sa.p[0], 1);
		good_proposal(&q.sa.p[1], 3);
		len = req_build(&q, b, sizeof(b));
		g_mut(FD(), b, len, true);
		/* the SA payload twice */
		memcpy(b, v, vlen);
		{
			size_t sl = off[1] - off[0];

			memmove(b + off[1] + sl, b + off[1], vlen - off[1]);
			memcpy(b + off[1], b + off[0], sl);
			b[off[0]] = IKE_PL_SA;
			b[off[1]] = v[off[0]];
			put32(b + 24, (uint32_t)(vlen + sl));
			g_mut(FD(), b, vlen + sl, false);
		}
		/* KE: other group (INVALID_KE_PAYLOAD), wrong lengths, and
		 * x25519 points of low order (u = 0, 1: all-zero secret) */
		rnd_bytes(ke, sizeof(ke));
		g_mut(FD(), b, req_with_ke(b, IKE_KE_ECP256, ke, 64), false);
		g_mut(FD(), b, req_with_ke(b, IKE_KE_MODP3072, ke, 384), true);
		g_mut(FD(), b, req_with_ke(b, IKE_KE_X25519, ke, 31), false);
		g_mut(FD(), b, req_with_ke(b, IKE_KE_X25519, ke, 33), false);
		g_mut(FD(), b, req_with_ke(b, IKE_KE_X25519, ke, 1), false);
		memset(ke, 0, 32);
		len = req_with_ke(b, IKE_KE_X25519, ke, 32);
		g_send(FD(), b, len, false);	/* well-formed, low order */
		ke[0] = 1;
		len = req_with_ke(b, IKE_KE_X25519, ke, 32);
		g_send(FD(), b, len, true);
		/* nonce of 15 and 257 bytes */
		for (k = 0; k < 2; k++) {
			req_plain(&q);
			q.nonce_len = k ? 257 : 15;
			len = req_build(&q, b, sizeof(b));
			if (len)
				g_mut(FD(), b, len, false);
		}
		/* no SA / no KE / no nonce: drop one payload from the chain */
		for (k = 0; k < 3; k++) {
			size_t a = off[k], e = off[k + 1];

			memcpy(b, v, vlen);
			if (k == 0)
				b[16] = v[a];
			else
				b[off[k - 1]] = v[a];
			memmove(b + a, b + e, vlen - e);
			put32(b + 24, (uint32_t)(vlen - (e - a)));
			g_mut(FD(), b, vlen - (e - a), k == 1);
		}
	}
	/* 7. messages for SAs that do not exist */
	cat(6, "unknown_spi");
	for (i = 0; i < 60; i++) {
		static const uint8_t ex[] = { IKE_AUTH, IKE_INFORMATIONAL,
			IKE_CREATE_CHILD_SA, IKE_SA_INIT, IKE_INTERMEDIATE };
		uint8_t e = ex[i % 5];
		uint8_t fl = i % 3 == 0 ? IKE_FLAG_RESPONSE :
			i % 3 == 1 ? IKE_FLAG_INITIATOR : 0;
		uint64_t sr = i % 4 == 0 ? 0 : rnd();

		if (e == IKE_SA_INIT) {	/* a response to no request */
			req_plain(&r);
			len = req_build(&r, b, sizeof(b));
			b[19] = IKE_FLAG_RESPONSE;
			put32(b + 8, (uint32_t)rnd() | 1);
		} else {
			len = sk_msg(b, sizeof(b), rnd(), sr, e, fl,
				     (uint32_t)rnd_below(3), 16 + rnd_below(400),
				     i % 7 == 0);
		}
		g_mut(FD(), b, len, i & 1);
	}
	/* 8. a 64 KiB chain: 16000 Vendor IDs, then an unknown critical one;
	 * and 16000 notifies (more than kept) */
	cat(7, "long_chain");
	for (k = 0; k < 2; k++) {
		struct ike_hdr h = { .spi_i = rnd(), .exchange = IKE_SA_INIT,
				     .flags = IKE_FLAG_INITIATOR };
		struct ike_wbuf w;

		ike_w_init(&w, b, 65000);
		ike_w_header(&w, &h);
		for (i = 0; i < (k ? 7900 : 16000); i++) {
			size_t at = ike_w_begin(&w, k ? IKE_PL_NOTIFY :
						IKE_PL_VENDOR);

			if (k)
				ike_w_u32(&w, 40000 + i % 1000);
			ike_w_end(&w, at);
		}
		i = (int)ike_w_begin(&w, 222);
		ike_w_end(&w, (size_t)i);
		if (!w.err)
			w.p[i + 1] = IKE_PL_CRITICAL;
		ike_w_finish(&w);
		if (!w.err)
			g_mut(FD(), b, w.len, false);
	}
	/* a 65507-byte datagram of random bytes (IP fragments) */
	rnd_bytes(b, 65507);
	g_send(FD(), b, 65507, false);
	/* 9. NAT-T port: runts, keepalives, a bare marker, marker + runt,
	 * ESP-looking datagrams (non-zero SPI: the kernel's, for no SA) */
	cat(8, "natt_non_ike");
	for (i = 0; i < 40; i++) {
		size_t n = i % 5 == 0 ? 1 : i % 5 == 1 ? 1 + rnd_below(3) :
			i % 5 == 2 ? 4 : i % 5 == 3 ? 5 + rnd_below(23) :
			8 + rnd_below(300);

		rnd_bytes(b, n);
		if (i % 5 == 0)
			b[0] = 0xff;			/* NAT keepalive */
		else if (i % 5 == 2 || i % 5 == 3)
			memset(b, 0, 4);		/* marker, short */
		else if (i % 5 == 4 && !memcmp(b, "\0\0\0\0", 4))
			b[0] = 1;			/* an ESP SPI */
		if (i % 5 == 1 && n >= 1)
			b[0] |= 1;
		g_send_raw(FD(), b, n);
	}
	/* empty datagrams to both ports */
	send_raw(FD(), b, 0, false);
	send_raw(FD(), b, 0, true);
	g_count[g_cat] += 2;
#undef FD
}

static int do_garbage(void)
{
	int fds[MAX_SRC * 2], nfd = 0, i, k, round;
	double t0 = now_s();
	unsigned long total = 0;

	for (i = 0; i < opt.n_src; i++)
		for (k = 0; k < 2 && nfd < MAX_SRC * 2; k++)
			fds[nfd++] = udp_from(opt.src[i]);
	for (round = 0; round < opt.rounds; round++) {
		garbage_round(fds, nfd);
		drain(fds, nfd, 0.01);
	}
	drain(fds, nfd, 1.0);
	printf("# garbage: %d round(s) from %d sockets in %.2f s:", opt.rounds,
	       nfd, now_s() - t0);
	for (k = 0; k < 32; k++) {
		if (!g_name[k])
			continue;
		printf(" %s %lu", g_name[k], g_count[k]);
		total += g_count[k];
	}
	printf("\n# garbage: %lu datagrams sent (%lu send errors), %lu "
	       "mutations skipped as valid requests\n", total, n_send_err,
	       g_skipped);
	print_answers("garbage");
	if (answers[A_FULL])
		printf("# garbage: %lu FULL IKE_SA_INIT answers: an SA was "
		       "made for garbage\n", answers[A_FULL]);
	return answers[A_FULL] ? 1 : 0;
}

/* ---- replay ----------------------------------------------------------- */

/* Wait up to `secs` for an answer on any of fds; its length, or -1, and
 * in *which the index of the socket it came to. */
static ssize_t wait_any(const int *fds, int nfd, uint8_t *buf, size_t cap,
			double secs, int *which)
{
	struct pollfd p[16];
	int i;

	for (i = 0; i < nfd && i < 16; i++)
		p[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	if (poll(p, i, (int)(secs * 1000)) <= 0)
		return -1;
	for (i = 0; i < nfd && i < 16; i++) {
		if (p[i].revents & POLLIN) {
			*which = i;
			return recv_ike(fds[i], buf, cap);
		}
	}
	return -1;
}

static int do_replay(void)
{
	static uint8_t req[BUF_MAX], resp[BUF_MAX], b[BUF_MAX];
	int fds[11], i, same = 0, differ = 0, extra = 0, nfd = 11, at;
	int to_sender = 0, to_first = 0;
	double t, rtt_first = 0, rtt_sum = 0, rtt_max = 0;
	ssize_t rlen = -1, n;
	size_t qlen;
	uint64_t spi_r;
	struct req r;

	for (i = 0; i < nfd; i++)
		fds[i] = udp_from(opt.src[0]);
	req_plain(&r);
	qlen = req_build(&r, req, sizeof(req));

	for (i = 0; i < 3 && rlen < 0; i++) {	/* the capture */
		t = now_s();
		send_ike(fds[0], req, qlen, false);
		rlen = wait_any(fds, 1, resp, sizeof(resp), 2.0, &at);
		rtt_first = now_s() - t;
	}
	if (rlen < 0 || classify(resp, rlen, r.spi_i) != A_FULL) {
		printf("# replay: the valid request was not answered with an "
		       "IKE_SA_INIT response\n");
		return 1;
	}
	spi_r = am.hdr.spi_r;
	printf("# replay: SA %016llx/%016llx answered; replaying the request "
	       "%d times from the same address and %d ports\n",
	       (unsigned long long)r.spi_i, (unsigned long long)spi_r,
	       opt.count, nfd);
	/* the captured request, from the same address, eleven ports; an
	 * answer may go to the port of the replay or of the original */
	for (i = 0; i < opt.count; i++) {
		int fd = i % nfd;

		t = now_s();
		send_ike(fds[fd], req, qlen, false);
		n = wait_any(fds, nfd, b, sizeof(b), 1.0, &at);
		if (n < 0)
			continue;
		t = now_s() - t;
		rtt_sum += t;
		if (t > rtt_max)
			rtt_max = t;
		if (n == rlen && !memcmp(b, resp, rlen))
			same++;
		else
			differ++;
		to_sender += at == fd;
		to_first += at == 0;
	}
	/* late ones */
	while ((n = wait_any(fds, nfd, b, sizeof(b), 0.3, &at)) >= 0) {
		if (n == rlen && !memcmp(b, resp, rlen))
			same++;
		else
			differ++;
		to_first += at == 0;
	}
	printf("# replay: %d answers identical to the first response (%d "
	       "to the replay's port, %d to the original port), %d "
	       "different\n", same, to_sender, to_first, differ);
	printf("# replay: round trip %.1f ms for the first request (a new SA: "
	       "key exchange), %.1f ms on average (%.1f at most) for a "
	       "replay (the stored response)\n", rtt_first * 1e3,
	       same + differ ? rtt_sum * 1e3 / (same + differ) : 0,
	       rtt_max * 1e3);
	/* the same SPIi with another nonce: not a retransmission, and not a
	 * new SA either (2.1: SPIi and address name the half-open SA) */
	r.nonce[0] ^= 0x55;
	qlen = req_build(&r, b, sizeof(b));
	send_ike(fds[1], b, qlen, false);
	/* an IKE_AUTH with a forged SK payload, fragments too */
	for (i = 0; i < 20; i++) {
		qlen = sk_msg(b, sizeof(b), r.spi_i, spi_r, IKE_AUTH,
			      IKE_FLAG_INITIATOR, 1, 80 + i * 10, i % 4 == 3);
		send_ike(fds[i % nfd], b, qlen, i % 2);
	}
	/* and the response itself, reflected back */
	send_ike(fds[2], resp, rlen, false);
	send_ike(fds[2], resp, rlen, true);
	/* nothing of that may have an answer */
	while ((n = wait_any(fds, nfd, b, sizeof(b), 0.5, &at)) >= 0)
		extra++;
	printf("# replay: %d answers to the changed nonce, forged IKE_AUTHs "
	       "and the reflected response\n", extra);
	printf("replay: spi_i %016llx same %d differ %d extra %d\n",
	       (unsigned long long)r.spi_i, same, differ, extra);
	return differ || extra || !same ? 1 : 0;
}

/* ---- flood ------------------------------------------------------------ */

/* A mutated request: well-formed, and mostly acceptable. */
static void req_mutated(struct req *r)
{
	int kind = (int)rnd_below(10), i, good_at, n;

	req_plain(r);
	r->nonce_len = 16 + rnd_below(241);
	rnd_bytes(r->nonce, r->nonce_len);
	n = 1 + (int)rnd_below(4);
	good_at = (int)rnd_below(n);
	r->sa.n = (uint8_t)n;
	for (i = 0; i < n; i++) {
		if (i == good_at && kind != 9) {
			good_proposal(&r->sa.p[i], (uint8_t)(i + 1));
			/* more choices in it: AES-GCM-128, PRF-SHA384/512 */
			if (rnd_below(2))
				put_t(&r->sa.p[i], IKE_TT_ENCR,
				      IKE_ENCR_AES_GCM_16, 128);
			if (rnd_below(2))
				put_t(&r->sa.p[i], IKE_TT_PRF,
				      IKE_PRF_HMAC_SHA2_384 + rnd_below(2), 0);
			if (rnd_below(2))
				put_t(&r->sa.p[i], IKE_TT_KE, IKE_KE_ECP256, 0);
		} else {
			bad_proposal(&r->sa.p[i], (uint8_t)(i + 1));
		}
	}
	if (kind == 8) {	/* the KE of another group: INVALID_KE */
		r->group = IKE_KE_ECP256;
		r->ke_len = 64;
		rnd_bytes(r->ke, 64);
	}
	r->n_extra_notify = (int)rnd_below(4);
	r->vendor_len = rnd_below(3) ? 0 : 16 + rnd_below(48);
}

struct fl {
	uint64_t spi;			/* 0: a free slot */
	int fd;
	bool obeyed;
	struct req r;
};

/* The requests sent, by SPIi: an open-addressing table. */
static struct fl *fl_tab;
static size_t fl_mask;

static struct fl *fl_slot(uint64_t spi)
{
	size_t i = (size_t)(spi * 0x9E3779B97F4A7C15ULL) & fl_mask;

	while (fl_tab[i].spi && fl_tab[i].spi != spi)
		i = (i + 1) & fl_mask;
	return &fl_tab[i];
}

/*
 * An attacker that owns its addresses answers an N(COOKIE): the same
 * request (same SPIi and nonce: the cookie covers them and the address)
 * with the cookie first, from the same socket.
 */
static int obey_cookie(int fd, uint8_t *b)
{
	const struct ike_notify_pl *no = ike_msg_notify(&am, IKE_N_COOKIE);
	struct fl *f = fl_slot(am.hdr.spi_i);
	size_t len;

	if (!f->spi || f->obeyed || f->fd != fd || !no->data.len ||
	    no->data.len > COOKIE_MAX)
		return 0;
	f->r.cookie = no->data.p;
	f->r.cookie_len = no->data.len;
	len = req_build(&f->r, b, BUF_MAX);
	f->r.cookie = NULL;
	f->r.cookie_len = 0;
	f->obeyed = true;
	if (len)
		send_ike(fd, b, len, false);
	return len ? 1 : 0;
}

static int fl_fds[MAX_SRC * 8], fl_nfd, fl_obeyed;
static double fl_t0;

/* Read what the sockets hold (waiting up to ms for the first); counts it
 * and obeys cookies when asked.  Returns how many answers came. */
static int fl_collect(int ms)
{
	static struct pollfd pfd[MAX_SRC * 8];
	static uint8_t c[BUF_MAX], b[BUF_MAX];
	int i, got = 0;

	for (i = 0; i < fl_nfd; i++)
		pfd[i] = (struct pollfd){ fl_fds[i], POLLIN, 0 };
	if (poll(pfd, fl_nfd, ms) <= 0)
		return 0;
	for (i = 0; i < fl_nfd; i++) {
		ssize_t n;

		if (!(pfd[i].revents & POLLIN))
			continue;
		while ((n = recv_ike(fl_fds[i], c, sizeof(c))) >= 0) {
			enum ans_kind kd = classify(c, n, 0);
			double t = now_s() - fl_t0;

			got++;
			if (!answers[kd])
				ans_first[kd] = t;
			ans_last[kd] = t;
			answers[kd]++;
			if (kd == A_COOKIE && opt.answer_cookies)
				fl_obeyed += obey_cookie(fl_fds[i], b);
		}
	}
	return got;
}

static int do_flood(void)
{
	static uint8_t b[BUF_MAX];
	size_t len, cap = 1;
	double t1, quiet;
	struct fl *f;
	int i, k;

	while (cap < 2 * (size_t)opt.count + 2)
		cap *= 2;
	fl_tab = calloc(cap, sizeof(*fl_tab));
	fl_mask = cap - 1;
	if (!fl_tab)
		die("calloc");
	for (i = 0; i < opt.n_src; i++)
		for (k = 0; k < opt.ports && fl_nfd < MAX_SRC * 8; k++)
			fl_fds[fl_nfd++] = udp_from(opt.src[i]);
	fl_t0 = now_s();
	for (i = 0; i < opt.count; i++) {
		struct req r;

		req_mutated(&r);
		f = fl_slot(r.spi_i);
		f->spi = r.spi_i;
		f->r = r;
		f->fd = fl_fds[rnd_below(fl_nfd)];
		len = req_build(&f->r, b, sizeof(b));
		if (len)
			send_ike(f->fd, b, len, false);
		pace();
		/* a cookie-answering attacker answers as the cookies come:
		 * a plain flood reads nothing until it has sent all */
		if (opt.answer_cookies)
			fl_collect(0);
	}
	t1 = now_s();
	printf("# flood: %d requests from %d sockets on %d addresses in "
	       "%.3f s (%lu send errors)\n", opt.count, fl_nfd, opt.n_src,
	       t1 - fl_t0, n_send_err);
	/* the answers, until quiet for 1 s (2 s when obeying cookies) */
	quiet = now_s() + (opt.answer_cookies ? 2 : 1);
	while (now_s() < quiet)
		if (fl_collect(100))
			quiet = now_s() + (opt.answer_cookies ? 2 : 1);
	if (opt.answer_cookies)
		printf("# flood: %d cookies obeyed\n", fl_obeyed);
	print_answers("flood");
	printf("# flood: answers arrived (s after the first request):");
	for (k = 0; k < A_KINDS; k++)
		if (answers[k])
			printf(" %s +%.2f..+%.2f", ans_name[k], ans_first[k],
			       ans_last[k]);
	printf("\n");
	printf("flood: sent %d seconds %.3f full %lu cookie %lu obeyed %d\n",
	       opt.count, t1 - fl_t0, answers[A_FULL], answers[A_COOKIE],
	       fl_obeyed);
	free(fl_tab);
	return 0;
}

/* ---- legit ------------------------------------------------------------ */

struct lreq {
	int fd;
	struct req r;
	uint8_t cookie[COOKIE_MAX];
	uint8_t msg[2048];
	size_t len;
	double start, next, wait, done;
	int sends, cookies;
	int state;			/* 0 not yet, 1 waiting, 2 answered, 3 failed */
	char why[96];
	char ev[256];			/* what happened when: s send, c cookie,
					 * f full response, x error */
};

static void l_event(struct lreq *q, char what, double now)
{
	size_t n = strlen(q->ev);

	if (n + 12 < sizeof(q->ev))
		snprintf(q->ev + n, sizeof(q->ev) - n, "%s%c%.2f", n ? " " : "",
			 what, now - q->start);
}

static void l_send(struct lreq *q, double now)
{
	send_ike(q->fd, q->msg, q->len, false);
	l_event(q, 's', now);
	q->sends++;
	q->next = now + q->wait;
	q->wait *= 2;
}

static void l_answer(struct lreq *q, const uint8_t *b, size_t n, double now)
{
	const struct ike_notify_pl *no;

	switch (classify(b, n, q->r.spi_i)) {
	case A_FULL:
		l_event(q, 'f', now);
		q->state = 2;
		q->done = now;
		return;
	case A_COOKIE:
		no = ike_msg_notify(&am, IKE_N_COOKIE);
		l_event(q, 'c', now);
		/* the same cookie again answers a retransmission of the
		 * request without it: the one with it is on its way */
		if (q->r.cookie_len == no->data.len &&
		    !memcmp(q->cookie, no->data.p, no->data.len))
			return;
		if (q->cookies >= 3 || !no->data.len ||
		    no->data.len > COOKIE_MAX) {
			q->state = 3;
			snprintf(q->why, sizeof(q->why), "COOKIE %zu bytes, "
				 "%d cookies so far", no->data.len, q->cookies);
			return;
		}
		memcpy(q->cookie, no->data.p, no->data.len);
		q->r.cookie = q->cookie;
		q->r.cookie_len = no->data.len;
		q->len = req_build(&q->r, q->msg, sizeof(q->msg));
		q->cookies++;
		q->wait = 1.0;
		l_send(q, now);
		return;
	case A_UNPARSED:
		return;		/* not ours, or not an answer: ignored */
	default:
		l_event(q, 'x', now);
		q->state = 3;
		no = ike_msg_error(&am);
		snprintf(q->why, sizeof(q->why), "refused: %s",
			 no ? ike_notify_name(no->type) : "odd response");
		return;
	}
}

static int do_legit(void)
{
	static uint8_t b[BUF_MAX];
	struct lreq *q = calloc(opt.count, sizeof(*q));
	double t0 = now_s(), now;
	int i, left = opt.count, answered = 0;

	if (!q)
		die("calloc");
	for (i = 0; i < opt.count; i++) {
		q[i].fd = udp_from(opt.src[0]);
		req_plain(&q[i].r);
		q[i].len = req_build(&q[i].r, q[i].msg, sizeof(q[i].msg));
		q[i].start = t0 + i * opt.gap_ms / 1000.0;
		q[i].wait = 1.0;
	}
	while (left) {
		struct pollfd pfd[256];
		int nfd = opt.count < 256 ? opt.count : 256;

		now = now_s();
		for (i = 0; i < opt.count; i++) {
			if (q[i].state == 0 && now >= q[i].start) {
				q[i].state = 1;
				l_send(&q[i], now);
			} else if (q[i].state == 1 &&
				   now - q[i].start > opt.deadline) {
				q[i].state = 3;
				snprintf(q[i].why, sizeof(q[i].why),
					 "no answer in %.0f s", opt.deadline);
			} else if (q[i].state == 1 && now >= q[i].next) {
				l_send(&q[i], now);
			}
		}
		for (i = 0; i < nfd; i++)
			pfd[i] = (struct pollfd){ q[i].fd, POLLIN, 0 };
		poll(pfd, nfd, 20);
		now = now_s();
		for (i = 0; i < nfd; i++) {
			ssize_t n;

			if (!(pfd[i].revents & POLLIN))
				continue;
			while ((n = recv_ike(q[i].fd, b, sizeof(b))) >= 0)
				if (q[i].state == 1)
					l_answer(&q[i], b, n, now);
		}
		for (left = 0, i = 0; i < opt.count; i++)
			left += q[i].state < 2;
	}
	for (i = 0; i < opt.count; i++) {
		if (q[i].state == 2) {
			answered++;
			printf("# legit %d: SPIi %016llx sent at +%.2f s, "
			       "answered in %.3f s (%d sends, %d cookie "
			       "round(s): %s)\n", i + 1,
			       (unsigned long long)q[i].r.spi_i,
			       q[i].start - t0, q[i].done - q[i].start,
			       q[i].sends, q[i].cookies, q[i].ev);
		} else {
			printf("# legit %d: SPIi %016llx sent at +%.2f s, NOT "
			       "answered: %s (%d sends, %d cookie round(s): "
			       "%s)\n", i + 1, (unsigned long long)q[i].r.spi_i,
			       q[i].start - t0, q[i].why, q[i].sends,
			       q[i].cookies, q[i].ev);
		}
	}
	printf("legit: answered %d of %d within %.0f s; times:", answered,
	       opt.count, opt.deadline);
	for (i = 0; i < opt.count; i++) {
		if (q[i].state == 2)
			printf(" %.3f", q[i].done - q[i].start);
		else
			printf(" -");
	}
	printf("\n");
	free(q);
	return 0;
}

/* ---- main ------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr, "usage: ike-hostile garbage|replay|flood|legit "
		"--dst ADDR --src ADDR[,ADDR...] [--count N] [--rounds N] "
		"[--ports N] [--gap-ms MS] [--deadline S] [--pace-us US] "
		"[--port P] [--natt-port P] [--seed S] [--answer-cookies]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mode;
	char *list = NULL, *tok, *save;
	int i, rc;

	if (argc < 2)
		usage();
	mode = argv[1];
	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--answer-cookies")) {
			opt.answer_cookies = true;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--dst"))
			opt.dst = v;
		else if (!strcmp(a, "--src"))
			list = strdup(v);
		else if (!strcmp(a, "--count"))
			opt.count = atoi(v);
		else if (!strcmp(a, "--rounds"))
			opt.rounds = atoi(v);
		else if (!strcmp(a, "--ports"))
			opt.ports = atoi(v);
		else if (!strcmp(a, "--gap-ms"))
			opt.gap_ms = atoi(v);
		else if (!strcmp(a, "--pace-us"))
			opt.pace_us = atoi(v);
		else if (!strcmp(a, "--deadline"))
			opt.deadline = atof(v);
		else if (!strcmp(a, "--port"))
			opt.port = (uint16_t)atoi(v);
		else if (!strcmp(a, "--natt-port"))
			opt.natt_port = (uint16_t)atoi(v);
		else if (!strcmp(a, "--seed"))
			opt.seed = strtoull(v, NULL, 0);
		else
			usage();
	}
	if (!opt.dst || !list)
		usage();
	for (tok = strtok_r(list, ",", &save); tok && opt.n_src < MAX_SRC;
	     tok = strtok_r(NULL, ",", &save))
		opt.src[opt.n_src++] = tok;
	if (!opt.n_src)
		usage();
	if (!opt.seed)
		opt.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	rng = opt.seed | 1;
	printf("# ike-hostile %s: seed %llu\n", mode,
	       (unsigned long long)opt.seed);
	dst_len = addr_parse(opt.dst, opt.port, &dst);
	addr_parse(opt.dst, opt.natt_port, &dst_natt);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "garbage")) {
		if (opt.pace_us < 0)
			opt.pace_us = 100;
		rc = do_garbage();
	} else if (!strcmp(mode, "replay")) {
		if (opt.count < 0)
			opt.count = 100;
		rc = do_replay();
	} else if (!strcmp(mode, "flood")) {
		if (opt.count < 0)
			opt.count = 1000;
		rc = do_flood();
	} else if (!strcmp(mode, "legit")) {
		if (opt.count < 0)
			opt.count = 10;
		rc = do_legit();
	} else {
		usage();
		rc = 2;
	}
	free(list);
	return rc;
}
