/* kc_k8sproto.h - Kubernetes protobuf request bodies (application/vnd.kubernetes.protobuf) decoded into the JSON
 * objects the API server works on, through a generated table of the API's protobuf field numbers.
 *
 * Where the table comes from
 *   scripts/gen-k8s-proto.py reads the FileDescriptorProtos that gogo-protobuf compiles into kubectl 1.33 (one
 *   per Kubernetes generated.proto file) and writes common/k8s_proto_gen.c: every message of the served API
 *   groups (core, apps, batch, networking, rbac, authorization, authentication, coordination, discovery,
 *   storage, autoscaling v1/v2, policy, events, certificates, all v1 unless stated) and of the apimachinery
 *   packages they use (meta.v1, resource, intstr, runtime). JSON names come from the OpenAPI v3 documents: a
 *   proto field is named after the Go field, which a few JSON names differ from (aPIGroup is "apiGroup", uID is
 *   "uid"), and Go's embedded structs (Volume.volumeSource, Probe.handler, *.localObjectReference, ...) are
 *   proto fields whose members JSON inlines. Regenerate with `/usr/bin/python3 scripts/gen-k8s-proto.py`;
 *   `--check` (ctest gen.k8s_proto_up_to_date) fails when the committed file differs from what kubectl gives.
 *
 * What decoding produces: the object as Go's encoding/json would write the struct that kubectl's typed client
 * marshalled, except that a value (non-pointer) field holding its zero value is left out. kubectl's marshaller
 * writes every value field, zeros included (ObjectMeta.generateName "", .generation 0, the zero
 * creationTimestamp, targetPort 0 ...), while its JSON body would leave most of them out; Go decodes an absent
 * field to the same zero value, so leaving them out is what the API server would see either way, and it lets
 * defaulting (which asks "is it set?") behave as for JSON bodies. Pointer fields (flag KC_K8SPROTO_F_NULLABLE:
 * replicas, suspend, storageClassName, ...) are kept whenever present, so an explicit 0, false or "" survives.
 * Elements of lists and values of maps are always kept. Special messages take their JSON forms:
 *   meta.v1.Time {1 seconds, 2 nanos}      "2006-01-02T15:04:05Z" (UTC, nanos dropped as Go's Time.Unmarshal
 *                                          drops them); an empty message or 0001-01-01T00:00:00Z is the zero
 *                                          time, JSON null, left out of objects
 *   meta.v1.MicroTime                      "2006-01-02T15:04:05.000000Z" (nanos truncated to microseconds)
 *   meta.v1.Duration {1 duration ns}       Go's time.Duration.String(): "1h2m3.5s", "150ms", "0s"
 *   intstr.IntOrString {1 type, 2 intVal, 3 strVal}   the number (type 0) or the string (type 1)
 *   resource.Quantity {1 string}           the string as sent ("100m"); an empty message is "0"
 *   runtime.RawExtension, meta.v1.FieldsV1 {1 raw}    the embedded JSON value; raw bytes that start with the
 *                                          protobuf envelope magic are decoded as an envelope themselves
 *   "slice wrappers" meta.v1.Verbs, *.ExtraValue {repeated 1 items}   a plain JSON array
 *   bytes                                  standard base64 (Secret.data values)
 *   int32/int64/uint32/sint/fixed          JSON integers; uint64 above INT64_MAX is refused; bool true/false;
 *   double/float                           JSON reals (NaN and infinities are refused)
 *   strings                                as sent; invalid UTF-8 bytes become U+FFFD, as Go's JSON encoder
 *                                          writes them; NUL is kept (JSON bodies may hold \u0000 too)
 * The Kubernetes API has no protobuf enums (Go string constants are proto strings) and no oneofs; the
 * generator fails if that changes.
 *
 * Wire rules: fields in any order; a repeated scalar may be packed or not; a non-repeated field given twice
 * follows protobuf (scalars: the last wins; messages: merged, lists appended); map entries may omit key or value
 * (zero value), a repeated key keeps the last value. Unknown field numbers are skipped after their encoding is
 * checked (as Go's generated code skips them); a known field with the wrong wire type, a truncated value, a
 * varint over 10 bytes, field number 0, wire types 6 and 7, unmatched groups, and messages nested deeper than
 * KC_K8SPROTO_MAX_DEPTH are errors. All reads are bounds-checked against the input.
 *
 * All functions are pure (no I/O, no globals written) and thread-safe. The table is static const data.
 */
#ifndef KC_K8SPROTO_H
#define KC_K8SPROTO_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define KC_K8SPROTO_MAX_DEPTH                                                   \
    64 /* message nesting limit (real objects nest under 20; meta.v1.Fields and \
          RawExtension-in-RawExtension could recurse without end) */
#define KC_K8SPROTO_MEDIA_TYPE "application/vnd.kubernetes.protobuf"

/* A field's protobuf type: FieldDescriptorProto.Type's numbers (GROUP 10 and ENUM 14 do not occur). */
enum kc_k8sproto_type {
    KC_K8SPROTO_DOUBLE = 1,
    KC_K8SPROTO_FLOAT = 2,
    KC_K8SPROTO_INT64 = 3,
    KC_K8SPROTO_UINT64 = 4,
    KC_K8SPROTO_INT32 = 5,
    KC_K8SPROTO_FIXED64 = 6,
    KC_K8SPROTO_FIXED32 = 7,
    KC_K8SPROTO_BOOL = 8,
    KC_K8SPROTO_STRING = 9,
    KC_K8SPROTO_MESSAGE = 11,
    KC_K8SPROTO_BYTES = 12,
    KC_K8SPROTO_UINT32 = 13,
    KC_K8SPROTO_SFIXED32 = 15,
    KC_K8SPROTO_SFIXED64 = 16,
    KC_K8SPROTO_SINT32 = 17,
    KC_K8SPROTO_SINT64 = 18,
};

/* Field flags. */
enum kc_k8sproto_field_flag {
    KC_K8SPROTO_F_REPEATED = 1 << 0, /* a list (or, with MAP, a map) */
    KC_K8SPROTO_F_MAP = 1 << 1,      /* repeated map entries {1 key, 2 value}: a JSON object */
    KC_K8SPROTO_F_NULLABLE = 1 << 2, /* a Go pointer (no (gogoproto.nullable)=false): present means set, even
                                        to a zero value; never set on repeated fields */
    KC_K8SPROTO_F_INLINE = 1 << 3,   /* a Go embedded struct: its message's fields go into the parent object */
};

/* What a message becomes in JSON. */
enum kc_k8sproto_special {
    KC_K8SPROTO_SP_NONE = 0,    /* an object of its fields */
    KC_K8SPROTO_SP_MAP_ENTRY,   /* a map entry (only reached through a MAP field) */
    KC_K8SPROTO_SP_TIME,        /* meta.v1.Time: RFC 3339 string or null */
    KC_K8SPROTO_SP_MICROTIME,   /* meta.v1.MicroTime: RFC 3339 with microseconds, or null */
    KC_K8SPROTO_SP_DURATION,    /* meta.v1.Duration: Go duration string */
    KC_K8SPROTO_SP_INTORSTRING, /* intstr.IntOrString: number or string */
    KC_K8SPROTO_SP_QUANTITY,    /* resource.Quantity / QuantityValue: string */
    KC_K8SPROTO_SP_RAWJSON,     /* runtime.RawExtension, meta.v1.FieldsV1: embedded JSON */
    KC_K8SPROTO_SP_SLICE,       /* a named Go slice: a JSON array of field 1's values */
};

struct kc_k8sproto_msg;

/* One field of a message. */
struct kc_k8sproto_field {
    uint32_t number;                   /* the protobuf field number */
    const char *json;                  /* the JSON field name (for INLINE and map-entry fields, the proto name) */
    uint8_t type;                      /* enum kc_k8sproto_type */
    uint8_t flags;                     /* KC_K8SPROTO_F_* bits */
    const struct kc_k8sproto_msg *msg; /* MESSAGE: the value's message (MAP: the entry message); else NULL */
};

/* One message. */
struct kc_k8sproto_msg {
    const char *name;                       /* full proto name: "k8s.io.api.core.v1.ConfigMap" */
    const struct kc_k8sproto_field *fields; /* sorted by number (nfields); NULL when there are none */
    uint16_t nfields;
    uint8_t special; /* enum kc_k8sproto_special */
};

/* The generated table (common/k8s_proto_gen.c): every message, sorted by name (byte order). */
extern const struct kc_k8sproto_msg kc_k8sproto_gen_msgs[];
extern const size_t kc_k8sproto_gen_nmsgs;

/* The message called name ("k8s.io.api.core.v1.Pod", no leading dot), or NULL when there is none (or name is
 * NULL). Binary search. */
const struct kc_k8sproto_msg *kc_k8sproto_find(const char *name);

/* The field numbered number of m, or NULL when m is NULL or has none. Binary search. */
const struct kc_k8sproto_field *kc_k8sproto_field_find(const struct kc_k8sproto_msg *m, uint32_t number);

/* The message of the top-level object of apiVersion api_version ("v1", "apps/v1") and kind: the schema the
 * OpenAPI documents give that group/version/kind (kc_schema_find_gvk; so meta kinds such as DeleteOptions are
 * found under every group that lists them), whose OpenAPI name io.k8s.X names the proto message k8s.io.X.
 * NULL when the kind is not served or has no protobuf message, or an argument is NULL. */
const struct kc_k8sproto_msg *kc_k8sproto_find_kind(const char *api_version, const char *kind);

/* True when content_type's media type (parameters after ';' and surrounding blanks aside, case-insensitive)
 * is application/vnd.kubernetes.protobuf. NULL gives false. */
int kc_k8sproto_is_media_type(const char *content_type);

/* Decodes a protobuf request body: the 4 magic bytes 6b 38 73 00 ("k8s\0"), then a runtime.Unknown whose
 * typeMeta gives apiVersion and kind and whose raw holds the object's message (contentEncoding and contentType
 * are ignored, as the API server ignores them). When the envelope leaves apiVersion or kind empty, the
 * defaults are used (the URL's, as the API server fills them in); either default may be NULL.
 *
 * On success *out is a new JSON object the caller owns (json_decref): "apiVersion" and "kind" first, then the
 * object's fields as described at the top of this file. errbuf (may be NULL when errlen is 0) receives a
 * message on failure, naming the field path where one applies ("spec.template.spec.containers: truncated
 * length-delimited field 2 (40 bytes, 12 left in its message)").
 *
 * Returns 0;
 *   KC_EPARSE        the body is not a well-formed envelope or message (bad magic: "provided data does not
 *                    appear to be a protobuf message, expected prefix [107 56 115 0]", empty body, missing kind
 *                    or apiVersion, wire errors as listed at the top, invalid embedded JSON, a time outside
 *                    years 1-9999, an IntOrString type other than 0 and 1, an out-of-range number);
 *   KC_EUNSUPPORTED  no message is known for the kind ("no protobuf schema for kind \"Foo\" in version
 *                    \"example.com/v1\"");
 *   -ENOMEM.
 * On failure *out is untouched. */
int kc_k8sproto_decode(const void *buf, size_t len, const char *default_api_version, const char *default_kind,
                       json_t **out, char *errbuf, size_t errlen);

/* Decodes len bytes holding one message of type m (no envelope) into *out, a new JSON value the caller owns:
 * an object for ordinary messages, the special JSON form for special ones (which may be JSON null: a zero
 * Time). The same rules and errors as kc_k8sproto_decode (KC_EPARSE, -ENOMEM; KC_EINVALID when m is NULL or a
 * map entry). */
int kc_k8sproto_decode_message(const struct kc_k8sproto_msg *m, const void *buf, size_t len, json_t **out, char *errbuf,
                               size_t errlen);

#endif
