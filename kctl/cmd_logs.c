/* cmd_logs.c - `kctl logs (POD | TYPE/NAME | -l SEL) [-c C | --all-containers] [-f] [--tail N] [--timestamps] [-p]
 * [--since D | --since-time T] [--limit-bytes N] [--prefix] [--max-log-requests N]`: picks the pods and containers
 * as kubectl 1.33 does (the default-container annotation, else the first, with kubectl's notice; a controller's
 * first pod by kubectl's logging order; a selector's pods with --tail 10), then GETs pods/NAME/log for each, or
 * streams them with -f (several at once, one thread and connection each). */
#include "kctl.h"
#include "kc_fault.h"
#include "kc_selector.h"
#include "kc_time.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SELECTOR_TAIL        10 /* kubectl's tail for -l when --tail is not given */
#define DEFAULT_MAX_REQUESTS 5  /* --max-log-requests */

/* One log to read: a pod and one of its containers. */
struct source {
    const json_t *pod;
    const char *container;
};

/* What every request of a run shares. */
struct logrun {
    struct kctl_config *cfg;
    char query[1024];     /* the query after container=...: "&follow=true&tailLines=10..." */
    pthread_mutex_t lock; /* -f with several streams: whole lines, one stream at a time */
    bool threaded;
    bool failed; /* a stream failed (its error is out; the others' are not printed) */
};

static const char *
mstr(const json_t *o, const char *a, const char *b)
{
    const char *s = json_string_value(json_object_get(json_object_get(o, a), b));
    return s ? s : "";
}

/* controller.ByLogging: scheduled before unscheduled, Running < Unknown < Pending, older first. Returns true when a
 * sorts before b. */
static bool
logging_less(const json_t *a, const json_t *b)
{
    bool sa = *mstr(a, "spec", "nodeName"), sb = *mstr(b, "spec", "nodeName");
    if (sa != sb)
        return sa;
    static const char *const order[] = { "Running", "Unknown", "Pending" };
    int pa = 3, pb = 3;
    for (int i = 0; i < 3; i++) {
        if (!strcmp(mstr(a, "status", "phase"), order[i]))
            pa = i;
        if (!strcmp(mstr(b, "status", "phase"), order[i]))
            pb = i;
    }
    if (pa != pb)
        return pa < pb;
    struct kc_time ta = { 0 }, tb = { 0 };
    kc_time_parse(mstr(a, "metadata", "creationTimestamp"), &ta);
    kc_time_parse(mstr(b, "metadata", "creationTimestamp"), &tb);
    return ta.sec < tb.sec;
}

/* The pods of a label selector in ns, as kubectl's builder lists them (a 400 gets EnhanceListError's wording).
 * Returns 0 and *items (a new array), or 1 with the error printed. */
static int
list_pods(struct kctl_client *c, struct kctl_config *cfg, const char *ns, const char *sel, json_t **items)
{
    char esc[2048], ens[256], path[2400];
    kctl_escape(sel, esc, sizeof(esc));
    kctl_escape(ns, ens, sizeof(ens));
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods?labelSelector=%s", ens, esc);
    struct kctl_response resp;
    if (kctl_request(c, "GET", path, NULL, NULL, 0, NULL, &resp) != 0)
        return 1;
    json_t *doc = resp.body ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
    int rc = 0;
    if (resp.status == 200 && doc) {
        *items = json_incref(json_object_get(doc, "items"));
        if (!*items)
            *items = json_array();
    } else if ((resp.status == 400 || resp.status == 404) && json_string_value(json_object_get(doc, "message"))) {
        fprintf(cfg->err,
                "Error from server (%s): Unable to find \"/v1, Resource=pods\" that match label selector \"%s\", "
                "field selector \"\": %s\n",
                json_string_value(json_object_get(doc, "reason")) ?: "BadRequest", sel,
                json_string_value(json_object_get(doc, "message")));
        rc = 1;
    } else {
        kctl_print_error(cfg, &resp);
        rc = 1;
    }
    json_decref(doc);
    kctl_response_free(&resp);
    return rc;
}

/* The pod to read: POD, pod/POD, or the first pod of a controller's selector (kubectl's "Found N pods, using"). */
static int
find_pod(struct kctl_client *c, struct kctl_config *cfg, const char *ns, const char *arg, json_t **pod)
{
    char type[128] = "pods", name[512], path[1200];
    const char *slash = strchr(arg, '/');
    if (slash) {
        snprintf(type, sizeof(type), "%.*s", (int)(slash - arg), arg);
        snprintf(name, sizeof(name), "%s", slash + 1);
    } else {
        snprintf(name, sizeof(name), "%s", arg);
    }
    struct kctl_resource r;
    if (kctl_resolve(c, type, &r) != 0)
        return 1;
    kctl_resource_path(&r, ns, name, NULL, path, sizeof(path));
    struct kctl_response resp;
    if (kctl_request(c, "GET", path, NULL, NULL, 0, NULL, &resp) != 0)
        return 1;
    json_t *obj = resp.status == 200 && resp.body ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
    if (!obj) {
        /* kubectl wraps the error: `error: error from server (NotFound): pods "x" not found in namespace "y"` */
        json_t *st = resp.body ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
        const char *reason = json_string_value(json_object_get(st, "reason"));
        const char *msg = json_string_value(json_object_get(st, "message"));
        if (resp.status == 404 && msg)
            fprintf(cfg->err, "error: error from server (%s): %s in namespace \"%s\"\n", reason ? reason : "NotFound",
                    msg, ns);
        else
            kctl_print_error(cfg, &resp);
        json_decref(st);
        kctl_response_free(&resp);
        return 1;
    }
    kctl_response_free(&resp);
    if (!r.group[0] && strcmp(r.kind, "Pod") == 0) {
        *pod = obj;
        return 0;
    }
    /* a controller: its selector's pods */
    json_t *sel = json_object_get(json_object_get(obj, "spec"), "selector");
    struct kc_label_selector *ls = NULL;
    int rc = strcmp(r.kind, "Service") == 0 || strcmp(r.kind, "ReplicationController") == 0
                 ? kc_label_selector_from_set(sel, &ls)
                 : kc_label_selector_from_json(sel, &ls, NULL, 0);
    char *s = rc == 0 ? kc_label_selector_string(ls) : NULL;
    kc_label_selector_free(ls);
    json_decref(obj);
    if (!s || !*s) {
        fprintf(cfg->err, "error: cannot attach to %s: selector for %s not implemented\n", type, type);
        free(s);
        return 1;
    }
    json_t *items = NULL;
    rc = list_pods(c, cfg, ns, s, &items);
    free(s);
    if (rc != 0)
        return 1;
    json_t *best = NULL;
    size_t i;
    json_t *p;
    json_array_foreach(items, i, p)
    {
        if (!best || logging_less(p, best))
            best = p;
    }
    if (!best) {
        fprintf(cfg->err, "error: timed out waiting for the condition\n");
        json_decref(items);
        return 1;
    }
    if (json_array_size(items) > 1)
        fprintf(cfg->err, "Found %zu pods, using pod/%s\n", json_array_size(items), mstr(best, "metadata", "name"));
    *pod = json_incref(best);
    json_decref(items);
    return 0;
}

static bool
has_container(const json_t *pod, const char *name)
{
    static const char *const lists[] = { "containers", "initContainers", "ephemeralContainers" };
    for (int k = 0; k < 3; k++) {
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(json_object_get(pod, "spec"), lists[k]), i, c)
        {
            const char *n = json_string_value(json_object_get(c, "name"));
            if (n && strcmp(n, name) == 0)
                return true;
        }
    }
    return false;
}

/* logsForObject's default: the default-container annotation's container (a warning when the pod has none of that
 * name), else the first, with kubectl's notice when the pod has others (kctl_pod_default_container). */
static const char *
default_container(struct kctl_config *cfg, const json_t *pod)
{
    const char *def = json_string_value(json_object_get(
        json_object_get(json_object_get(pod, "metadata"), "annotations"), "kubectl.kubernetes.io/default-container"));
    if (def && *def && !has_container(pod, def))
        fprintf(cfg->err, "Default container name \"%s\" not found in pod %s\n", def, mstr(pod, "metadata", "name"));
    const char *c = kctl_pod_default_container(cfg, pod, false);
    return c ? c : "";
}

/* Writes text with "[pod/NAME/CONTAINER] " at the start of every line (the last line may have no newline; no
 * prefix is written after a final newline), as kubectl 1.33's prefixing writer does. *at_start carries the state
 * between chunks. */
static void
write_prefixed(FILE *out, const char *prefix, const char *text, size_t len, bool *at_start)
{
    for (size_t i = 0; i < len;) {
        if (*at_start && prefix)
            fputs(prefix, out);
        const char *nl = memchr(text + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (text + i)) + 1 : len - i;
        fwrite(text + i, 1, n, out);
        *at_start = nl != NULL;
        i += n;
    }
}

struct stream_ctx {
    struct logrun *run;
    const char *prefix;
};

static int
stream_line(void *arg, const char *line, size_t len)
{
    struct stream_ctx *sc = arg;
    FILE *out = sc->run->cfg->out;
    if (sc->run->threaded)
        pthread_mutex_lock(&sc->run->lock);
    if (sc->prefix)
        fputs(sc->prefix, out);
    fwrite(line, 1, len, out);
    fputc('\n', out);
    fflush(out);
    if (sc->run->threaded)
        pthread_mutex_unlock(&sc->run->lock);
    return 0;
}

/* Reads (or with -f streams) one source's log. Returns 0, or 1 with the error printed. */
static int
read_log(struct kctl_client *c, struct logrun *run, const struct source *src)
{
    struct kctl_config *cfg = run->cfg;
    char ens[256], en[512], ec[512], path[3072], prefix[1200];
    kctl_escape(mstr(src->pod, "metadata", "namespace"), ens, sizeof(ens));
    kctl_escape(mstr(src->pod, "metadata", "name"), en, sizeof(en));
    kctl_escape(src->container, ec, sizeof(ec));
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s/log?container=%s%s", ens, en, ec, run->query);
    snprintf(prefix, sizeof(prefix), "[pod/%s/%s] ", mstr(src->pod, "metadata", "name"), src->container);
    if (cfg->follow) {
        struct stream_ctx sc = { run, cfg->prefix ? prefix : NULL };
        return kctl_stream(c, path, "*/*", stream_line, &sc);
    }
    struct kctl_response resp;
    if (kctl_request(c, "GET", path, NULL, NULL, 0, "*/*", &resp) != 0)
        return 1;
    int rc = 0;
    if (resp.status != 200) {
        kctl_print_error(cfg, &resp);
        rc = 1;
    } else if (resp.body) {
        bool at_start = true;
        write_prefixed(cfg->out, cfg->prefix ? prefix : NULL, resp.body, resp.len, &at_start);
        fflush(cfg->out);
    }
    kctl_response_free(&resp);
    return rc;
}

/* -f with several sources: one thread, client and connection per stream. */
struct follower {
    pthread_t thread;
    struct logrun *run;
    struct source src;
    int rc;
};

/* The stream's errors go to a buffer of its own (its client's config) and print whole under the lock. */
static void *
follow_one(void *arg)
{
    struct follower *f = arg;
    struct kctl_config local = *f->run->cfg;
    char *errtext = NULL;
    size_t errlen = 0;
    FILE *mem = open_memstream(&errtext, &errlen);
    if (mem)
        local.err = mem;
    struct kctl_client *c;
    f->rc = 1;
    if (kctl_client_new(&local, &c) == 0) {
        f->rc = read_log(c, f->run, &f->src);
        kctl_client_free(c);
    }
    if (mem)
        fclose(mem);
    if (errtext && errlen) {
        /* kubectl ends at the first failed stream with its error; here the others go on, silently failing ones */
        pthread_mutex_lock(&f->run->lock);
        if (!f->run->failed) {
            fputs(errtext, f->run->cfg->err);
            fflush(f->run->cfg->err);
        }
        f->run->failed = true;
        pthread_mutex_unlock(&f->run->lock);
    }
    free(errtext);
    return NULL;
}

static int
follow_all(struct logrun *run, const struct source *srcs, size_t n)
{
    struct follower *fs = kc_calloc(n, sizeof(*fs));
    if (!fs) {
        fprintf(run->cfg->err, "error: out of memory\n");
        return 1;
    }
    run->threaded = true;
    size_t started = 0;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        fs[i].run = run;
        fs[i].src = srcs[i];
        if (pthread_create(&fs[i].thread, NULL, follow_one, &fs[i]) != 0) {
            fprintf(run->cfg->err, "error: cannot start a log stream\n");
            rc = 1;
            break;
        }
        started++;
    }
    for (size_t i = 0; i < started; i++) {
        pthread_join(fs[i].thread, NULL);
        rc = rc || fs[i].rc;
    }
    free(fs);
    return rc;
}

/* strconv.ParseInt-style check of an integer flag value. */
static bool
parse_int(const char *s, long long *out)
{
    if (!s || !*s)
        return false;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end)
        return false;
    *out = v;
    return true;
}

static int
flag_error(struct kctl_config *cfg, const char *flag, const char *val, const char *why)
{
    fprintf(cfg->err, "error: invalid argument \"%s\" for \"--%s\" flag: %s\nSee 'kctl logs --help' for usage.\n", val,
            flag, why);
    return 1;
}

/* Go's time.Parse(time.RFC3339, s) in UTC seconds, with Go's error text (`parsing time "x" as
 * "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006"`, `parsing time "...": month out of range`). Fractional
 * seconds are accepted and dropped (metav1.Time keeps seconds). Returns 0 or -1 with the message in err. */
static int
parse_rfc3339(const char *s, int64_t *out, char *err, size_t errlen)
{
    static const char layout[] = "2006-01-02T15:04:05Z07:00";
    struct {
        const char *elem; /* the layout element an error names */
        int digits;       /* 0: a literal */
        int lo, hi;       /* range (digits only) */
        const char *range_err;
    } steps[] = {
        { "2006", 4, 0, 9999, NULL }, { "-", 0, 0, 0, NULL }, { "01", 2, 1, 12, "month" },  { "-", 0, 0, 0, NULL },
        { "02", 2, 1, 31, "day" },    { "T", 0, 0, 0, NULL }, { "15", 2, 0, 23, "hour" },   { ":", 0, 0, 0, NULL },
        { "04", 2, 0, 59, "minute" }, { ":", 0, 0, 0, NULL }, { "05", 2, 0, 59, "second" },
    };
    int vals[11] = { 0 };
    const char *p = s;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        if (!steps[i].digits) {
            if (*p != steps[i].elem[0])
                goto cannot;
            p++;
            continue;
        }
        int v = 0;
        for (int k = 0; k < steps[i].digits; k++) {
            if (!isdigit((unsigned char)p[k]))
                goto cannot;
            v = v * 10 + (p[k] - '0');
        }
        if (steps[i].range_err && (v < steps[i].lo || v > steps[i].hi)) {
            snprintf(err, errlen, "parsing time \"%s\": %s out of range", s, steps[i].range_err);
            return -1;
        }
        vals[i] = v;
        p += steps[i].digits;
        continue;
    cannot:
        /* the element that failed, and the value from there */
        snprintf(err, errlen, "parsing time \"%s\" as \"%s\": cannot parse \"%s\" as \"%s\"", s, layout, p,
                 steps[i].elem);
        return -1;
    }
    if (*p == '.' || *p == ',') {
        const char *q = p + 1;
        while (isdigit((unsigned char)*q))
            q++;
        if (q > p + 1)
            p = q;
    }
    int off = 0;
    if (*p == 'Z') {
        p++;
    } else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
               p[3] == ':' && isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5])) {
        int hh = (p[1] - '0') * 10 + (p[2] - '0'), mm = (p[4] - '0') * 10 + (p[5] - '0');
        if (hh > 23 || mm > 59) {
            snprintf(err, errlen, "parsing time \"%s\": time zone offset out of range", s);
            return -1;
        }
        off = (hh * 60 + mm) * 60 * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        snprintf(err, errlen, "parsing time \"%s\" as \"%s\": cannot parse \"%s\" as \"Z07:00\"", s, layout, p);
        return -1;
    }
    if (*p) {
        snprintf(err, errlen, "parsing time \"%s\": extra text: \"%s\"", s, p);
        return -1;
    }
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int y = vals[0], mo = vals[2], d = vals[4];
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap)) {
        snprintf(err, errlen, "parsing time \"%s\": day out of range", s);
        return -1;
    }
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = vals[6], .tm_min = vals[8], .tm_sec = vals[10]
    };
    *out = (int64_t)timegm(&tm) - off;
    return 0;
}

static void
usage_error(struct kctl_config *cfg, const char *msg)
{
    fprintf(cfg->err, "error: %s\nSee 'kctl logs -h' for help and examples\n", msg);
}

int
kctl_cmd_logs(struct kctl_config *cfg)
{
    static const char usage[] = "expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a "
                                "required argument for the logs command";
    /* flag values first, as cobra parses them */
    long long tail = -1, limit = 0, max_requests = DEFAULT_MAX_REQUESTS, since_ms = 0;
    if (cfg->tail && !parse_int(cfg->tail, &tail)) {
        char why[600];
        snprintf(why, sizeof(why), "strconv.ParseInt: parsing \"%s\": invalid syntax", cfg->tail);
        return flag_error(cfg, "tail", cfg->tail, why);
    }
    if (cfg->since && kctl_parse_duration(cfg->since, &since_ms) != 0) {
        char why[600];
        snprintf(why, sizeof(why), "time: invalid duration \"%s\"", cfg->since);
        return flag_error(cfg, "since", cfg->since, why);
    }
    if (cfg->limit_bytes && !parse_int(cfg->limit_bytes, &limit)) {
        char why[600];
        snprintf(why, sizeof(why), "strconv.ParseInt: parsing \"%s\": invalid syntax", cfg->limit_bytes);
        return flag_error(cfg, "limit-bytes", cfg->limit_bytes, why);
    }
    if (cfg->max_log_requests && !parse_int(cfg->max_log_requests, &max_requests)) {
        char why[600];
        snprintf(why, sizeof(why), "strconv.ParseInt: parsing \"%s\": invalid syntax", cfg->max_log_requests);
        return flag_error(cfg, "max-log-requests", cfg->max_log_requests, why);
    }
    bool selector = cfg->selector && *cfg->selector;
    if ((cfg->nargs == 0 && !selector) || cfg->nargs > 2) {
        usage_error(cfg, usage);
        return 1;
    }
    if (cfg->nargs == 1 && selector) {
        usage_error(cfg, "only a selector (-l) or a POD name is allowed");
        return 1;
    }
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    const char *ns = kctl_client_namespace(c);
    json_t *pods = json_array();
    int rc = 0;
    if (selector) {
        json_t *items = NULL;
        rc = list_pods(c, cfg, ns, cfg->selector, &items);
        if (rc == 0) {
            json_array_extend(pods, items);
            json_decref(items);
            if (!json_array_size(pods))
                fprintf(cfg->err, "No resources found in %s namespace.\n", ns);
        }
    } else {
        json_t *pod = NULL;
        rc = find_pod(c, cfg, ns, cfg->args[0], &pod);
        if (rc == 0)
            json_array_append_new(pods, pod);
    }
    /* ToPodLogOptions, then Validate */
    int64_t since_time = 0;
    const char *container = cfg->container ? cfg->container : cfg->nargs == 2 ? cfg->args[1] : NULL;
    if (rc == 0 && cfg->since_time) {
        char err[1024];
        if (parse_rfc3339(cfg->since_time, &since_time, err, sizeof(err)) != 0) {
            fprintf(cfg->err, "error: %s\n", err);
            rc = 1;
        }
    }
    if (rc == 0) {
        const char *why = NULL;
        char buf[600];
        if (cfg->since_time && since_ms != 0)
            why = "at most one of `sinceTime` or `sinceSeconds` may be specified";
        else if (limit < 0)
            why = "--limit-bytes must be greater than 0";
        else if (cfg->all_containers && container && *container)
            why = (snprintf(buf, sizeof(buf), "--all-containers=true should not be specified with container name %s",
                            container),
                   buf);
        else if (cfg->container && cfg->nargs == 2)
            why = "only one of -c or an inline [CONTAINER] arg is allowed";
        else if (since_ms < 0)
            why = "--since must be greater than 0";
        else if (tail < -1)
            why = "--tail must be greater than or equal to -1";
        if (why) {
            fprintf(cfg->err, "error: %s\n", why);
            rc = 1;
        }
    }
    struct logrun run = { .cfg = cfg };
    pthread_mutex_init(&run.lock, NULL);
    if (rc == 0) {
        /* the query, keys in url.Values' sorted order */
        size_t o = 0, qn = sizeof(run.query);
        if (cfg->follow)
            o += (size_t)snprintf(run.query + o, qn - o, "&follow=true");
        if (limit)
            o += (size_t)snprintf(run.query + o, qn - o, "&limitBytes=%lld", limit);
        if (cfg->previous)
            o += (size_t)snprintf(run.query + o, qn - o, "&previous=true");
        if (since_ms)
            o += (size_t)snprintf(run.query + o, qn - o, "&sinceSeconds=%lld", (since_ms + 500) / 1000);
        if (cfg->since_time) {
            time_t t = (time_t)since_time;
            struct tm tm;
            char ts[64];
            gmtime_r(&t, &tm);
            strftime(ts, sizeof(ts), "%Y-%m-%dT%H%%3A%M%%3A%SZ", &tm);
            o += (size_t)snprintf(run.query + o, qn - o, "&sinceTime=%s", ts);
        }
        if (selector && tail == -1 && !cfg->tail)
            tail = SELECTOR_TAIL;
        if (tail != -1)
            o += (size_t)snprintf(run.query + o, qn - o, "&tailLines=%lld", tail);
        if (cfg->timestamps)
            snprintf(run.query + o, qn - o, "&timestamps=true");
        /* the sources: every container with --all-containers (init, regular, ephemeral), else the one named or
         * each pod's default */
        size_t cap = 8, n = 0;
        struct source *srcs = kc_calloc(cap, sizeof(*srcs));
        size_t i;
        const json_t *pod;
        json_array_foreach(pods, i, pod)
        {
            if (!srcs)
                break;
            if (container && !has_container(pod, container)) {
                fprintf(cfg->err, "error: container %s is not valid for pod %s\n", container,
                        mstr(pod, "metadata", "name"));
                rc = 1;
                break;
            }
            static const char *const lists[] = { "initContainers", "containers", "ephemeralContainers" };
            for (int k = 0; k < (cfg->all_containers ? 3 : 1); k++) {
                const json_t *cs = json_object_get(json_object_get(pod, "spec"), lists[k]);
                size_t nc = cfg->all_containers ? json_array_size(cs) : 1;
                for (size_t j = 0; j < nc; j++) {
                    if (n == cap) {
                        struct source *g = kc_realloc(srcs, 2 * cap * sizeof(*srcs));
                        if (!g)
                            break;
                        srcs = g;
                        cap *= 2;
                    }
                    srcs[n].pod = pod;
                    srcs[n].container = cfg->all_containers
                                            ? json_string_value(json_object_get(json_array_get(cs, j), "name")) ?: ""
                                        : container ? container
                                                    : default_container(cfg, pod);
                    n++;
                }
            }
        }
        if (!srcs) {
            fprintf(cfg->err, "error: out of memory\n");
            rc = 1;
        } else if (rc == 0 && cfg->follow && n > 1) {
            if ((long long)n > max_requests) {
                fprintf(cfg->err,
                        "error: you are attempting to follow %zu log streams, but maximum allowed concurrency is %lld, "
                        "use --max-log-requests to increase the limit\n",
                        n, max_requests);
                rc = 1;
            } else {
                rc = follow_all(&run, srcs, n);
            }
        } else {
            /* one after the other; the first error ends the run */
            for (size_t k = 0; rc == 0 && k < n; k++)
                rc = read_log(c, &run, &srcs[k]);
        }
        free(srcs);
    }
    pthread_mutex_destroy(&run.lock);
    json_decref(pods);
    kctl_client_free(c);
    return rc;
}
