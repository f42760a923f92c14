/* cmd_wait.c - waiting for objects: the GET-then-watch loop every waiting command uses (apply --wait, delete,
 * rollout status, wait) with a live progress line on a terminal, and `kctl wait --for=condition=X[=v]|delete|
 * create|jsonpath=...`. */
#include "kctl.h"
#include "kc_error.h"
#include "kc_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* The progress line: on a terminal one line rewritten in place, elsewhere one line per new message. */
static void
progress(struct kctl_config *cfg, unsigned flags, char *last, size_t lastlen, const char *msg)
{
    if (!(flags & KCTL_WAIT_PROGRESS) || !msg || !*msg || strcmp(last, msg) == 0)
        return;
    snprintf(last, lastlen, "%s", msg);
    if (isatty(fileno(cfg->out)))
        fprintf(cfg->out, "\r\033[K%s", msg);
    else if (!(flags & KCTL_WAIT_TTY_ONLY))
        fprintf(cfg->out, "%s\n", msg);
    fflush(cfg->out);
}

static void
progress_end(struct kctl_config *cfg, const char *last)
{
    if (last[0] && isatty(fileno(cfg->out))) {
        fprintf(cfg->out, "\r\033[K");
        fflush(cfg->out);
    }
}

struct watch_state {
    struct kctl_client *c;
    kctl_wait_fn fn;
    void *arg;
    unsigned flags;
    char *last;
    size_t lastlen;
    int verdict; /* KCTL_WAIT_DONE, KCTL_WAIT_FAILED, or 0 */
    char rv[64];
    json_t *final;
    char msg[1024];
    bool expired; /* a 410 ERROR event: start over with a GET */
};

static int
on_event(void *arg, const char *line, size_t len)
{
    struct watch_state *w = arg;
    json_t *ev = json_loadb(line, len, 0, NULL);
    if (!ev)
        return 0;
    const char *type = json_string_value(json_object_get(ev, "type"));
    json_t *obj = json_object_get(ev, "object");
    const char *rv = kc_json_get_string(obj, "metadata.resourceVersion");
    if (rv)
        snprintf(w->rv, sizeof(w->rv), "%s", rv);
    int stop = 0;
    if (type && strcmp(type, "ERROR") == 0) {
        w->expired = true;
        stop = 1;
    } else if (type && strcmp(type, "BOOKMARK") != 0) {
        bool gone = strcmp(type, "DELETED") == 0;
        w->msg[0] = '\0';
        int v = w->fn(w->arg, gone ? NULL : obj, w->msg, sizeof(w->msg));
        progress(kctl_client_config(w->c), w->flags, w->last, w->lastlen, w->msg);
        if (v != 0) {
            w->verdict = v;
            json_decref(w->final);
            w->final = gone ? NULL : json_incref(obj);
            stop = 1;
        }
    }
    json_decref(ev);
    return stop;
}

int
kctl_wait_object(struct kctl_client *c, const struct kctl_target *t, long long timeout_ms, kctl_wait_fn fn, void *arg,
                 unsigned flags, char *msg, size_t msglen)
{
    struct kctl_config *cfg = kctl_client_config(c);
    long long deadline = kctl_now_ms() + (timeout_ms < 0 ? 7LL * 24 * 3600 * 1000 : timeout_ms);
    char last[1024] = "", path[2048], coll[2048], fs[600], ename[520];
    struct kctl_target coll_t = *t;
    coll_t.name[0] = '\0';
    if (kctl_target_path(t, NULL, path, sizeof(path)) != 0 ||
        kctl_target_path(&coll_t, NULL, coll, sizeof(coll)) != 0 || kctl_escape(t->name, ename, sizeof(ename)) != 0)
        return KCTL_WAIT_ERROR;
    snprintf(fs, sizeof(fs), "metadata.name%%3D%s", ename);
    if (msg && msglen)
        msg[0] = '\0';
    for (;;) {
        /* the current state */
        struct kctl_response resp;
        if (kctl_request(c, "GET", path, NULL, NULL, 0, NULL, &resp) != 0)
            return KCTL_WAIT_ERROR;
        json_t *obj = NULL;
        if (resp.status == 200)
            obj = json_loadb(resp.body ? resp.body : "", resp.len, 0, NULL);
        else if (resp.status != 404) {
            progress_end(cfg, last);
            kctl_print_error(cfg, &resp);
            kctl_response_free(&resp);
            return KCTL_WAIT_ERROR;
        }
        kctl_response_free(&resp);
        struct watch_state w = { .c = c, .fn = fn, .arg = arg, .flags = flags, .last = last, .lastlen = sizeof(last) };
        int v = fn(arg, obj, w.msg, sizeof(w.msg));
        progress(cfg, flags, last, sizeof(last), w.msg);
        const char *rv = kc_json_get_string(obj, "metadata.resourceVersion");
        snprintf(w.rv, sizeof(w.rv), "%s", rv ? rv : "");
        json_decref(obj);
        if (v != 0) {
            progress_end(cfg, last);
            if (msg && msglen)
                snprintf(msg, msglen, "%s", w.msg);
            return v;
        }
        /* then its changes, until done or the deadline; a dropped or expired watch starts over */
        while (!w.verdict && !w.expired) {
            long long left = deadline - kctl_now_ms();
            if (left <= 0)
                break;
            char wpath[2800];
            long secs = (long)((left + 999) / 1000);
            snprintf(wpath, sizeof(wpath),
                     "%s?fieldSelector=%s&watch=1&allowWatchBookmarks=true%s%s&timeoutSeconds=%ld", coll, fs,
                     w.rv[0] ? "&resourceVersion=" : "", w.rv, secs > 300 ? 300 : secs);
            int rc = kctl_stream_ex(c, wpath, NULL, KCTL_STREAM_QUIET_DROP, on_event, &w);
            if (rc == 1) {
                progress_end(cfg, last);
                json_decref(w.final);
                return KCTL_WAIT_ERROR;
            }
            if (rc == 2)
                break; /* dropped: GET again */
        }
        json_decref(w.final);
        if (w.verdict) {
            progress_end(cfg, last);
            if (msg && msglen)
                snprintf(msg, msglen, "%s", w.msg);
            return w.verdict;
        }
        if (kctl_now_ms() >= deadline) {
            progress_end(cfg, last);
            if (msg && msglen)
                snprintf(msg, msglen, "%s", w.msg);
            return KCTL_WAIT_TIMEOUT;
        }
    }
}

/* ------------------------------------------------------------------------------------------ kctl wait */

enum wait_kind { FOR_DELETE, FOR_CREATE, FOR_CONDITION, FOR_JSONPATH };

struct wait_for {
    enum wait_kind kind;
    char what[256];  /* condition type, or the JSONPath as a kc_json path */
    char value[256]; /* the wanted status or value */
    bool has_value;
    bool seen;      /* the object existed at some point (kubectl prints nothing for a delete of nothing) */
    char name[600]; /* "pod/x", for the progress line */
};

/* {.status.phase} or .status.phase or {.items[0].x} → "status.phase", "items.0.x". */
static int
jsonpath_to_path(const char *jp, char *out, size_t len)
{
    size_t n = strlen(jp), o = 0;
    if (n >= 2 && jp[0] == '{' && jp[n - 1] == '}')
        jp++, n -= 2;
    if (n > 0 && jp[0] == '.')
        jp++, n--;
    for (size_t i = 0; i < n; i++) {
        char ch = jp[i];
        if (ch == '{' || ch == '}' || ch == '*' || ch == '?' || ch == '@' || ch == ' ')
            return -EINVAL;
        if (ch == '[') {
            if (o + 1 >= len)
                return -ENAMETOOLONG;
            out[o++] = '.';
            continue;
        }
        if (ch == ']')
            continue;
        if (o + 1 >= len)
            return -ENAMETOOLONG;
        out[o++] = ch;
    }
    out[o] = '\0';
    return 0;
}

static int
parse_for(struct kctl_config *cfg, const char *f, struct wait_for *w)
{
    memset(w, 0, sizeof(*w));
    if (strcasecmp(f, "delete") == 0) {
        w->kind = FOR_DELETE;
        return 0;
    }
    if (strcasecmp(f, "create") == 0) {
        w->kind = FOR_CREATE;
        return 0;
    }
    if (strncasecmp(f, "condition=", 10) == 0) {
        w->kind = FOR_CONDITION;
        const char *c = f + 10, *eq = strchr(c, '=');
        snprintf(w->what, sizeof(w->what), "%.*s", (int)(eq ? (size_t)(eq - c) : strlen(c)), c);
        snprintf(w->value, sizeof(w->value), "%s", eq ? eq + 1 : "true");
        w->has_value = true;
        if (!w->what[0]) {
            fprintf(cfg->err, "error: unrecognized condition: \"%s\"\n", f);
            return 1;
        }
        return 0;
    }
    if (strncasecmp(f, "jsonpath=", 9) == 0) {
        w->kind = FOR_JSONPATH;
        const char *p = f + 9;
        /* the expression ends at the '=' after its closing brace (or the first '=' without braces) */
        const char *close = p[0] == '{' ? strchr(p, '}') : NULL;
        const char *eq = strchr(close ? close : p, '=');
        char jp[256];
        snprintf(jp, sizeof(jp), "%.*s", (int)(eq ? (size_t)(eq - p) : strlen(p)), p);
        if (eq) {
            snprintf(w->value, sizeof(w->value), "%s", eq + 1);
            w->has_value = true;
        }
        if (!jp[0] || jsonpath_to_path(jp, w->what, sizeof(w->what)) != 0) {
            fprintf(cfg->err, "error: unrecognized condition: \"%s\"\n", f);
            return 1;
        }
        return 0;
    }
    fprintf(cfg->err, "error: unrecognized condition: \"%s\"\n", f);
    return 1;
}

static int
check_for(void *arg, const json_t *obj, char *msg, size_t len)
{
    struct wait_for *w = arg;
    if (obj)
        w->seen = true;
    if (w->kind == FOR_DELETE)
        snprintf(msg, len, "waiting for %s to be deleted...", w->name);
    else if (w->kind == FOR_CREATE)
        snprintf(msg, len, "waiting for %s to be created...", w->name);
    else
        snprintf(msg, len, "waiting for %s: %s%s%s%s...", w->name, w->kind == FOR_CONDITION ? "condition " : "",
                 w->what, w->has_value ? "=" : "", w->has_value ? w->value : "");
    switch (w->kind) {
    case FOR_DELETE:
        return obj ? 0 : KCTL_WAIT_DONE;
    case FOR_CREATE:
        return obj ? KCTL_WAIT_DONE : 0;
    case FOR_CONDITION: {
        if (!obj)
            return 0;
        /* kubectl also treats a condition as met only for the current generation when observedGeneration says */
        size_t i;
        json_t *cond;
        json_array_foreach(kc_json_get(obj, "status.conditions"), i, cond)
        {
            const char *type = json_string_value(json_object_get(cond, "type"));
            const char *status = json_string_value(json_object_get(cond, "status"));
            if (!type || strcasecmp(type, w->what) != 0)
                continue;
            json_int_t og = json_integer_value(json_object_get(cond, "observedGeneration"));
            json_int_t gen = json_integer_value(kc_json_get(obj, "metadata.generation"));
            if (og && gen && og < gen)
                return 0;
            return status && strcasecmp(status, w->value) == 0 ? KCTL_WAIT_DONE : 0;
        }
        return 0;
    }
    case FOR_JSONPATH: {
        if (!obj)
            return 0;
        const json_t *v = kc_json_get(obj, w->what);
        if (!v)
            return 0;
        if (!w->has_value)
            return KCTL_WAIT_DONE;
        char buf[512];
        const char *s = buf;
        if (json_is_string(v))
            s = json_string_value(v);
        else if (json_is_integer(v))
            snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        else if (json_is_true(v))
            s = "true";
        else if (json_is_false(v))
            s = "false";
        else if (json_is_real(v))
            snprintf(buf, sizeof(buf), "%g", json_real_value(v));
        else
            return 0;
        return strcmp(s, w->value) == 0 ? KCTL_WAIT_DONE : 0;
    }
    }
    return 0;
}

int
kctl_cmd_wait(struct kctl_config *cfg)
{
    if (!cfg->wait_for || !*cfg->wait_for) {
        fprintf(cfg->err, "error: --for must be set\n");
        return 1;
    }
    struct wait_for w;
    if (parse_for(cfg, cfg->wait_for, &w) != 0)
        return 1;
    long long timeout = 30000;
    if (cfg->timeout && kctl_parse_duration(cfg->timeout, &timeout) != 0) {
        fprintf(cfg->err, "error: invalid argument \"%s\" for \"--timeout\" flag: time: invalid duration \"%s\"\n",
                cfg->timeout, cfg->timeout);
        return 1;
    }
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    struct kctl_targets t = { 0 };
    int rc = kctl_targets_collect(c, &t, KCTL_TARGETS_ALLOW_LIST_ALL);
    if (rc == 0 && t.n == 0) {
        fprintf(cfg->err, "error: no matching resources found\n");
        rc = 1;
    }
    long long start = kctl_now_ms();
    for (size_t i = 0; rc == 0 && i < t.n; i++) {
        w.seen = false;
        if (w.kind == FOR_CONDITION || w.kind == FOR_JSONPATH) { /* kubectl: a missing object is an error here */
            json_t *live;
            if (!t.v[i].obj && kctl_get_object(c, &t.v[i], &live) != 0) {
                rc = 1;
                break;
            }
            if (!t.v[i].obj)
                json_decref(live);
        }
        long long left = timeout < 0 ? -1 : timeout - (kctl_now_ms() - start);
        if (timeout >= 0 && left < 0)
            left = 0;
        char name[600], gr[200];
        kctl_target_name(&t.v[i], name, sizeof(name));
        snprintf(w.name, sizeof(w.name), "%s", name);
        int v = kctl_wait_object(c, &t.v[i], left, check_for, &w, KCTL_WAIT_PROGRESS | KCTL_WAIT_TTY_ONLY, NULL, 0);
        if (v == KCTL_WAIT_DONE) {
            if (w.kind != FOR_DELETE || w.seen)
                fprintf(cfg->out, "%s condition met\n", name);
        } else if (v == KCTL_WAIT_TIMEOUT) {
            kctl_resource_gr(&t.v[i].r, gr, sizeof(gr));
            fprintf(cfg->err, "error: timed out waiting for the condition on %s/%s\n", gr, t.v[i].name);
            rc = 1;
        } else {
            rc = 1;
        }
    }
    kctl_targets_close(&t);
    kctl_client_free(c);
    return rc;
}
