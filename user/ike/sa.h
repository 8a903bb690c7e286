/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IKE and Child SAs: what one negotiation knows, and the table that finds
 * an SA for an incoming message.
 *
 * The exchanges (sa_init.c, auth.c, child.c, info.c) change an SA and say
 * what should follow in a struct ike_effects: a message to send, Child SAs
 * to install in or remove from the kernel, timers.  They never touch a
 * socket, the kernel or the clock themselves (the time comes in as `now`),
 * which keeps them testable without a network; daemon.c applies effects.
 *
 * What the exchanges need of a connection is struct ike_conn_params, filled
 * by the daemon from the config: the engine does not read config files.
 */
#ifndef IKETCPD_IKE_SA_H
#define IKETCPD_IKE_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "crypto/crypto.h"
#include "ike/frag.h"
#include "ike/keys.h"
#include "ike/msg.h"

#define IKE_NONCE_LEN		32
#define IKE_MAX_PROPS		8
#define IKE_MAX_ID		256
#define IKE_OUT_MAX		IKE_MAX_MSG
#define IKE_FX_REMOVE_MAX	64	/* Child SAs one exchange may remove */

#define IKE_MAX_ADDKE		7	/* RFC 9370: ADDKE1..ADDKE7 */

/*
 * One proposal of the config: IKE (prf, ke) or ESP (esn, ke for PFS).
 * addke: the additional key exchanges of RFC 9370 in order, 0 from the
 * first unused one on (IKE only: they run in IKE_INTERMEDIATE).
 */
struct ike_prop {
	uint16_t encr, keybits, integ, prf, ke;
	uint16_t addke[IKE_MAX_ADDKE];
	bool esn;
};

struct ike_id {
	uint8_t type;			/* IKE_ID_*; 0 in remote: any */
	uint8_t len;
	uint8_t data[IKE_MAX_ID];
};

struct ike_cred;			/* ike/cred.h: certificates and keys */

struct ike_conn_params {
	const char *name;
	struct ike_id local_id, remote_id;
	const uint8_t *psk;		/* owned by the config */
	size_t psk_len;
	const struct ike_cred *cred;	/* auth = pubkey; NULL for PSK */
	struct ike_prop ike[IKE_MAX_PROPS], esp[IKE_MAX_PROPS];
	uint8_t n_ike, n_esp;
	struct ike_ts_pl ts_local, ts_remote;
	bool transport;
	/* SEPARATE_TRANSPORTS (draft-ietf-ipsecme-ikev2-reliable-transport):
	 * its notify number (private use, both peers must agree), whether the
	 * initiator offers it and whether the responder echoes it */
	uint16_t sep_notify;
	bool sep_offer, sep_echo;
	/* IKE_TCP_SUPPORTED (draft-ietf-ipsecme-ike-tcp): its number and the
	 * TCP port we announce in it (0: we take no TCP, never sent) */
	uint16_t tcps_notify, tcps_port;
	/* RFC 7383: offer/accept fragmentation; the IP datagram size its
	 * fragments fit (0: 1280 on IPv6, 576 on IPv4, the RFC's defaults) */
	bool frag;
	uint16_t frag_size;
	/* the largest ML-KEM (IKE_KE_MLKEM512..1024) IKE_SA_INIT may carry
	 * over UDP, where it cannot be fragmented; over TCP any size goes */
	uint16_t mlkem_udp_max;
};

enum ike_sa_state {
	IKE_S_INIT_SENT,	/* initiator: IKE_SA_INIT request out */
	IKE_S_INTER_SENT,	/* initiator: IKE_INTERMEDIATE request out */
	IKE_S_AUTH_SENT,	/* initiator: IKE_AUTH request out */
	IKE_S_INIT_DONE,	/* responder: answered IKE_SA_INIT, waits AUTH */
	IKE_S_ESTABLISHED,
	IKE_S_DELETING,		/* our DELETE is out */
	IKE_S_DEAD,		/* to be freed by the daemon */
};

struct child_sa {
	struct child_sa *next;
	uint32_t spi_in, spi_out;	/* host order */
	uint32_t reqid;			/* the daemon's, for XFRM */
	struct ike_prop alg;		/* ke: the PFS group, 0 if none */
	bool transport;
	struct ike_ts_pl ts_local, ts_remote;	/* narrowed, one each */
	uint8_t keymat[2 * (36 + 64)];	/* our inbound keys, then outbound */
	size_t enc_len, integ_len;	/* per direction */
	bool installed;
	bool owns_policies;		/* a rekey's successor inherits them */
	bool udp_encap;			/* installed as ESP in UDP */
	bool rekeying;			/* our CREATE_CHILD_SA for it is out */
	/* the daemon's: ESP's transport (net/transport.c) and why, the UDP
	 * ports of ESP in UDP (udp_encap: the states are), whether the
	 * module binds each direction to the IKE connection, and the packet
	 * counts of its reachability watch */
	uint8_t esp_via;		/* enum ik_esp_via */
	const char *esp_why;
	uint16_t encap_lport, encap_rport;
	bool bound_in, bound_out;
	uint64_t seen_in, seen_out, stall_since;
	uint64_t created;		/* ms */
	uint64_t rekey_at;		/* the daemon's: when to rekey, ms */
};

/*
 * A message we sent and may have to send again.  An SA's own are sized to
 * the message (a half-open SA holds a few hundred bytes, not 64 KiB).
 * frags: the same message as RFC 7383 fragments (frags.n 0: none), built
 * when fragmentation was negotiated and it is too long for one datagram;
 * UDP sends them, TCP the whole message.
 */
struct ike_out {
	uint8_t *buf;
	size_t len, cap;
	uint32_t msgid;
	struct ike_frags frags;
	/* a request that goes over UDP whatever ike_transport says: the
	 * liveness check behind a NAT right after an IKE_AUTH over TCP port
	 * 500 (draft-ietf-ipsecme-ike-tcp 3.2); cleared by each new message */
	bool over_udp;
};

/* Store len bytes of a message as o (resized to fit); 0 or -1. */
int ike_out_set(struct ike_out *o, const uint8_t *p, size_t len,
		uint32_t msgid);

struct ike_sa;
struct ike_effects;
struct ike_followup;
typedef int (*ike_fu_done_fn)(struct ike_sa *sa, struct ike_followup *fu,
			      struct ike_effects *fx);

/*
 * RFC 9370 additional key exchanges after a CREATE_CHILD_SA, in
 * IKE_FOLLOWUP_KE exchanges (followup.c): the secrets so far (SK(0), the
 * CREATE_CHILD_SA's own, then each ADDKE's), the exchange's nonces, the
 * link the responder chose, and what waits for the keys (the Child SA or
 * new IKE SA of the exchange).  done() derives them once all ran.
 */
struct ike_followup {
	bool active;
	uint8_t n, next;		/* ADDKEs to run; the next one */
	uint16_t groups[IKE_MAX_ADDKE];
	uint8_t link[8];
	uint8_t *acc;			/* SK(0) | SK(1) | ... */
	size_t acc_len;
	uint8_t ni[256], nr[256];
	size_t ni_len, nr_len;
	struct ik_kex *kex;		/* initiator: the running ADDKE's */
	/* responder: the Child SA (and the one it rekeys) or new IKE SA */
	struct child_sa *child;
	uint32_t old_spi_out;
	struct ike_sa *ns;
	ike_fu_done_fn done;
};

struct ike_sa {
	struct ike_sa *next;
	const struct ike_conn_params *conn;
	enum ike_sa_state state;
	bool initiator;			/* we are the original initiator */
	uint64_t spi_i, spi_r;		/* host order */
	struct sockaddr_storage local, remote;
	bool natt;			/* on port 4500 */
	bool nat_local, nat_remote;	/* NAT in front of us / of the peer */
	bool sep_offered;		/* SEPARATE_TRANSPORTS in IKE_SA_INIT */
	bool initial_contact;		/* ours, in IKE_AUTH: no other IKE SA
					 * with this peer (RFC 7296 2.4) */
	bool sep_agreed;		/* ... and echoed by the responder */
	uint16_t peer_tcp_port;		/* its IKE_TCP_SUPPORTED; 0: none */
	bool init_tcp;			/* our IKE_SA_INIT goes over TCP */
	bool frag_ok;			/* RFC 7383 negotiated */
	/* RFC 7383 2.5.2 on IPv4 (frag.h): our requests went down to 576-byte
	 * datagrams; the size of the peer's latest request (its fragment 1),
	 * in IKE message bytes, which bounds our answer's fragments */
	bool frag_small;
	size_t req_in_len;
	/* ... and the IPv4 datagram the kernel says the path carries (an
	 * ICMP "fragmentation needed" taught it), when below the probe
	 * size; 0: none known.  Bounds every later fragment of ours. */
	uint16_t path_mtu;
	/* the peer's fragmented requests [0] and responses [1] */
	struct ike_frag_rx frag_rx[2];
	/* RFC 9242/9370: both sent INTERMEDIATE_EXCHANGE_SUPPORTED; the
	 * next additional key exchange (index into alg.addke); IntAuth_iN
	 * and IntAuth_rN so far (int_auth_n exchanges), and the message ID
	 * of the IKE_AUTH request they end with */
	bool inter_ok;
	uint8_t addke_next;
	uint8_t int_auth_n;
	uint8_t int_auth_i[IK_PRF_MAX], int_auth_r[IK_PRF_MAX];
	uint32_t auth_mid;

	struct ike_prop alg;		/* the chosen IKE proposal */
	struct ik_kex *kex;
	uint16_t kex_group;		/* of kex */
	uint8_t ni[256], nr[256];
	size_t ni_len, nr_len;
	uint8_t cookie[64];
	size_t cookie_len;
	struct ike_keys keys;
	bool have_keys;
	uint8_t *init_req, *init_resp;	/* the IKE_SA_INIT messages, for AUTH */
	size_t init_req_len, init_resp_len;

	uint32_t next_msgid;		/* of our next request */
	uint32_t peer_msgid;		/* the peer's next request, expected */
	struct ike_out req;		/* outstanding request; len 0: none */
	struct ike_out resp;		/* last response, resent on a replay */
	/* The peer's key that protected the request resp answers, when
	 * that exchange replaced the keys (an RFC 9370 ADDKE): its
	 * retransmitted fragments still come under it. */
	struct ik_sk_key resp_rx_key;
	uint32_t resp_rx_msgid;
	bool resp_rx_key_set;
	unsigned int tries;

	struct child_sa *children;
	struct child_sa *pending;	/* being negotiated in IKE_AUTH */
	struct ike_sa *rekey_new;	/* our IKE SA rekey's new SA, if out */
	/* RFC 7296 2.8.2: the peer's IKE SA rekey, answered while ours was
	 * out: its new SA waits for ours to end; and whether the peer
	 * deleted this SA before our rekey's answer came (only that answer
	 * is awaited then) */
	struct ike_sa *rekey_peer;
	bool peer_deleted;
	/* the same with RFC 9370 follow-ups: our new SA, keyed, waits while
	 * the peer's rekey still has IKE_FOLLOWUP_KE exchanges to run, since
	 * only both new SAs let the nonces decide (rekey.c) */
	struct ike_sa *rekey_ours;

	/* our CREATE_CHILD_SA (create.c): the new Child SA, the one it
	 * replaces (inbound SPI, 0: none), our nonce and PFS key exchange */
	struct child_sa *creating;
	uint32_t creating_old_spi;
	uint8_t cnonce[IKE_NONCE_LEN];
	struct ik_kex *ckex;
	/* Child SAs (inbound SPIs) to DELETE when no request is out, and
	 * those our outstanding INFORMATIONAL deletes */
	uint32_t to_delete[IKE_FX_REMOVE_MAX], deleting[IKE_FX_REMOVE_MAX];
	/* IKE_FOLLOWUP_KE: [0] of our CREATE_CHILD_SA, [1] of the peer's */
	struct ike_followup fu[2];
	/* RFC 7296 2.8.1: the last rekeys of one Child SA (its inbound SPI;
	 * kept when it is gone already), ours [0] and the peer's [1]: the
	 * lower nonce of each exchange and its new SA */
	uint32_t rk_old_spi;
	struct {
		bool set;
		uint16_t len;
		uint8_t nonce[256];
		uint32_t new_spi_in;
	} rk[2];
	uint8_t n_to_delete, n_deleting;
	uint64_t created, last_heard;	/* ms */
	uint64_t up_since;		/* ms: established; ike_lifetime's start */
	char why[160];			/* last failure, for the log */

	/* the daemon's: timers and its view of the SA (exchanges ignore them) */
	uint64_t rtx_at;		/* next retransmission of req, ms */
	unsigned int rtx_n;		/* retransmissions so far */
	uint64_t keepalive_at;		/* next NAT keepalive, ms */
	/* IKE over TCP: the connection it rides (NULL: UDP, or none now),
	 * and whether it ever did (IKE never goes back to UDP then) */
	struct ik_tcp_conn *tcp;
	bool on_tcp;
	uint64_t reconnect_at;		/* the originator's next try, ms */
	bool esp_failed;		/* ESP on IP/UDP had no path: TCP */
	/* the initiator's ESP path probe after a TCP start (net/probe.h):
	 * its token, the next send and the deadline (0: not probing), and
	 * the answer; probe_fallback: this SA replaces one whose probe got
	 * no answer, started without SEPARATE_TRANSPORTS */
	uint8_t probe_token[16];
	uint64_t probe_next_at, probe_until;
	bool probe_ok, probe_fallback;
	/* after a TCP start: the port the peer's UDP 4500 (its ESP path
	 * probe) last came from, a NAT's mapping (0: none seen); ESP in UDP
	 * goes there (net/transport.h) */
	uint16_t esp_seen_rport;
	uint64_t ike_rekey_at;		/* when to rekey the IKE SA, ms */
	uint64_t esp_watch_at;		/* next look at the counters, ms */
	const char *ike_why;		/* why IKE is on its transport */
	uint8_t addke_logged;		/* additional key exchanges logged */
};

struct ike_effects {
	struct ike_out *send;		/* message to send now, or NULL */
	/* a request of ours to send right after send (an answer): the
	 * DELETE of the old IKE SA when answering the peer's last
	 * IKE_FOLLOWUP_KE decided a simultaneous rekey for ours */
	struct ike_out *send_after;
	struct child_sa *install[2];
	int n_install;
	struct child_sa *remove[IKE_FX_REMOVE_MAX];	/* unlinked: daemon frees */
	int n_remove;
	bool established;		/* the IKE SA just came up */
	/* the peer's IKE_AUTH said INITIAL_CONTACT: its other IKE SAs with
	 * us are gone on its side (a restart), so ours go before this SA's
	 * Child SA takes their traffic selectors */
	bool initial_contact;
	struct ike_sa *rekeyed;		/* its rekey's new SA, to adopt: the
					 * Child SAs moved there */
	/* RFC 7296 2.8.2: the other new SA of a simultaneous IKE SA rekey,
	 * to adopt as well: it has no Child SAs and is deleted by whoever
	 * initiated it (when we did, its req holds that DELETE, to send) */
	struct ike_sa *redundant;
	bool authentic;			/* the message passed its integrity check */
	uint16_t frags_in;		/* it was reassembled from so many
					 * RFC 7383 fragments (0: it was not) */
	/* the answer resent was cut again into fragments of at most so
	 * many bytes: the peer's came smaller (RFC 7383 2.5.2); 0: not */
	uint16_t answer_recut;
	bool dead;			/* drop the IKE SA (and its children) */
};

/* ---- the table -------------------------------------------------------- */

struct ike_sa_table {
	struct ike_sa *head;
	unsigned int count, half_open;
};

struct ike_sa *ike_sa_new(struct ike_sa_table *t,
			  const struct ike_conn_params *conn, bool initiator);
/* The SA an incoming message belongs to (by SPIs and who sent it). */
struct ike_sa *ike_sa_lookup(struct ike_sa_table *t, const struct ike_hdr *h);
/* A responder's SA for a retransmitted IKE_SA_INIT (same SPIi, same peer). */
struct ike_sa *ike_sa_lookup_init(struct ike_sa_table *t, uint64_t spi_i,
				  const struct sockaddr_storage *remote);
void ike_sa_unlink(struct ike_sa_table *t, struct ike_sa *sa);
/* Same IP address (ports ignored)? */
bool ike_same_ip(const struct sockaddr_storage *a,
		 const struct sockaddr_storage *b);
void ike_sa_free(struct ike_sa *sa);
void child_sa_free(struct child_sa *c);

/* Store a failure reason (printf-style) in sa->why; returns -1. */
int ike_sa_fail(struct ike_sa *sa, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A 4-byte ESP SPI in a payload (network order, unaligned). */
static inline uint32_t ike_spi32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void ike_spi32_put(uint8_t *p, uint32_t spi)
{
	p[0] = spi >> 24;
	p[1] = spi >> 16;
	p[2] = spi >> 8;
	p[3] = spi;
}

/* ---- messages under SK ------------------------------------------------ */

/*
 * Build a message of this SA: header (exchange, response or request with
 * msgid), then the inner chain `inner` (a headerless chain) inside SK.
 * Writes into out->buf; returns 0 or -1.
 */
int ike_sk_build(struct ike_sa *sa, uint8_t exchange, bool response,
		 uint32_t msgid, const struct ike_wbuf *inner,
		 struct ike_out *out);
/*
 * Check and decrypt m's SK payload with the peer's keys and parse the inner
 * chain into m.  plain (IKE_MAX_MSG bytes) holds the decrypted payloads and
 * must outlive m.  Returns 0, or -1 (authentication failed or bad syntax:
 * the message is dropped, RFC 7296 2.21.2).
 */
int ike_sk_open_msg(struct ike_sa *sa, struct ike_msg *m, uint8_t *plain);

/*
 * RFC 7383 2.5.2: our request has gone out `sent` times unanswered; on IPv4
 * without a configured fragment_size, the IKE_FRAG_SHRINK_SENDS-th time
 * cuts it into 576-byte datagrams for the next send and every later
 * request, unless a fragment of the answer came (then loss, not size, is
 * what holds it up).  True when it did.
 */
bool ike_frag_shrink_request(struct ike_sa *sa, unsigned int sent);

/*
 * RFC 7383 2.5.2 with the path MTU the kernel learnt from ICMP: our
 * request is still unanswered and the path to the peer carries IPv4
 * datagrams of at most mtu bytes, fewer than our fragments'.  On IPv4
 * without a configured fragment_size, with mtu at least 576 (below that
 * the blind search of ike_frag_shrink_request() stays in charge) and no
 * fragment of the answer come: cut the request again into fragments that
 * fit mtu, and keep that bound for every later message of the SA.  True
 * when it did.
 */
bool ike_frag_fit_path(struct ike_sa *sa, unsigned int mtu);

/*
 * The peer retransmitted its request in fragments of req_len bytes: when
 * our cached answer's are larger (the peer went down to smaller datagrams,
 * 2.5.2), cut the answer again to fit.  True when it did.
 */
bool ike_frag_fit_answer(struct ike_sa *sa, size_t req_len);

/*
 * An SKF message (RFC 7383) of this SA, its message ID already accepted:
 * authenticated, decrypted and kept.  Returns 1 when it completed the
 * message (the inner chain, in plain, is parsed into m as by
 * ike_sk_open_msg()), 0 when more fragments are to come (or it was a
 * duplicate), -1 when it was dropped (sa->why says why).
 */
int ike_frag_input(struct ike_sa *sa, struct ike_msg *m, uint8_t *plain,
		   uint64_t now);
/* Is m (an SKF message) authentic fragment 1 of a message?  For resending
 * our response to a retransmitted fragmented request once, not per
 * fragment (RFC 7383 2.6.1). */
bool ike_frag_first_authentic(const struct ike_sa *sa,
			      const struct ike_msg *m);
/* Before an exchange replaces the keys: keep the peer's current key for
 * authenticating retransmissions of request msgid. */
void ike_sa_keep_rx_key(struct ike_sa *sa, uint32_t msgid);
/* The reassembly memory all IKE SAs share. */
struct ike_frag_budget *ike_frag_budget(void);

#endif
