/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IKETCP_TX_H
#define IKETCP_TX_H

#include <net/sock.h>

struct iketcp_sock;

/* Record kinds on the send queue, in IKETCP_SKB_CB(skb)->kind. */
enum iketcp_tx_kind {
	IKETCP_TX_PREFIX,
	IKETCP_TX_IKE,
	IKETCP_TX_ESP,
};

int iketcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size);
void iketcp_tx_push(struct iketcp_sock *ctx);
void iketcp_write_space(struct sock *sk);
bool iketcp_tx_writable(struct iketcp_sock *ctx);
int iketcp_tx_queue_prefix(struct iketcp_sock *ctx);
void iketcp_tx_queue_esp(struct iketcp_sock *ctx, struct sk_buff *skb);
void iketcp_tx_shutdown(struct iketcp_sock *ctx, int how);
void iketcp_tx_close(struct iketcp_sock *ctx);

#endif /* IKETCP_TX_H */
