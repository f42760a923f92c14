/* test_etcdapi_gojson.c - the gateway's JSON reader fails with Go's very texts: encoding/json syntax errors,
 * jsonpb type errors, Go's base64 offsets; and decodes strings as Go does. Expected texts are Go's (and were
 * checked against etcd 3.4.23's answers where the differential suite covers them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gojson.h"

static void
test_syntax_errors(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *err; /* NULL: parses; "EOF": only whitespace */
    } cases[] = {
        { "", "EOF" },
        { " \t\r\n", "EOF" },
        { "{", "unexpected EOF" },
        { "{\"a\"", "unexpected EOF" },
        { "{\"a\":", "unexpected EOF" },
        { "[1,", "unexpected EOF" },
        { "\"abc", "unexpected EOF" },
        { "x", "invalid character 'x' looking for beginning of value" },
        { "{a}", "invalid character 'a' looking for beginning of object key string" },
        { "{\"a\" 1}", "invalid character '1' after object key" },
        { "{\"a\":1 \"b\":2}", "invalid character '\"' after object key:value pair" },
        { "{\"a\":1,}", "invalid character '}' looking for beginning of object key string" },
        { "[1 2]", "invalid character '2' after array element" },
        { "[1,]", "invalid character ']' looking for beginning of value" },
        { "\"a\x01\"", "invalid character '\\x01' in string literal" },
        { "\"a\tb\"", "invalid character '\\t' in string literal" },
        { "\"\\x\"", "invalid character 'x' in string escape code" },
        { "\"\\u12g4\"", "invalid character 'g' in \\u hexadecimal character escape" },
        { "-x", "invalid character 'x' in numeric literal" },
        { "1.x", "invalid character 'x' after decimal point in numeric literal" },
        { "1ex", "invalid character 'x' in exponent of numeric literal" },
        { "tru", "unexpected EOF" },
        { "trux", "invalid character 'x' in literal true (expecting 'e')" },
        { "nul1", "invalid character '1' in literal null (expecting 'l')" },
        { "fals", "unexpected EOF" },
        { "{'a':1}", "invalid character '\\'' looking for beginning of object key string" },
        { "\xe9", "invalid character '\xc3\xa9' looking for beginning of value" },
        { "\x80", "invalid character '\\u0080' looking for beginning of value" },
        { "{\"a\":1}garbage", NULL }, /* the decoder stops after the first value */
        { "01", NULL },               /* "0", then trailing bytes that are not read */
        { "[]", NULL },
        { "null", NULL },
        { "{\"a\":[1,{\"b\":null}],\"c\":-1.5e+3}", NULL },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct gj_value *v = NULL;
        char err[GJ_ERR_LEN] = "";
        int rc = gj_parse(cases[i].in, strlen(cases[i].in), &v, err);
        if (!cases[i].err) {
            if (rc != 0)
                fail_msg("case %zu (%s): unexpected error %s", i, cases[i].in, err);
            gj_free(v);
        } else if (strcmp(cases[i].err, "EOF") == 0) {
            assert_int_equal(rc, 1);
        } else {
            if (rc != -1 || strcmp(err, cases[i].err) != 0)
                fail_msg("case %zu (%s): got rc %d \"%s\", want \"%s\"", i, cases[i].in, rc, err, cases[i].err);
        }
    }
}

static void
test_strings(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        { "\"a\\u00e9\"", "a\xc3\xa9" },     { "\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80" },
        { "\"\\ud83d\"", "\xef\xbf\xbd" },                                   /* a lone surrogate becomes U+FFFD */
        { "\"\\ude00x\"", "\xef\xbf\xbdx" }, { "\"\xff\"", "\xef\xbf\xbd" }, /* invalid UTF-8 too */
        { "\"\xc3\"", "\xef\xbf\xbd" },      { "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct gj_value *v;
        char err[GJ_ERR_LEN];
        assert_int_equal(gj_parse(cases[i].in, strlen(cases[i].in), &v, err), 0);
        assert_int_equal(v->type, GJ_STRING);
        assert_string_equal(v->str, cases[i].out);
        gj_free(v);
    }
    /* A NUL inside a string is kept, with the length telling. */
    struct gj_value *v;
    char err[GJ_ERR_LEN];
    assert_int_equal(gj_parse("\"a\\u0000b\"", 10, &v, err), 0);
    assert_int_equal(v->len, 3);
    assert_memory_equal(v->str, "a\0b", 3);
    gj_free(v);
}

/* Parses "{"f": <json>}" and returns the member. */
static struct gj_value *
wrap(const char *json, const struct gj_value **field)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "{\"f\":%s}", json);
    struct gj_value *v;
    char err[GJ_ERR_LEN];
    if (gj_parse(buf, strlen(buf), &v, err) != 0)
        fail_msg("cannot parse %s: %s", buf, err);
    *field = gj_field(v, "f", NULL);
    return v;
}

static void
test_int64(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int64_t want;
        const char *err;
    } cases[] = {
        { "5", 5, NULL },
        { "\"5\"", 5, NULL },
        { "-9223372036854775808", INT64_MIN, NULL },
        { "\"9223372036854775807\"", INT64_MAX, NULL },
        { "null", 0, NULL },
        { "\"abc\"", 0, "invalid character 'a' looking for beginning of value" },
        { "\"\"", 0, "unexpected end of JSON input" },
        { "\" 1\"", 1, NULL },
        { "\"0x10\"", 0, "invalid character 'x' after top-level value" },
        { "\"01\"", 0, "invalid character '1' after top-level value" },
        { "\"+1\"", 0, "invalid character '+' looking for beginning of value" },
        { "\"-0\"", 0, NULL },
        { "\"9223372036854775808\"", 0,
          "json: cannot unmarshal number 9223372036854775808 into Go value of type int64" },
        { "1.5", 0, "json: cannot unmarshal number 1.5 into Go value of type int64" },
        { "\"1.5\"", 0, "json: cannot unmarshal number 1.5 into Go value of type int64" },
        { "1e3", 0, "json: cannot unmarshal number 1e3 into Go value of type int64" },
        { "99999999999999999999", 0, "json: cannot unmarshal number 99999999999999999999 into Go value of type int64" },
        { "true", 0, "json: cannot unmarshal bool into Go value of type int64" },
        { "{}", 0, "json: cannot unmarshal object into Go value of type int64" },
        { "[1]", 0, "json: cannot unmarshal array into Go value of type int64" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct gj_value *f;
        struct gj_value *v = wrap(cases[i].in, &f);
        int64_t out = 42;
        char err[GJ_ERR_LEN] = "";
        int rc = gj_int64(f, &out, err);
        if (cases[i].err) {
            if (rc != -1 || strcmp(err, cases[i].err) != 0)
                fail_msg("int64 %s: got \"%s\", want \"%s\"", cases[i].in, err, cases[i].err);
        } else {
            assert_int_equal(rc, 0);
            assert_true(out == cases[i].want);
        }
        gj_free(v);
    }
    int64_t out;
    char err[GJ_ERR_LEN];
    assert_int_equal(gj_int64(NULL, &out, err), 0); /* absent: the default */
    assert_true(out == 0);
}

static void
test_bytes(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *want;
        const char *err;
    } cases[] = {
        { "\"YQ==\"", "a", NULL },
        { "\"YWJj\"", "abc", NULL },
        { "\"YW\\nJj\"", "abc", NULL }, /* newlines are skipped */
        { "\"\"", "", NULL },
        { "null", "", NULL },
        { "[97,98]", "ab", NULL }, /* encoding/json takes []byte from an array of numbers too */
        { "\"Y\"", NULL, "illegal base64 data at input byte 0" },
        { "\"YQ\"", NULL, "illegal base64 data at input byte 0" },
        { "\"YQ=\"", NULL, "illegal base64 data at input byte 3" },
        { "\"Y===\"", NULL, "illegal base64 data at input byte 1" },
        { "\"YQ==x\"", NULL, "illegal base64 data at input byte 4" },
        { "\"Y!==\"", NULL, "illegal base64 data at input byte 1" },
        { "\"YQ=x\"", NULL, "illegal base64 data at input byte 2" },
        { "5", NULL, "json: cannot unmarshal number into Go value of type []uint8" },
        { "true", NULL, "json: cannot unmarshal bool into Go value of type []uint8" },
        { "{}", NULL, "json: cannot unmarshal object into Go value of type []uint8" },
        { "[300]", NULL, "json: cannot unmarshal number 300 into Go value of type uint8" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct gj_value *f;
        struct gj_value *v = wrap(cases[i].in, &f);
        uint8_t *data = NULL;
        size_t len = 0;
        char err[GJ_ERR_LEN] = "";
        int rc = gj_bytes(f, &data, &len, err);
        if (cases[i].err) {
            if (rc != -1 || strcmp(err, cases[i].err) != 0)
                fail_msg("bytes %s: got \"%s\", want \"%s\"", cases[i].in, err, cases[i].err);
        } else {
            if (rc != 0)
                fail_msg("bytes %s: %s", cases[i].in, err);
            assert_int_equal(len, strlen(cases[i].want));
            assert_memory_equal(data ? (const char *)data : "", cases[i].want, len);
        }
        free(data);
        gj_free(v);
    }
}

static void
test_bool_enum_message(void **state)
{
    (void)state;
    const struct gj_value *f;
    char err[GJ_ERR_LEN];
    bool b;
    struct gj_value *v = wrap("\"true\"", &f);
    assert_int_equal(gj_bool(f, &b, err), -1);
    assert_string_equal(err, "json: cannot unmarshal string into Go value of type bool");
    gj_free(v);
    v = wrap("1", &f);
    assert_int_equal(gj_bool(f, &b, err), -1);
    assert_string_equal(err, "json: cannot unmarshal number into Go value of type bool");
    gj_free(v);

    static const char *const names[] = { "NONE", "ASCEND", "DESCEND" };
    int e;
    v = wrap("\"DESCEND\"", &f);
    assert_int_equal(gj_enum(f, names, 3, "etcdserverpb.RangeRequest_SortOrder", &e, err), 0);
    assert_int_equal(e, 2);
    gj_free(v);
    v = wrap("1", &f);
    assert_int_equal(gj_enum(f, names, 3, "etcdserverpb.RangeRequest_SortOrder", &e, err), 0);
    assert_int_equal(e, 1);
    gj_free(v);
    v = wrap("\"FOO\"", &f);
    assert_int_equal(gj_enum(f, names, 3, "etcdserverpb.RangeRequest_SortOrder", &e, err), -1);
    assert_string_equal(err, "unknown value \"FOO\" for enum etcdserverpb.RangeRequest_SortOrder");
    gj_free(v);

    bool present;
    v = wrap("[]", &f);
    assert_int_equal(gj_message(f, &present, err), -1);
    assert_string_equal(err, "json: cannot unmarshal array into Go value of type map[string]json.RawMessage");
    gj_free(v);
    size_t n;
    v = wrap("{}", &f);
    assert_int_equal(gj_array(f, &n, err), -1);
    assert_string_equal(err, "json: cannot unmarshal object into Go value of type []json.RawMessage");
    gj_free(v);
}

static void
test_field_lookup(void **state)
{
    (void)state;
    struct gj_value *v;
    char err[GJ_ERR_LEN];
    const char *text = "{\"rangeEnd\":\"YQ==\",\"limit\":1,\"limit\":2,\"range_end\":\"Yg==\"}";
    assert_int_equal(gj_parse(text, strlen(text), &v, err), 0);
    const struct gj_value *f = gj_field(v, "range_end", "rangeEnd");
    assert_string_equal(f->str, "YQ=="); /* the JSON name wins over the proto name, as etcd's jsonpb */
    int64_t limit;
    assert_int_equal(gj_int64(gj_field(v, "limit", NULL), &limit, err), 0);
    assert_true(limit == 2); /* the last duplicate wins */
    assert_null(gj_field(v, "nope", NULL));
    gj_free(v);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_int64),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_bool_enum_message),
        cmocka_unit_test(test_field_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
