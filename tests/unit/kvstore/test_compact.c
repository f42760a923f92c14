/* test_compact.c - compaction as etcd 3.4: its errors, reads at and below the compaction revision, each key
 * keeping its latest revision unless that is a tombstone, physical removal in steps, resumption after reopen.
 */
#include "kvs_test.h"

#include <time.h>

static void
test_compact_errors(void **state)
{
    struct tstore *t = *state;
    /* a new store has compacted nothing (-1): compacting to 0 or 1 is allowed once */
    assert_int_equal(kvs_compact(t->s, 2, false, NULL), KC_EFUTUREREV);
    int64_t rev = 0;
    assert_int_equal(kvs_compact(t->s, 0, false, &rev), 0);
    assert_int_equal(rev, 1);
    assert_int_equal(kvs_compact_revision(t->s), 0);
    assert_int_equal(kvs_compact(t->s, 0, false, NULL), KC_ECOMPACTED);
    assert_int_equal(kvs_compact(t->s, 1, true, NULL), 0);
    assert_int_equal(kvs_compact(t->s, 1, false, NULL), KC_ECOMPACTED);
    assert_int_equal(kvs_compact(t->s, -4, false, NULL), KC_ECOMPACTED);
    put(t->s, "a", "1"); /* 2 */
    assert_int_equal(kvs_compact(t->s, 3, false, NULL), KC_EFUTUREREV);
    assert_int_equal(kvs_compact(t->s, 2, true, &rev), 0);
    assert_int_equal(rev, 2);
    /* compaction makes no revision */
    assert_int_equal(kvs_revision(t->s), 2);
}

static void
test_compact_reads(void **state)
{
    struct tstore *t = *state;
    put(t->s, "k", "v1");    /* 2 */
    put(t->s, "k", "v2");    /* 3 */
    put(t->s, "k", "v3");    /* 4 */
    put(t->s, "other", "o"); /* 5 */
    assert_int_equal(kvs_compact(t->s, 3, true, NULL), 0);
    struct kvs_range_req rq = { .key = B("k"), .revision = 2 };
    struct kvs_resp *r = NULL;
    assert_int_equal(kvs_range(t->s, &rq, &r), KC_ECOMPACTED);
    assert_null(r);
    rq.revision = 3; /* reading at exactly the compaction revision works */
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_int_equal(r->n_kvs, 1);
    assert_value(&r->kvs[0], "v2");
    assert_int_equal(r->kvs[0].version, 2);
    assert_int_equal(r->kvs[0].create_revision, 2); /* kept though revision 2 is gone */
    assert_int_equal(r->revision, 5);
    kvs_resp_free(r);
    rq.revision = 4;
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_value(&r->kvs[0], "v3");
    kvs_resp_free(r);
    /* keys whose latest revision is older than the compaction keep it */
    rq = (struct kvs_range_req){ .key = B("other"), .revision = 5 };
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_int_equal(r->n_kvs, 1);
    kvs_resp_free(r);
    assert_int_equal(kvs_compact(t->s, 5, true, NULL), 0);
    rq.revision = 0;
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_int_equal(r->n_kvs, 1);
    assert_int_equal(r->kvs[0].mod_revision, 5);
    kvs_resp_free(r);
    r = get_range(t->s, "k", NULL, 0);
    assert_value(&r->kvs[0], "v3");
    assert_int_equal(r->kvs[0].version, 3);
    kvs_resp_free(r);
}

static void
test_compact_tombstones(void **state)
{
    struct tstore *t = *state;
    put(t->s, "a", "1");  /* 2 */
    del(t->s, "a", NULL); /* 3 */
    put(t->s, "b", "1");  /* 4 */
    assert_int_equal(kvs_compact(t->s, 3, true, NULL), 0);
    struct kvs_resp *r = get_range(t->s, "a", NULL, 3);
    assert_int_equal(r->n_kvs, 0);
    kvs_resp_free(r);
    /* the deleted key is gone from the history: a watch from 3 sees only b's put (etcd drops tombstones <= C) */
    struct kvs_watch_req wr = { .key = { "\0", 1 }, .range_end = { "\0", 1 }, .start_revision = 3 };
    struct kvs_watch *w;
    assert_int_equal(kvs_watch_create(t->s, &wr, &w), 0);
    struct kvs_watch_batch *b;
    assert_int_equal(kvs_watch_wait(w, 5000, &b), 0);
    assert_int_equal(b->n_events, 1);
    assert_key(&b->events[0].kv, "b");
    kvs_watch_batch_free(b);
    kvs_watch_free(w);
    put(t->s, "a", "2"); /* 5 */
    r = get_range(t->s, "a", NULL, 0);
    assert_int_equal(r->kvs[0].create_revision, 5);
    assert_int_equal(r->kvs[0].version, 1);
    kvs_resp_free(r);
    struct kvs_stats st;
    assert_int_equal(kvs_stat(t->s, &st), 0);
    assert_int_equal(st.physical_compact_revision, 3);
    assert_int_equal(st.compact_revision, 3);
}

static void
test_compact_frees_space(void **state)
{
    struct tstore *t = *state;
    char v[2048];
    memset(v, 'v', sizeof(v) - 1);
    v[sizeof(v) - 1] = 0;
    for (int i = 0; i < 400; i++)
        put(t->s, "big", v);
    struct kvs_stats before, after;
    assert_int_equal(kvs_stat(t->s, &before), 0);
    assert_int_equal(kvs_compact(t->s, kvs_revision(t->s), true, NULL), 0);
    /* a later write lets LMDB reuse the pages freed by the compaction txns */
    put(t->s, "small", "x");
    assert_int_equal(kvs_stat(t->s, &after), 0);
    assert_true(before.db_size_in_use > 400 * 2048);
    assert_true(after.db_size_in_use < before.db_size_in_use / 4);
    struct kvs_resp *r = get_range(t->s, "big", NULL, 0);
    assert_int_equal(r->kvs[0].version, 400);
    assert_int_equal(r->kvs[0].value_len, 2047);
    kvs_resp_free(r);
}

static int
small_batch_setup(void **state)
{
    struct tstore *t = calloc(1, sizeof(*t));
    t->dir = test_mkdtemp();
    tstore_opts(t);
    t->o.compact_batch_keys = 2;
    assert_int_equal(kvs_open(&t->o, &t->s), 0);
    *state = t;
    return 0;
}

static void
test_compact_in_steps(void **state)
{
    struct tstore *t = *state;
    char k[16];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 25; i++) {
            snprintf(k, sizeof(k), "k%02d", i);
            put(t->s, k, round == 2 && i % 5 == 0 ? "last" : "v");
        }
    }
    for (int i = 0; i < 25; i += 5) {
        snprintf(k, sizeof(k), "k%02d", i + 1);
        del(t->s, k, NULL);
    }
    int64_t c = kvs_revision(t->s) - 2;
    assert_int_equal(kvs_compact(t->s, c, true, NULL), 0);
    struct kvs_stats st;
    assert_int_equal(kvs_stat(t->s, &st), 0);
    assert_int_equal(st.physical_compact_revision, c);
    struct kvs_resp *r = get_range(t->s, "k", "l", c);
    assert_int_equal(r->count, 22); /* 25 keys, 3 of the 5 deletes are <= c */
    kvs_resp_free(r);
    r = get_range(t->s, "k", "l", 0);
    assert_int_equal(r->count, 20);
    assert_value(&r->kvs[0], "last");
    assert_int_equal(r->kvs[0].version, 3);
    kvs_resp_free(r);
}

static void
test_compact_resumes_after_reopen(void **state)
{
    struct tstore *t = *state;
    char k[16];
    for (int i = 0; i < 60; i++) {
        snprintf(k, sizeof(k), "k%02d", i);
        put(t->s, k, "a");
        put(t->s, k, "b");
    }
    int64_t c = kvs_revision(t->s);
    assert_int_equal(kvs_compact(t->s, c, false, NULL), 0);
    tstore_reopen(t);
    assert_int_equal(kvs_compact_revision(t->s), c);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct kvs_stats st;
    for (;;) {
        assert_int_equal(kvs_stat(t->s, &st), 0);
        if (st.physical_compact_revision == c)
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        assert_true(now.tv_sec - t0.tv_sec < 20);
        struct timespec ms = { 0, 1000000 };
        nanosleep(&ms, NULL); /* polling a condition with a deadline */
    }
    struct kvs_resp *r = get_range(t->s, "k", "l", c);
    assert_int_equal(r->count, 60);
    assert_int_equal(r->kvs[59].version, 2);
    kvs_resp_free(r);
    assert_int_equal(kvs_compact(t->s, c, false, NULL), KC_ECOMPACTED);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_compact_errors, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_compact_reads, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_compact_tombstones, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_compact_frees_space, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_compact_in_steps, small_batch_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_compact_resumes_after_reopen, small_batch_setup, tstore_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
