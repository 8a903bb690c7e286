/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The subcommands main.c dispatches to.  Each returns the process exit
 * status: 0 done, 1 failed (an error was printed).
 */
#ifndef IKETCPD_COMMANDS_H
#define IKETCPD_COMMANDS_H

#include "cli.h"

int ik_cmd_status(const struct ik_cmdline *cl);
int ik_cmd_set(const struct ik_cmdline *cl);

/* status, up, down: a request on the daemon's control socket. */
int ik_cmd_control(const struct ik_cmdline *cl);

/* check-config FILE: 0 valid, 1 not (the problem on stderr). */
int ik_cmd_check_config(const char *path);

#endif
