/* test_jarena.c - kc_jarena: jansson's values come from the entered arena and from malloc otherwise, mixed trees
 * free what malloc gave, chunks chain and big allocations bypass them, the chunk limit falls back to malloc,
 * kc_jarena_dumps' text is malloc's, changed allocation functions disable arenas, concurrent threads, and (with
 * AddressSanitizer) a freed arena's memory is poisoned.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc_jarena.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

/* An object of n members "k<i>": {"s": "v<i>", "i": i, "a": [i, true]}. */
static json_t *
tree(int n)
{
    json_t *o = json_object();
    for (int i = 0; i < n; i++) {
        char k[32], v[32];
        snprintf(k, sizeof(k), "k%d", i);
        snprintf(v, sizeof(v), "v%d", i);
        json_object_set_new(o, k, json_pack("{s:s,s:i,s:[i,b]}", "s", v, "i", i, "a", i, 1));
    }
    return o;
}

static void
check_tree(const json_t *o, int n)
{
    assert_int_equal(json_object_size(o), n);
    for (int i = 0; i < n; i += 7) {
        char k[32], v[32];
        snprintf(k, sizeof(k), "k%d", i);
        snprintf(v, sizeof(v), "v%d", i);
        json_t *m = json_object_get(o, k);
        assert_non_null(m);
        assert_string_equal(json_string_value(json_object_get(m, "s")), v);
        assert_int_equal(json_integer_value(json_object_get(m, "i")), i);
        assert_int_equal(json_integer_value(json_array_get(json_object_get(m, "a"), 0)), i);
    }
}

static int
setup(void **state)
{
    (void)state;
    assert_int_equal(kc_jarena_install(), 0);
    return 0;
}

static void
test_values_in_arena(void **state)
{
    (void)state;
    struct kc_jarena *a = kc_jarena_new();
    assert_non_null(a);
    size_t bytes, chunks;
    kc_jarena_stats(a, &bytes, &chunks);
    assert_int_equal(bytes, 0);
    assert_int_equal(chunks, 1);

    json_t *outside = tree(10); /* no arena entered: malloc */
    kc_jarena_stats(a, &bytes, &chunks);
    assert_int_equal(bytes, 0);

    struct kc_jarena *prev = kc_jarena_enter(a);
    assert_null(prev);
    json_t *in = tree(50);
    kc_jarena_leave(prev);
    kc_jarena_stats(a, &bytes, &chunks);
    assert_true(bytes > 50 * 64); /* every member's values and the object's table */
    size_t after_tree = bytes;

    json_t *more = tree(5); /* left: malloc again */
    kc_jarena_stats(a, &bytes, &chunks);
    assert_int_equal(bytes, after_tree);

    /* a malloc'ed value in the arena's tree is freed for real with it (LeakSanitizer would tell), an arena value
     * in a malloc'ed tree is fine until the arena goes */
    json_object_set_new(in, "outside", outside);
    json_object_set(more, "in", json_object_get(in, "k3"));
    check_tree(in, 51);
    json_decref(more);
    json_decref(in);
    kc_jarena_free(a);
    kc_jarena_free(NULL);
}

static void
test_chunks_and_big(void **state)
{
    (void)state;
    struct kc_jarena *a = kc_jarena_new();
    assert_non_null(a);
    struct kc_jarena *prev = kc_jarena_enter(a);
    json_t *big = tree(2000); /* far more than one chunk of 64 KiB */
    size_t bytes, chunks;
    kc_jarena_stats(a, &bytes, &chunks);
    assert_true(chunks >= 3);
    assert_true(bytes > 128 * 1024);
    check_tree(big, 2000);

    /* a string above 8 KiB is malloc's: the arena's count does not grow by it */
    char *s = malloc(64 * 1024);
    memset(s, 'x', 64 * 1024 - 1);
    s[64 * 1024 - 1] = '\0';
    json_t *str = json_string(s);
    size_t b2, c2;
    kc_jarena_stats(a, &b2, &c2);
    assert_true(b2 - bytes < 1024);
    assert_int_equal(json_string_length(str), 64 * 1024 - 1);
    free(s);
    kc_jarena_leave(prev);
    json_decref(str);
    json_decref(big);
    kc_jarena_free(a);
}

static void
test_nested_enter(void **state)
{
    (void)state;
    struct kc_jarena *a = kc_jarena_new(), *b = kc_jarena_new();
    assert_non_null(a);
    assert_non_null(b);
    struct kc_jarena *p0 = kc_jarena_enter(a);
    json_t *va = tree(3);
    struct kc_jarena *p1 = kc_jarena_enter(b);
    assert_ptr_equal(p1, a);
    json_t *vb = tree(3);
    kc_jarena_leave(p1);
    json_t *va2 = tree(3);
    kc_jarena_leave(p0);
    size_t ba, bb, c;
    kc_jarena_stats(a, &ba, &c);
    kc_jarena_stats(b, &bb, &c);
    assert_true(ba > bb && bb > 0); /* a has two trees, b one */
    json_decref(vb);
    kc_jarena_free(b);
    check_tree(va, 3); /* b's end leaves a's values alone */
    check_tree(va2, 3);
    json_decref(va);
    json_decref(va2);
    kc_jarena_free(a);
}

/* Past the chunk limit, kc_jarena_new says no and an arena that needs another chunk uses malloc. */
static void
test_limit(void **state)
{
    (void)state;
    kc_jarena_set_limit(2);
    struct kc_jarena *held[64];
    int n = 0;
    while (n < 64 && (held[n] = kc_jarena_new()) != NULL)
        n++;
    assert_true(n >= 1 && n < 64); /* the chunks made before, free again, and at most 2 new ones */
    struct kc_jarena *prev = kc_jarena_enter(held[n - 1]);
    json_t *t = tree(3000); /* needs ~10 chunks: all but the first from malloc */
    kc_jarena_leave(prev);
    size_t bytes, chunks;
    kc_jarena_stats(held[n - 1], &bytes, &chunks);
    assert_int_equal(chunks, 1);
    check_tree(t, 3000);
    json_decref(t);
    for (int i = 0; i < n; i++)
        kc_jarena_free(held[i]);
    kc_jarena_set_limit(0);
    struct kc_jarena *a = kc_jarena_new();
    assert_non_null(a);
    kc_jarena_free(a);
}

static void
test_dumps(void **state)
{
    (void)state;
    struct kc_jarena *a = kc_jarena_new();
    struct kc_jarena *prev = kc_jarena_enter(a);
    json_t *t = json_pack("{s:[i,i],s:s}", "a", 1, 2, "b", "c");
    char *text = kc_jarena_dumps(t, JSON_COMPACT | JSON_SORT_KEYS);
    json_t *after = json_string("still the arena's");
    kc_jarena_leave(prev);
    assert_string_equal(text, "{\"a\":[1,2],\"b\":\"c\"}");
    free(text); /* malloc's: AddressSanitizer would report a free of the arena's memory */
    size_t bytes, chunks;
    kc_jarena_stats(a, &bytes, &chunks);
    assert_true(bytes > 0);
    json_decref(after);
    json_decref(t);
    kc_jarena_free(a);
}

/* Someone else's allocation functions: no arena is handed out (its frees would not know it); install puts them
 * back. */
static void
test_changed_funcs(void **state)
{
    (void)state;
    json_set_alloc_funcs(malloc, free);
    assert_null(kc_jarena_new());
    assert_int_equal(kc_jarena_install(), 0);
    struct kc_jarena *a = kc_jarena_new();
    assert_non_null(a);
    kc_jarena_free(a);
}

#define THREADS 4
#define ROUNDS  200

static void *
worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int r = 0; r < ROUNDS; r++) {
        struct kc_jarena *a = kc_jarena_new();
        if (!a)
            return (void *)1;
        struct kc_jarena *prev = kc_jarena_enter(a);
        json_t *t = tree(20 + (id * 7 + r) % 200);
        json_t *shared = json_object_get(t, "k0");
        kc_jarena_leave(prev);
        int n = (int)json_object_size(t);
        if (n != 20 + (id * 7 + r) % 200 || json_integer_value(json_object_get(shared, "i")) != 0)
            return (void *)2;
        json_decref(t);
        kc_jarena_free(a);
    }
    return NULL;
}

static void
test_threads(void **state)
{
    (void)state;
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        assert_null(rc);
    }
}

static void
test_poisoned_after_free(void **state)
{
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    struct kc_jarena *a = kc_jarena_new();
    struct kc_jarena *prev = kc_jarena_enter(a);
    json_t *s = json_string("gone with the arena");
    kc_jarena_leave(prev);
    assert_false(__asan_address_is_poisoned(s));
    json_decref(s);
    assert_false(__asan_address_is_poisoned(s)); /* a free inside an arena does nothing */
    kc_jarena_free(a);
    assert_true(__asan_address_is_poisoned(s));
#else
    skip();
#endif
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_in_arena), cmocka_unit_test(test_chunks_and_big),
        cmocka_unit_test(test_nested_enter),    cmocka_unit_test(test_limit),
        cmocka_unit_test(test_dumps),           cmocka_unit_test(test_changed_funcs),
        cmocka_unit_test(test_threads),         cmocka_unit_test(test_poisoned_after_free),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
