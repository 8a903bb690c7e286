// SPDX-License-Identifier: GPL-2.0
/*
 * ESP in the TCP stream: SA bindings, the output hook, and the hand-off of
 * received ESP records to XFRM.
 *
 * Debian's esp4/esp6 are built without espintcp and refuse XFRM states with
 * TCP encapsulation, so iketcp never asks XFRM for it.  The daemon installs
 * its states as usual (no encapsulation, or ESP in UDP) and binds them here:
 *  - OUT: the encrypted packet leaves through NF_INET_POST_ROUTING like any
 *    other; the hook recognises (destination, SPI) of a bound SA, strips the
 *    IP (and UDP) header, and queues the ESP packet as a record on the bound
 *    socket instead.
 *  - IN: an ESP record from the stream gets the IP (and UDP) header XFRM
 *    would have seen on the SA's own transport, in front of a private copy
 *    (rx.c copied it out of TCP's buffers), and enters XFRM through
 *    xfrm4/6_rcv_encap() with that transport's encap type.
 * The XFRM state itself never changes, so moving an SA between UDP and TCP
 * is a bind or an unbind: no rekey, and one replay window sees every packet
 * whichever way it came.
 *
 * Context and locking:
 *  - bindings hash: writers (netlink, close, netns exit; process context)
 *    hold iketcp_net.bind_lock; the hook and the receive path read under
 *    RCU.  Bindings and the socket contexts they point to are freed with
 *    kfree_rcu().  Lock order: socket lock, bind_lock, socks_lock; binding
 *    takes no socket lock (the caller's file reference keeps ctx alive).
 *  - the hook runs in any context (softirq for forwarded traffic, process
 *    for local); it never takes a socket lock, it only appends to txq.
 *  - iketcp_esp_rcv() runs where the receive path runs (see rx.c).
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/ipv6.h>
#include <linux/jhash.h>
#include <linux/netdevice.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/netns/generic.h>
#include <net/tcp.h>
#include <net/xfrm.h>

#include "esp.h"
#include "netlink.h"
#include "netns.h"
#include "socket.h"
#include "tx.h"

static u32 iketcp_key_hash(const struct iketcp_sa_key *key)
{
	BUILD_BUG_ON(sizeof(*key) % sizeof(u32));
	return jhash2((const u32 *)key, sizeof(*key) / sizeof(u32), 0);
}

static struct iketcp_binding *iketcp_binding_find(struct iketcp_net *in,
						  const struct iketcp_sa_key *key)
{
	struct iketcp_binding *b;

	hash_for_each_possible_rcu(in->bindings, b, hnode,
				   iketcp_key_hash(key),
				   lockdep_is_held(&in->bind_lock))
		if (!memcmp(&b->key, key, sizeof(*key)))
			return b;
	return NULL;
}

/*
 * The IP family of ESP on sk's path.  An IPv6 socket whose peer is an IPv4
 * address (a dual-stack listener's connection, ::ffff:a.b.c.d) carries
 * IPv4: its SAs, their packets and their bindings are AF_INET.
 */
u16 iketcp_esp_sock_family(const struct sock *sk)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6 && ipv6_addr_v4mapped(&sk->sk_v6_daddr))
		return AF_INET;
#endif
	return sk->sk_family;
}

/* The socket's own addresses as an SA's, for direction dir. */
void iketcp_esp_sock_addrs(struct sock *sk, u8 dir, xfrm_address_t *saddr,
			   xfrm_address_t *daddr)
{
	xfrm_address_t local = {}, peer = {};

	/* A v4-mapped IPv6 socket keeps the IPv4 addresses here too. */
	local.a4 = sk->sk_rcv_saddr;
	peer.a4 = sk->sk_daddr;
#if IS_ENABLED(CONFIG_IPV6)
	if (iketcp_esp_sock_family(sk) == AF_INET6) {
		local.in6 = sk->sk_v6_rcv_saddr;
		peer.in6 = sk->sk_v6_daddr;
	}
#endif
	*saddr = dir == IKETCP_DIR_OUT ? local : peer;
	*daddr = dir == IKETCP_DIR_OUT ? peer : local;
}

/*
 * The hash key of a binding.  An ESP record that arrives on a socket carries
 * nothing but its SPI, so IN bindings are found by family and SPI alone;
 * their destination address is kept beside the key, for the IP header XFRM
 * sees.  OUT packets are found by destination address and SPI, as XFRM
 * finds their state.
 */
static void iketcp_hash_key(const struct iketcp_sa_key *sa,
			    struct iketcp_sa_key *key)
{
	*key = *sa;
	if (key->dir == IKETCP_DIR_IN)
		memset(&key->daddr, 0, sizeof(key->daddr));
}

/* ---------------------------------------------------------------- TX */

/* Turn the IP packet into a record: [length][ESP packet]. */
static int iketcp_esp_make_record(struct sk_buff *skb, u32 off, u32 esplen)
{
	skb_orphan(skb);
	skb_dst_drop(skb);
	nf_reset_ct(skb);
	secpath_reset(skb);
	if (!pskb_pull(skb, off) || skb_cow_head(skb, IKETCP_LEN_FIELD))
		return -ENOMEM;
	/* The pusher sends a head and page fragments (tx.c). */
	if (skb_has_frag_list(skb) && __skb_linearize(skb))
		return -ENOMEM;
	__skb_push(skb, IKETCP_LEN_FIELD);
	put_unaligned_be16(esplen + IKETCP_LEN_FIELD, skb->data);
	IKETCP_SKB_CB(skb)->kind = IKETCP_TX_ESP;
	IKETCP_SKB_CB(skb)->offset = IKETCP_LEN_FIELD;
	IKETCP_SKB_CB(skb)->skmem = 0;	/* not charged: see socket.h */
	return 0;
}

struct iketcp_esp_pkt {
	struct iketcp_sa_key key;
	u32 off;		/* where ESP starts */
	u8 encap;
	__be16 sport, dport;
};

/* Is the transport payload at pkt->off ESP, bare or in UDP?  Fills pkt. */
static bool iketcp_esp_parse(struct sk_buff *skb, u8 proto,
			     struct iketcp_esp_pkt *pkt)
{
	struct udphdr _uh, *uh;
	__be32 _spi, *spi;

	if (proto == IPPROTO_UDP) {
		uh = skb_header_pointer(skb, pkt->off, sizeof(_uh), &_uh);
		if (!uh || skb->len < pkt->off + sizeof(*uh) + ESP_HDR_LEN)
			return false;	/* keepalives are shorter */
		pkt->encap = IKETCP_ENCAP_UDP;
		pkt->sport = uh->source;
		pkt->dport = uh->dest;
		pkt->off += sizeof(*uh);
	} else if (proto != IPPROTO_ESP) {
		return false;
	}
	spi = skb_header_pointer(skb, pkt->off, sizeof(_spi), &_spi);
	if (!spi || !*spi)
		return false;	/* zero: the non-ESP marker of IKE */
	pkt->key.spi = *spi;
	return true;
}

/* Queue one whole, encrypted ESP packet, its ESP at off, on ctx. */
static void iketcp_esp_queue(struct iketcp_sock *ctx, struct iketcp_binding *b,
			     struct sk_buff *skb, u32 off)
{
	u32 esplen = skb->len - off;

	if (esplen > IKETCP_MAX_ESP_PKT) {
		iketcp_count(ctx, IKETCP_CNT_TX_DROP_ESP_TOO_BIG);
		kfree_skb(skb);
		return;
	}
	if (iketcp_esp_make_record(skb, off, esplen)) {
		kfree_skb(skb);
		return;
	}
	atomic64_inc(&b->packets);
	atomic64_add(esplen, &b->bytes);
	iketcp_tx_queue_esp(ctx, skb);	/* consumes skb */
}

/*
 * With the kernel's ESP offload loaded (esp4_offload, esp6_offload; the
 * kernel loads them for any state asked to offload), XFRM hands on a
 * bare-ESP packet with only its ESP header built, and leaves encryption,
 * and segmentation of a GSO packet, to the device: validate_xmit_xfrm() in
 * dev_queue_xmit(), after this hook.  Taken here, the packet would enter
 * the stream in clear (issue 17).  So finish it here as a device without
 * ESP offload would: validate_xmit_xfrm() with no features segments and
 * encrypts in software.  It expects the data at the link-layer header:
 * ours is empty, as on a layer-3 device.  An encryption that completes
 * asynchronously resumes with a transmit on skb->dev: the blackhole
 * device, so that such a packet is dropped, never sent in clear or on the
 * SA's own transport.  Returns what came out whole and encrypted (a list).
 */
static struct sk_buff *iketcp_esp_finish_offload(struct iketcp_sock *ctx,
						 struct sk_buff *skb)
{
	u32 want = skb_is_gso(skb) ? max_t(u32, skb_shinfo(skb)->gso_segs, 1) :
				     1;
	struct sk_buff *segs, *seg, *next, *done = NULL, **tail = &done;
	bool again = false;
	u32 got = 0;

	skb_reset_mac_header(skb);
	skb->dev = blackhole_netdev;
	local_bh_disable();
	segs = validate_xmit_xfrm(skb, 0, &again);
	local_bh_enable();
	if (again) {
		/* The CPU's resume backlog was busy: not processed at all. */
		kfree_skb_list(segs);
		segs = NULL;
	}
	skb_list_walk_safe(segs, seg, next) {
		struct xfrm_offload *xo = xfrm_offload(seg);

		skb_mark_not_on_list(seg);
		/*
		 * Only what went through the ESP transform, which drops the
		 * offload state once it has encrypted in software: what still
		 * has it came back untouched, in clear.
		 */
		if (xo) {
			kfree_skb(seg);
			continue;
		}
		*tail = seg;
		tail = &seg->next;
		got++;
	}
	if (got < want)
		iketcp_count_add(ctx, IKETCP_CNT_TX_DROP_ESP_OFFLOAD,
				 want - got);
	return done;
}

/* Is this packet's ESP transform left to a device (see above)? */
static bool iketcp_esp_offload_pending(struct sk_buff *skb)
{
	struct xfrm_offload *xo = xfrm_offload(skb);

	return xo && !(xo->flags & (XFRM_XMIT | XFRM_DEV_RESUME));
}

static unsigned int iketcp_esp_steal(struct iketcp_net *in,
				     struct sk_buff *skb,
				     struct iketcp_esp_pkt *pkt)
{
	struct sk_buff *segs, *seg, *next;
	unsigned int verdict = NF_ACCEPT;
	struct iketcp_binding *b;
	struct iketcp_sock *ctx;
	u32 off;

	rcu_read_lock();
	b = iketcp_binding_find(in, &pkt->key);
	if (!b || b->encap != pkt->encap)
		goto out;
	if (b->encap == IKETCP_ENCAP_UDP &&
	    (b->sport != pkt->sport || b->dport != pkt->dport))
		goto out;
	verdict = NF_DROP;
	ctx = rcu_dereference(b->ctx);
	if (!ctx) {
		iketcp_netns_count(in, IKETCP_CNT_TX_DROP_ESP_NO_SOCKET);
		goto out;
	}
	verdict = NF_STOLEN;
	/* ESP starts as far behind the network header in every segment. */
	off = pkt->off - skb_network_offset(skb);
	if (!iketcp_esp_offload_pending(skb)) {
		iketcp_esp_queue(ctx, b, skb, pkt->off);
		goto out;
	}
	segs = iketcp_esp_finish_offload(ctx, skb);
	skb_list_walk_safe(segs, seg, next) {
		skb_mark_not_on_list(seg);
		iketcp_esp_queue(ctx, b, seg, skb_network_offset(seg) + off);
	}
out:
	rcu_read_unlock();
	return verdict;
}

static unsigned int iketcp_esp_out4(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct iketcp_esp_pkt pkt = {};

	if (ip_is_fragment(iph))
		return NF_ACCEPT;
	pkt.off = skb_network_offset(skb) + iph->ihl * 4;
	if (!iketcp_esp_parse(skb, iph->protocol, &pkt))
		return NF_ACCEPT;
	pkt.key.family = AF_INET;
	pkt.key.dir = IKETCP_DIR_OUT;
	pkt.key.daddr.a4 = iph->daddr;
	return iketcp_esp_steal(priv, skb, &pkt);
}

static unsigned int iketcp_esp_out6(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	struct iketcp_esp_pkt pkt = {};
	u8 proto = ip6h->nexthdr;
	__be16 frag_off;
	int off;

	off = ipv6_skip_exthdr(skb, skb_network_offset(skb) + sizeof(*ip6h),
			       &proto, &frag_off);
	if (off < 0 || frag_off)
		return NF_ACCEPT;
	pkt.off = off;
	if (!iketcp_esp_parse(skb, proto, &pkt))
		return NF_ACCEPT;
	pkt.key.family = AF_INET6;
	pkt.key.dir = IKETCP_DIR_OUT;
	pkt.key.daddr.in6 = ip6h->daddr;
	return iketcp_esp_steal(priv, skb, &pkt);
}

/* Hooks are registered in a namespace with its first binding. */
static int iketcp_esp_hooks_on(struct iketcp_net *in)
{
	int err;

	if (in->hooks_registered)
		return 0;
	in->hooks[0] = (struct nf_hook_ops) {
		.hook = iketcp_esp_out4,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_POST_ROUTING,
		/* After source NAT: see the packet as it would leave. */
		.priority = NF_IP_PRI_NAT_SRC + 1,
		.priv = in,
	};
	in->hooks[1] = (struct nf_hook_ops) {
		.hook = iketcp_esp_out6,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP6_PRI_NAT_SRC + 1,
		.priv = in,
	};
	err = nf_register_net_hooks(in->net, in->hooks, ARRAY_SIZE(in->hooks));
	if (!err)
		in->hooks_registered = true;
	return err;
}

/* ----------------------------------------------------------- bindings */

static void iketcp_binding_attach(struct iketcp_binding *b,
				  struct iketcp_sock *ctx)
{
	list_add_tail(&b->sock_node, &ctx->bindings);
	WRITE_ONCE(ctx->nr_bound, ctx->nr_bound + 1);
	rcu_assign_pointer(b->ctx, ctx);
}

static void iketcp_binding_detach(struct iketcp_binding *b)
{
	struct iketcp_sock *ctx = rcu_dereference_protected(b->ctx, true);

	if (!ctx)
		return;
	list_del_init(&b->sock_node);
	WRITE_ONCE(ctx->nr_bound, ctx->nr_bound - 1);
	RCU_INIT_POINTER(b->ctx, NULL);
}

/* Bind (or move) an SA to ctx's socket.  Caller holds a file reference. */
int iketcp_esp_bind(struct iketcp_sock *ctx, const struct iketcp_sa_spec *spec,
		    struct netlink_ext_ack *extack)
{
	struct iketcp_net *in = ctx->in;
	struct iketcp_binding *b;
	struct iketcp_sa_key key;
	int err = 0;

	iketcp_hash_key(&spec->key, &key);
	mutex_lock(&in->bind_lock);
	if (ctx->unbound) {
		NL_SET_ERR_MSG(extack, "socket is closing");
		err = -EBADF;
		goto out;
	}
	b = iketcp_binding_find(in, &key);
	if (b && memcmp(&b->daddr, &spec->key.daddr, sizeof(b->daddr))) {
		NL_SET_ERR_MSG(extack,
			       "this IN SPI is bound for another destination address");
		err = -EEXIST;
		goto out;
	}
	if (b) {
		iketcp_binding_detach(b);
	} else {
		if (in->nr_bindings >= IKETCP_MAX_BINDINGS) {
			NL_SET_ERR_MSG(extack, "too many SA bindings in this namespace");
			err = -ENOSPC;
			goto out;
		}
		err = iketcp_esp_hooks_on(in);
		if (err) {
			NL_SET_ERR_MSG(extack, "cannot register the ESP output hooks");
			goto out;
		}
		b = kzalloc(sizeof(*b), GFP_KERNEL_ACCOUNT);
		if (!b) {
			err = -ENOMEM;
			goto out;
		}
		b->key = key;
		b->daddr = spec->key.daddr;
		INIT_LIST_HEAD(&b->sock_node);
		hash_add_rcu(in->bindings, &b->hnode, iketcp_key_hash(&b->key));
		in->nr_bindings++;
	}
	/* Readers may see the old or the new ports for one packet: harmless. */
	b->saddr = spec->saddr;
	b->encap = spec->encap;
	b->sport = spec->sport;
	b->dport = spec->dport;
	iketcp_binding_attach(b, ctx);
out:
	mutex_unlock(&in->bind_lock);
	return err;
}

static void iketcp_binding_free(struct iketcp_net *in, struct iketcp_binding *b)
{
	iketcp_binding_detach(b);
	hash_del_rcu(&b->hnode);
	in->nr_bindings--;
	kfree_rcu(b, rcu);
}

/* Remove a binding; an IN binding is named by its SPI alone (see above). */
int iketcp_esp_unbind(struct iketcp_net *in, const struct iketcp_sa_key *sa)
{
	struct iketcp_binding *b;
	struct iketcp_sa_key key;
	int err = -ENOENT;

	iketcp_hash_key(sa, &key);
	mutex_lock(&in->bind_lock);
	b = iketcp_binding_find(in, &key);
	if (b) {
		iketcp_binding_free(in, b);
		err = 0;
	}
	mutex_unlock(&in->bind_lock);
	return err;
}

/*
 * The socket is closing, or its connection is gone: its bindings stay,
 * orphaned, so that their traffic is dropped and counted instead of leaking
 * out unencapsulated, until the daemon rebinds or unbinds them, and the
 * daemon hears of it (once: the bindings are gone from the socket after).
 * Process context (close, or the work item after a reset).
 */
void iketcp_esp_sock_close(struct iketcp_sock *ctx)
{
	struct iketcp_net *in = ctx->in;
	struct iketcp_binding *b, *tmp;
	bool had = false;

	mutex_lock(&in->bind_lock);
	ctx->unbound = true;
	list_for_each_entry_safe(b, tmp, &ctx->bindings, sock_node) {
		iketcp_binding_detach(b);
		had = true;
	}
	mutex_unlock(&in->bind_lock);
	if (had)
		iketcp_genl_event(ctx, IKETCP_EVENT_SOCKET_CLOSED, 0, 0);
}

void iketcp_esp_netns_exit(struct iketcp_net *in)
{
	struct iketcp_binding *b;
	struct hlist_node *tmp;
	int bkt;

	if (in->hooks_registered)
		nf_unregister_net_hooks(in->net, in->hooks,
					ARRAY_SIZE(in->hooks));
	mutex_lock(&in->bind_lock);
	hash_for_each_safe(in->bindings, bkt, tmp, b, hnode)
		iketcp_binding_free(in, b);
	mutex_unlock(&in->bind_lock);
}

/*
 * The connection is gone (reset, or closed by both sides) while the daemon
 * still holds the socket: stop queueing ESP on it, and have the work item
 * orphan its bindings (bind_lock is a mutex) and then tell the daemon, so
 * that a dump after the event shows them orphaned.  Runs where TCP changes
 * state: softirq, or process context, socket owned.
 */
void iketcp_state_change(struct sock *sk)
{
	struct iketcp_sock *ctx = iketcp_sk(sk);

	ctx->saved_state_change(sk);
	if (sk->sk_state != TCP_CLOSE || ctx->tx_dead)
		return;
	spin_lock_bh(&ctx->txq.lock);
	ctx->tx_dead = true;
	spin_unlock_bh(&ctx->txq.lock);
	if (READ_ONCE(ctx->nr_bound))
		iketcp_schedule_work(ctx, IKETCP_WORK_ORPHAN);
}

/* ---------------------------------------------------------------- RX */

/*
 * The largest ESP packet the SA's own transport carries: an IPv4 packet's
 * 16-bit total length counts its header (and UDP's), an IPv6 packet's
 * payload length its UDP header.  A record that could not have come that
 * way would wrap the length fields of the headers made for it below.
 */
static u32 iketcp_esp_max_len(const struct iketcp_binding *b)
{
	u32 udp = b->encap == IKETCP_ENCAP_UDP ? sizeof(struct udphdr) : 0;

	if (b->key.family == AF_INET)
		return IP_MAX_MTU - sizeof(struct iphdr) - udp;
	return IPV6_MAXPLEN - udp;
}

/*
 * The link-layer header a packet received on dev would have had.  The
 * packet may come out of XFRM (tunnel mode) to be received again on dev,
 * where packet sockets (tcpdump, DHCP clients, lldpd), GRO and generic XDP
 * read from the MAC header: it must be there, and on an Ethernet device (or
 * loopback) it is an Ethernet header addressed to dev.  Other devices
 * (layer 3: tun, WireGuard, PPP) have none: the MAC header is the network
 * header.  skb->data is at the network header.
 */
static void iketcp_esp_set_mac(struct sk_buff *skb, struct net_device *dev)
{
	if ((dev->type == ARPHRD_ETHER || dev->type == ARPHRD_LOOPBACK) &&
	    dev->hard_header_len == ETH_HLEN && skb_headroom(skb) >= ETH_HLEN) {
		struct ethhdr *eth = skb_push(skb, ETH_HLEN);

		ether_addr_copy(eth->h_dest, dev->dev_addr);
		eth_zero_addr(eth->h_source);
		eth->h_proto = skb->protocol;
		skb_reset_mac_header(skb);
		__skb_pull(skb, ETH_HLEN);
	} else {
		skb_reset_mac_header(skb);
	}
	skb_reset_mac_len(skb);
}

/*
 * Put in front of the ESP packet the headers it had on its own transport,
 * as the IP (and UDP) input path leaves them for xfrm_input(): MAC header
 * (iketcp_esp_set_mac()), network header at IP, UDP (if any) after it,
 * data and transport header at ESP, the IP length not counting UDP.
 * rx.c leaves IKETCP_RX_HEADROOM for them.
 */
static void iketcp_esp_inject(struct iketcp_sock *ctx,
			      const struct iketcp_binding *b,
			      struct sk_buff *skb)
{
	struct net *net = sock_net(ctx->sk);
	int encap = b->encap == IKETCP_ENCAP_UDP ? UDP_ENCAP_ESPINUDP : 0;
	u8 proto = encap ? IPPROTO_UDP : IPPROTO_ESP;
	u32 esplen = skb->len, hlen = 0;
	struct net_device *dev;

	memset(skb->cb, 0, sizeof(skb->cb));
	skb_reset_transport_header(skb);
	if (encap) {
		struct udphdr *uh = skb_push(skb, sizeof(*uh));

		uh->source = b->sport;
		uh->dest = b->dport;
		uh->len = htons(sizeof(*uh) + esplen);
		uh->check = 0;
		hlen += sizeof(*uh);
	}
	dev = dev_get_by_index_rcu(net, READ_ONCE(ctx->rx_iif));
	if (!dev)
		dev = net->loopback_dev;
	skb->dev = dev;
	skb->skb_iif = dev->ifindex;
	skb->pkt_type = PACKET_HOST;
	skb->ip_summed = CHECKSUM_NONE;

	if (b->key.family == AF_INET) {
		struct iphdr *iph = skb_push(skb, sizeof(*iph));

		memset(iph, 0, sizeof(*iph));
		iph->version = 4;
		iph->ihl = sizeof(*iph) / 4;
		iph->ttl = 64;
		iph->protocol = proto;
		iph->tot_len = htons(sizeof(*iph) + esplen);
		iph->saddr = b->saddr.a4;
		iph->daddr = b->daddr.a4;
		ip_send_check(iph);
		skb->protocol = htons(ETH_P_IP);
		skb_reset_network_header(skb);
		iketcp_esp_set_mac(skb, dev);
		__skb_pull(skb, sizeof(*iph) + hlen);
		local_bh_disable();
		xfrm4_rcv_encap(skb, IPPROTO_ESP, 0, encap);
		local_bh_enable();
		return;
	}
#if IS_ENABLED(CONFIG_IPV6)
	{
		struct ipv6hdr *ip6h = skb_push(skb, sizeof(*ip6h));

		memset(ip6h, 0, sizeof(*ip6h));
		ip6h->version = 6;
		ip6h->hop_limit = 64;
		ip6h->nexthdr = proto;
		ip6h->payload_len = htons(esplen);
		ip6h->saddr = b->saddr.in6;
		ip6h->daddr = b->daddr.in6;
		skb->protocol = htons(ETH_P_IPV6);
		skb_reset_network_header(skb);
		iketcp_esp_set_mac(skb, dev);
		IP6CB(skb)->nhoff = offsetof(struct ipv6hdr, nexthdr);
		IP6CB(skb)->iif = dev->ifindex;
		__skb_pull(skb, sizeof(*ip6h) + hlen);
		local_bh_disable();
		xfrm6_rcv_encap(skb, IPPROTO_ESP, 0, encap);
		local_bh_enable();
	}
#else
	kfree_skb(skb);
#endif
}

/* An ESP record arrived on ctx's socket; skb is its private body. */
void iketcp_esp_rcv(struct iketcp_sock *ctx, struct sk_buff *skb)
{
	struct iketcp_sa_key key = {};
	struct iketcp_binding *b;
	u32 len = skb->len;

	skb_copy_bits(skb, 0, &key.spi, sizeof(key.spi));
	key.family = iketcp_esp_sock_family(ctx->sk);
	key.dir = IKETCP_DIR_IN;	/* daddr zero: see iketcp_hash_key() */

	rcu_read_lock();
	b = iketcp_binding_find(ctx->in, &key);
	if (!b || rcu_access_pointer(b->ctx) != ctx) {
		rcu_read_unlock();
		iketcp_count(ctx, IKETCP_CNT_RX_DROP_ESP_UNBOUND);
		iketcp_genl_event(ctx, IKETCP_EVENT_ESP_UNBOUND, IKETCP_DIR_IN,
				  key.spi);
		kfree_skb(skb);
		return;
	}
	if (len > iketcp_esp_max_len(b)) {
		rcu_read_unlock();
		iketcp_count(ctx, IKETCP_CNT_RX_DROP_ESP_TOO_BIG);
		kfree_skb(skb);
		return;
	}
	atomic64_inc(&b->packets);
	atomic64_add(len, &b->bytes);
	iketcp_count(ctx, IKETCP_CNT_RX_ESP_PKTS);
	iketcp_count_add(ctx, IKETCP_CNT_RX_ESP_BYTES, len);
	iketcp_esp_inject(ctx, b, skb);
	rcu_read_unlock();
}
