/* kc_kubeconfig.h - kubeconfig files read the way kubectl (client-go's clientcmd) reads them.
 *
 * Loading merges the --kubeconfig file, or the $KUBECONFIG list, or ~/.kube/config; resolving picks a context,
 * applies command-line overrides and yields what an HTTPS client needs (server, CA/cert/key PEM, token, ...);
 * viewing gives the merged config back as JSON, with secrets redacted as `kubectl config view` redacts them.
 */
#ifndef KC_KUBECONFIG_H
#define KC_KUBECONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* A merged kubeconfig; opaque, immutable once loaded (so safe to share between threads for reading). */
struct kc_kubeconfig;

/* Loads the configuration kubectl would load:
 *   - explicit_path (the --kubeconfig flag) when not NULL: only that file, which must exist;
 *   - else every file of $KUBECONFIG (colon-separated; empty entries and repeats skipped, missing files
 *     ignored);
 *   - else $HOME/.kube/config when it exists, else an empty configuration.
 * Merging follows clientcmd: a cluster, user or context name is taken whole from the first file that defines
 * it, and current-context from the first file that sets one. Relative paths in a file (certificate-authority,
 * client-certificate, client-key, tokenFile) are kept as written and resolved later against the directory of
 * the file that named them. *out is owned by the caller (kc_kubeconfig_free).
 *
 * Errors, with a message in errbuf (when given), e.g. `error loading config file "/x/config": yaml: line 7,
 * column 4: did not find expected key`:
 *   -ENOENT: explicit_path does not exist ("stat /x: No such file or directory");
 *   -errno: an existing file cannot be read;
 *   KC_EPARSE: a file is not valid YAML/JSON;
 *   KC_EINVALID: a file is not a Config object, a field has the wrong type ("clusters[0].cluster.server must
 *     be a string"), a name appears twice in one file, or a *-data field is not valid base64 (naming the field:
 *     `invalid certificate-authority-data for cluster "c1": illegal base64 data at input byte 3`);
 *   -ENOMEM. */
int kc_kubeconfig_load(const char *explicit_path, struct kc_kubeconfig **out, char *errbuf, size_t errlen);

/* Merges the given files in order, as kc_kubeconfig_load merges $KUBECONFIG. When must_exist, a missing file
 * is -ENOENT; otherwise it is skipped. Same errors and ownership as kc_kubeconfig_load. */
int kc_kubeconfig_load_files(const char *const *paths, size_t npaths, bool must_exist, struct kc_kubeconfig **out,
                             char *errbuf, size_t errlen);

/* Frees a configuration (NULL is fine). */
void kc_kubeconfig_free(struct kc_kubeconfig *kc);

/* The merged current-context, or NULL when no file sets one. Borrowed from kc. */
const char *kc_kubeconfig_current_context(const struct kc_kubeconfig *kc);

/* Command-line overrides, as kubectl's --context, --cluster, ... flags. NULL/false fields do not override. */
struct kc_kubeconfig_overrides {
    const char *context;               /* --context: use this context instead of current-context */
    const char *cluster;               /* --cluster: use this cluster instead of the context's */
    const char *user;                  /* --user: use this user instead of the context's */
    const char *namespace;             /* --namespace / -n */
    const char *server;                /* --server / -s */
    const char *tls_server_name;       /* --tls-server-name */
    const char *certificate_authority; /* --certificate-authority (a file; replaces any CA data) */
    const char *client_certificate;    /* --client-certificate (a file; replaces client-certificate-data) */
    const char *client_key;            /* --client-key (a file; replaces client-key-data) */
    const char *token;                 /* --token (wins over the user's token and tokenFile) */
    const char *username;              /* --username */
    const char *password;              /* --password */
    bool insecure_skip_tls_verify;     /* --insecure-skip-tls-verify: also drops the CA unless one is given above */
};

/* Everything the HTTP client needs to reach the API server of one context. Strings are malloc'ed and owned by
 * the struct; release with kc_kubeconfig_client_close. PEM buffers are NUL-terminated (not counted in *_len). */
struct kc_kubeconfig_client {
    char *context;         /* the context used ("" when none: only overrides were given) */
    char *cluster;         /* the cluster name ("" when none) */
    char *user;            /* the user name ("" when none) */
    char *server;          /* the API server URL, never NULL */
    char *tls_server_name; /* SNI / verification name, or NULL */
    bool insecure;         /* skip server certificate verification */
    char *ca_pem;          /* CA bundle, or NULL for the system roots */
    size_t ca_pem_len;
    char *cert_pem; /* client certificate, or NULL */
    size_t cert_pem_len;
    char *key_pem; /* client key, or NULL */
    size_t key_pem_len;
    char *token;     /* bearer token (from token or tokenFile, trimmed), or NULL */
    char *username;  /* basic auth, or NULL */
    char *password;  /* basic auth, or NULL */
    char *namespace; /* the namespace to use: override, the context's, or "default"; never NULL */
};

/* Resolves the context to use (ov->context, else current-context) with the overrides ov (may be NULL) into
 * *out, reading the CA, client certificate, key and token files it names. On failure *out is zeroed.
 * Errors, with a message in errbuf:
 *   KC_ENOTFOUND: `context "x" does not exist` (named by --context), `context was not found for specified
 *     context: x` (named by current-context), `cluster "x" does not exist`, `auth info "x" does not exist`
 *     (named by overrides);
 *   KC_EINVALID: `no server found for cluster "x"`, nothing configured at all, the CA given both as file and
 *     data, a CA together with insecure-skip-tls-verify, a client certificate without a key, both a token and
 *     basic auth (kubectl's wording for each);
 *   KC_ENOTIMPL: the user authenticates only through an exec or auth-provider plugin;
 *   -errno: a named file cannot be read (`unable to read client-cert /p/c.crt for u1 due to open /p/c.crt:
 *     No such file or directory`), or a token file is empty (-EINVAL);
 *   -ENOMEM. */
int kc_kubeconfig_resolve(const struct kc_kubeconfig *kc, const struct kc_kubeconfig_overrides *ov,
                          struct kc_kubeconfig_client *out, char *errbuf, size_t errlen);

/* Frees what kc_kubeconfig_resolve filled in (secrets are wiped first) and zeroes the struct. */
void kc_kubeconfig_client_close(struct kc_kubeconfig_client *c);

/* Flags of kc_kubeconfig_view. */
enum kc_kubeconfig_view_flags {
    KC_KUBECONFIG_VIEW_RAW = 1u << 0,    /* --raw: keep secrets (the *-data fields are re-encoded as kubectl does) */
    KC_KUBECONFIG_VIEW_MINIFY = 1u << 1, /* --minify: only the context in use, its cluster and its user */
};

/* The merged configuration as `kubectl config view -o json` prints it: kind, apiVersion, preferences,
 * clusters, users, contexts (each sorted by name, null when empty), current-context. Paths are shown as
 * written. Unless KC_KUBECONFIG_VIEW_RAW, certificate-authority-data, client-certificate-data and
 * client-key-data become "DATA+OMITTED" and token and password "REDACTED". With KC_KUBECONFIG_VIEW_MINIFY,
 * context (or current-context when NULL) selects what to keep. *out is a new reference the caller owns.
 * Returns 0, KC_EINVALID when minifying without a context ("current-context must exist in order to minify"),
 * KC_ENOTFOUND when that context does not exist, -ENOMEM. */
int kc_kubeconfig_view(const struct kc_kubeconfig *kc, unsigned flags, const char *context, json_t **out, char *errbuf,
                       size_t errlen);

#endif
