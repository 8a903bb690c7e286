# SPDX-License-Identifier: GPL-2.0
# Sourced inside the VM by the benchmarks that bench.sh runs with its
# host watcher (bench.sh's watch_host): another VM on this 2-core host
# takes CPU from ours and skews times.  bench.sh samples the host's QEMU
# processes every 2 s into the file $HB_FILE, "COUNT busy|free", COUNT the
# samples so far that saw another VM than ours.
#
#   host_state	read it into HB_N and HB_S (0 and free without the file)
#   wait_host	until no other VM runs (says so through say()), at most
#		BENCH_HOST_WAIT_MAX seconds (900): a host that stays busy
#		must not stall the benchmark for good
#   hb_rerun N0	after a sample that began at HB_N = N0: 0 when another VM
#		ran meanwhile and the sample should run again (at most
#		BENCH_HOST_TRIES times, 3, counted in HB_TRY, which the
#		caller zeroes per sample; REPEATS counts them), else 1, with
#		HB_BUSY 1 when the sample is kept although one ran (KEPT
#		counts those), 0 when the host was free
#   HB_WATCHED	1 when the file exists: the host is watched at all
#   hb_note WHAT	the line for a meta file: how many WHAT (runs) were
#		run again, how many kept though another VM ran, or that
#		nobody watched
HB_WAIT_MAX=${BENCH_HOST_WAIT_MAX:-900}
HB_TRIES=${BENCH_HOST_TRIES:-3}
REPEATS=0 KEPT=0 HB_TRY=0 HB_BUSY=0
HB_WATCHED=0
[ -r "$HB_FILE" ] && HB_WATCHED=1
host_state() {
	HB_N=0 HB_S=free
	if [ -r "$HB_FILE" ]; then read -r HB_N HB_S < "$HB_FILE" || true; fi
}
hb_note() {
	if [ "$HB_WATCHED" = 1 ]; then
		echo "note: $REPEATS $1 overlapped another VM on the host (bench.sh samples its QEMU processes every 2 s) and were run again$([ "$KEPT" = 0 ] || echo "; $KEPT kept although one ran, after $HB_TRIES tries (host_busy 1 in the CSV)")"
	else
		echo "note: the host was not watched for other VMs (run without bench.sh): these times are suspect if one ran"
	fi
}
wait_host() {
	host_state
	[ "$HB_S" = busy ] || return 0
	local t0=$SECONDS
	say "another VM runs on the host: waiting (at most $HB_WAIT_MAX s)"
	while [ "$HB_S" = busy ] && [ $((SECONDS - t0)) -lt "$HB_WAIT_MAX" ]; do
		sleep 5
		host_state
	done
	if [ "$HB_S" = busy ]; then
		say "the host is still busy after $HB_WAIT_MAX s: going on"
	else
		say "the host is free again"
	fi
}
hb_rerun() {
	host_state
	HB_BUSY=0
	[ "$HB_N" != "$1" ] || return 1
	if [ "$HB_TRY" -lt "$HB_TRIES" ]; then
		HB_TRY=$((HB_TRY + 1)) REPEATS=$((REPEATS + 1))
		return 0
	fi
	HB_BUSY=1 KEPT=$((KEPT + 1))
	return 1
}
