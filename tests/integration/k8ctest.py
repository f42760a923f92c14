"""The shared harness of the API server's integration tests: a `k8c server` (or `k8c apiserver` on a real etcd)
on 127.0.0.1 with a free port and a temp data dir, an HTTPS client with the admin certificate, a watch reader,
and run_tests() for a list of t_* functions. Every process started is stopped by PID, also on failure.
"""
import argparse
import atexit
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback

children = []


def cleanup():
    for p in children:
        if p.poll() is None:
            p.kill()
            p.wait()


atexit.register(cleanup)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))


def wait_etcd(proc, port):
    """True once etcd answers /health on port, False when it exited (its port taken: start it again)."""
    import http.client as hc
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            c = hc.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/health")
            ok = c.getresponse().status == 200
            c.close()
            if ok:
                return True
        except OSError:
            pass
        time.sleep(0.02)  # polling for etcd's readiness, bounded by the deadline
    raise SystemExit("etcd not healthy within 20 s")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_server(cmd, data, log_path, timeout=30, fail=SystemExit):
    """Starts cmd (a `k8c server` or `k8c apiserver` command with --data-dir data) on a free port, logging to
    log_path; returns (proc, port, TLS context with the admin certificate, log file) once /readyz answers 200,
    raises fail when it exits or is not ready within timeout seconds.
    The port was free when free_port() looked, but another process (a parallel test's connection) may take it
    before the server binds it: the server then exits at once, and starts again on another port."""
    deadline = time.monotonic() + timeout
    for attempt in range(5):
        port = free_port()
        log = open(log_path, "w")
        proc = subprocess.Popen(cmd + ["--secure-port", str(port)], stdout=log, stderr=log)
        children.append(proc)
        while proc.poll() is None:
            if os.path.exists(os.path.join(data, "admin.kubeconfig")):
                try:
                    ctx = ssl.create_default_context(cafile=os.path.join(data, "pki", "ca.crt"))
                    pki = os.path.join(data, "pki")
                    ctx.load_cert_chain(os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))
                    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=5)
                    c.request("GET", "/readyz")
                    status = c.getresponse().status
                    c.close()
                    if status == 200:
                        return proc, port, ctx, log
                except (OSError, ssl.SSLError, http.client.HTTPException):
                    pass
            if time.monotonic() > deadline:
                raise fail("server not ready within %d s: %s" % (timeout, open(log_path).read()))
            time.sleep(0.02)  # polling interval while waiting for readiness, bounded by the deadline
        log.close()
        if "Address already in use" not in open(log_path).read() or attempt == 4:
            break
    raise fail("server exited: " + open(log_path).read())


def start_etcd(tmp):
    """Starts a real etcd with its data in tmp/etcd on free ports; returns its client port once healthy."""
    for attempt in range(5):  # as start_server: a port taken meanwhile makes etcd exit at once
        cport, pport = free_port(), free_port()
        e = subprocess.Popen(["etcd", "--name", "t", "--data-dir", os.path.join(tmp, "etcd"),
                              "--listen-client-urls", "http://127.0.0.1:%d" % cport,
                              "--advertise-client-urls", "http://127.0.0.1:%d" % cport,
                              "--listen-peer-urls", "http://127.0.0.1:%d" % pport,
                              "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % pport,
                              "--initial-cluster", "t=http://127.0.0.1:%d" % pport, "--log-level", "error"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        children.append(e)
        if wait_etcd(e, cport):
            return cport
        shutil.rmtree(os.path.join(tmp, "etcd"), ignore_errors=True)
    raise SystemExit("etcd exited at start 5 times")


class Cluster:
    def __init__(self, k8c, tmp, use_etcd, flags=()):
        self.tmp = tmp
        self.etcd_port = None  # the etcd client port with --etcd (to store raw values)
        data = os.path.join(tmp, "data")
        tokens = os.path.join(tmp, "tokens.csv")
        with open(tokens, "w") as f:
            f.write('secret-token,alice,uid-alice,"devs,qa"\n')
        if use_etcd:
            cport = start_etcd(tmp)
            self.etcd_port = cport
            cmd = [k8c, "apiserver", "--etcd-servers", "http://127.0.0.1:%d" % cport]
        else:
            cmd = [k8c, "server"]
        cmd += ["--data-dir", data, "--token-auth-file", tokens, "--event-ttl", "1s"] + list(flags)
        self.proc, self.port, self.ctx, self.log = start_server(cmd, data, os.path.join(tmp, "server.log"))
        self.anon = ssl.create_default_context(cafile=os.path.join(data, "pki", "ca.crt"))

    def conn(self, anon=False):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.anon if anon else self.ctx,
                                           timeout=20)

    def req(self, method, path, body=None, ctype="application/json", headers=None, anon=False, raw=False):
        c = self.conn(anon)
        h = dict(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            h["Content-Type"] = ctype
        c.request(method, path, data, h)
        r = c.getresponse()
        text = r.read()
        c.close()
        if raw:
            return r.status, text
        try:
            return r.status, json.loads(text) if text else None
        except ValueError:
            return r.status, text

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def pod(name, ns="default", labels=None, image="busybox"):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
            "spec": {"containers": [{"name": "c", "image": image}]}}


class Watch:
    """Reads a watch stream in a thread; events land in a list."""

    def __init__(self, cl, path):
        self.events, self.lines = [], []
        self.c = cl.conn()
        self.c.request("GET", path)
        self.r = self.c.getresponse()
        self.status = self.r.status
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        try:
            while True:
                line = self.r.readline()
                if not line:
                    break
                if line.strip():
                    self.events.append(json.loads(line))
        except (OSError, ValueError, http.client.HTTPException):
            pass

    def wait(self, n, timeout=10):
        deadline = time.monotonic() + timeout
        while len(self.events) < n and time.monotonic() < deadline:
            time.sleep(0.01)  # polling for a condition with a deadline
        return len(self.events) >= n

    def close(self):
        self.c.close()


# ---------------------------------------------------------------------------------------------------------- tests


def run_tests(tests, description, prefix="k8c-api-", flags=()):
    """Parses --k8c, --etcd and -k, starts a Cluster (its server with flags added), runs every test (all of them,
    reporting each), stops the cluster by PID. Returns the exit code."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--k8c", required=True)
    ap.add_argument("--etcd", action="store_true")
    ap.add_argument("-k", default="")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix=prefix)
    passed = failed = 0
    try:
        cl = Cluster(args.k8c, tmp, args.etcd, flags)
        cl.k8c = args.k8c
        for t in tests:
            if args.k not in t.__name__:
                continue
            try:
                t(cl)
                passed += 1
                print("ok   %s" % t.__name__)
            except Exception:  # report every test, then fail
                failed += 1
                print("FAIL %s\n%s" % (t.__name__, traceback.format_exc()))
        cl.stop()
        if cl.proc.returncode not in (0, None):
            print("server exit code %s" % cl.proc.returncode)
            failed += 1
    finally:
        cleanup()
        if failed:
            print(open(os.path.join(tmp, "server.log")).read()[-4000:])
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0
