#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The project's ML-KEM against OpenSSL 3.5's (issue 21): a Debian 13
# (trixie) chroot, made once with debootstrap from Debian's registry and
# kept in the cache, builds diff_openssl.c with user/crypto/mlkem.c,
# mlkem_evp.c, kex.c and trixie's libcrypto, and runs it: same keys and
# ciphertexts from the same seeds, each side decapsulating the other's,
# kex.c's libcrypto backend against its own.  KTAP out.
#
#   diff-openssl35.sh [BUILDDIR] [SEEDS]     (make check-mlkem-diff)
#
# Needs root (debootstrap, chroot) and, the first time, deb.debian.org
# (about 500 MB, a few minutes).  The chroot: $IKETCP_CACHE/trixie-chroot
# (default /var/cache/iketcp).  Not part of make check.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:-$repo/build/mlkem}
seeds=${2:-300}
cache=${IKETCP_CACHE:-/var/cache/iketcp}
root=$cache/trixie-chroot
mirror=${IKETCP_DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$out" || exit 1

if [ "$(id -u)" != 0 ]; then
	echo "diff-openssl35: needs root (debootstrap, chroot)"; exit 2
fi
if [ ! -f "$root/.done" ]; then
	if ! command -v debootstrap > /dev/null; then
		echo "diff-openssl35: installing debootstrap"
		apt-get install -y -qq debootstrap > /dev/null || exit 1
	fi
	echo "diff-openssl35: debootstrap trixie into $root (once, a few minutes)"
	rm -rf "$root.tmp"
	mkdir -p "$cache"
	debootstrap --variant=minbase --include=gcc,libc6-dev,libssl-dev \
		trixie "$root.tmp" "$mirror" > "$out/debootstrap.log" 2>&1 ||
		{ tail -20 "$out/debootstrap.log"; exit 1; }
	rm -rf "$root" && mv "$root.tmp" "$root" && touch "$root/.done" || exit 1
fi

# The sources, as they are in the tree, into the chroot.
src=$root/build/iketcp
rm -rf "$src" && mkdir -p "$src/user/crypto" "$src/user/ike" || exit 1
cp "$repo"/user/crypto/{mlkem.c,mlkem.h,mlkem_evp.c,kex.c,crypto.h,rand.c} \
	"$src/user/crypto/" || exit 1
cp "$repo/user/ike/wire.h" "$src/user/ike/" || exit 1
cp "$here/diff_openssl.c" "$src/" || exit 1

echo "# diff-openssl35: $(chroot "$root" dpkg-query -W -f='libssl-dev ${Version}' libssl-dev)"
if ! chroot "$root" gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror \
	-I/build/iketcp/user -o /build/iketcp/diff_openssl \
	/build/iketcp/diff_openssl.c /build/iketcp/user/crypto/mlkem.c \
	/build/iketcp/user/crypto/mlkem_evp.c /build/iketcp/user/crypto/kex.c \
	/build/iketcp/user/crypto/rand.c -lcrypto > "$out/diff_openssl.build.log" 2>&1
then
	sed 's/^/# /' "$out/diff_openssl.build.log"
	echo "1..1"; echo "not ok 1 mlkem_diff_openssl # does not build in the chroot"
	exit 1
fi
chroot "$root" /build/iketcp/diff_openssl "$seeds" | tee "$out/diff_openssl.log"
exit "${PIPESTATUS[0]}"
