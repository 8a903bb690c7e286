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
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

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

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct linger lg = { 1, 0 };
	socklen_t al = sizeof(a);
	struct rlimit rl;
	struct snap s0, s1;
	int lfd, ulp, pairs, i, *fds;

	if (argc != 3 || (strcmp(argv[1], "plain") && strcmp(argv[1], "iketcp"))) {
		fprintf(stderr, "usage: ikebench-mem plain|iketcp PAIRS\n");
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

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(lfd, 128) || getsockname(lfd, (struct sockaddr *)&a, &al))
		die("listen");
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
	for (i = 0; i < 2 * pairs; i++) {
		setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fds[i]);
	}
	close(lfd);
	return 0;
}
