"""Start and stop the servers etcd_diff.py compares: the reference etcd 3.4 and the system under test.

Every process is started in its own session (so its process-group id is its pid) and is stopped by that id on
every exit path: normal return, exception, Ctrl-C, SIGTERM/SIGHUP (turned into SystemExit) and atexit.
"""

import atexit
import ctypes
import http.client
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time

_LIVE = []  # Server objects started and not yet stopped
_TMPDIRS = []  # temp dirs to remove at exit (unless kept)
_KEEP = {"tmp": False}
ETCD_DEFAULT_PEER_URL = "http://localhost:2380"  # etcd's --initial-advertise-peer-urls default


def _die_with_parent():
    """Runs in the child before exec: ask Linux to SIGTERM it if etcd_diff itself is killed (SIGKILL cannot
    be caught, so this is the only cleanup left in that case). Best effort."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class StartError(Exception):
    """A server did not start or did not become healthy in time."""


def free_ports(n):
    """Return n distinct free TCP ports on 127.0.0.1 (bound together, then released)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def make_tmpdir(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    _TMPDIRS.append(d)
    return d


def keep_tmp(keep):
    _KEEP["tmp"] = keep


class Server:
    """One server process: its argv, URLs and log file. `label` is "ref" or "sut"."""

    def __init__(self, label, argv, workdir, client_port, peer_port, name):
        self.label = label
        self.argv = argv
        self.workdir = workdir
        self.client_port = client_port
        self.peer_port = peer_port
        self.name = name
        self.client_url = "http://127.0.0.1:%d" % client_port
        self.peer_url = "http://127.0.0.1:%d" % peer_port if peer_port else None
        self.log_path = os.path.join(workdir, label + ".log")
        self.proc = None
        self.external = False

    def start(self):
        with open(self.log_path, "wb") as log:
            try:
                self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=subprocess.STDOUT, cwd=self.workdir, start_new_session=True,
                                             preexec_fn=_die_with_parent)
            except OSError as e:
                raise StartError("cannot start %s (%s): %s" % (self.label, " ".join(self.argv), e))
        _LIVE.append(self)

    def log_tail(self, nbytes=4000):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - nbytes))
                return f.read().decode("utf-8", "replace")
        except OSError:
            return "(no log)"

    def wait_healthy(self, timeout):
        """Poll GET /health until it answers 200 {"health":"true"}, the process exits, or `timeout` s pass."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise StartError("%s exited with status %s before becoming healthy; log tail:\n%s" %
                                 (self.label, self.proc.returncode, self.log_tail()))
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.client_port, timeout=1)
                c.request("GET", "/health")
                r = c.getresponse()
                body = r.read()
                c.close()
                if r.status == 200 and json.loads(body).get("health") == "true":
                    return
                last = "%d %r" % (r.status, body[:200])
            except (OSError, ValueError, http.client.HTTPException) as e:
                last = "%s: %s" % (type(e).__name__, e)
            if time.monotonic() >= deadline:
                raise StartError("%s not healthy after %.1f s (last: %s); log tail:\n%s" %
                                 (self.label, timeout, last, self.log_tail()))
            time.sleep(0.02)  # poll interval while waiting for the condition, bounded by the deadline

    def alive(self):
        return self.external or (self.proc is not None and self.proc.poll() is None)

    def stop(self):
        """Stop the process group we created (SIGTERM, then SIGKILL after 5 s). Idempotent."""
        if self in _LIVE:
            _LIVE.remove(self)
        p = self.proc
        if p is None or p.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(p.pid, sig)  # the group id is the pid of the process we started
            except ProcessLookupError:
                return
            try:
                p.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue


def etcd_argv(etcd_bin, name, datadir, client_port, peer_port, no_fsync=True):
    curl = "http://127.0.0.1:%d" % client_port
    purl = "http://127.0.0.1:%d" % peer_port
    argv = [etcd_bin, "--name", name, "--data-dir", datadir,
            "--listen-client-urls", curl, "--advertise-client-urls", curl,
            "--listen-peer-urls", purl, "--initial-advertise-peer-urls", purl,
            "--initial-cluster", "%s=%s" % (name, purl), "--initial-cluster-state", "new",
            "--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn"]
    if no_fsync:
        # 3.4.23 accepts this (undocumented in --help); it only skips fsync, responses are unchanged.
        argv.append("--unsafe-no-fsync")
    return argv


def start_healthy(make, health_timeout):
    """make(cport, pport) -> a Server not started; starts it on fresh free ports and waits until healthy. The
    ports were free when free_ports() looked, but another process (a parallel test's connection) may take one
    before the server binds it: a server that exits at start is started again (5 times at most) on other ports."""
    for attempt in range(5):
        s = make(*free_ports(2))
        s.start()
        try:
            s.wait_healthy(health_timeout)
            return s
        except StartError:
            exited = s.proc is not None and s.proc.poll() is not None
            s.stop()
            if not exited or attempt == 4:
                raise
            shutil.rmtree(os.path.join(s.workdir, "data"), ignore_errors=True)


def start_etcd(label, etcd_bin, name, health_timeout, no_fsync=True):
    workdir = make_tmpdir("etcd-diff-%s-" % label)
    datadir = os.path.join(workdir, "data")
    return start_healthy(lambda cport, pport: Server(label, etcd_argv(etcd_bin, name, datadir, cport, pport, no_fsync),
                                                     workdir, cport, pport, name), health_timeout)


def start_template(label, template, name, health_timeout):
    """Start the SUT from a command template. Placeholders: {url} {host} {port} {peer_url} {peer_port}
    {datadir} {name} {workdir}."""
    workdir = make_tmpdir("etcd-diff-%s-" % label)
    datadir = os.path.join(workdir, "data")

    def make(cport, pport):
        fields = {"url": "http://127.0.0.1:%d" % cport, "host": "127.0.0.1", "port": cport,
                  "peer_url": "http://127.0.0.1:%d" % pport, "peer_port": pport, "datadir": datadir, "name": name,
                  "workdir": workdir}
        try:
            argv = [a.format(**fields) for a in shlex.split(template)]
        except (KeyError, IndexError, ValueError) as e:
            raise StartError("bad --sut template %r: %s" % (template, e))
        s = Server(label, argv, workdir, cport, pport, name)
        if "{peer_" not in template:
            # not given a peer URL, etcd advertises its default; a SUT that does the same reports its own URL
            s.peer_url = ETCD_DEFAULT_PEER_URL
        return s

    return start_healthy(make, health_timeout)


def attach_url(label, url, name):
    """Use an already-running server (not started or stopped by us)."""
    import urllib.parse
    u = urllib.parse.urlsplit(url)
    if u.scheme != "http" or u.hostname not in ("127.0.0.1", "localhost"):
        raise StartError("--sut-url must be http://127.0.0.1:PORT")
    s = Server(label, [], make_tmpdir("etcd-diff-%s-" % label), u.port, None, name)
    s.external = True
    s.wait_healthy(5.0)
    # its peer URL is not ours to choose: take it from its member list (used to normalise that list)
    try:
        c = http.client.HTTPConnection("127.0.0.1", u.port, timeout=5)
        c.request("POST", "/v3/cluster/member/list", body=b"{}")
        members = json.loads(c.getresponse().read()).get("members", [])
        c.close()
        if len(members) == 1 and members[0].get("peerURLs"):
            s.peer_url = members[0]["peerURLs"][0]
    except (OSError, ValueError, http.client.HTTPException, AttributeError):
        pass
    return s


def cleanup():
    """Stop every server still running and remove temp dirs. Safe to call more than once."""
    for s in list(_LIVE):
        try:
            s.stop()
        except Exception:  # keep stopping the others
            pass
    if not _KEEP["tmp"]:
        while _TMPDIRS:
            shutil.rmtree(_TMPDIRS.pop(), ignore_errors=True)


def _on_signal(signum, frame):
    os.write(2, b"etcd_diff: signal %d, stopping the servers\n" % signum)
    raise SystemExit(128 + signum)


def install_handlers():
    """atexit cleanup; SIGTERM/SIGHUP raise SystemExit and SIGINT KeyboardInterrupt (also when the shell
    started us with SIGINT ignored), so every finally block runs."""
    atexit.register(cleanup)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    signal.signal(signal.SIGINT, signal.default_int_handler)
