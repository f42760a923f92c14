/* patch_int.h - internals shared by the patch_*.c files: jansson values seen as the Go values apimachinery works
 * on (types, ==, reflect.DeepEqual, fmt's %v), Go's stable sort, borrowed-pointer vectors, the error context,
 * and the strategic merge engine that both the apply (patch_smp.c) and the three-way diff (patch_diff.c) use.
 *
 * Memory model: every operation deep-copies its inputs into trees it owns, and every temporary value it creates
 * is handed to ctx->keep (a json array that owns it until the operation ends). Everything else is a borrowed
 * pointer, valid for the whole operation. Existing arrays are never changed in place (like Go slices that get
 * rebuilt); objects are changed in place (like Go maps); a value replaced in an object is first kept.
 */
#ifndef KC_PATCH_INT_H
#define KC_PATCH_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct kc_schema;

/* The dynamic type a value has after apimachinery's JSON decoding (map[string]interface{}, []interface{},
 * string, int64, float64, bool, nil). A NULL pointer (missing) and JSON null are both nil. */
enum pt_gotype {
    PT_NIL,
    PT_MAP,
    PT_SLICE,
    PT_STRING,
    PT_INT,
    PT_FLOAT,
    PT_BOOL,
};

enum pt_gotype pt_gotype(const json_t *v);

/* Go's == on two interface{} values: same dynamic type and equal value; nil equals nil. Maps and slices (which
 * Go cannot compare and panics on) compare by identity. */
bool pt_go_eq(const json_t *a, const json_t *b);

/* reflect.DeepEqual on decoded JSON: like kc_json_equal but an integer never equals a real. */
bool pt_deep_equal(const json_t *a, const json_t *b);

/* A growable string; oom is set (and further writes ignored) once an allocation fails. */
struct pt_buf {
    char *s;
    size_t n, cap;
    bool oom;
};

void pt_buf_putn(struct pt_buf *b, const char *s, size_t n);
void pt_buf_puts(struct pt_buf *b, const char *s);
/* Appends v as Go's fmt prints it with %v (verb 'v') or %s (verb 's'): maps as map[k:v ...] with sorted keys,
 * slices as [a b], nil as <nil>, floats in %g's shortest form; %s of a non-string scalar is %!s(int64=5). */
void pt_buf_go(struct pt_buf *b, const json_t *v, char verb);
/* Appends reflect.TypeOf(v) as %s prints it: "map[string]interface {}", "[]interface {}", "string", "int64",
 * "float64", "bool", and "%!s(<nil>)" for nil. */
void pt_buf_gotype(struct pt_buf *b, const json_t *v);
void pt_buf_free(struct pt_buf *b);

/* The %v text of v as a NUL-terminated string in *out (malloc'ed, *len its length). Returns 0 or -ENOMEM. */
int pt_sprint_v(const json_t *v, char **out, size_t *len);

/* The state of one operation. */
struct pt_ctx {
    char *err;                   /* caller's message buffer, or NULL */
    size_t errlen;               /* its size */
    json_t *keep;                /* owns every temporary value */
    bool merge_parallel;         /* MergeOptions.MergeParallelList: apply $deleteFromPrimitiveList etc. */
    bool ignore_unmatched_nulls; /* MergeOptions.IgnoreUnmatchedNulls */
};

/* Writes a message and returns code. fmt understands %s (C string), %d (int), %zu (size_t), %ld (long), %%, and
 * for json_t * arguments %V (Go %v), %S (Go %s) and %T (Go reflect type). -ENOMEM while formatting returns
 * -ENOMEM instead of code. */
int pt_fail(struct pt_ctx *c, int code, const char *fmt, ...);

/* Hands v (a new reference, may be NULL) to c->keep and returns it borrowed, or NULL when v is NULL or the keep
 * array cannot grow (then v is released). */
json_t *pt_keep_new(struct pt_ctx *c, json_t *v);
/* Adds a reference to v to c->keep. Returns 0 or -ENOMEM. */
int pt_keep(struct pt_ctx *c, json_t *v);
/* obj[key] = val (val borrowed), keeping the old value alive. Returns 0 or -ENOMEM. */
int pt_obj_set(struct pt_ctx *c, json_t *obj, const char *key, json_t *val);
/* Removes obj[key] if present, keeping the old value alive. Returns 0 or -ENOMEM. */
int pt_obj_del(struct pt_ctx *c, json_t *obj, const char *key);
/* The keys of obj in iteration order, as one kept array of strings (borrowed). NULL on -ENOMEM. */
json_t *pt_obj_keys(struct pt_ctx *c, const json_t *obj);

/* A vector of borrowed values. */
struct pt_vec {
    json_t **v;
    size_t n, cap;
};

int pt_vec_push(struct pt_vec *vec, json_t *v);
/* Appends the items of array arr (NULL: none). */
int pt_vec_append_array(struct pt_vec *vec, const json_t *arr);
void pt_vec_free(struct pt_vec *vec);
/* A new array holding vec's items, kept by c; returns it borrowed, NULL on -ENOMEM. */
json_t *pt_vec_array(struct pt_ctx *c, const struct pt_vec *vec);

/* Go's sort.SliceStable (insertion sort on blocks of 20, then SymMerge), step for step, so that even an
 * inconsistent less gives Go's order. less(a, b, arg) reports whether a sorts before b. */
void pt_stable_sort(json_t **v, size_t n, bool (*less)(const json_t *a, const json_t *b, void *arg), void *arg);

/* Sorts v[0..n) by the %v text of key(v[i]) (bytewise), stably; key NULL means the value itself. This stands in
 * for Go's sort.Sort over fmt.Sprintf("%v") strings (which is not stable; ties only arise between different
 * values with the same text). Returns 0 or -ENOMEM. */
int pt_sort_by_text(json_t **v, size_t n, const char *merge_key);

/* Patch metadata of one field: x-kubernetes-patch-strategy bits, merge key, and the schema to descend with (the
 * field's schema for LookupPatchMetadataForStruct, its item schema for ...ForSlice); all zero/NULL when the
 * schema does not know the field. */
struct pt_meta {
    const struct kc_schema *sub;
    const char *merge_key;
    unsigned strategy;
};

void pt_lookup_struct(const struct kc_schema *s, const char *key, struct pt_meta *m);
void pt_lookup_slice(const struct kc_schema *s, const char *key, struct pt_meta *m);

/* The directive keys. */
#define PT_DIRECTIVE        "$patch"
#define PT_RETAIN_KEYS      "$retainKeys"
#define PT_DELETE_PRIMITIVE "$deleteFromPrimitiveList"
#define PT_SET_ORDER        "$setElementOrder"

/* mergeMap: merges patch into original (NULL: {}) under schema; *out is the result, borrowed (original itself
 * changed in place, the patch object, or a kept new object). Returns 0 or an error set through c. */
int pt_merge_map(struct pt_ctx *c, json_t *original, json_t *patch, const struct kc_schema *schema, json_t **out);

/* sliceElementType over one or two lists (b may be NULL): writes the common Go type. Errors as upstream. */
int pt_slice_element_type(struct pt_ctx *c, const json_t *a, const json_t *b, enum pt_gotype *out);

/* normalizeSliceOrder: sorts vec by the positions of its items in order (by merge key when kind is PT_MAP, then
 * moving "$patch": "delete" items to the end). order may be NULL. Errors as upstream. */
int pt_normalize_slice_order(struct pt_ctx *c, struct pt_vec *vec, const json_t *order, const char *merge_key,
                             enum pt_gotype kind);

/* mergeKeyValueEqual: *eq is whether l and r (maps) have equal merge key values (Go == on the values themselves
 * when merge_key is empty). Errors as upstream. */
int pt_merge_key_equal(struct pt_ctx *c, const json_t *l, const json_t *r, const char *merge_key, bool *eq);

/* mergepatch.ErrBadArgType(map, actual) and ErrNoMergeKey(m, merge_key), as KC_EBADREQUEST. */
int pt_err_bad_arg_map(struct pt_ctx *c, const json_t *actual);
int pt_err_no_merge_key(struct pt_ctx *c, const json_t *m, const char *merge_key);

/* The message texts of k8s.io/apimachinery/pkg/util/mergepatch. */
#define PT_ERR_BAD_JSON_DOC       "invalid JSON document"
#define PT_ERR_NO_LIST_OF_LISTS   "lists of lists are not supported"
#define PT_ERR_BAD_PRIMITIVE_LIST "invalid patch format of primitive list"
#define PT_ERR_BAD_RETAIN_KEYS    "invalid patch format of retainKeys"
#define PT_ERR_BAD_SET_ORDER      "invalid patch format of setElementOrder list"

#endif
