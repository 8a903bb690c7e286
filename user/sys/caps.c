// SPDX-License-Identifier: GPL-2.0
/*
 * Capabilities: see caps.h.  libcap does the capget/capset versions and
 * the text form.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>

#include "sys/caps.h"

static const cap_value_t ik_caps_kept[] = {
	CAP_NET_ADMIN,
	CAP_NET_BIND_SERVICE,
};

/* Each kept capability that now holds: into want, permitted and effective. */
static int keep_held(cap_t now, cap_t want)
{
	cap_flag_value_t held;
	size_t i;

	for (i = 0; i < sizeof(ik_caps_kept) / sizeof(ik_caps_kept[0]); i++) {
		if (cap_get_flag(now, ik_caps_kept[i], CAP_PERMITTED, &held))
			return -errno;
		if (held != CAP_SET)
			continue;
		if (cap_set_flag(want, CAP_PERMITTED, 1, &ik_caps_kept[i],
				 CAP_SET) ||
		    cap_set_flag(want, CAP_EFFECTIVE, 1, &ik_caps_kept[i],
				 CAP_SET))
			return -errno;
	}
	return 0;
}

static void describe(cap_t caps, char *kept, size_t keptlen)
{
	char *text;

	if (!kept)
		return;
	text = cap_to_text(caps, NULL);
	snprintf(kept, keptlen, "%s", text ? text : "?");
	cap_free(text);
}

int ik_caps_limit(char *kept, size_t keptlen, char *err, size_t errlen)
{
	const char *step = "cap_get_proc";
	cap_t now, want = NULL;
	int rc;

	now = cap_get_proc();
	if (!now)
		goto fail_errno;
	step = "cap_init";
	want = cap_init();
	if (!want)
		goto fail_errno;
	step = "cap_set_flag";
	rc = keep_held(now, want);
	if (rc)
		goto fail;
	step = "cap_set_proc";
	if (cap_set_proc(want))
		goto fail_errno;
	describe(want, kept, keptlen);
	cap_free(now);
	cap_free(want);
	return 0;
fail_errno:
	rc = -errno;
fail:
	snprintf(err, errlen, "limiting capabilities: %s: %s", step,
		 strerror(-rc));
	cap_free(now);
	cap_free(want);
	return rc;
}
