// SPDX-License-Identifier: GPL-2.0
/*
 * XFRM states and policies (see xfrm.h for the ownership scheme).
 *
 * libnl-xfrm-3 builds the add and update requests; the small id-only
 * requests (get, delete, allocate an SPI) are built here.  Requests go out
 * and replies come in on the handle's libnl socket, but read here, into the
 * handle's buffer, and walked by nlmsg.c's ik_walk_reply(): libnl 3.7 would
 * turn the kernel's errno into one of its own codes and drop the extended
 * ACK's text, and both belong in the log line.  Replies are parsed here,
 * not by xfrmnl_sa_parse(), which would copy the keys every SA dump carries
 * into objects freed without wiping.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/udp.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/socket.h>
#include <netlink/xfrm/sa.h>
#include <netlink/xfrm/sp.h>
#include <netlink/xfrm/selector.h>
#include <netlink/xfrm/template.h>
#include <netlink/xfrm/lifetime.h>

#include "ike/wire.h"
#include "nlmsg.h"
#include "sys/xfrm.h"

/* A dump datagram is at most 32 KiB (the kernel's cap); margin. */
#define RECV_SIZE		(64 * 1024)
#define REPLAY_DEFAULT		32
#define REPLAY_LEGACY_MAX	32	/* xfrm_usersa_info's bitmap */
#define REPLAY_MAX		4096	/* XFRMA_REPLAY_ESN_MAX bits */
#define SPI_MIN			0x100	/* 1-255: reserved (RFC 4303) */

/* ---- messages for the log ------------------------------------------------ */

static int set_err(struct ik_xfrm_err *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_err(struct ik_xfrm_err *e, int err, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return err;
	e->err = err;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return err;
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

static const char *addr_str(int family, const void *a, char *buf)
{
	if (!addr_len(family) || !inet_ntop(family, a, buf, INET6_ADDRSTRLEN))
		snprintf(buf, INET6_ADDRSTRLEN, "(family %d)", family);
	return buf;
}

/* A printable address; the buffer lives until the end of the block. */
#define ADDR(family, a) addr_str(family, a, (char[INET6_ADDRSTRLEN]){ 0 })

static const char *dir_name(int dir)
{
	static const char *const names[] = { "in", "out", "fwd" };

	return dir >= 0 && dir < XFRM_POLICY_MAX ? names[dir] : "?";
}

static void port_str(char *buf, size_t len, const char *name, __be16 port,
		     __be16 mask)
{
	if (!mask)
		buf[0] = '\0';
	else if (mask == 0xffff)
		snprintf(buf, len, " %s %u", name, ntohs(port));
	else
		snprintf(buf, len, " %s %u/0x%04x", name, ntohs(port),
			 ntohs(mask));
}

/* "out 10.0.0.0/24 -> 10.1.0.0/16 proto 6 dport 443" */
static const char *sel_str(char *buf, size_t len, int dir,
			   const struct xfrm_selector *s)
{
	char pr[16] = "", sp[32], dp[32];

	if (s->proto)
		snprintf(pr, sizeof(pr), " proto %u", s->proto);
	port_str(sp, sizeof(sp), "sport", s->sport, s->sport_mask);
	port_str(dp, sizeof(dp), "dport", s->dport, s->dport_mask);
	snprintf(buf, len, "%s %s/%u -> %s/%u%s%s%s", dir_name(dir),
		 ADDR(s->family, &s->saddr), s->prefixlen_s,
		 ADDR(s->family, &s->daddr), s->prefixlen_d, pr, sp, dp);
	return buf;
}

static const char *hint(int err, int family, bool policy)
{
	switch (err) {
	case -EPERM:
		return "needs CAP_NET_ADMIN in this network namespace";
	case -EPROTONOSUPPORT:
		return family == AF_INET6 ? "is esp6 loaded? modprobe esp6"
					  : "is esp4 loaded? modprobe esp4";
	case -ENOSYS:
		return "is the algorithm in the kernel's crypto API?";
	case -EAFNOSUPPORT:
		return "is IPv6 enabled?";
	case -EEXIST:
		return policy ? "one with this selector and direction exists"
			      : "this SPI is in use for this destination";
	case -ESRCH:
		return policy ? NULL : "no such SA";
	case -ENOENT:
		return policy ? "no such policy" : NULL;
	}
	return NULL;
}

/* "<what>: <strerror>[: <kernel's text>][ (<hint>)]" */
static int kernel_err(struct ik_xfrm_err *e, const char *what,
		      const struct ik_nlerr *ne, const char *hint)
{
	return set_err(e, ne->err, "%s: %s%s%s%s%s%s", what,
		       strerror(-ne->err), ne->msg[0] ? ": " : "", ne->msg,
		       hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
}

/* ---- ownership ----------------------------------------------------------- */

static const struct xfrm_usersa_info *sa_info(const struct nlmsghdr *nlh)
{
	if (nlh->nlmsg_type != XFRM_MSG_NEWSA ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct xfrm_usersa_info)))
		return NULL;
	return NLMSG_DATA(nlh);
}

static const struct xfrm_userpolicy_info *
policy_info(const struct nlmsghdr *nlh)
{
	if (nlh->nlmsg_type != XFRM_MSG_NEWPOLICY ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct xfrm_userpolicy_info)))
		return NULL;
	return NLMSG_DATA(nlh);
}

/* An attribute after the fixed header of hdrlen bytes, length checked. */
static const void *find_attr(const struct nlmsghdr *nlh, size_t hdrlen,
			     int type, size_t minlen, size_t *len)
{
	struct nlattr *a = nlmsg_find_attr((struct nlmsghdr *)nlh, (int)hdrlen,
					   type);

	if (!a || (size_t)nla_len(a) < minlen)
		return NULL;
	if (len)
		*len = (size_t)nla_len(a);
	return nla_data(a);
}

bool ik_xfrm_msg_is_ours(const struct nlmsghdr *nlh)
{
	const struct xfrm_usersa_info *sa = sa_info(nlh);
	const struct xfrm_user_tmpl *t;
	size_t len, i, n;

	if (sa)
		return ik_xfrm_reqid_is_ours(sa->reqid);
	if (!policy_info(nlh))
		return false;
	t = find_attr(nlh, sizeof(struct xfrm_userpolicy_info), XFRMA_TMPL,
		      sizeof(*t), &len);
	if (!t)
		return false;		/* no template: never iketcpd's */
	n = len / sizeof(*t);
	for (i = 0; i < n; i++)
		if (!ik_xfrm_reqid_is_ours(t[i].reqid))
			return false;
	return true;
}

/* ---- algorithms ---------------------------------------------------------- */

int ik_xfrm_algs(uint16_t encr, uint16_t keybits, uint16_t integ,
		 struct ik_xfrm_algs *a)
{
	memset(a, 0, sizeof(*a));
	if (keybits != 128 && keybits != 192 && keybits != 256)
		return -EINVAL;
	switch (encr) {
	case IKE_ENCR_AES_GCM_16:
		if (integ != IKE_INTEG_NONE)
			return -EINVAL;	/* RFC 7296 3.3: none with AEAD */
		a->aead = "rfc4106(gcm(aes))";
		a->enc_key_len = keybits / 8 + 4;	/* and the salt */
		a->icv_bits = 128;
		return 0;
	case IKE_ENCR_AES_CBC:
		a->enc = "cbc(aes)";
		a->enc_key_len = keybits / 8;
		break;
	default:
		return -EOPNOTSUPP;
	}
	switch (integ) {
	case IKE_INTEG_HMAC_SHA2_256_128:
		a->auth = "hmac(sha256)";
		a->auth_key_len = 32;
		a->icv_bits = 128;
		return 0;
	case IKE_INTEG_HMAC_SHA2_384_192:
		a->auth = "hmac(sha384)";
		a->auth_key_len = 48;
		a->icv_bits = 192;
		return 0;
	case IKE_INTEG_HMAC_SHA2_512_256:
		a->auth = "hmac(sha512)";
		a->auth_key_len = 64;
		a->icv_bits = 256;
		return 0;
	case IKE_INTEG_NONE:
		return -EINVAL;		/* CBC without integrity */
	}
	return -EOPNOTSUPP;
}

/* ---- ranges to prefixes -------------------------------------------------- */

static unsigned int trailing_zeros(const uint8_t *x, size_t size)
{
	unsigned int n = 0;
	size_t i;

	for (i = size; i-- > 0; n += 8)
		if (x[i])
			return n + (unsigned int)__builtin_ctz(x[i]);
	return n;
}

/* out = x with its k lowest bits set */
static void set_low_bits(uint8_t *out, const uint8_t *x, size_t size,
			 unsigned int k)
{
	size_t i;

	memcpy(out, x, size);
	for (i = size; i-- > 0 && k > 0;) {
		unsigned int n = k < 8 ? k : 8;

		out[i] |= (uint8_t)((1u << n) - 1);
		k -= n;
	}
}

static void increment(uint8_t *x, size_t size)
{
	size_t i;

	for (i = size; i-- > 0;)
		if (++x[i] != 0)
			return;
}

int ik_xfrm_range_prefixes(const uint8_t *lo, const uint8_t *hi,
			   size_t size, struct ik_xfrm_prefix *out,
			   size_t max)
{
	uint8_t cur[16], top[16];
	unsigned int k;
	size_t n = 0;

	if ((size != 2 && size != 4 && size != 16) ||
	    memcmp(lo, hi, size) > 0)
		return -EINVAL;
	memcpy(cur, lo, size);
	for (;;) {
		/*
		 * The largest aligned block at cur that stays within hi;
		 * k = 0 always does, as cur <= hi.
		 */
		k = trailing_zeros(cur, size);
		for (;;) {
			set_low_bits(top, cur, size, k);
			if (memcmp(top, hi, size) <= 0)
				break;
			k--;
		}
		if (n == max)
			return -E2BIG;
		memset(&out[n], 0, sizeof(out[n]));
		memcpy(out[n].b, cur, size);
		out[n].len = (uint8_t)(size * 8 - k);
		n++;
		if (!memcmp(top, hi, size))
			return (int)n;
		memcpy(cur, top, size);
		increment(cur, size);	/* no wrap: top < hi */
	}
}

/* ---- traffic selectors to XFRM selectors --------------------------------- */

/* Protocols whose selectors carry ports (what xfrm_flowi_sport() reads). */
static bool has_ports(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_DCCP:
	case IPPROTO_SCTP:
	case IPPROTO_UDPLITE:
		return true;
	}
	return false;
}

static bool is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

/* Host-order port blocks of one selector (dport and dmask: ICMP's code). */
struct port_block {
	uint16_t sport, smask, dport, dmask;
};

static bool all_ports(const struct ik_xfrm_ts *ts)
{
	return ts->port_start == 0 && ts->port_end == 0xffff;
}

static const char *ts_str(char *buf, size_t len, const struct ik_xfrm_ts *ts)
{
	snprintf(buf, len, "%s-%s proto %u ports %u-%u",
		 ADDR(ts->family, &ts->start), ADDR(ts->family, &ts->end),
		 ts->proto, ts->port_start, ts->port_end);
	return buf;
}

/*
 * The port blocks of one side (source: sport, else dport) of traffic of
 * protocol proto.  ICMP's type and code, from whichever side restricts
 * them, go into sport and dport of every selector, as the kernel's flows
 * carry them there.
 */
static int port_blocks(const struct ik_xfrm_ts *ts,
		       const struct ik_xfrm_ts *other, bool source,
		       uint8_t proto, struct port_block *out,
		       struct ik_xfrm_err *e)
{
	struct ik_xfrm_prefix p[32];
	uint8_t lo[2], hi[2];
	char b[160];
	int n, i;

	memset(out, 0, sizeof(*out));
	if (is_icmp(proto)) {
		const struct ik_xfrm_ts *r = all_ports(ts) ? other : ts;
		uint16_t s = r->port_start, t = r->port_end;

		if (!all_ports(ts) && !all_ports(other))
			return set_err(e, -EOPNOTSUPP,
				       "traffic selector %s: ICMP type and code on both sides",
				       ts_str(b, sizeof(b), ts));
		if (!source || all_ports(r))
			return 1;	/* the source side's block has it */
		out->sport = s >> 8;
		out->smask = 0xffff;
		if (s == t) {
			out->dport = s & 0xff;
			out->dmask = 0xffff;
			return 1;
		}
		if ((s & 0xff) == 0 && t == (s | 0xff))
			return 1;	/* one type, any code */
		return set_err(e, -EOPNOTSUPP,
			       "traffic selector %s: XFRM takes one ICMP type (and code) or any",
			       ts_str(b, sizeof(b), r));
	}
	if (all_ports(ts))
		return 1;
	if (!has_ports(proto))
		return set_err(e, -EOPNOTSUPP,
			       "traffic selector %s: XFRM matches no ports for protocol %u",
			       ts_str(b, sizeof(b), ts), proto);
	lo[0] = ts->port_start >> 8;
	lo[1] = ts->port_start & 0xff;
	hi[0] = ts->port_end >> 8;
	hi[1] = ts->port_end & 0xff;
	n = ik_xfrm_range_prefixes(lo, hi, 2, p, 32);
	for (i = 0; i < n; i++) {
		uint16_t port = (uint16_t)(p[i].b[0] << 8 | p[i].b[1]);
		uint16_t mask = (uint16_t)~(0xffffu >> p[i].len);

		memset(&out[i], 0, sizeof(out[i]));
		if (source) {
			out[i].sport = port;
			out[i].smask = mask;
		} else {
			out[i].dport = port;
			out[i].dmask = mask;
		}
	}
	return n;
}

static int check_ts(const struct ik_xfrm_ts *ts, struct ik_xfrm_err *e)
{
	size_t len = addr_len(ts->family);
	char b[160];

	if (!len)
		return set_err(e, -EAFNOSUPPORT,
			       "traffic selector: address family %d",
			       ts->family);
	if (memcmp(&ts->start, &ts->end, len) > 0)
		return set_err(e, -EINVAL,
			       "traffic selector %s: start above end",
			       ts_str(b, sizeof(b), ts));
	if (ts->port_start > ts->port_end)
		return set_err(e, -EOPNOTSUPP,
			       "traffic selector %s: XFRM has no OPAQUE ports",
			       ts_str(b, sizeof(b), ts));
	if (!all_ports(ts) && !ts->proto)
		return set_err(e, -EINVAL,
			       "traffic selector %s: ports without a protocol",
			       ts_str(b, sizeof(b), ts));
	return 0;
}

int ik_xfrm_ts_selectors(const struct ik_xfrm_ts *src,
			 const struct ik_xfrm_ts *dst,
			 struct xfrm_selector *out, size_t max,
			 struct ik_xfrm_err *e)
{
	struct ik_xfrm_prefix sa[256], da[256];
	struct port_block sp[32], dp[32];
	int nsa, nda, nsp, ndp, r, i, j, k, l;
	size_t need, n = 0, len;
	uint8_t proto;

	r = check_ts(src, e);
	if (!r)
		r = check_ts(dst, e);
	if (r)
		return r;
	if (src->family != dst->family)
		return set_err(e, -EINVAL,
			       "traffic selectors of two families (%d, %d)",
			       src->family, dst->family);
	if (src->proto && dst->proto && src->proto != dst->proto)
		return set_err(e, -EINVAL,
			       "traffic selectors of two protocols (%u, %u)",
			       src->proto, dst->proto);
	proto = src->proto ? src->proto : dst->proto;
	len = addr_len(src->family);
	nsa = ik_xfrm_range_prefixes(src->start.b, src->end.b, len, sa, 256);
	nda = ik_xfrm_range_prefixes(dst->start.b, dst->end.b, len, da, 256);
	nsp = port_blocks(src, dst, true, proto, sp, e);
	if (nsp < 0)
		return nsp;
	ndp = port_blocks(dst, src, false, proto, dp, e);
	if (ndp < 0)
		return ndp;
	if (nsa < 0 || nda < 0)
		return set_err(e, -EINVAL, "traffic selector: bad range");
	need = (size_t)nsa * (size_t)nsp * (size_t)nda * (size_t)ndp;
	if (need > max)
		return set_err(e, -E2BIG,
			       "traffic selectors need %zu XFRM selectors, more than %zu",
			       need, max);
	for (i = 0; i < nsa; i++)
		for (j = 0; j < nsp; j++)
			for (k = 0; k < nda; k++)
				for (l = 0; l < ndp; l++) {
					struct xfrm_selector *s = &out[n++];

					memset(s, 0, sizeof(*s));
					memcpy(&s->saddr, sa[i].b, len);
					memcpy(&s->daddr, da[k].b, len);
					s->prefixlen_s = sa[i].len;
					s->prefixlen_d = da[k].len;
					s->sport = htons(sp[j].sport);
					s->sport_mask = htons(sp[j].smask);
					s->dport = htons(sp[j].dport |
							 dp[l].dport);
					s->dport_mask = htons(sp[j].dmask |
							      dp[l].dmask);
					s->family = (uint16_t)src->family;
					s->proto = proto;
				}
	return (int)n;
}

/* ---- building requests --------------------------------------------------- */

static struct nl_addr *nl_addr_of(int family, const void *a)
{
	static const uint8_t any[16];

	return nl_addr_build(family, a ? a : any, addr_len(family));
}

static struct xfrmnl_sel *nl_sel_of(const struct xfrm_selector *s)
{
	struct xfrmnl_sel *sel = xfrmnl_sel_alloc();
	struct nl_addr *d = nl_addr_of(s->family, &s->daddr);
	struct nl_addr *src = nl_addr_of(s->family, &s->saddr);

	if (sel && d && src) {
		xfrmnl_sel_set_daddr(sel, d);
		xfrmnl_sel_set_saddr(sel, src);
		xfrmnl_sel_set_prefixlen_d(sel, s->prefixlen_d);
		xfrmnl_sel_set_prefixlen_s(sel, s->prefixlen_s);
		xfrmnl_sel_set_dport(sel, ntohs(s->dport));
		xfrmnl_sel_set_dportmask(sel, ntohs(s->dport_mask));
		xfrmnl_sel_set_sport(sel, ntohs(s->sport));
		xfrmnl_sel_set_sportmask(sel, ntohs(s->sport_mask));
		xfrmnl_sel_set_family(sel, s->family);
		xfrmnl_sel_set_proto(sel, s->proto);
	} else if (sel) {
		xfrmnl_sel_put(sel);
		sel = NULL;
	}
	nl_addr_put(d);
	nl_addr_put(src);
	return sel;
}

static unsigned long long limit(uint64_t v)
{
	return v ? v : XFRM_INF;
}

static struct xfrmnl_ltime_cfg *nl_lifetime_of(const struct ik_xfrm_lifetime *l)
{
	struct xfrmnl_ltime_cfg *c = xfrmnl_ltime_cfg_alloc();

	if (!c)
		return NULL;
	xfrmnl_ltime_cfg_set_soft_bytelimit(c, limit(l->soft_bytes));
	xfrmnl_ltime_cfg_set_hard_bytelimit(c, limit(l->hard_bytes));
	xfrmnl_ltime_cfg_set_soft_packetlimit(c, limit(l->soft_packets));
	xfrmnl_ltime_cfg_set_hard_packetlimit(c, limit(l->hard_packets));
	/* Seconds: 0 is "none" to the kernel already. */
	xfrmnl_ltime_cfg_set_soft_addexpires(c, l->soft_secs);
	xfrmnl_ltime_cfg_set_hard_addexpires(c, l->hard_secs);
	return c;
}

void ik_xfrm_msg_free(struct nl_msg *msg)
{
	struct nlmsghdr *nlh;

	if (!msg)
		return;
	nlh = nlmsg_hdr(msg);
	explicit_bzero(nlh, nlh->nlmsg_len);
	nlmsg_free(msg);
}

static void sa_what(char *buf, size_t len, const char *verb, int family,
		    const union ik_xfrm_addr *dst, uint32_t spi)
{
	snprintf(buf, len, "%s SA 0x%08x to %s", verb, spi, ADDR(family, dst));
}

static int check_sa(const struct ik_xfrm_sa *sa, const char *what,
		    struct ik_xfrm_algs *a, struct xfrm_selector *sel,
		    bool *has_sel, struct ik_xfrm_err *e)
{
	int r;

	if (!addr_len(sa->family))
		return set_err(e, -EAFNOSUPPORT, "%s: address family %d", what,
			       sa->family);
	if (!sa->spi)
		return set_err(e, -EINVAL, "%s: SPI 0 is reserved", what);
	if (!ik_xfrm_reqid_is_ours(sa->reqid))
		return set_err(e, -EINVAL,
			       "%s: reqid 0x%08x is not iketcpd's (0x%08x | n)",
			       what, sa->reqid, IK_XFRM_REQID_BASE);
	if (sa->mode != XFRM_MODE_TUNNEL && sa->mode != XFRM_MODE_TRANSPORT)
		return set_err(e, -EINVAL, "%s: mode %u", what, sa->mode);
	if (!sa->encap_sport != !sa->encap_dport)
		return set_err(e, -EINVAL,
			       "%s: ESP in UDP needs both ports (%u, %u)", what,
			       sa->encap_sport, sa->encap_dport);
	r = ik_xfrm_algs(sa->encr, sa->keybits, sa->integ, a);
	if (r)
		return set_err(e, r,
			       "%s: no ESP for encr %u (%u bits) with integ %u",
			       what, sa->encr, sa->keybits, sa->integ);
	if (!sa->enc_key || sa->enc_key_len != a->enc_key_len)
		return set_err(e, -EINVAL,
			       "%s: %s needs %u bytes of key, not %zu", what,
			       a->aead ? a->aead : a->enc, a->enc_key_len,
			       sa->enc_key_len);
	if (a->auth && (!sa->auth_key || sa->auth_key_len != a->auth_key_len))
		return set_err(e, -EINVAL,
			       "%s: %s needs %u bytes of key, not %zu", what,
			       a->auth, a->auth_key_len, sa->auth_key_len);
	if (sa->replay_window > REPLAY_MAX)
		return set_err(e, -EINVAL,
			       "%s: replay window %u is above %u", what,
			       sa->replay_window, REPLAY_MAX);
	*has_sel = sa->sel_src || sa->sel_dst;
	if (!*has_sel)
		return 0;
	if (!sa->sel_src || !sa->sel_dst)
		return set_err(e, -EINVAL, "%s: a selector needs both sides",
			       what);
	r = ik_xfrm_ts_selectors(sa->sel_src, sa->sel_dst, sel, 1, e);
	if (r == -E2BIG)
		return set_err(e, -EINVAL,
			       "%s: its selector is more than one prefix and port block a side",
			       what);
	if (r < 0 && e) {
		char why[sizeof(e->msg)];

		memcpy(why, e->msg, sizeof(why));
		return set_err(e, r, "%s: %s", what, why);
	}
	if (r < 0)
		return r;
	if (sa->mode == XFRM_MODE_TRANSPORT && sel->family != sa->family)
		return set_err(e, -EINVAL,
			       "%s: transport mode cannot change family", what);
	return 0;
}

static int fill_sa(struct xfrmnl_sa *o, const struct ik_xfrm_sa *sa,
		   const struct xfrm_selector *sel)
{
	uint32_t window = sa->replay_window ? sa->replay_window
					    : REPLAY_DEFAULT;
	struct nl_addr *d = nl_addr_of(sa->family, &sa->dst);
	struct nl_addr *s = nl_addr_of(sa->family, &sa->src);
	struct nl_addr *any = nl_addr_of(sa->family, NULL);
	struct xfrmnl_ltime_cfg *lft = nl_lifetime_of(&sa->lft);
	struct xfrmnl_sel *nsel = sel ? nl_sel_of(sel) : NULL;
	unsigned int flags = 0;
	int r = -NLE_NOMEM;

	if (!d || !s || !any || !lft || (sel && !nsel))
		goto out;
	xfrmnl_sa_set_family(o, sa->family);
	if (xfrmnl_sa_set_daddr(o, d) < 0 || xfrmnl_sa_set_saddr(o, s) < 0)
		goto out;
	xfrmnl_sa_set_spi(o, sa->spi);
	xfrmnl_sa_set_proto(o, IPPROTO_ESP);
	xfrmnl_sa_set_mode(o, sa->mode);
	xfrmnl_sa_set_reqid(o, sa->reqid);
	if (sa->esn)
		flags |= XFRM_STATE_ESN;
	/*
	 * No selector: the kernel would pin a tunnel's inner family to the
	 * outer one, unless told the selector is meant for any family.
	 */
	if (!sel && sa->mode == XFRM_MODE_TUNNEL)
		flags |= XFRM_STATE_AF_UNSPEC;
	xfrmnl_sa_set_flags(o, flags);
	if (sa->esn || window > REPLAY_LEGACY_MAX) {
		uint32_t bmp[REPLAY_MAX / 32] = { 0 };

		/* xfrm_usersa_info's replay_window must then be 0. */
		if (xfrmnl_sa_set_replay_state_esn(o, 0, 0, 0, 0, window,
						   (window + 31) / 32, bmp) < 0)
			goto out;
	} else {
		xfrmnl_sa_set_replay_window(o, window);
	}
	xfrmnl_sa_set_lifetime_cfg(o, lft);
	if (sa->encap_sport &&
	    xfrmnl_sa_set_encap_tmpl(o, UDP_ENCAP_ESPINUDP, sa->encap_sport,
				     sa->encap_dport, any) < 0)
		goto out;
	if (nsel)
		xfrmnl_sa_set_sel(o, nsel);
	r = 0;
out:
	nl_addr_put(d);
	nl_addr_put(s);
	nl_addr_put(any);
	if (lft)
		xfrmnl_ltime_cfg_put(lft);
	if (nsel)
		xfrmnl_sel_put(nsel);
	return r;
}

/* The keys go from the caller's buffers straight into the request. */
static int put_keys(struct nl_msg *m, const struct ik_xfrm_sa *sa,
		    const struct ik_xfrm_algs *a)
{
	struct nlattr *at;

	if (a->aead) {
		struct xfrm_algo_aead *x;

		at = nla_reserve(m, XFRMA_ALG_AEAD, (int)(sizeof(*x) +
							  a->enc_key_len));
		if (!at)
			return -EMSGSIZE;
		x = nla_data(at);
		memset(x, 0, sizeof(*x));
		snprintf(x->alg_name, sizeof(x->alg_name), "%s", a->aead);
		x->alg_key_len = a->enc_key_len * 8;
		x->alg_icv_len = a->icv_bits;
		memcpy(x->alg_key, sa->enc_key, a->enc_key_len);
		return 0;
	}
	{
		struct xfrm_algo *x;

		at = nla_reserve(m, XFRMA_ALG_CRYPT, (int)(sizeof(*x) +
							   a->enc_key_len));
		if (!at)
			return -EMSGSIZE;
		x = nla_data(at);
		memset(x, 0, sizeof(*x));
		snprintf(x->alg_name, sizeof(x->alg_name), "%s", a->enc);
		x->alg_key_len = a->enc_key_len * 8;
		memcpy(x->alg_key, sa->enc_key, a->enc_key_len);
	}
	{
		struct xfrm_algo_auth *x;

		at = nla_reserve(m, XFRMA_ALG_AUTH_TRUNC,
				 (int)(sizeof(*x) + a->auth_key_len));
		if (!at)
			return -EMSGSIZE;
		x = nla_data(at);
		memset(x, 0, sizeof(*x));
		snprintf(x->alg_name, sizeof(x->alg_name), "%s", a->auth);
		x->alg_key_len = a->auth_key_len * 8;
		x->alg_trunc_len = a->icv_bits;
		memcpy(x->alg_key, sa->auth_key, a->auth_key_len);
	}
	return 0;
}

int ik_xfrm_build_sa(const struct ik_xfrm_sa *sa, int cmd,
		     struct nl_msg **msg, struct ik_xfrm_err *e)
{
	bool update = cmd == XFRM_MSG_UPDSA, has_sel = false;
	struct xfrm_selector sel;
	struct ik_xfrm_algs a;
	struct xfrmnl_sa *o;
	char what[96];
	int r;

	*msg = NULL;
	memset(&sel, 0, sizeof(sel));
	memset(&a, 0, sizeof(a));
	sa_what(what, sizeof(what), update ? "update" : "add", sa->family,
		&sa->dst, sa->spi);
	if (cmd != XFRM_MSG_NEWSA && !update)
		return set_err(e, -EINVAL, "%s: command %d", what, cmd);
	r = check_sa(sa, what, &a, &sel, &has_sel, e);
	if (r)
		return r;
	o = xfrmnl_sa_alloc();
	if (!o)
		return set_err(e, -ENOMEM, "%s: out of memory", what);
	r = fill_sa(o, sa, has_sel ? &sel : NULL);
	if (!r)
		r = update ? xfrmnl_sa_build_update_request(o, 0, msg)
			   : xfrmnl_sa_build_add_request(o, 0, msg);
	xfrmnl_sa_put(o);
	if (r < 0)
		return set_err(e, -ENOMEM, "%s: %s", what, nl_geterror(r));
	if (put_keys(*msg, sa, &a)) {
		ik_xfrm_msg_free(*msg);
		*msg = NULL;
		return set_err(e, -EMSGSIZE, "%s: the request is too long",
			       what);
	}
	return 0;
}

static int check_policy(const struct ik_xfrm_policy *p, int dir,
			struct ik_xfrm_err *e)
{
	if (!addr_len(p->family))
		return set_err(e, -EAFNOSUPPORT, "policy: address family %d",
			       p->family);
	if (!ik_xfrm_reqid_is_ours(p->reqid))
		return set_err(e, -EINVAL,
			       "policy: reqid 0x%08x is not iketcpd's (0x%08x | n)",
			       p->reqid, IK_XFRM_REQID_BASE);
	if (p->mode != XFRM_MODE_TUNNEL && p->mode != XFRM_MODE_TRANSPORT)
		return set_err(e, -EINVAL, "policy: mode %u", p->mode);
	if (p->mode == XFRM_MODE_TRANSPORT &&
	    (p->local.family != p->family || p->remote.family != p->family))
		return set_err(e, -EINVAL,
			       "policy: transport mode cannot change family");
	if (dir < 0 || dir >= XFRM_POLICY_MAX)
		return set_err(e, -EINVAL, "policy: direction %d", dir);
	return 0;
}

static struct xfrmnl_user_tmpl *nl_tmpl_of(const struct ik_xfrm_policy *p,
					   int dir)
{
	struct xfrmnl_user_tmpl *t = xfrmnl_user_tmpl_alloc();
	bool tunnel = p->mode == XFRM_MODE_TUNNEL;
	bool out = dir == XFRM_POLICY_OUT;
	struct nl_addr *s, *d;

	if (!t)
		return NULL;
	/* Transport mode: any address, the packet's own. */
	s = nl_addr_of(p->family, !tunnel ? NULL : out ? &p->local_addr
						       : &p->remote_addr);
	d = nl_addr_of(p->family, !tunnel ? NULL : out ? &p->remote_addr
						       : &p->local_addr);
	if (!s || !d) {
		nl_addr_put(s);
		nl_addr_put(d);
		xfrmnl_user_tmpl_free(t);
		return NULL;
	}
	xfrmnl_user_tmpl_set_saddr(t, s);
	xfrmnl_user_tmpl_set_daddr(t, d);
	nl_addr_put(s);
	nl_addr_put(d);
	xfrmnl_user_tmpl_set_family(t, p->family);
	xfrmnl_user_tmpl_set_proto(t, IPPROTO_ESP);
	xfrmnl_user_tmpl_set_spi(t, 0);
	xfrmnl_user_tmpl_set_reqid(t, p->reqid);
	xfrmnl_user_tmpl_set_mode(t, p->mode);
	xfrmnl_user_tmpl_set_share(t, XFRM_SHARE_ANY);
	xfrmnl_user_tmpl_set_optional(t, 0);
	/* Any algorithm (as ip xfrm does): with 0 no SA would do inbound. */
	xfrmnl_user_tmpl_set_aalgos(t, ~0u);
	xfrmnl_user_tmpl_set_ealgos(t, ~0u);
	xfrmnl_user_tmpl_set_calgos(t, ~0u);
	return t;
}

int ik_xfrm_build_policy(const struct ik_xfrm_policy *p, int dir,
			 const struct xfrm_selector *sel, int cmd,
			 struct nl_msg **msg, struct ik_xfrm_err *e)
{
	struct ik_xfrm_lifetime none = { 0 };
	struct xfrmnl_ltime_cfg *lft;
	struct xfrmnl_user_tmpl *t;
	struct xfrmnl_sel *nsel;
	struct xfrmnl_sp *sp;
	int r;

	*msg = NULL;
	r = check_policy(p, dir, e);
	if (r)
		return r;
	if (cmd != XFRM_MSG_NEWPOLICY && cmd != XFRM_MSG_UPDPOLICY)
		return set_err(e, -EINVAL, "policy: command %d", cmd);
	sp = xfrmnl_sp_alloc();
	nsel = nl_sel_of(sel);
	lft = nl_lifetime_of(&none);
	t = nl_tmpl_of(p, dir);
	r = -NLE_NOMEM;
	if (sp && nsel && lft && t) {
		xfrmnl_sp_set_sel(sp, nsel);
		xfrmnl_sp_set_lifetime_cfg(sp, lft);
		xfrmnl_sp_set_priority(sp, p->priority);
		xfrmnl_sp_set_dir(sp, dir);
		xfrmnl_sp_set_action(sp, XFRM_POLICY_ALLOW);
		xfrmnl_sp_set_share(sp, XFRM_SHARE_ANY);
		xfrmnl_sp_add_usertemplate(sp, t);	/* sp owns it now */
		t = NULL;
		r = cmd == XFRM_MSG_UPDPOLICY
			    ? xfrmnl_sp_build_update_request(sp, 0, msg)
			    : xfrmnl_sp_build_add_request(sp, 0, msg);
	}
	if (nsel)
		xfrmnl_sel_put(nsel);
	if (lft)
		xfrmnl_ltime_cfg_put(lft);
	xfrmnl_user_tmpl_free(t);
	if (sp)
		xfrmnl_sp_put(sp);
	if (r < 0) {
		*msg = NULL;
		return set_err(e, -ENOMEM, "policy: %s", nl_geterror(r));
	}
	return 0;
}

/* GETSA and DELSA name an SA by (dst, spi, proto) and its mark, if any. */
static struct nl_msg *sa_id_msg(int cmd, int family, const void *dst,
				uint32_t spi, uint8_t proto,
				const struct xfrm_mark *mark)
{
	struct nl_msg *m = nlmsg_alloc_simple(cmd, 0);
	struct xfrm_usersa_id id;

	if (!m)
		return NULL;
	memset(&id, 0, sizeof(id));
	memcpy(&id.daddr, dst, addr_len(family));
	id.spi = htonl(spi);
	id.family = (uint16_t)family;
	id.proto = proto;
	if (nlmsg_append(m, &id, sizeof(id), NLMSG_ALIGNTO) < 0 ||
	    (mark && nla_put(m, XFRMA_MARK, sizeof(*mark), mark) < 0)) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

/* GETPOLICY and DELPOLICY: by selector and direction, or by index. */
static struct nl_msg *policy_id_msg(int cmd, int dir,
				    const struct xfrm_selector *sel,
				    uint32_t index,
				    const struct xfrm_mark *mark)
{
	struct nl_msg *m = nlmsg_alloc_simple(cmd, 0);
	struct xfrm_userpolicy_id id;

	if (!m)
		return NULL;
	memset(&id, 0, sizeof(id));
	if (sel)
		id.sel = *sel;
	id.index = index;
	id.dir = (uint8_t)dir;
	if (nlmsg_append(m, &id, sizeof(id), NLMSG_ALIGNTO) < 0 ||
	    (mark && nla_put(m, XFRMA_MARK, sizeof(*mark), mark) < 0)) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

/* ---- the socket ---------------------------------------------------------- */

int ik_xfrm_open(struct ik_xfrm *h, struct ik_xfrm_err *e)
{
	int one = 1, fd, r;

	memset(h, 0, sizeof(*h));
	h->buf = malloc(RECV_SIZE);
	h->sk = nl_socket_alloc();
	if (!h->buf || !h->sk) {
		ik_xfrm_close(h);
		return set_err(e, -ENOMEM,
			       "open the XFRM socket: out of memory");
	}
	errno = 0;
	r = nl_connect(h->sk, NETLINK_XFRM);
	if (r < 0) {
		int err = errno ? -errno : -EIO;

		ik_xfrm_close(h);
		return set_err(e, err,
			       "open the XFRM socket: %s (is xfrm_user loaded?)",
			       nl_geterror(r));
	}
	/* The kernel's reason in every error; requests (keys) not echoed. */
	fd = nl_socket_get_fd(h->sk);
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return 0;
}

void ik_xfrm_close(struct ik_xfrm *h)
{
	if (h->sk)
		nl_socket_free(h->sk);
	if (h->buf) {
		explicit_bzero(h->buf, RECV_SIZE);
		free(h->buf);
	}
	h->sk = NULL;
	h->buf = NULL;
}

/*
 * Sends msg (and frees it, wiped), feeds each reply message to cb, and
 * returns 0 or the negative errno, with the kernel's text in *ne.
 */
static int run(struct ik_xfrm *h, struct nl_msg *msg, ik_msg_cb cb,
	       void *data, struct ik_nlerr *ne)
{
	int fd = nl_socket_get_fd(h->sk), r = 1;
	struct nlmsghdr *nlh;
	size_t used = 0;
	uint32_t seq;
	ssize_t n;

	ne->err = 0;
	ne->msg[0] = '\0';
	if (!msg) {
		ne->err = -ENOMEM;
		return ne->err;
	}
	nl_complete_msg(h->sk, msg);	/* port, sequence number, ACK */
	nlh = nlmsg_hdr(msg);
	seq = nlh->nlmsg_seq;
	do
		n = send(fd, nlh, nlh->nlmsg_len, 0);
	while (n < 0 && errno == EINTR);
	ik_xfrm_msg_free(msg);
	if (n < 0) {
		ne->err = -errno;
		return ne->err;
	}
	while (r > 0) {
		n = recv(fd, h->buf, RECV_SIZE, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = ne->err = n ? -errno : -EPROTO;
			break;
		}
		if ((size_t)n > RECV_SIZE) {
			used = RECV_SIZE;
			r = ne->err = -EMSGSIZE;
			break;
		}
		if ((size_t)n > used)
			used = (size_t)n;
		r = ik_walk_reply(h->buf, (size_t)n, seq, cb, data, ne);
	}
	explicit_bzero(h->buf, used);	/* SA replies carry keys */
	return r;
}

/* What GETSA or GETPOLICY found. */
struct found {
	bool ours;
	uint32_t reqid;		/* of an SA */
	uint32_t index;		/* of a policy */
};

static int found_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct xfrm_usersa_info *sa = sa_info(nlh);
	const struct xfrm_userpolicy_info *pi = policy_info(nlh);
	struct found *f = data;

	if (!sa && !pi)
		return -EPROTO;
	f->ours = ik_xfrm_msg_is_ours(nlh);
	f->reqid = sa ? sa->reqid : 0;
	f->index = pi ? pi->index : 0;
	return 0;
}

/* ---- states -------------------------------------------------------------- */

static int sa_send(struct ik_xfrm *h, const struct ik_xfrm_sa *sa, int cmd,
		   struct ik_xfrm_err *e)
{
	struct nl_msg *msg;
	struct ik_nlerr ne;
	char what[96];
	int r;

	r = ik_xfrm_build_sa(sa, cmd, &msg, e);
	if (r)
		return r;
	r = run(h, msg, NULL, NULL, &ne);
	if (!r)
		return 0;
	sa_what(what, sizeof(what), cmd == XFRM_MSG_UPDSA ? "update" : "add",
		sa->family, &sa->dst, sa->spi);
	return kernel_err(e, what, &ne, hint(r, sa->family, false));
}

int ik_xfrm_sa_add(struct ik_xfrm *h, const struct ik_xfrm_sa *sa,
		   struct ik_xfrm_err *e)
{
	return sa_send(h, sa, XFRM_MSG_NEWSA, e);
}

/* Reads the ESP SA (dst, spi) into f; -ESRCH if there is none. */
static int sa_lookup(struct ik_xfrm *h, int family,
		     const union ik_xfrm_addr *dst, uint32_t spi,
		     const char *what, ik_msg_cb cb, void *data,
		     struct ik_xfrm_err *e)
{
	struct ik_nlerr ne;
	int r;

	if (!addr_len(family))
		return set_err(e, -EAFNOSUPPORT, "%s: address family %d", what,
			       family);
	r = run(h, sa_id_msg(XFRM_MSG_GETSA, family, dst, spi, IPPROTO_ESP,
			     NULL), cb, data, &ne);
	return r ? kernel_err(e, what, &ne, hint(r, family, false)) : 0;
}

static int sa_check_ours(struct ik_xfrm *h, int family,
			 const union ik_xfrm_addr *dst, uint32_t spi,
			 const char *what, struct ik_xfrm_err *e)
{
	struct found f = { 0 };
	int r;

	r = sa_lookup(h, family, dst, spi, what, found_cb, &f, e);
	if (r)
		return r;
	if (!f.ours)
		return set_err(e, -EPERM, "%s: not iketcpd's (reqid 0x%08x)",
			       what, f.reqid);
	return 0;
}

int ik_xfrm_sa_update(struct ik_xfrm *h, const struct ik_xfrm_sa *sa,
		      struct ik_xfrm_err *e)
{
	char what[96];
	int r;

	sa_what(what, sizeof(what), "update", sa->family, &sa->dst, sa->spi);
	r = sa_check_ours(h, sa->family, &sa->dst, sa->spi, what, e);
	if (r == -ESRCH)	/* the larval state expired */
		return sa_send(h, sa, XFRM_MSG_NEWSA, e);
	if (r)
		return r;
	return sa_send(h, sa, XFRM_MSG_UPDSA, e);
}

int ik_xfrm_sa_del(struct ik_xfrm *h, int family,
		   const union ik_xfrm_addr *dst, uint32_t spi,
		   struct ik_xfrm_err *e)
{
	struct ik_nlerr ne;
	char what[96];
	int r;

	sa_what(what, sizeof(what), "delete", family, dst, spi);
	r = sa_check_ours(h, family, dst, spi, what, e);
	if (r)
		return r;
	r = run(h, sa_id_msg(XFRM_MSG_DELSA, family, dst, spi, IPPROTO_ESP,
			     NULL), NULL, NULL, &ne);
	return r ? kernel_err(e, what, &ne, hint(r, family, false)) : 0;
}

static int stats_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct xfrm_usersa_info *sa = sa_info(nlh);
	const struct xfrm_replay_state_esn *esn;
	const struct xfrm_replay_state *rs;
	struct ik_xfrm_sa_stats *st = data;
	const size_t hdr = sizeof(*sa);

	if (!sa)
		return -EPROTO;
	memset(st, 0, sizeof(*st));
	st->bytes = sa->curlft.bytes;
	st->packets = sa->curlft.packets;
	st->add_time = sa->curlft.add_time;
	st->use_time = sa->curlft.use_time;
	st->replay_drops = sa->stats.replay;
	st->replay_window_drops = sa->stats.replay_window;
	st->integrity_failures = sa->stats.integrity_failed;
	esn = find_attr(nlh, hdr, XFRMA_REPLAY_ESN_VAL, sizeof(*esn), NULL);
	rs = find_attr(nlh, hdr, XFRMA_REPLAY_VAL, sizeof(*rs), NULL);
	if (esn) {
		st->oseq = (uint64_t)esn->oseq_hi << 32 | esn->oseq;
		st->seq = (uint64_t)esn->seq_hi << 32 | esn->seq;
	} else if (rs) {
		st->oseq = rs->oseq;
		st->seq = rs->seq;
	}
	return 0;
}

int ik_xfrm_sa_get_stats(struct ik_xfrm *h, int family,
			 const union ik_xfrm_addr *dst, uint32_t spi,
			 struct ik_xfrm_sa_stats *st, struct ik_xfrm_err *e)
{
	char what[96];

	sa_what(what, sizeof(what), "read", family, dst, spi);
	return sa_lookup(h, family, dst, spi, what, stats_cb, st, e);
}

static int spi_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct xfrm_usersa_info *sa = sa_info(nlh);

	if (!sa || !sa->id.spi)
		return -EPROTO;
	*(uint32_t *)data = ntohl(sa->id.spi);
	return 0;
}

int ik_xfrm_alloc_spi(struct ik_xfrm *h, int family,
		      const union ik_xfrm_addr *src,
		      const union ik_xfrm_addr *dst, uint32_t reqid,
		      uint32_t lo, uint32_t hi, uint32_t *spi,
		      struct ik_xfrm_err *e)
{
	struct xfrm_userspi_info u;
	struct ik_nlerr ne;
	struct nl_msg *m;
	char what[128];
	size_t len = addr_len(family);
	int r;

	snprintf(what, sizeof(what), "allocate an SPI for %s -> %s",
		 ADDR(family, src), ADDR(family, dst));
	if (!len)
		return set_err(e, -EAFNOSUPPORT, "%s: address family %d", what,
			       family);
	if (!ik_xfrm_reqid_is_ours(reqid))
		return set_err(e, -EINVAL,
			       "%s: reqid 0x%08x is not iketcpd's (0x%08x | n)",
			       what, reqid, IK_XFRM_REQID_BASE);
	if (lo < SPI_MIN || lo > hi)
		return set_err(e, -EINVAL, "%s: range 0x%x-0x%x", what, lo, hi);
	memset(&u, 0, sizeof(u));
	memcpy(&u.info.id.daddr, dst, len);
	memcpy(&u.info.saddr, src, len);
	u.info.id.proto = IPPROTO_ESP;
	u.info.family = (uint16_t)family;
	u.info.reqid = reqid;
	u.info.mode = XFRM_MODE_TUNNEL;	/* the larval state's; no matter */
	u.min = lo;
	u.max = hi;
	m = nlmsg_alloc_simple(XFRM_MSG_ALLOCSPI, 0);
	if (m && nlmsg_append(m, &u, sizeof(u), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(m);
		m = NULL;
	}
	*spi = 0;
	r = run(h, m, spi_cb, spi, &ne);
	return r ? kernel_err(e, what, &ne, hint(r, family, false)) : 0;
}

/* ---- policies ------------------------------------------------------------ */

static int policy_lookup(struct ik_xfrm *h, int dir,
			 const struct xfrm_selector *sel, struct found *f,
			 struct ik_nlerr *ne)
{
	memset(f, 0, sizeof(*f));
	return run(h, policy_id_msg(XFRM_MSG_GETPOLICY, dir, sel, 0, NULL),
		   found_cb, f, ne);
}

enum policy_op { POLICY_ADD, POLICY_UPDATE, POLICY_DEL };

static int policy_one(struct ik_xfrm *h, const struct ik_xfrm_policy *p,
		      int dir, const struct xfrm_selector *sel,
		      enum policy_op op, struct ik_xfrm_err *e)
{
	static const char *const verbs[] = { "add", "update", "delete" };
	struct nl_msg *msg = NULL;
	struct ik_nlerr ne;
	struct found f;
	char what[256], s[200];
	int r;

	snprintf(what, sizeof(what), "%s policy %s", verbs[op],
		 sel_str(s, sizeof(s), dir, sel));
	if (op != POLICY_ADD) {
		r = policy_lookup(h, dir, sel, &f, &ne);
		if (r == -ENOENT && op == POLICY_UPDATE)
			f.ours = true;	/* nothing to replace */
		else if (r)
			return kernel_err(e, what, &ne,
					  hint(r, p->family, true));
		if (!f.ours)
			return set_err(e, -EPERM, "%s: not iketcpd's", what);
	}
	if (op == POLICY_DEL) {
		msg = policy_id_msg(XFRM_MSG_DELPOLICY, dir, NULL, f.index,
				    NULL);
	} else {
		r = ik_xfrm_build_policy(p, dir, sel, op == POLICY_ADD ?
					 XFRM_MSG_NEWPOLICY :
					 XFRM_MSG_UPDPOLICY, &msg, e);
		if (r)
			return r;
	}
	r = run(h, msg, NULL, NULL, &ne);
	return r ? kernel_err(e, what, &ne, hint(r, p->family, true)) : 0;
}

static int policy_apply(struct ik_xfrm *h, const struct ik_xfrm_policy *p,
			unsigned int dirs, enum policy_op op,
			struct ik_xfrm_err *e)
{
	struct xfrm_selector *sels[2];	/* local -> remote, and back */
	int n[2] = { 0, 0 }, done[XFRM_POLICY_MAX] = { 0 };
	int dir, i, r = 0, first = 0;

	if (!dirs || (dirs & ~IK_XFRM_DIR_ALL))
		return set_err(e, -EINVAL, "policy: directions 0x%x", dirs);
	r = check_policy(p, XFRM_POLICY_OUT, e);
	if (r)
		return r;
	sels[0] = calloc(IK_XFRM_MAX_SELECTORS, sizeof(*sels[0]));
	sels[1] = calloc(IK_XFRM_MAX_SELECTORS, sizeof(*sels[1]));
	if (!sels[0] || !sels[1]) {
		r = set_err(e, -ENOMEM, "policy: out of memory");
		goto out;
	}
	n[0] = ik_xfrm_ts_selectors(&p->local, &p->remote, sels[0],
				    IK_XFRM_MAX_SELECTORS, e);
	if (n[0] < 0) {
		r = n[0];
		goto out;
	}
	n[1] = ik_xfrm_ts_selectors(&p->remote, &p->local, sels[1],
				    IK_XFRM_MAX_SELECTORS, e);
	if (n[1] < 0) {
		r = n[1];
		goto out;
	}
	for (dir = 0; dir < XFRM_POLICY_MAX; dir++) {
		int k = dir == XFRM_POLICY_OUT ? 0 : 1;

		if (!(dirs & (1u << dir)))
			continue;
		for (i = 0; i < n[k]; i++) {
			r = policy_one(h, p, dir, &sels[k][i], op, e);
			if (r && op != POLICY_DEL)
				goto undo;
			if (r && !first)
				first = r;
			done[dir]++;
		}
	}
	r = first;
	goto out;
undo:
	/* All or nothing: take back what this call added. */
	for (dir = 0; op == POLICY_ADD && dir < XFRM_POLICY_MAX; dir++)
		for (i = 0; i < done[dir]; i++)
			policy_one(h, p, dir,
				   &sels[dir == XFRM_POLICY_OUT ? 0 : 1][i],
				   POLICY_DEL, NULL);
out:
	free(sels[0]);
	free(sels[1]);
	return r;
}

int ik_xfrm_policy_add(struct ik_xfrm *h, const struct ik_xfrm_policy *p,
		       unsigned int dirs, struct ik_xfrm_err *e)
{
	return policy_apply(h, p, dirs, POLICY_ADD, e);
}

int ik_xfrm_policy_update(struct ik_xfrm *h, const struct ik_xfrm_policy *p,
			  unsigned int dirs, struct ik_xfrm_err *e)
{
	return policy_apply(h, p, dirs, POLICY_UPDATE, e);
}

int ik_xfrm_policy_del(struct ik_xfrm *h, const struct ik_xfrm_policy *p,
		       unsigned int dirs, struct ik_xfrm_err *e)
{
	return policy_apply(h, p, dirs, POLICY_DEL, e);
}

/* ---- clean-up ------------------------------------------------------------ */

/* A state or policy of ours, as a dump showed it. */
struct victim {
	bool policy;
	uint8_t dir, proto;
	uint16_t family;
	uint32_t spi, index;
	xfrm_address_t daddr;
	bool has_mark;
	struct xfrm_mark mark;
};

struct victims {
	struct victim *v;
	size_t n, cap;
};

static int collect_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct xfrm_usersa_info *sa = sa_info(nlh);
	const struct xfrm_userpolicy_info *pi = policy_info(nlh);
	struct victims *vs = data;
	const struct xfrm_mark *mark;
	struct victim v;

	if (!ik_xfrm_msg_is_ours(nlh))
		return 0;
	memset(&v, 0, sizeof(v));
	if (sa) {
		if (!sa->id.spi)
			return 0;	/* an ACQUIRE's: not deletable by SPI */
		v.family = sa->family;
		v.daddr = sa->id.daddr;
		v.spi = ntohl(sa->id.spi);
		v.proto = sa->id.proto;
		mark = find_attr(nlh, sizeof(*sa), XFRMA_MARK, sizeof(*mark),
				 NULL);
	} else {
		if (pi->dir >= XFRM_POLICY_MAX)
			return 0;	/* a socket's policy */
		v.policy = true;
		v.dir = pi->dir;
		v.index = pi->index;
		mark = find_attr(nlh, sizeof(*pi), XFRMA_MARK, sizeof(*mark),
				 NULL);
	}
	if (mark) {
		v.has_mark = true;
		v.mark = *mark;
	}
	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? 2 * vs->cap : 64;
		struct victim *nv = realloc(vs->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		vs->v = nv;
		vs->cap = cap;
	}
	vs->v[vs->n++] = v;
	return 0;
}

/* Dumps one kind (GETPOLICY or GETSA) and deletes what is ours. */
static int flush_kind(struct ik_xfrm *h, int dump, int *deleted,
		      struct ik_xfrm_err *e)
{
	const char *kind = dump == XFRM_MSG_GETSA ? "states" : "policies";
	struct victims vs = { NULL, 0, 0 };
	struct ik_nlerr ne;
	char what[128];
	int r, first = 0;
	size_t i;

	r = run(h, nlmsg_alloc_simple(dump, NLM_F_DUMP), collect_cb, &vs, &ne);
	if (r) {
		snprintf(what, sizeof(what), "flush: dump the %s", kind);
		free(vs.v);
		return kernel_err(e, what, &ne, hint(r, 0, false));
	}
	for (i = 0; i < vs.n; i++) {
		const struct victim *v = &vs.v[i];
		const struct xfrm_mark *mark = v->has_mark ? &v->mark : NULL;

		if (v->policy) {
			snprintf(what, sizeof(what),
				 "flush: delete policy %s index %u",
				 dir_name(v->dir), v->index);
			r = run(h, policy_id_msg(XFRM_MSG_DELPOLICY, v->dir,
						 NULL, v->index, mark),
				NULL, NULL, &ne);
		} else {
			snprintf(what, sizeof(what),
				 "flush: delete SA 0x%08x to %s", v->spi,
				 ADDR(v->family, &v->daddr));
			r = run(h, sa_id_msg(XFRM_MSG_DELSA, v->family,
					     &v->daddr, v->spi, v->proto,
					     mark), NULL, NULL, &ne);
		}
		if (!r)
			(*deleted)++;
		else if (r != -ENOENT && r != -ESRCH && !first)
			first = kernel_err(e, what, &ne, NULL); /* else gone */
	}
	free(vs.v);
	return first;
}

int ik_xfrm_flush_own(struct ik_xfrm *h, struct ik_xfrm_err *e)
{
	int deleted = 0, r, r2;

	/* Policies first: no packet may ask for a state being deleted. */
	r = flush_kind(h, XFRM_MSG_GETPOLICY, &deleted, e);
	r2 = flush_kind(h, XFRM_MSG_GETSA, &deleted, r ? NULL : e);
	if (r || r2)
		return r ? r : r2;
	return deleted;
}
