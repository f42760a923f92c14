/* test_snapshot.c - snapshot streaming and restore: the restored store equals the original (data, history,
 * leases, applied index), consistency under concurrent writes, refused targets, bad streams, aborted copies.
 */
#include "kvs_test.h"

#include <pthread.h>
#include <sys/stat.h>

struct mem {
    uint8_t *p;
    size_t len, cap, pos;
    int fail_after; /* write: fail on this call (1-based), 0 never */
    int calls;
};

static int
mem_write(void *ctx, const void *buf, size_t len)
{
    struct mem *m = ctx;
    if (m->fail_after && ++m->calls >= m->fail_after)
        return -EIO;
    if (m->len + len > m->cap) {
        m->cap = (m->len + len) * 2;
        m->p = realloc(m->p, m->cap);
    }
    memcpy(m->p + m->len, buf, len);
    m->len += len;
    return 0;
}

static int
mem_read(void *ctx, void *buf, size_t cap, size_t *got)
{
    struct mem *m = ctx;
    size_t n = m->len - m->pos < cap ? m->len - m->pos : cap;
    if (n > 1000)
        n = 1000; /* small chunks: exercise the loop */
    memcpy(buf, m->p + m->pos, n);
    m->pos += n;
    *got = n;
    return 0;
}

static void
dump_at(struct kvs *s, int64_t rev, char *out, size_t cap)
{
    struct kvs_range_req rq = { .key = { "\0", 1 }, .range_end = { "\0", 1 }, .revision = rev };
    struct kvs_resp *r;
    assert_int_equal(kvs_range(s, &rq, &r), 0);
    size_t off = 0;
    out[0] = 0;
    for (size_t i = 0; i < r->n_kvs && off < cap; i++)
        off += (size_t)snprintf(out + off, cap - off, "%.*s=%.*s@%lld/%lld/%lld/%lld;", (int)r->kvs[i].key_len,
                                r->kvs[i].key, (int)r->kvs[i].value_len, r->kvs[i].value,
                                (long long)r->kvs[i].create_revision, (long long)r->kvs[i].mod_revision,
                                (long long)r->kvs[i].version, (long long)r->kvs[i].lease);
    kvs_resp_free(r);
}

static void
test_snapshot_restore(void **state)
{
    struct tstore *t = *state;
    struct kvs_lease_grant_resp g;
    assert_int_equal(kvs_lease_grant(t->s, 11, 40, &g), 0);
    char k[16];
    for (int i = 0; i < 50; i++) {
        snprintf(k, sizeof(k), "k%02d", i % 13);
        if (i % 9 == 8)
            del(t->s, k, NULL);
        else if (i % 4 == 0)
            put_lease(t->s, k, "leased", 11);
        else
            put(t->s, k, "v");
    }
    assert_int_equal(kvs_compact(t->s, 20, true, NULL), 0);
    struct mem m = { 0 };
    assert_int_equal(kvs_snapshot(t->s, mem_write, &m), 0);
    assert_true(m.len > 4096);

    char *dir = test_mkdtemp();
    char sub[256];
    snprintf(sub, sizeof(sub), "%s/restored", dir);
    assert_int_equal(kvs_restore(sub, mem_read, &m), 0);
    struct kvs_options o = t->o;
    o.dir = sub;
    struct kvs *r;
    assert_int_equal(kvs_open(&o, &r), 0);
    assert_int_equal(kvs_revision(r), kvs_revision(t->s));
    assert_int_equal(kvs_compact_revision(r), 20);
    assert_int_equal(kvs_applied_index(r), kvs_applied_index(t->s));
    static char a[16384], b[16384];
    for (int64_t rev = 20; rev <= kvs_revision(t->s); rev++) {
        dump_at(t->s, rev, a, sizeof(a));
        dump_at(r, rev, b, sizeof(b));
        assert_string_equal(a, b);
    }
    struct kvs_range_req old = { .key = B("k00"), .revision = 19 };
    struct kvs_resp *resp;
    assert_int_equal(kvs_range(r, &old, &resp), KC_ECOMPACTED);
    struct kvs_lease_ttl_resp *t1, *t2;
    assert_int_equal(kvs_lease_timetolive(t->s, 11, true, &t1), 0);
    assert_int_equal(kvs_lease_timetolive(r, 11, true, &t2), 0);
    assert_int_equal(t1->granted_ttl, t2->granted_ttl);
    assert_int_equal(t1->n_keys, t2->n_keys);
    assert_true(t2->n_keys > 0);
    kvs_lease_ttl_free(t1);
    kvs_lease_ttl_free(t2);
    /* the restored store goes on from there */
    int64_t rev = put(r, "after", "restore");
    assert_int_equal(rev, kvs_revision(t->s) + 1);
    kvs_close(r);
    /* a directory holding a store is refused */
    m.pos = 0;
    assert_int_equal(kvs_restore(sub, mem_read, &m), KC_EEXIST);
    free(m.p);
    test_rmrf(dir);
}

static void
test_restore_bad_stream(void **state)
{
    (void)state;
    char *dir = test_mkdtemp();
    char sub[256], path[300];
    snprintf(sub, sizeof(sub), "%s/x", dir);
    struct mem m = {
        (uint8_t *)strdup("this is not an lmdb file, just some bytes....................."), 60, 60, 0, 0, 0
    };
    assert_int_equal(kvs_restore(sub, mem_read, &m), KC_EINTERNAL);
    struct stat st;
    snprintf(path, sizeof(path), "%s/data.mdb", sub);
    assert_int_not_equal(stat(path, &st), 0);
    snprintf(path, sizeof(path), "%s/data.mdb.restore", sub);
    assert_int_not_equal(stat(path, &st), 0);
    m.len = 0;
    m.pos = 0;
    assert_int_equal(kvs_restore(sub, mem_read, &m), KC_EINTERNAL); /* empty */
    free(m.p);
    test_rmrf(dir);
}

static void
test_snapshot_abort(void **state)
{
    struct tstore *t = *state;
    static char v[4096];
    memset(v, 'a', sizeof(v) - 1);
    char k[16];
    for (int i = 0; i < 200; i++) {
        snprintf(k, sizeof(k), "a%03d", i);
        put(t->s, k, v);
    }
    struct mem m = { .fail_after = 2 };
    assert_int_equal(kvs_snapshot(t->s, mem_write, &m), -EIO);
    free(m.p);
    /* the store is fine and a second snapshot works */
    put(t->s, "after", "x");
    m = (struct mem){ 0 };
    assert_int_equal(kvs_snapshot(t->s, mem_write, &m), 0);
    assert_true(m.len > 200 * 4096);
    free(m.p);
}

static void *
snap_writer(void *arg)
{
    struct kvs *s = arg;
    char k[16];
    for (int i = 0; i < 300; i++) {
        snprintf(k, sizeof(k), "w%03d", i % 37);
        put(s, k, "x");
    }
    return NULL;
}

static void
test_snapshot_consistent(void **state)
{
    struct tstore *t = *state;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, snap_writer, t->s), 0);
    struct mem m = { 0 };
    usleep(5000);
    assert_int_equal(kvs_snapshot(t->s, mem_write, &m), 0);
    pthread_join(th, NULL);
    char *dir = test_mkdtemp();
    char sub[256];
    snprintf(sub, sizeof(sub), "%s/s", dir);
    assert_int_equal(kvs_restore(sub, mem_read, &m), 0);
    struct kvs_options o = t->o;
    o.dir = sub;
    struct kvs *r;
    assert_int_equal(kvs_open(&o, &r), 0);
    int64_t rev = kvs_revision(r);
    assert_true(rev >= 1 && rev <= kvs_revision(t->s));
    /* the copy is exactly the original as of its revision */
    static char a[16384], b[16384];
    dump_at(t->s, rev, a, sizeof(a));
    dump_at(r, 0, b, sizeof(b));
    assert_string_equal(a, b);
    assert_int_equal(kvs_applied_index(r), (uint64_t)rev - 1);
    kvs_close(r);
    free(m.p);
    test_rmrf(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_snapshot_restore, tstore_setup, tstore_teardown),
        cmocka_unit_test(test_restore_bad_stream),
        cmocka_unit_test_setup_teardown(test_snapshot_abort, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_consistent, tstore_setup, tstore_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
