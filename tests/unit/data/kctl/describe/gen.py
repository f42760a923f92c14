#!/usr/bin/python3
"""Regenerates the describe goldens of tests/unit/kctl/test_describe_more.c from the real kubectl 1.33 against a
running k8c server: the objects below are applied in a fresh namespace (owned pods get statuses through /status), and
each case records the object as the server returns it (managedFields left out), the related objects the describer
needs (pods, secrets), and what `kubectl describe` printed (TZ=UTC, no events).
Usage: gen.py KUBECONFIG [KUBECTL] (writes cases.json beside this file)."""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
KC = sys.argv[1]
KUBECTL = sys.argv[2] if len(sys.argv) > 2 else "/usr/lib/google-cloud-sdk/bin/kubectl.1.33"
CACHE = tempfile.mkdtemp(prefix="kc-gen-")
NS = "gold-describe"

OBJECTS = """apiVersion: v1
kind: Namespace
metadata: {name: gold-describe}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, labels: {app: agent}, annotations: {note: hello}}
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
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 1, maxUnavailable: 50%}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: pg, image: postgres:16, ports: [{containerPort: 5432}]}]}
  volumeClaimTemplates:
  - metadata: {name: data, labels: {x: "z"}, annotations: {a: "1"}}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}, storageClassName: fast}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  successfulJobsHistoryLimit: 2
  startingDeadlineSeconds: 60
  jobTemplate:
    spec:
      parallelism: 2
      activeDeadlineSeconds: 100
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: c, image: busybox, command: [date]}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
  - type: Resource
    resource: {name: memory, target: {type: AverageValue, averageValue: 500Mi}}
  - type: Pods
    pods: {metric: {name: qps}, target: {type: AverageValue, averageValue: "10"}}
  - type: Object
    object: {metric: {name: hits}, describedObject: {apiVersion: v1, kind: Service, name: front},
             target: {type: Value, value: 2k}}
  - type: External
    external: {metric: {name: queue}, target: {type: AverageValue, averageValue: "30"}}
  - type: ContainerResource
    containerResource: {name: cpu, container: app, target: {type: Utilization, averageUtilization: 70}}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
      policies: [{type: Percent, value: 10, periodSeconds: 60}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: db-status}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: db}
  maxReplicas: 3
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
  - type: Pods
    pods: {metric: {name: 'a"b'}, target: {type: AverageValue, averageValue: 1500m}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: weekly}
spec:
  schedule: "@weekly"
  suspend: true
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      completions: 3
      template:
        metadata: {labels: {a: b}}
        spec:
          restartPolicy: Never
          containers: [{name: x, image: i}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: empty}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: empty}
addressType: IPv6
---
apiVersion: v1
kind: Endpoints
metadata: {name: ext}
subsets:
- addresses: [{ip: 10.0.0.1}, {ip: 10.0.0.2}]
  notReadyAddresses: [{ip: 10.0.0.3}]
  ports: [{name: http, port: 80, protocol: TCP}, {name: https, port: 443}]
- addresses: [{ip: 10.0.1.1}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ext-abc, labels: {kubernetes.io/service-name: ext}}
addressType: IPv4
ports: [{name: http, port: 80, protocol: TCP}, {port: 8080}]
endpoints:
- addresses: [10.0.0.1]
  conditions: {ready: true}
  nodeName: n1
  targetRef: {kind: Pod, name: p1}
- addresses: [10.0.0.2, 10.0.0.9]
  zone: z1
  hostname: h2
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: gold-fast, annotations: {storageclass.kubernetes.io/is-default-class: "true", team: x}}
provisioner: example.com/fast
parameters: {type: ssd, iops: "100"}
reclaimPolicy: Retain
allowVolumeExpansion: true
mountOptions: [debug, noatime]
volumeBindingMode: WaitForFirstConsumer
allowedTopologies:
- matchLabelExpressions:
  - key: topology.kubernetes.io/zone
    values: [z1, z2]
  - key: rack
    values: [r1]
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: gold-plain}
provisioner: example.com/plain
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: gold-nginx, labels: {a: b}}
spec:
  controller: k8s.io/ingress-nginx
  parameters: {apiGroup: k8s.example.com, kind: IngressParameters, name: external-lb}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
type: Opaque
data: {password: cGFzc3dvcmQ=}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: bot}
secrets: [{name: creds}, {name: gone}]
imagePullSecrets: [{name: regcred}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {a.conf: "x=1\\n"}
binaryData: {blob.bin: AAEC}
"""


def kubectl(*args, stdin=None):
    p = subprocess.run([KUBECTL, "--kubeconfig", KC, "--cache-dir", CACHE] + list(args), input=stdin,
                       capture_output=True, text=True, env=dict(os.environ, TZ="UTC"))
    if p.returncode != 0:
        raise SystemExit("kubectl %s: %s" % (" ".join(args), p.stderr))
    return p.stdout


def get(kind, name):
    o = json.loads(kubectl("get", kind, name, "-n", NS, "-o", "json", "--show-managed-fields=false"))
    o["metadata"].pop("managedFields", None)
    return o


def owned_pods(kind, owner, label):
    uid = owner["metadata"]["uid"]
    for i, phase in enumerate(["Running", "Pending", "Succeeded", "Failed"]):
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "%s-%d" % (owner["metadata"]["name"], i),
               "namespace": NS, "labels": {"app": label}, "ownerReferences": [
                   {"apiVersion": "apps/v1", "kind": kind, "name": owner["metadata"]["name"], "uid": uid,
                    "controller": True}]}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
        kubectl("apply", "-f", "-", stdin=json.dumps(pod))
        live = json.loads(kubectl("get", "pod", pod["metadata"]["name"], "-n", NS, "-o", "json"))
        live["status"] = {"phase": phase}
        kubectl("replace", "--subresource=status", "-f", "-", stdin=json.dumps(live))
    items = json.loads(kubectl("get", "pods", "-n", NS, "-l", "app=" + label, "-o", "json"))["items"]
    for p in items:
        p["metadata"].pop("managedFields", None)
    return items


def main():
    kubectl("apply", "-n", NS, "-f", "-", stdin=OBJECTS)
    sa = get("sa", "bot")
    token = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
             "metadata": {"name": "bot-token", "namespace": NS, "annotations": {
                 "kubernetes.io/service-account.name": "bot", "kubernetes.io/service-account.uid": sa["metadata"]["uid"]}},
             "data": {"token": "c2VjcmV0LXRva2Vu"}}
    kubectl("apply", "-f", "-", stdin=json.dumps(token))
    hpa = get("hpa", "db-status")
    hpa["status"] = {"currentReplicas": 2, "desiredReplicas": 3, "currentMetrics": [
        {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 75, "averageValue": "150m"}}},
        {"type": "Pods", "pods": {"metric": {"name": 'a"b'}, "current": {"averageValue": "2"}}}],
        "conditions": [{"type": "AbleToScale", "status": "True", "reason": "Ready", "message": "ok",
                        "lastTransitionTime": "2024-01-01T00:00:00Z"}]}
    kubectl("replace", "--subresource=status", "-f", "-", stdin=json.dumps(hpa))
    cj = get("cj", "weekly")
    cj["status"] = {"lastScheduleTime": "2024-01-01T03:00:00Z", "active": [
        {"kind": "Job", "name": "weekly-1", "namespace": NS}, {"kind": "Job", "name": "weekly-2", "namespace": NS}]}
    kubectl("replace", "--subresource=status", "-f", "-", stdin=json.dumps(cj))
    ds, sts = get("ds", "agent"), get("sts", "db")
    pods = {"agent": owned_pods("DaemonSet", ds, "agent"), "db": owned_pods("StatefulSet", sts, "db")}
    secrets = json.loads(kubectl("get", "secrets", "-n", NS, "-o", "json"))["items"]
    for s in secrets:
        s["metadata"].pop("managedFields", None)
    cases = []
    for kind, group, res, name in (("DaemonSet", "apps", "ds", "agent"), ("StatefulSet", "apps", "sts", "db"),
                                   ("CronJob", "batch", "cj", "nightly"),
                                   ("CronJob", "batch", "cj", "weekly"),
                                   ("HorizontalPodAutoscaler", "autoscaling", "hpa", "web"),
                                   ("HorizontalPodAutoscaler", "autoscaling", "hpa", "db-status"),
                                   ("Endpoints", "", "ep", "ext"), ("Endpoints", "", "ep", "empty"),
                                   ("EndpointSlice", "discovery.k8s.io", "endpointslices", "ext-abc"),
                                   ("EndpointSlice", "discovery.k8s.io", "endpointslices", "empty"),
                                   ("StorageClass", "storage.k8s.io", "sc", "gold-fast"),
                                   ("StorageClass", "storage.k8s.io", "sc", "gold-plain"),
                                   ("IngressClass", "networking.k8s.io", "ingressclass", "gold-nginx"),
                                   ("ServiceAccount", "", "sa", "bot"), ("Secret", "", "secret", "creds"),
                                   ("Secret", "", "secret", "bot-token"), ("ConfigMap", "", "cm", "cfg")):
        obj = get(res, name)
        case = {"kind": kind, "group": group, "object": obj,
                "want": kubectl("describe", res, name, "-n", NS)}
        if name in pods:
            case["pods"] = pods[name]
        if kind == "ServiceAccount":
            case["secrets"] = secrets
        cases.append(case)
    with open(os.path.join(HERE, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1, sort_keys=True)
        f.write("\n")
    kubectl("delete", "namespace", NS, "--wait=false")
    kubectl("delete", "sc", "gold-fast", "gold-plain")
    kubectl("delete", "ingressclass", "gold-nginx")
    print("%d cases" % len(cases))


main()
