/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Named helpers for the kernel API differences between the series iketcp
 * builds against (Debian's 6.1 and 6.12).  Every version test lives here.
 *
 *  - sendpage: 6.1 has proto_ops.sendpage (sendfile() and splice() into a
 *    socket go through it); 6.5 removed it and routes them through sendmsg()
 *    with MSG_SPLICE_PAGES.  Either way a raw page write would bypass the
 *    record framing, so iketcp refuses it.
 */
#ifndef IKETCP_COMPAT_H
#define IKETCP_COMPAT_H

#include <linux/version.h>
#include <linux/net.h>
#include <linux/socket.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
static inline void iketcp_compat_refuse_sendpage(struct proto_ops *ops)
{
	ops->sendpage = sock_no_sendpage;
}
#else
static inline void iketcp_compat_refuse_sendpage(struct proto_ops *ops)
{
}
#endif

#ifdef MSG_SPLICE_PAGES
#define IKETCP_MSG_SPLICE_PAGES MSG_SPLICE_PAGES
#else
#define IKETCP_MSG_SPLICE_PAGES 0
#endif

#endif /* IKETCP_COMPAT_H */
