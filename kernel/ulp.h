/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IKETCP_ULP_H
#define IKETCP_ULP_H

struct iketcp_sock;

struct sock;

int iketcp_set_role(struct iketcp_sock *ctx, int role);
struct iketcp_sock *iketcp_sk_if_ours(struct sock *sk);
int iketcp_ulp_init(void);
void iketcp_ulp_exit(void);

#endif /* IKETCP_ULP_H */
