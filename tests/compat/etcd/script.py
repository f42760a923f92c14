"""The scripted sequence of etcd_diff.py: every JSON-gateway endpoint of etcd 3.4 and every error case it gives,
run in this order on a fresh reference etcd and a fresh SUT. Nothing here depends on time except what the
normalisation of timetolive covers; leases live 600 s and short ones are revoked at once.
"""

import base64

from .runner import Close, Read, Req, Stream

MAX_REQUEST = 1572864  # etcd --max-request-bytes default (1.5 MiB)
MAX_RECV = MAX_REQUEST + 524288  # gRPC receive limit: request bytes + 512 KiB overhead (2 MiB)


def B(x):
    if isinstance(x, str):
        x = x.encode()
    return base64.b64encode(x).decode()


def put(name, key, value="", cap=None, **kw):
    d = {"key": B(key), "value": B(value)}
    d.update(kw)
    return Req(name, "/v3/kv/put", d, capture_rev=cap)


def rng(name, key, range_end=None, cap=None, **kw):
    d = {"key": B(key)}
    if range_end is not None:
        d["range_end"] = B(range_end)
    d.update(kw)
    return Req(name, "/v3/kv/range", d, capture_rev=cap)


def dele(name, key, range_end=None, **kw):
    d = {"key": B(key)}
    if range_end is not None:
        d["range_end"] = B(range_end)
    d.update(kw)
    return Req(name, "/v3/kv/deleterange", d)


def txn(name, compare=(), success=(), failure=()):
    d = {}
    if compare:
        d["compare"] = list(compare)
    if success:
        d["success"] = list(success)
    if failure:
        d["failure"] = list(failure)
    return Req(name, "/v3/kv/txn", d)


def cmp(key, target, result, **kw):
    d = {"key": B(key), "target": target, "result": result}
    d.update(kw)
    return d


def op_put(key, value="", **kw):
    d = {"key": B(key), "value": B(value)}
    d.update(kw)
    return {"request_put": d}


def op_range(key, range_end=None, **kw):
    d = {"key": B(key)}
    if range_end is not None:
        d["range_end"] = B(range_end)
    d.update(kw)
    return {"request_range": d}


def op_del(key, range_end=None, **kw):
    d = {"key": B(key)}
    if range_end is not None:
        d["range_end"] = B(range_end)
    d.update(kw)
    return {"request_delete_range": d}


def op_txn(compare=(), success=(), failure=()):
    d = {}
    if compare:
        d["compare"] = list(compare)
    if success:
        d["success"] = list(success)
    if failure:
        d["failure"] = list(failure)
    return {"request_txn": d}


def watch(name, creates, **kw):
    """A /v3/watch stream whose body holds the given request objects, concatenated."""
    import json
    body = "".join(json.dumps(c, separators=(",", ":")) for c in creates)
    return Stream(name, "/v3/watch", body, **kw)


def wc(key, range_end=None, **kw):
    d = {"key": B(key)}
    if range_end is not None:
        d["range_end"] = B(range_end)
    d.update(kw)
    return {"create_request": d}


def grant(name, ttl, lease_id=None, capture=None):
    d = {"TTL": str(ttl)}
    if lease_id is not None:
        d["ID"] = str(lease_id)
    return Req(name, "/v3/lease/grant", d, capture=capture)


def revoke(name, lease_id):
    return Req(name, "/v3/lease/revoke", {"ID": str(lease_id)})


def ttl(name, lease_id, keys=False):
    d = {"ID": str(lease_id)}
    if keys:
        d["keys"] = True
    return Req(name, "/v3/lease/timetolive", d)


def big_b64(n):
    return B(b"x" * n)


def steps():
    s = []
    a = s.append

    # ---- 0. fresh store --------------------------------------------------------------------------------
    a(Req("health GET", "/health", method="GET", headers={}))
    a(Req("status on a fresh store", "/v3/maintenance/status", {}))
    a(Req("member list", "/v3/cluster/member/list", {}))
    a(Req("member list linearizable", "/v3/cluster/member/list", {"linearizable": True}))
    a(rng("range missing key, fresh store", "a"))
    a(Req("range everything, fresh store", "/v3/kv/range", {"key": "AA==", "range_end": "AA=="}))
    a(watch("watch negative start_revision on an uncompacted store", [wc("a", start_revision="-3")], expect=2))
    a(watch("watch start_revision 1 on a fresh store", [wc("a", start_revision="1")], expect=1))
    a(Req("compaction revision 0 on a fresh store", "/v3/kv/compaction", {}))
    a(Req("compaction revision 1 (current) on a fresh store", "/v3/kv/compaction", {"revision": "1"}))
    a(Req("compaction revision 1 again", "/v3/kv/compaction", {"revision": "1"}))
    a(Req("metrics", "/metrics", method="GET", headers={}))

    # ---- 1. HTTP level ---------------------------------------------------------------------------------
    a(Req("health POST", "/health", {}))
    a(Req("health HEAD", "/health", method="HEAD", headers={}))
    a(Req("health with trailing slash", "/health/", method="GET", headers={}))
    a(Req("range with GET", "/v3/kv/range", method="GET", headers={}))
    a(Req("put with PUT", "/v3/kv/put", {"key": B("a")}, method="PUT"))
    a(Req("range with DELETE", "/v3/kv/range", {"key": B("a")}, method="DELETE"))
    a(Req("range with OPTIONS", "/v3/kv/range", method="OPTIONS", headers={}))
    a(Req("unknown path under /v3/kv", "/v3/kv/nope", {}))
    a(Req("unknown path under /v3", "/v3/nope", {}))
    a(Req("/v3/ itself", "/v3/", {}))
    a(Req("/v3 without slash (redirect)", "/v3", {}))
    a(Req("unknown path outside /v3", "/nope", {}))
    a(Req("root path", "/", method="GET", headers={}))
    a(Req("range with trailing slash", "/v3/kv/range/", {"key": B("a")}))
    a(Req("range with a query string", "/v3/kv/range?x=1", {"key": B("a")}))
    a(Req("double slash (redirect)", "/v3//kv/range", {"key": B("a")}))
    a(Req("range without Content-Type", "/v3/kv/range", {"key": B("a")}, headers={}))
    a(Req("range with Content-Type text/plain", "/v3/kv/range", {"key": B("a")},
          headers={"Content-Type": "text/plain"}))
    a(Req("range with form Content-Type", "/v3/kv/range", {"key": B("a")},
          headers={"Content-Type": "application/x-www-form-urlencoded"}))
    a(Req("metrics with POST", "/metrics", {}))

    # ---- 2. put ----------------------------------------------------------------------------------------
    a(put("put p/a", "p/a", "1"))
    a(put("put p/a again with prev_kv", "p/a", "2", prev_kv=True))
    a(put("put new key p/b with prev_kv (none)", "p/b", "b", prev_kv=True))
    a(put("put empty value", "p/empty", ""))
    a(rng("range empty value (value omitted)", "p/empty"))
    a(put("put binary key and value", b"p/\x00\xff\x01", b"\x00\x01\xfe\xff"))
    a(rng("range binary key", b"p/\x00\xff\x01"))
    a(put("put UTF-8 key", "p/\u00e9\u6f22", "\u2713"))
    a(put("put ignore_value on existing key", "p/a", ignore_value=True, prev_kv=True))
    a(Req("put ignore_value without value field", "/v3/kv/put", {"key": B("p/a"), "ignore_value": True}))
    a(rng("range after ignore_value", "p/a"))
    a(Req("put ignore_value on missing key", "/v3/kv/put", {"key": B("p/none"), "ignore_value": True}))
    a(put("put ignore_value with a value", "p/a", "x", ignore_value=True))
    a(put("put ignore_lease with a lease", "p/a", "x", ignore_lease=True, lease="5"))
    a(put("put ignore_lease on existing key", "p/a", "3", ignore_lease=True))
    a(Req("put ignore_lease on missing key", "/v3/kv/put", {"key": B("p/none"), "ignore_lease": True}))
    a(put("put with a lease never granted", "p/a", "x", lease="777"))
    a(put("put with a negative lease never granted", "p/a", "x", lease="-5"))
    a(put("put with lease as a JSON number", "p/a", "x", lease=777))
    a(Req("put without key", "/v3/kv/put", {"value": B("x")}))
    a(Req("put with empty key", "/v3/kv/put", {"key": "", "value": B("x")}))
    a(Req("put with null key", "/v3/kv/put", {"key": None, "value": B("x")}))
    a(Req("put with null value", "/v3/kv/put", {"key": B("p/null"), "value": None}))
    a(Req("put without value field", "/v3/kv/put", {"key": B("p/novalue")}))
    a(Req("put empty body", "/v3/kv/put", ""))
    a(Req("put body null", "/v3/kv/put", "null"))
    a(Req("put body []", "/v3/kv/put", "[]"))
    a(Req("put body string", "/v3/kv/put", '"x"'))
    a(Req("put body number", "/v3/kv/put", "5"))
    a(Req("put malformed JSON: open brace", "/v3/kv/put", "{"))
    a(Req("put malformed JSON: trailing comma", "/v3/kv/put", '{"key":"cC9h",}'))
    a(Req("put malformed JSON: single quotes", "/v3/kv/put", "{'key':'cC9h'}"))
    a(Req("put malformed JSON: unterminated string", "/v3/kv/put", '{"key":"cC9h'))
    a(Req("put with trailing garbage after the object", "/v3/kv/put", '{"key":"cC90Zw==","value":"eA=="} garbage'))
    a(Req("put two objects in one body", "/v3/kv/put",
          '{"key":"cC8y","value":"MQ=="}{"key":"cC8z","value":"MQ=="}'))
    a(Req("put leading whitespace", "/v3/kv/put", '  \n\t{"key":"cC93cw==","value":"eA=="}'))
    a(Req("put key as number", "/v3/kv/put", {"key": 5}))
    a(Req("put key as object", "/v3/kv/put", {"key": {}}))
    a(Req("put key as array", "/v3/kv/put", {"key": [1]}))
    a(Req("put value as bool", "/v3/kv/put", {"key": B("p/a"), "value": True}))
    a(Req("put prev_kv as string", "/v3/kv/put", {"key": B("p/a"), "prev_kv": "true"}))
    a(Req("put prev_kv as number", "/v3/kv/put", {"key": B("p/a"), "prev_kv": 1}))
    a(Req("put prev_kv null", "/v3/kv/put", {"key": B("p/a"), "value": B("4"), "prev_kv": None}))
    a(Req("put lease as bool", "/v3/kv/put", {"key": B("p/a"), "lease": False}))
    a(Req("put lease as float", "/v3/kv/put", {"key": B("p/a"), "lease": 1.5}))
    a(Req("put unknown fields", "/v3/kv/put", {"key": B("p/u"), "value": B("u"), "bogus": 1, "nested": {"x": [1]}}))
    a(Req("put duplicate key field (last wins)", "/v3/kv/put",
          '{"key":"cC9kdXAx","value":"MQ==","key":"cC9kdXAy"}'))
    a(rng("range p/dup1 after duplicate field", "p/dup1"))
    a(rng("range p/dup2 after duplicate field", "p/dup2"))
    a(Req("put camelCase field names", "/v3/kv/put", {"key": B("p/a"), "value": B("5"), "prevKv": True}))
    a(Req("put ignoreValue camelCase", "/v3/kv/put", {"key": B("p/a"), "ignoreValue": True}))
    a(Req("put both snake and camel prev_kv", "/v3/kv/put",
          '{"key":"cC9h","value":"Ng==","prev_kv":false,"prevKv":true}'))
    a(Req("put wrong-case field name KEY", "/v3/kv/put", {"KEY": B("p/a")}))
    for label, k in (("unpadded", "cC9h"[:3]), ("space inside", "cC9 h"), ("URL-safe alphabet", "_-8="),
                     ("too much padding", "cC9h==="), ("padding in the middle", "cA==cA=="),
                     ("non-canonical trailing bits", "cC9i"[:2] + "Z="), ("newline inside", "cC9\nh"),
                     ("CRLF at end", "cC9h\r\n"), ("non-ASCII", "c\u00e9"), ("single char", "c")):
        a(Req("put key base64 %s" % label, "/v3/kv/put", {"key": k, "value": B("b64")}))
    a(Req("put value base64 invalid", "/v3/kv/put", {"key": B("p/a"), "value": "!!!!"}))
    a(Req("put key with \\u escapes", "/v3/kv/put", '{"key":"\\u0063C9h","value":"Nw=="}'))
    a(rng("range all p/", "p/", "p0"))

    # ---- 3. range --------------------------------------------------------------------------------------
    for k, v in (("r/a", "5"), ("r/b", "3"), ("r/c", "9"), ("r/d", "1"), ("r/e", "3"), ("r/f", "7")):
        a(put("setup put " + k, k, v, cap="ra" if k == "r/a" else None))
    a(put("setup update r/b", "r/b", "8"))
    a(put("setup update r/d", "r/d", "2"))
    a(put("setup update r/b again", "r/b", "0"))
    a(rng("range single key", "r/a"))
    a(rng("range missing key", "r/zz"))
    a(rng("range prefix", "r/", "r0"))
    a(rng("range from key to \\0", "r/c", "\x00"))
    a(Req("range key \\0 alone", "/v3/kv/range", {"key": "AA=="}))
    a(Req("range everything (\\0, \\0)", "/v3/kv/range", {"key": "AA==", "range_end": "AA==", "keys_only": True}))
    a(rng("range end before key", "r/d", "r/b"))
    a(rng("range end equal to key", "r/b", "r/b"))
    a(rng("range end one past key", "r/b", "r/b\x00"))
    a(rng("range limit 2", "r/", "r0", limit="2"))
    a(rng("range limit 1 as number", "r/", "r0", limit=1))
    a(rng("range limit equal to count", "r/", "r0", limit="6"))
    a(rng("range limit above count", "r/", "r0", limit="100"))
    a(rng("range limit 0", "r/", "r0", limit="0"))
    a(rng("range limit -1", "r/", "r0", limit="-1"))
    a(rng("range count_only", "r/", "r0", count_only=True))
    a(rng("range count_only with limit", "r/", "r0", count_only=True, limit="1"))
    a(rng("range keys_only", "r/", "r0", keys_only=True))
    a(rng("range keys_only and count_only", "r/", "r0", keys_only=True, count_only=True))
    a(rng("range serializable", "r/", "r0", serializable=True))
    for target in ("KEY", "VERSION", "CREATE", "MOD", "VALUE"):
        for order in ("NONE", "ASCEND", "DESCEND"):
            a(rng("range sort %s %s" % (target, order), "r/", "r0", sort_target=target, sort_order=order))
    a(rng("range sort VALUE DESCEND limit 2", "r/", "r0", sort_target="VALUE", sort_order="DESCEND", limit="2"))
    a(rng("range sort MOD ASCEND limit 3", "r/", "r0", sort_target="MOD", sort_order="ASCEND", limit="3"))
    a(rng("range sort by numbers (4=VALUE, 2=DESCEND)", "r/", "r0", sort_target=4, sort_order=2))
    a(rng("range sort_order unknown number 7 with limit", "r/", "r0", sort_order=7, limit="2"))
    a(rng("range sort_order -1 with target VALUE", "r/", "r0", sort_order=-1, sort_target="VALUE"))
    a(rng("range sort_target only (VERSION)", "r/", "r0", sort_target="VERSION", limit="3"))
    a(rng("range sort_order unknown name", "r/", "r0", sort_order="BOGUS"))
    a(rng("range sort_order lower case", "r/", "r0", sort_order="ascend"))
    a(rng("range sort_order number as string", "r/", "r0", sort_order="1"))
    a(rng("range sort_order float", "r/", "r0", sort_order=1.0))
    a(rng("range sort_order bool", "r/", "r0", sort_order=True))
    a(rng("range sort_target unknown name", "r/", "r0", sort_target="SIZE"))
    a(rng("range min_mod_revision", "r/", "r0", min_mod_revision="${ra+3}"))
    a(rng("range max_mod_revision", "r/", "r0", max_mod_revision="${ra+3}"))
    a(rng("range min_create_revision", "r/", "r0", min_create_revision="${ra+3}"))
    a(rng("range max_create_revision", "r/", "r0", max_create_revision="${ra+3}"))
    a(rng("range min/max mod window with limit 1", "r/", "r0", min_mod_revision="${ra+2}", max_mod_revision="${ra+7}",
          limit="1"))
    a(rng("range min_mod_revision with count_only", "r/", "r0", min_mod_revision="${ra+6}", count_only=True))
    a(rng("range negative min_create_revision", "r/", "r0", min_create_revision="-5"))
    a(rng("range filters exclude everything", "r/", "r0", min_mod_revision="1000"))
    a(rng("range at old revision (before r/b updates)", "r/", "r0", revision="${ra+5}"))
    a(rng("range at revision 1", "r/", "r0", revision="1"))
    a(rng("range at revision -1 (= current)", "r/", "r0", revision="-1"))
    a(rng("range at revision 0 (= current)", "r/", "r0", revision="0"))
    a(rng("range at future revision", "r/", "r0", revision="100000"))
    a(rng("range at revision max int64", "r/", "r0", revision="9223372036854775807"))
    for label, v in (("JSON number", 2), ("leading space", " 2"), ("hex", "0x10"), ("leading zero", "01"),
                     ("plus sign", "+1"), ("float", 1.5), ("float string", "1.5"), ("exponent", "1e2"),
                     ("overflow", "9223372036854775808"),
                     ("overflow number", 9223372036854775808), ("min int64", "-9223372036854775808"),
                     ("bool", True), ("object", {}), ("null", None), ("empty string", ""), ("letters", "abc")):
        a(rng("range limit %s" % label, "r/", "r0", limit=v))
    a(Req("range limit exponent as a JSON number", "/v3/kv/range", '{"key":"ci8=","range_end":"cjA=","limit":1e2}'))
    a(Req("range limit negative zero", "/v3/kv/range", '{"key":"ci8=","range_end":"cjA=","limit":-0}'))
    a(rng("range keys_only as string", "r/", "r0", keys_only="true"))
    a(rng("range keys_only as number", "r/", "r0", keys_only=1))
    a(rng("range count_only null", "r/", "r0", count_only=None))
    a(Req("range camelCase rangeEnd and keysOnly", "/v3/kv/range",
          {"key": B("r/"), "rangeEnd": B("r0"), "keysOnly": True}))
    a(Req("range range_end and rangeEnd both given", "/v3/kv/range",
          '{"key":"ci8=","range_end":"ci9j","rangeEnd":"cjA="}'))
    a(Req("range without key", "/v3/kv/range", {"range_end": B("r0")}))
    a(Req("range empty body", "/v3/kv/range", ""))

    # ---- 4. deleterange --------------------------------------------------------------------------------
    for k in ("d/a", "d/b", "d/c", "d/d", "d/e"):
        a(put("setup put " + k, k, "v" + k, cap="da" if k == "d/a" else None))
    a(dele("delete single key", "d/a"))
    a(dele("delete missing key", "d/a"))
    a(dele("delete single key with prev_kv", "d/b", prev_kv=True))
    a(dele("delete prefix with prev_kv", "d/", "d0", prev_kv=True))
    a(dele("delete empty prefix", "d/", "d0"))
    a(rng("range deleted key at old revision", "d/a", revision="${da}"))
    for k in ("~d/a", "~d/b", "~e"):
        a(put("setup put " + k, k, "x"))
    a(dele("delete from ~d/b to \\0", "~d/b", "\x00", prev_kv=True))
    a(rng("range ~ after delete", "~", "\x00"))
    a(dele("delete range_end before key", "~d/a", "~"))
    a(Req("delete without key", "/v3/kv/deleterange", {"range_end": B("x")}))
    a(Req("delete empty body", "/v3/kv/deleterange", ""))
    a(Req("delete prev_kv wrong type", "/v3/kv/deleterange", {"key": B("~d/a"), "prev_kv": "yes"}))
    a(dele("delete last ~ key", "~d/a", "\x00"))

    # ---- 5. txn ----------------------------------------------------------------------------------------
    a(put("setup put t/a", "t/a", "va", cap="ta"))
    a(put("setup put t/a again", "t/a", "vb"))
    a(put("setup put t/b", "t/b", "x"))
    a(rng("state of t/", "t/", "t0"))
    # t/a: version 2, create_revision ta, mod_revision ta+1, value "vb", no lease
    values = {"VERSION": ("version", ["1", "2", "3"]),
              "CREATE": ("create_revision", ["${ta-1}", "${ta}", "${ta+1}"]),
              "MOD": ("mod_revision", ["${ta}", "${ta+1}", "${ta+2}"]), "VALUE": ("value", [B("va"), B("vb"), B("vc")]),
              "LEASE": ("lease", ["-1", "0", "1"])}
    for target, (field, vals) in values.items():
        for result in ("EQUAL", "GREATER", "LESS", "NOT_EQUAL"):
            for v in vals:
                a(txn("txn compare %s %s %s" % (target, result, v), [cmp("t/a", target, result, **{field: v})],
                      [op_range("t/a", keys_only=True)], [op_range("t/b", count_only=True)]))
    for target, (field, vals) in values.items():
        for v in (("", B("x")) if target == "VALUE" else ("0", "1")):
            for result in ("EQUAL", "NOT_EQUAL", "GREATER", "LESS"):
                a(txn("txn compare %s %s %r on missing key" % (target, result, v),
                      [cmp("t/none", target, result, **{field: v})]))
    a(txn("txn compare by numbers (target 0=VERSION, result 0=EQUAL)",
          [{"key": B("t/a"), "target": 0, "result": 0, "version": "2"}]))
    a(txn("txn compare unknown target number 9", [{"key": B("t/a"), "target": 9, "result": "EQUAL"}]))
    a(txn("txn compare unknown result number 9", [{"key": B("t/a"), "target": "VERSION", "result": 9}]))
    a(txn("txn compare unknown target name", [{"key": B("t/a"), "target": "SIZE", "result": "EQUAL"}]))
    a(txn("txn compare target VERSION with value field set", [cmp("t/a", "VERSION", "EQUAL", value=B("vb"))]))
    a(txn("txn compare target VALUE with version field set", [cmp("t/a", "VALUE", "EQUAL", version="2")]))
    a(txn("txn compare without key", [{"target": "VERSION", "result": "EQUAL"}]))
    a(txn("txn compare over a range (all versions > 0)", [cmp("t/", "VERSION", "GREATER", version="0",
                                                              range_end=B("t0"))]))
    a(txn("txn compare over a range (all versions = 1): false", [cmp("t/", "VERSION", "EQUAL", version="1",
                                                                     range_end=B("t0"))]))
    a(txn("txn compare over range to \\0", [cmp("t/", "MOD", "LESS", mod_revision="100000",
                                                 range_end="AA==")]))
    a(txn("txn compare over an empty range", [cmp("t/x", "VERSION", "EQUAL", version="5", range_end=B("t/y"))]))
    a(txn("txn two compares, both true", [cmp("t/a", "VERSION", "EQUAL", version="2"),
                                          cmp("t/b", "VALUE", "EQUAL", value=B("x"))], [op_range("t/b")]))
    a(txn("txn two compares, second false", [cmp("t/a", "VERSION", "EQUAL", version="2"),
                                             cmp("t/b", "VALUE", "EQUAL", value=B("y"))], [op_range("t/b")],
          [op_range("t/a")]))
    a(txn("txn empty"))
    a(Req("txn empty body", "/v3/kv/txn", ""))
    a(txn("txn success writes", [cmp("t/a", "VALUE", "EQUAL", value=B("vb"))],
          [op_put("t/c", "c", prev_kv=True), op_put("t/a", "vc", prev_kv=True), op_del("t/b", prev_kv=True),
           op_range("t/", "t0")], [op_put("t/never", "x")]))
    a(txn("txn failure writes", [cmp("t/a", "VALUE", "EQUAL", value=B("nope"))], [op_put("t/never", "x")],
          [op_put("t/d", "d"), op_del("t/c"), op_range("t/", range_end="t0", count_only=True)]))
    a(txn("txn range sees its own earlier put", (), [op_put("t/e", "e1"), op_range("t/e")]))
    a(txn("txn range at revision -1 (not 'current' inside a txn)", (), [op_range("t/e", revision="-1")]))
    a(txn("txn range at revision 0", (), [op_range("t/e", revision="0")]))
    a(txn("txn range at an old revision", (), [op_range("t/a", revision="${ta}")]))
    a(txn("txn read-only (no revision change)", (), [op_range("t/a"), op_range("t/none")]))
    a(txn("txn delete of nothing (no revision change)", (), [op_del("t/none")]))
    a(txn("txn nested, compares see the state before the txn", [cmp("t/a", "VALUE", "EQUAL", value=B("vc"))],
          [op_put("t/a", "vd"), op_txn([cmp("t/a", "VALUE", "EQUAL", value=B("vc"))], [op_put("t/n1", "yes")],
                                       [op_put("t/n1", "no")])]))
    a(rng("after nested txn", "t/", "t0"))
    a(txn("txn nested failure branch, two levels", [cmp("t/a", "VERSION", "EQUAL", version="999")], (),
          [op_txn([cmp("t/n1", "VALUE", "EQUAL", value=B("yes"))],
                  [op_txn((), [op_put("t/n2", "deep"), op_range("t/n2")])], [op_put("t/n3", "x")]),
           op_range("t/n2")]))
    a(txn("txn nested empty txn", (), [op_txn()]))
    a(txn("txn nested with range at future revision", (), [op_txn((), [op_range("t/a", revision="100000")])]))
    a(txn("txn duplicate put/put", (), [op_put("t/x", "1"), op_put("t/x", "2")]))
    a(txn("txn duplicate put/delete", (), [op_put("t/x", "1"), op_del("t/x")]))
    a(txn("txn duplicate delete range covering put", (), [op_del("t/", "t0"), op_put("t/x", "1")]))
    a(txn("txn delete to \\0 then put inside it (not seen as duplicate)", (), [op_del("t/y", "\x00"),
                                                                          op_put("t/z", "1")]))
    a(txn("txn put then delete range over it", (), [op_put("t/x", "1"), op_del("t/", "t0")]))
    a(txn("txn inverted delete range and a put", (), [op_del("t/z", "t/a"), op_put("t/b", "1")]))
    a(txn("txn duplicate across nested txns", (), [op_txn((), [op_put("t/x", "1")]), op_put("t/x", "2")]))
    a(txn("txn duplicate across nested success/failure", (), [op_txn((), [op_put("t/x", "1")]),
                                                              op_txn((), (), [op_put("t/x", "2")])]))
    a(txn("txn same key in success and failure (allowed)", [cmp("t/a", "VERSION", "GREATER", version="0")],
          [op_put("t/y", "s")], [op_put("t/y", "f")]))
    a(txn("txn delete twice the same key (allowed)", (), [op_del("t/y"), op_del("t/y")]))
    a(txn("txn put and range on the same key (allowed)", (), [op_range("t/y"), op_put("t/y", "again")]))
    a(txn("txn 128 ops in success and 128 in failure", (), [op_range("t/%d" % i) for i in range(128)],
          [op_range("t/%d" % i) for i in range(128)]))
    a(txn("txn 129 ops in success", (), [op_range("t/%d" % i) for i in range(129)]))
    a(txn("txn 129 ops in failure", (), (), [op_put("t/%d" % i, "x") for i in range(129)]))
    a(txn("txn 129 compares", [cmp("t/a", "VERSION", "GREATER", version="0") for _ in range(129)]))
    a(txn("txn empty op object", (), [{}]))
    a(txn("txn request_put without key", (), [{"request_put": {}}]))
    a(txn("txn request_range without key", (), [{"request_range": {}}]))
    a(txn("txn request_delete_range without key", (), [{"request_delete_range": {}}]))
    a(txn("txn put with lease never granted", (), [op_put("t/l", "x", lease="4242")]))
    a(txn("txn put ignore_value on missing key", (), [op_put("t/q", ignore_value=True)]))
    # Not tested: a delete with range_end "\0" followed by an ignore_value/ignore_lease put of a key it deletes
    # passes etcd's checks and then crashes etcd 3.4.23 ("panic: unexpected error during txn").
    a(txn("txn failed-branch errors are not checked", [cmp("t/a", "VERSION", "GREATER", version="0")],
          [op_range("t/a")], [op_put("t/q", ignore_value=True)]))
    a(txn("txn range at future revision", (), [op_range("t/a", revision="100000")]))
    a(txn("txn compare field wrong type", [{"key": B("t/a"), "target": "VERSION", "result": "EQUAL",
                                             "version": "x"}]))
    a(Req("txn success not a list", "/v3/kv/txn", {"success": {}}))
    # Not tested: two members of a oneof in one object ({"request_range":..,"request_put":..}); etcd's decoder
    # walks a Go map, so which one wins is random.
    a(rng("t/ after txns", "t/", "t0"))

    # ---- 6. leases -------------------------------------------------------------------------------------
    a(grant("grant ID 1001 TTL 600", 600, 1001))
    a(grant("grant ID 1001 again (exists)", 600, 1001))
    a(grant("grant ID 1002 TTL 300", 300, 1002))
    a(grant("grant TTL 1 is raised to the minimum", 1, 1003))
    a(revoke("revoke 1003 at once", 1003))
    a(grant("grant TTL 0", 0, 1004))
    a(revoke("revoke 1004 at once", 1004))
    a(grant("grant negative TTL", -3, 1005))
    a(revoke("revoke 1005 at once", 1005))
    a(grant("grant TTL above the maximum", 9000000001, 1006))
    a(grant("grant TTL exactly the maximum", 9000000000, 1007))
    a(revoke("revoke 1007", 1007))
    a(grant("grant negative ID", 600, -77))
    a(Req("grant ID and TTL as JSON numbers", "/v3/lease/grant", {"ID": 1008, "TTL": 600}))
    a(Req("grant with server-chosen ID", "/v3/lease/grant", {"TTL": "600"}, capture="auto1"))
    a(Req("timetolive of the server-chosen lease", "/v3/lease/timetolive", {"ID": "${auto1}"}))
    a(Req("revoke the server-chosen lease", "/v3/lease/revoke", {"ID": "${auto1}"}))
    a(Req("grant empty body (server-chosen ID, TTL 0)", "/v3/lease/grant", "", capture="auto2"))
    a(Req("revoke the second server-chosen lease", "/v3/lease/revoke", {"ID": "${auto2}"}))
    a(Req("grant bad JSON", "/v3/lease/grant", "{"))
    a(Req("grant TTL wrong type", "/v3/lease/grant", {"ID": "1009", "TTL": True}))
    a(Req("grant with GET", "/v3/lease/grant", method="GET", headers={}))
    a(put("put l/a with lease 1001", "l/a", "a", lease="1001"))
    a(put("put l/b with lease 1001", "l/b", "b", lease="1001"))
    a(put("put l/c with lease 1002", "l/c", "c", lease="1002"))
    a(put("put l/d with lease 1001", "l/d", "d", lease="1001"))
    a(put("put l/d without lease (detaches)", "l/d", "d2"))
    a(put("put l/c ignore_lease (keeps 1002)", "l/c", "c2", ignore_lease=True))
    a(put("put l/e with negative lease -77", "l/e", "e", lease="-77"))
    a(rng("range l/ shows leases", "l/", "l0"))
    a(ttl("timetolive 1001 with keys", 1001, keys=True))
    a(ttl("timetolive 1002 without keys", 1002))
    a(ttl("timetolive 1002 with keys", 1002, keys=True))
    a(ttl("timetolive -77 with keys", -77, keys=True))
    a(ttl("timetolive unknown lease", 4242, keys=True))
    a(Req("timetolive empty body", "/v3/lease/timetolive", ""))
    a(Req("timetolive via /v3/kv/lease alias", "/v3/kv/lease/timetolive", {"ID": "1002"}))
    a(Req("leases list", "/v3/lease/leases", {}))
    a(Req("leases list via /v3/kv/lease alias", "/v3/kv/lease/leases", {}))
    a(Req("leases list empty body", "/v3/lease/leases", ""))
    a(Stream("keepalive 1002 (stream, one request)", "/v3/lease/keepalive", {"ID": "1002"}))
    a(Req("leases list after keepalive (order by expiry)", "/v3/lease/leases", {}))
    a(Stream("keepalive three requests in one body", "/v3/lease/keepalive",
             '{"ID":"1001"}{"ID":"4242"}{"ID":"1002"}'))
    a(Stream("keepalive unknown lease", "/v3/lease/keepalive", {"ID": "4242"}))
    a(Stream("keepalive empty object", "/v3/lease/keepalive", {}))
    a(Stream("keepalive empty body", "/v3/lease/keepalive", ""))
    a(Stream("keepalive bad JSON", "/v3/lease/keepalive", "bad"))
    a(Stream("keepalive wrong type", "/v3/lease/keepalive", {"ID": True}))
    a(Stream("keepalive good then bad JSON", "/v3/lease/keepalive", '{"ID":"1002"}bad'))
    a(Req("keepalive with GET", "/v3/lease/keepalive", method="GET", headers={}))
    a(watch("hold a watch on l/ (sees revoke deletes)", [wc("l/", "l0", prev_kv=True)], hold="lw", expect=1))
    a(revoke("revoke 1001 (deletes l/a, l/b)", 1001))
    a(Read("watch l/ after revoke", "lw", expect=1))
    a(Close("lw"))
    a(rng("range l/ after revoke", "l/", "l0"))
    a(revoke("revoke 1001 again", 1001))
    a(Req("revoke via /v3/kv/lease alias (unknown)", "/v3/kv/lease/revoke", {"ID": "1001"}))
    a(Req("revoke empty body", "/v3/lease/revoke", ""))
    a(Req("revoke ID as string garbage", "/v3/lease/revoke", {"ID": "x"}))
    a(put("put with revoked lease", "l/z", "z", lease="1001"))
    a(revoke("revoke 1008", 1008))
    a(ttl("timetolive of revoked lease", 1001))
    a(Req("leases list at end of lease section", "/v3/lease/leases", {}))

    # ---- 7. watch --------------------------------------------------------------------------------------
    a(put("setup put w/a", "w/a", "1", cap="wa"))
    a(put("setup put w/a 2", "w/a", "2"))
    a(put("setup put w/b", "w/b", "1"))
    a(dele("setup delete w/a", "w/a"))
    a(put("setup put w/a 3", "w/a", "3"))
    a(rng("state of w/", "w/", "w0"))
    a(Req("status before watches", "/v3/maintenance/status", {}))
    a(watch("watch w/a from revision wa", [wc("w/a", start_revision="${wa}")], expect=2))
    a(watch("watch w/a from wa with prev_kv", [wc("w/a", start_revision="${wa}", prev_kv=True)], expect=2))
    a(watch("watch w/ prefix from wa", [wc("w/", "w0", start_revision="${wa}")], expect=2))
    a(watch("watch w/ from wa, filter NOPUT", [wc("w/", "w0", start_revision="${wa}", filters=["NOPUT"])], expect=2))
    a(watch("watch w/ from wa, filter NODELETE", [wc("w/", "w0", start_revision="${wa}", filters=["NODELETE"])],
            expect=2))
    a(watch("watch w/ from wa, both filters", [wc("w/", "w0", start_revision="${wa}",
                                                   filters=["NOPUT", "NODELETE"])], expect=1))
    a(watch("watch w/ from wa, filters by number [1]", [wc("w/", "w0", start_revision="${wa}", filters=[1])], expect=2))
    a(watch("watch w/ from wa, unknown filter 7", [wc("w/", "w0", start_revision="${wa}", filters=[7])], expect=2))
    a(watch("watch w/ from wa, unknown filter name", [wc("w/", "w0", start_revision="${wa}", filters=["NOPE"])]))
    a(watch("watch from w/ to \\0 from wa", [wc("w/", "\x00", start_revision="${wa}")], expect=2))
    a(watch("watch everything from wa", [{"create_request": {"key": "AA==", "range_end": "AA==",
                                                              "start_revision": "${wa}"}}], expect=2))
    a(Stream("watch start_revision as number", "/v3/watch",
             '{"create_request":{"key":"%s","start_revision":${wa}}}' % B("w/a"), expect=2))
    a(watch("watch start_revision 0 (from now)", [wc("w/a", start_revision="0")], expect=1))
    a(watch("watch without start_revision", [wc("w/a")], expect=1))
    a(watch("watch progress_notify", [wc("w/a", progress_notify=True)], expect=1))
    a(watch("watch fragment", [wc("w/", "w0", start_revision="${wa}", fragment=True)], expect=2))
    a(watch("watch explicit watch_id 5", [wc("w/a", start_revision="${wa}", watch_id="5")], expect=2))
    a(watch("watch three creates in one body", [wc("w/a", start_revision="${wa}"),
                                                wc("w/b", start_revision="${wa}", prev_kv=True),
                                                wc("w/", "w0", start_revision="${wa}", filters=["NOPUT"])], expect=6))
    a(watch("watch duplicate watch_id", [wc("w/a", watch_id="5"), wc("w/b", watch_id="5"), wc("w/b")], expect=3))
    a(watch("watch explicit id then automatic ids", [wc("w/a", watch_id="1"), wc("w/a"), wc("w/a")], expect=3))
    a(watch("watch create then cancel in one body", [wc("w/a"), {"cancel_request": {"watch_id": "0"}}], expect=2))
    a(watch("watch cancel twice", [wc("w/a"), {"cancel_request": {"watch_id": "0"}},
                                   {"cancel_request": {"watch_id": "0"}}], expect=2))
    a(watch("watch cancel without id", [wc("w/a"), {"cancel_request": {}}], expect=2))
    a(watch("watch cancel unknown id only (no answer)", [{"cancel_request": {"watch_id": "7"}}]))
    a(watch("watch progress_request after create", [wc("w/zz"), {"progress_request": {}}], expect=2))
    a(watch("watch create_request empty", [{"create_request": {}}], expect=1))
    a(watch("watch empty range (range_end before key)", [wc("w/b", "w/a")], expect=1))
    a(watch("watch empty range (range_end equal to key)", [wc("w/b", "w/b", start_revision="${wa}")], expect=1))
    a(watch("watch empty range next to a good watch", [wc("w/b", "w/a"), wc("w/b", start_revision="${wa}")],
            expect=3))
    a(watch("watch empty object (no answer)", [{}]))
    a(Stream("watch empty body (no answer)", "/v3/watch", ""))
    a(Stream("watch undecodable body", "/v3/watch", "garbage"))
    a(Stream("watch wrong type in create", "/v3/watch", {"create_request": {"key": 5}}))
    a(Stream("watch bad base64 key", "/v3/watch", {"create_request": {"key": "!!"}}))
    a(Stream("watch body null", "/v3/watch", "null"))
    a(Stream("watch body []", "/v3/watch", "[]"))
    a(Stream("watch good create then garbage", "/v3/watch", '{"create_request":{"key":"dy9h"}}garbage', expect=1))
    a(Req("watch with GET", "/v3/watch", method="GET", headers={}))
    # live events on a held stream
    a(rng("revision before the live section", "wl/", "wl0", cap="wl"))
    a(watch("hold watch wl/ with prev_kv", [wc("wl/", "wl0", prev_kv=True)], hold="live", expect=1))
    a(watch("hold watch from a future revision", [wc("wl/a", start_revision="${wl+5}")], hold="future", expect=1))
    a(put("live put wl/a", "wl/a", "1"))
    a(Read("live: one event", "live", expect=1))
    a(put("live put wl/a again", "wl/a", "2"))
    a(Read("live: event with prev_kv", "live", expect=1))
    a(txn("live txn with two puts", (), [op_put("wl/b", "1"), op_put("wl/c", "1")]))
    a(Read("live: two events in one message", "live", expect=1))
    a(dele("live delete range of 3", "wl/", "wl0"))
    a(Read("live: three deletes", "live", expect=1))
    a(Read("future watch after live section", "future"))
    a(put("put wl/a to reach the future revision", "wl/a", "3"))
    a(put("put wl/a once more", "wl/a", "4"))
    a(Read("future watch sees events", "future", expect=2))
    a(Read("live sees the same puts", "live", expect=2))
    a(Close("live"))
    a(Close("future"))

    # ---- 8. compaction ---------------------------------------------------------------------------------
    a(Req("status before compaction", "/v3/maintenance/status", {}, capture_rev="cs"))
    a(Req("compaction at a future revision", "/v3/kv/compaction", {"revision": "100000"}))
    a(Req("compaction at wa+2", "/v3/kv/compaction", {"revision": "${wa+2}"}))
    a(Req("compaction at wa+2 again", "/v3/kv/compaction", {"revision": "${wa+2}"}))
    a(Req("compaction below the compacted revision", "/v3/kv/compaction", {"revision": "${wa+1}"}))
    a(Req("compaction revision 0", "/v3/kv/compaction", {}))
    a(Req("compaction negative", "/v3/kv/compaction", {"revision": "-1"}))
    a(Req("compaction at wa+4 physical", "/v3/kv/compaction", {"revision": "${wa+4}", "physical": True}))
    a(Req("compaction wrong type", "/v3/kv/compaction", {"revision": "x"}))
    a(rng("range at a compacted revision", "w/", "w0", revision="${wa+3}"))
    a(rng("range at the compaction revision", "w/", "w0", revision="${wa+4}"))
    a(rng("range after compaction revision", "w/", "w0", revision="${wa+5}"))
    a(watch("watch from a compacted revision", [wc("w/", "w0", start_revision="${wa+1}")], expect=2))
    a(watch("watch from the compaction revision", [wc("\x00", "\x00", start_revision="${wa+4}")], expect=2))
    a(watch("watch from the revision after compaction", [wc("\x00", "\x00", start_revision="${wa+5}")], expect=2))
    a(watch("watch negative start on a compacted store", [wc("w/a", start_revision="-3")], expect=2))
    a(watch("watch: compacted one and a good one", [wc("w/a", start_revision="5"),
                                                    wc("w/", "w0", start_revision="${wa+5}")], expect=3))
    a(txn("txn range at compacted revision", (), [op_range("w/a", revision="5")]))
    a(Req("status after compaction", "/v3/maintenance/status", {}))
    a(Req("metrics after compaction", "/metrics", method="GET", headers={}))

    # ---- 9. oversized requests -------------------------------------------------------------------------
    a(Req("put 1.4 MiB value (fits)", "/v3/kv/put", {"key": B("big/ok"), "value": big_b64(1400 * 1024)}))
    a(Req("put 1.6 MB value (over --max-request-bytes)", "/v3/kv/put",
          {"key": B("big/a"), "value": big_b64(1600000)}))
    a(Req("put 1.9 MiB value", "/v3/kv/put", {"key": B("big/a"), "value": big_b64(1900 * 1024)}))
    a(Req("put 2.1 MiB value (over the gRPC limit)", "/v3/kv/put", {"key": B("big/a"),
                                                                     "value": big_b64(2200000)}))
    a(Req("txn with a 1.6 MB put", "/v3/kv/txn", {"success": [op_put("big/t", "x" * 1600000)]}))
    a(Req("range with a 1.6 MB key (reads are not limited)", "/v3/kv/range", {"key": big_b64(1600000)}))
    a(Req("range with a 2.2 MB key", "/v3/kv/range", {"key": big_b64(2200000)}))
    a(Stream("watch with a 2.2 MB key", "/v3/watch", {"create_request": {"key": big_b64(2200000)}}))
    a(Req("lease grant with a 2.2 MB unknown field (dropped before the size check)", "/v3/lease/grant",
          {"ID": "1500", "TTL": "600", "pad": "x" * 2200000}))
    a(rng("range big/ keys only", "big/", "big0", keys_only=True))
    a(dele("delete big/", "big/", "big0"))

    # ---- 10. bad input on every unary endpoint ---------------------------------------------------------
    for path in ("/v3/kv/range", "/v3/kv/put", "/v3/kv/deleterange", "/v3/kv/txn", "/v3/kv/compaction",
                 "/v3/lease/grant", "/v3/lease/revoke", "/v3/lease/timetolive", "/v3/lease/leases",
                 "/v3/maintenance/status", "/v3/cluster/member/list"):
        for label, body in (("empty body", ""), ("malformed", "{"), ("null", "null"), ("array", "[]"),
                            ("string", '"x"'), ("unknown field only", '{"bogus":true}'),
                            ("bad UTF-8", b'{"key":"\xff"}')):
            if path == "/v3/lease/grant" and label in ("empty body", "null", "unknown field only", "bad UTF-8"):
                continue  # these grant a 2 s lease with a server-chosen ID (tested in section 6)
            a(Req("%s %s" % (path, label), path, body))

    # ---- 11. final state -------------------------------------------------------------------------------
    a(Stream("snapshot", "/v3/maintenance/snapshot", {}, quiet=0.3))
    a(Req("status at the end", "/v3/maintenance/status", {}))
    a(Req("member list at the end", "/v3/cluster/member/list", {}))
    a(Req("range everything keys_only", "/v3/kv/range", {"key": "AA==", "range_end": "AA==", "keys_only": True}))
    a(Req("range everything count_only at old revision", "/v3/kv/range",
          {"key": "AA==", "range_end": "AA==", "count_only": True, "revision": "${cs}"}))
    a(Req("delete everything", "/v3/kv/deleterange", {"key": "AA==", "range_end": "AA=="}))
    a(Req("range everything after delete", "/v3/kv/range", {"key": "AA==", "range_end": "AA=="}))
    a(Req("leases list at the end", "/v3/lease/leases", {}))
    for lease in (1002, -77, 1500):  # so that none can expire during the random run
        a(revoke("revoke leftover lease %d" % lease, lease))
    a(Req("leases list after revoking the rest", "/v3/lease/leases", {}))
    a(Req("status after delete", "/v3/maintenance/status", {}))
    a(Req("health at the end", "/health", method="GET", headers={}))
    return s
