/* watchcache.c - the per-resource watch cache (api_watchcache.h): one store watch per key prefix keeps the
 * current objects and a bounded ring of recent events; readers take events by revision, groups of watchers are
 * woken when events arrive, a cancelled store watch is resumed or, when its revision was compacted, rebuilt
 * from a list (positions before the list then get 410). Each event's text comes from the stored bytes; its
 * lines are encoded once, by the first reader that needs each.
 */
#include "api_watchcache.h"
#include "api_codec.h"
#include "api_int.h"
#include "api_rawjson.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_json.h"
#include "kc_log.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define LIST_PAGE    1000 /* keys per range while (re)listing */
#define DELETE_BYTES 512  /* what a delete event counts against max_bytes beyond its key and text */
#define READ_DEFAULT 256

enum state { C_NEW, C_LISTING, C_READY, C_FAILED };

struct api_wcache {
    struct api_wcaches *reg;
    char *prefix;
    char label[160]; /* the metric's resource label: the prefix without /registry/ and the last '/' */
    pthread_mutex_t lock;
    pthread_cond_t cond; /* state changes */
    enum state state;
    int fail_rc;
    /* the store watch: only the pumping thread touches these */
    struct api_store_watch *sw;
    int64_t retry_at_ms;
    bool need_list;     /* the failed recovery was a relist */
    int64_t resumed_ms; /* when the store watch was last resumed (a resume failing at once waits retry_ms) */
    bool watching;      /* under lock: sw is open (for api_wcache_stats) */
    /* under lock (the pumping thread, the only writer, reads them without it) */
    json_t *objects; /* key -> current object's JSON text (metadata.resourceVersion set) as a JSON string: a
                        tenth of the memory of its parsed tree; parsed when an event or a snapshot needs it */
    struct api_wcache_event **ring;
    size_t cap, start, count, bytes;
    bool evicted;     /* an event left the ring since the last list */
    int64_t rev;      /* every event up to rev is applied */
    int64_t list_rev; /* the last (re)list's revision */
    int64_t floor;    /* the last evicted revision (or list_rev) */
    int64_t received, resumes, relists;
    struct api_wcache_group *groups;
    /* the thread */
    pthread_t thread;
    bool thread_started;
    int stop_fd;
    struct api_wcache *next;
};

struct api_wcaches {
    struct api_store *store;
    struct api_wcache_config cfg;
    kc_metric *m_events;
    pthread_mutex_t lock;
    struct api_wcache *caches;
    bool stopped; /* api_wcaches_stop ran */
};

static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- events --- */

/* An encoded event line. */
struct api_wcache_line {
    size_t len;
    char text[];
};

/* What a line of an n-byte text holds at most: its header, {"type":"MODIFIED","object": and }\n around the text,
 * and for a LEFT line the digits its resourceVersion may gain. */
#define LINE_BYTES(n) (sizeof(struct api_wcache_line) + 32 + 20 + (n))

/* The bytes event e counts against max_bytes: its key and text, and every line its views can make (readers make
 * them later, so they are counted before; api_wcache_event_view says which): a delete's DELETED; a put's ADDED,
 * with a previous state LEFT of that, and for a change of a known object MODIFIED. */
static size_t
event_bytes(const struct api_wcache_event *e, size_t key_len)
{
    size_t text = json_string_length(e->text);
    if (e->deleted)
        return DELETE_BYTES + key_len + text + LINE_BYTES(text);
    size_t n = key_len + text + LINE_BYTES(text);
    if (e->prev)
        n += LINE_BYTES(json_string_length(e->prev)) + (e->created ? 0 : LINE_BYTES(text));
    return n;
}

static void
event_unref(struct api_wcache_event *e)
{
    if (!e || __atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    json_decref(e->text);
    json_decref(e->prev);
    for (int v = 0; v < API_WCACHE_NVIEWS; v++)
        free(e->lines[v]);
    free(e->key);
    free(e);
}

void
api_wcache_events_release(struct api_wcache_event **evs, size_t n)
{
    for (size_t i = 0; evs && i < n; i++)
        event_unref(evs[i]);
    free(evs);
}

/* A stored value as an object with metadata.resourceVersion = rev, or NULL when it is not a JSON object. */
static json_t *
decode(const uint8_t *value, size_t len, int64_t rev)
{
    json_t *o = api_raw_parse((const char *)value, len, true); /* as kc_json_parse, faster */
    if (!o && (!value || kc_json_parse((const char *)value, len, &o, NULL, 0) != 0))
        return NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        return NULL;
    }
    char rv[32];
    snprintf(rv, sizeof(rv), "%" PRId64, rev);
    if (kc_json_set(o, "metadata.resourceVersion", json_string(rv)) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* A copy of obj (sharing everything but the top level and metadata) with metadata.resourceVersion = rev. */
static json_t *
with_rev(const json_t *obj, int64_t rev)
{
    json_t *o = json_copy((json_t *)obj);
    json_t *md = json_copy(json_object_get(obj, "metadata"));
    char rv[32];
    snprintf(rv, sizeof(rv), "%" PRId64, rev);
    if (!o || !md || json_object_set_new(md, "resourceVersion", json_string(rv)) != 0 ||
        json_object_set_new(o, "metadata", md) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* --- the ring (under lock) --- */

static int
ring_push(struct api_wcache *c, struct api_wcache_event *e)
{
    if (c->count == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 64;
        struct api_wcache_event **n = kc_malloc(ncap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        for (size_t i = 0; i < c->count; i++)
            n[i] = c->ring[(c->start + i) % c->cap];
        free(c->ring);
        c->ring = n;
        c->cap = ncap;
        c->start = 0;
    }
    c->ring[(c->start + c->count) % c->cap] = e;
    c->count++;
    c->bytes += e->bytes;
    return 0;
}

static struct api_wcache_event *
ring_at(const struct api_wcache *c, size_t i)
{
    return c->ring[(c->start + i) % c->cap];
}

/* Evicts whole revisions, oldest first, until the ring is within its bounds. */
static void
ring_trim(struct api_wcache *c)
{
    const struct api_wcache_config *cfg = &c->reg->cfg;
    while (c->count > 0 && (c->count > cfg->max_events || c->bytes > cfg->max_bytes)) {
        int64_t rev = ring_at(c, 0)->rev;
        while (c->count > 0 && ring_at(c, 0)->rev == rev) {
            struct api_wcache_event *e = ring_at(c, 0);
            c->start = (c->start + 1) % c->cap;
            c->count--;
            c->bytes -= e->bytes;
            event_unref(e);
        }
        c->floor = rev;
        c->evicted = true;
    }
}

static void
ring_clear(struct api_wcache *c)
{
    while (c->count > 0) {
        event_unref(ring_at(c, 0));
        c->start = (c->start + 1) % c->cap;
        c->count--;
    }
    c->bytes = 0;
    c->start = 0;
}

/* The oldest revision a reader may start after, as upstream's watch cache: the list's revision while nothing
 * was evicted, else the first event's revision - 1 (no event of this prefix lies between). */
static int64_t
oldest_locked(const struct api_wcache *c)
{
    if (!c->evicted)
        return c->list_rev;
    if (c->count > 0)
        return ring_at(c, 0)->rev - 1;
    return c->floor;
}

/* Collects the groups to wake (members and not pending) and marks them pending. Under lock. */
static size_t
groups_due(struct api_wcache *c, struct api_wcache_group ***out)
{
    size_t n = 0;
    for (struct api_wcache_group *g = c->groups; g; g = g->next_g)
        if (g->nmembers > 0 && !g->pending)
            n++;
    *out = NULL;
    if (n == 0)
        return 0;
    struct api_wcache_group **arr = kc_malloc(n * sizeof(*arr));
    if (!arr)
        return 0; /* the next batch tries again; pending stays false */
    n = 0;
    for (struct api_wcache_group *g = c->groups; g; g = g->next_g) {
        if (g->nmembers > 0 && !g->pending) {
            g->pending = true;
            arr[n++] = g;
        }
    }
    *out = arr;
    return n;
}

/* Wakes the groups that have members (not under lock). */
static void
wake_groups(struct api_wcache *c)
{
    struct api_wcache_group **due;
    pthread_mutex_lock(&c->lock);
    size_t n = groups_due(c, &due);
    pthread_mutex_unlock(&c->lock);
    for (size_t i = 0; i < n; i++)
        due[i]->wake(due[i]);
    free(due);
}

/* --- listing and the store watch (the pumping thread) --- */

static char *
key_dup(const struct kvs_kv *kv)
{
    return kc_strndup((const char *)kv->key, kv->key_len);
}

/* A shaped object's text with metadata.resourceVersion = rev, rewritten in place; NULL when memory is short. */
static json_t *
shaped_text(const struct api_raw_shape *shape, int64_t rev)
{
    struct api_rawbuf b = { 0 };
    api_raw_object(&b, shape, rev, true);
    json_t *t = b.oom ? NULL : json_stringn_nocheck(b.p, b.len);
    free(b.p);
    return t;
}

/* What the cache keeps of an object's JSON text s[0, n): the text with metadata.resourceVersion = rev, rewritten
 * in place, or encoded again from the parsed object when the scanner refuses it. NULL with *bad set when it is not
 * a JSON object, NULL alone when memory is short. */
static json_t *
text_at(const char *s, size_t n, int64_t rev, struct api_raw_shape *shape, bool *bad)
{
    char *owned;
    int rc = api_codec_open(s, n, &s, &n, &owned);
    *bad = rc == KC_EINTERNAL;
    if (rc != 0)
        return NULL;
    json_t *t = NULL;
    if (api_raw_shape(s, n, shape) == 0) {
        t = shaped_text(shape, rev);
    } else {
        json_t *o = decode((const uint8_t *)s, n, rev);
        size_t tlen = 0;
        char *text = o ? api_raw_dumps(o, &tlen) : NULL;
        *bad = !o;
        json_decref(o);
        t = text ? json_stringn_nocheck(text, tlen) : NULL;
        free(text);
    }
    free(owned);
    return t;
}

/* The object a kept text stands for (a new reference), or NULL when memory is short. */
static json_t *
kept_object(const json_t *t)
{
    return api_wcache_text_object(t);
}

json_t *
api_wcache_text_object(const json_t *t)
{
    const char *s = json_string_value(t);
    size_t n = json_string_length(t);
    json_t *o = s ? api_raw_parse(s, n, false) : NULL;
    return o || !s ? o : json_loadb(s, n, 0, NULL);
}

/* Lists prefix (ending in '/') at revision (0: current) into a new key -> kept text map. */
static int
list_texts(struct api_store *s, const char *prefix, int64_t revision, json_t **out, int64_t *list_rev)
{
    size_t plen = strlen(prefix);
    char *end = kc_strdup(prefix);
    json_t *map = json_object();
    char *after = NULL;
    struct api_raw_shape *shape = kc_malloc(sizeof(*shape));
    int rc = 0;
    if (!end || !map || !shape) {
        rc = -ENOMEM;
        goto out;
    }
    end[plen - 1]++; /* '/' + 1: every key under the prefix */
    for (;;) {
        struct kvs_range_req r = {
            .key = after ? (struct kvs_buf){ after, strlen(after) + 1 } : (struct kvs_buf){ prefix, plen },
            .range_end = { end, plen },
            .revision = revision,
            .limit = LIST_PAGE,
        };
        struct kvs_resp *resp;
        rc = api_store_range(s, &r, &resp);
        if (rc != 0)
            goto out;
        if (revision <= 0)
            revision = resp->revision; /* every later page reads the first page's revision */
        for (size_t i = 0; rc == 0 && i < resp->n_kvs; i++) {
            const struct kvs_kv *kv = &resp->kvs[i];
            char *key = key_dup(kv);
            /* as the events' texts are made: rewritten in place, parsed only when the scanner refuses them, and
             * kept only when they are a JSON object */
            bool bad = false;
            json_t *t = text_at((const char *)kv->value, kv->value_len, kv->mod_revision, shape, &bad);
            if (!key || (!t && !bad))
                rc = -ENOMEM;
            else if (t && json_object_set_new(map, key, t) != 0)
                rc = -ENOMEM;
            else if (bad)
                KC_LOG(KC_LOG_WARN, "apiserver", "watch cache: stored value is not a JSON object", "key=%s", key);
            if (rc != 0 && t && !key)
                json_decref(t);
            free(after);
            after = key;
        }
        bool more = resp->more && resp->n_kvs > 0;
        api_store_resp_free(s, resp);
        if (rc != 0 || !more)
            break;
    }
out:
    free(shape);
    free(after);
    free(end);
    if (rc == 0) {
        *out = map;
        *list_rev = revision;
    } else {
        json_decref(map);
    }
    return rc;
}

static void
set_watching(struct api_wcache *c, bool on)
{
    pthread_mutex_lock(&c->lock);
    c->watching = on;
    pthread_mutex_unlock(&c->lock);
}

/* Closes the store watch. */
static void
unwatch(struct api_wcache *c)
{
    if (c->sw) {
        api_store_watch_free(c->sw);
        c->sw = NULL;
        set_watching(c, false);
    }
}

static int
watch_from(struct api_wcache *c, int64_t start)
{
    size_t plen = strlen(c->prefix);
    char *end = kc_strdup(c->prefix);
    if (!end)
        return -ENOMEM;
    end[plen - 1]++;
    struct kvs_watch_req wr = {
        .key = { c->prefix, plen },
        .range_end = { end, plen },
        .start_revision = start,
    };
    int rc = api_store_watch(c->reg->store, &wr, &c->sw);
    free(end);
    if (rc == 0)
        set_watching(c, true);
    return rc;
}

/* Builds (or rebuilds) the cache from a list at revision (0: current; a compacted or future one falls back to
 * the current) and opens the store watch after it. */
static int
build(struct api_wcache *c, int64_t revision)
{
    json_t *map;
    int64_t rev;
    int rc = list_texts(c->reg->store, c->prefix, revision, &map, &rev);
    if (rc != 0 && revision > 0)
        rc = list_texts(c->reg->store, c->prefix, 0, &map, &rev);
    if (rc != 0)
        return rc;
    unwatch(c);
    rc = watch_from(c, rev + 1);
    if (rc != 0) {
        json_decref(map);
        return rc;
    }
    pthread_mutex_lock(&c->lock);
    json_t *old = c->objects;
    c->objects = map;
    ring_clear(c);
    c->evicted = false;
    c->rev = rev;
    c->list_rev = rev;
    c->floor = rev;
    pthread_mutex_unlock(&c->lock);
    json_decref(old);
    return 0;
}

/* Applies one batch of store events: objects, ring, revision. */
static int
apply(struct api_wcache *c, const struct kvs_watch_batch *b)
{
    struct api_wcache_event **evs = b->n_events ? kc_calloc(b->n_events, sizeof(*evs)) : NULL;
    size_t n = 0;
    if (b->n_events && !evs)
        return -ENOMEM;
    /* Build the events without the lock: this thread is the only writer of objects. A key changed twice in one
     * batch finds its first change in `pending`: key -> the text of the batch's last put of it, or null after a
     * delete. */
    json_t *pending = json_object();
    struct api_raw_shape *shape = kc_malloc(sizeof(*shape));
    if (!pending || !shape) {
        json_decref(pending);
        free(shape);
        free(evs);
        return -ENOMEM;
    }
    int rc = 0;
    for (size_t i = 0; i < b->n_events && rc == 0; i++) {
        const struct kvs_event *ke = &b->events[i];
        struct api_wcache_event *e = kc_calloc(1, sizeof(*e));
        char *key = key_dup(&ke->kv);
        if (!e || !key) {
            free(e);
            free(key);
            rc = -ENOMEM;
            break;
        }
        e->refs = 1;
        e->key = key;
        e->rev = ke->kv.mod_revision;
        /* the state before: the batch's own change of the key, else the cache's current text of it (the previous
         * event's text while that one is in the ring), shared as it is */
        json_t *before = json_incref(json_object_get(pending, key));
        if (!before)
            before = json_incref(json_object_get(c->objects, key));
        if (json_is_null(before)) {
            json_decref(before);
            before = NULL;
        }
        bool bad = false;
        if (ke->type == KVS_EVENT_DELETE) {
            e->deleted = true;
            bool known = before != NULL;
            e->text =
                known ? text_at(json_string_value(before), json_string_length(before), e->rev, shape, &bad) : NULL;
            json_decref(before);
            json_object_set_new(pending, key, json_null());
            if (!e->text) { /* nothing known of it: nobody could have seen it (or no memory to say it) */
                rc = known && !bad ? -ENOMEM : 0;
                event_unref(e);
                if (rc != 0)
                    break;
                continue;
            }
            e->bytes = event_bytes(e, ke->kv.key_len);
        } else {
            e->created = ke->kv.create_revision == ke->kv.mod_revision;
            e->text = text_at((const char *)ke->kv.value, ke->kv.value_len, e->rev, shape, &bad);
            if (!e->text) {
                json_decref(before);
                event_unref(e);
                if (!bad) {
                    rc = -ENOMEM;
                    break;
                }
                KC_LOG(KC_LOG_WARN, "apiserver", "watch cache: stored value is not a JSON object", "key=%s", key);
                continue;
            }
            e->prev = before;
            e->bytes = event_bytes(e, ke->kv.key_len);
            if (json_object_set(pending, key, e->text) != 0) {
                evs[n++] = e;
                rc = -ENOMEM;
                break;
            }
        }
        evs[n++] = e;
    }
    free(shape);
    if (rc != 0) {
        json_decref(pending);
        api_wcache_events_release(evs, n);
        return rc;
    }
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < n; i++) {
        struct api_wcache_event *e = evs[i];
        json_t *t = json_object_get(pending, e->key);
        if (e->deleted)
            json_object_del(c->objects, e->key);
        else if (json_is_string(t))
            json_object_set(c->objects, e->key, t); /* the batch's last put of the key (null: it was deleted) */
        if (ring_push(c, e) != 0) {
            /* cannot keep it: readers before it can no longer be served */
            c->evicted = true;
            ring_clear(c);
            c->floor = e->rev;
            event_unref(e);
        }
    }
    for (size_t i = 0; i < b->n_events; i++)
        if (b->events[i].kv.mod_revision > c->rev)
            c->rev = b->events[i].kv.mod_revision;
    if (b->n_events == 0 && !b->canceled && b->revision > c->rev)
        c->rev = b->revision; /* a progress notification: everything up to it was delivered */
    ring_trim(c);
    c->received += (int64_t)b->n_events;
    pthread_mutex_unlock(&c->lock);
    json_decref(pending);
    free(evs);
    if (c->reg->m_events && b->n_events)
        kc_metric_add(c->reg->m_events, (const char *[]){ c->label }, (double)b->n_events);
    return 0;
}

/* After a cancel: re-watch from rev + 1, which the store answers with the missing events or, when that revision
 * is compacted, with another cancel carrying compact_revision (then relist). */
static int
recover(struct api_wcache *c, bool compacted)
{
    int rc;
    if (compacted) {
        KC_LOG(KC_LOG_WARN, "apiserver", "watch cache: revision compacted, relisting", "prefix=%s rev=%" PRId64,
               c->prefix, c->rev);
        rc = build(c, 0);
        if (rc == 0) {
            pthread_mutex_lock(&c->lock);
            c->relists++;
            pthread_mutex_unlock(&c->lock);
        }
    } else if (now_ms() - c->resumed_ms < c->reg->cfg.retry_ms) {
        /* cancelled again right after a resume (a store that went away): wait before the next attempt */
        c->retry_at_ms = c->resumed_ms + c->reg->cfg.retry_ms;
        c->need_list = false;
        c->resumed_ms = 0;
        return KC_EUNAVAILABLE;
    } else {
        int64_t from;
        c->resumed_ms = now_ms();
        pthread_mutex_lock(&c->lock);
        from = c->rev + 1;
        pthread_mutex_unlock(&c->lock);
        rc = watch_from(c, from);
        if (rc == 0) {
            pthread_mutex_lock(&c->lock);
            c->resumes++;
            pthread_mutex_unlock(&c->lock);
        }
    }
    if (rc != 0) {
        KC_LOG(KC_LOG_WARN, "apiserver", "watch cache: cannot watch the store, retrying", "prefix=%s error=%s",
               c->prefix, kc_strerror(rc));
        c->retry_at_ms = now_ms() + c->reg->cfg.retry_ms;
        c->need_list = compacted;
    }
    return rc;
}

/* Applies every ready batch; handles a cancel. Returns 0 or the error of a failed recovery. */
static int
drain(struct api_wcache *c)
{
    int rc = 0;
    bool woke = false;
    while (c->sw) {
        struct kvs_watch_batch *b;
        int prc = api_store_watch_poll(c->sw, &b);
        if (prc == -EAGAIN)
            break;
        if (prc != 0 && prc != -ECANCELED) {
            KC_LOG(KC_LOG_WARN, "apiserver", "watch cache: store watch failed", "prefix=%s error=%s", c->prefix,
                   kc_strerror(prc));
            prc = -ECANCELED; /* start over from rev + 1 */
        }
        if (prc == -ECANCELED) {
            unwatch(c);
            rc = recover(c, false);
            woke = true;
            break;
        }
        bool canceled = b->canceled;
        bool compacted = b->canceled && b->compact_revision > 0;
        int arc = apply(c, b);
        if (arc != 0)
            KC_LOG(KC_LOG_ERROR, "apiserver", "watch cache: cannot apply events, rebuilding", "prefix=%s error=%s",
                   c->prefix, kc_strerror(arc));
        api_store_watch_batch_free(c->sw, b);
        woke = true;
        if (canceled || arc != 0) {
            unwatch(c);
            rc = recover(c, compacted || arc != 0);
            break;
        }
    }
    if (woke)
        wake_groups(c);
    return rc;
}

int
api_wcache_pump(struct api_wcache *c, int timeout_ms)
{
    if (!c->sw) {
        int64_t wait = c->retry_at_ms - now_ms();
        if (wait > 0 && timeout_ms != 0) {
            struct pollfd p = { .fd = c->stop_fd, .events = POLLIN };
            poll(&p, 1, timeout_ms < 0 || wait < timeout_ms ? (int)wait : timeout_ms);
        }
        if (c->retry_at_ms > now_ms())
            return KC_EUNAVAILABLE;
        int rc = recover(c, c->need_list);
        if (rc != 0)
            return rc;
    }
    struct pollfd p[2] = { { .fd = api_store_watch_fd(c->sw), .events = POLLIN },
                           { .fd = c->stop_fd, .events = POLLIN } };
    if (timeout_ms != 0)
        poll(p, 2, timeout_ms);
    return drain(c);
}

static void *
cache_main(void *arg)
{
    struct api_wcache *c = arg;
    for (;;) {
        struct pollfd p = { .fd = c->stop_fd, .events = POLLIN };
        if (poll(&p, 1, 0) > 0)
            break;
        api_wcache_pump(c, -1);
    }
    return NULL;
}

/* --- the registry --- */

int
api_wcaches_new(struct api_store *store, const struct api_wcache_config *cfg, kc_metrics *metrics,
                struct api_wcaches **out)
{
    struct api_wcaches *r = kc_calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->store = store;
    if (cfg)
        r->cfg = *cfg;
    if (!r->cfg.max_events)
        r->cfg.max_events = API_WCACHE_EVENTS;
    if (!r->cfg.max_bytes)
        r->cfg.max_bytes = API_WCACHE_BYTES;
    if (r->cfg.retry_ms <= 0)
        r->cfg.retry_ms = API_WCACHE_RETRY;
    if (metrics)
        r->m_events =
            kc_metrics_counter(metrics, "apiserver_watch_cache_events_received_total",
                               "Counter of events received in watch cache broken by resource type.", "resource");
    pthread_mutex_init(&r->lock, NULL);
    *out = r;
    return 0;
}

static void
cache_stop(struct api_wcache *c)
{
    if (c->thread_started) {
        uint64_t one = 1;
        if (write(c->stop_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
            KC_LOG(KC_LOG_ERROR, "apiserver", "watch cache: cannot stop its thread", "prefix=%s", c->prefix);
        pthread_join(c->thread, NULL);
        c->thread_started = false;
    }
}

void
api_wcaches_stop(struct api_wcaches *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stopped = true;
    for (struct api_wcache *c = r->caches; c; c = c->next)
        cache_stop(c);
    pthread_mutex_unlock(&r->lock);
}

static void
cache_free(struct api_wcache *c)
{
    cache_stop(c);
    if (c->sw)
        api_store_watch_free(c->sw);
    ring_clear(c);
    free(c->ring);
    json_decref(c->objects);
    while (c->groups) {
        struct api_wcache_group *g = c->groups;
        c->groups = g->next_g;
        free(g);
    }
    if (c->stop_fd >= 0)
        close(c->stop_fd);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
    free(c->prefix);
    free(c);
}

void
api_wcaches_free(struct api_wcaches *r)
{
    if (!r)
        return;
    while (r->caches) {
        struct api_wcache *c = r->caches;
        r->caches = c->next;
        cache_free(c);
    }
    pthread_mutex_destroy(&r->lock);
    free(r);
}

static struct api_wcache *
cache_new(struct api_wcaches *r, const char *prefix)
{
    struct api_wcache *c = kc_calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->reg = r;
    c->stop_fd = -1;
    c->prefix = kc_strdup(prefix);
    c->objects = json_object();
    c->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!c->prefix || !c->objects || c->stop_fd < 0) {
        free(c->prefix);
        json_decref(c->objects);
        if (c->stop_fd >= 0)
            close(c->stop_fd);
        free(c);
        return NULL;
    }
    const char *l = strncmp(prefix, "/registry/", 10) == 0 ? prefix + 10 : prefix;
    snprintf(c->label, sizeof(c->label), "%.*s", (int)(strlen(l) ? strlen(l) - 1 : 0), l);
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    return c;
}

int
api_wcaches_get(struct api_wcaches *r, const char *prefix, int64_t start_rev, struct api_wcache **out)
{
    size_t plen = prefix ? strlen(prefix) : 0;
    if (!r || plen < 2 || prefix[plen - 1] != '/')
        return KC_EINVALID;
    pthread_mutex_lock(&r->lock);
    if (r->stopped) {
        pthread_mutex_unlock(&r->lock);
        return KC_EUNAVAILABLE;
    }
    struct api_wcache *c = r->caches;
    while (c && strcmp(c->prefix, prefix) != 0)
        c = c->next;
    if (!c) {
        c = cache_new(r, prefix);
        if (!c) {
            pthread_mutex_unlock(&r->lock);
            return -ENOMEM;
        }
        c->next = r->caches;
        r->caches = c;
    }
    pthread_mutex_unlock(&r->lock);

    pthread_mutex_lock(&c->lock);
    while (c->state == C_LISTING)
        pthread_cond_wait(&c->cond, &c->lock);
    if (c->state == C_READY) {
        pthread_mutex_unlock(&c->lock);
        *out = c;
        return 0;
    }
    c->state = C_LISTING; /* this caller builds it; others wait */
    pthread_mutex_unlock(&c->lock);
    int rc = build(c, start_rev);
    pthread_mutex_lock(&r->lock);
    if (rc == 0 && r->stopped)
        rc = KC_EUNAVAILABLE;
    if (rc == 0 && !r->cfg.no_thread && !c->thread_started) {
        rc = -pthread_create(&c->thread, NULL, cache_main, c);
        c->thread_started = rc == 0;
    }
    pthread_mutex_unlock(&r->lock);
    pthread_mutex_lock(&c->lock);
    c->state = rc == 0 ? C_READY : C_FAILED;
    c->fail_rc = rc;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
    if (rc != 0) {
        unwatch(c);
        return rc;
    }
    KC_LOG(KC_LOG_INFO, "apiserver", "watch cache started", "prefix=%s rev=%" PRId64, prefix, c->list_rev);
    *out = c;
    return 0;
}

void
api_wcache_stats(struct api_wcache *c, struct api_wcache_stats *out)
{
    pthread_mutex_lock(&c->lock);
    out->rev = c->rev;
    out->oldest = oldest_locked(c);
    out->list_rev = c->list_rev;
    out->events = c->count;
    out->bytes = c->bytes;
    out->objects = json_object_size(c->objects);
    out->received = c->received;
    out->resumes = c->resumes;
    out->relists = c->relists;
    out->watching = c->watching;
    pthread_mutex_unlock(&c->lock);
}

/* --- readers --- */

struct kv_pair {
    const char *key;
    json_t *text;
};

static int
pair_cmp(const void *a, const void *b)
{
    return strcmp(((const struct kv_pair *)a)->key, ((const struct kv_pair *)b)->key);
}

static bool text_matches(const json_t *text, const struct kc_label_selector *ls, const struct kc_field_selector *fs);

/* The texts of map (key -> kept text) that pass the selectors, in key order, as a new array sharing them. */
static int
texts_passing(const json_t *map, const struct kc_label_selector *ls, const struct kc_field_selector *fs, json_t **out)
{
    json_t *arr = json_array();
    const char *k;
    json_t *t;
    int rc = arr ? 0 : -ENOMEM;
    json_object_foreach((json_t *)map, k, t)
    {
        if (rc == 0 && text_matches(t, ls, fs) && json_array_append(arr, t) != 0)
            rc = -ENOMEM;
    }
    if (rc != 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

int
api_wcache_store_texts(struct api_store *s, const char *key_prefix, const struct kc_label_selector *ls,
                       const struct kc_field_selector *fs, json_t **texts, int64_t *rev)
{
    json_t *map;
    int rc = list_texts(s, key_prefix, 0, &map, rev);
    if (rc == 0) {
        rc = texts_passing(map, ls, fs, texts);
        json_decref(map);
    }
    return rc;
}

int
api_wcache_snapshot_texts(struct api_wcache *c, const char *key_prefix, const struct kc_label_selector *ls,
                          const struct kc_field_selector *fs, json_t **texts, int64_t *rev)
{
    size_t kplen = key_prefix ? strlen(key_prefix) : 0;
    json_t *map = json_object(); /* the prefix's part of the current objects, sorted by key, sharing the texts */
    if (!map)
        return -ENOMEM;
    pthread_mutex_lock(&c->lock);
    size_t cap = json_object_size(c->objects), n = 0;
    struct kv_pair *pairs = kc_malloc((cap ? cap : 1) * sizeof(*pairs));
    const char *k;
    json_t *o;
    json_object_foreach(c->objects, k, o)
    {
        if (pairs && (!kplen || strncmp(k, key_prefix, kplen) == 0)) {
            pairs[n].key = k;
            pairs[n].text = o;
            n++;
        }
    }
    int64_t at = c->rev;
    int rc = pairs ? 0 : -ENOMEM;
    if (rc == 0) {
        qsort(pairs, n, sizeof(*pairs), pair_cmp);
        for (size_t i = 0; rc == 0 && i < n; i++)
            if (json_object_set(map, pairs[i].key, pairs[i].text) != 0) /* copies the key, shares the text */
                rc = -ENOMEM;
    }
    pthread_mutex_unlock(&c->lock);
    free(pairs);
    if (rc == 0)
        rc = texts_passing(map, ls, fs, texts); /* unlocked: selectors read the texts, which never change */
    json_decref(map);
    if (rc == 0)
        *rev = at;
    return rc;
}

/* The index of the first event with rev > after (count when none). Under lock. */
static size_t
first_after(const struct api_wcache *c, int64_t after)
{
    size_t lo = 0, hi = c->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ring_at(c, mid)->rev <= after)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int
api_wcache_read(struct api_wcache *c, int64_t after, size_t max, struct api_wcache_event ***evs, size_t *n,
                int64_t *oldest)
{
    if (max == 0)
        max = READ_DEFAULT;
    pthread_mutex_lock(&c->lock);
    int64_t o = oldest_locked(c);
    if (after < o) {
        pthread_mutex_unlock(&c->lock);
        *oldest = o;
        return KC_EEXPIRED;
    }
    size_t i = first_after(c, after), end = i;
    while (end < c->count && (end - i < max || ring_at(c, end)->rev == ring_at(c, end - 1)->rev))
        end++;
    struct api_wcache_event **arr = NULL;
    if (end > i) {
        arr = kc_malloc((end - i) * sizeof(*arr));
        if (!arr) {
            pthread_mutex_unlock(&c->lock);
            return -ENOMEM;
        }
        for (size_t j = i; j < end; j++) {
            arr[j - i] = ring_at(c, j);
            __atomic_add_fetch(&arr[j - i]->refs, 1, __ATOMIC_RELAXED);
        }
    }
    pthread_mutex_unlock(&c->lock);
    *evs = arr;
    *n = end - i;
    return 0;
}

enum api_wcache_view
api_wcache_view(bool deleted, bool created, const json_t *obj, const json_t *prev, const struct kc_label_selector *ls,
                const struct kc_field_selector *fs)
{
    if (deleted)
        return obj && api_selectors_match(ls, fs, obj) ? API_WCACHE_DELETED : API_WCACHE_NOTHING;
    bool now_m = obj && api_selectors_match(ls, fs, obj);
    bool before_m = prev && api_selectors_match(ls, fs, prev);
    if (now_m)
        return created || !before_m ? API_WCACHE_ADDED : API_WCACHE_MODIFIED;
    return before_m ? API_WCACHE_LEFT : API_WCACHE_NOTHING;
}

/* Whether the object a kept text holds passes the selectors: read in place (api_raw_selectors_match), parsed
 * only when it cannot be (an Event's computed fields, a text the scanner does not handle). False when out of
 * memory: that watcher misses nothing it could have been sent, since sending needs memory too. */
static bool
text_matches(const json_t *text, const struct kc_label_selector *ls, const struct kc_field_selector *fs)
{
    if (!text)
        return false;
    if (!ls && !fs)
        return true;
    struct api_raw_shape shape;
    int rc = api_raw_shape(json_string_value(text), json_string_length(text), &shape) == 0
                 ? api_raw_selectors_match(ls, fs, &shape)
                 : -1;
    if (rc >= 0)
        return rc == 1;
    json_t *o = kept_object(text);
    bool ok = o && api_selectors_match(ls, fs, o);
    json_decref(o);
    return ok;
}

enum api_wcache_view
api_wcache_event_view(const struct api_wcache_event *e, const char *key_prefix, const struct kc_label_selector *ls,
                      const struct kc_field_selector *fs)
{
    if (key_prefix && strncmp(e->key, key_prefix, strlen(key_prefix)) != 0)
        return API_WCACHE_NOTHING;
    if (e->deleted)
        return text_matches(e->text, ls, fs) ? API_WCACHE_DELETED : API_WCACHE_NOTHING;
    bool now_m = text_matches(e->text, ls, fs);
    bool before_m = e->prev && text_matches(e->prev, ls, fs);
    if (now_m)
        return e->created || !before_m ? API_WCACHE_ADDED : API_WCACHE_MODIFIED;
    return before_m ? API_WCACHE_LEFT : API_WCACHE_NOTHING;
}

const char *
api_wcache_view_type(enum api_wcache_view view)
{
    switch (view) {
    case API_WCACHE_ADDED:
        return "ADDED";
    case API_WCACHE_MODIFIED:
        return "MODIFIED";
    case API_WCACHE_DELETED:
    case API_WCACHE_LEFT:
        return "DELETED";
    default:
        return NULL;
    }
}

json_t *
api_wcache_event_object(const struct api_wcache_event *e, enum api_wcache_view view)
{
    if (view != API_WCACHE_LEFT)
        return kept_object(e->text);
    json_t *prev = e->prev ? kept_object(e->prev) : NULL;
    json_t *left = prev ? with_rev(prev, e->rev) : NULL;
    json_decref(prev);
    return left;
}

json_t *
api_wcache_event_prev(const struct api_wcache_event *e)
{
    return e->prev ? kept_object(e->prev) : NULL;
}

/* The text a view of e sends: e's own, or for LEFT its previous state's at e's revision (a new string). */
static json_t *
view_text(const struct api_wcache_event *e, enum api_wcache_view view)
{
    if (view != API_WCACHE_LEFT)
        return json_incref(e->text);
    if (!e->prev)
        return NULL;
    struct api_raw_shape shape;
    bool bad;
    return text_at(json_string_value(e->prev), json_string_length(e->prev), e->rev, &shape, &bad);
}

int
api_wcache_event_line(struct api_wcache_event *e, enum api_wcache_view view, const char **line, size_t *len)
{
    const char *type = api_wcache_view_type(view);
    if (!type)
        return KC_EINVALID;
    struct api_wcache_line *l = __atomic_load_n(&e->lines[view], __ATOMIC_ACQUIRE);
    if (!l) {
        json_t *t = view_text(e, view);
        if (!t)
            return -ENOMEM;
        const char *text = json_string_value(t);
        size_t tlen = json_string_length(t);
        char head[48];
        int hl = snprintf(head, sizeof(head), "{\"type\":\"%s\",\"object\":", type);
        struct api_wcache_line *made = kc_malloc(sizeof(*made) + (size_t)hl + tlen + 2);
        if (!made) {
            json_decref(t);
            return -ENOMEM;
        }
        memcpy(made->text, head, (size_t)hl);
        memcpy(made->text + hl, text, tlen);
        memcpy(made->text + hl + tlen, "}\n", 2);
        made->len = (size_t)hl + tlen + 2;
        json_decref(t);
        struct api_wcache_line *expected = NULL;
        if (__atomic_compare_exchange_n(&e->lines[view], &expected, made, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            l = made;
        } else {
            free(made); /* another reader made it first */
            l = expected;
        }
    }
    *line = l->text;
    *len = l->len;
    return 0;
}

const char *
api_wcache_event_type(const struct api_wcache_event *e, const char *key_prefix, const struct kc_label_selector *ls,
                      const struct kc_field_selector *fs, json_t **send)
{
    enum api_wcache_view v = api_wcache_event_view(e, key_prefix, ls, fs);
    if (v == API_WCACHE_NOTHING)
        return NULL;
    *send = api_wcache_event_object(e, v);
    return *send ? api_wcache_view_type(v) : NULL;
}

/* --- groups --- */

int
api_wcache_group_get(struct api_wcache *c, const void *key, void (*wake)(struct api_wcache_group *g),
                     struct api_wcache_group **out)
{
    pthread_mutex_lock(&c->lock);
    struct api_wcache_group *g = c->groups;
    while (g && g->key != key)
        g = g->next_g;
    if (!g) {
        g = kc_calloc(1, sizeof(*g));
        if (!g) {
            pthread_mutex_unlock(&c->lock);
            return -ENOMEM;
        }
        g->cache = c;
        g->key = key;
        g->thread = pthread_self();
        g->wake = wake;
        g->next_g = c->groups;
        c->groups = g;
    }
    pthread_mutex_unlock(&c->lock);
    *out = g;
    return 0;
}

void
api_wcache_group_begin(struct api_wcache_group *g)
{
    pthread_mutex_lock(&g->cache->lock);
    g->pending = false;
    pthread_mutex_unlock(&g->cache->lock);
}

void
api_wcache_join(struct api_wcache_group *g, struct api_wcache_watcher *w)
{
    pthread_mutex_lock(&g->cache->lock);
    w->group = g;
    w->prev = NULL;
    w->next = g->members;
    if (g->members)
        g->members->prev = w;
    g->members = w;
    g->nmembers++;
    pthread_mutex_unlock(&g->cache->lock);
}

void
api_wcache_leave(struct api_wcache_watcher *w)
{
    struct api_wcache_group *g = w->group;
    if (!g)
        return;
    pthread_mutex_lock(&g->cache->lock);
    if (w->prev)
        w->prev->next = w->next;
    else
        g->members = w->next;
    if (w->next)
        w->next->prev = w->prev;
    g->nmembers--;
    w->group = NULL;
    w->next = w->prev = NULL;
    pthread_mutex_unlock(&g->cache->lock);
}
