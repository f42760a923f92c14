/* managed.c - metadata.managedFields and the Update and Apply operations of server-side apply (kc_managed.h):
 * entry identity, decoding and upstream's encoding order, stripMeta, capManagers, the Update bookkeeping,
 * Apply with prune, conflicts and their Status texts, and kubectl's last-applied upgrade path. */
#include "fieldset_int.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_jarena.h"
#include "kc_json.h"
#include "kc_managed.h"
#include "kc_typed.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *
op_name(enum kc_managed_op op)
{
    return op == KC_MANAGED_APPLY ? "Apply" : "Update";
}

static const char *
nz(const char *s)
{
    return s ? s : "";
}

void
kc_managed_init(struct kc_managed *m)
{
    memset(m, 0, sizeof(*m));
}

static void
entry_free(struct kc_managed_entry *e)
{
    free(e->manager);
    free(e->api_version);
    free(e->subresource);
    free(e->time);
    kc_fieldset_free(e->set);
    memset(e, 0, sizeof(*e));
}

void
kc_managed_close(struct kc_managed *m)
{
    for (size_t i = 0; i < m->n; i++)
        entry_free(&m->v[i]);
    free(m->v);
    memset(m, 0, sizeof(*m));
}

void
kc_managed_conflicts_close(struct kc_managed_conflicts *c)
{
    free(c->message);
    json_decref(c->causes);
    memset(c, 0, sizeof(*c));
}

/* Appends an entry (copies the strings, takes set). Returns the entry or NULL (set freed) when out of memory. */
static struct kc_managed_entry *
add_entry(struct kc_managed *m, const char *manager, enum kc_managed_op op, const char *api_version,
          const char *subresource, const char *time, struct kc_fieldset *set)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 4;
        struct kc_managed_entry *v = kc_realloc(m->v, cap * sizeof(*v));
        if (!v) {
            kc_fieldset_free(set);
            return NULL;
        }
        m->v = v;
        m->cap = cap;
    }
    struct kc_managed_entry *e = &m->v[m->n];
    memset(e, 0, sizeof(*e));
    e->manager = kc_strdup(nz(manager));
    e->operation = op;
    e->api_version = kc_strdup(nz(api_version));
    e->subresource = kc_strdup(nz(subresource));
    e->time = time ? kc_strdup(time) : NULL;
    e->set = set;
    if (!e->manager || !e->api_version || !e->subresource || (time && !e->time) || !set) {
        entry_free(e);
        return NULL;
    }
    m->n++;
    return e;
}

static void
remove_at(struct kc_managed *m, size_t i)
{
    entry_free(&m->v[i]);
    memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(*m->v));
    m->n--;
}

static void
remove_empty(struct kc_managed *m)
{
    for (size_t i = m->n; i-- > 0;)
        if (kc_fieldset_empty(m->v[i].set))
            remove_at(m, i);
}

static int
copy_managed(struct kc_managed *dst, const struct kc_managed *src)
{
    kc_managed_init(dst);
    for (size_t i = 0; i < src->n; i++) {
        const struct kc_managed_entry *e = &src->v[i];
        struct kc_fieldset *s;
        if (kc_fieldset_copy(e->set, &s) != 0 ||
            !add_entry(dst, e->manager, e->operation, e->api_version, e->subresource, e->time, s)) {
            kc_managed_close(dst);
            return -ENOMEM;
        }
    }
    return 0;
}

static bool
same_id(const struct kc_managed_entry *e, const char *manager, enum kc_managed_op op, const char *api_version,
        const char *subresource)
{
    return e->operation == op && strcmp(e->manager, nz(manager)) == 0 && strcmp(e->subresource, nz(subresource)) == 0 &&
           (op == KC_MANAGED_APPLY || strcmp(e->api_version, nz(api_version)) == 0);
}

struct kc_managed_entry *
kc_managed_find(const struct kc_managed *m, const char *manager, enum kc_managed_op op, const char *api_version,
                const char *subresource)
{
    for (size_t i = 0; i < m->n; i++)
        if (same_id(&m->v[i], manager, op, api_version, subresource))
            return &m->v[i];
    return NULL;
}

/* upstream's manager identifier: the JSON of the entry without time, fields and (for appliers) apiVersion. */
static char *
entry_id(const struct kc_managed_entry *e)
{
    struct kc_sb b = { 0 };
    json_t *s;
    kc_sb_str(&b, "{\"manager\":");
    s = json_string(e->manager);
    kc_sb_go_json(&b, s);
    json_decref(s);
    kc_sb_printf(&b, ",\"operation\":\"%s\"", op_name(e->operation));
    if (e->operation == KC_MANAGED_UPDATE && e->api_version[0]) {
        kc_sb_str(&b, ",\"apiVersion\":");
        s = json_string(e->api_version);
        kc_sb_go_json(&b, s);
        json_decref(s);
    }
    if (e->subresource[0]) {
        kc_sb_str(&b, ",\"subresource\":");
        s = json_string(e->subresource);
        kc_sb_go_json(&b, s);
        json_decref(s);
    }
    kc_sb_str(&b, "}");
    return kc_sb_take(&b);
}

/* upstream's printManager: "\"name\"", plus ` with subresource "status"`, plus " using apps/v1" for updaters. */
static void
print_manager(struct kc_sb *b, const struct kc_managed_entry *e)
{
    kc_sb_go_quote(b, e->manager, strlen(e->manager));
    if (e->subresource[0]) {
        kc_sb_str(b, " with subresource ");
        kc_sb_go_quote(b, e->subresource, strlen(e->subresource));
    }
    if (e->operation == KC_MANAGED_UPDATE) {
        kc_sb_str(b, " using ");
        kc_sb_str(b, e->api_version);
    }
}

/* --- reset, decode, encode --- */

bool
kc_managed_is_reset(const json_t *mf)
{
    if (!json_is_array(mf))
        return false;
    if (json_array_size(mf) == 0)
        return true;
    if (json_array_size(mf) == 1) {
        const json_t *e = json_array_get(mf, 0);
        return json_is_object(e) && json_object_size(e) == 0;
    }
    return false;
}

int
kc_managed_decode(const json_t *mf, struct kc_managed *m, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!mf || json_is_null(mf))
        return 0;
    if (!json_is_array(mf)) {
        if (err && errlen)
            snprintf(err, errlen, "managedFields must be a list");
        return KC_EINVALID;
    }
    size_t i;
    json_t *e;
    json_array_foreach(mf, i, e)
    {
        const char *msg = NULL;
        char buf[256];
        const char *op = json_string_value(json_object_get(e, "operation"));
        const char *av = json_string_value(json_object_get(e, "apiVersion"));
        const char *ft = json_string_value(json_object_get(e, "fieldsType"));
        if (!json_is_object(e))
            msg = "a managedFields entry must be an object";
        else if (!op || (strcmp(op, "Apply") != 0 && strcmp(op, "Update") != 0))
            msg = "operation must be `Apply` or `Update`";
        else if (!av || !*av)
            msg = "apiVersion must not be empty";
        else if (!ft || !*ft) {
            snprintf(buf, sizeof(buf), "missing fieldsType in managed fields entry %zu", i);
            msg = buf;
        } else if (strcmp(ft, "FieldsV1") != 0) {
            snprintf(buf, sizeof(buf), "invalid fieldsType \"%s\" in managed fields entry %zu", ft, i);
            msg = buf;
        }
        if (msg) {
            if (err && errlen)
                snprintf(err, errlen, "%s", msg);
            kc_managed_close(m);
            return KC_EINVALID;
        }
        struct kc_fieldset *set;
        const json_t *fv = json_object_get(e, "fieldsV1");
        int rc = fv && !json_is_null(fv) ? kc_fieldset_from_fields_v1(fv, &set, buf, sizeof(buf))
                                         : ((set = kc_fieldset_new()) ? 0 : -ENOMEM);
        if (rc != 0) {
            if (rc == KC_EINVALID && err && errlen)
                snprintf(err, errlen, "error decoding versioned set: %s", buf);
            kc_managed_close(m);
            return rc;
        }
        enum kc_managed_op o = strcmp(op, "Apply") == 0 ? KC_MANAGED_APPLY : KC_MANAGED_UPDATE;
        const char *mgr = json_string_value(json_object_get(e, "manager"));
        const char *sub = json_string_value(json_object_get(e, "subresource"));
        const char *t = json_string_value(json_object_get(e, "time"));
        struct kc_managed_entry *old = kc_managed_find(m, mgr, o, av, sub);
        if (old)
            remove_at(m, (size_t)(old - m->v));
        if (!add_entry(m, mgr, o, av, sub, t && *t ? t : NULL, set)) {
            kc_managed_close(m);
            return -ENOMEM;
        }
    }
    return 0;
}

static int
cmp_str_null(const char *a, const char *b)
{
    if (!a || !b)
        return !a && !b ? 0 : !a ? -1 : 1;
    return strcmp(a, b);
}

static int
entry_order(const void *pa, const void *pb)
{
    const struct kc_managed_entry *a = *(const struct kc_managed_entry *const *)pa;
    const struct kc_managed_entry *b = *(const struct kc_managed_entry *const *)pb;
    if (a->operation != b->operation)
        return a->operation == KC_MANAGED_APPLY ? -1 : 1;
    int c = cmp_str_null(a->time, b->time);
    if (!c)
        c = strcmp(a->manager, b->manager);
    if (!c)
        c = strcmp(a->api_version, b->api_version);
    if (!c)
        c = strcmp(a->subresource, b->subresource);
    return c;
}

/* Appends to arr one entry as metadata.managedFields holds it (Go's ManagedFieldsEntry: its members in the
 * struct's order), taking fields (its FieldsV1). Returns 0 or -ENOMEM. */
static int
append_entry(json_t *arr, const char *manager, enum kc_managed_op op, const char *api_version, const char *time,
             const char *subresource, json_t *fields)
{
    json_t *o = json_object();
    if (!o) {
        json_decref(fields);
        return -ENOMEM;
    }
    int bad = json_object_set_new(o, "manager", json_string(manager));
    bad |= json_object_set_new(o, "operation", json_string(op_name(op)));
    bad |= json_object_set_new(o, "apiVersion", json_string(nz(api_version)));
    if (time)
        bad |= json_object_set_new(o, "time", json_string(time));
    bad |= json_object_set_new(o, "fieldsType", json_string("FieldsV1"));
    bad |= json_object_set_new(o, "fieldsV1", fields);
    if (nz(subresource)[0])
        bad |= json_object_set_new(o, "subresource", json_string(subresource));
    if (bad) {
        json_decref(o);
        return -ENOMEM;
    }
    return json_array_append_new(arr, o) == 0 ? 0 : -ENOMEM; /* which frees o when it fails */
}

int
kc_managed_encode(const struct kc_managed *m, json_t **out)
{
    json_t *arr = json_array();
    const struct kc_managed_entry **order = kc_calloc(m->n + 1, sizeof(*order));
    int rc = arr && order ? 0 : -ENOMEM;
    for (size_t i = 0; i < m->n; i++)
        if (order)
            order[i] = &m->v[i];
    if (rc == 0)
        qsort(order, m->n, sizeof(*order), entry_order);
    for (size_t i = 0; rc == 0 && i < m->n; i++) {
        const struct kc_managed_entry *e = order[i];
        json_t *fields;
        if (kc_fieldset_to_fields_v1(e->set, &fields) != 0 ||
            append_entry(arr, e->manager, e->operation, e->api_version, e->time, e->subresource, fields) != 0)
            rc = -ENOMEM;
    }
    free(order);
    if (rc != 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

/* --- stripMeta, capManagers --- */

static struct kc_fieldset *
strip_set_new(void)
{
    static const char *const meta[] = { "name",        "namespace",  "creationTimestamp", "selfLink",       "uid",
                                        "clusterName", "generation", "managedFields",     "resourceVersion" };
    struct kc_fieldset *s = kc_fieldset_new();
    if (!s)
        return NULL;
    struct kc_pe p[2] = { { .type = KC_PE_FIELD }, { .type = KC_PE_FIELD } };
    int rc = 0;
    p[0].field = "apiVersion";
    rc |= kc_fieldset_insert(s, p, 1);
    p[0].field = "kind";
    rc |= kc_fieldset_insert(s, p, 1);
    p[0].field = "metadata";
    rc |= kc_fieldset_insert(s, p, 1);
    for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++) {
        p[1].field = meta[i];
        rc |= kc_fieldset_insert(s, p, 2);
    }
    if (rc != 0) {
        kc_fieldset_free(s);
        return NULL;
    }
    return s;
}

/* upstream's stripMeta fields as one set, made once and kept for the life of the process (read-only from then
 * on, so threads share it); NULL when out of memory (the next call tries again). Making it was ~3% of a create's
 * managedFields work. */
static struct kc_fieldset *strip_shared;
static pthread_mutex_t strip_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct kc_fieldset *
strip_set(void)
{
    struct kc_fieldset *s = __atomic_load_n(&strip_shared, __ATOMIC_ACQUIRE);
    if (s)
        return s;
    pthread_mutex_lock(&strip_lock);
    struct kc_jarena *prev = kc_jarena_enter(NULL); /* kept for the process, not for the request that asks first */
    if (!(s = strip_shared) && (s = strip_set_new()))
        __atomic_store_n(&strip_shared, s, __ATOMIC_RELEASE);
    kc_jarena_leave(prev);
    pthread_mutex_unlock(&strip_lock);
    return s;
}

/* Removes the stripped fields from every entry and drops the entries left empty. */
static int
strip_all(struct kc_managed *m)
{
    const struct kc_fieldset *strip = strip_set();
    if (!strip)
        return -ENOMEM;
    for (size_t i = 0; i < m->n; i++)
        kc_fs_subtract(m->v[i].set, strip, false);
    remove_empty(m);
    return 0;
}

struct updater {
    size_t idx;
    long long secs; /* the time as seconds for ordering (RFC 3339 UTC text orders like the instant) */
    char *id;
};

static int
updater_order(const void *pa, const void *pb)
{
    const struct updater *a = pa, *b = pb;
    return a->secs != b->secs ? (a->secs < b->secs ? -1 : 1) : strcmp(a->id, b->id);
}

/* RFC 3339 "YYYY-MM-DDTHH:MM:SS..." as a sortable number (0 when missing). */
static long long
time_key(const char *t)
{
    int y, mo, d, h, mi, s;
    if (!t || sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6)
        return 0;
    return ((((((long long)y * 13 + mo) * 32 + d) * 24 + h) * 60 + mi) * 60) + s;
}

/* upstream's capUpdateManagers: with more than KC_MANAGED_MAX_UPDATERS Update entries, the oldest are merged
 * into one "ancient-changes" entry per apiVersion until the count fits. */
static int
cap_updaters(struct kc_managed *m)
{
    size_t count = 0;
    for (size_t i = 0; i < m->n; i++)
        count += m->v[i].operation == KC_MANAGED_UPDATE;
    if (count <= KC_MANAGED_MAX_UPDATERS)
        return 0;
    struct updater *u = kc_calloc(count, sizeof(*u));
    if (!u)
        return -ENOMEM;
    size_t k = 0;
    int rc = 0;
    for (size_t i = 0; i < m->n && rc == 0; i++) {
        if (m->v[i].operation != KC_MANAGED_UPDATE)
            continue;
        u[k].idx = i;
        u[k].secs = time_key(m->v[i].time);
        u[k].id = entry_id(&m->v[i]);
        if (!u[k++].id)
            rc = -ENOMEM;
    }
    if (rc == 0)
        qsort(u, count, sizeof(*u), updater_order);
    /* Work on entry pointers by identity: indices shift as entries merge, so mark the merged ones first. */
    bool *gone = kc_calloc(m->n + 1, sizeof(*gone));
    char **first_ver = kc_calloc(count + 1, sizeof(*first_ver)); /* versions seen, with their first entry */
    size_t *first_idx = kc_calloc(count + 1, sizeof(*first_idx)), nfirst = 0;
    if (!gone || !first_ver || !first_idx)
        rc = -ENOMEM;
    size_t length = count;
    for (size_t i = 0; rc == 0 && i < count && length > KC_MANAGED_MAX_UPDATERS; i++) {
        struct kc_managed_entry *e = &m->v[u[i].idx];
        size_t f = 0;
        while (f < nfirst && strcmp(first_ver[f], e->api_version) != 0)
            f++;
        if (f == nfirst) {
            first_ver[nfirst] = e->api_version;
            first_idx[nfirst++] = u[i].idx;
            continue;
        }
        struct kc_managed_entry *bucket = kc_managed_find(m, KC_MANAGED_ANCIENT, KC_MANAGED_UPDATE, e->api_version, "");
        if (!bucket) {
            /* the first entry of this version becomes the bucket */
            struct kc_managed_entry *first = &m->v[first_idx[f]];
            char *name = kc_strdup(KC_MANAGED_ANCIENT), *sub = kc_strdup("");
            if (!name || !sub) {
                free(name);
                free(sub);
                rc = -ENOMEM;
                break;
            }
            free(first->manager);
            free(first->subresource);
            first->manager = name;
            first->subresource = sub;
            bucket = first;
        }
        struct kc_fieldset *uni;
        if (kc_fieldset_union(e->set, bucket->set, &uni) != 0) {
            rc = -ENOMEM;
            break;
        }
        kc_fieldset_free(bucket->set);
        bucket->set = uni;
        bool timed = e->time != NULL;
        char *t = timed ? kc_strdup(e->time) : NULL; /* before freeing: the bucket may be e itself */
        free(bucket->time);
        bucket->time = t;
        if (timed && !t) {
            rc = -ENOMEM;
            break;
        }
        gone[u[i].idx] = true;
        length--;
    }
    for (size_t i = m->n; rc == 0 && i-- > 0;)
        if (gone[i])
            remove_at(m, i);
    for (size_t i = 0; i < count; i++)
        free(u[i].id);
    free(u);
    free(gone);
    free(first_ver);
    free(first_idx);
    return rc;
}

/* --- Update --- */

/* Takes the ignored fields (and everything below them) out of *s. Returns 0 (in place; kept as a call that can
 * fail for its callers' shape). */
static int
exclude(struct kc_fieldset **s, const struct kc_fieldset *ignored)
{
    kc_fs_subtract(*s, ignored, true);
    return 0;
}

/* Replaces *s by *s minus x (in place). */
static int
replace_diff(struct kc_fieldset **s, const struct kc_fieldset *x)
{
    kc_fs_subtract(*s, x, false);
    return 0;
}

/* The changes from live to obj, with the ignored fields excluded: *am = added or modified, *removed. */
static int
changes(const struct kc_managed_ctx *ctx, const json_t *live, const json_t *obj, struct kc_fieldset **am,
        struct kc_fieldset **removed)
{
    struct kc_fieldset *a = NULL, *mo = NULL, *r = NULL;
    int rc = kc_typed_compare(live, obj, ctx->schema, &a, &mo, &r);
    if (rc == 0)
        rc = exclude(&a, ctx->ignored);
    if (rc == 0)
        rc = exclude(&mo, ctx->ignored);
    if (rc == 0)
        rc = exclude(&r, ctx->ignored);
    if (rc == 0)
        rc = kc_fs_add(a, mo);
    kc_fieldset_free(mo);
    if (rc != 0) {
        kc_fieldset_free(a);
        kc_fieldset_free(r);
        return rc;
    }
    *am = a;
    *removed = r;
    return 0;
}

/* The last steps of an Update on w (a working copy): cur (what the operation now holds, stripped; taken) is
 * merged into manager's entry, stamped ctx->now, unless empty; then capManagers. */
static int
record_update(struct kc_managed *w, const struct kc_managed_ctx *ctx, const char *name, struct kc_fieldset *cur)
{
    int rc = 0;
    if (!kc_fieldset_empty(cur)) {
        struct kc_managed_entry *e = kc_managed_find(w, name, KC_MANAGED_UPDATE, ctx->api_version, ctx->subresource);
        if (e) {
            char *t = kc_strdup(ctx->now);
            rc = t ? kc_fs_add(e->set, cur) : -ENOMEM; /* w is a copy: a failure leaves m as it was */
            if (rc == 0) {
                free(e->time);
                e->time = t;
            } else {
                free(t);
            }
        } else {
            if (!add_entry(w, name, KC_MANAGED_UPDATE, ctx->api_version, ctx->subresource, ctx->now, cur))
                rc = -ENOMEM;
            cur = NULL; /* add_entry took it (or freed it) */
        }
    }
    kc_fieldset_free(cur);
    if (rc == 0)
        rc = cap_updaters(w);
    return rc;
}

int
kc_managed_update(struct kc_managed *m, const struct kc_managed_ctx *ctx, const char *manager, const json_t *live,
                  const json_t *obj)
{
    struct kc_managed w;
    struct kc_fieldset *am = NULL, *removed = NULL, *cur = NULL;
    const char *name = manager && *manager ? manager : "unknown";
    int rc = copy_managed(&w, m);
    if (rc != 0)
        return rc;
    rc = changes(ctx, live, obj, &am, &removed);
    /* every other manager loses what this update changed or removed */
    for (size_t i = 0; rc == 0 && i < w.n; i++) {
        rc = replace_diff(&w.v[i].set, am);
        if (rc == 0)
            rc = replace_diff(&w.v[i].set, removed);
    }
    if (rc == 0 && kc_fieldset_empty(removed)) {
        cur = am; /* nothing removed: the changes are the current operation's fields */
        am = NULL;
    } else if (rc == 0) {
        rc = kc_fieldset_difference(am, removed, &cur);
    }
    if (rc == 0)
        rc = exclude(&cur, ctx->ignored);
    if (rc == 0)
        remove_empty(&w);
    if (rc == 0 && cur) { /* stripMeta applies to the current operation as to every entry */
        const struct kc_fieldset *strip = strip_set();
        rc = strip ? replace_diff(&cur, strip) : -ENOMEM;
    }
    if (rc == 0)
        rc = strip_all(&w);
    if (rc == 0) {
        rc = record_update(&w, ctx, name, cur);
        cur = NULL;
    }
    kc_fieldset_free(am);
    kc_fieldset_free(removed);
    kc_fieldset_free(cur);
    if (rc != 0) {
        kc_managed_close(&w);
        return rc;
    }
    kc_managed_close(m);
    *m = w;
    return 0;
}

/* kc_managed_update against the empty object, without the compare. What the general path computes, and why this
 * is the same:
 *   - am (added and modified) and removed, both without ctx->ignored and everything below it: one walk of obj
 *     each (kc_typed_compare_changes; removed is the added of the reverse compare, a walk of the small empty
 *     object, needed only when the request brought entries);
 *   - the others lose am and removed, then stripMeta: losing am without the stripped fields first is the same,
 *     as they lose those anyway, so both sets come stripped from the walk;
 *   - the operation keeps am minus removed: a path is added, modified or removed at most once, so that is am;
 *     minus ignored (already) and stripped (already). */
int
kc_managed_create(struct kc_managed *m, const struct kc_managed_ctx *ctx, const char *manager, const json_t *obj)
{
    const json_t *empty = kc_typed_empty_object_shared(ctx->schema);
    const struct kc_fieldset *strip = strip_set();
    if (!empty || !strip)
        return -ENOMEM;
    struct kc_managed w;
    struct kc_fieldset *cur = NULL, *removed = NULL;
    const char *name = manager && *manager ? manager : "unknown";
    int rc = copy_managed(&w, m);
    if (rc != 0)
        return rc;
    rc = kc_typed_compare_changes(empty, obj, ctx->schema, true, ctx->ignored, strip, &cur);
    if (rc == 0 && w.n)
        rc = kc_typed_compare_changes(obj, empty, ctx->schema, false, ctx->ignored, strip, &removed);
    for (size_t i = 0; rc == 0 && i < w.n; i++) {
        kc_fs_subtract(w.v[i].set, cur, false);
        kc_fs_subtract(w.v[i].set, removed, false);
    }
    if (rc == 0)
        rc = strip_all(&w); /* which drops the entries left empty */
    if (rc == 0) {
        rc = record_update(&w, ctx, name, cur);
        cur = NULL;
    }
    kc_fieldset_free(cur);
    kc_fieldset_free(removed);
    if (rc != 0) {
        kc_managed_close(&w);
        return rc;
    }
    kc_managed_close(m);
    *m = w;
    return 0;
}

/* The one Update entry of a create that brought no entries, as kc_managed_encode writes it, around fields
 * (taken). */
static int
encode_one(const struct kc_managed_ctx *ctx, const char *name, json_t *fields, json_t **out)
{
    json_t *arr = json_array();
    if (!arr) {
        json_decref(fields);
        return -ENOMEM;
    }
    if (append_entry(arr, name, KC_MANAGED_UPDATE, ctx->api_version, ctx->now, ctx->subresource, fields) != 0) {
        json_decref(arr);
        return -ENOMEM;
    }
    *out = arr;
    return 0;
}

int
kc_managed_create_encode(const struct kc_managed *m, const struct kc_managed_ctx *ctx, const char *manager,
                         const json_t *obj, json_t **out)
{
    if (m->n) { /* entries in the request: they lose what the create takes, so sets are needed */
        struct kc_managed w;
        int rc = copy_managed(&w, m);
        if (rc == 0)
            rc = kc_managed_create(&w, ctx, manager, obj);
        json_t *enc = NULL;
        if (rc == 0 && w.n)
            rc = kc_managed_encode(&w, &enc);
        kc_managed_close(&w);
        if (rc == 0)
            *out = enc;
        return rc;
    }
    /* nothing else: the result is the operation's entry alone (capManagers has nothing to do), its FieldsV1
     * written by the walk */
    const json_t *empty = kc_typed_empty_object_shared(ctx->schema);
    const struct kc_fieldset *strip = strip_set();
    if (!empty || !strip)
        return -ENOMEM;
    json_t *fields;
    int rc = kc_typed_compare_changes_v1(empty, obj, ctx->schema, true, ctx->ignored, strip, &fields);
    if (rc != 0)
        return rc;
    if (json_object_size(fields) == 0) {
        json_decref(fields);
        *out = NULL;
        return 0;
    }
    return encode_one(ctx, manager && *manager ? manager : "unknown", fields, out);
}

int
kc_managed_create_encode_text(const struct kc_managed *m, const struct kc_managed_ctx *ctx, const char *manager,
                              const json_t *obj, struct kc_sb *out)
{
    if (m->n)
        return KC_EUNSUPPORTED;
    const struct kc_fieldset *strip = strip_set();
    if (!strip)
        return -ENOMEM;
    size_t start = out->len;
    /* append_entry's members in its order, as json_dumps writes them */
    kc_sb_add(out, "[{\"manager\":", 12);
    const char *who = manager && *manager ? manager : "unknown";
    kc_sb_json_string(out, who, strlen(who));
    kc_sb_add(out, ",\"operation\":\"Update\",\"apiVersion\":", 35);
    kc_sb_json_string(out, nz(ctx->api_version), strlen(nz(ctx->api_version)));
    if (ctx->now) {
        kc_sb_add(out, ",\"time\":", 8);
        kc_sb_json_string(out, ctx->now, strlen(ctx->now));
    }
    kc_sb_add(out, ",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":", 36);
    size_t fields = out->len;
    int rc = kc_typed_create_changes_v1_text(obj, ctx->schema, ctx->ignored, strip, out);
    if (rc == 0 && out->len - fields == 2 && memcmp(out->p + fields, "{}", 2) == 0) {
        kc_sb_truncate(out, start); /* nothing the manager owns: no entry, no managedFields */
        return 0;
    }
    if (rc == 0 && nz(ctx->subresource)[0]) {
        kc_sb_add(out, ",\"subresource\":", 15);
        kc_sb_json_string(out, ctx->subresource, strlen(ctx->subresource));
    }
    kc_sb_add(out, "}]", 2);
    if (rc == 0 && out->oom)
        rc = -ENOMEM;
    if (rc != 0)
        kc_sb_truncate(out, start);
    return rc;
}

/* --- Apply --- */

static int
set_of(const json_t *v, const struct kc_schema *schema, bool named, struct kc_fieldset **out)
{
    struct kc_fieldset *s;
    int rc = kc_typed_to_set(v, schema, &s);
    if (rc != 0 || !named) {
        if (rc == 0)
            *out = s;
        return rc;
    }
    rc = kc_typed_ensure_named(s, schema, out);
    kc_fieldset_free(s);
    return rc;
}

static int
named(const struct kc_fieldset *s, const struct kc_schema *schema, struct kc_fieldset **out)
{
    return kc_typed_ensure_named(s, schema, out);
}

/* upstream's prune: removes from merged what the applier applied last time (last), did not apply now, and no
 * manager owns; items another manager or nobody owned that were caught along are added back. */
static int
prune(const struct kc_managed_ctx *ctx, const struct kc_managed *w, const json_t *merged,
      const struct kc_fieldset *last, json_t **out)
{
    const struct kc_schema *sc = ctx->schema;
    if (kc_fieldset_empty(last)) {
        *out = json_deep_copy(merged);
        return *out ? 0 : -ENOMEM;
    }
    struct kc_fieldset *ln = NULL, *managed = NULL, *mset = NULL, *pset = NULL, *mn = NULL, *tmp = NULL, *x = NULL;
    json_t *pruned = NULL, *pruned2 = NULL;
    int rc = named(last, sc, &ln);
    if (rc == 0)
        rc = kc_typed_remove(merged, ln, sc, &pruned);
    /* addBackOwnedItems */
    if (rc == 0)
        rc = (managed = kc_fieldset_new()) ? 0 : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < w->n; i++) {
        struct kc_fieldset *u;
        rc = kc_fieldset_union(managed, w->v[i].set, &u);
        if (rc == 0) {
            kc_fieldset_free(managed);
            managed = u;
        }
    }
    if (rc == 0)
        rc = set_of(merged, sc, true, &mset);
    if (rc == 0)
        rc = set_of(pruned, sc, true, &pset);
    if (rc == 0)
        rc = named(managed, sc, &mn);
    if (rc == 0)
        rc = kc_fieldset_union(pset, mn, &tmp);
    if (rc == 0)
        rc = kc_fieldset_difference(mset, tmp, &x);
    if (rc == 0)
        rc = kc_typed_remove(merged, x, sc, &pruned2);
    kc_fieldset_free(pset);
    kc_fieldset_free(tmp);
    kc_fieldset_free(x);
    pset = tmp = x = NULL;
    /* addBackDanglingItems */
    if (rc == 0)
        rc = set_of(pruned2, sc, true, &pset);
    if (rc == 0)
        rc = kc_fieldset_difference(mset, pset, &tmp);
    if (rc == 0)
        rc = kc_fieldset_intersection(tmp, ln, &x);
    if (rc == 0)
        rc = kc_typed_remove(merged, x, sc, out);
    kc_fieldset_free(ln);
    kc_fieldset_free(managed);
    kc_fieldset_free(mset);
    kc_fieldset_free(pset);
    kc_fieldset_free(mn);
    kc_fieldset_free(tmp);
    kc_fieldset_free(x);
    json_decref(pruned);
    json_decref(pruned2);
    return rc;
}

/* One conflicting manager and the paths. */
struct conflict {
    char *id;
    const struct kc_managed_entry *e;
    struct kc_fieldset *set;
};

static int
conflict_order(const void *pa, const void *pb)
{
    return strcmp(((const struct conflict *)pa)->id, ((const struct conflict *)pb)->id);
}

struct cause_ctx {
    json_t *causes;
    const struct kc_managed_entry *e;
    struct kc_sb *msg; /* the message's path lines, or NULL */
};

static int
add_cause(const struct kc_pe *path, size_t n, void *arg)
{
    struct cause_ctx *c = arg;
    char *p = kc_path_string(path, n);
    struct kc_sb m = { 0 };
    kc_sb_str(&m, "conflict with ");
    print_manager(&m, c->e);
    char *mt = kc_sb_take(&m);
    json_t *cause =
        p && mt ? json_pack("{s:s,s:s,s:s}", "reason", "FieldManagerConflict", "message", mt, "field", p) : NULL;
    int rc = cause && json_array_append_new(c->causes, cause) == 0 ? 0 : -ENOMEM;
    if (rc == 0 && c->msg) {
        kc_sb_str(c->msg, "\n- ");
        kc_sb_str(c->msg, p);
    }
    free(p);
    free(mt);
    return rc;
}

/* Fills out from the conflicting managers (sorted by identifier, as upstream sorts them for the message). */
static int
build_conflicts(struct conflict *cs, size_t n, struct kc_managed_conflicts *out)
{
    qsort(cs, n, sizeof(*cs), conflict_order);
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += kc_fieldset_size(cs[i].set);
    json_t *causes = json_array();
    struct kc_sb msg = { 0 };
    int rc = causes ? 0 : -ENOMEM;
    if (total == 1) {
        kc_sb_str(&msg, "Apply failed with 1 conflict: conflict with ");
        print_manager(&msg, cs[0].e);
        kc_sb_str(&msg, ": ");
        struct cause_ctx c = { .causes = causes, .e = cs[0].e };
        if (rc == 0)
            rc = kc_fieldset_iterate(cs[0].set, add_cause, &c);
        if (rc == 0)
            kc_sb_str(&msg, json_string_value(json_object_get(json_array_get(causes, 0), "field")) ?: "");
    } else {
        kc_sb_printf(&msg, "Apply failed with %zu conflicts: ", total);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            if (i)
                kc_sb_str(&msg, "\n");
            kc_sb_str(&msg, "conflicts with ");
            print_manager(&msg, cs[i].e);
            kc_sb_str(&msg, ":");
            struct cause_ctx c = { .causes = causes, .e = cs[i].e, .msg = &msg };
            rc = kc_fieldset_iterate(cs[i].set, add_cause, &c);
        }
    }
    char *text = kc_sb_take(&msg);
    if (rc != 0 || !text) {
        free(text);
        json_decref(causes);
        return rc ? rc : -ENOMEM;
    }
    out->message = text;
    out->causes = causes;
    return 0;
}

/* One Apply attempt on w (a working copy). */
static int
apply_once(struct kc_managed *w, const struct kc_managed_ctx *ctx, const char *manager, const json_t *live,
           const json_t *config, bool force, json_t **out, bool *changed, struct conflict **cs_out, size_t *ncs_out)
{
    const struct kc_schema *sc = ctx->schema;
    json_t *merged = NULL, *obj = NULL;
    struct kc_fieldset *last = NULL, *set = NULL, *am = NULL, *removed = NULL;
    struct conflict *cs = NULL;
    size_t ncs = 0;
    int rc = kc_typed_merge(live, config, sc, &merged);
    struct kc_managed_entry *e = rc == 0 ? kc_managed_find(w, manager, KC_MANAGED_APPLY, NULL, ctx->subresource) : NULL;
    if (rc == 0 && e)
        rc = kc_fieldset_copy(e->set, &last);
    if (rc == 0)
        rc = kc_typed_to_set(config, sc, &set);
    if (rc == 0)
        rc = exclude(&set, ctx->ignored);
    if (rc == 0) {
        if (e) {
            kc_fieldset_free(e->set);
            e->set = set;
            free(e->api_version);
            e->api_version = kc_strdup(ctx->api_version);
            set = NULL;
            if (!e->api_version)
                rc = -ENOMEM;
        } else {
            e = add_entry(w, manager, KC_MANAGED_APPLY, ctx->api_version, ctx->subresource, NULL, set);
            set = NULL;
            if (!e)
                rc = -ENOMEM;
        }
    }
    size_t self = e ? (size_t)(e - w->v) : 0;
    if (rc == 0)
        rc = prune(ctx, w, merged, last, &obj);
    if (rc == 0)
        rc = changes(ctx, live, obj, &am, &removed);
    if (rc == 0 && !(cs = kc_calloc(w->n + 1, sizeof(*cs))))
        rc = -ENOMEM;
    for (size_t i = 0; rc == 0 && i < w->n; i++) {
        if (i == self)
            continue;
        struct kc_fieldset *c;
        if ((rc = kc_fieldset_intersection(w->v[i].set, am, &c)) != 0)
            break;
        if (kc_fieldset_empty(c)) {
            kc_fieldset_free(c);
            continue;
        }
        cs[ncs].e = &w->v[i];
        cs[ncs].set = c;
        cs[ncs].id = entry_id(&w->v[i]);
        if (!cs[ncs++].id)
            rc = -ENOMEM;
    }
    if (rc == 0 && ncs && !force) {
        rc = KC_ECONFLICT;
    } else if (rc == 0) {
        for (size_t i = 0; rc == 0 && i < w->n; i++) {
            if (i == self)
                continue;
            rc = replace_diff(&w->v[i].set, am);
            if (rc == 0)
                rc = replace_diff(&w->v[i].set, removed);
        }
    }
    if (rc == 0) {
        *changed = !kc_json_equal(live, obj);
        if (*changed) {
            free(w->v[self].time);
            w->v[self].time = kc_strdup(ctx->now);
            if (!w->v[self].time)
                rc = -ENOMEM;
        }
    }
    if (rc == 0)
        rc = strip_all(w);
    if (rc == 0)
        rc = cap_updaters(w);
    kc_fieldset_free(last);
    kc_fieldset_free(set);
    kc_fieldset_free(am);
    kc_fieldset_free(removed);
    json_decref(merged);
    if (rc == KC_ECONFLICT) {
        *cs_out = cs;
        *ncs_out = ncs;
        json_decref(obj);
        return rc;
    }
    for (size_t i = 0; i < ncs; i++) {
        free(cs[i].id);
        kc_fieldset_free(cs[i].set);
    }
    free(cs);
    if (rc != 0) {
        json_decref(obj);
        return rc;
    }
    *out = obj;
    return 0;
}

static void
free_conflicts(struct conflict *cs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(cs[i].id);
        kc_fieldset_free(cs[i].set);
    }
    free(cs);
}

/* The last-applied fields whose live values still are what the annotation says (upstream's
 * allowedConflictsFromLastApplied). NULL (with 0) when there is no usable annotation. */
static int
allowed_from_last_applied(const struct kc_managed_ctx *ctx, const json_t *live, struct kc_fieldset **out)
{
    *out = NULL;
    const char *text =
        kc_json_get_string(live, "metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration");
    json_t *last;
    if (!text || !*text || kc_json_parse(text, strlen(text), &last, NULL, 0) != 0)
        return 0;
    if (!json_is_object(last)) {
        json_decref(last);
        return 0;
    }
    struct kc_fieldset *set = NULL, *a = NULL, *mo = NULL, *r = NULL, *t1 = NULL, *t2 = NULL;
    int rc = kc_typed_to_set(last, ctx->schema, &set);
    if (rc == 0)
        rc = kc_typed_compare(last, live, ctx->schema, &a, &mo, &r);
    if (rc == 0)
        rc = kc_fieldset_difference(set, mo, &t1);
    if (rc == 0)
        rc = kc_fieldset_difference(t1, a, &t2);
    if (rc == 0)
        rc = kc_fieldset_difference(t2, r, out);
    kc_fieldset_free(set);
    kc_fieldset_free(a);
    kc_fieldset_free(mo);
    kc_fieldset_free(r);
    kc_fieldset_free(t1);
    kc_fieldset_free(t2);
    json_decref(last);
    return rc;
}

/* A copy of v with object keys sorted (Go's json.Marshal of a map sorts them). */
static json_t *
sorted_copy(const json_t *v)
{
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            json_t *c = sorted_copy(x);
            if (!c || !a || json_array_append_new(a, c) != 0) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    if (!json_is_object(v))
        return json_deep_copy(v);
    size_t n = json_object_size(v), i = 0;
    const char **keys = kc_calloc(n + 1, sizeof(*keys));
    json_t *o = json_object();
    if (!keys || !o) {
        free(keys);
        json_decref(o);
        return NULL;
    }
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x) keys[i++] = k;
    for (i = 1; i < n; i++) /* insertion sort: objects are small */
        for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            const char *t = keys[j];
            keys[j] = keys[j - 1];
            keys[j - 1] = t;
        }
    for (i = 0; i < n; i++) {
        json_t *c = sorted_copy(json_object_get(v, keys[i]));
        if (!c || json_object_set_new(o, keys[i], c) != 0) {
            json_decref(o);
            free(keys);
            return NULL;
        }
    }
    free(keys);
    return o;
}

/* upstream's lastAppliedUpdater: kubectl's server-side apply keeps an existing last-applied annotation current. */
static int
update_last_applied(json_t *obj, const json_t *config)
{
    json_t *ann = kc_json_get(obj, "metadata.annotations");
    if (!json_is_string(json_object_get(ann, KC_LAST_APPLIED)))
        return 0;
    json_t *c = sorted_copy(config);
    if (!c)
        return -ENOMEM;
    json_t *cann = kc_json_get(c, "metadata.annotations");
    if (json_is_object(cann)) {
        json_object_del(cann, KC_LAST_APPLIED);
        if (json_object_size(cann) == 0)
            kc_json_del(c, "metadata.annotations");
    }
    struct kc_sb b = { 0 };
    kc_sb_go_json(&b, c);
    kc_sb_add(&b, "\n", 1);
    json_decref(c);
    char *text = kc_sb_take(&b);
    if (!text)
        return -ENOMEM;
    int rc = json_object_set_new(ann, KC_LAST_APPLIED, json_string(text)) == 0 ? 0 : -ENOMEM;
    free(text);
    return rc;
}

int
kc_managed_apply(struct kc_managed *m, const struct kc_managed_ctx *ctx, const char *manager, const json_t *live,
                 const json_t *config, bool force, json_t **out, bool *changed, struct kc_managed_conflicts *conflicts)
{
    if (!json_is_object(live) || !json_is_object(config))
        return KC_EINVALID;
    struct kc_managed w;
    struct conflict *cs = NULL;
    size_t ncs = 0;
    json_t *obj = NULL;
    bool ch = false;
    int rc = copy_managed(&w, m);
    if (rc != 0)
        return rc;
    rc = apply_once(&w, ctx, manager, live, config, force, &obj, &ch, &cs, &ncs);
    if (rc == KC_ECONFLICT && manager && strcmp(manager, "kubectl") == 0) {
        /* upstream's lastAppliedManager: conflicts on fields last applied client-side with the values they
         * still have are taken over */
        struct kc_fieldset *allowed;
        int arc = allowed_from_last_applied(ctx, live, &allowed);
        if (arc != 0) {
            rc = arc;
        } else if (allowed) {
            size_t keep = 0;
            for (size_t i = 0; i < ncs; i++) {
                struct kc_fieldset *d = NULL;
                if (rc == KC_ECONFLICT && kc_fieldset_difference(cs[i].set, allowed, &d) != 0)
                    rc = -ENOMEM;
                if (d) {
                    kc_fieldset_free(cs[i].set);
                    cs[i].set = d;
                    if (kc_fieldset_empty(d)) {
                        kc_fieldset_free(d);
                        free(cs[i].id);
                        continue;
                    }
                }
                cs[keep++] = cs[i];
            }
            ncs = keep;
            if (rc == KC_ECONFLICT && ncs == 0) {
                free_conflicts(cs, 0);
                cs = NULL;
                kc_managed_close(&w);
                if ((rc = copy_managed(&w, m)) == 0)
                    rc = apply_once(&w, ctx, manager, live, config, true, &obj, &ch, &cs, &ncs);
            }
            kc_fieldset_free(allowed);
        }
    }
    if (rc == KC_ECONFLICT) {
        int brc = build_conflicts(cs, ncs, conflicts);
        free_conflicts(cs, ncs);
        kc_managed_close(&w);
        return brc ? brc : KC_ECONFLICT;
    }
    free_conflicts(cs, ncs);
    if (rc == 0 && manager && strcmp(manager, "kubectl") == 0) {
        rc = update_last_applied(obj, config);
        if (rc == 0)
            ch = !kc_json_equal(live, obj);
    }
    if (rc != 0) {
        json_decref(obj);
        kc_managed_close(&w);
        return rc;
    }
    kc_managed_close(m);
    *m = w;
    *out = obj;
    *changed = ch;
    return 0;
}
