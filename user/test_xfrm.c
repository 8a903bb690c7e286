// SPDX-License-Identifier: GPL-2.0
/*
 * sys/xfrm.c without a kernel: the reqid block, the algorithm names, ranges
 * to prefixes, traffic selectors to XFRM selectors, the requests as bytes,
 * and which dumped messages count as iketcpd's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/udp.h>
#include <netlink/msg.h>
#include <netlink/attr.h>

#include "ike/wire.h"
#include "sys/xfrm.h"
#include "ktap.h"

static union ik_xfrm_addr v4(const char *s)
{
	union ik_xfrm_addr a;

	memset(&a, 0, sizeof(a));
	CHECK(inet_pton(AF_INET, s, &a.v4) == 1);
	return a;
}

static union ik_xfrm_addr v6(const char *s)
{
	union ik_xfrm_addr a;

	memset(&a, 0, sizeof(a));
	CHECK(inet_pton(AF_INET6, s, &a.v6) == 1);
	return a;
}

static struct ik_xfrm_ts ts4(const char *lo, const char *hi, uint8_t proto,
			     uint16_t plo, uint16_t phi)
{
	struct ik_xfrm_ts t = { .family = AF_INET, .start = v4(lo),
				.end = v4(hi), .proto = proto,
				.port_start = plo, .port_end = phi };
	return t;
}

static struct ik_xfrm_ts ts6(const char *lo, const char *hi, uint8_t proto,
			     uint16_t plo, uint16_t phi)
{
	struct ik_xfrm_ts t = { .family = AF_INET6, .start = v6(lo),
				.end = v6(hi), .proto = proto,
				.port_start = plo, .port_end = phi };
	return t;
}

static const uint8_t key[64] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
	21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37,
	38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54,
	55, 56, 57, 58, 59, 60, 61, 62, 63, 64,
};

static struct ik_xfrm_sa gcm_tunnel(void)
{
	struct ik_xfrm_sa sa = {
		.family = AF_INET, .src = v4("192.0.2.1"),
		.dst = v4("192.0.2.2"), .spi = 0xc0000001,
		.reqid = ik_xfrm_reqid(1), .mode = XFRM_MODE_TUNNEL,
		.encr = IKE_ENCR_AES_GCM_16, .keybits = 256,
		.integ = IKE_INTEG_NONE, .enc_key = key, .enc_key_len = 36,
	};
	return sa;
}

static const void *attr(struct nl_msg *m, size_t hdrlen, int type,
			size_t *len)
{
	struct nlattr *a = nlmsg_find_attr(nlmsg_hdr(m), (int)hdrlen, type);

	if (!a)
		return NULL;
	if (len)
		*len = (size_t)nla_len(a);
	return nla_data(a);
}

/* ---- ownership ----------------------------------------------------------- */

static void reqid_block_is_ours_and_nothing_else(void)
{
	CHECK(ik_xfrm_reqid(1) == 0x1c7c0001);
	CHECK(ik_xfrm_reqid(0xffff) == 0x1c7cffff);
	CHECK(ik_xfrm_reqid_is_ours(ik_xfrm_reqid(1)));
	CHECK(ik_xfrm_reqid_is_ours(0x1c7cffff));
	CHECK(!ik_xfrm_reqid_is_ours(0x1c7bffff));
	CHECK(!ik_xfrm_reqid_is_ours(0x1c7d0000));
	CHECK(!ik_xfrm_reqid_is_ours(0));
	CHECK(!ik_xfrm_reqid_is_ours(7));
	CHECK(!ik_xfrm_reqid_is_ours(16384));	/* libreswan's first */
}

/* A NEWPOLICY message as the kernel dumps it, with n templates. */
static struct nl_msg *policy_msg(const uint32_t *reqids, size_t n)
{
	struct nl_msg *m = nlmsg_alloc_simple(XFRM_MSG_NEWPOLICY, 0);
	struct xfrm_userpolicy_info pi;
	struct xfrm_user_tmpl t[4];
	size_t i;

	memset(&pi, 0, sizeof(pi));
	memset(t, 0, sizeof(t));
	pi.dir = XFRM_POLICY_OUT;
	for (i = 0; i < n; i++)
		t[i].reqid = reqids[i];
	CHECK(nlmsg_append(m, &pi, sizeof(pi), NLMSG_ALIGNTO) == 0);
	if (n)
		CHECK(nla_put(m, XFRMA_TMPL, (int)(n * sizeof(t[0])), t) == 0);
	return m;
}

static void policy_is_ours_only_if_every_template_is(void)
{
	uint32_t ours[] = { ik_xfrm_reqid(3), ik_xfrm_reqid(4) };
	uint32_t mixed[] = { ik_xfrm_reqid(3), 7 };
	uint32_t foreign[] = { 7 };
	struct nl_msg *m;

	m = policy_msg(ours, 2);
	CHECK(ik_xfrm_msg_is_ours(nlmsg_hdr(m)));
	nlmsg_free(m);
	m = policy_msg(mixed, 2);
	CHECK(!ik_xfrm_msg_is_ours(nlmsg_hdr(m)));
	nlmsg_free(m);
	m = policy_msg(foreign, 1);
	CHECK(!ik_xfrm_msg_is_ours(nlmsg_hdr(m)));
	nlmsg_free(m);
	m = policy_msg(NULL, 0);	/* bypass, block: no template */
	CHECK(!ik_xfrm_msg_is_ours(nlmsg_hdr(m)));
	nlmsg_free(m);
}

static void state_is_ours_by_its_reqid(void)
{
	struct ik_xfrm_sa sa = gcm_tunnel();
	struct nl_msg *m;
	struct nlmsghdr *nlh;
	struct xfrm_usersa_info *info;

	CHECK(ik_xfrm_build_sa(&sa, XFRM_MSG_NEWSA, &m, NULL) == 0);
	nlh = nlmsg_hdr(m);
	CHECK(ik_xfrm_msg_is_ours(nlh));
	info = nlmsg_data(nlh);
	info->reqid = 7;
	CHECK(!ik_xfrm_msg_is_ours(nlh));
	info->reqid = ik_xfrm_reqid(1);
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*info) - 1);	/* truncated */
	CHECK(!ik_xfrm_msg_is_ours(nlh));
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*info));
	nlh->nlmsg_type = XFRM_MSG_NEWAE;
	CHECK(!ik_xfrm_msg_is_ours(nlh));
	ik_xfrm_msg_free(m);
}

/* ---- algorithms ---------------------------------------------------------- */

static void gcm_is_rfc4106_with_salt_and_16_byte_icv(void)
{
	static const uint16_t bits[] = { 128, 192, 256 };
	struct ik_xfrm_algs a;
	size_t i;

	for (i = 0; i < 3; i++) {
		CHECK(ik_xfrm_algs(IKE_ENCR_AES_GCM_16, bits[i],
				   IKE_INTEG_NONE, &a) == 0);
		CHECK(a.aead && !strcmp(a.aead, "rfc4106(gcm(aes))"));
		CHECK(!a.enc && !a.auth);
		CHECK(a.enc_key_len == bits[i] / 8u + 4);
		CHECK(a.icv_bits == 128);
	}
}

static void cbc_hmac_names_keys_and_truncation(void)
{
	static const struct {
		uint16_t integ;
		const char *name;
		unsigned int key, trunc;
	} t[] = {
		{ IKE_INTEG_HMAC_SHA2_256_128, "hmac(sha256)", 32, 128 },
		{ IKE_INTEG_HMAC_SHA2_384_192, "hmac(sha384)", 48, 192 },
		{ IKE_INTEG_HMAC_SHA2_512_256, "hmac(sha512)", 64, 256 },
	};
	struct ik_xfrm_algs a;
	size_t i;

	for (i = 0; i < 3; i++) {
		CHECK(ik_xfrm_algs(IKE_ENCR_AES_CBC, 192, t[i].integ, &a) == 0);
		CHECK(!a.aead);
		CHECK(a.enc && !strcmp(a.enc, "cbc(aes)"));
		CHECK(a.enc_key_len == 24);
		CHECK(a.auth && !strcmp(a.auth, t[i].name));
		CHECK(a.auth_key_len == t[i].key);
		CHECK(a.icv_bits == t[i].trunc);
	}
}

static void algorithms_without_esp_counterpart_are_refused(void)
{
	struct ik_xfrm_algs a;

	CHECK(ik_xfrm_algs(IKE_ENCR_AES_GCM_16, 256,
			   IKE_INTEG_HMAC_SHA2_256_128, &a) == -EINVAL);
	CHECK(ik_xfrm_algs(IKE_ENCR_AES_CBC, 128, IKE_INTEG_NONE, &a) ==
	      -EINVAL);
	CHECK(ik_xfrm_algs(IKE_ENCR_AES_CBC, 100,
			   IKE_INTEG_HMAC_SHA2_256_128, &a) == -EINVAL);
	CHECK(ik_xfrm_algs(3 /* 3DES */, 128, IKE_INTEG_HMAC_SHA2_256_128,
			   &a) == -EOPNOTSUPP);
	CHECK(ik_xfrm_algs(IKE_ENCR_AES_CBC, 128, 2 /* HMAC-SHA1-96 */, &a) ==
	      -EOPNOTSUPP);
}

/* ---- ranges -------------------------------------------------------------- */

/* The prefixes are aligned, adjacent, and cover exactly [lo, hi]. */
static void check_cover(const uint8_t *lo, const uint8_t *hi, size_t size,
			const struct ik_xfrm_prefix *p, int n)
{
	uint8_t next[16], last[16];
	int i;
	size_t j;

	CHECK(n > 0 && n <= (int)(2 * 8 * size));
	memset(last, 0, sizeof(last));
	memcpy(next, lo, size);
	for (i = 0; i < n; i++) {
		unsigned int host = (unsigned int)(size * 8 - p[i].len);

		CHECK(!memcmp(p[i].b, next, size));
		/* the bits below the prefix are zero; compute its end */
		memcpy(last, p[i].b, size);
		for (j = size; j-- > 0 && host > 0;) {
			unsigned int k = host < 8 ? host : 8;
			uint8_t m = (uint8_t)((1u << k) - 1);

			CHECK(!(last[j] & m));
			last[j] |= m;
			host -= k;
		}
		memcpy(next, last, size);
		for (j = size; j-- > 0;)
			if (++next[j])
				break;
	}
	CHECK(!memcmp(last, hi, size));
}

static void exact_prefixes_stay_one(void)
{
	struct ik_xfrm_prefix p[256];
	union ik_xfrm_addr lo = v4("10.1.0.0"), hi = v4("10.1.1.255");
	union ik_xfrm_addr a6 = v6("::");
	union ik_xfrm_addr b6 = v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	union ik_xfrm_addr h6 = v6("2001:db8::1");

	CHECK(ik_xfrm_range_prefixes(lo.b, hi.b, 4, p, 256) == 1);
	CHECK(p[0].len == 23 && !memcmp(p[0].b, lo.b, 4));
	CHECK(ik_xfrm_range_prefixes(lo.b, lo.b, 4, p, 256) == 1);
	CHECK(p[0].len == 32);
	lo = v4("0.0.0.0");
	hi = v4("255.255.255.255");
	CHECK(ik_xfrm_range_prefixes(lo.b, hi.b, 4, p, 256) == 1);
	CHECK(p[0].len == 0);
	CHECK(ik_xfrm_range_prefixes(a6.b, b6.b, 16, p, 256) == 1);
	CHECK(p[0].len == 0);
	CHECK(ik_xfrm_range_prefixes(h6.b, h6.b, 16, p, 256) == 1);
	CHECK(p[0].len == 128 && !memcmp(p[0].b, h6.b, 16));
}

static void ranges_split_into_fewest_prefixes(void)
{
	struct ik_xfrm_prefix p[256];
	union ik_xfrm_addr lo = v4("10.0.0.1"), hi = v4("10.0.0.254");
	union ik_xfrm_addr a6 = v6("2001:db8::1");
	union ik_xfrm_addr b6 = v6("2001:db8::ffff:ffff:ffff:fffe");
	int n;

	n = ik_xfrm_range_prefixes(lo.b, hi.b, 4, p, 256);
	CHECK(n == 14);		/* /32 /31 /30 ... /25, and back down */
	check_cover(lo.b, hi.b, 4, p, n);
	n = ik_xfrm_range_prefixes(a6.b, b6.b, 16, p, 256);
	CHECK(n == 2 * 64 - 2);
	check_cover(a6.b, b6.b, 16, p, n);
	/* the worst case: 2 * 128 - 2 */
	a6 = v6("::1");
	b6 = v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
	n = ik_xfrm_range_prefixes(a6.b, b6.b, 16, p, 256);
	CHECK(n == 254);
	check_cover(a6.b, b6.b, 16, p, n);
}

static void random_ranges_are_covered_exactly(void)
{
	struct ik_xfrm_prefix p[256];
	uint8_t lo[16] = { 0 }, hi[16] = { 0 };
	size_t size, j;
	int i, n;

	srand(4106);
	for (i = 0; i < 2000; i++) {
		size = i % 3 == 0 ? 16 : i % 3 == 1 ? 4 : 2;
		for (j = 0; j < size; j++) {
			lo[j] = (uint8_t)rand();
			hi[j] = (uint8_t)rand();
		}
		/* shared high bytes make the ranges small and varied */
		for (j = 0; j < size - 1 - (size_t)(i % (int)size); j++)
			hi[j] = lo[j];
		if (memcmp(lo, hi, size) > 0) {
			uint8_t t[16];

			memcpy(t, lo, size);
			memcpy(lo, hi, size);
			memcpy(hi, t, size);
		}
		n = ik_xfrm_range_prefixes(lo, hi, size, p, 256);
		check_cover(lo, hi, size, p, n);
	}
}

static void bad_ranges_are_refused(void)
{
	struct ik_xfrm_prefix p[4];
	union ik_xfrm_addr lo = v4("10.0.0.1"), hi = v4("10.0.0.254");

	CHECK(ik_xfrm_range_prefixes(hi.b, lo.b, 4, p, 4) == -EINVAL);
	CHECK(ik_xfrm_range_prefixes(lo.b, hi.b, 3, p, 4) == -EINVAL);
	CHECK(ik_xfrm_range_prefixes(lo.b, hi.b, 4, p, 4) == -E2BIG);
}

/* ---- selectors ----------------------------------------------------------- */

static void port_ranges_become_masked_ports(void)
{
	struct ik_xfrm_ts a = ts4("10.0.0.1", "10.0.0.1", IPPROTO_TCP, 0,
				  65535);
	struct ik_xfrm_ts b = ts4("10.0.1.0", "10.0.1.255", IPPROTO_TCP,
				  1024, 2047);
	struct xfrm_selector s[64];
	int n;

	CHECK(ik_xfrm_ts_selectors(&a, &b, s, 64, NULL) == 1);
	CHECK(s[0].family == AF_INET && s[0].proto == IPPROTO_TCP);
	CHECK(s[0].prefixlen_s == 32 && s[0].prefixlen_d == 24);
	CHECK(s[0].sport == 0 && s[0].sport_mask == 0);
	CHECK(ntohs(s[0].dport) == 1024 && ntohs(s[0].dport_mask) == 0xfc00);
	b.port_start = b.port_end = 443;
	CHECK(ik_xfrm_ts_selectors(&a, &b, s, 64, NULL) == 1);
	CHECK(ntohs(s[0].dport) == 443 && ntohs(s[0].dport_mask) == 0xffff);
	/*
	 * 1000-2000: 1000/13, 1008/12, 1024/7, 1536/8, 1792/9, 1920/10,
	 * 1984/12, 2000/16
	 */
	b.port_start = 1000;
	b.port_end = 2000;
	n = ik_xfrm_ts_selectors(&b, &a, s, 64, NULL);
	CHECK(n == 8);
	CHECK(ntohs(s[0].sport) == 1000 && ntohs(s[0].sport_mask) == 0xfff8);
	CHECK(ntohs(s[7].sport) == 2000 && ntohs(s[7].sport_mask) == 0xffff);
	CHECK(s[7].dport_mask == 0);
}

static void selector_pairs_multiply(void)
{
	struct ik_xfrm_ts a = ts6("2001:db8::1", "2001:db8::2", IPPROTO_UDP,
				  53, 54);
	struct ik_xfrm_ts b = ts6("2001:db8:1::", "2001:db8:1::2", 0, 0, 65535);
	struct xfrm_selector s[64];
	struct ik_xfrm_err e;

	/*
	 * 2 source prefixes (::1/128, ::2/128), 2 port blocks (53, 54),
	 * 2 destination prefixes (::/127, ::2/128)
	 */
	CHECK(ik_xfrm_ts_selectors(&a, &b, s, 64, &e) == 8);
	CHECK(s[0].proto == IPPROTO_UDP);	/* from the side that has one */
	CHECK(s[0].prefixlen_d == 127 && s[1].prefixlen_d == 128);
	CHECK(ik_xfrm_ts_selectors(&a, &b, s, 7, &e) == -E2BIG);
	CHECK(e.err == -E2BIG && strstr(e.msg, "need 8 XFRM selectors"));
}

static void icmp_type_and_code_go_to_the_port_fields(void)
{
	struct ik_xfrm_ts a = ts4("10.0.0.1", "10.0.0.1", IPPROTO_ICMP,
				  0x0800, 0x0800);	/* echo request */
	struct ik_xfrm_ts b = ts4("10.0.0.2", "10.0.0.2", IPPROTO_ICMP,
				  0, 65535);
	struct xfrm_selector s[4];

	CHECK(ik_xfrm_ts_selectors(&a, &b, s, 4, NULL) == 1);
	CHECK(ntohs(s[0].sport) == 8 && s[0].sport_mask == 0xffff);
	CHECK(ntohs(s[0].dport) == 0 && s[0].dport_mask == 0xffff);
	/* the other way round: the same type and code */
	CHECK(ik_xfrm_ts_selectors(&b, &a, s, 4, NULL) == 1);
	CHECK(ntohs(s[0].sport) == 8 && s[0].sport_mask == 0xffff);
	CHECK(s[0].dport_mask == 0xffff);
	a.port_start = 0x0300;	/* destination unreachable, any code */
	a.port_end = 0x03ff;
	CHECK(ik_xfrm_ts_selectors(&a, &b, s, 4, NULL) == 1);
	CHECK(ntohs(s[0].sport) == 3 && s[0].sport_mask == 0xffff);
	CHECK(s[0].dport_mask == 0);
}

static void inexpressible_selectors_are_refused_with_a_reason(void)
{
	struct ik_xfrm_ts a = ts4("10.0.0.1", "10.0.0.1", IPPROTO_TCP, 0,
				  65535);
	struct ik_xfrm_ts b = a;
	struct ik_xfrm_ts c = ts6("::1", "::1", 0, 0, 65535);
	struct xfrm_selector s[4];
	struct ik_xfrm_err e;

	b.port_start = 65535;	/* OPAQUE */
	b.port_end = 0;
	CHECK(ik_xfrm_ts_selectors(&a, &b, s, 4, &e) == -EOPNOTSUPP);
	CHECK(strstr(e.msg, "OPAQUE") != NULL);
	b = a;
	b.proto = 0;
	b.port_start = b.port_end = 80;
	CHECK(ik_xfrm_ts_selectors(&a, &b, s, 4, &e) == -EINVAL);
	CHECK(strstr(e.msg, "without a protocol") != NULL);
	b = a;
	b.proto = IPPROTO_UDP;
	CHECK(ik_xfrm_ts_selectors(&a, &b, s, 4, &e) == -EINVAL);
	CHECK(ik_xfrm_ts_selectors(&a, &c, s, 4, &e) == -EINVAL);
	CHECK(strstr(e.msg, "two families") != NULL);
	b = a;
	b.proto = a.proto = IPPROTO_GRE;
	b.port_start = b.port_end = 1;
	CHECK(ik_xfrm_ts_selectors(&a, &b, s, 4, &e) == -EOPNOTSUPP);
	a.proto = b.proto = IPPROTO_ICMP;	/* type and code both sides */
	a.port_start = a.port_end = 0x0800;
	CHECK(ik_xfrm_ts_selectors(&a, &b, s, 4, &e) == -EOPNOTSUPP);
	b.port_start = 0;
	b.port_end = 65535;
	a.port_end = 0x0801;	/* two codes of one type */
	CHECK(ik_xfrm_ts_selectors(&a, &b, s, 4, &e) == -EOPNOTSUPP);
	a.port_end = 0x0700;	/* start above end */
	CHECK(ik_xfrm_ts_selectors(&a, &b, s, 4, &e) == -EOPNOTSUPP);
	a = ts4("10.0.0.2", "10.0.0.1", 0, 0, 65535);
	CHECK(ik_xfrm_ts_selectors(&a, &a, s, 4, &e) == -EINVAL);
	CHECK(strstr(e.msg, "start above end") != NULL);
}

/* ---- requests ------------------------------------------------------------ */

static void aead_tunnel_request(void)
{
	struct ik_xfrm_sa sa = gcm_tunnel();
	const struct xfrm_algo_aead *aead;
	struct xfrm_usersa_info *info;
	struct nl_msg *m;
	size_t len;

	CHECK(ik_xfrm_build_sa(&sa, XFRM_MSG_NEWSA, &m, NULL) == 0);
	CHECK(nlmsg_hdr(m)->nlmsg_type == XFRM_MSG_NEWSA);
	info = nlmsg_data(nlmsg_hdr(m));
	CHECK(info->id.spi == htonl(0xc0000001));
	CHECK(info->id.proto == IPPROTO_ESP);
	CHECK(!memcmp(&info->id.daddr, &sa.dst, 4));
	CHECK(!memcmp(&info->saddr, &sa.src, 4));
	CHECK(info->family == AF_INET && info->mode == XFRM_MODE_TUNNEL);
	CHECK(info->reqid == 0x1c7c0001);
	CHECK(info->flags == XFRM_STATE_AF_UNSPEC);
	CHECK(info->sel.family == AF_UNSPEC);
	CHECK(info->replay_window == 32);
	/* no limit is XFRM_INF: 0 would expire the SA on its first packet */
	CHECK(info->lft.hard_byte_limit == XFRM_INF);
	CHECK(info->lft.soft_packet_limit == XFRM_INF);
	CHECK(info->lft.hard_add_expires_seconds == 0);
	aead = attr(m, sizeof(*info), XFRMA_ALG_AEAD, &len);
	CHECK(aead && len == sizeof(*aead) + 36);
	if (aead) {
		CHECK(!strcmp(aead->alg_name, "rfc4106(gcm(aes))"));
		CHECK(aead->alg_key_len == 288 && aead->alg_icv_len == 128);
		CHECK(!memcmp(aead->alg_key, key, 36));
	}
	CHECK(!attr(m, sizeof(*info), XFRMA_ALG_CRYPT, NULL));
	CHECK(!attr(m, sizeof(*info), XFRMA_ALG_AUTH_TRUNC, NULL));
	CHECK(!attr(m, sizeof(*info), XFRMA_ENCAP, NULL));
	CHECK(!attr(m, sizeof(*info), XFRMA_REPLAY_ESN_VAL, NULL));
	ik_xfrm_msg_free(m);
}

static void cbc_hmac_esn_udp_request(void)
{
	struct ik_xfrm_sa sa = gcm_tunnel();
	const struct xfrm_replay_state_esn *esn;
	const struct xfrm_encap_tmpl *encap;
	const struct xfrm_algo_auth *auth;
	const struct xfrm_algo *enc;
	struct xfrm_usersa_info *info;
	struct nl_msg *m;
	size_t len;

	sa.encr = IKE_ENCR_AES_CBC;
	sa.keybits = 128;
	sa.integ = IKE_INTEG_HMAC_SHA2_512_256;
	sa.enc_key_len = 16;
	sa.auth_key = key;
	sa.auth_key_len = 64;
	sa.esn = true;
	sa.replay_window = 100;
	sa.encap_sport = 4500;
	sa.encap_dport = 4501;
	sa.lft.soft_bytes = 1000;
	sa.lft.hard_secs = 3600;
	CHECK(ik_xfrm_build_sa(&sa, XFRM_MSG_UPDSA, &m, NULL) == 0);
	CHECK(nlmsg_hdr(m)->nlmsg_type == XFRM_MSG_UPDSA);
	info = nlmsg_data(nlmsg_hdr(m));
	CHECK(info->flags == (XFRM_STATE_ESN | XFRM_STATE_AF_UNSPEC));
	CHECK(info->replay_window == 0);	/* ESN: in the attribute */
	CHECK(info->lft.soft_byte_limit == 1000);
	CHECK(info->lft.hard_byte_limit == XFRM_INF);
	CHECK(info->lft.hard_add_expires_seconds == 3600);
	esn = attr(m, sizeof(*info), XFRMA_REPLAY_ESN_VAL, &len);
	CHECK(esn && esn->replay_window == 100 && esn->bmp_len == 4);
	CHECK(esn && len >= sizeof(*esn) + 4 * sizeof(uint32_t));
	encap = attr(m, sizeof(*info), XFRMA_ENCAP, NULL);
	CHECK(encap && encap->encap_type == UDP_ENCAP_ESPINUDP);
	CHECK(encap && ntohs(encap->encap_sport) == 4500);
	CHECK(encap && ntohs(encap->encap_dport) == 4501);
	enc = attr(m, sizeof(*info), XFRMA_ALG_CRYPT, NULL);
	CHECK(enc && !strcmp(enc->alg_name, "cbc(aes)"));
	CHECK(enc && enc->alg_key_len == 128);
	auth = attr(m, sizeof(*info), XFRMA_ALG_AUTH_TRUNC, &len);
	CHECK(auth && len == sizeof(*auth) + 64);
	CHECK(auth && !strcmp(auth->alg_name, "hmac(sha512)"));
	CHECK(auth && auth->alg_key_len == 512 && auth->alg_trunc_len == 256);
	CHECK(auth && !memcmp(auth->alg_key, key, 64));
	CHECK(!attr(m, sizeof(*info), XFRMA_ALG_AEAD, NULL));
	ik_xfrm_msg_free(m);
}

static void big_window_without_esn_uses_the_bitmap_attribute(void)
{
	struct ik_xfrm_sa sa = gcm_tunnel();
	const struct xfrm_replay_state_esn *esn;
	struct xfrm_usersa_info *info;
	struct nl_msg *m;

	sa.replay_window = 1024;
	CHECK(ik_xfrm_build_sa(&sa, XFRM_MSG_NEWSA, &m, NULL) == 0);
	info = nlmsg_data(nlmsg_hdr(m));
	CHECK(!(info->flags & XFRM_STATE_ESN) && info->replay_window == 0);
	esn = attr(m, sizeof(*info), XFRMA_REPLAY_ESN_VAL, NULL);
	CHECK(esn && esn->replay_window == 1024 && esn->bmp_len == 32);
	ik_xfrm_msg_free(m);
}

static void transport_sa_takes_a_selector(void)
{
	struct ik_xfrm_ts a = ts6("2001:db8::1", "2001:db8::1", IPPROTO_TCP,
				  0, 65535);
	struct ik_xfrm_ts b = ts6("2001:db8::2", "2001:db8::2", IPPROTO_TCP,
				  443, 443);
	struct ik_xfrm_sa sa = gcm_tunnel();
	struct xfrm_usersa_info *info;
	struct ik_xfrm_err e;
	struct nl_msg *m;

	sa.family = AF_INET6;
	sa.src = a.start;
	sa.dst = b.start;
	sa.mode = XFRM_MODE_TRANSPORT;
	sa.sel_src = &a;
	sa.sel_dst = &b;
	CHECK(ik_xfrm_build_sa(&sa, XFRM_MSG_NEWSA, &m, &e) == 0);
	info = nlmsg_data(nlmsg_hdr(m));
	CHECK(info->flags == 0);
	CHECK(info->sel.family == AF_INET6 && info->sel.proto == IPPROTO_TCP);
	CHECK(info->sel.prefixlen_s == 128 && info->sel.prefixlen_d == 128);
	CHECK(ntohs(info->sel.dport) == 443 && info->sel.dport_mask == 0xffff);
	CHECK(!memcmp(&info->sel.daddr, &b.start, 16));
	ik_xfrm_msg_free(m);
	b.end = v6("2001:db8::4");	/* ::2/127 and ::4: not one */
	CHECK(ik_xfrm_build_sa(&sa, XFRM_MSG_NEWSA, &m, &e) == -EINVAL);
	CHECK(m == NULL && strstr(e.msg, "more than one prefix"));
}

static void bad_sas_are_refused_with_a_reason(void)
{
	struct ik_xfrm_sa sa = gcm_tunnel();
	struct ik_xfrm_err e;
	struct nl_msg *m;

	sa.reqid = 7;
	CHECK(ik_xfrm_build_sa(&sa, XFRM_MSG_NEWSA, &m, &e) == -EINVAL);
	CHECK(e.err == -EINVAL);
	CHECK(strstr(e.msg, "add SA 0xc0000001 to 192.0.2.2: reqid 0x00000007 is not iketcpd's"));
	sa = gcm_tunnel();
	sa.enc_key_len = 32;	/* the salt forgotten */
	CHECK(ik_xfrm_build_sa(&sa, XFRM_MSG_NEWSA, &m, &e) == -EINVAL);
	CHECK(strstr(e.msg, "needs 36 bytes of key, not 32"));
	sa = gcm_tunnel();
	sa.encap_sport = 4500;
	CHECK(ik_xfrm_build_sa(&sa, XFRM_MSG_NEWSA, &m, &e) == -EINVAL);
	sa = gcm_tunnel();
	sa.replay_window = 4097;
	CHECK(ik_xfrm_build_sa(&sa, XFRM_MSG_NEWSA, &m, &e) == -EINVAL);
	sa = gcm_tunnel();
	sa.spi = 0;
	CHECK(ik_xfrm_build_sa(&sa, XFRM_MSG_NEWSA, &m, &e) == -EINVAL);
	sa = gcm_tunnel();
	sa.integ = IKE_INTEG_HMAC_SHA2_256_128;
	CHECK(ik_xfrm_build_sa(&sa, XFRM_MSG_NEWSA, &m, &e) == -EINVAL);
	sa = gcm_tunnel();
	sa.family = AF_UNIX;
	CHECK(ik_xfrm_build_sa(&sa, XFRM_MSG_NEWSA, &m, &e) == -EAFNOSUPPORT);
	CHECK(m == NULL);
}

static void policy_template_points_the_right_way(void)
{
	struct ik_xfrm_policy p = {
		.local = ts4("10.1.0.0", "10.1.255.255", 0, 0, 65535),
		.remote = ts4("10.2.0.0", "10.2.0.255", 0, 0, 65535),
		.family = AF_INET6, .local_addr = v6("2001:db8::1"),
		.remote_addr = v6("2001:db8::2"), .mode = XFRM_MODE_TUNNEL,
		.reqid = ik_xfrm_reqid(9), .priority = 1234,
	};
	const struct xfrm_userpolicy_info *pi;
	const struct xfrm_user_tmpl *t;
	struct xfrm_selector s[2];
	struct nl_msg *m;
	size_t len;
	int dir;

	for (dir = XFRM_POLICY_IN; dir <= XFRM_POLICY_OUT; dir++) {
		bool out = dir == XFRM_POLICY_OUT;

		CHECK(ik_xfrm_ts_selectors(out ? &p.local : &p.remote,
					   out ? &p.remote : &p.local, s, 2,
					   NULL) == 1);
		CHECK(ik_xfrm_build_policy(&p, dir, &s[0], XFRM_MSG_NEWPOLICY,
					   &m, NULL) == 0);
		CHECK(nlmsg_hdr(m)->nlmsg_type == XFRM_MSG_NEWPOLICY);
		CHECK(ik_xfrm_msg_is_ours(nlmsg_hdr(m)));
		pi = nlmsg_data(nlmsg_hdr(m));
		CHECK(pi->dir == dir && pi->priority == 1234);
		CHECK(pi->action == XFRM_POLICY_ALLOW);
		CHECK(pi->sel.family == AF_INET);
		CHECK(pi->sel.prefixlen_s == (out ? 16 : 24));
		CHECK(pi->sel.prefixlen_d == (out ? 24 : 16));
		t = attr(m, sizeof(*pi), XFRMA_TMPL, &len);
		CHECK(t && len == sizeof(*t));
		if (t) {
			CHECK(t->family == AF_INET6);
			CHECK(t->reqid == ik_xfrm_reqid(9));
			CHECK(t->mode == XFRM_MODE_TUNNEL);
			CHECK(t->id.proto == IPPROTO_ESP && t->id.spi == 0);
			CHECK(!memcmp(&t->saddr, out ? &p.local_addr
						     : &p.remote_addr, 16));
			CHECK(!memcmp(&t->id.daddr, out ? &p.remote_addr
							: &p.local_addr, 16));
			CHECK(t->aalgos == ~0u && t->ealgos == ~0u);
		}
		nlmsg_free(m);
	}
	p.reqid = 7;
	CHECK(ik_xfrm_build_policy(&p, XFRM_POLICY_OUT, &s[0],
				   XFRM_MSG_NEWPOLICY, &m, NULL) == -EINVAL);
	p.reqid = ik_xfrm_reqid(9);
	p.mode = XFRM_MODE_TRANSPORT;	/* v4 selectors, v6 outside */
	CHECK(ik_xfrm_build_policy(&p, XFRM_POLICY_OUT, &s[0],
				   XFRM_MSG_NEWPOLICY, &m, NULL) == -EINVAL);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(reqid_block_is_ours_and_nothing_else),
	KTAP_CASE(policy_is_ours_only_if_every_template_is),
	KTAP_CASE(state_is_ours_by_its_reqid),
	KTAP_CASE(gcm_is_rfc4106_with_salt_and_16_byte_icv),
	KTAP_CASE(cbc_hmac_names_keys_and_truncation),
	KTAP_CASE(algorithms_without_esp_counterpart_are_refused),
	KTAP_CASE(exact_prefixes_stay_one),
	KTAP_CASE(ranges_split_into_fewest_prefixes),
	KTAP_CASE(random_ranges_are_covered_exactly),
	KTAP_CASE(bad_ranges_are_refused),
	KTAP_CASE(port_ranges_become_masked_ports),
	KTAP_CASE(selector_pairs_multiply),
	KTAP_CASE(icmp_type_and_code_go_to_the_port_fields),
	KTAP_CASE(inexpressible_selectors_are_refused_with_a_reason),
	KTAP_CASE(aead_tunnel_request),
	KTAP_CASE(cbc_hmac_esn_udp_request),
	KTAP_CASE(big_window_without_esn_uses_the_bitmap_attribute),
	KTAP_CASE(transport_sa_takes_a_selector),
	KTAP_CASE(bad_sas_are_refused_with_a_reason),
	KTAP_CASE(policy_template_points_the_right_way),
};

KTAP_MAIN(cases)
