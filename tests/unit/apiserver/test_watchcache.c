/* test_watchcache.c - the watch cache (apiserver/watchcache.c) without HTTP, on the embedded store in a temp dir:
 * the initial list and snapshot, ring eviction by whole revisions, the 410 boundary, reads from the middle of
 * the ring, selector and namespace transitions, group wakes, resuming a store watch cancelled for slowness,
 * rebuilding after its revision was compacted, a lazily created cache starting at an old revision, the
 * threaded mode, and the event lines encoded once per event and view (also when readers race for them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "api_store.h"
#include "api_watchcache.h"
#include "kc_error.h"
#include "kc_json.h"
#include "kc_selector.h"

#include "embedded_store.h"

#define WAIT_MS     10000 /* deadline of every wait */
#define QUEUE_LIMIT 4     /* the store's per-watch queue bound in batches: a cache not pumped gets cancelled */
#define PREFIX      "/registry/configmaps/"

struct env {
    struct test_store st;
    struct api_wcaches *reg;
};

static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct env *env_open_cfg(const struct api_wcache_config *cfg);

static struct env *
env_open(size_t max_events, bool threads)
{
    struct api_wcache_config cfg = { .max_events = max_events, .no_thread = !threads, .retry_ms = 10 };
    return env_open_cfg(&cfg);
}

static struct env *
env_open_cfg(const struct api_wcache_config *cfg)
{
    struct env *e = calloc(1, sizeof(*e));
    assert_non_null(e);
    struct kvs_options o;
    kvs_options_init(&o);
    o.watch_queue_batches = QUEUE_LIMIT;
    o.initial_map_bytes = 1 << 20;
    test_store_open(&e->st, "/tmp/api_wcache_test_XXXXXX", &o);
    assert_int_equal(api_wcaches_new(e->st.s, cfg, NULL, &e->reg), 0);
    return e;
}

static int
teardown(void **state)
{
    struct env *e = *state;
    if (!e)
        return 0;
    api_wcaches_free(e->reg);
    test_store_close(&e->st);
    free(e);
    *state = NULL;
    return 0;
}

/* Writes a ConfigMap ns/name with labels (a JSON object text or NULL) and data a=val; returns its revision. */
static int64_t
put(struct env *e, const char *ns, const char *name, const char *labels, int val)
{
    char key[256];
    snprintf(key, sizeof(key), PREFIX "%s/%s", ns, name);
    json_t *o = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:i}}", "apiVersion", "v1", "kind", "ConfigMap", "metadata", "name",
                          name, "namespace", ns, "data", "a", val);
    if (labels)
        json_object_set_new(json_object_get(o, "metadata"), "labels", json_loads(labels, 0, NULL));
    int64_t rev;
    int rc = api_obj_update(e->st.s, key, o, 0, &rev);
    if (rc == KC_ENOTFOUND)
        rc = api_obj_create(e->st.s, key, o, 0, &rev);
    assert_int_equal(rc, 0);
    json_decref(o);
    return rev;
}

static int64_t
del(struct env *e, const char *ns, const char *name)
{
    char key[256];
    snprintf(key, sizeof(key), PREFIX "%s/%s", ns, name);
    int64_t rev;
    assert_int_equal(api_obj_delete(e->st.s, key, 0, &rev), 0);
    return rev;
}

/* Pumps c until it holds every event up to rev (deadline WAIT_MS). */
static void
pump_to(struct api_wcache *c, int64_t rev)
{
    int64_t deadline = now_ms() + WAIT_MS;
    struct api_wcache_stats st;
    for (;;) {
        api_wcache_stats(c, &st);
        if (st.rev >= rev)
            return;
        if (now_ms() > deadline)
            fail_msg("cache at revision %" PRId64 ", want %" PRId64, st.rev, rev);
        api_wcache_pump(c, 50);
    }
}

static int64_t
rv_of(const json_t *o)
{
    const char *s = kc_json_get_string(o, "metadata.resourceVersion");
    assert_non_null(s);
    return strtoll(s, NULL, 10);
}

/* data.a and the resourceVersion of the object a kept text holds */
static long long
a_of(const json_t *text)
{
    json_t *o = json_loads(json_string_value(text), 0, NULL);
    assert_non_null(o);
    long long a = json_integer_value(kc_json_get(o, "data.a"));
    json_decref(o);
    return a;
}

static int64_t
rv_of_text(const json_t *text)
{
    json_t *o = json_loads(json_string_value(text), 0, NULL);
    assert_non_null(o);
    int64_t rv = rv_of(o);
    json_decref(o);
    return rv;
}

/* api_wcache_snapshot_texts, each text parsed: a new array of objects. */
static int
snapshot_objects(struct api_wcache *c, const char *key_prefix, const struct kc_label_selector *ls,
                 const struct kc_field_selector *fs, json_t **items, int64_t *at)
{
    json_t *texts;
    int rc = api_wcache_snapshot_texts(c, key_prefix, ls, fs, &texts, at);
    if (rc != 0)
        return rc;
    *items = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(texts, i, t)
    {
        json_t *o = json_loads(json_string_value(t), 0, NULL);
        assert_non_null(o);
        json_array_append_new(*items, o);
    }
    json_decref(texts);
    return 0;
}

/* Reads everything after `after` (all of it: max large) and checks there is no 410. */
static size_t
read_all(struct api_wcache *c, int64_t after, struct api_wcache_event ***evs)
{
    size_t n;
    int64_t oldest = -1;
    int rc = api_wcache_read(c, after, 100000, evs, &n, &oldest);
    if (rc != 0)
        fail_msg("read after %" PRId64 ": %s (oldest %" PRId64 ")", after, kc_strerror(rc), oldest);
    return n;
}

/* ---------------------------------------------------------------------------------------------------------- */

static void
test_bad_input(void **state)
{
    struct env *e = *state = env_open(0, false);
    struct api_wcache *c;
    assert_int_equal(api_wcaches_get(e->reg, NULL, 0, &c), KC_EINVALID);
    assert_int_equal(api_wcaches_get(e->reg, "/registry/configmaps", 0, &c), KC_EINVALID);
    assert_int_equal(api_wcaches_get(e->reg, PREFIX, 0, &c), 0);
    struct api_wcache *again;
    assert_int_equal(api_wcaches_get(e->reg, PREFIX, 0, &again), 0);
    assert_ptr_equal(c, again); /* one cache per prefix, kept */
    api_wcaches_stop(e->reg);
    assert_int_equal(api_wcaches_get(e->reg, "/registry/pods/", 0, &c), KC_EUNAVAILABLE);
}

static void
test_initial_list_and_live_events(void **state)
{
    struct env *e = *state = env_open(0, false);
    put(e, "default", "b", NULL, 1);
    int64_t r0 = put(e, "default", "a", NULL, 1);
    put(e, "other", "c", NULL, 1);
    struct api_wcache *c;
    assert_int_equal(api_wcaches_get(e->reg, PREFIX, 0, &c), 0);
    struct api_wcache_stats st;
    api_wcache_stats(c, &st);
    assert_true(st.list_rev >= r0 + 1);
    assert_int_equal(st.objects, 3);
    assert_int_equal(st.oldest, st.list_rev);
    assert_true(st.watching);

    /* the snapshot: sorted by key, filtered by namespace, resourceVersion set */
    json_t *items;
    int64_t at;
    assert_int_equal(snapshot_objects(c, PREFIX "default/", NULL, NULL, &items, &at), 0);
    assert_int_equal(at, st.list_rev);
    assert_int_equal(json_array_size(items), 2);
    assert_string_equal(kc_json_get_string(json_array_get(items, 0), "metadata.name"), "a");
    assert_string_equal(kc_json_get_string(json_array_get(items, 1), "metadata.name"), "b");
    assert_int_equal(rv_of(json_array_get(items, 0)), r0);
    json_decref(items);

    int64_t r1 = put(e, "default", "n", NULL, 1);
    int64_t r2 = put(e, "default", "n", NULL, 2);
    int64_t r3 = del(e, "default", "n");
    pump_to(c, r3);
    struct api_wcache_event **evs;
    size_t n = read_all(c, at, &evs);
    assert_int_equal(n, 3);
    const char *want[] = { "ADDED", "MODIFIED", "DELETED" };
    int64_t revs[] = { r1, r2, r3 };
    for (size_t i = 0; i < n; i++) {
        json_t *send = NULL;
        const char *type = api_wcache_event_type(evs[i], PREFIX "default/", NULL, NULL, &send);
        assert_non_null(type);
        assert_string_equal(type, want[i]);
        assert_int_equal(evs[i]->rev, revs[i]);
        assert_int_equal(rv_of(send), revs[i]); /* a DELETED object carries the delete's revision */
        json_decref(send);
        send = NULL;
        /* another namespace's watcher sees none of it */
        assert_null(api_wcache_event_type(evs[i], PREFIX "other/", NULL, NULL, &send));
    }
    assert_int_equal(a_of(evs[2]->text), 2); /* the last state */
    assert_non_null(evs[1]->prev);
    assert_int_equal(a_of(evs[1]->prev), 1);
    api_wcache_events_release(evs, n);

    /* nothing after the last revision; the current objects follow the events */
    n = read_all(c, r3, &evs);
    assert_int_equal(n, 0);
    assert_null(evs);
    api_wcache_stats(c, &st);
    assert_int_equal(st.objects, 3);
    assert_int_equal(st.received, 3);
}

static void
test_ring_eviction_and_410_boundary(void **state)
{
    struct env *e = *state = env_open(8, false);
    struct api_wcache *c;
    assert_int_equal(api_wcaches_get(e->reg, PREFIX, 0, &c), 0);
    struct api_wcache_stats st;
    api_wcache_stats(c, &st);
    int64_t list_rev = st.list_rev;
    int64_t revs[20];
    for (int i = 0; i < 20; i++) {
        revs[i] = put(e, "default", "x", NULL, i);
        pump_to(c, revs[i]); /* pumped as it goes: no store-side cancel */
    }
    api_wcache_stats(c, &st);
    assert_int_equal(st.events, 8);
    assert_int_equal(st.resumes, 0);
    /* the ring holds revs[12..19]: a watch may start from revs[12] - 1 = revs[11], no earlier */
    assert_int_equal(st.oldest, revs[12] - 1);
    struct api_wcache_event **evs;
    size_t n;
    int64_t oldest = 0;
    assert_int_equal(api_wcache_read(c, list_rev, 0, &evs, &n, &oldest), KC_EEXPIRED);
    assert_int_equal(oldest, revs[12] - 1);
    assert_int_equal(api_wcache_read(c, st.oldest - 1, 0, &evs, &n, &oldest), KC_EEXPIRED);
    n = read_all(c, st.oldest, &evs);
    assert_int_equal(n, 8);
    assert_int_equal(evs[0]->rev, revs[12]);
    api_wcache_events_release(evs, n);

    /* resume from the middle of the ring: exactly the events after it, in order */
    n = read_all(c, revs[15], &evs);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(evs[i]->rev, revs[16 + i]);
    /* references outlive eviction */
    for (int i = 0; i < 10; i++)
        pump_to(c, put(e, "default", "y", NULL, i));
    api_wcache_stats(c, &st);
    assert_true(st.oldest > revs[19]);
    assert_int_equal(a_of(evs[3]->text), 19);
    api_wcache_events_release(evs, n);
    /* a small max is still honoured */
    n = 0;
    assert_int_equal(api_wcache_read(c, st.oldest, 3, &evs, &n, &oldest), 0);
    assert_int_equal(n, 3);
    api_wcache_events_release(evs, n);
}

/* An event's previous state is the previous event's text itself (one string for both, and for the cache's current
 * object); once that event has left the ring, the kept text: the same state either way. */
static void
test_prev_shares_the_last_event(void **state)
{
    struct env *e = *state = env_open(2, false);
    struct api_wcache *c;
    assert_int_equal(api_wcaches_get(e->reg, PREFIX, 0, &c), 0);
    struct api_wcache_stats st;
    api_wcache_stats(c, &st);
    int64_t start = st.list_rev;
    pump_to(c, put(e, "default", "t", NULL, 1));
    int64_t r2 = put(e, "default", "t", NULL, 2);
    pump_to(c, r2); /* another batch */
    struct api_wcache_event **evs;
    size_t n = read_all(c, start, &evs);
    assert_int_equal(n, 2);
    assert_ptr_equal(evs[1]->prev, evs[0]->text);
    api_wcache_events_release(evs, n);
    /* two other events push both out of the ring (max 2); t's next event finds its previous state in the text */
    pump_to(c, put(e, "default", "u", NULL, 1));
    pump_to(c, put(e, "default", "u", NULL, 2));
    int64_t r3 = put(e, "default", "t", NULL, 3);
    pump_to(c, r3);
    n = read_all(c, r3 - 1, &evs);
    assert_int_equal(n, 1);
    assert_non_null(evs[0]->prev);
    assert_int_equal(a_of(evs[0]->prev), 2);
    assert_int_equal(rv_of_text(evs[0]->prev), r2);
    api_wcache_events_release(evs, n);
    /* deleted: the next create of the name has no previous state */
    int64_t rd = del(e, "default", "t");
    int64_t r4 = put(e, "default", "t", NULL, 4);
    pump_to(c, r4);
    n = read_all(c, rd - 1, &evs);
    assert_int_equal(n, 2);
    assert_true(evs[0]->deleted);
    assert_null(evs[1]->prev);
    assert_true(evs[1]->created);
    api_wcache_events_release(evs, n);
}

/* The byte bound counts what an event holds: its key and text (no parsed tree is kept) and the lines its views can
 * make (a change of a known object: ADDED, MODIFIED, LEFT), so a ring of changes of a ~1 KB object under a 64 KB
 * bound keeps thirteen-odd of them; the lines every view makes fit in what was counted. */
static void
test_byte_bound_counts_the_text(void **state)
{
    struct api_wcache_config cfg = { .max_events = 1000, .max_bytes = 64 * 1024, .no_thread = true, .retry_ms = 10 };
    struct env *e = *state = env_open_cfg(&cfg);
    struct api_wcache *c;
    assert_int_equal(api_wcaches_get(e->reg, PREFIX, 0, &c), 0);
    char labels[1100];
    int n = snprintf(labels, sizeof(labels), "{\"big\":\"");
    memset(labels + n, 'x', 1000);
    snprintf(labels + n + 1000, sizeof(labels) - (size_t)n - 1000, "\"}");
    for (int i = 0; i < 100; i++)
        pump_to(c, put(e, "default", "b", labels, i));
    struct api_wcache_stats st;
    api_wcache_stats(c, &st);
    assert_true(st.bytes <= cfg.max_bytes);
    assert_true(st.bytes >= st.events * 4 * 1000);
    assert_in_range(st.events, 10, 16); /* each counts its ~1.1 KB text and key, and three lines of as much */
    struct api_wcache_event **evs = NULL;
    size_t n_ev = 0;
    int64_t oldest;
    assert_int_equal(api_wcache_read(c, st.oldest, 0, &evs, &n_ev, &oldest), 0);
    assert_int_equal(n_ev, st.events);
    size_t made = 0;
    for (size_t i = 0; i < n_ev; i++) {
        made += strlen(evs[i]->key) + json_string_length(evs[i]->text);
        for (int v = 0; v < API_WCACHE_NVIEWS; v++) {
            const char *line;
            size_t len;
            if (v == API_WCACHE_DELETED || api_wcache_event_line(evs[i], (enum api_wcache_view)v, &line, &len) != 0)
                continue; /* DELETED is a delete's only view; a put has the other three */
            made += len;
        }
    }
    api_wcache_events_release(evs, n_ev);
    assert_true(made > 3 * 1000 * st.events);
    assert_true(made <= st.bytes);
}

/* The initial events as texts: the cache's own strings (the last event's text, not a copy), selected in place,
 * sorted by key; from the store at its current revision, the same texts. */
static void
test_snapshot_texts(void **state)
{
    struct env *e = *state = env_open(0, false);
    struct api_wcache *c;
    assert_int_equal(api_wcaches_get(e->reg, PREFIX, 0, &c), 0);
    put(e, "default", "b", "{\"sel\":\"yes\"}", 1);
    put(e, "default", "a", "{\"sel\":\"yes\"}", 2);
    put(e, "default", "c", "{\"sel\":\"no\"}", 3);
    int64_t last = put(e, "other", "d", "{\"sel\":\"yes\"}", 4);
    pump_to(c, last);
    struct kc_label_selector *ls;
    assert_int_equal(kc_label_selector_parse("sel=yes", &ls, NULL, 0), 0);
    json_t *texts;
    int64_t at;
    assert_int_equal(api_wcache_snapshot_texts(c, PREFIX "default/", ls, NULL, &texts, &at), 0);
    assert_int_equal(at, last);
    assert_int_equal(json_array_size(texts), 2); /* a, b: c does not pass, d is in another namespace */
    assert_int_equal(a_of(json_array_get(texts, 0)), 2);
    assert_int_equal(a_of(json_array_get(texts, 1)), 1);
    struct api_wcache_event **evs;
    size_t n = read_all(c, last - 1, &evs);
    assert_int_equal(n, 1);
    json_t *all;
    assert_int_equal(api_wcache_snapshot_texts(c, NULL, NULL, NULL, &all, &at), 0);
    assert_int_equal(json_array_size(all), 4);
    assert_ptr_equal(json_array_get(all, 3), evs[0]->text); /* d's: the event's own string */
    api_wcache_events_release(evs, n);
    json_t *stored;
    int64_t srev;
    assert_int_equal(api_wcache_store_texts(e->st.s, PREFIX "default/", ls, NULL, &stored, &srev), 0);
    assert_int_equal(srev, last);
    assert_int_equal(json_array_size(stored), 2);
    for (size_t i = 0; i < 2; i++)
        assert_true(json_equal(json_array_get(stored, i), json_array_get(texts, i)));
    json_decref(stored);
    json_decref(all);
    json_decref(texts);
    kc_label_selector_free(ls);
}

/* Puts keys k0..k(n-1) in one txn: one revision. */
static int64_t
put_txn(struct env *e, int n)
{
    struct kvs_op ops[8];
    char keys[8][64];
    assert_true(n <= 8);
    for (int i = 0; i < n; i++) {
        snprintf(keys[i], sizeof(keys[i]), PREFIX "default/k%d", i);
        ops[i] = (struct kvs_op){ .type = KVS_OP_PUT };
        ops[i].put.key = kvs_str(keys[i]);
        ops[i].put.value = kvs_str("{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"k\"}}");
    }
    struct kvs_txn_req t = { .success = ops, .n_success = (size_t)n };
    struct kvs_resp *resp;
    assert_int_equal(api_store_txn(e->st.s, &t, &resp), 0);
    int64_t rev = resp->revision;
    api_store_resp_free(e->st.s, resp);
    return rev;
}

static void
test_revisions_are_never_split(void **state)
{
    struct env *e = *state = env_open(4, false);
    struct api_wcache *c;
    assert_int_equal(api_wcaches_get(e->reg, PREFIX, 0, &c), 0);
    struct api_wcache_stats st;
    api_wcache_stats(c, &st);
    int64_t start = st.list_rev;
    int64_t r1 = put_txn(e, 3);
    pump_to(c, r1);
    struct api_wcache_event **evs;
    size_t n;
    int64_t oldest;
    assert_int_equal(api_wcache_read(c, start, 1, &evs, &n, &oldest), 0);
    assert_int_equal(n, 3); /* max 1, but a revision comes whole */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(evs[i]->rev, r1);
    api_wcache_events_release(evs, n);
    /* two more events exceed 4: the whole of revision r1 leaves the ring, not a part of it */
    put(e, "default", "a", NULL, 1);
    int64_t r3 = put(e, "default", "b", NULL, 1);
    pump_to(c, r3);
    api_wcache_stats(c, &st);
    assert_int_equal(st.events, 2);
    assert_int_equal(api_wcache_read(c, r1 - 1, 0, &evs, &n, &oldest), KC_EEXPIRED);
    assert_int_equal(oldest, r1 + 1 - 1);
    n = read_all(c, r1, &evs);
    assert_int_equal(n, 2);
    api_wcache_events_release(evs, n);
}

static void
expect_type(struct api_wcache_event *ev, const struct kc_label_selector *ls, const struct kc_field_selector *fs,
            const char *want)
{
    json_t *send = NULL;
    const char *type = api_wcache_event_type(ev, NULL, ls, fs, &send);
    if (!want) {
        if (type)
            fail_msg("revision %" PRId64 ": got %s, want nothing", ev->rev, type);
        return;
    }
    if (!type)
        fail_msg("revision %" PRId64 ": got nothing, want %s", ev->rev, want);
    assert_string_equal(type, want);
    enum api_wcache_view v = api_wcache_event_view(ev, NULL, ls, fs);
    json_t *again = api_wcache_event_object(ev, v);
    assert_true(json_equal(send, again));
    assert_int_equal(rv_of(send), ev->rev); /* LEFT too: the previous state at the event's revision */
    json_decref(again);
    json_decref(send);
}

static void
test_selector_transitions(void **state)
{
    struct env *e = *state = env_open(0, false);
    struct api_wcache *c;
    assert_int_equal(api_wcaches_get(e->reg, PREFIX, 0, &c), 0);
    struct api_wcache_stats st;
    api_wcache_stats(c, &st);
    int64_t start = st.list_rev;
    put(e, "default", "t", "{\"sel\":\"no\"}", 1);  /* created, not matching */
    put(e, "default", "t", "{\"sel\":\"yes\"}", 2); /* starts matching */
    put(e, "default", "t", "{\"sel\":\"yes\"}", 3); /* still matching */
    put(e, "default", "t", "{\"sel\":\"no\"}", 4);  /* stops matching */
    put(e, "default", "t", "{\"sel\":\"no\"}", 5);  /* still not */
    del(e, "default", "t");                         /* deleted while not matching */
    put(e, "default", "u", "{\"sel\":\"yes\"}", 1); /* created matching */
    int64_t last = del(e, "default", "u");          /* deleted while matching */
    pump_to(c, last);
    struct kc_label_selector *ls;
    assert_int_equal(kc_label_selector_parse("sel=yes", &ls, NULL, 0), 0);
    struct api_wcache_event **evs;
    size_t n = read_all(c, start, &evs);
    assert_int_equal(n, 8);
    const char *want[] = { NULL, "ADDED", "MODIFIED", "DELETED", NULL, NULL, "ADDED", "DELETED" };
    for (size_t i = 0; i < n; i++)
        expect_type(evs[i], ls, NULL, want[i]);
    /* the DELETED of an object that stops matching carries its previous state with the event's revision, as
     * upstream's watch cache (the event itself keeps the new state) */
    assert_int_equal(api_wcache_event_view(evs[3], NULL, ls, NULL), API_WCACHE_LEFT);
    json_t *left = api_wcache_event_object(evs[3], API_WCACHE_LEFT);
    assert_non_null(left);
    assert_int_equal(json_integer_value(kc_json_get(left, "data.a")), 3);
    assert_string_equal(kc_json_get_string(left, "metadata.labels.sel"), "yes");
    assert_int_equal(rv_of(left), evs[3]->rev);
    json_decref(left);
    assert_int_equal(a_of(evs[3]->text), 4);
    assert_int_equal(rv_of_text(evs[3]->prev), evs[2]->rev); /* the previous state itself is untouched */
    /* without selectors: the plain types */
    const char *plain[] = { "ADDED", "MODIFIED", "MODIFIED", "MODIFIED", "MODIFIED", "DELETED", "ADDED", "DELETED" };
    for (size_t i = 0; i < n; i++)
        expect_type(evs[i], NULL, NULL, plain[i]);
    /* a field selector on the name */
    struct kc_field_selector *fs;
    assert_int_equal(kc_field_selector_parse("metadata.name=u", &fs, NULL, 0), 0);
    const char *byname[] = { NULL, NULL, NULL, NULL, NULL, NULL, "ADDED", "DELETED" };
    for (size_t i = 0; i < n; i++)
        expect_type(evs[i], NULL, fs, byname[i]);
    /* the snapshot applies the selectors too */
    put(e, "default", "v", "{\"sel\":\"yes\"}", 1);
    int64_t r = put(e, "default", "w", "{\"sel\":\"no\"}", 1);
    pump_to(c, r);
    json_t *items;
    int64_t at;
    assert_int_equal(snapshot_objects(c, PREFIX, ls, NULL, &items, &at), 0);
    assert_int_equal(json_array_size(items), 1);
    assert_string_equal(kc_json_get_string(json_array_get(items, 0), "metadata.name"), "v");
    assert_int_equal(at, r);
    json_decref(items);
    api_wcache_events_release(evs, n);
    kc_label_selector_free(ls);
    kc_field_selector_free(fs);
}

static int wakes;

static void
count_wake(struct api_wcache_group *g)
{
    (void)g;
    __atomic_add_fetch(&wakes, 1, __ATOMIC_SEQ_CST);
}

static void
test_group_wakes(void **state)
{
    struct env *e = *state = env_open(0, false);
    struct api_wcache *c;
    assert_int_equal(api_wcaches_get(e->reg, PREFIX, 0, &c), 0);
    struct api_wcache_group *g, *g2;
    int key;
    assert_int_equal(api_wcache_group_get(c, &key, count_wake, &g), 0);
    assert_int_equal(api_wcache_group_get(c, &key, count_wake, &g2), 0);
    assert_ptr_equal(g, g2);
    assert_true(pthread_equal(g->thread, pthread_self()));
    wakes = 0;
    pump_to(c, put(e, "default", "a", NULL, 1));
    assert_int_equal(wakes, 0); /* no members: nobody to wake */
    struct api_wcache_watcher w = { .pos = 0, .owner = &key };
    api_wcache_join(g, &w);
    assert_int_equal(g->nmembers, 1);
    pump_to(c, put(e, "default", "a", NULL, 2));
    assert_int_equal(wakes, 1);
    pump_to(c, put(e, "default", "a", NULL, 3));
    assert_int_equal(wakes, 1); /* not re-armed yet */
    api_wcache_group_begin(g);
    pump_to(c, put(e, "default", "a", NULL, 4));
    assert_int_equal(wakes, 2);
    api_wcache_leave(&w);
    api_wcache_leave(&w); /* twice is harmless */
    assert_int_equal(g->nmembers, 0);
    assert_null(g->members);
    api_wcache_group_begin(g);
    pump_to(c, put(e, "default", "a", NULL, 5));
    assert_int_equal(wakes, 2);
}

static void
test_resume_after_slow_cancel(void **state)
{
    struct env *e = *state = env_open(0, false);
    struct api_wcache *c;
    assert_int_equal(api_wcaches_get(e->reg, PREFIX, 0, &c), 0);
    struct api_wcache_stats st;
    api_wcache_stats(c, &st);
    int64_t start = st.list_rev, revs[QUEUE_LIMIT * 5];
    int count = QUEUE_LIMIT * 5;
    /* not pumped: the store cancels the cache's watch (queue full); the cache resumes from history */
    for (int i = 0; i < count; i++)
        revs[i] = put(e, "default", i % 2 ? "odd" : "even", NULL, i);
    pump_to(c, revs[count - 1]);
    api_wcache_stats(c, &st);
    assert_true(st.resumes >= 1);
    assert_int_equal(st.relists, 0);
    assert_int_equal(st.oldest, start); /* nothing lost: every position is still served */
    struct api_wcache_event **evs;
    size_t n = read_all(c, start, &evs);
    assert_int_equal(n, (size_t)count);
    for (int i = 0; i < count; i++) {
        assert_int_equal(evs[i]->rev, revs[i]);
        assert_int_equal(a_of(evs[i]->text), i);
        if (i >= 2)
            assert_int_equal(a_of(evs[i]->prev), i - 2);
    }
    api_wcache_events_release(evs, n);
}

static void
test_rebuild_after_compaction(void **state)
{
    struct env *e = *state = env_open(0, false);
    struct api_wcache *c;
    put(e, "default", "gone", NULL, 1);
    assert_int_equal(api_wcaches_get(e->reg, PREFIX, 0, &c), 0);
    struct api_wcache_stats st;
    api_wcache_stats(c, &st);
    int64_t before = st.list_rev;
    int64_t last = 0;
    for (int i = 0; i < QUEUE_LIMIT * 5; i++)
        last = put(e, "default", "n", NULL, i);
    del(e, "default", "gone");
    last = put(e, "default", "z", NULL, 1);
    assert_int_equal(api_store_compact(e->st.s, last), 0);
    /* the cancelled watch cannot resume from a compacted revision: the cache relists at the current one */
    int64_t deadline = now_ms() + WAIT_MS;
    do {
        api_wcache_pump(c, 50);
        api_wcache_stats(c, &st);
        assert_true(now_ms() < deadline);
    } while (st.relists == 0);
    assert_int_equal(st.list_rev, last);
    assert_int_equal(st.rev, last);
    assert_int_equal(st.oldest, last);
    assert_int_equal(st.events, 0);
    assert_true(st.watching);
    /* a watcher from before the rebuild gets 410 with the new oldest revision */
    struct api_wcache_event **evs;
    size_t n;
    int64_t oldest;
    assert_int_equal(api_wcache_read(c, before, 0, &evs, &n, &oldest), KC_EEXPIRED);
    assert_int_equal(oldest, last);
    /* the objects are the store's */
    json_t *items;
    int64_t at;
    assert_int_equal(snapshot_objects(c, NULL, NULL, NULL, &items, &at), 0);
    assert_int_equal(at, last);
    assert_int_equal(json_array_size(items), 2);
    assert_string_equal(kc_json_get_string(json_array_get(items, 0), "metadata.name"), "n");
    assert_int_equal(json_integer_value(kc_json_get(json_array_get(items, 0), "data.a")), QUEUE_LIMIT * 5 - 1);
    assert_string_equal(kc_json_get_string(json_array_get(items, 1), "metadata.name"), "z");
    json_decref(items);
    /* and events flow again */
    int64_t r = del(e, "default", "z");
    pump_to(c, r);
    n = read_all(c, last, &evs);
    assert_int_equal(n, 1);
    assert_true(evs[0]->deleted);
    api_wcache_events_release(evs, n);
}

static void
test_lazy_start_at_old_revision(void **state)
{
    struct env *e = *state = env_open(0, false);
    put(e, "default", "a", NULL, 1);
    int64_t x = put(e, "default", "b", NULL, 1);
    int64_t r1 = put(e, "default", "a", NULL, 2);
    int64_t r2 = del(e, "default", "b");
    struct api_wcache *c;
    /* a watch from x right after a list at x is served: the cache starts at x and catches up from history */
    assert_int_equal(api_wcaches_get(e->reg, PREFIX, x, &c), 0);
    struct api_wcache_stats st;
    api_wcache_stats(c, &st);
    assert_int_equal(st.list_rev, x);
    pump_to(c, r2);
    struct api_wcache_event **evs;
    size_t n = read_all(c, x, &evs);
    assert_int_equal(n, 2);
    assert_int_equal(evs[0]->rev, r1);
    expect_type(evs[0], NULL, NULL, "MODIFIED");
    assert_int_equal(evs[1]->rev, r2);
    expect_type(evs[1], NULL, NULL, "DELETED");
    api_wcache_events_release(evs, n);

    /* a compacted start falls back to the current revision */
    int64_t now = put(e, "default", "c", NULL, 1);
    assert_int_equal(api_store_compact(e->st.s, now), 0);
    assert_int_equal(api_wcaches_get(e->reg, "/registry/secrets/", x, &c), 0);
    api_wcache_stats(c, &st);
    assert_int_equal(st.list_rev, now);
    int64_t oldest;
    assert_int_equal(api_wcache_read(c, x, 0, &evs, &n, &oldest), KC_EEXPIRED);
    assert_int_equal(oldest, now);
    /* a future revision is no 410: events after it are due once they exist */
    assert_int_equal(api_wcache_read(c, now + 100, 0, &evs, &n, &oldest), 0);
    assert_int_equal(n, 0);
}

static pthread_mutex_t wmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wcv = PTHREAD_COND_INITIALIZER;
static int twakes;

static void
signal_wake(struct api_wcache_group *g)
{
    assert_false(pthread_equal(g->thread, pthread_self())); /* from the cache's thread */
    pthread_mutex_lock(&wmu);
    twakes++;
    pthread_cond_broadcast(&wcv);
    pthread_mutex_unlock(&wmu);
}

static void
test_threaded(void **state)
{
    struct env *e = *state = env_open(0, true);
    struct api_wcache *c;
    assert_int_equal(api_wcaches_get(e->reg, PREFIX, 0, &c), 0);
    struct api_wcache_group *g;
    int key;
    assert_int_equal(api_wcache_group_get(c, &key, signal_wake, &g), 0);
    struct api_wcache_stats st;
    api_wcache_stats(c, &st);
    struct api_wcache_watcher w = { .pos = st.list_rev, .owner = &key };
    api_wcache_join(g, &w);
    twakes = 0;
    int64_t r = put(e, "default", "a", NULL, 1);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += WAIT_MS / 1000;
    pthread_mutex_lock(&wmu);
    while (twakes == 0)
        assert_int_equal(pthread_cond_timedwait(&wcv, &wmu, &dl), 0);
    pthread_mutex_unlock(&wmu);
    api_wcache_group_begin(g);
    struct api_wcache_event **evs;
    size_t n = read_all(c, w.pos, &evs);
    assert_int_equal(n, 1);
    assert_int_equal(evs[0]->rev, r);
    api_wcache_events_release(evs, n);
    api_wcache_leave(&w);
}

/* Writes obj (a JSON text) at PREFIX default/name, creating or replacing it; returns its revision. */
static int64_t
put_text(struct env *e, const char *name, const char *text)
{
    char key[256];
    snprintf(key, sizeof(key), PREFIX "default/%s", name);
    json_t *o = json_loads(text, 0, NULL);
    assert_non_null(o);
    int64_t rev;
    int rc = api_obj_update(e->st.s, key, o, 0, &rev);
    if (rc == KC_ENOTFOUND)
        rc = api_obj_create(e->st.s, key, o, 0, &rev);
    assert_int_equal(rc, 0);
    json_decref(o);
    return rev;
}

/* The line of a view, checked: one newline-terminated JSON event of the view's type carrying the view's object;
 * the same bytes on every call. */
static void
check_line(struct api_wcache_event *ev, enum api_wcache_view v)
{
    const char *line, *again;
    size_t len, len2;
    assert_int_equal(api_wcache_event_line(ev, v, &line, &len), 0);
    assert_true(len > 2 && line[len - 1] == '\n' && memchr(line, '\n', len) == line + len - 1);
    json_error_t err;
    json_t *parsed = json_loadb(line, len - 1, 0, &err);
    if (!parsed)
        fail_msg("revision %" PRId64 " view %d: not JSON: %s: %.*s", ev->rev, (int)v, err.text, (int)len, line);
    assert_string_equal(json_string_value(json_object_get(parsed, "type")), api_wcache_view_type(v));
    json_t *want = api_wcache_event_object(ev, v);
    if (!kc_json_equal(json_object_get(parsed, "object"), want)) {
        char *w = json_dumps(want, JSON_COMPACT);
        fail_msg("revision %" PRId64 " view %d: line %.*s, object %s", ev->rev, (int)v, (int)len, line, w);
    }
    json_decref(want);
    json_decref(parsed);
    assert_int_equal(api_wcache_event_line(ev, v, &again, &len2), 0);
    assert_ptr_equal(again, line); /* encoded once */
    assert_int_equal(len2, len);
}

struct line_race {
    struct api_wcache_event *ev;
    const char *line;
};

static void *
race_line(void *arg)
{
    struct line_race *r = arg;
    size_t len;
    if (api_wcache_event_line(r->ev, API_WCACHE_ADDED, &r->line, &len) != 0)
        r->line = NULL;
    return NULL;
}

static void
test_event_lines(void **state)
{
    struct env *e = *state = env_open(0, false);
    struct api_wcache *c;
    assert_int_equal(api_wcaches_get(e->reg, PREFIX, 0, &c), 0);
    struct api_wcache_stats st;
    api_wcache_stats(c, &st);
    int64_t start = st.list_rev;
    /* a plain object; text with escapes and non-ASCII; a stored resourceVersion; more top-level members than the
     * in-place path handles (encoded from the parsed object instead); no metadata at all */
    put_text(e, "plain",
             "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"plain\","
             "\"labels\":{\"sel\":\"yes\"}},\"data\":{\"a\":\"1\"}}");
    put_text(e, "odd",
             "{\"metadata\":{\"resourceVersion\":\"7\",\"name\":\"odd\"},\"data\":{\"q\":\"\\\"}]\\n\\u00e9\u4e2d\","
             "\"n\":[1,2.5,-0,1e300,true,null,{}]}}");
    char big[4096];
    int off = snprintf(big, sizeof(big), "{\"metadata\":{\"name\":\"big\"}");
    for (int i = 0; i < 80; i++)
        off += snprintf(big + off, sizeof(big) - (size_t)off, ",\"k%d\":%d", i, i);
    snprintf(big + off, sizeof(big) - (size_t)off, "}");
    put_text(e, "big", big);
    put_text(e, "plain",
             "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"plain\","
             "\"labels\":{\"sel\":\"no\"}},\"data\":{\"a\":\"2\"}}");
    int64_t last = del(e, "default", "odd");
    pump_to(c, last);
    struct api_wcache_event **evs;
    size_t n = read_all(c, start, &evs);
    assert_int_equal(n, 5);
    assert_non_null(evs[0]->text); /* from the stored bytes */
    assert_non_null(evs[2]->text); /* 81 top-level members: encoded from the parsed object */
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(api_wcache_event_line(evs[i], API_WCACHE_NOTHING, &(const char *){ NULL }, &(size_t){ 0 }),
                         KC_EINVALID);
        for (int v = 0; v < API_WCACHE_NVIEWS; v++)
            if (v != API_WCACHE_LEFT || evs[i]->prev)
                check_line(evs[i], (enum api_wcache_view)v);
    }
    /* a watcher of sel=yes sees the relabelled object leave with its previous state and the new revision */
    struct kc_label_selector *ls;
    assert_int_equal(kc_label_selector_parse("sel=yes", &ls, NULL, 0), 0);
    assert_int_equal(api_wcache_event_view(evs[3], NULL, ls, NULL), API_WCACHE_LEFT);
    const char *line;
    size_t len;
    assert_int_equal(api_wcache_event_line(evs[3], API_WCACHE_LEFT, &line, &len), 0);
    json_t *ev = json_loadb(line, len, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(ev, "type")), "DELETED");
    assert_string_equal(kc_json_get_string(ev, "object.data.a"), "1");
    assert_int_equal(rv_of(json_object_get(ev, "object")), evs[3]->rev);
    json_decref(ev);
    kc_label_selector_free(ls);
    api_wcache_events_release(evs, n);

    /* readers racing for the first encoding of a line all get the same one */
    int64_t r = put_text(e, "race", "{\"metadata\":{\"name\":\"race\"}}");
    pump_to(c, r);
    n = read_all(c, r - 1, &evs);
    assert_int_equal(n, 1);
    pthread_t t[8];
    struct line_race lr[8];
    for (int i = 0; i < 8; i++) {
        lr[i] = (struct line_race){ evs[0], NULL };
        assert_int_equal(pthread_create(&t[i], NULL, race_line, &lr[i]), 0);
    }
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 8; i++) {
        assert_non_null(lr[i].line);
        assert_ptr_equal(lr[i].line, lr[0].line);
    }
    api_wcache_events_release(evs, n);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_bad_input, teardown),
        cmocka_unit_test_teardown(test_initial_list_and_live_events, teardown),
        cmocka_unit_test_teardown(test_ring_eviction_and_410_boundary, teardown),
        cmocka_unit_test_teardown(test_prev_shares_the_last_event, teardown),
        cmocka_unit_test_teardown(test_byte_bound_counts_the_text, teardown),
        cmocka_unit_test_teardown(test_snapshot_texts, teardown),
        cmocka_unit_test_teardown(test_revisions_are_never_split, teardown),
        cmocka_unit_test_teardown(test_selector_transitions, teardown),
        cmocka_unit_test_teardown(test_group_wakes, teardown),
        cmocka_unit_test_teardown(test_resume_after_slow_cancel, teardown),
        cmocka_unit_test_teardown(test_rebuild_after_compaction, teardown),
        cmocka_unit_test_teardown(test_lazy_start_at_old_revision, teardown),
        cmocka_unit_test_teardown(test_threaded, teardown),
        cmocka_unit_test_teardown(test_event_lines, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
