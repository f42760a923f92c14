/* test_jsonpath.c - kctl's JSONPath templates against what kubectl's (client-go's) jsonpath prints for the same
 * templates and data: fields, arrays and slices, unions, filters, wildcards, recursive descent, range/end, quoting,
 * the printing of scalars and objects, and the parser's and evaluator's error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc_error.h"
#include "kctl_print.h"

static const char data_text[] =
    "{\"kind\":\"List\",\"items\":["
    "{\"name\":\"a\",\"n\":1,\"ready\":true,\"labels\":{\"app.kubernetes.io/name\":\"web\",\"tier\":\"front\"},"
    "\"ports\":[{\"port\":80},{\"port\":443}]},"
    "{\"name\":\"b\",\"n\":5,\"ready\":false,\"labels\":{\"tier\":\"back\"},\"ports\":[]},"
    "{\"name\":\"c\",\"n\":3,\"ratio\":0.5,\"big\":1000000.0,\"m\":{\"z\":\"<&>\",\"a\":[1,2]}}]}";

static json_t *data;

static int
setup(void **state)
{
    (void)state;
    data = json_loads(data_text, 0, NULL);
    return data ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    json_decref(data);
    return 0;
}

/* Runs tmpl on data; returns the text (caller frees) and the result code in *rc, the message in err. */
static char *
run(const char *tmpl, bool allow_missing, int *rc, char *err, size_t errlen)
{
    struct kctl_jsonpath *jp = NULL;
    err[0] = '\0';
    *rc = kctl_jsonpath_parse(tmpl, &jp, err, errlen);
    if (*rc)
        return NULL;
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    *rc = kctl_jsonpath_exec(jp, data, allow_missing, f, err, errlen);
    fclose(f);
    kctl_jsonpath_free(jp);
    return out;
}

static void
check(const char *tmpl, const char *want)
{
    int rc;
    char err[256];
    char *got = run(tmpl, true, &rc, err, sizeof(err));
    if (rc != 0)
        fail_msg("%s: error %d: %s", tmpl, rc, err);
    if (strcmp(got, want) != 0)
        fail_msg("%s: got \"%s\", want \"%s\"", tmpl, got, want);
    free(got);
}

static void
check_error(const char *tmpl, int want_rc, const char *want_msg)
{
    int rc;
    char err[256];
    char *got = run(tmpl, false, &rc, err, sizeof(err));
    free(got);
    if (rc != want_rc)
        fail_msg("%s: rc %d, want %d (%s)", tmpl, rc, want_rc, err);
    if (strcmp(err, want_msg) != 0)
        fail_msg("%s: message \"%s\", want \"%s\"", tmpl, err, want_msg);
}

static void
test_fields_and_text(void **state)
{
    (void)state;
    check("{.kind}", "List");
    check("kind is {.kind}!", "kind is List!");
    check("{.items[0].name}", "a");
    check("{.items[0].labels.app\\.kubernetes\\.io/name}", "web");
    check("{.items[0].labels['app.kubernetes.io/name']}", "web");
    check("{.items[1].labels[\"tier\"]}", "back");
    check("{.items[0].n}{.items[0].ready}", "1true");
    check("{.missing}", "");
    check("{\"\\n\"}{'x\\ty'}", "\nx\ty");
    check("{$.kind}", "List");
    check("no actions", "no actions");
}

static void
test_arrays(void **state)
{
    (void)state;
    check("{.items[*].name}", "a b c");
    check("{.items[-1].name}", "c");
    check("{.items[0:2].name}", "a b");
    check("{.items[::2].name}", "a c");
    check("{.items[1:].name}", "b c");
    check("{.items[0,2].name}", "a c");
    check("{.items[0]['name','n']}", "a 1");
    check("{.items[1].ports[*].port}", "");
    check("{.items[0].ports[*].port}", "80 443");
    check("{.items[2:2].name}", "");
}

static void
test_filters(void **state)
{
    (void)state;
    check("{.items[?(@.name==\"b\")].n}", "5");
    check("{.items[?(@.name!='b')].name}", "a c");
    check("{.items[?(@.n>2)].name}", "b c");
    check("{.items[?(@.n<=3)].name}", "a c");
    check("{.items[?(@.ratio)].name}", "c");
    check("{.items[?(@.ready==true)].name}", "a");
    check("{.items[0].ports[?(@.port==443)].port}", "443");
}

static void
test_wildcard_recursive_range(void **state)
{
    (void)state;
    check("{..port}", "80 443");
    check("{.items[0].labels.*}", "web front");
    check("{range .items[*]}[{.name}:{.n}]{end}", "[a:1][b:5][c:3]");
    check("{range .items[*]}{.name}{range .ports[*]}<{.port}>{end};{end}", "a<80><443>;b;c;");
    check("{range .nothing[*]}x{end}after", "after");
    check("{range .items[?(@.n>4)]}{.name}{\"\\n\"}{end}", "b\n");
}

static void
test_value_printing(void **state)
{
    (void)state;
    check("{.items[2].ratio} {.items[2].big}", "0.5 1e+06");
    check("{.items[2].m}", "{\"a\":[1,2],\"z\":\"\\u003c\\u0026\\u003e\"}");
    check("{.items[0].ports}", "[{\"port\":80},{\"port\":443}]");
    check("{.items[1].ports}", "[]");
}

static void
test_errors(void **state)
{
    (void)state;
    check_error("{.kind", KC_EPARSE, "unclosed action");
    check_error("{.items[0}", KC_EPARSE, "unterminated array");
    check_error("{.items[x]}", KC_EPARSE, "invalid array index x");
    check_error("{.items[?(@.n>1}", KC_EPARSE, "unterminated filter");
    check_error("{\"abc}", KC_EPARSE, "unterminated quoted string");
    check_error("{.items[5]}", KC_EINVALID, "array index out of bounds: index 5, length 3");
    check_error("{.kind[0]}", KC_EINVALID, "string is not array or slice");
    check_error("{.missing}", KC_EINVALID, "missing is not found");
    check_error("{end}", KC_EINVALID, "not in range, nothing to end");
    check_error("{.items[?(@.name==1)]}", KC_EINVALID, "incompatible types for comparison");
    check_error("{.items[::0]}", KC_EINVALID, "step must be > 0");
    check_error("{foo}", KC_EINVALID, "unrecognized identifier foo");
}

static void
test_find_and_relaxed(void **state)
{
    (void)state;
    struct kctl_jsonpath *jp;
    char err[128], buf[128];
    assert_int_equal(kctl_jsonpath_parse("{.items[*].n}", &jp, err, sizeof(err)), 0);
    json_t *res;
    assert_int_equal(kctl_jsonpath_find(jp, data, &res, err, sizeof(err)), 0);
    assert_int_equal(json_array_size(res), 3);
    assert_int_equal(json_integer_value(json_array_get(res, 1)), 5);
    json_decref(res);
    kctl_jsonpath_free(jp);

    assert_int_equal(kctl_jsonpath_relaxed("metadata.name", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "{.metadata.name}");
    assert_int_equal(kctl_jsonpath_relaxed(".metadata.name", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "{.metadata.name}");
    assert_int_equal(kctl_jsonpath_relaxed("{metadata.name}", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "{.metadata.name}");
    assert_int_equal(kctl_jsonpath_relaxed("{.spec.containers[0].image}", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "{.spec.containers[0].image}");
    assert_int_equal(kctl_jsonpath_relaxed("{.a}{.b}", buf, sizeof(buf)), KC_EINVALID);
    assert_int_equal(kctl_jsonpath_relaxed("{.a}", buf, 4), -ENAMETOOLONG);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_and_text),  cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_filters),          cmocka_unit_test(test_wildcard_recursive_range),
        cmocka_unit_test(test_value_printing),   cmocka_unit_test(test_errors),
        cmocka_unit_test(test_find_and_relaxed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
