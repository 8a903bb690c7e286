// SPDX-License-Identifier: GPL-2.0
/*
 * The "iketcp" generic netlink family: namespace settings and counters,
 * the dump of attached sockets, SA binding, events.
 * include/uapi/linux/iketcp.h documents every command and attribute.
 *
 * Context: requests run in process context, in the caller's sendmsg(), so
 * a file descriptor in IKETCP_A_SOCK_FD is the caller's.  The socket dump
 * takes bind_lock (for the SA lists) then walks the socket list under its
 * spinlock, building attributes only.  Events are built in whatever context
 * noticed them (softirq included: GFP_ATOMIC) and rate limited per socket.
 * Settings are single u32 stores, read with READ_ONCE by the data path.
 */
#include <linux/inet.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "esp.h"
#include "netlink.h"
#include "netns.h"
#include "socket.h"
#include "ulp.h"

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

static const struct nla_policy iketcp_sa_policy[IKETCP_SA_MAX + 1] = {
	[IKETCP_SA_DIR] = NLA_POLICY_RANGE(NLA_U8, IKETCP_DIR_IN, IKETCP_DIR_OUT),
	[IKETCP_SA_SPI] = { .type = NLA_U32 },
	[IKETCP_SA_FAMILY] = { .type = NLA_U16 },
	[IKETCP_SA_SADDR] = { .type = NLA_BINARY, .len = sizeof(struct in6_addr) },
	[IKETCP_SA_DADDR] = { .type = NLA_BINARY, .len = sizeof(struct in6_addr) },
	[IKETCP_SA_ENCAP] = NLA_POLICY_MAX(NLA_U8, IKETCP_ENCAP_UDP),
	[IKETCP_SA_ENCAP_SPORT] = { .type = NLA_U16 },
	[IKETCP_SA_ENCAP_DPORT] = { .type = NLA_U16 },
};

static const struct nla_policy iketcp_policy[IKETCP_A_MAX + 1] = {
	[IKETCP_A_SOCK_FD] = { .type = NLA_U32 },
	[IKETCP_A_SA] = NLA_POLICY_NESTED(iketcp_sa_policy),
	[IKETCP_A_CONFIG] = NLA_POLICY_NESTED(iketcp_config_policy),
};

static const struct genl_multicast_group iketcp_mcgrps[] = {
	{ .name = IKETCP_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static int iketcp_put_counters(struct sk_buff *skb, int type, const u64 *cnt)
{
	struct nlattr *nest;
	int i;

	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < __IKETCP_CNT_MAX; i++)
		if (nla_put_u64_64bit(skb, i + 1, cnt[i], IKETCP_CNT_PAD))
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
	    nla_put_u32(msg, IKETCP_A_NR_BINDINGS, READ_ONCE(in->nr_bindings)))
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

	if (GENL_REQ_ATTR_CHECK(info, IKETCP_A_CONFIG)) {
		NL_SET_ERR_MSG(info->extack, "IKETCP_A_CONFIG missing");
		return -EINVAL;
	}
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

static int iketcp_put_addr(struct sk_buff *skb, int type, u16 family,
			   const xfrm_address_t *a)
{
	if (family == AF_INET)
		return nla_put_in_addr(skb, type, a->a4);
	return nla_put_in6_addr(skb, type, &a->in6);
}

/* One SA; with ctx (GET_BINDINGS), the inode of its socket. */
static int iketcp_put_binding(struct sk_buff *skb,
			      const struct iketcp_binding *b,
			      struct iketcp_sock *ctx)
{
	struct nlattr *nest = nla_nest_start(skb, IKETCP_A_SA);
	const struct iketcp_sa_key *k = &b->key;

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u8(skb, IKETCP_SA_DIR, k->dir) ||
	    nla_put_be32(skb, IKETCP_SA_SPI, k->spi) ||
	    nla_put_u16(skb, IKETCP_SA_FAMILY, k->family) ||
	    iketcp_put_addr(skb, IKETCP_SA_SADDR, k->family, &b->saddr) ||
	    iketcp_put_addr(skb, IKETCP_SA_DADDR, k->family, &b->daddr) ||
	    nla_put_u8(skb, IKETCP_SA_ENCAP, b->encap) ||
	    (b->encap == IKETCP_ENCAP_UDP &&
	     (nla_put_u16(skb, IKETCP_SA_ENCAP_SPORT, ntohs(b->sport)) ||
	      nla_put_u16(skb, IKETCP_SA_ENCAP_DPORT, ntohs(b->dport)))) ||
	    nla_put_u64_64bit(skb, IKETCP_SA_PACKETS,
			      atomic64_read(&b->packets), IKETCP_SA_PAD) ||
	    nla_put_u64_64bit(skb, IKETCP_SA_BYTES, atomic64_read(&b->bytes),
			      IKETCP_SA_PAD) ||
	    (!rcu_access_pointer(b->ctx) &&
	     nla_put_flag(skb, IKETCP_SA_ORPHANED)) ||
	    (ctx && nla_put_u64_64bit(skb, IKETCP_SA_SOCK_INODE,
				      sock_i_ino(ctx->sk), IKETCP_SA_PAD))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * The SAs bound to ctx's socket, from the *pos'th on.  Returns 0 when all
 * are in, or -EMSGSIZE with *pos at the first one that did not fit (the
 * dump continues with it in the next message).  bind_lock held.
 */
static int iketcp_put_bindings(struct sk_buff *skb, struct iketcp_sock *ctx,
			       long *pos)
{
	struct iketcp_binding *b;
	struct nlattr *nest;
	long i = 0;

	if (list_empty(&ctx->bindings))
		return 0;
	nest = nla_nest_start(skb, IKETCP_SOCK_SAS);
	if (!nest)
		return -EMSGSIZE;
	list_for_each_entry(b, &ctx->bindings, sock_node) {
		if (i++ < *pos)
			continue;
		if (iketcp_put_binding(skb, b, NULL)) {
			nla_nest_end(skb, nest);
			*pos = i - 1;
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int iketcp_put_sock_id(struct sk_buff *skb, struct sock *sk)
{
	return nla_put_u64_64bit(skb, IKETCP_SOCK_INODE, sock_i_ino(sk),
				 IKETCP_SOCK_PAD) ||
	       iketcp_put_addrs(skb, sk) ? -EMSGSIZE : 0;
}

/*
 * One socket; with admin, its SAs from *sa_pos on.  -EMSGSIZE: nothing of
 * the socket fits.  -EAGAIN: the socket and some SAs are in, *sa_pos says
 * where the next message goes on.
 */
static int iketcp_put_sock(struct sk_buff *skb, struct iketcp_sock *ctx,
			   bool admin, long *sa_pos)
{
	long first = *sa_pos;
	u64 cnt[__IKETCP_CNT_MAX];
	struct nlattr *nest;
	int i;

	for (i = 0; i < __IKETCP_CNT_MAX; i++)
		cnt[i] = atomic64_read(&ctx->cnt[i]);
	nest = nla_nest_start(skb, IKETCP_A_SOCK);
	if (!nest)
		return -EMSGSIZE;
	if (iketcp_put_sock_id(skb, ctx->sk) ||
	    nla_put_u8(skb, IKETCP_SOCK_FRAMING, ctx->framing) ||
	    nla_put_u8(skb, IKETCP_SOCK_ROLE, READ_ONCE(ctx->role)) ||
	    nla_put_u32(skb, IKETCP_SOCK_RX_QUEUED, READ_ONCE(ctx->rx_queued)) ||
	    nla_put_u32(skb, IKETCP_SOCK_TX_QUEUED, READ_ONCE(ctx->tx_queued)) ||
	    nla_put_u32(skb, IKETCP_SOCK_RX_MEM, READ_ONCE(ctx->rx_mem)) ||
	    nla_put_u32(skb, IKETCP_SOCK_TX_MEM, READ_ONCE(ctx->tx_mem)) ||
	    iketcp_put_counters(skb, IKETCP_SOCK_COUNTERS, cnt)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	if (admin && iketcp_put_bindings(skb, ctx, sa_pos)) {
		if (*sa_pos == first) {
			/* Not one SA fitted: try the socket in a new message. */
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
		nla_nest_end(skb, nest);
		return -EAGAIN;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * cb->args[0]: sockets of the list that earlier parts sent completely;
 * cb->args[1]: SAs of the next socket that earlier parts sent.  A socket
 * with more SAs than fit one message is sent in several, each repeating
 * the socket's attributes.  Unprivileged callers see what ss(8) shows them
 * (addresses, queues, counters) but not the SAs, whose SPIs and addresses
 * XFRM keeps for CAP_NET_ADMIN too.
 */
static int iketcp_dump_sockets(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct iketcp_net *in = iketcp_net(sock_net(skb->sk));
	bool admin = netlink_net_capable(cb->skb, CAP_NET_ADMIN);
	long idx = 0, skip = cb->args[0], sa_pos = cb->args[1];
	struct iketcp_sock *ctx;
	void *hdr;
	int err;

	mutex_lock(&in->bind_lock);
	spin_lock_bh(&in->socks_lock);
	list_for_each_entry(ctx, &in->socks, netns_node) {
		if (idx < skip) {
			idx++;
			continue;
		}
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &iketcp_genl_family,
				  NLM_F_MULTI, IKETCP_CMD_GET_SOCKETS);
		if (!hdr)
			break;
		err = iketcp_put_sock(skb, ctx, admin, &sa_pos);
		if (err == -EMSGSIZE) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		if (err == -EAGAIN)
			break;
		sa_pos = 0;
		idx++;
	}
	spin_unlock_bh(&in->socks_lock);
	mutex_unlock(&in->bind_lock);
	cb->args[0] = idx;
	cb->args[1] = sa_pos;
	/* An empty part would read as the end of the dump. */
	return skb->len ?: (idx < in->nr_socks ? -EMSGSIZE : 0);
}

/*
 * Every binding of the namespace, orphaned ones included: one message per
 * SA, with the inode of its socket or IKETCP_SA_ORPHANED.  cb->args[0] is
 * the hash bucket, cb->args[1] the entry in it.  Admin only.
 */
static int iketcp_dump_bindings(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct iketcp_net *in = iketcp_net(sock_net(skb->sk));
	long bkt = cb->args[0], pos = cb->args[1], i;
	struct iketcp_binding *b;
	struct iketcp_sock *ctx;
	void *hdr;

	mutex_lock(&in->bind_lock);
	for (; bkt < HASH_SIZE(in->bindings); bkt++, pos = 0) {
		i = 0;
		hlist_for_each_entry(b, &in->bindings[bkt], hnode) {
			if (i++ < pos)
				continue;
			hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq,
					  &iketcp_genl_family, NLM_F_MULTI,
					  IKETCP_CMD_GET_BINDINGS);
			if (!hdr)
				goto full;
			/* Writers of b->ctx hold bind_lock, as we do. */
			ctx = rcu_dereference_protected(b->ctx, true);
			if (iketcp_put_binding(skb, b, ctx)) {
				genlmsg_cancel(skb, hdr);
				goto full;
			}
			genlmsg_end(skb, hdr);
			pos = i;
		}
	}
full:
	mutex_unlock(&in->bind_lock);
	cb->args[0] = bkt;
	cb->args[1] = pos;
	return skb->len;
}

/* The socket behind the caller's IKETCP_A_SOCK_FD, if it is ours. */
static struct socket *iketcp_lookup_fd(struct genl_info *info,
				       struct iketcp_sock **ctxp, int *err)
{
	struct nlattr *attr = info->attrs[IKETCP_A_SOCK_FD];
	struct socket *sock;

	sock = sockfd_lookup(nla_get_u32(attr), err);
	if (!sock) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "not an open socket");
		return NULL;
	}
	*ctxp = iketcp_sk_if_ours(sock->sk);
	if (!*ctxp) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "socket has no iketcp ULP attached");
		*err = -EOPNOTSUPP;
	} else if (!net_eq(sock_net(sock->sk), genl_info_net(info))) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "socket is in another network namespace");
		*err = -EXDEV;
	} else if ((*ctxp)->framing != IKETCP_FRAMING_RFC9329) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "legacy-framed sockets carry no ESP");
		*err = -EOPNOTSUPP;
	} else {
		return sock;
	}
	sockfd_put(sock);
	return NULL;
}

static int iketcp_get_addr(struct nlattr *attr, u16 family,
			   xfrm_address_t *a, struct netlink_ext_ack *extack)
{
	int len = family == AF_INET ? sizeof(a->a4) : sizeof(a->in6);

	if (!attr)
		return 0;
	if (nla_len(attr) != len) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "address length does not match the family");
		return -EINVAL;
	}
	memset(a, 0, sizeof(*a));
	memcpy(a, nla_data(attr), len);
	return 0;
}

/* Direction and SPI, both required. */
static int iketcp_get_dir_spi(struct nlattr **tb, struct nlattr *nest,
			      struct iketcp_sa_key *key,
			      struct netlink_ext_ack *extack)
{
	if (!tb[IKETCP_SA_DIR]) {
		NL_SET_ERR_ATTR_MISS(extack, nest, IKETCP_SA_DIR);
		NL_SET_ERR_MSG(extack, "SA direction missing");
		return -EINVAL;
	}
	if (!tb[IKETCP_SA_SPI] || !nla_get_be32(tb[IKETCP_SA_SPI])) {
		NL_SET_ERR_ATTR_MISS(extack, nest, IKETCP_SA_SPI);
		NL_SET_ERR_MSG(extack, "SA SPI missing or zero");
		return -EINVAL;
	}
	key->dir = nla_get_u8(tb[IKETCP_SA_DIR]);
	key->spi = nla_get_be32(tb[IKETCP_SA_SPI]);
	return 0;
}

/* Fill spec from the request, defaults from the socket. */
static int iketcp_get_spec(struct nlattr **tb, struct nlattr *nest,
			   struct sock *sk, struct iketcp_sa_spec *spec,
			   struct netlink_ext_ack *extack)
{
	u16 family = iketcp_esp_sock_family(sk);
	int err;

	err = iketcp_get_dir_spi(tb, nest, &spec->key, extack);
	if (err)
		return err;
	if (tb[IKETCP_SA_FAMILY] && nla_get_u16(tb[IKETCP_SA_FAMILY]) != family) {
		NL_SET_ERR_MSG_ATTR(extack, tb[IKETCP_SA_FAMILY],
				    "SA family differs from the socket's");
		return -EINVAL;
	}
	spec->key.family = family;
	iketcp_esp_sock_addrs(sk, spec->key.dir, &spec->saddr, &spec->key.daddr);
	err = iketcp_get_addr(tb[IKETCP_SA_SADDR], family, &spec->saddr, extack) ?:
	      iketcp_get_addr(tb[IKETCP_SA_DADDR], family, &spec->key.daddr,
			      extack);
	if (err)
		return err;
	if (tb[IKETCP_SA_ENCAP])
		spec->encap = nla_get_u8(tb[IKETCP_SA_ENCAP]);
	if (spec->encap != IKETCP_ENCAP_UDP)
		return 0;
	if (!tb[IKETCP_SA_ENCAP_SPORT] || !tb[IKETCP_SA_ENCAP_DPORT]) {
		NL_SET_ERR_MSG(extack, "UDP encapsulation needs both ports");
		return -EINVAL;
	}
	spec->sport = htons(nla_get_u16(tb[IKETCP_SA_ENCAP_SPORT]));
	spec->dport = htons(nla_get_u16(tb[IKETCP_SA_ENCAP_DPORT]));
	return 0;
}

static int iketcp_parse_sa(struct genl_info *info, struct nlattr **tb)
{
	if (GENL_REQ_ATTR_CHECK(info, IKETCP_A_SA)) {
		NL_SET_ERR_MSG(info->extack, "IKETCP_A_SA missing");
		return -EINVAL;
	}
	return nla_parse_nested(tb, IKETCP_SA_MAX, info->attrs[IKETCP_A_SA],
				iketcp_sa_policy, info->extack);
}

static int iketcp_bind_sa(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[IKETCP_SA_MAX + 1];
	struct iketcp_sa_spec spec = {};
	struct iketcp_sock *ctx;
	struct socket *sock;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, IKETCP_A_SOCK_FD)) {
		NL_SET_ERR_MSG(info->extack, "IKETCP_A_SOCK_FD missing");
		return -EINVAL;
	}
	err = iketcp_parse_sa(info, tb);
	if (err)
		return err;
	sock = iketcp_lookup_fd(info, &ctx, &err);
	if (!sock)
		return err;
	if (READ_ONCE(ctx->role) == IKETCP_ROLE_UNKNOWN) {
		NL_SET_ERR_MSG(info->extack,
			       "socket role unknown: exchange an IKE message or set IKETCP_ROLE first");
		err = -EINVAL;
		goto out;
	}
	err = iketcp_get_spec(tb, info->attrs[IKETCP_A_SA], sock->sk, &spec,
			      info->extack) ?:
	      iketcp_esp_bind(ctx, &spec, info->extack);
out:
	sockfd_put(sock);
	return err;
}

static int iketcp_unbind_sa(struct sk_buff *skb, struct genl_info *info)
{
	struct iketcp_net *in = iketcp_net(genl_info_net(info));
	struct nlattr *tb[IKETCP_SA_MAX + 1];
	struct nlattr *nest = info->attrs[IKETCP_A_SA];
	struct iketcp_sa_spec spec = {};
	struct iketcp_sock *ctx;
	struct socket *sock;
	int err;

	err = iketcp_parse_sa(info, tb);
	if (err)
		return err;
	if (info->attrs[IKETCP_A_SOCK_FD]) {
		sock = iketcp_lookup_fd(info, &ctx, &err);
		if (!sock)
			return err;
		err = iketcp_get_spec(tb, nest, sock->sk, &spec, info->extack);
		sockfd_put(sock);
	} else if (!tb[IKETCP_SA_FAMILY] || !tb[IKETCP_SA_DADDR]) {
		NL_SET_ERR_MSG(info->extack,
			       "need IKETCP_A_SOCK_FD, or the SA's FAMILY and DADDR");
		err = -EINVAL;
	} else {
		spec.key.family = nla_get_u16(tb[IKETCP_SA_FAMILY]);
		if (spec.key.family != AF_INET && spec.key.family != AF_INET6) {
			NL_SET_ERR_MSG_ATTR(info->extack, tb[IKETCP_SA_FAMILY],
					    "family must be AF_INET or AF_INET6");
			return -EINVAL;
		}
		err = iketcp_get_dir_spi(tb, nest, &spec.key, info->extack) ?:
		      iketcp_get_addr(tb[IKETCP_SA_DADDR], spec.key.family,
				      &spec.key.daddr, info->extack);
	}
	if (err)
		return err;
	err = iketcp_esp_unbind(in, &spec.key);
	if (err)
		NL_SET_ERR_MSG(info->extack, "no such SA binding");
	return err;
}

void iketcp_genl_event(struct iketcp_sock *ctx, enum iketcp_event ev, u8 dir,
		       __be32 spi)
{
	struct net *net = sock_net(ctx->sk);
	struct nlattr *nest;
	struct sk_buff *msg;
	void *hdr;

	/* At most one event of each kind per socket and second. */
	if (ev < ARRAY_SIZE(ctx->event_at)) {
		if (ctx->event_at[ev] &&
		    time_before(jiffies, ctx->event_at[ev] + HZ))
			return;
		ctx->event_at[ev] = jiffies | 1;
	}
	if (!genl_has_listeners(&iketcp_genl_family, net, 0))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &iketcp_genl_family, 0, IKETCP_CMD_EVENT);
	if (!hdr || nla_put_u32(msg, IKETCP_A_EVENT, ev))
		goto fail;
	nest = nla_nest_start(msg, IKETCP_A_SOCK);
	if (!nest || iketcp_put_sock_id(msg, ctx->sk))
		goto fail;
	nla_nest_end(msg, nest);
	if (dir) {
		nest = nla_nest_start(msg, IKETCP_A_SA);
		if (!nest || nla_put_u8(msg, IKETCP_SA_DIR, dir) ||
		    (spi && nla_put_be32(msg, IKETCP_SA_SPI, spi)))
			goto fail;
		nla_nest_end(msg, nest);
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&iketcp_genl_family, net, msg, 0, 0,
				GFP_ATOMIC);
	return;
fail:
	nlmsg_free(msg);
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
	{
		.cmd = IKETCP_CMD_BIND_SA,
		.doit = iketcp_bind_sa,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = IKETCP_CMD_UNBIND_SA,
		.doit = iketcp_unbind_sa,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = IKETCP_CMD_GET_BINDINGS,
		.dumpit = iketcp_dump_bindings,
		.flags = GENL_UNS_ADMIN_PERM,
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
	.mcgrps = iketcp_mcgrps,
	.n_mcgrps = ARRAY_SIZE(iketcp_mcgrps),
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
