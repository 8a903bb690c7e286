/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IKE over UDP (RFC 7296 2.23, RFC 3948): the sockets on ports 500 and 4500
 * for IPv4 and IPv6.  Port 4500 carries the four-byte non-ESP marker before
 * each IKE message and has UDP_ENCAP_ESPINUDP set, so the kernel takes ESP
 * and NAT keepalives off it and only IKE reaches us.  Every socket bypasses
 * IPsec policies (IKE must never ride the SAs it negotiates) and reports the
 * local address each datagram came to, so that answers leave from it.
 *
 * No state but the descriptors; the event loop owns the sockets' readiness.
 */
#ifndef IKETCPD_NET_UDP_H
#define IKETCPD_NET_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

enum ik_udp_slot { IK_UDP4_IKE, IK_UDP4_NATT, IK_UDP6_IKE, IK_UDP6_NATT,
		   IK_UDP_SLOTS };

struct ik_udp {
	int fd[IK_UDP_SLOTS];		/* -1 where the family is absent */
	uint16_t port_ike, port_natt;
};

/* A datagram's ends and the socket it came on (or leaves from). */
struct ik_addrs {
	struct sockaddr_storage local, remote;
	enum ik_udp_slot slot;
};

/*
 * Open and bind the four sockets (an address family the host lacks is
 * skipped; both missing is an error).  Returns 0 or -errno with the cause
 * in err.
 */
int ik_udp_open(struct ik_udp *u, uint16_t port_ike, uint16_t port_natt,
		char *err, size_t errlen);
void ik_udp_close(struct ik_udp *u);

static inline bool ik_udp_slot_natt(enum ik_udp_slot s)
{
	return s == IK_UDP4_NATT || s == IK_UDP6_NATT;
}

/*
 * One datagram from the socket in slot s.  Returns the IKE message length
 * (marker removed), 0 for a datagram that is not IKE (a stray keepalive, a
 * runt), or -errno (-EAGAIN: nothing left).
 */
ssize_t ik_udp_recv(struct ik_udp *u, enum ik_udp_slot s, uint8_t *buf,
		    size_t cap, struct ik_addrs *a);

/* Send msg from a->local to a->remote on a->slot (marker added on 4500). */
int ik_udp_send(struct ik_udp *u, const struct ik_addrs *a,
		const uint8_t *msg, size_t len);

/* A NAT keepalive (RFC 3948 2.3: one byte 0xFF, no marker) on port 4500,
 * which keeps a NAT's mapping in front of us open while ESP is idle. */
int ik_udp_send_keepalive(struct ik_udp *u, const struct ik_addrs *a);

/* IKE itself must never be sent through, or dropped by, IPsec policies:
 * a per-socket bypass for both directions (UDP and TCP sockets alike).
 * 0 or -errno. */
int ik_bypass_policies(int fd, int family);

/* Room for one IP_PKTINFO or IPV6_PKTINFO control message. */
union ik_pktinfo_buf {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
};

/* The control message that makes a datagram leave from local's address
 * (IPv4 or IPv6); returns its msg_controllen, 0 for another family. */
size_t ik_pktinfo_cmsg(union ik_pktinfo_buf *cbuf,
		       const struct sockaddr_storage *local);

/*
 * The largest IPv4 datagram the kernel believes the path to remote carries:
 * the route's MTU, lowered by any ICMP "fragmentation needed" the kernel
 * received for remote (its path MTU cache; IKE datagrams leave with DF
 * set, as every UDP socket's do under the default IP_PMTUDISC_WANT).  A
 * connected throw-away socket asks for it; nothing is sent.  0 for IPv6
 * and on any failure.
 */
unsigned int ik_udp_path_mtu(const struct sockaddr_storage *remote);

/* The slot for family and port kind. */
enum ik_udp_slot ik_udp_slot_for(int family, bool natt);

#endif
