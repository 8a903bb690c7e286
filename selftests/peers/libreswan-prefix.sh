#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the path of an unpacked libreswan (Debian's package, not installed:
# it conflicts with strongSwan, which interop.sh needs), unpacking it first
# when missing, with the libraries pluto and its tools load installed by apt.
# Idempotent and quiet once done.  Used by `make deps` and by
# interop_libreswan.sh (which only reads the tree: in the VM the host root is
# read-only).  Root for the first run; IKETCP_CACHE as in selftests/vm/run.
set -euo pipefail

cache=${IKETCP_CACHE:-/var/cache/iketcp}
# what pluto, whack, addconn and certutil link against (ldd), beyond libc
libs="libnss3 libnss3-tools libnspr4 libunbound8 libldns3 libevent-core-2.1-7
	libevent-pthreads-2.1-7 libcap-ng0 libcurl3-nss libldap-2.5-0 libaudit1
	libpam0g libselinux1 libsystemd0 libcrypt1"

say() { echo "libreswan-prefix: $*" >&2; }
installed() { dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q 'ok installed'; }

ver=$(apt-cache policy libreswan 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')
if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
	# an older tree is as good as none at all when apt knows no libreswan
	old=$(ls -d "$cache"/libreswan-*/usr/sbin/ipsec 2>/dev/null | tail -n 1)
	if [ -n "$old" ]; then
		ver=${old#"$cache"/libreswan-}; ver=${ver%/usr/sbin/ipsec}
	else
		apt-get update -qq >&2 || true
		ver=$(apt-cache policy libreswan | awk '$1 == "Candidate:" { print $2 }')
	fi
fi
[ -n "$ver" ] && [ "$ver" != "(none)" ] || { say "apt knows no libreswan"; exit 1; }
prefix=$cache/libreswan-$ver

missing=
for p in $libs; do installed "$p" || missing="$missing $p"; done
if [ -n "$missing" ]; then
	say "installing$missing"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		$missing > /dev/null 2>&1 ||
	{ apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends $missing > /dev/null; } ||
		{ say "apt-get install$missing failed"; exit 1; }
fi

if [ ! -e "$prefix/.done" ]; then
	say "unpacking libreswan $ver into $prefix"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download -qq "libreswan=$ver" > /dev/null 2>&1) ||
	(cd "$tmp" && apt-get update -qq && apt-get download -qq "libreswan=$ver" > /dev/null) ||
		{ say "apt-get download libreswan=$ver failed"; exit 1; }
	rm -rf "$prefix.new" && mkdir -p "$prefix.new"
	dpkg-deb -x "$tmp"/libreswan_*.deb "$prefix.new"
	if ldd "$prefix.new/usr/libexec/ipsec/pluto" | grep -q 'not found'; then
		say "pluto misses libraries:"
		ldd "$prefix.new/usr/libexec/ipsec/pluto" | grep 'not found' >&2
		exit 1
	fi
	touch "$prefix.new/.done"
	rm -rf "$prefix" && mv "$prefix.new" "$prefix"
fi
echo "$prefix"
