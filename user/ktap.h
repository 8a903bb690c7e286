/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal KTAP runner for the user/ unit tests: each case is a function;
 * CHECK() records a failure with its line and carries on, so one run shows
 * every broken rule.  Output is what selftests/summarize counts.
 */
#ifndef IKETCPD_KTAP_H
#define IKETCPD_KTAP_H

#include <stdbool.h>
#include <stdio.h>

struct ktap_case {
	const char *name;
	void (*fn)(void);
};

#define KTAP_CASE(fn) { #fn, fn }

static bool ktap_case_failed;

#define CHECK(cond) do { \
	if (!(cond)) { \
		printf("# %s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
		ktap_case_failed = true; \
	} \
} while (0)

static inline int ktap_run(const struct ktap_case *c, size_t n)
{
	size_t i, failed = 0;

	printf("TAP version 13\n1..%zu\n", n);
	for (i = 0; i < n; i++) {
		ktap_case_failed = false;
		c[i].fn();
		failed += ktap_case_failed;
		printf("%sok %zu %s\n", ktap_case_failed ? "not " : "", i + 1,
		       c[i].name);
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
