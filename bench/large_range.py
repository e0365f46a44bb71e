#!/usr/bin/env python3
"""Large range, server memory: ours and etcd 3.4.23 serving one range over ~1 GiB of values.

For each server (one member each, started with side_by_side.Cluster on free ports, in fresh
temp dirs): put --keys keys of --value-size bytes (default 1024 x 1 MiB = 1 GiB; max request
size 1.5 MiB allows it) with our `etcd benchmark put --sequential-keys`, then range them all in
ONE request with the official etcdctl (`get --from-key '' -w protobuf`, its client accepts
2 GiB messages; the protobuf writer prints the marshalled RangeResponse, so its byte count is
the response size). The server's memory is read from /proc/<pid>/status before and after,
and sampled every 10 ms during the range:

- anon: RssAnon, the heap: copies of the result (decoded kvs, encode buffers) show here;
- file: RssFile, the data file's pages mapped by LMDB (ours) or bbolt (etcd): page cache the
  kernel can drop, not a copy;
- HWM: VmHWM (peak RSS, anon + file), reset before the range via /proc/<pid>/clear_refs.

Target (issue 10): anon growth during the range <= 2x the response size.

    bench/large_range.py [--keys 1024] [--value-size 1048576] [--rounds 2] [--bin target/release/etcd]

Writes a markdown report to stdout and to bench/large-range-<date>.md.
"""
import argparse
import datetime
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from side_by_side import Cluster, ETCD, REPO, proc_status as status  # noqa: E402

ETCDCTL = "/usr/bin/etcdctl"
MIB = 1024 * 1024


class Sampler(threading.Thread):
    """Samples RssAnon and VmRSS of `pid` every 10 ms until stopped; keeps the peaks."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.stop_flag, self.peak_anon, self.peak_rss = pid, False, 0, 0

    def run(self):
        while not self.stop_flag:
            try:
                s = status(self.pid)
            except OSError:
                return
            self.peak_anon = max(self.peak_anon, s["RssAnon"])
            self.peak_rss = max(self.peak_rss, s["VmRSS"])
            time.sleep(0.01)


def fill(binary, cluster, keys, value_size):
    args = ["timeout", "-s", "KILL", "900", binary, "benchmark", f"--endpoints={cluster.endpoints()}",
            "--conns", "2", "--clients", "4", "put", "--key-size", "8", "--val-size", str(value_size),
            "--total", str(keys), "--sequential-keys", "--key-space-size", str(keys)]
    t = time.time()
    res = subprocess.run(args, capture_output=True, text=True)
    if res.returncode != 0 or "Error distribution" in res.stdout:
        sys.exit(f"{cluster.label}: fill failed ({res.returncode}):\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}")
    return time.time() - t


def range_all(cluster, pid):
    """One range over every key; returns (response bytes, seconds, before, after, peaks)."""
    time.sleep(1)
    before = status(pid)
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM to the current RSS
    sampler = Sampler(pid)
    sampler.start()
    t = time.time()
    p = subprocess.Popen(["timeout", "-s", "KILL", "600", ETCDCTL, f"--endpoints={cluster.endpoints()}",
                          "--command-timeout=300s", "get", "--from-key", "", "-w", "protobuf"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "ETCDCTL_API": "3"})
    size = 0
    while True:
        chunk = p.stdout.read(1 << 20)
        if not chunk:
            break
        size += len(chunk)
    err = p.stderr.read()
    rc = p.wait()
    secs = time.time() - t
    time.sleep(0.2)
    sampler.stop_flag = True
    sampler.join()
    after = status(pid)
    if rc != 0:
        sys.exit(f"{cluster.label}: etcdctl get failed ({rc}): {err[-2000:]!r}")
    return size, secs, before, after, sampler


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keys", type=int, default=1024)
    ap.add_argument("--value-size", type=int, default=MIB)
    ap.add_argument("--rounds", type=int, default=2, help="ranges per server (after one fill)")
    ap.add_argument("--bin", default=os.path.join(REPO, "target/release/etcd"))
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    for f in (ETCD, ETCDCTL, a.bin):
        if not os.path.exists(f):
            sys.exit(f"{f} is missing")
    load_before = os.getloadavg()
    started = datetime.datetime.now(datetime.timezone.utc)
    rows = []
    for label, binary in (("ours", a.bin), ("etcd", ETCD)):
        c = Cluster(label, binary, 1, 3600)
        try:
            pid = c.member_pids()[0]
            secs = fill(a.bin, c, a.keys, a.value_size)
            print(f"{label}: filled {a.keys} x {a.value_size} B in {secs:.1f} s", file=sys.stderr)
            for r in range(a.rounds):
                size, rs, before, after, smp = range_all(c, pid)
                row = dict(side=label, round=r + 1, size=size, secs=rs,
                           anon_before=before["RssAnon"], anon_peak=smp.peak_anon, anon_after=after["RssAnon"],
                           file_before=before["RssFile"], file_after=after["RssFile"],
                           rss_before=before["VmRSS"], hwm=after["VmHWM"])
                rows.append(row)
                print(f"{label} round {r + 1}: response {size / MIB:.0f} MiB in {rs:.1f} s; anon "
                      f"{before['RssAnon'] / MIB:.0f} -> peak {smp.peak_anon / MIB:.0f} -> {after['RssAnon'] / MIB:.0f} MiB; "
                      f"file {before['RssFile'] / MIB:.0f} -> {after['RssFile'] / MIB:.0f} MiB; "
                      f"HWM {after['VmHWM'] / MIB:.0f} MiB (RSS before {before['VmRSS'] / MIB:.0f})", file=sys.stderr)
        finally:
            c.stop()
    finished = datetime.datetime.now(datetime.timezone.utc)
    lines = [
        "# Large range: server memory, etcd-oxide vs etcd 3.4.23",
        "",
        f"{started:%Y-%m-%d %H:%M} - {finished:%H:%M} UTC; {os.cpu_count()} CPUs; load average before "
        f"{load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}.",
        f"Command: `bench/large_range.py --keys {a.keys} --value-size {a.value_size} --rounds {a.rounds}`; "
        f"our binary `{os.path.relpath(a.bin, REPO) if a.bin.startswith(REPO) else a.bin}`. One member each; {a.keys} keys of {a.value_size} B put with "
        "`etcd benchmark put --sequential-keys`, then ONE range over all keys by the official etcdctl "
        "(`get --from-key '' -w protobuf`: the response's bytes). Memory of the server process from "
        "/proc/<pid>/status: anon = RssAnon (heap: copies of the result), file = RssFile (mapped data "
        "file pages, reclaimable), HWM = VmHWM reset before the range. Growth ratios are over the response size.",
        "",
        "| server | round | response MiB | seconds | anon before / peak / after MiB | anon peak growth | "
        "x response | file before / after MiB | HWM growth MiB | HWM growth x response |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        g = r["anon_peak"] - r["anon_before"]
        h = r["hwm"] - r["rss_before"]
        lines.append(
            f"| {r['side']} | {r['round']} | {r['size'] / MIB:.0f} | {r['secs']:.1f} | "
            f"{r['anon_before'] / MIB:.0f} / {r['anon_peak'] / MIB:.0f} / {r['anon_after'] / MIB:.0f} | "
            f"{g / MIB:.0f} MiB | {g / r['size']:.2f}x | {r['file_before'] / MIB:.0f} / {r['file_after'] / MIB:.0f} | "
            f"{h / MIB:.0f} | {h / r['size']:.2f}x |")
    ours = [r for r in rows if r["side"] == "ours"]
    etcd = [r for r in rows if r["side"] == "etcd"]
    if ours and etcd:
        og = max(r["anon_peak"] - r["anon_before"] for r in ours)
        eg = max(r["anon_peak"] - r["anon_before"] for r in etcd)
        lines += ["", f"Worst anon peak growth: ours {og / MIB:.0f} MiB, etcd {eg / MIB:.0f} MiB "
                  f"(ratio ours/etcd {og / eg:.2f}x); target: ours <= 2x the response size "
                  f"({'met' if og <= 2 * ours[0]['size'] else 'MISSED'})."]
    text = "\n".join(lines) + "\n"
    print(text)
    out = a.out or os.path.join(REPO, "bench", f"large-range-{started:%Y-%m-%d}.md")
    with open(out, "w") as f:
        f.write(text)
    print(f"written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
