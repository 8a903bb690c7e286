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
	local failed=$nfail
	if ! mid_topo "$fam" $NET; then
		fail "$t.topology"; return
	fi
	[ "$nat" = - ] || mid_nat "$nat"
	# shellcheck disable=SC2046
	[ "$block" = - ] || mid_block $(echo "$block" | tr , ' ')
	mid_zero
	start_pair "$ka" "$kb"
	if wait_log "$work/a.log" "Child SA up" 30 && wait_log "$work/b.log" "Child SA up" 10; then
		ok "$t.up"
	else
		fail "$t.up"; dump_logs; stop_daemons; return
	fi
	check "$t.ike_over_$ike" expect_ike "$t" "$ike"
	check "$t.status_says_esp_over_$esp" eval 'st_a | grep -q "esp over $esp (" && st_b | grep -q "esp over $esp ("'
	check "$t.kernel_state_for_esp_$esp" expect_state "$esp" "$ike"
	mid_zero
	check "$t.ping_both_ways" pings
	check "$t.esp_rode_$esp" expect_esp "$esp"
	[ "$nfail" = "$failed" ] || dump_logs
	stop_daemons
	check "$t.nothing_left" test "$(ours ip -n $na)" = 0 -a "$(ours ip -n $nb)" = 0 \
		-a "$(bindings $na)" = 0 -a "$(bindings $nb)" = 0
}
