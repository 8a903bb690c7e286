#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tests of the verdict of `make check`, KTAP output; no VM boots.  Each
# failure that once left the check green must now fail it: a leg that does
# not build (the real check recipe, with a kernel that has no headers), a
# suite that ends before its plan, and a unit test that crashes (a
# user/ktap.h program, built by the Makefile, whose cases abort or trip
# ASan or UBSan).  The hung task is tested in selftests/vm/test-harness.sh.
#
# usage: test-verdict.sh DIR    (DIR holds ktap_crash; scratch files too)
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
summarize=$repo/selftests/summarize
dir=${1:?usage: test-verdict.sh DIR}
n=0 failed=0

ok() { n=$((n + 1)); echo "ok $n $1"; }
# not_ok NAME [FILE]: the file's tail goes out as diagnostics.  Indented,
# so that its own KTAP lines are not taken for this suite's.
not_ok() {
	n=$((n + 1)) failed=$((failed + 1))
	echo "not ok $n $1"
	[ -z "${2:-}" ] || tail -n 25 "$2" | sed 's/^/#   /'
}
# expect NAME FILE COMMAND...: the case passes when COMMAND succeeds.
expect() {
	local name=$1 file=$2
	shift 2
	if "$@"; then ok "$name"; else not_ok "$name" "$file"; fi
}

# summarize LOG: its output in LOG.sum; sets rc.
summ() {
	rc=0
	"$summarize" "$1" > "$1.sum" 2>&1 || rc=$?
}

# verdict FILE STATUS SUMMARY: rc is STATUS and FILE has the SUMMARY line.
verdict() { [ "$rc" = "$2" ] && grep -qx -e "$3" "$1"; }
# has FILE LINE...: FILE has every LINE, whole.
has() {
	local f=$1 l
	shift
	for l; do grep -qx -e "$l" "$f" || return 1; done
}

# What check-unit, check-harness and one check-vm leg print when all pass.
good_log() {
	cat <<'EOF'
# unit: framing
TAP version 13
1..2
ok 1 prefix_need
ok 2 hdr_feed
# user: test_cli
TAP version 13
1..1
ok 1 help_and_version
TAP version 13
1..2
ok 1 - run exits 0
ok 2 - ref kernel # SKIP not built
vm: boot-to-cmd 5.1 s (tcg)
# ===== module
TAP version 13
1..1
ok 1 load
# ===== esp
TAP version 13
ok 1 ping
1..1
check-vm: KERNEL=6.1.0-57-amd64 took 60 s, exit 0
EOF
}

case_clean_log() {
	local f=$dir/clean.log
	good_log > "$f"
	echo "check: unit exit 0, harness exit 0, vm exit 0" >> "$f"
	summ "$f"
	expect "a complete log passes" "$f.sum" \
		verdict "$f.sum" 0 "6 passed, 0 failed, 1 skipped"
}

# A failed test in a lane's output: the summary's tail names it with its
# suite, after everything the log printed, so a CI page that keeps only the
# last lines still says which test failed.
case_failure_named_last() {
	local f=$dir/failed.log
	good_log | sed -e 's/^ok 1 load$/not ok 1 load # exit 1/' > "$f"
	echo "check: unit exit 0, harness exit 0, vm exit 1" >> "$f"
	echo "not ok 1 leg check-vm KERNEL=6.12 # exit 2" >> "$f"
	summ "$f"
	expect "a failed test fails the check" "$f.sum" \
		verdict "$f.sum" 1 "5 passed, 2 failed, 1 skipped"
	expect "the summary names the failed test and its suite" "$f.sum" \
		has "$f.sum" "not ok - module: not ok 1 load # exit 1"
	expect "the names come just before the summary line" "$f.sum" \
		[ "$(tail -n 3 "$f.sum" | head -n 2 | cut -c1-8 | sort -u)" = "not ok -" ]
}

# The module suite dies after "1..1" (and esp, whose plan comes last, runs
# not at all): the result never printed is a failure.
case_truncated_plan() {
	local f=$dir/truncated.log
	good_log | sed -e '/^ok 1 load/,/^1\.\.1$/d' > "$f"
	echo "check: unit exit 0, harness exit 0, vm exit 0" >> "$f"
	summ "$f"
	expect "a suite that exits mid-plan fails the check" "$f.sum" \
		verdict "$f.sum" 1 "4 passed, 1 failed, 1 skipped"
	expect "the missing results are a not ok naming the suite" "$f.sum" \
		has "$f.sum" "not ok - module: 1 of 1 planned results missing"
}

# Issue 18's case: the 6.12 leg's test program did not build, so the leg
# printed no result at all and the log holds only the 6.1 leg's passes.
case_leg_line() {
	local f=$dir/leg.log
	{
		good_log
		echo "selftests/espintcp_wire.c:900:2: error: #error"
		echo "make[1]: *** [Makefile:228: build/selftests/espintcp_wire] Error 1"
		echo "check: unit exit 0, harness exit 0, vm exit 1"
		echo "not ok 1 leg check-vm KERNEL=6.12 # exit 2"
	} > "$f"
	summ "$f"
	expect "a failed leg's not ok line fails the check" "$f.sum" \
		verdict "$f.sum" 1 "6 passed, 1 failed, 1 skipped"
	# The same log from a recipe that names no leg.
	grep -v '^not ok 1 leg' "$f" > "$dir/leg-unnamed.log"
	summ "$dir/leg-unnamed.log"
	expect "a non-zero exit on the check: line alone fails the check" "$dir/leg-unnamed.log.sum" \
		verdict "$dir/leg-unnamed.log.sum" 1 "6 passed, 1 failed, 1 skipped"
}

# The real recipe, cheaply: only the VM leg, for a kernel series with no
# headers, so the leg fails in module-vm before any VM boots.  Its own
# build dir keeps build/check.log of a running `make check` intact, and
# without the caller's MAKEFLAGS its variables do not leak in.
case_leg_does_not_build() {
	local f=$dir/make-check.log
	rc=0
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$repo" --no-print-directory \
		check BUILD="$dir/build" CHECK_LEGS=vm CHECK_KERNELS=nosuch TESTS=none \
		> "$f" 2>&1 || rc=$?
	expect "make check fails on a leg that does not build" "$f" \
		verdict "$f" 2 "0 passed, 1 failed, 0 skipped"
	expect "make check names the leg in a not ok line" "$f" \
		has "$f" "not ok 1 leg check-vm KERNEL=nosuch TESTS=none # exit 2"
}

case_unit_crash() {
	local f=$dir/ktap_crash.log
	rc=0
	"$dir/ktap_crash" > "$f" 2> "$dir/ktap_crash.stderr" || rc=$?
	expect "a unit test that crashes exits non-zero" "$f" [ $rc != 0 ]
	expect "abort() in a case is a not ok naming the signal" "$f" \
		has "$f" "not ok 2 calls_abort # crashed: signal 6 (Aborted)"
	expect "a UBSan report in a case is a not ok" "$f" \
		grep -q "^not ok 3 overflows_an_int # exit status [1-9]" "$f"
	expect "an ASan report in a case is a not ok" "$f" \
		grep -q "^not ok 4 reads_freed_memory # exit status [1-9]" "$f"
	expect "the cases after a crash still run" "$f" \
		has "$f" "not ok 5 fails_a_check" "ok 6 passes_after_crashes" "ok 7 passes_last"
	summ "$f"
	expect "the crashes fail the check" "$f.sum" \
		verdict "$f.sum" 1 "3 passed, 4 failed, 0 skipped"
}

main() {
	mkdir -p "$dir"
	echo "TAP version 13"
	echo "1..16"
	case_clean_log
	case_failure_named_last
	case_truncated_plan
	case_leg_line
	case_leg_does_not_build
	case_unit_crash
	echo "# verdict: $((n - failed)) passed, $failed failed"
	[ $failed = 0 ]
}

main "$@"
