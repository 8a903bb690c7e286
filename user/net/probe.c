// SPDX-License-Identifier: GPL-2.0
/*
 * The ESP path probe: see probe.h.  Non-blocking raw sockets; the caller
 * polls them.
 */
#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/filter.h>

#include "ike/wire.h"
#include "net/probe.h"
#include "net/udp.h"

static void put64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, sizeof(v));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

/* Layout after the SPI-0 field: the IKEv2 header (RFC 7296 3.1), token. */
enum { P_SPI_I = 4, P_SPI_R = 12, P_NEXT = 20, P_VER = 21, P_EXCH = 22,
       P_FLAGS = 23, P_MID = 24, P_LEN = 28, P_TOKEN = 32 };

void ik_probe_encode(const struct ik_probe_msg *m, uint8_t out[IK_PROBE_LEN])
{
	uint32_t len = IK_PROBE_LEN - 4;

	memset(out, 0, IK_PROBE_LEN);
	put64(out + P_SPI_I, m->spi_i);
	put64(out + P_SPI_R, m->spi_r);
	out[P_VER] = IKE_VERSION;
	out[P_EXCH] = IK_PROBE_EXCHANGE;
	out[P_FLAGS] = m->answer ? IKE_FLAG_RESPONSE : IKE_FLAG_INITIATOR;
	out[P_LEN] = (uint8_t)(len >> 24);
	out[P_LEN + 1] = (uint8_t)(len >> 16);
	out[P_LEN + 2] = (uint8_t)(len >> 8);
	out[P_LEN + 3] = (uint8_t)len;
	memcpy(out + P_TOKEN, m->token, IK_PROBE_TOKEN_LEN);
}

bool ik_probe_parse(const uint8_t *ike, size_t len, struct ik_probe_msg *m)
{
	const uint8_t *buf = ike - 4;	/* offsets count the SPI-0 field */
	uint8_t want[IK_PROBE_LEN];
	struct ik_probe_msg h;

	if (len != IK_PROBE_LEN - 4 || buf[P_EXCH] != IK_PROBE_EXCHANGE)
		return false;
	h.spi_i = get64(buf + P_SPI_I);
	h.spi_r = get64(buf + P_SPI_R);
	h.answer = buf[P_FLAGS] == IKE_FLAG_RESPONSE;
	memcpy(h.token, buf + P_TOKEN, IK_PROBE_TOKEN_LEN);
	/* every other byte exactly as ik_probe_encode writes it */
	ik_probe_encode(&h, want);
	if (memcmp(ike, want + 4, IK_PROBE_LEN - 4))
		return false;
	*m = h;
	return true;
}

/*
 * Only SPI 0 reaches the socket (every ESP packet of the host would be
 * copied to it otherwise).  An IPv4 raw socket sees the IP header, whose
 * length the filter reads; an IPv6 one starts at the ESP header.
 */
static int filter_spi0(int fd, int family)
{
	static struct sock_filter v4[] = {
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	static struct sock_filter v6[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = family == AF_INET6 ?
		(struct sock_fprog){ sizeof(v6) / sizeof(v6[0]), v6 } :
		(struct sock_fprog){ sizeof(v4) / sizeof(v4[0]), v4 };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
			  sizeof(prog)) ? -errno : 0;
}

static int open_one(int family, int *fdp, char *err, size_t errlen)
{
	const char *step = "socket";
	int fd, rc;

	fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    IPPROTO_ESP);
	if (fd < 0) {
		rc = -errno;
		if (rc == -EAFNOSUPPORT)
			return rc;
		goto fail;
	}
	step = "SPI 0 filter";
	rc = filter_spi0(fd, family);
	if (!rc) {
		step = "IPsec policy bypass";
		rc = ik_bypass_policies(fd, family);
	}
	if (rc)
		goto fail;
	*fdp = fd;
	return 0;
fail:
	snprintf(err, errlen, "raw ESP socket (%s): %s: %s",
		 family == AF_INET6 ? "IPv6" : "IPv4", step, strerror(-rc));
	if (fd >= 0)
		close(fd);
	return rc;
}

int ik_probe_open(struct ik_probe_sock *p, char *err, size_t errlen)
{
	static const int family[2] = { AF_INET, AF_INET6 };
	int i, rc;

	p->fd[0] = p->fd[1] = -1;
	for (i = 0; i < 2; i++) {
		rc = open_one(family[i], &p->fd[i], err, errlen);
		if (rc && rc != -EAFNOSUPPORT) {
			ik_probe_close(p);
			return rc;
		}
	}
	return 0;
}

void ik_probe_close(struct ik_probe_sock *p)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (p->fd[i] >= 0)
			close(p->fd[i]);
		p->fd[i] = -1;
	}
}

ssize_t ik_probe_recv(struct ik_probe_sock *p, int i, uint8_t *buf,
		      size_t cap, struct sockaddr_storage *from)
{
	socklen_t sl = sizeof(*from);
	size_t hl = 0;
	ssize_t n;

	n = recvfrom(p->fd[i], buf, cap, MSG_DONTWAIT,
		     (struct sockaddr *)from, &sl);
	if (n < 0)
		return -errno;
	if (i == 0) {		/* IPv4: the IP header comes first */
		if (n < (ssize_t)sizeof(struct iphdr))
			return 0;
		hl = (size_t)(buf[0] & 0x0f) * 4;
		if ((size_t)n < hl)
			return 0;
		memmove(buf, buf + hl, n - hl);
	}
	return n - (ssize_t)hl;
}

int ik_probe_send(struct ik_probe_sock *p,
		  const struct sockaddr_storage *local,
		  const struct sockaddr_storage *remote,
		  const uint8_t msg[IK_PROBE_LEN])
{
	int fd = p->fd[remote->ss_family == AF_INET6];
	union ik_pktinfo_buf cbuf;
	struct sockaddr_storage to = *remote;
	struct iovec iov = { (void *)msg, IK_PROBE_LEN };
	struct msghdr mh = {
		.msg_name = &to, .msg_iov = &iov, .msg_iovlen = 1,
	};

	if (fd < 0)
		return -EAFNOSUPPORT;
	/* a raw socket's "port" is its protocol: none in the address */
	if (to.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&to)->sin6_port = 0;
		mh.msg_namelen = sizeof(struct sockaddr_in6);
	} else {
		((struct sockaddr_in *)&to)->sin_port = 0;
		mh.msg_namelen = sizeof(struct sockaddr_in);
	}
	mh.msg_controllen = ik_pktinfo_cmsg(&cbuf, local);
	mh.msg_control = mh.msg_controllen ? cbuf.buf : NULL;
	if (sendmsg(fd, &mh, MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}
