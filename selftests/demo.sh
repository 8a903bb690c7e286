#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`, inside the VM: the module is loaded; show that it is
# registered, then carry IKE messages over TCP between two namespaces with
# the framing done in the kernel, and show the counters.  Then a real
# tunnel: iketcpd on each side, separate transports (IKE_SA_INIT over UDP
# 4500, then IKE over TCP 4500, ESP over UDP 4500) with a hybrid x25519 +
# ML-KEM-768 proposal; ping crosses it and `iketcpd status` shows both
# sides, naming both transports.
#
#   ┌──────────── ns ike-i ───────────┐      ┌──────────── ns ike-r ───────────┐
#   │ initiator: connect, TCP_ULP     │ veth │ responder: accept, TCP_ULP      │
#   │ 192.0.2.1 ─────────────────────────────────────────── 192.0.2.2:4500    │
#   └─────────────────────────────────┘      └─────────────────────────────────┘
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { echo "+ $*"; "$@"; }

say "module registered"
run grep iketcp /proc/modules
run cat /proc/sys/net/ipv4/tcp_available_ulp
run genl ctrl get name iketcp | head -3

modprobe veth 2>/dev/null || true
say "two namespaces joined by veth"
run ip netns add ike-i
run ip netns add ike-r
run ip link add veth-i netns ike-i type veth peer name veth-r netns ike-r
run ip -n ike-i addr add 192.0.2.1/24 dev veth-i
run ip -n ike-r addr add 192.0.2.2/24 dev veth-r
for n in ike-i ike-r; do ip -n $n link set lo up; done
run ip -n ike-i link set veth-i up
run ip -n ike-r link set veth-r up

say "IKE messages over TCP 4500, one send() = one recv()"
cat > /tmp/demo.py <<'PY'
import os, socket, struct, sys, time
TCP_ULP = 31
def ike(n, size):
    # IKE header: SPIs, next payload, version 2.0, exchange IKE_SA_INIT,
    # flags, message ID, length (the whole message)
    hdr = struct.pack("!8s8sBBBBII", b"\x11" * 8, b"\0" * 8, 0, 0x20, 34,
                      0x08, n, size)
    return hdr + bytes([n % 256]) * (size - len(hdr))
role = sys.argv[1]
if role == "r":
    ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("192.0.2.2", 4500)); ls.listen(1)
    c, peer = ls.accept()
    c.setsockopt(socket.IPPROTO_TCP, TCP_ULP, b"iketcp")
    for i in range(3):
        m = c.recv(70000)
        print(f"responder: recv() got one IKE message of {len(m)} bytes, "
              f"message ID {struct.unpack('!I', m[20:24])[0]}")
        c.send(ike(i, len(m)))
    c.close()
else:
    for _ in range(50):
        try:
            s = socket.create_connection(("192.0.2.2", 4500)); break
        except OSError:
            time.sleep(0.1)
    s.setsockopt(socket.IPPROTO_TCP, TCP_ULP, b"iketcp")
    for i, size in enumerate((300, 1500, 60000)):
        s.send(ike(i, size))
        r = s.recv(70000)
        print(f"initiator: sent {size} bytes, got a {len(r)}-byte response")
    time.sleep(0.3)
    os.system(os.environ["IKETCPD"] + " module status 2>/dev/null || true")
    s.close()
PY
export IKETCPD="$repo/user/iketcpd"
ip netns exec ike-r python3 /tmp/demo.py r &
ip netns exec ike-i python3 /tmp/demo.py i
wait

say "counters of namespace ike-r"
if [ -x "$repo/user/iketcpd" ]; then
	run ip netns exec ike-r "$repo/user/iketcpd" module status
fi
ip netns del ike-i
ip netns del ike-r

say "a tunnel: iketcpd on each side"
ikd=$repo/user/iketcpd
work=$(mktemp -d)
run ip netns add tun-a
run ip netns add tun-b
run ip link add veth-a netns tun-a type veth peer name veth-b netns tun-b
for n in a b; do
	i=$([ $n = a ] && echo 1 || echo 2)
	ip -n tun-$n link set lo up
	ip -n tun-$n addr add 192.0.2.$i/24 dev veth-$n
	ip -n tun-$n link set veth-$n up
	ip -n tun-$n link add inner type dummy
	ip -n tun-$n addr add 10.0.$i.1/24 dev inner
	ip -n tun-$n link set inner up
	ip -n tun-$n route add 10.0.$((3 - i)).0/24 dev veth-$n
done
conf() {	# SIDE PEER_SIDE START
	local me=$1 peer=$2 i j
	i=$([ "$me" = a ] && echo 1 || echo 2)
	j=$((3 - i))
	cat > "$work/$me.conf" <<EOC
[global]
ctl_socket = $work/$me.ctl

[conn site-$peer]
local = 192.0.2.$i
remote = 192.0.2.$j
local_id = fqdn:gw-$me.example
remote_id = fqdn:gw-$peer.example
auth = psk
psk = a demonstration key, not for real use
ike = aes256gcm16-prfsha256-x25519-mlkem768
esp = aes256gcm16
local_ts = 10.0.$i.0/24
remote_ts = 10.0.$j.0/24
ike_transport = separate-udp
esp_transport = udp
start = $3
EOC
	chmod 600 "$work/$me.conf"
}
conf b a listen
conf a b initiate
run sed -n '/\[conn/,$p' "$work/a.conf"
ip netns exec tun-b "$ikd" run --config "$work/b.conf" > "$work/b.log" 2>&1 &
pidb=$!
sleep 1
ip netns exec tun-a "$ikd" run --config "$work/a.conf" > "$work/a.log" 2>&1 &
pida=$!
for _ in $(seq 1 60); do
	grep -q "Child SA up" "$work/a.log" && break
	sleep 0.5
done
grep -h "IKE SA up\|Child SA up\|additional key" "$work/a.log" | sed 's/^/a: /'
run ip netns exec tun-a ping -c 3 -i 0.3 -I 10.0.1.1 10.0.2.1
say "iketcpd status, side a"
ip netns exec tun-a "$ikd" status --socket "$work/a.ctl"
say "iketcpd status, side b"
ip netns exec tun-b "$ikd" status --socket "$work/b.ctl"
say "the kernel's states, side a (reqids of iketcpd's block)"
ip -n tun-a xfrm state | grep -E "^src|proto esp|reqid" | head -6
kill -TERM $pida $pidb
wait $pida $pidb 2>/dev/null || true
ip netns del tun-a
ip netns del tun-b
rm -rf "$work"
say "done"
