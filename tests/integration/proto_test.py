#!/usr/bin/python3
"""Integration tests of protobuf request bodies (Content-Type application/vnd.kubernetes.protobuf, decoded by
common/kc_k8sproto.h) and of the other body media types: `k8c server` (or `k8c apiserver` on real etcd with
--etcd) on 127.0.0.1, driven with protobuf POST/PUT bodies built here by a small encoder, and by the real
kubectl 1.33, whose typed `create` commands send protobuf. Every object is read back as JSON and compared with
what was sent (kubectl: with what `--dry-run=client -o json` says the command builds).

Usage: proto_test.py --k8c BUILD/cmd/k8c [--etcd] [-k PATTERN]
Every process started is stopped by PID, also on failure.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile

from k8ctest import run_tests

PB = "application/vnd.kubernetes.protobuf"
KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.33"

# --- a tiny protobuf encoder (field numbers from Kubernetes' generated.proto, as the table has them) ---


def varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def fv(num, v):
    return varint(num << 3) + varint(v)


def fb(num, data):
    if isinstance(data, str):
        data = data.encode()
    return varint(num << 3 | 2) + varint(len(data)) + data


def entry(num, k, v):
    return fb(num, fb(1, k) + fb(2, v))


def meta(name=None, ns=None, labels=None, rv=None):
    m = b""
    if name is not None:
        m += fb(1, name)
    if ns is not None:
        m += fb(3, ns)
    if rv is not None:
        m += fb(6, rv)
    m += fb(8, b"")  # the zero creationTimestamp, as kubectl sends it
    for k, v in sorted((labels or {}).items()):
        m += entry(11, k, v)
    return m


def envelope(api_version, kind, raw):
    tm = (fb(1, api_version) if api_version else b"") + (fb(2, kind) if kind else b"")
    return b"k8s\x00" + fb(1, tm) + fb(2, raw) + fb(3, b"") + fb(4, b"")


def post(cl, path, body, ctype=PB):
    return cl.req("POST", path, body, ctype=ctype)


# --- raw protobuf requests ---


def t_configmap_roundtrip(cl):
    raw = fb(1, meta("pb-cm", labels={"app": "x"})) + entry(2, "a", "b") + entry(2, "empty", "") + \
        entry(2, "utf8", "h\u00e9llo") + entry(3, "bin", b"\x00\xff")
    s, o = post(cl, "/api/v1/namespaces/default/configmaps", envelope("v1", "ConfigMap", raw))
    assert s == 201, (s, o)
    assert o["kind"] == "ConfigMap" and o["metadata"]["name"] == "pb-cm", o  # the reply is JSON
    s, g = cl.req("GET", "/api/v1/namespaces/default/configmaps/pb-cm")
    assert s == 200 and g["data"] == {"a": "b", "empty": "", "utf8": "h\u00e9llo"}, g
    assert g["binaryData"] == {"bin": base64.b64encode(b"\x00\xff").decode()}, g
    assert g["metadata"]["labels"] == {"app": "x"} and g["metadata"]["namespace"] == "default", g
    assert g["metadata"]["creationTimestamp"] and g["metadata"]["uid"], g["metadata"]

    # update with a protobuf PUT carrying the resourceVersion
    rv = g["metadata"]["resourceVersion"]
    raw = fb(1, meta("pb-cm", "default", rv=rv)) + entry(2, "a", "c")
    s, o = cl.req("PUT", "/api/v1/namespaces/default/configmaps/pb-cm", envelope("v1", "ConfigMap", raw),
                  ctype=PB)
    assert s == 200 and o["data"] == {"a": "c"}, (s, o)
    s, o = cl.req("PUT", "/api/v1/namespaces/default/configmaps/pb-cm", envelope("v1", "ConfigMap", raw),
                  ctype=PB)
    assert s == 409 and o["reason"] == "Conflict", (s, o)


def t_type_meta_defaults_from_url(cl):
    # no TypeMeta in the envelope: apiVersion and kind come from the URL, as upstream fills them in
    raw = fb(1, meta("pb-nokind")) + entry(2, "k", "v")
    s, o = post(cl, "/api/v1/namespaces/default/configmaps", envelope(None, None, raw))
    assert s == 201 and o["kind"] == "ConfigMap" and o["apiVersion"] == "v1", (s, o)
    # a body of another kind than the URL's is refused as for JSON
    s, o = post(cl, "/api/v1/namespaces/default/configmaps", envelope("v1", "Secret", fb(1, meta("pb-wrong"))))
    assert s == 400 and o["reason"] == "BadRequest", (s, o)


def t_deployment_pointer_zero(cl):
    # spec.replicas is a pointer: an explicit 0 must stay 0, not be defaulted to 1
    labels = {"app": "pbd"}
    sel = b"".join(entry(1, k, v) for k, v in labels.items())
    container = fb(1, "c") + fb(2, "nginx:1.27")
    tmpl = fb(1, meta(labels=labels)) + fb(2, fb(2, container))
    spec = fv(1, 0) + fb(2, sel) + fb(3, tmpl)
    s, o = post(cl, "/apis/apps/v1/namespaces/default/deployments",
                envelope("apps/v1", "Deployment", fb(1, meta("pb-dep", labels=labels)) + fb(2, spec)))
    assert s == 201, (s, o)
    s, g = cl.req("GET", "/apis/apps/v1/namespaces/default/deployments/pb-dep")
    assert s == 200 and g["spec"]["replicas"] == 0, g["spec"]
    c = g["spec"]["template"]["spec"]["containers"][0]
    assert c["name"] == "c" and c["image"] == "nginx:1.27", c
    assert g["spec"]["selector"] == {"matchLabels": labels}, g["spec"]


def t_service_int_or_string(cl):
    ports = fb(1, fb(1, "http") + fv(3, 80) + fb(4, fv(1, 1) + fb(3, "web"))) + \
        fb(1, fb(1, "metrics") + fv(3, 9090) + fb(4, fv(2, 9091)))
    spec = ports + entry(2, "app", "svc") + fb(4, "ClusterIP")
    s, o = post(cl, "/api/v1/namespaces/default/services", envelope("v1", "Service", fb(1, meta("pb-svc")) +
                                                                       fb(2, spec)))
    assert s == 201, (s, o)
    s, g = cl.req("GET", "/api/v1/namespaces/default/services/pb-svc")
    got = [(p["name"], p["port"], p["targetPort"]) for p in g["spec"]["ports"]]
    assert got == [("http", 80, "web"), ("metrics", 9090, 9091)], got
    assert g["spec"]["selector"] == {"app": "svc"} and g["spec"]["type"] == "ClusterIP", g["spec"]


def t_namespace_and_secret(cl):
    s, o = post(cl, "/api/v1/namespaces", envelope("v1", "Namespace", fb(1, meta("pb-ns"))))
    assert s == 201 and o["metadata"]["name"] == "pb-ns", (s, o)
    raw = fb(1, meta("pb-sec")) + entry(2, "key", b"\x01\x02\xfe") + fb(3, "Opaque")
    s, o = post(cl, "/api/v1/namespaces/pb-ns/secrets", envelope("v1", "Secret", raw))
    assert s == 201, (s, o)
    s, g = cl.req("GET", "/api/v1/namespaces/pb-ns/secrets/pb-sec")
    assert s == 200 and base64.b64decode(g["data"]["key"]) == b"\x01\x02\xfe" and g["type"] == "Opaque", g


def t_malformed_bodies(cl):
    path = "/api/v1/namespaces/default/configmaps"
    good = envelope("v1", "ConfigMap", fb(1, meta("pb-bad")))
    cases = [
        (b"\x00\x01\x02\x03\x04", 400, "does not appear to be a protobuf message"),
        (b"k8s\x00", 400, "empty body"),
        (good[:-7], 400, "truncated"),
        (b"k8s\x00" + fb(1, fv(2, 1)), 400, "wrong wire type"),
        (b"k8s\x00" + fb(1, fb(1, "v1") + fb(2, "ConfigMap")) + fb(2, fv(1, 5)), 400, "metadata: wrong wire type"),
        (envelope("scheduling.k8s.io/v1", "PriorityClass", fb(1, meta("pc"))), 415,
         'no protobuf schema for kind "PriorityClass" in version "scheduling.k8s.io/v1"'),
    ]
    for body, code, text in cases:
        s, o = post(cl, path, body)
        assert s == code and text in o["message"], (body, s, o)
        assert o["reason"] == ("UnsupportedMediaType" if code == 415 else "BadRequest"), o
    s, o = cl.req("GET", path + "/pb-bad")
    assert s == 404, (s, o)


def t_other_media_types(cl):
    path = "/api/v1/namespaces/default/configmaps"
    # YAML 1.1 as sigs.k8s.io/yaml reads it: the plain key `on` is the boolean true, written back as "true"
    yml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yaml-cm\ndata:\n  a: 'yes'\n  on: '1'\n"
    s, o = post(cl, path, yml, ctype="application/yaml")
    assert s == 201 and o["data"] == {"a": "yes", "true": "1"}, (s, o)
    s, o = post(cl, path, "data: [unclosed", ctype="application/yaml")
    assert s == 400 and "not valid YAML" in o["message"], (s, o)
    s, o = post(cl, path, "- a\n- b\n", ctype="application/yaml")
    assert s == 400 and "must be a JSON object" in o["message"], (s, o)
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "json-charset"}}
    s, o = post(cl, path, cm, ctype="application/json; charset=utf-8")
    assert s == 201, (s, o)
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "application/jsonx"):
        s, o = post(cl, path, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "never"}}, ctype=ctype)
        assert s == 415 and o["reason"] == "UnsupportedMediaType", (ctype, s, o)
        assert "application/json, application/yaml, application/vnd.kubernetes.protobuf" in o["message"], o
    # no Content-Type at all is JSON (kubectl scale --current-replicas sends a PUT without one)
    c = cl.conn()
    c.request("POST", path, json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "no-ct"}}))
    r = c.getresponse()
    r.read()
    c.close()
    assert r.status == 201, r.status


# --- the real kubectl ---


class Kubectl:
    def __init__(self, cl):
        self.base = [KUBECTL, "--kubeconfig", os.path.join(cl.tmp, "data", "admin.kubeconfig"), "--cache-dir",
                     tempfile.mkdtemp(prefix="cache-", dir=cl.tmp)]

    def run(self, *args, check=True):
        p = subprocess.run(self.base + list(args), capture_output=True, text=True, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError("kubectl %s: exit %d\nstdout: %s\nstderr: %s" %
                                 (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p


def subset(want, got, where="$"):
    """Every non-empty value of want is in got (what the server added, defaults and metadata, is ignored)."""
    if isinstance(want, dict):
        assert isinstance(got, dict), (where, want, got)
        for k, v in want.items():
            if v is None or v == {} or v == []:
                continue
            assert k in got, (where + "." + k, want, got)
            subset(v, got[k], where + "." + k)
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), (where, want, got)
        for i, (a, b) in enumerate(zip(want, got)):
            subset(a, b, "%s[%d]" % (where, i))
    else:
        assert want == got, (where, want, got)


# (kubectl arguments after "create", the object's URL, the line kubectl prints)
CREATES = [
    (["namespace", "kc-ns"], "/api/v1/namespaces/kc-ns", "namespace/kc-ns created"),
    (["configmap", "kc-cm", "--from-literal=a=b", "--from-literal=empty="],
     "/api/v1/namespaces/default/configmaps/kc-cm", "configmap/kc-cm created"),
    (["secret", "generic", "kc-sec", "--from-literal=user=admin", "--from-literal=pw=p@ss"],
     "/api/v1/namespaces/default/secrets/kc-sec", "secret/kc-sec created"),
    (["service", "clusterip", "kc-svc", "--tcp=80:8080", "--tcp=443:8443"],
     "/api/v1/namespaces/default/services/kc-svc", "service/kc-svc created"),
    (["deployment", "kc-dep", "--image=nginx:1.27", "--replicas=2", "--port=80"],
     "/apis/apps/v1/namespaces/default/deployments/kc-dep", "deployment.apps/kc-dep created"),
    (["deployment", "kc-dep0", "--image=nginx:1.27", "--replicas=0"],
     "/apis/apps/v1/namespaces/default/deployments/kc-dep0", "deployment.apps/kc-dep0 created"),
    (["job", "kc-job", "--image=busybox", "--", "echo", "hi"],
     "/apis/batch/v1/namespaces/default/jobs/kc-job", "job.batch/kc-job created"),
    (["cronjob", "kc-cj", "--image=busybox", "--schedule=*/5 * * * *", "--", "date"],
     "/apis/batch/v1/namespaces/default/cronjobs/kc-cj", "cronjob.batch/kc-cj created"),
    (["ingress", "kc-ing", "--rule=foo.example.com/bar*=svc1:8080", "--rule=x.example.com/=svc2:http,tls=sec1"],
     "/apis/networking.k8s.io/v1/namespaces/default/ingresses/kc-ing", "ingress.networking.k8s.io/kc-ing created"),
    (["serviceaccount", "kc-sa"], "/api/v1/namespaces/default/serviceaccounts/kc-sa",
     "serviceaccount/kc-sa created"),
]


def t_kubectl_creates(cl):
    if not os.path.exists(KUBECTL):
        print("skip t_kubectl_creates: %s not found" % KUBECTL)
        return
    k = Kubectl(cl)
    for args, url, line in CREATES:
        # what the command builds, printed by kubectl itself without a server round trip
        at = args.index("--") if "--" in args else len(args)
        want = json.loads(k.run("create", *args[:at], "--dry-run=client", "-o", "json", *args[at:]).stdout)
        p = k.run("create", *args)
        assert p.stdout.strip() == line, (args, p.stdout, p.stderr)
        s, got = cl.req("GET", url)
        assert s == 200, (url, s, got)
        want.pop("status", None)
        subset(want, got)
    # the pointer field set to zero survived, the one left out was defaulted
    s, g = cl.req("GET", "/apis/apps/v1/namespaces/default/deployments/kc-dep0")
    assert g["spec"]["replicas"] == 0, g["spec"]
    # a second create of the same name: kubectl reports AlreadyExists and exits 1
    p = k.run("create", "configmap", "kc-cm", "--from-literal=a=b", check=False)
    assert p.returncode == 1 and 'configmaps "kc-cm" already exists' in p.stderr, (p.returncode, p.stderr)


def t_kubectl_auth(cl):
    """auth can-i and whoami send SelfSubjectAccessReview / SelfSubjectReview as protobuf: only when served."""
    if not os.path.exists(KUBECTL):
        print("skip t_kubectl_auth: %s not found" % KUBECTL)
        return
    k = Kubectl(cl)
    s, _ = cl.req("GET", "/apis/authorization.k8s.io/v1")
    if s != 200:
        print("skip t_kubectl_auth: /apis/authorization.k8s.io/v1 is not served (%d)" % s)
        return
    p = k.run("auth", "can-i", "create", "configmaps", check=False)
    assert p.returncode == 0 and p.stdout.strip() == "yes", (p.returncode, p.stdout, p.stderr)
    s, _ = cl.req("GET", "/apis/authentication.k8s.io/v1")
    if s != 200:
        print("skip kubectl auth whoami: /apis/authentication.k8s.io/v1 is not served (%d)" % s)
        return
    p = k.run("auth", "whoami", "-o", "json")
    o = json.loads(p.stdout)
    assert o["kind"] == "SelfSubjectReview" and o["status"]["userInfo"]["username"] == "admin", o


TESTS = [t_configmap_roundtrip, t_type_meta_defaults_from_url, t_deployment_pointer_zero, t_service_int_or_string,
         t_namespace_and_secret, t_malformed_bodies, t_other_media_types, t_kubectl_creates, t_kubectl_auth]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, __doc__, prefix="k8c-proto-"))
