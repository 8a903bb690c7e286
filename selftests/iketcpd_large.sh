#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Large IKE messages and post-quantum key exchange in iketcpd, iketcpd
# against iketcpd across lib/middle.sh's router (counters per transport):
#
#  - hybrid x25519 + ML-KEM-768 + ML-KEM-1024 (two RFC 9370 additional key
#    exchanges in IKE_INTERMEDIATE) over UDP, over separate transports with
#    UDP discovery, and with TCP from the start;
#  - pure ML-KEM-1024 in IKE_SA_INIT over TCP, and its refusal over UDP
#    (mlkem_udp_max);
#  - forged fragments for an established SA and for unknown SPIs: dropped,
#    memory bounded, the tunnel unharmed;
#  - a four-certificate RSA-4096 chain (a large IKE_AUTH) over UDP with
#    RFC 7383 fragmentation, over TCP and over separate transports, and
#    over UDP through a path MTU black hole and through a 1000-byte path
#    whose router sends ICMP and drops IP fragments (2.5.2);
#  - Child SA rekeys with x25519 + ML-KEM-768 PFS and IKE SA rekeys of a
#    hybrid IKE SA, their additional key exchanges in IKE_FOLLOWUP_KE.
#
# In each: the tunnel comes up with the proposal the log names, the router
# saw IKE and ESP where the transport rules put them, pings cross.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
ikd=$repo/user/iketcpd
na=lg-a
nm=lg-m
nb=lg-b
work=$(mktemp -d)
. "$here/lib/ikepair.sh"
. "$here/lib/middle.sh"
. "$here/lib/cells.sh"

HYBRID=aes256gcm16-prfsha256-x25519-mlkem768-mlkem1024

# up_with NAME PROPOSAL: both logs name the proposal of the IKE SA
up_with() {
	check "$1.ike_sa_uses_$2" eval \
		"grep -q 'IKE SA up with $2,' '$work/a.log' && grep -q 'IKE SA up with $2,' '$work/b.log'"
}

# Both sides sent a message as RFC 7383 fragments (over UDP).
fragmented() {
	check "$1.messages_went_as_fragments" eval \
		"grep -q 'sent as [0-9]* fragments' '$work/a.log' &&
		 grep -q 'sent as [0-9]* fragments' '$work/b.log'"
}

# Two additional key exchanges ran on both sides, in order.
addke_ran() {
	check "$1.two_additional_key_exchanges" eval \
		'[ "$(grep -c "additional key exchange .* done" "$work/a.log")" = 2 ] &&
		 [ "$(grep -c "additional key exchange .* done" "$work/b.log")" = 2 ]'
}

pure_mlkem_over_udp_is_not_offered() {
	local t=mlkem1024_udp_refused
	mid_topo 4 $NET || { fail "$t.topology"; return; }
	mid_zero
	start_pair "ike_transport=udp ike=aes256gcm16-prfsha256-mlkem1024" \
		"ike=aes256gcm16-prfsha256-mlkem1024"
	check "$t.initiator_says_why" wait_log "$work/a.log" \
		"larger than mlkem_udp_max, and IKE_SA_INIT goes over UDP" 10
	check "$t.nothing_sent" test "$(mid_count udp500)" = 0
	stop_daemons
}

# Child SA rekeys with PFS x25519 + ML-KEM-768 (IKE_FOLLOWUP_KE), and IKE
# SA rekeys of a hybrid IKE SA, every 5 s under pings
rekeys_with_addke() {
	local t=$1 ka=$2 kb=$3 what=$4
	mid_topo 4 $NET || { fail "$t.topology"; return; }
	mid_zero
	start_pair "ike_transport=udp rekey_jitter=0% $ka" "$kb"
	check "$t.up" wait_log "$work/a.log" "Child SA up" 30
	# two rekeys 5 s apart: polled, since each takes its round trips
	check "$t.rekeyed_twice_on_both_sides" eval \
		'wait_count "$work/a.log" "$what" 2 20 && wait_count "$work/b.log" "$what" 2 5'
	check "$t.ping_both_ways" pings
	check "$t.no_failure_logged" eval "! grep -q 'refused\\|failed\\|unacceptable' '$work/a.log' '$work/b.log'"
	[ "$nfail" = 0 ] || dump_logs
	stop_daemons
}

# Forged RFC 7383 fragments for an established SA, from the initiator's
# address: 3000 with the SA's SPIs and the next message ID but no valid
# ICV (Total 1000, numbers all over), then 1000 for unknown SPIs.  Each is
# dropped before it takes memory (fragments are authenticated one by one);
# the responder keeps its SA and its memory, and the tunnel works.
fragment_flood() {
	local t=fragment_flood spis rss0 rss1 pidb
	mid_topo 4 $NET || { fail "$t.topology"; return; }
	start_pair "ike_transport=udp" ""
	check "$t.up" wait_log "$work/b.log" "Child SA up" 30
	spis=$(st_b | awk '/IKE SA [0-9a-f]+\/[0-9a-f]+ established/ { print $4 }')
	pidb=$PIDB
	rss0=$(awk '/^VmRSS/ { print $2 }' /proc/$pidb/status)
	qa "$(mid_python)" - "$OB" "${spis:-0/0}" <<'EOPY'
import os, random, socket, struct, sys
dst, spis = sys.argv[1], sys.argv[2].split("/")
spi_i, spi_r = int(spis[0], 16), int(spis[1], 16)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
def skf(si, sr, number, total):
    body = os.urandom(8 + 160 + 16)          # IV | ciphertext | ICV
    pl = struct.pack("!BBHHH", 0, 0, 8 + len(body), number, total) + body
    hdr = struct.pack("!QQBBBBII", si, sr, 53, 0x20, 37, 0x08, 2,
                      28 + len(pl))
    return hdr + pl
for i in range(3000):
    s.sendto(skf(spi_i, spi_r, random.randint(1, 1000), 1000), (dst, 500))
for i in range(1000):
    s.sendto(skf(random.getrandbits(64), random.getrandbits(64), 1, 2),
             (dst, 500))
EOPY
	sleep 2
	rss1=$(awk '/^VmRSS/ { print $2 }' /proc/$pidb/status 2>/dev/null)
	echo "# $t: responder VmRSS ${rss0:-?} kB before, ${rss1:-?} kB after"
	check "$t.responder_alive_with_its_sa" eval "st_b | grep -q 'established'"
	check "$t.forged_fragments_dropped" grep -q "failed authentication\|integrity" "$work/b.log"
	check "$t.memory_bounded" test "${rss1:-999999}" -le $((${rss0:-0} + 2048))
	check "$t.tunnel_still_works" pings
	stop_daemons
}

# A path that drops IPv4 datagrams over 600 bytes and says nothing (an MTU
# black hole): the RSA-4096 chain's IKE_AUTH in 1280-byte fragments never
# arrives; after three sends the initiator cuts it into 576-byte datagrams
# (RFC 7383 2.5.2), the responder answers in that size, the tunnel comes up.
pmtu_black_hole() {
	local t=pmtu_black_hole dropped
	mid_topo 4 $NET || { fail "$t.topology"; return; }
	qm nft add rule inet mid blocks meta l4proto udp meta length gt 600 \
		counter name dropped drop comment '"block-big"' ||
		{ fail "$t.block_rule"; return; }
	mid_zero
	start_pair "ike_transport=udp global.retransmit_timeout=200ms $(cert_keys a)" \
		"global.retransmit_timeout=200ms $(cert_keys b)"
	check "$t.initiator_went_down_to_576" wait_log "$work/a.log" \
		"unanswered after 3 sends: again in 544-byte fragments" 30
	check "$t.up" wait_log "$work/a.log" "Child SA up" 30
	dropped=$(mid_count dropped)
	echo "# $t: the router dropped ${dropped:-?} datagrams over 600 bytes"
	check "$t.big_datagrams_were_dropped" test "${dropped:-0}" -gt 0
	check "$t.ping_both_ways" pings
	[ "$nfail" = 0 ] || dump_logs
	stop_daemons
	mid_unblock
}

# A path whose link carries IPv4 datagrams of at most 1000 bytes, behind a
# router that says so (ICMP "fragmentation needed", as routers do for DF
# datagrams) and drops IP fragments (as many middleboxes do: the reason for
# RFC 7383).  The RSA-4096 chain's IKE_AUTH in 1280-byte fragments draws
# the ICMP; the kernel keeps the path MTU, and the initiator's first
# retransmission is cut to fit it, so the tunnel comes up without the
# blind search down to 576 bytes (pmtu_black_hole).
pmtu_icmp() {
	local t=pmtu_icmp icmp frags
	mid_topo 4 $NET || { fail "$t.topology"; return; }
	qm ip route replace "198.51.$NET.0/24" dev to-b src "$MB" mtu 1000 &&
		qm ip route replace "192.168.$NET.0/24" dev to-a src "$MA" mtu 1000 &&
		qm nft -f - <<'NFT' || { fail "$t.router_rules"; return; }
table ip pmtu {
	counter frag_needed { }
	counter fragments { }
	chain pre {
		type filter hook prerouting priority -450; policy accept;
		ip frag-off & 0x3fff != 0 counter name fragments drop
	}
	chain out {
		type filter hook output priority filter; policy accept;
		icmp type destination-unreachable icmp code frag-needed counter name frag_needed
	}
}
NFT
	start_pair "ike_transport=udp global.retransmit_timeout=200ms $(cert_keys a)" \
		"global.retransmit_timeout=200ms $(cert_keys b)"
	check "$t.request_fitted_to_the_path" wait_log "$work/a.log" \
		"carries IPv4 datagrams of 1000 bytes at most (ICMP)" 30
	check "$t.up" wait_log "$work/a.log" "Child SA up" 30
	check "$t.no_blind_search_to_576" \
		eval "! grep -q 'again in 544-byte fragments' '$work/a.log'"
	icmp=$(qm nft list counter ip pmtu frag_needed | awk '$1 == "packets" { print $2 }')
	frags=$(qm nft list counter ip pmtu fragments | awk '$1 == "packets" { print $2 }')
	echo "# $t: the router sent ${icmp:-?} ICMP frag-needed, dropped ${frags:-?} IP fragments"
	check "$t.router_sent_frag_needed" test "${icmp:-0}" -gt 0
	check "$t.ping_both_ways" pings
	[ "$nfail" = 0 ] || dump_logs
	stop_daemons
	qm nft delete table ip pmtu
}

# certificate keys for a (initiator) and b: the RSA-4096 chain of four
cert_keys() {
	echo "auth=pubkey cert=$pki/rsa4096/$1.pem key=$pki/rsa4096/$1.key ca=$pki/rsa4096/root.pem"
}

for m in esp4 esp6 xfrm_user dummy veth nf_tables nft_nat nft_masq nft_reject \
	nft_reject_inet nft_ct nf_conntrack_netlink; do
	modprobe -q $m 2>/dev/null
done
echo "TAP version 13"
echo "1..82"

# A PKI made on the host (make check-vm: IKETCP_TEST_PKI), copied: the
# daemon wants its keys private.
pki=$work/pki
if [ -n "${IKETCP_TEST_PKI:-}" ] && [ -r "$IKETCP_TEST_PKI/rsa4096/a.pem" ]; then
	cp -r "$IKETCP_TEST_PKI" "$pki" && chmod -R go-rwx "$pki"
elif ! sh "$here/certs/make-certs.sh" "$pki" > "$work/pki.out" 2>&1; then
	fail "pki # make-certs.sh failed"; sed 's/^/#   /' "$work/pki.out"
fi

cell hybrid_udp 4 - - udp ip "ike_transport=udp ike=$HYBRID" "ike=$HYBRID"
up_with cell.hybrid_udp $HYBRID
addke_ran cell.hybrid_udp
fragmented cell.hybrid_udp
cell hybrid_sep_udp 4 - - sep-udp ip "ike_transport=separate-udp ike=$HYBRID" "ike=$HYBRID"
up_with cell.hybrid_sep_udp $HYBRID
addke_ran cell.hybrid_sep_udp
cell hybrid_tcp 4 - - tcp tcp "ike_transport=tcp ike=$HYBRID" "ike=$HYBRID"
up_with cell.hybrid_tcp $HYBRID
check cell.hybrid_tcp.no_fragments_over_tcp eval "! grep -q 'sent as [0-9]* fragments' '$work/a.log' '$work/b.log'"
cell mlkem1024_tcp 4 - - tcp tcp "ike_transport=tcp ike=aes256gcm16-prfsha256-mlkem1024" \
	"ike=aes256gcm16-prfsha256-mlkem1024"
up_with cell.mlkem1024_tcp aes256gcm16-prfsha256-mlkem1024
# A four-certificate RSA-4096 chain: IKE_AUTH of about 6 KB each way
cell cert_chain_udp 4 - - udp ip "ike_transport=udp $(cert_keys a)" "$(cert_keys b)"
fragmented cell.cert_chain_udp
cell cert_chain_tcp 4 - - tcp tcp "ike_transport=tcp $(cert_keys a)" "$(cert_keys b)"
cell cert_chain_sep_udp 4 - - sep-udp ip "ike_transport=separate-udp $(cert_keys a)" "$(cert_keys b)"
pure_mlkem_over_udp_is_not_offered
pmtu_black_hole
pmtu_icmp
fragment_flood
rekeys_with_addke child_rekey_x25519_mlkem768 \
	"esp=aes256gcm16-x25519-mlkem768 rekey_time=5s" "esp=aes256gcm16-x25519-mlkem768" \
	"Child SA up (rekeyed).*x25519-mlkem768"
rekeys_with_addke ike_rekey_hybrid "ike=$HYBRID ike_rekey_time=5s" "ike=$HYBRID" \
	"IKE SA rekeyed"

echo "# $((ntest - nfail)) passed, $nfail failed"
[ $nfail = 0 ]
