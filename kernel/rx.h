/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IKETCP_RX_H
#define IKETCP_RX_H

#include <net/sock.h>

struct iketcp_sock;

void iketcp_rx_read(struct iketcp_sock *ctx, gfp_t gfp);
void iketcp_data_ready(struct sock *sk);
bool iketcp_rx_readable(const struct iketcp_sock *ctx);
int iketcp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags,
		   int *addr_len);
void iketcp_rx_purge(struct iketcp_sock *ctx);

#endif /* IKETCP_RX_H */
