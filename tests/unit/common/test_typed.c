/* test_typed.c - objects read through the Kubernetes 1.33 schemas as structured-merge-diff reads them: field sets
 * (struct fields, map keys, keyed/set/atomic lists, key defaults), comparisons (with the "." of new structs),
 * the apply merge and upstream's list order, removal, named-field membership, null cleanup, validation texts,
 * the empty object of a create, and out-of-memory. Tables are inline. */
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
#include "kc_fieldset.h"
#include "kc_json.h"
#include "kc_schema.h"
#include "kc_typed.h"

#include "../json_fixture.h"

static const struct kc_schema *
kind(const char *k)
{
    static const struct {
        const char *kind, *group, *version;
    } kinds[] = { { "Deployment", "apps", "v1" }, { "Pod", "", "v1" },       { "Service", "", "v1" },
                  { "ConfigMap", "", "v1" },      { "Namespace", "", "v1" }, { "ControllerRevision", "apps", "v1" } };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i].kind, k) == 0) {
            const struct kc_schema *s = kc_schema_find_gvk(kinds[i].group, kinds[i].version, k);
            assert_non_null(s);
            return s;
        }
    fail_msg("unknown kind %s", k);
    return NULL;
}

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
assert_set(const struct kc_fieldset *s, const char *want, const char *what)
{
    char *got = text_of(s);
    if (strcmp(got, want) != 0)
        fail_msg("%s:\n  got  %s\n  want %s", what, got, want);
    free(got);
}

static void
assert_json(const json_t *got, const char *want, const char *what)
{
    char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
    if (strcmp(g, want) != 0)
        fail_msg("%s:\n  got  %s\n  want %s", what, g, want);
    free(g);
}

/* --- field sets --- */

static const struct {
    const char *kind, *obj, *want;
} to_sets[] = {
    /* the example of the task: labels is a parent, a keyed item is a member with its fields */
    { "Deployment",
      "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"x\",\"labels\":{\"app\":\"a\"}},"
      "\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"a\"}},\"template\":{\"metadata\":{\"labels\":"
      "{\"app\":\"a\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\",\"ports\":[{\"containerPort\":80}"
      "]"
      "}]}}}}",
      "{\"f:apiVersion\":{},\"f:kind\":{},\"f:metadata\":{\"f:labels\":{\"f:app\":{}},\"f:name\":{}},\"f:spec\":{"
      "\"f:replicas\":{},\"f:selector\":{},\"f:template\":{\"f:metadata\":{\"f:labels\":{\"f:app\":{}}},\"f:spec\":{"
      "\"f:containers\":{\"k:{\\\"name\\\":\\\"c\\\"}\":{\".\":{},\"f:image\":{},\"f:name\":{},\"f:ports\":{"
      "\"k:{\\\"containerPort\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{\".\":{},\"f:containerPort\":{}}}}}}}}}" },
    /* a set list, an atomic list, a null scalar, a null map, an empty struct, an unknown field */
    { "Pod",
      "{\"metadata\":{\"finalizers\":[\"b\",\"a\"],\"annotations\":null},\"spec\":{\"tolerations\":[{\"key\":\"k\"}],"
      "\"nodeName\":null,\"securityContext\":{},\"bogus\":1}}",
      "{\"f:metadata\":{\"f:finalizers\":{\"v:\\\"a\\\"\":{},\"v:\\\"b\\\"\":{}}},\"f:spec\":{\"f:nodeName\":{},"
      "\"f:tolerations\":{}}}" },
    /* service ports are keyed by port and protocol; an item without its key is skipped */
    { "Service",
      "{\"spec\":{\"ports\":[{\"port\":80,\"protocol\":\"UDP\",\"name\":\"u\"},{\"name\":\"nokey\"}],\"selector\":{"
      "\"app\":\"a\"}}}",
      "{\"f:spec\":{\"f:ports\":{\"k:{\\\"port\\\":80,\\\"protocol\\\":\\\"UDP\\\"}\":{\".\":{},\"f:name\":{},\"f:"
      "port\":"
      "{},\"f:protocol\":{}}},\"f:selector\":{}}}" },
    /* map values are members; RawExtension content is deduced (maps granular, lists atomic) */
    { "ConfigMap", "{\"data\":{\"a\":\"1\",\"b\":\"2\"}}", "{\"f:data\":{\"f:a\":{},\"f:b\":{}}}" },
    { "ControllerRevision", "{\"revision\":1,\"data\":{\"x\":{\"y\":1},\"l\":[1,2]}}",
      "{\"f:data\":{\"f:l\":{},\"f:x\":{\".\":{},\"f:y\":{}}},\"f:revision\":{}}" },
};

static void
test_to_set(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(to_sets) / sizeof(to_sets[0]); i++) {
        json_t *o = parse(to_sets[i].obj);
        struct kc_fieldset *s = NULL;
        assert_int_equal(kc_typed_to_set(o, kind(to_sets[i].kind), &s), 0);
        char what[32];
        snprintf(what, sizeof(what), "to_set %zu", i);
        assert_set(s, to_sets[i].want, what);
        kc_fieldset_free(s);
        json_decref(o);
    }
}

/* --- compare --- */

static const struct {
    const char *kind, *lhs, *rhs, *added, *modified, *removed;
} compares[] = {
    /* a new map and its entries are added: "." on labels */
    { "ConfigMap", "{\"metadata\":{\"name\":\"x\"}}", "{\"metadata\":{\"name\":\"x\",\"labels\":{\"app\":\"a\"}}}",
      "{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:app\":{}}}}", "{}", "{}" },
    { "ConfigMap", "{\"data\":{\"a\":\"1\",\"b\":\"2\"}}", "{\"data\":{\"a\":\"9\",\"c\":\"3\"}}",
      "{\"f:data\":{\"f:c\":{}}}", "{\"f:data\":{\"f:a\":{}}}", "{\"f:data\":{\"f:b\":{}}}" },
    /* a null map present on the left is not "added" itself; an empty struct on both sides is a leaf */
    { "Pod", "{\"spec\":{\"containers\":null,\"securityContext\":{}}}",
      "{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}],\"securityContext\":{}}}",
      "{\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"c\\\"}\":{\".\":{},\"f:image\":{},\"f:name\":{}}}}}", "{}",
      "{}" },
    /* the create of a Deployment against the empty object: structs Go always writes are not new */
    { "Deployment", NULL,
      "{\"metadata\":{\"name\":\"d\",\"creationTimestamp\":null},\"spec\":{\"replicas\":1,\"selector\":{"
      "\"matchLabels\":"
      "{\"a\":\"b\"}},\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":\"25%\"}},\"template\":{"
      "\"metadata\":{\"creationTimestamp\":null,\"labels\":{\"a\":\"b\"}},\"spec\":{\"containers\":[{\"name\":\"c\","
      "\"image\":\"i\",\"resources\":{}}]}}},\"status\":{}}",
      "{\"f:metadata\":{\"f:name\":{}},\"f:spec\":{\"f:replicas\":{},\"f:strategy\":{\"f:rollingUpdate\":{\".\":{},"
      "\"f:maxSurge\":{}},\"f:type\":{}},\"f:template\":{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:a\":{}}},\"f:"
      "spec\":"
      "{\"f:containers\":{\"k:{\\\"name\\\":\\\"c\\\"}\":{\".\":{},\"f:image\":{},\"f:name\":{},\"f:resources\":{}}}}}}"
      "}",
      "{\"f:spec\":{\"f:selector\":{}}}", "{}" },
    /* removing a keyed item removes it and its fields; an atomic list changes as one leaf */
    { "Pod",
      "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x\"},{\"name\":\"b\",\"image\":\"y\"}],\"tolerations\":"
      "[{\"key\":\"1\"}]}}",
      "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x\"}],\"tolerations\":[{\"key\":\"2\"}]}}", "{}",
      "{\"f:spec\":{\"f:tolerations\":{}}}",
      "{\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"b\\\"}\":{\".\":{},\"f:image\":{},\"f:name\":{}}}}}" },
    /* integers and reals of equal value are equal */
    { "Deployment", "{\"spec\":{\"replicas\":2}}", "{\"spec\":{\"replicas\":2.0}}", "{}", "{}", "{}" },
};

static void
test_compare(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(compares) / sizeof(compares[0]); i++) {
        const struct kc_schema *sc = kind(compares[i].kind);
        json_t *l = compares[i].lhs ? parse(compares[i].lhs) : kc_typed_empty_object(sc), *r = parse(compares[i].rhs);
        struct kc_fieldset *a = NULL, *m = NULL, *rm = NULL;
        assert_int_equal(kc_typed_compare(l, r, sc, &a, &m, &rm), 0);
        char what[32];
        snprintf(what, sizeof(what), "compare %zu added", i);
        assert_set(a, compares[i].added, what);
        snprintf(what, sizeof(what), "compare %zu modified", i);
        assert_set(m, compares[i].modified, what);
        snprintf(what, sizeof(what), "compare %zu removed", i);
        assert_set(rm, compares[i].removed, what);
        kc_fieldset_free(a);
        kc_fieldset_free(m);
        kc_fieldset_free(rm);
        json_decref(l);
        json_decref(r);
    }
    /* out-parameters are optional; absent on both sides compares equal */
    assert_int_equal(kc_typed_compare(NULL, NULL, NULL, NULL, NULL, NULL), 0);
}

/* --- merge --- */

#define C(n) "{\"name\":\"" n "\"}"

static const struct {
    const char *kind, *lhs, *rhs, *want;
} merges[] = {
    /* upstream's order: lhs-only items keep their place around the items rhs names, which follow rhs's order */
    { "Pod", "{\"spec\":{\"containers\":[" C("a") "," C("b") "," C("c") "]}}",
      "{\"spec\":{\"containers\":[" C("c") "," C("a") "]}}",
      "{\"spec\":{\"containers\":[" C("b") "," C("c") "," C("a") "]}}" },
    { "Pod", "{\"spec\":{\"containers\":[" C("a") "," C("b") "]}}",
      "{\"spec\":{\"containers\":[" C("b") "," C("n") "]}}",
      "{\"spec\":{\"containers\":[" C("a") "," C("b") "," C("n") "]}}" },
    { "Pod", "{\"spec\":{\"containers\":[" C("a") "]}}", "{\"spec\":{\"containers\":[" C("n") "," C("a") "]}}",
      "{\"spec\":{\"containers\":[" C("n") "," C("a") "]}}" },
    /* items merge field by field; atomic lists and atomic structs are replaced; scalars take rhs */
    { "Pod",
      "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x\",\"args\":[\"1\",\"2\"]}],\"nodeSelector\":{\"p\":"
      "\"q\","
      "\"r\":\"s\"}}}",
      "{\"spec\":{\"containers\":[{\"name\":\"a\",\"args\":[\"3\"],\"tty\":true}],\"nodeSelector\":{\"z\":\"z\"}}}",
      "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x\",\"args\":[\"3\"],\"tty\":true}],\"nodeSelector\":{"
      "\"z\":\"z\"}}}" },
    /* granular maps merge; a null from rhs stays (for kc_typed_drop_nulls) */
    { "ConfigMap", "{\"data\":{\"a\":\"1\",\"b\":\"2\"},\"metadata\":{\"name\":\"x\"}}",
      "{\"data\":{\"b\":\"3\",\"c\":null}}",
      "{\"data\":{\"a\":\"1\",\"b\":\"3\",\"c\":null},\"metadata\":{\"name\":\"x\"}}" },
    /* set lists union in the same order rules */
    { "Pod", "{\"metadata\":{\"finalizers\":[\"x\",\"y\"]}}", "{\"metadata\":{\"finalizers\":[\"z\",\"x\"]}}",
      "{\"metadata\":{\"finalizers\":[\"z\",\"x\",\"y\"]}}" },
    { "ConfigMap", "{}", "{\"data\":{\"a\":\"1\"}}", "{\"data\":{\"a\":\"1\"}}" },
};

static void
test_merge(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(merges) / sizeof(merges[0]); i++) {
        json_t *l = parse(merges[i].lhs), *r = parse(merges[i].rhs), *m = NULL;
        assert_int_equal(kc_typed_merge(l, r, kind(merges[i].kind), &m), 0);
        char what[32];
        snprintf(what, sizeof(what), "merge %zu", i);
        assert_json(m, merges[i].want, what);
        json_decref(l);
        json_decref(r);
        json_decref(m);
    }
}

/* --- remove, named fields, nulls --- */

static void
test_remove(void **state)
{
    (void)state;
    const struct kc_schema *pod = kind("Pod");
    json_t *o = parse("{\"metadata\":{\"labels\":{\"app\":\"a\"},\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":"
                      "\"a\",\"image\":\"x\"},{\"name\":\"b\",\"image\":\"y\"}],\"tolerations\":[{\"key\":\"k\"}]}}");
    json_t *fv = parse("{\"f:metadata\":{\"f:labels\":{\"f:app\":{}}},\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":"
                       "\\\"b\\\"}\":{},\"k:{\\\"name\\\":\\\"a\\\"}\":{\"f:image\":{}}},\"f:tolerations\":{}}}");
    struct kc_fieldset *s = NULL;
    assert_int_equal(kc_fieldset_from_fields_v1(fv, &s, NULL, 0), 0);
    json_t *out = NULL;
    assert_int_equal(kc_typed_remove(o, s, pod, &out), 0);
    /* the emptied labels map becomes null, as upstream leaves it */
    assert_json(out, "{\"metadata\":{\"labels\":null,\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"a\"}]}}",
                "remove");
    kc_typed_drop_nulls(out, pod);
    assert_json(out, "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"a\"}]}}", "drop_nulls");
    json_decref(out);
    /* an empty set removes nothing */
    struct kc_fieldset *empty = kc_fieldset_new();
    assert_int_equal(kc_typed_remove(o, empty, pod, &out), 0);
    assert_true(kc_json_equal(out, o));
    json_decref(out);
    kc_fieldset_free(empty);
    kc_fieldset_free(s);
    json_decref(fv);
    json_decref(o);
}

static void
test_ensure_named(void **state)
{
    (void)state;
    /* spec, template, labels' parent metadata are named fields; labels entries and list items are not */
    json_t *fv = parse("{\"f:metadata\":{\"f:labels\":{\"f:app\":{}}},\"f:spec\":{\"f:template\":{\"f:spec\":{"
                       "\"f:containers\":{\"k:{\\\"name\\\":\\\"c\\\"}\":{\"f:env\":{\"k:{\\\"name\\\":\\\"E\\\"}\":{"
                       "\"f:value\":{}}}}}}}}}");
    struct kc_fieldset *s = NULL, *n = NULL;
    assert_int_equal(kc_fieldset_from_fields_v1(fv, &s, NULL, 0), 0);
    assert_int_equal(kc_typed_ensure_named(s, kind("Deployment"), &n), 0);
    assert_set(n,
               "{\"f:metadata\":{\".\":{},\"f:labels\":{\".\":{},\"f:app\":{}}},\"f:spec\":{\".\":{},\"f:template\":{"
               "\".\":{},\"f:spec\":{\".\":{},\"f:containers\":{\".\":{},\"k:{\\\"name\\\":\\\"c\\\"}\":{\"f:env\":{"
               "\".\":{},\"k:{\\\"name\\\":\\\"E\\\"}\":{\"f:value\":{}}}}}}}}}",
               "ensure_named");
    kc_fieldset_free(s);
    kc_fieldset_free(n);
    json_decref(fv);
}

/* --- validation --- */

static const struct {
    const char *kind, *obj, *errors;
} validations[] = {
    { "Deployment", "{\"spec\":{\"replicas\":1}}", NULL },
    { "Deployment", "{\"spek\":{},\"spec\":{\"foo\":1,\"zzz\":2}}",
      "[\".spec.foo: field not declared in schema\",\".spek: field not declared in schema\"]" },
    { "Pod",
      "{\"spec\":{\"containers\":[{\"name\":\"c\",\"tty\":\"yes\",\"stdinOnce\":1,\"terminationMessagePath\":1,"
      "\"ports\":[{\"containerPort\":\"80\"}],\"bad\":true}]}}",
      "[\".spec.containers[name=\\\"c\\\"].bad: field not declared in schema\"]" },
    { "Pod",
      "{\"spec\":{\"containers\":[{\"name\":\"c\",\"tty\":\"yes\",\"stdinOnce\":1,\"terminationMessagePath\":1,"
      "\"ports\":[{\"containerPort\":\"80\"}]}]}}",
      "[\".spec.containers[name=\\\"c\\\"].ports[containerPort=\\\"80\\\",protocol=\\\"TCP\\\"].containerPort: "
      "expected numeric (int or float), got string\",\".spec.containers[name=\\\"c\\\"].stdinOnce: expected boolean, "
      "got &{1}\",\".spec.containers[name=\\\"c\\\"].terminationMessagePath: expected string, got "
      "&value.valueUnstructured{Value:1}\",\".spec.containers[name=\\\"c\\\"].tty: expected boolean, got &{yes}\"]" },
    { "Pod", "{\"spec\":{\"containers\":[{\"image\":\"x\"},{\"name\":\"b\"}]}}",
      "[\".spec.containers: element 0: associative list with keys has an element that omits key field \\\"name\\\" "
      "(and doesn't have default value)\"]" },
    { "Pod", "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"a\"}]}}",
      "[\".spec.containers: duplicate entries for key [name=\\\"a\\\"]\"]" },
    { "Pod", "{\"spec\":{\"containers\":{\"name\":\"a\"},\"tolerations\":[1]}}",
      "[\".spec.containers: expected list, got &{map[name:a]}\",\".spec.tolerations[0]: expected map, got &{1}\"]" },
    { "Pod", "{\"metadata\":{\"finalizers\":[{\"a\":1}]}}",
      "[\".metadata.finalizers: element 0: associative list without keys has an element that's a map type\"]" },
    { "Service", "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":{\"x\":1}}]}}",
      "[\".spec.ports[port=80,protocol=\\\"TCP\\\"].targetPort: expected any scalar, got &{map[x:1]}\"]" },
};

static void
test_validate(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(validations) / sizeof(validations[0]); i++) {
        json_t *o = parse(validations[i].obj), *errs = NULL;
        assert_int_equal(kc_typed_validate(o, kind(validations[i].kind), &errs), 0);
        char what[32];
        snprintf(what, sizeof(what), "validate %zu", i);
        if (!validations[i].errors)
            assert_null(errs);
        else
            assert_json(errs, validations[i].errors, what);
        json_decref(errs);
        json_decref(o);
    }
    json_t *one = parse("[\"a: b\"]"), *two = parse("[\"a: b\",\"c: d\"]");
    char *t = kc_typed_errors_text(one);
    assert_string_equal(t, "a: b");
    free(t);
    t = kc_typed_errors_text(two);
    assert_string_equal(t, "errors:\n  a: b\n  c: d");
    free(t);
    json_decref(one);
    json_decref(two);
}

static void
test_empty_object(void **state)
{
    (void)state;
    json_t *d = kc_typed_empty_object(kind("Deployment"));
    assert_non_null(d);
    assert_true(json_is_null(kc_json_get(d, "metadata.creationTimestamp")));
    assert_true(json_is_object(kc_json_get(d, "spec.template.metadata")));
    assert_true(json_is_null(kc_json_get(d, "spec.template.spec.containers")));
    assert_true(json_is_object(kc_json_get(d, "spec.strategy")));
    assert_true(json_is_object(kc_json_get(d, "spec.selector")));
    assert_null(kc_json_get(d, "spec.replicas"));
    assert_true(json_is_object(kc_json_get(d, "status")));
    json_decref(d);
    json_t *c = kc_typed_empty_object(kind("ConfigMap"));
    assert_json(c, "{\"metadata\":{\"creationTimestamp\":null}}", "empty configmap");
    json_decref(c);
}

/* --- out of memory --- */

static int
oom_once(long nth)
{
    const struct kc_schema *sc = kind("Deployment");
    json_t *l = parse(to_sets[0].obj);
    json_t *r = parse("{\"metadata\":{\"labels\":{\"x\":\"y\"}},\"spec\":{\"template\":{\"spec\":{\"containers\":[{"
                      "\"name\":\"n\"},{\"name\":\"c\",\"image\":\"z\"}]}}},\"bad\":1}");
    struct kc_fieldset *s = NULL, *a = NULL, *m = NULL, *rm = NULL, *n = NULL;
    json_t *mg = NULL, *rv = NULL, *errs = NULL;
    kc_fault_arm(KC_FAULT_ALLOC, nth, ENOMEM, false);
    int rc = kc_typed_to_set(l, sc, &s);
    if (rc == 0)
        rc = kc_typed_compare(l, r, sc, &a, &m, &rm);
    if (rc == 0)
        rc = kc_typed_merge(l, r, sc, &mg);
    if (rc == 0)
        rc = kc_typed_remove(l, a, sc, &rv);
    if (rc == 0)
        rc = kc_typed_ensure_named(s, sc, &n);
    if (rc == 0)
        rc = kc_typed_validate(r, sc, &errs);
    long injected = kc_fault_injected(KC_FAULT_ALLOC);
    kc_fault_disarm(KC_FAULT_ALLOC);
    if ((injected && rc != -ENOMEM) || (!injected && rc != 0))
        fail_msg("allocation %ld: rc %d, %ld faults injected", nth, rc, injected);
    kc_fieldset_free(s);
    kc_fieldset_free(a);
    kc_fieldset_free(m);
    kc_fieldset_free(rm);
    kc_fieldset_free(n);
    json_decref(mg);
    json_decref(rv);
    json_decref(errs);
    json_decref(l);
    json_decref(r);
    return (int)injected;
}

static void
test_out_of_memory(void **state)
{
    (void)state;
    long n = 1;
    while (oom_once(n))
        n++;
    assert_true(n > 20);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_to_set),       cmocka_unit_test(test_compare),       cmocka_unit_test(test_merge),
        cmocka_unit_test(test_remove),       cmocka_unit_test(test_ensure_named),  cmocka_unit_test(test_validate),
        cmocka_unit_test(test_empty_object), cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
