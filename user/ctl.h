/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control socket: a root-only Unix stream socket on which the daemon
 * takes one command line per connection ("status", "status json",
 * "up NAME", "down NAME") and answers with text (or JSON) then closes.
 * The first line of an answer is "ok" or "error: WHY".
 *
 * Server side (daemon.c): ik_ctl_listen(), then ik_ctl_accept() when the
 * socket is readable; the daemon's callback produces the answer.  Client
 * side (the CLI): ik_ctl_request().
 */
#ifndef IKETCPD_CTL_H
#define IKETCPD_CTL_H

#include <stdio.h>

#define IK_CTL_MAX_LINE	256

/* Bind and listen at path (its directory made 0700, the socket 0600). */
int ik_ctl_listen(const char *path, char *err, size_t errlen);

/*
 * Accept one client, read its command line (bounded, with a short timeout:
 * a stuck client cannot stall the daemon) and hand it to answer(), which
 * writes the reply to f.
 */
void ik_ctl_accept(int lfd, void (*answer)(void *ctx, const char *cmd,
					    FILE *f), void *ctx);

/* Send cmd to the daemon at path and copy its answer to out; returns 0 if
 * the answer began with "ok", 1 if with "error", -1 if no daemon answered
 * (the cause in err). */
int ik_ctl_request(const char *path, const char *cmd, FILE *out, char *err,
		   size_t errlen);

#endif
