// SPDX-License-Identifier: GPL-2.0
/*
 * The "iketcp" generic netlink family: namespace settings and counters,
 * and the dump of attached sockets.  include/uapi/linux/iketcp.h documents
 * every command and attribute.
 *
 * Context: process (netlink requests run in the caller's sendmsg()).  The
 * socket dump walks the namespace's socket list under its spinlock, building
 * attributes only (no sleeping).  Settings are single u32 stores, read with
 * READ_ONCE by the data path.
 */
#include <linux/inet.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "netlink.h"
#include "netns.h"
#include "socket.h"

static struct genl_family iketcp_genl_family;

/* Not const: 6.1's policy takes a non-const pointer. */
static struct netlink_range_validation iketcp_queue_limit_range = {
	.min = IKETCP_QUEUE_LIMIT_MIN,
	.max = IKETCP_QUEUE_LIMIT_MAX,
};

static const struct nla_policy iketcp_config_policy[IKETCP_CONFIG_MAX + 1] = {
	[IKETCP_CONFIG_RX_QUEUE_LIMIT] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &iketcp_queue_limit_range),
	[IKETCP_CONFIG_TX_QUEUE_LIMIT] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &iketcp_queue_limit_range),
};

static const struct nla_policy iketcp_policy[IKETCP_A_MAX + 1] = {
	[IKETCP_A_SOCK_FD] = { .type = NLA_U32 },
	[IKETCP_A_CONFIG] = NLA_POLICY_NESTED(iketcp_config_policy),
};

static int iketcp_put_counters(struct sk_buff *skb, int type, const u64 *cnt)
{
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < __IKETCP_CNT_MAX; i++)
		if (nla_put_u64_64bit(skb, i + 1, cnt[i], IKETCP_A_PAD))
			goto cancel;
	nla_nest_end(skb, nest);
	return 0;
cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

static int iketcp_put_config(struct sk_buff *skb, struct iketcp_net *in)
{
	struct nlattr *nest = nla_nest_start(skb, IKETCP_A_CONFIG);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, IKETCP_CONFIG_RX_QUEUE_LIMIT,
			READ_ONCE(in->rx_queue_limit)) ||
	    nla_put_u32(skb, IKETCP_CONFIG_TX_QUEUE_LIMIT,
			READ_ONCE(in->tx_queue_limit))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int iketcp_get_netns(struct sk_buff *skb, struct genl_info *info)
{
	struct iketcp_net *in = iketcp_net(genl_info_net(info));
	u64 cnt[__IKETCP_CNT_MAX];
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &iketcp_genl_family, 0,
				IKETCP_CMD_GET_NETNS);
	if (!hdr)
		goto nospace;
	iketcp_netns_counters(in, cnt);
	if (iketcp_put_config(msg, in) ||
	    iketcp_put_counters(msg, IKETCP_A_COUNTERS, cnt) ||
	    nla_put_u32(msg, IKETCP_A_NR_SOCKETS, READ_ONCE(in->nr_socks)) ||
	    nla_put_u32(msg, IKETCP_A_NR_BINDINGS, 0))
		goto nospace;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

static int iketcp_set_netns(struct sk_buff *skb, struct genl_info *info)
{
	struct iketcp_net *in = iketcp_net(genl_info_net(info));
	struct nlattr *tb[IKETCP_CONFIG_MAX + 1];
	int err;

	if (GENL_REQ_ATTR_CHECK(info, IKETCP_A_CONFIG))
		return -EINVAL;
	err = nla_parse_nested(tb, IKETCP_CONFIG_MAX, info->attrs[IKETCP_A_CONFIG],
			       iketcp_config_policy, info->extack);
	if (err)
		return err;
	if (tb[IKETCP_CONFIG_RX_QUEUE_LIMIT])
		WRITE_ONCE(in->rx_queue_limit,
			   nla_get_u32(tb[IKETCP_CONFIG_RX_QUEUE_LIMIT]));
	if (tb[IKETCP_CONFIG_TX_QUEUE_LIMIT])
		WRITE_ONCE(in->tx_queue_limit,
			   nla_get_u32(tb[IKETCP_CONFIG_TX_QUEUE_LIMIT]));
	return 0;
}

static int iketcp_put_addrs(struct sk_buff *skb, struct sock *sk)
{
	const struct inet_sock *inet = inet_sk(sk);

	if (nla_put_u16(skb, IKETCP_SOCK_FAMILY, sk->sk_family) ||
	    nla_put_u16(skb, IKETCP_SOCK_SPORT, ntohs(inet->inet_sport)) ||
	    nla_put_u16(skb, IKETCP_SOCK_DPORT, ntohs(inet->inet_dport)))
		return -EMSGSIZE;
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6)
		return nla_put_in6_addr(skb, IKETCP_SOCK_SADDR,
					&sk->sk_v6_rcv_saddr) ||
		       nla_put_in6_addr(skb, IKETCP_SOCK_DADDR,
					&sk->sk_v6_daddr) ? -EMSGSIZE : 0;
#endif
	return nla_put_in_addr(skb, IKETCP_SOCK_SADDR, inet->inet_rcv_saddr) ||
	       nla_put_in_addr(skb, IKETCP_SOCK_DADDR, inet->inet_daddr) ?
	       -EMSGSIZE : 0;
}

static int iketcp_put_sock(struct sk_buff *skb, struct iketcp_sock *ctx)
{
	u64 cnt[__IKETCP_CNT_MAX];
	struct nlattr *nest;
	int i;

	for (i = 0; i < __IKETCP_CNT_MAX; i++)
		cnt[i] = atomic64_read(&ctx->cnt[i]);
	nest = nla_nest_start(skb, IKETCP_A_SOCK);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, IKETCP_SOCK_INODE, sock_i_ino(ctx->sk),
			      IKETCP_SOCK_PAD) ||
	    iketcp_put_addrs(skb, ctx->sk) ||
	    nla_put_u8(skb, IKETCP_SOCK_FRAMING, ctx->framing) ||
	    nla_put_u8(skb, IKETCP_SOCK_ROLE, READ_ONCE(ctx->role)) ||
	    nla_put_u32(skb, IKETCP_SOCK_RX_QUEUED, READ_ONCE(ctx->rx_queued)) ||
	    nla_put_u32(skb, IKETCP_SOCK_TX_QUEUED, READ_ONCE(ctx->tx_queued)) ||
	    iketcp_put_counters(skb, IKETCP_SOCK_COUNTERS, cnt)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* cb->args[0]: how many sockets of the list earlier parts already sent. */
static int iketcp_dump_sockets(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct iketcp_net *in = iketcp_net(sock_net(skb->sk));
	struct iketcp_sock *ctx;
	long idx = 0, skip = cb->args[0];
	void *hdr;

	spin_lock_bh(&in->socks_lock);
	list_for_each_entry(ctx, &in->socks, netns_node) {
		if (idx++ < skip)
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &iketcp_genl_family,
				  NLM_F_MULTI, IKETCP_CMD_GET_SOCKETS);
		if (!hdr)
			goto full;
		if (iketcp_put_sock(skb, ctx)) {
			genlmsg_cancel(skb, hdr);
			goto full;
		}
		genlmsg_end(skb, hdr);
	}
	spin_unlock_bh(&in->socks_lock);
	cb->args[0] = idx;
	return skb->len;
full:
	spin_unlock_bh(&in->socks_lock);
	cb->args[0] = idx - 1;
	return skb->len;
}

static const struct genl_small_ops iketcp_genl_ops[] = {
	{
		.cmd = IKETCP_CMD_GET_NETNS,
		.doit = iketcp_get_netns,
	},
	{
		.cmd = IKETCP_CMD_SET_NETNS,
		.doit = iketcp_set_netns,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = IKETCP_CMD_GET_SOCKETS,
		.dumpit = iketcp_dump_sockets,
	},
};

static struct genl_family iketcp_genl_family __ro_after_init = {
	.name = IKETCP_GENL_NAME,
	.version = IKETCP_GENL_VERSION,
	.maxattr = IKETCP_A_MAX,
	.policy = iketcp_policy,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.small_ops = iketcp_genl_ops,
	.n_small_ops = ARRAY_SIZE(iketcp_genl_ops),
	.resv_start_op = IKETCP_CMD_GET_NETNS,
};

int iketcp_genl_init(void)
{
	return genl_register_family(&iketcp_genl_family);
}

void iketcp_genl_exit(void)
{
	genl_unregister_family(&iketcp_genl_family);
}
