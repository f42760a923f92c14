/* server.c - the API server's HTTP side: TLS serving on kc_httpd, authentication (client certificates, bearer
 * tokens), routing of /api and /apis paths into a parsed request, the non-resource endpoints (/version, /healthz,
 * /livez, /readyz, /metrics, /openapi), and sending the reply a worker built. */
#include "api_authz.h"
#include "api_discovery.h"
#include "api_int.h"
#include "api_openapi.h"
#include "api_rawjson.h"
#include "api_satoken.h"
#include "api_watchcache.h"
#include "kc_error.h"
#include "kc_jarena.h"
#include "kc_log.h"
#include "kc_str.h"
#include "kc_time.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef K8C_VERSION
#define K8C_VERSION "0.1.0"
#endif

void
api_config_init(struct api_config *c)
{
    memset(c, 0, sizeof(*c));
    c->bind_address = "127.0.0.1";
    c->secure_port = 6443;
    c->service_cluster_ip_range = "10.96.0.0/12";
    c->event_ttl_s = 3600;
    c->default_not_ready_toleration_s = 300; /* kube-apiserver's defaults */
    c->default_unreachable_toleration_s = 300;
    c->max_body = 3 * 1024 * 1024;
    c->threads = 2;
    c->max_requests_inflight = 400; /* kube-apiserver's defaults */
    c->max_mutating_requests_inflight = 200;
}

/* --- the token file (kube-apiserver's --token-auth-file: token,user,uid,"group1,group2") --- */

/* Splits one CSV line into fields, honouring double quotes. Returns the number of fields. */
static int
csv_fields(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    while (*p && n < max) {
        char *out = p;
        fields[n++] = p;
        if (*p == '"') {
            p++;
            while (*p) {
                if (*p == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *out++ = *p++;
                }
            }
            while (*p && *p != ',')
                p++;
        } else {
            while (*p && *p != ',')
                *out++ = *p++;
        }
        if (*p == ',') {
            *out = '\0';
            p++;
            if (*p == '\0' && n < max)
                fields[n++] = p;
        } else {
            *out = '\0';
        }
    }
    return n;
}

static int
load_tokens(struct api_server *srv, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "--token-auth-file: cannot open %s: %s", path, strerror(errno));
        return -errno;
    }
    char line[4096];
    int lineno = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char *fields[8];
        int n = csv_fields(line, fields, 8);
        if (n < 3 || !fields[0][0] || !fields[1][0]) {
            snprintf(err, errlen, "--token-auth-file: %s line %d: want token,user,uid[,groups]", path, lineno);
            fclose(f);
            return KC_EINVALID;
        }
        struct api_token *t = realloc(srv->tokens, sizeof(*t) * (size_t)(srv->ntokens + 1));
        if (!t) {
            fclose(f);
            return -ENOMEM;
        }
        srv->tokens = t;
        t = &srv->tokens[srv->ntokens++];
        memset(t, 0, sizeof(*t));
        t->token = strdup(fields[0]);
        t->user = strdup(fields[1]);
        t->uid = strdup(fields[2]);
        if (n >= 4 && fields[3][0]) {
            for (char *g = strtok(fields[3], ","); g; g = strtok(NULL, ",")) {
                char **gs = realloc(t->groups, sizeof(char *) * (size_t)(t->ngroups + 1));
                if (!gs)
                    break;
                t->groups = gs;
                t->groups[t->ngroups++] = strdup(g);
            }
        }
    }
    fclose(f);
    return 0;
}

static int on_request(kc_httpd_req *req, void *arg);

/* Who is asking: the client certificate's CN/O (no uid), or the bearer token's user, uid and groups (the token
 * file's, or a service account token's: satoken.c). Returns 1, 0 when neither, or -1 when a service account
 * token's objects are being looked up on a worker (on_request then runs again, and answers). */
static int
authenticate(struct api_server *srv, kc_httpd_req *req, struct api_user *u)
{
    const struct kc_httpd_peer *peer = kc_httpd_req_peer(req);
    /* u is a new job's: empty strings, no groups, no extras (job_new) */
    if (peer) {
        kc_str_copy(u->name, sizeof(u->name), peer->user);
        for (int i = 0; i < peer->ngroups && i < 15; i++)
            kc_str_copy(u->groups[u->ngroups++], sizeof(u->groups[0]), peer->groups[i]);
        kc_str_copy(u->groups[u->ngroups++], sizeof(u->groups[0]), "system:authenticated");
        return true;
    }
    size_t len;
    const char *auth = kc_httpd_req_header(req, "authorization", &len);
    if (auth && len > 7 && strncasecmp(auth, "Bearer ", 7) == 0) {
        const char *tok = auth + 7;
        size_t tlen = len - 7;
        for (int i = 0; i < srv->ntokens; i++) {
            if (strlen(srv->tokens[i].token) == tlen && memcmp(srv->tokens[i].token, tok, tlen) == 0) {
                kc_str_copy(u->name, sizeof(u->name), srv->tokens[i].user);
                kc_str_copy(u->uid, sizeof(u->uid), srv->tokens[i].uid ? srv->tokens[i].uid : "");
                for (int g = 0; g < srv->tokens[i].ngroups && g < 15; g++)
                    kc_str_copy(u->groups[u->ngroups++], sizeof(u->groups[0]), srv->tokens[i].groups[g]);
                kc_str_copy(u->groups[u->ngroups++], sizeof(u->groups[0]), "system:authenticated");
                return true;
            }
        }
        switch (api_satoken_authenticate(srv->satoken, tok, tlen, u)) {
        case API_SATOKEN_OK:
            return 1;
        case API_SATOKEN_LOOKUP: /* the store read runs on a worker, never on the loop */
            return api_satoken_defer(srv->satoken, req, tok, tlen, on_request, srv) == 0 ? -1 : 0;
        default:
            break;
        }
    }
    return false;
}

/* --- replies --- */

/* kc_httpd_reply_lend's release of a raw body: a LIST's big buffer is kept for the next one. */
static void
release_raw(void *arg)
{
    api_rawbuf_free(arg);
}

static void
send_reply(kc_httpd_req *req, struct api_reply *rep)
{
    for (int i = 0; i < rep->nwarnings; i++) {
        kc_httpd_add_header(req, "Warning", rep->warnings[i]);
        free(rep->warnings[i]);
    }
    rep->nwarnings = 0;
    if (rep->raw) { /* a raw body (a list, a create's stored bytes) goes to the connection as it is, not copied */
        kc_httpd_reply_lend(req, rep->status, "application/json", rep->raw, rep->raw_len, release_raw, rep->raw);
        rep->raw = NULL;
    } else
        kc_httpd_reply_json(req, rep->status, rep->body, false);
    api_rawbuf_free(rep->raw);
    rep->raw = NULL;
    json_decref(rep->body);
    rep->body = NULL;
}

static void
reply_now(kc_httpd_req *req, int code, const char *reason, const char *message)
{
    struct api_reply rep = { .status = code, .body = api_status(code, reason, message, NULL, NULL, NULL) };
    send_reply(req, &rep);
}

/* --- routing --- */

static void
copy_seg(char *dst, size_t cap, const char *src, size_t len)
{
    size_t n = len < cap - 1 ? len : cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Splits a path into at most max segments (no empty ones). */
static int
segments(const char *path, size_t len, const char **seg, size_t *seglen, int max)
{
    int n = 0;
    size_t i = 0;
    while (i < len && n < max) {
        while (i < len && path[i] == '/')
            i++;
        if (i >= len)
            break;
        size_t start = i;
        while (i < len && path[i] != '/')
            i++;
        seg[n] = path + start;
        seglen[n++] = i - start;
    }
    return n;
}

static bool
seg_is(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

/* Fills rq's group/version/namespace/plural/name/sub from a resource path. Returns false when the path is not a
 * resource path (discovery and other paths). */
static bool
route_resource(const char *path, size_t len, struct api_request *rq)
{
    const char *seg[10];
    size_t sl[10];
    int n = segments(path, len, seg, sl, 10), i = 0;
    if (n >= 2 && seg_is(seg[0], sl[0], "api")) {
        rq->group[0] = '\0';
        copy_seg(rq->version, sizeof(rq->version), seg[1], sl[1]);
        i = 2;
    } else if (n >= 3 && seg_is(seg[0], sl[0], "apis")) {
        copy_seg(rq->group, sizeof(rq->group), seg[1], sl[1]);
        copy_seg(rq->version, sizeof(rq->version), seg[2], sl[2]);
        i = 3;
    } else {
        return false;
    }
    if (i >= n)
        return false; /* /api/v1, /apis/g/v: discovery */
    /* namespaces/{ns}/{plural}... , except the namespace resource itself: namespaces/{name}[/{sub}] */
    if (seg_is(seg[i], sl[i], "namespaces") && i + 2 < n) {
        copy_seg(rq->namespace, sizeof(rq->namespace), seg[i + 1], sl[i + 1]);
        i += 2;
        /* namespaces/{name}/status and /finalize are subresources of the namespace, not a nested kind */
        if (!rq->group[0] && i + 1 == n && (seg_is(seg[i], sl[i], "status") || seg_is(seg[i], sl[i], "finalize"))) {
            snprintf(rq->plural, sizeof(rq->plural), "namespaces");
            snprintf(rq->name, sizeof(rq->name), "%s", rq->namespace);
            copy_seg(rq->sub, sizeof(rq->sub), seg[i], sl[i]);
            rq->namespace[0] = '\0';
            return true;
        }
    }
    copy_seg(rq->plural, sizeof(rq->plural), seg[i], sl[i]);
    i++;
    if (i < n) {
        copy_seg(rq->name, sizeof(rq->name), seg[i], sl[i]);
        i++;
    }
    if (i < n) {
        copy_seg(rq->sub, sizeof(rq->sub), seg[i], sl[i]);
        i++;
    }
    if (i < n)
        rq->sub[0] = '\x01'; /* too deep: never matches a subresource */
    return true;
}

static const char *
dup_header(kc_httpd_req *req, const char *name, char *buf, size_t cap)
{
    size_t len;
    const char *v = kc_httpd_req_header(req, name, &len);
    if (!v)
        return NULL;
    copy_seg(buf, cap, v, len);
    return buf;
}

static bool
truthy(const char *v)
{
    return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "True") == 0);
}

/* The worker side of a resource request. */
struct job {
    struct api_request rq;
    struct api_reply rep;
    char ctype[256], accept[1024];
    kc_httpd_suspended *susp; /* a create run on the loop, waiting for its commit */
    char *owned;              /* a worker's job: copies of the body and the query values (job_own) */
    long *inflight;           /* the --max-*-inflight count it holds a place in, or NULL */
};

/* kube-apiserver's max-in-flight filter (MaxInFlightLimit, with priority and fairness off): get, list and the
 * writes each have a limit of requests served at once; long-running ones (watch, exec, attach, log, proxy,
 * portforward) do not count, and system:masters always gets an answer. Takes a place for j, or says no. */
static bool
inflight_take(struct api_server *srv, struct job *j)
{
    const struct api_request *rq = &j->rq;
    static const char *const long_running[] = { "exec", "attach", "log", "proxy", "portforward" };
    for (size_t i = 0; i < sizeof(long_running) / sizeof(long_running[0]); i++)
        if (strcmp(rq->sub, long_running[i]) == 0)
            return true;
    bool readonly = strcmp(rq->verb, "get") == 0 || strcmp(rq->verb, "list") == 0;
    int limit = readonly ? srv->cfg.max_requests_inflight : srv->cfg.max_mutating_requests_inflight;
    if (limit <= 0)
        return true;
    long *n = readonly ? &srv->inflight_readonly : &srv->inflight_mutating;
    if (__atomic_add_fetch(n, 1, __ATOMIC_RELAXED) <= limit) {
        j->inflight = n;
        return true;
    }
    __atomic_sub_fetch(n, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < rq->user.ngroups; i++)
        if (strcmp(rq->user.groups[i], "system:masters") == 0)
            return true; /* served beyond the limit, holding no place */
    kc_metric_add(srv->m_dropped, (const char *[]){ readonly ? "readOnly" : "mutating" }, 1);
    return false;
}

static void
inflight_release(struct job *j)
{
    if (j->inflight)
        __atomic_sub_fetch(j->inflight, 1, __ATOMIC_RELAXED);
    j->inflight = NULL;
}

/* A job for a worker takes copies of what rq points to in the request's memory (the body, the query values):
 * that memory goes with the request when its client leaves (a reset stream, a closed connection), which may
 * happen while the worker still reads it. Returns 0 or -ENOMEM. */
static int
job_own(struct job *j)
{
    struct api_request *rq = &j->rq;
    const char **strs[] = { &rq->label_selector,
                            &rq->field_selector,
                            &rq->resource_version,
                            &rq->resource_version_match,
                            &rq->limit,
                            &rq->continue_,
                            &rq->timeout_seconds,
                            &rq->watch,
                            &rq->allow_bookmarks,
                            &rq->send_initial_events,
                            &rq->dry_run,
                            &rq->field_manager,
                            &rq->field_validation,
                            &rq->propagation_policy,
                            &rq->grace_period,
                            &rq->pretty,
                            &rq->force };
    size_t n = sizeof(strs) / sizeof(strs[0]), need = rq->body_len + 1;
    for (size_t i = 0; i < n; i++)
        if (*strs[i])
            need += strlen(*strs[i]) + 1;
    char *p = malloc(need);
    if (!p)
        return -ENOMEM;
    j->owned = p;
    if (rq->body) {
        memcpy(p, rq->body, rq->body_len);
        rq->body = p;
    }
    p += rq->body_len;
    *p++ = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!*strs[i])
            continue;
        size_t len = strlen(*strs[i]) + 1;
        *strs[i] = memcpy(p, *strs[i], len);
        p += len;
    }
    return 0;
}

static void
job_work(void *arg)
{
    struct job *j = arg;
    api_rest_handle(&j->rq, &j->rep);
}

static void
count_request(struct api_server *srv, const struct api_request *rq, int status)
{
    char code[8];
    if (status >= 100 && status <= 999) { /* every status h2o sends: three digits, without snprintf */
        code[0] = (char)('0' + status / 100);
        code[1] = (char)('0' + status / 10 % 10);
        code[2] = (char)('0' + status % 10);
        code[3] = '\0';
    } else {
        snprintf(code, sizeof(code), "%d", status);
    }
    const char *resource = rq->res ? rq->res->plural : "";
    kc_metric_add(srv->m_requests, (const char *[]){ rq->verb, resource, code }, 1);
    kc_metric_observe(srv->m_latency, (const char *[]){ rq->verb, resource },
                      (double)(kc_time_mono_ns() - rq->started_ns) / 1e9);
}

static void
job_done(kc_httpd_req *req, void *arg)
{
    struct job *j = arg;
    inflight_release(j);
    kc_metric_add(j->rq.srv->m_inflight, NULL, -1);
    count_request(j->rq.srv, &j->rq, j->rep.status);
    if (req)
        send_reply(req, &j->rep);
    for (int i = 0; i < j->rep.nwarnings; i++)
        free(j->rep.warnings[i]);
    json_decref(j->rep.body);
    api_rawbuf_free(j->rep.raw);
    kc_jarena_free(j->rq.jarena); /* last: the request's values and the reply's are gone */
    free(j->owned);
    free(j);
}

/* A create handled on the loop thread (api_rest_on_loop): the request is suspended while the store commits, and
 * the committer's completion resumes it — no worker thread, two thread switches fewer per create. */
static void
loop_job_resume(void *arg)
{
    struct job *j = arg;
    kc_httpd_resume(j->susp);
}

static bool run_on_loop(kc_httpd_req *req, struct job *j);

static void
loop_job_done(kc_httpd_req *req, void *arg)
{
    struct job *j = arg;
    if (j->rq.pending && api_rest_finish(&j->rq, &j->rep)) {
        /* the generated name was taken: the create is attempted again, with a new name, on the request resumed
         * just now (nobody to answer when its client left) */
        if (req && run_on_loop(req, j))
            return;
        api_reply_error(&j->rep, &j->rq, req ? -ENOMEM : KC_EEXIST);
    }
    job_done(req, j);
}

static bool
run_on_loop(kc_httpd_req *req, struct job *j)
{
    if (!(j->susp = kc_httpd_suspend(req, loop_job_done, j)))
        return false;
    j->rq.async_done = loop_job_resume;
    j->rq.async_arg = j;
    /* the create's jansson values come from its arena (the body's tree, defaults, validation, a Status), freed with
     * the job once the reply is sent (kc_jarena.h); a retry with another generated name reuses it */
    if (!j->rq.jarena)
        j->rq.jarena = kc_jarena_new();
    struct kc_jarena *prev = kc_jarena_enter(j->rq.jarena);
    api_rest_handle(&j->rq, &j->rep);
    kc_jarena_leave(prev);
    if (!j->rq.pending) /* answered at once (invalid, dry run, a store error): reply now */
        kc_httpd_resume(j->susp);
    return true;
}

static void
parse_query(kc_httpd_req *req, struct api_request *rq)
{
    rq->label_selector = kc_httpd_req_param(req, "labelSelector", 0);
    rq->field_selector = kc_httpd_req_param(req, "fieldSelector", 0);
    rq->resource_version = kc_httpd_req_param(req, "resourceVersion", 0);
    rq->resource_version_match = kc_httpd_req_param(req, "resourceVersionMatch", 0);
    rq->limit = kc_httpd_req_param(req, "limit", 0);
    rq->continue_ = kc_httpd_req_param(req, "continue", 0);
    rq->timeout_seconds = kc_httpd_req_param(req, "timeoutSeconds", 0);
    rq->watch = kc_httpd_req_param(req, "watch", 0);
    rq->allow_bookmarks = kc_httpd_req_param(req, "allowWatchBookmarks", 0);
    rq->send_initial_events = kc_httpd_req_param(req, "sendInitialEvents", 0);
    rq->dry_run = kc_httpd_req_param(req, "dryRun", 0);
    rq->field_manager = kc_httpd_req_param(req, "fieldManager", 0);
    rq->field_validation = kc_httpd_req_param(req, "fieldValidation", 0);
    rq->propagation_policy = kc_httpd_req_param(req, "propagationPolicy", 0);
    rq->grace_period = kc_httpd_req_param(req, "gracePeriodSeconds", 0);
    rq->pretty = kc_httpd_req_param(req, "pretty", 0);
    rq->force = kc_httpd_req_param(req, "force", 0);
    const char *inc = kc_httpd_req_param(req, "includeObject", 0);
    rq->include_object = !inc || !*inc || strcmp(inc, "Metadata") == 0 ? API_INCLUDE_METADATA
                         : strcmp(inc, "None") == 0                    ? API_INCLUDE_NONE
                         : strcmp(inc, "Object") == 0                  ? API_INCLUDE_OBJECT
                                                                       : -1;
}

/* Accept: application/json;as=Table;v=v1;g=meta.k8s.io,... */
static void
parse_accept(struct api_request *rq)
{
    const char *a = rq->accept;
    rq->want_table = false;
    if (!a)
        return;
    for (const char *p = a; (p = strstr(p, "as=Table")); p += 8) {
        const char *end = strchr(p, ',');
        size_t span = end ? (size_t)(end - p) : strlen(p);
        const char *v1 = strstr(p, "v=v1;");
        const char *v1b = strstr(p, "v=v1beta1");
        const char *g = strstr(p, "g=meta.k8s.io");
        if (!g || (size_t)(g - p) > span + 16)
            continue;
        if (v1b && (size_t)(v1b - p) < span) {
            rq->want_table = true;
            rq->table_version = "v1beta1";
            return;
        }
        if ((v1 && (size_t)(v1 - p) < span) || strstr(p, "v=v1,") || strstr(p, "v=v1\0")) {
            rq->want_table = true;
            rq->table_version = "v1";
            return;
        }
        rq->want_table = true;
        rq->table_version = "v1";
        return;
    }
}

static void
verb_of(kc_httpd_req *req, struct api_request *rq)
{
    const char *v = "get";
    if (kc_httpd_req_method_is(req, "GET") || kc_httpd_req_method_is(req, "HEAD")) {
        if (truthy(rq->watch))
            v = "watch";
        else
            v = rq->name[0] ? "get" : "list";
    } else if (kc_httpd_req_method_is(req, "POST")) {
        v = "create";
    } else if (kc_httpd_req_method_is(req, "PUT")) {
        v = "update";
    } else if (kc_httpd_req_method_is(req, "PATCH")) {
        v = "patch";
    } else if (kc_httpd_req_method_is(req, "DELETE")) {
        v = rq->name[0] ? "delete" : "deletecollection";
    } else {
        v = "unknown";
    }
    kc_str_copy(rq->verb, sizeof(rq->verb), v);
}

static void
version_reply(kc_httpd_req *req, struct api_server *srv)
{
    kc_httpd_reply(req, 200, "application/json", srv->version_json, strlen(srv->version_json));
}

static void
health_reply(kc_httpd_req *req, struct api_server *srv)
{
    int64_t rev;
    if (api_store_revision(srv->store, &rev) != 0) {
        kc_httpd_reply(req, 500, "text/plain; charset=utf-8", "[-]etcd failed: reason withheld\nhealthz check failed\n",
                       52);
        return;
    }
    kc_httpd_reply(req, 200, "text/plain; charset=utf-8", "ok", 2);
}

/* A zeroed job but for its user's string arrays (6 of its 10 KB, zeroing them was ~0.7% of a create): the user
 * starts with empty strings and no groups or extras, authenticate writes what it sets, and every reader goes by
 * the counts. */
static struct job *
job_new(void)
{
    struct job *j = malloc(sizeof(*j));
    if (!j)
        return NULL;
    size_t user = offsetof(struct job, rq) + offsetof(struct api_request, user), after = user + sizeof(j->rq.user);
    memset(j, 0, user);
    memset((char *)j + after, 0, sizeof(*j) - after);
    struct api_user *u = &j->rq.user;
    u->name[0] = u->uid[0] = '\0';
    u->ngroups = u->nextra = 0;
    return j;
}

static int
on_request(kc_httpd_req *req, void *arg)
{
    struct api_server *srv = arg;
    size_t plen;
    const char *path = kc_httpd_req_path(req, &plen);
    char p[1024];
    copy_seg(p, sizeof(p), path, plen);
    /* a trailing slash is the same path ("/version/" from the Python client) */
    while (strlen(p) > 1 && p[strlen(p) - 1] == '/')
        p[strlen(p) - 1] = '\0';

    if (strcmp(p, "/version") == 0) {
        version_reply(req, srv);
        return 0;
    }
    if (strcmp(p, "/healthz") == 0 || strcmp(p, "/livez") == 0 || strcmp(p, "/readyz") == 0) {
        health_reply(req, srv);
        return 0;
    }

    /* the job first, so that the user is written into it (the struct is ~6 KB: not copied again) */
    struct job *j = job_new();
    if (!j) {
        reply_now(req, 500, "InternalError", "out of memory");
        return 0;
    }
    struct api_request *rq = &j->rq;
    int authn = authenticate(srv, req, &rq->user);
    bool metrics = strcmp(p, "/metrics") == 0, openapi = strncmp(p, "/openapi/v2", 11) == 0 ||
                                                         strcmp(p, "/openapi/v3") == 0 ||
                                                         strncmp(p, "/openapi/v3/", 12) == 0;
    if (authn <= 0 || metrics || openapi)
        free(j); /* answered here */
    if (authn < 0)
        return 0; /* a service account token's lookup: on_request runs again when it is done */
    if (!authn) {
        reply_now(req, 401, "Unauthorized", "Unauthorized");
        return 0;
    }
    if (metrics) {
        char *text = kc_metrics_render(srv->metrics);
        kc_httpd_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", text ? text : "", text ? strlen(text) : 0);
        free(text);
        return 0;
    }
    if (openapi) {
        api_openapi_serve(req, p); /* apiserver/openapi.c: v2 as JSON or gnostic protobuf, v3 */
        return 0;
    }

    rq->srv = srv;
    rq->started_ns = kc_time_mono_ns();
    rq->content_type = dup_header(req, "content-type", j->ctype, sizeof(j->ctype));
    rq->accept = dup_header(req, "accept", j->accept, sizeof(j->accept));
    rq->user_agent = dup_header(req, "user-agent", rq->user_agent_buf, sizeof(rq->user_agent_buf));
    parse_accept(rq);
    parse_query(req, rq);
    if (rq->want_table && rq->include_object < 0) { /* upstream's TableOptions check */
        char msg[300];
        snprintf(msg, sizeof(msg), "unrecognized includeObject value: \"%.200s\"",
                 kc_httpd_req_param(req, "includeObject", 0));
        reply_now(req, 400, "BadRequest", msg);
        free(j);
        return 0;
    }

    if (!route_resource(p, strlen(p), rq)) {
        struct api_reply rep = { 0 };
        if (kc_httpd_req_method_is(req, "GET") && api_discovery_aggregated(req, p)) {
            /* answered: apidiscovery.k8s.io/v2 or v2beta1 (apiserver/discovery.c) */
        } else if (kc_httpd_req_method_is(req, "GET") && api_discovery(srv, p, rq->accept, &rep)) {
            send_reply(req, &rep);
        } else {
            char msg[1200];
            snprintf(msg, sizeof(msg), "the server could not find the requested resource");
            reply_now(req, 404, "NotFound", msg);
        }
        free(j);
        return 0;
    }
    verb_of(req, rq);
    rq->res = api_resource_find(rq->group, rq->version, rq->plural);
    if (!rq->res && api_review_serve(req, rq)) { /* the create-only review kinds (apiserver/reviews.c) */
        free(j);
        return 0;
    }
    if (!rq->res) {
        reply_now(req, 404, "NotFound", "the server could not find the requested resource");
        free(j);
        return 0;
    }
    rq->body = kc_httpd_req_body(req, &rq->body_len);
    if (rq->body_len > srv->cfg.max_body) {
        char msg[128];
        snprintf(msg, sizeof(msg), "the request body is larger than %zu bytes", srv->cfg.max_body);
        reply_now(req, 413, "RequestEntityTooLarge", msg);
        free(j);
        return 0;
    }
    if (strcmp(rq->verb, "watch") == 0) {
        api_watch_start(req, rq);
        free(j);
        return 0;
    }
    if (!inflight_take(srv, j)) {
        struct api_reply rep = { .status = 429 };
        rep.body = api_status(429, "TooManyRequests", "Too many requests, please try again later.", NULL, NULL, NULL);
        json_t *details = json_object_get(rep.body, "details");
        if (!json_is_object(details))
            json_object_set_new(rep.body, "details", details = json_object());
        json_object_set_new(details, "retryAfterSeconds", json_integer(1));
        kc_httpd_add_header(req, "Retry-After", "1");
        count_request(srv, rq, 429);
        send_reply(req, &rep);
        free(j);
        return 0;
    }
    kc_metric_add(srv->m_inflight, NULL, 1);
    if (api_rest_on_loop(rq) && run_on_loop(req, j))
        return 0;
    if (job_own(j) != 0 || kc_httpd_defer(req, job_work, job_done, j) != 0) {
        inflight_release(j);
        kc_metric_add(srv->m_inflight, NULL, -1);
        reply_now(req, 500, "InternalError", "out of memory");
        free(j->owned);
        free(j);
    }
    return 0;
}

/* --- lifecycle --- */

static int
parse_cidr(const char *cidr, uint32_t *net, uint32_t *mask)
{
    char ip[64];
    const char *slash = strchr(cidr, '/');
    if (!slash || (size_t)(slash - cidr) >= sizeof(ip))
        return KC_EINVALID;
    memcpy(ip, cidr, (size_t)(slash - cidr));
    ip[slash - cidr] = '\0';
    struct in_addr a;
    char *end;
    long bits = strtol(slash + 1, &end, 10);
    if (inet_pton(AF_INET, ip, &a) != 1 || *end || bits < 8 || bits > 30)
        return KC_EINVALID;
    *mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
    *net = ntohl(a.s_addr) & *mask;
    return 0;
}

int
api_server_start(const struct api_config *c, struct api_store *store, struct api_server **out, char *err, size_t errlen)
{
    struct api_server *srv = calloc(1, sizeof(*srv));
    int rc;
    if (!srv)
        return -ENOMEM;
    srv->cfg = *c;
    srv->store = store;
    pthread_mutex_init(&srv->ip_lock, NULL);
    if (parse_cidr(c->service_cluster_ip_range, &srv->svc_net, &srv->svc_mask) != 0) {
        snprintf(err, errlen, "--service-cluster-ip-range: \"%s\" is not an IPv4 CIDR between /8 and /30",
                 c->service_cluster_ip_range);
        rc = KC_EINVALID;
        goto fail;
    }
    if (c->token_auth_file && (rc = load_tokens(srv, c->token_auth_file, err, errlen)) != 0)
        goto fail;
    if ((rc = api_satoken_new(&c->sa, store, &srv->satoken, err, errlen)) != 0)
        goto fail;
    snprintf(srv->version_json, sizeof(srv->version_json),
             "{\"major\":\"1\",\"minor\":\"33\",\"emulationMajor\":\"1\",\"emulationMinor\":\"33\","
             "\"minCompatibilityMajor\":\"1\",\"minCompatibilityMinor\":\"32\",\"gitVersion\":\"v1.33.0+k8c-%s\","
             "\"gitCommit\":\"\",\"gitTreeState\":\"clean\",\"buildDate\":\"%s\",\"goVersion\":\"c17\","
             "\"compiler\":\"gcc\",\"platform\":\"linux/amd64\"}",
             K8C_VERSION, "1970-01-01T00:00:00Z");

    srv->metrics = kc_metrics_new();
    srv->m_requests = kc_metrics_counter(srv->metrics, "apiserver_request_total",
                                         "Counter of apiserver requests broken out for each verb, resource and "
                                         "HTTP response code.",
                                         "verb,resource,code");
    srv->m_dropped = kc_metrics_counter(srv->metrics, "apiserver_dropped_requests_total",
                                        "Requests answered 429 by the --max-requests-inflight and "
                                        "--max-mutating-requests-inflight limits.",
                                        "request_kind");
    static const double buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 2, 5, 10, 30, 60 };
    srv->m_latency = kc_metrics_histogram(srv->metrics, "apiserver_request_duration_seconds",
                                          "Response latency distribution in seconds for each verb and resource.",
                                          "verb,resource", buckets, (int)(sizeof(buckets) / sizeof(buckets[0])));
    srv->m_inflight = kc_metrics_gauge(srv->metrics, "apiserver_current_inflight_requests",
                                       "Requests in flight (not counting watches).", NULL);
    srv->m_watchers = kc_metrics_gauge(srv->metrics, "apiserver_registered_watchers", "Open watch requests.", NULL);
    kc_metric_set(srv->m_inflight, NULL, 0);
    kc_metric_set(srv->m_watchers, NULL, 0);
    rc = api_wcaches_new(store, NULL, srv->metrics, &srv->wcaches);
    if (rc != 0) {
        snprintf(err, errlen, "cannot create the watch caches: %s", kc_strerror(rc));
        goto fail;
    }

    rc = api_bootstrap_namespaces(srv);
    if (rc != 0) {
        snprintf(err, errlen, "cannot create the default namespaces: %s", kc_strerror(rc));
        goto fail;
    }

    struct kc_httpd_config hc = {
        .bind_address = c->bind_address,
        .port = c->secure_port,
        .threads = c->threads,
        .max_body = c->max_body * 2, /* h2o's own limit (a plain 413 and a closed connection) sits above ours */
        .cert_file = c->cert_file,
        .key_file = c->key_file,
        .client_ca_file = c->client_ca_file,
    };
    rc = kc_httpd_new(&hc, &srv->httpd);
    if (rc != 0) {
        snprintf(err, errlen, "cannot serve on %s:%d: %s", c->bind_address, c->secure_port, kc_strerror(rc));
        goto fail;
    }
    kc_httpd_route(srv->httpd, "/", on_request, srv);
    rc = kc_httpd_start(srv->httpd);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start serving: %s", kc_strerror(rc));
        goto fail;
    }
    KC_LOG(KC_LOG_INFO, "apiserver", "serving", "address=%s port=%d", c->bind_address, kc_httpd_port(srv->httpd));
    *out = srv;
    return 0;
fail:
    api_server_stop(srv);
    return rc;
}

int
api_server_port(const struct api_server *s)
{
    return kc_httpd_port(s->httpd);
}

void
api_server_stop(struct api_server *s)
{
    if (!s)
        return;
    /* The caches' threads post to the loops: they stop first; the caches go once no watcher uses them. */
    api_wcaches_stop(s->wcaches);
    kc_httpd_free(s->httpd);
    api_wcaches_free(s->wcaches);
    api_satoken_free(s->satoken);
    for (int i = 0; i < s->ntokens; i++) {
        free(s->tokens[i].token);
        free(s->tokens[i].user);
        free(s->tokens[i].uid);
        for (int g = 0; g < s->tokens[i].ngroups; g++)
            free(s->tokens[i].groups[g]);
        free(s->tokens[i].groups);
    }
    free(s->tokens);
    kc_metrics_free(s->metrics);
    pthread_mutex_destroy(&s->ip_lock);
    free(s);
}
