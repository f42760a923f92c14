#!/usr/bin/python3
"""First compatibility run of the API server with clients nobody here wrote: the machine's kubectl (the
dispatcher, which picks its bundled client by the server's minor version, and the bundled 1.27/1.30 clients
called directly) and Debian's python3-kubernetes. Each kubectl gets a fresh --cache-dir.

Covers: version, api-resources, get (default table, -o wide/json/yaml/name, -A, -l, --show-labels), create -f,
create configmap, get -w seeing a change, delete; Python: list, create without apiVersion/kind, read, 404/409 as
ApiException, watch with timeout, delete.

Usage: kube_clients.py --k8c BUILD/cmd/k8c [--etcd]. Stops what it started by PID, also on failure.
"""
import argparse
import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

children = []
atexit.register(lambda: [p.kill() for p in children if p.poll() is None])
signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))

KUBECTLS = [("dispatcher", "/usr/bin/kubectl"), ("1.27", "/usr/lib/google-cloud-sdk/bin/kubectl.1.27"),
            ("1.30", "/usr/lib/google-cloud-sdk/bin/kubectl.1.30")]


def wait_etcd(port):
    import http.client as hc
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            c = hc.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/health")
            ok = c.getresponse().status == 200
            c.close()
            if ok:
                return
        except OSError:
            pass
        time.sleep(0.02)  # polling for etcd's readiness, bounded by the deadline
    raise SystemExit("etcd not healthy within 20 s")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Env:
    def __init__(self, k8c, tmp, etcd):
        self.tmp = tmp
        self.data = os.path.join(tmp, "data")
        self.port = free_port()
        cmd = [k8c, "server", "--data-dir", self.data, "--secure-port", str(self.port)]
        if etcd:
            cp, pp = free_port(), free_port()
            e = subprocess.Popen(["etcd", "--name", "c", "--data-dir", os.path.join(tmp, "etcd"),
                                  "--listen-client-urls", "http://127.0.0.1:%d" % cp,
                                  "--advertise-client-urls", "http://127.0.0.1:%d" % cp,
                                  "--listen-peer-urls", "http://127.0.0.1:%d" % pp,
                                  "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % pp,
                                  "--initial-cluster", "c=http://127.0.0.1:%d" % pp, "--log-level", "error"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            children.append(e)
            wait_etcd(cp)
            cmd = [k8c, "apiserver", "--etcd-servers", "http://127.0.0.1:%d" % cp, "--data-dir", self.data,
                   "--secure-port", str(self.port)]
        self.log = open(os.path.join(tmp, "server.log"), "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log)
        children.append(self.proc)
        self.kubeconfig = os.path.join(self.data, "admin.kubeconfig")
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise SystemExit("server exited:\n" + open(self.log.name).read())
            if os.path.exists(self.kubeconfig) and self.kubectl("/usr/bin/kubectl", "get", "--raw", "/readyz",
                                                                check=False)[0] == 0:
                break
            if time.monotonic() > deadline:
                raise SystemExit("server not ready:\n" + open(self.log.name).read())
            time.sleep(0.05)  # polling for readiness with a deadline

    def kubectl(self, binary, *args, check=True, stdin=None, timeout=60):
        cache = tempfile.mkdtemp(prefix="kc-cache-", dir=self.tmp)
        p = subprocess.run([binary, "--kubeconfig", self.kubeconfig, "--cache-dir", cache] + list(args),
                           capture_output=True, text=True, input=stdin, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("%s %s -> %d\nstdout: %s\nstderr: %s" % (binary, " ".join(args), p.returncode,
                                                                           p.stdout, p.stderr))
        return p.returncode, p.stdout, p.stderr


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


def kubectl_suite(env, name, kb):
    rc, out, err = env.kubectl(kb, "version", "-o", "json")
    v = json.loads(out)
    assert v["serverVersion"]["minor"] == "33", v
    rc, out, err = env.kubectl(kb, "api-resources")
    assert "pods" in out and "deployments" in out and "po " in out, out
    assert "error" not in err.lower(), err
    rc, out, err = env.kubectl(kb, "get", "ns")
    assert out.splitlines()[0].split() == ["NAME", "STATUS", "AGE"], out
    assert "kube-system" in out and "Active" in out, out
    pod = "p-" + name.replace(".", "")
    env.kubectl(kb, "create", "-f", "-", stdin=POD % pod)
    rc, out, err = env.kubectl(kb, "get", "pods")
    assert pod in out and out.splitlines()[0].split()[:3] == ["NAME", "READY", "STATUS"], out
    rc, out, err = env.kubectl(kb, "get", "pod", pod, "-o", "wide")
    assert "IP" in out.splitlines()[0] and "NODE" in out.splitlines()[0], out
    rc, out, err = env.kubectl(kb, "get", "pod", pod, "-o", "json")
    assert json.loads(out)["metadata"]["name"] == pod
    rc, out, err = env.kubectl(kb, "get", "pod", pod, "-o", "yaml")
    assert "name: " + pod in out, out
    rc, out, err = env.kubectl(kb, "get", "pods", "-o", "name")
    assert "pod/" + pod in out, out
    rc, out, err = env.kubectl(kb, "get", "pods", "-A")
    assert out.splitlines()[0].split()[0] == "NAMESPACE" and "default" in out, out
    rc, out, err = env.kubectl(kb, "get", "pods", "-l", "app=web", "--show-labels")
    assert "app=web" in out, out
    rc, out, err = env.kubectl(kb, "get", "pod", "nope", check=False)
    assert rc == 1 and 'pods "nope" not found' in err, (rc, err)
    env.kubectl(kb, "create", "configmap", "cm-" + name.replace(".", ""), "--from-literal=a=b", check=False)
    # get -w: a change while watching shows up
    w = subprocess.Popen([kb, "--kubeconfig", env.kubeconfig, "--cache-dir", tempfile.mkdtemp(dir=env.tmp), "get",
                          "pods", "-w", "--request-timeout=20s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    children.append(w)
    try:
        first = w.stdout.readline()
        assert first.split()[0] == "NAME", first
        env.kubectl(kb, "label", "pod", pod, "changed=yes")
        deadline = time.monotonic() + 15
        seen = False
        while time.monotonic() < deadline and not seen:
            line = w.stdout.readline()
            seen = bool(line) and line.split()[0] == pod
        assert seen, "get -w did not show the change"
    finally:
        w.kill()
        w.wait()
    env.kubectl(kb, "delete", "pod", pod, "--wait=false")
    rc, out, err = env.kubectl(kb, "get", "pod", pod, check=False)
    assert rc == 1, out


def python_suite(env):
    code = r'''
import sys
from kubernetes import client, config, watch
config.load_kube_config(config_file=sys.argv[1])
v1 = client.CoreV1Api()
ns = [n.metadata.name for n in v1.list_namespace().items]
assert "default" in ns, ns
cm = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-cm"), data={"k": "v"})
created = v1.create_namespaced_config_map("default", cm)
assert created.metadata.uid and created.data == {"k": "v"}
got = v1.read_namespaced_config_map("py-cm", "default")
assert got.metadata.resource_version == created.metadata.resource_version
try:
    v1.read_namespaced_config_map("nope", "default")
    raise SystemExit("expected 404")
except client.exceptions.ApiException as e:
    assert e.status == 404, e.status
try:
    v1.create_namespaced_config_map("default", cm)
    raise SystemExit("expected 409")
except client.exceptions.ApiException as e:
    assert e.status == 409, e.status
w = watch.Watch()
names = [ev["object"].metadata.name for ev in w.stream(v1.list_namespaced_config_map, "default", timeout_seconds=2)]
assert "py-cm" in names, names
v1.delete_namespaced_config_map("py-cm", "default")
try:
    v1.read_namespaced_config_map("py-cm", "default")
    raise SystemExit("expected 404 after delete")
except client.exceptions.ApiException as e:
    assert e.status == 404
print("python ok")
'''
    p = subprocess.run(["/usr/bin/python3", "-c", code, env.kubeconfig], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "python ok" in p.stdout, p.stdout + p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--k8c", required=True)
    ap.add_argument("--etcd", action="store_true")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="k8c-compat-")
    passed = failed = 0
    try:
        env = Env(args.k8c, tmp, args.etcd)
        suites = [("kubectl " + n, lambda n=n, b=b: kubectl_suite(env, n, b)) for n, b in KUBECTLS if os.path.exists(b)]
        suites.append(("python3-kubernetes", lambda: python_suite(env)))
        for name, fn in suites:
            try:
                fn()
                passed += 1
                print("ok   " + name)
            except Exception:
                failed += 1
                print("FAIL %s\n%s" % (name, traceback.format_exc()))
        if failed:
            print(open(env.log.name).read()[-3000:])
    finally:
        for p in children:
            if p.poll() is None:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
