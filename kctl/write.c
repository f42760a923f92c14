/* write.c - what the writing commands share: the objects a command acts on (-f manifests, TYPE NAME..., TYPE/NAME,
 * TYPE -l SEL, TYPE --all), --dry-run, kubectl's kind.group/name names and its "error when <verb> FILE" messages. */
#include "kctl.h"
#include "kctl_print.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int
kctl_dry_run_mode(struct kctl_config *cfg, enum kctl_dry_run *out)
{
    const char *d = cfg->dry_run;
    if (!d || !*d || strcmp(d, "none") == 0 || strcmp(d, "false") == 0)
        *out = KCTL_DRY_NONE;
    else if (strcmp(d, "client") == 0)
        *out = KCTL_DRY_CLIENT;
    else if (strcmp(d, "server") == 0)
        *out = KCTL_DRY_SERVER;
    else {
        fprintf(cfg->err, "error: Invalid dry-run value (%s). Must be \"none\", \"server\", or \"client\".\n", d);
        return 1;
    }
    return 0;
}

const char *
kctl_dry_run_suffix(enum kctl_dry_run d)
{
    return d == KCTL_DRY_CLIENT ? " (dry run)" : d == KCTL_DRY_SERVER ? " (server dry run)" : "";
}

void
kctl_kind_name(const char *kind, const char *group, const char *name, char *buf, size_t len)
{
    size_t n = 0;
    for (const char *k = kind ? kind : ""; *k && n + 1 < len; k++)
        buf[n++] = (char)(*k >= 'A' && *k <= 'Z' ? *k - 'A' + 'a' : *k);
    snprintf(buf + n, len - n, "%s%s/%s", group && *group ? "." : "", group ? group : "", name ? name : "");
}

void
kctl_target_name(const struct kctl_target *t, char *buf, size_t len)
{
    kctl_kind_name(t->r.kind, t->r.group, t->name, buf, len);
}

void
kctl_write_query(struct kctl_config *cfg, enum kctl_dry_run dry, const char *default_manager, bool validate, char *buf,
                 size_t len)
{
    char fm[256];
    const char *m = cfg->field_manager && *cfg->field_manager ? cfg->field_manager : default_manager;
    buf[0] = '\0';
    if (m && kctl_escape(m, fm, sizeof(fm)) == 0)
        snprintf(buf, len, "?fieldManager=%s", fm);
    size_t n = strlen(buf);
    if (dry == KCTL_DRY_SERVER)
        n += (size_t)snprintf(buf + n, len - n, "%sdryRun=All", n ? "&" : "?");
    if (validate && n < len) {
        const char *v = cfg->validate;
        const char *mode = !v || !*v || strcmp(v, "true") == 0 || strcasecmp(v, "strict") == 0 ? "Strict"
                           : strcasecmp(v, "warn") == 0                                        ? "Warn"
                                                                                               : "Ignore";
        snprintf(buf + n, len - n, "%sfieldValidation=%s", n ? "&" : "?", mode);
    }
}

void
kctl_source_label(const struct kctl_object *src, char *buf, size_t len)
{
    if (!src) {
        snprintf(buf, len, "\"\"");
        return;
    }
    if (src->ndocs > 1)
        snprintf(buf, len, "\"%s\" (document %d of %d)", src->source, src->doc + 1, src->ndocs);
    else
        snprintf(buf, len, "\"%s\"", src->source);
}

void
kctl_print_source_error(struct kctl_config *cfg, const struct kctl_response *resp, const char *verb,
                        const struct kctl_object *src)
{
    json_t *st = resp->body ? json_loadb(resp->body, resp->len, 0, NULL) : NULL;
    const char *kind = json_string_value(json_object_get(st, "kind"));
    const char *reason = json_string_value(json_object_get(st, "reason"));
    const char *message = json_string_value(json_object_get(st, "message"));
    if (!st || !kind || strcmp(kind, "Status") != 0 || !src || !message ||
        (reason && strcmp(reason, "Unauthorized") == 0)) {
        kctl_print_error(cfg, resp);
        json_decref(st);
        return;
    }
    char label[1200];
    kctl_source_label(src, label, sizeof(label));
    kctl_print_warnings(cfg, resp);
    if (reason && *reason)
        fprintf(cfg->err, "Error from server (%s): error when %s %s: %s\n", reason, verb, label, message);
    else
        fprintf(cfg->err, "Error from server: error when %s %s: %s\n", verb, label, message);
    json_decref(st);
}

/* ----------------------------------------------------------------------------------------------- targets */

static struct kctl_target *
add_target(struct kctl_targets *t)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        struct kctl_target *v = kc_realloc(t->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        t->v = v;
        t->cap = cap;
    }
    struct kctl_target *x = &t->v[t->n++];
    memset(x, 0, sizeof(*x));
    return x;
}

int
kctl_resolve_object(struct kctl_client *c, const struct kctl_object *o, struct kctl_resource *r)
{
    struct kctl_config *cfg = kctl_client_config(c);
    const char *av = json_string_value(json_object_get(o->obj, "apiVersion"));
    const char *kind = json_string_value(json_object_get(o->obj, "kind"));
    const json_t *md = json_object_get(o->obj, "metadata");
    const char *name = json_string_value(json_object_get(md, "name"));
    const char *ns = json_string_value(json_object_get(md, "namespace"));
    /* kctl_resolve_kind prints its own words; kubectl names the object and its file in this one */
    char *text = NULL;
    size_t tlen = 0;
    FILE *saved = cfg->err, *mem = open_memstream(&text, &tlen);
    if (mem)
        cfg->err = mem;
    int rc = kctl_resolve_kind(c, av, kind, name, r);
    cfg->err = saved;
    if (mem)
        fclose(mem);
    if (rc != 0) {
        if (text && strstr(text, "no matches for kind"))
            fprintf(cfg->err,
                    "error: resource mapping not found for name: \"%s\" namespace: \"%s\" from \"%s\": no matches for "
                    "kind \"%s\" in version \"%s\"\nensure CRDs are installed first\n",
                    name ? name : "", ns ? ns : "", o->source, kind ? kind : "", av ? av : "");
        else if (text)
            fputs(text, cfg->err);
    }
    free(text);
    return rc;
}

/* The namespace of a manifest object as kubectl's builder decides it: the object's own, else the default one; with
 * an explicit -n a different one in the object is an error. Sets metadata.namespace on namespaced kinds. */
static int
object_namespace(struct kctl_client *c, const struct kctl_object *o, const struct kctl_resource *r, char *ns,
                 size_t len)
{
    struct kctl_config *cfg = kctl_client_config(c);
    json_t *md = json_object_get(o->obj, "metadata");
    const char *own = json_string_value(json_object_get(md, "namespace"));
    const char *def = kctl_client_namespace(c);
    ns[0] = '\0';
    if (!r->namespaced)
        return 0;
    if (own && *own && cfg->ov.namespace && *cfg->ov.namespace && strcmp(own, def) != 0) {
        fprintf(cfg->err,
                "error: the namespace from the provided object \"%s\" does not match the namespace \"%s\". You must "
                "pass '--namespace=%s' to perform this operation.\n",
                own, def, own);
        return 1;
    }
    snprintf(ns, len, "%s", own && *own ? own : def);
    if (!json_is_object(md)) {
        md = json_object();
        json_object_set_new(o->obj, "metadata", md);
    }
    if (!own || !*own)
        json_object_set_new(md, "namespace", json_string(ns));
    return 0;
}

/* "pods,deploy" → each type resolved. */
static int
resolve_types(struct kctl_client *c, const char *types, struct kctl_resource *out, size_t max, size_t *n)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", types);
    *n = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*n == max)
            break;
        if (kctl_resolve(c, tok, &out[*n]) != 0)
            return 1;
        (*n)++;
    }
    return 0;
}

/* Lists r (in ns, or everywhere) with the selector and adds every item. */
static int
add_listed(struct kctl_client *c, struct kctl_targets *t, const struct kctl_resource *r, const char *ns,
           const char *selector, const char *field_selector)
{
    char path[2048], esc[1024];
    if (kctl_resource_path(r, ns, NULL, NULL, path, sizeof(path)) != 0)
        return 1;
    size_t n = strlen(path);
    if (selector && *selector && kctl_escape(selector, esc, sizeof(esc)) == 0)
        n += (size_t)snprintf(path + n, sizeof(path) - n, "?labelSelector=%s", esc);
    if (field_selector && *field_selector && kctl_escape(field_selector, esc, sizeof(esc)) == 0)
        snprintf(path + n, sizeof(path) - n, "%sfieldSelector=%s", strchr(path, '?') ? "&" : "?", esc);
    json_t *list;
    if (kctl_request_json(c, "GET", path, NULL, NULL, &list) != 0)
        return 1;
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(list, "items"), i, item)
    {
        struct kctl_target *x = add_target(t);
        if (!x) {
            json_decref(list);
            return 1;
        }
        x->r = *r;
        snprintf(x->name, sizeof(x->name), "%s", kc_json_get_string(item, "metadata.name"));
        const char *ins = kc_json_get_string(item, "metadata.namespace");
        snprintf(x->ns, sizeof(x->ns), "%s", ins ? ins : "");
        x->obj = json_incref(item);
    }
    json_decref(list);
    return 0;
}

int
kctl_targets_collect(struct kctl_client *c, struct kctl_targets *t, unsigned flags)
{
    struct kctl_config *cfg = kctl_client_config(c);
    FILE *e = cfg->err;
    int nargs = cfg->dash >= 0 ? cfg->dash : cfg->nargs;
    const char *const *args = cfg->args + (flags & KCTL_TARGETS_SKIP_FIRST ? 1 : 0);
    if (flags & KCTL_TARGETS_SKIP_FIRST)
        nargs--;
    bool sel = cfg->selector && *cfg->selector;
    const char *ns = cfg->all_namespaces ? NULL : kctl_client_namespace(c);

    if (cfg->filenames.n > 0) {
        if (nargs > 0) {
            fprintf(e, "error: when paths, URLs, or stdin is provided as input, you may not specify resource "
                       "arguments as well\n");
            return 1;
        }
        char err[1024];
        for (int i = 0; i < cfg->filenames.n; i++) {
            if (kctl_manifest_add(&t->m, cfg->filenames.v[i], cfg->recursive, stdin, err, sizeof(err)) != 0) {
                fprintf(e, "error: %s\n", err);
                return 1;
            }
        }
        if (t->m.n == 0) {
            fprintf(e, "error: no objects passed to %s\n", cfg->cmd ? cfg->cmd->words[0] : "the command");
            return 1;
        }
        int rc = 0;
        for (size_t i = 0; i < t->m.n; i++) {
            struct kctl_object *o = &t->m.objs[i];
            struct kctl_resource r;
            char ons[256];
            if (kctl_resolve_object(c, o, &r) != 0 || object_namespace(c, o, &r, ons, sizeof(ons)) != 0) {
                rc = 1;
                continue;
            }
            const char *name = kc_json_get_string(o->obj, "metadata.name");
            struct kctl_target *x = add_target(t);
            if (!x)
                return 1;
            x->r = r;
            snprintf(x->ns, sizeof(x->ns), "%s", ons);
            snprintf(x->name, sizeof(x->name), "%s", name ? name : "");
            x->obj = json_incref(o->obj);
            x->src = o;
        }
        return rc;
    }

    if (nargs == 0) {
        if (flags & KCTL_TARGETS_ALLOW_NONE)
            return 0;
        fprintf(e, "error: You must provide one or more resources by argument or filename.\n"
                   "Example resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n"
                   "   '<resource> <name>'\n   '<resource>'\n");
        return 1;
    }
    /* TYPE/NAME ... */
    if (strchr(args[0], '/')) {
        if (sel) {
            fprintf(e, "error: name cannot be provided when a selector is specified\n");
            return 1;
        }
        for (int i = 0; i < nargs; i++) {
            const char *slash = strchr(args[i], '/');
            if (!slash) {
                fprintf(e, "error: there is no need to specify a resource type as a separate argument when passing "
                           "arguments in resource/name form (e.g. 'kctl get resource/<resource_name>' instead of "
                           "'kctl get resource resource/<resource_name>'\n");
                return 1;
            }
            char type[256];
            snprintf(type, sizeof(type), "%.*s", (int)(slash - args[i]), args[i]);
            struct kctl_target *x = add_target(t);
            if (!x || kctl_resolve(c, type, &x->r) != 0)
                return 1;
            snprintf(x->ns, sizeof(x->ns), "%s", x->r.namespaced && ns ? ns : "");
            snprintf(x->name, sizeof(x->name), "%s", slash + 1);
        }
        return 0;
    }
    struct kctl_resource types[16];
    size_t ntypes;
    if (resolve_types(c, args[0], types, 16, &ntypes) != 0)
        return 1;
    if (nargs == 1) {
        if (!sel && !cfg->all && !(flags & KCTL_TARGETS_ALLOW_LIST_ALL) && !cfg->field_selector) {
            fprintf(e, "error: resource(s) were provided, but no name was specified\n");
            return 1;
        }
        for (size_t k = 0; k < ntypes; k++)
            if (add_listed(c, t, &types[k], types[k].namespaced ? ns : NULL, cfg->selector, cfg->field_selector) != 0)
                return 1;
        return 0;
    }
    if (sel) {
        fprintf(e, "error: name cannot be provided when a selector is specified\n");
        return 1;
    }
    for (int i = 1; i < nargs; i++) {
        if (strchr(args[i], '/')) {
            fprintf(e, "error: arguments in resource/name form must have a single resource and name\n");
            return 1;
        }
        for (size_t k = 0; k < ntypes; k++) {
            struct kctl_target *x = add_target(t);
            if (!x)
                return 1;
            x->r = types[k];
            snprintf(x->ns, sizeof(x->ns), "%s", x->r.namespaced ? kctl_client_namespace(c) : "");
            snprintf(x->name, sizeof(x->name), "%s", args[i]);
        }
    }
    return 0;
}

void
kctl_targets_close(struct kctl_targets *t)
{
    for (size_t i = 0; i < t->n; i++)
        json_decref(t->v[i].obj);
    free(t->v);
    kctl_manifest_close(&t->m);
    memset(t, 0, sizeof(*t));
}

int
kctl_target_path(const struct kctl_target *t, const char *sub, char *buf, size_t len)
{
    return kctl_resource_path(&t->r, t->r.namespaced ? t->ns : NULL, t->name[0] ? t->name : NULL, sub, buf, len);
}

int
kctl_get_object(struct kctl_client *c, const struct kctl_target *t, json_t **out)
{
    char path[2048];
    if (kctl_target_path(t, NULL, path, sizeof(path)) != 0)
        return 1;
    return kctl_request_json(c, "GET", path, NULL, NULL, out);
}

long long
kctl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
kctl_parse_duration(const char *s, long long *ms)
{
    if (!s || !*s)
        return -EINVAL;
    char *end;
    long long total = 0;
    const char *p = s;
    bool any = false;
    while (*p) {
        double v = strtod(p, &end);
        if (end == p)
            return -EINVAL;
        p = end;
        double unit;
        if (strncmp(p, "ms", 2) == 0)
            unit = 1, p += 2;
        else if (*p == 's')
            unit = 1000, p++;
        else if (*p == 'm')
            unit = 60000, p++;
        else if (*p == 'h')
            unit = 3600000, p++;
        else if (*p == '\0' && !any)
            unit = 1000; /* a bare number: seconds */
        else
            return -EINVAL;
        total += (long long)(v * unit);
        any = true;
    }
    *ms = total;
    return 0;
}

void
kctl_write_print(struct kctl_config *cfg, const char *format, const json_t *items)
{
    json_t *doc = json_array_size(items) == 1 ? json_incref(json_array_get(items, 0)) : kctl_list_wrap((json_t *)items);
    if (!doc)
        return;
    if (strcmp(format, "json") == 0)
        kctl_print_json(doc, cfg->out);
    else
        kctl_print_yaml(doc, cfg->out);
    json_decref(doc);
}
