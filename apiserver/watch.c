/* watch.c - watch requests: newline-delimited JSON events (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR) served from
 * the resource's watch cache (watchcache.c), with label/field selector transitions as upstream (an object that
 * starts matching is ADDED, one that stops is DELETED with its previous state), the synthetic ADDED events for
 * resourceVersion "" / "0", WatchList (sendInitialEvents) with its initial-events-end bookmark, 410 Expired as an ERROR
 * event, Table events, bookmarks, timeoutSeconds, and flow control: at API_WATCH_HIGH unsent bytes a watch stops
 * taking events (the rest waits in the cache's ring, or in the snapshot) until the stream drains; a client that
 * falls behind the whole ring gets 410 Expired.
 *
 * Setup (finding or building the cache, the initial snapshot) runs on a worker. Each watch then joins its cache's
 * group for its loop; the cache's thread wakes the group with kc_httpd_post, and the loop reads every member's
 * events from the cache's ring and writes to its stream the event lines the cache encoded once for all watchers.
 * events.k8s.io/v1 Events are watched in the core/v1 cache and converted per watcher. */
#include "api_int.h"
#include "api_rawjson.h"
#include "api_watchcache.h"
#include "kc_error.h"
#include "kc_json.h"
#include "kc_log.h"
#include "kc_selector.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_WATCH_BUFFER      (16 * 1024 * 1024) /* unsent bytes at most (one huge event beyond it ends a watch) */
#define API_WATCH_HIGH        (128 * 1024)       /* unsent bytes at which a watch stops taking events for now */
#define API_WATCH_TIMEOUT_S   1800               /* kube-apiserver's --min-request-timeout */
#define API_BOOKMARK_EVERY_MS 60000
#define API_WATCH_READ        256 /* events taken from the ring at a time */

struct watch {
    struct api_request rq; /* copy; strings below keep its query values alive */
    char *strings[8];
    struct kc_label_selector *ls;
    struct kc_field_selector *fs;
    struct api_wcache *cache;
    const struct api_storage_map *map; /* the kind is stored in another version: convert (NULL: no) */
    struct api_wcache_watcher cw;      /* its place in the cache (pos: the last revision read) */
    char key_prefix[1024];             /* the namespace's keys (or the whole resource's) */
    kc_httpd_stream *st;
    kc_httpd_loop *loop;
    struct kc_httpd_timer timeout, bookmark;
    int64_t start_rev; /* watch events after this revision */
    int64_t last_rev;  /* the last revision seen (for bookmarks) */
    json_t *initial;   /* synthetic ADDED objects, sent first */
    bool initial_text; /* initial holds the objects' kept texts (JSON strings), not objects */
    size_t initial_at; /* how many of them went out */
    bool initial_end;  /* send the initial-events-end bookmark after them */
    bool initial_sent; /* the initial events (and that bookmark) are out */
    bool bookmarks;
    bool table;
    bool first_table;     /* the first Table event carries the column definitions */
    bool closed;          /* the stream is over (on_close ran) */
    bool done;            /* nothing more to send: the stream was ended */
    bool busy;            /* inside pump: on_close defers the free */
    bool paused;          /* pump stopped at the high-water mark: on_drain goes on */
    struct api_reply err; /* a setup failure, answered as a plain response */
};

static void
watch_free(struct watch *w)
{
    kc_httpd_timer_cancel(&w->timeout);
    kc_httpd_timer_cancel(&w->bookmark);
    api_wcache_leave(&w->cw);
    kc_label_selector_free(w->ls);
    kc_field_selector_free(w->fs);
    json_decref(w->initial);
    json_decref(w->err.body);
    for (size_t i = 0; i < sizeof(w->strings) / sizeof(w->strings[0]); i++)
        free(w->strings[i]);
    free(w);
}

static void
on_close(void *arg)
{
    struct watch *w = arg;
    kc_metric_add(w->rq.srv->m_watchers, NULL, -1);
    w->closed = true;
    w->done = true;
    if (!w->busy)
        watch_free(w);
}

static void
end_watch(struct watch *w)
{
    if (!w->done) {
        w->done = true;
        kc_httpd_stream_end(w->st);
    }
}

/* Writes one event line. Returns -1 when the stream is over (slow client or gone). */
static int
send_line(struct watch *w, const char *line, size_t len)
{
    int rc = kc_httpd_stream_write(w->st, line, len);
    if (rc == -ENOBUFS)
        KC_LOG(KC_LOG_WARN, "apiserver", "watch too slow, ending it", "resource=%s", w->rq.res->plural);
    if (rc != 0)
        end_watch(w);
    return rc == 0 ? 0 : -1;
}

static int send_event(struct watch *w, const char *type, const json_t *object);

/* An event of a kind stored in another version (events.k8s.io/v1 Events in the core/v1 cache): the objects are
 * converted first, then the selectors (which name the watcher's version's fields) read them. */
static int
send_converted(struct watch *w, struct api_wcache_event *ev)
{
    if (strncmp(ev->key, w->key_prefix, strlen(w->key_prefix)) != 0)
        return 0;
    json_t *cur_s = api_wcache_event_object(ev, API_WCACHE_ADDED), *prev_s = api_wcache_event_prev(ev);
    json_t *cur = cur_s ? w->map->from_stored(cur_s) : NULL;
    json_t *prev = prev_s ? w->map->from_stored(prev_s) : NULL;
    json_decref(cur_s);
    json_decref(prev_s);
    enum api_wcache_view v = api_wcache_view(ev->deleted, ev->created, cur, prev, w->ls, w->fs);
    json_t *send = NULL;
    if (v == API_WCACHE_LEFT) {
        json_t *left = api_wcache_event_object(ev, v);
        send = left ? w->map->from_stored(left) : NULL;
        json_decref(left);
    } else if (v != API_WCACHE_NOTHING) {
        send = json_incref(cur);
    }
    int rc = 0;
    if (v != API_WCACHE_NOTHING && !send) {
        end_watch(w);
        rc = -1;
    } else if (send) {
        rc = send_event(w, api_wcache_view_type(v), send);
    }
    json_decref(send);
    json_decref(cur);
    json_decref(prev);
    return rc;
}

/* Writes one event of type with object. Returns -1 when the stream is over. */
static int
send_event(struct watch *w, const char *type, const json_t *object)
{
    json_t *obj;
    if (w->table && strcmp(type, "ERROR") != 0 && strcmp(type, "BOOKMARK") != 0) {
        json_t *items = json_pack("[O]", object);
        obj = api_table(&w->rq, items, true, NULL, w->first_table);
        w->first_table = false;
        json_decref(items);
    } else {
        obj = json_incref((json_t *)object); /* shared with the cache: only read */
    }
    json_t *ev = json_pack("{s:s,s:o}", "type", type, "object", obj);
    size_t len;
    char *text = ev ? api_raw_dumps(ev, &len) : NULL;
    json_decref(ev);
    if (!text) {
        end_watch(w);
        return -1;
    }
    text[len] = '\n'; /* over the NUL: the event ends with a newline, as clients need */
    int rc = send_line(w, text, len + 1);
    free(text);
    return rc;
}

/* Sends one event of the cache: the line the cache encoded once for every watcher that sees it this way, or,
 * for Table watchers and a kind stored in another version, the object made for this watcher. */
static int
send_cached(struct watch *w, struct api_wcache_event *ev)
{
    if (w->map)
        return send_converted(w, ev);
    enum api_wcache_view v = api_wcache_event_view(ev, w->key_prefix, w->ls, w->fs);
    if (v == API_WCACHE_NOTHING)
        return 0;
    if (w->table) {
        json_t *obj = api_wcache_event_object(ev, v);
        if (!obj) {
            end_watch(w);
            return -1;
        }
        int rc = send_event(w, api_wcache_view_type(v), obj);
        json_decref(obj);
        return rc;
    }
    const char *line;
    size_t len;
    if (api_wcache_event_line(ev, v, &line, &len) != 0) {
        end_watch(w); /* out of memory: the client re-watches from its last revision */
        return -1;
    }
    return send_line(w, line, len);
}

static int
send_bookmark(struct watch *w, int64_t rev, bool initial_end)
{
    char av[128], rv[32];
    api_resource_api_version(w->rq.res, av, sizeof(av));
    snprintf(rv, sizeof(rv), "%" PRId64, rev);
    json_t *meta = json_pack("{s:s}", "resourceVersion", rv);
    if (initial_end)
        json_object_set_new(meta, "annotations", json_pack("{s:s}", "k8s.io/initial-events-end", "true"));
    json_t *o = json_pack("{s:s,s:s,s:o}", "kind", w->rq.res->kind, "apiVersion", av, "metadata", meta);
    int rc = send_event(w, "BOOKMARK", o);
    json_decref(o);
    return rc;
}

/* Whether the stream holds as much unsent as a watch queues: the rest waits where it is (the snapshot, the cache's
 * ring) until on_drain. A watcher that falls behind the whole ring gets 410 Expired, as a compacted revision. */
static bool
stream_full(struct watch *w)
{
    if (kc_httpd_stream_pending(w->st) < API_WATCH_HIGH)
        return false;
    w->paused = true;
    return true;
}

/* Sends the ADDED event of an object's kept text: the text as it is, or parsed for a Table watcher. */
static int
send_added_text(struct watch *w, const json_t *text)
{
    if (w->table) {
        json_t *o = api_wcache_text_object(text);
        int rc = o ? send_event(w, "ADDED", o) : -1;
        json_decref(o);
        if (!o)
            end_watch(w);
        return rc;
    }
    static const char head[] = "{\"type\":\"ADDED\",\"object\":";
    size_t tlen = json_string_length(text), hl = sizeof(head) - 1;
    char *line = malloc(hl + tlen + 2);
    if (!line) {
        end_watch(w);
        return -1;
    }
    memcpy(line, head, hl);
    memcpy(line + hl, json_string_value(text), tlen);
    memcpy(line + hl + tlen, "}\n", 2);
    int rc = send_line(w, line, hl + tlen + 2);
    free(line);
    return rc;
}

/* Sends what is left of the initial ADDED objects (and then the initial-events-end bookmark) up to the high-water
 * mark. Returns whether they are all out. */
static bool
send_initial(struct watch *w)
{
    if (w->initial_sent)
        return true;
    while (!w->done && w->initial_at < json_array_size(w->initial)) {
        if (stream_full(w))
            return false;
        const json_t *item = json_array_get(w->initial, w->initial_at++);
        if ((w->initial_text ? send_added_text(w, item) : send_event(w, "ADDED", item)) != 0)
            return false;
    }
    if (w->done)
        return false;
    json_decref(w->initial);
    w->initial = NULL;
    w->initial_sent = true;
    if (w->initial_end)
        send_bookmark(w, w->start_rev, true);
    return true;
}

/* Sends what is due to w, up to the high-water mark: the initial events, then the events of the cache's ring; a
 * position the ring no longer holds (the cache was rebuilt, or this watcher fell behind the ring) is the 410 ERROR
 * event, as a compacted store revision was. */
static void
pump(struct watch *w)
{
    w->busy = true;
    if (!send_initial(w))
        goto out;
    while (!w->done && !stream_full(w)) {
        struct api_wcache_event **evs;
        size_t n;
        int64_t oldest;
        int rc = api_wcache_read(w->cache, w->cw.pos, API_WATCH_READ, &evs, &n, &oldest);
        if (rc == KC_EEXPIRED) {
            char msg[128];
            snprintf(msg, sizeof(msg), "too old resource version: %" PRId64 " (%" PRId64 ")", w->cw.pos, oldest);
            json_t *st = api_status(410, "Expired", msg, NULL, NULL, NULL);
            send_event(w, "ERROR", st);
            json_decref(st);
            end_watch(w);
            break;
        }
        if (rc != 0) {
            end_watch(w); /* out of memory: the client re-watches from its last revision */
            break;
        }
        if (n == 0)
            break;
        for (size_t i = 0; i < n && !w->done && !stream_full(w); i++) {
            send_cached(w, evs[i]);
            w->cw.pos = evs[i]->rev;
            w->last_rev = evs[i]->rev;
        }
        api_wcache_events_release(evs, n);
    }
out:
    w->busy = false;
    if (w->closed)
        watch_free(w);
}

/* On the loop: the stream sent what it held; a watch that stopped at the high-water mark goes on. */
static void
on_drain(void *arg)
{
    struct watch *w = arg;
    if (w->paused && !w->busy && !w->done) {
        w->paused = false;
        pump(w);
    }
}

/* On the loop: the group's cache has news for its members. */
static void
on_group_wake(void *arg)
{
    struct api_wcache_group *g = arg;
    api_wcache_group_begin(g);
    /* When the server is stopping, kc_httpd_post runs this on the cache's thread: the streams are not ours. */
    if (!pthread_equal(pthread_self(), g->thread))
        return;
    struct api_wcache_watcher *m = g->members, *next;
    for (; m; m = next) {
        next = m->next;
        pump(m->owner);
    }
}

/* On the cache's thread: never blocks. */
static void
group_wake(struct api_wcache_group *g)
{
    if (kc_httpd_post((kc_httpd_loop *)g->key, on_group_wake, g) != 0)
        api_wcache_group_begin(g); /* no memory: the next event tries again */
}

static void
on_timeout(void *arg)
{
    struct watch *w = arg;
    end_watch(w);
}

static void
on_bookmark_timer(void *arg)
{
    struct watch *w = arg;
    if (!w->initial_sent) { /* a bookmark must not overtake the initial events: later */
        kc_httpd_timer_arm(w->loop, &w->bookmark, API_BOOKMARK_EVERY_MS);
        return;
    }
    if (send_bookmark(w, w->last_rev, false) == 0)
        kc_httpd_timer_arm(w->loop, &w->bookmark, API_BOOKMARK_EVERY_MS);
}

/* --- setup on a worker --- */

/* The synthetic ADDED objects, selected: as kept texts, or as objects converted first for a kind stored in another
 * version. fresh (a resourceVersion of "": the most recent state) reads them from the store at its current
 * revision, as a LIST does: the cache may not have caught up with a write just acknowledged. Otherwise ("0": any
 * state) they are the cache's. */
static int
snapshot(struct watch *w, bool fresh)
{
    /* a kind stored in another version: its selectors name the served version's fields, so they read the objects
     * once converted */
    const struct kc_label_selector *ls = w->map ? NULL : w->ls;
    const struct kc_field_selector *fs = w->map ? NULL : w->fs;
    json_t *texts;
    int rc = fresh ? api_wcache_store_texts(w->rq.srv->store, w->key_prefix, ls, fs, &texts, &w->start_rev)
                   : api_wcache_snapshot_texts(w->cache, w->key_prefix, ls, fs, &texts, &w->start_rev);
    if (rc != 0)
        return rc;
    if (!w->map) { /* the texts, selected in place: sent as they are, nothing parsed */
        w->initial = texts;
        w->initial_text = true;
        return 0;
    }
    w->initial = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(texts, i, t)
    {
        json_t *o = api_wcache_text_object(t);
        json_t *c = o ? w->map->from_stored(o) : NULL;
        json_decref(o);
        if (!c || !w->initial) {
            json_decref(c);
            rc = -ENOMEM;
            break;
        }
        if (api_selectors_match(w->ls, w->fs, c))
            json_array_append(w->initial, c);
        json_decref(c);
    }
    json_decref(texts);
    return rc;
}

static void
setup_work(void *arg)
{
    struct watch *w = arg;
    struct api_request *rq = &w->rq;
    char prefix[1024], served[1024];
    api_storage_key(rq->res, NULL, NULL, prefix, sizeof(prefix));
    api_storage_key(rq->res, rq->namespace, NULL, w->key_prefix, sizeof(w->key_prefix));
    /* a kind stored in another version is watched in the stored version's cache */
    if ((w->map = api_storage_map_find(prefix))) {
        snprintf(served, sizeof(served), "%s", w->key_prefix);
        if (!api_storage_map_key(w->map, served, w->key_prefix, sizeof(w->key_prefix)) ||
            !api_storage_map_key(w->map, w->map->served, prefix, sizeof(prefix))) {
            api_reply_error(&w->err, rq, KC_EINVALID);
            return;
        }
    }
    const char *rv = rq->resource_version;
    bool initial = !rv || !*rv || strcmp(rv, "0") == 0;
    if (rq->send_initial_events) {
        if (strcmp(rq->send_initial_events, "true") != 0 && strcmp(rq->send_initial_events, "false") != 0) {
            api_reply_statusf(&w->err, 422, "Invalid", "sendInitialEvents: Invalid value: \"%s\"",
                              rq->send_initial_events);
            return;
        }
        if (strcmp(rq->send_initial_events, "true") == 0) {
            if (!rq->resource_version_match || strcmp(rq->resource_version_match, "NotOlderThan") != 0 ||
                !w->bookmarks) {
                api_reply_statusf(&w->err, 422, "Invalid",
                                  "sendInitialEvents requires resourceVersionMatch=NotOlderThan and "
                                  "allowWatchBookmarks=true");
                return;
            }
            initial = true;
            w->initial_end = true;
        } else {
            initial = false;
        }
    }
    int64_t from = 0;
    if (!initial) {
        char *end;
        int64_t v = rv && *rv ? strtoll(rv, &end, 10) : 0;
        if (rv && *rv && (*end || v < 0)) {
            api_reply_statusf(&w->err, 400, "BadRequest", "resourceVersion: Invalid value: \"%s\"", rv);
            return;
        }
        from = v;
    }
    /* A cache made for this watch starts at its revision, so that a watch right after a list is served. */
    int rc = api_wcaches_get(rq->srv->wcaches, prefix, from, &w->cache);
    if (rc != 0) {
        api_reply_error(&w->err, rq, rc);
        return;
    }
    if (initial) {
        rc = snapshot(w, !rv || !*rv);
        if (rc != 0) {
            api_reply_error(&w->err, rq, rc);
            return;
        }
    } else if (!rv || !*rv) {
        struct api_wcache_stats s;
        api_wcache_stats(w->cache, &s);
        w->start_rev = s.rev; /* sendInitialEvents=false without a resourceVersion: from now */
    } else {
        w->start_rev = from;
    }
    w->last_rev = w->start_rev;
}

static void
setup_done(kc_httpd_req *req, void *arg)
{
    struct watch *w = arg;
    if (!req) {
        watch_free(w);
        return;
    }
    if (w->err.body) {
        kc_httpd_reply_json(req, w->err.status, w->err.body, false);
        watch_free(w);
        return;
    }
    w->loop = kc_httpd_req_loop(req);
    struct api_wcache_group *g;
    if (api_wcache_group_get(w->cache, w->loop, group_wake, &g) != 0) {
        kc_httpd_reply(req, 500, "text/plain", "out of memory\n", 14);
        watch_free(w);
        return;
    }
    kc_metric_add(w->rq.srv->m_watchers, NULL, 1);
    w->st = kc_httpd_stream_begin(req, 200, "application/json", API_WATCH_BUFFER, on_close, w);
    kc_httpd_stream_on_drain(w->st, on_drain);
    w->busy = true; /* on_close may not free w before the end of this function */
    /* HTTP/1.1 sends the headers only with the first byte: a newline, which watch clients skip. */
    kc_httpd_stream_write(w->st, "\n", 1);
    w->cw.owner = w;
    w->cw.pos = w->start_rev;
    api_wcache_join(g, &w->cw);
    if (!w->done) {
        int64_t secs = w->rq.timeout_seconds ? strtoll(w->rq.timeout_seconds, NULL, 10) : 0;
        if (secs <= 0 || secs > API_WATCH_TIMEOUT_S * 2)
            secs = API_WATCH_TIMEOUT_S;
        w->timeout.fn = on_timeout;
        w->timeout.arg = w;
        kc_httpd_timer_arm(w->loop, &w->timeout, secs * 1000);
        if (w->bookmarks) {
            w->bookmark.fn = on_bookmark_timer;
            w->bookmark.arg = w;
            kc_httpd_timer_arm(w->loop, &w->bookmark, API_BOOKMARK_EVERY_MS);
        }
    }
    pump(w); /* the initial events, then what arrived since the snapshot (or since start_rev); frees w if it closed
              * meanwhile */
}

static char *
keep(struct watch *w, int i, const char *s)
{
    return s ? (w->strings[i] = strdup(s)) : NULL;
}

void
api_watch_start(kc_httpd_req *req, struct api_request *rq)
{
    struct watch *w = calloc(1, sizeof(*w));
    struct api_reply rep = { 0 };
    if (!w) {
        kc_httpd_reply(req, 500, "text/plain", "out of memory\n", 14);
        return;
    }
    w->rq = *rq;
    /* The query strings live in the request's memory, which the worker must not rely on: copy them. */
    w->rq.resource_version = keep(w, 0, rq->resource_version);
    w->rq.resource_version_match = keep(w, 1, rq->resource_version_match);
    w->rq.timeout_seconds = keep(w, 2, rq->timeout_seconds);
    w->rq.send_initial_events = keep(w, 3, rq->send_initial_events);
    w->rq.label_selector = keep(w, 4, rq->label_selector);
    w->rq.field_selector = keep(w, 5, rq->field_selector);
    w->rq.accept = keep(w, 6, rq->accept);
    w->rq.content_type = NULL;
    w->rq.body = NULL;
    w->bookmarks =
        rq->allow_bookmarks && (strcmp(rq->allow_bookmarks, "true") == 0 || strcmp(rq->allow_bookmarks, "1") == 0);
    w->table = rq->want_table;
    w->first_table = true;
    if (api_parse_selectors(&w->rq, &rep, &w->ls, &w->fs) != 0) {
        kc_httpd_reply_json(req, rep.status, rep.body, false);
        json_decref(rep.body);
        watch_free(w);
        return;
    }
    if (kc_httpd_defer(req, setup_work, setup_done, w) != 0) {
        kc_httpd_reply(req, 500, "text/plain", "out of memory\n", 14);
        watch_free(w);
    }
}
