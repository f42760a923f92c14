#!/usr/bin/python3
"""gen-store-dict.py - make a dictionary of the API server's stored-object codec (apiserver/codec.c): the texts of
typical objects as `k8c server` stores them, created the way users create them (the machine's kubectl), written
as apiserver/store_dict_<N>_gen.c.

Usage:
    /usr/bin/python3 scripts/gen-store-dict.py --build BUILD_DIR --version N [--kubectl BIN]

Why a dictionary: a stored object is compressed with LZ4 (a few microseconds for a 5 KB pod); alone that halves a
pod's text, and with a dictionary of objects of the same kinds (their member names, managedFields, defaults) most
of what is left matches it. What the dictionary holds: what a node's kubelet writes most often (its Node with a
status, its Lease, an Event; from the manifests below, sent with `kubectl create` and `kubectl patch
--subresource=status`), one namespace, configmap, secret, service account, service, job and deployment made by
`kubectl create` and one pod of `kubectl run`, each as GET returns it with its managedFields (LZ4 uses a
dictionary's last 64 KiB, and finds the later of two equal strings, so the pods come last).

A dictionary can never change once a release has stored values with it: every value names its dictionary's
version (codec.c), and decoding it needs exactly those bytes. The objects carry uids and timestamps, so a run
gives different bytes each time: this script makes a new version (a new file, added to codec.c's table), it never
rewrites one, and refuses to overwrite an existing file. Standard library only.
"""

import argparse
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bench"))
import apiserver_bench as bench  # noqa: E402  (starts and stops `k8c server`)
NS = "dev"
# What a node's kubelet writes, most often of all (status, lease, events), as it sends them.
NODE = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1", "labels": {
    "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": "node-1", "kubernetes.io/os": "linux"}}}
NODE_STATUS = {"status": {
    "conditions": [{"type": t, "status": v, "lastHeartbeatTime": "2026-12-04T10:00:00Z",
                    "lastTransitionTime": "2026-12-04T09:00:00Z", "reason": r, "message": m}
                   for t, v, r, m in [
                       ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                       ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                       ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                       ("Ready", "True", "KubeletReady", "kubelet is posting ready status")]],
    "addresses": [{"type": "InternalIP", "address": "192.168.1.11"}, {"type": "Hostname", "address": "node-1"}],
    "capacity": {"cpu": "4", "ephemeral-storage": "61255492Ki", "memory": "16310208Ki", "pods": "110"},
    "allocatable": {"cpu": "4", "ephemeral-storage": "56453061334", "memory": "16207808Ki", "pods": "110"},
    "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
    "nodeInfo": {"machineID": "3f1c2b7e9d8a4c5b8e7f6a5b4c3d2e1f", "systemUUID": "3f1c2b7e-9d8a-4c5b-8e7f-6a5b4c3d2e1f",
                 "bootID": "0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f", "kernelVersion": "6.1.0-27-amd64",
                 "osImage": "Debian GNU/Linux 12 (bookworm)", "containerRuntimeVersion": "runc://1.1.5",
                 "kubeletVersion": "v1.33.0", "kubeProxyVersion": "v1.33.0", "operatingSystem": "linux",
                 "architecture": "amd64"}}}
LEASE = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": {
    "name": "node-1", "namespace": "kube-node-lease", "ownerReferences": [
        {"apiVersion": "v1", "kind": "Node", "name": "node-1", "uid": "9b2f4c1e-3d5a-4e6b-8c7d-1a2b3c4d5e6f"}]},
    "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40, "renewTime": "2026-12-04T10:00:00.123456Z"}}
EVENT = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "web-5d9c8f7b6-x2x7q.17e0a1b2c3d4e5f6",
    "namespace": "dev"}, "involvedObject": {"apiVersion": "v1", "kind": "Pod", "name": "web-5d9c8f7b6-x2x7q",
    "namespace": "dev", "uid": "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9", "resourceVersion": "1234",
    "fieldPath": "spec.containers{nginx}"}, "reason": "Pulled",
    "message": "Container image \"nginx:1.25\" already present on machine", "source": {"component": "kubelet",
    "host": "node-1"}, "firstTimestamp": "2026-12-04T10:00:00Z", "lastTimestamp": "2026-12-04T10:00:00Z",
    "count": 1, "type": "Normal", "reportingComponent": "kubelet", "reportingInstance": "node-1"}
KUBECTL = [
    ["create", "-f", "NODE"],
    ["patch", "node", "node-1", "--subresource=status", "--type=merge", "-p", json.dumps(NODE_STATUS)],
    ["create", "-f", "LEASE"],
    ["create", "namespace", NS],
    ["create", "-f", "EVENT"],
    ["create", "configmap", "app-config", "--from-literal=LOG_LEVEL=info", "--from-literal=PORT=8080", "-n", NS],
    ["create", "secret", "generic", "app-secret", "--from-literal=password=s3cret", "-n", NS],
    ["create", "serviceaccount", "builder", "-n", NS],
    ["create", "service", "clusterip", "web", "--tcp=80:8080", "-n", NS],
    ["create", "job", "migrate", "--image=busybox:1.36", "-n", NS, "--", "sh", "-c", "echo done"],
    ["create", "deployment", "web", "--image=nginx:1.25", "--replicas=2", "--port=8080", "-n", NS],
    ["run", "nginx", "--image=nginx:1.25", "--labels=app=nginx", "--port=80", "-n", NS],
]
# The objects read back, in the dictionary's order: least common first
READS = [
    "/api/v1/nodes/node-1",
    "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-1",
    "/api/v1/namespaces/%s/events/%s" % (NS, EVENT["metadata"]["name"]),
    "/api/v1/namespaces/" + NS,
    "/api/v1/namespaces/%s/configmaps/app-config" % NS,
    "/api/v1/namespaces/%s/secrets/app-secret" % NS,
    "/api/v1/namespaces/%s/serviceaccounts/builder" % NS,
    "/api/v1/namespaces/%s/services/web" % NS,
    "/apis/batch/v1/namespaces/%s/jobs/migrate" % NS,
    "/apis/apps/v1/namespaces/%s/deployments/web" % NS,
    "/api/v1/namespaces/%s/pods/nginx" % NS,
]
MAX_BYTES = 65536


def get(url, pki, path):
    ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
    ctx.check_hostname = False
    ctx.load_cert_chain(os.path.join(pki, "admin.crt"), os.path.join(pki, "admin.key"))
    host, port = url[len("https://"):].split(":")
    c = http.client.HTTPSConnection(host, int(port), timeout=10, context=ctx)
    c.request("GET", path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--version", type=int, required=True)
    ap.add_argument("--kubectl", default="kubectl")
    args = ap.parse_args()
    out = os.path.join(REPO, "apiserver", "store_dict_%d_gen.c" % args.version)
    if os.path.exists(out):
        sys.exit("%s exists: a dictionary never changes; make a new version" % out)
    tmp = tempfile.mkdtemp(prefix="k8c-dict-")
    try:
        _, url = bench.start_server(os.path.join(args.build, "cmd", "k8c"), os.path.join(tmp, "server"))
        pki = os.path.join(tmp, "server", "pki")
        env = dict(os.environ, KUBECONFIG=os.path.join(tmp, "server", "admin.kubeconfig"))
        manifests = {"NODE": NODE, "LEASE": LEASE, "EVENT": EVENT}
        for a in KUBECTL:
            if a[:2] == ["create", "-f"]:
                path = os.path.join(tmp, a[2] + ".json")
                with open(path, "w") as f:
                    json.dump(manifests[a[2]], f)
                a = ["create", "-f", path]
            subprocess.run([args.kubectl] + a, env=env, check=True, stdout=subprocess.DEVNULL)
        texts = []
        for path in READS:
            status, body = get(url, pki, path)
            if status != 200:
                sys.exit("GET %s: %d" % (path, status))
            texts.append(json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False))
    finally:
        bench.stop_children()
        shutil.rmtree(tmp, ignore_errors=True)
    data = "\n".join(texts).encode()
    if len(data) > MAX_BYTES:
        data = data[-MAX_BYTES:]
    lines = []
    for i in range(0, len(data), 96):
        chunk = data[i:i + 96]
        lines.append('    "' + "".join("\\" + c if c in '"\\?' else c if 32 <= b < 127 else "\\%03o" % b
                                         for b, c in zip(chunk, chunk.decode("latin-1"))) + '"')
    with open(out, "w") as f:
        f.write("/* store_dict_%d_gen.c - dictionary %d of the stored-object codec (apiserver/codec.c), made by\n"
                " * scripts/gen-store-dict.py: typical objects as k8c stores them. Generated, and never changed:\n"
                " * values stored with it decode only with exactly these bytes. */\n" % (args.version, args.version))
        f.write('#include "api_codec.h"\n\n')
        f.write("const size_t api_store_dict_%d_len = %d;\n" % (args.version, len(data)))
        f.write("const char api_store_dict_%d[] =\n%s;\n" % (args.version, "\n".join(lines)))
    print("wrote %s (%d bytes, %d objects)" % (out, len(data), len(texts)))


if __name__ == "__main__":
    main()
