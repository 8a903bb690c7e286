/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The certificate tests' PKI (test_cert.c, test_engine_cert.c): made once
 * per test program, before its cases fork, by selftests/certs/make-certs.sh
 * (see there for what it holds) into a temporary directory that the program
 * removes at exit.  IKETCP_TEST_PKI=DIR uses an existing one instead (kept);
 * IKETCP_MAKE_CERTS=PATH names the script (default: found from user/,
 * where make check runs).  pki("p256/a.pem") is a path in it.
 */
#ifndef IKETCPD_TEST_PKI_H
#define IKETCPD_TEST_PKI_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char pki_dir[128];
static pid_t pki_owner;		/* the process that made it, and removes it */

static void pki_remove(void)
{
	char cmd[192];

	if (getpid() != pki_owner || !pki_dir[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", pki_dir);
	if (system(cmd))
		fprintf(stderr, "# could not remove %s\n", pki_dir);
}

__attribute__((constructor)) static void pki_make(void)
{
	static const char *const scripts[] = {
		"../selftests/certs/make-certs.sh",
		"selftests/certs/make-certs.sh",
	};
	const char *env = getenv("IKETCP_TEST_PKI");
	const char *script = getenv("IKETCP_MAKE_CERTS");
	char cmd[512];
	size_t i;

	if (env) {
		snprintf(pki_dir, sizeof(pki_dir), "%s", env);
		return;
	}
	for (i = 0; !script && i < sizeof(scripts) / sizeof(scripts[0]); i++)
		if (access(scripts[i], R_OK) == 0)
			script = scripts[i];
	snprintf(pki_dir, sizeof(pki_dir), "/tmp/iketcp-pki.XXXXXX");
	if (!script || !mkdtemp(pki_dir)) {
		printf("# no make-certs.sh or no temporary directory\n");
		pki_dir[0] = '\0';
		return;
	}
	pki_owner = getpid();
	atexit(pki_remove);
	snprintf(cmd, sizeof(cmd), "sh '%s' '%s' > /dev/null", script,
		 pki_dir);
	if (system(cmd)) {
		printf("# %s failed\n", cmd);
		pki_remove();
		pki_dir[0] = '\0';
	}
}

/* A path in the PKI; eight at a time stay valid. */
static const char *pki(const char *rel)
{
	static char paths[8][192];
	static unsigned n;
	char *p = paths[n++ % 8];

	snprintf(p, sizeof(paths[0]), "%s/%s", pki_dir, rel);
	return p;
}

#endif
