# SPDX-License-Identifier: GPL-2.0
# Sourced by the IKE daemon tests (iketcpd.sh, interop.sh): KTAP helpers,
# two namespaces $na and $nb joined by a veth pair, each with an inner
# network on a dummy interface, and readers of the kernel's XFRM tables.

ntest=0
nfail=0
ok() { ntest=$((ntest + 1)); echo "ok $ntest $1"; }
fail() { ntest=$((ntest + 1)); nfail=$((nfail + 1)); echo "not ok $ntest $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }
qa() { ip netns exec "$na" "$@"; }
qb() { ip netns exec "$nb" "$@"; }

# pair_topo FAMILY NET: $na/$nb with outer addresses $OA/$OB (IPv4
# 192.0.NET.1/.2 or IPv6 fdNET::1/::2) and inner 10.NET.1.1/24 and
# 10.NET.2.1/24 routed over the link.
pair_topo() {
	local fam=$1 net=$2 n
	ip netns del "$na" 2>/dev/null; ip netns del "$nb" 2>/dev/null
	ip netns add "$na" && ip netns add "$nb" || return 1
	ip link add "$na-v" netns "$na" type veth peer name "$nb-v" netns "$nb" || return 1
	for n in "$na" "$nb"; do
		ip -n "$n" link set lo up
		ip -n "$n" link add dum type dummy
		ip -n "$n" link set dum up
		ip -n "$n" link set "$n-v" up
		ip netns exec "$n" sysctl -qw net.ipv4.conf.all.rp_filter=0
	done
	if [ "$fam" = 6 ]; then
		OA=fd$net::1 OB=fd$net::2
		ip -n "$na" addr add "$OA/64" dev "$na-v" nodad
		ip -n "$nb" addr add "$OB/64" dev "$nb-v" nodad
	else
		OA=192.0.$net.1 OB=192.0.$net.2
		ip -n "$na" addr add "$OA/24" dev "$na-v"
		ip -n "$nb" addr add "$OB/24" dev "$nb-v"
	fi
	IA=10.$net.1.1 IB=10.$net.2.1
	ip -n "$na" addr add "$IA/24" dev dum
	ip -n "$nb" addr add "$IB/24" dev dum
	# inner traffic leaves by the link, from the inner address
	ip -n "$na" route add "10.$net.2.0/24" dev "$na-v" src "$IA"
	ip -n "$nb" route add "10.$net.1.0/24" dev "$nb-v" src "$IB"
}

pair_del() { ip netns del "$na" 2>/dev/null; ip netns del "$nb" 2>/dev/null; }

# wait_log FILE PATTERN [SECONDS]
wait_log() {
	local i
	for i in $(seq 1 $((${3:-20} * 5))); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

# wait_count FILE PATTERN N [SECONDS]: until PATTERN is in N lines
wait_count() {
	local i
	for i in $(seq 1 $((${4:-20} * 5))); do
		[ "$(grep -c "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
		sleep 0.2
	done
	return 1
}

# wait_until SECONDS CMD...: until CMD succeeds, polled every 0.2 s.  For
# counts that a timer's exchange changes for a round trip now and then:
# a fixed pause can land in one, and what was never cleaned up stays.
wait_until() {
	local i n=$(($1 * 5))
	shift
	for i in $(seq 1 $n); do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}

# Counts in a namespace ("ip -n NS" as the command prefix).
nstates() { "$@" xfrm state | grep -c '^src'; }
# SA policies; a running daemon's own socket policies (IKE bypasses
# IPsec) are not counted
npolicies() { "$@" xfrm policy | grep -c 'dir \(in\|out\|fwd\)'; }
# states with iketcpd's reqids, 0x1c7c0000 | n (477888512 + n)
ours() { "$@" xfrm state | awk '{ for (i = 1; i < NF; i++) if ($i == "reqid" &&
	$(i + 1) + 0 >= 477888512 && $(i + 1) + 0 < 477954048) n++ } END { print n + 0 }'; }
# packets of the state with SPI $2 in namespace $1, or of all states
# ("lifetime current:" is followed by "N(bytes), M(packets)")
pkts() { ip netns exec "$1" ip -s xfrm state | awk -v spi="$2" '
	$0 ~ "spi " spi { on = 1 }
	on && /lifetime current/ { getline; sub(/\(packets\).*/, ""); sub(/.* /, ""); print; exit }'; }
pkts_total() { ip netns exec "$1" ip -s xfrm state | awk '/lifetime current/ { getline
	sub(/\(packets\).*/, ""); sub(/.* /, ""); n += $0 } END { print n + 0 }'; }
