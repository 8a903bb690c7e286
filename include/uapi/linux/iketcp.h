/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * iketcp: IKE message sockets over TCP (RFC 9329 and draft-ietf-ipsecme-ike-tcp),
 * with ESP carried in the same stream when it has to.
 *
 * This header is the whole user API of the iketcp module: the socket-level API
 * (a TCP upper layer protocol) and the "iketcp" generic netlink family.
 *
 * ---------------------------------------------------------------------------
 * 1. Message sockets
 * ---------------------------------------------------------------------------
 *
 * Attach to a connected TCP socket (state ESTABLISHED):
 *
 *   setsockopt(fd, IPPROTO_TCP, TCP_ULP, "iketcp", sizeof("iketcp"));
 *   setsockopt(fd, IPPROTO_TCP, TCP_ULP, "iketcp-legacy", sizeof("iketcp-legacy"));
 *
 * "iketcp" speaks RFC 9329: the TCP originator sends the 6-byte stream prefix
 * "IKETCP" once; each IKE message is a record [Length(2)][zero marker(4)][IKE]
 * and each ESP packet a record [Length(2)][ESP], Length counting itself.
 * "iketcp-legacy" speaks draft-ietf-ipsecme-ike-tcp-01 (IKE over TCP port 500):
 * no prefix, no marker, no length field; each record is one IKE message,
 * delimited by the 32-bit length in its own IKE header (offset 24), which must
 * lie within [28, IKETCP_LEGACY_MAX_MSG].  Legacy sockets carry no ESP.
 *
 * Attaching fails with ENOTCONN if the socket is not established, EEXIST if it
 * already has a ULP, and ENOENT if the module is not loaded (the kernel's
 * module autoloading for "tcp-ulp-iketcp" loads it when permitted).
 *
 * The daemon never handles framing bytes:
 *
 *  send()/sendmsg()   one call is one IKE message (the whole IKE header and
 *                     payloads, no length, no marker).  The message is queued
 *                     whole or not at all and never interleaves with other
 *                     records.  0 bytes: EINVAL.  More than IKETCP_MAX_IKE_MSG
 *                     (legacy: IKETCP_LEGACY_MAX_MSG) bytes: EMSGSIZE.  A
 *                     legacy message whose IKE header length disagrees with
 *                     the call's length: EINVAL.  When the send queue is full
 *                     a blocking send waits (SO_SNDTIMEO applies) and a
 *                     non-blocking one fails with EAGAIN with nothing queued.
 *                     A message that must wait in the module's queue is
 *                     charged to the socket's memory accounting, as TCP's
 *                     own queue is; when that refuses (tcp_mem's hard limit,
 *                     the socket's memory cgroup) the call fails with
 *                     ENOBUFS, nothing queued.
 *                     MSG_OOB, sendfile() and splice(): EOPNOTSUPP.
 *  recv()/recvmsg()   one call returns one whole IKE message, without length
 *                     or marker.  A short buffer gets the first bytes, the
 *                     call sets MSG_TRUNC in msg_flags and the rest of that
 *                     message is discarded (as with UDP; with MSG_TRUNC in the
 *                     call's flags it returns the full length).  MSG_PEEK,
 *                     MSG_DONTWAIT, MSG_WAITALL (ignored) and SO_RCVTIMEO work.
 *                     0 means the peer closed and every queued message has
 *                     been read.  A fatal stream error (see "Received
 *                     records") fails the call with EPROTO once, then 0.
 *  poll()/epoll       EPOLLIN when a whole message is queued (or at EOF or
 *                     error); EPOLLOUT when a message of the largest size
 *                     would be accepted without blocking.
 *  SO_RCVLOWAT        EOPNOTSUPP: messages are whole, and the module uses the
 *                     socket's receive low-water mark itself (to be woken
 *                     once a message has all arrived); attaching resets a
 *                     value set before.
 *
 * Roles (RFC 9329 only).  The TCP originator sends the prefix; the TCP
 * acceptor consumes and checks it before parsing any record.  The kernel
 * cannot tell which side called connect(), so the role is, in this order:
 *  - what the daemon set with setsockopt(fd, SOL_IKETCP, IKETCP_ROLE, &role,
 *    sizeof(int)) (IKETCP_ROLE_ORIGINATOR or IKETCP_ROLE_ACCEPTOR), allowed
 *    only while the role is still IKETCP_ROLE_UNKNOWN (else EBUSY);
 *  - otherwise inferred from the first event: a local send makes the socket
 *    the originator (the prefix goes out just before that first record);
 *    bytes arriving first make it the acceptor (they must be the prefix).
 * The inference is right for every RFC 9329 exchange (the acceptor never sends
 * before it has received); daemons that may break that rule set the role.
 * getsockopt(SOL_IKETCP, IKETCP_ROLE) and (IKETCP_FRAMING) read them back.
 *
 * Received records (RFC 9329 section 3):
 *  - Length 0 or 1: fatal, the connection is reset (counter reset_bad_length);
 *  - Length 2 (empty): ignored (rx_empty_records);
 *  - one byte 0xFF: NAT-keepalive, dropped (rx_keepalives);
 *  - zero marker: an IKE message, queued for recv() if the length in its IKE
 *    header equals the record's, else dropped (rx_drop_ike_length);
 *  - anything else shorter than 8 bytes: dropped (rx_drop_runt);
 *  - anything else: ESP.  If its SPI is bound to this socket for input
 *    (IKETCP_CMD_BIND_SA) it goes to XFRM as a private copy; otherwise it is
 *    dropped (rx_drop_esp_unbound) and IKETCP_EVENT_ESP_UNBOUND is sent.
 *  - a wrong stream prefix resets the connection (reset_bad_prefix);
 *  - legacy: an IKE length outside [28, IKETCP_LEGACY_MAX_MSG] resets the
 *    connection (reset_legacy_length);
 *  - TCP urgent data (the URG flag) resets the connection (reset_urgent):
 *    neither framing uses it, and it would cut the stream short.
 * A partial record when the peer closes is discarded (rx_drop_partial_eof).
 *
 * Memory.  Queued received messages are bounded by the per-namespace
 * rx_queue_limit (bytes of memory: what the queued buffers take, their
 * truesize, so that many small messages cannot pin many times the limit):
 * past it the module stops reading from TCP, so the TCP window closes and
 * the peer slows down.  A message already accepted is never dropped; the
 * limit may be exceeded by at most one record.  A message still in TCP's
 * own buffers (the next one, read straight from there) counts its length.
 * The send queue (IKE messages and ESP records not yet accepted by TCP) is
 * bounded by tx_queue_limit, in memory too: senders wait, ESP packets beyond
 * it are dropped (tx_drop_esp_queue_full), as a full device queue would.
 *
 * ---------------------------------------------------------------------------
 * 2. Generic netlink family IKETCP_GENL_NAME, version IKETCP_GENL_VERSION
 * ---------------------------------------------------------------------------
 *
 * Everything is per network namespace: the namespace of the netlink socket.
 * Commands marked (admin) need CAP_NET_ADMIN in the user namespace owning that
 * network namespace.  Errors come with an extended ACK message naming the
 * attribute and the cause.
 *
 * IKETCP_CMD_GET_NETNS (any user; do)
 *   Request: no attributes.  Reply (same command):
 *     IKETCP_A_CONFIG       nest of enum iketcp_config_attr (current settings)
 *     IKETCP_A_COUNTERS     nest of u64, attribute type = enum iketcp_counter
 *                           + 1: sums over every socket that has ever been
 *                           attached in this namespace
 *     IKETCP_A_NR_SOCKETS   u32: sockets attached now
 *     IKETCP_A_NR_BINDINGS  u32: SA bindings now (orphaned ones included)
 *
 * IKETCP_CMD_SET_NETNS (admin; do)
 *   Request: IKETCP_A_CONFIG with any subset of:
 *     IKETCP_CONFIG_RX_QUEUE_LIMIT  u32 bytes, [IKETCP_QUEUE_LIMIT_MIN,
 *                                   IKETCP_QUEUE_LIMIT_MAX]
 *     IKETCP_CONFIG_TX_QUEUE_LIMIT  u32 bytes, same range
 *   New limits apply to every socket of the namespace at its next check.
 *
 * IKETCP_CMD_GET_SOCKETS (any user; dump)
 *   One message per attached socket, each with one IKETCP_A_SOCK nest:
 *     IKETCP_SOCK_INODE      u64: the socket's inode (as in /proc/PID/fd
 *                            "socket:[N]" and "ss -e")
 *     IKETCP_SOCK_FAMILY     u16: AF_INET or AF_INET6
 *     IKETCP_SOCK_SADDR, IKETCP_SOCK_DADDR  binary, 4 or 16 bytes
 *     IKETCP_SOCK_SPORT, IKETCP_SOCK_DPORT  u16, host byte order
 *     IKETCP_SOCK_FRAMING    u8: enum iketcp_framing
 *     IKETCP_SOCK_ROLE       u8: enum iketcp_role
 *     IKETCP_SOCK_RX_QUEUED  u32: bytes of IKE messages waiting for recv()
 *     IKETCP_SOCK_TX_QUEUED  u32: bytes of records waiting for TCP
 *     IKETCP_SOCK_RX_MEM     u32: their memory, held against rx_queue_limit
 *     IKETCP_SOCK_TX_MEM     u32: theirs, held against tx_queue_limit
 *     IKETCP_SOCK_COUNTERS   nest of u64 as IKETCP_A_COUNTERS, this socket
 *     IKETCP_SOCK_SAS        (admin callers only) nest of IKETCP_A_SA nests,
 *                            the SAs bound to this socket, as below
 *   A dump that does not fit one message continues in the next; a socket
 *   with more SAs than fit one message comes in several messages, each
 *   repeating its attributes with the next SAs.  Sockets attached or closed
 *   during a dump may be missed or reported twice.
 *
 * IKETCP_CMD_BIND_SA (admin; do)
 *   Request:
 *     IKETCP_A_SOCK_FD  u32: a file descriptor of the calling process, an
 *                       attached RFC 9329 socket whose role is known.  A
 *                       descriptor rather than a 4-tuple: it proves the
 *                       caller holds the socket, and cannot name a newer
 *                       connection that reused the same addresses and ports.
 *     IKETCP_A_SA       nest of enum iketcp_sa_attr:
 *       IKETCP_SA_DIR          u8, required: IKETCP_DIR_IN or IKETCP_DIR_OUT
 *       IKETCP_SA_SPI          u32 (network byte order, as in XFRM), required,
 *                              non-zero
 *       IKETCP_SA_SADDR, IKETCP_SA_DADDR  binary, optional: the SA's outer
 *                              addresses, default the socket's (OUT: local ->
 *                              peer; IN: peer -> local); their family must be
 *                              the socket's
 *       IKETCP_SA_ENCAP        u8, optional: enum iketcp_encap of the XFRM
 *                              state, default IKETCP_ENCAP_NONE
 *       IKETCP_SA_ENCAP_SPORT, IKETCP_SA_ENCAP_DPORT  u16 host order: the
 *                              UDP ports of an IKETCP_ENCAP_UDP state
 *   OUT: ESP packets leaving this namespace with that destination address and
 *   SPI (bare ESP, or ESP in UDP with those ports when ENCAP is UDP) are taken
 *   at NF_INET_POST_ROUTING and sent as records on the socket instead.
 *   IN: ESP records with that SPI arriving on the socket go to XFRM input as
 *   if they had arrived on the SA's own transport (bare ESP or UDP), so the
 *   XFRM state needs no change and keeps its replay window.
 *   An IPv6 socket whose peer is an IPv4 address (v4-mapped, as a
 *   dual-stack listener accepts) carries AF_INET SAs and addresses.
 *   Binding the same (family, DIR, DADDR, SPI) again moves it to the new
 *   socket (TCP reconnect, or a switch between connections).  An ESP record
 *   carries only its SPI, so an IN binding is named by (family, SPI): its
 *   DADDR only fills the IP header XFRM sees.  Errors: EBADF, ENOTSOCK,
 *   EOPNOTSUPP (not an iketcp RFC 9329 socket), EINVAL, EXDEV (the socket is
 *   in another namespace), ENOSPC (IKETCP_MAX_BINDINGS reached), EEXIST (an
 *   IN binding of that SPI with another DADDR).
 *
 * IKETCP_CMD_UNBIND_SA (admin; do)
 *   Request: IKETCP_A_SA with DIR, SPI, FAMILY and DADDR (the binding's
 *   key; an IN binding's DADDR is not part of it); or with DIR and SPI plus
 *   IKETCP_A_SOCK_FD, which supplies FAMILY and the default DADDR as for
 *   BIND.  Removes the binding, orphaned or not: OUT
 *   traffic goes back to the SA's own transport.  ENOENT if there is none.
 *
 * IKETCP_CMD_GET_BINDINGS (admin; dump)
 *   Every binding of the namespace, orphaned ones included, one per message:
 *   IKETCP_A_SA with the attributes above plus IKETCP_SA_PACKETS,
 *   IKETCP_SA_BYTES, and either IKETCP_SA_SOCK_INODE (u64, the socket it is
 *   bound to) or IKETCP_SA_ORPHANED.
 *
 * When a socket with bound SAs closes or is reset, its bindings become
 * orphaned: they stay, and OUT packets for them are dropped and counted
 * (tx_drop_esp_no_socket) rather than leaking onto another transport, until
 * the daemon rebinds or unbinds them.  IKETCP_EVENT_SOCKET_CLOSED reports it.
 *
 * Multicast group IKETCP_MCGRP_EVENTS (admin to join): IKETCP_CMD_EVENT
 * messages with IKETCP_A_EVENT (u32, enum iketcp_event), IKETCP_A_SOCK (the
 * socket's INODE, FAMILY, addresses and ports) and, where it applies,
 * IKETCP_A_SA (DIR and SPI).  Events are rate limited per socket
 * and may be lost when the group's receivers are slow; counters are not.
 */
#ifndef _UAPI_LINUX_IKETCP_H
#define _UAPI_LINUX_IKETCP_H

#include <linux/types.h>

#define IKETCP_ULP_NAME		"iketcp"
#define IKETCP_LEGACY_ULP_NAME	"iketcp-legacy"

/* Socket option level for sockets with the iketcp ULP attached only. */
#define SOL_IKETCP		4500

enum iketcp_sockopt {
	IKETCP_ROLE = 1,	/* int, enum iketcp_role; get and set */
	IKETCP_FRAMING = 2,	/* int, enum iketcp_framing; get only */
};

enum iketcp_role {
	IKETCP_ROLE_UNKNOWN = 0,
	IKETCP_ROLE_ORIGINATOR = 1,
	IKETCP_ROLE_ACCEPTOR = 2,
};

enum iketcp_framing {
	IKETCP_FRAMING_RFC9329 = 1,
	IKETCP_FRAMING_LEGACY = 2,
};

/* RFC 9329: the Length field counts itself; IKE records add a 4-byte marker. */
#define IKETCP_MAX_RECORD	65535
#define IKETCP_MAX_IKE_MSG	(IKETCP_MAX_RECORD - 2 - 4)
#define IKETCP_MAX_ESP_PKT	(IKETCP_MAX_RECORD - 2)
/*
 * draft-ietf-ipsecme-ike-tcp-01 sets no limit; IKEv2 over UDP cannot exceed
 * 65535 bytes either, and one record must fit one skb of page fragments.
 */
#define IKETCP_LEGACY_MAX_MSG	65535

#define IKETCP_QUEUE_LIMIT_MIN	(2 * IKETCP_MAX_RECORD)
#define IKETCP_QUEUE_LIMIT_MAX	(64 << 20)
#define IKETCP_QUEUE_LIMIT_DEFAULT (512 << 10)

#define IKETCP_MAX_BINDINGS	65536

#define IKETCP_GENL_NAME	"iketcp"
#define IKETCP_GENL_VERSION	1
#define IKETCP_MCGRP_EVENTS	"events"

enum iketcp_cmd {
	IKETCP_CMD_UNSPEC,
	IKETCP_CMD_GET_NETNS,
	IKETCP_CMD_SET_NETNS,
	IKETCP_CMD_GET_SOCKETS,
	IKETCP_CMD_BIND_SA,
	IKETCP_CMD_UNBIND_SA,
	IKETCP_CMD_EVENT,
	IKETCP_CMD_GET_BINDINGS,
	__IKETCP_CMD_MAX
};

#define IKETCP_CMD_MAX (__IKETCP_CMD_MAX - 1)

enum iketcp_attr {
	IKETCP_A_UNSPEC,
	IKETCP_A_SOCK_FD,	/* u32 */
	IKETCP_A_SOCK,		/* nest, enum iketcp_sock_attr */
	IKETCP_A_SA,		/* nest, enum iketcp_sa_attr */
	IKETCP_A_CONFIG,	/* nest, enum iketcp_config_attr */
	IKETCP_A_COUNTERS,	/* nest, u64, type = enum iketcp_counter + 1 */
	IKETCP_A_NR_SOCKETS,	/* u32 */
	IKETCP_A_NR_BINDINGS,	/* u32 */
	IKETCP_A_EVENT,		/* u32, enum iketcp_event */
	IKETCP_A_PAD,
	__IKETCP_A_MAX
};

#define IKETCP_A_MAX (__IKETCP_A_MAX - 1)

enum iketcp_sock_attr {
	IKETCP_SOCK_UNSPEC,
	IKETCP_SOCK_INODE,	/* u64 */
	IKETCP_SOCK_FAMILY,	/* u16 */
	IKETCP_SOCK_SADDR,	/* binary, 4 or 16 bytes */
	IKETCP_SOCK_DADDR,	/* binary, 4 or 16 bytes */
	IKETCP_SOCK_SPORT,	/* u16, host byte order */
	IKETCP_SOCK_DPORT,	/* u16, host byte order */
	IKETCP_SOCK_FRAMING,	/* u8, enum iketcp_framing */
	IKETCP_SOCK_ROLE,	/* u8, enum iketcp_role */
	IKETCP_SOCK_RX_QUEUED,	/* u32 */
	IKETCP_SOCK_TX_QUEUED,	/* u32 */
	IKETCP_SOCK_COUNTERS,	/* nest, as IKETCP_A_COUNTERS */
	IKETCP_SOCK_SAS,	/* nest of IKETCP_A_SA nests */
	IKETCP_SOCK_PAD,
	IKETCP_SOCK_RX_MEM,	/* u32 */
	IKETCP_SOCK_TX_MEM,	/* u32 */
	__IKETCP_SOCK_MAX
};

#define IKETCP_SOCK_MAX (__IKETCP_SOCK_MAX - 1)

enum iketcp_dir {
	IKETCP_DIR_IN = 1,
	IKETCP_DIR_OUT = 2,
};

enum iketcp_encap {
	IKETCP_ENCAP_NONE = 0,	/* the XFRM state has no encapsulation */
	IKETCP_ENCAP_UDP = 1,	/* UDP_ENCAP_ESPINUDP */
};

enum iketcp_sa_attr {
	IKETCP_SA_UNSPEC,
	IKETCP_SA_DIR,		/* u8, enum iketcp_dir */
	IKETCP_SA_SPI,		/* u32, network byte order */
	IKETCP_SA_FAMILY,	/* u16: reported; in requests the socket's */
	IKETCP_SA_SADDR,	/* binary, 4 or 16 bytes */
	IKETCP_SA_DADDR,	/* binary, 4 or 16 bytes */
	IKETCP_SA_ENCAP,	/* u8, enum iketcp_encap */
	IKETCP_SA_ENCAP_SPORT,	/* u16, host byte order */
	IKETCP_SA_ENCAP_DPORT,	/* u16, host byte order */
	IKETCP_SA_PACKETS,	/* u64, reported: packets moved */
	IKETCP_SA_BYTES,	/* u64, reported */
	IKETCP_SA_ORPHANED,	/* flag, reported: its socket is gone */
	IKETCP_SA_PAD,
	IKETCP_SA_SOCK_INODE,	/* u64, reported by GET_BINDINGS */
	__IKETCP_SA_MAX
};

#define IKETCP_SA_MAX (__IKETCP_SA_MAX - 1)

enum iketcp_config_attr {
	IKETCP_CONFIG_UNSPEC,
	IKETCP_CONFIG_RX_QUEUE_LIMIT,	/* u32, bytes */
	IKETCP_CONFIG_TX_QUEUE_LIMIT,	/* u32, bytes */
	__IKETCP_CONFIG_MAX
};

#define IKETCP_CONFIG_MAX (__IKETCP_CONFIG_MAX - 1)

enum iketcp_event {
	IKETCP_EVENT_SOCKET_CLOSED = 1,	/* closed or reset with SAs bound */
	IKETCP_EVENT_ESP_UNBOUND = 2,	/* ESP record for an SPI not bound here */
	IKETCP_EVENT_QUEUE_FULL = 3,	/* ESP dropped: send queue full */
};

/*
 * Counters, per socket and per namespace.  Each keeps its name (the comment)
 * in the code, the netlink dump, the tests and the documentation.
 *
 * tx_drop_esp_offload: with the kernel's ESP offload loaded (esp4_offload,
 * esp6_offload), XFRM leaves a bare-ESP packet for the device to encrypt
 * (and segment).  iketcp encrypts and segments it itself before it enters
 * the stream; this counts the packets that failed to encrypt, or whose
 * encryption completed asynchronously: those are dropped, never sent in
 * clear or on the SA's own transport.
 * rx_drop_esp_too_big: an ESP record larger than its SA's own transport
 * could carry (IPv4: 65515 bytes bare, 65507 in UDP; IPv6 in UDP: 65527).
 */
/* Padding inside counter nests (counter N has attribute type N + 1). */
#define IKETCP_CNT_PAD		0

enum iketcp_counter {
	IKETCP_CNT_RX_IKE_MSGS,		/* rx_ike_msgs */
	IKETCP_CNT_RX_IKE_BYTES,	/* rx_ike_bytes: IKE bytes, no framing */
	IKETCP_CNT_RX_ESP_PKTS,		/* rx_esp_pkts: handed to XFRM */
	IKETCP_CNT_RX_ESP_BYTES,	/* rx_esp_bytes */
	IKETCP_CNT_RX_KEEPALIVES,	/* rx_keepalives */
	IKETCP_CNT_RX_EMPTY_RECORDS,	/* rx_empty_records */
	IKETCP_CNT_RX_DROP_IKE_LENGTH,	/* rx_drop_ike_length */
	IKETCP_CNT_RX_DROP_RUNT,	/* rx_drop_runt */
	IKETCP_CNT_RX_DROP_ESP_UNBOUND,	/* rx_drop_esp_unbound */
	IKETCP_CNT_RX_DROP_PARTIAL_EOF,	/* rx_drop_partial_eof */
	IKETCP_CNT_RX_TRUNCATED,	/* rx_truncated: recv() buffer too short */
	IKETCP_CNT_RX_BACKPRESSURE,	/* rx_backpressure: reading paused */
	IKETCP_CNT_TX_IKE_MSGS,		/* tx_ike_msgs */
	IKETCP_CNT_TX_IKE_BYTES,	/* tx_ike_bytes */
	IKETCP_CNT_TX_ESP_PKTS,		/* tx_esp_pkts */
	IKETCP_CNT_TX_ESP_BYTES,	/* tx_esp_bytes */
	IKETCP_CNT_TX_DROP_ESP_QUEUE_FULL, /* tx_drop_esp_queue_full */
	IKETCP_CNT_TX_DROP_ESP_NO_SOCKET, /* tx_drop_esp_no_socket */
	IKETCP_CNT_TX_DROP_CLOSE,	/* tx_drop_close: unsent at close */
	IKETCP_CNT_TX_BACKPRESSURE,	/* tx_backpressure: a send waited */
	IKETCP_CNT_RESET_BAD_PREFIX,	/* reset_bad_prefix */
	IKETCP_CNT_RESET_BAD_LENGTH,	/* reset_bad_length */
	IKETCP_CNT_RESET_LEGACY_LENGTH,	/* reset_legacy_length */
	IKETCP_CNT_TX_DROP_ESP_TOO_BIG,	/* tx_drop_esp_too_big: > 65533 bytes */
	IKETCP_CNT_RESET_URGENT,	/* reset_urgent: TCP urgent data */
	IKETCP_CNT_TX_DROP_ESP_OFFLOAD,	/* tx_drop_esp_offload: see above */
	IKETCP_CNT_RX_DROP_ESP_TOO_BIG,	/* rx_drop_esp_too_big: see above */
	__IKETCP_CNT_MAX
};

#endif /* _UAPI_LINUX_IKETCP_H */
