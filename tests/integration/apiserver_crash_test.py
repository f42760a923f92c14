#!/usr/bin/python3
"""Crash test for `k8c server` (the API server on its embedded store; with --etcd `k8c apiserver` on a real etcd, which
stays up): kill -9 under load, restart on the same data directory, check that nothing the API acknowledged was
lost, torn or given twice.

Writer threads (HTTPS, admin certificate, one keep-alive connection each) create pods, update their own pods (a
label, with the resourceVersion they last saw), delete them (gracePeriodSeconds=0: removed at once) and create
Services (a clusterIP each). The server is killed with SIGKILL at a random moment, restarted, and checked:

  * every acknowledged create, update and delete is there as answered: the pod with the uid, resourceVersion
    and label of its last acknowledged write, an acknowledged delete gone;
  * a write whose answer never came is either done or not: the object as before it or as the write made it (a
    pod's delete may also have done its first write only: the pod with its deletionTimestamp, as upstream's);
  * no clusterIP or nodePort is held by two Services (one in eight is a NodePort one), every acknowledged Service
    keeps its own, and a Service created after the restart gets an address and a node port none holds;
  * resourceVersions never go back: the list's is at least the highest acknowledged, a create after the restart
    gets a higher one, no two acknowledged writes got the same one;
  * a namespace whose DELETE was acknowledged during the load goes, with its 300 ConfigMaps, after the restart
    (the restarted namespace controller finishes what the kill interrupted);
  * the pods watch holds etcd's promises across the crash: a watch opened before the load, cut by the kill and
    resumed after the restart from its last event, shows every acknowledged pod write of the round (ADDED and
    MODIFIED at the acknowledged resourceVersion, DELETED for a delete), in order, each once.

Rounds accumulate: each round checks everything acknowledged in every round before it. Every process started is
stopped by PID, also on failure. Usage: apiserver_crash_test.py --k8c K8C [--etcd] [--kills 5] [--writers 8] [--seed N]
"""
import argparse
import http.client
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from k8ctest import cleanup, start_etcd, start_server  # noqa: E402

NS = "/api/v1/namespaces/default"

# name -> the state its last acknowledged write left: ("pod", uid, rv, label) / ("gone",) / ("svc", uid, rv, ip);
# plus, when a later write got no answer, that write's possible outcome (checked as "either")
acked = {}
unsure = {}
lock = threading.Lock()
acked_rvs = []  # every acknowledged resourceVersion (as int), to find duplicates
round_writes = []  # this round's acknowledged pod writes: (event type the watch must show, name, rv or None)


class Watcher(threading.Thread):
    """Reads the pods watch from rv until its connection ends (the kill, or timeoutSeconds) or an event of the pod
    named until; events as (type, name, resourceVersion)."""

    def __init__(self, port, ctx, rv, timeout=None, until=None):
        super().__init__(daemon=True)
        self.events, self.status, self.error, self.until = [], None, None, until
        q = "?watch=1&resourceVersion=%s" % rv + ("&timeoutSeconds=%d" % timeout if timeout else "")
        self.c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=60)
        self.c.request("GET", NS + "/pods" + q)
        self.r = self.c.getresponse()
        self.status = self.r.status

    def run(self):
        try:
            for line in self.r:
                if line.strip():
                    ev = json.loads(line)
                    m = ev["object"].get("metadata", {})
                    if ev["type"] == "ERROR":
                        self.error = ev["object"]
                    else:
                        self.events.append((ev["type"], m.get("name"), m.get("resourceVersion")))
                        if m.get("name") == self.until:
                            break
        except (OSError, http.client.HTTPException, ValueError):
            pass
        self.c.close()  # not left idle: the server's shutdown would wait for it


def check_watch(before, after, rv0):
    """The round's watch, read until the kill and resumed after the restart from its last event: what etcd's
    watch promises across the crash (ordered, unique, reliable: every acknowledged write of the round there)."""
    errors = []
    if after.status != 200 or after.error:
        return ["the watch resumed from %s after the restart answered %s %s" % (
            before.events[-1][2] if before.events else rv0, after.status, after.error)]
    evs = before.events + after.events
    rvs = [int(e[2]) for e in evs]
    for a, b in zip(rvs, rvs[1:]):
        if b <= a:
            errors.append("watch events out of order or repeated: %d then %d" % (a, b))
            break
    seen = set((t, n, r) for t, n, r in evs)
    deleted = set(n for t, n, r in evs if t == "DELETED")
    for t, n, r in round_writes:
        if t == "DELETED" and n not in deleted:
            errors.append("acknowledged delete of %s: no DELETED event" % n)
        elif t != "DELETED" and (t, n, r) not in seen:
            errors.append("acknowledged write %s %s at %s: no event" % (t, n, r))
    return errors


def pod_body(name, label):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"v": label}},
            "spec": {"containers": [{"name": "c", "image": "busybox", "command": ["sleep", "1000"]}]}}


def svc_body(name):
    """A ClusterIP Service, or for one name in eight a NodePort one (a node port each, from 2,768)."""
    spec = {"selector": {"app": name}, "ports": [{"port": 80}]}
    if zlib.crc32(name.encode()) % 8 == 0:
        spec["type"] = "NodePort"
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


def node_port(o):
    return (o["spec"].get("ports") or [{}])[0].get("nodePort")


class Writer(threading.Thread):
    def __init__(self, idx, rnd, port, ctx, seed):
        super().__init__(daemon=True)
        self.idx, self.rnd, self.port, self.ctx = idx, rnd, port, ctx
        self.rng = random.Random(seed)
        self.mine = []  # names of pods whose last acknowledged state is a pod
        self.n = 0
        self.acks = 0

    def call(self, c, method, path, body):
        c.request(method, path, json.dumps(body) if body is not None else None,
                  {"Content-Type": "application/json"} if body is not None else {})
        r = c.getresponse()
        data = r.read()
        return r.status, json.loads(data) if data else None

    def run(self):
        try:
            c = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=30)
        except OSError:
            return
        while True:
            op = self.rng.random()
            name = None
            try:
                if op < 0.55 or not self.mine:
                    name = "r%d-w%d-%d" % (self.rnd, self.idx, self.n)
                    self.n += 1
                    if self.rng.random() < 0.2:
                        with lock:
                            unsure[name] = ("maybe-svc",)
                        st, o = self.call(c, "POST", NS + "/services", svc_body(name))
                        expect(st, 201, o)
                        record(name, ("svc", o["metadata"]["uid"], o["metadata"]["resourceVersion"],
                                      o["spec"]["clusterIP"], node_port(o)))
                    else:
                        with lock:
                            unsure[name] = ("maybe-pod", "0")
                        st, o = self.call(c, "POST", NS + "/pods", pod_body(name, "0"))
                        expect(st, 201, o)
                        record(name, ("pod", o["metadata"]["uid"], o["metadata"]["resourceVersion"], "0"), "ADDED")
                        self.mine.append(name)
                elif op < 0.85:
                    name = self.rng.choice(self.mine)
                    _, uid, rv, label = acked[name]
                    new = str(int(label) + 1)
                    body = pod_body(name, new)
                    body["metadata"]["uid"] = uid
                    body["metadata"]["resourceVersion"] = rv
                    with lock:
                        unsure[name] = ("maybe-pod", new)
                    st, o = self.call(c, "PUT", NS + "/pods/" + name, body)
                    expect(st, 200, o)
                    record(name, ("pod", uid, o["metadata"]["resourceVersion"], new), "MODIFIED")
                else:
                    name = self.rng.choice(self.mine)
                    with lock:
                        unsure[name] = ("maybe-gone",)
                    st, o = self.call(c, "DELETE", NS + "/pods/" + name + "?gracePeriodSeconds=0", None)
                    expect(st, 200, o)
                    record(name, ("gone",), "DELETED")
                    self.mine.remove(name)
                self.acks += 1
            except (OSError, http.client.HTTPException, ValueError):
                return  # the server is gone: this write's outcome stays unsure


def expect(st, want, o):
    if st != want:
        raise SystemExit("unexpected answer %d (want %d): %s" % (st, want, json.dumps(o)[:300]))


def record(name, state, event=None):
    with lock:
        if event:
            round_writes.append((event, name, state[2] if event != "DELETED" else None))
        acked[name] = state
        unsure.pop(name, None)
        if state[0] != "gone":
            acked_rvs.append(int(state[2]))


def req(port, ctx, method, path, body=None):
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
    c.request(method, path, json.dumps(body) if body is not None else None,
              {"Content-Type": "application/json"} if body is not None else {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, json.loads(data) if data else None


def check(port, ctx, rnd):
    st, pods = req(port, ctx, "GET", NS + "/pods")
    expect(st, 200, pods)
    st, svcs = req(port, ctx, "GET", NS + "/services")
    expect(st, 200, svcs)
    have = {p["metadata"]["name"]: p for p in pods["items"]}  # list items carry no kind: services have a spec.ports
    have.update({s["metadata"]["name"]: s for s in svcs["items"] if s["metadata"]["name"] != "kubernetes"})
    errors = []

    def state_of(o):
        if o is None:
            return ("gone",)
        m = o["metadata"]
        if "ports" in o["spec"]:
            return ("svc", m["uid"], m["resourceVersion"], o["spec"].get("clusterIP"), node_port(o))
        st = ("pod", m["uid"], m["resourceVersion"], (m.get("labels") or {}).get("v"))
        return st + ("deleting",) if m.get("deletionTimestamp") else st

    for name in set(acked) | set(unsure):
        got = state_of(have.get(name))
        before = acked.get(name, ("gone",))
        maybe = unsure.get(name)
        if got == before:
            continue
        if maybe is None:
            errors.append("%s: acknowledged %s, found %s" % (name, before, got))
        elif maybe[0] == "maybe-gone" and (got == ("gone",) or (got[:2] == before[:2] and got[3:] == before[3:] + (
                "deleting",) and int(got[2]) > int(before[2]))):
            continue  # a pod's delete is two writes, as upstream's: the deletionTimestamp, then the removal
        elif maybe[0] == "maybe-svc" and got[0] == "svc":
            continue
        elif maybe[0] == "maybe-pod" and got[0] == "pod" and got[3] == maybe[1] and \
                (before[0] == "gone" or (got[1] == before[1] and int(got[2]) > int(before[2]))):
            continue
        else:
            errors.append("%s: acknowledged %s, then unanswered %s; found %s" % (name, before, maybe, got))
    ips, ports = {}, {}
    for s in svcs["items"]:
        ip, np = s["spec"].get("clusterIP"), node_port(s)
        if ip in ips:
            errors.append("clusterIP %s held by %s and %s" % (ip, ips[ip], s["metadata"]["name"]))
        if np is not None and np in ports:
            errors.append("nodePort %s held by %s and %s" % (np, ports[np], s["metadata"]["name"]))
        ips[ip] = s["metadata"]["name"]
        if np is not None:
            ports[np] = s["metadata"]["name"]
    dups = len(acked_rvs) - len(set(acked_rvs))
    if dups:
        errors.append("%d acknowledged writes share a resourceVersion" % dups)
    top = max(acked_rvs) if acked_rvs else 0
    if int(pods["metadata"]["resourceVersion"]) < top:
        errors.append("list resourceVersion %s below the highest acknowledged %d" % (pods["metadata"]["resourceVersion"],
                                                                                  top))
    # the unsure outcomes are settled now: what the restarted server shows is what the next round starts from
    for name, maybe in list(unsure.items()):
        got = state_of(have.get(name))
        acked[name] = got
        del unsure[name]
    st, o = req(port, ctx, "POST", NS + "/pods", pod_body("after-%d" % rnd, "0"))
    expect(st, 201, o)
    if int(o["metadata"]["resourceVersion"]) <= max(top, int(pods["metadata"]["resourceVersion"])):
        errors.append("a create after the restart got resourceVersion %s, not above %d" %
                      (o["metadata"]["resourceVersion"], top))
    acked["after-%d" % rnd] = state_of(o)
    acked_rvs.append(int(o["metadata"]["resourceVersion"]))
    body = svc_body("after-svc-%d" % rnd)
    body["spec"]["type"] = "NodePort"
    st, o = req(port, ctx, "POST", NS + "/services", body)
    expect(st, 201, o)
    if o["spec"]["clusterIP"] in ips:
        errors.append("a Service created after the restart got %s, which %s holds" % (o["spec"]["clusterIP"],
                                                                                   ips[o["spec"]["clusterIP"]]))
    if node_port(o) in ports:
        errors.append("a Service created after the restart got nodePort %s, which %s holds" % (node_port(o),
                                                                                            ports[node_port(o)]))
    acked["after-svc-%d" % rnd] = state_of(o)
    acked_rvs.append(int(o["metadata"]["resourceVersion"]))
    return errors, len(pods["items"]), len(svcs["items"])


NS_OBJECTS = 300  # ConfigMaps in each round's namespace that is deleted during the load
deleted_ns = []  # namespaces whose DELETE was acknowledged
interrupted = [0]  # how many of them were still there when the server came back


def check_namespaces(port, ctx):
    """A namespace whose deletion was acknowledged goes, with everything in it, also when the kill interrupted the
    namespace controller: the restarted server's controller finishes it (within a deadline)."""
    errors = []
    for ns in deleted_ns:
        deadline, first = time.monotonic() + 30, True
        while True:
            st, o = req(port, ctx, "GET", "/api/v1/namespaces/" + ns)
            if st == 404:
                break
            if first:
                interrupted[0] += 1
                first = False
            if st != 200 or o["status"].get("phase") != "Terminating":
                errors.append("namespace %s, deleted, answers %d %s" % (ns, st, json.dumps(o)[:200]))
                break
            if time.monotonic() > deadline:
                errors.append("namespace %s still there 30 s after the restart: %s" % (ns, json.dumps(o)[:300]))
                break
            time.sleep(0.05)  # polling for the controller's work, bounded by the deadline
        st, o = req(port, ctx, "GET", "/api/v1/namespaces/%s/configmaps" % ns)
        if st != 200 or o["items"]:
            errors.append("namespace %s is gone but its ConfigMaps answer %d with %d items" %
                          (ns, st, len(o.get("items", [])) if isinstance(o, dict) else -1))
    del deleted_ns[:]
    return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--k8c", required=True)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--writers", type=int, default=8)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--etcd", action="store_true", help="`k8c apiserver` on a real etcd (only the API server is killed)")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    print("seed %d" % seed)
    tmp = tempfile.mkdtemp(prefix="k8c-api-crash-")
    data = os.path.join(tmp, "data")
    cmd = [args.k8c, "server", "--data-dir", data]
    if args.etcd:
        cmd = [args.k8c, "apiserver", "--etcd-servers", "http://127.0.0.1:%d" % start_etcd(tmp), "--data-dir", data]
    failed = False
    watcher, rv0 = None, None  # the round's watch and where it started: checked after the next restart
    try:
        for rnd in range(args.kills + 1):
            log = os.path.join(tmp, "server-%d.log" % rnd)
            proc, port, ctx, logf = start_server(cmd, data, log)
            if rnd > 0:
                errors, npods, nsvcs = check(port, ctx, rnd)
                # resume the watch where it was cut; the create check() made after the restart ends what it must show
                resumed = Watcher(port, ctx, watcher.events[-1][2] if watcher.events else rv0, timeout=10,
                                  until="after-%d" % rnd)
                resumed.run()
                if not any(n == "after-%d" % rnd for t, n, r in resumed.events):
                    errors.append("the resumed watch did not reach the create made after the restart")
                errors += check_watch(watcher, resumed, rv0)
                errors += check_namespaces(port, ctx)
                print("round %d: %d pods, %d services after the restart; %d errors" % (rnd, npods, nsvcs,
                                                                                     len(errors)))
                for e in errors[:20]:
                    print("  " + e)
                if errors:
                    failed = True
                    break
            if rnd == args.kills:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
                if proc.returncode != 0:
                    print("server exit code %s on SIGTERM" % proc.returncode)
                    failed = True
                break
            st, lst = req(port, ctx, "GET", NS + "/pods?limit=1")
            expect(st, 200, lst)
            rv0 = lst["metadata"]["resourceVersion"]
            del round_writes[:]
            watcher = Watcher(port, ctx, rv0)
            expect(watcher.status, 200, None)
            watcher.start()
            gone = "gone-%d" % rnd  # a namespace whose deletion the kill may interrupt
            st, o = req(port, ctx, "POST", "/api/v1/namespaces", {"metadata": {"name": gone}})
            expect(st, 201, o)
            for i in range(NS_OBJECTS):
                st, o = req(port, ctx, "POST", "/api/v1/namespaces/%s/configmaps" % gone,
                            {"metadata": {"name": "c%d" % i}, "data": {"a": "b"}})
                expect(st, 201, o)
            writers = [Writer(i, rnd, port, ctx, rng.randrange(1 << 30)) for i in range(args.writers)]
            for w in writers:
                w.start()
            deadline = time.monotonic() + 10
            while sum(w.acks for w in writers) < 50 and time.monotonic() < deadline:
                time.sleep(0.01)  # polling until the load is running, bounded by the deadline
            try:
                st, o = req(port, ctx, "DELETE", "/api/v1/namespaces/" + gone)
                expect(st, 200, o)
                deleted_ns.append(gone)
            except (OSError, http.client.HTTPException):
                pass  # not acknowledged: either outcome is fine
            # the kill lands at a random moment of the load (not synchronisation); every other round right after the
            # namespace's DELETE, while its controller is still at work
            time.sleep(rng.choice([0.0, rng.uniform(0.0, 1.0)]))
            proc.kill()
            proc.wait()
            logf.close()
            for w in writers + [watcher]:
                w.join(30)
                if w.is_alive():
                    print("a writer or the watch did not stop after the kill")
                    failed = True
            print("round %d: %d acknowledged writes before the kill, %d unanswered" %
                  (rnd, sum(w.acks for w in writers), len(unsure)))
            if failed:
                break
    finally:
        cleanup()
        if failed:
            for f in sorted(os.listdir(tmp)):
                if f.endswith(".log"):
                    print("--- %s\n%s" % (f, open(os.path.join(tmp, f)).read()[-3000:]))
        shutil.rmtree(tmp, ignore_errors=True)
    print("namespace deletions the kill interrupted: %d" % interrupted[0])
    print("FAIL" if failed else "ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
