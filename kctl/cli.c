/* cli.c - kctl's flag table, command table and dispatch. Commands that are not built yet say so plainly and
 * exit 1; nothing pretends to work. */
#include "kctl.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#ifndef K8C_VERSION
#define K8C_VERSION "0.1.0"
#endif

static int not_built(struct kctl_config *cfg);

static const struct kctl_command commands[] = {
    { { "config", "view" }, kctl_cmd_config_view, "show the merged kubeconfig (--raw, --minify, -o json|yaml)" },
    { { "config", "current-context" }, kctl_cmd_config_current_context, "print the current context" },
    { { "config", "get-contexts" }, kctl_cmd_config_get_contexts, "list the contexts" },
    { { "version" }, kctl_cmd_version, "print the client and server versions (--client: client only)" },
    { { "apply" }, not_built, NULL },
    { { "get" }, not_built, NULL },
    { { "describe" }, not_built, NULL },
    { { "delete" }, not_built, NULL },
    { { "create" }, not_built, NULL },
    { { "logs" }, not_built, NULL },
    { { "exec" }, not_built, NULL },
};

/* A flag: long name, short name, where its value goes (NULL for booleans, then *flag is set). */
struct flag {
    const char *name;
    char short_name;
    size_t offset; /* of a const char * in struct kctl_config, or of a bool when is_bool */
    bool is_bool;
};

#define STR(field)  offsetof(struct kctl_config, field), false
#define BOOL(field) offsetof(struct kctl_config, field), true

static const struct flag flags[] = {
    { "kubeconfig", 0, STR(kubeconfig) },
    { "context", 0, STR(ov.context) },
    { "cluster", 0, STR(ov.cluster) },
    { "user", 0, STR(ov.user) },
    { "namespace", 'n', STR(ov.namespace) },
    { "server", 's', STR(ov.server) },
    { "token", 0, STR(ov.token) },
    { "certificate-authority", 0, STR(ov.certificate_authority) },
    { "client-certificate", 0, STR(ov.client_certificate) },
    { "client-key", 0, STR(ov.client_key) },
    { "tls-server-name", 0, STR(ov.tls_server_name) },
    { "insecure-skip-tls-verify", 0, BOOL(ov.insecure_skip_tls_verify) },
    { "output", 'o', STR(output) },
    { "raw", 0, BOOL(raw) },
    { "minify", 0, BOOL(minify) },
    { "client", 0, BOOL(client_only) },
    { "help", 'h', BOOL(help) },
};

static const struct flag *
find_flag(const char *name, size_t len, char short_name)
{
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        if (short_name ? flags[i].short_name == short_name
                       : strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
            return &flags[i];
    }
    return NULL;
}

static void
usage(FILE *f)
{
    fprintf(f, "kctl controls a k8c (Kubernetes-compatible) cluster.\n\nCommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (!commands[i].help)
            continue;
        char words[64];
        snprintf(words, sizeof(words), "%s%s%s", commands[i].words[0], commands[i].words[1] ? " " : "",
                 commands[i].words[1] ? commands[i].words[1] : "");
        fprintf(f, "  %-24s %s\n", words, commands[i].help);
    }
    fprintf(f, "\nNot built yet: apply, get, describe, delete, create, logs, exec.\n"
               "\nGlobal flags: --kubeconfig, --context, --cluster, --user, -n/--namespace, -s/--server, --token,\n"
               "  --certificate-authority, --client-certificate, --client-key, --insecure-skip-tls-verify\n");
}

int
kctl_parse(int argc, char **argv, struct kctl_config *cfg, const struct kctl_command **cmd)
{
    const char *words[8];
    int nwords = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '\0') {
            if (nwords < 8)
                words[nwords++] = a;
            continue;
        }
        const struct flag *f;
        const char *val = NULL;
        if (a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
            f = find_flag(a + 2, len, 0);
            if (eq)
                val = eq + 1;
        } else {
            f = find_flag(NULL, 0, a[1]);
            if (a[2])
                val = a[2] == '=' ? a + 3 : a + 2;
        }
        if (!f) {
            fprintf(cfg->err, "error: unknown flag: %s\nSee 'kctl --help' for usage.\n", a);
            return 2;
        }
        if (f->is_bool) {
            *(bool *)((char *)cfg + f->offset) = !val || strcmp(val, "true") == 0;
            continue;
        }
        if (!val) {
            if (i + 1 >= argc) {
                fprintf(cfg->err, "error: flag needs an argument: %s\n", a);
                return 2;
            }
            val = argv[++i];
        }
        *(const char **)((char *)cfg + f->offset) = val;
    }
    if (cfg->help || nwords == 0) {
        usage(nwords == 0 && !cfg->help ? cfg->err : cfg->out);
        return cfg->help ? 1 : 2;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        int n = 0;
        while (n < 3 && commands[i].words[n] && n < nwords && strcmp(commands[i].words[n], words[n]) == 0)
            n++;
        if (n < 3 && commands[i].words[n])
            continue;
        for (int j = n; j < nwords && cfg->nargs < 64; j++)
            cfg->args[cfg->nargs++] = words[j];
        *cmd = &commands[i];
        return 0;
    }
    fprintf(cfg->err, "error: unknown command \"%s\" for \"kctl\"\nRun 'kctl --help' for usage.\n", words[0]);
    return 2;
}

static int
not_built(struct kctl_config *cfg)
{
    (void)cfg;
    fprintf(cfg->err, "error: this kctl does not implement that command yet (kctl is being built: the command-line "
                      "client comes with the API server)\n");
    return 1;
}

int
kctl_load_config(struct kctl_config *cfg, struct kc_kubeconfig **kc)
{
    char err[512];
    if (kc_kubeconfig_load(cfg->kubeconfig, kc, err, sizeof(err)) != 0) {
        fprintf(cfg->err, "error: %s\n", err);
        return 1;
    }
    return 0;
}

int
kctl_main(int argc, char **argv, FILE *out, FILE *err)
{
    struct kctl_config cfg = { .out = out, .err = err };
    const struct kctl_command *cmd;
    int rc = kctl_parse(argc, argv, &cfg, &cmd);
    if (rc != 0)
        return rc == 1 ? 0 : rc; /* --help is a success */
    return cmd->run(&cfg);
}
