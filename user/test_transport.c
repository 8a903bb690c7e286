// SPDX-License-Identifier: GPL-2.0
/*
 * The ESP transport decision (net/transport.h): every row of its table.
 */
#include <string.h>

#include "config.h"
#include "ktap.h"
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

static const struct ktap_case cases[] = {
	KTAP_CASE(ike_on_udp_never_puts_esp_on_tcp),
	KTAP_CASE(ike_on_tcp_without_the_echo_carries_esp),
	KTAP_CASE(with_the_echo_esp_keeps_ip_or_udp),
	KTAP_CASE(ip_behind_a_nat_takes_udp_and_says_why),
	KTAP_CASE(configured_tcp_and_an_earlier_failure_mean_tcp),
};

KTAP_MAIN(cases)
