// SPDX-License-Identifier: GPL-2.0
/*
 * iketcp_splat: a test-only module whose init triggers a WARN.
 *
 * selftests/vm/test-harness.sh loads it to prove that selftests/vm/run
 * detects kernel reports: a run that loads it must fail.  No state, no
 * locking: init warns and succeeds, exit does nothing.
 */
#include <linux/module.h>
#include <linux/bug.h>

static int __init iketcp_splat_init(void)
{
	WARN(1, "iketcp_splat: deliberate warning for the harness test");
	return 0;
}

static void __exit iketcp_splat_exit(void)
{
}

module_init(iketcp_splat_init);
module_exit(iketcp_splat_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("iketcp test helper: triggers one WARN when loaded");
MODULE_AUTHOR("iketcp project");
