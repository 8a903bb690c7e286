#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Instructions (and calls) per IKE round trip per kernel function, from a
profile.sh directory; given a second directory, the difference.

    profile-report.py DIR [BASEDIR] [ROWS]

A call is an execution of the block at a function's first byte.  Per round
trip means: the window's instructions over the instructions one round trip
takes at the rate ikebench-rr reported (2^4 ns of guest time each), so the
window's setup and warm-up are spread over the round trips.
"""
import bisect
import collections
import sys

NS_PER_INSN = 16  # profile.sh runs -icount shift=4


def load(d):
    syms = []
    with open(d + '/kallsyms') as f:
        for line in f:
            p = line.split()
            if len(p) >= 3 and p[1] in 'tTwW':
                name = p[2] + (' ' + p[3] if len(p) > 3 else '')
                syms.append((int(p[0], 16), name))
    syms.sort()
    addrs = [a for a, _ in syms]
    starts = dict(syms)
    with open(d + '/rr.txt') as f:
        rate = float(f.read().split()[4])
    per_rt = 1e9 / NS_PER_INSN / rate
    insns, calls, total = collections.Counter(), collections.Counter(), 0
    with open(d + '/tb.out') as f:
        for line in f:
            vaddr, execs, n = line.split()
            vaddr, execs, n = int(vaddr, 16), int(execs), int(n)
            total += n
            if vaddr < 0xffff800000000000:
                insns['[user space]'] += n
                continue
            i = bisect.bisect_right(addrs, vaddr) - 1
            name = syms[i][1] if i >= 0 else '[unknown]'
            insns[name] += n
            if starts.get(vaddr) == name:
                calls[name] += execs
    rts = total / per_rt
    return ({k: v / rts for k, v in insns.items()},
            {k: v / rts for k, v in calls.items()}, per_rt)


def main():
    args = sys.argv[1:]
    if not args or args[0] in ('-h', '--help'):
        print(__doc__)
        return 0 if args else 2
    rows = int(args[2]) if len(args) > 2 else 50
    a, ca, pa = load(args[0])
    if len(args) == 1:
        print('instructions per round trip: %.0f' % pa)
        print('%9s %6s  %s' % ('insns', 'calls', 'function'))
        for k, v in sorted(a.items(), key=lambda x: -x[1])[:rows]:
            print('%9.0f %6.2f  %s' % (v, ca.get(k, 0), k))
        return 0
    b, cb, pb = load(args[1])
    print('instructions per round trip: %.0f vs %.0f, difference %+.0f (%.3fx)'
          % (pa, pb, pa - pb, pb / pa))
    print('%9s %9s %8s %6s %6s  %s' % ('insns', 'base', 'diff', 'calls',
                                       'base', 'function'))
    keys = sorted(set(a) | set(b), key=lambda k: -abs(a.get(k, 0) - b.get(k, 0)))
    for k in keys[:rows]:
        print('%9.0f %9.0f %+8.0f %6.2f %6.2f  %s' % (
            a.get(k, 0), b.get(k, 0), a.get(k, 0) - b.get(k, 0),
            ca.get(k, 0), cb.get(k, 0), k))
    return 0


if __name__ == '__main__':
    sys.exit(main())
