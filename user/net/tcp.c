// SPDX-License-Identifier: GPL-2.0
/*
 * IKE over TCP (RFC 9329) through the iketcp ULP: see tcp.h.  Called from
 * the daemon's loop only.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/tcp.h"
#include "net/udp.h"
#include "uapi/linux/iketcp.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

#define IK_TCP_BACKLOG		64
#define IK_TCP_SEND_WAIT_MS	1000	/* a full send queue, at most */

static socklen_t ss_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					   sizeof(struct sockaddr_in);
}

static int fail(char *err, size_t errlen, const char *step, int rc)
{
	snprintf(err, errlen, "TCP %s: %s", step, strerror(-rc));
	return rc;
}

static int listen_one(int family, uint16_t port, int *fdp, char *err,
		      size_t errlen)
{
	struct sockaddr_storage ss = { .ss_family = family };
	int fd, one = 1, rc;

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno == EAFNOSUPPORT ? -EAFNOSUPPORT :
			fail(err, errlen, "socket", -errno);
	if (family == AF_INET6) {
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	} else {
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	rc = ik_bypass_policies(fd, family);
	if (rc) {
		close(fd);
		return fail(err, errlen, "IPsec policy bypass", rc);
	}
	if (bind(fd, (struct sockaddr *)&ss, ss_len(&ss)) ||
	    listen(fd, IK_TCP_BACKLOG)) {
		rc = -errno;
		close(fd);
		snprintf(err, errlen, "TCP port %u (%s): %s", port,
			 family == AF_INET6 ? "IPv6" : "IPv4", strerror(-rc));
		return rc;
	}
	*fdp = fd;
	return 0;
}

int ik_tcp_listen(struct ik_tcp *t, uint16_t port, bool legacy, char *err,
		  size_t errlen)
{
	int *lfd = &t->lfd[legacy ? 2 : 0];
	int r4, r6;

	if (!legacy)
		t->port = port;
	r4 = listen_one(AF_INET, port, &lfd[0], err, errlen);
	if (r4 && r4 != -EAFNOSUPPORT)
		return r4;
	r6 = listen_one(AF_INET6, port, &lfd[1], err, errlen);
	if (r6 && r6 != -EAFNOSUPPORT)
		return r6;
	if (r4 && r6)
		return fail(err, errlen, "listen", -EAFNOSUPPORT);
	return 0;
}

static struct ik_tcp_conn *conn_new(struct ik_tcp *t, int fd, uint64_t now)
{
	struct ik_tcp_conn *c = calloc(1, sizeof(*c));
	struct stat st;

	if (!c)
		return NULL;
	c->fd = fd;
	c->created = c->last_active = now;
	if (!fstat(fd, &st))
		c->inode = st.st_ino;
	c->next = t->conns;
	t->conns = c;
	t->n_conns++;
	return c;
}

/*
 * Attach the ULP and set our role.  An acceptor whose peer's first bytes
 * were already queued has its role inferred by the module before we set
 * it (EBUSY): fine if the module inferred the same.
 */
static int attach(int fd, int role, bool legacy)
{
	socklen_t sl = sizeof(int);
	int now = IKETCP_ROLE_UNKNOWN;

	if (legacy)
		return setsockopt(fd, IPPROTO_TCP, TCP_ULP,
				  IKETCP_LEGACY_ULP_NAME,
				  sizeof(IKETCP_LEGACY_ULP_NAME)) ? -errno : 0;
	if (setsockopt(fd, IPPROTO_TCP, TCP_ULP, IKETCP_ULP_NAME,
		       sizeof(IKETCP_ULP_NAME)))
		return -errno;
	if (!setsockopt(fd, SOL_IKETCP, IKETCP_ROLE, &role, sizeof(role)))
		return 0;
	if (errno != EBUSY)
		return -errno;
	if (getsockopt(fd, SOL_IKETCP, IKETCP_ROLE, &now, &sl) || now != role)
		return -EBUSY;
	return 0;
}

static void addrs_of(struct ik_tcp_conn *c)
{
	socklen_t sl = sizeof(c->local);

	getsockname(c->fd, (struct sockaddr *)&c->local, &sl);
	sl = sizeof(c->remote);
	getpeername(c->fd, (struct sockaddr *)&c->remote, &sl);
}

struct ik_tcp_conn *ik_tcp_accept(struct ik_tcp *t, int i, uint64_t now,
				  char *err, size_t errlen)
{
	struct ik_tcp_conn *c;
	int fd, rc;

	err[0] = '\0';
	fd = accept4(t->lfd[i], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			fail(err, errlen, "accept", -errno);
		return NULL;
	}
	rc = ik_bypass_policies(fd, i % 2 ? AF_INET6 : AF_INET);
	if (!rc)
		rc = attach(fd, IKETCP_ROLE_ACCEPTOR, i >= 2);
	if (rc) {
		fail(err, errlen, rc == -ENOENT ? "iketcp ULP (is the iketcp "
		     "module loaded?)" : "iketcp ULP", rc);
		close(fd);
		return NULL;
	}
	c = conn_new(t, fd, now);
	if (!c) {
		close(fd);
		fail(err, errlen, "accept", -ENOMEM);
		return NULL;
	}
	c->legacy = i >= 2;
	addrs_of(c);
	return c;
}

struct ik_tcp_conn *ik_tcp_connect(struct ik_tcp *t,
				   const struct sockaddr_storage *local,
				   const struct sockaddr_storage *remote,
				   bool legacy, uint64_t now, char *err,
				   size_t errlen)
{
	struct sockaddr_storage from = *local;
	struct ik_tcp_conn *c;
	int fd, rc;

	fd = socket(remote->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fail(err, errlen, "socket", -errno);
		return NULL;
	}
	if (from.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&from)->sin6_port = 0;
	else
		((struct sockaddr_in *)&from)->sin_port = 0;
	rc = ik_bypass_policies(fd, remote->ss_family);
	if (rc) {
		fail(err, errlen, "IPsec policy bypass", rc);
		goto out;
	}
	if (from.ss_family == remote->ss_family &&
	    bind(fd, (struct sockaddr *)&from, ss_len(&from))) {
		rc = fail(err, errlen, "bind", -errno);
		goto out;
	}
	if (connect(fd, (const struct sockaddr *)remote, ss_len(remote)) &&
	    errno != EINPROGRESS) {
		rc = fail(err, errlen, "connect", -errno);
		goto out;
	}
	c = conn_new(t, fd, now);
	if (!c) {
		fail(err, errlen, "connect", -ENOMEM);
		goto out;
	}
	c->originator = true;
	c->connecting = true;
	c->legacy = legacy;
	addrs_of(c);
	c->remote = *remote;
	return c;
out:
	close(fd);
	return NULL;
}

int ik_tcp_connected(struct ik_tcp_conn *c, char *err, size_t errlen)
{
	socklen_t sl = sizeof(int);
	int soerr = 0, rc;

	c->connecting = false;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) || soerr) {
		rc = fail(err, errlen, "connect", soerr ? -soerr : -errno);
		ik_tcp_shut(c);
		return rc;
	}
	rc = attach(c->fd, IKETCP_ROLE_ORIGINATOR, c->legacy);
	if (rc) {
		fail(err, errlen, rc == -ENOENT ? "iketcp ULP (is the iketcp "
		     "module loaded?)" : "iketcp ULP", rc);
		ik_tcp_shut(c);
		return rc;
	}
	addrs_of(c);
	return 0;
}

int ik_tcp_send(struct ik_tcp_conn *c, const uint8_t *msg, size_t len)
{
	struct pollfd p = { .fd = c->fd, .events = POLLOUT };
	int tries = 2;

	if (c->dead || c->connecting)
		return -ENOTCONN;
	while (tries--) {
		if (send(c->fd, msg, len, MSG_NOSIGNAL) == (ssize_t)len)
			return 0;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		/* the module takes a message whole or not at all: wait a
		 * little for room rather than lose an IKE message */
		if (poll(&p, 1, IK_TCP_SEND_WAIT_MS) <= 0)
			break;
	}
	return -EAGAIN;
}

ssize_t ik_tcp_recv(struct ik_tcp_conn *c, uint8_t *buf, size_t cap)
{
	ssize_t n;

	if (c->dead)
		return 0;
	n = recv(c->fd, buf, cap, MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	return n;
}

void ik_tcp_half_close(struct ik_tcp_conn *c)
{
	if (!c->dead && !c->half_closed && !shutdown(c->fd, SHUT_WR))
		c->half_closed = true;
}

void ik_tcp_shut(struct ik_tcp_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->dead = true;
	c->connecting = false;
}

void ik_tcp_reap(struct ik_tcp *t)
{
	struct ik_tcp_conn **pp = &t->conns, *c;

	while ((c = *pp)) {
		if (!c->dead) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		t->n_conns--;
		free(c);
	}
}

void ik_tcp_close_all(struct ik_tcp *t)
{
	struct ik_tcp_conn *c;
	int i;

	for (c = t->conns; c; c = c->next)
		ik_tcp_shut(c);
	ik_tcp_reap(t);
	for (i = 0; i < IK_TCP_LISTENERS; i++) {
		if (t->lfd[i] >= 0)
			close(t->lfd[i]);
		t->lfd[i] = -1;
	}
}
