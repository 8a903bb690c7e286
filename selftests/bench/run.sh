#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks, run inside the VM (selftests/vm/run, OUTDIR shared with --rw).
#
#   run.sh OUTDIR deb   on a Debian kernel (no espintcp):
#                       rr      IKE request/response rate, iketcp ULP vs RFC 9329
#                               framed in userspace on plain TCP (loopback)
#                       mem     kernel memory of idle attached sockets, and
#                               of the smallest messages queued unread
#                               (slab bytes per queued IKE byte, worst case)
#                       tunnel  iperf3 and ping through an ESP tunnel between
#                               two namespaces: ESP in UDP vs ESP in TCP
#                               through iketcp, netem delay and loss
#   run.sh OUTDIR icount|icount-noerms  on a Debian kernel in virtual time
#                       (QEMU -icount; icount-noerms: the guest CPU lacks ERMS):
#                       rr, pinned to one CPU only: instructions per round
#                       trip, deterministic; RFC 9329 framing and legacy
#                       (draft-ietf-ipsecme-ike-tcp-01, the iketcp-legacy ULP)
#   run.sh OUTDIR ref   on the reference kernel (espintcp built in):
#                       tunnel  ESP in UDP vs espintcp vs iketcp
#
# Raw results go to OUTDIR/raw/*.csv, tables to OUTDIR/*.md and *.csv
# (selftests/bench/tables.py).  Never fails on a missed target; exits
# non-zero only if the benchmark itself could not run.
#
# Knobs (environment): BENCH_RUNS (3), BENCH_SECS (iperf3 seconds, 10),
# BENCH_RR_RUNS (9), BENCH_RR_SECS (1.5), BENCH_RR_SIZES ("300 1500 16384
# 61440"), BENCH_RR_ICOUNT_RUNS (2), BENCH_PAIRS
# (1000), BENCH_QCONNS (connections of the queued-memory run, 20),
# BENCH_DELAY_MS (netem delay on each veth end, 20), BENCH_LOSSES
# ("0 1", percent, on each veth end), BENCH_PINGS (200), BENCH_ONLY (deb:
# any of "rr mem tunnel"; default all).
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:?usage: run.sh OUTDIR deb|ref}
part=${2:?usage: run.sh OUTDIR deb|ref}
bin=$repo/build/bench/bin
sock_tool=$repo/build/tools/iketcp-sock
RUNS=${BENCH_RUNS:-3}
SECS=${BENCH_SECS:-10}
RR_RUNS=${BENCH_RR_RUNS:-9}
RR_SECS=${BENCH_RR_SECS:-1.5}
RR_SIZES=${BENCH_RR_SIZES:-"300 1500 16384 61440"}
PAIRS=${BENCH_PAIRS:-1000}
QCONNS=${BENCH_QCONNS:-20}
DELAY_MS=${BENCH_DELAY_MS:-20}
LOSSES=${BENCH_LOSSES:-"0 1"}
PINGS=${BENCH_PINGS:-200}

ns1=ikbench1
ns2=ikbench2
O1=10.81.0.1 O2=10.81.0.2 IN1=192.168.81.1 IN2=192.168.82.1
KEY1=0x0102030405060708090a0b0c0d0e0f1011121314
KEY2=0x1112131415161718191a1b1c1d1e1f2021222324
work=$(mktemp -d)
PIDS=()
mkdir -p "$out/raw"

T0=$(date +%s)
log() { echo "# bench: [$(( $(date +%s) - T0 ))s] $*"; }
q1() { ip netns exec $ns1 "$@"; }
q2() { ip netns exec $ns2 "$@"; }

# ---------------------------------------------------------------- rr, mem
# TCG's speed drifts with the host's load by 20% and more within a minute, so
# the runs are short, many, and paired: each run is one ULP and one userspace
# measurement back to back (which goes first alternates), and tables.py takes
# the median of the per-run ratios.
# bench_rr FILE "PINS" RUNS SECS ["FRAMINGS"]; PINS: "pin" (both processes
# on one CPU: the CPU cost) and/or "free" (left to the scheduler); FRAMINGS:
# rfc9329 (default) and/or legacy (ikebench-rr's ulp-legacy, user-legacy).
bench_rr() {
	local f=$out/raw/$1 pins=$2 runs=$3 secs=$4 framings=${5:-rfc9329}
	local framing size pin
	echo "mode,size,run,roundtrips,seconds,rate,cpus" > "$f"
	for pin in $pins; do
		[ "$pin" = free ] && pin=
		for framing in $framings; do
			for size in $RR_SIZES; do
				bench_rr_pairs "$f" "$framing" "$size" "$runs" "$secs" $pin
			done
		done
	done
}

# bench_rr_pairs FILE FRAMING SIZE RUNS SECS [pin]: RUNS ULP/userspace pairs.
bench_rr_pairs() {
	local f=$1 sfx= size=$3 runs=$4 secs=$5 pin=${6:-} run order mode line
	[ "$2" = legacy ] && sfx=-legacy
	for run in $(seq "$runs"); do
		order="ulp$sfx user$sfx"
		[ $((run % 2)) = 0 ] && order="user$sfx ulp$sfx"
		for mode in $order; do
			line=$("$bin/ikebench-rr" $mode "$size" "$secs" $pin) ||
				{ log "rr $mode $size $pin failed"; continue; }
			log "rr $line"
			set -- $line
			echo "$1,$2,$run,$3,$4,$5,$6" >> "$f"
		done
	done
}

bench_mem() {
	local f=$out/raw/mem.csv run mode line
	echo "mode,pairs,sockets,slab_bytes,slabinfo_bytes,memavail_drop_bytes,run" > "$f"
	# one warm-up round so the slab caches exist before measuring
	"$bin/ikebench-mem" plain 100 >/dev/null
	"$bin/ikebench-mem" iketcp 100 >/dev/null
	for run in $(seq "$RUNS"); do
		for mode in plain iketcp; do
			line=$("$bin/ikebench-mem" $mode "$PAIRS") ||
				{ log "mem $mode failed"; continue; }
			log "mem $line"
			set -- $line
			echo "$1,$2,$3,$4,$5,$6,$run" >> "$f"
			sleep 1
		done
	done
	# The worst case of queued data: 28-byte messages nobody reads.
	f=$out/raw/memq.csv
	echo "mode,conns,held_ike_bytes,queued_ike_bytes,slab_bytes,slabinfo_bytes,memavail_drop_bytes,run" > "$f"
	for run in $(seq "$RUNS"); do
		for mode in queue-plain queue-iketcp; do
			line=$("$bin/ikebench-mem" $mode "$QCONNS") ||
				{ log "mem $mode failed"; continue; }
			log "mem $line"
			set -- $line
			echo "$1,$2,$3,$4,$5,$6,$7,$run" >> "$f"
			sleep 1
		done
	done
}

# ------------------------------------------------------------- tunnels
# wait_line FILE TEXT: until a line of FILE is TEXT (10 s).
wait_line() {
	local i
	for i in $(seq 100); do
		grep -qx "$2" "$1" && return 0
		sleep 0.1
	done
	log "never got '$2' in $1:"; sed 's/^/#   /' "$1"
	return 1
}

teardown() {
	local p
	for fd in ${SOCKFDS:-}; do eval "exec $fd>&-"; done
	SOCKFDS=
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	PIDS=()
	for p in $(ip netns pids $ns1 2>/dev/null) $(ip netns pids $ns2 2>/dev/null); do
		kill "$p" 2>/dev/null
	done
	ip netns del $ns1 2>/dev/null
	ip netns del $ns2 2>/dev/null
	sleep 0.3
}

# iketcp: iketcp-sock on both ends (as selftests/esp.sh), driven through
# fifos; bind input on both sides, then output.
start_iketcp() {
	local i
	for i in 1 2; do
		rm -f "$work/in$i"; mkfifo "$work/in$i"; : > "$work/out$i"
	done
	q2 "$sock_tool" listen $O2 4500 < "$work/in2" > "$work/out2" 2>&1 &
	PIDS+=($!)
	exec 7> "$work/in2"
	wait_line "$work/out2" listening || return 1
	q1 "$sock_tool" connect $O2 4500 < "$work/in1" > "$work/out1" 2>&1 &
	PIDS+=($!)
	exec 8> "$work/in1"
	SOCKFDS="7 8"
	wait_line "$work/out1" ready && wait_line "$work/out2" ready || return 1
	echo "bind in 0x2000" >&8; echo "bind in 0x1000" >&7
	echo "bind out 0x1000" >&8; echo "bind out 0x2000" >&7
	for i in $(seq 100); do
		[ "$(grep -c '^ok' "$work/out1")" = 2 ] &&
			[ "$(grep -c '^ok' "$work/out2")" = 2 ] && return 0
		grep -q '^err' "$work/out1" "$work/out2" && break
		sleep 0.1
	done
	log "binding failed:"; cat "$work/out1" "$work/out2" | sed 's/^/#   /'
	return 1
}

start_espintcp() {
	: > "$work/eo1"; : > "$work/eo2"
	q2 "$bin/ikebench-encap" espintcp-listen $O2 4500 > "$work/eo2" 2>&1 &
	PIDS+=($!)
	wait_line "$work/eo2" listening || return 1
	q1 "$bin/ikebench-encap" espintcp-connect $O1 $O2 4500 > "$work/eo1" 2>&1 &
	PIDS+=($!)
	wait_line "$work/eo1" ready && wait_line "$work/eo2" ready
}

start_udp() {
	: > "$work/uo1"; : > "$work/uo2"
	q1 "$bin/ikebench-encap" udp $O1 4500 > "$work/uo1" 2>&1 &
	PIDS+=($!)
	q2 "$bin/ikebench-encap" udp $O2 4500 > "$work/uo2" 2>&1 &
	PIDS+=($!)
	wait_line "$work/uo1" ready && wait_line "$work/uo2" ready
}

# setup TRANSPORT LOSS: two namespaces, a veth with netem on both ends,
# tunnel-mode ESP (AES-GCM-128) between IN1 and IN2 over O1 <-> O2.
setup() {
	local tr=$1 loss=$2 xencap="" ns dev
	teardown
	ip netns add $ns1 && ip netns add $ns2 || return 1
	ip link add ikbv1 netns $ns1 type veth peer name ikbv2 netns $ns2 || return 1
	case $tr in
	udp) xencap="encap espinudp 4500 4500 0.0.0.0" ;;
	espintcp) xencap="encap espintcp 4500 4500 0.0.0.0" ;;
	esac
	# one ip -batch per namespace: exec is slow under TCG
	for side in "$ns1 ikbv1 $O1 $O2 $IN1 $IN2" "$ns2 ikbv2 $O2 $O1 $IN2 $IN1"; do
		set -- $side
		ns=$1 dev=$2
		ip -n "$ns" -batch - <<-EOF || return 1
		link set lo up
		addr add $3/24 dev $2
		link set $2 up
		addr add $5 dev lo
		route add $6 via $4 src $5
		xfrm state add src $O1 dst $O2 proto esp spi 0x1000 mode tunnel aead rfc4106(gcm(aes)) $KEY1 128 $xencap
		xfrm state add src $O2 dst $O1 proto esp spi 0x2000 mode tunnel aead rfc4106(gcm(aes)) $KEY2 128 $xencap
		xfrm policy add src $5 dst $6 dir out tmpl src $3 dst $4 proto esp mode tunnel
		xfrm policy add src $6 dst $5 dir in tmpl src $4 dst $3 proto esp mode tunnel
		EOF
		ip netns exec "$ns" tc qdisc add dev "$dev" root netem \
			delay "${DELAY_MS}ms" $([ "$loss" != 0 ] && echo "loss ${loss}%") \
			limit 100000 || return 1
	done
	case $tr in
	udp) start_udp ;;
	iketcp) start_iketcp ;;
	espintcp) start_espintcp ;;
	esac || return 1
	q2 iperf3 -s -B $IN2 -D >/dev/null 2>&1
	# the path works (and XFRM has warmed up)
	q1 ping -q -c 3 -i 0.2 -W 3 $IN2 >/dev/null || { log "no ping through $tr tunnel"; return 1; }
}

cpu_busy() {	# busy and total jiffies of all CPUs
	awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i;
		print t - $5 - $6, t }' /proc/stat
}

bench_tunnel() {
	local f=$out/raw/tunnel-$part.csv pf=$out/raw/ping-$part.csv
	local transports=$1 loss tr run b0 t0 b1 t1 js mbps
	echo "transport,loss_pct,run,mbps,retransmits,busy_cores" > "$f"
	echo "transport,loss_pct,rtt_ms" > "$pf"
	for loss in $LOSSES; do
		for tr in $transports; do
			log "tunnel $tr, delay ${DELAY_MS}ms each end, loss $loss%"
			if ! setup $tr $loss; then
				log "setup $tr loss $loss failed"
				teardown
				continue
			fi
			q1 ping -n -i 0.05 -c "$PINGS" -W 2 $IN2 > "$work/ping" 2>&1
			sed -n 's/.*time=\([0-9.]*\) ms.*/'"$tr,$loss,"'\1/p' "$work/ping" >> "$pf"
			log "$(grep -E 'transmitted|rtt' "$work/ping" | tr '\n' ' ')"
			for run in $(seq "$RUNS"); do
				set -- $(cpu_busy); b0=$1 t0=$2
				ts=$(date +%s.%N)
				js=$(q1 timeout $((SECS + 40)) iperf3 -c $IN2 -B $IN1 -t "$SECS" -J 2>&1)
				set -- $(cpu_busy); b1=$1 t1=$2
				log "iperf3 wall $(echo "$(date +%s.%N) - $ts" | bc) s"
				# iperf3's JSON has one key per line; "sum_sent" and
				# "sum_received" appear once, in "end" (python is slow
				# to start under TCG)
				mbps=$(echo "$js" | awk -F'[:,]' '
					/"sum_sent"/ { s = 1 } /"sum_received"/ { r = 1; s = 0 }
					s && /"retransmits"/ { rt = $2 + 0 }
					r && /"bits_per_second"/ && bps == "" { bps = $2 + 0 }
					END { if (bps == "") print "nan -1";
					      else printf "%.2f %d\n", bps / 1e6, rt }')
				set -- $mbps
				echo "$tr,$loss,$run,$1,$2,$(awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) -v n="$(nproc)" \
					'BEGIN { printf "%.3f", t ? n * b / t : 0 }')" >> "$f"
				log "iperf3 $tr loss $loss run $run: $1 Mbit/s, $2 retransmits"
				[ "$1" = nan ] && echo "$js" | tail -5 | sed 's/^/#   /'
			done
			teardown
		done
	done
}

trap 'teardown; rm -rf "$work"' EXIT
dmesg -n 1
log "part $part on $(uname -r), $(nproc) CPUs; runs $RUNS"
start=$(date +%s)
case $part in
deb)
	modprobe -q esp4; modprobe -q xfrm_user; modprobe -q veth
	modprobe -q sch_netem; modprobe -q udp_tunnel 2>/dev/null
	for b in ${BENCH_ONLY:-rr mem tunnel}; do
		t=$(date +%s)
		case $b in
		rr) bench_rr rr.csv "pin free" "$RR_RUNS" "$RR_SECS" ;;
		mem) bench_mem ;;
		tunnel) bench_tunnel "udp iketcp" ;;
		esac
		log "$b took $(( $(date +%s) - t )) s"
	done
	;;
icount|icount-noerms)
	# Deterministic: a few one-second runs are enough.
	t=$(date +%s)
	bench_rr "rr-$part.$(uname -r).csv" pin "${BENCH_RR_ICOUNT_RUNS:-2}" 1 \
		"rfc9329 legacy"
	log "rr took $(( $(date +%s) - t )) s"
	;;
ref)
	t=$(date +%s); bench_tunnel "udp espintcp iketcp"; log "tunnel took $(( $(date +%s) - t )) s"
	;;
*)
	echo "run.sh: part is deb, icount or ref" >&2; exit 2 ;;
esac
info=info-$part.csv
case $part in icount*) info=info-$part.$(uname -r).csv ;; esac
echo "$part,$(uname -r),$(( $(date +%s) - start ))" > "$out/raw/$info"
python3 "$here/tables.py" "$out" "$part" || exit 1
exit 0
