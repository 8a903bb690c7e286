# SPDX-License-Identifier: GPL-2.0
# Sourced by the separate-transport suites (iketcpd_transport.sh,
# iketcpd_large.sh), after lib/ikepair.sh and lib/middle.sh: two iketcpd
# daemons across lib/middle.sh's router ($na initiator, $nb responder, in
# $work, inner networks 10.$NET.1.0/24 and 10.$NET.2.0/24), their configs,
# and `cell`, one tunnel checked end to end: it comes up, the router's
# counters prove which transport carried IKE and which ESP, the kernel
# state matches, pings cross, nothing is left afterwards.
PIDA= PIDB=
stop_daemons() {
	local p
	for p in $PIDA $PIDB; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	PIDA= PIDB=
}
cleanup() {
	stop_daemons
	mid_del
	rm -rf "$work"
}
trap cleanup EXIT

# conf FILE LOCAL REMOTE START LTS RTS [KEY=VALUE...]: [global] keys first
# (those named global.KEY), then the connection's
conf() {
	local f=$1 kv
	{
		echo "[global]"
		echo "log_level = debug"
		echo "ctl_socket = $f.ctl"
		echo "nat_keepalive = 1s"
		for kv in "${@:7}"; do
			case $kv in global.*) kv=${kv#global.}; echo "${kv%%=*} = ${kv#*=}" ;; esac
		done
		echo
		echo "[conn site]"
		echo "local = $2"
		echo "remote = $3"
		echo "local_id = fqdn:$(basename "$f" .conf).example"
		echo "remote_id = %any"
		case " ${*:7} " in *" auth="*) ;; *)
			echo "auth = psk"
			echo "psk = one transport for IKE, another for ESP" ;;
		esac
		# defaults, unless given among the keys
		case " ${*:7} " in *" ike="*) ;; *) echo "ike = aes256gcm16-prfsha256-x25519" ;; esac
		case " ${*:7} " in *" esp="*) ;; *) echo "esp = aes256gcm16" ;; esac
		# No liveness check in a cell's windows: on a loaded VM a cell
		# outlives the default 30 s, and a check over TCP 4500 in the
		# ping window reads as ESP on TCP (seen: cell.sep_tcp.esp_rode_ip)
		case " ${*:7} " in *" liveness_interval="*) ;; *) echo "liveness_interval = 10m" ;; esac
		echo "local_ts = $5"
		echo "remote_ts = $6"
		echo "start = $4"
		for kv in "${@:7}"; do
			case $kv in global.*) ;; *) echo "${kv%%=*} = ${kv#*=}" ;; esac
		done
	} > "$f"
	chmod 600 "$f"
}

NET=94
# start_pair "INITIATOR KEYS" "RESPONDER KEYS": both daemons, responder first
start_pair() {
	local ka=$1 kb=$2 remote=$OB
	# shellcheck disable=SC2086 # word lists of KEY=VALUE
	conf "$work/a.conf" "$OA" "$remote" initiate 10.$NET.1.0/24 10.$NET.2.0/24 $ka
	# shellcheck disable=SC2086
	conf "$work/b.conf" "$OB" %any listen 10.$NET.2.0/24 10.$NET.1.0/24 $kb
	: > "$work/a.log"
	ip netns exec $nb "$ikd" run --config "$work/b.conf" > "$work/b.log" 2>&1 &
	PIDB=$!
	wait_log "$work/b.log" started 10 || return 1
	ip netns exec $na "$ikd" run --config "$work/a.conf" > "$work/a.log" 2>&1 &
	PIDA=$!
}

st_a() { qa "$ikd" status --socket "$work/a.conf.ctl" 2>&1; }
st_b() { qb "$ikd" status --socket "$work/b.conf.ctl" 2>&1; }
bindings() { ip netns exec "$1" "$ikd" module status 2>/dev/null | awk '/sa_bindings/ { print $2; exit }'; }
encaps() { ip -n "$1" xfrm state | grep -c 'encap type espinudp'; }
pings() {
	qa ping -c 5 -i 0.1 -W 2 -I "$IA" "$IB" > /dev/null &&
		qb ping -c 5 -i 0.1 -W 2 -I "$IB" "$IA" > /dev/null
}

# idle_probe PORT PREFIX: connect from $na to the responder, send PREFIX,
# and say when the responder closed the connection
idle_probe() {
	qa "$(mid_python)" -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.sendall(sys.argv[3].encode())
t = time.time()
try:
    d = s.recv(100)
except ConnectionResetError:
    d = b""
print("closed after %.0f s" % (time.time() - t) if d == b"" else "data")
' "$OB" "$1" "$2" 2>&1
}

dump_logs() {
	echo "# counters: $(mid_counts)"
	st_a | sed 's/^/# a status: /'
	tail -n 15 "$work/a.log" | sed 's/^/# a: /'
	tail -n 10 "$work/b.log" | sed 's/^/# b: /'
}

# The initiator's liveness check over UDP 4500 after IKE_AUTH over TCP 500
# and its answer: IKE datagrams on UDP 4500 (a request and its answer, or
# more with retransmissions while a loaded VM installs the first Child SA),
# and the responder's ESP in UDP followed the NAT's port (up to 10 s)
nat_check_seen() {
	wait_log "$work/b.log" "ESP in UDP follows the peer to port" 10 &&
		[ "$(mid_count ike4500)" -ge 2 ] &&
		grep -q "liveness check over UDP 4500 right after IKE_AUTH over TCP 500" "$work/a.log"
}

# expect_ike NAME KIND: the counters since the start say IKE rode KIND
#   udp: UDP 500 only; udp4500: IKE_SA_INIT on 4500 and no TCP; tcp: TCP 4500
#   and no UDP IKE; sep-udp: IKE on UDP 4500 first, then TCP 4500;
#   sep-tcp, sep-tcp-nat: IKE on TCP 4500, and the initiator's ESP path
#   probe (net/probe.h) with its answer over bare IP (counted as esp), or
#   behind a NAT over UDP 4500 (behind a zero marker: counted as ike4500);
#   udp-fallback: see below
expect_ike() {
	local u5 i45 t45
	u5=$(mid_count udp500) i45=$(mid_count ike4500) t45=$(mid_count tcp4500)
	case $2 in
	udp) [ "$u5" -ge 2 ] && [ "$t45" = 0 ] ;;
	udp4500) [ "$i45" -ge 2 ] && [ "$t45" = 0 ] && [ "$u5" = 0 ] ;;
	tcp) [ "$t45" -ge 4 ] && [ "$u5" = 0 ] && [ "$i45" = 0 ] ;;
	sep-tcp) [ "$t45" -ge 4 ] && [ "$u5" = 0 ] && [ "$i45" = 0 ] &&
		[ "$(mid_count esp)" -ge 2 ] ;;
	sep-tcp-nat) [ "$t45" -ge 4 ] && [ "$u5" = 0 ] && [ "$i45" -ge 2 ] &&
		[ "$(mid_count esp)" = 0 ] ;;
	sep-udp) [ "$i45" = 2 ] && [ "$t45" -ge 4 ] && [ "$u5" = 0 ] ;;
	# TCP tried (SYNs counted before the block), then a new IKE SA on UDP
	# 4500 without SEPARATE_TRANSPORTS
	udp-fallback) [ "$i45" -ge 6 ] && [ "$t45" -ge 1 ] && [ "$u5" = 0 ] &&
		grep -q "starting again over UDP without SEPARATE_TRANSPORTS" "$work/a.log" ;;
	# TCP port 500 (draft-ietf-ipsecme-ike-tcp): every exchange on it;
	# auto: IKE_SA_INIT on UDP 500, the long IKE_AUTH on TCP 500;
	# tcp500-nat, auto-nat: the same behind a NAT, and then one liveness
	# check over UDP 4500 and its answer (section 3.2);
	# udp-no-tcp500: the peer announced no IKE_TCP_SUPPORTED, no TCP at all
	tcp500) [ "$(mid_count tcp500)" -ge 4 ] && [ "$u5" = 0 ] && [ "$i45" = 0 ] && [ "$t45" = 0 ] ;;
	auto) [ "$u5" = 2 ] && [ "$(mid_count tcp500)" -ge 4 ] && [ "$t45" = 0 ] ;;
	tcp500-nat) nat_check_seen && [ "$(mid_count tcp500)" -ge 4 ] && [ "$u5" = 0 ] && [ "$t45" = 0 ] ;;
	auto-nat) nat_check_seen && [ "$u5" = 2 ] && [ "$(mid_count tcp500)" -ge 4 ] && [ "$t45" = 0 ] ;;
	udp-no-tcp500) [ "$u5" -ge 4 ] && [ "$(mid_count tcp500)" = 0 ] && [ "$t45" = 0 ] ;;
	esac
}

# expect_esp KIND: what the pings (after mid_zero) rode, and nothing else
expect_esp() {
	local e eu t
	e=$(mid_count esp) eu=$(mid_count espudp) t=$(mid_count tcp4500)
	case $1 in
	ip) [ "$e" -ge 20 ] && [ "$eu" = 0 ] && [ "$t" = 0 ] ;;
	udp) [ "$eu" -ge 20 ] && [ "$e" = 0 ] && [ "$t" = 0 ] ;;
	tcp) [ "$t" -ge 20 ] && [ "$e" = 0 ] && [ "$eu" = 0 ] ;;
	esac
}

# The kernel state the choice implies, on both sides: ESP in UDP or not,
# and the module's bindings (while IKE is on TCP the inbound state is
# always bound, ready for ESP in the stream; the outbound one only when ESP
# rides TCP)
expect_state() {
	local esp=$1 ike=$2 nb_in=0 enc=0
	case $ike in tcp|sep-*) nb_in=1 ;; esac
	[ "$esp" = udp ] && enc=2
	[ "$esp" = tcp ] && nb_in=2
	[ "$(encaps $na)" = $enc ] && [ "$(encaps $nb)" = $enc ] &&
		[ "$(bindings $na)" = $nb_in ] && [ "$(bindings $nb)" = $nb_in ]
}

# cell NAME FAM NAT BLOCK IKE ESP "INITIATOR KEYS" "RESPONDER KEYS"
#   NAT: - | on | random; BLOCK: - or mid_block kinds (comma separated)
#   IKE/ESP: what expect_ike/expect_esp must see
cell() {
	local name=$1 fam=$2 nat=$3 block=$4 ike=$5 esp=$6 ka=$7 kb=$8 t=cell.$1
	local failed=$nfail x
	mid_topo "$fam" $NET || { fail "$t.topology"; return; }
	[ "$nat" = - ] || mid_nat "$nat"
	# shellcheck disable=SC2046
	[ "$block" = - ] || mid_block $(echo "$block" | tr , ' ')
	mid_zero
	start_pair "$ka" "$kb"
	if cell_up_checks "$t" "$ike" "$esp"; then
		mid_zero
		check "$t.ping_both_ways" pings
		check "$t.esp_rode_$esp" expect_esp "$esp"
	else
		for x in "ike_over_$ike" "status_says_esp_over_$esp" "kernel_state_for_esp_$esp" \
			ping_both_ways "esp_rode_$esp"; do fail "$t.$x"; done
	fi
	cell_end "$t" "$failed"
}

# The cells where something does not simply come up (iketcpd.conf(5),
# "When a path is blocked").

# esp_blackholed KIND: pings get no answer, and the router saw their ESP on
# KIND (ip or udp) and dropped it; nothing went into a TCP connection
esp_blackholed() {
	local sent
	mid_zero
	qa ping -c 5 -i 0.2 -W 1 -I "$IA" "$IB" > /dev/null 2>&1 && return 1
	case $1 in ip) sent=$(mid_count esp) ;; udp) sent=$(mid_count espudp) ;; esac
	echo "# ESP over $1 blocked: $(mid_counts)"
	[ "${sent:-0}" -ge 5 ] && [ "$(mid_count dropped)" -ge 5 ] && [ "$(mid_count tcp4500)" = 0 ]
}

# The IKE SA is still up on the initiator, no peer was declared dead, and
# ESP stayed on KIND: it has nowhere else to go
ike_up_esp_stays() {
	st_a | grep -q ": IKE SA .*established" && st_a | grep -q "esp over $1 (" &&
		! grep -q "peer silent\|ESP moves into" "$work/a.log"
}

# cell_up_checks T IKE ESP: the checks of a tunnel that came up (4 lines)
cell_up_checks() {
	local t=$1 ike=$2 esp=$3
	if wait_log "$work/a.log" "Child SA up" 30 && wait_log "$work/b.log" "Child SA up" 10; then
		ok "$t.up"
	else
		fail "$t.up"; return 1
	fi
	check "$t.ike_over_$ike" expect_ike "$t" "$ike"
	check "$t.status_says_esp_over_$esp" eval 'st_a | grep -q "esp over $esp (" && st_b | grep -q "esp over $esp ("'
	check "$t.kernel_state_for_esp_$esp" expect_state "$esp" "$ike"
}

# cell_end T FAILED: logs on failure, both daemons stopped, nothing left
cell_end() {
	[ "$nfail" = "$2" ] || dump_logs
	stop_daemons
	check "$1.nothing_left" test "$(ours ip -n $na)" = 0 -a "$(ours ip -n $nb)" = 0 \
		-a "$(bindings $na)" = 0 -a "$(bindings $nb)" = 0
}

# cell_stuck NAME FAM NAT BLOCK IKE ESP "INITIATOR KEYS" "RESPONDER KEYS"
#   BLOCK blocks ESP's transport from the start, and IKE rides no RFC 9329
#   connection ESP could move into (UDP only, TCP 500, or UDP discovery
#   without the echo): the tunnel comes up, its ESP is dropped where the
#   choice put it, and the IKE SA stays up (7 lines)
cell_stuck() {
	local name=$1 fam=$2 nat=$3 block=$4 ike=$5 esp=$6 t=cell.$1 failed=$nfail x
	mid_topo "$fam" $NET || { fail "$t.topology"; return; }
	[ "$nat" = - ] || mid_nat "$nat"
	# shellcheck disable=SC2046
	mid_block $(echo "$block" | tr , ' ')
	mid_zero
	start_pair "$7" "$8"
	if cell_up_checks "$t" "$ike" "$esp"; then
		check "$t.esp_over_${esp}_blackholed" esp_blackholed "$esp"
		# longer than esp_fail_timeout: nothing moves it
		sleep 4
		check "$t.ike_sa_up_esp_stays_on_$esp" ike_up_esp_stays "$esp"
	else
		for x in "ike_over_$ike" "status_says_esp_over_$esp" "kernel_state_for_esp_$esp" \
			"esp_over_${esp}_blackholed" "ike_sa_up_esp_stays_on_$esp"; do fail "$t.$x"; done
	fi
	cell_end "$t" "$failed"
}

# cell_midblock NAME FAM NAT BLOCK IKE ESP OUTCOME "INITIATOR KEYS" "RESPONDER KEYS"
#   The tunnel comes up with nothing blocked and pings cross; then BLOCK
#   starts (UDP after the echo).  OUTCOME:
#     stays  ESP did not use what is blocked: pings still cross on ESP
#     stuck  ESP's transport is blocked, IKE's (TCP 500) is not, and there
#            is no RFC 9329 connection for ESP: the IKE SA stays up
#     dead   IKE and ESP both rode it: the liveness check (2 s, then 4 s)
#            declares the peer dead and the Child SA's states go; once
#            the block is lifted, restart_delay (2 s) brings it back
#   (9 lines)
cell_midblock() {
	local name=$1 fam=$2 nat=$3 block=$4 ike=$5 esp=$6 out=$7 t=cell.$1 failed=$nfail x
	local ka=$8 kb=$9
	[ "$out" = dead ] && ka+=" liveness_interval=2s liveness_timeout=4s restart_delay=2s" &&
		kb+=" liveness_interval=2s liveness_timeout=4s"
	mid_topo "$fam" $NET || { fail "$t.topology"; return; }
	[ "$nat" = - ] || mid_nat "$nat"
	mid_zero
	start_pair "$ka" "$kb"
	if cell_up_checks "$t" "$ike" "$esp"; then
		mid_zero
		check "$t.ping_both_ways" pings
		# shellcheck disable=SC2046
		mid_block $(echo "$block" | tr , ' ')
		case $out in
		stays)
			mid_zero
			check "$t.blocked.ping_both_ways" pings
			check "$t.blocked.esp_still_rode_$esp" expect_esp "$esp"
			check "$t.blocked.status_still_says_esp_over_$esp" eval \
				'st_a | grep -q "esp over $esp (" && ! grep -q "ESP moves into" "$work/a.log"' ;;
		stuck)
			check "$t.blocked.esp_over_${esp}_blackholed" esp_blackholed "$esp"
			sleep 4
			check "$t.blocked.ike_sa_up_esp_stays_on_$esp" ike_up_esp_stays "$esp"
			check "$t.blocked.child_sa_kept" test "$(ours ip -n $na)" -gt 0 ;;
		dead)
			check "$t.blocked.esp_over_${esp}_blackholed" esp_blackholed "$esp"
			check "$t.blocked.peer_dead_child_sa_removed" eval \
				'wait_log "$work/a.log" "peer silent for [0-9]* s: dead" 30 &&
				 wait_log "$work/a.log" "IKE SA gone" 5 && test "$(ours ip -n $na)" = 0'
			mid_unblock
			check "$t.unblocked.restarts_and_pings_cross" eval \
				'wait_count "$work/a.log" "Child SA up" 2 40 && pings' ;;
		esac
	else
		for x in "ike_over_$ike" "status_says_esp_over_$esp" "kernel_state_for_esp_$esp" \
			ping_both_ways blocked.1 blocked.2 blocked.3; do fail "$t.$x"; done
	fi
	cell_end "$t" "$failed"
}

# cell_down NAME FAM NAT "INITIATOR KEYS" "RESPONDER KEYS"
#   IKE from the start over TCP 4500 (tcp, separate-tcp), and TCP 4500
#   blocked: there is no fallback to UDP (the operator asked for TCP), the
#   connect times out, the IKE SA fails at once and nothing is installed;
#   restart_delay (2 s) tries again, and once the block is lifted the
#   tunnel comes up over TCP (8 lines)
cell_down() {
	local name=$1 fam=$2 nat=$3 t=cell.$1 failed=$nfail x
	mid_topo "$fam" $NET || { fail "$t.topology"; return; }
	[ "$nat" = - ] || mid_nat "$nat"
	mid_block tcp4500
	mid_zero
	start_pair "$4 restart_delay=2s" "$5"
	if wait_log "$work/a.log" "IKE SA gone: TCP connection failed: connect timed out" 20; then
		ok "$t.connect_times_out_ike_sa_fails"
		check "$t.tries_again_still_down" eval \
			'wait_log "$work/a.log" "initiating again (restart_delay)" 10 &&
			 ! grep -q "Child SA up" "$work/a.log" "$work/b.log"'
		check "$t.syns_dropped" test "$(mid_count tcp4500)" -ge 2 -a "$(mid_count dropped)" -ge 2
		check "$t.no_udp_tried" test "$(mid_count udp500)" = 0 -a "$(mid_count ike4500)" = 0
		check "$t.nothing_installed" test "$(ours ip -n $na)" = 0 -a "$(ours ip -n $nb)" = 0
		mid_unblock
		check "$t.up_once_unblocked" eval 'wait_log "$work/a.log" "Child SA up" 30 &&
			wait_log "$work/b.log" "Child SA up" 10 &&
			grep -q "IKE SA up with .*, over TCP" "$work/a.log"'
		check "$t.ping_both_ways" pings
	else
		fail "$t.connect_times_out_ike_sa_fails"
		for x in tries_again_still_down syns_dropped no_udp_tried nothing_installed \
			up_once_unblocked ping_both_ways; do fail "$t.$x"; done
	fi
	cell_end "$t" "$failed"
}
