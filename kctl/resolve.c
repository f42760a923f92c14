/* resolve.c - resource types from the server's discovery, cached in memory for one run. A name kctl knows
 * (pods, deploy, ...) costs one request for its group-version's APIResourceList; anything else, or a name that
 * group does not serve, triggers full discovery: aggregated (apidiscovery.k8s.io/v2) when the server offers it,
 * else the legacy /api, /apis and one request per group's preferred version. */
#include "kctl.h"
#include "kc_error.h"
#include "kc_fault.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define AGGREGATED_ACCEPT "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"

/* One group-version's resources in the legacy APIResource shape. */
struct gvdoc {
    char group[64];
    char version[32];
    bool missing;      /* the server does not serve it (404) */
    json_t *resources; /* array of APIResource objects; NULL when missing */
};

struct kctl_discovery {
    struct gvdoc *gvs; /* every group-version fetched so far */
    size_t n, cap;
    bool full;    /* the preferred versions of all groups are known: prio is complete */
    size_t *prio; /* indices into gvs: the preferred version of each group, core first, in the server's order */
    size_t nprio;
    struct kctl_api_resource *all; /* kctl_discover_all's list */
    size_t nall;
};

/* Group-versions and names kctl knows (upstream's preferred versions), so that the common types resolve with one
 * request. A guess only: what the server's list says decides. */
static const struct hint {
    const char *group, *version;
    const char *names; /* " plural singular short ... " with spaces around every name */
} hints[] = {
    { "", "v1",
      " pods pod po services service svc namespaces namespace ns nodes node no persistentvolumes persistentvolume pv "
      "persistentvolumeclaims persistentvolumeclaim pvc configmaps configmap cm secrets secret serviceaccounts "
      "serviceaccount sa events event ev endpoints ep replicationcontrollers replicationcontroller rc limitranges "
      "limitrange limits resourcequotas resourcequota quota podtemplates podtemplate componentstatuses "
      "componentstatus cs " },
    { "apps", "v1",
      " deployments deployment deploy replicasets replicaset rs daemonsets daemonset ds statefulsets statefulset "
      "sts controllerrevisions controllerrevision " },
    { "batch", "v1", " jobs job cronjobs cronjob cj " },
    { "networking.k8s.io", "v1",
      " ingresses ingress ing networkpolicies networkpolicy netpol ingressclasses ingressclass " },
    { "storage.k8s.io", "v1", " storageclasses storageclass sc csidrivers csidriver csinodes csinode " },
    { "autoscaling", "v2", " horizontalpodautoscalers horizontalpodautoscaler hpa " },
    { "coordination.k8s.io", "v1", " leases lease " },
    { "policy", "v1", " poddisruptionbudgets poddisruptionbudget pdb " },
    { "rbac.authorization.k8s.io", "v1",
      " roles role rolebindings rolebinding clusterroles clusterrole clusterrolebindings clusterrolebinding " },
    { "apiextensions.k8s.io", "v1", " customresourcedefinitions customresourcedefinition crd crds " },
    { "scheduling.k8s.io", "v1", " priorityclasses priorityclass pc " },
    { "discovery.k8s.io", "v1", " endpointslices endpointslice " },
};

/* Upstream's built-in types with their facts (Kubernetes 1.33 discovery), for kctl_resolve_fast. Names that more
 * than one built-in group uses ("ev") are left out: they need discovery. */
static const struct known {
    const char *group, *version, *resource, *kind, *singular, *shorts; /* shorts: " a b " */
    bool namespaced;
} known[] = {
    { "", "v1", "pods", "Pod", "pod", " po ", true },
    { "", "v1", "services", "Service", "service", " svc ", true },
    { "", "v1", "namespaces", "Namespace", "namespace", " ns ", false },
    { "", "v1", "nodes", "Node", "node", " no ", false },
    { "", "v1", "persistentvolumes", "PersistentVolume", "persistentvolume", " pv ", false },
    { "", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", "persistentvolumeclaim", " pvc ", true },
    { "", "v1", "configmaps", "ConfigMap", "configmap", " cm ", true },
    { "", "v1", "secrets", "Secret", "secret", " ", true },
    { "", "v1", "serviceaccounts", "ServiceAccount", "serviceaccount", " sa ", true },
    { "", "v1", "endpoints", "Endpoints", "endpoints", " ep ", true },
    { "", "v1", "replicationcontrollers", "ReplicationController", "replicationcontroller", " rc ", true },
    { "", "v1", "limitranges", "LimitRange", "limitrange", " limits ", true },
    { "", "v1", "resourcequotas", "ResourceQuota", "resourcequota", " quota ", true },
    { "apps", "v1", "deployments", "Deployment", "deployment", " deploy ", true },
    { "apps", "v1", "replicasets", "ReplicaSet", "replicaset", " rs ", true },
    { "apps", "v1", "daemonsets", "DaemonSet", "daemonset", " ds ", true },
    { "apps", "v1", "statefulsets", "StatefulSet", "statefulset", " sts ", true },
    { "batch", "v1", "jobs", "Job", "job", " ", true },
    { "batch", "v1", "cronjobs", "CronJob", "cronjob", " cj ", true },
    { "networking.k8s.io", "v1", "ingresses", "Ingress", "ingress", " ing ", true },
    { "networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", "networkpolicy", " netpol ", true },
    { "networking.k8s.io", "v1", "ingressclasses", "IngressClass", "ingressclass", " ", false },
    { "storage.k8s.io", "v1", "storageclasses", "StorageClass", "storageclass", " sc ", false },
    { "coordination.k8s.io", "v1", "leases", "Lease", "lease", " ", true },
    { "autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", "horizontalpodautoscaler", " hpa ",
      true },
    { "policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", "poddisruptionbudget", " pdb ", true },
};

void
kctl_discovery_free(struct kctl_discovery *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        json_decref(d->gvs[i].resources);
    free(d->gvs);
    free(d->prio);
    free(d->all);
    free(d);
}

static struct kctl_discovery *
discovery(struct kctl_client *c)
{
    struct kctl_discovery **dp = kctl_client_discovery(c);
    if (!*dp)
        *dp = kc_calloc(1, sizeof(**dp));
    return *dp;
}

static void
oom(struct kctl_client *c)
{
    fprintf(kctl_client_config(c)->err, "error: out of memory\n");
}

static long
find_gv(const struct kctl_discovery *d, const char *group, const char *version)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->gvs[i].group, group) == 0 && strcmp(d->gvs[i].version, version) == 0)
            return (long)i;
    return -1;
}

/* Adds a group-version with its resources (a new reference taken; NULL = missing). Returns its index or -1. */
static long
add_gv(struct kctl_discovery *d, const char *group, const char *version, json_t *resources)
{
    long i = find_gv(d, group, version);
    if (i >= 0) {
        json_decref(resources);
        return i;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        struct gvdoc *g = kc_realloc(d->gvs, cap * sizeof(*g));
        if (!g) {
            json_decref(resources);
            return -1;
        }
        d->gvs = g;
        d->cap = cap;
    }
    struct gvdoc *g = &d->gvs[d->n];
    memset(g, 0, sizeof(*g));
    snprintf(g->group, sizeof(g->group), "%s", group);
    snprintf(g->version, sizeof(g->version), "%s", version);
    g->resources = resources;
    g->missing = resources == NULL;
    return (long)d->n++;
}

/* GETs one document. Returns 0 with *out (NULL on 404), or 1 with the error printed. When ctype is given it gets
 * the answer's Content-Type (malloc'ed). */
static int
get_doc(struct kctl_client *c, const char *path, const char *accept, json_t **out, char **ctype)
{
    struct kctl_response resp;
    *out = NULL;
    if (kctl_request(c, "GET", path, NULL, NULL, 0, accept, &resp) != 0)
        return 1;
    if (resp.status == 404) {
        kctl_response_free(&resp);
        return 0;
    }
    if (resp.status != 200) {
        kctl_print_error(kctl_client_config(c), &resp);
        kctl_response_free(&resp);
        return 1;
    }
    json_error_t je;
    *out = resp.body ? json_loadb(resp.body, resp.len, 0, &je) : NULL;
    if (!*out) {
        fprintf(kctl_client_config(c)->err, "error: the server's answer to GET %s is not JSON\n", path);
        kctl_response_free(&resp);
        return 1;
    }
    if (ctype) {
        *ctype = resp.content_type;
        resp.content_type = NULL;
    }
    kctl_response_free(&resp);
    return 0;
}

/* Fetches one group-version's APIResourceList (legacy form) unless cached. Returns its index, or -1 with the
 * error printed. */
static long
fetch_gv(struct kctl_client *c, const char *group, const char *version)
{
    struct kctl_discovery *d = discovery(c);
    if (!d) {
        oom(c);
        return -1;
    }
    long i = find_gv(d, group, version);
    if (i >= 0)
        return i;
    char path[256];
    if (*group)
        snprintf(path, sizeof(path), "/apis/%s/%s", group, version);
    else
        snprintf(path, sizeof(path), "/api/%s", version);
    json_t *doc;
    if (get_doc(c, path, NULL, &doc, NULL) != 0)
        return -1;
    json_t *res = NULL;
    if (doc) {
        res = json_object_get(doc, "resources");
        res = json_is_array(res) ? json_incref(res) : json_array();
        json_decref(doc);
    }
    i = add_gv(d, group, version, res);
    if (i < 0)
        oom(c);
    return i;
}

/* An aggregated APIResourceDiscovery turned into a legacy APIResource. */
static json_t *
legacy_entry(const json_t *r)
{
    const json_t *rk = json_object_get(r, "responseKind");
    const char *scope = json_string_value(json_object_get(r, "scope"));
    json_t *e = json_object();
    if (!e)
        return NULL;
    json_object_set(e, "name", json_object_get(r, "resource") ? json_object_get(r, "resource") : json_string(""));
    json_t *sing = json_object_get(r, "singularResource");
    json_object_set_new(e, "singularName", json_string(json_string_value(sing) ? json_string_value(sing) : ""));
    json_object_set_new(e, "namespaced", json_boolean(scope && strcmp(scope, "Namespaced") == 0));
    const char *kind = json_string_value(json_object_get(rk, "kind"));
    json_object_set_new(e, "kind", json_string(kind ? kind : ""));
    json_t *v = json_object_get(r, "verbs");
    json_object_set_new(e, "verbs", json_is_array(v) ? json_deep_copy(v) : json_array());
    if (json_array_size(json_object_get(r, "shortNames")))
        json_object_set_new(e, "shortNames", json_deep_copy(json_object_get(r, "shortNames")));
    if (json_array_size(json_object_get(r, "categories")))
        json_object_set_new(e, "categories", json_deep_copy(json_object_get(r, "categories")));
    return e;
}

/* Takes an APIGroupDiscoveryList into the cache: the first (preferred) version of each group, in order. */
static int
take_aggregated(struct kctl_discovery *d, const json_t *list, size_t **prio, size_t *nprio)
{
    size_t i;
    const json_t *item;
    json_array_foreach(json_object_get(list, "items"), i, item)
    {
        const char *group = json_string_value(json_object_get(json_object_get(item, "metadata"), "name"));
        const json_t *ver = json_array_get(json_object_get(item, "versions"), 0);
        const char *version = json_string_value(json_object_get(ver, "version"));
        if (!version)
            continue;
        json_t *res = json_array();
        size_t j;
        const json_t *r;
        json_array_foreach(json_object_get(ver, "resources"), j, r)
        {
            json_t *e = legacy_entry(r);
            if (!e || json_array_append_new(res, e) != 0) {
                json_decref(res);
                return -ENOMEM;
            }
        }
        long k = find_gv(d, group ? group : "", version);
        if (k < 0)
            k = add_gv(d, group ? group : "", version, res);
        else
            json_decref(res); /* fetched through a hint already: the same list */
        if (k < 0)
            return -ENOMEM;
        size_t *p = kc_realloc(*prio, (*nprio + 1) * sizeof(*p));
        if (!p)
            return -ENOMEM;
        *prio = p;
        p[(*nprio)++] = (size_t)k;
    }
    return 0;
}

static bool
is_aggregated(const char *ctype)
{
    return ctype && strstr(ctype, "as=APIGroupDiscoveryList") != NULL;
}

/* Full discovery. Returns 0 or 1 with the error printed. */
static int
discover_full(struct kctl_client *c)
{
    struct kctl_discovery *d = discovery(c);
    if (!d) {
        oom(c);
        return 1;
    }
    if (d->full)
        return 0;
    size_t *prio = NULL, nprio = 0;
    json_t *api = NULL, *apis = NULL;
    char *ct = NULL;
    int rc = 1;

    if (get_doc(c, "/api", AGGREGATED_ACCEPT, &api, &ct) != 0)
        goto out;
    bool agg = is_aggregated(ct);
    free(ct);
    ct = NULL;
    if (agg) {
        if (take_aggregated(d, api, &prio, &nprio) != 0)
            goto nomem;
        if (get_doc(c, "/apis", AGGREGATED_ACCEPT, &apis, &ct) != 0)
            goto out;
        if (is_aggregated(ct)) {
            if (take_aggregated(d, apis, &prio, &nprio) != 0)
                goto nomem;
            rc = 0;
            goto done;
        }
        /* /api aggregated but /apis not: fall through to the legacy groups with what we have */
    } else {
        size_t i;
        const json_t *v;
        json_array_foreach(json_object_get(api, "versions"), i, v)
        {
            if (!json_is_string(v))
                continue;
            long k = fetch_gv(c, "", json_string_value(v));
            if (k < 0)
                goto out;
            size_t *p = kc_realloc(prio, (nprio + 1) * sizeof(*p));
            if (!p)
                goto nomem;
            prio = p;
            prio[nprio++] = (size_t)k;
            break; /* the preferred (first) core version only */
        }
        if (get_doc(c, "/apis", NULL, &apis, NULL) != 0)
            goto out;
    }
    size_t i;
    const json_t *g;
    json_array_foreach(json_object_get(apis, "groups"), i, g)
    {
        const char *name = json_string_value(json_object_get(g, "name"));
        const json_t *pv = json_object_get(g, "preferredVersion");
        const char *version = json_string_value(json_object_get(pv, "version"));
        if (!version)
            version = json_string_value(json_object_get(json_array_get(json_object_get(g, "versions"), 0), "version"));
        if (!name || !version)
            continue;
        long k = fetch_gv(c, name, version);
        if (k < 0)
            goto out;
        size_t *p = kc_realloc(prio, (nprio + 1) * sizeof(*p));
        if (!p)
            goto nomem;
        prio = p;
        prio[nprio++] = (size_t)k;
    }
    rc = 0;
done:
    free(d->prio);
    d->prio = prio;
    d->nprio = nprio;
    prio = NULL;
    d->full = true;
    goto out;
nomem:
    oom(c);
out:
    free(ct);
    free(prio);
    json_decref(api);
    json_decref(apis);
    return rc;
}

/* --- matching -------------------------------------------------------------------------------------------- */

struct query {
    char res[128];    /* lower-case name as typed */
    char group[128];  /* "" = any group */
    char version[32]; /* "" = any version */
    bool group_given; /* a group was named ("" can only be named as the empty suffix, never) */
};

static bool
str_in(const json_t *arr, const char *s)
{
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *x = json_string_value(v);
        if (x && strcasecmp(x, s) == 0)
            return true;
    }
    return false;
}

/* True when the entry is a subresource ("pods/log"): never a type one can name. */
static bool
is_sub(const json_t *e)
{
    const char *name = json_string_value(json_object_get(e, "name"));
    return !name || strchr(name, '/') != NULL;
}

static bool
entry_matches(const json_t *e, const char *res)
{
    if (is_sub(e))
        return false;
    const char *name = json_string_value(json_object_get(e, "name"));
    const char *sing = json_string_value(json_object_get(e, "singularName"));
    const char *kind = json_string_value(json_object_get(e, "kind"));
    return strcasecmp(name, res) == 0 || (sing && *sing && strcasecmp(sing, res) == 0) ||
           ((!sing || !*sing) && kind && strcasecmp(kind, res) == 0) || str_in(json_object_get(e, "shortNames"), res);
}

static void
fill(const struct gvdoc *g, const json_t *e, struct kctl_resource *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->group, sizeof(out->group), "%s", g->group);
    snprintf(out->version, sizeof(out->version), "%s", g->version);
    snprintf(out->resource, sizeof(out->resource), "%s", json_string_value(json_object_get(e, "name")));
    const char *kind = json_string_value(json_object_get(e, "kind"));
    snprintf(out->kind, sizeof(out->kind), "%s", kind ? kind : "");
    const char *sing = json_string_value(json_object_get(e, "singularName"));
    if (sing && *sing) {
        snprintf(out->singular, sizeof(out->singular), "%s", sing);
    } else {
        size_t k = 0;
        for (; out->kind[k] && k < sizeof(out->singular) - 1; k++)
            out->singular[k] = (char)tolower((unsigned char)out->kind[k]);
        out->singular[k] = '\0';
    }
    out->namespaced = json_is_true(json_object_get(e, "namespaced"));
}

static bool
gv_matches(const struct gvdoc *g, const struct query *q)
{
    if (g->missing)
        return false;
    if (q->group_given && strcasecmp(g->group, q->group) != 0)
        return false;
    if (q->version[0] && strcmp(g->version, q->version) != 0)
        return false;
    return true;
}

/* True when an entry of g other than the resource out names q->res as a short name. */
static bool
short_name_in(const struct gvdoc *g, const char *res)
{
    size_t i;
    const json_t *e;
    json_array_foreach(g->resources, i, e)
    {
        if (!is_sub(e) && str_in(json_object_get(e, "shortNames"), res))
            return true;
    }
    return false;
}

static bool
search_gv(const struct gvdoc *g, const struct query *q, struct kctl_resource *out)
{
    if (!gv_matches(g, q))
        return false;
    /* Plural and singular names win over short names of another entry in the same list. */
    for (int pass = 0; pass < 2; pass++) {
        size_t i;
        const json_t *e;
        json_array_foreach(g->resources, i, e)
        {
            if (is_sub(e))
                continue;
            const char *name = json_string_value(json_object_get(e, "name"));
            bool hit = pass == 0 ? strcasecmp(name, q->res) == 0 : entry_matches(e, q->res);
            if (hit) {
                fill(g, e, out);
                return true;
            }
        }
    }
    return false;
}

static const struct hint *
find_hint(const struct query *q)
{
    char needle[140];
    snprintf(needle, sizeof(needle), " %s ", q->res);
    for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
        if (q->group_given && strcmp(hints[i].group, q->group) != 0)
            continue;
        if (strstr(hints[i].names, needle))
            return &hints[i];
    }
    return NULL;
}

/* Splits "deployments.v1.apps" / "deployments.apps" / "deploy". A first suffix that looks like a version
 * ("v1", "v2beta1") followed by a group is taken as resource.version.group, as kubectl's ParseResourceArg. */
static int
parse_query(const char *type, struct query *q, struct query *alt, bool *has_alt)
{
    memset(q, 0, sizeof(*q));
    *has_alt = false;
    size_t n = strlen(type);
    if (n == 0 || n >= sizeof(q->res))
        return -EINVAL;
    const char *dot = strchr(type, '.');
    size_t rn = dot ? (size_t)(dot - type) : n;
    for (size_t i = 0; i < rn; i++)
        q->res[i] = (char)tolower((unsigned char)type[i]);
    q->res[rn] = '\0';
    if (!dot)
        return 0;
    const char *rest = dot + 1;
    q->group_given = true;
    snprintf(q->group, sizeof(q->group), "%s", rest);
    const char *dot2 = strchr(rest, '.');
    if (dot2 && rest[0] == 'v' && isdigit((unsigned char)rest[1]) && (size_t)(dot2 - rest) < sizeof(q->version)) {
        *alt = *q;
        snprintf(alt->version, sizeof(alt->version), "%.*s", (int)(dot2 - rest), rest);
        snprintf(alt->group, sizeof(alt->group), "%s", dot2 + 1);
        *has_alt = true;
    }
    return 0;
}

/* Upstream short names that more than one built-in group uses: resolving them takes full discovery, so that
 * kubectl's warning about the lower-priority match can be given. */
static bool
ambiguous_short_name(const char *res)
{
    return strcmp(res, "ev") == 0;
}

/* kubectl's warning when a short name also matches a resource of a lower-priority group. */
static void
warn_ambiguous(struct kctl_client *c, const struct query *q, const struct kctl_resource *found)
{
    struct kctl_discovery *d = discovery(c);
    if (!d->full || q->group_given || strcasecmp(found->resource, q->res) == 0 ||
        strcasecmp(found->singular, q->res) == 0)
        return;
    bool after = false;
    for (size_t i = 0; i < d->nprio; i++) {
        const struct gvdoc *g = &d->gvs[d->prio[i]];
        if (strcmp(g->group, found->group) == 0 && strcmp(g->version, found->version) == 0) {
            after = true;
            continue;
        }
        if (!after || !short_name_in(g, q->res))
            continue;
        size_t k;
        const json_t *e;
        json_array_foreach(g->resources, k, e)
        {
            if (!is_sub(e) && str_in(json_object_get(e, "shortNames"), q->res)) {
                fprintf(kctl_client_config(c)->err,
                        "Warning: short name \"%s\" could also match lower priority resource %s%s%s\n", q->res,
                        json_string_value(json_object_get(e, "name")), g->group[0] ? "." : "", g->group);
                return;
            }
        }
    }
}

/* Looks q up: its hinted group-version first, then everything. Returns 1 found, 0 not found, -1 error printed. */
static int
lookup(struct kctl_client *c, const struct query *q, struct kctl_resource *out)
{
    struct kctl_discovery *d = discovery(c);
    if (!d) {
        oom(c);
        return -1;
    }
    if (!d->full) {
        const struct hint *h = find_hint(q);
        if (h && ambiguous_short_name(q->res) && !q->group_given)
            h = NULL; /* full discovery, for the warning */
        if (h && (!q->version[0] || strcmp(q->version, h->version) == 0)) {
            long k = fetch_gv(c, h->group, h->version);
            if (k < 0)
                return -1;
            if (search_gv(&d->gvs[k], q, out))
                return 1;
        }
        if (discover_full(c) != 0)
            return -1;
    }
    for (size_t i = 0; i < d->nprio; i++)
        if (search_gv(&d->gvs[d->prio[i]], q, out)) {
            warn_ambiguous(c, q, out);
            return 1;
        }
    if (q->version[0] && q->group_given) {
        /* A version other than the preferred one, named explicitly. */
        long k = fetch_gv(c, q->group, q->version);
        if (k < 0)
            return -1;
        if (search_gv(&d->gvs[k], q, out))
            return 1;
    }
    return 0;
}

int
kctl_resolve(struct kctl_client *c, const char *type, struct kctl_resource *out)
{
    struct query q, alt;
    bool has_alt;
    FILE *err = kctl_client_config(c)->err;
    if (parse_query(type, &q, &alt, &has_alt) != 0) {
        fprintf(err, "error: the server doesn't have a resource type \"%s\"\n", type);
        return 1;
    }
    int rc = 0;
    if (has_alt && (rc = lookup(c, &alt, out)) != 0)
        return rc < 0 ? 1 : 0;
    if ((rc = lookup(c, &q, out)) != 0)
        return rc < 0 ? 1 : 0;
    if (q.group_given)
        fprintf(err, "error: the server doesn't have a resource type \"%s\" in group \"%s\"\n", q.res, q.group);
    else
        fprintf(err, "error: the server doesn't have a resource type \"%s\"\n", q.res);
    return 1;
}

int
kctl_resolve_kind(struct kctl_client *c, const char *api_version, const char *kind, const char *name,
                  struct kctl_resource *out)
{
    FILE *err = kctl_client_config(c)->err;
    char group[128] = "", version[32] = "";
    const char *slash = api_version ? strchr(api_version, '/') : NULL;
    if (slash) {
        snprintf(group, sizeof(group), "%.*s", (int)(slash - api_version), api_version);
        snprintf(version, sizeof(version), "%s", slash + 1);
    } else if (api_version) {
        snprintf(version, sizeof(version), "%s", api_version);
    }
    if (version[0] && kind && *kind) {
        long k = fetch_gv(c, group, version);
        if (k < 0)
            return 1;
        struct kctl_discovery *d = discovery(c);
        const struct gvdoc *g = &d->gvs[k];
        size_t i;
        const json_t *e;
        json_array_foreach(g->resources, i, e)
        {
            const char *ek = json_string_value(json_object_get(e, "kind"));
            if (!is_sub(e) && ek && strcmp(ek, kind) == 0) {
                fill(g, e, out);
                return 0;
            }
        }
    }
    if (name)
        fprintf(err,
                "error: resource mapping not found for name: \"%s\": no matches for kind \"%s\" in version \"%s\"\n"
                "ensure CRDs are installed first\n",
                name, kind ? kind : "", api_version ? api_version : "");
    else
        fprintf(err, "error: no matches for kind \"%s\" in version \"%s\"\n", kind ? kind : "",
                api_version ? api_version : "");
    return 1;
}

int
kctl_discover_all(struct kctl_client *c, const struct kctl_api_resource **list, size_t *n)
{
    struct kctl_discovery *d = discovery(c);
    if (!d) {
        oom(c);
        return 1;
    }
    if (!d->all) {
        if (discover_full(c) != 0)
            return 1;
        size_t total = 0;
        for (size_t i = 0; i < d->nprio; i++)
            total += json_array_size(d->gvs[d->prio[i]].resources);
        d->all = kc_calloc(total ? total : 1, sizeof(*d->all));
        if (!d->all) {
            oom(c);
            return 1;
        }
        for (size_t i = 0; i < d->nprio; i++) {
            const struct gvdoc *g = &d->gvs[d->prio[i]];
            size_t j;
            const json_t *e;
            json_array_foreach(g->resources, j, e)
            {
                if (is_sub(e))
                    continue;
                fill(g, e, &d->all[d->nall].r);
                d->all[d->nall++].entry = e;
            }
        }
    }
    *list = d->all;
    *n = d->nall;
    return 0;
}

void
kctl_resource_gr(const struct kctl_resource *r, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s", r->resource, r->group[0] ? "." : "", r->group);
}

int
kctl_escape(const char *s, char *buf, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        bool plain = isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~' || ch == ':' || ch == '@';
        if (o + (plain ? 1 : 3) >= len)
            return -ENAMETOOLONG;
        if (plain) {
            buf[o++] = (char)ch;
        } else {
            buf[o++] = '%';
            buf[o++] = hex[ch >> 4];
            buf[o++] = hex[ch & 15];
        }
    }
    if (o >= len)
        return -ENAMETOOLONG;
    buf[o] = '\0';
    return 0;
}

int
kctl_resource_path(const struct kctl_resource *r, const char *ns, const char *name, const char *sub, char *buf,
                   size_t len)
{
    char ens[256] = "", ename[512] = "";
    if (ns && r->namespaced && kctl_escape(ns, ens, sizeof(ens)) != 0)
        return -ENAMETOOLONG;
    if (name && kctl_escape(name, ename, sizeof(ename)) != 0)
        return -ENAMETOOLONG;
    int n;
    if (r->group[0])
        n = snprintf(buf, len, "/apis/%s/%s", r->group, r->version);
    else
        n = snprintf(buf, len, "/api/%s", r->version);
    if (n < 0 || (size_t)n >= len)
        return -ENAMETOOLONG;
    size_t o = (size_t)n;
    n = snprintf(buf + o, len - o, "%s%s%s/%s%s%s%s%s", ens[0] ? "/namespaces/" : "", ens, "", r->resource,
                 name ? "/" : "", name ? ename : "", name && sub ? "/" : "", name && sub ? sub : "");
    if (n < 0 || (size_t)n >= len - o)
        return -ENAMETOOLONG;
    return 0;
}

int
kctl_resolve_fast(struct kctl_client *c, const char *type, struct kctl_resource *out)
{
    struct query q, alt;
    bool has_alt;
    struct kctl_discovery *d = discovery(c);
    if (d && !d->full && parse_query(type, &q, &alt, &has_alt) == 0 && !q.group_given) {
        char needle[140];
        snprintf(needle, sizeof(needle), " %s ", q.res);
        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
            const struct known *k = &known[i];
            if (strcmp(q.res, k->resource) != 0 && strcmp(q.res, k->singular) != 0 && !strstr(k->shorts, needle))
                continue;
            memset(out, 0, sizeof(*out));
            snprintf(out->group, sizeof(out->group), "%s", k->group);
            snprintf(out->version, sizeof(out->version), "%s", k->version);
            snprintf(out->resource, sizeof(out->resource), "%s", k->resource);
            snprintf(out->kind, sizeof(out->kind), "%s", k->kind);
            snprintf(out->singular, sizeof(out->singular), "%s", k->singular);
            out->namespaced = k->namespaced;
            out->assumed = true;
            return 0;
        }
    }
    return kctl_resolve(c, type, out);
}

int
kctl_resolve_confirm(struct kctl_client *c, const char *type, struct kctl_resource *r)
{
    if (!r->assumed)
        return 0;
    struct kctl_resource got;
    if (kctl_resolve(c, type, &got) != 0)
        return 1;
    *r = got;
    return 0;
}
