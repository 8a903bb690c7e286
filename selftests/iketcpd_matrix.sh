#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The transport matrix of separate transports in iketcpd (README): IKE start
# (ike_transport of the initiator) x the responder's separate_transports x
# NAT x what the router blocks, through the middle router of lib/middle.sh.
#
#  mx-a (initiator) ── mx-m (router: counters, blocks, NAT) ── mx-b (responder)
#
# In each cell (lib/cells.sh): the tunnel comes up, or what iketcpd.conf(5)
# documents happens instead ("When a path is blocked"); ping crosses both
# ways, or ESP is dropped where its path is blocked; the router's counters
# prove which transport carried IKE and which carried ESP; `ip xfrm state`
# has the encapsulation the choice implies, the module holds the SA
# bindings when ESP rides TCP, and `iketcpd status` says why; nothing is
# left afterwards.  The cells with more steps are in iketcpd_transport.sh.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
ikd=$repo/user/iketcpd
na=mx-a
nm=mx-m
nb=mx-b
work=$(mktemp -d)
. "$here/lib/ikepair.sh"
. "$here/lib/middle.sh"
. "$here/lib/cells.sh"

for m in esp4 esp6 xfrm_user dummy veth nf_tables nft_nat nft_masq nft_reject \
	nft_reject_inet nft_ct nf_conntrack_netlink; do
	modprobe -q $m 2>/dev/null
done
echo "TAP version 13"
echo "1..502"

# IKE start x responder x NAT x block
cell udp_only 4 - - udp ip "ike_transport=udp" ""
cell tcp 4 - - tcp tcp "ike_transport=tcp" ""
cell tcp_esp_blocked 4 - esp tcp tcp "ike_transport=tcp" ""
cell sep_tcp 4 - - sep-tcp ip "ike_transport=separate-tcp" ""
cell sep_tcp_no_echo 4 - - tcp tcp "ike_transport=separate-tcp" "global.separate_transports=no"
cell sep_tcp_nat 4 on - sep-tcp-nat udp "ike_transport=separate-tcp" ""
# a NAT that changes ports: the responder learns the initiator's UDP 4500
# port from its ESP path probe, and ESP in UDP goes there
cell sep_tcp_nat_random 4 random - sep-tcp-nat udp "ike_transport=separate-tcp" ""
cell sep_udp 4 - - sep-udp ip "ike_transport=separate-udp" ""
cell sep_udp_no_echo 4 - - udp4500 ip "ike_transport=separate-udp" "global.separate_transports=no"
cell sep_udp_nat 4 random - sep-udp udp "ike_transport=separate-udp" ""
cell sep_udp_tcp_blocked 4 - tcp4500 udp-fallback ip "ike_transport=separate-udp" ""
cell tcp_v6 6 - - tcp tcp "ike_transport=tcp" ""
cell sep_udp_v6 6 - - sep-udp ip "ike_transport=separate-udp" ""
cell auto_long_auth 4 - - auto ip "ike_transport=auto tcp500_threshold=100" ""
cell auto_no_announce 4 - - udp-no-tcp500 ip "ike_transport=auto tcp500_threshold=100" \
	"global.tcp500_listen=no"
cell tcp500 4 - - tcp500 ip "ike_transport=tcp500" ""
# behind a NAT that changes ports (draft-ietf-ipsecme-ike-tcp 3.2): right
# after IKE_AUTH over TCP 500 a liveness check over UDP 4500 makes the NAT's
# mapping, the responder answers it and sends its ESP in UDP there
cell tcp500_nat 4 random - tcp500-nat udp "ike_transport=tcp500" ""
cell auto_long_auth_nat 4 random - auto-nat udp "ike_transport=auto tcp500_threshold=100" ""
# More of the matrix: a responder without separate transports behind a
# NAT, and blocks that the chosen transports must not notice
cell udp_only_nat 4 random - udp udp "ike_transport=udp" ""
cell udp_only_tcp_blocked 4 - tcp4500 udp ip "ike_transport=udp" ""
cell sep_udp_no_echo_nat 4 random - udp4500 udp "ike_transport=separate-udp" "global.separate_transports=no"
cell sep_udp_no_echo_tcp_blocked 4 - tcp4500 udp4500 ip "ike_transport=separate-udp" "global.separate_transports=no"
cell sep_tcp_no_echo_nat 4 random - tcp tcp "ike_transport=separate-tcp" "global.separate_transports=no"
cell tcp500_no_echo 4 - - tcp500 ip "ike_transport=tcp500" "global.separate_transports=no"
cell tcp500_tcp4500_blocked 4 - tcp4500 tcp500 ip "ike_transport=tcp500" ""
cell sep_udp_nat_tcp_blocked 4 random tcp4500 udp-fallback udp "ike_transport=separate-udp" ""
cell sep_tcp_no_echo_esp_blocked 4 - esp tcp tcp "ike_transport=separate-tcp" "global.separate_transports=no"
cell sep_tcp_nat_esp_blocked 4 random esp sep-tcp-nat udp "ike_transport=separate-tcp" ""
cell sep_udp_nat_esp_blocked 4 random esp sep-udp udp "ike_transport=separate-udp" ""
cell tcp500_nat_esp_blocked 4 random esp tcp500-nat udp "ike_transport=tcp500" ""
cell udp_only_nat_esp_blocked 4 random esp udp udp "ike_transport=udp" ""
cell sep_tcp_udp_blocked 4 - udp4500 sep-tcp ip "ike_transport=separate-tcp" ""
cell sep_udp_no_echo_nat_tcp_blocked 4 random tcp4500 udp4500 udp "ike_transport=separate-udp" "global.separate_transports=no"
cell tcp500_no_echo_nat 4 random - tcp500-nat udp "ike_transport=tcp500" "global.separate_transports=no"
cell tcp500_nat_tcp_blocked 4 random tcp4500 tcp500-nat udp "ike_transport=tcp500" ""
cell udp_only_nat_tcp_blocked 4 random tcp4500 udp udp "ike_transport=udp" ""
# The rest of the matrix.  NO="global.separate_transports=no": the
# responder without separate transports (no echo).
NO="global.separate_transports=no"
# Blocks that the chosen transports do not use
cell sep_udp_no_echo_nat_esp_blocked 4 random esp udp4500 udp "ike_transport=separate-udp" "$NO"
cell sep_tcp_no_echo_nat_esp_blocked 4 random esp tcp tcp "ike_transport=separate-tcp" "$NO"
cell sep_tcp_no_echo_udp_blocked 4 - udp4500 tcp tcp "ike_transport=separate-tcp" "$NO"
cell sep_tcp_no_echo_nat_udp_blocked 4 random udp4500 tcp tcp "ike_transport=separate-tcp" "$NO"
cell udp_only_no_sep 4 - - udp ip "ike_transport=udp" "$NO"
cell udp_only_no_sep_nat 4 random - udp udp "ike_transport=udp" "$NO"
cell udp_only_no_sep_tcp_blocked 4 - tcp4500 udp ip "ike_transport=udp" "$NO"
cell udp_only_no_sep_nat_tcp_blocked 4 random tcp4500 udp udp "ike_transport=udp" "$NO"
cell udp_only_no_sep_nat_esp_blocked 4 random esp udp udp "ike_transport=udp" "$NO"
cell tcp500_no_echo_tcp4500_blocked 4 - tcp4500 tcp500 ip "ike_transport=tcp500" "$NO"
cell tcp500_no_echo_nat_tcp4500_blocked 4 random tcp4500 tcp500-nat udp "ike_transport=tcp500" "$NO"
cell tcp500_no_echo_nat_esp_blocked 4 random esp tcp500-nat udp "ike_transport=tcp500" "$NO"
# Bare ESP blocked with no NAT, and no RFC 9329 connection to move into
cell_stuck sep_udp_no_echo_esp_blocked 4 - esp udp4500 ip "ike_transport=separate-udp" "$NO"
cell_stuck udp_only_esp_blocked 4 - esp udp ip "ike_transport=udp" ""
cell_stuck udp_only_no_sep_esp_blocked 4 - esp udp ip "ike_transport=udp" "$NO"
cell_stuck tcp500_esp_blocked 4 - esp tcp500 ip "ike_transport=tcp500" ""
cell_stuck tcp500_no_echo_esp_blocked 4 - esp tcp500 ip "ike_transport=tcp500" "$NO"
# UDP 4500 blocked once the tunnel is up
cell_midblock sep_udp_udp_blocked 4 - udp4500 sep-udp ip stays "ike_transport=separate-udp" ""
cell_midblock sep_udp_no_echo_udp_blocked 4 - udp4500 udp4500 ip stays "ike_transport=separate-udp" "$NO"
cell_midblock udp_only_udp_blocked 4 - udp4500 udp ip stays "ike_transport=udp" ""
cell_midblock udp_only_no_sep_udp_blocked 4 - udp4500 udp ip stays "ike_transport=udp" "$NO"
cell_midblock tcp500_udp_blocked 4 - udp4500 tcp500 ip stays "ike_transport=tcp500" ""
cell_midblock tcp500_no_echo_udp_blocked 4 - udp4500 tcp500 ip stays "ike_transport=tcp500" "$NO"
cell_midblock tcp500_nat_udp_blocked 4 random udp4500 tcp500-nat udp stuck "ike_transport=tcp500" ""
cell_midblock tcp500_no_echo_nat_udp_blocked 4 random udp4500 tcp500-nat udp stuck "ike_transport=tcp500" "$NO"
cell_midblock sep_udp_no_echo_nat_udp_blocked 4 random udp4500 udp4500 udp dead "ike_transport=separate-udp" "$NO"
cell_midblock udp_only_nat_udp_blocked 4 random udp4500 udp udp dead "ike_transport=udp" ""
cell_midblock udp_only_no_sep_nat_udp_blocked 4 random udp4500 udp udp dead "ike_transport=udp" "$NO"
# TCP 4500 blocked on a TCP start: no fallback, down until unblocked
cell_down sep_tcp_tcp_blocked 4 - "ike_transport=separate-tcp" ""
cell_down sep_tcp_nat_tcp_blocked 4 random "ike_transport=separate-tcp" ""
cell_down sep_tcp_no_echo_tcp_blocked 4 - "ike_transport=separate-tcp" "$NO"
cell_down sep_tcp_no_echo_nat_tcp_blocked 4 random "ike_transport=separate-tcp" "$NO"

echo "# ran $ntest of the plan"
exit $((nfail > 0))
