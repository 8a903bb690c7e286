// SPDX-License-Identifier: GPL-2.0
/*
 * iketcpd.conf into a struct ik_config (config.h), with libinih.
 *
 * libinih 55 as Debian builds it, that is with its compile-time defaults
 * (which this file relies on and nothing else): lines go through a
 * 200-byte buffer on its stack, ';' or '#' starts a comment line, " ;"
 * an inline comment, an indented line continues the previous key's value
 * (INI_ALLOW_MULTILINE, Python configparser style), "name: value" is also a
 * key line, a section name is cut at 49 characters, and the handler gets no
 * line number.  So the work is in three layers:
 *
 *  1. reader(): libinih reads every line through it, from our copy of the
 *     file.  It counts lines (the line numbers of every message), refuses
 *     what libinih would cut or misread (long lines, NUL bytes, an unclosed
 *     '[', ':' for '=', an indented key), classifies each line exactly as
 *     libinih will (comment, continuation, section, key), and opens
 *     sections itself: libinih tells the handler nothing about a section
 *     without keys.  After the first error it returns EOF, so parsing stops.
 *  2. handler(): one key line (or continuation) at a time, through the
 *     table keys[]: unknown and repeated keys are errors; each value has a
 *     parser with its range.  Lists (ike, esp, local_ts, remote_ts, ca)
 *     take several values separated by commas and continuation lines.
 *  3. post_global(), post_conn(): after the whole file, each section as a
 *     whole: required keys (the section's line in the message), defaults
 *     (the table's strings, through the same parsers), [global] values a
 *     connection inherits, and rules between keys.
 *
 * The PSK: the file's bytes are read into one buffer, wiped after parsing
 * (a psk_file's likewise); each value is copied to a stack buffer that is
 * wiped after its parser; the PSK's only other copy is conn->psk.  libinih's line buffer is on its
 * stack; scrub_stack() overwrites that region afterwards (best effort).
 * Messages never contain a PSK, nor the text of a line that is not a key.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "config.h"

#define MS_S	1000ULL
#define MS_M	(60 * MS_S)
#define MS_H	(60 * MS_M)
#define MS_D	(24 * MS_H)

struct pctx;
struct key;

/* Parse v (trimmed, mutable, never empty) into field; 0 or -1 after fail(). */
typedef int (*parse_fn)(struct pctx *c, const struct key *k, char *v,
			void *field);

struct name_val {
	const char *name;
	int val;
};

enum { S_GLOBAL = 1, S_CONN = 2 };

/* key flags */
#define K_LIST		0x01	/* commas and continuation lines add values */
#define K_REQ		0x02	/* required in every section of its kind */
#define K_ANY		0x04	/* %any allowed (addresses, IDs) */
#define K_ZERO		0x08	/* durations, numbers: 0 (off, default) or min..max */
#define K_PRIVATE	0x10	/* files: no permission for others */

struct key {
	const char *name;
	unsigned sect;			/* S_GLOBAL or S_CONN */
	size_t off;			/* in struct ik_global or struct ik_conn */
	parse_fn parse;
	unsigned flags;
	uint64_t min, max;		/* numbers; durations in ms */
	const struct name_val *names;	/* enums */
	const char *def;		/* default, parsed like a value */
	size_t inherit;			/* S_CONN: default from this ik_global
					 * field (+1, 0: none) */
};

static int p_u16(struct pctx *, const struct key *, char *, void *);
static int p_u32(struct pctx *, const struct key *, char *, void *);
static int p_bool(struct pctx *, const struct key *, char *, void *);
static int p_dur(struct pctx *, const struct key *, char *, void *);
static int p_factor(struct pctx *, const struct key *, char *, void *);
static int p_percent(struct pctx *, const struct key *, char *, void *);
static int p_enum(struct pctx *, const struct key *, char *, void *);
static int p_sockpath(struct pctx *, const struct key *, char *, void *);
static int p_addr(struct pctx *, const struct key *, char *, void *);
static int p_id(struct pctx *, const struct key *, char *, void *);
static int p_psk(struct pctx *, const struct key *, char *, void *);
static int p_psk_file(struct pctx *, const struct key *, char *, void *);
static int p_file(struct pctx *, const struct key *, char *, void *);
static int p_ca(struct pctx *, const struct key *, char *, void *);
static int p_ike(struct pctx *, const struct key *, char *, void *);
static int p_esp(struct pctx *, const struct key *, char *, void *);
static int p_ts(struct pctx *, const struct key *, char *, void *);

static const struct name_val log_levels[] = {
	{ "error", IK_LOG_ERR }, { "warning", IK_LOG_WARNING },
	{ "notice", IK_LOG_NOTICE }, { "info", IK_LOG_INFO },
	{ "debug", IK_LOG_DEBUG }, { NULL, 0 }
};
static const struct name_val auths[] = {
	{ "psk", IK_AUTH_PSK }, { "pubkey", IK_AUTH_PUBKEY }, { NULL, 0 }
};
static const struct name_val modes[] = {
	{ "tunnel", IK_MODE_TUNNEL }, { "transport", IK_MODE_TRANSPORT },
	{ NULL, 0 }
};
static const struct name_val starts[] = {
	{ "listen", IK_START_LISTEN }, { "initiate", IK_START_INITIATE },
	{ NULL, 0 }
};
static const struct name_val ike_transports[] = {
	{ "udp", IK_IKE_UDP }, { "tcp", IK_IKE_TCP },
	{ "separate-udp", IK_IKE_SEP_UDP }, { "separate-tcp", IK_IKE_SEP_TCP },
	{ "tcp500", IK_IKE_TCP500 }, { "auto", IK_IKE_AUTO }, { NULL, 0 }
};
static const struct name_val mlkem_sizes[] = {
	{ "mlkem512", IKE_KE_MLKEM512 }, { "mlkem768", IKE_KE_MLKEM768 },
	{ "mlkem1024", IKE_KE_MLKEM1024 }, { NULL, 0 }
};
static const struct name_val esp_transports[] = {
	{ "auto", IK_ENCAP_AUTO }, { "ip", IK_ENCAP_IP },
	{ "udp", IK_ENCAP_UDP }, { "tcp", IK_ENCAP_TCP }, { NULL, 0 }
};
static const struct name_val tcp_fallbacks[] = {
	{ "udp", IK_TCP_FALLBACK_UDP }, { "fail", IK_TCP_FALLBACK_FAIL },
	{ NULL, 0 }
};

#define G(f)		.sect = S_GLOBAL, .off = offsetof(struct ik_global, f)
#define C(f)		.sect = S_CONN, .off = offsetof(struct ik_conn, f)
#define F(fl)		.flags = (fl)
#define NAMES(list)	.names = (list)
#define DEF(text)	.def = (text)
#define RANGE(lo, hi)	.min = (lo), .max = (hi)
#define INHERIT(f)	.inherit = offsetof(struct ik_global, f) + 1

/*
 * Every key of iketcpd.conf(5), one line each: name, section and field,
 * parser, flags, range, default.  Keep iketcpd.conf(5) in step.
 */
static const struct key keys[] = {
	/* [global] */
	{ "log_level", G(log_level), p_enum, NAMES(log_levels), DEF("info") },
	{ "ctl_socket", G(ctl_socket), p_sockpath, DEF(IK_CTL_SOCKET_DEFAULT) },
	{ "port", G(port), p_u16, RANGE(1, 65535), DEF("500") },
	{ "natt_port", G(natt_port), p_u16, RANGE(1, 65535), DEF("4500") },
	{ "retransmit_timeout", G(retransmit_timeout_ms), p_dur, RANGE(100, 60 * MS_S), DEF("1s") },
	{ "retransmit_factor", G(retransmit_factor), p_factor, RANGE(100, 400), DEF("2") },
	{ "retransmit_max", G(retransmit_max_ms), p_dur, RANGE(MS_S, 10 * MS_M), DEF("32s") },
	{ "retransmit_tries", G(retransmit_tries), p_u32, RANGE(0, 20), DEF("5") },
	{ "cookie_threshold", G(cookie_threshold), p_u32, RANGE(0, 1000000), DEF("50") },
	{ "liveness_interval", G(liveness_interval_ms), p_dur, F(K_ZERO), RANGE(MS_S, MS_D),
	  DEF("30s") },
	{ "liveness_timeout", G(liveness_timeout_ms), p_dur, RANGE(MS_S, MS_D), DEF("60s") },
	{ "nat_keepalive", G(nat_keepalive_ms), p_dur, F(K_ZERO), RANGE(MS_S, MS_H), DEF("20s") },
	{ "replay_window", G(replay_window), p_u32, RANGE(0, 4096), DEF("32") },
	{ "tcp_port", G(tcp_port), p_u16, RANGE(1, 65535), DEF("4500") },
	{ "tcp_listen", G(tcp_listen), p_bool, DEF("yes") },
	{ "separate_transports", G(separate_transports), p_bool, DEF("yes") },
	{ "separate_transports_notify", G(sep_notify), p_u16, RANGE(40960, 65535), DEF("48200") },
	{ "tcp_idle_timeout", G(tcp_idle_timeout_ms), p_dur, RANGE(MS_S, MS_H), DEF("30s") },
	{ "tcp500_listen", G(tcp500_listen), p_bool, DEF("yes") },
	{ "tcp500_port", G(tcp500_port), p_u16, RANGE(1, 65535), DEF("500") },
	{ "tcp500_public_port", G(tcp500_public_port), p_u16, RANGE(0, 65535), DEF("0") },
	{ "ike_tcp_supported_notify", G(tcps_notify), p_u16, RANGE(40960, 65535), DEF("48201") },
	{ "tcp500_idle_timeout", G(tcp500_idle_timeout_ms), p_dur, RANGE(MS_S, MS_H), DEF("5s") },
	{ "esp_fail_timeout", G(esp_fail_timeout_ms), p_dur, F(K_ZERO), RANGE(MS_S, 10 * MS_M), DEF("3s") },
	{ "esp_probe_timeout", G(esp_probe_timeout_ms), p_dur, F(K_ZERO), RANGE(MS_S, MS_M), DEF("2s") },

	/* [conn NAME] */
	{ "local", C(local), p_addr, F(K_REQ) },
	{ "remote", C(remote), p_addr, F(K_REQ | K_ANY) },
	{ "local_id", C(local_id), p_id },
	{ "remote_id", C(remote_id), p_id, F(K_ANY), DEF("%any") },
	{ "auth", C(auth), p_enum, F(K_REQ), NAMES(auths) },
	{ "psk", C(psk), p_psk },
	{ "psk_file", C(psk), p_psk_file },
	{ "cert", C(cert), p_file },
	{ "key", C(key), p_file, F(K_PRIVATE) },
	{ "ca", C(ca), p_ca, F(K_LIST) },
	{ "ike", C(ike), p_ike, F(K_LIST),
	  DEF("aes256gcm16-prfsha256-x25519, aes256-sha256-ecp256") },
	{ "esp", C(esp), p_esp, F(K_LIST), DEF("aes256gcm16, aes256-sha256") },
	{ "local_ts", C(local_ts), p_ts, F(K_LIST) },
	{ "remote_ts", C(remote_ts), p_ts, F(K_LIST) },
	{ "mode", C(mode), p_enum, NAMES(modes), DEF("tunnel") },
	{ "start", C(start), p_enum, NAMES(starts), DEF("listen") },
	{ "ike_transport", C(ike_transport), p_enum, NAMES(ike_transports), DEF("udp") },
	{ "esp_transport", C(encap), p_enum, NAMES(esp_transports), DEF("auto") },
	{ "tcp_fallback", C(tcp_fallback), p_enum, NAMES(tcp_fallbacks), DEF("udp") },
	{ "tcp500_threshold", C(tcp500_threshold), p_u32, RANGE(0, 65535), DEF("1200") },
	{ "mlkem_udp_max", C(mlkem_udp_max), p_enum, NAMES(mlkem_sizes), DEF("mlkem512") },
	{ "fragmentation", C(fragmentation), p_bool, DEF("yes") },
	{ "fragment_size", C(fragment_size), p_u16, F(K_ZERO), RANGE(576, 65535), DEF("0") },
	{ "rekey_time", C(rekey_time_ms), p_dur, RANGE(5 * MS_S, 30 * MS_D), DEF("1h") },
	{ "lifetime", C(lifetime_ms), p_dur, RANGE(5 * MS_S, 33 * MS_D) },
	{ "ike_rekey_time", C(ike_rekey_time_ms), p_dur, RANGE(5 * MS_S, 30 * MS_D), DEF("4h") },
	{ "ike_lifetime", C(ike_lifetime_ms), p_dur, RANGE(5 * MS_S, 33 * MS_D) },
	{ "rekey_jitter", C(rekey_jitter), p_percent, RANGE(0, 50), DEF("10%") },
	{ "liveness_interval", C(liveness_interval_ms), p_dur, F(K_ZERO), RANGE(MS_S, MS_D),
	  INHERIT(liveness_interval_ms) },
	{ "liveness_timeout", C(liveness_timeout_ms), p_dur, RANGE(MS_S, MS_D),
	  INHERIT(liveness_timeout_ms) },
	{ "restart_delay", C(restart_delay_ms), p_dur, F(K_ZERO), RANGE(MS_S, MS_D),
	  DEF("30s") },
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

/* Lines where each key of a section was given (0: not given). */
struct section_meta {
	unsigned line;			/* of the header */
	unsigned key_line[N_KEYS];
};

struct pctx {
	const char *name;		/* the file, in messages */
	char *dir;			/* for relative paths */
	const char *buf;
	size_t len, pos;
	bool have_mode;
	mode_t mode;			/* of the file, for inline PSKs */

	char *err;
	size_t errlen;
	bool failed;

	unsigned lineno;		/* of the line libinih has */
	unsigned line_now;		/* of the key being parsed (messages) */
	char where[IK_CONN_NAME_MAX + 16];	/* "global", "conn 'x'" */

	/* The line layer's view, in step with libinih's */
	bool have_prev;			/* libinih's prev_name is set */
	bool cont;			/* this line continues prev's value */
	char expect[64];		/* key name of this key line */
	const struct key *cur;		/* key of the last key line */

	int sect;			/* 0, S_GLOBAL, S_CONN */
	struct ik_config *cfg;
	struct section_meta gmeta;
	struct section_meta *cmeta;	/* one per cfg->conns[] */
	size_t cap;
};

static void vfail(struct pctx *c, unsigned line, const char *fmt, va_list ap)
{
	int n;

	if (c->failed)
		return;
	c->failed = true;
	if (line)
		n = snprintf(c->err, c->errlen, "%s:%u: %s%s", c->name, line,
			     c->where, c->where[0] ? ": " : "");
	else
		n = snprintf(c->err, c->errlen, "%s: ", c->name);
	if (n >= 0 && (size_t)n < c->errlen)
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
}

__attribute__((format(printf, 3, 4)))
static int fail(struct pctx *c, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(c, line, fmt, ap);
	va_end(ap);
	return -1;
}

/* A value's error: "file:line: conn 'x': key: problem" */
__attribute__((format(printf, 3, 4)))
static int kfail(struct pctx *c, const struct key *k, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return fail(c, c->line_now, "%s: %s", k->name, msg);
}

static void set_where(struct pctx *c, const struct ik_conn *conn)
{
	if (conn)
		snprintf(c->where, sizeof(c->where), "conn '%s'", conn->name);
	else
		snprintf(c->where, sizeof(c->where), "global");
}

/* ---- small value parsers ---------------------------------------------- */

static bool is_blank(char ch)
{
	return isspace((unsigned char)ch);
}

static char *trim(char *s)
{
	char *e;

	while (is_blank(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_blank(e[-1]))
		*--e = '\0';
	return s;
}

/*
 * Split the list v at commas: each item, trimmed, to fn.  An empty item
 * (",,", trailing comma) is an error.
 */
static int for_each_item(struct pctx *c, const struct key *k, char *v,
			 void *field,
			 int (*fn)(struct pctx *, const struct key *, char *,
				   void *))
{
	char *item, *comma;

	for (item = v;; item = comma + 1) {
		comma = strchr(item, ',');
		if (comma)
			*comma = '\0';
		item = trim(item);
		if (!*item)
			return kfail(c, k, "empty item in the list");
		if (fn(c, k, item, field))
			return -1;
		if (!comma)
			return 0;
	}
}

/* A value in double quotes loses them (so it may hold spaces at its ends). */
static int unquote(struct pctx *c, const struct key *k, char **v)
{
	size_t len = strlen(*v);

	if (**v != '"')
		return 0;
	if (len < 2 || (*v)[len - 1] != '"')
		return kfail(c, k,
			     "unterminated '\"' (note that \" ;\" starts a comment)");
	(*v)[len - 1] = '\0';
	(*v)++;
	if (!**v)
		return kfail(c, k, "empty value");
	return 0;
}

/* Decimal digits only, at most max. */
static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -2;
	}
	*out = v;
	return 0;
}

static int p_uint_common(struct pctx *c, const struct key *k, const char *v,
			 uint64_t *out)
{
	int r = parse_uint(v, k->max, out);

	if (r == -1)
		return kfail(c, k, "'%s' is not a number", v);
	if (r == 0 && *out == 0 && (k->flags & K_ZERO))
		return 0;
	if (r == -2 || *out < k->min)
		return kfail(c, k, "%s is out of range (%s%llu..%llu)", v,
			     k->flags & K_ZERO ? "0, or " : "",
			     (unsigned long long)k->min,
			     (unsigned long long)k->max);
	return 0;
}

static int p_u16(struct pctx *c, const struct key *k, char *v, void *field)
{
	uint64_t n = 0;	/* set by p_uint_common() on success */

	if (p_uint_common(c, k, v, &n))
		return -1;
	*(uint16_t *)field = (uint16_t)n;
	return 0;
}

static int p_u32(struct pctx *c, const struct key *k, char *v, void *field)
{
	uint64_t n = 0;	/* set by p_uint_common() on success */

	if (p_uint_common(c, k, v, &n))
		return -1;
	*(uint32_t *)field = (uint32_t)n;
	return 0;
}

static int p_bool(struct pctx *c, const struct key *k, char *v, void *field)
{
	static const struct name_val bools[] = {
		{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 },
		{ "on", 1 }, { "off", 0 }, { "1", 1 }, { "0", 0 }, { NULL, 0 }
	};
	const struct name_val *nv;

	for (nv = bools; nv->name; nv++) {
		if (strcmp(v, nv->name) == 0) {
			*(bool *)field = nv->val;
			return 0;
		}
	}
	return kfail(c, k, "'%s' is not yes or no (nor true, false, on, off, 1, 0)",
		     v);
}

/* A duration in ms as the man page writes it: the largest exact unit. */
static const char *fmt_dur(uint64_t ms, char *buf, size_t size)
{
	static const struct { uint64_t ms; const char *unit; } u[] = {
		{ MS_D, "d" }, { MS_H, "h" }, { MS_M, "m" }, { MS_S, "s" },
	};
	size_t i;

	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		if (ms && ms % u[i].ms == 0) {
			snprintf(buf, size, "%llu%s",
				 (unsigned long long)(ms / u[i].ms), u[i].unit);
			return buf;
		}
	}
	snprintf(buf, size, "%llums", (unsigned long long)ms);
	return buf;
}

/* "30s", "500ms", "5m", "2h", "1d"; a bare number is seconds. */
static int parse_dur(const char *s, uint64_t *ms)
{
	static const struct { const char *unit; uint64_t ms; } u[] = {
		{ "", MS_S }, { "ms", 1 }, { "s", MS_S }, { "m", MS_M },
		{ "h", MS_H }, { "d", MS_D },
	};
	uint64_t n = 0;
	size_t i;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		n = n * 10 + (uint64_t)(*s - '0');
		if (n > 1000000000000ULL)
			return -2;
	}
	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
		if (strcmp(s, u[i].unit) == 0) {
			*ms = n * u[i].ms;
			return 0;
		}
	}
	return -1;
}

static int p_dur(struct pctx *c, const struct key *k, char *v, void *field)
{
	char lo[24], hi[24];
	uint64_t ms;
	int r = parse_dur(v, &ms);

	if (r == -1)
		return kfail(c, k,
			     "'%s' is not a duration (e.g. 500ms, 30s, 5m, 2h, 1d)",
			     v);
	if (r == -2 || ((ms < k->min || ms > k->max) &&
			!(ms == 0 && (k->flags & K_ZERO))))
		return kfail(c, k, "%s is out of range (%s%s..%s)", v,
			     k->flags & K_ZERO ? "0, or " : "",
			     fmt_dur(k->min, lo, sizeof(lo)),
			     fmt_dur(k->max, hi, sizeof(hi)));
	*(uint64_t *)field = ms;
	return 0;
}

/* A factor with up to two decimals ("2", "1.5", "1.25"), in hundredths. */
static int p_factor(struct pctx *c, const struct key *k, char *v, void *field)
{
	uint64_t whole, frac = 0, n;
	char *dot = strchr(v, '.');
	size_t flen = 0;

	if (dot) {
		*dot = '\0';
		flen = strlen(dot + 1);
	}
	if (parse_uint(v, 1000, &whole) ||
	    (dot && (flen < 1 || flen > 2 || parse_uint(dot + 1, 99, &frac)))) {
		if (dot)
			*dot = '.';
		return kfail(c, k, "'%s' is not a number like 2 or 1.5", v);
	}
	if (dot)
		*dot = '.';
	n = whole * 100 + (flen == 1 ? frac * 10 : frac);
	if (n < k->min || n > k->max)
		return kfail(c, k, "%s is out of range (%llu.%02llu..%llu.%02llu)",
			     v, (unsigned long long)(k->min / 100),
			     (unsigned long long)(k->min % 100),
			     (unsigned long long)(k->max / 100),
			     (unsigned long long)(k->max % 100));
	*(uint16_t *)field = (uint16_t)n;
	return 0;
}

static int p_percent(struct pctx *c, const struct key *k, char *v, void *field)
{
	size_t len = strlen(v);
	uint64_t n;
	int r;

	if (len && v[len - 1] == '%')
		v[len - 1] = '\0';
	r = parse_uint(v, k->max, &n);
	if (len && v[len - 1] == '\0')
		v[len - 1] = '%';
	if (r == -1)
		return kfail(c, k, "'%s' is not a percentage like 10%%", v);
	if (r == -2 || n < k->min)
		return kfail(c, k, "%s is out of range (%llu%%..%llu%%)", v,
			     (unsigned long long)k->min,
			     (unsigned long long)k->max);
	*(uint8_t *)field = (uint8_t)n;
	return 0;
}

static int p_enum(struct pctx *c, const struct key *k, char *v, void *field)
{
	char choices[128] = "";
	const struct name_val *nv;
	size_t len = 0;

	for (nv = k->names; nv->name; nv++) {
		if (strcmp(v, nv->name) == 0) {
			*(int *)field = nv->val;
			return 0;
		}
		len += (size_t)snprintf(choices + len, sizeof(choices) - len,
					"%s%s", len ? ", " : "", nv->name);
		if (len >= sizeof(choices))
			break;
	}
	return kfail(c, k, "'%s' is not one of %s", v, choices);
}

/* An absolute path, or one relative to the config file's directory. */
static char *resolve(struct pctx *c, const struct key *k, char *v)
{
	char *p;

	if (unquote(c, k, &v))
		return NULL;
	if (v[0] == '/')
		p = strdup(v);
	else if (asprintf(&p, "%s/%s", c->dir, v) < 0)
		p = NULL;
	if (!p)
		fail(c, c->line_now, "out of memory");
	else if (strlen(p) >= PATH_MAX) {
		kfail(c, k, "path longer than %d bytes", PATH_MAX - 1);
		free(p);
		p = NULL;
	}
	return p;
}

static int p_sockpath(struct pctx *c, const struct key *k, char *v,
		      void *field)
{
	char **out = field;

	if (unquote(c, k, &v))
		return -1;
	if (v[0] != '/')
		return kfail(c, k, "'%s' is not an absolute path", v);
	if (strlen(v) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
		return kfail(c, k, "path longer than %zu bytes",
			     sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1);
	free(*out);
	*out = strdup(v);
	if (!*out)
		return fail(c, c->line_now, "out of memory");
	return 0;
}

static int parse_ip(const char *s, struct ik_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->a) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, s, a->a) == 1)
		a->family = AF_INET6;
	else
		return -1;
	return 0;
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

static int p_addr(struct pctx *c, const struct key *k, char *v, void *field)
{
	struct ik_addr *a = field;

	if ((k->flags & K_ANY) && strcmp(v, "%any") == 0) {
		memset(a, 0, sizeof(*a));
		a->family = AF_UNSPEC;
		return 0;
	}
	if (parse_ip(v, a))
		return kfail(c, k, "'%s' is not an IPv4 or IPv6 address%s", v,
			     k->flags & K_ANY ? " or %any" : "");
	return 0;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = (char)tolower((unsigned char)ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* "0x..." into out (cap bytes); the length, or -1.  Secret-safe: no output. */
static ssize_t unhex(const char *s, size_t len, uint8_t *out, size_t cap)
{
	size_t i;

	if (len < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return -1;
	s += 2;
	len -= 2;
	if (len == 0 || len % 2 || len / 2 > cap)
		return -1;
	for (i = 0; i < len / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (ssize_t)(len / 2);
}

static bool is_hex_form(const char *s)
{
	return s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

/* ---- identities -------------------------------------------------------- */

static bool valid_fqdn(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 253)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-' &&
		    *s != '_')
			return false;
	return true;
}

static bool valid_email(const char *s)
{
	const char *at = strchr(s, '@');

	if (!at || at == s || !at[1] || strlen(s) > 255)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/*
 * "C=CH, O=Example, CN=gw.example.com" (order as in the certificate, the
 * way strongSwan and libreswan write it; '\' escapes the next character)
 * into DER.  Returns 0, or -1 with why[].
 */
static int dn_to_der(const char *s, uint8_t **der, size_t *dlen, char *why,
		     size_t wlen)
{
	X509_NAME *name = X509_NAME_new();
	char attr[64], val[256];
	unsigned char *p;
	int len, nid;

	if (!name) {
		snprintf(why, wlen, "out of memory");
		return -1;
	}
	while (*s) {
		size_t a = 0, v = 0, vend = 0;

		while (is_blank(*s))
			s++;
		while (*s && *s != '=' && a < sizeof(attr) - 1)
			attr[a++] = *s++;
		while (a && is_blank(attr[a - 1]))
			a--;
		attr[a] = '\0';
		if (*s != '=' || !a) {
			snprintf(why, wlen, "expected ATTRIBUTE=value");
			goto bad;
		}
		s++;
		while (is_blank(*s))
			s++;
		while (*s && *s != ',') {
			bool esc = *s == '\\' && s[1];

			if (v == sizeof(val) - 1) {
				snprintf(why, wlen, "value of %s too long",
					 attr);
				goto bad;
			}
			if (esc)
				s++;
			val[v++] = *s++;
			if (esc || !is_blank(val[v - 1]))
				vend = v;
		}
		val[vend] = '\0';
		if (*s == ',')
			s++;
		if (!vend) {
			snprintf(why, wlen, "empty value of %s", attr);
			goto bad;
		}
		nid = strcmp(attr, "E") == 0 ? NID_pkcs9_emailAddress
					     : OBJ_txt2nid(attr);
		if (nid == NID_undef) {
			snprintf(why, wlen, "unknown attribute '%s'", attr);
			goto bad;
		}
		if (!X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8,
						(unsigned char *)val, -1, -1,
						0)) {
			snprintf(why, wlen, "bad value for %s", attr);
			goto bad;
		}
	}
	if (X509_NAME_entry_count(name) == 0) {
		snprintf(why, wlen, "empty DN");
		goto bad;
	}
	len = i2d_X509_NAME(name, NULL);
	if (len <= 0 || len > IK_ID_MAX) {
		snprintf(why, wlen, "DN too long");
		goto bad;
	}
	*der = malloc((size_t)len);
	if (!*der) {
		snprintf(why, wlen, "out of memory");
		goto bad;
	}
	p = *der;
	i2d_X509_NAME(name, &p);
	*dlen = (size_t)len;
	X509_NAME_free(name);
	return 0;
bad:
	X509_NAME_free(name);
	ERR_clear_error();
	return -1;
}

static void id_clear(struct ik_id *id)
{
	free(id->data);
	free(id->text);
	memset(id, 0, sizeof(*id));
}

static const struct {
	const char *prefix;
	uint8_t type;
} id_prefixes[] = {
	{ "fqdn:", IKE_ID_FQDN }, { "email:", IKE_ID_RFC822_ADDR },
	{ "rfc822:", IKE_ID_RFC822_ADDR }, { "ipv4:", IKE_ID_IPV4_ADDR },
	{ "ipv6:", IKE_ID_IPV6_ADDR }, { "keyid:", IKE_ID_KEY_ID },
	{ "dn:", IKE_ID_DER_ASN1_DN },
};

static int p_id(struct pctx *c, const struct key *k, char *v, void *field)
{
	struct ik_id *id = field, n = { 0 };
	struct ik_addr a;
	const char *body = v;
	uint8_t buf[IK_ID_MAX];
	char why[96];
	size_t i, blen;
	ssize_t hl;

	if (unquote(c, k, &v))
		return -1;
	body = v;
	if (strcmp(v, "%any") == 0) {
		if (!(k->flags & K_ANY))
			return kfail(c, k, "%%any is for remote_id only");
		n.type = IK_ID_NONE;
		goto done;
	}
	for (i = 0; i < sizeof(id_prefixes) / sizeof(id_prefixes[0]); i++) {
		size_t pl = strlen(id_prefixes[i].prefix);

		if (strncmp(v, id_prefixes[i].prefix, pl) == 0) {
			n.type = id_prefixes[i].type;
			body = v + pl;
			break;
		}
	}
	if (!n.type) {
		/* no prefix: an address, an e-mail address, or an FQDN */
		if (parse_ip(v, &a) == 0)
			n.type = a.family == AF_INET ? IKE_ID_IPV4_ADDR
						     : IKE_ID_IPV6_ADDR;
		else
			n.type = strchr(v, '@') ? IKE_ID_RFC822_ADDR
						: IKE_ID_FQDN;
	}
	blen = strlen(body);
	switch (n.type) {
	case IKE_ID_IPV4_ADDR:
	case IKE_ID_IPV6_ADDR:
		if (parse_ip(body, &a) ||
		    a.family != (n.type == IKE_ID_IPV4_ADDR ? AF_INET
							    : AF_INET6))
			return kfail(c, k, "'%s' is not an %s address", body,
				     n.type == IKE_ID_IPV4_ADDR ? "IPv4"
								: "IPv6");
		n.len = (uint16_t)addr_len(a.family);
		memcpy(buf, a.a, n.len);
		break;
	case IKE_ID_FQDN:
		if (!valid_fqdn(body))
			return kfail(c, k,
				     "'%s' is not a valid FQDN (letters, digits, '.', '-'; for a DN write dn:...)",
				     body);
		n.len = (uint16_t)blen;
		memcpy(buf, body, blen);
		break;
	case IKE_ID_RFC822_ADDR:
		if (!valid_email(body))
			return kfail(c, k, "'%s' is not an e-mail address",
				     body);
		n.len = (uint16_t)blen;
		memcpy(buf, body, blen);
		break;
	case IKE_ID_KEY_ID:
		if (is_hex_form(body)) {
			hl = unhex(body, blen, buf, sizeof(buf));
			if (hl < 0)
				return kfail(c, k,
					     "'%s' is not an even number of hex digits after 0x",
					     body);
			n.len = (uint16_t)hl;
		} else {
			if (!blen || blen > sizeof(buf))
				return kfail(c, k, "key ID of %zu bytes", blen);
			n.len = (uint16_t)blen;
			memcpy(buf, body, blen);
		}
		break;
	case IKE_ID_DER_ASN1_DN:
		if (dn_to_der(body, &n.data, &blen, why, sizeof(why)))
			return kfail(c, k, "'%s' is not a DN: %s", body, why);
		n.len = (uint16_t)blen;
		break;
	}
	if (!n.data && n.len) {
		n.data = malloc(n.len);
		if (!n.data)
			return fail(c, c->line_now, "out of memory");
		memcpy(n.data, buf, n.len);
	}
done:
	n.text = strdup(v);
	if (!n.text) {
		free(n.data);
		return fail(c, c->line_now, "out of memory");
	}
	id_clear(id);
	*id = n;
	return 0;
}

/* ---- secrets and files ------------------------------------------------- */

static void secret_clear(struct ik_secret *s)
{
	if (s->p) {
		explicit_bzero(s->p, s->len);
		free(s->p);
	}
	s->p = NULL;
	s->len = 0;
}

/* Bytes of a PSK (text, or 0x-hex) into *s.  Messages never show them. */
static int set_psk(struct pctx *c, const struct key *k, const char *v,
		   size_t len, struct ik_secret *s)
{
	uint8_t *p = malloc(IK_PSK_MAX);
	ssize_t n;

	if (!p)
		return fail(c, c->line_now, "out of memory");
	if (is_hex_form(v)) {
		n = unhex(v, len, p, IK_PSK_MAX);
		if (n < 0) {
			explicit_bzero(p, IK_PSK_MAX);
			free(p);
			return kfail(c, k,
				     "not an even number of hex digits after 0x, or more than %d bytes",
				     IK_PSK_MAX);
		}
	} else {
		n = (ssize_t)len;
		if (len <= IK_PSK_MAX)
			memcpy(p, v, len);
	}
	if (n < IK_PSK_MIN || n > IK_PSK_MAX) {
		explicit_bzero(p, IK_PSK_MAX);
		free(p);
		return kfail(c, k, "a PSK of %zd bytes; it needs %d to %d",
			     n, IK_PSK_MIN, IK_PSK_MAX);
	}
	secret_clear(s);
	s->p = p;
	s->len = (size_t)n;
	return 0;
}

static int p_psk(struct pctx *c, const struct key *k, char *v, void *field)
{
	if (c->have_mode && (c->mode & S_IRWXO))
		return kfail(c, k,
			     "an inline PSK in a file others can access (mode %04o): chmod o-rwx it, or use psk_file",
			     (unsigned)(c->mode & 07777));
	if (unquote(c, k, &v))
		return -1;
	return set_psk(c, k, v, strlen(v), field);
}

/*
 * open() and fstat() a file named by the config: regular, and for private
 * ones no permission for others.  The descriptor, or -1 after fail().
 * O_NONBLOCK: a FIFO or a device in its place must not hang the loader.
 */
static int open_checked(struct pctx *c, const struct key *k, const char *path,
			bool private, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return kfail(c, k, "%s: %s", path, strerror(errno));
	if (fstat(fd, st)) {
		kfail(c, k, "%s: %s", path, strerror(errno));
		goto bad;
	}
	if (!S_ISREG(st->st_mode)) {
		kfail(c, k, "%s: not a regular file", path);
		goto bad;
	}
	if (private && (st->st_mode & S_IRWXO)) {
		kfail(c, k, "%s: others can access it (mode %04o): chmod o-rwx it",
		      path, (unsigned)(st->st_mode & 07777));
		goto bad;
	}
	return fd;
bad:
	close(fd);
	return -1;
}

/* The file holds the PSK (text or 0x-hex); trailing newlines do not count. */
static int p_psk_file(struct pctx *c, const struct key *k, char *v,
		      void *field)
{
	size_t cap = 2 * IK_PSK_MAX + 8, len = 0;
	char *path = resolve(c, k, v), *buf = NULL;
	struct stat st;
	ssize_t r;
	int fd = -1, ret = -1;

	if (!path)
		return -1;
	fd = open_checked(c, k, path, true, &st);
	if (fd < 0)
		goto out;
	buf = malloc(cap + 1);
	if (!buf) {
		fail(c, c->line_now, "out of memory");
		goto out;
	}
	while (len <= cap) {
		r = read(fd, buf + len, cap + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			kfail(c, k, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > cap) {
		kfail(c, k, "%s: longer than a PSK can be", path);
		goto out;
	}
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	ret = set_psk(c, k, buf, len, field);
out:
	if (buf) {
		explicit_bzero(buf, cap + 1);
		free(buf);
	}
	if (fd >= 0)
		close(fd);
	free(path);
	return ret;
}

static void file_clear(struct ik_file *f)
{
	free(f->path);
	memset(f, 0, sizeof(*f));
}

static int p_file(struct pctx *c, const struct key *k, char *v, void *field)
{
	struct ik_file *f = field;
	char *path = resolve(c, k, v);
	struct stat st;
	int fd;

	if (!path)
		return -1;
	fd = open_checked(c, k, path, k->flags & K_PRIVATE, &st);
	if (fd < 0) {
		free(path);
		return -1;
	}
	close(fd);
	file_clear(f);
	f->path = path;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->size = st.st_size;
	f->mtime = st.st_mtim;
	return 0;
}

static int ca_one(struct pctx *c, const struct key *k, char *v, void *field)
{
	struct ik_conn *conn = field;

	if (conn->n_ca == IK_MAX_CA)
		return kfail(c, k, "more than %d files", IK_MAX_CA);
	if (p_file(c, k, v, &conn->ca[conn->n_ca]))
		return -1;
	conn->n_ca++;
	return 0;
}

static int p_ca(struct pctx *c, const struct key *k, char *v, void *field)
{
	/* field is conn->ca; the count is beside it */
	struct ik_conn *conn = (struct ik_conn *)((char *)field -
						  offsetof(struct ik_conn, ca));

	return for_each_item(c, k, v, conn, ca_one);
}

/* ---- proposals and traffic selectors ----------------------------------- */

static int p_proposals(struct pctx *c, const struct key *k, char *v,
		       void *field, uint8_t protocol)
{
	char why[384];

	if (ik_proposals_parse(field, protocol, v, why, sizeof(why)))
		return kfail(c, k, "%s", why);
	return 0;
}

static int p_ike(struct pctx *c, const struct key *k, char *v, void *field)
{
	return p_proposals(c, k, v, field, IKE_PROTO_IKE);
}

static int p_esp(struct pctx *c, const struct key *k, char *v, void *field)
{
	return p_proposals(c, k, v, field, IKE_PROTO_ESP);
}

static const struct name_val ip_protos[] = {
	{ "icmp", 1 }, { "tcp", 6 }, { "udp", 17 }, { "gre", 47 },
	{ "icmpv6", 58 }, { "sctp", 132 }, { NULL, 0 }
};

static bool has_ports(int proto)
{
	return proto == 6 || proto == 17 || proto == 132;
}

/* "[proto]", "[proto/port]", "[proto/lo-hi]" (brackets already removed) */
static int ts_proto(struct pctx *c, const struct key *k, char *s,
		    struct ike_ts *ts)
{
	char *slash = strchr(s, '/'), *dash;
	const struct name_val *nv;
	uint64_t n, lo, hi;

	if (slash)
		*slash = '\0';
	for (nv = ip_protos; nv->name; nv++)
		if (strcmp(s, nv->name) == 0)
			break;
	if (nv->name)
		n = (uint64_t)nv->val;
	else if (parse_uint(s, 255, &n) || n == 0)
		return kfail(c, k,
			     "'%s' is not a protocol (tcp, udp, sctp, icmp, icmpv6, gre or 1..255)",
			     s);
	ts->ipproto = (uint8_t)n;
	if (!slash)
		return 0;
	if (!has_ports(ts->ipproto))
		return kfail(c, k, "ports only with tcp, udp or sctp");
	dash = strchr(slash + 1, '-');
	if (dash)
		*dash = '\0';
	if (parse_uint(slash + 1, 65535, &lo) ||
	    (dash && parse_uint(dash + 1, 65535, &hi)))
		return kfail(c, k, "bad port in '%s'", slash + 1);
	if (!dash)
		hi = lo;
	if (lo > hi)
		return kfail(c, k, "port range %llu-%llu is reversed",
			     (unsigned long long)lo, (unsigned long long)hi);
	ts->start_port = (uint16_t)lo;
	ts->end_port = (uint16_t)hi;
	return 0;
}

/* One selector: ADDR, ADDR/LEN or ADDR-ADDR, then [proto/ports]. */
static int ts_one(struct pctx *c, const struct key *k, char *v, void *field)
{
	struct ik_ts_list *l = field;
	struct ike_ts ts = { 0 };
	struct ik_addr a, b;
	char *br = strchr(v, '['), *sep;
	size_t alen, i;
	uint64_t plen;

	if (l->n == IKE_MAX_TS)
		return kfail(c, k, "more than %d selectors", IKE_MAX_TS);
	ts.start_port = 0;
	ts.end_port = 65535;
	if (br) {
		size_t len = strlen(br);

		if (br[len - 1] != ']')
			return kfail(c, k, "'%s': missing ']'", v);
		br[len - 1] = '\0';
		*br = '\0';
		if (ts_proto(c, k, br + 1, &ts))
			return -1;
		trim(v);
	}
	if ((sep = strchr(v, '-'))) {
		*sep = '\0';
		if (parse_ip(trim(v), &a) || parse_ip(trim(sep + 1), &b) ||
		    a.family != b.family)
			return kfail(c, k,
				     "'%s-%s' is not a range of two addresses of one family",
				     v, sep + 1);
		alen = addr_len(a.family);
		if (memcmp(a.a, b.a, alen) > 0)
			return kfail(c, k, "range '%s-%s' is reversed", v,
				     sep + 1);
	} else {
		sep = strchr(v, '/');
		if (sep)
			*sep = '\0';
		if (parse_ip(v, &a))
			return kfail(c, k, "'%s' is not an address", v);
		alen = addr_len(a.family);
		plen = alen * 8;
		if (sep && parse_uint(sep + 1, alen * 8, &plen))
			return kfail(c, k, "'/%s' is not a prefix length of %s",
				     sep + 1, a.family == AF_INET ? "IPv4 (0..32)"
								  : "IPv6 (0..128)");
		b = a;
		for (i = 0; i < alen; i++) {
			unsigned bits = plen >= (i + 1) * 8 ? 8
				      : plen > i * 8 ? (unsigned)(plen - i * 8)
				      : 0;
			uint8_t mask = (uint8_t)(0xff00 >> bits);

			if (a.a[i] & ~mask) {
				char net[INET6_ADDRSTRLEN];
				size_t j;

				for (j = i; j < alen; j++) {
					bits = plen >= (j + 1) * 8 ? 8
					     : plen > j * 8 ? (unsigned)(plen - j * 8)
					     : 0;
					a.a[j] &= (uint8_t)(0xff00 >> bits);
				}
				inet_ntop(a.family, a.a, net, sizeof(net));
				return kfail(c, k,
					     "'%s/%llu' has host bits set (%s/%llu?)",
					     v, (unsigned long long)plen, net,
					     (unsigned long long)plen);
			}
			b.a[i] = (uint8_t)(a.a[i] | ~mask);
		}
	}
	ts.type = a.family == AF_INET ? IKE_TS_IPV4_ADDR_RANGE
				      : IKE_TS_IPV6_ADDR_RANGE;
	memcpy(ts.start, a.a, alen);
	memcpy(ts.end, b.a, alen);
	l->ts[l->n++] = ts;
	return 0;
}

static int p_ts(struct pctx *c, const struct key *k, char *v, void *field)
{
	return for_each_item(c, k, v, field, ts_one);
}

/* ---- sections ---------------------------------------------------------- */

static const struct key *find_key(int sect, const char *name)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++)
		if (keys[i].sect == (unsigned)sect &&
		    strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* Levenshtein distance, capped: for "did you mean". */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t row[64], prev, tmp;

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (tmp + 1 < row[j])
				row[j] = tmp + 1;
			prev = tmp;
		}
	}
	return row[lb];
}

static const char *suggest(int sect, const char *name)
{
	const char *best = NULL;
	size_t i, d, bestd = 3;

	if (sect == S_CONN && strcmp(name, "encap") == 0)
		return "esp_transport";	/* its name in iketcp 0.1 */
	for (i = 0; i < N_KEYS; i++) {
		if (keys[i].sect != (unsigned)sect)
			continue;
		d = distance(name, keys[i].name);
		if (d < bestd) {
			bestd = d;
			best = keys[i].name;
		}
	}
	return best;
}

static struct section_meta *cur_meta(struct pctx *c)
{
	return c->sect == S_GLOBAL ? &c->gmeta
				   : &c->cmeta[c->cfg->n_conns - 1];
}

static void *field_of(struct pctx *c, const struct key *k,
		      struct ik_conn *conn)
{
	return k->sect == S_GLOBAL ? (char *)&c->cfg->global + k->off
				   : (char *)conn + k->off;
}

static bool valid_conn_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > IK_CONN_NAME_MAX || !isalnum((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.')
			return false;
	return true;
}

/* The text between '[' and ']' (NUL-terminated, trimmed). */
static int open_section(struct pctx *c, char *s)
{
	struct ik_config *cfg = c->cfg;
	struct ik_conn *conn;
	size_t i;
	char *name;

	c->where[0] = '\0';
	s = trim(s);
	if (strcmp(s, "global") == 0) {
		if (c->gmeta.line)
			return fail(c, c->lineno,
				    "second [global] section (the first is on line %u)",
				    c->gmeta.line);
		c->gmeta.line = c->lineno;
		c->sect = S_GLOBAL;
		set_where(c, NULL);
		return 0;
	}
	if (strncmp(s, "conn", 4) != 0 || (s[4] && !is_blank(s[4])))
		return fail(c, c->lineno,
			    "unknown section '[%s]' (expected [global] or [conn NAME])",
			    s);
	name = trim(s + 4);
	if (!*name)
		return fail(c, c->lineno, "[conn] needs a name: [conn NAME]");
	if (!valid_conn_name(name))
		return fail(c, c->lineno,
			    "bad connection name '%s' (1 to %d letters, digits, '-', '_', '.', starting with a letter or digit)",
			    name, IK_CONN_NAME_MAX);
	for (i = 0; i < cfg->n_conns; i++)
		if (strcmp(cfg->conns[i]->name, name) == 0)
			return fail(c, c->lineno,
				    "duplicate connection '%s' (first on line %u)",
				    name, c->cmeta[i].line);
	if (cfg->n_conns == c->cap) {
		size_t ncap = c->cap ? 2 * c->cap : 8;
		struct ik_conn **nc = realloc(cfg->conns, ncap * sizeof(*nc));
		struct section_meta *nm;

		if (!nc)
			return fail(c, c->lineno, "out of memory");
		cfg->conns = nc;
		nm = realloc(c->cmeta, ncap * sizeof(*nm));
		if (!nm)
			return fail(c, c->lineno, "out of memory");
		c->cmeta = nm;
		c->cap = ncap;
	}
	conn = calloc(1, sizeof(*conn));
	if (!conn || !(conn->name = strdup(name))) {
		free(conn);
		return fail(c, c->lineno, "out of memory");
	}
	conn->line = c->lineno;
	memset(&c->cmeta[cfg->n_conns], 0, sizeof(c->cmeta[0]));
	c->cmeta[cfg->n_conns].line = c->lineno;
	cfg->conns[cfg->n_conns++] = conn;
	c->sect = S_CONN;
	set_where(c, conn);
	return 0;
}

/* ---- layer 1: lines ---------------------------------------------------- */

/* libinih's find_chars_or_comment(): the first of chars, or " ;". */
static const char *find_or_comment(const char *s, const char *chars)
{
	bool was_space = false;

	while (*s && (!chars || !strchr(chars, *s)) &&
	       !(was_space && *s == ';')) {
		was_space = is_blank(*s);
		s++;
	}
	return s;
}

/* "name =" where name is a key of the current section? */
static const struct key *looks_like_key(struct pctx *c, const char *s)
{
	const char *eq = find_or_comment(s, "=:");
	char name[64];
	size_t len;

	if (*eq != '=' && *eq != ':')
		return NULL;
	len = (size_t)(eq - s);
	while (len && is_blank(s[len - 1]))
		len--;
	if (len == 0 || len >= sizeof(name))
		return NULL;
	memcpy(name, s, len);
	name[len] = '\0';
	return find_key(c->sect, name);
}

/*
 * Classify line (as libinih will) and check what libinih would not.
 * 0, or -1 after fail().
 */
static int classify(struct pctx *c, char *line)
{
	const char *start = line, *end, *sep;
	char hdr[256];
	size_t len;

	if (c->lineno == 1 && (unsigned char)line[0] == 0xEF &&
	    (unsigned char)line[1] == 0xBB && (unsigned char)line[2] == 0xBF)
		start += 3;
	while (is_blank(*start))
		start++;
	c->cont = false;
	if (!*start || *start == ';' || *start == '#')
		return 0;
	if (c->have_prev && start > line) {
		const struct key *k;

		if (*start == '[')
			return fail(c, c->lineno,
				    "indented section header: start it at the beginning of the line (an indented line continues the value above)");
		k = looks_like_key(c, start);
		if (k)
			return fail(c, c->lineno,
				    "indented key '%s': start keys at the beginning of the line (an indented line continues the value above)",
				    k->name);
		if (!c->cur || !(c->cur->flags & K_LIST))
			return fail(c, c->lineno,
				    "indented line continues '%s', which takes one value (only lists continue on indented lines)",
				    c->cur ? c->cur->name : "?");
		c->cont = true;
		return 0;
	}
	if (*start == '[') {
		end = find_or_comment(start + 1, "]");
		if (*end != ']')
			return fail(c, c->lineno,
				    "section header without ']'");
		sep = end + 1;
		while (is_blank(*sep))
			sep++;
		if (*sep && *sep != ';' && *sep != '#')
			return fail(c, c->lineno,
				    "text after the section header's ']'");
		len = (size_t)(end - start - 1);
		if (len >= sizeof(hdr))
			return fail(c, c->lineno, "section header too long");
		memcpy(hdr, start + 1, len);
		hdr[len] = '\0';
		c->have_prev = false;
		return open_section(c, hdr);
	}
	sep = find_or_comment(start, "=:");
	if (*sep != '=' && *sep != ':')
		return fail(c, c->lineno,
			    "expected 'key = value', [global] or [conn NAME]");
	len = (size_t)(sep - start);
	while (len && is_blank(start[len - 1]))
		len--;
	if (len == 0)
		return fail(c, c->lineno, "no key before '%c'", *sep);
	if (len >= sizeof(c->expect))
		return fail(c, c->lineno, "unknown key '%.40s...'", start);
	memcpy(c->expect, start, len);
	c->expect[len] = '\0';
	if (*sep == ':')
		return fail(c, c->lineno, "'%s': write '=' between key and value",
			    c->expect);
	c->have_prev = true;
	return 0;
}

/* libinih's ini_reader: one line of our buffer into str (num bytes). */
static char *reader(char *str, int num, void *stream)
{
	struct pctx *c = stream;
	const char *p, *nl;
	size_t len;

	if (c->failed || c->pos >= c->len || num < 2)
		return NULL;
	p = c->buf + c->pos;
	nl = memchr(p, '\n', c->len - c->pos);
	len = nl ? (size_t)(nl - p) : c->len - c->pos;
	c->pos += len + (nl != NULL);
	c->lineno++;
	c->line_now = c->lineno;
	if (len && p[len - 1] == '\r')
		len--;
	if (memchr(p, '\0', len)) {
		fail(c, c->lineno, "NUL byte in the line");
		return NULL;
	}
	if (len > (size_t)num - 1) {
		fail(c, c->lineno, "line longer than %d characters", num - 1);
		return NULL;
	}
	memcpy(str, p, len);
	str[len] = '\0';
	if (classify(c, str))
		return NULL;
	return str;
}

/* ---- layer 2: keys ----------------------------------------------------- */

static int handle(struct pctx *c, const char *name, const char *value)
{
	struct ik_conn *conn = NULL;
	struct section_meta *meta;
	const struct key *k;
	char buf[512], *v, *cut;
	size_t idx, vlen = strlen(value);
	int r;

	if (!c->cont && strcmp(name, c->expect) != 0)
		return fail(c, c->lineno, "parser out of step (key '%s')",
			    name);
	if (!c->sect)
		return fail(c, c->lineno,
			    "key '%s' before any section ([global] or [conn NAME])",
			    name);
	if (c->sect == S_CONN)
		conn = c->cfg->conns[c->cfg->n_conns - 1];
	meta = cur_meta(c);
	if (c->cont) {
		k = c->cur;
	} else {
		k = find_key(c->sect, name);
		if (!k) {
			const char *s = suggest(c->sect, name);

			if (s)
				return fail(c, c->lineno,
					    "unknown key '%s' (did you mean '%s'?)",
					    name, s);
			return fail(c, c->lineno, "unknown key '%s'", name);
		}
		idx = (size_t)(k - keys);
		if (meta->key_line[idx])
			return fail(c, c->lineno,
				    "duplicate key '%s' (first on line %u)",
				    name, meta->key_line[idx]);
		meta->key_line[idx] = c->lineno;
		c->cur = k;
	}
	if (vlen >= sizeof(buf))
		return fail(c, c->lineno, "%s: value too long", k->name);
	memcpy(buf, value, vlen + 1);
	if (c->cont) {
		/* libinih leaves inline comments in continuation lines */
		cut = (char *)find_or_comment(buf, NULL);
		*cut = '\0';
	}
	v = trim(buf);
	/* a list may end its line with a comma and go on below */
	vlen = strlen(v);
	if ((k->flags & K_LIST) && vlen && v[vlen - 1] == ',') {
		v[vlen - 1] = '\0';
		v = trim(v);
	}
	if (!*v)
		r = kfail(c, k, "empty value");
	else
		r = k->parse(c, k, v, field_of(c, k, conn));
	explicit_bzero(buf, sizeof(buf));
	return r;
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct pctx *c = user;

	(void)section;		/* ours, from reader(), is the one we trust */
	if (!c->failed)
		handle(c, name, value);
	return 1;		/* errors stop the reader instead */
}

/* ---- layer 3: sections as a whole -------------------------------------- */

static unsigned line_of(const struct section_meta *m, const char *name,
			int sect)
{
	return m->key_line[find_key(sect, name) - keys];
}

static bool given(const struct section_meta *m, const char *name, int sect)
{
	return line_of(m, name, sect) != 0;
}

/* Defaults of every key not given, through the key's own parser. */
static int apply_defaults(struct pctx *c, int sect, struct ik_conn *conn,
			  const struct section_meta *m)
{
	char buf[256];
	size_t i;
	int r;

	for (i = 0; i < N_KEYS; i++) {
		const struct key *k = &keys[i];

		if (k->sect != (unsigned)sect || m->key_line[i])
			continue;
		if (k->inherit) {
			memcpy(field_of(c, k, conn),
			       (char *)&c->cfg->global + k->inherit - 1,
			       sizeof(uint64_t));
			continue;
		}
		if (!k->def)
			continue;
		snprintf(buf, sizeof(buf), "%s", k->def);
		r = k->parse(c, k, buf, field_of(c, k, conn));
		if (r)
			return r;
	}
	return 0;
}

static int post_global(struct pctx *c)
{
	const struct section_meta *m = &c->gmeta;
	struct ik_global *g = &c->cfg->global;
	char a[24], b[24];

	set_where(c, NULL);
	c->line_now = m->line;
	if (apply_defaults(c, S_GLOBAL, NULL, m))
		return -1;
	if (g->port == g->natt_port)
		return fail(c, line_of(m, given(m, "natt_port", S_GLOBAL) ?
					  "natt_port" : "port", S_GLOBAL),
			    "port and natt_port are both %u", g->port);
	if (g->retransmit_timeout_ms > g->retransmit_max_ms)
		return fail(c, line_of(m, given(m, "retransmit_max", S_GLOBAL) ?
					  "retransmit_max" :
					  "retransmit_timeout", S_GLOBAL),
			    "retransmit_timeout (%s) is longer than retransmit_max (%s)",
			    fmt_dur(g->retransmit_timeout_ms, a, sizeof(a)),
			    fmt_dur(g->retransmit_max_ms, b, sizeof(b)));
	return 0;
}

/* lifetime (given or rekey + 20%) must exceed the rekey time */
static int check_lifetime(struct pctx *c, const struct section_meta *m,
			  const char *rekey_key, uint64_t rekey,
			  const char *life_key, uint64_t *life)
{
	char a[24], b[24];

	/* by default a fifth longer: a responder rekeys up to a tenth later
	 * than rekey (daemon.c, rekey_after()) and must still be in time */
	if (!given(m, life_key, S_CONN)) {
		*life = rekey + rekey / 5;
		return 0;
	}
	if (*life > rekey)
		return 0;
	return fail(c, line_of(m, life_key, S_CONN),
		    "%s (%s) must be longer than %s (%s)", life_key,
		    fmt_dur(*life, a, sizeof(a)), rekey_key,
		    fmt_dur(rekey, b, sizeof(b)));
}

/* ESP in the IKE TCP connection needs IKE on TCP */
static int check_transports(struct pctx *c, const struct ik_conn *conn,
			    const struct section_meta *m)
{
	enum ik_ike_transport t = conn->ike_transport;

	/* TCP 500 (legacy framing) carries no ESP */
	if (conn->encap == IK_ENCAP_TCP &&
	    (t == IK_IKE_UDP || t == IK_IKE_TCP500 || t == IK_IKE_AUTO))
		return fail(c, line_of(m, "esp_transport", S_CONN),
			    "esp_transport = tcp needs ike_transport = tcp, separate-udp or separate-tcp");
	return 0;
}

static int post_conn(struct pctx *c, struct ik_conn *conn,
		     const struct section_meta *m)
{
	static const char *const psk_only[] = { "psk", "psk_file" };
	static const char *const pubkey_only[] = { "cert", "key", "ca" };
	const char *const *wrong;
	size_t i, nwrong;
	unsigned pfs = 0;

	set_where(c, conn);
	c->line_now = m->line;
	for (i = 0; i < N_KEYS; i++)
		if (keys[i].sect == S_CONN && (keys[i].flags & K_REQ) &&
		    !m->key_line[i])
			return fail(c, m->line, "missing required key '%s'",
				    keys[i].name);

	if (conn->auth == IK_AUTH_PSK) {
		if (!given(m, "psk", S_CONN) && !given(m, "psk_file", S_CONN))
			return fail(c, m->line,
				    "missing 'psk' or 'psk_file' (auth = psk)");
		if (given(m, "psk", S_CONN) && given(m, "psk_file", S_CONN))
			return fail(c, line_of(m, "psk_file", S_CONN),
				    "psk_file and psk (line %u) both given",
				    line_of(m, "psk", S_CONN));
		wrong = pubkey_only;
		nwrong = 3;
	} else {
		for (i = 0; i < 3; i++)
			if (!given(m, pubkey_only[i], S_CONN))
				return fail(c, m->line,
					    "missing required key '%s' (auth = pubkey)",
					    pubkey_only[i]);
		wrong = psk_only;
		nwrong = 2;
	}
	for (i = 0; i < nwrong; i++)
		if (given(m, wrong[i], S_CONN))
			return fail(c, line_of(m, wrong[i], S_CONN),
				    "%s: not used with auth = %s", wrong[i],
				    conn->auth == IK_AUTH_PSK ? "psk" : "pubkey");

	if (apply_defaults(c, S_CONN, conn, m))
		return -1;

	if (conn->remote.family != AF_UNSPEC &&
	    conn->remote.family != conn->local.family)
		return fail(c, line_of(m, "remote", S_CONN),
			    "remote is IPv%c but local is IPv%c",
			    conn->remote.family == AF_INET ? '4' : '6',
			    conn->local.family == AF_INET ? '4' : '6');
	if (conn->remote.family == AF_UNSPEC &&
	    conn->start == IK_START_INITIATE)
		return fail(c, line_of(m, "start", S_CONN),
			    "start = initiate needs a remote address, not %%any");

	for (i = 0; i < conn->esp.n; i++)
		pfs += ik_proposal_find(&conn->esp.p[i], IKE_TT_KE) != NULL;
	if (pfs && pfs != conn->esp.n)
		return fail(c, line_of(m, "esp", S_CONN),
			    "esp: a key exchange (PFS) in some proposals but not all");

	if (check_lifetime(c, m, "rekey_time", conn->rekey_time_ms,
			   "lifetime", &conn->lifetime_ms) ||
	    check_lifetime(c, m, "ike_rekey_time", conn->ike_rekey_time_ms,
			   "ike_lifetime", &conn->ike_lifetime_ms) ||
	    check_transports(c, conn, m))
		return -1;

	/* local_id: with a PSK the address; with a certificate its subject */
	if (!given(m, "local_id", S_CONN) && conn->auth == IK_AUTH_PSK) {
		char text[INET6_ADDRSTRLEN];
		size_t alen = addr_len(conn->local.family);

		conn->local_id.type = conn->local.family == AF_INET ?
				      IKE_ID_IPV4_ADDR : IKE_ID_IPV6_ADDR;
		conn->local_id.len = (uint16_t)alen;
		conn->local_id.data = malloc(alen);
		inet_ntop(conn->local.family, conn->local.a, text,
			  sizeof(text));
		conn->local_id.text = strdup(text);
		if (!conn->local_id.data || !conn->local_id.text)
			return fail(c, m->line, "out of memory");
		memcpy(conn->local_id.data, conn->local.a, alen);
	}
	return 0;
}

/* ---- loading ----------------------------------------------------------- */

/*
 * Overwrite the stack below us, where libinih kept its line buffer (with
 * any inline PSK).  Best effort: the compiler decides where frames go.
 */
__attribute__((noinline)) static void scrub_stack(void)
{
	char pad[4096];

	explicit_bzero(pad, sizeof(pad));
	__asm__ volatile("" : : "r"(pad) : "memory");
}

static char *dir_of(const char *name)
{
	const char *slash = strrchr(name, '/');
	char cwd[PATH_MAX], *d;

	if (slash == name)
		return strdup("/");
	if (slash && name[0] == '/')
		return strndup(name, (size_t)(slash - name));
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (!slash)
		return strdup(cwd);
	if (asprintf(&d, "%s/%.*s", cwd, (int)(slash - name), name) < 0)
		return NULL;
	return d;
}

static void conn_free(struct ik_conn *conn)
{
	size_t i;

	if (!conn)
		return;
	secret_clear(&conn->psk);
	id_clear(&conn->local_id);
	id_clear(&conn->remote_id);
	file_clear(&conn->cert);
	file_clear(&conn->key);
	for (i = 0; i < conn->n_ca; i++)
		file_clear(&conn->ca[i]);
	free(conn->name);
	free(conn);
}

void ik_config_free(struct ik_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->n_conns; i++)
		conn_free(cfg->conns[i]);
	free(cfg->conns);
	free(cfg->global.ctl_socket);
	free(cfg->path);
	free(cfg);
}

/* Parse len bytes of buf (read from the file `name`). */
static int parse_buf(const char *name, const char *buf, size_t len,
		     const struct stat *st, struct ik_config **out, char *err,
		     size_t errlen)
{
	struct pctx *c = calloc(1, sizeof(*c));
	size_t i;
	int r;

	if (!c) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	c->name = name;
	c->buf = buf;
	c->len = len;
	c->err = err;
	c->errlen = errlen;
	if (st) {
		c->have_mode = true;
		c->mode = st->st_mode;
	}
	c->cfg = calloc(1, sizeof(*c->cfg));
	c->dir = dir_of(name);
	if (!c->cfg || !c->dir || !(c->cfg->path = strdup(name))) {
		fail(c, 0, "out of memory");
		goto out;
	}

	r = ini_parse_stream(reader, c, handler, c);
	scrub_stack();
	if (r && !c->failed) {
		/* reader() should have refused whatever libinih refuses */
		c->where[0] = '\0';
		fail(c, r > 0 ? (unsigned)r : 0, "syntax error");
	}
	if (c->failed)
		goto out;
	if (post_global(c))
		goto out;
	for (i = 0; i < c->cfg->n_conns; i++)
		if (post_conn(c, c->cfg->conns[i], &c->cmeta[i]))
			goto out;
out:
	if (c->failed) {
		ik_config_free(c->cfg);
		c->cfg = NULL;
	}
	*out = c->cfg;
	free(c->cmeta);
	free(c->dir);
	free(c);
	return *out ? 0 : -1;
}

/* All of fd, at most IK_CONFIG_MAX_BYTES, into *buf (wipe it after use). */
static int read_all(int fd, FILE *f, char **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap), *nb;
	ssize_t r;

	if (!b)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			if (cap > IK_CONFIG_MAX_BYTES) {
				explicit_bzero(b, n);
				free(b);
				return -EFBIG;
			}
			nb = malloc(cap * 2);
			if (!nb) {
				explicit_bzero(b, n);
				free(b);
				return -ENOMEM;
			}
			memcpy(nb, b, n);
			explicit_bzero(b, n);
			free(b);
			b = nb;
			cap *= 2;
		}
		if (f) {
			r = (ssize_t)fread(b + n, 1, cap - n, f);
			if (r == 0 && ferror(f))
				r = -1;
		} else {
			r = read(fd, b + n, cap - n);
		}
		if (r < 0 && errno == EINTR && !f)
			continue;
		if (r < 0) {
			int e = errno ? errno : EIO;

			explicit_bzero(b, n);
			free(b);
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > IK_CONFIG_MAX_BYTES) {
		explicit_bzero(b, n);
		free(b);
		return -EFBIG;
	}
	*buf = b;
	*len = n;
	return 0;
}

static int load(int fd, FILE *f, const char *name, const struct stat *st,
		struct ik_config **out, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int r = read_all(fd, f, &buf, &len);

	*out = NULL;
	if (r == -EFBIG) {
		snprintf(err, errlen, "%s: larger than %d bytes", name,
			 IK_CONFIG_MAX_BYTES);
		return -1;
	}
	if (r) {
		snprintf(err, errlen, "%s: %s", name, strerror(-r));
		return -1;
	}
	r = parse_buf(name, buf, len, st, out, err, errlen);
	explicit_bzero(buf, len);
	free(buf);
	return r;
}

int ik_config_load(const char *path, struct ik_config **out, char *err,
		   size_t errlen)
{
	struct stat st;
	int fd, r;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & S_IWOTH) {
		snprintf(err, errlen,
			 "%s: others can write it (mode %04o): chmod o-w it",
			 path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	r = load(fd, NULL, path, &st, out, err, errlen);
	close(fd);
	return r;
}

int ik_config_load_stream(FILE *f, const char *name, struct ik_config **out,
			  char *err, size_t errlen)
{
	return load(-1, f, name, NULL, out, err, errlen);
}

const struct ik_conn *ik_config_conn(const struct ik_config *cfg,
				     const char *name)
{
	size_t i;

	for (i = 0; i < cfg->n_conns; i++)
		if (strcmp(cfg->conns[i]->name, name) == 0)
			return cfg->conns[i];
	return NULL;
}

/* ---- comparing --------------------------------------------------------- */

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool addr_eq(const struct ik_addr *a, const struct ik_addr *b)
{
	return a->family == b->family &&
	       memcmp(a->a, b->a, addr_len(a->family)) == 0;
}

static bool id_eq(const struct ik_id *a, const struct ik_id *b)
{
	return a->type == b->type && a->len == b->len &&
	       (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* Constant time in the contents (not in the lengths). */
static bool secret_eq(const struct ik_secret *a, const struct ik_secret *b)
{
	uint8_t d = 0;
	size_t i;

	if (a->len != b->len)
		return false;
	for (i = 0; i < a->len; i++)
		d |= a->p[i] ^ b->p[i];
	return d == 0;
}

static bool file_eq(const struct ik_file *a, const struct ik_file *b)
{
	return str_eq(a->path, b->path) && a->dev == b->dev &&
	       a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static bool ts_eq(const struct ik_ts_list *a, const struct ik_ts_list *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		const struct ike_ts *x = &a->ts[i], *y = &b->ts[i];

		if (x->type != y->type || x->ipproto != y->ipproto ||
		    x->start_port != y->start_port ||
		    x->end_port != y->end_port ||
		    memcmp(x->start, y->start, sizeof(x->start)) ||
		    memcmp(x->end, y->end, sizeof(x->end)))
			return false;
	}
	return true;
}

bool ik_conn_equal(const struct ik_conn *a, const struct ik_conn *b)
{
	size_t i;

	if (!str_eq(a->name, b->name) || !addr_eq(&a->local, &b->local) ||
	    !addr_eq(&a->remote, &b->remote) ||
	    !id_eq(&a->local_id, &b->local_id) ||
	    !id_eq(&a->remote_id, &b->remote_id) || a->auth != b->auth ||
	    !secret_eq(&a->psk, &b->psk) || !file_eq(&a->cert, &b->cert) ||
	    !file_eq(&a->key, &b->key) || a->n_ca != b->n_ca)
		return false;
	for (i = 0; i < a->n_ca; i++)
		if (!file_eq(&a->ca[i], &b->ca[i]))
			return false;
	return ik_proposals_equal(&a->ike, &b->ike) &&
	       ik_proposals_equal(&a->esp, &b->esp) &&
	       ts_eq(&a->local_ts, &b->local_ts) &&
	       ts_eq(&a->remote_ts, &b->remote_ts) && a->mode == b->mode &&
	       a->start == b->start && a->ike_transport == b->ike_transport &&
	       a->encap == b->encap && a->tcp_fallback == b->tcp_fallback &&
	       a->tcp500_threshold == b->tcp500_threshold &&
	       a->mlkem_udp_max == b->mlkem_udp_max &&
	       a->fragmentation == b->fragmentation &&
	       a->fragment_size == b->fragment_size &&
	       a->rekey_time_ms == b->rekey_time_ms &&
	       a->lifetime_ms == b->lifetime_ms &&
	       a->ike_rekey_time_ms == b->ike_rekey_time_ms &&
	       a->ike_lifetime_ms == b->ike_lifetime_ms &&
	       a->rekey_jitter == b->rekey_jitter &&
	       a->liveness_interval_ms == b->liveness_interval_ms &&
	       a->liveness_timeout_ms == b->liveness_timeout_ms &&
	       a->restart_delay_ms == b->restart_delay_ms;
}

bool ik_global_equal(const struct ik_global *a, const struct ik_global *b)
{
	return a->log_level == b->log_level &&
	       str_eq(a->ctl_socket, b->ctl_socket) && a->port == b->port &&
	       a->natt_port == b->natt_port &&
	       a->retransmit_timeout_ms == b->retransmit_timeout_ms &&
	       a->retransmit_factor == b->retransmit_factor &&
	       a->retransmit_max_ms == b->retransmit_max_ms &&
	       a->retransmit_tries == b->retransmit_tries &&
	       a->cookie_threshold == b->cookie_threshold &&
	       a->liveness_interval_ms == b->liveness_interval_ms &&
	       a->liveness_timeout_ms == b->liveness_timeout_ms &&
	       a->nat_keepalive_ms == b->nat_keepalive_ms &&
	       a->replay_window == b->replay_window &&
	       a->tcp_port == b->tcp_port && a->tcp_listen == b->tcp_listen &&
	       a->separate_transports == b->separate_transports &&
	       a->sep_notify == b->sep_notify &&
	       a->tcp_idle_timeout_ms == b->tcp_idle_timeout_ms &&
	       a->esp_fail_timeout_ms == b->esp_fail_timeout_ms &&
	       a->esp_probe_timeout_ms == b->esp_probe_timeout_ms &&
	       a->tcp500_listen == b->tcp500_listen &&
	       a->tcp500_port == b->tcp500_port &&
	       a->tcp500_public_port == b->tcp500_public_port &&
	       a->tcps_notify == b->tcps_notify &&
	       a->tcp500_idle_timeout_ms == b->tcp500_idle_timeout_ms;
}

uint64_t ik_retransmit_delay_ms(const struct ik_global *g, unsigned n)
{
	uint64_t d = g->retransmit_timeout_ms;
	unsigned i;

	if (n > g->retransmit_tries)
		return 0;
	for (i = 0; i < n && d < g->retransmit_max_ms; i++)
		d = d * g->retransmit_factor / 100;
	return d < g->retransmit_max_ms ? d : g->retransmit_max_ms;
}
