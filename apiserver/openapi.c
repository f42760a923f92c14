/* openapi.c - the OpenAPI documents: v3, one per served group-version, and the whole v2 document (JSON, and
 * protobuf through kc_gnostic), both from the same walk of the resource table (the verbs and subresources the
 * server really answers, with upstream's operation ids, actions and parameters) and with schemas re-emitted from
 * the kc_schema tables the server validates with; and their serving with kube-openapi's caching headers (handler3
 * for v3: ETag = SHA-512, ?hash= immutable caching, 301 for a stale hash; handler for v2: Accept negotiation). */
#include "api_discovery.h"
#include "api_int.h"
#include "api_openapi.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_gnostic.h"
#include "kc_jarena.h"
#include "kc_log.h"
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

#define REF_PREFIX    "#/components/schemas/"
#define REF_PREFIX_V2 "#/definitions/"

#ifndef K8C_VERSION
#define K8C_VERSION "0.1.0"
#endif
#define GIT_VERSION "v1.33.0+k8c-" K8C_VERSION /* as /version answers (apiserver/server.c) */

/* --- names --- */

/* The operation-id infix of a group-version, as upstream: "CoreV1", "AppsV1", "NetworkingV1" (".k8s.io" dropped),
 * "RbacAuthorizationV1" (each dotted part capitalised). */
static void
op_infix(const char *group, const char *version, char *buf, size_t len)
{
    char g[64]; /* groups are shorter than 64 characters (as api_request.group holds them) */
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

/* The tag of a group: "core", "apps", "networking" (".k8s.io" dropped), "rbacAuthorization" (the dotted parts
 * after the first capitalised). */
static void
group_tag(const char *group, char *buf, size_t len)
{
    size_t n = 0;
    const char *end = group + strlen(group);
    if (!group[0]) {
        snprintf(buf, len, "core");
        return;
    }
    if (end - group > 7 && strcmp(end - 7, ".k8s.io") == 0)
        end -= 7;
    bool up = false;
    for (const char *p = group; p < end && n + 1 < len; p++) {
        if (*p == '.') {
            up = true;
            continue;
        }
        buf[n++] = up ? (char)toupper((unsigned char)*p) : *p;
        up = false;
    }
    buf[n] = '\0';
}

/* The tag of a group-version: "core_v1", "apps_v1", "networking_v1", "rbacAuthorization_v1". */
static void
tag_of(const char *group, const char *version, char *buf, size_t len)
{
    char g[64]; /* as above */
    group_tag(group, g, sizeof(g));
    snprintf(buf, len, "%s_%s", g, version);
}

/* One document being built: allocation failures anywhere make the whole build fail rather than leave a member
 * out (a partial document would make kubectl compute wrong patches). */
struct build {
    bool failed;         /* an allocation failed, or a schema the document names is not in the tables */
    bool v2;             /* the OpenAPI v2 (Swagger 2.0) form; else OpenAPI 3.0 */
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
    snprintf(ref, sizeof(ref), "%s%s", b->v2 ? REF_PREFIX_V2 : REF_PREFIX, schema);
    return chk(b, json_pack("{s:s}", "$ref", ref));
}

static json_t *
strings_json(struct build *b, const char *const *v, size_t n)
{
    json_t *a = chk(b, json_array());
    for (size_t i = 0; a && i < n; i++)
        aadd(b, a, json_string(v[i]));
    return a;
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
    CTX_PROP,  /* a property's value: v3 wraps references in allOf (upstream writes siblings next to them); v2
                  writes the siblings next to the $ref itself, as upstream's Swagger document does */
    CTX_ITEMS, /* array items / map values: structs as allOf + default {} (v2: $ref + default {}), other named
                  types as a bare $ref */
};

static json_t *
node_json(struct build *b, const struct kc_schema *s, enum node_ctx ctx)
{
    if (s->name) {
        json_t *ref = ref_json(b, s->name);
        if (ctx == CTX_ITEMS && s->type != KC_SCHEMA_OBJECT)
            return ref;
        if (b->v2) {
            if (ref && ctx == CTX_ITEMS)
                oset(b, ref, "default", json_object());
            return ref;
        }
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
    case KC_SCHEMA_INT_OR_STRING: /* Swagger 2.0 has no oneOf: upstream's v2 writes a string of this format */
        oset(b, o, "format", json_string("int-or-string"));
        if (b->v2)
            oset(b, o, "type", json_string("string"));
        else
            oset(b, o, "oneOf", json_pack("[{s:s},{s:s}]", "type", "integer", "type", "string"));
        break;
    case KC_SCHEMA_QUANTITY:
        if (b->v2)
            oset(b, o, "type", json_string("string"));
        else
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
/* PATCH adds force (server-side apply's conflict override) */
static const struct pdesc P_PATCH[] = { { "dryRun", "string" },
                                        { "fieldManager", "string" },
                                        { "fieldValidation", "string" },
                                        { "force", "boolean" },
                                        PD_END };
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

/* A path or query parameter: v3 {in, name, schema: {type, uniqueItems}}, v2 {in, name, type, uniqueItems}. */
static json_t *
param_json(struct build *b, const char *name, const char *in, const char *type)
{
    json_t *p = b->v2 ? chk(b, json_pack("{s:s,s:s,s:s,s:b}", "in", in, "name", name, "type", type, "uniqueItems", 1))
                      : chk(b, json_pack("{s:s,s:s,s:{s:s,s:b}}", "in", in, "name", name, "schema", "type", type,
                                         "uniqueItems", 1));
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

/* The patch media types the server takes (apiserver/rest.c), in upstream's order. */
static const char *const PATCH_TYPES[] = { "application/json-patch+json", "application/merge-patch+json",
                                           "application/strategic-merge-patch+json", "application/apply-patch+yaml" };
/* What upstream's v2 operations say they produce: objects, lists (also as watch streams), logs. */
static const char *const PRODUCES[] = { "application/json", "application/yaml", "application/vnd.kubernetes.protobuf",
                                        "application/json;stream=watch",
                                        "application/vnd.kubernetes.protobuf;stream=watch" };

/* The v2 form of an operation: parameters (the body one among them, in: body), consumes/produces, schemes. */
static json_t *
op_json_v2(struct build *b, const struct api_resource *r, const struct opdesc *d, const json_t *path_params)
{
    char id[256], tag[128];
    op_id(r, d, id, sizeof(id));
    tag_of(r->group, r->version, tag, sizeof(tag));
    bool patch = d->patch_body, list = strcmp(d->action, "list") == 0, log = !d->resp;
    json_t *op = chk(b, json_pack("{s:s,s:[s],s:[s],s:s,s:{s:s,s:s,s:s}}", "operationId", id, "tags", tag, "schemes",
                                  "https", "x-kubernetes-action", d->action, "x-kubernetes-group-version-kind", "group",
                                  d->group, "kind", d->kind, "version", d->version));
    if (!op)
        return NULL;
    static const char *const any[] = { "*/*" }, *const text[] = { "text/plain" };
    oset(b, op, "consumes", patch ? strings_json(b, PATCH_TYPES, 4) : strings_json(b, any, 1));
    oset(b, op, "produces", log ? strings_json(b, text, 1) : strings_json(b, PRODUCES, list ? 5 : 3));
    json_t *params = chk(b, json_deep_copy(path_params));
    if (params) {
        aadd(b, params, param_json(b, "pretty", "query", "string"));
        for (const struct pdesc *p = d->params; p->name; p++)
            aadd(b, params, param_json(b, p->name, "query", p->type));
        if (d->body) {
            json_t *body =
                chk(b, json_pack("{s:s,s:s,s:o}", "in", "body", "name", "body", "schema", ref_json(b, d->body)));
            if (body && strcmp(d->method, "delete") != 0) /* DeleteOptions may be left out */
                oset(b, body, "required", json_true());
            aadd(b, params, body);
        }
    }
    oset(b, op, "parameters", params);
    json_t *resps = chk(b, json_object());
    for (const int *c = d->codes; resps && *c; c++) {
        char code[8];
        snprintf(code, sizeof(code), "%d", *c);
        json_t *schema = d->resp ? ref_json(b, d->resp) : json_pack("{s:s}", "type", "string");
        oset(b, resps, code, json_pack("{s:s,s:o}", "description", kc_httpd_reason_phrase(*c), "schema", schema));
    }
    if (resps)
        oset(b, resps, "401", json_pack("{s:s}", "description", kc_httpd_reason_phrase(401)));
    oset(b, op, "responses", resps);
    return op;
}

static json_t *
op_json(struct build *b, const struct api_resource *r, const struct opdesc *d, const json_t *path_params)
{
    if (b->v2)
        return op_json_v2(b, r, d, path_params);
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
            for (size_t i = 0; i < sizeof(PATCH_TYPES) / sizeof(PATCH_TYPES[0]); i++)
                oset(b, content, PATCH_TYPES[i], json_pack("{s:o}", "schema", ref_json(b, d->body)));
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
             json_pack("{s:s,s:{s:{s:o}}}", "description", kc_httpd_reason_phrase(*c), "content",
                       d->resp ? "application/json" : "text/plain", "schema", schema));
    }
    if (resps)
        oset(b, resps, "401", json_pack("{s:s}", "description", kc_httpd_reason_phrase(401)));
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
    if (json_array_size(common))
        oset(b, item, "parameters", common);
    else
        json_decref(common); /* the discovery paths: no parameters at all */
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
               &(struct opdesc){ "patch", "patch", "", "", "patch", P_PATCH, S_PATCH, true, s, C_200_201, g, v, k });
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
            &(struct opdesc){ "patch", "patch", "", "Status", "patch", P_PATCH, S_PATCH, true, s, C_200_201, g, v, k });
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
               &(struct opdesc){ "patch", "patch", "", "Scale", "patch", P_PATCH, S_PATCH, true, S_SCALE, C_200_201,
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

/* A discovery path's item ("/api/v1/", "/apis/apps/"): one GET answering schema. */
static json_t *
discovery_item(struct build *b, const char *id, const char *tag, const char *schema)
{
    mark_name(b, schema);
    if (!b->v2)
        return chk(b, json_pack("{s:{s:s,s:{s:{s:s,s:{s:{s:o}}},s:{s:s}},s:[s]}}", "get", "operationId", id,
                                "responses", "200", "description", "OK", "content", "application/json", "schema",
                                ref_json(b, schema), "401", "description", "Unauthorized", "tags", tag));
    json_t *item = chk(b, json_pack("{s:{s:s,s:{s:{s:s,s:o},s:{s:s}},s:[s],s:[s]}}", "get", "operationId", id,
                                    "responses", "200", "description", "OK", "schema", ref_json(b, schema), "401",
                                    "description", "Unauthorized", "schemes", "https", "tags", tag));
    json_t *get = json_object_get(item, "get");
    if (get) {
        oset(b, get, "consumes", strings_json(b, PRODUCES, 3));
        oset(b, get, "produces", strings_json(b, PRODUCES, 3));
    }
    return item;
}

/* The paths of one group-version: its discovery document and every served resource in it. */
static void
gv_paths(struct build *b, json_t *paths, const char *group, const char *version)
{
    char base[160], infix[128], tag[128], id[200];
    if (group[0])
        snprintf(base, sizeof(base), "/apis/%s/%s/", group, version);
    else
        snprintf(base, sizeof(base), "/api/%s/", version);
    op_infix(group, version, infix, sizeof(infix));
    tag_of(group, version, tag, sizeof(tag));
    snprintf(id, sizeof(id), "get%sAPIResources", infix);
    oset(b, paths, base, discovery_item(b, id, tag, S_RESLIST));
    const struct api_resource *r;
    for (size_t i = 0; !b->failed && (r = api_served_at(i)); i++)
        if (strcmp(r->group, group) == 0 && strcmp(r->version, version) == 0)
            resource_paths(b, paths, r);
}

/* Hoists the shared parameters of every path item, then writes each schema marked in b->seen into schemas. */
static void
finish(struct build *b, json_t *paths, json_t *schemas)
{
    const char *key;
    json_t *item;
    json_object_foreach(paths, key, item)
    {
        if (!b->failed)
            hoist_params(b, item);
    }
    for (size_t i = 0; i < kc_schema_named_count() && !b->failed; i++)
        if (b->seen[i]) {
            const struct kc_schema *s = kc_schema_at(i);
            oset(b, schemas, s->name, schema_json(b, s));
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
    gv_paths(&b, paths, group, version);
    finish(&b, paths, schemas);
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

#define S_VERSIONS META "APIVersions"
#define S_GROUP    META "APIGroup"

json_t *
api_openapi_v2_build(void)
{
    size_t nschemas = kc_schema_count();
    struct build b = { .v2 = true, .seen = kc_calloc(nschemas ? nschemas : 1, 1) };
    json_t *paths = json_object(), *schemas = json_object(), *doc = NULL;
    if (!b.seen || !paths || !schemas)
        goto out;
    /* every served group-version once, in table order; /api/ and /apis/<group>/ before their versions */
    const struct api_resource *r, *q;
    for (size_t i = 0; !b.failed && (r = api_served_at(i)); i++) {
        bool group_seen = false, gv_seen = false;
        for (size_t k = 0; k < i && (q = api_served_at(k)); k++) {
            group_seen |= strcmp(q->group, r->group) == 0;
            gv_seen |= strcmp(q->group, r->group) == 0 && strcmp(q->version, r->version) == 0;
        }
        if (!group_seen) {
            char path[160], tag[128], infix[128], id[200];
            group_tag(r->group, tag, sizeof(tag));
            if (r->group[0]) {
                snprintf(path, sizeof(path), "/apis/%s/", r->group);
                op_infix(r->group, "v", infix, sizeof(infix));
                infix[strlen(infix) - 1] = '\0'; /* the group part alone: "Apps", "RbacAuthorization" */
                snprintf(id, sizeof(id), "get%sAPIGroup", infix);
                oset(&b, paths, path, discovery_item(&b, id, tag, S_GROUP));
            } else {
                oset(&b, paths, "/api/", discovery_item(&b, "getCoreAPIVersions", tag, S_VERSIONS));
            }
        }
        if (!gv_seen)
            gv_paths(&b, paths, r->group, r->version);
    }
    finish(&b, paths, schemas);
    if (b.failed)
        goto out;
    doc = json_pack("{s:s,s:{s:s,s:s},s:O,s:O,s:[{s:[]}],s:{s:{s:s,s:s,s:s}}}", "swagger", "2.0", "info", "title",
                    "Kubernetes", "version", GIT_VERSION, "paths", paths, "definitions", schemas, "security",
                    "BearerToken", "securityDefinitions", "BearerToken", "in", "header", "name", "authorization",
                    "type", "apiKey");
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
    d->text = doc ? kc_jarena_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
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

/* --- the v2 document --- */

struct api_openapi_v2 {
    char *json; /* compact JSON, keys sorted */
    size_t json_len;
    unsigned char *proto; /* the same as openapi.v2.Document */
    size_t proto_len;
    char hash[API_OPENAPI_HASH_LEN + 1]; /* of the JSON text; the protobuf form shares it, as kube-openapi's */
    time_t built;                        /* Last-Modified of both */
};

void
api_openapi_v2_free(struct api_openapi_v2 *o)
{
    if (!o)
        return;
    free(o->json);
    free(o->proto);
    free(o);
}

int
api_openapi_v2_new(struct api_openapi_v2 **out)
{
    struct api_openapi_v2 *o = kc_calloc(1, sizeof(*o));
    json_t *doc = o ? api_openapi_v2_build() : NULL;
    if (!doc) {
        free(o);
        return -ENOMEM;
    }
    o->built = time(NULL);
    o->json = kc_jarena_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    char err[300];
    int rc = o->json ? kc_gnostic_encode(doc, &o->proto, &o->proto_len, err, sizeof(err)) : -ENOMEM;
    json_decref(doc);
    if (rc != 0) {
        /* KC_EINVALID is a document the encoder does not know how to write: a bug the unit tests catch */
        if (rc != -ENOMEM)
            KC_LOG(KC_LOG_ERROR, "apiserver", "openapi v2 protobuf encoding failed", "error=\"%s\"", err);
        api_openapi_v2_free(o);
        return rc;
    }
    o->json_len = strlen(o->json);
    hash_hex(o->json, o->json_len, o->hash);
    *out = o;
    return 0;
}

const void *
api_openapi_v2_get(const struct api_openapi_v2 *o, bool proto, size_t *len, const char **hash)
{
    *len = proto ? o->proto_len : o->json_len;
    if (hash)
        *hash = o->hash;
    return proto ? (const void *)o->proto : (const void *)o->json;
}

/* --- HTTP --- */

/* The process-wide documents: built once on a worker thread, never changed, freed at exit by the OS. v2 is built
 * apart, at its first request: kubectl 1.27+ mostly read only v3. */
static _Atomic(struct api_openapi *) served;
static _Atomic(struct api_openapi_v2 *) served_v2;
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

/* Parses an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT", the form Go and this server write). Returns false for
 * anything else. */
static bool
parse_http_date(const char *s, size_t len, time_t *out)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char buf[40], mon[4];
    struct tm tm = { 0 };
    if (len != 29)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    int n = 0;
    if (sscanf(buf + 5, "%2d %3s %4d %2d:%2d:%2d GMT%n", &tm.tm_mday, mon, &tm.tm_year, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec, &n) != 6 ||
        n != 24 || buf[3] != ',')
        return false;
    const char *m = strstr(months, mon);
    if (!m || strlen(mon) != 3 || (m - months) % 3)
        return false;
    tm.tm_mon = (int)((m - months) / 3);
    tm.tm_year -= 1900;
    *out = timegm(&tm);
    return true;
}

/* Whether a GET can be answered 304, as Go's http.ServeContent decides: If-None-Match (a list of entity tags or
 * "*", compared weakly) when present, else If-Modified-Since against modified (seconds; 0: not checked). */
static bool
not_modified(kc_httpd_req *req, const char *etag, time_t modified)
{
    size_t len;
    const char *inm = kc_httpd_req_header(req, "if-none-match", &len);
    if (inm && len) {
        const char *p = inm, *end = inm + len;
        size_t elen = strlen(etag);
        while (p < end) {
            while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
                p++;
            if (p == end)
                break;
            if (*p == '*')
                return true;
            if (end - p >= 2 && p[0] == 'W' && p[1] == '/')
                p += 2; /* weak comparison: W/"x" matches "x" */
            if (p == end || *p != '"')
                return false;
            const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
            if (!q)
                return false;
            if ((size_t)(q + 1 - p) == elen && memcmp(p, etag, elen) == 0)
                return true;
            p = q + 1;
        }
        return false;
    }
    const char *ims = kc_httpd_req_header(req, "if-modified-since", &len);
    time_t t;
    return modified && ims && parse_http_date(ims, len, &t) && modified <= t;
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
        time_t now = time(NULL); /* upstream serves the index with time.Now() as its modification time */
        if (not_modified(req, etag, now)) {
            kc_httpd_reply(req, 304, NULL, "", 0);
            return;
        }
        http_date(now, date);
        kc_httpd_add_header(req, "last-modified", date);
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
    if (not_modified(req, etag, o->built)) { /* as Go's writeNotModified: no Last-Modified next to an ETag */
        kc_httpd_reply(req, 304, NULL, "", 0);
        return;
    }
    http_date(o->built, date);
    kc_httpd_add_header(req, "last-modified", date);
    kc_httpd_reply(req, 200, "application/json", text, len);
}

/* One media range of an Accept header, as goautoneg parses it for kube-openapi. */
struct media_range {
    const char *type, *sub;
    size_t tlen, slen;
    double q;
};

/* Parses up to max ranges of an Accept header; a range without '/' (other than "*") is skipped, as goautoneg
 * does. Returns how many were written. */
static size_t
parse_ranges(const char *a, size_t len, struct media_range *out, size_t max)
{
    size_t n = 0;
    const char *end = a + len;
    for (const char *s = a; s < end && n < max;) {
        const char *e = memchr(s, ',', (size_t)(end - s));
        if (!e)
            e = end;
        const char *semi = memchr(s, ';', (size_t)(e - s)), *me = semi ? semi : e;
        while (s < me && (*s == ' ' || *s == '\t'))
            s++;
        while (me > s && (me[-1] == ' ' || me[-1] == '\t'))
            me--;
        struct media_range r = { .type = s, .q = 1.0 };
        const char *slash = memchr(s, '/', (size_t)(me - s));
        if (slash) {
            r.tlen = (size_t)(slash - s);
            r.sub = slash + 1;
            r.slen = (size_t)(me - slash - 1);
            while (r.tlen && (s[r.tlen - 1] == ' ' || s[r.tlen - 1] == '\t'))
                r.tlen--;
            while (r.slen && (*r.sub == ' ' || *r.sub == '\t')) {
                r.sub++;
                r.slen--;
            }
        } else if (me - s == 1 && *s == '*') {
            r.tlen = 1;
            r.sub = "*";
            r.slen = 1;
        } else {
            s = e < end ? e + 1 : end;
            continue;
        }
        for (const char *p = semi; p && p < e; p = memchr(p + 1, ';', (size_t)(e - p - 1))) {
            const char *v = p + 1;
            while (v < e && (*v == ' ' || *v == '\t'))
                v++;
            if (e - v >= 2 && v[0] == 'q' && (v[1] == '=' || v[1] == ' ')) {
                const char *eq = memchr(v, '=', (size_t)(e - v));
                char qb[16];
                size_t ql = eq ? (size_t)(e - eq - 1) : 0;
                if (ql > sizeof(qb) - 1)
                    ql = sizeof(qb) - 1;
                memcpy(qb, eq ? eq + 1 : "", ql);
                qb[ql] = '\0';
                r.q = strtod(qb, NULL); /* Go's ParseFloat error gives 0 too */
            }
        }
        out[n++] = r;
        s = e < end ? e + 1 : end;
    }
    return n;
}

/* goautoneg's order: higher q first, then a concrete type before "*", then a concrete subtype before "*". */
static bool
range_before(const struct media_range *a, const struct media_range *b)
{
    if (a->q != b->q)
        return a->q > b->q;
    bool at = !(a->tlen == 1 && a->type[0] == '*'), bt = !(b->tlen == 1 && b->type[0] == '*');
    if (at != bt)
        return at;
    bool as = !(a->slen == 1 && a->sub[0] == '*'), bs = !(b->slen == 1 && b->sub[0] == '*');
    return as && !bs;
}

static bool
range_is(const char *s, size_t n, const char *want)
{
    return (n == 1 && s[0] == '*') || (n == strlen(want) && memcmp(s, want, n) == 0);
}

/* The v2 document's forms, as kube-openapi's handler offers them: what Accept names, what Content-Type says. */
static const struct {
    const char *sub, *ctype;
    bool proto;
} V2_FORMS[] = {
    { "json", "application/json", false },
    { "com.github.proto-openapi.spec.v2@v1.0+protobuf", API_OPENAPI_V2_PROTO_TYPE, true },
    { "com.github.proto-openapi.spec.v2.v1.0+protobuf", API_OPENAPI_V2_PROTO_TYPE, true },
};

/* GET /openapi/v2, as kube-openapi's handler: the first range (in goautoneg's order) that one of the forms
 * matches picks it; none gives 406 with an empty body. An absent or empty Accept is any type (JSON). */
static void
answer_v2(kc_httpd_req *req, const struct api_openapi_v2 *o)
{
    kc_httpd_add_header(req, "vary", "Accept");
    size_t alen;
    const char *a = kc_httpd_req_header(req, "accept", &alen);
    if (!a || !alen) {
        a = "*/*";
        alen = 3;
    }
    struct media_range r[32];
    size_t n = parse_ranges(a, alen, r, 32);
    for (size_t i = 1; i < n; i++) /* a stable insertion sort: n is small */
        for (size_t k = i; k > 0 && range_before(&r[k], &r[k - 1]); k--) {
            struct media_range t = r[k];
            r[k] = r[k - 1];
            r[k - 1] = t;
        }
    for (size_t i = 0; i < n; i++)
        for (size_t f = 0; f < sizeof(V2_FORMS) / sizeof(V2_FORMS[0]); f++) {
            if (!range_is(r[i].type, r[i].tlen, "application") || !range_is(r[i].sub, r[i].slen, V2_FORMS[f].sub))
                continue;
            size_t len;
            const char *hash;
            const void *body = api_openapi_v2_get(o, V2_FORMS[f].proto, &len, &hash);
            char etag[API_OPENAPI_HASH_LEN + 3], date[40];
            snprintf(etag, sizeof(etag), "\"%s\"", hash);
            kc_httpd_add_header(req, "etag", etag);
            if (not_modified(req, etag, o->built)) {
                kc_httpd_reply(req, 304, NULL, "", 0);
                return;
            }
            http_date(o->built, date);
            kc_httpd_add_header(req, "last-modified", date);
            /* the document lives as long as the process: lent, not copied */
            kc_httpd_reply_lend(req, 200, V2_FORMS[f].ctype, body, len, NULL, NULL);
            return;
        }
    kc_httpd_reply(req, 406, NULL, "", 0);
}

struct build_job {
    char path[1024];
};

static bool
is_v2(const char *path)
{
    return strcmp(path, "/openapi/v2") == 0;
}

static void
build_work(void *arg)
{
    struct build_job *j = arg;
    pthread_mutex_lock(&served_lock);
    if (is_v2(j->path) && !atomic_load(&served_v2)) {
        struct api_openapi_v2 *o;
        if (api_openapi_v2_new(&o) == 0)
            atomic_store(&served_v2, o);
    } else if (!is_v2(j->path) && !atomic_load(&served)) {
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
    if (req) {
        struct api_openapi *o = atomic_load(&served);
        struct api_openapi_v2 *o2 = atomic_load(&served_v2);
        if (is_v2(j->path) && o2)
            answer_v2(req, o2);
        else if (!is_v2(j->path) && o)
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
    if (strncmp(path, "/openapi/v2", 11) == 0 && !is_v2(path)) {
        reply_status(req, 404, "NotFound", "the server could not find the requested resource");
        return;
    }
    struct api_openapi *o = atomic_load(&served);
    struct api_openapi_v2 *o2 = atomic_load(&served_v2);
    if (is_v2(path) && o2) {
        answer_v2(req, o2);
        return;
    }
    if (!is_v2(path) && o) {
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
