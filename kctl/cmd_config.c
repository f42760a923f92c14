/* cmd_config.c - `kctl config view|current-context|get-contexts|use-context|set-context`, printing what kubectl
 * prints and writing the kubeconfig back to the file kubectl would change. */
#include "kctl.h"
#include "kc_yaml.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void fill_required(json_t *view);

int
kctl_cmd_config_view(struct kctl_config *cfg)
{
    struct kc_kubeconfig *kc;
    json_t *view;
    char err[512];
    if (kctl_load_config(cfg, &kc) != 0)
        return 1;
    unsigned fl = (cfg->raw ? KC_KUBECONFIG_VIEW_RAW : 0) | (cfg->minify ? KC_KUBECONFIG_VIEW_MINIFY : 0);
    int rc = kc_kubeconfig_view(kc, fl, cfg->ov.context, &view, err, sizeof(err));
    kc_kubeconfig_free(kc);
    if (rc != 0) {
        fprintf(cfg->err, "error: %s\n", err);
        return 1;
    }
    char *text = NULL;
    fill_required(view);
    if (cfg->output && strcmp(cfg->output, "json") == 0) {
        text = json_dumps(view, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        if (text)
            fprintf(cfg->out, "%s\n", text);
    } else if (!cfg->output || strcmp(cfg->output, "yaml") == 0) {
        if (kc_yaml_dump(view, KC_YAML_SORT_KEYS, &text) == 0) /* kubectl marshals a map: keys sorted */
            fputs(text, cfg->out);
    } else {
        fprintf(cfg->err,
                "error: unable to match a printer suitable for the output format \"%s\", allowed formats "
                "are: json,yaml\n",
                cfg->output);
        json_decref(view);
        return 1;
    }
    free(text);
    json_decref(view);
    return 0;
}

int
kctl_cmd_config_current_context(struct kctl_config *cfg)
{
    struct kc_kubeconfig *kc;
    if (kctl_load_config(cfg, &kc) != 0)
        return 1;
    const char *cur = kc_kubeconfig_current_context(kc);
    int rc = 0;
    if (!cur || !*cur) {
        fprintf(cfg->err, "error: current-context is not set\n");
        rc = 1;
    } else {
        fprintf(cfg->out, "%s\n", cur);
    }
    kc_kubeconfig_free(kc);
    return rc;
}

static const char *
str_or_empty(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

int
kctl_cmd_config_get_contexts(struct kctl_config *cfg)
{
    struct kc_kubeconfig *kc;
    json_t *view;
    char err[512];
    if (kctl_load_config(cfg, &kc) != 0)
        return 1;
    int rc = kc_kubeconfig_view(kc, 0, NULL, &view, err, sizeof(err));
    const char *cur = kc_kubeconfig_current_context(kc);
    if (rc != 0) {
        fprintf(cfg->err, "error: %s\n", err);
        kc_kubeconfig_free(kc);
        return 1;
    }
    json_t *contexts = json_object_get(view, "contexts");
    /* Column widths as kubectl's tabwriter: the widest cell plus three spaces. */
    size_t w[4] = { strlen("NAME"), strlen("CLUSTER"), strlen("AUTHINFO"), strlen("NAMESPACE") };
    size_t i;
    json_t *c;
    json_array_foreach(contexts, i, c)
    {
        json_t *ctx = json_object_get(c, "context");
        const char *cells[4] = { str_or_empty(c, "name"), str_or_empty(ctx, "cluster"), str_or_empty(ctx, "user"),
                                 str_or_empty(ctx, "namespace") };
        for (int k = 0; k < 4; k++)
            if (strlen(cells[k]) > w[k])
                w[k] = strlen(cells[k]);
    }
    fprintf(cfg->out, "CURRENT   %-*s   %-*s   %-*s   %s\n", (int)w[0], "NAME", (int)w[1], "CLUSTER", (int)w[2],
            "AUTHINFO", "NAMESPACE");
    json_array_foreach(contexts, i, c)
    {
        json_t *ctx = json_object_get(c, "context");
        const char *name = str_or_empty(c, "name");
        fprintf(cfg->out, "%-7s   %-*s   %-*s   %-*s   %s\n", cur && strcmp(cur, name) == 0 ? "*" : "", (int)w[0], name,
                (int)w[1], str_or_empty(ctx, "cluster"), (int)w[2], str_or_empty(ctx, "user"),
                str_or_empty(ctx, "namespace"));
    }
    json_decref(view);
    kc_kubeconfig_free(kc);
    return 0;
}

/* --- writing the kubeconfig back (use-context, set-context) --------------------------------------------------
 * As clientcmd.ModifyConfig: a context is written to the file that defines it (a new one to the default file);
 * current-context to the --kubeconfig file, else to the first file that already sets one, else to the default
 * file. Each file is re-read alone, changed and written whole as kubectl writes it (its known fields, lists sorted
 * by name, keys sorted, secrets kept). */

/* The files kubectl loads, in precedence order: --kubeconfig, else $KUBECONFIG's list, else ~/.kube/config.
 * Returns the count; the strings point into *store (caller frees). */
static int
loading_files(const struct kctl_config *cfg, const char **files, int max, char **store)
{
    *store = NULL;
    if (cfg->kubeconfig && *cfg->kubeconfig) {
        files[0] = cfg->kubeconfig;
        return 1;
    }
    const char *env = getenv("KUBECONFIG");
    if (env && *env) {
        *store = strdup(env);
        int n = 0;
        for (char *save = NULL, *t = strtok_r(*store, ":", &save); t && n < max; t = strtok_r(NULL, ":", &save)) {
            bool seen = false;
            for (int i = 0; i < n && !seen; i++)
                seen = strcmp(files[i], t) == 0;
            if (!seen)
                files[n++] = t;
        }
        return n;
    }
    const char *home = getenv("HOME");
    if (asprintf(store, "%s/.kube/config", home ? home : "") < 0)
        return 0;
    files[0] = *store;
    return 1;
}

/* clientcmd's GetDefaultFilename: the explicit file, the only or first existing $KUBECONFIG file (else its last),
 * or ~/.kube/config. */
static const char *
default_file(const struct kctl_config *cfg, const char *const *files, int n)
{
    if ((cfg->kubeconfig && *cfg->kubeconfig) || n == 1)
        return files[0];
    for (int i = 0; i < n; i++)
        if (access(files[i], F_OK) == 0)
            return files[i];
    return n > 0 ? files[n - 1] : NULL;
}

/* One file as kubectl would write it back: the raw view of that file alone (a missing file is empty). */
static int
file_view(struct kctl_config *cfg, const char *path, json_t **out)
{
    struct kc_kubeconfig *kc;
    char err[512];
    if (kc_kubeconfig_load_files(&path, 1, false, &kc, err, sizeof(err)) != 0) {
        fprintf(cfg->err, "error: %s\n", err);
        return 1;
    }
    int rc = kc_kubeconfig_view(kc, KC_KUBECONFIG_VIEW_RAW, NULL, out, err, sizeof(err));
    kc_kubeconfig_free(kc);
    if (rc != 0) {
        fprintf(cfg->err, "error: %s\n", err);
        return 1;
    }
    return 0;
}

/* Creates the directories above path, as kubectl does before writing a new file. */
static void
make_parents(const char *path)
{
    char *p = strdup(path);
    if (!p)
        return;
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
    free(p);
}

/* The fields kubectl's v1.Config always writes, empty or not: a cluster's server, a context's cluster and user. */
static void
fill_required(json_t *view)
{
    static const struct {
        const char *list, *inner, *keys[2];
    } req[] = { { "clusters", "cluster", { "server", NULL } }, { "contexts", "context", { "cluster", "user" } } };
    for (size_t r = 0; r < 2; r++) {
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(view, req[r].list), i, e)
        {
            json_t *body = json_object_get(e, req[r].inner);
            for (int k = 0; k < 2 && req[r].keys[k] && json_is_object(body); k++)
                if (!json_object_get(body, req[r].keys[k]))
                    json_object_set_new(body, req[r].keys[k], json_string(""));
        }
    }
}

static int
write_view(struct kctl_config *cfg, const char *path, json_t *view)
{
    char *text = NULL;
    fill_required(view);
    if (kc_yaml_dump(view, KC_YAML_SORT_KEYS, &text) != 0) {
        fprintf(cfg->err, "error: out of memory\n");
        return 1;
    }
    make_parents(path);
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.kctl-tmp", path);
    int rc = 0, e = 0;
    FILE *fp = fopen(tmp, "w");
    if (!fp) {
        e = errno;
    } else {
        if (fputs(text, fp) == EOF || fchmod(fileno(fp), 0600) != 0)
            e = errno ? errno : EIO;
        if (fclose(fp) != 0 && !e)
            e = errno;
        if (!e && rename(tmp, path) != 0)
            e = errno;
    }
    if (e) {
        fprintf(cfg->err, "error: open %s: %s\n", path, strerror(e));
        unlink(tmp);
        rc = 1;
    }
    free(text);
    return rc;
}

/* The index of the entry named name in a view's list, or -1. */
static long
find_named(const json_t *list, const char *name)
{
    size_t i;
    const json_t *e;
    json_array_foreach(list, i, e)
    {
        const char *n = json_string_value(json_object_get(e, "name"));
        if (n && strcmp(n, name) == 0)
            return (long)i;
    }
    return -1;
}

/* Writes current-context = name where kubectl 1.33 writes it: the --kubeconfig file, else the default file (the
 * only or first existing $KUBECONFIG file, else its last, else ~/.kube/config). */
static int
write_current_context(struct kctl_config *cfg, const char *const *files, int n, const char *name)
{
    const char *target = default_file(cfg, files, n);
    json_t *view = NULL;
    if (!target || file_view(cfg, target, &view) != 0)
        return 1;
    json_object_set_new(view, "current-context", json_string(name));
    int rc = write_view(cfg, target, view);
    json_decref(view);
    return rc;
}

/* The merged configuration's view (raw), for the checks before a change. */
static int
merged_view(struct kctl_config *cfg, json_t **view, char **cur)
{
    struct kc_kubeconfig *kc;
    char err[512];
    if (kctl_load_config(cfg, &kc) != 0)
        return 1;
    int rc = kc_kubeconfig_view(kc, KC_KUBECONFIG_VIEW_RAW, NULL, view, err, sizeof(err));
    const char *c = kc_kubeconfig_current_context(kc);
    *cur = c ? strdup(c) : NULL;
    kc_kubeconfig_free(kc);
    if (rc != 0) {
        fprintf(cfg->err, "error: %s\n", err);
        free(*cur);
        return 1;
    }
    return 0;
}

int
kctl_cmd_config_use_context(struct kctl_config *cfg)
{
    if (cfg->nargs != 1) {
        fprintf(cfg->err, "error: Unexpected args: %s\nSee 'kctl config use-context -h' for help and examples\n",
                cfg->nargs ? cfg->args[1] : "[]");
        return 1;
    }
    const char *name = cfg->args[0];
    json_t *view;
    char *cur;
    if (merged_view(cfg, &view, &cur) != 0)
        return 1;
    bool exists = find_named(json_object_get(view, "contexts"), name) >= 0;
    json_decref(view);
    if (!exists) {
        fprintf(cfg->err, "error: no context exists with the name: \"%s\"\n", name);
        free(cur);
        return 1;
    }
    int rc = 0;
    if (!cur || strcmp(cur, name) != 0) {
        const char *files[32];
        char *store;
        int n = loading_files(cfg, files, 32, &store);
        rc = write_current_context(cfg, files, n, name);
        free(store);
    }
    free(cur);
    if (rc == 0)
        fprintf(cfg->out, "Switched to context \"%s\".\n", name);
    return rc;
}

/* Which file defines the context name (NULL when none does). */
static const char *
origin_of(struct kctl_config *cfg, const char *const *files, int n, const char *name, int *rc)
{
    *rc = 0;
    for (int i = 0; i < n; i++) {
        if (access(files[i], F_OK) != 0)
            continue;
        json_t *v;
        if (file_view(cfg, files[i], &v) != 0) {
            *rc = 1;
            return NULL;
        }
        bool has = find_named(json_object_get(v, "contexts"), name) >= 0;
        json_decref(v);
        if (has)
            return files[i];
    }
    return NULL;
}

static int
cmp_named(const void *a, const void *b)
{
    const json_t *const *x = a, *const *y = b;
    return strcmp(json_string_value(json_object_get(*x, "name")), json_string_value(json_object_get(*y, "name")));
}

/* Sets or clears one field of a context body: kubectl drops empty values. */
static void
set_field(json_t *body, const char *key, const char *val)
{
    if (!val)
        return;
    if (*val)
        json_object_set_new(body, key, json_string(val));
    else
        json_object_del(body, key);
}

int
kctl_cmd_config_set_context(struct kctl_config *cfg)
{
    const char *name = cfg->nargs > 0 ? cfg->args[0] : NULL;
    char *cur = NULL;
    json_t *merged;
    if (cfg->nargs > 1 || (!name && !cfg->current) || (name && cfg->current)) {
        fprintf(cfg->err, cfg->current ? "error: you cannot specify a context name and --current\n"
                                       : "error: you must specify a non-empty context name or --current\n");
        return 1;
    }
    if (merged_view(cfg, &merged, &cur) != 0)
        return 1;
    if (cfg->current) {
        if (!cur || !*cur) {
            fprintf(cfg->err, "error: no current context is set\n");
            json_decref(merged);
            free(cur);
            return 1;
        }
        name = cur;
    }
    bool existed = find_named(json_object_get(merged, "contexts"), name) >= 0;
    json_decref(merged);

    const char *files[32];
    char *store;
    int n = loading_files(cfg, files, 32, &store), rc;
    const char *target = origin_of(cfg, files, n, name, &rc);
    if (rc == 0 && !target)
        target = default_file(cfg, files, n);
    json_t *view = NULL;
    if (rc == 0 && (!target || file_view(cfg, target, &view) != 0))
        rc = 1;
    if (rc == 0) {
        json_t *list = json_object_get(view, "contexts");
        if (!json_is_array(list)) {
            list = json_array();
            json_object_set_new(view, "contexts", list);
        }
        long i = find_named(list, name);
        json_t *entry;
        if (i < 0) {
            entry = json_pack("{s:s,s:{}}", "name", name, "context");
            json_array_append_new(list, entry);
        } else {
            entry = json_array_get(list, (size_t)i);
        }
        json_t *body = json_object_get(entry, "context");
        set_field(body, "cluster", cfg->ov.cluster);
        set_field(body, "user", cfg->ov.user);
        set_field(body, "namespace", cfg->ov.namespace);
        /* kubectl writes its known keys in its order: cluster, user, namespace, extensions */
        json_t *ordered = json_object();
        static const char *const keys[] = { "cluster", "user", "namespace", "extensions" };
        for (size_t k = 0; k < 4; k++)
            if (json_object_get(body, keys[k]))
                json_object_set(ordered, keys[k], json_object_get(body, keys[k]));
        json_object_set_new(entry, "context", ordered);
        /* lists stay sorted by name */
        size_t cnt = json_array_size(list);
        json_t **items = calloc(cnt ? cnt : 1, sizeof(*items));
        for (size_t k = 0; k < cnt; k++)
            items[k] = json_incref(json_array_get(list, k));
        qsort(items, cnt, sizeof(*items), cmp_named);
        json_array_clear(list);
        for (size_t k = 0; k < cnt; k++)
            json_array_append_new(list, items[k]);
        free(items);
        rc = write_view(cfg, target, view);
    }
    if (rc == 0)
        fprintf(cfg->out, "Context \"%s\" %s.\n", name, existed ? "modified" : "created");
    json_decref(view);
    free(store);
    free(cur);
    return rc;
}
