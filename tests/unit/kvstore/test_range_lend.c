/* test_range_lend.c - kvs_range_lend: the same answer as kvs_range for every kind of range (limits, sorts,
 * filters, keys_only, count_only, old revisions, long keys), its bytes LMDB's own (inside data.mdb's mapping), one
 * revision's state while writers commit meanwhile, fn's return passed through, and the errors (fn not called). */
#include "kvs_test.h"

#include <inttypes.h>
#include <pthread.h>

#include "kc_time.h"

/* What a lend saw: the response's header and a deep copy of its pairs, for comparing with kvs_range. */
struct seen {
    int calls;
    int64_t revision, count;
    bool more;
    size_t n;
    struct kvs_kv *kvs; /* keys and values copied (malloc'ed) */
    bool value_null[64];
};

static void
seen_free(struct seen *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free((void *)s->kvs[i].key);
        free((void *)s->kvs[i].value);
    }
    free(s->kvs);
    memset(s, 0, sizeof(*s));
}

static int
copy_fn(void *arg, const struct kvs_resp *resp)
{
    struct seen *s = arg;
    s->calls++;
    s->revision = resp->revision;
    s->count = resp->count;
    s->more = resp->more;
    s->n = resp->n_kvs;
    assert_null(resp->priv);
    s->kvs = calloc(resp->n_kvs ? resp->n_kvs : 1, sizeof(*s->kvs));
    assert_non_null(s->kvs);
    for (size_t i = 0; i < resp->n_kvs; i++) {
        const struct kvs_kv *kv = &resp->kvs[i];
        s->kvs[i] = *kv;
        s->kvs[i].key = malloc(kv->key_len + 1);
        memcpy((void *)s->kvs[i].key, kv->key, kv->key_len);
        s->kvs[i].value = NULL;
        if (i < 64)
            s->value_null[i] = kv->value == NULL;
        if (kv->value) {
            s->kvs[i].value = malloc(kv->value_len + 1);
            memcpy((void *)s->kvs[i].value, kv->value, kv->value_len);
        }
    }
    return 0;
}

/* kvs_range and kvs_range_lend on rq: the same result, field by field and byte by byte. */
static void
expect_same(struct kvs *kv, const struct kvs_range_req *rq, const char *what)
{
    struct kvs_resp *r;
    int rc = kvs_range(kv, rq, &r);
    struct seen s = { 0 };
    int lrc = kvs_range_lend(kv, rq, copy_fn, &s);
    if (lrc != rc)
        fail_msg("%s: kvs_range_lend returned %d, kvs_range %d", what, lrc, rc);
    if (rc != 0) {
        assert_int_equal(s.calls, 0);
        return;
    }
    assert_int_equal(s.calls, 1);
    if (s.n != r->n_kvs || s.count != r->count || s.more != r->more || s.revision != r->revision)
        fail_msg("%s: lent n=%zu count=%" PRId64 " more=%d rev=%" PRId64 ", copied n=%zu count=%" PRId64
                 " more=%d rev=%" PRId64,
                 what, s.n, s.count, s.more, s.revision, r->n_kvs, r->count, r->more, r->revision);
    for (size_t i = 0; i < s.n; i++) {
        const struct kvs_kv *a = &s.kvs[i], *b = &r->kvs[i];
        if (a->key_len != b->key_len || memcmp(a->key, b->key, a->key_len) != 0)
            fail_msg("%s: key %zu differs", what, i);
        if (a->value_len != b->value_len || (a->value_len && memcmp(a->value, b->value, a->value_len) != 0))
            fail_msg("%s: value %zu differs (%zu vs %zu bytes)", what, i, a->value_len, b->value_len);
        if (i < 64 && s.value_null[i] != (b->value == NULL))
            fail_msg("%s: value %zu is %sNULL lent, %sNULL copied", what, i, s.value_null[i] ? "" : "not ",
                     b->value ? "not " : "");
        if (a->create_revision != b->create_revision || a->mod_revision != b->mod_revision ||
            a->version != b->version || a->lease != b->lease)
            fail_msg("%s: the revisions, version or lease of pair %zu differ", what, i);
    }
    seen_free(&s);
    kvs_resp_free(r);
}

static void
test_same_as_range(void **state)
{
    struct tstore *t = *state;
    char k[64], v[64];
    for (int i = 0; i < 40; i++) {
        snprintf(k, sizeof(k), "/registry/pods/ns%d/p%02d", i % 3, i);
        snprintf(v, sizeof(v), "{\"n\":%d}", i);
        put(t->s, k, v);
    }
    int64_t mid = kvs_revision(t->s);
    for (int i = 0; i < 40; i += 4) { /* updates, deletes, an empty value */
        snprintf(k, sizeof(k), "/registry/pods/ns%d/p%02d", i % 3, i);
        put(t->s, k, i % 8 ? "updated" : "");
        if (i % 12 == 0)
            del(t->s, k, NULL);
    }
    char *longk = malloc(1200);
    memset(longk, 'x', 1199);
    longk[1199] = '\0';
    memcpy(longk, "/registry/pods/ns1/", 19);
    put(t->s, longk, "long");
    longk[1198] = 'y';
    put(t->s, longk, "longer");
    free(longk);

    struct kvs_range_req rq = { .key = B("/registry/pods/"), .range_end = B("/registry/pods0") };
    expect_same(t->s, &rq, "prefix");
    rq.limit = 7;
    expect_same(t->s, &rq, "limit");
    rq.limit = 1000;
    expect_same(t->s, &rq, "limit above the count");
    rq.limit = 0;
    rq.revision = mid;
    expect_same(t->s, &rq, "an old revision");
    rq.revision = 0;
    rq.keys_only = true;
    expect_same(t->s, &rq, "keys_only");
    rq.keys_only = false;
    rq.count_only = true;
    expect_same(t->s, &rq, "count_only");
    rq.count_only = false;
    rq.sort_order = KVS_SORT_DESCEND;
    rq.sort_target = KVS_SORT_MOD;
    rq.limit = 5;
    expect_same(t->s, &rq, "sorted, limited");
    rq = (struct kvs_range_req){ .key = B("/registry/pods/"),
                                 .range_end = B("/registry/pods0"),
                                 .min_mod_revision = mid };
    expect_same(t->s, &rq, "filtered");
    rq = (struct kvs_range_req){ .key = B("/registry/pods/ns1/"), .range_end = B("/registry/pods/ns10") };
    expect_same(t->s, &rq, "a namespace with long keys");
    rq = (struct kvs_range_req){ .key = B("/registry/pods/ns1/p01") };
    expect_same(t->s, &rq, "a single key");
    rq = (struct kvs_range_req){ .key = B("/nothing") };
    expect_same(t->s, &rq, "a missing key");
    rq = (struct kvs_range_req){ .key = { "\0", 1 }, .range_end = { "\0", 1 } };
    expect_same(t->s, &rq, "every key");
    rq = (struct kvs_range_req){ .key = B("") };
    expect_same(t->s, &rq, "an empty key (KVS_EEMPTYKEY)");
    rq = (struct kvs_range_req){ .key = B("a"), .revision = kvs_revision(t->s) + 1 };
    expect_same(t->s, &rq, "a future revision (KC_EFUTUREREV)");
    assert_int_equal(kvs_compact(t->s, mid, true, NULL), 0);
    rq = (struct kvs_range_req){ .key = B("/registry/"), .range_end = B("/registry0"), .revision = mid - 1 };
    expect_same(t->s, &rq, "a compacted revision (KC_ECOMPACTED)");
    rq.revision = mid;
    expect_same(t->s, &rq, "the compaction revision");
}

/* Whether p lies in a mapping of path (from /proc/self/maps). */
static bool
in_mapping_of(const void *p, const char *path)
{
    FILE *f = fopen("/proc/self/maps", "r");
    assert_non_null(f);
    char line[4096];
    bool in = false;
    while (!in && fgets(line, sizeof(line), f)) {
        uintptr_t lo, hi;
        char *name = strchr(line, '/');
        if (!name || sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &lo, &hi) != 2)
            continue;
        name[strcspn(name, "\n")] = '\0';
        in = strcmp(name, path) == 0 && (uintptr_t)p >= lo && (uintptr_t)p < hi;
    }
    fclose(f);
    return in;
}

struct where {
    const char *data_path;
    int in_map, pairs;
};

static int
where_fn(void *arg, const struct kvs_resp *resp)
{
    struct where *w = arg;
    for (size_t i = 0; i < resp->n_kvs; i++) {
        w->pairs++;
        w->in_map += in_mapping_of(resp->kvs[i].value, w->data_path) && in_mapping_of(resp->kvs[i].key, w->data_path);
    }
    return 0;
}

static void
test_bytes_are_lmdbs(void **state)
{
    struct tstore *t = *state;
    put(t->s, "a", "one");
    put(t->s, "b", "two");
    char path[4200];
    snprintf(path, sizeof(path), "%s/data.mdb", t->dir);
    char real[4200];
    assert_non_null(realpath(path, real));
    struct where w = { real, 0, 0 };
    struct kvs_range_req rq = { .key = B("a"), .range_end = B("c") };
    assert_int_equal(kvs_range_lend(t->s, &rq, where_fn, &w), 0);
    assert_int_equal(w.pairs, 2);
    assert_int_equal(w.in_map, 2); /* keys and values point into data.mdb: nothing was copied */
    struct kvs_resp *r;
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_false(in_mapping_of(r->kvs[0].value, real)); /* kvs_range copies */
    kvs_resp_free(r);
}

static int
return_fn(void *arg, const struct kvs_resp *resp)
{
    (void)resp;
    int *calls = arg;
    return ++*calls == 1 ? 42 : -EIO;
}

static void
test_errors_and_return(void **state)
{
    struct tstore *t = *state;
    put(t->s, "a", "1");
    struct kvs_range_req rq = { .key = B("a") };
    int calls = 0;
    assert_int_equal(kvs_range_lend(t->s, &rq, return_fn, &calls), 42);
    assert_int_equal(kvs_range_lend(t->s, &rq, return_fn, &calls), -EIO);
    assert_int_equal(calls, 2);
    assert_int_equal(kvs_range_lend(NULL, &rq, return_fn, &calls), KC_EINVALID);
    assert_int_equal(kvs_range_lend(t->s, NULL, return_fn, &calls), KC_EINVALID);
    assert_int_equal(kvs_range_lend(t->s, &rq, NULL, &calls), KC_EINVALID);
    rq.sort_target = (enum kvs_sort_target)9;
    assert_int_equal(kvs_range_lend(t->s, &rq, return_fn, &calls), KC_EINVALID);
    assert_int_equal(calls, 2);
    /* the store still works after fn failed: the read txn was ended */
    assert_string_equal(get_value(t->s, "a"), "1");
    put(t->s, "a", "2");
    assert_string_equal(get_value(t->s, "a"), "2");
}

/* While fn holds the read txn, a writer commits new revisions of the same keys: fn keeps seeing one revision's
 * bytes, unchanged; writes are not held back (the map does not need to grow here); a checkpoint completes. */
struct writer {
    struct kvs *s;
    int done; /* puts committed (atomic) */
    int want;
    int put_rc, ckpt_rc;
};

static void *
writer_main(void *arg)
{
    struct writer *w = arg;
    char v[64];
    for (int i = 0; i < w->want; i++) {
        snprintf(v, sizeof(v), "round %d", i + 1);
        for (int k = 0; k < 10; k++) {
            char key[16];
            snprintf(key, sizeof(key), "k%d", k);
            struct kvs_put_req r = { .key = B(key), .value = B(v) };
            struct kvs_resp *resp = NULL;
            int rc = kvs_put(w->s, &r, &resp); /* no cmocka asserts off the test's thread */
            if (rc && !w->put_rc)
                w->put_rc = rc;
            kvs_resp_free(resp);
        }
        __atomic_add_fetch(&w->done, 1, __ATOMIC_SEQ_CST);
    }
    w->ckpt_rc = kvs_checkpoint(w->s);
    __atomic_add_fetch(&w->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

struct snap {
    struct writer *w;
    int64_t rev;
    bool waited;
};

static int
snap_fn(void *arg, const struct kvs_resp *resp)
{
    struct snap *sn = arg;
    sn->rev = resp->revision;
    assert_int_equal(resp->n_kvs, 10);
    char before[10][32];
    for (size_t i = 0; i < 10; i++) {
        const struct kvs_kv *kv = &resp->kvs[i];
        assert_true(kv->mod_revision <= resp->revision);
        assert_true(kv->value_len < sizeof(before[i]));
        memcpy(before[i], kv->value, kv->value_len);
        before[i][kv->value_len] = '\0';
        assert_string_equal(before[i], "round 0");
    }
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, writer_main, sn->w), 0);
    int64_t deadline = kc_time_mono_ns() + 20 * 1000000000LL;
    while (__atomic_load_n(&sn->w->done, __ATOMIC_SEQ_CST) < sn->w->want + 1 && kc_time_mono_ns() < deadline)
        usleep(1000);
    sn->waited = __atomic_load_n(&sn->w->done, __ATOMIC_SEQ_CST) == sn->w->want + 1;
    pthread_join(th, NULL);
    for (size_t i = 0; i < 10; i++) { /* the lent bytes did not move or change */
        const struct kvs_kv *kv = &resp->kvs[i];
        assert_int_equal(kv->value_len, strlen(before[i]));
        assert_memory_equal(kv->value, before[i], kv->value_len);
    }
    return 0;
}

static void
test_one_revision_while_writing(void **state)
{
    struct tstore *t = *state;
    t->o.initial_map_bytes = 64 << 20; /* room for the writes, so that none needs the map to grow */
    tstore_reopen(t);
    for (int k = 0; k < 10; k++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", k);
        put(t->s, key, "round 0");
    }
    int64_t rev0 = kvs_revision(t->s);
    struct writer w = { .s = t->s, .want = 20 };
    struct snap sn = { .w = &w };
    struct kvs_range_req rq = { .key = B("k"), .range_end = B("l") };
    assert_int_equal(kvs_range_lend(t->s, &rq, snap_fn, &sn), 0);
    assert_true(sn.waited); /* 200 puts and a checkpoint committed while the lend was open */
    assert_int_equal(w.put_rc, 0);
    assert_int_equal(w.ckpt_rc, 0);
    assert_int_equal(sn.rev, rev0);
    assert_int_equal(kvs_revision(t->s), rev0 + 200);
    assert_string_equal(get_value(t->s, "k3"), "round 20");
    tstore_reopen(t); /* and everything is durable */
    assert_string_equal(get_value(t->s, "k9"), "round 20");
    assert_int_equal(kvs_revision(t->s), rev0 + 200);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_as_range, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_bytes_are_lmdbs, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_errors_and_return, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_one_revision_while_writing, tstore_setup, tstore_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
