#!/usr/bin/python3
"""Regenerates the client-side apply goldens of tests/unit/kctl/test_apply.c from the real kubectl 1.33 against a
running k8c server: for each case the manifests are applied in turn with `kubectl apply -v=9`; every step records
the live object before it, the manifest text, the PATCH body kubectl sent (null: "unchanged" or a create) and the
last-applied annotation kubectl left. Usage: gen.py KUBECONFIG [KUBECTL] (writes cases.json beside this file)."""
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
KC = sys.argv[1]
KUBECTL = sys.argv[2] if len(sys.argv) > 2 else "/usr/lib/google-cloud-sdk/bin/kubectl.1.33"
CACHE = tempfile.mkdtemp(prefix="kc-gen-")

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: gold-web
  labels: {app: web, tier: front}
  annotations:
    html: "<a href=x>&amp;</a>"
    ctl: "\\b\\f\\x01\\t"
    note: "ünïcödé \\u2028 line"
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: nginx:1.25
        ports: [{containerPort: 80}]
        env: [{name: A, value: "1"}, {name: B, value: "2"}]
        resources:
          limits: {cpu: 0.5, memory: 1e3}
      - name: side
        image: busybox
        command: [sh, -c, "sleep 1e9"]
"""

DEPLOY2 = DEPLOY.replace("replicas: 2", "replicas: 3").replace("nginx:1.25", "nginx:1.26").replace(
    '{name: B, value: "2"}', '{name: C, value: "3"}').split("      - name: side")[0]

CM = """apiVersion: v1
kind: ConfigMap
metadata:
  name: gold-cm
data:
  a: "1"
  b: two
"""
CM2 = """apiVersion: v1
kind: ConfigMap
metadata:
  name: gold-cm
  labels: {x: z}
data:
  b: three
  c: "4"
"""

SVC = """apiVersion: v1
kind: Service
metadata:
  name: gold-svc
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: https, port: 443}
"""
SVC2 = SVC.replace("  - {name: https, port: 443}\n", "  - {name: metrics, port: 9090}\n").replace("8080", "8081")

BARE = CM.replace("gold-cm", "gold-bare")

CASES = [
    ("deployment", [DEPLOY, DEPLOY2, DEPLOY2]),
    ("bare", [("create", BARE), BARE, BARE]),
    ("configmap", [CM, CM2, CM2, CM]),
    ("service", [SVC, SVC2]),
]


def kubectl(*args, stdin=None):
    p = subprocess.run([KUBECTL, "--kubeconfig", KC, "--cache-dir", CACHE] + list(args), input=stdin,
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit("kubectl %s: %s" % (" ".join(args), p.stderr))
    return p


def go_unquote(s):
    s = re.sub(r"\\x([0-9a-f]{2})", lambda m: "\\u00" + m.group(1), s)
    return json.loads('"' + s + '"')


def patch_body(log):
    for line in log.splitlines():
        m = re.search(r'helper\.go:\d+\] "Request Body" body="(.*)"$', line)
        if m and m.group(1):
            return go_unquote(m.group(1))
    return None


def live(kind, name):
    p = subprocess.run([KUBECTL, "--kubeconfig", KC, "--cache-dir", CACHE, "get", kind, name, "-o", "json"],
                       capture_output=True, text=True)
    return json.loads(p.stdout) if p.returncode == 0 else None


out = []
for name, steps in CASES:
    kind = {"deployment": "deployment", "configmap": "configmap", "service": "service", "bare": "configmap"}[name]
    obj = "gold-" + {"deployment": "web", "configmap": "cm", "service": "svc", "bare": "bare"}[name]
    subprocess.run([KUBECTL, "--kubeconfig", KC, "--cache-dir", CACHE, "delete", kind, obj, "--ignore-not-found"],
                   capture_output=True)
    for i, text in enumerate(steps):
        if isinstance(text, tuple):  # a plain create: a live object without the annotation
            kubectl(text[0], "-f", "-", stdin=text[1])
            continue
        before = live(kind, obj)
        p = kubectl("apply", "-f", "-", "-v=9", stdin=text)
        after = live(kind, obj)
        out.append({"case": "%s/%d" % (name, i), "manifest": text, "live": before,
                    "output": p.stdout.strip(), "stderr": [l for l in p.stderr.splitlines() if l.startswith("Warning")],
                    "patch": patch_body(p.stderr) if before else None,
                    "annotation": after["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]})
with open(os.path.join(HERE, "cases.json"), "w") as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
    f.write("\n")
print("%d steps" % len(out))
