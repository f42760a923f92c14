#!/usr/bin/python3
"""Store benchmark: k8c's store and real etcd on this machine, same load client (bench/kvbench), same run.

Each store runs on 127.0.0.1 over plain HTTP with a fresh data directory. Figures: put throughput with 1, 16 and
64 clients (256-byte values), 1-client put latency, a 1,000-key prefix range, watch catch-up of 10,000 past
events, put-to-watch-event latency, and each store's RSS after the load. Both stores run side by side and each
figure is taken on every store before the next: with the default 2 rounds, two fresh stores of each kind, each given
the whole sequence once, in the order etcd 1, k8c 1, k8c 2, etcd 2 (a figure is the mean of a kind's two stores),
so that a shared machine's changing load weighs on both alike. Prints a table with both
figures and their ratio. Usage: kvstore_bench.py --build BUILD_DIR [--quick] [--rounds N]
"""
import argparse
import atexit
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

children = []
atexit.register(lambda: [p.kill() for p in children if p.poll() is None])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_healthy(port, proc, what):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("%s exited at start (%d)" % (what, proc.returncode))
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/health")
            r = c.getresponse()
            ok = r.status == 200 and json.loads(r.read()).get("health") == "true"
            c.close()
            if ok:
                return
        except (OSError, ValueError, http.client.HTTPException):
            pass
        time.sleep(0.01)  # polling interval while waiting for health, bounded by the deadline
    raise SystemExit("%s not healthy within 20 s" % what)


def start(name, build, tmp):
    """Starts a fresh store: name is etcd-N or k8c-N."""
    kind = name.split("-")[0]
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    data = os.path.join(tmp, name)
    if kind == "etcd":
        peer = "http://127.0.0.1:%d" % free_port()
        cmd = ["etcd", "--name", "bench", "--data-dir", data, "--listen-client-urls", url, "--advertise-client-urls",
               url, "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster",
               "bench=" + peer, "--log-level", "error"]
    else:
        cmd = [os.path.join(build, "cmd", "k8c"), "kvstore", "--name", "bench", "--data-dir", data,
               "--listen-client-urls", url, "--advertise-client-urls", url]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children.append(p)
    wait_healthy(port, p, kind)
    return p, url


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def run(kvbench, *args):
    out = subprocess.run([kvbench] + [str(a) for a in args], check=True, capture_output=True, text=True).stdout
    return dict(kv.split("=") for kv in out.split())


def steps(quick):
    """The runs, in the order they are made: kvbench arguments, and the figures taken from each run's output."""
    n = 2000 if quick else 20000
    return [(("put", 1, n // 10, 256), {"put 1 client (ops/s)": "ops_per_s", "put 1 client p50 (ms)": "p50_ms"}),
            (("put", 16, n, 256), {"put 16 clients (ops/s)": "ops_per_s"}),
            (("put", 64, n, 256), {"put 64 clients (ops/s)": "ops_per_s"}),
            (("range", 1000, 50 if quick else 200), {"range 1,000 keys p50 (ms)": "p50_ms"}),
            (("catchup", 10000), {"watch catch-up 10k events (s)": "seconds"}),
            (("watchlat", 50 if quick else 200), {"put-to-event p50 (ms)": "p50_ms"})]


def measure(kvbench, urls, order, quick):
    """Makes each run on every store in `order` before going on to the next run, so that all of them see the
    machine's other load alike. Returns the figures per store."""
    r = {inst: {} for inst in order}
    for cmd, figures in steps(quick):
        for inst in order:
            out = run(kvbench, cmd[0], urls[inst], *cmd[1:])
            for name, key in figures.items():
                r[inst][name] = float(out[key])
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int, default=2,
                    help="fresh stores of each kind: 1 = etcd then k8c; 2 = etcd, k8c, k8c, etcd (default)")
    args = ap.parse_args()
    kvbench = os.path.join(args.build, "bench", "kvbench")
    ours_available = subprocess.run([os.path.join(args.build, "cmd", "k8c"), "kvstore", "--help"],
                                    capture_output=True).returncode == 0
    tmp = tempfile.mkdtemp(prefix="k8c-bench-")
    try:
        load0 = os.getloadavg()
        kinds = ("etcd", "k8c") if ours_available else ("etcd",)
        # a fresh store of each kind per round, each given the whole sequence once; all run side by side (an idle
        # one costs next to nothing) and every run goes through them as etcd 1, k8c 1, k8c 2, etcd 2, ...
        order = []
        for i in range(args.rounds):
            order += [(kind, i) for kind in (kinds if i % 2 == 0 else tuple(reversed(kinds)))]
        procs, urls = {}, {}
        for inst in order:
            procs[inst], urls[inst] = start("%s-%d" % inst, args.build, tmp)
        per = measure(kvbench, urls, order, args.quick)
        for inst in order:
            per[inst]["RSS after load (MiB)"] = rss_kib(procs[inst].pid) / 1024.0
            procs[inst].kill()
            procs[inst].wait()
        results = {kind: {} for kind in kinds}
        for kind in kinds:
            insts = [inst for inst in order if inst[0] == kind]
            for name in per[insts[0]]:
                results[kind][name] = sum(per[inst][name] for inst in insts) / len(insts)
        load1 = os.getloadavg()
        print("%-32s %14s %14s %8s" % ("store benchmark (%s)" % os.uname().nodename[:12], "k8c", "etcd 3.4", "ratio"))
        for key in results["etcd"]:
            e = results["etcd"][key]
            k = results.get("k8c", {}).get(key)
            ratio = "" if k is None or e == 0 else "%.2fx" % (k / e)
            print("%-32s %14s %14.3f %8s" % (key, "not built" if k is None else "%.3f" % k, e, ratio))
        if not ours_available:
            print("(k8c kvstore is not built yet: only the anchor was measured)")
        print("load average: %.2f %.2f %.2f at the start, %.2f %.2f %.2f at the end" % (load0 + load1))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
