#!/usr/bin/env python3
"""Side-by-side benchmark: etcd 3.4.23 (/usr/bin/etcd) and etcd-oxide, both up at once.

Starts one cluster of each (1 member, or 3 with --members 3) on free 127.0.0.1 ports in
fresh temp dirs, then runs every scenario on both back to back, alternating which goes first,
for --rounds rounds, always with OUR `etcd benchmark` as the load generator. Writes a
markdown table (ours/etcd ratios of the medians: req/s, p50, p99; each side's round-to-round
spread) to stdout and to bench/results-<date>.md (-3members suffix for 3 members).

    bench/side_by_side.py [--rounds 3] [--members 1|3] [--scale 1.0] [--only put-1,range-s]

--scale multiplies every request total (1.0 is the small default set, about 2-4 minutes on
1 member; use 10 for steadier figures). Every child runs under `timeout`; servers are killed
by PID at exit. The release binary is built with `cargo build --release --locked` if missing
(--bin to use another).
"""
import argparse
import datetime
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ETCD = "/usr/bin/etcd"

# name, description, global flags, command + flags (total appended), base total
SCENARIOS = [
    ("put-1", "put, 1 client (sequential)", "--conns 1 --clients 1",
     "put --key-size 8 --val-size 256 --key-space-size 100000", 500),
    ("put-10", "put, 10 clients", "--conns 1 --clients 10",
     "put --key-size 8 --val-size 256 --key-space-size 100000", 2000),
    ("put-100", "put, 100 clients / 10 conns", "--conns 10 --clients 100",
     "put --key-size 8 --val-size 256 --key-space-size 100000", 5000),
    ("put-1000", "put, 1000 clients / 100 conns", "--conns 100 --clients 1000",
     "put --key-size 8 --val-size 256 --key-space-size 100000", 10000),
    # etcd benchmark's default --key-space-size 1: every put rewrites one key, whose history
    # grows over the rounds (no compaction), as a leader-election key or a counter does.
    ("put-hot-1", "put, one hot key, 1 client", "--conns 1 --clients 1",
     "put --key-size 8 --val-size 256 --key-space-size 1", 500),
    ("put-hot-100", "put, one hot key, 100 clients / 10 conns", "--conns 10 --clients 100",
     "put --key-size 8 --val-size 256 --key-space-size 1", 5000),
    ("range-l", "linearizable range, 1000 clients / 100 conns", "--conns 100 --clients 1000",
     "range foo --consistency l", 10000),
    ("range-s", "serializable range, 1000 clients / 100 conns", "--conns 100 --clients 1000",
     "range foo --consistency s", 10000),
    ("txn-put", "txn-put, 100 clients / 10 conns", "--conns 10 --clients 100",
     "txn-put --key-size 8 --val-size 256 --key-space-size 100000", 5000),
    ("lease-keepalive", "lease keep-alive, 100 clients / 10 conns", "--conns 10 --clients 100",
     "lease-keepalive", 5000),
    ("watch-latency", "watch latency, 100 watchers, 100 puts/s", "--conns 10 --clients 10",
     "watch-latency --streams 10 --watchers-per-stream 10 --put-rate 100", 200),
]


def proc_status(pid):
    """VmRSS, RssAnon, RssFile and VmHWM of process `pid` in bytes (from /proc/PID/status)."""
    vals = {}
    for line in open(f"/proc/{pid}/status"):
        k, _, v = line.partition(":")
        if k in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            vals[k] = int(v.split()[0]) * 1024
    return vals


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, label, binary, members, lifetime, extra=()):
        self.label = label
        self.dir = tempfile.mkdtemp(prefix=f"side-by-side-{label}-")
        self.procs = []
        self.args = []
        names = [f"{label}{i}" for i in range(members)]
        peers = [free_port() for _ in names]
        self.clients = [free_port() for _ in names]
        initial = ",".join(f"{n}=http://127.0.0.1:{p}" for n, p in zip(names, peers))
        for n, p, c in zip(names, peers, self.clients):
            args = ["timeout", "-s", "KILL", str(lifetime), binary,
                    f"--name={n}", f"--data-dir={self.dir}/{n}",
                    f"--listen-client-urls=http://127.0.0.1:{c}",
                    f"--advertise-client-urls=http://127.0.0.1:{c}",
                    f"--listen-peer-urls=http://127.0.0.1:{p}",
                    f"--initial-advertise-peer-urls=http://127.0.0.1:{p}",
                    f"--initial-cluster={initial}", "--initial-cluster-token=side-by-side",
                    "--initial-cluster-state=new", *extra]
            self.args.append(args)
            log = open(f"{self.dir}/{n}.log", "ab")
            self.procs.append(subprocess.Popen(args, stdout=log, stderr=log))
        self.wait_healthy(time.time() + 60)

    def wait_healthy(self, deadline):
        """Waits until every member's /health says true; exits the script at `deadline`."""
        label = self.label
        for c in self.clients:
            while True:
                try:
                    body = urllib.request.urlopen(f"http://127.0.0.1:{c}/health", timeout=2).read()
                    if b'"true"' in body:
                        break
                except OSError:
                    pass
                if time.time() > deadline:
                    self.stop()
                    sys.exit(f"{label}: member on port {c} not healthy within 60 s; logs in {self.dir}")
                time.sleep(0.2)

    def kill(self):
        """SIGKILLs the member processes (by PID) and reaps their wrappers; data dirs stay."""
        for pid in self.member_pids():
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        for p in self.procs:
            p.wait()

    def start_again(self):
        """Starts the members again with the arguments of the first start (after kill())."""
        self.procs = []
        for args in self.args:
            name = next(a for a in args if a.startswith("--name=")).split("=", 1)[1]
            log = open(f"{self.dir}/{name}.log", "ab")
            self.procs.append(subprocess.Popen(args, stdout=log, stderr=log))

    def cpu_seconds(self):
        """User + system CPU seconds used so far by the member processes (the children of
        the `timeout` wrappers), from /proc/<pid>/stat."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for k in self.member_pids():
            try:
                fields = open(f"/proc/{k}/stat").read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / tick

    def endpoints(self):
        return ",".join(f"127.0.0.1:{c}" for c in self.clients)

    def member_pids(self):
        """The member processes: the children of the `timeout` wrappers."""
        pids = []
        for p in self.procs:
            try:
                pids += [int(k) for k in open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()]
            except OSError:
                pass
        return pids

    def stop(self):
        # Killing a `timeout` wrapper with SIGKILL leaves its child running: kill the members
        # themselves first, by PID.
        for pid in self.member_pids():
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def parse(out):
    """Requests/sec, p50 and p99 (seconds) of the last summary in `out`, and the error count."""
    rps = re.findall(r"Requests/sec:\t([0-9.e+-]+)", out)
    p50 = re.findall(r"  50% in ([0-9.e+-]+) secs", out)
    p99 = re.findall(r"  99% in ([0-9.e+-]+) secs", out)
    errors = sum(int(n) for n in re.findall(r"^  \[(\d+)\]\t", out.split("Error distribution:")[-1], re.M)) \
        if "Error distribution:" in out else 0
    return (float(rps[-1]) if rps else 0.0, float(p50[-1]) if p50 else 0.0,
            float(p99[-1]) if p99 else 0.0, errors)


def run_one(binary, cluster, sc, scale, timeout):
    name, _, glob, cmd, total = sc
    n = max(1, int(total * scale))
    total_flag = f"--put-total {n}" if name == "watch-latency" else f"--total {n}"
    args = ["timeout", "-s", "KILL", str(timeout), binary, "benchmark",
            f"--endpoints={cluster.endpoints()}", *glob.split(), *cmd.split(), *total_flag.split()]
    cpu_before = cluster.cpu_seconds()
    res = subprocess.run(args, capture_output=True, text=True)
    cpu = cluster.cpu_seconds() - cpu_before
    if res.returncode != 0:
        print(f"  {cluster.label} {name}: exit {res.returncode}: {res.stderr.strip()[-300:]}", file=sys.stderr)
        return (0.0, 0.0, 0.0, n, 0.0)
    # Server CPU per request in microseconds (all members together).
    return (*parse(res.stdout), cpu / n * 1e6)


def spread(xs):
    m = statistics.median(xs)
    return (max(xs) - min(xs)) / m * 100 if m else 0.0


def ratio(a, b):
    return f"{a / b:.2f}x" if b else "n/a"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--members", type=int, default=1, choices=[1, 3])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--only", default="", help="comma-separated scenario names")
    ap.add_argument("--bin", default=os.path.join(REPO, "target/release/etcd"))
    ap.add_argument("--timeout", type=int, default=180, help="seconds per benchmark run")
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    if not os.path.exists(ETCD):
        sys.exit(f"{ETCD} is missing (apt-get install etcd-server)")
    if not os.path.exists(a.bin):
        subprocess.run(["timeout", "1800", "cargo", "build", "--release", "--locked"], cwd=REPO, check=True)
    scenarios = [s for s in SCENARIOS if not a.only or s[0] in a.only.split(",")]
    lifetime = 600 + a.rounds * len(scenarios) * 2 * a.timeout
    load_before = os.getloadavg()
    started = datetime.datetime.now(datetime.timezone.utc)
    etcd = Cluster("etcd", ETCD, a.members, lifetime)
    ours = None
    results = {s[0]: {"ours": [], "etcd": []} for s in scenarios}
    try:
        ours = Cluster("ours", a.bin, a.members, lifetime)
        sides = {"ours": ours, "etcd": etcd}
        for r in range(a.rounds):
            order = ["ours", "etcd"] if r % 2 == 0 else ["etcd", "ours"]
            for sc in scenarios:
                for side in order:
                    res = run_one(a.bin, sides[side], sc, a.scale, a.timeout)
                    results[sc[0]][side].append(res)
                    print(f"round {r + 1} {sc[0]:16} {side:4} {res[0]:10.1f} req/s  p50 {res[1] * 1000:8.2f} ms"
                          f"  p99 {res[2] * 1000:8.2f} ms  cpu/op {res[4]:7.1f} us  errors {res[3]}", file=sys.stderr)
    finally:
        etcd.stop()
        if ours:
            ours.stop()
    finished = datetime.datetime.now(datetime.timezone.utc)
    cpu = ""
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    lines = [
        f"# Side by side: etcd-oxide vs etcd 3.4.23, {a.members} member{'s' if a.members > 1 else ''}",
        "",
        f"{started:%Y-%m-%d %H:%M} - {finished:%H:%M} UTC; {os.cpu_count()} CPUs `{cpu}`; load average before "
        f"{load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}.",
        f"Command: `bench/side_by_side.py --rounds {a.rounds} --members {a.members} --scale {a.scale}`"
        f"{' --only ' + a.only if a.only else ''}. Both clusters up at once; each scenario runs on both back to back,"
        " alternating which goes first; load generator: our `etcd benchmark` for both.",
        f"Our binary: `{os.path.relpath(a.bin, REPO)}`"
        f"{' (DEBUG build: ours is handicapped; a smoke run, not a performance figure)' if '/debug/' in a.bin else ''}.",
        "Ratios are ours / etcd of the medians over the rounds (req/s: higher is better for us; p50/p99: lower is"
        " better). Spread = (max - min) / median of each side's req/s over the rounds. CPU/op = the server"
        " processes' user + system CPU time during the run (all members) / requests, in microseconds.",
        "",
        "| scenario | requests | ours req/s | etcd req/s | req/s ratio | p50 ratio | p99 ratio | ours p50 / p99 ms"
        " | etcd p50 / p99 ms | CPU/op ratio | CPU/op us ours / etcd | spread ours / etcd | errors ours / etcd |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for sc in scenarios:
        o, e = results[sc[0]]["ours"], results[sc[0]]["etcd"]
        med = lambda xs, i: statistics.median(x[i] for x in xs)
        n = max(1, int(sc[4] * a.scale))
        lines.append(
            f"| {sc[1]} | {n} | {med(o, 0):.0f} | {med(e, 0):.0f} | {ratio(med(o, 0), med(e, 0))} | "
            f"{ratio(med(o, 1), med(e, 1))} | {ratio(med(o, 2), med(e, 2))} | "
            f"{med(o, 1) * 1000:.2f} / {med(o, 2) * 1000:.2f} | {med(e, 1) * 1000:.2f} / {med(e, 2) * 1000:.2f} | "
            f"{ratio(med(o, 4), med(e, 4))} | {med(o, 4):.0f} / {med(e, 4):.0f} | "
            f"{spread([x[0] for x in o]):.0f}% / {spread([x[0] for x in e]):.0f}% | "
            f"{sum(x[3] for x in o)} / {sum(x[3] for x in e)} |")
    lines.append("")
    lines.append("watch latency: req/s is the events' delivery rate; p50/p99 from put sent to event received.")
    text = "\n".join(lines) + "\n"
    print(text)
    out = a.out or os.path.join(REPO, "bench", f"results-{started:%Y-%m-%d}"
                                f"{'-3members' if a.members == 3 else ''}.md")
    with open(out, "w") as f:
        f.write(text)
    print(f"written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
