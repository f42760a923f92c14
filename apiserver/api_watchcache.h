/* api_watchcache.h - the watch cache: one store watch per resource kind (key prefix /registry/[<group>/]<plural>/)
 * keeps that kind's current objects (as their JSON text: a tenth of the memory of parsed trees) and a bounded ring
 * of its recent events; every client watch of the kind is served from it (watch.c). Private to the apiserver
 * library and its unit tests.
 *
 * Threading: a cache's store watch is drained by the cache's own thread (or, with no_thread, by whoever calls
 * api_wcache_pump). Readers on other threads take positions in the ring by revision: api_wcache_read hands out
 * references to immutable events, which stay valid after eviction until released. Events arriving wake each
 * group (the watchers one loop thread serves) through its wake function, at most once per api_wcache_group_begin,
 * never under the cache's lock and never blocking: a slow reader falls out of the ring and gets 410 instead of
 * holding memory.
 */
#ifndef API_WATCHCACHE_H
#define API_WATCHCACHE_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api_store.h"
#include "kc_metrics.h"

#define API_WCACHE_EVENTS 4096               /* default ring bound in events */
#define API_WCACHE_BYTES  (64 * 1024 * 1024) /* default ring bound in bytes its events hold */
#define API_WCACHE_RETRY  1000               /* ms between attempts to re-watch or relist a failed store */

struct kc_label_selector;
struct kc_field_selector;

struct api_wcache_config {
    size_t max_events; /* ring bound in events; 0 = API_WCACHE_EVENTS */
    size_t max_bytes;  /* ring bound in the memory its events hold, as counted: each event's key and text (a
                          previous state is the previous event's text or the kept one, shared), a delete 512 more,
                          and the encoded lines readers may add (each view's, counted when the event comes);
                          0 = API_WCACHE_BYTES */
    int retry_ms;      /* wait before retrying a failed re-watch or relist; 0 = API_WCACHE_RETRY */
    bool no_thread;    /* no thread per cache: the caller drives each cache with api_wcache_pump (tests) */
};

struct api_wcaches; /* the registry: one cache per key prefix, created on first use, kept until freed */
struct api_wcache;  /* one resource kind's cache */

/* How a watcher sees an event (upstream's cacheWatcher.convertToWatchEvent). */
enum api_wcache_view {
    API_WCACHE_NOTHING = -1, /* the watcher is not interested */
    API_WCACHE_ADDED = 0,    /* created, or it starts passing the selectors */
    API_WCACHE_MODIFIED,     /* changed and passes them before and after */
    API_WCACHE_DELETED,      /* deleted (its last state) */
    API_WCACHE_LEFT,         /* it stops passing them: DELETED with its previous state and the event's revision */
    API_WCACHE_NVIEWS
};

struct api_wcache_line; /* an encoded event line */

/* One event of the ring. Immutable once published (the lazily encoded lines are set once, atomically): read it
 * from any thread while holding a reference. It keeps JSON text only, no parsed tree (a tree of a pod is ~14 times
 * its text): selectors read the text in place, and the views that need objects parse them when asked. */
struct api_wcache_event {
    int64_t rev;  /* its revision (a put's mod_revision, the delete's revision) */
    bool deleted; /* a delete (else a put) */
    bool created; /* a put that created the key (create_revision == mod_revision) */
    char *key;    /* the storage key */
    json_t *text; /* a JSON string: the object's JSON text (put: now; delete: its last state) with
                     metadata.resourceVersion = rev; a put's is the one the cache keeps as the current object */
    json_t *prev; /* put: the state before as the cache kept it (its own resourceVersion; the previous event's text
                     when that is in the ring), or NULL when the key did not exist; delete: NULL */
    size_t bytes; /* what it counts against max_bytes */
    int refs;     /* private: atomic reference count */
    struct api_wcache_line *lines[API_WCACHE_NVIEWS]; /* private: each view's line, made on first use */
};

/* A client watch's place in a cache: events after pos are due. The owner sets pos before joining a group and
 * advances it as it sends; owner points back at the owner's own struct. */
struct api_wcache_watcher {
    int64_t pos;
    void *owner;
    struct api_wcache_watcher *next, *prev; /* private: the group's members */
    struct api_wcache_group *group;         /* private */
};

/* The watchers one thread serves from one cache (watch.c: one group per cache and event loop). */
struct api_wcache_group {
    struct api_wcache *cache;
    const void *key;                          /* what the group stands for (watch.c: the loop) */
    pthread_t thread;                         /* the thread that created it */
    void (*wake)(struct api_wcache_group *g); /* see api_wcache_group_get */
    struct api_wcache_watcher *members;       /* read by the group's thread; changed under the cache lock */
    size_t nmembers;
    bool pending;                    /* private: woken, api_wcache_group_begin not yet called */
    struct api_wcache_group *next_g; /* private: the cache's groups */
};

/* Counters of one cache, for tests and logs. */
struct api_wcache_stats {
    int64_t rev;      /* every event up to rev is in the cache */
    int64_t oldest;   /* a watch from a revision below this one gets 410 (see api_wcache_read) */
    int64_t list_rev; /* the revision of the last (re)list */
    size_t events;    /* in the ring now */
    size_t bytes;     /* their bytes */
    size_t objects;   /* current objects */
    int64_t received; /* events received from the store since creation */
    int64_t resumes;  /* store watches resumed at rev + 1 after a cancel */
    int64_t relists;  /* rebuilds from a list after a compacted resume (creation not counted) */
    bool watching;    /* a store watch is open now */
};

/* A registry over store (not owned). cfg NULL = defaults. metrics (may be NULL) gets the counter
 * apiserver_watch_cache_events_received_total{resource}. Returns 0, -ENOMEM. Free with api_wcaches_free. */
int api_wcaches_new(struct api_store *store, const struct api_wcache_config *cfg, kc_metrics *metrics,
                    struct api_wcaches **out);

/* Stops every cache's thread (no wake is called after it returns); api_wcaches_get then fails with
 * KC_EUNAVAILABLE. The caches stay readable. NULL is fine. */
void api_wcaches_stop(struct api_wcaches *r);

/* Stops (if needed) and frees every cache, with their events and groups (NULL is fine). Call when no watcher or
 * reader uses them any more (after the HTTP server stopped). Event references already handed out stay valid
 * until released. */
void api_wcaches_free(struct api_wcaches *r);

/* The cache of key prefix (a collection prefix ending in '/'), created on first use: a list of the prefix at
 * start_rev (0 or a revision the store no longer holds: the current one) and a store watch from the next
 * revision; then the thread starts. Blocks while the list runs (here or in another caller creating the same
 * cache). Returns 0 and *out (owned by the registry), KC_EINVALID (no prefix or not ending in '/'),
 * KC_EUNAVAILABLE after api_wcaches_stop, or the
 * store's error (KC_EUNAVAILABLE, ...) when the list or the watch fails; a later call tries again. */
int api_wcaches_get(struct api_wcaches *r, const char *prefix, int64_t start_rev, struct api_wcache **out);

/* no_thread mode: waits up to timeout_ms (< 0: forever, 0: not at all) for the store watch to have something,
 * then applies every ready batch; when the store watch was cancelled, re-watches from rev + 1, and when that
 * revision is compacted relists (every position below the new list revision then gets 410). Returns 0, or the
 * store's error when re-watching or relisting failed (the next call tries again). */
int api_wcache_pump(struct api_wcache *c, int timeout_ms);

void api_wcache_stats(struct api_wcache *c, struct api_wcache_stats *out);

/* The object a kept text (of an event or a snapshot) stands for: a new reference, NULL when memory is short. */
json_t *api_wcache_text_object(const json_t *text);

/* The current objects under key_prefix (a namespace's prefix or the cache's own; NULL = all) that pass the
 * selectors (NULL = any; read in place), as their kept JSON texts (JSON strings, metadata.resourceVersion set),
 * sorted by key, in a new array sharing the cache's strings (nothing parsed), and the revision they are at (watch
 * from there). Returns 0 or -ENOMEM. */
int api_wcache_snapshot_texts(struct api_wcache *c, const char *key_prefix, const struct kc_label_selector *ls,
                              const struct kc_field_selector *fs, json_t **texts, int64_t *rev);

/* The same from the store at its current revision (key_prefix ends in '/'), for a watch that wants the most
 * recent state: its revision in *rev. Returns 0, -ENOMEM or the store's error. */
int api_wcache_store_texts(struct api_store *s, const char *key_prefix, const struct kc_label_selector *ls,
                           const struct kc_field_selector *fs, json_t **texts, int64_t *rev);

/* The events after revision `after`, oldest first, at most about max (whole revisions only: the events of one
 * revision are never split), as a new array of references (*evs, release with api_wcache_events_release) and
 * *n (0: nothing new; *evs is NULL then). KC_EEXPIRED when after is below the oldest revision the ring can
 * serve from: *oldest gets it (for "too old resource version: <after> (<oldest>)"). -ENOMEM. */
int api_wcache_read(struct api_wcache *c, int64_t after, size_t max, struct api_wcache_event ***evs, size_t *n,
                    int64_t *oldest);

/* Drops the references api_wcache_read gave and frees the array (NULL is fine). Any thread. */
void api_wcache_events_release(struct api_wcache_event **evs, size_t n);

/* The view of an event with these facts for a watcher with these selectors (NULL = any): a delete is DELETED
 * when obj (its last state) passes; a put is ADDED when obj passes and prev (NULL: none) does not (or it was
 * created), MODIFIED when both pass, LEFT when only prev passes, NOTHING otherwise. Pure. */
enum api_wcache_view api_wcache_view(bool deleted, bool created, const json_t *obj, const json_t *prev,
                                     const struct kc_label_selector *ls, const struct kc_field_selector *fs);

/* The view of e for a watcher of key_prefix (NULL = any key; others see NOTHING) with the selectors. */
enum api_wcache_view api_wcache_event_view(const struct api_wcache_event *e, const char *key_prefix,
                                           const struct kc_label_selector *ls, const struct kc_field_selector *fs);

/* The object a view of e sends, parsed from its text: e's object, or for LEFT its previous state with
 * metadata.resourceVersion = e->rev. A new reference; NULL when out of memory (or LEFT without a previous state). */
json_t *api_wcache_event_object(const struct api_wcache_event *e, enum api_wcache_view view);

/* e's previous state (a put's; NULL: none), parsed: a new reference, NULL also when out of memory. */
json_t *api_wcache_event_prev(const struct api_wcache_event *e);

/* The watch event line of a view of e, {"type":"<TYPE>","object":<object>}\n (LEFT is type DELETED), encoded
 * once per event and view whichever watcher asks first, in *line and *len (valid while the reference to e is
 * held). Returns 0, KC_EINVALID for NOTHING, -ENOMEM. */
int api_wcache_event_line(struct api_wcache_event *e, enum api_wcache_view view, const char **line, size_t *len);

/* The watch event type of a view: "ADDED", "MODIFIED", "DELETED" (DELETED and LEFT), NULL for NOTHING. */
const char *api_wcache_view_type(enum api_wcache_view view);

/* What a watcher of key_prefix with the selectors sees of e, as a type ("ADDED", "MODIFIED", "DELETED" or NULL:
 * nothing) and in *send the object to send (api_wcache_event_object: a new reference). An object that starts
 * passing the selectors is ADDED; one that stops passing them is DELETED with its previous state and e's
 * revision, as upstream's watch cache sends it. */
const char *api_wcache_event_type(const struct api_wcache_event *e, const char *key_prefix,
                                  const struct kc_label_selector *ls, const struct kc_field_selector *fs,
                                  json_t **send);

/* c's group for key, created on first use with thread = the caller's thread. wake(g) is called on the cache's
 * thread (no lock held) when the group has members and new events (or a relist) arrived since the last
 * api_wcache_group_begin; it must not block (watch.c posts to the loop). Returns 0 and *out (owned by the
 * cache) or -ENOMEM. */
int api_wcache_group_get(struct api_wcache *c, const void *key, void (*wake)(struct api_wcache_group *g),
                         struct api_wcache_group **out);

/* Re-arms g's wake: call it before reading after a wake (so that events arriving meanwhile wake it again). */
void api_wcache_group_begin(struct api_wcache_group *g);

/* Adds w (pos set) to g, or removes it from its group (no-op when in none). Call on g's thread. */
void api_wcache_join(struct api_wcache_group *g, struct api_wcache_watcher *w);
void api_wcache_leave(struct api_wcache_watcher *w);

#endif
