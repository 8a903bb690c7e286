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
 *    It is also how iketcp hands TCP the pages of an IKE record without a
 *    copy: tcp_sendpage_locked() per page there, one tcp_sendmsg_locked()
 *    with MSG_SPLICE_PAGES over all of them on later kernels.  There that
 *    costs a fragment per 4 KiB page (iov_iter_extract_pages() splits the
 *    bio_vecs), where sendpage takes a compound page whole: so there TCP
 *    copies large messages, and legacy ones (no header of ours), from the
 *    caller instead (IKETCP_TX_COPY_LARGE).
 */
#ifndef IKETCP_COMPAT_H
#define IKETCP_COMPAT_H

#include <linux/bvec.h>
#include <linux/net.h>
#include <linux/skbuff.h>
#include <linux/socket.h>
#include <net/tcp.h>

#include "../include/uapi/linux/iketcp.h"

#ifdef IKETCP_HAVE_SENDPAGE
/*
 * Not sock_no_sendpage(): that one falls back to sendmsg(), which would
 * take the file's bytes as an IKE message (the UAPI promises EOPNOTSUPP).
 */
static inline ssize_t iketcp_compat_no_sendpage(struct socket *sock,
						struct page *page, int offset,
						size_t size, int flags)
{
	return -EOPNOTSUPP;
}

static inline void iketcp_compat_refuse_sendpage(struct proto_ops *ops)
{
	ops->sendpage = iketcp_compat_no_sendpage;
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

#ifdef IKETCP_HAVE_SENDPAGE
#define IKETCP_TX_COPY_LARGE	0
#else
#define IKETCP_TX_COPY_LARGE	1
#endif

/*
 * tx.c builds an IKE record in page fragments of at least a page each (but
 * the last), so the largest record has this many.
 */
#define IKETCP_TX_MAX_FRAGS	DIV_ROUND_UP(IKETCP_MAX_RECORD, PAGE_SIZE)

/*
 * Give TCP n pages (a record's, from tx.c) without copying them; returns
 * the bytes TCP took or an error, as tcp_sendmsg_locked() does.  All but the
 * last page go with MSG_MORE, so TCP sends full segments, not one per page.
 * Socket locked.
 */
#ifdef IKETCP_HAVE_SENDPAGE
static inline int iketcp_compat_send_pages(struct sock *sk,
					   const struct bio_vec *bv, int n,
					   u32 len)
{
	int flags = MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE |
		    MSG_SENDPAGE_NOTLAST;
	int i, ret, sent = 0;

	for (i = 0; i < n; i++) {
		if (i + 1 == n)
			flags &= ~(MSG_MORE | MSG_SENDPAGE_NOTLAST);
		ret = tcp_sendpage_locked(sk, bv[i].bv_page, bv[i].bv_offset,
					  bv[i].bv_len, flags);
		if (ret <= 0)
			return sent ? sent : ret;
		sent += ret;
		if (ret < bv[i].bv_len)
			break;
	}
	return sent;
}
#else
static inline int iketcp_compat_send_pages(struct sock *sk,
					   const struct bio_vec *bv, int n,
					   u32 len)
{
	struct msghdr msg = {
		.msg_flags = MSG_SPLICE_PAGES | MSG_DONTWAIT | MSG_NOSIGNAL,
	};

	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, bv, n, len);
	return tcp_sendmsg_locked(sk, &msg, len);
}
#endif

#endif /* IKETCP_COMPAT_H */
