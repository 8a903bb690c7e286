// SPDX-License-Identifier: GPL-2.0
/*
 * Send side: whole records into the TCP stream, in order, never interleaved.
 *
 * Records (the stream prefix, an IKE message with its header, an ESP packet
 * with its length) wait whole on txq, and the pusher hands them to TCP,
 * head first; when TCP takes part of a record, tx_off remembers where to go
 * on, and nothing else can be written before the rest of it.  An IKE
 * message with nothing queued ahead skips the queue: sendmsg() gives it to
 * TCP itself, and queues at the head whatever TCP did not take (README,
 * "Send paths").  So a send() either sends or queues its whole message, or
 * nothing, and records never interleave, whatever TCP's buffer does.
 *
 * Context: sendmsg and the pusher run in process context under lock_sock();
 * the write_space callback runs in softirq or process context under the
 * socket lock and only schedules the work item (pushing may sleep).  txq,
 * tx_queued and tx_mem are protected by txq.lock (BH-safe), because ESP
 * records are appended from the netfilter hook in any context.
 */
#include <linux/skbuff.h>
#include <net/tcp.h>

#include "compat.h"
#include "netlink.h"
#include "netns.h"
#include "socket.h"
#include "tx.h"
#include "ulp.h"

/* The largest IKE record fits an skb's fragment array (see compat.h). */
static_assert(IKETCP_TX_MAX_FRAGS <= MAX_SKB_FRAGS);
static_assert(IKETCP_LEGACY_MAX_MSG <= IKETCP_MAX_RECORD);

static u32 iketcp_tx_limit(const struct iketcp_sock *ctx)
{
	return READ_ONCE(ctx->in->tx_queue_limit);
}

/*
 * What a queued record of len bytes costs against tx_queue_limit: its
 * truesize, which the small ones exceed many times.  A queued IKE record
 * is an skb without a head of its own around its pages (iketcp_tx_rec_skb()).
 */
static u32 iketcp_tx_cost(u32 len)
{
	return SKB_TRUESIZE(0) + len;
}

/* A record costing mem fits: the queue is empty or stays under the limit. */
static bool iketcp_tx_room(const struct iketcp_sock *ctx, u32 mem)
{
	u32 queued = READ_ONCE(ctx->tx_mem);

	return !queued || queued + mem <= iketcp_tx_limit(ctx);
}

bool iketcp_tx_writable(struct iketcp_sock *ctx)
{
	struct sock *sk = ctx->sk;

	if (READ_ONCE(sk->sk_err) ||
	    (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN))
		return true;	/* send() fails at once */
	return iketcp_tx_room(ctx, iketcp_tx_cost(IKETCP_PREFIX_LEN +
						  IKETCP_MAX_RECORD));
}

/* Count a record in, at the head or the tail.  txq.lock held. */
static void __iketcp_tx_add(struct iketcp_sock *ctx, struct sk_buff *skb,
			    bool head)
{
	IKETCP_SKB_CB(skb)->charge = skb->truesize;
	if (head)
		__skb_queue_head(&ctx->txq, skb);
	else
		__skb_queue_tail(&ctx->txq, skb);
	WRITE_ONCE(ctx->tx_queued, ctx->tx_queued + skb->len);
	WRITE_ONCE(ctx->tx_mem, ctx->tx_mem + skb->truesize);
}

/* Count a record out.  txq.lock held. */
static void __iketcp_tx_del(struct iketcp_sock *ctx, struct sk_buff *skb)
{
	__skb_unlink(skb, &ctx->txq);
	WRITE_ONCE(ctx->tx_queued, ctx->tx_queued - skb->len);
	WRITE_ONCE(ctx->tx_mem, ctx->tx_mem - IKETCP_SKB_CB(skb)->charge);
}

static void iketcp_tx_enqueue(struct iketcp_sock *ctx, struct sk_buff *skb)
{
	spin_lock_bh(&ctx->txq.lock);
	__iketcp_tx_add(ctx, skb, false);
	spin_unlock_bh(&ctx->txq.lock);
}

/*
 * Queue an ESP record from the output hook (any context).  Dropped and
 * counted when the socket is closing or gone, or the queue is full.  The
 * work item is scheduled under txq.lock, so close (which sets closing under
 * it, then cancels the work) cannot miss it.
 */
void iketcp_tx_queue_esp(struct iketcp_sock *ctx, struct sk_buff *skb)
{
	struct sock *sk;

	spin_lock_bh(&ctx->txq.lock);
	if (ctx->closing || ctx->tx_dead) {
		spin_unlock_bh(&ctx->txq.lock);
		iketcp_netns_count(ctx->in, IKETCP_CNT_TX_DROP_ESP_NO_SOCKET);
		kfree_skb(skb);
		return;
	}
	if (!iketcp_tx_room(ctx, skb->truesize)) {
		/*
		 * The event names the socket after txq.lock is dropped: hold
		 * it, since close may run meanwhile (RCU keeps ctx, but a TCP
		 * socket's memory may be reused at once).  Not closing yet, so
		 * the socket is alive here.
		 */
		sk = ctx->sk;
		sock_hold(sk);
		spin_unlock_bh(&ctx->txq.lock);
		iketcp_count(ctx, IKETCP_CNT_TX_DROP_ESP_QUEUE_FULL);
		iketcp_genl_event(ctx, IKETCP_EVENT_QUEUE_FULL, IKETCP_DIR_OUT,
				  0);
		sock_put(sk);
		kfree_skb(skb);
		return;
	}
	__iketcp_tx_add(ctx, skb, false);
	iketcp_schedule_work(ctx, IKETCP_WORK_TX);
	spin_unlock_bh(&ctx->txq.lock);
}

/* Queue the RFC 9329 stream prefix; the originator's first record. */
int iketcp_tx_queue_prefix(struct iketcp_sock *ctx)
{
	struct sk_buff *skb;

	skb = alloc_skb(IKETCP_PREFIX_LEN, ctx->sk->sk_allocation);
	if (!skb)
		return -ENOMEM;
	skb_put_data(skb, IKETCP_PREFIX, IKETCP_PREFIX_LEN);
	IKETCP_SKB_CB(skb)->kind = IKETCP_TX_PREFIX;
	IKETCP_SKB_CB(skb)->offset = IKETCP_PREFIX_LEN;
	IKETCP_SKB_CB(skb)->skmem = 0;
	iketcp_tx_enqueue(ctx, skb);
	return 0;
}

static void iketcp_tx_wake(struct iketcp_sock *ctx)
{
	struct sock *sk = ctx->sk;
	struct socket_wq *wq;

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, EPOLLOUT | EPOLLWRNORM |
						      EPOLLWRBAND);
	if (wq && wq->fasync_list && !(sk->sk_shutdown & SEND_SHUTDOWN))
		sock_wake_async(wq, SOCK_WAKE_SPACE, POLL_OUT);
	rcu_read_unlock();
}

static void iketcp_tx_count_ike(struct iketcp_sock *ctx, u32 len)
{
	iketcp_count(ctx, IKETCP_CNT_TX_IKE_MSGS);
	iketcp_count_add(ctx, IKETCP_CNT_TX_IKE_BYTES, len);
}

static void iketcp_tx_count_sent(struct iketcp_sock *ctx, struct sk_buff *skb)
{
	u32 len = skb->len - IKETCP_SKB_CB(skb)->offset;

	switch (IKETCP_SKB_CB(skb)->kind) {
	case IKETCP_TX_IKE:
		iketcp_tx_count_ike(ctx, len);
		break;
	case IKETCP_TX_ESP:
		iketcp_count(ctx, IKETCP_CNT_TX_ESP_PKTS);
		iketcp_count_add(ctx, IKETCP_CNT_TX_ESP_BYTES, len);
		break;
	}
}

/* Drop every queued record, counting each as tx_drop_close. */
static void iketcp_tx_purge(struct iketcp_sock *ctx)
{
	struct sk_buff_head list;
	struct sk_buff *skb;

	__skb_queue_head_init(&list);
	spin_lock_bh(&ctx->txq.lock);
	skb_queue_splice_init(&ctx->txq, &list);
	WRITE_ONCE(ctx->tx_queued, 0);
	WRITE_ONCE(ctx->tx_mem, 0);
	spin_unlock_bh(&ctx->txq.lock);
	ctx->tx_off = 0;
	while ((skb = __skb_dequeue(&list))) {
		if (IKETCP_SKB_CB(skb)->kind != IKETCP_TX_PREFIX)
			iketcp_count(ctx, IKETCP_CNT_TX_DROP_CLOSE);
		iketcp_skmem_uncharge(ctx->sk, skb);
		kfree_skb(skb);
	}
}

static void iketcp_tx_finish_shutdown(struct iketcp_sock *ctx)
{
	struct sock *sk = ctx->sk;

	ctx->shutdown_pending = false;
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | SEND_SHUTDOWN);
	ctx->base_prot->shutdown(sk, SEND_SHUTDOWN);
}

/*
 * Hand the page fragments of a queued record, from offset off of the first,
 * to TCP.  Socket locked.
 */
static int iketcp_tx_send_frags(struct sock *sk, struct sk_buff *skb, u32 off)
{
	struct bio_vec bv[MAX_SKB_FRAGS];
	u32 len = 0;
	int i, n = 0;

	for (i = 0; i < skb_shinfo(skb)->nr_frags && n < ARRAY_SIZE(bv);
	     i++) {
		const skb_frag_t *frag = &skb_shinfo(skb)->frags[i];
		u32 size = skb_frag_size(frag);

		if (off >= size) {
			off -= size;
			continue;
		}
		bv[n].bv_page = skb_frag_page(frag);
		bv[n].bv_offset = skb_frag_off(frag) + off;
		bv[n].bv_len = size - off;
		len += size - off;
		n++;
		off = 0;
	}
	return iketcp_compat_send_pages(sk, bv, n, len);
}

/*
 * Hand the rest of a queued record (a linear head, if any, then page
 * fragments; never a frag list), from off, to TCP.  Like
 * skb_send_sock_locked(), but with MSG_NOSIGNAL: the pusher runs in
 * whichever process holds the socket (close, shutdown, setsockopt, the
 * work item), and none of them may get a SIGPIPE for it.  Socket locked.
 */
static int iketcp_tx_send_skb(struct sock *sk, struct sk_buff *skb, u32 off)
{
	u32 head = skb_headlen(skb);
	int sent = 0, ret;

	if (off < head) {
		struct msghdr msg = {
			.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL |
				     (skb->data_len ? MSG_MORE : 0),
		};
		struct kvec kv = {
			.iov_base = skb->data + off,
			.iov_len = head - off,
		};

		iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, &kv, 1, kv.iov_len);
		sent = tcp_sendmsg_locked(sk, &msg, kv.iov_len);
		if (sent < (int)kv.iov_len || !skb->data_len)
			return sent;
		off = head;
	}
	ret = iketcp_tx_send_frags(sk, skb, off - head);
	if (ret <= 0)
		return sent ?: ret;
	return sent + ret;
}

/*
 * The connection cannot take records any more.  Checked before each TCP
 * call: on a broken connection tcp_sendmsg_locked() would consume sk_err
 * (sk_stream_error()), and a later recv() would then see EOF, not the
 * error.  Under the socket lock sk_err only changes when TCP processes the
 * backlog, inside its own calls.
 */
static bool iketcp_tx_broken(const struct iketcp_sock *ctx)
{
	const struct sock *sk = ctx->sk;

	return ctx->tx_dead || sk->sk_err ||
	       ((sk->sk_shutdown & SEND_SHUTDOWN) && !ctx->shutdown_pending) ||
	       !((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT));
}

/* Hand queued records to TCP until it is full.  Socket locked. */
void iketcp_tx_push(struct iketcp_sock *ctx)
{
	struct sock *sk = ctx->sk;
	struct sk_buff *skb;
	bool sent = false;
	int ret;

	for (;;) {
		spin_lock_bh(&ctx->txq.lock);
		skb = skb_peek(&ctx->txq);
		spin_unlock_bh(&ctx->txq.lock);
		if (!skb)
			break;
		ret = iketcp_tx_broken(ctx) ? -EPIPE :
		      iketcp_tx_send_skb(sk, skb, ctx->tx_off);
		if (ret == -EAGAIN || ret == 0)
			break;	/* write_space will call us again */
		if (ret < 0) {
			/* Broken: sk_err, left in place, tells the daemon. */
			iketcp_tx_purge(ctx);
			break;
		}
		ctx->tx_off += ret;
		if (ctx->tx_off < skb->len)
			break;
		ctx->tx_off = 0;
		spin_lock_bh(&ctx->txq.lock);
		__iketcp_tx_del(ctx, skb);
		spin_unlock_bh(&ctx->txq.lock);
		iketcp_skmem_uncharge(sk, skb);
		iketcp_tx_count_sent(ctx, skb);
		consume_skb(skb);
		sent = true;
	}
	if (ctx->shutdown_pending && skb_queue_empty_lockless(&ctx->txq))
		iketcp_tx_finish_shutdown(ctx);
	if (sent)
		iketcp_tx_wake(ctx);
}

void iketcp_write_space(struct sock *sk)
{
	struct iketcp_sock *ctx = iketcp_sk(sk);

	if (!skb_queue_empty_lockless(&ctx->txq))
		iketcp_schedule_work(ctx, IKETCP_WORK_TX);
}

/* An IKE record being sent: its pages, one reference each, in order. */
struct iketcp_tx_rec {
	struct bio_vec bv[IKETCP_TX_MAX_FRAGS];
	int n;
	u32 len;	/* header and message */
	u32 hlen;	/* header */
};

static void iketcp_tx_rec_put(struct iketcp_tx_rec *rec)
{
	while (rec->n)
		put_page(rec->bv[--rec->n].bv_page);
}

/*
 * Fill rec with hlen bytes of hdr, then size bytes from the caller.  The
 * pages come from pfrag, as TCP's own sendmsg() takes them, so small
 * messages share a page, and TCP can take the pages as they are.
 */
static int iketcp_tx_fill(struct iketcp_tx_rec *rec, struct page_frag *pfrag,
			  const u8 *hdr, u32 hlen, struct iov_iter *from,
			  u32 size, gfp_t gfp)
{
	u32 left = hlen + size;

	while (left) {
		struct bio_vec *bv = &rec->bv[rec->n];
		u32 c, h;
		u8 *dst;

		/* At least a page or the rest: see IKETCP_TX_MAX_FRAGS. */
		if (rec->n == IKETCP_TX_MAX_FRAGS ||
		    !skb_page_frag_refill(min_t(u32, left, PAGE_SIZE), pfrag,
					  gfp))
			return -ENOBUFS;
		c = min(left, pfrag->size - pfrag->offset);
		dst = page_address(pfrag->page) + pfrag->offset;
		h = min(c, hlen);
		memcpy(dst, hdr, h);
		hdr += h;
		hlen -= h;
		if (c > h && !copy_from_iter_full(dst + h, c - h, from))
			return -EFAULT;
		get_page(pfrag->page);
		bv->bv_page = pfrag->page;
		bv->bv_offset = pfrag->offset;
		bv->bv_len = c;
		rec->n++;
		rec->len += c;
		pfrag->offset += c;
		left -= c;
	}
	return 0;
}

/*
 * Copy hlen bytes of hdr, then size bytes from an iterator, into a record.
 * The pages come from the task's page_frag, as in TCP: this runs in the
 * sender's process context, and current's task_frag belongs to no one
 * else.  A socket that may not use it (one used for memory reclaim, see
 * sk_page_frag()) gets fresh pages.
 */
static int iketcp_tx_build(struct iketcp_sock *ctx, const u8 *hdr, u32 hlen,
			   struct iov_iter *from, u32 size,
			   struct iketcp_tx_rec *rec, gfp_t gfp)
{
	struct page_frag own = {}, *pfrag;
	int err;

	rec->n = 0;
	rec->len = 0;
	rec->hlen = hlen;
	pfrag = sk_page_frag(ctx->sk);
	if (pfrag != &current->task_frag)
		pfrag = &own;
	err = iketcp_tx_fill(rec, pfrag, hdr, hlen, from, size, gfp);
	if (own.page)
		put_page(own.page);
	if (err)
		iketcp_tx_rec_put(rec);
	return err;
}

/*
 * Copy one IKE message from the caller into a record, header included, and
 * check that the IKE header's own length is the message's: a peer would drop
 * the message anyway (rx_drop_ike_length), so tell the sender now.  Process
 * context, with or without the socket lock: copying from the caller may
 * fault and sleep.
 */
static int iketcp_tx_build_ike(struct iketcp_sock *ctx, struct msghdr *msg,
			       u32 size, struct iketcp_tx_rec *rec)
{
	u8 hdr[IKETCP_LEN_FIELD + IKETCP_MARKER_LEN];
	u32 hlen = iketcp_ike_header(ctx->framing, size, hdr);
	const u8 *ike;
	int err;

	err = iketcp_tx_build(ctx, hdr, hlen, &msg->msg_iter, size, rec,
			      ctx->sk->sk_allocation);
	if (err)
		return err;
	/* The first page holds a page's worth or all: the IKE header. */
	ike = page_address(rec->bv[0].bv_page) + rec->bv[0].bv_offset + hlen;
	if (iketcp_get_be32(ike + IKE_HDR_LEN_OFFSET) != size) {
		iketcp_tx_rec_put(rec);
		return -EINVAL;
	}
	return 0;
}

/* A queued record: the skb takes over rec's pages and their references. */
static struct sk_buff *iketcp_tx_rec_skb(struct iketcp_tx_rec *rec, gfp_t gfp)
{
	struct sk_buff *skb = alloc_skb(0, gfp);
	int i;

	if (!skb)
		return NULL;
	for (i = 0; i < rec->n; i++)
		skb_fill_page_desc(skb, i, rec->bv[i].bv_page,
				   rec->bv[i].bv_offset, rec->bv[i].bv_len);
	rec->n = 0;
	skb->len = rec->len;
	skb->data_len = rec->len;
	skb->truesize += rec->len;
	IKETCP_SKB_CB(skb)->kind = IKETCP_TX_IKE;
	IKETCP_SKB_CB(skb)->offset = rec->hlen;
	IKETCP_SKB_CB(skb)->skmem = 0;
	return skb;
}

/*
 * A record may go straight to TCP, no skb of ours needed, when nothing is
 * queued ahead of it.  If TCP then takes only part of it (or none), the rest
 * must go to the head of the queue, and that skb must not fail to allocate:
 * part of the record may be in the stream.  So this is for sockets whose
 * allocations may sleep (all of a daemon's); others queue the record before
 * sending anything.
 */
static bool iketcp_tx_may_send_now(const struct iketcp_sock *ctx)
{
	return skb_queue_empty_lockless(&ctx->txq) &&
	       gfpflags_allow_blocking(ctx->sk->sk_allocation);
}

/*
 * TCP took sent bytes of rec (or failed: sent < 0): queue the rest at the
 * head, ahead of any ESP record the output hook appended meanwhile (those
 * came later), for the pusher.  Socket locked.
 */
static void iketcp_tx_queue_rest(struct iketcp_sock *ctx,
				 struct iketcp_tx_rec *rec, int sent)
{
	struct sk_buff *skb;

	skb = iketcp_tx_rec_skb(rec, ctx->sk->sk_allocation | __GFP_NOFAIL);
	/* Part of it may be in the stream: queued even if not charged. */
	iketcp_skmem_charge(ctx->sk, skb, false);
	ctx->tx_off = max(sent, 0);
	spin_lock_bh(&ctx->txq.lock);
	__iketcp_tx_add(ctx, skb, true);
	spin_unlock_bh(&ctx->txq.lock);
	if (sent < 0 && sent != -EAGAIN)
		iketcp_tx_push(ctx);	/* broken: it purges, counts */
}

/*
 * Send or queue a built IKE record.  Socket locked.  -ENOBUFS, with nothing
 * sent, when the socket's memory accounting refuses to hold it (socket.h).
 */
static int iketcp_tx_queue_ike(struct iketcp_sock *ctx,
			       struct iketcp_tx_rec *rec)
{
	struct sock *sk = ctx->sk;
	struct sk_buff *skb;
	int ret;

	if (iketcp_tx_may_send_now(ctx)) {
		ret = iketcp_compat_send_pages(sk, rec->bv, rec->n, rec->len);
		if (ret == rec->len) {
			iketcp_tx_count_ike(ctx, rec->len - rec->hlen);
			iketcp_tx_rec_put(rec);
			return 0;
		}
		/* Broken with nothing taken: the sender hears of it. */
		if (ret < 0 && ret != -EAGAIN)
			return ret;
		iketcp_tx_queue_rest(ctx, rec, ret);
		return 0;
	}
	skb = iketcp_tx_rec_skb(rec, sk->sk_allocation);
	if (!skb)
		return -ENOBUFS;
	if (!iketcp_skmem_charge(sk, skb, false)) {
		kfree_skb(skb);		/* and rec's pages with it */
		return -ENOBUFS;
	}
	iketcp_tx_enqueue(ctx, skb);
	iketcp_tx_push(ctx);
	return 0;
}

/*
 * From this size on, where handing TCP our pages costs a fragment per 4 KiB
 * page (IKETCP_TX_COPY_LARGE), TCP copies the message from the caller
 * itself: a second tcp_sendmsg_locked() for the header costs less than the
 * fragments, at every step from here to the peer's recvmsg().  Measured
 * with selftests/bench/profile.sh: README, "Send paths".
 */
#define IKETCP_TX_COPY_MIN	(20 * 1024)

/*
 * The IKE header's length field, read from the caller without consuming.
 * A send() or a one-vector sendmsg() is a plain user buffer (ITER_UBUF):
 * one get_user() where unaligned loads are fine (x86: 15 instructions, a
 * copy_from_user() of 4 bytes about 100), not an iterator copy.
 */
static int iketcp_tx_peek_ike_len(const struct iov_iter *from, u32 *len)
{
	__be32 v;

	if (iter_is_ubuf(from)) {
		const u8 __user *p = from->ubuf + from->iov_offset +
				     IKE_HDR_LEN_OFFSET;

		if (IS_ENABLED(CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS) ?
		    get_user(v, (const __be32 __user *)p) :
		    copy_from_user(&v, p, sizeof(v)))
			return -EFAULT;
	} else {
		struct iov_iter it = *from;

		iov_iter_advance(&it, IKE_HDR_LEN_OFFSET);
		if (copy_from_iter(&v, sizeof(v), &it) != sizeof(v))
			return -EFAULT;
	}
	*len = be32_to_cpu(v);
	return 0;
}

/*
 * Part of a record is in the stream and the rest is lost: nothing may
 * follow it.  Mark the socket dead at once (no more sends, no more ESP),
 * drop what is queued, and have the work item reset the connection
 * (tcp_abort() takes the socket lock itself).  Socket locked.
 */
static void iketcp_tx_kill(struct iketcp_sock *ctx)
{
	spin_lock_bh(&ctx->txq.lock);
	ctx->tx_dead = true;
	spin_unlock_bh(&ctx->txq.lock);
	iketcp_tx_purge(ctx);
	iketcp_schedule_work(ctx, IKETCP_WORK_ABORT);
}

/*
 * TCP took sent bytes of a record it was copying from the caller, msg_sent
 * of them from the message (maybe none).  Copy the whole record into pages
 * of ours and queue the rest.  If the caller's buffer can no longer be read
 * (another thread unmapped it), part of the record may be in the stream:
 * the connection ends.  Socket locked.
 */
static int iketcp_tx_queue_copied_rest(struct iketcp_sock *ctx,
				       struct msghdr *msg, const u8 *hdr,
				       u32 hlen, u32 size, int sent,
				       u32 msg_sent)
{
	gfp_t gfp = ctx->sk->sk_allocation | __GFP_NOFAIL;
	struct iketcp_tx_rec rec;
	int err;

	iov_iter_revert(&msg->msg_iter, msg_sent);
	err = iketcp_tx_build(ctx, hdr, hlen, &msg->msg_iter, size, &rec, gfp);
	if (err) {
		if (sent > 0)
			iketcp_tx_kill(ctx);
		return err;
	}
	iketcp_tx_queue_rest(ctx, &rec, sent);
	return 0;
}

/*
 * Send an IKE message as TCP's copy of the caller's buffer: the header (if
 * the framing has one) with MSG_MORE, then the message, so TCP fills its own
 * large fragments.
 * The buffer is faulted in first, so a message whose buffer is not all
 * readable fails with nothing sent.  Returns 1 when TCP took nothing (the
 * caller builds and queues the record instead), else 0 or an error.
 * Socket locked; sending now is allowed (iketcp_tx_may_send_now()).
 */
static int iketcp_tx_send_copied(struct iketcp_sock *ctx, struct msghdr *msg,
				 u32 size)
{
	struct msghdr hmsg = {
		.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL | MSG_MORE,
	};
	/* Only the caller's bytes: TCP must not see its flags or cmsgs. */
	struct msghdr tmsg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	u8 hdr[IKETCP_LEN_FIELD + IKETCP_MARKER_LEN];
	struct kvec kv = { .iov_base = hdr };
	struct sock *sk = ctx->sk;
	int hsent = 0, sent, err;
	u32 ike_len;

	if (fault_in_iov_iter_readable(&msg->msg_iter, size) ||
	    iketcp_tx_peek_ike_len(&msg->msg_iter, &ike_len))
		return -EFAULT;
	if (ike_len != size)
		return -EINVAL;
	kv.iov_len = iketcp_ike_header(ctx->framing, size, hdr);
	if (kv.iov_len) {
		iov_iter_kvec(&hmsg.msg_iter, ITER_SOURCE, &kv, 1, kv.iov_len);
		hsent = tcp_sendmsg_locked(sk, &hmsg, kv.iov_len);
		if (hsent <= 0)
			return 1;
		if (hsent < kv.iov_len)
			return iketcp_tx_queue_copied_rest(ctx, msg, hdr,
							   kv.iov_len, size,
							   hsent, 0);
	}
	tmsg.msg_iter = msg->msg_iter;
	sent = tcp_sendmsg_locked(sk, &tmsg, size);
	msg->msg_iter = tmsg.msg_iter;
	if (sent == size) {
		iketcp_tx_count_ike(ctx, size);
		return 0;
	}
	err = iketcp_tx_queue_copied_rest(ctx, msg, hdr, kv.iov_len, size,
					  hsent + max(sent, 0), max(sent, 0));
	if (!err && sent < 0 && sent != -EAGAIN)
		iketcp_tx_push(ctx);	/* broken: it purges, counts */
	return err;
}

/* Wait until a record of len bytes fits.  Socket locked. */
static int iketcp_tx_wait(struct iketcp_sock *ctx, u32 len, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sock *sk = ctx->sk;
	u32 mem = iketcp_tx_cost(len);
	bool counted = false;

	for (;;) {
		if (sk->sk_err)
			return sock_error(sk);
		if ((sk->sk_shutdown & SEND_SHUTDOWN) || ctx->shutdown_pending ||
		    ctx->tx_dead)
			return -EPIPE;
		if (!((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)))
			return -EPIPE;
		if (iketcp_tx_room(ctx, mem))
			return 0;
		if (!counted) {
			iketcp_count(ctx, IKETCP_CNT_TX_BACKPRESSURE);
			counted = true;
		}
		iketcp_tx_push(ctx);
		if (iketcp_tx_room(ctx, mem))
			return 0;
		if (!*timeo)
			return -EAGAIN;
		if (signal_pending(current))
			return sock_intr_errno(*timeo);
		add_wait_queue(sk_sleep(sk), &wait);
		sk_wait_event(sk, timeo,
			      iketcp_tx_room(ctx, mem) || sk->sk_err ||
			      (sk->sk_shutdown & SEND_SHUTDOWN), &wait);
		remove_wait_queue(sk_sleep(sk), &wait);
	}
}

/*
 * Before sending: state the role (the first send makes an RFC 9329 socket
 * the originator) and wait until a record of len bytes fits.  Socket locked.
 */
static int iketcp_tx_wait_ready(struct iketcp_sock *ctx, u32 len, long *timeo)
{
	int err;

	if (ctx->framing == IKETCP_FRAMING_RFC9329 &&
	    ctx->role == IKETCP_ROLE_UNKNOWN) {
		err = iketcp_set_role(ctx, IKETCP_ROLE_ORIGINATOR);
		if (err)
			return err;
	}
	return iketcp_tx_wait(ctx, len, timeo);
}

/*
 * sendmsg() of a message TCP copies from the caller when nothing is queued
 * ahead (iketcp_tx_send_copied()); else it is built and queued.
 */
static int iketcp_sendmsg_copied(struct iketcp_sock *ctx, struct msghdr *msg,
				 u32 size)
{
	struct sock *sk = ctx->sk;
	struct iketcp_tx_rec rec;
	long timeo;
	int err;

	timeo = sock_sndtimeo(sk, msg->msg_flags & MSG_DONTWAIT);
	lock_sock(sk);
	err = iketcp_tx_wait_ready(ctx, iketcp_record_len(ctx->framing, size),
				   &timeo);
	if (err)
		goto out;
	err = 1;
	if (iketcp_tx_may_send_now(ctx))
		err = iketcp_tx_send_copied(ctx, msg, size);
	if (err > 0) {
		err = iketcp_tx_build_ike(ctx, msg, size, &rec);
		if (!err)
			err = iketcp_tx_queue_ike(ctx, &rec);
		if (err)
			iketcp_tx_rec_put(&rec);
	}
out:
	if (err)
		err = sk_stream_error(sk, msg->msg_flags, err);
	release_sock(sk);
	return err ?: size;
}

/*
 * Whether TCP copies this message from the caller (iketcp_sendmsg_copied())
 * rather than taking our pages: only where handing it pages costs a
 * fragment per 4 KiB page (IKETCP_TX_COPY_LARGE), and there for a large
 * message, or for any message of legacy framing: with no header of ours,
 * that is one TCP call, as a plain TCP send() is.  Measured with
 * selftests/bench/profile.sh: README, "Send paths".
 */
static bool iketcp_tx_copy_from_caller(const struct iketcp_sock *ctx,
				       u32 size)
{
	return IKETCP_TX_COPY_LARGE &&
	       (size >= IKETCP_TX_COPY_MIN ||
		ctx->framing == IKETCP_FRAMING_LEGACY);
}

int iketcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	struct iketcp_sock *ctx = iketcp_sk(sk);
	int flags = msg->msg_flags;
	struct iketcp_tx_rec rec;
	long timeo;
	int err;

	if (flags & (MSG_OOB | IKETCP_MSG_SPLICE_PAGES))
		return -EOPNOTSUPP;
	if (size < IKE_HDR_LEN)
		return -EINVAL;	/* nothing, or less than an IKE header */
	if (size > iketcp_max_ike_msg(ctx->framing))
		return -EMSGSIZE;

	if (iketcp_tx_copy_from_caller(ctx, size))
		return iketcp_sendmsg_copied(ctx, msg, size);

	/* Build outside the lock: copying from the caller may fault. */
	err = iketcp_tx_build_ike(ctx, msg, size, &rec);
	if (err)
		return err;

	timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);
	lock_sock(sk);
	err = iketcp_tx_wait_ready(ctx, rec.len, &timeo);
	if (err)
		goto fail;
	err = iketcp_tx_queue_ike(ctx, &rec);
	if (err)
		goto fail;
	release_sock(sk);
	return size;
fail:
	iketcp_tx_rec_put(&rec);
	err = sk_stream_error(sk, flags, err);
	release_sock(sk);
	return err;
}

/*
 * shutdown(SHUT_WR) must not overtake records still queued here: hold the
 * FIN back until the queue has drained.  inet_shutdown() has already set
 * SEND_SHUTDOWN; clear it meanwhile so the pusher can still write, while
 * shutdown_pending refuses new sends.  Socket locked.
 */
void iketcp_tx_shutdown(struct iketcp_sock *ctx, int how)
{
	struct sock *sk = ctx->sk;

	if ((how & SEND_SHUTDOWN) && !skb_queue_empty_lockless(&ctx->txq)) {
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown & ~SEND_SHUTDOWN);
		ctx->shutdown_pending = true;
		iketcp_tx_push(ctx);
		return;
	}
	ctx->base_prot->shutdown(sk, how);
}

/*
 * Closing: give TCP what it takes now, count the rest, and from now on
 * refuse ESP from the hook (closing is set under txq.lock).  Socket locked.
 */
void iketcp_tx_close(struct iketcp_sock *ctx)
{
	ctx->shutdown_pending = false;
	iketcp_tx_push(ctx);
	spin_lock_bh(&ctx->txq.lock);
	ctx->closing = true;
	spin_unlock_bh(&ctx->txq.lock);
	iketcp_tx_purge(ctx);
}
