#!/usr/bin/env python3
"""1M keys, side by side: etcd-oxide and etcd 3.4.23 filled with the same keys.

Starts one member of each (side_by_side.Cluster: free 127.0.0.1 ports, fresh temp dirs, both
up at once), then for each, back to back (ours first, then etcd; --etcd-first to swap):

1. fill: our `etcd benchmark --conns 100 --clients 1000 put --key-size 8 --val-size 256
   --total N --sequential-keys --key-space-size N` (issue 10's etcd benchmark flags); the
   put rate is the summary's Requests/sec;
2. RSS (VmRSS, RssAnon) of the member after the fill, and the data dir size (`du`, the WAL
   and the state database separately);
3. restart: SIGKILL, start again with the same flags, and time from the start to the first
   answered linearizable range (`POST /v3/kv/range`, the JSON gateway both serve), then RSS.

Targets (issue 10): restart serving <= 2 s, RSS <= 0.5x etcd's, fill rate >= 1.5x, data dir
<= etcd's.

    bench/million_keys.py [--keys 1000000] [--bin target/release/etcd] [--out FILE]

Writes a markdown report to stdout and to bench/million-keys-<date>.md (or --out).
"""
import argparse
import base64
import datetime
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from side_by_side import Cluster, ETCD, REPO, parse, proc_status as status  # noqa: E402

MIB = 1024 * 1024


def du(path):
    """Bytes used on disk under `path` (du -sb counts apparent sizes; -s --block-size=1
    counts allocated blocks, which is what the disk holds)."""
    out = subprocess.run(["du", "-s", "--block-size=1", path], capture_output=True, text=True).stdout
    return int(out.split()[0]) if out else 0


def fill(binary, cluster, keys):
    args = ["timeout", "-s", "KILL", "3600", binary, "benchmark", f"--endpoints={cluster.endpoints()}",
            "--conns", "100", "--clients", "1000", "put", "--key-size", "8", "--val-size", "256",
            "--total", str(keys), "--sequential-keys", "--key-space-size", str(keys)]
    t = time.time()
    res = subprocess.run(args, capture_output=True, text=True)
    secs = time.time() - t
    if res.returncode != 0:
        sys.exit(f"{cluster.label}: fill failed ({res.returncode}):\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
    rps, p50, p99, errors = parse(res.stdout)
    return rps, p99, errors, secs


def linearizable_get(port):
    body = json.dumps({"key": base64.b64encode(b"foo").decode()}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v3/kv/range", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=2) as r:
        return r.status == 200 and b"header" in r.read()


def restart(cluster):
    """Kill -9, start again; seconds from the start to the first answered linearizable get."""
    cluster.kill()
    t = time.time()
    cluster.start_again()
    port = cluster.clients[0]
    while True:
        try:
            if linearizable_get(port):
                return time.time() - t
        except OSError:
            pass
        if time.time() - t > 600:
            sys.exit(f"{cluster.label}: not serving 600 s after restart; logs in {cluster.dir}")
        time.sleep(0.01)


def sizes(cluster):
    member = os.path.join(cluster.dir, f"{cluster.label}0", "member")
    return du(os.path.join(cluster.dir, f"{cluster.label}0")), du(os.path.join(member, "wal")), \
        du(os.path.join(member, "snap"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--bin", default=os.path.join(REPO, "target/release/etcd"))
    ap.add_argument("--etcd-first", action="store_true")
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    for f in (ETCD, a.bin):
        if not os.path.exists(f):
            sys.exit(f"{f} is missing")
    load_before = os.getloadavg()
    started = datetime.datetime.now(datetime.timezone.utc)
    res = {}
    clusters = {}
    try:
        clusters["etcd"] = Cluster("etcd", ETCD, 1, 7200)
        clusters["ours"] = Cluster("ours", a.bin, 1, 7200)
        order = ["etcd", "ours"] if a.etcd_first else ["ours", "etcd"]
        for side in order:
            c = clusters[side]
            rps, p99, errors, secs = fill(a.bin, c, a.keys)
            time.sleep(2)
            st = status(c.member_pids()[0])
            total, wal, snap = sizes(c)
            print(f"{side}: fill {rps:.0f} put/s ({secs:.0f} s, p99 {p99 * 1000:.1f} ms, errors {errors}); "
                  f"RSS {st['VmRSS'] / MIB:.0f} MiB (anon {st['RssAnon'] / MIB:.0f}); "
                  f"data dir {total / MIB:.0f} MiB (wal {wal / MIB:.0f}, snap {snap / MIB:.0f})", file=sys.stderr)
            res[side] = dict(rps=rps, p99=p99, errors=errors, secs=secs, rss=st["VmRSS"], anon=st["RssAnon"],
                             total=total, wal=wal, snap=snap, load=os.getloadavg()[0])
        for side in order:
            c = clusters[side]
            t = restart(c)
            time.sleep(1)
            st = status(c.member_pids()[0])
            res[side].update(restart=t, rss_restart=st["VmRSS"], anon_restart=st["RssAnon"])
            print(f"{side}: restart serving a linearizable get in {t:.2f} s; RSS then "
                  f"{st['VmRSS'] / MIB:.0f} MiB (anon {st['RssAnon'] / MIB:.0f})", file=sys.stderr)
    finally:
        for c in clusters.values():
            c.stop()
    finished = datetime.datetime.now(datetime.timezone.utc)
    o, e = res["ours"], res["etcd"]
    r = lambda x, y: f"{x / y:.2f}x" if y else "n/a"
    verdict = lambda ok: "met" if ok else "**missed**"
    lines = [
        f"# {a.keys:,} keys side by side: etcd-oxide vs etcd 3.4.23, 1 member",
        "",
        f"{started:%Y-%m-%d %H:%M} - {finished:%H:%M} UTC; {os.cpu_count()} CPUs; load average before "
        f"{load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f} (1-min load after each fill: "
        f"ours {o['load']:.2f}, etcd {e['load']:.2f}; the machine is shared, so rates are noisy).",
        f"Command: `bench/million_keys.py --keys {a.keys}{' --etcd-first' if a.etcd_first else ''}`; our binary "
        f"`{os.path.relpath(a.bin, REPO) if a.bin.startswith(REPO) else a.bin}`; etcd `{ETCD}`. Fill: our `etcd benchmark --conns 100 --clients 1000 put "
        f"--key-size 8 --val-size 256 --total {a.keys} --sequential-keys --key-space-size {a.keys}` against each. "
        "Data dir: allocated bytes (`du`). Restart: SIGKILL, start, time to the first answered linearizable "
        "`POST /v3/kv/range`.",
        "",
        "| figure | ours | etcd | ratio ours/etcd | target | |",
        "|---|---|---|---|---|---|",
        f"| put rate while filling (req/s) | {o['rps']:.0f} | {e['rps']:.0f} | {r(o['rps'], e['rps'])} | >= 1.5x | "
        f"{verdict(o['rps'] >= 1.5 * e['rps'])} |",
        f"| fill p99 (ms) | {o['p99'] * 1000:.1f} | {e['p99'] * 1000:.1f} | {r(o['p99'], e['p99'])} | | |",
        f"| fill errors | {o['errors']} | {e['errors']} | | 0 | |",
        f"| RSS after fill (MiB) | {o['rss'] / MIB:.0f} | {e['rss'] / MIB:.0f} | {r(o['rss'], e['rss'])} | <= 0.5x | "
        f"{verdict(o['rss'] <= 0.5 * e['rss'])} |",
        f"| of which anon (MiB) | {o['anon'] / MIB:.0f} | {e['anon'] / MIB:.0f} | {r(o['anon'], e['anon'])} | | |",
        f"| data dir (MiB) | {o['total'] / MIB:.0f} | {e['total'] / MIB:.0f} | {r(o['total'], e['total'])} | <= 1.0x | "
        f"{verdict(o['total'] <= e['total'])} |",
        f"| of which WAL (MiB) | {o['wal'] / MIB:.0f} | {e['wal'] / MIB:.0f} | {r(o['wal'], e['wal'])} | | |",
        f"| of which snap/db (MiB) | {o['snap'] / MIB:.0f} | {e['snap'] / MIB:.0f} | {r(o['snap'], e['snap'])} | | |",
        f"| restart to linearizable get (s) | {o['restart']:.2f} | {e['restart']:.2f} | {r(o['restart'], e['restart'])} "
        f"| <= 2 s | {verdict(o['restart'] <= 2.0)} |",
        f"| RSS 1 s after restart (MiB) | {o['rss_restart'] / MIB:.0f} | {e['rss_restart'] / MIB:.0f} | "
        f"{r(o['rss_restart'], e['rss_restart'])} | | |",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    out = a.out or os.path.join(REPO, "bench", f"million-keys-{started:%Y-%m-%d}.md")
    with open(out, "w") as f:
        f.write(text)
    print(f"written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
