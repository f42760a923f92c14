/* workqueue.c - the controllers' work queue: one record per known key in a hash table, a FIFO of queued keys
 * threaded through the records, and a min-heap of delayed keys by due time. Waiting workers sleep on one
 * condition variable with the earliest due time as their deadline, so delayed adds need no timer thread.
 */
#include "kc_workqueue.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_time.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS_PER_MS 1000000LL

/* What the queue knows about one key. It lives while the key is queued, processed, delayed or backing off. */
struct item {
    struct item *hnext; /* hash chain */
    struct item *qnext; /* FIFO of queued keys */
    char *key;
    bool dirty;      /* needs processing: queued, or to be queued again when its worker is done */
    bool processing; /* a worker has it */
    size_t heap_at;  /* index in the delay heap, or SIZE_MAX */
    int64_t due_ns;  /* when delayed: the monotonic time it is to be added */
    int failures;    /* rate-limited requeues since the last forget */
};

struct kc_workqueue {
    pthread_mutex_t mu;
    pthread_cond_t cond; /* CLOCK_MONOTONIC: a key was queued, a delay may have changed, or shutdown */
    struct item **buckets;
    size_t nbuckets; /* a power of two */
    size_t nitems;
    struct item *head, *tail; /* the FIFO */
    size_t qlen;
    struct item **heap; /* delayed keys, earliest due first */
    size_t nheap, heap_cap;
    bool shutdown;
    int64_t base_ns, max_ns; /* per-key exponential backoff */
    double qps;              /* token bucket; <= 0: none */
    double burst, tokens;
    int64_t bucket_ns; /* when tokens was last brought up to date */
};

/* --- the hash table --- */

static uint64_t
hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static struct item *
find(struct kc_workqueue *q, const char *key)
{
    for (struct item *it = q->buckets[hash_key(key) & (q->nbuckets - 1)]; it; it = it->hnext)
        if (strcmp(it->key, key) == 0)
            return it;
    return NULL;
}

/* Doubles the table when it is full; a failed allocation just leaves the chains longer. */
static void
maybe_grow(struct kc_workqueue *q)
{
    if (q->nitems < q->nbuckets)
        return;
    size_t n = q->nbuckets * 2;
    struct item **nb = kc_calloc(n, sizeof(*nb));
    if (!nb)
        return;
    for (size_t i = 0; i < q->nbuckets; i++) {
        struct item *it = q->buckets[i], *next;
        for (; it; it = next) {
            next = it->hnext;
            size_t b = hash_key(it->key) & (n - 1);
            it->hnext = nb[b];
            nb[b] = it;
        }
    }
    free(q->buckets);
    q->buckets = nb;
    q->nbuckets = n;
}

/* The record of key, made when missing. NULL on allocation failure. */
static struct item *
find_or_make(struct kc_workqueue *q, const char *key)
{
    struct item *it = find(q, key);
    if (it)
        return it;
    it = kc_calloc(1, sizeof(*it));
    if (!it)
        return NULL;
    it->key = kc_strdup(key);
    if (!it->key) {
        free(it);
        return NULL;
    }
    it->heap_at = SIZE_MAX;
    maybe_grow(q);
    size_t b = hash_key(key) & (q->nbuckets - 1);
    it->hnext = q->buckets[b];
    q->buckets[b] = it;
    q->nitems++;
    return it;
}

/* Drops the record of it when nothing refers to it any more. */
static void
maybe_release(struct kc_workqueue *q, struct item *it)
{
    if (it->dirty || it->processing || it->heap_at != SIZE_MAX || it->failures > 0)
        return;
    struct item **pp = &q->buckets[hash_key(it->key) & (q->nbuckets - 1)];
    while (*pp != it)
        pp = &(*pp)->hnext;
    *pp = it->hnext;
    q->nitems--;
    free(it->key);
    free(it);
}

/* --- the delay heap --- */

static void
heap_swap(struct kc_workqueue *q, size_t a, size_t b)
{
    struct item *t = q->heap[a];
    q->heap[a] = q->heap[b];
    q->heap[b] = t;
    q->heap[a]->heap_at = a;
    q->heap[b]->heap_at = b;
}

static void
heap_up(struct kc_workqueue *q, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (q->heap[p]->due_ns <= q->heap[i]->due_ns)
            break;
        heap_swap(q, p, i);
        i = p;
    }
}

static void
heap_down(struct kc_workqueue *q, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < q->nheap && q->heap[l]->due_ns < q->heap[m]->due_ns)
            m = l;
        if (r < q->nheap && q->heap[r]->due_ns < q->heap[m]->due_ns)
            m = r;
        if (m == i)
            return;
        heap_swap(q, i, m);
        i = m;
    }
}

static int
heap_push(struct kc_workqueue *q, struct item *it)
{
    if (q->nheap == q->heap_cap) {
        size_t cap = q->heap_cap ? q->heap_cap * 2 : 16;
        struct item **nh = kc_realloc(q->heap, cap * sizeof(*nh));
        if (!nh)
            return -ENOMEM;
        q->heap = nh;
        q->heap_cap = cap;
    }
    it->heap_at = q->nheap;
    q->heap[q->nheap++] = it;
    heap_up(q, it->heap_at);
    return 0;
}

static struct item *
heap_pop(struct kc_workqueue *q)
{
    struct item *top = q->heap[0];
    q->nheap--;
    if (q->nheap > 0) {
        q->heap[0] = q->heap[q->nheap];
        q->heap[0]->heap_at = 0;
        heap_down(q, 0);
    }
    top->heap_at = SIZE_MAX;
    return top;
}

/* --- queueing --- */

/* client-go's Type.Add: mark dirty; queue unless queued already or being processed. Returns true when queued. */
static bool
enqueue(struct kc_workqueue *q, struct item *it)
{
    if (it->dirty)
        return false;
    it->dirty = true;
    if (it->processing)
        return false;
    it->qnext = NULL;
    if (q->tail)
        q->tail->qnext = it;
    else
        q->head = it;
    q->tail = it;
    q->qlen++;
    return true;
}

/* Queues the delayed keys whose time came. */
static void
promote_due(struct kc_workqueue *q, int64_t now)
{
    bool queued = false;
    while (q->nheap > 0 && q->heap[0]->due_ns <= now) {
        struct item *it = heap_pop(q);
        queued |= enqueue(q, it);
        maybe_release(q, it);
    }
    if (queued)
        pthread_cond_broadcast(&q->cond);
}

static int
check_key(const char *key)
{
    return key && *key ? 0 : KC_EINVALID;
}

int
kc_workqueue_new(const struct kc_workqueue_opts *opts, struct kc_workqueue **out)
{
    struct kc_workqueue_opts o = opts ? *opts : (struct kc_workqueue_opts){ 0 };
    if (o.base_delay_ms < 0 || o.max_delay_ms < 0 || o.burst < 0)
        return KC_EINVALID;
    if (!o.base_delay_ms)
        o.base_delay_ms = KC_WORKQUEUE_BASE_DELAY_MS;
    if (!o.max_delay_ms)
        o.max_delay_ms = o.base_delay_ms > KC_WORKQUEUE_MAX_DELAY_MS ? o.base_delay_ms : KC_WORKQUEUE_MAX_DELAY_MS;
    if (o.max_delay_ms < o.base_delay_ms)
        return KC_EINVALID;
    if (o.qps == 0)
        o.qps = KC_WORKQUEUE_QPS;
    if (!o.burst)
        o.burst = KC_WORKQUEUE_BURST;

    struct kc_workqueue *q = kc_calloc(1, sizeof(*q));
    if (!q)
        return -ENOMEM;
    q->nbuckets = 64;
    q->buckets = kc_calloc(q->nbuckets, sizeof(*q->buckets));
    if (!q->buckets) {
        free(q);
        return -ENOMEM;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&q->mu, NULL);
    q->base_ns = o.base_delay_ms * NS_PER_MS;
    q->max_ns = o.max_delay_ms * NS_PER_MS;
    q->qps = o.qps;
    q->burst = (double)o.burst;
    q->tokens = q->burst;
    q->bucket_ns = kc_time_mono_ns();
    *out = q;
    return 0;
}

void
kc_workqueue_free(struct kc_workqueue *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->nbuckets; i++) {
        struct item *it = q->buckets[i], *next;
        for (; it; it = next) {
            next = it->hnext;
            free(it->key);
            free(it);
        }
    }
    free(q->buckets);
    free(q->heap);
    pthread_cond_destroy(&q->cond);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

int
kc_workqueue_add(struct kc_workqueue *q, const char *key)
{
    int rc = check_key(key);
    if (rc)
        return rc;
    pthread_mutex_lock(&q->mu);
    if (q->shutdown) {
        rc = -ESHUTDOWN;
    } else {
        struct item *it = find_or_make(q, key);
        if (!it)
            rc = -ENOMEM;
        else if (enqueue(q, it))
            pthread_cond_signal(&q->cond);
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

/* Delays key until due (monotonic ns). Called with the lock held. */
static int
add_at(struct kc_workqueue *q, const char *key, int64_t due)
{
    if (q->shutdown)
        return -ESHUTDOWN;
    struct item *it = find_or_make(q, key);
    if (!it)
        return -ENOMEM;
    if (it->heap_at != SIZE_MAX) {
        if (due < it->due_ns) {
            it->due_ns = due;
            heap_up(q, it->heap_at);
        }
    } else {
        it->due_ns = due;
        int rc = heap_push(q, it);
        if (rc) {
            maybe_release(q, it);
            return rc;
        }
    }
    /* Waiting workers sleep until the earliest due time, which may just have moved closer. */
    pthread_cond_broadcast(&q->cond);
    return 0;
}

int
kc_workqueue_add_after(struct kc_workqueue *q, const char *key, long delay_ms)
{
    if (delay_ms <= 0)
        return kc_workqueue_add(q, key);
    int rc = check_key(key);
    if (rc)
        return rc;
    pthread_mutex_lock(&q->mu);
    rc = add_at(q, key, kc_time_mono_ns() + (int64_t)delay_ms * NS_PER_MS);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

/* The token bucket's wait for one more requeue now (golang.org/x/time/rate's Reserve: tokens may go negative,
 * and the debt is paid back at qps). Called with the lock held. */
static int64_t
bucket_delay(struct kc_workqueue *q, int64_t now)
{
    if (q->qps <= 0)
        return 0;
    q->tokens += (double)(now - q->bucket_ns) / 1e9 * q->qps;
    if (q->tokens > q->burst)
        q->tokens = q->burst;
    q->bucket_ns = now;
    q->tokens -= 1;
    return q->tokens >= 0 ? 0 : (int64_t)ceil(-q->tokens / q->qps * 1e9);
}

int
kc_workqueue_add_rate_limited(struct kc_workqueue *q, const char *key, long *delay_ms)
{
    int rc = check_key(key);
    if (rc)
        return rc;
    pthread_mutex_lock(&q->mu);
    int64_t now = kc_time_mono_ns();
    struct item *it = find_or_make(q, key);
    if (!it) {
        pthread_mutex_unlock(&q->mu);
        return -ENOMEM;
    }
    /* ItemExponentialFailureRateLimiter: base * 2^failures, failures counted after. */
    double d = ldexp((double)q->base_ns, it->failures > 1000 ? 1000 : it->failures);
    int64_t delay = d >= (double)q->max_ns ? q->max_ns : (int64_t)d;
    it->failures++;
    int64_t b = bucket_delay(q, now);
    if (b > delay)
        delay = b;
    if (delay_ms)
        *delay_ms = (long)((delay + NS_PER_MS - 1) / NS_PER_MS);
    rc = add_at(q, key, now + delay);
    if (rc == -ESHUTDOWN)
        maybe_release(q, it);
    pthread_mutex_unlock(&q->mu);
    return rc;
}

void
kc_workqueue_forget(struct kc_workqueue *q, const char *key)
{
    if (check_key(key))
        return;
    pthread_mutex_lock(&q->mu);
    struct item *it = find(q, key);
    if (it) {
        it->failures = 0;
        maybe_release(q, it);
    }
    pthread_mutex_unlock(&q->mu);
}

int
kc_workqueue_num_requeues(struct kc_workqueue *q, const char *key)
{
    if (check_key(key))
        return 0;
    pthread_mutex_lock(&q->mu);
    struct item *it = find(q, key);
    int n = it ? it->failures : 0;
    pthread_mutex_unlock(&q->mu);
    return n;
}

int
kc_workqueue_get(struct kc_workqueue *q, long timeout_ms, char **key)
{
    pthread_mutex_lock(&q->mu);
    int64_t now = kc_time_mono_ns();
    int64_t deadline = timeout_ms > 0 ? now + (int64_t)timeout_ms * NS_PER_MS : 0;
    int rc;
    for (;;) {
        promote_due(q, now);
        if (q->head) {
            struct item *it = q->head;
            char *copy = kc_strdup(it->key);
            if (!copy) {
                rc = -ENOMEM;
                break;
            }
            q->head = it->qnext;
            if (!q->head)
                q->tail = NULL;
            q->qlen--;
            it->dirty = false;
            it->processing = true;
            *key = copy;
            rc = 0;
            break;
        }
        if (q->shutdown) {
            rc = -ESHUTDOWN;
            break;
        }
        if (timeout_ms == 0 || (deadline && now >= deadline)) {
            rc = KC_ETIMEOUT;
            break;
        }
        int64_t wake = deadline;
        if (q->nheap > 0 && (!wake || q->heap[0]->due_ns < wake))
            wake = q->heap[0]->due_ns;
        if (wake) {
            struct timespec ts = { .tv_sec = wake / 1000000000, .tv_nsec = wake % 1000000000 };
            pthread_cond_timedwait(&q->cond, &q->mu, &ts);
        } else {
            pthread_cond_wait(&q->cond, &q->mu);
        }
        now = kc_time_mono_ns();
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

void
kc_workqueue_done(struct kc_workqueue *q, const char *key)
{
    if (check_key(key))
        return;
    pthread_mutex_lock(&q->mu);
    struct item *it = find(q, key);
    if (it && it->processing) {
        it->processing = false;
        if (it->dirty) {
            /* Added while processed: queue it now (enqueue() skips keys already marked dirty). */
            it->dirty = false;
            if (enqueue(q, it))
                pthread_cond_signal(&q->cond);
        }
        maybe_release(q, it);
    }
    pthread_mutex_unlock(&q->mu);
}

void
kc_workqueue_shutdown(struct kc_workqueue *q)
{
    pthread_mutex_lock(&q->mu);
    q->shutdown = true;
    while (q->nheap > 0)
        maybe_release(q, heap_pop(q));
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->mu);
}

bool
kc_workqueue_shutting_down(struct kc_workqueue *q)
{
    pthread_mutex_lock(&q->mu);
    bool s = q->shutdown;
    pthread_mutex_unlock(&q->mu);
    return s;
}

size_t
kc_workqueue_len(struct kc_workqueue *q)
{
    pthread_mutex_lock(&q->mu);
    promote_due(q, kc_time_mono_ns());
    size_t n = q->qlen;
    pthread_mutex_unlock(&q->mu);
    return n;
}
