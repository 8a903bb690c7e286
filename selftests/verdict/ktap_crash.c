// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only unit test for selftests/verdict/test-verdict.sh: built like the
 * user/ unit tests (user/ktap.h, ASan and UBSan, no recovery), with cases
 * that crash.  Each crash must be one "not ok" and the cases after it must
 * still run: 3 pass and 4 fail, in this order.
 */
#include <limits.h>
#include <stdlib.h>

#include "ktap.h"

static void passes_first(void)
{
	CHECK(1 + 1 == 2);
}

static void calls_abort(void)
{
	abort();
}

static void overflows_an_int(void)
{
	volatile int i = INT_MAX;

	CHECK(i + 1 != 0);	/* UBSan: signed integer overflow */
}

static void reads_freed_memory(void)
{
	char *volatile p = malloc(8);

	free(p);
	CHECK(p[0] == 0);	/* ASan: heap-use-after-free */
}

static void fails_a_check(void)
{
	CHECK(1 + 1 == 3);
}

static void passes_after_crashes(void)
{
	CHECK(1);
}

static void passes_last(void)
{
	CHECK(1);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(passes_first),
	KTAP_CASE(calls_abort),
	KTAP_CASE(overflows_an_int),
	KTAP_CASE(reads_freed_memory),
	KTAP_CASE(fails_a_check),
	KTAP_CASE(passes_after_crashes),
	KTAP_CASE(passes_last),
};

KTAP_MAIN(cases)
