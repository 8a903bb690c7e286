/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IKETCP_NETLINK_H
#define IKETCP_NETLINK_H

int iketcp_genl_init(void);
void iketcp_genl_exit(void);

#endif /* IKETCP_NETLINK_H */
