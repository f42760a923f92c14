/* ctrl.h - k8c's controllers: each watches the API server through kc_informer, queues keys on kc_workqueue and
 * reconciles them level-triggered with its own workers, writing back only through the API server.
 *
 * So far: the namespace lifecycle controller (namespace.c).
 */
#ifndef CTRL_H
#define CTRL_H

#include "kc_http.h"

/* --- the namespace lifecycle controller --- */

#define CTRL_NAMESPACE_WORKERS      2L      /* upstream's --concurrent-namespace-syncs is 10 */
#define CTRL_NAMESPACE_RESYNC_MS    300000L /* upstream's --namespace-sync-period: 5 min */
#define CTRL_NAMESPACE_MAX_DELAY_MS 60000L  /* upstream's nsControllerRateLimiter: 5 ms doubling to 60 s */
#define CTRL_NAMESPACE_FINALIZER    "kubernetes"

/* Tuning; NULL or zeroed fields mean the defaults above. */
struct ctrl_namespace_opts {
    int workers;          /* namespaces synced at once; 0 = CTRL_NAMESPACE_WORKERS */
    long resync_ms;       /* every terminating namespace is looked at again this often; 0 = the default */
    long base_delay_ms;   /* first retry delay of a namespace whose content is not gone yet; 0 = 5 ms */
    long max_delay_ms;    /* cap of that delay (doubling per retry); 0 = CTRL_NAMESPACE_MAX_DELAY_MS */
    long delete_delay_ms; /* wait before the first sync of a namespace seen terminating; 0 = none (upstream waits
                             5 s so that HA API servers and etcd members catch up; k8c has one writer) */
};

struct ctrl_namespace;

/* Starts the namespace controller against the API server api describes: an informer on /api/v1/namespaces and
 * opts->workers worker threads, each with its own HTTP client.
 *
 * For every namespace with metadata.deletionTimestamp (DELETE made it Terminating) and a non-empty
 * spec.finalizers (normally ["kubernetes"]; as upstream, content goes also when only others' finalizers are
 * left), a worker, starting from a fresh GET of the namespace: discovers every namespaced resource that supports delete
 * (GET /api/v1, GET /apis, and GET /apis/<group>/<preferred version>); deletes each one's objects in the namespace with
 * one DELETE of the collection and {"propagationPolicy":"Background"} when the resource lists "deletecollection"
 * (falling back to list + DELETE of each object when the server answers 404/405), else list + DELETE of each; lists
 * again to see what remains; writes upstream's five status conditions (NamespaceDeletionDiscoveryFailure,
 * NamespaceDeletionGroupVersionParsingFailure, NamespaceDeletionContentFailure, NamespaceContentRemaining,
 * NamespaceFinalizersRemaining, same reasons and messages; phase Terminating) with PUT .../status when they
 * changed. Objects that remain with finalizers or a deletionTimestamp (graceful deletion) are expected to go;
 * others that a successful delete left behind are a content failure ("unexpected items still remain"). While
 * anything remains, discovery of a group failed, or a delete failed, the namespace is retried through the
 * rate-limited queue (5 ms doubling to max_delay_ms), and is not finalized. When all is gone, "kubernetes" is removed
 * from spec.finalizers with PUT /api/v1/namespaces/<ns>/finalize (or, when the server does not serve /finalize:
 * 404/405/501, with PUT /api/v1/namespaces/<ns>), and when no finalizer is left the namespace is DELETEd again, which
 * removes it. A terminating namespace whose spec.finalizers is already empty is just DELETEd again. One log line
 * per action (component "namespace-controller").
 *
 * On success *out is the controller; stop it with ctrl_namespace_stop(). Returns 0, KC_EINVALID (no api or
 * server, a bad option, or what kc_http_new() refuses), -ENOMEM, or -errno from pthread_create. */
int ctrl_namespace_start(const struct kc_http_config *api, const struct ctrl_namespace_opts *opts,
                         struct ctrl_namespace **out);

/* Stops the controller: the informer, the queue, the workers (a request in progress is cancelled), then frees it.
 * Returns when every thread has ended. NULL is fine. */
void ctrl_namespace_stop(struct ctrl_namespace *c);

#endif
