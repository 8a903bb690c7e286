/* SPDX-License-Identifier: GPL-2.0 */
/*
 * From a connection of the config (struct ik_conn) to what the IKE engine
 * needs of it (struct ike_conn_params), and the address checks that pick a
 * connection for an incoming IKE_SA_INIT.
 */
#ifndef IKETCPD_CONN_H
#define IKETCPD_CONN_H

#include <sys/socket.h>

#include "config.h"
#include "ike/sa.h"

/* 0, or -1 with the reason in err (a proposal set too large, an ID too
 * long for the engine; with auth = pubkey, a cert, key or ca file that
 * does not load, or a local_id the certificate does not carry).  With
 * auth = pubkey, p->cred is allocated: ik_conn_params_free() it. */
int ik_conn_params(const struct ik_conn *c, struct ike_conn_params *p,
		   char *err, size_t errlen);
/* Frees what ik_conn_params() allocated (the credentials, private key
 * included); p itself is the caller's. */
void ik_conn_params_free(struct ike_conn_params *p);

/* Does connection c accept an IKE_SA_INIT from remote to local? */
bool ik_conn_matches(const struct ik_conn *c,
		     const struct sockaddr_storage *local,
		     const struct sockaddr_storage *remote);

/* The address of a (family AF_INET/6) as a sockaddr with port. */
void ik_addr_to_ss(const struct ik_addr *a, uint16_t port,
		   struct sockaddr_storage *ss);

#endif
