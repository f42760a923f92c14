/* informer.c - list+watch into a cache: a watcher thread that talks to the API server (paged list, watch with
 * bookmarks, resume, relist on 410, backoff) and hands what it saw to a dispatcher thread through a FIFO; the
 * dispatcher updates the cache, calls the handlers and resyncs, so slow handlers never stall the watch stream.
 */
#include "kc_informer.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_json.h"
#include "kc_log.h"
#include "kc_time.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COMPONENT       "informer"
#define LIST_TIMEOUT_MS 60000L       /* one list page */
#define WATCH_SLACK_S   30L          /* the client-side deadline of a watch: timeoutSeconds plus this */
#define QUICK_END_NS    1000000000LL /* a watch that ends cleanly this fast without events counts as failed */
#define NS_PER_MS       1000000LL

/* What the watcher saw, for the dispatcher. */
enum msg_kind {
    MSG_REPLACE, /* obj: the array of a complete list */
    MSG_ADDED,
    MSG_MODIFIED,
    MSG_DELETED,
};

struct msg {
    struct msg *next;
    enum msg_kind kind;
    json_t *obj; /* owned */
};

/* How one watch ended. */
enum watch_end {
    END_CLEAN,   /* the server closed it (timeoutSeconds) or our deadline passed: resume */
    END_ERROR,   /* broken connection, an ERROR event, a bad line, a non-200 answer: back off, resume */
    END_EXPIRED, /* 410: relist */
    END_STOP,    /* stopping */
};

struct kc_informer {
    char *path, *label_selector, *field_selector;
    long page_size, watch_timeout_s, resync_ms, backoff_initial_ms, backoff_max_ms;
    struct kc_informer_handlers h;
    struct kc_http *http; /* the watcher's; others only kc_http_cancel() it */
    unsigned seed;        /* watcher: for the random watch timeout */

    pthread_mutex_t mu;
    pthread_cond_t cond;     /* CLOCK_MONOTONIC: a message, synced, stop */
    json_t *cache;           /* key -> object; the objects are never modified once in */
    struct msg *head, *tail; /* watcher -> dispatcher */
    char *rv;                /* the resourceVersion to resume from; written by the watcher */
    bool synced, stopping;
    pthread_mutex_t stop_mu; /* serialises start and stop */
    bool started, joined;
    pthread_t watcher, dispatcher;
};

/* --- small helpers --- */

static bool
stopping(struct kc_informer *inf)
{
    pthread_mutex_lock(&inf->mu);
    bool s = inf->stopping;
    pthread_mutex_unlock(&inf->mu);
    return s;
}

/* Waits up to ms or until stop. Returns true when stopping. */
static bool
pause_ms(struct kc_informer *inf, long ms)
{
    int64_t wake = kc_time_mono_ns() + (int64_t)ms * NS_PER_MS;
    struct timespec ts = { .tv_sec = wake / 1000000000, .tv_nsec = wake % 1000000000 };
    pthread_mutex_lock(&inf->mu);
    while (!inf->stopping && kc_time_mono_ns() < wake)
        if (pthread_cond_timedwait(&inf->cond, &inf->mu, &ts) == ETIMEDOUT)
            break;
    bool s = inf->stopping;
    pthread_mutex_unlock(&inf->mu);
    return s;
}

/* Appends s to the query string at *p, percent-encoding everything but RFC 3986's unreserved characters. */
static char *
put_escaped(char *p, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~') {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    return p;
}

/* The request path: inf->path, then the fixed query parameters in params (may be ""), then the optional
 * escaped ones (the continue token, the selectors). malloc'ed; NULL when out of memory. */
static char *
make_path(const struct kc_informer *inf, const char *params, const char *cont)
{
    size_t n = strlen(inf->path) + strlen(params) + 64;
    n += inf->label_selector ? 3 * strlen(inf->label_selector) + 16 : 0;
    n += inf->field_selector ? 3 * strlen(inf->field_selector) + 16 : 0;
    n += cont ? 3 * strlen(cont) + 16 : 0;
    char *s = kc_malloc(n), *p = s;
    if (!s)
        return NULL;
    p += sprintf(p, "%s%s%s", inf->path, *params ? "?" : "", params);
    const char *sep = *params ? "&" : "?";
    if (cont) {
        p += sprintf(p, "%scontinue=", sep);
        p = put_escaped(p, cont);
        sep = "&";
    }
    if (inf->label_selector) {
        p += sprintf(p, "%slabelSelector=", sep);
        p = put_escaped(p, inf->label_selector);
        sep = "&";
    }
    if (inf->field_selector) {
        p += sprintf(p, "%sfieldSelector=", sep);
        p = put_escaped(p, inf->field_selector);
    }
    *p = '\0';
    return s;
}

/* The domain error for an HTTP status that is not a success. */
static int
status_error(long status)
{
    switch (status) {
    case 401:
        return KC_EUNAUTHORIZED;
    case 403:
        return KC_EFORBIDDEN;
    case 404:
        return KC_ENOTFOUND;
    case 410:
        return KC_EEXPIRED;
    case 429:
        return KC_ETOOMANY;
    default:
        return status >= 500 ? KC_EUNAVAILABLE : KC_EBADREQUEST;
    }
}

/* The message of a Status body, or "". */
static const char *
status_message(const json_t *st)
{
    const char *m = kc_json_get_string(st, "message");
    return m ? m : "";
}

static void
set_rv(struct kc_informer *inf, char *rv)
{
    pthread_mutex_lock(&inf->mu);
    free(inf->rv);
    inf->rv = rv;
    pthread_mutex_unlock(&inf->mu);
}

/* Hands a message to the dispatcher; takes obj. Returns 0 or -ENOMEM (obj released). */
static int
push(struct kc_informer *inf, enum msg_kind kind, json_t *obj)
{
    struct msg *m = kc_malloc(sizeof(*m));
    if (!m) {
        json_decref(obj);
        return -ENOMEM;
    }
    m->next = NULL;
    m->kind = kind;
    m->obj = obj;
    pthread_mutex_lock(&inf->mu);
    if (inf->tail)
        inf->tail->next = m;
    else
        inf->head = m;
    inf->tail = m;
    pthread_cond_broadcast(&inf->cond);
    pthread_mutex_unlock(&inf->mu);
    return 0;
}

int
kc_informer_key(const json_t *obj, char *buf, size_t size)
{
    const char *name = kc_json_get_string(obj, "metadata.name");
    const char *ns = kc_json_get_string(obj, "metadata.namespace");
    if (!name || !*name)
        return KC_EINVALID;
    int n = ns && *ns ? snprintf(buf, size, "%s/%s", ns, name) : snprintf(buf, size, "%s", name);
    return n < 0 || (size_t)n >= size ? KC_ETOOLARGE : 0;
}

int
kc_informer_key_split(const char *key, char *ns, size_t size, const char **name)
{
    if (!key || !*key)
        return KC_EINVALID;
    const char *slash = strchr(key, '/');
    if (!slash) {
        if (size == 0)
            return KC_ETOOLARGE;
        ns[0] = '\0';
        *name = key;
        return 0;
    }
    if (slash == key || !slash[1] || strchr(slash + 1, '/'))
        return KC_EINVALID;
    size_t n = (size_t)(slash - key);
    if (n >= size)
        return KC_ETOOLARGE;
    memcpy(ns, key, n);
    ns[n] = '\0';
    *name = slash + 1;
    return 0;
}

/* --- the watcher --- */

/* Lists every page. On success *items is the array of objects (apiVersion and kind filled in from the list, as
 * client-go's unstructured lists do) and *rv the list's resourceVersion (malloc'ed). */
static int
list_all(struct kc_informer *inf, json_t **items, char **rv)
{
    json_t *all = json_array();
    char *cont = NULL, *last_rv = NULL;
    char params[32];
    int rc = all ? 0 : -ENOMEM;
    if (inf->page_size > 0)
        snprintf(params, sizeof(params), "limit=%ld", inf->page_size);
    else
        params[0] = '\0';
    while (rc == 0) {
        char *path = make_path(inf, params, cont);
        if (!path) {
            rc = -ENOMEM;
            break;
        }
        struct kc_http_response resp = { 0 };
        json_t *reply = NULL;
        struct kc_http_request req = { .path = path, .timeout_ms = LIST_TIMEOUT_MS };
        rc = kc_http_json(inf->http, &req, NULL, &resp, &reply);
        if (rc == 0 && resp.status != 200) {
            KC_LOG(KC_LOG_WARN, COMPONENT, "list failed", "path=%s status=%ld message=\"%s\"", inf->path, resp.status,
                   status_message(reply));
            rc = status_error(resp.status);
        } else if (rc == 0 && !json_is_object(reply)) {
            KC_LOG(KC_LOG_WARN, COMPONENT, "list failed", "path=%s error=\"not a JSON object\"", inf->path);
            rc = KC_EPARSE;
        } else if (rc != 0 && rc != -ECANCELED) {
            KC_LOG(KC_LOG_WARN, COMPONENT, "list failed", "path=%s error=\"%s\"", inf->path, kc_http_errmsg(inf->http));
        }
        free(path);
        kc_http_response_close(&resp);
        if (rc != 0) {
            json_decref(reply);
            break;
        }
        /* The items' type: the list's kind without "List". */
        const char *lkind = kc_json_get_string(reply, "kind");
        const char *av = kc_json_get_string(reply, "apiVersion");
        size_t kl = lkind ? strlen(lkind) : 0;
        bool strip = kl > 4 && strcmp(lkind + kl - 4, "List") == 0;
        json_t *page = json_object_get(reply, "items"), *it;
        size_t i;
        json_array_foreach(page, i, it)
        {
            if (!json_is_object(it))
                continue;
            if (av && !json_object_get(it, "apiVersion"))
                json_object_set_new(it, "apiVersion", json_string(av));
            if (strip && !json_object_get(it, "kind"))
                json_object_set_new(it, "kind", json_stringn(lkind, kl - 4));
            if (json_array_append(all, it) != 0)
                rc = -ENOMEM;
        }
        const char *r = kc_json_get_string(reply, "metadata.resourceVersion");
        const char *c = kc_json_get_string(reply, "metadata.continue");
        free(last_rv);
        free(cont);
        last_rv = kc_strdup(r ? r : "");
        cont = c && *c ? kc_strdup(c) : NULL;
        if (!last_rv || (c && *c && !cont))
            rc = -ENOMEM;
        json_decref(reply);
        if (!cont)
            break;
    }
    free(cont);
    if (rc != 0) {
        free(last_rv);
        json_decref(all);
        return rc;
    }
    *items = all;
    *rv = last_rv;
    return 0;
}

struct watch_ctx {
    struct kc_informer *inf;
    enum watch_end end; /* set by the line callback when the stream told how it ends */
    bool ended;
    long events;
};

static int
on_line(void *arg, char *line, size_t len)
{
    struct watch_ctx *w = arg;
    struct kc_informer *inf = w->inf;
    if (stopping(inf)) {
        w->end = END_STOP;
        w->ended = true;
        return 1;
    }
    if (len == 0)
        return 0;
    json_error_t jerr;
    json_t *ev = json_loadb(line, len, 0, &jerr);
    const char *type = kc_json_get_string(ev, "type");
    json_t *obj = json_object_get(ev, "object");
    if (!type || !json_is_object(obj)) {
        KC_LOG(KC_LOG_WARN, COMPONENT, "bad watch event", "path=%s error=\"%s\"", inf->path,
               ev ? "no type or object" : jerr.text);
        json_decref(ev);
        w->end = END_ERROR;
        w->ended = true;
        return KC_EPARSE;
    }
    if (strcmp(type, "ERROR") == 0) {
        long long code = 0;
        kc_json_get_int(obj, "code", &code);
        if (code == 410) {
            KC_LOG(KC_LOG_INFO, COMPONENT, "watch expired, relisting", "path=%s message=\"%s\"", inf->path,
                   status_message(obj));
            w->end = END_EXPIRED;
        } else {
            KC_LOG(KC_LOG_WARN, COMPONENT, "watch error event", "path=%s code=%lld message=\"%s\"", inf->path, code,
                   status_message(obj));
            w->end = END_ERROR;
        }
        json_decref(ev);
        w->ended = true;
        return 1;
    }
    enum msg_kind kind;
    bool bookmark = false;
    if (strcmp(type, "ADDED") == 0)
        kind = MSG_ADDED;
    else if (strcmp(type, "MODIFIED") == 0)
        kind = MSG_MODIFIED;
    else if (strcmp(type, "DELETED") == 0)
        kind = MSG_DELETED;
    else if (strcmp(type, "BOOKMARK") == 0)
        bookmark = true, kind = MSG_ADDED;
    else {
        KC_LOG(KC_LOG_WARN, COMPONENT, "bad watch event", "path=%s type=%s", inf->path, type);
        json_decref(ev);
        w->end = END_ERROR;
        w->ended = true;
        return KC_EPARSE;
    }
    const char *r = kc_json_get_string(obj, "metadata.resourceVersion");
    char *rv = r ? kc_strdup(r) : NULL;
    int rc = r && !rv ? -ENOMEM : 0;
    /* The object leaves the event before it is handed over, so that the dispatcher alone holds it. */
    json_incref(obj);
    json_object_del(ev, "object");
    json_decref(ev);
    if (rc == 0 && !bookmark)
        rc = push(inf, kind, obj);
    else
        json_decref(obj);
    if (rc != 0) {
        /* The event is lost, but the resourceVersion was not advanced past it: the resumed watch repeats it. */
        free(rv);
        w->end = END_ERROR;
        w->ended = true;
        return rc;
    }
    if (rv)
        set_rv(inf, rv);
    w->events++;
    return 0;
}

/* One watch from inf->rv until it ends. *events: how many events it delivered. */
static enum watch_end
watch_once(struct kc_informer *inf, long *events)
{
    long t = inf->watch_timeout_s;
    if (t <= 0)
        t = KC_INFORMER_MIN_WATCH_S + (long)(rand_r(&inf->seed) % KC_INFORMER_MIN_WATCH_S);
    char params[512], rv[3 * 128 + 1];
    pthread_mutex_lock(&inf->mu);
    bool too_long = inf->rv && strlen(inf->rv) > 128;
    *put_escaped(rv, too_long || !inf->rv ? "" : inf->rv) = '\0';
    pthread_mutex_unlock(&inf->mu);
    int n = snprintf(params, sizeof(params),
                     "watch=true&resourceVersion=%s&allowWatchBookmarks=true&timeoutSeconds=%ld", rv, t);
    if (too_long || n < 0 || (size_t)n >= sizeof(params)) {
        KC_LOG(KC_LOG_ERROR, COMPONENT, "resourceVersion too long, relisting", "path=%s", inf->path);
        return END_EXPIRED;
    }
    char *path = make_path(inf, params, NULL);
    if (!path)
        return END_ERROR;
    struct watch_ctx w = { .inf = inf };
    struct kc_http_response resp = { 0 };
    struct kc_http_request req = { .path = path,
                                   .accept = "application/json",
                                   .timeout_ms = (t + WATCH_SLACK_S) * 1000 };
    KC_LOG(KC_LOG_DEBUG, COMPONENT, "watching", "path=%s", path);
    int rc = kc_http_stream(inf->http, &req, on_line, &w, &resp);
    enum watch_end end;
    if (stopping(inf) || rc == -ECANCELED) {
        end = END_STOP;
    } else if (w.ended) {
        end = w.end;
    } else if (rc == 0 && resp.status == 200) {
        end = END_CLEAN;
    } else if (rc == KC_ETIMEOUT) {
        end = END_CLEAN; /* our deadline: the server should have ended it first */
    } else if (rc == 0) {
        json_t *st = resp.body ? json_loadb(resp.body, resp.body_len, 0, NULL) : NULL;
        long long code = resp.status;
        kc_json_get_int(st, "code", &code);
        if (resp.status == 410 || code == 410) {
            KC_LOG(KC_LOG_INFO, COMPONENT, "watch expired, relisting", "path=%s message=\"%s\"", inf->path,
                   status_message(st));
            end = END_EXPIRED;
        } else {
            KC_LOG(KC_LOG_WARN, COMPONENT, "watch failed", "path=%s status=%ld message=\"%s\"", inf->path, resp.status,
                   status_message(st));
            end = END_ERROR;
        }
        json_decref(st);
    } else {
        KC_LOG(KC_LOG_WARN, COMPONENT, "watch broke, resuming", "path=%s error=\"%s\"", inf->path,
               kc_http_errmsg(inf->http));
        end = END_ERROR;
    }
    kc_http_response_close(&resp);
    free(path);
    *events = w.events;
    return end;
}

static void *
watcher_main(void *arg)
{
    struct kc_informer *inf = arg;
    bool need_list = true, expired_before = false;
    long backoff = inf->backoff_initial_ms;
    while (!stopping(inf)) {
        bool failed = false;
        if (need_list) {
            json_t *items;
            char *rv;
            int rc = list_all(inf, &items, &rv);
            if (rc == -ECANCELED || stopping(inf)) {
                if (rc == 0) {
                    json_decref(items);
                    free(rv);
                }
                break;
            }
            if (rc == 0) {
                KC_LOG(KC_LOG_DEBUG, COMPONENT, "listed", "path=%s items=%zu resourceVersion=%s", inf->path,
                       json_array_size(items), rv);
                set_rv(inf, rv);
                rc = push(inf, MSG_REPLACE, items);
            }
            if (rc != 0) {
                if (pause_ms(inf, backoff))
                    break;
                backoff = backoff * 2 > inf->backoff_max_ms ? inf->backoff_max_ms : backoff * 2;
                continue;
            }
            need_list = false;
            backoff = inf->backoff_initial_ms;
        }
        int64_t t0 = kc_time_mono_ns();
        long events = 0;
        enum watch_end end = watch_once(inf, &events);
        if (events > 0) {
            backoff = inf->backoff_initial_ms;
            expired_before = false;
        }
        switch (end) {
        case END_STOP:
            return NULL;
        case END_EXPIRED:
            need_list = true;
            /* A relist right away, unless the last watch expired too without showing anything. */
            failed = expired_before;
            expired_before = true;
            break;
        case END_CLEAN:
            failed = events == 0 && kc_time_mono_ns() - t0 < QUICK_END_NS;
            break;
        case END_ERROR:
            failed = true;
            break;
        }
        if (failed) {
            if (pause_ms(inf, backoff))
                break;
            backoff = backoff * 2 > inf->backoff_max_ms ? inf->backoff_max_ms : backoff * 2;
        }
    }
    return NULL;
}

/* --- the dispatcher --- */

static const char *
rv_of(const json_t *obj)
{
    const char *r = kc_json_get_string(obj, "metadata.resourceVersion");
    return r ? r : "";
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of obj, sorted; NULL when empty or out of memory. The strings belong to obj. */
static const char **
sorted_keys(json_t *obj, size_t *n)
{
    *n = json_object_size(obj);
    if (*n == 0)
        return NULL;
    const char **keys = kc_malloc(*n * sizeof(*keys));
    if (!keys) {
        *n = 0;
        return NULL;
    }
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        (void)v;
        keys[i++] = k;
    }
    qsort(keys, *n, sizeof(*keys), cmp_str);
    return keys;
}

/* A complete list replaces the cache: handlers for what was added, changed (by resourceVersion) or is gone. */
static void
apply_replace(struct kc_informer *inf, json_t *items)
{
    json_t *fresh = json_object(), *it;
    size_t i;
    char key[KC_INFORMER_KEY_MAX];
    if (!fresh) {
        KC_LOG(KC_LOG_ERROR, COMPONENT, "out of memory, list dropped", "path=%s", inf->path);
        return;
    }
    json_array_foreach(items, i, it)
    {
        if (kc_informer_key(it, key, sizeof(key)) != 0) {
            KC_LOG(KC_LOG_WARN, COMPONENT, "object without a name ignored", "path=%s", inf->path);
            continue;
        }
        json_object_set(fresh, key, it);
    }
    pthread_mutex_lock(&inf->mu);
    json_t *old = inf->cache;
    inf->cache = fresh;
    pthread_mutex_unlock(&inf->mu);

    json_array_foreach(items, i, it)
    {
        if (kc_informer_key(it, key, sizeof(key)) != 0 || json_object_get(fresh, key) != it)
            continue;
        json_t *prev = json_object_get(old, key);
        if (!prev) {
            if (inf->h.on_add)
                inf->h.on_add(inf->h.arg, it);
        } else if (strcmp(rv_of(prev), rv_of(it)) != 0) {
            if (inf->h.on_update)
                inf->h.on_update(inf->h.arg, prev, it);
        }
    }
    size_t n;
    const char **keys = sorted_keys(old, &n);
    for (i = 0; i < n; i++)
        if (!json_object_get(fresh, keys[i]) && inf->h.on_delete)
            inf->h.on_delete(inf->h.arg, json_object_get(old, keys[i]));
    free(keys);
    json_decref(old);

    pthread_mutex_lock(&inf->mu);
    if (!inf->synced) {
        inf->synced = true;
        pthread_cond_broadcast(&inf->cond);
    }
    pthread_mutex_unlock(&inf->mu);
}

static void
apply_event(struct kc_informer *inf, enum msg_kind kind, json_t *obj)
{
    char key[KC_INFORMER_KEY_MAX];
    if (kc_informer_key(obj, key, sizeof(key)) != 0) {
        KC_LOG(KC_LOG_WARN, COMPONENT, "object without a name ignored", "path=%s", inf->path);
        return;
    }
    pthread_mutex_lock(&inf->mu);
    json_t *prev = json_incref(json_object_get(inf->cache, key));
    int rc = 0;
    if (kind == MSG_DELETED)
        json_object_del(inf->cache, key);
    else
        rc = json_object_set(inf->cache, key, obj);
    pthread_mutex_unlock(&inf->mu);
    if (rc != 0) {
        KC_LOG(KC_LOG_ERROR, COMPONENT, "out of memory, event dropped", "path=%s key=%s", inf->path, key);
    } else if (kind == MSG_DELETED) {
        if (inf->h.on_delete)
            inf->h.on_delete(inf->h.arg, obj);
    } else if (prev) {
        if (inf->h.on_update)
            inf->h.on_update(inf->h.arg, prev, obj);
    } else if (inf->h.on_add) {
        inf->h.on_add(inf->h.arg, obj);
    }
    json_decref(prev);
}

static void
resync(struct kc_informer *inf)
{
    pthread_mutex_lock(&inf->mu);
    json_t *snap = json_copy(inf->cache); /* shallow: the same objects */
    pthread_mutex_unlock(&inf->mu);
    if (!snap)
        return;
    size_t n;
    const char **keys = sorted_keys(snap, &n);
    for (size_t i = 0; i < n && !stopping(inf); i++) {
        json_t *o = json_object_get(snap, keys[i]);
        inf->h.on_update(inf->h.arg, o, o);
    }
    free(keys);
    json_decref(snap);
}

static void *
dispatcher_main(void *arg)
{
    struct kc_informer *inf = arg;
    int64_t next_resync = 0;
    pthread_mutex_lock(&inf->mu);
    while (!inf->stopping) {
        if (inf->head) {
            struct msg *m = inf->head;
            inf->head = m->next;
            if (!inf->head)
                inf->tail = NULL;
            pthread_mutex_unlock(&inf->mu);
            if (m->kind == MSG_REPLACE)
                apply_replace(inf, m->obj);
            else
                apply_event(inf, m->kind, m->obj);
            json_decref(m->obj);
            free(m);
            pthread_mutex_lock(&inf->mu);
            continue;
        }
        if (inf->synced && inf->resync_ms > 0 && inf->h.on_update) {
            int64_t now = kc_time_mono_ns();
            if (!next_resync)
                next_resync = now + (int64_t)inf->resync_ms * NS_PER_MS;
            if (now >= next_resync) {
                pthread_mutex_unlock(&inf->mu);
                resync(inf);
                pthread_mutex_lock(&inf->mu);
                next_resync = kc_time_mono_ns() + (int64_t)inf->resync_ms * NS_PER_MS;
                continue;
            }
            struct timespec ts = { .tv_sec = next_resync / 1000000000, .tv_nsec = next_resync % 1000000000 };
            pthread_cond_timedwait(&inf->cond, &inf->mu, &ts);
        } else {
            pthread_cond_wait(&inf->cond, &inf->mu);
        }
    }
    pthread_mutex_unlock(&inf->mu);
    return NULL;
}

/* --- the public calls --- */

static char *
dup_opt(const char *s, bool *fail)
{
    if (!s || !*s)
        return NULL;
    char *d = kc_strdup(s);
    if (!d)
        *fail = true;
    return d;
}

int
kc_informer_new(const struct kc_http_config *api, const struct kc_informer_opts *opts, struct kc_informer **out,
                char *errbuf, size_t errlen)
{
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (!api || !opts || !opts->path || opts->path[0] != '/' || strchr(opts->path, '?')) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "informer: the path must start with '/' and have no query");
        return KC_EINVALID;
    }
    if (opts->backoff_initial_ms < 0 || opts->backoff_max_ms < 0 || opts->resync_ms < 0 || opts->watch_timeout_s < 0) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "informer: negative timing option");
        return KC_EINVALID;
    }
    struct kc_informer *inf = kc_calloc(1, sizeof(*inf));
    if (!inf)
        return -ENOMEM;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&inf->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&inf->mu, NULL);
    pthread_mutex_init(&inf->stop_mu, NULL);
    bool fail = false;
    inf->path = dup_opt(opts->path, &fail);
    inf->label_selector = dup_opt(opts->label_selector, &fail);
    inf->field_selector = dup_opt(opts->field_selector, &fail);
    inf->cache = json_object();
    if (fail || !inf->cache) {
        kc_informer_free(inf);
        return -ENOMEM;
    }
    inf->page_size = opts->page_size ? opts->page_size : KC_INFORMER_PAGE_SIZE;
    inf->watch_timeout_s = opts->watch_timeout_s;
    inf->resync_ms = opts->resync_ms;
    inf->backoff_initial_ms = opts->backoff_initial_ms ? opts->backoff_initial_ms : KC_INFORMER_BACKOFF_INITIAL_MS;
    inf->backoff_max_ms = opts->backoff_max_ms ? opts->backoff_max_ms : KC_INFORMER_BACKOFF_MAX_MS;
    if (inf->backoff_max_ms < inf->backoff_initial_ms)
        inf->backoff_max_ms = inf->backoff_initial_ms;
    inf->h = opts->handlers;
    inf->seed = (unsigned)kc_time_mono_ns() ^ (unsigned)(uintptr_t)inf;
    int rc = kc_http_new(api, &inf->http, errbuf, errlen);
    if (rc != 0) {
        kc_informer_free(inf);
        return rc;
    }
    *out = inf;
    return 0;
}

int
kc_informer_start(struct kc_informer *inf)
{
    pthread_mutex_lock(&inf->stop_mu);
    int rc = 0;
    if (inf->started) {
        rc = -EBUSY;
    } else if ((rc = -pthread_create(&inf->dispatcher, NULL, dispatcher_main, inf)) == 0) {
        rc = -pthread_create(&inf->watcher, NULL, watcher_main, inf);
        if (rc != 0) {
            pthread_mutex_lock(&inf->mu);
            inf->stopping = true;
            pthread_cond_broadcast(&inf->cond);
            pthread_mutex_unlock(&inf->mu);
            pthread_join(inf->dispatcher, NULL);
        } else {
            inf->started = true;
        }
    }
    pthread_mutex_unlock(&inf->stop_mu);
    return rc;
}

bool
kc_informer_has_synced(struct kc_informer *inf)
{
    pthread_mutex_lock(&inf->mu);
    bool s = inf->synced;
    pthread_mutex_unlock(&inf->mu);
    return s;
}

int
kc_informer_wait_synced(struct kc_informer *inf, long timeout_ms)
{
    int64_t deadline = kc_time_mono_ns() + (int64_t)timeout_ms * NS_PER_MS;
    struct timespec ts = { .tv_sec = deadline / 1000000000, .tv_nsec = deadline % 1000000000 };
    int rc = 0;
    pthread_mutex_lock(&inf->stop_mu);
    bool started = inf->started;
    pthread_mutex_unlock(&inf->stop_mu);
    pthread_mutex_lock(&inf->mu);
    while (!inf->synced) {
        if (inf->stopping || !started) {
            rc = -ECANCELED;
            break;
        }
        if (timeout_ms < 0) {
            pthread_cond_wait(&inf->cond, &inf->mu);
        } else if (kc_time_mono_ns() >= deadline || pthread_cond_timedwait(&inf->cond, &inf->mu, &ts) == ETIMEDOUT) {
            rc = inf->synced ? 0 : KC_ETIMEOUT;
            break;
        }
    }
    pthread_mutex_unlock(&inf->mu);
    return rc;
}

json_t *
kc_informer_get_key(struct kc_informer *inf, const char *key)
{
    if (!key)
        return NULL;
    pthread_mutex_lock(&inf->mu);
    json_t *o = json_incref(json_object_get(inf->cache, key));
    pthread_mutex_unlock(&inf->mu);
    return o;
}

json_t *
kc_informer_get(struct kc_informer *inf, const char *ns, const char *name)
{
    char key[KC_INFORMER_KEY_MAX];
    if (!name)
        return NULL;
    int n = ns && *ns ? snprintf(key, sizeof(key), "%s/%s", ns, name) : snprintf(key, sizeof(key), "%s", name);
    if (n < 0 || (size_t)n >= sizeof(key))
        return NULL;
    return kc_informer_get_key(inf, key);
}

json_t *
kc_informer_list(struct kc_informer *inf, const char *ns)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    size_t nl = ns ? strlen(ns) : 0;
    pthread_mutex_lock(&inf->mu);
    size_t n;
    const char **keys = sorted_keys(inf->cache, &n);
    int rc = n && !keys ? -ENOMEM : 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (nl && (strncmp(keys[i], ns, nl) != 0 || keys[i][nl] != '/'))
            continue;
        rc = json_array_append(arr, json_object_get(inf->cache, keys[i]));
    }
    pthread_mutex_unlock(&inf->mu);
    free(keys);
    if (rc != 0) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

size_t
kc_informer_len(struct kc_informer *inf)
{
    pthread_mutex_lock(&inf->mu);
    size_t n = json_object_size(inf->cache);
    pthread_mutex_unlock(&inf->mu);
    return n;
}

void
kc_informer_resource_version(struct kc_informer *inf, char *buf, size_t size)
{
    if (!size)
        return;
    pthread_mutex_lock(&inf->mu);
    snprintf(buf, size, "%s", inf->rv ? inf->rv : "");
    pthread_mutex_unlock(&inf->mu);
}

void
kc_informer_stop(struct kc_informer *inf)
{
    pthread_mutex_lock(&inf->stop_mu);
    pthread_mutex_lock(&inf->mu);
    inf->stopping = true;
    pthread_cond_broadcast(&inf->cond);
    pthread_mutex_unlock(&inf->mu);
    if (inf->started && !inf->joined) {
        kc_http_cancel(inf->http); /* the watcher's request in progress ends at once */
        pthread_join(inf->watcher, NULL);
        pthread_join(inf->dispatcher, NULL);
        inf->joined = true;
    }
    pthread_mutex_unlock(&inf->stop_mu);
}

void
kc_informer_free(struct kc_informer *inf)
{
    if (!inf)
        return;
    kc_informer_stop(inf);
    while (inf->head) {
        struct msg *m = inf->head;
        inf->head = m->next;
        json_decref(m->obj);
        free(m);
    }
    kc_http_free(inf->http);
    json_decref(inf->cache);
    free(inf->rv);
    free(inf->path);
    free(inf->label_selector);
    free(inf->field_selector);
    pthread_cond_destroy(&inf->cond);
    pthread_mutex_destroy(&inf->mu);
    pthread_mutex_destroy(&inf->stop_mu);
    free(inf);
}
