#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# profile.sh: where the instructions of an IKE round trip go, per kernel
# function, in the same virtual-time setup as `make bench`'s icount part
# (a development tool; not a test, not part of make check).
#
#   profile.sh [--kver KVER] [--erms] OUTDIR MODE SIZE [SECONDS]
#   profile.sh --report DIR [BASEDIR] [ROWS]
#
# Boots Debian's kernel (KVER, default the harness's) once to learn where
# sync(2) is (nokaslr: it stays there), then again under QEMU -icount with
# the tbprof plugin, runs "sync; ikebench-rr MODE SIZE SECONDS pin; sync",
# and writes OUTDIR/{kallsyms,tb.out,rr.txt}: the plugin counts exactly the
# instructions between the two syncs.  --report prints instructions (and
# calls) per round trip per function; with BASEDIR, the difference.
#
# The guest CPU lacks ERMS unless --erms: with it, copies run as rep movsb,
# which -icount charges one instruction per byte (8 per byte more than the
# kernel's own memcpy), and a 60 KB copy then outweighs everything else.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

if [ "${1:-}" = --report ]; then
	shift
	exec python3 "$here/profile-report.py" "$@"
fi

kver="" cpu="-cpu max,-erms"
while [ $# -gt 0 ]; do
	case $1 in
	--kver) kver=${2:?}; shift 2 ;;
	--erms) cpu=""; shift ;;
	-h|--help) sed -n '4,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) break ;;
	esac
done
[ $# -ge 3 ] || { echo "usage: profile.sh [--kver KVER] [--erms] OUTDIR ulp|user|ulp-legacy|user-legacy SIZE [SECONDS]" >&2; exit 2; }
out=$1 mode=$2 size=$3 secs=${4:-1}
mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)
cache=${IKETCP_CACHE:-/var/cache/iketcp}/profile
mkdir -p "$cache" || exit 1

make -s -C "$repo" "$repo/build/bench/bin/ikebench-rr" || exit 1
plugin=$cache/tbprof.so
if [ ! -f "$plugin" ] || [ "$here/tbprof.c" -nt "$plugin" ]; then
	cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -shared -fPIC \
		-o "$plugin" "$here/tbprof.c" || exit 1
fi

kv=() mod=$repo/kernel/iketcp.ko
if [ -n "$kver" ]; then
	kv=(--kver "$kver")
	case $kver in 6.1.*) mod=$repo/build/mod-6.1/kernel/iketcp.ko ;; esac
fi
[ -f "$mod" ] || { echo "profile: build $mod first (make module / make module-vm)" >&2; exit 1; }

vm() {
	IKETCP_VM_ACCEL=tcg IKETCP_VM_ICOUNT=shift=4,sleep=off \
		"$repo/selftests/vm/run" "${kv[@]}" --append nokaslr --module "$mod" \
		--smp 1 --rw "$out" --no-kmemleak "$@" > "$out/vm.log" 2>&1
}

guest=$out/guest.sh
cat > "$guest" <<EOS
#!/bin/sh
cat /proc/kallsyms > $out/kallsyms
[ "\${1:-}" = syms ] && exit 0
sync
$repo/build/bench/bin/ikebench-rr $mode $size $secs pin > $out/rr.txt
sync
EOS
chmod +x "$guest"

markf=$cache/sync-${kver:-default}
if [ ! -s "$markf" ]; then
	vm -- "$guest" syms || { echo "profile: VM failed, see $out/vm.log" >&2; exit 1; }
	awk '$3 == "__x64_sys_sync" { print $1 }' "$out/kallsyms" > "$markf"
	[ -s "$markf" ] || { echo "profile: no __x64_sys_sync in kallsyms" >&2; rm -f "$markf"; exit 1; }
fi
rm -f "$out/tb.out" "$out/rr.txt"
IKETCP_VM_QEMU_ARGS="$cpu -plugin $plugin,mark=$(cat "$markf"),out=$out/tb.out" \
	vm -- "$guest" || { echo "profile: VM failed, see $out/vm.log" >&2; exit 1; }
[ -s "$out/tb.out" ] && [ -s "$out/rr.txt" ] ||
	{ echo "profile: no profile written, see $out/vm.log" >&2; exit 1; }
cat "$out/rr.txt"
