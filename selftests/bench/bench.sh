#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host side of `make bench`: build the benchmark programs, boot one VM per
# kernel with OUTDIR shared read-write, run selftests/bench/run.sh in it,
# and write OUTDIR/README.md, an index of the tables.
#
#   bench.sh [OUTDIR] [kex] [deb] [icount] [ref] [handshake] [peers]
#            [capacity] [transports] [index]
#                       default: build/bench, kex deb icount ref handshake
#                       peers capacity transports (index: only rewrite
#                       README.md); `make bench BENCH_PARTS="..."` picks parts
#
#   kex  on the host, no VM: ML-KEM-768 (the project's and libcrypto's when
#        it has one) against X25519 through user/crypto/kex.c, kex.md
#        (issue 21; build/bench/bin/kex_bench, KEX_BENCH_ROUNDS, 2000)
#   deb  Debian's kernel (KVER from the environment, else the harness's
#        default) with kernel/iketcp.ko: issues 3 and 4
#   icount  the same kernel in virtual time (QEMU -icount: the guest clock
#        counts instructions), one CPU, IKE round trips: the CPU cost of a
#        round trip, free of the host's load (issue 3).  One CPU also because
#        Debian's 6.1 hangs bringing up a second one under -icount.  Run twice:
#        with the guest CPU's ERMS (rr-icount.md) and without it
#        (rr-icount-noerms.md), because icount charges a rep movsb copy one
#        instruction per byte (see tables.py).  On Debian's kernel and, when
#        its headers are installed, bookworm's 6.1 (which still has
#        sendpage): one row per kernel and size.
#   ref  the reference kernel of `make kernel-ref` (espintcp built in) with
#        build/mod-ref/kernel/iketcp.ko (built here with `make module-vm
#        KERNEL=ref`): issue 10.  Skipped, with a note, when that kernel has
#        not been built (building it takes about 15 minutes).
#   handshake  Debian's 6.12 kernel (HS_KVER, default the newest installed
#        6.12 with headers) with build/mod-6.12/kernel/iketcp.ko: iketcpd's
#        handshake with a ~33 KB IKE_AUTH and x25519 + ML-KEM-768 under
#        netem loss, over UDP with fragmentation, TCP and separate transports
#        (issue 21; selftests/bench/handshake.sh, BENCH_HS_* knobs there);
#        then handshake-plot.py on the host: handshake.md, handshake.png.
#        About 25 minutes, plus any time another VM runs on the host: the
#        runs wait for it, and one that overlapped it is run again.
#   peers  Debian's 6.12 kernel, no module: handshake time (IKE SA and
#        first Child SA, PSK, x25519; median and p90 of BENCH_PEERS_RUNS,
#        20) with no delay and 25 ms each way, of an iketcpd pair, a
#        libreswan pair (pluto 4.10, unpacked) and a strongSwan pair
#        (charon 5.9.8, swanctl), timed from outside the daemons by
#        hswatch.c (issue 19; selftests/bench/peers.sh, BENCH_PEERS_*
#        knobs there); then peers-tables.py: peers.md with iketcpd's ratio
#        to the fastest other pair.  About 25 minutes.
#   capacity  the same kernel: one responder (iketcpd, charon, pluto in
#        turn) under the load of ikeload.c (iketcpd's initiator code,
#        BENCH_CAP_INFLIGHT handshakes in flight from BENCH_CAP_TUNNELS
#        distinct addresses, 1000): handshakes per second, and VmRSS and
#        kernel slab per tunnel at 1000 tunnels (issue 19;
#        selftests/bench/capacity.sh, BENCH_CAP_* knobs there); then
#        peers-tables.py: capacity.md with the ratios and verdicts.
#   transports  Debian's 6.12 kernel with build/mod-6.12/kernel/iketcp.ko:
#        an iketcpd pair with each ike_transport (issue 20;
#        selftests/bench/transports.sh, BENCH_TR_* knobs there): ping
#        p50/p99 alone and beside an iperf3 TCP flow, inner UDP loss and
#        jitter, bulk TCP throughput through the tunnel at 20 ms each way
#        and 0 and 1 % loss, for separate transports (IKE TCP, ESP IP),
#        all-TCP and ESP in UDP without TCP; handshake medians of UDP only,
#        TCP from the start and UDP discovery then TCP at 0 and 25 ms; then
#        transports-tables.py: transports.md, transports-hs.md,
#        transports.png.  About 20 minutes.
#   handshake, peers, capacity and transports watch the host for other VMs
#   (watch_host below) and run a sample that overlapped one again; peers
#   and capacity (hostbusy.sh) wait for a busy host at most
#   BENCH_HOST_WAIT_MAX s (900) and run a sample again at most
#   BENCH_HOST_TRIES times (3), then keep it marked host_busy (on a host
#   that other VMs never leave, BENCH_HOST_WAIT_MAX=0 BENCH_HOST_TRIES=0
#   measures without waiting and marks every sample that overlapped).
#
# BENCH_* variables (see run.sh) are passed to the VM.  Never fails on a
# missed target; exits non-zero only when a part could not run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:-$repo/build/bench}
shift || true
parts=("$@")
[ ${#parts[@]} = 0 ] && parts=(kex deb icount ref handshake peers capacity transports)
# icount: 2^4 ns of guest time per instruction
ICOUNT_SHIFT=4
CC=${CC:-cc}
CFLAGS_BENCH="-std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I$repo/include -I$repo/user"

mkdir -p "$out/raw" || exit 1
out=$(cd "$out" && pwd)
bin=$repo/build/bench/bin
mkdir -p "$bin"
for p in rr mem encap; do
	src=$here/ikebench-$p.c
	if [ ! -x "$bin/ikebench-$p" ] || [ "$src" -nt "$bin/ikebench-$p" ] ||
	   [ "$repo/include/uapi/linux/iketcp.h" -nt "$bin/ikebench-$p" ]; then
		echo "bench: cc ikebench-$p"
		$CC $CFLAGS_BENCH -o "$bin/ikebench-$p" "$src" || exit 1
	fi
done
if [ ! -x "$repo/build/tools/iketcp-sock" ]; then
	mkdir -p "$repo/build/tools"
	$CC $CFLAGS_BENCH -o "$repo/build/tools/iketcp-sock" \
		"$repo/selftests/tools/iketcp-sock.c" \
		"$repo/selftests/lib/genl_sa.c" || exit 1
fi

envs=()
for v in $(compgen -e | grep '^BENCH_'); do envs+=(--env "$v=${!v}"); done

# Another VM on this 2-core host takes CPU from ours and skews the times.
# watch_host PART: every 2 s, count the host's QEMU processes; each sample
# that finds another one bumps the count in raw/PART-busy ("COUNT
# busy|free"), which the part's script in the VM reads before and after
# each run (handshake.sh; hostbusy.sh for peers.sh and capacity.sh): it
# waits while the host is busy and repeats a run that overlapped another
# VM.  raw/PART-host.txt lists the samples that saw one ("EPOCH COUNT").
# unwatch_host PART stops it.
watch_host() {
	local busy=$out/raw/$1-busy
	: > "$out/raw/$1-host.txt"
	echo "0 free" > "$busy"
	( n=0
	  while sleep 2; do
		q=$(pgrep -c -x qemu-system-x86) st=free
		if [ "$q" -gt 1 ]; then
			n=$((n + 1)) st=busy
			echo "$(date +%s) $q" >> "$out/raw/$1-host.txt"
		fi
		echo "$n $st" > "$busy.new" && mv "$busy.new" "$busy"
	  done ) &
	watcher=$!
}
unwatch_host() {
	kill "$watcher" 2>/dev/null; wait "$watcher" 2>/dev/null
	rm -f "$out/raw/$1-busy" "$out/raw/$1-busy.new"
}

# debian_612 PART: Debian's newest 6.12 kernel with headers (or HS_KVER)
# in $hk; 1, with a note in OUTDIR/PART.md, when there is none
debian_612() {
	hk=${HS_KVER:-$(ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null |
		sed 's|.*/linux-headers-||' | sort -V | tail -1)}
	[ -n "$hk" ] && [ -e "/boot/vmlinuz-$hk" ] && return 0
	echo "bench: part $1 skipped: no Debian 6.12 kernel (make deps-6.12)"
	echo "Skipped: no Debian 6.12 kernel; run \`make deps-6.12\` first." > "$out/$1.md"
	return 1
}

# module_612: build/mod-6.12/kernel/iketcp.ko, in $ko (module-vm builds
# from scratch: only when a source is newer)
module_612() {
	ko=$repo/build/mod-6.12/kernel/iketcp.ko
	[ -f "$ko" ] && [ -z "$(find "$repo/kernel" "$repo/include" "$repo/Kbuild" \
		-newer "$ko" -name '*.[ch]' -o -newer "$ko" -name Kbuild | head -1)" ] ||
		make -C "$repo" --no-print-directory module-vm KERNEL=6.12 >/dev/null
}

# peers_bins: iketcpd and the programs of parts peers and capacity:
# hswatch, and ikeload linked with iketcpd's objects (all but its main,
# commands and daemon, which user/Makefile builds into build/user/obj)
peers_bins() {
	local o=$repo/build/user/obj objs
	make -C "$repo/user" --no-print-directory >/dev/null || return 1
	$CC $CFLAGS_BENCH -o "$bin/hswatch" "$here/hswatch.c" || return 1
	objs=$(find "$o" -name '*.o' ! -name main.o ! -name commands.o ! -name daemon.o | sort)
	# shellcheck disable=SC2046,SC2086 # word lists
	$CC $CFLAGS_BENCH -o "$bin/ikeload" "$here/ikeload.c" $objs \
		$(pkg-config --libs libnl-xfrm-3.0 libnl-3.0 inih json-c libcrypto libmnl)
}

rc=0
declare -A took
for part in "${parts[@]}"; do
	t=$(date +%s)
	[ "$part" = index ] || rm -f "$out"/raw/*-"$part".csv
	case $part in
	kex)
		make -C "$repo" --no-print-directory \
			"$repo/build/bench/bin/kex_bench" > /dev/null || exit 1
		echo "bench: part kex (issue 21) on the host"
		KEX_BENCH_CSV=$out/raw/kex.csv "$bin/kex_bench" \
			"${KEX_BENCH_ROUNDS:-2000}" > "$out/kex.md" ||
			{ echo "bench: part kex failed"; rc=1; }
		;;
	deb)
		[ -f "$repo/kernel/iketcp.ko" ] || make -C "$repo" module || exit 1
		kv=()
		[ -n "${KVER:-}" ] && kv=(--kver "$KVER")
		rm -f "$out"/raw/rr.csv "$out"/raw/mem.csv "$out"/raw/memq.csv
		echo "bench: part deb (issues 3, 4) on Debian's kernel"
		"$repo/selftests/vm/run" "${kv[@]}" --module "$repo/kernel/iketcp.ko" \
			--rw "$out" --timeout 1500 --no-kmemleak "${envs[@]}" -- \
			"$here/run.sh" "$out" deb 2>&1 | tee "$out/vm-deb.log"
		[ "${PIPESTATUS[0]}" = 0 ] || { echo "bench: part deb failed"; rc=1; }
		;;
	icount)
		if [ -e /dev/kvm ] && [ "${IKETCP_VM_ACCEL:-}" != tcg ]; then
			echo "bench: part icount uses TCG (icount needs it), not KVM"
		fi
		[ -f "$repo/kernel/iketcp.ko" ] || make -C "$repo" module || exit 1
		rm -f "$out"/raw/rr-icount*.csv "$out"/raw/info-icount*.csv
		echo "$ICOUNT_SHIFT" > "$out/raw/icount-shift"
		# Debian's kernel, and bookworm's 6.1 when its headers are
		# installed: 6.1 still has sendpage, which changes the send path.
		kernels=("${KVER:-}") kos=("$repo/kernel/iketcp.ko")
		k61=$(ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null |
			sed 's|.*/linux-headers-||' | sort -V | tail -1)
		if [ -n "$k61" ] && [ "$k61" != "${KVER:-}" ]; then
			if make -C "$repo" --no-print-directory module-vm KERNEL=6.1 >/dev/null; then
				kernels+=("$k61")
				kos+=("$repo/build/mod-6.1/kernel/iketcp.ko")
			else
				echo "bench: module for $k61 failed"; rc=1
			fi
		fi
		for i in "${!kernels[@]}"; do
			k=${kernels[$i]} ko=${kos[$i]} kv=()
			[ -n "$k" ] && kv=(--kver "$k")
			# Twice: the guest CPU with ERMS (QEMU's max) and without.
			for model in icount icount-noerms; do
				cpu=""
				[ "$model" = icount-noerms ] && cpu="-cpu max,-erms"
				echo "bench: part $model (issue 3) on ${k:-the default kernel}, virtual time"
				IKETCP_VM_ACCEL=tcg IKETCP_VM_ICOUNT="shift=$ICOUNT_SHIFT${BENCH_ICOUNT_SLEEP:+,sleep=$BENCH_ICOUNT_SLEEP}" \
					IKETCP_VM_QEMU_ARGS="$cpu" \
					"$repo/selftests/vm/run" "${kv[@]}" --module "$ko" \
					--smp 1 --rw "$out" --timeout 1500 --no-kmemleak "${envs[@]}" -- \
					"$here/run.sh" "$out" "$model" 2>&1 | tee "$out/vm-$model${k:+-$k}.log"
				[ "${PIPESTATUS[0]}" = 0 ] || { echo "bench: part $model failed"; rc=1; }
			done
		done
		;;
	ref)
		kdir=$("$repo/selftests/vm/build-kernel" --path-only ref 2>/dev/null)
		if [ -z "$kdir" ] || [ ! -f "$kdir/arch/x86/boot/bzImage" ]; then
			echo "bench: part ref skipped: no reference kernel (make kernel-ref, ~15 min)"
			echo "Skipped: no reference kernel; run \`make kernel-ref\` first." \
				> "$out/tunnel-ref.md"
			continue
		fi
		make -C "$repo" --no-print-directory module-vm KERNEL=ref >/dev/null ||
			{ echo "bench: module for the reference kernel failed"; rc=1; continue; }
		echo "bench: part ref (issue 10) on the reference kernel"
		"$repo/selftests/vm/run" --kernel "$kdir/arch/x86/boot/bzImage" \
			--module "$repo/build/mod-ref/kernel/iketcp.ko" \
			--rw "$out" --timeout 1500 --no-kmemleak "${envs[@]}" -- \
			"$here/run.sh" "$out" ref 2>&1 | tee "$out/vm-ref.log"
		[ "${PIPESTATUS[0]}" = 0 ] || { echo "bench: part ref failed"; rc=1; }
		;;
	handshake)
		debian_612 handshake || continue
		module_612 || { echo "bench: part handshake: module build failed"; rc=1; continue; }
		make -C "$repo/user" --no-print-directory >/dev/null ||
			{ echo "bench: part handshake: iketcpd build failed"; rc=1; continue; }
		rm -f "$out"/raw/handshake.csv "$out"/raw/info-handshake.csv
		echo "bench: part handshake (issue 21) on $hk"
		watch_host handshake
		"$repo/selftests/vm/run" --kver "$hk" \
			--module "$repo/build/mod-6.12/kernel/iketcp.ko" \
			--rw "$out" --timeout 5400 --no-kmemleak "${envs[@]}" -- \
			"$here/handshake.sh" "$out" 2>&1 | tee "$out/vm-handshake.log"
		[ "${PIPESTATUS[0]}" = 0 ] || { echo "bench: part handshake failed"; rc=1; }
		unwatch_host handshake
		if [ -s "$out/raw/handshake.csv" ]; then
			/usr/bin/python3 "$here/handshake-plot.py" "$out" ||
				{ echo "bench: handshake-plot.py failed"; rc=1; }
		fi
		;;
	peers|capacity|transports)
		debian_612 "$part" || continue
		if [ "$part" = transports ]; then
			issue=20 tables=("$here/transports-tables.py" "$out")
			module_612 && make -C "$repo/user" --no-print-directory >/dev/null
		else
			issue=19 tables=("$here/peers-tables.py" "$out" "$part")
			module_612 && peers_bins
		fi || { echo "bench: part $part: build failed"; rc=1; continue; }
		rm -f "$out/raw/$part.csv" "$out/raw/$part"-*.csv "$out/raw/info-$part.csv"
		echo "bench: part $part (issue $issue) on $hk"
		watch_host "$part"
		"$repo/selftests/vm/run" --kver "$hk" --module "$ko" \
			--rw "$out" --timeout 3600 --no-kmemleak "${envs[@]}" -- \
			"$here/$part.sh" "$out" 2>&1 | tee "$out/vm-$part.log"
		[ "${PIPESTATUS[0]}" = 0 ] || { echo "bench: part $part failed"; rc=1; }
		unwatch_host "$part"
		if [ -s "$out/raw/$part.csv" ]; then
			/usr/bin/python3 "${tables[@]}" ||
				{ echo "bench: ${tables[0]##*/} $part failed"; rc=1; }
		fi
		;;
	index)
		continue ;;	# only rewrite README.md
	*)
		echo "bench: unknown part $part (kex, deb, icount, ref, handshake, peers, capacity, transports, index)"; exit 2 ;;
	esac
	took[$part]=$(( $(date +%s) - t ))
	echo "bench: part $part took ${took[$part]} s"
done

# The index: every table, in order.
{
	echo "# iketcp benchmarks"
	echo
	echo "Written by \`make bench\` (selftests/bench/bench.sh) on $(date -u '+%Y-%m-%d %H:%M UTC')."
	accel=$(sed -n 's/.*boot-to-cmd .*(\([a-z]*\)[,)].*/\1/p' "$out"/vm-*.log 2>/dev/null | sort -u | tr '\n' ' ')
	echo "QEMU accelerator: ${accel:-unknown}(tcg: absolute numbers are low, ratios matter), 2 vCPUs (icount part: 1, in virtual time)."
	echo "Console logs of the VM runs: vm-deb.log, vm-icount*.log, vm-ref.log, vm-handshake.log,"
	echo "vm-peers.log, vm-capacity.log, vm-transports.log."
	for part in deb icount ref handshake peers capacity transports; do
		for f in "$out"/raw/info-$part.csv "$out"/raw/info-$part*.*.csv; do
			[ -f "$f" ] && IFS=, read -r p k s < "$f" &&
				echo "Part $p: kernel $k, benchmarks ${s} s in the VM."
		done
		[ -n "${took[$part]:-}" ] && echo "Part $part took ${took[$part]} s with boot."
	done
	echo
	echo "Tables (each also as .csv beside it): rr-icount.md, rr-icount-noerms.md,"
	echo "rr.md, mem.md (issue 3), memq.md, tunnel-deb.md, ping-deb.md (issue 4), tunnel-ref.md,"
	echo "ping-ref.md (issue 10), kex.md, handshake.md and handshake.png (issue 21), peers.md"
	echo "and capacity.md (issue 19), transports.md, transports-hs.md and transports.png (issue 20)."
	echo "Raw per-run results: raw/*.csv."
	echo
	for t in rr-icount rr-icount-noerms rr mem memq tunnel-deb ping-deb tunnel-ref ping-ref kex \
		handshake peers capacity transports transports-hs; do
		[ -f "$out/$t.md" ] && { cat "$out/$t.md"; echo; }
	done
} > "$out/README.md"
echo "bench: tables in $out (index $out/README.md)"
exit $rc
