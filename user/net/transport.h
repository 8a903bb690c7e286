/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which transport ESP takes, per Child SA: the one place that decides
 * (DESIGN.md, "How data flows").  The rules, first match wins:
 *
 *   IKE on    echo   NAT   esp_transport   ESP goes       reason
 *   any       any    any   tcp             TCP (if IKE    "esp_transport = tcp"
 *                                          is on TCP)
 *   TCP       no     any   auto/ip/udp,    TCP            "ESP probe unanswered:
 *                          after a failed                 restarted without
 *                          ESP probe                      SEPARATE_TRANSPORTS"
 *   TCP       no     any   auto/ip/udp     TCP            "no SEPARATE_TRANSPORTS echo"
 *   TCP       yes    any   any, earlier    TCP            "ESP had no path over
 *                          ESP failed                     IP/UDP"
 *   any       -      yes   any             UDP 4500       "NAT detected"
 *   any       -      no    udp             UDP 4500       "esp_transport = udp"
 *   any       -      no    auto/ip         IP             "no NAT"
 *
 * ("echo": the responder echoed SEPARATE_TRANSPORTS.  IKE on UDP never
 * puts ESP on TCP: there is no connection to carry it.)  With esp_transport
 * = ip and a NAT, ESP takes UDP anyway, since bare ESP cannot cross a NAT,
 * and the reason says so.  Once the ESP path probe (net/probe.h) of a TCP
 * start was answered, the last three reasons add ", probe answered".  The
 * table is pure, so the tests quote it.
 */
#ifndef IKETCPD_NET_TRANSPORT_H
#define IKETCPD_NET_TRANSPORT_H

#include <stdbool.h>

enum ik_esp_via { IK_ESP_IP, IK_ESP_UDP, IK_ESP_TCP };

struct ik_esp_facts {
	int esp_transport;	/* enum ik_encap of the connection */
	bool ike_on_tcp;
	bool sep_agreed;
	bool nat;		/* in front of either side */
	bool esp_failed;	/* ESP on IP/UDP had no path before */
	bool probe_ok;		/* the ESP path probe was answered */
	bool probe_fallback;	/* restarted after an unanswered probe */
};

struct ik_esp_choice {
	enum ik_esp_via via;
	const char *why;	/* static text, for the log and status */
};

struct ik_esp_choice ik_esp_choose(const struct ik_esp_facts *f);

/*
 * ESP in UDP's ports, ours and the peer's (host order).  IKE on UDP 4500:
 * IKE's own, a NAT's mapping included (RFC 7296 2.23; the peer's follows
 * its authentic messages).  IKE on TCP, or on TCP port 500 before any
 * message over UDP 4500: 4500 at both ends, except that the peer's is the
 * port its UDP 4500 last reached us from (the ESP path probe through a
 * NAT that changes ports), once one did.
 */
struct ik_esp_path {
	bool ike_natt;			/* IKE is on UDP 4500 */
	uint16_t ike_lport, ike_rport;	/* IKE's UDP ports, if so */
	uint16_t seen_rport;		/* the peer's UDP 4500 as seen; 0 */
	uint16_t natt_port;		/* our UDP 4500 */
};

struct ik_esp_ports {
	uint16_t local, remote;
};

struct ik_esp_ports ik_esp_ports(const struct ik_esp_path *p);

/* "ip", "udp" or "tcp" */
const char *ik_esp_via_name(enum ik_esp_via via);

#endif
