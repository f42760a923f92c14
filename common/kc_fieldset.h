/* kc_fieldset.h - field sets as server-side apply tracks them (sigs.k8s.io/structured-merge-diff fieldpath):
 * paths of path elements, sets of paths with union/difference/intersection, the FieldsV1 JSON form that
 * metadata.managedFields carries, and the path text of conflict messages. Pure: no I/O, no clock, no globals.
 *
 * Path elements
 *   A field of a struct or map ("f:replicas"), the key of an associative-list item ("k:{\"name\":\"c\"}": the
 *   key fields in name order), the value of a set-list item ("v:\"a\""), or an index ("i:0", only in sets built
 *   by hand; the API never tracks indices). Elements order as upstream's PathElement.Compare: fields (by name)
 *   before keys before values before indices; keys compare field by field (name, then value); values compare
 *   numbers numerically (1 == 1.0), then strings, booleans, lists, maps, null, in that type order.
 *
 * Sets
 *   A set holds paths. A path is a *member* when it was inserted; its ancestors are only *parents* (they have
 *   children) unless inserted too. So {"f:spec":{"f:replicas":{}}} holds .spec.replicas but not .spec, and
 *   {"f:labels":{".":{},"f:app":{}}} holds both .labels and .labels.app. The empty path is never a member.
 *
 * Ownership: sets are opaque heap objects (kc_fieldset_new / kc_fieldset_free); every operation that returns a
 * set returns a new one the caller frees. Element contents passed in are copied. Not thread-safe per set
 * (distinct sets may be used from distinct threads).
 */
#ifndef KC_FIELDSET_H
#define KC_FIELDSET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum kc_pe_type {
    KC_PE_FIELD = 1, /* a struct field or map key: field */
    KC_PE_KEY,       /* an associative-list item: key, an object of the key fields in name order */
    KC_PE_VALUE,     /* a set-list item: value */
    KC_PE_INDEX,     /* a list index: index */
};

/* One path element. As an argument its pointers are borrowed for the call; inside a set they are owned. */
struct kc_pe {
    enum kc_pe_type type;
    const char *field;   /* FIELD: the name (may contain any character) */
    const json_t *key;   /* KEY: {"name":"c"} or {"containerPort":80,"protocol":"TCP"}, fields in name order */
    const json_t *value; /* VALUE: a scalar (string, number, boolean or null) */
    long index;          /* INDEX */
};

struct kc_fieldset;

/* Compares two path elements in upstream's order (see the top). Returns <0, 0 or >0. */
int kc_pe_compare(const struct kc_pe *a, const struct kc_pe *b);

/* Compares two JSON values in upstream's value.Compare order: numbers (integers and reals compared
 * numerically) < strings < booleans (false < true) < arrays (element-wise, then length) < objects (by sorted
 * keys, then values) < null. NULL sorts like null. Returns <0, 0 or >0. */
int kc_json_value_compare(const json_t *a, const json_t *b);

/* A new empty set (NULL when out of memory). */
struct kc_fieldset *kc_fieldset_new(void);

/* Frees s and everything in it; NULL is ignored. */
void kc_fieldset_free(struct kc_fieldset *s);

/* Inserts the path (n elements) as a member; an empty path (n == 0) is ignored, as upstream ignores it.
 * Returns 0, KC_EINVALID for a malformed element (FIELD without a name, KEY that is not an object, VALUE
 * that is NULL, unknown type), -ENOMEM (s is then unchanged or holds the path's ancestors as parents only). */
int kc_fieldset_insert(struct kc_fieldset *s, const struct kc_pe *path, size_t n);

/* Whether the path is a member of s (parents are not members). NULL s: false. */
bool kc_fieldset_has(const struct kc_fieldset *s, const struct kc_pe *path, size_t n);

/* Whether s holds no member at all. NULL: true. */
bool kc_fieldset_empty(const struct kc_fieldset *s);

/* The number of members of s (NULL: 0). */
size_t kc_fieldset_size(const struct kc_fieldset *s);

/* Whether a and b hold exactly the same members (NULL equals an empty set). */
bool kc_fieldset_equal(const struct kc_fieldset *a, const struct kc_fieldset *b);

/* The set of the paths below pe (with pe stripped), borrowed from s: valid until s changes or is freed; NULL
 * when s holds nothing below pe. upstream's Set.WithPrefix. */
const struct kc_fieldset *kc_fieldset_child(const struct kc_fieldset *s, const struct kc_pe *pe);

/* Set algebra, each into a new set *out (NULL inputs are empty sets):
 *   union: members of a or b;
 *   difference: members of a not in b (a parent is not removed by removing a child, nor a child by removing
 *     its parent: upstream's Difference);
 *   recursive_difference: like difference, but a member of b also removes everything below it in a;
 *   intersection: members of both.
 * Return 0 or -ENOMEM (*out untouched). */
int kc_fieldset_union(const struct kc_fieldset *a, const struct kc_fieldset *b, struct kc_fieldset **out);
int kc_fieldset_difference(const struct kc_fieldset *a, const struct kc_fieldset *b, struct kc_fieldset **out);
int kc_fieldset_recursive_difference(const struct kc_fieldset *a, const struct kc_fieldset *b,
                                     struct kc_fieldset **out);
int kc_fieldset_intersection(const struct kc_fieldset *a, const struct kc_fieldset *b, struct kc_fieldset **out);

/* A deep copy of s in *out. Returns 0 or -ENOMEM. */
int kc_fieldset_copy(const struct kc_fieldset *s, struct kc_fieldset **out);

/* Calls fn for every member of s in order (depth first, a member before its children), with its path (n
 * elements, valid during the call only). A non-zero return from fn stops the walk and is returned. */
int kc_fieldset_iterate(const struct kc_fieldset *s, int (*fn)(const struct kc_pe *path, size_t n, void *arg),
                        void *arg);

/* The FieldsV1 form of s as a new JSON object in *out, keys in upstream's serialization order ("." first,
 * then elements in order): {"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{
 * "k:{\"name\":\"c\"}":{".":{},"f:image":{}}}}}. Key and value text is written as Go's encoding/json writes it
 * (compact; <, > and & escaped as \u003c, \u003e, \u0026; shortest round-trip reals). Returns 0 or -ENOMEM. */
int kc_fieldset_to_fields_v1(const struct kc_fieldset *s, json_t **out);

/* Parses a FieldsV1 object into a new set *out. Keys with an unknown prefix are ignored, as upstream ignores
 * them; an entry whose value is {} or has "." is a member. Returns 0; KC_EINVALID when fields is not an
 * object, an entry is not an object, or a key does not parse ("k:" not followed by a JSON object, "v:" not
 * followed by JSON, "i:" not followed by a number), with a message in err (when errlen > 0); -ENOMEM. */
int kc_fieldset_from_fields_v1(const json_t *fields, struct kc_fieldset **out, char *err, size_t errlen);

/* The text of one element and of a path as upstream's fieldpath prints them in conflict messages:
 * ".spec", "[name=\"c\"]" (keys: name=value joined by ","), "[=\"a\"]" (values), "[0]" (indices); a path is
 * its elements concatenated (".spec.containers[name=\"c\"].image"). Strings are quoted as Go's %q quotes them.
 * Each returns a malloc'ed string the caller frees, or NULL when out of memory. */
char *kc_pe_string(const struct kc_pe *pe);
char *kc_path_string(const struct kc_pe *path, size_t n);

/* The key text of one element as FieldsV1 writes it ("f:name", "k:{...}", "v:...", "i:N"), malloc'ed (NULL
 * when out of memory). */
char *kc_pe_fields_v1_key(const struct kc_pe *pe);

#endif
