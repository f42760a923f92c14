/* test_workqueue.c - kc_workqueue: deduplication, FIFO order, one worker per key (also under concurrent load),
 * the rate limiter's exact delays and their timing, delayed adds, shutdown waking workers, bad input and
 * allocation failures. Timing checks wait with deadlines and only bound from below tightly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kc_error.h"
#include "kc_fault.h"
#include "kc_time.h"
#include "kc_workqueue.h"

#define MAX_THREADS 8
#define NKEYS       4

struct fx {
    struct kc_workqueue *q;
    pthread_t threads[MAX_THREADS];
    int nthreads;
    /* the concurrency test */
    atomic_int active[NKEYS]; /* workers processing key i now */
    atomic_int violations;    /* times two workers had one key */
    atomic_long gen[NKEYS];   /* what the producer last wanted for key i */
    atomic_long seen[NKEYS];  /* the generation a worker last saw when it started on key i */
    atomic_long processed;    /* keys processed */
    atomic_int worker_rc[MAX_THREADS];
};

struct worker_arg {
    struct fx *f;
    int idx;
};
static struct worker_arg wargs[MAX_THREADS];

static int64_t
now_ms(void)
{
    return kc_time_mono_ns() / 1000000;
}

static struct kc_workqueue *
make_queue(struct fx *f, const struct kc_workqueue_opts *o)
{
    int rc = kc_workqueue_new(o, &f->q);
    if (rc)
        fail_msg("kc_workqueue_new: %s", kc_strerror(rc));
    return f->q;
}

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    *state = f;
    return 0;
}

/* Shuts the queue down so that every worker leaves, joins them, frees the queue: also after a failed assert. */
static int
teardown(void **state)
{
    struct fx *f = *state;
    kc_fault_disarm(KC_FAULT_ALLOC);
    if (f->q)
        kc_workqueue_shutdown(f->q);
    for (int i = 0; i < f->nthreads; i++)
        pthread_join(f->threads[i], NULL);
    kc_workqueue_free(f->q);
    free(f);
    return 0;
}

/* Gets a key within timeout_ms; fails unless it is want. Returns the key for kc_workqueue_done(). */
static char *
expect_get(struct kc_workqueue *q, long timeout_ms, const char *want)
{
    char *key = NULL;
    int rc = kc_workqueue_get(q, timeout_ms, &key);
    if (rc)
        fail_msg("kc_workqueue_get: %s, want \"%s\"", kc_strerror(rc), want);
    if (strcmp(key, want) != 0)
        fail_msg("got key \"%s\", want \"%s\"", key, want);
    return key;
}

static void
expect_get_done(struct kc_workqueue *q, long timeout_ms, const char *want)
{
    char *key = expect_get(q, timeout_ms, want);
    kc_workqueue_done(q, key);
    free(key);
}

static void
expect_empty(struct kc_workqueue *q)
{
    char *key = NULL;
    int rc = kc_workqueue_get(q, 0, &key);
    if (rc != KC_ETIMEOUT)
        fail_msg("want an empty queue, got %s (key %s)", kc_strerror(rc), rc == 0 ? key : "-");
}

/* --- tests --- */

static void
test_dedup_and_order(void **state)
{
    struct fx *f = *state;
    struct kc_workqueue *q = make_queue(f, NULL);
    assert_int_equal(kc_workqueue_add(q, "ns/a"), 0);
    assert_int_equal(kc_workqueue_add(q, "ns/b"), 0);
    assert_int_equal(kc_workqueue_add(q, "ns/a"), 0);
    assert_int_equal(kc_workqueue_add(q, "c"), 0);
    assert_int_equal(kc_workqueue_add(q, "ns/b"), 0);
    assert_int_equal(kc_workqueue_len(q), 3);
    expect_get_done(q, 0, "ns/a");
    expect_get_done(q, 0, "ns/b");
    expect_get_done(q, 0, "c");
    expect_empty(q);
    assert_int_equal(kc_workqueue_len(q), 0);

    /* Many distinct keys (the table grows) keep FIFO order and dedup. */
    char k[32];
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 1000; i++) {
            snprintf(k, sizeof(k), "key-%d", i);
            assert_int_equal(kc_workqueue_add(q, k), 0);
        }
    assert_int_equal(kc_workqueue_len(q), 1000);
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof(k), "key-%d", i);
        expect_get_done(q, 0, k);
    }
    expect_empty(q);
}

static void
test_processing_exclusive(void **state)
{
    struct fx *f = *state;
    struct kc_workqueue *q = make_queue(f, NULL);
    assert_int_equal(kc_workqueue_add(q, "a"), 0);
    char *a = expect_get(q, 0, "a");
    /* Added while processed: remembered, not handed to a second worker. */
    assert_int_equal(kc_workqueue_add(q, "a"), 0);
    assert_int_equal(kc_workqueue_add(q, "a"), 0);
    assert_int_equal(kc_workqueue_len(q), 0);
    expect_empty(q);
    /* Other keys flow meanwhile. */
    assert_int_equal(kc_workqueue_add(q, "b"), 0);
    expect_get_done(q, 0, "b");
    kc_workqueue_done(q, a);
    free(a);
    assert_int_equal(kc_workqueue_len(q), 1);
    a = expect_get(q, 0, "a");
    kc_workqueue_done(q, a);
    free(a);
    expect_empty(q);
    /* done() of a key nobody processes changes nothing. */
    kc_workqueue_done(q, "a");
    kc_workqueue_done(q, "never");
    expect_empty(q);
}

static void *
worker_main(void *arg)
{
    struct worker_arg *wa = arg;
    struct fx *f = wa->f;
    for (;;) {
        char *key = NULL;
        int rc = kc_workqueue_get(f->q, -1, &key);
        if (rc) {
            f->worker_rc[wa->idx] = rc;
            return NULL;
        }
        int k = key[1] - '0';
        if (atomic_fetch_add(&f->active[k], 1) != 0)
            atomic_fetch_add(&f->violations, 1);
        atomic_store(&f->seen[k], atomic_load(&f->gen[k]));
        for (volatile int spin = 0; spin < 2000; spin++) /* some work, so that adds land while processing */
            ;
        atomic_fetch_sub(&f->active[k], 1);
        atomic_fetch_add(&f->processed, 1);
        kc_workqueue_done(f->q, key);
        free(key);
    }
}

/* Four workers, one producer hammering four keys: never two workers on one key, and every key's last wanted
 * state is seen by a worker that started after it was wanted (the level-triggered guarantee). */
static void
test_concurrent_workers(void **state)
{
    struct fx *f = *state;
    struct kc_workqueue *q = make_queue(f, NULL);
    for (int i = 0; i < 4; i++) {
        wargs[i] = (struct worker_arg){ .f = f, .idx = i };
        assert_int_equal(pthread_create(&f->threads[f->nthreads], NULL, worker_main, &wargs[i]), 0);
        f->nthreads++;
    }
    char key[8];
    for (long i = 1; i <= 20000; i++) {
        int k = (int)(i % NKEYS);
        atomic_store(&f->gen[k], i);
        snprintf(key, sizeof(key), "k%d", k);
        assert_int_equal(kc_workqueue_add(q, key), 0);
    }
    /* Shutdown hands out what is still queued (and what done() requeues), then the workers leave. */
    kc_workqueue_shutdown(q);
    for (int i = 0; i < f->nthreads; i++)
        pthread_join(f->threads[i], NULL);
    f->nthreads = 0;
    assert_int_equal(atomic_load(&f->violations), 0);
    for (int k = 0; k < NKEYS; k++) {
        if (atomic_load(&f->seen[k]) != atomic_load(&f->gen[k]))
            fail_msg("key k%d: last processed generation %ld, last wanted %ld", k, atomic_load(&f->seen[k]),
                     atomic_load(&f->gen[k]));
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(atomic_load(&f->worker_rc[i]), -ESHUTDOWN);
    assert_true(atomic_load(&f->processed) >= NKEYS);
    assert_true(atomic_load(&f->processed) <= 20000);
}

/* The delays are exactly client-go's: 5 ms doubling per requeue, capped at 1000 s, reset by forget. And a key
 * does not come back before its delay. */
static void
test_rate_limit_delays(void **state)
{
    struct fx *f = *state;
    struct kc_workqueue *q = make_queue(f, NULL);
    for (int n = 0; n < 5; n++) {
        long want = 5L << n, d = -1;
        int64_t t0 = now_ms();
        assert_int_equal(kc_workqueue_add_rate_limited(q, "ns/x", &d), 0);
        assert_int_equal(d, want);
        assert_int_equal(kc_workqueue_num_requeues(q, "ns/x"), n + 1);
        char *k = expect_get(q, 10000, "ns/x");
        int64_t el = now_ms() - t0;
        if (el < want || el > want + 3000)
            fail_msg("requeue %d came after %lld ms, want %ld ms", n, (long long)el, want);
        kc_workqueue_done(q, k);
        free(k);
    }
    kc_workqueue_forget(q, "ns/x");
    assert_int_equal(kc_workqueue_num_requeues(q, "ns/x"), 0);
    long d = -1;
    assert_int_equal(kc_workqueue_add_rate_limited(q, "ns/x", &d), 0);
    assert_int_equal(d, 5);
    expect_get_done(q, 10000, "ns/x");
    kc_workqueue_forget(q, "ns/x");

    /* The cap: 5 ms * 2^18 > 1000 s. Repeated delayed adds of one key collapse into the earliest. */
    long want = 5;
    for (int n = 0; n < 22; n++) {
        assert_int_equal(kc_workqueue_add_rate_limited(q, "capped", &d), 0);
        if (d != want)
            fail_msg("requeue %d: delay %ld ms, want %ld ms", n, d, want);
        want = want * 2 > 1000000 ? 1000000 : want * 2;
    }
    assert_int_equal(kc_workqueue_num_requeues(q, "capped"), 22);
    expect_get_done(q, 10000, "capped"); /* the first, 5 ms delay still holds */
    expect_empty(q);
    assert_int_equal(kc_workqueue_num_requeues(q, "never"), 0);
    kc_workqueue_forget(q, "never");
}

static void
test_rate_limit_options_and_bucket(void **state)
{
    struct fx *f = *state;
    struct kc_workqueue *q =
        make_queue(f, &(struct kc_workqueue_opts){ .base_delay_ms = 1, .max_delay_ms = 8, .qps = -1 });
    long d, want[] = { 1, 2, 4, 8, 8, 8 };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(kc_workqueue_add_rate_limited(q, "k", &d), 0);
        assert_int_equal(d, want[i]);
    }
    kc_workqueue_free(q);
    f->q = NULL;

    /* The overall bucket: 2 tokens, refilled at 10/s. The third requeue waits ~100 ms whatever its key. */
    q = make_queue(f, &(struct kc_workqueue_opts){ .base_delay_ms = 1, .qps = 10, .burst = 2 });
    assert_int_equal(kc_workqueue_add_rate_limited(q, "a", &d), 0);
    assert_int_equal(d, 1);
    assert_int_equal(kc_workqueue_add_rate_limited(q, "b", &d), 0);
    assert_int_equal(d, 1);
    int64_t t0 = now_ms();
    assert_int_equal(kc_workqueue_add_rate_limited(q, "c", &d), 0);
    if (d < 10 || d > 100)
        fail_msg("third requeue: delay %ld ms, want about 100 ms", d);
    expect_get_done(q, 10000, "a");
    expect_get_done(q, 10000, "b");
    expect_get_done(q, 10000, "c");
    if (now_ms() - t0 < d - 1)
        fail_msg("c came after %lld ms, before its %ld ms", (long long)(now_ms() - t0), d);
}

static void
test_add_after(void **state)
{
    struct fx *f = *state;
    struct kc_workqueue *q = make_queue(f, NULL);
    int64_t t0 = now_ms();
    assert_int_equal(kc_workqueue_add_after(q, "late", 100), 0);
    assert_int_equal(kc_workqueue_len(q), 0);
    expect_empty(q);
    /* A worker waiting without a deadline still wakes for the delayed key. */
    expect_get_done(q, -1, "late");
    if (now_ms() - t0 < 100)
        fail_msg("delayed key came after %lld ms, want >= 100", (long long)(now_ms() - t0));

    /* Two delayed adds of one key: the earlier wins, either way round. */
    t0 = now_ms();
    assert_int_equal(kc_workqueue_add_after(q, "b", 60000), 0);
    assert_int_equal(kc_workqueue_add_after(q, "b", 30), 0);
    assert_int_equal(kc_workqueue_add_after(q, "c", 40), 0);
    assert_int_equal(kc_workqueue_add_after(q, "c", 60000), 0);
    expect_get_done(q, 10000, "b");
    expect_get_done(q, 10000, "c");
    int64_t el = now_ms() - t0;
    if (el < 40 || el > 10000)
        fail_msg("b and c came after %lld ms, want 40..10000", (long long)el);
    expect_empty(q);
    /* Zero or negative delay: an ordinary add. */
    assert_int_equal(kc_workqueue_add_after(q, "now", 0), 0);
    assert_int_equal(kc_workqueue_add_after(q, "now", -5), 0);
    assert_int_equal(kc_workqueue_len(q), 1);
    expect_get_done(q, 0, "now");

    /* A delayed add of a key being processed lands after done(). */
    assert_int_equal(kc_workqueue_add(q, "p"), 0);
    char *p = expect_get(q, 0, "p");
    assert_int_equal(kc_workqueue_add_after(q, "p", 1), 0);
    char *other = NULL;
    assert_int_equal(kc_workqueue_get(q, 50, &other), KC_ETIMEOUT); /* due meanwhile, but p is being processed */
    assert_int_equal(kc_workqueue_len(q), 0);
    kc_workqueue_done(q, p);
    free(p);
    expect_get_done(q, 0, "p");
    expect_empty(q);
}

static void
test_get_timeout(void **state)
{
    struct fx *f = *state;
    struct kc_workqueue *q = make_queue(f, NULL);
    int64_t t0 = now_ms();
    char *k = NULL;
    assert_int_equal(kc_workqueue_get(q, 50, &k), KC_ETIMEOUT);
    int64_t el = now_ms() - t0;
    if (el < 50 || el > 5000)
        fail_msg("get(50 ms) returned after %lld ms", (long long)el);
    assert_null(k);
}

static void *
blocked_get(void *arg)
{
    struct worker_arg *wa = arg;
    char *key = NULL;
    wa->f->worker_rc[wa->idx] = kc_workqueue_get(wa->f->q, -1, &key);
    free(key);
    return NULL;
}

static void
test_shutdown(void **state)
{
    struct fx *f = *state;
    struct kc_workqueue *q = make_queue(f, NULL);
    for (int i = 0; i < 3; i++) {
        f->worker_rc[i] = 1;
        wargs[i] = (struct worker_arg){ .f = f, .idx = i };
        assert_int_equal(pthread_create(&f->threads[f->nthreads], NULL, blocked_get, &wargs[i]), 0);
        f->nthreads++;
    }
    assert_false(kc_workqueue_shutting_down(q));
    kc_workqueue_shutdown(q);
    kc_workqueue_shutdown(q); /* idempotent */
    assert_true(kc_workqueue_shutting_down(q));
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 5;
    for (int i = 0; i < f->nthreads; i++) {
        int rc = pthread_timedjoin_np(f->threads[i], NULL, &ts);
        if (rc)
            fail_msg("worker %d still blocked 5 s after shutdown: %s", i, strerror(rc));
        f->threads[i] = f->threads[f->nthreads - 1];
        f->nthreads--;
        i--;
    }
    for (int i = 0; i < 3; i++)
        assert_int_equal(f->worker_rc[i], -ESHUTDOWN);
    kc_workqueue_free(q);
    f->q = NULL;

    /* Keys queued before shutdown are still handed out, and so is a key added while it was processed; new and
     * delayed ones are dropped. */
    q = make_queue(f, NULL);
    assert_int_equal(kc_workqueue_add(q, "a"), 0);
    assert_int_equal(kc_workqueue_add(q, "b"), 0);
    assert_int_equal(kc_workqueue_add_after(q, "d", 1), 0);
    char *a = expect_get(q, 0, "a");
    assert_int_equal(kc_workqueue_add(q, "a"), 0);
    kc_workqueue_shutdown(q);
    assert_int_equal(kc_workqueue_add(q, "c"), -ESHUTDOWN);
    assert_int_equal(kc_workqueue_add_after(q, "c", 10), -ESHUTDOWN);
    long d = 0;
    assert_int_equal(kc_workqueue_add_rate_limited(q, "c", &d), -ESHUTDOWN);
    assert_int_equal(d, 5);
    expect_get_done(q, 0, "b");
    char *k = NULL;
    assert_int_equal(kc_workqueue_get(q, -1, &k), -ESHUTDOWN); /* a is being processed; d was dropped */
    kc_workqueue_done(q, a);
    free(a);
    expect_get_done(q, 0, "a");
    assert_int_equal(kc_workqueue_get(q, 1000, &k), -ESHUTDOWN);
    assert_null(k);
}

static void
test_bad_input(void **state)
{
    struct fx *f = *state;
    struct kc_workqueue *q = NULL;
    assert_int_equal(kc_workqueue_new(&(struct kc_workqueue_opts){ .base_delay_ms = -1 }, &q), KC_EINVALID);
    assert_int_equal(kc_workqueue_new(&(struct kc_workqueue_opts){ .base_delay_ms = 10, .max_delay_ms = 5 }, &q),
                     KC_EINVALID);
    assert_int_equal(kc_workqueue_new(&(struct kc_workqueue_opts){ .burst = -1 }, &q), KC_EINVALID);
    assert_null(q);
    q = make_queue(f, NULL);
    assert_int_equal(kc_workqueue_add(q, NULL), KC_EINVALID);
    assert_int_equal(kc_workqueue_add(q, ""), KC_EINVALID);
    assert_int_equal(kc_workqueue_add_after(q, "", 10), KC_EINVALID);
    assert_int_equal(kc_workqueue_add_rate_limited(q, NULL, NULL), KC_EINVALID);
    kc_workqueue_forget(q, NULL);
    kc_workqueue_done(q, "");
    assert_int_equal(kc_workqueue_num_requeues(q, NULL), 0);
    expect_empty(q);
    kc_workqueue_free(NULL);
}

static void
test_out_of_memory(void **state)
{
    struct fx *f = *state;
    struct kc_workqueue *q = make_queue(f, NULL);
    kc_fault_arm(KC_FAULT_ALLOC, 1, 0, false);
    assert_int_equal(kc_workqueue_add(q, "a"), -ENOMEM);
    assert_int_equal(kc_workqueue_len(q), 0);
    assert_int_equal(kc_workqueue_add(q, "a"), 0);
    /* The copy handed out fails: the key stays queued. */
    kc_fault_arm(KC_FAULT_ALLOC, 1, 0, false);
    char *k = NULL;
    assert_int_equal(kc_workqueue_get(q, 0, &k), -ENOMEM);
    assert_int_equal(kc_workqueue_len(q), 1);
    kc_fault_disarm(KC_FAULT_ALLOC);
    expect_get_done(q, 0, "a");
    kc_fault_arm(KC_FAULT_ALLOC, 1, 0, true);
    assert_int_equal(kc_workqueue_add_after(q, "b", 10), -ENOMEM);
    assert_int_equal(kc_workqueue_add_rate_limited(q, "b", NULL), -ENOMEM);
    kc_fault_disarm(KC_FAULT_ALLOC);
    struct kc_workqueue *q2 = NULL;
    kc_fault_arm(KC_FAULT_ALLOC, 1, 0, false);
    assert_int_equal(kc_workqueue_new(NULL, &q2), -ENOMEM);
    kc_fault_arm(KC_FAULT_ALLOC, 2, 0, false);
    assert_int_equal(kc_workqueue_new(NULL, &q2), -ENOMEM);
    kc_fault_disarm(KC_FAULT_ALLOC);
    assert_null(q2);
    expect_empty(q);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dedup_and_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_processing_exclusive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_workers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit_delays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit_options_and_bucket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shutdown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
