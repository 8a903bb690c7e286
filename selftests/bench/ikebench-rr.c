// SPDX-License-Identifier: GPL-2.0
/*
 * ikebench-rr: IKE request/response round trips per second over loopback.
 *
 *   ikebench-rr ulp|user|ulp-legacy|user-legacy SIZE SECONDS [pin]
 *
 * With "pin" both processes run on CPU 0, so no round trip waits for a
 * cross-CPU wake-up (slow and erratic under QEMU TCG): the rate then tells
 * the CPU cost of a round trip.
 * A client and an echo server (two processes, one TCP connection on
 * 127.0.0.1, TCP_NODELAY on both ends) exchange one SIZE-byte IKE message
 * each way per round trip for SECONDS seconds (after a short warm-up).
 *
 *  ulp   the "iketcp" ULP frames the stream: send() one message, recv() one
 *        message; the kernel writes the prefix, lengths and markers.
 *  user  RFC 9329 framed in userspace over a plain TCP socket, the way a
 *        competent daemon does it: the originator writes "IKETCP" once;
 *        each message goes out as [len16][4 zero bytes][msg] in one
 *        writev(); the receiver reads into a 128 KiB buffer with as few
 *        read() calls as the data allows and parses records in place.
 *  ulp-legacy, user-legacy
 *        the same for draft-ietf-ipsecme-ike-tcp-01 framing (the
 *        "iketcp-legacy" ULP): no prefix, no record header; each message
 *        goes out in one write() and is delimited by its IKE header's own
 *        length.  Without a header TCP needs no second call per message,
 *        so this pair shows the module's own cost alone.
 *
 * Prints one line: "MODE SIZE ROUNDTRIPS SECONDS RATE CPUS" (RATE per
 * second; CPUS 1cpu when pinned, else 2cpu).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "uapi/linux/iketcp.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

#define HDR	6			/* len16 + non-ESP marker */
#define RDBUF	(2 * 65536)

static int use_ulp, legacy;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* An IKE message whose header length field (offset 24) is right. */
static void make_ike(unsigned char *m, size_t size)
{
	memset(m, 0x5a, size);
	memset(m, 0x11, 16);
	m[16] = 0x21;		/* next payload */
	m[17] = 0x20;		/* version 2.0 */
	m[18] = 34;		/* IKE_SA_INIT */
	m[19] = 0x08;		/* initiator */
	memset(m + 20, 0, 4);	/* message id */
	m[24] = size >> 24;
	m[25] = size >> 16;
	m[26] = size >> 8;
	m[27] = size;
}

/* ---- userspace framing ------------------------------------------------ */

struct reader {
	int fd;
	size_t off, len;	/* unparsed bytes are buf[off, len) */
	unsigned char buf[RDBUF];
};

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= w;
	}
	return 0;
}

/* One message in one writev(); a short write (rare) is completed. */
static int user_send(int fd, const unsigned char *msg, size_t n)
{
	if (legacy)
		return write_all(fd, msg, n);	/* the IKE header delimits */
	unsigned char hdr[HDR] = { (n + HDR) >> 8, (n + HDR) & 0xff, 0, 0, 0, 0 };
	struct iovec iov[2] = { { hdr, HDR }, { (void *)msg, n } };
	ssize_t w = writev(fd, iov, 2);

	if (w < 0)
		return -1;
	if ((size_t)w < HDR)
		return write_all(fd, hdr + w, HDR - w) ||
		       write_all(fd, msg, n);
	if ((size_t)w < HDR + n)
		return write_all(fd, msg + (w - HDR), n - (w - HDR));
	return 0;
}

/* Make at least want bytes available at r->buf + r->off. */
static int fill(struct reader *r, size_t want)
{
	while (r->len - r->off < want) {
		ssize_t n;

		if (r->off && r->off + want > RDBUF) {
			memmove(r->buf, r->buf + r->off, r->len - r->off);
			r->len -= r->off;
			r->off = 0;
		}
		n = read(r->fd, r->buf + r->len, RDBUF - r->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		r->len += n;
	}
	return 0;
}

/* Legacy framing: the IKE header's length (offset 24) delimits messages. */
static ssize_t user_recv_legacy(struct reader *r, unsigned char **msg)
{
	const unsigned char *h;
	size_t len;

	if (r->off == r->len)
		r->off = r->len = 0;
	if (fill(r, 28))
		return -1;
	h = r->buf + r->off + 24;
	len = (size_t)h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3];
	if (len < 28 || len > IKETCP_LEGACY_MAX_MSG || fill(r, len))
		return -1;
	*msg = r->buf + r->off;
	r->off += len;
	return len;
}

/* The next IKE message, in place in the buffer (valid until the next call). */
static ssize_t user_recv(struct reader *r, unsigned char **msg)
{
	size_t len;

	if (legacy)
		return user_recv_legacy(r, msg);
	for (;;) {
		if (r->off == r->len)
			r->off = r->len = 0;
		if (fill(r, 2))
			return -1;
		len = r->buf[r->off] << 8 | r->buf[r->off + 1];
		if (len < 2)
			return -1;		/* corrupt stream */
		if (fill(r, len))
			return -1;
		if (len >= HDR && !memcmp(r->buf + r->off + 2, "\0\0\0\0", 4)) {
			*msg = r->buf + r->off + HDR;
			r->off += len;
			return len - HDR;
		}
		r->off += len;		/* keepalive, empty or ESP: skip */
	}
}

/* ---- the two ends ------------------------------------------------------- */

static void server(int fd)
{
	static unsigned char buf[IKETCP_MAX_IKE_MSG + 1];
	static struct reader r;
	unsigned char *msg;
	ssize_t n;

	r.fd = fd;
	if (!use_ulp && !legacy) {
		if (fill(&r, 6) || memcmp(r.buf, "IKETCP", 6))
			exit(1);
		r.off = 6;
	}
	for (;;) {
		if (use_ulp) {
			n = recv(fd, buf, sizeof(buf), 0);
			if (n <= 0)
				exit(n ? 1 : 0);
			if (send(fd, buf, n, 0) != n)
				exit(1);
		} else {
			n = user_recv(&r, &msg);
			if (n < 0)
				exit(0);
			if (user_send(fd, msg, n))
				exit(1);
		}
	}
}

static long client(int fd, size_t size, double secs, double *elapsed)
{
	static unsigned char req[IKETCP_MAX_IKE_MSG], buf[IKETCP_MAX_IKE_MSG + 1];
	static struct reader r;
	double t0 = 0, end, warm;
	unsigned char *msg;
	long count = 0;
	int measuring = 0;
	ssize_t n;

	make_ike(req, size);
	r.fd = fd;
	if (!use_ulp && !legacy && write_all(fd, "IKETCP", 6))
		die("prefix");
	warm = now() + 0.3;
	end = warm + secs;
	for (;;) {
		double t;

		if (use_ulp) {
			if (send(fd, req, size, 0) != (ssize_t)size)
				die("send");
			n = recv(fd, buf, sizeof(buf), 0);
		} else {
			if (user_send(fd, req, size))
				die("writev");
			n = user_recv(&r, &msg);
		}
		if (n != (ssize_t)size) {
			fprintf(stderr, "ikebench-rr: got %zd bytes, want %zu\n",
				n, size);
			exit(1);
		}
		count++;
		if ((count & 7) && size < 8192)
			continue;
		t = now();
		if (!measuring && t >= warm) {
			measuring = 1;
			count = 0;
			t0 = t;
		} else if (measuring && t >= end) {
			*elapsed = t - t0;
			return count;
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int lfd, cfd, sfd, one = 1, status;
	double secs, elapsed = 0;
	size_t size;
	long count;
	pid_t pid;

	if ((argc != 4 && (argc != 5 || strcmp(argv[4], "pin"))) ||
	    (strcmp(argv[1], "ulp") && strcmp(argv[1], "user") &&
	     strcmp(argv[1], "ulp-legacy") && strcmp(argv[1], "user-legacy"))) {
		fprintf(stderr, "usage: ikebench-rr ulp|user|ulp-legacy|user-legacy SIZE SECONDS [pin]\n");
		return 2;
	}
	use_ulp = !strncmp(argv[1], "ulp", 3);
	legacy = strstr(argv[1], "-legacy") != NULL;
	size = strtoul(argv[2], NULL, 0);
	secs = atof(argv[3]);
	if (size < 28 || size > IKETCP_MAX_IKE_MSG || secs <= 0) {
		fprintf(stderr, "ikebench-rr: SIZE in [28, %d], SECONDS > 0\n",
			IKETCP_MAX_IKE_MSG);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (argc == 5) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(0, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("sched_setaffinity");
	}
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(lfd, 1) || getsockname(lfd, (struct sockaddr *)&a, &al))
		die("listen");
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (cfd < 0 || connect(cfd, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	sfd = accept(lfd, NULL, NULL);
	if (sfd < 0)
		die("accept");
	close(lfd);
	setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (use_ulp) {
		const char *ulp = legacy ? IKETCP_LEGACY_ULP_NAME :
					   IKETCP_ULP_NAME;

		if (setsockopt(cfd, IPPROTO_TCP, TCP_ULP, ulp, strlen(ulp) + 1) ||
		    setsockopt(sfd, IPPROTO_TCP, TCP_ULP, ulp, strlen(ulp) + 1))
			die("TCP_ULP");
	}
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		close(cfd);
		server(sfd);
	}
	close(sfd);
	count = client(cfd, size, secs, &elapsed);
	close(cfd);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "ikebench-rr: server failed\n");
		return 1;
	}
	printf("%s %zu %ld %.3f %.1f %s\n", argv[1], size, count, elapsed,
	       count / elapsed, argc == 5 ? "1cpu" : "2cpu");
	return 0;
}
