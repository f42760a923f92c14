/* test_wal.c - the write-ahead log (kvs_wal.h): records read back after reopening, a torn tail and a CRC mismatch
 * ending the log, stale records of a reused segment never read back, segment switches, trimming, oversized
 * records, I/O and allocation faults (a failed write or sync is sticky), bad arguments, CRC32C itself.
 */
#include "kvs_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>

#include "kc_error.h"
#include "kc_fault.h"
#include "kvs_wal.h"

struct twal {
    char *dir; /* the test's temp dir; the log is in dir/wal */
    char path[512];
    struct kvs_wal *w;
    int64_t seg;
};

static void
twal_open(struct twal *t)
{
    struct kvs_wal_options o = { .dir = t->path, .segment_bytes = t->seg };
    int rc = kvs_wal_open(&o, &t->w);
    assert_int_equal(rc, 0);
}

static int
twal_setup(void **state)
{
    struct twal *t = calloc(1, sizeof(*t));
    t->dir = test_mkdtemp();
    snprintf(t->path, sizeof(t->path), "%s/wal", t->dir);
    t->seg = KVS_WAL_SEGMENT_MIN;
    twal_open(t);
    *state = t;
    return 0;
}

static int
twal_teardown(void **state)
{
    struct twal *t = *state;
    kc_fault_disarm(KC_FAULT_IO);
    kc_fault_disarm(KC_FAULT_ALLOC);
    kvs_wal_close(t->w);
    test_rmrf(t->dir);
    free(t);
    return 0;
}

static void
twal_reopen(struct twal *t)
{
    kvs_wal_close(t->w);
    t->w = NULL;
    twal_open(t);
}

/* Payload i: "rec-<i>-" repeated to a length that varies with i (0 for every 7th). */
static size_t
payload(int i, char *out, size_t cap)
{
    size_t len = i % 7 == 0 ? 0 : (size_t)(i * 37 % 900) + 1;
    if (len > cap)
        len = cap;
    for (size_t k = 0; k < len; k++)
        out[k] = (char)('a' + (k + (size_t)i) % 26);
    return len;
}

static void
append_range(struct twal *t, int from, int to)
{
    char buf[1024];
    for (int i = from; i < to; i++) {
        size_t len = payload(i, buf, sizeof(buf));
        assert_int_equal(kvs_wal_append(t->w, (uint8_t)(1 + i % 3), (uint64_t)i + 100, len ? buf : NULL, len), 0);
    }
}

/* The records read at open are exactly [from, to). */
static void
assert_records(struct twal *t, int from, int to)
{
    const struct kvs_wal_rec *r;
    size_t n;
    kvs_wal_records(t->w, &r, &n);
    assert_int_equal(n, (size_t)(to - from));
    char buf[1024];
    for (int i = from; i < to; i++) {
        const struct kvs_wal_rec *x = &r[i - from];
        size_t len = payload(i, buf, sizeof(buf));
        assert_int_equal(x->type, 1 + i % 3);
        assert_int_equal(x->index, (uint64_t)i + 100);
        assert_int_equal(x->len, len);
        if (len)
            assert_memory_equal(x->data, buf, len);
        else
            assert_null(x->data);
        if (i > from) {
            const struct kvs_wal_pos *a = &r[i - from - 1].pos, *b = &x->pos;
            assert_true(a->seq < b->seq || (a->seq == b->seq && a->off < b->off));
        }
    }
}

static void
seg_file(struct twal *t, uint64_t seq, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%016llx.wal", t->path, (unsigned long long)seq);
}

static void
test_crc32c(void **state)
{
    (void)state;
    assert_int_equal(kvs_crc32c(0, "123456789", 9), 0xE3069283u); /* the check value of CRC-32C */
    assert_int_equal(kvs_crc32c(0, "", 0), 0);
    /* continuing a CRC is the same as one pass */
    uint32_t a = kvs_crc32c(0, "1234", 4);
    assert_int_equal(kvs_crc32c(a, "56789", 5), 0xE3069283u);
    static uint8_t big[10000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 131);
    uint32_t one = kvs_crc32c(0, big, sizeof(big));
    assert_int_equal(kvs_crc32c(kvs_crc32c(0, big, 3333), big + 3333, sizeof(big) - 3333), one);
}

static void
test_roundtrip(void **state)
{
    struct twal *t = *state;
    const struct kvs_wal_rec *r;
    size_t n;
    kvs_wal_records(t->w, &r, &n);
    assert_int_equal(n, 0);
    append_range(t, 0, 50);
    assert_int_equal(kvs_wal_sync(t->w), 0);
    assert_int_equal(kvs_wal_sync(t->w), 0); /* nothing new: no fdatasync */
    assert_int_equal(kvs_wal_syncs(t->w), 1);
    struct kvs_wal_pos end = kvs_wal_end(t->w);
    twal_reopen(t);
    assert_records(t, 0, 50);
    /* appends after a reopen go to a fresh segment and come after the old records */
    struct kvs_wal_pos e2 = kvs_wal_end(t->w);
    assert_true(e2.seq > end.seq);
    append_range(t, 50, 60);
    assert_int_equal(kvs_wal_sync(t->w), 0);
    twal_reopen(t);
    assert_records(t, 0, 60);
    /* unsynced appends are not written at all */
    append_range(t, 60, 70);
    twal_reopen(t);
    assert_records(t, 0, 60);
}

/* Overwrites len bytes at off of segment seq. */
static void
poke(struct twal *t, uint64_t seq, uint64_t off, const void *data, size_t len)
{
    char path[600];
    seg_file(t, seq, path, sizeof(path));
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, data, len, (off_t)off), (ssize_t)len);
    close(fd);
}

static void
test_torn_tail(void **state)
{
    struct twal *t = *state;
    append_range(t, 0, 20);
    assert_int_equal(kvs_wal_sync(t->w), 0);
    twal_reopen(t);
    const struct kvs_wal_rec *r;
    size_t n;
    kvs_wal_records(t->w, &r, &n);
    assert_int_equal(n, 20);
    struct kvs_wal_pos cut = r[17].pos;
    assert_true(r[17].len > 100);
    /* a crash that wrote record 17 only partly (a stretch of its payload is still zeros): the log ends before
     * it, and records 18 and 19 behind it are not read either, though intact */
    uint8_t zeros[64] = { 0 };
    poke(t, cut.seq, cut.off + KVS_WAL_RECORD_OVERHEAD + r[17].len / 2, zeros, sizeof(zeros));
    twal_reopen(t);
    assert_records(t, 0, 17);
    /* the log goes on from there in a new segment, so the torn record's neighbours never resurface */
    append_range(t, 17, 25);
    assert_int_equal(kvs_wal_sync(t->w), 0);
    twal_reopen(t);
    kvs_wal_records(t->w, &r, &n);
    assert_int_equal(n, 25);
    assert_records(t, 0, 25);
    /* a header cut off mid-way (the file ends inside the record header) reads as the end too */
    kvs_wal_records(t->w, &r, &n);
    struct kvs_wal_pos p = r[24].pos;
    char path[600];
    seg_file(t, p.seq, path, sizeof(path));
    assert_int_equal(truncate(path, (off_t)p.off + 10), 0);
    twal_reopen(t);
    assert_records(t, 0, 24);
}

static void
test_crc_mismatch(void **state)
{
    struct twal *t = *state;
    append_range(t, 0, 30);
    assert_int_equal(kvs_wal_sync(t->w), 0);
    twal_reopen(t);
    const struct kvs_wal_rec *r;
    size_t n;
    kvs_wal_records(t->w, &r, &n);
    assert_int_equal(n, 30);
    /* one flipped payload bit in record 12: it and everything after it in its segment are not read */
    struct kvs_wal_pos p = r[12].pos;
    assert_true(r[12].len > 0);
    uint8_t b = (uint8_t)(r[12].data[0] ^ 0x10);
    poke(t, p.seq, p.off + KVS_WAL_RECORD_OVERHEAD, &b, 1);
    twal_reopen(t);
    assert_records(t, 0, 12);
    /* a flipped bit in the index (inside the header) too */
    kvs_wal_records(t->w, &r, &n);
    p = r[5].pos;
    uint8_t idx = 0x55;
    poke(t, p.seq, p.off + 16, &idx, 1);
    twal_reopen(t);
    assert_records(t, 0, 5);
}

static size_t
count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0, sl = strlen(suffix);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        n += l >= sl && strcmp(de->d_name + l - sl, suffix) == 0;
    }
    closedir(d);
    return n;
}

static void
test_segments_and_trim(void **state)
{
    struct twal *t = *state;
    /* 64 KiB segments: 600 records of ~450 bytes need several */
    append_range(t, 0, 300);
    assert_int_equal(kvs_wal_sync(t->w), 0);
    struct kvs_wal_pos mid = kvs_wal_end(t->w);
    append_range(t, 300, 600);
    assert_int_equal(kvs_wal_sync(t->w), 0);
    assert_true(kvs_wal_segments(t->w) >= 4);
    twal_reopen(t);
    assert_records(t, 0, 600);
    /* trimming before mid drops the segments wholly before mid's: what is left starts at a segment boundary at
     * or before mid and still holds everything from mid on */
    assert_int_equal(kvs_wal_trim(t->w, mid), 0);
    twal_reopen(t);
    const struct kvs_wal_rec *r;
    size_t n;
    kvs_wal_records(t->w, &r, &n);
    assert_true(n < 600 && n >= 300);
    int first = 600 - (int)n;
    assert_true(r[0].pos.seq == mid.seq && r[0].pos.off == KVS_WAL_HEADER_BYTES);
    assert_records(t, first, 600);
    /* the trimmed segments are gone from the directory, but for one kept to be reused */
    size_t segs = count_files(t->path, ".wal");
    assert_int_equal(count_files(t->path, "recycle.tmp"), 1);
    /* trimming everything but the active segment */
    struct kvs_wal_pos end = kvs_wal_end(t->w);
    assert_int_equal(kvs_wal_trim(t->w, end), 0);
    assert_true(count_files(t->path, ".wal") < segs);
    twal_reopen(t);
    kvs_wal_records(t->w, &r, &n);
    assert_int_equal(n, 0);
}

/* A reused segment still holds records of its earlier life, with valid CRCs: none may be read back. */
static void
test_reused_segment_stale_records(void **state)
{
    struct twal *t = *state;
    append_range(t, 0, 400); /* fills several segments with records of types 1..3 */
    assert_int_equal(kvs_wal_sync(t->w), 0);
    assert_int_equal(kvs_wal_trim(t->w, kvs_wal_end(t->w)), 0); /* the first becomes recycle.tmp */
    assert_int_equal(count_files(t->path, "recycle.tmp"), 1);
    /* fill the active segment with empty records until the log switches to the next one, made from the recycled
     * file: the record that switched is alone at its start, exactly as long as the old record that was there,
     * so the old records follow it where a next record would start, CRCs intact */
    uint64_t seq = kvs_wal_end(t->w).seq;
    int n9 = 0;
    while (kvs_wal_end(t->w).seq == seq) {
        assert_int_equal(kvs_wal_append(t->w, 9, 5000 + (uint64_t)n9, NULL, 0), 0);
        n9++;
    }
    assert_int_equal(count_files(t->path, "recycle.tmp"), 0);
    assert_int_equal(kvs_wal_end(t->w).off, KVS_WAL_HEADER_BYTES + KVS_WAL_RECORD_OVERHEAD);
    assert_int_equal(kvs_wal_sync(t->w), 0);
    twal_reopen(t);
    const struct kvs_wal_rec *r;
    size_t n;
    kvs_wal_records(t->w, &r, &n);
    /* the segment that was active still holds old records, then the empty ones; the reused file holds exactly
     * the one that switched, and none of its old records */
    size_t k = 0;
    while (k < n && r[k].type != 9)
        k++;
    assert_int_equal(n - k, (size_t)n9);
    for (size_t i = k; i < n; i++)
        assert_int_equal(r[i].type, 9);
    assert_int_equal(r[n - 1].index, 5000 + (uint64_t)n9 - 1);
    assert_int_equal(r[n - 1].pos.off, KVS_WAL_HEADER_BYTES);
}

static void
test_oversize_record(void **state)
{
    struct twal *t = *state;
    size_t len = (size_t)KVS_WAL_SEGMENT_MIN * 3 + 123;
    uint8_t *big = malloc(len);
    for (size_t i = 0; i < len; i++)
        big[i] = (uint8_t)(i * 7);
    assert_int_equal(kvs_wal_append(t->w, 1, 1, "a", 1), 0);
    assert_int_equal(kvs_wal_append(t->w, 2, 2, big, len), 0);
    assert_int_equal(kvs_wal_append(t->w, 3, 3, "b", 1), 0);
    assert_int_equal(kvs_wal_sync(t->w), 0);
    twal_reopen(t);
    const struct kvs_wal_rec *r;
    size_t n;
    kvs_wal_records(t->w, &r, &n);
    assert_int_equal(n, 3);
    assert_int_equal(r[1].len, len);
    assert_memory_equal(r[1].data, big, len);
    assert_true(r[0].pos.seq < r[1].pos.seq && r[1].pos.seq < r[2].pos.seq);
    assert_int_equal(r[2].index, 3);
    free(big);
}

static void
test_io_faults(void **state)
{
    struct twal *t = *state;
    append_range(t, 0, 10);
    assert_int_equal(kvs_wal_sync(t->w), 0);
    /* the write fails: the error sticks, nothing more is accepted */
    append_range(t, 10, 15);
    kc_fault_arm(KC_FAULT_IO, 1, EIO, false);
    assert_int_equal(kvs_wal_sync(t->w), -EIO);
    kc_fault_disarm(KC_FAULT_IO);
    assert_int_equal(kvs_wal_sync(t->w), -EIO);
    assert_int_equal(kvs_wal_append(t->w, 1, 99, "x", 1), -EIO);
    twal_reopen(t);
    assert_records(t, 0, 10);
    /* the fdatasync fails (the write before it went through): sticky as well; what reached the file may be
     * read back or not, but only whole records, in order */
    append_range(t, 10, 15);
    kc_fault_arm(KC_FAULT_IO, 2, EIO, false);
    assert_int_equal(kvs_wal_sync(t->w), -EIO);
    kc_fault_disarm(KC_FAULT_IO);
    assert_int_equal(kvs_wal_append(t->w, 1, 99, "x", 1), -EIO);
    twal_reopen(t);
    const struct kvs_wal_rec *r;
    size_t n;
    kvs_wal_records(t->w, &r, &n);
    assert_true(n == 10 || n == 15);
    assert_records(t, 0, (int)n);
    /* no memory to append: refused, not sticky, nothing half-appended */
    size_t got = n;
    char big[1024] = { 0 };
    kc_fault_arm(KC_FAULT_ALLOC, 1, 0, true);
    int rc = 0;
    for (int i = 0; i < 200 && rc == 0; i++) /* until the buffer must grow */
        rc = kvs_wal_reserve(t->w, 100, 100 * sizeof(big));
    kc_fault_disarm(KC_FAULT_ALLOC);
    assert_int_equal(rc, -ENOMEM);
    append_range(t, (int)got, (int)got + 3);
    assert_int_equal(kvs_wal_sync(t->w), 0);
    twal_reopen(t);
    assert_records(t, 0, (int)got + 3);
    /* a fault while preparing the next segment fails the append that needs it, and sticks */
    kc_fault_arm(KC_FAULT_IO, 1, ENOSPC, true);
    rc = 0;
    for (int i = 0; i < 1000 && rc == 0; i++)
        rc = kvs_wal_append(t->w, 1, 1000 + (uint64_t)i, big, sizeof(big));
    kc_fault_disarm(KC_FAULT_IO);
    assert_int_equal(rc, -ENOSPC);
    assert_int_equal(kvs_wal_sync(t->w), -ENOSPC);
}

struct prep {
    struct kvs_wal *w;
    _Atomic bool stop;
    int calls;
};

static void *
prep_main(void *arg)
{
    struct prep *p = arg;
    while (!atomic_load(&p->stop)) {
        kvs_wal_prepare(p->w);
        p->calls++;
        sched_yield();
    }
    return NULL;
}

/* kvs_wal_prepare from another thread while appends switch segments (the store's checkpoint thread does this). */
static void
test_prepare_concurrently(void **state)
{
    struct twal *t = *state;
    struct prep p = { .w = t->w };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, prep_main, &p), 0);
    for (int i = 0; i < 1000; i += 50) {
        append_range(t, i, i + 50);
        assert_int_equal(kvs_wal_sync(t->w), 0);
    }
    atomic_store(&p.stop, true);
    pthread_join(th, NULL);
    assert_true(p.calls > 0);
    twal_reopen(t);
    assert_records(t, 0, 1000);
}

static void
test_bad_input(void **state)
{
    struct twal *t = *state;
    struct kvs_wal *w = NULL;
    struct kvs_wal_options o = { .dir = NULL };
    assert_int_equal(kvs_wal_open(&o, &w), KC_EINVALID);
    o.dir = "";
    assert_int_equal(kvs_wal_open(&o, &w), KC_EINVALID);
    o.dir = t->path;
    o.segment_bytes = 1000;
    assert_int_equal(kvs_wal_open(&o, &w), KC_EINVALID);
    assert_null(w);
    /* one writer at a time */
    o.segment_bytes = 0;
    assert_int_equal(kvs_wal_open(&o, &w), -EBUSY);
    assert_null(w);
    assert_int_equal(kvs_wal_append(t->w, 0, 1, "x", 1), KC_EINVALID); /* type 0 */
    assert_int_equal(kvs_wal_append(t->w, 1, 1, NULL, 5), KC_EINVALID);
    /* a segment before the last with a damaged header: not ours, refused */
    append_range(t, 0, 300);
    assert_int_equal(kvs_wal_sync(t->w), 0);
    const struct kvs_wal_rec *r;
    size_t n;
    twal_reopen(t);
    kvs_wal_records(t->w, &r, &n);
    uint64_t first = r[0].pos.seq;
    assert_true(r[n - 1].pos.seq > first);
    kvs_wal_close(t->w);
    t->w = NULL;
    uint8_t junk[8] = "NOTAWAL!";
    poke(t, first, 0, junk, sizeof(junk));
    struct kvs_wal_options ok = { .dir = t->path, .segment_bytes = t->seg };
    assert_int_equal(kvs_wal_open(&ok, &t->w), KC_EINTERNAL);
    assert_null(t->w);
    /* a directory that cannot be created */
    char file[600];
    snprintf(file, sizeof(file), "%s/plainfile", t->dir);
    FILE *f = fopen(file, "w");
    fclose(f);
    char sub[700];
    snprintf(sub, sizeof(sub), "%s/wal", file);
    struct kvs_wal_options bad = { .dir = sub };
    assert_int_equal(kvs_wal_open(&bad, &w), -ENOTDIR);
    /* destroy removes it all, and is fine when there is nothing */
    assert_int_equal(kvs_wal_destroy(t->path), 0);
    struct stat st;
    assert_int_not_equal(stat(t->path, &st), 0);
    assert_int_equal(kvs_wal_destroy(t->path), 0);
    twal_open(t);
}

int
main(void)
{
    kc_log_init_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c),
        cmocka_unit_test_setup_teardown(test_roundtrip, twal_setup, twal_teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail, twal_setup, twal_teardown),
        cmocka_unit_test_setup_teardown(test_crc_mismatch, twal_setup, twal_teardown),
        cmocka_unit_test_setup_teardown(test_segments_and_trim, twal_setup, twal_teardown),
        cmocka_unit_test_setup_teardown(test_reused_segment_stale_records, twal_setup, twal_teardown),
        cmocka_unit_test_setup_teardown(test_oversize_record, twal_setup, twal_teardown),
        cmocka_unit_test_setup_teardown(test_io_faults, twal_setup, twal_teardown),
        cmocka_unit_test_setup_teardown(test_prepare_concurrently, twal_setup, twal_teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, twal_setup, twal_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
