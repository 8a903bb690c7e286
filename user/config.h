/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iketcpd.conf: loading it into a checked struct ik_config, looking
 * connections up, and telling which connections a reload changed.
 * iketcpd.conf(5) is the operator's description of every key; config.c
 * holds the key table (one line a key) and the rules.
 *
 * Loading either succeeds whole or fails with one message naming file, line
 * and problem ("iketcpd.conf:12: conn 'site-b': unknown key 'rmote'"); a
 * struct ik_config is never half-filled.  Everything in it is resolved:
 * defaults applied, [global] values inherited by each connection, relative
 * paths made absolute, the PSK read.  Nothing in it changes after loading.
 *
 * Secrets: a connection's PSK lives in conn->psk only (read from the file
 * once, never copied elsewhere by this module, never printed in an error or
 * by any function here) and is wiped with explicit_bzero() by
 * ik_config_free().  Private keys are not read here: conn->key names the
 * file; the credential code reads it.
 *
 * Room for later releases: large messages and ML-KEM (issue 21) add
 * fragmentation keys, and proposals with additional key exchanges need only
 * IK_MAX_ADDKE in proposal.h.  Each key is one line of the table in
 * config.c plus a field here.
 */
#ifndef IKETCPD_CONFIG_H
#define IKETCPD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "ike/msg.h"		/* struct ike_ts, IKE_MAX_TS */
#include "proposal.h"

#define IK_CONFIG_PATH		"/etc/iketcp/iketcpd.conf"
#define IK_CTL_SOCKET_DEFAULT	"/run/iketcp/iketcpd.ctl"

#define IK_CONFIG_MAX_BYTES	(1 << 20)	/* of the file */
#define IK_CONN_NAME_MAX	32
#define IK_PSK_MIN		8		/* bytes */
#define IK_PSK_MAX		1024
#define IK_ID_MAX		1024		/* bytes of ID data */
#define IK_MAX_CA		16

/* syslog(3) priorities, so the journal and stderr agree */
enum ik_log_level {
	IK_LOG_ERR	= 3,
	IK_LOG_WARNING	= 4,
	IK_LOG_NOTICE	= 5,
	IK_LOG_INFO	= 6,
	IK_LOG_DEBUG	= 7,
};

/* All durations are in milliseconds. */
struct ik_global {
	enum ik_log_level log_level;
	char *ctl_socket;			/* absolute path */
	uint16_t port;				/* UDP, IKE: 500 */
	uint16_t natt_port;			/* UDP, NAT-T: 4500 */

	/*
	 * RFC 7296 2.4 over UDP: wait n (0 = after the first send) is
	 * min(retransmit_timeout * factor^n, retransmit_max); after
	 * retransmit_tries retransmissions and the last wait, give up.
	 * ik_retransmit_delay_ms() computes it.
	 */
	uint64_t retransmit_timeout_ms;
	uint16_t retransmit_factor;		/* hundredths: 200 = x2.0 */
	uint64_t retransmit_max_ms;
	uint32_t retransmit_tries;

	uint32_t cookie_threshold;		/* half-open IKE SAs; 0: always */
	uint64_t liveness_interval_ms;		/* 0: off; default of each conn */
	uint64_t liveness_timeout_ms;		/* default of each conn */
	uint64_t nat_keepalive_ms;		/* 0: off */
	uint32_t replay_window;			/* packets, for XFRM states */

	/*
	 * IKE over TCP (RFC 9329) and separate transports
	 * (draft-ietf-ipsecme-ikev2-reliable-transport): the TCP port we
	 * listen on (if tcp_listen) and connect to; whether a responder
	 * echoes SEPARATE_TRANSPORTS; that notify's status type (private
	 * use, no IANA number yet); how long an accepted TCP connection may
	 * stay without an IKE SA.
	 */
	uint16_t tcp_port;			/* TCP: 4500 */
	bool tcp_listen;
	bool separate_transports;
	uint16_t sep_notify;			/* 40960..65535: 48200 */
	uint64_t tcp_idle_timeout_ms;
	/* IKE on TCP, ESP on IP or UDP: ESP sent without an answer for this
	 * long moves into the TCP connection (0: never) */
	uint64_t esp_fail_timeout_ms;
	/* after a TCP start with SEPARATE_TRANSPORTS echoed: how long the
	 * initiator's ESP path probe waits for an answer (0: no probe) */
	uint64_t esp_probe_timeout_ms;
	/* IKE over TCP port 500 (draft-ietf-ipsecme-ike-tcp, legacy ULP):
	 * listen, the port announced in IKE_TCP_SUPPORTED (0: tcp500_port),
	 * that notify's number, and the idle close of accepted connections */
	bool tcp500_listen;
	uint16_t tcp500_port, tcp500_public_port, tcps_notify;
	uint64_t tcp500_idle_timeout_ms;
};

/* An address; family AF_UNSPEC is %any (a responder's remote). */
struct ik_addr {
	int family;				/* AF_INET, AF_INET6, AF_UNSPEC */
	uint8_t a[16];				/* network order; 4 bytes for v4 */
};

#define IK_ID_NONE	0
/*
 * An identity as it goes in an ID payload: type (enum ike_id_type) and
 * data (FQDN and RFC822: the text; IPv4/IPv6: 4/16 bytes; KEY_ID: the
 * bytes; DER_ASN1_DN: DER made by OpenSSL from the text, so compare DNs
 * with X509_NAME_cmp(), not bytes).  text is what the file said, for logs
 * (NULL for a local_id left to the certificate).
 *
 * type IK_ID_NONE: for remote_id, %any (any identity the authentication
 * accepts); for local_id, only with auth = pubkey and no local_id given:
 * the subject DN of conn->cert, which the credential code fills in.
 */
struct ik_id {
	uint8_t type;
	uint16_t len;
	uint8_t *data;
	char *text;
};

/* Secret bytes; wiped on free. */
struct ik_secret {
	uint8_t *p;
	size_t len;
};

/*
 * A file named by the config (cert, key, ca) and what stat() said of it at
 * load time: a replaced or rewritten file makes ik_conn_equal() false.
 */
struct ik_file {
	char *path;				/* absolute */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct ik_ts_list {
	uint8_t n;				/* 0: the IKE address only */
	struct ike_ts ts[IKE_MAX_TS];
};

enum ik_auth { IK_AUTH_PSK = 1, IK_AUTH_PUBKEY };
enum ik_mode { IK_MODE_TUNNEL, IK_MODE_TRANSPORT };
enum ik_start { IK_START_LISTEN, IK_START_INITIATE };
/*
 * How IKE travels (ike_transport): UDP 500/4500 (RFC 7296); TCP from the
 * start (RFC 9329); IKE_SA_INIT over UDP or over TCP with
 * SEPARATE_TRANSPORTS, the rest of IKE over TCP.
 */
enum ik_ike_transport {
	IK_IKE_UDP, IK_IKE_TCP, IK_IKE_SEP_UDP, IK_IKE_SEP_TCP,
	IK_IKE_TCP500, IK_IKE_AUTO	/* draft-ietf-ipsecme-ike-tcp */
};
/*
 * How ESP travels (esp_transport): auto (IP; UDP when NATed; TCP when IKE
 * is on TCP without the SEPARATE_TRANSPORTS echo), bare IP, UDP 4500
 * always, or in the IKE TCP connection.
 */
enum ik_encap { IK_ENCAP_AUTO, IK_ENCAP_UDP, IK_ENCAP_IP, IK_ENCAP_TCP };
/* separate-udp, no TCP connection: restart over UDP without it, or give up */
enum ik_tcp_fallback { IK_TCP_FALLBACK_UDP, IK_TCP_FALLBACK_FAIL };

struct ik_conn {
	char *name;
	unsigned line;				/* of its [conn NAME] */

	struct ik_addr local, remote;
	struct ik_id local_id, remote_id;

	enum ik_auth auth;
	struct ik_secret psk;			/* auth = psk */
	struct ik_file cert, key;		/* auth = pubkey */
	uint8_t n_ca;
	struct ik_file ca[IK_MAX_CA];		/* auth = pubkey: >= 1 */

	struct ik_proposals ike, esp;		/* esp: KE in all or none (PFS) */
	struct ik_ts_list local_ts, remote_ts;
	enum ik_mode mode;
	enum ik_start start;
	enum ik_ike_transport ike_transport;
	enum ik_encap encap;			/* key esp_transport */
	enum ik_tcp_fallback tcp_fallback;
	uint32_t tcp500_threshold;		/* auto: longer requests go TCP */
	int mlkem_udp_max;			/* IKE_KE_MLKEM*: in IKE_SA_INIT over UDP */
	bool fragmentation;			/* RFC 7383 offered and accepted */
	uint16_t fragment_size;			/* IP datagram; 0: 1280 (v6), 576 (v4) */

	uint64_t rekey_time_ms;			/* Child SA: start a rekey */
	uint64_t lifetime_ms;			/* Child SA: hard expiry */
	uint64_t ike_rekey_time_ms;
	uint64_t ike_lifetime_ms;
	uint8_t rekey_jitter;			/* percent taken off rekey times at random */
	uint64_t liveness_interval_ms;		/* 0: off */
	uint64_t liveness_timeout_ms;
	uint64_t restart_delay_ms;		/* start = initiate: 0 never */
};

struct ik_config {
	char *path;
	struct ik_global global;
	size_t n_conns;
	struct ik_conn **conns;			/* in file order */
};

/*
 * Load the file at path.  0 with *out set, or -1 with one line in err
 * ("path:line: problem", or "path: problem" for the file as a whole).
 * Relative paths inside are relative to the file's directory.  A file with
 * an inline psk must not be readable or writable by others.
 */
int ik_config_load(const char *path, struct ik_config **out, char *err,
		   size_t errlen);

/*
 * The same from an open stream (fmemopen() in the tests and the fuzzer);
 * name stands for the file in messages and for relative paths.  No check
 * of the stream's permissions.
 */
int ik_config_load_stream(FILE *f, const char *name, struct ik_config **out,
			  char *err, size_t errlen);

void ik_config_free(struct ik_config *cfg);

const struct ik_conn *ik_config_conn(const struct ik_config *cfg,
				     const char *name);

/*
 * Same configuration (after defaults and inheritance; line numbers do not
 * count): on reload, a connection equal to its namesake keeps its SAs.
 * The daemon then points them at the new struct: the old config is freed.
 */
bool ik_conn_equal(const struct ik_conn *a, const struct ik_conn *b);
/* Same [global]: if not, sockets and timers are set up again on reload. */
bool ik_global_equal(const struct ik_global *a, const struct ik_global *b);

/* Wait n (0-based) before retransmission n+1 or giving up; 0: n is past
 * the last wait, give up now. */
uint64_t ik_retransmit_delay_ms(const struct ik_global *g, unsigned n);

#endif
