#!/usr/bin/python3
"""Integration tests of the API server's paths that avoid parsing: lists filtered by label and field selectors on
the stored bytes, Table lists assembled without encoding the objects, watch events encoded once (an object that
stops matching a selector leaves as DELETED with its previous state and the new resourceVersion), and the
events.k8s.io/v1 Event stored as the core/v1 Event and converted on every read, write, list and watch.

Each answer of a fast path is checked against what the parsing path gives for the same objects: GET of every
object (and the one-object Table GET) through api_obj_get, filtered here with the selector semantics of
k8s.io/apimachinery. With --etcd, stored values the server did not write (escaped keys, duplicate members, broken
JSON) are checked too, and what it writes is seen in etcd: compressed (plain JSON still served, a damaged value a
500 for its key).

Usage: apiserver_perf_paths_test.py --k8c BUILD/cmd/k8c [--etcd] [-k PATTERN]
Every process started is stopped by PID, also on failure.
"""
import base64
import http.client
import json
import sys
import urllib.parse

import k8ctest
from k8ctest import Watch, pod, run_tests

# The shared harness gives events a 1 s TTL (for its expiry test); these tests read events for longer.
_popen = k8ctest.subprocess.Popen


def _popen_long_event_ttl(cmd, *args, **kwargs):
    if isinstance(cmd, list) and "--event-ttl" in cmd:
        cmd = list(cmd)
        cmd[cmd.index("--event-ttl") + 1] = "1h"
    return _popen(cmd, *args, **kwargs)


k8ctest.subprocess.Popen = _popen_long_event_ttl

TABLE = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}
TIME_COLUMNS = ("Age", "Last Seen", "First Seen")  # they tick between two requests


# ------------------------------------------------------------------ apimachinery's selector semantics, for checks

def split_top(s):
    """Splits a selector at the commas outside parentheses."""
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        out.append(cur)
    return [t.strip() for t in out if t.strip()]


def label_match(sel, labels):
    labels = labels or {}
    for req in split_top(sel):
        if " notin " in req or " in " in req:
            neg = " notin " in req
            key, vals = req.split(" notin " if neg else " in ", 1)
            vals = [v.strip() for v in vals.strip()[1:-1].split(",")]
            key = key.strip()
            ok = (key not in labels or labels[key] not in vals) if neg else (key in labels and labels[key] in vals)
        elif "!=" in req:
            key, val = req.split("!=", 1)
            ok = labels.get(key) != val
        elif "==" in req or "=" in req:
            key, val = req.split("==" if "==" in req else "=", 1)
            ok = labels.get(key) == val
        elif req.startswith("!"):
            ok = req[1:] not in labels
        else:
            ok = req in labels
        if not ok:
            return False
    return True


def field_text(obj, path):
    v = obj
    for seg in path.split("."):
        if not isinstance(v, dict):
            return ""
        v = v.get(seg)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return None  # no text: equal to nothing
    return str(v)


def field_match(sel, obj):
    for term in split_top(sel):
        neg = "!=" in term
        field, val = term.split("!=" if neg else ("==" if "==" in term else "="), 1)
        equal = field_text(obj, field) == val
        if equal == neg:
            return False
    return True


def q(**params):
    return "?" + urllib.parse.urlencode(params)


def get_each(cl, base, items):
    """The parsing path's view of every listed object: GET of each (kind and apiVersion dropped, as in lists)."""
    out = []
    for i in items:
        s, o = cl.req("GET", "%s/%s" % (base(i["metadata"].get("namespace")), i["metadata"]["name"]))
        assert s == 200, (s, o)
        o.pop("kind", None)
        o.pop("apiVersion", None)
        out.append(o)
    return out


def key_order(o):
    return (o["metadata"].get("namespace", "") + "/" + o["metadata"]["name"]).encode()


# ------------------------------------------------------------------------------------------------------- lists

NS = ("perf-a", "perf-b")
LABEL_SELECTORS = ["app=web", "app!=web", "tier in (a,b)", "tier notin (a)", "app", "!app", "app=web,tier=b",
                   "app==db", "nope"]
FIELD_SELECTORS = ["metadata.name=p3", "metadata.name!=p3", "spec.nodeName=n1", "spec.nodeName=",
                   "status.phase=Pending", "status.phase!=Pending,spec.nodeName!=n2", "metadata.namespace=perf-b"]


def make_pods(cl):
    for ns in NS:
        s, _ = cl.req("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
        assert s in (201, 409), s
    n = 0
    for ns in NS:
        for i in range(12):
            labels = {}
            if i % 3:
                labels["app"] = "web" if i % 2 else "db"
            if i % 4:
                labels["tier"] = "abc"[i % 3]
            p = pod("p%d" % i, ns, labels)
            if i % 5 == 1:
                p["spec"]["nodeName"] = "n%d" % (i % 3)
            if i == 7:
                p["metadata"]["annotations"] = {"q": '"metadata":{"labels":{"app":"web"}}', "u": "\u00e9\u4e2d\n"}
            s, o = cl.req("POST", "/api/v1/namespaces/%s/pods" % ns, p)
            assert s == 201, (s, o)
            n += 1
    return n


def pod_base(ns):
    return "/api/v1/namespaces/%s/pods" % ns


def check_list(cl, path, all_objs, pred):
    """A list (whole and paged) equals the parsing path's objects that pass pred, in key order."""
    want = sorted((o for o in all_objs if pred(o)), key=key_order)
    sep = "&" if "?" in path else "?"
    s, l = cl.req("GET", path)
    assert s == 200, (path, s, l)
    assert l["items"] == want, (path, [i["metadata"]["name"] for i in l["items"]],
                                [i["metadata"]["name"] for i in want])
    for limit in (1, 2, 5):
        got, cont, rv = [], None, None
        while True:
            s, page = cl.req("GET", path + sep + "limit=%d" % limit + ("&continue=" + cont if cont else ""))
            assert s == 200, (path, limit, page)
            assert len(page["items"]) <= limit, (path, limit, page)
            rv = rv or page["metadata"]["resourceVersion"]
            assert page["metadata"]["resourceVersion"] == rv, (path, limit)
            got += page["items"]
            cont = page["metadata"].get("continue")
            if not cont:
                break
            assert len(page["items"]) == limit, (path, limit, page)
        assert got == want, (path, limit, [i["metadata"]["name"] for i in got])


def t_selector_lists_match_the_parsing_path(cl):
    make_pods(cl)
    s, whole = cl.req("GET", "/api/v1/pods")
    all_objs = get_each(cl, pod_base, [i for i in whole["items"] if i["metadata"]["namespace"] in NS])
    assert len(all_objs) == 24, len(all_objs)
    in_ns = lambda ns: (lambda o: o["metadata"]["namespace"] == ns)
    for ls in LABEL_SELECTORS:
        check_list(cl, pod_base("perf-a") + q(labelSelector=ls), all_objs,
                   lambda o, ls=ls: in_ns("perf-a")(o) and label_match(ls, o["metadata"].get("labels")))
    for fs in FIELD_SELECTORS:
        check_list(cl, pod_base("perf-b") + q(fieldSelector=fs), all_objs,
                   lambda o, fs=fs: in_ns("perf-b")(o) and field_match(fs, o))
    # both kinds at once, across namespaces (the other namespaces' pods are filtered out by the label)
    for lab in ("perf-a", "perf-b"):
        cl.req("PATCH", pod_base(lab) + "/p5", {"metadata": {"labels": {"ns": lab}}},
               ctype="application/merge-patch+json")
    all_objs = [o for o in get_each(cl, pod_base, all_objs)]
    check_list(cl, "/api/v1/pods" + q(labelSelector="ns,app=web", fieldSelector="metadata.name=p5"), all_objs,
               lambda o: label_match("ns,app=web", o["metadata"].get("labels")) and o["metadata"]["name"] == "p5")
    check_list(cl, "/api/v1/pods" + q(labelSelector="ns in (perf-b)"), all_objs,
               lambda o: o["metadata"].get("labels", {}).get("ns") == "perf-b")
    # errors stay as they were
    s, st = cl.req("GET", pod_base("perf-a") + q(fieldSelector="spec.nope=x"))
    assert s == 400 and st["message"] == "field label not supported: spec.nope", st
    s, st = cl.req("GET", pod_base("perf-a") + q(labelSelector="a in ("))
    assert s == 400 and st["kind"] == "Status", st


def t_table_lists_match_one_object_tables(cl):
    s, l = cl.req("GET", pod_base("perf-a"))
    if not l["items"]:
        make_pods(cl)
    for path in (pod_base("perf-a"), pod_base("perf-a") + q(labelSelector="app=web"), "/api/v1/pods?limit=4",
                 "/api/v1/namespaces", "/api/v1/namespaces/perf-a/configmaps"):
        s, t = cl.req("GET", path, headers=TABLE)
        assert s == 200 and t["kind"] == "Table" and t["apiVersion"] == "meta.k8s.io/v1", (path, t)
        s, plain = cl.req("GET", path)
        assert [r["object"]["metadata"]["name"] for r in t["rows"]] == [i["metadata"]["name"] for i in
                                                                       plain["items"]], path
        assert t["metadata"].get("continue", "") != "" or "limit" not in path or len(plain["items"]) < 4, t
        cols = [c["name"] for c in t["columnDefinitions"]]
        for row in t["rows"]:
            meta = row["object"]["metadata"]
            ns = meta.get("namespace")
            base = plain["kind"].replace("List", "").lower() + "s"
            one = "/api/v1/%s%s/%s" % ("namespaces/%s/" % ns if ns else "", base, meta["name"])
            s, t1 = cl.req("GET", one, headers=TABLE)
            assert s == 200 and len(t1["rows"]) == 1, (one, t1)
            assert row["object"] == t1["rows"][0]["object"], (row["object"], t1["rows"][0]["object"])
            assert "managedFields" not in meta and meta["resourceVersion"], meta
            for c, a, b in zip(cols, row["cells"], t1["rows"][0]["cells"]):
                assert c in TIME_COLUMNS or a == b, (one, c, a, b)
    s, t = cl.req("GET", pod_base("perf-a") + q(labelSelector="nope"), headers=TABLE)
    assert s == 200 and t["rows"] == [] and t["columnDefinitions"], t
    s, t = cl.req("GET", "/apis/meta.k8s.io/v1", headers=TABLE)  # not a resource path: unchanged
    assert s == 404, s


def etcd_put(cl, key, value):
    c = http.client.HTTPConnection("127.0.0.1", cl.etcd_port, timeout=10)
    c.request("POST", "/v3/kv/put", json.dumps({"key": base64.b64encode(key.encode()).decode(),
                                                "value": base64.b64encode(value.encode()).decode()}))
    r = c.getresponse()
    r.read()
    c.close()
    assert r.status == 200, r.status


def etcd_keys(cl, prefix):
    c = http.client.HTTPConnection("127.0.0.1", cl.etcd_port, timeout=10)
    end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    c.request("POST", "/v3/kv/range", json.dumps({"key": base64.b64encode(prefix.encode()).decode(),
                                                  "range_end": base64.b64encode(end.encode()).decode(),
                                                  "keys_only": True}))
    r = json.loads(c.getresponse().read())
    c.close()
    return [base64.b64decode(kv["key"]).decode() for kv in r.get("kvs", [])]


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
    # values a foreign writer stored: escaped keys (in labels: read in place; in metadata: parsed), duplicates
    # (the parser keeps the last), arrays where objects are looked up, numbers and escapes of every kind
    odd = {
        "a": '{"metadata":{"name":"a","labels":{"a\\u0062":"x"}},"spec":{"nodeName":"n1","nodeName":"n2"}}',
        "b": '{"metadata":{"name":"b","labe\\u006cs":{"ab":"x"}},"spec":[1]}',
        "c": ' { "metadata" : { "name" : "c" , "labels" : { "ab" : "y" } } , "spec" : { "nodeName" : "n2" } ,'
             ' "status" : { "phase" : "Pending" } , "n" : [ -0 , 1.5e300 , true , null , "\\ud83d\\ude00\\u00e9" ] } ',
        "d": '{"metadata":{"name":"d","labels":{"ab":"x"},"labels":{"ab":"z"}}}',
        "e": '{"kind":"Pod","apiVersion":"v1","metadata":{"name":"e","resourceVersion":"3","labels":{"ab":"x"}},'
             '"spec":{"nodeName":{"x":1}},"status":{"phase":7}}',
    }
    for name, v in odd.items():
        etcd_put(cl, "/registry/pods/odd/" + name, v)
    objs = get_each(cl, lambda ns: "/api/v1/namespaces/odd/pods", [{"metadata": {"name": n}} for n in sorted(odd)])
    for ls in ("ab=x", "ab", "!ab", "ab in (y,z)"):
        check_list(cl, "/api/v1/namespaces/odd/pods" + q(labelSelector=ls), objs,
                   lambda o, ls=ls: label_match(ls, o["metadata"].get("labels")))
    for fs in ("spec.nodeName=n2", "spec.nodeName=", "spec.nodeName!=n1", "status.phase=7", "status.phase=Pending"):
        check_list(cl, "/api/v1/namespaces/odd/pods" + q(fieldSelector=fs), objs, lambda o, fs=fs: field_match(fs, o))
    # one broken value: every list that reads it fails as the parsing path does (500), with or without selectors
    etcd_put(cl, "/registry/pods/odd/f", '{"metadata":{"name":"f","labels":{"ab":"x"}},"spec":{"a":"b}')
    for query in ("", q(labelSelector="ab=x"), q(fieldSelector="metadata.name=f")):
        s, st = cl.req("GET", "/api/v1/namespaces/odd/pods" + query)
        assert s == 500 and st["kind"] == "Status", (query, s, st)
    s, st = cl.req("GET", "/api/v1/namespaces/odd/pods", headers=TABLE)
    assert s == 500, s
    for name in list(odd) + ["f"]:  # the lists of the other tests read these keys too
        etcd_delete(cl, "/registry/pods/odd/" + name)


def etcd_value(cl, key):
    c = http.client.HTTPConnection("127.0.0.1", cl.etcd_port, timeout=10)
    c.request("POST", "/v3/kv/range", json.dumps({"key": base64.b64encode(key.encode()).decode()}))
    r = json.loads(c.getresponse().read())
    c.close()
    kvs = r.get("kvs", [])
    return base64.b64decode(kvs[0].get("value", "")) if kvs else None


def t_stored_compressed(cl):
    """What the API server writes is compressed (docs/apiserver.md "Storage"); plain JSON a foreign or older writer
    stored is served as it is; a damaged compressed value is a 500 for its key, the others are still served."""
    if cl.etcd_port is None:
        return
    s, created = cl.req("POST", "/api/v1/namespaces/default/pods", pod("zipped", labels={"z": "1"}))
    assert s == 201, (s, created)
    key = "/registry/pods/default/zipped"
    v = etcd_value(cl, key)
    assert v[:4] == b"k8z\x01" and len(v) < len(json.dumps(created)), v[:16]
    s, got = cl.req("GET", "/api/v1/namespaces/default/pods/zipped")
    assert s == 200 and got == created, (s, got)
    s, lst = cl.req("GET", "/api/v1/namespaces/default/pods" + q(labelSelector="z=1"))
    assert s == 200 and [i["metadata"]["name"] for i in lst["items"]] == ["zipped"], lst
    # an update is stored compressed too, and its reply and reads agree
    created["metadata"]["labels"]["z"] = "2"
    s, upd = cl.req("PUT", "/api/v1/namespaces/default/pods/zipped", created)
    assert s == 200, (s, upd)
    assert etcd_value(cl, key)[:4] == b"k8z\x01"
    s, got = cl.req("GET", "/api/v1/namespaces/default/pods/zipped")
    assert s == 200 and got == upd, (s, got)
    # the same object as plain JSON (what a k8c before the codec stored): served as it is
    plain = dict(upd)
    plain["metadata"] = {k: v for k, v in upd["metadata"].items() if k != "resourceVersion"}
    etcd_put(cl, key, json.dumps(plain))
    s, got = cl.req("GET", "/api/v1/namespaces/default/pods/zipped")
    assert s == 200 and got["metadata"]["labels"] == {"z": "2"} and got["metadata"]["uid"] == upd["metadata"]["uid"]
    # a damaged compressed value: 500 for GET and for the lists that read it; other keys are unaffected
    s, other = cl.req("POST", "/api/v1/namespaces/default/pods", pod("zipped-ok"))
    assert s == 201, (s, other)
    bad = bytearray(etcd_value(cl, "/registry/pods/default/zipped-ok"))
    bad[len(bad) // 2] ^= 0xFF
    bad[4] = (bad[4] + 3) % 256
    c = http.client.HTTPConnection("127.0.0.1", cl.etcd_port, timeout=10)
    c.request("POST", "/v3/kv/put", json.dumps({"key": base64.b64encode(key.encode()).decode(),
                                                "value": base64.b64encode(bytes(bad)).decode()}))
    assert c.getresponse().status == 200
    c.close()
    s, st = cl.req("GET", "/api/v1/namespaces/default/pods/zipped")
    assert s == 500 and st["kind"] == "Status", (s, st)
    s, st = cl.req("GET", "/api/v1/namespaces/default/pods")
    assert s == 500 and st["kind"] == "Status", (s, st)
    s, got = cl.req("GET", "/api/v1/namespaces/default/pods/zipped-ok")
    assert s == 200 and got == other, (s, got)
    for name in ("zipped", "zipped-ok"):
        etcd_delete(cl, "/registry/pods/default/" + name)


# ------------------------------------------------------------------------------------------------------ watches

def t_watch_left_selector_carries_previous_state(cl):
    base = "/api/v1/namespaces/default/configmaps"
    w = Watch(cl, base + "?watch=1&labelSelector=perf%3Dyes")
    s, o = cl.req("POST", base, {"metadata": {"name": "left", "labels": {"perf": "yes"}}, "data": {"v": "1"}})
    assert s == 201, o
    s, o2 = cl.req("PATCH", base + "/left", {"metadata": {"labels": {"perf": "no"}}, "data": {"v": "2"}},
                   ctype="application/merge-patch+json")
    assert s == 200, o2
    s, o3 = cl.req("PATCH", base + "/left", {"metadata": {"labels": {"perf": "yes"}}, "data": {"v": "3"}},
                   ctype="application/merge-patch+json")
    assert w.wait(3), w.events
    assert [e["type"] for e in w.events[:3]] == ["ADDED", "DELETED", "ADDED"], w.events
    gone = w.events[1]["object"]
    # upstream's watch cache: the object in its last state that matched, at the revision that made it leave
    assert gone["metadata"]["labels"] == {"perf": "yes"} and gone["data"] == {"v": "1"}, gone
    assert gone["metadata"]["resourceVersion"] == o2["metadata"]["resourceVersion"], (gone, o2)
    assert w.events[2]["object"]["data"] == {"v": "3"}, w.events[2]
    w.close()
    # a Table watch sees the same transition, as one-row Tables
    w = Watch(cl, base + "?watch=1&labelSelector=perf%3Dyes&resourceVersion=" + o["metadata"]["resourceVersion"])
    w2 = Watch(cl, base + "?watch=1&labelSelector=perf%3Dyes&resourceVersion=" + o["metadata"]["resourceVersion"])
    assert w.wait(2) and w2.wait(2), (w.events, w2.events)
    assert w.events[:2] == w2.events[:2], (w.events, w2.events)  # the same bytes for every watcher
    assert w.events[0]["object"]["metadata"]["resourceVersion"] == o2["metadata"]["resourceVersion"]
    w.close()
    w2.close()
    c = cl.conn()
    c.request("GET", base + "?watch=1&labelSelector=perf%3Dyes&resourceVersion=" + o["metadata"]["resourceVersion"],
              headers=TABLE)
    r = c.getresponse()
    lines = []
    while len(lines) < 2:
        line = r.readline()
        assert line, lines
        if line.strip():
            lines.append(json.loads(line))
    c.close()
    assert [e["type"] for e in lines] == ["DELETED", "ADDED"], lines
    row = lines[0]["object"]["rows"][0]
    assert row["object"]["metadata"]["labels"] == {"perf": "yes"}, row


# ------------------------------------------------------------------------------------------------------- events

CORE = "/api/v1/namespaces/default/events"
V1 = "/apis/events.k8s.io/v1/namespaces/default/events"
T0 = "2026-01-02T03:04:05Z"


def core_event(name, about, **extra):
    ev = {"metadata": {"name": name, "labels": {"perf": "ev"}},
          "involvedObject": {"kind": "Pod", "name": about, "namespace": "default", "uid": "u-" + about},
          "reason": "Started", "message": "hello " + about, "type": "Normal",
          "source": {"component": "kubelet", "host": "node1"}, "firstTimestamp": T0, "lastTimestamp": T0,
          "count": 3}
    ev.update(extra)
    return ev


def v1_event(name, about):
    return {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": name, "labels": {"perf": "ev"}},
            "eventTime": "2026-01-02T03:04:05.123456Z", "reportingController": "example.com/ctl",
            "reportingInstance": "ctl-1", "action": "Scheduling", "reason": "Scheduled", "type": "Normal",
            "regarding": {"kind": "Pod", "name": about, "namespace": "default"}, "note": "note " + about,
            "related": {"kind": "Node", "name": "node1"}, "series": {"count": 2, "lastObservedTime":
                                                                     "2026-01-02T03:04:06.000000Z"}}


PAIRS = [("note", "message"), ("regarding", "involvedObject"), ("deprecatedSource", "source"),
         ("deprecatedFirstTimestamp", "firstTimestamp"), ("deprecatedLastTimestamp", "lastTimestamp"),
         ("deprecatedCount", "count"), ("reportingController", "reportingComponent")]
SAME = ["eventTime", "series", "related", "action", "reason", "type", "reportingInstance", "metadata"]


def same_event(v1, core):
    """v1 (events.k8s.io) and core are the same object under upstream's field mapping."""
    assert v1["apiVersion"] == "events.k8s.io/v1" and core["apiVersion"] == "v1", (v1, core)
    assert v1["kind"] == core["kind"] == "Event"
    for a, b in PAIRS:
        assert v1.get(a) == core.get(b), (a, v1.get(a), b, core.get(b))
        assert b not in v1 and a not in core, (a, b, v1, core)
    for f in SAME:
        assert v1.get(f) == core.get(f), (f, v1.get(f), core.get(f))


def t_events_one_object_two_versions(cl):
    s, c = cl.req("POST", CORE, core_event("ev-core", "p1"))
    assert s == 201, c
    s, v = cl.req("GET", V1 + "/ev-core")
    assert s == 200, v
    same_event(v, c)
    s, n = cl.req("POST", V1, v1_event("ev-new", "p2"))
    assert s == 201, n
    s, nc = cl.req("GET", CORE + "/ev-new")
    assert s == 200, nc
    same_event(n, nc)
    assert nc["message"] == "note p2" and nc["reportingComponent"] == "example.com/ctl", nc
    # one key space: a name taken through one version is taken in the other
    s, st = cl.req("POST", V1, v1_event("ev-core", "p9"))
    assert s == 409 and st["reason"] == "AlreadyExists", st
    if cl.etcd_port is not None:
        keys = etcd_keys(cl, "/registry/events/default/")
        assert "/registry/events/default/ev-new" in keys and "/registry/events/default/ev-core" in keys, keys
        assert etcd_keys(cl, "/registry/events.k8s.io/") == [], etcd_keys(cl, "/registry/events.k8s.io/")
    # lists: the same objects in either form, each equal to its GET
    for base, other in ((CORE, V1), (V1, CORE)):
        s, l = cl.req("GET", base + "?labelSelector=perf%3Dev")
        assert s == 200 and [i["metadata"]["name"] for i in l["items"]] == ["ev-core", "ev-new"], l
        for i in l["items"]:
            s, o = cl.req("GET", base + "/" + i["metadata"]["name"])
            del o["kind"], o["apiVersion"]
            assert o == i, (o, i)
        s, l2 = cl.req("GET", base)  # plain list (pages of converted bytes)
        assert [i for i in l2["items"] if i["metadata"].get("labels") == {"perf": "ev"}] == l["items"], l2
    s, l = cl.req("GET", "/apis/events.k8s.io/v1/events?labelSelector=perf%3Dev&limit=1")
    assert s == 200 and len(l["items"]) == 1 and l["metadata"].get("continue"), l
    s, l2 = cl.req("GET", "/apis/events.k8s.io/v1/events?labelSelector=perf%3Dev&limit=1&continue=" +
                   l["metadata"]["continue"])
    assert s == 200 and [i["metadata"]["name"] for i in l2["items"]] == ["ev-new"], l2
    # updates through the other version
    s, u = cl.req("PATCH", V1 + "/ev-core", {"metadata": {"labels": {"perf": "ev", "x": "1"}}},
                  ctype="application/merge-patch+json")
    assert s == 200 and u["apiVersion"] == "events.k8s.io/v1" and u["note"] == "hello p1", u
    s, c2 = cl.req("GET", CORE + "/ev-core")
    assert c2["metadata"]["labels"]["x"] == "1" and c2["message"] == "hello p1", c2
    assert c2["metadata"]["resourceVersion"] == u["metadata"]["resourceVersion"]
    s, u2 = cl.req("PATCH", CORE + "/ev-new", {"message": "changed"}, ctype="application/merge-patch+json")
    assert s == 200, u2
    s, n2 = cl.req("GET", V1 + "/ev-new")
    assert n2["note"] == "changed" and "message" not in n2, n2
    # Tables of either version
    for base in (CORE, V1):
        s, t = cl.req("GET", base + "?labelSelector=perf%3Dev", headers=TABLE)
        assert s == 200 and [r["object"]["metadata"]["name"] for r in t["rows"]] == ["ev-core", "ev-new"], t
        cols = [x["name"] for x in t["columnDefinitions"]]
        reasons = [r["cells"][cols.index("Reason")] for r in t["rows"]]
        assert reasons == ["Started", "Scheduled"], reasons


def t_events_field_selectors_on_both_versions(cl):
    s, _ = cl.req("GET", CORE + "/ev-core")
    if s != 200:
        t_events_one_object_two_versions(cl)
    cases = [
        (CORE, "involvedObject.name=p1", ["ev-core"]),
        (CORE, "involvedObject.uid=u-p1,reason=Started", ["ev-core"]),
        (CORE, "source=kubelet", ["ev-core"]),
        (CORE, "source=example.com/ctl", ["ev-new"]),  # no source component: the reporting controller
        (CORE, "reportingComponent=example.com/ctl", ["ev-new"]),
        (CORE, "type=Normal,involvedObject.kind=Pod", ["ev-core", "ev-new"]),
        (V1, "regarding.name=p2", ["ev-new"]),
        (V1, "regarding.name!=p2", ["ev-core"]),
        (V1, "reportingController=example.com/ctl", ["ev-new"]),
        (V1, "source=kubelet", ["ev-core"]),
        (V1, "source=example.com/ctl", ["ev-new"]),
        (V1, "reason=Scheduled,regarding.kind=Pod", ["ev-new"]),
        (V1, "metadata.name=ev-core", ["ev-core"]),
    ]
    for base, fs, want in cases:
        s, l = cl.req("GET", base + q(fieldSelector=fs, labelSelector="perf=ev"))
        assert s == 200 and [i["metadata"]["name"] for i in l["items"]] == want, (base, fs, l)
        s, t = cl.req("GET", base + q(fieldSelector=fs, labelSelector="perf=ev"), headers=TABLE)
        assert s == 200 and [r["object"]["metadata"]["name"] for r in t["rows"]] == want, (base, fs, t)
    for base, fs in ((V1, "involvedObject.name=p1"), (CORE, "regarding.name=p1"), (CORE, "note=x")):
        s, st = cl.req("GET", base + q(fieldSelector=fs))
        assert s == 400 and st["message"] == "field label not supported: " + fs.split("=")[0], (base, fs, st)


def t_events_watch_across_versions(cl):
    s, l = cl.req("GET", CORE)
    rv = l["metadata"]["resourceVersion"]
    w = Watch(cl, V1 + "?watch=1&fieldSelector=regarding.name%3Dp3&resourceVersion=" + rv)
    wc = Watch(cl, CORE + "?watch=1&fieldSelector=involvedObject.name%3Dp3&resourceVersion=" + rv)
    s, c = cl.req("POST", CORE, core_event("ev-w", "p3"))
    assert s == 201, c
    s, u = cl.req("PATCH", CORE + "/ev-w", {"message": "again"}, ctype="application/merge-patch+json")
    assert s == 200, u
    # regarding is immutable through events.k8s.io; core/v1 updates may change it, as upstream
    s, u2 = cl.req("PATCH", CORE + "/ev-w", {"involvedObject": {"name": "p4"}}, ctype="application/merge-patch+json")
    assert s == 200, u2
    cl.req("POST", CORE, core_event("ev-x", "p9"))  # never seen by either watcher
    s, n = cl.req("POST", V1, v1_event("ev-w2", "p3"))
    assert s == 201, n
    s, d = cl.req("DELETE", V1 + "/ev-w2")
    assert s == 200, d
    assert w.wait(5) and wc.wait(5), (w.events, wc.events)
    assert [e["type"] for e in w.events] == ["ADDED", "MODIFIED", "DELETED", "ADDED", "DELETED"], w.events
    assert [e["type"] for e in wc.events] == ["ADDED", "MODIFIED", "DELETED", "ADDED", "DELETED"], wc.events
    for a, b in zip(w.events, wc.events):
        same_event(a["object"], b["object"])
        assert a["object"]["metadata"]["resourceVersion"] == b["object"]["metadata"]["resourceVersion"]
    assert w.events[1]["object"]["note"] == "again", w.events[1]
    left = w.events[2]["object"]  # it stopped matching: its previous state, the new revision
    assert left["regarding"]["name"] == "p3" and left["metadata"]["resourceVersion"] == \
        u2["metadata"]["resourceVersion"], (left, u2)
    w.close()
    wc.close()
    # the synthetic ADDED events of a watch without resourceVersion are converted and selected too
    w = Watch(cl, V1 + "?watch=1&fieldSelector=reportingController%3Dexample.com%2Fctl")
    assert w.wait(1), w.events
    assert all(e["type"] == "ADDED" and e["object"]["reportingController"] == "example.com/ctl" and
               e["object"]["apiVersion"] == "events.k8s.io/v1" for e in w.events), w.events
    assert "ev-new" in [e["object"]["metadata"]["name"] for e in w.events], w.events
    w.close()


TESTS = [v for k, v in list(globals().items()) if k.startswith("t_")]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, __doc__, prefix="k8c-apiperf-"))
