#!/usr/bin/python3
"""kctl start-up cost: wall time of `kctl get pods` next to `kubectl get pods` on an idle `k8c server` (a few pods
in the namespace), median of N runs each, interleaved, and their ratio (the issue's goal: kctl <= 1/5 of kubectl).

kubectl is the real 1.33 client run directly (not the /usr/bin/kubectl dispatcher, which adds a /version request
of its own), once with a warm discovery cache (what a user has after the first command) and once with a fresh
cache per run; the ratio is taken against the warm figure, the harder anchor. Beside them: `kctl version --client`
(the process alone: exec, loader, no network) and the medians of the phases kctl reports with KCTL_TIMING=1 (what
its time is spent on). The machine's load average is printed at the start and the end: on a shared machine the
absolute figures move with it, the ratio much less.
Usage: kctl_bench.py --build BUILD_DIR [--runs N]
"""
import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

KUBECTL = next((k for k in ("/usr/lib/google-cloud-sdk/bin/kubectl.1.33", "/usr/bin/kubectl") if os.path.exists(k)),
               None)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def timed(argv, env=None):
    t = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, text=True, env=env)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit("%s failed (%d): %s" % (" ".join(argv), p.returncode, p.stderr))
    return dt


# kctl's KCTL_TIMING lines (kctl/client.c): the request's phases, then the client's summary.
PHASES = [("connect", r"connect ([\d.]+)"), ("TLS handshake done", r"tls ([\d.]+)"),
          ("request sent", r"sent ([\d.]+)"), ("response headers", r"headers ([\d.]+)"),
          ("response done", r"done ([\d.]+) ms"), ("CPU when the client starts", r"starts ([\d.]+)"),
          ("kubeconfig", r"kubeconfig ([\d.]+)"), ("TLS setup (context, CA, cert)", r"setup ([\d.]+)"),
          ("client total", r"client total ([\d.]+)"), ("CPU total", r"CPU total ([\d.]+)")]


def phases(argv, runs):
    got = {name: [] for name, _ in PHASES}
    env = dict(os.environ, KCTL_TIMING="1")
    for _ in range(runs):
        err = subprocess.run(argv, capture_output=True, text=True, env=env).stderr
        for name, rx in PHASES:
            m = re.search(rx, err)
            if m:
                got[name].append(float(m.group(1)))
    return [(name, statistics.median(v)) for name, v in got.items() if v]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", required=True)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    k8c = os.path.join(args.build, "cmd", "k8c")
    kctl = os.path.join(args.build, "kctl", "kctl")
    if not KUBECTL:
        print("kctl_bench: kubectl not found; skipped")
        return 0
    tmp = tempfile.mkdtemp(prefix="k8c-kctl-bench-")
    data = os.path.join(tmp, "data")
    port = free_port()
    log = open(os.path.join(tmp, "server.log"), "w")
    srv = subprocess.Popen([k8c, "server", "--data-dir", data, "--secure-port", str(port)], stdout=log, stderr=log)
    try:
        kc = os.path.join(data, "admin.kubeconfig")
        deadline = time.monotonic() + 30
        while True:
            if srv.poll() is not None:
                raise SystemExit("server exited: " + open(log.name).read())
            if os.path.exists(kc) and subprocess.run([kctl, "--kubeconfig", kc, "get", "ns"],
                                                     capture_output=True).returncode == 0:
                break
            if time.monotonic() > deadline:
                raise SystemExit("server not ready within 30 s")
            time.sleep(0.05)  # polling for readiness, bounded by the deadline
        pods = "".join("---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%d}\nspec: {containers: [{name: c, "
                       "image: busybox}]}\n" % i for i in range(5))
        subprocess.run([KUBECTL, "--kubeconfig", kc, "--cache-dir", os.path.join(tmp, "seed"), "apply", "-f", "-"],
                       input=pods, capture_output=True, text=True, check=True)
        warm = os.path.join(tmp, "kubectl-cache")
        timed([KUBECTL, "--kubeconfig", kc, "--cache-dir", warm, "get", "pods"])  # fills the cache
        load0 = os.getloadavg()
        k, v, w, c = [], [], [], []
        for i in range(args.runs):
            k.append(timed([kctl, "--kubeconfig", kc, "get", "pods"]))
            v.append(timed([kctl, "version", "--client"]))
            w.append(timed([KUBECTL, "--kubeconfig", kc, "--cache-dir", warm, "get", "pods"]))
            c.append(timed([KUBECTL, "--kubeconfig", kc, "--cache-dir", os.path.join(tmp, "cold%d" % i), "get",
                            "pods"]))
        ph = phases([kctl, "--kubeconfig", kc, "get", "pods"], args.runs)
        load1 = os.getloadavg()
        mk, mv, mw, mc = (statistics.median(x) for x in (k, v, w, c))
        print("kctl get pods vs kubectl get pods, idle k8c server, 5 pods, median of %d interleaved runs" % args.runs)
        print("load average %.2f at the start, %.2f at the end (%d cores)" % (load0[0], load1[0], os.cpu_count()))
        print("%-40s %10s" % ("command", "wall ms"))
        print("%-40s %10.1f" % ("kctl get pods", mk * 1000))
        print("%-40s %10.1f" % ("kubectl 1.33 get pods (warm cache)", mw * 1000))
        print("%-40s %10.1f" % ("kubectl 1.33 get pods (fresh cache)", mc * 1000))
        print("%-40s %10.1f" % ("kctl version --client (no network)", mv * 1000))
        ratio = mk / mw
        print("ratio kctl / kubectl (warm): %.3f  (goal <= 0.2: %s)" % (ratio, "met" if ratio <= 0.2 else "NOT met"))
        print("ratio kctl / kubectl (fresh): %.3f" % (mk / mc))
        if ph:
            print("kctl get pods with KCTL_TIMING=1, medians (request phases: ms from the request's start; client: ms"
                  " from kctl_client_new, CPU: the process's)")
            for name, val in ph:
                print("  %-38s %8.2f" % (name, val))
        return 0
    finally:
        if srv.poll() is None:
            srv.send_signal(signal.SIGTERM)
            try:
                srv.wait(timeout=10)
            except subprocess.TimeoutExpired:
                srv.kill()
                srv.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
