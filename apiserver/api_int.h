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

struct api_token {
    char *token, *user, *uid;
    char **groups;
    int ngroups;
};

/* The authenticated caller. */
struct api_user {
    char name[256];
    char groups[16][256];
    int ngroups;
};

struct api_wcaches;

struct api_server {
    struct api_config cfg;
    struct api_store *store;
    struct api_wcaches *wcaches; /* the watch caches (api_watchcache.h), one per resource watched */
    kc_httpd *httpd;
    struct api_token *tokens;
    int ntokens;
    kc_metrics *metrics;
    kc_metric *m_requests, *m_latency, *m_inflight, *m_watchers;
    char version_json[512];     /* the /version document */
    uint32_t svc_net, svc_mask; /* service cluster IP range */
    pthread_mutex_t ip_lock;    /* serialises ClusterIP and NodePort allocation, and the event lease */
    int64_t event_lease;        /* the store lease new events are attached to (--event-ttl) */
    int64_t event_lease_at;     /* when it was granted (monotonic seconds) */
};

/* A request after routing. Strings point into the request's memory (valid until the reply). */
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
    const char *content_type;  /* NUL-terminated copy, may be NULL */
    const char *accept;        /* NUL-terminated copy, may be NULL */
    bool want_table;           /* Accept asks for as=Table */
    const char *table_version; /* "v1" or "v1beta1" */
    /* query parameters (NULL when absent) */
    const char *label_selector, *field_selector, *resource_version, *resource_version_match, *limit, *continue_;
    const char *timeout_seconds, *watch, *allow_bookmarks, *send_initial_events, *dry_run, *field_manager,
        *field_validation, *propagation_policy, *grace_period, *pretty;
    int64_t started_ns;
};

/* What a handler answers: a status code and a JSON body (owned), plus warnings. raw (malloc'ed, owned, raw_len
 * bytes of JSON text), when set, is sent instead of body as application/json (the list fast path). */
struct api_reply {
    int status;
    json_t *body;
    char *raw;
    size_t raw_len;
    char *warnings[16];
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

/* --- rest.c: the verbs on resources --- */

/* Runs one resource request (on a worker thread: it may block on the store) and fills rep. Watches are not
 * handled here. */
void api_rest_handle(struct api_request *rq, struct api_reply *rep);

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
