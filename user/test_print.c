// SPDX-License-Identifier: GPL-2.0
/*
 * Output of `iketcpd status`: the text layout operators read and the JSON
 * scripts parse (every counter present, under its UAPI name).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "counters.h"
#include "print.h"
#include "ktap.h"

static char *out;
static size_t out_len;

static FILE *capture(void)
{
	free(out);
	out = NULL;
	return open_memstream(&out, &out_len);
}

static void sample(struct ik_netns *ns, struct ik_sock *sk)
{
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t b6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

	memset(ns, 0, sizeof(*ns));
	ns->have_config = ns->have_counters = true;
	ns->rx_queue_limit = 524288;
	ns->tx_queue_limit = 131070;
	ns->nr_sockets = 2;
	ns->counters[IKETCP_CNT_RESET_BAD_PREFIX] = 3;
	memset(sk, 0, 2 * sizeof(*sk));
	sk[0].inode = 4242;
	sk[0].family = AF_INET;
	memcpy(sk[0].saddr, "\xc0\x00\x02\x01", 4);
	memcpy(sk[0].daddr, "\xc6\x33\x64\x07", 4);
	sk[0].sport = 4500;
	sk[0].dport = 40000;
	sk[0].framing = IKETCP_FRAMING_RFC9329;
	sk[0].role = IKETCP_ROLE_ORIGINATOR;
	sk[0].counters[IKETCP_CNT_RX_IKE_MSGS] = 2;
	sk[0].counters[IKETCP_CNT_TX_IKE_BYTES] = 900;
	sk[1].inode = 4343;
	sk[1].family = AF_INET6;
	memcpy(sk[1].saddr, a6, 16);
	memcpy(sk[1].daddr, b6, 16);
	sk[1].sport = 500;
	sk[1].dport = 500;
	sk[1].framing = IKETCP_FRAMING_LEGACY;
	sk[1].role = IKETCP_ROLE_UNKNOWN;
	sk[1].rx_queued = 7;
}

static void endpoints_ipv4_and_bracketed_ipv6(void)
{
	char b[64];

	ik_format_endpoint(b, sizeof(b), AF_INET,
			   (const uint8_t *)"\x0a\x00\x00\x01", 4500);
	CHECK(!strcmp(b, "10.0.0.1:4500"));
	ik_format_endpoint(b, sizeof(b), AF_INET6,
			   (const uint8_t *)"\xfe\x80\0\0\0\0\0\0\0\0\0\0\0\0\0\x01",
			   500);
	CHECK(!strcmp(b, "[fe80::1]:500"));
}

static void names_of_framings_and_roles(void)
{
	CHECK(!strcmp(ik_framing_name(IKETCP_FRAMING_RFC9329), "rfc9329"));
	CHECK(!strcmp(ik_framing_name(IKETCP_FRAMING_LEGACY), "legacy"));
	CHECK(!strcmp(ik_framing_name(0), "unknown"));
	CHECK(!strcmp(ik_role_name(IKETCP_ROLE_ORIGINATOR), "originator"));
	CHECK(!strcmp(ik_role_name(IKETCP_ROLE_ACCEPTOR), "acceptor"));
	CHECK(!strcmp(ik_role_name(IKETCP_ROLE_UNKNOWN), "unknown"));
}

static void text_shows_settings_all_ns_counters_and_sockets(void)
{
	struct ik_netns ns;
	struct ik_sock sk[2];
	FILE *f = capture();
	size_t i;

	sample(&ns, sk);
	ik_print_text(f, &ns, sk, 2);
	fclose(f);
	CHECK(strstr(out, "namespace\n  rx_queue_limit 524288 bytes\n"
		      "  tx_queue_limit 131070 bytes\n  sockets 2\n"
		      "  sa_bindings 0\n") == out);
	for (i = 0; i < iketcp_nr_counter_names; i++)
		CHECK(strstr(out, iketcp_counter_names[i]) != NULL);
	CHECK(strstr(out, "  reset_bad_prefix         3\n") != NULL);
	CHECK(strstr(out, "  inode 4242 192.0.2.1:4500 -> 198.51.100.7:40000 "
		      "rfc9329 originator rx_queued 0 tx_queued 0\n"
		      "    rx_ike_msgs 2 tx_ike_bytes 900\n") != NULL);
	/* A socket whose counters are all zero gets no counter line. */
	CHECK(strstr(out, "  inode 4343 [2001:db8::1]:500 -> [2001:db8::2]:500"
		      " legacy unknown rx_queued 7 tx_queued 0\n") != NULL);
	CHECK(out[out_len - 1] == '\n' && strstr(out, "4343") &&
	      !strchr(strstr(out, "4343"), '\n')[1]);
}

static void text_with_no_sockets_says_none(void)
{
	struct ik_netns ns;
	struct ik_sock sk[2];
	FILE *f = capture();

	sample(&ns, sk);
	ik_print_text(f, &ns, NULL, 0);
	fclose(f);
	CHECK(strstr(out, "sockets: none\n") != NULL);
}

/* Braces and brackets balance outside strings, and it is one line. */
static bool json_balanced(const char *s)
{
	int depth = 0;
	bool str = false;

	for (; *s; s++) {
		if (*s == '"')
			str = !str;
		else if (!str && (*s == '{' || *s == '['))
			depth++;
		else if (!str && (*s == '}' || *s == ']'))
			depth--;
		else if (*s == '\n' && s[1])
			return false;
		if (depth < 0)
			return false;
	}
	return depth == 0 && !str;
}

static void json_is_one_document_with_every_counter(void)
{
	struct ik_netns ns;
	struct ik_sock sk[2];
	FILE *f = capture();
	char key[64];
	size_t i;
	char *p;

	sample(&ns, sk);
	ik_print_json(f, &ns, sk, 2);
	fclose(f);
	CHECK(json_balanced(out));
	CHECK(strstr(out, "{\"namespace\":{\"rx_queue_limit\":524288,"
		      "\"tx_queue_limit\":131070,\"sockets\":2,"
		      "\"sa_bindings\":0,\"counters\":{\"rx_ike_msgs\":0,")
	      == out);
	CHECK(strstr(out, "\"reset_bad_prefix\":3") != NULL);
	CHECK(strstr(out, "{\"inode\":4242,\"family\":\"inet\","
		      "\"saddr\":\"192.0.2.1\",\"sport\":4500,"
		      "\"daddr\":\"198.51.100.7\",\"dport\":40000,"
		      "\"framing\":\"rfc9329\",\"role\":\"originator\"") != NULL);
	CHECK(strstr(out, "\"family\":\"inet6\",\"saddr\":\"2001:db8::1\"")
	      != NULL);
	/* Every counter three times: the namespace and both sockets. */
	for (i = 0; i < iketcp_nr_counter_names; i++) {
		int n = 0;

		snprintf(key, sizeof(key), "\"%s\":", iketcp_counter_names[i]);
		for (p = out; (p = strstr(p, key)); p++)
			n++;
		CHECK(n == 3);
	}
}

static void json_with_no_sockets_has_an_empty_list(void)
{
	struct ik_netns ns;
	struct ik_sock sk[2];
	FILE *f = capture();

	sample(&ns, sk);
	ik_print_json(f, &ns, NULL, 0);
	fclose(f);
	CHECK(json_balanced(out));
	CHECK(strstr(out, "},\"sockets\":[]}\n") != NULL);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(endpoints_ipv4_and_bracketed_ipv6),
	KTAP_CASE(names_of_framings_and_roles),
	KTAP_CASE(text_shows_settings_all_ns_counters_and_sockets),
	KTAP_CASE(text_with_no_sockets_says_none),
	KTAP_CASE(json_is_one_document_with_every_counter),
	KTAP_CASE(json_with_no_sockets_has_an_empty_list),
};

int main(void)
{
	int rc = ktap_run(cases, sizeof(cases) / sizeof(cases[0]));

	free(out);
	return rc;
}
