# SPDX-License-Identifier: GPL-2.0
# Sourced by the benchmarks that compare iketcpd with libreswan and
# strongSwan (peers.sh, capacity.sh; issue 19): one IKE daemon of each kind
# started in a network namespace, with every file of its own under a
# directory, PSK authentication, the proposal $PEER_IKE (x25519) and
# $PEER_ESP, tunnel mode, logging at each daemon's quiet level.
#
#   peer_start KIND NS DIR LOCAL REMOTE LOCAL_ID REMOTE_ID START LTS RTS
#	KIND iketcpd, charon (charon-systemd 5.9.8 with swanctl) or pluto
#	(libreswan 4.10, unpacked: run lsw_overlay first, in a mount
#	namespace of the script's own, as NOTES-VM.md says); REMOTE and
#	REMOTE_ID may be %any (a responder for many peers: its remote
#	selectors are narrowed to each peer's); START initiate (the daemon
#	starts the handshake as soon as its config is loaded) or listen.
#	Returns once the daemon has loaded its config (1 if it did not);
#	its PID in PEER_PID.
#	PEER_WRAP: words put before its `ip netns exec` (e.g. taskset -c 0)
#   peer_stop PID	SIGTERM, and wait (SIGKILL after 60 s)
#   peer_kind_version KIND	its version, for the tables
#   lsw_overlay DIR	/usr/libexec/ipsec -> the unpacked libreswan
#   kinds_usable DIR	drop pluto from KINDS (with a note) when
#			lsw_overlay DIR fails
#   ns_pair A B		namespaces A and B, joined by veth A-v / B-v, up
#   bench_cleanup DIR A B PID...	stop the daemons, delete A and B,
#			undo lsw_overlay, remove DIR
#
# Everything is written fresh: nothing of /etc/ipsec*, /etc/strongswan*
# or /etc/swanctl is read.
PEER_IKE=${PEER_IKE:-aes256gcm16-prfsha256-x25519}
PEER_ESP=${PEER_ESP:-aes256gcm16}
PEER_PSK=${PEER_PSK:-capacity benchmark key}
PEER_IKD=${PEER_IKD:-$repo/user/iketcpd}
PEER_WRAP=${PEER_WRAP:-}
# iketcpd's log level (notice: its quiet default here, as the others')
PEER_IKD_LOG=${PEER_IKD_LOG:-notice}
LSW=$(ls -d "${IKETCP_CACHE:-/var/cache/iketcp}"/libreswan-*/usr/libexec/ipsec 2>/dev/null |
	tail -n 1)
LSW=${LSW%/usr/libexec/ipsec}

# pluto's names of the same proposals (aes256gcm16-prfsha256-x25519 and
# aes256gcm16, or aes256-sha256 for ESP)
lsw_ike() { echo 'aes_gcm256-sha2_256;dh31'; }
lsw_esp() { case $PEER_ESP in aes256gcm16) echo aes_gcm256 ;; aes256-sha256) echo aes256-sha2_256 ;; *) echo "$PEER_ESP" ;; esac; }

# pluto checks that /usr/libexec/ipsec/addconn exists and forks it; the
# VM's root is read only: a tmpfs over /usr/libexec with links to what was
# there and ipsec -> the unpacked tree (call in a private mount namespace)
lsw_overlay() {
	local e d=$1
	mkdir -p "$d/libexec.orig" &&
	mount --bind /usr/libexec "$d/libexec.orig" &&
	mount -t tmpfs -o mode=755 tmpfs /usr/libexec || return 1
	for e in "$d"/libexec.orig/*; do
		ln -s "$e" "/usr/libexec/${e##*/}"
	done
	rm -f /usr/libexec/ipsec
	ln -s "$LSW/usr/libexec/ipsec" /usr/libexec/ipsec
	test -x /usr/libexec/ipsec/addconn
}

kinds_usable() {
	[[ " ${KINDS[*]} " == *" pluto "* ]] || return 0
	lsw_overlay "$1" && return 0
	echo "cannot put libreswan under /usr/libexec: pluto left out"
	read -r -a KINDS <<< "$(echo " ${KINDS[*]} " | sed 's/ pluto / /')"
}

ns_pair() {
	local n
	ip netns add "$1" && ip netns add "$2" || return 1
	ip link add "$1-v" netns "$1" type veth peer name "$2-v" netns "$2" || return 1
	for n in "$1" "$2"; do
		ip -n "$n" link set lo up
		ip -n "$n" link set "$n-v" up
	done
}

bench_cleanup() {
	local d=$1 a=$2 b=$3 p
	shift 3
	for p in "$@"; do peer_stop "$p"; done
	ip netns del "$a" 2>/dev/null; ip netns del "$b" 2>/dev/null
	umount /usr/libexec 2>/dev/null; umount "$d/libexec.orig" 2>/dev/null
	rm -rf "$d"
}

peer_kind_version() {
	case $1 in
	iketcpd) echo "iketcpd $(git -C "$repo" describe --always --dirty 2>/dev/null || echo ?)" ;;
	charon) echo "strongSwan $(dpkg-query -W -f '${Version}' charon-systemd 2>/dev/null)" ;;
	pluto) echo "libreswan ${LSW##*/libreswan-}" ;;
	esac
}

# wait_for SECONDS CMD...: until CMD succeeds (every 0.1 s)
wait_for() {
	local i n=$(($1 * 10))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" > /dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

ikd_start() {
	local ns=$1 d=$2
	{
		echo "[global]"
		echo "log_level = ${PEER_IKD_LOG:-notice}"
		echo "ctl_socket = $d/iketcpd.ctl"
		echo
		echo "[conn bench]"
		echo "local = $3"
		echo "remote = $4"
		echo "local_id = $5"
		echo "remote_id = $6"
		echo "auth = psk"
		echo "psk = $PEER_PSK"
		echo "ike = $PEER_IKE"
		echo "esp = $PEER_ESP"
		echo "local_ts = $8"
		echo "remote_ts = $9"
		echo "start = $7"
	} > "$d/iketcpd.conf"
	chmod 600 "$d/iketcpd.conf"
	: > "$d/iketcpd.log"
	$PEER_WRAP ip netns exec "$ns" "$PEER_IKD" run --config "$d/iketcpd.conf" \
		> "$d/iketcpd.log" 2>&1 &
	PEER_PID=$!
	wait_for 20 grep -q ': started with ' "$d/iketcpd.log"
}

# swanctl's IDs: fqdn:NAME -> NAME, %any stays
sw_id() { echo "${1#fqdn:}"; }

charon_start() {
	local ns=$1 d=$2 remote=$4 start=none rid
	rid=$(sw_id "$6")
	[ "$7" = initiate ] && start=start
	cat > "$d/strongswan.conf" <<EOC
charon-systemd {
	install_routes = no
	plugins {
		vici { socket = unix://$d/charon.vici }
	}
	journal { default = -1 }
	filelog {
		charon { path = $d/charon.log
			default = 0
		}
	}
}
EOC
	cat > "$d/swanctl.conf" <<EOC
connections {
	bench {
		version = 2
		local_addrs = $3
		$([ "$remote" = %any ] || echo "remote_addrs = $remote")
		proposals = $PEER_IKE
		local { auth = psk
			id = $(sw_id "$5") }
		remote { auth = psk
			id = $rid }
		children {
			bench {
				local_ts = $8
				remote_ts = $9
				esp_proposals = $PEER_ESP
				mode = tunnel
				start_action = $start
			}
		}
	}
}
secrets {
	ike-bench {
		secret = "$PEER_PSK"
	}
}
EOC
	rm -f "$d/charon.vici"
	STRONGSWAN_CONF=$d/strongswan.conf $PEER_WRAP ip netns exec "$ns" \
		/usr/sbin/charon-systemd > "$d/charon.out" 2>&1 &
	PEER_PID=$!
	wait_for 20 ip netns exec "$ns" swanctl --stats --uri "unix://$d/charon.vici" ||
		return 1
	ip netns exec "$ns" swanctl --load-all --file "$d/swanctl.conf" \
		--uri "unix://$d/charon.vici" > "$d/swanctl.out" 2>&1
}

# libreswan's IDs: fqdn:NAME -> @NAME
lsw_id() { case $1 in fqdn:*) echo "@${1#fqdn:}" ;; *) echo "$1" ;; esac; }

pluto_start() {
	local ns=$1 d=$2 auto=add narrow=no
	[ "$7" = initiate ] && auto=start
	[ "$4" = %any ] && narrow=yes
	rm -rf "$d/run" "$d/nss" && mkdir -p "$d/run" "$d/nss" "$d/ipsec.d"
	cat > "$d/ipsec.conf" <<EOC
config setup
	dnssec-enable=no
	uniqueids=no

conn bench
	ikev2=yes
	authby=secret
	left=$3
	leftid=$(lsw_id "$5")
	leftsubnet=$8
	leftupdown=%disabled
	right=$4
	rightid=$(lsw_id "$6")
	rightsubnet=$9
	narrowing=$narrow
	ike=$(lsw_ike)
	esp=$(lsw_esp)
	auto=$auto
EOC
	echo ": PSK \"$PEER_PSK\"" > "$d/ipsec.secrets"
	chmod 600 "$d/ipsec.secrets"
	# an empty NSS database, made once beside DIR (certutil is slow here)
	if [ ! -d "$d/../nss.template" ]; then
		mkdir -p "$d/../nss.template" &&
		certutil -N -d "sql:$d/../nss.template" --empty-password > "$d/pluto.out" 2>&1
	fi
	cp -a "$d/../nss.template/." "$d/nss/"
	: > "$d/pluto.log"
	$PEER_WRAP ip netns exec "$ns" "$LSW/usr/libexec/ipsec/pluto" --nofork --no-dnssec \
		--config "$d/ipsec.conf" --secretsfile "$d/ipsec.secrets" \
		--ipsecdir "$d/ipsec.d" --nssdir "$d/nss" --rundir "$d/run" \
		--dumpdir "$d/run" --logfile "$d/pluto.log" >> "$d/pluto.out" 2>&1 &
	PEER_PID=$!
	# addconn, forked by pluto, loads the conn a moment after the socket
	wait_for 20 sh -c "ip netns exec '$ns' '$LSW/usr/libexec/ipsec/whack' \
		--ctlsocket '$d/run/pluto.ctl' --status | grep -q '\"bench\":.*[0-9]'"
}

peer_start() {
	local kind=$1
	shift
	mkdir -p "$2"
	case $kind in
	iketcpd) ikd_start "$@" ;;
	charon) charon_start "$@" ;;
	pluto) pluto_start "$@" ;;
	*) echo "peer_start: unknown kind $kind"; return 1 ;;
	esac
}

peer_stop() {
	local i
	kill -TERM "$1" 2>/dev/null || return 0
	for ((i = 0; i < 600; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# peer_logs KIND DIR: the tail of its log, as comments
peer_logs() {
	local f
	for f in "$2/iketcpd.log" "$2/charon.log" "$2/charon.out" "$2/pluto.log" "$2/pluto.out"; do
		[ -s "$f" ] && tail -n "${3:-8}" "$f" | sed "s|^|#   $1 ${f##*/}: |"
	done
}
