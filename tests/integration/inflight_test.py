#!/usr/bin/python3
"""--max-requests-inflight and --max-mutating-requests-inflight, as kube-apiserver's max-in-flight filter: a
`k8c server` with both limits at 1 (the harness's, k8ctest.run_tests), a user with a bearer token (alice, not
system:masters) and the admin certificate.

  * a burst of creates by the user gets 429 TooManyRequests beyond the limit (a Status with
    details.retryAfterSeconds 1 and a Retry-After: 1 header), every other answer is 201; gets and lists likewise;
  * the admin (system:masters) is never refused, however many it sends at once;
  * the places are given back: after the bursts, creates and gets one at a time all succeed;
  * watches do not take a place: with watches open, a get still succeeds;
  * apiserver_dropped_requests_total counts the refusals by kind; a bad flag value is refused at start.

Every process started is stopped by PID, also on failure. Usage: inflight_test.py --k8c K8C [--etcd] [-k NAME]
"""
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from k8ctest import run_tests  # noqa: E402

NS = "/api/v1/namespaces/default"
TOKEN = {"Authorization": "Bearer secret-token"}  # alice (groups devs, qa) of the harness's token file


class Server:
    """The harness's cluster as these tests use it: connections as alice (the token, no certificate) or as the
    admin (system:masters)."""

    def __init__(self, cl):
        self.cl = cl

    def conn(self, admin):
        return self.cl.conn(anon=not admin)


def call(c, method, path, body=None, headers=None):
    h = dict(headers or {})
    if body is not None:
        h["Content-Type"] = "application/json"
    c.request(method, path, json.dumps(body) if body is not None else None, h)
    r = c.getresponse()
    data = r.read()
    return r.status, dict(r.getheaders()), json.loads(data) if data else None


def pod(name):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]}}


def burst(srv, admin, make, threads=24, per=8):
    """threads clients each send per requests (make(i, k) -> (method, path, body)) at once; returns the answers as
    (status, headers, body)."""
    out, lock, start = [], threading.Lock(), threading.Barrier(threads)

    def run(i):
        c = srv.conn(admin)
        start.wait()
        for k in range(per):
            m, p, b = make(i, k)
            a = call(c, m, p, b, None if admin else TOKEN)
            with lock:
                out.append(a)
        c.close()

    ts = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    return out


def until_refused(srv, make):
    """Bursts by the token user until one answer is 429 (two loops serve requests at once: with a limit of 1 a
    burst overlaps), within a deadline; returns every answer."""
    answers, deadline, n = [], time.monotonic() + 30, 0
    while time.monotonic() < deadline:
        answers += burst(srv, False, lambda i, k: make(n, i, k))
        n += 1
        if any(a[0] == 429 for a in answers):
            return answers
    raise AssertionError("no 429 within 30 s of bursts: %s" % sorted(set(a[0] for a in answers)))


def check_429(a):
    st, h, body = a
    assert st == 429, a
    assert h.get("Retry-After") == "1" or h.get("retry-after") == "1", h
    assert body["kind"] == "Status" and body["code"] == 429 and body["reason"] == "TooManyRequests", body
    assert body["message"] == "Too many requests, please try again later.", body
    assert body["details"]["retryAfterSeconds"] == 1, body


def t_creates_beyond_the_limit(srv):
    answers = until_refused(srv, lambda n, i, k: ("POST", NS + "/pods", pod("u-%d-%d-%d" % (n, i, k))))
    assert set(a[0] for a in answers) <= {201, 429}, sorted(set(a[0] for a in answers))
    check_429(next(a for a in answers if a[0] == 429))


def t_reads_beyond_the_limit(srv):
    answers = until_refused(srv, lambda n, i, k: ("GET", NS + "/pods" if k % 2 else "/api/v1/namespaces/default",
                                                  None))
    assert set(a[0] for a in answers) <= {200, 429}, sorted(set(a[0] for a in answers))
    check_429(next(a for a in answers if a[0] == 429))


def t_masters_are_never_refused(srv):
    answers = burst(srv, True, lambda i, k: ("POST", NS + "/pods", pod("admin-%d-%d" % (i, k))))
    answers += burst(srv, True, lambda i, k: ("GET", NS + "/pods", None))
    assert set(a[0] for a in answers) <= {200, 201}, sorted(set(a[0] for a in answers))


def t_places_are_given_back(srv):
    c = srv.conn(False)
    for k in range(20):
        st, _, body = call(c, "POST", NS + "/pods", pod("after-%d" % k), TOKEN)
        assert st == 201, (st, body)
        st, _, body = call(c, "GET", NS + "/pods/after-%d" % k, None, TOKEN)
        assert st == 200, (st, body)
        st, _, body = call(c, "DELETE", NS + "/pods/after-%d?gracePeriodSeconds=0" % k, None, TOKEN)
        assert st == 200, (st, body)
    c.close()


def t_watches_take_no_place(srv):
    watches = []
    for _ in range(3):
        c = srv.conn(False)
        c.request("GET", NS + "/pods?watch=1&timeoutSeconds=30", headers=TOKEN)
        r = c.getresponse()
        assert r.status == 200, r.status
        watches.append(c)
    c = srv.conn(False)
    for _ in range(5):
        st, _, body = call(c, "GET", NS + "/pods?limit=1", None, TOKEN)
        assert st == 200, (st, body)
    c.close()
    for w in watches:
        w.close()


def t_metrics_count_refusals(srv):
    c = srv.conn(True)
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    c.close()
    got = {}
    for line in text.splitlines():
        if line.startswith("apiserver_dropped_requests_total{"):
            kind = line.split('request_kind="')[1].split('"')[0]
            got[kind] = float(line.rsplit(" ", 1)[1])
    assert got.get("mutating", 0) >= 1 and got.get("readOnly", 0) >= 1, got


def t_bad_flag(cl):
    for flag in (["--max-requests-inflight", "x"], ["--max-mutating-requests-inflight=-1"]):
        p = subprocess.run([cl.k8c, "server", "--data-dir", os.path.join(cl.tmp, "bad")] + flag, capture_output=True,
                           text=True, timeout=30)
        assert p.returncode == 2 and "invalid value" in p.stderr and "inflight" in p.stderr, (p.returncode, p.stderr)
    for flag in (["--default-not-ready-toleration-seconds", "5m"], ["--default-unreachable-toleration-seconds="]):
        bad = os.path.join(cl.tmp, "bad-toleration")
        p = subprocess.run([cl.k8c, "server", "--data-dir", bad] + flag, capture_output=True, text=True, timeout=30)
        assert p.returncode == 2 and "invalid value" in p.stderr and flag[0].split("=")[0] in p.stderr, \
            (p.returncode, p.stderr)
        assert not os.path.exists(bad), "refused before anything was made"


def on_server(t):
    """t(Server(cl)) under t's name, for run_tests."""

    def run(cl):
        t(Server(cl))

    run.__name__ = t.__name__
    return run


def main():
    tests = [t_creates_beyond_the_limit, t_reads_beyond_the_limit, t_masters_are_never_refused,
             t_places_are_given_back, t_watches_take_no_place, t_metrics_count_refusals]
    return run_tests([on_server(t) for t in tests] + [t_bad_flag], __doc__.split("\n")[0],
                     prefix="k8c-inflight-", flags=["--max-requests-inflight", "1",
                                                    "--max-mutating-requests-inflight=1"])


if __name__ == "__main__":
    sys.exit(main())
