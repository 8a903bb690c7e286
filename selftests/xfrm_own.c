// SPDX-License-Identifier: GPL-2.0
/*
 * iketcpd's XFRM code (user/sys/xfrm.c) against a real kernel, run as root
 * in the VM (selftests/vm/run -- build/xfrm_own):
 *
 *    netns ikx1                                 netns ikx2
 *    lo 192.168.101.1                           lo 192.168.102.1
 *    v1 10.99.0.1/24, fd00:99::1/64 ---veth--- v2 10.99.0.2/24, fd00:99::2/64
 *
 * In ikx1, `ip xfrm` installs a foreign state (reqid 7), one without a
 * reqid, a foreign policy and one without a template; the library installs
 * its own (AEAD tunnel over IPv4, CBC+HMAC transport over IPv6 with a
 * selector, ESP in UDP, ESN, larval states from ALLOCSPI), which must show
 * in `ip xfrm state` as asked, and ik_xfrm_flush_own() must remove exactly
 * those.  Then pings cross tunnels the library set up in both namespaces
 * (bare ESP, ESP in UDP, IPv4 inside IPv6), and the SAs' counters show it.
 *
 * The library is compiled in (one translation unit):
 *   cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I include -I user \
 *      -o build/xfrm_own selftests/xfrm_own.c \
 *      $(pkg-config --cflags --libs libnl-xfrm-3.0 libnl-3.0 libmnl)
 * Output is KTAP.  Every shell command is printed ("# $ ...") with its
 * output, so a failing log reads like a script.
 */
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#include <sys/wait.h>

#include "../user/nlmsg.c"
#include "../user/sys/xfrm.c"

#define NS1 "ikx1"
#define NS2 "ikx2"

static int nr_run, nr_failed;
static bool case_ok = true;

#define EXPECT(cond) do { \
	if (!(cond)) { \
		printf("# %s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
		case_ok = false; \
	} \
} while (0)

/* Like EXPECT(r == 0), with the library's reason. */
#define EXPECT_OK(r, e) do { \
	int r_ = (r); \
	if (r_) { \
		printf("# %s:%d: %d: %s\n", __FILE__, __LINE__, r_, (e).msg); \
		case_ok = false; \
	} \
} while (0)

/* ---- shell --------------------------------------------------------------- */

/* Runs a command, prints it and its output ("# "), returns the output. */
static char *vout(int *status, const char *fmt, va_list ap)
{
	char cmd[1024], line[1024], *buf = NULL;
	size_t len = 0;
	FILE *p;
	int st;

	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	printf("# $ %s\n", cmd);
	fflush(stdout);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	p = popen(cmd, "r");
	if (!p) {
		if (status)
			*status = -1;
		return strdup("");
	}
	while (fgets(line, sizeof(line), p)) {
		size_t n = strlen(line);
		char *nb = realloc(buf, len + n + 1);

		if (!nb)
			break;
		buf = nb;
		memcpy(buf + len, line, n + 1);
		len += n;
		printf("# %s%s", line, n && line[n - 1] == '\n' ? "" : "\n");
	}
	st = pclose(p);
	if (status)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return buf ? buf : strdup("");
}

static char *out(int *status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static char *out(int *status, const char *fmt, ...)
{
	va_list ap;
	char *o;

	va_start(ap, fmt);
	o = vout(status, fmt, ap);
	va_end(ap);
	return o;
}

/* Runs a command, prints it and its output, returns its exit status. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
	va_list ap;
	int st;

	va_start(ap, fmt);
	free(vout(&st, fmt, ap));
	va_end(ap);
	return st;
}

static void enter(const char *ns)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		printf("Bail out! enter %s: %s\n", ns, strerror(errno));
		exit(1);
	}
	close(fd);
}

/* printf into one of a few static buffers (several live at once) */
static const char *fmt(const char *f, ...)
	__attribute__((format(printf, 1, 2)));

static const char *fmt(const char *f, ...)
{
	static char buf[4][256];
	static unsigned int next;
	char *b = buf[next++ % 4];
	va_list ap;

	va_start(ap, f);
	vsnprintf(b, sizeof(buf[0]), f, ap);
	va_end(ap);
	return b;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)); hay += strlen(needle))
		n++;
	return n;
}

/* How many "reqid N" in an `ip xfrm` listing are ours, and foreign. */
static void reqids(const char *s, int *ours, int *foreign)
{
	*ours = *foreign = 0;
	for (; (s = strstr(s, "reqid ")); s += 6) {
		unsigned long r = strtoul(s + 6, NULL, 0);

		if (ik_xfrm_reqid_is_ours((uint32_t)r))
			(*ours)++;
		else
			(*foreign)++;
	}
}

/* ---- SAs and policies ---------------------------------------------------- */

static const uint8_t key[64] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
	0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
	0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21,
	0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c,
	0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
	0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40,
};

/* "0x0102..." for the first n bytes of key */
static const char *hexkey(size_t n)
{
	static char s[2 + 2 * sizeof(key) + 1];
	size_t i;

	strcpy(s, "0x");
	for (i = 0; i < n; i++)
		sprintf(s + 2 + 2 * i, "%02x", key[i]);
	return s;
}

static union ik_xfrm_addr addr(int family, const char *s)
{
	union ik_xfrm_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(family, s, &a) != 1)
		printf("# bad address %s\n", s);
	return a;
}

static struct ik_xfrm_ts ts(int family, const char *lo, const char *hi)
{
	struct ik_xfrm_ts t = {
		.family = family, .start = addr(family, lo),
		.end = addr(family, hi), .port_end = 65535,
	};
	return t;
}

static struct ik_xfrm_sa sa(int family, const char *src, const char *dst,
			    uint32_t spi, uint16_t n, uint16_t encr,
			    uint16_t integ)
{
	struct ik_xfrm_sa s = {
		.family = family, .src = addr(family, src),
		.dst = addr(family, dst), .spi = spi,
		.reqid = ik_xfrm_reqid(n), .mode = XFRM_MODE_TUNNEL,
		.encr = encr, .keybits = 128, .integ = integ,
		.enc_key = key, .auth_key = key,
	};
	struct ik_xfrm_algs a;

	if (!ik_xfrm_algs(encr, 128, integ, &a)) {
		s.enc_key_len = a.enc_key_len;
		s.auth_key_len = a.auth_key_len;
	}
	return s;
}

static struct ik_xfrm h1, h2;
static int foreign_states, foreign_policies;

/* ---- the cases ----------------------------------------------------------- */

static void foreign_states_and_policies_installed_with_ip_xfrm(void)
{
	char *s;
	int ours, foreign;

	EXPECT(sh("ip -n " NS1 " xfrm state add src 10.99.0.1 dst 10.99.0.2 "
		  "proto esp spi 0x7 reqid 7 mode tunnel "
		  "aead 'rfc4106(gcm(aes))' %s 128", hexkey(20)) == 0);
	EXPECT(sh("ip -n " NS1 " xfrm state add src 10.99.0.2 dst 10.99.0.1 "
		  "proto esp spi 0x8 mode tunnel "
		  "aead 'rfc4106(gcm(aes))' %s 128", hexkey(20)) == 0);
	EXPECT(sh("ip -n " NS1 " xfrm policy add src 172.16.7.0/24 "
		  "dst 172.17.7.0/24 dir out tmpl src 10.99.0.1 "
		  "dst 10.99.0.2 proto esp reqid 7 mode tunnel") == 0);
	EXPECT(sh("ip -n " NS1 " xfrm policy add src 172.16.8.0/24 "
		  "dst 172.17.8.0/24 dir in") == 0);
	s = out(NULL, "ip -n " NS1 " xfrm state");
	foreign_states = count(s, "proto esp spi");
	EXPECT(foreign_states == 2);
	free(s);
	s = out(NULL, "ip -n " NS1 " xfrm policy");
	foreign_policies = count(s, "dir ");
	reqids(s, &ours, &foreign);
	EXPECT(foreign_policies == 2 && ours == 0 && foreign == 1);
	free(s);
}

static void aead_tunnel_v4_installed(void)
{
	struct ik_xfrm_sa s = sa(AF_INET, "10.99.0.1", "10.99.0.2",
				 0xc0000101, 1, IKE_ENCR_AES_GCM_16,
				 IKE_INTEG_NONE);
	struct ik_xfrm_err e;
	char *o;

	EXPECT_OK(ik_xfrm_sa_add(&h1, &s, &e), e);
	o = out(NULL, "ip -n " NS1 " xfrm state get src 10.99.0.1 "
		"dst 10.99.0.2 proto esp spi 0xc0000101");
	EXPECT(strstr(o, fmt("reqid %u mode tunnel", ik_xfrm_reqid(1))));
	EXPECT(strstr(o, "replay-window 32 flag af-unspec"));
	EXPECT(strstr(o, "aead rfc4106(gcm(aes)) "));
	EXPECT(strstr(o, hexkey(20)));
	EXPECT(strstr(o, " 128"));
	EXPECT(!strstr(o, "encap"));
	free(o);
}

static void cbc_hmac_transport_v6_installed(void)
{
	struct ik_xfrm_ts a = ts(AF_INET6, "fd00:99::1", "fd00:99::1");
	struct ik_xfrm_ts b = ts(AF_INET6, "fd00:99::2", "fd00:99::2");
	struct ik_xfrm_sa s = sa(AF_INET6, "fd00:99::1", "fd00:99::2",
				 0xc0000102, 2, IKE_ENCR_AES_CBC,
				 IKE_INTEG_HMAC_SHA2_256_128);
	struct ik_xfrm_err e;
	char *o, want[256];

	a.proto = b.proto = IPPROTO_TCP;
	b.port_start = b.port_end = 443;
	s.mode = XFRM_MODE_TRANSPORT;
	s.sel_src = &a;
	s.sel_dst = &b;
	EXPECT_OK(ik_xfrm_sa_add(&h1, &s, &e), e);
	o = out(NULL, "ip -n " NS1 " xfrm state get src fd00:99::1 "
		"dst fd00:99::2 proto esp spi 0xc0000102");
	EXPECT(strstr(o, fmt("reqid %u mode transport", ik_xfrm_reqid(2))));
	snprintf(want, sizeof(want), "auth-trunc hmac(sha256) %s 128",
		 hexkey(32));
	EXPECT(strstr(o, want));
	snprintf(want, sizeof(want), "enc cbc(aes) %s", hexkey(16));
	EXPECT(strstr(o, want));
	EXPECT(strstr(o, "sel src fd00:99::1/128 dst fd00:99::2/128 "
			 "proto tcp dport 443"));
	free(o);
}

static void esp_in_udp_installed(void)
{
	struct ik_xfrm_sa s = sa(AF_INET, "10.99.0.1", "10.99.0.2",
				 0xc0000103, 3, IKE_ENCR_AES_GCM_16,
				 IKE_INTEG_NONE);
	struct ik_xfrm_err e;
	char *o;

	s.encap_sport = 4500;
	s.encap_dport = 4501;
	EXPECT_OK(ik_xfrm_sa_add(&h1, &s, &e), e);
	o = out(NULL, "ip -n " NS1 " xfrm state get src 10.99.0.1 "
		"dst 10.99.0.2 proto esp spi 0xc0000103");
	EXPECT(strstr(o, fmt("reqid %u ", ik_xfrm_reqid(3))));
	EXPECT(strstr(o, "encap type espinudp sport 4500 dport 4501 "
			 "addr 0.0.0.0"));
	free(o);
}

static void esn_installed(void)
{
	struct ik_xfrm_sa s = sa(AF_INET, "10.99.0.2", "10.99.0.1",
				 0xc0000104, 4, IKE_ENCR_AES_CBC,
				 IKE_INTEG_HMAC_SHA2_512_256);
	struct ik_xfrm_err e;
	char *o, want[256];

	s.esn = true;
	s.replay_window = 128;
	s.lft.soft_bytes = 1000000;
	s.lft.hard_bytes = 2000000;
	s.lft.soft_secs = 3000;
	s.lft.hard_secs = 3600;
	EXPECT_OK(ik_xfrm_sa_add(&h1, &s, &e), e);
	o = out(NULL, "ip -n " NS1 " -s xfrm state get src 10.99.0.2 "
		"dst 10.99.0.1 proto esp spi 0xc0000104");
	/* -s: numbers twice, key lengths in bits */
	EXPECT(strstr(o, fmt("reqid %u(0x%08x)", ik_xfrm_reqid(4),
			     ik_xfrm_reqid(4))));
	EXPECT(strstr(o, "replay-window 0 "));
	EXPECT(strstr(o, "af-unspec esn"));
	EXPECT(strstr(o, "anti-replay esn context:"));
	EXPECT(strstr(o, "replay_window 128, bitmap-length 4"));
	snprintf(want, sizeof(want),
		 "auth-trunc hmac(sha512) %s (512 bits) 256", hexkey(64));
	EXPECT(strstr(o, want));
	EXPECT(strstr(o, "soft 1000000(bytes), hard 2000000(bytes)"));
	EXPECT(strstr(o, "expire add: soft 3000(sec), hard 3600(sec)"));
	free(o);
}

static void adding_a_taken_spi_says_so(void)
{
	struct ik_xfrm_sa s = sa(AF_INET, "10.99.0.1", "10.99.0.2",
				 0xc0000101, 1, IKE_ENCR_AES_GCM_16,
				 IKE_INTEG_NONE);
	struct ik_xfrm_err e;

	EXPECT(ik_xfrm_sa_add(&h1, &s, &e) == -EEXIST);
	printf("# %s\n", e.msg);
	EXPECT(e.err == -EEXIST);
	EXPECT(strstr(e.msg, "add SA 0xc0000101 to 10.99.0.2: File exists"));
	EXPECT(strstr(e.msg, "(this SPI is in use for this destination)"));
}

static void stats_readable(void)
{
	struct ik_xfrm_sa_stats st;
	union ik_xfrm_addr d = addr(AF_INET, "10.99.0.2");
	struct ik_xfrm_err e;

	memset(&st, 0xff, sizeof(st));
	EXPECT_OK(ik_xfrm_sa_get_stats(&h1, AF_INET, &d, 0xc0000101, &st, &e),
		  e);
	printf("# bytes %llu packets %llu add_time %llu use_time %llu "
	       "oseq %llu seq %llu\n", (unsigned long long)st.bytes,
	       (unsigned long long)st.packets,
	       (unsigned long long)st.add_time,
	       (unsigned long long)st.use_time, (unsigned long long)st.oseq,
	       (unsigned long long)st.seq);
	EXPECT(st.bytes == 0 && st.packets == 0 && st.use_time == 0);
	EXPECT(st.add_time > 1600000000);
	EXPECT(st.oseq == 0 && st.seq == 0);
	EXPECT(st.replay_drops == 0 && st.integrity_failures == 0);
	EXPECT(ik_xfrm_sa_get_stats(&h1, AF_INET, &d, 0xc0000999, &st, &e) ==
	       -ESRCH);
}

static void foreign_sa_is_not_deleted_or_updated(void)
{
	union ik_xfrm_addr d = addr(AF_INET, "10.99.0.2");
	struct ik_xfrm_sa s = sa(AF_INET, "10.99.0.1", "10.99.0.2", 0x7, 1,
				 IKE_ENCR_AES_GCM_16, IKE_INTEG_NONE);
	struct ik_xfrm_err e;

	EXPECT(ik_xfrm_sa_del(&h1, AF_INET, &d, 0x7, &e) == -EPERM);
	printf("# %s\n", e.msg);
	EXPECT(strstr(e.msg, "not iketcpd's (reqid 0x00000007)"));
	EXPECT(ik_xfrm_sa_update(&h1, &s, &e) == -EPERM);
	EXPECT(sh("ip -n " NS1 " xfrm state get src 10.99.0.1 dst 10.99.0.2 "
		  "proto esp spi 0x7 | grep -q 'reqid 7 '") == 0);
}

static void sa_del_removes_ours(void)
{
	union ik_xfrm_addr d = addr(AF_INET, "10.99.0.2");
	struct ik_xfrm_err e;

	EXPECT_OK(ik_xfrm_sa_del(&h1, AF_INET, &d, 0xc0000103, &e), e);
	EXPECT(sh("ip -n " NS1 " xfrm state get src 10.99.0.1 "
		  "dst 10.99.0.2 proto esp spi 0xc0000103") != 0);
	EXPECT(ik_xfrm_sa_del(&h1, AF_INET, &d, 0xc0000103, &e) == -ESRCH);
	printf("# %s\n", e.msg);
	EXPECT(strstr(e.msg, "delete SA 0xc0000103 to 10.99.0.2: "));
	EXPECT(strstr(e.msg, "(no such SA)"));
}

static void policies_split_and_installed(void)
{
	struct ik_xfrm_policy p = {
		.local = ts(AF_INET, "192.168.201.0", "192.168.201.255"),
		.remote = ts(AF_INET, "192.168.202.1", "192.168.202.2"),
		.family = AF_INET, .local_addr = addr(AF_INET, "10.99.0.1"),
		.remote_addr = addr(AF_INET, "10.99.0.2"),
		.mode = XFRM_MODE_TUNNEL, .reqid = ik_xfrm_reqid(5),
		.priority = 1000,
	};
	struct ik_xfrm_err e;
	char *o;

	EXPECT_OK(ik_xfrm_policy_add(&h1, &p, IK_XFRM_DIR_ALL, &e), e);
	o = out(NULL, "ip -n " NS1 " xfrm policy");
	/* .1/32 and .2/32: two selectors, three directions */
	EXPECT(count(o, fmt("reqid %u mode tunnel", ik_xfrm_reqid(5))) == 6);
	EXPECT(count(o, "src 192.168.201.0/24 dst 192.168.202.1/32") == 1);
	EXPECT(count(o, "src 192.168.201.0/24 dst 192.168.202.2/32") == 1);
	EXPECT(count(o, "src 192.168.202.2/32 dst 192.168.201.0/24") == 2);
	/* and the foreign one's */
	EXPECT(count(o, "tmpl src 10.99.0.1 dst 10.99.0.2") == 3);
	EXPECT(count(o, "tmpl src 10.99.0.2 dst 10.99.0.1") == 4);
	EXPECT(count(o, "priority 1000 ") == 6);
	free(o);
	/* The same again: exists; and it takes nothing back of the first. */
	EXPECT(ik_xfrm_policy_add(&h1, &p, IK_XFRM_DIR_ALL, &e) == -EEXIST);
	printf("# %s\n", e.msg);
	o = out(NULL, "ip -n " NS1 " xfrm policy");
	EXPECT(count(o, fmt("reqid %u mode tunnel", ik_xfrm_reqid(5))) == 6);
	free(o);
	/* Update replaces ours in place. */
	p.priority = 999;
	EXPECT_OK(ik_xfrm_policy_update(&h1, &p, IK_XFRM_DIR_ALL, &e), e);
	o = out(NULL, "ip -n " NS1 " xfrm policy");
	EXPECT(count(o, "priority 999 ") == 6);
	free(o);
	/* Deleting takes only what it names. */
	EXPECT_OK(ik_xfrm_policy_del(&h1, &p, IK_XFRM_DIR_FWD, &e), e);
	o = out(NULL, "ip -n " NS1 " xfrm policy");
	EXPECT(count(o, fmt("reqid %u mode tunnel", ik_xfrm_reqid(5))) == 4);
	EXPECT(count(o, "dir fwd") == 0);
	free(o);
}

static void policy_conflict_rolls_back_and_foreign_stays(void)
{
	struct ik_xfrm_policy p = {
		.local = ts(AF_INET, "172.16.7.0", "172.16.7.255"),
		.remote = ts(AF_INET, "172.17.7.0", "172.17.7.255"),
		.family = AF_INET, .local_addr = addr(AF_INET, "10.99.0.1"),
		.remote_addr = addr(AF_INET, "10.99.0.2"),
		.mode = XFRM_MODE_TUNNEL, .reqid = ik_xfrm_reqid(6),
	};
	struct ik_xfrm_err e;
	char *o;

	/* in goes first, then out meets the foreign policy */
	EXPECT(ik_xfrm_policy_add(&h1, &p, IK_XFRM_DIR_IN | IK_XFRM_DIR_OUT,
				  &e) == -EEXIST);
	printf("# %s\n", e.msg);
	EXPECT(strstr(e.msg, "add policy out 172.16.7.0/24 -> 172.17.7.0/24"));
	o = out(NULL, "ip -n " NS1 " xfrm policy");
	/* in was added, then taken back */
	EXPECT(count(o, fmt("reqid %u ", ik_xfrm_reqid(6))) == 0);
	free(o);
	EXPECT(ik_xfrm_policy_update(&h1, &p, IK_XFRM_DIR_OUT, &e) == -EPERM);
	printf("# %s\n", e.msg);
	EXPECT(ik_xfrm_policy_del(&h1, &p, IK_XFRM_DIR_OUT, &e) == -EPERM);
	EXPECT(ik_xfrm_policy_del(&h1, &p, IK_XFRM_DIR_FWD, &e) == -ENOENT);
	printf("# %s\n", e.msg);
	EXPECT(strstr(e.msg, "(no such policy)"));
	o = out(NULL, "ip -n " NS1 " xfrm policy");
	EXPECT(count(o, "reqid 7 ") == 1);
	free(o);
}

static uint32_t larval_spi;

static void alloc_spi_in_range_with_larval_state(void)
{
	union ik_xfrm_addr src = addr(AF_INET, "10.99.0.2");
	union ik_xfrm_addr dst = addr(AF_INET, "10.99.0.1");
	struct ik_xfrm_err e;
	uint32_t spi = 0, spi2 = 0;
	char *o, want[64];

	EXPECT_OK(ik_xfrm_alloc_spi(&h1, AF_INET, &src, &dst,
				    ik_xfrm_reqid(7), 0xc1000000, 0xc1ffffff,
				    &spi, &e), e);
	printf("# SPI 0x%08x\n", spi);
	EXPECT(spi >= 0xc1000000 && spi <= 0xc1ffffff);
	larval_spi = spi;
	/* a second one for the same reqid and addresses: another SPI */
	EXPECT_OK(ik_xfrm_alloc_spi(&h1, AF_INET, &src, &dst,
				    ik_xfrm_reqid(7), 0xc1000000, 0xc1ffffff,
				    &spi2, &e), e);
	EXPECT(spi2 != spi && spi2 >= 0xc1000000 && spi2 <= 0xc1ffffff);
	o = out(NULL, "ip -n " NS1 " xfrm state");
	snprintf(want, sizeof(want), "spi 0x%08x reqid %u ", spi,
		 ik_xfrm_reqid(7));
	EXPECT(strstr(o, want));
	snprintf(want, sizeof(want), "spi 0x%08x reqid %u ", spi2,
		 ik_xfrm_reqid(7));
	EXPECT(strstr(o, want));
	free(o);
	/* the second becomes the SA; the first stays larval */
	{
		struct ik_xfrm_sa s = sa(AF_INET, "10.99.0.2", "10.99.0.1",
					 spi2, 7, IKE_ENCR_AES_GCM_16,
					 IKE_INTEG_NONE);
		struct ik_xfrm_sa_stats st;

		EXPECT_OK(ik_xfrm_sa_update(&h1, &s, &e), e);
		o = out(NULL, "ip -n " NS1 " xfrm state get src 10.99.0.2 "
			"dst 10.99.0.1 proto esp spi 0x%08x", spi2);
		EXPECT(strstr(o, "aead rfc4106(gcm(aes))"));
		free(o);
		EXPECT_OK(ik_xfrm_sa_get_stats(&h1, AF_INET, &dst, spi2, &st,
					       &e), e);
	}
	EXPECT(ik_xfrm_alloc_spi(&h1, AF_INET, &src, &dst, 7, 0xc1000000,
				 0xc1ffffff, &spi, &e) == -EINVAL);
}

static void update_after_the_larval_state_expired_adds(void)
{
	union ik_xfrm_addr src = addr(AF_INET, "10.99.0.2");
	union ik_xfrm_addr dst = addr(AF_INET, "10.99.0.1");
	struct ik_xfrm_sa s;
	struct ik_xfrm_err e;
	uint32_t spi = 0;
	char *o;

	EXPECT(sh("ip netns exec " NS1 " sysctl -qw "
		  "net.core.xfrm_acq_expires=1") == 0);
	EXPECT_OK(ik_xfrm_alloc_spi(&h1, AF_INET, &src, &dst,
				    ik_xfrm_reqid(8), 0xc2000000, 0xc2ffffff,
				    &spi, &e), e);
	sleep(3);
	o = out(NULL, "ip -n " NS1 " xfrm state");
	EXPECT(!strstr(o, fmt("spi 0x%08x ", spi)));	/* gone */
	free(o);
	s = sa(AF_INET, "10.99.0.2", "10.99.0.1", spi, 8,
	       IKE_ENCR_AES_GCM_16, IKE_INTEG_NONE);
	EXPECT_OK(ik_xfrm_sa_update(&h1, &s, &e), e);
	o = out(NULL, "ip -n " NS1 " xfrm state get src 10.99.0.2 "
		"dst 10.99.0.1 proto esp spi 0x%08x", spi);
	EXPECT(strstr(o, fmt("reqid %u mode tunnel", ik_xfrm_reqid(8))));
	EXPECT(strstr(o, "aead rfc4106(gcm(aes))"));
	free(o);
	sh("ip netns exec " NS1 " sysctl -qw net.core.xfrm_acq_expires=30");
}

static void flush_own_removes_exactly_ours(void)
{
	struct ik_xfrm_err e;
	int r, ours, foreign;
	char *o;

	/*
	 * states: 0x101, 0x102, 0x104, a larval one, two updated: 6;
	 * policies: in and out of two selectors: 4
	 */
	r = ik_xfrm_flush_own(&h1, &e);
	printf("# flush: %d%s%s\n", r, r < 0 ? ": " : "", r < 0 ? e.msg : "");
	EXPECT(r == 10);
	o = out(NULL, "ip -n " NS1 " xfrm state");
	reqids(o, &ours, &foreign);
	EXPECT(ours == 0 && foreign == 2);	/* reqid 7, and reqid 0 */
	EXPECT(count(o, "proto esp spi") == foreign_states);
	EXPECT(strstr(o, "spi 0x00000007 reqid 7 mode tunnel"));
	EXPECT(strstr(o, "spi 0x00000008 reqid 0 mode tunnel"));
	free(o);
	o = out(NULL, "ip -n " NS1 " xfrm policy");
	reqids(o, &ours, &foreign);
	EXPECT(ours == 0 && foreign == 1);
	EXPECT(count(o, "dir ") == foreign_policies);
	free(o);
	EXPECT(ik_xfrm_flush_own(&h1, &e) == 0);
}

/*
 * One tunnel between the namespaces: SAs both ways and policies, set up in
 * each namespace by the library as iketcpd would.  base: the SA template
 * (its src and dst are ikx1's and ikx2's outer addresses).
 */
static void tunnel_up(const struct ik_xfrm_sa *base, uint16_t n)
{
	struct ik_xfrm_sa a = *base, b = *base;
	struct ik_xfrm_policy p = {
		.local = ts(AF_INET, "192.168.101.1", "192.168.101.1"),
		.remote = ts(AF_INET, "192.168.102.1", "192.168.102.1"),
		.family = base->family, .local_addr = base->src,
		.remote_addr = base->dst, .mode = XFRM_MODE_TUNNEL,
		.reqid = ik_xfrm_reqid(n), .priority = 100,
	};
	struct ik_xfrm_policy q = p;
	struct ik_xfrm_err e;

	a.reqid = b.reqid = ik_xfrm_reqid(n);
	a.spi = 0xc0000201;			/* ikx1 -> ikx2 */
	b.spi = 0xc0000202;			/* ikx2 -> ikx1 */
	b.src = base->dst;
	b.dst = base->src;
	b.encap_sport = base->encap_dport;
	b.encap_dport = base->encap_sport;
	q.local = p.remote;
	q.remote = p.local;
	q.local_addr = p.remote_addr;
	q.remote_addr = p.local_addr;
	EXPECT_OK(ik_xfrm_sa_add(&h1, &a, &e), e);
	EXPECT_OK(ik_xfrm_sa_add(&h1, &b, &e), e);
	EXPECT_OK(ik_xfrm_sa_add(&h2, &a, &e), e);
	EXPECT_OK(ik_xfrm_sa_add(&h2, &b, &e), e);
	EXPECT_OK(ik_xfrm_policy_add(&h1, &p, IK_XFRM_DIR_ALL, &e), e);
	EXPECT_OK(ik_xfrm_policy_add(&h2, &q, IK_XFRM_DIR_ALL, &e), e);
}

static uint64_t packets(struct ik_xfrm *h, const struct ik_xfrm_sa *s,
			uint32_t spi, bool reverse)
{
	struct ik_xfrm_sa_stats st;
	struct ik_xfrm_err e;

	memset(&st, 0, sizeof(st));
	EXPECT_OK(ik_xfrm_sa_get_stats(h, s->family,
				       reverse ? &s->src : &s->dst, spi, &st,
				       &e), e);
	printf("# SA 0x%08x: %llu packets, %llu bytes, oseq %llu, seq %llu\n",
	       spi, (unsigned long long)st.packets,
	       (unsigned long long)st.bytes, (unsigned long long)st.oseq,
	       (unsigned long long)st.seq);
	return st.packets;
}

/* Pings 192.168.102.1 from 192.168.101.1 and checks every SA counted. */
static void ping_through(const struct ik_xfrm_sa *base)
{
	uint64_t before = packets(&h1, base, 0xc0000201, false);
	char *o;

	EXPECT(before == 0);
	EXPECT(sh("ip netns exec " NS1 " ping -c 3 -i 0.3 -W 2 "
		  "-I 192.168.101.1 192.168.102.1") == 0);
	/* every SA, in both namespaces, carried the three echoes */
	EXPECT(packets(&h1, base, 0xc0000201, false) >= 3);
	EXPECT(packets(&h1, base, 0xc0000202, true) >= 3);
	EXPECT(packets(&h2, base, 0xc0000201, false) >= 3);
	EXPECT(packets(&h2, base, 0xc0000202, true) >= 3);
	/* and ip -s xfrm state says so too */
	o = out(NULL, "ip -n " NS2 " -s xfrm state get src %s dst %s "
		"proto esp spi 0xc0000201", ADDR(base->family, &base->src),
		ADDR(base->family, &base->dst));
	EXPECT(strstr(o, "(bytes), 3(packets)"));
	free(o);
}

static void tunnel_down(void)
{
	struct ik_xfrm_err e;

	EXPECT(ik_xfrm_flush_own(&h1, &e) == 5);	/* 2 SAs, 3 policies */
	EXPECT(ik_xfrm_flush_own(&h2, &e) == 5);
	EXPECT(sh("ip netns exec " NS1 " ping -c 1 -W 1 -I 192.168.101.1 "
		  "192.168.102.1") == 0);	/* in clear again */
}

static void ping_crosses_esp_tunnel(void)
{
	struct ik_xfrm_sa s = sa(AF_INET, "10.99.0.1", "10.99.0.2", 0, 0,
				 IKE_ENCR_AES_GCM_16, IKE_INTEG_NONE);

	s.esn = true;
	tunnel_up(&s, 10);
	ping_through(&s);
	tunnel_down();
}

/* An encapsulation socket on UDP 4500 in namespace ns, as iketcpd's. */
static int encap_socket(const char *ns)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(4500) };
	int fd, type = UDP_ENCAP_ESPINUDP;

	enter(ns);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &type, sizeof(type)) < 0) {
		printf("# encap socket in %s: %s\n", ns, strerror(errno));
		case_ok = false;
	}
	return fd;
}

static void ping_crosses_esp_in_udp(void)
{
	struct ik_xfrm_sa s = sa(AF_INET, "10.99.0.1", "10.99.0.2", 0, 0,
				 IKE_ENCR_AES_CBC,
				 IKE_INTEG_HMAC_SHA2_384_192);
	int fd1 = encap_socket(NS1), fd2 = encap_socket(NS2);

	s.encap_sport = s.encap_dport = 4500;
	tunnel_up(&s, 11);
	ping_through(&s);
	tunnel_down();
	close(fd1);
	close(fd2);
}

static void ping_crosses_v4_in_v6_tunnel(void)
{
	struct ik_xfrm_sa s = sa(AF_INET6, "fd00:99::1", "fd00:99::2", 0, 0,
				 IKE_ENCR_AES_CBC,
				 IKE_INTEG_HMAC_SHA2_512_256);

	s.replay_window = 64;
	tunnel_up(&s, 12);
	ping_through(&s);
	tunnel_down();
}

static void foreign_ones_survive_to_the_end(void)
{
	char *o;

	o = out(NULL, "ip -n " NS1 " xfrm state");
	EXPECT(count(o, "proto esp spi") == foreign_states);
	free(o);
	o = out(NULL, "ip -n " NS1 " xfrm policy");
	EXPECT(count(o, "dir ") == foreign_policies);
	free(o);
}

static const struct {
	const char *name;
	void (*fn)(void);
} cases[] = {
#define CASE(f) { #f, f }
	CASE(foreign_states_and_policies_installed_with_ip_xfrm),
	CASE(aead_tunnel_v4_installed),
	CASE(cbc_hmac_transport_v6_installed),
	CASE(esp_in_udp_installed),
	CASE(esn_installed),
	CASE(adding_a_taken_spi_says_so),
	CASE(stats_readable),
	CASE(foreign_sa_is_not_deleted_or_updated),
	CASE(sa_del_removes_ours),
	CASE(policies_split_and_installed),
	CASE(policy_conflict_rolls_back_and_foreign_stays),
	CASE(alloc_spi_in_range_with_larval_state),
	CASE(update_after_the_larval_state_expired_adds),
	CASE(flush_own_removes_exactly_ours),
	CASE(ping_crosses_esp_tunnel),
	CASE(ping_crosses_esp_in_udp),
	CASE(ping_crosses_v4_in_v6_tunnel),
	CASE(foreign_ones_survive_to_the_end),
#undef CASE
};

static int setup(void)
{
	int r = 0;

	sh("modprobe -a xfrm_user esp4 esp6 veth");
	sh("ip netns del " NS1);
	sh("ip netns del " NS2);
	r |= sh("ip netns add " NS1);
	r |= sh("ip netns add " NS2);
	r |= sh("ip -n " NS1 " link add v1 type veth peer name v2 netns " NS2);
	r |= sh("ip -n " NS1 " addr add 10.99.0.1/24 dev v1");
	r |= sh("ip -n " NS2 " addr add 10.99.0.2/24 dev v2");
	r |= sh("ip -n " NS1 " addr add fd00:99::1/64 dev v1 nodad");
	r |= sh("ip -n " NS2 " addr add fd00:99::2/64 dev v2 nodad");
	r |= sh("ip -n " NS1 " addr add 192.168.101.1/32 dev lo");
	r |= sh("ip -n " NS2 " addr add 192.168.102.1/32 dev lo");
	r |= sh("ip -n " NS1 " link set lo up");
	r |= sh("ip -n " NS2 " link set lo up");
	r |= sh("ip -n " NS1 " link set v1 up");
	r |= sh("ip -n " NS2 " link set v2 up");
	r |= sh("ip -n " NS1 " route add 192.168.102.0/24 via 10.99.0.2");
	r |= sh("ip -n " NS2 " route add 192.168.101.0/24 via 10.99.0.1");
	r |= sh("ip netns exec " NS1 " ping -c 1 -W 2 -I 192.168.101.1 "
		"192.168.102.1");
	return r;
}

int main(void)
{
	struct ik_xfrm_err e;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..%zu\n", sizeof(cases) / sizeof(cases[0]));
	if (setup()) {
		printf("Bail out! could not set up the namespaces\n");
		return 1;
	}
	enter(NS1);
	if (ik_xfrm_open(&h1, &e)) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	enter(NS2);
	if (ik_xfrm_open(&h2, &e)) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		case_ok = true;
		cases[i].fn();
		nr_run++;
		nr_failed += !case_ok;
		printf("%sok %d %s\n", case_ok ? "" : "not ", nr_run,
		       cases[i].name);
	}
	ik_xfrm_close(&h1);
	ik_xfrm_close(&h2);
	sh("ip netns del " NS1);
	sh("ip netns del " NS2);
	printf("# %d passed, %d failed\n", nr_run - nr_failed, nr_failed);
	return nr_failed ? 1 : 0;
}
