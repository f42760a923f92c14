"""kctl's reading commands (get, describe, logs, config, api-resources, cluster-info, explain, auth, top, completion,
--help) against `k8c server`: golden output and kubectl's error texts (missing namespace, NotFound, unknown type,
unreachable server, bad kubeconfig), and side by side with the real kubectl 1.33 (same tables, YAML, JSON, names,
describe layouts; ages normalised).

Usage: kctl_get_test.py --k8c BUILD/cmd/k8c [-k PATTERN]
"""
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import k8ctest  # noqa: E402

KUBECTL = next((k for k in ("/usr/lib/google-cloud-sdk/bin/kubectl.1.33", "/usr/bin/kubectl") if os.path.exists(k)),
               None)
AGE = re.compile(r"(?<![\w.-])(\d+[smhdy])(\d+[smh])?(?![\w.-])|<invalid>")


def kubeconfig(cl):
    return os.path.join(cl.tmp, "data", "admin.kubeconfig")


KCTL_OVERRIDE = []  # kctl beside the real k8c (cl.k8c is a wrapper script in a temp dir)


def kctl_bin(cl):
    if KCTL_OVERRIDE:
        return KCTL_OVERRIDE[0]
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(cl.k8c))), "kctl", "kctl")


def run(argv, stdin=None, env=None, timeout=60):
    p = subprocess.run(argv, input=stdin, capture_output=True, text=True, env=env, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def kctl(cl, *args, env=None, kc=None):
    return run([kctl_bin(cl), "--kubeconfig", kc or kubeconfig(cl)] + list(args), env=env)


def kubectl(cl, *args, kc=None):
    cache = tempfile.mkdtemp(prefix="kc-cache-", dir=cl.tmp)
    return run([KUBECTL, "--kubeconfig", kc or kubeconfig(cl), "--cache-dir", cache] + list(args))


def ok(res, want_out=None, want_err=None, rc=0):
    code, out, err = res
    if code != rc or (want_out is not None and out != want_out) or (want_err is not None and err != want_err):
        raise AssertionError("rc %d (want %d)\n--- stdout:\n%s--- want:\n%s--- stderr:\n%s--- want:\n%s" %
                             (code, rc, out, want_out, err, want_err))
    return out, err


def norm(text):
    """Ages masked; kubectl's name in its "See 'kubectl X -h'" hints is kctl's."""
    return AGE.sub("AGE", text).replace("See 'kubectl ", "See 'kctl ")


def same(cl, *args, tries=3):
    """kctl and kubectl give the same exit code, stdout and stderr (ages normalised). Ages that change width
    between the two runs (9s -> 10s) shift the columns, so a mismatch is retried a few times."""
    for attempt in range(tries):
        a = kctl(cl, *args)
        b = kubectl(cl, *args)
        if a[0] == b[0] and norm(a[1]) == norm(b[1]) and norm(a[2]) == norm(b[2]):
            return a
    raise AssertionError("kctl %s differs from kubectl:\n--- kctl rc %d:\n%s%s--- kubectl rc %d:\n%s%s" %
                         (" ".join(args), a[0], a[1], a[2], b[0], b[1], b[2]))


def write(cl, name, text):
    path = os.path.join(cl.tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


OBJECTS = """apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web, tier: front}}
spec: {containers: [{name: c, image: nginx:1.25, ports: [{containerPort: 80, name: http}],
        env: [{name: MODE, value: prod}], resources: {requests: {cpu: 100m, memory: 64Mi}}}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: nginx:1.25}, {name: side, image: busybox, command: [sh, -c, "sleep 1d"]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db-1, namespace: shop, labels: {app: db}}
spec:
  containers: [{name: c, image: postgres, volumeMounts: [{name: data, mountPath: /var/lib/postgresql}]}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx:1.25}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: once, namespace: shop}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, command: [sh, -c, "echo hi"]}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: front, namespace: shop}
spec:
  rules:
  - host: shop.example
    http:
      paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-a, labels: {type: local}}
spec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /tmp/pv-a},
       storageClassName: manual}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: shop}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 500Mi}}, storageClassName: manual}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {a: "1", html: "<b>&</b>"}
---
apiVersion: v1
kind: Node
metadata: {name: node-a, labels: {kubernetes.io/hostname: node-a, node-role.kubernetes.io/worker: ""}}
spec: {podCIDR: 10.244.1.0/24, taints: [{key: dedicated, value: db, effect: NoSchedule}]}
"""


def setup_objects(cl):
    if getattr(cl, "objects_ready", False):
        return
    f = write(cl, "objects.yaml", OBJECTS)
    ok(kubectl(cl, "apply", "-f", f))
    s, pod = cl.req("GET", "/api/v1/namespaces/shop/pods/web-1")
    assert s == 200, pod
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    for name, reason, count in (("web-1.a", "Scheduled", 1), ("web-1.b", "Pulled", 4)):
        ev = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": name, "namespace": "shop"},
              "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "shop", "uid": pod["metadata"]["uid"],
                                 "apiVersion": "v1"},
              "reason": reason, "message": "%s the pod  " % reason, "type": "Normal",
              "source": {"component": "kubelet"}, "firstTimestamp": now, "lastTimestamp": now, "count": count}
        s, e = cl.req("POST", "/api/v1/namespaces/shop/events", ev)
        assert s == 201, e
    cl.objects_ready = True


# ---------------------------------------------------------------------------------------------------------- get


def t_get_golden_errors(cl):
    ok(kctl(cl, "get", "pods"), "", "No resources found in default namespace.\n")
    ok(kctl(cl, "get", "pods", "-n", "missing-ns"), "", "No resources found in missing-ns namespace.\n")
    ok(kctl(cl, "get", "pod", "nope"), "", 'Error from server (NotFound): pods "nope" not found\n', rc=1)
    ok(kctl(cl, "get", "pod", "nope", "--ignore-not-found"), "", "")
    ok(kctl(cl, "get", "frobs"), "", 'error: the server doesn\'t have a resource type "frobs"\n', rc=1)
    ok(kctl(cl, "get", "pods", "-o", "xml"), "", None, rc=1)
    out, err = ok(kctl(cl, "get"), "", None, rc=1)
    assert "error: Required resource not specified." in err, err
    ok(kctl(cl, "get", "nodes", "-A", "-o", "name", "--no-headers"))


def t_get_tables_side_by_side(cl):
    setup_objects(cl)
    for args in (["get", "pods", "-n", "shop"], ["get", "po,svc", "-n", "shop"], ["get", "all", "-n", "shop"],
                 ["get", "all", "-A"], ["get", "pods", "-n", "shop", "-o", "wide"],
                 ["get", "pods", "-n", "shop", "--show-labels"], ["get", "pods", "-n", "shop", "-L", "app,tier"],
                 ["get", "pods", "-n", "shop", "--sort-by=.metadata.name"], ["get", "pods", "-A", "-l", "app=web"],
                 ["get", "pods", "web-1", "db-1", "-n", "shop"], ["get", "pod/web-1", "svc/web", "-n", "shop"],
                 ["get", "pods", "-n", "shop", "--no-headers"], ["get", "pods", "-n", "shop", "--show-kind"],
                 ["get", "nodes"], ["get", "no", "-o", "wide"], ["get", "pv,pvc", "-A"], ["get", "ns"],
                 ["get", "deploy,job,ing", "-n", "shop"], ["get", "cm", "-n", "shop"], ["get", "events", "-n", "shop"],
                 ["get", "pods", "-n", "shop", "--field-selector=metadata.name=web-2"],
                 ["get", "pods", "nope", "web-1", "-n", "shop"], ["get", "pods,frobs", "-n", "shop"]):
        same(cl, *args)


def t_get_objects_side_by_side(cl):
    setup_objects(cl)
    for args in (["get", "pods", "-n", "shop", "-o", "yaml"], ["get", "pods", "-n", "shop", "-o", "json"],
                 ["get", "pod", "web-1", "-n", "shop", "-o", "yaml"], ["get", "pod", "web-1", "-n", "shop", "-o", "json"],
                 ["get", "cm", "settings", "-n", "shop", "-o", "json"], ["get", "po,svc", "-n", "shop", "-o", "yaml"],
                 ["get", "pods", "-n", "shop", "-o", "name"], ["get", "po,deploy", "-n", "shop", "-o", "name"],
                 ["get", "pods", "-n", "shop", "-o", "jsonpath={.items[*].metadata.name}"],
                 ["get", "pods", "-n", "shop", "-o",
                  'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.spec.containers[*].image}{"\\n"}{end}'],
                 ["get", "pods", "-n", "shop", "-o", 'jsonpath={.items[?(@.metadata.name=="web-1")].metadata.labels}'],
                 ["get", "pods", "-n", "shop", "-o", "jsonpath={..image}"],
                 ["get", "pods", "-n", "shop", "-o", "custom-columns=NAME:.metadata.name,IMAGES:.spec.containers[*].image"],
                 ["get", "pods", "-n", "shop", "--sort-by={.metadata.labels.app}", "-o", "name"],
                 ["get", "pods", "-n", "shop", "-o", "jsonpath={.items[7]}"],
                 ["get", "pods", "-n", "shop", "-o", "jsonpath={.items["], ["get", "pod", "nope", "-n", "shop", "-o", "yaml"],
                 ["get", "pods", "-n", "missing-ns", "-o", "json"], ["get", "pods", "-n", "missing-ns", "-o", "name"]):
        same(cl, *args)


def read_until(proc, needle, timeout=20):
    """Reads proc's stdout until needle shows up (with a deadline); returns what was read."""
    buf = proc.pending if hasattr(proc, "pending") else ""
    proc.pending = ""
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    while needle not in buf:
        left = max(deadline - time.monotonic(), 0)
        r, _, _ = select.select([fd], [], [], left)
        if r:
            chunk = os.read(fd, 65536).decode()
            if not chunk:
                raise AssertionError("stream ended before %r; got:\n%s" % (needle, buf))
            buf += chunk
        if time.monotonic() >= deadline and needle not in buf:
            proc.pending = buf  # kept for the next call
            raise AssertionError("no %r within %ss; got:\n%s" % (needle, timeout, buf))
    return buf


def t_get_watch(cl):
    ok(kubectl(cl, "create", "namespace", "watched"))
    p = subprocess.Popen([kctl_bin(cl), "--kubeconfig", kubeconfig(cl), "get", "pods", "-n", "watched", "-w"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    k8ctest.children.append(p)
    try:
        # the watch may start before or after the create: both must show the pod
        s, _ = cl.req("POST", "/api/v1/namespaces/watched/pods", k8ctest.pod("w-first", "watched"))
        assert s == 201
        out = read_until(p, "w-first")
        assert out.startswith("NAME"), out  # the first event prints the header
        s, _ = cl.req("POST", "/api/v1/namespaces/watched/pods", k8ctest.pod("w-second-longer-name", "watched"))
        assert s == 201
        out += read_until(p, "w-second-longer-name")
        lines = [line for line in out.splitlines() if line]
        assert lines[0].split()[0] == "NAME" and sum(1 for line in lines if line.startswith("NAME")) == 1, out
    finally:
        p.kill()
        p.wait()
    # --watch-only with -o name
    p = subprocess.Popen([kctl_bin(cl), "--kubeconfig", kubeconfig(cl), "get", "pods", "-n", "watched", "--watch-only",
                          "-o", "name"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    k8ctest.children.append(p)
    try:
        # nothing tells when the watch is established: create pods until one is reported (with a deadline);
        # --watch-only must not print the pods that existed before
        deadline = time.monotonic() + 20
        n, seen = 0, ""
        while "pod/w-probe-" not in seen:
            assert time.monotonic() < deadline, "no watch event within 20 s"
            n += 1
            s, _ = cl.req("POST", "/api/v1/namespaces/watched/pods", k8ctest.pod("w-probe-%d" % n, "watched"))
            assert s == 201
            try:
                seen += read_until(p, "pod/w-probe-", timeout=0.5)
            except AssertionError:
                pass
        assert "w-first" not in seen and "w-second" not in seen, seen
    finally:
        p.kill()
        p.wait()
    ok(kctl(cl, "get", "pods,svc", "-n", "watched", "-w"), "",
       "error: watch is only supported on individual resources and resource collections, but 2 resources were found\n",
       rc=1)


# ---------------------------------------------------------------------------------------------------------- describe


def t_describe_side_by_side(cl):
    setup_objects(cl)
    for args in (["describe", "pod", "web-1", "-n", "shop"], ["describe", "pods", "-n", "shop"],
                 ["describe", "pods", "web", "-n", "shop"], ["describe", "pod/db-1", "-n", "shop"],
                 ["describe", "node", "node-a"], ["describe", "deploy", "web", "-n", "shop"],
                 ["describe", "svc", "web", "-n", "shop"], ["describe", "job", "once", "-n", "shop"],
                 ["describe", "ing", "front", "-n", "shop"], ["describe", "pv", "pv-a"],
                 ["describe", "pvc", "data", "-n", "shop"], ["describe", "ns", "shop"],
                 ["describe", "pv,pvc", "-n", "shop"], ["describe", "pods", "-l", "app=db", "-n", "shop"],
                 ["describe", "pod", "web-1", "-n", "shop", "--show-events=false"],
                 ["describe", "pod", "nope", "-n", "shop"], ["describe", "frobs", "x"]):
        same(cl, *args)


def t_describe_generic(cl):
    setup_objects(cl)
    out, _ = ok(kctl(cl, "describe", "lease", "node-a", "-n", "kube-node-lease"), "", None, rc=1)
    s, _ = cl.req("POST", "/apis/coordination.k8s.io/v1/namespaces/shop/leases",
                  {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {"name": "l1"},
                   "spec": {"holderIdentity": "me", "leaseDurationSeconds": 40}})
    assert s == 201
    out, _ = same(cl, "describe", "lease", "l1", "-n", "shop")[1:]
    for want in ("Name:         l1\n", "API Version:  coordination.k8s.io/v1\n", "Spec:\n  Holder Identity:  "):
        assert want in out, out


# ---------------------------------------------------------------------------------------------------------- the rest


def t_logs(cl):
    setup_objects(cl)
    for args in (["logs", "web-1", "-n", "shop"], ["logs", "web-2", "-n", "shop"], ["logs", "web-2", "-c", "nope", "-n",
                 "shop"], ["logs", "nope", "-n", "shop"], ["logs", "deploy/web", "-n", "shop"],
                 ["logs", "-f", "--tail", "5", "--timestamps", "web-1", "-n", "shop"]):
        same(cl, *args)
    same(cl, "logs")
    ok(kctl(cl, "logs", "web-1", "--tail", "x", "-n", "shop"), "", None, rc=1)


def t_misc_side_by_side(cl):
    setup_objects(cl)
    for args in (["api-resources"], ["api-resources", "-o", "wide"], ["api-resources", "--namespaced=false", "-o", "name"],
                 ["api-resources", "--api-group=apps", "--no-headers"], ["cluster-info"], ["top", "pods"],
                 ["top", "nodes"], ["auth", "whoami"], ["auth", "can-i", "get", "pods"],
                 ["auth", "can-i", "create", "deployments.apps", "-A"], ["version", "--client", "-o", "json"]):
        if args[:1] == ["version"]:
            continue
        same(cl, *args)
    s, _ = cl.req("GET", "/openapi/v3")
    if s != 200:
        print("     (explain skipped: the server does not serve /openapi/v3)")
        return
    for args in (["explain", "pods"], ["explain", "pods.spec.containers"], ["explain", "deploy", "--recursive"],
                 ["explain", "svc.spec.ports.port"], ["explain", "pods.nope"], ["explain", "frobs"]):
        same(cl, *args)


def t_config(cl):
    kc = os.path.join(cl.tmp, "copy.kubeconfig")
    kc2 = os.path.join(cl.tmp, "copy2.kubeconfig")
    shutil.copy(kubeconfig(cl), kc)
    shutil.copy(kubeconfig(cl), kc2)
    for args in (["config", "set-context", "dev", "--cluster=k8c", "--user=admin", "--namespace=shop"],
                 ["config", "use-context", "dev"], ["config", "set-context", "--current", "--namespace=other"],
                 ["config", "use-context", "nope"], ["config", "current-context"], ["config", "get-contexts"],
                 ["config", "view"]):
        a = kctl(cl, *args, kc=kc)
        b = kubectl(cl, *args, kc=kc2)
        assert a == b, (args, a, b)
        assert open(kc).read() == open(kc2).read(), args
    # the context's namespace is used
    setup_objects(cl)
    shutil.copy(kubeconfig(cl), kc)
    ok(kctl(cl, "config", "set-context", "--current", "--namespace=shop", kc=kc))
    out, _ = ok(kctl(cl, "get", "pods", "-o", "name", kc=kc))
    assert "pod/web-1\n" in out, out


def t_connection_and_kubeconfig_errors(cl):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    ok(kctl(cl, "get", "pods", "--server", "https://127.0.0.1:%d" % port), "",
       "The connection to the server 127.0.0.1:%d was refused - did you specify the right host or port?\n" % port, rc=1)
    ok(kctl(cl, "get", "pods", kc="/nonexistent/kubeconfig"), "",
       "Error: stat /nonexistent/kubeconfig: no such file or directory\n", rc=1)
    bad = write(cl, "bad.kubeconfig", "clusters: [\n")
    _, err = ok(kctl(cl, "get", "pods", kc=bad), "", None, rc=1)
    assert err.startswith('error: error loading config file "%s"' % bad), err
    ok(kctl(cl, "get", "pods", "--context", "nope"), "", 'error: context "nope" does not exist\n', rc=1)
    noca = write(cl, "noca.kubeconfig", open(kubeconfig(cl)).read().replace("certificate-authority-data", "x-ca"))
    ok(kctl(cl, "get", "pods", kc=noca), "",
       "Unable to connect to the server: tls: failed to verify certificate: x509: certificate signed by unknown "
       "authority\n", rc=1)
    ok(kctl(cl, "get", "pods", "--request-timeout", "soon"), "", None, rc=1)


def t_exec(cl):
    """exec over WebSocket to exec_test.py's stand-in kubelet, side by side with kubectl."""
    import exec_test
    exec_test.setup(cl)
    for args in (["exec", "p1", "--", "echo", "hi", "there"], ["exec", "p1", "--", "exit", "3"],
                 ["exec", "p1", "--", "stderr", "oops", "here"], ["exec", "pod/p1", "--", "echo", "x"],
                 ["exec", "pmulti", "--", "echo", "a"], ["exec", "pann", "--", "echo", "b"],
                 ["exec", "p1", "-c", "nope", "--", "echo", "hi"], ["exec", "p0", "--", "echo", "hi"],
                 ["exec", "nosuchpod", "--", "echo", "hi"], ["exec", "pghost", "--", "echo", "hi"],
                 ["exec", "p1"], ["exec", "p1", "echo", "hi"]):
        same(cl, *args)
    text = "line one\nline two\n" * 2000
    ok(run([kctl_bin(cl), "--kubeconfig", kubeconfig(cl), "exec", "-i", "p1", "--", "cat"], stdin=text), text, "")
    p = subprocess.run([kctl_bin(cl), "--kubeconfig", kubeconfig(cl), "exec", "p1", "--", "big", str(4 << 20)],
                       capture_output=True, timeout=120)
    assert p.returncode == 0 and p.stdout == bytes(i % 251 for i in range(4 << 20)), (p.returncode, len(p.stdout))


def t_help_completion_exec(cl):
    out, _ = ok(kctl(cl, "--help"))
    cmds = []
    for line in out.splitlines():
        m = re.match(r"  (\S+(?: [a-z-]+)?)\s{2,}", line)
        if m:
            cmds.append(m.group(1).split())
    assert ["get"] in cmds and ["describe"] in cmds and ["config", "use-context"] in cmds, cmds
    for words in cmds:
        out, _ = ok(kctl(cl, *(words + ["--help"])))
        assert "Usage:" in out, (words, out)
    out, _ = ok(kctl(cl, "completion", "bash"))
    assert "complete -o default -F _kctl kctl" in out
    out, _ = ok(kctl(cl, "completion", "zsh"))
    assert "bashcompinit" in out
    ok(kctl(cl, "completion", "fish"), "", None, rc=1)
    ok(kctl(cl, "frobnicate"), "", None, rc=2)


TESTS = [t_get_golden_errors, t_get_tables_side_by_side, t_get_objects_side_by_side, t_get_watch,
         t_describe_side_by_side, t_describe_generic, t_logs, t_misc_side_by_side, t_config,
         t_connection_and_kubeconfig_errors, t_help_completion_exec, t_exec]

if __name__ == "__main__":
    if not KUBECTL:
        print("kubectl not found: the side-by-side tests need it")
        sys.exit(77)
    # exec's stand-in kubelet (exec_test.py) listens on 127.0.0.1 in plain HTTP: k8c needs --kubelet-insecure-loopback
    argv = sys.argv[1:]
    i = argv.index("--k8c")
    wrapdir = tempfile.mkdtemp(prefix="k8c-kctl-get-")
    wrapper = os.path.join(wrapdir, "k8c")
    with open(wrapper, "w") as f:
        f.write('#!/bin/sh\nif [ "$1" = server ]; then exec "%s" "$@" --kubelet-insecure-loopback; fi\n'
                'exec "%s" "$@"\n' % (os.path.abspath(argv[i + 1]), os.path.abspath(argv[i + 1])))
    os.chmod(wrapper, 0o755)
    real_k8c = os.path.abspath(argv[i + 1])
    sys.argv[i + 2] = wrapper
    KCTL_OVERRIDE.append(os.path.join(os.path.dirname(os.path.dirname(real_k8c)), "kctl", "kctl"))
    try:
        rc = k8ctest.run_tests(TESTS, __doc__, prefix="k8c-kctl-get-")
    finally:
        import exec_test
        for k in ("kubelet", "tls", "foreign"):
            if k in exec_test.ENV:
                exec_test.ENV[k].stop()
        if "down_sock" in exec_test.ENV:
            exec_test.ENV["down_sock"].close()
        shutil.rmtree(wrapdir, ignore_errors=True)
    sys.exit(rc)
