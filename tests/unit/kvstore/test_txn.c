/* test_txn.c - txns as etcd 3.4: compare targets and results, range compares, nested txns evaluated on the state
 * before the txn, one revision per txn, the duplicate-key and op-count checks, branch-only checks.
 */
#include "kvs_test.h"

static struct kvs_op
op_put(const char *k, const char *v)
{
    return (struct kvs_op){ .type = KVS_OP_PUT, .put = { .key = B(k), .value = B(v) } };
}

static struct kvs_op
op_del(const char *k, const char *end)
{
    return (struct kvs_op){ .type = KVS_OP_DELETE_RANGE,
                            .del = { .key = B(k), .range_end = end ? B(end) : (struct kvs_buf){ 0 } } };
}

static struct kvs_op
op_range(const char *k, const char *end, int64_t rev)
{
    return (
        struct kvs_op){ .type = KVS_OP_RANGE,
                        .range = { .key = B(k), .range_end = end ? B(end) : (struct kvs_buf){ 0 }, .revision = rev } };
}

static struct kvs_op
op_txn(const struct kvs_txn_req *t)
{
    return (struct kvs_op){ .type = KVS_OP_TXN, .txn = t };
}

static struct kvs_compare
cmp_num(const char *k, enum kvs_compare_target tg, enum kvs_compare_result r, int64_t n)
{
    return (struct kvs_compare){ .result = r, .target = tg, .key = B(k), .number = n };
}

static struct kvs_compare
cmp_val(const char *k, enum kvs_compare_result r, const char *v)
{
    return (struct kvs_compare){ .result = r, .target = KVS_CMP_VALUE, .key = B(k), .value = B(v) };
}

/* Runs `if cmp then put(flag, "yes") else put(flag, "no")` and returns whether it succeeded. */
static bool
check_cmp(struct kvs *s, struct kvs_compare c)
{
    struct kvs_op yes = op_put("flag", "yes"), no = op_put("flag", "no");
    struct kvs_txn_req t = { &c, 1, &yes, 1, &no, 1 };
    struct kvs_resp *r;
    assert_int_equal(kvs_txn(s, &t, &r), 0);
    bool ok = r->succeeded;
    assert_int_equal(r->type, KVS_OP_TXN);
    assert_int_equal(r->n_responses, 1);
    assert_int_equal(r->responses[0].type, KVS_OP_PUT);
    kvs_resp_free(r);
    assert_string_equal(get_value(s, "flag"), ok ? "yes" : "no");
    return ok;
}

static void
test_compare_targets(void **state)
{
    struct tstore *t = *state;
    put(t->s, "a", "1"); /* 2 */
    put(t->s, "a", "2"); /* 3: version 2, create 2, mod 3 */
    assert_true(check_cmp(t->s, cmp_num("a", KVS_CMP_VERSION, KVS_CMP_EQUAL, 2)));
    assert_true(check_cmp(t->s, cmp_num("a", KVS_CMP_VERSION, KVS_CMP_GREATER, 1)));
    assert_true(check_cmp(t->s, cmp_num("a", KVS_CMP_VERSION, KVS_CMP_LESS, 3)));
    assert_false(check_cmp(t->s, cmp_num("a", KVS_CMP_VERSION, KVS_CMP_NOT_EQUAL, 2)));
    assert_true(check_cmp(t->s, cmp_num("a", KVS_CMP_CREATE, KVS_CMP_EQUAL, 2)));
    assert_true(check_cmp(t->s, cmp_num("a", KVS_CMP_MOD, KVS_CMP_EQUAL, 3)));
    assert_false(check_cmp(t->s, cmp_num("a", KVS_CMP_MOD, KVS_CMP_GREATER, 3)));
    assert_true(check_cmp(t->s, cmp_num("a", KVS_CMP_LEASE, KVS_CMP_EQUAL, 0)));
    assert_true(check_cmp(t->s, cmp_val("a", KVS_CMP_EQUAL, "2")));
    assert_true(check_cmp(t->s, cmp_val("a", KVS_CMP_GREATER, "1")));
    assert_true(check_cmp(t->s, cmp_val("a", KVS_CMP_LESS, "20")));
    assert_true(check_cmp(t->s, cmp_val("a", KVS_CMP_NOT_EQUAL, "3")));
    assert_false(check_cmp(t->s, cmp_val("a", KVS_CMP_EQUAL, "")));
}

static void
test_compare_missing_key(void **state)
{
    struct tstore *t = *state;
    /* a missing key compares as a zero KeyValue... */
    assert_true(check_cmp(t->s, cmp_num("nope", KVS_CMP_CREATE, KVS_CMP_EQUAL, 0)));
    assert_true(check_cmp(t->s, cmp_num("nope", KVS_CMP_VERSION, KVS_CMP_EQUAL, 0)));
    assert_true(check_cmp(t->s, cmp_num("nope", KVS_CMP_MOD, KVS_CMP_LESS, 5)));
    /* ...except VALUE, which is false whatever the operator */
    assert_false(check_cmp(t->s, cmp_val("nope", KVS_CMP_NOT_EQUAL, "x")));
    assert_false(check_cmp(t->s, cmp_val("nope", KVS_CMP_EQUAL, "")));
    assert_false(check_cmp(t->s, cmp_val("nope", KVS_CMP_GREATER, "")));
    /* a deleted key is missing too */
    put(t->s, "gone", "v");
    del(t->s, "gone", NULL);
    assert_true(check_cmp(t->s, cmp_num("gone", KVS_CMP_VERSION, KVS_CMP_EQUAL, 0)));
}

static void
test_compare_range(void **state)
{
    struct tstore *t = *state;
    put(t->s, "p/1", "a");
    put(t->s, "p/2", "b");
    put(t->s, "p/2", "b");
    struct kvs_compare c = cmp_num("p/", KVS_CMP_VERSION, KVS_CMP_GREATER, 0);
    c.range_end = B("p0");
    assert_true(check_cmp(t->s, c));
    c = cmp_num("p/", KVS_CMP_VERSION, KVS_CMP_EQUAL, 1); /* p/2 has version 2 */
    c.range_end = B("p0");
    assert_false(check_cmp(t->s, c));
    c = cmp_val("p/", KVS_CMP_LESS, "c");
    c.range_end = B("p0");
    assert_true(check_cmp(t->s, c));
    c = cmp_val("q/", KVS_CMP_NOT_EQUAL, "c"); /* empty range: VALUE false */
    c.range_end = B("q0");
    assert_false(check_cmp(t->s, c));
    c = cmp_num("q/", KVS_CMP_VERSION, KVS_CMP_EQUAL, 0); /* empty range: zero KeyValue */
    c.range_end = B("q0");
    assert_true(check_cmp(t->s, c));
    c = cmp_num("p/", KVS_CMP_MOD, KVS_CMP_GREATER, 1); /* range_end "\0": every key >= p/ (incl. flag) */
    c.range_end = (struct kvs_buf){ "\0", 1 };
    assert_true(check_cmp(t->s, c));
}

static void
test_one_revision(void **state)
{
    struct tstore *t = *state;
    put(t->s, "old", "x"); /* 2 */
    struct kvs_op ops[] = { op_put("a", "1"), op_put("b", "2"), op_del("old", NULL), op_put("c", "3") };
    struct kvs_txn_req tx = { NULL, 0, ops, 4, NULL, 0 };
    struct kvs_resp *r;
    assert_int_equal(kvs_txn(t->s, &tx, &r), 0);
    assert_true(r->succeeded);
    assert_int_equal(r->revision, 3);
    assert_int_equal(r->n_responses, 4);
    assert_int_equal(r->responses[0].revision, 3);
    assert_int_equal(r->responses[2].type, KVS_OP_DELETE_RANGE);
    assert_int_equal(r->responses[2].deleted, 1);
    assert_int_equal(r->responses[2].revision, 3);
    kvs_resp_free(r);
    assert_int_equal(kvs_revision(t->s), 3);
    struct kvs_resp *g = get_range(t->s, "a", "d", 0);
    assert_int_equal(g->n_kvs, 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(g->kvs[i].mod_revision, 3);
    kvs_resp_free(g);
    assert_null(get_value(t->s, "old"));
}

static void
test_no_write_no_revision(void **state)
{
    struct tstore *t = *state;
    put(t->s, "a", "1"); /* 2 */
    uint64_t applied = kvs_applied_index(t->s);
    /* a write txn whose taken branch changes nothing */
    struct kvs_compare c = cmp_val("a", KVS_CMP_EQUAL, "nope");
    struct kvs_op s_ops[] = { op_put("b", "1") }, f_ops[] = { op_del("missing", NULL) };
    struct kvs_txn_req tx = { &c, 1, s_ops, 1, f_ops, 1 };
    struct kvs_resp *r;
    assert_int_equal(kvs_txn(t->s, &tx, &r), 0);
    assert_false(r->succeeded);
    assert_int_equal(r->revision, 2);
    assert_int_equal(r->responses[0].deleted, 0);
    assert_int_equal(r->responses[0].revision, 2);
    kvs_resp_free(r);
    assert_int_equal(kvs_revision(t->s), 2);
    assert_int_equal(kvs_applied_index(t->s), applied + 1); /* it was a command */
    /* a read-only txn is evaluated locally: no command */
    struct kvs_op ro[] = { op_range("a", NULL, 0) };
    struct kvs_txn_req rtx = { &c, 1, ro, 1, ro, 1 };
    assert_int_equal(kvs_txn(t->s, &rtx, &r), 0);
    assert_false(r->succeeded);
    assert_int_equal(r->revision, 2);
    assert_int_equal(r->responses[0].n_kvs, 1);
    assert_int_equal(r->responses[0].revision, 2);
    kvs_resp_free(r);
    assert_int_equal(kvs_applied_index(t->s), applied + 1);
    /* an empty txn */
    struct kvs_txn_req empty = { 0 };
    assert_int_equal(kvs_txn(t->s, &empty, &r), 0);
    assert_true(r->succeeded);
    assert_int_equal(r->n_responses, 0);
    kvs_resp_free(r);
}

static void
test_nested_compares_before(void **state)
{
    struct tstore *t = *state;
    put(t->s, "k", "old");
    /* success: put k=new, then a nested txn comparing k == "old": evaluated before the txn, so true */
    struct kvs_compare inner_c = cmp_val("k", KVS_CMP_EQUAL, "old");
    struct kvs_op inner_s[] = { op_put("flag", "yes") }, inner_f[] = { op_put("flag", "no") };
    struct kvs_txn_req inner = { &inner_c, 1, inner_s, 1, inner_f, 1 };
    struct kvs_op outer_s[] = { op_put("k", "new"), op_txn(&inner), op_range("k", NULL, 0) };
    struct kvs_txn_req outer = { NULL, 0, outer_s, 3, NULL, 0 };
    struct kvs_resp *r;
    assert_int_equal(kvs_txn(t->s, &outer, &r), 0);
    assert_true(r->succeeded);
    assert_int_equal(r->n_responses, 3);
    struct kvs_resp *nested = &r->responses[1];
    assert_int_equal(nested->type, KVS_OP_TXN);
    assert_true(nested->succeeded);
    assert_int_equal(nested->revision, 0); /* etcd leaves nested headers empty */
    assert_int_equal(nested->n_responses, 1);
    /* the range after the writes sees them */
    assert_int_equal(r->responses[2].n_kvs, 1);
    assert_value(&r->responses[2].kvs[0], "new");
    assert_int_equal(r->responses[2].revision, 3);
    kvs_resp_free(r);
    assert_string_equal(get_value(t->s, "flag"), "yes");
    assert_string_equal(get_value(t->s, "k"), "new");
    assert_int_equal(kvs_revision(t->s), 3);
}

static void
test_range_in_txn(void **state)
{
    struct tstore *t = *state;
    put(t->s, "a", "0"); /* 2 */
    put(t->s, "z", "0"); /* 3 */
    struct kvs_op ops[] = { op_range("a", NULL, 0), op_put("a", "1"),  op_range("a", NULL, 0),
                            op_range("a", NULL, 2), op_del("z", NULL), op_range("z", NULL, 0) };
    struct kvs_txn_req tx = { NULL, 0, ops, 6, NULL, 0 };
    struct kvs_resp *r;
    assert_int_equal(kvs_txn(t->s, &tx, &r), 0);
    assert_int_equal(r->responses[0].revision, 3); /* before any write: the old revision */
    assert_value(&r->responses[0].kvs[0], "0");
    assert_int_equal(r->responses[2].revision, 4); /* after a write: the txn's revision */
    assert_value(&r->responses[2].kvs[0], "1");
    assert_int_equal(r->responses[2].kvs[0].mod_revision, 4);
    assert_value(&r->responses[3].kvs[0], "0"); /* an explicit old revision */
    assert_int_equal(r->responses[4].deleted, 1);
    assert_int_equal(r->responses[5].n_kvs, 0);
    kvs_resp_free(r);
    assert_null(get_value(t->s, "z"));
    assert_string_equal(get_value(t->s, "a"), "1");
    struct kvs_resp *g = get_range(t->s, "z", NULL, 3);
    assert_int_equal(g->n_kvs, 1);
    kvs_resp_free(g);
}

static int
run_txn(struct kvs *s, const struct kvs_op *succ, size_t n, const struct kvs_op *fail, size_t nf)
{
    struct kvs_txn_req tx = { NULL, 0, succ, n, fail, nf };
    struct kvs_resp *r = NULL;
    int rc = kvs_txn(s, &tx, &r);
    kvs_resp_free(r);
    return rc;
}

static void
test_duplicate_keys(void **state)
{
    struct tstore *t = *state;
    struct kvs_op pp[] = { op_put("k", "1"), op_put("k", "2") };
    assert_int_equal(run_txn(t->s, pp, 2, NULL, 0), KVS_EDUPKEY);
    struct kvs_op pd[] = { op_put("k", "1"), op_del("k", NULL) };
    assert_int_equal(run_txn(t->s, pd, 2, NULL, 0), KVS_EDUPKEY);
    struct kvs_op dp[] = { op_del("a", "c"), op_put("b", "1") };
    assert_int_equal(run_txn(t->s, dp, 2, NULL, 0), KVS_EDUPKEY);
    /* the failure branch is checked on its own */
    assert_int_equal(run_txn(t->s, NULL, 0, pp, 2), KVS_EDUPKEY);
    struct kvs_op one[] = { op_put("k", "1") };
    assert_int_equal(run_txn(t->s, one, 1, one, 1), 0);
    /* nested: the same key in then and else is fine; in a nested txn and its parent it is not */
    struct kvs_txn_req nested = { NULL, 0, one, 1, one, 1 };
    struct kvs_op n1[] = { op_txn(&nested) };
    assert_int_equal(run_txn(t->s, n1, 1, NULL, 0), 0);
    struct kvs_op n2[] = { op_put("k", "x"), op_txn(&nested) };
    assert_int_equal(run_txn(t->s, n2, 2, NULL, 0), KVS_EDUPKEY);
    struct kvs_op dels[] = { op_del("k", NULL) };
    struct kvs_txn_req nd = { NULL, 0, dels, 1, NULL, 0 };
    struct kvs_op n3[] = { op_txn(&nd), op_put("k", "x") };
    assert_int_equal(run_txn(t->s, n3, 2, NULL, 0), KVS_EDUPKEY);
    struct kvs_op n4[] = { op_del("k", NULL), op_txn(&nested) };
    assert_int_equal(run_txn(t->s, n4, 2, NULL, 0), KVS_EDUPKEY);
    /* etcd 3.4 checks nested txns in order: a put in an earlier sibling than the delete is not caught */
    struct kvs_txn_req np = { NULL, 0, one, 1, NULL, 0 };
    struct kvs_op n5[] = { op_txn(&nd), op_txn(&np) };
    assert_int_equal(run_txn(t->s, n5, 2, NULL, 0), KVS_EDUPKEY);
    struct kvs_op n6[] = { op_txn(&np), op_txn(&nd) };
    assert_int_equal(run_txn(t->s, n6, 2, NULL, 0), 0);
    /* deletes may overlap each other */
    struct kvs_op dd[] = { op_del("a", "m"), op_del("c", "z") };
    assert_int_equal(run_txn(t->s, dd, 2, NULL, 0), 0);
    /* a "\0" range end is an empty interval to etcd's check: put + delete >= key pass, both apply */
    put(t->s, "x", "0");
    struct kvs_op loophole[] = { op_put("y", "1"),
                                 { .type = KVS_OP_DELETE_RANGE, .del = { .key = B("a"), .range_end = { "\0", 1 } } } };
    int64_t before = kvs_revision(t->s);
    assert_int_equal(run_txn(t->s, loophole, 2, NULL, 0), 0);
    assert_int_equal(kvs_revision(t->s), before + 1);
    assert_null(get_value(t->s, "y"));
    assert_null(get_value(t->s, "x"));
}

static void
test_too_many_ops(void **state)
{
    struct tstore *t = *state;
    static struct kvs_op ops[200];
    static char keys[200][8];
    for (int i = 0; i < 200; i++) {
        snprintf(keys[i], sizeof(keys[i]), "k%03d", i);
        ops[i] = op_put(keys[i], "v");
    }
    assert_int_equal(run_txn(t->s, ops, 129, NULL, 0), KVS_ETOOMANYOPS);
    assert_int_equal(run_txn(t->s, NULL, 0, ops, 129), KVS_ETOOMANYOPS);
    assert_int_equal(run_txn(t->s, ops, 128, NULL, 0), 0);
    static struct kvs_compare cmps[129];
    for (int i = 0; i < 129; i++)
        cmps[i] = cmp_num(keys[i], KVS_CMP_VERSION, KVS_CMP_GREATER, 0);
    struct kvs_txn_req tx = { cmps, 129, NULL, 0, NULL, 0 };
    struct kvs_resp *r = NULL;
    assert_int_equal(kvs_txn(t->s, &tx, &r), KVS_ETOOMANYOPS);
    tx.n_compare = 128;
    assert_int_equal(kvs_txn(t->s, &tx, &r), 0);
    assert_true(r->succeeded);
    kvs_resp_free(r);
    /* nested txns get what the parent leaves: 100 at the top leaves 28 */
    struct kvs_txn_req inner = { NULL, 0, ops + 100, 28, NULL, 0 };
    static struct kvs_op top[100];
    for (int i = 0; i < 99; i++)
        top[i] = op_range(keys[i], NULL, 0);
    top[99] = op_txn(&inner);
    assert_int_equal(run_txn(t->s, top, 100, NULL, 0), 0);
    inner.n_success = 29;
    assert_int_equal(run_txn(t->s, top, 100, NULL, 0), KVS_ETOOMANYOPS);
}

static void
test_malformed_ops(void **state)
{
    struct tstore *t = *state;
    struct kvs_op none[] = { { .type = KVS_OP_NONE } };
    assert_int_equal(run_txn(t->s, none, 1, NULL, 0), KVS_EKEYNOTFOUND);
    struct kvs_op nokey[] = { op_put("", "v") };
    assert_int_equal(run_txn(t->s, nokey, 1, NULL, 0), KVS_EEMPTYKEY);
    struct kvs_compare c = cmp_num("", KVS_CMP_VERSION, KVS_CMP_EQUAL, 0);
    struct kvs_txn_req tx = { &c, 1, NULL, 0, NULL, 0 };
    struct kvs_resp *r = NULL;
    assert_int_equal(kvs_txn(t->s, &tx, &r), KVS_EEMPTYKEY);
    struct kvs_txn_req inner = { NULL, 0, nokey, 1, NULL, 0 };
    struct kvs_op nested[] = { op_txn(&inner) };
    assert_int_equal(run_txn(t->s, nested, 1, NULL, 0), KVS_EEMPTYKEY);
    struct kvs_op vp[] = { { .type = KVS_OP_PUT, .put = { .key = B("k"), .value = B("v"), .ignore_value = true } } };
    assert_int_equal(run_txn(t->s, vp, 1, NULL, 0), KVS_EVALUEPROVIDED);
    struct kvs_op badtxn[] = { { .type = KVS_OP_TXN, .txn = NULL } };
    assert_int_equal(run_txn(t->s, badtxn, 1, NULL, 0), KC_EINVALID);
    assert_int_equal(kvs_revision(t->s), 1);
}

static void
test_branch_checks(void **state)
{
    struct tstore *t = *state;
    struct kvs_op bad_lease[] = { { .type = KVS_OP_PUT, .put = { .key = B("k"), .value = B("v"), .lease = 99 } } };
    struct kvs_op good[] = { op_put("ok", "1") };
    /* the failure branch is not taken: its missing lease does not matter */
    assert_int_equal(run_txn(t->s, good, 1, bad_lease, 1), 0);
    assert_int_equal(kvs_revision(t->s), 2);
    /* taken: the whole txn fails, nothing is written */
    struct kvs_op both[] = { op_put("x", "1"), bad_lease[0] };
    assert_int_equal(run_txn(t->s, both, 2, NULL, 0), KC_ENOTFOUND);
    assert_null(get_value(t->s, "x"));
    assert_int_equal(kvs_revision(t->s), 2);
    /* in a txn, ignore_value on a missing key is checked before the lease */
    struct kvs_op iv[] = { { .type = KVS_OP_PUT, .put = { .key = B("missing"), .lease = 99, .ignore_value = true } } };
    assert_int_equal(run_txn(t->s, iv, 1, NULL, 0), KVS_EKEYNOTFOUND);
    struct kvs_op iv2[] = { { .type = KVS_OP_PUT, .put = { .key = B("ok"), .ignore_value = true } } };
    assert_int_equal(run_txn(t->s, iv2, 1, NULL, 0), 0);
    assert_string_equal(get_value(t->s, "ok"), "1");
    /* nested: only the nested branch taken is checked */
    struct kvs_compare c = cmp_val("ok", KVS_CMP_EQUAL, "1");
    struct kvs_txn_req inner = { &c, 1, good, 1, bad_lease, 1 };
    struct kvs_op nested[] = { op_txn(&inner) };
    assert_int_equal(run_txn(t->s, nested, 1, NULL, 0), 0);
    c.value = B("2");
    assert_int_equal(run_txn(t->s, nested, 1, NULL, 0), KC_ENOTFOUND);
}

static void
test_range_revision_checks(void **state)
{
    struct tstore *t = *state;
    put(t->s, "a", "1"); /* 2 */
    put(t->s, "a", "2"); /* 3 */
    struct kvs_op w[] = { op_put("b", "1") };
    struct kvs_op fut[] = { w[0], op_range("a", NULL, 4) }; /* 4 would be this txn's own revision */
    assert_int_equal(run_txn(t->s, fut, 2, NULL, 0), KC_EFUTUREREV);
    struct kvs_op neg[] = { w[0], op_range("a", NULL, -5) }; /* below compact_rev -1: etcd says compacted */
    assert_int_equal(run_txn(t->s, neg, 2, NULL, 0), KC_ECOMPACTED);
    struct kvs_op neg1[] = { op_range("a", NULL, -1) };
    assert_int_equal(run_txn(t->s, neg1, 1, NULL, 0), 0);
    assert_int_equal(kvs_compact(t->s, 3, true, NULL), 0);
    struct kvs_op old[] = { op_range("a", NULL, 2) };
    assert_int_equal(run_txn(t->s, old, 1, NULL, 0), KC_ECOMPACTED);
    struct kvs_op at[] = { op_range("a", NULL, 3) };
    assert_int_equal(run_txn(t->s, at, 1, NULL, 0), 0);
    assert_int_equal(kvs_revision(t->s), 3);
}

static void
test_txn_lease_and_prev(void **state)
{
    struct tstore *t = *state;
    struct kvs_lease_grant_resp g;
    assert_int_equal(kvs_lease_grant(t->s, 7, 60, &g), 0);
    put(t->s, "a", "1");
    struct kvs_op ops[] = {
        { .type = KVS_OP_PUT, .put = { .key = B("a"), .value = B("2"), .lease = 7, .prev_kv = true } },
        { .type = KVS_OP_DELETE_RANGE, .del = { .key = B("b"), .range_end = B("c"), .prev_kv = true } },
    };
    put(t->s, "b1", "x");
    put(t->s, "b2", "y");
    struct kvs_txn_req tx = { NULL, 0, ops, 2, NULL, 0 };
    struct kvs_resp *r;
    assert_int_equal(kvs_txn(t->s, &tx, &r), 0);
    assert_non_null(r->responses[0].prev_kv);
    assert_value(r->responses[0].prev_kv, "1");
    assert_int_equal(r->responses[1].deleted, 2);
    assert_int_equal(r->responses[1].n_kvs, 2);
    assert_value(&r->responses[1].kvs[1], "y");
    kvs_resp_free(r);
    struct kvs_lease_ttl_resp *ttl;
    assert_int_equal(kvs_lease_timetolive(t->s, 7, true, &ttl), 0);
    assert_int_equal(ttl->n_keys, 1);
    kvs_lease_ttl_free(ttl);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_compare_targets, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_compare_missing_key, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_compare_range, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_one_revision, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_no_write_no_revision, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_nested_compares_before, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_range_in_txn, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_keys, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_too_many_ops, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_malformed_ops, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_branch_checks, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_range_revision_checks, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_txn_lease_and_prev, tstore_setup, tstore_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
