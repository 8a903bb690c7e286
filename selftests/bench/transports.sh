#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# transports.sh OUTDIR: the benchmark of issue 20, run inside the VM
# (selftests/bench/bench.sh, part transports, shares OUTDIR read-write).
#
# Two iketcpd daemons across lib/middle.sh's router ($na initiator, $nb
# responder, PSK, x25519, ESP aes256gcm16), the pair set up and timed with
# hs-lib.sh (as handshake.sh does); netem on the router's two interfaces,
# so the delay is each way and each direction loses on its own.
# Segmentation offloads are off on the path (hs-lib.sh's offloads_off).
#
# 1. tunnel: BENCH_TR_DELAY_MS (20) each way, loss BENCH_TR_LOSSES ("0 1"
#    percent), one tunnel per transport (BENCH_TR_MODES):
#      separate-tcp  ike_transport = separate-tcp: IKE over TCP 4500 with
#                    SEPARATE_TRANSPORTS, the responder echoes it, ESP over
#                    bare IP (no NAT)
#      tcp           ike_transport = tcp: RFC 9329, ESP bound into IKE's
#                    TCP connection
#      udp           ike_transport = udp, esp_transport = udp on both: IKE
#                    over UDP (500), ESP in UDP 4500 (RFC 3948 encapsulation
#                    forced without a NAT); no TCP at all
#      udp-ip        ike_transport = udp, esp_transport = ip: IKE over UDP,
#                    bare ESP, no TCP (ESP as separate-tcp sends it: what
#                    IKE on TCP costs beside it, if anything)
#    Per tunnel: the router's counters check that ESP rides the expected
#    transport (20 pings; esp_ok in the CSV), then, through the tunnel from $na's
#    inner address to $nb's:
#      ping alone     BENCH_TR_PINGS (500) pings, every BENCH_TR_PING_I s
#                     (0.02)
#      ping + bulk    the same beside an iperf3 TCP flow of BENCH_TR_SECS
#                     (16) s that starts 2 s before the pings; the flow's
#                     throughput is the bulk TCP throughput
#      inner UDP      iperf3 -u at BENCH_TR_UDP_RATE (2M bit/s), 1000-byte
#                     datagrams, BENCH_TR_UDP_SECS (10) s: the receiver's
#                     loss and jitter (RFC 3550's, iperf3's)
# 2. handshake: no netem loss, delay BENCH_TR_HS_DELAYS ("0 25" ms each
#    way), BENCH_TR_HS_RUNS (20) handshakes per transport (BENCH_TR_HS_MODES,
#    "udp tcp separate-udp": UDP only, TCP from the start, UDP discovery
#    then TCP), each a fresh pair, timed from the initiator's "initiating
#    over" to its "Child SA up" (stamped as the lines leave the daemon); the
#    modes take turns run by run.  One uncounted warm-up per mode first.
#    BENCH_TR_HS_LIMIT (30 s) for a handshake.
#
# Under bench.sh (which samples the host's QEMU processes into
# raw/transports-busy, hostbusy.sh) a tunnel or a handshake waits while
# another VM runs, and one that overlapped one is run again (at most
# BENCH_HOST_TRIES times, then kept and marked host_busy).
#
# Output (OUTDIR/raw/):
#   transports.csv      loss,mode,esp_ok,pings,ping_recv,pings_bulk,
#                       ping_bulk_recv,bulk_mbps,bulk_retrans,udp_pkts,
#                       udp_lost,udp_lost_pct,udp_jitter_ms,host_busy
#   transports-rtt.csv  loss,mode,load,rtt_ms (load: alone|bulk), each reply
#   transports-hs.csv   delay_ms,mode,run,up,ms,transport_ok,host_busy
#   transports-meta.txt the setup and notes; info-transports.csv
# Tables and plot: transports-tables.py (on the host, by bench.sh).
set -u
export LC_ALL=C		# EPOCHREALTIME with a decimal point
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:?usage: transports.sh OUTDIR}
ikd=$repo/user/iketcpd
na=tr-a
nm=tr-m
nb=tr-b
work=$(mktemp -d)
. "$repo/selftests/lib/ikepair.sh"
. "$repo/selftests/lib/middle.sh"
. "$repo/selftests/lib/cells.sh"
. "$here/hs-lib.sh"

TR_DELAY=${BENCH_TR_DELAY_MS:-20}
LOSSES=${BENCH_TR_LOSSES:-"0 1"}
read -r -a MODES <<< "${BENCH_TR_MODES:-separate-tcp tcp udp udp-ip}"
PINGS=${BENCH_TR_PINGS:-500}
PING_I=${BENCH_TR_PING_I:-0.02}
SECS=${BENCH_TR_SECS:-16}
UDP_RATE=${BENCH_TR_UDP_RATE:-2M}
UDP_SECS=${BENCH_TR_UDP_SECS:-10}
HS_DELAYS=${BENCH_TR_HS_DELAYS:-"0 25"}
read -r -a HS_MODES <<< "${BENCH_TR_HS_MODES:-udp tcp separate-udp}"
HS_RUNS=${BENCH_TR_HS_RUNS:-20}
LIMIT=${BENCH_TR_HS_LIMIT:-30}
IKE=aes256gcm16-prfsha256-x25519	# lib/cells.sh's default proposal

start=$(date +%s)
raw=$out/raw
mkdir -p "$raw"
csv=$raw/transports.csv
rtt=$raw/transports-rtt.csv
hcsv=$raw/transports-hs.csv
meta=$raw/transports-meta.txt
say() { echo "# transports: [$(( $(date +%s) - start ))s] $*"; }

HB_FILE=$raw/transports-busy
. "$here/hostbusy.sh"

# tunnel_keys MODE: the KEY=VALUE words of both daemons (one set)
tunnel_keys() {
	case $1 in
	separate-tcp) echo "ike_transport=separate-tcp" ;;
	tcp) echo "ike_transport=tcp" ;;
	udp) echo "ike_transport=udp esp_transport=udp" ;;
	udp-ip) echo "ike_transport=udp esp_transport=ip" ;;
	esac
}
# esp_kind MODE: the router's counter that ESP must ride
esp_kind() {
	case $1 in separate-tcp|udp-ip) echo esp ;; tcp) echo tcp4500 ;; udp) echo espudp ;; esac
}
# esp_rides COUNTER: 20 pings each way crossed the router (before netem's
# loss) on that counter, and no ESP on the two others
esp_rides() {
	local c n=0
	qa ping -q -c 20 -i 0.05 -W 2 -I "$IA" "$IB" > /dev/null
	[ "$(mid_count "$1")" -ge 20 ] || return 1
	for c in esp espudp tcp4500; do
		[ "$c" = "$1" ] || n=$((n + $(mid_count "$c")))
	done
	[ "$n" = 0 ]
}
# the responder's keys: the same ESP choice, no ike_transport (it answers
# on whatever the initiator uses)
resp_keys() { tunnel_keys "$1" | tr ' ' '\n' | grep -v '^ike_transport=' | tr '\n' ' '; }

# pair_up TAG "INITIATOR KEYS" "RESPONDER KEYS": both daemons, the Child
# SA up on both sides
pair_up() {
	start_timed "$1" "$2" "$3" || return 1
	await up "a$EV" "$LIMIT" || return 1
	wait_log "$work/b.log" "Child SA up" 10
}

# ping_rtts LOAD LOSS MODE: PINGS pings through the tunnel, each reply's
# time to transports-rtt.csv; sets SENT and RECV
ping_rtts() {
	qa ping -n -i "$PING_I" -c "$PINGS" -W 2 -I "$IA" "$IB" > "$work/ping" 2>&1
	SENT=$PINGS
	RECV=$(grep -c 'time=' "$work/ping")
	sed -n "s/.*time=\([0-9.]*\) ms.*/$2,$3,$1,\1/p" "$work/ping" >> "$rtt"
}

# iperf3's JSON has one key per line.  bulk_of FILE: "MBPS RETRANSMITS" of
# a TCP run (the receiver's rate); udp_of FILE: "PACKETS LOST LOST_PCT
# JITTER_MS" of a UDP run (the receiver's side, "sum_received")
bulk_of() {
	awk -F'[:,]' '/"sum_sent"/ { s = 1 } /"sum_received"/ { r = 1; s = 0 }
		s && /"retransmits"/ { rt = $2 + 0 }
		r && /"bits_per_second"/ && bps == "" { bps = $2 + 0 }
		END { if (bps == "") print "nan -1"; else printf "%.2f %d\n", bps / 1e6, rt }' "$1"
}
udp_of() {
	awk -F'[:,]' '/"sum_received"/ { r = 1 }
		r && /"packets"/ && p == "" { p = $2 + 0 }
		r && /"lost_packets"/ && l == "" { l = $2 + 0 }
		r && /"lost_percent"/ && lp == "" { lp = $2 + 0 }
		r && /"jitter_ms"/ && j == "" { j = $2 + 0 }
		END { if (p == "") print "nan nan nan nan"; else printf "%d %d %.3f %.3f\n", p, l, lp, j }' "$1"
}

# iperf_server SECONDS: iperf3 -s for one test in $nb on IB, at most
# SECONDS; SRV its PID, once it listens (a fixed sleep was too short on a
# loaded host: "Connection refused")
iperf_server() {
	qb timeout "$1" iperf3 -s -B "$IB" -1 > /dev/null 2>&1 &
	SRV=$!
	for _ in $(seq 50); do
		qb ss -Hltn "sport = :5201" | grep -q . && return 0
		sleep 0.1
	done
}

# udp_run: the inner UDP test, "PACKETS LOST LOST_PCT JITTER_MS" in $udp;
# 1 when iperf3 gave no result (its tail goes to the log)
udp_run() {
	local srv
	iperf_server $((UDP_SECS + 60))
	srv=$SRV
	qa timeout $((UDP_SECS + 30)) iperf3 -c "$IB" -B "$IA" -u -b "$UDP_RATE" -l 1000 \
		-t "$UDP_SECS" -J > "$work/udp.json" 2>&1
	wait "$srv"
	udp=$(udp_of "$work/udp.json")
	[ "${udp%% *}" != nan ] && return 0
	grep -i '"error"' "$work/udp.json" | sed 's/^/#   /'
	tail -n 3 "$work/udp.json" | sed 's/^/#   /'
	return 1
}

# tunnel_cell LOSS MODE: one tunnel, its measurements, one line of
# transports.csv; 1 when it should run again (it could not start, or
# another VM ran on the host meanwhile; the caller gives up after a few)
tunnel_cell() {
	local loss=$1 mode=$2 tag="t$1-$2" n0 eok=0 s1 r1 s2 r2 bulk srv cli
	wait_host
	n0=$HB_N
	if ! pair_up "$tag" "$(tunnel_keys "$mode")" "$(resp_keys "$mode")"; then
		say "loss $loss% $mode: no tunnel"
		grep -v ': debug: ' "$work/a.log" | tail -n 5 | sed 's/^/#   a: /'
		stop_pair
		return 1
	fi
	mid_zero
	esp_rides "$(esp_kind "$mode")" && eok=1
	[ "$eok" = 1 ] || say "  (ESP did not ride $(esp_kind "$mode") alone: $(mid_counts))"
	# (a bare `wait` would wait for the daemons too: PIDs only)
	iperf_server $((SECS + 60))
	srv=$SRV
	ping_rtts alone "$loss" "$mode"; s1=$SENT r1=$RECV
	qa timeout $((SECS + 30)) iperf3 -c "$IB" -B "$IA" -t "$SECS" -J > "$work/bulk.json" 2>&1 &
	cli=$!
	sleep 2
	ping_rtts bulk "$loss" "$mode"; s2=$SENT r2=$RECV
	wait "$cli" "$srv"
	bulk=$(bulk_of "$work/bulk.json")
	udp_run || { say "  (iperf3 -u gave no result, once more)"; udp_run; }
	stop_pair
	if hb_rerun "$n0"; then
		say "loss $loss% $mode: another VM ran on the host meanwhile: run again"
		sed -i "/^$loss,$mode,/d" "$rtt"
		return 1
	fi
	echo "$loss,$mode,$eok,$s1,$r1,$s2,$r2,${bulk// /,},${udp// /,},$HB_BUSY" >> "$csv"
	say "loss $loss% $mode: pings $r1/$s1 alone, $r2/$s2 beside bulk; bulk Mbit/s, retransmits: $bulk; udp pkts lost lost% jitter: $udp"
	[ "${bulk%% *}" = nan ] && tail -n 5 "$work/bulk.json" | sed 's/^/#   /'
	return 0
}

# hs_one DELAY MODE RUN [warm]: one handshake, one line of
# transports-hs.csv (none for a warm-up); 1 to run it again
hs_one() {
	local delay=$1 mode=$2 run=$3 warm=${4:-} tag="h$1-$2-$3${4:+w}" n0 rc up=0 ms=''
	local t_init t_up prop u5 i45 t45 tok=0
	wait_host
	n0=$HB_N
	mid_zero
	if ! start_timed "$tag" "ike_transport=$mode" ""; then
		say "delay $delay $mode run $run: the responder did not start"
		stop_pair
		return 1
	fi
	await up "a$EV" "$LIMIT"
	rc=$?
	stop_pair
	read -r t_init t_up _ _ prop <<< "$(read_log "$work/a.log")"
	if [ "$rc" = 0 ] && [ "$t_init" != - ] && [ "$t_up" != - ] && [ "$prop" = 1 ]; then
		usec "$t_up"; t_up=$U
		usec "$t_init"
		up=1 ms=$(( (t_up - U + 500) / 1000 ))
	fi
	read -r u5 i45 t45 <<< "$(counts)"
	transport_ok "$mode" "$u5" "$i45" "$t45" && tok=1
	if hb_rerun "$n0"; then
		say "delay $delay $mode run $run$warm: another VM ran on the host meanwhile: run again"
		return 1
	fi
	[ -n "$warm" ] || echo "$delay,$mode,$run,$up,$ms,$tok,$HB_BUSY" >> "$hcsv"
	if [ "$up" = 1 ]; then
		say "delay $delay ms $mode run $run$warm: up in $ms ms"
	else
		say "delay $delay ms $mode run $run: FAILED"
		grep -v ': debug: ' "$work/a.log" | tail -n 4 | sed 's/^/#   a: /'
	fi
	[ "$tok" = 1 ] || say "  (the router's counters do not show IKE over $mode: udp500 $u5, ike4500 $i45, tcp4500 $t45)"
	return 0
}

hs_setup || exit 1
mid_topo 4 $NET || { echo "transports: no topology"; exit 1; }
offloads_off
{
	echo "kernel: $(uname -r), $(nproc) CPUs"
	echo "ike: $IKE, esp: aes256gcm16, PSK"
	echo "tunnel: netem ${TR_DELAY} ms each way, losses: $LOSSES % each way, modes: ${MODES[*]}"
	echo "tunnel: $PINGS pings every $PING_I s alone and beside iperf3 TCP ($SECS s); iperf3 -u $UDP_RATE bit/s, 1000-byte datagrams, $UDP_SECS s"
	echo "handshake: $HS_RUNS runs per cell, delays: $HS_DELAYS ms each way, no loss, modes: ${HS_MODES[*]}, limit: $LIMIT s"
} > "$meta"
say "$(tr '\n' ';' < "$meta")"

echo "loss,mode,esp_ok,pings,ping_recv,pings_bulk,ping_bulk_recv,bulk_mbps,bulk_retrans,udp_pkts,udp_lost,udp_lost_pct,udp_jitter_ms,host_busy" > "$csv"
echo "loss,mode,load,rtt_ms" > "$rtt"
echo "delay_ms,mode,run,up,ms,transport_ok,host_busy" > "$hcsv"

# the tunnels: loss the outer loop, the transports in turn
DELAY_MS=$TR_DELAY
for loss in $LOSSES; do
	netem_set "$loss"
	for mode in "${MODES[@]}"; do
		HB_TRY=0
		for try in 1 2 3 4 5; do
			tunnel_cell "$loss" "$mode" && break
			[ "$try" = 5 ] && say "loss $loss% $mode: given up"
		done
	done
done

# the handshakes: one warm-up per mode, then the modes run by run in
# rotating order
nmodes=${#HS_MODES[@]}
for delay in $HS_DELAYS; do
	DELAY_MS=$delay
	netem_set 0
	# the path's round trip at this delay, for the one-RTT target
	echo "outer rtt $delay $(qa ping -n -c 11 -i 0.1 "$OB" |
		sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | sort -n | sed -n 6p)" >> "$meta"
	for mode in "${HS_MODES[@]}"; do
		HB_TRY=0
		until hs_one "$delay" "$mode" 0 " (warm-up)"; do :; done
	done
	for run in $(seq 1 "$HS_RUNS"); do
		for i in $(seq 0 $((nmodes - 1))); do
			HB_TRY=0 tries=0
			until hs_one "$delay" "${HS_MODES[$(( (i + run) % nmodes ))]}" "$run"; do
				tries=$((tries + 1))
				[ "$tries" -lt 5 ] || break
			done
		done
	done
done
hb_note "tunnels or handshakes" >> "$meta"
echo "transports,$(uname -r),$(( $(date +%s) - start ))" > "$raw/info-transports.csv"
say "done"
exit 0
