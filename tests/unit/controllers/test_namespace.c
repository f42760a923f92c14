/* test_namespace.c - the namespace lifecycle controller against a fake API server (tests/support/kts_server,
 * HTTPS on 127.0.0.1) that keeps namespaces and four namespaced resources, serves discovery, list+watch of
 * namespaces (with replay from a resourceVersion), deletecollection, /status and optionally /finalize, and
 * records every request. Checks: a terminating namespace is emptied through discovery, finalized and deleted;
 * active namespaces are untouched; a lingering object (finalizer) makes the controller retry until it goes;
 * a failing discovery group blocks finalizing; other finalizers are kept. Waits have deadlines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctrl.h"
#include "kc_error.h"
#include "kc_json.h"
#include "kc_log.h"
#include "kc_pki.h"
#include "kc_time.h"
#include "kts_server.h"

#define WAIT_MS     15000 /* deadline of every wait for a condition */
#define MAX_WATCHES 16
#define BG_BODY     "{\"propagationPolicy\":\"Background\"}"

/* The fake's namespaced resources. widgets has no deletecollection: the controller must list and delete each;
 * gadgets claims deletecollection in discovery but the fake answers it 405, so the controller must fall back. */
static const struct fres {
    const char *base, *plural, *kind;
    bool deletecollection;
} fres[] = {
    { "/api/v1", "pods", "Pod", true },
    { "/api/v1", "configmaps", "ConfigMap", true },
    { "/apis/apps/v1", "deployments", "Deployment", true },
    { "/apis/example.com/v1", "widgets", "Widget", false },
    { "/apis/example.com/v1", "gadgets", "Gadget", false },
};
#define NRES (sizeof(fres) / sizeof(fres[0]))

static const char core_discovery[] =
    "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":["
    "{\"name\":\"namespaces\",\"singularName\":\"namespace\",\"namespaced\":false,\"kind\":\"Namespace\","
    "\"verbs\":[\"create\",\"delete\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]},"
    "{\"name\":\"namespaces/finalize\",\"namespaced\":false,\"kind\":\"Namespace\",\"verbs\":[\"update\"]},"
    "{\"name\":\"namespaces/status\",\"namespaced\":false,\"kind\":\"Namespace\",\"verbs\":[\"get\",\"update\"]},"
    "{\"name\":\"nodes\",\"namespaced\":false,\"kind\":\"Node\",\"verbs\":[\"delete\",\"deletecollection\",\"get\","
    "\"list\"]},"
    "{\"name\":\"bindings\",\"namespaced\":true,\"kind\":\"Binding\",\"verbs\":[\"create\"]},"
    "{\"name\":\"pods\",\"singularName\":\"pod\",\"namespaced\":true,\"kind\":\"Pod\",\"verbs\":[\"create\","
    "\"delete\",\"deletecollection\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]},"
    "{\"name\":\"pods/status\",\"namespaced\":true,\"kind\":\"Pod\",\"verbs\":[\"get\",\"patch\",\"update\"]},"
    "{\"name\":\"configmaps\",\"namespaced\":true,\"kind\":\"ConfigMap\",\"verbs\":[\"create\",\"delete\","
    "\"deletecollection\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]}]}";
static const char apps_discovery[] =
    "{\"kind\":\"APIResourceList\",\"groupVersion\":\"apps/v1\",\"resources\":["
    "{\"name\":\"deployments\",\"namespaced\":true,\"kind\":\"Deployment\",\"verbs\":[\"create\",\"delete\","
    "\"deletecollection\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]},"
    "{\"name\":\"deployments/scale\",\"namespaced\":true,\"kind\":\"Scale\",\"group\":\"autoscaling\","
    "\"version\":\"v1\",\"verbs\":[\"get\",\"patch\",\"update\"]}]}";
static const char example_discovery[] =
    "{\"kind\":\"APIResourceList\",\"groupVersion\":\"example.com/v1\",\"resources\":["
    "{\"name\":\"widgets\",\"namespaced\":true,\"kind\":\"Widget\",\"verbs\":[\"delete\",\"get\",\"list\"]},"
    "{\"name\":\"gadgets\",\"namespaced\":true,\"kind\":\"Gadget\",\"verbs\":[\"delete\",\"deletecollection\","
    "\"get\",\"list\"]}]}";

struct fake {
    pthread_mutex_t mu;
    pthread_cond_t cond; /* broadcast on every request and change */
    long long rv;
    json_t *namespaces; /* name -> Namespace */
    json_t *objects;    /* "<base>/<plural>" -> { "<ns>/<name>" -> object } */
    json_t *history;    /* namespace watch events: [{rv, type, object}] */
    json_t *log;        /* "METHOD /path" of every request */
    json_t *bodies;     /* the request bodies (JSON or null), parallel to log */
    bool finalize_served, status_served, broken_group;
    bool fail_configmaps;                    /* DELETE of the configmaps collection answers 500 */
    bool stubborn_deployments;               /* DELETE of the deployments collection answers 200 and deletes nothing */
    struct kts_stream *watches[MAX_WATCHES]; /* open namespace watches (server thread only) */
    int nwatches;
};

struct fx {
    char *ca_pem, *srv_cert, *srv_key;
    struct kts_server *srv;
    struct fake fk;
    struct ctrl_namespace *ctrl;
};

static struct timespec
abs_in(long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    return ts;
}

/* --- fake state (callers hold fk->mu) --- */

static void
bump(struct fake *fk, json_t *obj)
{
    fk->rv++;
    kc_json_set(obj, "metadata.resourceVersion", json_sprintf("%lld", fk->rv));
}

/* One watch event as a line: compact JSON and '\n' (malloc'ed; *len without a NUL). */
static char *
event_line(const json_t *ev, size_t *len)
{
    char *text = json_dumps(ev, JSON_COMPACT);
    *len = strlen(text);
    char *line = malloc(*len + 1);
    memcpy(line, text, *len);
    line[(*len)++] = '\n';
    free(text);
    return line;
}

/* Records a namespace event and sends it to every open watch (server thread). */
static void
ns_event(struct fake *fk, const char *type, json_t *ns)
{
    json_t *ev = json_pack("{s:s,s:O}", "type", type, "object", ns);
    json_array_append_new(fk->history, json_pack("{s:I,s:O}", "rv", (json_int_t)fk->rv, "event", ev));
    size_t len;
    char *line = event_line(ev, &len);
    for (int i = 0; i < fk->nwatches; i++)
        kts_stream_write(fk->watches[i], line, len);
    free(line);
    json_decref(ev);
}

static json_t *
make_ns(const char *name, bool terminating, const char *const *fins)
{
    json_t *f = json_array();
    for (; fins && *fins; fins++)
        json_array_append_new(f, json_string(*fins));
    json_t *ns = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:o},s:{s:s}}", "kind", "Namespace", "apiVersion", "v1", "metadata",
                           "name", name, "uid", name, "spec", "finalizers", f, "status", "phase",
                           terminating ? "Terminating" : "Active");
    if (terminating)
        kc_json_set(ns, "metadata.deletionTimestamp", json_string("2025-01-01T00:00:00Z"));
    return ns;
}

static const char *const kube_fin[] = { "kubernetes", NULL };

static void
add_ns(struct fx *f, const char *name, bool terminating, const char *const *fins)
{
    pthread_mutex_lock(&f->fk.mu);
    json_t *ns = make_ns(name, terminating, fins);
    bump(&f->fk, ns);
    json_object_set_new(f->fk.namespaces, name, ns);
    pthread_mutex_unlock(&f->fk.mu);
}

static void
add_obj(struct fx *f, size_t res, const char *ns, const char *name, const char *finalizer)
{
    pthread_mutex_lock(&f->fk.mu);
    char rkey[128], okey[128];
    snprintf(rkey, sizeof(rkey), "%s/%s", fres[res].base, fres[res].plural);
    snprintf(okey, sizeof(okey), "%s/%s", ns, name);
    json_t *coll = json_object_get(f->fk.objects, rkey);
    json_t *o = json_pack("{s:{s:s,s:s}}", "metadata", "name", name, "namespace", ns);
    if (finalizer)
        kc_json_set(o, "metadata.finalizers", json_pack("[s]", finalizer));
    bump(&f->fk, o);
    json_object_set_new(coll, okey, o);
    pthread_mutex_unlock(&f->fk.mu);
}

/* The stored object (borrowed; hold fk->mu) or NULL. */
static json_t *
get_obj(struct fx *f, size_t res, const char *ns, const char *name)
{
    char rkey[128], okey[128];
    snprintf(rkey, sizeof(rkey), "%s/%s", fres[res].base, fres[res].plural);
    snprintf(okey, sizeof(okey), "%s/%s", ns, name);
    return json_object_get(json_object_get(f->fk.objects, rkey), okey);
}

/* Deletes one stored object as the API server would: objects with finalizers only get a deletionTimestamp. */
static void
delete_obj(struct fake *fk, json_t *coll, const char *okey)
{
    json_t *o = json_object_get(coll, okey);
    if (json_array_size(kc_json_get(o, "metadata.finalizers")) > 0) {
        if (!kc_json_get(o, "metadata.deletionTimestamp")) {
            kc_json_set(o, "metadata.deletionTimestamp", json_string("2025-01-01T00:00:01Z"));
            bump(fk, o);
        }
    } else {
        json_object_del(coll, okey);
    }
}

/* --- the fake's HTTP side (server thread) --- */

static void
respond_json(h2o_req_t *req, int status, const json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    kts_respond(req, status, "application/json", text, strlen(text));
    free(text);
}

static void
respond_text(h2o_req_t *req, int status, const char *text)
{
    kts_respond(req, status, "application/json", text, strlen(text));
}

static void
respond_status(h2o_req_t *req, int code, const char *reason, const char *msg)
{
    json_t *st = json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:i}", "kind", "Status", "apiVersion", "v1", "metadata", "status",
                           "Failure", "message", msg, "reason", reason, "code", code);
    respond_json(req, code, st);
    json_decref(st);
}

static bool
is_method(h2o_req_t *req, const char *m)
{
    return req->method.len == strlen(m) && memcmp(req->method.base, m, req->method.len) == 0;
}

/* The namespace watch: replays history after the requested resourceVersion, then stays open. */
static void
start_watch(struct fake *fk, h2o_req_t *req, const char *query)
{
    const char *p = strstr(query, "resourceVersion=");
    long long from = p ? atoll(p + strlen("resourceVersion=")) : 0;
    struct kts_stream *st = kts_stream_start(req, 200, "application/json");
    if (!st || fk->nwatches == MAX_WATCHES)
        return;
    fk->watches[fk->nwatches++] = st;
    size_t i;
    json_t *h;
    json_array_foreach(fk->history, i, h)
    {
        if (json_integer_value(json_object_get(h, "rv")) <= from)
            continue;
        size_t len;
        char *line = event_line(json_object_get(h, "event"), &len);
        kts_stream_write(st, line, len);
        free(line);
    }
}

static json_t *
list_of(const char *kind, const char *api_version, json_t *items, long long rv)
{
    char k[64], r[32];
    snprintf(k, sizeof(k), "%sList", kind);
    snprintf(r, sizeof(r), "%lld", rv);
    return json_pack("{s:s,s:s,s:{s:s},s:o}", "kind", k, "apiVersion", api_version, "metadata", "resourceVersion", r,
                     "items", items);
}

/* /api/v1/namespaces[/<name>[/status|/finalize]] */
static void
handle_namespaces(struct fake *fk, h2o_req_t *req, const char *rest, const char *query, json_t *body)
{
    if (!*rest) {
        if (strstr(query, "watch=")) {
            start_watch(fk, req, query);
            return;
        }
        json_t *items = json_array();
        const char *k;
        json_t *v;
        json_object_foreach(fk->namespaces, k, v)
        {
            json_array_append_new(items, json_deep_copy(v));
        }
        json_t *l = list_of("Namespace", "v1", items, fk->rv);
        respond_json(req, 200, l);
        json_decref(l);
        return;
    }
    char name[128] = "", sub[32] = "";
    sscanf(rest, "/%127[^/]/%31s", name, sub);
    json_t *ns = json_object_get(fk->namespaces, name);
    if ((*sub && strcmp(sub, "status") && strcmp(sub, "finalize")) || (!strcmp(sub, "status") && !fk->status_served) ||
        (!strcmp(sub, "finalize") && !fk->finalize_served)) {
        respond_status(req, 404, "NotFound", "the server could not find the requested resource");
        return;
    }
    if (!ns) {
        char msg[256];
        snprintf(msg, sizeof(msg), "namespaces \"%s\" not found", name);
        respond_status(req, 404, "NotFound", msg);
        return;
    }
    if (is_method(req, "GET")) {
        respond_json(req, 200, ns);
        return;
    }
    if (is_method(req, "DELETE") && !*sub) {
        if (!kc_json_get(ns, "metadata.deletionTimestamp")) {
            kc_json_set(ns, "metadata.deletionTimestamp", json_string("2025-01-01T00:00:00Z"));
            kc_json_set(ns, "status.phase", json_string("Terminating"));
            bump(fk, ns);
            ns_event(fk, "MODIFIED", ns);
            respond_json(req, 200, ns);
        } else if (!json_array_size(kc_json_get(ns, "spec.finalizers")) &&
                   !json_array_size(kc_json_get(ns, "metadata.finalizers"))) {
            json_incref(ns);
            json_object_del(fk->namespaces, name);
            bump(fk, ns);
            ns_event(fk, "DELETED", ns);
            respond_json(req, 200, ns);
            json_decref(ns);
        } else {
            respond_json(req, 200, ns);
        }
        return;
    }
    if (!is_method(req, "PUT") || !json_is_object(body)) {
        respond_status(req, 405, "MethodNotAllowed", "not allowed");
        return;
    }
    const char *brv = kc_json_get_string(body, "metadata.resourceVersion");
    if (brv && strcmp(brv, kc_json_get_string(ns, "metadata.resourceVersion")) != 0) {
        respond_status(req, 409, "Conflict", "the object has been modified");
        return;
    }
    if (!strcmp(sub, "status")) {
        json_object_set(ns, "status", json_object_get(body, "status"));
    } else {
        /* Plain update and finalize both take spec (the fake does not protect spec.finalizers from updates). */
        json_object_set(ns, "spec", json_object_get(body, "spec"));
        if (!strcmp(sub, "finalize") && kc_json_get(ns, "metadata.deletionTimestamp") &&
            !json_array_size(kc_json_get(ns, "spec.finalizers"))) {
            json_incref(ns);
            json_object_del(fk->namespaces, name);
            bump(fk, ns);
            ns_event(fk, "DELETED", ns);
            respond_json(req, 200, ns);
            json_decref(ns);
            return;
        }
    }
    bump(fk, ns);
    ns_event(fk, "MODIFIED", ns);
    respond_json(req, 200, ns);
}

/* <base>/namespaces/<ns>/<plural>[/<name>] */
static void
handle_content(struct fake *fk, h2o_req_t *req, const struct fres *r, const char *ns, const char *name)
{
    char rkey[128];
    snprintf(rkey, sizeof(rkey), "%s/%s", r->base, r->plural);
    json_t *coll = json_object_get(fk->objects, rkey);
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "%s/", ns);
    if (*name) {
        char okey[256];
        snprintf(okey, sizeof(okey), "%s/%s", ns, name);
        json_t *o = json_object_get(coll, okey);
        if (!o) {
            respond_status(req, 404, "NotFound", "not found");
        } else if (is_method(req, "DELETE")) {
            json_incref(o);
            delete_obj(fk, coll, okey);
            respond_json(req, 200, o);
            json_decref(o);
        } else {
            respond_json(req, 200, o);
        }
        return;
    }
    if (is_method(req, "DELETE") && !strcmp(r->plural, "configmaps") && fk->fail_configmaps) {
        respond_status(req, 500, "InternalError", "fake 500");
        return;
    }
    bool keep = is_method(req, "DELETE") && !strcmp(r->plural, "deployments") && fk->stubborn_deployments;
    if (is_method(req, "DELETE") && !r->deletecollection) {
        respond_status(req, 405, "MethodNotAllowed",
                       "the server does not allow this method on the requested "
                       "resource");
        return;
    }
    json_t *items = json_array();
    const char *k;
    void *tmp;
    json_t *v;
    json_object_foreach_safe(coll, tmp, k, v)
    {
        if (strncmp(k, prefix, strlen(prefix)) != 0)
            continue;
        json_array_append(items, v);
        if (is_method(req, "DELETE") && !keep)
            delete_obj(fk, coll, k);
    }
    const char *av = strcmp(r->base, "/api/v1") == 0 ? "v1" : r->base + strlen("/apis/");
    json_t *l = list_of(r->kind, av, items, fk->rv);
    respond_json(req, 200, l);
    json_decref(l);
}

/* /api/v1/namespaces, /api/v1/namespaces/<name>, and its /status and /finalize (not the content below it). */
static bool
is_namespace_path(const char *path)
{
    if (strncmp(path, "/api/v1/namespaces", 18) != 0 || (path[18] && path[18] != '/'))
        return false;
    if (!path[18])
        return true;
    const char *sub = strchr(path + 19, '/');
    return !sub || strcmp(sub, "/status") == 0 || strcmp(sub, "/finalize") == 0;
}

static int
handle(void *arg, h2o_req_t *req)
{
    struct fake *fk = arg;
    char path[1024];
    snprintf(path, sizeof(path), "%s", kts_req_path(req));
    char *q = strchr(path, '?');
    const char *query = "";
    if (q) {
        *q = '\0';
        query = q + 1;
    }
    json_t *body = req->entity.base ? json_loadb(req->entity.base, req->entity.len, 0, NULL) : NULL;
    pthread_mutex_lock(&fk->mu);
    char line[1100];
    snprintf(line, sizeof(line), "%.*s %s%s", (int)req->method.len, req->method.base, path,
             strstr(query, "watch=") ? "?watch" : "");
    json_array_append_new(fk->log, json_string(line));
    json_array_append_new(fk->bodies, body ? json_incref(body) : json_null());
    pthread_cond_broadcast(&fk->cond);

    if (!strcmp(path, "/api/v1")) {
        respond_text(req, 200, core_discovery);
    } else if (!strcmp(path, "/apis")) {
        json_t *groups = json_pack(
            "{s:s,s:s,s:[{s:s,s:[{s:s,s:s}],s:{s:s,s:s}},{s:s,s:[{s:s,s:s},{s:s,s:s}],s:{s:s,s:s}}]}", "kind",
            "APIGroupList", "apiVersion", "v1", "groups", "name", "apps", "versions", "groupVersion", "apps/v1",
            "version", "v1", "preferredVersion", "groupVersion", "apps/v1", "version", "v1", "name", "example.com",
            "versions", "groupVersion", "example.com/v1", "version", "v1", "groupVersion", "example.com/v1beta1",
            "version", "v1beta1", "preferredVersion", "groupVersion", "example.com/v1", "version", "v1");
        if (fk->broken_group)
            json_array_append_new(json_object_get(groups, "groups"),
                                  json_pack("{s:s,s:[{s:s,s:s}]}", "name", "broken.io", "versions", "groupVersion",
                                            "broken.io/v1", "version", "v1"));
        respond_json(req, 200, groups);
        json_decref(groups);
    } else if (!strcmp(path, "/apis/apps/v1")) {
        respond_text(req, 200, apps_discovery);
    } else if (!strcmp(path, "/apis/example.com/v1")) {
        respond_text(req, 200, example_discovery);
    } else if (!strcmp(path, "/apis/broken.io/v1")) {
        respond_status(req, 503, "ServiceUnavailable", "fake broken");
    } else if (is_namespace_path(path)) {
        handle_namespaces(fk, req, path + 18, query, body);
    } else {
        bool done = false;
        for (size_t i = 0; i < NRES && !done; i++) {
            size_t bl = strlen(fres[i].base);
            char ns[128] = "", plural[128] = "", name[128] = "";
            if (strncmp(path, fres[i].base, bl) != 0 ||
                sscanf(path + bl, "/namespaces/%127[^/]/%127[^/]/%127[^/]", ns, plural, name) < 2 ||
                strcmp(plural, fres[i].plural) != 0)
                continue;
            handle_content(fk, req, &fres[i], ns, name);
            done = true;
        }
        if (!done)
            respond_status(req, 404, "NotFound", "the server could not find the requested resource");
    }
    pthread_cond_broadcast(&fk->cond);
    pthread_mutex_unlock(&fk->mu);
    json_decref(body);
    return 0;
}

/* --- test-thread helpers --- */

/* Index of the first log entry >= from equal to entry, or -1. Hold fk.mu. */
static int
log_find(struct fx *f, int from, const char *entry)
{
    for (size_t i = (size_t)from; i < json_array_size(f->fk.log); i++)
        if (strcmp(json_string_value(json_array_get(f->fk.log, i)), entry) == 0)
            return (int)i;
    return -1;
}

static int
log_count(struct fx *f, const char *entry)
{
    int n = 0;
    for (int i = log_find(f, 0, entry); i >= 0; i = log_find(f, i + 1, entry))
        n++;
    return n;
}

static void
dump_log(struct fx *f)
{
    for (size_t i = 0; i < json_array_size(f->fk.log); i++)
        print_message("request %zu: %s\n", i, json_string_value(json_array_get(f->fk.log, i)));
}

/* Waits (fk.mu held on return) until pred holds; fails with what after WAIT_MS. */
static void
wait_locked(struct fx *f, bool (*pred)(struct fx *, const void *), const void *arg, const char *what)
{
    struct timespec ts = abs_in(WAIT_MS);
    pthread_mutex_lock(&f->fk.mu);
    while (!pred(f, arg))
        if (pthread_cond_timedwait(&f->fk.cond, &f->fk.mu, &ts) == ETIMEDOUT && !pred(f, arg)) {
            dump_log(f);
            pthread_mutex_unlock(&f->fk.mu);
            fail_msg("waited %d ms for %s", WAIT_MS, what);
        }
}

static bool
ns_gone(struct fx *f, const void *name)
{
    return json_object_get(f->fk.namespaces, name) == NULL;
}

struct count_arg {
    const char *entry;
    int n;
};

static bool
logged_n(struct fx *f, const void *arg)
{
    const struct count_arg *c = arg;
    return log_count(f, c->entry) >= c->n;
}

static void
wait_gone(struct fx *f, const char *ns)
{
    char what[128];
    snprintf(what, sizeof(what), "namespace %s to be removed", ns);
    wait_locked(f, ns_gone, ns, what);
    pthread_mutex_unlock(&f->fk.mu);
}

static void
wait_logged(struct fx *f, const char *entry, int n)
{
    char what[256];
    snprintf(what, sizeof(what), "%d requests \"%s\"", n, entry);
    wait_locked(f, logged_n, &(struct count_arg){ entry, n }, what);
    pthread_mutex_unlock(&f->fk.mu);
}

/* Checks that the entries were requested in this order (others may come between). Hold fk.mu. */
static void
expect_order(struct fx *f, const char *const *entries)
{
    int at = 0;
    for (; *entries; entries++) {
        int i = log_find(f, at, *entries);
        if (i < 0) {
            dump_log(f);
            fail_msg("request \"%s\" missing after request %d", *entries, at);
        }
        at = i + 1;
    }
}

/* The body of the first request entry as compact canonical JSON ("" when none). Hold fk.mu. */
static void
expect_body(struct fx *f, const char *entry, const char *want)
{
    int i = log_find(f, 0, entry);
    assert_true(i >= 0);
    char *got = kc_json_canonical(json_array_get(f->fk.bodies, (size_t)i));
    if (strcmp(got, want) != 0) {
        print_message("body of %s: got %s\n", entry, got);
        free(got);
        fail_msg("body of %s: want %s", entry, want);
    }
    free(got);
}

/* Fails unless condition type of namespace ns (stored, or as last written to /status) has status, reason and
 * message. Hold fk.mu. */
static void
expect_condition(const json_t *ns, const char *type, const char *status, const char *reason, const char *message)
{
    size_t i;
    json_t *c;
    json_array_foreach(kc_json_get(ns, "status.conditions"), i, c)
    {
        const char *t = kc_json_get_string(c, "type");
        if (!t || strcmp(t, type) != 0)
            continue;
        assert_string_equal(kc_json_get_string(c, "status"), status);
        assert_string_equal(kc_json_get_string(c, "reason"), reason);
        assert_string_equal(kc_json_get_string(c, "message"), message);
        assert_non_null(kc_json_get_string(c, "lastTransitionTime"));
        return;
    }
    fail_msg("no condition %s", type);
}

/* The body of the last request entry. Hold fk.mu. */
static json_t *
last_body(struct fx *f, const char *entry)
{
    int last = -1;
    for (int i = log_find(f, 0, entry); i >= 0; i = log_find(f, i + 1, entry))
        last = i;
    assert_true(last >= 0);
    return json_array_get(f->fk.bodies, (size_t)last);
}

static void
expect_all_ok_conditions(const json_t *ns)
{
    expect_condition(ns, "NamespaceDeletionDiscoveryFailure", "False", "ResourcesDiscovered",
                     "All resources successfully discovered");
    expect_condition(ns, "NamespaceDeletionGroupVersionParsingFailure", "False", "ParsedGroupVersions",
                     "All legacy kube types successfully parsed");
    expect_condition(ns, "NamespaceDeletionContentFailure", "False", "ContentDeleted",
                     "All content successfully deleted, may be waiting on finalization");
    expect_condition(ns, "NamespaceContentRemaining", "False", "ContentRemoved", "All content successfully removed");
    expect_condition(ns, "NamespaceFinalizersRemaining", "False", "ContentHasNoFinalizers",
                     "All content-preserving finalizers finished");
    assert_string_equal(kc_json_get_string(ns, "status.phase"), "Terminating");
}

struct mark_arg {
    struct fake *fk;
    const char *name;
};

/* Server thread: DELETE a namespace as the API server does (it becomes Terminating; the watch tells). */
static void
do_mark_terminating(void *arg)
{
    struct mark_arg *m = arg;
    pthread_mutex_lock(&m->fk->mu);
    json_t *ns = json_object_get(m->fk->namespaces, m->name);
    if (ns) {
        kc_json_set(ns, "metadata.deletionTimestamp", json_string("2025-01-01T00:00:05Z"));
        kc_json_set(ns, "status.phase", json_string("Terminating"));
        bump(m->fk, ns);
        ns_event(m->fk, "MODIFIED", ns);
    }
    pthread_cond_broadcast(&m->fk->cond);
    pthread_mutex_unlock(&m->fk->mu);
}

/* --- fixture --- */

static int
setup(void **state)
{
    signal(SIGPIPE, SIG_IGN);
    kc_log_init_from_env();
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    *state = f;
    pthread_mutex_init(&f->fk.mu, NULL);
    pthread_cond_init(&f->fk.cond, NULL);
    f->fk.namespaces = json_object();
    f->fk.objects = json_object();
    f->fk.history = json_array();
    f->fk.log = json_array();
    f->fk.bodies = json_array();
    f->fk.status_served = true;
    for (size_t i = 0; i < NRES; i++) {
        char rkey[128];
        snprintf(rkey, sizeof(rkey), "%s/%s", fres[i].base, fres[i].plural);
        json_object_set_new(f->fk.objects, rkey, json_object());
    }

    struct kc_pki_cert ca = { 0 }, sc = { 0 };
    assert_int_equal(kc_pki_ca_new(&(struct kc_pki_req){ .cn = "test-ca" }, &ca), 0);
    const char *ips[] = { "127.0.0.1" };
    struct kc_pki_req sreq = { .cn = "kube-apiserver", .ips = ips, .nips = 1, .usage = KC_PKI_SERVER };
    assert_int_equal(kc_pki_cert_issue(&ca, &sreq, NULL, &sc), 0);
    assert_int_equal(kc_pki_cert_pem(ca.x509, &f->ca_pem, NULL), 0);
    assert_int_equal(kc_pki_cert_pem(sc.x509, &f->srv_cert, NULL), 0);
    assert_int_equal(kc_pki_key_pem(sc.key, &f->srv_key, NULL), 0);
    kc_pki_cert_close(&ca);
    kc_pki_cert_close(&sc);

    struct kts_server_opts o = { .cert_pem = f->srv_cert, .key_pem = f->srv_key };
    assert_int_equal(kts_server_new(&o, &f->srv), 0);
    assert_int_equal(kts_server_route(f->srv, "/apis", handle, &f->fk), 0);
    assert_int_equal(kts_server_route(f->srv, "/api", handle, &f->fk), 0);
    assert_int_equal(kts_server_start(f->srv), 0);
    return 0;
}

/* The controller first (threads and connections), then the server. */
static int
teardown(void **state)
{
    struct fx *f = *state;
    ctrl_namespace_stop(f->ctrl);
    kts_server_free(f->srv);
    json_decref(f->fk.namespaces);
    json_decref(f->fk.objects);
    json_decref(f->fk.history);
    json_decref(f->fk.log);
    json_decref(f->fk.bodies);
    free(f->ca_pem);
    free(f->srv_cert);
    free(f->srv_key);
    free(f);
    return 0;
}

static void
start_ctrl(struct fx *f)
{
    struct kc_http_config cfg = { .server = (char *)kts_server_url(f->srv), .ca_pem = f->ca_pem };
    struct ctrl_namespace_opts o = { .workers = 2, .base_delay_ms = 5, .max_delay_ms = 50 };
    int rc = ctrl_namespace_start(&cfg, &o, &f->ctrl);
    if (rc)
        fail_msg("ctrl_namespace_start: %s", kc_strerror(rc));
}

/* --- tests --- */

static void
test_terminating_namespace_emptied_and_removed(void **state)
{
    struct fx *f = *state;
    add_ns(f, "doomed", true, kube_fin);
    add_ns(f, "keep", false, kube_fin);
    add_obj(f, 0, "doomed", "p1", NULL);
    add_obj(f, 0, "doomed", "p2", NULL);
    add_obj(f, 0, "keep", "p3", NULL);
    add_obj(f, 1, "doomed", "c1", NULL);
    add_obj(f, 2, "doomed", "d1", NULL);
    add_obj(f, 3, "doomed", "w1", NULL);
    add_obj(f, 3, "doomed", "w2", NULL);
    add_obj(f, 4, "doomed", "g1", NULL);
    start_ctrl(f);
    wait_gone(f, "doomed");

    pthread_mutex_lock(&f->fk.mu);
    for (size_t r = 0; r < NRES; r++) {
        const char *k;
        json_t *v;
        char rkey[128];
        snprintf(rkey, sizeof(rkey), "%s/%s", fres[r].base, fres[r].plural);
        json_object_foreach(json_object_get(f->fk.objects, rkey), k, v)
        {
            if (strncmp(k, "doomed/", 7) == 0)
                fail_msg("%s %s still there", fres[r].plural, k);
        }
    }
    assert_non_null(get_obj(f, 0, "keep", "p3"));
    assert_non_null(json_object_get(f->fk.namespaces, "keep"));
    const char *const order[] = {
        "DELETE /api/v1/namespaces/doomed/pods",
        "GET /api/v1/namespaces/doomed/pods",
        "DELETE /api/v1/namespaces/doomed/configmaps",
        "GET /api/v1/namespaces/doomed/configmaps",
        "DELETE /apis/apps/v1/namespaces/doomed/deployments",
        "GET /apis/apps/v1/namespaces/doomed/deployments",
        "GET /apis/example.com/v1/namespaces/doomed/widgets",
        "DELETE /apis/example.com/v1/namespaces/doomed/widgets/w1",
        "DELETE /apis/example.com/v1/namespaces/doomed/widgets/w2",
        "GET /apis/example.com/v1/namespaces/doomed/widgets",
        "DELETE /apis/example.com/v1/namespaces/doomed/gadgets", /* 405: the fallback follows */
        "GET /apis/example.com/v1/namespaces/doomed/gadgets",
        "DELETE /apis/example.com/v1/namespaces/doomed/gadgets/g1",
        "GET /apis/example.com/v1/namespaces/doomed/gadgets",
        "PUT /api/v1/namespaces/doomed/status",
        "PUT /api/v1/namespaces/doomed/finalize", /* 404 here: not served */
        "PUT /api/v1/namespaces/doomed",          /* the fallback */
        "DELETE /api/v1/namespaces/doomed",
        NULL,
    };
    expect_order(f, order);
    /* Discovery came first, and only preferred versions were asked. */
    assert_true(log_find(f, 0, "GET /api/v1") < log_find(f, 0, "DELETE /api/v1/namespaces/doomed/pods"));
    assert_true(log_find(f, 0, "GET /apis/apps/v1") >= 0);
    assert_int_equal(log_find(f, 0, "GET /apis/example.com/v1beta1"), -1);
    /* One pass did it; resources without delete (bindings) and cluster-scoped ones were left alone. */
    assert_int_equal(log_count(f, "DELETE /api/v1/namespaces/doomed/pods"), 1);
    assert_int_equal(log_count(f, "DELETE /apis/example.com/v1/namespaces/doomed/widgets"), 0);
    for (size_t i = 0; i < json_array_size(f->fk.log); i++) {
        const char *e = json_string_value(json_array_get(f->fk.log, i));
        if (strstr(e, "bindings") || strstr(e, "nodes") || strstr(e, "/namespaces/keep"))
            fail_msg("unexpected request %s", e);
    }
    expect_body(f, "DELETE /api/v1/namespaces/doomed/pods", BG_BODY);
    expect_body(f, "DELETE /apis/example.com/v1/namespaces/doomed/widgets/w1", BG_BODY);
    expect_body(f, "DELETE /api/v1/namespaces/doomed", BG_BODY);
    json_t *fin = last_body(f, "PUT /api/v1/namespaces/doomed");
    assert_int_equal(json_array_size(kc_json_get(fin, "spec.finalizers")), 0);
    assert_true(json_is_array(kc_json_get(fin, "spec.finalizers")));
    expect_all_ok_conditions(last_body(f, "PUT /api/v1/namespaces/doomed/status"));
    pthread_mutex_unlock(&f->fk.mu);

    /* A namespace deleted while the controller runs: the watch brings it. */
    struct mark_arg m = { &f->fk, "keep" };
    assert_int_equal(kts_server_call(f->srv, do_mark_terminating, &m), 0);
    wait_gone(f, "keep");
    pthread_mutex_lock(&f->fk.mu);
    assert_null(get_obj(f, 0, "keep", "p3"));
    expect_order(f, (const char *const[]){ "DELETE /api/v1/namespaces/keep/pods", "PUT /api/v1/namespaces/keep",
                                           "DELETE /api/v1/namespaces/keep", NULL });
    pthread_mutex_unlock(&f->fk.mu);
}

static void
test_lingering_object_retried(void **state)
{
    struct fx *f = *state;
    f->fk.finalize_served = true;
    add_ns(f, "sticky", true, kube_fin);
    add_obj(f, 0, "sticky", "held", "example.com/hold");
    add_obj(f, 1, "sticky", "c1", NULL);
    start_ctrl(f);
    /* Retried (rate-limited) while the pod is held by its finalizer. */
    wait_logged(f, "DELETE /api/v1/namespaces/sticky/pods", 3);

    pthread_mutex_lock(&f->fk.mu);
    json_t *ns = json_object_get(f->fk.namespaces, "sticky");
    assert_non_null(ns);
    assert_int_equal(log_count(f, "PUT /api/v1/namespaces/sticky/finalize"), 0);
    assert_int_equal(log_count(f, "PUT /api/v1/namespaces/sticky"), 0);
    assert_int_equal(log_count(f, "DELETE /api/v1/namespaces/sticky"), 0);
    assert_null(get_obj(f, 1, "sticky", "c1"));
    json_t *held = get_obj(f, 0, "sticky", "held");
    assert_non_null(held);
    assert_non_null(kc_json_get(held, "metadata.deletionTimestamp"));
    expect_condition(ns, "NamespaceContentRemaining", "True", "SomeResourcesRemain",
                     "Some resources are remaining: pods. has 1 resource instances");
    expect_condition(ns, "NamespaceFinalizersRemaining", "True", "SomeFinalizersRemain",
                     "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource "
                     "instances");
    expect_condition(ns, "NamespaceDeletionContentFailure", "False", "ContentDeleted",
                     "All content successfully deleted, may be waiting on finalization");
    expect_condition(ns, "NamespaceDeletionDiscoveryFailure", "False", "ResourcesDiscovered",
                     "All resources successfully discovered");
    /* The conditions were written once: later passes found nothing new to say. */
    assert_int_equal(log_count(f, "PUT /api/v1/namespaces/sticky/status"), 1);

    /* The finalizer goes (its controller finished): the pod is removed, and so is the namespace. */
    json_t *coll = json_object_get(f->fk.objects, "/api/v1/pods");
    json_object_del(coll, "sticky/held");
    pthread_cond_broadcast(&f->fk.cond);
    pthread_mutex_unlock(&f->fk.mu);
    wait_gone(f, "sticky");
    pthread_mutex_lock(&f->fk.mu);
    expect_order(f,
                 (const char *const[]){ "PUT /api/v1/namespaces/sticky/status", "PUT /api/v1/namespaces/sticky/status",
                                        "PUT /api/v1/namespaces/sticky/finalize", NULL });
    assert_int_equal(log_count(f, "PUT /api/v1/namespaces/sticky"), 0); /* /finalize served: no fallback */
    expect_all_ok_conditions(last_body(f, "PUT /api/v1/namespaces/sticky/status"));
    json_t *fin = last_body(f, "PUT /api/v1/namespaces/sticky/finalize");
    assert_int_equal(json_array_size(kc_json_get(fin, "spec.finalizers")), 0);
    pthread_mutex_unlock(&f->fk.mu);
}

static void
test_discovery_failure_blocks_finalize(void **state)
{
    struct fx *f = *state;
    f->fk.finalize_served = true;
    f->fk.broken_group = true;
    add_ns(f, "half", true, kube_fin);
    add_obj(f, 0, "half", "p1", NULL);
    start_ctrl(f);
    wait_logged(f, "GET /apis/broken.io/v1", 3);

    pthread_mutex_lock(&f->fk.mu);
    /* What could be deleted was, but the namespace is kept while a group cannot be discovered. */
    assert_null(get_obj(f, 0, "half", "p1"));
    json_t *ns = json_object_get(f->fk.namespaces, "half");
    assert_non_null(ns);
    assert_int_equal(log_count(f, "PUT /api/v1/namespaces/half/finalize"), 0);
    expect_condition(ns, "NamespaceDeletionDiscoveryFailure", "True", "DiscoveryFailed",
                     "Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server "
                     "APIs: broken.io/v1: fake broken");
    expect_condition(ns, "NamespaceContentRemaining", "False", "ContentRemoved", "All content successfully removed");
    f->fk.broken_group = false;
    pthread_mutex_unlock(&f->fk.mu);

    wait_gone(f, "half");
    pthread_mutex_lock(&f->fk.mu);
    expect_all_ok_conditions(last_body(f, "PUT /api/v1/namespaces/half/status"));
    pthread_mutex_unlock(&f->fk.mu);
}

/* Content that cannot be deleted, or that a successful delete left behind without a reason, is reported in the
 * conditions and keeps the namespace; once the server behaves, the namespace goes. */
static void
test_content_failures_reported(void **state)
{
    struct fx *f = *state;
    f->fk.finalize_served = true;
    f->fk.fail_configmaps = true;
    f->fk.stubborn_deployments = true;
    add_ns(f, "bad", true, kube_fin);
    add_obj(f, 1, "bad", "c1", NULL);
    add_obj(f, 2, "bad", "d1", NULL);
    start_ctrl(f);
    wait_logged(f, "DELETE /api/v1/namespaces/bad/configmaps", 3);

    pthread_mutex_lock(&f->fk.mu);
    json_t *ns = json_object_get(f->fk.namespaces, "bad");
    assert_non_null(ns);
    assert_int_equal(log_count(f, "PUT /api/v1/namespaces/bad/finalize"), 0);
    expect_condition(ns, "NamespaceDeletionContentFailure", "True", "ContentDeletionFailed",
                     "Failed to delete all resource types, 2 remaining: deleting configmaps.: fake 500, unexpected "
                     "items still remain in namespace: bad for gvr: apps/v1, Resource=deployments");
    expect_condition(ns, "NamespaceContentRemaining", "True", "SomeResourcesRemain",
                     "Some resources are remaining: deployments.apps has 1 resource instances");
    expect_condition(ns, "NamespaceFinalizersRemaining", "False", "ContentHasNoFinalizers",
                     "All content-preserving finalizers finished");
    assert_non_null(get_obj(f, 1, "bad", "c1"));
    f->fk.fail_configmaps = false;
    f->fk.stubborn_deployments = false;
    pthread_mutex_unlock(&f->fk.mu);

    wait_gone(f, "bad");
    pthread_mutex_lock(&f->fk.mu);
    assert_null(get_obj(f, 1, "bad", "c1"));
    assert_null(get_obj(f, 2, "bad", "d1"));
    expect_all_ok_conditions(last_body(f, "PUT /api/v1/namespaces/bad/status"));
    pthread_mutex_unlock(&f->fk.mu);
}

/* Another component's finalizer stays: "kubernetes" is removed, the namespace is not deleted again. */
static void
test_other_finalizer_kept(void **state)
{
    struct fx *f = *state;
    f->fk.finalize_served = true;
    add_ns(f, "shared", true, (const char *const[]){ "kubernetes", "example.com/z", "example.com/a", NULL });
    add_obj(f, 2, "shared", "d1", NULL);
    start_ctrl(f);
    wait_logged(f, "PUT /api/v1/namespaces/shared/finalize", 1);
    /* The finalize changed the namespace, so it is synced once more; wait for that pass to finish its lists. */
    wait_logged(f, "GET /apis/example.com/v1/namespaces/shared/widgets", 4); /* two per pass: delete, check */
    ctrl_namespace_stop(f->ctrl);
    f->ctrl = NULL;

    pthread_mutex_lock(&f->fk.mu);
    json_t *ns = json_object_get(f->fk.namespaces, "shared");
    assert_non_null(ns);
    char *fins = kc_json_canonical(kc_json_get(ns, "spec.finalizers"));
    assert_string_equal(fins, "[\"example.com/a\",\"example.com/z\"]");
    free(fins);
    assert_null(get_obj(f, 2, "shared", "d1"));
    assert_int_equal(log_count(f, "PUT /api/v1/namespaces/shared/finalize"), 1);
    assert_int_equal(log_count(f, "DELETE /api/v1/namespaces/shared"), 0);
    pthread_mutex_unlock(&f->fk.mu);
}

/* Active namespaces cause no writes at all. */
static void
test_active_namespaces_untouched(void **state)
{
    struct fx *f = *state;
    add_ns(f, "a", false, kube_fin);
    add_ns(f, "b", false, kube_fin);
    add_obj(f, 0, "a", "p", NULL);
    start_ctrl(f);
    wait_logged(f, "GET /api/v1/namespaces?watch", 1);
    ctrl_namespace_stop(f->ctrl);
    f->ctrl = NULL;
    pthread_mutex_lock(&f->fk.mu);
    for (size_t i = 0; i < json_array_size(f->fk.log); i++) {
        const char *e = json_string_value(json_array_get(f->fk.log, i));
        if (strcmp(e, "GET /api/v1/namespaces") != 0 && strcmp(e, "GET /api/v1/namespaces?watch") != 0)
            fail_msg("unexpected request %s", e);
    }
    assert_non_null(get_obj(f, 0, "a", "p"));
    pthread_mutex_unlock(&f->fk.mu);
}

static void
test_bad_input(void **state)
{
    (void)state;
    struct ctrl_namespace *c = NULL;
    assert_int_equal(ctrl_namespace_start(NULL, NULL, &c), KC_EINVALID);
    assert_int_equal(ctrl_namespace_start(&(struct kc_http_config){ 0 }, NULL, &c), KC_EINVALID);
    struct kc_http_config bad = { .server = "ftp://nowhere" };
    assert_int_equal(ctrl_namespace_start(&bad, NULL, &c), KC_EINVALID);
    struct kc_http_config ok = { .server = "https://127.0.0.1:1" };
    assert_int_equal(ctrl_namespace_start(&ok, &(struct ctrl_namespace_opts){ .workers = -1 }, &c), KC_EINVALID);
    assert_int_equal(ctrl_namespace_start(&ok, &(struct ctrl_namespace_opts){ .max_delay_ms = -1 }, &c), KC_EINVALID);
    assert_null(c);
    ctrl_namespace_stop(NULL);
    /* A server that is not there: starts, retries in the background, stops promptly. */
    assert_int_equal(ctrl_namespace_start(&ok, NULL, &c), 0);
    int64_t t0 = kc_time_mono_ns();
    ctrl_namespace_stop(c);
    if (kc_time_mono_ns() - t0 > 3000000000LL)
        fail_msg("stop took %lld ms", (long long)((kc_time_mono_ns() - t0) / 1000000));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_terminating_namespace_emptied_and_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lingering_object_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_discovery_failure_blocks_finalize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_content_failures_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_finalizer_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_active_namespaces_untouched, setup, teardown),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
