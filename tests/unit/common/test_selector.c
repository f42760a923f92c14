/* test_selector.c - label and field selectors against the cases of upstream's labels/selector_test.go,
 * fields/selector_test.go and metav1's LabelSelectorAsSelector, with the exact error texts, plus matching,
 * String(), accessors and allocation failure at every step. */
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
#include "kc_fault.h"
#include "kc_json.h"
#include "kc_selector.h"

#include "../json_fixture.h"

#define QNAME_REGEX_ERR                                                                                      \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric " \
    "character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "                  \
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define LABEL_VALUE_ERR                                                                                       \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must " \
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "  \
    "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
#define DNS_ERR                                                                                                \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must " \
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "          \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define REQ "unable to parse requirement: "

static char *
repeat(char c, size_t n, const char *suffix)
{
    char *s = malloc(n + strlen(suffix) + 1);
    assert_non_null(s);
    memset(s, c, n);
    strcpy(s + n, suffix);
    return s;
}

/* ---- label selector: parse ---- */

static void
test_label_parse_valid(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        /* TestSelectorParse: String() is the input without spaces */
        { "x=a,y=b,z=c", "x=a,y=b,z=c" },
        { "", "" },
        { "x!=a,y=b", "x!=a,y=b" },
        { "x=", "x=" },
        { "x= ", "x=" },
        { "x=,z= ", "x=,z=" },
        { "x= ,z= ", "x=,z=" },
        { "!x", "!x" },
        { "x>1", "x>1" },
        { "x>1,z<5", "x>1,z<5" },
        /* TestDeterministicParse */
        { "x=a,a=x", "a=x,x=a" },
        { "a=x,x=a", "a=x,x=a" },
        /* TestSetSelectorParser */
        { "\rx", "x" },
        { "this-is-a-dns.domain.com/key-with-dash", "this-is-a-dns.domain.com/key-with-dash" },
        { "this-is-another-dns.domain.com/key-with-dash in (so,what)",
          "this-is-another-dns.domain.com/key-with-dash in (so,what)" },
        { "0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)",
          "0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)" },
        { "foo  in\t (abc)", "foo in (abc)" },
        { "x notin\n (abc)", "x notin (abc)" },
        { "x  notin\t\t\t(abc,def)", "x notin (abc,def)" },
        { "x in (abc,def)", "x in (abc,def)" },
        { "x in (abc,)", "x in (,abc)" },
        { "x in ()", "x in ()" },
        { "x notin (abc,,def),bar,z in (),w", "bar,w,x notin (,abc,def),z in ()" },
        { "x,y in (a)", "x,y in (a)" },
        { "x=a", "x=a" },
        { "x<7", "x<7" },
        { "x=a,y!=b,z in (h,i,j)", "x=a,y!=b,z in (h,i,j)" },
        { "x notin ( )", "x notin ()" },
        { "x notin (, a)", "x notin (,a)" },
        { "a ", "a" },
        { "a in (x,y,notin, z,in)", "a in (in,notin,x,y,z)" },
        /* keywords are identifiers where a key or value is expected */
        { "notin=in", "notin=in" },
        { "in in (in)", "in in (in)" },
        { "in", "in" },
        { "!notin", "!notin" },
        /* more */
        { "a==b", "a==b" },
        { "a = b", "a=b" },
        { " a , b ", "a,b" },
        { "!a,b", "!a,b" },
        { "z,a,m", "a,m,z" },
        { "a>1,a<5", "a>1,a<5" }, /* equal keys keep their order */
        { "a in (c,b,a,b)", "a in (a,b,c)" },
        { "a in (,)", "a in ()" },
        { "a in (b,,c)", "a in (,b,c)" },
        { "a notin(b)", "a notin (b)" },
        { "x>-1", NULL }, /* error: "-1" is not a label value (see the invalid table) */
        { "x>+1", NULL },
        { "app.kubernetes.io/name=web", "app.kubernetes.io/name=web" },
        { "a=b\n,c", "a=b,c" },
        { "k8s.io/a.b_c-d", "k8s.io/a.b_c-d" },
        { "x<-0", NULL },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kc_label_selector *sel = NULL;
        char err[1024] = "";
        int rc = kc_label_selector_parse(cases[i].in, &sel, err, sizeof(err));
        if (!cases[i].out) {
            if (rc != KC_EPARSE)
                fail_msg("\"%s\": expected an error, got %d", cases[i].in, rc);
            continue;
        }
        if (rc != 0)
            fail_msg("\"%s\": unexpected error %d: %s", cases[i].in, rc, err);
        char *s = kc_label_selector_string(sel);
        assert_non_null(s);
        if (strcmp(s, cases[i].out) != 0)
            fail_msg("\"%s\": String() = \"%s\", want \"%s\"", cases[i].in, s, cases[i].out);
        /* the canonical form parses to the same selector */
        struct kc_label_selector *again = NULL;
        assert_int_equal(kc_label_selector_parse(s, &again, NULL, 0), 0);
        char *s2 = kc_label_selector_string(again);
        assert_string_equal(s2, s);
        free(s2);
        kc_label_selector_free(again);
        assert_int_equal(kc_label_selector_empty(sel), cases[i].out[0] == '\0');
        assert_false(kc_label_selector_is_nothing(sel));
        free(s);
        kc_label_selector_free(sel);
    }
}

static void
test_label_parse_invalid(void **state)
{
    (void)state;
    char *long_name = repeat('a', 64, "");
    char *long_name_key = repeat('a', 64, "=x");
    char *long_prefix_key = repeat('a', 254, "/b");
    char *long_value_sel = repeat('v', 64, "");
    char long_value[128], long_bad_value[128];
    snprintf(long_value, sizeof(long_value), "k=%s", long_value_sel);
    snprintf(long_bad_value, sizeof(long_bad_value), "k=%s-", long_value_sel);
    char msg_long_name[256], msg_long_prefix[512], msg_long_value[256], msg_long_bad_value[1024];
    snprintf(msg_long_name, sizeof(msg_long_name),
             REQ "<nil>: Invalid value: \"%s\": name part must be no more than 63 characters", long_name);
    snprintf(msg_long_prefix, sizeof(msg_long_prefix),
             REQ "<nil>: Invalid value: \"%s\": prefix part must be no more than 253 characters", long_prefix_key);
    snprintf(msg_long_value, sizeof(msg_long_value),
             REQ "values[0][k]: Invalid value: \"%s\": must be no more than 63 characters", long_value_sel);
    snprintf(msg_long_bad_value, sizeof(msg_long_bad_value),
             REQ "values[0][k]: Invalid value: \"%s-\": must be no more than 63 characters; " LABEL_VALUE_ERR,
             long_value_sel);

    const struct {
        const char *in, *msg;
    } cases[] = {
        /* upstream's bad strings */
        { "x=a||y=b", REQ "values[0][x]: Invalid value: \"a||y\": " LABEL_VALUE_ERR },
        { "x==a==b", "found '==', expected: ',' or 'end of string'" },
        { "!x=a", "found '=', expected: ',' or 'end of string'" },
        { "x<a", REQ "values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer" },
        { "x,,y", "found ',', expected: identifier after ','" },
        { ",x,y", "found ',', expected: !, identifier, or 'end of string'" },
        { "x nott in (y)", REQ "found 'nott', expected: in, notin, =, ==, !=, gt, lt" },
        { "a in (xyz),", "found '', expected: identifier after ','" },
        { "a in (xyz)b notin ()", "found 'b', expected: ',' or 'end of string'" },
        { "a in (xyz abc)", REQ "found 'abc', expected: ',' or ')'" },
        { "a notin(", REQ "found '', expected: ',', ')' or identifier" },
        { "a (", REQ "found '(', expected: in, notin, =, ==, !=, gt, lt" },
        { "(", "found '(', expected: !, identifier, or 'end of string'" },
        /* more syntax */
        { ",", "found ',', expected: !, identifier, or 'end of string'" },
        { "=a", "found '=', expected: !, identifier, or 'end of string'" },
        { "a,", "found '', expected: identifier after ','" },
        { "a,=b", "found '=', expected: identifier after ','" },
        { "!", REQ "found '', expected: identifier" },
        { "!,", REQ "found ',', expected: identifier" },
        { "!!a", REQ "found '!', expected: identifier" },
        { "a b", REQ "found 'b', expected: in, notin, =, ==, !=, gt, lt" },
        { "a=(b)", REQ "found '(', expected: identifier" },
        { "a=!", REQ "found '!', expected: identifier" },
        { "a in b", REQ "found 'b' expected: '('" },
        { "a in (b", REQ "found '', expected: ',' or ')'" },
        { "a in (=)", REQ "found '=', expected: ',', ')' or identifier" },
        { "a in (b,=)", REQ "found '=', expected: ',', or identifier" },
        { "a in (b)c", "found 'c', expected: ',' or 'end of string'" },
        { "a=b c", "found 'c', expected: ',' or 'end of string'" },
        { "a=b=c", "found '=', expected: ',' or 'end of string'" },
        { "a=b,,", "found ',', expected: identifier after ','" },
        { "a!!=b", REQ "found '!', expected: in, notin, =, ==, !=, gt, lt" },
        { "a=>b", REQ "found '>', expected: identifier" },
        { "a in (,,)", REQ "found ')', expected: ',', or identifier" }, /* ",," consumes the second comma */
        { "a in (b,,)", REQ "found ')', expected: ',', or identifier" },
        /* keys */
        { "-a", REQ "<nil>: Invalid value: \"-a\": name part " QNAME_REGEX_ERR },
        { "a-", REQ "<nil>: Invalid value: \"a-\": name part " QNAME_REGEX_ERR },
        { "a&b=c", REQ "<nil>: Invalid value: \"a&b\": name part " QNAME_REGEX_ERR },
        { "app: nginx", REQ "<nil>: Invalid value: \"app:\": name part " QNAME_REGEX_ERR },
        { "a/b/c ?=? def", REQ "<nil>: Invalid value: \"a/b/c\": a qualified name " QNAME_REGEX_ERR
                               " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')" },
        { "/a", REQ "<nil>: Invalid value: \"/a\": prefix part must be non-empty" },
        { "a/", REQ "<nil>: Invalid value: \"a/\": name part must be non-empty; name part " QNAME_REGEX_ERR },
        { "/", REQ "<nil>: Invalid value: \"/\": prefix part must be non-empty; name part must be non-empty; name "
                   "part " QNAME_REGEX_ERR },
        { "Example.com/a", REQ "<nil>: Invalid value: \"Example.com/a\": prefix part " DNS_ERR },
        { "app.kubernetes_io/name=x", REQ "<nil>: Invalid value: \"app.kubernetes_io/name\": prefix part " DNS_ERR },
        { "a..b/c", REQ "<nil>: Invalid value: \"a..b/c\": prefix part " DNS_ERR },
        { "-a.b/c", REQ "<nil>: Invalid value: \"-a.b/c\": prefix part " DNS_ERR },
        { long_name_key, msg_long_name },
        { long_prefix_key, msg_long_prefix },
        { "a\"b", REQ "<nil>: Invalid value: \"a\\\"b\": name part " QNAME_REGEX_ERR },
        { "a\\b", REQ "<nil>: Invalid value: \"a\\\\b\": name part " QNAME_REGEX_ERR },
        { "a\x7f", REQ "<nil>: Invalid value: \"a\\x7f\": name part " QNAME_REGEX_ERR },
        { "a\x01", REQ "<nil>: Invalid value: \"a\\x01\": name part " QNAME_REGEX_ERR },
        { "a\xff", REQ "<nil>: Invalid value: \"a\\xff\": name part " QNAME_REGEX_ERR },
        { "\xc3\xa9t\xc3\xa9", REQ "<nil>: Invalid value: \"\xc3\xa9t\xc3\xa9\": name part " QNAME_REGEX_ERR },
        { "a\xc2\xa0", REQ "<nil>: Invalid value: \"a\\u00a0\": name part " QNAME_REGEX_ERR },
        { "a\xef\xbb\xbf", REQ "<nil>: Invalid value: \"a\\ufeff\": name part " QNAME_REGEX_ERR },
        { "a\xf3\xa0\x80\x81", REQ "<nil>: Invalid value: \"a\\U000e0001\": name part " QNAME_REGEX_ERR },
        { "a\xe2\x82", REQ "<nil>: Invalid value: \"a\\xe2\\x82\": name part " QNAME_REGEX_ERR },
        { "a\xed\xa0\x80", REQ "<nil>: Invalid value: \"a\\xed\\xa0\\x80\": name part " QNAME_REGEX_ERR },
        /* values */
        { "app=-x", REQ "values[0][app]: Invalid value: \"-x\": " LABEL_VALUE_ERR },
        { "app==x-", REQ "values[0][app]: Invalid value: \"x-\": " LABEL_VALUE_ERR },
        { "app!=a/b", REQ "values[0][app]: Invalid value: \"a/b\": " LABEL_VALUE_ERR },
        { "x in (a,-b)", REQ "values[0][x]: Invalid value: \"-b\": " LABEL_VALUE_ERR },
        { "x in (-b,a,c_)", REQ "[values[0][x]: Invalid value: \"-b\": " LABEL_VALUE_ERR
                                ", values[2][x]: Invalid value: \"c_\": " LABEL_VALUE_ERR "]" },
        { long_value, msg_long_value },
        { long_bad_value, msg_long_bad_value },
        /* Gt / Lt */
        { "x>", REQ "values[0]: Invalid value: \"\": for 'Gt', 'Lt' operators, the value must be an integer" },
        { "x>1.5", REQ "values[0]: Invalid value: \"1.5\": for 'Gt', 'Lt' operators, the value must be an integer" },
        { "x>99999999999999999999",
          REQ "values[0]: Invalid value: \"99999999999999999999\": for 'Gt', 'Lt' operators, the value must be an "
              "integer" },
        { "x>-1", REQ "values[0][x]: Invalid value: \"-1\": " LABEL_VALUE_ERR },
        { "x<-x", REQ "[values[0]: Invalid value: \"-x\": for 'Gt', 'Lt' operators, the value must be an integer, "
                      "values[0][x]: Invalid value: \"-x\": " LABEL_VALUE_ERR "]" },
        /* the first bad requirement in input order is reported */
        { "b=-x,a=-y", REQ "values[0][b]: Invalid value: \"-x\": " LABEL_VALUE_ERR },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kc_label_selector *sel = (struct kc_label_selector *)&sel; /* must stay untouched */
        char err[2048] = "";
        int rc = kc_label_selector_parse(cases[i].in, &sel, err, sizeof(err));
        if (rc != KC_EPARSE)
            fail_msg("\"%s\": expected KC_EPARSE, got %d", cases[i].in, rc);
        if (strcmp(err, cases[i].msg) != 0)
            fail_msg("\"%s\":\n got: %s\nwant: %s", cases[i].in, err, cases[i].msg);
        assert_ptr_equal(sel, (struct kc_label_selector *)&sel);
    }
    /* no buffer, and a buffer too small for the message */
    struct kc_label_selector *sel;
    assert_int_equal(kc_label_selector_parse("-a", &sel, NULL, 0), KC_EPARSE);
    char small[12];
    assert_int_equal(kc_label_selector_parse("-a", &sel, small, sizeof(small)), KC_EPARSE);
    assert_string_equal(small, "unable to p");
    assert_int_equal(kc_label_selector_parse("-a", &sel, small, 1), KC_EPARSE);
    assert_string_equal(small, "");
    free(long_name);
    free(long_name_key);
    free(long_prefix_key);
    free(long_value_sel);
}

/* ---- label selector: matching ---- */

static void
test_label_matches(void **state)
{
    (void)state;
    static const struct {
        const char *sel, *labels;
        bool match;
    } cases[] = {
        /* TestSelectorMatches */
        { "", "{\"x\":\"y\"}", true },
        { "x=y", "{\"x\":\"y\"}", true },
        { "x=y,z=w", "{\"x\":\"y\",\"z\":\"w\"}", true },
        { "x!=y,z!=w", "{\"x\":\"z\",\"z\":\"a\"}", true },
        { "notin=in", "{\"notin\":\"in\"}", true },
        { "x", "{\"x\":\"z\"}", true },
        { "!x", "{\"y\":\"z\"}", true },
        { "x>1", "{\"x\":\"2\"}", true },
        { "x<1", "{\"x\":\"0\"}", true },
        { "x=z", "{}", false },
        { "x=y", "{\"x\":\"z\"}", false },
        { "x=y,z=w", "{\"x\":\"w\",\"z\":\"w\"}", false },
        { "x!=y,z!=w", "{\"x\":\"z\",\"z\":\"w\"}", false },
        { "x", "{\"y\":\"z\"}", false },
        { "!x", "{\"x\":\"z\"}", false },
        { "x>1", "{\"x\":\"0\"}", false },
        { "x<1", "{\"x\":\"2\"}", false },
        { "foo=bar", "{\"foo\":\"bar\",\"baz\":\"blah\"}", true },
        { "baz=blah", "{\"foo\":\"bar\",\"baz\":\"blah\"}", true },
        { "foo=bar,baz=blah", "{\"foo\":\"bar\",\"baz\":\"blah\"}", true },
        { "foo=blah", "{\"foo\":\"bar\",\"baz\":\"blah\"}", false },
        { "baz=bar", "{\"foo\":\"bar\",\"baz\":\"blah\"}", false },
        { "foo=bar,foobar=bar,baz=blah", "{\"foo\":\"bar\",\"baz\":\"blah\"}", false },
        /* TestRequirementSelectorMatching */
        { "x in (foo),y notin (alpha)", "{\"x\":\"foo\",\"y\":\"baz\"}", true },
        { "x in (foo),y in (alpha)", "{\"x\":\"foo\",\"y\":\"baz\"}", false },
        { "x notin (),y", "{\"y\":\"\"}", true },
        { "!x,y", "{\"y\":\"\"}", true },
        { "x notin (),!y", "{\"y\":\"\"}", false },
        { "x in ()", "{\"y\":\"baz\"}", false },
        { "z>1", "{\"z\":\"2\"}", true },
        { "z>1", "{\"z\":\"v2\"}", false },
        /* more */
        { "x in ()", "{\"x\":\"\"}", true },
        { "x=", "{\"x\":\"\"}", true },
        { "x=", "{}", false },
        { "x!=", "{}", true },
        { "x in (a,b)", "{\"x\":\"b\"}", true },
        { "x notin (a,b)", "{\"x\":\"b\"}", false },
        { "x notin (a,b)", "{\"x\":\"c\"}", true },
        { "x", "{\"x\":5}", false }, /* not a string: absent */
        { "!x", "{\"x\":null}", true },
        { "x>1", "{\"x\":\"99999999999999999999\"}", false },
        { "x>-0", NULL, false },
        { "x<10", "{\"x\":\"-5\"}", true },
        { "x>9223372036854775806", "{\"x\":\"9223372036854775807\"}", true },
        { "x>1", "{\"x\":\"+2\"}", true },
        { "x>1", "{\"x\":\" 2\"}", false },
        { "x>1", "{}", false },
        { "x<1", "{}", false },
        { "app.kubernetes.io/name=web", "{\"app.kubernetes.io/name\":\"web\"}", true },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kc_label_selector *sel = NULL;
        int rc = kc_label_selector_parse(cases[i].sel, &sel, NULL, 0);
        if (!cases[i].labels) {
            assert_int_equal(rc, KC_EPARSE);
            continue;
        }
        assert_int_equal(rc, 0);
        json_t *labels = parse(cases[i].labels);
        if (kc_label_selector_matches(sel, labels) != cases[i].match)
            fail_msg("\"%s\" on %s: want %d", cases[i].sel, cases[i].labels, cases[i].match);
        json_decref(labels);
        kc_label_selector_free(sel);
    }

    /* no labels at all: NULL, null, or not an object */
    static const struct {
        const char *sel;
        bool match;
    } none[] = { { "", true },     { "!x", true },       { "x", false }, { "x!=a", true }, { "x notin (a)", true },
                 { "x=a", false }, { "x in (a)", false } };
    json_t *null = json_null(), *arr = json_array();
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        struct kc_label_selector *sel;
        assert_int_equal(kc_label_selector_parse(none[i].sel, &sel, NULL, 0), 0);
        assert_int_equal(kc_label_selector_matches(sel, NULL), none[i].match);
        assert_int_equal(kc_label_selector_matches(sel, null), none[i].match);
        assert_int_equal(kc_label_selector_matches(sel, arr), none[i].match);
        kc_label_selector_free(sel);
    }
    json_decref(null);
    json_decref(arr);
    /* a NULL selector is everything */
    assert_true(kc_label_selector_matches(NULL, NULL));
    assert_true(kc_label_selector_empty(NULL));
    assert_false(kc_label_selector_is_nothing(NULL));
    char *s = kc_label_selector_string(NULL);
    assert_string_equal(s, "");
    free(s);
    /* a label value with an embedded NUL is not "a" */
    struct kc_label_selector *sel;
    assert_int_equal(kc_label_selector_parse("x=a", &sel, NULL, 0), 0);
    json_t *labels = json_object();
    json_object_set_new(labels, "x", json_stringn("a\0b", 3));
    assert_false(kc_label_selector_matches(sel, labels));
    json_decref(labels);
    kc_label_selector_free(sel);
}

/* ---- label selector: metav1.LabelSelector ---- */

static void
test_label_from_json(void **state)
{
    (void)state;
    static const struct {
        const char *json, *out;
        const char *match, *nomatch; /* label sets */
    } good[] = {
        { "{}", "", "{}", NULL },
        { "{\"matchLabels\":{},\"matchExpressions\":[]}", "", "{\"a\":\"b\"}", NULL },
        { "{\"matchLabels\":null,\"matchExpressions\":null}", "", "{}", NULL },
        { "{\"matchLabels\":{\"tier\":\"fe\",\"app\":\"web\"}}", "app=web,tier=fe", "{\"app\":\"web\",\"tier\":\"fe\"}",
          "{\"app\":\"web\"}" },
        { "{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"In\",\"values\":[\"prod\",\"dev\"]}]}",
          "env in (dev,prod)", "{\"env\":\"dev\"}", "{\"env\":\"qa\"}" },
        { "{\"matchLabels\":{\"b\":\"1\"},\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\"},"
          "{\"key\":\"c\",\"operator\":\"DoesNotExist\"},{\"key\":\"b\",\"operator\":\"NotIn\",\"values\":[\"2\"]}]}",
          "a,b=1,b notin (2),!c", "{\"a\":\"\",\"b\":\"1\"}", "{\"a\":\"\",\"b\":\"1\",\"c\":\"x\"}" },
        { "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[\"x\",\"x\"]}]}", "a in (x,x)",
          "{\"a\":\"x\"}", "{}" },
        { "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\",\"values\":null}]}", "a", "{\"a\":\"1\"}",
          "{}" },
        { "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"NotIn\",\"values\":[\"\"]}]}", "a notin ()", "{}",
          "{\"a\":\"\"}" },
        { "{\"matchLabels\":{\"a\":\"\"}}", "a=", "{\"a\":\"\"}", "{}" },
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        json_t *j = parse(good[i].json);
        struct kc_label_selector *sel = NULL;
        char err[1024] = "";
        int rc = kc_label_selector_from_json(j, &sel, err, sizeof(err));
        if (rc != 0)
            fail_msg("%s: unexpected error %d: %s", good[i].json, rc, err);
        char *s = kc_label_selector_string(sel);
        if (strcmp(s, good[i].out) != 0)
            fail_msg("%s: String() = \"%s\", want \"%s\"", good[i].json, s, good[i].out);
        free(s);
        json_t *m = parse(good[i].match);
        assert_true(kc_label_selector_matches(sel, m));
        json_decref(m);
        if (good[i].nomatch) {
            m = parse(good[i].nomatch);
            assert_false(kc_label_selector_matches(sel, m));
            json_decref(m);
        }
        assert_false(kc_label_selector_is_nothing(sel));
        kc_label_selector_free(sel);
        json_decref(j);
    }

    /* a null selector selects nothing */
    struct kc_label_selector *sel;
    json_t *null = json_null(), *empty = json_object();
    assert_int_equal(kc_label_selector_from_json(NULL, &sel, NULL, 0), 0);
    assert_true(kc_label_selector_is_nothing(sel));
    assert_false(kc_label_selector_empty(sel));
    assert_false(kc_label_selector_matches(sel, empty));
    assert_false(kc_label_selector_matches(sel, NULL));
    assert_int_equal(kc_label_selector_count(sel), 0);
    assert_null(kc_label_selector_exact(sel, "a"));
    char *s = kc_label_selector_string(sel);
    assert_string_equal(s, "");
    free(s);
    kc_label_selector_free(sel);
    assert_int_equal(kc_label_selector_from_json(null, &sel, NULL, 0), 0);
    assert_true(kc_label_selector_is_nothing(sel));
    kc_label_selector_free(sel);
    json_decref(null);
    json_decref(empty);

    static const struct {
        const char *json, *msg;
    } bad[] = {
        { "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Gt\",\"values\":[\"1\"]}]}",
          "\"Gt\" is not a valid label selector operator" },
        { "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"in\",\"values\":[\"1\"]}]}",
          "\"in\" is not a valid label selector operator" },
        { "{\"matchExpressions\":[{\"key\":\"a\"}]}", "\"\" is not a valid label selector operator" },
        { "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\"}]}",
          "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty" },
        { "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"NotIn\",\"values\":[]}]}",
          "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty" },
        { "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\",\"values\":[\"b\",\"a\"]}]}",
          "values: Invalid value: []string{\"b\", \"a\"}: values set must be empty for exists and does not exist" },
        { "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"DoesNotExist\",\"values\":[\"\"]}]}",
          "values: Invalid value: []string{\"\"}: values set must be empty for exists and does not exist" },
        { "{\"matchExpressions\":[{\"key\":\"-a\",\"operator\":\"Exists\"}]}",
          "key: Invalid value: \"-a\": name part " QNAME_REGEX_ERR },
        { "{\"matchExpressions\":[{\"operator\":\"Exists\"}]}",
          "key: Invalid value: \"\": name part must be non-empty; name part " QNAME_REGEX_ERR },
        { "{\"matchExpressions\":[{\"key\":\"k\",\"operator\":\"NotIn\",\"values\":[\"ok\",\"-bad\"]}]}",
          "values[1][k]: Invalid value: \"-bad\": " LABEL_VALUE_ERR },
        { "{\"matchExpressions\":[{\"key\":\"-k\",\"operator\":\"In\",\"values\":[]}]}",
          "[key: Invalid value: \"-k\": name part " QNAME_REGEX_ERR
          ", values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty]" },
        { "{\"matchLabels\":{\"app\":\"-x\"}}", "values[0][app]: Invalid value: \"-x\": " LABEL_VALUE_ERR },
        { "{\"matchLabels\":{\"-k\":\"-v\"}}", "[key: Invalid value: \"-k\": name part " QNAME_REGEX_ERR
                                               ", values[0][-k]: Invalid value: \"-v\": " LABEL_VALUE_ERR "]" },
        /* matchLabels are checked (in key order) before the expressions */
        { "{\"matchLabels\":{\"z\":\"-z\",\"b\":\"-b\"},\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"X\"}]}",
          "values[0][b]: Invalid value: \"-b\": " LABEL_VALUE_ERR },
        /* shapes upstream rejects while decoding */
        { "\"app=web\"", "label selector must be an object" },
        { "{\"matchLabels\":[]}", "matchLabels must be an object of strings" },
        { "{\"matchLabels\":{\"a\":1}}", "matchLabels must be an object of strings" },
        { "{\"matchExpressions\":{}}", "matchExpressions must be an array of objects" },
        { "{\"matchExpressions\":[1]}", "matchExpressions must be an array of objects" },
        { "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[\"x\"]},{\"key\":1}]}",
          "matchExpressions[1].key must be a string" },
        { "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":5}]}", "matchExpressions[0].operator must be a string" },
        { "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":\"x\"}]}",
          "matchExpressions[0].values must be an array of strings" },
        { "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[\"x\",2]}]}",
          "matchExpressions[0].values must be an array of strings" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *j = parse(bad[i].json);
        char err[2048] = "";
        sel = NULL;
        int rc = kc_label_selector_from_json(j, &sel, err, sizeof(err));
        if (rc != KC_EINVALID)
            fail_msg("%s: expected KC_EINVALID, got %d", bad[i].json, rc);
        if (strcmp(err, bad[i].msg) != 0)
            fail_msg("%s:\n got: %s\nwant: %s", bad[i].json, err, bad[i].msg);
        assert_null(sel);
        json_decref(j);
    }
    /* embedded NUL in a value */
    json_t *j = parse("{\"matchLabels\":{}}");
    json_object_set_new(json_object_get(j, "matchLabels"), "a", json_stringn("x\0y", 3));
    assert_int_equal(kc_label_selector_from_json(j, &sel, NULL, 0), KC_EINVALID);
    json_decref(j);
}

static void
test_label_from_set_and_accessors(void **state)
{
    (void)state;
    struct kc_label_selector *sel;
    json_t *set = parse("{\"app\":\"web\",\"a\":\"b\"}");
    assert_int_equal(kc_label_selector_from_set(set, &sel), 0);
    char *s = kc_label_selector_string(sel);
    assert_string_equal(s, "a=b,app=web");
    free(s);
    assert_true(kc_label_selector_matches(sel, set));
    json_t *other = parse("{\"app\":\"web\"}");
    assert_false(kc_label_selector_matches(sel, other));
    json_decref(other);
    kc_label_selector_free(sel);
    json_decref(set);

    assert_int_equal(kc_label_selector_from_set(NULL, &sel), 0);
    assert_true(kc_label_selector_empty(sel));
    kc_label_selector_free(sel);
    set = parse("{\"-x\":\"a b\"}"); /* not validated, like upstream */
    assert_int_equal(kc_label_selector_from_set(set, &sel), 0);
    s = kc_label_selector_string(sel);
    assert_string_equal(s, "-x=a b");
    free(s);
    kc_label_selector_free(sel);
    json_decref(set);
    set = parse("{\"a\":1}");
    assert_int_equal(kc_label_selector_from_set(set, &sel), KC_EINVALID);
    json_decref(set);
    set = parse("[\"a\"]");
    assert_int_equal(kc_label_selector_from_set(set, &sel), KC_EINVALID);
    json_decref(set);

    /* requirements, exact values, operator names */
    assert_int_equal(kc_label_selector_parse("j!=k,e in (g,f),c in (d),a=b,h==i,!z,y>3", &sel, NULL, 0), 0);
    assert_int_equal(kc_label_selector_count(sel), 7);
    static const struct {
        const char *key;
        enum kc_label_op op;
        size_t nvalues;
        const char *v0, *v1;
    } want[] = {
        { "a", KC_LABEL_OP_EQUALS, 1, "b", NULL },
        { "c", KC_LABEL_OP_IN, 1, "d", NULL },
        { "e", KC_LABEL_OP_IN, 2, "f", "g" },
        { "h", KC_LABEL_OP_DOUBLE_EQUALS, 1, "i", NULL },
        { "j", KC_LABEL_OP_NOT_EQUALS, 1, "k", NULL },
        { "y", KC_LABEL_OP_GT, 1, "3", NULL },
        { "z", KC_LABEL_OP_DOES_NOT_EXIST, 0, NULL, NULL },
    };
    for (size_t i = 0; i < 7; i++) {
        const char *key;
        enum kc_label_op op;
        const char *const *values;
        size_t n;
        assert_int_equal(kc_label_selector_requirement(sel, i, &key, &op, &values, &n), 0);
        assert_string_equal(key, want[i].key);
        assert_int_equal(op, want[i].op);
        assert_int_equal(n, want[i].nvalues);
        if (n > 0)
            assert_string_equal(values[0], want[i].v0);
        if (n > 1)
            assert_string_equal(values[1], want[i].v1);
    }
    assert_int_equal(kc_label_selector_requirement(sel, 7, NULL, NULL, NULL, NULL), KC_ENOTFOUND);
    assert_int_equal(kc_label_selector_requirement(sel, 0, NULL, NULL, NULL, NULL), 0);
    assert_string_equal(kc_label_selector_exact(sel, "a"), "b");
    assert_string_equal(kc_label_selector_exact(sel, "c"), "d");
    assert_null(kc_label_selector_exact(sel, "e"));
    assert_string_equal(kc_label_selector_exact(sel, "h"), "i");
    assert_null(kc_label_selector_exact(sel, "j"));
    assert_null(kc_label_selector_exact(sel, "q"));
    kc_label_selector_free(sel);
    assert_int_equal(kc_label_selector_parse("a!=x,a=b", &sel, NULL, 0), 0);
    assert_null(kc_label_selector_exact(sel, "a")); /* the first requirement on the key decides */
    kc_label_selector_free(sel);
    assert_null(kc_label_selector_exact(NULL, "a"));
    assert_int_equal(kc_label_selector_count(NULL), 0);

    static const char *const names[] = { "in", "notin", "=", "==", "!=", "exists", "!", "gt", "lt" };
    for (int op = KC_LABEL_OP_IN; op <= KC_LABEL_OP_LT; op++)
        assert_string_equal(kc_label_op_name((enum kc_label_op)op), names[op]);
    assert_string_equal(kc_label_op_name((enum kc_label_op)42), "");

    /* the validators on their own */
    char msg[1024];
    assert_int_equal(kc_label_key_check("example.com/My_Name-1.x", msg, sizeof(msg)), 0);
    assert_int_equal(kc_label_key_check("A/b", msg, sizeof(msg)), KC_EINVALID);
    assert_string_equal(msg, "prefix part " DNS_ERR);
    assert_int_equal(kc_label_key_check("", msg, sizeof(msg)), KC_EINVALID);
    assert_string_equal(msg, "name part must be non-empty; name part " QNAME_REGEX_ERR);
    assert_int_equal(kc_label_key_check("a/b/c", NULL, 0), KC_EINVALID);
    assert_int_equal(kc_label_value_check("", msg, sizeof(msg)), 0);
    assert_int_equal(kc_label_value_check("a.b_c-D9", msg, sizeof(msg)), 0);
    char *v64 = repeat('v', 64, "");
    assert_int_equal(kc_label_value_check(v64, msg, sizeof(msg)), KC_EINVALID);
    assert_string_equal(msg, "must be no more than 63 characters");
    v64[63] = '\0';
    assert_int_equal(kc_label_value_check(v64, msg, sizeof(msg)), 0);
    free(v64);
    char *k253 = repeat('a', 253, "/n");
    assert_int_equal(kc_label_key_check(k253, msg, sizeof(msg)), 0);
    free(k253);
    assert_int_equal(kc_label_value_check("a b", msg, sizeof(msg)), KC_EINVALID);
    assert_string_equal(msg, LABEL_VALUE_ERR);
}

/* ---- field selectors ---- */

static void
test_field_parse(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
        size_t count;
    } good[] = {
        { "", "", 0 },
        { "a=b", "a=b", 1 },
        { "a==b", "a=b", 1 },
        { "a!=b", "a!=b", 1 },
        { "b=1,a=2", "a=2,b=1", 2 },
        { "metadata.name=foo,status.phase!=Running", "metadata.name=foo,status.phase!=Running", 2 },
        { "status.phase!=Running,metadata.name=foo", "metadata.name=foo,status.phase!=Running", 2 },
        { "a=b\\,c", "a=b\\,c", 1 },
        { "a=\\=", "a=\\=", 1 },
        { "a=\\\\", "a=\\\\", 1 },
        { "a=", "a=", 1 },
        { "=b", "=b", 1 },
        { "=", "", 0 },
        { "!=", "", 0 },
        { ",,a=b,", "a=b", 1 },
        { "a = b", "a = b", 1 },
        { "x=a\\,b,y=c", "x=a\\,b,y=c", 2 },
        { "a=\xc3\xa9", "a=\xc3\xa9", 1 },
        { "a=b\\,\xff", "a=b\\,\xef\xbf\xbd", 1 }, /* Go's rune loop writes U+FFFD for the invalid byte */
        { "a=\xff", "a=\xff", 1 },                 /* ...but only when the value needs unescaping */
        { "a=b,a=c", "a=b,a=c", 2 },
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct kc_field_selector *sel = NULL;
        char err[512] = "";
        int rc = kc_field_selector_parse(good[i].in, &sel, err, sizeof(err));
        if (rc != 0)
            fail_msg("\"%s\": unexpected error %d: %s", good[i].in, rc, err);
        char *s = kc_field_selector_string(sel);
        if (strcmp(s, good[i].out) != 0)
            fail_msg("\"%s\": String() = \"%s\", want \"%s\"", good[i].in, s, good[i].out);
        free(s);
        assert_int_equal(kc_field_selector_count(sel), good[i].count);
        assert_int_equal(kc_field_selector_empty(sel), good[i].count == 0);
        kc_field_selector_free(sel);
    }

    static const struct {
        const char *in, *msg;
    } bad[] = {
        { "a", "invalid selector: 'a'; can't understand 'a'" },
        { "b=c,a", "invalid selector: 'b=c,a'; can't understand 'a'" },
        { "a=b,c", "invalid selector: 'a=b,c'; can't understand 'c'" },
        { "a=b\\x", "invalid field selector: invalid escape sequence: \\x" },
        { "a=b\\", "invalid field selector: invalid escape sequence: \\" },
        { "a=b\\\xc3\xa9", "invalid field selector: invalid escape sequence: \\\xc3\xa9" },
        { "a=b\\\xff", "invalid field selector: invalid escape sequence: \\\xef\xbf\xbd" },
        { "a=b=c", "invalid field selector: unescaped character in value: 61" },
        { "a!==b", "invalid field selector: unescaped character in value: 61" },
        { "a==b=c", "invalid field selector: unescaped character in value: 61" },
        { "a=b==c", "invalid field selector: unescaped character in value: 61" },
        { "a=b\\,c=d", "invalid field selector: unescaped character in value: 61" },
        /* terms are looked at in sorted order */
        { "z=1=2,a", "invalid selector: 'z=1=2,a'; can't understand 'a'" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct kc_field_selector *sel = (struct kc_field_selector *)&sel;
        char err[512] = "";
        int rc = kc_field_selector_parse(bad[i].in, &sel, err, sizeof(err));
        if (rc != KC_EPARSE)
            fail_msg("\"%s\": expected KC_EPARSE, got %d", bad[i].in, rc);
        if (strcmp(err, bad[i].msg) != 0)
            fail_msg("\"%s\":\n got: %s\nwant: %s", bad[i].in, err, bad[i].msg);
        assert_ptr_equal(sel, (struct kc_field_selector *)&sel);
    }
    struct kc_field_selector *sel;
    assert_int_equal(kc_field_selector_parse("x", &sel, NULL, 0), KC_EPARSE);
}

static void
test_field_matches(void **state)
{
    (void)state;
    json_t *obj = parse("{\"metadata\":{\"name\":\"foo\",\"namespace\":\"default\",\"labels\":{\"app\":\"web\"}},"
                        "\"spec\":{\"nodeName\":\"n1\",\"replicas\":3,\"paused\":false,\"ready\":true,\"ratio\":0.5,"
                        "\"big\":-12345678901,\"obj\":{},\"list\":[],\"none\":null,\"odd\":\"a,b=c\\\\d\"},"
                        "\"status\":{\"phase\":\"Running\"},\"involvedObject\":{\"kind\":\"Pod\"}}");
    static const struct {
        const char *sel;
        bool match;
    } cases[] = {
        { "", true },
        { "metadata.name=foo", true },
        { "metadata.name==foo", true },
        { "metadata.name!=foo", false },
        { "metadata.name=bar", false },
        { "metadata.name!=bar", true },
        { "metadata.namespace=default,metadata.name=foo", true },
        { "metadata.namespace=default,metadata.name=bar", false },
        { "spec.nodeName=n1,status.phase=Running", true },
        { "spec.nodeName=", false },
        { "spec.nodeName!=", true },
        { "spec.missing=", true },
        { "spec.missing!=", false },
        { "spec.missing!=x", true },
        { "nothing.at.all=", true },
        { "spec.none=", true },
        { "spec.replicas=3", true },
        { "spec.replicas!=3", false },
        { "spec.paused=false", true },
        { "spec.ready=true", true },
        { "spec.ratio=0.5", true },
        { "spec.big=-12345678901", true },
        { "spec.obj=", false },
        { "spec.obj!=", true },
        { "spec.list=", false },
        { "involvedObject.kind=Pod", true },
        { "metadata.labels.app=web", true },
        { "spec.odd=a\\,b\\=c\\\\d", true },
        { "=x", false },
        { "!=x", true },
        { "metadata.name=foo,metadata.name!=foo", false },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kc_field_selector *sel;
        char err[256];
        if (kc_field_selector_parse(cases[i].sel, &sel, err, sizeof(err)) != 0)
            fail_msg("\"%s\": %s", cases[i].sel, err);
        if (kc_field_selector_matches(sel, obj) != cases[i].match)
            fail_msg("\"%s\": want %d", cases[i].sel, cases[i].match);
        kc_field_selector_free(sel);
    }
    json_decref(obj);

    /* no object: every field is "" */
    struct kc_field_selector *sel;
    assert_int_equal(kc_field_selector_parse("metadata.name=", &sel, NULL, 0), 0);
    assert_true(kc_field_selector_matches(sel, NULL));
    kc_field_selector_free(sel);
    assert_int_equal(kc_field_selector_parse("metadata.name=foo", &sel, NULL, 0), 0);
    assert_false(kc_field_selector_matches(sel, NULL));
    kc_field_selector_free(sel);
    assert_true(kc_field_selector_matches(NULL, NULL));
    assert_true(kc_field_selector_empty(NULL));
}

static void
test_field_accessors(void **state)
{
    (void)state;
    struct kc_field_selector *sel;
    const char *field, *value;
    enum kc_field_op op;

    assert_int_equal(kc_field_selector_parse("spec.nodeName==n1,metadata.name!=x,b=1\\,2", &sel, NULL, 0), 0);
    assert_int_equal(kc_field_selector_count(sel), 3);
    assert_int_equal(kc_field_selector_term(sel, 0, &field, &op, &value), 0);
    assert_string_equal(field, "b");
    assert_int_equal(op, KC_FIELD_OP_EQUALS);
    assert_string_equal(value, "1,2");
    assert_int_equal(kc_field_selector_term(sel, 1, &field, &op, &value), 0);
    assert_string_equal(field, "metadata.name");
    assert_int_equal(op, KC_FIELD_OP_NOT_EQUALS);
    assert_string_equal(value, "x");
    assert_int_equal(kc_field_selector_term(sel, 2, &field, &op, NULL), 0);
    assert_string_equal(field, "spec.nodeName");
    assert_int_equal(op, KC_FIELD_OP_DOUBLE_EQUALS);
    assert_int_equal(kc_field_selector_term(sel, 3, &field, &op, &value), KC_ENOTFOUND);
    assert_int_equal(kc_field_selector_term(sel, 0, NULL, NULL, NULL), 0);

    static const char *const pod_fields[] = { "metadata.name", "metadata.namespace", "spec.nodeName", NULL };
    static const char *const all[] = { "b", "metadata.name", "spec.nodeName", NULL };
    static const char *const none[] = { NULL };
    assert_string_equal(kc_field_selector_unsupported(sel, pod_fields), "b");
    assert_null(kc_field_selector_unsupported(sel, all));
    assert_string_equal(kc_field_selector_unsupported(sel, none), "b");
    assert_string_equal(kc_field_selector_unsupported(sel, NULL), "b");
    assert_null(kc_field_selector_unsupported(NULL, none));

    assert_string_equal(kc_field_selector_exact(sel, "spec.nodeName"), "n1");
    assert_string_equal(kc_field_selector_exact(sel, "b"), "1,2");
    assert_null(kc_field_selector_exact(sel, "metadata.name")); /* != is not an exact match */
    assert_null(kc_field_selector_exact(sel, "x"));
    assert_null(kc_field_selector_exact(NULL, "x"));
    kc_field_selector_free(sel);
    assert_int_equal(kc_field_selector_count(NULL), 0);
    char *s = kc_field_selector_string(NULL);
    assert_string_equal(s, "");
    free(s);

    char *e = kc_field_escape_value("a,b=c\\d");
    assert_string_equal(e, "a\\,b\\=c\\\\d");
    free(e);
    e = kc_field_escape_value("");
    assert_string_equal(e, "");
    free(e);
}

/* Every allocation of every entry point fails once in turn: each must report -ENOMEM (or succeed when the
 * failed allocation was not needed) and leak nothing (LeakSanitizer checks at exit). */
static void
test_allocation_failures(void **state)
{
    (void)state;
    json_t *j =
        parse("{\"matchLabels\":{\"b\":\"1\",\"a\":\"2\"},\"matchExpressions\":[{\"key\":\"c\",\"operator\":\"In\","
              "\"values\":[\"y\",\"x\",\"z\"]},{\"key\":\"d\",\"operator\":\"Exists\"},{\"key\":\"e\",\"operator\":"
              "\"NotIn\",\"values\":[\"q\"]},{\"key\":\"f\",\"operator\":\"In\",\"values\":[\"1\",\"2\",\"3\",\"4\","
              "\"5\"]}]}");
    json_t *set = parse("{\"x\":\"1\",\"y\":\"2\",\"z\":\"3\",\"w\":\"4\",\"v\":\"5\"}");
    int done = 0;
    for (long nth = 1; done != 0x3f && nth < 1000; nth++) {
        struct kc_label_selector *ls = NULL;
        struct kc_field_selector *fs = NULL;
        char err[1024];
        int rc;

        kc_fault_arm(KC_FAULT_ALLOC, nth, ENOMEM, false);
        rc = kc_label_selector_parse("a in (x,y,z,w,v),b notin (c),!d,e=f,g,h>1,i==j,k!=l", &ls, err, sizeof(err));
        kc_fault_disarm(KC_FAULT_ALLOC);
        assert_true(rc == 0 || rc == -ENOMEM);
        if (rc == 0) {
            kc_fault_arm(KC_FAULT_ALLOC, 1, ENOMEM, false);
            assert_null(kc_label_selector_string(ls));
            kc_fault_disarm(KC_FAULT_ALLOC);
            kc_label_selector_free(ls);
            done |= 1;
        }

        kc_fault_arm(KC_FAULT_ALLOC, nth, ENOMEM, false);
        rc = kc_label_selector_from_json(j, &ls, err, sizeof(err));
        kc_fault_disarm(KC_FAULT_ALLOC);
        assert_true(rc == 0 || rc == -ENOMEM);
        if (rc == 0) {
            char *s = kc_label_selector_string(ls);
            assert_string_equal(s, "a=2,b=1,c in (x,y,z),d,e notin (q),f in (1,2,3,4,5)");
            free(s);
            kc_label_selector_free(ls);
            done |= 2;
        }

        kc_fault_arm(KC_FAULT_ALLOC, nth, ENOMEM, false);
        rc = kc_label_selector_from_set(set, &ls);
        kc_fault_disarm(KC_FAULT_ALLOC);
        assert_true(rc == 0 || rc == -ENOMEM);
        if (rc == 0) {
            kc_label_selector_free(ls);
            done |= 4;
        }

        kc_fault_arm(KC_FAULT_ALLOC, nth, ENOMEM, false);
        rc = kc_field_selector_parse("a=1,b!=2,c==3\\,4,d=5", &fs, err, sizeof(err));
        kc_fault_disarm(KC_FAULT_ALLOC);
        assert_true(rc == 0 || rc == -ENOMEM);
        if (rc == 0) {
            kc_fault_arm(KC_FAULT_ALLOC, 1, ENOMEM, false);
            assert_null(kc_field_selector_string(fs));
            kc_fault_disarm(KC_FAULT_ALLOC);
            kc_field_selector_free(fs);
            done |= 8;
        }

        /* error paths allocate too: the parse must fail cleanly either way */
        kc_fault_arm(KC_FAULT_ALLOC, nth, ENOMEM, false);
        rc = kc_label_selector_parse("a=b,c in (d,e),f=-x", &ls, err, sizeof(err));
        kc_fault_disarm(KC_FAULT_ALLOC);
        assert_true(rc == KC_EPARSE || rc == -ENOMEM);
        if (rc == KC_EPARSE) {
            assert_string_equal(err, REQ "values[0][f]: Invalid value: \"-x\": " LABEL_VALUE_ERR);
            done |= 16;
        }

        kc_fault_arm(KC_FAULT_ALLOC, nth, ENOMEM, false);
        char *e = kc_field_escape_value("a,b");
        kc_fault_disarm(KC_FAULT_ALLOC);
        if (e) {
            assert_string_equal(e, "a\\,b");
            free(e);
            done |= 32;
        }
    }
    assert_int_equal(done, 0x3f);
    json_decref(j);
    json_decref(set);
}

/* Big inputs stay linear and exact: many requirements, long value lists. */
static void
test_large_selectors(void **state)
{
    (void)state;
    size_t n = 5000;
    char *s = malloc(n * 16 + 16);
    size_t len = 0;
    assert_non_null(s);
    for (size_t i = n; i-- > 0;)
        len += (size_t)sprintf(s + len, "%sk%05zu=v", len ? "," : "", i);
    struct kc_label_selector *sel;
    assert_int_equal(kc_label_selector_parse(s, &sel, NULL, 0), 0);
    assert_int_equal(kc_label_selector_count(sel), n);
    const char *key;
    assert_int_equal(kc_label_selector_requirement(sel, 0, &key, NULL, NULL, NULL), 0);
    assert_string_equal(key, "k00000");
    assert_int_equal(kc_label_selector_requirement(sel, n - 1, &key, NULL, NULL, NULL), 0);
    assert_string_equal(key, "k04999");
    json_t *labels = json_object();
    for (size_t i = 0; i < n; i++) {
        char k[16];
        snprintf(k, sizeof(k), "k%05zu", i);
        json_object_set_new(labels, k, json_string("v"));
    }
    assert_true(kc_label_selector_matches(sel, labels));
    json_object_set_new(labels, "k02500", json_string("w"));
    assert_false(kc_label_selector_matches(sel, labels));
    json_decref(labels);
    kc_label_selector_free(sel);

    len = (size_t)sprintf(s, "a in (");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(s + len, "%sv%zu", i ? "," : "", i % 100);
    strcpy(s + len, ")");
    assert_int_equal(kc_label_selector_parse(s, &sel, NULL, 0), 0);
    const char *const *values;
    size_t nvalues;
    assert_int_equal(kc_label_selector_requirement(sel, 0, NULL, NULL, &values, &nvalues), 0);
    assert_int_equal(nvalues, 100); /* de-duplicated */
    assert_string_equal(values[0], "v0");
    assert_string_equal(values[1], "v1");
    assert_string_equal(values[2], "v10");
    kc_label_selector_free(sel);
    free(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_parse_valid),
        cmocka_unit_test(test_label_parse_invalid),
        cmocka_unit_test(test_label_matches),
        cmocka_unit_test(test_label_from_json),
        cmocka_unit_test(test_label_from_set_and_accessors),
        cmocka_unit_test(test_field_parse),
        cmocka_unit_test(test_field_matches),
        cmocka_unit_test(test_field_accessors),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_large_selectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
