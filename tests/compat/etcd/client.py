"""HTTP/1.1 clients for etcd_diff.py: keep-alive unary requests (http.client) and streaming responses
(/v3/watch, /v3/lease/keepalive, /v3/maintenance/snapshot) read from a raw socket with deadlines, so that
several streams can be read at once and a stream that never answers is a result, not a hang.
"""

import http.client
import json
import selectors
import socket
import time

NO_ANSWER_WAIT = 0.5  # seconds without response headers after which a stream counts as "no answer"


class Response:
    """A complete unary answer. `status` is None when no answer arrived (connection error: `error`)."""

    def __init__(self, status=None, ctype=None, body=b"", error=None):
        self.status = status
        self.ctype = ctype
        self.body = body
        self.error = error
        self.location = None


class Conn:
    """One keep-alive connection to one server. send() then recv(), so two servers work in parallel."""

    def __init__(self, port, timeout=15.0):
        self.port = port
        self.timeout = timeout
        self.conn = None
        self.used = False
        self.pending = None

    def _fresh(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        self.used = False

    def send(self, method, path, body, headers):
        self.pending = (method, path, body, headers)
        if self.conn is None:
            self._fresh()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            self.send_error = None
        except OSError as e:  # includes a refused connection: reported by recv() as "no answer"
            self.send_error = e

    def recv(self):
        method, path, body, headers = self.pending
        for attempt in (0, 1):
            try:
                if self.send_error is not None:
                    raise self.send_error
                r = self.conn.getresponse()
                data = r.read()
                resp = Response(r.status, r.getheader("Content-Type"), data)
                resp.location = r.getheader("Location")
                if r.will_close:
                    self.conn.close()
                    self.conn = None
                else:
                    self.used = True
                return resp
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected) as e:
                # A reused keep-alive connection the server had closed: reconnect and resend once (the request
                # never reached the server). A fresh connection failing is a real answer: "no response".
                was_used = self.used
                self._fresh()
                if attempt == 0 and was_used:
                    try:
                        self.conn.request(method, path, body=body, headers=headers)
                        self.send_error = None
                    except OSError as e2:
                        self.send_error = e2
                    continue
                return Response(error="%s: %s" % (type(e).__name__, e))
            except (OSError, http.client.HTTPException) as e:
                self._fresh()
                return Response(error="%s: %s" % (type(e).__name__, e))
        return Response(error="unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Stream:
    """A request whose response body is read incrementally: status line, headers, then the (chunked) body,
    split into newline-delimited JSON messages as the gateway writes them."""

    def __init__(self, port, method, path, body, headers):
        self.status = None
        self.ctype = None
        self.headers = {}
        self.messages = []  # parsed JSON values (or {"<text>": str} for a non-JSON line)
        self.eof = False
        self.error = None
        self.last_activity = time.monotonic()
        self._buf = b""  # raw bytes not yet parsed
        self._body = b""  # de-chunked body bytes not yet split into messages
        self._state = "status"
        self._chunked = False
        self._remaining = None  # Content-Length bytes left, or chunk bytes left
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.setblocking(False)
        head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % (method, path, port)
        for k, v in (headers or {}).items():
            head += "%s: %s\r\n" % (k, v)
        head += "Content-Length: %d\r\n\r\n" % len(body)
        self._out = head.encode() + body

    def fileno(self):
        return self.sock.fileno()

    def want_write(self):
        return bool(self._out)

    def on_writable(self):
        try:
            n = self.sock.send(self._out)
            self._out = self._out[n:]
        except BlockingIOError:
            pass
        except OSError as e:
            self._out = b""
            self._fail(e)

    def on_readable(self):
        try:
            data = self.sock.recv(262144)
        except BlockingIOError:
            return
        except OSError as e:
            self._fail(e)
            return
        self.last_activity = time.monotonic()
        if not data:
            self._finish()
            return
        self._buf += data
        self._parse()

    def _fail(self, e):
        if not self.eof:
            self.error = "%s: %s" % (type(e).__name__, e)
            self._finish()

    def _finish(self):
        self._flush_body(final=True)
        self.eof = True
        self.close()

    def _parse(self):
        while True:
            if self._state == "status" or self._state == "headers":
                i = self._buf.find(b"\r\n")
                if i < 0:
                    return
                line = self._buf[:i].decode("latin-1")
                self._buf = self._buf[i + 2:]
                if self._state == "status":
                    parts = line.split(" ", 2)
                    self.status = int(parts[1])
                    self._state = "headers"
                elif line == "":
                    self.ctype = self.headers.get("content-type")
                    te = self.headers.get("transfer-encoding", "")
                    if "chunked" in te.lower():
                        self._chunked = True
                        self._state = "chunk-size"
                    elif "content-length" in self.headers:
                        self._remaining = int(self.headers["content-length"])
                        self._state = "body"
                        if self._remaining == 0:
                            self._finish()
                            return
                    else:
                        self._remaining = None
                        self._state = "body"
                else:
                    k, _, v = line.partition(":")
                    self.headers[k.strip().lower()] = v.strip()
            elif self._state == "chunk-size":
                i = self._buf.find(b"\r\n")
                if i < 0:
                    return
                size = int(self._buf[:i].split(b";")[0], 16)
                self._buf = self._buf[i + 2:]
                if size == 0:
                    self._state = "trailers"
                else:
                    self._remaining = size
                    self._state = "chunk-data"
            elif self._state == "chunk-data":
                if not self._buf:
                    return
                take = self._buf[:self._remaining]
                self._buf = self._buf[len(take):]
                self._remaining -= len(take)
                self._body += take
                self._flush_body()
                if self._remaining == 0:
                    self._state = "chunk-crlf"
            elif self._state == "chunk-crlf":
                if len(self._buf) < 2:
                    return
                self._buf = self._buf[2:]
                self._state = "chunk-size"
            elif self._state == "trailers":
                i = self._buf.find(b"\r\n")
                if i < 0:
                    return
                line = self._buf[:i]
                self._buf = self._buf[i + 2:]
                if line == b"":
                    self._finish()
                    return
            elif self._state == "body":
                if not self._buf:
                    return
                take = self._buf if self._remaining is None else self._buf[:self._remaining]
                self._buf = self._buf[len(take):]
                self._body += take
                self._flush_body()
                if self._remaining is not None:
                    self._remaining -= len(take)
                    if self._remaining == 0:
                        self._finish()
                        return
            else:
                return

    def _flush_body(self, final=False):
        while True:
            i = self._body.find(b"\n")
            if i < 0:
                break
            line = self._body[:i]
            self._body = self._body[i + 1:]
            self._add(line)
        if final and self._body.strip():
            self._add(self._body)
            self._body = b""

    def _add(self, line):
        if not line.strip():
            return
        text = line.decode("utf-8", "replace")
        try:
            self.messages.append(json.loads(text))
        except ValueError:
            self.messages.append({"<text>": text})

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None


def _quiet_for(s, quiet):
    # before any answer arrived, wait longer: "no answer" is a result only after NO_ANSWER_WAIT
    return quiet if s.status is not None else max(quiet, NO_ANSWER_WAIT)


def read_streams(streams, expect, quiet, deadline):
    """Read `streams` concurrently until each is done: it reached end of stream, or it has at least
    expect[i] messages and nothing arrived for `quiet` seconds, or the absolute monotonic `deadline` passed.
    expect[i] may be None (just wait for quiet). Returns nothing; results are in the Stream objects."""
    start = time.monotonic()
    for s in streams:
        s.last_activity = max(s.last_activity, start)
    while True:
        now = time.monotonic()
        waiting = []
        for i, s in enumerate(streams):
            if s.eof or s.sock is None:
                continue
            if (len(s.messages) >= (expect[i] or 0) and now - s.last_activity >= _quiet_for(s, quiet)
                    and not s.want_write()):
                continue
            waiting.append(s)
        if not waiting or now >= deadline:
            return
        wake = min([deadline] + [s.last_activity + _quiet_for(s, quiet) for s in waiting])
        pump(waiting, max(0.001, min(wake, deadline) - now))


def pump(streams, timeout=0.0):
    """One round: send what is pending and read what has arrived, waiting at most `timeout` s."""
    live = [s for s in streams if s.sock is not None and not s.eof]
    if not live:
        return
    sel = selectors.DefaultSelector()
    try:
        for s in live:
            sel.register(s.sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if s.want_write() else 0), s)
        for key, mask in sel.select(timeout):
            s = key.data
            if mask & selectors.EVENT_WRITE:
                s.on_writable()
            if mask & selectors.EVENT_READ and s.sock is not None:
                s.on_readable()
    finally:
        sel.close()


def wait_for(streams, cond, deadline):
    """Pump until cond(stream) holds for every stream (or it ended), or the monotonic deadline passes."""
    while True:
        todo = [s for s in streams if not cond(s) and not s.eof]
        now = time.monotonic()
        if not todo or now >= deadline:
            return
        pump(todo, min(0.05, deadline - now))
