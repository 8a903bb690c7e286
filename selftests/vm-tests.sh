#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM (selftests/vm/run): every VM test named on the command
# line, or all of them.  A test NAME is build/selftests/NAME (a C kselftest)
# or selftests/NAME.sh (a shell test); each prints "# ===== NAME", its
# KTAP, then "# vm-tests: NAME took N s".  Kernel messages go to dmesg
# only, so they cannot split test output lines on the console.
#
# The helper's tests (iketcpd*, interop*, xfrm_own) use only network
# namespaces of their own names and userspace; most of their time is
# waiting.  After every other test ran, they run IKETCP_VM_LANES at a time
# (default 2, the VM's CPUs): each test's output is kept and printed whole
# when it ends.  interop and interop_cert both run strongSwan's charon, so
# they share one lane, one after the other.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
export PATH="$repo/build/selftests:$PATH"
lanes=${IKETCP_VM_LANES:-2}

tests=("$@")
if [ ${#tests[@]} = 0 ]; then
	for f in "$repo"/build/selftests/* "$here"/*.sh; do
		n=$(basename "$f" .sh)
		[ "$n" = vm-tests ] || [ "$n" = demo ] || tests+=("$n")
	done
fi

# run_one NAME: its KTAP and its time; non-zero if it failed
run_one() {
	local t=$1 start=$SECONDS rc=0
	echo "# ===== $t"
	if [ -x "$repo/build/selftests/$t" ]; then
		"$repo/build/selftests/$t" || rc=1
	elif [ -x "$here/$t.sh" ]; then
		"$here/$t.sh" || rc=1
	else
		echo "not ok 1 $t # no such test"
		rc=1
	fi
	echo "# vm-tests: $t took $((SECONDS - start)) s"
	return $rc
}

daemon_test() { case $1 in iketcpd*|interop*|xfrm_own) return 0 ;; esac; return 1; }

# lane N: take the next job of $jobs (flock on $q.lock), run it into a file,
# print the file whole under the same lock; a failure leaves $q.fail
lane() {
	local job t out rc
	while :; do
		job=$(flock "$q.lock" sh -c 'n=$(cat "$1"); echo $((n + 1)) > "$1"; echo "$n"' _ "$q.next")
		[ "$job" -lt ${#jobs[@]} ] || return 0
		out="$q.out.$job"
		rc=0
		for t in ${jobs[job]}; do
			run_one "$t" >> "$out" 2>&1 || rc=1
		done
		[ $rc = 0 ] || : > "$q.fail"
		flock "$q.lock" cat "$out"
	done
}

dmesg -n 1
modprobe -q veth 2>/dev/null || true
rc=0
jobs=()
charon=
first=
for t in "${tests[@]}"; do
	if [ "$lanes" -gt 1 ] && daemon_test "$t"; then
		case $t in
		interop|interop_cert) charon="$charon $t" ;;
		# the longest first, so the lanes end together
		iketcpd_matrix) first="$t" ;;
		iketcpd_transport) jobs=("$t" "${jobs[@]}") ;;
		*) jobs+=("$t") ;;
		esac
		continue
	fi
	run_one "$t" || rc=1
done
[ -n "$charon" ] && jobs+=("$charon")
[ -n "$first" ] && jobs=("$first" "${jobs[@]}")
if [ ${#jobs[@]} -gt 0 ]; then
	q=$(mktemp)
	echo 0 > "$q.next"
	pids=()
	for i in $(seq 1 "$lanes"); do
		lane & pids+=($!)
	done
	wait "${pids[@]}"
	[ -e "$q.fail" ] && rc=1
	rm -f "$q" "$q".*
fi
exit $rc
