// SPDX-License-Identifier: GPL-2.0
/*
 * The ESP transport decision: see transport.h for the table.
 */
#include "config.h"
#include "net/transport.h"

struct ik_esp_choice ik_esp_choose(const struct ik_esp_facts *f)
{
	if (f->ike_on_tcp && f->esp_transport == IK_ENCAP_TCP)
		return (struct ik_esp_choice){ IK_ESP_TCP,
					       "esp_transport = tcp" };
	if (f->ike_on_tcp && !f->sep_agreed && f->probe_fallback)
		return (struct ik_esp_choice){ IK_ESP_TCP,
			"ESP probe unanswered: restarted without "
			"SEPARATE_TRANSPORTS" };
	if (f->ike_on_tcp && !f->sep_agreed)
		return (struct ik_esp_choice){ IK_ESP_TCP,
			"IKE on TCP, no SEPARATE_TRANSPORTS echo" };
	if (f->ike_on_tcp && f->esp_failed)
		return (struct ik_esp_choice){ IK_ESP_TCP,
			"ESP had no path over IP/UDP" };
	if (f->nat && f->esp_transport == IK_ENCAP_IP)
		return (struct ik_esp_choice){ IK_ESP_UDP,
			"NAT detected (bare ESP cannot cross it)" };
	if (f->nat)
		return (struct ik_esp_choice){ IK_ESP_UDP, f->probe_ok ?
			"NAT detected, probe answered" : "NAT detected" };
	if (f->esp_transport == IK_ENCAP_UDP)
		return (struct ik_esp_choice){ IK_ESP_UDP, f->probe_ok ?
			"esp_transport = udp, probe answered" :
			"esp_transport = udp" };
	return (struct ik_esp_choice){ IK_ESP_IP, f->probe_ok ?
		"no NAT, probe answered" : "no NAT" };
}

struct ik_esp_ports ik_esp_ports(const struct ik_esp_path *p)
{
	if (p->ike_natt)
		return (struct ik_esp_ports){ p->ike_lport, p->ike_rport };
	return (struct ik_esp_ports){ p->natt_port, p->seen_rport ?
				      p->seen_rport : p->natt_port };
}

const char *ik_esp_via_name(enum ik_esp_via via)
{
	switch (via) {
	case IK_ESP_IP: return "ip";
	case IK_ESP_UDP: return "udp";
	case IK_ESP_TCP: return "tcp";
	}
	return "?";
}
