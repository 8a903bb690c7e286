/* SPDX-License-Identifier: GPL-2.0 */
/*
 * struct iketcp_sock: the state iketcp keeps for one attached TCP socket.
 *
 * Owned by ulp.c (attach and detach); rx.c and tx.c run its data paths.
 *
 * Locking, per field group:
 *  - RX state (hdr, rx_body, rxq, rx_queued, rx_mem, rx_paused, rx_stopped,
 *    rx_direct, rx_waiting, rx_accepted, and sk_rcvlowat, which iketcp
 *    owns on an attached socket): only touched by whoever owns the socket: a
 *    process holding lock_sock(), or softirq under bh_lock_sock() while no
 *    process owns it.  TCP guarantees those never overlap.  poll() and
 *    netlink dumps read them locklessly (READ_ONCE,
 *    skb_queue_empty_lockless).
 *  - txq, tx_queued, tx_mem: txq.lock (BH-safe); the netfilter hook
 *    appends ESP records from any context.  tx_off and the head record
 *    are only touched by the pusher, which holds lock_sock().
 *  - role, prefix_sent: written under the socket lock.  closing and
 *    tx_dead: written under the socket lock and txq.lock both.
 *  - bindings, nr_bound, unbound: iketcp_net.bind_lock (see esp.c).
 *  - counters: atomic64, any context.
 *  - the context itself is freed with kfree_rcu() after close, so RCU
 *    readers (the ESP output hook) may still look at it briefly.
 */
#ifndef IKETCP_SOCKET_H
#define IKETCP_SOCKET_H

#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include <net/inet_connection_sock.h>
#include <net/sock.h>

#include "../include/iketcp_framing.h"

struct iketcp_net;

enum iketcp_work_bits {
	IKETCP_WORK_RX,		/* reading failed to allocate: try again */
	IKETCP_WORK_TX,		/* records wait for TCP write space */
	IKETCP_WORK_ABORT,	/* fatal stream error: reset the connection */
	IKETCP_WORK_ORPHAN,	/* connection gone: orphan the bindings */
};

struct iketcp_sock {
	struct sock *sk;
	struct iketcp_net *in;
	u8 framing;		/* enum iketcp_framing */
	u8 role;		/* enum iketcp_role */
	bool prefix_sent;
	bool closing;
	bool shutdown_pending;	/* shutdown(SHUT_WR) waits for txq */

	/* receive side */
	struct iketcp_hdr_state hdr;
	struct sk_buff *rx_body;	/* record body being filled */
	u32 rx_body_got;
	struct sk_buff_head rxq;	/* whole IKE messages for recvmsg */
	u32 rx_queued;			/* bytes of IKE messages ready */
	u32 rx_mem;			/* their memory (truesize): the budget */
	bool rx_paused;			/* rx_queued reached the limit */
	bool rx_stopped;		/* fatal error, reading is over */
	bool rx_in_record;		/* header done, body pending */
	/*
	 * The next record is an IKE message still whole in TCP's receive
	 * queue, at copied_seq, rx_direct_rec bytes with its header:
	 * recvmsg() copies it from there straight to the caller (rx.c,
	 * "direct" messages).  Implies rxq is empty and the parser is at a
	 * record boundary.  rx_ike_off: where the message starts in it.
	 */
	bool rx_direct;
	/*
	 * The next record is an IKE message not yet all in TCP's receive
	 * queue, left there until it is: sk_rcvlowat holds its length, so
	 * TCP calls data_ready once it has all arrived (rx.c).  Same
	 * implications as rx_direct.
	 */
	bool rx_waiting;
	bool rx_accepted;		/* current record already counted */
	u8 rx_ike_off;
	u32 rx_direct_rec;
	int rx_err;			/* fatal stream error not yet reported */
	/* recv() returned it: the EPROTO of our own tcp_abort() is not news */
	bool rx_err_reported;

	/* send side */
	struct sk_buff_head txq;	/* whole records, in stream order */
	u32 tx_queued;			/* bytes in txq (txq.lock) */
	u32 tx_mem;			/* their truesize: the budget (txq.lock) */
	u32 tx_off;			/* bytes of the head record sent */

	unsigned long work_bits;
	struct work_struct work;

	struct proto *base_prot;
	const struct proto_ops *base_ops;
	void (*saved_data_ready)(struct sock *sk);
	void (*saved_write_space)(struct sock *sk);

	/* ESP (esp.c) */
	struct list_head bindings;	/* iketcp_binding.sock_node, bind_lock */
	u32 nr_bound;			/* bindings: bind_lock, read lockless */
	bool unbound;			/* closing: no more bindings, bind_lock */
	bool tx_dead;			/* connection gone: ESP is dropped */
	int rx_iif;			/* ingress ifindex of the last record */
	unsigned long event_at[4];	/* jiffies of the last event by type */
	void (*saved_state_change)(struct sock *sk);

	struct list_head netns_node;	/* iketcp_net.socks */
	atomic64_t cnt[__IKETCP_CNT_MAX];
	struct rcu_head rcu;
};

/*
 * Per-skb data of queued records: where the payload starts, its kind, the
 * memory it was charged (truesize when queued) against rx_mem/tx_mem, and
 * what of it the socket's own memory accounting holds (skmem, below).
 */
struct iketcp_skb_cb {
	u32 offset;
	u32 charge;
	u32 skmem;
	u8 kind;		/* enum iketcp_kind */
};

#define IKETCP_SKB_CB(skb) ((struct iketcp_skb_cb *)&((skb)->cb[0]))

/*
 * IKE records waiting in rxq or txq are charged to the socket's memory
 * accounting as TCP charges its own queues (sk_forward_alloc; through it
 * tcp_mem and the socket's memory cgroup), so memory.max, memory.stat's
 * "sock" and tcp_mem see them as well as the module's own limits.  The skb
 * keeps what was charged, so exactly that is given back.  ESP records are
 * not charged: the output hook appends them without the socket lock, and
 * tx_queue_limit alone bounds them.  Both with the socket owned (process
 * context under lock_sock(), or softirq under bh_lock_sock()): that is what
 * protects sk_forward_alloc.  Returns false, charging nothing, when the
 * socket's accounting refuses (tcp_mem's hard limit, or the cgroup's limit
 * after reclaim).
 */
static inline bool iketcp_skmem_charge(struct sock *sk, struct sk_buff *skb,
				       bool rx)
{
	u32 size = skb->truesize;
	bool ok = rx ? sk_rmem_schedule(sk, skb, size) :
		       sk_wmem_schedule(sk, size);

	IKETCP_SKB_CB(skb)->skmem = ok ? size : 0;
	if (ok)
		sk_mem_charge(sk, size);
	return ok;
}

/* The record leaves our queue: give back its charge.  Socket owned. */
static inline void iketcp_skmem_uncharge(struct sock *sk, struct sk_buff *skb)
{
	u32 size = IKETCP_SKB_CB(skb)->skmem;

	IKETCP_SKB_CB(skb)->skmem = 0;
	if (size)
		sk_mem_uncharge(sk, size);
}

/*
 * The context hangs off icsk_ulp_data.  It is set at attach and cleared at
 * close, both under the socket lock, and every caller of this helper holds
 * that lock or runs as a socket callback (which TCP calls under it), or is a
 * syscall on an open file (poll), which close cannot race.
 */
static inline struct iketcp_sock *iketcp_sk(const struct sock *sk)
{
	return (__force struct iketcp_sock *)inet_csk(sk)->icsk_ulp_data;
}

static inline void iketcp_count(struct iketcp_sock *ctx,
				enum iketcp_counter c)
{
	atomic64_inc(&ctx->cnt[c]);
}

static inline void iketcp_count_add(struct iketcp_sock *ctx,
				    enum iketcp_counter c, u64 n)
{
	atomic64_add(n, &ctx->cnt[c]);
}

void iketcp_schedule_work(struct iketcp_sock *ctx, enum iketcp_work_bits b);

#endif /* IKETCP_SOCKET_H */
