/* cmd_config.c - `kctl config view|current-context|get-contexts`, printing what kubectl prints. */
#include "kctl.h"
#include "kc_yaml.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

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
