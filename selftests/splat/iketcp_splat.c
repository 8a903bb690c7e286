// SPDX-License-Identifier: GPL-2.0
/*
 * iketcp_splat: a test-only module whose init produces a kernel report.
 *
 * selftests/vm/test-harness.sh loads it to prove that selftests/vm/run
 * detects kernel reports: a run that loads it must fail.  No state, no
 * locking: init reports and succeeds, exit does nothing.
 *
 *   mode=warn (default)  one WARN, with its whole trace
 *   mode=hung            init sleeps in D state for hang_secs seconds, long
 *                        enough for the hung task detector when the test
 *                        lowers kernel.hung_task_timeout_secs first
 */
#include <linux/bug.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/string.h>

static char *mode = "warn";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "warn (default) or hung");

static unsigned int hang_secs = 10;
module_param(hang_secs, uint, 0444);
MODULE_PARM_DESC(hang_secs, "mode=hung: seconds in D state (default 10)");

static int __init iketcp_splat_init(void)
{
	if (!strcmp(mode, "hung")) {
		/* msleep() waits in TASK_UNINTERRUPTIBLE: a hung task */
		msleep(hang_secs * 1000);
		return 0;
	}
	if (strcmp(mode, "warn"))
		return -EINVAL;
	WARN(1, "iketcp_splat: deliberate warning for the harness test");
	return 0;
}

static void __exit iketcp_splat_exit(void)
{
}

module_init(iketcp_splat_init);
module_exit(iketcp_splat_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("iketcp test helper: a WARN or a hung task when loaded");
MODULE_AUTHOR("iketcp project");
