#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Certificate authentication (RFC 7427 signatures, CERT/CERTREQ) over UDP:
#
#  1. iketcpd against strongSwan (charon 5.9.8, Debian 12), ECDSA P-256
#     certificates under an intermediate CA, ike = aes128-sha256-ecp256,
#     esp = aes128-sha256: iketcpd initiating, then strongSwan.  strongSwan
#     must log that it checked iketcpd's ECDSA-SHA-256 RFC 7427 signature.
#  2. The same pair with a CA the other side does not trust: the initiator
#     gets AUTHENTICATION_FAILED and no state stays (either way round).
#  3. iketcpd against iketcpd: an Ed25519 chain (identities left to the
#     certificates: subject DNs) and an RSA-3072 chain signed with RSA-PSS
#     (FQDN identities in subjectAltName), both under an intermediate.
#
# A handshake counts only when both sides install their Child SA and ping
# crosses the tunnel both ways through the SAs (their counters grow).  The
# PKI is made by selftests/certs/make-certs.sh (on the host by make
# check-vm, else here in the VM).
#
#  ┌──────── crt-a ────────┐              ┌──────── crt-b ────────┐
#  │ inner 10.96.1.1 (dum) │              │ inner 10.96.2.1 (dum) │
#  │ iketcpd (a.example)   ───── veth ──── charon or iketcpd     │
#  │ 192.0.96.1            │   UDP 500    │ 192.0.96.2 (b.example)│
#  └───────────────────────┘              └───────────────────────┘
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
ikd=$repo/user/iketcpd
na=crt-a
nb=crt-b
work=$(mktemp -d)
pki=$work/pki

. "$here/lib/ikepair.sh"
. "$here/lib/charon.sh"

PIDA= PIDB= PIDC=
stop_all() {
	local p
	for p in $PIDA $PIDB $PIDC; do kill -TERM "$p" 2>/dev/null; done
	for p in $PIDA $PIDB $PIDC; do wait "$p" 2>/dev/null; done
	PIDA= PIDB= PIDC=
}
cleanup() {
	stop_all
	pair_del
	rm -rf "$work"
}
trap cleanup EXIT

# ikd_conf FILE ME START TYPE CA LOCAL_ID REMOTE_ID IKE ESP: iketcpd's
# side ME (a or b) with T/ME.pem and trust in CA (a PKI path); an empty
# LOCAL_ID leaves it to the certificate
ikd_conf() {
	local f=$1 me=$2 lnet=1 rnet=2 la=$OA ra=$OB
	if [ "$me" = b ]; then lnet=2 rnet=1 la=$OB ra=$OA; fi
	{
		echo "[global]"
		echo "log_level = debug"
		echo "ctl_socket = $f.ctl"
		echo "retransmit_timeout = 500ms"
		echo "retransmit_tries = 3"
		echo
		echo "[conn site]"
		echo "local = $la"
		echo "remote = $ra"
		[ -n "$6" ] && echo "local_id = $6"
		echo "remote_id = $7"
		echo "auth = pubkey"
		echo "cert = $pki/$4/$me.pem"
		echo "key = $pki/$4/$me.key"
		echo "ca = $pki/$5"
		echo "ike = $8"
		echo "esp = $9"
		echo "local_ts = 10.96.$lnet.0/24"
		echo "remote_ts = 10.96.$rnet.0/24"
		echo "start = $3"
	} > "$f"
	chmod 600 "$f"
}

# strongSwan's side (b.example), in its own private files (certificates by
# absolute path, the key in private/): charon_conf CA
charon_conf() {
	charon_conf_write
	cat > "$work/swanctl.conf" <<EOC
connections {
	site {
		version = 2
		local_addrs = $OB
		remote_addrs = $OA
		proposals = aes128-sha256-ecp256
		local { auth = pubkey
			certs = $pki/p256/b.crt
			id = b.example }
		remote { auth = pubkey
			id = a.example
			cacerts = $pki/$1 }
		children {
			site {
				local_ts = 10.96.2.0/24
				remote_ts = 10.96.1.0/24
				esp_proposals = aes128-sha256
				mode = tunnel
			}
		}
	}
}
authorities {
	trusted { cacert = $pki/$1 }
	ours { cacert = $pki/p256/int.pem }
}
EOC
	# swanctl loads private keys from private/ next to swanctl.conf only
	mkdir -p "$work/private"
	cp "$pki/p256/b.key" "$work/private/b.key"
}

# not through qa/qb: $! must be the daemon itself, for the signals
start_ikd() {
	local ns=$1 side=$2
	: > "$work/$side.log"
	ip netns exec "$ns" "$ikd" run --config "$work/$side.conf" > "$work/$side.log" 2>&1 &
	if [ "$side" = a ]; then PIDA=$!; else PIDB=$!; fi
}

show_logs() {
	local f
	for f in a b; do
		[ -s "$work/$f.log" ] || continue
		echo "# --- iketcpd $f"; tail -25 "$work/$f.log" | sed 's/^/#   /'
	done
	charon_show_logs
}

# pings TAG: both ways through the tunnel, counted by a's states
pings() {
	local before after
	before=$(pkts_total $na)
	check "$1.ping_a_to_b" qa ping -c 3 -i 0.2 -W 2 -I 10.96.1.1 10.96.2.1
	check "$1.ping_b_to_a" qb ping -c 3 -i 0.2 -W 2 -I 10.96.2.1 10.96.1.1
	after=$(pkts_total $na)
	check "$1.pings_went_through_the_sas" test "$after" -ge $((before + 12))
}

# strongswan TAG WHO_INITIATES
strongswan() {
	local tag=$1 who=$2
	pair_topo 4 96 || { fail "$tag.topology"; return; }
	charon_conf p256/root.pem
	ikd_conf "$work/a.conf" a "$([ "$who" = iketcpd ] && echo initiate || echo listen)" \
		p256 p256/root.pem fqdn:a.example fqdn:b.example \
		aes128-sha256-ecp256 aes128-sha256
	start_charon
	start_ikd $na a
	if [ "$who" != iketcpd ]; then
		wait_log "$work/a.log" started 10
		swanctl_b --initiate --child site --timeout 20 >> "$work/swanctl.out" 2>&1 &
	fi
	if wait_log "$work/a.log" "Child SA up" 30 && charon_child_installed; then
		ok "$tag.handshake"
	else
		fail "$tag.handshake"; show_logs; stop_all; return
	fi
	# strongSwan checked our certificate chain and an RFC 7427 signature
	check "$tag.strongswan_verified_ecdsa_sha256_rfc7427" \
		grep -q "authentication of 'a.example' with ECDSA_WITH_SHA256_DER successful" "$work/charon.log"
	grep -E "authentication of .* successful|received (end entity|issuer) cert" \
		"$work/charon.log" | sed 's/^/#   charon: /'
	check "$tag.strongswan_got_our_intermediate" \
		grep -q "received issuer cert.*CN=p256 intermediate" "$work/charon.log"
	check "$tag.states_on_both_sides" test "$(nstates ip -n $na)" = 2 -a "$(nstates ip -n $nb)" = 2
	# RFC 7383 both ways: IKE_AUTH with a certificate chain exceeds 576
	check "$tag.iketcpd_sent_fragments" grep -q "sent as [0-9]* fragments" "$work/a.log"
	check "$tag.strongswan_reassembled_them" \
		grep -q "reassembled fragmented IKE message" "$work/charon.log"
	check "$tag.iketcpd_reassembled_strongswans" \
		grep -q "reassembled from [0-9]* fragments" "$work/a.log"
	pings "$tag"
	swanctl_b --terminate --ike site --timeout 10 >> "$work/swanctl.out" 2>&1
	wait_log "$work/a.log" "IKE SA gone" 10
	check "$tag.delete_from_strongswan_cleans_iketcpd" test "$(nstates ip -n $na)" = 0
	stop_all
}

# untrusted TAG WHO_INITIATES: the responder trusts another root only
untrusted() {
	local tag=$1 who=$2 ca_a=p256/root.pem ca_b=p256/root.pem f0=$nfail
	if [ "$who" = iketcpd ]; then ca_b=other/root.pem; else ca_a=other/root.pem; fi
	pair_topo 4 96 || { fail "$tag.topology"; return; }
	charon_conf $ca_b
	ikd_conf "$work/a.conf" a "$([ "$who" = iketcpd ] && echo initiate || echo listen)" \
		p256 $ca_a fqdn:a.example fqdn:b.example \
		aes128-sha256-ecp256 aes128-sha256
	start_charon
	start_ikd $na a
	if [ "$who" = iketcpd ]; then
		check "$tag.iketcpd_is_refused" \
			wait_log "$work/a.log" "refused IKE_AUTH: AUTHENTICATION_FAILED" 20
		# for want of a trusted chain, not for anything else
		check "$tag.strongswan_did_not_trust_the_chain" grep -q -E \
			"no trusted ECDSA public key found for 'a.example'|constraint check failed" \
			"$work/charon.log"
	else
		wait_log "$work/a.log" started 10
		swanctl_b --initiate --child site --timeout 20 >> "$work/swanctl.out" 2>&1 &
		check "$tag.iketcpd_refuses_the_chain" \
			wait_log "$work/a.log" "does not verify: unable to get local issuer" 20
		check "$tag.strongswan_is_told" \
			wait_log "$work/charon.log" "received AUTHENTICATION_FAILED" 10
	fi
	[ $nfail = "$f0" ] || show_logs
	check "$tag.no_state_anywhere" test "$(nstates ip -n $na)" = 0 -a "$(nstates ip -n $nb)" = 0
	stop_all
}

# ikd_pair TAG TYPE A_ID B_ID A_REMOTE_ID B_REMOTE_ID: iketcpd against
# iketcpd under TYPE's root, a initiating; an empty ID: the subject DN
ikd_pair() {
	local tag=$1 t=$2
	pair_topo 4 96 || { fail "$tag.topology"; return; }
	ikd_conf "$work/a.conf" a initiate "$t" "$t/root.pem" "$3" "$5" \
		aes256gcm16-prfsha256-x25519 aes256gcm16
	ikd_conf "$work/b.conf" b listen "$t" "$t/root.pem" "$4" "$6" \
		aes256gcm16-prfsha256-x25519 aes256gcm16
	start_ikd $nb b
	wait_log "$work/b.log" started 10
	start_ikd $na a
	if wait_log "$work/a.log" "Child SA up" 30 && wait_log "$work/b.log" "Child SA up" 10; then
		ok "$tag.handshake"
	else
		fail "$tag.handshake"; show_logs; stop_all; return
	fi
	check "$tag.states_on_both_sides" test "$(nstates ip -n $na)" = 2 -a "$(nstates ip -n $nb)" = 2
	pings "$tag"
	stop_all
	check "$tag.all_clean_after_stop" test "$(nstates ip -n $na)" = 0 -a "$(nstates ip -n $nb)" = 0
}

for m in esp4 esp6 xfrm_user dummy; do modprobe -q $m 2>/dev/null; done
echo "TAP version 13"
echo "1..40"
# A PKI made on the host (make check-vm: IKETCP_TEST_PKI, seconds there
# instead of minutes under emulation) is copied; else it is made here.
if [ -n "${IKETCP_TEST_PKI:-}" ] && [ -r "$IKETCP_TEST_PKI/p256/a.pem" ]; then
	cp -r "$IKETCP_TEST_PKI" "$pki" && chmod -R go-rwx "$pki"
elif ! sh "$here/certs/make-certs.sh" "$pki" > "$work/pki.out" 2>&1; then
	fail "pki # make-certs.sh failed"; sed 's/^/#   /' "$work/pki.out"
	exit 1
fi
if [ ! -x /usr/sbin/charon-systemd ] || ! command -v swanctl > /dev/null; then
	fail "strongswan.installed # charon-systemd/swanctl missing: make deps"
	exit 1
fi
strongswan strongswan_p256.iketcpd_initiates iketcpd
strongswan strongswan_p256.strongswan_initiates strongswan
untrusted strongswan_untrusted_ca.iketcpd_initiates iketcpd
untrusted strongswan_untrusted_ca.strongswan_initiates strongswan
ikd_pair iketcpd_ed25519_dn ed25519 "" "" \
	"dn:C=CH, O=iketcp test, CN=b.example" "dn:C=CH, O=iketcp test, CN=a.example"
ikd_pair iketcpd_rsa_pss rsa fqdn:a.example fqdn:b.example fqdn:b.example fqdn:a.example
echo "# $((ntest - nfail)) passed, $nfail failed"
[ $nfail = 0 ]
