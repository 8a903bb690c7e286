/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `iketcpd status`: the daemon's IKE and Child SAs as text or JSON
 * (json-c), written by the daemon for its control socket.  Per IKE SA:
 * connection, state, role, peer and local addresses with ports, the
 * transport, algorithms, age; per Child SA: SPIs, mode, encapsulation,
 * traffic selectors, algorithms, bytes and packets from the kernel.
 */
#ifndef IKETCPD_STATUS_H
#define IKETCPD_STATUS_H

#include <stdbool.h>
#include <stdio.h>

#include "ike/sa.h"

struct ik_child_stats {
	bool ok;			/* the kernel answered */
	uint64_t in_bytes, in_packets, out_bytes, out_packets;
};

typedef void (*ik_child_stats_fn)(void *ctx, const struct ike_sa *sa,
				  const struct child_sa *c,
				  struct ik_child_stats *st);

void ik_status_write(FILE *f, bool json, const struct ike_sa_table *t,
		     uint64_t now_ms, ik_child_stats_fn stats, void *ctx);

const char *ik_sa_state_name(enum ike_sa_state s);

#endif
