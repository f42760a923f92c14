/* cmd_misc.c - the small commands: api-resources, cluster-info, explain (from /openapi/v3), auth whoami|can-i
 * (SelfSubject reviews), top pods|nodes (metrics.k8s.io), completion bash|zsh, each printing what kubectl prints. */
#include "kctl.h"
#include "kctl_print.h"
#include "kc_fault.h"
#include "kc_quantity.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* --- api-resources ------------------------------------------------------------------------------------------- */

static const char *sort_field;

static int
cmp_api_resource(const void *a, const void *b)
{
    const struct kctl_api_resource *x = *(const struct kctl_api_resource *const *)a;
    const struct kctl_api_resource *y = *(const struct kctl_api_resource *const *)b;
    int c;
    if (sort_field && strcmp(sort_field, "name") == 0)
        c = strcmp(x->r.resource, y->r.resource);
    else if (sort_field && strcmp(sort_field, "kind") == 0)
        c = strcmp(x->r.kind, y->r.kind);
    else
        c = strcmp(x->r.group, y->r.group);
    if (c != 0)
        return c;
    c = strcmp(x->r.resource, y->r.resource);
    /* stable: the discovery order decides ties */
    return c != 0 ? c : (x < y ? -1 : x > y);
}

static void
join(const json_t *arr, char *buf, size_t len)
{
    buf[0] = '\0';
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v)
        snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? "," : "", json_string_value(v) ?: "");
}

int
kctl_cmd_api_resources(struct kctl_config *cfg)
{
    const char *o = cfg->output;
    if (o && strcmp(o, "wide") != 0 && strcmp(o, "name") != 0) {
        fprintf(cfg->err, "error: --output %s is not available\n", o);
        return 1;
    }
    if (cfg->namespaced && strcmp(cfg->namespaced, "true") != 0 && strcmp(cfg->namespaced, "false") != 0) {
        fprintf(cfg->err,
                "error: invalid argument \"%s\" for \"--namespaced\" flag: strconv.ParseBool: parsing "
                "\"%s\": invalid syntax\n",
                cfg->namespaced, cfg->namespaced);
        return 1;
    }
    if (cfg->sort_by && strcmp(cfg->sort_by, "name") != 0 && strcmp(cfg->sort_by, "kind") != 0) {
        fprintf(cfg->err, "error: --sort-by accepts only name or kind\n");
        return 1;
    }
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    const struct kctl_api_resource *all;
    size_t n;
    if (kctl_discover_all(c, &all, &n) != 0) {
        kctl_client_free(c);
        return 1;
    }
    const struct kctl_api_resource **v = kc_calloc(n ? n : 1, sizeof(*v));
    size_t k = 0;
    for (size_t i = 0; v && i < n; i++) {
        const json_t *verbs = json_object_get(all[i].entry, "verbs");
        if (!json_array_size(verbs))
            continue; /* kubectl hides entries without verbs */
        if (cfg->namespaced && all[i].r.namespaced != (strcmp(cfg->namespaced, "true") == 0))
            continue;
        if (cfg->api_group && strcmp(cfg->api_group, all[i].r.group) != 0)
            continue;
        v[k++] = &all[i];
    }
    sort_field = cfg->sort_by;
    qsort(v, k, sizeof(*v), cmp_api_resource);
    struct kctl_tabwriter *tw = kctl_tabwriter_new(cfg->out);
    bool wide = o && strcmp(o, "wide") == 0;
    if (o && strcmp(o, "name") == 0) {
        for (size_t i = 0; i < k; i++)
            fprintf(cfg->out, "%s%s%s\n", v[i]->r.resource, v[i]->r.group[0] ? "." : "", v[i]->r.group);
    } else {
        if (!cfg->no_headers)
            kctl_tabwriter_printf(tw, "NAME\tSHORTNAMES\tAPIVERSION\tNAMESPACED\tKIND%s\n",
                                  wide ? "\tVERBS\tCATEGORIES" : "");
        for (size_t i = 0; i < k; i++) {
            char shorts[256], verbs[512], cats[256];
            join(json_object_get(v[i]->entry, "shortNames"), shorts, sizeof(shorts));
            kctl_tabwriter_printf(tw, "%s\t%s\t%s%s%s\t%s\t%s", v[i]->r.resource, shorts, v[i]->r.group,
                                  v[i]->r.group[0] ? "/" : "", v[i]->r.version, v[i]->r.namespaced ? "true" : "false",
                                  v[i]->r.kind);
            if (wide) {
                join(json_object_get(v[i]->entry, "verbs"), verbs, sizeof(verbs));
                join(json_object_get(v[i]->entry, "categories"), cats, sizeof(cats));
                kctl_tabwriter_printf(tw, "\t%s\t%s", verbs, cats);
            }
            kctl_tabwriter_write(tw, "\n", 1);
        }
    }
    kctl_tabwriter_free(tw);
    free(v);
    kctl_client_free(c);
    return 0;
}

/* --- cluster-info -------------------------------------------------------------------------------------------- */

int
kctl_cmd_cluster_info(struct kctl_config *cfg)
{
    if (cfg->nargs > 0 && strcmp(cfg->args[0], "dump") == 0) {
        fprintf(cfg->err, "error: kctl cluster-info dump is not built yet\n");
        return 1;
    }
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    const char *ns = cfg->ov.namespace ? cfg->ov.namespace : "kube-system";
    char ens[256], path[512];
    kctl_escape(ns, ens, sizeof(ens));
    snprintf(path, sizeof(path),
             "/api/v1/namespaces/%s/services?labelSelector=kubernetes.io%%2Fcluster-service%%3Dtrue", ens);
    json_t *list = NULL;
    int rc = kctl_request_json(c, "GET", path, NULL, NULL, &list);
    if (rc == 0) {
        const char *server = kctl_client_server(c);
        fprintf(cfg->out, "Kubernetes control plane is running at %s\n", server);
        size_t i;
        json_t *svc;
        json_array_foreach(json_object_get(list, "items"), i, svc)
        {
            json_t *meta = json_object_get(svc, "metadata");
            const char *name =
                json_string_value(json_object_get(json_object_get(meta, "labels"), "kubernetes.io/name"));
            const char *sname = json_string_value(json_object_get(meta, "name"));
            fprintf(cfg->out, "%s is running at %s/api/v1/namespaces/%s/services/%s/proxy\n", name ? name : sname,
                    server, ns, sname ? sname : "");
        }
    }
    fprintf(cfg->out, "\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n");
    json_decref(list);
    kctl_client_free(c);
    return rc;
}

/* --- auth ---------------------------------------------------------------------------------------------------- */

static int
print_review(struct kctl_config *cfg, json_t *doc)
{
    if (cfg->output && strcmp(cfg->output, "json") == 0)
        return kctl_print_json(doc, cfg->out) ? 1 : 0;
    if (cfg->output && strcmp(cfg->output, "yaml") == 0)
        return kctl_print_yaml(doc, cfg->out) ? 1 : 0;
    return -1;
}

int
kctl_cmd_auth_whoami(struct kctl_config *cfg)
{
    if (cfg->output && strcmp(cfg->output, "json") != 0 && strcmp(cfg->output, "yaml") != 0) {
        fprintf(cfg->err,
                "error: unable to match a printer suitable for the output format \"%s\", allowed formats "
                "are: json,yaml\n",
                cfg->output);
        return 1;
    }
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    json_t *body =
        json_pack("{s:s,s:s,s:{}}", "apiVersion", "authentication.k8s.io/v1", "kind", "SelfSubjectReview", "metadata");
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct kctl_response resp;
    int rc = kctl_request(c, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", NULL, text,
                          text ? strlen(text) : 0, NULL, &resp);
    free(text);
    if (rc != 0) {
        kctl_client_free(c);
        return 1;
    }
    if (resp.status == 404) {
        fprintf(cfg->err, "error: the selfsubjectreviews API is not enabled in the cluster\nenable "
                          "APISelfSubjectReview feature gate and authentication.k8s.io/v1alpha1 or "
                          "authentication.k8s.io/v1beta1 API\n");
        rc = 1;
    } else if (resp.status < 200 || resp.status > 299) {
        kctl_print_error(cfg, &resp);
        rc = 1;
    } else {
        json_t *doc = resp.body ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
        int prc = print_review(cfg, doc);
        if (prc >= 0) {
            rc = prc;
        } else {
            json_t *ui = json_object_get(json_object_get(doc, "status"), "userInfo");
            struct kctl_tabwriter *tw = kctl_tabwriter_new(cfg->out);
            kctl_tabwriter_printf(tw, "ATTRIBUTE\tVALUE\n");
            const char *u = json_string_value(json_object_get(ui, "username"));
            const char *uid = json_string_value(json_object_get(ui, "uid"));
            if (u && *u)
                kctl_tabwriter_printf(tw, "Username\t%s\n", u);
            if (uid && *uid)
                kctl_tabwriter_printf(tw, "UID\t%s\n", uid);
            if (json_array_size(json_object_get(ui, "groups"))) {
                char *s = NULL;
                size_t n = 0;
                FILE *m = open_memstream(&s, &n);
                kctl_go_sprint(json_object_get(ui, "groups"), m);
                fclose(m);
                kctl_tabwriter_printf(tw, "Groups\t%s\n", s);
                free(s);
            }
            json_t *extra = json_object_get(ui, "extra");
            const char *key;
            json_t *val;
            json_object_foreach(extra, key, val)
            {
                char *s = NULL;
                size_t n = 0;
                FILE *m = open_memstream(&s, &n);
                kctl_go_sprint(val, m);
                fclose(m);
                kctl_tabwriter_printf(tw, "Extra: %s\t%s\n", key, s);
                free(s);
            }
            kctl_tabwriter_free(tw);
        }
        json_decref(doc);
    }
    kctl_response_free(&resp);
    kctl_client_free(c);
    return rc;
}

/* --- can-i --list: the rules table (pure) ---------------------------------------------------------------- */

/* One broken-down rule: at most one group, resource, verb and name, or one non-resource URL and verb; verbs grow
 * when CompactRules merges rules that differ only by verb. */
struct rule {
    json_t *verbs, *groups, *resources, *names, *urls; /* arrays (owned) */
    char *key;                                         /* PolicyRule.String(), the sort key (owned) */
};

/* Go's %v of a []string: "[a b]" (NULL or empty: "[]"). */
static void
go_list(FILE *out, const json_t *arr)
{
    fputc('[', out);
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v) fprintf(out, "%s%s", i ? " " : "", json_string_value(v) ?: "");
    fputc(']', out);
}

/* rbacv1.PolicyRule's generated String(), which SortableRuleSlice compares. */
static char *
rule_key(const struct rule *r)
{
    char *s = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&s, &n);
    if (!m)
        return NULL;
    fputs("&PolicyRule{Verbs:", m);
    go_list(m, r->verbs);
    fputs(",APIGroups:", m);
    go_list(m, r->groups);
    fputs(",Resources:", m);
    go_list(m, r->resources);
    fputs(",ResourceNames:", m);
    go_list(m, r->names);
    fputs(",NonResourceURLs:", m);
    go_list(m, r->urls);
    fputs(",}", m);
    fclose(m);
    return s;
}

static int
cmp_rule(const void *a, const void *b)
{
    const struct rule *x = a, *y = b;
    int c = strcmp(x->key ? x->key : "", y->key ? y->key : "");
    return c ? c : (x < y ? -1 : x > y); /* sort.Stable: the earlier one first */
}

/* True for a rule CompactRules may merge: one group, one resource, at most one name, no URLs. */
static bool
simple(const struct rule *r)
{
    return json_array_size(r->names) <= 1 && !json_array_size(r->urls) && json_array_size(r->groups) == 1 &&
           json_array_size(r->resources) == 1;
}

static bool
same_resource(const struct rule *a, const struct rule *b)
{
    return json_equal(a->groups, b->groups) && json_equal(a->resources, b->resources) &&
           json_array_size(a->names) == json_array_size(b->names) && json_equal(a->names, b->names);
}

/* Appends one broken-down rule (the arrays are taken over). Returns 0 or -ENOMEM. */
static int
add_rule(struct rule **v, size_t *n, size_t *cap, json_t *verbs, json_t *groups, json_t *resources, json_t *names,
         json_t *urls)
{
    if (*n == *cap) {
        struct rule *g = kc_realloc(*v, 2 * *cap * sizeof(**v));
        if (!g) {
            json_decref(verbs), json_decref(groups), json_decref(resources), json_decref(names), json_decref(urls);
            return -ENOMEM;
        }
        *v = g;
        *cap *= 2;
    }
    (*v)[(*n)++] = (struct rule){ verbs, groups, resources, names, urls, NULL };
    return 0;
}

int
kctl_can_i_table(const json_t *status, bool no_headers, FILE *out)
{
    size_t cap = 16, n = 0;
    struct rule *v = kc_calloc(cap, sizeof(*v));
    if (!v)
        return -ENOMEM;
    int rc = 0;
    /* convertToPolicyRule, then BreakdownRule: one rule per group x resource x verb (x name), and one per URL x
     * verb */
    size_t i, g, r, k, m;
    const json_t *pr, *gv, *rv, *vv, *nv;
    json_array_foreach(json_object_get(status, "resourceRules"), i, pr)
    {
        const json_t *names = json_object_get(pr, "resourceNames");
        json_array_foreach(json_object_get(pr, "apiGroups"), g, gv)
            json_array_foreach(json_object_get(pr, "resources"), r, rv)
                json_array_foreach(json_object_get(pr, "verbs"), k, vv)
        {
            if (!json_array_size(names)) {
                rc = add_rule(&v, &n, &cap, json_pack("[O]", vv), json_pack("[O]", gv), json_pack("[O]", rv),
                              json_array(), json_array());
                if (rc)
                    goto out;
            }
            json_array_foreach(names, m, nv)
            {
                rc = add_rule(&v, &n, &cap, json_pack("[O]", vv), json_pack("[O]", gv), json_pack("[O]", rv),
                              json_pack("[O]", nv), json_array());
                if (rc)
                    goto out;
            }
        }
    }
    json_array_foreach(json_object_get(status, "nonResourceRules"), i, pr)
        json_array_foreach(json_object_get(pr, "nonResourceURLs"), g, gv)
            json_array_foreach(json_object_get(pr, "verbs"), k, vv)
    {
        rc = add_rule(&v, &n, &cap, json_pack("[O]", vv), json_array(), json_array(), json_array(),
                      json_pack("[O]", gv));
        if (rc)
            goto out;
    }
    /* CompactRules: simple rules of the same group/resource/name collect their verbs into the first of them;
     * the others stay as they are (their order does not matter: the table is sorted next) */
    size_t kept = 0;
    for (i = 0; i < n; i++) {
        bool merged = false;
        if (simple(&v[i])) {
            for (size_t x = 0; x < kept && !merged; x++) {
                if (simple(&v[x]) && same_resource(&v[x], &v[i])) {
                    /* kubectl 1.33 keeps each verb once, in the order first seen */
                    size_t vi;
                    const json_t *verb;
                    json_array_foreach(v[i].verbs, vi, verb)
                    {
                        bool seen = false;
                        size_t vk;
                        const json_t *have;
                        json_array_foreach(v[x].verbs, vk, have) seen = seen || json_equal(have, verb);
                        if (!seen)
                            json_array_append(v[x].verbs, (json_t *)verb);
                    }
                    merged = true;
                }
            }
        }
        if (merged) {
            json_decref(v[i].verbs);
            json_decref(v[i].groups);
            json_decref(v[i].resources);
            json_decref(v[i].names);
            json_decref(v[i].urls);
        } else {
            v[kept++] = v[i];
        }
    }
    n = kept;
    for (i = 0; i < n; i++)
        v[i].key = rule_key(&v[i]);
    qsort(v, n, sizeof(*v), cmp_rule);
    struct kctl_tabwriter *tw = kctl_tabwriter_new(out);
    if (!tw) {
        rc = -ENOMEM;
        goto out;
    }
    if (!no_headers)
        kctl_tabwriter_printf(tw, "Resources\tNon-Resource URLs\tResource Names\tVerbs\n");
    for (i = 0; i < n; i++) {
        /* CombineResourceGroup: resource[.group][/subresource] */
        char res[512] = "";
        const char *r0 = json_string_value(json_array_get(v[i].resources, 0));
        const char *g0 = json_string_value(json_array_get(v[i].groups, 0));
        if (r0) {
            const char *sl = strchr(r0, '/');
            snprintf(res, sizeof(res), "%.*s%s%s%s", (int)(sl ? (size_t)(sl - r0) : strlen(r0)), r0,
                     g0 && *g0 ? "." : "", g0 && *g0 ? g0 : "", sl ? sl : "");
        }
        char *cells = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&cells, &len);
        if (!mem)
            continue;
        fprintf(mem, "%s\t", res);
        go_list(mem, v[i].urls);
        fputc('\t', mem);
        go_list(mem, v[i].names);
        fputc('\t', mem);
        go_list(mem, v[i].verbs);
        fputc('\n', mem);
        fclose(mem);
        kctl_tabwriter_write(tw, cells, len);
        free(cells);
    }
    kctl_tabwriter_free(tw);
out:
    for (i = 0; i < n; i++) {
        json_decref(v[i].verbs);
        json_decref(v[i].groups);
        json_decref(v[i].resources);
        json_decref(v[i].names);
        json_decref(v[i].urls);
        free(v[i].key);
    }
    free(v);
    return rc;
}

static int
can_i_list(struct kctl_config *cfg)
{
    if (cfg->nargs != 0) {
        fprintf(cfg->err, "error: list option must be specified with no arguments\n");
        return 1;
    }
    if (cfg->quiet || cfg->all_namespaces || cfg->subresource) {
        fprintf(cfg->err, "error: list option can't be specified with neither quiet, all-namespaces nor subresource "
                          "options\n");
        return 1;
    }
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    json_t *body = json_pack("{s:s,s:s,s:{},s:{s:s}}", "apiVersion", "authorization.k8s.io/v1", "kind",
                             "SelfSubjectRulesReview", "metadata", "spec", "namespace", kctl_client_namespace(c));
    json_t *reply = NULL;
    int rc = kctl_request_json(c, "POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", NULL, body, &reply);
    json_decref(body);
    if (rc == 0) {
        const json_t *st = json_object_get(reply, "status");
        if (json_is_true(json_object_get(st, "incomplete")))
            fprintf(cfg->err, "Warning: the list may be incomplete: %s\n",
                    json_string_value(json_object_get(st, "evaluationError")) ?: "");
        rc = kctl_can_i_table(st, cfg->no_headers, cfg->out) == 0 ? 0 : 1;
    }
    json_decref(reply);
    kctl_client_free(c);
    return rc;
}

static bool
known_verb(const char *verb, bool non_resource)
{
    static const char *const resource_verbs[] = { "get",     "list",  "watch",       "create",
                                                  "update",  "patch", "delete",      "deletecollection",
                                                  "use",     "bind",  "impersonate", "*",
                                                  "approve", "sign",  "escalate",    "attest" };
    static const char *const url_verbs[] = { "get", "put", "post", "head", "options", "delete", "patch", "*" };
    const char *const *v = non_resource ? url_verbs : resource_verbs;
    size_t n =
        non_resource ? sizeof(url_verbs) / sizeof(url_verbs[0]) : sizeof(resource_verbs) / sizeof(resource_verbs[0]);
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], verb) == 0)
            return true;
    return false;
}

int
kctl_cmd_auth_can_i(struct kctl_config *cfg)
{
    if (cfg->list)
        return can_i_list(cfg);
    if (cfg->nargs != 2) {
        fprintf(cfg->err, "error: you must specify two arguments: verb resource or verb resource/resourceName.\nSee "
                          "'kctl auth can-i -h' for help and examples.\n");
        return 1;
    }
    const char *verb = cfg->args[0], *what = cfg->args[1];
    if (what[0] == '/' && cfg->subresource) {
        fprintf(cfg->err, "error: --subresource can not be used with NonResourceURL\n");
        return 1;
    }
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    json_t *spec;
    if (what[0] == '/') {
        if (cfg->no_headers) {
            fprintf(cfg->err, "error: --no-headers cannot be set without --list specified\n");
            kctl_client_free(c);
            return 1;
        }
        if (!known_verb(verb, true))
            fprintf(cfg->err, "Warning: verb '%s' is not a known verb\n\n", verb);
        spec = json_pack("{s:{s:s,s:s}}", "nonResourceAttributes", "path", what, "verb", verb);
    } else {
        char type[256], name[256] = "";
        const char *slash = strchr(what, '/');
        snprintf(type, sizeof(type), "%.*s", (int)(slash ? (size_t)(slash - what) : strlen(what)), what);
        if (slash)
            snprintf(name, sizeof(name), "%s", slash + 1);
        struct kctl_resource r;
        char group[128] = "", resource[256];
        snprintf(resource, sizeof(resource), "%s", type);
        /* a type the server does not know is asked about as written, with kubectl's warning */
        bool resolved = false;
        if (strcmp(type, "*") != 0) {
            FILE *saved = cfg->err;
            char *sink = NULL;
            size_t sinklen = 0;
            cfg->err = open_memstream(&sink, &sinklen);
            int rrc = cfg->err ? kctl_resolve(c, type, &r) : 1;
            if (cfg->err)
                fclose(cfg->err);
            cfg->err = saved;
            free(sink);
            if (rrc == 0) {
                resolved = true;
                snprintf(group, sizeof(group), "%s", r.group);
                snprintf(resource, sizeof(resource), "%s", r.resource);
            } else {
                /* schema.ParseResourceArg of the lower-cased argument: "res.group" or "res.version.group" */
                char lower[256];
                size_t k = 0;
                for (; type[k] && k + 1 < sizeof(lower); k++)
                    lower[k] = (char)tolower((unsigned char)type[k]);
                lower[k] = '\0';
                char *dot = strchr(lower, '.');
                if (dot) {
                    *dot = '\0';
                    fprintf(cfg->err, "Warning: the server doesn't have a resource type '%s' in group '%s'\n\n", lower,
                            dot + 1);
                } else {
                    fprintf(cfg->err, "Warning: the server doesn't have a resource type '%s'\n\n", lower);
                }
            }
        }
        if (cfg->no_headers) {
            fprintf(cfg->err, "error: --no-headers cannot be set without --list specified\n");
            kctl_client_free(c);
            return 1;
        }
        if (resolved && !cfg->all_namespaces && !r.namespaced) {
            if (r.group[0])
                fprintf(cfg->err, "Warning: resource '%s' is not namespace scoped in group '%s'\n\n", r.resource,
                        r.group);
            else
                fprintf(cfg->err, "Warning: resource '%s' is not namespace scoped\n\n", r.resource);
        }
        if (!known_verb(verb, false))
            fprintf(cfg->err, "Warning: verb '%s' is not a known verb\n\n", verb);
        json_t *ra = json_pack("{s:s,s:s,s:s}", "verb", verb, "group", group, "resource", resource);
        if (!cfg->all_namespaces)
            json_object_set_new(ra, "namespace", json_string(kctl_client_namespace(c)));
        if (*name)
            json_object_set_new(ra, "name", json_string(name));
        if (cfg->subresource)
            json_object_set_new(ra, "subresource", json_string(cfg->subresource));
        spec = json_pack("{s:o}", "resourceAttributes", ra);
    }
    json_t *body = json_pack("{s:s,s:s,s:{},s:o}", "apiVersion", "authorization.k8s.io/v1", "kind",
                             "SelfSubjectAccessReview", "metadata", "spec", spec);
    json_t *reply = NULL;
    int rc = kctl_request_json(c, "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", NULL, body, &reply);
    json_decref(body);
    if (rc == 0) {
        json_t *st = json_object_get(reply, "status");
        bool allowed = json_is_true(json_object_get(st, "allowed"));
        if (!cfg->quiet) {
            if (allowed) {
                fprintf(cfg->out, "yes\n");
            } else {
                fprintf(cfg->out, "no");
                const char *reason = json_string_value(json_object_get(st, "reason"));
                const char *ev = json_string_value(json_object_get(st, "evaluationError"));
                if (reason && *reason)
                    fprintf(cfg->out, " - %s", reason);
                if (ev && *ev)
                    fprintf(cfg->out, " - %s", ev);
                fprintf(cfg->out, "\n");
            }
        }
        rc = allowed ? 0 : 1;
    }
    json_decref(reply);
    kctl_client_free(c);
    return rc;
}

/* --- top ----------------------------------------------------------------------------------------------------- */

static int
metrics_available(struct kctl_client *c, struct kctl_config *cfg)
{
    struct kctl_response resp;
    if (kctl_request(c, "GET", "/apis/metrics.k8s.io/v1beta1", NULL, NULL, 0, NULL, &resp) != 0)
        return -1;
    int ok = resp.status == 200;
    kctl_response_free(&resp);
    if (!ok)
        fprintf(cfg->err, "error: Metrics API not available\n");
    return ok ? 1 : 0;
}

static void
usage_cell(const json_t *usage, const char *res, char *buf, size_t len)
{
    struct kc_quantity q;
    if (!json_object_get(usage, res) || kc_quantity_from_json(json_object_get(usage, res), &q, NULL, 0) != 0) {
        snprintf(buf, len, "0");
        return;
    }
    if (strcmp(res, "cpu") == 0)
        snprintf(buf, len, "%lldm", (long long)kc_quantity_milli_value(&q));
    else
        snprintf(buf, len, "%lldMi", (long long)(kc_quantity_value(&q) / (1024 * 1024)));
}

int
kctl_cmd_top(struct kctl_config *cfg)
{
    const char *what = cfg->nargs > 0 ? cfg->args[0] : NULL;
    bool nodes = what && (strcmp(what, "nodes") == 0 || strcmp(what, "node") == 0 || strcmp(what, "no") == 0);
    bool pods = what && (strcmp(what, "pods") == 0 || strcmp(what, "pod") == 0 || strcmp(what, "po") == 0);
    if (!nodes && !pods) {
        fprintf(cfg->err, "Display resource (CPU/memory) usage.\n\nAvailable Commands:\n  node          Display "
                          "resource (CPU/memory) usage of nodes\n  pod           Display resource (CPU/memory) usage "
                          "of pods\n\nUsage:\n  kctl top [flags] [options]\n");
        return what ? 1 : 0;
    }
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    int rc = 1;
    int avail = metrics_available(c, cfg);
    if (avail == 1) {
        char path[512], ens[256];
        kctl_escape(kctl_client_namespace(c), ens, sizeof(ens));
        if (nodes)
            snprintf(path, sizeof(path), "/apis/metrics.k8s.io/v1beta1/nodes");
        else if (cfg->all_namespaces)
            snprintf(path, sizeof(path), "/apis/metrics.k8s.io/v1beta1/pods");
        else
            snprintf(path, sizeof(path), "/apis/metrics.k8s.io/v1beta1/namespaces/%s/pods", ens);
        json_t *list = NULL;
        rc = kctl_request_json(c, "GET", path, NULL, NULL, &list);
        if (rc == 0) {
            struct kctl_tabwriter *tw = kctl_tabwriter_new(cfg->out);
            json_t *items = json_object_get(list, "items");
            if (json_array_size(items) == 0 && pods) {
                fprintf(cfg->err, "No resources found in %s namespace.\n", kctl_client_namespace(c));
            } else {
                if (!cfg->no_headers)
                    kctl_tabwriter_printf(tw, "%sNAME\tCPU(cores)\t%sMEMORY(bytes)%s\n",
                                          pods && cfg->all_namespaces ? "NAMESPACE\t" : "", nodes ? "CPU(%)\t" : "",
                                          nodes ? "\tMEMORY(%)" : "");
                size_t i;
                json_t *it;
                json_array_foreach(items, i, it)
                {
                    json_t *meta = json_object_get(it, "metadata");
                    const char *name = json_string_value(json_object_get(meta, "name"));
                    char cpu[64], mem[64];
                    if (nodes) {
                        json_t *u = json_object_get(it, "usage");
                        usage_cell(u, "cpu", cpu, sizeof(cpu));
                        usage_cell(u, "memory", mem, sizeof(mem));
                        kctl_tabwriter_printf(tw, "%s\t%s\t<unknown>\t%s\t<unknown>\n", name ? name : "", cpu, mem);
                        continue;
                    }
                    /* a pod's usage is the sum over its containers */
                    long long mcpu = 0, bytes = 0;
                    size_t k;
                    json_t *ct;
                    json_array_foreach(json_object_get(it, "containers"), k, ct)
                    {
                        struct kc_quantity q;
                        json_t *u = json_object_get(ct, "usage");
                        if (kc_quantity_from_json(json_object_get(u, "cpu"), &q, NULL, 0) == 0)
                            mcpu += kc_quantity_milli_value(&q);
                        if (kc_quantity_from_json(json_object_get(u, "memory"), &q, NULL, 0) == 0)
                            bytes += kc_quantity_value(&q);
                    }
                    if (cfg->all_namespaces)
                        kctl_tabwriter_printf(tw, "%s\t", json_string_value(json_object_get(meta, "namespace")) ?: "");
                    kctl_tabwriter_printf(tw, "%s\t%lldm\t%lldMi\n", name ? name : "", mcpu, bytes / (1024 * 1024));
                }
            }
            kctl_tabwriter_free(tw);
        }
        json_decref(list);
    }
    kctl_client_free(c);
    return rc;
}

/* --- explain ------------------------------------------------------------------------------------------------- */

/* Follows a "$ref" (also inside a one-element allOf) to its schema in the document. */
static const json_t *
deref(const json_t *doc, const json_t *s)
{
    for (int depth = 0; s && depth < 8; depth++) {
        const char *ref = json_string_value(json_object_get(s, "$ref"));
        const json_t *all = json_object_get(s, "allOf");
        if (!ref && json_array_size(all) == 1)
            ref = json_string_value(json_object_get(json_array_get(all, 0), "$ref"));
        if (!ref || strncmp(ref, "#/components/schemas/", 21) != 0)
            return s;
        s = json_object_get(json_object_get(json_object_get(doc, "components"), "schemas"), ref + 21);
    }
    return s;
}

/* kubectl explain's type names: <string>, <integer>, <boolean>, <Object>, <[]string>, <map[string]string>, the
 * referenced schema's short name for objects (<PodSpec>). */
static void
type_name(const json_t *doc, const json_t *s, char *buf, size_t len)
{
    const char *ref = json_string_value(json_object_get(s, "$ref"));
    const json_t *all = json_object_get(s, "allOf");
    if (!ref && json_array_size(all) == 1)
        ref = json_string_value(json_object_get(json_array_get(all, 0), "$ref"));
    if (ref) {
        const char *dot = strrchr(ref, '.');
        const json_t *t = deref(doc, s);
        const char *tt = json_string_value(json_object_get(t, "type"));
        if (tt && strcmp(tt, "object") != 0) {
            snprintf(buf, len, "%s", tt);
            return;
        }
        snprintf(buf, len, "%s", dot ? dot + 1 : ref);
        return;
    }
    const char *t = json_string_value(json_object_get(s, "type"));
    if (t && strcmp(t, "array") == 0) {
        char inner[128];
        type_name(doc, json_object_get(s, "items"), inner, sizeof(inner));
        snprintf(buf, len, "[]%s", inner);
    } else if (t && strcmp(t, "object") == 0 && json_object_get(s, "additionalProperties")) {
        char inner[128];
        type_name(doc, json_object_get(s, "additionalProperties"), inner, sizeof(inner));
        snprintf(buf, len, "map[string]%s", inner);
    } else if (t && strcmp(t, "object") == 0) {
        snprintf(buf, len, "Object");
    } else {
        snprintf(buf, len, "%s", t ? t : "Object");
    }
}

/* Writes text word-wrapped to width at the given indentation, as kubectl's explain templates wrap. */
static void
wrap(FILE *out, const char *text, int indent, int width)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t plen = nl ? (size_t)(nl - p) : strlen(p);
        size_t col = 0;
        fprintf(out, "%*s", indent, "");
        const char *w = p, *end = p + plen;
        bool first = true;
        while (w < end) {
            while (w < end && *w == ' ')
                w++;
            const char *we = w;
            while (we < end && *we != ' ')
                we++;
            size_t wl = (size_t)(we - w);
            if (wl == 0)
                break;
            if (!first && col + 1 + wl > (size_t)(width - indent)) {
                fprintf(out, "\n%*s", indent, "");
                col = 0;
                first = true;
            }
            fprintf(out, "%s%.*s", first ? "" : " ", (int)wl, w);
            col += wl + (first ? 0 : 1);
            first = false;
            w = we;
        }
        fputc('\n', out);
        if (!nl)
            break;
        p = nl + 1;
    }
}

static bool
required(const json_t *parent, const char *name)
{
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(parent, "required"), i, v)
    {
        if (json_string_value(v) && strcmp(json_string_value(v), name) == 0)
            return true;
    }
    return false;
}

static void
explain_fields(FILE *out, const json_t *doc, const json_t *s, int indent, bool recursive, int depth)
{
    const json_t *props = json_object_get(s, "properties");
    size_t n = json_object_size(props);
    const char **keys = kc_calloc(n ? n : 1, sizeof(*keys));
    size_t k = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)props, key, v) keys[k++] = key;
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && strcmp(keys[j], keys[j - 1]) < 0; j--) {
            const char *t = keys[j];
            keys[j] = keys[j - 1];
            keys[j - 1] = t;
        }
    for (size_t i = 0; i < k; i++) {
        const json_t *f = json_object_get(props, keys[i]);
        char tn[160];
        type_name(doc, f, tn, sizeof(tn));
        fprintf(out, "%*s%s\t<%s>%s\n", indent, "", keys[i], tn, required(s, keys[i]) ? " -required-" : "");
        if (recursive) {
            const json_t *sub = deref(doc, f);
            if (json_is_array(json_object_get(sub, "type")) || !sub)
                continue;
            const char *t = json_string_value(json_object_get(sub, "type"));
            if (t && strcmp(t, "array") == 0)
                sub = deref(doc, json_object_get(sub, "items"));
            if (json_object_get(sub, "properties") && depth < 15)
                explain_fields(out, doc, sub, indent + 2, true, depth + 1);
        } else {
            const char *desc = json_string_value(json_object_get(f, "description"));
            if (!desc)
                desc = json_string_value(json_object_get(deref(doc, f), "description"));
            wrap(out, desc && *desc ? desc : "<no description>", indent + 2, 80);
            fputc('\n', out);
        }
    }
    free(keys);
}

int
kctl_cmd_explain(struct kctl_config *cfg)
{
    if (cfg->nargs != 1) {
        fprintf(cfg->err, "error: We accept only this format: explain RESOURCE\nSee 'kctl explain -h' for help and "
                          "examples\n");
        return 1;
    }
    char arg[512];
    snprintf(arg, sizeof(arg), "%s", cfg->args[0]);
    char *fields = strchr(arg, '.');
    /* "deployments.apps" would be ambiguous with a field path; kubectl reads the part up to the first dot as the type
     * unless --api-version says otherwise */
    if (fields)
        *fields++ = '\0';
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    struct kctl_resource r;
    int rc = 1;
    json_t *root = NULL, *doc = NULL;
    {
        /* kubectl explain says it without the "error: " prefix */
        FILE *saved = cfg->err;
        char *msg = NULL;
        size_t mlen = 0;
        cfg->err = open_memstream(&msg, &mlen);
        int rrc = cfg->err ? kctl_resolve(c, arg, &r) : 1;
        if (cfg->err)
            fclose(cfg->err);
        cfg->err = saved;
        if (rrc != 0) {
            fputs(msg && strncmp(msg, "error: the server doesn't have", 30) == 0 ? msg + 7 : msg ? msg : "", cfg->err);
            free(msg);
            goto out;
        }
        free(msg);
    }
    if (cfg->api_version) {
        const char *slash = strchr(cfg->api_version, '/');
        if (slash) {
            snprintf(r.group, sizeof(r.group), "%.*s", (int)(slash - cfg->api_version), cfg->api_version);
            snprintf(r.version, sizeof(r.version), "%s", slash + 1);
        } else {
            r.group[0] = '\0';
            snprintf(r.version, sizeof(r.version), "%s", cfg->api_version);
        }
    }
    struct kctl_response resp;
    if (kctl_request(c, "GET", "/openapi/v3", NULL, NULL, 0, NULL, &resp) != 0)
        goto out;
    if (resp.status != 200) {
        kctl_response_free(&resp);
        fprintf(cfg->err, "error: couldn't find resource for \"%s%s%s, Kind=%s\"\n", r.group, r.group[0] ? "/" : "/",
                r.version, r.kind);
        goto out;
    }
    root = resp.body ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
    kctl_response_free(&resp);
    char gvkey[256];
    if (r.group[0])
        snprintf(gvkey, sizeof(gvkey), "apis/%s/%s", r.group, r.version);
    else
        snprintf(gvkey, sizeof(gvkey), "api/%s", r.version);
    const char *url =
        json_string_value(json_object_get(json_object_get(json_object_get(root, "paths"), gvkey), "serverRelativeURL"));
    if (!url) {
        fprintf(cfg->err, "error: couldn't find resource for \"%s/%s, Kind=%s\"\n", r.group, r.version, r.kind);
        goto out;
    }
    if (kctl_request_json(c, "GET", url, NULL, NULL, &doc) != 0)
        goto out;
    /* the schema whose x-kubernetes-group-version-kind names this kind */
    const json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
    const json_t *schema = NULL;
    const char *key;
    json_t *s;
    json_object_foreach((json_t *)schemas, key, s)
    {
        size_t i;
        json_t *gvk;
        json_array_foreach(json_object_get(s, "x-kubernetes-group-version-kind"), i, gvk)
        {
            const char *g = json_string_value(json_object_get(gvk, "group"));
            const char *v = json_string_value(json_object_get(gvk, "version"));
            const char *k = json_string_value(json_object_get(gvk, "kind"));
            if (g && v && k && strcmp(g, r.group) == 0 && strcmp(v, r.version) == 0 && strcmp(k, r.kind) == 0)
                schema = s;
        }
    }
    if (!schema) {
        fprintf(cfg->err, "error: couldn't find resource for \"%s/%s, Kind=%s\"\n", r.group, r.version, r.kind);
        goto out;
    }
    FILE *o = cfg->out;
    if (r.group[0])
        fprintf(o, "GROUP:      %s\n", r.group);
    fprintf(o, "KIND:       %s\n", r.kind);
    fprintf(o, "VERSION:    %s\n\n", r.version);
    /* walk the field path; kubectl names the path's last element when any of it is missing */
    const json_t *cur = schema;
    char last[128] = "", final[128] = "";
    const json_t *last_schema = NULL;
    if (fields) {
        const char *dot = strrchr(fields, '.');
        snprintf(final, sizeof(final), "%s", dot ? dot + 1 : fields);
    }
    for (char *save = NULL, *f = fields ? strtok_r(fields, ".", &save) : NULL; f; f = strtok_r(NULL, ".", &save)) {
        const json_t *sub = deref(doc, cur);
        const char *t = json_string_value(json_object_get(sub, "type"));
        if (t && strcmp(t, "array") == 0)
            sub = deref(doc, json_object_get(sub, "items"));
        const json_t *next = json_object_get(json_object_get(sub, "properties"), f);
        if (!next) {
            fflush(o);
            fprintf(cfg->err, "error: field \"%s\" does not exist\n", final);
            goto out;
        }
        snprintf(last, sizeof(last), "%s", f);
        last_schema = next;
        cur = next;
    }
    if (last_schema) {
        char tn[160];
        type_name(doc, last_schema, tn, sizeof(tn));
        fprintf(o, "FIELD: %s <%s>\n\n\n", last, tn);
    }
    const json_t *body = deref(doc, cur);
    const char *desc = json_string_value(json_object_get(cur, "description"));
    if (!desc)
        desc = json_string_value(json_object_get(body, "description"));
    fprintf(o, "DESCRIPTION:\n");
    if (desc && *desc) {
        wrap(o, desc, 4, 80);
        fprintf(o, "    \n");
    } else {
        fprintf(o, "    <empty>\n");
    }
    const char *t = json_string_value(json_object_get(body, "type"));
    if (t && strcmp(t, "array") == 0)
        body = deref(doc, json_object_get(body, "items"));
    if (json_object_size(json_object_get(body, "properties"))) {
        fprintf(o, "FIELDS:\n");
        explain_fields(o, doc, body, 2, cfg->recursive_explain, 0);
    }
    fputc('\n', o);
    rc = 0;
out:
    json_decref(root);
    json_decref(doc);
    kctl_client_free(c);
    return rc;
}

/* --- completion ---------------------------------------------------------------------------------------------- */

static const char bash_completion[] =
    "# bash completion for kctl                                 -*- shell-script -*-\n"
    "# source <(kctl completion bash)\n"
    "__kctl_commands=\"api-resources annotate apply auth cluster-info completion config cordon create delete "
    "describe drain edit exec explain get label logs patch replace rollout scale top uncordon version wait\"\n"
    "__kctl_types() { kctl api-resources -o name 2>/dev/null | sed 's/\\..*$//'; }\n"
    "__kctl_names() { kctl get \"$1\" -o 'jsonpath={.items[*].metadata.name}' 2>/dev/null; }\n"
    "_kctl() {\n"
    "    local cur prev words cword\n"
    "    COMPREPLY=()\n"
    "    cur=\"${COMP_WORDS[COMP_CWORD]}\"\n"
    "    prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
    "    local cmd=\"\" type=\"\" i nargs=0\n"
    "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
    "        case \"${COMP_WORDS[i]}\" in\n"
    "        -n|--namespace|-o|--output|-l|--selector|-c|--container|--context|--kubeconfig) ((i++)); continue;;\n"
    "        -*) continue;;\n"
    "        esac\n"
    "        if [[ -z $cmd ]]; then cmd=\"${COMP_WORDS[i]}\"; elif [[ -z $type ]]; then type=\"${COMP_WORDS[i]}\"; "
    "fi\n"
    "        ((nargs++))\n"
    "    done\n"
    "    case \"$prev\" in\n"
    "    -n|--namespace) COMPREPLY=($(compgen -W \"$(__kctl_names namespaces)\" -- \"$cur\")); return;;\n"
    "    -o|--output) COMPREPLY=($(compgen -W \"json yaml wide name jsonpath= custom-columns=\" -- \"$cur\")); "
    "return;;\n"
    "    --context) COMPREPLY=($(compgen -W \"$(kctl config get-contexts -o name 2>/dev/null)\" -- \"$cur\")); "
    "return;;\n"
    "    esac\n"
    "    if [[ $cur == -* ]]; then\n"
    "        COMPREPLY=($(compgen -W \"--namespace --output --selector --all-namespaces --context --kubeconfig --help "
    "--watch --show-labels --no-headers --field-selector --sort-by --container --follow --tail --timestamps\" -- "
    "\"$cur\"))\n"
    "        return\n"
    "    fi\n"
    "    if [[ -z $cmd ]]; then COMPREPLY=($(compgen -W \"$__kctl_commands\" -- \"$cur\")); return; fi\n"
    "    case \"$cmd\" in\n"
    "    get|describe|delete|edit|label|annotate|patch|explain|scale|wait)\n"
    "        if [[ -z $type ]]; then COMPREPLY=($(compgen -W \"$(__kctl_types) all\" -- \"$cur\"));\n"
    "        else COMPREPLY=($(compgen -W \"$(__kctl_names \"$type\")\" -- \"$cur\")); fi;;\n"
    "    logs|exec) COMPREPLY=($(compgen -W \"$(__kctl_names pods)\" -- \"$cur\"));;\n"
    "    config) COMPREPLY=($(compgen -W \"view current-context get-contexts use-context set-context\" -- "
    "\"$cur\"));;\n"
    "    rollout) COMPREPLY=($(compgen -W \"status restart history undo\" -- \"$cur\"));;\n"
    "    auth) COMPREPLY=($(compgen -W \"whoami can-i\" -- \"$cur\"));;\n"
    "    top) COMPREPLY=($(compgen -W \"pods nodes\" -- \"$cur\"));;\n"
    "    completion) COMPREPLY=($(compgen -W \"bash zsh\" -- \"$cur\"));;\n"
    "    esac\n"
    "}\n"
    "complete -o default -F _kctl kctl\n";

int
kctl_cmd_completion(struct kctl_config *cfg)
{
    if (cfg->nargs != 1) {
        fprintf(cfg->err, "error: Shell not specified.\nSee 'kctl completion -h' for help and examples\n");
        return 1;
    }
    if (strcmp(cfg->args[0], "bash") == 0) {
        fputs(bash_completion, cfg->out);
        return 0;
    }
    if (strcmp(cfg->args[0], "zsh") == 0) {
        fputs("#compdef kctl\ncompdef _kctl kctl\n# zsh completion for kctl: the bash completion through "
              "bashcompinit\nautoload -U +X bashcompinit && bashcompinit\n",
              cfg->out);
        fputs(bash_completion, cfg->out);
        return 0;
    }
    fprintf(cfg->err, "error: Unsupported shell type \"%s\".\nSee 'kctl completion -h' for help and examples\n",
            cfg->args[0]);
    return 1;
}
