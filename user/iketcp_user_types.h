/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The kernel's type names for userspace builds of the shared headers in
 * include/ (the framing code compiled by the fuzzers, unit tests and
 * iketcpd).  Kept out of include/ so that tree stays kernel-clean.
 */
#ifndef IKETCP_USER_TYPES_H
#define IKETCP_USER_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;

#endif /* IKETCP_USER_TYPES_H */
