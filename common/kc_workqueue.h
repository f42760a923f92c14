/* kc_workqueue.h - the work queue every k8c controller feeds from its informer handlers and drains with workers.
 *
 * client-go's rate-limiting work queue in C: string keys, deduplicated while queued, a key being processed is
 * never handed to a second worker, delayed adds, and requeues rate-limited per key (exponential backoff) and
 * overall (a token bucket), as workqueue.DefaultControllerRateLimiter(). Thread-safe; needs no thread of its own.
 */
#ifndef KC_WORKQUEUE_H
#define KC_WORKQUEUE_H

#include <stdbool.h>
#include <stddef.h>

#define KC_WORKQUEUE_BASE_DELAY_MS 5L       /* first per-key backoff: 5 ms, doubling at each requeue */
#define KC_WORKQUEUE_MAX_DELAY_MS  1000000L /* per-key backoff cap: 1000 s */
#define KC_WORKQUEUE_QPS           10.0     /* overall requeue rate of the token bucket */
#define KC_WORKQUEUE_BURST         100L     /* and its size */

/* Tuning; NULL or zeroed fields mean client-go's defaults (the constants above). */
struct kc_workqueue_opts {
    long base_delay_ms; /* first rate-limited delay of a key; 0 = KC_WORKQUEUE_BASE_DELAY_MS */
    long max_delay_ms;  /* cap on a key's delay; 0 = KC_WORKQUEUE_MAX_DELAY_MS */
    double qps;         /* overall requeue rate; 0 = KC_WORKQUEUE_QPS, < 0 = no overall limit */
    long burst;         /* token bucket size; 0 = KC_WORKQUEUE_BURST */
};

struct kc_workqueue;

/* Makes an empty queue. Returns 0 (*out set; release with kc_workqueue_free()), KC_EINVALID (a negative delay,
 * max_delay_ms below base_delay_ms, a negative burst), -ENOMEM. */
int kc_workqueue_new(const struct kc_workqueue_opts *opts, struct kc_workqueue **out);

/* Frees the queue and every key in it. NULL is fine. No thread may be inside a call on q: shut it down and join
 * the workers first. */
void kc_workqueue_free(struct kc_workqueue *q);

/* Queues key (copied) unless it is queued already. A key being processed is marked instead and queued again when
 * its worker calls kc_workqueue_done(). Wakes one waiting worker. A pending delayed add of key stays pending.
 * Returns 0, -ESHUTDOWN (after kc_workqueue_shutdown(); the key is dropped), KC_EINVALID (NULL or empty key),
 * -ENOMEM. */
int kc_workqueue_add(struct kc_workqueue *q, const char *key);

/* Queues key once delay_ms have passed (delay_ms <= 0: now, as kc_workqueue_add()). Delayed adds of one key
 * collapse into the earliest. Errors as kc_workqueue_add(). */
int kc_workqueue_add_after(struct kc_workqueue *q, const char *key, long delay_ms);

/* Requeues key after its rate-limited delay: the larger of base_delay_ms * 2^n (n = the key's requeues since its
 * last kc_workqueue_forget(), capped at max_delay_ms) and the overall token bucket's wait; then counts one more
 * requeue of key. When delay_ms is not NULL, *delay_ms is the delay chosen (also when shut down). Errors as
 * kc_workqueue_add(). */
int kc_workqueue_add_rate_limited(struct kc_workqueue *q, const char *key, long *delay_ms);

/* Ends the backoff of key: its next rate-limited requeue waits base_delay_ms again. Call it when key was
 * processed successfully. Unknown keys are fine. */
void kc_workqueue_forget(struct kc_workqueue *q, const char *key);

/* How many rate-limited requeues key had since its last forget. */
int kc_workqueue_num_requeues(struct kc_workqueue *q, const char *key);

/* Takes the oldest queued key and marks it as being processed, waiting for one up to timeout_ms (< 0: without
 * limit, 0: not at all). Delayed keys whose time came are queued first. On success *key is a malloc'ed copy the
 * caller frees after passing it to kc_workqueue_done(). After shutdown the keys still queued are handed out, then
 * -ESHUTDOWN. Returns 0, KC_ETIMEOUT (nothing came in time), -ESHUTDOWN, -ENOMEM. */
int kc_workqueue_get(struct kc_workqueue *q, long timeout_ms, char **key);

/* Ends the processing of key (which kc_workqueue_get() returned): when it was added meanwhile it is queued again.
 * Keys that are not being processed are ignored. */
void kc_workqueue_done(struct kc_workqueue *q, const char *key);

/* Shuts the queue down: later adds are dropped, pending delayed adds are discarded, and every worker waiting in
 * kc_workqueue_get() wakes up (getting the keys still queued, then -ESHUTDOWN). Idempotent. */
void kc_workqueue_shutdown(struct kc_workqueue *q);

/* True once kc_workqueue_shutdown() was called. */
bool kc_workqueue_shutting_down(struct kc_workqueue *q);

/* Keys queued now (not those being processed or still delayed; delayed keys whose time came count). */
size_t kc_workqueue_len(struct kc_workqueue *q);

#endif
