#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# iketcpd behind a NAT: a middle namespace masquerades (nftables) what the
# initiator sends.
#
#  ┌──── nat-a ────┐        ┌──── nat-r ────┐        ┌──── nat-b ────┐
#  │ 10.93.1.1 dum │        │  masquerade   │        │ 10.93.2.1 dum │
#  │ 192.168.93.2 ─────────── .1   198.51.93.1 ──────── 198.51.93.2   │
#  │ iketcpd       │        │  forwarding   │        │ iketcpd       │
#  │ start=initiate│        └───────────────┘        │ remote=%any   │
#  └───────────────┘                                 └───────────────┘
#
# NAT detection sees the NAT in front of the initiator: IKE floats to UDP
# 4500 before IKE_AUTH, the ESP states are UDP-encapsulated (both sides),
# ping crosses both ways through them, and the initiator's NAT keepalives
# (one byte 0xFF to port 4500) reach the responder.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
ikd=$repo/user/iketcpd
na=nat-a
nb=nat-b
nr=nat-r
work=$(mktemp -d)
. "$here/lib/ikepair.sh"

PIDA= PIDB=
cleanup() {
	local p
	for p in $PIDA $PIDB; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	for n in $na $nb $nr; do ip netns del $n 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

topo() {
	local n
	for n in $na $nb $nr; do ip netns del $n 2>/dev/null; ip netns add $n || return 1; done
	ip link add a-r netns $na type veth peer name r-a netns $nr
	ip link add b-r netns $nb type veth peer name r-b netns $nr
	for n in $na $nb $nr; do ip -n $n link set lo up; done
	ip -n $na link set a-r up; ip -n $nr link set r-a up
	ip -n $nb link set b-r up; ip -n $nr link set r-b up
	ip -n $na addr add 192.168.93.2/24 dev a-r
	ip -n $nr addr add 192.168.93.1/24 dev r-a
	ip -n $nr addr add 198.51.93.1/24 dev r-b
	ip -n $nb addr add 198.51.93.2/24 dev b-r
	ip -n $na route add default via 192.168.93.1
	ip netns exec $nr sysctl -qw net.ipv4.ip_forward=1
	ip netns exec $nr nft -f - <<'NFT' || return 1
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "r-b" masquerade
	}
}
NFT
	for n in $na $nb; do
		ip -n $n link add dum type dummy
		ip -n $n link set dum up
	done
	ip -n $na addr add 10.93.1.1/24 dev dum
	ip -n $nb addr add 10.93.2.1/24 dev dum
	ip -n $na route add 10.93.2.0/24 via 192.168.93.1 src 10.93.1.1
	ip -n $nb route add 10.93.1.0/24 dev b-r src 10.93.2.1
	# one-byte UDP payloads to 4500 on the responder: NAT keepalives
	ip netns exec $nb nft -f - <<'NFT' || return 1
table inet ka {
	counter keepalives { }
	chain in {
		type filter hook input priority 0;
		udp dport 4500 udp length 9 @th,64,8 0xff counter name keepalives
	}
}
NFT
}

conf() {	# FILE LOCAL REMOTE ME PEER START LTS RTS
	cat > "$1" <<EOC
[global]
log_level = debug
ctl_socket = $1.ctl
nat_keepalive = 1s

[conn site]
local = $2
remote = $3
local_id = fqdn:$4
remote_id = fqdn:$5
auth = psk
psk = behind the nat we go
ike = aes256gcm16-prfsha256-x25519
esp = aes256gcm16
local_ts = $7
remote_ts = $8
start = $6
EOC
	chmod 600 "$1"
}

keepalives() {
	ip netns exec $nb nft list counter inet ka keepalives |
		awk '/packets/ { print $2; exit }'
}

for m in esp4 xfrm_user dummy nf_tables nft_nat nft_masq; do modprobe -q $m 2>/dev/null; done
echo "TAP version 13"
echo "1..7"
if ! topo; then
	fail "topology"; exit 1
fi
conf "$work/a.conf" 192.168.93.2 198.51.93.2 a.example b.example initiate 10.93.1.0/24 10.93.2.0/24
conf "$work/b.conf" 198.51.93.2 %any b.example a.example listen 10.93.2.0/24 10.93.1.0/24
ip netns exec $nb "$ikd" run --config "$work/b.conf" > "$work/b.log" 2>&1 &
PIDB=$!
wait_log "$work/b.log" started 10
ip netns exec $na "$ikd" run --config "$work/a.conf" > "$work/a.log" 2>&1 &
PIDA=$!
if wait_log "$work/a.log" "Child SA up" 30 && wait_log "$work/b.log" "Child SA up" 10; then
	ok "nat.child_sa_up"
else
	fail "nat.child_sa_up"
	sed 's/^/#   /' "$work/a.log" "$work/b.log" | tail -40
fi
check "nat.initiator_saw_the_nat_and_floated" grep -q "NAT detected (in front of us): IKE moves to port 4500" "$work/a.log"
check "nat.esp_in_udp_on_both_sides" test \
	"$(ip -n $na xfrm state | grep -c 'encap type espinudp sport 4500 dport 4500')" = 2 -a \
	"$(ip -n $nb xfrm state | grep -c 'encap type espinudp')" = 2
check "nat.ping_a_to_b" qa ping -c 3 -i 0.2 -W 2 -I 10.93.1.1 10.93.2.1
check "nat.ping_b_to_a" qb ping -c 3 -i 0.2 -W 2 -I 10.93.2.1 10.93.1.1
check "nat.pings_went_through_the_sas" test "$(pkts_total $na)" -ge 12
k0=$(keepalives)
sleep 3
k1=$(keepalives)
check "nat.keepalives_reach_the_responder" test "${k1:-0}" -ge $(( ${k0:-0} + 2 ))
echo "# keepalives seen: $k0 then $k1 three seconds later"
echo "# $((ntest - nfail)) passed, $nfail failed"
[ $nfail = 0 ]
