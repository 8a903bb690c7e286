/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal KTAP runner for the user/ unit tests: each case is a function;
 * CHECK() records a failure with its line and carries on, so one run shows
 * every broken rule.  Output is what selftests/summarize counts.
 *
 * Each case runs in a child process of its own.  The tests are built with
 * ASan and UBSan and -fno-sanitize-recover: a sanitizer report ends the
 * process, and in one process it would take the case's result line and
 * every later case with it.  Here the parent reports the dead case as
 * "not ok" with the signal or exit status, and goes on with the next.
 */
#ifndef IKETCPD_KTAP_H
#define IKETCPD_KTAP_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct ktap_case {
	const char *name;
	void (*fn)(void);
};

#define KTAP_CASE(fn) { #fn, fn }

/*
 * Exit status of a case whose CHECK()s failed.  Not 1: that is what ASan
 * and UBSan exit with after a report.
 */
#define KTAP_CASE_FAILED 3

static bool ktap_case_failed;

#define CHECK(cond) do { \
	if (!(cond)) { \
		printf("# %s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
		ktap_case_failed = true; \
	} \
} while (0)

/*
 * Run case c in a child.  True if it passed; else why, if it did not just
 * fail a CHECK(), goes to why[] (empty otherwise).
 */
static inline bool ktap_run_one(const struct ktap_case *c, char *why,
				size_t len)
{
	int status;
	pid_t pid;

	why[0] = '\0';
	fflush(stdout);		/* or the child would print it again */
	pid = fork();
	if (pid < 0) {
		snprintf(why, len, " # fork: %s", strerror(errno));
		return false;
	}
	if (pid == 0) {
		c->fn();
		/* exit(), not _exit(): flushes stdout, runs LeakSanitizer */
		exit(ktap_case_failed ? KTAP_CASE_FAILED : 0);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(why, len, " # waitpid: %s", strerror(errno));
			return false;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	if (WIFSIGNALED(status))
		snprintf(why, len, " # crashed: signal %d (%s)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status) != KTAP_CASE_FAILED)
		snprintf(why, len, " # exit status %d",
			 WEXITSTATUS(status));
	return false;
}

static inline int ktap_run(const struct ktap_case *c, size_t n)
{
	size_t i, failed = 0;
	char why[128];

	printf("TAP version 13\n1..%zu\n", n);
	for (i = 0; i < n; i++) {
		bool ok = ktap_run_one(&c[i], why, sizeof(why));

		failed += !ok;
		printf("%sok %zu %s%s\n", ok ? "" : "not ", i + 1, c[i].name,
		       why);
	}
	printf("# %zu passed, %zu failed\n", n - failed, failed);
	return failed ? 1 : 0;
}

#define KTAP_MAIN(cases) \
int main(void) \
{ \
	return ktap_run(cases, sizeof(cases) / sizeof(cases[0])); \
}

#endif
