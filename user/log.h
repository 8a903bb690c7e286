/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's log: one line per event on stderr (the journal takes it
 * from there under systemd), with a syslog-style "<N>" level prefix when
 * stderr is the journal, and the connection and IKE SA named on each line.
 * Never give it a secret.
 */
#ifndef IKETCPD_LOG_H
#define IKETCPD_LOG_H

#include <stdint.h>

#include "config.h"

void ik_log_setup(enum ik_log_level max);
void ik_log(enum ik_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "conn[SPIi]: ..." */
void ik_log_sa(enum ik_log_level lvl, const char *conn, uint64_t spi_i,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
