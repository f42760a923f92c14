/* test_lease.c - leases as etcd 3.4 with a fake clock: grant (IDs, TTL floor and ceiling), revoke in one
 * revision, keepalive, time-to-live, the list order, expiry through kvs_tick, restart, attach/detach, primary.
 */
#include "kvs_test.h"

#include <time.h>

static int64_t
ttl_of(struct kvs *s, int64_t id, int64_t *granted)
{
    struct kvs_lease_ttl_resp *r;
    assert_int_equal(kvs_lease_timetolive(s, id, false, &r), 0);
    int64_t ttl = r->ttl;
    if (granted)
        *granted = r->granted_ttl;
    assert_int_equal(r->id, id);
    kvs_lease_ttl_free(r);
    return ttl;
}

static void
test_grant(void **state)
{
    struct tstore *t = *state;
    struct kvs_lease_grant_resp g, g2;
    assert_int_equal(kvs_lease_grant(t->s, 0, 10, &g), 0);
    assert_true(g.id > 0);
    assert_int_equal(g.ttl, 10);
    assert_int_equal(g.revision, 1);
    assert_int_equal(kvs_lease_grant(t->s, 0, 10, &g2), 0);
    assert_true(g2.id > 0 && g2.id != g.id);
    assert_int_equal(kvs_lease_grant(t->s, 100, 1, &g), 0);
    assert_int_equal(g.id, 100);
    assert_int_equal(g.ttl, 2); /* below the minimum TTL */
    assert_int_equal(kvs_lease_grant(t->s, 100, 30, &g), KC_EEXIST);
    assert_int_equal(kvs_lease_grant(t->s, 101, 0, &g), 0);
    assert_int_equal(g.ttl, 2);
    assert_int_equal(kvs_lease_grant(t->s, 102, -7, &g), 0);
    assert_int_equal(g.ttl, 2);
    assert_int_equal(kvs_lease_grant(t->s, 103, 9000000001LL, &g), KVS_ETTLTOOLARGE);
    assert_int_equal(kvs_lease_grant(t->s, 103, 9000000000LL, &g), 0);
    /* TTL is checked before existence, as etcd's lessor */
    assert_int_equal(kvs_lease_grant(t->s, 100, 9000000001LL, &g), KVS_ETTLTOOLARGE);
    assert_int_equal(kvs_lease_grant(t->s, -5, 10, &g), 0); /* negative IDs are IDs too */
    assert_int_equal(g.id, -5);
    assert_int_equal(kvs_revision(t->s), 1); /* grants make no revision */
    int64_t granted;
    assert_int_equal(ttl_of(t->s, 100, &granted), 2);
    assert_int_equal(granted, 2);
}

static void
test_revoke(void **state)
{
    struct tstore *t = *state;
    struct kvs_lease_grant_resp g;
    assert_int_equal(kvs_lease_grant(t->s, 1, 60, &g), 0);
    put_lease(t->s, "c", "3", 1); /* 2 */
    put_lease(t->s, "a", "1", 1); /* 3 */
    put_lease(t->s, "b", "2", 1); /* 4 */
    put(t->s, "free", "x");       /* 5 */
    int64_t rev = 0;
    assert_int_equal(kvs_lease_revoke(t->s, 1, &rev), 0);
    assert_int_equal(rev, 6);
    assert_int_equal(kvs_revision(t->s), 6); /* three deletes, one revision */
    assert_null(get_value(t->s, "a"));
    assert_null(get_value(t->s, "b"));
    assert_null(get_value(t->s, "c"));
    assert_string_equal(get_value(t->s, "free"), "x");
    assert_int_equal(ttl_of(t->s, 1, NULL), -1);
    /* the deletes are in key order inside the revision */
    struct kvs_watch_req wr = { .key = B("a"), .range_end = B("d"), .start_revision = 6 };
    struct kvs_watch *w;
    assert_int_equal(kvs_watch_create(t->s, &wr, &w), 0);
    struct kvs_watch_batch *b;
    assert_int_equal(kvs_watch_wait(w, 5000, &b), 0);
    assert_int_equal(b->n_events, 3);
    assert_key(&b->events[0].kv, "a");
    assert_key(&b->events[1].kv, "b");
    assert_key(&b->events[2].kv, "c");
    for (int i = 0; i < 3; i++) {
        assert_int_equal(b->events[i].type, KVS_EVENT_DELETE);
        assert_int_equal(b->events[i].kv.mod_revision, 6);
    }
    kvs_watch_batch_free(b);
    kvs_watch_free(w);
    assert_int_equal(kvs_lease_revoke(t->s, 1, &rev), KC_ENOTFOUND);
    assert_int_equal(kvs_lease_revoke(t->s, 0, &rev), KC_ENOTFOUND);
    /* a lease without keys: no revision */
    assert_int_equal(kvs_lease_grant(t->s, 2, 60, &g), 0);
    assert_int_equal(kvs_lease_revoke(t->s, 2, &rev), 0);
    assert_int_equal(rev, 6);
    /* a revoked key's lease can be granted again */
    assert_int_equal(kvs_lease_grant(t->s, 1, 60, &g), 0);
}

static void
test_keepalive(void **state)
{
    struct tstore *t = *state;
    struct kvs_lease_grant_resp g;
    assert_int_equal(kvs_lease_grant(t->s, 9, 10, &g), 0);
    assert_int_equal(ttl_of(t->s, 9, NULL), 10);
    test_advance_ms(6000);
    assert_int_equal(ttl_of(t->s, 9, NULL), 4);
    int64_t ttl = 0;
    assert_int_equal(kvs_lease_keepalive(t->s, 9, &ttl), 0);
    assert_int_equal(ttl, 10);
    assert_int_equal(ttl_of(t->s, 9, NULL), 10);
    test_advance_ms(9000);
    assert_int_equal(kvs_tick(t->s), 0); /* renewed: not expired */
    assert_int_equal(ttl_of(t->s, 9, NULL), 1);
    assert_int_equal(kvs_lease_keepalive(t->s, 12345, &ttl), KC_ENOTFOUND);
}

static void
test_timetolive(void **state)
{
    struct tstore *t = *state;
    struct kvs_lease_grant_resp g;
    assert_int_equal(kvs_lease_grant(t->s, 3, 10, &g), 0);
    put_lease(t->s, "z", "1", 3);
    put_lease(t->s, "m", "1", 3);
    put_lease(t->s, "a", "1", 3);
    test_advance_ms(2500);
    struct kvs_lease_ttl_resp *r;
    assert_int_equal(kvs_lease_timetolive(t->s, 3, true, &r), 0);
    assert_int_equal(r->ttl, 7); /* 7.5 s left, truncated */
    assert_int_equal(r->granted_ttl, 10);
    assert_int_equal(r->revision, 4);
    assert_int_equal(r->n_keys, 3);
    assert_int_equal(r->keys[0].len, 1);
    assert_memory_equal(r->keys[0].data, "a", 1);
    assert_memory_equal(r->keys[1].data, "m", 1);
    assert_memory_equal(r->keys[2].data, "z", 1);
    kvs_lease_ttl_free(r);
    assert_int_equal(kvs_lease_timetolive(t->s, 3, false, &r), 0);
    assert_int_equal(r->n_keys, 0);
    kvs_lease_ttl_free(r);
    assert_int_equal(kvs_lease_timetolive(t->s, 4, true, &r), 0);
    assert_int_equal(r->ttl, -1);
    assert_int_equal(r->granted_ttl, 0);
    assert_int_equal(r->n_keys, 0);
    assert_int_equal(r->id, 4);
    kvs_lease_ttl_free(r);
}

static void
test_expiry(void **state)
{
    struct tstore *t = *state;
    struct kvs_lease_grant_resp g;
    assert_int_equal(kvs_lease_grant(t->s, 5, 5, &g), 0);
    assert_int_equal(kvs_lease_grant(t->s, 6, 50, &g), 0);
    put_lease(t->s, "e1", "v", 5);
    put_lease(t->s, "e2", "v", 5);
    put_lease(t->s, "keep", "v", 6);
    int64_t rev = kvs_revision(t->s);
    test_advance_ms(4999);
    assert_int_equal(kvs_tick(t->s), 0);
    assert_non_null(get_value(t->s, "e1"));
    test_advance_ms(1);
    /* expired, not yet revoked: keepalive already says not found */
    int64_t ttl;
    assert_int_equal(kvs_lease_keepalive(t->s, 5, &ttl), KC_ENOTFOUND);
    assert_int_equal(kvs_tick(t->s), 1);
    assert_null(get_value(t->s, "e1"));
    assert_null(get_value(t->s, "e2"));
    assert_non_null(get_value(t->s, "keep"));
    assert_int_equal(kvs_revision(t->s), rev + 1);
    assert_int_equal(ttl_of(t->s, 5, NULL), -1);
    assert_int_equal(kvs_tick(t->s), 0);
    assert_int_equal(ttl_of(t->s, 6, NULL), 45);
}

static void
test_list_order(void **state)
{
    struct tstore *t = *state;
    struct kvs_lease_grant_resp g;
    assert_int_equal(kvs_lease_grant(t->s, 10, 10, &g), 0); /* expires at 10 */
    assert_int_equal(kvs_lease_grant(t->s, 20, 20, &g), 0); /* at 20 */
    test_advance_ms(15000);
    int64_t ttl;
    assert_int_equal(kvs_lease_keepalive(t->s, 20, &ttl), 0); /* now at 35 */
    assert_int_equal(kvs_lease_grant(t->s, 30, 5, &g), 0);    /* at 20 */
    int64_t *ids = NULL, rev = 0;
    size_t n = 0;
    assert_int_equal(kvs_lease_list(t->s, &ids, &n, &rev), 0);
    assert_int_equal(n, 3);
    assert_int_equal(ids[0], 10);
    assert_int_equal(ids[1], 30);
    assert_int_equal(ids[2], 20);
    assert_int_equal(rev, 1);
    free(ids);
    assert_int_equal(kvs_lease_revoke(t->s, 10, NULL), 0);
    assert_int_equal(kvs_lease_revoke(t->s, 20, NULL), 0);
    assert_int_equal(kvs_lease_revoke(t->s, 30, NULL), 0);
    assert_int_equal(kvs_lease_list(t->s, &ids, &n, NULL), 0);
    assert_int_equal(n, 0);
    assert_null(ids);
}

static void
test_restart(void **state)
{
    struct tstore *t = *state;
    struct kvs_lease_grant_resp g;
    assert_int_equal(kvs_lease_grant(t->s, 8, 10, &g), 0);
    put_lease(t->s, "k", "v", 8);
    test_advance_ms(8000);
    assert_int_equal(ttl_of(t->s, 8, NULL), 2);
    tstore_reopen(t);
    /* as etcd's Promote(electionTimeout): the full TTL again plus 1 s */
    assert_int_equal(ttl_of(t->s, 8, NULL), 11);
    test_advance_ms(10999);
    assert_int_equal(kvs_tick(t->s), 0);
    test_advance_ms(1);
    assert_int_equal(kvs_tick(t->s), 1);
    assert_null(get_value(t->s, "k"));
}

static void
test_attach_detach(void **state)
{
    struct tstore *t = *state;
    struct kvs_lease_grant_resp g;
    assert_int_equal(kvs_lease_grant(t->s, 1, 60, &g), 0);
    assert_int_equal(kvs_lease_grant(t->s, 2, 60, &g), 0);
    put_lease(t->s, "k", "v", 1);
    put_lease(t->s, "k", "v", 2); /* moves k to lease 2 */
    struct kvs_lease_ttl_resp *r;
    assert_int_equal(kvs_lease_timetolive(t->s, 1, true, &r), 0);
    assert_int_equal(r->n_keys, 0);
    kvs_lease_ttl_free(r);
    assert_int_equal(kvs_lease_timetolive(t->s, 2, true, &r), 0);
    assert_int_equal(r->n_keys, 1);
    kvs_lease_ttl_free(r);
    assert_int_equal(kvs_lease_revoke(t->s, 1, NULL), 0);
    assert_non_null(get_value(t->s, "k"));
    put(t->s, "k", "v2"); /* no lease: detached */
    assert_int_equal(kvs_lease_timetolive(t->s, 2, true, &r), 0);
    assert_int_equal(r->n_keys, 0);
    kvs_lease_ttl_free(r);
    put_lease(t->s, "k", "v3", 2);
    del(t->s, "k", NULL); /* a delete detaches too */
    assert_int_equal(kvs_lease_timetolive(t->s, 2, true, &r), 0);
    assert_int_equal(r->n_keys, 0);
    kvs_lease_ttl_free(r);
    /* a long key attached to a lease */
    static char longk[1200];
    memset(longk, 'L', sizeof(longk) - 1);
    put_lease(t->s, longk, "v", 2);
    assert_int_equal(kvs_lease_timetolive(t->s, 2, true, &r), 0);
    assert_int_equal(r->n_keys, 1);
    assert_int_equal(r->keys[0].len, sizeof(longk) - 1);
    kvs_lease_ttl_free(r);
    assert_int_equal(kvs_lease_revoke(t->s, 2, NULL), 0);
    assert_null(get_value(t->s, longk));
}

static void
test_primary(void **state)
{
    struct tstore *t = *state;
    struct kvs_lease_grant_resp g;
    assert_int_equal(kvs_lease_grant(t->s, 4, 5, &g), 0);
    kvs_set_primary(t->s, false, 0);
    int64_t ttl;
    assert_int_equal(kvs_lease_keepalive(t->s, 4, &ttl), KVS_ENOTLEADER);
    assert_int_equal(ttl_of(t->s, 4, NULL), INT64_MAX / 1000000000); /* etcd: never expires off the leader */
    test_advance_ms(60000);
    assert_int_equal(kvs_tick(t->s), 0);
    kvs_set_primary(t->s, true, 1000);
    assert_int_equal(ttl_of(t->s, 4, NULL), 6);
    assert_int_equal(kvs_lease_keepalive(t->s, 4, &ttl), 0);
    test_advance_ms(5000);
    assert_int_equal(kvs_tick(t->s), 1);
}

static void
test_timer_thread(void **state)
{
    (void)state;
    /* the real clock and the store's own timer: a 1 s lease disappears without anyone calling kvs_tick */
    char *dir = test_mkdtemp();
    struct kvs_options o;
    kvs_options_init(&o);
    o.dir = dir;
    o.min_lease_ttl = 1;
    o.timer_interval_ms = 20;
    struct kvs *s;
    assert_int_equal(kvs_open(&o, &s), 0);
    struct kvs_lease_grant_resp g;
    assert_int_equal(kvs_lease_grant(s, 0, 1, &g), 0);
    assert_int_equal(g.ttl, 1);
    put_lease(s, "tmp", "v", g.id);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (get_value(s, "tmp")) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        assert_true(now.tv_sec - t0.tv_sec < 10);
        struct timespec ms = { 0, 5000000 };
        nanosleep(&ms, NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t ms = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 900);
    kvs_close(s);
    test_rmrf(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_grant, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_revoke, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_keepalive, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_timetolive, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_expiry, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_list_order, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_restart, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_attach_detach, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_primary, tstore_setup, tstore_teardown),
        cmocka_unit_test(test_timer_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
