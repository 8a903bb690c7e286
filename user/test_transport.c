// SPDX-License-Identifier: GPL-2.0
/*
 * The ESP transport decision (net/transport.h): every row of its table.
 */
#include <string.h>

#include "config.h"
#include "ktap.h"
#include "net/probe.h"
#include "net/transport.h"

static enum ik_esp_via via(int esp, bool tcp, bool echo, bool nat,
			   bool failed)
{
	struct ik_esp_facts f = { .esp_transport = esp, .ike_on_tcp = tcp,
				  .sep_agreed = echo, .nat = nat,
				  .esp_failed = failed };

	return ik_esp_choose(&f).via;
}

static void ike_on_udp_never_puts_esp_on_tcp(void)
{
	CHECK(via(IK_ENCAP_AUTO, false, false, false, false) == IK_ESP_IP);
	CHECK(via(IK_ENCAP_AUTO, false, false, true, false) == IK_ESP_UDP);
	CHECK(via(IK_ENCAP_UDP, false, false, false, false) == IK_ESP_UDP);
	CHECK(via(IK_ENCAP_TCP, false, true, false, false) == IK_ESP_IP);
	CHECK(via(IK_ENCAP_AUTO, false, true, false, true) == IK_ESP_IP);
}

static void ike_on_tcp_without_the_echo_carries_esp(void)
{
	CHECK(via(IK_ENCAP_AUTO, true, false, false, false) == IK_ESP_TCP);
	CHECK(via(IK_ENCAP_IP, true, false, true, false) == IK_ESP_TCP);
	CHECK(via(IK_ENCAP_UDP, true, false, false, false) == IK_ESP_TCP);
}

static void with_the_echo_esp_keeps_ip_or_udp(void)
{
	CHECK(via(IK_ENCAP_AUTO, true, true, false, false) == IK_ESP_IP);
	CHECK(via(IK_ENCAP_AUTO, true, true, true, false) == IK_ESP_UDP);
	CHECK(via(IK_ENCAP_UDP, true, true, false, false) == IK_ESP_UDP);
	CHECK(via(IK_ENCAP_IP, true, true, false, false) == IK_ESP_IP);
}

static void ip_behind_a_nat_takes_udp_and_says_why(void)
{
	struct ik_esp_facts f = { .esp_transport = IK_ENCAP_IP,
				  .ike_on_tcp = true, .sep_agreed = true,
				  .nat = true };
	struct ik_esp_choice c = ik_esp_choose(&f);

	CHECK(c.via == IK_ESP_UDP);
	CHECK(strstr(c.why, "cannot cross") != NULL);
}

static void configured_tcp_and_an_earlier_failure_mean_tcp(void)
{
	CHECK(via(IK_ENCAP_TCP, true, true, false, false) == IK_ESP_TCP);
	CHECK(via(IK_ENCAP_AUTO, true, true, true, true) == IK_ESP_TCP);
	CHECK(!strcmp(ik_esp_via_name(IK_ESP_TCP), "tcp"));
	CHECK(!strcmp(ik_esp_via_name(IK_ESP_IP), "ip"));
}

static void the_probe_names_its_outcome(void)
{
	struct ik_esp_facts f = { .esp_transport = IK_ENCAP_AUTO,
				  .ike_on_tcp = true, .sep_agreed = true,
				  .probe_ok = true };
	struct ik_esp_choice c = ik_esp_choose(&f);

	CHECK(c.via == IK_ESP_IP && !strcmp(c.why, "no NAT, probe answered"));
	f.nat = true;
	c = ik_esp_choose(&f);
	CHECK(c.via == IK_ESP_UDP && strstr(c.why, "probe answered"));
	/* the IKE SA started again without the notify after no answer */
	f = (struct ik_esp_facts){ .esp_transport = IK_ENCAP_AUTO,
				   .ike_on_tcp = true, .probe_fallback = true };
	c = ik_esp_choose(&f);
	CHECK(c.via == IK_ESP_TCP && strstr(c.why, "ESP probe unanswered"));
}

static void a_probe_round_trips_and_nothing_else_parses(void)
{
	struct ik_probe_msg m = { .spi_i = 0x0102030405060708ULL,
				  .spi_r = 0x1112131415161718ULL }, got;
	uint8_t b[IK_PROBE_LEN], x[IK_PROBE_LEN];
	size_t i;
	bool all_rejected = true;

	memset(m.token, 0xa5, sizeof(m.token));
	ik_probe_encode(&m, b);
	CHECK(!memcmp(b, "\0\0\0\0\1\2\3\4\5\6\7\x08", 12));
	CHECK(b[21] == 0x20 && b[22] == IK_PROBE_EXCHANGE && b[23] == 0x08);
	CHECK(b[31] == IK_PROBE_LEN - 4);
	CHECK(ik_probe_parse(b + 4, sizeof(b) - 4, &got) && !got.answer &&
	      got.spi_i == m.spi_i && got.spi_r == m.spi_r &&
	      !memcmp(got.token, m.token, sizeof(m.token)));
	m.answer = true;
	ik_probe_encode(&m, b);
	CHECK(ik_probe_parse(b + 4, sizeof(b) - 4, &got) && got.answer);
	CHECK(!ik_probe_parse(b + 4, sizeof(b) - 5, &got));
	/* a change in any byte but the SPIs and the token: not a probe */
	for (i = 4; i < 32; i++) {
		if (i < 20)
			continue;
		memcpy(x, b, sizeof(x));
		x[i] ^= 0x40;
		if (ik_probe_parse(x + 4, sizeof(x) - 4, &got))
			all_rejected = false;
	}
	CHECK(all_rejected);
}

static bool ports_are(const struct ik_esp_path *p, uint16_t l, uint16_t r)
{
	struct ik_esp_ports got = ik_esp_ports(p);

	return got.local == l && got.remote == r;
}

/* ESP in UDP goes where the peer's UDP 4500 comes from: IKE's own ports
 * on UDP 4500; after a TCP start 4500, or the NAT's port the peer's probe
 * came from (a NAT that changes ports: 4500 would reach nobody). */
static void esp_in_udp_goes_where_the_peers_udp_came_from(void)
{
	struct ik_esp_path p = { .ike_natt = true, .ike_lport = 4500,
				 .ike_rport = 31234, .natt_port = 4500 };

	CHECK(ports_are(&p, 4500, 31234));
	p = (struct ik_esp_path){ .natt_port = 4500 };
	CHECK(ports_are(&p, 4500, 4500));
	p.seen_rport = 40001;
	CHECK(ports_are(&p, 4500, 40001));
	/* IKE moved to UDP 4500 later (the liveness check after TCP 500):
	 * its ports win */
	p.ike_natt = true;
	p.ike_lport = 4500;
	p.ike_rport = 50002;
	CHECK(ports_are(&p, 4500, 50002));
}

static const struct ktap_case cases[] = {
	KTAP_CASE(ike_on_udp_never_puts_esp_on_tcp),
	KTAP_CASE(ike_on_tcp_without_the_echo_carries_esp),
	KTAP_CASE(with_the_echo_esp_keeps_ip_or_udp),
	KTAP_CASE(ip_behind_a_nat_takes_udp_and_says_why),
	KTAP_CASE(configured_tcp_and_an_earlier_failure_mean_tcp),
	KTAP_CASE(the_probe_names_its_outcome),
	KTAP_CASE(a_probe_round_trips_and_nothing_else_parses),
	KTAP_CASE(esp_in_udp_goes_where_the_peers_udp_came_from),
};

KTAP_MAIN(cases)
