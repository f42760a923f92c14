/* test_mvcc.c - the MVCC core against etcd 3.4's semantics: revisions, versions, tombstones, range ends, limit,
 * count, sort, filters, reads at old revisions, put/delete options, long and binary keys, error texts.
 */
#include "kvs_test.h"

static void
test_initial_state(void **state)
{
    struct tstore *t = *state;
    assert_int_equal(kvs_revision(t->s), 1);
    assert_int_equal(kvs_compact_revision(t->s), -1);
    assert_int_equal(kvs_applied_index(t->s), 0);
    struct kvs_resp *r = get_range(t->s, "a", NULL, 0);
    assert_int_equal(r->revision, 1);
    assert_int_equal(r->count, 0);
    assert_int_equal(r->n_kvs, 0);
    assert_false(r->more);
    kvs_resp_free(r);
}

static void
test_put_versions(void **state)
{
    struct tstore *t = *state;
    assert_int_equal(put(t->s, "a", "1"), 2);
    assert_int_equal(put(t->s, "a", "2"), 3);
    assert_int_equal(put(t->s, "b", "x"), 4);
    struct kvs_resp *r = get_range(t->s, "a", NULL, 0);
    assert_int_equal(r->n_kvs, 1);
    assert_key(&r->kvs[0], "a");
    assert_value(&r->kvs[0], "2");
    assert_int_equal(r->kvs[0].create_revision, 2);
    assert_int_equal(r->kvs[0].mod_revision, 3);
    assert_int_equal(r->kvs[0].version, 2);
    assert_int_equal(r->kvs[0].lease, 0);
    assert_int_equal(r->revision, 4);
    kvs_resp_free(r);
    /* the same value again still makes a revision */
    assert_int_equal(put(t->s, "a", "2"), 5);
    assert_int_equal(kvs_applied_index(t->s), 4);
}

static void
test_delete_tombstone(void **state)
{
    struct tstore *t = *state;
    put(t->s, "a", "1");                       /* 2 */
    put(t->s, "a", "2");                       /* 3 */
    assert_int_equal(del(t->s, "a", NULL), 1); /* 4 */
    assert_int_equal(kvs_revision(t->s), 4);
    assert_null(get_value(t->s, "a"));
    /* history is still readable */
    struct kvs_resp *r = get_range(t->s, "a", NULL, 3);
    assert_int_equal(r->n_kvs, 1);
    assert_value(&r->kvs[0], "2");
    assert_int_equal(r->revision, 4); /* header = current revision even at an old revision */
    kvs_resp_free(r);
    /* deleting nothing makes no revision, header is the current one */
    struct kvs_delete_req dr = { .key = B("zzz") };
    struct kvs_resp *dresp;
    assert_int_equal(kvs_delete_range(t->s, &dr, &dresp), 0);
    assert_int_equal(dresp->deleted, 0);
    assert_int_equal(dresp->revision, 4);
    kvs_resp_free(dresp);
    assert_int_equal(kvs_revision(t->s), 4);
    /* re-creating starts a new generation */
    assert_int_equal(put(t->s, "a", "3"), 5);
    r = get_range(t->s, "a", NULL, 0);
    assert_int_equal(r->kvs[0].create_revision, 5);
    assert_int_equal(r->kvs[0].version, 1);
    kvs_resp_free(r);
}

static void
test_range_end(void **state)
{
    struct tstore *t = *state;
    const char *keys[] = { "a", "ab", "abc", "b", "c" };
    for (size_t i = 0; i < 5; i++)
        put(t->s, keys[i], keys[i]);
    struct kvs_resp *r = get_range(t->s, "ab", NULL, 0); /* single key */
    assert_int_equal(r->n_kvs, 1);
    assert_key(&r->kvs[0], "ab");
    kvs_resp_free(r);
    r = get_range(t->s, "a", "b", 0); /* prefix "a" */
    assert_int_equal(r->n_kvs, 3);
    assert_key(&r->kvs[0], "a");
    assert_key(&r->kvs[2], "abc");
    kvs_resp_free(r);
    struct kvs_range_req rq = { .key = B("ab"), .range_end = { "\0", 1 } }; /* every key >= "ab" */
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_int_equal(r->n_kvs, 4);
    assert_key(&r->kvs[0], "ab");
    assert_key(&r->kvs[3], "c");
    kvs_resp_free(r);
    rq = (struct kvs_range_req){ .key = { "\0", 1 }, .range_end = { "\0", 1 } }; /* all keys */
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_int_equal(r->n_kvs, 5);
    assert_int_equal(r->count, 5);
    kvs_resp_free(r);
    r = get_range(t->s, "c", "a", 0); /* end before key: nothing */
    assert_int_equal(r->n_kvs, 0);
    assert_int_equal(r->count, 0);
    kvs_resp_free(r);
    r = get_range(t->s, "abd", "abe", 0); /* no match */
    assert_int_equal(r->n_kvs, 0);
    kvs_resp_free(r);
}

static void
test_limit_count(void **state)
{
    struct tstore *t = *state;
    char k[8];
    for (int i = 0; i < 5; i++) {
        snprintf(k, sizeof(k), "k%d", i);
        put(t->s, k, "v");
    }
    struct kvs_range_req rq = { .key = B("k"), .range_end = B("l"), .limit = 2 };
    struct kvs_resp *r;
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_int_equal(r->n_kvs, 2);
    assert_true(r->more);
    assert_int_equal(r->count, 5); /* count ignores limit */
    assert_key(&r->kvs[1], "k1");
    kvs_resp_free(r);
    rq.limit = 5;
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_int_equal(r->n_kvs, 5);
    assert_false(r->more);
    kvs_resp_free(r);
    rq.limit = 0;
    rq.count_only = true;
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_int_equal(r->n_kvs, 0);
    assert_int_equal(r->count, 5);
    assert_false(r->more);
    kvs_resp_free(r);
    rq.count_only = false;
    rq.keys_only = true;
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_int_equal(r->n_kvs, 5);
    assert_null(r->kvs[0].value);
    assert_int_equal(r->kvs[0].value_len, 0);
    assert_int_equal(r->kvs[0].version, 1);
    assert_int_equal(r->kvs[0].mod_revision, 2);
    kvs_resp_free(r);
}

/* keys a..e with versions, create and mod revisions and values in different orders */
static void
sort_fixture(struct kvs *s)
{
    put(s, "c", "3"); /* 2 */
    put(s, "a", "5"); /* 3 */
    put(s, "b", "1"); /* 4 */
    put(s, "a", "4"); /* 5: a version 2 */
    put(s, "d", "2"); /* 6 */
    put(s, "c", "3"); /* 7: c version 2 */
    put(s, "c", "3"); /* 8: c version 3 */
}

static void
expect_order(struct kvs *s, enum kvs_sort_order o, enum kvs_sort_target tg, int64_t limit, const char *want)
{
    struct kvs_range_req rq = {
        .key = B("a"), .range_end = B("z"), .sort_order = o, .sort_target = tg, .limit = limit
    };
    struct kvs_resp *r;
    assert_int_equal(kvs_range(s, &rq, &r), 0);
    char got[16] = { 0 };
    for (size_t i = 0; i < r->n_kvs && i < sizeof(got) - 1; i++)
        got[i] = (char)r->kvs[i].key[0];
    assert_string_equal(got, want);
    kvs_resp_free(r);
}

static void
test_sort(void **state)
{
    struct tstore *t = *state;
    sort_fixture(t->s);
    /* versions: a 2, b 1, c 3, d 1; create: c 2, a 3, b 4, d 6; mod: b 4, a 5, d 6, c 8; value: b 1, d 2, c 3, a 4 */
    expect_order(t->s, KVS_SORT_NONE, KVS_SORT_KEY, 0, "abcd");
    expect_order(t->s, KVS_SORT_ASCEND, KVS_SORT_KEY, 0, "abcd");
    expect_order(t->s, KVS_SORT_DESCEND, KVS_SORT_KEY, 0, "dcba");
    expect_order(t->s, KVS_SORT_ASCEND, KVS_SORT_VERSION, 0, "bdac"); /* ties (b, d) stay in key order */
    expect_order(t->s, KVS_SORT_DESCEND, KVS_SORT_VERSION, 0, "cabd");
    expect_order(t->s, KVS_SORT_NONE, KVS_SORT_VERSION, 0, "bdac"); /* NONE with a target: ascending */
    expect_order(t->s, KVS_SORT_ASCEND, KVS_SORT_CREATE, 0, "cabd");
    expect_order(t->s, KVS_SORT_DESCEND, KVS_SORT_CREATE, 0, "dbac");
    expect_order(t->s, KVS_SORT_ASCEND, KVS_SORT_MOD, 0, "badc");
    expect_order(t->s, KVS_SORT_DESCEND, KVS_SORT_MOD, 0, "cdab");
    expect_order(t->s, KVS_SORT_ASCEND, KVS_SORT_VALUE, 0, "bdca");
    expect_order(t->s, KVS_SORT_DESCEND, KVS_SORT_VALUE, 0, "acdb");
    /* with an order, everything is fetched, sorted, then cut */
    expect_order(t->s, KVS_SORT_DESCEND, KVS_SORT_MOD, 2, "cd");
    /* NONE with a target and a limit: etcd fetches limit+1 in key order, then sorts those */
    expect_order(t->s, KVS_SORT_NONE, KVS_SORT_MOD, 2, "ba");
    struct kvs_range_req rq = {
        .key = B("a"), .range_end = B("z"), .sort_order = KVS_SORT_DESCEND, .sort_target = KVS_SORT_MOD, .limit = 2
    };
    struct kvs_resp *r;
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_true(r->more);
    assert_int_equal(r->count, 4);
    kvs_resp_free(r);
    rq.sort_target = (enum kvs_sort_target)9;
    assert_int_equal(kvs_range(t->s, &rq, &r), KC_EINVALID);
}

static void
test_filters(void **state)
{
    struct tstore *t = *state;
    sort_fixture(t->s);
    struct kvs_range_req rq = { .key = B("a"), .range_end = B("z"), .min_mod_revision = 5 };
    struct kvs_resp *r;
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_int_equal(r->n_kvs, 3); /* a(5) c(8) d(6) */
    assert_int_equal(r->count, 4); /* count ignores the filters, as etcd 3.4 */
    kvs_resp_free(r);
    rq = (struct kvs_range_req){ .key = B("a"), .range_end = B("z"), .max_mod_revision = 5 };
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_int_equal(r->n_kvs, 2); /* a b */
    kvs_resp_free(r);
    rq = (struct kvs_range_req){
        .key = B("a"), .range_end = B("z"), .min_create_revision = 3, .max_create_revision = 4
    };
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_int_equal(r->n_kvs, 2); /* a(3) b(4) */
    assert_key(&r->kvs[0], "a");
    kvs_resp_free(r);
    /* limit applies after the filters; more says whether filtered pairs were cut */
    rq = (struct kvs_range_req){ .key = B("a"), .range_end = B("z"), .min_mod_revision = 5, .limit = 2 };
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_int_equal(r->n_kvs, 2);
    assert_true(r->more);
    assert_key(&r->kvs[0], "a");
    assert_key(&r->kvs[1], "c");
    kvs_resp_free(r);
    rq.limit = 3;
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_false(r->more);
    kvs_resp_free(r);
}

static void
test_old_revisions(void **state)
{
    struct tstore *t = *state;
    put(t->s, "k", "v1"); /* 2 */
    put(t->s, "k", "v2"); /* 3 */
    del(t->s, "k", NULL); /* 4 */
    put(t->s, "k", "v3"); /* 5 */
    const char *want[] = { NULL, NULL, "v1", "v2", NULL, "v3" };
    for (int rev = 1; rev <= 5; rev++) {
        struct kvs_resp *r = get_range(t->s, "k", NULL, rev);
        assert_int_equal(r->revision, 5);
        if (want[rev]) {
            assert_int_equal(r->n_kvs, 1);
            assert_value(&r->kvs[0], want[rev]);
        } else {
            assert_int_equal(r->n_kvs, 0);
        }
        kvs_resp_free(r);
    }
    struct kvs_range_req rq = { .key = B("k"), .revision = 6 };
    struct kvs_resp *r = NULL;
    assert_int_equal(kvs_range(t->s, &rq, &r), KC_EFUTUREREV);
    assert_null(r);
    rq.revision = -3; /* a negative revision reads the current one, as etcd's rangeKeys */
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_int_equal(r->n_kvs, 1);
    kvs_resp_free(r);
    /* a range at an old revision over a prefix */
    r = get_range(t->s, "a", "z", 3);
    assert_int_equal(r->count, 1);
    assert_int_equal(r->kvs[0].version, 2);
    kvs_resp_free(r);
}

static void
test_request_errors(void **state)
{
    struct tstore *t = *state;
    struct kvs_resp *r = NULL;
    struct kvs_range_req rq = { 0 };
    assert_int_equal(kvs_range(t->s, &rq, &r), KVS_EEMPTYKEY);
    struct kvs_put_req pr = { .value = B("v") };
    assert_int_equal(kvs_put(t->s, &pr, &r), KVS_EEMPTYKEY);
    struct kvs_delete_req dr = { 0 };
    assert_int_equal(kvs_delete_range(t->s, &dr, &r), KVS_EEMPTYKEY);
    pr = (struct kvs_put_req){ .key = B("k"), .value = B("v"), .ignore_value = true };
    assert_int_equal(kvs_put(t->s, &pr, &r), KVS_EVALUEPROVIDED);
    pr = (struct kvs_put_req){ .key = B("k"), .lease = 5, .ignore_lease = true };
    assert_int_equal(kvs_put(t->s, &pr, &r), KVS_ELEASEPROVIDED);
    pr = (struct kvs_put_req){ .key = B("k"), .value = B("v"), .lease = 12345 };
    assert_int_equal(kvs_put(t->s, &pr, &r), KC_ENOTFOUND);
    pr = (struct kvs_put_req){ .key = B("k"), .ignore_value = true };
    assert_int_equal(kvs_put(t->s, &pr, &r), KVS_EKEYNOTFOUND);
    pr = (struct kvs_put_req){ .key = B("k"), .value = B("v"), .ignore_lease = true };
    assert_int_equal(kvs_put(t->s, &pr, &r), KVS_EKEYNOTFOUND);
    /* standalone put checks the lease before ignore_value, as etcd's applier */
    pr = (struct kvs_put_req){ .key = B("k"), .lease = 777, .ignore_value = true };
    assert_int_equal(kvs_put(t->s, &pr, &r), KC_ENOTFOUND);
    assert_null(r);
    assert_int_equal(kvs_put(t->s, NULL, &r), KC_EINVALID);
    assert_int_equal(kvs_range(t->s, &rq, NULL), KC_EINVALID);
    /* failed writes consume log entries but no revision */
    assert_int_equal(kvs_revision(t->s), 1);
    assert_true(kvs_applied_index(t->s) >= 3);
}

static void
test_put_options(void **state)
{
    struct tstore *t = *state;
    struct kvs_lease_grant_resp g;
    assert_int_equal(kvs_lease_grant(t->s, 42, 100, &g), 0);
    put_lease(t->s, "k", "v1", 42); /* 2 */
    struct kvs_put_req pr = { .key = B("k"), .value = B("v2"), .prev_kv = true };
    struct kvs_resp *r;
    assert_int_equal(kvs_put(t->s, &pr, &r), 0); /* 3: drops the lease */
    assert_int_equal(r->revision, 3);
    assert_non_null(r->prev_kv);
    assert_value(r->prev_kv, "v1");
    assert_int_equal(r->prev_kv->lease, 42);
    assert_int_equal(r->prev_kv->mod_revision, 2);
    kvs_resp_free(r);
    pr = (struct kvs_put_req){ .key = B("new"), .value = B("x"), .prev_kv = true };
    assert_int_equal(kvs_put(t->s, &pr, &r), 0);
    assert_null(r->prev_kv); /* no previous pair */
    kvs_resp_free(r);
    put_lease(t->s, "k", "v3", 42); /* 5 */
    /* ignore_value keeps the value, sets the lease */
    pr = (struct kvs_put_req){ .key = B("k"), .ignore_value = true };
    assert_int_equal(kvs_put(t->s, &pr, &r), 0);
    kvs_resp_free(r);
    r = get_range(t->s, "k", NULL, 0);
    assert_value(&r->kvs[0], "v3");
    assert_int_equal(r->kvs[0].lease, 0);
    assert_int_equal(r->kvs[0].version, 4);
    kvs_resp_free(r);
    put_lease(t->s, "k", "v4", 42);
    /* ignore_lease keeps the lease, sets the value */
    pr = (struct kvs_put_req){ .key = B("k"), .value = B("v5"), .ignore_lease = true };
    assert_int_equal(kvs_put(t->s, &pr, &r), 0);
    kvs_resp_free(r);
    r = get_range(t->s, "k", NULL, 0);
    assert_value(&r->kvs[0], "v5");
    assert_int_equal(r->kvs[0].lease, 42);
    kvs_resp_free(r);
}

static void
test_delete_range_prev(void **state)
{
    struct tstore *t = *state;
    put(t->s, "p/1", "a");
    put(t->s, "p/2", "b");
    put(t->s, "q", "c");
    struct kvs_delete_req dr = { .key = B("p/"), .range_end = B("p0"), .prev_kv = true };
    struct kvs_resp *r;
    assert_int_equal(kvs_delete_range(t->s, &dr, &r), 0);
    assert_int_equal(r->deleted, 2);
    assert_int_equal(r->n_kvs, 2);
    assert_key(&r->kvs[0], "p/1");
    assert_value(&r->kvs[1], "b");
    assert_int_equal(r->revision, 5); /* both in one revision */
    kvs_resp_free(r);
    assert_int_equal(kvs_revision(t->s), 5);
    assert_non_null(get_value(t->s, "q"));
    /* delete everything >= key */
    dr = (struct kvs_delete_req){ .key = { "\0", 1 }, .range_end = { "\0", 1 } };
    assert_int_equal(kvs_delete_range(t->s, &dr, &r), 0);
    assert_int_equal(r->deleted, 1);
    assert_int_equal(r->n_kvs, 0); /* no prev_kv asked */
    kvs_resp_free(r);
}

/* Keys longer than LMDB's key limit share a prefix index key + sha256; order and ranges must still be exact. */
static void
test_long_keys(void **state)
{
    struct tstore *t = *state;
    char *base = malloc(2100);
    assert_non_null(base);
    memset(base, 'x', 2099);
    base[2099] = 0;
    char k1[2101], k2[2101], k3[2101], k4[700], kshort[400];
    snprintf(k1, sizeof(k1), "%.*sb", 600, base);  /* 601 bytes */
    snprintf(k2, sizeof(k2), "%.*sa", 1500, base); /* 1501 bytes: sorts after k1? compare at byte 600 */
    snprintf(k3, sizeof(k3), "%.*s", 600, base);   /* 600 x's: a prefix of k1 and k2 */
    snprintf(k4, sizeof(k4), "%.*sc", 520, base);  /* 521 bytes */
    snprintf(kshort, sizeof(kshort), "%.*s", 300, base);
    const char *keys[] = { k1, k2, k3, k4, kshort };
    for (int i = 0; i < 5; i++)
        put(t->s, keys[i], keys[i] + strlen(keys[i]) - 1);
    /* byte order: kshort(300x) < k3(600x) < k2(600x..x a) ... compare k2 vs k1 at byte 600: 'x' vs 'b' */
    const char *want[] = { kshort, k4, k3, k1, k2 };
    /* k4 = 520x + 'c' vs k3 = 600x: at byte 520 'c' < 'x' so k4 < k3; k1 = 600x + 'b' > k3; k2 = 1500x+'a' > k1 */
    struct kvs_range_req rq = { .key = B("x"), .range_end = B("y") };
    struct kvs_resp *r;
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_int_equal(r->n_kvs, 5);
    for (int i = 0; i < 5; i++)
        assert_key(&r->kvs[i], want[i]);
    kvs_resp_free(r);
    /* single long key get, update, version */
    put(t->s, k2, "new");
    r = get_range(t->s, k2, NULL, 0);
    assert_int_equal(r->n_kvs, 1);
    assert_value(&r->kvs[0], "new");
    assert_int_equal(r->kvs[0].version, 2);
    kvs_resp_free(r);
    /* a range starting and ending inside the long group */
    rq = (struct kvs_range_req){ .key = B(k3), .range_end = B(k2) };
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_int_equal(r->n_kvs, 2); /* k3, k1 */
    assert_key(&r->kvs[0], k3);
    assert_key(&r->kvs[1], k1);
    kvs_resp_free(r);
    rq = (struct kvs_range_req){ .key = B(k1), .range_end = { "\0", 1 } };
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_int_equal(r->n_kvs, 2); /* k1, k2 */
    kvs_resp_free(r);
    assert_int_equal(del(t->s, k1, NULL), 1);
    assert_null(get_value(t->s, k1));
    assert_non_null(get_value(t->s, k2));
    r = get_range(t->s, "x", "y", 0);
    assert_int_equal(r->count, 4);
    kvs_resp_free(r);
    free(base);
}

static void
test_binary_keys(void **state)
{
    struct tstore *t = *state;
    struct kvs_put_req pr = { .key = { "\0a", 2 }, .value = { "\xff\0", 2 } };
    struct kvs_resp *r;
    assert_int_equal(kvs_put(t->s, &pr, &r), 0);
    kvs_resp_free(r);
    pr.key = (struct kvs_buf){ "\xff\xff", 2 };
    assert_int_equal(kvs_put(t->s, &pr, &r), 0);
    kvs_resp_free(r);
    struct kvs_range_req rq = { .key = { "\0", 1 }, .range_end = { "\0", 1 } };
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_int_equal(r->n_kvs, 2);
    assert_int_equal(r->kvs[0].key_len, 2);
    assert_memory_equal(r->kvs[0].key, "\0a", 2);
    assert_memory_equal(r->kvs[0].value, "\xff\0", 2);
    assert_memory_equal(r->kvs[1].key, "\xff\xff", 2);
    kvs_resp_free(r);
}

static void
test_error_messages(void **state)
{
    (void)state;
    static const struct {
        int err, code;
        const char *msg;
    } cases[] = {
        { KC_ECOMPACTED, 11, "etcdserver: mvcc: required revision has been compacted" },
        { KC_EFUTUREREV, 11, "etcdserver: mvcc: required revision is a future revision" },
        { KC_ENOSPACE, 8, "etcdserver: mvcc: database space exceeded" },
        { KC_ENOTFOUND, 5, "etcdserver: requested lease not found" },
        { KC_EEXIST, 9, "etcdserver: lease already exists" },
        { KC_ETOOLARGE, 3, "etcdserver: request is too large" },
        { KVS_EEMPTYKEY, 3, "etcdserver: key is not provided" },
        { KVS_EKEYNOTFOUND, 3, "etcdserver: key not found" },
        { KVS_EVALUEPROVIDED, 3, "etcdserver: value is provided" },
        { KVS_ELEASEPROVIDED, 3, "etcdserver: lease is provided" },
        { KVS_ETOOMANYOPS, 3, "etcdserver: too many operations in txn request" },
        { KVS_EDUPKEY, 3, "etcdserver: duplicate key given in txn request" },
        { KVS_ETTLTOOLARGE, 11, "etcdserver: too large lease TTL" },
        { KVS_EWATCHRANGE, 3, "mvcc: watcher range is empty" },
        { KC_EUNAVAILABLE, 14, "etcdserver: server stopped" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int code = -1;
        assert_string_equal(kvs_error_message(cases[i].err, &code), cases[i].msg);
        assert_int_equal(code, cases[i].code);
    }
    int code = -1;
    assert_string_equal(kvs_error_message(0, &code), "");
    assert_int_equal(code, 0);
    kvs_error_message(-EIO, &code);
    assert_int_equal(code, 2);
    assert_int_equal(kvs_error_kc(KVS_EDUPKEY), KC_EINVALID);
    assert_int_equal(kvs_error_kc(KVS_ENOTLEADER), KC_EUNAVAILABLE);
    assert_int_equal(kvs_error_kc(KC_ECOMPACTED), KC_ECOMPACTED);
    assert_int_equal(kvs_error_kc(-ENOMEM), -ENOMEM);
}

static void
test_many_keys(void **state)
{
    struct tstore *t = *state;
    char k[32], v[32];
    for (int i = 0; i < 300; i++) {
        snprintf(k, sizeof(k), "/registry/pods/ns/p%04d", i);
        snprintf(v, sizeof(v), "value-%d", i);
        put(t->s, k, v);
    }
    for (int i = 0; i < 300; i += 3) {
        snprintf(k, sizeof(k), "/registry/pods/ns/p%04d", i);
        del(t->s, k, NULL);
    }
    struct kvs_range_req rq = { .key = B("/registry/pods/"), .range_end = B("/registry/pods0"), .limit = 50 };
    struct kvs_resp *r;
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_int_equal(r->count, 200);
    assert_int_equal(r->n_kvs, 50);
    assert_true(r->more);
    assert_key(&r->kvs[0], "/registry/pods/ns/p0001");
    assert_key(&r->kvs[1], "/registry/pods/ns/p0002");
    assert_key(&r->kvs[2], "/registry/pods/ns/p0004");
    kvs_resp_free(r);
    /* the list as of the revision before the deletes has all 300 */
    rq.revision = 301;
    rq.limit = 0;
    assert_int_equal(kvs_range(t->s, &rq, &r), 0);
    assert_int_equal(r->count, 300);
    assert_int_equal(r->n_kvs, 300);
    kvs_resp_free(r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_initial_state, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_put_versions, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_delete_tombstone, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_range_end, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_limit_count, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_sort, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_filters, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_old_revisions, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_request_errors, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_put_options, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_delete_range_prev, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_long_keys, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_binary_keys, tstore_setup, tstore_teardown),
        cmocka_unit_test(test_error_messages),
        cmocka_unit_test_setup_teardown(test_many_keys, tstore_setup, tstore_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
