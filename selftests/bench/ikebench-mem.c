// SPDX-License-Identifier: GPL-2.0
/*
 * ikebench-mem: kernel memory of idle connected TCP sockets, plain or with
 * the iketcp ULP attached.
 *
 *   ikebench-mem plain|iketcp PAIRS
 *
 * Opens PAIRS connected pairs on 127.0.0.1 (2 * PAIRS sockets), attaches
 * "iketcp" to both ends of each pair (iketcp mode), exchanges one 300-byte
 * IKE message each way so every socket is settled and idle (plain mode:
 * the same bytes framed by hand), and reads the kernel's memory before and
 * after: /proc/meminfo Slab and MemAvailable, and the sum over
 * /proc/slabinfo of active_objs * objsize.  Prints one line:
 *
 *   MODE PAIRS SOCKETS SLAB_BYTES SLABINFO_BYTES MEMAVAIL_DROP_BYTES
 *
 * (growth over all sockets; divide by SOCKETS for the cost of one).  The
 * sockets are closed with SO_LINGER 0 so no TIME_WAIT state outlives the run.
 *
 *   ikebench-mem queue-plain|queue-iketcp CONNS
 *
 * The worst case of queued data: on each of CONNS connections a plain
 * sender writes the smallest IKE messages (28 bytes, RFC 9329 records) to
 * a receiver that never reads (queue-iketcp: "iketcp" attached, so they
 * queue as messages up to rx_queue_limit, then in TCP until its window
 * closes) until nothing more is taken.  Prints one line:
 *
 *   MODE CONNS HELD_IKE_BYTES QUEUED_IKE_BYTES SLAB_BYTES SLABINFO_BYTES
 *   MEMAVAIL_DROP_BYTES
 *
 * HELD_IKE_BYTES: IKE bytes of the messages the receivers hold (written
 * minus what the senders still have, SIOCOUTQ); QUEUED_IKE_BYTES: those
 * out of TCP's receive queue (minus SIOCINQ), i.e. in iketcp's own queue
 * (0 for plain TCP); the memory as above.  SLAB_BYTES / QUEUED_IKE_BYTES
 * is the slab taken per queued IKE byte.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/sockios.h>

#include "uapi/linux/iketcp.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

#define MSG 300

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static long long meminfo(const char *key)
{
	char line[256];
	long long v = -1;
	size_t kl = strlen(key);
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		die("/proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = atoll(line + kl + 1) * 1024;
			break;
		}
	fclose(f);
	return v;
}

static long long slabinfo(void)
{
	char line[512], name[128];
	long long sum = 0, active, num, size;
	FILE *f = fopen("/proc/slabinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %lld %lld %lld", name, &active, &num,
			   &size) == 4)
			sum += active * size;
	fclose(f);
	return sum;
}

struct snap {
	long long slab, slabinfo, avail;
};

static void snapshot(struct snap *s)
{
	FILE *f;

	sync();
	f = fopen("/proc/sys/vm/drop_caches", "w");
	if (f) {
		fputs("3\n", f);
		fclose(f);
	}
	usleep(500000);
	s->slab = meminfo("Slab");
	s->slabinfo = slabinfo();
	s->avail = meminfo("MemAvailable");
}

static void make_ike(unsigned char *m, size_t size)
{
	memset(m, 0x5a, size);
	m[17] = 0x20;
	m[24] = size >> 24;
	m[25] = size >> 16;
	m[26] = size >> 8;
	m[27] = size;
}

static void xfer(int from, int to, int ulp, int first)
{
	unsigned char m[MSG + 16], r[MSG + 16];
	ssize_t n, got = 0, want;

	make_ike(m + 6, MSG);
	if (ulp) {
		if (send(from, m + 6, MSG, 0) != MSG)
			die("send");
		if (recv(to, r, sizeof(r), 0) != MSG)
			die("recv");
		return;
	}
	/* plain: prefix on the first message, then [len][marker][msg] */
	m[0] = (MSG + 6) >> 8;
	m[1] = (MSG + 6) & 0xff;
	memset(m + 2, 0, 4);
	if (first && send(from, "IKETCP", 6, 0) != 6)
		die("send");
	if (send(from, m, MSG + 6, 0) != MSG + 6)
		die("send");
	want = MSG + 6 + (first ? 6 : 0);
	while (got < want) {
		n = recv(to, r, sizeof(r) < (size_t)(want - got) ?
			 sizeof(r) : (size_t)(want - got), 0);
		if (n <= 0)
			die("recv");
		got += n;
	}
}

/* A listener on 127.0.0.1; *a gets its address. */
static int listener(struct sockaddr_in *a)
{
	socklen_t al = sizeof(*a);
	int lfd;

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)a, sizeof(*a)) ||
	    listen(lfd, 128) || getsockname(lfd, (struct sockaddr *)a, &al))
		die("listen");
	return lfd;
}

/* Close n sockets with SO_LINGER 0: no TIME_WAIT outlives the run. */
static void close_all(int *fds, int n)
{
	struct linger lg = { 1, 0 };
	int i;

	for (i = 0; i < n; i++) {
		setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fds[i]);
	}
}

#define SMALL 28		/* the smallest IKE message */
#define SMALL_REC (6 + SMALL)	/* as an RFC 9329 record */

/* Write records to fd (non-blocking) until it takes nothing for 150 ms. */
static long long fill(int fd)
{
	static unsigned char buf[SMALL_REC * 1024];
	long long written = 0;
	size_t off = 0;
	int idle = 0, i;
	ssize_t n;

	for (i = 0; i < 1024; i++) {
		unsigned char *r = buf + i * SMALL_REC;

		r[0] = 0;
		r[1] = SMALL_REC;
		memset(r + 2, 0, 4);
		make_ike(r + 6, SMALL);
	}
	if (send(fd, "IKETCP", 6, 0) != 6)
		die("send");
	while (idle < 3) {
		n = send(fd, buf + off, sizeof(buf) - off, MSG_DONTWAIT);
		if (n > 0) {
			written += n;
			off = (off + n) % SMALL_REC;	/* stay on records */
			idle = 0;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			die("send");
		idle++;
		usleep(50000);
	}
	return written;
}

static int queue_main(int ulp, int conns)
{
	struct sockaddr_in a;
	long long held = 0, queued = 0, w;
	struct snap s0, s1;
	int lfd, i, c, s, outq, inq, sz = 4096;
	int *fds = calloc(2 * conns, sizeof(*fds));

	if (!fds)
		die("calloc");
	lfd = listener(&a);
	snapshot(&s0);
	for (i = 0; i < conns; i++) {
		c = socket(AF_INET, SOCK_STREAM, 0);
		/* A small send buffer: the memory measured is the receiver's. */
		if (c < 0 || setsockopt(c, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) ||
		    connect(c, (struct sockaddr *)&a, sizeof(a)))
			die("connect");
		s = accept(lfd, NULL, NULL);
		if (s < 0)
			die("accept");
		if (ulp && setsockopt(s, IPPROTO_TCP, TCP_ULP, IKETCP_ULP_NAME,
				      sizeof(IKETCP_ULP_NAME)))
			die("TCP_ULP iketcp");
		w = fill(c);
		usleep(100000);		/* the receiver has read what it will */
		if (ioctl(c, SIOCOUTQ, &outq) || ioctl(s, SIOCINQ, &inq))
			die("SIOCOUTQ/SIOCINQ");
		held += (w - outq - 6) / SMALL_REC * SMALL;
		queued += (w - outq - 6 - inq) / SMALL_REC * SMALL;
		fds[2 * i] = c;
		fds[2 * i + 1] = s;
	}
	snapshot(&s1);
	printf("%s %d %lld %lld %lld %lld %lld\n",
	       ulp ? "queue-iketcp" : "queue-plain", conns, held, queued,
	       s1.slab - s0.slab, s1.slabinfo - s0.slabinfo, s0.avail - s1.avail);
	close_all(fds, 2 * conns);
	close(lfd);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a;
	struct rlimit rl;
	struct snap s0, s1;
	int lfd, ulp, pairs, i, *fds;

	if (argc == 3 && !strncmp(argv[1], "queue-", 6)) {
		pairs = atoi(argv[2]);
		if (pairs < 1 || pairs > 1000 ||
		    (strcmp(argv[1] + 6, "plain") && strcmp(argv[1] + 6, "iketcp")))
			return 2;
		rl.rlim_cur = rl.rlim_max = 2 * pairs + 64;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			die("setrlimit");
		return queue_main(!strcmp(argv[1] + 6, "iketcp"), pairs);
	}
	if (argc != 3 || (strcmp(argv[1], "plain") && strcmp(argv[1], "iketcp"))) {
		fprintf(stderr, "usage: ikebench-mem plain|iketcp PAIRS\n"
			"       ikebench-mem queue-plain|queue-iketcp CONNS\n");
		return 2;
	}
	ulp = !strcmp(argv[1], "iketcp");
	pairs = atoi(argv[2]);
	if (pairs < 1 || pairs > 100000)
		return 2;
	rl.rlim_cur = rl.rlim_max = 2 * pairs + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit");
	fds = calloc(2 * pairs, sizeof(*fds));
	if (!fds)
		die("calloc");

	lfd = listener(&a);
	snapshot(&s0);
	for (i = 0; i < pairs; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0), s;

		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
			die("connect");
		s = accept(lfd, NULL, NULL);
		if (s < 0)
			die("accept");
		if (ulp && (setsockopt(c, IPPROTO_TCP, TCP_ULP, IKETCP_ULP_NAME,
				       sizeof(IKETCP_ULP_NAME)) ||
			    setsockopt(s, IPPROTO_TCP, TCP_ULP, IKETCP_ULP_NAME,
				       sizeof(IKETCP_ULP_NAME))))
			die("TCP_ULP iketcp");
		xfer(c, s, ulp, 1);
		xfer(s, c, ulp, 0);
		fds[2 * i] = c;
		fds[2 * i + 1] = s;
	}
	snapshot(&s1);
	printf("%s %d %d %lld %lld %lld\n", argv[1], pairs, 2 * pairs,
	       s1.slab - s0.slab, s1.slabinfo - s0.slabinfo,
	       s0.avail - s1.avail);
	close_all(fds, 2 * pairs);
	close(lfd);
	return 0;
}
