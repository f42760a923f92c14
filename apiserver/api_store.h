/* api_store.h - the storage interface of the API server: the kvs operations it needs (range, txn, leases, watch)
 * behind one vtable with two backends, embedded (the in-process kvs store) and remote (etcd v3 JSON over
 * HTTP(S): a `k8c kvstore` or a real etcd). Requests and responses are kvstore/kvs.h's structs in both cases, so
 * the code above does not know which backend it talks to.
 *
 * On top of it, a few object-level helpers that every REST handler uses: get/create/update/delete/list of one
 * JSON object per key with resourceVersion = mod_revision semantics, and watches.
 *
 * Thread-safety: every function may be called from any thread, concurrently; a watch is used by one thread at
 * a time.
 */
#ifndef API_STORE_H
#define API_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvs.h"

struct api_store;
struct api_store_watch;

/* The remote backend's connection settings (like kube-apiserver's --etcd-* flags). */
struct api_store_remote_config {
    const char *servers; /* --etcd-servers: comma-separated http(s)://host:port; requests go to the first that
                            answers, failing over in order */
    const char *ca_file; /* --etcd-cafile */
    const char *cert_file, *key_file; /* --etcd-certfile, --etcd-keyfile */
    long timeout_ms;                  /* per unary request; 0 = 10 s */
};

/* An embedded store over an open kvs (not owned: close it after api_store_close). */
int api_store_embedded(struct kvs *kvs, struct api_store **out);

/* A remote store. Checks the configuration and that a server answers /health (KC_EUNAVAILABLE otherwise, with
 * the reason in err). */
int api_store_remote(const struct api_store_remote_config *cfg, struct api_store **out, char *err, size_t errlen);

void api_store_close(struct api_store *s);

/* --- the kvs-level operations (same semantics and errors as kvs.h; the remote backend maps etcd's gRPC codes
 * back to the same error codes: OutOfRange "required revision has been compacted" → KC_ECOMPACTED, "future
 * revision" → KC_EFUTUREREV, NotFound lease → KC_ENOTFOUND, ResourceExhausted → KC_ENOSPACE, transport failure →
 * KC_EUNAVAILABLE) --- */

int api_store_range(struct api_store *s, const struct kvs_range_req *req, struct kvs_resp **out);
/* kvs_range_lend: fn(arg, resp) runs once with the range's result. The embedded store lends LMDB's bytes inside
 * its read transaction (fn must be quick and must not call the store: see kvs_range_lend); the remote one copies
 * (api_store_range), calls fn and frees. Returns 0, api_store_range's errors (fn not called), or fn's nonzero
 * return. */
int api_store_range_lend(struct api_store *s, const struct kvs_range_req *req, kvs_lend_fn fn, void *arg);
int api_store_txn(struct api_store *s, const struct kvs_txn_req *req, struct kvs_resp **out);
void api_store_resp_free(struct api_store *s, struct kvs_resp *resp);
/* kvs_txn_async on the embedded store (done runs on the store's committer thread: see kvs_done_fn). Returns 0
 * (done will run), kvs_txn_async's immediate errors, or KC_EUNSUPPORTED when the backend has no asynchronous
 * writes (the remote one: use api_store_txn on a thread that may block). */
int api_store_txn_async(struct api_store *s, const struct kvs_txn_req *req, kvs_done_fn done, void *arg);
/* Whether api_store_txn_async works on s. */
bool api_store_has_async(const struct api_store *s);
int api_store_lease_grant(struct api_store *s, int64_t ttl, int64_t *id);
int api_store_lease_revoke(struct api_store *s, int64_t id);
int api_store_compact(struct api_store *s, int64_t revision);
/* The current revision (a range of nothing). */
int api_store_revision(struct api_store *s, int64_t *rev);

/* Watches keys from start_revision (0: now + 1). Batches come out in revision order as kvs_watch_batch values
 * (events with kv.value set, prev_kv when asked). A canceled batch with compact_revision set means the start
 * revision was compacted. */
int api_store_watch(struct api_store *s, const struct kvs_watch_req *req, struct api_store_watch **out);
/* A file descriptor that becomes readable when api_store_watch_poll may have a batch (an eventfd). */
int api_store_watch_fd(struct api_store_watch *w);
/* 0 and *out (free with api_store_watch_batch_free), -EAGAIN when nothing is ready, -ECANCELED after the last. */
int api_store_watch_poll(struct api_store_watch *w, struct kvs_watch_batch **out);
void api_store_watch_batch_free(struct api_store_watch *w, struct kvs_watch_batch *b);
void api_store_watch_free(struct api_store_watch *w);

/* --- objects: one JSON object per key, resourceVersion = the key's mod_revision --- */

/* Reads key. *obj (new reference, with metadata.resourceVersion set to the key's mod_revision as a decimal
 * string: stored JSON never carries it) and *rev (that mod_revision). KC_ENOTFOUND when absent, KC_EINTERNAL
 * when the stored value is not a JSON object. */
int api_obj_get(struct api_store *s, const char *key, json_t **obj, int64_t *rev);

/* Creates key with obj's compact JSON (metadata.resourceVersion removed) if it does not exist (one txn:
 * create_revision == 0). lease 0 = none.
 * *rev gets the new mod_revision. KC_EEXIST when it exists. */
int api_obj_create(struct api_store *s, const char *key, const json_t *obj, int64_t lease, int64_t *rev);

/* Replaces key if its mod_revision is still expected_rev (0: any existing revision). *rev gets the new
 * mod_revision. KC_ENOTFOUND when absent, KC_ECONFLICT when modified since. */
int api_obj_update(struct api_store *s, const char *key, const json_t *obj, int64_t expected_rev, int64_t *rev);

/* Deletes key if its mod_revision is still expected_rev (0: any). *rev gets the revision of the delete.
 * KC_ENOTFOUND, KC_ECONFLICT. */
int api_obj_delete(struct api_store *s, const char *key, int64_t expected_rev, int64_t *rev);

/* Lists the keys under prefix (prefix + "\xff"-style range end: every key that starts with prefix) at revision
 * (0: current), at most limit (0: all) starting after `after` (exclusive; NULL: from the start). *items is a new
 * JSON array of objects, each with metadata.resourceVersion set from its mod_revision; *list_rev the revision
 * read at; *more whether keys remain. KC_ECOMPACTED when revision is compacted. */
int api_obj_list(struct api_store *s, const char *prefix, int64_t revision, int64_t limit, const char *after,
                 json_t **items, int64_t *list_rev, bool *more);

/* One key of api_obj_list_raw: the key, its stored value as JSON text (the object's compact JSON as written,
 * without metadata.resourceVersion, decoded when it is stored compressed; not NUL-terminated) and its mod_revision. The
 * bytes are valid during the call only. Return 0 to go on; anything else stops the list and is returned by
 * api_obj_list_raw. */
typedef int (*api_obj_raw_fn)(const char *key, size_t key_len, const char *value, size_t value_len,
                              int64_t mod_revision, void *arg);

/* Like api_obj_list (same range, revision, limit, `after`, *list_rev and *more), but hands each key's stored
 * bytes to fn in key order instead of parsing them: from one api_obj_list_lend, so with the embedded store the
 * bytes are LMDB's own (but for compressed values, decoded one at a time) and fn runs inside its read transaction
 * (quick, and no store calls: see kvs_range_lend). Returns 0, KC_EINVALID, the errors of api_store_range
 * (KC_ECOMPACTED, KC_EFUTUREREV, ...), KC_EINTERNAL (a damaged compressed value), -ENOMEM, or fn's
 * nonzero return (then *list_rev and *more are not set). */
int api_obj_list_raw(struct api_store *s, const char *prefix, int64_t revision, int64_t limit, const char *after,
                     api_obj_raw_fn fn, void *arg, int64_t *list_rev, bool *more);

/* One stored object of a page (api_obj_list_page): its key, its stored bytes (the object's JSON as written,
 * without metadata.resourceVersion, or that compressed: api_codec.h, read with api_codec_open; not NUL-terminated)
 * and its mod_revision. */
struct api_obj_kv {
    const char *key;
    size_t key_len;
    const char *value;
    size_t value_len;
    int64_t mod_revision;
};

/* One range of stored objects, read without parsing them. Everything it points to lives until
 * api_obj_page_free. */
struct api_obj_page {
    struct api_obj_kv *kvs;
    size_t n;
    int64_t revision; /* the revision read at */
    bool more;        /* keys remain after the last one */
    int64_t count;    /* the keys in the range read at revision, the limit aside (etcd's count) */
    bool stable;      /* a key's bytes are the same whenever its mod_revision is (the embedded store's own MVCC
                         records, not converted): what is learnt from them may be kept by (key, mod_revision) */
    /* private */
    struct api_store *s;
    struct kvs_resp *resp;
    char **own; /* a served-but-not-stored prefix: converted values (n), then served keys (n) */
};

/* Like api_obj_list (same range, revision, limit, `after`), but *out holds the stored bytes of each key in key
 * order (for a prefix of api_storage_maps, keys and bytes as served: converted). Returns 0, KC_EINVALID, the
 * errors of api_store_range (KC_ECOMPACTED, KC_EFUTUREREV, ...), KC_EINTERNAL (a value a conversion cannot
 * read, a damaged compressed value) or -ENOMEM. Free *out with api_obj_page_free. */
int api_obj_list_page(struct api_store *s, const char *prefix, int64_t revision, int64_t limit, const char *after,
                      struct api_obj_page **out);
void api_obj_page_free(struct api_obj_page *p);

/* A page lent by api_obj_list_lend, valid during the call only. Return 0, or anything else to have
 * api_obj_list_lend return it. */
typedef int (*api_obj_page_fn)(const struct api_obj_page *p, void *arg);

/* Like api_obj_list_page, but the page is lent to fn(p, arg), called once, instead of returned: with the embedded
 * store its keys and values point into LMDB's map (nothing is copied; a converted prefix's values are converted
 * copies) and fn runs inside the store's read transaction, so everything it sees is one revision's state; fn
 * must be quick and must not call the store (kvs_range_lend says why). The remote store reads a copy and frees it
 * after fn. Returns 0, api_obj_list_page's errors (fn not called), or fn's nonzero return. */
int api_obj_list_lend(struct api_store *s, const char *prefix, int64_t revision, int64_t limit, const char *after,
                      api_obj_page_fn fn, void *arg);

/* Parses stored bytes (JSON text, or compressed: api_codec.h) as the object helpers do: *out is a new JSON object
 * with metadata.resourceVersion = rev. KC_EINTERNAL when the bytes are not a JSON object (or metadata is not an
 * object), -ENOMEM. */
int api_obj_decode(const char *value, size_t len, int64_t rev, json_t **out);

/* As api_obj_create; with json non-NULL, *json also gets the created object's JSON text with
 * metadata.resourceVersion = *rev (malloc'ed, *json_len bytes, not NUL-terminated; the caller frees), made from
 * the bytes written rather than by encoding the object a second time. */
int api_obj_create_json(struct api_store *s, const char *key, const json_t *obj, int64_t lease, int64_t *rev,
                        char **json, size_t *json_len);

/* api_obj_create_json without waiting, on a store with asynchronous writes (api_store_has_async): obj is encoded
 * and submitted now; done(arg) runs once the write is committed or failed, on the store's committer thread (it
 * must only hand over, e.g. kc_httpd_resume), possibly before this returns. Then, on the requester's thread,
 * api_obj_create_finish collects the result. managed (may be NULL): obj's metadata.managedFields as JSON text
 * (api_raw_dumps_shape_managed; obj has none, nor a resourceVersion), for a key stored as it is (no
 * api_storage_map), else KC_EINVALID. Returns 0 (*out set, done will run), KC_EUNSUPPORTED (a backend without
 * asynchronous writes), or api_obj_create's immediate errors (done will not run). */
struct api_obj_pending;
int api_obj_create_start(struct api_store *s, const char *key, const json_t *obj, const char *managed,
                         size_t managed_len, int64_t lease, void (*done)(void *arg), void *arg,
                         struct api_obj_pending **out);
/* Whether api_obj_create_finish needs the object for the reply text (a kind stored in another version). When it
 * does not, the caller may release the object right after the start, while it is still in the cache. */
bool api_obj_create_needs_obj(const struct api_obj_pending *p);
/* The result of a started create once its done ran, as api_obj_create_json returns it (KC_EEXIST when the name is
 * taken, the store's error, ...; obj is the object that was started, or NULL when api_obj_create_needs_obj said
 * so and only the reply text is wanted). Frees p. */
int api_obj_create_finish(struct api_obj_pending *p, const json_t *obj, int64_t *rev, char **json, size_t *json_len);

/* --- kinds served in one version and stored in another ---
 *
 * Upstream stores one resource and converts on the way in and out: an events.k8s.io/v1 Event is the core/v1
 * Event at /registry/events/<ns>/<name>. The object helpers above translate keys under `served` to `stored` and
 * convert every object that crosses (get, create, update, delete, list, pages); the watch cache watches the
 * stored prefix and watch.c converts events. */
struct api_storage_map {
    const char *served;                        /* key prefix as api_storage_key gives it for the served kind */
    const char *stored;                        /* where those objects are stored */
    json_t *(*to_stored)(const json_t *obj);   /* served -> stored form; new reference, NULL without memory */
    json_t *(*from_stored)(const json_t *obj); /* stored -> served form */
};

/* The map whose served prefix key starts with, or NULL (apiserver/events.c holds the table). */
const struct api_storage_map *api_storage_map_find(const char *key);

/* The stored key of a served one (key with m->served replaced by m->stored) in buf. Returns buf, or NULL when it
 * does not fit. */
const char *api_storage_map_key(const struct api_storage_map *m, const char *key, char *buf, size_t len);

#endif
