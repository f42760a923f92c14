#!/usr/bin/python3
"""The compatibility suite: real clients nobody here wrote, against `k8c server` (or `k8c apiserver` on a real
etcd with --etcd) on loopback. Every step runs with every kubectl that has it: the machine's dispatcher (which
runs its bundled 1.33 client because /version says 1.33), the bundled 1.27 and 1.30 clients called directly, and
Debian's kubectl 1.20 (unpacked by scripts/deps.sh into .deps/kubectl-1.20). Each client works in a namespace
of its own with a fresh --cache-dir. Then python3-kubernetes.

Each step checks the output and exit code against what kubectl prints with a real kube-apiserver, and the stored
object over the API. The run ends with the matrix of steps x clients (docs/compatibility.md explains it).

Usage: kube_clients.py --k8c BUILD/cmd/k8c [--etcd] [-k STEP] [--client NAME]
Stops every process it started by PID, also on failure.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import k8ctest  # noqa: E402 (the shared harness: cluster, HTTPS client, cleanup by PID)

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
KUBECTLS = [("1.33", "/usr/bin/kubectl"), ("1.30", "/usr/lib/google-cloud-sdk/bin/kubectl.1.30"),
            ("1.27", "/usr/lib/google-cloud-sdk/bin/kubectl.1.27"),
            ("1.20", os.path.join(os.environ.get("K8C_DEPS_DIR", os.path.join(ROOT, ".deps")), "kubectl-1.20",
                                  "kubectl"))]


class Skip(Exception):
    """A step that does not apply to this client version (the reason is printed in the matrix)."""


class Kubectl:
    """One kubectl binary bound to the cluster, a fresh cache dir and a namespace of its own."""

    def __init__(self, cl, name, path):
        self.cl, self.name, self.path = cl, name, path
        self.minor = int(name.split(".")[1])
        self.ns = "c" + name.replace(".", "")
        self.cache = tempfile.mkdtemp(dir=cl.tmp, prefix="cache-")
        self.kubeconfig = os.path.join(cl.tmp, "data", "admin.kubeconfig")

    def argv(self, *args, ns=True):
        return [self.path, "--kubeconfig", self.kubeconfig, "--cache-dir", self.cache] + \
            (["-n", self.ns] if ns else []) + list(args)

    def run(self, *args, stdin=None, check=True, timeout=60, ns=True):
        p = subprocess.run(self.argv(*args, ns=ns), input=stdin, capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("kubectl %s %s: exit %d\nstdout: %s\nstderr: %s" %
                                 (self.name, " ".join(args), p.returncode, p.stdout, p.stderr))
        return p.returncode, p.stdout, p.stderr

    def popen(self, *args):
        p = subprocess.Popen(self.argv(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        k8ctest.children.append(p)
        return p

    def need(self, minor, why):
        if self.minor < minor:
            raise Skip("kubectl %s: %s" % (self.name, why))

    # the stored object, over the API
    def obj(self, path):
        s, o = self.cl.req("GET", path.replace("NS", self.ns))
        return o if s == 200 else None


def lines(out):
    return [ln for ln in out.splitlines() if ln.strip()]


def wait_for(fn, what, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.05)  # polling for a condition with a deadline
    raise AssertionError("timed out waiting for " + what)


def deployment(name, image="nginx:1.25", replicas=2, labels=None, containers=None):
    labels = labels or {"app": name}
    containers = containers or [{"name": "web", "image": image, "ports": [{"containerPort": 80}]}]
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": containers}}}}


def service(name, port=80):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": port, "targetPort": 80}]}}


def yaml_docs(*objs):
    import yaml  # python3-yaml (python3-kubernetes depends on it)
    return "---\n".join(yaml.safe_dump(o, default_flow_style=False) for o in objs)


def api_create(k, path, obj):
    s, o = k.cl.req("POST", path.replace("NS", k.ns), obj)
    assert s == 201, (s, o)
    return o


def configmap(name, **data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


POD = """apiVersion: v1
kind: Pod
metadata:
  name: %s
  labels:
    app: web
spec:
  containers:
  - name: c
    image: nginx:1.25
"""

# ------------------------------------------------------------------------------------------------------ the steps


def s_version(k):
    rc, out, err = k.run("version", "-o", "json")
    v = json.loads(out)
    assert v["serverVersion"]["major"] == "1" and v["serverVersion"]["minor"] == "33", v
    assert v["serverVersion"]["gitVersion"].startswith("v1.33.0+k8c"), v


def s_api_resources(k):
    rc, out, err = k.run("api-resources")
    head = out.splitlines()[0].split()
    assert head[:2] == ["NAME", "SHORTNAMES"] and "KIND" in head, head
    rows = {ln.split()[0]: ln.split() for ln in out.splitlines()[1:]}
    assert rows["pods"][1] == "po" and rows["pods"][-1] == "Pod", rows["pods"]
    assert rows["deployments"][1] == "deploy" and "apps/v1" in rows["deployments"], rows["deployments"]
    assert "horizontalpodautoscalers" in rows and "ingresses" in rows and "leases" in rows, sorted(rows)
    assert "error" not in err.lower() and "couldn't get" not in err.lower(), err


def s_get_namespaces(k):
    rc, out, err = k.run("get", "ns")
    assert out.splitlines()[0].split() == ["NAME", "STATUS", "AGE"], out
    names = {ln.split()[0]: ln.split()[1] for ln in out.splitlines()[1:]}
    for n in ("default", "kube-system", "kube-public", "kube-node-lease", k.ns):
        assert names.get(n) == "Active", (n, out)


def s_create_f(k):
    rc, out, err = k.run("create", "-f", "-", stdin=POD % "p1")
    assert out.strip() == "pod/p1 created", out
    o = k.obj("/api/v1/namespaces/NS/pods/p1")
    assert o["spec"]["containers"][0]["image"] == "nginx:1.25" and o["spec"]["restartPolicy"] == "Always", o
    rc, out, err = k.run("create", "-f", "-", stdin=POD % "p1", check=False)
    assert rc == 1 and 'Error from server (AlreadyExists): error when creating "STDIN": pods "p1" already exists' \
        in err, (rc, err)


def s_get_output_forms(k):
    rc, out, err = k.run("get", "pods")
    assert out.splitlines()[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"], out
    row = [ln.split() for ln in out.splitlines()[1:] if ln.startswith("p1 ")][0]
    assert row[1:4] == ["0/1", "Pending", "0"], row
    rc, out, err = k.run("get", "pod", "p1", "-o", "wide")
    assert out.splitlines()[0].split()[:8] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
                                                "NOMINATED"], out
    rc, out, err = k.run("get", "pod", "p1", "-o", "json")
    o = json.loads(out)
    assert o["kind"] == "Pod" and o["metadata"]["name"] == "p1" and o["metadata"]["namespace"] == k.ns, o
    rc, out, err = k.run("get", "pods", "-o", "json")
    o = json.loads(out)
    assert o["kind"] == "List" and o["apiVersion"] == "v1" and [i["metadata"]["name"] for i in o["items"]] == ["p1"]
    rc, out, err = k.run("get", "pod", "p1", "-o", "yaml")
    assert "kind: Pod" in out and "  name: p1" in out and "namespace: " + k.ns in out, out
    rc, out, err = k.run("get", "pods", "-o", "name")
    assert out.split() == ["pod/p1"], out
    # --sort-by asks the Table for whole objects (includeObject=Object); without them kubectl finds no rows
    k.run("create", "-f", "-", stdin=(POD % "p0").replace("nginx:1.25", "busybox:2"))
    try:
        rc, out, err = k.run("get", "pods", "--sort-by=.metadata.name")
        assert [ln.split()[0] for ln in out.splitlines()[1:]] == ["p0", "p1"], (out, err)
        rc, out, err = k.run("get", "pods", "--sort-by={.spec.containers[0].image}", "-o", "name")
        assert out.split() == ["pod/p0", "pod/p1"], (out, err)
    finally:
        k.run("delete", "pod", "p0", "--wait=false")
    rc, out, err = k.run("get", "pod", "nope", check=False)
    assert rc == 1 and err.strip() == 'Error from server (NotFound): pods "nope" not found', (rc, err)


def s_get_selectors(k):
    k.run("create", "-f", "-", stdin=(POD % "p2").replace("app: web", "app: db"))
    rc, out, err = k.run("get", "pods", "-l", "app=web", "-o", "name")
    assert out.split() == ["pod/p1"], out
    rc, out, err = k.run("get", "pods", "-l", "app in (web,db)", "--show-labels")
    assert out.splitlines()[0].split()[-1] == "LABELS", out
    assert any(ln.startswith("p2 ") and ln.split()[-1] == "app=db" for ln in out.splitlines()), out
    rc, out, err = k.run("get", "pods", "--field-selector", "metadata.name=p2", "-o", "name")
    assert out.split() == ["pod/p2"], out
    rc, out, err = k.run("get", "pods", "-A")
    assert out.splitlines()[0].split()[:2] == ["NAMESPACE", "NAME"], out
    assert any(ln.split()[:2] == [k.ns, "p2"] for ln in out.splitlines()), out
    rc, out, err = k.run("get", "pods", "-l", "app=none")
    assert out == "" and err.strip() == "No resources found in %s namespace." % k.ns, (out, err)


def s_get_all(k):
    k.run("create", "-f", "-", stdin=json.dumps(service("all-svc")))
    rc, out, err = k.run("get", "all")
    assert "pod/p1" in out and "service/all-svc" in out, out
    assert "error" not in err.lower(), err


def s_get_watch(k):
    w = k.popen("get", "pods", "-w", "--request-timeout=30s")
    try:
        first = w.stdout.readline()
        assert first.split()[0] == "NAME", first
        seen = []
        while True:  # the initial rows
            ln = w.stdout.readline()
            seen.append(ln)
            if ln.startswith("p2 "):
                break
        k.run("label", "pod", "p1", "changed=yes")
        got = {}

        def reader():
            got["line"] = w.stdout.readline()
        t = threading.Thread(target=reader, daemon=True)
        t.start()
        t.join(20)
        assert got.get("line", "").split()[:1] == ["p1"], (got, seen)
    finally:
        w.kill()
        w.wait()


def s_label_annotate(k):
    rc, out, err = k.run("label", "pod", "p1", "tier=front")
    assert out.strip() == "pod/p1 labeled", out
    rc, out, err = k.run("label", "pod", "p1", "tier=back", check=False)
    assert rc == 1 and "'tier' already has a value (front), and --overwrite is false" in err, (rc, err)
    k.run("label", "pod", "p1", "tier=back", "--overwrite")
    assert k.obj("/api/v1/namespaces/NS/pods/p1")["metadata"]["labels"]["tier"] == "back"
    k.run("label", "pod", "p1", "tier-")
    assert "tier" not in k.obj("/api/v1/namespaces/NS/pods/p1")["metadata"]["labels"]
    rc, out, err = k.run("annotate", "pod", "p1", "note=hello world")
    # kubectl 1.27 prints "annotate" (its own wording; upstream fixed it in 1.28)
    assert out.strip() == ("pod/p1 annotated" if k.minor != 27 else "pod/p1 annotate"), out
    assert k.obj("/api/v1/namespaces/NS/pods/p1")["metadata"]["annotations"]["note"] == "hello world"


def s_apply(k):
    d = deployment("web")
    rc, out, err = k.run("apply", "-f", "-", stdin=json.dumps(d))
    assert out.strip() == "deployment.apps/web created", out
    o = k.obj("/apis/apps/v1/namespaces/NS/deployments/web")
    assert "kubectl.kubernetes.io/last-applied-configuration" in o["metadata"]["annotations"], o["metadata"]
    assert o["spec"]["strategy"]["type"] == "RollingUpdate" and o["metadata"]["generation"] == 1, o
    rc, out, err = k.run("apply", "-f", "-", stdin=json.dumps(d))
    assert out.strip() == "deployment.apps/web unchanged", out
    # changed image, an added container, then that container removed again, a label removed
    d2 = deployment("web", labels={"app": "web", "team": "a"},
                    containers=[{"name": "web", "image": "nginx:1.26", "ports": [{"containerPort": 80}]},
                                {"name": "side", "image": "busybox"}])
    rc, out, err = k.run("apply", "-f", "-", stdin=json.dumps(d2))
    assert out.strip() == "deployment.apps/web configured", out
    o = k.obj("/apis/apps/v1/namespaces/NS/deployments/web")
    assert [c["image"] for c in o["spec"]["template"]["spec"]["containers"]] == ["nginx:1.26", "busybox"], o
    assert o["metadata"]["generation"] == 2 and o["metadata"]["labels"] == {"app": "web", "team": "a"}, o
    d3 = deployment("web", image="nginx:1.26")
    rc, out, err = k.run("apply", "-f", "-", stdin=json.dumps(d3))
    assert out.strip() == "deployment.apps/web configured", out
    o = k.obj("/apis/apps/v1/namespaces/NS/deployments/web")
    assert [c["name"] for c in o["spec"]["template"]["spec"]["containers"]] == ["web"], o
    assert o["metadata"]["labels"] == {"app": "web"}, o["metadata"]
    # a service whose port changes: the strategic merge keys ports by port
    rc, out, err = k.run("apply", "-f", "-", stdin=json.dumps(service("web", 80)))
    assert out.strip() == "service/web created", out
    rc, out, err = k.run("apply", "-f", "-", stdin=json.dumps(service("web", 8080)))
    assert out.strip() == "service/web configured", out
    o = k.obj("/api/v1/namespaces/NS/services/web")
    assert [p["port"] for p in o["spec"]["ports"]] == [8080] and o["spec"]["clusterIP"], o["spec"]


def s_apply_multi_document(k):
    ns = k.ns + "-app"
    objs = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
        dict(deployment("api"), metadata={"name": "api", "namespace": ns}),
        dict(service("api"), metadata={"name": "api", "namespace": ns}),
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": ns}, "data": {"a": "1"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sec", "namespace": ns},
         "stringData": {"pw": "s3cret"}},
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once", "namespace": ns},
         "spec": {"template": {"spec": {"restartPolicy": "Never",
                                        "containers": [{"name": "c", "image": "busybox", "command": ["true"]}]}}}},
        {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "tick", "namespace": ns},
         "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
             "restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "busybox"}]}}}}}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web", "namespace": ns},
         "spec": {"rules": [{"host": "app.example", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                                                                        "backend": {"service": {
                                                                            "name": "api",
                                                                            "port": {"number": 80}}}}]}}]}},
        {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv-" + k.ns},
         "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                  "hostPath": {"path": "/tmp/pv"}}},
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": ns},
         "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}},
    ]
    path = os.path.join(k.cl.tmp, "app-%s.yaml" % k.ns)
    with open(path, "w") as f:
        f.write(yaml_docs(*objs))
    rc, out, err = k.run("apply", "-f", path, ns=False)
    want = ["namespace/%s created" % ns, "deployment.apps/api created", "service/api created",
            "configmap/cfg created", "secret/sec created", "job.batch/once created", "cronjob.batch/tick created",
            "ingress.networking.k8s.io/web created", "persistentvolume/pv-%s created" % k.ns,
            "persistentvolumeclaim/data created"]
    assert lines(out) == want, out
    rc, out, err = k.run("apply", "-f", path, ns=False)
    # a Secret with stringData is "configured" on every apply, as with upstream (kubernetes/kubernetes#87736:
    # the server folds stringData into data, so the three-way patch always re-adds it)
    # kubectl 1.20 predates batch/v1 CronJob: it falls back to a JSON merge patch, whose three-way form replaces
    # the defaulted containers list, so it says "configured" too (as against a real 1.21+ server)
    again = [w.replace(" created", " configured" if w.startswith("secret/") or
                       (k.minor < 21 and w.startswith("cronjob.")) else " unchanged") for w in want]
    assert lines(out) == again, out
    s = k.obj("/api/v1/namespaces/%s/secrets/sec" % ns)
    assert s["data"] == {"pw": "czNjcmV0"}, s
    j = k.obj("/apis/batch/v1/namespaces/%s/jobs/once" % ns)
    assert j["spec"]["backoffLimit"] == 6 and j["spec"]["completions"] == 1, j["spec"]
    pv = k.obj("/api/v1/persistentvolumes/pv-" + k.ns)
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain", pv["spec"]


def s_apply_server_side(k):
    k.need(22, "server-side apply is GA from 1.22")
    d = deployment("ssa", replicas=1)
    rc, out, err = k.run("apply", "--server-side", "-f", "-", stdin=json.dumps(d))
    assert out.strip() == "deployment.apps/ssa serverside-applied", out
    o = k.obj("/apis/apps/v1/namespaces/NS/deployments/ssa")
    mf = {m["manager"]: m for m in o["metadata"]["managedFields"]}
    assert mf["kubectl"]["operation"] == "Apply" and "f:spec" in mf["kubectl"]["fieldsV1"], mf
    d["spec"]["replicas"] = 3
    rc, out, err = k.run("apply", "--server-side", "-f", "-", stdin=json.dumps(d))
    assert out.strip() == "deployment.apps/ssa serverside-applied", out
    assert k.obj("/apis/apps/v1/namespaces/NS/deployments/ssa")["spec"]["replicas"] == 3
    # another manager owning .spec.replicas: a conflict, then forced
    d["spec"]["replicas"] = 4
    rc, out, err = k.run("apply", "--server-side", "--field-manager", "other", "-f", "-", stdin=json.dumps(d),
                         check=False)
    assert rc == 1 and "Apply failed with 1 conflict" in err and ".spec.replicas" in err, (rc, err)
    rc, out, err = k.run("apply", "--server-side", "--field-manager", "other", "--force-conflicts", "-f", "-",
                         stdin=json.dumps(d))
    assert out.strip() == "deployment.apps/ssa serverside-applied", out
    assert k.obj("/apis/apps/v1/namespaces/NS/deployments/ssa")["spec"]["replicas"] == 4


def s_create_generators(k):
    ns2 = k.ns + "-gen"
    rc, out, err = k.run("create", "namespace", ns2)
    assert out.strip() == "namespace/%s created" % ns2, out
    rc, out, err = k.run("create", "configmap", "gen-cm", "--from-literal=a=b", "--from-literal=c=d")
    assert out.strip() == "configmap/gen-cm created", out
    assert k.obj("/api/v1/namespaces/NS/configmaps/gen-cm")["data"] == {"a": "b", "c": "d"}
    rc, out, err = k.run("create", "secret", "generic", "gen-sec", "--from-literal=pw=x")
    assert out.strip() == "secret/gen-sec created", out
    s = k.obj("/api/v1/namespaces/NS/secrets/gen-sec")
    assert s["data"] == {"pw": "eA=="} and s["type"] == "Opaque", s
    rc, out, err = k.run("create", "deployment", "gen-dep", "--image=nginx:1.25")
    assert out.strip() == "deployment.apps/gen-dep created", out
    d = k.obj("/apis/apps/v1/namespaces/NS/deployments/gen-dep")
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25", d
    assert d["spec"]["selector"]["matchLabels"] == {"app": "gen-dep"}, d


def s_replace(k):
    api_create(k, "/api/v1/namespaces/NS/configmaps", configmap("rep", a="1"))
    o = k.obj("/api/v1/namespaces/NS/configmaps/rep")
    o["data"] = {"a": "2"}
    rc, out, err = k.run("replace", "-f", "-", stdin=json.dumps(o))
    assert out.strip() == "configmap/rep replaced", out
    assert k.obj("/api/v1/namespaces/NS/configmaps/rep")["data"] == {"a": "2"}
    o["data"] = {"a": "3"}  # still carries the old resourceVersion
    rc, out, err = k.run("replace", "-f", "-", stdin=json.dumps(o), check=False)
    assert rc == 1 and ('Error from server (Conflict): error when replacing "STDIN": Operation cannot be fulfilled '
                        'on configmaps "rep": the object has been modified; please apply your changes to the '
                        'latest version and try again') in err, (rc, err)
    assert k.obj("/api/v1/namespaces/NS/configmaps/rep")["data"] == {"a": "2"}


def s_patch(k):
    api_create(k, "/api/v1/namespaces/NS/configmaps", configmap("pt", a="1"))
    rc, out, err = k.run("patch", "configmap", "pt", "-p", '{"data":{"b":"2"}}')
    assert out.strip() == "configmap/pt patched", out
    rc, out, err = k.run("patch", "configmap", "pt", "--type", "merge", "-p", '{"data":{"a":null}}')
    assert out.strip() == "configmap/pt patched", out
    rc, out, err = k.run("patch", "configmap", "pt", "--type", "json", "-p",
                         '[{"op":"add","path":"/data/c","value":"3"},{"op":"test","path":"/data/b","value":"2"}]')
    assert out.strip() == "configmap/pt patched", out
    assert k.obj("/api/v1/namespaces/NS/configmaps/pt")["data"] == {"b": "2", "c": "3"}
    rc, out, err = k.run("patch", "configmap", "pt", "-p", '{"data":{"b":"2"}}')
    assert out.strip() == "configmap/pt patched (no change)", out
    rc, out, err = k.run("patch", "configmap", "pt", "--type", "json", "-p",
                         '[{"op":"test","path":"/data/b","value":"9"}]', check=False)
    # a failed test op is a 422 Invalid without causes: kubectl 1.20 prints just "The request is invalid", newer
    # ones add the Status message
    assert rc == 1 and (err.strip() == "The request is invalid" if k.minor < 21 else
                        err.startswith("The request is invalid: ")), (rc, err)
    # a strategic patch of a container by name
    api_create(k, "/apis/apps/v1/namespaces/NS/deployments", deployment("pd"))
    rc, out, err = k.run("patch", "deployment", "pd", "-p",
                         '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}}}')
    assert out.strip() == "deployment.apps/pd patched", out
    c = k.obj("/apis/apps/v1/namespaces/NS/deployments/pd")["spec"]["template"]["spec"]["containers"]
    assert [(x["name"], x["image"]) for x in c] == [("web", "nginx:1.27")] and c[0]["ports"], c


def s_scale(k):
    api_create(k, "/apis/apps/v1/namespaces/NS/deployments", deployment("sc"))
    rc, out, err = k.run("scale", "deployment", "sc", "--replicas=5")
    assert out.strip() == "deployment.apps/sc scaled", out
    assert k.obj("/apis/apps/v1/namespaces/NS/deployments/sc")["spec"]["replicas"] == 5
    rc, out, err = k.run("scale", "deployment", "sc", "--replicas=1", "--current-replicas=3", check=False)
    assert rc == 1 and "Expected replicas to be 3, was 5" in err, (rc, err)


def s_describe(k):
    p = api_create(k, "/api/v1/namespaces/NS/pods", {"metadata": {"name": "dp", "labels": {"app": "d"}},
                                                      "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}})
    ev = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "dp.ev1", "namespace": k.ns},
          "involvedObject": {"kind": "Pod", "name": "dp", "namespace": k.ns, "apiVersion": "v1",
                             "uid": p["metadata"]["uid"]},
          "reason": "Scheduled", "message": "Successfully assigned dp to n1", "type": "Normal",
          "source": {"component": "default-scheduler"}, "count": 1,
          "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:00Z"}
    s, o = k.cl.req("POST", "/api/v1/namespaces/%s/events" % k.ns, ev)
    assert s == 201, o
    rc, out, err = k.run("describe", "pod", "dp")
    assert out.startswith("Name:") and "Namespace:    " + k.ns in out and "nginx:1.25" in out, out
    assert "Events:" in out and "Successfully assigned dp to n1" in out and "Scheduled" in out, out
    api_create(k, "/apis/apps/v1/namespaces/NS/deployments", deployment("dd"))
    rc, out, err = k.run("describe", "deployment", "dd")
    assert "Replicas:" in out and "StrategyType:" in out and "RollingUpdate" in out, out
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n-" + k.ns, "labels": {"role": "w"}}}
    k.cl.req("POST", "/api/v1/nodes", node)
    rc, out, err = k.run("describe", "node", "n-" + k.ns)
    assert out.startswith("Name:") and "role=w" in out, out


def s_explain(k):
    # 1.20 explains from /openapi/v2 ("RESOURCE: containers <[]Object>"), 1.27+ from /openapi/v3 ("FIELD:
    # containers <[]Container>"); neither has descriptions to print (the schema tables keep none)
    rc, out, err = k.run("explain", "pod.spec.containers")
    assert re.search(r"^KIND:\s+Pod$", out, re.M) and re.search(r"^VERSION:\s+v1$", out, re.M), (out, err)
    assert re.search(r"^(RESOURCE|FIELD):\s+containers <\[\](Object|Container)>$", out, re.M), out
    assert re.search(r"^\s+image\s+<string>$", out, re.M), out
    assert re.search(r"^\s+name\s+<string> -required-$", out, re.M), out
    assert re.search(r"^\s+ports\s+<\[\](Object|ContainerPort)>$", out, re.M), out
    rc, out, err = k.run("explain", "deployment.spec", "--recursive")
    assert re.search(r"^\s+replicas\s+<integer>$", out, re.M), out
    assert re.search(r"^\s+maxSurge\s+<(string|IntOrString)>$", out, re.M), out
    assert re.search(r"^\s+template\s+<(Object|PodTemplateSpec)>( -required-)?$", out, re.M), out  # 1.20: no mark
    rc, out, err = k.run("explain", "nopes", check=False)
    assert rc != 0 and "nopes" in err, (rc, out, err)


def s_auth_can_i(k):
    rc, out, err = k.run("auth", "can-i", "create", "pods")
    assert out.strip() == "yes", (out, err)
    rc, out, err = k.run("auth", "can-i", "delete", "nodes", "--all-namespaces")
    assert out.strip() == "yes", (out, err)


def s_auth_whoami(k):
    k.need(28, "auth whoami is in kubectl from 1.28")
    rc, out, err = k.run("auth", "whoami")
    assert out.splitlines()[0].split() == ["ATTRIBUTE", "VALUE"] and "admin" in out, out
    assert "system:masters" in out, out


def s_create_token(k):
    k.need(24, "create token is in kubectl from 1.24")
    import base64
    api_create(k, "/api/v1/namespaces/NS/serviceaccounts", {"metadata": {"name": "tok"}})
    rc, out, err = k.run("create", "token", "tok", "--duration", "2h")
    tok = out.strip()
    body = tok.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert claims["sub"] == "system:serviceaccount:%s:tok" % k.ns and claims["exp"] - claims["iat"] == 7200, claims
    # the token alone (no client certificate) is the service account
    empty = os.path.join(k.cl.tmp, "empty.kubeconfig")
    with open(empty, "w") as f:
        f.write("apiVersion: v1\nkind: Config\n")
    p = subprocess.run([k.path, "--kubeconfig", empty, "--cache-dir", k.cache, "--server",
                        "https://127.0.0.1:%d" % k.cl.port, "--certificate-authority",
                        os.path.join(k.cl.tmp, "data", "pki", "ca.crt"), "--token", tok, "-n", k.ns, "get",
                        "serviceaccount", "tok", "-o", "name"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.strip() == "serviceaccount/tok", (p.returncode, p.stdout, p.stderr)
    rc, out, err = k.run("create", "token", "tok", "--duration", "5m", check=False)
    assert rc == 1 and "may not specify a duration less than 10 minutes" in err, (rc, err)


def s_wait(k):
    w = k.popen("wait", "--for=condition=Ready", "pod/p1", "--timeout=30s")
    s, o = k.cl.req("GET", "/api/v1/namespaces/%s/pods/p1" % k.ns)
    o["status"] = {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    s, o = k.cl.req("PUT", "/api/v1/namespaces/%s/pods/p1/status" % k.ns, o)
    assert s == 200, o
    out, err = w.communicate(timeout=40)
    assert w.returncode == 0 and out.strip() == "pod/p1 condition met", (w.returncode, out, err)


def s_rollout_status(k):
    k.run("apply", "-f", "-", stdin=json.dumps(deployment("ro", replicas=1)))
    w = k.popen("rollout", "status", "deployment/ro", "--timeout=30s")
    path = "/apis/apps/v1/namespaces/%s/deployments/ro" % k.ns
    s, o = k.cl.req("GET", path)
    o["status"] = {"observedGeneration": o["metadata"]["generation"], "replicas": 1, "updatedReplicas": 1,
                   "readyReplicas": 1, "availableReplicas": 1,
                   "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                                  {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]}
    s, o = k.cl.req("PUT", path + "/status", o)
    assert s == 200, o
    out, err = w.communicate(timeout=40)
    assert w.returncode == 0 and 'deployment "ro" successfully rolled out' in out, (w.returncode, out, err)


def s_diff(k):
    d = deployment("df", image="nginx:1.27")
    d["spec"]["replicas"] = 5
    k.run("apply", "-f", "-", stdin=json.dumps(d))
    rc, out, err = k.run("diff", "-f", "-", stdin=json.dumps(d), check=False)
    assert rc == 0 and out == "", (rc, out, err)
    d["spec"]["replicas"] = 7
    rc, out, err = k.run("diff", "-f", "-", stdin=json.dumps(d), check=False)
    assert rc == 1 and "-  replicas: 5" in out and "+  replicas: 7" in out, (rc, out, err)
    assert k.obj("/apis/apps/v1/namespaces/NS/deployments/df")["spec"]["replicas"] == 5


def s_rbac_quota(k):
    """kubectl create role/rolebinding/clusterrole/clusterrolebinding/quota (protobuf bodies from 1.32 on), get and
    describe of each, and roleRef's immutability as kubectl reports it. RBAC is stored, not enforced."""
    cr, crb = "cr-" + k.ns, "crb-" + k.ns
    for args, want in ((("create", "role", "pod-reader", "--verb=get", "--verb=list", "--resource=pods"),
                        "role.rbac.authorization.k8s.io/pod-reader created"),
                       (("create", "rolebinding", "rb", "--role=pod-reader", "--user=bob",
                         "--serviceaccount=%s:sa" % k.ns), "rolebinding.rbac.authorization.k8s.io/rb created"),
                       (("create", "clusterrole", cr, "--verb=get", "--non-resource-url=/logs/*"),
                        "clusterrole.rbac.authorization.k8s.io/%s created" % cr),
                       (("create", "clusterrolebinding", crb, "--clusterrole=" + cr, "--group=devs"),
                        "clusterrolebinding.rbac.authorization.k8s.io/%s created" % crb),
                       (("create", "quota", "q", "--hard=cpu=1,memory=1Gi,pods=2"), "resourcequota/q created")):
        rc, out, err = k.run(*args)
        assert out.strip() == want, (args, out, err)
    o = k.obj("/apis/rbac.authorization.k8s.io/v1/namespaces/NS/roles/pod-reader")
    assert o["rules"] == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}], o
    o = k.obj("/apis/rbac.authorization.k8s.io/v1/namespaces/NS/rolebindings/rb")
    assert o["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"}, o
    assert o["subjects"] == [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "bob"},
                             {"kind": "ServiceAccount", "name": "sa", "namespace": k.ns}], o
    o = k.obj("/apis/rbac.authorization.k8s.io/v1/clusterroles/" + cr)
    assert o["rules"] == [{"verbs": ["get"], "nonResourceURLs": ["/logs/*"]}], o
    o = k.obj("/api/v1/namespaces/NS/resourcequotas/q")
    assert o["spec"]["hard"] == {"cpu": "1", "memory": "1Gi", "pods": "2"}, o
    rc, out, err = k.run("get", "role", "pod-reader")
    assert out.splitlines()[0].split() == ["NAME", "CREATED", "AT"] and out.splitlines()[1].split()[0] == \
        "pod-reader", out
    rc, out, err = k.run("get", "rolebinding", "rb", "-o", "wide")
    assert out.splitlines()[0].split() == ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"], out
    row = out.splitlines()[1].split()
    assert row[:2] == ["rb", "Role/pod-reader"] and row[3:] == ["bob", "%s/sa" % k.ns], row
    rc, out, err = k.run("get", "clusterrolebinding", crb, "-o", "wide", ns=False)
    row = out.splitlines()[1].split()
    assert row[:2] == [crb, "ClusterRole/" + cr] and row[3:] == ["devs"], out
    rc, out, err = k.run("get", "quota")
    # 1.33's columns (the server prints them; status.hard is empty until a quota controller exists)
    assert out.splitlines()[0].split() == ["NAME", "REQUEST", "LIMIT", "AGE"] and out.splitlines()[1].split()[0] == \
        "q", out
    rc, out, err = k.run("describe", "role", "pod-reader")
    assert "PolicyRule:" in out and any(ln.split() == ["pods", "[]", "[]", "[get", "list]"]
                                        for ln in out.splitlines()), out
    rc, out, err = k.run("describe", "rolebinding", "rb")
    assert "Role:\n  Kind:  Role\n  Name:  pod-reader\n" in out, out
    assert any(ln.split() == ["ServiceAccount", "sa", k.ns] for ln in out.splitlines()), out
    rc, out, err = k.run("describe", "clusterrole", cr, ns=False)
    assert any(ln.split() == ["[/logs/*]", "[]", "[get]"] for ln in out.splitlines()), out
    rc, out, err = k.run("describe", "quota", "q")
    assert out.startswith("Name:") and "Namespace:  " + k.ns in out, out
    assert [ln.split() for ln in out.splitlines()[2:4]] == [["Resource", "Used", "Hard"], ["--------", "----", "----"]]
    # roleRef cannot change: kubectl prints the 422's cause
    rc, out, err = k.run("create", "rolebinding", "rb", "--role=other", "--user=bob", "--dry-run=client", "-o",
                         "json")
    rc, out, err = k.run("replace", "-f", "-", stdin=out, check=False)
    assert rc == 1 and 'The RoleBinding "rb" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:' \
        '"rbac.authorization.k8s.io", Kind:"Role", Name:"other"}: cannot change roleRef' in err, (rc, err)
    rc, out, err = k.run("delete", "rolebinding", "rb")
    assert out.strip().startswith('rolebinding.rbac.authorization.k8s.io "rb" deleted'), out
    rc, out, err = k.run("delete", "quota", "q")
    assert out.strip().startswith('resourcequota "q" deleted'), out
    k.run("delete", "clusterrolebinding", crb, ns=False)
    k.run("delete", "clusterrole", cr, ns=False)


def s_delete(k):
    api_create(k, "/api/v1/namespaces/NS/configmaps", configmap("del", a="1"))
    rc, out, err = k.run("delete", "configmap", "del")
    assert out.strip().startswith('configmap "del" deleted'), out
    assert k.obj("/api/v1/namespaces/NS/configmaps/del") is None
    for n in ("l1", "l2"):
        cm = configmap(n, a="1")
        cm["metadata"]["labels"] = {"del": "yes"}
        api_create(k, "/api/v1/namespaces/NS/configmaps", cm)
    rc, out, err = k.run("delete", "configmap", "-l", "del=yes")
    assert sorted(lines(out)) == sorted(['configmap "l1" deleted', 'configmap "l2" deleted']) or \
        all(ln.startswith('configmap "l') for ln in lines(out)), out
    api_create(k, "/api/v1/namespaces/NS/services", service("del-svc"))
    rc, out, err = k.run("delete", "-f", "-", stdin=json.dumps(service("del-svc")))
    assert out.strip().startswith('service "del-svc" deleted'), out
    # bound pods are deleted gracefully (no kubelet here to finish it): --wait=false returns, the pod stays
    # Terminating; --grace-period=0 --force removes one at once. An unbound pod goes at once, as upstream.
    for n in ("g1", "g2"):
        api_create(k, "/api/v1/namespaces/NS/pods", {"metadata": {"name": n},
                                                     "spec": {"nodeName": "n1",
                                                              "containers": [{"name": "c", "image": "x"}]}})
    rc, out, err = k.run("delete", "pod", "g1", "--wait=false")
    assert out.strip().startswith('pod "g1" deleted'), out
    assert k.obj("/api/v1/namespaces/NS/pods/g1")["metadata"]["deletionTimestamp"]
    rc, out, err = k.run("delete", "pod", "g2", "--grace-period=0", "--force")
    assert "Immediate deletion does not wait for confirmation" in err and 'pod "g2" force deleted' in out, (out, err)
    assert k.obj("/api/v1/namespaces/NS/pods/g2") is None
    rc, out, err = k.run("delete", "pod", "p2", "--timeout=20s")
    assert out.strip().startswith('pod "p2" deleted'), out
    assert k.obj("/api/v1/namespaces/NS/pods/p2") is None
    rc, out, err = k.run("delete", "pod", "nope", check=False)
    assert rc == 1 and 'Error from server (NotFound): pods "nope" not found' in err, (rc, err)


STEPS = [s_version, s_api_resources, s_get_namespaces, s_create_f, s_get_output_forms, s_get_selectors, s_get_all,
         s_get_watch, s_label_annotate, s_apply, s_apply_multi_document, s_apply_server_side, s_create_generators,
         s_replace, s_patch, s_scale, s_describe, s_explain, s_auth_can_i, s_auth_whoami, s_create_token, s_wait, s_rollout_status, s_diff, s_rbac_quota, s_delete]

# Steps known not to work yet with a client, and why (docs/compatibility.md). Such a step must still FAIL: when it
# starts passing, the entry has to go (the suite reports it as unexpectedly passing).
KNOWN = {}


# ------------------------------------------------------------------------------------------- python3-kubernetes

PYTHON = r'''
import sys
from kubernetes import client, config, watch
config.load_kube_config(config_file=sys.argv[1])
ns = sys.argv[2]
v1 = client.CoreV1Api()
names = [n.metadata.name for n in v1.list_namespace().items]
assert "default" in names and ns in names, names
cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-cm", labels={"a": "1"}), data={"k": "v"})
created = v1.create_namespaced_config_map(ns, cm)
assert created.metadata.uid and created.data == {"k": "v"} and created.kind == "ConfigMap"
got = v1.read_namespaced_config_map("py-cm", ns)
assert got.metadata.resource_version == created.metadata.resource_version
assert [c.metadata.name for c in v1.list_namespaced_config_map(ns, label_selector="a=1").items] == ["py-cm"]
for call, code in ((lambda: v1.read_namespaced_config_map("nope", ns), 404),
                   (lambda: v1.create_namespaced_config_map(ns, cm), 409)):
    try:
        call()
        raise SystemExit("expected %d" % code)
    except client.exceptions.ApiException as e:
        assert e.status == code, (e.status, code)
        assert '"kind":"Status"' in e.body.replace(" ", ""), e.body
# patch: a dict is a strategic merge patch, a list a JSON patch
p = v1.patch_namespaced_config_map("py-cm", ns, {"data": {"k2": "v2"}})
assert p.data == {"k": "v", "k2": "v2"}, p.data
p = v1.patch_namespaced_config_map("py-cm", ns, [{"op": "remove", "path": "/data/k"}])
assert p.data == {"k2": "v2"}, p.data
# a pod: create without apiVersion/kind, replace its status, bind it
pod = client.V1Pod(metadata=client.V1ObjectMeta(name="py-pod"),
                   spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox")]))
pod = v1.create_namespaced_pod(ns, pod)
assert pod.spec.restart_policy == "Always" and pod.status.phase == "Pending", pod.status
pod.status.phase = "Running"
pod.spec.containers[0].image = "ignored-on-status"
r = v1.replace_namespaced_pod_status("py-pod", ns, pod)
assert r.status.phase == "Running" and r.spec.containers[0].image == "busybox", r
b = client.V1Binding(metadata=client.V1ObjectMeta(name="py-pod"),
                     target=client.V1ObjectReference(api_version="v1", kind="Node", name="n1"))
v1.create_namespaced_pod_binding("py-pod", ns, b, _preload_content=False)
assert v1.read_namespaced_pod("py-pod", ns).spec.node_name == "n1"
# watch with a timeout (synthetic ADDED first), then with a too-old resourceVersion (410)
w = watch.Watch()
evs = [(e["type"], e["object"].metadata.name) for e in
       w.stream(v1.list_namespaced_config_map, ns, timeout_seconds=2)]
assert ("ADDED", "py-cm") in evs, evs
for i in range(3):
    v1.patch_namespaced_config_map("py-cm", ns, {"data": {"n": str(i)}})
try:
    for e in watch.Watch().stream(v1.list_namespaced_config_map, ns, resource_version="1", timeout_seconds=5):
        if e["type"] == "ERROR":
            raise client.exceptions.ApiException(status=e["raw_object"]["code"])
    raise SystemExit("expected 410 for a too-old resourceVersion")
except client.exceptions.ApiException as e:
    assert e.status == 410, e.status
apps = client.AppsV1Api()
dep = apps.create_namespaced_deployment(ns, {"apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "py-dep"}, "spec": {"selector": {"matchLabels": {"a": "b"}},
    "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "x"}]}}}})
assert dep.spec.replicas == 1 and dep.spec.strategy.type == "RollingUpdate"
apps.delete_namespaced_deployment("py-dep", ns)
v1.delete_namespaced_config_map("py-cm", ns)
try:
    v1.read_namespaced_config_map("py-cm", ns)
    raise SystemExit("expected 404 after delete")
except client.exceptions.ApiException as e:
    assert e.status == 404
# the RBAC kinds (stored and served; not enforced) and a quota
rbac = client.RbacAuthorizationV1Api()
r = rbac.create_namespaced_role(ns, {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
    "metadata": {"name": "py-role"}, "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]})
assert r.rules[0].verbs == ["get"] and r.rules[0].resources == ["pods"] and r.metadata.uid, r
assert [x.metadata.name for x in rbac.list_namespaced_role(ns).items] == ["py-role"]
b = rbac.create_namespaced_role_binding(ns, {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
    "metadata": {"name": "py-rb"}, "roleRef": {"kind": "Role", "name": "py-role"},
    "subjects": [{"kind": "User", "name": "bob"}]})
assert b.role_ref.api_group == "rbac.authorization.k8s.io" and b.subjects[0].api_group == "rbac.authorization.k8s.io"
rbac.create_cluster_role({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
    "metadata": {"name": "py-cr"}, "rules": [{"nonResourceURLs": ["/healthz"], "verbs": ["get"]}]})
assert "py-cr" in [c.metadata.name for c in rbac.list_cluster_role().items]
try:
    rbac.patch_namespaced_role_binding("py-rb", ns, {"roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                                                                 "kind": "Role", "name": "other"}})
    raise SystemExit("expected 422 for a changed roleRef")
except client.exceptions.ApiException as e:
    assert e.status == 422 and "cannot change roleRef" in e.body, (e.status, e.body)
assert rbac.delete_namespaced_role_binding("py-rb", ns).status == "Success"
rbac.delete_cluster_role("py-cr")
q = v1.create_namespaced_resource_quota(ns, {"apiVersion": "v1", "kind": "ResourceQuota",
    "metadata": {"name": "py-q"}, "spec": {"hard": {"pods": "2", "cpu": "500m"}}})
assert q.spec.hard == {"pods": "2", "cpu": "500m"}, q.spec
assert [x.metadata.name for x in v1.list_namespaced_resource_quota(ns).items] == ["py-q"]
print("python ok")
'''


def python_suite(cl):
    ns = "cpython"
    s, o = cl.req("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})
    assert s == 201, o
    p = subprocess.run(["/usr/bin/python3", "-c", PYTHON, os.path.join(cl.tmp, "data", "admin.kubeconfig"), ns],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "python ok" in p.stdout, p.stdout + p.stderr


# ---------------------------------------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--k8c", required=True)
    ap.add_argument("--etcd", action="store_true")
    ap.add_argument("-k", default="", help="run only the steps whose name contains this")
    ap.add_argument("--client", default="", help="run only this client (1.33, 1.30, 1.27, 1.20, python)")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="k8c-compat-")
    failed = 0
    matrix = {}
    clients = [(n, p) for n, p in KUBECTLS if (not args.client or args.client == n)]
    try:
        cl = k8ctest.Cluster(args.k8c, tmp, args.etcd)
        for name, path in clients:
            if not os.path.exists(path):
                print("FAIL kubectl %s: %s is missing (scripts/deps.sh provides it)" % (name, path))
                failed += 1
                continue
            k = Kubectl(cl, name, path)
            s, o = cl.req("POST", "/api/v1/namespaces", {"metadata": {"name": k.ns}})
            assert s == 201, o
            for step in STEPS:
                sname = step.__name__[2:]
                if args.k not in sname:
                    continue
                known = KNOWN.get((sname, name)) or KNOWN.get((sname, "*"))
                try:
                    step(k)
                    if known:
                        matrix[(sname, name)] = "UNEXPECTED PASS"
                        failed += 1
                        print("FAIL %s / kubectl %s: passes now; remove it from KNOWN (%s)" % (sname, name, known))
                    else:
                        matrix[(sname, name)] = "ok"
                        print("ok   %s / kubectl %s" % (sname, name))
                except Skip as e:
                    matrix[(sname, name)] = "n/a"
                    print("n/a  %s / %s" % (sname, e))
                except Exception:
                    if known:
                        matrix[(sname, name)] = "known"
                        print("known %s / kubectl %s: %s" % (sname, name, known))
                    else:
                        matrix[(sname, name)] = "FAIL"
                        failed += 1
                        print("FAIL %s / kubectl %s\n%s" % (sname, name, traceback.format_exc()))
        if not args.k and args.client in ("", "python"):
            try:
                python_suite(cl)
                print("ok   python3-kubernetes")
            except Exception:
                failed += 1
                print("FAIL python3-kubernetes\n%s" % traceback.format_exc())
        cl.stop()
    finally:
        k8ctest.cleanup()
        if failed:
            try:
                print(open(os.path.join(tmp, "server.log")).read()[-4000:])
            except OSError:
                pass
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    names = [n for n, _ in clients]
    print("\n%-22s" % "step" + "".join("%-10s" % ("kubectl " + n if False else n) for n in names))
    for step in STEPS:
        sname = step.__name__[2:]
        if any((sname, n) in matrix for n in names):
            print("%-22s" % sname + "".join("%-10s" % matrix.get((sname, n), "-") for n in names))
    print("%d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
