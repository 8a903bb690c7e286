/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IKETCP_ESP_H
#define IKETCP_ESP_H

#include <linux/netlink.h>
#include <linux/skbuff.h>
#include <net/xfrm.h>

struct iketcp_net;
struct iketcp_sock;

/* What identifies a binding in its namespace; zeroed padding included. */
struct iketcp_sa_key {
	xfrm_address_t daddr;
	__be32 spi;
	u16 family;
	u8 dir;			/* enum iketcp_dir */
	u8 pad;
};

struct iketcp_binding {
	struct hlist_node hnode;	/* iketcp_net.bindings */
	struct list_head sock_node;	/* iketcp_sock.bindings; empty: orphan */
	struct iketcp_sock __rcu *ctx;	/* NULL once orphaned */
	struct iketcp_sa_key key;	/* IN: daddr zero (esp.c) */
	xfrm_address_t daddr;		/* the SA's destination address */
	xfrm_address_t saddr;
	u8 encap;			/* enum iketcp_encap */
	__be16 sport, dport;		/* UDP encapsulation ports */
	atomic64_t packets, bytes;
	struct rcu_head rcu;
};

struct iketcp_sa_spec {
	struct iketcp_sa_key key;
	xfrm_address_t saddr;
	u8 encap;
	__be16 sport, dport;
};

u16 iketcp_esp_sock_family(const struct sock *sk);
void iketcp_esp_sock_addrs(struct sock *sk, u8 dir, xfrm_address_t *saddr,
			   xfrm_address_t *daddr);
int iketcp_esp_bind(struct iketcp_sock *ctx, const struct iketcp_sa_spec *spec,
		    struct netlink_ext_ack *extack);
int iketcp_esp_unbind(struct iketcp_net *in, const struct iketcp_sa_key *key);
void iketcp_esp_sock_close(struct iketcp_sock *ctx);
void iketcp_esp_rcv(struct iketcp_sock *ctx, struct sk_buff *skb);
void iketcp_state_change(struct sock *sk);
void iketcp_esp_netns_exit(struct iketcp_net *in);

#endif /* IKETCP_ESP_H */
