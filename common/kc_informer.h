/* kc_informer.h - list+watch of one resource into a local cache, with add/update/delete handlers: client-go's
 * reflector + shared informer in C, the way every k8c controller learns the cluster's state.
 *
 * Two threads per informer: the watcher lists (paged) and watches from the list's resourceVersion, resumes
 * from the last resourceVersion it saw when a watch ends or breaks, relists on 410 Expired, and backs off on
 * errors; the dispatcher applies what the watcher saw to the cache and calls the handlers, and resyncs.
 * Retry policy: a watch the server ended (timeoutSeconds) or whose deadline passed resumes at once, unless it
 * ended within a second without any event; that, a broken connection, an ERROR event other than 410, a line
 * that is not an event, a non-200 answer or a failed list waits the backoff first (doubling up to the maximum,
 * back to the initial wait after a list or an event); a 410 relists at once (after the backoff when the
 * previous watch expired too without an event in between).
 */
#ifndef KC_INFORMER_H
#define KC_INFORMER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kc_http.h"

#define KC_INFORMER_PAGE_SIZE          500L   /* list page size (limit=) */
#define KC_INFORMER_MIN_WATCH_S        300L   /* timeoutSeconds is random in [300, 600) s, as client-go's */
#define KC_INFORMER_BACKOFF_INITIAL_MS 800L   /* first wait after a failed list or watch (client-go: 800 ms) */
#define KC_INFORMER_BACKOFF_MAX_MS     30000L /* the wait doubles up to this (client-go: 30 s) */
#define KC_INFORMER_KEY_MAX            512    /* room for any "namespace/name" key and its NUL */

/* Called on the informer's dispatcher thread, one call at a time, after the cache already shows the change.
 * Objects are borrowed for the call (json_incref() to keep one) and must not be modified: the cache shares
 * them. A handler must not call kc_informer_stop() or kc_informer_free() on its own informer. Any may be NULL.
 *
 * Watch events: ADDED and MODIFIED become on_add for a key the cache lacks, on_update otherwise; DELETED is
 * on_delete. A complete list (the first, and every relist after 410 Expired) replaces the cache: on_add for new
 * keys, on_update for objects whose resourceVersion changed (unchanged ones get no call, unlike client-go,
 * whose relist updates everything; the resync is there for that), then on_delete, by key order, for the keys
 * the list no longer has. Listed objects get apiVersion and kind from the list (kind without "List") when
 * they lack them, as watch events carry them. */
struct kc_informer_handlers {
    void (*on_add)(void *arg, const json_t *obj);
    /* old_obj is what the cache held; for a resync both are the same cached object. */
    void (*on_update)(void *arg, const json_t *old_obj, const json_t *new_obj);
    /* obj is the object's last state: the watch event's object (called also when the cache did not hold it, as
     * client-go does), or the cached one when a relist found the object gone. */
    void (*on_delete)(void *arg, const json_t *obj);
    void *arg; /* passed to each handler */
};

/* What to watch. Strings are copied by kc_informer_new(). */
struct kc_informer_opts {
    const char *path;           /* the collection: "/api/v1/namespaces", "/apis/apps/v1/deployments",
                                   "/api/v1/namespaces/default/pods"; required, starts with '/', no query */
    const char *label_selector; /* labelSelector (unescaped, e.g. "app=web,tier!=db"); NULL = all */
    const char *field_selector; /* fieldSelector (unescaped, e.g. "spec.nodeName=n1"); NULL = all */
    long page_size;             /* list limit; 0 = KC_INFORMER_PAGE_SIZE, < 0 = one unpaged list */
    long watch_timeout_s;       /* timeoutSeconds of each watch; 0 = random in [300, 600) */
    long resync_ms;             /* every resync_ms after the first sync, on_update(obj, obj) for every cached
                                   object (client-go's resync); 0 = never */
    long backoff_initial_ms;    /* 0 = KC_INFORMER_BACKOFF_INITIAL_MS */
    long backoff_max_ms;        /* 0 = KC_INFORMER_BACKOFF_MAX_MS */
    struct kc_informer_handlers handlers;
};

struct kc_informer;

/* Makes an informer for opts on the API server that api describes (its HTTP client is made here, so
 * configuration errors show now; see kc_http_new()). Nothing is sent before kc_informer_start(). On failure,
 * when errbuf is given, writes the reason there. Returns 0 (*out set; release with kc_informer_free()),
 * KC_EINVALID (no api or path, a path not starting with '/' or with a '?', a negative timing option, or what
 * kc_http_new() refuses), -ENOMEM, KC_EINTERNAL (libcurl could not initialise). */
int kc_informer_new(const struct kc_http_config *api, const struct kc_informer_opts *opts, struct kc_informer **out,
                    char *errbuf, size_t errlen);

/* Starts the watcher and dispatcher threads. Returns 0, -EBUSY (started before), or -errno from
 * pthread_create (then nothing runs). */
int kc_informer_start(struct kc_informer *inf);

/* True once the first complete list is in the cache and its handlers have returned. */
bool kc_informer_has_synced(struct kc_informer *inf);

/* Waits until kc_informer_has_synced(), up to timeout_ms (< 0: without limit). Returns 0, KC_ETIMEOUT, or
 * -ECANCELED when the informer was stopped (or never started) before it synced. */
int kc_informer_wait_synced(struct kc_informer *inf, long timeout_ms);

/* The cached object namespace/name (ns NULL or "" for a cluster-scoped object) as a new reference the caller
 * json_decref()s, or NULL when it is not in the cache. The object must not be modified (json_deep_copy() it). */
json_t *kc_informer_get(struct kc_informer *inf, const char *ns, const char *name);

/* The same by cache key ("namespace/name" or "name"). */
json_t *kc_informer_get_key(struct kc_informer *inf, const char *key);

/* The cached objects in namespace ns (NULL or "": all), sorted by key, as a new array the caller json_decref()s (its
 * elements are shared with the cache: do not modify them). NULL only when out of memory. */
json_t *kc_informer_list(struct kc_informer *inf, const char *ns);

/* The number of cached objects. */
size_t kc_informer_len(struct kc_informer *inf);

/* The resourceVersion the watcher would resume from now ("" before the first list), copied into buf (size
 * bytes, truncated). For diagnostics and tests. */
void kc_informer_resource_version(struct kc_informer *inf, char *buf, size_t size);

/* Stops both threads and waits for them: cancels the request in progress (kc_http_cancel()), lets a handler
 * that is running return, and drops what was not dispatched yet. The cache stays readable. Idempotent; fine
 * on an informer that was never started. Not from a handler of inf. */
void kc_informer_stop(struct kc_informer *inf);

/* Stops inf when needed and frees it with its cache. NULL is fine. */
void kc_informer_free(struct kc_informer *inf);

/* The cache key of obj: "namespace/name", or "name" for an object without metadata.namespace (client-go's
 * MetaNamespaceKeyFunc), written to buf (size bytes). Returns 0, KC_EINVALID (no metadata.name string),
 * KC_ETOOLARGE (does not fit). */
int kc_informer_key(const json_t *obj, char *buf, size_t size);

/* Splits a cache key: the namespace ("" when the key has no '/') into ns (size bytes) and a pointer to the
 * name inside key into *name. Returns 0, KC_EINVALID (empty namespace or name, or more than one '/'),
 * KC_ETOOLARGE (the namespace does not fit). */
int kc_informer_key_split(const char *key, char *ns, size_t size, const char **name);

#endif
