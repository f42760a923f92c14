/* test_recovery.c - durability on the write-ahead log (KVS_DURABLE_WAL): the files a power loss can leave behind
 * (LMDB's pages written after the last checkpoint on disk or not, in any mix) all recover every acknowledged write
 * with an intact database; a failed log write stops writes and loses nothing acknowledged; checkpoints trim the
 * log; KVS_DURABLE_LMDB works and takes over a store that has a log; the asynchronous write API.
 */
#include "kvs_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kc_fault.h"

static uint8_t *
read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    uint8_t *p = malloc((size_t)st.st_size + 1);
    assert_int_equal(pread(fd, p, (size_t)st.st_size, 0), st.st_size);
    close(fd);
    *len = (size_t)st.st_size;
    return p;
}

static void
write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

/* Copies the files of directory src into dst (created). */
static void
copy_dir(const char *src, const char *dst)
{
    assert_int_equal(mkdir(dst, 0700), 0);
    DIR *d = opendir(src);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char a[1400], b[1400]; /* a path (< 1024 here) and a name (< 256): room for both */
        assert_true((size_t)snprintf(a, sizeof(a), "%.1023s/%s", src, de->d_name) < sizeof(a));
        assert_true((size_t)snprintf(b, sizeof(b), "%.1023s/%s", dst, de->d_name) < sizeof(b));
        size_t len;
        uint8_t *p = read_file(a, &len);
        write_file(b, p, len);
        free(p);
    }
    closedir(d);
}

/* Everything in the store as one string: revision, compaction, each live key with its metadata. */
static void
dump(struct kvs *s, char *out, size_t cap)
{
    struct kvs_range_req rq = { .key = { "\0", 1 }, .range_end = { "\0", 1 } };
    struct kvs_resp *r;
    assert_int_equal(kvs_range(s, &rq, &r), 0);
    size_t off = (size_t)snprintf(out, cap, "rev=%lld compact=%lld applied=%llu;", (long long)r->revision,
                                  (long long)kvs_compact_revision(s), (unsigned long long)kvs_applied_index(s));
    for (size_t i = 0; i < r->n_kvs && off < cap; i++)
        off += (size_t)snprintf(out + off, cap - off, "%.*s=%.*s@%lld/%lld/%lld/%lld;", (int)r->kvs[i].key_len,
                                r->kvs[i].key, (int)r->kvs[i].value_len, r->kvs[i].value,
                                (long long)r->kvs[i].create_revision, (long long)r->kvs[i].mod_revision,
                                (long long)r->kvs[i].version, (long long)r->kvs[i].lease);
    kvs_resp_free(r);
    assert_true(off < cap);
}

static int64_t
checkpoints(struct kvs *s)
{
    struct kvs_stats st;
    assert_int_equal(kvs_stat(s, &st), 0);
    return st.checkpoints;
}

/* A power loss keeps, of every page LMDB wrote since the last checkpoint, the old or the new content; the log's
 * synced records all survive. Every such image must open to exactly the acknowledged state, with LMDB intact. */
static void
test_power_loss_images(void **state)
{
    struct tstore *t = *state;
    kvs_close(t->s);
    t->o.checkpoint_interval_ms = 3600 * 1000; /* only the checkpoints the test asks for */
    t->o.initial_map_bytes = 256 << 20;        /* and no early one for growth */
    assert_int_equal(kvs_open(&t->o, &t->s), 0);
    char k[32], v[64];
    for (int i = 0; i < 60; i++) {
        snprintf(k, sizeof(k), "k%03d", i);
        snprintf(v, sizeof(v), "v%d-before", i);
        put(t->s, k, v);
    }
    del(t->s, "k010", "k020");
    assert_int_equal(kvs_checkpoint(t->s), 0);
    int64_t ck = checkpoints(t->s);
    char path[1024];
    snprintf(path, sizeof(path), "%s/data.mdb", t->dir);
    size_t old_len;
    uint8_t *old = read_file(path, &old_len); /* on disk for sure: the checkpoint synced it */

    /* acknowledged after it: in the log, synced; in LMDB, written without a sync */
    struct kvs_lease_grant_resp g;
    assert_int_equal(kvs_lease_grant(t->s, 42, 300, &g), 0);
    for (int i = 0; i < 150; i++) {
        snprintf(k, sizeof(k), "k%03d", (i * 7) % 90);
        snprintf(v, sizeof(v), "v%d-after", i);
        if (i % 10 == 3)
            put_lease(t->s, k, v, 42);
        else
            put(t->s, k, v);
        if (i % 25 == 24)
            del(t->s, k, NULL);
    }
    struct kvs_op ops[] = { { .type = KVS_OP_PUT, .put = { .key = B("t1"), .value = B("x") } },
                            { .type = KVS_OP_DELETE_RANGE, .del = { .key = B("k030"), .range_end = B("k035") } } };
    struct kvs_txn_req tx = { NULL, 0, ops, 2, NULL, 0 };
    struct kvs_resp *r;
    assert_int_equal(kvs_txn(t->s, &tx, &r), 0);
    kvs_resp_free(r);
    assert_int_equal(kvs_compact(t->s, kvs_revision(t->s) - 20, true, NULL), 0);
    put(t->s, "last", "1");
    assert_int_equal(checkpoints(t->s), ck); /* the image on disk is still the checkpoint's */
    static char want[65536], got[65536];
    dump(t->s, want, sizeof(want));
    size_t cur_len;
    uint8_t *cur = read_file(path, &cur_len);
    assert_true(cur_len >= old_len);
    assert_true(memcmp(old, cur, old_len) != 0); /* LMDB did write after the checkpoint, the meta pages too */
    size_t ps = (size_t)sysconf(_SC_PAGESIZE);

    for (int seed = 0; seed < 12; seed++) {
        char dir[1024], sub[1100];
        snprintf(dir, sizeof(dir), "%s-img%d", t->dir, seed);
        assert_int_equal(mkdir(dir, 0700), 0);
        /* seed 0: none of LMDB's later writes reached the disk; seed 1: all did (what kill -9 leaves); then
         * random mixes, half of them with the file's growth lost too */
        size_t len = seed % 2 == 0 && seed > 0 ? old_len : cur_len;
        uint8_t *img = calloc(1, len);
        srand((unsigned)seed * 7919u + 1);
        for (size_t p = 0; p * ps < len; p++) {
            size_t off = p * ps, n = len - off < ps ? len - off : ps;
            bool take_new = seed == 1 || (seed > 1 && rand() % 2);
            if (take_new)
                memcpy(img + off, cur + off, n);
            else if (off < old_len)
                memcpy(img + off, old + off, n < old_len - off ? n : old_len - off);
        }
        snprintf(sub, sizeof(sub), "%s/data.mdb", dir);
        write_file(sub, img, len);
        free(img);
        char walsrc[1024];
        snprintf(walsrc, sizeof(walsrc), "%s/wal", t->dir);
        snprintf(sub, sizeof(sub), "%s/wal", dir);
        copy_dir(walsrc, sub);

        struct kvs_options o = t->o;
        o.dir = dir;
        struct kvs *s;
        assert_int_equal(kvs_open(&o, &s), 0);
        dump(s, got, sizeof(got));
        assert_string_equal(got, want);
        struct kvs_lease_ttl_resp *ttl;
        assert_int_equal(kvs_lease_timetolive(s, 42, true, &ttl), 0);
        assert_int_equal(ttl->granted_ttl, 300);
        kvs_lease_ttl_free(ttl);
        /* and it goes on: writes, a reopen */
        int64_t rev = put(s, "after-crash", "ok");
        assert_int_equal(rev, kvs_revision(s));
        kvs_close(s);
        assert_int_equal(kvs_open(&o, &s), 0);
        assert_string_equal(get_value(s, "after-crash"), "ok");
        kvs_close(s);
        test_rmrf(strdup(dir));
    }
    free(old);
    free(cur);
}

/* A log write that fails stops the store's writes (reads go on) and loses nothing acknowledged. */
static void
test_log_failure_stops_writes(void **state)
{
    struct tstore *t = *state;
    put(t->s, "a", "1");
    put(t->s, "b", "2");
    kc_fault_arm(KC_FAULT_IO, 1, EIO, true);
    struct kvs_put_req pr = { .key = B("c"), .value = B("3") };
    struct kvs_resp *r = NULL;
    assert_int_equal(kvs_put(t->s, &pr, &r), -EIO);
    kc_fault_disarm(KC_FAULT_IO);
    pr.key = B("d");
    assert_int_equal(kvs_put(t->s, &pr, &r), -EIO); /* sticky: what the file holds is unknown */
    assert_int_equal(kvs_checkpoint(t->s), -EIO);
    assert_string_equal(get_value(t->s, "a"), "1");
    assert_null(get_value(t->s, "c"));
    tstore_reopen(t);
    assert_string_equal(get_value(t->s, "a"), "1");
    assert_string_equal(get_value(t->s, "b"), "2");
    assert_null(get_value(t->s, "c")); /* its record was never written */
    assert_null(get_value(t->s, "d"));
    put(t->s, "e", "5");
    tstore_reopen(t);
    assert_string_equal(get_value(t->s, "e"), "5");
}

static size_t
count_segments(const char *dir)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/wal", dir);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        n += l > 4 && strcmp(de->d_name + l - 4, ".wal") == 0;
    }
    closedir(d);
    return n;
}

/* Checkpoints happen by themselves while writes come in, and each trims the log. */
static void
test_checkpoints_trim_log(void **state)
{
    struct tstore *t = *state;
    kvs_close(t->s);
    t->o.wal_segment_bytes = 64 << 10;
    t->o.checkpoint_interval_ms = 1;
    assert_int_equal(kvs_open(&t->o, &t->s), 0);
    int64_t ck0 = checkpoints(t->s);
    char k[32], v[256];
    memset(v, 'v', sizeof(v) - 1);
    v[sizeof(v) - 1] = 0;
    for (int i = 0; i < 1500; i++) {
        snprintf(k, sizeof(k), "c%05d", i);
        put(t->s, k, v);
    }
    /* about 450 KB of log in 64 KiB segments: only the ones since the last checkpoints are left */
    assert_true(checkpoints(t->s) > ck0 + 2);
    assert_true(count_segments(t->dir) <= 5);
    struct kvs_stats st;
    assert_int_equal(kvs_stat(t->s, &st), 0);
    assert_true(st.wal_syncs >= 1500 / 64);
    tstore_reopen(t);
    struct kvs_resp *r = get_range(t->s, "c", "d", 0);
    assert_int_equal(r->count, 1500);
    kvs_resp_free(r);
    /* a clean close leaves nothing to replay: one segment with the checkpoint (and maybe a spare) */
    kvs_close(t->s);
    t->s = NULL;
    assert_true(count_segments(t->dir) <= 3);
    assert_int_equal(kvs_open(&t->o, &t->s), 0);
}

static bool
wal_dir_exists(const char *dir)
{
    char path[1024];
    struct stat st;
    snprintf(path, sizeof(path), "%s/wal", dir);
    return stat(path, &st) == 0;
}

/* KVS_DURABLE_LMDB: no log; on a store that has one (killed under load in WAL mode), the log is replayed first
 * and then removed. */
static void
test_lmdb_durability(void **state)
{
    struct tstore *t = *state;
    kvs_close(t->s);
    t->s = NULL;
    test_rmrf(t->dir);
    t->dir = test_mkdtemp();
    t->o.dir = t->dir;
    t->o.durability = KVS_DURABLE_LMDB;
    assert_int_equal(kvs_open(&t->o, &t->s), 0);
    put(t->s, "x", "1");
    struct kvs_stats st;
    assert_int_equal(kvs_stat(t->s, &st), 0);
    assert_int_equal(st.checkpoints, 0);
    assert_int_equal(st.wal_syncs, 0);
    assert_int_equal(kvs_checkpoint(t->s), 0); /* nothing to do */
    assert_false(wal_dir_exists(t->dir));
    tstore_reopen(t);
    assert_string_equal(get_value(t->s, "x"), "1");
    kvs_close(t->s);
    t->s = NULL;

    /* a child writes in WAL mode and is killed */
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        struct kvs_options o = t->o;
        o.durability = KVS_DURABLE_WAL;
        o.checkpoint_interval_ms = 3600 * 1000;
        struct kvs *s;
        if (kvs_open(&o, &s) != 0)
            _exit(2);
        char k[16];
        for (int i = 0;; i++) {
            snprintf(k, sizeof(k), "w%05d", i);
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
    while (last < 100 && read(p[0], &n, sizeof(n)) == sizeof(n))
        last = n;
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    while (read(p[0], &n, sizeof(n)) == sizeof(n))
        last = n;
    close(p[0]);
    assert_true(WIFSIGNALED(status));
    assert_true(wal_dir_exists(t->dir));
    assert_int_equal(kvs_open(&t->o, &t->s), 0); /* KVS_DURABLE_LMDB */
    assert_false(wal_dir_exists(t->dir));
    struct kvs_resp *r = get_range(t->s, "w", "x", 0);
    assert_true(r->count >= last + 1);
    kvs_resp_free(r);
    assert_string_equal(get_value(t->s, "x"), "1");
    put(t->s, "y", "2");
    /* and back to the log */
    kvs_close(t->s);
    t->o.durability = KVS_DURABLE_WAL;
    assert_int_equal(kvs_open(&t->o, &t->s), 0);
    assert_true(wal_dir_exists(t->dir));
    assert_string_equal(get_value(t->s, "y"), "2");
    /* bad values */
    kvs_close(t->s);
    t->s = NULL;
    struct kvs_options bad = t->o;
    bad.durability = (enum kvs_durability)7;
    struct kvs *s = NULL;
    assert_int_equal(kvs_open(&bad, &s), KC_EINVALID);
    bad = t->o;
    bad.wal_segment_bytes = 4096;
    assert_int_equal(kvs_open(&bad, &s), KC_EINVALID);
    assert_null(s);
    assert_int_equal(kvs_open(&t->o, &t->s), 0);
}

/* --- the asynchronous API --- */

struct done_rec {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int calls;
    int errs[256];
    int64_t revs[256];
    bool succeeded[256];
};

struct done_arg {
    struct done_rec *d;
    int i;
};

static void
on_done(void *arg, int err, struct kvs_resp *resp)
{
    struct done_arg *a = arg;
    struct done_rec *d = a->d;
    pthread_mutex_lock(&d->lock);
    d->errs[a->i] = err;
    d->revs[a->i] = resp ? resp->revision : -1;
    d->succeeded[a->i] = resp && resp->succeeded;
    d->calls++;
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
    kvs_resp_free(resp);
}

/* Waits up to 10 s for n completions. */
static void
wait_calls(struct done_rec *d, int n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 10;
    pthread_mutex_lock(&d->lock);
    while (d->calls < n && pthread_cond_timedwait(&d->cond, &d->lock, &ts) == 0)
        ;
    int calls = d->calls;
    pthread_mutex_unlock(&d->lock);
    assert_int_equal(calls, n);
}

static void
test_async_writes(void **state)
{
    struct tstore *t = *state;
    static struct done_rec d;
    memset(&d, 0, sizeof(d));
    pthread_mutex_init(&d.lock, NULL);
    pthread_cond_init(&d.cond, NULL);
    static struct done_arg args[256];
    char k[32];
    int64_t base = kvs_revision(t->s);
    for (int i = 0; i < 100; i++) {
        args[i] = (struct done_arg){ &d, i };
        snprintf(k, sizeof(k), "a%03d", i);
        struct kvs_put_req pr = { .key = B(k), .value = B(k) }; /* freed (out of scope) before done runs */
        assert_int_equal(kvs_put_async(t->s, &pr, on_done, &args[i]), 0);
    }
    wait_calls(&d, 100);
    /* each got its own revision, in submission order (one queue), exactly once */
    for (int i = 0; i < 100; i++) {
        assert_int_equal(d.errs[i], 0);
        assert_int_equal(d.revs[i], base + 1 + i);
    }
    /* visible and durable once done ran */
    assert_string_equal(get_value(t->s, "a099"), "a099");
    /* delete and txn */
    args[100] = (struct done_arg){ &d, 100 };
    struct kvs_delete_req dr = { .key = B("a000"), .range_end = B("a050") };
    assert_int_equal(kvs_delete_range_async(t->s, &dr, on_done, &args[100]), 0);
    wait_calls(&d, 101);
    assert_int_equal(d.errs[100], 0);
    assert_int_equal(d.revs[100], base + 101);
    struct kvs_compare cmp = { .result = KVS_CMP_EQUAL, .target = KVS_CMP_VERSION, .key = B("a060"), .number = 1 };
    struct kvs_op op = { .type = KVS_OP_PUT, .put = { .key = B("a060"), .value = B("new") } };
    struct kvs_txn_req tx = { &cmp, 1, &op, 1, NULL, 0 };
    args[101] = (struct done_arg){ &d, 101 };
    assert_int_equal(kvs_txn_async(t->s, &tx, on_done, &args[101]), 0);
    wait_calls(&d, 102);
    assert_true(d.succeeded[101]);
    assert_string_equal(get_value(t->s, "a060"), "new");
    /* a txn that writes nothing runs at once, on this thread */
    struct kvs_op rop = { .type = KVS_OP_RANGE, .range = { .key = B("a061") } };
    struct kvs_txn_req rtx = { NULL, 0, &rop, 1, NULL, 0 };
    args[102] = (struct done_arg){ &d, 102 };
    assert_int_equal(kvs_txn_async(t->s, &rtx, on_done, &args[102]), 0);
    assert_int_equal(d.calls, 103);
    assert_int_equal(d.revs[102], kvs_revision(t->s));
    /* errors known at once are returned, done does not run */
    struct kvs_put_req empty = { .key = B("") };
    assert_int_equal(kvs_put_async(t->s, &empty, on_done, &args[103]), KVS_EEMPTYKEY);
    assert_int_equal(kvs_put_async(t->s, &empty, NULL, NULL), KC_EINVALID);
    struct kvs_delete_req ed = { .key = B("") };
    assert_int_equal(kvs_delete_range_async(t->s, &ed, on_done, &args[103]), KVS_EEMPTYKEY);
    struct kvs_op bad = { .type = KVS_OP_RANGE, .range = { .key = B("x"), .revision = 1000000 } };
    struct kvs_txn_req btx = { NULL, 0, &bad, 1, NULL, 0 };
    assert_int_equal(kvs_txn_async(t->s, &btx, on_done, &args[103]), KC_EFUTUREREV);
    kc_fault_arm(KC_FAULT_ALLOC, 1, 0, true);
    struct kvs_put_req ok = { .key = B("mem"), .value = B("v") };
    int rc = kvs_put_async(t->s, &ok, on_done, &args[103]);
    kc_fault_disarm(KC_FAULT_ALLOC);
    assert_int_equal(rc, -ENOMEM);
    assert_int_equal(d.calls, 103);
    pthread_mutex_destroy(&d.lock);
    pthread_cond_destroy(&d.cond);
}

static int
blackhole(void *ctx, const void *cmd, size_t len)
{
    (void)ctx;
    (void)cmd;
    (void)len;
    return 0;
}

/* Raft mode: an async write the log never applies completes with KC_EUNAVAILABLE when the store closes. */
static void
test_async_close(void **state)
{
    struct tstore *t = *state;
    kvs_close(t->s);
    t->o.propose = blackhole;
    assert_int_equal(kvs_open(&t->o, &t->s), 0);
    static struct done_rec d;
    memset(&d, 0, sizeof(d));
    pthread_mutex_init(&d.lock, NULL);
    pthread_cond_init(&d.cond, NULL);
    struct done_arg a = { &d, 0 };
    struct kvs_put_req pr = { .key = B("k"), .value = B("v") };
    assert_int_equal(kvs_put_async(t->s, &pr, on_done, &a), 0);
    assert_int_equal(d.calls, 0);
    kvs_close(t->s);
    t->s = NULL;
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.errs[0], KC_EUNAVAILABLE);
    t->o.propose = NULL;
    assert_int_equal(kvs_open(&t->o, &t->s), 0);
    pthread_mutex_destroy(&d.lock);
    pthread_cond_destroy(&d.cond);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_power_loss_images, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_log_failure_stops_writes, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_checkpoints_trim_log, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_lmdb_durability, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_async_writes, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_async_close, tstore_setup, tstore_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
