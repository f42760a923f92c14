/* kctl.h - the kctl CLI: one config struct filled from the flag table, one table of commands (curl's tool_
 * layout: options, config, operate). Printers live apart from requests. */
#ifndef KCTL_H
#define KCTL_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "kc_kubeconfig.h"

/* A repeatable string flag (-f a -f b, or -f a,b as the command splits it). */
struct kctl_strlist {
    const char *v[32];
    int n;
};

/* Everything the flags say, for every command. */
struct kctl_config {
    struct kc_kubeconfig_overrides ov; /* --context, --cluster, --user, -n, --server, --token, ... */
    const char *kubeconfig;            /* --kubeconfig */
    const char *output;                /* -o/--output */
    bool raw, minify, client_only, help;
    const char *args[64]; /* positional arguments after the command words */
    int nargs;
    int dash; /* index in args of the first argument after "--", or -1 */
    FILE *out, *err;
    const struct kctl_command *cmd; /* the command being run (for its --help) */

    /* kctl-core's commands: get, describe, logs, config, api-resources, explain, auth, exec ... */
    const char *request_timeout;  /* --request-timeout: "0", "30", "30s", "2m", "1h" */
    long request_timeout_ms;      /* kctl_client_new parses request_timeout: 0 = none; unset = 32 s */
    const char *selector;         /* -l/--selector */
    const char *field_selector;   /* --field-selector */
    const char *sort_by;          /* --sort-by (a JSONPath) */
    const char *label_columns;    /* -L/--label-columns (comma-separated keys) */
    bool all_namespaces;          /* -A/--all-namespaces */
    bool show_labels, no_headers; /* --show-labels, --no-headers */
    bool watch, watch_only;       /* -w/--watch, --watch-only */
    bool show_kind;               /* --show-kind */
    bool ignore_not_found;        /* --ignore-not-found */
    const char *container;        /* -c/--container (logs, exec) */
    bool follow, timestamps, previous, all_containers; /* logs -f, --timestamps, -p/--previous, --all-containers */
    const char *tail;                                  /* logs --tail */
    const char *since;                                 /* logs --since (a duration) */
    const char *limit_bytes;                           /* logs --limit-bytes */
    bool stdin_, tty;                                  /* exec -i, -t */
    bool current;                                      /* config set-context --current */
    const char *namespaced;                            /* api-resources --namespaced=true|false */
    const char *api_group;                             /* api-resources --api-group */
    const char *api_version;                           /* explain --api-version */
    bool recursive_explain;                            /* explain --recursive */
    const char *show_events;                           /* describe --show-events */
    bool quiet;                                        /* auth can-i -q */
    const char *subresource;                           /* auth can-i --subresource */
    bool show_managed_fields; /* get --show-managed-fields (else metadata.managedFields is left out) */

    /* kctl-write's commands: apply, delete, create, replace, patch, label, annotate, scale, rollout, wait, edit,
     * cordon, uncordon, drain */
    struct kctl_strlist filenames;               /* -f/--filename */
    bool recursive;                              /* -R/--recursive */
    bool server_side, force_conflicts;           /* apply --server-side, --force-conflicts */
    const char *field_manager;                   /* --field-manager */
    const char *dry_run;                         /* --dry-run=none|client|server */
    bool prune;                                  /* apply --prune (with -l) */
    bool wait;                                   /* apply --wait */
    bool delete_wait;                            /* delete --wait (true unless --wait=false; kctl_main sets it) */
    const char *grace_period;                    /* delete/drain --grace-period */
    bool force, now, all;                        /* --force, delete --now, --all */
    const char *cascade;                         /* delete --cascade=background|foreground|orphan */
    const char *timeout;                         /* --timeout (wait, delete, apply --wait, rollout status, drain) */
    struct kctl_strlist from_literal, from_file; /* create configmap|secret --from-literal, --from-file */
    const char *image, *replicas, *port;         /* create deployment|job --image, --replicas, --port; scale */
    const char *secret_type;                     /* create secret generic --type */
    const char *patch, *patch_type;              /* patch -p/--patch, --type strategic|merge|json */
    bool overwrite;                              /* label/annotate --overwrite */
    const char *wait_for;                        /* wait --for=condition=X[=v]|delete|jsonpath=... */
    const char *revision, *to_revision;          /* rollout history --revision, rollout undo --to-revision */
    bool ignore_daemonsets, delete_emptydir_data, disable_eviction; /* drain */
    const char *validate;                                           /* --validate (accepted; the server validates) */

    /* kctl-more's additions: can-i --list, logs -l, get --output-watch-events, more create generators */
    bool list;                                   /* auth can-i --list */
    bool prefix;                                 /* logs --prefix */
    const char *max_log_requests;                /* logs --max-log-requests (default 5) */
    const char *since_time;                      /* logs --since-time (RFC 3339) */
    bool output_watch_events;                    /* get -w --output-watch-events */
    const char *cert, *key;                      /* create secret tls --cert, --key */
    const char *docker_server, *docker_username; /* create secret docker-registry --docker-server, --docker-username */
    const char *docker_password, *docker_email;  /* create secret docker-registry --docker-password, --docker-email */
    const char *from;                            /* create job --from=cronjob/NAME */
    struct kctl_strlist tcp;                     /* create service --tcp=port[:targetPort] (also comma-separated) */
    const char *node_port, *cluster_ip;          /* create service nodeport --node-port, clusterip --clusterip */
    const char *schedule, *restart;              /* create cronjob --schedule, --restart */
    struct kctl_strlist rules, annotations;      /* create ingress --rule, --annotation */
    const char *ingress_class, *default_backend; /* create ingress --class, --default-backend */
};

/* A command: words ("config", "view"), its handler, a one-line help (NULL hides it from the list) and the
 * text `kctl CMD --help` prints (usage line, description, examples, the command's flags). */
struct kctl_command {
    const char *words[3];
    int (*run)(struct kctl_config *cfg);
    const char *help;
    const char *usage;
};

/* Parses argv into cfg and finds the command. Returns 0 and *cmd, 2 on a usage error (message printed). */
int kctl_parse(int argc, char **argv, struct kctl_config *cfg, const struct kctl_command **cmd);

/* Loads and resolves the kubeconfig as kubectl does. Returns 0 or prints the error and returns 1. */
int kctl_load_config(struct kctl_config *cfg, struct kc_kubeconfig **kc);

int kctl_cmd_config_view(struct kctl_config *cfg);
int kctl_cmd_config_current_context(struct kctl_config *cfg);
int kctl_cmd_config_get_contexts(struct kctl_config *cfg);
int kctl_cmd_config_use_context(struct kctl_config *cfg);
int kctl_cmd_config_set_context(struct kctl_config *cfg);
int kctl_cmd_version(struct kctl_config *cfg);
int kctl_cmd_get(struct kctl_config *cfg);
int kctl_cmd_describe(struct kctl_config *cfg);

/* describe's ServiceAccount layout with the namespace's secrets (print_describe.c; struct kctl_describe_ctx is in
 * kctl_print.h): kctl_describe_object's layout plus the Tokens (service-account-token secrets annotated with the
 * account's name and uid) and "(not found)" after each referenced secret missing from secrets (a JSON array of
 * Secret objects; NULL when they could not be listed, which marks nothing). Returns 0 or -ENOMEM. */
struct kctl_describe_ctx;
int kctl_describe_service_account(const json_t *sa, const json_t *secrets, const struct kctl_describe_ctx *ctx,
                                  FILE *out);
int kctl_cmd_logs(struct kctl_config *cfg);
int kctl_cmd_exec(struct kctl_config *cfg);
int kctl_cmd_attach(struct kctl_config *cfg);
int kctl_cmd_api_resources(struct kctl_config *cfg);
int kctl_cmd_cluster_info(struct kctl_config *cfg);
int kctl_cmd_explain(struct kctl_config *cfg);
int kctl_cmd_auth_whoami(struct kctl_config *cfg);
int kctl_cmd_auth_can_i(struct kctl_config *cfg);

/* `auth can-i --list`'s table of a SelfSubjectRulesReview status (cmd_misc.c, pure): kubectl's BreakdownRule,
 * CompactRules (rules that differ only by verb merged) and sort by PolicyRule.String(), then Resources
 * (resource[.group][/subresource]), Non-Resource URLs, Resource Names and Verbs as Go's %v lists through the tab
 * writer; no header line with no_headers. Returns 0 or -ENOMEM. */
int kctl_can_i_table(const json_t *status, bool no_headers, FILE *out);
int kctl_cmd_top(struct kctl_config *cfg);
int kctl_cmd_completion(struct kctl_config *cfg);

/* --- the REST client (client.c) -------------------------------------------------------------------------
 * One connection to the API server from the resolved kubeconfig and the flags. Requests go through kc_https;
 * every non-2xx answer carries a Kubernetes Status, printed in kubectl's wording by kctl_print_error. */
struct kctl_client;

/* Loads the kubeconfig (cfg->kubeconfig, KUBECONFIG, ~/.kube/config), applies the overrides and connects lazily.
 * Returns 0 and *out, or prints the error ("error: ..." as kubectl) and returns 1. cfg must outlive the client. */
int kctl_client_new(struct kctl_config *cfg, struct kctl_client **out);
void kctl_client_free(struct kctl_client *c);

/* The namespace to use: -n, else the context's namespace, else "default". */
const char *kctl_client_namespace(const struct kctl_client *c);

/* The API server's URL and the config the client was made from (borrowed from the client). */
const char *kctl_client_server(const struct kctl_client *c);
struct kctl_config *kctl_client_config(const struct kctl_client *c);
/* The resolved context (server, CA/cert/key PEM, token, ...), for connections kc_https cannot make (exec's
 * WebSocket). Borrowed from the client. */
const struct kc_kubeconfig_client *kctl_client_credentials(const struct kctl_client *c);

/* One HTTP answer. body is NUL-terminated (NULL when empty); warnings are the Warning header values. */
struct kctl_response {
    long status;
    char *body;
    size_t len;
    char *content_type;
    char **warnings;
    size_t nwarnings;
    char *what; /* "get pods x": the request, for messages about answers that carry no Status (may be NULL) */
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

/* Flags of kctl_stream_ex. */
#define KCTL_STREAM_QUIET_DROP 1u /* a dropped or refused connection returns 2 and prints nothing (watch resumes) */

/* kctl_stream with flags; returns 0, 1 (error printed) or 2 (KCTL_STREAM_QUIET_DROP: the connection dropped). */
int kctl_stream_ex(struct kctl_client *c, const char *path, const char *accept, unsigned flags,
                   int (*fn)(void *arg, const char *line, size_t len), void *arg);

/* Prints a failed answer as kubectl does: `Error from server (NotFound): pods "x" not found`, for 422 `The Pod
 * "x" is invalid: spec.containers[0].image: Required value`; also the Warning headers as `Warning: ...`. */
void kctl_print_error(struct kctl_config *cfg, const struct kctl_response *resp);
/* Prints the Warning headers of an answer to stderr as kubectl ("Warning: unknown field ..."). */
void kctl_print_warnings(struct kctl_config *cfg, const struct kctl_response *resp);

/* --- pod sessions over WebSocket (cmd_exec.c), shared by exec and attach --------------------------------------- */

/* The container exec and attach use when none is named (podcmd.FindOrDefaultContainerByName): the
 * kubectl.kubernetes.io/default-container annotation's when the pod has that container, else the first one, with
 * kubectl's `Defaulted container "a" out of: a, b, init (init)` on cfg->err (unless quiet) when the pod has other
 * containers (init and ephemeral ones count). Returns the name (borrowed from pod), NULL for a pod without
 * containers. */
const char *kctl_pod_default_container(struct kctl_config *cfg, const json_t *pod, bool quiet);

/* Opens its own connection to the API server (OpenSSL with the kubeconfig's credentials), upgrades path (the
 * pods/NAME/exec?... or attach?... request with its query, already escaped) to a WebSocket speaking
 * v5.channel.k8s.io and runs the session: stdin to channel 0 when stdin_ (closed with ff 00 at its end), channels 1
 * and 2 to the config's out and err, 3 the status; with tty (and a terminal on stdin) raw mode and one resize
 * message. Returns the exit code: 0 (Success), the command's code on NonZeroExitCode (after kubectl's "command
 * terminated with exit code N"), or 1 with the error printed (a refused upgrade prints the server's Status). */
int kctl_ws_session(struct kctl_client *c, const char *path, bool stdin_, bool tty);

/* --- resource types (resolve.c): discovery, cached per client ------------------------------------------- */
struct kctl_resource {
    char group[64];    /* "" for core */
    char version[32];  /* "v1" */
    char resource[64]; /* plural: "deployments" */
    char kind[64];     /* "Deployment" */
    char singular[64]; /* "deployment" */
    bool namespaced;
    bool assumed; /* from kctl's table of upstream's built-in types (kctl_resolve_fast), not confirmed by the server */
};

/* Resolves what a user types: "po", "pod", "pods", "deploy", "deployments.apps", "deployments.v1.apps",
 * "Deployment". Returns 0, or prints `error: the server doesn't have a resource type "x"` and returns 1. */
int kctl_resolve(struct kctl_client *c, const char *type, struct kctl_resource *out);

/* Like kctl_resolve, but a built-in type of upstream's (pods, deploy, svc, ...) resolves from kctl's own table
 * without asking the server (out->assumed is set): `kctl get pods` then costs one request. A caller that gets a 404
 * "the server could not find the requested resource" for an assumed type calls kctl_resolve_confirm. */
int kctl_resolve_fast(struct kctl_client *c, const char *type, struct kctl_resource *out);

/* Checks an assumed type against the server's discovery: 0 (r updated, assumed cleared) or 1 with kubectl's
 * `error: the server doesn't have a resource type "x"` printed. */
int kctl_resolve_confirm(struct kctl_client *c, const char *type, struct kctl_resource *r);

/* Resolves an object's apiVersion + kind (from a manifest). Returns 0, or prints `error: resource mapping not
 * found for name: ... no matches for kind "X" in version "g/v"` style error (name may be NULL) and returns 1. */
int kctl_resolve_kind(struct kctl_client *c, const char *api_version, const char *kind, const char *name,
                      struct kctl_resource *out);

/* Builds the path /api/v1[/namespaces/NS]/RESOURCE[/NAME[/SUB]] (ns ignored for cluster-scoped kinds; NULL name
 * for the collection). Returns 0 or -ENAMETOOLONG. */
int kctl_resource_path(const struct kctl_resource *r, const char *ns, const char *name, const char *sub, char *buf,
                       size_t len);

/* One entry of the server's discovery: the resolved type and its discovery entry in the legacy APIResource shape
 * (name, singularName, namespaced, kind, verbs, shortNames, categories), also when the server answered with
 * aggregated discovery. */
struct kctl_api_resource {
    struct kctl_resource r;
    const json_t *entry; /* borrowed from the client's cache */
};

/* Full discovery (once per client): every resource of the preferred version of every group, core first, then the
 * groups in the server's order; subresources left out. *list stays valid until kctl_client_free. Returns 0, or
 * prints the error and returns 1. */
int kctl_discover_all(struct kctl_client *c, const struct kctl_api_resource **list, size_t *n);

/* "deployments.apps" (the kind's resource with its group, "pods" for core): kubectl's names in "kind/name". */
void kctl_resource_gr(const struct kctl_resource *r, char *buf, size_t len);

/* The cache behind kctl_resolve (resolve.c); the client owns it. */
struct kctl_discovery;
struct kctl_discovery **kctl_client_discovery(struct kctl_client *c);
void kctl_discovery_free(struct kctl_discovery *d);

/* Percent-escapes s for a URL path segment or query value into buf. Returns 0 or -ENAMETOOLONG. */
int kctl_escape(const char *s, char *buf, size_t len);

/* --- manifests (manifest.c): what -f reads ----------------------------------------------------------------
 * kubectl's resource builder: a file (any name), a directory (its *.json, *.yaml, *.yml files in name order; with
 * -R also those of its subdirectories, depth first), or "-" for standard input (source "STDIN"). A file is a
 * stream of YAML documents or of JSON values (common/kc_yaml.h reads both); empty documents are skipped; a List
 * kind (a kind ending in "List" with an items array) gives its items. Every object is checked as kubectl's
 * client-side validation does without an OpenAPI document (a map with apiVersion and kind; string name and
 * namespace). Unlike kubectl, which streams, everything is read before anything is sent. */
struct kctl_object {
    json_t *obj;  /* the object; owned by the manifest */
    char *source; /* the file as kubectl names it ("dir/a.yaml", "STDIN"); owned by the manifest */
    int doc;      /* 0-based index of its document among the source's non-empty documents */
    int ndocs;    /* number of non-empty documents in the source */
};

/* The objects read so far, in order. Zero-initialise; release with kctl_manifest_close. */
struct kctl_manifest {
    struct kctl_object *objs;
    size_t n, cap;
};

/* Adds the objects of path ("-": read in to its end; recursive: -R). On failure nothing of path is added and err
 * holds kubectl's message without "error: " (`the path "x.yaml" does not exist`, `error parsing x.yaml: error
 * converting YAML to JSON: yaml: line 3, column 5: mapping values are not allowed in this context` (line and
 * column in the whole file, where kubectl counts lines from the document's start and gives no column),
 * `error validating "x.yaml": error validating data: kind not set; ...`, `unable to decode "x.yaml": json: cannot
 * unmarshal bool into Go struct field ObjectMeta.metadata.name of type string`).
 * Returns 0; -ENOENT (no such path); KC_EPARSE (syntax); KC_EINVALID (not an object, no apiVersion/kind, bad
 * metadata types, "-" without in); KC_ENOTIMPL (an http(s) URL); -ELOOP (directories nested over 64 deep);
 * other -errno from open/read; -ENOMEM. */
int kctl_manifest_add(struct kctl_manifest *m, const char *path, bool recursive, FILE *in, char *err, size_t errlen);

/* Adds the objects of one buffer named source (for tests and stdin). Same errors as kctl_manifest_add. */
int kctl_manifest_add_buffer(struct kctl_manifest *m, const char *buf, size_t len, const char *source, char *err,
                             size_t errlen);

/* Frees every object and zeroes m. */
void kctl_manifest_close(struct kctl_manifest *m);

/* --- client-side apply (apply.c): pure computation ---------------------------------------------------------- */
#define KCTL_LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

struct kc_schema;

/* v encoded as Go's json.Marshal encodes the same decoded value: compact, object keys sorted byte-wise, <, >, &,
 * U+2028 and U+2029 escaped as \u003c..., invalid UTF-8 as \ufffd, \b and \f short, reals in their shortest
 * round-trip form (%f style for 1e-6 <= |x| < 1e21, else 1e+21 / 1e-7). NULL v is "null". Returns a malloc'ed
 * string the caller frees, or NULL when memory runs out. */
char *kctl_json_go(const json_t *v);

/* The last-applied-configuration text kubectl writes for obj (GetModifiedConfiguration): obj without that
 * annotation, with metadata.annotations present ({} when it has no other), encoded by kctl_json_go, plus "\n".
 * The caller sets metadata.namespace first when kubectl would (namespaced kinds). *out is malloc'ed (caller
 * frees). Returns 0, KC_EINVALID when obj is not an object or out is NULL, -ENOMEM. */
int kctl_apply_config(const json_t *obj, char **out);

/* A new copy of obj carrying the annotation kctl_apply_config computes (what apply creates, and the "modified"
 * side of its patch). *out is a new reference. Returns 0, KC_EINVALID, -ENOMEM. */
int kctl_apply_annotated(const json_t *obj, json_t **out);

/* The patch `kubectl apply` sends to turn live into obj: the three-way patch between the live object's
 * last-applied annotation (none: {}), obj with its new annotation, and live; strategic (kc_patch.h's
 * CreateThreeWayMergePatch, with overwrite) when schema is the kind's schema, a JSON merge patch (same
 * computation without merge keys) when schema is NULL (kinds the schema does not know, as CRDs). *patch is the
 * body as kubectl marshals it (kctl_json_go, malloc'ed) or NULL when nothing changes ("unchanged"); *ctype (may
 * be NULL) the Content-Type to send. err gets the reason on failure.
 * Returns 0; KC_EINVALID when obj or live is not an object or patch is NULL; KC_EPARSE when the live annotation is
 * not JSON; the errors of kc_patch_strategic_create (KC_EINVALID, KC_EBADREQUEST); -ENOMEM. */
int kctl_apply_patch(const json_t *obj, const json_t *live, const struct kc_schema *schema, char **patch,
                     const char **ctype, char *err, size_t errlen);

/* --- what the writing commands share (write.c) -------------------------------------------------------------- */
enum kctl_dry_run {
    KCTL_DRY_NONE,
    KCTL_DRY_CLIENT, /* nothing is sent that changes anything */
    KCTL_DRY_SERVER, /* writes carry dryRun=All */
};

/* Reads --dry-run (none|client|server; empty and "false" are none). Returns 0, or prints kubectl's `error: Invalid
 * dry-run value (x). Must be "none", "server", or "client".` and returns 1. */
int kctl_dry_run_mode(struct kctl_config *cfg, enum kctl_dry_run *out);
/* "", " (dry run)" or " (server dry run)", appended to the operation as kubectl does ("created (dry run)"). */
const char *kctl_dry_run_suffix(enum kctl_dry_run d);

/* kubectl's name of an object: lower-case kind, ".group" unless core, "/name": "deployment.apps/web". */
void kctl_kind_name(const char *kind, const char *group, const char *name, char *buf, size_t len);

/* The query of a write: ?fieldManager=M (--field-manager, else default_manager; none when both are NULL),
 * &dryRun=All for a server dry run, &fieldValidation=Strict|Warn|Ignore (from --validate) when validate. */
void kctl_write_query(struct kctl_config *cfg, enum kctl_dry_run dry, const char *default_manager, bool validate,
                      char *buf, size_t len);

/* `"x.yaml"`, or `"x.yaml" (document 2 of 3)` when the file has several documents. */
void kctl_source_label(const struct kctl_object *src, char *buf, size_t len);

/* A failed write of an object from a file, as kubectl words it: `Error from server (Invalid): error when creating
 * "x.yaml": Deployment.apps "web" is invalid: spec.replicas: ...` (verb "creating", "patching", "replacing",
 * "deleting"); answers without a Status (and 401) as kctl_print_error. */
void kctl_print_source_error(struct kctl_config *cfg, const struct kctl_response *resp, const char *verb,
                             const struct kctl_object *src);

/* Resolves a manifest object's apiVersion/kind; on failure prints kubectl's `error: resource mapping not found for
 * name: "x" namespace: "" from "x.yaml": no matches for kind "Frob" in version "v1"` (and its CRD hint). Returns 0
 * or 1. */
int kctl_resolve_object(struct kctl_client *c, const struct kctl_object *o, struct kctl_resource *r);

/* One object a command acts on. */
struct kctl_target {
    struct kctl_resource r;
    char ns[256];                  /* "" for cluster-scoped kinds */
    char name[256];                /* "" when a manifest object has none */
    json_t *obj;                   /* the manifest object (namespace set), the listed object, or NULL (TYPE NAME) */
    const struct kctl_object *src; /* -f: the object's file and document; else NULL */
};

/* The targets of a command, in order; zero-initialise, release with kctl_targets_close. */
struct kctl_targets {
    struct kctl_target *v;
    size_t n, cap;
    struct kctl_manifest m; /* the -f objects the targets point into */
};

#define KCTL_TARGETS_SKIP_FIRST     1u /* args[0] is not a resource (label's first key=val comes after) */
#define KCTL_TARGETS_ALLOW_NONE     2u /* no arguments at all is fine (0 targets) */
#define KCTL_TARGETS_ALLOW_LIST_ALL 4u /* TYPE alone lists every object (as --all) */

/* Collects the targets from cfg as kubectl's builder does: -f FILE... (with -R; names from the objects, namespace
 * defaulted and checked against -n), TYPE[,TYPE] NAME..., TYPE/NAME..., TYPE -l SEL / --field-selector / --all
 * (listed from the server, in the namespace or with -A everywhere). Arguments after "--" are not looked at.
 * Errors are printed in kubectl's words ("You must provide one or more resources...", "resource(s) were
 * provided, but no name was specified", "name cannot be provided when a selector is specified", resolution
 * errors). With -f every object is tried; the ones that fail are left out and 1 is returned with the rest
 * collected. Returns 0 or 1. */
int kctl_targets_collect(struct kctl_client *c, struct kctl_targets *t, unsigned flags);
void kctl_targets_close(struct kctl_targets *t);
/* kubectl's name of a target ("deployment.apps/web"). */
void kctl_target_name(const struct kctl_target *t, char *buf, size_t len);
/* The target's path (sub: a subresource or NULL). Returns 0 or -ENAMETOOLONG. */
int kctl_target_path(const struct kctl_target *t, const char *sub, char *buf, size_t len);
/* GETs the target; *out is the live object. Prints the error and returns 1 on failure. */
int kctl_get_object(struct kctl_client *c, const struct kctl_target *t, json_t **out);

/* Prints the objects of items for -o json|yaml ("json" or "yaml"): one object alone, several as kubectl's v1 List. */
void kctl_write_print(struct kctl_config *cfg, const char *format, const json_t *items);

/* Monotonic milliseconds. */
long long kctl_now_ms(void);
/* A Go duration ("30s", "1m30s", "500ms", "2h"; a bare number is seconds) in milliseconds; may be negative.
 * Returns 0 or -EINVAL. */
int kctl_parse_duration(const char *s, long long *ms);

/* --- waiting (cmd_wait.c) ---------------------------------------------------------------------------------- */
#define KCTL_WAIT_DONE    1 /* the condition holds */
#define KCTL_WAIT_TIMEOUT 2 /* the deadline passed first */
#define KCTL_WAIT_FAILED  3 /* the condition can no longer hold (the check's message says why) */
#define KCTL_WAIT_ERROR   4 /* a request failed (printed) */

/* A check: obj is the current object (NULL: it does not exist). Returns 0 (not yet), KCTL_WAIT_DONE or
 * KCTL_WAIT_FAILED, and may write a progress or failure message into msg. */
typedef int (*kctl_wait_fn)(void *arg, const json_t *obj, char *msg, size_t len);

#define KCTL_WAIT_PROGRESS 1u /* show the check's messages: a live line on a terminal, else a line per change */
#define KCTL_WAIT_TTY_ONLY 2u /* with PROGRESS: only on a terminal */

/* Waits until fn is done with target t: GET, then a watch of the object from that resourceVersion (bookmarks,
 * timeoutSeconds), starting over with a GET when the watch drops or expires, until the deadline (timeout_ms < 0:
 * a week). msg (may be NULL) gets the check's last message. Returns KCTL_WAIT_DONE, _TIMEOUT, _FAILED or _ERROR. */
int kctl_wait_object(struct kctl_client *c, const struct kctl_target *t, long long timeout_ms, kctl_wait_fn fn,
                     void *arg, unsigned flags, char *msg, size_t msglen);

/* --- rollouts (cmd_rollout.c) ------------------------------------------------------------------------------- */

/* kubectl's rollout status of a Deployment, DaemonSet or StatefulSet (obj of that kind): the message it prints
 * ("Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated...", "deployment
 * \"web\" successfully rolled out"), without the newline. Returns 0 (in progress), KCTL_WAIT_DONE, or
 * KCTL_WAIT_FAILED with the error in msg ("deployment \"web\" exceeded its progress deadline", "rollout status is
 * only available for RollingUpdate strategy type"); KC_ENOTFOUND for any other kind (msg: "no status viewer has
 * been implemented for Kind"). */
int kctl_rollout_status(const char *kind, const char *group, const json_t *obj, char *msg, size_t len);

/* Readiness for apply --wait: rollouts as above, Jobs complete (failed: KCTL_WAIT_FAILED), Pods Ready (or
 * Succeeded), everything else ready as soon as it exists. Same returns as kctl_rollout_status (never KC_ENOTFOUND). */
int kctl_ready_status(const char *kind, const char *group, const json_t *obj, char *msg, size_t len);

int kctl_cmd_apply(struct kctl_config *cfg);
int kctl_cmd_delete(struct kctl_config *cfg);
int kctl_cmd_create(struct kctl_config *cfg);
int kctl_cmd_create_namespace(struct kctl_config *cfg);
int kctl_cmd_create_configmap(struct kctl_config *cfg);
int kctl_cmd_create_secret(struct kctl_config *cfg);
int kctl_cmd_create_secret_generic(struct kctl_config *cfg);
int kctl_cmd_create_deployment(struct kctl_config *cfg);
int kctl_cmd_create_job(struct kctl_config *cfg);
int kctl_cmd_replace(struct kctl_config *cfg);
int kctl_cmd_patch(struct kctl_config *cfg);
int kctl_cmd_label(struct kctl_config *cfg);
int kctl_cmd_annotate(struct kctl_config *cfg);
int kctl_cmd_scale(struct kctl_config *cfg);
int kctl_cmd_edit(struct kctl_config *cfg);
int kctl_cmd_cordon(struct kctl_config *cfg);
int kctl_cmd_uncordon(struct kctl_config *cfg);
int kctl_cmd_drain(struct kctl_config *cfg);
int kctl_cmd_wait(struct kctl_config *cfg);
int kctl_cmd_rollout_status(struct kctl_config *cfg);
int kctl_cmd_rollout_restart(struct kctl_config *cfg);
int kctl_cmd_rollout_history(struct kctl_config *cfg);
int kctl_cmd_rollout_undo(struct kctl_config *cfg);
int kctl_cmd_rollout_pause(struct kctl_config *cfg);
int kctl_cmd_rollout_resume(struct kctl_config *cfg);
int kctl_cmd_create_secret_tls(struct kctl_config *cfg);

/* The .dockerconfigjson `kubectl create secret docker-registry` stores (cmd_create.c, pure):
 * {"auths":{SERVER:{"username":U,"password":P,"email":E,"auth":base64("U:P")}}} in DockerConfigEntry's field order,
 * empty fields left out, strings escaped as Go's json.Marshal escapes them. Returns a malloc'ed string the caller
 * frees, or NULL when memory runs out. */
char *kctl_dockerconfigjson(const char *server, const char *username, const char *password, const char *email);
int kctl_cmd_create_secret_docker_registry(struct kctl_config *cfg);
int kctl_cmd_create_service(struct kctl_config *cfg);
int kctl_cmd_create_service_clusterip(struct kctl_config *cfg);
int kctl_cmd_create_service_nodeport(struct kctl_config *cfg);
int kctl_cmd_create_service_loadbalancer(struct kctl_config *cfg);
int kctl_cmd_create_serviceaccount(struct kctl_config *cfg);
int kctl_cmd_create_cronjob(struct kctl_config *cfg);
int kctl_cmd_create_ingress(struct kctl_config *cfg);

/* Runs kctl; main() is a thin wrapper. */
int kctl_main(int argc, char **argv, FILE *out, FILE *err);

#endif
