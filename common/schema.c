/* schema.c - lookups over the generated Kubernetes schema tables (k8s_schema_gen.c): binary search by name, by
 * group/version/kind and by property, and the dotted field-path walk used by patch, apply and explain.
 */
#include "kc_schema.h"
#include "k8s_schema_gen.h"
#include "kc_error.h"

#include <string.h>

const struct kc_schema *
kc_schema_find(const char *name)
{
    size_t lo = 0, hi = KC_SCHEMA_GEN_NNAMED;

    if (!name)
        return NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, kc_schema_gen_schemas[mid].name);

        if (c == 0)
            return &kc_schema_gen_schemas[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static int
gvk_cmp(const char *group, const char *version, const char *kind, const struct kc_schema_gvk *g)
{
    int c = strcmp(group, g->group);

    if (c == 0)
        c = strcmp(version, g->version);
    if (c == 0)
        c = strcmp(kind, g->kind);
    return c;
}

const struct kc_schema *
kc_schema_find_gvk(const char *group, const char *version, const char *kind)
{
    size_t lo = 0, hi = KC_SCHEMA_GEN_NGVKS;

    if (!group || !version || !kind)
        return NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct kc_schema_gvk *g = &kc_schema_gen_gvks[kc_schema_gen_gvk_sorted[mid]];
        int c = gvk_cmp(group, version, kind, g);

        if (c == 0)
            return g->schema;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* Properties are sorted byte-wise, as strcmp orders: a strcmp per probe, most decided by the first byte, instead
 * of strlen and memcmp (the strict field check looks up every member of a request this way). */
const struct kc_schema_prop *
kc_schema_prop_find_from(const struct kc_schema *s, const char *name, size_t *from)
{
    size_t lo = *from, hi = s->nprops;
    unsigned char k0 = (unsigned char)name[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *p = s->props[mid].name;
        int c = (int)k0 - (int)(unsigned char)p[0];
        if (c == 0 && k0)
            c = strcmp(name + 1, p + 1);
        if (c == 0) {
            *from = mid + 1;
            return &s->props[mid];
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    *from = lo;
    return NULL;
}

const struct kc_schema_prop *
kc_schema_prop_find(const struct kc_schema *s, const char *name)
{
    size_t from = 0;
    if (!s || !name || s->type != KC_SCHEMA_OBJECT)
        return NULL;
    return kc_schema_prop_find_from(s, name, &from);
}

const struct kc_schema_prop *
kc_schema_prop_findn(const struct kc_schema *s, const char *name, size_t len)
{
    /* the same search on a NUL-terminated copy: no property name is KC_SCHEMA_PROP_NAME_MAX bytes long or holds
     * a NUL (test_schema checks), so a longer name or one with a NUL matches none */
    char copy[KC_SCHEMA_PROP_NAME_MAX];
    if (!name || len >= sizeof(copy) || memchr(name, '\0', len))
        return NULL;
    memcpy(copy, name, len);
    copy[len] = '\0';
    return kc_schema_prop_find(s, copy);
}

static bool
has_elem(const struct kc_schema *s)
{
    return (s->type == KC_SCHEMA_ARRAY || s->type == KC_SCHEMA_MAP) && s->elem;
}

/* The walk checks the whole path's syntax before looking anything up, so a malformed path is KC_EINVALID no
 * matter where the schema lookup would have stopped. */
static int
check_syntax(const char *p)
{
    if (*p == '\0')
        return 0;
    for (;;) {
        size_t n = strcspn(p, ".[]");

        if (n == 0)
            return KC_EINVALID; /* empty name: "..", leading '.', "[]" without a name, stray ']' */
        p += n;
        while (*p == '[') {
            if (p[1] != ']')
                return KC_EINVALID;
            p += 2;
        }
        if (*p == '\0')
            return 0;
        if (*p != '.')
            return KC_EINVALID; /* ']' or text right after "[]" */
        p++;
        if (*p == '\0')
            return KC_EINVALID; /* trailing '.' */
    }
}

int
kc_schema_walk(const struct kc_schema *root, const char *path, const struct kc_schema **out_schema,
               const struct kc_schema_prop **out_prop)
{
    const struct kc_schema *cur = root;
    const struct kc_schema_prop *prop = NULL;
    const char *p = path;
    int rc;

    if (!root || !path)
        return KC_EINVALID;
    rc = check_syntax(path);
    if (rc != 0)
        return rc;
    while (*p) {
        size_t n = strcspn(p, ".[");

        /* A name applied to a list or map addresses the fields of its items/values, as kubectl explain does. */
        while (has_elem(cur))
            cur = cur->elem;
        prop = kc_schema_prop_findn(cur, p, n);
        if (!prop)
            return KC_ENOTFOUND;
        cur = prop->schema;
        p += n;
        while (*p == '[') {
            if (!has_elem(cur))
                return KC_ENOTFOUND;
            cur = cur->elem;
            p += 2;
        }
        if (*p == '.')
            p++;
    }
    if (out_schema)
        *out_schema = cur;
    if (out_prop)
        *out_prop = prop;
    return 0;
}

int
kc_schema_walk_gvk(const char *group, const char *version, const char *kind, const char *path,
                   const struct kc_schema **out_schema, const struct kc_schema_prop **out_prop)
{
    const struct kc_schema *root;

    if (!group || !version || !kind || !path)
        return KC_EINVALID;
    root = kc_schema_find_gvk(group, version, kind);
    if (!root)
        return KC_ENOTFOUND;
    return kc_schema_walk(root, path, out_schema, out_prop);
}

enum kc_schema_map_type
kc_schema_prop_map_type(const struct kc_schema_prop *p)
{
    if (!p)
        return KC_SCHEMA_MAPTYPE_NONE;
    if (p->map_type != KC_SCHEMA_MAPTYPE_NONE)
        return (enum kc_schema_map_type)p->map_type;
    return (enum kc_schema_map_type)p->schema->map_type;
}

bool
kc_schema_prop_required(const struct kc_schema_prop *p)
{
    return p && (p->flags & KC_SCHEMA_PROP_REQUIRED);
}

const char *
kc_schema_short_name(const struct kc_schema *s)
{
    const char *dot;

    if (!s || !s->name)
        return NULL;
    dot = strrchr(s->name, '.');
    return dot ? dot + 1 : s->name;
}

size_t
kc_schema_count(void)
{
    return KC_SCHEMA_GEN_NSCHEMAS;
}

size_t
kc_schema_named_count(void)
{
    return KC_SCHEMA_GEN_NNAMED;
}

const struct kc_schema *
kc_schema_at(size_t i)
{
    return i < KC_SCHEMA_GEN_NSCHEMAS ? &kc_schema_gen_schemas[i] : NULL;
}

long
kc_schema_index(const struct kc_schema *s)
{
    /* Compare addresses as integers: relational comparison of pointers into different objects is undefined. */
    uintptr_t a = (uintptr_t)s, base = (uintptr_t)kc_schema_gen_schemas;

    if (!s || a < base || a >= base + sizeof(struct kc_schema) * KC_SCHEMA_GEN_NSCHEMAS)
        return -1;
    if ((a - base) % sizeof(struct kc_schema) != 0)
        return -1;
    return (long)((a - base) / sizeof(struct kc_schema));
}

size_t
kc_schema_gvk_count(void)
{
    return KC_SCHEMA_GEN_NGVKS;
}

const struct kc_schema_gvk *
kc_schema_gvk_at(size_t i)
{
    return i < KC_SCHEMA_GEN_NGVKS ? &kc_schema_gen_gvks[kc_schema_gen_gvk_sorted[i]] : NULL;
}

size_t
kc_schema_doc_count(void)
{
    return KC_SCHEMA_GEN_NDOCS;
}

const struct kc_schema_doc *
kc_schema_doc_at(size_t i)
{
    return i < KC_SCHEMA_GEN_NDOCS ? &kc_schema_gen_docs[i] : NULL;
}

const struct kc_schema_doc *
kc_schema_doc_find(const char *path)
{
    size_t lo = 0, hi = KC_SCHEMA_GEN_NDOCS;

    if (!path)
        return NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(path, kc_schema_gen_docs[mid].path);

        if (c == 0)
            return &kc_schema_gen_docs[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const char *
kc_schema_type_str(enum kc_schema_type t)
{
    switch (t) {
    case KC_SCHEMA_OBJECT:
        return "object";
    case KC_SCHEMA_MAP:
        return "map";
    case KC_SCHEMA_ARRAY:
        return "array";
    case KC_SCHEMA_STRING:
        return "string";
    case KC_SCHEMA_BYTES:
        return "bytes";
    case KC_SCHEMA_INTEGER:
        return "integer";
    case KC_SCHEMA_NUMBER:
        return "number";
    case KC_SCHEMA_BOOLEAN:
        return "boolean";
    case KC_SCHEMA_INT_OR_STRING:
        return "int-or-string";
    case KC_SCHEMA_QUANTITY:
        return "quantity";
    case KC_SCHEMA_TIME:
        return "time";
    case KC_SCHEMA_MICROTIME:
        return "microtime";
    case KC_SCHEMA_ANY:
        return "any";
    }
    return "?";
}

const char *
kc_schema_oa_type_str(enum kc_schema_oa_type t)
{
    switch (t) {
    case KC_SCHEMA_OA_NONE:
        return NULL;
    case KC_SCHEMA_OA_OBJECT:
        return "object";
    case KC_SCHEMA_OA_ARRAY:
        return "array";
    case KC_SCHEMA_OA_STRING:
        return "string";
    case KC_SCHEMA_OA_INTEGER:
        return "integer";
    case KC_SCHEMA_OA_NUMBER:
        return "number";
    case KC_SCHEMA_OA_BOOLEAN:
        return "boolean";
    }
    return NULL;
}

const char *
kc_schema_format_str(enum kc_schema_format f)
{
    switch (f) {
    case KC_SCHEMA_FMT_NONE:
        return NULL;
    case KC_SCHEMA_FMT_INT32:
        return "int32";
    case KC_SCHEMA_FMT_INT64:
        return "int64";
    case KC_SCHEMA_FMT_BYTE:
        return "byte";
    case KC_SCHEMA_FMT_DATE_TIME:
        return "date-time";
    case KC_SCHEMA_FMT_INT_OR_STRING:
        return "int-or-string";
    }
    return NULL;
}

const char *
kc_schema_list_type_str(enum kc_schema_list_type t)
{
    switch (t) {
    case KC_SCHEMA_LIST_NONE:
        return NULL;
    case KC_SCHEMA_LIST_ATOMIC:
        return "atomic";
    case KC_SCHEMA_LIST_SET:
        return "set";
    case KC_SCHEMA_LIST_MAP:
        return "map";
    }
    return NULL;
}

const char *
kc_schema_map_type_str(enum kc_schema_map_type t)
{
    switch (t) {
    case KC_SCHEMA_MAPTYPE_NONE:
        return NULL;
    case KC_SCHEMA_MAPTYPE_ATOMIC:
        return "atomic";
    case KC_SCHEMA_MAPTYPE_GRANULAR:
        return "granular";
    }
    return NULL;
}

const char *
kc_schema_patch_strategy_str(unsigned strategy)
{
    switch (strategy) {
    case KC_SCHEMA_PATCH_MERGE:
        return "merge";
    case KC_SCHEMA_PATCH_MERGE | KC_SCHEMA_PATCH_RETAIN_KEYS:
        return "merge,retainKeys";
    case KC_SCHEMA_PATCH_RETAIN_KEYS:
        return "retainKeys";
    case KC_SCHEMA_PATCH_REPLACE:
        return "replace";
    default:
        return NULL;
    }
}
