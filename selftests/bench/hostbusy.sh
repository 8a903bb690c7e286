# SPDX-License-Identifier: GPL-2.0
# Sourced inside the VM by the benchmarks that bench.sh runs with its
# host watcher (bench.sh's watch_host): another VM on this 2-core host
# takes CPU from ours and skews times.  bench.sh samples the host's QEMU
# processes every 2 s into the file $HB_FILE, "COUNT busy|free", COUNT the
# samples so far that saw another VM than ours.
#
#   host_state	read it into HB_N and HB_S (0 and free without the file)
#   wait_host	until no other VM runs (says so through say())
#   HB_WATCHED	1 when the file exists: the host is watched at all
#   hb_note WHAT	the line for a meta file: how many WHAT (runs) were
#		run again ($REPEATS), or that nobody watched
HB_WATCHED=0
[ -r "$HB_FILE" ] && HB_WATCHED=1
host_state() {
	HB_N=0 HB_S=free
	if [ -r "$HB_FILE" ]; then read -r HB_N HB_S < "$HB_FILE" || true; fi
}
hb_note() {
	if [ "$HB_WATCHED" = 1 ]; then
		echo "note: ${REPEATS:-0} $1 overlapped another VM on the host (bench.sh samples its QEMU processes every 2 s) and were run again"
	else
		echo "note: the host was not watched for other VMs (run without bench.sh): these times are suspect if one ran"
	fi
}
wait_host() {
	host_state
	[ "$HB_S" = busy ] || return 0
	say "another VM runs on the host: waiting"
	while [ "$HB_S" = busy ]; do sleep 5; host_state; done
	say "the host is free again"
}
