// SPDX-License-Identifier: GPL-2.0
/*
 * iketcpd.conf (config.c): a full file with every field checked, the
 * defaults and what connections inherit from [global], every refusal with
 * its exact "file:line: where: problem" message, the PSK rules (never in a
 * message, files not open to others), the comparison a reload relies on,
 * and the example file shipped beside iketcpd.conf(5).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <openssl/x509.h>

#include "config.h"
#include "ktap.h"

static char err[1024];
static char dir[PATH_MAX];		/* this case's temporary directory */

/* ---- helpers ----------------------------------------------------------- */

static void put_file(const char *name, const char *text, mode_t mode)
{
	char path[PATH_MAX + 64];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		printf("# %s: %s\n", path, strerror(errno));
		exit(2);
	}
	fchmod(fd, mode);
	close(fd);
}

/* A directory with the files the configs below name. */
static void fixture(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_config.XXXXXX");
	if (!mkdtemp(dir)) {
		printf("# mkdtemp: %s\n", strerror(errno));
		exit(2);
	}
	put_file("cert.pem", "certificate\n", 0644);
	put_file("key.pem", "private key\n", 0600);
	put_file("ca1.pem", "trust anchor 1\n", 0644);
	put_file("ca2.pem", "trust anchor 2\n", 0644);
	put_file("psk.txt", "0x000102030405060708090a0b0c0d0e0f\n", 0600);
}

static void unfixture(void)
{
	static const char *const names[] = {
		"cert.pem", "key.pem", "ca1.pem", "ca2.pem", "psk.txt",
		"iketcpd.conf", "other.pem", NULL
	};
	char path[PATH_MAX + 64];
	size_t i;

	for (i = 0; names[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* Parse text as the file `name` (relative paths: name's directory). */
static struct ik_config *parse_as(const char *name, const char *text)
{
	struct ik_config *cfg = NULL;
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	err[0] = '\0';
	if (!f)
		return NULL;
	if (ik_config_load_stream(f, name, &cfg, err, sizeof(err)))
		cfg = NULL;
	fclose(f);
	return cfg;
}

/* Parse text as iketcpd.conf in the fixture's directory. */
static struct ik_config *parse_in_dir(const char *text)
{
	char name[PATH_MAX + 64];

	snprintf(name, sizeof(name), "%s/iketcpd.conf", dir);
	return parse_as(name, text);
}

/* text, as the file `name`, is refused with exactly the message want. */
static bool refused_as(const char *name, const char *text, const char *want)
{
	struct ik_config *cfg = parse_as(name, text);

	if (cfg) {
		printf("# accepted:\n%s", text);
		ik_config_free(cfg);
		return false;
	}
	if (strcmp(err, want) != 0) {
		printf("#  got  %s\n#  want %s\n", err, want);
		return false;
	}
	return true;
}

static bool refused(const char *text, const char *want)
{
	return refused_as("iketcpd.conf", text, want);
}

/* text loads (else its error is printed). */
static bool accepted(const char *text)
{
	struct ik_config *cfg = parse_as("iketcpd.conf", text);

	if (!cfg)
		printf("#  refused: %s\n", err);
	ik_config_free(cfg);
	return cfg != NULL;
}

/* In the fixture's directory; want_fmt's "%s" (one or two) is that. */
static bool refused_in_dir(const char *text, const char *want_fmt)
{
	char name[PATH_MAX + 64], want[2 * PATH_MAX + 512];

	snprintf(name, sizeof(name), "%s/iketcpd.conf", dir);
	snprintf(want, sizeof(want), want_fmt, dir, dir);
	return refused_as(name, text, want);
}

static bool ip_is(const uint8_t *a, int family, const char *text)
{
	uint8_t want[16] = { 0 };

	inet_pton(family, text, want);
	return memcmp(a, want, family == AF_INET ? 4 : 16) == 0;
}

static bool ts_is(const struct ike_ts *ts, const char *start, const char *end,
		  uint8_t proto, uint16_t lo, uint16_t hi)
{
	int family = strchr(start, ':') ? AF_INET6 : AF_INET;

	return ts->type == (family == AF_INET ? IKE_TS_IPV4_ADDR_RANGE
					      : IKE_TS_IPV6_ADDR_RANGE) &&
	       ip_is(ts->start, family, start) && ip_is(ts->end, family, end) &&
	       ts->ipproto == proto && ts->start_port == lo &&
	       ts->end_port == hi;
}

static bool proposal_is(const struct ik_proposals *ps, unsigned i,
			const char *want)
{
	char buf[128];

	if (i >= ps->n)
		return false;
	ik_proposal_format(&ps->p[i], buf, sizeof(buf));
	if (strcmp(buf, want))
		printf("#  proposal %u: %s, want %s\n", i, buf, want);
	return strcmp(buf, want) == 0;
}

static bool file_is(const struct ik_file *f, const char *name)
{
	char path[PATH_MAX + 64];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return f->path && strcmp(f->path, path) == 0 && stat(path, &st) == 0 &&
	       f->ino == st.st_ino && f->dev == st.st_dev &&
	       f->size == st.st_size;
}

static bool id_is(const struct ik_id *id, uint8_t type, const void *data,
		  size_t len)
{
	return id->type == type && id->len == len &&
	       (len == 0 || memcmp(id->data, data, len) == 0);
}

/* The DN in a DER_ASN1_DN identity, as OpenSSL's one-line form. */
static bool dn_is(const struct ik_id *id, const char *oneline)
{
	const unsigned char *p = id->data;
	X509_NAME *n;
	char buf[256];
	bool ok;

	if (id->type != IKE_ID_DER_ASN1_DN)
		return false;
	n = d2i_X509_NAME(NULL, &p, id->len);
	if (!n)
		return false;
	X509_NAME_oneline(n, buf, sizeof(buf));
	ok = strcmp(buf, oneline) == 0 && p == id->data + id->len;
	if (!ok)
		printf("#  DN %s, want %s\n", buf, oneline);
	X509_NAME_free(n);
	return ok;
}

/* ---- a full file ------------------------------------------------------- */

static const char full[] =
	"; every key of iketcpd.conf(5)\n"
	"[global]\n"
	"log_level = debug\n"
	"ctl_socket = /run/test/iketcpd.ctl\n"
	"port = 1500\n"
	"natt_port = 14500\n"
	"retransmit_timeout = 500ms\n"
	"retransmit_factor = 1.5\n"
	"retransmit_max = 10s\n"
	"retransmit_tries = 7\n"
	"cookie_threshold = 0\n"
	"liveness_interval = 0\n"
	"liveness_timeout = 2m\n"
	"nat_keepalive = 15s\n"
	"replay_window = 128\n"
	"tcp_port = 14501\n"
	"tcp_listen = no\n"
	"separate_transports = off\n"
	"separate_transports_notify = 40969\n"
	"tcp_idle_timeout = 2m\n"
	"\n"
	"[conn site-b]\n"				/* line 22 */
	"local = 192.0.2.1\n"
	"remote = 198.51.100.2\n"
	"local_id = fqdn:gw-a.example.com\n"
	"remote_id = email:admin@example.org\n"
	"auth = psk\n"
	"psk = \"  correct horse battery staple \"\n"
	"ike = aes256gcm16-prfsha256-x25519, aes128-sha256-ecp256\n"
	"esp = aes256gcm16-x25519-esn,\n"
	"  aes128-sha256-modp3072\n"
	"local_ts = 10.1.0.0/16, 10.1.2.3[udp/53]\n"
	"remote_ts = 10.2.0.1-10.2.0.9[tcp/1000-2000], 0.0.0.0/0[icmp]\n"
	"mode = transport\n"
	"start = initiate\n"
	"ike_transport = separate-udp\n"
	"esp_transport = udp\n"
	"tcp_fallback = fail\n"
	"rekey_time = 20m\n"
	"lifetime = 30m\n"
	"ike_rekey_time = 2h\n"
	"ike_lifetime = 3h\n"
	"rekey_jitter = 5%\n"
	"liveness_interval = 10s\n"
	"liveness_timeout = 45s\n"
	"restart_delay = 0\n"
	"\n"
	"[conn roadwarriors]\n"				/* line 48 */
	"local = 2001:db8::1\n"
	"remote = %any\n"
	"local_id = dn:C=CH, O=Example, CN=gw-a.example.com\n"
	"remote_id = keyid:0x0a0b0c\n"
	"auth = pubkey\n"
	"cert = cert.pem\n"
	"key = key.pem\n"
	"ca = ca1.pem, ca2.pem\n"
	"local_ts = 2001:db8:1::/48\n"
	"remote_ts = ::/0\n"
	"ike_transport = tcp\n"
	"esp_transport = tcp\n"
	"\n"
	"[conn branch]\n"				/* line 62 */
	"local = 192.0.2.1\n"
	"remote = 203.0.113.7\n"
	"local_id = 192.0.2.1\n"
	"remote_id = peer@example.net\n"
	"auth = psk\n"
	"psk_file = psk.txt\n";

static void full_config_every_field(void)
{
	static const uint8_t keyid[] = { 0x0a, 0x0b, 0x0c };
	static const uint8_t v4[] = { 192, 0, 2, 1 };
	struct ik_config *cfg;
	const struct ik_conn *c;
	const struct ik_global *g;
	uint8_t file_psk[16];
	size_t i;

	fixture();
	cfg = parse_in_dir(full);
	if (!cfg)
		printf("# %s\n", err);
	CHECK(cfg != NULL);
	if (!cfg)
		goto out;
	g = &cfg->global;
	CHECK(g->log_level == IK_LOG_DEBUG);
	CHECK(strcmp(g->ctl_socket, "/run/test/iketcpd.ctl") == 0);
	CHECK(g->port == 1500 && g->natt_port == 14500);
	CHECK(g->retransmit_timeout_ms == 500);
	CHECK(g->retransmit_factor == 150);
	CHECK(g->retransmit_max_ms == 10000);
	CHECK(g->retransmit_tries == 7);
	CHECK(g->cookie_threshold == 0);
	CHECK(g->liveness_interval_ms == 0);
	CHECK(g->liveness_timeout_ms == 120000);
	CHECK(g->nat_keepalive_ms == 15000);
	CHECK(g->replay_window == 128);
	CHECK(g->tcp_port == 14501 && !g->tcp_listen);
	CHECK(!g->separate_transports && g->sep_notify == 40969);
	CHECK(g->tcp_idle_timeout_ms == 120000);
	CHECK(cfg->n_conns == 3);

	c = cfg->conns[0];
	CHECK(strcmp(c->name, "site-b") == 0 && c->line == 22);
	CHECK(c->local.family == AF_INET && ip_is(c->local.a, AF_INET, "192.0.2.1"));
	CHECK(c->remote.family == AF_INET &&
	      ip_is(c->remote.a, AF_INET, "198.51.100.2"));
	CHECK(id_is(&c->local_id, IKE_ID_FQDN, "gw-a.example.com", 16));
	CHECK(strcmp(c->local_id.text, "fqdn:gw-a.example.com") == 0);
	CHECK(id_is(&c->remote_id, IKE_ID_RFC822_ADDR, "admin@example.org", 17));
	CHECK(c->auth == IK_AUTH_PSK);
	CHECK(c->psk.len == 31 &&
	      memcmp(c->psk.p, "  correct horse battery staple ", 31) == 0);
	CHECK(c->cert.path == NULL && c->key.path == NULL && c->n_ca == 0);
	CHECK(c->ike.n == 2);
	CHECK(proposal_is(&c->ike, 0, "aes256gcm16-prfsha256-x25519"));
	CHECK(proposal_is(&c->ike, 1, "aes128-sha256-prfsha256-ecp256"));
	CHECK(c->esp.n == 2);
	CHECK(proposal_is(&c->esp, 0, "aes256gcm16-x25519-esn"));
	CHECK(proposal_is(&c->esp, 1, "aes128-sha256-modp3072-noesn"));
	CHECK(c->local_ts.n == 2);
	CHECK(ts_is(&c->local_ts.ts[0], "10.1.0.0", "10.1.255.255", 0, 0, 65535));
	CHECK(ts_is(&c->local_ts.ts[1], "10.1.2.3", "10.1.2.3", 17, 53, 53));
	CHECK(c->remote_ts.n == 2);
	CHECK(ts_is(&c->remote_ts.ts[0], "10.2.0.1", "10.2.0.9", 6, 1000, 2000));
	CHECK(ts_is(&c->remote_ts.ts[1], "0.0.0.0", "255.255.255.255", 1, 0,
		    65535));
	CHECK(c->mode == IK_MODE_TRANSPORT);
	CHECK(c->start == IK_START_INITIATE);
	CHECK(c->ike_transport == IK_IKE_SEP_UDP);
	CHECK(c->encap == IK_ENCAP_UDP);
	CHECK(c->tcp_fallback == IK_TCP_FALLBACK_FAIL);
	CHECK(c->rekey_time_ms == 20 * 60000 && c->lifetime_ms == 30 * 60000);
	CHECK(c->ike_rekey_time_ms == 2 * 3600000ULL &&
	      c->ike_lifetime_ms == 3 * 3600000ULL);
	CHECK(c->rekey_jitter == 5);
	CHECK(c->liveness_interval_ms == 10000);
	CHECK(c->liveness_timeout_ms == 45000);
	CHECK(c->restart_delay_ms == 0);

	c = cfg->conns[1];
	CHECK(strcmp(c->name, "roadwarriors") == 0 && c->line == 48);
	CHECK(c->local.family == AF_INET6 &&
	      ip_is(c->local.a, AF_INET6, "2001:db8::1"));
	CHECK(c->remote.family == AF_UNSPEC);
	CHECK(dn_is(&c->local_id, "/C=CH/O=Example/CN=gw-a.example.com"));
	CHECK(id_is(&c->remote_id, IKE_ID_KEY_ID, keyid, 3));
	CHECK(c->auth == IK_AUTH_PUBKEY && c->psk.p == NULL && c->psk.len == 0);
	CHECK(file_is(&c->cert, "cert.pem"));
	CHECK(file_is(&c->key, "key.pem"));
	CHECK(c->n_ca == 2 && file_is(&c->ca[0], "ca1.pem") &&
	      file_is(&c->ca[1], "ca2.pem"));
	CHECK(c->local_ts.n == 1 &&
	      ts_is(&c->local_ts.ts[0], "2001:db8:1::",
		    "2001:db8:1:ffff:ffff:ffff:ffff:ffff", 0, 0, 65535));
	CHECK(c->remote_ts.n == 1 &&
	      ts_is(&c->remote_ts.ts[0], "::",
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, 0, 65535));
	/* liveness from [global]: off, 2m */
	CHECK(c->liveness_interval_ms == 0 && c->liveness_timeout_ms == 120000);
	CHECK(c->ike_transport == IK_IKE_TCP && c->encap == IK_ENCAP_TCP);
	CHECK(c->tcp_fallback == IK_TCP_FALLBACK_UDP);
	CHECK(c->mlkem_udp_max == IKE_KE_MLKEM512);
	CHECK(c->fragmentation && c->fragment_size == 0);

	c = cfg->conns[2];
	CHECK(strcmp(c->name, "branch") == 0 && c->line == 62);
	CHECK(id_is(&c->local_id, IKE_ID_IPV4_ADDR, v4, 4));
	CHECK(id_is(&c->remote_id, IKE_ID_RFC822_ADDR, "peer@example.net", 16));
	for (i = 0; i < sizeof(file_psk); i++)
		file_psk[i] = (uint8_t)i;
	CHECK(c->psk.len == 16 && memcmp(c->psk.p, file_psk, 16) == 0);
	ik_config_free(cfg);
out:
	unfixture();
}

static void defaults_and_what_connections_inherit(void)
{
	struct ik_config *cfg = parse_as("iketcpd.conf",
		"[conn a]\n"
		"local = 192.0.2.1\n"
		"remote = 198.51.100.2\n"
		"auth = psk\n"
		"psk = 0123456789\n"
		"[global]\n"			/* after the connection: still its default */
		"liveness_interval = 5s\n");
	const struct ik_global *g;
	const struct ik_conn *c;
	static const uint8_t v4[] = { 192, 0, 2, 1 };

	CHECK(cfg != NULL);
	if (!cfg) {
		printf("# %s\n", err);
		return;
	}
	g = &cfg->global;
	CHECK(g->log_level == IK_LOG_INFO);
	CHECK(strcmp(g->ctl_socket, "/run/iketcp/iketcpd.ctl") == 0);
	CHECK(g->port == 500 && g->natt_port == 4500);
	CHECK(g->retransmit_timeout_ms == 1000 && g->retransmit_factor == 200);
	CHECK(g->retransmit_max_ms == 32000 && g->retransmit_tries == 5);
	CHECK(g->cookie_threshold == 50);
	CHECK(g->liveness_interval_ms == 5000 && g->liveness_timeout_ms == 60000);
	CHECK(g->nat_keepalive_ms == 20000 && g->replay_window == 32);
	CHECK(g->tcp_port == 4500 && g->tcp_listen);
	CHECK(g->separate_transports && g->sep_notify == 48200);
	CHECK(g->tcp_idle_timeout_ms == 30000);
	CHECK(g->esp_fail_timeout_ms == 3000);
	CHECK(g->esp_probe_timeout_ms == 2000);

	c = ik_config_conn(cfg, "a");
	CHECK(c != NULL);
	if (!c)
		goto out;
	CHECK(id_is(&c->local_id, IKE_ID_IPV4_ADDR, v4, 4));
	CHECK(strcmp(c->local_id.text, "192.0.2.1") == 0);
	CHECK(c->remote_id.type == IK_ID_NONE && c->remote_id.len == 0);
	CHECK(strcmp(c->remote_id.text, "%any") == 0);
	CHECK(c->psk.len == 10 && memcmp(c->psk.p, "0123456789", 10) == 0);
	CHECK(c->ike.n == 2);
	CHECK(proposal_is(&c->ike, 0, "aes256gcm16-prfsha256-x25519"));
	CHECK(proposal_is(&c->ike, 1, "aes256-sha256-prfsha256-ecp256"));
	CHECK(c->esp.n == 2);
	CHECK(proposal_is(&c->esp, 0, "aes256gcm16-noesn"));
	CHECK(proposal_is(&c->esp, 1, "aes256-sha256-noesn"));
	CHECK(c->local_ts.n == 0 && c->remote_ts.n == 0);
	CHECK(c->mode == IK_MODE_TUNNEL && c->start == IK_START_LISTEN);
	CHECK(c->ike_transport == IK_IKE_UDP && c->encap == IK_ENCAP_AUTO);
	CHECK(c->tcp_fallback == IK_TCP_FALLBACK_UDP);
	CHECK(c->rekey_time_ms == 3600000 && c->lifetime_ms == 4320000);
	CHECK(c->ike_rekey_time_ms == 4 * 3600000ULL &&
	      c->ike_lifetime_ms == 4 * 4320000ULL);
	CHECK(c->rekey_jitter == 10);
	CHECK(c->liveness_interval_ms == 5000 && c->liveness_timeout_ms == 60000);
	CHECK(c->restart_delay_ms == 30000);
out:
	ik_config_free(cfg);
}

static void an_empty_file_is_a_valid_one(void)
{
	struct ik_config *cfg = parse_as("iketcpd.conf", "; nothing yet\n");

	CHECK(cfg != NULL && cfg->n_conns == 0 && cfg->global.port == 500);
	CHECK(ik_config_conn(cfg, "a") == NULL);
	ik_config_free(cfg);
}

/* ---- lines and sections ------------------------------------------------ */

#define CONN_A "[conn a]\nlocal = 192.0.2.1\nremote = 198.51.100.2\n" \
	       "auth = psk\npsk = 0123456789\n"		/* lines 1-5 */

static void errors_name_file_line_and_problem(void)
{
	CHECK(refused("[conn site-b]\nlocal = 192.0.2.1\nrmote = 198.51.100.2\n",
		      "iketcpd.conf:3: conn 'site-b': unknown key 'rmote' (did you mean 'remote'?)"));
	CHECK(refused("[global]\n\n; comment\nlog_levle = info\n",
		      "iketcpd.conf:4: global: unknown key 'log_levle' (did you mean 'log_level'?)"));
	CHECK(refused("[global]\nwhatever = 1\n",
		      "iketcpd.conf:2: global: unknown key 'whatever'"));
	/* connection keys are not [global] keys */
	CHECK(refused("[global]\nmode = tunnel\n",
		      "iketcpd.conf:2: global: unknown key 'mode'"));
	CHECK(refused("port = 500\n",
		      "iketcpd.conf:1: key 'port' before any section ([global] or [conn NAME])"));
	CHECK(refused(CONN_A "local = 192.0.2.9\n",
		      "iketcpd.conf:6: conn 'a': duplicate key 'local' (first on line 2)"));
	CHECK(accepted("[global]\nport = 500\n"));
}

static void sections(void)
{
	CHECK(refused("[connection a]\n",
		      "iketcpd.conf:1: unknown section '[connection a]' (expected [global] or [conn NAME])"));
	CHECK(refused("[site-b]\n",
		      "iketcpd.conf:1: unknown section '[site-b]' (expected [global] or [conn NAME])"));
	CHECK(refused("[conn]\n", "iketcpd.conf:1: [conn] needs a name: [conn NAME]"));
	CHECK(refused("[conn -a]\n",
		      "iketcpd.conf:1: bad connection name '-a' (1 to 32 letters, digits, '-', '_', '.', starting with a letter or digit)"));
	CHECK(refused("[conn a/b]\n",
		      "iketcpd.conf:1: bad connection name 'a/b' (1 to 32 letters, digits, '-', '_', '.', starting with a letter or digit)"));
	CHECK(refused(CONN_A "\n[conn a]\n",
		      "iketcpd.conf:7: duplicate connection 'a' (first on line 1)"));
	CHECK(refused("[global]\n[conn a]\n[global]\n",
		      "iketcpd.conf:3: second [global] section (the first is on line 1)"));
	CHECK(refused("[global\n",
		      "iketcpd.conf:1: section header without ']'"));
	/* libinih reads " ;" as a comment even inside brackets */
	CHECK(refused("[conn a ;]\n",
		      "iketcpd.conf:1: section header without ']'"));
	CHECK(refused("[global] port = 500\n",
		      "iketcpd.conf:1: text after the section header's ']'"));
}

static void line_syntax(void)
{
	char longline[512];

	CHECK(refused("[global]\nport\n",
		      "iketcpd.conf:2: global: expected 'key = value', [global] or [conn NAME]"));
	CHECK(refused("[global]\nport: 500\n",
		      "iketcpd.conf:2: global: 'port': write '=' between key and value"));
	CHECK(refused("[global]\n= 500\n",
		      "iketcpd.conf:2: global: no key before '='"));
	CHECK(refused("[global]\nport =\n",
		      "iketcpd.conf:2: global: port: empty value"));
	CHECK(refused("[global]\nport = ; nothing\n",
		      "iketcpd.conf:2: global: port: empty value"));
	snprintf(longline, sizeof(longline), "[global]\n; %0199d\n", 0);
	CHECK(refused(longline,
		      "iketcpd.conf:2: global: line longer than 199 characters"));
	/* 199 is fine */
	snprintf(longline, sizeof(longline), "[global]\n;%0198d\nport = 9\n", 0);
	CHECK(accepted(longline));
	{
		static const char nul[] = "[global]\nport = 5\0" "00\n";
		struct ik_config *cfg;
		FILE *f = fmemopen((void *)nul, sizeof(nul) - 1, "r");

		CHECK(ik_config_load_stream(f, "iketcpd.conf", &cfg, err,
					    sizeof(err)) == -1);
		CHECK(strcmp(err, "iketcpd.conf:2: global: NUL byte in the line") == 0);
		fclose(f);
	}
}

static void crlf_bom_and_comments(void)
{
	struct ik_config *cfg = parse_as("iketcpd.conf",
		"\xEF\xBB\xBF; a BOM, then CRLF lines\r\n"
		"# hash comments too\r\n"
		"[global]   ; after a header\r\n"
		"port = 1500 ; inline, after a blank\r\n"
		"ctl_socket = /run/x;y\r\n");	/* no blank before ';': kept */

	CHECK(cfg != NULL);
	if (!cfg) {
		printf("# %s\n", err);
		return;
	}
	CHECK(cfg->global.port == 1500);
	CHECK(strcmp(cfg->global.ctl_socket, "/run/x;y") == 0);
	ik_config_free(cfg);
	/* '#' is no inline comment */
	CHECK(refused("[global]\nport = 1500 # no\n",
		      "iketcpd.conf:2: global: port: '1500 # no' is not a number"));
}

static void continuation_lines_extend_lists_only(void)
{
	struct ik_config *cfg = parse_as("iketcpd.conf", CONN_A
		"esp = aes256gcm16,\n"
		"\taes128gcm16 ; a comment on a continuation line\n"
		"\n"
		"    aes256-sha256\n"
		"local_ts = 10.1.0.0/16\n"
		"  10.3.0.0/16, 10.4.0.0/16\n");
	const struct ik_conn *c;

	CHECK(cfg != NULL);
	if (!cfg) {
		printf("# %s\n", err);
		return;
	}
	c = cfg->conns[0];
	CHECK(c->esp.n == 3);
	CHECK(proposal_is(&c->esp, 0, "aes256gcm16-noesn"));
	CHECK(proposal_is(&c->esp, 1, "aes128gcm16-noesn"));
	CHECK(proposal_is(&c->esp, 2, "aes256-sha256-noesn"));
	CHECK(c->local_ts.n == 3);
	CHECK(ts_is(&c->local_ts.ts[2], "10.4.0.0", "10.4.255.255", 0, 0, 65535));
	ik_config_free(cfg);

	CHECK(refused(CONN_A "mode = tunnel\n  transport\n",
		      "iketcpd.conf:7: conn 'a': indented line continues 'mode', which takes one value (only lists continue on indented lines)"));
	CHECK(refused(CONN_A "  mode = tunnel\n",
		      "iketcpd.conf:6: conn 'a': indented key 'mode': start keys at the beginning of the line (an indented line continues the value above)"));
	CHECK(refused(CONN_A "esp = aes256gcm16\n  [conn b]\n",
		      "iketcpd.conf:7: conn 'a': indented section header: start it at the beginning of the line (an indented line continues the value above)"));
	/* indented lines right after a header are keys (libinih's rule) */
	CHECK(refused("[global]\n  port = 0\n",
		      "iketcpd.conf:2: global: port: 0 is out of range (1..65535)"));
}

/* ---- values ------------------------------------------------------------ */

static void global_values_are_range_checked(void)
{
	CHECK(refused("[global]\nport = 0\n",
		      "iketcpd.conf:2: global: port: 0 is out of range (1..65535)"));
	CHECK(refused("[global]\nnatt_port = 65536\n",
		      "iketcpd.conf:2: global: natt_port: 65536 is out of range (1..65535)"));
	CHECK(refused("[global]\nport = 5OO\n",
		      "iketcpd.conf:2: global: port: '5OO' is not a number"));
	CHECK(refused("[global]\nport = -1\n",
		      "iketcpd.conf:2: global: port: '-1' is not a number"));
	CHECK(refused("[global]\nport = 99999999999999999999999\n",
		      "iketcpd.conf:2: global: port: 99999999999999999999999 is out of range (1..65535)"));
	CHECK(refused("[global]\nlog_level = verbose\n",
		      "iketcpd.conf:2: global: log_level: 'verbose' is not one of error, warning, notice, info, debug"));
	CHECK(refused("[global]\nctl_socket = run/iketcpd.ctl\n",
		      "iketcpd.conf:2: global: ctl_socket: 'run/iketcpd.ctl' is not an absolute path"));
	CHECK(refused("[global]\nctl_socket = /run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		      "iketcpd.conf:2: global: ctl_socket: path longer than 107 bytes"));
	CHECK(refused("[global]\nretransmit_timeout = 50ms\n",
		      "iketcpd.conf:2: global: retransmit_timeout: 50ms is out of range (100ms..1m)"));
	CHECK(refused("[global]\nretransmit_timeout = 2 s\n",
		      "iketcpd.conf:2: global: retransmit_timeout: '2 s' is not a duration (e.g. 500ms, 30s, 5m, 2h, 1d)"));
	CHECK(refused("[global]\nretransmit_timeout = 2w\n",
		      "iketcpd.conf:2: global: retransmit_timeout: '2w' is not a duration (e.g. 500ms, 30s, 5m, 2h, 1d)"));
	CHECK(refused("[global]\nretransmit_factor = 4.5\n",
		      "iketcpd.conf:2: global: retransmit_factor: 4.5 is out of range (1.00..4.00)"));
	CHECK(refused("[global]\nretransmit_factor = 1.125\n",
		      "iketcpd.conf:2: global: retransmit_factor: '1.125' is not a number like 2 or 1.5"));
	CHECK(refused("[global]\nretransmit_tries = 21\n",
		      "iketcpd.conf:2: global: retransmit_tries: 21 is out of range (0..20)"));
	CHECK(refused("[global]\nliveness_interval = 500ms\n",
		      "iketcpd.conf:2: global: liveness_interval: 500ms is out of range (0, or 1s..1d)"));
	CHECK(refused("[global]\nliveness_timeout = 0\n",
		      "iketcpd.conf:2: global: liveness_timeout: 0 is out of range (1s..1d)"));
	CHECK(refused("[global]\nnat_keepalive = 2h\n",
		      "iketcpd.conf:2: global: nat_keepalive: 2h is out of range (0, or 1s..1h)"));
	CHECK(refused("[global]\nreplay_window = 4097\n",
		      "iketcpd.conf:2: global: replay_window: 4097 is out of range (0..4096)"));
	CHECK(refused("[global]\ncookie_threshold = 1000001\n",
		      "iketcpd.conf:2: global: cookie_threshold: 1000001 is out of range (0..1000000)"));
	CHECK(refused("[global]\ntcp_port = 0\n",
		      "iketcpd.conf:2: global: tcp_port: 0 is out of range (1..65535)"));
	CHECK(refused("[global]\ntcp_port = 65536\n",
		      "iketcpd.conf:2: global: tcp_port: 65536 is out of range (1..65535)"));
	CHECK(refused("[global]\nseparate_transports_notify = 40959\n",
		      "iketcpd.conf:2: global: separate_transports_notify: 40959 is out of range (40960..65535)"));
	CHECK(refused("[global]\nseparate_transports_notify = 65536\n",
		      "iketcpd.conf:2: global: separate_transports_notify: 65536 is out of range (40960..65535)"));
	CHECK(refused("[global]\nesp_fail_timeout = 11m\n",
		      "iketcpd.conf:2: global: esp_fail_timeout: 11m is out of range (0, or 1s..10m)"));
	CHECK(refused("[global]\ntcp_idle_timeout = 500ms\n",
		      "iketcpd.conf:2: global: tcp_idle_timeout: 500ms is out of range (1s..1h)"));
	CHECK(refused("[global]\ntcp_idle_timeout = 0\n",
		      "iketcpd.conf:2: global: tcp_idle_timeout: 0 is out of range (1s..1h)"));
	CHECK(refused("[global]\ntcp_idle_timeout = 61m\n",
		      "iketcpd.conf:2: global: tcp_idle_timeout: 61m is out of range (1s..1h)"));
	CHECK(refused("[global]\ntcp_listen = maybe\n",
		      "iketcpd.conf:2: global: tcp_listen: 'maybe' is not yes or no (nor true, false, on, off, 1, 0)"));
	CHECK(refused("[global]\nseparate_transports = Yes\n",
		      "iketcpd.conf:2: global: separate_transports: 'Yes' is not yes or no (nor true, false, on, off, 1, 0)"));
}

static void connection_values_are_checked(void)
{
	CHECK(refused(CONN_A "mode = tunel\n",
		      "iketcpd.conf:6: conn 'a': mode: 'tunel' is not one of tunnel, transport"));
	CHECK(refused(CONN_A "start = add\n",
		      "iketcpd.conf:6: conn 'a': start: 'add' is not one of listen, initiate"));
	CHECK(refused(CONN_A "ike_transport = sctp\n",
		      "iketcpd.conf:6: conn 'a': ike_transport: 'sctp' is not one of udp, tcp, separate-udp, separate-tcp, tcp500, auto"));
	CHECK(refused(CONN_A "esp_transport = yes\n",
		      "iketcpd.conf:6: conn 'a': esp_transport: 'yes' is not one of auto, ip, udp, tcp"));
	CHECK(refused(CONN_A "tcp_fallback = retry\n",
		      "iketcpd.conf:6: conn 'a': tcp_fallback: 'retry' is not one of udp, fail"));
	CHECK(refused(CONN_A "fragment_size = 575\n",
		      "iketcpd.conf:6: conn 'a': fragment_size: 575 is out of range (0, or 576..65535)"));
	CHECK(refused(CONN_A "fragmentation = maybe\n",
		      "iketcpd.conf:6: conn 'a': fragmentation: 'maybe' is not yes or no (nor true, false, on, off, 1, 0)"));
	CHECK(refused(CONN_A "mlkem_udp_max = 768\n",
		      "iketcpd.conf:6: conn 'a': mlkem_udp_max: '768' is not one of mlkem512, mlkem768, mlkem1024"));
	/* the key's name in 0.1 */
	CHECK(refused(CONN_A "encap = yes\n",
		      "iketcpd.conf:6: conn 'a': unknown key 'encap' (did you mean 'esp_transport'?)"));
	CHECK(refused("[conn a]\nlocal = 192.0.2.300\n",
		      "iketcpd.conf:2: conn 'a': local: '192.0.2.300' is not an IPv4 or IPv6 address"));
	CHECK(refused("[conn a]\nlocal = %any\n",
		      "iketcpd.conf:2: conn 'a': local: '%any' is not an IPv4 or IPv6 address"));
	CHECK(refused("[conn a]\nremote = gw.example.com\n",
		      "iketcpd.conf:2: conn 'a': remote: 'gw.example.com' is not an IPv4 or IPv6 address or %any"));
	CHECK(refused("[conn a]\nauth = eap\n",
		      "iketcpd.conf:2: conn 'a': auth: 'eap' is not one of psk, pubkey"));
	CHECK(refused(CONN_A "rekey_time = 1s\n",
		      "iketcpd.conf:6: conn 'a': rekey_time: 1s is out of range (5s..30d)"));
	CHECK(refused(CONN_A "rekey_jitter = 60%\n",
		      "iketcpd.conf:6: conn 'a': rekey_jitter: 60% is out of range (0%..50%)"));
	CHECK(refused(CONN_A "rekey_jitter = ten\n",
		      "iketcpd.conf:6: conn 'a': rekey_jitter: 'ten' is not a percentage like 10%"));
	CHECK(refused(CONN_A "ike = aes256-x25519\n",
		      "iketcpd.conf:6: conn 'a': ike: 'aes256-x25519' has no integrity algorithm (e.g. sha256)"));
	CHECK(refused(CONN_A "esp = aes256gcm16-prfsha256\n",
		      "iketcpd.conf:6: conn 'a': esp: 'prfsha256' in 'aes256gcm16-prfsha256': ESP proposals take no PRF"));
	CHECK(refused(CONN_A "ike = aes256gcm16-x25519,\n  aes256gcm16-x25519\n",
		      "iketcpd.conf:7: conn 'a': ike: 'aes256gcm16-x25519' repeats proposal 1"));
}

static void identities_of_every_type(void)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t v4[4] = { 198, 51, 100, 2 };
	static const struct {
		const char *value;
		uint8_t type;
		const void *data;
		size_t len;
	} ok[] = {
		{ "gw.example.com", IKE_ID_FQDN, "gw.example.com", 14 },
		{ "fqdn:gw.example.com", IKE_ID_FQDN, "gw.example.com", 14 },
		{ "admin@example.com", IKE_ID_RFC822_ADDR, "admin@example.com", 17 },
		{ "rfc822:admin@example.com", IKE_ID_RFC822_ADDR, "admin@example.com", 17 },
		{ "198.51.100.2", IKE_ID_IPV4_ADDR, v4, 4 },
		{ "ipv4:198.51.100.2", IKE_ID_IPV4_ADDR, v4, 4 },
		{ "2001:db8::1", IKE_ID_IPV6_ADDR, v6, 16 },
		{ "ipv6:2001:db8::1", IKE_ID_IPV6_ADDR, v6, 16 },
		{ "keyid:0xA0b1", IKE_ID_KEY_ID, "\xa0\xb1", 2 },
		{ "keyid:some key", IKE_ID_KEY_ID, "some key", 8 },
		{ "\"fqdn:quoted.example\"", IKE_ID_FQDN, "quoted.example", 14 },
	};
	static const struct {
		const char *value, *msg;
	} bad[] = {
		{ "gw example.com", "'gw example.com' is not a valid FQDN (letters, digits, '.', '-'; for a DN write dn:...)" },
		{ "C=CH, CN=x", "'C=CH, CN=x' is not a valid FQDN (letters, digits, '.', '-'; for a DN write dn:...)" },
		{ "email:admin", "'admin' is not an e-mail address" },
		{ "ipv4:2001:db8::1", "'2001:db8::1' is not an IPv4 address" },
		{ "ipv6:10.0.0.1", "'10.0.0.1' is not an IPv6 address" },
		{ "keyid:0xabc", "'0xabc' is not an even number of hex digits after 0x" },
		{ "dn:C=CH, XX=y", "'C=CH, XX=y' is not a DN: unknown attribute 'XX'" },
		{ "dn:C=Switzerland", "'C=Switzerland' is not a DN: bad value for C" },
		{ "dn:CN=", "'CN=' is not a DN: empty value of CN" },
		{ "dn:just text", "'just text' is not a DN: expected ATTRIBUTE=value" },
		{ "\"fqdn:x", "unterminated '\"' (note that \" ;\" starts a comment)" },
	};
	char text[512], want[1024];
	struct ik_config *cfg;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), CONN_A "remote_id = %s\n",
			 ok[i].value);
		cfg = parse_as("iketcpd.conf", text);
		CHECK(cfg != NULL);
		if (!cfg) {
			printf("# %s: %s\n", ok[i].value, err);
			continue;
		}
		CHECK(id_is(&cfg->conns[0]->remote_id, ok[i].type, ok[i].data,
			    ok[i].len));
		ik_config_free(cfg);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), CONN_A "local_id = %s\n",
			 bad[i].value);
		snprintf(want, sizeof(want),
			 "iketcpd.conf:6: conn 'a': local_id: %s", bad[i].msg);
		CHECK(refused(text, want));
	}
	/* a DN: escapes, emailAddress as E, spaces around '=' and ',' */
	cfg = parse_as("iketcpd.conf", CONN_A
		       "remote_id = dn: C = CH ,O=Example\\, Inc., E=pki@example.com\n");
	CHECK(cfg && dn_is(&cfg->conns[0]->remote_id,
			   "/C=CH/O=Example, Inc./emailAddress=pki@example.com"));
	ik_config_free(cfg);
	CHECK(refused(CONN_A "local_id = %any\n",
		      "iketcpd.conf:6: conn 'a': local_id: %any is for remote_id only"));
}

static void traffic_selectors(void)
{
	struct ik_config *cfg = parse_as("iketcpd.conf", CONN_A
		"local_ts = 192.0.2.1, 10.0.0.0/8[sctp/0-1023], 2001:db8::/32[47]\n"
		"remote_ts = 10.9.0.0/24[udp], 10.8.0.0-10.8.0.255[icmpv6]\n");
	const struct ik_conn *c;
	char many[512] = CONN_A "local_ts = 10.0.0.1";
	int i;

	CHECK(cfg != NULL);
	if (!cfg) {
		printf("# %s\n", err);
		return;
	}
	c = cfg->conns[0];
	CHECK(c->local_ts.n == 3 && c->remote_ts.n == 2);
	CHECK(ts_is(&c->local_ts.ts[0], "192.0.2.1", "192.0.2.1", 0, 0, 65535));
	CHECK(ts_is(&c->local_ts.ts[1], "10.0.0.0", "10.255.255.255", 132, 0,
		    1023));
	CHECK(ts_is(&c->local_ts.ts[2], "2001:db8::",
		    "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 47, 0, 65535));
	CHECK(ts_is(&c->remote_ts.ts[0], "10.9.0.0", "10.9.0.255", 17, 0, 65535));
	CHECK(ts_is(&c->remote_ts.ts[1], "10.8.0.0", "10.8.0.255", 58, 0,
		    65535));
	ik_config_free(cfg);

	CHECK(refused(CONN_A "local_ts = 10.1.2.3/16\n",
		      "iketcpd.conf:6: conn 'a': local_ts: '10.1.2.3/16' has host bits set (10.1.0.0/16?)"));
	CHECK(refused(CONN_A "local_ts = 2001:db8::1/64\n",
		      "iketcpd.conf:6: conn 'a': local_ts: '2001:db8::1/64' has host bits set (2001:db8::/64?)"));
	CHECK(refused(CONN_A "local_ts = 10.0.0.0/33\n",
		      "iketcpd.conf:6: conn 'a': local_ts: '/33' is not a prefix length of IPv4 (0..32)"));
	CHECK(refused(CONN_A "local_ts = 10.0.0.9-10.0.0.1\n",
		      "iketcpd.conf:6: conn 'a': local_ts: range '10.0.0.9-10.0.0.1' is reversed"));
	CHECK(refused(CONN_A "local_ts = 10.0.0.1-2001:db8::1\n",
		      "iketcpd.conf:6: conn 'a': local_ts: '10.0.0.1-2001:db8::1' is not a range of two addresses of one family"));
	CHECK(refused(CONN_A "local_ts = 10.0.0.0/8[icmp/8]\n",
		      "iketcpd.conf:6: conn 'a': local_ts: ports only with tcp, udp or sctp"));
	CHECK(refused(CONN_A "local_ts = 10.0.0.0/8[tcp/90-80]\n",
		      "iketcpd.conf:6: conn 'a': local_ts: port range 90-80 is reversed"));
	CHECK(refused(CONN_A "local_ts = 10.0.0.0/8[tcp/http]\n",
		      "iketcpd.conf:6: conn 'a': local_ts: bad port in 'http'"));
	CHECK(refused(CONN_A "local_ts = 10.0.0.0/8[tcp\n",
		      "iketcpd.conf:6: conn 'a': local_ts: '10.0.0.0/8[tcp': missing ']'"));
	CHECK(refused(CONN_A "local_ts = 10.0.0.0/8[ipip]\n",
		      "iketcpd.conf:6: conn 'a': local_ts: 'ipip' is not a protocol (tcp, udp, sctp, icmp, icmpv6, gre or 1..255)"));
	CHECK(refused(CONN_A "local_ts = 10.0.0.0/8,,10.1.0.0/16\n",
		      "iketcpd.conf:6: conn 'a': local_ts: empty item in the list"));
	CHECK(refused(CONN_A "local_ts = any\n",
		      "iketcpd.conf:6: conn 'a': local_ts: 'any' is not an address"));
	for (i = 2; i <= 17; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
			 ", 10.0.0.%d", i);
	strcat(many, "\n");
	CHECK(refused(many,
		      "iketcpd.conf:6: conn 'a': local_ts: more than 16 selectors"));
}

/* ---- a connection as a whole ------------------------------------------- */

static void missing_required_keys_name_the_section_line(void)
{
	CHECK(refused("[global]\n\n[conn b]\nlocal = 192.0.2.1\nauth = psk\n",
		      "iketcpd.conf:3: conn 'b': missing required key 'remote'"));
	CHECK(refused("[conn b]\nlocal = 192.0.2.1\nremote = %any\n",
		      "iketcpd.conf:1: conn 'b': missing required key 'auth'"));
	CHECK(refused("[conn b]\n",
		      "iketcpd.conf:1: conn 'b': missing required key 'local'"));
	CHECK(refused(CONN_A "[conn c]\nlocal = 192.0.2.1\nremote = %any\nauth = psk\n",
		      "iketcpd.conf:6: conn 'c': missing 'psk' or 'psk_file' (auth = psk)"));
	CHECK(refused("\n[conn c]\nlocal = 192.0.2.1\nremote = %any\nauth = pubkey\n",
		      "iketcpd.conf:2: conn 'c': missing required key 'cert' (auth = pubkey)"));
}

static void rules_between_keys(void)
{
	CHECK(refused(CONN_A "psk_file = /nonexistent\n",
		      "iketcpd.conf:6: conn 'a': psk_file: /nonexistent: No such file or directory"));
	CHECK(refused(CONN_A "remote = 2001:db8::2\n",
		      "iketcpd.conf:6: conn 'a': duplicate key 'remote' (first on line 3)"));
	CHECK(refused("[conn a]\nlocal = 192.0.2.1\nremote = 2001:db8::2\nauth = psk\npsk = 0123456789\n",
		      "iketcpd.conf:3: conn 'a': remote is IPv6 but local is IPv4"));
	CHECK(refused("[conn a]\nlocal = 192.0.2.1\nremote = %any\nauth = psk\npsk = 0123456789\nstart = initiate\n",
		      "iketcpd.conf:6: conn 'a': start = initiate needs a remote address, not %any"));
	CHECK(refused(CONN_A "esp = aes256gcm16-x25519, aes128gcm16\n",
		      "iketcpd.conf:6: conn 'a': esp: a key exchange (PFS) in some proposals but not all"));
	CHECK(accepted(CONN_A "rekey_time = 2h\n"));
	CHECK(refused(CONN_A "rekey_time = 2h\nlifetime = 2h\n",
		      "iketcpd.conf:7: conn 'a': lifetime (2h) must be longer than rekey_time (2h)"));
	CHECK(refused(CONN_A "ike_lifetime = 1h\n",
		      "iketcpd.conf:6: conn 'a': ike_lifetime (1h) must be longer than ike_rekey_time (4h)"));
	CHECK(refused("[global]\nport = 4500\n",
		      "iketcpd.conf:2: global: port and natt_port are both 4500"));
	CHECK(refused("[global]\nretransmit_timeout = 10s\nretransmit_max = 5s\n",
		      "iketcpd.conf:3: global: retransmit_timeout (10s) is longer than retransmit_max (5s)"));
	CHECK(refused("[global]\nretransmit_timeout = 40s\n",
		      "iketcpd.conf:2: global: retransmit_timeout (40s) is longer than retransmit_max (32s)"));
}

/* One value of key in conn a (line 6) parses to want (an int-sized enum). */
static bool conn_enum_is(const char *key, const char *value, size_t off,
			 int want)
{
	struct ik_config *cfg;
	char text[512];
	bool ok;

	snprintf(text, sizeof(text), CONN_A "%s = %s\n", key, value);
	cfg = parse_as("iketcpd.conf", text);
	if (!cfg) {
		printf("#  %s = %s: %s\n", key, value, err);
		return false;
	}
	ok = *(const int *)((const char *)cfg->conns[0] + off) == want;
	if (!ok)
		printf("#  %s = %s: got %d, want %d\n", key, value,
		       *(const int *)((const char *)cfg->conns[0] + off), want);
	ik_config_free(cfg);
	return ok;
}

static void transport_names_and_esp_over_tcp_needs_ike_over_tcp(void)
{
	static const struct {
		const char *key, *value;
		size_t off;
		int want;
	} names[] = {
		{ "ike_transport", "udp", offsetof(struct ik_conn, ike_transport), IK_IKE_UDP },
		{ "ike_transport", "tcp", offsetof(struct ik_conn, ike_transport), IK_IKE_TCP },
		{ "ike_transport", "separate-udp", offsetof(struct ik_conn, ike_transport), IK_IKE_SEP_UDP },
		{ "ike_transport", "separate-tcp", offsetof(struct ik_conn, ike_transport), IK_IKE_SEP_TCP },
		{ "esp_transport", "auto", offsetof(struct ik_conn, encap), IK_ENCAP_AUTO },
		{ "esp_transport", "ip", offsetof(struct ik_conn, encap), IK_ENCAP_IP },
		{ "esp_transport", "udp", offsetof(struct ik_conn, encap), IK_ENCAP_UDP },
		{ "tcp_fallback", "udp", offsetof(struct ik_conn, tcp_fallback), IK_TCP_FALLBACK_UDP },
		{ "tcp_fallback", "fail", offsetof(struct ik_conn, tcp_fallback), IK_TCP_FALLBACK_FAIL },
		{ "mlkem_udp_max", "mlkem512", offsetof(struct ik_conn, mlkem_udp_max), IKE_KE_MLKEM512 },
		{ "mlkem_udp_max", "mlkem768", offsetof(struct ik_conn, mlkem_udp_max), IKE_KE_MLKEM768 },
		{ "mlkem_udp_max", "mlkem1024", offsetof(struct ik_conn, mlkem_udp_max), IKE_KE_MLKEM1024 },
	};
	static const char *const ike_over_tcp[] = {
		"tcp", "separate-udp", "separate-tcp"
	};
	static const struct {
		const char *value;
		bool want;
	} bools[] = {
		{ "yes", true }, { "no", false }, { "true", true },
		{ "false", false }, { "on", true }, { "off", false },
		{ "1", true }, { "0", false },
	};
	struct ik_config *cfg;
	char text[512];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		CHECK(conn_enum_is(names[i].key, names[i].value, names[i].off,
				   names[i].want));
	for (i = 0; i < sizeof(ike_over_tcp) / sizeof(ike_over_tcp[0]); i++) {
		snprintf(text, sizeof(text),
			 CONN_A "esp_transport = tcp\nike_transport = %s\n",
			 ike_over_tcp[i]);
		cfg = parse_as("iketcpd.conf", text);
		CHECK(cfg && cfg->conns[0]->encap == IK_ENCAP_TCP);
		ik_config_free(cfg);
	}
	CHECK(refused(CONN_A "esp_transport = tcp\nike_transport = udp\n",
		      "iketcpd.conf:6: conn 'a': esp_transport = tcp needs ike_transport = tcp, separate-udp or separate-tcp"));
	/* TCP 500's framing carries no ESP */
	CHECK(refused(CONN_A "esp_transport = tcp\nike_transport = tcp500\n",
		      "iketcpd.conf:6: conn 'a': esp_transport = tcp needs ike_transport = tcp, separate-udp or separate-tcp"));
	cfg = parse_as("iketcpd.conf", CONN_A "ike_transport = auto\n"
		       "tcp500_threshold = 900\n");
	CHECK(cfg && cfg->conns[0]->ike_transport == IK_IKE_AUTO &&
	      cfg->conns[0]->tcp500_threshold == 900 &&
	      cfg->global.tcp500_listen && cfg->global.tcp500_port == 500 &&
	      cfg->global.tcps_notify == 48201 &&
	      cfg->global.tcp500_idle_timeout_ms == 5000);
	ik_config_free(cfg);
	CHECK(refused("[global]\nike_tcp_supported_notify = 500\n",
		      "iketcpd.conf:2: global: ike_tcp_supported_notify: 500 is out of range (40960..65535)"));
	/* udp by default: the line is still esp_transport's */
	CHECK(refused(CONN_A "mode = tunnel\nesp_transport = tcp\n",
		      "iketcpd.conf:7: conn 'a': esp_transport = tcp needs ike_transport = tcp, separate-udp or separate-tcp"));
	for (i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		snprintf(text, sizeof(text),
			 "[global]\ntcp_listen = %s\nseparate_transports = %s\n",
			 bools[i].value, bools[i].value);
		cfg = parse_as("iketcpd.conf", text);
		CHECK(cfg && cfg->global.tcp_listen == bools[i].want &&
		      cfg->global.separate_transports == bools[i].want);
		ik_config_free(cfg);
	}
	cfg = parse_as("iketcpd.conf",
		       "[global]\ntcp_port = 1\nseparate_transports_notify = 40960\n"
		       "tcp_idle_timeout = 1s\n");
	CHECK(cfg && cfg->global.tcp_port == 1 &&
	      cfg->global.sep_notify == 40960 &&
	      cfg->global.tcp_idle_timeout_ms == 1000);
	ik_config_free(cfg);
	cfg = parse_as("iketcpd.conf",
		       "[global]\ntcp_port = 65535\nseparate_transports_notify = 65535\n"
		       "tcp_idle_timeout = 1h\n");
	CHECK(cfg && cfg->global.tcp_port == 65535 &&
	      cfg->global.sep_notify == 65535 &&
	      cfg->global.tcp_idle_timeout_ms == 3600000);
	ik_config_free(cfg);
}

static void credentials_belong_to_their_auth(void)
{
	fixture();
	CHECK(refused_in_dir(CONN_A "cert = cert.pem\n",
			     "%s/iketcpd.conf:6: conn 'a': cert: not used with auth = psk"));
	CHECK(refused_in_dir(CONN_A "psk_file = psk.txt\n",
			     "%s/iketcpd.conf:6: conn 'a': psk_file and psk (line 5) both given"));
	CHECK(refused_in_dir("[conn b]\nlocal = 192.0.2.1\nremote = %any\nauth = pubkey\n"
			     "cert = cert.pem\nkey = key.pem\nca = ca1.pem\npsk = 0123456789\n",
			     "%s/iketcpd.conf:8: conn 'b': psk: not used with auth = pubkey"));
	unfixture();
}

/* ---- secrets and files ------------------------------------------------- */

static void psk_forms_and_the_secret_stays_out_of_messages(void)
{
	struct ik_config *cfg;
	char text[512];

	cfg = parse_as("iketcpd.conf",
		       "[conn a]\nlocal = 192.0.2.1\nremote = 198.51.100.2\n"
		       "auth = psk\npsk = 0xDEADbeef00112233\n");
	CHECK(cfg && cfg->conns[0]->psk.len == 8 &&
	      memcmp(cfg->conns[0]->psk.p,
		     "\xde\xad\xbe\xef\x00\x11\x22\x33", 8) == 0);
	ik_config_free(cfg);

	CHECK(refused("[conn a]\nauth = psk\npsk = s3cr3t!\n",
		      "iketcpd.conf:3: conn 'a': psk: a PSK of 7 bytes; it needs 8 to 1024"));
	CHECK(refused("[conn a]\npsk = 0xdeadbeefcafe12345\n",
		      "iketcpd.conf:2: conn 'a': psk: not an even number of hex digits after 0x, or more than 1024 bytes"));
	CHECK(refused("[conn a]\npsk = 0xdeadbeefcafe12zz\n",
		      "iketcpd.conf:2: conn 'a': psk: not an even number of hex digits after 0x, or more than 1024 bytes"));
	CHECK(refused("[conn a]\npsk = \"open quote ; hidden-secret\"\n",
		      "iketcpd.conf:2: conn 'a': psk: unterminated '\"' (note that \" ;\" starts a comment)"));
	CHECK(strstr(err, "hidden-secret") == NULL && strstr(err, "open quote") == NULL);
	/* a secret on a line that is not a key never shows */
	CHECK(refused("[conn a]\nhunter2hunter2\n",
		      "iketcpd.conf:2: conn 'a': expected 'key = value', [global] or [conn NAME]"));
	/* an error later in the section does not show it either */
	snprintf(text, sizeof(text), "%s", CONN_A "rekey_time = soon\n");
	CHECK(refused(text,
		      "iketcpd.conf:6: conn 'a': rekey_time: 'soon' is not a duration (e.g. 500ms, 30s, 5m, 2h, 1d)"));
	CHECK(strstr(err, "0123456789") == NULL);
}

static void psk_file_is_read_once_and_must_be_private(void)
{
	static const char conf[] =
		"[conn a]\nlocal = 192.0.2.1\nremote = 198.51.100.2\n"
		"auth = psk\npsk_file = psk.txt\n";
	struct ik_config *cfg;

	fixture();
	put_file("psk.txt", "a long enough text secret\r\n\n", 0640);
	cfg = parse_in_dir(conf);
	CHECK(cfg && cfg->conns[0]->psk.len == 25 &&
	      memcmp(cfg->conns[0]->psk.p, "a long enough text secret", 25) == 0);
	/* read once: changing the file does not change the loaded config */
	put_file("psk.txt", "another secret, same length", 0600);
	CHECK(cfg && memcmp(cfg->conns[0]->psk.p, "a long enough", 13) == 0);
	ik_config_free(cfg);

	put_file("psk.txt", "0x00112233445566778899\n", 0604);
	CHECK(refused_in_dir(conf,
			     "%s/iketcpd.conf:5: conn 'a': psk_file: %s/psk.txt: others can access it (mode 0604): chmod o-rwx it"));
	put_file("psk.txt", "short\n", 0600);
	CHECK(refused_in_dir(conf,
			     "%s/iketcpd.conf:5: conn 'a': psk_file: a PSK of 5 bytes; it needs 8 to 1024"));
	{
		char huge[4096];

		memset(huge, 'x', sizeof(huge) - 1);
		huge[sizeof(huge) - 1] = '\0';
		put_file("psk.txt", huge, 0600);
		CHECK(refused_in_dir(conf,
				     "%s/iketcpd.conf:5: conn 'a': psk_file: %s/psk.txt: longer than a PSK can be"));
	}
	put_file("psk.txt", "\n", 0600);
	CHECK(refused_in_dir(conf,
			     "%s/iketcpd.conf:5: conn 'a': psk_file: a PSK of 0 bytes; it needs 8 to 1024"));
	{
		char path[PATH_MAX + 64];

		snprintf(path, sizeof(path), "%s/psk.txt", dir);
		unlink(path);
	}
	CHECK(refused_in_dir(conf,
			     "%s/iketcpd.conf:5: conn 'a': psk_file: %s/psk.txt: No such file or directory"));
	unfixture();
}

static void config_file_permissions(void)
{
	char path[PATH_MAX + 64], want[PATH_MAX + 256];
	struct ik_config *cfg = NULL;

	fixture();
	snprintf(path, sizeof(path), "%s/iketcpd.conf", dir);
	put_file("iketcpd.conf", CONN_A, 0644);
	CHECK(ik_config_load(path, &cfg, err, sizeof(err)) == -1 && !cfg);
	snprintf(want, sizeof(want),
		 "%s:5: conn 'a': psk: an inline PSK in a file others can access (mode 0644): chmod o-rwx it, or use psk_file",
		 path);
	CHECK(strcmp(err, want) == 0);
	chmod(path, 0600);
	CHECK(ik_config_load(path, &cfg, err, sizeof(err)) == 0 && cfg);
	CHECK(cfg && strcmp(cfg->path, path) == 0 && cfg->n_conns == 1);
	ik_config_free(cfg);
	/* without inline PSKs the file may be readable by all */
	put_file("iketcpd.conf", "[global]\nport = 501\n", 0644);
	CHECK(ik_config_load(path, &cfg, err, sizeof(err)) == 0 && cfg &&
	      cfg->global.port == 501);
	ik_config_free(cfg);
	/* nor may others write it */
	chmod(path, 0666);
	CHECK(ik_config_load(path, &cfg, err, sizeof(err)) == -1 && !cfg);
	snprintf(want, sizeof(want),
		 "%s: others can write it (mode 0666): chmod o-w it", path);
	CHECK(strcmp(err, want) == 0);
	unfixture();
}

static void key_must_be_private_and_files_must_exist(void)
{
	static const char conf[] =
		"[conn b]\nlocal = 192.0.2.1\nremote = %any\nauth = pubkey\n"
		"cert = cert.pem\nkey = key.pem\nca = ca1.pem\n";
	struct ik_config *cfg;
	char missing[1024];

	fixture();
	cfg = parse_in_dir(conf);
	CHECK(cfg != NULL);
	ik_config_free(cfg);
	put_file("key.pem", "private key\n", 0644);
	CHECK(refused_in_dir(conf,
			     "%s/iketcpd.conf:6: conn 'b': key: %s/key.pem: others can access it (mode 0644): chmod o-rwx it"));
	put_file("key.pem", "private key\n", 0640);
	cfg = parse_in_dir(conf);
	CHECK(cfg != NULL);
	ik_config_free(cfg);
	snprintf(missing, sizeof(missing), "%s",
		 "[conn b]\nlocal = 192.0.2.1\nremote = %any\nauth = pubkey\n"
		 "cert = cert.pem\nkey = key.pem\nca = ca1.pem,\n  ca3.pem\n");
	CHECK(refused_in_dir(missing,
			     "%s/iketcpd.conf:8: conn 'b': ca: %s/ca3.pem: No such file or directory"));
	CHECK(refused_in_dir("[conn b]\ncert = /\n",
			     "%s/iketcpd.conf:2: conn 'b': cert: /: not a regular file"));
	unfixture();
}

static void load_errors_of_the_file_itself(void)
{
	struct ik_config *cfg = (void *)1;
	size_t big = IK_CONFIG_MAX_BYTES + 1;
	char *text = malloc(big + 1);

	CHECK(text != NULL);
	if (text) {
		memset(text, '\n', big);
		text[big] = '\0';
		CHECK(parse_as("iketcpd.conf", text) == NULL);
		CHECK(strcmp(err, "iketcpd.conf: larger than 1048576 bytes") == 0);
		text[big - 1] = '\0';		/* exactly the limit: fine */
		cfg = parse_as("iketcpd.conf", text);
		CHECK(cfg != NULL);
		ik_config_free(cfg);
		free(text);
	}

	cfg = (void *)1;
	CHECK(ik_config_load("/nonexistent/iketcpd.conf", &cfg, err,
			     sizeof(err)) == -1 && cfg == NULL);
	CHECK(strcmp(err, "/nonexistent/iketcpd.conf: No such file or directory") == 0);
	CHECK(ik_config_load("/tmp", &cfg, err, sizeof(err)) == -1);
	CHECK(strcmp(err, "/tmp: not a regular file") == 0);
}

/* ---- reload ------------------------------------------------------------ */

static void conn_equal_tells_what_a_reload_changed(void)
{
	static const char base[] =
		"[global]\nliveness_interval = 30s\n"
		"[conn a]\nlocal = 192.0.2.1\nremote = 198.51.100.2\nauth = psk\n"
		"psk = 0123456789\n"
		"[conn b]\nlocal = 192.0.2.1\nremote = 198.51.100.3\nauth = psk\n"
		"psk = 0123456789\nliveness_interval = 30s\n"
		"[conn c]\nlocal = 192.0.2.1\nremote = 198.51.100.4\nauth = psk\n"
		"psk = 0123456789\n";
	static const struct {
		const char *from, *to;
		bool a, b, c, g;	/* equal afterwards; g: [global] */
	} changes[] = {
		/* comments, order of keys and of sections, explicit defaults */
		{ "[conn c]", "; moved\n\n[conn c]\nmode = tunnel", true, true, true, true },
		{ "[conn c]", "[conn c]\nike_transport = udp\nesp_transport = auto\ntcp_fallback = udp",
		  true, true, true, true },
		{ "[conn a]", "tcp_port = 4500\ntcp_listen = yes\n[conn a]", true, true, true, true },
		/* a PSK of the same length */
		{ "[conn a]\nlocal = 192.0.2.1\nremote = 198.51.100.2\nauth = psk\npsk = 0123456789",
		  "[conn a]\nlocal = 192.0.2.1\nremote = 198.51.100.2\nauth = psk\npsk = 0123456780",
		  false, true, true, true },
		/* [global] changes what a and c inherit; b set its own */
		{ "liveness_interval = 30s\n[conn a]", "liveness_interval = 10s\n[conn a]",
		  false, true, false, false },
		{ "remote = 198.51.100.4", "remote = 198.51.100.5", true, true, false, true },
		{ "remote = 198.51.100.3\nauth = psk", "remote = 198.51.100.3\nesp = aes128gcm16\nauth = psk",
		  true, false, true, true },
		{ "remote = 198.51.100.4", "remote = 198.51.100.4\nike_transport = tcp",
		  true, true, false, true },
		{ "remote = 198.51.100.4", "remote = 198.51.100.4\nesp_transport = ip",
		  true, true, false, true },
		{ "remote = 198.51.100.2\n", "remote = 198.51.100.2\ntcp_fallback = fail\n",
		  false, true, true, true },
		/* connections inherit none of the TCP keys */
		{ "[conn a]", "tcp_port = 4501\n[conn a]", true, true, true, false },
		{ "[conn a]", "tcp_listen = no\n[conn a]", true, true, true, false },
		{ "[conn a]", "separate_transports = no\n[conn a]", true, true, true, false },
		{ "[conn a]", "separate_transports_notify = 48201\n[conn a]", true, true, true, false },
		{ "[conn a]", "tcp_idle_timeout = 31s\n[conn a]", true, true, true, false },
	};
	struct ik_config *old = parse_as("iketcpd.conf", base), *new;
	char text[2048], *at;
	size_t i;

	CHECK(old != NULL);
	if (!old)
		return;
	for (i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		at = strstr(base, changes[i].from);
		CHECK(at != NULL);
		if (!at)
			continue;
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - base), base,
			 changes[i].to, at + strlen(changes[i].from));
		new = parse_as("iketcpd.conf", text);
		CHECK(new != NULL);
		if (!new) {
			printf("# %s\n", err);
			continue;
		}
		if (ik_conn_equal(ik_config_conn(old, "a"), ik_config_conn(new, "a")) != changes[i].a ||
		    ik_conn_equal(ik_config_conn(old, "b"), ik_config_conn(new, "b")) != changes[i].b ||
		    ik_conn_equal(ik_config_conn(old, "c"), ik_config_conn(new, "c")) != changes[i].c) {
			printf("# change %zu\n", i);
			CHECK(false);
		}
		if (ik_global_equal(&old->global, &new->global) != changes[i].g) {
			printf("# change %zu: [global]\n", i);
			CHECK(false);
		}
		ik_config_free(new);
	}
	ik_config_free(old);
}

static void conn_equal_sees_a_replaced_certificate(void)
{
	static const char conf[] =
		"[conn b]\nlocal = 192.0.2.1\nremote = %any\nauth = pubkey\n"
		"cert = cert.pem\nkey = key.pem\nca = ca1.pem\n";
	struct ik_config *a, *b;

	fixture();
	a = parse_in_dir(conf);
	b = parse_in_dir(conf);
	CHECK(a && b && ik_conn_equal(a->conns[0], b->conns[0]));
	ik_config_free(b);
	put_file("other.pem", "renewed certificate\n", 0644);
	{
		char from[PATH_MAX + 64], to[PATH_MAX + 64];

		snprintf(from, sizeof(from), "%s/other.pem", dir);
		snprintf(to, sizeof(to), "%s/cert.pem", dir);
		CHECK(rename(from, to) == 0);
	}
	b = parse_in_dir(conf);
	CHECK(a && b && !ik_conn_equal(a->conns[0], b->conns[0]));
	ik_config_free(a);
	ik_config_free(b);
	unfixture();
}

static void retransmit_schedule_and_give_up(void)
{
	struct ik_config *cfg = parse_as("iketcpd.conf", "[global]\n");
	static const uint64_t want[] = { 1000, 2000, 4000, 8000, 16000, 32000, 0 };
	size_t i;

	CHECK(cfg != NULL);
	if (!cfg)
		return;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK(ik_retransmit_delay_ms(&cfg->global, (unsigned)i) == want[i]);
	ik_config_free(cfg);

	cfg = parse_as("iketcpd.conf",
		       "[global]\nretransmit_timeout = 500ms\nretransmit_factor = 1.5\n"
		       "retransmit_max = 2s\nretransmit_tries = 5\n");
	{
		static const uint64_t w2[] = { 500, 750, 1125, 1687, 2000, 2000, 0 };

		for (i = 0; cfg && i < sizeof(w2) / sizeof(w2[0]); i++)
			CHECK(ik_retransmit_delay_ms(&cfg->global, (unsigned)i) == w2[i]);
	}
	ik_config_free(cfg);
}

/* ---- the example shipped with the man page ----------------------------- */

static void example_config_loads(void)
{
	char src[PATH_MAX], path[PATH_MAX + 64], *slash, *text = NULL;
	struct ik_config *cfg = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(src, sizeof(src), "%s", __FILE__);
	slash = strrchr(src, '/');
	snprintf(slash ? slash + 1 : src, sizeof(src) - (size_t)(slash ? slash + 1 - src : 0),
		 "iketcpd.conf.example");
	f = fopen(src, "r");
	CHECK(f != NULL);
	if (!f) {
		printf("# %s: %s\n", src, strerror(errno));
		return;
	}
	CHECK(getdelim(&text, &len, '\0', f) > 0);
	fclose(f);
	fixture();
	/* the files it names, relative to /etc/iketcp */
	mkdir(strcat(strcpy(path, dir), "/certs"), 0755);
	mkdir(strcat(strcpy(path, dir), "/private"), 0700);
	put_file("certs/gw-a.pem", "certificate\n", 0644);
	put_file("certs/ca.pem", "trust anchor\n", 0644);
	put_file("certs/ca-old.pem", "trust anchor\n", 0644);
	put_file("private/gw-a.key", "private key\n", 0600);
	put_file("private/site-c.psk", "0x00112233445566778899aabbccddeeff\n", 0600);
	put_file("private/site-d.psk", "0xffeeddccbbaa99887766554433221100\n", 0600);
	cfg = parse_in_dir(text);
	if (!cfg)
		printf("# %s\n", err);
	CHECK(cfg != NULL);
	CHECK(cfg && cfg->n_conns == 4);
	CHECK(cfg && ik_config_conn(cfg, "site-b") &&
	      ik_config_conn(cfg, "roadwarriors") &&
	      ik_config_conn(cfg, "site-c") && ik_config_conn(cfg, "site-d"));
	CHECK(cfg && ik_config_conn(cfg, "site-d") &&
	      ik_config_conn(cfg, "site-d")->ike_transport == IK_IKE_SEP_UDP);
	ik_config_free(cfg);
	free(text);
	{
		static const char *const made[] = {
			"certs/gw-a.pem", "certs/ca.pem", "certs/ca-old.pem",
			"private/gw-a.key", "private/site-c.psk",
			"private/site-d.psk", NULL
		};
		size_t i;

		for (i = 0; made[i]; i++)
			unlink(strcat(strcat(strcpy(path, dir), "/"), made[i]));
		rmdir(strcat(strcpy(path, dir), "/certs"));
		rmdir(strcat(strcpy(path, dir), "/private"));
	}
	unfixture();
}

static const struct ktap_case cases[] = {
	KTAP_CASE(full_config_every_field),
	KTAP_CASE(defaults_and_what_connections_inherit),
	KTAP_CASE(an_empty_file_is_a_valid_one),
	KTAP_CASE(errors_name_file_line_and_problem),
	KTAP_CASE(sections),
	KTAP_CASE(line_syntax),
	KTAP_CASE(crlf_bom_and_comments),
	KTAP_CASE(continuation_lines_extend_lists_only),
	KTAP_CASE(global_values_are_range_checked),
	KTAP_CASE(connection_values_are_checked),
	KTAP_CASE(identities_of_every_type),
	KTAP_CASE(traffic_selectors),
	KTAP_CASE(missing_required_keys_name_the_section_line),
	KTAP_CASE(rules_between_keys),
	KTAP_CASE(transport_names_and_esp_over_tcp_needs_ike_over_tcp),
	KTAP_CASE(credentials_belong_to_their_auth),
	KTAP_CASE(psk_forms_and_the_secret_stays_out_of_messages),
	KTAP_CASE(psk_file_is_read_once_and_must_be_private),
	KTAP_CASE(config_file_permissions),
	KTAP_CASE(key_must_be_private_and_files_must_exist),
	KTAP_CASE(load_errors_of_the_file_itself),
	KTAP_CASE(conn_equal_tells_what_a_reload_changed),
	KTAP_CASE(conn_equal_sees_a_replaced_certificate),
	KTAP_CASE(retransmit_schedule_and_give_up),
	KTAP_CASE(example_config_loads),
};

KTAP_MAIN(cases)
