/* test_fieldset.c - field sets of server-side apply: element order, FieldsV1 decoding and upstream's encoding
 * (order, ".", Go's JSON text of keys and values), set algebra with upstream's member/parent semantics, path
 * text of conflict messages, malformed input and out-of-memory on every allocation. Tables are inline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fieldset_int.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_fieldset.h"
#include "kc_json.h"

#include "../json_fixture.h"

static struct kc_fieldset *
set_of(const char *fields_v1)
{
    json_t *j = parse(fields_v1);
    struct kc_fieldset *s = NULL;
    char err[256];
    int rc = kc_fieldset_from_fields_v1(j, &s, err, sizeof(err));
    if (rc != 0)
        fail_msg("from_fields_v1 %s: %d %s", fields_v1, rc, err);
    json_decref(j);
    return s;
}

/* The FieldsV1 text of s, compact, in the order the encoder wrote. */
static char *
text_of(const struct kc_fieldset *s)
{
    json_t *j = NULL;
    assert_int_equal(kc_fieldset_to_fields_v1(s, &j), 0);
    char *t = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return t;
}

static void
assert_text(const struct kc_fieldset *s, const char *want, const char *what)
{
    char *got = text_of(s);
    if (strcmp(got, want) != 0)
        fail_msg("%s:\n  got  %s\n  want %s", what, got, want);
    free(got);
}

/* --- round trips: input FieldsV1 -> upstream's encoding --- */

static const struct {
    const char *in, *out;
    size_t members;
} roundtrips[] = {
    { "{}", "{}", 0 },
    { "{\"f:a\":{}}", "{\"f:a\":{}}", 1 },
    /* apply-style: labels is only a parent */
    { "{\"f:metadata\":{\"f:labels\":{\"f:app\":{}}},\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"c\\\"}\":{\"."
      "\":"
      "{},\"f:image\":{}}}}}",
      "{\"f:metadata\":{\"f:labels\":{\"f:app\":{}}},\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"c\\\"}\":{\"."
      "\":"
      "{},\"f:image\":{}}}}}",
      3 },
    /* fields sort by name, "." comes first, members and parents interleave */
    { "{\"f:z\":{},\"f:b\":{\"f:y\":{},\".\":{}},\"f:a\":{}}", "{\"f:a\":{},\"f:b\":{\".\":{},\"f:y\":{}},\"f:z\":{}}",
      4 },
    /* fields before keys before values before indices */
    { "{\"i:1\":{},\"v:\\\"x\\\"\":{},\"k:{\\\"a\\\":1}\":{},\"f:q\":{}}",
      "{\"f:q\":{},\"k:{\\\"a\\\":1}\":{},\"v:\\\"x\\\"\":{},\"i:1\":{}}", 4 },
    /* key fields are sorted by name; keys order field by field and numbers numerically (80 < 443) */
    { "{\"k:{\\\"protocol\\\":\\\"TCP\\\",\\\"containerPort\\\":443}\":{},\"k:{\\\"containerPort\\\":80,"
      "\\\"protocol\\\":"
      "\\\"TCP\\\"}\":{}}",
      "{\"k:{\\\"containerPort\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{},\"k:{\\\"containerPort\\\":443,"
      "\\\"protocol\\\":"
      "\\\"TCP\\\"}\":{}}",
      2 },
    /* set values: numbers before strings before booleans; strings byte-wise */
    { "{\"v:true\":{},\"v:\\\"b\\\"\":{},\"v:\\\"a\\\"\":{},\"v:2\":{},\"v:1.5\":{}}",
      "{\"v:1.5\":{},\"v:2\":{},\"v:\\\"a\\\"\":{},\"v:\\\"b\\\"\":{},\"v:true\":{}}", 5 },
    /* unknown prefixes are dropped; an entry holding only unknown ones is a member */
    { "{\"x:what\":{},\"f:a\":{\"y:z\":{}}}", "{\"f:a\":{}}", 1 },
    /* Go's JSON text in keys: <, > and & escaped; reals in shortest form */
    { "{\"v:\\\"a<b&c>\\\"\":{},\"v:0.1\":{},\"v:1e+21\":{}}",
      "{\"v:0.1\":{},\"v:1e+21\":{},\"v:\\\"a\\\\u003cb\\\\u0026c\\\\u003e\\\"\":{}}", 3 },
};

static void
test_roundtrip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(roundtrips) / sizeof(roundtrips[0]); i++) {
        struct kc_fieldset *s = set_of(roundtrips[i].in);
        char what[64];
        snprintf(what, sizeof(what), "roundtrip %zu", i);
        assert_text(s, roundtrips[i].out, what);
        if (kc_fieldset_size(s) != roundtrips[i].members)
            fail_msg("%s: %zu members, want %zu", what, kc_fieldset_size(s), roundtrips[i].members);
        /* decoding the encoding gives the same set */
        char *t = text_of(s);
        struct kc_fieldset *s2 = set_of(t);
        assert_true(kc_fieldset_equal(s, s2));
        free(t);
        kc_fieldset_free(s2);
        kc_fieldset_free(s);
    }
}

/* --- set algebra --- */

enum op { UNION, DIFF, RDIFF, INTER };

static const struct {
    enum op op;
    const char *a, *b, *want;
} algebra[] = {
    { UNION, "{\"f:a\":{}}", "{\"f:b\":{}}", "{\"f:a\":{},\"f:b\":{}}" },
    { UNION, "{\"f:a\":{\"f:x\":{}}}", "{\"f:a\":{}}", "{\"f:a\":{\".\":{},\"f:x\":{}}}" },
    { UNION, "{}", "{}", "{}" },
    /* difference removes members only: a parent stays when its child goes, a child stays when its parent goes */
    { DIFF, "{\"f:a\":{\".\":{},\"f:x\":{}}}", "{\"f:a\":{\"f:x\":{}}}", "{\"f:a\":{}}" },
    { DIFF, "{\"f:a\":{\".\":{},\"f:x\":{}}}", "{\"f:a\":{}}", "{\"f:a\":{\"f:x\":{}}}" },
    { DIFF, "{\"f:a\":{\"f:x\":{}}}", "{\"f:a\":{\"f:x\":{}}}", "{}" },
    { DIFF, "{\"f:a\":{},\"f:b\":{}}", "{\"f:c\":{}}", "{\"f:a\":{},\"f:b\":{}}" },
    /* recursive difference also removes what is below a removed member */
    { RDIFF, "{\"f:spec\":{\"f:x\":{}},\"f:status\":{\"f:phase\":{},\"f:c\":{\"f:d\":{}}}}", "{\"f:status\":{}}",
      "{\"f:spec\":{\"f:x\":{}}}" },
    { RDIFF, "{\"f:a\":{\".\":{},\"f:x\":{}}}", "{\"f:a\":{\"f:x\":{}}}", "{\"f:a\":{}}" },
    { INTER, "{\"f:a\":{},\"f:b\":{\"f:x\":{},\"f:y\":{}}}", "{\"f:b\":{\"f:y\":{},\"f:z\":{}},\"f:c\":{}}",
      "{\"f:b\":{\"f:y\":{}}}" },
    { INTER, "{\"f:a\":{\"f:x\":{}}}", "{\"f:a\":{}}", "{}" },
};

static void
test_algebra(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(algebra) / sizeof(algebra[0]); i++) {
        struct kc_fieldset *a = set_of(algebra[i].a), *b = set_of(algebra[i].b), *r = NULL;
        int rc = -1;
        switch (algebra[i].op) {
        case UNION:
            rc = kc_fieldset_union(a, b, &r);
            break;
        case DIFF:
            rc = kc_fieldset_difference(a, b, &r);
            break;
        case RDIFF:
            rc = kc_fieldset_recursive_difference(a, b, &r);
            break;
        case INTER:
            rc = kc_fieldset_intersection(a, b, &r);
            break;
        }
        assert_int_equal(rc, 0);
        char what[64];
        snprintf(what, sizeof(what), "algebra %zu", i);
        assert_text(r, algebra[i].want, what);
        kc_fieldset_free(a);
        kc_fieldset_free(b);
        kc_fieldset_free(r);
    }
    /* NULL operands are empty sets */
    struct kc_fieldset *r = NULL, *a = set_of("{\"f:a\":{}}");
    assert_int_equal(kc_fieldset_union(NULL, a, &r), 0);
    assert_true(kc_fieldset_equal(r, a));
    kc_fieldset_free(r);
    assert_int_equal(kc_fieldset_difference(NULL, a, &r), 0);
    assert_true(kc_fieldset_empty(r));
    kc_fieldset_free(r);
    kc_fieldset_free(a);
}

/* The in-place forms (kc_fs_add, kc_fs_subtract) give what the copying ones give: the table above, then random
 * sets over a small universe of paths (two levels of fields, keys and values), where overlaps are frequent. */
static struct kc_fieldset *
random_set(unsigned *seed)
{
    static const char *const names[] = { "a", "b", "c" };
    struct kc_fieldset *s = kc_fieldset_new();
    assert_non_null(s);
    json_t *key = json_pack("{s:s}", "name", "x");
    json_t *val = json_integer(7);
    int n = rand_r(seed) % 8;
    for (int i = 0; i < n; i++) {
        struct kc_pe path[3];
        size_t depth = 1 + (size_t)(rand_r(seed) % 3);
        for (size_t d = 0; d < depth; d++) {
            int k = rand_r(seed) % 5;
            path[d] = k < 3    ? (struct kc_pe){ .type = KC_PE_FIELD, .field = names[k] }
                      : k == 3 ? (struct kc_pe){ .type = KC_PE_KEY, .key = key }
                               : (struct kc_pe){ .type = KC_PE_VALUE, .value = val };
        }
        assert_int_equal(kc_fieldset_insert(s, path, depth), 0);
    }
    json_decref(key);
    json_decref(val);
    return s;
}

static void
check_in_place(const struct kc_fieldset *a, const struct kc_fieldset *b, const char *what)
{
    struct kc_fieldset *want = NULL, *got = NULL;
    /* union */
    assert_int_equal(kc_fieldset_union(a, b, &want), 0);
    assert_int_equal(kc_fieldset_copy(a, &got), 0);
    assert_int_equal(kc_fs_add(got, b), 0);
    if (!kc_fieldset_equal(got, want))
        fail_msg("%s: kc_fs_add differs from kc_fieldset_union", what);
    kc_fieldset_free(want);
    kc_fieldset_free(got);
    /* difference and recursive difference */
    for (int rec = 0; rec < 2; rec++) {
        assert_int_equal(rec ? kc_fieldset_recursive_difference(a, b, &want) : kc_fieldset_difference(a, b, &want), 0);
        assert_int_equal(kc_fieldset_copy(a, &got), 0);
        kc_fs_subtract(got, b, rec);
        char *g = text_of(got), *w = text_of(want);
        if (strcmp(g, w) != 0)
            fail_msg("%s: kc_fs_subtract(recursive=%d)\n  got  %s\n  want %s", what, rec, g, w);
        free(g);
        free(w);
        kc_fieldset_free(want);
        kc_fieldset_free(got);
    }
}

static void
test_in_place(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(algebra) / sizeof(algebra[0]); i++) {
        struct kc_fieldset *a = set_of(algebra[i].a), *b = set_of(algebra[i].b);
        char what[64];
        snprintf(what, sizeof(what), "algebra %zu", i);
        check_in_place(a, b, what);
        kc_fieldset_free(a);
        kc_fieldset_free(b);
    }
    unsigned seed = 42;
    for (int i = 0; i < 2000; i++) {
        struct kc_fieldset *a = random_set(&seed), *b = random_set(&seed);
        char what[64];
        snprintf(what, sizeof(what), "random pair %d", i);
        check_in_place(a, b, what);
        kc_fieldset_free(a);
        kc_fieldset_free(b);
    }
    /* NULL operands are empty sets */
    struct kc_fieldset *a = set_of("{\"f:a\":{}}");
    kc_fs_subtract(a, NULL, true);
    assert_text(a, "{\"f:a\":{}}", "subtract NULL");
    assert_int_equal(kc_fs_add(a, NULL), 0);
    assert_text(a, "{\"f:a\":{}}", "add NULL");
    kc_fieldset_free(a);
}

/* A walk's inserts through a cursor give the set kc_fieldset_insert gives, also when the walk goes back up and
 * takes a sibling, and when an element is seen again under a new number (the walk revisited it). */
static void
test_cursor(void **state)
{
    (void)state;
    struct kc_pe f_a = { .type = KC_PE_FIELD, .field = "a" }, f_b = { .type = KC_PE_FIELD, .field = "b" },
                 f_c = { .type = KC_PE_FIELD, .field = "c" };
    struct {
        struct kc_pe path[3];
        uint64_t gen[3];
        size_t n;
    } walk[] = {
        { { f_a, f_b, f_c }, { 1, 2, 3 }, 3 },  /* a.b.c */
        { { f_a, f_b }, { 1, 2 }, 2 },          /* a.b itself, as a member */
        { { f_a, f_c, f_a }, { 1, 4, 5 }, 3 },  /* a.c.a: a sibling below a */
        { { f_b, f_b }, { 6, 7 }, 2 },          /* b.b: a new top-level element */
        { { f_a, f_b, f_a }, { 8, 9, 10 }, 3 }, /* a.b.a: a and b again, under new numbers */
    };
    struct kc_fieldset *want = kc_fieldset_new(), *got = kc_fieldset_new();
    struct kc_fs_cursor cur = { .root = got };
    for (size_t i = 0; i < sizeof(walk) / sizeof(walk[0]); i++) {
        assert_int_equal(kc_fieldset_insert(want, walk[i].path, walk[i].n), 0);
        assert_int_equal(kc_fs_cursor_insert(&cur, walk[i].path, walk[i].gen, walk[i].n), 0);
    }
    assert_text(got, "{\"f:a\":{\"f:b\":{\".\":{},\"f:a\":{},\"f:c\":{}},\"f:c\":{\"f:a\":{}}},\"f:b\":{\"f:b\":{}}}",
                "cursor walk");
    assert_true(kc_fieldset_equal(got, want));
    struct kc_pe bad = { .type = KC_PE_FIELD, .field = NULL };
    uint64_t g = 11;
    assert_int_equal(kc_fs_cursor_insert(&cur, &bad, &g, 1), KC_EINVALID);
    assert_int_equal(kc_fs_cursor_insert(&cur, &bad, &g, 0), 0);
    kc_fs_cursor_close(&cur);
    kc_fieldset_free(want);
    kc_fieldset_free(got);
}

/* --- insert, has, child --- */

static void
test_insert_has(void **state)
{
    (void)state;
    struct kc_fieldset *s = kc_fieldset_new();
    json_t *key = json_pack("{s:s}", "name", "c");
    struct kc_pe p[3] = { { .type = KC_PE_FIELD, .field = "spec" },
                          { .type = KC_PE_FIELD, .field = "containers" },
                          { .type = KC_PE_KEY, .key = key } };
    assert_int_equal(kc_fieldset_insert(s, p, 3), 0);
    assert_true(kc_fieldset_has(s, p, 3));
    assert_false(kc_fieldset_has(s, p, 2)); /* parents are not members */
    assert_false(kc_fieldset_has(s, p, 0));
    assert_int_equal(kc_fieldset_insert(s, p, 0), 0); /* the empty path is ignored */
    assert_int_equal(kc_fieldset_size(s), 1);
    const struct kc_fieldset *c = kc_fieldset_child(s, &p[0]);
    assert_non_null(c);
    assert_true(kc_fieldset_has(c, &p[1], 2));
    assert_null(kc_fieldset_child(s, &p[1]));
    assert_text(s, "{\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"c\\\"}\":{}}}}", "insert");
    /* malformed elements */
    struct kc_pe bad = { .type = KC_PE_FIELD, .field = NULL };
    assert_int_equal(kc_fieldset_insert(s, &bad, 1), KC_EINVALID);
    struct kc_pe badkey = { .type = KC_PE_KEY, .key = json_string("x") };
    assert_int_equal(kc_fieldset_insert(s, &badkey, 1), KC_EINVALID);
    json_decref((json_t *)badkey.key);
    struct kc_pe badtype = { .type = (enum kc_pe_type)99 };
    assert_int_equal(kc_fieldset_insert(s, &badtype, 1), KC_EINVALID);
    assert_int_equal(kc_fieldset_size(s), 1);
    kc_fieldset_free(s);
    json_decref(key);
}

/* --- path text --- */

static int
collect(const struct kc_pe *path, size_t n, void *arg)
{
    json_t *arr = arg;
    char *s = kc_path_string(path, n);
    assert_non_null(s);
    json_array_append_new(arr, json_string(s));
    free(s);
    return 0;
}

static const struct {
    const char *set, *paths;
} paths[] = {
    { "{\"f:spec\":{\"f:replicas\":{}}}", "[\".spec.replicas\"]" },
    { "{\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"c\\\"}\":{\".\":{},\"f:image\":{}}}}}",
      "[\".spec.containers[name=\\\"c\\\"]\",\".spec.containers[name=\\\"c\\\"].image\"]" },
    { "{\"f:ports\":{\"k:{\\\"containerPort\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{}}}",
      "[\".ports[containerPort=80,protocol=\\\"TCP\\\"]\"]" },
    { "{\"f:finalizers\":{\"v:\\\"a\\\\tb\\\"\":{}},\"f:x\":{\"i:3\":{}}}",
      "[\".finalizers[=\\\"a\\\\tb\\\"]\",\".x[3]\"]" },
    { "{\"f:labels\":{\"f:app.kubernetes.io/name\":{}}}", "[\".labels.app.kubernetes.io/name\"]" },
};

static void
test_paths(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct kc_fieldset *s = set_of(paths[i].set);
        json_t *got = json_array(), *want = parse(paths[i].paths);
        assert_int_equal(kc_fieldset_iterate(s, collect, got), 0);
        if (!json_equal(got, want)) {
            char *g = json_dumps(got, JSON_COMPACT);
            fail_msg("paths %zu: got %s want %s", i, g, paths[i].paths);
        }
        json_decref(got);
        json_decref(want);
        kc_fieldset_free(s);
    }
}

static int
stop_at_second(const struct kc_pe *path, size_t n, void *arg)
{
    (void)path;
    (void)n;
    int *count = arg;
    return ++*count == 2 ? 42 : 0;
}

static void
test_iterate_stops(void **state)
{
    (void)state;
    struct kc_fieldset *s = set_of("{\"f:a\":{},\"f:b\":{},\"f:c\":{}}");
    int count = 0;
    assert_int_equal(kc_fieldset_iterate(s, stop_at_second, &count), 42);
    assert_int_equal(count, 2);
    kc_fieldset_free(s);
}

/* --- malformed FieldsV1 --- */

static void
test_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[]",                    /* not an object */
        "{\"f:a\":1}",           /* entry not an object */
        "{\"k:nope\":{}}",       /* key not JSON */
        "{\"k:[1]\":{}}",        /* key not an object */
        "{\"v:{oops\":{}}",      /* value not JSON */
        "{\"i:x\":{}}",          /* index not a number */
        "{\"f:a\":{\"i:\":{}}}", /* nested */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *j = parse(bad[i]);
        struct kc_fieldset *s = NULL;
        char err[128];
        assert_int_equal(kc_fieldset_from_fields_v1(j, &s, err, sizeof(err)), KC_EINVALID);
        assert_null(s);
        assert_true(err[0] != '\0');
        json_decref(j);
    }
}

/* --- value order and text --- */

static void
test_value_compare(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        int sign;
    } cases[] = {
        { "1", "1.0", 0 },
        { "1", "2", -1 },
        { "2.5", "2", 1 },
        { "1", "\"a\"", -1 },
        { "\"a\"", "true", -1 },
        { "false", "true", -1 },
        { "true", "[]", -1 },
        { "[]", "{}", -1 },
        { "{}", "null", -1 },
        { "[1,2]", "[1,3]", -1 },
        { "[1]", "[1,0]", -1 },
        { "{\"a\":1}", "{\"b\":0}", -1 },
        { "{\"a\":1}", "{\"a\":2}", -1 },
        { "\"ab\"", "\"b\"", -1 },
        { "null", "null", 0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *a = parse(cases[i].a), *b = parse(cases[i].b);
        int c = kc_json_value_compare(a, b), r = kc_json_value_compare(b, a);
        if ((c > 0) - (c < 0) != cases[i].sign || (r > 0) - (r < 0) != -cases[i].sign)
            fail_msg("compare %s %s: %d/%d, want %d", cases[i].a, cases[i].b, c, r, cases[i].sign);
        json_decref(a);
        json_decref(b);
    }
    struct kc_pe f = { .type = KC_PE_FIELD, .field = "z" }, k = { .type = KC_PE_KEY, .key = json_object() };
    assert_true(kc_pe_compare(&f, &k) < 0);
    json_decref((json_t *)k.key);
}

static void
test_pe_text(void **state)
{
    (void)state;
    json_t *v = json_real(1e-7), *key = json_pack("{s:i,s:s}", "port", 80, "protocol", "TCP");
    struct kc_pe pv = { .type = KC_PE_VALUE, .value = v }, pk = { .type = KC_PE_KEY, .key = key };
    char *s = kc_pe_fields_v1_key(&pv);
    assert_string_equal(s, "v:1e-7"); /* Go's JSON drops the exponent's leading zero */
    free(s);
    s = kc_pe_string(&pv);
    assert_string_equal(s, "[=1e-07]"); /* Go's %v keeps two exponent digits */
    free(s);
    s = kc_pe_fields_v1_key(&pk);
    assert_string_equal(s, "k:{\"port\":80,\"protocol\":\"TCP\"}");
    free(s);
    s = kc_pe_string(&pk);
    assert_string_equal(s, "[port=80,protocol=\"TCP\"]");
    free(s);
    json_decref(v);
    json_decref(key);
}

/* --- out of memory --- */

static int
oom_once(long nth)
{
    struct kc_fieldset *a = set_of("{\"f:a\":{\".\":{},\"f:x\":{}},\"f:b\":{\"k:{\\\"n\\\":1}\":{\"f:y\":{}}}}");
    struct kc_fieldset *b = set_of("{\"f:a\":{\"f:x\":{}},\"f:c\":{}}");
    json_t *j = parse("{\"f:q\":{\"v:\\\"z\\\"\":{}},\"f:a\":{}}");
    struct kc_fieldset *r1 = NULL, *r2 = NULL, *r3 = NULL, *r4 = NULL, *r5 = NULL;
    json_t *out = NULL;
    kc_fault_arm(KC_FAULT_ALLOC, nth, ENOMEM, false);
    int rc = kc_fieldset_union(a, b, &r1);
    if (rc == 0)
        rc = kc_fieldset_difference(a, b, &r2);
    if (rc == 0)
        rc = kc_fieldset_recursive_difference(a, b, &r3);
    if (rc == 0)
        rc = kc_fieldset_intersection(a, b, &r4);
    if (rc == 0)
        rc = kc_fieldset_from_fields_v1(j, &r5, NULL, 0);
    if (rc == 0)
        rc = kc_fieldset_to_fields_v1(a, &out);
    long injected = kc_fault_injected(KC_FAULT_ALLOC);
    kc_fault_disarm(KC_FAULT_ALLOC);
    if ((injected && rc != -ENOMEM) || (!injected && rc != 0))
        fail_msg("allocation %ld: rc %d, %ld faults injected", nth, rc, injected);
    kc_fieldset_free(a);
    kc_fieldset_free(b);
    kc_fieldset_free(r1);
    kc_fieldset_free(r2);
    kc_fieldset_free(r3);
    kc_fieldset_free(r4);
    kc_fieldset_free(r5);
    json_decref(out);
    json_decref(j);
    return (int)injected;
}

static void
test_out_of_memory(void **state)
{
    (void)state;
    long n = 1;
    while (oom_once(n))
        n++;
    assert_true(n > 10); /* the loop reached every allocation site */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),     cmocka_unit_test(test_algebra),
        cmocka_unit_test(test_insert_has),    cmocka_unit_test(test_paths),
        cmocka_unit_test(test_iterate_stops), cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_value_compare), cmocka_unit_test(test_pe_text),
        cmocka_unit_test(test_out_of_memory), cmocka_unit_test(test_in_place),
        cmocka_unit_test(test_cursor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
