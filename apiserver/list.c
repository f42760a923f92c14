/* list.c - LIST (api_list.h) from the stored bytes: pages of stored objects are read (lent by the embedded store,
 * without a copy) and filtered by the selectors on the few values they need (rawjson.c), then the response - a
 * <Kind>List or a Table - is written once into a buffer of the right size, items spliced from the stored bytes with
 * their resourceVersion; each object's shape is kept by key and revision, so that it is scanned once. An object
 * the raw path cannot handle exactly is parsed, alone, as the object helpers do. Also the continue tokens and the
 * selectors of lists and watches. Runs on worker threads. */
#include "api_codec.h"
#include "api_events.h"
#include "api_list.h"
#include "api_rawjson.h"
#include "kc_crypto.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_jarena.h"
#include "kc_json.h"
#include "kc_selector.h"
#include "kc_time.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_MAX_LIST_ITEMS 500000 /* a list without limit reads at most this many objects */
#define SELECT_CHUNK       100    /* keys read at a time at least when selectors filter (upstream's pager) */
#define KEY_MAX            2100

/* --- continue tokens --- */

/* A continue token as upstream writes it: base64 of {"v":"meta.k8s.io/v1","rv":N,"start":"<key suffix>\u0000"}. */
static char *
make_continue(int64_t rv, const char *start)
{
    json_t *t = json_pack("{s:s,s:I,s:s}", "v", "meta.k8s.io/v1", "rv", (json_int_t)rv, "start", start);
    char *text = kc_jarena_dumps(t, JSON_COMPACT);
    json_decref(t);
    char *b64 = text ? kc_base64_encode(text, strlen(text)) : NULL;
    free(text);
    return b64;
}

static int
parse_continue(const char *tok, int64_t *rv, char *start, size_t len)
{
    uint8_t *raw;
    size_t n;
    json_t *t;
    if (kc_base64_decode(tok, strlen(tok), &raw, &n) != 0)
        return -1;
    int rc = kc_json_parse((const char *)raw, n, &t, NULL, 0);
    free(raw);
    if (rc != 0)
        return -1;
    const char *s = json_string_value(json_object_get(t, "start"));
    json_int_t r = json_integer_value(json_object_get(t, "rv"));
    if (!s || r <= 0 || strcmp(json_string_value(json_object_get(t, "v")) ?: "", "meta.k8s.io/v1") != 0) {
        json_decref(t);
        return -1;
    }
    snprintf(start, len, "%s", s);
    *rv = r;
    json_decref(t);
    return 0;
}

/* --- selectors --- */

int
api_parse_selectors(struct api_request *rq, struct api_reply *rep, struct kc_label_selector **ls,
                    struct kc_field_selector **fs)
{
    char err[512];
    *ls = NULL;
    *fs = NULL;
    if (rq->label_selector && kc_label_selector_parse(rq->label_selector, ls, err, sizeof(err)) != 0) {
        api_reply_statusf(rep, 400, "BadRequest", "%s", err);
        return -1;
    }
    if (rq->field_selector && kc_field_selector_parse(rq->field_selector, fs, err, sizeof(err)) != 0) {
        kc_label_selector_free(*ls);
        *ls = NULL;
        api_reply_statusf(rep, 400, "BadRequest", "%s", err);
        return -1;
    }
    if (*fs) {
        static const char *const always[] = { "metadata.name", "metadata.namespace", NULL };
        const char *const *allowed = rq->res->field_selectors;
        for (size_t i = 0; i < kc_field_selector_count(*fs); i++) {
            const char *field, *value;
            enum kc_field_op op;
            kc_field_selector_term(*fs, i, &field, &op, &value);
            bool ok = false;
            for (const char *const *a = always; *a; a++)
                ok = ok || strcmp(*a, field) == 0;
            for (const char *const *a = allowed; a && *a; a++)
                ok = ok || strcmp(*a, field) == 0;
            if (!ok) {
                api_reply_statusf(rep, 400, "BadRequest", "field label not supported: %s", field);
                kc_label_selector_free(*ls);
                kc_field_selector_free(*fs);
                *ls = NULL;
                *fs = NULL;
                return -1;
            }
        }
    }
    return 0;
}

/* Field selectors read an object's members at their paths, except for an Event (of either version), whose
 * selectable fields upstream computes (api_event_fields: "source" is the source's component or the reporting
 * controller). */
bool
api_selectors_match(const struct kc_label_selector *ls, const struct kc_field_selector *fs, const json_t *obj)
{
    if (ls && !kc_label_selector_matches(ls, kc_json_get(obj, "metadata.labels")))
        return false;
    if (!fs)
        return true;
    json_t *ev = api_event_fields(obj);
    bool ok = kc_field_selector_matches(fs, ev ? ev : obj);
    json_decref(ev);
    return ok;
}

/* --- reading: the pages and the objects picked from them --- */

struct pick {
    uint32_t page, index;
};

struct listing {
    struct api_obj_page **pages;
    size_t npages, cap_pages;
    struct pick *picks;
    size_t npicks, cap_picks;
    size_t bytes; /* the stored bytes of the picked objects */
    int64_t rev;  /* the revision every page was read at */
    bool more;    /* keys remain after the last one looked at */
    bool counted; /* remaining is known: a page of a list without selectors (upstream's remainingItemCount) */
    int64_t remaining;
    char last_key[KEY_MAX];
    char *text; /* the decoded text of the compressed value being looked at (text_of) */
    size_t text_cap;
};

/* kv with its value as JSON text: kv itself, or (a compressed value) *tmp with the value decoded into l->text,
 * valid until the next call. NULL with *rc set when it cannot be decoded (KC_EINTERNAL, -ENOMEM). */
static const struct api_obj_kv *
text_of(struct listing *l, const struct api_obj_kv *kv, struct api_obj_kv *tmp, int *rc)
{
    if (!api_codec_packed(kv->value, kv->value_len))
        return kv;
    *tmp = *kv;
    int r = api_codec_open_buf(kv->value, kv->value_len, &tmp->value, &tmp->value_len, &l->text, &l->text_cap);
    if (r != 0) {
        *rc = r;
        return NULL;
    }
    return tmp;
}

/* The length of kv's JSON text (compressed values: decoded). */
static size_t
text_len(const struct api_obj_kv *kv)
{
    size_t n = api_codec_text_len(kv->value, kv->value_len);
    return n ? n : kv->value_len;
}

static void
listing_free(struct listing *l)
{
    for (size_t i = 0; i < l->npages; i++)
        api_obj_page_free(l->pages[i]);
    free(l->pages);
    free(l->picks);
    free(l->text);
}

static int
grow(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 64;
    while (ncap < need)
        ncap *= 2;
    void *p = kc_realloc(*arr, ncap * size);
    if (!p)
        return -ENOMEM;
    *arr = p;
    *cap = ncap;
    return 0;
}

/* --- the shape cache ---
 *
 * Scanning the stored bytes (api_raw_shape: every byte validated as jansson would) is most of a list's work, and a
 * list reads the same unchanged objects again and again. An object's bytes are the same for as long as its key
 * and mod_revision are - when the store says so (api_obj_page.stable: the embedded store's own MVCC records,
 * which are never rewritten) - so its shape is kept by (key, mod_revision, length) and the next list of that
 * object copies the offsets instead of scanning. Only offsets are kept (the members of the top level and of
 * metadata: a few hundred bytes an object), in SHAPE_SHARDS shards with a lock each, SHAPE_SHARD_BYTES each at
 * most: a shard that is full is emptied and fills again, so the cache never holds more than SHAPE_SHARDS *
 * SHAPE_SHARD_BYTES (32 MiB: about 80,000 pods' shapes), and its memory grows only as objects are listed. Entries
 * of objects since changed or deleted are never hit again and go when their shard is emptied. */

#define SHAPE_SHARDS      16
#define SHAPE_SHARD_BYTES (2u << 20)
#define SHAPE_CHUNK       (256u << 10) /* a shard's memory is taken in chunks of this */
#define SHAPE_BUCKETS     1024         /* hash buckets per shard */

struct shape_entry {
    struct shape_entry *next; /* in its bucket */
    uint64_t hash;            /* of the key */
    int64_t rev;              /* mod_revision */
    uint32_t vlen, klen;
    uint8_t ntop, nmeta;
    int8_t meta;  /* sh->meta */
    int8_t state; /* api_raw_shape's result: 0, or -1 (the raw path cannot take it: parse it) */
    uint32_t m[]; /* (ntop + nmeta) members of 5 offsets (key, key_len, start, value, end), then the key */
};

struct shape_chunk {
    struct shape_chunk *next;
    size_t used;
    char mem[SHAPE_CHUNK];
};

struct shape_shard {
    pthread_mutex_t lock;
    struct shape_entry *buckets[SHAPE_BUCKETS];
    struct shape_chunk *chunks; /* the newest first */
    size_t nchunks;
};

static struct shape_shard shape_shards[SHAPE_SHARDS] = { [0 ... SHAPE_SHARDS - 1] = { .lock =
                                                                                          PTHREAD_MUTEX_INITIALIZER } };

static uint64_t
key_hash(const char *key, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
    return h;
}

/* A key's shard: its hash's top bits (the low ones pick the bucket). */
static struct shape_shard *
shard_of(uint64_t h)
{
    _Static_assert(SHAPE_SHARDS == 16, "the top 4 bits pick the shard");
    return &shape_shards[h >> 60];
}

/* Empties a shard (lock held): its chunks are freed, the buckets cleared. */
static void
shard_clear(struct shape_shard *sd)
{
    while (sd->chunks) {
        struct shape_chunk *c = sd->chunks;
        sd->chunks = c->next;
        free(c);
    }
    sd->nchunks = 0;
    memset(sd->buckets, 0, sizeof(sd->buckets));
}

static struct shape_entry *
shard_find(struct shape_shard *sd, uint64_t h, const struct api_obj_kv *kv)
{
    for (struct shape_entry *e = sd->buckets[h % SHAPE_BUCKETS]; e; e = e->next)
        if (e->hash == h && e->rev == kv->mod_revision && e->vlen == kv->value_len && e->klen == kv->key_len &&
            memcmp((const char *)(e->m + 5u * (e->ntop + e->nmeta)), kv->key, kv->key_len) == 0)
            return e;
    return NULL;
}

static void
members_out(const uint32_t *m, struct api_raw_member *out, size_t n)
{
    for (size_t i = 0; i < n; i++, m += 5)
        out[i] = (struct api_raw_member){ m[0], m[1], m[2], m[3], m[4] };
}

static void
members_in(const struct api_raw_member *in, uint32_t *m, size_t n)
{
    for (size_t i = 0; i < n; i++, m += 5) {
        m[0] = (uint32_t)in[i].key, m[1] = (uint32_t)in[i].key_len, m[2] = (uint32_t)in[i].start;
        m[3] = (uint32_t)in[i].value, m[4] = (uint32_t)in[i].end;
    }
}

/* kv's cached shape into sh: its api_raw_shape result (0 or -1), or 1 when not cached. */
static int
shape_cached(const struct api_obj_kv *kv, struct api_raw_shape *sh)
{
    uint64_t h = key_hash(kv->key, kv->key_len);
    struct shape_shard *sd = shard_of(h);
    pthread_mutex_lock(&sd->lock);
    struct shape_entry *e = shard_find(sd, h, kv);
    int state = e ? e->state : 1;
    if (e && state == 0) {
        sh->s = kv->value;
        sh->n = kv->value_len;
        sh->ntop = e->ntop;
        sh->nmeta = e->nmeta;
        sh->meta = e->meta;
        members_out(e->m, sh->top, e->ntop);
        members_out(e->m + 5u * e->ntop, sh->meta_m, e->nmeta);
    }
    pthread_mutex_unlock(&sd->lock);
    return state;
}

/* Keeps kv's shape (state: api_raw_shape's result, sh its shape when 0). Nothing happens when memory is short. */
static void
shape_keep(const struct api_obj_kv *kv, const struct api_raw_shape *sh, int state)
{
    if (kv->value_len > UINT32_MAX || kv->key_len > KEY_MAX)
        return;
    size_t nm = state == 0 ? sh->ntop + sh->nmeta : 0;
    size_t size = (sizeof(struct shape_entry) + 5 * sizeof(uint32_t) * nm + kv->key_len + 7) & ~(size_t)7;
    uint64_t h = key_hash(kv->key, kv->key_len);
    struct shape_shard *sd = shard_of(h);
    pthread_mutex_lock(&sd->lock);
    if (shard_find(sd, h, kv)) { /* another list kept it meanwhile */
        pthread_mutex_unlock(&sd->lock);
        return;
    }
    struct shape_chunk *c = sd->chunks;
    if (!c || c->used + size > SHAPE_CHUNK) {
        if ((sd->nchunks + 1) * sizeof(*c) > SHAPE_SHARD_BYTES)
            shard_clear(sd);
        c = kc_malloc(sizeof(*c));
        if (!c) {
            pthread_mutex_unlock(&sd->lock);
            return;
        }
        c->used = 0;
        c->next = sd->chunks;
        sd->chunks = c;
        sd->nchunks++;
    }
    struct shape_entry *e = (struct shape_entry *)(c->mem + c->used);
    c->used += size;
    *e = (struct shape_entry){ .hash = h,
                               .rev = kv->mod_revision,
                               .vlen = (uint32_t)kv->value_len,
                               .klen = (uint32_t)kv->key_len,
                               .ntop = (uint8_t)(state == 0 ? sh->ntop : 0),
                               .nmeta = (uint8_t)(state == 0 ? sh->nmeta : 0),
                               .meta = (int8_t)(state == 0 ? sh->meta : -1),
                               .state = (int8_t)state };
    if (state == 0) {
        members_in(sh->top, e->m, sh->ntop);
        members_in(sh->meta_m, e->m + 5 * sh->ntop, sh->nmeta);
    }
    memcpy((char *)(e->m + 5 * nm), kv->key, kv->key_len);
    e->next = sd->buckets[h % SHAPE_BUCKETS];
    sd->buckets[h % SHAPE_BUCKETS] = e;
    pthread_mutex_unlock(&sd->lock);
}

void
api_list_shape_seed(const char *key, size_t key_len, int64_t rev, const char *value, size_t value_len,
                    const struct api_raw_shape *sh)
{
    struct api_obj_kv kv = {
        .key = key, .key_len = key_len, .value = value, .value_len = value_len, .mod_revision = rev
    };
    shape_keep(&kv, sh, 0);
}

/* The initial state of a kv for shape_of: 2 when its page is stable (its shape may come from and go to the
 * cache), else 1. */
static int
fresh_state(const struct api_obj_page *p)
{
    return p->stable ? 2 : 1;
}

/* kv's shape in sh: 0, or -1 when the raw path cannot take kv. *state remembers it for kv (fresh_state: not known
 * yet), so that each object is scanned once - or not at all when the cache has it. */
static int
shape_of(const struct api_obj_kv *kv, struct api_raw_shape *sh, int *state)
{
    if (*state == 2 && (*state = shape_cached(kv, sh)) == 1) {
        *state = api_raw_shape(kv->value, kv->value_len, sh);
        shape_keep(kv, sh, *state);
    } else if (*state == 1) {
        *state = api_raw_shape(kv->value, kv->value_len, sh);
    }
    return *state;
}

/* 1 when kv passes the selectors, 0 when not, or an error (KC_EINTERNAL: not a JSON object). Looks at the stored
 * bytes, and parses them only when those cannot tell. */
static int
select_kv(const struct kc_label_selector *ls, const struct kc_field_selector *fs, const struct api_obj_kv *kv,
          struct api_raw_shape *sh, int *state)
{
    if (!ls && !fs)
        return 1;
    int r = shape_of(kv, sh, state) == 0 ? api_raw_selectors_match(ls, fs, sh) : -1;
    if (r >= 0)
        return r;
    json_t *o;
    int rc = api_obj_decode(kv->value, kv->value_len, kv->mod_revision, &o);
    if (rc != 0)
        return rc;
    r = api_selectors_match(ls, fs, o) ? 1 : 0;
    json_decref(o);
    return r;
}

/* Reads pages from `after` until limit objects pass the selectors (or the keys run out), as upstream: the
 * continue point is the last key looked at. at: the revision (0: current). */
static int
collect(struct api_request *rq, const char *prefix, int64_t at, int64_t limit, const char *after,
        const struct kc_label_selector *ls, const struct kc_field_selector *fs, struct listing *l,
        struct api_raw_shape *sh)
{
    bool selecting = ls || fs;
    for (;;) {
        int64_t want = limit ? limit - (int64_t)l->npicks : 0;
        int64_t chunk = limit && selecting && want < SELECT_CHUNK ? SELECT_CHUNK : want;
        struct api_obj_page *p;
        int rc = api_obj_list_page(rq->srv->store, prefix, at, chunk, after, &p);
        if (rc != 0)
            return rc;
        if (grow((void **)&l->pages, &l->cap_pages, l->npages + 1, sizeof(*l->pages)) != 0) {
            api_obj_page_free(p);
            return -ENOMEM;
        }
        l->pages[l->npages++] = p;
        at = l->rev = p->revision; /* every further page reads the same snapshot */
        l->more = p->more;
        if (grow((void **)&l->picks, &l->cap_picks, l->npicks + p->n, sizeof(*l->picks)) != 0)
            return -ENOMEM;
        bool full = false;
        for (size_t i = 0; i < p->n && !full; i++) {
            const struct api_obj_kv *kv = &p->kvs[i];
            if (kv->key_len >= sizeof(l->last_key))
                return KC_EINTERNAL;
            memcpy(l->last_key, kv->key, kv->key_len);
            l->last_key[kv->key_len] = '\0';
            int state = fresh_state(p);
            struct api_obj_kv tmp;
            const struct api_obj_kv *t = selecting ? text_of(l, kv, &tmp, &rc) : kv;
            int r = t ? select_kv(ls, fs, t, sh, &state) : rc;
            if (r < 0)
                return r;
            if (r) {
                l->picks[l->npicks++] = (struct pick){ (uint32_t)(l->npages - 1), (uint32_t)i };
                l->bytes += text_len(kv);
            }
            if (limit && (int64_t)l->npicks >= limit) {
                full = true;
                l->more = l->more || i + 1 < p->n;
            }
        }
        if (full || !l->more || l->npicks > API_MAX_LIST_ITEMS || p->n == 0)
            return 0;
        after = l->last_key;
    }
}

/* --- writing --- */

/* Appends the JSON text of v (no memory: oom). */
static void
add_json(struct api_rawbuf *b, const json_t *v)
{
    api_raw_dump(b, v);
}

/* One item of a <Kind>List: from the stored bytes, or parsed and encoded when those are unusual. */
static int
write_item(struct api_rawbuf *b, const struct api_obj_kv *kv, struct api_raw_shape *sh, int *state)
{
    if (shape_of(kv, sh, state) == 0) {
        api_raw_object(b, sh, kv->mod_revision, false);
        return 0;
    }
    json_t *o;
    int rc = api_obj_decode(kv->value, kv->value_len, kv->mod_revision, &o);
    if (rc != 0)
        return rc;
    json_object_del(o, "kind");
    json_object_del(o, "apiVersion");
    add_json(b, o);
    json_decref(o);
    return 0;
}

/* One row of a Table: the kind's cells from the parsed object, and its metadata as PartialObjectMetadata (from
 * the stored bytes when they can be rewritten in place). */
static int
set_parsed(json_t *o, const char *s, const struct api_raw_member *m)
{
    char key[256];
    if (m->key_len >= sizeof(key))
        return -1;
    memcpy(key, s + m->key, m->key_len);
    key[m->key_len] = '\0';
    json_t *v = api_raw_parse(s + m->value, m->end - m->value, false);
    return v ? json_object_set_new(o, key, v) : -1;
}

/* The object as a Table row reads it, parsed member by member from its shape but for metadata.managedFields
 * (often most of an object's bytes, and no row reads them): what api_obj_decode gives without that member.
 * NULL when a member cannot be parsed here (the caller decodes the whole object). */
static json_t *
row_object(const struct api_raw_shape *sh, int64_t rev)
{
    json_t *o = json_object(), *meta = NULL;
    int rc = o ? 0 : -1;
    for (size_t k = 0; rc == 0 && k < sh->ntop; k++) {
        if ((int)k != sh->meta) {
            rc = set_parsed(o, sh->s, &sh->top[k]);
            continue;
        }
        meta = json_object();
        rc = meta && json_object_set_new(o, "metadata", meta) == 0 ? 0 : -1;
        for (size_t j = 0; rc == 0 && j < sh->nmeta; j++) {
            const struct api_raw_member *m = &sh->meta_m[j];
            if (!(m->key_len == 13 && memcmp(sh->s + m->key, "managedFields", 13) == 0))
                rc = set_parsed(meta, sh->s, m);
        }
    }
    if (rc == 0 && !meta) {
        meta = json_object();
        rc = meta && json_object_set_new(o, "metadata", meta) == 0 ? 0 : -1;
    }
    if (rc == 0)
        rc = json_object_set_new(meta, "resourceVersion", json_sprintf("%" PRId64, rev));
    if (rc != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int
write_row(struct api_rawbuf *b, const struct api_request *rq, const struct api_obj_kv *kv, int64_t now,
          struct api_raw_shape *sh, int *state)
{
    json_t *o = NULL;
    bool whole = rq->include_object == API_INCLUDE_OBJECT; /* the row carries the whole object: parse it all */
    bool shaped = !whole && shape_of(kv, sh, state) == 0;
    if (shaped)
        o = row_object(sh, kv->mod_revision);
    if (!o) {
        int rc = api_obj_decode(kv->value, kv->value_len, kv->mod_revision, &o);
        if (rc != 0)
            return rc;
    }
    json_t *cells = json_array();
    if (!cells) {
        json_decref(o);
        return -ENOMEM;
    }
    if (rq->res->row)
        rq->res->row(rq->res, o, now, cells);
    api_rawbuf_add(b, "{\"cells\":", 9);
    add_json(b, cells);
    json_decref(cells);
    if (rq->include_object != API_INCLUDE_METADATA) {
        if (whole) {
            api_rawbuf_add(b, ",\"object\":", 10);
            add_json(b, o);
        }
        api_rawbuf_add(b, "}", 1);
        json_decref(o);
        return 0;
    }
    char head[96];
    int hl = snprintf(head, sizeof(head),
                      ",\"object\":{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/%s\",\"metadata\":",
                      rq->table_version ? rq->table_version : "v1");
    api_rawbuf_add(b, head, (size_t)hl);
    if (shaped) {
        api_raw_meta(b, sh, kv->mod_revision);
    } else {
        json_t *meta = json_deep_copy(json_object_get(o, "metadata"));
        json_object_del(meta, "managedFields");
        add_json(b, meta);
        json_decref(meta);
    }
    api_rawbuf_add(b, "}}", 2);
    json_decref(o);
    return 0;
}

/* The response's head up to the opening '[' of its items or rows: kind, apiVersion, metadata (resourceVersion,
 * continue) and, for a Table, the column definitions. */
static int
write_head(struct api_rawbuf *b, const struct api_request *rq, const struct listing *l, const char *prefix,
           int64_t limit)
{
    json_t *meta = json_pack("{s:o}", "resourceVersion", json_sprintf("%" PRId64, l->rev));
    if (!meta)
        return -ENOMEM;
    if (limit && l->more && l->last_key[0]) {
        char *tok = make_continue(l->rev, l->last_key + strlen(prefix));
        if (tok)
            json_object_set_new(meta, "continue", json_string(tok));
        free(tok);
        if (l->counted) /* as upstream's etcd3 store: the range's count less what this page holds */
            json_object_set_new(meta, "remainingItemCount", json_integer(l->remaining));
    }
    json_t *head;
    if (rq->want_table) {
        char av[32];
        snprintf(av, sizeof(av), "meta.k8s.io/%s", rq->table_version ? rq->table_version : "v1");
        head = json_pack("{s:s,s:s,s:o,s:o}", "kind", "Table", "apiVersion", av, "metadata", meta, "columnDefinitions",
                         api_table_columns(rq->res));
    } else {
        char av[128], kind[160];
        api_resource_api_version(rq->res, av, sizeof(av));
        snprintf(kind, sizeof(kind), "%sList", rq->res->kind);
        head = json_pack("{s:s,s:s,s:o}", "kind", kind, "apiVersion", av, "metadata", meta);
    }
    char *text = head ? kc_jarena_dumps(head, JSON_COMPACT) : NULL;
    json_decref(head);
    if (!text)
        return -ENOMEM;
    api_rawbuf_add(b, text, strlen(text) - 1); /* without its closing '}' */
    free(text);
    if (rq->want_table)
        api_rawbuf_add(b, ",\"rows\":[", 9);
    else
        api_rawbuf_add(b, ",\"items\":[", 10);
    return b->oom ? -ENOMEM : 0;
}

static int
write_list(struct api_rawbuf *b, const struct api_request *rq, struct listing *l, const char *prefix, int64_t limit,
           struct api_raw_shape *sh)
{
    /* one allocation for the whole answer: the items are about as long as the stored bytes (without kind and
     * apiVersion, with a resourceVersion); a Table row is shorter, or grows the buffer */
    if (!api_rawbuf_reserve(b, 4096 + l->bytes + 64 * l->npicks))
        return -ENOMEM;
    int rc = write_head(b, rq, l, prefix, limit);
    int64_t now = kc_time_now().sec;
    for (size_t i = 0; rc == 0 && i < l->npicks; i++) {
        const struct api_obj_page *p = l->pages[l->picks[i].page];
        struct api_obj_kv tmp;
        const struct api_obj_kv *kv = text_of(l, &p->kvs[l->picks[i].index], &tmp, &rc);
        if (!kv)
            break;
        if (i > 0)
            api_rawbuf_add(b, ",", 1);
        int state = fresh_state(p);
        rc = rq->want_table ? write_row(b, rq, kv, now, sh, &state) : write_item(b, kv, sh, &state);
    }
    api_rawbuf_add(b, "]}", 2);
    return rc == 0 && b->oom ? -ENOMEM : rc;
}

/* What list_one_range's page callback writes with. */
struct one_range {
    struct api_rawbuf *b;
    struct api_request *rq;
    const char *prefix;
    int64_t limit;
    const struct kc_label_selector *ls;
    const struct kc_field_selector *fs;
    struct api_raw_shape *sh;
    struct listing *l;
};

/* The whole list from the one page lent by the store (api_obj_list_lend: with the embedded store the stored
 * bytes are LMDB's, read inside its read transaction, so this must not call the store). */
static int
write_one_range(const struct api_obj_page *p, void *arg)
{
    const struct one_range *c = arg;
    struct api_rawbuf *b = c->b;
    struct api_request *rq = c->rq;
    struct listing *l = c->l;
    struct api_raw_shape *sh = c->sh;
    int rc = 0;
    l->rev = p->revision;
    l->more = p->more;
    /* a limit is read as one range only without selectors (list_one_range): every key read is an item */
    l->counted = c->limit && p->more && p->count >= (int64_t)p->n;
    l->remaining = p->count - (int64_t)p->n;
    size_t bytes = 0;
    for (size_t i = 0; i < p->n; i++)
        bytes += text_len(&p->kvs[i]);
    if (p->n) {
        const struct api_obj_kv *last = &p->kvs[p->n - 1];
        if (last->key_len >= sizeof(l->last_key))
            rc = KC_EINTERNAL;
        else {
            memcpy(l->last_key, last->key, last->key_len);
            l->last_key[last->key_len] = '\0';
        }
    }
    if (rc == 0 && !api_rawbuf_reserve(b, 4096 + bytes + 64 * p->n))
        rc = -ENOMEM;
    if (rc == 0)
        rc = write_head(b, rq, l, c->prefix, c->limit);
    int64_t now = kc_time_now().sec;
    size_t count = 0;
    for (size_t i = 0; rc == 0 && i < p->n && count <= API_MAX_LIST_ITEMS; i++) {
        struct api_obj_kv tmp;
        const struct api_obj_kv *kv = text_of(l, &p->kvs[i], &tmp, &rc);
        if (!kv)
            break;
        int state = fresh_state(p);
        int r = select_kv(c->ls, c->fs, kv, sh, &state);
        if (r <= 0) {
            rc = r;
            continue;
        }
        if (count++ > 0)
            api_rawbuf_add(b, ",", 1);
        rc = rq->want_table ? write_row(b, rq, kv, now, sh, &state) : write_item(b, kv, sh, &state);
    }
    api_rawbuf_add(b, "]}", 2);
    return rc == 0 && b->oom ? -ENOMEM : rc;
}

/* A list that is one range read (no limit: every key; or a limit without selectors: every key read is an item):
 * the head is known once the range is read, so each object is scanned once (or not at all: the shape cache),
 * selected and written in one pass, from the stored bytes as the store lends them. */
static int
list_one_range(struct api_rawbuf *b, struct api_request *rq, const char *prefix, int64_t at, int64_t limit,
               const char *after, const struct kc_label_selector *ls, const struct kc_field_selector *fs,
               struct api_raw_shape *sh, struct listing *l)
{
    struct one_range c = { b, rq, prefix, limit, ls, fs, sh, l };
    return api_obj_list_lend(rq->srv->store, prefix, at, limit, after, write_one_range, &c);
}

/* Replies the error of a list's store read (at: the revision asked for). */
static void
list_error(struct api_request *rq, struct api_reply *rep, int rc, int64_t at)
{
    int64_t cur = 0;
    if (rc == KC_ECOMPACTED && rq->continue_)
        api_reply_statusf(rep, 410, "Expired",
                          "The provided continue parameter is too old to display a consistent list result. You "
                          "can start a new list without the continue parameter.");
    else if (rc == KC_EFUTUREREV && api_store_revision(rq->srv->store, &cur) == 0)
        api_reply_statusf(rep, 504, "Timeout", "Too large resource version: %s, current: %" PRId64,
                          rq->resource_version ? rq->resource_version : "", cur);
    else if (rc == KC_ECOMPACTED)
        api_reply_statusf(rep, 410, "Expired", "too old resource version: %" PRId64, at);
    else
        api_reply_error(rep, rq, rc);
}

void
api_list(struct api_request *rq, struct api_reply *rep)
{
    struct kc_label_selector *ls;
    struct kc_field_selector *fs;
    if (api_parse_selectors(rq, rep, &ls, &fs) != 0)
        return;
    char prefix[1024], start[1024] = "";
    api_storage_key(rq->res, rq->namespace, NULL, prefix, sizeof(prefix));
    int64_t at = 0, limit = 0;
    if (rq->limit) {
        limit = strtoll(rq->limit, NULL, 10);
        if (limit < 0)
            limit = 0;
    }
    struct listing l = { 0 };
    struct api_rawbuf b = { 0 };
    struct api_raw_shape *sh = NULL;
    if (rq->continue_ && *rq->continue_) {
        if (parse_continue(rq->continue_, &at, start, sizeof(start)) != 0) {
            api_reply_statusf(rep, 400, "BadRequest",
                              "continue key is not valid: incorrect encoded start resourceVersion "
                              "(version meta.k8s.io/v1)");
            goto out;
        }
    } else if (rq->resource_version && *rq->resource_version && strcmp(rq->resource_version, "0") != 0) {
        char *end;
        int64_t v = strtoll(rq->resource_version, &end, 10);
        if (*end || v <= 0) {
            api_reply_statusf(rep, 400, "BadRequest",
                              "resourceVersion: Invalid value: \"%s\": must be a non-negative integer",
                              rq->resource_version);
            goto out;
        }
        if (rq->resource_version_match && strcmp(rq->resource_version_match, "Exact") == 0)
            at = v;
        /* NotOlderThan (and the legacy default): the current state is not older than v */
    }
    char after[KEY_MAX];
    snprintf(after, sizeof(after), "%s%s", prefix, start);
    sh = kc_malloc(sizeof(*sh));
    int rc;
    if (!sh)
        rc = -ENOMEM;
    else if (!limit || (!ls && !fs))
        rc = list_one_range(&b, rq, prefix, at, limit, start[0] ? after : NULL, ls, fs, sh, &l);
    else if ((rc = collect(rq, prefix, at, limit, start[0] ? after : NULL, ls, fs, &l, sh)) == 0)
        rc = write_list(&b, rq, &l, prefix, limit, sh); /* a limit with selectors: pages until limit pass */
    if (rc != 0) {
        list_error(rq, rep, rc, at);
        api_rawbuf_free(b.p);
        goto out;
    }
    rep->status = 200;
    rep->raw = b.p;
    rep->raw_len = b.len;
out:
    free(sh);
    listing_free(&l);
    kc_label_selector_free(ls);
    kc_field_selector_free(fs);
}
