// SPDX-License-Identifier: GPL-2.0
/*
 * Socket side of the generic netlink client: everything that needs a real
 * kernel lives here, the message bytes are in nlmsg.c.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include "genl.h"

/* A dump datagram holds up to 32 KiB (the kernel's dump size); margin. */
#define IK_RECV_SIZE (64 * 1024)

static int fail(struct ik_nlerr *e, int err)
{
	e->err = err;
	e->msg[0] = '\0';
	return err;
}

int ik_genl_run(struct ik_genl *g, struct nlmsghdr *req, ik_msg_cb cb,
		void *data, struct ik_nlerr *e)
{
	static char buf[IK_RECV_SIZE];
	ssize_t n;
	int r;

	req->nlmsg_seq = ++g->seq;
	if (mnl_socket_sendto(g->nl, req, req->nlmsg_len) < 0)
		return fail(e, -errno);
	do {
		n = mnl_socket_recvfrom(g->nl, buf, sizeof(buf));
		if (n < 0)
			return fail(e, -errno);
		r = ik_walk_reply(buf, (size_t)n, g->seq, cb, data, e);
	} while (r > 0);
	return r;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return ik_parse_family(nlh, data);
}

/* Extended ACKs give the kernel's reason; capped ACKs keep them short. */
static void ask_for_extack(struct ik_genl *g)
{
	int one = 1;

	mnl_socket_setsockopt(g->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(g->nl, NETLINK_CAP_ACK, &one, sizeof(one));
}

int ik_genl_open(struct ik_genl *g, struct ik_nlerr *e, bool *lookup)
{
	char req[IK_REQ_SIZE];
	int r;

	memset(g, 0, sizeof(*g));
	*lookup = false;
	g->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!g->nl)
		return fail(e, -errno);
	if (mnl_socket_bind(g->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = fail(e, -errno);
		ik_genl_close(g);
		return r;
	}
	ask_for_extack(g);
	g->portid = mnl_socket_get_portid(g->nl);
	g->seq = (uint32_t)time(NULL);
	*lookup = true;
	r = ik_genl_run(g, ik_req_getfamily(req, 0), family_cb, &g->family, e);
	if (r == 0 && !g->family)
		r = fail(e, -ENOENT);
	if (r < 0)
		ik_genl_close(g);
	return r;
}

void ik_genl_close(struct ik_genl *g)
{
	if (g->nl)
		mnl_socket_close(g->nl);
	g->nl = NULL;
}
