/* api_int.h - the API server's private structures: the server, a parsed request, the reply a worker builds and
 * the loop sends, and the functions the request-handling files share. */
#ifndef API_INT_H
#define API_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "api.h"
#include "api_res.h"
#include "api_store.h"
#include "kc_httpd.h"
#include "kc_metrics.h"
#include "kc_sb.h"

struct api_token {
    char *token, *user, *uid;
    char **groups;
    int ngroups;
};

/* The authenticated caller. */
struct api_user {
    char name[256];
    char uid[256]; /* the token file's uid for a bearer token; "" for a client certificate (which carries none) */
    char groups[16][256];
    int ngroups;
    /* extra (user.Info's Extra, one value per key here), in key order: a service account token's
       authentication.kubernetes.io/credential-id, node-name, node-uid, pod-name, pod-uid (satoken.c) */
    char extra_keys[5][48];
    char extra_values[5][256];
    int nextra;
};

struct api_wcaches;

struct api_server {
    struct api_config cfg;
    struct api_store *store;
    struct api_wcaches *wcaches; /* the watch caches (api_watchcache.h), one per resource watched */
    kc_httpd *httpd;
    struct api_token *tokens;
    int ntokens;
    struct api_satoken *satoken; /* service account tokens (api_satoken.h): TokenRequest and their authentication */
    kc_metrics *metrics;
    kc_metric *m_requests, *m_latency, *m_inflight, *m_watchers, *m_dropped;
    long inflight_readonly, inflight_mutating; /* requests counted against the --max-*-inflight limits (atomic) */
    char version_json[512];                    /* the /version document */
    uint32_t svc_net, svc_mask;                /* service cluster IP range */
    pthread_mutex_t ip_lock;                   /* serialises ClusterIP and NodePort allocation, and the event lease */
    int64_t event_lease;                       /* the store lease new events are attached to (--event-ttl) */
    int64_t event_lease_at;                    /* when it was granted (monotonic seconds) */
};

/* A request after routing. Strings point into the request's memory (valid until the reply, or until the client
 * leaves), or, when a worker handles it, into copies its job owns (server.c job_own). */
/* includeObject of a Table request (meta.k8s.io TableOptions). */
enum { API_INCLUDE_METADATA = 0, API_INCLUDE_NONE = 1, API_INCLUDE_OBJECT = 2 };

struct api_request {
    struct api_server *srv;
    const struct api_resource *res; /* NULL for non-resource paths */
    char group[64], version[16], plural[64];
    char namespace[256]; /* "" when none in the path */
    char name[256];      /* "" for collections */
    char sub[32];        /* subresource, "" when none */
    char verb[24];       /* get list watch create update patch delete deletecollection */
    struct api_user user;
    const char *body;
    size_t body_len;
    bool body_unique_keys;     /* api_parse_body decoded the JSON body, and it repeats no key in any object */
    const char *content_type;  /* NUL-terminated copy, may be NULL */
    const char *accept;        /* NUL-terminated copy, may be NULL */
    bool want_table;           /* Accept asks for as=Table */
    int include_object;        /* a Table row's object (includeObject): API_INCLUDE_METADATA (default), _NONE,
                                  _OBJECT, or -1 for an unrecognized value (400) */
    const char *table_version; /* "v1" or "v1beta1" */
    /* query parameters (NULL when absent) */
    const char *label_selector, *field_selector, *resource_version, *resource_version_match, *limit, *continue_;
    const char *timeout_seconds, *watch, *allow_bookmarks, *send_initial_events, *dry_run, *field_manager,
        *field_validation, *propagation_policy, *grace_period, *pretty;
    const char *force;      /* the force query parameter of a patch (server-side apply), NULL when absent */
    const char *user_agent; /* the User-Agent header (a copy, e.g. in user_agent_buf), NULL when absent: the
                               default field manager is its text before the first '/' */
    char user_agent_buf[256];
    int64_t started_ns;
    /* A create run on the loop thread (server.c, api_rest_on_loop): with async_done set, the store write is
     * started instead of waited for; rq->pending is then set, async_done(async_arg) runs on the store's thread
     * once it committed, and api_rest_finish (on the loop again) builds the reply. */
    void (*async_done)(void *arg);
    void *async_arg;
    struct api_obj_pending *pending;
    json_t *pending_obj;
    /* A create whose store write takes metadata.managedFields as text (store_create's async path, decided in
     * do_create): prepare_create writes them here (api_managed_update) instead of into the object. */
    bool managed_as_text;
    struct kc_sb managed_text;
    int name_attempts;        /* a create's attempts with a name generated from metadata.generateName (0: named) */
    struct kc_jarena *jarena; /* a create on the loop: the arena its jansson values come from (server.c
                                 run_on_loop), freed with the job */
    bool create_rv_set;       /* a create's body set a resourceVersion upstream's storage refuses (rest.c) */
};

/* What a handler answers: a status code and a JSON body (owned), plus warnings. raw (malloc'ed, owned, raw_len
 * bytes of JSON text), when set, is sent instead of body as application/json (the list fast path). */
struct api_reply {
    int status;
    json_t *body;
    char *raw;
    size_t raw_len;
    char *warnings[100]; /* as many as the strict decoding errors upstream reports (KC_STRICT_MAX_ERRORS) */
    int nwarnings;
};

/* --- status.c: Kubernetes Status objects --- */

/* A Failure Status: {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":...,
 * "reason":...,"details":{name, group, kind},"code":...}. group/kind/name may be NULL. */
json_t *api_status(int code, const char *reason, const char *message, const char *name, const char *group,
                   const char *kind);

/* Sets reply to the Status for a k8c error code (kc_error_http's code and reason), with upstream's message for
 * the common cases: NotFound `pods "x" not found`, AlreadyExists `pods "x" already exists`, Conflict `Operation
 * cannot be fulfilled on pods "x": the object has been modified; please apply your changes to the latest version
 * and try again`, Gone/Expired, Unavailable. */
void api_reply_error(struct api_reply *rep, const struct api_request *rq, int err);

/* A 422 Invalid Status from field errors: message `<Kind>[.<group>] "<name>" is invalid: <field>: <message>`
 * (several: `[a, b]`), details.causes as collected. Takes the errors (frees them). */
void api_reply_invalid(struct api_reply *rep, const struct api_request *rq, const char *name, struct api_errors *errs);

/* A Status with a message built by printf. */
void api_reply_statusf(struct api_reply *rep, int code, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Parses the request body into a new JSON object *obj by its media type: JSON (also without a Content-Type),
 * application/yaml, or application/vnd.kubernetes.protobuf (kc_k8sproto.h). Replies 400 (empty, malformed, not
 * an object) or 415 (another media type, a protobuf kind without a message) and returns -1 on error. */
int api_parse_body(struct api_request *rq, struct api_reply *rep, json_t **obj);

/* Adds a `Warning: 299 - "text"` header to the reply. */
void api_reply_warn(struct api_reply *rep, const char *text);

/* --- apply.c: server-side apply, managedFields, field validation (common/kc_managed.h, kc_strict.h) --- */

/* A write's fieldValidation directive. */
enum api_field_validation {
    API_FV_IGNORE,
    API_FV_WARN, /* the default when the parameter is absent or empty */
    API_FV_STRICT,
};

/* How a patch body is read, for field validation. */
enum api_patch_kind {
    API_PATCH_MERGE,
    API_PATCH_JSON,
    API_PATCH_STRATEGIC,
};

/* rq's fieldValidation directive; meaningful once api_check_options accepted it. */
enum api_field_validation api_field_validation(const struct api_request *rq);

/* The field manager of a write: the fieldManager parameter, else the User-Agent up to its first '/' (printable
 * characters, at most 128 bytes), as upstream's managerOrUserAgent; "" when neither is given (recorded as
 * "unknown"). Points into rq. */
const char *api_field_manager(const struct api_request *rq, char *buf, size_t len);

/* Checks rq's options as upstream's ValidateCreateOptions / ValidateUpdateOptions / ValidatePatchOptions:
 * fieldValidation is "", Ignore, Warn or Strict; dryRun is absent or All; fieldManager has at most 128 bytes, all
 * printable; on patches
 * force only with apply, and apply needs a fieldManager. kind: "CreateOptions", "UpdateOptions" or
 * "PatchOptions". Replies 422 Invalid (`PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is
 * required for apply patch`) and returns -1 when an option is wrong; 0 otherwise. */
int api_check_options(struct api_request *rq, struct api_reply *rep, const char *kind, bool apply);

/* A 422 Invalid Status for errors of an options kind ("CreateOptions", "DeleteOptions", ...), as upstream's
 * NewInvalid(meta.k8s.io/<kind>, "", errs): message `DeleteOptions.meta.k8s.io "" is invalid: <field>: <message>`
 * (several: [a, b]), details {group "meta.k8s.io", kind, causes}. Takes errs (frees them). */
void api_reply_options_invalid(struct api_reply *rep, const char *kind, struct api_errors *errs);

/* Adds upstream's ValidateDryRun error for a dryRun value other than "All" (value: the parameter's text, NULL
 * when absent: no error): `dryRun: Unsupported value: []string{"x"}: supported values: "All"`. */
void api_check_dry_run(struct api_errors *errs, const char *value);

/* Field validation of a create or update body, obj being what api_parse_body made of rq's body: unknown and
 * duplicate fields of a JSON body in document order (YAML bodies: unknown fields in key order). Strict: 400
 * BadRequest `Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field
 * "spec.foo", ...` and -1; Warn: one `Warning: 299 - "unknown field \"spec.foo\""` each. In every mode the unknown
 * fields are removed from obj. Returns 0, or -1 after replying. */
int api_strict_body(struct api_request *rq, struct api_reply *rep, json_t *obj);

/* The strict errors of a patch body itself (duplicates of a merge or strategic patch; unknown and duplicate
 * members of JSON patch operations, "json patch ..."), for api_strict_patch_result; NULL when the directive is
 * Ignore or there is nothing (or no memory). */
json_t *api_strict_patch_scan(const struct api_request *rq, enum api_patch_kind kind);

/* Field validation of a patch's result doc: errs (from api_strict_patch_scan, taken) plus doc's unknown fields in
 * key order. Strict: 422 Invalid `"" is invalid: patch: Invalid value: "<the patched object, or the strategic
 * patch as Go prints it>": strict decoding error: ...` and -1; Warn: one warning each. doc's unknown fields are
 * removed in every mode (strategic patches leave stray directives such as "$setElementOrder/..." in new values:
 * they go too). patch: the parsed patch body. Returns 0, or -1 after replying. */
int api_strict_patch_result(struct api_request *rq, struct api_reply *rep, json_t *errs, json_t *doc,
                            const json_t *patch, enum api_patch_kind kind);

/* The managedFields of an Update operation (create, PUT, JSON/merge/strategic PATCH, /status, /scale): what
 * tracked (obj when NULL) changes against old (NULL on create: compared with the kind's empty object) goes to
 * rq's manager, into obj's metadata.managedFields, as upstream's fieldmanager UpdateNoErrors: managedFields in
 * obj are used when valid, reset by [] or [{}] (an update then stores none, as upstream stops tracking), else
 * taken from old; subresources always take old's. On any failure obj is left without managedFields. text (a
 * create only, may be NULL): the usual create's managedFields (the request brought none) are appended to it as
 * JSON text instead (kc_managed_create_encode_text; nothing when there are none) and obj gets none. */
void api_managed_update(const struct api_request *rq, const json_t *old, const json_t *tracked, json_t *obj,
                        struct kc_sb *text);

/* Server-side apply of rq's body (application/apply-patch+yaml, YAML or JSON) to old (the stored object, NULL when
 * there is none: the apply creates it), on the main resource or /status. On success *out is the object to store
 * (a new reference) with its managedFields, after the same checks as upstream: 400 for a body that does not
 * decode, a wrong apiVersion/kind ("invalid object type: apps/v1, Kind=Pod"), managedFields in the body, a name
 * that is not the URL's, duplicate fields with fieldValidation=Strict; 500 for fields or values the schema does
 * not allow ("failed to create typed patch object (default/x; apps/v1, Kind=Deployment): .spec.foo: field not
 * declared in schema", as upstream 1.33 answers); 409 Conflict with details.causes for conflicts unless force=true.
 * Returns 0, or -1 after replying. */
int api_apply_patch(struct api_request *rq, struct api_reply *rep, const json_t *old, bool status, json_t **out);

/* --- rest.c: the verbs on resources --- */

/* Runs one resource request (on a worker thread: it may block on the store) and fills rep. Watches are not
 * handled here. */
void api_rest_handle(struct api_request *rq, struct api_reply *rep);
/* Whether rq may run on the loop thread with rq->async_done set: a create whose only wait is the store's commit
 * (no lease to grant, no cluster IP to allocate) on a store with asynchronous writes. Everything else blocks on
 * the store and runs on a worker. */
bool api_rest_on_loop(const struct api_request *rq);
/* Completes a request left pending by api_rest_handle (rq->pending): the reply of its committed create. Also
 * when the client went away (then only to free). Returns true, without a reply, when the create's generated name
 * was taken and it is to be attempted again: the caller runs api_rest_handle anew (upstream's RetryGenerateName). */
bool api_rest_finish(struct api_request *rq, struct api_reply *rep);

/* Names from metadata.generateName, as upstream's names.SimpleNameGenerator makes them: the prefix cut to
 * API_NAME_PREFIX_MAX bytes, then API_NAME_SUFFIX_LEN characters of bcdfghjklmnpqrstvwxz2456789 from rnd. */
#define API_NAME_SUFFIX_LEN 5
#define API_NAME_PREFIX_MAX (63 - API_NAME_SUFFIX_LEN)
void api_generate_name(const char *prefix, const unsigned char rnd[API_NAME_SUFFIX_LEN], char *out, size_t len);
/* How many times a create with a generated name is attempted while the names are taken (upstream's
 * maxNameGenerationCreateAttempts). */
#define API_NAME_ATTEMPTS 8
/* Where generated names take their random bytes (RAND_bytes' contract: 1 on success); tests replace it. */
extern int (*api_name_random)(unsigned char *buf, int n);

/* A DELETE's options (meta.k8s.io/v1 DeleteOptions). The strings point into body (or into the request). */
struct api_delete_opts {
    bool grace_set; /* gracePeriodSeconds given (any value; the delete treats a negative one as 1) */
    int64_t grace;
    const char *propagation;      /* propagationPolicy, NULL when not given (validated, not acted on: no GC) */
    int orphan;                   /* orphanDependents (deprecated; body only): -1 not given, 0 false, 1 true */
    const char *pre_uid, *pre_rv; /* preconditions (body only), NULL when not given */
    bool dry_run;                 /* dryRun: ["All"] */
    json_t *body;                 /* the decoded options the strings point into (owned), or NULL */
};

/* Reads rq's DeleteOptions as upstream's DeleteResource and DeleteCollection handlers do: from the body when
 * there is one (JSON, YAML with Content-Type application/yaml, or protobuf; the query's options are then not read,
 * as upstream), else from the query (gracePeriodSeconds, propagationPolicy, dryRun); then validates them as
 * ValidateDeleteOptions. Replies and returns -1 on error: 500 for a body that does not decode (upstream's
 * decoder error is no Status: "couldn't get version/kind; json parse error: ...", "json: cannot unmarshal string
 * into Go struct field DeleteOptions.gracePeriodSeconds of type int64"), 400 for a query gracePeriodSeconds that
 * is not an integer (`strconv.ParseInt: parsing "x": invalid syntax`), 422 `DeleteOptions.meta.k8s.io "" is
 * invalid: propagationPolicy: Unsupported value: "X": supported values: "Foreground", "Background", "Orphan",
 * "nil"` (also dryRun: `Unsupported value: []string{"x"}: supported values: "All"`, and orphanDependents with
 * propagationPolicy). Returns 0 otherwise; release o with api_delete_opts_close (also after an error). */
int api_delete_opts_parse(struct api_request *rq, struct api_reply *rep, struct api_delete_opts *o);

/* The fields of an already decoded DeleteOptions object v (borrowed: o's strings point into it; NULL or JSON
 * null: no options), validated as api_delete_opts_parse does (o->body stays NULL). Same errors. */
int api_delete_opts_from_json(const json_t *v, struct api_reply *rep, struct api_delete_opts *o);

void api_delete_opts_close(struct api_delete_opts *o);

/* What a DELETE that removed obj answers, as upstream's generic registry: obj itself (a new reference) when
 * r->delete_returns_object, else {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success",
 * "details":{"name":...,"group":...,"kind":<plural>,"uid":...}} (no code; empty members left out, as Go's
 * omitempty does). NULL when out of memory. */
json_t *api_delete_result(const struct api_resource *r, const json_t *obj);

/* Checks a POST to pods/<name>/eviction (rq: the pod's request) and its decoded body ev (policy/v1 or v1beta1
 * Eviction; kind and apiVersion may be missing) as upstream's create handler and EvictionREST do, and gives the
 * options of the pod's delete in o (release with api_delete_opts_close): the Eviction's deleteOptions, with the
 * request's dryRun when they have none (propagateDryRun). Replies and returns -1: 400 `Pod in version "v1"
 * cannot be handled as a Eviction: ...` for another kind, 400 "the namespace of the provided object does not
 * match the namespace sent on the request", 400 "name in URL does not match name in Eviction object", 500
 * "Non-matching dry-run options in request and content: [All] and [x]", and api_delete_opts_from_json's 422s.
 * Pure. */
int api_eviction_check(struct api_request *rq, struct api_reply *rep, json_t *ev, struct api_delete_opts *o);

/* Replies to a patch that kc_patch_merge / kc_patch_json / kc_patch_strategic refused (rc, with its message
 * err), as upstream's patch handler answers: JSON patch: an operation that fails (KC_EINVALID) is 422 Invalid
 * with the generic "the server rejected our request due to an error in our request" and empty details
 * (NewGenericServerResponse drops the reason), a malformed patch 400 BadRequest with err, too many operations 413;
 * strategic merge patch: the malformed-patch errors upstream lists (primitive list, retainKeys, setElementOrder,
 * a non-object patch) 400 BadRequest with err, "lists of lists are not supported" 422 with the generic message,
 * every other error 500 with err and no reason (upstream passes them through unconverted); -ENOMEM 500. */
void api_patch_error(struct api_reply *rep, enum api_patch_kind kind, int rc, const char *err);

/* The storage key of an object: /registry/[<group>/]<plural>/[<namespace>/]<name>; name "" gives the prefix of
 * a collection (ending in '/'). */
void api_storage_key(const struct api_resource *r, const char *ns, const char *name, char *buf, size_t len);

/* Ensures the default namespaces exist (default, kube-system, kube-public, kube-node-lease). */
int api_bootstrap_namespaces(struct api_server *srv);

struct kc_label_selector;
struct kc_field_selector;

/* Parses rq's labelSelector and fieldSelector (unsupported fields → 400 "field label not supported: x").
 * Returns 0, or -1 after replying. Free both with kc_*_selector_free. */
int api_parse_selectors(struct api_request *rq, struct api_reply *rep, struct kc_label_selector **ls,
                        struct kc_field_selector **fs);

/* Whether obj passes both selectors (NULL selects everything). */
bool api_selectors_match(const struct kc_label_selector *ls, const struct kc_field_selector *fs, const json_t *obj);

/* --- table.c: Table responses --- */

/* Wraps objects (one object, or a list's items) as a meta.k8s.io Table for rq's kind. list_meta: the list's
 * metadata (resourceVersion, continue) or NULL for a single object. Returns a new reference. */
json_t *api_table(const struct api_request *rq, const json_t *items, bool single, const json_t *list_meta,
                  bool include_columns);

/* --- watch.c: watch streams --- */

/* Starts a watch for rq on the loop (rq->... parsed); answers errors itself. */
void api_watch_start(kc_httpd_req *req, struct api_request *rq);

/* --- discovery.c --- */

/* Answers /api, /apis, /api/v1, /apis/<group>[/<version>]; returns false when path is not a discovery path. */
bool api_discovery(struct api_server *srv, const char *path, const char *accept, struct api_reply *rep);

#endif
