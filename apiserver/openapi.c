/* openapi.c - the OpenAPI v3 documents, one per served group-version: paths from the resource table (the verbs
 * and subresources the server really answers, with upstream's operation ids, actions and parameters), schemas
 * re-emitted from the kc_schema tables the server validates with, and their serving with kube-openapi's caching
 * headers (handler3: ETag = SHA-512, ?hash= immutable caching, 301 for a stale hash). */
#include "api_discovery.h"
#include "api_int.h"
#include "api_openapi.h"
#include "kc_fault.h"
#include "kc_schema.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define REF_PREFIX "#/components/schemas/"

/* --- names --- */

/* The operation-id infix of a group-version, as upstream: "CoreV1", "AppsV1", "NetworkingV1" (".k8s.io" dropped),
 * "RbacAuthorizationV1" (each dotted part capitalised). */
static void
op_infix(const char *group, const char *version, char *buf, size_t len)
{
    char g[128];
    size_t n = 0;
    const char *end = group + strlen(group);
    if (!group[0]) {
        snprintf(g, sizeof(g), "Core");
    } else {
        if (end - group > 7 && strcmp(end - 7, ".k8s.io") == 0)
            end -= 7;
        bool up = true;
        for (const char *p = group; p < end && n + 1 < sizeof(g); p++) {
            if (*p == '.') {
                up = true;
                continue;
            }
            g[n++] = up ? (char)toupper((unsigned char)*p) : *p;
            up = false;
        }
        g[n] = '\0';
    }
    snprintf(buf, len, "%s%c%s", g, toupper((unsigned char)version[0]), version + 1);
}

/* The tag of a group-version: "core_v1", "apps_v1", "networking_v1", "rbac_authorization_v1". */
static void
tag_of(const char *group, const char *version, char *buf, size_t len)
{
    char g[128];
    size_t n = 0;
    const char *end = group + strlen(group);
    if (!group[0]) {
        snprintf(g, sizeof(g), "core");
    } else {
        if (end - group > 7 && strcmp(end - 7, ".k8s.io") == 0)
            end -= 7;
        for (const char *p = group; p < end && n + 1 < sizeof(g); p++)
            g[n++] = *p == '.' ? '_' : *p;
        g[n] = '\0';
    }
    snprintf(buf, len, "%s_%s", g, version);
}

/* One document being built: allocation failures anywhere make the whole build fail rather than leave a member
 * out (a partial document would make kubectl compute wrong patches). */
struct build {
    bool failed;         /* an allocation failed, or a schema the document names is not in the tables */
    unsigned char *seen; /* named schemas the document needs, by kc_schema_index */
};

static json_t *
chk(struct build *b, json_t *v)
{
    if (!v)
        b->failed = true;
    return v;
}

/* json_object_set_new / json_array_append_new that record failure (both take v's reference even when failing). */
static void
oset(struct build *b, json_t *o, const char *key, json_t *v)
{
    if (!v || json_object_set_new(o, key, v) != 0)
        b->failed = true;
}

static void
aadd(struct build *b, json_t *a, json_t *v)
{
    if (!v || json_array_append_new(a, v) != 0)
        b->failed = true;
}

static json_t *
ref_json(struct build *b, const char *schema)
{
    char ref[256];
    snprintf(ref, sizeof(ref), REF_PREFIX "%s", schema);
    return chk(b, json_pack("{s:s}", "$ref", ref));
}

/* --- schemas --- */

/* Whether the schema's group-version-kind g belongs in the document: a schema with one GVK keeps it (it names the
 * schema's own kind, such as autoscaling/v1 Scale in apps/v1); the meta types that list every group-version
 * (DeleteOptions, WatchEvent) keep only the group-versions this server serves. */
static bool
keep_gvk(const struct kc_schema *s, const struct kc_schema_gvk *g)
{
    return s->ngvks == 1 || api_gv_served(g->group, g->version);
}

enum node_ctx {
    CTX_PROP,  /* a property's value: references are wrapped in allOf (upstream writes siblings next to them) */
    CTX_ITEMS, /* array items / map values: structs as allOf + default {}, other named types as a bare $ref */
};

static json_t *
node_json(struct build *b, const struct kc_schema *s, enum node_ctx ctx)
{
    if (s->name) {
        json_t *ref = ref_json(b, s->name);
        if (ctx == CTX_ITEMS && s->type != KC_SCHEMA_OBJECT)
            return ref;
        json_t *n = chk(b, json_pack("{s:[o]}", "allOf", ref));
        if (n && ctx == CTX_ITEMS)
            oset(b, n, "default", json_object());
        return n;
    }
    json_t *n = chk(b, json_object());
    if (!n)
        return NULL;
    const char *t = kc_schema_oa_type_str(s->oa_type), *f = kc_schema_format_str(s->format);
    if (t)
        oset(b, n, "type", json_string(t));
    if (f)
        oset(b, n, "format", json_string(f));
    if (s->type == KC_SCHEMA_ARRAY && s->elem)
        oset(b, n, "items", node_json(b, s->elem, CTX_ITEMS));
    else if (s->type == KC_SCHEMA_MAP && s->elem)
        oset(b, n, "additionalProperties", node_json(b, s->elem, CTX_ITEMS));
    return n;
}

static json_t *
prop_json(struct build *b, const struct kc_schema_prop *p)
{
    json_t *n = node_json(b, p->schema, CTX_PROP);
    if (!n)
        return NULL;
    if (p->default_json) {
        json_error_t e;
        oset(b, n, "default", json_loads(p->default_json, JSON_DECODE_ANY, &e));
    }
    if (p->nlist_map_keys) {
        json_t *k = chk(b, json_array());
        for (size_t i = 0; k && i < p->nlist_map_keys; i++)
            aadd(b, k, json_string(p->list_map_keys[i]));
        oset(b, n, "x-kubernetes-list-map-keys", k);
    }
    const char *lt = kc_schema_list_type_str(p->list_type), *mt = kc_schema_map_type_str(p->map_type),
               *ps = kc_schema_patch_strategy_str(p->patch_strategy);
    if (lt)
        oset(b, n, "x-kubernetes-list-type", json_string(lt));
    if (mt)
        oset(b, n, "x-kubernetes-map-type", json_string(mt));
    if (p->merge_key)
        oset(b, n, "x-kubernetes-patch-merge-key", json_string(p->merge_key));
    if (ps)
        oset(b, n, "x-kubernetes-patch-strategy", json_string(ps));
    return n;
}

/* A named schema as components.schemas writes it (without descriptions and zero-value defaults, which the tables do
 * not keep). */
static json_t *
schema_json(struct build *b, const struct kc_schema *s)
{
    json_t *o = chk(b, json_object());
    if (!o)
        return NULL;
    switch (s->type) {
    case KC_SCHEMA_INT_OR_STRING:
        oset(b, o, "format", json_string("int-or-string"));
        oset(b, o, "oneOf", json_pack("[{s:s},{s:s}]", "type", "integer", "type", "string"));
        break;
    case KC_SCHEMA_QUANTITY:
        oset(b, o, "oneOf", json_pack("[{s:s},{s:s}]", "type", "string", "type", "number"));
        break;
    default: {
        const char *t = kc_schema_oa_type_str(s->oa_type), *f = kc_schema_format_str(s->format);
        if (t)
            oset(b, o, "type", json_string(t));
        if (f)
            oset(b, o, "format", json_string(f));
        break;
    }
    }
    if (s->type == KC_SCHEMA_OBJECT) {
        json_t *props = chk(b, json_object());
        for (size_t i = 0; props && i < s->nprops; i++)
            oset(b, props, s->props[i].name, prop_json(b, &s->props[i]));
        oset(b, o, "properties", props);
    } else if (s->type == KC_SCHEMA_ARRAY && s->elem) {
        oset(b, o, "items", node_json(b, s->elem, CTX_ITEMS));
    } else if (s->type == KC_SCHEMA_MAP && s->elem) {
        oset(b, o, "additionalProperties", node_json(b, s->elem, CTX_ITEMS));
    }
    if (s->nrequired) {
        json_t *r = chk(b, json_array());
        for (size_t i = 0; r && i < s->nrequired; i++)
            aadd(b, r, json_string(s->required[i]));
        oset(b, o, "required", r);
    }
    if (s->ngvks) {
        json_t *g = chk(b, json_array());
        for (size_t i = 0; g && i < s->ngvks; i++)
            if (keep_gvk(s, &s->gvks[i]))
                aadd(b, g,
                     json_pack("{s:s,s:s,s:s}", "group", s->gvks[i].group, "kind", s->gvks[i].kind, "version",
                               s->gvks[i].version));
        oset(b, o, "x-kubernetes-group-version-kind", g);
    }
    const char *mt = kc_schema_map_type_str(s->map_type);
    if (mt)
        oset(b, o, "x-kubernetes-map-type", json_string(mt));
    if (s->flags & KC_SCHEMA_F_PRESERVE_UNKNOWN)
        oset(b, o, "x-kubernetes-preserve-unknown-fields", json_true());
    if (s->nunions) {
        json_t *us = chk(b, json_array());
        for (size_t i = 0; us && i < s->nunions; i++) {
            json_t *f = chk(b, json_object());
            for (size_t k = 0; f && k < s->unions[i].nfields; k++)
                oset(b, f, s->unions[i].fields[k].field, json_string(s->unions[i].fields[k].value));
            aadd(b, us,
                 json_pack("{s:s,s:o}", "discriminator", s->unions[i].discriminator, "fields-to-discriminateBy", f));
        }
        oset(b, o, "x-kubernetes-unions", us);
    }
    return o;
}

/* Marks s and every named schema reachable from it in seen (indexed by kc_schema_index). NULL (a schema the
 * tables lack) is an error: the document would reference it. */
static void
mark(struct build *b, const struct kc_schema *s)
{
    if (!s) {
        b->failed = true;
        return;
    }
    while (s) {
        long i = kc_schema_index(s);
        if (i < 0 || b->seen[i])
            return;
        b->seen[i] = 1;
        for (size_t k = 0; k < s->nprops; k++)
            mark(b, s->props[k].schema);
        s = s->elem;
    }
}

static void
mark_name(struct build *b, const char *name)
{
    mark(b, kc_schema_find(name));
}

/* --- paths --- */

struct pdesc {
    const char *name, *type;
};

#define PD_END     \
    {              \
        NULL, NULL \
    }
static const struct pdesc P_NONE[] = { PD_END };
static const struct pdesc P_LIST[] = { { "allowWatchBookmarks", "boolean" },
                                       { "continue", "string" },
                                       { "fieldSelector", "string" },
                                       { "labelSelector", "string" },
                                       { "limit", "integer" },
                                       { "resourceVersion", "string" },
                                       { "resourceVersionMatch", "string" },
                                       { "sendInitialEvents", "boolean" },
                                       { "timeoutSeconds", "integer" },
                                       { "watch", "boolean" },
                                       PD_END };
/* every operation that takes an object (POST, PUT, PATCH) declares fieldValidation: kubectl 1.27+ then leaves
 * validation to the server (KUBE_API_NOTES.md) */
static const struct pdesc P_WRITE[] = {
    { "dryRun", "string" }, { "fieldManager", "string" }, { "fieldValidation", "string" }, PD_END
};
static const struct pdesc P_DELETE[] = {
    { "dryRun", "string" }, { "gracePeriodSeconds", "integer" }, { "propagationPolicy", "string" }, PD_END
};
static const struct pdesc P_DELCOLL[] = { { "continue", "string" },
                                          { "dryRun", "string" },
                                          { "fieldSelector", "string" },
                                          { "gracePeriodSeconds", "integer" },
                                          { "labelSelector", "string" },
                                          { "limit", "integer" },
                                          { "propagationPolicy", "string" },
                                          { "resourceVersion", "string" },
                                          { "resourceVersionMatch", "string" },
                                          { "sendInitialEvents", "boolean" },
                                          { "timeoutSeconds", "integer" },
                                          PD_END };
static const struct pdesc P_LOG[] = { { "container", "string" },     { "follow", "boolean" },
                                      { "limitBytes", "integer" },   { "previous", "boolean" },
                                      { "sinceSeconds", "integer" }, { "tailLines", "integer" },
                                      { "timestamps", "boolean" },   PD_END };

static json_t *
param_json(struct build *b, const char *name, const char *in, const char *type)
{
    json_t *p =
        chk(b, json_pack("{s:s,s:s,s:{s:s,s:b}}", "in", in, "name", name, "schema", "type", type, "uniqueItems", 1));
    if (p && strcmp(in, "path") == 0)
        oset(b, p, "required", json_true());
    return p;
}

/* One operation to add to a path. */
struct opdesc {
    const char *method;     /* "get", "post", "put", "patch", "delete" */
    const char *verb;       /* operation id prefix: "list", "read", "create", "replace", "patch", "delete" */
    const char *collection; /* "Collection" for deletecollection, else "" */
    const char *suffix;     /* "Status", "Scale", "Binding", "Log", "Finalize", "ForAllNamespaces" or "" */
    const char *action;     /* x-kubernetes-action */
    const struct pdesc *params;
    const char *body;                   /* request body schema, NULL for none */
    bool patch_body;                    /* the body is a patch (three patch media types) */
    const char *resp;                   /* response schema; NULL: a plain string (logs) */
    const int *codes;                   /* response codes ending with 0 */
    const char *group, *version, *kind; /* x-kubernetes-group-version-kind */
};

/* The operation id: verb + infix [+ Collection] [+ Namespaced] + Kind + suffix. */
static void
op_id(const struct api_resource *r, const struct opdesc *d, char *buf, size_t len)
{
    char infix[128];
    op_infix(r->group, r->version, infix, sizeof(infix));
    bool namespaced = r->namespaced && strcmp(d->suffix, "ForAllNamespaces") != 0;
    snprintf(buf, len, "%s%s%s%s%s%s", d->verb, infix, d->collection, namespaced ? "Namespaced" : "", r->kind,
             d->suffix);
}

static const char *
code_text(int code)
{
    switch (code) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    default:
        return "Unauthorized";
    }
}

static json_t *
op_json(struct build *b, const struct api_resource *r, const struct opdesc *d, const json_t *path_params)
{
    char id[256], tag[128];
    op_id(r, d, id, sizeof(id));
    tag_of(r->group, r->version, tag, sizeof(tag));
    json_t *op = chk(b, json_pack("{s:s,s:[s],s:s,s:{s:s,s:s,s:s}}", "operationId", id, "tags", tag,
                                  "x-kubernetes-action", d->action, "x-kubernetes-group-version-kind", "group",
                                  d->group, "kind", d->kind, "version", d->version));
    if (!op)
        return NULL;
    /* all the operation's parameters; those every operation of the path shares are hoisted later */
    json_t *params = chk(b, json_deep_copy(path_params));
    if (params) {
        aadd(b, params, param_json(b, "pretty", "query", "string"));
        for (const struct pdesc *p = d->params; p->name; p++)
            aadd(b, params, param_json(b, p->name, "query", p->type));
    }
    oset(b, op, "parameters", params);
    if (d->body) {
        json_t *content = chk(b, json_object());
        if (content && d->patch_body) {
            static const char *const types[] = { "application/json-patch+json", "application/merge-patch+json",
                                                 "application/strategic-merge-patch+json" };
            for (size_t i = 0; i < 3; i++)
                oset(b, content, types[i], json_pack("{s:o}", "schema", ref_json(b, d->body)));
        } else if (content) {
            oset(b, content, "*/*", json_pack("{s:o}", "schema", ref_json(b, d->body)));
        }
        oset(b, op, "requestBody", json_pack("{s:o,s:b}", "content", content, "required", 1));
    }
    json_t *resps = chk(b, json_object());
    for (const int *c = d->codes; resps && *c; c++) {
        char code[8];
        snprintf(code, sizeof(code), "%d", *c);
        json_t *schema = d->resp ? ref_json(b, d->resp) : json_pack("{s:s}", "type", "string");
        oset(b, resps, code,
             json_pack("{s:s,s:{s:{s:o}}}", "description", code_text(*c), "content",
                       d->resp ? "application/json" : "text/plain", "schema", schema));
    }
    if (resps)
        oset(b, resps, "401", json_pack("{s:s}", "description", code_text(401)));
    oset(b, op, "responses", resps);
    return op;
}

static int
param_cmp(const void *a, const void *b)
{
    const json_t *pa = *(json_t *const *)a, *pb = *(json_t *const *)b;
    return strcmp(json_string_value(json_object_get(pa, "name")), json_string_value(json_object_get(pb, "name")));
}

/* Sorts a parameter array by name, in place (upstream's order). */
static void
sort_params(struct build *b, json_t *arr)
{
    size_t n = json_array_size(arr);
    if (n < 2)
        return;
    json_t **v = kc_malloc(n * sizeof(*v));
    if (!v) {
        b->failed = true;
        return;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(arr, i));
    qsort(v, n, sizeof(*v), param_cmp);
    json_array_clear(arr);
    for (size_t i = 0; i < n; i++)
        aadd(b, arr, v[i]);
    free(v);
}

static bool
has_param(const json_t *params, const json_t *p)
{
    size_t i;
    json_t *q;
    json_array_foreach(params, i, q)
    {
        if (json_equal(q, p))
            return true;
    }
    return false;
}

/* Moves the parameters every operation of a path item has to the path item's own list, as upstream writes them
 * (a path with one operation has all of them at the path level). */
static void
hoist_params(struct build *b, json_t *item)
{
    static const char *const methods[] = { "delete", "get", "patch", "post", "put" };
    json_t *first = NULL;
    for (size_t m = 0; m < 5 && !first; m++)
        first = json_object_get(item, methods[m]);
    json_t *common = chk(b, json_array());
    if (!first || !common) {
        json_decref(common);
        return;
    }
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(first, "parameters"), i, p)
    {
        bool all = true;
        for (size_t m = 0; m < 5; m++) {
            json_t *op = json_object_get(item, methods[m]);
            if (op && !has_param(json_object_get(op, "parameters"), p))
                all = false;
        }
        if (all)
            aadd(b, common, json_incref(p));
    }
    for (size_t m = 0; m < 5; m++) {
        json_t *op = json_object_get(item, methods[m]);
        if (!op)
            continue;
        json_t *rest = chk(b, json_array());
        if (!rest)
            break;
        json_array_foreach(json_object_get(op, "parameters"), i, p)
        {
            if (!has_param(common, p))
                aadd(b, rest, json_incref(p));
        }
        if (json_array_size(rest)) {
            sort_params(b, rest);
            oset(b, op, "parameters", rest);
        } else {
            json_decref(rest);
            json_object_del(op, "parameters");
        }
    }
    sort_params(b, common);
    oset(b, item, "parameters", common);
}

/* Adds the operation to paths[path] (creating the path item). */
static void
add_op(struct build *b, json_t *paths, const char *path, const struct api_resource *r, const struct opdesc *d)
{
    json_t *item = json_object_get(paths, path);
    if (!item) {
        item = chk(b, json_object());
        oset(b, paths, path, item);
        if (b->failed)
            return;
    }
    json_t *pp = chk(b, json_array());
    if (!pp)
        return;
    if (strstr(path, "{name}"))
        aadd(b, pp, param_json(b, "name", "path", "string"));
    if (strstr(path, "{namespace}"))
        aadd(b, pp, param_json(b, "namespace", "path", "string"));
    oset(b, item, d->method, op_json(b, r, d, pp));
    json_decref(pp);
}

static const int C_200[] = { 200, 0 };
static const int C_200_201[] = { 200, 201, 0 };
static const int C_200_201_202[] = { 200, 201, 202, 0 };
static const int C_200_202[] = { 200, 202, 0 };

#define META      "io.k8s.apimachinery.pkg.apis.meta.v1."
#define S_DELETE  META "DeleteOptions"
#define S_PATCH   META "Patch"
#define S_STATUS  META "Status"
#define S_SCALE   "io.k8s.api.autoscaling.v1.Scale"
#define S_BINDING "io.k8s.api.core.v1.Binding"
#define S_EVICT   "io.k8s.api.policy.v1.Eviction"
#define S_RESLIST META "APIResourceList"

/* The paths of one resource, and the schemas they name (marked in b->seen). */
static void
resource_paths(struct build *b, json_t *paths, const struct api_resource *r)
{
    char base[160], coll[256], item[300], sub[340], list[200];
    if (r->group[0])
        snprintf(base, sizeof(base), "/apis/%s/%s", r->group, r->version);
    else
        snprintf(base, sizeof(base), "/api/%s", r->version);
    if (r->namespaced)
        snprintf(coll, sizeof(coll), "%s/namespaces/{namespace}/%s", base, r->plural);
    else
        snprintf(coll, sizeof(coll), "%s/%s", base, r->plural);
    snprintf(item, sizeof(item), "%s/{name}", coll);
    snprintf(list, sizeof(list), "%sList", r->schema);
    const char *g = r->group, *v = r->version, *k = r->kind, *s = r->schema;
    mark_name(b, s);

    if (r->verbs & API_VERB_LIST) {
        mark_name(b, list);
        add_op(b, paths, coll, r,
               &(struct opdesc){ "get", "list", "", "", "list", P_LIST, NULL, false, list, C_200, g, v, k });
        if (r->namespaced) {
            char all[200];
            snprintf(all, sizeof(all), "%s/%s", base, r->plural);
            add_op(b, paths, all, r,
                   &(struct opdesc){ "get", "list", "", "ForAllNamespaces", "list", P_LIST, NULL, false, list, C_200, g,
                                     v, k });
        }
    }
    if (r->verbs & API_VERB_CREATE)
        add_op(b, paths, coll, r,
               &(struct opdesc){ "post", "create", "", "", "post", P_WRITE, s, false, s, C_200_201_202, g, v, k });
    if (r->verbs & API_VERB_DELETECOLLECTION) {
        mark_name(b, S_DELETE);
        mark_name(b, S_STATUS);
        add_op(b, paths, coll, r,
               &(struct opdesc){ "delete", "delete", "Collection", "", "deletecollection", P_DELCOLL, S_DELETE, false,
                                 S_STATUS, C_200, g, v, k });
    }
    if (r->verbs & API_VERB_GET)
        add_op(b, paths, item, r,
               &(struct opdesc){ "get", "read", "", "", "get", P_NONE, NULL, false, s, C_200, g, v, k });
    if (r->verbs & API_VERB_UPDATE)
        add_op(b, paths, item, r,
               &(struct opdesc){ "put", "replace", "", "", "put", P_WRITE, s, false, s, C_200_201, g, v, k });
    if (r->verbs & API_VERB_PATCH) {
        mark_name(b, S_PATCH);
        add_op(b, paths, item, r,
               &(struct opdesc){ "patch", "patch", "", "", "patch", P_WRITE, S_PATCH, true, s, C_200_201, g, v, k });
    }
    if (r->verbs & API_VERB_DELETE) {
        /* the deleted object for registries with ReturnDeletedObject, else a Status; namespaces answer the object
         * but their registry does not say so, and upstream's document names a Status */
        bool obj = r->delete_returns_object && !(!r->group[0] && strcmp(r->kind, "Namespace") == 0);
        const char *resp = obj ? s : S_STATUS;
        mark_name(b, S_DELETE);
        mark_name(b, resp);
        add_op(b, paths, item, r,
               &(struct opdesc){ "delete", "delete", "", "", "delete", P_DELETE, S_DELETE, false, resp, C_200_202, g, v,
                                 k });
    }
    if (r->subs & API_SUB_STATUS) {
        mark_name(b, S_PATCH);
        snprintf(sub, sizeof(sub), "%s/status", item);
        add_op(b, paths, sub, r,
               &(struct opdesc){ "get", "read", "", "Status", "get", P_NONE, NULL, false, s, C_200, g, v, k });
        add_op(b, paths, sub, r,
               &(struct opdesc){ "put", "replace", "", "Status", "put", P_WRITE, s, false, s, C_200_201, g, v, k });
        add_op(
            b, paths, sub, r,
            &(struct opdesc){ "patch", "patch", "", "Status", "patch", P_WRITE, S_PATCH, true, s, C_200_201, g, v, k });
    }
    if (r->subs & API_SUB_SCALE) {
        mark_name(b, S_SCALE);
        mark_name(b, S_PATCH);
        snprintf(sub, sizeof(sub), "%s/scale", item);
        add_op(b, paths, sub, r,
               &(struct opdesc){ "get", "read", "", "Scale", "get", P_NONE, NULL, false, S_SCALE, C_200, "autoscaling",
                                 "v1", "Scale" });
        add_op(b, paths, sub, r,
               &(struct opdesc){ "put", "replace", "", "Scale", "put", P_WRITE, S_SCALE, false, S_SCALE, C_200_201,
                                 "autoscaling", "v1", "Scale" });
        add_op(b, paths, sub, r,
               &(struct opdesc){ "patch", "patch", "", "Scale", "patch", P_WRITE, S_PATCH, true, S_SCALE, C_200_201,
                                 "autoscaling", "v1", "Scale" });
    }
    if (r->subs & API_SUB_BINDING) {
        mark_name(b, S_BINDING);
        snprintf(sub, sizeof(sub), "%s/binding", item);
        add_op(b, paths, sub, r,
               &(struct opdesc){ "post", "create", "", "Binding", "post", P_WRITE, S_BINDING, false, S_BINDING,
                                 C_200_201_202, "", "v1", "Binding" });
    }
    if (r->subs & API_SUB_EVICTION) {
        mark_name(b, S_EVICT);
        snprintf(sub, sizeof(sub), "%s/eviction", item);
        add_op(b, paths, sub, r,
               &(struct opdesc){ "post", "create", "", "Eviction", "post", P_WRITE, S_EVICT, false, S_EVICT,
                                 C_200_201_202, "policy", "v1", "Eviction" });
    }
    if (r->subs & API_SUB_LOG) {
        snprintf(sub, sizeof(sub), "%s/log", item);
        add_op(b, paths, sub, r,
               &(struct opdesc){ "get", "read", "", "Log", "get", P_LOG, NULL, false, NULL, C_200, g, v, k });
    }
    if (!r->group[0] && strcmp(r->kind, "Namespace") == 0) {
        snprintf(sub, sizeof(sub), "%s/finalize", item);
        add_op(b, paths, sub, r,
               &(struct opdesc){ "put", "replace", "", "Finalize", "put", P_WRITE, s, false, s, C_200_201, g, v, k });
    }
}

json_t *
api_openapi_build(const char *group, const char *version)
{
    if (!group || !version || !api_gv_served(group, version))
        return NULL;
    size_t nschemas = kc_schema_count();
    struct build b = { .seen = kc_calloc(nschemas ? nschemas : 1, 1) };
    json_t *paths = json_object(), *schemas = json_object(), *doc = NULL;
    if (!b.seen || !paths || !schemas)
        goto out;
    /* the group-version's discovery document */
    char base[160], infix[128], tag[128], id[200];
    if (group[0])
        snprintf(base, sizeof(base), "/apis/%s/%s/", group, version);
    else
        snprintf(base, sizeof(base), "/api/%s/", version);
    op_infix(group, version, infix, sizeof(infix));
    tag_of(group, version, tag, sizeof(tag));
    snprintf(id, sizeof(id), "get%sAPIResources", infix);
    mark_name(&b, S_RESLIST);
    oset(&b, paths, base,
         json_pack("{s:{s:s,s:{s:{s:s,s:{s:{s:o}}},s:{s:s}},s:[s]}}", "get", "operationId", id, "responses", "200",
                   "description", "OK", "content", "application/json", "schema", ref_json(&b, S_RESLIST), "401",
                   "description", "Unauthorized", "tags", tag));

    const struct api_resource *r;
    for (size_t i = 0; !b.failed && (r = api_served_at(i)); i++)
        if (strcmp(r->group, group) == 0 && strcmp(r->version, version) == 0)
            resource_paths(&b, paths, r);
    const char *key;
    json_t *item;
    json_object_foreach(paths, key, item)
    {
        if (strcmp(key, base) != 0 && !b.failed)
            hoist_params(&b, item);
    }
    for (size_t i = 0; i < kc_schema_named_count() && !b.failed; i++)
        if (b.seen[i]) {
            const struct kc_schema *s = kc_schema_at(i);
            oset(&b, schemas, s->name, schema_json(&b, s));
        }
    if (b.failed)
        goto out;
    doc = json_pack("{s:s,s:{s:s,s:s},s:O,s:{s:O,s:{s:{s:s,s:s,s:s}}}}", "openapi", "3.0.0", "info", "title",
                    "Kubernetes", "version", "unversioned", "paths", paths, "components", "schemas", schemas,
                    "securitySchemes", "BearerToken", "in", "header", "name", "authorization", "type", "apiKey");
out:
    free(b.seen);
    json_decref(paths);
    json_decref(schemas);
    return doc;
}

/* --- the served set --- */

struct doc {
    char *path; /* "api/v1", "apis/apps/v1"; "" for the index */
    char *text; /* compact JSON, keys sorted */
    size_t len;
    char hash[API_OPENAPI_HASH_LEN + 1];
};

struct api_openapi {
    struct doc *docs;
    size_t ndocs;
    struct doc root;
    time_t built; /* Last-Modified of the documents */
};

static void
hash_hex(const char *text, size_t len, char out[API_OPENAPI_HASH_LEN + 1])
{
    unsigned char d[SHA512_DIGEST_LENGTH];
    SHA512((const unsigned char *)text, len, d);
    for (int i = 0; i < SHA512_DIGEST_LENGTH; i++)
        snprintf(out + 2 * i, 3, "%02X", d[i]);
}

/* Serialises doc (taking the reference) into d. Returns 0 or -ENOMEM. */
static int
doc_set(struct doc *d, const char *path, json_t *doc)
{
    d->path = kc_strdup(path);
    d->text = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(doc);
    if (!d->path || !d->text)
        return -ENOMEM;
    d->len = strlen(d->text);
    hash_hex(d->text, d->len, d->hash);
    return 0;
}

void
api_openapi_free(struct api_openapi *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->ndocs; i++) {
        free(o->docs[i].path);
        free(o->docs[i].text);
    }
    free(o->docs);
    free(o->root.path);
    free(o->root.text);
    free(o);
}

int
api_openapi_new(struct api_openapi **out)
{
    struct api_openapi *o = kc_calloc(1, sizeof(*o));
    size_t n = 0;
    const struct api_resource *r;
    while (api_served_at(n))
        n++;
    if (!o || !(o->docs = kc_calloc(n ? n : 1, sizeof(*o->docs)))) {
        free(o);
        return -ENOMEM;
    }
    o->built = time(NULL);
    json_t *index = json_object();
    if (!index)
        goto oom;
    for (size_t i = 0; (r = api_served_at(i)); i++) {
        char path[200];
        if (r->group[0])
            snprintf(path, sizeof(path), "apis/%s/%s", r->group, r->version);
        else
            snprintf(path, sizeof(path), "api/%s", r->version);
        if (json_object_get(index, path))
            continue;
        struct doc *d = &o->docs[o->ndocs++];
        if (doc_set(d, path, api_openapi_build(r->group, r->version)) != 0)
            goto oom;
        char url[400];
        snprintf(url, sizeof(url), "/openapi/v3/%s?hash=%s", path, d->hash);
        if (json_object_set_new(index, path, json_pack("{s:s}", "serverRelativeURL", url)) != 0)
            goto oom;
    }
    if (doc_set(&o->root, "", json_pack("{s:o}", "paths", index)) != 0)
        goto oom_root;
    *out = o;
    return 0;
oom:
    json_decref(index);
oom_root:
    api_openapi_free(o);
    return -ENOMEM;
}

const char *
api_openapi_get(const struct api_openapi *o, const char *path, size_t *len, const char **hash)
{
    const struct doc *d = NULL;
    if (!path[0])
        d = &o->root;
    for (size_t i = 0; !d && i < o->ndocs; i++)
        if (strcmp(o->docs[i].path, path) == 0)
            d = &o->docs[i];
    if (!d)
        return NULL;
    *len = d->len;
    if (hash)
        *hash = d->hash;
    return d->text;
}

/* --- HTTP --- */

/* The process-wide documents: built once on a worker thread, never changed, freed at exit by the OS. */
static _Atomic(struct api_openapi *) served;
static pthread_mutex_t served_lock = PTHREAD_MUTEX_INITIALIZER;

/* An HTTP date (RFC 7231 IMF-fixdate, as Go's http.TimeFormat), independent of the locale. */
static void
http_date(time_t t, char buf[40])
{
    static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(buf, 40, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
reply_status(kc_httpd_req *req, int code, const char *reason, const char *msg)
{
    json_t *st = api_status(code, reason, msg, NULL, NULL, NULL);
    kc_httpd_reply_json(req, code, st, false);
    json_decref(st);
}

/* Whether an Accept header admits JSON (application/json, application/ and any type; q=0 excluded). NULL or empty
 * admits everything. */
static bool
accepts_json(kc_httpd_req *req)
{
    size_t len;
    const char *a = kc_httpd_req_header(req, "accept", &len);
    if (!a || !len)
        return true;
    const char *end = a + len;
    for (const char *s = a; s < end;) {
        const char *e = memchr(s, ',', (size_t)(end - s));
        if (!e)
            e = end;
        const char *semi = memchr(s, ';', (size_t)(e - s)), *me = semi ? semi : e;
        while (s < me && (*s == ' ' || *s == '\t'))
            s++;
        while (me > s && (me[-1] == ' ' || me[-1] == '\t'))
            me--;
        size_t n = (size_t)(me - s);
        bool json = (n == 16 && strncasecmp(s, "application/json", 16) == 0) ||
                    (n == 13 && strncasecmp(s, "application/*", 13) == 0) || (n == 3 && strncmp(s, "*/*", 3) == 0);
        bool zero = false;
        for (const char *q = semi; q && q < e; q = memchr(q + 1, ';', (size_t)(e - q - 1))) {
            const char *v = q + 1;
            while (v < e && *v == ' ')
                v++;
            if (e - v >= 2 && v[0] == 'q' && v[1] == '=') {
                char qb[16];
                size_t ql = (size_t)(e - v - 2) < sizeof(qb) - 1 ? (size_t)(e - v - 2) : sizeof(qb) - 1;
                memcpy(qb, v + 2, ql);
                qb[ql] = '\0';
                zero = strtod(qb, NULL) <= 0;
            }
        }
        if (json && !zero)
            return true;
        s = e < end ? e + 1 : end;
    }
    return false;
}

static bool
etag_matches(kc_httpd_req *req, const char *etag)
{
    size_t len;
    const char *inm = kc_httpd_req_header(req, "if-none-match", &len);
    return inm && len == strlen(etag) && memcmp(inm, etag, len) == 0;
}

/* Header names are written in lower case: kc_httpd passes them to h2o as they are, and HTTP/2 forbids upper case. */
static void
answer(kc_httpd_req *req, const struct api_openapi *o, const char *path)
{
    size_t len;
    const char *hash, *text;
    char etag[API_OPENAPI_HASH_LEN + 3], date[40];
    if (strcmp(path, "/openapi/v3") == 0) {
        text = api_openapi_get(o, "", &len, &hash);
        snprintf(etag, sizeof(etag), "\"%s\"", hash);
        kc_httpd_add_header(req, "etag", etag);
        http_date(time(NULL), date); /* upstream serves the index with time.Now() as its modification time */
        kc_httpd_add_header(req, "last-modified", date);
        if (etag_matches(req, etag))
            kc_httpd_reply(req, 304, NULL, "", 0);
        else
            kc_httpd_reply(req, 200, "application/json", text, len);
        return;
    }
    const char *gv = path + strlen("/openapi/v3/");
    text = api_openapi_get(o, gv, &len, &hash);
    if (!text) {
        reply_status(req, 404, "NotFound", "the server could not find the requested resource");
        return;
    }
    kc_httpd_add_header(req, "vary", "Accept");
    if (!accepts_json(req)) {
        kc_httpd_reply(req, 406, NULL, "", 0);
        return;
    }
    snprintf(etag, sizeof(etag), "\"%s\"", hash);
    kc_httpd_add_header(req, "etag", etag);
    const char *want = kc_httpd_req_param(req, "hash", 0);
    if (want && want[0]) {
        if (strcmp(want, hash) != 0) {
            char url[400], body[600];
            snprintf(url, sizeof(url), "/openapi/v3/%s?hash=%s", gv, hash);
            int n = snprintf(body, sizeof(body), "<a href=\"%s\">Moved Permanently</a>.\n\n", url);
            kc_httpd_add_header(req, "location", url);
            kc_httpd_reply(req, 301, "text/html; charset=utf-8", body, (size_t)n);
            return;
        }
        /* the hash names this exact content: it can be cached for good */
        kc_httpd_add_header(req, "cache-control", "public, immutable");
        http_date(time(NULL) + 365 * 24 * 3600, date);
        kc_httpd_add_header(req, "expires", date);
    }
    http_date(o->built, date);
    kc_httpd_add_header(req, "last-modified", date);
    if (etag_matches(req, etag))
        kc_httpd_reply(req, 304, NULL, "", 0);
    else
        kc_httpd_reply(req, 200, "application/json", text, len);
}

struct build_job {
    char path[1024];
};

static void
build_work(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&served_lock);
    if (!atomic_load(&served)) {
        struct api_openapi *o;
        if (api_openapi_new(&o) == 0)
            atomic_store(&served, o);
    }
    pthread_mutex_unlock(&served_lock);
}

static void
build_done(kc_httpd_req *req, void *arg)
{
    struct build_job *j = arg;
    struct api_openapi *o = atomic_load(&served);
    if (req) {
        if (o)
            answer(req, o, j->path);
        else
            reply_status(req, 500, "InternalError", "out of memory building the OpenAPI documents");
    }
    free(j);
}

void
api_openapi_serve(kc_httpd_req *req, const char *path)
{
    if (!kc_httpd_req_method_is(req, "GET") && !kc_httpd_req_method_is(req, "HEAD")) {
        reply_status(req, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        return;
    }
    struct api_openapi *o = atomic_load(&served);
    if (o) {
        answer(req, o, path);
        return;
    }
    struct build_job *j = kc_malloc(sizeof(*j));
    if (!j) {
        reply_status(req, 500, "InternalError", "out of memory");
        return;
    }
    snprintf(j->path, sizeof(j->path), "%s", path);
    if (kc_httpd_defer(req, build_work, build_done, j) != 0) {
        free(j);
        reply_status(req, 500, "InternalError", "out of memory");
    }
}
