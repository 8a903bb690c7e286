/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Named helpers for the kernel API differences between the series iketcp
 * builds against (Debian's 6.1 and 6.12).  The differences are detected from
 * the headers by kernel/Kbuild (feature tests, not version numbers, so a
 * distribution backport is handled too), and every use lives here.
 *
 *  - IKETCP_HAVE_SENDPAGE: proto_ops.sendpage exists (6.1; removed in 6.5).
 *    sendfile() and splice() into a socket go through it there; later
 *    kernels route them through sendmsg() with MSG_SPLICE_PAGES.  Either way
 *    a raw page write would bypass the record framing: iketcp refuses it.
 */
#ifndef IKETCP_COMPAT_H
#define IKETCP_COMPAT_H

#include <linux/net.h>
#include <linux/socket.h>

#ifdef IKETCP_HAVE_SENDPAGE
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
