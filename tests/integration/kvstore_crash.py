#!/usr/bin/python3
"""Crash test for an etcd-v3-JSON store: kill -9 under load, restart, check that nothing acknowledged was lost.

16 writer threads each commit two-key transactions (w<i>/<seq>/a and w<i>/<seq>/b, same value) through
/v3/kv/txn. The store is killed with SIGKILL at a random moment, restarted on the same data directory, and checked:

  * every acknowledged transaction is there, both keys, at the revision the store acknowledged (mod_revision);
  * a transaction whose answer never came is all-or-nothing: both keys at one revision, or neither;
  * the store's revision never goes backwards across restarts and is at least the highest acknowledged one.

Run against real etcd (`--sut etcd`) it checks the harness; against `k8c kvstore` it checks our durability.
Every process it starts is stopped by PID, also on failure. Usage:
    kvstore_crash.py --sut etcd|"CMD with {datadir} {url}" [--kills 20] [--writers 16] [--seed N]
"""
import argparse
import atexit
import base64
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

children = []


def cleanup():
    for p in children:
        if p.poll() is None:
            p.kill()
            p.wait()


atexit.register(cleanup)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def b64(s):
    return base64.b64encode(s.encode()).decode()


def unb64(s):
    return base64.b64decode(s).decode()


class Server:
    def __init__(self, sut, datadir):
        self.sut, self.datadir, self.proc = sut, datadir, None
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port

    def start(self):
        # the port was free when free_port() looked (or when this store last ran), but another process may take
        # it before the store binds it: then the store exits at once and starts again on another port
        for attempt in range(5):
            log_at = os.path.getsize(self.datadir + ".log") if os.path.exists(self.datadir + ".log") else 0
            if self.try_start():
                return
            with open(self.datadir + ".log", "rb") as f:
                f.seek(log_at)
                in_use = b"already in use" in f.read()  # in what this start wrote
            if not in_use or attempt == 4:
                raise SystemExit("store exited at start with %d; see %s.log" % (self.proc.returncode, self.datadir))
            children.remove(self.proc)
            self.port = free_port()
            self.url = "http://127.0.0.1:%d" % self.port

    def try_start(self):
        """True once the store answers /health, False when it exited."""
        if self.sut == "etcd":
            peer = "http://127.0.0.1:%d" % free_port()
            cmd = ["etcd", "--name", "crash", "--data-dir", self.datadir, "--listen-client-urls", self.url,
                   "--advertise-client-urls", self.url, "--listen-peer-urls", peer,
                   "--initial-advertise-peer-urls", peer, "--initial-cluster", "crash=" + peer,
                   "--log-level", "error"]
        else:
            cmd = self.sut.format(datadir=self.datadir, url=self.url).split()
        with open(self.datadir + ".log", "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log)
        children.append(self.proc)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                c.request("GET", "/health")
                r = c.getresponse()
                body = r.read()
                c.close()
                if r.status == 200 and json.loads(body).get("health") == "true":
                    return True
            except (OSError, ValueError, http.client.HTTPException):
                pass
            time.sleep(0.01)  # polling interval while waiting for a condition with a deadline
        raise SystemExit("store not healthy within 20 s")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        children.remove(self.proc)


def post(conn, path, body):
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise RuntimeError("%s -> %d %s" % (path, r.status, data[:200]))
    return json.loads(data)


class Writer(threading.Thread):
    def __init__(self, idx, port, state):
        super().__init__(daemon=True)
        self.idx, self.port, self.state = idx, port, state
        self.stop = False

    def run(self):
        conn = None
        while not self.stop:
            seq = self.state["next"][self.idx]
            self.state["next"][self.idx] = seq + 1
            prefix = "w%02d/%08d/" % (self.idx, seq)
            value = "%d:%d" % (self.idx, seq)
            self.state["inflight"].add(prefix)
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                resp = post(conn, "/v3/kv/txn", {"success": [
                    {"request_put": {"key": b64(prefix + "a"), "value": b64(value)}},
                    {"request_put": {"key": b64(prefix + "b"), "value": b64(value)}}]})
                rev = int(resp["header"]["revision"])
                self.state["acked"][prefix] = (value, rev)
                self.state["inflight"].discard(prefix)
            except (OSError, http.client.HTTPException, RuntimeError, ValueError):
                # No answer: the outcome is unknown; the checker requires all-or-nothing. Back off until the
                # store is restarted (the main thread stops us).
                conn = None
                time.sleep(0.005)


def check(port, state, last_rev):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    kvs = {}
    key = b64("w")
    end = b64("x")
    resp = post(conn, "/v3/kv/range", {"key": key, "range_end": end})
    rev = int(resp["header"]["revision"])
    for kv in resp.get("kvs", []):
        kvs[unb64(kv["key"])] = (unb64(kv.get("value", "")), int(kv["mod_revision"]))
    conn.close()
    errors = []
    for prefix, (value, arev) in state["acked"].items():
        for k in ("a", "b"):
            got = kvs.get(prefix + k)
            if got != (value, arev):
                errors.append("acknowledged %s%s=%s at rev %d: found %r" % (prefix, k, value, arev, got))
    for prefix in state["inflight"]:
        a, b = kvs.get(prefix + "a"), kvs.get(prefix + "b")
        if (a is None) != (b is None) or (a and a != b):
            errors.append("unacknowledged %s is torn: a=%r b=%r" % (prefix, a, b))
        elif a is not None:
            state["acked"][prefix] = a  # it committed: from now on it must stay
    state["inflight"].clear()
    max_acked = max([r for _, r in state["acked"].values()], default=0)
    if rev < last_rev:
        errors.append("revision went backwards: %d after %d" % (rev, last_rev))
    if rev < max_acked:
        errors.append("revision %d below the highest acknowledged %d" % (rev, max_acked))
    return errors, rev


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sut", required=True)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--writers", type=int, default=16)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    print("kvstore_crash: seed %d, %d kills, %d writers, sut %s" % (args.seed, args.kills, args.writers, args.sut))

    tmp = tempfile.mkdtemp(prefix="k8c-crash-")
    try:
        srv = Server(args.sut, os.path.join(tmp, "data"))
        state = {"next": [0] * args.writers, "acked": {}, "inflight": set()}
        last_rev, failed_cycles = 0, 0
        srv.start()
        for cycle in range(args.kills):
            writers = [Writer(i, srv.port, state) for i in range(args.writers)]
            for w in writers:
                w.start()
            deadline = time.monotonic() + rnd.uniform(0.05, 0.4)
            while time.monotonic() < deadline:  # let the writers run for a random moment, then crash the store
                time.sleep(0.005)
            srv.kill()
            for w in writers:
                w.stop = True
            for w in writers:
                w.join(10)
            srv.start()
            errors, last_rev = check(srv.port, state, last_rev)
            print("cycle %2d: %6d acknowledged transactions, revision %d, %s" %
                  (cycle + 1, len(state["acked"]), last_rev, "ok" if not errors else "%d errors" % len(errors)))
            for e in errors[:10]:
                print("  " + e)
            failed_cycles += 1 if errors else 0
        srv.kill()
        if not state["acked"]:
            print("kvstore_crash: no write was ever acknowledged")
            return 1
        print("kvstore_crash: %d passed, %d failed" % (args.kills - failed_cycles, failed_cycles))
        return 1 if failed_cycles else 0
    finally:
        cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
