#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# peers.sh OUTDIR: handshake time of iketcpd, libreswan and strongSwan,
# each against itself (issue 19), run inside the VM by bench.sh (part
# peers, OUTDIR shared read-write).
#
# Two namespaces joined by a veth pair ($na initiator, $nb responder), each
# with an inner network; for every delay in BENCH_PEERS_DELAYS (ms each
# way: netem on both ends of the link), BENCH_PEERS_RUNS handshakes per
# pair: iketcpd with iketcpd, pluto (libreswan 4.10) with pluto, charon
# (strongSwan 5.9.8, swanctl) with charon, all PSK with
# aes256gcm16-prfsha256-x25519 and ESP aes256gcm16 (peers-lib.sh).  The
# pairs take turns run by run (the order rotating), so a drift in the
# host's speed touches all three alike; one uncounted run per pair first
# (the first start in a fresh VM reads its files cold over 9p).
#
# Each run starts a fresh pair: the responder, then hswatch in the
# initiator's namespace, then the initiator, configured to start the
# handshake as soon as it has loaded its config.  hswatch times it from
# outside, the same for all three: from the first IKE packet leaving the
# initiator to the second keyed ESP state the initiator's kernel
# announces (the first Child SA in both directions).  A run counts as up
# only when the responder's kernel holds the Child SA's two states too.
# A run that overlapped another VM on the host (hostbusy.sh) is not
# counted but run again.
#
# Output: OUTDIR/raw/peers.csv, "delay,kind,run,up,ms,host_busy" (1: kept
# although another VM ran, hostbusy.sh), and
# raw/peers-meta.txt (versions, setup, notes), raw/info-peers.csv.
# Knobs: BENCH_PEERS_RUNS (20), BENCH_PEERS_DELAYS ("0 25"),
# BENCH_PEERS_KINDS ("iketcpd pluto charon"), BENCH_PEERS_LIMIT (30 s).
set -u
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:?usage: peers.sh OUTDIR}
if [ -z "${IKETCP_PEERS_NS:-}" ]; then
	IKETCP_PEERS_NS=1 exec unshare --mount --propagation private "$BASH" "$0" "$@"
fi
RUNS=${BENCH_PEERS_RUNS:-20}
DELAYS=${BENCH_PEERS_DELAYS:-"0 25"}
read -r -a KINDS <<< "${BENCH_PEERS_KINDS:-iketcpd pluto charon}"
LIMIT=${BENCH_PEERS_LIMIT:-30}
na=pr-a nb=pr-b OA=192.0.97.1 OB=192.0.97.2
work=$(mktemp -d)
hsw=$repo/build/bench/bin/hswatch
csv=$out/raw/peers.csv
meta=$out/raw/peers-meta.txt
HB_FILE=$out/raw/peers-busy
start=$(date +%s)
say() { echo "# peers: [$(( $(date +%s) - start ))s] $*"; }
. "$here/peers-lib.sh"
. "$here/hostbusy.sh"

PIDA='' PIDB=''
# shellcheck disable=SC2086 # the PIDs that are set
trap 'bench_cleanup "$work" $na $nb $PIDA $PIDB' EXIT

topo() {
	ns_pair $na $nb || return 1
	ip -n $na addr add $OA/24 dev $na-v
	ip -n $nb addr add $OB/24 dev $nb-v
	ip -n $na addr add 10.97.1.1/24 dev lo
	ip -n $nb addr add 10.97.2.1/24 dev lo
}

flush_xfrm() {
	local n
	for n in $na $nb; do ip -n "$n" xfrm state flush; ip -n "$n" xfrm policy flush; done
}

states() { ip -n "$1" xfrm state | grep -c '^src'; }

# one_run DELAY KIND RUN [warm]: one handshake, one CSV line (none for a
# warm-up); 1 when another VM ran on the host meanwhile (run it again)
one_run() {
	local delay=$1 kind=$2 run=$3 warm=${4:-} up=0 ms='' n0 hp line
	wait_host
	n0=$HB_N
	flush_xfrm
	rm -rf "$work/a" "$work/b"
	PIDA='' PIDB=''
	if peer_start "$kind" $nb "$work/b" $OB $OA fqdn:b.example fqdn:a.example \
		listen 10.97.2.0/24 10.97.1.0/24; then
		PIDB=$PEER_PID
		ip netns exec $na "$hsw" $na-v "$LIMIT" > "$work/hs.out" 2>&1 &
		hp=$!
		wait_for 10 grep -q ready "$work/hs.out"
		peer_start "$kind" $na "$work/a" $OA $OB fqdn:a.example fqdn:b.example \
			initiate 10.97.1.0/24 10.97.2.0/24
		PIDA=$PEER_PID
		wait "$hp"
		line=$(grep '^start=' "$work/hs.out")
		if [ -n "$line" ] && wait_for 5 test "$(states $nb)" -ge 2; then
			up=1
			ms=${line##*ms=}
		fi
	else
		PIDB=$PEER_PID
		say "$kind: the responder did not start"
	fi
	peer_stop "$PIDA"; peer_stop "$PIDB"
	PIDA='' PIDB=''
	if hb_rerun "$n0"; then
		say "delay $delay ms $kind run $run$warm: another VM ran on the host meanwhile: run again"
		return 1
	fi
	if [ "$up" = 1 ]; then
		say "delay $delay ms $kind run $run$warm: up in $ms ms"
	else
		say "delay $delay ms $kind run $run$warm: FAILED ($(tr '\n' ' ' < "$work/hs.out"))"
		peer_logs "$kind-a" "$work/a"; peer_logs "$kind-b" "$work/b"
	fi
	[ -n "$warm" ] || echo "$delay,$kind,$run,$up,$ms,$HB_BUSY" >> "$csv"
	return 0
}

for m in esp4 xfrm_user veth sch_netem; do modprobe -q $m 2>/dev/null; done
mkdir -p "$out/raw"
topo || { echo "peers: no topology"; exit 1; }
kinds_usable "$work"
{
	echo "kernel: $(uname -r)"
	for k in "${KINDS[@]}"; do echo "version: $k: $(peer_kind_version "$k")"; done
	echo "ike: $PEER_IKE, esp: $PEER_ESP, auth: PSK, tunnel mode, IPv4"
	echo "runs: $RUNS per cell, delays (ms each way): $DELAYS"
	echo "timer: hswatch, first IKE packet out of the initiator to its kernel's second keyed ESP state"
} > "$meta"
say "$(tr '\n' ';' < "$meta")"
echo "delay,kind,run,up,ms,host_busy" > "$csv"
nk=${#KINDS[@]}
for delay in $DELAYS; do
	for dev in "$na $na-v" "$nb $nb-v"; do
		# shellcheck disable=SC2086 # namespace and device
		set -- $dev
		if [ "$delay" = 0 ]; then
			ip -n "$1" link set "$2" up	# no qdisc of ours
			tc -n "$1" qdisc del dev "$2" root 2>/dev/null
		else
			tc -n "$1" qdisc replace dev "$2" root netem delay "${delay}ms" ||
				{ echo "peers: netem failed"; exit 1; }
		fi
	done
	for k in "${KINDS[@]}"; do
		HB_TRY=0
		until one_run "$delay" "$k" 0 " (warm-up)"; do :; done
	done
	for run in $(seq 1 "$RUNS"); do
		for i in $(seq 0 $((nk - 1))); do
			HB_TRY=0
			until one_run "$delay" "${KINDS[$(( (i + run) % nk ))]}" "$run"; do :; done
		done
	done
done
hb_note runs >> "$meta"
echo "peers,$(uname -r),$(( $(date +%s) - start ))" > "$out/raw/info-peers.csv"
say "done"
exit 0
