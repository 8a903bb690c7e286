// SPDX-License-Identifier: GPL-2.0
/*
 * Text and JSON output of `iketcpd status`.  Counter names come from the
 * one table in counters.c.  The namespace shows every counter (an operator
 * looks for the one that moved); sockets show only non-zero ones, so that a
 * busy gateway's list stays readable.  JSON always has every counter, so
 * scripts need no defaults.  All strings printed are ours or numbers: JSON
 * needs no escaping.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <sys/socket.h>

#include "counters.h"
#include "print.h"

const char *ik_framing_name(unsigned int framing)
{
	switch (framing) {
	case IKETCP_FRAMING_RFC9329:
		return "rfc9329";
	case IKETCP_FRAMING_LEGACY:
		return "legacy";
	}
	return "unknown";
}

const char *ik_role_name(unsigned int role)
{
	switch (role) {
	case IKETCP_ROLE_ORIGINATOR:
		return "originator";
	case IKETCP_ROLE_ACCEPTOR:
		return "acceptor";
	}
	return "unknown";
}

static void format_addr(char *buf, size_t size, unsigned int family,
			const uint8_t *addr)
{
	int af = family == AF_INET6 ? AF_INET6 : AF_INET;

	if (!inet_ntop(af, addr, buf, (socklen_t)size))
		snprintf(buf, size, "?");
}

void ik_format_endpoint(char *buf, size_t size, unsigned int family,
			const uint8_t *addr, unsigned int port)
{
	char a[INET6_ADDRSTRLEN];

	format_addr(a, sizeof(a), family, addr);
	if (family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", a, port);
	else
		snprintf(buf, size, "%s:%u", a, port);
}

/* ------------------------------------------------------------- text */

static void text_netns(FILE *f, const struct ik_netns *ns)
{
	size_t i;

	fprintf(f, "namespace\n");
	fprintf(f, "  rx_queue_limit %" PRIu32 " bytes\n", ns->rx_queue_limit);
	fprintf(f, "  tx_queue_limit %" PRIu32 " bytes\n", ns->tx_queue_limit);
	fprintf(f, "  sockets %" PRIu32 "\n", ns->nr_sockets);
	fprintf(f, "  sa_bindings %" PRIu32 "\n", ns->nr_bindings);
	if (!ns->have_counters)
		return;
	fprintf(f, "counters (every socket attached in this namespace)\n");
	for (i = 0; i < iketcp_nr_counter_names; i++)
		fprintf(f, "  %-24s %" PRIu64 "\n", iketcp_counter_names[i],
			ns->counters[i]);
}

static void text_sock(FILE *f, const struct ik_sock *sk)
{
	char src[64], dst[64];
	size_t i;
	int n = 0;

	ik_format_endpoint(src, sizeof(src), sk->family, sk->saddr, sk->sport);
	ik_format_endpoint(dst, sizeof(dst), sk->family, sk->daddr, sk->dport);
	fprintf(f, "  inode %" PRIu64 " %s -> %s %s %s rx_queued %" PRIu32
		" tx_queued %" PRIu32, sk->inode, src, dst,
		ik_framing_name(sk->framing), ik_role_name(sk->role),
		sk->rx_queued, sk->tx_queued);
	if (sk->nr_sas)
		fprintf(f, " sas %" PRIu32, sk->nr_sas);
	fputc('\n', f);
	for (i = 0; i < iketcp_nr_counter_names; i++) {
		if (!sk->counters[i])
			continue;
		fprintf(f, "%s%s %" PRIu64, n++ ? " " : "    ",
			iketcp_counter_names[i], sk->counters[i]);
	}
	if (n)
		fputc('\n', f);
}

void ik_print_text(FILE *f, const struct ik_netns *ns,
		   const struct ik_sock *socks, size_t nr)
{
	size_t i;

	text_netns(f, ns);
	fprintf(f, "sockets%s\n", nr ? "" : ": none");
	for (i = 0; i < nr; i++)
		text_sock(f, &socks[i]);
}

/* ------------------------------------------------------------- JSON */

static void json_counters(FILE *f, const uint64_t *cnt)
{
	size_t i;

	fputs("\"counters\":{", f);
	for (i = 0; i < iketcp_nr_counter_names; i++)
		fprintf(f, "%s\"%s\":%" PRIu64, i ? "," : "",
			iketcp_counter_names[i], cnt[i]);
	fputc('}', f);
}

static void json_sock(FILE *f, const struct ik_sock *sk)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

	format_addr(src, sizeof(src), sk->family, sk->saddr);
	format_addr(dst, sizeof(dst), sk->family, sk->daddr);
	fprintf(f, "{\"inode\":%" PRIu64 ",\"family\":\"%s\","
		"\"saddr\":\"%s\",\"sport\":%u,\"daddr\":\"%s\",\"dport\":%u,"
		"\"framing\":\"%s\",\"role\":\"%s\",\"rx_queued\":%" PRIu32
		",\"tx_queued\":%" PRIu32 ",\"sas\":%" PRIu32 ",",
		sk->inode, sk->family == AF_INET6 ? "inet6" : "inet",
		src, sk->sport, dst, sk->dport, ik_framing_name(sk->framing),
		ik_role_name(sk->role), sk->rx_queued, sk->tx_queued,
		sk->nr_sas);
	json_counters(f, sk->counters);
	fputc('}', f);
}

void ik_print_json(FILE *f, const struct ik_netns *ns,
		   const struct ik_sock *socks, size_t nr)
{
	size_t i;

	fprintf(f, "{\"namespace\":{\"rx_queue_limit\":%" PRIu32
		",\"tx_queue_limit\":%" PRIu32 ",\"sockets\":%" PRIu32
		",\"sa_bindings\":%" PRIu32 ",", ns->rx_queue_limit,
		ns->tx_queue_limit, ns->nr_sockets, ns->nr_bindings);
	json_counters(f, ns->counters);
	fputs("},\"sockets\":[", f);
	for (i = 0; i < nr; i++) {
		if (i)
			fputc(',', f);
		json_sock(f, &socks[i]);
	}
	fputs("]}\n", f);
}
