#!/usr/bin/python3
"""Integration tests of pods/exec and pods/attach over WebSocket: `k8c server --kubelet-insecure-loopback` on
127.0.0.1, a stand-in kubelet in this process (a minimal WebSocket server on 127.0.0.1 that speaks
v5.channel.k8s.io and v4.channel.k8s.io: echoes stdin to stdout, writes stderr, exits with a given code), Node
objects pointing at it (status.addresses InternalIP, daemonEndpoints.kubeletEndpoint.Port) and pods bound to them.
Then the real kubectl 1.33 (exec, -i with stdin, attach, stderr, exit codes, -c errors, a pod without a node, a
kubelet that is down, 8 MiB of output, a TLS kubelet with the API server's client certificate), python3-kubernetes'
stream(), and raw WebSocket frames from Python (the protocol echo in the 101, the v4 fallback, pings, close frames
both ways, a kubelet that dies without a status, a kubelet that refuses, resize, attach, the default-container
annotation, backpressure against a client that reads nothing, a session left open when the server stops).

Usage: exec_test.py --k8c BUILD/cmd/k8c [-k PATTERN]
Every process started is stopped by PID, also on failure; the stand-in kubelets are threads of this process.
"""
import base64
import hashlib
import json
import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from k8ctest import run_tests

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.33"
if not os.path.exists(KUBECTL):
    KUBECTL = "/usr/bin/kubectl"


# ------------------------------------------------------------------------------------------ WebSocket framing


def frame(opcode, payload, mask=True, fin=True):
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    mbit = 0x80 if mask else 0
    if n < 126:
        head += bytes([mbit | n])
    elif n < 65536:
        head += bytes([mbit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mbit | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i & 3] for i, b in enumerate(payload))


def recv_exact(sock, n):
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(out), n))
        out += chunk
    return out


def read_frame(sock):
    """One frame: (opcode, fin, payload), unmasking when masked."""
    b0, b1 = recv_exact(sock, 2)
    n = b1 & 0x7f
    if n == 126:
        n = struct.unpack("!H", recv_exact(sock, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", recv_exact(sock, 8))[0]
    key = recv_exact(sock, 4) if b1 & 0x80 else None
    data = recv_exact(sock, n)
    if key:
        data = bytes(b ^ key[i & 3] for i, b in enumerate(data))
    return b0 & 0x0f, bool(b0 & 0x80), data


def read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        c = sock.recv(1)
        if not c:
            raise EOFError("connection closed in the HTTP head: %r" % data)
        data += c
    lines = data.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return lines[0], headers


def accept_key(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


# ---------------------------------------------------------------------------------- the stand-in kubelet


class Kubelet:
    """A kubelet's exec/attach endpoint on host:port (TLS when cert is given, requiring a client certificate of
    ca). Commands: echo ARGS, exit N, cat (stdin to stdout until stdin closes), stderr ARGS, big N (N bytes of
    stdout), resize (prints the first resize message), die (drops the connection without a status), hang (waits
    for the client's close). Container "refuse" gets a 403 Status instead of the upgrade."""

    def __init__(self, host="127.0.0.1", cert=None, key=None, ca=None, protocols=("v5.channel.k8s.io",
                                                                              "v4.channel.k8s.io")):
        self.protocols = protocols
        self.requests = []  # (path, headers, peer CN)
        self.closes = []  # close codes the API server sent
        self.flooded = 0  # bytes of stdout written by the running "flood" command
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((host, 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self.ctx = None
        if cert:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(cert, key)
            self.ctx.verify_mode = ssl.CERT_REQUIRED
            self.ctx.load_verify_locations(ca)
        self.stopped = False
        self.threads = []
        self.t = threading.Thread(target=self.accept_loop, daemon=True)
        self.t.start()

    def stop(self):
        self.stopped = True
        try:
            self.lsock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.lsock.close()
        self.t.join(5)
        for t in self.threads:
            t.join(5)

    def accept_loop(self):
        while not self.stopped:
            try:
                s, _ = self.lsock.accept()
            except OSError:
                return
            t = threading.Thread(target=self.serve, args=(s,), daemon=True)
            self.threads.append(t)
            t.start()

    def serve(self, s):
        s.settimeout(20)
        cn = None
        try:
            if self.ctx:
                s = self.ctx.wrap_socket(s, server_side=True)
                subject = dict(x[0] for x in s.getpeercert()["subject"])
                cn = subject.get("commonName")
            self.session(s, cn)
        except (OSError, EOFError, ssl.SSLError, ValueError):
            pass
        finally:
            s.close()

    def send(self, s, ch, data):
        s.sendall(frame(2, bytes([ch]) + data, mask=False))

    def status(self, s, code):
        if code == 0:
            st = {"metadata": {}, "status": "Success"}
        else:
            st = {"metadata": {}, "status": "Failure", "message": "command terminated with non-zero exit code: "
                  "exit status %d" % code, "reason": "NonZeroExitCode",
                  "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}
        self.send(s, 3, json.dumps(st).encode())

    def close(self, s):
        """Our close frame, then the peer's answer (up to a few frames), then the end."""
        s.sendall(frame(8, struct.pack("!H", 1000), mask=False))
        for _ in range(100):
            op, _, data = read_frame(s)
            if op == 8:
                self.closes.append(struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 1005)
                return

    def session(self, s, cn):
        line, h = read_head(s)
        path = line.split(" ")[1]
        self.requests.append((path, h, cn))
        u = urllib.parse.urlsplit(path)
        parts = u.path.split("/")  # '', exec|attach, ns, pod, container
        q = urllib.parse.parse_qs(u.query)
        if parts[4] == "refuse":
            body = json.dumps({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                               "message": "kubelet says no", "reason": "Forbidden", "code": 403}).encode()
            s.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" %
                      (len(body), body))
            return
        offered = [p.strip() for p in h.get("sec-websocket-protocol", "").split(",")]
        chosen = next((p for p in offered if p in self.protocols), None)
        if h.get("upgrade", "").lower() != "websocket" or not chosen:
            s.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n\r\n"
                      b"unsupported protocol")
            return
        s.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: %s\r\n\r\n" %
                   (accept_key(h["sec-websocket-key"]), chosen)).encode())
        cmd = q.get("command", ["cat"]) if parts[1] == "exec" else ["cat"]
        out = "output" in q
        if cmd[0] == "echo":
            if out:
                self.send(s, 1, (" ".join(cmd[1:]) + "\n").encode())
            self.status(s, 0)
        elif cmd[0] == "exit":
            self.status(s, int(cmd[1]))
        elif cmd[0] == "stderr":
            self.send(s, 2, (" ".join(cmd[1:]) + "\n").encode())
            self.status(s, 0)
        elif cmd[0] == "big":
            n, i = int(cmd[1]), 0
            while i < n:
                chunk = bytes((i + j) % 251 for j in range(min(32768, n - i)))
                self.send(s, 1, chunk)
                i += len(chunk)
            self.status(s, 0)
        elif cmd[0] == "flood":  # as big, counting what the socket took
            n, i, chunk = int(cmd[1]), 0, bytes(65536)
            self.flooded = 0
            while i < n:
                self.send(s, 1, chunk)
                i += len(chunk)
                self.flooded = i
            self.status(s, 0)
        elif cmd[0] == "die":
            s.shutdown(socket.SHUT_RDWR)
            return
        elif cmd[0] in ("cat", "resize", "hang"):
            while True:
                op, _, data = read_frame(s)
                if op == 8:  # the client closed: answer and end
                    self.closes.append(struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 1005)
                    s.sendall(frame(8, data[:2], mask=False))
                    return
                if op == 9:
                    s.sendall(frame(10, data, mask=False))
                    continue
                if op != 2 or not data:
                    continue
                if data[0] == 0 and cmd[0] == "cat":
                    self.send(s, 1, data[1:])
                elif data[0] == 255 and data[1:2] == b"\x00" and cmd[0] == "cat":
                    break  # v5: stdin closed
                elif data[0] == 4 and cmd[0] == "resize":
                    self.send(s, 1, data[1:] + b"\n")
                    break
            self.status(s, 0)
        else:
            self.status(s, 127)
        self.close(s)


# ----------------------------------------------------------------------------------------------- fixtures

ENV = {}


def setup(cl):
    """Backends, nodes and pods, made once."""
    if ENV:
        return ENV
    data = os.path.join(cl.tmp, "data")
    ENV["kubelet"] = Kubelet()
    down = socket.socket()
    down.bind(("127.0.0.1", 0))
    ENV["down_port"] = down.getsockname()[1]  # bound, never listening: connection refused
    ENV["down_sock"] = down
    # a TLS kubelet at 127.0.0.2 with a serving certificate of the cluster CA, and one of a foreign CA
    subprocess.run([cl.k8c, "pki", "issue", "--data-dir", data, "--name", "kubelet-tls", "--cn", "kubelet",
                    "--ip", "127.0.0.2", "--server"], check=True, capture_output=True)
    pki = os.path.join(data, "pki")
    ENV["tls"] = Kubelet("127.0.0.2", os.path.join(pki, "kubelet-tls.crt"), os.path.join(pki, "kubelet-tls.key"),
                         os.path.join(pki, "ca.crt"))
    other = os.path.join(cl.tmp, "other")
    subprocess.run([cl.k8c, "pki", "init", "--data-dir", other], check=True, capture_output=True)
    subprocess.run([cl.k8c, "pki", "issue", "--data-dir", other, "--name", "kubelet", "--cn", "kubelet", "--ip",
                    "127.0.0.2", "--server"], check=True, capture_output=True)
    ENV["foreign"] = Kubelet("127.0.0.2", os.path.join(other, "pki", "kubelet.crt"),
                             os.path.join(other, "pki", "kubelet.key"), os.path.join(pki, "ca.crt"))
    nodes = {"n1": ("127.0.0.1", ENV["kubelet"].port), "ndown": ("127.0.0.1", ENV["down_port"]),
             "ntls": ("127.0.0.2", ENV["tls"].port), "nforeign": ("127.0.0.2", ENV["foreign"].port)}
    for name, (ip, port) in nodes.items():
        s, n = cl.req("POST", "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}})
        assert s == 201, (s, n)
        n["status"] = {"addresses": [{"type": "InternalIP", "address": ip}],
                       "daemonEndpoints": {"kubeletEndpoint": {"Port": port}}}
        s, n = cl.req("PUT", "/api/v1/nodes/%s/status" % name, n)
        assert s == 200, (s, n)

    def mkpod(name, node, containers=("c",), annotations=None):
        p = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "annotations": annotations or {}},
             "spec": {"containers": [{"name": c, "image": "busybox"} for c in containers]}}
        if node:
            p["spec"]["nodeName"] = node
        s, o = cl.req("POST", "/api/v1/namespaces/default/pods", p)
        assert s == 201, (s, o)

    mkpod("p1", "n1")
    mkpod("p0", None)
    mkpod("pdown", "ndown")
    mkpod("ptls", "ntls")
    mkpod("pforeign", "nforeign")
    mkpod("pmulti", "n1", ("a", "b"))
    mkpod("pann", "n1", ("a", "b"), {"kubectl.kubernetes.io/default-container": "b"})
    mkpod("pghost", "nowhere")
    ENV["cache"] = tempfile.mkdtemp(dir=cl.tmp, prefix="cache-")
    ENV["kubeconfig"] = os.path.join(data, "admin.kubeconfig")
    return ENV


def kubectl_run(cl, *args, stdin=None, timeout=60):
    """kubectl's CompletedProcess. client-go's WebSocket executor starts reading the connection before it has
    made its streams (remotecommand/websocket.go: readDemuxLoop runs beside streamer.stream) and drops a frame
    that comes in between with "Unknown stream id N, discarding message". The stand-in kubelet writes its output
    right behind the 101 where a real process takes a while to start; a run that lost a frame to that race is
    run again (up to three times), any other outcome counts."""
    e = setup(cl)
    for _ in range(3):
        p = subprocess.run([KUBECTL, "--kubeconfig", e["kubeconfig"], "--cache-dir", e["cache"]] + list(args),
                           input=stdin, capture_output=True, timeout=timeout)
        if b"] Unknown stream id " not in p.stderr:
            break
    return p


def kubectl(cl, *args, stdin=None, timeout=60):
    p = kubectl_run(cl, *args, stdin=stdin, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


class Client:
    """A raw WebSocket client to the API server over TLS with the admin certificate."""

    def __init__(self, cl, path, protocols="v5.channel.k8s.io, v4.channel.k8s.io", upgrade=True, method="GET",
                 extra="", rcvbuf=None):
        raw = socket.socket()
        if rcvbuf:
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        raw.settimeout(60)
        raw.connect(("127.0.0.1", cl.port))
        ctx = ssl.create_default_context(cafile=os.path.join(cl.tmp, "data", "pki", "ca.crt"))
        ctx.load_cert_chain(os.path.join(cl.tmp, "data", "pki", "admin.crt"),
                            os.path.join(cl.tmp, "data", "pki", "admin.key"))
        ctx.set_alpn_protocols(["http/1.1"])
        self.s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        self.key = base64.b64encode(os.urandom(16)).decode()
        req = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s" % (method, path, extra)
        if upgrade:
            req += ("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                    "Sec-WebSocket-Version: 13\r\n" % self.key)
        if protocols:
            req += "Sec-WebSocket-Protocol: %s\r\n" % protocols
        self.s.sendall((req + "\r\n").encode())
        self.status_line, self.headers = read_head(self.s)
        self.code = int(self.status_line.split(" ")[1])

    def body(self):
        n = int(self.headers.get("content-length", "0"))
        return json.loads(recv_exact(self.s, n)) if n else None

    def send(self, opcode, payload):
        self.s.sendall(frame(opcode, payload))

    def frames(self, until_close=True):
        """Every frame until (and with) the close frame: [(opcode, payload)]."""
        out = []
        while True:
            op, _, data = read_frame(self.s)
            out.append((op, data))
            if op == 8 or not until_close:
                return out

    def close(self):
        self.s.close()


def channels(frames):
    """stdout/stderr/status bytes by channel from binary frames."""
    out = {}
    for op, data in frames:
        if op == 2 and data:
            out[data[0]] = out.get(data[0], b"") + data[1:]
    return out


def wait(cond, timeout=10):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)  # polling for a condition with a deadline
    return True


# ------------------------------------------------------------------------------------------ kubectl tests


def t_kubectl_echo(cl):
    k = setup(cl)["kubelet"]
    before = len(k.requests)
    rc, out, err = kubectl(cl, "exec", "p1", "--", "echo", "hi", "there")
    assert rc == 0 and out == "hi there\n", (rc, out, err)
    path, h, _ = k.requests[before]
    # upstream's kubelet URL: the container in the path, sorted query keys, the kubelet's parameter names
    assert path == "/exec/default/p1/c?command=echo&command=hi&command=there&error=1&output=1", path
    assert "v5.channel.k8s.io" in h["sec-websocket-protocol"], h


def t_kubectl_exit_code(cl):
    rc, out, err = kubectl(cl, "exec", "p1", "--", "exit", "3")
    assert rc == 3, (rc, out, err)
    assert "command terminated with exit code 3" in err, err
    rc, out, err = kubectl(cl, "exec", "p1", "--", "exit", "42")
    assert rc == 42, (rc, out, err)


def t_kubectl_stdin(cl):
    text = b"line one\nline two\n" + bytes(range(256)) * 40
    rc, out, err = kubectl(cl, "exec", "-i", "p1", "--", "cat", stdin=text)
    assert rc == 0, (rc, out, err)
    k = setup(cl)["kubelet"]
    assert k.requests[-1][0] == "/exec/default/p1/c?command=cat&error=1&input=1&output=1", k.requests[-1][0]
    p = kubectl_run(cl, "exec", "-i", "p1", "--", "cat", stdin=text)
    assert p.returncode == 0 and p.stdout == text, (p.returncode, len(p.stdout), p.stderr)


def t_kubectl_stderr(cl):
    rc, out, err = kubectl(cl, "exec", "p1", "--", "stderr", "oops", "here")
    assert rc == 0 and out == "" and err == "oops here\n", (rc, out, err)


def t_kubectl_big_output(cl):
    n = 8 << 20
    p = kubectl_run(cl, "exec", "p1", "--", "big", str(n), timeout=120)
    assert p.returncode == 0 and len(p.stdout) == n, (p.returncode, len(p.stdout), p.stderr[-500:])
    assert p.stdout == bytes(i % 251 for i in range(n))


def t_kubectl_attach(cl):
    k = setup(cl)["kubelet"]
    rc, out, err = kubectl(cl, "attach", "-i", "p1", stdin=b"typed in\n")
    assert rc == 0 and out == "typed in\n", (rc, out, err)
    assert k.requests[-1][0] == "/attach/default/p1/c?error=1&input=1&output=1", k.requests[-1][0]


def t_kubectl_unknown_container(cl):
    rc, out, err = kubectl(cl, "exec", "p1", "-c", "nope", "--", "echo", "hi")
    assert rc != 0 and "container nope is not valid for pod p1" in err, (rc, out, err)


def t_kubectl_pod_without_node(cl):
    rc, out, err = kubectl(cl, "exec", "p0", "--", "echo", "hi")
    assert rc != 0 and "pod p0 does not have a host assigned" in err, (rc, out, err)


def t_kubectl_missing_pod_and_node(cl):
    rc, out, err = kubectl(cl, "exec", "nosuchpod", "--", "echo", "hi")
    assert rc != 0 and 'pods "nosuchpod" not found' in err, (rc, out, err)
    rc, out, err = kubectl(cl, "exec", "pghost", "--", "echo", "hi")
    assert rc != 0 and 'nodes "nowhere" not found' in err, (rc, out, err)


def t_kubectl_backend_down(cl):
    port = setup(cl)["down_port"]
    rc, out, err = kubectl(cl, "exec", "pdown", "--", "echo", "hi")
    want = "error dialing backend: dial tcp 127.0.0.1:%d: connect: connection refused" % port
    assert rc != 0 and want in err, (rc, out, err)


def t_kubectl_tls_kubelet(cl):
    t = setup(cl)["tls"]
    rc, out, err = kubectl(cl, "exec", "ptls", "--", "echo", "over", "tls")
    assert rc == 0 and out == "over tls\n", (rc, out, err)
    assert t.requests[-1][2] == "kube-apiserver-kubelet-client", t.requests[-1]  # the client certificate's CN


def t_kubectl_foreign_kubelet_cert(cl):
    rc, out, err = kubectl(cl, "exec", "pforeign", "--", "echo", "hi")
    assert rc != 0 and "error dialing backend: tls: " in err and "certificate verify failed" in err, (rc, out, err)


def t_python_client(cl):
    """python3-kubernetes' stream() speaks v4.channel.k8s.io over websocket-client."""
    from kubernetes import client, config
    from kubernetes.stream import stream
    k = setup(cl)["kubelet"]
    api = client.CoreV1Api(config.new_client_from_config(ENV["kubeconfig"]))
    out = stream(api.connect_get_namespaced_pod_exec, "p1", "default", command=["echo", "from", "python"],
                 stderr=True, stdin=False, stdout=True, tty=False)
    assert out == "from python\n", out
    assert "v4.channel.k8s.io" in k.requests[-1][1]["sec-websocket-protocol"], k.requests[-1][1]
    r = stream(api.connect_get_namespaced_pod_exec, "p1", "default", command=["exit", "5"], stderr=True,
               stdin=False, stdout=True, tty=False, _preload_content=False)
    r.run_forever(timeout=20)
    assert r.returncode == 5, r.returncode
    r.close()


# ---------------------------------------------------------------------------------------- raw-frame tests


def t_raw_v5_echo_and_close(cl):
    setup(cl)
    c = Client(cl, "/api/v1/namespaces/default/pods/p1/exec?command=echo&command=raw&stdout=true&stderr=true")
    assert c.code == 101, (c.status_line, c.headers)
    assert c.headers["sec-websocket-protocol"] == "v5.channel.k8s.io", c.headers
    assert c.headers["sec-websocket-accept"] == accept_key(c.key), c.headers
    assert c.headers["upgrade"].lower() == "websocket", c.headers
    fr = c.frames()
    ch = channels(fr)
    assert ch[1] == b"raw\n", ch
    assert json.loads(ch[3]) == {"metadata": {}, "status": "Success"}, ch
    assert fr[-1][0] == 8 and struct.unpack("!H", fr[-1][1][:2])[0] == 1000, fr[-1]
    c.send(8, struct.pack("!H", 1000))  # our answer; then the server ends the connection
    assert c.s.recv(1) == b""
    c.close()


def t_raw_backpressure(cl):
    """A client that reads nothing: the API server stops reading the kubelet once its queue to the client is full,
    so the kubelet's writes block (TCP) far below the 64 MiB it wants to send; then all of it arrives."""
    k = setup(cl)["kubelet"]
    n = 64 << 20
    c = Client(cl, "/api/v1/namespaces/default/pods/p1/exec?command=flood&command=%d&stdout=1" % n, rcvbuf=65536)
    assert c.code == 101, c.status_line
    last, stable = -1, 0
    deadline = time.monotonic() + 30
    while stable < 10 and time.monotonic() < deadline:  # until the kubelet's progress stops for 10 polls
        cur = k.flooded
        stable = stable + 1 if cur == last and cur > 0 else 0
        last = cur
        time.sleep(0.05)  # polling for a condition with a deadline
    assert stable >= 10, "the kubelet never stalled: %d bytes sent" % k.flooded
    assert k.flooded < 32 << 20, "%d bytes queued past a client that reads nothing" % k.flooded
    got, t0 = 0, time.monotonic()
    while True:
        op, _, data = read_frame(c.s)
        if op == 8:
            break
        if data[0] == 1:
            got += len(data) - 1
        elif data[0] == 3:
            assert json.loads(data[1:])["status"] == "Success", data
    assert got == n, got
    # once the client reads, the relay resumes at once (not at the loop's next idle wake-up, about 1 MiB a second)
    assert time.monotonic() - t0 < 15, "64 MiB took %.1f s" % (time.monotonic() - t0)
    c.close()


def t_raw_long_command(cl):
    k = setup(cl)["kubelet"]
    arg = "x y&z=%/" * 500  # 4,500 characters to escape
    c = Client(cl, "/api/v1/namespaces/default/pods/p1/exec?command=echo&command=%s&stdout=1" %
               urllib.parse.quote(arg, safe=""))
    assert c.code == 101, c.status_line
    assert channels(c.frames())[1] == (arg + "\n").encode()
    c.close()
    assert k.requests[-1][0] == "/exec/default/p1/c?command=echo&command=%s&output=1" % \
        urllib.parse.quote_plus(arg, safe=""), k.requests[-1][0][:200]


def t_raw_v4_fallback(cl):
    setup(cl)
    c = Client(cl, "/api/v1/namespaces/default/pods/p1/exec?command=exit&command=7&stdout=1", protocols=
               "v4.channel.k8s.io")
    assert c.code == 101 and c.headers["sec-websocket-protocol"] == "v4.channel.k8s.io", c.headers
    st = json.loads(channels(c.frames())[3])
    assert st["reason"] == "NonZeroExitCode" and st["details"]["causes"][0] == {"reason": "ExitCode",
                                                                                  "message": "7"}, st
    c.close()
    # a protocol the kubelet does not speak: its refusal comes back as it is
    c = Client(cl, "/api/v1/namespaces/default/pods/p1/exec?command=echo&stdout=1", protocols="v3.channel.k8s.io")
    assert c.code == 400 and c.headers["content-type"] == "text/plain", (c.status_line, c.headers)
    assert recv_exact(c.s, 20) == b"unsupported protocol"
    c.close()


def t_raw_ping_stdin_and_client_close(cl):
    k = setup(cl)["kubelet"]
    c = Client(cl, "/api/v1/namespaces/default/pods/p1/exec?command=cat&stdin=true&stdout=true")
    assert c.code == 101, c.status_line
    c.send(9, b"ping-1")  # answered by the API server itself
    op, data = c.frames(until_close=False)[0]
    assert op == 10 and data == b"ping-1", (op, data)
    c.send(2, b"\x00hello")
    op, data = c.frames(until_close=False)[0]
    assert op == 2 and data == b"\x01hello", (op, data)
    before = len(k.closes)
    c.send(8, struct.pack("!H", 1000) + b"bye")
    fr = c.frames()
    assert fr[-1][0] == 8 and struct.unpack("!H", fr[-1][1][:2])[0] == 1000, fr
    assert c.s.recv(1) == b""
    assert wait(lambda: len(k.closes) > before) and k.closes[-1] == 1000, k.closes  # relayed to the kubelet
    c.close()


def t_raw_v5_stdin_close(cl):
    setup(cl)
    c = Client(cl, "/api/v1/namespaces/default/pods/p1/exec?command=cat&stdin=true&stdout=true")
    c.send(2, b"\x00abc")
    c.send(2, b"\xff\x00")  # v5: close stdin
    fr = c.frames()
    ch = channels(fr)
    assert ch[1] == b"abc" and json.loads(ch[3])["status"] == "Success", ch
    c.close()


def t_raw_kubelet_dies(cl):
    setup(cl)
    c = Client(cl, "/api/v1/namespaces/default/pods/p1/exec?command=die&stdout=true")
    assert c.code == 101, c.status_line
    fr = c.frames()
    st = json.loads(channels(fr)[3])
    assert st["status"] == "Failure" and st["reason"] == "InternalError" and st["code"] == 500, st
    assert "node n1" in st["message"] and st["message"].startswith("Internal error occurred: "), st
    assert fr[-1][0] == 8, fr[-1]
    c.close()


def t_raw_kubelet_refuses(cl):
    setup(cl)
    c = Client(cl, "/api/v1/namespaces/default/pods/pmulti/exec?container=refuse&command=echo&stdout=1")
    # the container check comes first: "refuse" is not a container of pmulti
    assert c.code == 400 and c.body()["message"] == "container refuse is not valid for pod pmulti"
    c.close()
    s, p = cl.req("POST", "/api/v1/namespaces/default/pods",
                  {"metadata": {"name": "prefuse"},
                   "spec": {"nodeName": "n1", "containers": [{"name": "refuse", "image": "x"}]}})
    assert s == 201, p
    c = Client(cl, "/api/v1/namespaces/default/pods/prefuse/exec?command=echo&stdout=1")
    assert c.code == 403 and c.headers["content-type"] == "application/json", (c.status_line, c.headers)
    assert c.body()["message"] == "kubelet says no"
    c.close()


def t_raw_container_defaults(cl):
    k = setup(cl)["kubelet"]
    c = Client(cl, "/api/v1/namespaces/default/pods/pmulti/exec?command=echo&stdout=1")
    assert c.code == 400, c.status_line
    b = c.body()
    assert b["message"] == "a container name must be specified for pod pmulti, choose one of: [a b]", b
    assert b["reason"] == "BadRequest" and b["kind"] == "Status", b
    c.close()
    c = Client(cl, "/api/v1/namespaces/default/pods/pann/exec?command=echo&command=x&stdout=1")
    assert c.code == 101, c.status_line
    c.frames()
    c.close()
    assert k.requests[-1][0] == "/exec/default/pann/b?command=echo&command=x&output=1", k.requests[-1][0]


def t_raw_resize_and_attach(cl):
    k = setup(cl)["kubelet"]
    c = Client(cl, "/api/v1/namespaces/default/pods/p1/exec?command=resize&stdin=1&stdout=1&tty=1")
    c.send(2, b"\x04" + b'{"Width":100,"Height":30}')
    ch = channels(c.frames())
    assert json.loads(ch[1]) == {"Width": 100, "Height": 30}, ch
    c.close()
    assert k.requests[-1][0] == "/exec/default/p1/c?command=resize&input=1&output=1&tty=1", k.requests[-1][0]
    c = Client(cl, "/api/v1/namespaces/default/pods/p1/attach?container=c&stdin=true&stdout=true&stderr=true")
    assert c.code == 101, c.status_line
    c.send(2, b"\x00attached")
    op, data = c.frames(until_close=False)[0]
    assert data == b"\x01attached", data
    c.send(8, struct.pack("!H", 1000))
    c.frames()
    c.close()
    assert k.requests[-1][0] == "/attach/default/p1/c?error=1&input=1&output=1", k.requests[-1][0]


def t_raw_errors_before_upgrade(cl):
    setup(cl)
    c = Client(cl, "/api/v1/namespaces/default/pods/p1/exec?command=echo&stdout=1", upgrade=False)
    assert c.code == 400 and c.body()["message"] == "Upgrade request required", c.status_line
    c.close()
    c = Client(cl, "/api/v1/namespaces/default/pods/p1/exec?command=echo&stdout=maybe")
    assert c.code == 400, c.status_line
    assert c.body()["message"] == 'strconv.ParseBool: parsing "maybe": invalid syntax'
    c.close()
    s, st = cl.req("DELETE", "/api/v1/namespaces/default/pods/p1/exec")
    assert s == 405 and st["reason"] == "MethodNotAllowed", (s, st)
    # SPDY (kubectl's fallback) is refused with a Status saying why
    spdy = "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n"
    c = Client(cl, "/api/v1/namespaces/default/pods/p1/exec?command=echo&stdout=1", upgrade=False, protocols=None,
               method="POST", extra=spdy)
    b = c.body()
    assert c.code == 400 and "over WebSocket" in b["message"] and "not SPDY" in b["message"], (c.status_line, b)
    c.close()


def t_zz_session_open_at_shutdown(cl):
    """Left open on purpose: the server's stop (after the last test) must end it and exit 0."""
    setup(cl)
    c = Client(cl, "/api/v1/namespaces/default/pods/p1/exec?command=hang&stdin=1&stdout=1")
    assert c.code == 101, c.status_line
    c.send(9, b"still there")
    assert c.frames(until_close=False)[0] == (10, b"still there")
    ENV["open_client"] = c


def main():
    TESTS = [v for k, v in sorted(globals().items()) if k.startswith("t_")]
    # the stand-in kubelets listen on 127.0.0.1 in plain HTTP: k8c needs --kubelet-insecure-loopback
    argv = sys.argv[1:]
    i = argv.index("--k8c")
    wrapdir = tempfile.mkdtemp(prefix="k8c-exec-")
    wrapper = os.path.join(wrapdir, "k8c")
    with open(wrapper, "w") as f:
        f.write('#!/bin/sh\nif [ "$1" = server ]; then exec "%s" "$@" --kubelet-insecure-loopback; fi\n'
                'exec "%s" "$@"\n' % (argv[i + 1], argv[i + 1]))
    os.chmod(wrapper, 0o755)
    sys.argv[i + 2] = wrapper
    try:
        rc = run_tests(TESTS, __doc__, prefix="k8c-exec-")
    finally:
        for k in ("kubelet", "tls", "foreign"):
            if k in ENV:
                ENV[k].stop()
        if "down_sock" in ENV:
            ENV["down_sock"].close()
        if "open_client" in ENV:
            ENV["open_client"].close()
        shutil.rmtree(wrapdir, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
