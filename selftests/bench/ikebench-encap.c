// SPDX-License-Identifier: GPL-2.0
/*
 * ikebench-encap: hold the socket an IKE daemon keeps for ESP encapsulation,
 * for ESP tunnel benchmarks.
 *
 *   ikebench-encap udp LADDR PORT            UDP socket on LADDR:PORT with
 *                                            UDP_ENCAP_ESPINUDP (RFC 3948)
 *   ikebench-encap espintcp-connect LADDR RADDR PORT
 *                                            TCP originator bound to
 *                                            LADDR:PORT, to RADDR:PORT, with
 *                                            the kernel's own "espintcp" ULP
 *   ikebench-encap espintcp-listen LADDR PORT
 *                                            TCP acceptor (one connection),
 *                                            "espintcp" ULP
 *
 * espintcp leaves the RFC 9329 stream prefix to the daemon: the originator
 * writes "IKETCP" on the plain socket before it attaches, the acceptor reads
 * and checks it before it attaches.  The originator binds its local port to
 * PORT too, so XFRM states with "encap espintcp PORT PORT" on both sides
 * find the connection (esp_find_tcp_sk() looks it up by the state's outer
 * addresses and encap ports).  Prints "listening" (acceptor), then "ready",
 * and holds the socket until killed.  IPv4 only.  espintcp needs
 * CONFIG_INET_ESPINTCP (not in Debian's kernels).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef TCP_ULP
#define TCP_ULP 31
#endif
#ifndef UDP_ENCAP
#define UDP_ENCAP 100
#endif
#ifndef UDP_ENCAP_ESPINUDP
#define UDP_ENCAP_ESPINUDP 2
#endif

static void die(const char *what)
{
	fprintf(stderr, "ikebench-encap: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void addr(struct sockaddr_in *a, const char *s, const char *port)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons(atoi(port));
	if (inet_pton(AF_INET, s, &a->sin_addr) != 1) {
		fprintf(stderr, "ikebench-encap: bad address %s\n", s);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	static const char ulp[] = "espintcp";
	struct sockaddr_in l, r;
	int fd, one = 1, i;
	char pfx[6];

	if (argc == 4 && !strcmp(argv[1], "udp")) {
		int type = UDP_ENCAP_ESPINUDP;

		addr(&l, argv[2], argv[3]);
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&l, sizeof(l)))
			die("bind");
		if (setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &type, sizeof(type)))
			die("UDP_ENCAP");
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	if (argc == 5 && !strcmp(argv[1], "espintcp-connect")) {
		addr(&l, argv[2], argv[4]);
		addr(&r, argv[3], argv[4]);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			die("socket");
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&l, sizeof(l)))
			die("bind");
		for (i = 0; i < 100; i++) {
			if (!connect(fd, (struct sockaddr *)&r, sizeof(r)))
				break;
			usleep(50000);
		}
		if (i == 100)
			die("connect");
		if (write(fd, "IKETCP", 6) != 6)
			die("write prefix");
	} else if (argc == 4 && !strcmp(argv[1], "espintcp-listen")) {
		int lfd = socket(AF_INET, SOCK_STREAM, 0);
		size_t got = 0;

		addr(&l, argv[2], argv[3]);
		if (lfd < 0)
			die("socket");
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(lfd, (struct sockaddr *)&l, sizeof(l)) || listen(lfd, 1))
			die("listen");
		printf("listening\n");
		fflush(stdout);
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			die("accept");
		close(lfd);
		while (got < sizeof(pfx)) {
			ssize_t n = read(fd, pfx + got, sizeof(pfx) - got);

			if (n <= 0)
				die("read prefix");
			got += n;
		}
		if (memcmp(pfx, "IKETCP", 6)) {
			fprintf(stderr, "ikebench-encap: bad prefix\n");
			return 1;
		}
	} else {
		fprintf(stderr, "usage: ikebench-encap udp LADDR PORT\n"
				"       ikebench-encap espintcp-connect LADDR RADDR PORT\n"
				"       ikebench-encap espintcp-listen LADDR PORT\n");
		return 2;
	}
	if (setsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, sizeof(ulp)))
		die("TCP_ULP espintcp");
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
