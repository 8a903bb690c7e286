/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IKETCP_NETLINK_H
#define IKETCP_NETLINK_H

#include <linux/types.h>
#include "../include/uapi/linux/iketcp.h"

struct iketcp_sock;

void iketcp_genl_event(struct iketcp_sock *ctx, enum iketcp_event ev, u8 dir,
		       __be32 spi);
int iketcp_genl_init(void);
void iketcp_genl_exit(void);

#endif /* IKETCP_NETLINK_H */
