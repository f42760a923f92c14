#!/usr/bin/python3
"""gen-k8s-proto.py - derive k8c's protobuf field-number table (common/k8s_proto_gen.c) from the protobuf
descriptors compiled into a real kubectl binary, with JSON names checked against the OpenAPI documents.

Usage:
    /usr/bin/python3 scripts/gen-k8s-proto.py [--kubectl BIN] [--spec-dir DIR] [--out-dir DIR]  # (re)write it
    /usr/bin/python3 scripts/gen-k8s-proto.py --check                                          # exit 1 if stale

Why a binary: the OpenAPI documents do not carry protobuf field numbers; Kubernetes' generated.proto files do,
and gogo-protobuf registers each of them in every Go program that links k8s.io/api as a gzip-compressed
FileDescriptorProto. kubectl 1.33 (default /usr/lib/google-cloud-sdk/bin/kubectl.1.33) therefore holds the
descriptors of exactly the API types it sends. The script scans the binary for gzip members, inflates them,
keeps those that parse completely as a FileDescriptorProto named k8s.io/.../generated.proto, and reads them
with a minimal protobuf reader. Two copies of one file must be byte-identical.

--check regenerates in memory and compares byte for byte with the committed file: 0 when equal, 1 when it
differs, 77 (the conventional "skipped" code) when the kubectl binary or the spec directory is missing, 2 when
the inputs do not look as expected. Standard library only.

What is taken from the descriptors: for every message of PACKAGES (and of the files they import, transitively):
its fields' numbers, types (scalar kind or message), labels (repeated), whether the message is a map entry
(MessageOptions.map_entry) and whether the Go field is a pointer: the (gogoproto.nullable) option (65001) is
false on every value field, absent on pointers. kubectl's marshaller writes value fields always, zeros
included, and pointer fields only when set; the decoder uses the flag to tell "unset" from "set to zero".

JSON names. go-to-protobuf names a proto field after the Go field (lower first letter), not after its json tag,
so a few differ from the JSON name (IngressClassParametersReference.aPIGroup is JSON "apiGroup",
BoundObjectReference.uID is "uid"), and Go's embedded structs (json:",inline": Volume.volumeSource,
Probe.handler, ConfigMapKeySelector.localObjectReference, ...) are fields of their own in proto while their
members are inlined in JSON. The OpenAPI v3 documents (--spec-dir, default ../shared/k8s-openapi/v3) are the
authority for JSON: for a message with a schema io.k8s.<name>, each field must match a property exactly, or
case-insensitively and uniquely (then the property's spelling is used), or be a message field whose own fields
all resolve to properties of this schema (then it is INLINE). Every property, apart from apiVersion/kind, must
be claimed by exactly one field. Messages without a schema keep the proto names, except those only ever
inlined, whose names are resolved against the schema they are inlined into. Every field with a property is
also checked for shape (scalar kind vs OpenAPI type/format, repeated vs array, map vs additionalProperties,
message vs $ref), so a wrong number-to-name pairing fails here instead of corrupting objects.

Special messages, whose JSON form is not an object (shape checked, else the script fails):
  meta.v1.Time {1 seconds, 2 nanos}, meta.v1.MicroTime (same), meta.v1.Duration {1 duration},
  util.intstr.IntOrString {1 type, 2 intVal, 3 strVal}, api.resource.Quantity / QuantityValue {1 string},
  runtime.RawExtension {1 raw}, meta.v1.FieldsV1 {1 Raw}, and "slice wrappers": messages without a schema that
  hold only `repeated items = 1` (meta.v1.Verbs, authentication/authorization/certificates ExtraValue), which
  Go's named slice types become; their JSON is a plain array, as every use's OpenAPI type confirms.

Output is deterministic: messages sorted by full name (byte order), fields by number.
"""

import argparse
import json
import os
import sys
import zlib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.33"
DEFAULT_SPEC_DIR = os.path.join(REPO, "..", "shared", "k8s-openapi", "v3")
OUT_C = "common/k8s_proto_gen.c"
REF_PREFIX = "#/components/schemas/"

# The proto packages of the API groups k8c serves (one per OpenAPI group-version document) and of the
# apimachinery types they use. Files these import are added (transitively).
PACKAGES = [
    "k8s.io.api.core.v1", "k8s.io.api.apps.v1", "k8s.io.api.batch.v1", "k8s.io.api.networking.v1",
    "k8s.io.api.rbac.v1", "k8s.io.api.authorization.v1", "k8s.io.api.authentication.v1",
    "k8s.io.api.coordination.v1", "k8s.io.api.discovery.v1", "k8s.io.api.storage.v1",
    "k8s.io.api.autoscaling.v1", "k8s.io.api.autoscaling.v2", "k8s.io.api.policy.v1", "k8s.io.api.events.v1",
    "k8s.io.api.certificates.v1", "k8s.io.apimachinery.pkg.apis.meta.v1", "k8s.io.apimachinery.pkg.api.resource",
    "k8s.io.apimachinery.pkg.util.intstr", "k8s.io.apimachinery.pkg.runtime",
]

META = "k8s.io.apimachinery.pkg.apis.meta.v1."
# name -> (C constant, expected fields as (number, name, type, repeated))
SPECIALS = {
    META + "Time": ("TIME", [(1, "seconds", 3, False), (2, "nanos", 5, False)]),
    META + "MicroTime": ("MICROTIME", [(1, "seconds", 3, False), (2, "nanos", 5, False)]),
    META + "Duration": ("DURATION", [(1, "duration", 3, False)]),
    META + "FieldsV1": ("RAWJSON", [(1, "Raw", 12, False)]),
    "k8s.io.apimachinery.pkg.runtime.RawExtension": ("RAWJSON", [(1, "raw", 12, False)]),
    "k8s.io.apimachinery.pkg.util.intstr.IntOrString": (
        "INTORSTRING", [(1, "type", 3, False), (2, "intVal", 5, False), (3, "strVal", 9, False)]),
    "k8s.io.apimachinery.pkg.api.resource.Quantity": ("QUANTITY", [(1, "string", 9, False)]),
    "k8s.io.apimachinery.pkg.api.resource.QuantityValue": ("QUANTITY", [(1, "string", 9, False)]),
}
# what each special is in OpenAPI: a schema name it must be referenced as (None: not a schema)
SPECIAL_SCHEMA = {
    "TIME": "io.k8s.apimachinery.pkg.apis.meta.v1.Time",
    "MICROTIME": "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime",
    "INTORSTRING": "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
    "QUANTITY": "io.k8s.apimachinery.pkg.api.resource.Quantity",
}

# FieldDescriptorProto.Type
T_DOUBLE, T_FLOAT, T_INT64, T_UINT64, T_INT32, T_FIXED64, T_FIXED32, T_BOOL, T_STRING, T_GROUP, T_MESSAGE, \
    T_BYTES, T_UINT32, T_ENUM, T_SFIXED32, T_SFIXED64, T_SINT32, T_SINT64 = range(1, 19)
TYPE_NAMES = {T_DOUBLE: "DOUBLE", T_FLOAT: "FLOAT", T_INT64: "INT64", T_UINT64: "UINT64", T_INT32: "INT32",
              T_FIXED64: "FIXED64", T_FIXED32: "FIXED32", T_BOOL: "BOOL", T_STRING: "STRING",
              T_MESSAGE: "MESSAGE", T_BYTES: "BYTES", T_UINT32: "UINT32", T_SFIXED32: "SFIXED32",
              T_SFIXED64: "SFIXED64", T_SINT32: "SINT32", T_SINT64: "SINT64"}
INT_TYPES = {T_INT64, T_UINT64, T_INT32, T_FIXED64, T_FIXED32, T_UINT32, T_SFIXED32, T_SFIXED64, T_SINT32,
             T_SINT64}
LABEL_REPEATED = 3
GOGO_NULLABLE = 65001


class GenError(Exception):
    pass


# --- a minimal protobuf reader ---

def varint(b, i):
    r = s = 0
    while True:
        if i >= len(b) or s > 63:
            raise GenError("truncated or overlong varint")
        c = b[i]
        i += 1
        r |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return r, i


def parse(b):
    """A message's fields as a list of (number, wire type, value): ints for varint/fixed, bytes for
    length-delimited. Raises GenError unless b is exactly a sequence of well-formed fields."""
    out, i = [], 0
    while i < len(b):
        key, i = varint(b, i)
        num, wt = key >> 3, key & 7
        if num == 0:
            raise GenError("field number 0")
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 1 or wt == 5:
            n = 8 if wt == 1 else 4
            if i + n > len(b):
                raise GenError("truncated fixed field")
            v, i = int.from_bytes(b[i:i + n], "little"), i + n
        elif wt == 2:
            n, i = varint(b, i)
            if i + n > len(b):
                raise GenError("truncated length-delimited field")
            v, i = bytes(b[i:i + n]), i + n
        else:
            raise GenError("unsupported wire type %d" % wt)
        out.append((num, wt, v))
    return out


def one(fields, num, default=None):
    vals = [v for n, _, v in fields if n == num]
    if len(vals) > 1:
        raise GenError("field %d given %d times" % (num, len(vals)))
    return vals[0] if vals else default


def text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else v


# --- reading the binary ---

def scan_descriptors(path):
    """{file name: serialized FileDescriptorProto} of every k8s.io/ descriptor gzip member in the binary."""
    with open(path, "rb") as fh:
        data = fh.read()
    mv = memoryview(data)
    found, i = {}, 0
    while True:
        i = data.find(b"\x1f\x8b\x08", i)
        if i < 0:
            break
        start, i = i, i + 1
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            raw = d.decompress(mv[start:], 16 << 20)
        except zlib.error:
            continue
        if not d.eof or not raw.startswith(b"\x0a"):
            continue
        try:
            fd = parse(raw)
            name = text(one(fd, 1, b""))
        except (GenError, UnicodeDecodeError):
            continue
        if not (name.startswith("k8s.io/") and name.endswith(".proto")):
            continue
        if name in found and found[name] != raw:
            raise GenError("%s: two different descriptors in %s" % (name, path))
        found[name] = raw
    if not found:
        raise GenError("no k8s.io/ protobuf descriptors found in %s (not a Go binary linking k8s.io/api?)" % path)
    return found


class Field:
    def __init__(self, msg, raw):
        f = parse(raw)
        self.msg = msg
        self.proto_name = text(one(f, 1))
        self.number = one(f, 3)
        self.label = one(f, 4, 1)
        self.type = one(f, 5)
        self.type_name = text(one(f, 6, b""))
        if self.type_name.startswith("."):
            self.type_name = self.type_name[1:]
        opts = parse(one(f, 8, b""))
        self.nullable = one(opts, GOGO_NULLABLE, 1) != 0
        if one(f, 9) is not None:
            raise GenError("%s.%s: oneof fields are not supported" % (msg.name, self.proto_name))
        if self.type not in TYPE_NAMES:
            raise GenError("%s.%s: field type %s is not supported (no enums or groups in the Kubernetes API)"
                           % (msg.name, self.proto_name, self.type))
        self.repeated = self.label == LABEL_REPEATED
        self.json = self.proto_name
        self.inline = False
        self.ref = None  # the Msg of a MESSAGE field

    @property
    def where(self):
        return "%s.%s" % (self.msg.name, self.proto_name)


class Msg:
    def __init__(self, pkg, prefix, raw, out):
        d = parse(raw)
        self.short = text(one(d, 1))
        self.name = prefix + "." + self.short
        self.pkg = pkg
        opts = parse(one(d, 7, b""))
        self.map_entry = one(opts, 7, 0) != 0
        for n, _, v in d:
            if n == 3:
                Msg(pkg, self.name, v, out)
            elif n == 4:
                raise GenError("%s: enums are not supported" % self.name)
            elif n == 8:
                raise GenError("%s: oneofs are not supported" % self.name)
        self.fields = sorted((Field(self, v) for n, _, v in d if n == 2), key=lambda f: f.number)
        nums = [f.number for f in self.fields]
        if len(set(nums)) != len(nums):
            raise GenError("%s: duplicate field numbers" % self.name)
        self.special = "NONE"
        self.schema = None  # its OpenAPI schema, when there is one
        if self.name in out:
            raise GenError("%s defined twice" % self.name)
        out[self.name] = self


class Gen:
    def __init__(self):
        self.msgs = {}
        self.files = []
        self.schemas = {}

    def load(self, kubectl, spec_dir):
        descs = scan_descriptors(kubectl)
        byname = {}
        for fname, raw in descs.items():
            fd = parse(raw)
            pkg = text(one(fd, 2, b""))
            deps = [text(v) for n, _, v in fd if n == 3]
            if one(fd, 5) is not None:
                raise GenError("%s: top-level enums are not supported" % fname)
            byname[fname] = (pkg, deps, fd)
        bypkg = {}
        for fname, (pkg, _, _) in byname.items():
            if pkg in bypkg:
                raise GenError("package %s in two files: %s and %s" % (pkg, bypkg[pkg], fname))
            bypkg[pkg] = fname
        todo = []
        for pkg in PACKAGES:
            if pkg not in bypkg:
                raise GenError("package %s not among the descriptors in %s" % (pkg, kubectl))
            todo.append(bypkg[pkg])
        seen = set()
        while todo:
            fname = todo.pop()
            if fname in seen:
                continue
            seen.add(fname)
            pkg, deps, fd = byname[fname]
            for dep in deps:
                if dep.startswith("k8s.io/"):
                    if dep not in byname:
                        raise GenError("%s imports %s, which is not in the binary" % (fname, dep))
                    todo.append(dep)
            for n, _, v in fd:
                if n == 4:
                    Msg(pkg, pkg, v, self.msgs)
        self.files = sorted(seen)
        for fn in sorted(os.listdir(spec_dir)):
            if not fn.endswith("_openapi.json"):
                continue
            with open(os.path.join(spec_dir, fn), encoding="utf-8") as fh:
                doc = json.load(fh)
            for name, s in doc.get("components", {}).get("schemas", {}).items():
                if name in self.schemas and self.schemas[name] != s:
                    raise GenError("schema %s differs between documents" % name)
                self.schemas[name] = s
        if not self.schemas:
            raise GenError("no OpenAPI schemas in %s" % spec_dir)

    # --- resolution ---

    def build(self):
        for m in self.msgs.values():
            for f in m.fields:
                if f.type == T_MESSAGE:
                    if f.type_name not in self.msgs:
                        raise GenError("%s: type %s unknown" % (f.where, f.type_name))
                    f.ref = self.msgs[f.type_name]
            m.schema = self.schemas.get("io.k8s." + m.name[len("k8s.io."):])
        for name, (sp, shape) in SPECIALS.items():
            m = self.msgs.get(name)
            if m is None:
                raise GenError("special message %s missing" % name)
            got = [(f.number, f.proto_name, f.type, f.repeated) for f in m.fields]
            if got != shape:
                raise GenError("%s: fields %s, expected %s" % (name, got, shape))
            m.special = sp
        for m in self.msgs.values():
            if (m.special == "NONE" and m.schema is None and not m.map_entry and len(m.fields) == 1 and
                    m.fields[0].number == 1 and m.fields[0].proto_name == "items" and m.fields[0].repeated):
                m.special = "SLICE"
        for m in self.msgs.values():
            if m.map_entry:
                k = [f for f in m.fields if f.number == 1]
                v = [f for f in m.fields if f.number == 2]
                if len(m.fields) != 2 or not k or not v or k[0].type != T_STRING or k[0].repeated or v[0].repeated:
                    raise GenError("%s: a map entry must be {1 string key, 2 value}" % m.name)
        for m in self.msgs.values():
            for f in m.fields:
                if f.ref is not None and f.ref.map_entry and not f.repeated:
                    raise GenError("%s: map entry type on a non-repeated field" % f.where)
        self.used_inline = {}
        for m in sorted(self.msgs.values(), key=lambda x: x.name):
            if m.schema is not None and m.special == "NONE" and not m.map_entry:
                self.resolve(m)
        self.stats = {"nfiles": len(self.files), "nmsgs": len(self.msgs),
                      "nfields": sum(len(m.fields) for m in self.msgs.values()),
                      "nschema": sum(1 for m in self.msgs.values() if m.schema is not None),
                      "ninline": sum(1 for m in self.msgs.values() for f in m.fields if f.inline),
                      "nrenamed": sum(1 for m in self.msgs.values() for f in m.fields
                                      if not f.inline and f.json != f.proto_name)}

    def names_against(self, m, props, where, depth=0):
        """The JSON names m's fields take when m is inlined into a schema with properties props:
        {field: (json name or None when itself inline, inline sub-result)}; raises when one does not fit."""
        if depth > 8:
            raise GenError("%s: inlining too deep" % where)
        res = {}
        for f in m.fields:
            name = match_prop(f.proto_name, props)
            if name is not None:
                res[f] = (name, None)
            elif f.ref is not None and not f.repeated and f.ref.special == "NONE" and not f.ref.map_entry:
                res[f] = (None, self.names_against(f.ref, props, where, depth + 1))
            else:
                raise GenError("%s: field %s (%d) matches no property of the schema" % (where, f.proto_name,
                                                                                      f.number))
        return res

    def resolve(self, m):
        props = m.schema.get("properties", {})
        res = self.names_against(m, props, m.name)
        claimed = {}

        def apply(msg, r, owner):
            for f, (name, sub) in r.items():
                if name is not None:
                    if name in claimed:
                        raise GenError("%s: property %s claimed by %s and %s" % (owner.name, name, claimed[name],
                                                                               f.where))
                    claimed[name] = f.where
                    if msg is owner:
                        f.json = name
                    else:
                        prev = self.used_inline.setdefault(f, name)
                        if prev != name:
                            raise GenError("%s: JSON name %s in one parent, %s in another" % (f.where, prev, name))
                        if msg.schema is not None and f.json != name:
                            raise GenError("%s: inlined as %s but its own schema says %s" % (f.where, name, f.json))
                        f.json = name
                    self.check_shape(f, props[name], "%s (property %s of %s)" % (f.where, name, owner.name))
                else:
                    f.inline = True
                    apply(f.ref, sub, owner)
        apply(m, res, m)
        left = sorted(set(props) - set(claimed) - {"apiVersion", "kind"})
        if left:
            raise GenError("%s: properties %s have no protobuf field" % (m.name, ", ".join(left)))

    # --- shape check of one field against its OpenAPI property ---

    def ref_of(self, node):
        if "$ref" in node:
            return node["$ref"][len(REF_PREFIX):]
        if "allOf" in node and len(node["allOf"]) == 1 and "$ref" in node["allOf"][0]:
            return node["allOf"][0]["$ref"][len(REF_PREFIX):]
        return None

    def check_value(self, ftype, ref, node, where):
        """One value (not a list or map level) of proto type ftype / message ref against an OpenAPI node."""
        r = self.ref_of(node)
        if ftype == T_MESSAGE:
            if ref.special == "SLICE":
                item = ref.fields[0]
                if node.get("type") != "array":
                    raise GenError("%s: a slice wrapper but OpenAPI type %s" % (where, node.get("type")))
                self.check_value(item.type, item.ref, node["items"], where)
                return
            if ref.special == "RAWJSON":
                target = self.schemas.get(r) if r else node
                if target is None or target.get("type", "object") != "object" or target.get("properties"):
                    raise GenError("%s: raw JSON message vs OpenAPI %s" % (where, r or node))
                return
            if ref.special == "DURATION":
                if node.get("type") != "string":
                    raise GenError("%s: Duration vs OpenAPI %s" % (where, node.get("type")))
                return
            want = SPECIAL_SCHEMA.get(ref.special, "io.k8s." + ref.name[len("k8s.io."):])
            if r != want:
                raise GenError("%s: message %s but OpenAPI $ref %s" % (where, ref.name, r))
            return
        if r is not None:
            raise GenError("%s: scalar %s but OpenAPI $ref %s" % (where, TYPE_NAMES[ftype], r))
        t, fmt = node.get("type"), node.get("format")
        ok = {T_STRING: t == "string" and fmt != "byte", T_BYTES: t == "string" and fmt == "byte",
              T_BOOL: t == "boolean", T_DOUBLE: t == "number", T_FLOAT: t == "number"}.get(ftype, t == "integer")
        if not ok:
            raise GenError("%s: proto %s vs OpenAPI type %s format %s" % (where, TYPE_NAMES[ftype], t, fmt))

    def check_shape(self, f, prop, where):
        if f.repeated and f.ref is not None and f.ref.map_entry:
            if prop.get("type") != "object" or "additionalProperties" not in prop:
                raise GenError("%s: a map but OpenAPI is not a map" % where)
            v = [x for x in f.ref.fields if x.number == 2][0]
            self.check_value(v.type, v.ref, prop["additionalProperties"], where)
        elif f.repeated:
            if prop.get("type") != "array":
                raise GenError("%s: repeated but OpenAPI type %s" % (where, prop.get("type")))
            self.check_value(f.type, f.ref, prop["items"], where)
        else:
            self.check_value(f.type, f.ref, prop, where)

    # --- output ---

    def emit(self):
        names = sorted(self.msgs)
        index = {n: i for i, n in enumerate(names)}
        st = self.stats
        o = []
        w = o.append
        w("/* k8s_proto_gen.c - GENERATED by scripts/gen-k8s-proto.py from the protobuf descriptors in kubectl 1.33")
        w(" * (Kubernetes' generated.proto files), JSON names checked against the 1.33 OpenAPI v3 documents.")
        w(" * Do not edit: change the script and rerun it (`/usr/bin/python3 scripts/gen-k8s-proto.py`). The meaning")
        w(" * of every column is in kc_k8sproto.h.")
        w(" *")
        w(" * %d messages from %d files, %d fields (%d inline, %d renamed to their JSON name); %d messages checked"
          % (st["nmsgs"], st["nfiles"], st["nfields"], st["ninline"], st["nrenamed"], st["nschema"]))
        w(" * against an OpenAPI schema. Files:")
        line = " *"
        for fn in self.files:
            part = " " + fn[len("k8s.io/"):-len("/generated.proto")]
            if len(line) + len(part) > 116:
                w(line)
                line = " *"
            line += part
        w(line)
        w(" */")
        w('#include "kc_k8sproto.h"')
        w("")
        w("#include <stddef.h>")
        w("")
        w("// clang-format off")
        w("#define M(i) (&kc_k8sproto_gen_msgs[i])")
        for t in sorted(TYPE_NAMES):
            w("#define %s KC_K8SPROTO_%s" % (TYPE_NAMES[t], TYPE_NAMES[t]))
        w("#define R KC_K8SPROTO_F_REPEATED")
        w("#define N KC_K8SPROTO_F_NULLABLE")
        w("#define I KC_K8SPROTO_F_INLINE")
        w("#define MAP KC_K8SPROTO_F_MAP")
        w("")
        w("static const struct kc_k8sproto_field f[] = {")
        offsets = {}
        off = 0
        for n in names:
            m = self.msgs[n]
            offsets[n] = off
            if not m.fields:
                continue
            w("    /* %d %s */" % (off, short(n)))
            for fl in m.fields:
                flags = []
                if fl.repeated:
                    flags.append("R")
                if fl.ref is not None and fl.ref.map_entry:
                    flags.append("MAP")
                if fl.nullable and not fl.repeated:
                    flags.append("N")
                if fl.inline:
                    flags.append("I")
                ref = "M(%d)" % index[fl.type_name] if fl.ref is not None else "NULL"
                w("    { %d, %s, %s, %s, %s }," % (fl.number, cstr(fl.json), TYPE_NAMES[fl.type],
                                                  "|".join(flags) or "0", ref))
                off += 1
        w("};")
        w("")
        w("const struct kc_k8sproto_msg kc_k8sproto_gen_msgs[] = {")
        for i, n in enumerate(names):
            m = self.msgs[n]
            sp = "MAP_ENTRY" if m.map_entry else m.special
            fields = "&f[%d]" % offsets[n] if m.fields else "NULL"
            w("    /* %d */ { %s, %s, %d, KC_K8SPROTO_SP_%s }," % (i, cstr(n), fields, len(m.fields), sp))
        w("};")
        w("")
        w("const size_t kc_k8sproto_gen_nmsgs = %d;" % len(names))
        w("// clang-format on")
        return "\n".join(o) + "\n"


def match_prop(name, props):
    if name in props:
        return name
    hits = [p for p in props if p.lower() == name.lower()]
    return hits[0] if len(hits) == 1 else None


def short(name):
    for p in ("k8s.io.api.", "k8s.io.apimachinery.pkg.apis.", "k8s.io.apimachinery.pkg."):
        if name.startswith(p):
            return name[len(p):]
    return name


def cstr(s):
    if all(0x20 <= ord(c) < 0x7F and c not in '"\\?' for c in s):
        return '"%s"' % s
    raise GenError("name %r needs escaping" % s)


def main(argv):
    ap = argparse.ArgumentParser(description="Generate k8c's protobuf field table from kubectl's descriptors.")
    ap.add_argument("--kubectl", default=DEFAULT_KUBECTL, help="Go binary holding the descriptors (%(default)s)")
    ap.add_argument("--spec-dir", default=DEFAULT_SPEC_DIR, help="directory of *_openapi.json (%(default)s)")
    ap.add_argument("--out-dir", default=REPO, help="repository root to write into / compare with (%(default)s)")
    ap.add_argument("--check", action="store_true", help="compare with the committed file instead of writing")
    ap.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    args = ap.parse_args(argv)

    for what, path in (("kubectl binary", args.kubectl), ("spec directory", args.spec_dir)):
        if not os.path.exists(path):
            print("gen-k8s-proto: %s %s not found; skipped" % (what, path), file=sys.stderr)
            return 77
    g = Gen()
    try:
        g.load(args.kubectl, args.spec_dir)
        g.build()
        c_text = g.emit()
    except GenError as e:
        print("gen-k8s-proto: %s" % e, file=sys.stderr)
        return 2
    path = os.path.join(args.out_dir, OUT_C)
    if args.check:
        try:
            with open(path, encoding="utf-8", newline="") as fh:
                current = fh.read()
        except OSError as e:
            current = None
            print("gen-k8s-proto: cannot read %s: %s" % (path, e.strerror), file=sys.stderr)
        if current != c_text:
            print("gen-k8s-proto: %s out of date; run /usr/bin/python3 scripts/gen-k8s-proto.py" % OUT_C,
                  file=sys.stderr)
            return 1
        if not args.quiet:
            print("gen-k8s-proto: %s up to date" % OUT_C)
        return 0
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(c_text)
    os.replace(tmp, path)
    if not args.quiet:
        st = g.stats
        print("gen-k8s-proto: wrote %s: %d messages from %d files, %d fields (%d inline, %d renamed), "
              "%d messages checked against OpenAPI" % (OUT_C, st["nmsgs"], st["nfiles"], st["nfields"],
                                                       st["ninline"], st["nrenamed"], st["nschema"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
