/* api_satoken.h - service account tokens as kube-apiserver issues and accepts them: the TokenRequest subresource
 * (POST .../serviceaccounts/<name>/token, upstream's pkg/registry/core/serviceaccount/storage/token.go), the JWTs
 * it signs (pkg/serviceaccount/jwt.go, claims.go: ES256/384/512 or RS256, kid = base64url(sha256(DER public key)))
 * and the bearer-token authenticator that verifies them and checks that the service account (and the pod, secret
 * or node the token is bound to) still exists with the same uid (apiserver/satoken.c).
 *
 * Threading: one struct api_satoken per server, shared by every thread. api_satoken_authenticate runs on the
 * event loop and does no I/O: it verifies the signature once per token and keeps the result, with the outcome of
 * the last existence check, in a small cache; when that check is missing or older than API_SATOKEN_OK_TTL_MS
 * (API_SATOKEN_FAIL_TTL_MS for a failed one) it answers API_SATOKEN_LOOKUP and api_satoken_defer does the store
 * reads on a worker thread. Upstream caches successful token authentications for 10 s the same way
 * (--authentication-token-cache-ttl): a token keeps working that long after its service account is deleted;
 * here at most API_SATOKEN_OK_TTL_MS.
 */
#ifndef API_SATOKEN_H
#define API_SATOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kc_httpd.h"

struct api_store;
struct api_user;
struct api_request;
struct api_reply;

#define API_SA_MAX_FLAGS            8 /* values of each repeatable flag (--service-account-key-file, ...) */
#define API_SA_DEFAULT_ISSUER       "https://kubernetes.default.svc.cluster.local"
#define API_SATOKEN_MAX_LEN         16384 /* longer bearer tokens are not looked at (ours are about 1 KiB) */
#define API_SATOKEN_LEEWAY_S        60    /* go-jose's DefaultLeeway for exp, nbf and iat, as upstream */
#define API_SATOKEN_OK_TTL_MS       2000  /* how long a successful existence check is trusted */
#define API_SATOKEN_FAIL_TTL_MS     1000  /* and a failed one */
#define API_SATOKEN_MIN_EXP_S       600   /* TokenRequest's minimum expirationSeconds (10 minutes) */
#define API_SATOKEN_DEFAULT_EXP_S   3600
#define API_SATOKEN_WARN_ONLY_EXP_S 3607                /* the kubelet's projected tokens: extended when enabled */
#define API_SATOKEN_EXTENDED_EXP_S  (365LL * 24 * 3600) /* what those are extended to (one year) */

/* The flags of kube-apiserver for service account tokens. Every pointer is borrowed and must outlive the server
 * (cmd.c points into argv). A zeroed struct is upstream's defaults with no keys: nothing is signed or accepted. */
struct api_sa_config {
    const char *signing_key_file;            /* --service-account-signing-key-file: PEM private key (RSA, or EC
                                                P-256/P-384/P-521); NULL: TokenRequest is not served (404) */
    const char *key_files[API_SA_MAX_FLAGS]; /* --service-account-key-file (repeatable; each value may also be
                                               a comma-separated list): PEM public keys, private keys or
                                               certificates that verify tokens; none given: the signing key's
                                               public half (upstream requires the flag) */
    int nkey_files;
    const char *issuers[API_SA_MAX_FLAGS]; /* --service-account-issuer (repeatable): the first signs, all are
                                              accepted; none: API_SA_DEFAULT_ISSUER */
    int nissuers;
    const char *audiences[API_SA_MAX_FLAGS]; /* --api-audiences (comma-separated; repeatable): none = the issuers */
    int naudiences;
    const char *max_expiration;    /* --service-account-max-token-expiration, a Go duration ("24h"); NULL or
                                      "0": no cap; otherwise between 1h and 2^32 s */
    const char *extend_expiration; /* --service-account-extend-token-expiration: a Go bool ("true", "false",
                                      "1", "f", ...); NULL: true */
};

struct api_satoken;

/* The server's token state from cfg: loads and checks the keys and flags. store (not owned, may be NULL in tests
 * that only sign and verify) is read by TokenRequest and by the existence checks. On success *out (free with
 * api_satoken_free); it exists also when no key is configured (then nothing is issued or accepted). Returns 0,
 * KC_EINVALID with err filled (an unreadable or unsupported key, a file without keys, an empty or repeated
 * issuer, a bad --service-account-max-token-expiration or --service-account-extend-token-expiration), -ENOMEM. */
int api_satoken_new(const struct api_sa_config *cfg, struct api_store *store, struct api_satoken **out, char *err,
                    size_t errlen);

void api_satoken_free(struct api_satoken *st);

/* Replaces the clock (wall time in nanoseconds since the epoch; NULL restores the real one). For tests. */
void api_satoken_set_clock(struct api_satoken *st, int64_t (*now_ns)(void *arg), void *arg);

/* Whether TokenRequest is served (a signing key was given). NULL gives false. */
bool api_satoken_can_issue(const struct api_satoken *st);

/* The signing key's id (the JWT header's kid) and algorithm ("ES256", "RS256", ...); NULL when none. Valid until
 * api_satoken_free. */
const char *api_satoken_key_id(const struct api_satoken *st);
const char *api_satoken_alg(const struct api_satoken *st);

/* --- issuing --- */

/* What goes into a token (claims.go's Claims). Strings are borrowed; NULL or "" leaves the member out. */
struct api_sa_token_spec {
    const char *ns, *sa_name, *sa_uid;    /* the service account (required) */
    const char *pod_name, *pod_uid;       /* a pod-bound token */
    const char *secret_name, *secret_uid; /* a secret-bound token */
    const char *node_name, *node_uid;     /* a node-bound token, or the node of a pod-bound one */
    const char *const *audiences;         /* aud (an array, as upstream writes it even for one) */
    size_t naudiences;
    int64_t now;         /* iat and nbf, Unix seconds */
    int64_t exp_s;       /* exp = now + exp_s */
    int64_t warnafter_s; /* kubernetes.io.warnafter = now + this when nonzero */
    const char *jti;     /* the token's id (a v4 UUID); NULL: none */
};

/* Signs a token for spec with the signing key and the first issuer: header {"alg":...,"kid":...}, payload with
 * every object's keys sorted as go-jose writes them: {"aud":[...],"exp":N,"iat":N,"iss":"...","jti":"...",
 * "kubernetes.io":{"namespace":...,"node":{...},"pod":{...},"secret":{...},"serviceaccount":{"name":...,
 * "uid":...},"warnafter":N},"nbf":N,"sub":"system:serviceaccount:<ns>:<name>"}. *token is malloc'ed, NUL-terminated,
 * the caller frees it. Returns 0, KC_EINVALID (no signing key, no service account), KC_EINTERNAL (OpenSSL
 * failed), -ENOMEM. */
int api_satoken_sign(struct api_satoken *st, const struct api_sa_token_spec *spec, char **token);

/* --- verifying --- */

/* The claims of a verified token that authentication needs. "" for members the token does not have. */
struct api_sa_claims {
    char ns[64], sa_name[254], sa_uid[128];
    char pod_name[254], pod_uid[128];
    char secret_name[254], secret_uid[128];
    char node_name[254], node_uid[128];
    bool pod, secret, node; /* the token carries that reference */
    char jti[128];
    bool has_exp, has_nbf, has_iat;
    int64_t exp, nbf, iat;
};

/* Verifies a compact JWS as upstream's jwtTokenAuthenticator does, at time now (Unix seconds): three base64url
 * parts without padding; a payload whose iss is one of the issuers (else it is not ours); a header whose alg
 * matches one of the verification keys (the ones with its kid when it has one; ES256/384/512 for EC keys of the
 * matching curve, RS256/384/512 and PS256/384/512 for RSA; "none", HMAC and anything else never verify) and no
 * crit; a signature that verifies; claims of the right JSON types; nbf, exp and iat within
 * API_SATOKEN_LEEWAY_S; an aud that shares a member with the API audiences (a token without aud is taken as
 * theirs, as upstream does for legacy tokens); a kubernetes.io claim naming a namespace and service account (whose
 * user name fits struct api_user's 255 bytes), bound to at most one of secret and pod/node. On success *out holds
 * the claims (after a failure its content is unspecified). why (may be NULL when whylen is 0) gets the reason of a
 * failure, in upstream's words where there are any ("service account token has expired").
 * Returns 0; KC_ENOTFOUND when the token is not a JWT of an accepted issuer (another authenticator may know it);
 * KC_EUNAUTHORIZED when it is ours but invalid; -ENOMEM. Pure but for reading st. */
int api_satoken_verify(const struct api_satoken *st, const char *token, size_t len, int64_t now,
                       struct api_sa_claims *out, char *why, size_t whylen);

/* --- authenticating requests --- */

enum api_satoken_auth {
    API_SATOKEN_NONE = 0, /* not a service account token of ours: let another authenticator try */
    API_SATOKEN_OK,       /* *u is the service account's user */
    API_SATOKEN_REJECTED, /* ours, but invalid, expired, or its objects are gone: 401 */
    API_SATOKEN_LOOKUP,   /* valid, but the existence check must run first: call api_satoken_defer */
};

/* Authenticates a bearer token (len bytes, not NUL-terminated) without I/O: verifies it (once per token; later
 * calls find it in the cache and only recheck the times) and answers from the last existence check. OK fills *u:
 * name system:serviceaccount:<ns>:<name>, uid = the service account's, groups system:serviceaccounts,
 * system:serviceaccounts:<ns>, system:authenticated, and the extras upstream sets
 * (authentication.kubernetes.io/credential-id "JTI=<jti>", node-name, node-uid, pod-name, pod-uid, in that order);
 * *u is untouched otherwise. Thread-safe. NULL st gives NONE. */
enum api_satoken_auth api_satoken_authenticate(struct api_satoken *st, const char *token, size_t len,
                                               struct api_user *u);

/* The existence check of a token (blocking store reads: a worker thread): the service account exists with the
 * token's uid and is not deleted since more than the leeway, and so are the bound secret, pod, or node (a pod's
 * node is not checked, as upstream); the outcome goes into the cache. u (may be NULL) gets the user on success.
 * Returns 0, KC_EUNAUTHORIZED (the token does not verify, or an object is missing, replaced or deleted; also when
 * the store cannot be read), -ENOMEM. */
int api_satoken_lookup(struct api_satoken *st, const char *token, size_t len, struct api_user *u);

/* Runs api_satoken_lookup for a request that got API_SATOKEN_LOOKUP on a worker thread (kc_httpd_defer), then
 * calls again(req, arg) on the request's loop thread, which must answer the request (on_request itself: it
 * authenticates again, and during that call api_satoken_authenticate answers this token from the lookup's
 * outcome, whatever the cache holds by then). The token is copied. Returns 0 (the caller returns without
 * answering), -ENOMEM (nothing is scheduled: answer now). Loop thread only. */
int api_satoken_defer(struct api_satoken *st, kc_httpd_req *req, const char *token, size_t len,
                      kc_httpd_handler_fn again, void *arg);

/* --- TokenRequest --- */

/* Answers POST .../namespaces/<ns>/serviceaccounts/<name>/token (rq routed to the ServiceAccount row, sub
 * "token"; a worker thread: it reads the store) as upstream's TokenREST.Create: 201 with the
 * authentication.k8s.io/v1 TokenRequest (JSON, YAML or protobuf body; spec.audiences defaulted to the API
 * audiences, spec.expirationSeconds to 3600 and capped by --service-account-max-token-expiration with a warning)
 * plus status.token and status.expirationTimestamp. Errors: 404 when no signing key is configured (upstream
 * does not register the subresource then) or the service account or bound object does not exist; 405 for other
 * verbs; 400 for a body that does not decode, a wrong kind, a namespace that is not the URL's, a bound object of
 * another kind than Pod, Secret or Node or without a name ("Name parameter required."), a pod running as another
 * service account (a pod naming none runs as "default"); 422 (causes) for a name that is not the service
 * account's and an expirationSeconds under 600 or over 2^32; 409 when the bound object's uid is not the given
 * one; 500 when out of memory. Warnings (unknown fields, a shortened lifetime) go into rep. */
void api_satoken_request(struct api_request *rq, struct api_reply *rep);

/* Parses a Go duration ("1h30m", "90s", "1.5h", "0"; units ns, us, µs, ms, s, m, h) into whole seconds (rounded
 * toward zero) in *secs. Returns 0 or KC_EINVALID. Pure. */
int api_satoken_parse_duration(const char *s, int64_t *secs);

#endif
