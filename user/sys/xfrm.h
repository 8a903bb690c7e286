/* SPDX-License-Identifier: GPL-2.0 */
/*
 * XFRM states (ESP SAs) and policies, installed and removed through
 * libnl-xfrm-3, each one marked as iketcpd's.
 *
 * Ownership.  Everything iketcpd puts into XFRM carries a reqid of the
 * block IK_XFRM_REQID_BASE | n (n = 1..0xffff, one per Child SA):
 *   - a state is ours when its reqid is in the block (larval states made by
 *     ik_xfrm_alloc_spi() carry the reqid they were asked with);
 *   - a policy is ours when it has at least one template and every template's
 *     reqid is in the block.
 * The kernel keeps both in its dumps, and neither changes how anybody
 * else's packets match: a reqid only ties a policy's template to states of
 * the same reqid (and libreswan's reqids, 16384 + 4k, or strongSwan's, 1, 2,
 * ..., stay far below the block).  XFRMA_MARK and XFRMA_SET_MARK were ruled
 * out (a mark changes which packets a state or policy takes), and so were the
 * policy priority (it orders matching) and index (the kernel may pick
 * another).  iketcpd installs no policy without a template, so it never
 * needs another mark.  ik_xfrm_flush_own() deletes exactly what this scheme
 * calls ours; every other call that deletes or replaces something first
 * reads it back and refuses (-EPERM) when it is not ours.
 *
 * Conventions.  SPIs and ports are in host byte order.  Addresses are raw
 * network-order bytes: 4 of them for AF_INET, 16 for AF_INET6.  Every
 * function returns 0 (or a count) on success and a negative errno on
 * failure, with a line for the log in e->msg, for example
 *   add SA 0xc0000001 to 10.0.0.2: Protocol not supported: Requested type
 *   not found (is esp4 loaded? modprobe esp4)
 * e may be NULL.  Keys never enter libnl objects (libnl frees them without
 * wiping): they go straight into the request, which is wiped before it is
 * freed, and so is every reply (the kernel's SA dumps carry keys).
 * One handle is one netlink socket bound to the caller's network namespace
 * at ik_xfrm_open(); calls block until the kernel answers (it answers at
 * once) and are not thread-safe.
 */
#ifndef IKETCPD_SYS_XFRM_H
#define IKETCPD_SYS_XFRM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <linux/xfrm.h>

struct nl_sock;
struct nl_msg;
struct nlmsghdr;

/* ---- ownership ----------------------------------------------------------- */

#define IK_XFRM_REQID_BASE	0x1c7c0000u
#define IK_XFRM_REQID_MASK	0xffff0000u
#define IK_XFRM_REQID_MAX_N	0xffffu

/* The reqid of Child SA number n (1..IK_XFRM_REQID_MAX_N). */
static inline uint32_t ik_xfrm_reqid(uint16_t n)
{
	return IK_XFRM_REQID_BASE | n;
}

static inline bool ik_xfrm_reqid_is_ours(uint32_t reqid)
{
	return (reqid & IK_XFRM_REQID_MASK) == IK_XFRM_REQID_BASE;
}

/* ---- types --------------------------------------------------------------- */

struct ik_xfrm {
	struct nl_sock *sk;
	uint8_t *buf;		/* replies; wiped after each request */
};

struct ik_xfrm_err {
	int err;		/* the negative errno also returned */
	char msg[384];
};

union ik_xfrm_addr {
	struct in_addr v4;
	struct in6_addr v6;
	uint8_t b[16];
};

/*
 * An IKEv2 traffic selector (RFC 7296 3.13.1): an inclusive address range,
 * an IP protocol (0: any) and an inclusive port range (0-65535: any).
 * XFRM has prefixes and masked ports instead of ranges, so a selector pair
 * becomes one XFRM selector per (address prefix, port block) combination
 * (see ik_xfrm_ts_selectors()).  Not expressible, so refused with
 * -EOPNOTSUPP: OPAQUE ports (start > end), ports on a protocol without
 * ports, and for ICMP/ICMPv6 (type << 8 | code in the port fields) anything
 * but: any, one type and code, or one type with any code, given on one side
 * only (it then applies to both directions, as XFRM keeps ICMP's type and
 * code in every selector's sport and dport).
 */
struct ik_xfrm_ts {
	int family;			/* AF_INET or AF_INET6 */
	union ik_xfrm_addr start, end;
	uint8_t proto;
	uint16_t port_start, port_end;
};

/* Limits in bytes, packets and seconds since the SA was added; 0: none. */
struct ik_xfrm_lifetime {
	uint64_t soft_bytes, hard_bytes;
	uint64_t soft_packets, hard_packets;
	uint64_t soft_secs, hard_secs;
};

/*
 * One ESP SA.  Algorithms are IKEv2 transform IDs (ike/wire.h):
 *   encr IKE_ENCR_AES_GCM_16, integ IKE_INTEG_NONE: rfc4106(gcm(aes)), ICV
 *        128 bits; enc_key is the key and the 4-byte salt (KEYMAT order)
 *   encr IKE_ENCR_AES_CBC with integ IKE_INTEG_HMAC_SHA2_256_128,
 *        _384_192 or _512_256: cbc(aes) + hmac(sha256/384/512) truncated
 *        to 128/192/256 bits; auth_key 32/48/64 bytes
 * keybits is 128, 192 or 256.  ik_xfrm_algs() gives the names and the key
 * lengths these need.
 */
struct ik_xfrm_sa {
	int family;			/* of the outer addresses */
	union ik_xfrm_addr src, dst;	/* outer; (dst, spi) names the SA */
	uint32_t spi;
	uint32_t reqid;			/* must be ik_xfrm_reqid(n) */
	uint8_t mode;			/* XFRM_MODE_TUNNEL or _TRANSPORT */
	/* ESP in UDP (UDP_ENCAP_ESPINUDP) when both are set, else bare ESP */
	uint16_t encap_sport, encap_dport;
	uint16_t encr, keybits, integ;
	const uint8_t *enc_key;
	size_t enc_key_len;
	const uint8_t *auth_key;
	size_t auth_key_len;
	bool esn;			/* 64-bit sequence numbers (RFC 4303) */
	uint32_t replay_window;		/* packets; 0: 32; at most 4096 */
	struct ik_xfrm_lifetime lft;
	/*
	 * Optional selector (both or neither): the traffic the SA may carry,
	 * typically a transport-mode SA's host pair, protocol and ports.  It
	 * must be one XFRM selector (one prefix and port block a side).
	 * Without one, a tunnel SA carries either inner family.
	 */
	const struct ik_xfrm_ts *sel_src, *sel_dst;
};

/* The kernel's counters of one SA. */
struct ik_xfrm_sa_stats {
	uint64_t bytes, packets;	/* protected and sent, or received */
	uint64_t add_time;		/* when it was added (epoch seconds) */
	/*
	 * When it was used FIRST (0: never).  The kernel keeps no last-use
	 * time: to tell an idle SA, compare packets between two polls.
	 */
	uint64_t use_time;
	uint64_t oseq;			/* last sequence number sent */
	uint64_t seq;			/* highest sequence number received */
	uint32_t replay_drops;		/* stats.replay */
	uint32_t replay_window_drops;	/* stats.replay_window */
	uint32_t integrity_failures;	/* stats.integrity_failed */
};

/*
 * The policies of one Child SA, from this end's point of view: out covers
 * local -> remote and goes through local_addr -> remote_addr; in and fwd
 * cover remote -> local through remote_addr -> local_addr.  The outer
 * addresses only matter in tunnel mode.  In tunnel mode the inner family
 * (the selectors') may differ from the outer one.
 */
struct ik_xfrm_policy {
	struct ik_xfrm_ts local, remote;
	int family;			/* of the outer addresses */
	union ik_xfrm_addr local_addr, remote_addr;
	uint8_t mode;
	uint32_t reqid;			/* the SAs' reqid: ik_xfrm_reqid(n) */
	uint32_t priority;		/* lower wins */
};

#define IK_XFRM_DIR_IN		(1u << XFRM_POLICY_IN)
#define IK_XFRM_DIR_OUT		(1u << XFRM_POLICY_OUT)
#define IK_XFRM_DIR_FWD		(1u << XFRM_POLICY_FWD)
#define IK_XFRM_DIR_ALL \
	(IK_XFRM_DIR_IN | IK_XFRM_DIR_OUT | IK_XFRM_DIR_FWD)

/* Most XFRM selectors (so policies a direction) one selector pair may need. */
#define IK_XFRM_MAX_SELECTORS	256

/* ---- the handle ---------------------------------------------------------- */

int ik_xfrm_open(struct ik_xfrm *h, struct ik_xfrm_err *e);
void ik_xfrm_close(struct ik_xfrm *h);

/* ---- states -------------------------------------------------------------- */

/* XFRM_MSG_NEWSA; -EEXIST when (dst, spi) is taken, ours or not. */
int ik_xfrm_sa_add(struct ik_xfrm *h, const struct ik_xfrm_sa *sa,
		   struct ik_xfrm_err *e);
/*
 * XFRM_MSG_UPDSA on a state of ours: turns the larval state left by
 * ik_xfrm_alloc_spi() into the full SA (if that state expired meanwhile,
 * see below, the SA is added instead); on an installed SA the kernel
 * changes only its lifetimes and its UDP encapsulation ports (switching
 * between bare ESP and ESP in UDP is -EINVAL).  -EPERM if not ours.
 */
int ik_xfrm_sa_update(struct ik_xfrm *h, const struct ik_xfrm_sa *sa,
		      struct ik_xfrm_err *e);
/* Deletes the ESP SA (dst, spi) if it is ours: -ESRCH if none, -EPERM. */
int ik_xfrm_sa_del(struct ik_xfrm *h, int family,
		   const union ik_xfrm_addr *dst, uint32_t spi,
		   struct ik_xfrm_err *e);
int ik_xfrm_sa_get_stats(struct ik_xfrm *h, int family,
			 const union ik_xfrm_addr *dst, uint32_t spi,
			 struct ik_xfrm_sa_stats *st, struct ik_xfrm_err *e);
/*
 * XFRM_MSG_ALLOCSPI: an unused ESP SPI in [lo, hi] (lo >= 0x100) for an
 * inbound SA from src (the peer) to dst (us).  The kernel holds it with a
 * larval state marked with reqid (so ik_xfrm_flush_own() removes it too)
 * for net.core.xfrm_acq_expires seconds (30 by default); install the SA
 * with ik_xfrm_sa_update().
 */
int ik_xfrm_alloc_spi(struct ik_xfrm *h, int family,
		      const union ik_xfrm_addr *src,
		      const union ik_xfrm_addr *dst, uint32_t reqid,
		      uint32_t lo, uint32_t hi, uint32_t *spi,
		      struct ik_xfrm_err *e);

/* ---- policies ------------------------------------------------------------ */

/*
 * Adds the policies of p for each direction in dirs (IK_XFRM_DIR_*): one a
 * direction and XFRM selector.  All or nothing: on failure, what this call
 * added is deleted again.  -EEXIST when one exists (ours or not).
 */
int ik_xfrm_policy_add(struct ik_xfrm *h, const struct ik_xfrm_policy *p,
		       unsigned int dirs, struct ik_xfrm_err *e);
/* XFRM_MSG_UPDPOLICY: adds or replaces, but never replaces another's. */
int ik_xfrm_policy_update(struct ik_xfrm *h, const struct ik_xfrm_policy *p,
			  unsigned int dirs, struct ik_xfrm_err *e);
/*
 * Deletes them, each only if it is ours; goes on past a failure and returns
 * the first (-ENOENT: one was not there, -EPERM: one is not ours).
 */
int ik_xfrm_policy_del(struct ik_xfrm *h, const struct ik_xfrm_policy *p,
		       unsigned int dirs, struct ik_xfrm_err *e);

/* ---- clean-up ------------------------------------------------------------ */

/*
 * Deletes every policy, then every state, that is ours (see the top), and
 * nothing else: at start-up after a crash and at exit.  Returns how many
 * it deleted, or the first error after trying them all.  Larval states the
 * kernel made itself for an ACQUIRE (SPI 0) cannot be deleted by SPI; they
 * go within net.core.xfrm_acq_expires seconds.
 */
int ik_xfrm_flush_own(struct ik_xfrm *h, struct ik_xfrm_err *e);

/* ---- pieces without a socket, for the unit tests ------------------------- */

struct ik_xfrm_algs {
	const char *aead;		/* NULL unless AEAD */
	const char *enc;		/* NULL for AEAD */
	const char *auth;		/* NULL for AEAD */
	unsigned int enc_key_len;	/* bytes, salt included */
	unsigned int auth_key_len;	/* bytes */
	unsigned int icv_bits;		/* AEAD ICV or HMAC truncation */
};

/* The kernel's names for the transform IDs; -EINVAL, -EOPNOTSUPP. */
int ik_xfrm_algs(uint16_t encr, uint16_t keybits, uint16_t integ,
		 struct ik_xfrm_algs *a);

/* An address or port prefix: bytes in network order, length in bits. */
struct ik_xfrm_prefix {
	uint8_t b[16];
	uint8_t len;
};

/*
 * Splits the inclusive range [lo, hi] of size-byte big-endian numbers
 * (size 2, 4 or 16) into the fewest prefixes, at most max (2 * 8 * size
 * always suffice); returns how many, or -EINVAL (lo > hi), -E2BIG.
 */
int ik_xfrm_range_prefixes(const uint8_t *lo, const uint8_t *hi,
			   size_t size, struct ik_xfrm_prefix *out,
			   size_t max);

/*
 * The XFRM selectors (at most max) covering traffic from src to dst;
 * returns how many or a negative errno with e->msg.
 */
int ik_xfrm_ts_selectors(const struct ik_xfrm_ts *src,
			 const struct ik_xfrm_ts *dst,
			 struct xfrm_selector *out, size_t max,
			 struct ik_xfrm_err *e);

/*
 * The request for sa (cmd XFRM_MSG_NEWSA or XFRM_MSG_UPDSA) into *msg;
 * free it with ik_xfrm_msg_free() (it holds keys).
 */
int ik_xfrm_build_sa(const struct ik_xfrm_sa *sa, int cmd,
		     struct nl_msg **msg, struct ik_xfrm_err *e);
/* The request for one policy: direction dir (XFRM_POLICY_*), selector sel. */
int ik_xfrm_build_policy(const struct ik_xfrm_policy *p, int dir,
			 const struct xfrm_selector *sel, int cmd,
			 struct nl_msg **msg, struct ik_xfrm_err *e);
/* Wipes and frees. */
void ik_xfrm_msg_free(struct nl_msg *msg);

/* Is this XFRM_MSG_NEWSA or XFRM_MSG_NEWPOLICY message one of ours? */
bool ik_xfrm_msg_is_ours(const struct nlmsghdr *nlh);

#endif
