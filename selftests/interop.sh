#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# iketcpd against strongSwan (charon 5.9.8, Debian 12) over UDP, PSK:
# iketcpd as initiator and as responder.  A handshake counts only when the
# independent peer completes it and ping crosses the tunnel both ways
# through the SAs (their packet counters grow).
#
#  ┌──────── iop-a ────────┐              ┌──────── iop-b ────────┐
#  │ inner 10.92.1.1 (dum) │              │ inner 10.92.2.1 (dum) │
#  │ iketcpd               ───── veth ──── charon (swanctl)      │
#  │ 192.0.92.1            │   UDP 500    │ 192.0.92.2            │
#  └───────────────────────┘              └───────────────────────┘
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
ikd=$repo/user/iketcpd
na=iop-a
nb=iop-b
PSK="interop pre-shared key"
work=$(mktemp -d)

. "$here/lib/ikepair.sh"
. "$here/lib/charon.sh"

PIDA= PIDC=
stop_all() {
	[ -n "$PIDA" ] && kill -TERM $PIDA 2>/dev/null && wait $PIDA 2>/dev/null
	[ -n "$PIDC" ] && kill -TERM $PIDC 2>/dev/null && wait $PIDC 2>/dev/null
	PIDA= PIDC=
}
cleanup() {
	stop_all
	pair_del
	rm -rf "$work"
}
trap cleanup EXIT

# iketcpd's side: conf START IKE ESP [EXTRA_LINE]
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
local_ts = 10.92.1.0/24
remote_ts = 10.92.2.0/24
start = $1
${4:-}
EOC
	chmod 600 "$work/a.conf"
}

# strongSwan's side, in its own private files (NOTES-VM.md)
charon_conf() {
	charon_conf_write
	cat > "$work/swanctl.conf" <<EOC
connections {
	site {
		version = 2
		local_addrs = $OB
		remote_addrs = $OA
		proposals = $1
		local { auth = psk
			id = b.example }
		remote { auth = psk
			id = a.example }
		children {
			site {
				local_ts = 10.92.2.0/24
				remote_ts = 10.92.1.0/24
				esp_proposals = $2
				mode = tunnel
			}
		}
	}
}
secrets {
	ike-site {
		id-a = a.example
		id-b = b.example
		secret = "$PSK"
	}
}
EOC
}

show_logs() {
	echo "# --- iketcpd"; tail -25 "$work/a.log" | sed 's/^/#   /'
	charon_show_logs
}

# strongSwan keeps the old IKE SA for its DELETE's round trip
charon_one_ike_sa() {
	test "$(swanctl_b --list-sas --noblock 2>/dev/null | grep -c "ESTABLISHED, IKEv2")" = 1
}

# scenario NAME WHO_INITIATES IKE ESP
scenario() {
	local tag=$1 who=$2 before after
	pair_topo 4 92 || { fail "$tag.topology"; return; }
	charon_conf "$3" "$4"
	# the IKE SA rekey: iketcpd's own (every 5 s) when it initiated,
	# strongSwan's (swanctl --rekey) when strongSwan did
	ikd_conf $([ "$who" = iketcpd ] && echo initiate || echo listen) "$3" "$4" \
		"$([ "$who" = iketcpd ] && echo 'ike_rekey_time = 5s')"
	: > "$work/a.log"
	start_charon
	# not through qa: $! must be the daemon itself, for the signals
	ip netns exec $na "$ikd" run --config "$work/a.conf" > "$work/a.log" 2>&1 &
	PIDA=$!
	if [ "$who" != iketcpd ]; then
		wait_log "$work/a.log" started 10
		swanctl_b --initiate --child site --timeout 20 >> "$work/swanctl.out" 2>&1 &
	fi
	if wait_log "$work/a.log" "Child SA up" 30 && charon_child_installed; then
		ok "$tag.handshake"
	else
		fail "$tag.handshake"; show_logs; stop_all; return
	fi
	check "$tag.states_on_both_sides" test "$(nstates ip -n $na)" = 2 -a "$(nstates ip -n $nb)" = 2
	before=$(pkts_total $na)
	check "$tag.ping_iketcpd_to_strongswan" qa ping -c 3 -i 0.2 -W 2 -I 10.92.1.1 10.92.2.1
	check "$tag.ping_strongswan_to_iketcpd" qb ping -c 3 -i 0.2 -W 2 -I 10.92.2.1 10.92.1.1
	after=$(pkts_total $na)
	check "$tag.pings_went_through_the_sas" test "$after" -ge $((before + 12))
	[ "$who" = iketcpd ] || swanctl_b --rekey --ike site >> "$work/swanctl.out" 2>&1
	check "$tag.ike_sa_rekeyed_and_strongswan_has_one_ike_sa" eval \
		'wait_log "$work/a.log" "IKE SA rekeyed" 20 && wait_until 5 charon_one_ike_sa'
	check "$tag.ping_after_the_ike_sa_rekey" qa ping -c 3 -i 0.2 -W 2 -I 10.92.1.1 10.92.2.1
	# DELETE from strongSwan's side: iketcpd removes its states
	swanctl_b --terminate --ike site --timeout 10 >> "$work/swanctl.out" 2>&1
	wait_log "$work/a.log" "IKE SA gone" 10
	check "$tag.delete_from_strongswan_cleans_iketcpd" test "$(nstates ip -n $na)" = 0
	stop_all
}

for m in esp4 esp6 xfrm_user dummy; do modprobe -q $m 2>/dev/null; done
echo "TAP version 13"
echo "1..16"
if [ ! -x /usr/sbin/charon-systemd ] || ! command -v swanctl > /dev/null; then
	# interop is required: a machine without the peer fails, not skips
	fail "strongswan.installed # charon-systemd/swanctl missing: make deps"
	exit 1
fi
scenario strongswan.iketcpd_initiates iketcpd aes256gcm16-prfsha256-x25519 aes256gcm16
scenario strongswan.strongswan_initiates strongswan aes256gcm16-prfsha256-x25519 aes256gcm16
echo "# $((ntest - nfail)) passed, $nfail failed"
[ $nfail = 0 ]
