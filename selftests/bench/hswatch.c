// SPDX-License-Identifier: GPL-2.0
/*
 * hswatch IFNAME [SECONDS]: the clock of the peers benchmark (issue 19,
 * selftests/bench/peers.sh), run in the initiator's namespace.  It times a
 * handshake the same way whichever daemon makes it, from outside:
 *
 *   start  the first IKE packet (UDP to port 500 or 4500) that leaves by
 *          IFNAME: the initiator's IKE_SA_INIT request
 *   done   the second ESP state with keys that the namespace's kernel
 *          announces (XFRM_MSG_NEWSA or UPDSA with an AEAD or cipher
 *          algorithm, on the XFRMNLGRP_SA group): the first Child SA's
 *          inbound and outbound states are both installed
 *
 * SPIs a daemon merely reserves (XFRM_MSG_ALLOCSPI) are larval states
 * without keys and announce nothing.  Prints "ready" once both sockets
 * listen, then "start=S.US done=S.US ms=M" (CLOCK_REALTIME) and exits 0;
 * exits 1 when SECONDS (60) pass first.
 */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/xfrm.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Every protocol (ETH_P_ALL): only such taps see outgoing packets. */
static int open_packet(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(0x0003) };
	int fd = socket(AF_PACKET, SOCK_DGRAM, htons(0x0003));

	sll.sll_ifindex = if_nametoindex(ifname);
	if (fd < 0 || !sll.sll_ifindex ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		return -1;
	return fd;
}

static int open_xfrm(void)
{
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK,
				   .nl_groups = 1u << (XFRMNLGRP_SA - 1) };
	int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_XFRM);

	if (fd < 0 || bind(fd, (struct sockaddr *)&snl, sizeof(snl)))
		return -1;
	return fd;
}

/* An outgoing IPv4 datagram to UDP port 500 or 4500? */
static bool is_ike_out(int fd)
{
	uint8_t buf[128];
	struct sockaddr_ll from;
	socklen_t fl = sizeof(from);
	const struct iphdr *ip = (const struct iphdr *)buf;
	const struct udphdr *udp;
	ssize_t n;

	n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
		     (struct sockaddr *)&from, &fl);
	if (n < (ssize_t)sizeof(*ip) || from.sll_pkttype != PACKET_OUTGOING ||
	    from.sll_protocol != htons(0x0800) ||
	    ip->protocol != IPPROTO_UDP || n < ip->ihl * 4 + 8)
		return false;
	udp = (const struct udphdr *)(buf + ip->ihl * 4);
	return ntohs(udp->dest) == 500 || ntohs(udp->dest) == 4500;
}

/* How many keyed SA announcements one netlink read held. */
static int keyed_sas(int fd)
{
	static uint8_t buf[65536];
	struct nlmsghdr *h;
	int n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT), keyed = 0;

	if (n <= 0)
		return 0;
	for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned int)n);
	     h = NLMSG_NEXT(h, n)) {
		struct rtattr *a;
		int len;

		if (h->nlmsg_type != XFRM_MSG_NEWSA &&
		    h->nlmsg_type != XFRM_MSG_UPDSA)
			continue;
		len = h->nlmsg_len - NLMSG_SPACE(sizeof(struct xfrm_usersa_info));
		a = (struct rtattr *)((char *)NLMSG_DATA(h) +
				      NLMSG_ALIGN(sizeof(struct xfrm_usersa_info)));
		for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
			if (a->rta_type == XFRMA_ALG_AEAD ||
			    a->rta_type == XFRMA_ALG_CRYPT) {
				keyed++;
				break;
			}
	}
	return keyed;
}

int main(int argc, char **argv)
{
	double limit, start = 0, done = 0;
	struct pollfd p[2];
	int keyed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: hswatch IFNAME [SECONDS]\n");
		return 2;
	}
	limit = now_s() + (argc > 2 ? atof(argv[2]) : 60);
	p[0] = (struct pollfd){ .fd = open_packet(argv[1]), .events = POLLIN };
	p[1] = (struct pollfd){ .fd = open_xfrm(), .events = POLLIN };
	if (p[0].fd < 0 || p[1].fd < 0) {
		perror("hswatch");
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	while (!done && now_s() < limit) {
		if (poll(p, 2, 100) <= 0)
			continue;
		if (p[0].revents && is_ike_out(p[0].fd) && !start)
			start = now_s();
		if (p[1].revents) {
			keyed += keyed_sas(p[1].fd);
			if (keyed >= 2)
				done = now_s();
		}
	}
	if (!done || !start)
		return 1;
	printf("start=%.6f done=%.6f ms=%.3f\n", start, done,
	       (done - start) * 1000);
	return 0;
}
