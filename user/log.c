// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's log: see log.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"

static enum ik_log_level log_max = IK_LOG_INFO;
static int log_prefix;		/* sd-daemon "<N>" prefixes for the journal */

void ik_log_setup(enum ik_log_level max)
{
	log_max = max;
	log_prefix = getenv("JOURNAL_STREAM") != NULL;
}

static void vlog(enum ik_log_level lvl, const char *head, const char *fmt,
		 va_list ap)
{
	static const char *const names[] = {
		[IK_LOG_ERR] = "error", [IK_LOG_WARNING] = "warning",
		[IK_LOG_NOTICE] = "notice", [IK_LOG_INFO] = "info",
		[IK_LOG_DEBUG] = "debug",
	};

	if (lvl > log_max)
		return;
	if (log_prefix)
		fprintf(stderr, "<%d>", lvl);
	else
		fprintf(stderr, "iketcpd: %s: ", names[lvl]);
	if (head)
		fputs(head, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void ik_log(enum ik_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(lvl, NULL, fmt, ap);
	va_end(ap);
}

void ik_log_sa(enum ik_log_level lvl, const char *conn, uint64_t spi_i,
	       const char *fmt, ...)
{
	char head[96];
	va_list ap;

	snprintf(head, sizeof(head), "%s[%016llx]: ", conn ? conn : "-",
		 (unsigned long long)spi_i);
	va_start(ap, fmt);
	vlog(lvl, head, fmt, ap);
	va_end(ap);
}
