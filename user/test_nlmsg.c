// SPDX-License-Identifier: GPL-2.0
/*
 * The netlink messages iketcpd builds, and its parsing of canned replies
 * shaped like the module's (kernel/netlink.c) and the kernel's own (acks,
 * extended acks, dump ends), including malformed ones.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "nlmsg.h"
#include "ktap.h"

#define FAM 0x1234
#define GENL_OFF MNL_ALIGN(sizeof(struct genlmsghdr))

static char buf[16384];

static const struct genlmsghdr *genl_of(const struct nlmsghdr *nlh)
{
	return mnl_nlmsg_get_payload(nlh);
}

/* Start a reply message at p, as the kernel would send it. */
static struct nlmsghdr *reply(void *p, uint16_t type, uint8_t cmd,
			      uint32_t seq, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(p);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	g->cmd = cmd;
	g->version = IKETCP_GENL_VERSION;
	return nlh;
}

/* An NLMSG_ERROR at p: err, and an extack message if msg is not NULL. */
static struct nlmsghdr *nlerr(void *p, uint32_t seq, int err,
			      const char *msg, bool capped)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(p);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	struct nlmsghdr *echo;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = seq;
	e->error = err;
	e->msg.nlmsg_len = sizeof(struct nlmsghdr) + 8;
	e->msg.nlmsg_seq = seq;
	if (!capped) {
		echo = mnl_nlmsg_put_extra_header(nlh, 8);
		memset(echo, 0xee, 8);
	} else {
		nlh->nlmsg_flags |= NLM_F_CAPPED;
	}
	if (msg) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
	}
	return nlh;
}

static void put_counters(struct nlmsghdr *nlh, uint16_t type, uint64_t base)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, type);
	uint16_t i;

	for (i = 0; i < __IKETCP_CNT_MAX; i++)
		mnl_attr_put_u64(nlh, i + 1, base + i);
	mnl_attr_put_u64(nlh, __IKETCP_CNT_MAX + 1, 999);  /* newer module */
	mnl_attr_nest_end(nlh, n);
}

static struct nlmsghdr *netns_reply(void *p, uint32_t seq)
{
	struct nlmsghdr *nlh = reply(p, FAM, IKETCP_CMD_GET_NETNS, seq, 0);
	struct nlattr *n = mnl_attr_nest_start(nlh, IKETCP_A_CONFIG);

	mnl_attr_put_u32(nlh, IKETCP_CONFIG_RX_QUEUE_LIMIT, 524288);
	mnl_attr_put_u32(nlh, IKETCP_CONFIG_TX_QUEUE_LIMIT, 262144);
	mnl_attr_nest_end(nlh, n);
	put_counters(nlh, IKETCP_A_COUNTERS, 100);
	mnl_attr_put_u32(nlh, IKETCP_A_NR_SOCKETS, 3);
	mnl_attr_put_u32(nlh, IKETCP_A_NR_BINDINGS, 4);
	mnl_attr_put_u32(nlh, 200, 1);	/* unknown: skipped */
	return nlh;
}

static struct nlmsghdr *sock_reply(void *p, uint32_t seq, bool v6,
				   uint64_t inode)
{
	struct nlmsghdr *nlh = reply(p, FAM, IKETCP_CMD_GET_SOCKETS, seq,
				     NLM_F_MULTI);
	struct nlattr *n = mnl_attr_nest_start(nlh, IKETCP_A_SOCK), *sas;
	uint8_t a4[4] = { 192, 0, 2, 1 }, b4[4] = { 198, 51, 100, 7 };
	uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	uint8_t b6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

	mnl_attr_put_u64(nlh, IKETCP_SOCK_INODE, inode);
	mnl_attr_put_u16(nlh, IKETCP_SOCK_FAMILY, v6 ? AF_INET6 : AF_INET);
	mnl_attr_put(nlh, IKETCP_SOCK_SADDR, v6 ? 16 : 4, v6 ? a6 : a4);
	mnl_attr_put(nlh, IKETCP_SOCK_DADDR, v6 ? 16 : 4, v6 ? b6 : b4);
	mnl_attr_put_u16(nlh, IKETCP_SOCK_SPORT, 4500);
	mnl_attr_put_u16(nlh, IKETCP_SOCK_DPORT, 40000);
	mnl_attr_put_u8(nlh, IKETCP_SOCK_FRAMING, IKETCP_FRAMING_RFC9329);
	mnl_attr_put_u8(nlh, IKETCP_SOCK_ROLE, IKETCP_ROLE_ACCEPTOR);
	mnl_attr_put_u32(nlh, IKETCP_SOCK_RX_QUEUED, 10);
	mnl_attr_put_u32(nlh, IKETCP_SOCK_TX_QUEUED, 20);
	put_counters(nlh, IKETCP_SOCK_COUNTERS, 1);
	sas = mnl_attr_nest_start(nlh, IKETCP_SOCK_SAS);
	mnl_attr_nest_end(nlh, mnl_attr_nest_start(nlh, IKETCP_A_SA));
	mnl_attr_nest_end(nlh, mnl_attr_nest_start(nlh, IKETCP_A_SA));
	mnl_attr_nest_end(nlh, sas);
	mnl_attr_nest_end(nlh, n);
	return nlh;
}

static struct nlmsghdr *done(void *p, uint32_t seq, int err)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(p);
	int *e = mnl_nlmsg_put_extra_header(nlh, sizeof(int));

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = seq;
	*e = err;
	return nlh;
}

/* ------------------------------------------------------------ requests */

static void getfamily_request_names_iketcp(void)
{
	struct nlmsghdr *nlh = ik_req_getfamily(buf, 7);
	const struct nlattr *a;
	int found = 0;

	CHECK(nlh->nlmsg_type == GENL_ID_CTRL);
	CHECK(nlh->nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK));
	CHECK(nlh->nlmsg_seq == 7);
	CHECK(genl_of(nlh)->cmd == CTRL_CMD_GETFAMILY);
	mnl_attr_for_each(a, nlh, GENL_OFF) {
		CHECK(mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_NAME);
		CHECK(!strcmp(mnl_attr_get_str(a), "iketcp"));
		found++;
	}
	CHECK(found == 1);
}

static void get_netns_request_is_a_do_with_no_attributes(void)
{
	struct nlmsghdr *nlh = ik_req_get_netns(buf, FAM, 9);

	CHECK(nlh->nlmsg_type == FAM);
	CHECK(nlh->nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK));
	CHECK(genl_of(nlh)->cmd == IKETCP_CMD_GET_NETNS);
	CHECK(genl_of(nlh)->version == IKETCP_GENL_VERSION);
	CHECK(nlh->nlmsg_len == MNL_NLMSG_HDRLEN + GENL_OFF);
}

static void get_sockets_request_is_a_dump(void)
{
	struct nlmsghdr *nlh = ik_req_get_sockets(buf, FAM, 9);

	CHECK(nlh->nlmsg_flags == (NLM_F_REQUEST | NLM_F_DUMP));
	CHECK(genl_of(nlh)->cmd == IKETCP_CMD_GET_SOCKETS);
}

/* The config nest of a SET_NETNS request: which limits, which values. */
static void read_set(const struct nlmsghdr *nlh, int64_t *rx, int64_t *tx)
{
	const struct nlattr *a, *c;

	*rx = *tx = -1;
	mnl_attr_for_each(a, nlh, GENL_OFF) {
		CHECK(mnl_attr_get_type(a) == IKETCP_A_CONFIG);
		mnl_attr_for_each_nested(c, a) {
			CHECK(mnl_attr_validate(c, MNL_TYPE_U32) == 0);
			if (mnl_attr_get_type(c) == IKETCP_CONFIG_RX_QUEUE_LIMIT)
				*rx = mnl_attr_get_u32(c);
			else if (mnl_attr_get_type(c) ==
				 IKETCP_CONFIG_TX_QUEUE_LIMIT)
				*tx = mnl_attr_get_u32(c);
			else
				CHECK(0);
		}
	}
}

static void set_netns_request_carries_only_the_given_limits(void)
{
	struct ik_limits l = { .set_rx = true, .rx = 1 << 20 };
	struct nlmsghdr *nlh = ik_req_set_netns(buf, FAM, 3, &l);
	int64_t rx, tx;

	CHECK(nlh->nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK));
	CHECK(genl_of(nlh)->cmd == IKETCP_CMD_SET_NETNS);
	read_set(nlh, &rx, &tx);
	CHECK(rx == 1 << 20 && tx == -1);
	l = (struct ik_limits){ .set_rx = true, .rx = 200000,
				.set_tx = true, .tx = 300000 };
	read_set(ik_req_set_netns(buf, FAM, 3, &l), &rx, &tx);
	CHECK(rx == 200000 && tx == 300000);
}

/* ------------------------------------------------------------- parsing */

static void family_reply_gives_the_id(void)
{
	struct nlmsghdr *nlh = reply(buf, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY,
				     1, 0);
	uint16_t id = 0;

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "iketcp");
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x2a);
	CHECK(ik_parse_family(nlh, &id) == 0 && id == 0x2a);
	nlh = reply(buf, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY, 1, 0);
	CHECK(ik_parse_family(nlh, &id) == -EPROTO);
}

static void netns_reply_parsed_and_unknowns_skipped(void)
{
	struct ik_netns ns;
	int i;

	CHECK(ik_parse_netns(netns_reply(buf, 1), &ns) == 0);
	CHECK(ns.have_config && ns.rx_queue_limit == 524288);
	CHECK(ns.tx_queue_limit == 262144);
	CHECK(ns.nr_sockets == 3 && ns.nr_bindings == 4);
	CHECK(ns.have_counters);
	for (i = 0; i < __IKETCP_CNT_MAX; i++)
		CHECK(ns.counters[i] == 100u + (unsigned int)i);
}

static void netns_reply_with_a_short_attribute_is_refused(void)
{
	struct nlmsghdr *nlh = reply(buf, FAM, IKETCP_CMD_GET_NETNS, 1, 0);
	struct nlattr *n = mnl_attr_nest_start(nlh, IKETCP_A_CONFIG);
	struct ik_netns ns;

	mnl_attr_put_u16(nlh, IKETCP_CONFIG_RX_QUEUE_LIMIT, 5);
	mnl_attr_nest_end(nlh, n);
	CHECK(ik_parse_netns(nlh, &ns) == -EPROTO);
}

static void netns_reply_without_config_is_refused(void)
{
	struct nlmsghdr *nlh = reply(buf, FAM, IKETCP_CMD_GET_NETNS, 1, 0);
	struct ik_netns ns;

	mnl_attr_put_u32(nlh, IKETCP_A_NR_SOCKETS, 3);
	CHECK(ik_parse_netns(nlh, &ns) == -EPROTO);
}

static void sock_reply_ipv4_and_ipv6(void)
{
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	struct ik_sock sk;

	CHECK(ik_parse_sock(sock_reply(buf, 1, false, 77), &sk) == 0);
	CHECK(sk.inode == 77 && sk.family == AF_INET);
	CHECK(!memcmp(sk.saddr, "\xc0\x00\x02\x01", 4));
	CHECK(!memcmp(sk.daddr, "\xc6\x33\x64\x07", 4));
	CHECK(sk.sport == 4500 && sk.dport == 40000);
	CHECK(sk.framing == IKETCP_FRAMING_RFC9329);
	CHECK(sk.role == IKETCP_ROLE_ACCEPTOR);
	CHECK(sk.rx_queued == 10 && sk.tx_queued == 20);
	CHECK(sk.counters[IKETCP_CNT_RX_IKE_MSGS] == 1);
	CHECK(sk.nr_sas == 2);
	CHECK(ik_parse_sock(sock_reply(buf, 1, true, 78), &sk) == 0);
	CHECK(sk.family == AF_INET6 && !memcmp(sk.saddr, a6, 16));
}

static void sock_reply_with_a_bad_address_is_refused(void)
{
	struct nlmsghdr *nlh = reply(buf, FAM, IKETCP_CMD_GET_SOCKETS, 1, 0);
	struct nlattr *n = mnl_attr_nest_start(nlh, IKETCP_A_SOCK);
	struct ik_sock sk;

	mnl_attr_put_u16(nlh, IKETCP_SOCK_FAMILY, AF_INET);
	mnl_attr_put(nlh, IKETCP_SOCK_SADDR, 5, "abcde");
	mnl_attr_nest_end(nlh, n);
	CHECK(ik_parse_sock(nlh, &sk) == -EPROTO);
}

static void sock_reply_without_a_sock_nest_is_refused(void)
{
	struct ik_sock sk;

	CHECK(ik_parse_sock(reply(buf, FAM, IKETCP_CMD_GET_SOCKETS, 1, 0),
			    &sk) == -EPROTO);
}

/* ------------------------------------------------------ reply walking */

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ik_sock sk;

	if (ik_parse_sock(nlh, &sk))
		return -EPROTO;
	(*(int *)data)++;
	return 0;
}

/* Messages laid end to end in buf; returns the total length. */
static size_t at(const struct nlmsghdr *nlh)
{
	return (size_t)((const char *)nlh - buf) + nlh->nlmsg_len;
}

static void dump_of_two_sockets_then_done(void)
{
	struct ik_nlerr e;
	size_t len;
	int n = 0;

	len = at(sock_reply(buf, 5, false, 1));
	len = at(sock_reply(buf + len, 5, true, 2));
	len = at(done(buf + len, 5, 0));
	CHECK(ik_walk_reply(buf, len, 5, count_cb, &n, &e) == 0);
	CHECK(n == 2 && e.err == 0);
}

static void dump_split_across_datagrams_asks_for_more(void)
{
	struct ik_nlerr e;
	size_t len;
	int n = 0;

	len = at(sock_reply(buf, 5, false, 1));
	CHECK(ik_walk_reply(buf, len, 5, count_cb, &n, &e) == 1);
	len = at(done(buf, 5, 0));
	CHECK(ik_walk_reply(buf, len, 5, count_cb, &n, &e) == 0);
	CHECK(n == 1);
}

static void dump_done_with_an_error_fails(void)
{
	struct ik_nlerr e;
	int n = 0;

	CHECK(ik_walk_reply(buf, at(done(buf, 5, -ENOBUFS)), 5, count_cb,
			    &n, &e) == -ENOBUFS);
	CHECK(e.err == -ENOBUFS);
}

static int netns_cb(const struct nlmsghdr *nlh, void *data)
{
	return ik_parse_netns(nlh, data);
}

static void do_reply_then_ack_completes(void)
{
	struct ik_nlerr e;
	struct ik_netns ns = { 0 };
	size_t len;

	len = at(netns_reply(buf, 8));
	len = at(nlerr(buf + len, 8, 0, NULL, true));
	CHECK(ik_walk_reply(buf, len, 8, netns_cb, &ns, &e) == 0);
	CHECK(ns.rx_queue_limit == 524288);
}

static void error_with_capped_extack_gives_errno_and_text(void)
{
	struct ik_nlerr e;

	CHECK(ik_walk_reply(buf, at(nlerr(buf, 4, -EINVAL,
					  "rx limit out of range", true)), 4,
			    NULL, NULL, &e) == -EINVAL);
	CHECK(e.err == -EINVAL);
	CHECK(!strcmp(e.msg, "rx limit out of range"));
}

static void error_with_echoed_request_still_finds_the_text(void)
{
	struct ik_nlerr e;

	CHECK(ik_walk_reply(buf, at(nlerr(buf, 4, -EPERM, "no", false)), 4,
			    NULL, NULL, &e) == -EPERM);
	CHECK(!strcmp(e.msg, "no"));
	CHECK(ik_walk_reply(buf, at(nlerr(buf, 4, -EPERM, NULL, false)), 4,
			    NULL, NULL, &e) == -EPERM);
	CHECK(e.msg[0] == '\0');
}

static void stale_sequence_numbers_are_skipped(void)
{
	struct ik_nlerr e;
	size_t len;
	int n = 0;

	len = at(sock_reply(buf, 4, false, 1));	/* an older request's */
	len = at(nlerr(buf + len, 4, -EPERM, NULL, true));
	len = at(sock_reply(buf + len, 5, false, 2));
	len = at(done(buf + len, 5, 0));
	CHECK(ik_walk_reply(buf, len, 5, count_cb, &n, &e) == 0);
	CHECK(n == 1);
}

static void truncated_datagram_is_a_protocol_error(void)
{
	struct ik_nlerr e;
	int n = 0;
	size_t len = at(sock_reply(buf, 5, false, 1));

	CHECK(ik_walk_reply(buf, len - 3, 5, count_cb, &n, &e) == -EPROTO);
	CHECK(ik_walk_reply(buf, 10, 5, count_cb, &n, &e) == -EPROTO);
}

static void malformed_message_stops_the_walk(void)
{
	struct nlmsghdr *nlh = reply(buf, FAM, IKETCP_CMD_GET_SOCKETS, 5,
				     NLM_F_MULTI);
	struct ik_nlerr e;
	int n = 0;

	CHECK(ik_walk_reply(buf, nlh->nlmsg_len, 5, count_cb, &n, &e) ==
	      -EPROTO);
}

/* The attributes of one binding request, as the module would read them. */
struct bind_seen {
	int fd, dir, encap, family;
	uint32_t spi;
	int sport, dport, alen_s, alen_d;
};

static void read_bind(const struct nlmsghdr *nlh, struct bind_seen *b)
{
	const struct nlattr *a, *n;

	memset(b, -1, sizeof(*b));
	mnl_attr_for_each(n, nlh, GENL_OFF) {
		if (mnl_attr_get_type(n) == IKETCP_A_SOCK_FD)
			b->fd = mnl_attr_get_u32(n);
		if (mnl_attr_get_type(n) != IKETCP_A_SA)
			continue;
		mnl_attr_for_each_nested(a, n) {
			switch (mnl_attr_get_type(a)) {
			case IKETCP_SA_DIR: b->dir = mnl_attr_get_u8(a); break;
			case IKETCP_SA_SPI: b->spi = ntohl(mnl_attr_get_u32(a)); break;
			case IKETCP_SA_ENCAP: b->encap = mnl_attr_get_u8(a); break;
			case IKETCP_SA_FAMILY: b->family = mnl_attr_get_u16(a); break;
			case IKETCP_SA_ENCAP_SPORT: b->sport = mnl_attr_get_u16(a); break;
			case IKETCP_SA_ENCAP_DPORT: b->dport = mnl_attr_get_u16(a); break;
			case IKETCP_SA_SADDR: b->alen_s = mnl_attr_get_payload_len(a); break;
			case IKETCP_SA_DADDR: b->alen_d = mnl_attr_get_payload_len(a); break;
			}
		}
	}
}

static void bind_request_carries_fd_spi_in_network_order_and_ports(void)
{
	struct ik_bind b = { .fd = 9, .dir = IKETCP_DIR_OUT, .spi = 0x01020304,
			     .udp = true, .sport = 4500, .dport = 31000 };
	struct nlmsghdr *nlh = ik_req_bind_sa(buf, FAM, 3, &b);
	struct bind_seen s;

	CHECK(genl_of(nlh)->cmd == IKETCP_CMD_BIND_SA);
	CHECK(nlh->nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK));
	read_bind(nlh, &s);
	CHECK(s.fd == 9 && s.dir == IKETCP_DIR_OUT && s.spi == 0x01020304);
	CHECK(s.encap == IKETCP_ENCAP_UDP && s.sport == 4500 && s.dport == 31000);
	CHECK(s.alen_s == -1 && s.alen_d == -1);	/* the socket's */
}

static void unbind_by_key_names_family_and_daddr_not_the_fd(void)
{
	struct ik_bind b = { .fd = 9, .dir = IKETCP_DIR_IN, .spi = 7,
			     .family = AF_INET6 };
	struct nlmsghdr *nlh = ik_req_unbind_sa(buf, FAM, 3, &b);
	struct bind_seen s;

	CHECK(genl_of(nlh)->cmd == IKETCP_CMD_UNBIND_SA);
	read_bind(nlh, &s);
	CHECK(s.fd == -1 && s.family == AF_INET6 && s.alen_d == 16);
	CHECK(s.dir == IKETCP_DIR_IN && s.spi == 7 && s.encap == -1);
}

static void binding_dump_reply_parsed(void)
{
	struct nlmsghdr *nlh = reply(buf, FAM, IKETCP_CMD_GET_BINDINGS, 5,
				     NLM_F_MULTI);
	struct nlattr *n = mnl_attr_nest_start(nlh, IKETCP_A_SA);
	struct ik_binding b;

	mnl_attr_put_u8(nlh, IKETCP_SA_DIR, IKETCP_DIR_IN);
	mnl_attr_put_u32(nlh, IKETCP_SA_SPI, htonl(0xc0ffee01));
	mnl_attr_put_u16(nlh, IKETCP_SA_FAMILY, AF_INET);
	mnl_attr_put(nlh, IKETCP_SA_DADDR, 4, "\xc0\x00\x02\x07");
	mnl_attr_put_u64(nlh, IKETCP_SA_PACKETS, 42);
	mnl_attr_put(nlh, IKETCP_SA_ORPHANED, 0, NULL);
	mnl_attr_put_u16(nlh, 200, 1);		/* newer than us: skipped */
	mnl_attr_nest_end(nlh, n);
	CHECK(ik_parse_binding(nlh, &b) == 0);
	CHECK(b.dir == IKETCP_DIR_IN && b.spi == 0xc0ffee01);
	CHECK(b.family == AF_INET && b.packets == 42 && b.orphaned);
	CHECK(!memcmp(b.daddr, "\xc0\x00\x02\x07", 4));
}

static void binding_reply_without_spi_is_refused(void)
{
	struct nlmsghdr *nlh = reply(buf, FAM, IKETCP_CMD_GET_BINDINGS, 5,
				     NLM_F_MULTI);
	struct nlattr *n = mnl_attr_nest_start(nlh, IKETCP_A_SA);
	struct ik_binding b;

	mnl_attr_put_u8(nlh, IKETCP_SA_DIR, IKETCP_DIR_OUT);
	mnl_attr_nest_end(nlh, n);
	CHECK(ik_parse_binding(nlh, &b) == -EPROTO);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(getfamily_request_names_iketcp),
	KTAP_CASE(get_netns_request_is_a_do_with_no_attributes),
	KTAP_CASE(get_sockets_request_is_a_dump),
	KTAP_CASE(set_netns_request_carries_only_the_given_limits),
	KTAP_CASE(family_reply_gives_the_id),
	KTAP_CASE(netns_reply_parsed_and_unknowns_skipped),
	KTAP_CASE(netns_reply_with_a_short_attribute_is_refused),
	KTAP_CASE(netns_reply_without_config_is_refused),
	KTAP_CASE(sock_reply_ipv4_and_ipv6),
	KTAP_CASE(sock_reply_with_a_bad_address_is_refused),
	KTAP_CASE(sock_reply_without_a_sock_nest_is_refused),
	KTAP_CASE(dump_of_two_sockets_then_done),
	KTAP_CASE(dump_split_across_datagrams_asks_for_more),
	KTAP_CASE(dump_done_with_an_error_fails),
	KTAP_CASE(do_reply_then_ack_completes),
	KTAP_CASE(error_with_capped_extack_gives_errno_and_text),
	KTAP_CASE(error_with_echoed_request_still_finds_the_text),
	KTAP_CASE(stale_sequence_numbers_are_skipped),
	KTAP_CASE(truncated_datagram_is_a_protocol_error),
	KTAP_CASE(malformed_message_stops_the_walk),
	KTAP_CASE(bind_request_carries_fd_spi_in_network_order_and_ports),
	KTAP_CASE(unbind_by_key_names_family_and_daddr_not_the_fd),
	KTAP_CASE(binding_dump_reply_parsed),
	KTAP_CASE(binding_reply_without_spi_is_refused),
};

KTAP_MAIN(cases)
