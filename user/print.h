/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Output of `iketcpd status`, as text for people and as JSON for scripts.
 * Pure functions on a FILE, so the tests compare exact output.
 */
#ifndef IKETCPD_PRINT_H
#define IKETCPD_PRINT_H

#include <stdio.h>

#include "nlmsg.h"

const char *ik_framing_name(unsigned int framing);
const char *ik_role_name(unsigned int role);
/* "192.0.2.1:4500" or "[2001:db8::1]:4500" into buf (at least 64 bytes). */
void ik_format_endpoint(char *buf, size_t size, unsigned int family,
			const uint8_t *addr, unsigned int port);

void ik_print_text(FILE *f, const struct ik_netns *ns,
		   const struct ik_sock *socks, size_t nr);
void ik_print_json(FILE *f, const struct ik_netns *ns,
		   const struct ik_sock *socks, size_t nr);

#endif
