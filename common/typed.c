/* typed.c - objects read through their schema as structured-merge-diff reads typed values (kc_typed.h): the
 * schema's list and map semantics, field sets, comparison, the apply merge with upstream's list order, removal
 * of fields, named-field membership, null cleanup, validation of applied configurations and the empty object
 * of a create. */
#include "fieldset_int.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_jarena.h"
#include "kc_json.h"
#include "kc_schema.h"
#include "kc_str.h"
#include "kc_typed.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* --- the schema's view of a value --- */

enum deduce { D_TYPED = 0, D_DEDUCED, D_ATOMIC };

/* A position in the schema: the schema and, for properties, the property (which carries list semantics). */
struct tref {
    const struct kc_schema *s;
    const struct kc_schema_prop *p;
    enum deduce d;
};

enum tkind { TK_SCALAR, TK_LIST, TK_MAP };
enum tscalar { SC_STRING, SC_NUMERIC, SC_BOOL, SC_UNTYPED };
enum trel { REL_ATOMIC, REL_SET, REL_KEYED };

#define MAX_KEYS 8

struct tinfo {
    enum tkind kind;
    enum tscalar scalar;
    bool atomic;                /* lists and maps */
    enum trel rel;              /* lists */
    const char *keys[MAX_KEYS]; /* keyed lists: the key fields, sorted by name */
    size_t nkeys;
    const struct kc_schema *strct; /* maps that are structs: their schema (named fields) */
    bool has_elem;                 /* maps: values of undeclared keys have elem's type */
    struct tref elem;              /* list items, map values */
};

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static struct tref
deduced(enum deduce d)
{
    struct tref t = { NULL, NULL, d };
    return t;
}

/* Resolves tr for value v (v is only used by deduced positions). */
static void
resolve(struct tref tr, const json_t *v, struct tinfo *ti)
{
    /* every member but keys (read up to nkeys only): clearing the whole struct was a good part of a walk */
    ti->kind = TK_SCALAR;
    ti->scalar = SC_STRING;
    ti->atomic = false;
    ti->rel = REL_ATOMIC;
    ti->nkeys = 0;
    ti->strct = NULL;
    ti->has_elem = false;
    ti->elem = (struct tref){ NULL, NULL, D_TYPED };
    const struct kc_schema *s = tr.s;
    if (tr.d != D_TYPED || !s || s->type == KC_SCHEMA_ANY ||
        ((s->flags & KC_SCHEMA_F_PRESERVE_UNKNOWN) && s->type != KC_SCHEMA_OBJECT)) {
        enum deduce d = tr.d == D_ATOMIC ? D_ATOMIC : D_DEDUCED;
        if (json_is_object(v)) {
            ti->kind = TK_MAP;
            ti->atomic = d == D_ATOMIC;
            ti->has_elem = true;
            ti->elem = deduced(d);
        } else if (json_is_array(v)) {
            ti->kind = TK_LIST;
            ti->atomic = true;
            ti->rel = REL_ATOMIC;
            ti->elem = deduced(D_ATOMIC);
        } else {
            ti->kind = TK_SCALAR;
            ti->scalar = SC_UNTYPED;
        }
        return;
    }
    switch ((enum kc_schema_type)s->type) {
    case KC_SCHEMA_OBJECT:
        ti->kind = TK_MAP;
        ti->strct = s;
        ti->atomic =
            (tr.p ? kc_schema_prop_map_type(tr.p) : (enum kc_schema_map_type)s->map_type) == KC_SCHEMA_MAPTYPE_ATOMIC;
        if (s->flags & KC_SCHEMA_F_PRESERVE_UNKNOWN) {
            ti->has_elem = true;
            ti->elem = deduced(D_DEDUCED);
        }
        return;
    case KC_SCHEMA_MAP:
        ti->kind = TK_MAP;
        ti->atomic =
            (tr.p ? kc_schema_prop_map_type(tr.p) : (enum kc_schema_map_type)s->map_type) == KC_SCHEMA_MAPTYPE_ATOMIC;
        ti->has_elem = true;
        ti->elem.s = s->elem;
        ti->elem.d = s->elem ? D_TYPED : D_DEDUCED;
        return;
    case KC_SCHEMA_ARRAY: {
        ti->kind = TK_LIST;
        ti->elem.s = s->elem;
        ti->elem.d = s->elem ? D_TYPED : D_DEDUCED;
        ti->rel = REL_ATOMIC;
        const struct kc_schema_prop *p = tr.p;
        if (p) {
            switch ((enum kc_schema_list_type)p->list_type) {
            case KC_SCHEMA_LIST_ATOMIC:
                break;
            case KC_SCHEMA_LIST_SET:
                ti->rel = REL_SET;
                break;
            case KC_SCHEMA_LIST_MAP:
                ti->rel = REL_KEYED;
                for (size_t i = 0; i < p->nlist_map_keys && i < MAX_KEYS; i++)
                    ti->keys[ti->nkeys++] = p->list_map_keys[i];
                break;
            case KC_SCHEMA_LIST_NONE:
                if (p->patch_strategy & KC_SCHEMA_PATCH_MERGE) {
                    if (p->merge_key) {
                        ti->rel = REL_KEYED;
                        ti->keys[ti->nkeys++] = p->merge_key;
                    } else {
                        ti->rel = REL_SET;
                    }
                }
                break;
            }
        }
        if (ti->rel == REL_KEYED && ti->nkeys == 0)
            ti->rel = REL_SET;
        if (ti->nkeys > 1)
            qsort(ti->keys, ti->nkeys, sizeof(ti->keys[0]), cmp_str);
        ti->atomic = ti->rel == REL_ATOMIC;
        return;
    }
    case KC_SCHEMA_STRING:
    case KC_SCHEMA_BYTES:
    case KC_SCHEMA_TIME:
    case KC_SCHEMA_MICROTIME:
        ti->kind = TK_SCALAR;
        ti->scalar = SC_STRING;
        return;
    case KC_SCHEMA_INTEGER:
    case KC_SCHEMA_NUMBER:
        ti->kind = TK_SCALAR;
        ti->scalar = SC_NUMERIC;
        return;
    case KC_SCHEMA_BOOLEAN:
        ti->kind = TK_SCALAR;
        ti->scalar = SC_BOOL;
        return;
    case KC_SCHEMA_INT_OR_STRING:
    case KC_SCHEMA_QUANTITY:
    case KC_SCHEMA_ANY:
        ti->kind = TK_SCALAR;
        ti->scalar = SC_UNTYPED;
        return;
    }
    ti->kind = TK_SCALAR;
    ti->scalar = SC_UNTYPED;
}

/* The position of map key k under ti; *declared says whether k is a named field. false when k is unknown
 * (a struct field that does not exist and no element type). *hint: where to start looking among the struct's
 * properties (names looked up in ascending order), or NULL. */
static bool
field_tref_from(const struct tinfo *ti, const char *k, struct tref *out, bool *declared, size_t *hint)
{
    *declared = false;
    if (ti->strct && ti->strct->type == KC_SCHEMA_OBJECT) {
        size_t zero = 0;
        const struct kc_schema_prop *p = kc_schema_prop_find_from(ti->strct, k, hint ? hint : &zero);
        if (p) {
            out->s = p->schema;
            out->p = p;
            out->d = D_TYPED;
            *declared = true;
            return true;
        }
    }
    if (!ti->has_elem)
        return false;
    *out = ti->elem;
    out->p = NULL;
    return true;
}

static bool
field_tref(const struct tinfo *ti, const char *k, struct tref *out, bool *declared)
{
    return field_tref_from(ti, k, out, declared, NULL);
}

/* --- paths --- */

struct path {
    struct kc_pe *v;
    uint64_t *gen; /* gen[i]: a number no other element pushed during the walk gets (kc_fs_cursor_insert) */
    size_t n, cap;
    uint64_t next;
};

static void
path_free(struct path *p)
{
    free(p->v);
    free(p->gen);
}

static int
push(struct path *p, const struct kc_pe *pe)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        struct kc_pe *v = kc_realloc(p->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        p->v = v;
        uint64_t *g = kc_realloc(p->gen, cap * sizeof(*g));
        if (!g)
            return -ENOMEM;
        p->gen = g;
        p->cap = cap;
    }
    p->gen[p->n] = ++p->next;
    p->v[p->n++] = *pe;
    return 0;
}

static void
pop(struct path *p)
{
    p->n--;
}

static struct kc_pe
field_pe(const char *k)
{
    struct kc_pe pe = { .type = KC_PE_FIELD, .field = k };
    return pe;
}

/* The path element of list item `item` (index i). For keyed items *owned receives the key object the element
 * points to (release it after use). Returns 0, or KC_EINVALID with upstream's message in err, or -ENOMEM. */
static int
item_pe(const struct tinfo *ti, const json_t *item, size_t i, struct kc_pe *pe, json_t **owned, char *err,
        size_t errlen)
{
    memset(pe, 0, sizeof(*pe));
    *owned = NULL;
    if (ti->rel == REL_ATOMIC) {
        pe->type = KC_PE_INDEX;
        pe->index = (long)i;
        return 0;
    }
    if (ti->rel == REL_SET) {
        if (json_is_object(item)) {
            snprintf(err, errlen, "associative list without keys has an element that's a map type");
            return KC_EINVALID;
        }
        if (json_is_array(item)) {
            snprintf(err, errlen, "not supported: associative list with lists as elements");
            return KC_EINVALID;
        }
        pe->type = KC_PE_VALUE;
        pe->value = item;
        return 0;
    }
    if (json_is_null(item)) {
        snprintf(err, errlen, "associative list with keys may not have a null element");
        return KC_EINVALID;
    }
    if (!json_is_object(item)) {
        snprintf(err, errlen, "associative list with keys may not have non-map elements");
        return KC_EINVALID;
    }
    json_t *key = json_object();
    if (!key)
        return -ENOMEM;
    for (size_t k = 0; k < ti->nkeys; k++) {
        json_t *v = json_object_get(item, ti->keys[k]), *def = NULL;
        if (!v) {
            const struct kc_schema_prop *kp = kc_schema_prop_find(ti->elem.s, ti->keys[k]);
            if (kp && kp->default_json)
                def = json_loads(kp->default_json, JSON_DECODE_ANY, NULL);
            if (!def) {
                json_decref(key);
                snprintf(err, errlen,
                         "associative list with keys has an element that omits key field \"%s\" (and doesn't have "
                         "default value)",
                         ti->keys[k]);
                return KC_EINVALID;
            }
        }
        if (json_object_set_new(key, ti->keys[k], def ? def : json_deep_copy(v)) != 0) {
            json_decref(key);
            return -ENOMEM;
        }
    }
    pe->type = KC_PE_KEY;
    pe->key = key;
    *owned = key;
    return 0;
}

/* One indexed list: the items whose element could be built, each element once (the first item wins). */
struct indexed {
    struct kc_pe *pe;
    const json_t **item;
    json_t **owned;
    size_t n;
};

static void
indexed_free(struct indexed *x)
{
    for (size_t i = 0; i < x->n; i++)
        json_decref(x->owned[i]);
    free(x->pe);
    free(x->item);
    free(x->owned);
    memset(x, 0, sizeof(*x));
}

static long
indexed_find(const struct indexed *x, const struct kc_pe *pe)
{
    for (size_t i = 0; i < x->n; i++)
        if (kc_pe_compare(&x->pe[i], pe) == 0)
            return (long)i;
    return -1;
}

static int
index_list(const struct tinfo *ti, const json_t *list, struct indexed *x)
{
    memset(x, 0, sizeof(*x));
    size_t n = json_array_size(list);
    if (n == 0)
        return 0;
    x->pe = kc_calloc(n, sizeof(*x->pe));
    x->item = kc_calloc(n, sizeof(*x->item));
    x->owned = kc_calloc(n, sizeof(*x->owned));
    if (!x->pe || !x->item || !x->owned) {
        indexed_free(x);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *item = json_array_get(list, i);
        struct kc_pe pe;
        json_t *owned;
        char err[256];
        int rc = item_pe(ti, item, i, &pe, &owned, err, sizeof(err));
        if (rc == -ENOMEM) {
            indexed_free(x);
            return rc;
        }
        if (rc != 0)
            continue;
        if (indexed_find(x, &pe) >= 0) {
            json_decref(owned);
            continue;
        }
        x->pe[x->n] = pe;
        x->item[x->n] = item;
        x->owned[x->n] = owned;
        x->n++;
    }
    return 0;
}

/* --- field sets --- */

static int
to_set(const json_t *v, struct tref tr, struct path *p, struct kc_fs_cursor *set)
{
    struct tinfo ti;
    resolve(tr, v, &ti);
    int rc = 0;
    if (ti.kind == TK_SCALAR)
        return kc_fs_cursor_insert(set, p->v, p->gen, p->n);
    if (ti.atomic)
        return kc_fs_cursor_insert(set, p->v, p->gen, p->n);
    if (ti.kind == TK_LIST) {
        if (!json_is_array(v))
            return 0;
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            struct kc_pe pe;
            json_t *owned;
            char err[256];
            rc = item_pe(&ti, item, i, &pe, &owned, err, sizeof(err));
            if (rc == KC_EINVALID) {
                rc = 0;
                continue;
            }
            if (rc == 0)
                rc = push(p, &pe);
            if (rc == 0) {
                rc = to_set(item, ti.elem, p, set);
                if (rc == 0)
                    rc = kc_fs_cursor_insert(set, p->v, p->gen, p->n);
                pop(p);
            }
            json_decref(owned);
            if (rc != 0)
                return rc;
        }
        return 0;
    }
    if (!json_is_object(v))
        return 0;
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)v, k, val)
    {
        struct tref sub;
        bool declared;
        if (!field_tref(&ti, k, &sub, &declared))
            continue;
        struct kc_pe pe = field_pe(k);
        if ((rc = push(p, &pe)) != 0)
            return rc;
        rc = to_set(val, sub, p, set);
        if (rc == 0 && !declared)
            rc = kc_fs_cursor_insert(set, p->v, p->gen, p->n);
        pop(p);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static struct tref
root_tref(const struct kc_schema *root)
{
    struct tref t = { root, NULL, root ? D_TYPED : D_DEDUCED };
    return t;
}

int
kc_typed_to_set(const json_t *obj, const struct kc_schema *root, struct kc_fieldset **out)
{
    struct kc_fieldset *set = kc_fieldset_new();
    struct path p = { 0 };
    if (!set)
        return -ENOMEM;
    struct kc_fs_cursor cur = { .root = set };
    int rc = obj ? to_set(obj, root_tref(root), &p, &cur) : 0;
    kc_fs_cursor_close(&cur);
    path_free(&p);
    if (rc != 0) {
        kc_fieldset_free(set);
        return rc;
    }
    *out = set;
    return 0;
}

/* --- compare --- */

struct cmp {
    struct kc_fieldset *added, *modified, *removed;
    struct kc_fs_cursor a, m, r; /* into added, modified, removed */
    struct path p;
};

static int
leaf(struct cmp *c, const json_t *l, const json_t *r)
{
    if (!l)
        return kc_fs_cursor_insert(&c->a, c->p.v, c->p.gen, c->p.n);
    if (!r)
        return kc_fs_cursor_insert(&c->r, c->p.v, c->p.gen, c->p.n);
    if (!kc_json_equal(l, r))
        return kc_fs_cursor_insert(&c->m, c->p.v, c->p.gen, c->p.n);
    return 0;
}

static int
post(struct cmp *c, const json_t *l, const json_t *r)
{
    if (!l)
        return kc_fs_cursor_insert(&c->a, c->p.v, c->p.gen, c->p.n);
    if (!r)
        return kc_fs_cursor_insert(&c->r, c->p.v, c->p.gen, c->p.n);
    return 0;
}

static bool
same_shape(const json_t *a, const json_t *b)
{
    if (!a || !b || json_is_null(a) || json_is_null(b))
        return true;
    return json_is_object(a) == json_is_object(b) && json_is_array(a) == json_is_array(b);
}

static int compare_rec(struct cmp *c, const json_t *l, const json_t *r, struct tref tr);

static int
compare_items(struct cmp *c, const struct tinfo *ti, const json_t *l, const json_t *r)
{
    struct indexed li, ri;
    int rc = index_list(ti, l, &li);
    if (rc != 0)
        return rc;
    if ((rc = index_list(ti, r, &ri)) != 0) {
        indexed_free(&li);
        return rc;
    }
    for (size_t i = 0; i < li.n && rc == 0; i++) {
        long j = indexed_find(&ri, &li.pe[i]);
        if ((rc = push(&c->p, &li.pe[i])) == 0) {
            rc = compare_rec(c, li.item[i], j >= 0 ? ri.item[j] : NULL, ti->elem);
            pop(&c->p);
        }
    }
    for (size_t j = 0; j < ri.n && rc == 0; j++) {
        if (indexed_find(&li, &ri.pe[j]) >= 0)
            continue;
        if ((rc = push(&c->p, &ri.pe[j])) == 0) {
            rc = compare_rec(c, NULL, ri.item[j], ti->elem);
            pop(&c->p);
        }
    }
    indexed_free(&li);
    indexed_free(&ri);
    return rc;
}

static int
compare_members(struct cmp *c, const struct tinfo *ti, const json_t *l, const json_t *r)
{
    const char *k;
    json_t *v;
    int rc = 0;
    json_object_foreach((json_t *)l, k, v)
    {
        struct tref sub;
        bool declared;
        if (!field_tref(ti, k, &sub, &declared))
            continue;
        struct kc_pe pe = field_pe(k);
        if ((rc = push(&c->p, &pe)) != 0)
            return rc;
        rc = compare_rec(c, v, r ? json_object_get(r, k) : NULL, sub);
        pop(&c->p);
        if (rc != 0)
            return rc;
    }
    json_object_foreach((json_t *)r, k, v)
    {
        struct tref sub;
        bool declared;
        if ((l && json_object_get(l, k)) || !field_tref(ti, k, &sub, &declared))
            continue;
        struct kc_pe pe = field_pe(k);
        if ((rc = push(&c->p, &pe)) != 0)
            return rc;
        rc = compare_rec(c, NULL, v, sub);
        pop(&c->p);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int
compare_rec(struct cmp *c, const json_t *l, const json_t *r, struct tref tr)
{
    if (!same_shape(l, r))
        return leaf(c, l, r);
    struct tinfo ti;
    resolve(tr, r && !json_is_null(r) ? r : l, &ti);
    if (ti.kind == TK_SCALAR)
        return leaf(c, l, r);
    if (ti.kind == TK_LIST) {
        const json_t *L = json_is_array(l) ? l : NULL, *R = json_is_array(r) ? r : NULL;
        bool empty = json_array_size(L) == 0 && json_array_size(R) == 0;
        if (ti.atomic || empty)
            return leaf(c, l, r);
        int rc = compare_items(c, &ti, L, R);
        return rc ? rc : post(c, l, r);
    }
    const json_t *L = json_is_object(l) ? l : NULL, *R = json_is_object(r) ? r : NULL;
    bool empty = json_object_size(L) == 0 && json_object_size(R) == 0;
    if (ti.atomic || empty)
        return leaf(c, l, r);
    int rc = compare_members(c, &ti, L, R);
    return rc ? rc : post(c, l, r);
}

int
kc_typed_compare(const json_t *lhs, const json_t *rhs, const struct kc_schema *root, struct kc_fieldset **added,
                 struct kc_fieldset **modified, struct kc_fieldset **removed)
{
    struct cmp c = { .added = kc_fieldset_new(), .modified = kc_fieldset_new(), .removed = kc_fieldset_new() };
    int rc = c.added && c.modified && c.removed ? 0 : -ENOMEM;
    c.a.root = c.added;
    c.m.root = c.modified;
    c.r.root = c.removed;
    if (rc == 0 && (lhs || rhs))
        rc = compare_rec(&c, lhs, rhs, root_tref(root));
    kc_fs_cursor_close(&c.a);
    kc_fs_cursor_close(&c.m);
    kc_fs_cursor_close(&c.r);
    path_free(&c.p);
    if (rc != 0) {
        kc_fieldset_free(c.added);
        kc_fieldset_free(c.modified);
        kc_fieldset_free(c.removed);
        return rc;
    }
    if (added)
        *added = c.added;
    else
        kc_fieldset_free(c.added);
    if (modified)
        *modified = c.modified;
    else
        kc_fieldset_free(c.modified);
    if (removed)
        *removed = c.removed;
    else
        kc_fieldset_free(c.removed);
    return 0;
}

/* --- the changes of a create, in one walk --- */

/* kc_typed_compare builds its sets path by path through a cursor, each element copied and searched for; a create
 * compares a whole object with a nearly empty one, so nearly every path it visits is new. This walk follows
 * compare_rec on one side (r) only and builds each node of the result at once: the children of a value are
 * collected, sorted and deduplicated as the set orders them (list items by their key values, borrowed), then
 * become either the elements of one set node (one allocation per node, names borrowed from the schema or kept in
 * the node, key objects made for the items kept only) or the entries of the node's FieldsV1 object, written
 * directly (no set at all). */

/* One child of a value being walked. */
struct cand {
    enum kc_pe_type type;     /* FIELD (struct fields, map keys), KEY or VALUE (list items) */
    const char *field;        /* FIELD: the JSON key (borrowed from r's parent) */
    const char *static_name;  /* FIELD the struct declares: the schema's property name (static) */
    const json_t *const *key; /* KEY: the item's key values in the order of names (borrowed) */
    const char *const *names; /* KEY: the list's key fields, sorted by name (nkeys) */
    size_t nkeys;
    const json_t *l, *r; /* the child's values (l may be NULL: absent); VALUE: r is the value */
    struct tref sub;     /* the child's position */
    size_t idx;          /* the sort tie-break: its index in r (list items: the first of equal items wins), or for
                            struct fields its property's index (properties are in name order) */
};

/* Scratch memory of one walk, used as a stack: each value takes what its children need and gives it back when
 * done. Values nest as deep as the JSON does (2048 levels), so this is not the C stack, except for a first block
 * in the walk's own frame that holds what an ordinary object needs; further blocks are kept for reuse until the
 * walk ends. (A heap block per walk cost more than the walk saved: glibc consolidates its free lists for every
 * request that large.) */
struct scratch_block {
    struct scratch_block *next;
    size_t used, cap;
    char *data; /* cap bytes, max_align_t aligned: after the header (heap blocks) or a scratch_first's room */
};

/* The header of a heap block, rounded up so that its data is aligned as malloc's memory is. */
#define SCRATCH_HEAD \
    ((sizeof(struct scratch_block) + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t))

struct scratch {
    struct scratch_block *first, *cur;
};

#define SCRATCH_FIRST (8 * 1024)

/* The first block, in the caller's frame. */
struct scratch_first {
    struct scratch_block head;
    max_align_t room[SCRATCH_FIRST / sizeof(max_align_t)];
};

static void
scratch_init(struct scratch *sc, struct scratch_first *f)
{
    f->head.next = NULL;
    f->head.used = 0;
    f->head.cap = sizeof(f->room);
    f->head.data = (char *)f->room;
    sc->first = sc->cur = &f->head;
}

struct scratch_mark {
    struct scratch_block *block;
    size_t used;
};

#define SCRATCH_BLOCK (16 * 1024)

static struct scratch_mark
scratch_mark(const struct scratch *sc)
{
    struct scratch_mark m = { sc->cur, sc->cur ? sc->cur->used : 0 };
    return m;
}

static void
scratch_release(struct scratch *sc, struct scratch_mark m)
{
    sc->cur = m.block ? m.block : sc->first;
    if (sc->cur)
        sc->cur->used = m.block ? m.used : 0;
}

/* size bytes (max_align_t aligned), or NULL when out of memory. */
static void *
scratch_alloc(struct scratch *sc, size_t size)
{
    size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    struct scratch_block *b = sc->cur;
    if (b && b->cap - b->used >= size) {
        void *p = b->data + b->used;
        b->used += size;
        return p;
    }
    struct scratch_block *next = b ? b->next : sc->first;
    if (!next || next->cap < size) { /* a new block after the current one (a too small next one follows it) */
        size_t cap = size > SCRATCH_BLOCK ? size : SCRATCH_BLOCK;
        if (cap > SIZE_MAX - SCRATCH_HEAD)
            return NULL;
        struct scratch_block *nb = kc_malloc(SCRATCH_HEAD + cap);
        if (!nb)
            return NULL;
        nb->data = (char *)nb + SCRATCH_HEAD;
        nb->cap = cap;
        nb->next = next;
        if (b)
            b->next = nb;
        else
            sc->first = nb;
        next = nb;
    }
    next->used = size;
    sc->cur = next;
    return next->data;
}

static void
scratch_free(struct scratch *sc)
{
    for (struct scratch_block *b = sc->first ? sc->first->next : NULL, *n; b; b = n) { /* not the first */
        n = b->next;
        free(b);
    }
    sc->first = sc->cur = NULL;
}

struct chg {
    bool modified;      /* leaves on both sides that differ count too (added and modified); else added only */
    bool v1;            /* build FieldsV1 objects instead of set nodes */
    json_t *leaf;       /* v1: the {} every leaf shares, as kc_fieldset_to_fields_v1 shares one */
    struct kc_sb *out;  /* v1 as text: where the walk writes FieldsV1 (no objects are built); NULL: objects */
    struct kc_sb text;  /* v1: scratch for entry keys */
    struct scratch scr; /* the cands of the values being walked */
};

/* What the walk built for one path. */
struct built {
    bool member;               /* the path is in the result */
    struct kc_fieldset *child; /* sets: what is below it (NULL: nothing) */
    json_t *v1;                /* FieldsV1: its entry ({} or an object of "." and the children), NULL: neither */
    bool text;                 /* FieldsV1 as text: its entry was written at the end of c->out */
};

static int changed_rec(struct chg *c, const json_t *l, const json_t *r, struct tref tr, const struct kc_fieldset *skip,
                       const struct kc_fieldset *unmark, bool unmarked, struct built *b);

static int
cand_index_order(const struct cand *a, const struct cand *b)
{
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int
cand_field_order(const struct cand *a, const struct cand *b)
{
    return strcmp(a->field, b->field);
}

/* kc_pe_compare of the items' elements: key objects of the same fields compare value by value. */
static int
cand_item_compare(const struct cand *a, const struct cand *b)
{
    if (a->type == KC_PE_VALUE)
        return kc_json_value_compare(a->r, b->r);
    for (size_t k = 0; k < a->nkeys; k++) {
        int x = kc_json_value_compare(a->key[k], b->key[k]);
        if (x)
            return x;
    }
    return 0;
}

static int
cand_item_order(const struct cand *a, const struct cand *b)
{
    int x = cand_item_compare(a, b);
    return x ? x : cand_index_order(a, b);
}

/* Sorts the cands v points to by cmp (which never says two cands are equal). An insertion sort for the few
 * children most values have (often nearly in order already), a merge sort beyond. */
static void
sort_cands(struct cand **v, size_t n, struct cand **tmp, int (*cmp)(const struct cand *, const struct cand *))
{
    if (n <= 16) {
        for (size_t i = 1; i < n; i++) {
            struct cand *t = v[i];
            size_t j = i;
            for (; j > 0 && cmp(v[j - 1], t) > 0; j--)
                v[j] = v[j - 1];
            v[j] = t;
        }
        return;
    }
    size_t h = n / 2;
    sort_cands(v, h, tmp, cmp);
    sort_cands(v + h, n - h, tmp, cmp);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp(v[i], v[j]) <= 0 ? v[i++] : v[j++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof(*v));
}

/* The children of one value, in the walk's scratch memory. */
struct cands {
    struct cand *v, **ord, **tmp; /* the cands, the order they are walked in, room for sorting */
    const json_t **keys;          /* list items: their key values, nkeys per item */
    json_t *defaults;             /* list items: the default key values loaded (an array), or NULL */
    size_t n;
    struct scratch_mark mark; /* what to give back */
};

static int
cands_init(struct chg *c, struct cands *cs, size_t n, size_t nkeys)
{
    cs->n = 0;
    cs->defaults = NULL;
    cs->mark = scratch_mark(&c->scr);
    if (n > SIZE_MAX / 4 / sizeof(struct cand) || (nkeys && n > SIZE_MAX / 4 / sizeof(json_t *) / nkeys))
        return -ENOMEM;
    cs->v = scratch_alloc(&c->scr, n * sizeof(*cs->v));
    cs->ord = scratch_alloc(&c->scr, 2 * n * sizeof(*cs->ord));
    cs->keys = nkeys ? scratch_alloc(&c->scr, n * nkeys * sizeof(*cs->keys)) : NULL;
    cs->tmp = cs->ord ? cs->ord + n : NULL;
    if (!cs->v || !cs->ord || (nkeys && !cs->keys)) {
        scratch_release(&c->scr, cs->mark);
        return -ENOMEM;
    }
    return 0;
}

static void
cands_close(struct chg *c, struct cands *cs)
{
    json_decref(cs->defaults);
    scratch_release(&c->scr, cs->mark);
}

/* The key object of a KEY cand, as item_pe makes it (fields in name order, values copied). NULL when out of
 * memory. */
static json_t *
cand_key_object(const struct cand *x)
{
    json_t *key = json_object();
    for (size_t k = 0; key && k < x->nkeys; k++)
        if (json_object_set_new_nocheck(key, x->names[k], json_deep_copy(x->key[k])) != 0) {
            json_decref(key);
            key = NULL;
        }
    return key;
}

/* The element of x in s (a set to leave out or unmark), or NULL. */
static const struct kc_fs_elem *
cand_find(const struct kc_fieldset *s, const struct cand *x, int *rc)
{
    struct kc_pe pe = { .type = x->type };
    switch (x->type) {
    case KC_PE_FIELD:
        pe.field = x->field;
        return kc_fs_find(s, &pe);
    case KC_PE_VALUE:
        pe.value = x->r;
        return kc_fs_find(s, &pe);
    default: {
        json_t *key = cand_key_object(x);
        if (!key) {
            *rc = -ENOMEM;
            return NULL;
        }
        pe.key = key;
        const struct kc_fs_elem *e = kc_fs_find(s, &pe);
        json_decref(key);
        return e;
    }
    }
}

/* Appends x's FieldsV1 key text ("f:name", "k:{...}", "v:...") as kc_fieldset_to_fields_v1 writes it. */
static void
cand_text(struct kc_sb *b, const struct cand *x)
{
    switch (x->type) {
    case KC_PE_FIELD:
        kc_sb_add(b, "f:", 2);
        kc_sb_str(b, x->static_name ? x->static_name : x->field);
        break;
    case KC_PE_KEY: /* kc_sb_go_json of the key object */
        kc_sb_add(b, "k:{", 3);
        for (size_t k = 0; k < x->nkeys; k++) {
            if (k)
                kc_sb_add(b, ",", 1);
            kc_sb_go_json_string(b, x->names[k], strlen(x->names[k]));
            kc_sb_add(b, ":", 1);
            kc_sb_go_json(b, x->key[k]);
        }
        kc_sb_add(b, "}", 1);
        break;
    default:
        kc_sb_add(b, "v:", 2);
        kc_sb_go_json(b, x->r);
        break;
    }
}

/* Whether s (n bytes) is written as it is both by Go's encoding/json and, inside a JSON string, by jansson: no
 * quote, backslash, control character, '<', '>', '&', DEL or non-ASCII byte. */
static bool
plain_text(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\' || ch == '<' || ch == '>' || ch == '&')
            return false;
    }
    return true;
}

/* Whether v is an integer, a boolean or a plain_text string: what item_text_plain writes itself. */
static bool
plain_scalar(const json_t *v)
{
    return json_is_integer(v) || json_is_boolean(v) ||
           (json_is_string(v) && plain_text(json_string_value(v), json_string_length(v)));
}

/* Appends plain scalar v as kc_sb_go_json writes it, the quotes of a string escaped (it goes inside a JSON
 * string). */
static void
plain_scalar_text(struct kc_sb *o, const json_t *v)
{
    if (json_is_string(v)) {
        kc_sb_add(o, "\\\"", 2);
        kc_sb_add(o, json_string_value(v), json_string_length(v));
        kc_sb_add(o, "\\\"", 2);
    } else if (json_is_boolean(v)) {
        kc_sb_str(o, json_is_true(v) ? "true" : "false");
    } else {
        char d[24], *e = d + sizeof(d), *q = kc_i64_digits(e, json_integer_value(v));
        kc_sb_add(o, q, (size_t)(e - q));
    }
}

/* Appends the JSON string of a KEY or VALUE cand's key text (what kc_sb_json_string writes of cand_text's) when
 * its key values are plain scalars and its key names plain text, the usual case, without building the text
 * first; false (nothing appended) otherwise. */
static bool
item_text_plain(struct kc_sb *o, const struct cand *x)
{
    if (x->type == KC_PE_VALUE) {
        if (!plain_scalar(x->r))
            return false;
        kc_sb_add(o, "\"v:", 3);
        plain_scalar_text(o, x->r);
        kc_sb_add(o, "\"", 1);
        return true;
    }
    for (size_t k = 0; k < x->nkeys; k++)
        if (!plain_scalar(x->key[k]) || !plain_text(x->names[k], strlen(x->names[k])))
            return false;
    kc_sb_add(o, "\"k:{", 4);
    for (size_t k = 0; k < x->nkeys; k++) {
        kc_sb_add(o, k ? ",\\\"" : "\\\"", k ? 3 : 2);
        kc_sb_str(o, x->names[k]);
        kc_sb_add(o, "\\\":", 3);
        plain_scalar_text(o, x->key[k]);
    }
    kc_sb_add(o, "}\"", 2);
    return true;
}

/* The element of x in set node s (which has room), taking what is below it. */
static int
add_elem(struct kc_fieldset *s, const struct cand *x, const struct built *cb, char **text)
{
    struct kc_fs_elem *e = &s->v[s->n];
    memset(e, 0, sizeof(*e));
    e->pe.type = x->type;
    switch (x->type) {
    case KC_PE_FIELD:
        e->borrowed_field = true;
        if (x->static_name) {
            e->pe.field = x->static_name;
            e->schema_field = true;
        } else {
            size_t len = strlen(x->field) + 1;
            e->pe.field = memcpy(*text, x->field, len);
            *text += len;
        }
        break;
    case KC_PE_KEY:
        if (!(e->pe.key = cand_key_object(x)))
            return -ENOMEM;
        break;
    default:
        if (!(e->pe.value = json_deep_copy(x->r)))
            return -ENOMEM;
        break;
    }
    e->member = cb->member;
    e->child = cb->child;
    s->n++;
    return 0;
}

/* x's elements in the sets to leave out (skip) and unmark at this node (NULL: not there). False when x is left out
 * with everything below it (a member of skip) or on failure (*rc set). */
static bool
child_sets(const struct cand *x, const struct kc_fieldset *skip, const struct kc_fieldset *unmark,
           const struct kc_fs_elem **sk, const struct kc_fs_elem **um, int *rc)
{
    *sk = skip ? cand_find(skip, x, rc) : NULL;
    *um = unmark && *rc == 0 ? cand_find(unmark, x, rc) : NULL;
    return *rc == 0 && !(*sk && (*sk)->member);
}

/* changed_rec for the child x, with what skip and unmark hold below it. */
static int
walk_child(struct chg *c, const struct cand *x, const struct kc_fs_elem *sk, const struct kc_fs_elem *um,
           struct built *cb)
{
    return changed_rec(c, x->l, x->r, x->sub, sk ? sk->child : NULL, um ? um->child : NULL, um && um->member, cb);
}

/* build_node for FieldsV1 as text: the node's object written at the end of c->out as json_dumps writes the one
 * build_node makes (members in the same order, keys escaped as jansson does; field names come from parsed JSON,
 * so they are valid UTF-8 and are not checked again), or nothing when no child is kept. */
static int
build_node_text(struct chg *c, struct cand **ord, size_t n, const struct kc_fieldset *skip,
                const struct kc_fieldset *unmark, bool member, struct built *b)
{
    struct kc_sb *o = c->out;
    size_t start = o->len;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct cand *x = ord[i];
        const struct kc_fs_elem *sk, *um;
        if (!child_sets(x, skip, unmark, &sk, &um, &rc))
            continue; /* left out (or failed: the loop ends) */
        size_t mark = o->len;
        if (mark == start)
            kc_sb_add(o, member ? "{\".\":{}," : "{", member ? 8 : 1);
        else
            kc_sb_add(o, ",", 1);
        if (x->type == KC_PE_FIELD) { /* "f:<name>", the name escaped in place (the schema's need no escape) */
            kc_sb_add(o, "\"f:", 3);
            if (x->static_name)
                kc_sb_str(o, x->static_name);
            else
                kc_sb_json_chars(o, x->field, strlen(x->field));
            kc_sb_add(o, "\":", 2);
        } else {
            if (!item_text_plain(o, x)) {
                c->text.len = 0;
                cand_text(&c->text, x);
                kc_sb_json_string(o, c->text.p ? c->text.p : "", c->text.len);
            }
            kc_sb_add(o, ":", 1);
        }
        struct built cb;
        rc = walk_child(c, x, sk, um, &cb);
        if (rc == 0 && !cb.text)
            kc_sb_truncate(o, mark); /* nothing kept below: neither is its key (nor the '{' of a first one) */
    }
    if (rc == 0 && (o->oom || c->text.oom))
        rc = -ENOMEM;
    if (rc != 0 || o->len == start) {
        kc_sb_truncate(o, start);
        return rc;
    }
    kc_sb_add(o, "}", 1);
    b->text = true;
    return 0;
}

/* The node below a value from its children in order (ord[0, n)): each child walked and kept when it is a member
 * or has members below. skip / unmark: the nodes of those sets at these children (NULL: nothing); member: whether
 * the value itself is (for FieldsV1's "."). Fills b->child or b->v1 (NULL when nothing is kept). */
static int
build_node(struct chg *c, struct cand **ord, size_t n, const struct kc_fieldset *skip, const struct kc_fieldset *unmark,
           bool member, struct built *b)
{
    struct kc_fieldset *s = NULL;
    json_t *o = NULL;
    char *text = NULL;
    if (n == 0)
        return 0;
    if (c->out)
        return build_node_text(c, ord, n, skip, unmark, member, b);
    if (!c->v1) {
        size_t text_len = 0; /* the names the schema does not hold, kept in the node's own allocation */
        for (size_t i = 0; i < n; i++)
            if (ord[i]->type == KC_PE_FIELD && !ord[i]->static_name)
                text_len += strlen(ord[i]->field) + 1;
        if (!(s = kc_fs_node_new(n, text_len, &text)))
            return -ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct cand *x = ord[i];
        const struct kc_fs_elem *sk, *um;
        if (!child_sets(x, skip, unmark, &sk, &um, &rc))
            continue; /* left out (or failed: the loop ends) */
        struct built cb;
        rc = walk_child(c, x, sk, um, &cb);
        if (rc != 0)
            break;
        if (!c->v1) {
            if ((cb.member || cb.child) && (rc = add_elem(s, x, &cb, &text)) != 0)
                kc_fieldset_free(cb.child);
            continue;
        }
        if (!cb.v1)
            continue;
        if (!o && (!(o = json_object()) || (member && json_object_set_nocheck(o, ".", c->leaf) != 0))) {
            json_decref(cb.v1);
            rc = -ENOMEM;
            break;
        }
        c->text.len = 0;
        cand_text(&c->text, x);
        if (c->text.oom) {
            json_decref(cb.v1);
            rc = -ENOMEM;
        } else if ((x->type == KC_PE_FIELD && !x->static_name /* names from r are checked, as to_v1 checks them */
                        ? json_object_setn_new(o, c->text.p, c->text.len, cb.v1)
                        : json_object_setn_new_nocheck(o, c->text.p, c->text.len, cb.v1)) != 0) {
            rc = -ENOMEM; /* the call took cb.v1 */
        }
    }
    if (rc != 0 || (s && s->n == 0)) {
        kc_fieldset_free(s);
        json_decref(o);
        return rc;
    }
    b->child = s;
    b->v1 = o;
    return 0;
}

/* The children of a granular struct or map R (L: the other side's value there, or NULL). */
static int
map_children(struct chg *c, const struct tinfo *ti, const json_t *L, const json_t *R, const struct kc_fieldset *skip,
             const struct kc_fieldset *unmark, struct built *b)
{
    struct cands cs;
    if (cands_init(c, &cs, json_object_size(R), 0) != 0)
        return -ENOMEM;
    /* a struct's fields are looked up in its properties and ordered by theirs (which are in name order); the
     * keys of a map (or of a struct that also takes undeclared fields) are ordered by name first, each then
     * looked up after the last */
    bool by_prop = ti->strct && ti->strct->type == KC_SCHEMA_OBJECT && !ti->has_elem;
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)R, k, val)
    {
        struct cand *x = &cs.v[cs.n];
        x->type = KC_PE_FIELD;
        x->field = k;
        x->static_name = NULL;
        x->r = val;
        x->idx = cs.n;
        if (by_prop) {
            size_t at = 0;
            const struct kc_schema_prop *p = kc_schema_prop_find_from(ti->strct, k, &at);
            if (!p)
                continue; /* not declared: not looked at */
            x->sub.s = p->schema;
            x->sub.p = p;
            x->sub.d = D_TYPED;
            x->static_name = p->name;
            x->idx = (size_t)(p - ti->strct->props);
        }
        cs.ord[cs.n++] = x;
    }
    sort_cands(cs.ord, cs.n, cs.tmp, by_prop ? cand_index_order : cand_field_order);
    size_t w = 0, hint = 0;
    for (size_t i = 0; i < cs.n; i++) {
        struct cand *x = cs.ord[i];
        bool declared;
        if (!by_prop) {
            if (!field_tref_from(ti, x->field, &x->sub, &declared, &hint))
                continue;
            x->static_name = declared ? x->sub.p->name : NULL;
        }
        x->l = L ? json_object_get(L, x->field) : NULL;
        cs.ord[w++] = x;
    }
    int rc = build_node(c, cs.ord, w, skip, unmark, b->member, b);
    cands_close(c, &cs);
    return rc;
}

/* The items of list whose element can be built (item_pe's rules), as cands in list order. */
static int
collect_items(const struct tinfo *ti, const json_t *list, struct cands *cs)
{
    size_t nk = ti->rel == REL_KEYED ? ti->nkeys : 0;
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        struct cand *x = &cs->v[cs->n];
        memset(x, 0, sizeof(*x));
        x->r = item;
        x->sub = ti->elem;
        x->idx = i;
        if (ti->rel == REL_SET) {
            if (json_is_object(item) || json_is_array(item))
                continue;
            x->type = KC_PE_VALUE;
        } else {
            if (!json_is_object(item))
                continue;
            const json_t **kv = cs->keys + cs->n * nk;
            bool ok = true;
            for (size_t k = 0; k < nk && ok; k++) {
                if ((kv[k] = json_object_get(item, ti->keys[k])))
                    continue;
                const struct kc_schema_prop *kp = kc_schema_prop_find(ti->elem.s, ti->keys[k]);
                json_t *def = kp && kp->default_json ? json_loads(kp->default_json, JSON_DECODE_ANY, NULL) : NULL;
                if (!def) {
                    ok = false;
                    break;
                }
                if (!cs->defaults && !(cs->defaults = json_array())) {
                    json_decref(def);
                    return -ENOMEM;
                }
                if (json_array_append_new(cs->defaults, def) != 0)
                    return -ENOMEM;
                kv[k] = def;
            }
            if (!ok)
                continue;
            x->type = KC_PE_KEY;
            x->key = kv;
            x->names = ti->keys;
            x->nkeys = nk;
        }
        cs->ord[cs->n++] = x;
    }
    return 0;
}

/* The children of a granular list R: the items whose element can be built, the first of equal ones (L: the
 * other side's list, or NULL). */
static int
list_children(struct chg *c, const struct tinfo *ti, const json_t *L, const json_t *R, const struct kc_fieldset *skip,
              const struct kc_fieldset *unmark, struct built *b)
{
    struct cands cs, ls;
    size_t nk = ti->rel == REL_KEYED ? ti->nkeys : 0, w = 0;
    if (cands_init(c, &cs, json_array_size(R), nk) != 0)
        return -ENOMEM;
    int rc = collect_items(ti, R, &cs);
    if (rc == 0) {
        sort_cands(cs.ord, cs.n, cs.tmp, cand_item_order);
        for (size_t i = 0; i < cs.n; i++)
            if (!w || cand_item_compare(cs.ord[w - 1], cs.ord[i]) != 0)
                cs.ord[w++] = cs.ord[i]; /* a later duplicate is dropped: compare_rec only sees the first */
    }
    if (rc == 0 && json_array_size(L) > 0) { /* both sides have items: pair them, L's first of equal ones */
        if ((rc = cands_init(c, &ls, json_array_size(L), nk)) == 0) {
            rc = collect_items(ti, L, &ls);
            for (size_t i = 0; rc == 0 && i < w; i++)
                for (size_t j = 0; j < ls.n && !cs.ord[i]->l; j++)
                    if (cand_item_compare(cs.ord[i], ls.ord[j]) == 0)
                        cs.ord[i]->l = ls.ord[j]->r;
            if (rc == 0)
                rc = build_node(c, cs.ord, w, skip, unmark, b->member, b);
            cands_close(c, &ls);
        }
    } else if (rc == 0) {
        rc = build_node(c, cs.ord, w, skip, unmark, b->member, b);
    }
    cands_close(c, &cs);
    return rc;
}

static bool
leaf_member(const struct chg *c, const json_t *l, const json_t *r)
{
    return !l || (c->modified && !kc_json_equal(l, r));
}

/* Whether tr is a scalar whatever the value (resolve gives TK_SCALAR without looking at it). */
static bool
typed_scalar(struct tref tr)
{
    if (tr.d != D_TYPED || !tr.s || (tr.s->flags & KC_SCHEMA_F_PRESERVE_UNKNOWN))
        return false;
    switch ((enum kc_schema_type)tr.s->type) {
    case KC_SCHEMA_STRING:
    case KC_SCHEMA_BYTES:
    case KC_SCHEMA_TIME:
    case KC_SCHEMA_MICROTIME:
    case KC_SCHEMA_INTEGER:
    case KC_SCHEMA_NUMBER:
    case KC_SCHEMA_BOOLEAN:
    case KC_SCHEMA_INT_OR_STRING:
    case KC_SCHEMA_QUANTITY:
        return true;
    default:
        return false;
    }
}

/* compare_rec(l, r) for a value r has (r != NULL), into *b: whether r's path is added (or modified, with
 * c->modified) unless unmarked, and what is below it. What only l has is not looked at. */
static int
changed_rec(struct chg *c, const json_t *l, const json_t *r, struct tref tr, const struct kc_fieldset *skip,
            const struct kc_fieldset *unmark, bool unmarked, struct built *b)
{
    memset(b, 0, sizeof(*b));
    struct tinfo ti;
    bool leaf = typed_scalar(tr) || !same_shape(l, r); /* typed_scalar: what resolve would say, sooner */
    if (!leaf) {
        resolve(tr, !json_is_null(r) ? r : l, &ti);
        if (ti.kind == TK_SCALAR)
            leaf = true;
        else if (ti.kind == TK_LIST)
            leaf = ti.atomic || (json_array_size(json_is_array(l) ? l : NULL) == 0 && json_array_size(r) == 0);
        else
            leaf = ti.atomic || (json_object_size(json_is_object(l) ? l : NULL) == 0 && json_object_size(r) == 0);
    }
    int rc = 0;
    if (leaf) {
        b->member = !unmarked && leaf_member(c, l, r);
    } else {
        b->member = !unmarked && !l; /* a granular value is new itself when l has nothing there */
        if (ti.kind == TK_LIST && json_array_size(r))
            rc = list_children(c, &ti, json_is_array(l) ? l : NULL, r, skip, unmark, b);
        else if (ti.kind == TK_MAP && json_object_size(r))
            rc = map_children(c, &ti, json_is_object(l) ? l : NULL, r, skip, unmark, b);
    }
    if (rc == 0 && c->out && !b->text && b->member) {
        kc_sb_add(c->out, "{}", 2);
        b->text = true;
    } else if (rc == 0 && c->v1 && !c->out && !b->v1 && b->member) {
        b->v1 = json_incref(c->leaf);
    }
    return rc;
}

/* The walk from the root: the empty path itself is never a member. */
static int
changed_root(struct chg *c, const json_t *lhs, const json_t *rhs, const struct kc_schema *root,
             const struct kc_fieldset *skip, const struct kc_fieldset *unmark, struct built *b)
{
    memset(b, 0, sizeof(*b));
    return rhs ? changed_rec(c, lhs, rhs, root_tref(root), skip, unmark, true, b) : 0;
}

int
kc_typed_compare_changes(const json_t *lhs, const json_t *rhs, const struct kc_schema *root, bool modified,
                         const struct kc_fieldset *skip, const struct kc_fieldset *unmark, struct kc_fieldset **out)
{
    struct chg c = { .modified = modified };
    struct scratch_first first;
    scratch_init(&c.scr, &first);
    struct built b;
    int rc = changed_root(&c, lhs, rhs, root, skip, unmark, &b);
    scratch_free(&c.scr);
    if (rc != 0)
        return rc;
    if (!b.child && !(b.child = kc_fieldset_new()))
        return -ENOMEM;
    *out = b.child;
    return 0;
}

int
kc_typed_compare_changes_v1(const json_t *lhs, const json_t *rhs, const struct kc_schema *root, bool modified,
                            const struct kc_fieldset *skip, const struct kc_fieldset *unmark, json_t **out)
{
    struct chg c = { .modified = modified, .v1 = true, .leaf = json_object() };
    if (!c.leaf)
        return -ENOMEM;
    struct scratch_first first;
    scratch_init(&c.scr, &first);
    struct built b;
    int rc = changed_root(&c, lhs, rhs, root, skip, unmark, &b);
    scratch_free(&c.scr);
    kc_sb_free(&c.text);
    json_decref(c.leaf); /* the tree holds its own references */
    if (rc == 0 && !b.v1 && !(b.v1 = json_object()))
        rc = -ENOMEM;
    if (rc != 0)
        return rc;
    *out = b.v1;
    return 0;
}

int
kc_typed_compare_changes_v1_text(const json_t *lhs, const json_t *rhs, const struct kc_schema *root, bool modified,
                                 const struct kc_fieldset *skip, const struct kc_fieldset *unmark, struct kc_sb *out)
{
    struct chg c = { .modified = modified, .v1 = true, .out = out };
    struct scratch_first first;
    scratch_init(&c.scr, &first);
    size_t start = out->len;
    struct built b;
    int rc = changed_root(&c, lhs, rhs, root, skip, unmark, &b);
    scratch_free(&c.scr);
    kc_sb_free(&c.text);
    if (rc == 0 && !b.text)
        kc_sb_add(out, "{}", 2);
    if (rc == 0 && out->oom)
        rc = -ENOMEM;
    if (rc != 0)
        kc_sb_truncate(out, start);
    return rc;
}

/* --- merge --- */

static int merge_rec(const json_t *l, const json_t *r, struct tref tr, json_t **out);

static int
take(const json_t *l, const json_t *r, json_t **out)
{
    *out = json_deep_copy(r ? r : l);
    return *out ? 0 : -ENOMEM;
}

static int
append_merged(json_t *arr, const json_t *l, const json_t *r, struct tref elem)
{
    json_t *m;
    int rc = merge_rec(l, r, elem, &m);
    if (rc == 0 && m && json_array_append_new(arr, m) != 0)
        rc = -ENOMEM;
    return rc;
}

/* upstream's visitListItems order: walk both lists, items only lhs has stay where they are relative to the items
 * rhs names, which come in rhs's order. */
static int
merge_items(const struct tinfo *ti, const json_t *l, const json_t *r, json_t **out)
{
    struct indexed li, ri;
    int rc = index_list(ti, l, &li);
    if (rc != 0)
        return rc;
    if ((rc = index_list(ti, r, &ri)) != 0) {
        indexed_free(&li);
        return rc;
    }
    json_t *arr = json_array();
    size_t *shared = kc_calloc(ri.n + 1, sizeof(*shared)), nshared = 0, si = 0;
    bool *merged = kc_calloc(ri.n + 1, sizeof(*merged));
    if (!arr || !shared || !merged)
        rc = -ENOMEM;
    for (size_t j = 0; rc == 0 && j < ri.n; j++)
        if (indexed_find(&li, &ri.pe[j]) >= 0)
            shared[nshared++] = j;
    const struct kc_pe *next = si < nshared ? &ri.pe[shared[si++]] : NULL;
    size_t lI = 0, rI = 0;
    while (rc == 0 && (lI < li.n || rI < ri.n)) {
        if (lI < li.n && rI < ri.n) {
            const struct kc_pe *pe = &li.pe[lI];
            if (kc_pe_compare(pe, &ri.pe[rI]) == 0) {
                rc = append_merged(arr, li.item[lI], ri.item[rI], ti->elem);
                merged[rI] = true;
                lI++;
                rI++;
                next = si < nshared ? &ri.pe[shared[si++]] : NULL;
                continue;
            }
            if (indexed_find(&ri, pe) >= 0 && next && kc_pe_compare(next, pe) != 0) {
                lI++; /* shared, but not the one wanted in this round */
                continue;
            }
        }
        if (lI < li.n) {
            long j = indexed_find(&ri, &li.pe[lI]);
            if (j < 0) {
                rc = append_merged(arr, li.item[lI], NULL, ti->elem);
                lI++;
                continue;
            }
            if (merged[j]) { /* already merged with rhs: do not repeat it */
                lI++;
                continue;
            }
        }
        if (rI < ri.n) {
            long i = indexed_find(&li, &ri.pe[rI]);
            rc = append_merged(arr, i >= 0 ? li.item[i] : NULL, ri.item[rI], ti->elem);
            merged[rI] = true;
            if (next && kc_pe_compare(next, &ri.pe[rI]) == 0)
                next = si < nshared ? &ri.pe[shared[si++]] : NULL;
            rI++;
            continue;
        }
        lI++; /* cannot happen with deduplicated lists; guarantees progress */
    }
    free(shared);
    free(merged);
    indexed_free(&li);
    indexed_free(&ri);
    if (rc != 0 || json_array_size(arr) == 0) {
        json_decref(arr);
        *out = NULL;
        return rc;
    }
    *out = arr;
    return 0;
}

static int
merge_member(json_t *obj, const struct tinfo *ti, const char *k, const json_t *l, const json_t *r)
{
    struct tref sub;
    bool declared;
    json_t *m = NULL;
    int rc;
    if (!field_tref(ti, k, &sub, &declared))
        rc = take(l, r, &m); /* undeclared: kept as it is */
    else
        rc = merge_rec(l, r, sub, &m);
    if (rc == 0 && m && json_object_set_new(obj, k, m) != 0)
        rc = -ENOMEM;
    return rc;
}

static int
merge_rec(const json_t *l, const json_t *r, struct tref tr, json_t **out)
{
    *out = NULL;
    if (!same_shape(l, r))
        return take(l, r, out);
    struct tinfo ti;
    resolve(tr, r && !json_is_null(r) ? r : l, &ti);
    if (ti.kind == TK_SCALAR)
        return take(l, r, out);
    if (ti.kind == TK_LIST) {
        const json_t *L = json_is_array(l) ? l : NULL, *R = json_is_array(r) ? r : NULL;
        if (ti.atomic || (json_array_size(L) == 0 && json_array_size(R) == 0))
            return take(l, r, out);
        return merge_items(&ti, L, R, out);
    }
    const json_t *L = json_is_object(l) ? l : NULL, *R = json_is_object(r) ? r : NULL;
    if (ti.atomic || (json_object_size(L) == 0 && json_object_size(R) == 0))
        return take(l, r, out);
    json_t *obj = json_object();
    if (!obj)
        return -ENOMEM;
    const char *k;
    json_t *v;
    int rc = 0;
    json_object_foreach((json_t *)L, k, v)
    {
        if ((rc = merge_member(obj, &ti, k, v, R ? json_object_get(R, k) : NULL)) != 0)
            break;
    }
    json_object_foreach((json_t *)R, k, v)
    {
        if (rc != 0)
            break;
        if (L && json_object_get(L, k))
            continue;
        rc = merge_member(obj, &ti, k, NULL, v);
    }
    if (rc != 0 || json_object_size(obj) == 0) {
        json_decref(obj);
        return rc;
    }
    *out = obj;
    return 0;
}

int
kc_typed_merge(const json_t *lhs, const json_t *rhs, const struct kc_schema *root, json_t **out)
{
    json_t *m = NULL;
    int rc = lhs || rhs ? merge_rec(lhs, rhs, root_tref(root), &m) : 0;
    if (rc != 0)
        return rc;
    if (!m && !(m = json_is_object(rhs) || json_is_object(lhs) ? json_object() : json_null()))
        return -ENOMEM;
    *out = m;
    return 0;
}

/* --- remove --- */

static json_t *remove_rec(const json_t *v, const struct kc_fieldset *set, struct tref tr);

static json_t *
remove_rec(const json_t *v, const struct kc_fieldset *set, struct tref tr)
{
    struct tinfo ti;
    resolve(tr, v, &ti);
    if (ti.kind == TK_SCALAR)
        return json_deep_copy(v);
    if (ti.kind == TK_LIST) {
        if (!json_is_array(v) || json_array_size(v) == 0 || ti.atomic)
            return json_null();
        json_t *arr = json_array();
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            struct kc_pe pe;
            json_t *owned, *nv;
            char err[256];
            int rc = item_pe(&ti, item, i, &pe, &owned, err, sizeof(err));
            if (rc == -ENOMEM) {
                json_decref(arr);
                return NULL;
            }
            if (rc == 0 && kc_fieldset_has(set, &pe, 1)) {
                json_decref(owned);
                continue;
            }
            const struct kc_fieldset *sub = rc == 0 ? kc_fieldset_child(set, &pe) : NULL;
            nv = sub ? remove_rec(item, sub, ti.elem) : json_deep_copy(item);
            json_decref(owned);
            if (!nv || json_array_append_new(arr, nv) != 0) {
                json_decref(arr);
                return NULL;
            }
        }
        if (arr && json_array_size(arr) == 0) {
            json_decref(arr);
            return json_null();
        }
        return arr;
    }
    if (!json_is_object(v) || json_object_size(v) == 0 || ti.atomic)
        return json_null();
    json_t *obj = json_object();
    const char *k;
    json_t *val;
    json_object_foreach((json_t *)v, k, val)
    {
        struct kc_pe pe = field_pe(k);
        if (kc_fieldset_has(set, &pe, 1))
            continue;
        struct tref sub;
        bool declared;
        const struct kc_fieldset *child = kc_fieldset_child(set, &pe);
        json_t *nv = child && field_tref(&ti, k, &sub, &declared) ? remove_rec(val, child, sub) : json_deep_copy(val);
        if (!nv || !obj || json_object_set_new(obj, k, nv) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    if (obj && json_object_size(obj) == 0) {
        json_decref(obj);
        return json_null();
    }
    return obj;
}

int
kc_typed_remove(const json_t *obj, const struct kc_fieldset *set, const struct kc_schema *root, json_t **out)
{
    json_t *r = kc_fieldset_empty(set) ? json_deep_copy(obj) : remove_rec(obj, set, root_tref(root));
    if (!r)
        return -ENOMEM;
    *out = r;
    return 0;
}

/* --- named fields --- */

/* The position below pe when no value is at hand (sets are walked without values). */
static struct tref
child_tref(struct tref tr, const struct kc_pe *pe, bool *named)
{
    struct tinfo ti;
    *named = false;
    /* resolve without a value: deduced positions are maps for fields, lists for the others */
    json_t *probe = pe->type == KC_PE_FIELD ? json_object() : json_array();
    resolve(tr, probe, &ti);
    json_decref(probe);
    struct tref out = deduced(D_DEDUCED);
    if (pe->type == KC_PE_FIELD && ti.kind == TK_MAP) {
        bool declared;
        if (field_tref(&ti, pe->field, &out, &declared))
            *named = declared;
        else
            out = deduced(D_DEDUCED);
        return out;
    }
    if (ti.kind == TK_LIST)
        return ti.elem;
    return out;
}

static int
ensure_rec(const struct kc_fieldset *s, struct tref tr, struct kc_fieldset *out)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct kc_fs_elem *e = &s->v[i];
        bool named;
        struct tref sub = child_tref(tr, &e->pe, &named);
        bool kids = !kc_fieldset_empty(e->child);
        struct kc_fs_elem *o = kc_fs_get(out, &e->pe);
        if (!o)
            return -ENOMEM;
        size_t idx = (size_t)(o - out->v);
        if (kids) {
            struct kc_fieldset *c = kc_fieldset_new();
            int rc = c ? ensure_rec(e->child, sub, c) : -ENOMEM;
            o = &out->v[idx];
            if (rc != 0) {
                kc_fieldset_free(c);
                o->member = true; /* keep the invariant; the caller frees out */
                return rc;
            }
            o->child = c;
        }
        o->member = e->member || (kids && named);
    }
    return 0;
}

int
kc_typed_ensure_named(const struct kc_fieldset *set, const struct kc_schema *root, struct kc_fieldset **out)
{
    struct kc_fieldset *o = kc_fieldset_new();
    if (!o)
        return -ENOMEM;
    int rc = set ? ensure_rec(set, root_tref(root), o) : 0;
    if (rc != 0) {
        kc_fieldset_free(o);
        return rc;
    }
    *out = o;
    return 0;
}

/* --- nulls --- */

static void
drop_nulls(json_t *v, struct tref tr)
{
    struct tinfo ti;
    resolve(tr, v, &ti);
    if (tr.d != D_TYPED || !tr.s || tr.s->type == KC_SCHEMA_ANY || ti.kind == TK_SCALAR)
        return;
    if (ti.kind == TK_LIST) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) drop_nulls(item, ti.elem);
        return;
    }
    if (!json_is_object(v))
        return;
    const char *k;
    json_t *val;
    void *tmp;
    json_object_foreach_safe(v, tmp, k, val)
    {
        if (json_is_null(val)) {
            json_object_del(v, k);
            continue;
        }
        struct tref sub;
        bool declared;
        if (field_tref(&ti, k, &sub, &declared))
            drop_nulls(val, sub);
    }
}

void
kc_typed_drop_nulls(json_t *obj, const struct kc_schema *root)
{
    if (obj && root)
        drop_nulls(obj, root_tref(root));
}

/* --- validation --- */

/* Go's %#v of a decoded JSON value inside an interface{}. */
static void
go_sharp_v(struct kc_sb *b, const json_t *v)
{
    size_t i, n;
    json_t *x;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        n = json_object_size(v);
        const char **keys = kc_calloc(n + 1, sizeof(*keys));
        if (!keys) {
            b->oom = true;
            return;
        }
        const char *k;
        i = 0;
        json_object_foreach((json_t *)v, k, x) keys[i++] = k;
        qsort(keys, n, sizeof(*keys), cmp_str);
        kc_sb_str(b, "map[string]interface {}{");
        for (i = 0; i < n; i++) {
            if (i)
                kc_sb_str(b, ", ");
            kc_sb_go_quote(b, keys[i], strlen(keys[i]));
            kc_sb_add(b, ":", 1);
            go_sharp_v(b, json_object_get(v, keys[i]));
        }
        kc_sb_add(b, "}", 1);
        free(keys);
        break;
    }
    case JSON_ARRAY:
        kc_sb_str(b, "[]interface {}{");
        json_array_foreach(v, i, x)
        {
            if (i)
                kc_sb_str(b, ", ");
            go_sharp_v(b, x);
        }
        kc_sb_add(b, "}", 1);
        break;
    case JSON_STRING:
        kc_sb_go_quote(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_NULL:
        kc_sb_str(b, "interface {}(nil)");
        break;
    default:
        kc_sb_go_v(b, v);
    }
}

static const char *
go_type(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "map[string]interface {}";
    case JSON_ARRAY:
        return "[]interface {}";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "int64";
    case JSON_REAL:
        return "float64";
    case JSON_TRUE:
    case JSON_FALSE:
        return "bool";
    default:
        return "<nil>";
    }
}

struct val {
    struct path p;
    json_t *errs;
    int rc;
};

static void
add_error(struct val *vl, const char *msg)
{
    if (vl->rc)
        return;
    char *path = kc_path_string(vl->p.v, vl->p.n);
    struct kc_sb b = { 0 };
    if (!path) {
        vl->rc = -ENOMEM;
        return;
    }
    kc_sb_str(&b, path);
    kc_sb_str(&b, ": ");
    kc_sb_str(&b, msg);
    free(path);
    char *text = kc_sb_take(&b);
    if (!text || json_array_append_new(vl->errs, json_string(text)) != 0)
        vl->rc = -ENOMEM;
    free(text);
}

/* "expected ..., got <%v of the value wrapped in upstream's valueUnstructured>" */
static void
add_got(struct val *vl, const char *what, const json_t *v, bool sharp)
{
    struct kc_sb b = { 0 };
    kc_sb_str(&b, what);
    if (sharp) {
        kc_sb_str(&b, "&value.valueUnstructured{Value:");
        go_sharp_v(&b, v);
        kc_sb_str(&b, "}");
    } else {
        kc_sb_str(&b, "&{");
        kc_sb_go_v(&b, v);
        kc_sb_str(&b, "}");
    }
    char *m = kc_sb_take(&b);
    if (!m) {
        vl->rc = -ENOMEM;
        return;
    }
    add_error(vl, m);
    free(m);
}

static void validate_rec(struct val *vl, const json_t *v, struct tref tr);

static void
validate_scalar(struct val *vl, const struct tinfo *ti, const json_t *v)
{
    if (json_is_null(v))
        return;
    bool num = json_is_number(v), str = json_is_string(v), boo = json_is_boolean(v);
    switch (ti->scalar) {
    case SC_NUMERIC:
        if (!num) {
            char m[96];
            snprintf(m, sizeof(m), "expected numeric (int or float), got %s", go_type(v));
            add_error(vl, m);
        }
        break;
    case SC_STRING:
        if (!str)
            add_got(vl, "expected string, got ", v, true);
        break;
    case SC_BOOL:
        if (!boo)
            add_got(vl, "expected boolean, got ", v, false);
        break;
    case SC_UNTYPED:
        if (!num && !str && !boo)
            add_got(vl, "expected any scalar, got ", v, false);
        break;
    }
}

static void
validate_list(struct val *vl, const struct tinfo *ti, const json_t *v)
{
    size_t n = json_array_size(v);
    struct kc_pe *seen = kc_calloc(n + 1, sizeof(*seen));
    json_t **owned = kc_calloc(n + 1, sizeof(*owned));
    size_t nseen = 0;
    if (!seen || !owned) {
        free(seen);
        free(owned);
        vl->rc = -ENOMEM;
        return;
    }
    for (size_t i = 0; i < n && !vl->rc; i++) {
        const json_t *item = json_array_get(v, i);
        struct kc_pe pe;
        json_t *own;
        char err[256];
        int rc = item_pe(ti, item, i, &pe, &own, err, sizeof(err));
        if (rc == -ENOMEM) {
            vl->rc = rc;
            break;
        }
        if (rc != 0) {
            char m[320];
            snprintf(m, sizeof(m), "element %zu: %s", i, err);
            add_error(vl, m);
            break; /* upstream bails out of the list */
        }
        if (ti->rel != REL_ATOMIC) {
            bool dup = false;
            for (size_t j = 0; j < nseen && !dup; j++)
                dup = kc_pe_compare(&seen[j], &pe) == 0;
            if (dup) {
                char *s = kc_pe_string(&pe);
                struct kc_sb b = { 0 };
                kc_sb_str(&b, "duplicate entries for key ");
                if (s)
                    kc_sb_str(&b, s);
                else
                    b.oom = true;
                free(s);
                char *m = kc_sb_take(&b);
                if (m)
                    add_error(vl, m);
                else
                    vl->rc = -ENOMEM;
                free(m);
            }
            seen[nseen] = pe;
            owned[nseen++] = own;
            own = NULL;
        }
        if (push(&vl->p, &pe) != 0) {
            json_decref(own);
            vl->rc = -ENOMEM;
            break;
        }
        validate_rec(vl, item, ti->elem);
        pop(&vl->p);
        json_decref(own);
    }
    for (size_t j = 0; j < nseen; j++)
        json_decref(owned[j]);
    free(seen);
    free(owned);
}

static void
validate_map(struct val *vl, const struct tinfo *ti, const json_t *v)
{
    size_t n = json_object_size(v), i = 0;
    const char **keys = kc_calloc(n + 1, sizeof(*keys));
    if (!keys) {
        vl->rc = -ENOMEM;
        return;
    }
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x) keys[i++] = k;
    qsort(keys, n, sizeof(*keys), cmp_str);
    for (i = 0; i < n && !vl->rc; i++) {
        struct tref sub;
        bool declared;
        struct kc_pe pe = field_pe(keys[i]);
        if (push(&vl->p, &pe) != 0) {
            vl->rc = -ENOMEM;
            break;
        }
        if (!field_tref(ti, keys[i], &sub, &declared)) {
            add_error(vl, "field not declared in schema");
            pop(&vl->p);
            break; /* upstream stops at the first undeclared field of a struct */
        }
        validate_rec(vl, json_object_get(v, keys[i]), sub);
        pop(&vl->p);
    }
    free(keys);
}

static void
validate_rec(struct val *vl, const json_t *v, struct tref tr)
{
    struct tinfo ti;
    if (!v || vl->rc)
        return;
    resolve(tr, v, &ti);
    if (ti.kind == TK_SCALAR) {
        validate_scalar(vl, &ti, v);
        return;
    }
    if (json_is_null(v))
        return;
    if (ti.kind == TK_LIST) {
        if (!json_is_array(v))
            add_got(vl, "expected list, got ", v, false);
        else
            validate_list(vl, &ti, v);
        return;
    }
    if (!json_is_object(v))
        add_got(vl, "expected map, got ", v, false);
    else
        validate_map(vl, &ti, v);
}

int
kc_typed_validate(const json_t *obj, const struct kc_schema *root, json_t **errors)
{
    struct val vl = { .errs = json_array() };
    if (!vl.errs)
        return -ENOMEM;
    validate_rec(&vl, obj, root_tref(root));
    path_free(&vl.p);
    if (vl.rc != 0) {
        json_decref(vl.errs);
        return vl.rc;
    }
    if (json_array_size(vl.errs) == 0)
        json_decref(vl.errs);
    else
        *errors = vl.errs;
    return 0;
}

char *
kc_typed_errors_text(const json_t *errors)
{
    struct kc_sb b = { 0 };
    size_t i;
    json_t *e;
    if (json_array_size(errors) == 1) {
        kc_sb_str(&b, json_string_value(json_array_get(errors, 0)) ?: "");
        return kc_sb_take(&b);
    }
    kc_sb_str(&b, "errors:");
    json_array_foreach(errors, i, e)
    {
        kc_sb_str(&b, "\n  ");
        kc_sb_str(&b, json_string_value(e) ?: "");
    }
    return kc_sb_take(&b);
}

/* --- the empty object of a create --- */

/* Optional fields Go writes although they are empty (non-pointer struct values: structs as {}, Time as null), by
 * schema and field. */
static const char *const value_structs[][2] = {
    { "io.k8s.api.core.v1.PodTemplateSpec", "metadata" },
    { "io.k8s.api.core.v1.PodTemplateSpec", "spec" },
    { "io.k8s.api.batch.v1.JobTemplateSpec", "metadata" },
    { "io.k8s.api.batch.v1.JobTemplateSpec", "spec" },
    { "io.k8s.api.apps.v1.DeploymentSpec", "strategy" },
    { "io.k8s.api.apps.v1.DaemonSetSpec", "updateStrategy" },
    { "io.k8s.api.apps.v1.StatefulSetSpec", "updateStrategy" },
    { "io.k8s.api.core.v1.PersistentVolumeClaimSpec", "resources" },
    { "io.k8s.api.core.v1.Event", "involvedObject" },
    { "io.k8s.api.core.v1.Event", "source" },
    /* metav1.Time values: Go writes them as null when zero */
    { "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "creationTimestamp" },
    { "io.k8s.api.core.v1.Event", "firstTimestamp" },
    { "io.k8s.api.core.v1.Event", "lastTimestamp" },
    { "io.k8s.api.core.v1.Event", "eventTime" },
};

static bool
value_struct(const struct kc_schema *s, const char *field)
{
    for (size_t i = 0; i < sizeof(value_structs) / sizeof(value_structs[0]); i++)
        if (s->name && strcmp(s->name, value_structs[i][0]) == 0 && strcmp(field, value_structs[i][1]) == 0)
            return true;
    return false;
}

/* The empty struct of s: required fields (structs recursively, the rest null) and the value structs. */
static json_t *
empty_struct(const struct kc_schema *s, int depth)
{
    json_t *o = json_object();
    if (!o || depth > 8)
        return o;
    for (size_t i = 0; i < s->nprops; i++) {
        const struct kc_schema_prop *p = &s->props[i];
        bool obj = p->schema->type == KC_SCHEMA_OBJECT;
        json_t *v = NULL;
        if (obj && (kc_schema_prop_required(p) || value_struct(s, p->name)))
            v = empty_struct(p->schema, depth + 1);
        else if (kc_schema_prop_required(p) || value_struct(s, p->name))
            v = json_null();
        if (v && json_object_set_new(o, p->name, v) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* Every schema's empty object once made (a create of each kind needs one; building it was ~5% of a pod create's
 * managedFields work). Bounded by the number of kinds: schemas past the table's end get a fresh one each time. */
#define SHARED_EMPTY_MAX 128
static struct {
    const struct kc_schema *schema;
    json_t *obj;
} shared_empty[SHARED_EMPTY_MAX];
static size_t shared_empty_n;
static pthread_mutex_t shared_empty_lock = PTHREAD_MUTEX_INITIALIZER;

const json_t *
kc_typed_empty_object_shared(const struct kc_schema *root)
{
    const json_t *found = NULL;
    pthread_mutex_lock(&shared_empty_lock);
    for (size_t i = 0; i < shared_empty_n && !found; i++)
        if (shared_empty[i].schema == root)
            found = shared_empty[i].obj;
    if (!found && shared_empty_n < SHARED_EMPTY_MAX) {
        struct kc_jarena *prev = kc_jarena_enter(NULL); /* it outlives the request that asks first */
        json_t *o = kc_typed_empty_object(root);
        kc_jarena_leave(prev);
        if (o) {
            shared_empty[shared_empty_n].schema = root;
            shared_empty[shared_empty_n++].obj = o;
        }
        found = o;
    }
    pthread_mutex_unlock(&shared_empty_lock);
    return found;
}

json_t *
kc_typed_empty_object(const struct kc_schema *root)
{
    json_t *o = json_object(), *meta = json_pack("{s:n}", "creationTimestamp");
    if (!o || !meta || json_object_set_new(o, "metadata", meta) != 0) {
        json_decref(o);
        return NULL;
    }
    static const char *const tops[] = { "spec", "status" };
    for (size_t i = 0; root && i < 2; i++) {
        const struct kc_schema_prop *p = kc_schema_prop_find(root, tops[i]);
        if (!p || p->schema->type != KC_SCHEMA_OBJECT)
            continue;
        json_t *v = empty_struct(p->schema, 0);
        if (!v || json_object_set_new(o, tops[i], v) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}
