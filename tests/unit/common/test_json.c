/* test_json.c - path get/set/delete, deep equality, canonical dumps, parse errors and jansson's string escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kc_error.h"
#include "kc_json.h"

static json_t *
parse(const char *text)
{
    json_t *v = NULL;
    char err[128];
    int rc = kc_json_parse(text, strlen(text), &v, err, sizeof(err));
    if (rc != 0)
        fail_msg("parse %s: %s", text, err);
    return v;
}

static void
test_get(void **state)
{
    (void)state;
    json_t *o = parse("{\"metadata\":{\"name\":\"web\",\"labels\":{\"app.kubernetes.io/name\":\"x\",\"a\":\"b\"},"
                      "\"generation\":3},\"spec\":{\"containers\":[{\"name\":\"c0\"},{\"name\":\"c1\"}]}}");
    assert_string_equal(kc_json_get_string(o, "metadata.name"), "web");
    assert_string_equal(kc_json_get_string(o, "metadata.labels.a"), "b");
    assert_string_equal(kc_json_get_string(o, "metadata.labels.app\\.kubernetes\\.io/name"), "x");
    assert_null(kc_json_get(o, "metadata.labels.app.kubernetes.io/name"));
    assert_string_equal(kc_json_get_string(o, "spec.containers.[1].name"), "c1");
    assert_string_equal(kc_json_get_string(o, "spec.containers.0.name"), "c0");
    assert_null(kc_json_get(o, "spec.containers.[2].name"));
    assert_null(kc_json_get(o, "spec.containers.x"));
    assert_null(kc_json_get(o, "metadata.name.deeper"));
    assert_null(kc_json_get_string(o, "metadata.generation"));
    assert_ptr_equal(kc_json_get(o, ""), o);

    long long g = 0;
    assert_int_equal(kc_json_get_int(o, "metadata.generation", &g), 0);
    assert_int_equal(g, 3);
    assert_int_equal(kc_json_get_int(o, "metadata.name", &g), KC_EINVALID);
    assert_int_equal(kc_json_get_int(o, "metadata.missing", &g), KC_ENOTFOUND);
    json_decref(o);
}

static void
test_set_del(void **state)
{
    (void)state;
    json_t *o = json_object();
    assert_int_equal(kc_json_set(o, "metadata.labels.app", json_string("web")), 0);
    assert_int_equal(kc_json_set(o, "metadata.labels.k8s\\.io/x", json_string("y")), 0);
    assert_string_equal(kc_json_get_string(o, "metadata.labels.app"), "web");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_object_get(o, "metadata"), "labels"), "k8s.io/x")), "y");
    /* An intermediate value that is not an object is an error, and nothing is changed. */
    assert_int_equal(kc_json_set(o, "metadata.labels.app.deeper", json_true()), KC_EINVALID);
    assert_string_equal(kc_json_get_string(o, "metadata.labels.app"), "web");
    assert_int_equal(kc_json_set(o, "", json_true()), KC_EINVALID);
    assert_int_equal(kc_json_set(o, "x", NULL), -ENOMEM);

    assert_int_equal(kc_json_set(o, "list", json_pack("[i,i]", 1, 2)), 0);
    assert_int_equal(kc_json_set(o, "list.[1]", json_integer(5)), 0);
    assert_int_equal(json_integer_value(kc_json_get(o, "list.[1]")), 5);
    assert_int_equal(kc_json_set(o, "list.[7]", json_integer(5)), KC_EINVALID);

    assert_int_equal(kc_json_del(o, "metadata.labels.app"), 0);
    assert_null(kc_json_get(o, "metadata.labels.app"));
    assert_int_equal(kc_json_del(o, "metadata.labels.app"), KC_ENOTFOUND);
    assert_int_equal(kc_json_del(o, "list.[0]"), 0);
    assert_int_equal(json_array_size(kc_json_get(o, "list")), 1);
    assert_int_equal(kc_json_del(o, "nope.deeper"), KC_ENOTFOUND);
    json_decref(o);
}

static void
test_equal(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        bool equal;
    } cases[] = {
        { "{\"a\":1,\"b\":[1,2]}", "{\"b\":[1,2],\"a\":1}", true },
        { "{\"a\":1}", "{\"a\":1.0}", true },
        { "{\"a\":1}", "{\"a\":1.5}", false },
        { "[1,2]", "[2,1]", false },
        { "{\"a\":null}", "{}", false },
        { "{\"a\":\"x\"}", "{\"a\":\"x\\u0000\"}", false },
        { "{\"a\":{\"b\":{\"c\":[true,false,null]}}}", "{\"a\":{\"b\":{\"c\":[true,false,null]}}}", true },
        { "{\"a\":true}", "{\"a\":false}", false },
        { "\"1\"", "1", false },
        { "[]", "{}", false },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *a = parse(cases[i].a), *b = parse(cases[i].b);
        if (kc_json_equal(a, b) != cases[i].equal)
            fail_msg("case %zu: %s vs %s", i, cases[i].a, cases[i].b);
        assert_int_equal(kc_json_equal(b, a), cases[i].equal);
        json_decref(a);
        json_decref(b);
    }
    assert_true(kc_json_equal(NULL, NULL));
    json_t *t = json_true();
    assert_false(kc_json_equal(t, NULL));
    json_decref(t);
}

static void
test_canonical(void **state)
{
    (void)state;
    json_t *v = parse("{\"z\":1, \"a\":{\"y\":[3, {\"b\":2, \"a\":1}], \"x\":\"s\"}, \"m\":null}");
    char *s = kc_json_canonical(v);
    assert_string_equal(s, "{\"a\":{\"x\":\"s\",\"y\":[3,{\"a\":1,\"b\":2}]},\"m\":null,\"z\":1}");
    free(s);
    json_decref(v);
    json_t *str = json_string("x");
    s = kc_json_canonical(str);
    assert_string_equal(s, "\"x\"");
    free(s);
    json_decref(str);
}

static void
test_parse_errors(void **state)
{
    (void)state;
    json_t *v = NULL;
    char err[128];
    const char *dup = "{\"a\":1,\n \"a\":2}";
    assert_int_equal(kc_json_parse(dup, strlen(dup), &v, err, sizeof(err)), KC_EPARSE);
    assert_non_null(strstr(err, "line 2"));
    assert_non_null(strstr(err, "duplicate"));
    assert_null(v);
    const char *bad = "{\"a\":}";
    assert_int_equal(kc_json_parse(bad, strlen(bad), &v, err, sizeof(err)), KC_EPARSE);
    assert_non_null(strstr(err, "line 1, column"));
    /* Not NUL-terminated input: only len bytes count. */
    assert_int_equal(kc_json_parse("[1]garbage", 3, &v, NULL, 0), 0);
    assert_int_equal(json_array_size(v), 1);
    json_decref(v);
}

/* kc_json_plain_end finds the first byte to escape wherever it sits (in the 16-byte steps or in the tail), and
 * kc_json_escape spells every byte as json_dumps does. */
static void
test_escaping(void **state)
{
    (void)state;
    char buf[64];
    for (size_t n = 0; n <= 40; n++) {
        memset(buf, 'a', sizeof(buf));
        assert_int_equal(kc_json_plain_end(buf, n, 0, false), n);
        buf[n] = '"'; /* past the end: the tail's 16-byte load sees it, and must not stop there */
        buf[n + 1] = 0;
        assert_int_equal(kc_json_plain_end(buf, n, 0, false), n);
        assert_int_equal(kc_json_plain_end(buf, n, 0, true), n);
        for (size_t at = 0; at < n; at++) {
            static const char special[] = { '"', '\\', '\n', 0x01, 0x1f, 0 };
            for (size_t k = 0; k < sizeof(special); k++) {
                memset(buf, 'a', sizeof(buf));
                buf[at] = special[k];
                assert_int_equal(kc_json_plain_end(buf, n, 0, false), at);
                assert_int_equal(kc_json_plain_end(buf, n, at + 1, false), n);
            }
            memset(buf, 'a', sizeof(buf));
            buf[at] = (char)0xc3; /* not ASCII: plain, unless a parser asks */
            assert_int_equal(kc_json_plain_end(buf, n, 0, false), n);
            assert_int_equal(kc_json_plain_end(buf, n, 0, true), at);
        }
    }
    /* strings that end where readable memory ends: the tail is read a byte at a time there, never past it */
    long page = sysconf(_SC_PAGESIZE);
    char *pages = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(pages != MAP_FAILED);
    assert_int_equal(mprotect(pages + page, (size_t)page, PROT_NONE), 0);
    for (size_t n = 0; n <= 40; n++) {
        char *s = pages + page - n;
        memset(s, 'a', n);
        assert_int_equal(kc_json_plain_end(s, n, 0, false), n);
        if (n) {
            s[n - 1] = '\\';
            assert_int_equal(kc_json_plain_end(s, n, 0, false), n - 1);
            s[0] = '\n';
            assert_int_equal(kc_json_plain_end(s, n, 0, false), 0);
        }
    }
    munmap(pages, (size_t)page * 2);
    for (unsigned c = 0; c < 0x80; c++) {
        char one = (char)c, esc[6];
        json_t *v = json_stringn(&one, 1);
        char *want = json_dumps(v, JSON_ENCODE_ANY);
        assert_non_null(want);
        if (kc_json_plain_end(&one, 1, 0, false) == 1) {
            assert_int_equal(strlen(want), 3); /* written as it is */
        } else {
            size_t len = kc_json_escape((unsigned char)c, esc);
            assert_int_equal(strlen(want), len + 2);
            assert_memory_equal(want + 1, esc, len);
        }
        free(want);
        json_decref(v);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get),       cmocka_unit_test(test_set_del),      cmocka_unit_test(test_equal),
        cmocka_unit_test(test_canonical), cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_escaping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
