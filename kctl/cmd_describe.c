/* cmd_describe.c - `kctl describe`: finds the objects as kubectl does (names, TYPE/NAME, a name prefix, -l, all of
 * a type), fetches what each describer shows beside the object (its events by involvedObject field selector, a
 * node's pods and lease, a deployment's replica sets, a service's endpoint slices, ...) and prints through
 * print_describe.c. */
#include "kctl.h"
#include "kctl_print.h"
#include "kc_fault.h"
#include "kc_selector.h"
#include "kc_time.h"

#include <stdlib.h>
#include <string.h>

struct desc {
    struct kctl_config *cfg;
    struct kctl_client *c;
    const char *ns;
    bool first;
    int failed;
    char *errs; /* the objects' errors, printed after the descriptions (malloc'ed, or NULL) */
};

/* GET path as JSON without printing anything. Returns the document, or NULL with *status (0 for a transport
 * failure) and, when msg is given, the Status message. */
static json_t *
quiet_get(struct desc *ds, const char *path, long *status, char *msg, size_t msglen)
{
    struct kctl_response resp;
    if (msg && msglen)
        msg[0] = '\0';
    *status = 0;
    if (kctl_request(ds->c, "GET", path, NULL, NULL, 0, NULL, &resp) != 0)
        return NULL;
    *status = resp.status;
    json_t *doc = resp.body ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
    kctl_response_free(&resp);
    if (*status != 200) {
        if (msg && msglen)
            snprintf(msg, msglen, "%s",
                     json_string_value(json_object_get(doc, "message"))
                         ? json_string_value(json_object_get(doc, "message"))
                         : "the server could not find the requested resource");
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* The items of a list at path (all chunks); NULL when the server answered 404 (or on error). */
static json_t *
list_items(struct desc *ds, const char *base, const char *query)
{
    json_t *items = NULL;
    char *cont = NULL;
    do {
        char path[4096], esc[1024] = "";
        if (cont)
            kctl_escape(cont, esc, sizeof(esc));
        snprintf(path, sizeof(path), "%s?%s%slimit=500%s%s", base, query ? query : "", query && *query ? "&" : "",
                 cont ? "&continue=" : "", esc);
        free(cont);
        cont = NULL;
        long st;
        json_t *doc = quiet_get(ds, path, &st, NULL, 0);
        if (!doc)
            break;
        if (!items)
            items = json_array();
        json_array_extend(items, json_object_get(doc, "items"));
        const char *c = json_string_value(json_object_get(json_object_get(doc, "metadata"), "continue"));
        if (c && *c)
            cont = kc_strdup(c);
        json_decref(doc);
    } while (cont);
    return items;
}

static void
fsel_add(char *buf, size_t len, const char *key, const char *value)
{
    char esc[1024];
    char term[1200];
    snprintf(term, sizeof(term), "%s=%s", key, value);
    kctl_escape(term, esc, sizeof(esc));
    size_t used = strlen(buf);
    if (used + 3 + strlen(esc) < len) {
        if (used)
            memcpy(buf + used, "%2C", 3), used += 3;
        memcpy(buf + used, esc, strlen(esc) + 1);
    }
}

/* The events of an object: searchEvents with involvedObject name, namespace, kind (unless empty) and uid. */
static json_t *
events_for(struct desc *ds, const char *ns, const char *name, const char *kind, const char *uid)
{
    char fs[4096] = "", q[4200], base[512];
    fsel_add(fs, sizeof(fs), "involvedObject.name", name);
    fsel_add(fs, sizeof(fs), "involvedObject.namespace", ns ? ns : "");
    if (kind && *kind)
        fsel_add(fs, sizeof(fs), "involvedObject.kind", kind);
    if (uid && *uid)
        fsel_add(fs, sizeof(fs), "involvedObject.uid", uid);
    snprintf(q, sizeof(q), "fieldSelector=%s", fs);
    if (ns && *ns) {
        char ens[256];
        kctl_escape(ns, ens, sizeof(ens));
        snprintf(base, sizeof(base), "/api/v1/namespaces/%s/events", ens);
    } else {
        snprintf(base, sizeof(base), "/api/v1/events");
    }
    json_t *items = list_items(ds, base, q);
    return items ? items : json_array();
}

static const char *
mstr(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(json_object_get(obj, "metadata"), key));
    return s ? s : "";
}

/* The label selector of a controller as a query value ("labelSelector=a%3Db"). */
static void
selector_query(const json_t *sel, char *buf, size_t len)
{
    buf[0] = '\0';
    struct kc_label_selector *ls;
    if (!sel || kc_label_selector_from_json(sel, &ls, NULL, 0) != 0)
        return;
    char *s = kc_label_selector_string(ls);
    kc_label_selector_free(ls);
    char esc[2048];
    if (s && *s && kctl_escape(s, esc, sizeof(esc)) == 0)
        snprintf(buf, len, "labelSelector=%s", esc);
    free(s);
}

static void
describe_one(struct desc *ds, const struct kctl_resource *r, json_t *obj, bool prefix_match)
{
    struct kctl_describe_ctx ctx = { .now = kc_time_now().sec };
    json_t *events = NULL, *pods = NULL, *rss = NULL, *lease = NULL, *slices = NULL, *backends = NULL, *quotas = NULL,
           *limits = NULL, *secrets = NULL;
    char lease_err[512] = "";
    const char *name = mstr(obj, "name"), *ns = mstr(obj, "namespace");
    char ens[256], base[1024], q[4096];
    kctl_escape(ns, ens, sizeof(ens));
    bool show_events = !ds->cfg->show_events || strcmp(ds->cfg->show_events, "false") != 0;
    bool core = !r->group[0], apps = strcmp(r->group, "apps") == 0;

    if (core && strcmp(r->kind, "Node") == 0) {
        char fs[1024] = "";
        fsel_add(fs, sizeof(fs), "spec.nodeName", name);
        strncat(fs, "%2Cstatus.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed", sizeof(fs) - strlen(fs) - 1);
        snprintf(q, sizeof(q), "fieldSelector=%s", fs);
        pods = list_items(ds, "/api/v1/pods", q);
        char en[512];
        kctl_escape(name, en, sizeof(en));
        snprintf(base, sizeof(base), "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/%s", en);
        long st;
        lease = quiet_get(ds, base, &st, lease_err, sizeof(lease_err));
        if (show_events) {
            events = events_for(ds, "", name, "Node", mstr(obj, "uid"));
            json_t *more = events_for(ds, "", name, "Node", name); /* the kubelet uses the node's name as uid */
            json_array_extend(events, more);
            json_decref(more);
        }
    } else if (show_events) {
        events = events_for(ds, ns, name, core && strcmp(r->kind, "Pod") == 0 ? "" : r->kind, mstr(obj, "uid"));
    }
    if (apps && strcmp(r->kind, "Deployment") == 0) {
        selector_query(json_object_get(json_object_get(obj, "spec"), "selector"), q, sizeof(q));
        snprintf(base, sizeof(base), "/apis/apps/v1/namespaces/%s/replicasets", ens);
        rss = list_items(ds, base, q);
    } else if (apps && (strcmp(r->kind, "ReplicaSet") == 0 || strcmp(r->kind, "DaemonSet") == 0 ||
                        strcmp(r->kind, "StatefulSet") == 0)) {
        selector_query(json_object_get(json_object_get(obj, "spec"), "selector"), q, sizeof(q));
        snprintf(base, sizeof(base), "/api/v1/namespaces/%s/pods", ens);
        pods = list_items(ds, base, q);
    } else if (core && strcmp(r->kind, "Service") == 0) {
        char sel[600], esc[1024];
        snprintf(sel, sizeof(sel), "kubernetes.io/service-name=%s", name);
        kctl_escape(sel, esc, sizeof(esc));
        snprintf(q, sizeof(q), "labelSelector=%s", esc);
        snprintf(base, sizeof(base), "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices", ens);
        slices = list_items(ds, base, q);
    } else if (core && strcmp(r->kind, "PersistentVolumeClaim") == 0) {
        snprintf(base, sizeof(base), "/api/v1/namespaces/%s/pods", ens);
        json_t *all = list_items(ds, base, NULL);
        pods = json_array();
        size_t i;
        json_t *p;
        json_array_foreach(all, i, p)
        {
            bool uses = false;
            size_t k;
            json_t *v;
            json_array_foreach(json_object_get(json_object_get(p, "spec"), "volumes"), k, v)
            {
                const char *cn =
                    json_string_value(json_object_get(json_object_get(v, "persistentVolumeClaim"), "claimName"));
                uses = uses || (cn && strcmp(cn, name) == 0);
            }
            json_t *ref;
            json_array_foreach(json_object_get(json_object_get(obj, "metadata"), "ownerReferences"), k, ref)
            {
                const char *kind = json_string_value(json_object_get(ref, "kind"));
                const char *uid = json_string_value(json_object_get(ref, "uid"));
                uses = uses || (kind && uid && strcmp(kind, "Pod") == 0 && strcmp(uid, mstr(p, "uid")) == 0);
            }
            if (uses)
                json_array_append(pods, p);
        }
        json_decref(all);
    } else if (core && strcmp(r->kind, "ServiceAccount") == 0) {
        snprintf(base, sizeof(base), "/api/v1/namespaces/%s/secrets", ens);
        secrets = list_items(ds, base, NULL);
    } else if (core && strcmp(r->kind, "Namespace") == 0) {
        char en[256];
        kctl_escape(name, en, sizeof(en));
        snprintf(base, sizeof(base), "/api/v1/namespaces/%s/resourcequotas", en);
        quotas = list_items(ds, base, NULL);
        snprintf(base, sizeof(base), "/api/v1/namespaces/%s/limitranges", en);
        limits = list_items(ds, base, NULL);
    } else if (strcmp(r->group, "networking.k8s.io") == 0 && strcmp(r->kind, "Ingress") == 0) {
        /* every service a backend names: its ports and endpoint slices */
        backends = json_object();
        const json_t *spec = json_object_get(obj, "spec");
        json_t *svcs = json_array();
        const json_t *def = json_object_get(json_object_get(spec, "defaultBackend"), "service");
        if (def)
            json_array_append(svcs, json_object_get(def, "name"));
        size_t i, k;
        const json_t *rule, *p;
        json_array_foreach(json_object_get(spec, "rules"), i, rule)
            json_array_foreach(json_object_get(json_object_get(rule, "http"), "paths"), k, p)
        {
            const json_t *n = json_object_get(json_object_get(json_object_get(p, "backend"), "service"), "name");
            if (n)
                json_array_append(svcs, (json_t *)n);
        }
        const json_t *sn;
        json_array_foreach(svcs, i, sn)
        {
            const char *svc = json_string_value(sn);
            if (!svc || json_object_get(backends, svc))
                continue;
            char sel[600], esc[1024], en[512], msg[512];
            snprintf(sel, sizeof(sel), "kubernetes.io/service-name=%s", svc);
            kctl_escape(sel, esc, sizeof(esc));
            snprintf(q, sizeof(q), "labelSelector=%s", esc);
            snprintf(base, sizeof(base), "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices", ens);
            json_t *sl = list_items(ds, base, q);
            kctl_escape(svc, en, sizeof(en));
            snprintf(base, sizeof(base), "/api/v1/namespaces/%s/services/%s", ens, en);
            long st;
            json_t *so = quiet_get(ds, base, &st, msg, sizeof(msg));
            json_t *info = so ? json_pack("{s:o,s:o}", "service", so, "slices", sl ? sl : json_array())
                              : json_pack("{s:s}", "error", msg);
            if (!so)
                json_decref(sl);
            json_object_set_new(backends, svc, info);
        }
        json_decref(svcs);
    }
    ctx.events = events;
    ctx.pods = pods;
    ctx.replicasets = rss;
    ctx.lease = lease;
    ctx.lease_error = lease_err;
    ctx.slices = slices;
    ctx.backends = backends;
    ctx.quotas = quotas;
    ctx.limitranges = limits;
    /* descriptions are separated by a blank line; those found by a name prefix each end with one (kubectl's
     * DescribeMatchingResources) */
    if (!ds->first && !prefix_match)
        fputs("\n\n", ds->cfg->out);
    ds->first = false;
    if (core && strcmp(r->kind, "ServiceAccount") == 0)
        kctl_describe_service_account(obj, secrets, &ctx, ds->cfg->out);
    else
        kctl_describe_object(r->kind, r->group, obj, &ctx, ds->cfg->out);
    if (prefix_match)
        fputc('\n', ds->cfg->out);
    json_decref(events);
    json_decref(pods);
    json_decref(rss);
    json_decref(lease);
    json_decref(slices);
    json_decref(backends);
    json_decref(quotas);
    json_decref(limits);
    json_decref(secrets);
}

/* All objects of a type (with -l), or those whose name starts with prefix. Returns the count found. */
static int
describe_matching(struct desc *ds, const struct kctl_resource *r, const char *prefix)
{
    char base[1024], q[2048] = "", esc[1024];
    kctl_resource_path(r, ds->ns, NULL, NULL, base, sizeof(base));
    if (ds->cfg->selector && kctl_escape(ds->cfg->selector, esc, sizeof(esc)) == 0)
        snprintf(q, sizeof(q), "labelSelector=%s", esc);
    json_t *items = list_items(ds, base, q);
    int n = 0;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        if (prefix && strncmp(mstr(it, "name"), prefix, strlen(prefix)) != 0)
            continue;
        n++;
        describe_one(ds, r, it, prefix != NULL);
    }
    json_decref(items);
    return n;
}

/* An object's error, kept for the end: kubectl prints the errors of its builder after the descriptions. With dedup
 * (a describer's errors) the same message twice is printed once. */
static void
deferred_error(struct desc *ds, const struct kctl_response *resp, bool dedup)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m) {
        kctl_print_error(ds->cfg, resp);
        return;
    }
    FILE *saved = ds->cfg->err;
    ds->cfg->err = m;
    kctl_print_error(ds->cfg, resp);
    ds->cfg->err = saved;
    fclose(m);
    if (!dedup || !ds->errs || !strstr(ds->errs, text)) {
        size_t have = ds->errs ? strlen(ds->errs) : 0;
        char *grown = kc_realloc(ds->errs, have + len + 1);
        if (grown) {
            memcpy(grown + have, text, len + 1);
            ds->errs = grown;
        }
    }
    free(text);
}

static void
flush_errors(struct desc *ds)
{
    if (ds->errs)
        fputs(ds->errs, ds->cfg->err);
    free(ds->errs);
    ds->errs = NULL;
}

/* GETs path and describes the object; keeps the error for the end otherwise. Returns 0 or 1. */
static int
describe_path(struct desc *ds, const struct kctl_resource *r, const char *path)
{
    struct kctl_response resp;
    if (kctl_request(ds->c, "GET", path, NULL, NULL, 0, NULL, &resp) != 0)
        return 1;
    int rc = 0;
    json_t *obj = resp.status == 200 && resp.body ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
    if (obj) {
        describe_one(ds, r, obj, false);
        json_decref(obj);
    } else {
        deferred_error(ds, &resp, true);
        rc = 1;
    }
    kctl_response_free(&resp);
    return rc;
}

/* `describe -f FILE...`: every object the files name, in order, from the server (as kubectl's builder). */
static int
describe_files(struct desc *ds)
{
    struct kctl_targets t = { 0 };
    int rc = kctl_targets_collect(ds->c, &t, 0);
    for (size_t i = 0; i < t.n; i++) {
        char path[2048];
        if (kctl_target_path(&t.v[i], NULL, path, sizeof(path)) != 0 || describe_path(ds, &t.v[i].r, path) != 0)
            rc = 1;
    }
    kctl_targets_close(&t);
    flush_errors(ds);
    return rc;
}

int
kctl_cmd_describe(struct kctl_config *cfg)
{
    struct desc ds = { .cfg = cfg, .first = true };
    if (cfg->nargs == 0 && cfg->filenames.n == 0) {
        fprintf(cfg->err, "You must specify the type of resource to describe. Use \"kctl api-resources\" for a "
                          "complete list of supported resources.\n");
        return 1;
    }
    if (cfg->show_events && strcmp(cfg->show_events, "true") != 0 && strcmp(cfg->show_events, "false") != 0) {
        fprintf(cfg->err,
                "error: invalid argument \"%s\" for \"--show-events\" flag: strconv.ParseBool: parsing "
                "\"%s\": invalid syntax\n",
                cfg->show_events, cfg->show_events);
        return 1;
    }
    if (kctl_client_new(cfg, &ds.c) != 0)
        return 1;
    ds.ns = cfg->all_namespaces ? NULL : kctl_client_namespace(ds.c);
    if (cfg->filenames.n > 0) {
        int rc = describe_files(&ds);
        kctl_client_free(ds.c);
        return rc;
    }
    int rc = 0;
    bool slash = strchr(cfg->args[0], '/') != NULL;
    if (!slash && cfg->nargs == 1) {
        /* every object of the types (matching -l) */
        char *types = kc_strdup(cfg->args[0]);
        struct kctl_resource rs[32];
        int nr = 0, found = 0;
        for (char *save = NULL, *t = types ? strtok_r(types, ",", &save) : NULL; t && nr < 32;
             t = strtok_r(NULL, ",", &save)) {
            if (kctl_resolve(ds.c, t, &rs[nr]) != 0) {
                free(types);
                kctl_client_free(ds.c);
                return 1;
            }
            nr++;
        }
        free(types);
        for (int i = 0; i < nr; i++)
            found += describe_matching(&ds, &rs[i], NULL);
        if (found == 0) {
            /* kubectl names the namespace unless -A, also for cluster-scoped types */
            if (ds.ns)
                fprintf(cfg->err, "No resources found in %s namespace.\n", ds.ns);
            else
                fprintf(cfg->err, "No resources found\n");
        }
        kctl_client_free(ds.c);
        return 0;
    }
    /* (type, name) pairs: TYPE/NAME arguments, or TYPE NAME... */
    for (int i = slash ? 0 : 1; i < cfg->nargs; i++) {
        char type[256];
        const char *name;
        if (slash) {
            const char *s = strchr(cfg->args[i], '/');
            if (!s) {
                fprintf(cfg->err,
                        "error: there is no need to specify a resource type as a separate argument when "
                        "passing arguments in resource/name form (e.g. 'kctl describe resource/<resource_name>' "
                        "instead of 'kctl describe resource resource/<resource_name>'\n");
                rc = 1;
                break;
            }
            snprintf(type, sizeof(type), "%.*s", (int)(s - cfg->args[i]), cfg->args[i]);
            name = s + 1;
        } else {
            snprintf(type, sizeof(type), "%s", cfg->args[0]);
            name = cfg->args[i];
        }
        struct kctl_resource r;
        if (kctl_resolve(ds.c, type, &r) != 0) {
            rc = 1;
            break;
        }
        char path[1100];
        kctl_resource_path(&r, ds.ns, name, NULL, path, sizeof(path));
        struct kctl_response resp;
        if (kctl_request(ds.c, "GET", path, NULL, NULL, 0, NULL, &resp) != 0) {
            rc = 1;
            break;
        }
        if (resp.status == 200) {
            json_t *obj = json_loadb(resp.body, resp.len, 0, NULL);
            if (obj)
                describe_one(&ds, &r, obj, false);
            json_decref(obj);
        } else if (resp.status == 404 && !slash && cfg->nargs == 2 && describe_matching(&ds, &r, name) > 0) {
            /* TYPE NAME_PREFIX: every object whose name starts with the one given (DescribeMatchingResources) */
        } else {
            deferred_error(&ds, &resp, false);
            rc = 1;
        }
        kctl_response_free(&resp);
    }
    flush_errors(&ds);
    kctl_client_free(ds.c);
    return rc;
}
