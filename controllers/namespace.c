/* namespace.c - the namespace lifecycle controller: empties every terminating namespace of its content through
 * the API server, reports progress in upstream's status conditions, then removes the "kubernetes" finalizer and
 * lets the API server remove the namespace. Level-triggered: each sync starts from a fresh GET of the namespace.
 */
#include "ctrl.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_informer.h"
#include "kc_json.h"
#include "kc_log.h"
#include "kc_time.h"
#include "kc_workqueue.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMPONENT      "namespace-controller"
#define REQ_TIMEOUT_MS 60000L
#define MAX_WORKERS    64
#define PATH_MAX_LEN   2048
#define SYNC_REMAINING 1 /* a sync's result: content is still going away; retry later */

/* A failure worth a warning, unless the controller is stopping (then requests fail because they are cancelled). */
#define WARN(w, msg, ...) \
    KC_LOG(atomic_load(&(w)->c->stopping) ? KC_LOG_DEBUG : KC_LOG_WARN, COMPONENT, msg, __VA_ARGS__)

struct worker {
    struct ctrl_namespace *c;
    struct kc_http *http; /* this worker's own client */
    pthread_t thread;
    bool started;
};

struct ctrl_namespace {
    struct kc_informer *inf;
    struct kc_workqueue *q;
    struct worker *workers;
    int nworkers;
    long delete_delay_ms;
    atomic_bool stopping;
};

/* A growable list of strings, for condition messages. */
struct strs {
    char **v;
    size_t n, cap;
    bool oom;
};

/* One namespaced resource from discovery. */
struct resource {
    char *base;    /* "/api/v1" or "/apis/<group>/<version>" */
    char *group;   /* "" for the core group */
    char *version; /* "v1" */
    char *plural;  /* "pods" */
    bool deletecollection, list;
};

struct resources {
    struct resource *v;
    size_t n, cap;
};

/* What one pass over a namespace's content found. */
struct content {
    struct strs discovery_errs; /* "<groupVersion>: <why>" */
    struct strs delete_errs;    /* content that could not be deleted or checked */
    struct strs remaining;      /* "<plural>.<group> has N resource instances" */
    json_t *finalizers;         /* finalizer -> number of remaining objects carrying it */
    size_t nremaining;
};

/* --- small helpers --- */

static void strs_addf(struct strs *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
strs_addf(struct strs *s, const char *fmt, ...)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        char **nv = kc_realloc(s->v, cap * sizeof(*nv));
        if (!nv) {
            s->oom = true;
            return;
        }
        s->v = nv;
        s->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    char *str = NULL;
    int n = vasprintf(&str, fmt, ap);
    va_end(ap);
    if (n < 0) {
        s->oom = true;
        return;
    }
    s->v[s->n++] = str;
}

static void
strs_free(struct strs *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    *s = (struct strs){ 0 };
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The strings sorted and joined with ", " (malloc'ed; NULL when out of memory). */
static char *
strs_join(struct strs *s)
{
    if (s->n > 1)
        qsort(s->v, s->n, sizeof(*s->v), cmp_str);
    size_t len = 1;
    for (size_t i = 0; i < s->n; i++)
        len += strlen(s->v[i]) + 2;
    char *out = kc_malloc(len), *p = out;
    if (!out)
        return NULL;
    *p = '\0';
    for (size_t i = 0; i < s->n; i++)
        p += sprintf(p, "%s%s", i ? ", " : "", s->v[i]);
    return out;
}

static void
resources_free(struct resources *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        free(rs->v[i].base);
        free(rs->v[i].group);
        free(rs->v[i].version);
        free(rs->v[i].plural);
    }
    free(rs->v);
    *rs = (struct resources){ 0 };
}

static bool
has_verb(const json_t *verbs, const char *verb)
{
    size_t i;
    json_t *v;
    json_array_foreach(verbs, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), verb) == 0)
            return true;
    }
    return false;
}

static bool
is_terminating(const json_t *ns)
{
    const char *ts = kc_json_get_string(ns, "metadata.deletionTimestamp");
    return ts && *ts;
}

/* One JSON request on the worker's client. *status is the HTTP status (0 when none came), *reply the parsed
 * body or NULL (the caller json_decref()s it). Returns 0 or what kc_http_json() returns. */
static int
call(struct worker *w, const char *method, const char *path, const json_t *body, long *status, json_t **reply)
{
    struct kc_http_response resp = { 0 };
    struct kc_http_request req = { .method = method, .path = path, .timeout_ms = REQ_TIMEOUT_MS };
    *reply = NULL;
    int rc = kc_http_json(w->http, &req, body, &resp, reply);
    *status = resp.status;
    kc_http_response_close(&resp);
    return rc;
}

/* Why a request failed, for logs and condition messages: the transport error, the Status message, or the
 * HTTP status. */
static void
describe(struct worker *w, int rc, long status, const json_t *reply, char *buf, size_t size)
{
    const char *msg = kc_json_get_string(reply, "message");
    if (rc != 0)
        snprintf(buf, size, "%s: %s", kc_strerror(rc), kc_http_errmsg(w->http));
    else if (msg && *msg)
        snprintf(buf, size, "%s", msg);
    else
        snprintf(buf, size, "the server answered HTTP %ld", status);
}

static bool
ok_status(long status)
{
    return status >= 200 && status < 300;
}

/* The body of every DELETE: the garbage collector deletes dependents in the background, and adds no orphan
 * finalizer that would keep objects in the namespace. */
static json_t *
background(void)
{
    return json_pack("{s:s}", "propagationPolicy", "Background");
}

/* --- discovery --- */

/* Adds the namespaced, deletable resources of an APIResourceList. */
static void
add_resources(struct resources *rs, const char *base, const char *group, const char *version, const json_t *list,
              bool *oom)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(list, "resources"), i, r)
    {
        const char *name = kc_json_get_string(r, "name");
        const json_t *verbs = json_object_get(r, "verbs");
        if (!name || !*name || strchr(name, '/') || !json_is_true(json_object_get(r, "namespaced")) ||
            !has_verb(verbs, "delete"))
            continue;
        if (rs->n == rs->cap) {
            size_t cap = rs->cap ? 2 * rs->cap : 16;
            struct resource *nv = kc_realloc(rs->v, cap * sizeof(*nv));
            if (!nv) {
                *oom = true;
                return;
            }
            rs->v = nv;
            rs->cap = cap;
        }
        struct resource *res = &rs->v[rs->n];
        res->base = kc_strdup(base);
        res->group = kc_strdup(group);
        res->version = kc_strdup(version);
        res->plural = kc_strdup(name);
        res->deletecollection = has_verb(verbs, "deletecollection");
        res->list = has_verb(verbs, "list");
        rs->n++;
        if (!res->base || !res->group || !res->version || !res->plural)
            *oom = true;
    }
}

/* Fetches one group version's resources; a failure is recorded under gv. */
static void
discover_gv(struct worker *w, const char *base, const char *group, const char *version, const char *gv,
            struct resources *rs, struct content *ct, bool *oom)
{
    long status;
    json_t *reply;
    int rc = call(w, "GET", base, NULL, &status, &reply);
    if (rc == 0 && status == 200 && json_is_object(reply)) {
        add_resources(rs, base, group, version, reply, oom);
    } else {
        char why[512];
        describe(w, rc, status, reply, why, sizeof(why));
        strs_addf(&ct->discovery_errs, "%s: %s", gv, why);
    }
    json_decref(reply);
}

/* Every namespaced resource that supports delete: the core group and each group's preferred version, as
 * client-go's ServerPreferredNamespacedResources. Groups that fail are recorded in ct->discovery_errs; what the
 * others gave is still returned. */
static int
discover(struct worker *w, struct resources *rs, struct content *ct)
{
    bool oom = false;
    discover_gv(w, "/api/v1", "", "v1", "v1", rs, ct, &oom);
    long status;
    json_t *groups;
    int rc = call(w, "GET", "/apis", NULL, &status, &groups);
    if (rc != 0 || status != 200 || !json_is_object(groups)) {
        char why[512];
        describe(w, rc, status, groups, why, sizeof(why));
        strs_addf(&ct->discovery_errs, "apis: %s", why);
    } else {
        size_t i;
        json_t *g;
        json_array_foreach(json_object_get(groups, "groups"), i, g)
        {
            const char *name = kc_json_get_string(g, "name");
            const char *gv = kc_json_get_string(g, "preferredVersion.groupVersion");
            const char *ver = kc_json_get_string(g, "preferredVersion.version");
            if (!gv) {
                json_t *first = json_array_get(json_object_get(g, "versions"), 0);
                gv = kc_json_get_string(first, "groupVersion");
                ver = kc_json_get_string(first, "version");
            }
            const char *slash = gv ? strchr(gv, '/') : NULL;
            if (!name || !gv || !slash || strchr(slash + 1, '/')) {
                strs_addf(&ct->discovery_errs, "%s: no usable preferred version", name ? name : "?");
                continue;
            }
            if (!ver)
                ver = slash + 1;
            char base[PATH_MAX_LEN];
            snprintf(base, sizeof(base), "/apis/%s", gv);
            discover_gv(w, base, name, ver, gv, rs, ct, &oom);
        }
    }
    json_decref(groups);
    return oom || ct->discovery_errs.oom ? -ENOMEM : 0;
}

/* --- content --- */

/* Lists a collection. Returns 0 with *items (a new reference), 1 when the server does not serve the list
 * (404/405), or -1 after recording why it failed. */
static int
list_collection(struct worker *w, const char *path, const char *what, struct content *ct, json_t **items)
{
    long status;
    json_t *reply;
    int rc = call(w, "GET", path, NULL, &status, &reply);
    if (rc == 0 && status == 200 && json_is_array(json_object_get(reply, "items"))) {
        *items = json_incref(json_object_get(reply, "items"));
        json_decref(reply);
        return 0;
    }
    int ret = -1;
    if (rc == 0 && (status == 404 || status == 405)) {
        ret = 1;
    } else {
        char why[512];
        describe(w, rc, status, reply, why, sizeof(why));
        strs_addf(&ct->delete_errs, "listing %s: %s", what, why);
    }
    json_decref(reply);
    return ret;
}

/* Deletes the objects of one resource in namespace ns and counts what remains. */
static void
delete_resource(struct worker *w, const char *ns, const struct resource *r, struct content *ct)
{
    char coll[PATH_MAX_LEN], what[256], why[512];
    snprintf(coll, sizeof(coll), "%s/namespaces/%s/%s", r->base, ns, r->plural);
    snprintf(what, sizeof(what), "%s.%s", r->plural, r->group);
    json_t *bg = background();
    long status;
    json_t *reply = NULL, *items = NULL;
    int rc;
    bool each = !r->deletecollection;
    if (r->deletecollection) {
        rc = call(w, "DELETE", coll, bg, &status, &reply);
        if (rc == 0 && ok_status(status)) {
            size_t n = json_array_size(json_object_get(reply, "items"));
            KC_LOG(n ? KC_LOG_INFO : KC_LOG_DEBUG, COMPONENT, "deleted collection",
                   "namespace=%s resource=%s items=%zu", ns, what, n);
        } else if (rc == 0 && (status == 404 || status == 405)) {
            each = true; /* discovery promised deletecollection, the server disagrees */
        } else {
            describe(w, rc, status, reply, why, sizeof(why));
            WARN(w, "deleting collection failed", "namespace=%s resource=%s error=\"%s\"", ns, what, why);
            strs_addf(&ct->delete_errs, "deleting %s: %s", what, why);
            goto out;
        }
        json_decref(reply);
        reply = NULL;
    }
    if (each && r->list) {
        if (list_collection(w, coll, what, ct, &items) < 0)
            goto out;
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it)
        {
            const char *name = kc_json_get_string(it, "metadata.name");
            if (!name || is_terminating(it))
                continue;
            char item[PATH_MAX_LEN + 256];
            snprintf(item, sizeof(item), "%s/%s", coll, name);
            rc = call(w, "DELETE", item, bg, &status, &reply);
            if (rc == 0 && ok_status(status)) {
                KC_LOG(KC_LOG_INFO, COMPONENT, "deleted object", "namespace=%s resource=%s name=%s", ns, what, name);
            } else if (!(rc == 0 && (status == 404 || status == 405))) {
                describe(w, rc, status, reply, why, sizeof(why));
                WARN(w, "deleting object failed", "namespace=%s resource=%s name=%s error=\"%s\"", ns, what, name, why);
                strs_addf(&ct->delete_errs, "deleting %s %s: %s", what, name, why);
                json_decref(reply);
                reply = NULL;
                goto out;
            }
            json_decref(reply);
            reply = NULL;
        }
        json_decref(items);
        items = NULL;
    }
    /* What is left: objects held by finalizers or in graceful deletion are expected to go; others are not. */
    if (!r->list || list_collection(w, coll, what, ct, &items) != 0)
        goto out;
    size_t n = json_array_size(items), i;
    if (n == 0)
        goto out;
    bool any_finalizer = false, unexpected = false;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        json_t *fins = kc_json_get(it, "metadata.finalizers"), *fv;
        size_t j;
        json_array_foreach(fins, j, fv)
        {
            const char *fin = json_string_value(fv);
            if (!fin)
                continue;
            any_finalizer = true;
            json_t *cnt = json_object_get(ct->finalizers, fin);
            json_object_set_new(ct->finalizers, fin, json_integer((cnt ? json_integer_value(cnt) : 0) + 1));
        }
        if (!json_array_size(fins) && !is_terminating(it))
            unexpected = true;
    }
    ct->nremaining += n;
    strs_addf(&ct->remaining, "%s has %zu resource instances", what, n);
    if (unexpected && !any_finalizer)
        strs_addf(&ct->delete_errs, "unexpected items still remain in namespace: %s for gvr: %s/%s, Resource=%s", ns,
                  r->group, r->version, r->plural);
out:
    json_decref(reply);
    json_decref(items);
    json_decref(bg);
}

/* --- status conditions --- */

struct cond_type {
    const char *type, *ok_reason, *ok_message, *bad_reason;
};

/* Upstream's five condition types, in upstream's order, with its texts (pkg/controller/namespace/deletion). */
static const struct cond_type cond_types[] = {
    { "NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered", "All resources successfully discovered",
      "DiscoveryFailed" },
    { "NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions", "All legacy kube types successfully parsed",
      "GroupVersionParsingFailed" },
    { "NamespaceDeletionContentFailure", "ContentDeleted",
      "All content successfully deleted, may be waiting on finalization", "ContentDeletionFailed" },
    { "NamespaceContentRemaining", "ContentRemoved", "All content successfully removed", "SomeResourcesRemain" },
    { "NamespaceFinalizersRemaining", "ContentHasNoFinalizers", "All content-preserving finalizers finished",
      "SomeFinalizersRemain" },
};

/* The failure message of condition i, or NULL when it holds ("False"). malloc'ed. */
static char *
cond_failure(size_t i, struct content *ct, bool *oom)
{
    char *list = NULL, *msg = NULL;
    struct strs fins = { 0 };
    int n = 0;
    switch (i) {
    case 0:
        if (!ct->discovery_errs.n)
            return NULL;
        list = strs_join(&ct->discovery_errs);
        if (list)
            n = asprintf(&msg,
                         "Discovery failed for some groups, %zu failing: unable to retrieve the complete list "
                         "of server APIs: %s",
                         ct->discovery_errs.n, list);
        break;
    case 2:
        if (!ct->delete_errs.n)
            return NULL;
        list = strs_join(&ct->delete_errs);
        if (list)
            n = asprintf(&msg, "Failed to delete all resource types, %zu remaining: %s", ct->delete_errs.n, list);
        break;
    case 3:
        if (!ct->remaining.n)
            return NULL;
        list = strs_join(&ct->remaining);
        if (list)
            n = asprintf(&msg, "Some resources are remaining: %s", list);
        break;
    case 4: {
        if (!json_object_size(ct->finalizers))
            return NULL;
        const char *k;
        json_t *v;
        json_object_foreach(ct->finalizers, k, v)
        {
            strs_addf(&fins, "%s in %lld resource instances", k, (long long)json_integer_value(v));
        }
        list = fins.oom ? NULL : strs_join(&fins);
        if (list)
            n = asprintf(&msg, "Some content in the namespace has finalizers remaining: %s", list);
        strs_free(&fins);
        break;
    }
    default:
        return NULL;
    }
    if (!list || n < 0) {
        *oom = true;
        msg = NULL;
    }
    free(list);
    return msg;
}

/* Sets upstream's conditions on ns (a copy the caller owns) the way upstream's updateConditions does:
 * lastTransitionTime changes only with the status. Returns true when anything changed. */
static bool
update_conditions(json_t *ns, struct content *ct, bool *oom)
{
    json_t *status = json_object_get(ns, "status");
    if (!json_is_object(status)) {
        status = json_object();
        json_object_set_new(ns, "status", status);
    }
    json_t *conds = json_object_get(status, "conditions");
    if (!json_is_array(conds)) {
        conds = json_array();
        json_object_set_new(status, "conditions", conds);
    }
    bool changed = false;
    char now[KC_TIME_BUF];
    kc_time_format(kc_time_now(), now);
    for (size_t i = 0; i < sizeof(cond_types) / sizeof(cond_types[0]); i++) {
        const struct cond_type *t = &cond_types[i];
        char *fail = cond_failure(i, ct, oom);
        const char *st = fail ? "True" : "False", *reason = fail ? t->bad_reason : t->ok_reason;
        const char *msg = fail ? fail : t->ok_message;
        json_t *old = NULL, *c;
        size_t j;
        json_array_foreach(conds, j, c)
        {
            const char *ct_type = kc_json_get_string(c, "type");
            if (ct_type && strcmp(ct_type, t->type) == 0) {
                old = c;
                break;
            }
        }
        if (!old) {
            json_array_append_new(conds, json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", t->type, "status", st,
                                                   "lastTransitionTime", now, "reason", reason, "message", msg));
            changed = true;
        } else {
            const char *os = kc_json_get_string(old, "status"), *orr = kc_json_get_string(old, "reason");
            const char *om = kc_json_get_string(old, "message");
            bool status_changed = !os || strcmp(os, st) != 0;
            if (status_changed || !orr || strcmp(orr, reason) != 0 || !om || strcmp(om, msg) != 0) {
                if (status_changed)
                    json_object_set_new(old, "lastTransitionTime", json_string(now));
                json_object_set_new(old, "status", json_string(st));
                json_object_set_new(old, "reason", json_string(reason));
                json_object_set_new(old, "message", json_string(msg));
                changed = true;
            }
        }
        free(fail);
    }
    const char *phase = kc_json_get_string(status, "phase");
    if (!phase || strcmp(phase, "Terminating") != 0) {
        json_object_set_new(status, "phase", json_string("Terminating"));
        changed = true;
    }
    return changed;
}

/* Writes the conditions when they changed. Returns the namespace as stored afterwards (new reference): the
 * server's answer, or ns itself when nothing was written or the write failed (the next sync tries again). */
static json_t *
write_status(struct worker *w, const char *name, json_t *ns, struct content *ct)
{
    bool oom = false;
    json_t *next = json_deep_copy(ns);
    if (!next)
        return json_incref(ns);
    if (!update_conditions(next, ct, &oom) || oom) {
        json_decref(next);
        return json_incref(ns);
    }
    char path[PATH_MAX_LEN], why[512];
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/status", name);
    long status;
    json_t *reply;
    int rc = call(w, "PUT", path, next, &status, &reply);
    json_decref(next);
    if (rc == 0 && status == 200 && json_is_object(reply)) {
        KC_LOG(KC_LOG_INFO, COMPONENT, "updated namespace conditions", "namespace=%s remaining=%zu", name,
               ct->nremaining);
        return reply;
    }
    describe(w, rc, status, reply, why, sizeof(why));
    if (rc == 0 && (status == 404 || status == 405))
        KC_LOG(KC_LOG_DEBUG, COMPONENT, "namespace status not served", "namespace=%s error=\"%s\"", name, why);
    else
        WARN(w, "updating namespace conditions failed", "namespace=%s error=\"%s\"", name, why);
    json_decref(reply);
    return json_incref(ns);
}

/* --- finalizing --- */

/* DELETEs the namespace again: with no finalizer left the API server removes it. */
static int
delete_namespace(struct worker *w, const char *name)
{
    char path[PATH_MAX_LEN], why[512];
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s", name);
    json_t *bg = background(), *reply;
    long status;
    int rc = call(w, "DELETE", path, bg, &status, &reply);
    json_decref(bg);
    if (rc == 0 && (ok_status(status) || status == 404)) {
        if (status == 404)
            KC_LOG(KC_LOG_DEBUG, COMPONENT, "namespace already gone", "namespace=%s", name);
        else
            KC_LOG(KC_LOG_INFO, COMPONENT, "deleted namespace", "namespace=%s", name);
        json_decref(reply);
        return 0;
    }
    describe(w, rc, status, reply, why, sizeof(why));
    WARN(w, "deleting namespace failed", "namespace=%s error=\"%s\"", name, why);
    json_decref(reply);
    return rc ? rc : KC_EUNAVAILABLE;
}

/* Removes "kubernetes" from spec.finalizers (keeping the others, sorted and unique as upstream), then DELETEs the
 * namespace when no finalizer is left. */
static int
finalize(struct worker *w, const char *name, const json_t *ns)
{
    json_t *fins = kc_json_get(ns, "spec.finalizers"), *keep = json_array(), *f;
    bool ours = false;
    size_t i;
    if (!keep)
        return -ENOMEM;
    json_array_foreach(fins, i, f)
    {
        const char *s = json_string_value(f);
        if (!s)
            continue;
        if (strcmp(s, CTRL_NAMESPACE_FINALIZER) == 0) {
            ours = true;
            continue;
        }
        /* A sorted set, as upstream's finalizeNamespace builds it. */
        size_t j = 0;
        int cmp = 1;
        for (; j < json_array_size(keep); j++)
            if ((cmp = strcmp(json_string_value(json_array_get(keep, j)), s)) >= 0)
                break;
        if (cmp != 0)
            json_array_insert_new(keep, j, json_string(s));
    }
    size_t nkeep = json_array_size(keep);
    if (!ours) {
        json_decref(keep);
        return nkeep == 0 ? delete_namespace(w, name) : 0;
    }
    json_t *body = json_deep_copy(ns);
    if (!body || kc_json_set(body, "spec.finalizers", keep) != 0) {
        json_decref(body);
        return -ENOMEM;
    }
    char path[PATH_MAX_LEN], why[512];
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/finalize", name);
    long status;
    json_t *reply;
    int rc = call(w, "PUT", path, body, &status, &reply);
    const char *via = "finalize";
    if (rc == 0 && (status == 404 || status == 405 || status == 501)) {
        /* No /finalize on this server (k8c's may lack it): update the namespace itself. */
        json_decref(reply);
        snprintf(path, sizeof(path), "/api/v1/namespaces/%s", name);
        via = "update";
        rc = call(w, "PUT", path, body, &status, &reply);
        if (rc == 0 && status == 404) {
            KC_LOG(KC_LOG_INFO, COMPONENT, "namespace gone", "namespace=%s", name);
            json_decref(reply);
            json_decref(body);
            return 0;
        }
    }
    json_decref(body);
    if (rc != 0 || !ok_status(status)) {
        describe(w, rc, status, reply, why, sizeof(why));
        WARN(w, "removing the namespace finalizer failed", "namespace=%s via=%s error=\"%s\"", name, via, why);
        json_decref(reply);
        return rc ? rc : status == 409 ? KC_ECONFLICT : KC_EUNAVAILABLE;
    }
    json_decref(reply);
    KC_LOG(KC_LOG_INFO, COMPONENT, "removed the namespace finalizer", "namespace=%s via=%s finalizers_left=%zu", name,
           via, nkeep);
    return nkeep == 0 ? delete_namespace(w, name) : 0;
}

/* --- one sync --- */

static int
sync_namespace(struct worker *w, const char *name)
{
    char path[PATH_MAX_LEN], why[512];
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s", name);
    long status;
    json_t *ns;
    int rc = call(w, "GET", path, NULL, &status, &ns);
    if (rc == 0 && status == 404) {
        json_decref(ns);
        return 0; /* gone: nothing left to do */
    }
    if (rc != 0 || status != 200 || !json_is_object(ns)) {
        describe(w, rc, status, ns, why, sizeof(why));
        WARN(w, "getting namespace failed", "namespace=%s error=\"%s\"", name, why);
        json_decref(ns);
        return rc ? rc : KC_EUNAVAILABLE;
    }
    if (!is_terminating(ns)) {
        json_decref(ns);
        return 0;
    }
    if (json_array_size(kc_json_get(ns, "spec.finalizers")) == 0) {
        /* Finalized already (by us or someone), yet still there: the DELETE that removes it did not happen. */
        json_decref(ns);
        return delete_namespace(w, name);
    }

    KC_LOG(KC_LOG_INFO, COMPONENT, "deleting namespace content", "namespace=%s", name);
    struct content ct = { .finalizers = json_object() };
    struct resources rs = { 0 };
    rc = ct.finalizers ? discover(w, &rs, &ct) : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < rs.n && !atomic_load(&w->c->stopping); i++)
        delete_resource(w, name, &rs.v[i], &ct);
    if (rc == 0 && (ct.delete_errs.oom || ct.remaining.oom))
        rc = -ENOMEM;
    if (rc == 0 && atomic_load(&w->c->stopping))
        rc = -ECANCELED;
    if (rc == 0) {
        json_t *latest = write_status(w, name, ns, &ct);
        json_decref(ns);
        ns = latest;
        if (ct.discovery_errs.n || ct.delete_errs.n) {
            char *d = strs_join(&ct.discovery_errs), *e = strs_join(&ct.delete_errs);
            WARN(w, "namespace content not all deleted", "namespace=%s discovery=\"%s\" content=\"%s\"", name,
                 d ? d : "", e ? e : "");
            free(d);
            free(e);
            rc = KC_EUNAVAILABLE;
        } else if (ct.nremaining > 0) {
            char *r = strs_join(&ct.remaining);
            KC_LOG(KC_LOG_INFO, COMPONENT, "namespace content remaining", "namespace=%s remaining=\"%s\"", name,
                   r ? r : "");
            free(r);
            rc = SYNC_REMAINING;
        } else {
            rc = finalize(w, name, ns);
        }
    }
    resources_free(&rs);
    strs_free(&ct.discovery_errs);
    strs_free(&ct.delete_errs);
    strs_free(&ct.remaining);
    json_decref(ct.finalizers);
    json_decref(ns);
    return rc;
}

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    struct ctrl_namespace *c = w->c;
    char *key;
    while (kc_workqueue_get(c->q, -1, &key) == 0) {
        if (atomic_load(&c->stopping)) {
            kc_workqueue_done(c->q, key);
            free(key);
            continue;
        }
        int rc = sync_namespace(w, key);
        if (rc == 0) {
            kc_workqueue_forget(c->q, key);
        } else if (!atomic_load(&c->stopping)) {
            long delay = 0;
            kc_workqueue_add_rate_limited(c->q, key, &delay);
            if (rc < 0)
                WARN(w, "sync failed, retrying", "namespace=%s error=\"%s\" delay_ms=%ld", key, kc_strerror(rc), delay);
            else
                KC_LOG(KC_LOG_DEBUG, COMPONENT, "retrying", "namespace=%s delay_ms=%ld", key, delay);
        }
        kc_workqueue_done(c->q, key);
        free(key);
    }
    return NULL;
}

/* --- informer handlers: queue every terminating namespace --- */

static void
enqueue(struct ctrl_namespace *c, const json_t *ns)
{
    const char *name = kc_json_get_string(ns, "metadata.name");
    if (!name || !*name || !is_terminating(ns))
        return;
    int rc =
        c->delete_delay_ms > 0 ? kc_workqueue_add_after(c->q, name, c->delete_delay_ms) : kc_workqueue_add(c->q, name);
    if (rc != 0 && rc != -ESHUTDOWN)
        KC_LOG(KC_LOG_ERROR, COMPONENT, "queueing namespace failed", "namespace=%s error=\"%s\"", name,
               kc_strerror(rc));
}

static void
on_add(void *arg, const json_t *obj)
{
    enqueue(arg, obj);
}

static void
on_update(void *arg, const json_t *old_obj, const json_t *new_obj)
{
    (void)old_obj;
    enqueue(arg, new_obj);
}

/* --- start and stop --- */

int
ctrl_namespace_start(const struct kc_http_config *api, const struct ctrl_namespace_opts *opts,
                     struct ctrl_namespace **out)
{
    struct ctrl_namespace_opts o = opts ? *opts : (struct ctrl_namespace_opts){ 0 };
    if (!api || !api->server || o.workers < 0 || o.workers > MAX_WORKERS || o.resync_ms < 0 || o.base_delay_ms < 0 ||
        o.max_delay_ms < 0 || o.delete_delay_ms < 0)
        return KC_EINVALID;
    if (!o.workers)
        o.workers = CTRL_NAMESPACE_WORKERS;
    if (!o.resync_ms)
        o.resync_ms = CTRL_NAMESPACE_RESYNC_MS;
    if (!o.max_delay_ms)
        o.max_delay_ms = CTRL_NAMESPACE_MAX_DELAY_MS;
    struct ctrl_namespace *c = kc_calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->delete_delay_ms = o.delete_delay_ms;
    char err[256] = "";
    struct kc_workqueue_opts qo = { .base_delay_ms = o.base_delay_ms, .max_delay_ms = o.max_delay_ms };
    int rc = kc_workqueue_new(&qo, &c->q);
    if (rc == 0) {
        struct kc_informer_opts io = {
            .path = "/api/v1/namespaces",
            .resync_ms = o.resync_ms,
            .handlers = { .on_add = on_add, .on_update = on_update, .arg = c },
        };
        rc = kc_informer_new(api, &io, &c->inf, err, sizeof(err));
    }
    if (rc == 0) {
        c->workers = kc_calloc((size_t)o.workers, sizeof(*c->workers));
        rc = c->workers ? 0 : -ENOMEM;
    }
    for (int i = 0; rc == 0 && i < o.workers; i++) {
        c->workers[i].c = c;
        rc = kc_http_new(api, &c->workers[i].http, err, sizeof(err));
        if (rc == 0)
            c->nworkers++;
    }
    for (int i = 0; rc == 0 && i < c->nworkers; i++) {
        rc = -pthread_create(&c->workers[i].thread, NULL, worker_main, &c->workers[i]);
        c->workers[i].started = rc == 0;
    }
    if (rc == 0)
        rc = kc_informer_start(c->inf);
    if (rc != 0) {
        KC_LOG(KC_LOG_ERROR, COMPONENT, "start failed", "error=\"%s\" detail=\"%s\"", kc_strerror(rc), err);
        ctrl_namespace_stop(c);
        return rc;
    }
    KC_LOG(KC_LOG_INFO, COMPONENT, "started", "server=%s workers=%d", api->server, c->nworkers);
    *out = c;
    return 0;
}

void
ctrl_namespace_stop(struct ctrl_namespace *c)
{
    if (!c)
        return;
    atomic_store(&c->stopping, true);
    if (c->inf)
        kc_informer_stop(c->inf); /* no more handler calls */
    if (c->q)
        kc_workqueue_shutdown(c->q);
    for (int i = 0; i < c->nworkers; i++)
        kc_http_cancel(c->workers[i].http);
    for (int i = 0; i < c->nworkers; i++)
        if (c->workers[i].started)
            pthread_join(c->workers[i].thread, NULL);
    for (int i = 0; i < c->nworkers; i++)
        kc_http_free(c->workers[i].http);
    free(c->workers);
    kc_informer_free(c->inf);
    kc_workqueue_free(c->q);
    free(c);
}
