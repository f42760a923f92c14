/* discovery.c - legacy discovery documents from the resource table: /api, /apis, /apis/<group>, /api/v1 and
 * /apis/<group>/<version> (APIVersions, APIGroupList, APIGroup, APIResourceList), as kubectl reads them. The
 * aggregated form (apidiscovery.k8s.io/v2) is not served yet: clients that ask for it get the legacy documents
 * as application/json, which kubectl accepts (KUBE_API_NOTES.md). */
#include "api_int.h"

#include <stdio.h>
#include <string.h>

static json_t *
verbs_json(unsigned verbs)
{
    static const struct {
        const char *name;
        unsigned bit;
    } order[] = {
        { "create", API_VERB_CREATE }, { "delete", API_VERB_DELETE }, { "deletecollection", API_VERB_DELETECOLLECTION },
        { "get", API_VERB_GET },       { "list", API_VERB_LIST },     { "patch", API_VERB_PATCH },
        { "update", API_VERB_UPDATE }, { "watch", API_VERB_WATCH }
    };
    json_t *v = json_array();
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
        if (verbs & order[i].bit)
            json_array_append_new(v, json_string(order[i].name));
    return v;
}

static json_t *
strings_json(const char *const *s, size_t max)
{
    json_t *a = json_array();
    for (size_t i = 0; i < max && s[i]; i++)
        json_array_append_new(a, json_string(s[i]));
    return a;
}

static void
add_sub(json_t *list, const struct api_resource *r, const char *sub, const char *group, const char *version,
        const char *kind, const char *const *verbs)
{
    char name[128];
    snprintf(name, sizeof(name), "%s/%s", r->plural, sub);
    json_t *e =
        json_pack("{s:s,s:s,s:b,s:s}", "name", name, "singularName", "", "namespaced", r->namespaced, "kind", kind);
    if (group) {
        json_object_set_new(e, "group", json_string(group));
        json_object_set_new(e, "version", json_string(version));
    }
    json_t *v = json_array();
    for (; *verbs; verbs++)
        json_array_append_new(v, json_string(*verbs));
    json_object_set_new(e, "verbs", v);
    json_array_append_new(list, e);
}

static json_t *
resource_list(const char *group, const char *version)
{
    json_t *list = json_array();
    bool any = false;
    for (const struct api_resource *r = api_resources; r->kind; r++) {
        if (strcmp(r->group, group) != 0 || strcmp(r->version, version) != 0)
            continue;
        any = true;
        json_t *e = json_pack("{s:s,s:s,s:b,s:s,s:o}", "name", r->plural, "singularName", r->singular, "namespaced",
                              r->namespaced, "kind", r->kind, "verbs", verbs_json(r->verbs));
        if (r->short_names[0])
            json_object_set_new(e, "shortNames", strings_json(r->short_names, 4));
        if (r->categories[0])
            json_object_set_new(e, "categories", strings_json(r->categories, 2));
        json_array_append_new(list, e);
        static const char *const gpu[] = { "get", "patch", "update", NULL };
        static const char *const create[] = { "create", NULL };
        static const char *const get[] = { "get", NULL };
        static const char *const update[] = { "update", NULL };
        if (!r->group[0] && strcmp(r->kind, "Namespace") == 0)
            add_sub(list, r, "finalize", NULL, NULL, r->kind, update);
        if (r->subs & API_SUB_BINDING)
            add_sub(list, r, "binding", NULL, NULL, "Binding", create);
        if (r->subs & API_SUB_LOG)
            add_sub(list, r, "log", NULL, NULL, r->kind, get);
        if (r->subs & API_SUB_SCALE)
            add_sub(list, r, "scale", "autoscaling", "v1", "Scale", gpu);
        if (r->subs & API_SUB_STATUS)
            add_sub(list, r, "status", NULL, NULL, r->kind, gpu);
    }
    if (!any) {
        json_decref(list);
        return NULL;
    }
    char gv[128];
    snprintf(gv, sizeof(gv), "%s%s%s", group, group[0] ? "/" : "", version);
    return json_pack("{s:s,s:s,s:s,s:o}", "kind", "APIResourceList", "apiVersion", "v1", "groupVersion", gv,
                     "resources", list);
}

/* Groups in the order of the resource table, each with its (single) version. */
static json_t *
group_json(const char *group)
{
    for (const struct api_resource *r = api_resources; r->kind; r++) {
        if (strcmp(r->group, group) != 0)
            continue;
        char gv[128];
        snprintf(gv, sizeof(gv), "%s/%s", r->group, r->version);
        json_t *ver = json_pack("{s:s,s:s}", "groupVersion", gv, "version", r->version);
        return json_pack("{s:s,s:[O],s:o}", "name", group, "versions", ver, "preferredVersion", ver);
    }
    return NULL;
}

bool
api_discovery(struct api_server *srv, const char *path, const char *accept, struct api_reply *rep)
{
    (void)accept;
    if (strcmp(path, "/api") == 0) {
        char addr[128];
        snprintf(addr, sizeof(addr), "%s:%d", srv->cfg.bind_address, kc_httpd_port(srv->httpd));
        rep->status = 200;
        rep->body = json_pack("{s:s,s:[s],s:[{s:s,s:s}]}", "kind", "APIVersions", "versions", "v1",
                              "serverAddressByClientCIDRs", "clientCIDR", "0.0.0.0/0", "serverAddress", addr);
        return true;
    }
    if (strcmp(path, "/apis") == 0) {
        json_t *groups = json_array();
        for (const struct api_resource *r = api_resources; r->kind; r++) {
            if (!r->group[0])
                continue;
            bool seen = false;
            for (const struct api_resource *q = api_resources; q < r; q++)
                seen = seen || strcmp(q->group, r->group) == 0;
            if (!seen)
                json_array_append_new(groups, group_json(r->group));
        }
        rep->status = 200;
        rep->body = json_pack("{s:s,s:s,s:o}", "kind", "APIGroupList", "apiVersion", "v1", "groups", groups);
        return true;
    }
    char group[128], version[32];
    json_t *doc = NULL;
    if (strcmp(path, "/api/v1") == 0) {
        doc = resource_list("", "v1");
    } else if (sscanf(path, "/apis/%127[^/]/%31[^/]", group, version) == 2) {
        doc = resource_list(group, version);
    } else if (sscanf(path, "/apis/%127[^/]", group) == 1 && !strchr(path + 6, '/')) {
        json_t *g = group_json(group);
        if (g) {
            json_object_set_new(g, "kind", json_string("APIGroup"));
            json_object_set_new(g, "apiVersion", json_string("v1"));
            doc = g;
        }
    }
    if (!doc)
        return false;
    rep->status = 200;
    rep->body = doc;
    return true;
}
