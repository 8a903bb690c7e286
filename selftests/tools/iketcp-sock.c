// SPDX-License-Identifier: GPL-2.0
/*
 * iketcp-sock: one end of an iketcp connection for shell tests.
 *
 *   iketcp-sock connect ADDR PORT     TCP originator
 *   iketcp-sock listen ADDR PORT      TCP acceptor (one connection)
 *
 * Attaches the "iketcp" ULP, exchanges one IKE message (so both roles are
 * settled), prints "ready", then runs commands read from stdin, one per
 * line, answering "ok" or "err ERRNO MESSAGE" (the kernel's extack):
 *
 *   bind in|out SPI [udp SPORT DPORT]     IKETCP_CMD_BIND_SA on this socket
 *   unbind in|out SPI                     IKETCP_CMD_UNBIND_SA
 *   ike SIZE                              send an IKE message, wait for one
 *   echo                                  receive an IKE message, send it back
 *   close                                 close the socket (SAs stay bound)
 *   quit                                  exit (end of input too)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../lib/genl_sa.h"
#include "uapi/linux/iketcp.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

static int sock_fd = -1;
static struct gsa_nl genl;

/* BIND_SA or UNBIND_SA on this socket; 0 or -errno, extack in msg. */
static int sa_request(int cmd, const char *dir, const char *spi_s,
		      const char *sport, const char *dport, char *msg,
		      size_t msglen)
{
	struct gsa_sa sa = gsa_sa_make(!strcmp(dir, "in") ? IKETCP_DIR_IN :
				       IKETCP_DIR_OUT,
				       strtoul(spi_s, NULL, 0));
	struct gsa_ack ack;
	int err;

	if (sport && dport) {
		sa.encap = IKETCP_ENCAP_UDP;
		sa.sport = (uint16_t)atoi(sport);
		sa.dport = (uint16_t)atoi(dport);
	}
	if (cmd == IKETCP_CMD_BIND_SA)
		err = gsa_bind(&genl, sock_fd, &sa, &ack);
	else
		err = gsa_unbind(&genl, sock_fd, &sa, &ack);
	snprintf(msg, msglen, "%s", err ? ack.msg : "");
	return err;
}

/* An IKE message of size bytes whose header length field is right. */
static void make_ike(unsigned char *m, size_t size, unsigned char fill)
{
	memset(m, fill, size);
	memset(m, 0x11, 16);
	m[17] = 0x20;
	m[24] = size >> 24;
	m[25] = size >> 16;
	m[26] = size >> 8;
	m[27] = size;
}

static int ike_exchange(size_t size, int first)
{
	static unsigned char m[IKETCP_MAX_IKE_MSG];
	ssize_t n;

	if (first && (size < 28 || size > sizeof(m)))
		return -EINVAL;
	if (first) {
		make_ike(m, size, 0xab);
		if (send(sock_fd, m, size, 0) != (ssize_t)size)
			return -errno;
	}
	n = recv(sock_fd, m, sizeof(m), 0);
	if (n <= 0)
		return n ? -errno : -ECONNRESET;
	if (!first && send(sock_fd, m, n, 0) != n)
		return -errno;
	return 0;
}

static int parse_addr(const char *s, const char *port,
		      struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(atoi(port));
		*len = sizeof(*a4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(atoi(port));
		*len = sizeof(*a6);
		return AF_INET6;
	}
	return -1;
}

static int open_conn(const char *mode, const char *addr, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fam, fd, one = 1, tries;

	fam = parse_addr(addr, port, &ss, &len);
	if (fam < 0)
		return -1;
	fd = socket(fam, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (!strcmp(mode, "listen")) {
		int cfd;

		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 1))
			return -1;
		printf("listening\n");
		fflush(stdout);
		cfd = accept(fd, NULL, NULL);
		close(fd);
		return cfd;
	}
	for (tries = 0; tries < 100; tries++) {
		if (!connect(fd, (struct sockaddr *)&ss, len))
			return fd;
		usleep(50000);
	}
	return -1;
}

static void reply(int err, const char *msg)
{
	if (err)
		printf("err %d %s\n", -err, msg[0] ? msg : strerror(-err));
	else
		printf("ok\n");
	fflush(stdout);
}

static void run_commands(void)
{
	char line[256], msg[256], *w[6];
	int n, err;

	while (fgets(line, sizeof(line), stdin)) {
		for (n = 0; n < 6; n++)
			w[n] = strtok(n ? NULL : line, " \t\n");
		msg[0] = 0;
		if (!w[0])
			continue;
		if (!strcmp(w[0], "quit"))
			return;
		if (!strcmp(w[0], "bind") && w[1] && w[2])
			err = sa_request(IKETCP_CMD_BIND_SA, w[1], w[2],
					 w[3] ? w[4] : NULL, w[3] ? w[5] : NULL,
					 msg, sizeof(msg));
		else if (!strcmp(w[0], "unbind") && w[1] && w[2])
			err = sa_request(IKETCP_CMD_UNBIND_SA, w[1], w[2], NULL,
					 NULL, msg, sizeof(msg));
		else if (!strcmp(w[0], "ike") && w[1])
			err = ike_exchange(strtoul(w[1], NULL, 0), 1);
		else if (!strcmp(w[0], "echo"))
			err = ike_exchange(0, 0);
		else if (!strcmp(w[0], "close"))
			err = close(sock_fd) ? -errno : 0;
		else
			err = -EINVAL;
		reply(err, msg);
	}
}

int main(int argc, char **argv)
{
	int originator, err;

	if (argc != 4) {
		fprintf(stderr, "usage: iketcp-sock connect|listen ADDR PORT\n");
		return 2;
	}
	originator = !strcmp(argv[1], "connect");
	if (gsa_open(&genl)) {
		fprintf(stderr, "iketcp-sock: no iketcp genl family\n");
		return 1;
	}
	sock_fd = open_conn(argv[1], argv[2], argv[3]);
	if (sock_fd < 0) {
		perror("iketcp-sock: connection");
		return 1;
	}
	if (setsockopt(sock_fd, IPPROTO_TCP, TCP_ULP, IKETCP_ULP_NAME,
		       sizeof(IKETCP_ULP_NAME))) {
		perror("iketcp-sock: TCP_ULP");
		return 1;
	}
	err = ike_exchange(originator ? 100 : 0, originator);
	if (err) {
		fprintf(stderr, "iketcp-sock: first IKE exchange failed: %s\n",
			strerror(-err));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	run_commands();
	return 0;
}
