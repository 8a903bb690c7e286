// SPDX-License-Identifier: GPL-2.0
/*
 * `status` and `set`: one netlink socket per run, requests built and parsed
 * by nlmsg.c, output by print.c.  status collects the whole socket dump
 * before printing so that the JSON is one well-formed document.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "ctl.h"
#include "genl.h"
#include "print.h"

static void report(const char *what, const struct ik_nlerr *e, bool lookup)
{
	char msg[512];

	ik_describe_error(msg, sizeof(msg), what, e, lookup);
	fprintf(stderr, "iketcpd: %s\n", msg);
}

static int open_family(struct ik_genl *g)
{
	struct ik_nlerr e;
	bool lookup;

	if (ik_genl_open(g, &e, &lookup) == 0)
		return 0;
	report(lookup ? "looking up the iketcp netlink family" :
			"opening a netlink socket", &e, lookup);
	return -1;
}

static int netns_cb(const struct nlmsghdr *nlh, void *data)
{
	return ik_parse_netns(nlh, data);
}

struct sock_list {
	struct ik_sock *v;
	size_t nr;
	size_t cap;
};

static int sock_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sock_list *l = data;

	if (l->nr == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct ik_sock *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if (ik_parse_sock(nlh, &l->v[l->nr]))
		return -EPROTO;
	l->nr++;
	return 0;
}

static int get_status(struct ik_genl *g, struct ik_netns *ns,
		      struct sock_list *l)
{
	char req[IK_REQ_SIZE];
	struct ik_nlerr e;

	if (ik_genl_run(g, ik_req_get_netns(req, g->family, 0), netns_cb, ns,
			&e)) {
		report("reading the namespace settings", &e, false);
		return -1;
	}
	if (ik_genl_run(g, ik_req_get_sockets(req, g->family, 0), sock_cb, l,
			&e)) {
		report("listing the attached sockets", &e, false);
		return -1;
	}
	return 0;
}

int ik_cmd_status(const struct ik_cmdline *cl)
{
	struct sock_list l = { 0 };
	struct ik_netns ns;
	struct ik_genl g;
	int rc = 1;

	if (open_family(&g))
		return 1;
	if (get_status(&g, &ns, &l) == 0) {
		if (cl->json)
			ik_print_json(stdout, &ns, l.v, l.nr);
		else
			ik_print_text(stdout, &ns, l.v, l.nr);
		rc = fflush(stdout) ? 1 : 0;
	}
	free(l.v);
	ik_genl_close(&g);
	return rc;
}

int ik_cmd_set(const struct ik_cmdline *cl)
{
	char req[IK_REQ_SIZE];
	struct ik_nlerr e;
	struct ik_genl g;
	int rc = 0;

	if (open_family(&g))
		return 1;
	if (ik_genl_run(&g, ik_req_set_netns(req, g.family, 0, &cl->limits),
			NULL, NULL, &e)) {
		report("set", &e, false);
		rc = 1;
	}
	ik_genl_close(&g);
	return rc;
}

int ik_cmd_check_config(const char *path)
{
	struct ik_config *cfg;
	char err[512];

	if (ik_config_load(path, &cfg, err, sizeof(err))) {
		fprintf(stderr, "iketcpd: %s\n", err);
		return 1;
	}
	printf("%s: valid, %zu connection(s)\n", path, cfg->n_conns);
	ik_config_free(cfg);
	return 0;
}

/*
 * The daemon's control socket: --socket, else ctl_socket of --config (or
 * of the default config file when it is readable), else the default path.
 */
static int ctl_path(const struct ik_cmdline *cl, char *buf, size_t len)
{
	const char *file = cl->config;
	struct ik_config *cfg;
	char err[512];

	if (cl->socket) {
		snprintf(buf, len, "%s", cl->socket);
		return 0;
	}
	if (!file && access(IK_CONFIG_PATH, R_OK) == 0)
		file = IK_CONFIG_PATH;
	if (!file) {
		snprintf(buf, len, "%s", IK_CTL_SOCKET_DEFAULT);
		return 0;
	}
	if (ik_config_load(file, &cfg, err, sizeof(err))) {
		fprintf(stderr, "iketcpd: %s\n", err);
		return -1;
	}
	snprintf(buf, len, "%s", cfg->global.ctl_socket);
	ik_config_free(cfg);
	return 0;
}

int ik_cmd_control(const struct ik_cmdline *cl)
{
	char path[256], cmd[IK_CTL_MAX_LINE], err[512];
	int rc;

	if (ctl_path(cl, path, sizeof(path)))
		return 1;
	if (cl->cmd == IK_CMD_STATUS)
		snprintf(cmd, sizeof(cmd), "status%s", cl->json ? " json" : "");
	else if (cl->cmd == IK_CMD_RELOAD)
		snprintf(cmd, sizeof(cmd), "reload");
	else
		snprintf(cmd, sizeof(cmd), "%s %s",
			 cl->cmd == IK_CMD_UP ? "up" : "down", cl->name);
	rc = ik_ctl_request(path, cmd, stdout, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "iketcpd: %s\n", err);
	return rc ? 1 : 0;
}
