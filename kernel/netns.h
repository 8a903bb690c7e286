/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IKETCP_NETNS_H
#define IKETCP_NETNS_H

#include <linux/atomic.h>
#include <linux/hashtable.h>
#include <linux/mutex.h>
#include <linux/netfilter.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <net/net_namespace.h>

#include "../include/uapi/linux/iketcp.h"

struct iketcp_sock;

struct iketcp_net {
	struct net *net;
	spinlock_t socks_lock;		/* socks, nr_socks */
	struct list_head socks;
	u32 nr_socks;
	u32 rx_queue_limit;		/* READ_ONCE: set by netlink */
	u32 tx_queue_limit;
	/* SA bindings (esp.c): writers hold bind_lock, the hook reads RCU */
	struct mutex bind_lock;
	DECLARE_HASHTABLE(bindings, 10);
	u32 nr_bindings;
	bool hooks_registered;
	struct nf_hook_ops hooks[2];
	/* counters of sockets already closed, and drops with no socket */
	atomic64_t retired[__IKETCP_CNT_MAX];
};

struct iketcp_net *iketcp_net(const struct net *net);
void iketcp_netns_add_sock(struct iketcp_net *in, struct iketcp_sock *ctx);
void iketcp_netns_del_sock(struct iketcp_net *in, struct iketcp_sock *ctx);
void iketcp_netns_counters(struct iketcp_net *in, u64 *sum);
void iketcp_netns_count(struct iketcp_net *in, enum iketcp_counter c);
int iketcp_netns_init(void);
void iketcp_netns_exit(void);

#endif /* IKETCP_NETNS_H */
