"""Normalisation and comparison of answers for etcd_diff.py.

Each answer becomes a plain value {"status", "content_type", "body" | "messages", ...}; the only edits made to
it are the ones listed in docs/kvstore-differential.md ("Normalisation"), each applied by one function here.
"""

import base64
import difflib
import hashlib
import json
import re

# Header fields that identify a particular server or raft election, not the data (one etcd differs from the next).
DROP_HEADER_FIELDS = ("cluster_id", "member_id", "raft_term")

# /metrics: families that must exist; of these, the ones in METRIC_VALUES must also have equal values.
REQUIRED_METRICS = ("etcd_server_has_leader", "etcd_server_is_leader", "etcd_mvcc_db_total_size_in_bytes",
                    "etcd_debugging_mvcc_current_revision", "etcd_debugging_mvcc_compact_revision")
METRIC_VALUES = ("etcd_server_has_leader", "etcd_server_is_leader", "etcd_debugging_mvcc_current_revision",
                 "etcd_debugging_mvcc_compact_revision")

_INT_RE = re.compile(r"^-?[0-9]+$")
_VERSION_RE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+")


def parse_body(ctype, body):
    """JSON when it parses (whatever the Content-Type says; the content type is compared on its own)."""
    text = body.decode("utf-8", "replace")
    if text.strip() == "":
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def strip_headers(obj):
    """Remove DROP_HEADER_FIELDS from every object stored under a "header" key, at any depth."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "header" and isinstance(v, dict):
                for f in DROP_HEADER_FIELDS:
                    v.pop(f, None)
            strip_headers(v)
    elif isinstance(obj, list):
        for v in obj:
            strip_headers(v)
    return obj


def _int_placeholder(d, key, placeholder):
    if key in d and isinstance(d[key], str) and _INT_RE.match(d[key]):
        d[key] = placeholder


def norm_status(body):
    """maintenance/status: keep header.revision and the field set; mask values that describe the process and
    not the data: version (the SUT reports its own), dbSize/dbSizeInUse (file layout), raftIndex/
    raftAppliedIndex/raftTerm (raft internals); leader becomes <self> when it is this member."""
    if not isinstance(body, dict) or "header" not in body:
        return body
    me = body.get("header", {}).get("member_id")
    if isinstance(body.get("version"), str) and _VERSION_RE.match(body["version"]):
        body["version"] = "<version>"
    for k in ("dbSize", "dbSizeInUse"):
        _int_placeholder(body, k, "<bytes>")
    for k in ("raftIndex", "raftAppliedIndex", "raftTerm"):
        _int_placeholder(body, k, "<int>")
    if me is not None and body.get("leader") == me:
        body["leader"] = "<self>"
    return body


def norm_members(body, server):
    """cluster/member/list: the member's ID becomes <self> when it is the answering member; its own client and
    peer URLs become <client-url>/<peer-url> (ports differ). Any other value stays and is compared."""
    if not isinstance(body, dict):
        return body
    me = body.get("header", {}).get("member_id")
    for m in body.get("members", []) or []:
        if not isinstance(m, dict):
            continue
        if me is not None and m.get("ID") == me:
            m["ID"] = "<self>"
        for field, own, ph in (("clientURLs", server.client_url, "<client-url>"),
                               ("peerURLs", server.peer_url, "<peer-url>")):
            if isinstance(m.get(field), list):
                m[field] = [ph if u == own else u for u in m[field]]
    return body


def norm_ttl_keys(body):
    """lease/timetolive: etcd lists attached keys in Go map order (random); sort them."""
    if isinstance(body, dict) and isinstance(body.get("keys"), list):
        body["keys"] = sorted(body["keys"], key=lambda k: str(k))
    return body


def norm_aliases(obj, aliases):
    """Replace server-chosen lease IDs captured earlier (value -> "<name>") in fields ID and lease."""
    if not aliases:
        return obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("ID", "lease") and isinstance(v, str) and v in aliases:
                obj[k] = aliases[v]
            else:
                norm_aliases(v, aliases)
    elif isinstance(obj, list):
        for v in obj:
            norm_aliases(v, aliases)
    return obj


def summarize_metrics(text):
    """/metrics: only the presence of REQUIRED_METRICS and the values of METRIC_VALUES are compared."""
    if not isinstance(text, str):
        return {"<not text>": True}
    seen = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name = re.split(r"[{ ]", line, 1)[0]
        if name in REQUIRED_METRICS and name not in seen:
            seen[name] = line.rsplit(" ", 1)[-1]
    out = {}
    for name in REQUIRED_METRICS:
        if name not in seen:
            out[name] = "<missing>"
        elif name in METRIC_VALUES:
            out[name] = seen[name]
        else:
            out[name] = "<present>"
    return out


def summarize_snapshot(messages, eof):
    """maintenance/snapshot: the bytes differ (bbolt vs the SUT's file), so check the framing instead:
    field sets of the result objects, remaining_bytes counting down to 0 over the data blobs, a final
    32-byte blob equal to sha256 of all data before it (what `etcdctl snapshot restore` verifies), end of
    stream."""
    problems = []
    field_sets = []
    blobs = []
    remaining = []
    for m in messages:
        r = m.get("result") if isinstance(m, dict) else None
        if not isinstance(r, dict):
            problems.append("message without result object: %s" % json.dumps(m)[:200])
            continue
        keys = list(r.keys())
        if keys not in field_sets:
            field_sets.append(keys)
        try:
            blobs.append(base64.b64decode(r.get("blob", ""), validate=True))
        except ValueError:
            problems.append("blob is not base64")
            blobs.append(b"")
        remaining.append(int(r.get("remaining_bytes", "0")))
    if len(blobs) >= 2:
        data = blobs[:-1]
        total = sum(len(b) for b in data)
        sent = 0
        for i, b in enumerate(data):
            sent += len(b)
            if remaining[i] != total - sent:
                problems.append("remaining_bytes of message %d is %d, expected %d" % (i, remaining[i], total - sent))
                break
        if remaining[-1] != 0:
            problems.append("last message has remaining_bytes %d" % remaining[-1])
        if blobs[-1] != hashlib.sha256(b"".join(data)).digest():
            problems.append("last blob is not sha256 of the data blobs")
    else:
        problems.append("fewer than 2 messages (%d)" % len(blobs))
    return {"field_sets": field_sets, "eof": eof, "problems": problems}


def group_watch(messages):
    """/v3/watch: messages of different watch ids (and watch_id -1 control answers) interleave in an order
    etcd does not fix; keep the order within each id, compare the ids in numeric order."""
    groups = {}
    for m in messages:
        wid = "0"
        if isinstance(m, dict) and isinstance(m.get("result"), dict):
            wid = str(m["result"].get("watch_id", "0"))
        groups.setdefault(wid, []).append(m)

    def keyf(w):
        return (0, int(w)) if _INT_RE.match(w) else (1, w)
    return [[w, groups[w]] for w in sorted(groups, key=keyf)]


def ttl_tolerance(exp, got):
    """lease/timetolive "TTL" is the remaining time, truncated to seconds, read at slightly different moments
    on the two servers: accept a difference of one second (copy the reference value over)."""
    e, g = exp.get("body"), got.get("body")
    if not (isinstance(e, dict) and isinstance(g, dict)):
        return
    try:
        te, tg = int(e.get("TTL", "0")), int(g.get("TTL", "0"))
    except (TypeError, ValueError):
        return
    if te >= 0 and tg >= 0 and abs(te - tg) <= 1:
        if "TTL" in e:
            g["TTL"] = e["TTL"]
        else:
            g.pop("TTL", None)


def canon(v, sort_keys=False):
    return json.dumps(v, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False)


def pretty(v, sort_keys=False, limit=6000):
    s = json.dumps(v, sort_keys=sort_keys, indent=1, ensure_ascii=False)
    if len(s) > limit:
        s = s[:limit] + "\n... (%d more characters)" % (len(s) - limit)
    return s


def first_difference(a, b, path="answer"):
    """The path of the first place where a and b differ (key order included), or None."""
    if type(a) is not type(b):
        return "%s: %s vs %s" % (path, type(a).__name__, type(b).__name__)
    if isinstance(a, dict):
        ka, kb = list(a), list(b)
        for k in ka:
            if k not in b:
                return "%s.%s: missing in the SUT's answer" % (path, k)
        for k in kb:
            if k not in a:
                return "%s.%s: only in the SUT's answer" % (path, k)
        for k in ka:
            d = first_difference(a[k], b[k], "%s.%s" % (path, k))
            if d:
                return d
        if ka != kb:
            return "%s: key order %s vs %s" % (path, ka, kb)
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, "%s[%d]" % (path, i))
            if d:
                return d
        if len(a) != len(b):
            return "%s: %d vs %d elements" % (path, len(a), len(b))
        return None
    if a != b:
        return "%s: %s vs %s" % (path, json.dumps(a)[:200], json.dumps(b)[:200])
    return None


def diff_text(exp, got, sort_keys=False):
    a = json.dumps(exp, sort_keys=sort_keys, indent=1, ensure_ascii=False).splitlines()
    b = json.dumps(got, sort_keys=sort_keys, indent=1, ensure_ascii=False).splitlines()
    lines = list(difflib.unified_diff(a, b, "etcd (reference)", "sut", n=2, lineterm=""))
    if len(lines) > 80:
        lines = lines[:80] + ["... (%d more diff lines)" % (len(lines) - 80)]
    return "\n".join(lines)
