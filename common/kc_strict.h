/* kc_strict.h - field validation as kube-apiserver 1.33 does it (fieldValidation=Strict|Warn|Ignore): unknown
 * fields judged against the kind's schema and duplicate fields found in the raw request body, with upstream's
 * texts and order, and the pruning of unknown fields (upstream drops them when it decodes into the Go types,
 * whatever the validation level). Pure functions over request bytes, jansson values and the kc_schema tables.
 *
 * Paths are written as sigs.k8s.io/json writes them: field names joined by "." and list indices as "[N]"
 * ("spec.template.spec.containers[0].unknownNested"; a list at the root gives "[0].foo"). Map keys are path
 * steps like fields ("metadata.labels.app"). Values of "any" schemas (RawExtension) and everything below a
 * field the schema does not know are not looked into.
 */
#ifndef KC_STRICT_H
#define KC_STRICT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct kc_schema;

#define KC_STRICT_MAX_ERRORS 100 /* sigs.k8s.io/json keeps at most this many strict errors */

/* What kc_strict_scan reports. */
enum kc_strict_flags {
    KC_STRICT_UNKNOWN = 1u << 0,    /* `unknown field "spec.foo"` for fields root's structs do not declare */
    KC_STRICT_DUPLICATES = 1u << 1, /* `duplicate field "spec.paused"` for a key given twice in one object
                                       (a struct field, a map key or a key of an untyped object; a field both
                                       unknown and repeated is reported once, as unknown) */
    KC_STRICT_YAML_LINES = 1u << 2, /* instead of the two above: every repeated key as go-yaml's strict decoder
                                       reports it, `line 10: key "paused" already set in map` (1-based line of
                                       the second key), which is what apply's duplicate check gives on a JSON
                                       body; no schema is used */
};

/* Scans buf (len bytes of JSON text, one value) in document order as sigs.k8s.io/json's UnmarshalStrict into the
 * kind's Go type reports problems: each message once, at most KC_STRICT_MAX_ERRORS. root: the schema of the
 * value (a kind's schema, kc_strict_json_patch_schema(), or NULL: untyped, only duplicates are found).
 * prefix: prepended to every message (upstream writes "json patch " before the errors of a JSON patch), or NULL.
 * *errors: a new JSON array of message strings (possibly empty). Returns 0, KC_EPARSE when buf is not one JSON
 * value, -ENOMEM. */
int kc_strict_scan(const char *buf, size_t len, const struct kc_schema *root, unsigned flags, const char *prefix,
                   json_t **errors);

/* The unknown fields of a decoded object, walked with object keys in sorted order (the order upstream reports
 * them for patches, whose result is a Go map): `unknown field "spec.foo"` each. Appends to errors (an array),
 * keeping the KC_STRICT_MAX_ERRORS limit and skipping messages already there. Returns 0 or -ENOMEM. */
int kc_strict_unknown(const json_t *obj, const struct kc_schema *root, json_t *errors);

/* Removes, in place, every field of obj that root's structs do not declare, at any depth. */
void kc_strict_prune(json_t *obj, const struct kc_schema *root);

/* The schema of a JSON patch body as upstream decodes it for strict checks: a list of {op, path, from, value}
 * (value an interface{}: duplicate keys inside it count). Static; valid forever. */
const struct kc_schema *kc_strict_json_patch_schema(void);

/* upstream's strict decoding error text: "strict decoding error: " and the messages joined by ", ". Returns a
 * malloc'ed string (NULL when out of memory). */
char *kc_strict_error_text(const json_t *errors);

/* Go's %v text of a decoded JSON value, as upstream prints a strategic merge patch in its 422 message:
 * map[spec:map[replicas:3 x:[a b]]] (keys sorted, strings bare, null as <nil>). Returns a malloc'ed string (NULL
 * when out of memory). */
char *kc_strict_go_value(const json_t *v);

/* The first value of obj (in member order, depth first) whose JSON type Go's encoding/json could not decode into
 * the field root's schema gives it, as upstream's decoder reports it: KC_EINVALID with *err (malloc'ed) "json:
 * cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string" (the innermost struct,
 * the JSON path from the top without indexes, Go's type: "int32", "[]v1.Container", "map[string]string"; "number
 * 1.5" for a number an integer field cannot hold, written as Go writes the float, where Go quotes the input's
 * text: "3.0" shows as "number 3"). null is accepted anywhere (Go leaves the field as it is);
 * Quantity, IntOrString, Time and fields of any JSON decode themselves and are not looked at; unknown fields are
 * kc_strict_scan's. unknown (NULL: not asked): set when 0 is returned, whether obj has a member that a struct of
 * root's neither declares nor preserves (the fields kc_strict_scan calls unknown and kc_strict_prune removes; when
 * false, both have nothing to do for a body without repeated keys). Returns 0 (nothing wrong), KC_EINVALID,
 * -ENOMEM. */
int kc_strict_types(const json_t *obj, const struct kc_schema *root, bool *unknown, char **err);

struct kc_sb;
/* Appends what Go's UnmarshalTypeError calls v: "number", "string", "bool", "array", "object"; with integer (v
 * went to an integer field) a number is "number <its text>". */
void kc_strict_go_value_kind(struct kc_sb *b, const json_t *v, bool integer);

#endif
