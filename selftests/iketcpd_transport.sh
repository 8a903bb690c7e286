#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Separate transports in iketcpd: IKE over UDP or TCP (RFC 9329) and ESP over
# IP, UDP or TCP, chosen per Child SA, through a middle router that counts
# each transport, drops some on demand and can masquerade (lib/middle.sh).
#
#  tr-a (initiator) ── tr-m (router: counters, blocks, NAT) ── tr-b (responder)
#
# The cells of the transport matrix that take more steps than
# iketcpd_matrix.sh's (an ESP probe answered or not, ESP moved into the
# connection when its path fails, separate-udp's fallback), then what
# breaks mid-session: a TCP reset (the originator reconnects and the
# bindings move); the responder's idle close; a stream the module resets
# (logged with its counter); no COOKIE over TCP; TCP port 500's rules.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
ikd=$repo/user/iketcpd
na=tr-a
nm=tr-m
nb=tr-b
work=$(mktemp -d)
. "$here/lib/ikepair.sh"
. "$here/lib/middle.sh"

. "$here/lib/cells.sh"

for m in esp4 esp6 xfrm_user dummy veth nf_tables nft_nat nft_masq nft_reject \
	nft_reject_inet nft_ct nf_conntrack_netlink; do
	modprobe -q $m 2>/dev/null
done
echo "TAP version 13"
echo "1..64"

# After a TCP start with the echo, the initiator probes ESP's own path
# (net/probe.h; draft -04's reachability verification).  Nothing blocked:
# the probe over bare IP is answered and ESP stays there.  Bare ESP and UDP
# 4500 blocked: no answer within esp_probe_timeout, so the initiator
# deletes the IKE SA and starts again over TCP without SEPARATE_TRANSPORTS;
# ESP then rides the connection, bound on both sides.
t=sep_tcp_probe_answered
mid_topo 4 $NET
start_pair "ike_transport=separate-tcp" ""
if wait_log "$work/a.log" "ESP probe over ip answered" 30; then
	ok "$t.probe_over_ip_answered"
	check "$t.status_says_why" eval 'st_a | grep -q "esp over ip (no NAT, probe answered)"'
	check "$t.no_restart" test "$(grep -c 'initiating over' "$work/a.log")" = 1
	mid_zero
	check "$t.ping_both_ways" pings
	check "$t.esp_stays_off_tcp" expect_esp ip
else
	fail "$t.probe_over_ip_answered"
	for x in status_says_why no_restart ping_both_ways esp_stays_off_tcp; do fail "$t.$x"; done
	dump_logs
fi
stop_daemons

last_seq() { grep -o 'icmp_seq=[0-9]*' "$work/ping" | tail -n 1 | cut -d= -f2; }

# ping_until_moved T PID: the ping PID (-i 0.01 into $work/ping; started
# without qa, which would make PID a subshell that ignores SIGINT) goes on
# until both sides have moved ESP into the connection and 2 s more, then
# stops: how long the move takes is the VM's speed (esp_fail_timeout, then
# the peer's next look), not the test's.  Requests sent after the move
# must be answered.
ping_until_moved() {
	local t=$1 pid=$2 seq0 seq1
	wait_log "$work/a.log" "ESP moves into the TCP connection" 30 &&
		wait_log "$work/b.log" "ESP moves into the TCP connection" 10
	seq0=$(last_seq)
	sleep 2
	kill -INT "$pid"
	wait "$pid"
	seq1=$(last_seq)
	echo "# $t: ping -i 0.01 across the move:" \
		"$(grep -o '[0-9]* received, [0-9.]*% packet loss' "$work/ping"):" \
		"answered up to ${seq0:-none} once both had moved, ${seq1:-none} 2 s later"
	check "$t.ping_resumed" test "${seq1:-0}" -ge $((${seq0:-0} + 20))
}

# moved TEST_NAME: ESP moved into the connection by binding, both sides
moved() {
	local t=$1
	check "$t.initiator_moved_esp" grep -q "ESP moves into the TCP connection" "$work/a.log"
	check "$t.responder_moved_esp" grep -q "ESP moves into the TCP connection" "$work/b.log"
	check "$t.status_says_tcp" eval 'st_a | grep -q "esp over tcp (" && st_b | grep -q "esp over tcp ("'
	check "$t.both_directions_bound" test "$(bindings $na)" = 2 -a "$(bindings $nb)" = 2
	mid_zero
	check "$t.ping_both_ways" pings
	check "$t.esp_rode_tcp" expect_esp tcp
}

t=sep_tcp_esp_blocked
mid_topo 4 $NET && mid_block esp udp4500
start_pair "ike_transport=separate-tcp" ""
if wait_log "$work/a.log" "starting again over TCP without SEPARATE_TRANSPORTS" 30 &&
	wait_log "$work/a.log" "Child SA up.*ESP over tcp" 30 &&
	wait_log "$work/b.log" "Child SA up.*ESP over tcp" 10; then
	ok "$t.probe_unanswered_restart"
	echo "# $t: counters: $(mid_counts)"
	# the probes (bare ESP, SPI 0) reached the router and were dropped
	check "$t.probes_dropped" test "$(mid_count esp)" -ge 3 -a "$(mid_count dropped)" -ge 3
	check "$t.no_esp_in_udp_tried" test "$(mid_count espudp)" = 0 -a "$(mid_count ike4500)" = 0
	check "$t.responder_deleted_the_first_ike_sa" grep -q "IKE SA gone" "$work/b.log"
	check "$t.two_ike_sas_one_left" eval \
		'test "$(grep -c "initiating over" "$work/a.log")" = 2 -a "$(st_a | grep -c ": IKE SA ")" = 1'
	check "$t.status_says_why_ike_is_on_tcp" eval 'st_a | grep -q "separate-tcp after an unanswered ESP probe"'
	check "$t.status_says_why" eval 'st_a | grep -q "esp over tcp (ESP probe unanswered"'
	check "$t.both_directions_bound" test "$(bindings $na)" = 2 -a "$(bindings $nb)" = 2
	mid_zero
	check "$t.ping_both_ways" pings
	check "$t.esp_rode_tcp" expect_esp tcp
else
	for x in probe_unanswered_restart probes_dropped no_esp_in_udp_tried \
		responder_deleted_the_first_ike_sa two_ike_sas_one_left \
		status_says_why_ike_is_on_tcp status_says_why \
		both_directions_bound ping_both_ways esp_rode_tcp; do fail "$t.$x"; done
	dump_logs
fi
stop_daemons

# ESP in UDP blocked mid-flow under ping -i 0.01, behind a NAT (UDP
# discovery, so no probe): ESP moves to TCP by binding, ping resumes (the
# loss is reported), NAT keepalives went on while IKE was on TCP.
t=udp_blocked_midflow
mid_topo 4 $NET && mid_nat random
start_pair "ike_transport=separate-udp" ""
if wait_log "$work/a.log" "Child SA up" 30; then
	check "$t.esp_over_udp_first" eval 'st_a | grep -q "esp over udp ("'
	ip netns exec $na ping -i 0.01 -w 120 -W 1 -I "$IA" "$IB" > "$work/ping" 2>&1 &
	pp=$!
	sleep 2
	check "$t.nat_keepalives_while_ike_on_tcp" test "$(mid_count keepalive)" -ge 1
	mid_block udp4500
	ping_until_moved $t $pp
	moved $t
else
	for x in esp_over_udp_first nat_keepalives_while_ike_on_tcp ping_resumed initiator_moved_esp \
		responder_moved_esp status_says_tcp both_directions_bound ping_both_ways esp_rode_tcp; do
		fail "$t.$x"
	done
	dump_logs
fi
stop_daemons

# Bare ESP blocked, no NAT, UDP discovery with the echo: ESP starts over IP,
# finds no path (esp_fail_timeout) and moves into the TCP connection.
t=sep_udp_esp_blocked
mid_topo 4 $NET && mid_block esp
start_pair "ike_transport=separate-udp" ""
if wait_log "$work/a.log" "Child SA up" 30; then
	check "$t.esp_over_ip_first" eval 'st_a | grep -q "esp over ip ("'
	ip netns exec $na ping -i 0.01 -w 120 -W 1 -I "$IA" "$IB" > "$work/ping" 2>&1 &
	ping_until_moved $t $!
	moved $t
else
	for x in esp_over_ip_first ping_resumed initiator_moved_esp responder_moved_esp \
		status_says_tcp both_directions_bound ping_both_ways esp_rode_tcp; do fail "$t.$x"; done
	dump_logs
fi
stop_daemons

# TCP start behind a NAT, UDP 4500 blocked: the ESP path probe (over UDP
# 4500 behind a NAT) goes unanswered, the initiator starts again over TCP
# without SEPARATE_TRANSPORTS and ESP rides the connection.
t=sep_tcp_nat_udp_blocked
mid_topo 4 $NET && mid_nat random && mid_block udp4500
start_pair "ike_transport=separate-tcp" ""
if wait_log "$work/a.log" "starting again over TCP without SEPARATE_TRANSPORTS" 30 &&
	wait_log "$work/a.log" "Child SA up.*ESP over tcp" 30 &&
	wait_log "$work/b.log" "Child SA up.*ESP over tcp" 10; then
	ok "$t.probe_unanswered_restart"
	check "$t.probes_dropped" test "$(mid_count ike4500)" -ge 3 -a "$(mid_count dropped)" -ge 3
	check "$t.status_says_why" eval 'st_a | grep -q "esp over tcp (ESP probe unanswered"'
	check "$t.both_directions_bound" test "$(bindings $na)" = 2 -a "$(bindings $nb)" = 2
	mid_zero
	check "$t.ping_both_ways" pings
	check "$t.esp_rode_tcp" expect_esp tcp
	check "$t.no_nat_keepalives_needed" test "$(mid_count keepalive)" = 0
else
	for x in probe_unanswered_restart probes_dropped status_says_why \
		both_directions_bound ping_both_ways esp_rode_tcp no_nat_keepalives_needed; do fail "$t.$x"; done
	dump_logs
fi
stop_daemons

# separate-udp with TCP blocked falls back (that cell), or gives up
t=fallback_fail
mid_topo 4 $NET && mid_block tcp4500
start_pair "ike_transport=separate-udp tcp_fallback=fail" ""
check "$t.gives_up" wait_log "$work/a.log" "giving up (tcp_fallback = fail)" 30
check "$t.no_child_sa" test "$(ours ip -n $na)" = 0
check "$t.no_udp_restart" test "$(grep -c 'initiating over' "$work/a.log")" = 1
stop_daemons

no_tcp500_connection() {
	[ "$(qa ss -Htn state all '( dport = :500 )' | grep -vc TIME-WAIT)" = 0 ]
}

# TCP port 500, each rule of draft-ietf-ipsecme-ike-tcp section 2 on its own
t=tcp500_rules
mid_topo 4 $NET
start_pair "ike_transport=tcp500" "global.tcp500_idle_timeout=2s"
if wait_log "$work/a.log" "Child SA up" 30 && wait_log "$work/b.log" "Child SA up" 10; then
	# the initiator half-closes after its last request; both sides close
	check "$t.initiator_closed_its_connection" wait_until 5 no_tcp500_connection
	# the responder's own request (DELETE) never uses the peer's connection
	mid_zero
	qb "$ikd" down site --socket "$work/b.conf.ctl" > /dev/null
	check "$t.initiator_saw_the_responders_delete" wait_log "$work/a.log" "IKE SA gone" 10
	check "$t.responders_request_over_udp_not_tcp" test "$(mid_count udp500)" -ge 2 -a "$(mid_count tcp500)" = 0
else
	for x in initiator_closed_its_connection initiator_saw_the_responders_delete \
		responders_request_over_udp_not_tcp; do fail "$t.$x"; done
	dump_logs
fi
stop_daemons
# a responder alone against hand-made IKE_SA_INIT requests over TCP 500
conf "$work/b.conf" "$OB" %any listen 10.$NET.2.0/24 10.$NET.1.0/24 global.tcp500_idle_timeout=2s
ip netns exec $nb "$ikd" run --config "$work/b.conf" > "$work/b.log" 2>&1 &
PIDB=$!
wait_log "$work/b.log" started 10
mid_zero
# ike_init.py-like: one IKE_SA_INIT (AES-GCM-256, PRF SHA-256, x25519), the
# same bytes for every MODE: "twice" (two connections, both answers
# printed as hex), "close" (send and close at once)
legacy_client() {
	qa "$(mid_python)" - "$OB" "$1" <<'PY'
import os, socket, struct, sys, time
def pl(nxt, body):
    return struct.pack("!BBH", nxt, 0, 4 + len(body)) + body
def tr(last, ttype, tid, attrs=b""):
    body = struct.pack("!BBHBBH", 0 if last else 3, 0, 8 + len(attrs), ttype, 0, tid) + attrs
    return body
trs = tr(0, 1, 20, struct.pack("!HH", 0x800e, 256)) + tr(0, 2, 5) + tr(1, 4, 31)
prop = struct.pack("!BBHBBBB", 0, 0, 8 + len(trs), 1, 1, 0, 3) + trs
payloads = pl(34, prop) + pl(40, struct.pack("!HH", 31, 0) + os.urandom(32)) + pl(0, os.urandom(32))
hdr = os.urandom(8) + bytes(8) + struct.pack("!BBBBII", 33, 0x20, 34, 0x08, 0, 28 + len(payloads))
req = hdr + payloads
def recv_msg(s):
    h = b""
    while len(h) < 28:
        d = s.recv(28 - len(h))
        if not d: return b""
        h += d
    n = struct.unpack("!I", h[24:28])[0] - 28
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d: return b""
        b += d
    return h + b
mode = sys.argv[2]
if mode == "close":
    s = socket.create_connection((sys.argv[1], 500), timeout=5)
    s.sendall(req)
    s.close()
    time.sleep(2)
else:
    for i in range(2):
        s = socket.create_connection((sys.argv[1], 500), timeout=5)
        s.sendall(req)
        print(recv_msg(s).hex())
        s.close()
PY
}
legacy_client twice > "$work/answers"
check "$t.answered_on_the_same_connection" test "$(grep -c . "$work/answers")" = 2 -a \
	"$(head -c 2 "$work/answers")" != ""
check "$t.retransmission_gets_the_cached_answer" test "$(sed -n 1p "$work/answers")" = \
	"$(sed -n 2p "$work/answers")"
check "$t.no_cookie_and_no_udp" test "$(mid_count udp500)" = 0 -a "$(mid_count ike4500)" = 0
legacy_client close
check "$t.no_answer_over_udp_after_an_early_close" test "$(mid_count udp500)" = 0 -a \
	"$(mid_count ike4500)" = 0
idle=$(idle_probe 500 "")
echo "# $t: idle TCP 500 connection $idle"
check "$t.idle_connection_closed" eval 'case "$idle" in "closed after "[2-4]" s") true ;; *) false ;; esac'
stop_daemons

# A TCP reset mid-session, ESP in the stream under ping -i 0.05: only the
# originator reconnects, the bindings move to the new connection on both
# sides, the tunnel survives.
t=tcp_reset
mid_topo 4 $NET
start_pair "ike_transport=tcp" ""
if wait_log "$work/a.log" "Child SA up" 30 && wait_log "$work/b.log" "Child SA up" 10; then
	qa ping -c 200 -i 0.05 -W 1 -I "$IA" "$IB" > "$work/ping" 2>&1 &
	pp=$!
	sleep 2
	mid_reset_tcp 1
	wait $pp
	check "$t.originator_saw_the_reset" grep -q "TCP connection lost" "$work/a.log"
	check "$t.originator_reconnected" test "$(grep -c 'TCP connection to the peer is up' "$work/a.log")" -ge 2
	check "$t.responder_did_not_connect" test "$(grep -c 'connecting to the peer' "$work/b.log")" = 0
	check "$t.bindings_on_both_sides" test "$(bindings $na)" = 2 -a "$(bindings $nb)" = 2
	check "$t.ping_after_the_reset" pings
	# the responder keeps the old connection if it did not send while the
	# router reset: it closes it after tcp_idle_timeout, carrying no SA
	check "$t.originator_has_one_connection" test "$(qa ss -Htn state established '( dport = :4500 )' | wc -l)" = 1
	# the loss is reported, not asserted: it is a matter of timing
	echo "# $t: ping -i 0.05 across the reset: $(grep -o '[0-9]* received, [0-9.]*% packet loss' "$work/ping")"
else
	for x in originator_saw_the_reset originator_reconnected responder_did_not_connect \
		bindings_on_both_sides ping_after_the_reset originator_has_one_connection; do
		fail "$t.$x"
	done
	dump_logs
fi
stop_daemons

# The responder alone: an accepted connection without an IKE SA closes after
# tcp_idle_timeout; a bad stream prefix is reset by the module, and the log
# names the module's counter.
t=responder
mid_topo 4 $NET
conf "$work/b.conf" "$OB" %any listen 10.$NET.2.0/24 10.$NET.1.0/24 global.tcp_idle_timeout=2s
ip netns exec $nb "$ikd" run --config "$work/b.conf" > "$work/b.log" 2>&1 &
PIDB=$!
wait_log "$work/b.log" started 10
py=$(mid_python)
idle=$(idle_probe 4500 IKETCP)
echo "# $t: idle connection $idle"
check "$t.idle_connection_closed" eval 'case "$idle" in "closed after "[2-4]" s") true ;; *) false ;; esac'
check "$t.idle_close_logged" grep -q "closing an idle TCP connection" "$work/b.log"
qa "$py" -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], 4500), timeout=5)
s.sendall(b"IKETCX\x00\x10" + bytes(14))
time.sleep(1)
' "$OB" 2>/dev/null
check "$t.bad_prefix_logged_with_the_counter" wait_log "$work/b.log" "counter reset_bad_prefix" 5
stop_daemons

# No COOKIE over TCP (RFC 9329 section 3), even with cookie_threshold = 0.
t=no_cookie_over_tcp
mid_topo 4 $NET
start_pair "ike_transport=tcp" "global.cookie_threshold=0"
check "$t.up" wait_log "$work/a.log" "Child SA up" 30
check "$t.no_cookie_asked" test "$(grep -c COOKIE "$work/b.log")" = 0
stop_daemons

# SIGKILL with ESP in the stream: the module keeps the bindings, orphaned;
# the next start removes them (and the states, as after any SIGKILL).
t=sigkill_bindings
mid_topo 4 $NET
start_pair "ike_transport=tcp" ""
if wait_log "$work/a.log" "Child SA up" 30; then
	kill -KILL $PIDA; wait $PIDA 2>/dev/null; PIDA=
	check "$t.orphaned_after_sigkill" test "$(bindings $na)" = 2
	conf "$work/a.conf" "$OA" "$OB" listen 10.$NET.1.0/24 10.$NET.2.0/24 ike_transport=tcp
	ip netns exec $na "$ikd" run --config "$work/a.conf" > "$work/a.log" 2>&1 &
	PIDA=$!
	wait_log "$work/a.log" started 10
	check "$t.restart_removes_them" test "$(bindings $na)" = 0 -a "$(ours ip -n $na)" = 0
	check "$t.restart_says_so" grep -q "removed 2 orphaned ESP bindings" "$work/a.log"
else
	for x in orphaned_after_sigkill restart_removes_them restart_says_so; do fail "$t.$x"; done
	dump_logs
fi
stop_daemons

echo "# ran $ntest of the plan"
exit $((nfail > 0))
