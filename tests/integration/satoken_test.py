#!/usr/bin/python3
"""Integration tests of service account tokens: TokenRequest (POST .../serviceaccounts/<name>/token) on a
`k8c server` (or `k8c apiserver` on a real etcd with --etcd) with the key pair it makes in <data-dir>/pki, its
defaults and validation errors, bound objects, and the tokens in use as bearer tokens: lists, SelfSubjectReview,
401 for malformed, tampered, foreign-audience and expired tokens and after the service account (or the bound pod)
is deleted or recreated; then the real clients: `kubectl create token` (1.33 through the dispatcher, 1.30, 1.27)
and `kubectl --token`, and python3-kubernetes' create_namespaced_service_account_token.

Usage: satoken_test.py --k8c BUILD/cmd/k8c [--etcd] [-k PATTERN]
Every process started is stopped by PID, also on failure.
"""
import base64
import hashlib
import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import uuid

import k8ctest
from k8ctest import run_tests

ISS = "https://kubernetes.default.svc.cluster.local"
KUBECTLS = [("1.33", "/usr/bin/kubectl"), ("1.30", "/usr/lib/google-cloud-sdk/bin/kubectl.1.30"),
            ("1.27", "/usr/lib/google-cloud-sdk/bin/kubectl.1.27")]


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def parts(tok):
    h, p, s = tok.split(".")
    return json.loads(b64d(h)), json.loads(b64d(p)), s


def sa_path(name, ns="default"):
    return "/api/v1/namespaces/%s/serviceaccounts/%s" % (ns, name)


def make_sa(cl, name, ns="default"):
    cl.req("DELETE", sa_path(name, ns))
    s, o = cl.req("POST", "/api/v1/namespaces/%s/serviceaccounts" % ns, {"metadata": {"name": name}})
    assert s == 201, (s, o)
    return o


def token(cl, name, spec=None, ns="default", expect=201):
    s, o = cl.req("POST", sa_path(name, ns) + "/token", {"spec": spec or {}})
    assert s == expect, (s, o)
    return o


def bearer(cl, method, path, tok, body=None):
    return cl.req(method, path, body, anon=True, headers={"Authorization": "Bearer " + tok})


def whoami(cl, tok):
    return bearer(cl, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", tok, {})


def wait_status(cl, tok, want, timeout=10):
    """Polls GET pods with tok until it answers want (the existence checks are cached for about 2 s)."""
    deadline = time.monotonic() + timeout
    while True:
        s, _ = bearer(cl, "GET", "/api/v1/namespaces/default/pods", tok)
        if s == want:
            return
        if time.monotonic() > deadline:
            raise AssertionError("token still answers %d, not %d, after %d s" % (s, want, timeout))
        time.sleep(0.1)  # polling for a condition with a deadline


def t_keys_on_disk(cl):
    pki = os.path.join(cl.tmp, "data", "pki")
    st = os.stat(os.path.join(pki, "sa.key"))
    assert st.st_mode & 0o777 == 0o600, oct(st.st_mode)
    pub = open(os.path.join(pki, "sa.pub")).read()
    assert pub.startswith("-----BEGIN PUBLIC KEY-----"), pub
    assert "PRIVATE" in open(os.path.join(pki, "sa.key")).read()
    # `k8c pki init` makes the pair too; a lost sa.pub is made again from sa.key, which is kept
    d = os.path.join(cl.tmp, "pki-init")
    subprocess.run([cl.k8c, "pki", "init", "--data-dir", d], check=True, capture_output=True, timeout=60)
    key, pub = os.path.join(d, "pki", "sa.key"), os.path.join(d, "pki", "sa.pub")
    k1, p1 = open(key).read(), open(pub).read()
    os.unlink(pub)
    subprocess.run([cl.k8c, "pki", "init", "--data-dir", d], check=True, capture_output=True, timeout=60)
    assert open(key).read() == k1 and open(pub).read() == p1


def sa_kid(cl):
    pem = open(os.path.join(cl.tmp, "data", "pki", "sa.pub")).read()
    der = base64.b64decode("".join(ln for ln in pem.splitlines() if not ln.startswith("-----")))
    return b64e(hashlib.sha256(der).digest())


def t_token_defaults(cl):
    sa = make_sa(cl, "builder")
    before = int(time.time())
    o = token(cl, "builder")
    after = int(time.time())
    assert o["kind"] == "TokenRequest" and o["apiVersion"] == "authentication.k8s.io/v1", o
    assert o["metadata"]["name"] == "builder" and o["metadata"]["namespace"] == "default", o
    assert o["metadata"]["creationTimestamp"].endswith("Z"), o
    assert o["spec"] == {"audiences": [ISS], "expirationSeconds": 3600, "boundObjectRef": None}, o["spec"]
    tok = o["status"]["token"]
    h, p, sig = parts(tok)
    assert h == {"alg": "ES256", "kid": sa_kid(cl)}, h
    assert len(b64d(sig)) == 64
    assert sorted(p) == ["aud", "exp", "iat", "iss", "jti", "kubernetes.io", "nbf", "sub"], p
    assert p["iss"] == ISS and p["aud"] == [ISS] and p["sub"] == "system:serviceaccount:default:builder", p
    assert before <= p["iat"] <= after and p["nbf"] == p["iat"] and p["exp"] == p["iat"] + 3600, p
    assert str(uuid.UUID(p["jti"])) == p["jti"], p
    assert p["kubernetes.io"] == {"namespace": "default",
                                  "serviceaccount": {"name": "builder", "uid": sa["metadata"]["uid"]}}, p
    # the payload is written as go-jose writes it: compact, keys sorted at every level
    assert b64d(tok.split(".")[1]) == json.dumps(p, separators=(",", ":"), sort_keys=True).encode()
    exp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(p["iat"] + 3600))
    assert o["status"]["expirationTimestamp"] == exp, o["status"]
    # given audiences and lifetime
    o = token(cl, "builder", {"audiences": ["vault", ISS], "expirationSeconds": 7200})
    h, p, _ = parts(o["status"]["token"])
    assert p["aud"] == ["vault", ISS] and p["exp"] - p["iat"] == 7200, p
    assert o["spec"]["audiences"] == ["vault", ISS] and o["spec"]["expirationSeconds"] == 7200, o


def t_token_validation(cl):
    make_sa(cl, "builder")
    s, o = cl.req("POST", sa_path("nobody") + "/token", {})
    assert s == 404 and o["reason"] == "NotFound" and o["message"] == 'serviceaccounts "nobody" not found', o
    for exp, msg in ((599, "may not specify a duration less than 10 minutes"),
                     (2 ** 32 + 1, "may not specify a duration larger than 2^32 seconds")):
        o = token(cl, "builder", {"expirationSeconds": exp}, expect=422)
        assert o["reason"] == "Invalid" and o["message"] == \
            'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: %d: %s' % (
                exp, msg), o
        assert o["details"] == {"group": "authentication.k8s.io", "kind": "TokenRequest", "causes": [
            {"reason": "FieldValueInvalid", "message": "Invalid value: %d: %s" % (exp, msg),
             "field": "spec.expirationSeconds"}]}, o["details"]
    s, o = cl.req("POST", sa_path("builder") + "/token", {"metadata": {"name": "other"}})
    assert s == 422 and o["details"]["causes"][0]["field"] == "metadata.name", o
    assert o["message"].endswith('metadata.name: Invalid value: "other": must match the service account name if '
                                 'specified'), o
    s, o = cl.req("POST", sa_path("builder") + "/token", {"metadata": {"namespace": "kube-system"}})
    assert s == 400 and o["message"] == \
        "the namespace of the provided object does not match the namespace sent on the request", o
    s, o = cl.req("POST", sa_path("builder") + "/token", {"spec": {"expirationSeconds": "1h"}})
    assert s == 400 and "cannot unmarshal string into Go struct field TokenRequestSpec.spec.expirationSeconds of " \
                        "type int64" in o["message"], o
    s, o = cl.req("POST", sa_path("builder") + "/token", {"kind": "Pod"})
    assert s == 400, o
    s, o = cl.req("GET", sa_path("builder") + "/token")
    assert s == 405 and o["reason"] == "MethodNotAllowed", (s, o)
    s, o = cl.req("POST", "/api/v1/namespaces/default/configmaps/x/token", {})
    assert s == 404, (s, o)


def t_token_bound_pod(cl):
    make_sa(cl, "builder")
    cl.req("DELETE", "/api/v1/nodes/tn1")
    s, node = cl.req("POST", "/api/v1/nodes", {"metadata": {"name": "tn1"}})
    assert s == 201, node
    cl.req("DELETE", "/api/v1/namespaces/default/pods/tp1?gracePeriodSeconds=0")
    s, pod = cl.req("POST", "/api/v1/namespaces/default/pods",
                    {"metadata": {"name": "tp1"}, "spec": {"serviceAccountName": "builder", "nodeName": "tn1",
                                                           "containers": [{"name": "c", "image": "busybox"}]}})
    assert s == 201, pod
    ref = {"kind": "Pod", "apiVersion": "v1", "name": "tp1", "uid": pod["metadata"]["uid"]}
    o = token(cl, "builder", {"boundObjectRef": ref})
    assert o["spec"]["boundObjectRef"] == ref, o
    tok = o["status"]["token"]
    _, p, _ = parts(tok)
    assert p["kubernetes.io"]["pod"] == {"name": "tp1", "uid": pod["metadata"]["uid"]}, p
    assert p["kubernetes.io"]["node"] == {"name": "tn1", "uid": node["metadata"]["uid"]}, p
    s, r = whoami(cl, tok)
    assert s == 201, (s, r)
    extra = r["status"]["userInfo"]["extra"]
    assert list(extra) == ["authentication.kubernetes.io/credential-id", "authentication.kubernetes.io/node-name",
                           "authentication.kubernetes.io/node-uid", "authentication.kubernetes.io/pod-name",
                           "authentication.kubernetes.io/pod-uid"], extra
    assert extra["authentication.kubernetes.io/credential-id"] == ["JTI=" + p["jti"]], extra
    assert extra["authentication.kubernetes.io/pod-name"] == ["tp1"], extra
    assert extra["authentication.kubernetes.io/node-uid"] == [node["metadata"]["uid"]], extra
    # errors: uid mismatch 409, another service account's pod 400, missing 404, unsupported kind 400
    o = token(cl, "builder", {"boundObjectRef": dict(ref, uid="0000")}, expect=409)
    assert o["reason"] == "Conflict" and o["message"].startswith(
        'Operation cannot be fulfilled on Pod "tp1": the UID in the bound object reference (0000) does not match'), o
    make_sa(cl, "other")
    o = token(cl, "other", {"boundObjectRef": ref}, expect=400)
    assert o["message"] == 'cannot bind token for serviceaccount "other" to pod running with different ' \
                           'serviceaccount name.', o
    o = token(cl, "builder", {"boundObjectRef": dict(ref, name="nope", uid="")}, expect=404)
    assert o["message"] == 'pods "nope" not found', o
    o = token(cl, "builder", {"boundObjectRef": {"kind": "ConfigMap", "apiVersion": "v1", "name": "x"}}, expect=400)
    assert o["message"] == "cannot bind token to object of type /v1, Kind=ConfigMap", o
    # the pod goes: so does the token
    wait_status(cl, tok, 200)
    s, _ = cl.req("DELETE", "/api/v1/namespaces/default/pods/tp1?gracePeriodSeconds=0")
    assert s == 200, s
    wait_status(cl, tok, 401)
    # secret-bound
    s, sec = cl.req("POST", "/api/v1/namespaces/default/secrets", {"metadata": {"name": "ts1"}})
    assert s == 201, sec
    tok = token(cl, "builder", {"boundObjectRef": {"kind": "Secret", "apiVersion": "v1", "name": "ts1"}})
    tok = tok["status"]["token"]
    assert parts(tok)[1]["kubernetes.io"]["secret"] == {"name": "ts1", "uid": sec["metadata"]["uid"]}
    wait_status(cl, tok, 200)
    cl.req("DELETE", "/api/v1/namespaces/default/secrets/ts1")
    wait_status(cl, tok, 401)
    cl.req("DELETE", "/api/v1/nodes/tn1")


def t_token_use(cl):
    sa = make_sa(cl, "user1")
    tok = token(cl, "user1")["status"]["token"]
    s, l = bearer(cl, "GET", "/api/v1/namespaces/default/pods", tok)
    assert s == 200 and l["kind"] == "PodList", (s, l)
    for _ in range(20):  # from the cache now
        assert bearer(cl, "GET", "/api/v1/namespaces/default/pods", tok)[0] == 200
    s, r = whoami(cl, tok)
    assert s == 201 and r["status"]["userInfo"] == {
        "username": "system:serviceaccount:default:user1", "uid": sa["metadata"]["uid"],
        "groups": ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"],
        "extra": {"authentication.kubernetes.io/credential-id": ["JTI=" + parts(tok)[1]["jti"]]}}, r
    # writes work too (every authenticated user may do everything until RBAC)
    s, o = bearer(cl, "POST", "/api/v1/namespaces/default/configmaps", tok, {"metadata": {"name": "from-sa"}})
    assert s == 201, (s, o)
    cl.req("DELETE", "/api/v1/namespaces/default/configmaps/from-sa")
    # a watch with the token (the existence check runs before the stream starts)
    c = cl.conn(anon=True)
    c.request("GET", "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1",
              headers={"Authorization": "Bearer " + tok})
    r = c.getresponse()
    assert r.status == 200, r.status
    r.read()
    c.close()


def t_token_malformed(cl):
    make_sa(cl, "user2")
    tok = token(cl, "user2")["status"]["token"]
    h, p, sig = tok.split(".")
    payload = json.loads(b64d(p))
    forged = dict(payload, sub="system:serviceaccount:kube-system:admin")
    bad = [
        "garbage", "a.b.c", "a.b", tok + "x", h + "." + p + ".", h + "." + p,
        h + "." + b64e(json.dumps(forged).encode()) + "." + sig,  # payload changed, signature kept
        b64e(b'{"alg":"none"}') + "." + p + ".",  # alg none
        b64e(b'{"alg":"HS256"}') + "." + p + "." + sig,  # HMAC
        b64e(b'{"alg":"ES256","kid":"nope"}') + "." + p + "." + sig,  # unknown kid
        h + "." + p + "." + sig[:-2],  # short signature
        h + "." + p + "=." + sig,  # padding
        "{" + tok,
    ]
    for t in bad:
        s, o = bearer(cl, "GET", "/api/v1/namespaces/default/pods", t)
        assert s == 401 and o["reason"] == "Unauthorized", (t, s, o)
    # a token for another audience only
    other = token(cl, "user2", {"audiences": ["vault"]})["status"]["token"]
    assert bearer(cl, "GET", "/api/v1/namespaces/default/pods", other)[0] == 401
    # a valid token still works after all that
    assert bearer(cl, "GET", "/api/v1/namespaces/default/pods", tok)[0] == 200


def t_token_deleted_and_recreated_sa(cl):
    make_sa(cl, "gone")
    tok = token(cl, "gone")["status"]["token"]
    unused = token(cl, "gone")["status"]["token"]  # first shown to the server after the account is recreated
    wait_status(cl, tok, 200)
    s, _ = cl.req("DELETE", sa_path("gone"))
    assert s == 200, s
    wait_status(cl, tok, 401)
    s, r = whoami(cl, tok)
    assert s == 401, (s, r)
    # recreated under the same name: a new uid; a token of the old account is refused on its first check
    make_sa(cl, "gone")
    tok2 = token(cl, "gone")["status"]["token"]
    wait_status(cl, tok2, 200)
    assert bearer(cl, "GET", "/api/v1/namespaces/default/pods", unused)[0] == 401
    assert whoami(cl, unused)[0] == 401
    # other namespaces
    s, _ = cl.req("POST", "/api/v1/namespaces", {"metadata": {"name": "tok-ns"}})
    make_sa(cl, "app", ns="tok-ns")
    tok3 = token(cl, "app", ns="tok-ns")["status"]["token"]
    s, r = whoami(cl, tok3)
    assert s == 201 and r["status"]["userInfo"]["groups"][1] == "system:serviceaccounts:tok-ns", r


def t_token_protobuf_body(cl):
    make_sa(cl, "pb")
    spec = b"\x0a\x01a" + b"\x20\x84\x07"  # audiences: ["a"], expirationSeconds: 900
    tr = b"\x12" + bytes([len(spec)]) + spec
    av, kind = b"authentication.k8s.io/v1", b"TokenRequest"
    tm = b"\x0a" + bytes([len(av)]) + av + b"\x12" + bytes([len(kind)]) + kind
    body = b"k8s\x00" + b"\x0a" + bytes([len(tm)]) + tm + b"\x12" + bytes([len(tr)]) + tr
    s, o = cl.req("POST", sa_path("pb") + "/token", body, ctype="application/vnd.kubernetes.protobuf",
                  headers={"Accept": "application/json"})
    assert s == 201 and o["spec"]["audiences"] == ["a"] and o["spec"]["expirationSeconds"] == 900, (s, o)


def kubeconfig_with_token(cl, tok, name):
    path = os.path.join(cl.tmp, name)
    with open(path, "w") as f:
        f.write("apiVersion: v1\nkind: Config\nclusters:\n- name: k\n  cluster:\n    server: https://127.0.0.1:%d\n"
                "    certificate-authority: %s\nusers:\n- name: u\n  user:\n    token: %s\ncontexts:\n- name: c\n"
                "  context:\n    cluster: k\n    user: u\ncurrent-context: c\n" %
                (cl.port, os.path.join(cl.tmp, "data", "pki", "ca.crt"), tok))
    return path


def t_kubectl_create_token(cl):
    make_sa(cl, "kc")
    admin = os.path.join(cl.tmp, "data", "admin.kubeconfig")
    ca = os.path.join(cl.tmp, "data", "pki", "ca.crt")
    empty = os.path.join(cl.tmp, "empty.kubeconfig")
    open(empty, "w").write("apiVersion: v1\nkind: Config\n")
    for name, path in KUBECTLS:
        assert os.path.exists(path), path
        cache = os.path.join(cl.tmp, "cache-" + name)

        def run(*args, kubeconfig=admin, check=True):
            p = subprocess.run([path, "--kubeconfig", kubeconfig, "--cache-dir", cache] + list(args),
                               capture_output=True, text=True, timeout=60)
            assert not check or p.returncode == 0, (name, args, p.returncode, p.stdout, p.stderr)
            return p
        p = run("create", "token", "kc")
        tok = p.stdout.strip()
        _, claims, _ = parts(tok)
        assert claims["sub"] == "system:serviceaccount:default:kc" and claims["exp"] - claims["iat"] == 3600, claims
        p = run("create", "token", "kc", "--duration", "2h", "--audience", "vault", "--audience", ISS)
        _, claims, _ = parts(p.stdout.strip())
        assert claims["aud"] == ["vault", ISS] and claims["exp"] - claims["iat"] == 7200, (name, claims)
        p = run("create", "token", "kc", "--duration", "5m", check=False)
        assert p.returncode == 1 and "may not specify a duration less than 10 minutes" in p.stderr, (name, p.stderr)
        p = run("create", "token", "nobody", check=False)
        assert p.returncode == 1 and 'serviceaccounts "nobody" not found' in p.stderr, (name, p.stderr)
        # the token with --token (no client certificate), and from a kubeconfig
        p = run("--server", "https://127.0.0.1:%d" % cl.port, "--certificate-authority", ca, "--token", tok,
                "get", "pods", "-n", "default", kubeconfig=empty)
        assert p.returncode == 0, p
        p = run("--server", "https://127.0.0.1:%d" % cl.port, "--certificate-authority", ca, "--token", tok + "x",
                "get", "pods", kubeconfig=empty, check=False)
        assert p.returncode == 1 and "Unauthorized" in p.stderr, (name, p.stderr)
        p = run("get", "configmaps", "-n", "default", kubeconfig=kubeconfig_with_token(cl, tok, "kc-" + name))
        assert p.returncode == 0, p
        if name != "1.27":  # auth whoami is in kubectl from 1.28
            p = run("auth", "whoami", kubeconfig=kubeconfig_with_token(cl, tok, "kc-" + name))
            assert "system:serviceaccount:default:kc" in p.stdout and "system:serviceaccounts:default" in p.stdout \
                and "authentication.kubernetes.io/credential-id" in p.stdout, p.stdout
    # a pod-bound token from kubectl 1.33
    s, pod = cl.req("POST", "/api/v1/namespaces/default/pods",
                    {"metadata": {"name": "kcpod"}, "spec": {"serviceAccountName": "kc",
                                                             "containers": [{"name": "c", "image": "busybox"}]}})
    assert s == 201, pod
    p = subprocess.run(["/usr/bin/kubectl", "--kubeconfig", admin, "create", "token", "kc", "--bound-object-kind",
                        "Pod", "--bound-object-name", "kcpod"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert parts(p.stdout.strip())[1]["kubernetes.io"]["pod"] == {"name": "kcpod", "uid": pod["metadata"]["uid"]}
    cl.req("DELETE", "/api/v1/namespaces/default/pods/kcpod?gracePeriodSeconds=0")


def start_server(cl, name, *flags):
    """A second `k8c server` with its own data dir and flags; returns (proc, port, datadir, TLS context) once
    ready."""
    data = os.path.join(cl.tmp, name)
    proc, port, ctx, _ = k8ctest.start_server([cl.k8c, "server", "--data-dir", data] + list(flags), data,
                                              os.path.join(cl.tmp, name + ".log"), fail=AssertionError)
    return proc, port, data, ctx


def t_flags(cl):
    # refused at start, in kube-apiserver's words
    for flags, msg in ((["--service-account-max-token-expiration", "30m"],
                        "the service-account-max-token-expiration must be between 1 hour and 2^32 seconds"),
                       (["--service-account-issuer", "https://a", "--service-account-issuer", "https://a"],
                        'service-account-issuer "https://a" is already specified'),
                       (["--service-account-key-file", "/nonexistent.pub"], "cannot read /nonexistent.pub"),
                       (["--service-account-extend-token-expiration=maybe"],
                        "--service-account-extend-token-expiration")):
        p = subprocess.run([cl.k8c, "server", "--data-dir", os.path.join(cl.tmp, "bad"), "--secure-port", "0"] +
                           flags, capture_output=True, text=True, timeout=60)
        assert p.returncode != 0 and msg in p.stderr, (flags, p.returncode, p.stderr)
    # issuers (the first signs), API audiences, the cap; the generated key pair verifies besides the key file
    other = os.path.join(cl.tmp, "other.pub")
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", other + ".key"],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "ec", "-in", other + ".key", "-pubout", "-out", other], check=True,
                   capture_output=True)
    proc, port, data, ctx = start_server(cl, "flags", "--service-account-issuer", "https://issuer.example",
                                         "--service-account-issuer", ISS, "--api-audiences", "api-one,api-two",
                                         "--service-account-max-token-expiration", "2h",
                                         "--service-account-key-file", other)
    anon = ssl.create_default_context(cafile=os.path.join(data, "pki", "ca.crt"))

    def req(method, path, body=None, tok=None):
        c = http.client.HTTPSConnection("127.0.0.1", port, context=anon if tok else ctx, timeout=20)
        h = {"Content-Type": "application/json"}
        if tok:
            h["Authorization"] = "Bearer " + tok
        c.request(method, path, json.dumps(body) if body is not None else None, h)
        r = c.getresponse()
        out = (r.status, json.loads(r.read() or b"null"), r.getheader("warning"))
        c.close()
        return out
    try:
        s, o, _ = req("POST", "/api/v1/namespaces/default/serviceaccounts", {"metadata": {"name": "f"}})
        assert s == 201, o
        s, o, w = req("POST", sa_path("f") + "/token", {"spec": {"expirationSeconds": 86400}})
        assert s == 201 and o["spec"] == {"audiences": ["api-one", "api-two"], "expirationSeconds": 7200,
                                          "boundObjectRef": None}, o
        assert w == '299 - "requested expiration of 86400 seconds shortened to 7200 seconds"', w
        tok = o["status"]["token"]
        _, p, _ = parts(tok)
        assert p["iss"] == "https://issuer.example" and p["aud"] == ["api-one", "api-two"], p
        assert p["exp"] - p["iat"] == 7200, p
        s, r, _ = req("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {}, tok=tok)
        assert s == 201 and r["status"]["userInfo"]["username"] == "system:serviceaccount:default:f", (s, r)
        # the default audience of this cluster is not an API audience of the other one, and vice versa
        s, o, _ = req("POST", sa_path("f") + "/token", {"spec": {"audiences": [ISS]}})
        assert req("GET", "/api/v1/namespaces/default/pods", tok=o["status"]["token"])[0] == 401
        # a token of the main cluster: another key, refused
        make_sa(cl, "f")
        main = token(cl, "f")["status"]["token"]
        assert req("GET", "/api/v1/namespaces/default/pods", tok=main)[0] == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    assert proc.returncode == 0, proc.returncode


PYTHON = r'''
import base64, json, sys
from kubernetes import client, config
config.load_kube_config(config_file=sys.argv[1])
v1 = client.CoreV1Api()
v1.create_namespaced_service_account("default", client.V1ServiceAccount(metadata=client.V1ObjectMeta(name="py-sa")))
tr = v1.create_namespaced_service_account_token("py-sa", "default", client.AuthenticationV1TokenRequest(
    spec=client.V1TokenRequestSpec(audiences=["https://kubernetes.default.svc.cluster.local"],
                                   expiration_seconds=1800)))
assert tr.spec.expiration_seconds == 1800 and tr.status.expiration_timestamp is not None, tr
tok = tr.status.token
p = json.loads(base64.urlsafe_b64decode(tok.split(".")[1] + "=="))
assert p["sub"] == "system:serviceaccount:default:py-sa", p
try:
    v1.create_namespaced_service_account_token("py-none", "default", client.AuthenticationV1TokenRequest(
        spec=client.V1TokenRequestSpec(audiences=[])))
    raise SystemExit("expected 404")
except client.exceptions.ApiException as e:
    assert e.status == 404, e.status
# the token as the client's credentials
c = client.Configuration()
c.host = client.Configuration.get_default_copy().host
c.ssl_ca_cert = sys.argv[2]
c.api_key = {"authorization": "Bearer " + tok}
api = client.CoreV1Api(client.ApiClient(c))
assert api.list_namespaced_pod("default").kind == "PodList"
v1.delete_namespaced_service_account("py-sa", "default")
print("python ok")
'''


def t_python_client(cl):
    p = subprocess.run(["/usr/bin/python3", "-c", PYTHON, os.path.join(cl.tmp, "data", "admin.kubeconfig"),
                        os.path.join(cl.tmp, "data", "pki", "ca.crt")], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "python ok" in p.stdout, p.stdout + p.stderr


TESTS = [v for k, v in list(globals().items()) if k.startswith("t_")]

if __name__ == "__main__":
    sys.exit(run_tests(TESTS, __doc__, prefix="k8c-satoken-"))
