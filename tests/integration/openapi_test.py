#!/usr/bin/python3
"""Integration tests of what the API server publishes about itself: /openapi/v3 (the index, every group-version
document with kube-openapi's caching headers, compared schema by schema and operation by operation with the
Kubernetes 1.33 documents in ../shared/k8s-openapi/v3 when they are there), /openapi/v2, aggregated discovery
(apidiscovery.k8s.io v2 and v2beta1) against the legacy documents, and the SelfSubject*Review kinds; then the real
kubectl (1.27, 1.30, 1.33): api-resources and get through aggregated discovery and, behind a small proxy that
strips the aggregated media types from Accept, through the legacy documents; apply / create -f / replace -f with
default validation (fieldValidation=Strict, patches computed from the v3 schemas); explain; auth can-i and auth
whoami (kubectl 1.32+ sends these as protobuf: those steps are skipped, with the reason printed, while the server
answers 415 to a protobuf review).

Usage: openapi_test.py --k8c BUILD/cmd/k8c [--etcd] [-k PATTERN]
Every process started (the server, kubectl, the proxy thread's connections) is stopped, also on failure.
"""
import calendar
import glob
import hashlib
import http.client
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

import k8ctest
from k8ctest import run_tests

SPEC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "k8s-openapi", "v3")
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


def t_openapi_v2(cl):
    s, h, body = get(cl, "/openapi/v2", {"Accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"})
    assert s == 200 and h["content-type"] == "application/octet-stream" and body == b"", (s, h, body)


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
        self.bin = KUBECTL % version
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
