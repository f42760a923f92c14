/* kctl.h - the kctl CLI: one config struct filled from the flag table, one table of commands (curl's tool_
 * layout: options, config, operate). Printers live apart from requests. */
#ifndef KCTL_H
#define KCTL_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

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

/* --- the REST client (client.c) -------------------------------------------------------------------------
 * One connection to the API server from the resolved kubeconfig and the flags. Requests go through kc_http;
 * every non-2xx answer carries a Kubernetes Status, printed in kubectl's wording by kctl_print_error. */
struct kctl_client;

/* Loads the kubeconfig (cfg->kubeconfig, KUBECONFIG, ~/.kube/config), applies the overrides and connects lazily.
 * Returns 0 and *out, or prints the error ("error: ..." as kubectl) and returns 1. cfg must outlive the client. */
int kctl_client_new(struct kctl_config *cfg, struct kctl_client **out);
void kctl_client_free(struct kctl_client *c);

/* The namespace to use: -n, else the context's namespace, else "default". */
const char *kctl_client_namespace(const struct kctl_client *c);

/* One HTTP answer. body is NUL-terminated (NULL when empty); warnings are the Warning header values. */
struct kctl_response {
    long status;
    char *body;
    size_t len;
    char *content_type;
    char **warnings;
    size_t nwarnings;
};

/* Sends one request (path with its query, already escaped; body NULL for none; ctype/accept NULL for
 * "application/json"). Returns 0 for any HTTP answer (check resp->status), or prints
 * "Unable to connect to the server: ..." and returns 1. Free resp with kctl_response_free. */
int kctl_request(struct kctl_client *c, const char *method, const char *path, const char *ctype, const char *body,
                 size_t len, const char *accept, struct kctl_response *resp);
void kctl_response_free(struct kctl_response *resp);

/* Same with JSON in and out: body may be NULL; *out (may be NULL) gets the parsed reply of a 2xx answer. On a
 * non-2xx answer prints the error (kctl_print_error) and returns 1; 0 on success. */
int kctl_request_json(struct kctl_client *c, const char *method, const char *path, const char *ctype,
                      const json_t *body, json_t **out);

/* Streams a GET (watch, logs -f): calls fn for each line (without its newline) until the stream ends, fn returns
 * non-zero, or the connection drops. Returns 0 when the stream ended normally, 1 on error (printed). */
int kctl_stream(struct kctl_client *c, const char *path, const char *accept,
                int (*fn)(void *arg, const char *line, size_t len), void *arg);

/* Prints a failed answer as kubectl does: `Error from server (NotFound): pods "x" not found`, for 422 `The Pod
 * "x" is invalid: spec.containers[0].image: Required value`; also the Warning headers as `Warning: ...`. */
void kctl_print_error(struct kctl_config *cfg, const struct kctl_response *resp);
/* Prints the Warning headers of an answer to stderr as kubectl ("Warning: unknown field ..."). */
void kctl_print_warnings(struct kctl_config *cfg, const struct kctl_response *resp);

/* --- resource types (resolve.c): discovery, cached per client ------------------------------------------- */
struct kctl_resource {
    char group[64];    /* "" for core */
    char version[32];  /* "v1" */
    char resource[64]; /* plural: "deployments" */
    char kind[64];     /* "Deployment" */
    char singular[64]; /* "deployment" */
    bool namespaced;
};

/* Resolves what a user types: "po", "pod", "pods", "deploy", "deployments.apps", "deployments.v1.apps",
 * "Deployment". Returns 0, or prints `error: the server doesn't have a resource type "x"` and returns 1. */
int kctl_resolve(struct kctl_client *c, const char *type, struct kctl_resource *out);

/* Resolves an object's apiVersion + kind (from a manifest). Returns 0, or prints `error: resource mapping not
 * found for name: ... no matches for kind "X" in version "g/v"` style error (name may be NULL) and returns 1. */
int kctl_resolve_kind(struct kctl_client *c, const char *api_version, const char *kind, const char *name,
                      struct kctl_resource *out);

/* Builds the path /api/v1[/namespaces/NS]/RESOURCE[/NAME[/SUB]] (ns ignored for cluster-scoped kinds; NULL name
 * for the collection). Returns 0 or -ENAMETOOLONG. */
int kctl_resource_path(const struct kctl_resource *r, const char *ns, const char *name, const char *sub,
                       char *buf, size_t len);

/* Runs kctl; main() is a thin wrapper. */
int kctl_main(int argc, char **argv, FILE *out, FILE *err);

#endif
