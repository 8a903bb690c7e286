#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# iketcpd against libreswan (pluto 4.10, Debian 12) over TCP (RFC 9329),
# through a counting router (lib/middle.sh).  Needs a kernel with the
# kernel's own espintcp (CONFIG_INET_ESPINTCP): pluto puts the "espintcp"
# ULP on its TCP socket and fails without it (libreswan issue 1681), so
# make check runs this suite on the reference kernel only (REF_TESTS).
#
#  1. iketcpd initiates with ike_transport = separate-tcp: IKE_SA_INIT over
#     TCP 4500 with SEPARATE_TRANSPORTS.  pluto (listen-tcp=yes) does not
#     know the notify and does not echo it, so ESP rides the IKE connection
#     too: bound by the iketcp module on iketcpd's side, the kernel's
#     espintcp on pluto's.
#  2. pluto initiates over TCP (enable-tcp=yes, tcp-remoteport=4500)
#     against the iketcpd responder: plain RFC 9329, ESP in the stream.
#
# In each: both sides say the Child SA is up; the router saw IKE on TCP
# 4500 only (no UDP 500 or 4500 from the start); iketcpd says "esp over
# tcp", binds both states in the module and gives them no UDP encap, pluto's
# states are espintcp's; ping crosses both ways and iperf3 runs both ways
# through the SAs, and the router saw all of it inside TCP 4500 (no bare
# ESP, no UDP at all); a DELETE (iketcpd's in 1, pluto's in 2, each from
# the initiator) removes the states, policies and bindings everywhere.
#
# The reference kernel has no dummy interfaces and no nftables named
# counters (NFT_OBJREF), so lib/middle.sh cannot run there: the router here
# only forwards, and tcpdump on its a-side link counts what crossed it, per
# phase (handshake, traffic, DELETE).  The inner addresses sit on lo.
#
#  ┌──── lt-a ─────┐          ┌──── lt-m ────┐          ┌──── lt-b ─────┐
#  │ iketcpd       │ 192.168.97.0/24 tcpdump │ 198.51.97.0/24         │
#  │ lo 10.97.1.1  ──────────── (forwards)   ──────────── pluto         │
#  │               │          │              │          │ lo 10.97.2.1  │
#  └───────────────┘          └──────────────┘          └───────────────┘
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
ikd=$repo/user/iketcpd
na=lt-a
nm=lt-m
nb=lt-b
NET=97
PSK="interop over TCP"

if [ -z "${IKETCP_LSW_NS:-}" ]; then
	IKETCP_LSW_NS=1 exec unshare --mount --propagation private "$BASH" "$0" "$@"
fi

work=$(mktemp -d)
. "$here/lib/ikepair.sh"
. "$here/lib/libreswan.sh"

PIDA= PIDP= PIDI= PIDC=
stop_all() {
	local p
	for p in $PIDA $PIDP $PIDI $PIDC; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	PIDA= PIDP= PIDI= PIDC=
}
topo_del() { local n; for n in $na $nm $nb; do ip netns del $n 2>/dev/null; done; return 0; }
cleanup() {
	stop_all
	topo_del
	libexec_undo
	rm -rf "$work"
}
trap cleanup EXIT

qm() { ip netns exec "$nm" "$@"; }

# $na -- $nm -- $nb, OA 192.168.NET.2 (router .1), OB 198.51.NET.2 (router
# .1), inner IA and IB on lo, routed toward the router from themselves
topo() {
	local n
	topo_del
	for n in $na $nm $nb; do
		ip netns add $n && ip -n $n link set lo up || return 1
	done
	ip link add to-m netns $na type veth peer name to-a netns $nm &&
	ip link add to-m netns $nb type veth peer name to-b netns $nm || return 1
	OA=192.168.$NET.2 OB=198.51.$NET.2 IA=10.$NET.1.1 IB=10.$NET.2.1
	ip -n $na addr add $OA/24 dev to-m && ip -n $na link set to-m up &&
	ip -n $nb addr add $OB/24 dev to-m && ip -n $nb link set to-m up &&
	ip -n $nm addr add 192.168.$NET.1/24 dev to-a && ip -n $nm link set to-a up &&
	ip -n $nm addr add 198.51.$NET.1/24 dev to-b && ip -n $nm link set to-b up &&
	qm sysctl -qw net.ipv4.ip_forward=1 &&
	ip -n $na addr add $IA/32 dev lo && ip -n $nb addr add $IB/32 dev lo &&
	ip -n $na route add default via 192.168.$NET.1 &&
	ip -n $nb route add default via 198.51.$NET.1 &&
	ip -n $na route replace 10.$NET.2.0/24 via 192.168.$NET.1 src $IA &&
	ip -n $nb route replace 10.$NET.1.0/24 via 198.51.$NET.1 src $IB
}

# capture PHASE: tcpdump on the router's a-side link until the next
# capture (or capture_end); headers only
capture() {
	capture_end
	qm tcpdump -i to-a -nn -s 128 -U -w "$work/$1.pcap" > "$work/tcpdump.out" 2>&1 &
	PIDC=$!
	# tcpdump says "listening on" once it captures
	wait_log "$work/tcpdump.out" "listening on" 10
}
capture_end() {
	[ -n "$PIDC" ] || return 0
	sleep 0.5
	# SIGTERM: a background job of a script ignores SIGINT
	kill -TERM $PIDC 2>/dev/null; wait $PIDC 2>/dev/null; PIDC=
}
# seen PHASE FILTER: packets of the phase's capture that match FILTER
seen() { tcpdump -r "$work/$1.pcap" -nn "$2" 2>/dev/null | wc -l; }
# what crossed in PHASE, for the log
seen_all() {
	echo "tcp4500=$(seen "$1" 'tcp port 4500') udp500=$(seen "$1" 'udp port 500')" \
		"udp4500=$(seen "$1" 'udp port 4500') esp=$(seen "$1" 'ip proto 50')" \
		"other=$(seen "$1" 'ip and not tcp port 4500')"
}
# only_tcp4500 PHASE MIN: at least MIN segments of TCP 4500 and nothing
# else over IPv4 (no UDP 500 or 4500, no bare ESP, no inner packet in clear)
only_tcp4500() {
	[ "$(seen "$1" 'tcp port 4500')" -ge "$2" ] &&
		[ "$(seen "$1" 'ip and not tcp port 4500')" = 0 ]
}

# ikd_conf START IKE_TRANSPORT
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
ike = aes256gcm16-prfsha256-x25519
esp = aes256gcm16
local_ts = 10.$NET.1.0/24
remote_ts = 10.$NET.2.0/24
start = $1
ike_transport = $2
EOC
	chmod 600 "$work/a.conf"
}

# pluto over TCP: it listens on TCP 4500 and, as initiator, connects there
pluto_conf() {
	mkdir -p "$work/ipsec.d"
	cat > "$work/ipsec.conf" <<EOC
config setup
	dnssec-enable=no
	listen-tcp=yes
	plutodebug="${IKETCP_LSW_DEBUG:-none}"

conn site
	ikev2=yes
	authby=secret
	left=$OB
	leftid=@b.example
	leftsubnet=10.$NET.2.0/24
	leftupdown=%disabled
	right=$OA
	rightid=@a.example
	rightsubnet=10.$NET.1.0/24
	ike=aes_gcm256-sha2_256;dh31
	esp=aes_gcm256
	enable-tcp=yes
	tcp-remoteport=4500
	auto=add
EOC
	cat > "$work/ipsec.secrets" <<EOC
@b.example @a.example : PSK "$PSK"
EOC
	chmod 600 "$work/ipsec.secrets"
}

st_a() { qa "$ikd" status --socket "$work/a.ctl" 2>&1; }
bindings() { ip netns exec "$1" "$ikd" module status 2>/dev/null | awk '/sa_bindings/ { print $2; exit }'; }
nencap() { ip -n "$1" xfrm state | grep -c "encap type $2"; }

pings() {
	qa ping -c 5 -i 0.2 -W 2 -I "$IA" "$IB" > /dev/null &&
		qb ping -c 5 -i 0.2 -W 2 -I "$IB" "$IA" > /dev/null
}

# iperf3_way TAG [-R]: 3 s of TCP from a to b (with -R, b to a) through the
# tunnel; prints the receiver's rate
iperf3_way() {
	local out
	# a stalled data path must not hang the client for ever
	out=$(qa timeout 30 iperf3 -c "$IB" -B "$IA" -t 3 -f m --connect-timeout 5000 ${2:-} 2>&1) || {
		echo "# $1: iperf3 failed: $(echo "$out" | tail -n 2 | tr '\n' ' ')"; return 1; }
	out=$(echo "$out" | awk '/receiver/ { for (i = 1; i < NF; i++) if ($(i + 1) == "Mbits/sec") print $i }')
	echo "# $1: $out Mbit/s"
	awk -v r="$out" 'BEGIN { exit !(r > 0) }'
}

iperf3_both() {
	local rc=0 i
	qb iperf3 -s -B "$IB" > "$work/iperf3.out" 2>&1 &
	PIDI=$!
	# listening (slow to start under emulation)
	for i in $(seq 1 50); do
		qb ss -Hltn 'sport = :5201' | grep -q . && break
		sleep 0.2
	done
	iperf3_way "$1 iperf3 a->b" || rc=1
	iperf3_way "$1 iperf3 b->a" -R || rc=1
	kill -TERM $PIDI 2>/dev/null; wait $PIDI 2>/dev/null; PIDI=
	return $rc
}

launch() {	# WHO_INITIATES
	ip netns exec $na "$ikd" run --config "$work/a.conf" > "$work/a.log" 2>&1 &
	PIDA=$!
	if [ "$1" != iketcpd ]; then
		wait_log "$work/a.log" started 10
		whack_b --name site --initiate --asynchronous >> "$work/whack.out" 2>&1
	fi
}

# scenario NAME WHO_INITIATES IKE_TRANSPORT_OF_IKETCPD
scenario() {
	local t=$1 who=$2 f0=$nfail
	topo || { fail "$t.topology"; return; }
	pluto_conf
	ikd_conf $([ "$who" = iketcpd ] && echo initiate || echo listen) "$3"
	: > "$work/a.log"; : > "$work/whack.out"
	start_pluto || echo "# pluto did not load conn site"
	capture handshake
	launch "$who"
	if wait_log "$work/a.log" "Child SA up" 30 && pluto_child_up; then
		ok "$t.handshake"
	else
		fail "$t.handshake"; show_logs; capture_end; echo "# seen: $(seen_all handshake)"
		stop_all; keep_logs "$t"; return
	fi
	capture_end
	echo "# $t: handshake: $(seen_all handshake)"
	check "$t.ike_over_tcp4500_only" only_tcp4500 handshake 4
	check "$t.iketcpd_says_esp_over_tcp" eval 'st_a | grep -q "esp over tcp ("'
	st_a | grep "esp over" | sed "s/^ */# $t: iketcpd: /"
	check "$t.states_on_both_sides" test "$(nstates ip -n $na)" = 2 -a "$(nstates ip -n $nb)" = 2
	# iketcpd: states without encap, both bound to the connection in the
	# module; pluto: both states espintcp's (encap type 7)
	check "$t.iketcpd_binds_both_states" test "$(bindings $na)" = 2 -a "$(nencap $na espinudp)" = 0
	check "$t.libreswan_states_are_espintcp" test "$(nencap $nb espintcp)" = 2
	capture traffic
	check "$t.ping_both_ways" pings
	check "$t.iperf3_both_ways" iperf3_both "$t"
	capture_end
	echo "# $t: traffic: $(seen_all traffic)"
	check "$t.esp_rode_tcp4500_only" only_tcp4500 traffic 1000
	check "$t.traffic_went_through_the_sas" test "$(pkts_total $na)" -ge 1000
	capture delete
	if [ "$who" = iketcpd ]; then
		# the initiator ends it: iketcpd's DELETE, over the connection
		qa "$ikd" down site --socket "$work/a.ctl" > /dev/null
		check "$t.delete_from_iketcpd_cleans_libreswan" no_states_in $nb 10
		check "$t.iketcpd_states_gone" no_states_in $na 5
	else
		# pluto initiated, so its policy keeps the conn up: after a
		# DELETE from us it would start again; it ends it itself
		whack_b --name site --terminate >> "$work/whack.out" 2>&1
		wait_log "$work/a.log" "IKE SA gone" 10
		check "$t.delete_from_libreswan_cleans_iketcpd" no_states_in $na 10
		check "$t.libreswan_states_gone" no_states_in $nb 5
	fi
	check "$t.bindings_gone" test "$(bindings $na)" = 0
	check "$t.iketcpd_policies_gone" test "$(npolicies ip -n $na)" = 0
	# pluto's policies with a template toward the peer (its sockets'
	# bypass policies stay while it runs, and after a peer's DELETE of a
	# conn it did not initiate it keeps one of the tunnel's selectors
	# whose template has no addresses)
	check "$t.libreswan_policies_gone" test "$(ip -n $nb xfrm policy |
		grep -c "tmpl src \($OA\|$OB\) ")" = 0
	capture_end
	check "$t.delete_over_tcp4500_only" only_tcp4500 delete 2
	if [ $nfail != "$f0" ]; then
		show_logs
		echo "# seen in DELETE: $(seen_all delete)"
		ip -n $na xfrm state; ip -n $nb xfrm state
		ip -n $na xfrm policy; ip -n $nb xfrm policy
	fi 2>&1 | sed 's/^/# /'
	stop_all
	keep_logs "$t"
}

for m in esp4 esp6 xfrm_user veth; do modprobe -q $m 2>/dev/null; done
echo "TAP version 13"
if ! grep -qw espintcp /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null; then
	# pluto cannot work here; make check runs this suite on KERNEL=ref
	echo "1..1"
	echo "ok 1 libreswan_tcp # SKIP this kernel has no espintcp ULP (make kernel-ref has)"
	exit 0
fi
echo "1..32"
if ! lsw_installed || ! command -v iperf3 > /dev/null || ! command -v tcpdump > /dev/null; then
	# interop is required: a machine without the peer fails, not skips
	fail "libreswan_tcp.installed # no unpacked libreswan, certutil, pk12util, iperf3 or tcpdump: make deps"
	exit 1
fi
if ! libexec_overlay; then
	fail "libreswan_tcp.libexec_overlay # cannot put ipsec/ under /usr/libexec"
	exit 1
fi
scenario libreswan_tcp.iketcpd_initiates iketcpd separate-tcp
scenario libreswan_tcp.libreswan_initiates libreswan tcp
echo "# $((ntest - nfail)) passed, $nfail failed"
[ $nfail = 0 ]
