/* store.c - the api_store calls, dispatched to the backend's vtable, and the object helpers on top of them: one
 * JSON object per key, resourceVersion = the key's mod_revision, preconditions as txn compares.
 */
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
api_store_txn(struct api_store *s, const struct kvs_txn_req *req, struct kvs_resp **out)
{
    if (!s || !req || !out)
        return KC_EINVALID;
    return s->ops->txn(s, req, out);
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

/* The compact JSON of obj without metadata.resourceVersion (copied shallowly, so obj is not touched). */
static int
encode_obj(const json_t *obj, char **text)
{
    if (!json_is_object(obj))
        return KC_EINVALID;
    json_t *copy = json_copy((json_t *)obj);
    if (!copy)
        return -ENOMEM;
    json_t *meta = json_object_get(copy, "metadata");
    if (json_is_object(meta) && json_object_get(meta, "resourceVersion")) {
        json_t *m = json_copy(meta);
        if (!m || json_object_del(m, "resourceVersion") != 0 || json_object_set_new(copy, "metadata", m) != 0) {
            json_decref(copy);
            return -ENOMEM;
        }
    }
    *text = json_dumps(copy, JSON_COMPACT);
    json_decref(copy);
    return *text ? 0 : -ENOMEM;
}

/* The stored object of kv with metadata.resourceVersion set to its mod_revision. */
static int
decode_obj(const struct kvs_kv *kv, json_t **out)
{
    json_t *o = json_loadb((const char *)kv->value, kv->value_len, 0, NULL);
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
    snprintf(rv, sizeof(rv), "%" PRId64, kv->mod_revision);
    if (json_object_set_new(meta, "resourceVersion", json_string(rv)) != 0) {
        json_decref(o);
        return -ENOMEM;
    }
    *out = o;
    return 0;
}

int
api_obj_get(struct api_store *s, const char *key, json_t **obj, int64_t *rev)
{
    if (!s || !key || !*key || !obj)
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
        rc = decode_obj(&resp->kvs[0], obj);
        if (rc == 0 && rev)
            *rev = mod;
    }
    api_store_resp_free(s, resp);
    return rc;
}

int
api_obj_create(struct api_store *s, const char *key, const json_t *obj, int64_t lease, int64_t *rev)
{
    if (!s || !key || !*key)
        return KC_EINVALID;
    char *text;
    int rc = encode_obj(obj, &text);
    if (rc != 0)
        return rc;
    struct kvs_compare c = { .result = KVS_CMP_EQUAL, .target = KVS_CMP_CREATE, .key = kvs_str(key), .number = 0 };
    struct kvs_op put = { .type = KVS_OP_PUT, .put = { .key = kvs_str(key), .value = kvs_str(text), .lease = lease } };
    struct kvs_txn_req t = { .compare = &c, .n_compare = 1, .success = &put, .n_success = 1 };
    struct kvs_resp *resp;
    rc = api_store_txn(s, &t, &resp);
    free(text);
    if (rc != 0)
        return rc;
    if (!resp->succeeded)
        rc = KC_EEXIST;
    else if (rev)
        *rev = resp->revision;
    api_store_resp_free(s, resp);
    return rc;
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
    char *text;
    int rc = encode_obj(obj, &text);
    if (rc != 0)
        return rc;
    /* ignore_lease: the object keeps the lease it was created with (an Event keeps its TTL). */
    struct kvs_op put = { .type = KVS_OP_PUT,
                          .put = { .key = kvs_str(key), .value = kvs_str(text), .ignore_lease = true } };
    rc = conditional(s, key, expected_rev, &put, rev);
    free(text);
    return rc;
}

int
api_obj_delete(struct api_store *s, const char *key, int64_t expected_rev, int64_t *rev)
{
    if (!s || !key || !*key || expected_rev < 0)
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

int
api_obj_list(struct api_store *s, const char *prefix, int64_t revision, int64_t limit, const char *after,
             json_t **items, int64_t *list_rev, bool *more)
{
    if (!s || !prefix || !items || revision < 0 || limit < 0)
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
    struct kvs_resp *resp;
    rc = api_store_range(s, &r, &resp);
    free(end);
    if (rc != 0)
        return rc;
    json_t *arr = json_array();
    if (!arr)
        rc = -ENOMEM;
    for (size_t i = 0; rc == 0 && i < resp->n_kvs; i++) {
        json_t *o;
        rc = decode_obj(&resp->kvs[i], &o);
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

int
api_obj_list_raw(struct api_store *s, const char *prefix, int64_t revision, int64_t limit, const char *after,
                 api_obj_raw_fn fn, void *arg, int64_t *list_rev, bool *more)
{
    if (!s || !prefix || !fn || revision < 0 || limit < 0)
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
    /* as api_obj_list: after + "\0" is the smallest key after `after`, never below the prefix */
    if (after) {
        struct kvs_buf a = { after, strlen(after) + 1 };
        size_t n = a.len < r.key.len ? a.len : r.key.len;
        int c = memcmp(a.data, r.key.data, n);
        if (c > 0 || (c == 0 && a.len > r.key.len))
            r.key = a;
    }
    struct kvs_resp *resp;
    rc = api_store_range(s, &r, &resp);
    free(end);
    if (rc != 0)
        return rc;
    for (size_t i = 0; rc == 0 && i < resp->n_kvs; i++) {
        const struct kvs_kv *kv = &resp->kvs[i];
        rc = fn((const char *)kv->key, kv->key_len, (const char *)kv->value, kv->value_len, kv->mod_revision, arg);
    }
    if (rc == 0) {
        if (list_rev)
            *list_rev = revision > 0 ? revision : resp->revision;
        if (more)
            *more = resp->more;
    }
    api_store_resp_free(s, resp);
    return rc;
}
