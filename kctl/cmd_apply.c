/* cmd_apply.c - `kctl apply -f ...`: create or patch each object in order with kubectl's client-side apply (the
 * last-applied annotation and its three-way patch, apply.c), or server-side apply; dry runs, -o name|yaml|json,
 * --wait for rollouts, jobs and pods, --prune -l. Objects already applied stay applied when a later one fails. */
#include "kctl.h"
#include "kc_error.h"
#include "kc_json.h"
#include "kc_schema.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CSA_MANAGER "kubectl-client-side-apply"
#define SSA_MANAGER "kubectl"

/* One applied object, for -o yaml|json, --wait and --prune. */
struct applied {
    const struct kctl_target *t;
    json_t *obj; /* the server's answer (or what a client dry run would send) */
};

struct run {
    struct kctl_config *cfg;
    struct kctl_client *c;
    enum kctl_dry_run dry;
    const char *output; /* NULL, "name", "yaml", "json" */
    struct applied *done;
    size_t ndone;
    int rc;
};

/* kubectl's info.String(): `Resource: "apps/v1, Resource=deployments", GroupVersionKind: "apps/v1,
 * Kind=Deployment"\nName: "web", Namespace: "default"`. */
static void
info_string(const struct kctl_target *t, char *buf, size_t len)
{
    snprintf(buf, len,
             "Resource: \"%s/%s, Resource=%s\", GroupVersionKind: \"%s/%s, Kind=%s\"\nName: \"%s\", Namespace: \"%s\"",
             t->r.group, t->r.version, t->r.resource, t->r.group, t->r.version, t->r.kind, t->name, t->ns);
}

static void
report(struct run *r, const struct kctl_target *t, const char *op, json_t *obj)
{
    char name[600];
    kctl_target_name(t, name, sizeof(name));
    if (!r->output)
        fprintf(r->cfg->out, "%s %s%s\n", name, op, kctl_dry_run_suffix(r->dry));
    else if (strcmp(r->output, "name") == 0)
        fprintf(r->cfg->out, "%s\n", name);
    fflush(r->cfg->out);
    struct applied *a = realloc(r->done, (r->ndone + 1) * sizeof(*a));
    if (!a) {
        json_decref(obj);
        return;
    }
    r->done = a;
    r->done[r->ndone++] = (struct applied){ .t = t, .obj = obj };
}

/* A failed answer to a write of t, in kubectl's words for its verb. */
static void
write_error(struct run *r, const struct kctl_target *t, const struct kctl_response *resp, const char *verb)
{
    kctl_print_source_error(r->cfg, resp, verb, t->src);
    r->rc = 1;
}

/* Sends method path with body; returns the answer's object (or NULL) in *out, 0 on 2xx, else prints the error
 * with verb and returns 1. */
static int
send(struct run *r, const struct kctl_target *t, const char *method, const char *path, const char *ctype,
     const char *body, const char *verb, json_t **out)
{
    struct kctl_response resp;
    *out = NULL;
    if (kctl_request(r->c, method, path, ctype, body, strlen(body), NULL, &resp) != 0) {
        r->rc = 1;
        return 1;
    }
    if (resp.status < 200 || resp.status > 299) {
        write_error(r, t, &resp, verb);
        kctl_response_free(&resp);
        return 1;
    }
    kctl_print_warnings(r->cfg, &resp);
    if (resp.body)
        *out = json_loadb(resp.body, resp.len, 0, NULL);
    kctl_response_free(&resp);
    return 0;
}

static void
apply_server_side(struct run *r, const struct kctl_target *t)
{
    char path[2048], q[512];
    kctl_write_query(r->cfg, r->dry, SSA_MANAGER, true, q, sizeof(q));
    if (kctl_target_path(t, NULL, path, sizeof(path)) != 0) {
        r->rc = 1;
        return;
    }
    size_t n = strlen(path);
    snprintf(path + n, sizeof(path) - n, "%s&force=%s", q, r->cfg->force_conflicts ? "true" : "false");
    char *body = kctl_json_go(t->obj);
    if (!body) {
        fprintf(r->cfg->err, "error: out of memory\n");
        r->rc = 1;
        return;
    }
    struct kctl_response resp;
    int rc = kctl_request(r->c, "PATCH", path, "application/apply-patch+yaml", body, strlen(body), NULL, &resp);
    free(body);
    if (rc != 0) {
        r->rc = 1;
        return;
    }
    if (resp.status == 415) {
        json_t *st = resp.body ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
        const char *m = json_string_value(json_object_get(st, "message"));
        fprintf(r->cfg->err, "error: Server-side apply not available on the server: (%s)\n",
                m ? m : "the server does not support application/apply-patch+yaml");
        json_decref(st);
        r->rc = 1;
    } else if (resp.status == 409) {
        json_t *st = resp.body ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
        const char *m = json_string_value(json_object_get(st, "message"));
        kctl_print_warnings(r->cfg, &resp);
        fprintf(r->cfg->err,
                "error: %s\nPlease review the fields above--they currently have other managers. Here\n"
                "are the ways you can resolve this warning:\n"
                "* If you intend to manage all of these fields, please re-run the apply\n"
                "  command with the `--force-conflicts` flag.\n"
                "* If you do not intend to manage all of the fields, please edit your\n"
                "  manifest to remove references to the fields that should keep their\n"
                "  current managers.\n"
                "* You may co-own fields by updating your manifest to match the existing\n"
                "  value; in this case, you'll become the manager if the other manager(s)\n"
                "  stop managing the field (remove it from their configuration).\n"
                "See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts\n",
                m ? m : "Apply failed with conflicts");
        json_decref(st);
        r->rc = 1;
    } else if (resp.status < 200 || resp.status > 299) {
        write_error(r, t, &resp, "patching");
    } else {
        kctl_print_warnings(r->cfg, &resp);
        report(r, t, "serverside-applied", resp.body ? json_loadb(resp.body, resp.len, 0, NULL) : NULL);
    }
    kctl_response_free(&resp);
}

static const struct kc_schema *
schema_of(const struct kctl_target *t)
{
    return kc_schema_find_gvk(t->r.group, t->r.version, t->r.kind);
}

static void
apply_client_side(struct run *r, const struct kctl_target *t)
{
    struct kctl_config *cfg = r->cfg;
    char path[2048], coll[2048], q[512], info[1200], label[1200];
    struct kctl_target ct = *t;
    ct.name[0] = '\0';
    if (kctl_target_path(t, NULL, path, sizeof(path)) != 0 || kctl_target_path(&ct, NULL, coll, sizeof(coll)) != 0) {
        r->rc = 1;
        return;
    }
    kctl_source_label(t->src, label, sizeof(label));
    info_string(t, info, sizeof(info));

    struct kctl_response resp;
    if (kctl_request(r->c, "GET", path, NULL, NULL, 0, NULL, &resp) != 0) {
        r->rc = 1;
        return;
    }
    if (resp.status == 404) {
        kctl_response_free(&resp);
        json_t *created = NULL;
        if (kctl_apply_annotated(t->obj, &created) != 0) {
            fprintf(cfg->err, "error: out of memory\n");
            r->rc = 1;
            return;
        }
        if (r->dry == KCTL_DRY_CLIENT) {
            report(r, t, "created", created);
            return;
        }
        char *body = kctl_json_go(created);
        json_decref(created);
        json_t *out = NULL;
        kctl_write_query(cfg, r->dry, CSA_MANAGER, true, q, sizeof(q));
        strncat(coll, q, sizeof(coll) - strlen(coll) - 1);
        if (body && send(r, t, "POST", coll, "application/json", body, "creating", &out) == 0)
            report(r, t, "created", out);
        free(body);
        return;
    }
    if (resp.status != 200) {
        json_t *st = resp.body ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
        const char *reason = json_string_value(json_object_get(st, "reason"));
        const char *m = json_string_value(json_object_get(st, "message"));
        if (reason && m)
            fprintf(cfg->err,
                    "Error from server (%s): error when retrieving current configuration of:\n%s\nfrom server for: "
                    "%s: %s\n",
                    reason, info, label, m);
        else
            kctl_print_error(cfg, &resp);
        json_decref(st);
        kctl_response_free(&resp);
        r->rc = 1;
        return;
    }
    json_t *live = resp.body ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
    kctl_response_free(&resp);
    if (!json_is_object(live)) {
        fprintf(cfg->err, "error: the server's answer to GET %s is not a JSON object\n", path);
        json_decref(live);
        r->rc = 1;
        return;
    }
    if (r->dry == KCTL_DRY_CLIENT) { /* kubectl does not compute the patch in a client dry run */
        json_t *created = NULL;
        kctl_apply_annotated(t->obj, &created);
        report(r, t, "configured", created);
        json_decref(live);
        return;
    }
    if (!kc_json_get_string(live, "metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration")) {
        char gr[200];
        kctl_resource_gr(&t->r, gr, sizeof(gr));
        fprintf(cfg->err,
                "Warning: resource %s/%s is missing the %s annotation which is required by kctl apply. kctl apply "
                "should only be used on resources created declaratively by either kctl create --save-config or kctl "
                "apply. The missing annotation will be patched automatically.\n",
                gr, t->name, KCTL_LAST_APPLIED);
    }
    char *patch = NULL, perr[512];
    const char *ctype = NULL;
    int rc = kctl_apply_patch(t->obj, live, schema_of(t), &patch, &ctype, perr, sizeof(perr));
    if (rc != 0) {
        fprintf(cfg->err, "error: error when applying patch:\nto:\n%s\nfor: %s: %s\n", info, label,
                rc == -ENOMEM ? "out of memory" : perr);
        json_decref(live);
        r->rc = 1;
        return;
    }
    if (!patch) {
        report(r, t, "unchanged", live);
        return;
    }
    json_decref(live);
    kctl_write_query(cfg, r->dry, CSA_MANAGER, true, q, sizeof(q));
    strncat(path, q, sizeof(path) - strlen(path) - 1);
    if (kctl_request(r->c, "PATCH", path, ctype, patch, strlen(patch), NULL, &resp) != 0) {
        free(patch);
        r->rc = 1;
        return;
    }
    if (resp.status < 200 || resp.status > 299) {
        json_t *st = resp.body ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
        const char *reason = json_string_value(json_object_get(st, "reason"));
        const char *m = json_string_value(json_object_get(st, "message"));
        kctl_print_warnings(cfg, &resp);
        if (reason && m)
            fprintf(cfg->err,
                    "Error from server (%s): error when applying patch:\n%s\nto:\n%s\nfor: %s: error when patching "
                    "\"%s\": %s\n",
                    reason, patch, info, label, t->src ? t->src->source : "", m);
        else
            kctl_print_error(cfg, &resp);
        json_decref(st);
        r->rc = 1;
    } else {
        kctl_print_warnings(cfg, &resp);
        report(r, t, "configured", resp.body ? json_loadb(resp.body, resp.len, 0, NULL) : NULL);
    }
    kctl_response_free(&resp);
    free(patch);
}

struct ready_arg {
    const struct kctl_target *t;
};

static int
ready_check(void *arg, const json_t *obj, char *msg, size_t len)
{
    const struct ready_arg *a = arg;
    if (!obj) {
        snprintf(msg, len, "%s \"%s\" not found", a->t->r.kind, a->t->name);
        return 0;
    }
    return kctl_ready_status(a->t->r.kind, a->t->r.group, obj, msg, len);
}

/* --wait: every applied object until ready, a live progress line on a terminal and plain lines otherwise. */
static void
wait_ready(struct run *r, long long timeout)
{
    long long start = kctl_now_ms();
    for (size_t i = 0; i < r->ndone; i++) {
        const struct kctl_target *t = r->done[i].t;
        struct ready_arg a = { .t = t };
        char msg[1024], name[600];
        long long left = timeout < 0 ? -1 : timeout - (kctl_now_ms() - start);
        if (timeout >= 0 && left < 0)
            left = 0;
        int v = kctl_wait_object(r->c, t, left, ready_check, &a, KCTL_WAIT_PROGRESS, msg, sizeof(msg));
        kctl_target_name(t, name, sizeof(name));
        if (v == KCTL_WAIT_DONE) {
            fprintf(r->cfg->out, "%s ready\n", name);
        } else if (v == KCTL_WAIT_TIMEOUT) {
            fprintf(r->cfg->err, "error: timed out waiting for %s to be ready%s%s\n", name, msg[0] ? ": " : "", msg);
            r->rc = 1;
        } else if (v == KCTL_WAIT_FAILED) {
            fprintf(r->cfg->err, "error: %s\n", msg);
            r->rc = 1;
        } else {
            r->rc = 1;
        }
        fflush(r->cfg->out);
    }
}

/* kubectl's default prune allowlist (without the deprecated ones the server may not serve). */
static const char *const prune_types[] = { "configmaps",
                                           "endpoints",
                                           "namespaces",
                                           "persistentvolumeclaims",
                                           "persistentvolumes",
                                           "pods",
                                           "replicationcontrollers",
                                           "secrets",
                                           "services",
                                           "jobs.batch",
                                           "cronjobs.batch",
                                           "ingresses.networking.k8s.io",
                                           "daemonsets.apps",
                                           "deployments.apps",
                                           "replicasets.apps",
                                           "statefulsets.apps" };

static bool
was_applied(const struct run *r, const struct kctl_resource *res, const char *ns, const char *name)
{
    for (size_t i = 0; i < r->ndone; i++) {
        const struct kctl_target *t = r->done[i].t;
        if (strcmp(t->r.group, res->group) == 0 && strcmp(t->r.resource, res->resource) == 0 &&
            strcmp(t->name, name) == 0 && (!res->namespaced || strcmp(t->ns, ns) == 0))
            return true;
    }
    return false;
}

/* --prune: objects of the allowlist kinds that match the selector, carry the last-applied annotation (were made
 * by apply) and were not in this apply are deleted, in the namespaces the applied objects were in. */
static void
prune(struct run *r)
{
    struct kctl_config *cfg = r->cfg;
    char nss[32][256];
    size_t nns = 0;
    for (size_t i = 0; i < r->ndone; i++) {
        const char *ns = r->done[i].t->ns;
        bool seen = false;
        for (size_t j = 0; j < nns; j++)
            seen |= strcmp(nss[j], ns) == 0;
        if (!seen && ns[0] && nns < 32)
            snprintf(nss[nns++], sizeof(nss[0]), "%s", ns);
    }
    if (nns == 0)
        snprintf(nss[nns++], sizeof(nss[0]), "%s", kctl_client_namespace(r->c));
    char esc[1024] = "";
    if (cfg->selector)
        kctl_escape(cfg->selector, esc, sizeof(esc));
    for (size_t k = 0; k < sizeof(prune_types) / sizeof(prune_types[0]); k++) {
        struct kctl_resource res;
        char *text = NULL;
        size_t tlen;
        FILE *saved = cfg->err, *mem = open_memstream(&text, &tlen);
        if (mem)
            cfg->err = mem;
        int rc = kctl_resolve(r->c, prune_types[k], &res); /* a kind the server does not serve is skipped */
        cfg->err = saved;
        if (mem)
            fclose(mem);
        free(text);
        if (rc != 0)
            continue;
        for (size_t j = 0; j < (res.namespaced ? nns : 1); j++) {
            char path[2048];
            if (kctl_resource_path(&res, res.namespaced ? nss[j] : NULL, NULL, NULL, path, sizeof(path)) != 0)
                continue;
            if (esc[0])
                strncat(strncat(path, "?labelSelector=", sizeof(path) - strlen(path) - 1), esc,
                        sizeof(path) - strlen(path) - 1);
            json_t *list;
            if (kctl_request_json(r->c, "GET", path, NULL, NULL, &list) != 0) {
                r->rc = 1;
                continue;
            }
            size_t i;
            json_t *item;
            json_array_foreach(json_object_get(list, "items"), i, item)
            {
                const char *name = kc_json_get_string(item, "metadata.name");
                const char *ins = kc_json_get_string(item, "metadata.namespace");
                if (!name ||
                    !kc_json_get_string(item, "metadata.annotations.kubectl\\.kubernetes\\.io/"
                                              "last-applied-configuration") ||
                    was_applied(r, &res, ins ? ins : "", name))
                    continue;
                struct kctl_target t = { .r = res };
                snprintf(t.ns, sizeof(t.ns), "%s", ins ? ins : "");
                snprintf(t.name, sizeof(t.name), "%s", name);
                char opath[2048], q[256], oname[600];
                kctl_target_path(&t, NULL, opath, sizeof(opath));
                kctl_write_query(cfg, r->dry, NULL, false, q, sizeof(q));
                strncat(opath, q, sizeof(opath) - strlen(opath) - 1);
                if (r->dry == KCTL_DRY_CLIENT || kctl_request_json(r->c, "DELETE", opath, NULL, NULL, NULL) == 0) {
                    kctl_target_name(&t, oname, sizeof(oname));
                    fprintf(cfg->out, "%s pruned%s\n", oname, kctl_dry_run_suffix(r->dry));
                } else {
                    r->rc = 1;
                }
            }
            json_decref(list);
        }
    }
}

int
kctl_cmd_apply(struct kctl_config *cfg)
{
    struct run r = { .cfg = cfg };
    if (cfg->filenames.n == 0) {
        fprintf(cfg->err, "error: must specify one of -f and -k\n");
        return 1;
    }
    if (cfg->nargs > 0) {
        fprintf(cfg->err, "error: Unexpected args: [%s%s]\nSee 'kctl apply -h' for help and examples\n", cfg->args[0],
                cfg->nargs > 1 ? " ..." : "");
        return 1;
    }
    if (kctl_dry_run_mode(cfg, &r.dry) != 0)
        return 1;
    if (cfg->output && *cfg->output) {
        if (strcmp(cfg->output, "name") != 0 && strcmp(cfg->output, "yaml") != 0 && strcmp(cfg->output, "json") != 0) {
            fprintf(cfg->err,
                    "error: unable to match a printer suitable for the output format \"%s\", allowed "
                    "formats are: json,name,yaml\n",
                    cfg->output);
            return 1;
        }
        r.output = cfg->output;
    }
    if (cfg->force_conflicts && !cfg->server_side) {
        fprintf(cfg->err, "error: --force-conflicts only works with --server-side\n");
        return 1;
    }
    if (cfg->server_side && r.dry == KCTL_DRY_CLIENT) {
        fprintf(cfg->err, "error: --dry-run=client doesn't work with --server-side (did you mean --dry-run=server "
                          "instead?)\n");
        return 1;
    }
    if (cfg->prune && !(cfg->selector && *cfg->selector) && !cfg->all) {
        fprintf(cfg->err, "error: all resources selected for prune without explicitly passing --all. To prune all "
                          "resources, pass the --all flag. If you did not mean to prune all resources, specify a label "
                          "selector\n");
        return 1;
    }
    long long timeout = -1;
    if (cfg->timeout && (kctl_parse_duration(cfg->timeout, &timeout) != 0)) {
        fprintf(cfg->err, "error: invalid argument \"%s\" for \"--timeout\" flag: time: invalid duration \"%s\"\n",
                cfg->timeout, cfg->timeout);
        return 1;
    }
    if (timeout == 0)
        timeout = -1;
    if (kctl_client_new(cfg, &r.c) != 0)
        return 1;
    struct kctl_targets t = { 0 };
    /* the selector of --prune is not a filter of the manifests here */
    const char *sel = cfg->selector;
    cfg->selector = NULL;
    r.rc = kctl_targets_collect(r.c, &t, 0);
    cfg->selector = sel;
    if (r.rc != 0 && t.n == 0 && t.m.n == 0) {
        kctl_targets_close(&t);
        kctl_client_free(r.c);
        return 1;
    }
    for (size_t i = 0; i < t.n; i++) {
        const struct kctl_target *x = &t.v[i];
        if (!x->name[0]) {
            char info[1200], label[1200];
            info_string(x, info, sizeof(info));
            kctl_source_label(x->src, label, sizeof(label));
            fprintf(cfg->err,
                    "error: error when retrieving current configuration of:\n%s\nfrom server for: %s: resource name "
                    "may not be empty\n",
                    info, label);
            r.rc = 1;
            continue;
        }
        if (cfg->server_side)
            apply_server_side(&r, x);
        else
            apply_client_side(&r, x);
    }
    if (cfg->prune)
        prune(&r);
    if (r.output && strcmp(r.output, "name") != 0 && r.ndone > 0) {
        json_t *items = json_array();
        for (size_t i = 0; i < r.ndone; i++)
            if (r.done[i].obj)
                json_array_append(items, r.done[i].obj);
        kctl_write_print(cfg, r.output, items);
        json_decref(items);
    }
    if (cfg->wait && r.dry == KCTL_DRY_NONE)
        wait_ready(&r, timeout);
    for (size_t i = 0; i < r.ndone; i++)
        json_decref(r.done[i].obj);
    free(r.done);
    kctl_targets_close(&t);
    kctl_client_free(r.c);
    return r.rc ? 1 : 0;
}
