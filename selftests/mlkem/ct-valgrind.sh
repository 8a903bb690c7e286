#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The constant-time proof of user/crypto/mlkem.c (issue 21): ct_valgrind.c
# under valgrind memcheck, secrets marked undefined, must report no error;
# and its canary, a deliberate branch on a secret, must report one (else
# memcheck is not looking and the first line proves nothing).  KTAP out.
#
#   ct-valgrind.sh BUILDDIR      (make check-unit: BUILDDIR = build/mlkem)
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:-$repo/build/mlkem}
bin=$out/ct_valgrind
mkdir -p "$out" || exit 1

echo "1..2"
if ! command -v valgrind > /dev/null; then
	echo "not ok 1 mlkem_constant_time_valgrind # valgrind not installed (make deps)"
	echo "not ok 2 mlkem_constant_time_canary # valgrind not installed"
	exit 1
fi
# -O2 as iketcpd is built: the optimizer is what may bring a branch back.
if ! ${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror \
	-DIK_MLKEM_VALGRIND -I"$repo/include" -I"$repo/user" -o "$bin" \
	"$here/ct_valgrind.c" "$repo/user/crypto/mlkem.c" \
	"$repo/user/crypto/rand.c" -lcrypto 2> "$out/ct_valgrind.build.log"; then
	sed 's/^/# /' "$out/ct_valgrind.build.log"
	echo "not ok 1 mlkem_constant_time_valgrind # does not build"
	echo "not ok 2 mlkem_constant_time_canary # does not build"
	exit 1
fi

# Errors found: memcheck's own count, from its summary line.
errors() {
	sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$1" | tail -1
}

rc=0
valgrind --tool=memcheck --error-exitcode=0 --track-origins=yes \
	"$bin" > "$out/ct_valgrind.out" 2> "$out/ct_valgrind.log"
st=$?
n=$(errors "$out/ct_valgrind.log")
sed 's/^#/#/' "$out/ct_valgrind.out"
if [ "$st" = 0 ] && [ "${n:-x}" = 0 ]; then
	echo "ok 1 mlkem_constant_time_valgrind"
else
	grep -A12 'Conditional jump\|Use of uninitialised\|uninitialised value' \
		"$out/ct_valgrind.log" | head -60 | sed 's/^/# /'
	echo "not ok 1 mlkem_constant_time_valgrind # ${n:-?} errors, exit $st (log: $out/ct_valgrind.log)"
	rc=1
fi

valgrind --tool=memcheck --error-exitcode=0 "$bin" canary \
	> /dev/null 2> "$out/ct_canary.log"
n=$(errors "$out/ct_canary.log")
if [ "${n:-0}" -gt 0 ]; then
	echo "ok 2 mlkem_constant_time_canary # memcheck saw the secret branch"
else
	echo "not ok 2 mlkem_constant_time_canary # memcheck missed a branch on a secret"
	rc=1
fi
exit $rc
