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
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "uapi/linux/iketcp.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

static int sock_fd = -1;
static int genl_fd = -1;
static int family_id;

struct msgbuf {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char attrs[1024];
};

static struct nlattr *put_attr(struct nlmsghdr *n, int type, const void *data,
			       int len)
{
	struct nlattr *a = (struct nlattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + NLA_ALIGN(a->nla_len);
	return a;
}

static void end_nest(struct nlmsghdr *n, struct nlattr *nest)
{
	nest->nla_len = (char *)n + n->nlmsg_len - (char *)nest;
}

/* Send a request; 0 or -errno, with the kernel's message in msg. */
static int genl_call(struct msgbuf *req, char *msg, size_t msglen)
{
	char buf[8192];
	struct nlmsghdr *n = (struct nlmsghdr *)buf;
	struct nlmsgerr *e;
	struct nlattr *a;
	int len, rem;

	req->n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	msg[0] = 0;
	if (send(genl_fd, req, req->n.nlmsg_len, 0) < 0)
		return -errno;
	len = recv(genl_fd, buf, sizeof(buf), 0);
	if (len < (int)sizeof(*n) || n->nlmsg_type != NLMSG_ERROR)
		return -EPROTO;
	e = NLMSG_DATA(n);
	if (!e->error || !(n->nlmsg_flags & NLM_F_ACK_TLVS))
		return e->error;
	/* extack TLVs follow the echoed request header (capped request) */
	a = (struct nlattr *)((char *)e + sizeof(*e) +
			      ((n->nlmsg_flags & NLM_F_CAPPED) ? 0 :
			       e->msg.nlmsg_len - sizeof(e->msg)));
	rem = (char *)n + n->nlmsg_len - (char *)a;
	while (rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= rem) {
		if (a->nla_type == NLMSGERR_ATTR_MSG)
			snprintf(msg, msglen, "%s", (char *)a + NLA_HDRLEN);
		rem -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
	return e->error;
}

static int genl_open(void)
{
	struct msgbuf req = {
		.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN),
		.n.nlmsg_type = GENL_ID_CTRL,
		.n.nlmsg_flags = NLM_F_REQUEST,
		.g.cmd = CTRL_CMD_GETFAMILY,
		.g.version = 1,
	};
	char buf[4096];
	struct nlmsghdr *n = (struct nlmsghdr *)buf;
	struct nlattr *a;
	int one = 1, len;

	genl_fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (genl_fd < 0)
		return -1;
	setsockopt(genl_fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	put_attr(&req.n, CTRL_ATTR_FAMILY_NAME, IKETCP_GENL_NAME,
		 sizeof(IKETCP_GENL_NAME));
	if (send(genl_fd, &req, req.n.nlmsg_len, 0) < 0)
		return -1;
	len = recv(genl_fd, buf, sizeof(buf), 0);
	if (len < (int)NLMSG_LENGTH(GENL_HDRLEN) || n->nlmsg_type == NLMSG_ERROR)
		return -1;
	len = n->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	a = (struct nlattr *)((char *)NLMSG_DATA(n) + GENL_HDRLEN);
	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN) {
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			family_id = *(__u16 *)((char *)a + NLA_HDRLEN);
		len -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
	return family_id ? 0 : -1;
}

static int sa_request(int cmd, const char *dir, const char *spi_s,
		      const char *sport, const char *dport, char *msg,
		      size_t msglen)
{
	struct msgbuf req = {
		.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN),
		.g.cmd = cmd,
		.g.version = IKETCP_GENL_VERSION,
	};
	__u8 d = !strcmp(dir, "in") ? IKETCP_DIR_IN : IKETCP_DIR_OUT;
	__u32 spi = htonl(strtoul(spi_s, NULL, 0));
	__u32 fd = sock_fd;
	struct nlattr *nest;

	req.n.nlmsg_type = family_id;
	put_attr(&req.n, IKETCP_A_SOCK_FD, &fd, sizeof(fd));
	nest = put_attr(&req.n, IKETCP_A_SA | NLA_F_NESTED, NULL, 0);
	put_attr(&req.n, IKETCP_SA_DIR, &d, sizeof(d));
	put_attr(&req.n, IKETCP_SA_SPI, &spi, sizeof(spi));
	if (sport && dport) {
		__u8 encap = IKETCP_ENCAP_UDP;
		__u16 sp = atoi(sport), dp = atoi(dport);

		put_attr(&req.n, IKETCP_SA_ENCAP, &encap, sizeof(encap));
		put_attr(&req.n, IKETCP_SA_ENCAP_SPORT, &sp, sizeof(sp));
		put_attr(&req.n, IKETCP_SA_ENCAP_DPORT, &dp, sizeof(dp));
	}
	end_nest(&req.n, nest);
	return genl_call(&req, msg, msglen);
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
	if (genl_open()) {
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
