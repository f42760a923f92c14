/* main.c - `k8c`, the multi-call daemon: one binary, one subcommand per component (see the table below). */
#include "kc_log.h"
#ifdef K8C_HAVE_KVSTORE
#include "etcdapi.h"
#endif

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

/* The whole control plane in one process. Until the API server (issue 4) is built, it runs what exists: the store
 * on its etcd v3 JSON API, with its data under <data-dir>/kvstore, and says so. */
static int
cmd_server(int argc, char **argv)
{
    const char *data_dir = ".k8c";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--data-dir") == 0 && i + 1 < argc)
            data_dir = argv[++i];
        else if (strncmp(argv[i], "--data-dir=", 11) == 0)
            data_dir = argv[i] + 11;
        else {
            fprintf(stderr, "k8c server: unknown flag %s (this build knows --data-dir)\n", argv[i]);
            return 2;
        }
    }
#ifdef K8C_HAVE_KVSTORE
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/kvstore", data_dir);
    if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "k8c server: cannot create %s: %s\n", data_dir, strerror(errno));
        return 1;
    }
    fprintf(stderr,
            "k8c server: the API server is not built yet; running the store alone: etcd v3 JSON API on "
            "http://127.0.0.1:2379, data in %s\n",
            dir);
    char *args[] = { "kvstore", "--name", "k8c", "--data-dir", dir, "--listen-client-urls", "http://127.0.0.1:2379",
                     NULL };
    return ea_main(7, args);
#else
    (void)data_dir;
    fprintf(stderr, "k8c server: not implemented yet: this build has only the common library\n");
    return 1;
#endif
}

static const struct subcommand subcommands[] = {
#ifdef K8C_HAVE_KVSTORE
    { "kvstore", ea_main, "run the etcd-compatible key-value store (etcd v3 JSON API)" },
#endif
    { "server", cmd_server, "run the whole control plane in one process (embedded store)" },
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
