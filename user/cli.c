// SPDX-License-Identifier: GPL-2.0
/*
 * Command line parsing.  Kept apart from the commands so that the tests can
 * check every accepted and refused command line without a kernel.  Errors
 * name the argument at fault, since an operator types these by hand.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"

void ik_usage(FILE *f)
{
	fputs("usage: iketcpd run [--config FILE]\n"
	      "       iketcpd check-config [FILE]\n"
	      "       iketcpd status [--json] [--config FILE | --socket PATH]\n"
	      "       iketcpd {up|down} NAME [--config FILE | --socket PATH]\n"
	      "       iketcpd reload [--config FILE | --socket PATH]\n"
	      "       iketcpd module status [--json]\n"
	      "       iketcpd module set {rx-queue-limit|tx-queue-limit} BYTES ...\n"
	      "       iketcpd --help | --version\n"
	      "\n"
	      "  run      the IKEv2 daemon, in the foreground, logging to stderr;\n"
	      "           FILE defaults to " IK_CONFIG_PATH "\n"
	      "  check-config  load FILE as run would and report the first\n"
	      "           problem (file:line: what), or that it is valid\n"
	      "  status   the daemon's IKE and Child SAs (state, peer, transport,\n"
	      "           algorithms, SPIs, selectors, bytes and packets)\n"
	      "  up, down start or delete the IKE SAs of connection NAME\n"
	      "  reload   reread the daemon's config (as SIGHUP): unchanged\n"
	      "           connections keep their SAs\n"
	      "           (the control socket is ctl_socket of FILE, or PATH)\n"
	      "  module status  settings, counters and attached sockets of the\n"
	      "           iketcp module in this network namespace\n"
	      "  module set  change a queue limit (needs CAP_NET_ADMIN); BYTES\n"
	      "           may end in K or M (x1024), range 131070 to 64M\n", f);
}

int ik_parse_bytes(const char *s, uint32_t *out)
{
	unsigned long long v = 0, mult = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;	/* no sign, no space, no empty string */
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned long long)(*p - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	if (*p == 'k' || *p == 'K')
		mult = 1024, p++;
	else if (*p == 'm' || *p == 'M')
		mult = 1024 * 1024, p++;
	if (*p != '\0' || v * mult > UINT32_MAX)
		return -1;
	*out = (uint32_t)(v * mult);
	return 0;
}

static int parse_status(int argc, char **argv, struct ik_cmdline *cl,
			char *err, size_t errlen)
{
	int i;

	cl->cmd = IK_CMD_MODULE_STATUS;
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			cl->json = true;
			continue;
		}
		snprintf(err, errlen, "status: unknown argument '%s'", argv[i]);
		return -1;
	}
	return 0;
}

/* One "NAME BYTES" pair of `set`; the value is range-checked here. */
static int parse_limit(const char *name, const char *val,
		       struct ik_limits *lim, char *err, size_t errlen)
{
	bool rx = !strcmp(name, "rx-queue-limit");
	uint32_t v;

	if (!rx && strcmp(name, "tx-queue-limit")) {
		snprintf(err, errlen, "set: unknown setting '%s' "
			 "(rx-queue-limit or tx-queue-limit)", name);
		return -1;
	}
	if (!val) {
		snprintf(err, errlen, "set: %s needs a value in bytes", name);
		return -1;
	}
	if (ik_parse_bytes(val, &v)) {
		snprintf(err, errlen, "set: %s: '%s' is not a number of bytes "
			 "(e.g. 524288, 512K, 1M)", name, val);
		return -1;
	}
	if (v < IKETCP_QUEUE_LIMIT_MIN || v > IKETCP_QUEUE_LIMIT_MAX) {
		snprintf(err, errlen, "set: %s: %" PRIu32 " is out of range "
			 "(%u to %u bytes)", name, v, IKETCP_QUEUE_LIMIT_MIN,
			 IKETCP_QUEUE_LIMIT_MAX);
		return -1;
	}
	if (rx)
		lim->set_rx = true, lim->rx = v;
	else
		lim->set_tx = true, lim->tx = v;
	return 0;
}

static int parse_set(int argc, char **argv, struct ik_cmdline *cl,
		     char *err, size_t errlen)
{
	int i;

	cl->cmd = IK_CMD_MODULE_SET;
	if (argc == 0) {
		snprintf(err, errlen, "set: nothing to set "
			 "(rx-queue-limit BYTES or tx-queue-limit BYTES)");
		return -1;
	}
	for (i = 0; i < argc; i += 2)
		if (parse_limit(argv[i], i + 1 < argc ? argv[i + 1] : NULL,
				&cl->limits, err, errlen))
			return -1;
	return 0;
}

/* run [--config FILE] | check-config [FILE] */
static int parse_run(int argc, char **argv, struct ik_cmdline *cl,
		     char *err, size_t errlen)
{
	cl->cmd = IK_CMD_RUN;
	cl->config = IK_CONFIG_PATH;
	if (argc == 0)
		return 0;
	if (argc == 2 && (!strcmp(argv[0], "--config") ||
			  !strcmp(argv[0], "-c"))) {
		cl->config = argv[1];
		return 0;
	}
	snprintf(err, errlen, "run: unexpected argument '%s'", argv[0]);
	return -1;
}

static int parse_check_config(int argc, char **argv, struct ik_cmdline *cl,
			      char *err, size_t errlen)
{
	cl->cmd = IK_CMD_CHECK_CONFIG;
	cl->config = argc ? argv[0] : IK_CONFIG_PATH;
	if (argc > 1) {
		snprintf(err, errlen, "check-config: unexpected argument '%s'",
			 argv[1]);
		return -1;
	}
	return 0;
}

/* --config FILE | --socket PATH, shared by status, up and down */
static int parse_ctl_option(int argc, char **argv, int *i,
			    struct ik_cmdline *cl, char *err, size_t errlen)
{
	const char *opt = argv[*i];

	if (strcmp(opt, "--config") && strcmp(opt, "-c") &&
	    strcmp(opt, "--socket") && strcmp(opt, "-s"))
		return 1;
	if (*i + 1 >= argc) {
		snprintf(err, errlen, "%s needs a value", opt);
		return -1;
	}
	if (opt[2] == 'c' || opt[1] == 'c')
		cl->config = argv[++*i];
	else
		cl->socket = argv[++*i];
	return 0;
}

/* status [--json] | reload, [--config FILE | --socket PATH] */
static int parse_ctl_args(int argc, char **argv, struct ik_cmdline *cl,
			  char *err, size_t errlen, enum ik_cmd_id cmd)
{
	int i, rc;

	cl->cmd = cmd;
	for (i = 0; i < argc; i++) {
		if (cmd == IK_CMD_STATUS && (!strcmp(argv[i], "--json") ||
					     !strcmp(argv[i], "-j"))) {
			cl->json = true;
			continue;
		}
		rc = parse_ctl_option(argc, argv, &i, cl, err, errlen);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			snprintf(err, errlen, "%s: unknown argument '%s'",
				 cmd == IK_CMD_STATUS ? "status" : "reload",
				 argv[i]);
			return -1;
		}
	}
	return 0;
}

static int parse_daemon_status(int argc, char **argv, struct ik_cmdline *cl,
			       char *err, size_t errlen)
{
	return parse_ctl_args(argc, argv, cl, err, errlen, IK_CMD_STATUS);
}

static int parse_reload(int argc, char **argv, struct ik_cmdline *cl,
			char *err, size_t errlen)
{
	return parse_ctl_args(argc, argv, cl, err, errlen, IK_CMD_RELOAD);
}

/* up|down NAME [--config FILE | --socket PATH] */
static int parse_up_down(int argc, char **argv, struct ik_cmdline *cl,
			 char *err, size_t errlen, enum ik_cmd_id cmd)
{
	int i, rc;

	cl->cmd = cmd;
	for (i = 0; i < argc; i++) {
		rc = parse_ctl_option(argc, argv, &i, cl, err, errlen);
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		if (cl->name || argv[i][0] == '-') {
			snprintf(err, errlen, "unexpected argument '%s'",
				 argv[i]);
			return -1;
		}
		cl->name = argv[i];
	}
	if (!cl->name) {
		snprintf(err, errlen, "%s needs a connection name",
			 cmd == IK_CMD_UP ? "up" : "down");
		return -1;
	}
	return 0;
}

static int parse_up(int argc, char **argv, struct ik_cmdline *cl,
		    char *err, size_t errlen)
{
	return parse_up_down(argc, argv, cl, err, errlen, IK_CMD_UP);
}

static int parse_down(int argc, char **argv, struct ik_cmdline *cl,
		      char *err, size_t errlen)
{
	return parse_up_down(argc, argv, cl, err, errlen, IK_CMD_DOWN);
}

struct subcmd {
	const char *name;
	int (*parse)(int argc, char **argv, struct ik_cmdline *cl,
		     char *err, size_t errlen);
};

static const struct subcmd module_subcmds[] = {
	{ "status", parse_status },
	{ "set", parse_set },
	{ NULL, NULL },
};

static int parse_module(int argc, char **argv, struct ik_cmdline *cl,
			char *err, size_t errlen);

static const struct subcmd subcmds[] = {
	{ "run", parse_run },
	{ "check-config", parse_check_config },
	{ "status", parse_daemon_status },
	{ "up", parse_up },
	{ "down", parse_down },
	{ "reload", parse_reload },
	{ "module", parse_module },
	{ NULL, NULL },
};

/* argv[0] is the subcommand; any subcommand takes --help as well. */
static int dispatch(const struct subcmd *table, const char *what, int argc,
		    char **argv, struct ik_cmdline *cl, char *err,
		    size_t errlen)
{
	const struct subcmd *sc;

	for (sc = table; sc->name; sc++) {
		if (strcmp(argv[0], sc->name))
			continue;
		if (argc > 1 && (!strcmp(argv[1], "--help") ||
				 !strcmp(argv[1], "-h"))) {
			cl->cmd = IK_CMD_HELP;
			return 0;
		}
		return sc->parse(argc - 1, argv + 1, cl, err, errlen);
	}
	snprintf(err, errlen, "unknown %s '%s'", what, argv[0]);
	return -1;
}

static int parse_module(int argc, char **argv, struct ik_cmdline *cl,
			char *err, size_t errlen)
{
	if (argc < 1) {
		snprintf(err, errlen, "module: status or set?");
		return -1;
	}
	return dispatch(module_subcmds, "module command", argc, argv, cl, err,
			errlen);
}

int ik_parse_cmdline(int argc, char **argv, struct ik_cmdline *cl,
		     char *err, size_t errlen)
{
	memset(cl, 0, sizeof(*cl));
	if (argc < 2) {
		snprintf(err, errlen, "no command given");
		return -1;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		cl->cmd = IK_CMD_HELP;
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		cl->cmd = IK_CMD_VERSION;
		return 0;
	}
	return dispatch(subcmds, "command", argc - 1, argv + 1, cl, err,
			errlen);
}

void ik_describe_error(char *buf, size_t size, const char *what,
		       const struct ik_nlerr *e, bool family_lookup)
{
	if (family_lookup && e->err == -ENOENT) {
		snprintf(buf, size,
			 "the iketcp module is not loaded (modprobe iketcp)");
		return;
	}
	if (e->err == -EPERM || e->err == -EACCES) {
		snprintf(buf, size, "%s: permission denied: this needs "
			 "CAP_NET_ADMIN in the network namespace (run as root)",
			 what);
		return;
	}
	snprintf(buf, size, "%s: %s%s%s", what, strerror(-e->err),
		 e->msg[0] ? ": " : "", e->msg);
}
