/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A netlink socket talking to the "iketcp" generic netlink family: open it
 * (resolving the family id), run one request to completion, close it.
 */
#ifndef IKETCPD_GENL_H
#define IKETCPD_GENL_H

#include <stdbool.h>
#include <libmnl/libmnl.h>

#include "nlmsg.h"

struct ik_genl {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;
};

/*
 * Opens the socket and looks the family up.  On failure returns a negative
 * errno with *e filled; *lookup tells whether the family lookup failed
 * (ENOENT there means the module is not loaded).
 */
int ik_genl_open(struct ik_genl *g, struct ik_nlerr *e, bool *lookup);

/* Sends req (its seq is set here) and feeds every reply message to cb. */
int ik_genl_run(struct ik_genl *g, struct nlmsghdr *req, ik_msg_cb cb,
		void *data, struct ik_nlerr *e);

void ik_genl_close(struct ik_genl *g);

#endif
