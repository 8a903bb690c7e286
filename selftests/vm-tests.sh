#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the VM (selftests/vm/run): every VM test named on the command
# line, or all of them.  A test NAME is build/selftests/NAME (a C kselftest)
# or selftests/NAME.sh (a shell test); each prints KTAP.  Kernel messages go
# to dmesg only, so they cannot split test output lines on the console.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
export PATH="$repo/build/selftests:$PATH"

tests=("$@")
if [ ${#tests[@]} = 0 ]; then
	for f in "$repo"/build/selftests/* "$here"/*.sh; do
		n=$(basename "$f" .sh)
		[ "$n" = vm-tests ] || [ "$n" = demo ] || tests+=("$n")
	done
fi

dmesg -n 1
modprobe -q veth 2>/dev/null || true
rc=0
for t in "${tests[@]}"; do
	echo "# ===== $t"
	if [ -x "$repo/build/selftests/$t" ]; then
		"$repo/build/selftests/$t" || rc=1
	elif [ -x "$here/$t.sh" ]; then
		"$here/$t.sh" || rc=1
	else
		echo "not ok 1 $t # no such test"
		rc=1
	fi
done
exit $rc
