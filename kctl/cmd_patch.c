/* cmd_patch.c - `kctl patch TYPE NAME -p PATCH [--type strategic|merge|json]`, and `kctl label` / `kctl annotate`
 * (key=value, key-, --overwrite, kubectl's "already has a value" errors), sent as JSON merge patches of
 * metadata as kubectl sends them. */
#include "kctl.h"
#include "kc_json.h"
#include "kc_yaml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The live object of t (GET), or prints the error. */
static json_t *
get_live(struct kctl_client *c, const struct kctl_target *t)
{
    json_t *live = NULL;
    if (kctl_get_object(c, t, &live) != 0)
        return NULL;
    return live;
}

/* PATCHes t; *out gets the answer. Returns 0 or 1 (printed). */
static int
send_patch(struct kctl_client *c, const struct kctl_target *t, const char *ctype, const char *body,
           enum kctl_dry_run dry, const char *manager, json_t **out)
{
    struct kctl_config *cfg = kctl_client_config(c);
    char path[2048], q[512];
    if (kctl_target_path(t, NULL, path, sizeof(path)) != 0)
        return 1;
    kctl_write_query(cfg, dry, manager, false, q, sizeof(q));
    strncat(path, q, sizeof(path) - strlen(path) - 1);
    struct kctl_response resp;
    if (kctl_request(c, "PATCH", path, ctype, body, strlen(body), NULL, &resp) != 0)
        return 1;
    if (resp.status < 200 || resp.status > 299) {
        if (t->src)
            kctl_print_source_error(cfg, &resp, "patching", t->src);
        else
            kctl_print_error(cfg, &resp);
        kctl_response_free(&resp);
        return 1;
    }
    kctl_print_warnings(cfg, &resp);
    *out = resp.body ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
    kctl_response_free(&resp);
    return 0;
}

int
kctl_cmd_patch(struct kctl_config *cfg)
{
    const char *type = cfg->patch_type ? cfg->patch_type : "strategic", *ctype;
    if (strcmp(type, "strategic") == 0)
        ctype = "application/strategic-merge-patch+json";
    else if (strcmp(type, "merge") == 0)
        ctype = "application/merge-patch+json";
    else if (strcmp(type, "json") == 0)
        ctype = "application/json-patch+json";
    else {
        fprintf(cfg->err, "error: --type must be one of [json merge strategic], not \"%s\"\n", type);
        return 1;
    }
    if (!cfg->patch) {
        fprintf(cfg->err, "error: must specify --patch or --patch-file containing the contents of the patch\n");
        return 1;
    }
    enum kctl_dry_run dry;
    if (kctl_dry_run_mode(cfg, &dry) != 0)
        return 1;
    /* kubectl reads the patch as YAML (JSON is YAML) and sends JSON; what does not parse is sent as given and the
     * server says what is wrong with it */
    char *body = NULL;
    json_t *doc = NULL;
    if (kc_yaml_load_one(cfg->patch, strlen(cfg->patch), &doc, NULL) == 0 && !json_is_null(doc))
        body = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(doc);
    if (!body)
        body = strdup(cfg->patch);
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0) {
        free(body);
        return 1;
    }
    struct kctl_targets t = { 0 };
    int rc = kctl_targets_collect(c, &t, 0);
    for (size_t i = 0; rc == 0 && i < t.n; i++) {
        json_t *live = get_live(c, &t.v[i]), *out = NULL;
        if (!live) {
            rc = 1;
            break;
        }
        char name[600];
        kctl_target_name(&t.v[i], name, sizeof(name));
        if (dry == KCTL_DRY_CLIENT) {
            fprintf(cfg->out, "%s patched (dry run)\n", name);
        } else if (send_patch(c, &t.v[i], ctype, body, dry, "kubectl-patch", &out) == 0) {
            bool changed = !kc_json_equal(live, out);
            if (cfg->output && strcmp(cfg->output, "name") == 0)
                fprintf(cfg->out, "%s\n", name);
            else if (cfg->output && *cfg->output && out) {
                json_t *items = json_pack("[O]", out);
                kctl_write_print(cfg, cfg->output, items);
                json_decref(items);
            } else
                fprintf(cfg->out, "%s patched%s%s\n", name, changed ? "" : " (no change)", kctl_dry_run_suffix(dry));
        } else {
            rc = 1;
        }
        json_decref(out);
        json_decref(live);
    }
    kctl_targets_close(&t);
    kctl_client_free(c);
    free(body);
    return rc;
}

/* ------------------------------------------------------------------------------------------ label, annotate */

/* The arguments of label/annotate: resources first, then changes (key=value or key-). Returns the index of the
 * first change, or -1 with the error printed. */
static int
split_changes(struct kctl_config *cfg, const char *noun)
{
    int n = cfg->dash >= 0 ? cfg->dash : cfg->nargs, first = n;
    for (int i = 0; i < n; i++) {
        const char *a = cfg->args[i];
        size_t l = strlen(a);
        if (strchr(a, '=') || (l > 1 && a[l - 1] == '-')) {
            first = i;
            break;
        }
    }
    if (first == n) {
        fprintf(cfg->err, "error: at least one %s update is required\n", noun);
        return -1;
    }
    for (int i = first; i < n; i++) {
        const char *a = cfg->args[i];
        size_t l = strlen(a);
        if (!strchr(a, '=') && !(l > 1 && a[l - 1] == '-')) {
            fprintf(cfg->err, "error: all resources must be specified before %s changes: %s\n", noun, a);
            return -1;
        }
    }
    return first;
}

static int
label_or_annotate(struct kctl_config *cfg, bool labels)
{
    const char *noun = labels ? "label" : "annotation", *field = labels ? "labels" : "annotations";
    enum kctl_dry_run dry;
    if (kctl_dry_run_mode(cfg, &dry) != 0)
        return 1;
    int first = split_changes(cfg, noun);
    if (first < 0)
        return 1;
    int nargs = cfg->dash >= 0 ? cfg->dash : cfg->nargs;
    /* the changes, in order (a later key=value for the same key wins) */
    json_t *set = json_object(), *del = json_array();
    for (int i = first; i < nargs; i++) {
        const char *a = cfg->args[i], *eq = strchr(a, '=');
        if (eq) {
            char key[512];
            snprintf(key, sizeof(key), "%.*s", (int)(eq - a), a);
            json_object_set_new(set, key, json_string(eq + 1));
        } else {
            json_array_append_new(del, json_stringn(a, strlen(a) - 1));
        }
    }
    /* the resources are the arguments before the changes */
    int saved_n = cfg->nargs, saved_dash = cfg->dash;
    cfg->nargs = first;
    cfg->dash = -1;
    struct kctl_client *c = NULL;
    int rc = kctl_client_new(cfg, &c);
    struct kctl_targets t = { 0 };
    if (rc == 0)
        rc = kctl_targets_collect(c, &t, 0);
    cfg->nargs = saved_n;
    cfg->dash = saved_dash;
    for (size_t i = 0; rc == 0 && i < t.n; i++) {
        json_t *live = t.v[i].obj && !t.v[i].src ? json_incref(t.v[i].obj) : get_live(c, &t.v[i]);
        if (!live) {
            rc = 1;
            break;
        }
        const json_t *cur = kc_json_get(live, labels ? "metadata.labels" : "metadata.annotations");
        const char *k;
        json_t *v;
        /* kubectl checks every key first: nothing is changed when one would be overwritten */
        char clash[2048] = "";
        size_t cl = 0;
        json_object_foreach(set, k, v)
        {
            const char *old = json_string_value(json_object_get(cur, k));
            if (old && strcmp(old, json_string_value(v)) != 0 && !cfg->overwrite) {
                if (labels) {
                    fprintf(cfg->err, "error: '%s' already has a value (%s), and --overwrite is false\n", k, old);
                    rc = 1;
                    break;
                }
                cl += (size_t)snprintf(clash + cl, cl < sizeof(clash) ? sizeof(clash) - cl : 0,
                                       "%s'%s' already has a value (%s)", cl ? ", " : "", k, old);
            }
        }
        if (rc == 0 && cl) {
            fprintf(cfg->err, "error: --overwrite is false but found the following declared annotation(s): %s\n",
                    clash);
            rc = 1;
        }
        if (rc != 0) {
            json_decref(live);
            break;
        }
        json_t *changes = json_object();
        bool changed = false, added = false;
        json_object_foreach(set, k, v)
        {
            const char *old = json_string_value(json_object_get(cur, k));
            if (!old || strcmp(old, json_string_value(v)) != 0) {
                json_object_set(changes, k, v);
                changed = added = true;
            }
        }
        size_t j;
        json_array_foreach(del, j, v)
        {
            const char *key = json_string_value(v);
            if (json_object_get(cur, key)) {
                json_object_set_new(changes, key, json_null());
                changed = true;
            } else if (labels) {
                fprintf(cfg->out, "label \"%s\" not found.\n", key);
            }
        }
        char name[600];
        kctl_target_name(&t.v[i], name, sizeof(name));
        const char *did = labels ? (changed ? (added ? "labeled" : "unlabeled") : "not labeled") : "annotated";
        if (changed && dry != KCTL_DRY_CLIENT) {
            json_t *patch = json_pack("{s:{s:o}}", "metadata", field, changes);
            changes = NULL;
            char *body = json_dumps(patch, JSON_COMPACT);
            json_t *out = NULL;
            if (!body || send_patch(c, &t.v[i], "application/merge-patch+json", body, dry,
                                    labels ? "kubectl-label" : "kubectl-annotate", &out) != 0)
                rc = 1;
            free(body);
            json_decref(out);
            json_decref(patch);
        }
        json_decref(changes);
        if (rc == 0) {
            if (cfg->output && strcmp(cfg->output, "name") == 0)
                fprintf(cfg->out, "%s\n", name);
            else
                fprintf(cfg->out, "%s %s%s\n", name, did, kctl_dry_run_suffix(dry));
        }
        json_decref(live);
    }
    json_decref(set);
    json_decref(del);
    kctl_targets_close(&t);
    kctl_client_free(c);
    return rc ? 1 : 0;
}

int
kctl_cmd_label(struct kctl_config *cfg)
{
    return label_or_annotate(cfg, true);
}

int
kctl_cmd_annotate(struct kctl_config *cfg)
{
    return label_or_annotate(cfg, false);
}
