/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IKETCP_ULP_H
#define IKETCP_ULP_H

struct iketcp_sock;

int iketcp_set_role(struct iketcp_sock *ctx, int role);
int iketcp_ulp_init(void);
void iketcp_ulp_exit(void);

#endif /* IKETCP_ULP_H */
