/* cmd_logs.c - `kctl logs POD|TYPE/NAME [-c C] [-f] [--tail N] [--timestamps] [-p] [--since D] [--limit-bytes N]`:
 * picks the container as kubectl does (the default-container annotation, else the first, with kubectl's notice),
 * a controller's first pod by kubectl's logging order, then GETs (or streams with -f) pods/NAME/log. */
#include "kctl.h"
#include "kc_fault.h"
#include "kc_selector.h"
#include "kc_time.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int
print_line(void *arg, const char *line, size_t len)
{
    FILE *out = arg;
    fwrite(line, 1, len, out);
    fputc('\n', out);
    fflush(out);
    return 0;
}

/* kubectl's --since: a Go duration ("1h30m", "10s") in whole seconds; -1 when invalid. */
static long long
since_seconds(const char *s)
{
    long long total = 0;
    const char *p = s;
    if (!*p)
        return -1;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || v < 0)
            return -1;
        double unit;
        if (strncmp(end, "ms", 2) == 0)
            unit = 0.001, end += 2;
        else if (*end == 's')
            unit = 1, end++;
        else if (*end == 'm')
            unit = 60, end++;
        else if (*end == 'h')
            unit = 3600, end++;
        else
            return -1;
        total += (long long)(v * unit);
        p = end;
    }
    return total < 1 ? 1 : total;
}

static const char *
mstr(const json_t *o, const char *a, const char *b)
{
    const char *s = json_string_value(json_object_get(json_object_get(o, a), b));
    return s ? s : "";
}

/* controller.ByLogging: scheduled before unscheduled, Running < Unknown < Pending, ready before not ready, more
 * restarts first, older first. Returns true when a sorts before b. */
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
    char esc[2048], ens[256], lpath[2400];
    kctl_escape(s, esc, sizeof(esc));
    kctl_escape(ns, ens, sizeof(ens));
    snprintf(lpath, sizeof(lpath), "/api/v1/namespaces/%s/pods?labelSelector=%s", ens, esc);
    json_t *list = NULL;
    rc = kctl_request_json(c, "GET", lpath, NULL, NULL, &list);
    if (rc != 0) {
        free(s);
        return 1;
    }
    json_t *items = json_object_get(list, "items");
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
        json_decref(list);
        free(s);
        return 1;
    }
    if (json_array_size(items) > 1)
        fprintf(cfg->err, "Found %zu pods, using pod/%s\n", json_array_size(items), mstr(best, "metadata", "name"));
    *pod = json_incref(best);
    json_decref(list);
    free(s);
    return 0;
}

static void
container_names(const json_t *pod, char *buf, size_t len, const char *sep)
{
    buf[0] = '\0';
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(json_object_get(pod, "spec"), "containers"), i, c)
        snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? sep : "",
                 json_string_value(json_object_get(c, "name")) ?: "");
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

static int
read_log(struct kctl_client *c, struct kctl_config *cfg, const json_t *pod, const char *container, bool prefix)
{
    char ens[256], en[512], ec[512], path[2048];
    kctl_escape(mstr(pod, "metadata", "namespace"), ens, sizeof(ens));
    kctl_escape(mstr(pod, "metadata", "name"), en, sizeof(en));
    kctl_escape(container, ec, sizeof(ec));
    size_t o = (size_t)snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s/log?container=%s", ens, en, ec);
    if (cfg->follow)
        o += (size_t)snprintf(path + o, sizeof(path) - o, "&follow=true");
    if (cfg->limit_bytes)
        o += (size_t)snprintf(path + o, sizeof(path) - o, "&limitBytes=%s", cfg->limit_bytes);
    if (cfg->previous)
        o += (size_t)snprintf(path + o, sizeof(path) - o, "&previous=true");
    if (cfg->since)
        o += (size_t)snprintf(path + o, sizeof(path) - o, "&sinceSeconds=%lld", since_seconds(cfg->since));
    if (cfg->tail && strcmp(cfg->tail, "-1") != 0)
        o += (size_t)snprintf(path + o, sizeof(path) - o, "&tailLines=%s", cfg->tail);
    if (cfg->timestamps)
        snprintf(path + o, sizeof(path) - o, "&timestamps=true");
    (void)prefix;
    if (cfg->follow)
        return kctl_stream(c, path, "*/*", print_line, cfg->out);
    struct kctl_response resp;
    if (kctl_request(c, "GET", path, NULL, NULL, 0, "*/*", &resp) != 0)
        return 1;
    int rc = 0;
    if (resp.status != 200) {
        kctl_print_error(cfg, &resp);
        rc = 1;
    } else if (resp.body) {
        fwrite(resp.body, 1, resp.len, cfg->out);
    }
    kctl_response_free(&resp);
    return rc;
}

static bool
all_digits(const char *s)
{
    if (*s == '-')
        s++;
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

int
kctl_cmd_logs(struct kctl_config *cfg)
{
    if (cfg->nargs == 0 && !cfg->selector) {
        fprintf(cfg->err, "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a "
                          "required argument for the logs command\nSee 'kctl logs -h' for help and examples\n");
        return 1;
    }
    if (cfg->nargs > 2) {
        fprintf(cfg->err, "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a "
                          "required argument for the logs command\nSee 'kctl logs -h' for help and examples\n");
        return 1;
    }
    if (cfg->tail && !all_digits(cfg->tail)) {
        fprintf(cfg->err,
                "error: invalid argument \"%s\" for \"--tail\" flag: strconv.ParseInt: parsing \"%s\": "
                "invalid syntax\n",
                cfg->tail, cfg->tail);
        return 1;
    }
    if (cfg->since && since_seconds(cfg->since) < 0) {
        fprintf(cfg->err, "error: invalid argument \"%s\" for \"--since\" flag: time: invalid duration \"%s\"\n",
                cfg->since, cfg->since);
        return 1;
    }
    if (cfg->limit_bytes && !all_digits(cfg->limit_bytes)) {
        fprintf(cfg->err, "error: invalid argument \"%s\" for \"--limit-bytes\" flag\n", cfg->limit_bytes);
        return 1;
    }
    if (cfg->nargs == 0) {
        fprintf(cfg->err, "error: kctl logs -l is not built yet: name a pod or TYPE/NAME\n");
        return 1;
    }
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    const char *ns = kctl_client_namespace(c);
    json_t *pod = NULL;
    int rc = find_pod(c, cfg, ns, cfg->args[0], &pod);
    const char *container = cfg->container ? cfg->container : cfg->nargs == 2 ? cfg->args[1] : NULL;
    if (rc == 0 && container && !has_container(pod, container)) {
        fprintf(cfg->err, "error: container %s is not valid for pod %s\n", container, mstr(pod, "metadata", "name"));
        rc = 1;
    }
    if (rc == 0 && cfg->all_containers) {
        size_t i;
        json_t *ct;
        json_array_foreach(json_object_get(json_object_get(pod, "spec"), "containers"), i, ct)
        {
            if (rc == 0)
                rc = read_log(c, cfg, pod, json_string_value(json_object_get(ct, "name")), true);
        }
    } else if (rc == 0) {
        if (!container) {
            /* the default-container annotation, else the first container, said out loud when there are more */
            const char *def =
                json_string_value(json_object_get(json_object_get(json_object_get(pod, "metadata"), "annotations"),
                                                  "kubectl.kubernetes.io/default-container"));
            const json_t *cs = json_object_get(json_object_get(pod, "spec"), "containers");
            if (def && has_container(pod, def)) {
                container = def;
            } else {
                container = json_string_value(json_object_get(json_array_get(cs, 0), "name"));
                if (json_array_size(cs) > 1) {
                    char names[1024];
                    container_names(pod, names, sizeof(names), ", ");
                    fprintf(cfg->err, "Defaulted container \"%s\" out of: %s\n", container ? container : "", names);
                }
            }
        }
        rc = read_log(c, cfg, pod, container ? container : "", false);
    }
    json_decref(pod);
    kctl_client_free(c);
    return rc;
}
