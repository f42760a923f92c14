#!/usr/bin/python3
"""Store benchmark: k8c's store and real etcd on this machine, same load client (bench/kvbench), same run.

Each store runs on 127.0.0.1 over plain HTTP with a fresh data directory. Figures: put throughput with 1, 16 and
64 clients (256-byte values), 1-client put latency, a 1,000-key prefix range, watch catch-up of 10,000 past
events, put-to-watch-event latency, and each store's RSS after the load. Prints a table with both figures and
their ratio. Usage: kvstore_bench.py --build BUILD_DIR [--quick]
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


def start(kind, build, tmp):
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    data = os.path.join(tmp, kind)
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


def measure(kvbench, url, pid, quick):
    n = 2000 if quick else 20000
    r = {}
    one = run(kvbench, "put", url, 1, n // 10, 256)
    r["put 1 client (ops/s)"] = float(one["ops_per_s"])
    r["put 1 client p50 (ms)"] = float(one["p50_ms"])
    for clients in (16, 64):
        r["put %d clients (ops/s)" % clients] = float(run(kvbench, "put", url, clients, n, 256)["ops_per_s"])
    r["range 1,000 keys p50 (ms)"] = float(run(kvbench, "range", url, 1000, 50 if quick else 200)["p50_ms"])
    r["watch catch-up 10k events (s)"] = float(run(kvbench, "catchup", url, 10000)["seconds"])
    r["put-to-event p50 (ms)"] = float(run(kvbench, "watchlat", url, 50 if quick else 200)["p50_ms"])
    r["RSS after load (MiB)"] = rss_kib(pid) / 1024.0
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    kvbench = os.path.join(args.build, "bench", "kvbench")
    ours_available = subprocess.run([os.path.join(args.build, "cmd", "k8c"), "kvstore", "--help"],
                                    capture_output=True).returncode == 0
    tmp = tempfile.mkdtemp(prefix="k8c-bench-")
    try:
        results = {}
        for kind in ("etcd", "k8c") if ours_available else ("etcd",):
            p, url = start(kind, args.build, tmp)
            results[kind] = measure(kvbench, url, p.pid, args.quick)
            p.kill()
            p.wait()
        print("%-32s %14s %14s %8s" % ("store benchmark (%s)" % os.uname().nodename[:12], "k8c", "etcd 3.4", "ratio"))
        for key in results["etcd"]:
            e = results["etcd"][key]
            k = results.get("k8c", {}).get(key)
            ratio = "" if k is None or e == 0 else "%.2fx" % (k / e)
            print("%-32s %14s %14.3f %8s" % (key, "not built" if k is None else "%.3f" % k, e, ratio))
        if not ours_available:
            print("(k8c kvstore is not built yet: only the anchor was measured)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
