#!/usr/bin/python3
"""capture.py - record the protobuf request bodies real kubectl sends, as test data for test_k8sproto.c.

Usage: /usr/bin/python3 tests/unit/data/proto/capture.py [--kubectl BIN] [--out DIR]

Starts an HTTPS server on 127.0.0.1 (a throw-away self-signed certificate made with the openssl CLI), points
kubectl at it with a temporary kubeconfig, and runs each `kubectl create ...` of CASES. The server answers
every request with a 403 Status, so kubectl stops after its one POST; the POST's body is written to
<name>.pb. The same command with `--dry-run=client -o json` (no server involved) prints the object kubectl
builds, which is written to <name>.json: what decoding <name>.pb must give, up to the zero values that a JSON
body leaves out and the protobuf body carries (create token and auth whoami have no client dry run, so no
.json). `kubectl create role` is not captured: it asks discovery first, which this server does not serve.
"""
import argparse
import http.server
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))

CASES = [
    ("namespace", ["create", "namespace", "ns1"]),
    ("configmap", ["create", "configmap", "cm1", "--from-literal=a=b", "--from-literal=empty=",
                   "--from-literal=utf8=h\u00e9llo"]),
    ("secret", ["create", "secret", "generic", "s1", "--from-literal=user=admin", "--from-literal=pw=p@ss",
                "--type=Opaque"]),
    ("service", ["create", "service", "clusterip", "svc1", "--tcp=80:8080", "--tcp=443:8443"]),
    ("deployment", ["create", "deployment", "web", "--image=nginx:1.27", "--replicas=0", "--port=80"]),
    ("job", ["create", "job", "j1", "--image=busybox", "--", "echo", "hi"]),
    ("cronjob", ["create", "cronjob", "cj1", "--image=busybox", "--schedule=*/5 * * * *", "--", "date"]),
    ("ingress", ["create", "ingress", "ing1", "--rule=foo.example.com/bar*=svc1:8080",
                 "--rule=x.example.com/=svc2:http,tls=sec1"]),
    ("serviceaccount", ["create", "serviceaccount", "sa1"]),
    ("quota", ["create", "quota", "q1", "--hard=cpu=1,memory=1Gi,pods=10"]),
    ("pdb", ["create", "poddisruptionbudget", "pdb1", "--selector=app=web", "--min-available=50%"]),
    ("priorityclass", ["create", "priorityclass", "pc1", "--value=1000"]),
    ("token", ["create", "token", "sa1", "--audience=api", "--duration=1h"]),
    ("whoami", ["auth", "whoami"]),
]


class Handler(http.server.BaseHTTPRequestHandler):
    bodies = []

    def do_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if self.command == "POST":
            Handler.bodies.append((self.path, self.headers.get("Content-Type"), body))
        msg = json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden",
                          "message": "capture server", "code": 403}).encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(msg)))
        self.end_headers()
        self.wfile.write(msg)

    do_GET = do_POST = do_PUT = do_any

    def log_message(self, *a):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kubectl", default="/usr/lib/google-cloud-sdk/bin/kubectl.1.33")
    ap.add_argument("--out", default=HERE)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        key, crt = os.path.join(tmp, "k.pem"), os.path.join(tmp, "c.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                        "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        t = threading.Thread(target=srv.serve_forever, daemon=True)
        t.start()
        kc = os.path.join(tmp, "kubeconfig")
        with open(kc, "w") as fh:
            fh.write("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
                     "    server: https://127.0.0.1:%d\n    insecure-skip-tls-verify: true\n"
                     "users:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: x\n  context:\n"
                     "    cluster: c\n    user: u\n    namespace: default\ncurrent-context: x\n"
                     % srv.server_address[1])
        failed = 0
        try:
            for name, argv in CASES:
                base = [args.kubectl, "--kubeconfig", kc, "--cache-dir", os.path.join(tmp, "cache")]
                Handler.bodies = []
                subprocess.run(base + argv, capture_output=True, timeout=60)
                posts = [b for b in Handler.bodies if b[1] and "protobuf" in b[1]]
                if len(posts) != 1:
                    print("%s: expected one protobuf POST, got %r" % (name, Handler.bodies), file=sys.stderr)
                    failed = 1
                    continue
                path, ctype, body = posts[0]
                with open(os.path.join(args.out, name + ".pb"), "wb") as fh:
                    fh.write(body)
                print("%-15s POST %s (%s, %d bytes)" % (name, path, ctype, len(body)))
                if argv[0] != "create" or argv[1] == "token":
                    continue  # no --dry-run=client for these
                cli = subprocess.run(base + argv[:3] + ["--dry-run=client", "-o", "json"] + argv[3:],
                                     capture_output=True, timeout=60, check=True)
                obj = json.loads(cli.stdout)
                with open(os.path.join(args.out, name + ".json"), "w") as fh:
                    json.dump(obj, fh, indent=2, sort_keys=True)
                    fh.write("\n")
        finally:
            srv.shutdown()
    return failed


if __name__ == "__main__":
    sys.exit(main())
