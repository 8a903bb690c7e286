// SPDX-License-Identifier: GPL-2.0
/*
 * Per network namespace state: the list of attached sockets, the queue
 * limits, and the counters of sockets that have closed.
 *
 * Context: process (attach, close, netlink).  socks and nr_socks are under
 * socks_lock, a BH-safe spinlock, because attach runs under the socket lock
 * and must not sleep on a mutex that netlink may hold while locking sockets.
 * The limits are plain u32 read with READ_ONCE on the data path.  The SA
 * bindings live here too; esp.c owns them.
 */
#include <linux/module.h>
#include <net/netns/generic.h>

#include "esp.h"
#include "netns.h"
#include "socket.h"

static unsigned int iketcp_net_id __read_mostly;

struct iketcp_net *iketcp_net(const struct net *net)
{
	return net_generic(net, iketcp_net_id);
}

void iketcp_netns_add_sock(struct iketcp_net *in, struct iketcp_sock *ctx)
{
	spin_lock_bh(&in->socks_lock);
	list_add_tail(&ctx->netns_node, &in->socks);
	in->nr_socks++;
	spin_unlock_bh(&in->socks_lock);
}

/* Unlink a closing socket and keep its counters in the namespace totals. */
void iketcp_netns_del_sock(struct iketcp_net *in, struct iketcp_sock *ctx)
{
	int i;

	spin_lock_bh(&in->socks_lock);
	list_del(&ctx->netns_node);
	in->nr_socks--;
	for (i = 0; i < __IKETCP_CNT_MAX; i++)
		atomic64_add(atomic64_read(&ctx->cnt[i]), &in->retired[i]);
	spin_unlock_bh(&in->socks_lock);
}

/* An event with no socket to charge it to (an orphaned binding). */
void iketcp_netns_count(struct iketcp_net *in, enum iketcp_counter c)
{
	atomic64_inc(&in->retired[c]);
}

void iketcp_netns_counters(struct iketcp_net *in, u64 *sum)
{
	struct iketcp_sock *ctx;
	int i;

	spin_lock_bh(&in->socks_lock);
	for (i = 0; i < __IKETCP_CNT_MAX; i++)
		sum[i] = atomic64_read(&in->retired[i]);
	list_for_each_entry(ctx, &in->socks, netns_node)
		for (i = 0; i < __IKETCP_CNT_MAX; i++)
			sum[i] += atomic64_read(&ctx->cnt[i]);
	spin_unlock_bh(&in->socks_lock);
}

static int __net_init iketcp_net_init(struct net *net)
{
	struct iketcp_net *in = iketcp_net(net);

	in->net = net;
	spin_lock_init(&in->socks_lock);
	INIT_LIST_HEAD(&in->socks);
	mutex_init(&in->bind_lock);
	hash_init(in->bindings);
	in->rx_queue_limit = IKETCP_QUEUE_LIMIT_DEFAULT;
	in->tx_queue_limit = IKETCP_QUEUE_LIMIT_DEFAULT;
	return 0;
}

static void __net_exit iketcp_net_exit(struct net *net)
{
	struct iketcp_net *in = iketcp_net(net);

	/* Sockets hold their namespace: none can be attached any more. */
	WARN_ON_ONCE(!list_empty(&in->socks));
	iketcp_esp_netns_exit(in);
}

static struct pernet_operations iketcp_net_ops = {
	.init = iketcp_net_init,
	.exit = iketcp_net_exit,
	.id = &iketcp_net_id,
	.size = sizeof(struct iketcp_net),
};

int iketcp_netns_init(void)
{
	return register_pernet_subsys(&iketcp_net_ops);
}

void iketcp_netns_exit(void)
{
	unregister_pernet_subsys(&iketcp_net_ops);
}
