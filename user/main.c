// SPDX-License-Identifier: GPL-2.0
/*
 * iketcpd: the IKEv2 helper (run, and its control commands) and the
 * operator's tool for the iketcp module (module status, module set).  main() only parses and dispatches; each
 * subcommand lives in its own function so new ones slot in here.
 * Exit status: 0 success, 1 the operation failed, 2 bad command line.
 */
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "daemon.h"

int main(int argc, char **argv)
{
	struct ik_cmdline cl;
	char err[256];

	if (ik_parse_cmdline(argc, argv, &cl, err, sizeof(err))) {
		fprintf(stderr, "iketcpd: %s\n", err);
		fprintf(stderr, "Try 'iketcpd --help'.\n");
		return 2;
	}
	switch (cl.cmd) {
	case IK_CMD_HELP:
		ik_usage(stdout);
		return 0;
	case IK_CMD_VERSION:
		printf("iketcpd %s\n", IKETCPD_VERSION);
		return 0;
	case IK_CMD_MODULE_STATUS:
		return ik_cmd_status(&cl);
	case IK_CMD_MODULE_SET:
		return ik_cmd_set(&cl);
	case IK_CMD_STATUS:
	case IK_CMD_UP:
	case IK_CMD_DOWN:
	case IK_CMD_RELOAD:
		return ik_cmd_control(&cl);
	case IK_CMD_RUN:
		return ik_daemon_run(cl.config);
	case IK_CMD_CHECK_CONFIG:
		return ik_cmd_check_config(cl.config);
	}
	return 2;
}
