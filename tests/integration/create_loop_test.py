#!/usr/bin/python3
"""Creates as the API server runs them on its event loop (embedded store: the store write is started there and
the request resumes when it commits; on real etcd they run on a worker): concurrent creates each answered with
their own committed resourceVersion, in the store and in a watch in that order; racing creates of one name (one
201, the rest 409 AlreadyExists); names generated from generateName; a pod's default tolerations; a create
answered as a Table; dry runs and invalid bodies answered at once; a client that leaves before its create commits
(the object is still stored, the server keeps serving)."""
import json
import os
import socket
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from k8ctest import Watch, pod, run_tests  # noqa: E402

NS = "/api/v1/namespaces/default"


def parallel(n, fn):
    out, threads = [None] * n, []

    def run(i):
        out[i] = fn(i)

    for i in range(n):
        threads.append(threading.Thread(target=run, args=(i,)))
        threads[-1].start()
    for t in threads:
        t.join(60)
    return out


def t_concurrent_creates(cl):
    s, l = cl.req("GET", NS + "/configmaps")
    w = Watch(cl, NS + "/configmaps?watch=1&resourceVersion=" + l["metadata"]["resourceVersion"])
    assert w.status == 200, w.status
    n = 64

    def create(i):
        return cl.req("POST", NS + "/configmaps", {"metadata": {"name": "cc-%d" % i}, "data": {"i": str(i)}})

    res = parallel(n, create)
    revs = []
    for i, (s, o) in enumerate(res):
        assert s == 201 and o["metadata"]["name"] == "cc-%d" % i and o["data"] == {"i": str(i)}, (s, o)
        assert o["kind"] == "ConfigMap" and o["metadata"]["uid"] and o["metadata"]["creationTimestamp"], o
        revs.append(int(o["metadata"]["resourceVersion"]))
    assert len(set(revs)) == n, revs
    for i, (s, o) in enumerate(res):  # the reply's resourceVersion is the stored one
        s, g = cl.req("GET", NS + "/configmaps/cc-%d" % i)
        assert s == 200 and g == o, (g, o)
    assert w.wait(n), len(w.events)
    seen = [(e["type"], int(e["object"]["metadata"]["resourceVersion"])) for e in w.events[:n]]
    assert seen == [("ADDED", r) for r in sorted(revs)], seen
    w.close()


def t_racing_creates_of_one_name(cl):
    res = parallel(16, lambda i: cl.req("POST", NS + "/configmaps", {"metadata": {"name": "race"}, "data": {"i": str(i)}}))
    codes = sorted(s for s, _ in res)
    assert codes == [201] + [409] * 15, codes
    for s, o in res:
        if s == 409:
            assert o["kind"] == "Status" and o["reason"] == "AlreadyExists", o
            assert o["message"] == 'configmaps "race" already exists', o
            assert o["details"] == {"name": "race", "kind": "configmaps"}, o
    won = [o for s, o in res if s == 201][0]
    s, g = cl.req("GET", NS + "/configmaps/race")
    assert s == 200 and g["data"] == won["data"], (g, won)


def t_create_as_table(cl):
    acc = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}
    s, t = cl.req("POST", NS + "/pods", pod("tbl"), headers=acc)
    assert s == 201 and t["kind"] == "Table" and len(t["rows"]) == 1, (s, t)
    assert t["rows"][0]["cells"][0] == "tbl", t["rows"][0]
    s, g = cl.req("GET", NS + "/pods/tbl")
    assert s == 200 and t["rows"][0]["object"]["metadata"]["resourceVersion"] == g["metadata"]["resourceVersion"], t


def t_answered_at_once(cl):
    s, o = cl.req("POST", NS + "/configmaps?dryRun=All", {"metadata": {"name": "dry-loop"}})
    assert s == 201 and "resourceVersion" not in o["metadata"], (s, o)
    s, _ = cl.req("GET", NS + "/configmaps/dry-loop")
    assert s == 404, s
    # a dry run still finds a name taken (upstream's DryRunnableStorage.Create), and stores nothing
    s, o = cl.req("POST", NS + "/configmaps", {"metadata": {"name": "dry-taken"}, "data": {"a": "1"}})
    assert s == 201, (s, o)
    s, o = cl.req("POST", NS + "/configmaps?dryRun=All", {"metadata": {"name": "dry-taken"}, "data": {"a": "2"}})
    assert s == 409 and o["reason"] == "AlreadyExists", (s, o)
    assert o["message"] == 'configmaps "dry-taken" already exists', o
    s, g = cl.req("GET", NS + "/configmaps/dry-taken")
    assert s == 200 and g["data"] == {"a": "1"}, (s, g)
    s, o = cl.req("POST", NS + "/configmaps", {"metadata": {"name": "Bad_Name"}})
    assert s == 422 and o["reason"] == "Invalid" and o["details"]["causes"][0]["field"] == "metadata.name", o
    s, o = cl.req("POST", NS + "/configmaps", "{not json")
    assert s == 400 and o["reason"] == "BadRequest", o
    s, o = cl.req("POST", "/api/v1/namespaces/nope/configmaps", {"metadata": {"name": "x"}})
    assert s == 404 and o["reason"] == "NotFound", o


def h2_frame(ftype, flags, stream, payload):
    return len(payload).to_bytes(3, "big") + bytes([ftype, flags]) + stream.to_bytes(4, "big") + payload


def hpack_literal(name, value):
    """A literal header field without indexing, new name (RFC 7541 6.2.2), lengths below 127."""
    n, v = name.encode(), value.encode()
    return b"\x00" + bytes([len(n)]) + n + bytes([len(v)]) + v


def t_client_leaves_before_commit(cl):
    """HTTP/2 creates whose stream the client resets right after sending the body (the request is gone before
    its store write commits; the commit then finds no request to answer), then the connection closes: each
    create still commits (its write was started), and the server keeps answering."""
    ctx = ssl.create_default_context(cafile=os.path.join(cl.tmp, "data", "pki", "ca.crt"))
    ctx.load_cert_chain(os.path.join(cl.tmp, "data", "pki", "admin.crt"), os.path.join(cl.tmp, "data", "pki", "admin.key"))
    ctx.set_alpn_protocols(["h2"])
    names = ["gone-%d" % i for i in range(20)]
    for name in names:
        tls = ctx.wrap_socket(socket.create_connection(("127.0.0.1", cl.port), timeout=10), server_hostname="127.0.0.1")
        assert tls.selected_alpn_protocol() == "h2", tls.selected_alpn_protocol()
        body = json.dumps({"metadata": {"name": name}}).encode()
        headers = b"".join(hpack_literal(k, v) for k, v in (
            (":method", "POST"), (":scheme", "https"), (":path", "/api/v1/namespaces/default/configmaps"),
            (":authority", "127.0.0.1"), ("content-type", "application/json"), ("content-length", str(len(body)))))
        tls.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0, b"") +
                    h2_frame(1, 0x4, 1, headers) + h2_frame(0, 0x1, 1, body) +
                    h2_frame(3, 0, 1, (8).to_bytes(4, "big")))  # RST_STREAM CANCEL
        tls.close()
    deadline = time.monotonic() + 20
    while True:
        s, l = cl.req("GET", NS + "/configmaps")
        missing = set(names) - {o["metadata"]["name"] for o in l["items"]}
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.05)  # polling for a condition with a deadline
    assert not missing, missing
    s, _ = cl.req("GET", "/readyz", raw=True)
    assert s == 200, s


def t_generated_names(cl):
    """metadata.generateName as upstream's SimpleNameGenerator: the prefix and five characters of its alphabet, the
    prefix cut to 58 bytes so that the name fits 63 (also for kinds that allow longer names); concurrent creates of
    one prefix all succeed with their own names."""
    alphabet = set("bcdfghjklmnpqrstvwxz2456789")
    res = parallel(32, lambda i: cl.req("POST", NS + "/configmaps", {"metadata": {"generateName": "gen-"},
                                                                      "data": {"i": str(i)}}))
    assert [s for s, _ in res] == [201] * 32, [(s, o.get("message")) for s, o in res if s != 201]
    names = [o["metadata"]["name"] for _, o in res]
    assert len(set(names)) == 32, names
    for n in names:
        assert n.startswith("gen-") and len(n) == 9 and set(n[4:]) <= alphabet, n
    for _, o in res:
        assert o["metadata"]["generateName"] == "gen-", o["metadata"]
        s, g = cl.req("GET", NS + "/configmaps/" + o["metadata"]["name"])
        assert s == 200 and g["data"] == o["data"], (s, g)
    long_prefix = "a" * 70 + "-"
    s, o = cl.req("POST", NS + "/configmaps", {"metadata": {"generateName": long_prefix}})
    assert s == 201, (s, o)
    n = o["metadata"]["name"]
    assert len(n) == 63 and n[:58] == "a" * 58 and set(n[58:]) <= alphabet, n
    assert o["metadata"]["generateName"] == long_prefix, o["metadata"]


def t_pod_default_tolerations(cl):
    """DefaultTolerationSeconds admission on a create run on the loop: the two NoExecute tolerations (300 s), in
    no manager's managedFields, also in what GET returns."""
    s, o = cl.req("POST", NS + "/pods", pod("tolerant"))
    assert s == 201, (s, o)
    want = [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
             "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
             "tolerationSeconds": 300}]
    assert o["spec"]["tolerations"] == want, o["spec"]
    assert "f:tolerations" not in json.dumps(o["metadata"]["managedFields"]), o["metadata"]["managedFields"]
    s, g = cl.req("GET", NS + "/pods/tolerant")
    assert s == 200 and g["spec"]["tolerations"] == want, (s, g)


TESTS = [t_concurrent_creates, t_racing_creates_of_one_name, t_generated_names, t_pod_default_tolerations,
         t_create_as_table, t_answered_at_once, t_client_leaves_before_commit]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, __doc__, prefix="k8c-create-"))
