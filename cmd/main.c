/* main.c - `k8c`, the multi-call daemon: one binary, one subcommand per component (see the table below). */
#include "kc_log.h"
#include "api_cmd.h"
#include "etcdapi.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#ifndef K8C_VERSION
#define K8C_VERSION "0.1.0"
#endif

struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
};

static int
cmd_version(int argc, char **argv)
{
    (void)argc, (void)argv;
    printf("k8c %s (Kubernetes API level v1.33)\n", K8C_VERSION);
    return 0;
}

static const struct subcommand subcommands[] = {
    { "apiserver", api_cmd_apiserver, "run the API server alone on a remote etcd v3 store (--etcd-servers)" },
    { "kvstore", ea_main, "run the etcd-compatible key-value store (etcd v3 JSON API)" },
    { "pki", api_cmd_pki, "make the cluster CA, certificates and kubeconfigs" },
    { "server", api_cmd_server, "run the whole control plane in one process (embedded store, data in .k8c)" },
    { "version", cmd_version, "print the version" },
};

static void
usage(FILE *out)
{
    fprintf(out, "usage: k8c <command> [flags]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
        fprintf(out, "  %-10s %s\n", subcommands[i].name, subcommands[i].help);
}

int
main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    kc_log_init_from_env();
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
        if (strcmp(argv[1], subcommands[i].name) == 0)
            return subcommands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "k8c: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return 2;
}
