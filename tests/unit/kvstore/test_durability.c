/* test_durability.c - what survives: reopen, a killed process, log replay applying each command exactly once,
 * group commit under many threads, the quota (nothing lost, deletes and compaction still allowed), map growth,
 * refused LMDB flags, request size.
 */
#include "kvs_test.h"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "kc_fault.h"

static void
test_reopen_keeps_everything(void **state)
{
    struct tstore *t = *state;
    struct kvs_lease_grant_resp g;
    assert_int_equal(kvs_lease_grant(t->s, 77, 30, &g), 0);
    put(t->s, "a", "1");
    put_lease(t->s, "b", "2", 77);
    put(t->s, "a", "3");
    del(t->s, "a", NULL);
    put(t->s, "c", "4");
    assert_int_equal(kvs_compact(t->s, 3, true, NULL), 0);
    int64_t rev = kvs_revision(t->s);
    uint64_t applied = kvs_applied_index(t->s);
    tstore_reopen(t);
    assert_int_equal(kvs_revision(t->s), rev);
    assert_int_equal(kvs_applied_index(t->s), applied);
    assert_int_equal(kvs_compact_revision(t->s), 3);
    assert_null(get_value(t->s, "a"));
    assert_string_equal(get_value(t->s, "b"), "2");
    assert_string_equal(get_value(t->s, "c"), "4");
    struct kvs_resp *r = get_range(t->s, "a", NULL, 4);
    assert_value(&r->kvs[0], "3");
    kvs_resp_free(r);
    struct kvs_lease_ttl_resp *ttl;
    assert_int_equal(kvs_lease_timetolive(t->s, 77, true, &ttl), 0);
    assert_int_equal(ttl->granted_ttl, 30);
    assert_int_equal(ttl->n_keys, 1);
    kvs_lease_ttl_free(ttl);
    /* and it keeps working */
    assert_int_equal(put(t->s, "d", "5"), rev + 1);
}

/* A one-member "log": propose appends the command and applies it right away at the next index. */
struct log {
    struct kvs *s;
    uint8_t *cmds[256];
    size_t lens[256];
    size_t n;
    int fail_next;
};

static int
log_propose(void *ctx, const void *cmd, size_t len)
{
    struct log *l = ctx;
    if (l->fail_next) {
        int rc = l->fail_next;
        l->fail_next = 0;
        return rc;
    }
    assert_true(l->n < 256);
    l->cmds[l->n] = malloc(len);
    memcpy(l->cmds[l->n], cmd, len);
    l->lens[l->n] = len;
    struct kvs_entry e = { l->n + 1, l->cmds[l->n], len };
    l->n++;
    int res = 0;
    assert_int_equal(kvs_apply(l->s, &e, 1, &res), 0);
    return 0;
}

static void
dump_all(struct kvs *s, char *out, size_t cap)
{
    struct kvs_range_req rq = { .key = { "\0", 1 }, .range_end = { "\0", 1 } };
    struct kvs_resp *r;
    assert_int_equal(kvs_range(s, &rq, &r), 0);
    size_t off = (size_t)snprintf(out, cap, "rev=%lld;", (long long)r->revision);
    for (size_t i = 0; i < r->n_kvs && off < cap; i++)
        off += (size_t)snprintf(out + off, cap - off, "%.*s=%.*s@%lld/%lld/%lld/%lld;", (int)r->kvs[i].key_len,
                                r->kvs[i].key, (int)r->kvs[i].value_len, r->kvs[i].value,
                                (long long)r->kvs[i].create_revision, (long long)r->kvs[i].mod_revision,
                                (long long)r->kvs[i].version, (long long)r->kvs[i].lease);
    kvs_resp_free(r);
}

static void
test_apply_replay_exactly_once(void **state)
{
    (void)state;
    struct log l = { 0 };
    struct tstore a = { .dir = test_mkdtemp() };
    tstore_opts(&a);
    a.o.propose = log_propose;
    a.o.propose_ctx = &l;
    assert_int_equal(kvs_open(&a.o, &a.s), 0);
    l.s = a.s;
    struct kvs_lease_grant_resp g;
    assert_int_equal(kvs_lease_grant(a.s, 5, 100, &g), 0);
    put(a.s, "x", "1");
    put_lease(a.s, "y", "2", 5);
    put(a.s, "x", "3");
    assert_int_equal(del(a.s, "x", NULL), 1);
    struct kvs_op ops[] = { { .type = KVS_OP_PUT, .put = { .key = B("t1"), .value = B("a") } },
                            { .type = KVS_OP_PUT, .put = { .key = B("t2"), .value = B("b") } } };
    struct kvs_txn_req tx = { NULL, 0, ops, 2, NULL, 0 };
    struct kvs_resp *r;
    assert_int_equal(kvs_txn(a.s, &tx, &r), 0);
    kvs_resp_free(r);
    assert_int_equal(kvs_compact(a.s, 3, false, NULL), 0);
    /* a failed proposal reaches the caller and applies nothing */
    l.fail_next = -EIO;
    struct kvs_put_req pr = { .key = B("never"), .value = B("v") };
    assert_int_equal(kvs_put(a.s, &pr, &r), -EIO);
    assert_int_equal(kvs_applied_index(a.s), l.n);

    /* replay the same log into a second store, twice and overlapping */
    struct tstore b = { .dir = test_mkdtemp() };
    tstore_opts(&b);
    assert_int_equal(kvs_open(&b.o, &b.s), 0);
    struct kvs_entry ents[256];
    int res[256];
    for (size_t i = 0; i < l.n; i++)
        ents[i] = (struct kvs_entry){ i + 1, l.cmds[i], l.lens[i] };
    assert_int_equal(kvs_apply(b.s, ents, 3, res), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(res[i], 0);
    assert_int_equal(kvs_apply(b.s, ents, l.n, res), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(res[i], KVS_APPLY_SKIPPED);
    for (size_t i = 3; i < l.n; i++)
        assert_int_equal(res[i], 0);
    int64_t rev = kvs_revision(b.s);
    assert_int_equal(kvs_apply(b.s, ents, l.n, res), 0);
    for (size_t i = 0; i < l.n; i++)
        assert_int_equal(res[i], KVS_APPLY_SKIPPED);
    assert_int_equal(kvs_revision(b.s), rev);
    /* replay after a restart: the applied index was stored with the data */
    tstore_reopen(&b);
    assert_int_equal(kvs_applied_index(b.s), l.n);
    assert_int_equal(kvs_apply(b.s, ents, l.n, res), 0);
    assert_int_equal(res[l.n - 1], KVS_APPLY_SKIPPED);
    char da[4096], db[4096];
    dump_all(a.s, da, sizeof(da));
    dump_all(b.s, db, sizeof(db));
    assert_string_equal(da, db);
    assert_int_equal(kvs_compact_revision(b.s), 3);
    struct kvs_lease_ttl_resp *ttl;
    assert_int_equal(kvs_lease_timetolive(b.s, 5, true, &ttl), 0);
    assert_int_equal(ttl->granted_ttl, 100);
    assert_int_equal(ttl->n_keys, 1);
    kvs_lease_ttl_free(ttl);
    for (size_t i = 0; i < l.n; i++)
        free(l.cmds[i]);
    kvs_close(a.s);
    kvs_close(b.s);
    test_rmrf(a.dir);
    test_rmrf(b.dir);
}

static void
test_apply_bad_entries(void **state)
{
    struct tstore *t = *state;
    struct kvs_entry e[3] = { { 1, "garbage", 7 }, { 2, "", 0 }, { 3, "\x01\x01\0\0\0\0\0\0\0\x01", 10 } };
    int res[3];
    assert_int_equal(kvs_apply(t->s, e, 3, res), 0);
    assert_int_equal(res[0], KC_EPARSE);
    assert_int_equal(res[1], KC_EPARSE);
    assert_int_equal(res[2], KC_EPARSE); /* a put header with no body */
    assert_int_equal(kvs_applied_index(t->s), 3);
    assert_int_equal(kvs_revision(t->s), 1);
    struct kvs_entry bad[2] = { { 5, "x", 1 }, { 5, "y", 1 } };
    assert_int_equal(kvs_apply(t->s, bad, 2, res), KC_EINVALID);
    struct kvs_entry zero = { 0, "x", 1 };
    assert_int_equal(kvs_apply(t->s, &zero, 1, res), KC_EINVALID);
    assert_int_equal(kvs_applied_index(t->s), 3);
    /* the in-process API goes on numbering after externally applied entries */
    put(t->s, "k", "v");
    assert_int_equal(kvs_applied_index(t->s), 4);
}

#define THREADS 16
#define PER     40

struct gc {
    struct kvs *s;
    int id;
    int64_t revs[PER];
};

static void *
gc_main(void *arg)
{
    struct gc *g = arg;
    char k[32];
    for (int i = 0; i < PER; i++) {
        snprintf(k, sizeof(k), "t%02d/%03d", g->id, i);
        struct kvs_put_req pr = { .key = B(k), .value = B(k) };
        struct kvs_resp *r = NULL;
        if (kvs_put(g->s, &pr, &r) != 0)
            return (void *)1;
        g->revs[i] = r->revision;
        kvs_resp_free(r);
    }
    return NULL;
}

static int
rev_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void
test_group_commit(void **state)
{
    struct tstore *t = *state;
    static struct gc gs[THREADS];
    pthread_t th[THREADS];
    struct kvs_stats st0;
    assert_int_equal(kvs_stat(t->s, &st0), 0);
    for (int i = 0; i < THREADS; i++) {
        gs[i] = (struct gc){ .s = t->s, .id = i };
        assert_int_equal(pthread_create(&th[i], NULL, gc_main, &gs[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        assert_null(ret);
    }
    static int64_t all[THREADS * PER];
    for (int i = 0; i < THREADS; i++)
        memcpy(all + i * PER, gs[i].revs, sizeof(gs[i].revs));
    qsort(all, THREADS * PER, sizeof(all[0]), rev_cmp);
    for (int i = 0; i < THREADS * PER; i++)
        assert_int_equal(all[i], i + 2); /* every put got its own revision: 2 .. N+1 */
    for (int i = 0; i < THREADS; i++)
        for (int j = 1; j < PER; j++)
            assert_true(gs[i].revs[j] > gs[i].revs[j - 1]);
    struct kvs_stats st;
    assert_int_equal(kvs_stat(t->s, &st), 0);
    assert_int_equal(st.commands - st0.commands, THREADS * PER);
    print_message("group commit: %lld puts in %lld commits\n", (long long)(st.commands - st0.commands),
                  (long long)(st.commits - st0.commits));
    assert_true(st.commits - st0.commits < THREADS * PER);
    tstore_reopen(t);
    struct kvs_resp *r = get_range(t->s, "t", "u", 0);
    assert_int_equal(r->count, THREADS * PER);
    kvs_resp_free(r);
}

/* A process killed without closing the store: everything it acknowledged is there. */
static void
test_killed_process(void **state)
{
    struct tstore *t = *state;
    kvs_close(t->s);
    t->s = NULL;
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        struct kvs *s;
        if (kvs_open(&t->o, &s) != 0)
            _exit(2);
        char k[16];
        for (int i = 0;; i++) {
            snprintf(k, sizeof(k), "k%05d", i);
            struct kvs_put_req pr = { .key = B(k), .value = B(k) };
            struct kvs_resp *r;
            if (kvs_put(s, &pr, &r) != 0)
                _exit(3);
            kvs_resp_free(r);
            int32_t n = i;
            if (write(p[1], &n, sizeof(n)) != sizeof(n))
                _exit(4);
        }
    }
    close(p[1]);
    int32_t last = -1, n;
    while (last < 50 && read(p[0], &n, sizeof(n)) == sizeof(n))
        last = n;
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    while (read(p[0], &n, sizeof(n)) == sizeof(n))
        last = n; /* acknowledged before the kill landed */
    close(p[0]);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(kvs_open(&t->o, &t->s), 0);
    struct kvs_resp *r = get_range(t->s, "k", "l", 0);
    assert_true(r->count >= last + 1);
    char k[16];
    snprintf(k, sizeof(k), "k%05d", last);
    bool found = false;
    for (size_t i = 0; i < r->n_kvs; i++)
        found |= kv_key_is(&r->kvs[i], k);
    assert_true(found);
    assert_int_equal(r->revision, r->count + 1);
    kvs_resp_free(r);
}

static int
quota_setup(void **state)
{
    struct tstore *t = calloc(1, sizeof(*t));
    t->dir = test_mkdtemp();
    tstore_opts(t);
    t->o.quota_bytes = 512 << 10;
    t->o.initial_map_bytes = 256 << 10;
    assert_int_equal(kvs_open(&t->o, &t->s), 0);
    *state = t;
    return 0;
}

static void
test_quota(void **state)
{
    struct tstore *t = *state;
    char v[1024], k[16];
    memset(v, 'q', sizeof(v) - 1);
    v[sizeof(v) - 1] = 0;
    int ok = 0, rc = 0;
    for (int i = 0; i < 5000 && rc == 0; i++) {
        snprintf(k, sizeof(k), "q%05d", i);
        struct kvs_put_req pr = { .key = B(k), .value = B(v) };
        struct kvs_resp *r = NULL;
        rc = kvs_put(t->s, &pr, &r);
        if (rc == 0) {
            ok++;
            kvs_resp_free(r);
        }
    }
    assert_int_equal(rc, KC_ENOSPACE);
    assert_true(ok > 100);
    /* the alarm goes up through the log: wait for it */
    for (int i = 0; i < 2000 && !kvs_alarm_active(t->s); i++)
        usleep(1000);
    assert_true(kvs_alarm_active(t->s));
    /* nothing lost, still readable */
    struct kvs_resp *r = get_range(t->s, "q", "r", 0);
    assert_int_equal(r->count, ok);
    kvs_resp_free(r);
    /* under the alarm: a small put, a txn with a put, a lease grant fail; deletes and compaction work */
    struct kvs_put_req small = { .key = B("s"), .value = B("1") };
    assert_int_equal(kvs_put(t->s, &small, &r), KC_ENOSPACE);
    struct kvs_op put_op = { .type = KVS_OP_PUT, .put = small };
    struct kvs_txn_req tx = { NULL, 0, &put_op, 1, NULL, 0 };
    assert_int_equal(kvs_txn(t->s, &tx, &r), KC_ENOSPACE);
    struct kvs_lease_grant_resp g;
    assert_int_equal(kvs_lease_grant(t->s, 9, 10, &g), KC_ENOSPACE);
    struct kvs_op del_op = { .type = KVS_OP_DELETE_RANGE, .del = { .key = B("q00000") } };
    struct kvs_txn_req dtx = { NULL, 0, &del_op, 1, NULL, 0 };
    assert_int_equal(kvs_txn(t->s, &dtx, &r), 0);
    kvs_resp_free(r);
    assert_int_equal(del(t->s, "q", "r"), ok - 1);
    assert_int_equal(kvs_compact(t->s, kvs_revision(t->s), true, NULL), 0);
    struct kvs_stats st;
    assert_int_equal(kvs_stat(t->s, &st), 0);
    assert_true(st.nospace_alarm);
    /* still refused until disarmed, as etcd */
    assert_int_equal(kvs_put(t->s, &small, &r), KC_ENOSPACE);
    assert_int_equal(kvs_alarm_disarm(t->s), 0);
    assert_false(kvs_alarm_active(t->s));
    assert_int_equal(kvs_put(t->s, &small, &r), 0);
    kvs_resp_free(r);
    /* the alarm is persistent */
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof(k), "z%05d", i);
        struct kvs_put_req pr = { .key = B(k), .value = B(v) };
        if (kvs_put(t->s, &pr, &r) != 0)
            break;
        kvs_resp_free(r);
    }
    for (int i = 0; i < 2000 && !kvs_alarm_active(t->s); i++)
        usleep(1000);
    assert_true(kvs_alarm_active(t->s));
    tstore_reopen(t);
    assert_true(kvs_alarm_active(t->s));
    assert_string_equal(get_value(t->s, "s"), "1");
}

/* Proposals of a store fed through kvs_apply go nowhere; remember whether the NOSPACE alarm was proposed. */
static int
drop_propose(void *ctx, const void *cmd, size_t len)
{
    const uint8_t *c = cmd;
    if (len >= 18 && c[1] == 7 && c[10] == 1) /* CMD_ALARM, raise */
        *(bool *)ctx = true;
    return 0;
}

/* The log path has no quota pre-check: a command that does not fit in the map at its cap (quota + reserve)
 * fails with KC_ENOSPACE without consuming its entry (replicas must not diverge), the alarm is proposed, what was
 * applied before stays, and deletes still fit. */
static void
test_map_full_backstop(void **state)
{
    struct tstore *t = *state;
    /* capture commands in a store with room to spare */
    struct log l = { 0 };
    struct tstore a = { .dir = test_mkdtemp() };
    tstore_opts(&a);
    a.o.propose = log_propose;
    a.o.propose_ctx = &l;
    assert_int_equal(kvs_open(&a.o, &a.s), 0);
    l.s = a.s;
    static char v[64 << 10];
    memset(v, 'm', sizeof(v) - 1);
    char k[16];
    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof(k), "m%03d", i);
        put(a.s, k, v);
    }
    assert_int_equal(del(a.s, "m", "n"), 100);
    assert_int_equal(l.n, 101);
    kvs_close(a.s);
    test_rmrf(a.dir);

    kvs_close(t->s);
    bool alarm_proposed = false;
    t->o.quota_bytes = 64 << 10; /* the map cap is quota + a 4 MiB reserve */
    t->o.initial_map_bytes = 256 << 10;
    t->o.propose = drop_propose;
    t->o.propose_ctx = &alarm_proposed;
    assert_int_equal(kvs_open(&t->o, &t->s), 0);
    int ok = 0, rc = 0;
    for (size_t i = 0; i < 100; i++) {
        struct kvs_entry e = { kvs_applied_index(t->s) + 1, l.cmds[i], l.lens[i] };
        int res = 1;
        rc = kvs_apply(t->s, &e, 1, &res);
        if (rc) {
            assert_int_equal(res, KC_ENOSPACE);
            break;
        }
        assert_int_equal(res, 0);
        ok++;
    }
    assert_int_equal(rc, KC_ENOSPACE);
    assert_true(ok > 10 && ok < 100);
    assert_int_equal(kvs_applied_index(t->s), ok); /* the entry that did not fit was not consumed */
    assert_true(alarm_proposed);
    /* applying it again fails the same way and changes nothing */
    struct kvs_entry again = { (uint64_t)ok + 1, l.cmds[ok], l.lens[ok] };
    int res = 1;
    assert_int_equal(kvs_apply(t->s, &again, 1, &res), KC_ENOSPACE);
    assert_int_equal(kvs_applied_index(t->s), ok);
    struct kvs_stats st;
    assert_int_equal(kvs_stat(t->s, &st), 0);
    assert_true(st.map_size > (int64_t)(256 << 10)); /* it grew up to the cap */
    assert_true(st.map_size <= (int64_t)((64 << 10) + (4 << 20)));
    struct kvs_resp *r = get_range(t->s, "m", "n", 0);
    assert_int_equal(r->count, ok);
    assert_int_equal(r->kvs[ok - 1].value_len, sizeof(v) - 1);
    kvs_resp_free(r);
    /* a delete still fits: it only frees (applied here as if the log went on with it) */
    struct kvs_entry e = { (uint64_t)ok + 1, l.cmds[100], l.lens[100] };
    assert_int_equal(kvs_apply(t->s, &e, 1, &res), 0);
    assert_int_equal(res, 0);
    r = get_range(t->s, "m", "n", 0);
    assert_int_equal(r->count, 0);
    kvs_resp_free(r);
    /* the entry that did not fit was logged twice and refused twice: a restart does not apply it either */
    tstore_reopen(t);
    assert_int_equal(kvs_applied_index(t->s), (uint64_t)ok + 1);
    r = get_range(t->s, "m", "n", 0);
    assert_int_equal(r->count, 0);
    kvs_resp_free(r);
    for (size_t i = 0; i < l.n; i++)
        free(l.cmds[i]);
}

static void
test_map_growth(void **state)
{
    struct tstore *t = *state;
    struct kvs_stats st0, st;
    assert_int_equal(kvs_stat(t->s, &st0), 0);
    assert_int_equal(st0.map_size, 1 << 20);
    static char v[8192];
    memset(v, 'g', sizeof(v) - 1);
    char k[16];
    for (int i = 0; i < 600; i++) { /* ~5 MB */
        snprintf(k, sizeof(k), "g%04d", i);
        put(t->s, k, v);
    }
    assert_int_equal(kvs_stat(t->s, &st), 0);
    assert_true(st.map_size >= 4 << 20);
    assert_true(st.db_size > 4 << 20);
    struct kvs_resp *r = get_range(t->s, "g", "h", 0);
    assert_int_equal(r->count, 600);
    assert_int_equal(r->kvs[599].value_len, sizeof(v) - 1);
    kvs_resp_free(r);
}

static void
test_refused_options(void **state)
{
    (void)state;
    char *dir = test_mkdtemp();
    struct kvs_options o;
    kvs_options_init(&o);
    o.dir = dir;
    struct kvs *s = NULL;
    o.lmdb_flags = 0x80000; /* MDB_WRITEMAP */
    assert_int_equal(kvs_open(&o, &s), KC_EINVALID);
    o.lmdb_flags = 0x20000; /* MDB_RDONLY */
    assert_int_equal(kvs_open(&o, &s), KC_EINVALID);
    o.lmdb_flags = 0;
    o.dir = NULL;
    assert_int_equal(kvs_open(&o, &s), KC_EINVALID);
    o.dir = dir;
    o.quota_bytes = 0;
    assert_int_equal(kvs_open(&o, &s), KC_EINVALID);
    assert_null(s);
    /* NOSYNC is allowed: the store syncs explicitly before acknowledging */
    kvs_options_init(&o);
    o.dir = dir;
    o.lmdb_flags = 0x10000; /* MDB_NOSYNC */
    o.timer_interval_ms = -1;
    assert_int_equal(kvs_open(&o, &s), 0);
    put(s, "k", "v");
    kvs_close(s);
    o.lmdb_flags = 0;
    assert_int_equal(kvs_open(&o, &s), 0);
    assert_string_equal(get_value(s, "k"), "v");
    kvs_close(s);
    test_rmrf(dir);
}

static void
test_request_too_large(void **state)
{
    struct tstore *t = *state;
    kvs_close(t->s);
    t->o.max_request_bytes = 1000;
    assert_int_equal(kvs_open(&t->o, &t->s), 0);
    static char v[2000];
    memset(v, 'x', sizeof(v) - 1);
    struct kvs_put_req pr = { .key = B("k"), .value = B(v) };
    struct kvs_resp *r = NULL;
    assert_int_equal(kvs_put(t->s, &pr, &r), KC_ETOOLARGE);
    v[900] = 0;
    assert_int_equal(kvs_put(t->s, &pr, &r), KC_ETOOLARGE); /* pr.value still says 1999 bytes */
    pr.value = B(v);
    assert_int_equal(kvs_put(t->s, &pr, &r), 0);
    kvs_resp_free(r);
}

/* Raft mode: a proposal the log never applies leaves its caller waiting until the store closes. */
struct blackhole {
    _Atomic int proposed;
};

static int
blackhole_propose(void *ctx, const void *cmd, size_t len)
{
    (void)cmd;
    (void)len;
    atomic_fetch_add(&((struct blackhole *)ctx)->proposed, 1);
    return 0;
}

struct blocked {
    struct kvs *s;
    int rc;
};

static void *
blocked_put(void *arg)
{
    struct blocked *b = arg;
    struct kvs_put_req pr = { .key = B("k"), .value = B("v") };
    struct kvs_resp *r = NULL;
    b->rc = kvs_put(b->s, &pr, &r);
    return NULL;
}

static void
test_close_wakes_waiters(void **state)
{
    struct tstore *t = *state;
    kvs_close(t->s);
    struct blackhole bh = { 0 };
    t->o.propose = blackhole_propose;
    t->o.propose_ctx = &bh;
    assert_int_equal(kvs_open(&t->o, &t->s), 0);
    struct blocked b = { t->s, 1 };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, blocked_put, &b), 0);
    for (int i = 0; i < 5000 && atomic_load(&bh.proposed) == 0; i++)
        usleep(1000);
    assert_int_equal(atomic_load(&bh.proposed), 1);
    kvs_close(t->s);
    t->s = NULL;
    pthread_join(th, NULL);
    assert_int_equal(b.rc, KC_EUNAVAILABLE);
    t->o.propose = NULL;
    tstore_reopen(t);
    assert_null(get_value(t->s, "k"));
}

/* Out of memory at every allocation in turn: a write is all or nothing, the store stays usable. */
static void
test_alloc_faults(void **state)
{
    struct tstore *t = *state;
    put(t->s, "base", "1");
    struct kvs_watch_req wr = { .key = B("f"), .range_end = B("g"), .prev_kv = true };
    struct kvs_watch *w;
    assert_int_equal(kvs_watch_create(t->s, &wr, &w), 0);
    int failed = 0;
    for (int nth = 1; nth <= 60; nth++) {
        char k[16];
        snprintf(k, sizeof(k), "f%03d", nth);
        struct kvs_op ops[] = { { .type = KVS_OP_PUT, .put = { .key = B(k), .value = B("v"), .prev_kv = true } },
                                { .type = KVS_OP_RANGE, .range = { .key = B("base") } } };
        struct kvs_txn_req tx = { NULL, 0, ops, 2, NULL, 0 };
        struct kvs_resp *r = NULL;
        kc_fault_arm(KC_FAULT_ALLOC, nth, 0, false);
        int rc = kvs_txn(t->s, &tx, &r);
        kc_fault_disarm(KC_FAULT_ALLOC);
        assert_true(rc == 0 || rc == -ENOMEM);
        if (rc == 0) {
            assert_int_equal(r->responses[1].n_kvs, 1);
            kvs_resp_free(r);
            assert_non_null(get_value(t->s, k));
        } else {
            failed++;
            assert_null(get_value(t->s, k));
        }
        struct kvs_range_req rq = { .key = B("base") };
        kc_fault_arm(KC_FAULT_ALLOC, nth % 5 + 1, 0, false);
        rc = kvs_range(t->s, &rq, &r);
        kc_fault_disarm(KC_FAULT_ALLOC);
        assert_true(rc == 0 || rc == -ENOMEM);
        if (rc == 0)
            kvs_resp_free(r);
    }
    assert_true(failed > 0);
    /* the watcher saw every committed put, in order, or was cancelled for lack of memory */
    struct kvs_watch_batch *b;
    int64_t last = 0;
    while (kvs_watch_poll(w, &b) == 0) {
        for (size_t i = 0; i < b->n_events; i++) {
            assert_true(b->events[i].kv.mod_revision > last);
            last = b->events[i].kv.mod_revision;
        }
        bool end = b->canceled;
        if (end)
            assert_int_equal(b->cancel_err, -ENOMEM);
        kvs_watch_batch_free(b);
        if (end)
            break;
    }
    kvs_watch_free(w);
    int64_t rev = put(t->s, "after", "ok");
    assert_int_equal(rev, kvs_revision(t->s));
    struct kvs_resp *r = get_range(t->s, "f", "g", 0);
    assert_int_equal(r->count, 60 - failed);
    kvs_resp_free(r);
    /* after a restart (the log replayed), the writes that failed are still not there */
    tstore_reopen(t);
    r = get_range(t->s, "f", "g", 0);
    assert_int_equal(r->count, 60 - failed);
    kvs_resp_free(r);
    assert_int_equal(kvs_revision(t->s), rev);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reopen_keeps_everything, tstore_setup, tstore_teardown),
        cmocka_unit_test(test_apply_replay_exactly_once),
        cmocka_unit_test_setup_teardown(test_apply_bad_entries, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_group_commit, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_killed_process, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_quota, quota_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_map_full_backstop, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_map_growth, tstore_setup, tstore_teardown),
        cmocka_unit_test(test_refused_options),
        cmocka_unit_test_setup_teardown(test_request_too_large, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_alloc_faults, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_close_wakes_waiters, tstore_setup, tstore_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
