# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034,SC2154  # globals shared with the caller
# Sourced after lib/ikepair.sh (qa, qb, ok, fail, check) by the tests of
# IKE's separate transports: a router namespace between the two peers that
# counts, per transport, what crosses it, drops or resets it on demand, and
# can masquerade what goes toward the responder.
#
#  ┌──── $na ──────┐        ┌────── $nm ───────┐        ┌──── $nb ──────┐
#  │ IA dum        │        │ table inet mid   │        │ IB dum        │
#  │ OA  to-m ──────────── to-a  (fwd)  to-b ──────────── to-m  OB     │
#  │ initiator     │        │ counters, blocks │        │ responder     │
#  └───────────────┘        │ masquerade → b   │        └───────────────┘
#                           └──────────────────┘
#  IPv4: OA 192.168.NET.2/24, router MA .1 | router MB 198.51.NET.1, OB .2/24
#  IPv6: OA fdNET:a::2/64,   router MA ::1 | router MB fdNET:b::1,   OB ::2/64
#  inner: IA 10.NET.1.1/24 in $na, IB 10.NET.2.1/24 in $nb (IPv4 always)
#
# Functions (namespace names come from the caller's $na $nm $nb):
#   mid_topo FAM NET [nat]  build it (old namespaces of these names go first);
#                           sets OA OB (each peer's own address), MA MB (the
#                           router's a- and b-side addresses), RA (the
#                           initiator's address as the responder sees it: OA,
#                           or MB with nat), IA IB, MID_FAM
#   mid_del                 delete the three namespaces
#   qm CMD...               run CMD in $nm
#   mid_count NAME          packets of counter NAME (an integer); fails if none
#   mid_counts              "name=N ..." of every counter, one line (logs)
#   mid_zero                reset every counter
#   mid_block WHAT... [reset]   drop WHAT in the router (with "reset", TCP
#                           kinds get a TCP reset instead of a silent drop)
#   mid_unblock [WHAT...]   undo mid_block for WHAT (no argument: everything)
#   mid_blocked             the kinds blocked now, one line
#   mid_reset_tcp [SECONDS] [PORT]   reset the TCP connections to or from
#                           PORT (4500) that send in the next SECONDS (1)
#   mid_nat on|random|off   masquerade toward b (random: random source ports)
#
# Counters (forward chain, priority filter, both directions of each flow,
# counted BEFORE any block, so a blocked transport still shows attempts):
#   udp500     UDP with source or destination port 500
#   ike4500    UDP port 4500 whose first 4 payload bytes are zero (IKE
#              behind the non-ESP marker)
#   espudp     UDP port 4500, payload longer than 1 byte, first 4 bytes
#              non-zero (ESP in UDP)
#   keepalive  UDP port 4500 with the one-byte payload 0xff (NAT keepalive)
#   tcp4500    TCP port 4500, every segment (IKE and ESP in TCP, RFC 9329)
#   tcp500     TCP port 500, every segment
#   esp        bare ESP (IP protocol 50); nft 1.0.6 cannot name an object
#              "esp" (a keyword), so in the table it is "bare_esp" (mid_count
#              and mid_counts translate)
#   dropped    packets that a block rule dropped or rejected (all kinds)
# Each UDP 4500 datagram lands in at most one of ike4500/espudp/keepalive.
# A packet with port 500 on one side and 4500 on the other counts in both
# udp500 and a 4500 counter (IKE never sends such).
#
# Blocks (WHAT): udp500, udp4500 (all UDP 4500: IKE, ESP in UDP and
# keepalives), espudp (only ESP in UDP), tcp4500, tcp500, esp, all-udp.
# Each block is one or two rules in the chain "blocks", which the forward
# chain jumps to after its counters; the rules carry the comment
# "block-WHAT", and mid_unblock deletes by handle exactly the rules with
# that comment, so blocks of different kinds come and go independently.
# Blocking a kind again replaces its rules (switches drop <-> reset).
#
# mid_reset_tcp: the router owns no TCP socket of the peers (ss -K cannot
# kill them), so for SECONDS a rule in the chain "kill" (before the blocks)
# answers every TCP segment to or from PORT with a TCP reset sent to the
# segment's sender (nft "reject with tcp reset"); the segment itself is
# dropped, and then the rule goes.  A connection is thus reset only on a
# side that sends in that window: the other side learns it when it next
# sends (its segment reaches a peer that has no connection and answers
# with a reset).  A peer that stays silent keeps its connection.
#
# The nat chain exists from mid_topo on (empty without nat), so conntrack
# (and with it IP defragmentation) is always active in the router: counters
# count reassembled datagrams.  mid_nat flushes the router's conntrack table
# (netlink, with python3; needs nf_conntrack_netlink, which the kernel
# autoloads), because a flow that crossed the router once keeps the NAT
# mapping (or the absence of one) of its first packet.
#
# Loads no module: callers modprobe nf_tables nft_nat nft_masq nft_reject
# nft_reject_inet nft_ct veth dummy (and nf_conntrack_netlink).

qm() { ip netns exec "$nm" "$@"; }

MID_COUNTERS="udp500 ike4500 espudp keepalive tcp4500 tcp500 esp dropped"
MID_KINDS="udp500 udp4500 espudp tcp4500 tcp500 esp all-udp"

mid_topo() {
	local fam=$1 net=$2 nat=${3:-} n
	: "${na:?} ${nm:?} ${nb:?}"
	mid_del
	for n in "$na" "$nm" "$nb"; do
		ip netns add "$n" || return 1
		# no DAD, link-local addresses included: a tentative link-local
		# address delays neighbour discovery by a second or two
		ip netns exec "$n" sysctl -qw net.ipv6.conf.default.accept_dad=0
		ip netns exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0
	done
	ip link add to-m netns "$na" type veth peer name to-a netns "$nm" || return 1
	ip link add to-m netns "$nb" type veth peer name to-b netns "$nm" || return 1
	for n in "$na" "$nm" "$nb"; do
		ip -n "$n" link set lo up
		ip netns exec "$n" sysctl -qw net.ipv4.conf.all.rp_filter=0
		ip netns exec "$n" sysctl -qw net.ipv4.conf.default.rp_filter=0
	done
	ip -n "$na" link set to-m up
	ip -n "$nb" link set to-m up
	ip -n "$nm" link set to-a up
	ip -n "$nm" link set to-b up
	qm sysctl -qw net.ipv4.ip_forward=1
	qm sysctl -qw net.ipv6.conf.all.forwarding=1
	MID_FAM=$fam
	if [ "$fam" = 6 ]; then
		OA=fd$net:a::2 MA=fd$net:a::1 MB=fd$net:b::1 OB=fd$net:b::2
		ip -n "$na" addr add "$OA/64" dev to-m nodad || return 1
		ip -n "$nm" addr add "$MA/64" dev to-a nodad
		ip -n "$nm" addr add "$MB/64" dev to-b nodad
		ip -n "$nb" addr add "$OB/64" dev to-m nodad || return 1
		ip -n "$na" -6 route add default via "$MA" || return 1
		ip -n "$nb" -6 route add default via "$MB" || return 1
	else
		OA=192.168.$net.2 MA=192.168.$net.1 MB=198.51.$net.1 OB=198.51.$net.2
		ip -n "$na" addr add "$OA/24" dev to-m || return 1
		ip -n "$nm" addr add "$MA/24" dev to-a
		ip -n "$nm" addr add "$MB/24" dev to-b
		ip -n "$nb" addr add "$OB/24" dev to-m || return 1
		ip -n "$na" route add default via "$MA" || return 1
		ip -n "$nb" route add default via "$MB" || return 1
	fi
	RA=$OA
	IA=10.$net.1.1 IB=10.$net.2.1
	for n in "$na" "$nb"; do
		ip -n "$n" link add dum type dummy
		ip -n "$n" link set dum up
	done
	ip -n "$na" addr add "$IA/24" dev dum
	ip -n "$nb" addr add "$IB/24" dev dum
	# inner traffic leaves toward the router, from the inner address (the
	# router has no route to the inner networks: only IPsec carries them)
	if [ "$fam" = 6 ]; then
		ip -n "$na" route add "10.$net.2.0/24" via inet6 "$MA" dev to-m src "$IA" 2>/dev/null ||
			ip -n "$na" route add "10.$net.2.0/24" dev to-m src "$IA" || return 1
		ip -n "$nb" route add "10.$net.1.0/24" via inet6 "$MB" dev to-m src "$IB" 2>/dev/null ||
			ip -n "$nb" route add "10.$net.1.0/24" dev to-m src "$IB" || return 1
	else
		ip -n "$na" route add "10.$net.2.0/24" via "$MA" src "$IA" || return 1
		ip -n "$nb" route add "10.$net.1.0/24" via "$MB" src "$IB" || return 1
	fi
	mid_nft || return 1
	if [ "$nat" = nat ]; then
		mid_nat on || return 1
	fi
}

mid_del() {
	local n
	for n in "$na" "$nm" "$nb"; do ip netns del "$n" 2>/dev/null; done
	return 0
}

mid_nft() {
	qm nft -f - <<'NFT'
table inet mid {
	counter udp500 { }
	counter ike4500 { }
	counter espudp { }
	counter keepalive { }
	counter tcp4500 { }
	counter tcp500 { }
	counter bare_esp { }
	counter dropped { }
	chain forward {
		type filter hook forward priority filter; policy accept;
		udp dport 500 counter name udp500
		udp sport 500 udp dport != 500 counter name udp500
		udp dport 4500 jump u4500
		udp sport 4500 udp dport != 4500 jump u4500
		tcp dport 4500 counter name tcp4500
		tcp sport 4500 tcp dport != 4500 counter name tcp4500
		tcp dport 500 counter name tcp500
		tcp sport 500 tcp dport != 500 counter name tcp500
		meta l4proto esp counter name bare_esp
		jump kill
		jump blocks
	}
	chain u4500 {
		udp length 9 @th,64,8 0xff counter name keepalive return
		@th,64,32 0 counter name ike4500 return
		udp length > 9 @th,64,32 != 0 counter name espudp
	}
	chain kill {
	}
	chain blocks {
	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
	}
}
NFT
}

# nft 1.0.6 cannot name an object "esp" (a keyword): that counter is bare_esp.
mid_count() {
	local n c=$1
	[ "$c" = esp ] && c=bare_esp
	n=$(qm nft list counter inet mid "$c" 2>/dev/null | awk '$1 == "packets" { print $2; exit }')
	[ -n "$n" ] || return 1
	echo "$n"
}

mid_counts() {
	local c out=""
	for c in $MID_COUNTERS; do out+="$c=$(mid_count "$c") "; done
	echo "${out% }"
}

mid_zero() {
	qm nft reset counters table inet mid > /dev/null 2>&1 && return 0
	local c
	for c in ${MID_COUNTERS/esp/bare_esp}; do
		qm nft reset counter inet mid "$c" > /dev/null || return 1
	done
}

# Delete the rules of CHAIN whose comment is COMMENT.
mid_del_comment() {
	local h
	for h in $(qm nft -a list chain inet mid "$1" |
		awk -v c="comment \"$2\"" 'index($0, c) && $(NF - 1) == "handle" { print $NF }'); do
		qm nft delete rule inet mid "$1" handle "$h" || return 1
	done
}

# The match(es) of a kind, one per line (each becomes a rule).
mid_match() {
	case "$1" in
	udp500) printf '%s\n' "udp dport 500" "udp sport 500" ;;
	udp4500) printf '%s\n' "udp dport 4500" "udp sport 4500" ;;
	espudp) printf '%s\n' "udp dport 4500 udp length > 9 @th,64,32 != 0" \
		"udp sport 4500 udp length > 9 @th,64,32 != 0" ;;
	tcp4500) printf '%s\n' "tcp dport 4500" "tcp sport 4500" ;;
	tcp500) printf '%s\n' "tcp dport 500" "tcp sport 500" ;;
	esp) echo "meta l4proto esp" ;;
	all-udp) echo "meta l4proto udp" ;;
	*) echo "mid_match: unknown kind '$1' (one of: $MID_KINDS)" >&2; return 1 ;;
	esac
}

mid_block() {
	local w m v verdict=drop kinds=() rc=0
	for w in "$@"; do
		if [ "$w" = reset ]; then verdict="reject with tcp reset"; else kinds+=("$w"); fi
	done
	for w in "${kinds[@]}"; do
		mid_match "$w" > /dev/null || { rc=1; continue; }
		mid_del_comment blocks "block-$w" || rc=1
		case "$w" in tcp*) v=$verdict ;; *) v=drop ;; esac
		while read -r m; do
			# shellcheck disable=SC2086  # the match is several words
			qm nft add rule inet mid blocks $m counter name dropped $v \
				comment "\"block-$w\"" || rc=1
		done <<< "$(mid_match "$w")"
	done
	return $rc
}

mid_unblock() {
	local w rc=0
	if [ $# = 0 ]; then
		qm nft flush chain inet mid blocks
		return
	fi
	for w in "$@"; do
		mid_match "$w" > /dev/null || { rc=1; continue; }
		mid_del_comment blocks "block-$w" || rc=1
	done
	return $rc
}

mid_blocked() {
	qm nft list chain inet mid blocks |
		sed -n 's/.*comment "block-\([a-z0-9-]*\)".*/\1/p' | sort -u | tr '\n' ' ' | sed 's/ $//'
	echo
}

mid_reset_tcp() {
	local secs=${1:-1} port=${2:-4500}
	if ! qm nft add rule inet mid kill tcp dport "$port" reject with tcp reset comment '"reset-tcp"' ||
		! qm nft add rule inet mid kill tcp sport "$port" reject with tcp reset comment '"reset-tcp"'; then
		qm nft flush chain inet mid kill
		return 1
	fi
	sleep "$secs"
	qm nft flush chain inet mid kill
}

mid_python() {
	if [ -x /usr/bin/python3 ]; then echo /usr/bin/python3; else command -v python3; fi
}

# Flush the router's conntrack table (IPCTNL_MSG_CT_DELETE without a tuple).
mid_ct_flush() {
	local py
	py=$(mid_python) || { echo "mid_ct_flush: no python3" >&2; return 1; }
	qm "$py" -c '
import socket, struct, sys
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETLINK_NETFILTER
# nlmsghdr: (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE, REQUEST|ACK;
# nfgenmsg: AF_UNSPEC (all families), NFNETLINK_V0
s.send(struct.pack("=IHHIIBBH", 20, (1 << 8) | 2, 1 | 4, 1, 0, 0, 0, 0))
err = struct.unpack("=i", s.recv(4096)[16:20])[0]
if err and err != -2:  # ENOENT: nothing to flush
    sys.exit("conntrack flush: error %d" % -err)
'
}

mid_nat() {
	local rc=0
	qm nft flush chain inet mid post || return 1
	case "$1" in
	on) qm nft add rule inet mid post oifname to-b masquerade || rc=1 ;;
	random) qm nft add rule inet mid post oifname to-b masquerade random || rc=1 ;;
	off) ;;
	*) echo "mid_nat: on, random or off" >&2; return 1 ;;
	esac
	if [ "$1" = off ]; then RA=$OA; else RA=$MB; fi
	mid_ct_flush || rc=1
	return $rc
}
