/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ESP path probe: after IKE started over TCP with SEPARATE_TRANSPORTS
 * echoed, nothing showed that ESP's own path (bare IP, or UDP 4500 behind a
 * NAT) gets through (draft-ietf-ipsecme-ikev2-reliable-transport-04, "UDP
 * Reachability Verification").  The initiator sends probes over that path
 * and the peer answers each over the same path; no answer within
 * esp_probe_timeout and the initiator deletes the IKE SA and starts again
 * over TCP without the notify.
 *
 * Linux has no ESP echo (draft-ietf-ipsecme-encrypted-esp-ping needs the
 * kernel to answer inside ESP), so the probe travels beside the SAs, between
 * two iketcpd (only iketcpd echoes SEPARATE_TRANSPORTS).  One format for
 * both paths: a zero four-byte field where ESP has its SPI (SPI 0 is never
 * an SA: the kernel's ESP input drops it, and on UDP 4500 it is RFC 3948's
 * non-ESP marker, which hands the datagram to iketcpd's socket), then an
 * IKEv2 header with the IKE SA's SPIs, exchange type IK_PROBE_EXCHANGE
 * (IANA's private-use range), the I flag on the request or the R flag on
 * the answer, message ID 0, and 16 random bytes that the answer repeats.
 * The bytes cannot be guessed off the path; on the path an attacker could
 * as well drop the ESP, so the probe proves what it must, that packets of
 * that kind cross both ways.  Over IP it is IP protocol 50, read on a raw
 * socket whose BPF filter passes only SPI 0; over UDP it leaves and
 * arrives on the UDP 4500 socket.
 *
 * Pure encode/parse here, plus the raw socket; the daemon owns the timers.
 */
#ifndef IKETCPD_NET_PROBE_H
#define IKETCPD_NET_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define IK_PROBE_EXCHANGE	250	/* private use, 240-255 */
#define IK_PROBE_TOKEN_LEN	16
#define IK_PROBE_LEN		(4 + 28 + IK_PROBE_TOKEN_LEN)

struct ik_probe_msg {
	uint64_t spi_i, spi_r;		/* host order */
	bool answer;
	uint8_t token[IK_PROBE_TOKEN_LEN];
};

/* The probe's bytes, SPI-0 field first (IK_PROBE_LEN of them). */
void ik_probe_encode(const struct ik_probe_msg *m, uint8_t out[IK_PROBE_LEN]);

/* Is ike (the bytes after the SPI-0 field or non-ESP marker, len of them)
 * a probe?  Fills m if so. */
bool ik_probe_parse(const uint8_t *ike, size_t len, struct ik_probe_msg *m);

/* The raw IPPROTO_ESP sockets, IPv4 and IPv6 (-1 where the family is
 * absent), filtered to SPI 0 and bypassing IPsec policies. */
struct ik_probe_sock {
	int fd[2];
};

int ik_probe_open(struct ik_probe_sock *p, char *err, size_t errlen);
void ik_probe_close(struct ik_probe_sock *p);

/* One packet from fd[i]: its length from the SPI-0 field on (copied to
 * buf), the sender in from; 0 for a runt, -errno (-EAGAIN: none left). */
ssize_t ik_probe_recv(struct ik_probe_sock *p, int i, uint8_t *buf,
		      size_t cap, struct sockaddr_storage *from);

/* Send the probe bytes over IP from local to remote. 0 or -errno. */
int ik_probe_send(struct ik_probe_sock *p,
		  const struct sockaddr_storage *local,
		  const struct sockaddr_storage *remote,
		  const uint8_t msg[IK_PROBE_LEN]);

#endif
