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
# libreswan conflicts with strongSwan (interop.sh) as a package, so it runs
# unpacked from the tree that peers/libreswan-prefix.sh makes (make deps).
# pluto insists on /usr/libexec/ipsec/addconn, and the VM's root is
# read-only: the script runs in a mount namespace of its own where a tmpfs
# over /usr/libexec holds links to the real entries and to the tree's ipsec/.
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

. "$here/lib/ikepair.sh"

# the unpacked tree, read only: in the VM nothing can be installed
lsw=$(ls -d "${IKETCP_CACHE:-/var/cache/iketcp}"/libreswan-*/usr/libexec/ipsec 2>/dev/null |
	tail -n 1)
lsw=${lsw%/usr/libexec/ipsec}
pluto=$lsw/usr/libexec/ipsec/pluto
whack=$lsw/usr/libexec/ipsec/whack
work=$(mktemp -d)
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
	umount /usr/libexec 2>/dev/null
	umount "$work/libexec.orig" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# /usr/libexec/ipsec -> the tree, the rest as it was (NOTES-VM.md)
libexec_overlay() {
	local e
	mkdir -p "$work/libexec.orig" &&
	mount --bind /usr/libexec "$work/libexec.orig" &&
	mount -t tmpfs -o mode=755 tmpfs /usr/libexec || return 1
	for e in "$work"/libexec.orig/*; do
		ln -s "$e" "/usr/libexec/${e##*/}"
	done
	rm -f /usr/libexec/ipsec
	ln -s "$lsw/usr/libexec/ipsec" /usr/libexec/ipsec
	test -x /usr/libexec/ipsec/addconn
}

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

# nss_fill PKI_TYPE: pluto's NSS db trusts the root as a CA (CT,,) and holds
# b's key and certificate with its intermediates (from a PKCS#12 that
# openssl makes of b.pem, the chain iketcpd would send), b's nickname
# b.example
nss_fill() {
	local t=$1 db=sql:$work/nss
	certutil -A -d "$db" -n "$t root" -t CT,, -a -i "$pki/$t/root.pem" &&
	OPENSSL_CONF=/dev/null openssl pkcs12 -export -name b.example \
		-inkey "$pki/$t/b.key" -in "$pki/$t/b.pem" \
		-passout pass: -out "$work/b.p12" &&
	pk12util -i "$work/b.p12" -d "$db" -W "" &&
	certutil -L -d "$db" && certutil -K -d "$db"
}

whack_b() { qb "$whack" --ctlsocket "$work/run/pluto.ctl" "$@"; }

# start_pluto [PKI_TYPE]
start_pluto() {
	local i
	: > "$work/pluto.log"
	rm -rf "$work/run" "$work/nss" && mkdir -p "$work/run" "$work/nss"
	certutil -N -d "sql:$work/nss" --empty-password > "$work/pluto.out" 2>&1
	if [ -n "${1:-}" ] && ! nss_fill "$1" >> "$work/pluto.out" 2>&1; then
		echo "# filling pluto's NSS db failed"
		return 1
	fi
	ip netns exec $nb "$pluto" --nofork --no-dnssec --config "$work/ipsec.conf" \
		--secretsfile "$work/ipsec.secrets" --ipsecdir "$work/ipsec.d" \
		--nssdir "$work/nss" --rundir "$work/run" --dumpdir "$work/run" --logfile "$work/pluto.log" \
		>> "$work/pluto.out" 2>&1 &
	PIDP=$!
	# addconn, forked by pluto, loads the conn a moment after the socket
	for i in $(seq 1 100); do
		whack_b --status 2>/dev/null | grep -q '"site":.*[0-9]' && return 0
		sleep 0.2
	done
	return 1
}

show_logs() {
	echo "# --- iketcpd"; tail -25 "$work/a.log" | sed 's/^/#   /'
	echo "# --- pluto"; grep -v -E '(^|: )\| ' "$work/pluto.log" | tail -40 | sed 's/^/#   /'
	tail -20 "$work/pluto.out" "$work/whack.out" 2>/dev/null | sed 's/^/#   /'
}

# libreswan's own word that its Child SA is in the kernel
pluto_child_up() {
	local i
	for i in $(seq 1 50); do
		whack_b --trafficstatus 2>/dev/null | grep -q '"site".*type=ESP' &&
		grep -q '"site".*established Child SA' "$work/pluto.log" && return 0
		sleep 0.2
	done
	return 1
}

# no_states_in NS [SECONDS]: its XFRM states gone (a DELETE's work)
no_states_in() {
	local i
	for i in $(seq 1 $((${2:-10} * 5))); do
		[ "$(nstates ip -n "$1")" = 0 ] && return 0
		sleep 0.2
	done
	return 1
}

# pluto's policies but the ICMPv6 neighbour discovery holes (types 135
# and 136, both ways) that it makes when it starts and leaves behind
# (kernel_xfrm.c: add_icmpv6_bypass_policy): not a tunnel's
lsw_policies() {
	ip -n $nb xfrm policy | grep '^src' | grep -v -c 'proto ipv6-icmp type 13[56] *$'
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

# IKETCP_LSW_LOGS=DIR (a --rw dir in the VM): keep both sides' logs
keep_logs() {
	local f
	[ -n "${IKETCP_LSW_LOGS:-}" ] && for f in a.log pluto.log pluto.out whack.out; do
		cp "$work/$f" "$IKETCP_LSW_LOGS/$1.$f" 2>/dev/null
	done
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
if [ ! -x "$pluto" ] || [ ! -x "$whack" ] || ! command -v certutil > /dev/null ||
   ! command -v pk12util > /dev/null; then
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
