// SPDX-License-Identifier: GPL-2.0
/*
 * `iketcpd status` output: see status.h.  The JSON form is built with
 * json-c; its keys are part of the interface scripts rely on.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>

#include <json-c/json.h>

#include "ike/choose.h"
#include "net/tcp.h"
#include "net/transport.h"
#include "status.h"

const char *ik_sa_state_name(enum ike_sa_state s)
{
	switch (s) {
	case IKE_S_INIT_SENT: return "init-sent";
	case IKE_S_INTER_SENT: return "intermediate-sent";
	case IKE_S_AUTH_SENT: return "auth-sent";
	case IKE_S_INIT_DONE: return "half-open";
	case IKE_S_ESTABLISHED: return "established";
	case IKE_S_DELETING: return "deleting";
	case IKE_S_DEAD: return "dead";
	}
	return "?";
}

static const char *addr_str(const struct sockaddr_storage *ss, char *buf,
			    size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	uint16_t port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		port = ntohs(s4->sin_port);
		snprintf(buf, len, "%s:%u", a, port);
	} else {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		port = ntohs(s6->sin6_port);
		snprintf(buf, len, "[%s]:%u", a, port);
	}
	return buf;
}

static const char *ts_str(const struct ike_ts_pl *t, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int fam;

	if (!t->n) {
		snprintf(buf, len, "-");
		return buf;
	}
	fam = t->ts[0].type == IKE_TS_IPV6_ADDR_RANGE ? AF_INET6 : AF_INET;
	inet_ntop(fam, t->ts[0].start, a, sizeof(a));
	inet_ntop(fam, t->ts[0].end, b, sizeof(b));
	snprintf(buf, len, "%s-%s proto %u ports %u-%u", a, b,
		 t->ts[0].ipproto, t->ts[0].start_port, t->ts[0].end_port);
	return buf;
}

static const char *transport_of(const struct ike_sa *sa)
{
	if (sa->on_tcp)
		return sa->tcp && !sa->tcp->dead ? "tcp" : "tcp-reconnecting";
	return sa->natt ? "udp-4500" : "udp-500";
}

/* ESP's transport as net/transport.c chose it, and why */
static const char *esp_of(const struct child_sa *c)
{
	if (c->esp_via == IK_ESP_TCP && !c->bound_out)
		return "tcp-unbound";
	return ik_esp_via_name(c->esp_via);
}

static void child_text(FILE *f, const struct ike_sa *sa,
		       const struct child_sa *c, ik_child_stats_fn stats,
		       void *ctx)
{
	struct ik_child_stats st = { 0 };
	char alg[64], tl[128], tr[128];

	stats(ctx, sa, c, &st);
	fprintf(f, "    child %08x/%08x %s esp over %s (%s) %s\n", c->spi_in,
		c->spi_out, c->transport ? "transport" : "tunnel",
		esp_of(c), c->esp_why ? c->esp_why : "-",
		ike_prop_name(&c->alg, false, alg, sizeof(alg)));
	fprintf(f, "      local %s\n      remote %s\n",
		ts_str(&c->ts_local, tl, sizeof(tl)),
		ts_str(&c->ts_remote, tr, sizeof(tr)));
	if (st.ok)
		fprintf(f, "      in %" PRIu64 " bytes %" PRIu64 " packets, "
			"out %" PRIu64 " bytes %" PRIu64 " packets\n",
			st.in_bytes, st.in_packets, st.out_bytes,
			st.out_packets);
}

static void sa_text(FILE *f, const struct ike_sa *sa, uint64_t now,
		    ik_child_stats_fn stats, void *ctx)
{
	char l[64], r[64], alg[80];
	const struct child_sa *c;

	fprintf(f, "%s: IKE SA %016" PRIx64 "/%016" PRIx64 " %s, %s\n",
		sa->conn ? sa->conn->name : "-", sa->spi_i, sa->spi_r,
		ik_sa_state_name(sa->state),
		sa->initiator ? "initiator" : "responder");
	fprintf(f, "  %s <-> %s over %s (%s), %s, up %" PRIu64 " s\n",
		addr_str(&sa->local, l, sizeof(l)),
		addr_str(&sa->remote, r, sizeof(r)), transport_of(sa),
		sa->ike_why ? sa->ike_why : "-",
		sa->have_keys ? ike_prop_name(&sa->alg, true, alg, sizeof(alg)) :
		"(negotiating)", sa->created ? (now - sa->created) / 1000 : 0);
	for (c = sa->children; c; c = c->next)
		child_text(f, sa, c, stats, ctx);
}

static json_object *child_json(const struct ike_sa *sa,
			       const struct child_sa *c,
			       ik_child_stats_fn stats, void *ctx)
{
	struct ik_child_stats st = { 0 };
	json_object *o = json_object_new_object();
	char buf[128];

	stats(ctx, sa, c, &st);
	snprintf(buf, sizeof(buf), "%08x", c->spi_in);
	json_object_object_add(o, "spi_in", json_object_new_string(buf));
	snprintf(buf, sizeof(buf), "%08x", c->spi_out);
	json_object_object_add(o, "spi_out", json_object_new_string(buf));
	json_object_object_add(o, "mode", json_object_new_string(
			       c->transport ? "transport" : "tunnel"));
	json_object_object_add(o, "esp", json_object_new_string(esp_of(c)));
	json_object_object_add(o, "esp_reason", json_object_new_string(
			       c->esp_why ? c->esp_why : ""));
	json_object_object_add(o, "algorithms", json_object_new_string(
			       ike_prop_name(&c->alg, false, buf, sizeof(buf))));
	json_object_object_add(o, "local_ts", json_object_new_string(
			       ts_str(&c->ts_local, buf, sizeof(buf))));
	json_object_object_add(o, "remote_ts", json_object_new_string(
			       ts_str(&c->ts_remote, buf, sizeof(buf))));
	if (st.ok) {
		json_object_object_add(o, "in_bytes", json_object_new_uint64(st.in_bytes));
		json_object_object_add(o, "in_packets", json_object_new_uint64(st.in_packets));
		json_object_object_add(o, "out_bytes", json_object_new_uint64(st.out_bytes));
		json_object_object_add(o, "out_packets", json_object_new_uint64(st.out_packets));
	}
	return o;
}

static json_object *sa_json(const struct ike_sa *sa, uint64_t now,
			    ik_child_stats_fn stats, void *ctx)
{
	json_object *o = json_object_new_object(), *kids;
	const struct child_sa *c;
	char buf[80];

	json_object_object_add(o, "connection", json_object_new_string(
			       sa->conn ? sa->conn->name : ""));
	snprintf(buf, sizeof(buf), "%016" PRIx64, sa->spi_i);
	json_object_object_add(o, "spi_i", json_object_new_string(buf));
	snprintf(buf, sizeof(buf), "%016" PRIx64, sa->spi_r);
	json_object_object_add(o, "spi_r", json_object_new_string(buf));
	json_object_object_add(o, "state", json_object_new_string(
			       ik_sa_state_name(sa->state)));
	json_object_object_add(o, "role", json_object_new_string(
			       sa->initiator ? "initiator" : "responder"));
	json_object_object_add(o, "local", json_object_new_string(
			       addr_str(&sa->local, buf, sizeof(buf))));
	json_object_object_add(o, "remote", json_object_new_string(
			       addr_str(&sa->remote, buf, sizeof(buf))));
	json_object_object_add(o, "transport", json_object_new_string(
			       transport_of(sa)));
	json_object_object_add(o, "transport_reason", json_object_new_string(
			       sa->ike_why ? sa->ike_why : ""));
	if (sa->have_keys)
		json_object_object_add(o, "algorithms", json_object_new_string(
				       ike_prop_name(&sa->alg, true, buf,
						     sizeof(buf))));
	json_object_object_add(o, "age_s", json_object_new_uint64(
			       sa->created ? (now - sa->created) / 1000 : 0));
	kids = json_object_new_array();
	for (c = sa->children; c; c = c->next)
		json_object_array_add(kids, child_json(sa, c, stats, ctx));
	json_object_object_add(o, "children", kids);
	return o;
}

void ik_status_write(FILE *f, bool json, const struct ike_sa_table *t,
		     uint64_t now_ms, ik_child_stats_fn stats, void *ctx)
{
	const struct ike_sa *sa;
	json_object *root, *arr;

	if (!json) {
		fprintf(f, "%u IKE SA(s), %u half-open\n", t->count,
			t->half_open);
		for (sa = t->head; sa; sa = sa->next)
			sa_text(f, sa, now_ms, stats, ctx);
		return;
	}
	root = json_object_new_object();
	arr = json_object_new_array();
	for (sa = t->head; sa; sa = sa->next)
		json_object_array_add(arr, sa_json(sa, now_ms, stats, ctx));
	json_object_object_add(root, "ike_sas", arr);
	json_object_object_add(root, "half_open", json_object_new_int(t->half_open));
	fprintf(f, "%s\n", json_object_to_json_string_ext(root,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}
