#!/usr/bin/python3
"""Integration tests of big LIST answers: a list of several MiB is read from the bytes the store lends (no copy in
the embedded store), written from the shapes kept by key and revision when the objects were listed before, and
sent from its buffer in slices (kc_httpd_reply_take). Each answer is checked against the parsing path (a GET of
every object), the same list twice byte for byte, selectors that pass only the first or only the second half of
the keys, a Table, paged lists, objects changed, deleted and re-created between lists, the Content-Length over
HTTP/1.1, and clients that leave in the middle of a body. With --etcd (no shape cache: the remote store's bytes
are not known to be stable), stored values the server did not write sit among the others, and a broken one
fails the list as the parsing path does.

Usage: apiserver_big_list_test.py --k8c BUILD/cmd/k8c [--etcd] [-k PATTERN]
Every process started is stopped by PID, also on failure.
"""
import base64
import http.client
import json
import socket
import sys
import urllib.parse

from k8ctest import run_tests

NS = "big"
COUNT = 1100  # about 4.4 KB each: 4.8 MB stored, 19 slices of the reply
BASE = "/api/v1/namespaces/%s/configmaps" % NS
TABLE = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}


def name(i):
    return "cm-%04d" % i


def ensure_objects(cl):
    s, l = cl.req("GET", BASE + "?limit=1")
    if s == 200 and l["items"]:
        return
    s, _ = cl.req("POST", "/api/v1/namespaces", {"metadata": {"name": NS}})
    assert s in (201, 409), s
    c = cl.conn()
    for i in range(COUNT):
        labels = {"half": "first" if i < COUNT // 2 else "second", "mod": str(i % 7)}
        body = {"metadata": {"name": name(i), "labels": labels},
                "data": {"blob": ("%05d" % i) * 800, "u": "\u00e9\u4e2d\"\\\n"}}
        c.request("POST", BASE, json.dumps(body), {"Content-Type": "application/json"})
        r = c.getresponse()
        text = r.read()
        assert r.status == 201, (r.status, text[:300])
    c.close()


def raw_get(cl, path, headers=None):
    """GET over HTTP/1.1: status, headers (lower-cased names), body bytes."""
    c = cl.conn()
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    return r.status, hdrs, body


def get_each(cl, names):
    out = []
    for n in names:
        s, o = cl.req("GET", "%s/%s" % (BASE, n))
        assert s == 200, (n, s, o)
        o.pop("kind", None)
        o.pop("apiVersion", None)
        out.append(o)
    return out


def q(**params):
    return "?" + urllib.parse.urlencode(params)


_parsed = {}


def parsed(cl):
    """Every object as the parsing path gives it, by name (read once)."""
    if not _parsed:
        s, l = cl.req("GET", BASE)
        assert s == 200, s
        for o in get_each(cl, [i["metadata"]["name"] for i in l["items"]]):
            _parsed[o["metadata"]["name"]] = o
    return _parsed


def t_whole_list_is_the_parsing_paths(cl):
    ensure_objects(cl)
    s, h, body = raw_get(cl, BASE)
    assert s == 200, s
    assert int(h["content-length"]) == len(body) and len(body) > 4 << 20, (h.get("content-length"), len(body))
    assert h["content-type"] == "application/json", h
    l = json.loads(body)
    assert l["kind"] == "ConfigMapList" and l["apiVersion"] == "v1", l["kind"]
    names = [i["metadata"]["name"] for i in l["items"]]
    want = parsed(cl)
    assert names == sorted(want), (len(names), names[:3])
    assert [i for i in l["items"]] == [want[n] for n in names]
    assert int(l["metadata"]["resourceVersion"]) >= max(int(o["metadata"]["resourceVersion"]) for o in want.values())
    # the bytes themselves: compact JSON, and the same answer twice (no state left from the last list)
    s2, _, body2 = raw_get(cl, BASE)
    assert s2 == 200 and body2 == body


def t_selectors_on_big_lists(cl):
    ensure_objects(cl)
    want = parsed(cl)
    for sel, pred in (("half=first", lambda o: o["metadata"]["labels"]["half"] == "first"),
                      ("half=second", lambda o: o["metadata"]["labels"]["half"] == "second"),
                      ("mod=3", lambda o: o["metadata"]["labels"]["mod"] == "3"),
                      ("half", lambda o: True), ("nope", lambda o: False)):
        s, h, body = raw_get(cl, BASE + q(labelSelector=sel))
        assert s == 200 and int(h["content-length"]) == len(body), (sel, s)
        l = json.loads(body)
        exp = [want[n] for n in sorted(want) if pred(want[n])]
        assert l["items"] == exp, (sel, len(l["items"]), len(exp))
    s, l = cl.req("GET", BASE + q(fieldSelector="metadata.name=" + name(COUNT - 1)))
    assert s == 200 and [i["metadata"]["name"] for i in l["items"]] == [name(COUNT - 1)], l


def t_table_and_pages(cl):
    ensure_objects(cl)
    want = parsed(cl)
    s, t = cl.req("GET", BASE, headers=TABLE)
    assert s == 200 and t["kind"] == "Table", s
    assert [r["object"]["metadata"]["name"] for r in t["rows"]] == sorted(want)
    for r in t["rows"][:3] + t["rows"][-3:]:
        meta = dict(want[r["object"]["metadata"]["name"]]["metadata"])
        meta.pop("managedFields", None)
        assert r["object"]["metadata"] == meta, (r["object"]["metadata"], meta)
    # two pages: 1,000 objects, then the rest
    s, p1 = cl.req("GET", BASE + q(limit=1000))
    assert s == 200 and len(p1["items"]) == 1000 and p1["metadata"]["continue"], len(p1["items"])
    s, p2 = cl.req("GET", BASE + q(limit=1000, **{"continue": p1["metadata"]["continue"]}))
    assert s == 200 and "continue" not in p2["metadata"], p2["metadata"]
    assert p1["metadata"]["resourceVersion"] == p2["metadata"]["resourceVersion"]
    assert p1["items"] + p2["items"] == [want[n] for n in sorted(want)]


def t_changed_objects_are_listed_as_changed(cl):
    """What a list learnt from an object's bytes is kept by key and revision: a change (new bytes, new revision),
    a delete and a re-create under the same name must all show in the next list."""
    ensure_objects(cl)
    s, _ = cl.req("GET", BASE)  # every object listed (and its shape kept) once
    assert s == 200, s
    for i in (3, COUNT // 2 + 5, COUNT - 2):
        s, o = cl.req("PATCH", "%s/%s" % (BASE, name(i)),
                      {"metadata": {"annotations": {"a": "x" * (i % 50 + 1)}, "labels": {"extra": "yes"}},
                       "data": {"blob": "short"}}, ctype="application/merge-patch+json")
        assert s == 200, (s, o)
    for i in (10, COUNT - 10):
        s, o = cl.req("DELETE", "%s/%s" % (BASE, name(i)))
        assert s == 200, (s, o)
        s, o = cl.req("POST", BASE, {"metadata": {"name": name(i), "labels": {"half": "first", "mod": "x"}},
                                     "data": {"k": "re-created"}})
        assert s == 201, (s, o)
    _parsed.clear()
    want = parsed(cl)
    for query, pred in (("", lambda o: True), (q(labelSelector="extra"), lambda o: "extra" in o["metadata"]["labels"]),
                        (q(labelSelector="mod=x"), lambda o: o["metadata"]["labels"]["mod"] == "x")):
        s, l = cl.req("GET", BASE + query)
        exp = [want[n] for n in sorted(want) if pred(want[n])]
        assert s == 200 and l["items"] == exp, (query, len(l["items"]), len(exp))
    s, t = cl.req("GET", BASE + q(labelSelector="extra"), headers=TABLE)
    assert s == 200 and [r["object"]["metadata"]["name"] for r in t["rows"]] == [
        name(3), name(COUNT // 2 + 5), name(COUNT - 2)], t["rows"]


def t_client_leaves_mid_body(cl):
    ensure_objects(cl)
    # over HTTP/1.1 TLS: read the head and a little of the body, then close; then the server still answers
    ctx = cl.ctx
    for _ in range(3):
        sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", cl.port), timeout=20),
                               server_hostname="127.0.0.1")
        sock.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % BASE).encode())
        got = b""
        while len(got) < 300000:
            chunk = sock.recv(65536)
            assert chunk, len(got)
            got += chunk
        assert got.startswith(b"HTTP/1.1 200"), got[:100]
        sock.close()
    s, l = cl.req("GET", BASE + q(limit=2))
    assert s == 200 and len(l["items"]) == 2, s


def etcd_put(cl, key, value):
    c = http.client.HTTPConnection("127.0.0.1", cl.etcd_port, timeout=10)
    c.request("POST", "/v3/kv/put", json.dumps({"key": base64.b64encode(key.encode()).decode(),
                                                "value": base64.b64encode(value.encode()).decode()}))
    r = c.getresponse()
    r.read()
    c.close()
    assert r.status == 200, r.status


def etcd_delete(cl, key):
    c = http.client.HTTPConnection("127.0.0.1", cl.etcd_port, timeout=10)
    c.request("POST", "/v3/kv/deleterange", json.dumps({"key": base64.b64encode(key.encode()).decode()}))
    r = c.getresponse()
    r.read()
    c.close()
    assert r.status == 200, r.status


def t_odd_stored_values(cl):
    if cl.etcd_port is None:
        return
    ensure_objects(cl)
    prefix = "/registry/configmaps/%s/" % NS
    odd = {  # parsed one by one by the fast path: escaped keys, duplicates, spaces
        "cm-0000a": '{"metadata":{"name":"cm-0000a","labe\\u006cs":{"half":"first"}},"data":{"k":"v"}}',
        "cm-0700a": ' { "metadata" : { "name" : "cm-0700a" , "labels" : { "half" : "second" } } ,'
                    ' "data" : { "k" : "\\ud83d\\ude00" } } ',
        "cm-1099a": '{"metadata":{"name":"cm-1099a","labels":{"half":"first"},"labels":{"half":"second"}}}',
    }
    for n, v in odd.items():
        etcd_put(cl, prefix + n, v)
    try:
        _parsed.clear()
        want = parsed(cl)
        assert all(n in want for n in odd), sorted(set(odd) - set(want))
        s, l = cl.req("GET", BASE)
        assert s == 200 and l["items"] == [want[n] for n in sorted(want)], s
        s, l = cl.req("GET", BASE + q(labelSelector="half=second"))
        exp = [want[n] for n in sorted(want) if want[n]["metadata"].get("labels", {}).get("half") == "second"]
        assert s == 200 and l["items"] == exp, (len(l["items"]), len(exp))
        # a broken value fails the list, as the parsing path does (500)
        etcd_put(cl, prefix + "cm-1000a", '{"metadata":{"name":"cm-1000a"},"data":{"a":"b}')
        for query, hdrs in (("", None), (q(labelSelector="half"), None), ("", TABLE)):
            s, st = cl.req("GET", BASE + query, headers=hdrs)
            assert s == 500 and st["kind"] == "Status", (query, s, st)
    finally:
        for n in list(odd) + ["cm-1000a"]:
            etcd_delete(cl, prefix + n)
        _parsed.clear()


def t_head_of_a_big_list(cl):
    """HEAD answers the GET's headers (Content-Length of the whole list) without the body, and the keep-alive
    connection stays usable: the list's owned-buffer reply must not write the body after a HEAD."""
    ensure_objects(cl)
    c = cl.conn()
    c.request("GET", BASE)
    r = c.getresponse()
    full = r.read()
    c.request("HEAD", BASE)
    r = c.getresponse()
    head_body = r.read()
    assert r.status == 200 and head_body == b"", (r.status, len(head_body))
    assert int(r.getheader("Content-Length")) > 1000000, r.getheader("Content-Length")
    c.request("GET", BASE + "?limit=1")
    r = c.getresponse()
    page = json.loads(r.read())
    assert r.status == 200 and len(page["items"]) == 1 and len(full) > 1000000, (r.status, page.get("kind"))
    c.close()


TESTS = [t_whole_list_is_the_parsing_paths, t_selectors_on_big_lists, t_table_and_pages,
         t_changed_objects_are_listed_as_changed, t_client_leaves_mid_body, t_odd_stored_values,
         t_head_of_a_big_list]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, __doc__, prefix="k8c-biglist-"))
