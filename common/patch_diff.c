/* patch_diff.c - the three-way strategic merge patch of kubectl apply (strategicpatch.CreateThreeWayMergePatch):
 * diffMaps/diffLists between two documents, then the changes (current -> modified) merged into the deletions
 * (original -> modified) with the engine of patch_smp.c. */
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_patch.h"
#include "kc_schema.h"
#include "patch_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* DiffOptions. */
struct diff_opts {
    bool set_order;        /* SetElementOrder */
    bool ignore_changes;   /* IgnoreChangesAndAdditions */
    bool ignore_deletions; /* IgnoreDeletions */
    bool build_retain;     /* BuildRetainKeysDirective */
};

static int diff_maps(struct pt_ctx *c, json_t *orig, json_t *mod, const struct kc_schema *schema, struct diff_opts o,
                     json_t **out);

static int
set(json_t *obj, const char *key, json_t *v)
{
    return json_object_set(obj, key, v) == 0 ? 0 : -ENOMEM;
}

/* Compares the %v texts of a and b bytewise, as Go compares strings. */
static int
text_cmp(const json_t *a, const json_t *b, int *out)
{
    char *ta = NULL, *tb = NULL;
    size_t la, lb;
    int rc = pt_sprint_v(a, &ta, &la);

    if (rc == 0)
        rc = pt_sprint_v(b, &tb, &lb);
    if (rc == 0) {
        int r = memcmp(ta, tb, la < lb ? la : lb);
        *out = r ? r : (la < lb ? -1 : la > lb);
    }
    free(ta);
    free(tb);
    return rc;
}

/* diffListsOfScalars: additions and deletions between the %v-sorted lists; sorted_orig is original as Go leaves
 * it (sorted in place), which diffLists compares with modified. */
static int
diff_scalars(const json_t *orig, const json_t *mod, struct diff_opts o, struct pt_vec *add, struct pt_vec *del,
             struct pt_vec *sorted_orig)
{
    struct pt_vec ms = { 0 };
    size_t oi = 0, mi = 0;
    int rc;

    if ((rc = pt_vec_append_array(sorted_orig, orig)) != 0 || (rc = pt_vec_append_array(&ms, mod)) != 0 ||
        (rc = pt_sort_by_text(sorted_orig->v, sorted_orig->n, NULL)) != 0 ||
        (rc = pt_sort_by_text(ms.v, ms.n, NULL)) != 0)
        goto out;
    while (oi < sorted_orig->n || mi < ms.n) {
        int cmp;
        if (oi < sorted_orig->n && mi < ms.n) {
            if ((rc = text_cmp(sorted_orig->v[oi], ms.v[mi], &cmp)) != 0)
                goto out;
        } else {
            cmp = oi < sorted_orig->n ? -1 : 1;
        }
        if (cmp == 0) {
            oi++;
            mi++;
        } else if (cmp < 0) {
            if (!o.ignore_deletions && (rc = pt_vec_push(del, sorted_orig->v[oi])) != 0)
                goto out;
            oi++;
        } else {
            if (!o.ignore_changes && (rc = pt_vec_push(add, ms.v[mi])) != 0)
                goto out;
            mi++;
        }
    }
    /* deduplicateScalars on the deletions. */
    if (del->n > 1) {
        size_t length = del->n - 1;
        for (size_t i = 0; i < length; i++)
            for (size_t j = i + 1; j <= length; j++)
                if (pt_go_eq(del->v[i], del->v[j])) {
                    del->v[j] = del->v[length];
                    length--;
                    j--;
                }
        del->n = length + 1;
    }
out:
    pt_vec_free(&ms);
    return rc;
}

/* getMapAndMergeKeyValueByIndex. */
static int
map_and_key(struct pt_ctx *c, json_t *item, const char *merge_key, json_t **val)
{
    if (!json_is_object(item))
        return pt_err_bad_arg_map(c, item);
    if (!(*val = json_object_get(item, merge_key)))
        return pt_err_no_merge_key(c, item, merge_key);
    return 0;
}

/* diffListsOfMaps: walks both lists sorted by the %v text of the merge key. */
static int
diff_maps_lists(struct pt_ctx *c, const json_t *orig, const json_t *mod, const struct kc_schema *schema,
                const char *merge_key, struct diff_opts o, struct pt_vec *patch, struct pt_vec *del)
{
    struct pt_vec os = { 0 }, ms = { 0 };
    size_t oi = 0, mi = 0;
    enum pt_gotype t;
    int rc;

    if ((rc = pt_vec_append_array(&os, orig)) != 0 || (rc = pt_vec_append_array(&ms, mod)) != 0)
        goto out;
    if (os.n &&
        ((rc = pt_slice_element_type(c, orig, NULL, &t)) != 0 || (rc = pt_sort_by_text(os.v, os.n, merge_key)) != 0))
        goto out;
    if (ms.n &&
        ((rc = pt_slice_element_type(c, mod, NULL, &t)) != 0 || (rc = pt_sort_by_text(ms.v, ms.n, merge_key)) != 0))
        goto out;
    while (oi < os.n || mi < ms.n) {
        json_t *ov = NULL, *mv = NULL;
        int cmp;
        if (oi < os.n && (rc = map_and_key(c, os.v[oi], merge_key, &ov)) != 0)
            goto out;
        if (mi < ms.n && (rc = map_and_key(c, ms.v[mi], merge_key, &mv)) != 0)
            goto out;
        if (oi < os.n && mi < ms.n) {
            if ((rc = text_cmp(ov, mv, &cmp)) != 0)
                goto out;
        } else {
            cmp = oi < os.n ? -1 : 1;
        }
        if (cmp == 0) {
            json_t *pv;
            if ((rc = diff_maps(c, os.v[oi], ms.v[mi], schema, o, &pv)) != 0)
                goto out;
            if (json_object_size(pv) > 0) {
                if ((rc = set(pv, merge_key, mv)) != 0 || (rc = pt_vec_push(patch, pv)) != 0)
                    goto out;
            }
            oi++;
            mi++;
        } else if (cmp > 0) {
            if (!o.ignore_changes && (rc = pt_vec_push(patch, ms.v[mi])) != 0)
                goto out;
            mi++;
        } else {
            if (!o.ignore_deletions) {
                json_t *d = pt_keep_new(c, json_object());
                if (!d || set(d, merge_key, ov) != 0 || json_object_set_new(d, PT_DIRECTIVE, json_string("delete")))
                    rc = -ENOMEM;
                if (rc == 0)
                    rc = pt_vec_push(del, d);
                if (rc != 0)
                    goto out;
            }
            oi++;
        }
    }
out:
    pt_vec_free(&os);
    pt_vec_free(&ms);
    return rc;
}

/* isOrderSame. */
static int
order_same(struct pt_ctx *c, const json_t *orig, const json_t *mod, const char *merge_key, bool *same)
{
    *same = json_array_size(orig) == json_array_size(mod);
    for (size_t i = 0; *same && i < json_array_size(mod); i++) {
        int rc = pt_merge_key_equal(c, json_array_get(orig, i), json_array_get(mod, i), merge_key, same);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* diffLists: the patch list, the primitive deletion list and the $setElementOrder list (each NULL or a kept
 * array). */
static int
diff_lists(struct pt_ctx *c, json_t *orig, json_t *mod, const struct kc_schema *schema, const char *merge_key,
           struct diff_opts o, json_t **add, json_t **del, json_t **order)
{
    struct pt_vec plist = { 0 }, dlist = { 0 }, sorted = { 0 };
    enum pt_gotype kind;
    int rc;

    *add = *del = *order = NULL;
    if (json_array_size(orig) == 0) {
        if (json_array_size(mod) == 0 || o.ignore_changes)
            return 0;
        *add = mod;
        return 0;
    }
    if ((rc = pt_slice_element_type(c, orig, mod, &kind)) != 0)
        return rc;
    const char *mkey = merge_key ? merge_key : "";
    if (kind == PT_MAP) {
        bool same;
        if ((rc = diff_maps_lists(c, orig, mod, schema, mkey, o, &plist, &dlist)) != 0 ||
            (rc = pt_normalize_slice_order(c, &plist, mod, mkey, kind)) != 0 ||
            (rc = order_same(c, orig, mod, mkey, &same)) != 0)
            goto out;
        for (size_t i = 0; i < dlist.n; i++)
            if ((rc = pt_vec_push(&plist, dlist.v[i])) != 0)
                goto out;
        if (o.set_order && ((!o.ignore_changes && (plist.n > 0 || !same)) || (!o.ignore_deletions && plist.n > 0))) {
            json_t *ol = pt_keep_new(c, json_array());
            if (!ol) {
                rc = -ENOMEM;
                goto out;
            }
            for (size_t i = 0; i < json_array_size(mod); i++) {
                json_t *e = json_object(), *v = json_object_get(json_array_get(mod, i), mkey);
                if (!e || json_object_set(e, mkey, v ? v : json_null()) != 0 || json_array_append_new(ol, e) != 0) {
                    json_decref(e);
                    rc = -ENOMEM;
                    goto out;
                }
            }
            *order = ol;
        }
    } else {
        if ((rc = diff_scalars(orig, mod, o, &plist, &dlist, &sorted)) != 0 ||
            (rc = pt_normalize_slice_order(c, &plist, mod, mkey, kind)) != 0)
            goto out;
        json_t *sa = pt_vec_array(c, &sorted);
        if (!sa) {
            rc = -ENOMEM;
            goto out;
        }
        if (o.set_order && ((!o.ignore_deletions && dlist.n > 0) || (!o.ignore_changes && !pt_deep_equal(sa, mod))))
            *order = mod;
        if (dlist.n && !(*del = pt_vec_array(c, &dlist))) {
            rc = -ENOMEM;
            goto out;
        }
    }
    if (plist.n && !(*add = pt_vec_array(c, &plist)))
        rc = -ENOMEM;
out:
    pt_vec_free(&plist);
    pt_vec_free(&dlist);
    pt_vec_free(&sorted);
    return rc;
}

static int
directive_key(json_t *patch, const char *prefix, const char *key, json_t *v)
{
    size_t n = strlen(prefix) + 1 + strlen(key) + 1;
    char *k = kc_malloc(n);
    int rc;

    if (!k)
        return -ENOMEM;
    snprintf(k, n, "%s/%s", prefix, key);
    rc = set(patch, k, v);
    free(k);
    return rc;
}

/* handleSliceDiff. */
static int
slice_diff(struct pt_ctx *c, const char *key, json_t *ov, json_t *mv, json_t *patch, const struct kc_schema *schema,
           struct diff_opts o)
{
    struct pt_meta m;
    json_t *add, *del, *order;
    int rc;

    pt_lookup_slice(schema, key, &m);
    if (!(m.strategy & KC_SCHEMA_PATCH_MERGE)) {
        if (o.ignore_changes || pt_deep_equal(ov, mv))
            return 0;
        return set(patch, key, mv);
    }
    o.build_retain = (m.strategy & KC_SCHEMA_PATCH_RETAIN_KEYS) != 0;
    if ((rc = diff_lists(c, ov, mv, m.sub, m.merge_key, o, &add, &del, &order)) != 0)
        return rc;
    if (json_array_size(add) > 0 && (rc = set(patch, key, add)) != 0)
        return rc;
    if (json_array_size(del) > 0 && (rc = directive_key(patch, PT_DELETE_PRIMITIVE, key, del)) != 0)
        return rc;
    if (json_array_size(order) > 0 && (rc = directive_key(patch, PT_SET_ORDER, key, order)) != 0)
        return rc;
    return 0;
}

/* handleMapDiff. */
static int
map_diff(struct pt_ctx *c, const char *key, json_t *ov, json_t *mv, json_t *patch, const struct kc_schema *schema,
         struct diff_opts o)
{
    struct pt_meta m;
    json_t *pv;
    int rc;

    pt_lookup_struct(schema, key, &m);
    o.build_retain = (m.strategy & KC_SCHEMA_PATCH_RETAIN_KEYS) != 0;
    if (m.strategy & KC_SCHEMA_PATCH_REPLACE)
        return o.ignore_changes ? 0 : set(patch, key, mv);
    if ((rc = diff_maps(c, ov, mv, m.sub, o, &pv)) != 0)
        return rc;
    return json_object_size(pv) > 0 ? set(patch, key, pv) : 0;
}

/* hasAdditionalNewField: orig has a non-null key that mod lacks. */
static bool
has_additional_field(const json_t *orig, const json_t *mod)
{
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)orig, k, v)
    {
        if (!json_is_null(v) && !json_object_get(mod, k))
            return true;
    }
    return false;
}

/* diffMaps. *out: a kept object. */
static int
diff_maps(struct pt_ctx *c, json_t *orig, json_t *mod, const struct kc_schema *schema, struct diff_opts o, json_t **out)
{
    json_t *patch = pt_keep_new(c, json_object());
    json_t *retain = pt_keep_new(c, json_array());
    const char *key;
    json_t *mv, *ov;
    int rc = 0;

    if (!patch || !retain)
        return -ENOMEM;
    json_object_foreach(mod, key, mv)
    {
        if (o.build_retain && !json_is_null(mv) && json_array_append_new(retain, json_string(key)) != 0)
            return -ENOMEM;
        if (!(ov = json_object_get(orig, key))) {
            if (!o.ignore_changes && (rc = set(patch, key, mv)) != 0)
                return rc;
            continue;
        }
        if (strcmp(key, PT_DIRECTIVE) == 0) {
            if (!json_is_string(ov) || !json_is_string(mv))
                return pt_fail(c, KC_EBADREQUEST, "invalid value for special key: %s", PT_DIRECTIVE);
            if (!pt_go_eq(ov, mv) && (rc = set(patch, key, mv)) != 0)
                return rc;
            continue;
        }
        if (pt_gotype(ov) != pt_gotype(mv)) {
            if (!o.ignore_changes && (rc = set(patch, key, mv)) != 0)
                return rc;
            continue;
        }
        if (json_is_object(ov))
            rc = map_diff(c, key, ov, mv, patch, schema, o);
        else if (json_is_array(ov))
            rc = slice_diff(c, key, ov, mv, patch, schema, o);
        else if (!o.ignore_changes && !pt_deep_equal(ov, mv))
            rc = set(patch, key, mv);
        if (rc != 0)
            return rc;
    }
    if (!o.ignore_deletions) {
        json_object_foreach(orig, key, ov)
        {
            if (!json_object_get(mod, key) && (rc = set(patch, key, json_null())) != 0)
                return rc;
        }
    }
    if (json_array_size(retain) > 0 && (json_object_size(patch) > 0 || has_additional_field(orig, mod))) {
        struct pt_vec rv = { 0 };
        if ((rc = pt_vec_append_array(&rv, retain)) == 0 && (rc = pt_sort_by_text(rv.v, rv.n, NULL)) == 0) {
            json_t *sorted = pt_vec_array(c, &rv);
            rc = sorted ? set(patch, PT_RETAIN_KEYS, sorted) : -ENOMEM;
        }
        pt_vec_free(&rv);
        if (rc != 0)
            return rc;
    }
    *out = patch;
    return 0;
}

/* An input document: NULL and null are {} (CreateThreeWayMergePatch unmarshals "" and "null" into an empty
 * map); otherwise a deep copy of the object, kept by c. */
static int
input_doc(struct pt_ctx *c, const json_t *in, json_t **out)
{
    if (!in || json_is_null(in))
        *out = pt_keep_new(c, json_object());
    else if (!json_is_object(in))
        return pt_fail(c, KC_EINVALID, PT_ERR_BAD_JSON_DOC);
    else
        *out = pt_keep_new(c, json_deep_copy(in));
    return *out ? 0 : -ENOMEM;
}

int
kc_patch_strategic_create(const json_t *original, const json_t *modified, const json_t *current,
                          const struct kc_schema *schema, json_t **patch, char *err, size_t errlen)
{
    struct pt_ctx c = { .err = err, .errlen = errlen };
    const struct diff_opts delta_opts = { .set_order = true, .ignore_deletions = true };
    const struct diff_opts del_opts = { .set_order = true, .ignore_changes = true };
    json_t *orig = NULL, *mod = NULL, *cur = NULL, *delta, *dels, *res;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (!patch)
        return pt_fail(&c, KC_EINVALID, "invalid arguments");
    if (!(c.keep = json_array()))
        return -ENOMEM;
    if ((rc = input_doc(&c, original, &orig)) != 0 || (rc = input_doc(&c, modified, &mod)) != 0 ||
        (rc = input_doc(&c, current, &cur)) != 0)
        goto out;
    /* The changes from current to modified without deletions, and the deletions from original to modified; the
     * first merged into the second (without applying the parallel lists, keeping nulls) is the patch. */
    if ((rc = diff_maps(&c, cur, mod, schema, delta_opts, &delta)) != 0 ||
        (rc = diff_maps(&c, orig, mod, schema, del_opts, &dels)) != 0 ||
        (rc = pt_merge_map(&c, dels, delta, schema, &res)) != 0)
        goto out;
    *patch = json_incref(res);
out:
    json_decref(c.keep);
    if (rc == -ENOMEM && err && errlen)
        snprintf(err, errlen, "out of memory");
    return rc;
}
