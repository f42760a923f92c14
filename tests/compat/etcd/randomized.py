"""The seeded random run of etcd_diff.py: mixed puts, deletes, txns with random compares, ranges at old
revisions, compactions, lease operations and watches from old revisions, sent to both servers in lock-step.

A small model (which keys exist, their leases, and the (revision, key, type) of every event) is updated from the
reference etcd's answers. It does not predict answers -- etcd does -- it tells how many events a watch must
deliver, and checks that etcd's revisions are what the harness believes (a failed check is a harness error).
"""

import base64
import json
import time

from . import client
from . import normalize as nz
from .runner import Req, Stream

KEYS = [b"x/%02d" % i for i in range(40)]
VALUES = [b"", b"a", b"b", b"c", b"\x00\xff", b"long-" * 8]
LEASES = (7001, 7002, 7003, 7004)
JSON = {"Content-Type": "application/json"}
MAX_OPEN_WATCHES = 16
# A watch stays open for this many operations (other operations may add live events to it) before it is read
# and compared. etcd serves watchers that start in the past from a loop that runs every 100 ms; at about 1.5 ms
# per operation, 60+ operations let that loop run, so reading rarely waits.
WATCH_LIFE = (60, 400)
HISTORY_WINDOW = 200  # watches start at most this many revisions back (etcd batches <= 1000 revisions)
SORT_SPAN = 12  # Go sorts <= 12 elements with insertion sort (stable); larger sorts are pdqsort (not stable)


class HarnessError(Exception):
    """The reference etcd disagreed with the harness's model: a bug in the harness (or in etcd)."""


def B(x):
    return base64.b64encode(x).decode()


def unb(s):
    return base64.b64decode(s) if s else b""


def in_range(k, key, end):
    if not end:
        return k == key
    if end == b"\x00":
        return k >= key
    return key <= k < end


class Model:
    def __init__(self, rev, compact_rev):
        self.rev = rev
        self.compact_rev = compact_rev
        self.base_rev = rev  # events before this are unknown to the model
        self.live = {}  # key -> lease id (0: none)
        self.events = []  # (rev, key, "PUT" | "DELETE")
        self.leases = set()  # granted by the random run and not revoked

    def _commit(self, pending, resp, what):
        if pending:
            self.rev += 1
            for key, typ in pending:
                self.events.append((self.rev, key, typ))
        got = int(resp.get("header", {}).get("revision", "0"))
        if got != self.rev:
            raise HarnessError("after %s etcd is at revision %d, the model at %d" % (what, got, self.rev))

    def _put(self, req, pending):
        key = unb(req.get("key"))
        if req.get("ignore_lease"):
            lease = self.live.get(key, 0)
        else:
            lease = int(req.get("lease", "0"))
        self.live[key] = lease
        pending.append((key, "PUT"))

    def _delete(self, req, pending):
        key, end = unb(req.get("key")), unb(req.get("range_end"))
        gone = sorted(k for k in self.live if in_range(k, key, end))
        for k in gone:
            del self.live[k]
            pending.append((k, "DELETE"))
        return len(gone)

    def put(self, req, resp):
        pending = []
        self._put(req, pending)
        self._commit(pending, resp, "put")

    def delete(self, req, resp):
        pending = []
        n = self._delete(req, pending)
        if int(resp.get("deleted", "0")) != n:
            raise HarnessError("deleterange removed %s keys, the model expected %d" % (resp.get("deleted"), n))
        self._commit(pending, resp, "deleterange")

    def txn(self, req, resp):
        pending = []
        self._txn(req, resp, pending)
        self._commit(pending, resp, "txn")

    def _txn(self, req, resp, pending):
        branch = req.get("success", []) if resp.get("succeeded") else req.get("failure", [])
        responses = resp.get("responses", [])
        if len(responses) != len(branch):
            raise HarnessError("txn answered %d responses for %d ops" % (len(responses), len(branch)))
        for op, r in zip(branch, responses):
            if "request_put" in op:
                self._put(op["request_put"], pending)
            elif "request_delete_range" in op:
                n = self._delete(op["request_delete_range"], pending)
                got = int(r.get("response_delete_range", {}).get("deleted", "0"))
                if got != n:
                    raise HarnessError("txn deleterange removed %d keys, the model expected %d" % (got, n))
            elif "request_txn" in op:
                self._txn(op["request_txn"], r.get("response_txn", {}), pending)

    def revoke(self, lease, resp):
        pending = []
        gone = sorted(k for k, l in self.live.items() if l == lease)
        for k in gone:
            del self.live[k]
            pending.append((k, "DELETE"))
        self.leases.discard(lease)
        self._commit(pending, resp, "lease revoke")

    def watch_events(self, start, key, end, filters):
        n = 0
        for rev, k, typ in self.events:
            if rev < start or not in_range(k, key, end):
                continue
            if (typ == "PUT" and "NOPUT" in filters) or (typ == "DELETE" and "NODELETE" in filters):
                continue
            n += 1
        return n


def _ops_of(txn):
    for branch in ("success", "failure"):
        for op in txn.get(branch, []):
            yield op
            if "request_txn" in op:
                yield from _ops_of(op["request_txn"])


def _has_delete(txn):
    return any("request_delete_range" in op for op in _ops_of(txn))


def _strip_ignore(txn):
    """etcd 3.4.23 checks ignore_value/ignore_lease puts against the state before the txn, and its duplicate-key
    check misses a put inside an earlier delete whose range_end is "\0"; such a txn passes the checks, the put
    then finds its key gone and etcd panics ("unexpected error during txn"). Never send that: in a txn that
    deletes anything, puts carry a value and no ignore_* flag."""
    for op in _ops_of(txn):
        p = op.get("request_put")
        if p is not None:
            if p.pop("ignore_value", None):
                p["value"] = B(b"iv")
            p.pop("ignore_lease", None)


class OpenWatch:
    def __init__(self, step, streams, start, key, end, filters, canceled, until):
        self.step = step
        self.streams = streams
        self.start = start
        self.key = key
        self.end = end
        self.filters = filters
        self.canceled = canceled
        self.until = until  # op index at which it is read and compared
        # range_end (other than "\0") not after key: etcd refuses the watch at once (watch_id -1)
        self.empty = bool(end) and end != b"\x00" and key >= end


def flat_watch(messages):
    """Random-run watches stay open while other operations run, so how etcd splits events into messages
    depends on timing (unsynced watchers are served by a 100 ms loop). Compare the messages without events
    as they are, and the events as one flat sequence."""
    others, events = [], []
    for m in messages:
        r = m.get("result") if isinstance(m, dict) else None
        if isinstance(r, dict) and "events" in r:
            events.extend(r["events"])
            rest = {k: v for k, v in r.items() if k not in ("events", "header")}
            if rest:
                others.append({"result": rest})
        else:
            others.append(m)
    return others, events


class Random:
    def __init__(self, runner, rnd, stop_after=20):
        self.r = runner
        self.rnd = rnd
        self.stop_after = stop_after
        self.stats = {}
        self.model = None
        self.watches = []
        self.i = 0

    # ---- helpers -----------------------------------------------------------------------------------------

    def _count(self, what):
        self.stats[what] = self.stats.get(what, 0) + 1

    def _unary(self, what, path, body):
        self._count(what)
        step = Req("random #%d %s" % (self.i, what), path, body)
        raw, _ = self.r.unary(step)
        return raw if isinstance(raw, dict) else {}

    def _ok(self, raw):
        return isinstance(raw, dict) and "header" in raw and "error" not in raw

    def _key(self):
        return self.rnd.choice(KEYS)

    def _range(self, narrow=False):
        rnd = self.rnd
        i = rnd.randrange(len(KEYS))
        if narrow:
            j = min(len(KEYS), i + rnd.randint(1, SORT_SPAN))
            return KEYS[i], (KEYS[j] if j < len(KEYS) else b"x0")
        c = rnd.random()
        if c < 0.35:
            return KEYS[i], b""
        if c < 0.70:
            j = min(len(KEYS), i + rnd.randint(1, 15))
            return KEYS[i], (KEYS[j] if j < len(KEYS) else b"x0")
        if c < 0.80:
            return KEYS[i], b"\x00"
        if c < 0.88:
            return b"x/", b"x0"
        if c < 0.93:
            return b"\x00", b"\x00"
        if c < 0.97:
            return KEYS[i] + b"\x00", KEYS[i]  # end before key: empty
        return b"x/" + bytes([rnd.randrange(256)]), b""

    def _value(self):
        return self.rnd.choice(VALUES)

    def _lease(self):
        c = self.rnd.random()
        if c < 0.6 or not self.model.leases:
            return 0
        if c < 0.97:
            return self.rnd.choice(sorted(self.model.leases))
        return self.rnd.choice((424242, 7009))  # never granted

    def _put_req(self):
        rnd = self.rnd
        d = {"key": B(self._key())}
        c = rnd.random()
        if c < 0.05:
            d["ignore_value"] = True
        else:
            d["value"] = B(self._value())
        lease = self._lease()
        if rnd.random() < 0.05:
            d["ignore_lease"] = True
        elif lease:
            d["lease"] = str(lease)
        if rnd.random() < 0.3:
            d["prev_kv"] = True
        return d

    def _del_req(self):
        key, end = self._range()
        d = {"key": B(key)}
        if end:
            d["range_end"] = B(end)
        if self.rnd.random() < 0.5:
            d["prev_kv"] = True
        return d

    def _old_rev(self):
        m = self.model
        lo = max(m.compact_rev, 1)
        return self.rnd.randint(lo, m.rev) if m.rev >= lo else m.rev

    def _range_req(self, in_txn=False):
        rnd = self.rnd
        m = self.model
        sort = rnd.random() < 0.25
        target = rnd.choice(("KEY", "VERSION", "CREATE", "MOD", "VALUE")) if sort else "KEY"
        key, end = self._range(narrow=sort and target != "KEY")
        d = {"key": B(key)}
        if end:
            d["range_end"] = B(end)
        if rnd.random() < 0.3:
            d["limit"] = str(rnd.randint(0, 5))
        if sort:
            d["sort_target"] = target
            d["sort_order"] = rnd.choice(("NONE", "ASCEND", "DESCEND"))
        if rnd.random() < 0.1:
            d["keys_only"] = True
        if rnd.random() < 0.1:
            d["count_only"] = True
        if rnd.random() < 0.15:
            f = rnd.choice(("min_mod_revision", "max_mod_revision", "min_create_revision", "max_create_revision"))
            d[f] = str(rnd.randint(max(1, m.rev - 60), m.rev + 1))
        c = rnd.random()
        if c < 0.45:
            pass
        elif c < 0.85:
            d["revision"] = str(self._old_rev())
        elif c < 0.92 and m.compact_rev > 1:
            d["revision"] = str(rnd.randint(1, m.compact_rev - 1))  # compacted
        elif not in_txn or c < 0.95:
            d["revision"] = str(m.rev + rnd.choice((1, 2, 1000)))  # future
        if rnd.random() < 0.1:
            d["serializable"] = True
        return d

    def _compare(self):
        rnd = self.rnd
        m = self.model
        key, end = (self._key(), b"") if rnd.random() < 0.85 else self._range()
        target = rnd.choice(("VERSION", "CREATE", "MOD", "VALUE", "LEASE"))
        d = {"key": B(key), "target": target, "result": rnd.choice(("EQUAL", "GREATER", "LESS", "NOT_EQUAL"))}
        if end:
            d["range_end"] = B(end)
        if target == "VERSION":
            d["version"] = str(rnd.randint(0, 4))
        elif target == "CREATE":
            d["create_revision"] = str(rnd.randint(max(0, m.rev - 40), m.rev + 1))
        elif target == "MOD":
            d["mod_revision"] = str(rnd.randint(max(0, m.rev - 40), m.rev + 1))
        elif target == "VALUE":
            d["value"] = B(self._value())
        else:
            d["lease"] = str(rnd.choice((0,) + LEASES))
        return d

    def _ops(self, depth):
        out = []
        for _ in range(self.rnd.randint(0, 3)):
            c = self.rnd.random()
            if c < 0.4:
                out.append({"request_put": self._put_req()})
            elif c < 0.6:
                out.append({"request_delete_range": self._del_req()})
            elif c < 0.9 or depth >= 2:
                out.append({"request_range": self._range_req(in_txn=True)})
            else:
                out.append({"request_txn": self._txn_tree(depth + 1)})
        return out

    def _txn_req(self, depth=0):
        d = self._txn_tree(depth)
        if depth == 0 and _has_delete(d):
            _strip_ignore(d)  # see _strip_ignore: etcd 3.4 can crash on these
        return d

    def _txn_tree(self, depth):
        d = {}
        cmps = [self._compare() for _ in range(self.rnd.randint(0, 3))]
        if cmps:
            d["compare"] = cmps
        s, f = self._ops(depth), self._ops(depth)
        if s:
            d["success"] = s
        if f:
            d["failure"] = f
        return d

    # ---- operations ----------------------------------------------------------------------------------

    def op_put(self):
        d = self._put_req()
        raw = self._unary("put", "/v3/kv/put", d)
        if self._ok(raw):
            self.model.put(d, raw)

    def op_delete(self):
        d = self._del_req()
        raw = self._unary("delete", "/v3/kv/deleterange", d)
        if self._ok(raw):
            self.model.delete(d, raw)

    def op_txn(self):
        d = self._txn_req()
        raw = self._unary("txn", "/v3/kv/txn", d)
        if self._ok(raw):
            self.model.txn(d, raw)

    def op_range(self):
        raw = self._unary("range", "/v3/kv/range", self._range_req())
        if self._ok(raw) and int(raw["header"].get("revision", "0")) != self.model.rev:
            raise HarnessError("range answered revision %s, the model is at %d" % (raw["header"].get("revision"),
                                                                                    self.model.rev))

    def op_compact(self):
        m = self.model
        rnd = self.rnd
        # A compaction above the start of a watch still catching up would cancel it or not depending on timing.
        # A canceled watch reports the compacted revision current when etcd cancels it (in its 100 ms loop):
        # wait for every cancel still on its way before compacting. (Waiting, not skipping, keeps the
        # sequence of operations a function of the seed alone.)
        bound = m.rev
        for w in self.watches:
            if w.canceled and not w.empty:
                client.wait_for(w.streams, lambda s: len(s.messages) >= 2, time.monotonic() + 3.0)
            if w.start > 0 and not w.canceled and not w.empty:
                bound = min(bound, w.start - 1)
        c = rnd.random()
        if c < 0.1:
            rev = rnd.choice((m.compact_rev, max(0, m.compact_rev - 1), m.rev + 1, m.rev + 100))
        elif bound > m.compact_rev:
            rev = m.compact_rev + rnd.randint(1, max(1, (bound - m.compact_rev) // 2))
        else:
            return self.op_range()
        d = {"revision": str(rev)}
        if rnd.random() < 0.3:
            d["physical"] = True
        raw = self._unary("compaction", "/v3/kv/compaction", d)
        if self._ok(raw):
            if rev <= m.compact_rev or rev > m.rev:
                raise HarnessError("compaction at %d accepted (compacted %d, current %d)" % (rev, m.compact_rev,
                                                                                              m.rev))
            m.compact_rev = rev

    def op_lease(self):
        rnd = self.rnd
        m = self.model
        lease = rnd.choice(LEASES + (424242,))
        c = rnd.random()
        if c < 0.3:
            self._unary("timetolive", "/v3/lease/timetolive", {"ID": str(lease), "keys": rnd.random() < 0.7})
        elif c < 0.5:
            self._unary("leases", "/v3/lease/leases", {})
        elif c < 0.75:
            self._count("keepalive")
            self.r.stream(Stream("random #%d keepalive" % self.i, "/v3/lease/keepalive", {"ID": str(lease)},
                                 quiet=0.05, deadline=3.0))
        else:
            raw = self._unary("revoke", "/v3/lease/revoke", {"ID": str(lease)})
            if self._ok(raw):
                m.revoke(lease, raw)
            if lease in LEASES:
                raw = self._unary("grant", "/v3/lease/grant", {"ID": str(lease), "TTL": "3600"})
                if self._ok(raw):
                    m.leases.add(lease)

    def op_status(self):
        raw = self._unary("status", "/v3/maintenance/status", {})
        if self._ok(raw) and int(raw["header"].get("revision", "0")) != self.model.rev:
            raise HarnessError("status answered revision %s, the model is at %d" % (raw["header"].get("revision"),
                                                                                     self.model.rev))

    def op_watch(self):
        rnd = self.rnd
        m = self.model
        if len(self.watches) >= MAX_OPEN_WATCHES:
            return self.op_range()
        key, end = self._range()
        d = {"key": B(key)}
        if end:
            d["range_end"] = B(end)
        c = rnd.random()
        canceled = False
        lo = max(m.compact_rev + 1, m.base_rev + 1, m.rev - HISTORY_WINDOW)
        if c < 0.7 and m.rev >= lo:
            start = rnd.randint(lo, m.rev)
        elif c < 0.8:
            start = m.rev + 1
        elif c < 0.88:
            start = 0
        elif m.compact_rev > 1:
            start = rnd.randint(1, m.compact_rev - 1)
            canceled = True
        else:
            start = m.rev + rnd.randint(1, 5)
        if start:
            d["start_revision"] = str(start)
        if rnd.random() < 0.4:
            d["prev_kv"] = True
        filters = []
        if rnd.random() < 0.2:
            filters = rnd.sample(["NOPUT", "NODELETE"], rnd.randint(1, 2))
            d["filters"] = filters
        self._count("watch")
        body = json.dumps({"create_request": d}, separators=(",", ":")).encode()
        step = Stream("random #%d watch" % self.i, "/v3/watch", body)
        streams = [client.Stream(s.server.client_port, "POST", "/v3/watch", body, JSON)
                   for s in (self.r.ref, self.r.sut)]
        # wait for "created" on both before going on: a watch without start_revision starts when the server
        # registers it, and must not race with the next write
        client.wait_for(streams, lambda s: len(s.messages) >= 1, time.monotonic() + 3.0)
        until = self.i + rnd.randint(*WATCH_LIFE)
        self.watches.append(OpenWatch(step, streams, start if start else m.rev + 1, key, end, filters, canceled,
                                      until))

    # ---- watches -------------------------------------------------------------------------------------

    def _poll_watches(self):
        client.pump([s for w in self.watches for s in w.streams], 0.0)

    def _finish_watch(self, w):
        m = self.model
        expect_events = 0 if w.canceled else m.watch_events(w.start, w.key, w.end, w.filters)
        a, b = w.streams

        def nevents(s):
            return sum(len(x.get("result", {}).get("events", [])) for x in s.messages if isinstance(x, dict))

        def complete(s):
            if w.empty:
                return len(s.messages) >= 1  # one answer: created and canceled, "watcher range is empty"
            if w.canceled:
                return len(s.messages) >= 2
            return bool(s.messages) and nevents(s) >= expect_events

        # read until both have every event the model expects (or 3 s passed), then take whatever else has
        # arrived: the watch has been open for WATCH_LIFE ops, so extra messages would be here by now
        client.wait_for([a, b], complete, time.monotonic() + 3.0)
        client.pump([a, b], 0.0)
        exp = self._watch_value(a)
        got = self._watch_value(b)
        for s in (a, b):
            s.close()
        self.r.compare(w.step, exp, got)
        if not w.canceled and not w.empty and nevents(a) != expect_events:
            raise HarnessError("etcd delivered %d events for watch %s, the model expected %d" %
                               (nevents(a), w.step.body.decode(), expect_events))

    def _watch_value(self, s):
        msgs = [nz.strip_headers(json.loads(json.dumps(x))) for x in s.messages]
        others, events = flat_watch(msgs)
        return {"status": s.status, "content_type": s.ctype, "messages": others, "events": events, "eof": s.eof}

    def _due_watches(self, final=False):
        due = [w for w in self.watches if final or w.until <= self.i]
        for w in due:
            self.watches.remove(w)
            self._finish_watch(w)

    # ---- main loop -----------------------------------------------------------------------------------

    def _setup(self):
        raw = self._unary("setup", "/v3/kv/range", {"key": B(b"x/"), "range_end": B(b"x0"), "count_only": True})
        if not self._ok(raw):
            raise HarnessError("cannot read the starting revision: %r" % raw)
        if "count" in raw:
            raise HarnessError("the random run needs an empty x/ prefix")
        rev = int(raw["header"]["revision"])
        # compact at the current revision: the model then knows the compacted revision exactly
        raw = self._unary("setup", "/v3/kv/compaction", {"revision": str(rev)})
        self.model = Model(rev, rev)
        for lease in LEASES:
            raw = self._unary("grant", "/v3/lease/grant", {"ID": str(lease), "TTL": "3600"})
            if self._ok(raw):
                self.model.leases.add(lease)

    def run(self, nops):
        self._setup()
        table = ((28, self.op_put), (8, self.op_delete), (20, self.op_txn), (30, self.op_range),
                 (1, self.op_compact), (3, self.op_watch), (3, self.op_lease), (1, self.op_status))
        total = sum(w for w, _ in table)
        done = 0
        try:
            for self.i in range(nops):
                x = self.rnd.random() * total
                for w, fn in table:
                    if x < w:
                        fn()
                        break
                    x -= w
                done += 1
                if self.i % 10 == 0:
                    self._poll_watches()
                self._due_watches()
                if len(self.r.mismatches) >= self.stop_after:
                    print("random: stopping after %d mismatches" % len(self.r.mismatches))
                    break
        finally:
            if self.model is not None:
                self._due_watches(final=True)
            for w in self.watches:
                for s in w.streams:
                    s.close()
        return done
