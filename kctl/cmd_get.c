/* cmd_get.c - `kctl get`: types and names as kubectl parses them, Tables from the server printed in kubectl's
 * layout, -o json|yaml|name|jsonpath|custom-columns over the objects (a `kind: List` for several), and -w: the
 * list, then a watch that resumes from the last resourceVersion after a dropped connection and relists on 410. */
#include "kctl.h"
#include "kctl_print.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_time.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define TABLE_ACCEPT \
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
#define LIST_CHUNK    500
#define WATCH_RETRIES 30 /* attempts to reconnect a dropped watch, one second apart, before giving up */
#define MAX_GROUPS    64

enum out_mode { OUT_TABLE, OUT_WIDE, OUT_JSON, OUT_YAML, OUT_NAME, OUT_JSONPATH, OUT_COLUMNS };

/* One type with the names asked for it (none: the whole collection). */
struct group {
    struct kctl_resource r;
    char type[256]; /* as typed, to confirm an assumed type with discovery */
    const char *names[64];
    int nnames;
};

struct get {
    struct kctl_config *cfg;
    struct kctl_client *c;
    enum out_mode mode;
    struct kctl_jsonpath *jp;
    struct kctl_columns *cols;
    const char *ns; /* NULL with -A */
    struct group groups[MAX_GROUPS];
    int ngroups;
    bool single;    /* one type and one name: print the object itself, not a List */
    FILE *out;      /* cfg->out through a counter */
    size_t written; /* bytes passed on to cfg->out */
    FILE *errs;     /* errors kept for the end, as kubectl prints them after the output */
    char *errbuf;
    size_t errlen;
    int failed;
};

/* g->out counts what passes through to cfg->out, so that "nothing was written" can be told. */
static ssize_t
count_write(void *cookie, const char *buf, size_t size)
{
    struct get *g = cookie;
    size_t n = fwrite(buf, 1, size, g->cfg->out);
    g->written += n;
    return n == size ? (ssize_t)n : -1;
}

static void
out_flush(struct get *g)
{
    fflush(g->out);
    fflush(g->cfg->out);
}

static int
usage_error(struct kctl_config *cfg, const char *msg)
{
    fprintf(cfg->err, "error: %s\nSee 'kctl get -h' for help and examples\n", msg);
    return 1;
}

static int
parse_output(struct get *g)
{
    const char *o = g->cfg->output;
    char err[512];
    if (!o || !*o) {
        g->mode = OUT_TABLE;
    } else if (strcmp(o, "wide") == 0) {
        g->mode = OUT_WIDE;
    } else if (strcmp(o, "json") == 0) {
        g->mode = OUT_JSON;
    } else if (strcmp(o, "yaml") == 0) {
        g->mode = OUT_YAML;
    } else if (strcmp(o, "name") == 0) {
        g->mode = OUT_NAME;
    } else if (strncmp(o, "jsonpath=", 9) == 0 || strncmp(o, "jsonpath-as-json=", 17) == 0) {
        const char *t = strchr(o, '=') + 1;
        g->mode = OUT_JSONPATH;
        if (!*t) {
            fprintf(g->cfg->err, "error: template format specified but no template given\n");
            return 1;
        }
        if (kctl_jsonpath_parse(t, &g->jp, err, sizeof(err)) != 0) {
            fprintf(g->cfg->err, "error: error parsing jsonpath %s, %s\n", t, err);
            return 1;
        }
    } else if (strncmp(o, "custom-columns=", 15) == 0) {
        g->mode = OUT_COLUMNS;
        if (kctl_columns_parse(o + 15, &g->cols, err, sizeof(err)) != 0) {
            fprintf(g->cfg->err, "error: %s\n", err);
            return 1;
        }
    } else {
        if (strncmp(o, "go-template", 11) == 0 || strncmp(o, "template", 8) == 0 || strstr(o, "-file="))
            fprintf(g->cfg->err, "error: kctl does not support -o %.*s (use jsonpath or custom-columns)\n",
                    (int)strcspn(o, "="), o);
        else
            fprintf(g->cfg->err,
                    "error: unable to match a printer suitable for the output format \"%s\", allowed formats are: "
                    "custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,"
                    "jsonpath-file,name,template,templatefile,wide,yaml\n",
                    o);
        return 1;
    }
    return 0;
}

/* Adds type (resolved) with no names; returns the group's index or -1 (error printed). Repeats are merged. */
static int
add_group(struct get *g, const char *type)
{
    struct kctl_resource r;
    if (kctl_resolve_fast(g->c, type, &r) != 0)
        return -1;
    for (int i = 0; i < g->ngroups; i++)
        if (strcmp(g->groups[i].r.group, r.group) == 0 && strcmp(g->groups[i].r.resource, r.resource) == 0)
            return i;
    if (g->ngroups >= MAX_GROUPS) {
        fprintf(g->cfg->err, "error: too many resource types\n");
        return -1;
    }
    memset(&g->groups[g->ngroups], 0, sizeof(g->groups[0]));
    g->groups[g->ngroups].r = r;
    snprintf(g->groups[g->ngroups].type, sizeof(g->groups[0].type), "%s", type);
    return g->ngroups++;
}

/* "all" and other categories: the discovery entries that list it, in discovery order. */
static int
add_category(struct get *g, const char *cat, bool *found)
{
    const struct kctl_api_resource *all;
    size_t n;
    *found = false;
    if (kctl_discover_all(g->c, &all, &n) != 0)
        return 1;
    for (size_t i = 0; i < n; i++) {
        const json_t *cats = json_object_get(all[i].entry, "categories");
        size_t k;
        const json_t *v;
        json_array_foreach(cats, k, v)
        {
            if (json_string_value(v) && strcmp(json_string_value(v), cat) == 0) {
                *found = true;
                char t[192];
                snprintf(t, sizeof(t), "%s.%s.%s", all[i].r.resource, all[i].r.version, all[i].r.group);
                if (!all[i].r.group[0])
                    snprintf(t, sizeof(t), "%s", all[i].r.resource);
                if (add_group(g, t) < 0)
                    return 1;
            }
        }
    }
    return 0;
}

/* Types and names from the arguments: "TYPE[,TYPE] [NAME...]" or "TYPE/NAME ...". */
static int
parse_args(struct get *g)
{
    struct kctl_config *cfg = g->cfg;
    if (cfg->nargs == 0) {
        fprintf(cfg->err, "You must specify the type of resource to get. Use \"kctl api-resources\" for a complete "
                          "list of supported resources.\n\nerror: Required resource not specified.\nUse \"kctl "
                          "explain <resource>\" for a detailed description of that resource (e.g. kctl explain "
                          "pods).\nSee 'kctl get -h' for help and examples\n");
        return 1;
    }
    bool slash = false, plain = false;
    for (int i = 0; i < cfg->nargs; i++) {
        if (strchr(cfg->args[i], '/'))
            slash = true;
        else if (i > 0 || !slash)
            plain = true;
    }
    if (slash && plain && !strchr(cfg->args[0], '/'))
        return usage_error(cfg, "there is no need to specify a resource type as a separate argument when passing "
                                "arguments in resource/name form (e.g. 'kctl get resource/<resource_name>' instead "
                                "of 'kctl get resource resource/<resource_name>'");
    if (slash) {
        for (int i = 0; i < cfg->nargs; i++) {
            const char *a = cfg->args[i];
            const char *s = strchr(a, '/');
            if (!s || !s[1] || s == a) {
                fprintf(cfg->err, "error: arguments in resource/name form must have a single resource and name\n");
                return 1;
            }
            char type[256];
            snprintf(type, sizeof(type), "%.*s", (int)(s - a), a);
            int k = add_group(g, type);
            if (k < 0)
                return 1;
            if (g->groups[k].nnames < 64)
                g->groups[k].names[g->groups[k].nnames++] = s + 1;
        }
        g->single = cfg->nargs == 1;
        return 0;
    }
    char *types = kc_strdup(cfg->args[0]);
    if (!types)
        return 1;
    int first = g->ngroups;
    int rc = 0;
    for (char *save = NULL, *t = strtok_r(types, ",", &save); t && rc == 0; t = strtok_r(NULL, ",", &save)) {
        if (strcasecmp(t, "all") == 0) {
            bool found;
            rc = add_category(g, "all", &found);
            continue;
        }
        if (add_group(g, t) < 0)
            rc = 1;
    }
    free(types);
    if (rc)
        return 1;
    for (int k = first; k < g->ngroups; k++)
        for (int i = 1; i < cfg->nargs && g->groups[k].nnames < 64; i++)
            g->groups[k].names[g->groups[k].nnames++] = cfg->args[i];
    g->single = g->ngroups == 1 && cfg->nargs == 2;
    return 0;
}

/* The query of a list: selectors, the chunk size and the continue token. */
static void
list_query(struct get *g, const char *cont, char *buf, size_t len)
{
    char esc[2048];
    size_t o = 0;
    o += (size_t)snprintf(buf + o, len - o, "?limit=%d", LIST_CHUNK);
    if (g->cfg->selector && kctl_escape(g->cfg->selector, esc, sizeof(esc)) == 0 && o < len)
        o += (size_t)snprintf(buf + o, len - o, "&labelSelector=%s", esc);
    if (g->cfg->field_selector && kctl_escape(g->cfg->field_selector, esc, sizeof(esc)) == 0 && o < len)
        o += (size_t)snprintf(buf + o, len - o, "&fieldSelector=%s", esc);
    if (cont && kctl_escape(cont, esc, sizeof(esc)) == 0 && o < len)
        o += (size_t)snprintf(buf + o, len - o, "&continue=%s", esc);
    if (g->cfg->sort_by && (g->mode == OUT_TABLE || g->mode == OUT_WIDE) && o < len)
        snprintf(buf + o, len - o, "&includeObject=Object");
}

/* GETs path and parses the answer. Returns 0 with *out, 1 when the server said no (printed into g->errs), 2 for a
 * NotFound that --ignore-not-found drops, 3 for a 404 of an assumed type that names no object (nothing printed),
 * -1 on a transport failure (printed; kctl stops). */
static int
fetch(struct get *g, const char *path, const char *accept, bool assumed, json_t **out)
{
    struct kctl_response resp;
    *out = NULL;
    if (kctl_request(g->c, "GET", path, NULL, NULL, 0, accept, &resp) != 0)
        return -1;
    struct kctl_config tmp = *g->cfg;
    tmp.err = g->errs;
    if (resp.status == 404 && assumed) {
        /* a 404 that names no object: the type itself may not be served; the caller asks discovery */
        json_t *st = resp.body ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
        bool named = json_string_length(json_object_get(json_object_get(st, "details"), "name")) > 0;
        json_decref(st);
        if (!named) {
            kctl_response_free(&resp);
            return 3;
        }
    }
    if (resp.status == 404 && g->cfg->ignore_not_found) {
        kctl_response_free(&resp);
        return 2;
    }
    if (resp.status < 200 || resp.status > 299) {
        kctl_print_error(&tmp, &resp);
        kctl_response_free(&resp);
        return 1;
    }
    kctl_print_warnings(g->cfg, &resp);
    json_error_t je;
    *out = resp.body ? json_loadb(resp.body, resp.len, 0, &je) : NULL;
    kctl_response_free(&resp);
    if (!*out) {
        fprintf(g->errs, "error: the server's answer to GET %s is not JSON\n", path);
        return 1;
    }
    return 0;
}

static int fetch_list_once(struct get *g, const struct kctl_resource *r, bool table, json_t **out);

/* A 404 for an assumed type: discovery decides; a type the server does not serve ends kctl as kubectl ends
 * (the error printed, nothing else). Returns 0 with r updated to retry, or -1. */
static int
confirm(struct get *g, struct kctl_resource *r)
{
    for (int k = 0; k < g->ngroups; k++)
        if (&g->groups[k].r == r ||
            (strcmp(g->groups[k].r.resource, r->resource) == 0 && strcmp(g->groups[k].r.group, r->group) == 0))
            return kctl_resolve_confirm(g->c, g->groups[k].type, r) == 0 ? 0 : -1;
    return -1;
}

/* A whole collection (all chunks). Tables have their rows merged, lists their items. */
static int
fetch_list(struct get *g, struct kctl_resource *r, bool table, json_t **out)
{
    int rc = fetch_list_once(g, r, table, out);
    if (rc == 3) {
        if (confirm(g, r) != 0)
            return -1;
        rc = fetch_list_once(g, r, table, out);
        if (rc == 3)
            rc = 1;
    }
    return rc;
}

static int
fetch_list_once(struct get *g, const struct kctl_resource *r, bool table, json_t **out)
{
    char base[1024], query[4096], path[5200];
    if (kctl_resource_path(r, g->ns, NULL, NULL, base, sizeof(base)) != 0)
        return -1;
    json_t *all = NULL;
    char *cont = NULL;
    int rc = 0;
    do {
        list_query(g, cont, query, sizeof(query));
        snprintf(path, sizeof(path), "%s%s", base, query);
        json_t *doc;
        rc = fetch(g, path, table ? TABLE_ACCEPT : NULL, r->assumed, &doc);
        free(cont);
        cont = NULL;
        if (rc)
            break;
        const char *c = json_string_value(json_object_get(json_object_get(doc, "metadata"), "continue"));
        if (c && *c)
            cont = kc_strdup(c);
        if (!all) {
            all = doc;
        } else {
            const char *key = json_object_get(doc, "rows") ? "rows" : "items";
            json_array_extend(json_object_get(all, key), json_object_get(doc, key));
            json_decref(doc);
        }
    } while (cont);
    free(cont);
    if (rc) {
        json_decref(all);
        return rc;
    }
    *out = all;
    return 0;
}

static int
fetch_one(struct get *g, struct kctl_resource *r, const char *name, bool table, json_t **out)
{
    for (int attempt = 0;; attempt++) {
        char path[1100];
        if (kctl_resource_path(r, g->ns, name, NULL, path, sizeof(path)) != 0)
            return -1;
        if (g->cfg->sort_by && table)
            strncat(path, "?includeObject=Object", sizeof(path) - strlen(path) - 1);
        int rc = fetch(g, path, table ? TABLE_ACCEPT : NULL, r->assumed && attempt == 0, out);
        if (rc != 3)
            return rc;
        if (confirm(g, r) != 0)
            return -1;
    }
}

/* A list's items with their kind and apiVersion, as kubectl's unstructured lists give them. */
static void
add_items(json_t *dst, const json_t *list)
{
    const char *lk = json_string_value(json_object_get(list, "kind"));
    const char *av = json_string_value(json_object_get(list, "apiVersion"));
    char kind[128] = "";
    if (lk && strlen(lk) > 4 && strcmp(lk + strlen(lk) - 4, "List") == 0)
        snprintf(kind, sizeof(kind), "%.*s", (int)(strlen(lk) - 4), lk);
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(list, "items"), i, it)
    {
        json_t *copy = json_object();
        if (av)
            json_object_set_new(copy, "apiVersion", json_string(av));
        if (kind[0])
            json_object_set_new(copy, "kind", json_string(kind));
        json_object_update(copy, it); /* the item's own fields keep their values */
        json_array_append_new(dst, copy);
    }
}

/* A Table from a server that ignored as=Table: NAME and AGE from the objects' metadata, as kubectl shows them. */
static json_t *
synth_table(const json_t *doc)
{
    json_t *items = json_object_get(doc, "items");
    json_t *single = NULL;
    if (!items) {
        single = json_array();
        json_array_append((single), (json_t *)doc);
        items = single;
    }
    json_t *rows = json_array();
    int64_t now = kc_time_now().sec;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        json_t *meta = json_object_get(it, "metadata");
        char age[32];
        kctl_age(json_string_value(json_object_get(meta, "creationTimestamp")), now, age, sizeof(age));
        const char *name = json_string_value(json_object_get(meta, "name"));
        json_array_append_new(rows, json_pack("{s:[s,s],s:{s:O}}", "cells", name ? name : "", age, "object", "metadata",
                                              meta ? meta : json_object()));
    }
    json_decref(single);
    return json_pack("{s:s,s:O,s:[{s:s,s:s,s:s,s:i},{s:s,s:s,s:s,s:i}],s:o}", "kind", "Table", "metadata",
                     json_object_get(doc, "metadata") ? json_object_get(doc, "metadata") : json_object(),
                     "columnDefinitions", "name", "Name", "type", "string", "format", "name", "priority", 0, "name",
                     "Age", "type", "string", "format", "", "priority", 0, "rows", rows);
}

static bool
is_table(const json_t *doc)
{
    const char *k = json_string_value(json_object_get(doc, "kind"));
    return k && strcmp(k, "Table") == 0;
}

/* The objects for sorting table rows: the rows' objects when the server included them, else a JSON list. */
static int
sort_table(struct get *g, struct group *gr, json_t *table)
{
    json_t *rows = json_object_get(table, "rows");
    json_t *objs = json_array();
    bool full = true;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        json_t *o = json_object_get(row, "object");
        const char *k = json_string_value(json_object_get(o, "kind"));
        if (!o || (k && strcmp(k, "PartialObjectMetadata") == 0))
            full = false;
        json_array_append(objs, o ? o : json_null());
    }
    if (!full && gr->nnames == 0) {
        /* match the full objects to the rows by uid */
        json_t *list;
        int rc = fetch_list(g, &gr->r, false, &list);
        if (rc) {
            json_decref(objs);
            return rc;
        }
        json_array_clear(objs);
        json_array_foreach(rows, i, row)
        {
            const char *uid =
                json_string_value(json_object_get(json_object_get(json_object_get(row, "object"), "metadata"), "uid"));
            json_t *match = json_null();
            size_t k;
            json_t *it;
            json_array_foreach(json_object_get(list, "items"), k, it)
            {
                const char *u = json_string_value(json_object_get(json_object_get(it, "metadata"), "uid"));
                if (uid && u && strcmp(uid, u) == 0) {
                    match = it;
                    break;
                }
            }
            json_array_append(objs, match);
        }
        json_decref(list);
    }
    char err[512];
    int rc = kctl_table_sort(table, objs, g->cfg->sort_by, err, sizeof(err));
    json_decref(objs);
    if (rc) {
        fprintf(g->cfg->err, "error: %s\n", err);
        return -1;
    }
    return 0;
}

static void
kind_prefix(const struct kctl_resource *r, char *buf, size_t len)
{
    char name[256];
    kctl_object_name(r->kind, r->group, "", name, sizeof(name));
    size_t n = strlen(name);
    if (n > 0 && name[n - 1] == '/')
        name[n - 1] = '\0';
    snprintf(buf, len, "%s", name);
}

/* The tables of every group, printed as kubectl prints several kinds: one block each, a blank line between. */
static int
run_tables(struct get *g, json_t **tables_out)
{
    json_t *tables = json_array();
    int kinds = 0;
    for (int k = 0; k < g->ngroups; k++) {
        struct group *gr = &g->groups[k];
        json_t *tab = NULL;
        if (gr->nnames == 0) {
            int rc = fetch_list(g, &gr->r, true, &tab);
            if (rc < 0) {
                json_decref(tables);
                return 1;
            }
            if (rc) {
                g->failed |= rc == 1;
                json_array_append_new(tables, json_null());
                continue;
            }
        } else {
            for (int i = 0; i < gr->nnames; i++) {
                json_t *one;
                int rc = fetch_one(g, &gr->r, gr->names[i], true, &one);
                if (rc < 0) {
                    json_decref(tab);
                    json_decref(tables);
                    return 1;
                }
                if (rc) {
                    g->failed |= rc == 1;
                    continue;
                }
                if (!is_table(one)) {
                    json_t *t = synth_table(one);
                    json_decref(one);
                    one = t;
                }
                if (!tab)
                    tab = one;
                else {
                    json_array_extend(json_object_get(tab, "rows"), json_object_get(one, "rows"));
                    json_decref(one);
                }
            }
            if (!tab) {
                json_array_append_new(tables, json_null());
                continue;
            }
        }
        if (!is_table(tab)) {
            json_t *t = synth_table(tab);
            json_decref(tab);
            tab = t;
        }
        if (g->cfg->sort_by && sort_table(g, gr, tab) != 0) {
            json_decref(tab);
            json_decref(tables);
            return 1;
        }
        kinds++;
        json_array_append_new(tables, tab);
    }
    bool with_kind = kinds > 1 || g->cfg->show_kind;
    struct kctl_tabwriter *tw = kctl_tabwriter_new(g->out);
    bool printed = false;
    for (int k = 0; k < g->ngroups; k++) {
        json_t *tab = json_array_get(tables, (size_t)k);
        if (json_is_null(tab))
            continue;
        char kind[192];
        kind_prefix(&g->groups[k].r, kind, sizeof(kind));
        struct kctl_table_opts o = {
            .wide = g->mode == OUT_WIDE,
            .no_headers = g->cfg->no_headers,
            .with_namespace = g->ns == NULL && g->groups[k].r.namespaced,
            .show_labels = g->cfg->show_labels,
            .kind = with_kind ? kind : NULL,
            .label_columns = g->cfg->label_columns,
        };
        if (!g->groups[k].r.namespaced && g->ns == NULL)
            o.with_namespace = false;
        struct kctl_table_state st = { 0 };
        kctl_tabwriter_flush(tw);
        kctl_tabwriter_reset_widths(tw);
        if (printed && !g->cfg->no_headers && json_array_size(json_object_get(tab, "rows")) > 0)
            fputc('\n', g->out);
        if (kctl_table_print(tw, tab, &o, &st) > 0)
            printed = true;
        kctl_table_state_close(&st);
    }
    kctl_tabwriter_free(tw);
    if (tables_out)
        *tables_out = tables;
    else
        json_decref(tables);
    return 0;
}

/* The objects of every group, for -o json|yaml|name|jsonpath|custom-columns. */
static int
collect_objects(struct get *g, json_t **out, json_t **single)
{
    json_t *items = json_array();
    *single = NULL;
    int infos = 0;
    for (int k = 0; k < g->ngroups; k++) {
        struct group *gr = &g->groups[k];
        if (gr->nnames == 0) {
            json_t *list;
            int rc = fetch_list(g, &gr->r, false, &list);
            if (rc < 0) {
                json_decref(items);
                return 1;
            }
            if (rc) {
                g->failed |= rc == 1;
                continue;
            }
            add_items(items, list);
            infos += 2; /* a list is never printed as a single object */
            json_decref(list);
            continue;
        }
        for (int i = 0; i < gr->nnames; i++) {
            json_t *obj;
            int rc = fetch_one(g, &gr->r, gr->names[i], false, &obj);
            if (rc < 0) {
                json_decref(items);
                return 1;
            }
            if (rc) {
                g->failed |= rc == 1;
                continue;
            }
            infos++;
            json_array_append_new(items, obj);
        }
    }
    if (g->cfg->sort_by) {
        char err[512];
        if (kctl_objects_sort(items, g->cfg->sort_by, err, sizeof(err)) != 0) {
            fprintf(g->cfg->err, "error: %s\n", err);
            json_decref(items);
            return 1;
        }
    }
    if (g->single && infos == 1)
        *single = json_incref(json_array_get(items, 0));
    *out = items;
    return 0;
}

/* kubectl's OmitManagedFieldsPrinter: metadata.managedFields is left out unless --show-managed-fields. */
static void
omit_managed_fields(struct get *g, json_t *obj)
{
    if (!g->cfg->show_managed_fields && (g->mode == OUT_JSON || g->mode == OUT_YAML))
        json_object_del(json_object_get(obj, "metadata"), "managedFields");
}

/* Prints one object (or the List of several) in the non-table modes. */
static int
print_objects(struct get *g, json_t *items, json_t *single, bool as_events)
{
    char err[1024];
    if (single)
        omit_managed_fields(g, single);
    size_t k;
    json_t *item;
    json_array_foreach(items, k, item) omit_managed_fields(g, item);
    json_t *doc = single ? json_incref(single) : kctl_list_wrap(items);
    int rc = 0;
    switch (g->mode) {
    case OUT_JSON:
        rc = kctl_print_json(doc, g->out);
        break;
    case OUT_YAML:
        rc = kctl_print_yaml(doc, g->out);
        break;
    case OUT_NAME: {
        size_t i;
        json_t *it;
        json_t *arr = single ? NULL : items;
        json_t *one = NULL;
        if (single) {
            one = json_array();
            json_array_append(one, single);
            arr = one;
        }
        json_array_foreach(arr, i, it)
        {
            const char *kind = json_string_value(json_object_get(it, "kind"));
            const char *av = json_string_value(json_object_get(it, "apiVersion"));
            const char *name = json_string_value(json_object_get(json_object_get(it, "metadata"), "name"));
            char group[128] = "";
            const char *slash = av ? strchr(av, '/') : NULL;
            if (slash)
                snprintf(group, sizeof(group), "%.*s", (int)(slash - av), av);
            char buf[512];
            kctl_object_name(kind ? kind : "", group, name, buf, sizeof(buf));
            fprintf(g->out, "%s\n", buf);
        }
        json_decref(one);
        break;
    }
    case OUT_JSONPATH:
        rc = kctl_jsonpath_exec(g->jp, doc, true, g->out, err, sizeof(err));
        if (rc) {
            const char *t = strchr(g->cfg->output, '=') + 1;
            fprintf(g->cfg->err,
                    "error: error executing jsonpath \"%s\": Error executing template: %s. Printing more "
                    "information for debugging the template:\n\ttemplate was:\n\t\t%s\n\tobject given to jsonpath "
                    "engine was:\n\t\t",
                    t, err, t);
            kctl_go_gostring(doc, g->cfg->err);
            fputs("\n\n\n", g->cfg->err);
        }
        break;
    case OUT_COLUMNS: {
        struct kctl_tabwriter *tw = kctl_tabwriter_new(g->out);
        json_t *arr = items;
        json_t *one = NULL;
        if (single) {
            one = json_array();
            json_array_append(one, single);
            arr = one;
        }
        rc = kctl_columns_print(g->cols, arr, g->cfg->no_headers || as_events, tw, err, sizeof(err));
        kctl_tabwriter_free(tw);
        json_decref(one);
        if (rc)
            fprintf(g->cfg->err, "error: %s\n", err);
        break;
    }
    default:
        break;
    }
    json_decref(doc);
    return rc ? 1 : 0;
}

/* --- watch --------------------------------------------------------------------------------------------------- */

struct watch {
    struct get *g;
    struct group *gr;
    struct kctl_tabwriter *tw;
    struct kctl_table_state st;
    struct kctl_table_opts opts;
    char rv[64];
    bool expired;   /* a 410: relist */
    bool failed;    /* an ERROR event we cannot go on from */
    int yaml_count; /* documents printed, for the "---" separators */
    bool events;    /* --output-watch-events: the event type with each object */
    bool event_ns;  /* with events and -A: the NAMESPACE column is added here (it follows EVENT) */
};

/* formatEventType: the type padded to the width of MODIFIED, as kubectl's table printer writes it. */
static const char *
event_cell(const char *type, char *buf, size_t len)
{
    static const char *const known[] = { "ADDED", "MODIFIED", "DELETED", "ERROR" };
    for (size_t i = 0; i < 4; i++)
        if (strcmp(type, known[i]) == 0) {
            snprintf(buf, len, "%-8s", type);
            return buf;
        }
    return type;
}

/* addColumns(beginning, ...): an Event column (and, with -A, the Namespace column kubectl's decorateTable put first
 * before it) at the front of a Table's columns and of each row. */
static void
event_table(json_t *table, const char *type, bool with_ns)
{
    char buf[32];
    json_t *cols = json_object_get(table, "columnDefinitions");
    if (json_is_array(cols)) {
        if (with_ns)
            json_array_insert_new(
                cols, 0,
                json_pack("{s:s,s:s,s:s,s:i}", "name", "Namespace", "type", "string", "format", "", "priority", 0));
        json_array_insert_new(
            cols, 0, json_pack("{s:s,s:s,s:s,s:i}", "name", "Event", "type", "string", "format", "", "priority", 0));
    }
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(table, "rows"), i, row)
    {
        json_t *cells = json_object_get(row, "cells");
        if (!json_is_array(cells))
            continue;
        if (with_ns) {
            const char *ns = json_string_value(
                json_object_get(json_object_get(json_object_get(row, "object"), "metadata"), "namespace"));
            json_array_insert_new(cells, 0, json_string(ns ? ns : ""));
        }
        json_array_insert_new(cells, 0, json_string(event_cell(type, buf, sizeof(buf))));
    }
}

/* A watch event as kubectl's printers write a metav1.WatchEvent: compact JSON with "type" first, a YAML document
 * of {object, type}, or the object's name; managedFields are kept. */
static void
print_watch_event(struct watch *w, json_t *obj, const char *type)
{
    struct get *g = w->g;
    if (g->mode == OUT_JSON) {
        char *text = kctl_json_go(obj);
        json_t *t = json_string(type);
        char *tt = t ? kctl_json_go(t) : NULL;
        fprintf(g->out, "{\"type\":%s,\"object\":%s}\n", tt ? tt : "\"\"", text ? text : "null");
        free(text);
        free(tt);
        json_decref(t);
    } else if (g->mode == OUT_YAML) {
        if (w->yaml_count++ > 0)
            fputs("---\n", g->out);
        json_t *ev = json_pack("{s:s,s:O}", "type", type, "object", obj);
        kctl_print_yaml(ev, g->out);
        json_decref(ev);
    } else {
        print_objects(g, NULL, obj, true);
    }
}

static void
set_rv(struct watch *w, const json_t *obj)
{
    const json_t *meta = json_object_get(obj, "metadata");
    if (is_table(obj))
        meta = json_object_get(json_object_get(json_array_get(json_object_get(obj, "rows"), 0), "object"), "metadata");
    const char *rv = json_string_value(json_object_get(meta, "resourceVersion"));
    if (rv && *rv)
        snprintf(w->rv, sizeof(w->rv), "%s", rv);
}

static void
print_event_object(struct watch *w, json_t *obj, const char *type)
{
    struct get *g = w->g;
    if (g->mode == OUT_TABLE || g->mode == OUT_WIDE) {
        json_t *t = !is_table(obj) ? synth_table(obj) : w->events ? json_deep_copy(obj) : json_incref(obj);
        if (w->events && t)
            event_table(t, type, w->event_ns);
        kctl_table_print(w->tw, t, &w->opts, &w->st);
        json_decref(t);
        kctl_tabwriter_flush(w->tw);
    } else if (w->events) {
        print_watch_event(w, obj, type);
    } else {
        if (g->mode == OUT_YAML && w->yaml_count++ > 0)
            fputs("---\n", g->out);
        print_objects(g, NULL, obj, true);
    }
    out_flush(g);
}

static int
on_event(void *arg, const char *line, size_t len)
{
    struct watch *w = arg;
    if (len == 0)
        return 0;
    json_t *ev = json_loadb(line, len, 0, NULL);
    const char *type = json_string_value(json_object_get(ev, "type"));
    json_t *obj = json_object_get(ev, "object");
    if (!type || !obj) {
        json_decref(ev);
        return 0;
    }
    if (strcmp(type, "ERROR") == 0) {
        long code = (long)json_integer_value(json_object_get(obj, "code"));
        if (code == 410) {
            w->expired = true;
        } else {
            const char *reason = json_string_value(json_object_get(obj, "reason"));
            const char *msg = json_string_value(json_object_get(obj, "message"));
            fprintf(w->g->cfg->err, "Error from server%s%s%s: %s\n", reason ? " (" : "", reason ? reason : "",
                    reason ? ")" : "", msg ? msg : "watch error");
            w->failed = true;
        }
        json_decref(ev);
        return 1;
    }
    set_rv(w, obj);
    if (strcmp(type, "BOOKMARK") != 0)
        print_event_object(w, obj, type);
    json_decref(ev);
    return 0;
}

/* The list a watch starts from: printed unless --watch-only; its resourceVersion is where the watch begins. */
static int
watch_list(struct watch *w, bool print)
{
    struct get *g = w->g;
    bool table = g->mode == OUT_TABLE || g->mode == OUT_WIDE;
    json_t *doc = NULL;
    int rc;
    if (w->gr->nnames == 1) {
        rc = fetch_one(g, &w->gr->r, w->gr->names[0], table, &doc);
    } else {
        rc = fetch_list(g, &w->gr->r, table, &doc);
    }
    if (rc) {
        if (rc == 2)
            return 1;
        if (rc > 0) {
            fflush(g->errs);
            fwrite(g->errbuf, 1, g->errlen, g->cfg->err);
            rewind(g->errs);
            g->errlen = 0;
        }
        return 1;
    }
    const char *rv = json_string_value(json_object_get(json_object_get(doc, "metadata"), "resourceVersion"));
    if (rv && *rv)
        snprintf(w->rv, sizeof(w->rv), "%s", rv);
    else
        set_rv(w, doc);
    if (print) {
        if (table) {
            json_t *t = !is_table(doc) ? synth_table(doc) : w->events ? json_deep_copy(doc) : json_incref(doc);
            if (w->events && t)
                event_table(t, "ADDED", w->event_ns);
            kctl_table_print(w->tw, t, &w->opts, &w->st);
            json_decref(t);
            kctl_tabwriter_flush(w->tw);
        } else {
            json_t *items = json_array();
            if (w->gr->nnames == 1)
                json_array_append(items, doc);
            else
                add_items(items, doc);
            size_t i;
            json_t *it;
            json_array_foreach(items, i, it)
            {
                if (w->events) {
                    print_watch_event(w, it, "ADDED");
                    continue;
                }
                if (g->mode == OUT_YAML && w->yaml_count++ > 0)
                    fputs("---\n", g->out);
                print_objects(g, NULL, it, true);
            }
            json_decref(items);
        }
        out_flush(g);
    }
    json_decref(doc);
    return 0;
}

static int
run_watch(struct get *g)
{
    if (g->ngroups != 1 || g->groups[0].nnames > 1) {
        fprintf(g->cfg->err,
                "error: watch is only supported on individual resources and resource collections, but "
                "%d resources were found\n",
                g->ngroups > 1 ? g->ngroups : g->groups[0].nnames);
        return 1;
    }
    struct watch w = { .g = g, .gr = &g->groups[0] };
    w.tw = kctl_tabwriter_new(g->out);
    w.opts = (struct kctl_table_opts){
        .wide = g->mode == OUT_WIDE,
        .no_headers = g->cfg->no_headers,
        .with_namespace = g->ns == NULL && w.gr->r.namespaced,
        .show_labels = g->cfg->show_labels,
        .label_columns = g->cfg->label_columns,
    };
    char kind[192];
    if (g->cfg->show_kind) {
        kind_prefix(&w.gr->r, kind, sizeof(kind));
        w.opts.kind = kind;
    }
    w.events = g->cfg->output_watch_events;
    if (w.events && w.opts.with_namespace) {
        w.event_ns = true;
        w.opts.with_namespace = false;
    }
    int rc = watch_list(&w, !g->cfg->watch_only);
    bool table = g->mode == OUT_TABLE || g->mode == OUT_WIDE;
    int retries = 0;
    while (rc == 0) {
        char base[1024], query[4096], path[5200], esc[1024];
        kctl_resource_path(&w.gr->r, g->ns, NULL, NULL, base, sizeof(base));
        size_t o = (size_t)snprintf(query, sizeof(query), "?watch=true&allowWatchBookmarks=true&resourceVersion=%s",
                                    w.rv[0] ? w.rv : "0");
        if (g->cfg->selector && kctl_escape(g->cfg->selector, esc, sizeof(esc)) == 0)
            o += (size_t)snprintf(query + o, sizeof(query) - o, "&labelSelector=%s", esc);
        char fs[1200] = "";
        if (w.gr->nnames == 1)
            snprintf(fs, sizeof(fs), "metadata.name=%s%s%s", w.gr->names[0], g->cfg->field_selector ? "," : "",
                     g->cfg->field_selector ? g->cfg->field_selector : "");
        else if (g->cfg->field_selector)
            snprintf(fs, sizeof(fs), "%s", g->cfg->field_selector);
        if (fs[0] && kctl_escape(fs, esc, sizeof(esc)) == 0)
            snprintf(query + o, sizeof(query) - o, "&fieldSelector=%s", esc);
        snprintf(path, sizeof(path), "%s%s", base, query);
        w.expired = false;
        int src = kctl_stream_ex(g->c, path, table ? TABLE_ACCEPT : NULL, KCTL_STREAM_QUIET_DROP, on_event, &w);
        if (w.failed || src == 1) {
            rc = 1;
            break;
        }
        if (w.expired) {
            /* the position is gone: list again, print the current state, watch from there */
            rc = watch_list(&w, !g->cfg->watch_only);
            continue;
        }
        if (src == 2) {
            if (++retries > WATCH_RETRIES) {
                fprintf(g->cfg->err, "error: the watch connection to %s was lost and could not be re-established\n",
                        kctl_client_server(g->c));
                rc = 1;
                break;
            }
            sleep(1); /* back off before reconnecting */
            continue;
        }
        retries = 0; /* the server ended the watch normally (a timeout): go on from where it stopped */
    }
    kctl_tabwriter_free(w.tw);
    kctl_table_state_close(&w.st);
    return rc;
}

int
kctl_cmd_get(struct kctl_config *cfg)
{
    struct get g = { .cfg = cfg };
    int rc = 1;
    if (parse_output(&g) != 0)
        goto done;
    if (cfg->selector && cfg->nargs > 1 && !strchr(cfg->args[0], '/')) {
        fprintf(cfg->err, "error: name cannot be provided when a selector is specified\n");
        goto done;
    }
    if (cfg->output_watch_events && !cfg->watch && !cfg->watch_only) {
        fprintf(cfg->err, "error: --output-watch-events option can only be used with --watch or --watch-only\n");
        goto done;
    }
    if (kctl_client_new(cfg, &g.c) != 0)
        goto done;
    g.ns = cfg->all_namespaces ? NULL : kctl_client_namespace(g.c);
    g.out = fopencookie(&g, "w", (cookie_io_functions_t){ .write = count_write });
    g.errs = open_memstream(&g.errbuf, &g.errlen);
    if (!g.out || !g.errs)
        goto done;
    if (parse_args(&g) != 0)
        goto done;
    if (cfg->all_namespaces)
        for (int k = 0; k < g.ngroups; k++)
            if (g.groups[k].nnames > 0 && g.groups[k].r.namespaced) {
                fprintf(cfg->err, "error: a resource cannot be retrieved by name across all namespaces\n");
                goto done;
            }
    if (cfg->watch || cfg->watch_only) {
        rc = run_watch(&g);
        goto done;
    }
    if (g.mode == OUT_TABLE || g.mode == OUT_WIDE) {
        if (run_tables(&g, NULL) != 0)
            goto done;
    } else {
        json_t *items, *single;
        if (collect_objects(&g, &items, &single) != 0)
            goto done;
        int prc = 0;
        /* `get TYPE NAME` that found nothing prints nothing; nor does -o name for no objects */
        if (!(g.single && !single) && !(g.mode == OUT_NAME && json_array_size(items) == 0))
            prc = print_objects(&g, items, single, false);
        json_decref(items);
        json_decref(single);
        if (prc) {
            out_flush(&g);
            goto done;
        }
    }
    out_flush(&g);
    fflush(g.errs);
    if (g.errlen > 0)
        fwrite(g.errbuf, 1, g.errlen, cfg->err);
    /* only the table printers say so (kubectl's printGeneric prints nothing for nothing) */
    if (g.written == 0 && !g.failed && !cfg->ignore_not_found && (g.mode == OUT_TABLE || g.mode == OUT_WIDE)) {
        bool all_ns = g.ns != NULL;
        for (int k = 0; k < g.ngroups; k++)
            all_ns = all_ns && g.groups[k].r.namespaced;
        if (all_ns)
            fprintf(cfg->err, "No resources found in %s namespace.\n", g.ns);
        else
            fprintf(cfg->err, "No resources found\n");
    }
    rc = g.failed ? 1 : 0;
done:
    if (g.out)
        fclose(g.out);
    if (g.errs)
        fclose(g.errs);
    free(g.errbuf);
    kctl_jsonpath_free(g.jp);
    kctl_columns_free(g.cols);
    kctl_client_free(g.c);
    return rc;
}
