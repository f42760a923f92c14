/* discovery.c - discovery from the served resources (the resource table and the review kinds): the legacy
 * documents /api, /apis, /apis/<group>, /api/v1 and /apis/<group>/<version> (APIVersions, APIGroupList,
 * APIGroup, APIResourceList), and the aggregated form (apidiscovery.k8s.io v2/v2beta1 APIGroupDiscoveryList for
 * /api and /apis) chosen by the Accept header, as kubectl 1.26+ prefers it. */
#include "api_authz.h"
#include "api_discovery.h"
#include "api_int.h"
#include "kc_jarena.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AGG_GROUP "apidiscovery.k8s.io"
#define AGG_KIND  "APIGroupDiscoveryList"

const struct api_resource *
api_served_at(size_t i)
{
    /* a walk of ~30 rows: cheaper than caching the counts safely across threads */
    size_t k = 0;
    for (const struct api_resource *r = api_resources; r->kind; r++, k++)
        if (k == i)
            return r;
    for (const struct api_resource *r = api_review_resources; r->kind; r++, k++)
        if (k == i)
            return r;
    return NULL;
}

bool
api_gv_served(const char *group, const char *version)
{
    const struct api_resource *r;
    for (size_t i = 0; (r = api_served_at(i)); i++)
        if (strcmp(r->group, group) == 0 && strcmp(r->version, version) == 0)
            return true;
    return false;
}

/* --- what both forms say about a resource --- */

static const char *const verbs_gpu[] = { "get", "patch", "update", NULL };
static const char *const verbs_create[] = { "create", NULL };
static const char *const verbs_get[] = { "get", NULL };
static const char *const verbs_update[] = { "update", NULL };

/* One subresource as discovery announces it. group/version NULL: the parent's. */
struct sub_desc {
    const char *name;
    const char *group, *version, *kind;
    const char *const *verbs;
};

/* r's subresources in upstream's (alphabetical) order. Returns how many were written to out. */
static size_t
subs_of(const struct api_resource *r, struct sub_desc out[8])
{
    size_t n = 0;
    if (!r->group[0] && strcmp(r->kind, "Namespace") == 0)
        out[n++] = (struct sub_desc){ "finalize", NULL, NULL, r->kind, verbs_update };
    if (r->subs & API_SUB_BINDING)
        out[n++] = (struct sub_desc){ "binding", NULL, NULL, "Binding", verbs_create };
    if (r->subs & API_SUB_EVICTION) /* kubectl drain evicts when this entry names policy/v1 */
        out[n++] = (struct sub_desc){ "eviction", "policy", "v1", "Eviction", verbs_create };
    if (r->subs & API_SUB_LOG)
        out[n++] = (struct sub_desc){ "log", NULL, NULL, r->kind, verbs_get };
    if (r->subs & API_SUB_SCALE)
        out[n++] = (struct sub_desc){ "scale", "autoscaling", "v1", "Scale", verbs_gpu };
    if (r->subs & API_SUB_STATUS)
        out[n++] = (struct sub_desc){ "status", NULL, NULL, r->kind, verbs_gpu };
    return n;
}

/* A document being built: any allocation failure fails the whole document (a discovery document with a resource
 * left out would be cached by clients for hours). */
struct doc {
    bool oom;
};

static json_t *
chk(struct doc *d, json_t *v)
{
    if (!v)
        d->oom = true;
    return v;
}

/* json_object_set_new / json_array_append_new that record failure (both take v's reference even when failing). */
static void
oset(struct doc *d, json_t *o, const char *key, json_t *v)
{
    if (!v || json_object_set_new(o, key, v) != 0)
        d->oom = true;
}

static void
aadd(struct doc *d, json_t *a, json_t *v)
{
    if (!v || json_array_append_new(a, v) != 0)
        d->oom = true;
}

static json_t *
verbs_json(struct doc *d, unsigned verbs)
{
    static const struct {
        const char *name;
        unsigned bit;
    } order[] = {
        { "create", API_VERB_CREATE }, { "delete", API_VERB_DELETE }, { "deletecollection", API_VERB_DELETECOLLECTION },
        { "get", API_VERB_GET },       { "list", API_VERB_LIST },     { "patch", API_VERB_PATCH },
        { "update", API_VERB_UPDATE }, { "watch", API_VERB_WATCH }
    };
    json_t *v = chk(d, json_array());
    for (size_t i = 0; v && i < sizeof(order) / sizeof(order[0]); i++)
        if (verbs & order[i].bit)
            aadd(d, v, json_string(order[i].name));
    return v;
}

static json_t *
strings_json(struct doc *d, const char *const *s, size_t max)
{
    json_t *a = chk(d, json_array());
    for (size_t i = 0; a && i < max && s[i]; i++)
        aadd(d, a, json_string(s[i]));
    return a;
}

/* --- legacy --- */

static void
add_sub(struct doc *d, json_t *list, const struct api_resource *r, const struct sub_desc *sd)
{
    char name[128];
    snprintf(name, sizeof(name), "%s/%s", r->plural, sd->name);
    json_t *e = chk(d, json_pack("{s:s,s:s,s:b,s:s}", "name", name, "singularName", "", "namespaced", r->namespaced,
                                 "kind", sd->kind));
    if (!e)
        return;
    if (sd->group) {
        oset(d, e, "group", json_string(sd->group));
        oset(d, e, "version", json_string(sd->version));
    }
    oset(d, e, "verbs", strings_json(d, sd->verbs, 8));
    aadd(d, list, e);
}

/* The APIResourceList of (group, version), or NULL when nothing is served there (d->oom tells failure). */
static json_t *
resource_list(struct doc *d, const char *group, const char *version)
{
    json_t *list = chk(d, json_array());
    bool any = false;
    const struct api_resource *r;
    for (size_t i = 0; list && (r = api_served_at(i)); i++) {
        if (strcmp(r->group, group) != 0 || strcmp(r->version, version) != 0)
            continue;
        any = true;
        json_t *e = chk(d, json_pack("{s:s,s:s,s:b,s:s,s:o}", "name", r->plural, "singularName", r->singular,
                                     "namespaced", r->namespaced, "kind", r->kind, "verbs", verbs_json(d, r->verbs)));
        if (e && r->short_names[0])
            oset(d, e, "shortNames", strings_json(d, r->short_names, 4));
        if (e && r->categories[0])
            oset(d, e, "categories", strings_json(d, r->categories, 2));
        aadd(d, list, e);
        struct sub_desc subs[8];
        size_t n = subs_of(r, subs);
        for (size_t k = 0; k < n; k++)
            add_sub(d, list, r, &subs[k]);
    }
    if (!any) {
        json_decref(list);
        return NULL;
    }
    char gv[128];
    snprintf(gv, sizeof(gv), "%s%s%s", group, group[0] ? "/" : "", version);
    return chk(d, json_pack("{s:s,s:s,s:s,s:o}", "kind", "APIResourceList", "apiVersion", "v1", "groupVersion", gv,
                            "resources", list));
}

/* Whether r is the first served row of its group (groups are listed in the order they first appear). */
static bool
first_of_group(size_t i)
{
    const struct api_resource *r = api_served_at(i), *q;
    for (size_t k = 0; k < i && (q = api_served_at(k)); k++)
        if (strcmp(q->group, r->group) == 0)
            return false;
    return true;
}

/* A group with its (single) version, or NULL when the group is not served. */
static json_t *
group_json(struct doc *d, const char *group)
{
    const struct api_resource *r;
    for (size_t i = 0; (r = api_served_at(i)); i++) {
        if (strcmp(r->group, group) != 0)
            continue;
        char gv[128];
        snprintf(gv, sizeof(gv), "%s/%s", r->group, r->version);
        json_t *ver = chk(d, json_pack("{s:s,s:s}", "groupVersion", gv, "version", r->version));
        return chk(d, json_pack("{s:s,s:[O],s:o}", "name", group, "versions", ver, "preferredVersion", ver));
    }
    return NULL;
}

bool
api_discovery(struct api_server *srv, const char *path, const char *accept, struct api_reply *rep)
{
    (void)accept; /* the aggregated form is answered before this, by api_discovery_aggregated */
    struct doc d = { 0 };
    json_t *doc = NULL;
    char group[128], version[32];
    if (strcmp(path, "/api") == 0) {
        char addr[128];
        snprintf(addr, sizeof(addr), "%s:%d", srv->cfg.bind_address, kc_httpd_port(srv->httpd));
        doc = chk(&d, json_pack("{s:s,s:[s],s:[{s:s,s:s}]}", "kind", "APIVersions", "versions", "v1",
                                "serverAddressByClientCIDRs", "clientCIDR", "0.0.0.0/0", "serverAddress", addr));
    } else if (strcmp(path, "/apis") == 0) {
        json_t *groups = chk(&d, json_array());
        const struct api_resource *r;
        for (size_t i = 0; groups && (r = api_served_at(i)); i++)
            if (r->group[0] && first_of_group(i))
                aadd(&d, groups, group_json(&d, r->group));
        doc = chk(&d, json_pack("{s:s,s:s,s:o}", "kind", "APIGroupList", "apiVersion", "v1", "groups", groups));
    } else if (strcmp(path, "/api/v1") == 0) {
        doc = resource_list(&d, "", "v1");
    } else if (sscanf(path, "/apis/%127[^/]/%31[^/]", group, version) == 2) {
        doc = resource_list(&d, group, version);
    } else if (sscanf(path, "/apis/%127[^/]", group) == 1 && !strchr(path + 6, '/')) {
        doc = group_json(&d, group);
        if (doc) {
            oset(&d, doc, "kind", json_string("APIGroup"));
            oset(&d, doc, "apiVersion", json_string("v1"));
        }
    }
    if (d.oom) {
        json_decref(doc);
        api_reply_statusf(rep, 500, "InternalError", "out of memory building the discovery document");
        return true;
    }
    if (!doc)
        return false;
    rep->status = 200;
    rep->body = doc;
    return true;
}

/* --- aggregated --- */

static json_t *
gvk_json(struct doc *d, const char *group, const char *version, const char *kind)
{
    return chk(d, json_pack("{s:s,s:s,s:s}", "group", group, "version", version, "kind", kind));
}

/* One APIResourceDiscovery. */
static json_t *
resource_discovery(struct doc *d, const struct api_resource *r)
{
    json_t *e =
        chk(d, json_pack("{s:s,s:o,s:s,s:s,s:o}", "resource", r->plural, "responseKind",
                         gvk_json(d, r->group, r->version, r->kind), "scope", r->namespaced ? "Namespaced" : "Cluster",
                         "singularResource", r->singular, "verbs", verbs_json(d, r->verbs)));
    if (!e)
        return NULL;
    if (r->short_names[0])
        oset(d, e, "shortNames", strings_json(d, r->short_names, 4));
    if (r->categories[0])
        oset(d, e, "categories", strings_json(d, r->categories, 2));
    struct sub_desc subs[8];
    size_t n = subs_of(r, subs);
    if (n) {
        json_t *a = chk(d, json_array());
        for (size_t k = 0; a && k < n; k++)
            aadd(d, a,
                 json_pack("{s:s,s:o,s:o}", "subresource", subs[k].name, "responseKind",
                           gvk_json(d, subs[k].group ? subs[k].group : r->group,
                                    subs[k].version ? subs[k].version : r->version, subs[k].kind),
                           "verbs", strings_json(d, subs[k].verbs, 8)));
        oset(d, e, "subresources", a);
    }
    return e;
}

/* One APIGroupDiscovery: the group's versions (one each here), each with its resources. */
static json_t *
group_discovery(struct doc *d, const char *group)
{
    json_t *meta = chk(d, json_pack("{s:n}", "creationTimestamp"));
    if (meta && group[0])
        oset(d, meta, "name", json_string(group));
    json_t *versions = chk(d, json_array());
    const struct api_resource *r;
    for (size_t i = 0; versions && (r = api_served_at(i)); i++) {
        if (strcmp(r->group, group) != 0)
            continue;
        /* the version entry for r->version, created on its first resource */
        json_t *ver = NULL;
        size_t k;
        json_t *v;
        json_array_foreach(versions, k, v)
        {
            if (strcmp(json_string_value(json_object_get(v, "version")), r->version) == 0)
                ver = v;
        }
        if (!ver) {
            ver = chk(d, json_pack("{s:s,s:[],s:s}", "version", r->version, "resources", "freshness", "Current"));
            if (!ver)
                break;
            aadd(d, versions, ver);
            if (d->oom)
                break;
        }
        aadd(d, json_object_get(ver, "resources"), resource_discovery(d, r));
    }
    return chk(d, json_pack("{s:o,s:o}", "metadata", meta, "versions", versions));
}

json_t *
api_discovery_aggregated_doc(const char *path, enum api_discovery_form form)
{
    if (form != API_DISCOVERY_V2 && form != API_DISCOVERY_V2BETA1)
        return NULL;
    struct doc d = { 0 };
    json_t *items;
    if (strcmp(path, "/api") == 0) {
        items = chk(&d, json_pack("[o]", group_discovery(&d, "")));
    } else if (strcmp(path, "/apis") == 0) {
        items = chk(&d, json_array());
        const struct api_resource *r;
        for (size_t i = 0; items && (r = api_served_at(i)); i++)
            if (r->group[0] && first_of_group(i))
                aadd(&d, items, group_discovery(&d, r->group));
    } else {
        return NULL;
    }
    json_t *doc = chk(&d, json_pack("{s:s,s:s,s:{},s:o}", "kind", AGG_KIND, "apiVersion",
                                    form == API_DISCOVERY_V2 ? AGG_GROUP "/v2" : AGG_GROUP "/v2beta1", "metadata",
                                    "items", items));
    if (d.oom) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* Trims spaces and tabs around [*s, *e). */
static void
trim(const char **s, const char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t'))
        (*s)++;
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
        (*e)--;
}

static bool
span_is(const char *s, const char *e, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(e - s) == n && strncasecmp(s, lit, n) == 0;
}

/* One media range of an Accept header, [s, e): its q (0..1000) and the form it asks for; -1 when this server
 * cannot produce it. */
static int
media_range_form(const char *s, const char *e, int *q)
{
    const char *semi = memchr(s, ';', (size_t)(e - s));
    const char *me = semi ? semi : e, *ms = s;
    trim(&ms, &me);
    bool json = span_is(ms, me, "application/json") || span_is(ms, me, "application/*") || span_is(ms, me, "*/*");
    char g[64] = "", v[32] = "", as[64] = "";
    *q = 1000;
    for (const char *p = semi; p && p < e;) {
        const char *ps = p + 1, *pe = memchr(ps, ';', (size_t)(e - ps));
        if (!pe)
            pe = e;
        p = pe < e ? pe : NULL;
        const char *eq = memchr(ps, '=', (size_t)(pe - ps));
        if (!eq)
            continue;
        const char *ks = ps, *ke = eq, *vs = eq + 1, *ve = pe;
        trim(&ks, &ke);
        trim(&vs, &ve);
        size_t vl = (size_t)(ve - vs);
        char *dst = span_is(ks, ke, "g") ? g : span_is(ks, ke, "v") ? v : span_is(ks, ke, "as") ? as : NULL;
        size_t cap = dst == g ? sizeof(g) : dst == v ? sizeof(v) : sizeof(as);
        if (dst && vl < cap) {
            memcpy(dst, vs, vl);
            dst[vl] = '\0';
        } else if (span_is(ks, ke, "q")) {
            char qb[16];
            if (vl >= sizeof(qb))
                vl = sizeof(qb) - 1;
            memcpy(qb, vs, vl);
            qb[vl] = '\0';
            *q = (int)(strtod(qb, NULL) * 1000 + 0.5);
        }
    }
    if (!json || *q <= 0)
        return -1;
    if (!g[0] && !v[0] && !as[0])
        return API_DISCOVERY_LEGACY;
    if (strcmp(g, AGG_GROUP) == 0 && strcmp(as, AGG_KIND) == 0) {
        if (strcmp(v, "v2") == 0)
            return API_DISCOVERY_V2;
        if (strcmp(v, "v2beta1") == 0)
            return API_DISCOVERY_V2BETA1;
    }
    return -1; /* a transformation this endpoint does not offer (as=Table, another version) */
}

enum api_discovery_form
api_discovery_negotiate(const char *accept)
{
    int best = API_DISCOVERY_LEGACY, best_q = 0;
    if (!accept)
        return API_DISCOVERY_LEGACY;
    for (const char *s = accept; *s;) {
        const char *e = strchr(s, ',');
        if (!e)
            e = s + strlen(s);
        int q, form = media_range_form(s, e, &q);
        if (form >= 0 && q > best_q) { /* strictly greater: the first of equal q wins */
            best = form;
            best_q = q;
        }
        s = *e ? e + 1 : e;
    }
    return (enum api_discovery_form)best;
}

bool
api_discovery_aggregated(kc_httpd_req *req, const char *path)
{
    if (strcmp(path, "/api") != 0 && strcmp(path, "/apis") != 0)
        return false;
    size_t alen;
    const char *a = kc_httpd_req_header(req, "accept", &alen);
    char accept[2048];
    if (!a)
        return false;
    if (alen >= sizeof(accept))
        alen = sizeof(accept) - 1;
    memcpy(accept, a, alen);
    accept[alen] = '\0';
    enum api_discovery_form form = api_discovery_negotiate(accept);
    if (form == API_DISCOVERY_LEGACY)
        return false;

    json_t *doc = api_discovery_aggregated_doc(path, form);
    char *text = doc ? kc_jarena_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text) {
        json_t *st = api_status(500, "InternalError", "out of memory", NULL, NULL, NULL);
        kc_httpd_reply_json(req, 500, st, false);
        json_decref(st);
        return true;
    }
    size_t len = strlen(text);
    /* upstream: ETag = quoted upper-case hex SHA-512 of the JSON document, the same for every media type */
    unsigned char d[SHA512_DIGEST_LENGTH];
    SHA512((const unsigned char *)text, len, d);
    char etag[2 * SHA512_DIGEST_LENGTH + 3];
    etag[0] = '"';
    for (int i = 0; i < SHA512_DIGEST_LENGTH; i++)
        snprintf(etag + 1 + 2 * i, 3, "%02X", d[i]);
    etag[2 * SHA512_DIGEST_LENGTH + 1] = '"';
    etag[2 * SHA512_DIGEST_LENGTH + 2] = '\0';
    kc_httpd_add_header(req, "etag", etag);
    kc_httpd_add_header(req, "vary", "Accept");
    kc_httpd_add_header(req, "cache-control", "public");
    size_t inm_len;
    const char *inm = kc_httpd_req_header(req, "if-none-match", &inm_len);
    if (inm && inm_len == strlen(etag) && memcmp(inm, etag, inm_len) == 0) {
        kc_httpd_reply(req, 304, NULL, "", 0);
    } else {
        const char *ctype = form == API_DISCOVERY_V2 ? "application/json;g=" AGG_GROUP ";v=v2;as=" AGG_KIND
                                                     : "application/json;g=" AGG_GROUP ";v=v2beta1;as=" AGG_KIND;
        kc_httpd_reply(req, 200, ctype, text, len);
    }
    free(text);
    return true;
}
