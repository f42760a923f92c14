/* test_yaml.c - kc_yaml: go-yaml v2 scalar resolution, anchors and merges, errors with positions, kubectl-style
 * dumping, and round trips over Kubernetes manifests. Expected values were taken from kubectl 1.33.
 */
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
#include "kc_yaml.h"

/* Reads tests/unit/data/<rel> (K8C_TEST_DATA) into a malloc'ed, NUL-terminated buffer. */
static char *
read_data(const char *rel, size_t *len)
{
    const char *dir = getenv("K8C_TEST_DATA");
    char path[1024];
    assert_non_null(dir);
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

/* Loads text that must succeed; fails the test with the parser's message otherwise. */
static json_t *
load_ok(const char *text)
{
    json_t *docs = NULL;
    struct kc_yaml_error err;
    int rc = kc_yaml_load(text, strlen(text), &docs, &err);
    if (rc != 0)
        fail_msg("load failed (%d): %s\ninput:\n%s", rc, err.message, text);
    return docs;
}

static void
assert_json_eq(const json_t *got, const char *want_text)
{
    json_error_t je;
    json_t *want = json_loads(want_text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!want)
        fail_msg("bad expected JSON %s: %s", want_text, je.text);
    if (!kc_json_equal(got, want)) {
        char *g = kc_json_canonical(got);
        fail_msg("got %s, want %s", g ? g : "(null)", want_text);
    }
    json_decref(want);
}

/* ---------------------------------------------------------------------------------------------------------
 * Scalar resolution: every case here was checked against kubectl (go-yaml v2 via sigs.k8s.io/yaml). */

struct scalar_case {
    const char *yaml;  /* the value after "k: " */
    const char *json;  /* expected JSON, or NULL when loading must fail */
    const char *error; /* expected message after the position, when json is NULL */
};

static void
test_scalars(void **state)
{
    (void)state;
    static const struct scalar_case cases[] = {
        /* booleans: YAML 1.1's table as go-yaml v2 has it, y/n included, only these case variants */
        { "y", "true", NULL },
        { "Y", "true", NULL },
        { "yes", "true", NULL },
        { "Yes", "true", NULL },
        { "YES", "true", NULL },
        { "yEs", "\"yEs\"", NULL },
        { "on", "true", NULL },
        { "On", "true", NULL },
        { "ON", "true", NULL },
        { "true", "true", NULL },
        { "True", "true", NULL },
        { "TRUE", "true", NULL },
        { "tRUE", "\"tRUE\"", NULL },
        { "n", "false", NULL },
        { "N", "false", NULL },
        { "no", "false", NULL },
        { "NO", "false", NULL },
        { "off", "false", NULL },
        { "OFF", "false", NULL },
        { "oFF", "\"oFF\"", NULL },
        { "False", "false", NULL },
        /* null */
        { "~", "null", NULL },
        { "null", "null", NULL },
        { "Null", "null", NULL },
        { "NULL", "null", NULL },
        { "nUll", "\"nUll\"", NULL },
        { "", "null", NULL },
        /* integers: Go's ParseInt with base 0 after dropping every '_' */
        { "0x1F", "31", NULL },
        { "0X1F", "31", NULL },
        { "0o17", "15", NULL },
        { "017", "15", NULL },
        { "0b101", "5", NULL },
        { "0B101", "5", NULL },
        { "1_000", "1000", NULL },
        { "0x_1F", "31", NULL },
        { "1__2", "12", NULL },
        { "1_", "1", NULL },
        { "_1", "\"_1\"", NULL },
        { "+12", "12", NULL },
        { "-12", "-12", NULL },
        { "-0x1F", "-31", NULL },
        { "+0b11", "3", NULL },
        { "0b1_0", "2", NULL },
        { "0", "0", NULL },
        { "-0", "0", NULL },
        { "+0", "0", NULL },
        { "00", "0", NULL },
        { "0_0", "0", NULL },
        { "08", "8", NULL }, /* not octal: falls through to the float rule */
        { "9223372036854775807", "9223372036854775807", NULL },
        { "-9223372036854775808", "-9223372036854775808", NULL },
        /* beyond int64: uint64 or float, which JSON numbers (here: reals) hold approximately */
        { "9223372036854775808", "9223372036854775808.0", NULL },
        { "18446744073709551615", "18446744073709551615.0", NULL },
        { "-9223372036854775809", "-9223372036854775809.0", NULL },
        { "99999999999999999999999", "1e23", NULL },
        { "0x1FFFFFFFFFFFFFFFFF", "\"0x1FFFFFFFFFFFFFFFFF\"", NULL },
        /* floats */
        { "1.5", "1.5", NULL },
        { "1_0.5", "10.5", NULL },
        { ".5", "0.5", NULL },
        { "5.", "5", NULL },
        { "0.", "0", NULL },
        { "1e3", "1000", NULL },
        { "1E3", "1000", NULL },
        { "1.0e+3", "1000", NULL },
        { ".5e3", "500", NULL },
        { "-0.0", "0", NULL },
        { "0.1", "0.1", NULL },
        { "1.5e300", "1.5e300", NULL },
        { "1e21", "1e21", NULL },
        { "1e-400", "0", NULL },
        { "1e400", "\"1e400\"", NULL },
        { ".5e400", "\".5e400\"", NULL },
        { ".e5", "\".e5\"", NULL },
        { "._5", "\"._5\"", NULL },
        { "1e", "\"1e\"", NULL },
        { ".5_0", "0.5", NULL },
        { ".5e1_0", "5000000000", NULL },
        { ".1__2", "\".1__2\"", NULL },
        { "1e1_0", "10000000000", NULL },
        { ".", "\".\"", NULL },
        /* JSON cannot hold these: sigs.k8s.io/yaml fails the same way */
        { ".inf", NULL, "json: unsupported value: +Inf" },
        { "-.Inf", NULL, "json: unsupported value: -Inf" },
        { "+.INF", NULL, "json: unsupported value: +Inf" },
        { ".nan", NULL, "json: unsupported value: NaN" },
        { ".NaN", NULL, "json: unsupported value: NaN" },
        /* strings that look like something */
        { "0x", "\"0x\"", NULL },
        { "0b", "\"0b\"", NULL },
        { "0o", "\"0o\"", NULL },
        { "+", "\"+\"", NULL },
        { "-+1", "\"-+1\"", NULL },
        { "=", "\"=\"", NULL },
        { "<<", "\"<<\"", NULL },
        { "1:20", "\"1:20\"", NULL },
        { "190:20:30", "\"190:20:30\"", NULL },
        { "2001-12-14", "\"2001-12-14\"", NULL },
        { "2001-12-14t21:59:43.10-05:00", "\"2001-12-14t21:59:43.10-05:00\"", NULL },
        { "2001-02-29", "\"2001-02-29\"", NULL },
        /* quoting and explicit tags */
        { "\"123\"", "\"123\"", NULL },
        { "'true'", "\"true\"", NULL },
        { "\"\"", "\"\"", NULL },
        { "!!str 123", "\"123\"", NULL },
        { "!!str ~", "\"~\"", NULL },
        { "!!int \"12\"", "12", NULL },
        { "!!float 1", "1", NULL },
        { "!!bool yes", "true", NULL },
        { "!!null \"\"", "null", NULL },
        { "!!timestamp 2001-12-14", "\"2001-12-14\"", NULL },
        { "!!binary aGVsbG8=", "\"hello\"", NULL },
        { "!foo bar", "\"bar\"", NULL },
        { "! 12", "\"12\"", NULL },
        { "!!int abc", NULL, "cannot decode !!str `abc` as a !!int" },
        { "!!bool 1", NULL, "cannot decode !!int `1` as a !!bool" },
        { "!!null x", NULL, "cannot decode !!str `x` as a !!null" },
        { "!!timestamp foo", NULL, "cannot decode !!str `foo` as a !!timestamp" },
        { "!!float 9223372036854775808", NULL, "cannot decode !!int `9223372036854775808` as a !!float" },
        { "!!binary \"!!!\"", NULL, "!!binary value contains invalid base64 data" },
        /* escapes */
        { "\"a\\tb\\u00e9\\x41\\n\"", "\"a\\tb\\u00e9A\\n\"", NULL },
        { "'it''s'", "\"it's\"", NULL },
        { "\"\\0\\x01\\e\"", "\"\\u0000\\u0001\\u001b\"", NULL },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), "k: %s\n", cases[i].yaml);
        json_t *docs = NULL;
        struct kc_yaml_error err;
        int rc = kc_yaml_load(text, strlen(text), &docs, &err);
        if (!cases[i].json) {
            if (rc != KC_EPARSE)
                fail_msg("%s: want an error, got rc %d", cases[i].yaml, rc);
            char want[256];
            snprintf(want, sizeof(want), "yaml: line 1, column 4: %s", cases[i].error);
            if (strcmp(err.message, want) != 0)
                fail_msg("%s: got \"%s\", want \"%s\"", cases[i].yaml, err.message, want);
            assert_int_equal(err.line, 1);
            assert_int_equal(err.column, 4);
            continue;
        }
        if (rc != 0)
            fail_msg("%s: load failed: %s", cases[i].yaml, err.message);
        json_t *v = json_object_get(json_array_get(docs, 0), "k");
        if (!v)
            fail_msg("%s: no value", cases[i].yaml);
        json_error_t je;
        json_t *want = json_loads(cases[i].json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
        assert_non_null(want);
        if (!kc_json_equal(v, want) || json_typeof(v) != json_typeof(want)) {
            char *g = kc_json_canonical(v);
            fail_msg("%s: got %s (type %d), want %s", cases[i].yaml, g, json_typeof(v), cases[i].json);
        }
        json_decref(want);
        json_decref(docs);
    }
}

/* Non-string keys become strings as sigs.k8s.io/yaml converts them (floats through float32 'g'). */
static void
test_keys(void **state)
{
    (void)state;
    json_t *docs = load_ok("1: a\ntrue: b\n1.5: c\n0.1: d\n3.14159265: e\n1e3: f\n1e10: g\n.inf: h\n-.inf: i\n"
                           ".nan: j\n0x10: k\nno: l\n~x: m\n\"q\": o\n-0.0: p\n1e-7: q\n18446744073709551616: r\n");
    assert_json_eq(json_array_get(docs, 0),
                   "{\"1\":\"a\",\"true\":\"b\",\"1.5\":\"c\",\"0.1\":\"d\",\"3.1415927\":\"e\",\"1000\":\"f\","
                   "\"1e+10\":\"g\",\".inf\":\"h\",\"-.inf\":\"i\",\".nan\":\"j\",\"16\":\"k\",\"false\":\"l\","
                   "\"~x\":\"m\",\"q\":\"o\",\"-0\":\"p\",\"1e-07\":\"q\",\"1.8446744e+19\":\"r\"}");
    /* Key order is the document's. */
    const char *first = json_object_iter_key(json_object_iter(json_array_get(docs, 0)));
    assert_string_equal(first, "1");
    json_decref(docs);

    static const struct {
        const char *yaml;
        const char *error;
    } bad[] = {
        { "~: a\n", "yaml: line 1, column 1: unsupported map key of type: <nil>, key: null" },
        { "9223372036854775808: a\n",
          "yaml: line 1, column 1: unsupported map key of type: uint64, key: 9223372036854775808" },
        { "? [a, b]\n: c\n", "yaml: line 1, column 3: invalid map key: a sequence cannot be a key" },
        { "? {a: b}\n: c\n", "yaml: line 1, column 3: invalid map key: a mapping cannot be a key" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *out = NULL;
        struct kc_yaml_error err;
        assert_int_equal(kc_yaml_load(bad[i].yaml, strlen(bad[i].yaml), &out, &err), KC_EPARSE);
        assert_string_equal(err.message, bad[i].error);
        assert_null(out);
    }
}

static void
test_anchors_and_merge(void **state)
{
    (void)state;
    json_t *docs = load_ok("base: &b {a: 1, b: 2, c: 3}\n"
                           "other: &o {c: 30, d: 40}\n"
                           "m1:\n  <<: *b\n  b: 20\n"  /* keys after the merge win */
                           "m2:\n  a: 100\n  <<: *b\n" /* go-yaml v2: the merge overwrites keys before it */
                           "m3:\n  <<: [*o, *b]\n"     /* earlier maps in the list take precedence */
                           "m4:\n  <<: {x: 1}\n  y: 2\n"
                           "m5:\n  '<<': 1\n" /* a quoted << is an ordinary key */
                           "m6:\n  !!merge <<: *b\n"
                           "s: &x hello\nt: *x\nu: &y [1, {z: *x}]\nv: *y\nw: &x other\nx: *x\n"
                           "ak: &k 12\n*k : aliased key\n");
    assert_json_eq(json_array_get(docs, 0),
                   "{\"base\":{\"a\":1,\"b\":2,\"c\":3},\"other\":{\"c\":30,\"d\":40},"
                   "\"m1\":{\"a\":1,\"b\":20,\"c\":3},\"m2\":{\"a\":1,\"b\":2,\"c\":3},"
                   "\"m3\":{\"a\":1,\"b\":2,\"c\":30,\"d\":40},\"m4\":{\"x\":1,\"true\":2},\"m5\":{\"<<\":1},"
                   "\"m6\":{\"a\":1,\"b\":2,\"c\":3},\"s\":\"hello\",\"t\":\"hello\",\"u\":[1,{\"z\":\"hello\"}],"
                   "\"v\":[1,{\"z\":\"hello\"}],\"w\":\"other\",\"x\":\"other\",\"ak\":12,\"12\":\"aliased key\"}");
    /* An alias is a copy: changing one does not change the other. */
    json_t *u = kc_json_get(json_array_get(docs, 0), "u");
    json_t *v = kc_json_get(json_array_get(docs, 0), "v");
    assert_ptr_not_equal(u, v);
    json_array_append_new(u, json_integer(3));
    assert_int_equal(json_array_size(v), 2);
    json_decref(docs);

    static const struct {
        const char *yaml;
        const char *error;
    } bad[] = {
        { "m:\n  <<: 1\n", "yaml: line 2, column 7: map merge requires map or sequence of maps as the value" },
        { "s: &s [1]\nm:\n  <<: *s\n",
          "yaml: line 3, column 7: map merge requires map or sequence of maps as the value" },
        { "m:\n  <<: [1]\n", "yaml: line 2, column 8: map merge requires map or sequence of maps as the value" },
        { "a: *nope\n", "yaml: line 1, column 4: unknown anchor 'nope' referenced" },
        { "a: &a\n  k: *a\n", "yaml: line 2, column 6: anchor 'a' value contains itself" },
        { "a: &a [*a]\n", "yaml: line 1, column 8: anchor 'a' value contains itself" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *out = NULL;
        struct kc_yaml_error err;
        assert_int_equal(kc_yaml_load(bad[i].yaml, strlen(bad[i].yaml), &out, &err), KC_EPARSE);
        if (strcmp(err.message, bad[i].error) != 0)
            fail_msg("%s: got \"%s\", want \"%s\"", bad[i].yaml, err.message, bad[i].error);
    }
}

/* The billion-laughs pattern trips go-yaml's alias ratio limit instead of exhausting memory. */
static void
test_alias_bomb(void **state)
{
    (void)state;
    char buf[4096];
    size_t o = (size_t)snprintf(buf, sizeof(buf), "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for (char c = 'b'; c <= 'i'; c++)
        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", c, c, c - 1,
                              c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
    json_t *out = NULL;
    struct kc_yaml_error err;
    assert_int_equal(kc_yaml_load(buf, o, &out, &err), KC_EPARSE);
    assert_non_null(strstr(err.message, "document contains excessive aliasing"));
    assert_null(out);
}

static void
test_block_scalars(void **state)
{
    (void)state;
    json_t *docs = load_ok("lit: |\n  a\n   b\n  c\nstrip: |-\n  a\n  b\n\nkeep: |+\n  a\n\n\n"
                           "fold: >\n  a\n  b\n\n  c\n   d\n  e\nfoldstrip: >-\n  a b\nind: |2\n   x\n  y\n"
                           "empty: |\nplain: this is\n  a plain\n  multi line\n"
                           "crlf: |\r\n  x\r\n  y\r\n");
    assert_json_eq(json_array_get(docs, 0),
                   "{\"lit\":\"a\\n b\\nc\\n\",\"strip\":\"a\\nb\",\"keep\":\"a\\n\\n\\n\","
                   "\"fold\":\"a b\\nc\\n d\\ne\\n\",\"foldstrip\":\"a b\",\"ind\":\" x\\ny\\n\",\"empty\":\"\","
                   "\"plain\":\"this is a plain multi line\",\"crlf\":\"x\\ny\\n\"}");
    json_decref(docs);
}

static void
test_flow_and_json(void **state)
{
    (void)state;
    json_t *docs = load_ok("data: {a: [1, 2, {b: c}], \"d\": 'e', f: , g: [], h: {}, i: a:1, j: [x:y]}\n");
    assert_json_eq(json_array_get(docs, 0),
                   "{\"data\":{\"a\":[1,2,{\"b\":\"c\"}],\"d\":\"e\",\"f\":null,\"g\":[],\"h\":{},\"i\":\"a:1\","
                   "\"j\":[\"x:y\"]}}");
    json_decref(docs);

    docs = load_ok("{\"a\": 1}");
    assert_json_eq(docs, "[{\"a\":1}]");
    json_decref(docs);

    /* JSON text is read as JSON, as kubectl does for input starting with '{': surrogate pairs and tab
     * indentation, which YAML would refuse, and a stream of several values. */
    docs = load_ok("{\n\t\"a\": \"x\\/y\\ud83d\\ude00\",\n\t\"b\": [1, 2.5, true, null]\n}\n{\"c\": {}} null {}");
    assert_json_eq(docs, "[{\"a\":\"x/y\\ud83d\\ude00\",\"b\":[1,2.5,true,null]},{\"c\":{}},{}]");
    json_decref(docs);

    /* Flow YAML that is not JSON still parses as YAML. */
    docs = load_ok("{a: 1, b: [x, yes]}");
    assert_json_eq(docs, "[{\"a\":1,\"b\":[\"x\",true]}]");
    json_decref(docs);

    /* A kubectl last-applied-configuration annotation, as a file and embedded in YAML. */
    size_t len;
    char *text = read_data("yaml/last-applied.json", &len);
    json_t *one = NULL;
    struct kc_yaml_error err;
    assert_int_equal(kc_yaml_load_one(text, len, &one, &err), 0);
    assert_string_equal(kc_json_get_string(one, "metadata.name"), "demo");
    assert_string_equal(kc_json_get_string(one, "data.emoji"), "\xf0\x9f\x98\x80");
    assert_string_equal(kc_json_get_string(one, "data.n"), "1");
    json_decref(one);
    free(text);

    text = read_data("yaml/ingress.yaml", &len);
    assert_int_equal(kc_yaml_load_one(text, len, &one, &err), 0);
    const char *annotation =
        kc_json_get_string(one, "metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration");
    assert_non_null(annotation);
    json_t *inner = NULL;
    assert_int_equal(kc_yaml_load_one(annotation, strlen(annotation), &inner, &err), 0);
    assert_string_equal(kc_json_get_string(inner, "spec.ingressClassName"), "nginx");
    assert_string_equal(kc_json_get_string(inner, "spec.rules.0.host"), "shop.example.com");
    json_decref(inner);
    json_decref(one);
    free(text);
}

static void
test_multi_document(void **state)
{
    (void)state;
    const char *text = "# leading comment\n---\na: 1\n---\n# only a comment\n---\n~\n---\n---\nb: 2\n...\n"
                       "--- # comment after the marker\nc: [3]\n";
    json_t *docs = load_ok(text);
    assert_json_eq(docs, "[{\"a\":1},{\"b\":2},{\"c\":[3]}]");
    json_decref(docs);

    /* Empty streams give an empty array; a document that is a scalar is kept. */
    docs = load_ok("");
    assert_int_equal(json_array_size(docs), 0);
    json_decref(docs);
    docs = load_ok("# nothing\n\n");
    assert_int_equal(json_array_size(docs), 0);
    json_decref(docs);
    docs = load_ok("--- 42\n--- text\n");
    assert_json_eq(docs, "[42,\"text\"]");
    json_decref(docs);

    /* Anchors do not cross documents. */
    json_t *out = NULL;
    struct kc_yaml_error err;
    const char *cross = "a: &x 1\n---\nb: *x\n";
    assert_int_equal(kc_yaml_load(cross, strlen(cross), &out, &err), KC_EPARSE);
    assert_string_equal(err.message, "yaml: line 3, column 4: unknown anchor 'x' referenced");
    assert_int_equal(err.doc, 1);

    /* The document index counts skipped documents too; lines count from the start of the stream. */
    const char *third = "a: 1\n---\n---\nb: 2\n  c: 3\n";
    assert_int_equal(kc_yaml_load(third, strlen(third), &out, &err), KC_EPARSE);
    assert_int_equal(err.doc, 2);
    assert_int_equal(err.line, 5);
    assert_int_equal(err.column, 4);
    assert_string_equal(err.message, "yaml: line 5, column 4: mapping values are not allowed in this context");

    /* load_one: none is null, two is an error naming the second. */
    json_t *one = NULL;
    assert_int_equal(kc_yaml_load_one("---\n# x\n", 8, &one, &err), 0);
    assert_true(json_is_null(one));
    json_decref(one);
    const char *two = "a: 1\n---\n---\nb: 2\n";
    one = NULL;
    assert_int_equal(kc_yaml_load_one(two, strlen(two), &one, &err), KC_EPARSE);
    assert_null(one);
    assert_string_equal(err.message,
                        "yaml: line 3, column 1: expected a single document in the stream, found a second one");
    assert_int_equal(err.doc, 2);
    assert_int_equal(kc_yaml_load_one("{\"a\":1} {\"b\":2}", 16, &one, &err), KC_EPARSE);
    assert_string_equal(err.message,
                        "yaml: line 1, column 9: expected a single document in the stream, found a second one");
    assert_int_equal(kc_yaml_load_one("{\"a\":1} null", 12, &one, &err), 0);
    assert_json_eq(one, "{\"a\":1}");
    json_decref(one);
}

static void
test_duplicate_keys(void **state)
{
    (void)state;
    static const struct {
        const char *yaml;
        const char *error;
        int line, column;
    } cases[] = {
        { "a: 1\nb: 2\na: 3\n", "yaml: line 3, column 1: key \"a\" already set in map", 3, 1 },
        { "top:\n  x: 1\n  y: 2\n  x: 1\n", "yaml: line 4, column 3: key \"x\" already set in map", 4, 3 },
        /* keys that become the same string collide too (go-yaml would pick one at random) */
        { "1: a\n\"1\": b\n", "yaml: line 2, column 1: key \"1\" already set in map", 2, 1 },
        { "{a: 1, a: 2}\n", "yaml: line 1, column 8: key \"a\" already set in map", 1, 8 },
        { "- x: 1\n  x: 2\n", "yaml: line 2, column 3: key \"x\" already set in map", 2, 3 },
        { "{\"a\": 1, \"a\": 2}", "yaml: line 1, column 10: key \"a\" already set in map", 1, 10 },
        { "m: &m {a: 1}\nn:\n  <<: *m\n  b: 1\n  <<: *m\n  b: 2\n",
          "yaml: line 6, column 3: key \"b\" already set in map", 6, 3 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *out = NULL;
        struct kc_yaml_error err;
        assert_int_equal(kc_yaml_load(cases[i].yaml, strlen(cases[i].yaml), &out, &err), KC_EPARSE);
        if (strcmp(err.message, cases[i].error) != 0)
            fail_msg("%s: got \"%s\", want \"%s\"", cases[i].yaml, err.message, cases[i].error);
        assert_int_equal(err.line, cases[i].line);
        assert_int_equal(err.column, cases[i].column);
        assert_null(out);
    }
    /* A merged key may be overridden without being a duplicate. */
    json_t *docs = load_ok("m: &m {a: 1, b: 1}\nx:\n  <<: *m\n  b: 2\n");
    assert_json_eq(kc_json_get(json_array_get(docs, 0), "x"), "{\"a\":1,\"b\":2}");
    json_decref(docs);
}

static void
test_syntax_errors(void **state)
{
    (void)state;
    static const struct {
        const char *yaml;
        const char *error;
        int line, column;
    } cases[] = {
        { "a: 1\n  b: 2\n", "yaml: line 2, column 4: mapping values are not allowed in this context", 2, 4 },
        { "data:\n  a: b: c\n", "yaml: line 2, column 7: mapping values are not allowed in this context", 2, 7 },
        { "data:\n\ta: 1\n", "yaml: line 2, column 1: found character that cannot start any token", 2, 1 },
        { "data: [a, b\n", "yaml: line 2, column 1: did not find expected ',' or ']'", 2, 1 },
        { "a: \"abc\n", "yaml: line 2, column 1: found unexpected end of stream", 2, 1 },
        { "clusters:\n- name: x\n  cluster:\n    server: https://x\n   bad: y\n",
          "yaml: line 5, column 4: did not find expected key", 5, 4 },
        { "a: 'x\n", "yaml: line 2, column 1: found unexpected end of stream", 2, 1 },
        { "- a\nb: c\n", "yaml: line 2, column 1: did not find expected '-' indicator", 2, 1 },
        { "a: \"\\q\"\n", "yaml: line 1, column 5: found unknown escape character", 1, 5 },
        { "a: b\xff\n", "yaml: line 1, column 5: invalid leading UTF-8 octet", 1, 5 },
        { "a: \x01\n", "yaml: line 1, column 4: control characters are not allowed", 1, 4 },
        /* columns count characters: "é" is one */
        { "é: \"\\ud800\"\n", "yaml: line 1, column 7: found invalid Unicode character escape code", 1, 7 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *out = NULL;
        struct kc_yaml_error err;
        assert_int_equal(kc_yaml_load(cases[i].yaml, strlen(cases[i].yaml), &out, &err), KC_EPARSE);
        if (strcmp(err.message, cases[i].error) != 0 || err.line != cases[i].line || err.column != cases[i].column)
            fail_msg("%s: got \"%s\" (%d:%d), want \"%s\"", cases[i].yaml, err.message, err.line, err.column,
                     cases[i].error);
        assert_int_equal(err.doc, 0);
        assert_null(out);
    }
    /* The error struct is optional. */
    json_t *out = NULL;
    assert_int_equal(kc_yaml_load("a: [", 4, &out, NULL), KC_EPARSE);
    assert_int_equal(kc_yaml_load_one("a: [", 4, &out, NULL), KC_EPARSE);
    assert_null(out);
}

static void
test_depth_limit(void **state)
{
    (void)state;
    size_t n = KC_YAML_MAX_DEPTH + 10;
    char *deep = malloc(2 * n + 1);
    assert_non_null(deep);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = '\0';
    json_t *out = NULL;
    struct kc_yaml_error err;
    assert_int_equal(kc_yaml_load(deep, 2 * n, &out, &err), KC_EPARSE);
    assert_non_null(strstr(err.message, "exceeded max depth of 2048"));
    /* Just below the limit works. */
    n = KC_YAML_MAX_DEPTH - 1;
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    assert_int_equal(kc_yaml_load(deep, 2 * n, &out, &err), 0);
    json_decref(out);
    free(deep);
}

/* ---------------------------------------------------------------------------------------------------------
 * Dumping. */

static char *
dump_ok(const json_t *v, unsigned flags)
{
    char *out = NULL;
    int rc = kc_yaml_dump(v, flags, &out);
    if (rc != 0)
        fail_msg("dump failed: %d", rc);
    return out;
}

/* Each string dumped under data.kNNN must print exactly as kubectl prints it. */
static void
test_dump_strings(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t len;
        const char *yaml; /* the "  kNNN: ..." lines kubectl printed */
    } cases[] = {
        { "true", 4, "  k000: \"true\"\n" },
        { "123", 3, "  k001: \"123\"\n" },
        { "1.5", 3, "  k002: \"1.5\"\n" },
        { "null", 4, "  k003: \"null\"\n" },
        { "", 0, "  k004: \"\"\n" },
        { "yes", 3, "  k005: \"yes\"\n" },
        { "y", 1, "  k006: \"y\"\n" },
        { "n", 1, "  k007: \"n\"\n" },
        { "No", 2, "  k008: \"No\"\n" },
        { "off", 3, "  k009: \"off\"\n" },
        { "~", 1, "  k010: \"~\"\n" },
        { "2001-12-14", 10, "  k011: \"2001-12-14\"\n" },
        { "2001-13-14", 10, "  k012: 2001-13-14\n" },
        { "1:20", 4, "  k013: \"1:20\"\n" },
        { "1:70", 4, "  k014: 1:70\n" },
        { "0o17", 4, "  k015: \"0o17\"\n" },
        { "0x1F", 4, "  k016: \"0x1F\"\n" },
        { "1_000", 5, "  k017: \"1_000\"\n" },
        { "_1", 2, "  k018: _1\n" },
        { ".inf", 4, "  k019: \".inf\"\n" },
        { ".5", 2, "  k020: \".5\"\n" },
        { "1e400", 5, "  k021: 1e400\n" },
        { "*x", 2, "  k022: '*x'\n" },
        { "&a", 2, "  k023: '&a'\n" },
        { "!t", 2, "  k024: '!t'\n" },
        { "%p", 2, "  k025: '%p'\n" },
        { "@a", 2, "  k026: '@a'\n" },
        { "`b", 2, "  k027: '`b'\n" },
        { "|x", 2, "  k028: '|x'\n" },
        { "> y", 3, "  k029: '> y'\n" },
        { "- x", 3, "  k030: '- x'\n" },
        { "-x", 2, "  k031: -x\n" },
        { "-", 1, "  k032: '-'\n" },
        { "--", 2, "  k033: --\n" },
        { "---", 3, "  k034: '---'\n" },
        { "--- x", 5, "  k035: '--- x'\n" },
        { "...", 3, "  k036: '...'\n" },
        { "? x", 3, "  k037: '? x'\n" },
        { "?x", 2, "  k038: ?x\n" },
        { ":x", 2, "  k039: :x\n" },
        { ": x", 3, "  k040: ': x'\n" },
        { "x:", 2, "  k041: 'x:'\n" },
        { "x: y", 4, "  k042: 'x: y'\n" },
        { "x:y", 3, "  k043: x:y\n" },
        { "a #b", 4, "  k044: 'a #b'\n" },
        { "a#b", 3, "  k045: a#b\n" },
        { "#a", 2, "  k046: '#a'\n" },
        { "[a]", 3, "  k047: '[a]'\n" },
        { "{a}", 3, "  k048: '{a}'\n" },
        { "a,b", 3, "  k049: a,b\n" },
        { "'q'", 3, "  k050: '''q'''\n" },
        { "\"dq\"", 4, "  k051: '\"dq\"'\n" },
        { "it's", 4, "  k052: it's\n" },
        { "say \"hi\"", 8, "  k053: say \"hi\"\n" },
        { "a\tb", 3, "  k054: \"a\\tb\"\n" },
        { " lead", 5, "  k055: ' lead'\n" },
        { "trail ", 6, "  k056: 'trail '\n" },
        { "a  b", 4, "  k057: a  b\n" },
        { "a\nb", 3, "  k058: |-\n    a\n    b\n" },
        { "a\nb\n", 4, "  k059: |\n    a\n    b\n" },
        { "a\n\n", 3, "  k060: |+\n    a\n\n" },
        { "\na", 2, "  k061: |2-\n\n    a\n" },
        { " a\nb", 4, "  k062: |2-\n     a\n    b\n" },
        { "a \nb", 4, "  k063: \"a \\nb\"\n" },
        { "a\x0d"
          "\nb",
          4, "  k064: \"a\\r\\nb\"\n" },
        { "a\x01"
          "b",
          3, "  k065: \"a\\x01b\"\n" },
        { "\xc3"
          "\xa9"
          "",
          2,
          "  k066: \xc3"
          "\xa9"
          "\n" },
        { "h\xc3"
          "\xa9"
          "llo \xe2"
          "\x98"
          "\x83"
          "",
          10,
          "  k067: h\xc3"
          "\xa9"
          "llo \xe2"
          "\x98"
          "\x83"
          "\n" },
        { "\xef"
          "\xbb"
          "\xbf"
          "",
          3, "  k068: \"\\uFEFF\"\n" },
        { "\xf0"
          "\x9f"
          "\x98"
          "\x80"
          "",
          4, "  k069: \"\\U0001F600\"\n" },
        { "\x00"
          "",
          1, "  k070: \"\\0\"\n" },
        { "w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16 w17 w18 w19 w20 w21 w22 w23 w24 w25 w26 w27 w28 "
          "w29 w30 w31 w32 w33 w34 w35 w36 w37 w38 w39",
          149,
          "  k071: w0 w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16 w17 w18 w19 w20\n    w21 w22 w23 w24 w25 "
          "w26 w27 w28 w29 w30 w31 w32 w33 w34 w35 w36 w37 w38 w39\n" },
        { "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx y", 82,
          "  k072: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n    y\n" },
        { "=", 1, "  k073: =\n" },
        { "<<", 2, "  k074: <<\n" },
        { "key with spaces", 15, "  k075: key with spaces\n" },
        { "2001-01-02T03:04:05Z", 20, "  k076: \"2001-01-02T03:04:05Z\"\n" },
        { "1e3", 3, "  k077: \"1e3\"\n" },
        { "0b101", 5, "  k078: \"0b101\"\n" },
        { "+12", 3, "  k079: \"+12\"\n" },
        { ".", 1, "  k080: .\n" },
        { "Yes", 3, "  k081: \"Yes\"\n" },
        { "TRUE", 4, "  k082: \"TRUE\"\n" },
        { "tRUE", 4, "  k083: tRUE\n" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%03zu", i);
        json_t *v = json_pack("{s:{s:s%}}", "data", key, cases[i].s, cases[i].len);
        assert_non_null(v);
        char *out = dump_ok(v, 0);
        char want[1024];
        snprintf(want, sizeof(want), "data:\n%s", cases[i].yaml);
        if (strcmp(out, want) != 0)
            fail_msg("string #%zu: got\n%s\nwant\n%s", i, out, want);
        /* and it reads back as the same string */
        json_t *back = NULL;
        struct kc_yaml_error err;
        assert_int_equal(kc_yaml_load_one(out, strlen(out), &back, &err), 0);
        if (!kc_json_equal(back, v))
            fail_msg("string #%zu does not round-trip: %s", i, out);
        json_decref(back);
        json_decref(v);
        free(out);
    }
}

static void
test_dump_numbers(void **state)
{
    (void)state;
    static const struct {
        double d;
        const char *yaml; /* as kubectl -o yaml printed the float64 */
    } reals[] = {
        { 0.5, "0.5" },
        { 1.5e300, "1.5e+300" },
        { 1e21, "1e+21" },
        { 1e20, "1e+20" },
        { 123456789.0, "123456789" },
        { 1234567.5, "1.2345675e+06" },
        { 0.000001, "1e-06" },
        { 1e-7, "1e-07" },
        { 100000.0, "100000" },
        { 1000000.0, "1000000" },
        { -0.0, "0" },
        { 3.141592653589793, "3.141592653589793" },
        { 2.5e-10, "2.5e-10" },
        { 1152921504606846976.0, "1152921504606847000" },
        { 1e19, "10000000000000000000" },
        { 1.8446744073709552e19, "1.8446744073709552e+19" },
        { 0.1, "0.1" },
        { 100.25, "100.25" },
        { 1e-5, "1e-05" },
        { 0.0001, "0.0001" },
        { -2.5, "-2.5" },
        { 5.0, "5" },
        { -1e300, "-1e+300" },
        { 123456.0, "123456" },
    };
    for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
        json_t *v = json_pack("{s:f}", "x", reals[i].d);
        char *out = dump_ok(v, 0);
        char want[64];
        snprintf(want, sizeof(want), "x: %s\n", reals[i].yaml);
        if (strcmp(out, want) != 0)
            fail_msg("%.17g: got %s want %s", reals[i].d, out, want);
        free(out);
        json_decref(v);
    }
    json_t *v = json_pack("{s:I,s:I,s:I,s:b,s:b,s:n,s:{},s:[],s:[[],{}]}", "max", (json_int_t)INT64_MAX, "min",
                          (json_int_t)INT64_MIN, "zero", (json_int_t)0, "t", 1, "f", 0, "null", "obj", "arr", "nest");
    char *out = dump_ok(v, 0);
    assert_string_equal(out, "max: 9223372036854775807\nmin: -9223372036854775808\nzero: 0\nt: true\nf: false\n"
                             "\"null\": null\nobj: {}\narr: []\nnest:\n- []\n- {}\n");
    free(out);
    json_decref(v);
}

static void
test_dump_style(void **state)
{
    (void)state;
    /* Sequences under a key are not indented; nested sequences and maps in sequences use the compact form. */
    json_t *v = json_loads("{\"spec\":{\"containers\":[{\"name\":\"x\",\"ports\":[{\"containerPort\":80}],"
                           "\"args\":[[\"a\",\"b\"],[]]}]},\"list\":[1,[2,[3]],{\"a\":{\"b\":[]}}]}",
                           0, NULL);
    char *out = dump_ok(v, 0);
    assert_string_equal(out, "spec:\n"
                             "  containers:\n"
                             "  - name: x\n"
                             "    ports:\n"
                             "    - containerPort: 80\n"
                             "    args:\n"
                             "    - - a\n"
                             "      - b\n"
                             "    - []\n"
                             "list:\n"
                             "- 1\n"
                             "- - 2\n"
                             "  - - 3\n"
                             "- a:\n"
                             "    b: []\n");
    free(out);
    json_decref(v);

    /* Sorting follows go-yaml: digit runs compare by value, letters after other characters. */
    v = json_loads("{\"b\":1,\"a10\":1,\"a9\":1,\"a\":1,\"B\":1,\"_x\":1,\"1\":1,\"10\":1,\"9\":1,\"a-b\":1,"
                   "\"a.b\":1,\"v1beta1\":1,\"v1\":1,\"v2\":1,\"app.kubernetes.io/name\":1,\"apps\":1}",
                   0, NULL);
    out = dump_ok(v, KC_YAML_SORT_KEYS);
    assert_string_equal(out, "_x: 1\n\"1\": 1\n\"9\": 1\n\"10\": 1\nB: 1\na: 1\na-b: 1\na.b: 1\na9: 1\na10: 1\n"
                             "app.kubernetes.io/name: 1\napps: 1\nb: 1\nv1: 1\nv1beta1: 1\nv2: 1\n");
    free(out);
    out = dump_ok(v, 0);
    assert_true(strncmp(out, "b: 1\na10: 1\n", 12) == 0); /* default: object order */
    free(out);
    json_decref(v);

    /* Long plain strings fold at 80 columns unless asked not to. */
    char longs[200];
    size_t o = 0;
    for (int i = 0; i < 30; i++)
        o += (size_t)snprintf(longs + o, sizeof(longs) - o, "%sword%d", i ? " " : "", i);
    v = json_pack("{s:s}", "k", longs);
    out = dump_ok(v, 0);
    /* As kubectl prints it: a line breaks at the first space after column 80. */
    assert_string_equal(out, "k: word0 word1 word2 word3 word4 word5 word6 word7 word8 word9 word10 word11 word12\n"
                             "  word13 word14 word15 word16 word17 word18 word19 word20 word21 word22 word23 word24\n"
                             "  word25 word26 word27 word28 word29\n");
    free(out);
    out = dump_ok(v, KC_YAML_NO_WRAP);
    assert_int_equal(strlen(out), 3 + strlen(longs) + 1);
    free(out);
    json_decref(v);

    /* Top-level scalars, and invalid UTF-8 written as U+FFFD per bad byte as encoding/json does. */
    v = json_string("plain");
    out = dump_ok(v, 0);
    assert_string_equal(out, "plain\n");
    free(out);
    json_decref(v);
    v = json_stringn_nocheck("a\xff\xc3z", 4);
    out = dump_ok(v, 0);
    assert_string_equal(out, "a\xef\xbf\xbd\xef\xbf\xbdz\n");
    free(out);
    json_decref(v);
    v = json_string("a\n\n");
    out = dump_ok(v, 0);
    assert_string_equal(out, "|+\n  a\n\n");
    free(out);
    json_decref(v);

    assert_int_equal(kc_yaml_dump(NULL, 0, &out), KC_EINVALID);
}

static void
test_dump_all(void **state)
{
    (void)state;
    json_t *docs = json_loads("[{\"a\":1},[],\"x\",{\"b\":{\"c\":null}}]", 0, NULL);
    char *out = NULL;
    assert_int_equal(kc_yaml_dump_all(docs, 0, &out), 0);
    assert_string_equal(out, "a: 1\n---\n[]\n---\nx\n---\nb:\n  c: null\n");
    json_t *back = NULL;
    struct kc_yaml_error err;
    assert_int_equal(kc_yaml_load(out, strlen(out), &back, &err), 0);
    assert_true(kc_json_equal(back, docs));
    json_decref(back);
    free(out);
    json_decref(docs);

    docs = json_array();
    assert_int_equal(kc_yaml_dump_all(docs, 0, &out), 0);
    assert_string_equal(out, "");
    free(out);
    json_decref(docs);
    json_t *notarray = json_object();
    assert_int_equal(kc_yaml_dump_all(notarray, 0, &out), KC_EINVALID);
    json_decref(notarray);
}

/* ---------------------------------------------------------------------------------------------------------
 * Manifests: load equals kubectl's JSON, dump equals kubectl's YAML, and dump → load is the identity. */

static void
check_manifest(const char *name)
{
    char rel[128];
    size_t len;
    snprintf(rel, sizeof(rel), "yaml/%s.yaml", name);
    char *yaml = read_data(rel, &len);
    snprintf(rel, sizeof(rel), "yaml/%s.json", name);
    char *jtext = read_data(rel, NULL);
    snprintf(rel, sizeof(rel), "yaml/%s.kubectl.yaml", name);
    char *golden = read_data(rel, NULL);

    json_t *docs = NULL;
    struct kc_yaml_error err;
    if (kc_yaml_load(yaml, len, &docs, &err) != 0)
        fail_msg("%s: %s", name, err.message);
    json_t *want = json_loads(jtext, 0, NULL);
    assert_non_null(want);
    if (!kc_json_equal(docs, want)) {
        char *g = kc_json_canonical(docs);
        fail_msg("%s: loaded %s", name, g);
    }

    char *out = NULL;
    assert_int_equal(kc_yaml_dump_all(docs, KC_YAML_SORT_KEYS, &out), 0);
    if (strcmp(out, golden) != 0)
        fail_msg("%s: dump differs from kubectl's\n--- got\n%s\n--- want\n%s", name, out, golden);
    json_t *again = NULL;
    assert_int_equal(kc_yaml_load(out, strlen(out), &again, &err), 0);
    assert_true(kc_json_equal(again, docs));
    json_decref(again);
    free(out);

    /* Unsorted output keeps the order of the file and reads back the same too. */
    assert_int_equal(kc_yaml_dump_all(docs, 0, &out), 0);
    assert_int_equal(kc_yaml_load(out, strlen(out), &again, &err), 0);
    assert_true(kc_json_equal(again, docs));
    assert_true(strncmp(out, "apiVersion:", 11) == 0);
    json_decref(again);
    free(out);

    json_decref(want);
    json_decref(docs);
    free(yaml);
    free(jtext);
    free(golden);
}

static void
test_manifests(void **state)
{
    (void)state;
    check_manifest("multi");
    check_manifest("pod");
    check_manifest("cronjob");
    check_manifest("ingress");

    /* A few values worth checking by name. */
    size_t len;
    char *yaml = read_data("yaml/pod.yaml", &len);
    json_t *pod = NULL;
    assert_int_equal(kc_yaml_load_one(yaml, len, &pod, NULL), 0);
    assert_string_equal(kc_json_get_string(pod, "spec.containers.1.name"), "sidecar");
    assert_string_equal(kc_json_get_string(pod, "spec.containers.1.image"), "busybox:1.36");
    assert_true(json_is_false(kc_json_get(pod, "spec.enableServiceLinks")));
    long long v;
    assert_int_equal(kc_json_get_int(pod, "spec.securityContext.fsGroup", &v), 0);
    assert_int_equal(v, 1024);
    assert_string_equal(kc_json_get_string(pod, "metadata.annotations.description"),
                        "A debugging pod that runs two containers.\n");
    json_decref(pod);
    free(yaml);
}

/* Allocation failures anywhere in load or dump give -ENOMEM (or success), never a crash or a leak. */
static void
test_out_of_memory(void **state)
{
    (void)state;
    size_t len;
    char *yaml = read_data("yaml/pod.yaml", &len);
    int failures = 0;
    for (long nth = 1; nth < 5000; nth++) {
        json_t *docs = NULL;
        struct kc_yaml_error err;
        kc_fault_arm(KC_FAULT_ALLOC, nth, 0, false);
        int rc = kc_yaml_load(yaml, len, &docs, &err);
        bool injected = kc_fault_injected(KC_FAULT_ALLOC) > 0;
        kc_fault_disarm(KC_FAULT_ALLOC);
        if (!injected) {
            assert_int_equal(rc, 0);
            json_decref(docs);
            break;
        }
        assert_int_equal(rc, -ENOMEM);
        assert_null(docs);
        failures++;
    }
    assert_true(failures > 10);

    json_t *docs = NULL;
    assert_int_equal(kc_yaml_load(yaml, len, &docs, NULL), 0);
    failures = 0;
    for (long nth = 1; nth < 5000; nth++) {
        char *out = NULL;
        kc_fault_arm(KC_FAULT_ALLOC, nth, 0, false);
        int rc = kc_yaml_dump_all(docs, KC_YAML_SORT_KEYS, &out);
        bool injected = kc_fault_injected(KC_FAULT_ALLOC) > 0;
        kc_fault_disarm(KC_FAULT_ALLOC);
        if (!injected) {
            assert_int_equal(rc, 0);
            free(out);
            break;
        }
        assert_int_equal(rc, -ENOMEM);
        assert_null(out);
        failures++;
    }
    assert_true(failures > 10);
    json_decref(docs);
    free(yaml);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),           cmocka_unit_test(test_keys),
        cmocka_unit_test(test_anchors_and_merge), cmocka_unit_test(test_alias_bomb),
        cmocka_unit_test(test_block_scalars),     cmocka_unit_test(test_flow_and_json),
        cmocka_unit_test(test_multi_document),    cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_syntax_errors),     cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_dump_strings),      cmocka_unit_test(test_dump_numbers),
        cmocka_unit_test(test_dump_style),        cmocka_unit_test(test_dump_all),
        cmocka_unit_test(test_manifests),         cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
