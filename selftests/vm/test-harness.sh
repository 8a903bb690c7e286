#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tests of the VM harness itself (selftests/vm/run), KTAP output.
#
# Each case boots the VM once (about 5-10 s under TCG): exit status passing,
# the environment given to the command, detection of a kernel WARN and of a
# hung task (with the test-only module selftests/splat), each kept whole in
# the log, a known issue (--known-issues) named and not failing, the boot time, and, when the reference kernel of
# selftests/vm/build-kernel is built, booting a --kernel bzImage.
# KVER selects the Debian kernel (default: the newest with headers).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
run="$here/run"
out="$repo/build/vm/test-harness"
max_boot=${IKETCP_MAX_BOOT:-20}
n=0 failed=0

# Newest kernel release that has both a /boot/vmlinuz and headers.
pick_kver() {
	local k best=""
	while read -r k; do
		[ -e "/boot/vmlinuz-$k" ] && [ -d "/lib/modules/$k/build" ] && best=$k
	done < <(find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V)
	echo "$best"
}

ok() { n=$((n + 1)); echo "ok $n - $1${2:+ # SKIP $2}"; }
not_ok() {
	n=$((n + 1)) failed=$((failed + 1))
	echo "not ok $n - $1"
	[ -z "${2:-}" ] || sed 's/^/# /' "$2" | tail -n 25
}
# expect NAME LOG COMMAND...: the case passes when COMMAND succeeds.
expect() {
	local name=$1 log=$2
	shift 2
	if "$@"; then ok "$name"; else not_ok "$name" "$log"; fi
}

# report_is_whole LOG FIRST LAST: the guest's copy of a report from dmesg
# (vm/init) has a line matching FIRST, then one matching LAST (grep -E).
report_is_whole() {
	# No grep -q: under pipefail, sed killed by SIGPIPE fails the pipe.
	sed -n 's/^dmesg: //p' "$1" | sed -n "/$2/,\$p" | grep -E -e "$3" > /dev/null
}

less_than() { [ -n "$1" ] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# Run the harness, output to $out/$1.log; sets rc.
vm() {
	local name=$1
	shift
	rc=0
	"$run" --timeout 300 "$@" > "$out/$name.log" 2>&1 || rc=$?
}

# Build the splat module for $kver in build/ (the source tree stays clean).
build_splat() {
	local dir="$out/splat-$kver"
	rm -rf "$dir" && mkdir -p "$dir"
	cp "$repo/selftests/splat/Kbuild" "$repo/selftests/splat/iketcp_splat.c" "$dir/"
	make -C "/lib/modules/$kver/build" M="$dir" modules > "$out/splat-build.log" 2>&1 &&
		splat="$dir/iketcp_splat.ko"
}

main() {
	local t ref
	kver=${KVER:-$(pick_kver)}
	mkdir -p "$out"
	echo "TAP version 13"
	echo "1..13"
	echo "# kernel $kver"

	vm true --kver "$kver" --no-module -- true
	expect "run --no-module -- true exits 0" "$out/true.log" [ $rc = 0 ]

	t=$(sed -n 's/^vm: boot-to-cmd \([0-9.]*\) s.*/\1/p' "$out/true.log")
	echo "# boot-to-cmd ${t:-none} s"
	expect "boot-to-cmd printed and under $max_boot s" "$out/true.log" \
		less_than "$t" "$max_boot"

	# A "WARNING:" printed by the command is not a kernel report.
	# shellcheck disable=SC2016  # expanded in the VM
	vm exit7 --kver "$kver" --no-module -- sh -c \
		'echo "WARNING: userspace text"; echo "env: IKETCP_VM=$IKETCP_VM cwd=$PWD"; exit 7'
	expect "run --no-module -- sh -c 'exit 7' exits 7" "$out/exit7.log" [ $rc = 7 ]
	expect "the command runs in the host's cwd with IKETCP_VM=1" "$out/exit7.log" \
		grep -qx "env: IKETCP_VM=1 cwd=$PWD" "$out/exit7.log"

	splat=""
	if build_splat; then
		# loglevel=1: the console shows no kernel message, as in the
		# VM tests (dmesg -n 1); the report must come from dmesg, whole.
		vm splat --kver "$kver" --module "$splat" --append loglevel=1 -- true
		expect "a WARN from a loaded module fails the run (exit 124)" "$out/splat.log" \
			[ $rc = 124 ]
		expect "the failure names the WARNING line" "$out/splat.log" \
			grep -q '^vm: FAIL: .*WARNING: .*iketcp_splat' "$out/splat.log"
		expect "the log keeps the whole WARN, through its end trace line" "$out/splat.log" \
			report_is_whole "$out/splat.log" 'WARNING: .*iketcp_splat' '---\[ end trace'

		# The detector checks every timeout seconds and reports a task
		# that stayed in D state a whole timeout: at most 2 x 2 s here.
		vm hung --kver "$kver" --no-module -- sh -c \
			"echo 2 > /proc/sys/kernel/hung_task_timeout_secs && insmod $splat mode=hung hang_secs=10"
		expect "a hung task fails the run (exit 124)" "$out/hung.log" [ $rc = 124 ]
		expect "the failure names the hung task" "$out/hung.log" \
			grep -q '^vm: FAIL: .*INFO: task insmod:[0-9]* blocked for more than' "$out/hung.log"
		expect "the log keeps the hung task's report, its call trace too" "$out/hung.log" \
			report_is_whole "$out/hung.log" 'INFO: task insmod:' 'Call Trace:'

		# --known-issues: the WARN with its frame is named, not a
		# failure; the same first line with another trace still fails.
		printf 'splat-known\tWARNING: .*iketcp_splat\tiketcp_splat_init\n' \
			> "$out/known.rules"
		vm known --kver "$kver" --module "$splat" --append loglevel=1 \
			--known-issues "$out/known.rules" -- true
		expect "a known issue (report and frame match) is named, not a failure" \
			"$out/known.log" sh -c "[ $rc = 0 ] && grep -q '^vm: known kernel issue (not a failure): splat-known: .*WARNING: .*iketcp_splat' '$out/known.log'"
		printf 'splat-known\tWARNING: .*iketcp_splat\tno_such_frame\n' \
			> "$out/unknown.rules"
		vm unknown --kver "$kver" --module "$splat" --append loglevel=1 \
			--known-issues "$out/unknown.rules" -- true
		expect "a known issue's report with another trace still fails (exit 124)" \
			"$out/unknown.log" [ $rc = 124 ]
	else
		for t in "a WARN from a loaded module fails the run (exit 124)" \
			"the failure names the WARNING line" \
			"the log keeps the whole WARN, through its end trace line" \
			"a hung task fails the run (exit 124)" "the failure names the hung task" \
			"the log keeps the hung task's report, its call trace too" \
			"a known issue (report and frame match) is named, not a failure" \
			"a known issue's report with another trace still fails (exit 124)"; do
			not_ok "$t" "$out/splat-build.log"
		done
	fi

	if ref=$("$here/build-kernel" --path-only ref 2>/dev/null); then
		vm ref --kernel "$ref/arch/x86/boot/bzImage" --no-module -- true
		expect "run --kernel <ref bzImage> --no-module -- true exits 0" "$out/ref.log" \
			[ $rc = 0 ]
		sed -n 's/^vm: boot-to-cmd/# ref kernel: boot-to-cmd/p' "$out/ref.log"
	else
		ok "run --kernel <ref bzImage> --no-module -- true exits 0" "reference kernel not built"
	fi

	echo "# $((n - failed)) passed, $failed failed"
	[ $failed = 0 ]
}

main "$@"
