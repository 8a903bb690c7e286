#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The timers of an IKE SA, iketcpd against iketcpd.  Child SA rekeys
# (CREATE_CHILD_SA) under a ping flood, iketcpd against
# iketcpd (selftests/lib/ikepair.sh's two namespaces): rekey_time = 5s, the
# shortest allowed, so a 13 s flood at 100 packets per second crosses at
# least two rekeys; without and with PFS (x25519).  Each rekey installs the
# new pair on both sides and deletes the old one (2 states left on each),
# and the flood loses at most a few packets (the number is printed).
# Also: IKE SA rekeys under the flood, simultaneous IKE SA rekeys by both
# sides (RFC 7296 2.8.2), a Child SA the kernel refuses, a dead peer found
# by liveness checks, and an IKE SA that ends at ike_lifetime when its
# rekey fails.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
ikd=$repo/user/iketcpd
na=rk-a
nb=rk-b
work=$(mktemp -d)
. "$here/lib/ikepair.sh"

PIDA= PIDB=
stop_all() {
	local p
	for p in $PIDA $PIDB; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	PIDA= PIDB=
}
cleanup() { stop_all; pair_del; rm -rf "$work"; }
trap cleanup EXIT

conf() {	# FILE LOCAL REMOTE ME PEER START LTS RTS ESP [CHILD_REKEY [EXTRA_LINES]]
	local lifetime=60s
	[ -n "${10:-}" ] && lifetime=2h
	cat > "$1" <<EOC
[global]
ctl_socket = $1.ctl

[conn site]
local = $2
remote = $3
local_id = fqdn:$4
remote_id = fqdn:$5
auth = psk
psk = rekey me if you can
ike = aes256gcm16-prfsha256-x25519
esp = $9
local_ts = $7
remote_ts = $8
start = $6
rekey_time = ${10:-5s}
rekey_jitter = 0%
lifetime = $lifetime
${11:-}
EOC
	chmod 600 "$1"
}

# The responder, then the initiator ($work/b.conf, $work/a.conf); not
# through qa: $! must be the daemon itself, for the signals.
start_both() {
	ip netns exec $nb "$ikd" run --config "$work/b.conf" > "$work/b.log" 2>&1 &
	PIDB=$!
	wait_log "$work/b.log" started 10
	ip netns exec $na "$ikd" run --config "$work/a.conf" > "$work/a.log" 2>&1 &
	PIDA=$!
}

# scenario TAG ESP
scenario() {
	local tag=$1 loss
	pair_topo 4 94 || { fail "$tag.topology"; return; }
	conf "$work/a.conf" $OA $OB a.example b.example initiate 10.94.1.0/24 10.94.2.0/24 "$2"
	conf "$work/b.conf" $OB $OA b.example a.example listen 10.94.2.0/24 10.94.1.0/24 "$2"
	start_both
	if ! wait_log "$work/a.log" "Child SA up" 30; then
		fail "$tag.child_sa_up"; tail -20 "$work/a.log" | sed 's/^/#   /'
		stop_all; return
	fi
	ok "$tag.child_sa_up"
	qa ping -q -i 0.01 -c 1300 -W 1 -I $IA $IB > "$work/ping" 2>&1
	loss=$(awk '/packets transmitted/ { print $1 - $4 }' "$work/ping")
	echo "# $tag: $loss of 1300 pings lost across the rekeys"
	check "$tag.two_rekeys_on_both_sides" test \
		"$(grep -c 'Child SA up (rekeyed)' "$work/a.log")" -ge 2 -a \
		"$(grep -c 'Child SA up (rekeyed)' "$work/b.log")" -ge 2
	# Polled: the rekeys go on every 5 s, each with 4 states on a side for
	# its DELETE's round trip; old pairs never deleted would stay.
	check "$tag.old_pairs_deleted" wait_until 5 two_states_each
	check "$tag.policies_still_in_place" test "$(npolicies ip -n $na)" = 3 -a "$(npolicies ip -n $nb)" = 3
	check "$tag.at_most_a_few_pings_lost" test "${loss:-9999}" -le 10
	check "$tag.ping_after_the_rekeys" qa ping -c 2 -i 0.2 -W 2 -I $IA $IB
	if [ $nfail != 0 ]; then
		grep -i "rekey\|Child SA\|refused\|fail" "$work/a.log" "$work/b.log" | tail -20 | sed 's/^/#   /'
	fi
	stop_all
}

two_states_each() { [ "$(nstates ip -n $na)" = 2 ] && [ "$(nstates ip -n $nb)" = 2 ]; }

# ike_scenario TAG IKE_TRANSPORT: the IKE SA itself rekeyed every 5 s under
# the flood (Child SAs kept for an hour): the Child SA moves to each new IKE
# SA with its states (same SPIs), the old IKE SAs are deleted, over UDP or
# with ESP inside the TCP connection the new IKE SA inherits.
ike_scenario() {
	local tag=$1 loss spis
	pair_topo 4 94 || { fail "$tag.topology"; return; }
	conf "$work/a.conf" $OA $OB a.example b.example initiate 10.94.1.0/24 10.94.2.0/24 \
		aes256gcm16 1h "$(printf 'ike_rekey_time = 5s\nike_transport = %s' "$2")"
	conf "$work/b.conf" $OB $OA b.example a.example listen 10.94.2.0/24 10.94.1.0/24 \
		aes256gcm16 1h "ike_rekey_time = 1h"
	start_both
	if ! wait_log "$work/a.log" "Child SA up" 30; then
		fail "$tag.child_sa_up"; tail -20 "$work/a.log" | sed 's/^/#   /'
		stop_all; return
	fi
	ok "$tag.child_sa_up"
	spis=$(ip -n $na xfrm state | awk '/^\tproto esp spi/ { print $4 }' | sort | tr '\n' ' ')
	qa ping -q -i 0.01 -c 1300 -W 1 -I $IA $IB > "$work/ping" 2>&1
	loss=$(awk '/packets transmitted/ { print $1 - $4 }' "$work/ping")
	echo "# $tag: $loss of 1300 pings lost across the IKE SA rekeys"
	check "$tag.two_ike_rekeys_on_both_sides" test \
		"$(grep -c 'IKE SA rekeyed' "$work/a.log")" -ge 2 -a \
		"$(grep -c 'IKE SA rekeyed' "$work/b.log")" -ge 2
	# Polled, not after a fixed pause: the rekeys go on every 5 s, and one
	# may be in flight (two IKE SAs until its DELETE's round trip) at any
	# given moment.  Old IKE SAs that were never deleted would pile up.
	check "$tag.one_ike_sa_left_on_each_side" wait_one_ike_sa
	check "$tag.child_sa_kept_its_states" test \
		"$(ip -n $na xfrm state | awk '/^\tproto esp spi/ { print $4 }' | sort | tr '\n' ' ')" = "$spis"
	check "$tag.no_child_rekey" test "$(grep -c 'Child SA up (rekeyed)' "$work/a.log")" = 0
	check "$tag.ping_after_the_rekeys" qa ping -c 2 -i 0.2 -W 2 -I $IA $IB
	if [ $nfail != 0 ]; then
		grep -i "rekey\|IKE SA\|refused\|fail" "$work/a.log" "$work/b.log" | tail -20 | sed 's/^/#   /'
	fi
	stop_all
}

# ike_count NS_LETTER: the IKE SAs the daemon reports
ike_count() {
	ip netns exec "rk-$1" "$ikd" status --socket "$work/$1.conf.ctl" |
		awk '/^[0-9]+ IKE SA/ { print $1; exit }'
}

# Until both sides report one IKE SA (a later rekey leaves two for the
# round trip of its DELETE).
one_ike_sa_each() { [ "$(ike_count a)" = 1 ] && [ "$(ike_count b)" = 1 ]; }
wait_one_ike_sa() {
	wait_until 5 one_ike_sa_each && return 0
	echo "# IKE SAs still reported: a $(ike_count a), b $(ike_count b)"
	return 1
}

# Both sides rekey the IKE SA at the same moment (RFC 7296 2.8.2): the
# responder waits a tenth longer than its ike_rekey_time, so 10 s there and
# 11 s on the initiator fall due together (the 200 ms ticks apart), and
# with 400 ms each way on the link from then on the two requests cross.
# A 40 s ping crosses that and the later rekeys.
# (ike_lifetime is set long: here the IKE SAs must end by rekeys alone.)
# Both exchanges complete, the redundant new IKE SA and the old one are
# deleted, one IKE SA is left on each side with the Child SA's states
# untouched, and the ping goes on crossing.
ike_collision() {
	local tag=ike_collision loss spis pping red old
	pair_topo 4 94 || { fail "$tag.topology"; return; }
	conf "$work/a.conf" $OA $OB a.example b.example initiate 10.94.1.0/24 10.94.2.0/24 \
		aes256gcm16 1h "$(printf 'ike_rekey_time = 11s\nike_lifetime = 60s')"
	conf "$work/b.conf" $OB $OA b.example a.example listen 10.94.2.0/24 10.94.1.0/24 \
		aes256gcm16 1h "$(printf 'ike_rekey_time = 10s\nike_lifetime = 60s')"
	start_both
	if ! wait_log "$work/a.log" "Child SA up" 30; then
		fail "$tag.child_sa_up"; tail -20 "$work/a.log" | sed 's/^/#   /'
		stop_all; return
	fi
	ok "$tag.child_sa_up"
	spis=$(ip -n $na xfrm state | awk '/^\tproto esp spi/ { print $4 }' | sort | tr '\n' ' ')
	tc -n $na qdisc add dev $na-v root netem delay 400ms
	tc -n $nb qdisc add dev $nb-v root netem delay 400ms
	qa ping -q -i 0.05 -c 800 -W 3 -I $IA $IB > "$work/ping" 2>&1 &
	pping=$!
	# A starved VM may tick one side late, past the window, for the first
	# rekey: then the next ones (every 11 s) fall due together again.
	# The checks come before the survivor's own rekey, 10 s later.
	wait_log "$work/a.log" "is redundant" 40 && wait_log "$work/b.log" "is redundant" 5
	check "$tag.both_saw_the_collision" eval \
		'grep -q "simultaneous IKE SA rekeys" "$work/a.log" &&
		 grep -q "simultaneous IKE SA rekeys" "$work/b.log"'
	check "$tag.one_redundant_sa_deleted_by_its_initiator" test \
		"$(grep -h 'is redundant' "$work/a.log" "$work/b.log" | grep -c 'deleting it')" = 1
	red=$(grep -h 'is redundant' "$work/a.log" | head -1 | sed 's/.*site\[\([0-9a-f]*\)\].*/\1/')
	old=$(grep -h 'simultaneous IKE SA rekeys' "$work/a.log" | head -1 |
		sed 's/.*site\[\([0-9a-f]*\)\].*/\1/')
	check "$tag.redundant_and_old_sa_gone_on_both_sides" eval \
		'wait_log "$work/a.log" "site\[$red\]: IKE SA gone" 10 &&
		 wait_log "$work/b.log" "site\[$red\]: IKE SA gone" 5 &&
		 wait_log "$work/a.log" "site\[$old\]: IKE SA gone" 5 &&
		 wait_log "$work/b.log" "site\[$old\]: IKE SA gone" 5'
	check "$tag.one_ike_sa_left_on_each_side" wait_one_ike_sa
	check "$tag.child_sa_kept_its_states" test \
		"$(ip -n $na xfrm state | awk '/^\tproto esp spi/ { print $4 }' | sort | tr '\n' ' ')" = "$spis"
	check "$tag.exactly_the_child_sa_states" test "$(nstates ip -n $na)" = 2 -a "$(nstates ip -n $nb)" = 2
	check "$tag.policies_still_in_place" test "$(npolicies ip -n $na)" = 3 -a "$(npolicies ip -n $nb)" = 3
	wait $pping
	loss=$(awk '/packets transmitted/ { print $1 - $4 }' "$work/ping")
	echo "# $tag: $loss of 800 pings lost across the simultaneous rekeys" \
		"($(grep -c 'IKE SA rekeyed' "$work/a.log") IKE SA rekeys)"
	check "$tag.no_ping_lost" test "${loss:-9999}" = 0
	check "$tag.ping_after_the_rekeys" qa ping -c 2 -i 0.2 -W 3 -I $IA $IB
	if [ $nfail != 0 ]; then
		grep -i "rekey\|IKE SA\|refused\|fail" "$work/a.log" "$work/b.log" | tail -30 | sed 's/^/#   /'
	fi
	stop_all
}

# The kernel refuses the initiator's Child SA: a forwarding policy of the
# test's own holds the selectors iketcpd's fwd policy needs (EEXIST, the
# last of its three).  iketcpd logs why, takes back what it installed,
# deletes the Child SA with the peer (whose states and policies go) and
# keeps the IKE SA; the Child SA is not offered for rekey again.
install_refused() {
	local tag=install_refused
	pair_topo 4 94 || { fail "$tag.topology"; return; }
	ip -n $na xfrm policy add src 10.94.2.0/24 dst 10.94.1.0/24 dir fwd action block
	conf "$work/a.conf" $OA $OB a.example b.example initiate 10.94.1.0/24 10.94.2.0/24 \
		aes256gcm16 1h ""
	conf "$work/b.conf" $OB $OA b.example a.example listen 10.94.2.0/24 10.94.1.0/24 \
		aes256gcm16 1h ""
	start_both
	check "$tag.refusal_logged" wait_log "$work/a.log" "not installed: .*deleted with the peer" 30
	check "$tag.peer_deleted_its_pair" wait_log "$work/b.log" "Child SA .* deleted" 10
	sleep 3	# a rekey would come at once (its time was never set)
	check "$tag.no_state_left" test "$(nstates ip -n $na)" = 0 -a "$(nstates ip -n $nb)" = 0
	check "$tag.only_the_tests_policy_left" test "$(npolicies ip -n $na)" = 1 -a \
		"$(npolicies ip -n $nb)" = 0
	check "$tag.ike_sa_kept" test "$(ike_count a)" = 1 -a "$(ike_count b)" = 1
	check "$tag.not_offered_for_rekey" test "$(grep -c 'rekeying Child SA' "$work/a.log")" = 0
	if [ $nfail != 0 ]; then
		tail -20 "$work/a.log" "$work/b.log" | sed 's/^/#   /'
	fi
	stop_all
}

# The peer dies (SIGKILL: no DELETE): with liveness_interval = 1s and
# liveness_timeout = 3s the survivor declares it dead within seconds and
# takes its states and policies out of the kernel.
dead_peer() {
	local tag=dead_peer
	pair_topo 4 94 || { fail "$tag.topology"; return; }
	conf "$work/a.conf" $OA $OB a.example b.example initiate 10.94.1.0/24 10.94.2.0/24 \
		aes256gcm16 1h "$(printf 'liveness_interval = 1s\nliveness_timeout = 3s')"
	conf "$work/b.conf" $OB $OA b.example a.example listen 10.94.2.0/24 10.94.1.0/24 \
		aes256gcm16 1h ""
	start_both
	check "$tag.child_sa_up" wait_log "$work/a.log" "Child SA up" 30
	sleep 3
	check "$tag.alive_peer_kept" test "$(grep -c 'dead' "$work/a.log")" = 0
	kill -KILL $PIDB; wait $PIDB 2>/dev/null; PIDB=
	check "$tag.declared_dead" wait_log "$work/a.log" "silent for .* s: dead" 15
	check "$tag.states_and_policies_gone" test "$(nstates ip -n $na)" = 0 -a \
		"$(npolicies ip -n $na)" = 0
	stop_all
}

# ike_lifetime: the peer stops (SIGSTOP) just after the IKE SA is up, so
# its rekey at 5 s gets no answer: at ike_lifetime (8 s) the IKE SA ends
# and its Child SA's states and policies leave the kernel.
ike_lifetime_ends() {
	local tag=ike_lifetime
	pair_topo 4 94 || { fail "$tag.topology"; return; }
	conf "$work/a.conf" $OA $OB a.example b.example initiate 10.94.1.0/24 10.94.2.0/24 \
		aes256gcm16 1h "$(printf 'ike_rekey_time = 5s\nike_lifetime = 8s')"
	conf "$work/b.conf" $OB $OA b.example a.example listen 10.94.2.0/24 10.94.1.0/24 \
		aes256gcm16 1h ""
	start_both
	check "$tag.child_sa_up" wait_log "$work/a.log" "Child SA up" 30
	kill -STOP $PIDB
	check "$tag.rekey_tried" wait_log "$work/a.log" "rekeying the IKE SA" 10
	check "$tag.ended_at_its_lifetime" wait_log "$work/a.log" "lifetime of 8 s ended" 10
	check "$tag.states_and_policies_gone" test "$(nstates ip -n $na)" = 0 -a \
		"$(npolicies ip -n $na)" = 0
	kill -CONT $PIDB
	stop_all
}

# One name per scenario, for IKETCP_REKEY_ONLY
ike_rekey_udp() { ike_scenario ike_rekey.udp udp; }
ike_rekey_tcp() { ike_scenario ike_rekey.tcp tcp; }

for m in esp4 xfrm_user dummy; do modprobe -q $m 2>/dev/null; done
echo "TAP version 13"
# IKETCP_REKEY_ONLY="ike_collision install_refused": only these scenarios
# (the plan comes last then)
if [ -n "${IKETCP_REKEY_ONLY:-}" ]; then
	for f in $IKETCP_REKEY_ONLY; do $f; done
	echo "1..$ntest"
	echo "# $((ntest - nfail)) passed, $nfail failed"
	[ $nfail = 0 ]; exit
fi
echo "1..48"
scenario rekey.no_pfs aes256gcm16
scenario rekey.pfs_x25519 aes256gcm16-x25519
ike_rekey_udp
ike_rekey_tcp
ike_collision
install_refused
dead_peer
ike_lifetime_ends
echo "# $((ntest - nfail)) passed, $nfail failed"
[ $nfail = 0 ]
