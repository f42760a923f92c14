/* kvs_test.h - helpers shared by the kvstore unit tests: temporary store directories (removed afterwards), a
 * fake clock, and one-line put/get/delete wrappers that assert success.
 */
#ifndef KVS_TEST_H
#define KVS_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kc_log.h"
#include "kvs.h"

/* A fake monotonic clock the tests move by hand. */
static _Atomic int64_t test_now_ns = 1000000000000LL;

static inline int64_t
test_clock(void *ctx)
{
    (void)ctx;
    return atomic_load(&test_now_ns);
}

static inline void
test_advance_ms(int64_t ms)
{
    atomic_fetch_add(&test_now_ns, ms * 1000000);
}

static inline char *
test_mkdtemp(void)
{
    char *d = strdup("/tmp/kvs_test_XXXXXX");
    assert_non_null(d);
    assert_non_null(mkdtemp(d));
    return d;
}

static inline int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void
test_rmrf(char *dir)
{
    if (dir) {
        nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
        free(dir);
    }
}

/* A store in a fresh temp dir with the fake clock and no timer thread (tests call kvs_tick). */
struct tstore {
    char *dir;
    struct kvs *s;
    struct kvs_options o;
};

static inline void
tstore_opts(struct tstore *t)
{
    kvs_options_init(&t->o);
    t->o.dir = t->dir;
    t->o.clock = test_clock;
    t->o.timer_interval_ms = -1;
    t->o.initial_map_bytes = 1 << 20;
}

static inline void
tstore_reopen(struct tstore *t)
{
    kvs_close(t->s);
    t->s = NULL;
    int rc = kvs_open(&t->o, &t->s);
    assert_int_equal(rc, 0);
}

static inline struct tstore *
tstore_new(void)
{
    kc_log_init_from_env();
    struct tstore *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    t->dir = test_mkdtemp();
    tstore_opts(t);
    int rc = kvs_open(&t->o, &t->s);
    assert_int_equal(rc, 0);
    return t;
}

static inline void
tstore_free(struct tstore *t)
{
    if (!t)
        return;
    kvs_close(t->s);
    test_rmrf(t->dir);
    free(t);
}

static inline int
tstore_setup(void **state)
{
    *state = tstore_new();
    return 0;
}

static inline int
tstore_teardown(void **state)
{
    tstore_free(*state);
    return 0;
}

#define B(s) kvs_str(s)

/* Puts key=value; returns the new revision. */
static inline int64_t
put(struct kvs *s, const char *key, const char *value)
{
    struct kvs_put_req r = { .key = B(key), .value = B(value) };
    struct kvs_resp *resp = NULL;
    int rc = kvs_put(s, &r, &resp);
    assert_int_equal(rc, 0);
    int64_t rev = resp->revision;
    kvs_resp_free(resp);
    return rev;
}

static inline int64_t
put_lease(struct kvs *s, const char *key, const char *value, int64_t lease)
{
    struct kvs_put_req r = { .key = B(key), .value = B(value), .lease = lease };
    struct kvs_resp *resp = NULL;
    int rc = kvs_put(s, &r, &resp);
    assert_int_equal(rc, 0);
    int64_t rev = resp->revision;
    kvs_resp_free(resp);
    return rev;
}

/* Deletes [key, end) (end NULL: the key); returns the number deleted. */
static inline int64_t
del(struct kvs *s, const char *key, const char *end)
{
    struct kvs_delete_req r = { .key = B(key), .range_end = end ? B(end) : (struct kvs_buf){ NULL, 0 } };
    struct kvs_resp *resp = NULL;
    int rc = kvs_delete_range(s, &r, &resp);
    assert_int_equal(rc, 0);
    int64_t n = resp->deleted;
    kvs_resp_free(resp);
    return n;
}

/* Range [key, end) at rev; the caller frees. */
static inline struct kvs_resp *
get_range(struct kvs *s, const char *key, const char *end, int64_t rev)
{
    struct kvs_range_req r = { .key = B(key),
                               .range_end = end ? B(end) : (struct kvs_buf){ NULL, 0 },
                               .revision = rev };
    struct kvs_resp *resp = NULL;
    int rc = kvs_range(s, &r, &resp);
    assert_int_equal(rc, 0);
    return resp;
}

/* The value of key now, or NULL (static buffer). */
static inline const char *
get_value(struct kvs *s, const char *key)
{
    static char buf[4096];
    struct kvs_resp *r = get_range(s, key, NULL, 0);
    const char *out = NULL;
    if (r->n_kvs == 1) {
        size_t n = r->kvs[0].value_len < sizeof(buf) - 1 ? r->kvs[0].value_len : sizeof(buf) - 1;
        memcpy(buf, r->kvs[0].value, n);
        buf[n] = 0;
        out = buf;
    }
    kvs_resp_free(r);
    return out;
}

static inline bool
kv_key_is(const struct kvs_kv *kv, const char *key)
{
    return kv->key_len == strlen(key) && memcmp(kv->key, key, kv->key_len) == 0;
}

static inline bool
kv_value_is(const struct kvs_kv *kv, const char *v)
{
    return kv->value_len == strlen(v) && (kv->value_len == 0 || memcmp(kv->value, v, kv->value_len) == 0);
}

#define assert_key(kv, k)   assert_true(kv_key_is((kv), (k)))
#define assert_value(kv, v) assert_true(kv_value_is((kv), (v)))

#endif
