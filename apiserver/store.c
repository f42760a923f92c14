/* store.c - the api_store calls, dispatched to the backend's vtable, and the object helpers on top of them: one
 * JSON object per key, resourceVersion = the key's mod_revision, preconditions as txn compares, pages of stored
 * bytes for the lists, and the key translation and conversion of kinds stored in another version.
 */
#include "api_codec.h"
#include "api_list.h"
#include "api_rawjson.h"
#include "kc_fault.h"
#include "store_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- dispatch --- */

void
api_store_close(struct api_store *s)
{
    if (s)
        s->ops->close(s);
}

int
api_store_range(struct api_store *s, const struct kvs_range_req *req, struct kvs_resp **out)
{
    if (!s || !req || !out)
        return KC_EINVALID;
    return s->ops->range(s, req, out);
}

int
api_store_range_lend(struct api_store *s, const struct kvs_range_req *req, kvs_lend_fn fn, void *arg)
{
    if (!s || !req || !fn)
        return KC_EINVALID;
    if (s->ops->range_lend)
        return s->ops->range_lend(s, req, fn, arg);
    struct kvs_resp *resp;
    int rc = s->ops->range(s, req, &resp);
    if (rc != 0)
        return rc;
    rc = fn(arg, resp);
    api_store_resp_free(s, resp);
    return rc;
}

int
api_store_txn(struct api_store *s, const struct kvs_txn_req *req, struct kvs_resp **out)
{
    if (!s || !req || !out)
        return KC_EINVALID;
    return s->ops->txn(s, req, out);
}

int
api_store_txn_async(struct api_store *s, const struct kvs_txn_req *req, kvs_done_fn done, void *arg)
{
    if (!s || !req || !done)
        return KC_EINVALID;
    if (!s->ops->txn_async)
        return KC_EUNSUPPORTED;
    return s->ops->txn_async(s, req, done, arg);
}

bool
api_store_has_async(const struct api_store *s)
{
    return s && s->ops->txn_async;
}

void
api_store_resp_free(struct api_store *s, struct kvs_resp *resp)
{
    if (s && resp)
        s->ops->resp_free(s, resp);
}

int
api_store_lease_grant(struct api_store *s, int64_t ttl, int64_t *id)
{
    if (!s || !id)
        return KC_EINVALID;
    return s->ops->lease_grant(s, ttl, id);
}

int
api_store_lease_revoke(struct api_store *s, int64_t id)
{
    if (!s)
        return KC_EINVALID;
    return s->ops->lease_revoke(s, id);
}

int
api_store_compact(struct api_store *s, int64_t revision)
{
    if (!s)
        return KC_EINVALID;
    return s->ops->compact(s, revision);
}

int
api_store_revision(struct api_store *s, int64_t *rev)
{
    if (!s || !rev)
        return KC_EINVALID;
    return s->ops->revision(s, rev);
}

int
api_store_watch(struct api_store *s, const struct kvs_watch_req *req, struct api_store_watch **out)
{
    if (!s || !req || !out)
        return KC_EINVALID;
    return s->ops->watch(s, req, out);
}

int
api_store_watch_fd(struct api_store_watch *w)
{
    return w ? w->ops->fd(w) : -1;
}

int
api_store_watch_poll(struct api_store_watch *w, struct kvs_watch_batch **out)
{
    if (!w || !out)
        return KC_EINVALID;
    return w->ops->poll(w, out);
}

void
api_store_watch_batch_free(struct api_store_watch *w, struct kvs_watch_batch *b)
{
    if (w && b)
        w->ops->batch_free(w, b);
}

void
api_store_watch_free(struct api_store_watch *w)
{
    if (w)
        w->ops->free(w);
}

/* --- objects --- */

/* The compact JSON of obj without metadata.resourceVersion (obj is not touched: a stored resourceVersion is
 * left out of a shallow copy). */
static int
encode_obj(const json_t *obj, char **text)
{
    if (!json_is_object(obj))
        return KC_EINVALID;
    json_t *meta = json_object_get(obj, "metadata");
    if (!json_is_object(meta) || !json_object_get(meta, "resourceVersion")) {
        *text = api_raw_dumps(obj, NULL);
        return *text ? 0 : -ENOMEM;
    }
    json_t *copy = json_copy((json_t *)obj);
    if (!copy)
        return -ENOMEM;
    json_t *m = json_copy(meta);
    if (!m || json_object_del(m, "resourceVersion") != 0 || json_object_set_new(copy, "metadata", m) != 0) {
        json_decref(copy);
        return -ENOMEM;
    }
    *text = api_raw_dumps(copy, NULL);
    json_decref(copy);
    return *text ? 0 : -ENOMEM;
}

int
api_obj_decode(const char *value, size_t len, int64_t rev, json_t **out)
{
    char *owned;
    int rc = api_codec_open(value, len, &value, &len, &owned);
    if (rc != 0)
        return rc;
    /* the fast parser gives jansson's tree; what it cannot take, jansson decides */
    json_t *o = api_raw_parse(value, len, false);
    if (!o && value)
        o = json_loadb(value, len, 0, NULL);
    free(owned);
    if (!json_is_object(o)) {
        json_decref(o);
        return KC_EINTERNAL;
    }
    json_t *meta = json_object_get(o, "metadata");
    if (!meta) {
        meta = json_object();
        if (!meta || json_object_set_new(o, "metadata", meta) != 0) {
            json_decref(o);
            return -ENOMEM;
        }
    } else if (!json_is_object(meta)) {
        json_decref(o);
        return KC_EINTERNAL;
    }
    char rv[24];
    snprintf(rv, sizeof(rv), "%" PRId64, rev);
    if (json_object_set_new(meta, "resourceVersion", json_string(rv)) != 0) {
        json_decref(o);
        return -ENOMEM;
    }
    *out = o;
    return 0;
}

/* The stored object of kv with metadata.resourceVersion set to its mod_revision, converted to the served form
 * when m is set. */
static int
decode_obj(const struct kvs_kv *kv, const struct api_storage_map *m, json_t **out)
{
    json_t *o;
    int rc = api_obj_decode((const char *)kv->value, kv->value_len, kv->mod_revision, &o);
    if (rc != 0 || !m) {
        if (rc == 0)
            *out = o;
        return rc;
    }
    json_t *c = m->from_stored(o);
    json_decref(o);
    if (!c)
        return -ENOMEM;
    *out = c;
    return 0;
}

#define KEY_MAX 2048 /* a stored key translated from a served one */

const char *
api_storage_map_key(const struct api_storage_map *m, const char *key, char *buf, size_t len)
{
    size_t sl = strlen(m->served);
    int n = snprintf(buf, len, "%s%s", m->stored, key + sl);
    return n >= 0 && (size_t)n < len ? buf : NULL;
}

/* key, or its stored form in buf when a map applies (*m set). NULL when the stored key does not fit. */
static const char *
storage_key(const char *key, char *buf, size_t len, const struct api_storage_map **m)
{
    *m = key ? api_storage_map_find(key) : NULL;
    return *m ? api_storage_map_key(*m, key, buf, len) : key;
}

int
api_obj_get(struct api_store *s, const char *key, json_t **obj, int64_t *rev)
{
    if (!s || !key || !*key || !obj)
        return KC_EINVALID;
    const struct api_storage_map *m;
    char kbuf[KEY_MAX];
    if (!(key = storage_key(key, kbuf, sizeof(kbuf), &m)))
        return KC_EINVALID;
    struct kvs_range_req r = { .key = kvs_str(key) };
    struct kvs_resp *resp;
    int rc = api_store_range(s, &r, &resp);
    if (rc != 0)
        return rc;
    if (resp->n_kvs == 0) {
        rc = KC_ENOTFOUND;
    } else {
        int64_t mod = resp->kvs[0].mod_revision;
        rc = decode_obj(&resp->kvs[0], m, obj);
        if (rc == 0 && rev)
            *rev = mod;
    }
    api_store_resp_free(s, resp);
    return rc;
}

/* The stored text of obj (converted when m is set). */
static int
encode_stored(const json_t *obj, const struct api_storage_map *m, char **text)
{
    if (!m)
        return encode_obj(obj, text);
    if (!json_is_object(obj))
        return KC_EINVALID;
    json_t *c = m->to_stored(obj);
    if (!c)
        return -ENOMEM;
    int rc = encode_obj(c, text);
    json_decref(c);
    return rc;
}

/* The put of the stored form of text (api_codec_encode): *value is text or *packed, which the caller frees
 * after the submit. */
static int
stored_value(const char *text, struct kvs_buf *value, char **packed)
{
    size_t n = strlen(text), zn;
    int rc = api_codec_encode(text, n, packed, &zn);
    if (rc == 0)
        *value = *packed ? (struct kvs_buf){ *packed, zn } : (struct kvs_buf){ text, n };
    return rc;
}

/* The reply text of a created object: the stored bytes with resourceVersion injected, or (a converted kind, or
 * bytes this cannot rewrite in place) obj encoded with it; obj NULL: the stored bytes parsed (not for a converted
 * kind). shaped: text's shape as the encoder recorded it (api_raw_dumps_shape; borrowed), or NULL to scan text. */
static int
created_json(const json_t *obj, const char *key, const char *text, bool converted, bool stable, int64_t rev,
             struct api_raw_shape *shaped, char **json, size_t *json_len)
{
    struct api_raw_shape *sh = shaped ? shaped : kc_malloc(sizeof(*sh));
    if (!sh)
        return -ENOMEM;
    size_t n = shaped ? shaped->n : strlen(text);
    if (shaped || (!converted && api_raw_shape(text, n, sh) == 0)) {
        if (stable) /* the next list of it finds its shape (list.c) */
            api_list_shape_seed(key, strlen(key), rev, text, n, sh);
        struct api_rawbuf b = { 0 };
        api_raw_object(&b, sh, rev, true);
        if (!shaped)
            free(sh);
        if (b.oom) {
            free(b.p);
            return -ENOMEM;
        }
        *json = b.p;
        *json_len = b.len;
        return 0;
    }
    if (!shaped)
        free(sh);
    json_t *parsed = NULL;
    if (!obj && !(obj = parsed = api_raw_parse(text, strlen(text), false)))
        return -ENOMEM;
    json_t *copy = json_copy((json_t *)obj), *meta = json_copy(json_object_get(obj, "metadata"));
    if (!meta)
        meta = json_object();
    int rc = -ENOMEM;
    if (copy && meta && json_object_set_new(meta, "resourceVersion", json_sprintf("%" PRId64, rev)) == 0 &&
        json_object_set(copy, "metadata", meta) == 0 && (*json = api_raw_dumps(copy, json_len)))
        rc = 0;
    json_decref(meta);
    json_decref(copy);
    json_decref(parsed);
    return rc;
}

int
api_obj_create_json(struct api_store *s, const char *key, const json_t *obj, int64_t lease, int64_t *rev, char **json,
                    size_t *json_len)
{
    if (!s || !key || !*key)
        return KC_EINVALID;
    const struct api_storage_map *m;
    char kbuf[KEY_MAX];
    if (!(key = storage_key(key, kbuf, sizeof(kbuf), &m)))
        return KC_EINVALID;
    char *text, *packed = NULL;
    int rc = encode_stored(obj, m, &text);
    if (rc != 0)
        return rc;
    struct kvs_compare c = { .result = KVS_CMP_EQUAL, .target = KVS_CMP_CREATE, .key = kvs_str(key), .number = 0 };
    struct kvs_op put = { .type = KVS_OP_PUT, .put = { .key = kvs_str(key), .lease = lease } };
    struct kvs_txn_req t = { .compare = &c, .n_compare = 1, .success = &put, .n_success = 1 };
    struct kvs_resp *resp;
    rc = stored_value(text, &put.put.value, &packed);
    if (rc == 0)
        rc = api_store_txn(s, &t, &resp);
    free(packed);
    if (rc != 0) {
        free(text);
        return rc;
    }
    int64_t r = resp->revision;
    if (!resp->succeeded)
        rc = KC_EEXIST;
    api_store_resp_free(s, resp);
    if (rc == 0 && json)
        rc = created_json(obj, key, text, m != NULL, s->ops->range_lend != NULL, r, NULL, json, json_len);
    free(text);
    if (rc == 0 && rev)
        *rev = r;
    return rc;
}

/* A create waiting for its commit (api_obj_create_start): the bytes written and, once done ran, the result. */
struct api_obj_pending {
    struct api_store *store;
    char *key; /* the storage key */
    char *text;
    struct api_raw_shape *shape; /* of text, as the encoder wrote it; NULL: created_json scans it */
    bool converted, need_obj;
    int rc;
    int64_t rev;
    void (*done)(void *arg);
    void *arg;
};

/* The committer's completion (kvs_done_fn): records the result and tells the requester; nothing more on this
 * thread. */
static void
create_committed(void *arg, int err, struct kvs_resp *resp)
{
    struct api_obj_pending *p = arg;
    p->rc = err;
    if (err == 0) {
        p->rev = resp->revision;
        if (!resp->succeeded)
            p->rc = KC_EEXIST;
        api_store_resp_free(p->store, resp);
    }
    p->done(p->arg);
}

int
api_obj_create_start(struct api_store *s, const char *key, const json_t *obj, const char *managed, size_t managed_len,
                     int64_t lease, void (*done)(void *arg), void *arg, struct api_obj_pending **out)
{
    if (!s || !key || !*key || !done || !out)
        return KC_EINVALID;
    if (!api_store_has_async(s))
        return KC_EUNSUPPORTED;
    const struct api_storage_map *m;
    char kbuf[KEY_MAX];
    if (!(key = storage_key(key, kbuf, sizeof(kbuf), &m)))
        return KC_EINVALID;
    const json_t *meta = json_object_get(obj, "metadata");
    if (managed && (m || !json_is_object(meta) || json_object_get(meta, "managedFields") ||
                    json_object_get(meta, "resourceVersion")))
        return KC_EINVALID;
    struct api_obj_pending *p = kc_calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    int rc;
    if (!m && json_is_object(obj) && !json_object_get(meta, "resourceVersion") &&
        (p->shape = kc_malloc(sizeof(*p->shape)))) {
        /* a create's usual object: encoded with its shape, which the reply and the lists' cache take */
        bool shaped;
        p->text = api_raw_dumps_shape_managed(obj, managed, managed_len, NULL, p->shape, &shaped);
        rc = p->text ? 0 : -ENOMEM;
        if (!shaped) {
            free(p->shape);
            p->shape = NULL;
        }
    } else {
        rc = managed ? -ENOMEM : encode_stored(obj, m, &p->text); /* managed: the shape's allocation failed */
    }
    if (rc == 0 && !(p->key = kc_strdup(key)))
        rc = -ENOMEM;
    if (rc != 0) {
        free(p->shape);
        free(p->text);
        free(p);
        return rc;
    }
    p->store = s;
    p->converted = m != NULL;
    p->need_obj = m != NULL;
    p->done = done;
    p->arg = arg;
    *out = p; /* before the submit: done may run before it returns */
    struct kvs_compare c = { .result = KVS_CMP_EQUAL, .target = KVS_CMP_CREATE, .key = kvs_str(key), .number = 0 };
    struct kvs_op put = { .type = KVS_OP_PUT, .put = { .key = kvs_str(key), .lease = lease } };
    struct kvs_txn_req t = { .compare = &c, .n_compare = 1, .success = &put, .n_success = 1 };
    char *packed = NULL;
    rc = stored_value(p->text, &put.put.value, &packed);
    if (rc == 0)
        rc = api_store_txn_async(s, &t, create_committed, p); /* the request is copied before it returns */
    free(packed);
    if (rc != 0) {
        *out = NULL;
        free(p->key);
        free(p->shape);
        free(p->text);
        free(p);
    }
    return rc;
}

bool
api_obj_create_needs_obj(const struct api_obj_pending *p)
{
    return p->need_obj;
}

int
api_obj_create_finish(struct api_obj_pending *p, const json_t *obj, int64_t *rev, char **json, size_t *json_len)
{
    int rc = p->rc;
    if (rc == 0 && json && !obj && p->need_obj)
        rc = KC_EINVALID;
    if (rc == 0 && json)
        rc = created_json(obj, p->key, p->text, p->converted, p->store->ops->range_lend != NULL, p->rev, p->shape, json,
                          json_len);
    if (rc == 0 && rev)
        *rev = p->rev;
    free(p->key);
    free(p->shape);
    free(p->text);
    free(p);
    return rc;
}

int
api_obj_create(struct api_store *s, const char *key, const json_t *obj, int64_t lease, int64_t *rev)
{
    return api_obj_create_json(s, key, obj, lease, rev, NULL, NULL);
}

/* The compare of a precondition: mod_revision == expected_rev, or (0) that the key exists at all. */
static struct kvs_compare
precondition(const char *key, int64_t expected_rev)
{
    if (expected_rev > 0)
        return (struct kvs_compare){
            .result = KVS_CMP_EQUAL, .target = KVS_CMP_MOD, .key = kvs_str(key), .number = expected_rev
        };
    return (struct kvs_compare){ .result = KVS_CMP_GREATER, .target = KVS_CMP_CREATE, .key = kvs_str(key) };
}

/* Runs a conditional write of key: compare, then op; on failure a keys-only read tells a missing key
 * (KC_ENOTFOUND) from a modified one (KC_ECONFLICT). */
static int
conditional(struct api_store *s, const char *key, int64_t expected_rev, const struct kvs_op *op, int64_t *rev)
{
    struct kvs_compare c = precondition(key, expected_rev);
    struct kvs_op get = { .type = KVS_OP_RANGE, .range = { .key = kvs_str(key), .keys_only = true } };
    struct kvs_txn_req t = { .compare = &c, .n_compare = 1, .success = op, .n_success = 1 };
    if (expected_rev > 0) {
        t.failure = &get;
        t.n_failure = 1;
    }
    struct kvs_resp *resp;
    int rc = api_store_txn(s, &t, &resp);
    if (rc != 0)
        return rc;
    if (resp->succeeded) {
        if (rev)
            *rev = resp->revision;
    } else if (expected_rev > 0 && resp->n_responses == 1 && resp->responses[0].n_kvs > 0) {
        rc = KC_ECONFLICT;
    } else {
        rc = KC_ENOTFOUND;
    }
    api_store_resp_free(s, resp);
    return rc;
}

int
api_obj_update(struct api_store *s, const char *key, const json_t *obj, int64_t expected_rev, int64_t *rev)
{
    if (!s || !key || !*key || expected_rev < 0)
        return KC_EINVALID;
    const struct api_storage_map *m;
    char kbuf[KEY_MAX];
    if (!(key = storage_key(key, kbuf, sizeof(kbuf), &m)))
        return KC_EINVALID;
    char *text, *packed = NULL;
    int rc = encode_stored(obj, m, &text);
    if (rc != 0)
        return rc;
    /* ignore_lease: the object keeps the lease it was created with (an Event keeps its TTL). */
    struct kvs_op put = { .type = KVS_OP_PUT, .put = { .key = kvs_str(key), .ignore_lease = true } };
    rc = stored_value(text, &put.put.value, &packed);
    if (rc == 0)
        rc = conditional(s, key, expected_rev, &put, rev);
    free(packed);
    free(text);
    return rc;
}

int
api_obj_delete(struct api_store *s, const char *key, int64_t expected_rev, int64_t *rev)
{
    if (!s || !key || !*key || expected_rev < 0)
        return KC_EINVALID;
    const struct api_storage_map *m;
    char kbuf[KEY_MAX];
    if (!(key = storage_key(key, kbuf, sizeof(kbuf), &m)))
        return KC_EINVALID;
    struct kvs_op del = { .type = KVS_OP_DELETE_RANGE, .del = { .key = kvs_str(key) } };
    return conditional(s, key, expected_rev, &del, rev);
}

/* The range end of every key starting with prefix: prefix with its last byte below 0xff incremented and the
 * bytes after it dropped; "\0" (every key >= the start) when there is no such byte. *end is malloc'ed. */
static int
prefix_end(const char *prefix, size_t len, char **end, size_t *end_len)
{
    while (len > 0 && (unsigned char)prefix[len - 1] == 0xff)
        len--;
    char *e = kc_malloc(len ? len : 1);
    if (!e)
        return -ENOMEM;
    if (len == 0) {
        e[0] = '\0';
        *end_len = 1;
    } else {
        memcpy(e, prefix, len);
        e[len - 1] = (char)((unsigned char)e[len - 1] + 1);
        *end_len = len;
    }
    *end = e;
    return 0;
}

/* The range read of a list (prefix, revision, limit, after; translated into stored keys when a map applies): into
 * *out, or with fn lent to fn (api_store_range_lend; *m is set before fn runs). */
static int
list_range(struct api_store *s, const char *prefix, int64_t revision, int64_t limit, const char *after,
           const struct api_storage_map **m, struct kvs_resp **out, kvs_lend_fn fn, void *arg)
{
    char pbuf[KEY_MAX], abuf[KEY_MAX];
    if (!(prefix = storage_key(prefix, pbuf, sizeof(pbuf), m)))
        return KC_EINVALID;
    if (after && *m && strncmp(after, (*m)->served, strlen((*m)->served)) == 0 &&
        !(after = api_storage_map_key(*m, after, abuf, sizeof(abuf))))
        return KC_EINVALID;
    size_t plen = strlen(prefix);
    char *end;
    size_t end_len;
    int rc = prefix_end(prefix, plen, &end, &end_len);
    if (rc != 0)
        return rc;
    struct kvs_range_req r = {
        .key = plen ? (struct kvs_buf){ prefix, plen } : (struct kvs_buf){ "", 1 },
        .range_end = { end, end_len },
        .revision = revision,
        .limit = limit,
    };
    /* after + "\0" is the smallest key after `after`; a start below the prefix still starts at the prefix. */
    if (after) {
        struct kvs_buf a = { after, strlen(after) + 1 };
        size_t n = a.len < r.key.len ? a.len : r.key.len;
        int c = memcmp(a.data, r.key.data, n);
        if (c > 0 || (c == 0 && a.len > r.key.len))
            r.key = a;
    }
    rc = fn ? api_store_range_lend(s, &r, fn, arg) : api_store_range(s, &r, out);
    free(end);
    return rc;
}

int
api_obj_list(struct api_store *s, const char *prefix, int64_t revision, int64_t limit, const char *after,
             json_t **items, int64_t *list_rev, bool *more)
{
    if (!s || !prefix || !items || revision < 0 || limit < 0)
        return KC_EINVALID;
    const struct api_storage_map *m;
    struct kvs_resp *resp;
    int rc = list_range(s, prefix, revision, limit, after, &m, &resp, NULL, NULL);
    if (rc != 0)
        return rc;
    json_t *arr = json_array();
    if (!arr)
        rc = -ENOMEM;
    for (size_t i = 0; rc == 0 && i < resp->n_kvs; i++) {
        json_t *o;
        rc = decode_obj(&resp->kvs[i], m, &o);
        if (rc == 0 && json_array_append_new(arr, o) != 0)
            rc = -ENOMEM;
    }
    if (rc == 0) {
        *items = arr;
        if (list_rev)
            *list_rev = revision > 0 ? revision : resp->revision;
        if (more)
            *more = resp->more;
    } else {
        json_decref(arr);
    }
    api_store_resp_free(s, resp);
    return rc;
}

void
api_obj_page_free(struct api_obj_page *p)
{
    if (!p)
        return;
    for (size_t i = 0; p->own && i < 2 * p->n; i++)
        free(p->own[i]); /* values, then keys */
    free(p->own);
    free(p->kvs);
    api_store_resp_free(p->s, p->resp);
    free(p);
}

/* A converted page: each value in the served form (a value that cannot be read stays as stored, for the caller's
 * parser to report), each key in the served key space. */
static int
convert_page(struct api_obj_page *p, const struct api_storage_map *m)
{
    p->own = kc_calloc(p->n ? p->n * 2 : 1, sizeof(char *));
    if (!p->own)
        return -ENOMEM;
    size_t sl = strlen(m->stored), vl = strlen(m->served), cap = 0;
    char *buf = NULL; /* a compressed value's text */
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < p->n; i++) {
        struct api_obj_kv *kv = &p->kvs[i];
        const char *t;
        size_t tl;
        int drc = api_codec_open_buf(kv->value, kv->value_len, &t, &tl, &buf, &cap);
        if (drc == -ENOMEM) {
            rc = drc;
            break;
        }
        json_t *o = drc == 0 && t ? json_loadb(t, tl, 0, NULL) : NULL;
        if (json_is_object(o)) {
            json_t *c = m->from_stored(o);
            char *text = c ? api_raw_dumps(c, NULL) : NULL;
            json_decref(c);
            if (text) {
                p->own[i] = text;
                kv->value = text;
                kv->value_len = strlen(text);
            } else {
                rc = -ENOMEM;
            }
        }
        json_decref(o);
        if (rc == 0 && kv->key_len >= sl && memcmp(kv->key, m->stored, sl) == 0) {
            char *k = kc_malloc(vl + kv->key_len - sl + 1);
            if (!k) {
                rc = -ENOMEM;
                break;
            }
            memcpy(k, m->served, vl);
            memcpy(k + vl, kv->key + sl, kv->key_len - sl);
            k[vl + kv->key_len - sl] = '\0';
            p->own[p->n + i] = k;
            kv->key = k;
            kv->key_len = vl + kv->key_len - sl;
        }
    }
    free(buf);
    return rc;
}

int
api_obj_list_page(struct api_store *s, const char *prefix, int64_t revision, int64_t limit, const char *after,
                  struct api_obj_page **out)
{
    if (!s || !prefix || !out || revision < 0 || limit < 0)
        return KC_EINVALID;
    const struct api_storage_map *m;
    struct kvs_resp *resp;
    int rc = list_range(s, prefix, revision, limit, after, &m, &resp, NULL, NULL);
    if (rc != 0)
        return rc;
    struct api_obj_page *p = kc_calloc(1, sizeof(*p));
    if (!p || !(p->kvs = kc_malloc((resp->n_kvs ? resp->n_kvs : 1) * sizeof(*p->kvs)))) {
        free(p);
        api_store_resp_free(s, resp);
        return -ENOMEM;
    }
    p->s = s;
    p->resp = resp;
    p->n = resp->n_kvs;
    p->revision = revision > 0 ? revision : resp->revision;
    p->more = resp->more;
    p->count = resp->count;
    p->stable = s->ops->range_lend != NULL && !m; /* the embedded store's records, copied */
    for (size_t i = 0; i < p->n; i++) {
        const struct kvs_kv *kv = &resp->kvs[i];
        p->kvs[i] = (struct api_obj_kv){ (const char *)kv->key, kv->key_len, (const char *)kv->value, kv->value_len,
                                         kv->mod_revision };
    }
    if (m && (rc = convert_page(p, m)) != 0) {
        api_obj_page_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

/* api_obj_list_lend's range callback: the lent range as a page (converted when a map applies), handed to fn. */
struct lend_ctx {
    bool lends; /* the backend lends its own MVCC records (the embedded one): the page is stable unless converted */
    const struct api_storage_map *m;
    int64_t revision;
    api_obj_page_fn fn;
    void *arg;
};

static int
page_lent(void *arg, const struct kvs_resp *resp)
{
    struct lend_ctx *c = arg;
    struct api_obj_page *p = kc_calloc(1, sizeof(*p));
    if (!p || !(p->kvs = kc_malloc((resp->n_kvs ? resp->n_kvs : 1) * sizeof(*p->kvs)))) {
        free(p);
        return -ENOMEM;
    }
    p->n = resp->n_kvs;
    p->revision = c->revision > 0 ? c->revision : resp->revision;
    p->more = resp->more;
    p->count = resp->count;
    p->stable = c->lends && !c->m;
    for (size_t i = 0; i < p->n; i++) {
        const struct kvs_kv *kv = &resp->kvs[i];
        p->kvs[i] = (struct api_obj_kv){ (const char *)kv->key, kv->key_len, (const char *)kv->value, kv->value_len,
                                         kv->mod_revision };
    }
    int rc = c->m ? convert_page(p, c->m) : 0;
    if (rc == 0)
        rc = c->fn(p, c->arg);
    api_obj_page_free(p); /* p->s and p->resp are NULL: the bytes were lent */
    return rc;
}

int
api_obj_list_lend(struct api_store *s, const char *prefix, int64_t revision, int64_t limit, const char *after,
                  api_obj_page_fn fn, void *arg)
{
    if (!s || !prefix || !fn || revision < 0 || limit < 0)
        return KC_EINVALID;
    struct lend_ctx c = { .lends = s->ops->range_lend != NULL, .revision = revision, .fn = fn, .arg = arg };
    return list_range(s, prefix, revision, limit, after, &c.m, NULL, page_lent, &c);
}

/* api_obj_list_raw's page callback: each pair to the caller's function. */
struct raw_ctx {
    api_obj_raw_fn fn;
    void *arg;
    int64_t rev;
    bool more;
};

static int
page_raw(const struct api_obj_page *p, void *arg)
{
    struct raw_ctx *c = arg;
    int rc = 0;
    char *buf = NULL; /* a compressed value's text */
    size_t cap = 0;
    for (size_t i = 0; rc == 0 && i < p->n; i++) {
        const struct api_obj_kv *kv = &p->kvs[i];
        const char *t;
        size_t tl;
        rc = api_codec_open_buf(kv->value, kv->value_len, &t, &tl, &buf, &cap);
        if (rc == 0)
            rc = c->fn(kv->key, kv->key_len, t, tl, kv->mod_revision, c->arg);
    }
    free(buf);
    c->rev = p->revision;
    c->more = p->more;
    return rc;
}

int
api_obj_list_raw(struct api_store *s, const char *prefix, int64_t revision, int64_t limit, const char *after,
                 api_obj_raw_fn fn, void *arg, int64_t *list_rev, bool *more)
{
    if (!fn)
        return KC_EINVALID;
    struct raw_ctx c = { .fn = fn, .arg = arg };
    int rc = api_obj_list_lend(s, prefix, revision, limit, after, page_raw, &c);
    if (rc == 0) {
        if (list_rev)
            *list_rev = c.rev;
        if (more)
            *more = c.more;
    }
    return rc;
}
