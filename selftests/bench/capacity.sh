#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# capacity.sh OUTDIR: responder capacity of iketcpd, strongSwan and
# libreswan (issue 19), run inside the VM by bench.sh (part capacity,
# OUTDIR shared read-write).
#
# One responder in namespace $nr (198.19.255.254, remote %any, PSK,
# aes256gcm16-prfsha256-x25519, ESP aes256gcm16, tunnel mode: peers-lib.sh)
# and the load generator ikeload (selftests/bench/ikeload.c: iketcpd's own
# initiator) in $ng, which holds BENCH_CAP_TUNNELS addresses (198.18.0.1
# on) and keeps BENCH_CAP_INFLIGHT handshakes in flight until each address
# has brought up its IKE SA and Child SA (its inner /32 in 10.201.0.0/16 to
# the responder's 10.202.0.0/24).  The responder runs on CPU 0, the
# generator on CPU 1 (taskset), so each responder has one CPU whatever its
# threading.  The default in-flight count (24) stays below the three
# daemons' COOKIE thresholds (iketcpd 50, charon 30, pluto 25000), so the
# rates compare handshakes, not cookie round trips.
#
# After an uncounted warm-up (below), per responder and repetition
# (BENCH_CAP_REPEATS, each with a fresh responder): the generator's rate
# (handshakes up / seconds from its first send to the last one up), then,
# with the generator still holding every peer: the responder's kernel
# states and SA policies (a handshake the generator counts must have left
# two ESP states there), the responder's VmRSS before the load and after
# it, and the kernel's unreclaimable slab (SUnreclaim in /proc/meminfo:
# XFRM states and policies live there) before and after.  A repetition
# that overlapped another VM on the host (hostbusy.sh) is not counted but
# run again.
#
# Output: OUTDIR/raw/capacity.csv, one line per repetition:
#   kind,rep,up,failed,retransmits,cookies,secs,rate,p50_ms,p90_ms,
#   states,policies,rss0_kb,rss1_kb,slab0_kb,slab1_kb,cpu_ms,gen_cpu_ms,
#   host_busy
# (cpu_ms: CPU time the responder used during the load, all its threads;
# gen_cpu_ms: the generator's, to show whether it or the responder was
# the bottleneck; host_busy: 1 when kept although another VM ran)
# raw/capacity-meta.txt (versions, setup, generator failures, notes) and
# raw/info-capacity.csv.  Knobs: BENCH_CAP_KINDS ("iketcpd charon pluto"),
# BENCH_CAP_TUNNELS (1000), BENCH_CAP_INFLIGHT (24), BENCH_CAP_REPEATS (3),
# BENCH_CAP_LIMIT (900 s for one repetition), BENCH_CAP_LOGS (set: keep
# the responder's log and the generator's output of each repetition in
# raw/capacity-logs/; PEER_IKD_LOG=info or debug makes iketcpd's verbose),
# BENCH_CAP_PERF (set: perf record the responder during the load, its
# report in raw/capacity-logs/KIND-REP.perf.txt).
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:?usage: capacity.sh OUTDIR}
if [ -z "${IKETCP_CAP_NS:-}" ]; then
	IKETCP_CAP_NS=1 exec unshare --mount --propagation private "$BASH" "$0" "$@"
fi
read -r -a KINDS <<< "${BENCH_CAP_KINDS:-iketcpd charon pluto}"
TUNNELS=${BENCH_CAP_TUNNELS:-1000}
INFLIGHT=${BENCH_CAP_INFLIGHT:-24}
REPS=${BENCH_CAP_REPEATS:-3}
LIMIT=${BENCH_CAP_LIMIT:-900}
ng=cap-g nr=cap-r R=198.19.255.254 FIRST=198.18.0.1
work=$(mktemp -d)
gen=$repo/build/bench/bin/ikeload
csv=$out/raw/capacity.csv
meta=$out/raw/capacity-meta.txt
HB_FILE=$out/raw/capacity-busy
start=$(date +%s)
say() { echo "# capacity: [$(( $(date +%s) - start ))s] $*"; }
. "$here/peers-lib.sh"
. "$here/hostbusy.sh"
PIDR='' PIDG=''
# shellcheck disable=SC2086 # the PIDs that are set
trap 'bench_cleanup "$work" $ng $nr $PIDG $PIDR' EXIT

# the generator's addresses: 198.18.0.1 on, one after the other (ikeload
# sends from FIRST + i), all in the link's /15
topo() {
	local i
	ns_pair $ng $nr || return 1
	ip -n $nr addr add $R/15 dev $nr-v
	ip -n $nr addr add 10.202.0.1/24 dev lo
	for ((i = 1; i <= TUNNELS; i++)); do
		echo "addr add 198.18.$((i >> 8)).$((i & 255))/15 dev $ng-v"
	done | ip -n $ng -batch - || return 1
	# the responder's answers to 1000 peers need 1000 neighbour entries
	# (the table's limits are the initial namespace's, for all of them)
	sysctl -qw net.ipv4.neigh.default.gc_thresh1=4096 \
		net.ipv4.neigh.default.gc_thresh2=8192 net.ipv4.neigh.default.gc_thresh3=16384
	return 0
}

# cpu_ms PID: user + system time the process used so far (all threads)
cpu_ms() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); print int(($12 + $13) * 1000 / hz) }' \
		"/proc/$1/stat" 2>/dev/null || echo 0
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
slab_kb() { awk '/^SUnreclaim:/ { print $2 }' /proc/meminfo; }
flush_xfrm() { ip -n $nr xfrm state flush; ip -n $nr xfrm policy flush; }

# one_rep KIND REP [N]: one CSV line; 1 when another VM ran meanwhile.
# With N: a warm-up of N handshakes, not written
one_rep() {
	local kind=$1 rep=$2 n=${3:-$TUNNELS} n0 rss0 rss1 sl0 sl1 st pol line i c0 c1 g1
	wait_host
	n0=$HB_N
	flush_xfrm
	rm -rf "$work/r"
	sync; echo 3 > /proc/sys/vm/drop_caches
	PEER_WRAP="taskset -c 0"
	if ! peer_start "$kind" $nr "$work/r" $R %any fqdn:responder.example %any \
		listen 10.202.0.0/24 10.201.0.0/16; then
		say "$kind: the responder did not start"
		peer_logs "$kind" "$work/r"
		peer_stop "$PEER_PID"
		echo "$kind,$rep,0,$TUNNELS,,,,,,,,,,,,,,,0" >> "$csv"
		return 0
	fi
	PIDR=$PEER_PID
	sleep 2
	rss0=$(rss_kb "$PIDR") sl0=$(slab_kb) c0=$(cpu_ms "$PIDR")
	if [ -n "${BENCH_CAP_PERF:-}" ]; then
		mkdir -p "$out/raw/capacity-logs"
		perf record -q -F 499 -g -p "$PIDR" -o "$work/perf.data" 2> /dev/null &
		PIDP=$!
	fi
	taskset -c 1 ip netns exec $ng "$gen" $R $FIRST "$n" "$INFLIGHT" \
		--hold "$LIMIT" > "$work/gen.out" 2> "$work/gen.err" &
	PIDG=$!
	for ((i = 0; i < LIMIT * 10; i++)); do
		grep -qs '^up=' "$work/gen.out" && break
		kill -0 "$PIDG" 2>/dev/null || break
		sleep 0.1
	done
	[ -s "$work/gen.out" ] || { kill "$PIDG" 2>/dev/null; sleep 1; }
	line=$(grep '^up=' "$work/gen.out")
	c1=$(cpu_ms "$PIDR") g1=$(cpu_ms "$PIDG")
	if [ -n "${BENCH_CAP_PERF:-}" ]; then
		kill -INT "$PIDP"; wait "$PIDP"
		perf report -i "$work/perf.data" --no-children --stdio 2> /dev/null |
			grep -v '^$' | head -n 300 > "$out/raw/capacity-logs/$kind-$rep.perf.txt"
	fi
	# what the responder installed while every peer is still there
	sleep 3
	st=$(ip -n $nr xfrm state | grep -c '^src')
	pol=$(ip -n $nr xfrm policy | grep -c 'dir in')
	rss1=$(rss_kb "$PIDR") sl1=$(slab_kb)
	kill "$PIDG" 2>/dev/null; wait "$PIDG" 2>/dev/null
	PIDG=''
	peer_stop "$PIDR"
	PIDR=''
	if [ -n "${BENCH_CAP_LOGS:-}" ]; then
		mkdir -p "$out/raw/capacity-logs"
		for f in "$work"/r/*.log "$work/gen.out"; do
			cp "$f" "$out/raw/capacity-logs/$kind-$rep.${f##*/}"
		done
	fi
	flush_xfrm
	if hb_rerun "$n0"; then
		say "$kind rep $rep: another VM ran on the host meanwhile: run again"
		return 1
	fi
	say "$kind rep $rep: ${line:-no result} states=$st policies=$pol rss ${rss0}->${rss1} kB slab ${sl0}->${sl1} kB cpu ms: responder $((c1 - c0)) generator $g1"
	[ -z "${3:-}" ] || return 0
	if grep -q '^# fail' "$work/gen.out"; then
		grep '^# fail' "$work/gen.out" | head -n 5 | sed "s/^# /# capacity: $kind rep $rep: /"
		echo "failures: $kind rep $rep: $(grep '^# fail' "$work/gen.out" | head -n 3 | tr '\n' ' ')" >> "$meta"
	fi
	[ -s "$work/gen.err" ] && sed 's/^/# ikeload: /' "$work/gen.err" | head -n 5
	if [ -z "$line" ]; then
		echo "$kind,$rep,0,$TUNNELS,,,,,,,$st,$pol,$rss0,$rss1,$sl0,$sl1,$((c1 - c0)),$g1,$HB_BUSY" >> "$csv"
		return 0
	fi
	# up=U failed=F retransmits=R cookies=C secs=S rate=X p50_ms=P p90_ms=Q
	# shellcheck disable=SC2046 # the words of the line
	set -- $(echo "$line" | tr ' =' '\n\n' | awk 'NR % 2 == 0')
	echo "$kind,$rep,$1,$2,$3,$4,$5,$6,$7,$8,$st,$pol,$rss0,$rss1,$sl0,$sl1,$((c1 - c0)),$g1,$HB_BUSY" >> "$csv"
	return 0
}

for m in esp4 xfrm_user veth; do modprobe -q $m 2>/dev/null; done
mkdir -p "$out/raw"
topo || { echo "capacity: no topology"; exit 1; }
kinds_usable "$work"
{
	echo "kernel: $(uname -r), $(nproc) CPUs: responder on CPU 0, generator on CPU 1"
	for k in "${KINDS[@]}"; do echo "version: $k: $(peer_kind_version "$k")"; done
	echo "ike: $PEER_IKE, esp: $PEER_ESP, auth: PSK, tunnel mode, IPv4"
	echo "load: $TUNNELS peers (one address and IKE SA each), $INFLIGHT handshakes in flight, $REPS repetitions per responder"
} > "$meta"
say "$(tr '\n' ';' < "$meta")"
echo "kind,rep,up,failed,retransmits,cookies,secs,rate,p50_ms,p90_ms,states,policies,rss0_kb,rss1_kb,slab0_kb,slab1_kb,cpu_ms,gen_cpu_ms,host_busy" > "$csv"
# Warm-up, not counted: the first start of each daemon in a fresh VM reads
# its files cold over 9p; the first Child SA loads the kernel's AES-GCM
# modules, and the first 1000 tunnels grow the neighbour table and the
# XFRM hash tables, which stay grown: costs only the responder that came
# first would pay.  So the first warm-up brings all tunnels up, the
# others a few.  Then the responders take turns, the order rotating.
nk=${#KINDS[@]}
for ((i = 0; i < nk; i++)); do
	n=$INFLIGHT
	[ "$i" = 0 ] && n=$TUNNELS
	HB_TRY=0
	until one_rep "${KINDS[$i]}" warm-up "$n"; do :; done
done
for rep in $(seq 1 "$REPS"); do
	for ((i = 0; i < nk; i++)); do
		k=${KINDS[$(( (i + rep - 1) % nk ))]}
		HB_TRY=0
		until one_rep "$k" "$rep"; do :; done
	done
done
hb_note repetitions >> "$meta"
echo "capacity,$(uname -r),$(( $(date +%s) - start ))" > "$out/raw/info-capacity.csv"
say "done"
exit 0
