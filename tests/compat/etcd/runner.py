"""Lock-step execution of requests against the reference etcd and the system under test, normalisation of
both answers and comparison, for etcd_diff.py. A step is a unary request (Req), a streaming request (Stream),
more reading of a stream kept open (Read) or closing it (Close).
"""

import json
import re
import sys
import time

from . import client
from . import normalize as nz

JSON_HEADERS = {"Content-Type": "application/json"}
_SUBST_RE = re.compile(r"\$\{([a-z0-9_]+)([+-][0-9]+)?\}")


def encode_body(body):
    if body is None:
        return b""
    if isinstance(body, (dict, list)):
        return json.dumps(body, separators=(",", ":")).encode()
    if isinstance(body, str):
        return body.encode()
    return body


class Req:
    """A unary request. `capture`: remember the answer's "ID" under this name (a server-chosen lease ID):
    later bodies may use ${name}, and the value is shown as <name> in answers. `capture_rev`: remember the
    answer's header.revision; later bodies may use ${name}, ${name+N}, ${name-N} (each server its own)."""

    kind = "unary"

    def __init__(self, name, path, body=None, method="POST", headers=JSON_HEADERS, capture=None,
                 capture_rev=None):
        self.name = name
        self.path = path
        self.body = encode_body(body)
        self.method = method
        self.headers = headers
        self.capture = capture
        self.capture_rev = capture_rev


class Stream:
    """A streaming request: read until `expect` messages (None: any number) and then `quiet` s without new
    data (default 0.1 s with `expect`, else 0.2 s), end of stream, or `deadline` s. `hold`: keep it open under
    this name for Read/Close steps. With `expect`, the reference delivering fewer messages is reported."""

    kind = "stream"

    def __init__(self, name, path, body=None, expect=None, quiet=None, deadline=5.0, hold=None,
                 headers=JSON_HEADERS):
        self.name = name
        self.path = path
        self.body = encode_body(body)
        self.method = "POST"
        self.expect = expect
        self.quiet = quiet if quiet is not None else (0.1 if expect is not None else 0.2)
        self.deadline = deadline
        self.hold = hold
        self.headers = headers


class Read:
    """Read more from a held stream; the messages that arrived since the last read are compared."""

    kind = "read"

    def __init__(self, name, hold, expect=None, quiet=None, deadline=5.0):
        self.name = name
        self.hold = hold
        self.expect = expect
        self.quiet = quiet if quiet is not None else (0.1 if expect is not None else 0.2)
        self.deadline = deadline
        self.path = None
        self.body = b""
        self.method = "-"


class Close:
    kind = "close"

    def __init__(self, hold):
        self.name = "close " + hold
        self.hold = hold


class Side:
    """Per-server state: connection, captured aliases, held streams."""

    def __init__(self, server):
        self.server = server
        self.conn = client.Conn(server.client_port)
        self.names = {}  # capture name -> value chosen by this server
        self.aliases = {}  # value -> "<name>"
        self.held = {}  # hold name -> (Stream, path, messages already compared)

    def body_for(self, body):
        if b"${" not in body:
            return body
        def sub(m):
            v = self.names.get(m.group(1), "0")
            return str(int(v) + int(m.group(2))) if m.group(2) else v
        return _SUBST_RE.sub(sub, body.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")

    def close(self):
        self.conn.close()
        for s, _, _ in self.held.values():
            s.close()
        self.held.clear()


class ServerDied(Exception):
    """A server exited during `step` (the request it did not answer)."""

    def __init__(self, server, step):
        Exception.__init__(self, "%s exited while answering %s %s" % (server.label, step.method, step.path))
        self.server = server
        self.step = step


class Mismatch:
    def __init__(self, phase, index, step, exp, got, note=None):
        self.phase = phase
        self.index = index
        self.step = step
        self.exp = exp
        self.got = got
        self.note = note


class Runner:
    def __init__(self, ref, sut, sort_keys=False, record=None, verbose=False, lenient_parse_errors=False):
        self.ref = Side(ref)
        self.sut = Side(sut)
        self.sort_keys = sort_keys
        self.record = record
        self.verbose = verbose
        self.lenient_parse_errors = lenient_parse_errors
        self.mismatches = []
        self.count = 0
        self.phase = "script"
        self.recent = []  # the last unary steps sent, shown when a server dies

    # ---- normalisation -------------------------------------------------------------------------------

    def _norm_body(self, side, path, body):
        if path == "/metrics":
            return nz.summarize_metrics(body)
        if path.endswith("/maintenance/status"):
            body = nz.norm_status(body)
        elif path.endswith("/cluster/member/list"):
            body = nz.norm_members(body, side.server)
        elif path.endswith("/lease/timetolive"):
            body = nz.norm_ttl_keys(body)
        body = nz.norm_aliases(body, side.aliases)
        return nz.strip_headers(body)

    def _norm_unary(self, side, step, r):
        if r.status is None:
            return {"status": None, "content_type": None, "body": "<no answer>"}, None
        body = nz.parse_body(r.ctype, r.body)
        raw = body
        if step.capture and isinstance(body, dict) and isinstance(body.get("ID"), str):
            side.names[step.capture] = body["ID"]
            side.aliases[body["ID"]] = "<%s>" % step.capture
        if step.capture_rev and isinstance(body, dict):
            side.names[step.capture_rev] = str(body.get("header", {}).get("revision", "0"))
        if isinstance(body, (dict, list)):
            body = json.loads(json.dumps(body))  # a copy: raw stays untouched for the caller
        out = {"status": r.status, "content_type": r.ctype}
        if 300 <= r.status < 400:
            out["location"] = r.location
        out["body"] = self._norm_body(side, step.path, body)
        return out, raw

    def _norm_messages(self, side, path, msgs, status, ctype, eof):
        msgs = json.loads(json.dumps(msgs))
        if status is None:
            return {"status": None, "content_type": None, "messages": [], "eof": eof}
        if path.endswith("/maintenance/snapshot"):
            return {"status": status, "content_type": ctype, "snapshot": nz.summarize_snapshot(msgs, eof)}
        msgs = [nz.strip_headers(nz.norm_aliases(m, side.aliases)) for m in msgs]
        out = {"status": status, "content_type": ctype}
        if path.endswith("/watch") and status == 200:
            out["messages"] = nz.group_watch(msgs)
        else:
            out["messages"] = msgs
        out["eof"] = eof
        return out

    # ---- comparison ----------------------------------------------------------------------------------

    def _relax(self, exp, got):
        """--lenient-parse-errors: for 400 code 3 answers whose reference message is not an etcd message
        (Go's JSON or base64 decoder wording), compare status and code only."""
        if not self.lenient_parse_errors:
            return
        e, g = exp.get("body"), got.get("body")
        if (exp.get("status") == 400 and isinstance(e, dict) and isinstance(g, dict) and e.get("code") == 3
                and g.get("code") == 3 and isinstance(e.get("message"), str)
                and not e["message"].startswith("etcdserver:")):
            for k in ("error", "message"):
                if k in g and k in e:
                    g[k] = e[k]

    def _short(self, expect, n):
        if expect is not None and n < expect:
            return "the reference etcd delivered %d of the %d messages the script expects" % (n, expect)
        return None

    def compare(self, step, exp, got, note=None):
        self.count += 1
        if step.path and step.path.endswith("/lease/timetolive"):
            nz.ttl_tolerance(exp, got)
        self._relax(exp, got)
        if self.record is not None:
            self.record.write(json.dumps({"phase": self.phase, "i": self.count, "name": step.name,
                                          "method": step.method, "path": step.path,
                                          "body": _show_body(step.body, 4000), "etcd": exp}) + "\n")
        if note is None and nz.canon(exp, self.sort_keys) == nz.canon(got, self.sort_keys):
            if self.verbose:
                print("ok   %5d %s" % (self.count, step.name))
            return True
        self.mismatches.append(Mismatch(self.phase, self.count, step, exp, got, note))
        if self.verbose:
            print("DIFF %5d %s" % (self.count, step.name))
        return False

    # ---- execution -----------------------------------------------------------------------------------

    def unary(self, step):
        """Run a Req on both servers in parallel; compare; return (reference raw JSON, equal?)."""
        self.recent.append(step)
        del self.recent[:-3]
        bodies = [s.body_for(step.body) for s in (self.ref, self.sut)]
        for s, b in zip((self.ref, self.sut), bodies):
            s.conn.send(step.method, step.path, b, step.headers or {})
        ra = self.ref.conn.recv()
        rb = self.sut.conn.recv()
        if ra.status is None or rb.status is None:
            self._check_alive(step)
        exp, raw = self._norm_unary(self.ref, step, ra)
        got, _ = self._norm_unary(self.sut, step, rb)
        ok = self.compare(step, exp, got)
        return raw, ok

    def _check_alive(self, step):
        for side in (self.ref, self.sut):
            if not side.server.alive():
                raise ServerDied(side.server, step)

    def stream(self, step):
        """Run a Stream on both servers; returns (reference messages raw, equal?)."""
        streams = []
        try:
            for s in (self.ref, self.sut):
                streams.append(client.Stream(s.server.client_port, step.method, step.path, s.body_for(step.body),
                                             step.headers or {}))
        except OSError:
            for st in streams:
                st.close()
            self._check_alive(step)
            raise
        self._read_pair(streams, step.expect, step.quiet, step.deadline)
        raw = list(streams[0].messages)
        exp = self._norm_messages(self.ref, step.path, streams[0].messages, streams[0].status, streams[0].ctype,
                                  streams[0].eof)
        got = self._norm_messages(self.sut, step.path, streams[1].messages, streams[1].status, streams[1].ctype,
                                  streams[1].eof)
        note = self._short(step.expect, len(streams[0].messages))
        ok = self.compare(step, exp, got, note)
        if step.hold:
            for s, st in zip((self.ref, self.sut), streams):
                s.held[step.hold] = (st, step.path, len(st.messages))
        else:
            for st in streams:
                st.close()
        return raw, ok

    def read(self, step):
        pair = [s.held.get(step.hold) for s in (self.ref, self.sut)]
        if None in pair:
            raise RuntimeError("script error: no held stream %r" % step.hold)
        streams = [p[0] for p in pair]
        expect = None
        if step.expect is not None:
            expect = [pair[0][2] + step.expect, pair[1][2] + step.expect]
        self._read_pair(streams, expect, step.quiet, step.deadline, since=(pair[0][2], pair[1][2]))
        path = pair[0][1]
        res = []
        for s, (st, _, since) in zip((self.ref, self.sut), pair):
            res.append(self._norm_messages(s, path, st.messages[since:], st.status, st.ctype, st.eof))
            s.held[step.hold] = (st, path, len(st.messages))
        step.path = path
        raw = list(streams[0].messages[pair[0][2]:])
        return raw, self.compare(step, res[0], res[1], self._short(step.expect, len(raw)))

    def close(self, step):
        for s in (self.ref, self.sut):
            p = s.held.pop(step.hold, None)
            if p:
                p[0].close()

    def _read_pair(self, streams, expect, quiet, deadline, since=(0, 0)):
        """Read both; then, if the SUT has fewer messages than the reference, give it until the deadline to
        catch up (a slower SUT is not a mismatch; a missing or extra message is)."""
        if expect is None:
            expect = [None, None]
        elif not isinstance(expect, list):
            expect = [expect, expect]
        end = time.monotonic() + deadline
        client.read_streams(streams, expect, quiet, end)
        a, b = streams
        want = since[1] + len(a.messages) - since[0]
        if len(b.messages) < want and not b.eof:
            client.read_streams([b], [want], quiet, end)

    def run(self, step):
        if step.kind == "unary":
            return self.unary(step)
        if step.kind == "stream":
            return self.stream(step)
        if step.kind == "read":
            return self.read(step)
        if step.kind == "close":
            self.close(step)
            return None, True
        raise RuntimeError("unknown step kind %r" % step.kind)

    def close_all(self):
        self.ref.close()
        self.sut.close()

    # ---- reporting -----------------------------------------------------------------------------------

    def report(self, limit, out=sys.stdout):
        for m in self.mismatches[:limit]:
            st = m.step
            out.write("\n==== MISMATCH #%d (%s phase, step %d): %s\n" % (self.mismatches.index(m) + 1, m.phase,
                                                                       m.index, st.name))
            if st.kind in ("unary", "stream"):
                out.write("request:  %s %s %s\n" % (st.method, st.path, _show_body(st.body, 1500)))
            elif st.kind == "read":
                out.write("request:  more messages from held stream %r (%s)\n" % (st.hold, st.path))
            if m.note:
                out.write("note:     %s\n" % m.note)
            where = nz.first_difference(m.exp, m.got)
            if where:
                out.write("first difference: %s\n" % where)
            out.write("expected (etcd, normalised):\n%s\n" % nz.pretty(m.exp, self.sort_keys))
            out.write("got (sut, normalised):\n%s\n" % nz.pretty(m.got, self.sort_keys))
            d = nz.diff_text(m.exp, m.got, self.sort_keys)
            if d:
                out.write("diff:\n%s\n" % d)
            elif not self.sort_keys:
                out.write("diff: same values, different key order (use --ignore-key-order to accept)\n")
        if len(self.mismatches) > limit:
            out.write("\n... %d more mismatches not shown (--max-diffs)\n" % (len(self.mismatches) - limit))


def _show_body(body, limit):
    if len(body) > limit:
        return "%s... (%d bytes)" % (body[:200].decode("utf-8", "replace"), len(body))
    return body.decode("utf-8", "replace")
