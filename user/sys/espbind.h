/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ESP in the TCP stream: binding a Child SA's two XFRM states to the IKE
 * connection through the iketcp module (IKETCP_CMD_BIND_SA).  The states
 * themselves do not change: OUT packets are taken by the module at
 * POST_ROUTING, IN records go to XFRM as if they had come on the state's
 * own transport, so a Child SA moves between TCP and IP/UDP with its keys
 * and replay window.  Binding an SPI again moves it (a TCP reconnect).
 *
 * The netlink socket opens on first use: a daemon that never puts ESP in
 * TCP never needs the module.
 */
#ifndef IKETCPD_SYS_ESPBIND_H
#define IKETCPD_SYS_ESPBIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "genl.h"

struct ik_espbind {
	struct ik_genl g;
	bool open;
};

/*
 * Bind (or move) one direction of an SA to the socket fd: IN spi (records
 * arriving on fd go to that state) or OUT spi (the state's packets go into
 * fd).  udp with the state's ports (ours, the peer's) for ESP-in-UDP
 * states.  0, or -errno with the kernel's reason in err.
 */
int ik_espbind_bind(struct ik_espbind *b, int fd, int dir, uint32_t spi,
		    bool udp, uint16_t lport, uint16_t rport, char *err,
		    size_t errlen);
/* Remove both bindings by their keys (the socket may be gone): family,
 * our address (IN's destination) and the peer's (OUT's).  -ENOENT for one
 * that was not there is ignored. */
int ik_espbind_unbind(struct ik_espbind *b, int family, const void *local,
		      const void *remote, uint32_t spi_in, uint32_t spi_out,
		      char *err, size_t errlen);

/* The packets the module moved for the IN binding of spi (family), or -1
 * when it has none; one dump of the bindings per call. */
int64_t ik_espbind_in_packets(struct ik_espbind *b, int family, uint32_t spi);

/*
 * Remove the namespace's orphaned bindings (their socket is gone): what a
 * killed iketcpd left, which would drop any later ESP with the same SPI
 * and address.  Returns how many, or -errno (the module is absent: -ENOENT)
 * with the cause in err.
 */
int ik_espbind_flush_orphans(struct ik_espbind *b, char *err, size_t errlen);

/* After the module reset a connection: the name of its reset_* counter
 * that is set (reset_bad_prefix, ...), or NULL if none or no answer. */
const char *ik_espbind_reset_cause(struct ik_espbind *b, uint64_t inode);
void ik_espbind_close(struct ik_espbind *b);

#endif
