/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NAT detection (RFC 7296 2.23): the NAT_DETECTION_*_IP hashes, and what a
 * received pair of them says about NATs in front of each side.
 */
#ifndef IKETCPD_IKE_NATD_H
#define IKETCPD_IKE_NATD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ike/msg.h"

#define IKE_NATD_LEN	20	/* SHA-1 */

/* SHA-1(SPIi | SPIr | IP | port) of addr; 0 or -1. */
int ike_natd_hash(uint64_t spi_i, uint64_t spi_r,
		  const struct sockaddr_storage *addr, uint8_t *out);

/*
 * From a message's NAT_DETECTION_* notifies: *nat_remote if no SOURCE hash
 * matches the address it came from, *nat_local if its DESTINATION hash does
 * not match the address it came to.  Returns false when the message has no
 * NAT detection notifies (the peer does not do NAT-T).
 */
bool ike_natd_check(const struct ike_msg *m, uint64_t spi_i, uint64_t spi_r,
		    const struct sockaddr_storage *local,
		    const struct sockaddr_storage *remote,
		    bool *nat_local, bool *nat_remote);

#endif
