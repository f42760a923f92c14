/* kc_typed.h - JSON objects read through their Kubernetes schema the way structured-merge-diff reads typed
 * values: which fields an object sets (its field set), what changed between two objects (added / modified /
 * removed paths), the merge of an applied configuration into a live object, removal of a set of fields, and
 * the validation of an applied configuration. Pure functions over jansson values and the kc_schema tables.
 *
 * How the schema is read (as kube-openapi's schemaconv turns the OpenAPI documents into SMD schemas)
 *   - OBJECT schemas are structs: their properties are "named fields"; x-kubernetes-map-type atomic (on the
 *     schema or the property) makes the whole struct one leaf, otherwise it is granular.
 *   - MAP schemas (additionalProperties) are maps of their value schema, granular unless atomic.
 *   - ARRAY properties: x-kubernetes-list-type atomic / set / map (keyed by x-kubernetes-list-map-keys); when
 *     no list type is stated, patch strategy "merge" makes it associative (keyed by the merge key, or a set
 *     of primitives without one); otherwise atomic. Arrays with no property context (items of items, map
 *     values) are atomic.
 *   - Associative-list items are identified by their key fields; a missing key field takes the schema's
 *     default (ContainerPort.protocol "TCP"), else the item is invalid. Set items by their value.
 *   - Scalars: strings, byte strings, Time and MicroTime are strings; integers and numbers numeric; booleans;
 *     IntOrString and Quantity are untyped scalars.
 *   - "any" schemas (RawExtension, x-kubernetes-preserve-unknown-fields) and a NULL schema are deduced from
 *     the value: objects are granular maps of deduced values, arrays atomic, anything else a scalar.
 *   - Fields a struct does not declare are skipped by every operation here except kc_typed_validate, which
 *     reports them (upstream rejects them when converting to a typed value; the API server prunes them first).
 *
 * Values: jansson JSON; JSON null is a value (present), a missing member is absence. Inputs are never
 * modified; outputs are new values the caller releases (json_decref) or new sets (kc_fieldset_free).
 */
#ifndef KC_TYPED_H
#define KC_TYPED_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct kc_sb;
struct kc_schema;
struct kc_fieldset;

/* The field set of obj (upstream's TypedValue.ToFieldSet): every scalar, atomic list or map, associative-list
 * item and map entry (keys of maps, not struct fields) it sets, with their ancestors as parents. root: the
 * kind's schema (NULL: deduced). Items whose key cannot be built are skipped (kc_typed_validate reports them).
 * Returns 0 with a new set in *out, or -ENOMEM. */
int kc_typed_to_set(const json_t *obj, const struct kc_schema *root, struct kc_fieldset **out);

/* What changed from lhs to rhs (upstream's TypedValue.Compare): leaves (scalars, atomic lists and maps, and
 * lists/maps that are empty or null on both sides) that are new go to *added, that are gone to *removed, that
 * differ to *modified; a granular map, struct or list item that is new (absent in lhs, not merely null) is
 * added itself too, one that is gone is removed itself too. lhs or rhs may be NULL (absent). Any out-parameter
 * may be NULL. Returns 0 or -ENOMEM (nothing written). */
int kc_typed_compare(const json_t *lhs, const json_t *rhs, const struct kc_schema *root, struct kc_fieldset **added,
                     struct kc_fieldset **modified, struct kc_fieldset **removed);

/* One side of kc_typed_compare(lhs, rhs) in one walk of rhs, made for a create (lhs the kind's empty object): with
 * modified, *out holds added and modified together; without, added only (so kc_typed_compare(lhs, rhs)'s removed
 * is kc_typed_compare_changes(rhs, lhs, false)). Members of skip are left out with everything below them
 * (kc_fieldset_recursive_difference), members of unmark are left out alone (kc_fieldset_difference: their
 * children stay). Any lhs gives kc_typed_compare's answer: the walk is fast where lhs has little (what only rhs
 * has is built node by node instead of path by path), and as slow as kc_typed_compare where both sides have
 * lists of items. skip and unmark may be NULL. Returns 0 with a new set in *out, or -ENOMEM. */
int kc_typed_compare_changes(const json_t *lhs, const json_t *rhs, const struct kc_schema *root, bool modified,
                             const struct kc_fieldset *skip, const struct kc_fieldset *unmark,
                             struct kc_fieldset **out);
/* The same set in its FieldsV1 form, written as the walk goes (no set is built): exactly what
 * kc_fieldset_to_fields_v1 gives for kc_typed_compare_changes' set. Returns 0 with a new object in *out, or
 * -ENOMEM. */
int kc_typed_compare_changes_v1(const json_t *lhs, const json_t *rhs, const struct kc_schema *root, bool modified,
                                const struct kc_fieldset *skip, const struct kc_fieldset *unmark, json_t **out);
/* The same FieldsV1 appended to out as compact JSON text, byte for byte what json_dumps(JSON_COMPACT) (and
 * api_raw_dump) write for kc_typed_compare_changes_v1's object - without building it. Returns 0, or -ENOMEM
 * (out is then as it was, or out->oom is set). */
int kc_typed_compare_changes_v1_text(const json_t *lhs, const json_t *rhs, const struct kc_schema *root, bool modified,
                                     const struct kc_fieldset *skip, const struct kc_fieldset *unmark,
                                     struct kc_sb *out);
/* The FieldsV1 text of a create: what kc_typed_compare_changes_v1_text(kc_typed_empty_object_shared(root), rhs,
 * root, true, skip, unmark, out) appends, byte for byte, remembered by rhs's structure (common/typed_memo.c): the
 * walk runs once per structure, later objects of it (differing in names, values outside lists, ...) cost a
 * signature of what the walk reads and a copy. Thread-safe; the memo holds a bounded number of structures (32, each
 * at most 64 KB). Returns 0, or -ENOMEM (out is then as it was, or out->oom is set); a structure not kept for lack
 * of memory is no error. */
int kc_typed_create_changes_v1_text(const json_t *rhs, const struct kc_schema *root, const struct kc_fieldset *skip,
                                    const struct kc_fieldset *unmark, struct kc_sb *out);
/* How many kc_typed_create_changes_v1_text calls found their text in the memo, and how many walked (since the
 * start of the process). */
void kc_typed_create_memo_stats(uint64_t *hits, uint64_t *misses);
/* Forgets every structure (tests). */
void kc_typed_create_memo_clear(void);

/* The merge of rhs (an applied configuration) into lhs (the live object) (upstream's TypedValue.Merge):
 * leaves take rhs's value when rhs has one (JSON null included), else lhs's; granular structs and maps merge
 * member by member; associative lists merge item by item on their keys, in upstream's order (the items rhs
 * names keep rhs's order, lhs-only items stay where they were relative to them). Returns 0 with the result in
 * *out (a new reference; NULL inputs are absent, both absent gives JSON null), or -ENOMEM. */
int kc_typed_merge(const json_t *lhs, const json_t *rhs, const struct kc_schema *root, json_t **out);

/* obj without the members of set (upstream's TypedValue.RemoveItems): a removed struct field, map entry or
 * list item disappears; a map or list left with nothing becomes null, as upstream leaves it (see
 * kc_typed_drop_nulls). Atomic values are never entered. Returns 0 with a new value in *out, or -ENOMEM. */
int kc_typed_remove(const json_t *obj, const struct kc_fieldset *set, const struct kc_schema *root, json_t **out);

/* set with every struct field that has children also made a member (upstream's EnsureNamedFieldsAreMembers:
 * "a.b.c" also owns "a" when a is a named field, but not "a.b" when b is a map key). Returns 0 or -ENOMEM. */
int kc_typed_ensure_named(const struct kc_fieldset *set, const struct kc_schema *root, struct kc_fieldset **out);

/* Removes, in place, the JSON nulls of obj at positions the schema types (struct fields, map values, list items
 * stay: only object members whose value is null are dropped), as converting to the Go types and back drops
 * them; values of "any" schemas are left as they are. */
void kc_typed_drop_nulls(json_t *obj, const struct kc_schema *root);

/* Validates an applied configuration as upstream's typed conversion does (ObjectToTyped without duplicates):
 * fields a struct does not declare ("field not declared in schema", the first per struct in key order),
 * scalars of the wrong type ("expected numeric (int or float), got string", "expected string, got ...",
 * "expected boolean, got ...", "expected any scalar, got ..."), lists and maps where the schema wants the
 * other ("expected list, got ...", "expected map, got ..."), associative-list items whose key cannot be built
 * ("element 0: associative list with keys has an element that omits key field \"name\" (and doesn't have
 * default value)"; the rest of that list is not checked) and repeated keys ("duplicate entries for key
 * [name=\"c\"]"). *errors (set only when there is at least one) is a new JSON array of strings
 * "<path>: <message>" with upstream's paths (".spec.containers[name=\"c\"].foo"). Returns 0 (valid or not: see
 * *errors) or -ENOMEM. */
int kc_typed_validate(const json_t *obj, const struct kc_schema *root, json_t **errors);

/* The text upstream gives a list of validation errors: the one error, or "errors:\n  <e1>\n  <e2>...". errors:
 * as from kc_typed_validate. Returns a malloc'ed string (NULL when out of memory). */
char *kc_typed_errors_text(const json_t *errors);

/* The object a create starts from, as upstream's empty typed object of the kind converts to JSON: metadata
 * {"creationTimestamp":null}, and the spec and status structs when the kind has them, each holding its
 * required fields (structs recursively, other values null) and the struct fields Go always writes although
 * they are optional (a pod template's metadata and spec, a job template's, deployment strategy, daemon set and
 * stateful set update strategies, a claim's resources). Creates compare against it, so their Update entries
 * list exactly the structs upstream lists as new. Returns a new object, or NULL when out of memory. */
json_t *kc_typed_empty_object(const struct kc_schema *root);
/* The same object, made once per schema and kept for the life of the process (thread-safe; read it, never
 * change it, do not release it). NULL when out of memory. */
const json_t *kc_typed_empty_object_shared(const struct kc_schema *root);

#endif
