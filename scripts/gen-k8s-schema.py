#!/usr/bin/python3
"""gen-k8s-schema.py - derive k8c's schema tables (common/k8s_schema_gen.c, common/k8s_schema_gen.h) from the
Kubernetes OpenAPI v3 documents, so that no field, type, default or merge key is typed by hand.

Usage:
    /usr/bin/python3 scripts/gen-k8s-schema.py [--spec-dir DIR] [--out-dir DIR]   # (re)write the two files
    /usr/bin/python3 scripts/gen-k8s-schema.py --check                            # exit 1 if they are stale

The spec directory defaults to ../shared/k8s-openapi/v3 relative to the repository (the repository is found
from this script's own location, so any working directory works). --check regenerates in memory and compares
byte for byte with the committed files; it exits 0 when they match, 1 when they differ (naming the file), and
77 (the conventional "skipped" code) when the spec directory is missing. Standard library only.

What is read (the C side is documented in common/kc_schema.h):
  * every *_openapi.json in the spec directory: the 15 group-version documents and the discovery index
    documents. components.schemas are merged by full name; two documents giving different content for the
    same name is an error. Every schema is kept: that is all schemas reachable from the kinds (schemas with
    x-kubernetes-group-version-kind), plus meta.v1.Patch which only PATCH bodies reference (checked below).
  * per schema: type/format, properties, required, x-kubernetes-group-version-kind, x-kubernetes-map-type,
    x-kubernetes-unions, x-kubernetes-preserve-unknown-fields, and the oneOf of Quantity / IntOrString.
  * per property: type/format, $ref or allOf [$ref], items, additionalProperties, default,
    x-kubernetes-patch-strategy, x-kubernetes-patch-merge-key, x-kubernetes-list-type,
    x-kubernetes-list-map-keys, x-kubernetes-map-type.
  * "description" is dropped everywhere. Any other keyword makes the script fail, so a new document with new
    features has to be looked at rather than silently mis-translated.

The default rule: a property's "default" is kept (as compact JSON text) only when it is a real value. The
documents also restate Go zero values as defaults: "" for strings, 0 for integers, false for booleans, {} on
referenced structs and on array items. A default equal to "", 0, false, {}, [] or null is therefore dropped.
A non-zero default anywhere else (items, map values, schemas) is an error, because the tables have no place
for it.

Output is deterministic: named schemas sorted by name (byte order), anonymous schemas (inline property types)
sorted by a canonical description, properties in document order (which the documents keep sorted; checked).
"""

import argparse
import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SPEC_DIR = os.path.join(REPO, "..", "shared", "k8s-openapi", "v3")
OUT_C = "common/k8s_schema_gen.c"
OUT_H = "common/k8s_schema_gen.h"
REF_PREFIX = "#/components/schemas/"

QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
MICROTIME = "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"

OA_TYPES = {None: "KC_SCHEMA_OA_NONE", "object": "KC_SCHEMA_OA_OBJECT", "array": "KC_SCHEMA_OA_ARRAY",
            "string": "KC_SCHEMA_OA_STRING", "integer": "KC_SCHEMA_OA_INTEGER", "number": "KC_SCHEMA_OA_NUMBER",
            "boolean": "KC_SCHEMA_OA_BOOLEAN"}
FORMATS = {None: "KC_SCHEMA_FMT_NONE", "int32": "KC_SCHEMA_FMT_INT32", "int64": "KC_SCHEMA_FMT_INT64",
           "byte": "KC_SCHEMA_FMT_BYTE", "date-time": "KC_SCHEMA_FMT_DATE_TIME",
           "int-or-string": "KC_SCHEMA_FMT_INT_OR_STRING"}
LIST_TYPES = {"atomic": "KC_SCHEMA_LIST_ATOMIC", "set": "KC_SCHEMA_LIST_SET", "map": "KC_SCHEMA_LIST_MAP"}
MAP_TYPES = {"atomic": "KC_SCHEMA_MAPTYPE_ATOMIC", "granular": "KC_SCHEMA_MAPTYPE_GRANULAR"}
PATCH_STRATEGIES = {"merge": "KC_SCHEMA_PATCH_MERGE",
                    "merge,retainKeys": "KC_SCHEMA_PATCH_MERGE | KC_SCHEMA_PATCH_RETAIN_KEYS",
                    "retainKeys": "KC_SCHEMA_PATCH_RETAIN_KEYS", "replace": "KC_SCHEMA_PATCH_REPLACE"}

SCHEMA_KEYS = {"description", "type", "format", "properties", "required", "x-kubernetes-group-version-kind",
               "x-kubernetes-map-type", "x-kubernetes-unions", "x-kubernetes-preserve-unknown-fields", "oneOf",
               "items", "additionalProperties"}
PROP_KEYS = {"description", "type", "format", "default", "allOf", "$ref", "items", "additionalProperties",
             "x-kubernetes-patch-strategy", "x-kubernetes-patch-merge-key", "x-kubernetes-list-type",
             "x-kubernetes-list-map-keys", "x-kubernetes-map-type"}
NODE_KEYS = {"description", "type", "format", "default", "allOf", "$ref", "items", "additionalProperties"}


class SpecError(Exception):
    pass


def fail(where, msg):
    raise SpecError("%s: %s" % (where, msg))


def is_zero_default(v):
    """The zero-value restatements the documents write as "default" (see the module comment)."""
    return v is None or v == "" or v == {} or v == [] or v is False or (type(v) in (int, float) and v == 0)


def doc_path(fname):
    """api__v1_openapi.json -> api/v1 (the path under /openapi/v3/)."""
    return fname[: -len("_openapi.json")].replace("__", "/")


def ref_name(ref, where):
    if not isinstance(ref, str) or not ref.startswith(REF_PREFIX):
        fail(where, "unsupported $ref %r" % (ref,))
    return ref[len(REF_PREFIX):]


def node_ref(node, where):
    """The referenced schema name when node is {"$ref"} or {"allOf": [{"$ref"}]}, else None."""
    if "$ref" in node:
        if "allOf" in node or "type" in node:
            fail(where, "$ref next to allOf/type")
        return ref_name(node["$ref"], where)
    if "allOf" in node:
        a = node["allOf"]
        if "type" in node or len(a) != 1 or set(a[0]) != {"$ref"}:
            fail(where, "allOf other than a single $ref")
        return ref_name(a[0]["$ref"], where)
    return None


class Gen:
    def __init__(self):
        self.named = {}      # name -> raw schema
        self.anon = {}       # key tuple -> dict
        self.docs = []       # (path, [schema names])

    # ---- reading ----
    def load(self, spec_dir):
        files = sorted(f for f in os.listdir(spec_dir) if f.endswith("_openapi.json"))
        if not files:
            fail(spec_dir, "no *_openapi.json documents")
        first_seen = {}
        for f in files:
            with open(os.path.join(spec_dir, f), encoding="utf-8") as fh:
                doc = json.load(fh)
            schemas = doc.get("components", {}).get("schemas", {})
            names = list(schemas)
            if names != sorted(names):
                fail(f, "components.schemas not sorted")
            for n, s in schemas.items():
                if n in self.named:
                    if self.named[n] != s:
                        fail(f, "schema %s differs from the one in %s" % (n, first_seen[n]))
                else:
                    self.named[n] = s
                    first_seen[n] = f
            self.check_reachable(f, doc)
            self.docs.append((doc_path(f), names))
        self.docs.sort()

    def check_reachable(self, f, doc):
        """Every schema of a document is reachable from its kinds or referenced from its paths."""
        schemas = doc["components"]["schemas"]

        def refs(x, out):
            if isinstance(x, dict):
                for k, v in x.items():
                    if k == "$ref":
                        out.append(ref_name(v, f))
                    else:
                        refs(v, out)
            elif isinstance(x, list):
                for v in x:
                    refs(v, out)
            return out

        stack = [n for n, s in schemas.items() if "x-kubernetes-group-version-kind" in s]
        stack += refs(doc.get("paths", {}), [])
        seen = set()
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            if n not in schemas:
                fail(f, "reference to missing schema %s" % n)
            seen.add(n)
            refs(schemas[n], stack)
        if seen != set(schemas):
            fail(f, "unreachable schemas %s" % sorted(set(schemas) - seen))

    # ---- translating ----
    def anon_schema(self, oa_type, fmt, typ, elem):
        key = (oa_type or "", fmt or "", typ, elem or "")
        if key not in self.anon:
            self.anon[key] = {"oa_type": oa_type, "format": fmt, "type": typ, "elem": elem}
        return ("anon", key)

    def inline_node(self, node, where, allow_default=False):
        """A property's/item's/value's type (without the property-level x- keys) -> schema id."""
        if not isinstance(node, dict):
            fail(where, "schema is not an object: %r" % (node,))
        extra = set(node) - NODE_KEYS
        if extra:
            fail(where, "unknown keywords %s" % sorted(extra))
        if "default" in node and not allow_default and not is_zero_default(node["default"]):
            fail(where, "real default %r where the tables have no place for it" % (node["default"],))
        ref = node_ref(node, where)
        if ref is not None:
            if ref not in self.named:
                fail(where, "reference to unknown schema %s" % ref)
            if "items" in node or "additionalProperties" in node or "format" in node:
                fail(where, "$ref with items/additionalProperties/format")
            return ("named", ref)
        t = node.get("type")
        fmt = node.get("format")
        if fmt not in FORMATS:
            fail(where, "unknown format %r" % fmt)
        if t == "array":
            if "items" not in node or "additionalProperties" in node or fmt:
                fail(where, "array without items, or with additionalProperties/format")
            return self.anon_schema(t, None, "KC_SCHEMA_ARRAY", self.inline_node(node["items"], where + "[]"))
        if "items" in node:
            fail(where, "items on a non-array")
        if t == "object":
            ap = node.get("additionalProperties")
            if not isinstance(ap, dict) or fmt:
                fail(where, "inline object without an additionalProperties schema")
            return self.anon_schema(t, None, "KC_SCHEMA_MAP", self.inline_node(ap, where + "{}"))
        if "additionalProperties" in node:
            fail(where, "additionalProperties on a non-object")
        scalar = {("string", None): "KC_SCHEMA_STRING", ("string", "byte"): "KC_SCHEMA_BYTES",
                  ("string", "date-time"): "KC_SCHEMA_TIME", ("integer", None): "KC_SCHEMA_INTEGER",
                  ("integer", "int32"): "KC_SCHEMA_INTEGER", ("integer", "int64"): "KC_SCHEMA_INTEGER",
                  ("number", None): "KC_SCHEMA_NUMBER", ("boolean", None): "KC_SCHEMA_BOOLEAN"}
        if (t, fmt) not in scalar:
            fail(where, "unsupported type/format %r/%r" % (t, fmt))
        return self.anon_schema(t, fmt, scalar[(t, fmt)], None)

    def named_schema(self, name):
        s = self.named[name]
        where = name
        extra = set(s) - SCHEMA_KEYS
        if extra:
            fail(where, "unknown keywords %s" % sorted(extra))
        t = s.get("type")
        fmt = s.get("format")
        if t not in OA_TYPES or fmt not in FORMATS:
            fail(where, "unknown type/format %r/%r" % (t, fmt))
        out = {"name": name, "oa_type": t, "format": fmt, "elem": None, "props": [], "flags": [],
               "required": list(s.get("required", [])), "gvks": [], "unions": [], "map_type": None}
        if s.get("x-kubernetes-preserve-unknown-fields") is True:
            out["flags"].append("KC_SCHEMA_F_PRESERVE_UNKNOWN")
        elif "x-kubernetes-preserve-unknown-fields" in s:
            fail(where, "x-kubernetes-preserve-unknown-fields other than true")
        mt = s.get("x-kubernetes-map-type")
        if mt is not None:
            if mt not in MAP_TYPES:
                fail(where, "unknown map type %r" % mt)
            out["map_type"] = mt
        for g in s.get("x-kubernetes-group-version-kind", []):
            if set(g) != {"group", "version", "kind"} or not all(isinstance(v, str) for v in g.values()):
                fail(where, "bad group-version-kind %r" % (g,))
            out["gvks"].append((g["group"], g["version"], g["kind"]))
        if len(set(out["gvks"])) != len(out["gvks"]):
            fail(where, "duplicate group-version-kind")
        for u in s.get("x-kubernetes-unions", []):
            if set(u) - {"discriminator", "fields-to-discriminateBy"} or not isinstance(u.get("discriminator"), str):
                fail(where, "unsupported x-kubernetes-unions entry %r" % (u,))
            fields = u.get("fields-to-discriminateBy", {})
            out["unions"].append((u["discriminator"], sorted(fields.items())))
        props = s.get("properties", {})
        if list(props) != sorted(props):
            fail(where, "properties not sorted")
        req = out["required"]
        if len(set(req)) != len(req) or any(r not in props for r in req):
            fail(where, "required names a missing or duplicate property: %r" % (req,))
        one_of = s.get("oneOf")
        if one_of is not None:
            if t is not None or props:
                fail(where, "oneOf with a type or properties")
            if fmt == "int-or-string" and one_of == [{"type": "integer"}, {"type": "string"}]:
                out["type"] = "KC_SCHEMA_INT_OR_STRING"
            elif fmt is None and one_of == [{"type": "string"}, {"type": "number"}] and name == QUANTITY:
                out["type"] = "KC_SCHEMA_QUANTITY"
            else:
                fail(where, "unsupported oneOf %r" % (one_of,))
        elif "KC_SCHEMA_F_PRESERVE_UNKNOWN" in out["flags"]:
            out["type"] = "KC_SCHEMA_ANY"
        elif t == "object" and props:
            if fmt or "additionalProperties" in s or "items" in s:
                fail(where, "object with properties and format/additionalProperties/items")
            out["type"] = "KC_SCHEMA_OBJECT"
        elif t == "object" and "additionalProperties" not in s:
            if fmt or "items" in s:
                fail(where, "free-form object with format/items")
            out["type"] = "KC_SCHEMA_ANY"  # RawExtension, FieldsV1, Patch: any JSON
        elif t == "string" and fmt == "date-time" and not props:
            out["type"] = "KC_SCHEMA_MICROTIME" if name == MICROTIME else "KC_SCHEMA_TIME"
        else:
            # a named schema that is just a type (an array, a map or a scalar)
            node = {k: v for k, v in s.items() if k in NODE_KEYS}
            if props or "required" in s:
                fail(where, "properties on a non-object")
            inner = self.inline_node(node, where)
            a = self.anon[inner[1]]
            out["type"], out["elem"] = a["type"], a["elem"]
        if out["required"] and out["type"] != "KC_SCHEMA_OBJECT":
            fail(where, "required on a non-object")
        for pn, p in props.items():
            out["props"].append(self.prop(name + "." + pn, pn, p, pn in req))
        return out

    def prop(self, where, pname, p, required):
        if not isinstance(p, dict):
            fail(where, "property is not an object")
        extra = set(p) - PROP_KEYS
        if extra:
            fail(where, "unknown keywords %s" % sorted(extra))
        node = {k: v for k, v in p.items() if k in NODE_KEYS}
        out = {"name": pname, "schema": self.inline_node(node, where, allow_default=True), "merge_key": None,
               "list_map_keys": None, "default": None, "patch": None, "list_type": None, "map_type": None,
               "required": required}
        if "default" in p and not is_zero_default(p["default"]):
            out["default"] = json.dumps(p["default"], separators=(",", ":"), sort_keys=True)
        ps = p.get("x-kubernetes-patch-strategy")
        if ps is not None:
            if ps not in PATCH_STRATEGIES:
                fail(where, "unknown patch strategy %r" % ps)
            out["patch"] = ps
        mk = p.get("x-kubernetes-patch-merge-key")
        if mk is not None:
            if not isinstance(mk, str) or not mk:
                fail(where, "bad merge key %r" % (mk,))
            out["merge_key"] = mk
        lt = p.get("x-kubernetes-list-type")
        if lt is not None:
            if lt not in LIST_TYPES:
                fail(where, "unknown list type %r" % lt)
            out["list_type"] = lt
        lmk = p.get("x-kubernetes-list-map-keys")
        if lmk is not None:
            if (not isinstance(lmk, list) or not lmk or not all(isinstance(k, str) and k for k in lmk)
                    or len(set(lmk)) != len(lmk) or len(lmk) > 255):
                fail(where, "bad list-map-keys %r" % (lmk,))
            if lt != "map":
                fail(where, "list-map-keys without list-type map")
            out["list_map_keys"] = tuple(lmk)
        elif lt == "map":
            fail(where, "list-type map without list-map-keys")
        mt = p.get("x-kubernetes-map-type")
        if mt is not None:
            if mt not in MAP_TYPES:
                fail(where, "unknown map type %r" % mt)
            out["map_type"] = mt
        return out

    def build(self):
        self.schemas = {n: self.named_schema(n) for n in sorted(self.named)}
        # Anonymous schemas get a canonical description for a stable order; elem ids resolve after sorting.
        self.named_order = sorted(self.named)

        def desc(sid):
            if sid[0] == "named":
                return sid[1]
            a = self.anon[sid[1]]
            if a["type"] == "KC_SCHEMA_ARRAY":
                return "[]" + desc(a["elem"])
            if a["type"] == "KC_SCHEMA_MAP":
                return "map[string]" + desc(a["elem"])
            return a["oa_type"] + ("/" + a["format"] if a["format"] else "")

        self.desc = desc
        self.anon_order = sorted(self.anon, key=lambda k: desc(("anon", k)))
        if len(set(desc(("anon", k)) for k in self.anon)) != len(self.anon):
            fail("anonymous schemas", "two shapes share one description")
        self.index = {("named", n): i for i, n in enumerate(self.named_order)}
        for j, k in enumerate(self.anon_order):
            self.index[("anon", k)] = len(self.named_order) + j
        gvks = [g for n in self.named_order for g in self.schemas[n]["gvks"]]
        if len(set(gvks)) != len(gvks):
            fail("group-version-kinds", "one (group, version, kind) on two schemas")
        if len(self.index) > 65535:
            fail("tables", "too many schemas")

    # ---- writing ----
    def emit(self):
        named, anon = self.named_order, self.anon_order
        sch = self.schemas
        nprops = sum(len(sch[n]["props"]) for n in named)
        gv_docs = [d for d in self.docs if d[0] == "api/v1" or d[0].count("/") == 2]
        gv_gvks = set()
        for _, names in gv_docs:
            for n in names:
                gv_gvks.update(sch[n]["gvks"])
        all_gvks = sorted(g for n in named for g in sch[n]["gvks"])
        ndefaults = sum(1 for n in named for p in sch[n]["props"] if p["default"])
        stats = {"nnamed": len(named), "nanon": len(anon), "nprops": nprops, "ngvks": len(all_gvks),
                 "ngv_gvks": len(gv_gvks), "ndocs": len(self.docs), "ngv_docs": len(gv_docs),
                 "ndefaults": ndefaults}
        self.stats = stats

        # string pools: required lists and list-map-keys, each list contiguous
        req_pool, req_off, req_rows = [], {}, []
        lmk_pool, lmk_off, lmk_rows = [], {}, []
        for n in named:
            r = tuple(sch[n]["required"])
            if r and r not in req_off:
                req_off[r] = len(req_pool)
                req_rows.append((len(req_pool), r, n))
                req_pool.extend(r)
            for p in sch[n]["props"]:
                k = p["list_map_keys"]
                if k and k not in lmk_off:
                    lmk_off[k] = len(lmk_pool)
                    lmk_rows.append((len(lmk_pool), k, n + "." + p["name"]))
                    lmk_pool.extend(k)

        L = []
        w = L.append
        w("/* k8s_schema_gen.c - GENERATED by scripts/gen-k8s-schema.py from the Kubernetes 1.33 OpenAPI v3 documents.")
        w(" * Do not edit: change the script and rerun it (`/usr/bin/python3 scripts/gen-k8s-schema.py`). The lookup API")
        w(" * and the meaning of every field are in kc_schema.h.")
        w(" *")
        w(" * %d named + %d anonymous schemas, %d properties (%d with a real default), %d group-version-kinds"
          % (len(named), len(anon), nprops, ndefaults, len(all_gvks)))
        w(" * (%d from the %d group-version documents), %d documents. Comments abbreviate schema names"
          % (len(gv_gvks), len(gv_docs), len(self.docs)))
        w(" * (io.k8s.api.core.v1.PodSpec as core.v1.PodSpec, io.k8s.apimachinery.pkg.apis.meta.v1.Time as meta.v1.Time).")
        w(" */")
        w('#include "k8s_schema_gen.h"')
        w("")
        w("#include <stddef.h>")
        w("")
        w("// clang-format off")
        w("#define S(i) (&kc_schema_gen_schemas[i])")
        w("#define PROP(n, i) .name = n, .schema = S(i)")
        w("#define MERGE_KEY(k) .merge_key = k")
        w("#define MAP_KEYS(off, n) .list_map_keys = &lmk[off], .nlist_map_keys = n")
        w("#define DEFAULT(j) .default_json = j")
        w("#define PATCH(s) .patch_strategy = s")
        w("#define MERGE KC_SCHEMA_PATCH_MERGE")
        w("#define RETAIN_KEYS KC_SCHEMA_PATCH_RETAIN_KEYS")
        w("#define REPLACE KC_SCHEMA_PATCH_REPLACE")
        w("#define LIST(t) .list_type = KC_SCHEMA_LIST_##t")
        w("#define MAP_TYPE(t) .map_type = KC_SCHEMA_MAPTYPE_##t")
        w("#define REQUIRED .flags = KC_SCHEMA_PROP_REQUIRED")
        w("#define T(t) .type = KC_SCHEMA_##t")
        w("#define OA(t) .oa_type = KC_SCHEMA_OA_##t")
        w("#define FMT(f) .format = KC_SCHEMA_FMT_##f")
        w("#define ELEM(i) .elem = S(i)")
        w("#define PROPS(off, n) .props = &kc_schema_gen_props[off], .nprops = n")
        w("#define REQ(off, n) .required = &req[off], .nrequired = n")
        w("#define GVKS(off, n) .gvks = &kc_schema_gen_gvks[off], .ngvks = n")
        w("")
        w("/* The required lists, each contiguous. */")
        w("static const char *const req[] = {")
        for off, r, n in req_rows:
            w("    /* %d: %s */ %s," % (off, short(n), ", ".join(cstr(x) for x in r)))
        w("};")
        w("")
        w("/* The x-kubernetes-list-map-keys lists, each contiguous. */")
        w("static const char *const lmk[] = {")
        for off, k, where in lmk_rows:
            w("    /* %d: %s */ %s," % (off, short(where), ", ".join(cstr(x) for x in k)))
        w("};")
        w("")
        # unions
        union_ids = {}
        for n in named:
            if sch[n]["unions"]:
                base = len(union_ids)
                for ui, (disc, fields) in enumerate(sch[n]["unions"]):
                    w("static const struct kc_schema_union_field union_fields_%d[] = {" % (base + ui))
                    for fld, val in fields:
                        w("    { .field = %s, .value = %s }," % (cstr(fld), cstr(val)))
                    w("};")
                union_ids[n] = base
        for n in named:
            if n in union_ids:
                base = union_ids[n]
                w("static const struct kc_schema_union unions_%d[] = { /* %s */" % (base, short(n)))
                for ui, (disc, fields) in enumerate(sch[n]["unions"]):
                    w("    { .discriminator = %s, .fields = union_fields_%d, .nfields = %d },"
                      % (cstr(disc), base + ui, len(fields)))
                w("};")
        w("")

        # properties
        w("const struct kc_schema_prop kc_schema_gen_props[] = {")
        prop_off = {}
        k = 0
        for n in named:
            props = sch[n]["props"]
            if not props:
                continue
            prop_off[n] = k
            w("    /* %d: %s */" % (k, short(n)))
            for p in props:
                f = ["PROP(%s, %d)" % (cstr(p["name"]), self.index[p["schema"]])]
                if p["merge_key"]:
                    f.append("MERGE_KEY(%s)" % cstr(p["merge_key"]))
                if p["list_map_keys"]:
                    f.append("MAP_KEYS(%d, %d)" % (lmk_off[p["list_map_keys"]], len(p["list_map_keys"])))
                if p["default"]:
                    f.append("DEFAULT(%s)" % cstr(p["default"]))
                if p["patch"]:
                    f.append("PATCH(%s)" % PATCH_MACROS[p["patch"]])
                if p["list_type"]:
                    f.append("LIST(%s)" % p["list_type"].upper())
                if p["map_type"]:
                    f.append("MAP_TYPE(%s)" % p["map_type"].upper())
                if p["required"]:
                    f.append("REQUIRED")
                w("    { %s }, /* %s */" % (", ".join(f), short(self.desc(p["schema"]))))
                k += 1
        w("};")
        w("")

        # gvks, in schema order then document order
        w("const struct kc_schema_gvk kc_schema_gen_gvks[] = {")
        gvk_off, gvk_list = {}, []
        for n in named:
            if sch[n]["gvks"]:
                gvk_off[n] = len(gvk_list)
                w("    /* %d: %s */" % (len(gvk_list), short(n)))
                for g in sch[n]["gvks"]:
                    w("    { %s, %s, %s, S(%d) }," % (cstr(g[0]), cstr(g[1]), cstr(g[2]), self.index[("named", n)]))
                    gvk_list.append(g)
        w("};")
        w("")
        w("/* kc_schema_gen_gvks sorted by (group, version, kind), for binary search. */")
        w("const uint16_t kc_schema_gen_gvk_sorted[] = {")
        order = sorted(range(len(gvk_list)), key=lambda i: gvk_list[i])
        for i in range(0, len(order), 16):
            w("    " + ", ".join(str(x) for x in order[i:i + 16]) + ",")
        w("};")
        w("")

        # schemas
        w("const struct kc_schema kc_schema_gen_schemas[] = {")
        for i, n in enumerate(named):
            s = sch[n]
            f = ["T(%s)" % s["type"][len("KC_SCHEMA_"):], "OA(%s)" % (s["oa_type"] or "none").upper()]
            if s["format"]:
                f.append("FMT(%s)" % s["format"].upper().replace("-", "_"))
            if s["elem"]:
                f.append("ELEM(%d)" % self.index[s["elem"]])
            if s["props"]:
                f.append("PROPS(%d, %d)" % (prop_off[n], len(s["props"])))
            if s["required"]:
                f.append("REQ(%d, %d)" % (req_off[tuple(s["required"])], len(s["required"])))
            if s["gvks"]:
                f.append("GVKS(%d, %d)" % (gvk_off[n], len(s["gvks"])))
            if s["unions"]:
                f.append(".unions = unions_%d, .nunions = %d" % (union_ids[n], len(s["unions"])))
            if s["map_type"]:
                f.append("MAP_TYPE(%s)" % s["map_type"].upper())
            if s["flags"]:
                f.append(".flags = %s" % " | ".join(s["flags"]))
            if len(s["required"]) > 255 or len(s["gvks"]) > 255 or len(s["unions"]) > 255 or len(s["props"]) > 65535:
                fail(n, "too many entries for the table's counters")
            w("    /* %d */ { .name = %s, %s }," % (i, cstr(n), ", ".join(f)))
        for j, key in enumerate(anon):
            a = self.anon[key]
            i = len(named) + j
            f = ["T(%s)" % a["type"][len("KC_SCHEMA_"):], "OA(%s)" % (a["oa_type"] or "none").upper()]
            if a["format"]:
                f.append("FMT(%s)" % a["format"].upper().replace("-", "_"))
            if a["elem"]:
                f.append("ELEM(%d)" % self.index[a["elem"]])
            w("    /* %d: %s */ { %s }," % (i, short(self.desc(("anon", key))), ", ".join(f)))
        w("};")
        w("")

        # documents
        for di, (path, names) in enumerate(self.docs):
            w("static const struct kc_schema *const doc_%d[] = { /* %s */" % (di, path))
            idx = [self.index[("named", n)] for n in names]
            for i in range(0, len(idx), 12):
                w("    " + ", ".join("S(%d)" % x for x in idx[i:i + 12]) + ",")
            w("};")
        w("")
        w("const struct kc_schema_doc kc_schema_gen_docs[] = {")
        for di, (path, names) in enumerate(self.docs):
            parts = path.split("/")
            if parts == ["api"]:
                group, version = None, None
            elif parts[0] == "api" and len(parts) == 2:
                group, version = "", parts[1]
            elif parts[0] == "apis" and len(parts) == 2:
                group, version = parts[1], None
            elif parts[0] == "apis" and len(parts) == 3:
                group, version = parts[1], parts[2]
            else:
                fail(path, "unexpected document path")
            w("    { .path = %s, .group = %s, .version = %s, .schemas = doc_%d, .nschemas = %d },"
              % (cstr(path), cstr(group), cstr(version), di, len(names)))
        w("};")
        w("// clang-format on")
        c_text = "\n".join(L) + "\n"

        H = []
        h = H.append
        h("/* k8s_schema_gen.h - GENERATED by scripts/gen-k8s-schema.py: the table sizes and the tables behind")
        h(" * kc_schema.h. Private to common/schema.c (and its tests); use the kc_schema_* functions instead.")
        h(" */")
        h("#ifndef K8S_SCHEMA_GEN_H")
        h("#define K8S_SCHEMA_GEN_H")
        h("")
        h('#include "kc_schema.h"')
        h("")
        h("#include <stdint.h>")
        h("")
        h("enum {")
        rows = [("KC_SCHEMA_GEN_NSCHEMAS", len(named) + len(anon), "named + anonymous schemas"),
                ("KC_SCHEMA_GEN_NNAMED", len(named), "named schemas, first in the table, sorted by name"),
                ("KC_SCHEMA_GEN_NPROPS", nprops, "properties of all named schemas"),
                ("KC_SCHEMA_GEN_NGVKS", len(all_gvks), "group-version-kinds of all documents"),
                ("KC_SCHEMA_GEN_NGV_GVKS", len(gv_gvks), "of those, the ones in the group-version documents"),
                ("KC_SCHEMA_GEN_NDOCS", len(self.docs), "documents"),
                ("KC_SCHEMA_GEN_NDEFAULTS", ndefaults, "properties with a real default")]
        width = max(len(r[0]) + len(str(r[1])) for r in rows) + 4
        for name, val, comment in rows:
            item = "    %s = %d," % (name, val)
            h(item + " " * (width + 4 - len(item) + 1) + "/* %s */" % comment)
        h("};")
        h("")
        h("extern const struct kc_schema kc_schema_gen_schemas[];    /* KC_SCHEMA_GEN_NSCHEMAS */")
        h("extern const struct kc_schema_prop kc_schema_gen_props[]; /* KC_SCHEMA_GEN_NPROPS */")
        h("extern const struct kc_schema_gvk kc_schema_gen_gvks[];   /* KC_SCHEMA_GEN_NGVKS, by schema */")
        h("extern const uint16_t kc_schema_gen_gvk_sorted[];         /* indices sorted by (group, version, kind) */")
        h("extern const struct kc_schema_doc kc_schema_gen_docs[];   /* KC_SCHEMA_GEN_NDOCS, by path */")
        h("")
        h("#endif")
        h_text = "\n".join(H) + "\n"
        return c_text, h_text


PATCH_MACROS = {"merge": "MERGE", "merge,retainKeys": "MERGE | RETAIN_KEYS", "retainKeys": "RETAIN_KEYS",
                "replace": "REPLACE"}
SHORT_PREFIXES = ("io.k8s.apimachinery.pkg.apis.", "io.k8s.apimachinery.pkg.", "io.k8s.api.")


def short(desc):
    """A schema description with the common name prefixes dropped, for comments."""
    for p in SHORT_PREFIXES:
        desc = desc.replace(p, "")
    return desc


def cstr(s):
    if s is None:
        return "NULL"
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= o < 0x7F and ch != "?":  # "?" is escaped to rule out trigraphs
            out.append(ch)
        elif ch == "?":
            out.append("\\?")
        else:
            for b in ch.encode("utf-8"):
                out.append("\\%03o" % b)
    out.append('"')
    return "".join(out)


def main(argv):
    ap = argparse.ArgumentParser(description="Generate k8c's schema tables from the Kubernetes OpenAPI v3 documents.")
    ap.add_argument("--spec-dir", default=DEFAULT_SPEC_DIR, help="directory of *_openapi.json (default: %(default)s)")
    ap.add_argument("--out-dir", default=REPO, help="repository root to write into / compare with (default: %(default)s)")
    ap.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    ap.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    args = ap.parse_args(argv)

    if not os.path.isdir(args.spec_dir):
        print("gen-k8s-schema: spec directory %s not found" % args.spec_dir, file=sys.stderr)
        return 77
    g = Gen()
    try:
        g.load(args.spec_dir)
        g.build()
        c_text, h_text = g.emit()
    except SpecError as e:
        print("gen-k8s-schema: %s" % e, file=sys.stderr)
        return 2
    outputs = [(OUT_C, c_text), (OUT_H, h_text)]
    if args.check:
        stale = []
        for rel, text in outputs:
            path = os.path.join(args.out_dir, rel)
            try:
                with open(path, encoding="utf-8", newline="") as fh:
                    current = fh.read()
            except OSError as e:
                current = None
                print("gen-k8s-schema: cannot read %s: %s" % (path, e.strerror), file=sys.stderr)
            if current != text:
                stale.append(rel)
        if stale:
            print("gen-k8s-schema: %s out of date; run /usr/bin/python3 scripts/gen-k8s-schema.py"
                  % ", ".join(stale), file=sys.stderr)
            return 1
        if not args.quiet:
            print("gen-k8s-schema: %s up to date" % ", ".join(r for r, _ in outputs))
        return 0
    for rel, text in outputs:
        path = os.path.join(args.out_dir, rel)
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    if not args.quiet:
        st = g.stats
        print("gen-k8s-schema: wrote %s, %s: %d named + %d anonymous schemas, %d properties (%d real defaults), "
              "%d group-version-kinds (%d in the %d group-version documents), %d documents"
              % (OUT_C, OUT_H, st["nnamed"], st["nanon"], st["nprops"], st["ndefaults"], st["ngvks"],
                 st["ngv_gvks"], st["ngv_docs"], st["ndocs"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
