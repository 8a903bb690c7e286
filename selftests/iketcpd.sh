#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# iketcpd against iketcpd over UDP: two namespaces, one daemon each, PSK.
#
#  ┌──────── ikd-a ────────┐              ┌──────── ikd-b ────────┐
#  │ inner 10.91.1.1 (dum) │              │ inner 10.91.2.1 (dum) │
#  │ iketcpd start=initiate ──── veth ───── iketcpd start=listen  │
#  │ $OA                   │   UDP 500    │ $OB                   │
#  └───────────────────────┘              └───────────────────────┘
#
# For IPv4 and IPv6 outer addresses, tunnel mode (inner IPv4 subnets) and
# transport mode (the outer addresses): the daemons negotiate; then both
# have the two ESP states (ip xfrm state, with iketcpd's reqid), ping
# crosses both ways and the states' packet counters grow (so the packets
# went through the SAs: the in/fwd policies also drop cleartext that
# matches them).  Then: SIGKILL leaves states behind, which the next start
# removes before negotiating again; SIGTERM leaves nothing in the kernel and
# the peer learns of it (DELETE: its states go too).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
ikd=$repo/user/iketcpd
na=ikd-a
nb=ikd-b
work=$(mktemp -d)

. "$here/lib/ikepair.sh"

cleanup() {
	stop_daemons KILL
	pair_del
	rm -rf "$work"
}
trap cleanup EXIT

# conf FILE LOCAL REMOTE ME PEER START MODE [PSK]
conf() {
	local f=$1 psk=${8:-"correct horse battery"} ts=""
	if [ "$7" = tunnel ]; then
		if [ "$4" = a.example ]; then
			ts="local_ts = 10.91.1.0/24
remote_ts = 10.91.2.0/24"
		else
			ts="local_ts = 10.91.2.0/24
remote_ts = 10.91.1.0/24"
		fi
	fi
	cat > "$f" <<EOC
[global]
log_level = debug
ctl_socket = $work/$(basename "$f").ctl
retransmit_timeout = 500ms
retransmit_tries = 3

[conn site]
local = $2
remote = $3
local_id = fqdn:$4
remote_id = fqdn:$5
auth = psk
psk = $psk
ike = aes256gcm16-prfsha256-x25519
esp = aes256gcm16
mode = $7
start = $6
$ts
EOC
	chmod 600 "$f"
}

PIDA= PIDB=
# not through qa/qb: $! must be the daemon (ip netns exec execs it), or
# signals would go to a subshell
start_a() {
	ip netns exec $na "$ikd" run --config "$work/a.conf" >> "$work/a.log" 2>&1 &
	PIDA=$!
}
start_b() {
	ip netns exec $nb "$ikd" run --config "$work/b.conf" >> "$work/b.log" 2>&1 &
	PIDB=$!
}
stop_daemons() {
	local sig=${1:-TERM} p
	for p in $PIDA $PIDB; do kill -$sig "$p" 2>/dev/null; done
	for p in $PIDA $PIDB; do wait "$p" 2>/dev/null; done
	PIDA= PIDB=
}

# status_text_ok FILE SPI_OUT: one established IKE SA we initiated, with the
# Child SA of that outbound SPI
status_text_ok() {
	grep -q "established, initiator" "$1" &&
		grep -q "child [0-9a-f]\{8\}/$2 " "$1"
}

# caps_limited PID LOG: its permitted and effective sets are CAP_NET_ADMIN
# and CAP_NET_BIND_SERVICE, nothing inheritable or ambient, and it said so
caps_limited() {
	local st=/proc/$1/status
	grep -qx 'CapPrm:	0000000000001400' "$st" &&
		grep -qx 'CapEff:	0000000000001400' "$st" &&
		grep -qx 'CapInh:	0000000000000000' "$st" &&
		grep -qx 'CapAmb:	0000000000000000' "$st" &&
		grep -q 'capabilities kept: cap_net_bind_service,cap_net_admin=ep' "$2" ||
		{ grep '^Cap' "$st" | sed 's/^/#   /'; return 1; }
}

show_logs() {
	echo "# --- a.log"; sed 's/^/#   /' "$work/a.log" | tail -30
	echo "# --- b.log"; sed 's/^/#   /' "$work/b.log" | tail -30
}

# one FAMILY MODE: a whole scenario
one() {
	local fam=$1 mode=$2 tag="v$1.$2" pa pb
	: > "$work/a.log"; : > "$work/b.log"
	pair_topo "$fam" 91 || { fail "$tag.topology"; return; }
	conf "$work/a.conf" $OA $OB a.example b.example initiate "$mode"
	conf "$work/b.conf" $OB $OA b.example a.example listen "$mode"
	start_b
	wait_log "$work/b.log" started 10
	start_a
	if ! wait_log "$work/a.log" "Child SA up" 30 ||
	   ! wait_log "$work/b.log" "Child SA up" 10; then
		fail "$tag.child_sa_up"; show_logs; stop_daemons KILL; return
	fi
	ok "$tag.child_sa_up"
	# started as root; running, only CAP_NET_ADMIN (12) and
	# CAP_NET_BIND_SERVICE (10): everything below works with those
	check "$tag.runs_with_net_admin_and_bind_service_only" caps_limited $PIDA "$work/a.log"
	check "$tag.two_states_each_marked_ours" \
		test "$(nstates ip -n $na)" = 2 -a "$(nstates ip -n $nb)" = 2 \
		-a "$(ours ip -n $na)" = 2 -a "$(ours ip -n $nb)" = 2
	local src=$IA dst=$IB
	if [ "$mode" = transport ]; then src=$OA dst=$OB; fi
	local spi_out
	spi_out=$(grep -o 'out [0-9a-f]\{8\}' "$work/a.log" | head -1 | cut -d' ' -f2)
	pa=$(pkts $na "0x$spi_out")
	if qa ping -c 3 -i 0.2 -W 2 -I $src $dst > "$work/ping" 2>&1; then
		ok "$tag.ping_a_to_b"
	else
		fail "$tag.ping_a_to_b"; sed 's/^/#   /' "$work/ping"
		qa ip -s xfrm state | sed 's/^/#   /'; qa ip xfrm policy | sed 's/^/#   /'
	fi
	check "$tag.ping_b_to_a" qb ping -c 3 -i 0.2 -W 2 -I $dst $src
	pb=$(pkts $na "0x$spi_out")
	check "$tag.packets_went_through_the_sa" test "${pb:-0}" -ge $(( ${pa:-0} + 3 ))
	# the control socket: status (text and JSON), down, up
	qa "$ikd" status --socket "$work/a.conf.ctl" > "$work/st" 2>&1
	check "$tag.status_shows_the_sas" status_text_ok "$work/st" "$spi_out"
	qa "$ikd" status --json --socket "$work/a.conf.ctl" > "$work/st.json" 2>&1
	check "$tag.status_json_counts_the_pings" python3 -c "
import json, sys
d = json.load(open('$work/st.json'))
c = d['ike_sas'][0]['children'][0]
sys.exit(not (c['spi_out'] == '$spi_out' and c['out_packets'] >= 3))"
	qa "$ikd" down site --socket "$work/a.conf.ctl" > /dev/null 2>&1
	wait_log "$work/b.log" "IKE SA gone" 10
	check "$tag.down_deletes_on_both_sides" test "$(nstates ip -n $na)" = 0 -a "$(nstates ip -n $nb)" = 0
	qa "$ikd" up site --socket "$work/a.conf.ctl" > /dev/null 2>&1
	check "$tag.up_brings_it_back" wait_count "$work/a.log" "Child SA up" 2 30
	for i in $(seq 1 50); do [ "$(nstates ip -n $na)" = 2 ] && break; sleep 0.2; done

	# reload: unchanged, the SAs stay; a broken file changes nothing; a
	# changed connection is deleted and, start = initiate, comes back
	local before after
	before=$(ip -n $na xfrm state | grep -o 'spi 0x[0-9a-f]*' | sort | tr '\n' ' ')
	qa "$ikd" reload --socket "$work/a.conf.ctl" > /dev/null 2>&1
	after=$(ip -n $na xfrm state | grep -o 'spi 0x[0-9a-f]*' | sort | tr '\n' ' ')
	check "$tag.reload_unchanged_keeps_the_sas" test -n "$before" -a "$before" = "$after"
	cp "$work/a.conf" "$work/a.conf.good"
	echo "bogus line" >> "$work/a.conf"
	check "$tag.reload_of_a_broken_file_fails_and_keeps_all" sh -c \
		"! ip netns exec $na $ikd reload --socket $work/a.conf.ctl 2>/dev/null &&
		 [ \"\$(ip -n $na xfrm state | grep -o 'spi 0x[0-9a-f]*' | sort | tr '\n' ' ')\" = '$before' ]"
	sed 's/^liveness_interval.*//; s/^retransmit_tries = 3/retransmit_tries = 3/' "$work/a.conf.good" > "$work/a.conf"
	echo "rekey_time = 2h" >> "$work/a.conf"
	chmod 600 "$work/a.conf"
	qa "$ikd" reload --socket "$work/a.conf.ctl" > /dev/null 2>&1
	check "$tag.reload_of_a_changed_conn_renegotiates" wait_count "$work/a.log" "Child SA up" 3 30
	for i in $(seq 1 50); do [ "$(nstates ip -n $na)" = 2 ] && break; sleep 0.2; done

	# SIGKILL of a leaves its states; its next start removes them first
	kill -KILL $PIDA; wait $PIDA 2>/dev/null; PIDA=
	check "$tag.sigkill_leaves_states_behind" test "$(nstates ip -n $na)" = 2
	: > "$work/a.log"
	start_a
	if wait_log "$work/a.log" "Child SA up" 30; then
		check "$tag.restart_after_sigkill_removes_leftovers" \
			grep -q "removed [0-9]* XFRM entries" "$work/a.log"
		check "$tag.restart_negotiates_again" test "$(nstates ip -n $na)" = 2
	else
		fail "$tag.restart_after_sigkill_removes_leftovers"
		fail "$tag.restart_negotiates_again"; show_logs
	fi
	# SIGTERM on b: nothing of it stays, and a's states go on its DELETE
	kill -TERM $PIDB; wait $PIDB; PIDB=
	check "$tag.sigterm_leaves_no_state" test "$(nstates ip -n $nb)" = 0 -a "$(npolicies ip -n $nb)" = 0
	wait_log "$work/a.log" "IKE SA gone" 10
	check "$tag.peer_delete_removes_states" test "$(nstates ip -n $na)" = 0 -a "$(npolicies ip -n $na)" = 0
	stop_daemons TERM
	check "$tag.all_clean_after_stop" test "$(nstates ip -n $na)" = 0 -a \
		"$(nstates ip -n $nb)" = 0 -a "$(npolicies ip -n $na)" = 0 -a \
		"$(npolicies ip -n $nb)" = 0
}

for m in esp4 esp6 xfrm_user dummy; do modprobe -q $m 2>/dev/null; done
echo "TAP version 13"
echo "1..76"
for fam in 4 6; do
	for mode in tunnel transport; do
		one $fam $mode
	done
done
echo "# $((ntest - nfail)) passed, $nfail failed"
[ $nfail = 0 ]
