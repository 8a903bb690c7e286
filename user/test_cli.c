// SPDX-License-Identifier: GPL-2.0
/*
 * Command lines iketcpd accepts and refuses, and the wording of its errors
 * (operators read them; the module-not-loaded and CAP_NET_ADMIN ones are
 * part of the documented interface).
 */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "ktap.h"

static char err[256];

#define PARSE(cl, ...) ({ \
	char *argv_[] = { "iketcpd", __VA_ARGS__, NULL }; \
	err[0] = '\0'; \
	ik_parse_cmdline(sizeof(argv_) / sizeof(argv_[0]) - 1, argv_, cl, \
			 err, sizeof(err)); \
})

static void no_command_is_a_usage_error(void)
{
	struct ik_cmdline cl;
	char *argv[] = { "iketcpd", NULL };

	CHECK(ik_parse_cmdline(1, argv, &cl, err, sizeof(err)) == -1);
	CHECK(strstr(err, "no command") != NULL);
}

static void help_and_version(void)
{
	struct ik_cmdline cl;

	CHECK(PARSE(&cl, "--help") == 0 && cl.cmd == IK_CMD_HELP);
	CHECK(PARSE(&cl, "-h") == 0 && cl.cmd == IK_CMD_HELP);
	CHECK(PARSE(&cl, "module", "status", "--help") == 0 && cl.cmd == IK_CMD_HELP);
	CHECK(PARSE(&cl, "module", "set", "--help") == 0 && cl.cmd == IK_CMD_HELP);
	CHECK(PARSE(&cl, "--version") == 0 && cl.cmd == IK_CMD_VERSION);
	CHECK(PARSE(&cl, "-V") == 0 && cl.cmd == IK_CMD_VERSION);
}

static void status_with_and_without_json(void)
{
	struct ik_cmdline cl;

	CHECK(PARSE(&cl, "module", "status") == 0);
	CHECK(cl.cmd == IK_CMD_MODULE_STATUS && !cl.json);
	CHECK(PARSE(&cl, "module", "status", "--json") == 0);
	CHECK(cl.cmd == IK_CMD_MODULE_STATUS && cl.json);
}

static void status_unknown_argument_is_named(void)
{
	struct ik_cmdline cl;

	CHECK(PARSE(&cl, "module", "status", "--jsn") == -1);
	CHECK(strstr(err, "'--jsn'") != NULL);
}

static void unknown_command_is_named(void)
{
	struct ik_cmdline cl;

	CHECK(PARSE(&cl, "stats") == -1);
	CHECK(strstr(err, "'stats'") != NULL);
}

static void set_one_limit(void)
{
	struct ik_cmdline cl;

	CHECK(PARSE(&cl, "module", "set", "rx-queue-limit", "1048576") == 0);
	CHECK(cl.cmd == IK_CMD_MODULE_SET);
	CHECK(cl.limits.set_rx && cl.limits.rx == 1048576);
	CHECK(!cl.limits.set_tx);
	CHECK(PARSE(&cl, "module", "set", "tx-queue-limit", "131070") == 0);
	CHECK(cl.limits.set_tx && cl.limits.tx == 131070 && !cl.limits.set_rx);
}

static void set_both_limits_with_suffixes(void)
{
	struct ik_cmdline cl;

	CHECK(PARSE(&cl, "module", "set", "rx-queue-limit", "512K",
		    "tx-queue-limit", "64M") == 0);
	CHECK(cl.limits.set_rx && cl.limits.rx == 512 * 1024);
	CHECK(cl.limits.set_tx && cl.limits.tx == 64 << 20);
}

static void set_bad_number_names_the_argument(void)
{
	struct ik_cmdline cl;

	CHECK(PARSE(&cl, "module", "set", "rx-queue-limit", "12x") == -1);
	CHECK(strstr(err, "rx-queue-limit") && strstr(err, "'12x'"));
	CHECK(PARSE(&cl, "module", "set", "tx-queue-limit", "-1") == -1);
	CHECK(strstr(err, "tx-queue-limit") && strstr(err, "'-1'"));
}

static void set_out_of_range_names_the_argument_and_range(void)
{
	struct ik_cmdline cl;

	CHECK(PARSE(&cl, "module", "set", "rx-queue-limit", "131069") == -1);
	CHECK(strstr(err, "rx-queue-limit") && strstr(err, "out of range"));
	CHECK(strstr(err, "131070") && strstr(err, "67108864"));
	CHECK(PARSE(&cl, "module", "set", "tx-queue-limit", "65M") == -1);
	CHECK(strstr(err, "tx-queue-limit") && strstr(err, "out of range"));
}

static void set_missing_value_or_setting(void)
{
	struct ik_cmdline cl;
	char *argv[] = { "iketcpd", "module", "set", NULL };

	CHECK(ik_parse_cmdline(3, argv, &cl, err, sizeof(err)) == -1);
	CHECK(strstr(err, "nothing to set") != NULL);
	CHECK(PARSE(&cl, "module", "set", "rx-queue-limit") == -1);
	CHECK(strstr(err, "rx-queue-limit needs a value") != NULL);
	CHECK(PARSE(&cl, "module", "set", "queue-limit", "1M") == -1);
	CHECK(strstr(err, "'queue-limit'") != NULL);
}

static void parse_bytes_rules(void)
{
	uint32_t v = 7;

	CHECK(ik_parse_bytes("0", &v) == 0 && v == 0);
	CHECK(ik_parse_bytes("4294967295", &v) == 0 && v == 4294967295u);
	CHECK(ik_parse_bytes("4194303K", &v) == 0 && v == 4194303u * 1024);
	CHECK(ik_parse_bytes("1m", &v) == 0 && v == 1 << 20);
	CHECK(ik_parse_bytes("4294967296", &v) == -1);
	CHECK(ik_parse_bytes("99999999999999999999999", &v) == -1);
	CHECK(ik_parse_bytes("4096M", &v) == -1);
	CHECK(ik_parse_bytes("", &v) == -1);
	CHECK(ik_parse_bytes(" 1", &v) == -1);
	CHECK(ik_parse_bytes("+1", &v) == -1);
	CHECK(ik_parse_bytes("1.5M", &v) == -1);
	CHECK(ik_parse_bytes("1KB", &v) == -1);
	CHECK(ik_parse_bytes("1G", &v) == -1);
}

static void error_module_not_loaded(void)
{
	struct ik_nlerr e = { .err = -ENOENT };
	char buf[256];

	ik_describe_error(buf, sizeof(buf), "looking up", &e, true);
	CHECK(!strcmp(buf,
		      "the iketcp module is not loaded (modprobe iketcp)"));
	/* ENOENT from a command is not about the module. */
	ik_describe_error(buf, sizeof(buf), "set", &e, false);
	CHECK(strstr(buf, "modprobe") == NULL);
}

static void error_eperm_says_cap_net_admin(void)
{
	struct ik_nlerr e = { .err = -EPERM };
	char buf[256];

	ik_describe_error(buf, sizeof(buf), "set", &e, false);
	CHECK(strstr(buf, "set: ") == buf);
	CHECK(strstr(buf, "CAP_NET_ADMIN") != NULL);
}

static void error_other_gives_errno_and_extack(void)
{
	struct ik_nlerr e = { .err = -EINVAL, .msg = "value out of range" };
	char buf[256];

	ik_describe_error(buf, sizeof(buf), "set", &e, false);
	CHECK(!strcmp(buf, "set: Invalid argument: value out of range"));
	e.msg[0] = '\0';
	ik_describe_error(buf, sizeof(buf), "set", &e, false);
	CHECK(!strcmp(buf, "set: Invalid argument"));
}

static void daemon_status_up_down(void)
{
	struct ik_cmdline cl;

	CHECK(PARSE(&cl, "status") == 0 && cl.cmd == IK_CMD_STATUS && !cl.json);
	CHECK(PARSE(&cl, "status", "--json", "--socket", "/run/x.ctl") == 0);
	CHECK(cl.cmd == IK_CMD_STATUS && cl.json &&
	      !strcmp(cl.socket, "/run/x.ctl"));
	CHECK(PARSE(&cl, "up", "site-b") == 0 && cl.cmd == IK_CMD_UP &&
	      !strcmp(cl.name, "site-b"));
	CHECK(PARSE(&cl, "down", "site-b", "--config", "/etc/x.conf") == 0);
	CHECK(cl.cmd == IK_CMD_DOWN && !strcmp(cl.config, "/etc/x.conf"));
	CHECK(PARSE(&cl, "up") == -1 && strstr(err, "connection name"));
	CHECK(PARSE(&cl, "down", "a", "b") == -1 && strstr(err, "'b'"));
	CHECK(PARSE(&cl, "status", "--socket") == -1 &&
	      strstr(err, "--socket needs a value"));
	CHECK(PARSE(&cl, "reload") == 0 && cl.cmd == IK_CMD_RELOAD);
	CHECK(PARSE(&cl, "reload", "--json") == -1 &&
	      strstr(err, "reload: unknown argument '--json'"));
}

static void run_and_check_config(void)
{
	struct ik_cmdline cl;

	CHECK(PARSE(&cl, "run") == 0 && cl.cmd == IK_CMD_RUN &&
	      !strcmp(cl.config, IK_CONFIG_PATH));
	CHECK(PARSE(&cl, "run", "--config", "/x.conf") == 0 &&
	      !strcmp(cl.config, "/x.conf"));
	CHECK(PARSE(&cl, "run", "extra") == -1 && strstr(err, "'extra'"));
	CHECK(PARSE(&cl, "check-config", "/y.conf") == 0 &&
	      cl.cmd == IK_CMD_CHECK_CONFIG && !strcmp(cl.config, "/y.conf"));
}

static void module_needs_a_subcommand(void)
{
	struct ik_cmdline cl;
	char *argv[] = { "iketcpd", "module", NULL };

	CHECK(ik_parse_cmdline(2, argv, &cl, err, sizeof(err)) == -1);
	CHECK(strstr(err, "status or set") != NULL);
	CHECK(PARSE(&cl, "module", "stat") == -1 && strstr(err, "'stat'"));
}

static const struct ktap_case cases[] = {
	KTAP_CASE(daemon_status_up_down),
	KTAP_CASE(run_and_check_config),
	KTAP_CASE(module_needs_a_subcommand),
	KTAP_CASE(no_command_is_a_usage_error),
	KTAP_CASE(help_and_version),
	KTAP_CASE(status_with_and_without_json),
	KTAP_CASE(status_unknown_argument_is_named),
	KTAP_CASE(unknown_command_is_named),
	KTAP_CASE(set_one_limit),
	KTAP_CASE(set_both_limits_with_suffixes),
	KTAP_CASE(set_bad_number_names_the_argument),
	KTAP_CASE(set_out_of_range_names_the_argument_and_range),
	KTAP_CASE(set_missing_value_or_setting),
	KTAP_CASE(parse_bytes_rules),
	KTAP_CASE(error_module_not_loaded),
	KTAP_CASE(error_eperm_says_cap_net_admin),
	KTAP_CASE(error_other_gives_errno_and_extack),
};

KTAP_MAIN(cases)
