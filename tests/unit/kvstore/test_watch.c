/* test_watch.c - the watch hub: etcd's six guarantees (ordered, unique, reliable, atomic, resumable,
 * bookmarkable) under concurrent writers, start revisions (now, history, future, compacted, negative), prev_kv,
 * filters, ranges, progress, the 1000-revision catch-up batches, slow watchers, close, the eventfd.
 */
#include "kvs_test.h"

#include <poll.h>
#include <pthread.h>

static struct kvs_watch *
watch(struct kvs *s, const char *key, const char *end, int64_t start)
{
    struct kvs_watch_req r = { .key = key ? B(key) : (struct kvs_buf){ 0 },
                               .range_end = end ? B(end) : (struct kvs_buf){ 0 },
                               .start_revision = start };
    struct kvs_watch *w = NULL;
    assert_int_equal(kvs_watch_create(s, &r, &w), 0);
    return w;
}

static struct kvs_watch *
watch_all(struct kvs *s, int64_t start)
{
    struct kvs_watch_req r = { .key = { "\0", 1 }, .range_end = { "\0", 1 }, .start_revision = start };
    struct kvs_watch *w = NULL;
    assert_int_equal(kvs_watch_create(s, &r, &w), 0);
    return w;
}

static struct kvs_watch_batch *
next_batch(struct kvs_watch *w)
{
    struct kvs_watch_batch *b = NULL;
    assert_int_equal(kvs_watch_wait(w, 10000, &b), 0);
    return b;
}

static bool
fd_readable(struct kvs_watch *w)
{
    struct pollfd p = { .fd = kvs_watch_fd(w), .events = POLLIN };
    return poll(&p, 1, 0) == 1;
}

static void
test_from_now(void **state)
{
    struct tstore *t = *state;
    put(t->s, "a", "old");
    struct kvs_watch *w = watch(t->s, "a", NULL, 0);
    assert_true(kvs_watch_id(w) > 0);
    struct kvs_watch_batch *b = NULL;
    assert_int_equal(kvs_watch_poll(w, &b), -EAGAIN);
    assert_false(fd_readable(w));
    int64_t rev = put(t->s, "a", "new");
    assert_true(fd_readable(w));
    b = next_batch(w);
    assert_int_equal(b->revision, rev);
    assert_int_equal(b->n_events, 1);
    assert_int_equal(b->events[0].type, KVS_EVENT_PUT);
    assert_value(&b->events[0].kv, "new");
    assert_int_equal(b->events[0].kv.version, 2);
    assert_int_equal(b->events[0].kv.create_revision, 2);
    assert_int_equal(b->events[0].kv.mod_revision, rev);
    assert_null(b->events[0].prev_kv);
    assert_false(b->canceled);
    kvs_watch_batch_free(b);
    assert_int_equal(kvs_watch_poll(w, &b), -EAGAIN);
    assert_false(fd_readable(w));
    /* another key is not seen; a delete event carries only key and mod_revision */
    put(t->s, "b", "x");
    rev = put(t->s, "a", "x") + 1;
    del(t->s, "a", NULL);
    b = next_batch(w);
    assert_int_equal(b->events[0].kv.mod_revision, rev - 1);
    kvs_watch_batch_free(b);
    b = next_batch(w);
    assert_int_equal(b->events[0].type, KVS_EVENT_DELETE);
    assert_int_equal(b->events[0].kv.mod_revision, rev);
    assert_int_equal(b->events[0].kv.version, 0);
    assert_int_equal(b->events[0].kv.create_revision, 0);
    assert_int_equal(b->events[0].kv.value_len, 0);
    kvs_watch_batch_free(b);
    kvs_watch_free(w);
}

static void
test_from_history(void **state)
{
    struct tstore *t = *state;
    for (int i = 0; i < 9; i++)
        put(t->s, i % 2 ? "x" : "y", "v"); /* 2..10 */
    struct kvs_watch *w = watch(t->s, "x", NULL, 3);
    assert_true(fd_readable(w));
    struct kvs_watch_batch *b = next_batch(w);
    assert_int_equal(b->revision, 10); /* catch-up batches carry the store revision */
    assert_int_equal(b->n_events, 4);  /* x at 3, 5, 7, 9 */
    for (int i = 0; i < 4; i++)
        assert_int_equal(b->events[i].kv.mod_revision, 3 + 2 * i);
    assert_int_equal(b->events[3].kv.version, 4);
    kvs_watch_batch_free(b);
    assert_int_equal(kvs_watch_poll(w, &b), -EAGAIN);
    int64_t rev = put(t->s, "x", "live");
    b = next_batch(w);
    assert_int_equal(b->revision, rev);
    assert_int_equal(b->n_events, 1);
    kvs_watch_batch_free(b);
    kvs_watch_free(w);
}

static void
test_future_start(void **state)
{
    struct tstore *t = *state;
    struct kvs_watch *w = watch_all(t->s, 4);
    put(t->s, "a", "2");
    put(t->s, "a", "3");
    put(t->s, "a", "4");
    struct kvs_watch_batch *b = next_batch(w);
    assert_int_equal(b->revision, 4);
    assert_int_equal(b->n_events, 1);
    assert_value(&b->events[0].kv, "4");
    kvs_watch_batch_free(b);
    kvs_watch_free(w);
}

static void
test_compacted_start(void **state)
{
    struct tstore *t = *state;
    /* a new store: compact_rev is -1, so a negative start below it is compacted; -1 is not, but etcd then reads
     * history from revToBytes(-1) (0xff... big-endian): nothing, and the watcher goes live */
    struct kvs_watch *w = watch(t->s, "a", NULL, -5);
    struct kvs_watch_batch *b = next_batch(w);
    assert_true(b->canceled);
    assert_int_equal(b->compact_revision, -1);
    assert_int_equal(b->revision, 0);
    assert_int_equal(b->cancel_err, 0);
    kvs_watch_batch_free(b);
    assert_int_equal(kvs_watch_poll(w, &b), -ECANCELED);
    assert_int_equal(kvs_watch_progress(w), -ECANCELED);
    kvs_watch_free(w);
    for (int i = 0; i < 6; i++)
        put(t->s, "a", "v"); /* 2..7 */
    w = watch(t->s, "a", NULL, -1);
    assert_int_equal(kvs_watch_poll(w, &b), -EAGAIN);
    int64_t live = put(t->s, "a", "v"); /* 8 */
    b = next_batch(w);
    assert_int_equal(b->n_events, 1);
    assert_int_equal(b->revision, live);
    kvs_watch_batch_free(b);
    kvs_watch_free(w);
    assert_int_equal(kvs_compact(t->s, 5, true, NULL), 0);
    w = watch(t->s, "a", NULL, 3);
    b = next_batch(w);
    assert_true(b->canceled);
    assert_int_equal(b->compact_revision, 5);
    assert_int_equal(b->n_events, 0);
    kvs_watch_batch_free(b);
    kvs_watch_free(w);
    w = watch(t->s, "a", NULL, 5); /* at the compaction revision: fine */
    b = next_batch(w);
    assert_false(b->canceled);
    assert_int_equal(b->n_events, 4); /* 5, 6, 7, 8 */
    kvs_watch_batch_free(b);
    kvs_watch_free(w);
}

static void
test_prev_kv_and_filters(void **state)
{
    struct tstore *t = *state;
    struct kvs_watch_req r = { .key = B("k"), .prev_kv = true };
    struct kvs_watch *live;
    assert_int_equal(kvs_watch_create(t->s, &r, &live), 0);
    put(t->s, "k", "1");  /* 2 */
    put(t->s, "k", "2");  /* 3 */
    del(t->s, "k", NULL); /* 4 */
    put(t->s, "k", "3");  /* 5 */
    r.start_revision = 2;
    struct kvs_watch *hist;
    assert_int_equal(kvs_watch_create(t->s, &r, &hist), 0);
    struct kvs_event evs[4];
    struct kvs_watch_batch *bs[4];
    for (int i = 0; i < 4; i++) {
        bs[i] = next_batch(live);
        assert_int_equal(bs[i]->n_events, 1);
        evs[i] = bs[i]->events[0];
    }
    assert_null(evs[0].prev_kv);
    assert_non_null(evs[1].prev_kv);
    assert_value(evs[1].prev_kv, "1");
    assert_int_equal(evs[1].prev_kv->mod_revision, 2);
    assert_int_equal(evs[2].type, KVS_EVENT_DELETE);
    assert_value(evs[2].prev_kv, "2");
    assert_null(evs[3].prev_kv);
    /* the same from history */
    struct kvs_watch_batch *hb = next_batch(hist);
    assert_int_equal(hb->n_events, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(hb->events[i].type, evs[i].type);
        assert_int_equal(hb->events[i].kv.mod_revision, evs[i].kv.mod_revision);
        assert_true((hb->events[i].prev_kv == NULL) == (evs[i].prev_kv == NULL));
        if (evs[i].prev_kv)
            assert_int_equal(hb->events[i].prev_kv->mod_revision, evs[i].prev_kv->mod_revision);
    }
    kvs_watch_batch_free(hb);
    for (int i = 0; i < 4; i++)
        kvs_watch_batch_free(bs[i]);
    kvs_watch_free(hist);
    /* prev_kv needs mod - 1 >= compaction revision */
    assert_int_equal(kvs_compact(t->s, 4, true, NULL), 0);
    r.start_revision = 4;
    assert_int_equal(kvs_watch_create(t->s, &r, &hist), 0);
    hb = next_batch(hist);
    assert_int_equal(hb->n_events, 1); /* the delete at 4 was compacted away: only the put at 5 */
    assert_int_equal(hb->events[0].kv.mod_revision, 5);
    assert_null(hb->events[0].prev_kv);
    kvs_watch_batch_free(hb);
    kvs_watch_free(hist);
    kvs_watch_free(live);

    /* filters */
    struct kvs_watch_req np = { .key = B("f"), .no_put = true }, nd = { .key = B("f"), .no_delete = true };
    struct kvs_watch *wp, *wd;
    assert_int_equal(kvs_watch_create(t->s, &np, &wp), 0);
    assert_int_equal(kvs_watch_create(t->s, &nd, &wd), 0);
    int64_t p1 = put(t->s, "f", "1");
    del(t->s, "f", NULL);
    int64_t p2 = put(t->s, "f", "2");
    struct kvs_watch_batch *b = next_batch(wp);
    assert_int_equal(b->n_events, 1);
    assert_int_equal(b->events[0].type, KVS_EVENT_DELETE);
    assert_int_equal(b->revision, p1 + 1);
    kvs_watch_batch_free(b);
    assert_int_equal(kvs_watch_poll(wp, &b), -EAGAIN); /* fully filtered revisions send nothing */
    b = next_batch(wd);
    assert_int_equal(b->revision, p1);
    kvs_watch_batch_free(b);
    b = next_batch(wd);
    assert_int_equal(b->revision, p2);
    kvs_watch_batch_free(b);
    kvs_watch_free(wp);
    kvs_watch_free(wd);
}

static void
test_ranges(void **state)
{
    struct tstore *t = *state;
    struct kvs_watch *prefix = watch(t->s, "p/", "p0", 0);
    struct kvs_watch_req gr = { .key = B("p/b"), .range_end = { "\0", 1 } }; /* every key >= p/b */
    struct kvs_watch *gte;
    assert_int_equal(kvs_watch_create(t->s, &gr, &gte), 0);
    struct kvs_watch_req zr = { .range_end = { "\0", 1 } }; /* empty key = "\0": everything */
    struct kvs_watch *all;
    assert_int_equal(kvs_watch_create(t->s, &zr, &all), 0);
    put(t->s, "p/a", "1");
    put(t->s, "p/b", "1");
    put(t->s, "q", "1");
    put(t->s, "p", "1");
    struct kvs_watch_batch *b = next_batch(prefix);
    assert_key(&b->events[0].kv, "p/a");
    kvs_watch_batch_free(b);
    b = next_batch(prefix);
    assert_key(&b->events[0].kv, "p/b");
    kvs_watch_batch_free(b);
    assert_int_equal(kvs_watch_poll(prefix, &b), -EAGAIN);
    b = next_batch(gte);
    assert_key(&b->events[0].kv, "p/b");
    kvs_watch_batch_free(b);
    b = next_batch(gte);
    assert_key(&b->events[0].kv, "q");
    kvs_watch_batch_free(b);
    assert_int_equal(kvs_watch_poll(gte, &b), -EAGAIN);
    int n = 0;
    while (kvs_watch_poll(all, &b) == 0) {
        n++;
        kvs_watch_batch_free(b);
    }
    assert_int_equal(n, 4);
    kvs_watch_free(prefix);
    kvs_watch_free(gte);
    kvs_watch_free(all);
    struct kvs_watch_req bad = { .key = B("b"), .range_end = B("a") };
    struct kvs_watch *w = NULL;
    assert_int_equal(kvs_watch_create(t->s, &bad, &w), KVS_EWATCHRANGE);
    bad.range_end = B("b");
    assert_int_equal(kvs_watch_create(t->s, &bad, &w), KVS_EWATCHRANGE);
    assert_null(w);
}

static void
test_atomic_and_batches(void **state)
{
    struct tstore *t = *state;
    struct kvs_watch *w = watch_all(t->s, 0);
    struct kvs_op ops[5];
    char keys[5][4];
    for (int i = 0; i < 5; i++) {
        snprintf(keys[i], sizeof(keys[i]), "t%d", i);
        ops[i] = (struct kvs_op){ .type = KVS_OP_PUT, .put = { .key = B(keys[i]), .value = B("v") } };
    }
    struct kvs_txn_req tx = { NULL, 0, ops, 5, NULL, 0 };
    struct kvs_resp *r;
    assert_int_equal(kvs_txn(t->s, &tx, &r), 0);
    int64_t rev = r->revision;
    kvs_resp_free(r);
    struct kvs_watch_batch *b = next_batch(w);
    assert_int_equal(b->n_events, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(b->events[i].kv.mod_revision, rev);
        assert_key(&b->events[i].kv, keys[i]);
    }
    kvs_watch_batch_free(b);
    kvs_watch_free(w);
    /* catch-up: at most 1000 revisions per batch, split at a revision boundary */
    for (int i = 0; i < 1500; i++) {
        struct kvs_op two[2] = { { .type = KVS_OP_PUT, .put = { .key = B("x"), .value = B("1") } },
                                 { .type = KVS_OP_PUT, .put = { .key = B("y"), .value = B("2") } } };
        struct kvs_txn_req t2 = { NULL, 0, two, 2, NULL, 0 };
        assert_int_equal(kvs_txn(t->s, &t2, &r), 0);
        kvs_resp_free(r);
    }
    w = watch(t->s, "x", "z", rev + 1);
    b = next_batch(w);
    assert_int_equal(b->n_events, 2000);
    assert_int_equal(b->events[0].kv.mod_revision, rev + 1);
    assert_int_equal(b->events[1999].kv.mod_revision, rev + 1000);
    assert_int_equal(b->revision, kvs_revision(t->s));
    kvs_watch_batch_free(b);
    b = next_batch(w);
    assert_int_equal(b->n_events, 1000);
    assert_int_equal(b->events[0].kv.mod_revision, rev + 1001);
    kvs_watch_batch_free(b);
    assert_int_equal(kvs_watch_poll(w, &b), -EAGAIN);
    kvs_watch_free(w);
}

static void
test_compacted_while_catching_up(void **state)
{
    struct tstore *t = *state;
    for (int i = 0; i < 1200; i++)
        put(t->s, "c", "v");
    struct kvs_watch *w = watch(t->s, "c", NULL, 2);
    struct kvs_watch_batch *b = next_batch(w);
    assert_int_equal(b->n_events, 1000);
    kvs_watch_batch_free(b);
    assert_int_equal(kvs_compact(t->s, 1100, false, NULL), 0);
    b = next_batch(w);
    assert_true(b->canceled);
    assert_int_equal(b->compact_revision, 1100);
    kvs_watch_batch_free(b);
    kvs_watch_free(w);
}

static void
test_resumable(void **state)
{
    struct tstore *t = *state;
    struct kvs_watch *w = watch(t->s, "r", NULL, 0);
    for (int i = 0; i < 5; i++)
        put(t->s, "r", "v");
    int64_t last = 0;
    for (int i = 0; i < 3; i++) {
        struct kvs_watch_batch *b = next_batch(w);
        last = b->events[b->n_events - 1].kv.mod_revision;
        kvs_watch_batch_free(b);
    }
    kvs_watch_free(w); /* the client goes away after 3 */
    put(t->s, "r", "v");
    w = watch(t->s, "r", NULL, last + 1);
    int64_t expect = last + 1;
    while (expect <= kvs_revision(t->s)) {
        struct kvs_watch_batch *b = next_batch(w);
        for (size_t i = 0; i < b->n_events; i++)
            assert_int_equal(b->events[i].kv.mod_revision, expect++);
        kvs_watch_batch_free(b);
    }
    assert_int_equal(expect, 8);
    kvs_watch_free(w);
}

static void
test_progress(void **state)
{
    struct tstore *t = *state;
    put(t->s, "a", "1");
    struct kvs_watch *w = watch(t->s, "a", NULL, 0);
    assert_int_equal(kvs_watch_progress(w), 0);
    struct kvs_watch_batch *b = next_batch(w);
    assert_int_equal(b->n_events, 0);
    assert_false(b->canceled);
    assert_int_equal(b->revision, 2);
    kvs_watch_batch_free(b);
    kvs_watch_free(w);
    /* catching up: the progress comes after the history it bookmarks */
    put(t->s, "a", "2");
    w = watch(t->s, "a", NULL, 2);
    assert_int_equal(kvs_watch_progress(w), 0);
    b = next_batch(w);
    assert_int_equal(b->n_events, 2);
    kvs_watch_batch_free(b);
    b = next_batch(w);
    assert_int_equal(b->n_events, 0);
    assert_int_equal(b->revision, 3);
    kvs_watch_batch_free(b);
    /* header revisions never go down: progress right after catch-up is at least the catch-up's */
    int64_t hdr = 0;
    for (int i = 0; i < 20; i++) {
        put(t->s, "a", "x");
        assert_int_equal(kvs_watch_progress(w), 0);
        while (kvs_watch_poll(w, &b) == 0) {
            assert_true(b->revision >= hdr);
            hdr = b->revision;
            kvs_watch_batch_free(b);
        }
    }
    assert_int_equal(hdr, kvs_revision(t->s));
    kvs_watch_free(w);
}

static int
progress_setup(void **state)
{
    struct tstore *t = calloc(1, sizeof(*t));
    t->dir = test_mkdtemp();
    tstore_opts(t);
    t->o.progress_interval_ms = 1000;
    assert_int_equal(kvs_open(&t->o, &t->s), 0);
    *state = t;
    return 0;
}

static void
test_progress_notify(void **state)
{
    struct tstore *t = *state;
    struct kvs_watch_req r = { .key = B("a"), .progress_notify = true };
    struct kvs_watch *w, *quiet;
    assert_int_equal(kvs_watch_create(t->s, &r, &w), 0);
    r.progress_notify = false;
    assert_int_equal(kvs_watch_create(t->s, &r, &quiet), 0);
    test_advance_ms(1000);
    kvs_tick(t->s);
    struct kvs_watch_batch *b = next_batch(w);
    assert_int_equal(b->n_events, 0);
    assert_int_equal(b->revision, 1);
    kvs_watch_batch_free(b);
    assert_int_equal(kvs_watch_poll(quiet, &b), -EAGAIN);
    /* events since the last tick: that tick sends no progress */
    put(t->s, "a", "1");
    b = next_batch(w);
    assert_int_equal(b->n_events, 1);
    kvs_watch_batch_free(b);
    test_advance_ms(1000);
    kvs_tick(t->s);
    assert_int_equal(kvs_watch_poll(w, &b), -EAGAIN);
    test_advance_ms(1000);
    kvs_tick(t->s);
    b = next_batch(w);
    assert_int_equal(b->n_events, 0);
    assert_int_equal(b->revision, 2);
    kvs_watch_batch_free(b);
    kvs_watch_free(w);
    kvs_watch_free(quiet);
}

static int
slow_setup(void **state)
{
    struct tstore *t = calloc(1, sizeof(*t));
    t->dir = test_mkdtemp();
    tstore_opts(t);
    t->o.watch_queue_batches = 5;
    assert_int_equal(kvs_open(&t->o, &t->s), 0);
    *state = t;
    return 0;
}

static void
test_slow_watcher(void **state)
{
    struct tstore *t = *state;
    struct kvs_watch *slow = watch(t->s, "s", NULL, 0);
    struct kvs_watch *fast = watch(t->s, "s", NULL, 0);
    for (int i = 0; i < 10; i++) {
        put(t->s, "s", "v");
        struct kvs_watch_batch *b = next_batch(fast);
        kvs_watch_batch_free(b);
    }
    int got = 0;
    struct kvs_watch_batch *b;
    for (;;) {
        b = next_batch(slow);
        if (b->canceled)
            break;
        assert_int_equal(b->events[0].kv.mod_revision, 2 + got);
        got++;
        kvs_watch_batch_free(b);
    }
    assert_int_equal(got, 5);
    assert_int_equal(b->cancel_err, -ENOBUFS);
    assert_non_null(strstr(b->cancel_reason, "slow"));
    kvs_watch_batch_free(b);
    assert_int_equal(kvs_watch_poll(slow, &b), -ECANCELED);
    /* the store and the other watcher carry on */
    put(t->s, "s", "v");
    b = next_batch(fast);
    assert_int_equal(b->revision, 12);
    kvs_watch_batch_free(b);
    kvs_watch_free(slow);
    kvs_watch_free(fast);
}

static void
test_close_cancels(void **state)
{
    struct tstore *t = *state;
    struct kvs_watch *w = watch(t->s, "a", NULL, 0);
    put(t->s, "a", "1");
    kvs_close(t->s);
    t->s = NULL;
    struct kvs_watch_batch *b = next_batch(w);
    assert_int_equal(b->n_events, 1); /* queued events still come first */
    kvs_watch_batch_free(b);
    b = next_batch(w);
    assert_true(b->canceled);
    assert_int_equal(b->cancel_err, KC_EUNAVAILABLE);
    kvs_watch_batch_free(b);
    assert_int_equal(kvs_watch_poll(w, &b), -ECANCELED);
    kvs_watch_free(w);
    tstore_reopen(t);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* The guarantees under concurrency: one writer, watchers joining at different revisions and from history,
 * each compared with the canonical history read afterwards. */

#define WRITES 1500

struct rec_ev {
    int64_t rev, create, version;
    uint8_t type;
    char key[8], val[8];
};

struct consumer {
    struct kvs *s;
    struct kvs_watch *w;
    int64_t start;
    _Atomic int64_t until;
    struct rec_ev *evs;
    size_t n, cap;
    int64_t *batch_revs; /* distinct revisions of each batch: a revision must not be in two */
    size_t nb, bcap;
    int err;
};

static void *
consumer_main(void *arg)
{
    struct consumer *c = arg;
    int64_t last = 0, hdr = 0;
    int idle = 0;
    while (last < atomic_load(&c->until)) {
        struct kvs_watch_batch *b = NULL;
        int rc = kvs_watch_wait(c->w, 100, &b);
        if (rc == -EAGAIN && ++idle < 200)
            continue; /* re-read until; give up after 20 s without progress */
        idle = 0;
        if (rc) {
            c->err = rc;
            return NULL;
        }
        if (b->canceled) {
            c->err = -ECANCELED;
            kvs_watch_batch_free(b);
            return NULL;
        }
        if (b->revision < hdr) {
            c->err = -EDOM; /* a header revision went down */
            kvs_watch_batch_free(b);
            return NULL;
        }
        hdr = b->revision;
        int64_t brev = 0;
        for (size_t i = 0; i < b->n_events; i++) {
            const struct kvs_event *e = &b->events[i];
            if (c->n == c->cap) {
                c->cap = c->cap ? c->cap * 2 : 1024;
                c->evs = realloc(c->evs, c->cap * sizeof(*c->evs));
            }
            struct rec_ev *r = &c->evs[c->n++];
            memset(r, 0, sizeof(*r));
            r->rev = e->kv.mod_revision;
            r->create = e->kv.create_revision;
            r->version = e->kv.version;
            r->type = (uint8_t)e->type;
            memcpy(r->key, e->kv.key, e->kv.key_len < 7 ? e->kv.key_len : 7);
            if (e->kv.value_len)
                memcpy(r->val, e->kv.value, e->kv.value_len < 7 ? e->kv.value_len : 7);
            if (e->kv.mod_revision != brev) {
                brev = e->kv.mod_revision;
                if (c->nb == c->bcap) {
                    c->bcap = c->bcap ? c->bcap * 2 : 1024;
                    c->batch_revs = realloc(c->batch_revs, c->bcap * sizeof(int64_t));
                }
                c->batch_revs[c->nb++] = brev;
            }
            if (e->kv.mod_revision > last)
                last = e->kv.mod_revision;
        }
        kvs_watch_batch_free(b);
    }
    return NULL;
}

static void *
writer_main(void *arg)
{
    struct kvs *s = arg;
    char k[8], v[8];
    for (int i = 0; i < WRITES; i++) {
        snprintf(k, sizeof(k), "k%02d", (i * 7) % 23);
        snprintf(v, sizeof(v), "%d", i);
        struct kvs_resp *r = NULL;
        if (i % 11 == 5) {
            struct kvs_delete_req d = { .key = B(k) };
            if (kvs_delete_range(s, &d, &r) == 0 && r->deleted == 0) {
                kvs_resp_free(r);
                r = NULL;
                struct kvs_put_req p = { .key = B(k), .value = B(v) };
                kvs_put(s, &p, &r);
            }
        } else if (i % 5 == 0) {
            char k2[8];
            snprintf(k2, sizeof(k2), "k%02d", (i * 7 + 1) % 23);
            if (!strcmp(k, k2))
                snprintf(k2, sizeof(k2), "zz");
            struct kvs_op ops[2] = { { .type = KVS_OP_PUT, .put = { .key = B(k), .value = B(v) } },
                                     { .type = KVS_OP_PUT, .put = { .key = B(k2), .value = B(v) } } };
            struct kvs_txn_req tx = { NULL, 0, ops, 2, NULL, 0 };
            kvs_txn(s, &tx, &r);
        } else {
            struct kvs_put_req p = { .key = B(k), .value = B(v) };
            kvs_put(s, &p, &r);
        }
        kvs_resp_free(r);
    }
    return NULL;
}

static void
test_guarantees(void **state)
{
    struct tstore *t = *state;
    pthread_t wt;
    assert_int_equal(pthread_create(&wt, NULL, writer_main, t->s), 0);
    enum { NC = 6 };
    struct consumer cs[NC] = { 0 };
    pthread_t ct[NC];
    /* join at different moments: from now, from history, from 1, while the writer runs */
    for (int i = 0; i < NC; i++) {
        cs[i].s = t->s;
        int64_t cur = kvs_revision(t->s);
        cs[i].start = i == 0 ? 0 : i == 1 ? 1 : i % 2 ? cur / 2 + 1 : cur + 1;
        cs[i].w = watch_all(t->s, cs[i].start);
        if (cs[i].start == 0)
            cs[i].start = cur + 1; /* at least: it saw nothing before its creation */
        atomic_store(&cs[i].until, INT64_MAX);
        assert_int_equal(pthread_create(&ct[i], NULL, consumer_main, &cs[i]), 0);
        usleep(3000 * (unsigned)i);
    }
    pthread_join(wt, NULL);
    int64_t final = kvs_revision(t->s);
    for (int i = 0; i < NC; i++)
        atomic_store(&cs[i].until, final);
    for (int i = 0; i < NC; i++)
        pthread_join(ct[i], NULL);
    /* the canonical history, read from LMDB afterwards */
    struct consumer ref = { .s = t->s, .start = 1, .until = final };
    print_message("guarantees: %d writes up to revision %lld\n", WRITES, (long long) final);
    ref.w = watch_all(t->s, 1);
    consumer_main(&ref);
    assert_int_equal(ref.err, 0);
    assert_true(ref.n >= WRITES);
    for (int i = 0; i < NC; i++) {
        struct consumer *c = &cs[i];
        assert_int_equal(c->err, 0);
        assert_true(c->n > 0);
        /* reliable + unique + ordered: exactly the suffix of the history from its first revision */
        size_t off = 0;
        while (off < ref.n && ref.evs[off].rev < c->evs[0].rev)
            off++;
        if (cs[i].start > 0)
            assert_true(c->evs[0].rev >= cs[i].start);
        assert_true(i == 0 || c->evs[0].rev == ref.evs[off].rev);
        assert_int_equal(c->n, ref.n - off);
        for (size_t j = 0; j < c->n; j++) {
            assert_int_equal(c->evs[j].rev, ref.evs[off + j].rev);
            assert_int_equal(c->evs[j].type, ref.evs[off + j].type);
            assert_int_equal(c->evs[j].version, ref.evs[off + j].version);
            assert_int_equal(c->evs[j].create, ref.evs[off + j].create);
            assert_string_equal(c->evs[j].key, ref.evs[off + j].key);
            assert_string_equal(c->evs[j].val, ref.evs[off + j].val);
        }
        /* atomic: a revision never spans two batches */
        for (size_t j = 1; j < c->nb; j++)
            assert_true(c->batch_revs[j] > c->batch_revs[j - 1]);
        kvs_watch_free(c->w);
        free(c->evs);
        free(c->batch_revs);
    }
    /* the history watcher from 1 starts at revision 2 and has every event */
    assert_int_equal(ref.evs[0].rev, 2);
    assert_int_equal(ref.evs[ref.n - 1].rev, final);
    kvs_watch_free(ref.w);
    free(ref.evs);
    free(ref.batch_revs);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_from_now, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_from_history, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_future_start, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_compacted_start, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_prev_kv_and_filters, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_ranges, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_atomic_and_batches, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_compacted_while_catching_up, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_resumable, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_progress, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_progress_notify, progress_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_slow_watcher, slow_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_close_cancels, tstore_setup, tstore_teardown),
        cmocka_unit_test_setup_teardown(test_guarantees, tstore_setup, tstore_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
