// SPDX-License-Identifier: GPL-2.0
/*
 * The "iketcp" and "iketcp-legacy" TCP upper layer protocols: attach to a
 * socket, the proto and proto_ops overrides, roles, the work item, close.
 *
 * Attaching replaces, for that socket only: sk_prot with a copy of TCP's
 * whose sendmsg/recvmsg/close/... are iketcp's, sk_socket->ops with a copy
 * whose poll is iketcp's and whose raw byte paths (splice, mmap, sendpage)
 * are refused, and the data_ready, write_space and state_change callbacks.  Close puts
 * them all back before TCP's own close runs, so the dying socket never calls
 * into this module again; the ULP's module reference (taken by the TCP ULP
 * core at attach, dropped when the socket is destroyed) keeps rmmod away
 * while any socket is attached.
 *
 * Context: attach runs in process context under lock_sock() (TCP_ULP
 * setsockopt).  Close runs in process context without the lock.  The proto
 * copies are built from TCP's own (tcp_prot, tcpv6_prot), never from a
 * socket's, which a sockmap may have replaced; the IPv6 proto_ops copy is
 * built once, on the first IPv6 attach, under iketcp_v6_lock, from that
 * socket's (inet6_stream_ops is not exported).
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <net/inet_common.h>
#include <net/tcp.h>
#include <net/transp_v6.h>

#include "compat.h"
#include "esp.h"
#include "netns.h"
#include "rx.h"
#include "socket.h"
#include "tx.h"
#include "ulp.h"

enum { IKETCP_V4, IKETCP_V6, IKETCP_NFAMILIES };

static struct proto iketcp_prots[IKETCP_NFAMILIES];
static struct proto_ops iketcp_ops[IKETCP_NFAMILIES];
static bool iketcp_v6_built;
static DEFINE_MUTEX(iketcp_v6_lock);

void iketcp_schedule_work(struct iketcp_sock *ctx, enum iketcp_work_bits b)
{
	set_bit(b, &ctx->work_bits);
	schedule_work(&ctx->work);
}

static void iketcp_work(struct work_struct *work)
{
	struct iketcp_sock *ctx = container_of(work, struct iketcp_sock, work);
	struct sock *sk = ctx->sk;

	if (test_and_clear_bit(IKETCP_WORK_ABORT, &ctx->work_bits))
		tcp_abort(sk, EPROTO);	/* takes the socket lock itself */
	/* Outside the socket lock, as at close (esp.c) */
	if (test_and_clear_bit(IKETCP_WORK_ORPHAN, &ctx->work_bits))
		iketcp_esp_sock_close(ctx);

	lock_sock(sk);
	if (!ctx->closing) {
		if (test_and_clear_bit(IKETCP_WORK_RX, &ctx->work_bits))
			iketcp_rx_read(ctx, GFP_KERNEL);
		if (test_and_clear_bit(IKETCP_WORK_TX, &ctx->work_bits))
			iketcp_tx_push(ctx);
	}
	release_sock(sk);
}

/* Fix the RFC 9329 role.  Socket locked; role was unknown. */
int iketcp_set_role(struct iketcp_sock *ctx, int role)
{
	int err;

	if (role == IKETCP_ROLE_ORIGINATOR) {
		/* Nothing was received (that would have made us acceptor). */
		err = iketcp_tx_queue_prefix(ctx);
		if (err)
			return err;
		iketcp_hdr_init(&ctx->hdr, ctx->framing, false);
	}
	ctx->role = role;
	return 0;
}

static int iketcp_setsockopt(struct sock *sk, int level, int optname,
			     sockptr_t optval, unsigned int optlen)
{
	struct iketcp_sock *ctx = iketcp_sk(sk);
	int val, err;

	if (level != SOL_IKETCP)
		return ctx->base_prot->setsockopt(sk, level, optname, optval,
						  optlen);
	if (optname != IKETCP_ROLE)
		return -ENOPROTOOPT;
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(int)))
		return -EFAULT;
	if (val != IKETCP_ROLE_ORIGINATOR && val != IKETCP_ROLE_ACCEPTOR)
		return -EINVAL;
	if (ctx->framing != IKETCP_FRAMING_RFC9329)
		return -EOPNOTSUPP;	/* legacy framing has no roles */

	lock_sock(sk);
	if (ctx->role != IKETCP_ROLE_UNKNOWN)
		err = -EBUSY;
	else
		err = iketcp_set_role(ctx, val);
	if (!err)
		iketcp_tx_push(ctx);
	release_sock(sk);
	return err;
}

static int iketcp_getsockopt(struct sock *sk, int level, int optname,
			     char __user *optval, int __user *optlen)
{
	struct iketcp_sock *ctx = iketcp_sk(sk);
	int len, val;

	/* Zero-copy receive would hand out the raw stream, framing included. */
	if (level == SOL_TCP && optname == TCP_ZEROCOPY_RECEIVE)
		return -EOPNOTSUPP;
	if (level != SOL_IKETCP)
		return ctx->base_prot->getsockopt(sk, level, optname, optval,
						  optlen);
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < (int)sizeof(int))
		return -EINVAL;
	switch (optname) {
	case IKETCP_ROLE:
		val = READ_ONCE(ctx->role);
		break;
	case IKETCP_FRAMING:
		val = ctx->framing;
		break;
	default:
		return -ENOPROTOOPT;
	}
	if (put_user(sizeof(int), optlen) ||
	    copy_to_user(optval, &val, sizeof(int)))
		return -EFAULT;
	return 0;
}

static void iketcp_shutdown(struct sock *sk, int how)
{
	iketcp_tx_shutdown(iketcp_sk(sk), how);
}

/* connect(AF_UNSPEC) would reuse the socket for a stream iketcp never saw. */
static int iketcp_disconnect(struct sock *sk, int flags)
{
	return -EOPNOTSUPP;
}

static ssize_t iketcp_splice_read(struct socket *sock, loff_t *ppos,
				  struct pipe_inode_info *pipe, size_t len,
				  unsigned int flags)
{
	return -EOPNOTSUPP;
}

static __poll_t iketcp_poll(struct file *file, struct socket *sock,
			    poll_table *wait)
{
	struct iketcp_sock *ctx = iketcp_sk(sock->sk);
	__poll_t mask;

	mask = ctx->base_ops->poll(file, sock, wait);
	mask &= ~(EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND);
	if (iketcp_rx_readable(ctx))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (iketcp_tx_writable(ctx))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

/* Put back what attach replaced.  Socket locked. */
static void iketcp_detach(struct sock *sk, struct iketcp_sock *ctx)
{
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_data_ready = ctx->saved_data_ready;
	sk->sk_write_space = ctx->saved_write_space;
	sk->sk_state_change = ctx->saved_state_change;
	write_unlock_bh(&sk->sk_callback_lock);
	WRITE_ONCE(sk->sk_prot, ctx->base_prot);
	if (sk->sk_socket)
		WRITE_ONCE(sk->sk_socket->ops, ctx->base_ops);
	rcu_assign_pointer(inet_csk(sk)->icsk_ulp_data, NULL);
}

static void iketcp_close(struct sock *sk, long timeout)
{
	struct iketcp_sock *ctx = iketcp_sk(sk);
	struct proto *base = ctx->base_prot;

	iketcp_esp_sock_close(ctx);	/* before the socket lock: lock order */
	lock_sock(sk);
	iketcp_tx_close(ctx);
	iketcp_rx_purge(ctx);
	iketcp_detach(sk, ctx);
	release_sock(sk);

	/* The work item sees closing and leaves; wait for a running one. */
	cancel_work_sync(&ctx->work);
	iketcp_netns_del_sock(ctx->in, ctx);
	kfree_rcu(ctx, rcu);
	base->close(sk, timeout);
}

/*
 * SO_RCVLOWAT: recv() returns whole messages, and rx.c sets sk_rcvlowat
 * itself while a message arrives (iketcp_rx_wait_record()).
 */
static int iketcp_set_rcvlowat(struct sock *sk, int val)
{
	return -EOPNOTSUPP;
}

static void iketcp_build_proto(struct proto *prot, struct proto_ops *ops,
			       const struct proto *base,
			       const struct proto_ops *base_ops)
{
	*prot = *base;
	prot->sendmsg = iketcp_sendmsg;
	prot->recvmsg = iketcp_recvmsg;
	prot->close = iketcp_close;
	prot->setsockopt = iketcp_setsockopt;
	prot->getsockopt = iketcp_getsockopt;
	prot->shutdown = iketcp_shutdown;
	prot->disconnect = iketcp_disconnect;

	*ops = *base_ops;
	ops->poll = iketcp_poll;
	ops->splice_read = iketcp_splice_read;
	ops->mmap = sock_no_mmap;
	ops->set_rcvlowat = iketcp_set_rcvlowat;
	iketcp_compat_refuse_sendpage(ops);
}

/* TCP's own proto for a family index (see the top of this file). */
static struct proto *iketcp_tcp_proto(int fam)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (fam == IKETCP_V6)
		return &tcpv6_prot;
#endif
	return &tcp_prot;
}

static int iketcp_family_index(struct sock *sk)
{
	if (sk->sk_family == AF_INET)
		return IKETCP_V4;
	if (sk->sk_family != AF_INET6)
		return -EAFNOSUPPORT;
	/* Acquire pairs with the release below: the copy is complete. */
	if (!smp_load_acquire(&iketcp_v6_built)) {
		mutex_lock(&iketcp_v6_lock);
		if (!iketcp_v6_built) {
			iketcp_build_proto(&iketcp_prots[IKETCP_V6],
					   &iketcp_ops[IKETCP_V6],
					   iketcp_tcp_proto(IKETCP_V6),
					   sk->sk_socket->ops);
			/* Publish the copies only once they are complete. */
			smp_store_release(&iketcp_v6_built, true);
		}
		mutex_unlock(&iketcp_v6_lock);
	}
	return IKETCP_V6;
}

static int iketcp_attach(struct sock *sk, u8 framing)
{
	struct iketcp_sock *ctx;
	int fam;

	if (sk->sk_state != TCP_ESTABLISHED)
		return -ENOTCONN;
	if (!sk->sk_socket)
		return -EINVAL;
	fam = iketcp_family_index(sk);
	if (fam < 0)
		return fam;
	/*
	 * A socket in a sockmap (sk_user_data is its psock) runs BPF's proto
	 * and data_ready, which iketcp would save and later call around its
	 * own: refused, as espintcp does.  So is any proto other than TCP's.
	 */
	if (READ_ONCE(sk->sk_user_data) ||
	    sk->sk_prot != iketcp_tcp_proto(fam))
		return -EBUSY;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	ctx->sk = sk;
	ctx->in = iketcp_net(sock_net(sk));
	ctx->framing = framing;
	ctx->role = IKETCP_ROLE_UNKNOWN;
	iketcp_hdr_init(&ctx->hdr, framing, framing == IKETCP_FRAMING_RFC9329);
	__skb_queue_head_init(&ctx->rxq);
	skb_queue_head_init(&ctx->txq);
	INIT_WORK(&ctx->work, iketcp_work);
	INIT_LIST_HEAD(&ctx->bindings);
	ctx->base_prot = sk->sk_prot;
	ctx->base_ops = sk->sk_socket->ops;

	rcu_assign_pointer(inet_csk(sk)->icsk_ulp_data, ctx);
	write_lock_bh(&sk->sk_callback_lock);
	ctx->saved_data_ready = sk->sk_data_ready;
	ctx->saved_write_space = sk->sk_write_space;
	ctx->saved_state_change = sk->sk_state_change;
	sk->sk_data_ready = iketcp_data_ready;
	sk->sk_write_space = iketcp_write_space;
	sk->sk_state_change = iketcp_state_change;
	write_unlock_bh(&sk->sk_callback_lock);
	WRITE_ONCE(sk->sk_prot, &iketcp_prots[fam]);
	WRITE_ONCE(sk->sk_socket->ops, &iketcp_ops[fam]);

	/*
	 * Records are latency-bound messages, and ESP records must not wait
	 * for Nagle behind the previous one's ACK: push each as it comes.
	 */
	tcp_sk(sk)->nonagle |= TCP_NAGLE_OFF | TCP_NAGLE_PUSH;
	/* The receive low-water mark is the reader's now (rx.c). */
	WRITE_ONCE(sk->sk_rcvlowat, 1);

	iketcp_netns_add_sock(ctx->in, ctx);
	/* Bytes that arrived before the attach are ours to parse now. */
	iketcp_rx_read(ctx, GFP_KERNEL);
	return 0;
}

static int iketcp_init_rfc9329(struct sock *sk)
{
	return iketcp_attach(sk, IKETCP_FRAMING_RFC9329);
}

static int iketcp_init_legacy(struct sock *sk)
{
	return iketcp_attach(sk, IKETCP_FRAMING_LEGACY);
}

static struct tcp_ulp_ops iketcp_ulp_ops[] = {
	{
		.name = IKETCP_ULP_NAME,
		.owner = THIS_MODULE,
		.init = iketcp_init_rfc9329,
	},
	{
		.name = IKETCP_LEGACY_ULP_NAME,
		.owner = THIS_MODULE,
		.init = iketcp_init_legacy,
	},
};

/* ctx of a socket that has one of our ULPs attached, else NULL. */
struct iketcp_sock *iketcp_sk_if_ours(struct sock *sk)
{
	const struct tcp_ulp_ops *ops;

	if (sk->sk_protocol != IPPROTO_TCP || sk->sk_type != SOCK_STREAM ||
	    (sk->sk_family != AF_INET && sk->sk_family != AF_INET6))
		return NULL;
	ops = READ_ONCE(inet_csk(sk)->icsk_ulp_ops);
	if (ops != &iketcp_ulp_ops[0] && ops != &iketcp_ulp_ops[1])
		return NULL;
	return iketcp_sk(sk);
}

int iketcp_ulp_init(void)
{
	int err, i;

	iketcp_build_proto(&iketcp_prots[IKETCP_V4], &iketcp_ops[IKETCP_V4],
			   &tcp_prot, &inet_stream_ops);
	for (i = 0; i < ARRAY_SIZE(iketcp_ulp_ops); i++) {
		err = tcp_register_ulp(&iketcp_ulp_ops[i]);
		if (err)
			goto undo;
	}
	return 0;
undo:
	while (--i >= 0)
		tcp_unregister_ulp(&iketcp_ulp_ops[i]);
	return err;
}

void iketcp_ulp_exit(void)
{
	int i;

	for (i = ARRAY_SIZE(iketcp_ulp_ops) - 1; i >= 0; i--)
		tcp_unregister_ulp(&iketcp_ulp_ops[i]);
}
