#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""peers-tables.py OUTDIR PART...: the tables of issue 19's comparison
with libreswan and strongSwan, on the host after bench.sh's VM run.

  peers     raw/peers.csv (peers.sh) -> peers.md and peers.csv: handshake
            time per pair and delay (median, p90 of the runs that came
            up), and iketcpd's ratio to the fastest other pair
  capacity  raw/capacity.csv (capacity.sh) -> capacity.md and
            capacity.csv: handshakes per second with one responder, its
            memory per tunnel, and iketcpd's ratios to the others

Targets (issue 19): iketcpd's handshake no slower than the fastest peer's
(ratio of medians <= 1); responder rate at least 1.5x the better peer's,
and less memory per tunnel than either.  A peer that did not bring every
tunnel up is reported as such, with what it held.
"""
import csv
import math
import os
import statistics
import sys

NAMES = {"iketcpd": "iketcpd", "pluto": "libreswan (pluto)",
         "charon": "strongSwan (charon)"}


def pct(xs, p):
    """Nearest-rank percentile p (0-100) of xs."""
    s = sorted(xs)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def meta_lines(out, part):
    path = os.path.join(out, "raw", f"{part}-meta.txt")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def write_csv(path, head, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(head)
        w.writerows(rows)


def peers(out):
    rows = read_csv(os.path.join(out, "raw", "peers.csv"))
    delays = sorted({int(r["delay"]) for r in rows})
    kinds = [k for k in NAMES if any(r["kind"] == k for r in rows)]
    md = ["## Handshake time: iketcpd, libreswan and strongSwan, each against itself (issue 19)",
          "",
          "IKE SA plus first Child SA, PSK, aes256gcm16-prfsha256-x25519, ESP aes256gcm16, "
          "two namespaces over a veth pair, netem delay on both ends.  Timed from outside "
          "the daemons (selftests/bench/hswatch.c): from the first IKE packet leaving the "
          "initiator to the second keyed ESP state its kernel announces.  A run counts when "
          "the responder's kernel holds its two states too.",
          ""]
    md += [f"- {m}" for m in meta_lines(out, "peers")]
    busy = sum(1 for r in rows if r.get("host_busy") == "1")
    if busy:
        md.append(f"- {busy} counted runs overlapped another VM on the host (kept after the retries)")
    md += ["", "| delay each way | daemon pair | up | median ms | p90 ms | min ms | max ms |",
           "|---:|---|---:|---:|---:|---:|---:|"]
    stats, table = {}, []
    for d in delays:
        for k in kinds:
            rs = [r for r in rows if int(r["delay"]) == d and r["kind"] == k]
            ms = [float(r["ms"]) for r in rs if r["up"] == "1" and r["ms"]]
            if not ms:
                md.append(f"| {d} ms | {NAMES[k]} | 0/{len(rs)} | - | - | - | - |")
                continue
            st = (statistics.median(ms), pct(ms, 90), min(ms), max(ms))
            stats[(d, k)] = st
            md.append(f"| {d} ms | {NAMES[k]} | {len(ms)}/{len(rs)} | {st[0]:.1f} | "
                      f"{st[1]:.1f} | {st[2]:.1f} | {st[3]:.1f} |")
            table.append([d, k, len(ms), len(rs)] + [f"{x:.3f}" for x in st])
    write_csv(os.path.join(out, "peers.csv"),
              ["delay_ms", "kind", "up", "runs", "median_ms", "p90_ms", "min_ms", "max_ms"], table)
    md += ["", "iketcpd against the fastest other pair (ratio < 1: iketcpd faster; "
           "target: median ratio <= 1):", "",
           "| delay each way | fastest other (median) | iketcpd / it, median | iketcpd / it, p90 | verdict |",
           "|---:|---|---:|---:|---|"]
    for d in delays:
        others = [(stats[(d, k)], k) for k in kinds if k != "iketcpd" and (d, k) in stats]
        if (d, "iketcpd") not in stats or not others:
            md.append(f"| {d} ms | - | - | - | not measured |")
            continue
        best, bk = min(others, key=lambda o: o[0][0])
        me = stats[(d, "iketcpd")]
        rm, r90 = me[0] / best[0], me[1] / best[1]
        verdict = "met" if rm <= 1.0 else "missed"
        md.append(f"| {d} ms | {NAMES[bk]} ({best[0]:.1f} ms) | {rm:.2f} | {r90:.2f} | {verdict} |")
    with open(os.path.join(out, "peers.md"), "w") as f:
        f.write("\n".join(md) + "\n")


def num(r, key):
    try:
        return float(r[key])
    except (KeyError, TypeError, ValueError):
        return None


def capacity(out):
    rows = read_csv(os.path.join(out, "raw", "capacity.csv"))
    kinds = [k for k in NAMES if any(r["kind"] == k for r in rows)]
    meta = meta_lines(out, "capacity")
    tunnels = next((int(m.split()[1]) for m in meta if m.startswith("load: ")), 0)
    md = ["## Responder capacity: iketcpd, strongSwan and libreswan as the responder (issue 19)",
          "",
          "ikeload (selftests/bench/ikeload.c, iketcpd's initiator code) keeps handshakes in "
          "flight against one responder, each from its own address with its own IKE SPIs "
          "(PSK, x25519, IKE SA plus Child SA, AUTH checked), until every peer is up.  Rate: "
          "handshakes up / seconds from the first send to the last one up.  Memory, with "
          "every tunnel still up: the responder's VmRSS growth and the kernel's unreclaimable "
          "slab growth (XFRM states and policies), each divided by the tunnels up.  "
          "Responder CPU: its user + system time during the load (all threads) per tunnel up; "
          "generator CPU busy: the generator's CPU time over the load's duration (near 100 %: "
          "the generator, not the responder, set the pace).  Medians over the repetitions.", ""]
    md += [f"- {m}" for m in meta if not m.startswith("failures: ")]
    busy = sum(1 for r in rows if r.get("host_busy") == "1")
    if busy:
        md.append(f"- {busy} repetitions overlapped another VM on the host (kept after the retries)")
    md += ["", "| responder | reps | up (min of reps) | failed | retransmits | rate /s | "
           "p50 ms | p90 ms | responder CPU ms/handshake | generator CPU busy | kernel states | "
           "VmRSS kB/tunnel | slab kB/tunnel | kB/tunnel both |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    agg, table = {}, []
    for k in kinds:
        rs = [r for r in rows if r["kind"] == k]
        ups = [num(r, "up") or 0 for r in rs]
        ok = [r for r in rs if (num(r, "up") or 0) > 0 and num(r, "rate") is not None]
        if not ok:
            md.append(f"| {NAMES[k]} | {len(rs)} | 0 | {tunnels} | - | - | - | - | - | - | - | - | - | - |")
            agg[k] = None
            continue

        def med(key, scale=None):
            xs = []
            for r in ok:
                v = num(r, key)
                if v is None:
                    continue
                xs.append(v / scale(r) if scale else v)
            return statistics.median(xs) if xs else float("nan")
        per = lambda r: max(1.0, num(r, "up"))
        rss = statistics.median([(num(r, "rss1_kb") - num(r, "rss0_kb")) / per(r) for r in ok])
        slab = statistics.median([(num(r, "slab1_kb") - num(r, "slab0_kb")) / per(r) for r in ok])
        cpu = med("cpu_ms", per)
        gbusy = med("gen_cpu_ms", lambda r: 10 * max(0.001, num(r, "secs")))
        a = {"rate": med("rate"), "rss": rss, "slab": slab, "up": min(ups),
             "all": min(ups) >= tunnels > 0, "cpu": cpu}
        agg[k] = a
        md.append(f"| {NAMES[k]} | {len(rs)} | {min(ups):.0f}/{tunnels} | {med('failed'):.0f} | "
                  f"{med('retransmits'):.0f} | {a['rate']:.1f} | {med('p50_ms'):.0f} | "
                  f"{med('p90_ms'):.0f} | {cpu:.1f} | {gbusy:.0f} % | {med('states'):.0f} | "
                  f"{rss:.2f} | {slab:.2f} | "
                  f"{rss + slab:.2f} |")
        table.append([k, len(rs), f"{min(ups):.0f}", f"{a['rate']:.2f}", f"{cpu:.2f}",
                      f"{rss:.3f}", f"{slab:.3f}"])
    write_csv(os.path.join(out, "capacity.csv"),
              ["kind", "reps", "min_up", "rate_per_s", "cpu_ms_per_handshake", "rss_kb_per_tunnel",
               "slab_kb_per_tunnel"], table)
    md += ["", "iketcpd against the others (targets: rate >= 1.5x the better peer's; less "
           "memory per tunnel than either):", ""]
    me = agg.get("iketcpd")
    others = {k: a for k, a in agg.items() if k != "iketcpd"}
    for k, a in others.items():
        if a is None:
            md.append(f"- {NAMES[k]}: brought no tunnel up under this load; no rate or memory to compare.")
        elif not a["all"]:
            md.append(f"- {NAMES[k]}: brought only {a['up']:.0f} of {tunnels} tunnels up in a "
                      "repetition (see the failures below); its figures are for what it held.")
    usable = {k: a for k, a in others.items() if a}
    if me and usable:
        bk = max(usable, key=lambda k: usable[k]["rate"])
        r = me["rate"] / usable[bk]["rate"]
        md.append(f"- Rate: iketcpd {me['rate']:.1f}/s, the better peer {NAMES[bk]} "
                  f"{usable[bk]['rate']:.1f}/s: **{r:.2f}x** (target 1.5x): "
                  f"{'met' if r >= 1.5 else 'missed'}.")
        cb = min(usable, key=lambda k: usable[k]["cpu"])
        if me["cpu"] > 0 and usable[cb]["cpu"] > 0:
            md.append(f"- Responder CPU per handshake: iketcpd {me['cpu']:.1f} ms, the thriftiest "
                      f"peer {NAMES[cb]} {usable[cb]['cpu']:.1f} ms: iketcpd does "
                      f"**{usable[cb]['cpu'] / me['cpu']:.2f}x** its handshakes per CPU second.")
        for key, what in (("rss", "VmRSS"), ("slab", "kernel slab")):
            worse = [k for k in usable if me[key] >= usable[k][key]]
            ratios = ", ".join(f"{NAMES[k]} {usable[k][key]:.2f} kB "
                               f"({me[key] / usable[k][key]:.2f}x)" if usable[k][key] > 0 else
                               f"{NAMES[k]} {usable[k][key]:.2f} kB"
                               for k in usable)
            md.append(f"- {what} per tunnel: iketcpd {me[key]:.2f} kB; {ratios}: "
                      f"{'less than either: met' if not worse else 'not less than ' + ', '.join(NAMES[k] for k in worse) + ': missed'}.")
        tot = {k: a["rss"] + a["slab"] for k, a in usable.items()}
        mt = me["rss"] + me["slab"]
        md.append(f"- Both together: iketcpd {mt:.2f} kB per tunnel; "
                  + ", ".join(f"{NAMES[k]} {v:.2f} kB" for k, v in tot.items()) + ": "
                  + ("met." if all(mt < v for v in tot.values()) else "missed."))
    fails = [m[len("failures: "):] for m in meta if m.startswith("failures: ")]
    if fails:
        md += ["", "Handshakes that failed (the generator's reasons, first few per repetition):", ""]
        md += [f"- {f}" for f in fails]
    md += ["", "Every repetition:", "",
           "| responder | rep | up | failed | retransmits | cookies | secs | rate /s | kernel states | "
           "SA policies in | VmRSS kB before | after | slab kB before | after | responder CPU ms | "
           "generator CPU ms |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        md.append("| " + " | ".join([NAMES.get(r["kind"], r["kind"])] + [
            r.get(c) or "-" for c in ("rep", "up", "failed", "retransmits", "cookies", "secs", "rate",
                                  "states", "policies", "rss0_kb", "rss1_kb", "slab0_kb",
                                  "slab1_kb", "cpu_ms", "gen_cpu_ms")]) + " |")
    with open(os.path.join(out, "capacity.md"), "w") as f:
        f.write("\n".join(md) + "\n")


def main():
    out = sys.argv[1]
    for part in sys.argv[2:]:
        {"peers": peers, "capacity": capacity}[part](out)


if __name__ == "__main__":
    main()
