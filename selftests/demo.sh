#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`, inside the VM: the module is loaded; show that it is
# registered, then carry IKE messages over TCP between two namespaces with
# the framing done in the kernel, and show the counters.
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
    os.system("/work/main/user/iketcpd module status 2>/dev/null || true")
    s.close()
PY
ip netns exec ike-r python3 /tmp/demo.py r &
ip netns exec ike-i python3 /tmp/demo.py i
wait

say "counters of namespace ike-r"
if [ -x "$repo/user/iketcpd" ]; then
	run ip netns exec ike-r "$repo/user/iketcpd" module status
fi
ip netns del ike-i
ip netns del ike-r
say "done"
