/* patch_smp.c - strategic merge patch: the merge engine of k8s.io/apimachinery/pkg/util/strategicpatch (mergeMap,
 * mergeSlice, $patch, $retainKeys, $setElementOrder, $deleteFromPrimitiveList) and kc_patch_strategic, which runs
 * it the way kube-apiserver does. The same engine merges the two halves of kubectl's three-way patch. */
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_patch.h"
#include "kc_schema.h"
#include "patch_int.h"

#include <errno.h>
#include <string.h>

static bool
has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* v is the string s (Go's interface{} == "s"). */
static bool
is_str(const json_t *v, const char *s)
{
    return json_is_string(v) && json_string_length(v) == strlen(s) && strcmp(json_string_value(v), s) == 0;
}

static const char *
mk(const char *merge_key)
{
    return merge_key ? merge_key : "";
}

/* extractKey: the part after "prefix/". */
static int
extract_key(struct pt_ctx *c, const char *s, const char *prefix, const char **out)
{
    const char *slash = strchr(s, '/');
    size_t plen = strlen(prefix);

    if (!slash || (size_t)(slash - s) != plen || strncmp(s, prefix, plen) != 0) {
        if (strcmp(prefix, PT_DELETE_PRIMITIVE) == 0)
            return pt_fail(c, KC_EBADREQUEST, PT_ERR_BAD_PRIMITIVE_LIST);
        return pt_fail(c, KC_EBADREQUEST, PT_ERR_BAD_SET_ORDER);
    }
    *out = slash + 1;
    return 0;
}

int
pt_err_bad_arg_map(struct pt_ctx *c, const json_t *actual)
{
    return pt_fail(c, KC_EBADREQUEST, "expected a map[string]interface {}, but received a %T", actual);
}

static int
err_bad_arg_slice(struct pt_ctx *c, const json_t *actual)
{
    return pt_fail(c, KC_EBADREQUEST, "expected a []interface {}, but received a %T", actual);
}

int
pt_err_no_merge_key(struct pt_ctx *c, const json_t *m, const char *merge_key)
{
    return pt_fail(c, KC_EBADREQUEST, "map: %V does not contain declared merge key: %s", m, mk(merge_key));
}

int
pt_slice_element_type(struct pt_ctx *c, const json_t *a, const json_t *b, enum pt_gotype *out)
{
    const json_t *lists[2] = { a, b };
    bool have = false;
    enum pt_gotype prev = PT_NIL;

    for (int l = 0; l < 2; l++) {
        for (size_t i = 0; i < json_array_size(lists[l]); i++) {
            enum pt_gotype t = pt_gotype(json_array_get(lists[l], i));
            if (!have) {
                have = true;
                prev = t;
                if (prev == PT_SLICE)
                    return pt_fail(c, KC_EINVALID, PT_ERR_NO_LIST_OF_LISTS);
            } else if (t != prev) {
                /* fmt.Sprint of the [][]interface{} argument list. */
                json_t *all = pt_keep_new(c, json_array());
                if (!all || json_array_append_new(all, a ? json_incref((json_t *)a) : json_array()) != 0 ||
                    (b && json_array_append(all, (json_t *)b) != 0))
                    return -ENOMEM;
                return pt_fail(c, KC_EBADREQUEST, "list element types are not identical: %V", all);
            }
        }
    }
    if (!have)
        return pt_fail(c, KC_EBADREQUEST, "no elements in any of the given slices");
    *out = prev;
    return 0;
}

/* index(): the position of val in list (by merge key value for maps), or -1. */
static long
go_index(const json_t *const *list, size_t n, const json_t *val, const char *merge_key, enum pt_gotype kind)
{
    const json_t *want = val;

    if (kind == PT_MAP)
        want = json_is_object(val) ? json_object_get(val, mk(merge_key)) : NULL;
    for (size_t i = 0; i < n; i++) {
        const json_t *have = list[i];
        if (kind == PT_MAP)
            have = json_is_object(have) ? json_object_get(have, mk(merge_key)) : NULL;
        if (pt_go_eq(want, have))
            return (long)i;
    }
    return -1;
}

struct order_arg {
    const json_t *const *order;
    size_t n;
    const char *merge_key;
    enum pt_gotype kind;
};

static bool
order_less(const json_t *a, const json_t *b, void *arg)
{
    struct order_arg *o = arg;
    long ia = go_index(o->order, o->n, a, o->merge_key, o->kind);
    if (ia >= 0) {
        long ib = go_index(o->order, o->n, b, o->merge_key, o->kind);
        if (ib >= 0)
            return ia < ib;
    }
    return true;
}

/* validateMergeKeyInLists over a vector and an array. */
static int
validate_merge_keys(struct pt_ctx *c, const struct pt_vec *vec, const json_t *arr, const char *merge_key)
{
    for (size_t i = 0; i < vec->n; i++) {
        if (!json_is_object(vec->v[i]))
            return pt_err_bad_arg_map(c, vec->v[i]);
        if (!json_object_get(vec->v[i], mk(merge_key)))
            return pt_err_no_merge_key(c, vec->v[i], merge_key);
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_object(v))
            return pt_err_bad_arg_map(c, v);
        if (!json_object_get(v, mk(merge_key)))
            return pt_err_no_merge_key(c, v, merge_key);
    }
    return 0;
}

static bool
is_delete_item(const json_t *v)
{
    return json_is_object(v) && is_str(json_object_get(v, PT_DIRECTIVE), "delete");
}

static int
normalize_order_list(struct pt_ctx *c, struct pt_vec *vec, const json_t *const *order, size_t norder,
                     const json_t *order_arr, const char *merge_key, enum pt_gotype kind)
{
    struct pt_vec keep = { 0 }, del = { 0 };
    int rc = 0;

    if (kind == PT_MAP) {
        if ((rc = validate_merge_keys(c, vec, order_arr, merge_key)) != 0)
            return rc;
        for (size_t i = 0; i < vec->n; i++) {
            if ((rc = pt_vec_push(is_delete_item(vec->v[i]) ? &del : &keep, vec->v[i])) != 0)
                goto out;
        }
        vec->n = 0;
        for (size_t i = 0; i < keep.n; i++)
            if ((rc = pt_vec_push(vec, keep.v[i])) != 0)
                goto out;
    }
    struct order_arg arg = { order, norder, merge_key, kind };
    pt_stable_sort(vec->v, vec->n, order_less, &arg);
    for (size_t i = 0; i < del.n; i++)
        if ((rc = pt_vec_push(vec, del.v[i])) != 0)
            goto out;
out:
    pt_vec_free(&keep);
    pt_vec_free(&del);
    return rc;
}

int
pt_normalize_slice_order(struct pt_ctx *c, struct pt_vec *vec, const json_t *order, const char *merge_key,
                         enum pt_gotype kind)
{
    struct pt_vec o = { 0 };
    int rc = pt_vec_append_array(&o, order);

    if (rc == 0)
        rc = normalize_order_list(c, vec, (const json_t *const *)o.v, o.n, order, merge_key, kind);
    pt_vec_free(&o);
    return rc;
}

/* mergeSortedSlice: interleaves left (server-only items) into right (patch items) by their positions in
 * server_order; an item of right that is not there is taken first. */
static int
merge_sorted(const struct pt_vec *left, const struct pt_vec *right, const struct pt_vec *server_order,
             const char *merge_key, enum pt_gotype kind, struct pt_vec *out)
{
    size_t i = 0, j = 0;
    const json_t *const *so = (const json_t *const *)server_order->v;

    while (i < left->n && j < right->n) {
        long li = go_index(so, server_order->n, left->v[i], merge_key, kind);
        long ri = go_index(so, server_order->n, right->v[j], merge_key, kind);
        json_t *next = (li >= 0 && ri >= 0 && li < ri) ? left->v[i++] : right->v[j++];
        if (pt_vec_push(out, next) != 0)
            return -ENOMEM;
    }
    while (i < left->n)
        if (pt_vec_push(out, left->v[i++]) != 0)
            return -ENOMEM;
    while (j < right->n)
        if (pt_vec_push(out, right->v[j++]) != 0)
            return -ENOMEM;
    return 0;
}

/* normalizeElementOrder: patch items sorted by patch_order, server-only items by server_order, then merged. */
static int
normalize_element_order(struct pt_ctx *c, struct pt_vec *patch, struct pt_vec *server_only, const json_t *patch_order,
                        const struct pt_vec *server_order, const char *merge_key, enum pt_gotype kind,
                        struct pt_vec *out)
{
    int rc;

    if ((rc = pt_normalize_slice_order(c, patch, patch_order, merge_key, kind)) != 0)
        return rc;
    /* server_order as an array for the merge-key validation of normalizeSliceOrder. */
    json_t *so = pt_vec_array(c, server_order);
    if (!so)
        return -ENOMEM;
    rc = normalize_order_list(c, server_only, (const json_t *const *)server_order->v, server_order->n, so, merge_key,
                              kind);
    if (rc != 0)
        return rc;
    return merge_sorted(server_only, patch, server_order, merge_key, kind, out);
}

/* findMapInSliceBasedOnKeyValue over a vector. Returns 0 with *idx (-1 when absent) or an error. */
static int
find_map(struct pt_ctx *c, json_t *const *v, size_t n, const char *merge_key, const json_t *value, long *idx)
{
    *idx = -1;
    for (size_t k = 0; k < n; k++) {
        if (!json_is_object(v[k]))
            return pt_fail(c, KC_EBADREQUEST, "value for key %zu is not a map.", k);
        json_t *m = json_object_get(v[k], mk(merge_key));
        if (m && pt_go_eq(m, value)) {
            *idx = (long)k;
            return 0;
        }
    }
    return 0;
}

/* partitionPrimitivesByPresentInList / partitionMapsByPresentInList. */
static int
partition(struct pt_ctx *c, const struct pt_vec *merged, const json_t *by, const char *merge_key, struct pt_vec *in,
          struct pt_vec *out)
{
    struct pt_vec byv = { 0 };
    int rc = pt_vec_append_array(&byv, by);

    for (size_t i = 0; rc == 0 && i < merged->n; i++) {
        json_t *v = merged->v[i];
        bool found = false;
        if (!merge_key || !*merge_key) {
            for (size_t j = 0; j < byv.n && !found; j++)
                found = pt_go_eq(byv.v[j], v);
        } else {
            if (!json_is_object(v)) {
                rc = pt_err_bad_arg_map(c, v);
                break;
            }
            json_t *val = json_object_get(v, merge_key);
            if (!val) {
                rc = pt_err_no_merge_key(c, v, merge_key);
                break;
            }
            long idx;
            if ((rc = find_map(c, byv.v, byv.n, merge_key, val, &idx)) != 0)
                break;
            found = idx >= 0;
        }
        rc = pt_vec_push(found ? in : out, v);
    }
    pt_vec_free(&byv);
    return rc;
}

/* removeDirectives: drops objects carrying "$patch" (recursively); *keep is false when obj itself is one.
 * Objects are cleaned in place, arrays rebuilt. */
static int
remove_directives(struct pt_ctx *c, json_t *obj, json_t **out, bool *keep)
{
    int rc;

    *out = obj;
    *keep = true;
    if (json_is_object(obj)) {
        if (json_object_get(obj, PT_DIRECTIVE)) {
            *out = NULL;
            *keep = false;
            return 0;
        }
        json_t *keys = pt_obj_keys(c, obj);
        if (!keys)
            return -ENOMEM;
        for (size_t i = 0; i < json_array_size(keys); i++) {
            const char *k = json_string_value(json_array_get(keys, i));
            json_t *v = json_object_get(obj, k), *nv;
            bool kp;
            if ((rc = remove_directives(c, v, &nv, &kp)) != 0)
                return rc;
            if (!kp)
                rc = pt_obj_del(c, obj, k);
            else
                rc = pt_obj_set(c, obj, k, nv);
            if (rc != 0)
                return rc;
        }
    } else if (json_is_array(obj)) {
        json_t *res = pt_keep_new(c, json_array());
        if (!res)
            return -ENOMEM;
        for (size_t i = 0; i < json_array_size(obj); i++) {
            json_t *nv;
            bool kp;
            if ((rc = remove_directives(c, json_array_get(obj, i), &nv, &kp)) != 0)
                return rc;
            if (kp && json_array_append(res, nv) != 0)
                return -ENOMEM;
        }
        *out = res;
    }
    return 0;
}

/* discardNullValuesFromPatch: removes null members of objects, recursively through objects and arrays. */
static int
discard_nulls(struct pt_ctx *c, json_t *v)
{
    int rc;

    if (json_is_object(v)) {
        json_t *keys = pt_obj_keys(c, v);
        if (!keys)
            return -ENOMEM;
        for (size_t i = 0; i < json_array_size(keys); i++) {
            const char *k = json_string_value(json_array_get(keys, i));
            json_t *m = json_object_get(v, k);
            if (json_is_null(m))
                rc = pt_obj_del(c, v, k);
            else
                rc = discard_nulls(c, m);
            if (rc != 0)
                return rc;
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if ((rc = discard_nulls(c, json_array_get(v, i))) != 0)
                return rc;
    }
    return 0;
}

/* The original list of a merge as a Go slice: v[0..n) are its current items, cap is the capacity of the backing
 * array the list was decoded into (its length: what ToUnstructured of a converted object gives), view the
 * caller's view of that backing array. Deleting shifts items down in place and appending writes into the spare
 * capacity that deletions freed, both visible through view, exactly as Go's append(s[:k], s[k+1:]...) and
 * append(s, v) are; mergePatchIntoOriginal then orders the server-only items by that view, so the result
 * depends on it. */
struct goslice {
    json_t **v;
    size_t n, cap;
    json_t **view; /* the original backing array (length = the original list's length) */
    size_t nview;
    bool own_v; /* v was reallocated away from view */
};

static int
gs_append(struct goslice *s, json_t *item)
{
    if (s->n < s->cap) {
        s->v[s->n++] = item;
        return 0;
    }
    size_t cap = s->cap ? s->cap * 2 : 4;
    json_t **p = kc_calloc(cap, sizeof(*p));
    if (!p)
        return -ENOMEM;
    if (s->n)
        memcpy(p, s->v, s->n * sizeof(*p));
    if (s->own_v)
        free(s->v);
    s->v = p;
    s->cap = cap;
    s->own_v = true;
    s->v[s->n++] = item;
    return 0;
}

static void
gs_free(struct goslice *s)
{
    if (s->own_v)
        free(s->v);
    free(s->view);
    memset(s, 0, sizeof(*s));
}

/* mergeSliceWithSpecialElements + mergeSliceWithoutSpecialElements + the ordering of mergeSlice, for lists of
 * maps. o is the original list (modified as Go modifies its backing array). */
static int
merge_map_list(struct pt_ctx *c, struct goslice *o, const json_t *patch, const struct kc_schema *schema,
               const char *merge_key, struct pt_vec *result)
{
    struct pt_vec plain = { 0 }, in = { 0 }, out = { 0 }, merged = { 0 }, server_order = { 0 };
    struct goslice rep = { 0 };
    bool replace = false;
    int rc = 0;

    for (size_t i = 0; i < json_array_size(patch); i++) {
        json_t *v = json_array_get(patch, i);
        json_t *d = json_object_get(v, PT_DIRECTIVE);
        if (!d) {
            if ((rc = pt_vec_push(&plain, v)) != 0)
                goto out;
            continue;
        }
        if (is_str(d, "delete")) {
            json_t *val = json_object_get(v, mk(merge_key));
            if (!val) {
                rc = pt_err_no_merge_key(c, v, merge_key);
                goto out;
            }
            for (;;) {
                long k;
                if ((rc = find_map(c, o->v, o->n, merge_key, val, &k)) != 0)
                    goto out;
                if (k < 0)
                    break;
                memmove(&o->v[k], &o->v[k + 1], (o->n - (size_t)k - 1) * sizeof(*o->v));
                o->n--;
            }
        } else if (is_str(d, "replace")) {
            replace = true;
        } else if (is_str(d, "merge")) {
            rc = pt_fail(c, KC_EBADREQUEST, "merging lists cannot yet be specified in the patch");
            goto out;
        } else {
            rc = pt_fail(c, KC_EBADREQUEST, "unknown patch type: %S in map: %V", d, v);
            goto out;
        }
    }
    /* The list the items are merged into, and what it and the patch are afterwards. */
    struct goslice *dst = o;
    const struct pt_vec *patch_items = &plain;
    struct pt_vec none = { 0 };
    if (replace) {
        rep.v = plain.n ? kc_calloc(plain.n, sizeof(*rep.v)) : NULL;
        if (plain.n && !rep.v) {
            rc = -ENOMEM;
            goto out;
        }
        for (size_t i = 0; i < plain.n; i++)
            rep.v[i] = plain.v[i];
        rep.n = rep.cap = plain.n;
        rep.own_v = true;
        dst = &rep;
        patch_items = &none;
    }
    /* mergeSlice orders by the original after the special elements (before the appends). */
    for (size_t i = 0; i < dst->n; i++)
        if ((rc = pt_vec_push(&server_order, dst->v[i])) != 0)
            goto out;
    for (size_t i = 0; i < patch_items->n; i++) {
        json_t *v = patch_items->v[i];
        json_t *val = json_object_get(v, mk(merge_key));
        long k;
        if (!val) {
            rc = pt_err_no_merge_key(c, v, merge_key);
            goto out;
        }
        if ((rc = find_map(c, dst->v, dst->n, merge_key, val, &k)) != 0)
            goto out;
        if (k >= 0) {
            json_t *m;
            if ((rc = pt_merge_map(c, dst->v[k], v, schema, &m)) != 0)
                goto out;
            dst->v[k] = m;
        } else if ((rc = gs_append(dst, v)) != 0) {
            goto out;
        }
    }
    for (size_t i = 0; i < dst->n; i++)
        if ((rc = pt_vec_push(&merged, dst->v[i])) != 0)
            goto out;
    json_t *parr = pt_vec_array(c, patch_items);
    if (!parr) {
        rc = -ENOMEM;
        goto out;
    }
    if ((rc = partition(c, &merged, parr, merge_key, &in, &out)) != 0)
        goto out;
    rc = normalize_element_order(c, &in, &out, parr, &server_order, merge_key, PT_MAP, result);
out:
    if (rep.own_v)
        free(rep.v);
    pt_vec_free(&plain);
    pt_vec_free(&in);
    pt_vec_free(&out);
    pt_vec_free(&merged);
    pt_vec_free(&server_order);
    return rc;
}

/* deduplicateScalars, in Go's order-changing way. */
static void
dedup_scalars(struct pt_vec *s)
{
    if (s->n == 0)
        return;
    size_t length = s->n - 1;
    for (size_t i = 0; i < length; i++) {
        for (size_t j = i + 1; j <= length; j++) {
            if (pt_go_eq(s->v[i], s->v[j])) {
                s->v[j] = s->v[length];
                length--;
                j--;
            }
        }
    }
    s->n = length + 1;
}

/* mergeSlice. original and patch are arrays; view receives the caller-visible backing array of original (see
 * struct goslice) when non-NULL. *out: a kept array. */
static int
merge_slice(struct pt_ctx *c, json_t *original, json_t *patch, const struct kc_schema *schema, const char *merge_key,
            bool is_delete_list, struct pt_vec *view, json_t **out)
{
    struct pt_vec result = { 0 };
    enum pt_gotype kind;
    int rc;

    if (json_array_size(original) == 0 && json_array_size(patch) == 0) {
        *out = original;
        return 0;
    }
    if ((rc = pt_slice_element_type(c, original, patch, &kind)) != 0)
        return rc;
    if (kind != PT_MAP) {
        struct pt_vec merged = { 0 }, in = { 0 }, sonly = { 0 }, so = { 0 };
        if (c->merge_parallel && is_delete_list) {
            /* deleteFromSlice */
            for (size_t i = 0; i < json_array_size(original); i++) {
                json_t *v = json_array_get(original, i);
                bool del = false;
                for (size_t j = 0; j < json_array_size(patch) && !del; j++)
                    del = pt_go_eq(v, json_array_get(patch, j));
                if (!del && (rc = pt_vec_push(&result, v)) != 0)
                    goto prim_out;
            }
        } else {
            if ((rc = pt_vec_append_array(&merged, original)) != 0 || (rc = pt_vec_append_array(&merged, patch)) != 0)
                goto prim_out;
            dedup_scalars(&merged);
            if ((rc = partition(c, &merged, patch, NULL, &in, &sonly)) != 0 ||
                (rc = pt_vec_append_array(&so, original)) != 0)
                goto prim_out;
            rc = normalize_element_order(c, &in, &sonly, patch, &so, NULL, kind, &result);
        }
        if (rc == 0 && view)
            rc = pt_vec_append_array(view, original);
    prim_out:
        pt_vec_free(&merged);
        pt_vec_free(&in);
        pt_vec_free(&sonly);
        pt_vec_free(&so);
        if (rc == 0 && !(*out = pt_vec_array(c, &result)))
            rc = -ENOMEM;
        pt_vec_free(&result);
        return rc;
    }
    if (!merge_key || !*merge_key) {
        const char *name = kc_schema_short_name(schema);
        return pt_fail(c, KC_EBADREQUEST, "cannot merge lists without merge key for %s", name ? name : "struct");
    }
    struct goslice o = { 0 };
    size_t n = json_array_size(original);
    o.view = n ? kc_calloc(n, sizeof(*o.view)) : NULL;
    if (n && !o.view)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        o.view[i] = json_array_get(original, i);
    o.v = o.view;
    o.n = o.cap = o.nview = n;
    rc = merge_map_list(c, &o, patch, schema, merge_key, &result);
    if (rc == 0 && view)
        for (size_t i = 0; i < o.nview && rc == 0; i++)
            rc = pt_vec_push(view, o.view[i]);
    gs_free(&o);
    if (rc == 0 && !(*out = pt_vec_array(c, &result)))
        rc = -ENOMEM;
    pt_vec_free(&result);
    return rc;
}

/* mergeSliceHandler. */
static int
merge_slice_handler(struct pt_ctx *c, json_t *original, json_t *patch, const struct pt_meta *m, bool is_delete_list,
                    struct pt_vec *view, json_t **out)
{
    if (!json_is_array(original))
        return err_bad_arg_slice(c, original);
    if (!json_is_array(patch))
        return err_bad_arg_slice(c, patch);
    if ((m->strategy & KC_SCHEMA_PATCH_MERGE) || is_delete_list)
        return merge_slice(c, original, patch, m->sub, m->merge_key, is_delete_list, view, out);
    if (view)
        pt_vec_append_array(view, original);
    *out = patch;
    return 0;
}

/* handleDirectiveInMergeMap. */
static int
directive_in_map(struct pt_ctx *c, json_t *directive, json_t *patch, json_t **out)
{
    if (is_str(directive, "replace")) {
        int rc = pt_obj_del(c, patch, PT_DIRECTIVE);
        *out = patch;
        return rc;
    }
    if (is_str(directive, "delete")) {
        *out = pt_keep_new(c, json_object());
        return *out ? 0 : -ENOMEM;
    }
    return pt_fail(c, KC_EBADREQUEST, "unknown patch type: %S in map: %V", directive, patch);
}

static bool
in_string_list(const json_t *list, const char *k)
{
    for (size_t i = 0; i < json_array_size(list); i++)
        if (is_str(json_array_get(list, i), k))
            return true;
    return false;
}

/* applyRetainKeysDirective. */
static int
apply_retain_keys(struct pt_ctx *c, json_t *original, json_t *patch)
{
    json_t *r = json_object_get(patch, PT_RETAIN_KEYS);
    const char *k;
    json_t *v;
    int rc;

    if (!r)
        return 0;
    if ((rc = pt_keep(c, r)) != 0 || (rc = pt_obj_del(c, patch, PT_RETAIN_KEYS)) != 0)
        return rc;
    if (!c->merge_parallel) {
        json_t *o = json_object_get(original, PT_RETAIN_KEYS);
        if (o) {
            if (!pt_deep_equal(o, r))
                return pt_fail(c, KC_EBADREQUEST,
                               "%V and %V are not deep equal: this may happen when calculating the 3-way diff patch", o,
                               r);
            return 0;
        }
        return pt_obj_set(c, original, PT_RETAIN_KEYS, r);
    }
    if (!json_is_array(r))
        return pt_fail(c, KC_EBADREQUEST, PT_ERR_BAD_RETAIN_KEYS);
    json_object_foreach(patch, k, v)
    {
        if (json_is_null(v) || has_prefix(k, PT_DELETE_PRIMITIVE) || has_prefix(k, PT_SET_ORDER))
            continue;
        if (!in_string_list(r, k))
            return pt_fail(c, KC_EBADREQUEST, PT_ERR_BAD_RETAIN_KEYS);
    }
    json_t *keys = pt_obj_keys(c, original);
    if (!keys)
        return -ENOMEM;
    for (size_t i = 0; i < json_array_size(keys); i++) {
        const char *key = json_string_value(json_array_get(keys, i));
        if (!in_string_list(r, key) && (rc = pt_obj_del(c, original, key)) != 0)
            return rc;
    }
    return 0;
}

/* mergeKeyValueEqual. */
int
pt_merge_key_equal(struct pt_ctx *c, const json_t *l, const json_t *r, const char *merge_key, bool *eq)
{
    if (!merge_key || !*merge_key) {
        *eq = pt_go_eq(l, r);
        return 0;
    }
    if (!json_is_object(l))
        return pt_err_bad_arg_map(c, l);
    if (!json_is_object(r))
        return pt_err_bad_arg_map(c, r);
    json_t *lv = json_object_get(l, merge_key), *rv = json_object_get(r, merge_key);
    if (!lv)
        return pt_err_no_merge_key(c, l, merge_key);
    if (!rv)
        return pt_err_no_merge_key(c, r, merge_key);
    *eq = pt_go_eq(lv, rv);
    return 0;
}

/* validatePatchWithSetOrderList: the patch list's items (deletions aside) appear in the order list, in order. */
static int
validate_set_order(struct pt_ctx *c, const json_t *patch_list, const json_t *order, const char *merge_key)
{
    struct pt_vec nd = { 0 };
    size_t pi = 0, si = 0, no = json_array_size(order);
    int rc = 0;

    if (no == 0 || json_array_size(patch_list) == 0)
        return 0;
    for (size_t i = 0; i < json_array_size(patch_list); i++) {
        json_t *v = json_array_get(patch_list, i);
        if (merge_key && *merge_key) {
            if (!json_is_object(v)) {
                rc = pt_err_bad_arg_map(c, v);
                goto out;
            }
            if (is_delete_item(v))
                continue;
        }
        if ((rc = pt_vec_push(&nd, v)) != 0)
            goto out;
    }
    while (pi < nd.n && si < no) {
        if (json_is_object(nd.v[pi]) && json_object_get(nd.v[pi], PT_DIRECTIVE)) {
            pi++;
            continue;
        }
        bool eq;
        if ((rc = pt_merge_key_equal(c, nd.v[pi], json_array_get(order, si), merge_key, &eq)) != 0)
            goto out;
        if (eq)
            pi++;
        si++;
    }
    if (pi < nd.n && si >= no)
        rc = pt_fail(c, KC_EBADREQUEST, "The order in patch list:\n%V\n doesn't match %s list:\n%V\n", patch_list,
                     PT_SET_ORDER, order);
out:
    pt_vec_free(&nd);
    return rc;
}

/* mergePatchIntoOriginal: the $setElementOrder directives and their lists. */
static int
merge_set_orders(struct pt_ctx *c, json_t *original, json_t *patch, const struct kc_schema *schema)
{
    json_t *keys = pt_obj_keys(c, patch);
    int rc = 0;

    if (!keys)
        return -ENOMEM;
    for (size_t i = 0; i < json_array_size(keys); i++) {
        const char *key = json_string_value(json_array_get(keys, i));
        struct pt_vec view = { 0 }, merged = { 0 }, in = { 0 }, sonly = { 0 }, both = { 0 };
        json_t *order, *olist, *plist, *mlist = NULL;
        const char *okey;
        struct pt_meta m;
        enum pt_gotype kind;

        if (!has_prefix(key, PT_SET_ORDER) || !(order = json_object_get(patch, key)))
            continue;
        if ((rc = pt_keep(c, order)) != 0)
            return rc;
        if (!c->merge_parallel) {
            json_t *o = json_object_get(original, key);
            if (o) {
                if (!pt_deep_equal(o, order))
                    return pt_fail(c, KC_EBADREQUEST, PT_ERR_BAD_SET_ORDER);
            } else if ((rc = pt_obj_set(c, original, key, order)) != 0) {
                return rc;
            }
        }
        if ((rc = pt_obj_del(c, patch, key)) != 0)
            return rc;
        if (!json_is_array(order))
            return err_bad_arg_slice(c, order);
        if ((rc = extract_key(c, key, PT_SET_ORDER, &okey)) != 0)
            return rc;
        olist = json_object_get(original, okey);
        plist = json_object_get(patch, okey);
        if (olist && !json_is_array(olist))
            return err_bad_arg_slice(c, olist);
        if (plist && !json_is_array(plist))
            return err_bad_arg_slice(c, plist);
        pt_lookup_slice(schema, okey, &m);
        if ((rc = validate_set_order(c, plist, order, m.merge_key)) != 0)
            return rc;
        if (olist && !plist) {
            mlist = olist;
            rc = pt_vec_append_array(&view, olist);
        } else if (!olist && plist) {
            bool kp;
            rc = remove_directives(c, plist, &mlist, &kp);
        } else if (olist && plist) {
            rc = merge_slice_handler(c, olist, plist, &m, false, &view, &mlist);
        } else {
            continue;
        }
        if (rc == 0)
            rc = pt_vec_append_array(&merged, mlist);
        if (rc == 0)
            rc = partition(c, &merged, order, m.merge_key, &in, &sonly);
        if (rc == 0) {
            json_t *empty = pt_keep_new(c, json_array());
            rc = empty ? pt_slice_element_type(c, olist ? olist : empty, plist ? plist : empty, &kind) : -ENOMEM;
        }
        if (rc == 0)
            rc = normalize_element_order(c, &in, &sonly, order, &view, m.merge_key, kind, &both);
        json_t *res = rc == 0 ? pt_vec_array(c, &both) : NULL;
        if (rc == 0 && !res)
            rc = -ENOMEM;
        if (rc == 0)
            rc = pt_obj_set(c, original, okey, res);
        if (rc == 0)
            rc = pt_obj_del(c, patch, okey);
        pt_vec_free(&view);
        pt_vec_free(&merged);
        pt_vec_free(&in);
        pt_vec_free(&sonly);
        pt_vec_free(&both);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Takes patch value v for original[k] when there is nothing to merge it with (discarding nulls on the server,
 * removing directives). */
static int
take_patch_value(struct pt_ctx *c, json_t *original, const char *k, json_t *v)
{
    json_t *nv;
    bool keep;
    int rc;

    if (c->ignore_unmatched_nulls && (rc = discard_nulls(c, v)) != 0)
        return rc;
    if ((rc = remove_directives(c, v, &nv, &keep)) != 0)
        return rc;
    if (!keep)
        return pt_obj_del(c, original, k);
    return pt_obj_set(c, original, k, nv ? nv : json_null());
}

int
pt_merge_map(struct pt_ctx *c, json_t *original, json_t *patch, const struct kc_schema *schema, json_t **out)
{
    json_t *d = json_object_get(patch, PT_DIRECTIVE);
    int rc;

    if (d)
        return directive_in_map(c, d, patch, out);
    if (!original && !(original = pt_keep_new(c, json_object())))
        return -ENOMEM;
    if ((rc = apply_retain_keys(c, original, patch)) != 0)
        return rc;
    if ((rc = merge_set_orders(c, original, patch, schema)) != 0)
        return rc;

    json_t *keys = pt_obj_keys(c, patch);
    if (!keys)
        return -ENOMEM;
    for (size_t i = 0; i < json_array_size(keys); i++) {
        const char *k = json_string_value(json_array_get(keys, i));
        json_t *pv = json_object_get(patch, k), *ov;
        bool is_delete_list = false;

        if (!pv)
            continue;
        if (has_prefix(k, PT_DELETE_PRIMITIVE)) {
            if (!c->merge_parallel) {
                if ((rc = pt_obj_set(c, original, k, pv)) != 0)
                    return rc;
                continue;
            }
            if ((rc = extract_key(c, k, PT_DELETE_PRIMITIVE, &k)) != 0)
                return rc;
            is_delete_list = true;
        }
        if (json_is_null(pv)) {
            if ((rc = pt_obj_del(c, original, k)) != 0)
                return rc;
            if (c->ignore_unmatched_nulls)
                continue;
        }
        ov = json_object_get(original, k);
        if (!ov || pt_gotype(ov) != pt_gotype(pv)) {
            if (!is_delete_list && (rc = take_patch_value(c, original, k, pv)) != 0)
                return rc;
            continue;
        }
        struct pt_meta m;
        json_t *res;
        if (json_is_object(ov)) {
            pt_lookup_struct(schema, k, &m);
            if (m.strategy & KC_SCHEMA_PATCH_REPLACE)
                res = pv;
            else if ((rc = pt_merge_map(c, ov, pv, m.sub, &res)) != 0)
                return rc;
        } else if (json_is_array(ov)) {
            pt_lookup_slice(schema, k, &m);
            if ((rc = merge_slice_handler(c, ov, pv, &m, is_delete_list, NULL, &res)) != 0)
                return rc;
        } else {
            bool keep;
            if ((rc = remove_directives(c, pv, &res, &keep)) != 0)
                return rc;
        }
        if ((rc = pt_obj_set(c, original, k, res)) != 0)
            return rc;
    }
    *out = original;
    return 0;
}

static const char *
go_json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "bool";
    default:
        return "object";
    }
}

int
kc_patch_strategic(json_t **doc, const json_t *patch, const struct kc_schema *schema, char *err, size_t errlen)
{
    struct pt_ctx c = { .err = err, .errlen = errlen, .merge_parallel = true, .ignore_unmatched_nulls = true };
    json_t *o = NULL, *p = NULL, *res = NULL;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (!doc || !*doc || !patch)
        return pt_fail(&c, KC_EINVALID, "invalid arguments");
    if (!json_is_object(*doc))
        return pt_fail(&c, KC_EINVALID, PT_ERR_BAD_JSON_DOC);
    if (json_is_null(patch))
        return 0;
    if (!json_is_object(patch))
        return pt_fail(&c, KC_EBADREQUEST, "json: cannot unmarshal %s into Go value of type map[string]interface {}",
                       go_json_kind(patch));
    c.keep = json_array();
    o = json_deep_copy(*doc);
    p = json_deep_copy(patch);
    if (!c.keep || !o || !p) {
        rc = -ENOMEM;
        goto out;
    }
    if ((rc = pt_keep(&c, o)) != 0 || (rc = pt_keep(&c, p)) != 0)
        goto out;
    if ((rc = pt_merge_map(&c, o, p, schema, &res)) != 0)
        goto out;
    json_incref(res);
    json_decref(*doc);
    *doc = res;
out:
    json_decref(o);
    json_decref(p);
    json_decref(c.keep);
    if (rc == -ENOMEM && err && errlen)
        snprintf(err, errlen, "out of memory");
    return rc;
}
