/* watch.c - watch requests: newline-delimited JSON events (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR) from a store
 * watch of the resource's key prefix, with label/field selector transitions as upstream (an object that starts
 * or stops matching is ADDED or DELETED), the synthetic ADDED events for resourceVersion "" / "0", WatchList
 * (sendInitialEvents) with its initial-events-end bookmark, 410 Expired as an ERROR event, Table events,
 * bookmarks, timeoutSeconds and a bounded send buffer (a slow client is cut off).
 *
 * Each client watch has its own store watch for now; the shared per-resource watch cache of the design is not
 * built yet (docs/apiserver.md). Setup (the initial list and the store watch) runs on a worker; events are
 * forwarded on the request's loop when the store watch's fd fires. */
#include "api_int.h"
#include "kc_error.h"
#include "kc_json.h"
#include "kc_log.h"
#include "kc_selector.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_WATCH_BUFFER      (16 * 1024 * 1024) /* unsent bytes before a watcher is cut off */
#define API_WATCH_TIMEOUT_S   1800               /* kube-apiserver's --min-request-timeout */
#define API_BOOKMARK_EVERY_MS 60000

struct watch {
    struct api_request rq; /* copy; strings below keep its query values alive */
    char *strings[8];
    struct kc_label_selector *ls;
    struct kc_field_selector *fs;
    struct api_store_watch *sw;
    kc_httpd_fd_watch *fdw;
    kc_httpd_stream *st;
    kc_httpd_loop *loop;
    struct kc_httpd_timer timeout, bookmark;
    int64_t start_rev; /* watch events after this revision */
    int64_t last_rev;  /* the last revision sent (for bookmarks) */
    json_t *initial;   /* synthetic ADDED objects, sent first */
    bool initial_end;  /* send the initial-events-end bookmark after them */
    bool bookmarks;
    bool table;
    bool first_table; /* the first Table event carries the column definitions */
    bool closed;
    struct api_reply err; /* a setup failure, answered as a plain response */
    bool expired;         /* the start revision was compacted: one ERROR event, then end */
    int64_t expired_current;
};

static void
watch_free(struct watch *w)
{
    kc_httpd_timer_cancel(&w->timeout);
    kc_httpd_timer_cancel(&w->bookmark);
    if (w->fdw)
        kc_httpd_fd_unwatch(w->fdw);
    if (w->sw)
        api_store_watch_free(w->sw);
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
    watch_free(w);
}

/* Writes one event line. Returns -1 when the stream is over (slow client or gone). */
static int
send_event(struct watch *w, const char *type, json_t *object)
{
    json_t *obj = object;
    if (w->table && strcmp(type, "ERROR") != 0 && strcmp(type, "BOOKMARK") != 0) {
        json_t *items = json_pack("[O]", object);
        obj = api_table(&w->rq, items, true, NULL, w->first_table);
        w->first_table = false;
        json_decref(items);
    } else {
        json_incref(obj);
    }
    json_t *ev = json_pack("{s:s,s:o}", "type", type, "object", obj);
    char *text = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    if (!text)
        return -1;
    size_t len = strlen(text);
    text[len] = '\n'; /* over the NUL: the event ends with a newline, as clients need */
    int rc = kc_httpd_stream_write(w->st, text, len + 1);
    free(text);
    if (rc == -ENOBUFS) {
        KC_LOG(KC_LOG_WARN, "apiserver", "watch too slow, ending it", "resource=%s", w->rq.res->plural);
        kc_httpd_stream_end(w->st);
    }
    return rc == 0 ? 0 : -1;
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

static json_t *
decode(const struct kvs_kv *kv)
{
    json_t *o;
    if (!kv || kc_json_parse((const char *)kv->value, kv->value_len, &o, NULL, 0) != 0)
        return NULL;
    return o;
}

/* Forwards the store watch's ready batches. */
static void
on_ready(void *arg)
{
    struct watch *w = arg;
    struct kvs_watch_batch *b;
    int rc;
    while (!w->closed && (rc = api_store_watch_poll(w->sw, &b)) == 0) {
        bool over = false;
        if (b->canceled) {
            if (b->compact_revision) {
                char msg[128];
                snprintf(msg, sizeof(msg), "too old resource version: %" PRId64 " (%" PRId64 ")", w->start_rev,
                         b->compact_revision);
                json_t *st = api_status(410, "Expired", msg, NULL, NULL, NULL);
                send_event(w, "ERROR", st);
                json_decref(st);
            }
            over = true;
        }
        for (size_t i = 0; i < b->n_events && !over; i++) {
            const struct kvs_event *e = &b->events[i];
            json_t *now = e->type == KVS_EVENT_PUT ? decode(&e->kv) : NULL;
            json_t *before = e->prev_kv ? decode(e->prev_kv) : NULL;
            char rv[32];
            snprintf(rv, sizeof(rv), "%" PRId64, e->kv.mod_revision);
            bool now_m = now && api_selectors_match(w->ls, w->fs, now);
            bool before_m = before && api_selectors_match(w->ls, w->fs, before);
            const char *type = NULL;
            json_t *send = NULL;
            if (e->type == KVS_EVENT_DELETE) {
                if (before_m)
                    type = "DELETED", send = before;
            } else if (now_m && (before_m || e->kv.create_revision == e->kv.mod_revision)) {
                type = e->kv.create_revision == e->kv.mod_revision ? "ADDED" : "MODIFIED", send = now;
            } else if (now_m) {
                type = "ADDED", send = now; /* it starts matching the selectors */
            } else if (before_m && now) {
                type = "DELETED", send = now; /* it stops matching */
            }
            if (type && send) {
                kc_json_set(send, "metadata.resourceVersion", json_string(rv));
                over = send_event(w, type, send) != 0;
            }
            w->last_rev = e->kv.mod_revision;
            json_decref(now);
            json_decref(before);
        }
        api_store_watch_batch_free(w->sw, b);
        if (over) {
            kc_httpd_stream_end(w->st);
            return;
        }
    }
}

static void
on_timeout(void *arg)
{
    struct watch *w = arg;
    kc_httpd_stream_end(w->st);
}

static void
on_bookmark_timer(void *arg)
{
    struct watch *w = arg;
    if (send_bookmark(w, w->last_rev, false) == 0)
        kc_httpd_timer_arm(w->loop, &w->bookmark, API_BOOKMARK_EVERY_MS);
}

/* --- setup on a worker --- */

static void
setup_work(void *arg)
{
    struct watch *w = arg;
    struct api_request *rq = &w->rq;
    struct api_store *store = rq->srv->store;
    char prefix[1024];
    api_storage_key(rq->res, rq->namespace, NULL, prefix, sizeof(prefix));
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
    if (initial) {
        json_t *items;
        bool more;
        int rc = api_obj_list(store, prefix, 0, 0, NULL, &items, &w->start_rev, &more);
        if (rc != 0) {
            api_reply_error(&w->err, rq, rc);
            return;
        }
        w->initial = json_array();
        size_t i;
        json_t *o;
        json_array_foreach(items, i, o)
        {
            if (api_selectors_match(w->ls, w->fs, o))
                json_array_append(w->initial, o);
        }
        json_decref(items);
    } else {
        char *end;
        int64_t v = strtoll(rv, &end, 10);
        if (*end || v < 0) {
            api_reply_statusf(&w->err, 400, "BadRequest", "resourceVersion: Invalid value: \"%s\"", rv);
            return;
        }
        w->start_rev = v;
    }
    w->last_rev = w->start_rev;
    struct kvs_watch_req wr = { 0 };
    char end_key[1024];
    snprintf(end_key, sizeof(end_key), "%s", prefix);
    end_key[strlen(end_key) - 1]++; /* '/' + 1: every key under prefix */
    wr.key = kvs_str(prefix);
    wr.range_end = kvs_str(end_key);
    wr.start_revision = w->start_rev + 1;
    wr.prev_kv = true;
    int rc = api_store_watch(store, &wr, &w->sw);
    if (rc != 0) {
        api_reply_error(&w->err, rq, rc);
        return;
    }
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
    kc_metric_add(w->rq.srv->m_watchers, NULL, 1);
    w->st = kc_httpd_stream_begin(req, 200, "application/json", API_WATCH_BUFFER, on_close, w);
    /* HTTP/1.1 sends the headers only with the first byte: a newline, which watch clients skip. */
    kc_httpd_stream_write(w->st, "\n", 1);
    size_t i;
    json_t *o;
    json_array_foreach(w->initial, i, o)
    {
        if (send_event(w, "ADDED", o) != 0)
            return;
    }
    if (w->initial_end && send_bookmark(w, w->start_rev, true) != 0)
        return;
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
    w->fdw = kc_httpd_fd_watch_start(w->loop, api_store_watch_fd(w->sw), on_ready, w);
    on_ready(w);
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
