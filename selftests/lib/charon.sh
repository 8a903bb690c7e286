# SPDX-License-Identifier: GPL-2.0
# Sourced by the tests that run strongSwan (charon-systemd 5.9.8, swanctl)
# in namespace $nb with private files under $work (NOTES-VM.md): nothing of
# /etc/strongswan* or /etc/swanctl is used.  Needs ikepair.sh first.
#
#   charon_conf_write	$work/strongswan.conf: vici on $work/charon.vici, log
#			to $work/charon.log (ike and cfg at level 2)
#   start_charon		start charon (PID in $PIDC), wait for vici, load
#			$work/swanctl.conf (output: $work/swanctl.out);
#			swanctl looks for keys in $work/private/
#   swanctl_b CMD ARGS	swanctl against that charon
#   charon_child_installed	strongSwan's word that its Child SA is in the kernel
#   charon_show_logs	their tails, as KTAP comments

charon_conf_write() {
	cat > "$work/strongswan.conf" <<EOC
charon-systemd {
	install_routes = no
	# RFC 7383 fragments of at most 576 bytes, as iketcpd's IPv4 default:
	# certificate exchanges are fragmented both ways
	fragment_size = 576
	plugins {
		vici { socket = unix://$work/charon.vici }
	}
	journal { default = -1 }
	filelog {
		charon { path = $work/charon.log
			flush_line = yes
			default = 1
			ike = 2
			cfg = 2
		}
	}
}
EOC
}

# swanctl wants its command first, then the options
swanctl_b() { local cmd=$1; shift; qb swanctl "$cmd" --uri "unix://$work/charon.vici" "$@"; }

start_charon() {
	local i
	: > "$work/charon.log"
	rm -f "$work/charon.vici"	# the last run's: would look ready
	STRONGSWAN_CONF=$work/strongswan.conf ip netns exec "$nb" \
		/usr/sbin/charon-systemd > "$work/charon.out" 2>&1 &
	PIDC=$!
	for i in $(seq 1 100); do
		swanctl_b --stats > /dev/null 2>&1 && break
		sleep 0.2
	done
	swanctl_b --load-all --file "$work/swanctl.conf" > "$work/swanctl.out" 2>&1
}

charon_child_installed() {
	local i
	for i in $(seq 1 50); do
		swanctl_b --list-sas 2>/dev/null | grep -q "INSTALLED, TUNNEL" && return 0
		sleep 0.2
	done
	return 1
}

charon_show_logs() {
	[ -s "$work/charon.log" ] || return 0
	echo "# --- charon"; tail -40 "$work/charon.log" | sed 's/^/#   /'
	sed 's/^/#   /' "$work/swanctl.out" "$work/charon.out" | tail -20
}
