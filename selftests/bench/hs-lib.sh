# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2154,SC2034,SC2119,SC2120  # globals shared with the caller
# Sourced inside the VM, after lib/ikepair.sh, lib/middle.sh and
# lib/cells.sh, by the benchmarks that time iketcpd pairs across
# lib/middle.sh's router (handshake.sh, transports.sh): the daemons'
# logs stamped line by line as they leave, waiting for a log line with a
# deadline, starting and stopping a timed pair, the router's netem and IKE
# counters.  The caller sets na nm nb (namespaces), ikd (iketcpd), work
# (a scratch directory), NET, IKE (the proposal read_log checks), DELAY_MS
# (netem's delay each way) and calls hs_setup once before anything else.
#
#   hs_setup        load the modules, make the events fifo (fd 7)
#   offloads_off    TSO, GSO and GRO off on the four interfaces of the path
#   netem_set LOSS  netem on the router's two interfaces: DELAY_MS each way,
#                   LOSS percent (sets DROPS, netem's drop count)
#   start_timed, await, read_log, netem_drops, counts, transport_ok,
#   stop_pair, udp_rcvbuf_errors: below

# hs_setup: the modules of the router, the tunnel and netem; the fifo
hs_setup() {
	local m
	for m in esp4 xfrm_user dummy veth sch_netem nf_tables nft_chain_nat nft_nat \
		nft_masq nft_reject nft_reject_inet nft_ct nf_conntrack_netlink; do
		modprobe -q $m 2>/dev/null
	done
	fifo=$work/events
	mkfifo "$fifo" || return 1
	exec 7<> "$fifo"	# held open both ways: writers never block, nor does read
}

# U = microseconds since the epoch, of EPOCHREALTIME or of a stamp like it
# (no command substitution: every fork costs under TCG)
usec() { local t=${1:-$EPOCHREALTIME}; U=$(( ${t%.*} * 1000000 + 10#${t#*.} )); }

# The daemons' stderr goes through stamp: each line to FILE behind the
# moment it arrived; the stamper tells the main shell, through the fifo, of
# the lines it waits for ("started", "up") and of the daemon's end ("eof").
stamp() {
	local l file=$1 tag=$2
	while IFS= read -r l; do
		printf '%s %s\n' "$EPOCHREALTIME" "$l"
		case $l in
		*"Child SA up"*) echo "up $tag" > "$fifo" ;;
		*": started with "*) echo "started $tag" > "$fifo" ;;
		esac
	done > "$file"
	echo "eof $tag" > "$fifo"
}

# await WHAT TAG SECONDS: 0 when the stamper of TAG says WHAT in time, 2
# when its daemon ended first, 1 on time-out.  Messages of other runs
# (an earlier stamper's late "eof") are skipped.
await() {
	local what=$1 tag=$2 deadline msg left t
	usec
	deadline=$(( U + $3 * 1000000 ))
	while :; do
		usec
		left=$(( deadline - U ))
		[ "$left" -gt 0 ] || return 1
		printf -v t '%d.%06d' $((left / 1000000)) $((left % 1000000))
		read -r -t "$t" -u 7 msg || return 1
		case $msg in
		"$what $tag") return 0 ;;
		"eof $tag") return 2 ;;
		esac
	done
}

# start_timed TAG "INITIATOR KEYS" "RESPONDER KEYS": as lib/cells.sh's
# start_pair, with stamped logs; sets T0 (the initiator's start) and EV,
# the stampers' tag to await ("a$EV", "b$EV"): TAG and a sequence number,
# so that a run started again under the same TAG never takes the late
# "eof" of its earlier try for its own
HS_SEQ=0
start_timed() {
	HS_SEQ=$((HS_SEQ + 1))
	EV=$1.$HS_SEQ
	local tag=$EV
	# shellcheck disable=SC2086 # word lists of KEY=VALUE
	conf "$work/a.conf" "$OA" "$OB" initiate 10.$NET.1.0/24 10.$NET.2.0/24 $2
	# shellcheck disable=SC2086
	conf "$work/b.conf" "$OB" %any listen 10.$NET.2.0/24 10.$NET.1.0/24 $3
	ip netns exec "$nb" "$ikd" run --config "$work/b.conf" \
		> >(stamp "$work/b.log" "b$tag") 2>&1 7>&- &
	PIDB=$!
	await started "b$tag" 20 || return 1
	T0=$EPOCHREALTIME
	ip netns exec "$na" "$ikd" run --config "$work/a.conf" \
		> >(stamp "$work/a.log" "a$tag") 2>&1 7>&- &
	PIDA=$!
}

# What the initiator's log says, in one pass: the stamps of "initiating
# over" and of "Child SA up" ("-" when absent), the size and the fragments
# of message 2 (IKE_AUTH after one IKE_INTERMEDIATE) when it went as
# fragments ("-"), and 1 when the IKE SA came up with the proposal $IKE
read_log() {
	awk -v p="IKE SA up with $IKE," '
		!ti && /initiating over/ { ti = $1 }
		!tu && /Child SA up/ { tu = $1 }
		!ab && match($0, /message 2 \([0-9]+ bytes\) sent as [0-9]+ fragments/) {
			split(substr($0, RSTART, RLENGTH), w, /[( ]/); ab = w[4]; nf = w[8] }
		index($0, p) { pr = 1 }
		END { print (ti ? ti : "-"), (tu ? tu : "-"), (ab ? ab : "-"),
			(nf ? nf : "-"), pr + 0 }' "$1"
}

# packets netem dropped so far, both router interfaces
netem_drops() {
	qm tc -s qdisc show | awk '/qdisc netem/ { on = 1; next }
		on && /dropped/ { sub(/.*dropped /, ""); sub(/,.*/, ""); n += $0; on = 0 }
		END { print n + 0 }'
}

# "udp500 ike4500 tcp4500": the router's counters, one nft call
counts() {
	qm nft list counters table inet mid | awk '
		$1 == "counter" { c = $2 }
		$1 == "packets" { n[c] = $2 }
		END { print n["udp500"] + 0, n["ike4500"] + 0, n["tcp4500"] + 0 }'
}

# transport_ok MODE U5 I45 T45: the counters show IKE where MODE puts it
transport_ok() {
	local u5=$2 i45=$3 t45=$4
	case $1 in
	udp) [ "$u5" -ge 2 ] && [ "$t45" = 0 ] ;;
	tcp) [ "$t45" -ge 4 ] && [ "$u5" = 0 ] && [ "$i45" = 0 ] ;;
	separate-udp) [ "$i45" -ge 2 ] && [ "$t45" -ge 4 ] && [ "$u5" = 0 ] ;;
	*) return 1 ;;
	esac
}

# stop_pair: lib/cells.sh's stop_daemons, both at once (each sends its
# DELETE and removes its kernel state on SIGTERM; no need to take turns)
stop_pair() {
	kill -TERM $PIDA $PIDB 2>/dev/null
	wait $PIDA $PIDB 2>/dev/null
	PIDA='' PIDB=''
}

# udp_rcvbuf_errors NS: the namespace's UDP receive-buffer drops so far
# (/proc/net/snmp, "Udp:" RcvbufErrors): losses that are not netem's
udp_rcvbuf_errors() {
	# shellcheck disable=SC2016 # awk's own $
	ip netns exec "$1" awk '$1 == "Udp:" && !h { for (i = 2; i <= NF; i++)
		if ($i == "RcvbufErrors") c = i; h = 1; next }
		$1 == "Udp:" { print $c + 0; exit }' /proc/net/snmp
}

# Segmentation offloads off on every interface of the path (TSO, GSO,
# GRO): otherwise a TCP sender's burst leaves as one 64 KB GSO packet that
# netem drops or passes whole, which is not what loss on a real link does
# to TCP.
offloads_off() {
	local d
	for d in "$na to-m" "$nm to-a" "$nm to-b" "$nb to-m"; do
		# shellcheck disable=SC2086 # two words: namespace and interface
		set -- $d
		ip netns exec "$1" ethtool -K "$2" tso off gso off gro off > /dev/null 2>&1 ||
			say "could not turn the offloads off on $1 $2"
	done
}

# netem_set LOSS: both router interfaces (a new qdisc: its drop count is 0)
DROPS=0		# netem's drop count after the last run
netem_set() {
	local dev
	for dev in to-a to-b; do
		qm tc qdisc replace dev $dev root netem delay "${DELAY_MS}ms" loss "$1%" ||
			{ echo "netem failed"; exit 1; }
	done
	DROPS=$(netem_drops)
}
