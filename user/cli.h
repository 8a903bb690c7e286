/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command line of iketcpd: parsing it into a struct ik_cmdline (pure,
 * tested in test_cli), the usage text, and the wording of errors.
 */
#ifndef IKETCPD_CLI_H
#define IKETCPD_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "nlmsg.h"

#define IKETCPD_VERSION "0.1"

enum ik_cmd_id {
	IK_CMD_HELP,
	IK_CMD_VERSION,
	IK_CMD_MODULE_STATUS,	/* iketcpd module status: the kernel module */
	IK_CMD_MODULE_SET,
	IK_CMD_RUN,
	IK_CMD_CHECK_CONFIG,
	IK_CMD_STATUS,		/* the daemon's SAs, over its control socket */
	IK_CMD_UP,
	IK_CMD_DOWN,
	IK_CMD_RELOAD,
};

struct ik_cmdline {
	enum ik_cmd_id cmd;
	bool json;			/* status --json */
	struct ik_limits limits;	/* set */
	const char *config;		/* run, check-config; status, up, down:
					 * where to read ctl_socket from */
	const char *socket;		/* status, up, down: --socket */
	const char *name;		/* up, down: the connection */
};

/* 0, or -1 with a message (no "iketcpd: " prefix) in err. */
int ik_parse_cmdline(int argc, char **argv, struct ik_cmdline *cl,
		     char *err, size_t errlen);

/* A byte count: digits with an optional K or M (x1024) suffix. */
int ik_parse_bytes(const char *s, uint32_t *out);

void ik_usage(FILE *f);

/*
 * One line explaining a failed netlink operation `what` (no prefix, no
 * newline): the module missing, CAP_NET_ADMIN missing, or errno plus the
 * kernel's extended ACK message.
 */
void ik_describe_error(char *buf, size_t size, const char *what,
		       const struct ik_nlerr *e, bool family_lookup);

#endif
