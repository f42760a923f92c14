/* test_yaml_dups.c - kc_yaml's KC_YAML_ALLOW_DUPLICATES loading: repeated keys keep the last value (go-yaml v2's
 * non-strict Unmarshal, as sigs.k8s.io/yaml reads an apply body with fieldValidation Ignore or Warn) and are listed
 * with go-yaml's strict-mode messages (`line N: key "k" already set in map`), which kube-apiserver reports or warns
 * about; without the flag a repeated key stays an error. */
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

/* got must equal want_text (JSON), key order included (jansson keeps insertion order). */
static void
assert_json_text(const json_t *got, const char *want_text)
{
    char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    assert_non_null(g);
    if (strcmp(g, want_text) != 0)
        fail_msg("got  %s\nwant %s", g, want_text);
    free(g);
}

/* Loads text with the flag; the document must decode. Returns it, *dups the messages. */
static json_t *
load_dups(const char *text, json_t **dups)
{
    json_t *doc = NULL;
    struct kc_yaml_error err;
    int rc = kc_yaml_load_one_flags(text, strlen(text), KC_YAML_ALLOW_DUPLICATES, &doc, dups, &err);
    if (rc != 0)
        fail_msg("load failed (%d): %s\ninput:\n%s", rc, err.message, text);
    assert_non_null(doc);
    return doc;
}

static void
test_last_value_wins(void **state)
{
    (void)state;
    json_t *dups = NULL;
    json_t *doc = load_dups("apiVersion: apps/v1\n"
                            "kind: Deployment\n"
                            "spec:\n"
                            "  paused: true\n"
                            "  replicas: 1\n"
                            "  paused: false\n",
                            &dups);
    /* the repeated key keeps its first place, with the second value */
    assert_json_text(doc, "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":{\"paused\":false,"
                          "\"replicas\":1}}");
    assert_json_text(dups, "[\"line 6: key \\\"paused\\\" already set in map\"]");
    json_decref(doc);
    json_decref(dups);
}

/* The line is the repeated value's (go-yaml's node line): for a nested mapping, its first key's line. Messages come
 * in document order, nested ones where the decoder meets them. */
static void
test_lines_and_order(void **state)
{
    (void)state;
    json_t *dups = NULL;
    json_t *doc = load_dups("metadata:\n"
                            "  name: a\n"
                            "  labels: {x: \"1\", x: \"2\"}\n"
                            "metadata:\n"
                            "  name: b\n"
                            "data:\n"
                            "  k: v\n",
                            &dups);
    assert_json_text(doc, "{\"metadata\":{\"name\":\"b\"},\"data\":{\"k\":\"v\"}}");
    assert_json_text(dups, "[\"line 3: key \\\"x\\\" already set in map\","
                           "\"line 5: key \\\"metadata\\\" already set in map\"]");
    json_decref(doc);
    json_decref(dups);
}

/* go-yaml's %#v of the key: numbers and booleans bare, strings quoted with escapes. */
static void
test_key_printing(void **state)
{
    (void)state;
    json_t *dups = NULL;
    json_t *doc = load_dups("1: a\n"
                            "1: b\n"
                            "true: c\n"
                            "true: d\n"
                            "\"q\\\"k\": e\n"
                            "'q\"k': f\n",
                            &dups);
    assert_json_text(doc, "{\"1\":\"b\",\"true\":\"d\",\"q\\\"k\":\"f\"}");
    assert_json_text(dups, "[\"line 2: key 1 already set in map\","
                           "\"line 4: key true already set in map\","
                           "\"line 6: key \\\"q\\\\\\\"k\\\" already set in map\"]");
    json_decref(doc);
    json_decref(dups);
}

/* JSON input (first character '{') with a repeated key falls back to the YAML reading, which allows it too. */
static void
test_json_text(void **state)
{
    (void)state;
    json_t *dups = NULL;
    json_t *doc = load_dups("{\"a\": 1,\n \"b\": 2,\n \"a\": 3}\n", &dups);
    assert_json_text(doc, "{\"a\":3,\"b\":2}");
    assert_json_text(dups, "[\"line 3: key \\\"a\\\" already set in map\"]");
    json_decref(doc);
    json_decref(dups);
    /* no repeats: an empty list */
    doc = load_dups("{\"a\": 1}", &dups);
    assert_json_text(dups, "[]");
    json_decref(doc);
    json_decref(dups);
}

/* '<<' merges are no repeats: keys written after the merge override merged ones silently, as before. */
static void
test_merge_is_not_a_repeat(void **state)
{
    (void)state;
    json_t *dups = NULL;
    json_t *doc = load_dups("base: &b {p: 1, q: 2}\n"
                            "m:\n"
                            "  <<: *b\n"
                            "  p: 3\n",
                            &dups);
    assert_json_text(json_object_get(doc, "m"), "{\"p\":3,\"q\":2}");
    assert_json_text(dups, "[]");
    json_decref(doc);
    json_decref(dups);
}

/* Without the flag (and through the old entry points) a repeated key is KC_EPARSE at the second key, outputs
 * untouched; dups may be NULL with the flag; a syntax error is still one. */
static void
test_errors_and_null_dups(void **state)
{
    (void)state;
    const char *text = "a: 1\nb: 2\na: 3\n";
    json_t *doc = (json_t *)0x1, *dups = (json_t *)0x1;
    struct kc_yaml_error err;
    assert_int_equal(kc_yaml_load_one_flags(text, strlen(text), 0, &doc, &dups, &err), KC_EPARSE);
    assert_ptr_equal(doc, (json_t *)0x1);
    assert_ptr_equal(dups, (json_t *)0x1);
    assert_string_equal(err.message, "yaml: line 3, column 1: key \"a\" already set in map");
    assert_int_equal(kc_yaml_load_one(text, strlen(text), &doc, &err), KC_EPARSE);
    assert_int_equal(err.line, 3);

    doc = NULL;
    assert_int_equal(kc_yaml_load_one_flags(text, strlen(text), KC_YAML_ALLOW_DUPLICATES, &doc, NULL, &err), 0);
    assert_json_text(doc, "{\"a\":3,\"b\":2}");
    json_decref(doc);

    /* without the flag but with dups: an empty list on success */
    doc = NULL;
    dups = NULL;
    assert_int_equal(kc_yaml_load_one_flags("a: 1\n", 5, 0, &doc, &dups, &err), 0);
    assert_json_text(dups, "[]");
    json_decref(doc);
    json_decref(dups);

    doc = (json_t *)0x1;
    dups = (json_t *)0x1;
    const char *bad = "a: 1\na: [\n";
    assert_int_equal(kc_yaml_load_one_flags(bad, strlen(bad), KC_YAML_ALLOW_DUPLICATES, &doc, &dups, &err), KC_EPARSE);
    assert_ptr_equal(doc, (json_t *)0x1);
    assert_ptr_equal(dups, (json_t *)0x1);
    assert_non_null(strstr(err.message, "yaml: line"));

    /* one document only */
    const char *two = "a: 1\n---\nb: 2\n";
    assert_int_equal(kc_yaml_load_one_flags(two, strlen(two), KC_YAML_ALLOW_DUPLICATES, &doc, &dups, &err), KC_EPARSE);
}

/* kc_yaml_load_flags: every document, the messages of all of them in order. */
static void
test_stream(void **state)
{
    (void)state;
    const char *text = "a: 1\na: 2\n---\nb: 1\n---\nc: 1\nc: 2\nc: 3\n";
    json_t *docs = NULL, *dups = NULL;
    struct kc_yaml_error err;
    assert_int_equal(kc_yaml_load_flags(text, strlen(text), KC_YAML_ALLOW_DUPLICATES, &docs, &dups, &err), 0);
    assert_json_text(docs, "[{\"a\":2},{\"b\":1},{\"c\":3}]");
    assert_json_text(dups, "[\"line 2: key \\\"a\\\" already set in map\","
                           "\"line 7: key \\\"c\\\" already set in map\","
                           "\"line 8: key \\\"c\\\" already set in map\"]");
    json_decref(docs);
    json_decref(dups);
    assert_int_equal(kc_yaml_load_flags(text, strlen(text), 0, &docs, NULL, &err), KC_EPARSE);
    assert_int_equal(err.line, 2);
}

/* Allocation failures give -ENOMEM or success, never a crash or leak (ASan/LSan check the rest). */
static void
test_out_of_memory(void **state)
{
    (void)state;
    const char *text = "a: 1\nb: {c: 1, c: 2}\na: 3\n";
    int failures = 0;
    for (long nth = 1; nth < 1000; nth++) {
        json_t *doc = NULL, *dups = NULL;
        kc_fault_arm(KC_FAULT_ALLOC, nth, 0, false);
        int rc = kc_yaml_load_one_flags(text, strlen(text), KC_YAML_ALLOW_DUPLICATES, &doc, &dups, NULL);
        bool injected = kc_fault_injected(KC_FAULT_ALLOC) > 0;
        kc_fault_disarm(KC_FAULT_ALLOC);
        if (!injected) {
            assert_int_equal(rc, 0);
            assert_int_equal(json_array_size(dups), 2);
            json_decref(doc);
            json_decref(dups);
            break;
        }
        assert_int_equal(rc, -ENOMEM);
        assert_null(doc);
        assert_null(dups);
        failures++;
    }
    assert_true(failures > 3);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_last_value_wins),
        cmocka_unit_test(test_lines_and_order),
        cmocka_unit_test(test_key_printing),
        cmocka_unit_test(test_json_text),
        cmocka_unit_test(test_merge_is_not_a_repeat),
        cmocka_unit_test(test_errors_and_null_dups),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
