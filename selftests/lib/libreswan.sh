# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034,SC2154  # globals shared with the caller
# Sourced by the libreswan interop suites (interop_libreswan.sh over UDP,
# interop_libreswan_tcp.sh over TCP), after lib/ikepair.sh: pluto 4.10 run
# unpacked in namespace $nb, all its files under $work, against iketcpd in
# $na (its log $work/a.log).
#
# libreswan conflicts with strongSwan (interop.sh) as a package, so it runs
# unpacked from the tree that peers/libreswan-prefix.sh makes (make deps).
# pluto insists on /usr/libexec/ipsec/addconn, and the VM's root is
# read-only: the suites run in a mount namespace of their own where a tmpfs
# over /usr/libexec holds links to the real entries and to the tree's ipsec/
# (libexec_overlay; the caller re-executes itself under unshare first).

# the unpacked tree, read only: in the VM nothing can be installed
lsw=$(ls -d "${IKETCP_CACHE:-/var/cache/iketcp}"/libreswan-*/usr/libexec/ipsec 2>/dev/null |
	tail -n 1)
lsw=${lsw%/usr/libexec/ipsec}
pluto=$lsw/usr/libexec/ipsec/pluto
whack=$lsw/usr/libexec/ipsec/whack

# /usr/libexec/ipsec -> the tree, the rest as it was (NOTES-VM.md)
libexec_overlay() {
	local e
	mkdir -p "$work/libexec.orig" &&
	mount --bind /usr/libexec "$work/libexec.orig" &&
	mount -t tmpfs -o mode=755 tmpfs /usr/libexec || return 1
	for e in "$work"/libexec.orig/*; do
		ln -s "$e" "/usr/libexec/${e##*/}"
	done
	rm -f /usr/libexec/ipsec
	ln -s "$lsw/usr/libexec/ipsec" /usr/libexec/ipsec
	test -x /usr/libexec/ipsec/addconn
}

libexec_undo() {
	umount /usr/libexec 2>/dev/null
	umount "$work/libexec.orig" 2>/dev/null
}

# lsw_installed: pluto, whack and NSS's tools are here
lsw_installed() {
	[ -x "$pluto" ] && [ -x "$whack" ] && command -v certutil > /dev/null &&
		command -v pk12util > /dev/null
}

# nss_fill PKI_TYPE: pluto's NSS db trusts the root as a CA (CT,,) and holds
# b's key and certificate with its intermediates (from a PKCS#12 that
# openssl makes of b.pem, the chain iketcpd would send), b's nickname
# b.example
nss_fill() {
	local t=$1 db=sql:$work/nss
	certutil -A -d "$db" -n "$t root" -t CT,, -a -i "$pki/$t/root.pem" &&
	OPENSSL_CONF=/dev/null openssl pkcs12 -export -name b.example \
		-inkey "$pki/$t/b.key" -in "$pki/$t/b.pem" \
		-passout pass: -out "$work/b.p12" &&
	pk12util -i "$work/b.p12" -d "$db" -W "" &&
	certutil -L -d "$db" && certutil -K -d "$db"
}

whack_b() { qb "$whack" --ctlsocket "$work/run/pluto.ctl" "$@"; }

# start_pluto [PKI_TYPE]: pluto in $nb on $work/ipsec.conf, conn "site"
# loaded; its pid in PIDP
start_pluto() {
	local i
	: > "$work/pluto.log"
	rm -rf "$work/run" "$work/nss" && mkdir -p "$work/run" "$work/nss"
	certutil -N -d "sql:$work/nss" --empty-password > "$work/pluto.out" 2>&1
	if [ -n "${1:-}" ] && ! nss_fill "$1" >> "$work/pluto.out" 2>&1; then
		echo "# filling pluto's NSS db failed"
		return 1
	fi
	ip netns exec "$nb" "$pluto" --nofork --no-dnssec --config "$work/ipsec.conf" \
		--secretsfile "$work/ipsec.secrets" --ipsecdir "$work/ipsec.d" \
		--nssdir "$work/nss" --rundir "$work/run" --dumpdir "$work/run" --logfile "$work/pluto.log" \
		>> "$work/pluto.out" 2>&1 &
	PIDP=$!
	# addconn, forked by pluto, loads the conn a moment after the socket
	for i in $(seq 1 100); do
		whack_b --status 2>/dev/null | grep -q '"site":.*[0-9]' && return 0
		sleep 0.2
	done
	return 1
}

show_logs() {
	echo "# --- iketcpd"; tail -25 "$work/a.log" | sed 's/^/#   /'
	echo "# --- pluto"; grep -v -E '(^|: )\| ' "$work/pluto.log" | tail -40 | sed 's/^/#   /'
	tail -20 "$work/pluto.out" "$work/whack.out" 2>/dev/null | sed 's/^/#   /'
}

# libreswan's own word that its Child SA is in the kernel
pluto_child_up() {
	local i
	for i in $(seq 1 50); do
		whack_b --trafficstatus 2>/dev/null | grep -q '"site".*type=ESP' &&
		grep -q '"site".*established Child SA' "$work/pluto.log" && return 0
		sleep 0.2
	done
	return 1
}

# no_states_in NS [SECONDS]: its XFRM states gone (a DELETE's work)
no_states_in() {
	local i
	for i in $(seq 1 $((${2:-10} * 5))); do
		[ "$(nstates ip -n "$1")" = 0 ] && return 0
		sleep 0.2
	done
	return 1
}

# pluto's policies but the ICMPv6 neighbour discovery holes (types 135
# and 136, both ways) that it makes when it starts and leaves behind
# (kernel_xfrm.c: add_icmpv6_bypass_policy): not a tunnel's
lsw_policies() {
	ip -n "$nb" xfrm policy | grep '^src' | grep -v -c 'proto ipv6-icmp type 13[56] *$'
}

# IKETCP_LSW_LOGS=DIR (a --rw dir in the VM): keep both sides' logs
keep_logs() {
	local f
	[ -n "${IKETCP_LSW_LOGS:-}" ] && for f in a.log pluto.log pluto.out whack.out; do
		cp "$work/$f" "$IKETCP_LSW_LOGS/$1.$f" 2>/dev/null
	done
}
