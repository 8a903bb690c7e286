// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the iketcp selftests; see iketcp_test.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "iketcp_test.h"

/* ---- test timeouts ----------------------------------------------------- */

/*
 * kselftest_harness.h arms each test's timeout with alarm(); this alarm(),
 * which the test programs link before libc's, multiplies it by
 * IKETCP_TIMEOUT_SCALE (an integer, default 1).  The debug kernel (KASAN,
 * lockdep) under TCG runs five to ten times slower than Debian's, and a
 * fixture's setup alone can outlast a 30 s timeout there (make check-vm
 * KERNEL=debug sets the scale).
 */
int ikt_timeout_scale(void)
{
	static int scale;

	if (!scale) {
		const char *s = getenv("IKETCP_TIMEOUT_SCALE");
		int n = s ? atoi(s) : 1;

		scale = n >= 1 && n <= 100 ? n : 1;
	}
	return scale;
}

unsigned int alarm(unsigned int seconds)
{
	struct itimerval it = { 0 }, old;

	it.it_value.tv_sec = (time_t)seconds * ikt_timeout_scale();
	if (setitimer(ITIMER_REAL, &it, &old))
		return 0;
	return (unsigned int)old.it_value.tv_sec + (old.it_value.tv_usec > 0);
}

/* ---- namespace and sockets ---------------------------------------------- */

uint64_t ikt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ikt_msleep(int ms)
{
	usleep(ms * 1000);
}

int ikt_sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return 128;
	return WEXITSTATUS(st);
}

int ikt_netns_new(void)
{
	struct ifreq ifr = { 0 };
	int fd, ret;

	if (unshare(CLONE_NEWNET))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	strcpy(ifr.ifr_name, "lo");
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (!ret) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		ret = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return ret;
}

static socklen_t loopback(int family, uint16_t port,
			  struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		a->sin6_addr = in6addr_loopback;
		return sizeof(*a);
	}
}

int ikt_listen(int family, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(family, 0, &ss);
	int fd, one = 1;

	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 128) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len)) {
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET ?
		      ((struct sockaddr_in *)&ss)->sin_port :
		      ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

int ikt_connect(int family, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(family, port, &ss);
	int fd;

	fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

int ikt_tcp_pair(int family, int *cli, int *srv)
{
	uint16_t port;
	int lfd = ikt_listen(family, &port);

	if (lfd < 0)
		return -1;
	*cli = ikt_connect(family, port);
	if (*cli < 0) {
		close(lfd);
		return -1;
	}
	*srv = accept(lfd, NULL, NULL);
	close(lfd);
	if (*srv < 0) {
		close(*cli);
		return -1;
	}
	return 0;
}

int ikt_attach(int fd, int framing)
{
	const char *name = framing == IKETCP_FRAMING_LEGACY ?
			   IKETCP_LEGACY_ULP_NAME : IKETCP_ULP_NAME;

	return setsockopt(fd, IPPROTO_TCP, TCP_ULP, name, strlen(name) + 1);
}

int ikt_set_role(int fd, int role)
{
	return setsockopt(fd, SOL_IKETCP, IKETCP_ROLE, &role, sizeof(role));
}

int ikt_get_int(int fd, int optname, int *val)
{
	socklen_t len = sizeof(*val);

	return getsockopt(fd, SOL_IKETCP, optname, val, &len);
}

int ikt_set_timeouts(int fd, int rcv_ms, int snd_ms)
{
	struct timeval r = { rcv_ms / 1000, (rcv_ms % 1000) * 1000 };
	struct timeval s = { snd_ms / 1000, (snd_ms % 1000) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &r, sizeof(r)))
		return -1;
	return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &s, sizeof(s));
}

int ikt_nodelay(int fd)
{
	int one = 1;

	return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

void ikt_close_rst(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

/* ---- bytes ---------------------------------------------------------------- */

int ikt_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

int ikt_read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ENODATA;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

ssize_t ikt_pending(int fd, void *buf, size_t len)
{
	ssize_t n = recv(fd, buf, len, MSG_PEEK | MSG_DONTWAIT);

	if (n < 0 && errno == EAGAIN)
		return 0;
	return n;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint8_t pattern(uint32_t id, size_t i)
{
	return (uint8_t)(id * 7 + i * 13 + (i >> 8));
}

void ikt_msg(uint8_t *buf, size_t len, uint32_t id)
{
	size_t i;

	memcpy(buf, "SPIi", 4);			/* initiator SPI: non-zero */
	put_be32(buf + 4, id);
	memcpy(buf + 8, "SPIr", 4);		/* responder SPI */
	put_be32(buf + 12, ~id);
	buf[16] = 46;				/* next payload: SK */
	buf[17] = 0x20;				/* IKEv2 */
	buf[18] = 37;				/* INFORMATIONAL */
	buf[19] = 0x08;				/* initiator */
	put_be32(buf + 20, id);			/* message ID */
	put_be32(buf + 24, (uint32_t)len);	/* length: the whole message */
	for (i = IKT_IKE_HDR; i < len; i++)
		buf[i] = pattern(id, i);
}

bool ikt_msg_ok(const uint8_t *buf, size_t len, uint32_t *id)
{
	uint32_t v;
	size_t i;

	if (len < IKT_IKE_HDR || memcmp(buf, "SPIi", 4) ||
	    memcmp(buf + 8, "SPIr", 4) || get_be32(buf + 24) != len)
		return false;
	v = get_be32(buf + 4);
	if (get_be32(buf + 12) != ~v || get_be32(buf + 20) != v)
		return false;
	for (i = IKT_IKE_HDR; i < len; i++)
		if (buf[i] != pattern(v, i))
			return false;
	if (id)
		*id = v;
	return true;
}

size_t ikt_frame(int framing, const uint8_t *msg, size_t len, uint8_t *out)
{
	if (framing == IKETCP_FRAMING_LEGACY) {
		memmove(out, msg, len);
		return len;
	}
	memmove(out + IKT_RFC_HDR, msg, len);
	out[0] = (uint8_t)((len + IKT_RFC_HDR) >> 8);
	out[1] = (uint8_t)(len + IKT_RFC_HDR);
	memset(out + 2, 0, 4);
	return len + IKT_RFC_HDR;
}

size_t ikt_raw_record(const uint8_t *body, size_t len, uint8_t *out)
{
	memmove(out + 2, body, len);
	out[0] = (uint8_t)((len + 2) >> 8);
	out[1] = (uint8_t)(len + 2);
	return len + 2;
}

ssize_t ikt_read_framed(int fd, int framing, uint8_t *buf, size_t cap)
{
	uint8_t hdr[IKT_RFC_HDR];
	size_t len;

	if (framing == IKETCP_FRAMING_LEGACY) {
		if (cap < IKT_IKE_HDR || ikt_read_all(fd, buf, IKT_IKE_HDR))
			return -1;
		len = get_be32(buf + 24);
		if (len < IKT_IKE_HDR || len > cap) {
			errno = EBADMSG;
			return -1;
		}
		if (ikt_read_all(fd, buf + IKT_IKE_HDR, len - IKT_IKE_HDR))
			return -1;
		return len;
	}
	if (ikt_read_all(fd, hdr, sizeof(hdr)))
		return -1;
	len = (size_t)hdr[0] << 8 | hdr[1];
	if (len < IKT_RFC_HDR || hdr[2] || hdr[3] || hdr[4] || hdr[5] ||
	    len - IKT_RFC_HDR > cap) {
		errno = EBADMSG;
		return -1;
	}
	len -= IKT_RFC_HDR;
	if (ikt_read_all(fd, buf, len))
		return -1;
	return len;
}

/* ---- generic netlink ---------------------------------------------------- */

/* A negative errno as -1 with errno set; a count as it is. */
static int errno_ret(int ret)
{
	if (ret >= 0)
		return ret;
	errno = -ret;
	return -1;
}

int ikt_genl_family(void)
{
	static int id;

	if (id <= 0)
		id = gsa_family_lookup(IKETCP_GENL_NAME, NULL);
	return errno_ret(id);
}

static int ikt_nl_open(struct gsa_nl *nl)
{
	int id = ikt_genl_family();

	if (id < 0)
		return -1;
	return errno_ret(gsa_open_id(nl, id));
}

int ikt_get_netns(struct gsa_netns *info)
{
	struct gsa_nl nl;
	int ret;

	memset(info, 0, sizeof(*info));
	if (ikt_nl_open(&nl))
		return -1;
	ret = gsa_get_netns(&nl, info);
	gsa_close(&nl);
	return errno_ret(ret);
}

int ikt_set_limits(uint32_t rx, uint32_t tx)
{
	struct gsa_nl nl;
	int ret;

	if (ikt_nl_open(&nl))
		return -1;
	ret = gsa_set_limits(&nl, rx, tx, NULL);
	gsa_close(&nl);
	return errno_ret(ret);
}

int ikt_get_socket(uint64_t inode, struct gsa_sock *info, bool *found)
{
	struct gsa_sock s;
	struct gsa_nl nl;
	int ret;

	*found = false;
	if (ikt_nl_open(&nl))
		return -1;
	ret = gsa_get_sock(&nl, inode, &s, found);
	gsa_close(&nl);
	if (*found)
		*info = s;
	return errno_ret(ret);
}

uint64_t ikt_counter(enum iketcp_counter c)
{
	struct gsa_netns info;

	if (ikt_get_netns(&info))
		return UINT64_MAX;
	return info.cnt[c];
}

uint64_t ikt_fd_inode(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return 0;
	return st.st_ino;
}
