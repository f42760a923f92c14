/* kc_gnostic.h - OpenAPI v2 documents in the protobuf form kubectl reads from /openapi/v2: gnostic's
 * openapi.v2.Document (media type application/com.github.proto-openapi.spec.v2@v1.0+protobuf), through a generated
 * table of gnostic's messages and an encoder from the document's JSON.
 *
 * Where the table comes from
 *   scripts/gen-gnostic-proto.py reads the FileDescriptorProto of gnostic's openapiv2/OpenAPIv2.proto that Go's
 *   protobuf runtime compiles into kubectl 1.33, and checks it against the copy in Debian's kubectl 1.20 when
 *   that is unpacked; it writes common/gnostic_gen.c: every message of package openapi.v2 with its fields'
 *   numbers, types and labels, and, derived from the message shapes, how each field is filled from the JSON
 *   (role, below). No field number is typed by hand. Regenerate with `/usr/bin/python3
 *   scripts/gen-gnostic-proto.py`; `--check` (ctest gen.gnostic_proto_up_to_date) fails when the committed file
 *   differs from what kubectl gives.
 *
 * How JSON becomes messages (what gnostic's compiler does with the JSON or YAML text of a document)
 *   OBJECT  a JSON object; each member goes to the MEMBER field whose key it is ("operationId" ->
 *           Operation.operation_id = 5, "$ref" -> Schema._ref); "x-..." members go to the VENDOR field as
 *           NamedAny {name, Any}; any other member is an error
 *   MAP     a JSON object whose members are entries (Paths, Definitions, Properties, Responses, ...): each
 *           becomes a Named* message {1 name, 2 value} in the ENTRIES field; "x-..." members go to the VENDOR
 *           field when the message has one (Paths, Responses), else they are entries like the others
 *           (Definitions)
 *   ONEOF   the JSON value goes to one ALT field, the first whose rule matches (WHEN below), else the ALWAYS one
 *   ANY     Any.yaml holds the value as compact JSON text (JSON is YAML: kubectl's readers parse it with a YAML
 *           parser, e.g. x-kubernetes-group-version-kind into a list of maps); Any.value is never written
 *   STRINGS TypeItem, StringArray: a JSON string, or an array of strings, into the repeated VALUES field
 *   SCHEMAS ItemsItem: a JSON object (one schema) or an array of schemas into the repeated VALUES field
 * Scalars: strings, booleans, integers (INT64, varint) and numbers (DOUBLE, 64-bit little endian). As proto3
 * does, a non-repeated scalar MEMBER holding its zero value ("", false, 0) is not written; oneof alternatives and
 * list elements always are. Repeated MEMBER fields take JSON arrays. Fields are written in the order of the
 * message's table (field numbers), list elements in JSON order, and the members of an object (map entries,
 * vendor extensions, the keys inside an Any's text) sorted by name in byte order, as Go's encoding/json writes
 * maps and so as kube-openapi's protobuf, compiled from that JSON, has them: the same document gives the same
 * bytes whatever order its objects were built in.
 *
 * All functions are pure (no I/O, no globals written) and thread-safe. The table is static const data.
 */
#ifndef KC_GNOSTIC_H
#define KC_GNOSTIC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define KC_GNOSTIC_MEDIA_TYPE "application/com.github.proto-openapi.spec.v2@v1.0+protobuf" /* what clients ask */
#define KC_GNOSTIC_MAX_DEPTH  64 /* JSON nesting the encoder accepts (the Kubernetes document nests under 20) */

/* A field's protobuf type: FieldDescriptorProto.Type's numbers, the ones gnostic's v2 messages use. */
enum kc_gnostic_type {
    KC_GNOSTIC_DOUBLE = 1,
    KC_GNOSTIC_INT64 = 3,
    KC_GNOSTIC_BOOL = 8,
    KC_GNOSTIC_STRING = 9,
    KC_GNOSTIC_MESSAGE = 11,
};

/* Field flags. */
enum kc_gnostic_field_flag {
    KC_GNOSTIC_F_REPEATED = 1 << 0,
};

/* What a message is filled from (see the top of this file). */
enum kc_gnostic_form {
    KC_GNOSTIC_FORM_OBJECT = 1,
    KC_GNOSTIC_FORM_MAP,
    KC_GNOSTIC_FORM_NAMED, /* Named*: {1 name, 2 value}, only reached through a MAP's ENTRIES or VENDOR field */
    KC_GNOSTIC_FORM_ONEOF,
    KC_GNOSTIC_FORM_ANY,
    KC_GNOSTIC_FORM_STRINGS,
    KC_GNOSTIC_FORM_SCHEMAS,
};

/* What a field holds. */
enum kc_gnostic_role {
    KC_GNOSTIC_ROLE_MEMBER = 1, /* the OpenAPI member named key */
    KC_GNOSTIC_ROLE_VENDOR,     /* the "x-..." members (repeated NamedAny) */
    KC_GNOSTIC_ROLE_ENTRIES,    /* a MAP's entries (repeated Named*) */
    KC_GNOSTIC_ROLE_ALT,        /* a oneof alternative, chosen by when */
    KC_GNOSTIC_ROLE_NAME,       /* a Named*'s name */
    KC_GNOSTIC_ROLE_VALUE,      /* a Named*'s value */
    KC_GNOSTIC_ROLE_YAML,       /* Any.yaml */
    KC_GNOSTIC_ROLE_VALUES,     /* the list of a STRINGS or SCHEMAS message */
    KC_GNOSTIC_ROLE_UNUSED,     /* Any.value: never written */
};

/* When a oneof alternative is chosen. */
enum kc_gnostic_when {
    KC_GNOSTIC_WHEN_NONE = 0, /* not an alternative */
    KC_GNOSTIC_WHEN_ALWAYS,   /* when no other alternative's rule matches */
    KC_GNOSTIC_WHEN_HAS_REF,  /* the value is an object with a "$ref" member (a JSON Reference) */
    KC_GNOSTIC_WHEN_IN,       /* an object whose "in" is when_value ("body", "query", "path", ...) */
    KC_GNOSTIC_WHEN_TYPE,     /* an object whose "type" is when_value ("file", "basic", "apiKey") */
    KC_GNOSTIC_WHEN_FLOW,     /* an object of type "oauth2" whose "flow" is when_value */
    KC_GNOSTIC_WHEN_IS_BOOL,  /* a JSON boolean */
};

struct kc_gnostic_msg;

/* One field of a message. */
struct kc_gnostic_field {
    uint32_t number;                  /* the protobuf field number */
    const char *name;                 /* the proto field name ("operation_id") */
    const char *key;                  /* MEMBER: the JSON member it holds ("operationId", "$ref"); else NULL */
    uint8_t type;                     /* enum kc_gnostic_type */
    uint8_t flags;                    /* KC_GNOSTIC_F_* bits */
    uint8_t role;                     /* enum kc_gnostic_role */
    uint8_t when;                     /* ALT: enum kc_gnostic_when; else NONE */
    const char *when_value;           /* the value IN, TYPE and FLOW compare with; else NULL */
    const struct kc_gnostic_msg *msg; /* MESSAGE: the value's message (NULL for Any.value) */
};

/* One message. */
struct kc_gnostic_msg {
    const char *name;                      /* full proto name: "openapi.v2.Document" */
    const struct kc_gnostic_field *fields; /* sorted by number (nfields); NULL when there are none */
    uint16_t nfields;
    uint8_t form; /* enum kc_gnostic_form */
};

/* The generated table (common/gnostic_gen.c): every message of package openapi.v2, sorted by name. */
extern const struct kc_gnostic_msg kc_gnostic_gen_msgs[];
extern const size_t kc_gnostic_gen_nmsgs;

/* The message called name ("openapi.v2.Document", no leading dot), or NULL when there is none (or name is NULL).
 * Binary search. */
const struct kc_gnostic_msg *kc_gnostic_find(const char *name);

/* The field of m whose proto name is name ("operation_id"), or NULL when m or name is NULL or there is none. */
const struct kc_gnostic_field *kc_gnostic_field_named(const struct kc_gnostic_msg *m, const char *name);

/* Encodes the OpenAPI v2 document doc (a JSON object: swagger, info, paths, definitions, ...) as an
 * openapi.v2.Document, following the rules at the top of this file. On success *out is a new buffer of *len bytes
 * the caller frees with free() (a document that encodes to nothing still gets a 1-byte buffer and *len 0).
 * errbuf (may be NULL when errlen is 0) receives a message on failure naming the JSON path ("paths./api/v1/.get:
 * member \"foo\" is not a field of openapi.v2.Operation").
 * Returns 0;
 *   KC_EINVALID  doc is NULL or not an object; a member that no field holds; a value of the wrong JSON type
 *                (a string where a boolean or an object goes, a non-integer for an INT64, an array element that
 *                is not a string for repeated strings, ...); a oneof value that matches no alternative (a
 *                parameter with an unknown "in"); nesting deeper than KC_GNOSTIC_MAX_DEPTH;
 *   -ENOMEM.
 * On failure *out and *len are untouched. */
int kc_gnostic_encode(const json_t *doc, unsigned char **out, size_t *len, char *errbuf, size_t errlen);

/* The same for one message of type m (form OBJECT, MAP, ONEOF, ANY, STRINGS or SCHEMAS) holding v: the bytes of
 * the message's fields, without a key or length of its own. KC_EINVALID also when m is NULL or a NAMED message. */
int kc_gnostic_encode_message(const struct kc_gnostic_msg *m, const json_t *v, unsigned char **out, size_t *len,
                              char *errbuf, size_t errlen);

#endif
