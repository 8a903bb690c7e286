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
 *    with MSG_SPLICE_PAGES over all of them on later kernels.
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

/*
 * tx.c builds an IKE record in page fragments of at least a page each (but
 * the last), so the largest record has this many.
 */
#define IKETCP_TX_MAX_FRAGS	DIV_ROUND_UP(IKETCP_MAX_RECORD, PAGE_SIZE)

/*
 * Give TCP the page fragments of skb from byte off on, without copying them;
 * returns the bytes TCP took or an error, as tcp_sendmsg_locked() does.  The
 * skb has no linear data (tx.c builds IKE records in pages).  All but the
 * last page go with MSG_MORE, so TCP sends full segments, not one per page.
 * Socket locked.
 */
#ifdef IKETCP_HAVE_SENDPAGE
static inline int iketcp_compat_send_frags(struct sock *sk,
					   struct sk_buff *skb, u32 off)
{
	int flags = MSG_DONTWAIT | MSG_NOSIGNAL;
	int i, ret, sent = 0;

	for (i = 0; i < skb_shinfo(skb)->nr_frags; i++) {
		skb_frag_t *frag = &skb_shinfo(skb)->frags[i];
		u32 size = skb_frag_size(frag);

		if (off >= size) {
			off -= size;
			continue;
		}
		if (i + 1 < skb_shinfo(skb)->nr_frags)
			flags |= MSG_MORE | MSG_SENDPAGE_NOTLAST;
		else
			flags &= ~(MSG_MORE | MSG_SENDPAGE_NOTLAST);
		ret = tcp_sendpage_locked(sk, skb_frag_page(frag),
					  skb_frag_off(frag) + off,
					  size - off, flags);
		if (ret <= 0)
			return sent ? sent : ret;
		sent += ret;
		if (ret < size - off)
			break;
		off = 0;
	}
	return sent;
}
#else
static inline int iketcp_compat_send_frags(struct sock *sk,
					   struct sk_buff *skb, u32 off)
{
	struct bio_vec bvec[IKETCP_TX_MAX_FRAGS];
	struct msghdr msg = {
		.msg_flags = MSG_SPLICE_PAGES | MSG_DONTWAIT | MSG_NOSIGNAL,
	};
	u32 len = 0;
	int i, n = 0;

	for (i = 0; i < skb_shinfo(skb)->nr_frags && n < ARRAY_SIZE(bvec);
	     i++) {
		skb_frag_t *frag = &skb_shinfo(skb)->frags[i];
		u32 size = skb_frag_size(frag);

		if (off >= size) {
			off -= size;
			continue;
		}
		bvec_set_page(&bvec[n++], skb_frag_page(frag), size - off,
			      skb_frag_off(frag) + off);
		len += size - off;
		off = 0;
	}
	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, bvec, n, len);
	return tcp_sendmsg_locked(sk, &msg, len);
}
#endif

#endif /* IKETCP_COMPAT_H */
