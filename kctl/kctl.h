/* kctl.h - the kctl CLI: one config struct filled from the flag table, one table of commands (curl's tool_
 * layout: options, config, operate). Printers live apart from requests. */
#ifndef KCTL_H
#define KCTL_H

#include <stdbool.h>
#include <stdio.h>

#include "kc_kubeconfig.h"

/* Everything the flags say, for every command. */
struct kctl_config {
    struct kc_kubeconfig_overrides ov; /* --context, --cluster, --user, -n, --server, --token, ... */
    const char *kubeconfig;            /* --kubeconfig */
    const char *output;                /* -o/--output */
    bool raw, minify, client_only, help;
    const char *args[64]; /* positional arguments after the command words */
    int nargs;
    FILE *out, *err;
};

/* A command: words ("config", "view"), its handler and a one-line help. */
struct kctl_command {
    const char *words[3];
    int (*run)(struct kctl_config *cfg);
    const char *help;
};

/* Parses argv into cfg and finds the command. Returns 0 and *cmd, 2 on a usage error (message printed). */
int kctl_parse(int argc, char **argv, struct kctl_config *cfg, const struct kctl_command **cmd);

/* Loads and resolves the kubeconfig as kubectl does. Returns 0 or prints the error and returns 1. */
int kctl_load_config(struct kctl_config *cfg, struct kc_kubeconfig **kc);

int kctl_cmd_config_view(struct kctl_config *cfg);
int kctl_cmd_config_current_context(struct kctl_config *cfg);
int kctl_cmd_config_get_contexts(struct kctl_config *cfg);
int kctl_cmd_version(struct kctl_config *cfg);

/* Runs kctl; main() is a thin wrapper. */
int kctl_main(int argc, char **argv, FILE *out, FILE *err);

#endif
