// SPDX-License-Identifier: GPL-2.0
/*
 * IKE over UDP: see udp.h.  Non-blocking sockets; the caller polls.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/ipsec.h>
#include <linux/xfrm.h>

#include "net/udp.h"

#ifndef UDP_ENCAP
#define UDP_ENCAP		100
#endif
#ifndef UDP_ENCAP_ESPINUDP
#define UDP_ENCAP_ESPINUDP	2
#endif

#define NON_ESP_MARKER_LEN	4
#define IK_UDP_RCVBUF		(4 << 20)	/* bytes */

enum ik_udp_slot ik_udp_slot_for(int family, bool natt)
{
	if (family == AF_INET6)
		return natt ? IK_UDP6_NATT : IK_UDP6_IKE;
	return natt ? IK_UDP4_NATT : IK_UDP4_IKE;
}

int ik_bypass_policies(int fd, int family)
{
	struct xfrm_userpolicy_info pol;
	int level = family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
	int opt = family == AF_INET6 ? IPV6_XFRM_POLICY : IP_XFRM_POLICY;
	int dir;

	for (dir = XFRM_POLICY_IN; dir <= XFRM_POLICY_OUT; dir++) {
		memset(&pol, 0, sizeof(pol));
		pol.action = XFRM_POLICY_ALLOW;
		pol.sel.family = family;
		pol.dir = dir;
		if (setsockopt(fd, level, opt, &pol, sizeof(pol)))
			return -errno;
	}
	return 0;
}

static int want_pktinfo(int fd, int family)
{
	int one = 1;

	if (family == AF_INET6)
		return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
				  sizeof(one)) ? -errno : 0;
	return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) ?
		-errno : 0;
}

static int open_one(int family, uint16_t port, bool natt, int *fdp,
		    char *err, size_t errlen)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int fd, one = 1, enc = UDP_ENCAP_ESPINUDP, rc;
	int rcvbuf = IK_UDP_RCVBUF;
	const char *step;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		if (rc == -EAFNOSUPPORT)
			return rc;	/* the family is absent: skipped */
		step = "socket";
		goto fail;
	}
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		step = "IPV6_V6ONLY";
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
			goto fail_errno;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		sl = sizeof(*s4);
	}
	step = "SO_REUSEADDR";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto fail_errno;
	/* a burst of requests (a flood, many peers at once) waits here
	 * rather than being dropped by the kernel; best effort */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	step = "pktinfo";
	rc = want_pktinfo(fd, family);
	if (rc)
		goto fail;
	step = "IPsec policy bypass";
	rc = ik_bypass_policies(fd, family);
	if (rc)
		goto fail;
	step = "bind";
	if (bind(fd, (struct sockaddr *)&ss, sl))
		goto fail_errno;
	step = "UDP_ENCAP_ESPINUDP";
	if (natt && setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &enc, sizeof(enc)))
		goto fail_errno;
	*fdp = fd;
	return 0;

fail_errno:
	rc = -errno;
fail:
	snprintf(err, errlen, "UDP port %u (%s): %s: %s", port,
		 family == AF_INET6 ? "IPv6" : "IPv4", step, strerror(-rc));
	if (fd >= 0)
		close(fd);
	return rc;
}

int ik_udp_open(struct ik_udp *u, uint16_t port_ike, uint16_t port_natt,
		char *err, size_t errlen)
{
	static const struct { int family; bool natt; } spec[IK_UDP_SLOTS] = {
		[IK_UDP4_IKE] = { AF_INET, false },
		[IK_UDP4_NATT] = { AF_INET, true },
		[IK_UDP6_IKE] = { AF_INET6, false },
		[IK_UDP6_NATT] = { AF_INET6, true },
	};
	int s, rc, opened = 0;

	u->port_ike = port_ike;
	u->port_natt = port_natt;
	for (s = 0; s < IK_UDP_SLOTS; s++)
		u->fd[s] = -1;
	for (s = 0; s < IK_UDP_SLOTS; s++) {
		rc = open_one(spec[s].family, spec[s].natt ? port_natt : port_ike,
			      spec[s].natt, &u->fd[s], err, errlen);
		if (rc == -EAFNOSUPPORT)
			continue;
		if (rc) {
			ik_udp_close(u);
			return rc;
		}
		opened++;
	}
	if (!opened) {
		snprintf(err, errlen, "no IPv4 or IPv6 UDP sockets");
		return -EAFNOSUPPORT;
	}
	return 0;
}

void ik_udp_close(struct ik_udp *u)
{
	int s;

	for (s = 0; s < IK_UDP_SLOTS; s++) {
		if (u->fd[s] >= 0)
			close(u->fd[s]);
		u->fd[s] = -1;
	}
}

/* The local address of a received datagram, from its pktinfo. */
static void local_from_cmsg(struct msghdr *mh, int family, uint16_t port,
			    struct sockaddr_storage *local)
{
	struct cmsghdr *c;

	memset(local, 0, sizeof(*local));
	local->ss_family = family;
	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (family == AF_INET && c->cmsg_level == IPPROTO_IP &&
		    c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			struct sockaddr_in *s4 = (struct sockaddr_in *)local;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			s4->sin_addr = pi.ipi_addr;
			s4->sin_port = htons(port);
		} else if (family == AF_INET6 && c->cmsg_level == IPPROTO_IPV6 &&
			   c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)local;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			s6->sin6_addr = pi.ipi6_addr;
			s6->sin6_port = htons(port);
		}
	}
}

ssize_t ik_udp_recv(struct ik_udp *u, enum ik_udp_slot s, uint8_t *buf,
		    size_t cap, struct ik_addrs *a)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cbuf;
	struct iovec iov = { buf, cap };
	struct msghdr mh = {
		.msg_name = &a->remote, .msg_namelen = sizeof(a->remote),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf.buf),
	};
	bool natt = ik_udp_slot_natt(s);
	int family = s >= IK_UDP6_IKE ? AF_INET6 : AF_INET;
	ssize_t n;

	n = recvmsg(u->fd[s], &mh, MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	a->slot = s;
	local_from_cmsg(&mh, family, natt ? u->port_natt : u->port_ike,
			&a->local);
	if (mh.msg_flags & MSG_TRUNC)
		return 0;	/* larger than any IKE message we take */
	if (!natt)
		return n;
	/* On 4500 only marker + IKE reaches us; anything else is a runt. */
	if (n < NON_ESP_MARKER_LEN || memcmp(buf, "\0\0\0\0", 4))
		return 0;
	memmove(buf, buf + NON_ESP_MARKER_LEN, n - NON_ESP_MARKER_LEN);
	return n - NON_ESP_MARKER_LEN;
}

int ik_udp_send_keepalive(struct ik_udp *u, const struct ik_addrs *a)
{
	static const uint8_t ka = 0xff;
	int fd = u->fd[a->slot];
	socklen_t sl = a->remote.ss_family == AF_INET6 ?
		sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

	if (fd < 0 || !ik_udp_slot_natt(a->slot))
		return -EINVAL;
	if (sendto(fd, &ka, 1, MSG_DONTWAIT, (const struct sockaddr *)&a->remote,
		   sl) < 0)
		return -errno;
	return 0;
}

size_t ik_pktinfo_cmsg(union ik_pktinfo_buf *cbuf,
		       const struct sockaddr_storage *local)
{
	struct cmsghdr *c = (struct cmsghdr *)cbuf->buf;

	memset(cbuf, 0, sizeof(*cbuf));
	if (local->ss_family == AF_INET6) {
		struct in6_pktinfo pi = {
			.ipi6_addr = ((const struct sockaddr_in6 *)local)->sin6_addr,
		};

		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	if (local->ss_family == AF_INET) {
		struct in_pktinfo pi = {
			.ipi_spec_dst = ((const struct sockaddr_in *)local)->sin_addr,
		};

		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		return CMSG_SPACE(sizeof(pi));
	}
	return 0;
}

int ik_udp_send(struct ik_udp *u, const struct ik_addrs *a,
		const uint8_t *msg, size_t len)
{
	static const uint8_t marker[NON_ESP_MARKER_LEN];
	union ik_pktinfo_buf cbuf;
	struct iovec iov[2];
	struct msghdr mh = { 0 };
	int n = 0, fd = u->fd[a->slot];

	if (fd < 0)
		return -EAFNOSUPPORT;
	if (ik_udp_slot_natt(a->slot))
		iov[n++] = (struct iovec){ (void *)marker, sizeof(marker) };
	iov[n++] = (struct iovec){ (void *)msg, len };
	mh.msg_name = (void *)&a->remote;
	mh.msg_namelen = a->remote.ss_family == AF_INET6 ?
		sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	mh.msg_iov = iov;
	mh.msg_iovlen = n;
	mh.msg_controllen = ik_pktinfo_cmsg(&cbuf, &a->local);
	mh.msg_control = mh.msg_controllen ? cbuf.buf : NULL;
	if (sendmsg(fd, &mh, MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}

unsigned int ik_udp_path_mtu(const struct sockaddr_storage *remote)
{
	int fd, mtu = 0;
	socklen_t sl = sizeof(mtu);

	if (remote->ss_family != AF_INET)
		return 0;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	/* connect() looks the route up, and a transport-mode policy toward
	 * the peer would put its SA's MTU in the way, as for IKE itself */
	if (ik_bypass_policies(fd, AF_INET) ||
	    connect(fd, (const struct sockaddr *)remote,
		    sizeof(struct sockaddr_in)) ||
	    getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &sl) || mtu < 0)
		mtu = 0;
	close(fd);
	return (unsigned int)mtu;
}
