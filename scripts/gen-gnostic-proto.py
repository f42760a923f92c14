#!/usr/bin/python3
"""gen-gnostic-proto.py - derive k8c's table of gnostic's OpenAPI v2 protobuf messages (common/gnostic_gen.c) from
the descriptor compiled into a real kubectl binary.

Usage:
    /usr/bin/python3 scripts/gen-gnostic-proto.py [--kubectl BIN] [--cross-check BIN] [--out-dir DIR]  # (re)write
    /usr/bin/python3 scripts/gen-gnostic-proto.py --check                                              # 1 if stale

Why a binary: kubectl reads /openapi/v2 as protobuf (Accept: application/com.github.proto-openapi.spec.v2@v1.0+
protobuf), unmarshalled into gnostic's openapi.v2.Document (github.com/google/gnostic-models, formerly
googleapis/gnostic, file openapiv2/OpenAPIv2.proto). Go's protobuf runtime registers that file's
FileDescriptorProto in every program that links it: kubectl 1.33 (default /usr/lib/google-cloud-sdk/bin/
kubectl.1.33) holds it as raw bytes (protoimpl), older builds such as Debian's kubectl 1.20 as a gzip member
(golang/protobuf v1). The script finds it either way and reads it with the minimal protobuf reader of
scripts/gen-k8s-proto.py. When --cross-check BIN exists (default .deps/kubectl-1.20/kubectl, the client that needs
the v2 document), its copy of the descriptor must declare the same messages and fields (names, numbers, types,
labels, oneofs); options may differ. The output depends on --kubectl only.

--check regenerates in memory and compares byte for byte with the committed file: 0 when equal, 1 when it
differs, 77 (the conventional "skipped" code) when the kubectl binary is missing, 2 when the input does not look
as expected. Standard library only.

What the table holds, per message (sorted by full name) and field (sorted by number): the number, the proto
name, the scalar type or the message, repeated or not, and how the field relates to the OpenAPI JSON it is
compiled from (gnostic's compiler maps JSON members to fields; the encoder in common/gnostic.c does the same):
  MEMBER   an OpenAPI member: its key is the descriptor's json_name (operation_id -> operationId), except
           `_ref`, which holds "$ref"
  VENDOR   `vendor_extension` (repeated NamedAny): the object's "x-..." members
  ENTRIES  the entries of a map message (Paths.path, Definitions.additional_properties, Responses.response_code,
           ...): every other member, as Named{1 name, 2 value}
  ALT      a oneof alternative, chosen by a rule (WHEN) below
  NAME / VALUE  the two fields of a Named* message
  YAML     Any.yaml: the value's text (JSON is YAML; gnostic's readers parse it with a YAML parser)
  VALUES   the list of a TypeItem / StringArray (strings: a JSON string or an array of them) or of an ItemsItem
           (schemas: a JSON object or an array of them)
  UNUSED   Any.value (a google.protobuf.Any, which gnostic's compiler never fills)
The message's FORM says which of these apply: OBJECT, MAP, NAMED, ONEOF, ANY, STRINGS, SCHEMAS. The oneof rules
(CHOICES) are the OpenAPI 2.0 JSON schema's: a JSON Reference has "$ref", a body parameter has in: body, the other
parameters are told apart by "in", a file schema by type: file, security schemes by type (and OAuth2 flow), an
additionalProperties that is a boolean by being one. A oneof message without a rule here fails the script.
"""

import argparse
import importlib.util
import os
import sys
import zlib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_KUBECTL = "/usr/lib/google-cloud-sdk/bin/kubectl.1.33"
DEFAULT_CROSS = os.path.join(REPO, ".deps", "kubectl-1.20", "kubectl")
OUT_C = "common/gnostic_gen.c"
FILE_NAME = "openapiv2/OpenAPIv2.proto"
PACKAGE = "openapi.v2"

_spec = importlib.util.spec_from_file_location("gen_k8s_proto", os.path.join(REPO, "scripts", "gen-k8s-proto.py"))
gkp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gkp)
GenError, parse, one, text, varint = gkp.GenError, gkp.parse, gkp.one, gkp.text, gkp.varint

T_DOUBLE, T_INT64, T_BOOL, T_STRING, T_MESSAGE = 1, 3, 8, 9, 11
TYPE_NAMES = {T_DOUBLE: "DOUBLE", T_INT64: "INT64", T_BOOL: "BOOL", T_STRING: "STRING", T_MESSAGE: "MESSAGE"}
LABEL_REPEATED = 3

# oneof message -> [(alternative field, rule, rule value)]; ALWAYS is tried last
CHOICES = {
    "ParametersItem": [("json_reference", "HAS_REF", None), ("parameter", "ALWAYS", None)],
    "ResponseValue": [("json_reference", "HAS_REF", None), ("response", "ALWAYS", None)],
    "Parameter": [("body_parameter", "IN", "body"), ("non_body_parameter", "ALWAYS", None)],
    "NonBodyParameter": [("header_parameter_sub_schema", "IN", "header"),
                         ("form_data_parameter_sub_schema", "IN", "formData"),
                         ("query_parameter_sub_schema", "IN", "query"),
                         ("path_parameter_sub_schema", "IN", "path")],
    "SchemaItem": [("file_schema", "TYPE", "file"), ("schema", "ALWAYS", None)],
    "AdditionalPropertiesItem": [("boolean", "IS_BOOL", None), ("schema", "ALWAYS", None)],
    "SecurityDefinitionsItem": [("basic_authentication_security", "TYPE", "basic"),
                                ("api_key_security", "TYPE", "apiKey"),
                                ("oauth2_implicit_security", "FLOW", "implicit"),
                                ("oauth2_password_security", "FLOW", "password"),
                                ("oauth2_application_security", "FLOW", "application"),
                                ("oauth2_access_code_security", "FLOW", "accessCode")],
}


# --- finding the descriptor ---

def raw_descriptor_at(data, i):
    """The FileDescriptorProto that starts at data[i] (raw, as protoimpl embeds it): its fields up to and
    including `syntax` (12), the last one Go's generator writes."""
    j, n = i, len(data)
    while j < n:
        key, k = varint(data, j)
        num, wt = key >> 3, key & 7
        if wt != 2 or num == 0 or num > 14:
            raise GenError("raw descriptor at offset %d: unexpected field %d/%d" % (i, num, wt))
        ln, k = varint(data, k)
        if k + ln > n:
            raise GenError("raw descriptor at offset %d: truncated" % i)
        j = k + ln
        if num == 12:
            return bytes(data[i:j])
    raise GenError("raw descriptor at offset %d has no syntax field" % i)


def find_descriptor(path):
    """The serialized FileDescriptorProto of openapiv2/OpenAPIv2.proto in the binary at path."""
    with open(path, "rb") as fh:
        data = fh.read()
    head = b"\x0a" + bytes([len(FILE_NAME)]) + FILE_NAME.encode()
    found = []
    i = data.find(head)
    while i >= 0:
        try:
            found.append(raw_descriptor_at(data, i))
        except GenError:
            pass
        i = data.find(head, i + 1)
    if not found:  # golang/protobuf v1 registers the gzip-compressed form
        mv, i = memoryview(data), 0
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
            if d.eof and raw.startswith(head):
                found.append(raw)
    if not found:
        raise GenError("no %s descriptor in %s (not a kubectl binary?)" % (FILE_NAME, path))
    if any(f != found[0] for f in found):
        raise GenError("%s: two different %s descriptors" % (path, FILE_NAME))
    fd = parse(found[0])
    if text(one(fd, 1)) != FILE_NAME or text(one(fd, 2, b"")) != PACKAGE:
        raise GenError("%s: descriptor is not %s of package %s" % (path, FILE_NAME, PACKAGE))
    return fd


# --- the model ---

def lower_camel(name):
    out, up = [], False
    for c in name:
        if c == "_":
            up = True
            continue
        out.append(c.upper() if up else c)
        up = False
    return "".join(out)


class Field:
    def __init__(self, msg, raw):
        f = parse(raw)
        self.msg = msg
        self.name = text(one(f, 1))
        self.number = one(f, 3)
        self.repeated = one(f, 4, 1) == LABEL_REPEATED
        self.type = one(f, 5)
        self.type_name = text(one(f, 6, b"")).lstrip(".")
        self.json_name = text(one(f, 10, b""))
        self.oneof = one(f, 9)
        if self.type not in TYPE_NAMES:
            raise GenError("%s.%s: field type %s is not supported" % (msg.name, self.name, self.type))
        self.ref = None
        self.role, self.key, self.when, self.when_value = None, None, "NONE", None

    def shape(self):
        return (self.number, self.name, self.type, self.repeated, self.type_name, self.oneof)


class Msg:
    def __init__(self, raw):
        d = parse(raw)
        self.short = text(one(d, 1))
        self.name = PACKAGE + "." + self.short
        for n, _, _ in d:
            if n in (3, 4):
                raise GenError("%s: nested messages and enums are not expected in %s" % (self.name, FILE_NAME))
        self.oneofs = [text(one(parse(v), 1)) for n, _, v in d if n == 8]
        self.fields = sorted((Field(self, v) for n, _, v in d if n == 2), key=lambda f: f.number)
        if len({f.number for f in self.fields}) != len(self.fields):
            raise GenError("%s: duplicate field numbers" % self.name)
        self.form = None

    def field(self, name):
        hits = [f for f in self.fields if f.name == name]
        return hits[0] if hits else None


def load(path):
    fd = find_descriptor(path)
    msgs = {}
    for n, _, v in fd:
        if n == 4:
            m = Msg(v)
            if m.name in msgs:
                raise GenError("%s defined twice" % m.name)
            msgs[m.name] = m
        elif n in (5, 6, 7):
            raise GenError("%s: top-level enums, services and extensions are not expected" % FILE_NAME)
    if PACKAGE + ".Document" not in msgs:
        raise GenError("%s: no Document message" % FILE_NAME)
    return msgs


def is_named(m):
    return (m.short.startswith("Named") and [f.name for f in m.fields] == ["name", "value"] and
            m.fields[0].number == 1 and m.fields[0].type == T_STRING and not m.fields[0].repeated and
            m.fields[1].number == 2 and not m.fields[1].repeated)


def classify(msgs):
    for m in msgs.values():
        for f in m.fields:
            if f.type == T_MESSAGE:
                if f.type_name in msgs:
                    f.ref = msgs[f.type_name]
                elif not (m.short == "Any" and f.name == "value" and f.type_name == "google.protobuf.Any"):
                    raise GenError("%s.%s: type %s unknown" % (m.name, f.name, f.type_name))
    for m in msgs.values():
        fs = m.fields
        if m.oneofs:
            if len(m.oneofs) != 1 or any(f.oneof != 0 for f in fs):
                raise GenError("%s: expected one oneof holding every field" % m.name)
            rules = CHOICES.get(m.short)
            if rules is None:
                raise GenError("%s: a oneof without a choice rule in CHOICES" % m.name)
            if sorted(r[0] for r in rules) != sorted(f.name for f in fs):
                raise GenError("%s: CHOICES names %s, the message has %s" % (m.name, [r[0] for r in rules],
                                                                            [f.name for f in fs]))
            m.form = "ONEOF"
            for name, when, value in rules:
                f = m.field(name)
                f.role, f.when, f.when_value = "ALT", when, value
                if f.repeated:
                    raise GenError("%s.%s: a repeated oneof alternative" % (m.name, name))
        elif m.short == "Any":
            if [(f.name, f.type) for f in fs] != [("value", T_MESSAGE), ("yaml", T_STRING)]:
                raise GenError("%s: expected {value google.protobuf.Any, yaml string}" % m.name)
            m.form = "ANY"
            fs[0].role, fs[1].role = "UNUSED", "YAML"
        elif is_named(m):
            m.form = "NAMED"
            fs[0].role, fs[1].role = "NAME", "VALUE"
        elif fs and all(f.repeated and f.ref is not None and is_named(f.ref) for f in fs):
            entries = [f for f in fs if f.name != "vendor_extension"]
            if len(entries) != 1:
                raise GenError("%s: a map message needs exactly one entry field" % m.name)
            m.form = "MAP"
            for f in fs:
                f.role = "ENTRIES" if f in entries else "VENDOR"
        elif len(fs) == 1 and fs[0].name == "value" and fs[0].repeated and fs[0].type == T_STRING:
            m.form = "STRINGS"
            fs[0].role = "VALUES"
        elif len(fs) == 1 and fs[0].name == "schema" and fs[0].repeated and fs[0].ref is not None:
            m.form = "SCHEMAS"
            fs[0].role = "VALUES"
        else:
            m.form = "OBJECT"
            for f in fs:
                if f.name == "vendor_extension":
                    if not (f.repeated and f.ref is not None and f.ref.short == "NamedAny"):
                        raise GenError("%s.vendor_extension is not repeated NamedAny" % m.name)
                    f.role = "VENDOR"
                    continue
                f.role = "MEMBER"
                if f.name == "_ref":
                    if f.type != T_STRING or f.repeated:
                        raise GenError("%s._ref is not a string" % m.name)
                    f.key = "$ref"
                else:
                    if f.json_name != lower_camel(f.name):
                        raise GenError("%s.%s: json_name %s, expected %s" % (m.name, f.name, f.json_name,
                                                                             lower_camel(f.name)))
                    f.key = f.json_name
            keys = [f.key for f in fs if f.key]
            if len(set(keys)) != len(keys):
                raise GenError("%s: two fields hold the same member" % m.name)


def cross_check(base, other, path):
    for name in sorted(set(base) | set(other)):
        if name not in base or name not in other:
            raise GenError("%s: message %s is in only one of the binaries" % (path, name))
        a = [f.shape() for f in base[name].fields]
        b = [f.shape() for f in other[name].fields]
        if a != b:
            raise GenError("%s: %s differs: %s vs %s" % (path, name, a, b))


# --- output ---

def cstr(s):
    if s is None:
        return "NULL"
    if all(0x20 <= ord(c) < 0x7F and c not in '"\\?' for c in s):
        return '"%s"' % s
    raise GenError("name %r needs escaping" % s)


def emit(msgs, src):
    names = sorted(msgs)
    index = {n: i for i, n in enumerate(names)}
    o = []
    w = o.append
    nfields = sum(len(m.fields) for m in msgs.values())
    w("/* gnostic_gen.c - GENERATED by scripts/gen-gnostic-proto.py from the protobuf descriptor of gnostic's")
    w(" * %s (package %s) in kubectl %s." % (FILE_NAME, PACKAGE, src))
    w(" * Do not edit: change the script and rerun it (`/usr/bin/python3 scripts/gen-gnostic-proto.py`). The meaning")
    w(" * of every column is in kc_gnostic.h.")
    w(" *")
    w(" * %d messages, %d fields." % (len(names), nfields))
    w(" */")
    w('#include "kc_gnostic.h"')
    w("")
    w("#include <stddef.h>")
    w("")
    w("// clang-format off")
    w("#define M(i) (&kc_gnostic_gen_msgs[i])")
    for t in sorted(TYPE_NAMES):
        w("#define %s KC_GNOSTIC_%s" % (TYPE_NAMES[t], TYPE_NAMES[t]))
    w("#define R KC_GNOSTIC_F_REPEATED")
    for r in ("MEMBER", "VENDOR", "ENTRIES", "ALT", "NAME", "VALUE", "YAML", "VALUES", "UNUSED"):
        w("#define %s KC_GNOSTIC_ROLE_%s" % (r, r))
    for r in ("NONE", "ALWAYS", "HAS_REF", "IN", "TYPE", "FLOW", "IS_BOOL"):
        w("#define W_%s KC_GNOSTIC_WHEN_%s" % (r, r))
    w("")
    w("static const struct kc_gnostic_field f[] = {")
    offsets, off = {}, 0
    for n in names:
        m = msgs[n]
        offsets[n] = off
        if not m.fields:
            continue
        w("    /* %d %s */" % (off, m.short))
        for fl in m.fields:
            ref = "M(%d)" % index[fl.type_name] if fl.ref is not None else "NULL"
            w("    { %d, %s, %s, %s, %s, %s, W_%s, %s, %s }," % (
                fl.number, cstr(fl.name), cstr(fl.key), TYPE_NAMES[fl.type], "R" if fl.repeated else "0", fl.role,
                fl.when, cstr(fl.when_value), ref))
            off += 1
    w("};")
    w("")
    w("const struct kc_gnostic_msg kc_gnostic_gen_msgs[] = {")
    for i, n in enumerate(names):
        m = msgs[n]
        fields = "&f[%d]" % offsets[n] if m.fields else "NULL"
        w("    /* %d */ { %s, %s, %d, KC_GNOSTIC_FORM_%s }," % (i, cstr(n), fields, len(m.fields), m.form))
    w("};")
    w("")
    w("const size_t kc_gnostic_gen_nmsgs = %d;" % len(names))
    w("// clang-format on")
    return "\n".join(o) + "\n"


def main(argv):
    ap = argparse.ArgumentParser(description="Generate k8c's gnostic OpenAPI v2 message table from kubectl.")
    ap.add_argument("--kubectl", default=DEFAULT_KUBECTL, help="Go binary holding the descriptor (%(default)s)")
    ap.add_argument("--cross-check", default=DEFAULT_CROSS,
                    help="another kubectl whose descriptor must agree, when it exists (%(default)s)")
    ap.add_argument("--out-dir", default=REPO, help="repository root to write into / compare with (%(default)s)")
    ap.add_argument("--check", action="store_true", help="compare with the committed file instead of writing")
    ap.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    args = ap.parse_args(argv)

    if not os.path.exists(args.kubectl):
        print("gen-gnostic-proto: kubectl binary %s not found; skipped" % args.kubectl, file=sys.stderr)
        return 77
    try:
        msgs = load(args.kubectl)
        classify(msgs)
        checked = ""
        if args.cross_check and os.path.exists(args.cross_check):
            cross_check(msgs, load(args.cross_check), args.cross_check)
            checked = ", agrees with %s" % args.cross_check
        base = os.path.basename(args.kubectl)
        src = base[len("kubectl."):] if base.startswith("kubectl.") else base
        c_text = emit(msgs, src)
    except GenError as e:
        print("gen-gnostic-proto: %s" % e, file=sys.stderr)
        return 2
    path = os.path.join(args.out_dir, OUT_C)
    if args.check:
        try:
            with open(path, encoding="utf-8", newline="") as fh:
                current = fh.read()
        except OSError as e:
            current = None
            print("gen-gnostic-proto: cannot read %s: %s" % (path, e.strerror), file=sys.stderr)
        if current != c_text:
            print("gen-gnostic-proto: %s out of date; run /usr/bin/python3 scripts/gen-gnostic-proto.py" % OUT_C,
                  file=sys.stderr)
            return 1
        if not args.quiet:
            print("gen-gnostic-proto: %s up to date%s" % (OUT_C, checked))
        return 0
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write(c_text)
    os.replace(tmp, path)
    if not args.quiet:
        print("gen-gnostic-proto: wrote %s: %d messages, %d fields%s" % (
            OUT_C, len(msgs), sum(len(m.fields) for m in msgs.values()), checked))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
