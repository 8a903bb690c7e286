// SPDX-License-Identifier: GPL-2.0
/*
 * The module as a whole: it loads, registers the "iketcp" ULP and generic
 * netlink family, refuses unload while a socket uses it, and unloads after.
 * Runs in the VM as root; IKETCP_MODULE names the .ko the harness loaded.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lib/genl_sa.h"
#include "uapi/linux/iketcp.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

static int module_loaded(void)
{
	char line[256];
	FILE *f = fopen("/proc/modules", "r");
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "iketcp ", 7))
			found = 1;
	fclose(f);
	return found;
}

static int run(const char *fmt, const char *arg)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), fmt, arg);
	return system(cmd);
}

/* A connected loopback pair: *cli connected to *srv (accepted). */
static void tcp_pair(struct __test_metadata *_metadata, int *cli, int *srv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int lfd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_GE(lfd, 0);
	ASSERT_EQ(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ASSERT_EQ(listen(lfd, 1), 0);
	ASSERT_EQ(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
	*cli = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_GE(*cli, 0);
	ASSERT_EQ(connect(*cli, (struct sockaddr *)&a, sizeof(a)), 0);
	*srv = accept(lfd, NULL, NULL);
	ASSERT_GE(*srv, 0);
	close(lfd);
}

/* Close so that the socket is destroyed now (RST), not after FIN_WAIT. */
static void close_now(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static int attach(int fd)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_ULP, IKETCP_ULP_NAME,
			  sizeof(IKETCP_ULP_NAME));
}

/* Resolve a generic netlink family; returns its id, fills *version. */
static int genl_family_id(const char *name, int *version)
{
	struct gsa_family f;
	int id = gsa_family_get(name, &f);

	if (id > 0)
		*version = f.version;
	return id;
}

TEST(module_is_loaded)
{
	ASSERT_EQ(module_loaded(), 1);
}

TEST(genl_family_resolves)
{
	int version = 0;

	ASSERT_GT(genl_family_id(IKETCP_GENL_NAME, &version), 0);
	ASSERT_EQ(version, IKETCP_GENL_VERSION);
}

TEST(ulp_attach_succeeds_on_connected_socket)
{
	int cli, srv;

	tcp_pair(_metadata, &cli, &srv);
	ASSERT_EQ(attach(cli), 0);
	ASSERT_EQ(attach(srv), 0);
	close_now(cli);
	close_now(srv);
}

TEST(ulp_attach_refused_on_unconnected_socket)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(attach(fd), -1);
	ASSERT_EQ(errno, ENOTCONN);
	close(fd);
}

TEST(unload_refused_while_attached_then_allowed)
{
	int cli, srv;

	tcp_pair(_metadata, &cli, &srv);
	ASSERT_EQ(attach(cli), 0);
	ASSERT_NE(run("rmmod %s 2>/dev/null", "iketcp"), 0);
	ASSERT_EQ(module_loaded(), 1);
	close_now(cli);
	close_now(srv);
	ASSERT_EQ(run("rmmod %s", "iketcp"), 0);
	ASSERT_EQ(module_loaded(), 0);
	ASSERT_EQ(run("insmod %s", getenv("IKETCP_MODULE")), 0);
}

TEST(ulp_attach_fails_without_module_and_works_after_load)
{
	const char *ko = getenv("IKETCP_MODULE");
	int version, cli, srv;

	ASSERT_NE(ko, NULL);
	ASSERT_EQ(run("rmmod %s", "iketcp"), 0);
	tcp_pair(_metadata, &cli, &srv);
	/* Not installed under /lib/modules, so autoloading cannot find it. */
	ASSERT_EQ(attach(cli), -1);
	ASSERT_EQ(errno, ENOENT);
	ASSERT_LT(genl_family_id(IKETCP_GENL_NAME, &version), 0);

	ASSERT_EQ(run("insmod %s", ko), 0);
	ASSERT_EQ(attach(cli), 0);
	ASSERT_GT(genl_family_id(IKETCP_GENL_NAME, &version), 0);
	close_now(cli);
	close_now(srv);
}


/*
 * What PID 1 runs as the kernel's modprobe helper, in its own root (the VM
 * harness runs tests in a chroot): the chroot it applies, read from its
 * script ("exec chroot DIR ..."), or "" when it is not the harness's.
 */
static void helper_root(char *out, size_t len)
{
	char buf[200], *p, *e;
	FILE *f;

	*out = 0;
	f = fopen("/proc/sys/kernel/modprobe", "r");
	if (!f)
		return;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	snprintf(out, len, "/proc/1/root%s", buf);
	f = fopen(out, "r");
	*out = 0;
	if (!f)
		return;
	while (fgets(buf, sizeof(buf), f)) {
		p = strstr(buf, "exec chroot ");
		if (!p)
			continue;
		p += strlen("exec chroot ");
		e = strchr(p, ' ');
		if (e) {
			*e = 0;
			snprintf(out, len, "%s", p);
		}
	}
	fclose(f);
}

/*
 * Autoloading: TCP_ULP "iketcp" with the module not loaded makes the
 * kernel request "tcp-ulp-iketcp", and the module's alias answers it.  The
 * module is installed in a private module tree (depmod reads its aliases
 * from the .ko) and the kernel's modprobe helper pointed at a script that
 * logs the request and runs modprobe on that tree.
 */
TEST(ulp_attach_autoloads_module_by_tcp_ulp_alias)
{
	const char *ko = getenv("IKETCP_MODULE");
	char root[512], old[256] = "", cmd[4096], req[256] = "";
	const char *dir = "/tmp/iketcp-autoload";
	struct utsname u;
	int cli, srv, version, ok;
	FILE *f;

	helper_root(root, sizeof(root));
	if (!ko || !*root)
		SKIP(return, "needs IKETCP_MODULE and the VM harness's modprobe helper");
	ASSERT_EQ(uname(&u), 0);
	f = fopen("/proc/sys/kernel/modprobe", "r");
	ASSERT_NE(f, NULL);
	ASSERT_NE(fgets(old, sizeof(old), f), NULL);
	fclose(f);
	old[strcspn(old, "\n")] = 0;

	snprintf(cmd, sizeof(cmd),
		 "rm -rf %1$s && mkdir -p %1$s/lib/modules/%2$s/extra && "
		 "cp %3$s %1$s/lib/modules/%2$s/extra/ && "
		 "depmod -b %1$s %2$s && "
		 "grep -q 'tcp-ulp-iketcp iketcp' %1$s/lib/modules/%2$s/modules.alias && "
		 "printf '#!/bin/sh\\necho \"$*\" >> %4$s%1$s/requests\\n"
		 "exec chroot %4$s /sbin/modprobe -d %1$s \"$@\"\\n' > %1$s/helper && "
		 "chmod 755 %1$s/helper",
		 dir, u.release, ko, root);
	ASSERT_EQ(system(cmd), 0) TH_LOG("module tree: %s", cmd);

	ASSERT_EQ(run("rmmod %s", "iketcp"), 0);
	ASSERT_EQ(module_loaded(), 0);
	tcp_pair(_metadata, &cli, &srv);
	f = fopen("/proc/sys/kernel/modprobe", "w");
	ASSERT_NE(f, NULL);
	fprintf(f, "%s%s/helper\n", root, dir);
	fclose(f);
	ok = attach(cli);
	f = fopen("/proc/sys/kernel/modprobe", "w");
	if (f) {
		fprintf(f, "%s\n", old);
		fclose(f);
	}
	if (module_loaded() != 1)
		run("insmod %s", ko);	/* leave it loaded for the others */

	EXPECT_EQ(ok, 0) TH_LOG("TCP_ULP after autoload: %s", strerror(errno));
	EXPECT_EQ(module_loaded(), 1);
	snprintf(cmd, sizeof(cmd), "%s/requests", dir);
	f = fopen(cmd, "r");
	ASSERT_NE(f, NULL) TH_LOG("the kernel requested no module");
	if (!fgets(req, sizeof(req), f))
		req[0] = 0;
	fclose(f);
	EXPECT_NE(strstr(req, "tcp-ulp-iketcp"), NULL)
		TH_LOG("modprobe was asked for \"%s\"", req);
	EXPECT_GT(genl_family_id(IKETCP_GENL_NAME, &version), 0);
	close_now(cli);
	close_now(srv);
}

TEST_HARNESS_MAIN
