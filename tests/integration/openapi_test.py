#!/usr/bin/python3
"""Integration tests of what the API server publishes about itself: /openapi/v3 (the index, every group-version
document with kube-openapi's caching headers, compared schema by schema and operation by operation with the
Kubernetes 1.33 documents in ../shared/k8s-openapi/v3 when they are there), /openapi/v2 (kube-openapi's Accept
negotiation and caching headers; the protobuf form decoded with gnostic's descriptor read from the kubectl 1.33 and
1.20 binaries, independently of k8c's table, back into the JSON form; every v3 path, operation and schema in it,
the schemas also against upstream's converted to v2), aggregated discovery (apidiscovery.k8s.io v2 and v2beta1)
against the legacy documents, and the SelfSubject*Review kinds; then the real kubectl (1.27, 1.30, 1.33):
api-resources and get through aggregated discovery and, behind a small proxy that strips the aggregated media
types from Accept, through the legacy documents; apply / create -f / replace -f with default validation
(fieldValidation=Strict, patches computed from the v3 schemas); explain (also from v2 with --output
plaintext-openapiv2); auth can-i and auth whoami (kubectl 1.32+ sends these as protobuf: those steps are skipped,
with the reason printed, while the server answers 415 to a protobuf review); and kubectl 1.20 (.deps/kubectl-1.20,
skipped when absent), which reads /openapi/v2: explain, client-side validation refusing bad manifests, apply's
strategic merge patch and diff's dry-run check.

Usage: openapi_test.py --k8c BUILD/cmd/k8c [--etcd] [-k PATTERN]
Every process started (the server, kubectl, the proxy thread's connections) is stopped, also on failure.
"""
import calendar
import glob
import hashlib
import http.client
import http.server
import importlib.util
import json
import os
import re
import struct
import subprocess
import sys
import threading
import time
import urllib.parse

import k8ctest
from k8ctest import run_tests

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SPEC_DIR = os.path.join(ROOT, "..", "shared", "k8s-openapi", "v3")
KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.%s"
AGG_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGG_V2B1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
KUBECTL_ACCEPT = AGG_V2 + "," + AGG_V2B1 + ",application/json"
HASH = re.compile(r"^[0-9A-F]{128}$")


class Skip(Exception):
    pass


def get(cl, path, headers=None, method="GET", body=None, anon=False):
    """(status, headers as a lower-cased dict, body bytes)."""
    c = cl.conn(anon)
    c.request(method, path, body, dict(headers or {}))
    r = c.getresponse()
    data = r.read()
    h = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    return r.status, h, data


def served_gvs(cl):
    """Every group-version the legacy discovery documents announce, as OpenAPI paths ("api/v1", "apis/apps/v1")."""
    s, api = cl.req("GET", "/api")
    assert s == 200, s
    out = ["api/%s" % v for v in api["versions"]]
    s, apis = cl.req("GET", "/apis")
    assert s == 200, s
    for g in apis["groups"]:
        for v in g["versions"]:
            out.append("apis/" + v["groupVersion"])
    return out


# --------------------------------------------------------------------------------------------------- /openapi


def t_openapi_index(cl):
    s, h, body = get(cl, "/openapi/v3")
    assert s == 200, (s, body[:200])
    assert h["content-type"] == "application/json", h
    assert h["etag"] == '"%s"' % hashlib.sha512(body).hexdigest().upper(), h["etag"]
    assert "last-modified" in h, h
    index = json.loads(body)
    assert list(index) == ["paths"], index.keys()
    assert sorted(index["paths"]) == sorted(served_gvs(cl)), (sorted(index["paths"]), served_gvs(cl))
    for gv, e in index["paths"].items():
        url = e["serverRelativeURL"]
        m = re.match(r"^/openapi/v3/(.*)\?hash=([0-9A-F]+)$", url)
        assert m and m.group(1) == gv and HASH.match(m.group(2)), url
    # If-None-Match with the ETag: 304; a trailing slash is the same path
    s, h2, b2 = get(cl, "/openapi/v3", {"If-None-Match": h["etag"]})
    assert s == 304 and b2 == b"" and h2["etag"] == h["etag"], (s, h2)
    s, _, b3 = get(cl, "/openapi/v3/")
    assert s == 200 and json.loads(b3) == index, s
    s, _, _ = get(cl, "/openapi/v3", anon=True)
    assert s == 401, s


def t_openapi_documents(cl):
    s, _, body = get(cl, "/openapi/v3")
    for gv, e in json.loads(body)["paths"].items():
        url = e["serverRelativeURL"]
        hsh = url.split("hash=")[1]
        s, h, doc = get(cl, url, {"Accept": "application/json"})
        assert s == 200, (url, s)
        assert h["content-type"] == "application/json", h
        assert hashlib.sha512(doc).hexdigest().upper() == hsh, gv
        assert h["etag"] == '"%s"' % hsh, h
        assert h["cache-control"] == "public, immutable" and h["vary"] == "Accept", h
        exp = calendar.timegm(time.strptime(h["expires"], "%a, %d %b %Y %H:%M:%S GMT"))
        assert 360 * 86400 < exp - time.time() < 370 * 86400, h["expires"]
        d = json.loads(doc)
        assert d["openapi"] == "3.0.0" and d["paths"] and d["components"]["schemas"], gv
        # without ?hash=: the same bytes, not immutable
        s, h2, doc2 = get(cl, "/openapi/v3/" + gv)
        assert s == 200 and doc2 == doc and "cache-control" not in h2 and h2["etag"] == h["etag"], (s, h2)
        s, h3, b3 = get(cl, "/openapi/v3/" + gv, {"If-None-Match": h["etag"]})
        assert s == 304 and b3 == b"", (gv, s)
        # a stale hash: 301 to the current URL
        s, h4, _ = get(cl, "/openapi/v3/%s?hash=0123" % gv)
        assert s == 301 and h4["location"] == url, (s, h4)
        # any JSON-admitting Accept is fine; protobuf alone is 406
        for accept in ("*/*", "application/*", "application/json;q=0.9,application/yaml"):
            s, _, _ = get(cl, url, {"Accept": accept})
            assert s == 200, (accept, s)
        s, _, _ = get(cl, url, {"Accept": "application/com.github.proto-openapi.spec.v3.v1.0+protobuf"})
        assert s == 406, s
    s, _, body = get(cl, "/openapi/v3/apis/policy/v1")
    assert s == 404 and json.loads(body)["reason"] == "NotFound", s
    s, _, _ = get(cl, "/openapi/v3/apis/apps/v1", method="POST", body="{}")
    assert s == 405, s


# ------------------------------------------------------------------------------------------------- /openapi/v2

GNOSTIC_ACCEPT = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
GNOSTIC_CTYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
KUBECTL_120 = os.path.join(os.environ.get("K8C_DEPS_DIR", os.path.join(ROOT, ".deps")), "kubectl-1.20", "kubectl")


def gnostic_descriptors():
    """{kubectl: openapi.v2 messages} read by scripts/gen-gnostic-proto.py from each kubectl binary present: the
    field numbers the protobuf form is checked with come from the clients, not from k8c's table."""
    spec = importlib.util.spec_from_file_location("gen_gnostic", os.path.join(ROOT, "scripts", "gen-gnostic-proto.py"))
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    return {b: gen.load(b) for b in (KUBECTL % "1.33", KUBECTL_120) if os.path.exists(b)}


def pb_varint(b, i):
    r = s = 0
    while True:
        c = b[i]
        i += 1
        r |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return r, i


def pb_decode(msgs, name, b):
    """A message as {proto field name: value} (lists for repeated fields), by the descriptor's numbers."""
    m = msgs[name]
    byn = {f.number: f for f in m.fields}
    out, i = {}, 0
    while i < len(b):
        k, i = pb_varint(b, i)
        num, wt = k >> 3, k & 7
        f = byn[num]  # an unknown number is a bug
        if wt == 0:
            v, i = pb_varint(b, i)
        elif wt == 1:
            v, i = struct.unpack("<d", b[i:i + 8])[0], i + 8
        else:
            assert wt == 2, (name, num, wt)
            n, i = pb_varint(b, i)
            assert i + n <= len(b), (name, num, "truncated")
            v, i = b[i:i + n], i + n
        if f.type == 11:
            v = pb_decode(msgs, f.type_name, v)
        elif f.type == 9:
            v = v.decode()
        elif f.type == 8:
            v = bool(v)
        elif f.type == 3 and v >= 1 << 63:
            v -= 1 << 64
        if f.repeated:
            out.setdefault(f.name, []).append(v)
        else:
            assert f.name not in out, (name, f.name, "twice")
            out[f.name] = v
    return out


def gnostic_json(msgs, name, d):
    """The OpenAPI JSON a decoded gnostic message stands for (the inverse of gnostic's compiler): written here on
    its own, from the message shapes, as a check of common/gnostic.c."""
    m = msgs[name]
    short = name.split(".")[-1]
    if short == "Any":
        return json.loads(d["yaml"])  # k8c writes JSON text, which is YAML
    if m.oneofs:
        (k, v), = d.items()
        f = m.field(k)
        return gnostic_json(msgs, f.type_name, v) if f.type == 11 else v
    if short == "TypeItem":
        v = d.get("value", [])
        return v[0] if len(v) == 1 else v
    if short == "StringArray":
        return d.get("value", [])
    if short == "ItemsItem":
        v = [gnostic_json(msgs, m.fields[0].type_name, x) for x in d.get("schema", [])]
        return v[0] if len(v) == 1 else v
    is_map = all(f.repeated and f.type_name.split(".")[-1].startswith("Named") for f in m.fields)
    out = {}
    for k, v in d.items():
        f = m.field(k)
        if f.type == 11 and f.type_name.split(".")[-1].startswith("Named") and (is_map or k == "vendor_extension"):
            vf = msgs[f.type_name].field("value")
            for e in v:
                val = e.get("value", "" if vf.type == 9 else {})
                out[e["name"]] = gnostic_json(msgs, vf.type_name, val) if vf.type == 11 else val
            continue
        parts = k.split("_")
        key = "$ref" if k == "_ref" else parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])
        if f.type == 11:
            out[key] = [gnostic_json(msgs, f.type_name, x) for x in v] if f.repeated else \
                gnostic_json(msgs, f.type_name, v)
        else:
            out[key] = v
    return out


def t_openapi_v2_serving(cl):
    s, h, body = get(cl, "/openapi/v2")
    assert s == 200 and h["content-type"] == "application/json", (s, h)
    etag = '"%s"' % hashlib.sha512(body).hexdigest().upper()
    assert h["etag"] == etag and h["vary"] == "Accept" and "last-modified" in h, h
    doc = json.loads(body)
    assert doc["swagger"] == "2.0" and doc["paths"] and doc["definitions"], doc.keys()
    # what kubectl asks for, in both spellings; JSON and protobuf share the ETag (kube-openapi: Vary does the rest)
    for accept in (GNOSTIC_ACCEPT, GNOSTIC_CTYPE, "application/json;q=0.5, " + GNOSTIC_ACCEPT,
                   "text/html, application/com.github.proto-openapi.spec.v2@v1.0+protobuf;q=0.9"):
        s, hp, pb = get(cl, "/openapi/v2", {"Accept": accept})
        assert s == 200 and hp["content-type"] == GNOSTIC_CTYPE and hp["etag"] == etag, (accept, s, hp)
        assert pb[:5] == b"\x0a\x032.0" and len(pb) > 100000, (accept, pb[:20])
    # JSON first: no Accept, any type, application/*, JSON ranked above protobuf
    for accept in ("", "*/*", "application/*", "application/json", GNOSTIC_ACCEPT + ";q=0.1, application/json",
                   "*/*;q=0.8, application/json"):
        s, hj, b = get(cl, "/openapi/v2", {"Accept": accept} if accept else {})
        assert s == 200 and hj["content-type"] == "application/json" and b == body, (accept, s, hj)
    for accept in ("text/html", "application/yaml", "application/com.github.proto-openapi.spec.v3.v1.0+protobuf"):
        s, hn, b = get(cl, "/openapi/v2", {"Accept": accept})
        assert s == 406 and b == b"" and hn["vary"] == "Accept", (accept, s, hn, b)
    # caching as Go's http.ServeContent: If-None-Match (a list, weak tags, *), else If-Modified-Since
    for inm in (etag, 'W/' + etag, '"x", ' + etag, "*"):
        s, h2, b2 = get(cl, "/openapi/v2", {"If-None-Match": inm})
        assert s == 304 and b2 == b"" and h2["etag"] == etag and "last-modified" not in h2, (inm, s, h2)
    s, _, b2 = get(cl, "/openapi/v2", {"If-None-Match": '"other"', "If-Modified-Since": h["last-modified"]})
    assert s == 200 and b2 == body, s
    s, _, b2 = get(cl, "/openapi/v2", {"If-Modified-Since": h["last-modified"], "Accept": GNOSTIC_ACCEPT})
    assert s == 304 and b2 == b"", s
    s, _, b2 = get(cl, "/openapi/v2", {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert s == 200 and b2 == body, s
    s, _, b2 = get(cl, "/openapi/v2", {"If-Modified-Since": "yesterday"})
    assert s == 200, s
    # a trailing slash is the same path; anything below it is not served; GET and HEAD only; authenticated
    s, _, b2 = get(cl, "/openapi/v2/")
    assert s == 200 and b2 == body, s
    s, _, b2 = get(cl, "/openapi/v2/apis")
    assert s == 404 and json.loads(b2)["reason"] == "NotFound", s
    s, _, _ = get(cl, "/openapi/v2", method="POST", body="{}")
    assert s == 405, s
    s, _, _ = get(cl, "/openapi/v2", anon=True)
    assert s == 401, s
    # HEAD: the headers without the body, and the connection stays usable
    c = cl.conn()
    try:
        for method, accept in (("HEAD", GNOSTIC_ACCEPT), ("HEAD", "application/json"), ("GET", GNOSTIC_ACCEPT)):
            c.request(method, "/openapi/v2", headers={"Accept": accept})
            r = c.getresponse()
            data = r.read()
            assert r.status == 200 and r.getheader("etag") == etag, (method, accept, r.status)
            assert (data == b"") == (method == "HEAD"), (method, len(data))
            assert int(r.getheader("content-length")) > 100000, r.getheader("content-length")
    finally:
        c.close()


def t_openapi_v2_protobuf(cl):
    descs = gnostic_descriptors()
    if not descs:
        raise Skip("no kubectl binary to read gnostic's descriptor from")
    s, _, body = get(cl, "/openapi/v2")
    s, _, pb = get(cl, "/openapi/v2", {"Accept": GNOSTIC_ACCEPT})
    want = json.loads(body)
    for kubectl, msgs in descs.items():
        got = gnostic_json(msgs, "openapi.v2.Document", pb_decode(msgs, "openapi.v2.Document", pb))
        if got != want:
            for k in want:
                if got.get(k) != want[k]:
                    sub = [x for x in want[k] if got.get(k, {}).get(x) != want[k][x]] if isinstance(want[k], dict) \
                        else []
                    raise AssertionError("%s: %s differs (%s): %s vs %s" % (
                        kubectl, k, sub[:3], json.dumps(got.get(k, {}).get(sub[0]) if sub else got.get(k))[:600],
                        json.dumps(want[k][sub[0]] if sub else want[k])[:600]))
            raise AssertionError("%s: members %s vs %s" % (kubectl, sorted(got), sorted(want)))
    print("     %d protobuf bytes decode to the JSON document with the descriptors of %s" % (
        len(pb), ", ".join(os.path.join(os.path.basename(os.path.dirname(k)), os.path.basename(k)) for k in descs)))


def v3_to_v2(x):
    """A v3 schema as Swagger 2.0 writes it: references to #/definitions/, allOf [$ref] as the $ref itself."""
    if isinstance(x, list):
        return [v3_to_v2(v) for v in x]
    if not isinstance(x, dict):
        return x
    out = {k: v3_to_v2(v) for k, v in x.items() if k != "allOf"}
    if "allOf" in x:
        assert len(x["allOf"]) == 1 and set(x["allOf"][0]) == {"$ref"}, x
        out["$ref"] = v3_to_v2(x["allOf"][0])["$ref"]
    if "$ref" in out:
        out["$ref"] = out["$ref"].replace("#/components/schemas/", "#/definitions/")
    if out.get("format") == "int-or-string" and "oneOf" in out:
        del out["oneOf"]
        out["type"] = "string"
    if out.get("oneOf") == [{"type": "string"}, {"type": "number"}]:  # Quantity
        del out["oneOf"]
        out["type"] = "string"
    return out


def walk(x, fn, path=""):
    if isinstance(x, dict):
        for k, v in x.items():
            fn(path, k, v)
            walk(v, fn, path + "/" + k)
    elif isinstance(x, list):
        for i, v in enumerate(x):
            walk(v, fn, "%s[%d]" % (path, i))


def t_openapi_v2_document(cl):
    s, _, body = get(cl, "/openapi/v2")
    v2 = json.loads(body)
    s, ver = cl.req("GET", "/version")
    assert v2["info"] == {"title": "Kubernetes", "version": ver["gitVersion"]}, v2["info"]
    assert v2["security"] == [{"BearerToken": []}], v2["security"]
    assert v2["securityDefinitions"] == {"BearerToken": {"in": "header", "name": "authorization", "type": "apiKey"}}
    defs, paths = v2["definitions"], v2["paths"]

    # a closed set of references, all in Swagger 2.0's form; no v3-only keywords
    def check(path, k, v):
        assert k not in ("allOf", "oneOf", "anyOf", "requestBody", "content", "nullable"), (path, k)
        if k == "$ref":
            assert v.startswith("#/definitions/") and v[len("#/definitions/"):] in defs, (path, v)
    walk(v2, check)
    # every v3 document's paths and schemas are in it, the same operations and, converted, the same schemas
    s, _, idx = get(cl, "/openapi/v3")
    served = set()
    nops = 0
    for gv, e in json.loads(idx)["paths"].items():
        p = gv.split("/")
        served.add(("", p[1]) if p[0] == "api" else (p[1], p[2]))
        s, _, d = get(cl, e["serverRelativeURL"])
        v3 = json.loads(d)
        for name, sch in v3["components"]["schemas"].items():
            assert defs.get(name) == v3_to_v2(sch), (name, json.dumps(defs.get(name))[:800],
                                                     json.dumps(v3_to_v2(sch))[:800])
        for path, item in v3["paths"].items():
            assert path in paths, (gv, path)
            for m, op in item.items():
                if m == "parameters":
                    continue
                op2 = paths[path][m]
                for key in ("operationId", "tags", "x-kubernetes-action", "x-kubernetes-group-version-kind"):
                    assert op2.get(key) == op.get(key), (path, m, key, op2.get(key), op.get(key))
                want = {(q["name"], q["in"]) for q in item.get("parameters", []) + op.get("parameters", [])}
                if "requestBody" in op:
                    want.add(("body", "body"))
                got = {(q["name"], q["in"]) for q in paths[path].get("parameters", []) + op2.get("parameters", [])}
                assert got == want, (path, m, got ^ want)
                assert op2["schemes"] == ["https"] and op2["consumes"] and op2["produces"], (path, m)
                assert set(op2["responses"]) == set(op["responses"]), (path, m)
                nops += 1
    # and the discovery paths of the groups
    assert paths["/api/"]["get"]["operationId"] == "getCoreAPIVersions", paths.get("/api/")
    assert paths["/apis/apps/"]["get"]["operationId"] == "getAppsAPIGroup", paths.get("/apis/apps/")
    assert paths["/apis/networking.k8s.io/"]["get"]["tags"] == ["networking"]
    # every definition is reachable from the paths
    seen, todo = set(), []
    walk(paths, lambda p, k, v: todo.append(v[len("#/definitions/"):]) if k == "$ref" else None)
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            walk(defs[n], lambda p, k, v: todo.append(v[len("#/definitions/"):]) if k == "$ref" else None)
    assert seen == set(defs), set(defs) - seen
    # kubectl's SupportsDryRun (1.20): the first path whose PATCH names the kind must list dryRun in the PATCH's
    # own parameters; diff and apply --server-dry-run need it for every kind with a patch
    kinds = {}
    for path in sorted(paths):
        op = paths[path].get("patch")
        if op:
            g = op["x-kubernetes-group-version-kind"]
            kinds.setdefault((g["group"], g["version"], g["kind"]), op)
    assert len(kinds) >= 20, kinds.keys()
    for gvk, op in kinds.items():
        assert any(q["name"] == "dryRun" and q["in"] == "query" for q in op.get("parameters", [])), gvk
        assert "application/strategic-merge-patch+json" in op["consumes"], gvk
    body_param = [q for q in paths["/api/v1/namespaces/{namespace}/pods"]["post"]["parameters"] if q["in"] == "body"]
    assert body_param == [{"in": "body", "name": "body", "required": True,
                           "schema": {"$ref": "#/definitions/io.k8s.api.core.v1.Pod"}}], body_param
    lst = paths["/api/v1/namespaces/{namespace}/pods"]["get"]
    assert "application/json;stream=watch" in lst["produces"], lst["produces"]
    log = paths["/api/v1/namespaces/{namespace}/pods/{name}/log"]["get"]
    assert log["produces"] == ["text/plain"] and log["responses"]["200"]["schema"] == {"type": "string"}, log
    assert defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] == {"format": "int-or-string", "type": "string"}
    assert defs["io.k8s.apimachinery.pkg.api.resource.Quantity"] == {"type": "string"}
    c = defs["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert c["items"] == {"$ref": "#/definitions/io.k8s.api.core.v1.Container", "default": {}} and \
        c["x-kubernetes-patch-merge-key"] == "name" and c["x-kubernetes-patch-strategy"] == "merge", c
    # against upstream's 1.33 documents (converted), as the v3 test compares them
    files = glob.glob(os.path.join(SPEC_DIR, "*_openapi.json"))
    checked = 0
    for fn in files:
        for name, sch in json.load(open(fn)).get("components", {}).get("schemas", {}).items():
            if name in defs:
                got, want = normalize(defs[name], served), v3_to_v2(normalize(sch, served))
                assert got == want, (name, json.dumps(got)[:800], json.dumps(want)[:800])
                checked += 1
    print("     %d paths, %d definitions; %d operations checked against v3%s" % (
        len(paths), len(defs), nops, ", %d definitions against upstream" % checked if files else ""))


def normalize(x, served):
    """A schema as the tables keep it: no descriptions, no zero-value defaults, allOf [$ref] as $ref, the
    group-version-kinds of multi-GVK meta types cut to the served group-versions."""
    if isinstance(x, dict):
        out = {}
        for k, v in x.items():
            if k == "description":
                continue
            if k == "default" and v in ("", 0, False, {}, [], None) and not isinstance(v, float):
                continue
            out[k] = normalize(v, served)
        if set(out) == {"allOf"} and len(out["allOf"]) == 1 and set(out["allOf"][0]) == {"$ref"}:
            out = dict(out["allOf"][0])
        g = out.get("x-kubernetes-group-version-kind")
        if isinstance(g, list) and len(g) > 1:
            out["x-kubernetes-group-version-kind"] = [e for e in g if (e["group"], e["version"]) in served]
        return out
    if isinstance(x, list):
        return [normalize(v, served) for v in x]
    return x


# Operations this server has and upstream does not, because the resource table says so (apiserver/resources.c).
KNOWN_EXTRA = {
    ("/api/v1/namespaces", "delete"),  # namespaces: the table lists deletecollection, upstream's verbs lack it
}


def merged_params(item, op):
    return {(p["name"], p["in"]) for p in item.get("parameters", []) + op.get("parameters", [])}


def t_openapi_matches_upstream(cl):
    files = glob.glob(os.path.join(SPEC_DIR, "*_openapi.json"))
    if not files:
        raise Skip("no reference documents in %s" % SPEC_DIR)
    served = set()
    for gv in served_gvs(cl):
        p = gv.split("/")
        served.add(("", p[1]) if p[0] == "api" else (p[1], p[2]))
    s, _, body = get(cl, "/openapi/v3")
    checked_schemas = checked_ops = 0
    for gv, e in json.loads(body)["paths"].items():
        ref_file = os.path.join(SPEC_DIR, gv.replace("/", "__") + "_openapi.json")
        ref = json.load(open(ref_file))
        s, _, doc = get(cl, e["serverRelativeURL"])
        ours = json.loads(doc)
        # schemas: each one upstream's, but for what the tables do not keep
        for name, sch in ours["components"]["schemas"].items():
            assert name in ref["components"]["schemas"], (gv, name)
            want = normalize(ref["components"]["schemas"][name], served)
            got = normalize(sch, served)
            if got != want:
                raise AssertionError("%s %s differs:\n ours     %s\n upstream %s" % (
                    gv, name, json.dumps(got, sort_keys=True)[:1500], json.dumps(want, sort_keys=True)[:1500]))
            checked_schemas += 1
        # operations: upstream's ids, actions and kinds; parameters a subset of upstream's
        for path, item in ours["paths"].items():
            assert path in ref["paths"], (gv, path)
            uitem = ref["paths"][path]
            for m in ("get", "put", "post", "patch", "delete"):
                if m not in item:
                    continue
                op, uop = item[m], uitem.get(m)
                if (path, m) in KNOWN_EXTRA:
                    continue
                assert uop, (gv, path, m)
                assert op["operationId"] == uop["operationId"], (op["operationId"], uop["operationId"])
                assert op.get("x-kubernetes-action") == uop.get("x-kubernetes-action"), (path, m)
                assert op.get("x-kubernetes-group-version-kind") == uop.get("x-kubernetes-group-version-kind"), path
                assert op["tags"] == uop["tags"], (op["tags"], uop["tags"])
                extra = merged_params(item, op) - merged_params(uitem, uop)
                assert not extra, (path, m, extra)
                for code, r in op["responses"].items():
                    assert code in uop["responses"], (path, m, code)
                    c = r.get("content", {}).get("application/json")
                    # DELETE answers the deleted object here (apiserver/rest.c); upstream a Status for most kinds
                    if c and m != "delete":
                        assert c == uop["responses"][code]["content"]["application/json"], (path, m, code)
                if "requestBody" in op:
                    for ctype, c in op["requestBody"]["content"].items():
                        assert c == uop["requestBody"]["content"][ctype], (path, m, ctype)
                checked_ops += 1
    assert checked_schemas > 400 and checked_ops > 150, (checked_schemas, checked_ops)
    print("     compared %d schemas and %d operations with upstream" % (checked_schemas, checked_ops))


# ------------------------------------------------------------------------------------------------- discovery


def t_aggregated_discovery(cl):
    docs = {}
    for path in ("/api", "/apis"):
        for accept, ctype, ver in ((KUBECTL_ACCEPT, AGG_V2, "v2"), (AGG_V2B1 + ",application/json", AGG_V2B1, "v2beta1")):
            s, h, body = get(cl, path, {"Accept": accept})
            assert s == 200 and h["content-type"] == ctype, (path, s, h)
            assert h["etag"] == '"%s"' % hashlib.sha512(body).hexdigest().upper(), h
            assert h["vary"] == "Accept" and h["cache-control"] == "public", h
            d = json.loads(body)
            assert d["kind"] == "APIGroupDiscoveryList" and d["apiVersion"] == "apidiscovery.k8s.io/" + ver, d
            s, h2, b2 = get(cl, path, {"Accept": accept, "If-None-Match": h["etag"]})
            assert s == 304 and b2 == b"", s
            docs[path] = d
        # the legacy form otherwise
        for accept in (None, "application/json", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"):
            s, h, body = get(cl, path, {"Accept": accept} if accept else None)
            assert s == 200 and h["content-type"] == "application/json", (path, accept, h)
            assert json.loads(body)["kind"] == ("APIVersions" if path == "/api" else "APIGroupList"), body[:100]
    # the aggregated documents say what the legacy ones say
    items = docs["/api"]["items"] + docs["/apis"]["items"]
    for g in items:
        name = g["metadata"].get("name", "")
        for v in g["versions"]:
            assert v["freshness"] == "Current", v
            gv = ("api/" if not name else "apis/%s/" % name) + v["version"]
            s, legacy = cl.req("GET", "/" + gv)
            assert s == 200, (gv, s)
            want = {}
            for r in legacy["resources"]:
                want[r["name"]] = (r["kind"], sorted(r["verbs"]), r.get("shortNames"), r.get("categories"))
            got = {}
            for r in v["resources"]:
                got[r["resource"]] = (r["responseKind"]["kind"], sorted(r["verbs"]), r.get("shortNames"),
                                      r.get("categories"))
                assert r["scope"] in ("Namespaced", "Cluster") and r["singularResource"], r
                for sub in r.get("subresources", []):
                    got[r["resource"] + "/" + sub["subresource"]] = (sub["responseKind"]["kind"], sorted(sub["verbs"]),
                                                                     None, None)
            for k in list(want):
                if "/" in k:
                    want[k] = (want[k][0], want[k][1], None, None)
            assert got == want, (gv, got, want)


# --------------------------------------------------------------------------------------------------- reviews


def t_reviews(cl):
    base = "/apis/authorization.k8s.io/v1/"
    ssar = {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
            "spec": {"resourceAttributes": {"namespace": "default", "verb": "create", "resource": "pods"}}}
    s, o = cl.req("POST", base + "selfsubjectaccessreviews", ssar)
    assert s == 201 and o["status"]["allowed"] is True and o["status"]["reason"], (s, o)
    assert o["spec"] == ssar["spec"], o
    s, o = cl.req("POST", base + "selfsubjectaccessreviews", {"spec": {}})
    assert s == 422 and o["reason"] == "Invalid", (s, o)
    assert o["message"].startswith('SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes'), o
    s, o = cl.req("POST", base + "selfsubjectrulesreviews", {"spec": {"namespace": "default"}})
    assert s == 201 and o["status"] == {"resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                                        "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                                        "incomplete": False}, (s, o)
    s, o = cl.req("POST", base + "selfsubjectrulesreviews", {"spec": {}})
    assert s == 400 and o["message"] == "no namespace on request", (s, o)
    ssr = "/apis/authentication.k8s.io/v1/selfsubjectreviews"
    s, o = cl.req("POST", ssr, {"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1"})
    assert s == 201 and o["status"]["userInfo"] == {"username": "admin",
                                                    "groups": ["system:masters", "system:authenticated"]}, (s, o)
    assert o["metadata"]["creationTimestamp"].endswith("Z"), o
    # a bearer token user: uid and groups from the token file
    s, o = cl.req("POST", ssr, {}, anon=True, headers={"Authorization": "Bearer secret-token"})
    assert s == 201 and o["status"]["userInfo"] == {"username": "alice", "uid": "uid-alice",
                                                    "groups": ["devs", "qa", "system:authenticated"]}, (s, o)
    s, o = cl.req("POST", ssr, {}, anon=True)
    assert s == 401, s
    # create only, cluster-scoped, no names
    s, o = cl.req("GET", base + "selfsubjectaccessreviews")
    assert s == 405 and o["reason"] == "MethodNotAllowed", (s, o)
    s, o = cl.req("DELETE", ssr)
    assert s == 405, s
    s, o = cl.req("POST", base + "namespaces/default/selfsubjectaccessreviews", ssar)
    assert s == 404, s
    s, o = cl.req("POST", base + "selfsubjectaccessreviews/x", ssar)
    assert s == 404, s
    s, o = cl.req("POST", base + "selfsubjectaccessreviews", "x" * (4 * 1024 * 1024))
    assert s == 413 and o["reason"] == "RequestEntityTooLarge", (s, o)
    s, o = cl.req("POST", base + "selfsubjectaccessreviews", "{nope")
    assert s == 400, s
    s, o = cl.req("POST", base + "subjectaccessreviews", ssar)
    assert s == 404, s


def protobuf_refused(cl):
    """True while the server answers 415 to a protobuf review (kubectl 1.32+ sends can-i and whoami that way)."""
    # a runtime.Unknown envelope of an empty SelfSubjectReview: magic "k8s\0", field 1 TypeMeta, field 2 raw
    tm = b"\x0a\x18authentication.k8s.io/v1\x12\x11SelfSubjectReview"
    body = b"k8s\x00" + b"\x0a" + bytes([len(tm)]) + tm + b"\x12\x00"
    s, _, _ = get(cl, "/apis/authentication.k8s.io/v1/selfsubjectreviews", method="POST", body=body,
                  headers={"Content-Type": "application/vnd.kubernetes.protobuf", "Accept": "application/json"})
    return s == 415


# --------------------------------------------------------------------------------------------------- kubectl


class Kubectl:
    def __init__(self, cl, version, kubeconfig=None):
        self.cl, self.version = cl, version
        self.bin = KUBECTL_120 if version == "1.20" else KUBECTL % version
        if not os.path.exists(self.bin):
            raise Skip("%s not installed" % self.bin)
        self.kubeconfig = kubeconfig or os.path.join(cl.tmp, "data", "admin.kubeconfig")
        self.cache = os.path.join(cl.tmp, "kubectl-cache-%s-%d" % (version, time.monotonic_ns()))

    def run(self, *args, ok=True, stdin=None):
        argv = [self.bin, "--kubeconfig", self.kubeconfig, "--cache-dir", self.cache] + list(args)
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        k8ctest.children.append(p)
        try:
            out, err = p.communicate(stdin, timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise AssertionError("kubectl %s %s: timed out" % (self.version, " ".join(args)))
        if ok and p.returncode != 0:
            raise AssertionError("kubectl %s %s: exit %d\n%s%s" % (self.version, " ".join(args), p.returncode, out, err))
        return p.returncode, out, err


def urls(err, verb=None):
    """The request URLs of a -v=6 log (both the 1.27 and the 1.33 log formats)."""
    out = []
    for ln in err.splitlines():
        m = re.search(r'verb="(\w+)" url="([^"]+)"', ln) or re.search(r"\] (\w+) (https?://\S+) \d", ln)
        if m and (verb is None or m.group(1) == verb):
            out.append(m.group(2))
    return out


def check_api_resources(k, aggregated):
    rc, out, err = k.run("api-resources", "-v=6")
    names = {ln.split()[0] for ln in out.splitlines()[1:] if ln.strip()}
    for want in ("pods", "deployments", "selfsubjectaccessreviews", "selfsubjectrulesreviews", "selfsubjectreviews",
                 "horizontalpodautoscalers"):
        assert want in names, (k.version, want, out)
    assert re.search(r"^pods\s+po\s+v1\s+true\s+Pod", out, re.M), out
    assert re.search(r"^selfsubjectaccessreviews\s+authorization.k8s.io/v1\s+false\s+SelfSubjectAccessReview", out,
                     re.M), out
    gets = [urllib.parse.urlsplit(u).path for u in urls(err, "GET")]
    legacy = "/api/v1" in gets
    assert legacy != aggregated, (k.version, aggregated, gets)


def check_get(k):
    s, o = k.cl.req("POST", "/api/v1/namespaces/default/configmaps",
                    {"metadata": {"name": "oa-cm-" + k.version.replace(".", "-")}, "data": {"a": "b"}})
    assert s == 201, (s, o)
    rc, out, err = k.run("get", "cm", "-n", "default")  # the resource by its short name, from discovery
    assert "oa-cm-" + k.version.replace(".", "-") in out, out
    rc, out, err = k.run("get", "po,deploy,svc,cm", "-A")
    assert "NAMESPACE" in out, out
    rc, out, err = k.run("get", "ns")
    assert re.search(r"^default\s+Active", out, re.M), out


def deployment_yaml(name, env_value, second=True):
    containers = [{"name": "a", "image": "nginx:1", "env": [{"name": "X", "value": env_value}]}]
    if second:
        containers.append({"name": "b", "image": "busybox"})
    return json.dumps({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
                       "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                                "template": {"metadata": {"labels": {"app": name}},
                                             "spec": {"containers": containers}}}})


def check_writes(k):
    name = "oa-" + k.version.replace(".", "-")
    f = os.path.join(k.cl.tmp, name + ".json")
    with open(f, "w") as fh:
        fh.write(deployment_yaml(name, "1"))
    rc, out, err = k.run("apply", "-f", f, "-v=6")
    assert "created" in out, out
    posts = urls(err, "POST")
    assert any("fieldValidation=Strict" in u for u in posts), (k.version, posts)
    if k.version >= "1.30":
        assert not any("/openapi/v2" in u for u in urls(err)), (k.version, urls(err))
    # a second apply is a strategic merge patch computed from the v3 schema: container b stays
    with open(f, "w") as fh:
        fh.write(deployment_yaml(name, "2"))
    rc, out, err = k.run("apply", "-f", f, "-v=6")
    assert "configured" in out and "error calculating patch" not in err, (out, err[-2000:])
    patches = urls(err, "PATCH")
    assert patches and all("fieldValidation=Strict" in u for u in patches), patches
    s, d = k.cl.req("GET", "/apis/apps/v1/namespaces/default/deployments/" + name)
    cs = d["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in cs] == ["a", "b"] and cs[0]["env"] == [{"name": "X", "value": "2"}], cs
    # replace -f and create -f with default validation
    with open(f, "w") as fh:
        fh.write(deployment_yaml(name, "3", second=False))
    rc, out, err = k.run("replace", "-f", f, "-v=6")
    assert "replaced" in out and any("fieldValidation=Strict" in u for u in urls(err, "PUT")), (out, urls(err))
    k.run("delete", "-f", f)
    rc, out, err = k.run("create", "-f", f, "-v=6")
    assert "created" in out and any("fieldValidation=Strict" in u for u in urls(err, "POST")), out
    k.run("delete", "-f", f)


def check_explain(k):
    rc, out, err = k.run("explain", "pod.spec.containers")
    assert "FIELD: containers <[]Container>" in out or "RESOURCE: containers <[]Object>" in out, out[:500]
    assert re.search(r"^\s+image\s+<string>", out, re.M) and re.search(r"^\s+name\s+<string> -required-", out, re.M), out
    rc, out, err = k.run("explain", "deployment.spec", "--recursive")
    assert re.search(r"^\s+replicas\s+<integer>", out, re.M), out[:800]
    assert re.search(r"^\s+maxSurge\s+<IntOrString>", out, re.M) or "maxSurge" in out, out
    rc, out, err = k.run("explain", "svc")
    assert "KIND:" in out and "Service" in out and re.search(r"^\s+spec\s+<ServiceSpec>", out, re.M), out
    return out


def check_auth(k, cl):
    if k.version >= "1.32" and protobuf_refused(cl):
        raise Skip("kubectl %s sends auth can-i/whoami as protobuf, which the server still answers 415" % k.version)
    rc, out, err = k.run("auth", "can-i", "create", "pods")
    assert out.strip() == "yes", (out, err)
    rc, out, err = k.run("auth", "can-i", "--list")
    assert re.search(r"^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]", out, re.M), out
    if k.version >= "1.28":
        rc, out, err = k.run("auth", "whoami")
        assert re.search(r"Username\s+admin", out) and "system:masters" in out, out


def kubectl_steps(cl, version):
    k = Kubectl(cl, version)
    skipped = []
    for name, fn in (("api-resources", lambda: check_api_resources(k, aggregated=True)), ("get", lambda: check_get(k)),
                     ("apply/create/replace", lambda: check_writes(k)), ("explain", lambda: check_explain(k)),
                     ("auth", lambda: check_auth(k, cl))):
        try:
            fn()
        except Skip as e:
            skipped.append("%s: %s" % (name, e))
    for s in skipped:
        print("     skipped %s" % s)


def t_kubectl_1_27(cl):
    kubectl_steps(cl, "1.27")


def t_kubectl_1_30(cl):
    kubectl_steps(cl, "1.30")


def t_kubectl_1_33(cl):
    kubectl_steps(cl, "1.33")
    k = Kubectl(cl, "1.33")
    out = check_explain(k)
    print("     kubectl 1.33 explain svc prints:\n       " + "\n       ".join(out.splitlines()[:8]))


def t_kubectl_1_20(cl):
    """kubectl 1.20 reads /openapi/v2 as protobuf: explain, client-side validation (on now that the document is
    whole), strategic merge patches computed from its schemas, and diff's dry-run check."""
    k = Kubectl(cl, "1.20")
    rc, out, err = k.run("explain", "pod.spec.containers", "-v=6")
    assert any(urllib.parse.urlsplit(u).path == "/openapi/v2" for u in urls(err, "GET")), err[-1500:]
    assert re.search(r"^RESOURCE: containers <\[\]Object>$", out, re.M), out
    assert re.search(r"^\s+name\s+<string> -required-$", out, re.M) and \
        re.search(r"^\s+resources\s+<Object>$", out, re.M), out
    rc, out, err = k.run("explain", "deployment.spec.strategy.rollingUpdate.maxSurge")
    assert re.search(r"^FIELD:\s+maxSurge <string>$", out, re.M), out  # IntOrString is a string in v2
    rc, out, err = k.run("explain", "hpa.spec", "--api-version", "autoscaling/v2")
    assert re.search(r"^\s+scaleTargetRef\s+<Object> -required-$", out, re.M), out
    # client-side validation: the compat manifests pass (tests/compat), a bad one is refused before any request
    ns = "default"
    bad = [({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "oa20-bad"}, "spek": 1},
            'ValidationError(ConfigMap): unknown field "spek" in io.k8s.api.core.v1.ConfigMap'),
           ({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "oa20-bad"},
             "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x",
                                                            "ports": [{"containerPort": "80"}]}]}}}},
            'invalid type for io.k8s.api.core.v1.ContainerPort.containerPort: got "string", expected "integer"'),
           ({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "oa20-bad"},
             "spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}},
            'missing required field "selector" in io.k8s.api.apps.v1.DeploymentSpec')]
    for obj, want in bad:  # (no -v: kubectl 1.20 logs a failure at -v=6 as a fatal error with a stack, exit 255)
        for verb in ("create", "apply", "replace"):
            rc, out, err = k.run(verb, "-n", ns, "-f", "-", ok=False, stdin=json.dumps(obj))
            assert rc == 1 and "error validating data: " in err and want in err, (verb, rc, err[-1500:])
            path = "/api/v1/namespaces/%s/configmaps/oa20-bad" if obj["kind"] == "ConfigMap" else \
                "/apis/apps/v1/namespaces/%s/deployments/oa20-bad"
            assert cl.req("GET", path % ns)[0] == 404, (verb, obj["kind"])
    rc, out, err = k.run("create", "-n", ns, "-f", "-", "--validate=false", stdin=json.dumps(bad[0][0]))
    assert "configmap/oa20-bad created" in out, out
    k.run("delete", "-n", ns, "configmap", "oa20-bad")
    # apply: the second apply's strategic merge patch comes from the v2 schema (containers merged by name)
    name = "oa-1-20"
    rc, out, err = k.run("apply", "-n", ns, "-f", "-", stdin=deployment_yaml(name, "1"))
    assert "created" in out, out
    rc, out, err = k.run("apply", "-n", ns, "-f", "-", "-v=8", stdin=deployment_yaml(name, "2"))
    assert "configured" in out and "error calculating patch" not in err and "warning" not in err.lower(), err[-2000:]
    s, d = cl.req("GET", "/apis/apps/v1/namespaces/%s/deployments/%s" % (ns, name))
    cs = d["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in cs] == ["a", "b"] and cs[0]["env"] == [{"name": "X", "value": "2"}], cs
    # diff: dry-run support is read from the document (a PATCH listing dryRun for the kind)
    rc, out, err = k.run("diff", "-n", ns, "-f", "-", ok=False, stdin=deployment_yaml(name, "3"))
    assert rc == 1 and '-          value: "2"' in out and '+          value: "3"' in out, (rc, out, err)
    rc, out, err = k.run("diff", "-n", ns, "-f", "-", ok=False, stdin=deployment_yaml(name, "2"))
    assert rc == 0 and out == "", (rc, out, err)
    k.run("delete", "-n", ns, "deployment", name)


def t_kubectl_explain_v2(cl):
    """kubectl 1.27+ explain from /openapi/v2 when asked to (--output plaintext-openapiv2)."""
    for version in ("1.27", "1.30", "1.33"):
        try:
            k = Kubectl(cl, version)
        except Skip as e:
            print("     skipped: %s" % e)
            continue
        rc, out, err = k.run("explain", "pod.spec.containers", "--output", "plaintext-openapiv2", "-v=6")
        assert any(urllib.parse.urlsplit(u).path == "/openapi/v2" for u in urls(err, "GET")), (version, err[-1500:])
        assert re.search(r"^RESOURCE: containers <\[\]Object>$", out, re.M), (version, out)
        assert re.search(r"^\s+name\s+<string> -required-$", out, re.M), (version, out)


class LegacyProxy:
    """Plain HTTP on 127.0.0.1 forwarding to the server with the admin certificate, dropping the aggregated
    discovery media types from Accept: kubectl behind it gets the legacy discovery documents."""

    def __init__(self, cl):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def forward(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                h = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection", "accept")}
                acc = [a for a in (self.headers.get("Accept") or "").split(",") if "apidiscovery" not in a and a]
                h["Accept"] = ",".join(acc) or "application/json"
                proxy.accepts.append(h["Accept"])
                s, rh, data = get(cl, self.path, h, method=self.command, body=body)
                self.send_response(s)
                for k, v in rh.items():
                    if k not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = forward

        self.accepts = []
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.srv.server_address[1]
        self.t = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.t.start()
        self.kubeconfig = os.path.join(cl.tmp, "legacy.kubeconfig")
        with open(self.kubeconfig, "w") as f:
            json.dump({"apiVersion": "v1", "kind": "Config", "current-context": "p",
                       "clusters": [{"name": "p", "cluster": {"server": "http://127.0.0.1:%d" % self.port}}],
                       "contexts": [{"name": "p", "context": {"cluster": "p", "user": "u"}}],
                       "users": [{"name": "u", "user": {}}]}, f)

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def t_kubectl_legacy_discovery(cl):
    p = LegacyProxy(cl)
    try:
        for version in ("1.30", "1.33"):
            k = Kubectl(cl, version, kubeconfig=p.kubeconfig)
            check_api_resources(k, aggregated=False)
            rc, out, err = k.run("get", "deploy,po", "-n", "kube-system")
            rc, out, err = k.run("get", "ns", "default", "-o", "name")
            assert out.strip() == "namespace/default", out
        assert p.accepts and not any("apidiscovery" in a for a in p.accepts), p.accepts
    finally:
        p.close()


TESTS = [v for k, v in list(globals().items()) if k.startswith("t_")]


def main():
    # a Skip inside a t_ function is a pass with a printed reason
    def wrap(fn):
        def run(cl):
            try:
                fn(cl)
            except Skip as e:
                print("     skipped: %s" % e)
        run.__name__ = fn.__name__
        return run
    return run_tests([wrap(t) for t in TESTS], __doc__, prefix="k8c-openapi-")


if __name__ == "__main__":
    sys.exit(main())
