/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of the module's counters (enum iketcp_counter), the single table
 * that the CLI output, JSON keys and tests use.  The names are those of the
 * comments in include/uapi/linux/iketcp.h; test_counters checks both.
 */
#ifndef IKETCPD_COUNTERS_H
#define IKETCPD_COUNTERS_H

#include <stddef.h>

extern const char *const iketcp_counter_names[];
extern const size_t iketcp_nr_counter_names;

/* The name of counter i, or NULL if this iketcpd does not know it. */
const char *iketcp_counter_name(unsigned int i);

#endif
