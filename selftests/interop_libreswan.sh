#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# iketcpd against libreswan (pluto 4.10, Debian 12) over UDP, iketcpd as
# initiator and as responder:
#
#  1. PSK, AES-GCM-256 and x25519.
#  2. Certificates (RFC 7427 signatures, CERT/CERTREQ) with RFC 7383
#     fragmentation both ways: the RSA-3072 chain of the test PKI (root,
#     intermediate, end entity; AES-GCM-256, x25519) and the RSA-4096 one
#     (root, two intermediates, end entity: iketcpd sends three
#     certificates, pluto too with sendca=all; AES-CBC-128, HMAC-SHA-256,
#     ecp256).  Pluto's NSS db trusts the root (certutil -t CT,,) and holds
#     its own key and chain (pk12util); iketcpd trusts the root.  IKE_AUTH
#     then exceeds 576 bytes either way: iketcpd must send fragments and
#     reassemble pluto's, and pluto (plutodebug=base) must log that it
#     recorded fragments and reassembled iketcpd's.
#
# A handshake counts only when the independent peer completes it and ping
# crosses the tunnel both ways through the SAs (their packet counters
# grow).  The PKI is made by selftests/certs/make-certs.sh (on the host by
# make check-vm, else here in the VM).
#
#  ┌──────── lsw-a ────────┐              ┌──────── lsw-b ────────┐
#  │ inner 10.93.1.1 (dum) │              │ inner 10.93.2.1 (dum) │
#  │ iketcpd (a.example)   ───── veth ──── pluto (b.example)     │
#  │ 192.0.93.1            │   UDP 500    │ 192.0.93.2            │
#  └───────────────────────┘              └───────────────────────┘
#
# pluto runs unpacked, in a mount namespace of this script's own
# (lib/libreswan.sh says why).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
ikd=$repo/user/iketcpd
na=lsw-a
nb=lsw-b
PSK="interop pre-shared key"

if [ -z "${IKETCP_LSW_NS:-}" ]; then
	IKETCP_LSW_NS=1 exec unshare --mount --propagation private "$BASH" "$0" "$@"
fi

work=$(mktemp -d)
. "$here/lib/ikepair.sh"
. "$here/lib/libreswan.sh"
pki=$work/pki

PIDA= PIDP=
stop_all() {
	[ -n "$PIDA" ] && kill -TERM $PIDA 2>/dev/null && wait $PIDA 2>/dev/null
	[ -n "$PIDP" ] && kill -TERM $PIDP 2>/dev/null && wait $PIDP 2>/dev/null
	PIDA= PIDP=
}
cleanup() {
	stop_all
	pair_del
	libexec_undo
	rm -rf "$work"
}
trap cleanup EXIT

# iketcpd's side: conf START IKE ESP [PKI_TYPE]; with a PKI type (rsa,
# rsa4096), certificates: a's chain, trust in that type's root
ikd_conf() {
	{
		echo "[global]"
		echo "log_level = debug"
		echo "ctl_socket = $work/a.ctl"
		echo
		echo "[conn site]"
		echo "local = $OA"
		echo "remote = $OB"
		echo "local_id = fqdn:a.example"
		echo "remote_id = fqdn:b.example"
		if [ -n "${4:-}" ]; then
			echo "auth = pubkey"
			echo "cert = $pki/$4/a.pem"
			echo "key = $pki/$4/a.key"
			echo "ca = $pki/$4/root.pem"
		else
			echo "auth = psk"
			echo "psk = $PSK"
		fi
		echo "ike = $2"
		echo "esp = $3"
		echo "local_ts = 10.93.1.0/24"
		echo "remote_ts = 10.93.2.0/24"
		echo "start = $1"
	} > "$work/a.conf"
	chmod 600 "$work/a.conf"
}

# libreswan's side, all under $work: ipsec.conf IKE ESP [PKI_TYPE]; with a
# PKI type, certificates (the NSS db is filled by nss_fill), RFC 7427
# signatures or RSA method 1 (authby=rsasig), all CAs but the root sent
# (sendca=all) and fragmentation allowed (its default, written out), with
# plutodebug=base: only its debug lines tell of fragments
pluto_conf() {
	local debug=${IKETCP_LSW_DEBUG:-none}
	[ -n "${3:-}" ] && debug="base${IKETCP_LSW_DEBUG:+ $IKETCP_LSW_DEBUG}"
	mkdir -p "$work/ipsec.d" "$work/nss" "$work/run"
	{
		echo "config setup"
		echo "	dnssec-enable=no"
		echo "	plutodebug=\"$debug\""
		echo
		echo "conn site"
		echo "	ikev2=yes"
		if [ -n "${3:-}" ]; then
			echo "	authby=rsasig"
			echo "	leftcert=b.example"
			echo "	leftsendcert=always"
			echo "	sendca=all"
			echo "	fragmentation=yes"
		else
			echo "	authby=secret"
		fi
		echo "	left=$OB"
		echo "	leftid=@b.example"
		echo "	leftsubnet=10.93.2.0/24"
		echo "	leftupdown=%disabled"
		echo "	right=$OA"
		echo "	rightid=@a.example"
		echo "	rightsubnet=10.93.1.0/24"
		echo "	ike=$1"
		echo "	esp=$2"
		echo "	auto=add"
	} > "$work/ipsec.conf"
	cat > "$work/ipsec.secrets" <<EOC
@b.example @a.example : PSK "$PSK"
EOC
	chmod 600 "$work/ipsec.secrets"
}

# nothing left in the kernel: no state, no SA policy, on either side
all_clean() {
	test "$(nstates ip -n $na)" = 0 -a "$(nstates ip -n $nb)" = 0 \
		-a "$(npolicies ip -n $na)" = 0 -a "$(lsw_policies)" = 0
}

# launch WHO_INITIATES: pluto (started) and iketcpd, the handshake begun
launch() {
	# not through qa: $! must be the daemon itself, for the signals
	ip netns exec $na "$ikd" run --config "$work/a.conf" > "$work/a.log" 2>&1 &
	PIDA=$!
	if [ "$1" != iketcpd ]; then
		wait_log "$work/a.log" started 10
		whack_b --name site --initiate --asynchronous >> "$work/whack.out" 2>&1
	fi
}

# pings TAG: both ways through the tunnel, counted by iketcpd's states
pings() {
	local before after
	before=$(pkts_total $na)
	check "$1.ping_iketcpd_to_libreswan" qa ping -c 3 -i 0.2 -W 2 -I 10.93.1.1 10.93.2.1
	check "$1.ping_libreswan_to_iketcpd" qb ping -c 3 -i 0.2 -W 2 -I 10.93.2.1 10.93.1.1
	after=$(pkts_total $na)
	check "$1.pings_went_through_the_sas" test "$after" -ge $((before + 12))
}

# scenario NAME WHO_INITIATES IKE_IKETCPD ESP_IKETCPD IKE_LIBRESWAN ESP_LIBRESWAN
scenario() {
	local tag=$1 who=$2
	pair_topo 4 93 || { fail "$tag.topology"; return; }
	pluto_conf "$5" "$6"
	ikd_conf $([ "$who" = iketcpd ] && echo initiate || echo listen) "$3" "$4"
	: > "$work/a.log"; : > "$work/whack.out"
	start_pluto || echo "# pluto did not load conn site"
	launch "$who"
	if wait_log "$work/a.log" "Child SA up" 30 && pluto_child_up; then
		ok "$tag.handshake"
	else
		fail "$tag.handshake"; show_logs; stop_all; keep_logs "$tag"; return
	fi
	check "$tag.states_on_both_sides" test "$(nstates ip -n $na)" = 2 -a "$(nstates ip -n $nb)" = 2
	pings "$tag"
	# DELETE from libreswan's side: iketcpd removes its states
	whack_b --name site --terminate >> "$work/whack.out" 2>&1
	wait_log "$work/a.log" "IKE SA gone" 10
	if ! check "$tag.delete_from_libreswan_cleans_iketcpd" test "$(nstates ip -n $na)" = 0; then
		show_logs
	fi
	stop_all
	keep_logs "$tag"
}

# cert_scenario NAME WHO_INITIATES PKI_TYPE IKE_IKETCPD ESP_IKETCPD
#	IKE_LIBRESWAN ESP_LIBRESWAN
# Both sides authenticate with PKI_TYPE's chains; IKE_AUTH is fragmented
# both ways.  The side that did not initiate ends it: pluto with a
# terminate (its DELETE), iketcpd by stopping (its DELETE on SIGTERM); the
# other side must remove its states, then nothing may be left anywhere.
cert_scenario() {
	local tag=$1 who=$2 t=$3 f0=$nfail
	pair_topo 4 93 || { fail "$tag.topology"; return; }
	pluto_conf "$6" "$7" "$t"
	ikd_conf $([ "$who" = iketcpd ] && echo initiate || echo listen) "$4" "$5" "$t"
	: > "$work/a.log"; : > "$work/whack.out"
	start_pluto "$t" || echo "# pluto did not load conn site"
	launch "$who"
	if wait_log "$work/a.log" "Child SA up" 60 && pluto_child_up; then
		ok "$tag.handshake"
	else
		fail "$tag.handshake"; show_logs; stop_all; keep_logs "$tag"; return
	fi
	# pluto checked iketcpd's chain and an RFC 7427 RSA-PSS signature; it
	# names the certificate by the ID it matched (rightid), its issuer by
	# DN.  (Its "gntoid() failed to initaddr(): IPv4 address must be
	# exactly 4 bytes" warning is about the certificate's IPv6 iPAddress
	# SAN, which pluto 4.10 reads as IPv4: harmless here.)
	grep -E "authenticated peer|reassembling incoming|recording fragment [0-9]+$|sent [0-9]+ messages$" \
		"$work/pluto.log" | sed 's/^/#   pluto: /'
	grep -E "sent as|reassembled from" "$work/a.log" | sed 's/^/#   iketcpd: /'
	check "$tag.libreswan_verified_rsa_pss_and_chain" grep -q -E \
		"established IKE SA; authenticated peer '[0-9]+-bit RSASSA-PSS with SHA2_[0-9]+' digital signature using peer certificate '@a.example' issued by CA '[^']*CN=$t intermediate" \
		"$work/pluto.log"
	check "$tag.states_on_both_sides" test "$(nstates ip -n $na)" = 2 -a "$(nstates ip -n $nb)" = 2
	# RFC 7383 both ways: each side's IKE_AUTH carries a chain of RSA
	# certificates, far beyond 576 bytes.  pluto fragments whatever is at
	# least 532 bytes (ISAKMP_V2_FRAG_MAXLEN_IPv4) once the peer announced
	# IKEV2_FRAGMENTATION_SUPPORTED, on the first transmission; its
	# "recording fragment N" and "reassembling incoming fragments" are
	# debug lines (plutodebug=base).
	check "$tag.iketcpd_sent_fragments" grep -q "sent as [0-9]* fragments" "$work/a.log"
	check "$tag.libreswan_reassembled_them" \
		grep -q "reassembling incoming fragments" "$work/pluto.log"
	check "$tag.libreswan_sent_fragments" grep -q "recording fragment 2$" "$work/pluto.log"
	check "$tag.iketcpd_reassembled_libreswans" \
		grep -q "reassembled from [0-9]* fragments" "$work/a.log"
	pings "$tag"
	if [ "$who" = iketcpd ]; then
		kill -TERM $PIDA 2>/dev/null && wait $PIDA 2>/dev/null
		PIDA=
		check "$tag.iketcpd_stopping_cleans_libreswan" no_states_in $nb 10
	else
		whack_b --name site --terminate >> "$work/whack.out" 2>&1
		wait_log "$work/a.log" "IKE SA gone" 10
		check "$tag.delete_from_libreswan_cleans_iketcpd" no_states_in $na 10
	fi
	stop_all
	check "$tag.all_clean_after_stop" all_clean
	if [ $nfail != "$f0" ]; then
		show_logs
		ip -n $na xfrm state; ip -n $na xfrm policy; ip -n $nb xfrm state; ip -n $nb xfrm policy
	fi 2>&1 | sed 's/^/# /'
	keep_logs "$tag"
}

for m in esp4 esp6 xfrm_user dummy; do modprobe -q $m 2>/dev/null; done
echo "TAP version 13"
echo "1..60"
if ! lsw_installed; then
	# interop is required: a machine without the peer fails, not skips
	fail "libreswan.installed # no unpacked libreswan, certutil or pk12util: make deps"
	exit 1
fi
if ! libexec_overlay; then
	fail "libreswan.libexec_overlay # cannot put ipsec/ under /usr/libexec"
	exit 1
fi
scenario libreswan.iketcpd_initiates iketcpd aes256gcm16-prfsha256-x25519 aes256gcm16 \
	'aes_gcm256-sha2_256;dh31' aes_gcm256
scenario libreswan.libreswan_initiates libreswan aes256gcm16-prfsha256-x25519 aes256gcm16 \
	'aes_gcm256-sha2_256;dh31' aes_gcm256

# A PKI made on the host (make check-vm: IKETCP_TEST_PKI, seconds there
# instead of minutes under emulation) is copied; else it is made here.
if [ -n "${IKETCP_TEST_PKI:-}" ] && [ -r "$IKETCP_TEST_PKI/rsa4096/a.pem" ]; then
	cp -r "$IKETCP_TEST_PKI" "$pki" && chmod -R go-rwx "$pki"
elif ! sh "$here/certs/make-certs.sh" "$pki" > "$work/pki.out" 2>&1; then
	fail "pki # make-certs.sh failed"; sed 's/^/#   /' "$work/pki.out"
	exit 1
fi
cert_scenario libreswan_rsa.iketcpd_initiates iketcpd rsa \
	aes256gcm16-prfsha256-x25519 aes256gcm16 'aes_gcm256-sha2_256;dh31' aes_gcm256
cert_scenario libreswan_rsa.libreswan_initiates libreswan rsa \
	aes256gcm16-prfsha256-x25519 aes256gcm16 'aes_gcm256-sha2_256;dh31' aes_gcm256
cert_scenario libreswan_rsa4096.iketcpd_initiates iketcpd rsa4096 \
	aes128-sha256-ecp256 aes128-sha256 'aes128-sha2_256;dh19' aes128-sha2_256
cert_scenario libreswan_rsa4096.libreswan_initiates libreswan rsa4096 \
	aes128-sha256-ecp256 aes128-sha256 'aes128-sha2_256;dh19' aes128-sha2_256
echo "# $((ntest - nfail)) passed, $nfail failed"
[ $nfail = 0 ]
