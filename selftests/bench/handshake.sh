#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# handshake.sh OUTDIR: the handshake benchmark of issue 21, run inside the
# VM (selftests/bench/bench.sh, part handshake, shares OUTDIR read-write).
#
# Two iketcpd daemons across lib/middle.sh's router ($na initiator, $nb
# responder); the router's two interfaces delay every packet by 25 ms
# (netem, so 25 ms each way, 50 ms round trip) and drop 0, 1, 5 or 10 % of
# them, each direction on its own.  Each handshake authenticates with
# certificates padded to about 32 KB (bigcert.sh: each side's IKE_AUTH is
# about 33 KB) and runs the hybrid x25519 + ML-KEM-768 (ML-KEM-768 as an
# RFC 9370 additional key exchange in IKE_INTERMEDIATE), in three modes:
#
#   udp           ike_transport = udp: UDP 500 with RFC 7383 fragmentation
#                 (iketcpd's defaults: fragments fit 1280-byte datagrams,
#                 576-byte ones on IPv4 after three sends with no
#                 fragment of the answer back)
#   tcp           ike_transport = tcp: RFC 9329 from the first message
#   separate-udp  IKE_SA_INIT over UDP 4500 with SEPARATE_TRANSPORTS, then
#                 IKE_INTERMEDIATE and IKE_AUTH over TCP 4500
#
# Every run starts a fresh pair of daemons (the responder first, then the
# initiator), so each is a whole handshake, and stops them afterwards.
# The time of a run is from the initiator's "initiating over" log line to
# its "Child SA up", both stamped as they leave the daemon (bash's
# EPOCHREALTIME, microseconds; the daemon's stderr is a pipe to the
# stamper, so nothing waits on a polling interval).  A run fails when the
# Child SA is not up within BENCH_HS_LIMIT seconds (60) of starting the
# initiator, or when the initiator gives up first.  Loss rates are the
# outer loop; within one, the modes take turns run by run (the order
# rotating), so a drift in the host's speed touches all three alike.
# Another VM on the host would skew the times: under bench.sh, which
# watches the host (raw/handshake-busy), a run waits until no other VM
# runs, and a run that overlapped one is not counted but run again, up to
# BENCH_HOST_TRIES times (then kept, and the meta file says so).  One
# handshake per mode goes first, uncounted: the first start of the daemon
# in a fresh VM reads its files cold over 9p.
#
# Segmentation offloads are off on every interface of the path (TSO, GSO,
# GRO): otherwise a TCP sender's 33 KB leaves as one 64 KB GSO packet that
# netem drops or passes whole, which is not what 10 % loss on a real link
# does to TCP.  UDP fragments are single datagrams anyway.
#
# Output: OUTDIR/raw/handshake.csv, one line per run:
#   loss,mode,run,up,ms,ms_start,sent_ike_pkts,netem_drops,auth_bytes,frags,transport_ok
#     up            1, or 0 for a failure (ms is then empty)
#     ms            "initiating over" to "Child SA up", milliseconds
#     ms_start      starting the initiator's process to "Child SA up"
#     sent_ike_pkts IKE packets both peers sent (the router's counters,
#                   counted before netem's drops; TCP: segments incl. ACKs)
#     netem_drops   packets netem dropped during the run (both interfaces)
#     auth_bytes    the initiator's IKE_AUTH request when it went as
#                   fragments (the log's "message 2 (N bytes)"), else empty
#     frags         how many fragments that was
#     transport_ok  1 when the counters show IKE where the mode puts it
#                   (and, when up, the initiator's log names the proposal)
# OUTDIR/raw/handshake-meta.txt (the setup, and per loss rate the UDP
# receive-buffer drops of each namespace, for the table's notes),
# OUTDIR/raw/info-handshake.csv (part,kernel,seconds, for bench.sh's index),
# and both daemons' stamped logs of every run, OUTDIR/raw/handshake-logs/
# LOSS-MODE-RUN.a.log (initiator) and .b.log (a few KB each), from which
# selftests/bench/handshake-plot.py takes each phase's time and what each
# failed run was stuck in, besides the table and the plot.
#
# Knobs (environment): BENCH_HS_RUNS (20), BENCH_HS_LOSSES ("0 1 5 10",
# percent each way), BENCH_HS_MODES ("udp tcp separate-udp"),
# BENCH_HS_DELAY_MS (25, each way), BENCH_HS_LIMIT (60 s), BENCH_HS_PAD
# (32000 bytes of padding per certificate), BENCH_HS_IKE (the proposal,
# aes256gcm16-prfsha256-x25519-mlkem768), BENCH_HS_KEYS (extra KEY=VALUE
# words for both daemons' configs, lib/cells.sh's conf(): global.KEY=VALUE
# for [global]; for experiments such as another retransmission schedule,
# and written into the meta file so that the table says so).  The
# benchmark itself uses iketcpd's defaults for everything else.
set -u
export LC_ALL=C		# EPOCHREALTIME with a decimal point
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:?usage: handshake.sh OUTDIR}
ikd=$repo/user/iketcpd
na=hs-a
nm=hs-m
nb=hs-b
work=$(mktemp -d)
. "$repo/selftests/lib/ikepair.sh"
. "$repo/selftests/lib/middle.sh"
. "$repo/selftests/lib/cells.sh"
. "$here/hs-lib.sh"

RUNS=${BENCH_HS_RUNS:-20}
LOSSES=${BENCH_HS_LOSSES:-"0 1 5 10"}
read -r -a MODES <<< "${BENCH_HS_MODES:-udp tcp separate-udp}"
DELAY_MS=${BENCH_HS_DELAY_MS:-25}
LIMIT=${BENCH_HS_LIMIT:-60}
PAD=${BENCH_HS_PAD:-32000}
IKE=${BENCH_HS_IKE:-aes256gcm16-prfsha256-x25519-mlkem768}
EXTRA=${BENCH_HS_KEYS:-}

start=$(date +%s)
csv=$out/raw/handshake.csv
logs=$out/raw/handshake-logs
mkdir -p "$out/raw"
rm -rf "$logs"
mkdir -p "$logs"
say() { echo "# handshake: [$(( $(date +%s) - start ))s] $*"; }

# The host: bench.sh samples its QEMU processes every 2 s into
# raw/handshake-busy; hostbusy.sh reads it (host_state, wait_host).
HB_FILE=$out/raw/handshake-busy
. "$here/hostbusy.sh"

keys() { echo "auth=pubkey cert=$pki/$1.pem key=$pki/$1.key ca=$pki/ca.pem ike=$IKE $EXTRA"; }

# one_run LOSS MODE RUN [warm-up]: one handshake, one line of the CSV
# (a warm-up run writes none); 1 when another VM ran on the host meanwhile
# and hostbusy.sh's hb_rerun allows another try: nothing is written then,
# and the caller runs it again (HB_TRY zeroed per run)
one_run() {
	local loss=$1 mode=$2 run=$3 warm=${4:-} tag="$1-$2-$3${4:+w}" rc up=0 ms='' ms0=''
	local sent drops tot tok=0 t_init t_up auth frags prop u5 i45 t45 t1 t2 t3 t4 n0
	wait_host
	n0=$HB_N
	usec; t1=$U
	mid_zero
	if ! start_timed "$tag" "ike_transport=$mode $(keys a)" "$(keys b)"; then
		say "loss $loss% $mode run $run: the responder did not start"
		sed 's/^/#   b: /' "$work/b.log" | tail -n 5
		stop_pair
		[ -n "$warm" ] || echo "$loss,$mode,$run,0,,,,,,,0" >> "$csv"
		return
	fi
	usec; t2=$U
	await up "a$EV" "$LIMIT"
	rc=$?
	usec; t3=$U
	stop_pair
	read -r t_init t_up auth frags prop <<< "$(read_log "$work/a.log")"
	if [ "$rc" = 0 ] && [ "$t_init" != - ] && [ "$t_up" != - ]; then
		usec "$t_up"; t_up=$U
		usec "$t_init"; t_init=$U
		usec "$T0"
		if [ $((t_up - U)) -le $((LIMIT * 1000000)) ]; then
			up=1
			ms=$(( (t_up - t_init + 500) / 1000 ))
			ms0=$(( (t_up - U + 500) / 1000 ))
		fi
	fi
	read -r u5 i45 t45 <<< "$(counts)"
	sent=$((u5 + i45 + t45))
	tot=$(netem_drops)
	drops=$((tot - DROPS))
	DROPS=$tot
	if hb_rerun "$n0"; then
		say "loss $loss% $mode run $run$warm: another VM ran on the host meanwhile: not counted, run again ($HB_TRY of $HB_TRIES)"
		return 1
	fi
	[ "$HB_BUSY" = 0 ] ||
		say "loss $loss% $mode run $run$warm: another VM ran on the host meanwhile, $HB_TRIES times: kept"
	[ "$auth" = - ] && auth=''
	[ "$frags" = - ] && frags=''
	transport_ok "$mode" "$u5" "$i45" "$t45" && tok=1
	[ "$up" = 0 ] || [ "$prop" = 1 ] ||
		{ tok=0; say "  (the IKE SA is not the proposal $IKE)"; }
	[ -n "$warm" ] ||
		echo "$loss,$mode,$run,$up,$ms,$ms0,$sent,$drops,$auth,$frags,$tok" >> "$csv"
	usec; t4=$U
	[ -z "${BENCH_HS_TRACE:-}" ] || say "  (ms: setup $(( (t2 - t1) / 1000 )), wait $(( (t3 - t2) / 1000 )), teardown $(( (t4 - t3) / 1000 )))"
	if [ "$up" = 1 ]; then
		say "loss $loss% $mode run $run$warm: up in $ms ms ($sent packets, $drops dropped${frags:+, $frags fragments})"
	else
		say "loss $loss% $mode run $run: FAILED ($([ "$rc" = 2 ] && echo "the initiator ended" || echo "not up within $LIMIT s"); $sent packets, $drops dropped)"
		grep -v ': debug: ' "$work/a.log" | tail -n 4 | sed 's/^/#   a: /'
	fi
	[ "$tok" = 1 ] || say "  (the router's counters do not show IKE over $mode: udp500 $u5, ike4500 $i45, tcp4500 $t45)"
	if [ -z "$warm" ]; then
		cp "$work/a.log" "$logs/$tag.a.log"
		cp "$work/b.log" "$logs/$tag.b.log"
	fi
	return 0
}

hs_setup || exit 1

pki=$work/pki
if ! sh "$here/bigcert.sh" "$pki" "$PAD" > "$work/pki.out" 2>&1; then
	echo "handshake: bigcert.sh failed"; cat "$work/pki.out"; exit 1
fi
certlen=$(openssl x509 -in "$pki/a.pem" -outform DER | wc -c)

mid_topo 4 $NET || { echo "handshake: no topology"; exit 1; }
offloads_off

{
	echo "kernel: $(uname -r)"
	echo "ike: $IKE"
	echo "auth: ECDSA P-256 certificates of $certlen bytes (DER), $PAD bytes of padding each"
	echo "path: netem ${DELAY_MS} ms each way on the router's two interfaces"
	echo "runs: $RUNS per cell, losses: $LOSSES, modes: ${MODES[*]}, limit: $LIMIT s"
	echo "extra keys: ${EXTRA:-none, the defaults of iketcpd}"
} > "$out/raw/handshake-meta.txt"
say "$(tr '\n' ';' < "$out/raw/handshake-meta.txt")"

echo "loss,mode,run,up,ms,ms_start,sent_ike_pkts,netem_drops,auth_bytes,frags,transport_ok" > "$csv"
nm_=${#MODES[@]}
# One handshake per mode first, not counted: the first start of the
# daemon in a fresh VM reads its files cold over 9p.
netem_set 0
for mode in "${MODES[@]}"; do
	HB_TRY=0
	until one_run 0 "$mode" 0 " (warm-up)"; do :; done
done
for loss in $LOSSES; do
	netem_set "$loss"
	ra=$(udp_rcvbuf_errors "$na") rb=$(udp_rcvbuf_errors "$nb")
	t=$(date +%s)
	for run in $(seq 1 "$RUNS"); do
		for i in $(seq 0 $((nm_ - 1))); do
			HB_TRY=0
			until one_run "$loss" "${MODES[$(( (i + run) % nm_ ))]}" "$run"; do :; done
		done
	done
	say "loss $loss% took $(( $(date +%s) - t )) s"
	ra=$(( $(udp_rcvbuf_errors "$na") - ra )) rb=$(( $(udp_rcvbuf_errors "$nb") - rb ))
	echo "note: UDP receive-buffer drops (RcvbufErrors, losses besides netem's) at $loss %: initiator $ra, responder $rb" \
		>> "$out/raw/handshake-meta.txt"
done
hb_note runs >> "$out/raw/handshake-meta.txt"
echo "handshake,$(uname -r),$(( $(date +%s) - start ))" > "$out/raw/info-handshake.csv"
say "done"
exit 0
