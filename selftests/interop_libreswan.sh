#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# iketcpd against libreswan (pluto 4.10, Debian 12) over UDP, PSK:
# iketcpd as initiator and as responder.  A handshake counts only when the
# independent peer completes it and ping crosses the tunnel both ways
# through the SAs (their packet counters grow).
#
#  ┌──────── lsw-a ────────┐              ┌──────── lsw-b ────────┐
#  │ inner 10.93.1.1 (dum) │              │ inner 10.93.2.1 (dum) │
#  │ iketcpd               ───── veth ──── pluto (whack)         │
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

# iketcpd's side: conf START IKE ESP
ikd_conf() {
	cat > "$work/a.conf" <<EOC
[global]
log_level = debug
ctl_socket = $work/a.ctl

[conn site]
local = $OA
remote = $OB
local_id = fqdn:a.example
remote_id = fqdn:b.example
auth = psk
psk = $PSK
ike = $2
esp = $3
local_ts = 10.93.1.0/24
remote_ts = 10.93.2.0/24
start = $1
EOC
	chmod 600 "$work/a.conf"
}

# libreswan's side, all under $work: ipsec.conf IKE ESP
pluto_conf() {
	mkdir -p "$work/ipsec.d" "$work/nss" "$work/run"
	cat > "$work/ipsec.conf" <<EOC
config setup
	dnssec-enable=no
	plutodebug=${IKETCP_LSW_DEBUG:-none}

conn site
	ikev2=yes
	authby=secret
	left=$OB
	leftid=@b.example
	leftsubnet=10.93.2.0/24
	leftupdown=%disabled
	right=$OA
	rightid=@a.example
	rightsubnet=10.93.1.0/24
	ike=$1
	esp=$2
	auto=add
EOC
	cat > "$work/ipsec.secrets" <<EOC
@b.example @a.example : PSK "$PSK"
EOC
	chmod 600 "$work/ipsec.secrets"
}

whack_b() { qb "$whack" --ctlsocket "$work/run/pluto.ctl" "$@"; }

start_pluto() {
	local i
	: > "$work/pluto.log"
	rm -rf "$work/run" "$work/nss" && mkdir -p "$work/run" "$work/nss"
	certutil -N -d "sql:$work/nss" --empty-password > "$work/pluto.out" 2>&1
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
	echo "# --- pluto"; tail -40 "$work/pluto.log" | sed 's/^/#   /'
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

# scenario NAME WHO_INITIATES IKE_IKETCPD ESP_IKETCPD IKE_LIBRESWAN ESP_LIBRESWAN
scenario() {
	local tag=$1 who=$2 before after
	pair_topo 4 93 || { fail "$tag.topology"; return; }
	pluto_conf "$5" "$6"
	ikd_conf $([ "$who" = iketcpd ] && echo initiate || echo listen) "$3" "$4"
	: > "$work/a.log"
	start_pluto || echo "# pluto did not load conn site"
	# not through qa: $! must be the daemon itself, for the signals
	ip netns exec $na "$ikd" run --config "$work/a.conf" > "$work/a.log" 2>&1 &
	PIDA=$!
	if [ "$who" != iketcpd ]; then
		wait_log "$work/a.log" started 10
		whack_b --name site --initiate --asynchronous >> "$work/whack.out" 2>&1
	fi
	if wait_log "$work/a.log" "Child SA up" 30 && pluto_child_up; then
		ok "$tag.handshake"
	else
		fail "$tag.handshake"; show_logs; stop_all; return
	fi
	check "$tag.states_on_both_sides" test "$(nstates ip -n $na)" = 2 -a "$(nstates ip -n $nb)" = 2
	before=$(pkts_total $na)
	check "$tag.ping_iketcpd_to_libreswan" qa ping -c 3 -i 0.2 -W 2 -I 10.93.1.1 10.93.2.1
	check "$tag.ping_libreswan_to_iketcpd" qb ping -c 3 -i 0.2 -W 2 -I 10.93.2.1 10.93.1.1
	after=$(pkts_total $na)
	check "$tag.pings_went_through_the_sas" test "$after" -ge $((before + 12))
	# DELETE from libreswan's side: iketcpd removes its states
	whack_b --name site --terminate >> "$work/whack.out" 2>&1
	wait_log "$work/a.log" "IKE SA gone" 10
	if ! check "$tag.delete_from_libreswan_cleans_iketcpd" test "$(nstates ip -n $na)" = 0; then
		show_logs
	fi
	stop_all
	# IKETCP_LSW_LOGS=DIR (a --rw dir in the VM): keep both sides' logs
	[ -n "${IKETCP_LSW_LOGS:-}" ] && for f in a.log pluto.log pluto.out whack.out; do
		cp "$work/$f" "$IKETCP_LSW_LOGS/$tag.$f" 2>/dev/null
	done
}

for m in esp4 esp6 xfrm_user dummy; do modprobe -q $m 2>/dev/null; done
echo "TAP version 13"
echo "1..12"
if [ ! -x "$pluto" ] || [ ! -x "$whack" ] || ! command -v certutil > /dev/null; then
	# interop is required: a machine without the peer fails, not skips
	fail "libreswan.installed # no unpacked libreswan or certutil: make deps"
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
echo "# $((ntest - nfail)) passed, $nfail failed"
[ $nfail = 0 ]
