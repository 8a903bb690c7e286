// SPDX-License-Identifier: GPL-2.0
/*
 * Send side: whole records into the TCP stream, in order, never interleaved.
 *
 * Every record (the stream prefix, an IKE message with its header, an ESP
 * packet with its length) is first queued whole on txq.  Only the pusher
 * hands bytes to TCP, head record first; when TCP takes part of a record,
 * tx_off remembers where to go on, and nothing else can be written before
 * the rest of it.  So a send() either queues its whole message or nothing,
 * and records never interleave, whatever TCP's buffer does.
 *
 * Context: sendmsg and the pusher run in process context under lock_sock();
 * the write_space callback runs in softirq or process context under the
 * socket lock and only schedules the work item (pushing may sleep).  txq and
 * tx_queued are protected by txq.lock (BH-safe), because ESP records are
 * appended from the netfilter hook in any context.
 */
#include <linux/skbuff.h>
#include <net/tcp.h>

#include "compat.h"
#include "netlink.h"
#include "netns.h"
#include "socket.h"
#include "tx.h"
#include "ulp.h"

/* Messages up to this size are one kmalloc'ed buffer, larger ones pages. */
#define IKETCP_TX_LINEAR_MAX	2048

static u32 iketcp_tx_limit(const struct iketcp_sock *ctx)
{
	return READ_ONCE(ctx->in->tx_queue_limit);
}

/* A record of len bytes fits: the queue is empty or stays under the limit. */
static bool iketcp_tx_room(const struct iketcp_sock *ctx, u32 len)
{
	u32 queued = READ_ONCE(ctx->tx_queued);

	return !queued || queued + len <= iketcp_tx_limit(ctx);
}

bool iketcp_tx_writable(struct iketcp_sock *ctx)
{
	struct sock *sk = ctx->sk;

	if (READ_ONCE(sk->sk_err) ||
	    (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN))
		return true;	/* send() fails at once */
	return iketcp_tx_room(ctx, IKETCP_PREFIX_LEN + IKETCP_MAX_RECORD);
}

static void iketcp_tx_enqueue(struct iketcp_sock *ctx, struct sk_buff *skb)
{
	spin_lock_bh(&ctx->txq.lock);
	__skb_queue_tail(&ctx->txq, skb);
	WRITE_ONCE(ctx->tx_queued, ctx->tx_queued + skb->len);
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
	spin_lock_bh(&ctx->txq.lock);
	if (ctx->closing || ctx->tx_dead) {
		spin_unlock_bh(&ctx->txq.lock);
		iketcp_netns_count(ctx->in, IKETCP_CNT_TX_DROP_ESP_NO_SOCKET);
		kfree_skb(skb);
		return;
	}
	if (!iketcp_tx_room(ctx, skb->len)) {
		spin_unlock_bh(&ctx->txq.lock);
		iketcp_count(ctx, IKETCP_CNT_TX_DROP_ESP_QUEUE_FULL);
		iketcp_genl_event(ctx, IKETCP_EVENT_QUEUE_FULL, IKETCP_DIR_OUT,
				  0);
		kfree_skb(skb);
		return;
	}
	__skb_queue_tail(&ctx->txq, skb);
	WRITE_ONCE(ctx->tx_queued, ctx->tx_queued + skb->len);
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

static void iketcp_tx_count_sent(struct iketcp_sock *ctx, struct sk_buff *skb)
{
	u32 len = skb->len - IKETCP_SKB_CB(skb)->offset;

	switch (IKETCP_SKB_CB(skb)->kind) {
	case IKETCP_TX_IKE:
		iketcp_count(ctx, IKETCP_CNT_TX_IKE_MSGS);
		iketcp_count_add(ctx, IKETCP_CNT_TX_IKE_BYTES, len);
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
	spin_unlock_bh(&ctx->txq.lock);
	ctx->tx_off = 0;
	while ((skb = __skb_dequeue(&list))) {
		if (IKETCP_SKB_CB(skb)->kind != IKETCP_TX_PREFIX)
			iketcp_count(ctx, IKETCP_CNT_TX_DROP_CLOSE);
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
		ret = skb_send_sock_locked(sk, skb, ctx->tx_off,
					   skb->len - ctx->tx_off);
		if (ret == -EAGAIN || ret == 0)
			break;	/* write_space will call us again */
		if (ret < 0) {
			/* The connection is broken; sk_err tells senders. */
			iketcp_tx_purge(ctx);
			break;
		}
		ctx->tx_off += ret;
		if (ctx->tx_off < skb->len)
			break;
		ctx->tx_off = 0;
		spin_lock_bh(&ctx->txq.lock);
		__skb_unlink(skb, &ctx->txq);
		WRITE_ONCE(ctx->tx_queued, ctx->tx_queued - skb->len);
		spin_unlock_bh(&ctx->txq.lock);
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

/*
 * Copy one IKE message from the caller into a record, header included, and
 * check that the IKE header's own length is the message's: a peer would drop
 * the message anyway (rx_drop_ike_length), so tell the sender now.
 */
static struct sk_buff *iketcp_tx_build(struct iketcp_sock *ctx,
				       struct msghdr *msg, u32 size, int *err)
{
	u8 hdr[IKETCP_LEN_FIELD + IKETCP_MARKER_LEN];
	u8 ike[IKE_HDR_LEN];
	struct sk_buff *skb;
	u32 hlen, linear;

	if (size < IKE_HDR_LEN) {
		*err = -EINVAL;
		return NULL;
	}
	hlen = iketcp_ike_header(ctx->framing, size, hdr);
	linear = size <= IKETCP_TX_LINEAR_MAX ? size : 0;
	skb = alloc_skb_with_frags(hlen + linear, size - linear,
				   PAGE_ALLOC_COSTLY_ORDER, err,
				   ctx->sk->sk_allocation);
	if (!skb)
		return NULL;
	skb_put_data(skb, hdr, hlen);
	skb_put(skb, linear);
	skb->data_len = size - linear;
	skb->len += size - linear;
	*err = skb_copy_datagram_from_iter(skb, hlen, &msg->msg_iter, size);
	if (*err)
		goto fail;
	skb_copy_bits(skb, hlen, ike, sizeof(ike));
	if (iketcp_get_be32(ike + IKE_HDR_LEN_OFFSET) != size) {
		*err = -EINVAL;
		goto fail;
	}
	IKETCP_SKB_CB(skb)->kind = IKETCP_TX_IKE;
	IKETCP_SKB_CB(skb)->offset = hlen;
	return skb;
fail:
	kfree_skb(skb);
	return NULL;
}

/* Wait until a record of len bytes fits.  Socket locked. */
static int iketcp_tx_wait(struct iketcp_sock *ctx, u32 len, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sock *sk = ctx->sk;
	bool counted = false;

	for (;;) {
		if (sk->sk_err)
			return sock_error(sk);
		if ((sk->sk_shutdown & SEND_SHUTDOWN) || ctx->shutdown_pending)
			return -EPIPE;
		if (!((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)))
			return -EPIPE;
		if (iketcp_tx_room(ctx, len))
			return 0;
		if (!counted) {
			iketcp_count(ctx, IKETCP_CNT_TX_BACKPRESSURE);
			counted = true;
		}
		iketcp_tx_push(ctx);
		if (iketcp_tx_room(ctx, len))
			return 0;
		if (!*timeo)
			return -EAGAIN;
		if (signal_pending(current))
			return sock_intr_errno(*timeo);
		add_wait_queue(sk_sleep(sk), &wait);
		sk_wait_event(sk, timeo,
			      iketcp_tx_room(ctx, len) || sk->sk_err ||
			      (sk->sk_shutdown & SEND_SHUTDOWN), &wait);
		remove_wait_queue(sk_sleep(sk), &wait);
	}
}

int iketcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	struct iketcp_sock *ctx = iketcp_sk(sk);
	int flags = msg->msg_flags;
	struct sk_buff *skb;
	long timeo;
	int err;

	if (flags & (MSG_OOB | IKETCP_MSG_SPLICE_PAGES))
		return -EOPNOTSUPP;
	if (!size)
		return -EINVAL;
	if (size > iketcp_max_ike_msg(ctx->framing))
		return -EMSGSIZE;

	/* Build outside the lock: copying from the caller may fault. */
	skb = iketcp_tx_build(ctx, msg, size, &err);
	if (!skb)
		return err;

	timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);
	lock_sock(sk);
	if (ctx->framing == IKETCP_FRAMING_RFC9329 &&
	    ctx->role == IKETCP_ROLE_UNKNOWN) {
		err = iketcp_set_role(ctx, IKETCP_ROLE_ORIGINATOR);
		if (err)
			goto fail;
	}
	err = iketcp_tx_wait(ctx, skb->len, &timeo);
	if (err)
		goto fail;
	iketcp_tx_enqueue(ctx, skb);
	iketcp_tx_push(ctx);
	release_sock(sk);
	return size;
fail:
	kfree_skb(skb);
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
