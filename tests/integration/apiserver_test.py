#!/usr/bin/python3
"""Integration tests of the API server over HTTPS: `k8c server` started on 127.0.0.1 with a free port and a temp
data dir, driven with plain HTTP requests (client certificate from the generated PKI, or a bearer token), every
verb and error case of docs/apiserver.md, watches included. Optionally against a real etcd (--etcd): the API
server then runs as `k8c apiserver --etcd-servers`.

Usage: apiserver_test.py --k8c BUILD/cmd/k8c [--etcd] [-k PATTERN]
Every process started is stopped by PID, also on failure.
"""
import base64
import http.client
import json
import sys
import time

from k8ctest import Watch, pod, run_tests


def t_version_and_health(cl):
    s, v = cl.req("GET", "/version", anon=True)
    assert s == 200 and v["major"] == "1" and v["minor"] == "33" and v["gitVersion"].startswith("v1.33.0+k8c"), v
    s, v = cl.req("GET", "/version/", anon=True)
    assert s == 200, s
    for p in ("/healthz", "/livez", "/readyz"):
        s, t = cl.req("GET", p, anon=True, raw=True)
        assert s == 200 and t == b"ok", (p, s, t)


def t_authentication(cl):
    s, st = cl.req("GET", "/api/v1/namespaces", anon=True)
    assert s == 401 and st["kind"] == "Status" and st["reason"] == "Unauthorized", (s, st)
    s, st = cl.req("GET", "/api/v1/namespaces", anon=True, headers={"Authorization": "Bearer secret-token"})
    assert s == 200, (s, st)
    s, st = cl.req("GET", "/api/v1/namespaces", anon=True, headers={"Authorization": "Bearer wrong"})
    assert s == 401, s


def t_default_namespaces(cl):
    s, l = cl.req("GET", "/api/v1/namespaces")
    names = sorted(i["metadata"]["name"] for i in l["items"])
    assert s == 200 and l["kind"] == "NamespaceList", l
    for n in ("default", "kube-node-lease", "kube-public", "kube-system"):
        assert n in names, names
    assert int(l["metadata"]["resourceVersion"]) > 0


def t_discovery(cl):
    s, d = cl.req("GET", "/api")
    assert s == 200 and d["versions"] == ["v1"], d
    s, d = cl.req("GET", "/apis")
    groups = [g["name"] for g in d["groups"]]
    for g in ("apps", "batch", "networking.k8s.io", "coordination.k8s.io", "storage.k8s.io", "autoscaling"):
        assert g in groups, groups
    s, d = cl.req("GET", "/api/v1")
    pods = [r for r in d["resources"] if r["name"] == "pods"][0]
    assert pods["shortNames"] == ["po"] and pods["namespaced"] and "watch" in pods["verbs"], pods
    assert any(r["name"] == "pods/status" for r in d["resources"])
    s, d = cl.req("GET", "/apis/apps/v1")
    scale = [r for r in d["resources"] if r["name"] == "deployments/scale"][0]
    assert scale["group"] == "autoscaling" and scale["kind"] == "Scale", scale
    for g in d["resources"]:
        assert g["name"]
    s, d = cl.req("GET", "/apis/nope/v1")
    assert s == 404, s


def t_create_get_conflict(cl):
    s, p = cl.req("POST", "/api/v1/namespaces/default/pods", pod("p1", labels={"app": "web"}))
    assert s == 201, (s, p)
    m = p["metadata"]
    assert m["uid"] and m["creationTimestamp"].endswith("Z") and int(m["resourceVersion"]) > 0, m
    assert p["spec"]["restartPolicy"] == "Always" and p["spec"]["dnsPolicy"] == "ClusterFirst", p["spec"]
    assert p["status"]["phase"] == "Pending"
    s, g = cl.req("GET", "/api/v1/namespaces/default/pods/p1")
    assert s == 200 and g["metadata"]["uid"] == m["uid"] and g["kind"] == "Pod", g
    s, st = cl.req("POST", "/api/v1/namespaces/default/pods", pod("p1"))
    assert s == 409 and st["reason"] == "AlreadyExists" and st["message"] == 'pods "p1" already exists', st
    s, st = cl.req("GET", "/api/v1/namespaces/default/pods/nope")
    assert s == 404 and st["reason"] == "NotFound" and st["message"] == 'pods "nope" not found', st
    assert st["details"] == {"name": "nope", "kind": "pods"}, st


def t_create_without_type_and_generate_name(cl):
    body = {"metadata": {"generateName": "gen-"}, "spec": {"containers": [{"name": "c", "image": "x"}]}}
    s, p = cl.req("POST", "/api/v1/namespaces/default/pods", body)
    assert s == 201 and p["metadata"]["name"].startswith("gen-") and len(p["metadata"]["name"]) == 9, p
    assert p["kind"] == "Pod" and p["apiVersion"] == "v1"


def t_namespace_mismatch_and_missing(cl):
    s, st = cl.req("POST", "/api/v1/namespaces/default/pods", pod("x", ns="other"))
    assert s == 400 and st["reason"] == "BadRequest", st
    s, st = cl.req("POST", "/api/v1/namespaces/missing/pods", pod("x", ns="missing"))
    assert s == 404 and st["message"] == 'namespaces "missing" not found', st


def t_invalid(cl):
    bad = pod("Bad_Name")
    bad["spec"]["containers"][0]["image"] = ""
    s, st = cl.req("POST", "/api/v1/namespaces/default/pods", bad)
    assert s == 422 and st["reason"] == "Invalid", st
    fields = [c["field"] for c in st["details"]["causes"]]
    assert "metadata.name" in fields, fields
    assert st["details"]["kind"] == "Pod" and st["message"].startswith('Pod "Bad_Name" is invalid: '), st


def t_update_and_stale(cl):
    s, p = cl.req("GET", "/api/v1/namespaces/default/pods/p1")
    p["metadata"]["labels"]["tier"] = "front"
    rv = p["metadata"]["resourceVersion"]
    s, u = cl.req("PUT", "/api/v1/namespaces/default/pods/p1", p)
    assert s == 200 and u["metadata"]["labels"]["tier"] == "front" and u["metadata"]["resourceVersion"] != rv, u
    s, st = cl.req("PUT", "/api/v1/namespaces/default/pods/p1", p)  # the old resourceVersion again
    assert s == 409 and st["reason"] == "Conflict", st
    assert "the object has been modified" in st["message"], st


def t_status_subresource(cl):
    s, p = cl.req("GET", "/api/v1/namespaces/default/pods/p1")
    p["status"] = {"phase": "Running", "podIP": "10.244.0.5"}
    p["metadata"]["labels"]["ignored"] = "yes"
    s, u = cl.req("PUT", "/api/v1/namespaces/default/pods/p1/status", p)
    assert s == 200 and u["status"]["phase"] == "Running" and "ignored" not in u["metadata"]["labels"], u
    s, g = cl.req("GET", "/api/v1/namespaces/default/pods/p1")
    g["status"] = {"phase": "Failed"}
    s, u = cl.req("PUT", "/api/v1/namespaces/default/pods/p1", g)
    assert s == 200 and u["status"]["phase"] == "Running", u  # the main endpoint ignores .status


def t_merge_patch(cl):
    s, u = cl.req("PATCH", "/api/v1/namespaces/default/pods/p1", {"metadata": {"labels": {"tier": None, "x": "y"}}},
                  ctype="application/merge-patch+json")
    assert s == 200 and "tier" not in u["metadata"]["labels"] and u["metadata"]["labels"]["x"] == "y", u
    s, st = cl.req("PATCH", "/api/v1/namespaces/default/pods/p1", {"a": 1}, ctype="text/plain")
    assert s == 415 and st["reason"] == "UnsupportedMediaType", st
    s, u = cl.req("PATCH", "/api/v1/namespaces/default/pods/p1",
                  [{"op": "replace", "path": "/metadata/labels/x", "value": "z"}],
                  ctype="application/json-patch+json")
    assert s == 200 and u["metadata"]["labels"]["x"] == "z", u


def t_binding(cl):
    cl.req("POST", "/api/v1/namespaces/default/pods", pod("bindme"))
    b = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "bindme"},
         "target": {"apiVersion": "v1", "kind": "Node", "name": "n1"}}
    s, st = cl.req("POST", "/api/v1/namespaces/default/pods/bindme/binding", b)
    assert s == 201 and st["status"] == "Success", (s, st)
    s, p = cl.req("GET", "/api/v1/namespaces/default/pods/bindme")
    assert p["spec"]["nodeName"] == "n1", p["spec"]
    s, st = cl.req("POST", "/api/v1/namespaces/default/pods/bindme/binding", b)
    assert s == 409, (s, st)


def t_graceful_pod_delete(cl):
    s, p = cl.req("DELETE", "/api/v1/namespaces/default/pods/bindme", {"gracePeriodSeconds": 30})
    assert s == 200 and p["metadata"]["deletionTimestamp"] and p["metadata"]["deletionGracePeriodSeconds"] == 30, p
    s, p = cl.req("GET", "/api/v1/namespaces/default/pods/bindme")
    assert s == 200, s  # still there: the kubelet (or a zero grace period) removes it
    s, p = cl.req("DELETE", "/api/v1/namespaces/default/pods/bindme", {"gracePeriodSeconds": 0})
    s, p = cl.req("GET", "/api/v1/namespaces/default/pods/bindme")
    assert s == 404, s


def t_finalizers(cl):
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fin", "finalizers": ["example.com/x"]},
          "data": {"a": "b"}}
    s, c = cl.req("POST", "/api/v1/namespaces/default/configmaps", cm)
    assert s == 201, c
    s, c = cl.req("DELETE", "/api/v1/namespaces/default/configmaps/fin")
    assert s == 200 and c["metadata"]["deletionTimestamp"], c
    s, c = cl.req("GET", "/api/v1/namespaces/default/configmaps/fin")
    assert s == 200, s
    s, c = cl.req("PATCH", "/api/v1/namespaces/default/configmaps/fin", {"metadata": {"finalizers": None}},
                  ctype="application/merge-patch+json")
    assert s == 200, (s, c)
    s, c = cl.req("GET", "/api/v1/namespaces/default/configmaps/fin")
    assert s == 404, (s, c)


def t_list_selectors_and_paging(cl):
    for i in range(7):
        cl.req("POST", "/api/v1/namespaces/default/configmaps",
               {"metadata": {"name": "cm%d" % i, "labels": {"n": str(i % 2)}}, "data": {"i": str(i)}})
    s, l = cl.req("GET", "/api/v1/namespaces/default/configmaps?labelSelector=n%3D1")
    assert s == 200 and sorted(i["metadata"]["name"] for i in l["items"]) == ["cm1", "cm3", "cm5"], l
    assert "kind" not in l["items"][0], l["items"][0]
    s, l = cl.req("GET", "/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dcm4")
    assert [i["metadata"]["name"] for i in l["items"]] == ["cm4"], l
    s, st = cl.req("GET", "/api/v1/namespaces/default/configmaps?fieldSelector=spec.nope%3Dx")
    assert s == 400 and "field label not supported" in st["message"], st
    s, st = cl.req("GET", "/api/v1/namespaces/default/configmaps?labelSelector=a%20in%20(")
    assert s == 400, st
    names, cont, rv = [], None, None
    s, whole = cl.req("GET", "/api/v1/namespaces/default/configmaps")
    while True:
        q = "/api/v1/namespaces/default/configmaps?limit=3" + ("&continue=" + cont if cont else "")
        s, l = cl.req("GET", q)
        assert s == 200, l
        names += [i["metadata"]["name"] for i in l["items"]]
        rv = rv or l["metadata"]["resourceVersion"]
        assert l["metadata"]["resourceVersion"] == rv  # one snapshot across pages
        cont = l["metadata"].get("continue")
        # upstream's remainingItemCount: what the snapshot holds after this page (only while a page follows)
        if cont:
            assert l["metadata"].get("remainingItemCount") == len(whole["items"]) - len(names), (l["metadata"], names)
        else:
            assert "remainingItemCount" not in l["metadata"], l["metadata"]
        if not cont:
            break
        cl.req("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "late-" + str(len(names))}})
    # a Table page says the same as the list's (upstream copies its ListMeta)
    s, t = cl.req("GET", "/api/v1/namespaces/default/configmaps?limit=2",
                  headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})
    s2, l = cl.req("GET", "/api/v1/namespaces/default/configmaps?limit=2")
    assert s == 200 and t["kind"] == "Table" and len(t["rows"]) == 2, t
    assert t["metadata"]["remainingItemCount"] == l["metadata"]["remainingItemCount"] > 0, (t["metadata"], l["metadata"])
    assert [n for n in names if n.startswith("cm")] == ["cm%d" % i for i in range(7)], names
    assert not any(n.startswith("late-") for n in names), names
    s, l = cl.req("GET", "/api/v1/configmaps")  # across namespaces
    assert s == 200 and any(i["metadata"]["namespace"] == "default" for i in l["items"]), l


def etcd_put(cl, key, value):
    c = http.client.HTTPConnection("127.0.0.1", cl.etcd_port, timeout=10)
    c.request("POST", "/v3/kv/put", json.dumps({"key": base64.b64encode(key.encode()).decode(),
                                                "value": base64.b64encode(value.encode()).decode()}))
    r = c.getresponse()
    r.read()
    c.close()
    assert r.status == 200, r.status


def t_list_fast_path_matches_slow_path(cl):
    # A plain list is assembled from the stored bytes; a selector that matches everything takes the jansson path.
    # Both must give the same JSON: items without kind/apiVersion, each with its resourceVersion, same pages.
    tricky = {"q": '"metadata":{"resourceVersion":"1"},"kind":"x"', "u": "\u00e9\u4e2d\n\t\\ \"}]",
              "kind": "Pod", "apiVersion": "v9"}
    for i in range(5):
        s, _ = cl.req("POST", "/api/v1/namespaces/default/configmaps",
                      {"metadata": {"name": "fast%d" % i, "labels": {"a": "b"}, "annotations": {"x": "{\"y\":[1]}"}},
                       "data": tricky})
        assert s == 201, s
    base = "/api/v1/namespaces/default/configmaps"
    slow = "fieldSelector=metadata.namespace%3Ddefault"
    s, fast_l = cl.req("GET", base)
    s2, slow_l = cl.req("GET", base + "?" + slow)
    assert s == 200 and s2 == 200 and fast_l == slow_l, (fast_l, slow_l)
    assert fast_l["kind"] == "ConfigMapList" and fast_l["apiVersion"] == "v1", fast_l
    assert len(fast_l["items"]) >= 5 and all("kind" not in i and "apiVersion" not in i for i in fast_l["items"])
    for i in fast_l["items"]:
        s, o = cl.req("GET", base + "/" + i["metadata"]["name"])
        assert s == 200 and o["metadata"]["resourceVersion"] == i["metadata"]["resourceVersion"], (o, i)
        del o["kind"], o["apiVersion"]
        assert o == i, (o, i)
    rv = fast_l["metadata"]["resourceVersion"]
    cl.req("POST", base, {"metadata": {"name": "fast-late"}})
    for q in ("resourceVersion=%s&resourceVersionMatch=Exact" % rv, "resourceVersion=0", "resourceVersion=" + rv,
              "resourceVersion=99999999&resourceVersionMatch=Exact", "continue=bad", "limit=x"):
        s, f = cl.req("GET", base + "?" + q)
        s2, sl = cl.req("GET", base + "?" + q + "&" + slow)
        assert s == s2 and f == sl, (q, s, f, s2, sl)
    s, f = cl.req("GET", base + "?resourceVersion=%s&resourceVersionMatch=Exact" % rv)
    assert s == 200 and f["items"] == fast_l["items"], f  # the old snapshot: without fast-late
    for limit in (1, 2, 3, 1000):
        fc = sc = None
        pages, names = 0, []
        s, whole = cl.req("GET", base)
        while True:
            s, f = cl.req("GET", base + "?limit=%d" % limit + ("&continue=" + fc if fc else ""))
            s2, sl = cl.req("GET", base + "?limit=%d&" % limit + slow + ("&continue=" + sc if sc else ""))
            # with a selector there is no remainingItemCount (upstream counts only what no predicate filters)
            assert "remainingItemCount" not in sl["metadata"], sl["metadata"]
            remaining = f["metadata"].pop("remainingItemCount", None)
            assert remaining == (len(whole["items"]) - len(names) - len(f["items"]) if "continue" in f["metadata"]
                                 else None), (limit, pages, remaining, f["metadata"])
            assert s == 200 and s2 == 200 and f == sl, (limit, pages, f, sl)
            assert len(f["items"]) <= limit, f
            names += [i["metadata"]["name"] for i in f["items"]]
            pages += 1
            fc, sc = f["metadata"].get("continue"), sl["metadata"].get("continue")
            if not fc:
                break
            if pages == 1:
                cl.req("POST", base, {"metadata": {"name": "fast-later%d" % limit}})  # not in this snapshot
        assert names == [i["metadata"]["name"] for i in whole["items"]], (limit, names, whole)
        assert pages == (len(names) + limit - 1) // limit, (limit, pages, len(names))
    s, f = cl.req("GET", "/api/v1/configmaps")  # across namespaces
    s2, sl = cl.req("GET", "/api/v1/configmaps?labelSelector=%21nope")
    assert s == 200 and f == sl and any(i["metadata"]["namespace"] == "default" for i in f["items"]), f
    if cl.etcd_port is None:
        return
    # Stored values that are not written by the server: other key orders, spaces, no metadata, a stored
    # resourceVersion, escaped keys, broken JSON. Each namespace's list must equal the jansson path's answer.
    odd = ['{"metadata":{"name":"a","namespace":"odd0","resourceVersion":"5","uid":"u"},"kind":"ConfigMap",'
           '"data":{"x":"1"},"apiVersion":"v1"}',
           ' { "apiVersion" : "v1" , "data" : { "y" : [ 1, 2.5e3, true, null, {} , [] ] } } \n',
           '{"kin\\u0064":"ConfigMap","metadata":{"name":"c","resourceVers\\u0069on":"7"}}',
           '{"metadata":{"name":"d"},"data":{}}{}',
           '{"metadata":{"name":"e"},"data":{"a":"b}',
           '{"metadata":"e"}',
           '[1]',
           '{"metadata":{},"metadata":{"name":"f"}}']
    for n, v in enumerate(odd):
        etcd_put(cl, "/registry/configmaps/odd%d/x" % n, v)
        b = "/api/v1/namespaces/odd%d/configmaps" % n
        s, f = cl.req("GET", b)
        s2, sl = cl.req("GET", b + "?fieldSelector=metadata.name!%3Dnope")
        assert s == s2 and f == sl, (v, s, f, s2, sl)
        if n < 3:
            assert s == 200 and len(f["items"]) == 1 and "kind" not in f["items"][0], (v, f)
            assert f["items"][0]["metadata"]["resourceVersion"] != "5", f


def t_table(cl):
    s, t = cl.req("GET", "/api/v1/namespaces/default/pods",
                  headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"})
    assert s == 200 and t["kind"] == "Table" and t["apiVersion"] == "meta.k8s.io/v1", t
    assert t["columnDefinitions"][0]["name"] == "Name" and t["metadata"]["resourceVersion"], t["columnDefinitions"]
    row = t["rows"][0]
    assert row["object"]["kind"] == "PartialObjectMetadata" and row["object"]["metadata"]["name"], row
    assert len(row["cells"]) == len(t["columnDefinitions"]), row


def t_watch(cl):
    s, l = cl.req("GET", "/api/v1/namespaces/default/configmaps")
    rv = l["metadata"]["resourceVersion"]
    w = Watch(cl, "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=" + rv)
    assert w.status == 200
    cl.req("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "w1"}, "data": {"a": "1"}})
    cl.req("PATCH", "/api/v1/namespaces/default/configmaps/w1", {"data": {"a": "2"}},
           ctype="application/merge-patch+json")
    cl.req("DELETE", "/api/v1/namespaces/default/configmaps/w1")
    assert w.wait(3), w.events
    types = [e["type"] for e in w.events[:3]]
    assert types == ["ADDED", "MODIFIED", "DELETED"], w.events
    revs = [int(e["object"]["metadata"]["resourceVersion"]) for e in w.events[:3]]
    assert revs == sorted(revs) and len(set(revs)) == 3, revs
    w.close()


def t_watch_synthetic_added_and_selector_transitions(cl):
    w = Watch(cl, "/api/v1/namespaces/default/configmaps?watch=1&labelSelector=sel%3Dyes")
    cl.req("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "t1", "labels": {"sel": "no"}}})
    cl.req("PATCH", "/api/v1/namespaces/default/configmaps/t1", {"metadata": {"labels": {"sel": "yes"}}},
           ctype="application/merge-patch+json")
    cl.req("PATCH", "/api/v1/namespaces/default/configmaps/t1", {"metadata": {"labels": {"sel": "no"}}},
           ctype="application/merge-patch+json")
    assert w.wait(2), w.events
    assert [e["type"] for e in w.events[:2]] == ["ADDED", "DELETED"], w.events
    w.close()
    # resourceVersion "" lists first: every existing object arrives as ADDED
    s, l = cl.req("GET", "/api/v1/namespaces/default/configmaps")
    w = Watch(cl, "/api/v1/namespaces/default/configmaps?watch=true")
    assert w.wait(len(l["items"])), (len(w.events), len(l["items"]))
    assert all(e["type"] == "ADDED" for e in w.events)
    w.close()


def t_watch_too_old(cl):
    # compact the store through a big number of writes is slow; use resourceVersion 1 after a compaction on etcd
    # is not reachable from the API, so this checks the shape of the error with an impossible (future) revision.
    s, l = cl.req("GET", "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=abc")
    assert s == 400, (s, l)


def t_watchlist(cl):
    w = Watch(cl, "/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&"
                  "resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true")
    s, l = cl.req("GET", "/api/v1/namespaces/default/configmaps")
    assert w.wait(len(l["items"]) + 1), w.events
    last = w.events[len(l["items"])]
    assert last["type"] == "BOOKMARK", last
    assert last["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"] == "true", last
    w.close()


def t_watch_initial_events_beyond_send_buffer(cl):
    # 24 ConfigMaps of 900 KB: 21 MB of initial events, more than a watch may hold unsent (16 MiB). They go out
    # as the client reads them (the watch stops at its high-water mark and goes on when the stream drains), so
    # the watch is not cut off as too slow; the initial-events-end bookmark comes last, then new events.
    cl.req("POST", "/api/v1/namespaces", {"metadata": {"name": "bigwatch"}})
    blob = "x" * (900 * 1024)
    for i in range(24):
        s, b = cl.req("POST", "/api/v1/namespaces/bigwatch/configmaps",
                      {"metadata": {"name": "big%d" % i}, "data": {"blob": blob}})
        assert s == 201, (s, b)
    w = Watch(cl, "/api/v1/namespaces/bigwatch/configmaps?watch=true&sendInitialEvents=true&"
                  "resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true")
    assert w.wait(25, timeout=60), len(w.events)
    assert all(e["type"] == "ADDED" for e in w.events[:24]), [(e["type"], e["object"].get("message")) for e in w.events]
    assert sorted(e["object"]["metadata"]["name"] for e in w.events[:24]) == sorted("big%d" % i for i in range(24))
    assert all(e["type"] == "ADDED" and len(e["object"]["data"]["blob"]) == len(blob) for e in w.events[:24])
    assert w.events[24]["type"] == "BOOKMARK", w.events[24]["type"]
    cl.req("POST", "/api/v1/namespaces/bigwatch/configmaps", {"metadata": {"name": "after"}})
    assert w.wait(26), len(w.events)
    assert w.events[25]["type"] == "ADDED" and w.events[25]["object"]["metadata"]["name"] == "after"
    w.close()
    cl.req("DELETE", "/api/v1/namespaces/bigwatch")


def t_watch_left_behind_by_the_ring_gets_410(cl):
    # A watcher that does not read stops at its high-water mark; the events wait in the cache's ring. 80
    # updates of a 900 KB ConfigMap are more than the ring keeps (64 MiB of event texts), so when the client
    # reads again it gets what was queued for it, then 410 Expired (it must re-list), then the end.
    cl.req("POST", "/api/v1/namespaces", {"metadata": {"name": "behind"}})
    s, cm = cl.req("POST", "/api/v1/namespaces/behind/configmaps", {"metadata": {"name": "big"}, "data": {"b": "0"}})
    assert s == 201, (s, cm)
    c = cl.conn()
    c.request("GET", "/api/v1/namespaces/behind/configmaps?watch=true&resourceVersion=" +
              cm["metadata"]["resourceVersion"])
    r = c.getresponse()
    assert r.status == 200
    for i in range(80):
        s, b = cl.req("PUT", "/api/v1/namespaces/behind/configmaps/big",
                      {"metadata": {"name": "big"}, "data": {"b": chr(97 + i % 26) * (900 * 1024)}})
        assert s == 200, (s, b)
    events = []
    while True:  # the server ends the stream after the ERROR event; c's timeout bounds a hang
        line = r.readline()
        if not line:
            break
        if line.strip():
            events.append(json.loads(line))
    c.close()
    assert events and events[-1]["type"] == "ERROR", [e["type"] for e in events]
    assert events[-1]["object"]["code"] == 410, events[-1]["object"]
    assert all(e["type"] == "MODIFIED" for e in events[:-1]) and len(events) - 1 < 80, len(events)
    cl.req("DELETE", "/api/v1/namespaces/behind")


def t_service_cluster_ip(cl):
    svc = {"metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}
    s, a = cl.req("POST", "/api/v1/namespaces/default/services", svc)
    assert s == 201 and a["spec"]["type"] == "ClusterIP" and a["spec"]["clusterIP"].startswith("10."), a
    assert a["spec"]["ports"][0]["targetPort"] == 80 and a["spec"]["ports"][0]["protocol"] == "TCP", a
    svc2 = {"metadata": {"name": "np"}, "spec": {"type": "NodePort", "ports": [{"port": 81}]}}
    s, b = cl.req("POST", "/api/v1/namespaces/default/services", svc2)
    assert s == 201 and 30000 <= b["spec"]["ports"][0]["nodePort"] <= 32767, b
    assert b["spec"]["clusterIP"] != a["spec"]["clusterIP"]
    svc3 = {"metadata": {"name": "dup"}, "spec": {"clusterIP": a["spec"]["clusterIP"], "ports": [{"port": 80}]}}
    s, st = cl.req("POST", "/api/v1/namespaces/default/services", svc3)
    assert s == 422 and "already allocated" in st["message"], st


def t_scale(cl):
    d = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
         "spec": {"selector": {"matchLabels": {"app": "web"}},
                  "template": {"metadata": {"labels": {"app": "web"}},
                               "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    s, dep = cl.req("POST", "/apis/apps/v1/namespaces/default/deployments", d)
    assert s == 201 and dep["spec"]["replicas"] == 1 and dep["metadata"]["generation"] == 1, dep
    s, sc = cl.req("GET", "/apis/apps/v1/namespaces/default/deployments/web/scale")
    assert s == 200 and sc["kind"] == "Scale" and sc["spec"]["replicas"] == 1, sc
    s, sc = cl.req("PATCH", "/apis/apps/v1/namespaces/default/deployments/web/scale", {"spec": {"replicas": 3}},
                   ctype="application/merge-patch+json")
    assert s == 200 and sc["spec"]["replicas"] == 3 and sc["apiVersion"] == "autoscaling/v1", sc
    s, dep = cl.req("GET", "/apis/apps/v1/namespaces/default/deployments/web")
    assert dep["spec"]["replicas"] == 3 and dep["metadata"]["generation"] == 2, dep


def t_dry_run(cl):
    s, c = cl.req("POST", "/api/v1/namespaces/default/configmaps?dryRun=All", {"metadata": {"name": "dry"}})
    assert s == 201, c
    s, c = cl.req("GET", "/api/v1/namespaces/default/configmaps/dry")
    assert s == 404, s


def t_namespace_terminating(cl):
    s, n = cl.req("POST", "/api/v1/namespaces", {"metadata": {"name": "doomed"}})
    assert s == 201 and n["status"]["phase"] == "Active", n
    s, c = cl.req("POST", "/api/v1/namespaces/doomed/configmaps", {"metadata": {"name": "c"}})
    assert s == 201, c  # (the server now remembers doomed as Active, until its record changes)
    s, n = cl.req("DELETE", "/api/v1/namespaces/doomed")
    assert s == 200 and n["status"]["phase"] == "Terminating", n
    s, st = cl.req("POST", "/api/v1/namespaces/doomed/configmaps", {"metadata": {"name": "d"}})
    assert s == 403 and st["reason"] == "Forbidden", st
    # the namespace controller empties it, then it is gone
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        s, _ = cl.req("GET", "/api/v1/namespaces/doomed")
        if s == 404:
            break
        time.sleep(0.05)  # polling for the controller's work, bounded by the deadline
    assert s == 404, "namespace doomed still there"
    s, l = cl.req("GET", "/api/v1/namespaces/doomed/configmaps")
    assert s == 200 and l["items"] == [], l


def t_errors_are_status(cl):
    s, st = cl.req("GET", "/api/v1/nothings")
    assert s == 404 and st["kind"] == "Status", st
    s, st = cl.req("POST", "/api/v1/namespaces/default/pods", "{not json")
    assert s == 400 and st["kind"] == "Status", st
    s, st = cl.req("POST", "/api/v1/namespaces/default/pods", "x" * (4 * 1024 * 1024))
    assert s == 413, s


def t_event_ttl(cl):
    ev = {"metadata": {"name": "ev1"}, "involvedObject": {"kind": "Pod", "name": "p1", "namespace": "default"},
          "reason": "Test", "message": "hello", "type": "Normal", "source": {"component": "test"}}
    s, e = cl.req("POST", "/api/v1/namespaces/default/events", ev)
    assert s == 201, (s, e)
    s, e = cl.req("GET", "/api/v1/namespaces/default/events/ev1")
    assert s == 200, s
    deadline = time.monotonic() + 20  # --event-ttl 1s: the store lease (2 s minimum) expires it
    while time.monotonic() < deadline:
        s, _ = cl.req("GET", "/api/v1/namespaces/default/events/ev1")
        if s == 404:
            break
        time.sleep(0.1)  # polling for the expiry, bounded by the deadline
    assert s == 404, "event did not expire"


def t_metrics(cl):
    s, t = cl.req("GET", "/metrics", raw=True)
    assert s == 200 and b"apiserver_request_total{" in t, t[:200]


# ----------------------------------------------------- DELETE options, answers, eviction, patch errors (apifix)

CM = "/api/v1/namespaces/default/configmaps"
PODS = "/api/v1/namespaces/default/pods"


def _req_warn(cl, method, path, body=None, ctype="application/json"):
    """cl.req that also returns the Warning headers' texts (unquoted)."""
    import re
    c = cl.conn()
    h = {}
    data = None
    if body is not None:
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        h["Content-Type"] = ctype
    c.request(method, path, data, h)
    r = c.getresponse()
    text = r.read()
    warnings = [re.sub(r'\\(.)', r'\1', re.match(r'^299 - "(.*)"$', v).group(1))
                for k, v in r.getheaders() if k.lower() == "warning"]
    c.close()
    return r.status, json.loads(text) if text else None, warnings


def _kubectl(cl, *args):
    import os
    import subprocess
    import tempfile
    cache = tempfile.mkdtemp(dir=cl.tmp, prefix="kcache-")
    argv = ["/usr/lib/google-cloud-sdk/bin/kubectl.1.33", "--kubeconfig",
            os.path.join(cl.tmp, "data", "admin.kubeconfig"), "--cache-dir", cache] + list(args)
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def t_delete_dry_run_from_body_and_query(cl):
    s, c = cl.req("POST", CM, {"metadata": {"name": "dd1", "labels": {"dd": "yes"}}})
    assert s == 201, c
    # kubectl's body: dryRun in the DeleteOptions
    body = {"kind": "DeleteOptions", "apiVersion": "v1", "dryRun": ["All"], "propagationPolicy": "Background"}
    s, st = cl.req("DELETE", CM + "/dd1", body)
    assert s == 200 and st["kind"] == "Status" and st["status"] == "Success", (s, st)
    assert cl.req("GET", CM + "/dd1")[0] == 200
    # the query, without a body
    s, st = cl.req("DELETE", CM + "/dd1?dryRun=All")
    assert s == 200 and cl.req("GET", CM + "/dd1")[0] == 200, (s, st)
    # deletecollection, both ways: the list comes back, nothing goes
    s, l = cl.req("DELETE", CM + "?labelSelector=dd%3Dyes&dryRun=All")
    assert s == 200 and l["kind"] == "ConfigMapList" and [i["metadata"]["name"] for i in l["items"]] == ["dd1"], l
    s, l = cl.req("DELETE", CM + "?labelSelector=dd%3Dyes", {"dryRun": ["All"]})
    assert s == 200 and len(l["items"]) == 1 and cl.req("GET", CM + "/dd1")[0] == 200, l
    # a graceful pod delete in dry run: the answer is the pod being deleted, the stored one is untouched
    p = pod("dd-pod")
    p["spec"]["nodeName"] = "n-dry"
    s, _ = cl.req("POST", PODS, p)
    s, o = cl.req("DELETE", PODS + "/dd-pod", {"gracePeriodSeconds": 30, "dryRun": ["All"]})
    assert s == 200 and o["metadata"]["deletionGracePeriodSeconds"] == 30, (s, o)
    s, o = cl.req("GET", PODS + "/dd-pod")
    assert s == 200 and "deletionTimestamp" not in o["metadata"], o
    # upstream reads the body or the query, not both: a body without dryRun deletes for real
    s, st = cl.req("DELETE", CM + "/dd1?dryRun=All", {})
    assert s == 200 and cl.req("GET", CM + "/dd1")[0] == 404, (s, st)
    # kubectl delete --dry-run=server
    cl.req("POST", CM, {"metadata": {"name": "dd2"}})
    rc, out, err = _kubectl(cl, "delete", "configmap", "dd2", "-n", "default", "--dry-run=server")
    assert rc == 0 and out.strip() == 'configmap "dd2" deleted (server dry run)', (rc, out, err)
    assert cl.req("GET", CM + "/dd2")[0] == 200
    rc, out, err = _kubectl(cl, "delete", "configmap", "dd2", "-n", "default")
    assert rc == 0 and cl.req("GET", CM + "/dd2")[0] == 404, (rc, out, err)
    cl.req("DELETE", PODS + "/dd-pod?gracePeriodSeconds=0")


def t_delete_options_errors(cl):
    s, c = cl.req("POST", CM, {"metadata": {"name": "de1"}})
    uid, rv = c["metadata"]["uid"], c["metadata"]["resourceVersion"]
    s, st = cl.req("DELETE", CM + "/de1?dryRun=true")
    assert s == 422 and st["message"] == ('DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: '
                                          '[]string{"true"}: supported values: "All"'), (s, st)
    s, st = cl.req("DELETE", CM + "/de1", {"propagationPolicy": "Sideways"})
    assert s == 422 and st["details"]["kind"] == "DeleteOptions" and st["details"]["group"] == "meta.k8s.io", st
    s, st = cl.req("DELETE", CM + "/de1?gracePeriodSeconds=soon")
    assert s == 400 and st["message"] == 'strconv.ParseInt: parsing "soon": invalid syntax', (s, st)
    s, st = cl.req("DELETE", CM + "/de1", {"preconditions": {"uid": "not-" + uid}})
    assert s == 409 and st["reason"] == "Conflict" and st["message"] == (
        'Operation cannot be fulfilled on ConfigMap "de1": the UID in the precondition (not-%s) does not match the '
        'UID in record (%s). The object might have been deleted and then recreated' % (uid, uid)), st
    assert st["details"] == {"name": "de1", "kind": "ConfigMap"}, st
    s, st = cl.req("DELETE", CM + "/de1", {"preconditions": {"resourceVersion": "1"}})
    assert s == 409 and "the ResourceVersion in the precondition (1) does not match the ResourceVersion in record " \
                        "(%s). The object might have been modified" % rv in st["message"], st
    s, st = cl.req("DELETE", CM + "/de1", {"preconditions": {"uid": uid, "resourceVersion": rv}})
    assert s == 200 and st["kind"] == "Status", (s, st)
    # a namespace's own words
    s, n = cl.req("POST", "/api/v1/namespaces", {"metadata": {"name": "de-ns"}})
    s, st = cl.req("DELETE", "/api/v1/namespaces/de-ns", {"preconditions": {"uid": "x"}})
    assert s == 409 and st["message"] == ('Operation cannot be fulfilled on namespaces "de-ns": Precondition failed: '
                                          'UID in precondition: x, UID in object meta: %s' % n["metadata"]["uid"]), st
    cl.req("DELETE", "/api/v1/namespaces/de-ns")


def t_delete_answers(cl):
    import os
    s, c = cl.req("POST", CM, {"metadata": {"name": "da1"}})
    s, st = cl.req("DELETE", CM + "/da1")
    assert s == 200 and st == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                               "details": {"name": "da1", "kind": "configmaps", "uid": c["metadata"]["uid"]}}, st
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "da-dep"},
           "spec": {"selector": {"matchLabels": {"a": "b"}},
                    "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c",
                                                                                          "image": "nginx"}]}}}}
    s, d = cl.req("POST", "/apis/apps/v1/namespaces/default/deployments", dep)
    assert s == 201, d
    s, st = cl.req("DELETE", "/apis/apps/v1/namespaces/default/deployments/da-dep")
    assert s == 200 and st["details"] == {"name": "da-dep", "group": "apps", "kind": "deployments",
                                          "uid": d["metadata"]["uid"]}, st
    # ReturnDeletedObject kinds answer the object: an unscheduled pod goes at once, its deletion recorded
    s, p = cl.req("POST", PODS, pod("da-pod"))
    s, o = cl.req("DELETE", PODS + "/da-pod")
    assert s == 200 and o["kind"] == "Pod" and o["metadata"]["deletionGracePeriodSeconds"] == 0, (s, o)
    assert o["metadata"]["deletionTimestamp"] and cl.req("GET", PODS + "/da-pod")[0] == 404, o
    s, svc = cl.req("POST", "/api/v1/namespaces/default/services",
                    {"metadata": {"name": "da-svc"}, "spec": {"ports": [{"port": 80}]}})
    s, o = cl.req("DELETE", "/api/v1/namespaces/default/services/da-svc")
    assert s == 200 and o["kind"] == "Service" and o["metadata"]["uid"] == svc["metadata"]["uid"], (s, o)
    # a bound pod with a grace period stays; deleting it again without a shorter one changes nothing
    p = pod("da-bound")
    p["spec"]["nodeName"] = "n-da"
    cl.req("POST", PODS, p)
    s, o = cl.req("DELETE", PODS + "/da-bound", {"gracePeriodSeconds": 60})
    assert s == 200 and o["metadata"]["deletionGracePeriodSeconds"] == 60, o
    s, o2 = cl.req("DELETE", PODS + "/da-bound", {"gracePeriodSeconds": 90})
    assert s == 200 and o2["metadata"]["resourceVersion"] == o["metadata"]["resourceVersion"], o2
    s, o3 = cl.req("DELETE", PODS + "/da-bound", {"gracePeriodSeconds": 10})  # shorter: moved earlier
    assert s == 200 and o3["metadata"]["deletionGracePeriodSeconds"] == 10, o3
    assert o3["metadata"]["deletionTimestamp"] < o["metadata"]["deletionTimestamp"], (o3, o)
    s, o4 = cl.req("DELETE", PODS + "/da-bound", {"gracePeriodSeconds": 0})
    assert s == 200 and cl.req("GET", PODS + "/da-bound")[0] == 404, o4
    # an object held by a finalizer is answered as itself; orphanDependents=false makes that 202
    s, c = cl.req("POST", CM, {"metadata": {"name": "da-fin", "finalizers": ["example.com/f"]}})
    s, o = cl.req("DELETE", CM + "/da-fin", {"orphanDependents": False})
    assert s == 202 and o["kind"] == "ConfigMap" and o["metadata"]["deletionTimestamp"], (s, o)
    cl.req("PATCH", CM + "/da-fin", {"metadata": {"finalizers": None}}, ctype="application/merge-patch+json")
    # the Python client gets a V1Status with the details
    import kubernetes
    api = kubernetes.client.CoreV1Api(kubernetes.config.new_client_from_config(
        config_file=os.path.join(cl.tmp, "data", "admin.kubeconfig")))
    cm = api.create_namespaced_config_map("default", {"metadata": {"name": "da-py"}})
    st = api.delete_namespaced_config_map("da-py", "default")
    assert isinstance(st, kubernetes.client.V1Status) and st.status == "Success", st
    assert st.details.name == "da-py" and st.details.kind == "configmaps" and st.details.uid == cm.metadata.uid, st
    api.api_client.close()


def t_namespaces_have_no_deletecollection(cl):
    s, d = cl.req("GET", "/api/v1")
    ns = [r for r in d["resources"] if r["name"] == "namespaces"][0]
    assert sorted(ns["verbs"]) == ["create", "delete", "get", "list", "patch", "update", "watch"], ns
    s, st = cl.req("DELETE", "/api/v1/namespaces")
    assert s == 405 and st["reason"] == "MethodNotAllowed", (s, st)
    assert cl.req("GET", "/api/v1/namespaces/default")[0] == 200
    # the OpenAPI document agrees
    s, doc = cl.req("GET", "/openapi/v3/api/v1")
    assert s == 200 and "delete" not in doc["paths"]["/api/v1/namespaces"], doc["paths"]["/api/v1/namespaces"].keys()


def t_eviction(cl):
    s, d = cl.req("GET", "/api/v1")
    ev = [r for r in d["resources"] if r["name"] == "pods/eviction"]
    assert ev and ev[0]["group"] == "policy" and ev[0]["version"] == "v1" and ev[0]["kind"] == "Eviction" and \
        ev[0]["verbs"] == ["create"] and ev[0]["namespaced"], ev
    s, doc = cl.req("GET", "/openapi/v3/api/v1")
    op = doc["paths"]["/api/v1/namespaces/{namespace}/pods/{name}/eviction"]["post"]
    assert op["operationId"] == "createCoreV1NamespacedPodEviction", op

    def evict(name, extra=None, query=""):
        b = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": "default"}}
        b.update(extra or {})
        return cl.req("POST", PODS + "/%s/eviction%s" % (name, query), b)

    s, st = evict("ev-missing")
    assert s == 404 and st["message"] == 'pods "ev-missing" not found', (s, st)
    cl.req("POST", PODS, pod("ev1"))
    s, st = cl.req("POST", PODS + "/ev1/eviction", {"apiVersion": "policy/v1", "kind": "Eviction",
                                                    "metadata": {"name": "other"}})
    assert s == 400 and st["message"] == "name in URL does not match name in Eviction object", (s, st)
    s, st = cl.req("POST", PODS + "/ev1/eviction", pod("ev1"))
    assert s == 400 and st["message"].startswith('Pod in version "v1" cannot be handled as a Eviction'), (s, st)
    s, st = cl.req("GET", PODS + "/ev1/eviction")
    assert s == 405, s
    # dry run: nothing changes
    s, st = evict("ev1", query="?dryRun=All")
    assert s == 201 and cl.req("GET", PODS + "/ev1")[1].get("status", {}).get("conditions") is None, st
    s, st = evict("ev1")
    assert s == 201 and st == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                               "code": 201}, (s, st)
    assert cl.req("GET", PODS + "/ev1")[0] == 404
    # a bound pod: the DisruptionTarget condition, then a graceful delete with the Eviction's options
    p = pod("ev2")
    p["spec"]["nodeName"] = "n-ev"
    cl.req("POST", PODS, p)
    s, st = evict("ev2", {"deleteOptions": {"gracePeriodSeconds": 45}})
    assert s == 201, (s, st)
    s, o = cl.req("GET", PODS + "/ev2")
    assert s == 200 and o["metadata"]["deletionGracePeriodSeconds"] == 45, o
    c = [x for x in o["status"]["conditions"] if x["type"] == "DisruptionTarget"][0]
    assert c["status"] == "True" and c["reason"] == "EvictionByEvictionAPI" and \
        c["message"] == "Eviction API: evicting", c
    s, st = evict("ev2", {"deleteOptions": {"preconditions": {"uid": "nope"}}})
    assert s == 409 and "the UID in the precondition (nope)" in st["message"], (s, st)
    cl.req("DELETE", PODS + "/ev2?gracePeriodSeconds=0")


def t_kubectl_drain_evicts(cl):
    cl.req("POST", "/api/v1/nodes", {"metadata": {"name": "drain-n1"}})
    for n in ("drain-a", "drain-b"):
        p = pod(n)
        p["spec"]["nodeName"] = "drain-n1"
        s, o = cl.req("POST", PODS, p)
        assert s == 201, o
    rc, out, err = _kubectl(cl, "drain", "drain-n1", "--ignore-daemonsets", "--force", "--grace-period=0",
                            "--timeout=60s")
    assert rc == 0, (rc, out, err)
    assert "node/drain-n1 cordoned" in out and "node/drain-n1 drained" in out, (out, err)
    # eviction, not kubectl's fallback to deleting
    for n in ("drain-a", "drain-b"):
        assert "evicting pod default/%s" % n in out + err and "pod/%s evicted" % n in out, (out, err)
        assert cl.req("GET", PODS + "/" + n)[0] == 404
    assert cl.req("GET", "/api/v1/nodes/drain-n1")[1]["spec"]["unschedulable"] is True


def t_http2_warning_header(cl):
    import os
    import subprocess
    pki = os.path.join(cl.tmp, "data", "pki")
    body = json.dumps({"metadata": {"name": "h2w"}, "data": {"a": "b"}, "bogus": 1})
    p = subprocess.run(["curl", "-sS", "--http2", "--cacert", os.path.join(pki, "ca.crt"),
                        "--cert", os.path.join(pki, "admin.crt"), "--key", os.path.join(pki, "admin.key"),
                        "-o", "/dev/null", "-D", "-", "-X", "POST", "-H", "Content-Type: application/json",
                        "--data-binary", body, "https://127.0.0.1:%d%s" % (cl.port, CM)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, (p.returncode, p.stderr)
    lines = p.stdout.splitlines()
    assert lines[0].startswith("HTTP/2 201"), lines
    assert 'warning: 299 - "unknown field \\"bogus\\""' in lines, lines


def t_user_uid(cl):
    ssr = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    s, o = cl.req("POST", ssr, body, anon=True, headers={"Authorization": "Bearer secret-token"})
    assert s == 201 and o["status"]["userInfo"]["uid"] == "uid-alice", (s, o)
    s, o = cl.req("POST", ssr, body)  # a client certificate carries no uid
    assert s == 201 and "uid" not in o["status"]["userInfo"], (s, o)


def t_patch_errors(cl):
    cl.req("POST", CM, {"metadata": {"name": "pe1"}, "data": {"a": "1"}})
    jp = "application/json-patch+json"
    s, st = cl.req("PATCH", CM + "/pe1", [{"op": "test", "path": "/data/a", "value": "2"}], ctype=jp)
    assert s == 422 and st == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                               "message": "the server rejected our request due to an error in our request",
                               "reason": "Invalid", "details": {}, "code": 422}, (s, st)
    s, st = cl.req("PATCH", CM + "/pe1", [{"op": "remove", "path": "/data/zz"}], ctype=jp)
    assert s == 422 and st["details"] == {}, (s, st)
    s, st = cl.req("PATCH", CM + "/pe1", {"op": "add"}, ctype=jp)
    assert s == 400 and st["message"] == ("error decoding patch: json: cannot unmarshal object into Go value of "
                                          "type []handlers.jsonPatchOp"), (s, st)
    s, st = cl.req("PATCH", CM + "/pe1?fieldValidation=Ignore", {"op": "add"}, ctype=jp)
    assert s == 400 and st["message"] == "json: cannot unmarshal object into Go value of type jsonpatch.Patch", st
    mp = "application/merge-patch+json"
    s, st = cl.req("PATCH", CM + "/pe1", "null", ctype=mp)
    assert s == 400 and st["message"] == "Invalid JSON Patch", (s, st)
    s, st = cl.req("PATCH", CM + "/pe1", [1], ctype=mp)
    assert s == 400 and st["message"] == ("error decoding patch: json: cannot unmarshal array into Go value of type "
                                          "map[string]interface {}"), (s, st)
    s, st = cl.req("PATCH", CM + "/pe1?fieldValidation=Ignore", [1], ctype=mp)
    assert s == 422 and st["message"].startswith(' "" is invalid: patch: Invalid value: "[1]": couldn\'t get '
                                                 'version/kind'), (s, st)
    # strategic merge patch: a container without its merge key passes through as a 500, as upstream
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "pe-dep"},
           "spec": {"selector": {"matchLabels": {"a": "b"}},
                    "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c",
                                                                                          "image": "nginx"}]}}}}
    cl.req("POST", "/apis/apps/v1/namespaces/default/deployments", dep)
    s, st = cl.req("PATCH", "/apis/apps/v1/namespaces/default/deployments/pe-dep",
                   {"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}},
                   ctype="application/strategic-merge-patch+json")
    assert s == 500 and "reason" not in st and st["message"] == \
        "map: map[image:x] does not contain declared merge key: name", (s, st)
    # a missing object is 404 whatever the patch
    s, st = cl.req("PATCH", CM + "/pe-none", "not json", ctype=jp)
    assert s == 404, (s, st)
    # kubectl prints upstream's text for a failed test operation
    rc, out, err = _kubectl(cl, "patch", "configmap", "pe1", "-n", "default", "--type", "json", "-p",
                            '[{"op":"test","path":"/data/a","value":"9"}]')
    assert rc == 1 and err.strip() == ("The request is invalid: the server rejected our request due to an error in "
                                       "our request"), (rc, err)


APPLY_YAML_DUPES = """apiVersion: v1
kind: ConfigMap
metadata:
  name: NAME
data:
  a: "1"
  b: "2"
  a: "3"
"""


def t_apply_yaml_duplicates(cl):
    ap = "application/apply-patch+yaml"
    s, o, w = _req_warn(cl, "PATCH", CM + "/ay-w?fieldManager=t", APPLY_YAML_DUPES.replace("NAME", "ay-w"), ap)
    assert s == 201 and o["data"] == {"a": "3", "b": "2"} and w == ['line 8: key "a" already set in map'], (s, o, w)
    s, o, w = _req_warn(cl, "PATCH", CM + "/ay-i?fieldManager=t&fieldValidation=Ignore",
                        APPLY_YAML_DUPES.replace("NAME", "ay-i"), ap)
    assert s == 201 and o["data"] == {"a": "3", "b": "2"} and w == [], (s, o, w)
    s, o, w = _req_warn(cl, "PATCH", CM + "/ay-s?fieldManager=t&fieldValidation=Strict",
                        APPLY_YAML_DUPES.replace("NAME", "ay-s"), ap)
    assert s == 400 and o["message"] == ("error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal "
                                         "errors:\n  line 8: key \"a\" already set in map"), (s, o)
    assert cl.req("GET", CM + "/ay-s")[0] == 404


def t_unknown_subresources(cl):
    s, o = cl.req("GET", "/api/v1/namespaces/default/configmaps/x/nosuch")
    assert s == 404 and o["kind"] == "Status", (s, o)


def t_table_include_object(cl):
    for n in ("io-a", "io-b"):
        s, o = cl.req("POST", "/api/v1/namespaces/default/configmaps",
                      {"metadata": {"name": n, "labels": {"io": "t"}}, "data": {"k": n}})
        assert s == 201, o
    acc = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}
    base = "/api/v1/namespaces/default/configmaps"
    for path in (base + "?labelSelector=io%3Dt&includeObject=Object", base + "?includeObject=Object",
                 base + "/io-a?includeObject=Object"):
        s, t = cl.req("GET", path, headers=acc)
        rows = [r for r in t["rows"] if r["object"]["metadata"]["name"].startswith("io-")]
        assert s == 200 and rows, (path, s, t)
        for r in rows:  # the whole object, as a GET gives it
            assert r["object"]["kind"] == "ConfigMap" and r["object"]["data"]["k"] == r["object"]["metadata"]["name"]
            assert r["object"] == cl.req("GET", base + "/" + r["object"]["metadata"]["name"])[1], r
    for path in (base + "?includeObject=None", base + "/io-a?includeObject=None"):
        s, t = cl.req("GET", path, headers=acc)
        assert s == 200 and t["rows"] and all("object" not in r for r in t["rows"]), (path, t)
    s, t = cl.req("GET", base + "?includeObject=Metadata", headers=acc)
    assert all(r["object"]["kind"] == "PartialObjectMetadata" for r in t["rows"]), t
    s, o = cl.req("GET", base + "?includeObject=Everything", headers=acc)
    assert s == 400 and o["message"] == 'unrecognized includeObject value: "Everything"', (s, o)


def t_decode_type_errors(cl):
    """A value of the wrong type fails the decode as upstream's (400 on create and update, whatever
    fieldValidation says; 422 "patch" on a patch), and nothing is stored or changed."""
    P = "/api/v1/namespaces/default/pods"
    body = pod("te")
    body["metadata"]["labels"] = {"x": 1}
    for q in ("", "?fieldValidation=Ignore", "?fieldValidation=Strict"):
        s, st = cl.req("POST", P + q, body)
        assert s == 400 and st["reason"] == "BadRequest", (q, s, st)
        assert st["message"] == ('Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number '
                                 'into Go struct field ObjectMeta.metadata.labels of type string'), st["message"]
    assert cl.req("GET", P + "/te")[0] == 404
    s, o = cl.req("POST", P, pod("te", labels={"x": "1"}))
    assert s == 201, o
    bad = json.loads(json.dumps(o))
    bad["spec"]["containers"][0]["image"] = 7
    s, st = cl.req("PUT", P + "/te", bad)
    assert s == 400 and st["message"].endswith(
        "json: cannot unmarshal number into Go struct field Container.spec.containers.image of type string"), st
    s, st = cl.req("PATCH", P + "/te", {"spec": {"activeDeadlineSeconds": "9"}}, "application/merge-patch+json")
    assert s == 422 and st["reason"] == "Invalid" and st["details"]["causes"][0]["field"] == "patch", (s, st)
    assert st["message"].startswith(' "" is invalid: patch: Invalid value: "{') and st["message"].endswith(
        "json: cannot unmarshal string into Go struct field PodSpec.spec.activeDeadlineSeconds of type int64"), st
    s, g = cl.req("GET", P + "/te")
    assert s == 200 and g["metadata"]["resourceVersion"] == o["metadata"]["resourceVersion"], g
    assert g["spec"]["containers"][0]["image"] == "busybox" and "activeDeadlineSeconds" not in g["spec"], g


TESTS = [v for k, v in list(globals().items()) if k.startswith("t_")]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, __doc__))
