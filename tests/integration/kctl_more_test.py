"""kctl's second round against `k8c server`, side by side with the real kubectl 1.33 (same exit code, stdout and
stderr, ages normalised) and with golden text: describe of DaemonSet, StatefulSet, CronJob, HPA, Namespace,
ConfigMap, Secret, ServiceAccount, Endpoints, EndpointSlice, StorageClass, IngressClass, Lease and Event,
`describe -f` and `-l`; `auth can-i --list` and can-i's warnings and errors (also as a token user); `logs -l`,
--prefix, --all-containers, --since-time, --limit-bytes and the other flags, first against the server (which answers
pod logs with an error Status) and then through a plain-HTTP proxy that serves fake logs and records the requests
kubectl and kctl send; `attach` to exec_test.py's stand-in kubelet; the create generators (secret tls and
docker-registry, job --from, service clusterip/nodeport/loadbalancer, serviceaccount, cronjob, ingress) compared with
kubectl's --dry-run=client -o json; rollout pause/resume and DaemonSet/StatefulSet history/undo (with and without
ControllerRevisions, which the proxy can serve); get -w --output-watch-events.

Usage: kctl_more_test.py --k8c BUILD/cmd/k8c [-k PATTERN]
"""
import base64
import http.client
import http.server
import json
import re
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import k8ctest  # noqa: E402
import kctl_get_test as kg  # noqa: E402  (kctl/kubectl runners, same(), ok(), norm())

KUBECTL = kg.KUBECTL


def kubeconfig(cl):
    return kg.kubeconfig(cl)


def kctl(cl, *args, kc=None, stdin=None):
    return kg.run([kg.kctl_bin(cl), "--kubeconfig", kc or kubeconfig(cl)] + list(args), stdin=stdin)


def kubectl(cl, *args, kc=None, stdin=None):
    cache = tempfile.mkdtemp(prefix="kc-cache-", dir=cl.tmp)
    return kg.run([KUBECTL, "--kubeconfig", kc or kubeconfig(cl), "--cache-dir", cache] + list(args), stdin=stdin)


def same(cl, *args, kc=None, stdin=None, tries=3):
    """kctl and kubectl give the same exit code, stdout and stderr (ages normalised), retried for ages that change
    width between the runs."""
    for _ in range(tries):
        a = kctl(cl, *args, kc=kc, stdin=stdin)
        b = kubectl(cl, *args, kc=kc, stdin=stdin)
        if a[0] == b[0] and kg.norm(a[1]) == kg.norm(b[1]) and kg.norm(a[2]) == kg.norm(b[2]):
            return a
    raise AssertionError("kctl %s differs from kubectl:\n--- kctl rc %d:\n%s%s--- kubectl rc %d:\n%s%s" %
                         (" ".join(args), a[0], a[1], a[2], b[0], b[1], b[2]))


ok = kg.ok
write = kg.write


def apply(cl, text, ns=None):
    f = write(cl, "m-%d.yaml" % time.monotonic_ns(), text)
    ok(kubectl(cl, "apply", "-f", f, *(["-n", ns] if ns else [])))


def put_status(cl, path, status):
    s, obj = cl.req("GET", path)
    assert s == 200, (path, s, obj)
    obj["status"] = status
    s, obj = cl.req("PUT", path + "/status", obj)
    assert s == 200, (path, s, obj)
    return obj


# ------------------------------------------------------------------------------------------------ describe

OBJECTS = """apiVersion: v1
kind: Namespace
metadata: {name: more, labels: {team: a}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: more, labels: {app: agent}, annotations: {note: hello}}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      nodeSelector: {disk: ssd}
      containers: [{name: a, image: busybox, command: [sleep, "3600"], env: [{name: X, value: "1"}]}]
      tolerations: [{key: dedicated, operator: Exists, effect: NoSchedule}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: more}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 1, maxUnavailable: 1}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: pg, image: postgres:16, ports: [{containerPort: 5432}]}]}
  volumeClaimTemplates:
  - metadata: {name: data, labels: {x: "z"}}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}, storageClassName: fast}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: more}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    metadata: {labels: {from: cron}, annotations: {why: report}}
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: c, image: busybox, command: [date]}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: more}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
  - type: Pods
    pods: {metric: {name: qps}, target: {type: AverageValue, averageValue: "10"}}
---
apiVersion: v1
kind: Endpoints
metadata: {name: ext, namespace: more}
subsets:
- addresses: [{ip: 10.0.0.1}, {ip: 10.0.0.2}]
  notReadyAddresses: [{ip: 10.0.0.3}]
  ports: [{name: http, port: 80, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ext-abc, namespace: more, labels: {kubernetes.io/service-name: ext}}
addressType: IPv4
ports: [{name: http, port: 80, protocol: TCP}]
endpoints:
- addresses: [10.0.0.1]
  conditions: {ready: true}
  nodeName: n1
  targetRef: {kind: Pod, name: p1, namespace: more}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: fast, annotations: {storageclass.kubernetes.io/is-default-class: "true"}}
provisioner: example.com/fast
parameters: {type: ssd}
mountOptions: [noatime]
allowedTopologies:
- matchLabelExpressions:
  - key: topology.kubernetes.io/zone
    values: [z1, z2]
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec:
  controller: k8s.io/ingress-nginx
  parameters: {kind: IngressParameters, name: external-lb}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: more}
data: {password: cGFzc3dvcmQ=}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: bot, namespace: more}
secrets: [{name: creds}, {name: gone}]
imagePullSecrets: [{name: regcred}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: more, labels: {app: db}}
data: {a.conf: "x=1\\n"}
binaryData: {blob: AAEC}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: lock, namespace: more}
spec: {holderIdentity: me, leaseDurationSeconds: 15}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: more}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx}]}
"""


def setup_more(cl):
    if getattr(cl, "more_ready", False):
        return
    apply(cl, OBJECTS)
    # owned pods with each phase for the controllers' "Pods Status"
    for kind, plural, name, label in (("DaemonSet", "daemonsets", "agent", "agent"),
                                      ("StatefulSet", "statefulsets", "db", "db")):
        s, owner = cl.req("GET", "/apis/apps/v1/namespaces/more/%s/%s" % (plural, name))
        assert s == 200, owner
        for i, phase in enumerate(("Running", "Pending", "Failed")):
            pod = k8ctest.pod("%s-%d" % (name, i), "more", {"app": label})
            pod["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": kind, "name": name,
                                                   "uid": owner["metadata"]["uid"], "controller": True}]
            s, p = cl.req("POST", "/api/v1/namespaces/more/pods", pod)
            assert s == 201, p
            put_status(cl, "/api/v1/namespaces/more/pods/%s-%d" % (name, i), {"phase": phase})
    put_status(cl, "/apis/autoscaling/v2/namespaces/more/horizontalpodautoscalers/web", {
        "currentReplicas": 2, "desiredReplicas": 3,
        "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {
            "averageUtilization": 75, "averageValue": "150m"}}}],
        "conditions": [{"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale", "message": "fine",
                        "lastTransitionTime": "2024-01-01T00:00:00Z"}]})
    put_status(cl, "/apis/batch/v1/namespaces/more/cronjobs/nightly", {
        "lastScheduleTime": "2024-01-01T03:00:00Z", "active": [{"kind": "Job", "name": "nightly-1", "namespace": "more"}]})
    s, sa = cl.req("GET", "/api/v1/namespaces/more/serviceaccounts/bot")
    assert s == 200, sa
    s, o = cl.req("POST", "/api/v1/namespaces/more/secrets", {
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
        "metadata": {"name": "bot-token", "annotations": {"kubernetes.io/service-account.name": "bot",
                                                          "kubernetes.io/service-account.uid": sa["metadata"]["uid"]}},
        "data": {"token": base64.b64encode(b"the-token").decode()}})
    assert s == 201, o
    s, ds = cl.req("GET", "/apis/apps/v1/namespaces/more/daemonsets/agent")
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    s, o = cl.req("POST", "/api/v1/namespaces/more/events", {
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": "agent.1"},
        "involvedObject": {"kind": "DaemonSet", "name": "agent", "namespace": "more", "uid": ds["metadata"]["uid"],
                           "apiVersion": "apps/v1"},
        "reason": "SuccessfulCreate", "message": "Created pod: agent-0", "type": "Normal",
        "source": {"component": "daemonset-controller"}, "firstTimestamp": now, "lastTimestamp": now, "count": 3})
    assert s == 201, o
    cl.more_ready = True


def t_describe_kinds_side_by_side(cl):
    setup_more(cl)
    for args in (["describe", "ds", "agent"], ["describe", "sts", "db"], ["describe", "cj", "nightly"],
                 ["describe", "hpa", "web"], ["describe", "ep", "ext"], ["describe", "endpointslice", "ext-abc"],
                 ["describe", "sa", "bot"], ["describe", "secret", "creds"], ["describe", "secret", "bot-token"],
                 ["describe", "cm", "cfg"], ["describe", "lease", "lock"], ["describe", "events", "agent.1"],
                 ["describe", "ds"], ["describe", "daemonsets.apps/agent", "statefulsets/db"],
                 ["describe", "ds", "ag"], ["describe", "ds", "agent", "--show-events=false"]):
        same(cl, *(args + ["-n", "more"]))
    for args in (["describe", "sc", "fast"], ["describe", "ingressclass", "nginx"], ["describe", "ns", "more"],
                 ["describe", "sc"]):
        same(cl, *args)
    # golden lines kubectl prints and kctl must keep printing
    out, _ = ok(kctl(cl, "describe", "sa", "bot", "-n", "more"))
    for want in ("Image pull secrets:  regcred (not found)\n", "Mountable secrets:   creds\n",
                 "                     gone (not found)\n", "Tokens:              bot-token\n"):
        assert want in out, out
    out, _ = ok(kctl(cl, "describe", "secret", "creds", "-n", "more"))
    assert "password:  8 bytes\n" in out and "cGFzc3dvcmQ" not in out and "password\n" not in out, out
    out, _ = ok(kctl(cl, "describe", "cm", "cfg", "-n", "more"))
    assert "a.conf:\n----\nx=1\n" in out and "blob: 3 bytes\n" in out, out


def t_describe_files_and_selectors(cl):
    setup_more(cl)
    f = write(cl, "describe-me.yaml", "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\n---\n"
              "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: missing}\n---\n"
              "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n")
    code, out, err = same(cl, "describe", "-f", f, "-n", "more")
    assert code == 1 and out.startswith("Name:           agent\n") and "Name:         cfg\n" in out, out
    assert err == 'Error from server (NotFound): configmaps "missing" not found\n', err
    assert "\n\n\nName:" in out, "descriptions are separated by kubectl's two blank lines:\n" + out
    same(cl, "describe", "-f", f, "-n", "other")  # the namespace of -n does not match the file's objects: none
    same(cl, "describe", "pods,cm", "-l", "app=db", "-n", "more")
    same(cl, "describe", "pods", "-l", "app=nothing", "-n", "more")
    same(cl, "describe", "nodes")
    same(cl, "describe", "pods", "db-0", "nope", "nope", "-n", "more")
    same(cl, "describe", "-f", os.path.join(cl.tmp, "no-such.yaml"))


# ------------------------------------------------------------------------------------------------ auth can-i

def token_kubeconfig(cl):
    """A kubeconfig of alice (the harness's token user): no client certificate, a bearer token."""
    path = os.path.join(cl.tmp, "alice.kubeconfig")
    if not os.path.exists(path):
        src = subprocess.run([kg.kctl_bin(cl), "--kubeconfig", kubeconfig(cl), "config", "view", "--raw", "-o",
                              "json"], capture_output=True, text=True, check=True).stdout
        doc = json.loads(src)
        doc["users"] = [{"name": "alice", "user": {"token": "secret-token"}}]
        for c in doc["contexts"]:
            c["context"]["user"] = "alice"
        with open(path, "w") as f:
            json.dump(doc, f)
    return path


def t_can_i(cl):
    for args in (["auth", "can-i", "--list"], ["auth", "can-i", "--list", "-n", "more", "--no-headers"],
                 ["auth", "can-i", "--list", "-A"], ["auth", "can-i", "--list", "pods"], ["auth", "can-i", "--list", "-q"],
                 ["auth", "can-i", "get", "pods", "--no-headers"], ["auth", "can-i", "list", "nodes"],
                 ["auth", "can-i", "list", "nodes", "-A"], ["auth", "can-i", "frob", "pods"],
                 ["auth", "can-i", "get", "/healthz", "--subresource=x"], ["auth", "can-i", "get", "/healthz"],
                 ["auth", "can-i", "frob", "/healthz"], ["auth", "can-i", "get", "pods", "--subresource=log", "-A"],
                 ["auth", "can-i", "get", "frobs"], ["auth", "can-i", "get", "frobs.example.com"],
                 ["auth", "can-i", "get", "pods/x", "--subresource=log"], ["auth", "can-i", "get"],
                 ["auth", "can-i", "get", "pods", "x"], ["auth", "can-i", "list", "deployments.apps", "-n", "more"],
                 ["auth", "can-i", "create", "jobs.batch/bar", "-n", "foo"], ["auth", "can-i", "*", "*"],
                 ["auth", "can-i", "list", "storageclasses.storage.k8s.io"]):
        same(cl, *args)
    alice = token_kubeconfig(cl)
    for args in (["auth", "can-i", "--list"], ["auth", "can-i", "--list", "-n", "kube-system"],
                 ["auth", "can-i", "create", "pods"], ["auth", "can-i", "get", "/healthz"]):
        same(cl, *args, kc=alice)
    out, _ = ok(kctl(cl, "auth", "can-i", "--list"))
    assert out.startswith("Resources   Non-Resource URLs   Resource Names   Verbs\n"), out


# ------------------------------------------------------------------------------------------------ logs

class Proxy:
    """Plain HTTP on 127.0.0.1 in front of the cluster (forwarded over TLS with the admin certificate): pod logs are
    answered with fake text naming the pod and container (recording each request's path); with revisions set,
    apps/v1 discovery lists controllerrevisions and their list is served from it."""

    def __init__(self, cl):
        self.cl = cl
        self.logs = []
        self.revisions = None  # {"namespace/selector": [ControllerRevision]} when served
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def reply(self, status, body, ctype="application/json"):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def handle_any(self):
                u = urllib.parse.urlsplit(self.path)
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n) if n else None
                if u.path.endswith("/log"):
                    with proxy.lock:
                        proxy.logs.append(self.path)
                    q = urllib.parse.parse_qs(u.query)
                    pod = u.path.split("/")[-2]
                    text = "%s %s one\n%s %s two\nno newline" % (pod, q.get("container", ["?"])[0], pod,
                                                                 q.get("container", ["?"])[0])
                    return self.reply(200, text.encode(), "text/plain")
                if proxy.revisions is not None and u.path.endswith("/controllerrevisions"):
                    ns = u.path.split("/")[5]
                    items = proxy.revisions.get(ns, [])
                    return self.reply(200, json.dumps({"kind": "ControllerRevisionList", "apiVersion": "apps/v1",
                                                       "metadata": {"resourceVersion": "1"}, "items": items}).encode())
                c = http.client.HTTPSConnection("127.0.0.1", proxy.cl.port, context=proxy.cl.ctx, timeout=30)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "content-length", "connection", "accept-encoding")}
                c.request(self.command, self.path, body, headers)
                r = c.getresponse()
                data = r.read()
                c.close()
                if proxy.revisions is not None and u.path == "/apis/apps/v1" and r.status == 200:
                    doc = json.loads(data)
                    doc["resources"].append({"name": "controllerrevisions", "singularName": "controllerrevision",
                                             "namespaced": True, "kind": "ControllerRevision",
                                             "verbs": ["get", "list", "watch"]})
                    data = json.dumps(doc).encode()
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.kubeconfig = os.path.join(cl.tmp, "proxy.kubeconfig")
        with open(self.kubeconfig, "w") as f:
            json.dump({"apiVersion": "v1", "kind": "Config", "current-context": "p",
                       "clusters": [{"name": "p", "cluster": {"server": "http://127.0.0.1:%d" %
                                                              self.server.server_address[1]}}],
                       "users": [{"name": "u", "user": {}}],
                       "contexts": [{"name": "p", "context": {"cluster": "p", "user": "u", "namespace": "more"}}]},
                      f)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)

    def take(self):
        with self.lock:
            got, self.logs = self.logs, []
        return got


PROXY = []


def proxy(cl):
    if not PROXY:
        PROXY.append(Proxy(cl))
    return PROXY[0]


def logs_setup(cl):
    setup_more(cl)
    if getattr(cl, "logs_ready", False):
        return
    apply(cl, """apiVersion: v1
kind: Pod
metadata: {name: multi, namespace: more, labels: {app: multi}}
spec:
  initContainers: [{name: init, image: busybox}]
  containers: [{name: a, image: busybox}, {name: b, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: pinit, namespace: more, labels: {app: pinit}, annotations: {kubectl.kubernetes.io/default-container: zz}}
spec:
  initContainers: [{name: i, image: busybox}]
  containers: [{name: c, image: busybox}]
""")
    cl.logs_ready = True


LOG_ERRORS = (["logs"], ["logs", "a", "b", "c"], ["logs", "nope"], ["logs", "pod/nope"], ["logs", "deploy/nope"],
              ["logs", "-l", "a=("], ["logs", "agent-0", "-l", "app=x"], ["logs", "agent-0", "--tail", "x"],
              ["logs", "agent-0", "--since", "x"], ["logs", "agent-0", "--limit-bytes", "x"],
              ["logs", "agent-0", "--max-log-requests", "x"], ["logs", "agent-0", "--since-time", "yesterday"],
              ["logs", "agent-0", "--since-time", "2024-13-01T00:00:00Z"],
              ["logs", "agent-0", "--since-time", "2024-02-30T00:00:00Z"],
              ["logs", "agent-0", "--since-time", "2024-01-01T00:00:00"],
              ["logs", "agent-0", "--since-time", "2024-01-01T00:00:00Zjunk"],
              ["logs", "agent-0", "--since", "1h", "--since-time", "2024-01-01T00:00:00Z"],
              ["logs", "agent-0", "--limit-bytes", "-1"], ["logs", "agent-0", "-c", "c", "--all-containers"],
              ["logs", "agent-0", "c", "-c", "c"], ["logs", "agent-0", "--tail", "-5"],
              ["logs", "agent-0", "--since", "-1s"], ["logs", "-l", "app=agent", "-f", "--max-log-requests", "2"],
              ["logs", "-l", "app=none"], ["logs", "multi", "-c", "nope"])


def t_logs_server_answers(cl):
    """k8c answers pod logs with an error Status until the kubelet serves them: printed in kubectl's words."""
    logs_setup(cl)
    for args in LOG_ERRORS + (["logs", "agent-0"], ["logs", "-l", "app=multi"], ["logs", "multi", "--all-containers"],
                              ["logs", "pinit"]):
        same(cl, *(args + ["-n", "more"]))
    # several pods: kubectl asks for their logs in Go map order and prints the first error, so which pod it names
    # differs from run to run; the words must be the same, the pod one of those the selector picks
    pods = lambda t: re.sub(r"pod agent-[0-9]+ ", "pod agent-N ", t)
    args = ["logs", "-l", "app=agent", "--prefix", "-n", "more"]
    a, b = kctl(cl, *args), kubectl(cl, *args)
    assert a[0] == b[0] == 1 and a[1] == b[1] == "", (a, b)
    assert pods(a[2]) == pods(b[2]) and "pod agent-N does not have a host" in pods(a[2]), (a, b)
    out, err = ok(kctl(cl, "logs", "agent-0", "-n", "more"), "", None, rc=1)
    assert err.startswith("Error from server (BadRequest): "), err


def run_both(cl, p, args):
    """The same command through the proxy with kubectl, then kctl: (result, log request paths) of each."""
    b = kubectl(cl, *args, kc=p.kubeconfig)
    kb = p.take()
    a = kctl(cl, *args, kc=p.kubeconfig)
    ka = p.take()
    return a, ka, b, kb


def t_logs_requests(cl):
    """Through the proxy (fake logs): the same output and the same log requests (query parameters) as kubectl.
    kubectl walks several pods in map order, so for those the lines and requests are compared as sets."""
    logs_setup(cl)
    p = proxy(cl)
    for args in (["logs", "agent-0"], ["logs", "agent-0", "--prefix"], ["logs", "multi"],
                 ["logs", "multi", "-c", "b", "--timestamps"],
                 ["logs", "pinit"], ["logs", "agent-0", "--since-time", "2024-01-01T00:00:00.5+02:00"],
                 ["logs", "agent-0", "--since", "1500ms", "-p"], ["logs", "agent-0", "--limit-bytes", "100", "--tail=3"],
                 ["logs", "agent-0", "--since", "2m"], ["logs", "-l", "app=multi"]):
        a, ka, b, kb = run_both(cl, p, args)
        assert a == b, ("logs %s: kctl %r, kubectl %r" % (args, a, b))
        assert ka == kb, ("logs %s requests: kctl %r, kubectl %r" % (args, ka, kb))
    # kubectl keeps the requests of --all-containers in a Go map too: containers in random order
    for args in (["logs", "multi", "--all-containers", "--prefix"],
                 ["logs", "-l", "app=agent"], ["logs", "-l", "app=agent", "--prefix", "--all-containers"],
                 ["logs", "-l", "app=agent", "-f", "--prefix"], ["logs", "-l", "app=multi", "--tail", "3", "-f"]):
        a, ka, b, kb = run_both(cl, p, args)
        assert a[0] == b[0] and a[2] == b[2], (args, a, b)
        assert sorted(ka) == sorted(kb) and len(ka) >= 1, (args, ka, kb)
        # the pods come in kubectl's map order, each log's last line without a newline runs into the next log's
        # first; -f writes whole lines (a last line without its newline gets one) and interleaves them
        split = (lambda t: sorted(x for x in t.replace("no newline", "no newline\n").split("\n") if x))
        assert split(a[1]) == split(b[1]), (args, a[1], b[1])
    ok(kctl(cl, "logs", "-l", "app=agent", "--prefix", kc=p.kubeconfig))
    assert all("tailLines=10" in path for path in p.take()), "a selector defaults to --tail 10"


# ------------------------------------------------------------------------------------------------ attach

def t_attach(cl):
    import exec_test
    env = exec_test.setup(cl)
    k = env["kubelet"]
    s, _ = cl.req("POST", "/api/v1/namespaces/default/pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ptty"},
        "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "busybox", "tty": True, "stdin": True}]}})
    assert s == 201
    s, _ = cl.req("POST", "/api/v1/namespaces/default/pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pinit2"},
        "spec": {"nodeName": "n1", "initContainers": [{"name": "i", "image": "busybox"}],
                 "containers": [{"name": "c", "image": "busybox"}]}})
    assert s == 201
    for args in (["attach", "-i", "p1"], ["attach", "-i", "pmulti"], ["attach", "-i", "pmulti", "-c", "b"],
                 ["attach", "-i", "pann"], ["attach", "-i", "pinit2"], ["attach", "-i", "-q", "p1"],
                 ["attach", "-i", "-t", "p1"], ["attach", "-i", "ptty"], ["attach", "-i", "pod/p1"],
                 ["attach", "-i", "pod", "p1"], ["attach", "-it", "-q", "p1"],
                 ["attach", "-i", "p1", "-c", "nope"], ["attach", "-i", "nosuchpod"], ["attach"],
                 ["attach", "-i", "p1", "extra"], ["attach", "-i", "deploy/nope"], ["attach", "a", "b", "c"],
                 ["attach", "-i", "p0"], ["attach", "-i", "pghost"]):
        before = len(k.requests)
        code, out, err = same(cl, *args, stdin="typed in\n")
        # the kubelet saw the same attach request from both
        got = [r[0] for r in k.requests[before:]]
        assert len(got) % 2 == 0 and got[:len(got) // 2] == got[len(got) // 2:], (args, got)
    ok(kctl(cl, "attach", "-i", "-q", "p1", stdin="hello\n"), "hello\n", "")
    assert k.requests[-1][0] == "/attach/default/p1/c?error=1&input=1&output=1", k.requests[-1][0]
    # exec shares the session code and kubectl's container defaulting (init containers count)
    for args in (["exec", "pinit2", "--", "echo", "hi"], ["exec", "-it", "p1", "--", "echo", "hi"],
                 ["exec", "-it", "-q", "p1", "--", "echo", "hi"]):
        same(cl, *args, stdin="")


# ------------------------------------------------------------------------------------------------ create

def norm_obj(o):
    """kubectl prints typed objects with "creationTimestamp": null; kctl leaves such nulls out."""
    if isinstance(o, dict):
        return {k: norm_obj(v) for k, v in o.items() if not (k == "creationTimestamp" and v is None)}
    if isinstance(o, list):
        return [norm_obj(x) for x in o]
    return o


def same_object(cl, *args):
    a = kctl(cl, *args)
    b = kubectl(cl, *args)
    assert a[0] == b[0] == 0 and a[2] == b[2], (args, a, b)
    ga, gb = norm_obj(json.loads(a[1])), norm_obj(json.loads(b[1]))
    assert ga == gb, "create %s:\n--- kctl\n%s\n--- kubectl\n%s" % (args, json.dumps(ga, indent=1, sort_keys=True),
                                                                   json.dumps(gb, indent=1, sort_keys=True))
    return ga


def t_create_generators(cl):
    setup_more(cl)
    key = os.path.join(cl.tmp, "tls.key")
    crt = os.path.join(cl.tmp, "tls.crt")
    other = os.path.join(cl.tmp, "other.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt, "-days",
                    "1", "-subj", "/CN=x"], check=True, capture_output=True)
    subprocess.run(["openssl", "genrsa", "-out", other, "2048"], check=True, capture_output=True)
    dry = ["--dry-run=client", "-o", "json"]
    for args in (["create", "secret", "tls", "t1", "--cert", crt, "--key", key],
                 ["create", "secret", "tls", "t1", "--cert", crt, "--key", key, "-n", "more"],
                 ["create", "secret", "docker-registry", "d1", "--docker-server=reg.example.com", "--docker-username=u",
                  '--docker-password=p<&>"s', "--docker-email=u@example.com"],
                 ["create", "secret", "docker-registry", "d2", "--docker-username=u", "--docker-password=p"],
                 ["create", "job", "j1", "--from=cronjob/nightly", "-n", "more"],
                 ["create", "job", "j1", "--from=cj/nightly"] + ["-n", "more"],
                 ["create", "service", "clusterip", "s1", "--tcp=5678:8080"],
                 ["create", "service", "nodeport", "s2", "--tcp=80:8080", "--node-port=30080"],
                 ["create", "service", "loadbalancer", "s3", "--tcp=80,443:8443", "--tcp", "9000:http"],
                 ["create", "service", "clusterip", "s4", "--clusterip=None"], ["create", "svc", "clusterip", "s5", "--tcp=0"],
                 ["create", "serviceaccount", "sa1"], ["create", "sa", "sa1", "-n", "more"],
                 ["create", "cronjob", "cj1", "--image=busybox", "--schedule=*/1 * * * *", "--restart=Never"],
                 ["create", "ingress", "i1", "--rule=foo.com/bar=svc1:8080,tls=my-cert"],
                 ["create", "ingress", "i2", "--class=default", "--rule=foo.com/=svc:port",
                  "--rule=foo.com/admin/=svcadmin:portadmin", "--annotation", "a=1", "--annotation", "b=x=y"],
                 ["create", "ingress", "i3", "--rule=foo.com/path*=svc:8080", "--rule=bar.com/admin*=svc2:http",
                  "--rule=/x=s:1,tls", "--rule=baz.com/*=s:1,tls=secret1", "--rule=qux.com/=s:2,tls=secret1"],
                 ["create", "ingress", "i4", "--default-backend=defaultsvc:http"]):
        same_object(cl, *(args + dry))
    same_object(cl, "create", "cronjob", "cj2", "--image=busybox", "--schedule=@daily", *dry, "--", "date", "-u")
    job = same_object(cl, "create", "job", "j2", "--from=cronjob/nightly", "-n", "more", *dry)
    assert job["metadata"]["annotations"] == {"cronjob.kubernetes.io/instantiate": "manual", "why": "report"}, job
    d1 = same_object(cl, "create", "secret", "docker-registry", "d3", "--docker-username=u", "--docker-password=p",
                     *dry)
    assert base64.b64decode(d1["data"][".dockerconfigjson"]) == (
        b'{"auths":{"https://index.docker.io/v1/":{"username":"u","password":"p","auth":"dTpw"}}}'), d1
    for args in (["create", "secret", "tls", "t1"], ["create", "secret", "tls", "t1", "--cert", "nope", "--key", key],
                 ["create", "secret", "tls", "t1", "--cert", key, "--key", crt],
                 ["create", "secret", "tls", "t1", "--cert", crt, "--key", crt],
                 ["create", "secret", "tls", "t1", "--cert", crt, "--key", other],
                 ["create", "secret", "docker-registry", "d1"], ["create", "job", "j1"],
                 ["create", "job", "j1", "--from=cronjob/nope", "-n", "more"],
                 ["create", "job", "j1", "--from=deploy/web", "-n", "more"], ["create", "job", "j1", "--from=nightly"],
                 ["create", "job", "j1", "--from=cronjob/nightly", "--image=x"], ["create", "service", "clusterip", "s1"],
                 ["create", "service", "clusterip", "s1", "--tcp=abc"], ["create", "service", "clusterip", "s1",
                                                                         "--tcp=80:70000"],
                 ["create", "service", "clusterip", "s1", "--tcp=80:a_b"], ["create", "cronjob", "c1"],
                 ["create", "cronjob", "c1", "--image=x"], ["create", "ingress", "i1"],
                 ["create", "ingress", "i1", "--rule=bad"], ["create", "ingress", "i1", "--default-backend=x"],
                 ["create", "ingress", "i1", "--rule=/x=s:p", "--annotation=a"], ["create", "serviceaccount"],
                 ["create", "sa", "sa1", "sa2"]):
        same(cl, *(args + ["--dry-run=client", "-o", "json"]))
    # real creates: kctl's objects are what the server stores
    for args, line, path in (
            (["create", "secret", "tls", "tls1", "--cert", crt, "--key", key], "secret/tls1 created\n",
             "/api/v1/namespaces/more/secrets/tls1"),
            (["create", "secret", "docker-registry", "reg1", "--docker-username=u", "--docker-password=p"],
             "secret/reg1 created\n", "/api/v1/namespaces/more/secrets/reg1"),
            (["create", "job", "manual", "--from=cronjob/nightly"], "job.batch/manual created\n",
             "/apis/batch/v1/namespaces/more/jobs/manual"),
            (["create", "service", "nodeport", "np1", "--tcp=80:8080"], "service/np1 created\n",
             "/api/v1/namespaces/more/services/np1"),
            (["create", "sa", "robot"], "serviceaccount/robot created\n", "/api/v1/namespaces/more/serviceaccounts/robot"),
            (["create", "cronjob", "every", "--image=busybox", "--schedule=@hourly"], "cronjob.batch/every created\n",
             "/apis/batch/v1/namespaces/more/cronjobs/every"),
            (["create", "ingress", "ing1", "--rule=a.com/=svc:80"], "ingress.networking.k8s.io/ing1 created\n",
             "/apis/networking.k8s.io/v1/namespaces/more/ingresses/ing1")):
        ok(kctl(cl, *(args + ["-n", "more"])), line, "")
        s, o = cl.req("GET", path)
        assert s == 200, (path, s, o)
    s, o = cl.req("GET", "/apis/batch/v1/namespaces/more/jobs/manual")
    assert o["metadata"]["ownerReferences"][0]["kind"] == "CronJob", o
    s, o = cl.req("GET", "/api/v1/namespaces/more/secrets/tls1")
    assert o["type"] == "kubernetes.io/tls" and base64.b64decode(o["data"]["tls.crt"]) == open(crt, "rb").read(), o


# ------------------------------------------------------------------------------------------------ rollout

def t_rollout_pause_resume(cl):
    setup_more(cl)
    ok(kctl(cl, "rollout", "pause", "deploy/web", "-n", "more"), "deployment.apps/web paused\n", "")
    s, d = cl.req("GET", "/apis/apps/v1/namespaces/more/deployments/web")
    assert d["spec"].get("paused") is True, d["spec"]
    same(cl, "rollout", "pause", "deploy/web", "-n", "more")  # already paused: an error for both
    ok(kubectl(cl, "rollout", "resume", "deploy/web", "-n", "more"), "deployment.apps/web resumed\n", "")
    same(cl, "rollout", "resume", "deploy/web", "-n", "more")  # not paused
    ok(kubectl(cl, "rollout", "pause", "deploy/web", "-n", "more"))
    ok(kctl(cl, "rollout", "resume", "deployment", "web", "-n", "more", "-o", "name"), "deployment.apps/web\n", "")
    s, d = cl.req("GET", "/apis/apps/v1/namespaces/more/deployments/web")
    assert not d["spec"].get("paused"), d["spec"]
    for args in (["rollout", "pause", "ds/agent"], ["rollout", "resume", "sts/db"], ["rollout", "pause", "deploy/nope"],
                 ["rollout", "pause"]):
        same(cl, *(args + ["-n", "more"]))


def revision(name, owner, rev, image, change_cause=None):
    tmpl = {"metadata": {"labels": {"app": "agent"}}, "spec": {"containers": [{"name": "a", "image": image}]},
            "$patch": "replace"}
    meta = {"name": name, "namespace": "more", "labels": {"app": "agent"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner["kind"], "name": owner["metadata"]["name"],
                                 "uid": owner["metadata"]["uid"], "controller": True}]}
    if change_cause:
        meta["annotations"] = {"kubernetes.io/change-cause": change_cause}
    return {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": meta, "revision": rev,
            "data": {"spec": {"template": tmpl}}}


def t_rollout_revisions(cl):
    """k8c serves no ControllerRevisions: kubectl's error. Through the proxy serving some: the history table and
    undo as kubectl does them."""
    setup_more(cl)
    for args in (["rollout", "history", "ds/agent"], ["rollout", "history", "sts/db"], ["rollout", "undo", "ds/agent"],
                 ["rollout", "undo", "sts/db", "--to-revision=2"], ["rollout", "history", "ds/agent", "--revision=1"]):
        same(cl, *(args + ["-n", "more"]))
    p = proxy(cl)
    s, ds = cl.req("GET", "/apis/apps/v1/namespaces/more/daemonsets/agent")
    ds["kind"] = "DaemonSet"
    p.revisions = {"more": [revision("agent-2", ds, 2, "busybox:2", "kubectl set image"),
                            revision("agent-1", ds, 1, "busybox:1"),
                            revision("other-9", {"kind": "DaemonSet", "metadata": {"name": "x", "uid": "u-x"}}, 9, "x")]}
    try:
        a = kctl(cl, "rollout", "history", "ds/agent", kc=p.kubeconfig)
        b = kubectl(cl, "rollout", "history", "ds/agent", kc=p.kubeconfig)
        assert a == b, (a, b)
        ok(a, "daemonset.apps/agent \nREVISION  CHANGE-CAUSE\n1         <none>\n2         kubectl set image\n\n", "")
        same(cl, "rollout", "undo", "ds/agent", "--to-revision=7", kc=p.kubeconfig)
        same(cl, "rollout", "history", "ds/agent", "--revision=7", kc=p.kubeconfig)
        ok(kctl(cl, "rollout", "undo", "ds/agent", kc=p.kubeconfig), "daemonset.apps/agent rolled back\n", "")
        s, live = cl.req("GET", "/apis/apps/v1/namespaces/more/daemonsets/agent")
        assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:1", live["spec"]["template"]
        ok(kubectl(cl, "rollout", "undo", "ds/agent", "--to-revision=2", kc=p.kubeconfig),
           "daemonset.apps/agent rolled back\n", "")
        s, live = cl.req("GET", "/apis/apps/v1/namespaces/more/daemonsets/agent")
        assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:2", live["spec"]["template"]
        out, _ = ok(kctl(cl, "rollout", "undo", "ds/agent", "--to-revision=1", "--dry-run=server", kc=p.kubeconfig))
        assert out == "daemonset.apps/agent rolled back (server dry run)\n", out
        p.revisions = {"more": [revision("agent-1", ds, 1, "busybox:1")]}
        same(cl, "rollout", "undo", "ds/agent", kc=p.kubeconfig)  # no last revision to roll back to
    finally:
        p.revisions = None


# ------------------------------------------------------------------------------------------------ watch events

PROBES = [0]


def watch_both(cl, args, change, done_marker):
    """Runs kctl and kubectl with args, makes sure both watches see a probe object, runs change(), waits until both
    outputs hold done_marker; returns (kctl output, kubectl output)."""
    procs = []
    outs = []
    try:
        for argv in ([kg.kctl_bin(cl), "--kubeconfig", kubeconfig(cl)],
                     [KUBECTL, "--kubeconfig", kubeconfig(cl), "--cache-dir", tempfile.mkdtemp(dir=cl.tmp)]):
            p = subprocess.Popen(argv + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            k8ctest.children.append(p)
            procs.append(p)
            outs.append("")
        # a probe per try until both report one: the watches are established
        deadline = time.monotonic() + 30
        while not all("probe-" in o for o in outs):
            assert time.monotonic() < deadline, "no probe seen by both watches:\n%s\n%s" % tuple(outs)
            PROBES[0] += 1
            s, o = cl.req("POST", "/api/v1/namespaces/wev/configmaps", {
                "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "probe-%03d" % PROBES[0]}})
            assert s == 201, o
            for i, p in enumerate(procs):
                try:
                    outs[i] += kg.read_until(p, "probe-", timeout=0.5)
                except AssertionError:
                    outs[i] += getattr(p, "pending", "")
                    p.pending = ""
        change()
        for i, p in enumerate(procs):
            if done_marker not in outs[i]:
                outs[i] += kg.read_until(p, done_marker, timeout=20)
            if "\n" not in outs[i][outs[i].rindex(done_marker):]:  # the marker's line written whole
                outs[i] += kg.read_until(p, "\n", timeout=20)
    finally:
        for p in procs:
            p.kill()
            p.wait()
    return outs


def t_output_watch_events(cl):
    ok(kubectl(cl, "create", "namespace", "wev"))
    ok(kubectl(cl, "create", "cm", "before", "-n", "wev"))
    ok(kctl(cl, "get", "cm", "-n", "wev", "--output-watch-events"), "",
       "error: --output-watch-events option can only be used with --watch or --watch-only\n", rc=1)
    seq = [0]

    def change():
        seq[0] += 1
        name = "target-%d" % seq[0]
        s, _ = cl.req("POST", "/api/v1/namespaces/wev/configmaps", {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"x": "<&>"}})
        assert s == 201
        s, _ = cl.req("PATCH", "/api/v1/namespaces/wev/configmaps/" + name, {"metadata": {"labels": {"z": "1"}}},
                      ctype="application/merge-patch+json")
        assert s == 200
        s, _ = cl.req("DELETE", "/api/v1/namespaces/wev/configmaps/" + name)
        assert s == 200

    def target_lines(text, name):
        """The header and the target's rows, blanks collapsed: the widths depend on which probes each list saw."""
        return [" ".join(line.split()) for line in text.splitlines() if name in line or line.startswith("EVENT")]

    for extra, marker in (([], "DELETED"), (["-o", "name"], None), (["-o", "json"], '"type":"DELETED"'),
                          (["-A"], "DELETED")):
        name = "target-%d" % (seq[0] + 1)
        a, b = watch_both(cl, ["get", "cm", "-n", "wev", "-w", "--output-watch-events"] + extra, change,
                          marker if marker else "configmap/" + name + "\nconfigmap/" + name + "\nconfigmap/" + name)
        if extra == ["-o", "json"]:
            ev = lambda t: [(e["type"], e["object"]["metadata"]["name"], e["object"]["metadata"]["resourceVersion"],
                             e["object"]["data"]) for e in map(json.loads, t.splitlines()) if name in e["object"]
                            ["metadata"]["name"]]
            assert ev(a) == ev(b) and len(ev(a)) == 3, (a, b)
            assert all(line.startswith('{"type":') for line in a.splitlines()), a
            assert "\\u003c\\u0026\\u003e" in a, "Go's escaping, as kubectl:\n" + a
        else:
            assert kg.norm("\n".join(target_lines(a, name))) == kg.norm("\n".join(target_lines(b, name))), (a, b)
        if not extra:
            assert "before" in a and a.startswith("EVENT      NAME"), a
            assert [line.split()[0] for line in target_lines(a, name)[1:]] == ["ADDED", "MODIFIED", "DELETED"], a


# ------------------------------------------------------------------------------------------------ help

def t_help(cl):
    for words in (["attach"], ["rollout", "pause"], ["rollout", "resume"], ["create", "secret", "tls"],
                  ["create", "secret", "docker-registry"], ["create", "service", "nodeport"], ["create", "cronjob"],
                  ["create", "ingress"], ["create", "serviceaccount"], ["create", "service"]):
        out, _ = ok(kctl(cl, *(words + ["--help"])))
        assert "Usage:" in out, (words, out)
    out, _ = ok(kctl(cl, "--help"))
    assert "attach" in out and "rollout pause" in out, out


TESTS = [t_describe_kinds_side_by_side, t_describe_files_and_selectors, t_can_i, t_logs_server_answers,
         t_logs_requests, t_attach, t_create_generators, t_rollout_pause_resume, t_rollout_revisions,
         t_output_watch_events, t_help]

if __name__ == "__main__":
    if not KUBECTL:
        print("kubectl not found: the side-by-side tests need it")
        sys.exit(77)
    # exec_test.py's stand-in kubelet listens on 127.0.0.1 in plain HTTP: k8c needs --kubelet-insecure-loopback
    argv = sys.argv[1:]
    i = argv.index("--k8c")
    real_k8c = os.path.abspath(argv[i + 1])
    wrapdir = tempfile.mkdtemp(prefix="k8c-kctl-more-")
    wrapper = os.path.join(wrapdir, "k8c")
    with open(wrapper, "w") as f:
        f.write('#!/bin/sh\nif [ "$1" = server ]; then exec "%s" "$@" --kubelet-insecure-loopback; fi\n'
                'exec "%s" "$@"\n' % (real_k8c, real_k8c))
    os.chmod(wrapper, 0o755)
    sys.argv[i + 2] = wrapper
    kg.KCTL_OVERRIDE.append(os.path.join(os.path.dirname(os.path.dirname(real_k8c)), "kctl", "kctl"))
    try:
        rc = k8ctest.run_tests(TESTS, __doc__, prefix="k8c-kctl-more-")
    finally:
        for p in PROXY:
            p.stop()
        import exec_test
        for k in ("kubelet", "tls", "foreign"):
            if k in exec_test.ENV:
                exec_test.ENV[k].stop()
        if "down_sock" in exec_test.ENV:
            exec_test.ENV["down_sock"].close()
        shutil.rmtree(wrapdir, ignore_errors=True)
    sys.exit(rc)
