/* test_strict.c - field validation: the strict errors of upstream's field-validation integration test (create/PUT
 * bodies in document order, patch bodies' duplicates, patched objects' unknown fields in sorted order, JSON patch
 * operations, apply's go-yaml duplicate lines), what is not looked into (RawExtension), pruning, malformed
 * input and out-of-memory. */
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
#include "kc_schema.h"
#include "kc_strict.h"

#include "../json_fixture.h"

static const struct kc_schema *
deployment(void)
{
    const struct kc_schema *s = kc_schema_find_gvk("apps", "v1", "Deployment");
    assert_non_null(s);
    return s;
}

static void
assert_text(const json_t *errors, const char *want, const char *what)
{
    char *got = kc_strict_error_text(errors);
    assert_non_null(got);
    if (strcmp(got, want) != 0)
        fail_msg("%s:\n  got  %s\n  want %s", what, got, want);
    free(got);
}

/* upstream's invalidBodyJSON (test/integration/apiserver/field_validation_test.go), tabs and all */
static const char invalid_body[] = "\n\t{\n"
                                   "\t\t\"apiVersion\": \"apps/v1\",\n"
                                   "\t\t\"kind\": \"Deployment\",\n"
                                   "\t\t\"metadata\": {\n"
                                   "\t\t\t\"name\": \"dupename\",\n"
                                   "\t\t\t\"name\": \"test-deployment\",\n"
                                   "\t\t\t\"unknownMeta\": \"metaVal\",\n"
                                   "\t\t\t\"labels\": {\"app\": \"nginx\"}\n"
                                   "\t\t},\n"
                                   "\t\t\"spec\": {\n"
                                   "\t\t\t\"unknown1\": \"val1\",\n"
                                   "\t\t\t\"unknownDupe\": \"valDupe\",\n"
                                   "\t\t\t\"unknownDupe\": \"valDupe2\",\n"
                                   "\t\t\t\"paused\": true,\n"
                                   "\t\t\t\"paused\": false,\n"
                                   "\t\t\t\"selector\": {\"matchLabels\": {\"app\": \"nginx\"}},\n"
                                   "\t\t\t\"template\": {\"metadata\": {\"labels\": {\"app\": \"nginx\"}},\n"
                                   "\t\t\t\t\"spec\": {\"containers\": [{\n"
                                   "\t\t\t\t\t\"name\":  \"nginx\",\n"
                                   "\t\t\t\t\t\"image\": \"nginx:latest\",\n"
                                   "\t\t\t\t\t\"unknownNested\": \"val1\",\n"
                                   "\t\t\t\t\t\"imagePullPolicy\": \"Always\",\n"
                                   "\t\t\t\t\t\"imagePullPolicy\": \"Never\"\n"
                                   "\t\t\t\t}]}\n"
                                   "\t\t\t}\n"
                                   "\t\t}\n"
                                   "\t}\n\t\t";

static void
test_create_body(void **state)
{
    (void)state;
    json_t *errs = NULL;
    assert_int_equal(kc_strict_scan(invalid_body, strlen(invalid_body), deployment(),
                                    KC_STRICT_UNKNOWN | KC_STRICT_DUPLICATES, NULL, &errs),
                     0);
    assert_text(errs,
                "strict decoding error: duplicate field \"metadata.name\", unknown field \"metadata.unknownMeta\", "
                "unknown field \"spec.unknown1\", unknown field \"spec.unknownDupe\", duplicate field \"spec.paused\", "
                "unknown field \"spec.template.spec.containers[0].unknownNested\", duplicate field "
                "\"spec.template.spec.containers[0].imagePullPolicy\"",
                "create body");
    json_decref(errs);
    /* only one kind of check */
    assert_int_equal(kc_strict_scan(invalid_body, strlen(invalid_body), deployment(), KC_STRICT_UNKNOWN, NULL, &errs),
                     0);
    assert_int_equal(json_array_size(errs), 4);
    json_decref(errs);
    assert_int_equal(kc_strict_scan(invalid_body, strlen(invalid_body), deployment(), 0, NULL, &errs), 0);
    assert_int_equal(json_array_size(errs), 0);
    json_decref(errs);
}

/* upstream's mergePatchBody: duplicates from the patch, then the patched object's unknown fields, sorted */
static const char merge_patch[] = "{\"spec\": {\"unknown1\": \"val1\", \"unknownDupe\": \"valDupe\", \"unknownDupe\": "
                                  "\"valDupe2\", \"paused\": true, \"paused\": false, \"template\": {\"spec\": {"
                                  "\"containers\": [{\"name\": \"nginx\", \"image\": \"nginx:latest\", "
                                  "\"unknownNested\": \"val1\", \"imagePullPolicy\": \"Always\", "
                                  "\"imagePullPolicy\": \"Never\"}]}}}}";

static void
test_patch(void **state)
{
    (void)state;
    json_t *errs = NULL;
    assert_int_equal(
        kc_strict_scan(merge_patch, strlen(merge_patch), NULL, KC_STRICT_DUPLICATES | KC_STRICT_UNKNOWN, NULL, &errs),
        0);
    json_t *patched =
        parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":{\"unknownDupe\":\"valDupe2\","
              "\"paused\":false,\"unknown1\":\"val1\",\"template\":{\"spec\":{\"containers\":[{\"name\":"
              "\"nginx\",\"unknownNested\":\"val1\",\"imagePullPolicy\":\"Never\"}]}}}}");
    assert_int_equal(kc_strict_unknown(patched, deployment(), errs), 0);
    assert_text(errs,
                "strict decoding error: duplicate field \"spec.unknownDupe\", duplicate field \"spec.paused\", "
                "duplicate field \"spec.template.spec.containers[0].imagePullPolicy\", unknown field "
                "\"spec.template.spec.containers[0].unknownNested\", unknown field \"spec.unknown1\", unknown field "
                "\"spec.unknownDupe\"",
                "merge patch");
    /* the unknown walk does not repeat messages already there */
    assert_int_equal(kc_strict_unknown(patched, deployment(), errs), 0);
    assert_int_equal(json_array_size(errs), 6);
    json_decref(errs);
    json_decref(patched);
}

static void
test_json_patch(void **state)
{
    (void)state;
    static const char ops[] =
        "[{\"op\": \"add\", \"path\": \"/spec/unknown1\", \"value\": \"val1\", \"foo\":\"bar\"},"
        "{\"op\": \"add\", \"path\": \"/spec/unknown2\", \"path\": \"/spec/unknown3\", \"value\": "
        "{\"a\":1,\"a\":2}}]";
    json_t *errs = NULL;
    assert_int_equal(kc_strict_scan(ops, strlen(ops), kc_strict_json_patch_schema(),
                                    KC_STRICT_UNKNOWN | KC_STRICT_DUPLICATES, "json patch ", &errs),
                     0);
    /* values decode into interface{}: duplicates in them count, nothing in them is unknown */
    assert_text(errs,
                "strict decoding error: json patch unknown field \"[0].foo\", json patch duplicate field \"[1].path\", "
                "json patch duplicate field \"[1].value.a\"",
                "json patch");
    json_decref(errs);
}

/* upstream's applyInvalidBody: apply's duplicate check is go-yaml's, by line */
static const char apply_body[] = "{\n"
                                 "\t\t\"apiVersion\": \"apps/v1\",\n"
                                 "\t\t\"kind\": \"Deployment\",\n"
                                 "\t\t\"metadata\": {\n"
                                 "\t\t\t\"name\": \"x\",\n"
                                 "\t\t\t\"labels\": {\"app\": \"nginx\"}\n"
                                 "\t\t},\n"
                                 "\t\t\"spec\": {\n"
                                 "\t\t\t\"paused\": false,\n"
                                 "\t\t\t\"paused\": true,\n"
                                 "\t\t\t\"selector\": {\n"
                                 "\t\t\t\t\"matchLabels\": {\n"
                                 "\t\t\t\t\t\"app\": \"nginx\"\n"
                                 "\t\t\t\t}\n"
                                 "\t\t\t},\n"
                                 "\t\t\t\"template\": {\n"
                                 "\t\t\t\t\"metadata\": {\n"
                                 "\t\t\t\t\t\"labels\": {\n"
                                 "\t\t\t\t\t\t\"app\": \"nginx\"\n"
                                 "\t\t\t\t\t}\n"
                                 "\t\t\t\t},\n"
                                 "\t\t\t\t\"spec\": {\n"
                                 "\t\t\t\t\t\"containers\": [{\n"
                                 "\t\t\t\t\t\t\"name\":  \"nginx\",\n"
                                 "\t\t\t\t\t\t\"image\": \"nginx:latest\",\n"
                                 "\t\t\t\t\t\t\"imagePullPolicy\": \"Never\",\n"
                                 "\t\t\t\t\t\t\"imagePullPolicy\": \"Always\"\n"
                                 "\t\t\t\t\t}]\n"
                                 "\t\t\t\t}\n"
                                 "\t\t\t}\n"
                                 "\t\t}\n"
                                 "\t}";

static void
test_yaml_lines(void **state)
{
    (void)state;
    json_t *errs = NULL;
    assert_int_equal(kc_strict_scan(apply_body, strlen(apply_body), NULL, KC_STRICT_YAML_LINES, NULL, &errs), 0);
    char *t = json_dumps(errs, JSON_COMPACT);
    assert_string_equal(t, "[\"line 10: key \\\"paused\\\" already set in map\",\"line 27: key \\\"imagePullPolicy\\\" "
                           "already set in map\"]");
    free(t);
    json_decref(errs);
}

static void
test_scopes(void **state)
{
    (void)state;
    const struct kc_schema *cr = kc_schema_find_gvk("apps", "v1", "ControllerRevision");
    const struct kc_schema *cm = kc_schema_find_gvk("", "v1", "ConfigMap");
    assert_non_null(cr);
    assert_non_null(cm);
    /* RawExtension contents are neither unknown nor checked for duplicates; map keys are checked */
    static const char rev[] = "{\"revision\":1,\"data\":{\"x\":1,\"x\":2,\"y\":{\"z\":1}},\"metadata\":{\"labels\":"
                              "{\"a\":\"1\",\"a\":\"2\"},\"annotations\":{\"k\\u00e9\":\"v\"}}}";
    json_t *errs = NULL;
    assert_int_equal(kc_strict_scan(rev, strlen(rev), cr, KC_STRICT_UNKNOWN | KC_STRICT_DUPLICATES, NULL, &errs), 0);
    assert_text(errs, "strict decoding error: duplicate field \"metadata.labels.a\"", "scopes");
    json_decref(errs);
    /* escaped keys are compared decoded; unknown keys inside unknown fields are not looked into */
    static const char cmb[] = "{\"d\\u0061ta\":{},\"data\":{},\"extra\":{\"deeper\":{\"x\":1,\"x\":1}}}";
    assert_int_equal(kc_strict_scan(cmb, strlen(cmb), cm, KC_STRICT_UNKNOWN | KC_STRICT_DUPLICATES, NULL, &errs), 0);
    assert_text(errs, "strict decoding error: duplicate field \"data\", unknown field \"extra\"", "escapes");
    json_decref(errs);
}

static void
test_prune(void **state)
{
    (void)state;
    json_t *o =
        parse("{\"apiVersion\":\"apps/v1\",\"spek\":1,\"metadata\":{\"name\":\"a\",\"x\":1},\"spec\":{\"template\":"
              "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"c\"}],\"containers\":[{\"name\":\"c\","
              "\"bogus\":true}]}}}}");
    kc_strict_prune(o, deployment());
    char *t = json_dumps(o, JSON_COMPACT);
    assert_string_equal(t,
                        "{\"apiVersion\":\"apps/v1\",\"metadata\":{\"name\":\"a\"},\"spec\":{\"template\":{\"spec\":{"
                        "\"containers\":[{\"name\":\"c\"}]}}}}");
    free(t);
    json_decref(o);
    /* RawExtension contents stay */
    json_t *r = parse("{\"data\":{\"anything\":{\"goes\":1}},\"nope\":1}");
    kc_strict_prune(r, kc_schema_find_gvk("apps", "v1", "ControllerRevision"));
    t = json_dumps(r, JSON_COMPACT);
    assert_string_equal(t, "{\"data\":{\"anything\":{\"goes\":1}}}");
    free(t);
    json_decref(r);
}

static void
test_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "{", "{\"a\":}", "{\"a\" 1}", "[1,]", "{\"a\":1} x", "\"\\q\"", "{\"a\":1,}"
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *errs = NULL;
        if (kc_strict_scan(bad[i], strlen(bad[i]), deployment(), KC_STRICT_UNKNOWN | KC_STRICT_DUPLICATES, NULL,
                           &errs) != KC_EPARSE)
            fail_msg("malformed %zu (%s) not rejected", i, bad[i]);
        assert_null(errs);
    }
}

static void
test_limit(void **state)
{
    (void)state;
    /* at most 100 errors */
    char buf[8192];
    size_t n = (size_t)snprintf(buf, sizeof(buf), "{");
    for (int i = 0; i < 150; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\"u%d\":1", i ? "," : "", i);
    snprintf(buf + n, sizeof(buf) - n, "}");
    json_t *errs = NULL;
    assert_int_equal(kc_strict_scan(buf, strlen(buf), deployment(), KC_STRICT_UNKNOWN, NULL, &errs), 0);
    assert_int_equal(json_array_size(errs), KC_STRICT_MAX_ERRORS);
    json_decref(errs);
}

static int
oom_once(long nth)
{
    json_t *errs = NULL, *patched = parse("{\"spec\":{\"a\":1,\"template\":{\"spec\":{\"b\":2}}}}");
    kc_fault_arm(KC_FAULT_ALLOC, nth, ENOMEM, false);
    int rc = kc_strict_scan(invalid_body, strlen(invalid_body), deployment(), KC_STRICT_UNKNOWN | KC_STRICT_DUPLICATES,
                            NULL, &errs);
    if (rc == 0)
        rc = kc_strict_unknown(patched, deployment(), errs);
    char *t = rc == 0 ? kc_strict_error_text(errs) : NULL;
    if (rc == 0 && !t)
        rc = -ENOMEM;
    long injected = kc_fault_injected(KC_FAULT_ALLOC);
    kc_fault_disarm(KC_FAULT_ALLOC);
    if ((injected && rc != -ENOMEM) || (!injected && rc != 0))
        fail_msg("allocation %ld: rc %d, %ld faults injected", nth, rc, injected);
    free(t);
    json_decref(errs);
    json_decref(patched);
    return (int)injected;
}

static void
test_out_of_memory(void **state)
{
    (void)state;
    long n = 1;
    while (oom_once(n))
        n++;
    assert_true(n > 10);
}

/* Go's decoding type errors (kc_strict_types): the first wrong value in member order, with the innermost
 * struct, the JSON path without indexes and Go's type name; null anywhere and the self-decoding types pass. */
static void
test_types(void **state)
{
    (void)state;
    static const struct {
        const char *schema, *body, *want; /* want NULL: accepted */
    } cases[] = {
        { "io.k8s.api.core.v1.Pod", "{\"metadata\":{\"labels\":{\"a\":\"b\",\"x\":1}}}",
          "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string" },
        { "io.k8s.api.core.v1.Pod", "{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":3}]}}",
          "json: cannot unmarshal number into Go struct field Container.spec.containers.image of type string" },
        { "io.k8s.api.core.v1.Pod", "{\"spec\":\"x\"}",
          "json: cannot unmarshal string into Go struct field Pod.spec of type v1.PodSpec" },
        { "io.k8s.api.core.v1.Pod", "{\"spec\":{\"containers\":{}}}",
          "json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container" },
        { "io.k8s.api.core.v1.Pod", "{\"metadata\":{\"labels\":[]}}",
          "json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type map[string]string" },
        { "io.k8s.api.core.v1.Pod",
          "{\"spec\":{\"containers\":[{\"name\":\"c\",\"ports\":[{\"containerPort\":1.5}]}]}}",
          "json: cannot unmarshal number 1.5 into Go struct field ContainerPort.spec.containers.ports.containerPort "
          "of type int32" },
        { "io.k8s.api.core.v1.Pod",
          "{\"spec\":{\"containers\":[{\"name\":\"c\",\"ports\":[{\"containerPort\":3000000000}]}]}}",
          "json: cannot unmarshal number 3000000000 into Go struct field ContainerPort.spec.containers.ports."
          "containerPort of type int32" },
        { "io.k8s.api.apps.v1.Deployment", "{\"spec\":{\"replicas\":\"3\"}}",
          "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32" },
        { "io.k8s.api.core.v1.Pod", "{\"spec\":{\"hostNetwork\":\"true\"}}",
          "json: cannot unmarshal string into Go struct field PodSpec.spec.hostNetwork of type bool" },
        { "io.k8s.api.core.v1.Secret", "{\"data\":{\"k\":5}}",
          "json: cannot unmarshal number into Go struct field Secret.data of type []uint8" },
        /* the first in member order wins */
        { "io.k8s.api.core.v1.Pod", "{\"spec\":{\"hostNetwork\":1},\"metadata\":{\"name\":2}}",
          "json: cannot unmarshal number into Go struct field PodSpec.spec.hostNetwork of type bool" },
        /* accepted: nulls, unknown fields, Quantity numbers, IntOrString either way, any JSON, a big int64 */
        { "io.k8s.api.core.v1.Pod",
          "{\"metadata\":{\"labels\":null,\"nosuch\":5},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":null,"
          "\"resources\":{\"limits\":{\"cpu\":2}},\"livenessProbe\":{\"httpGet\":{\"port\":\"http\"}}}],"
          "\"activeDeadlineSeconds\":9007199254740993}}",
          NULL },
        { "io.k8s.api.apps.v1.Deployment",
          "{\"spec\":{\"strategy\":{\"rollingUpdate\":{\"maxSurge\":1,\"maxUnavailable\":\"25%\"}}}}", NULL },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct kc_schema *sc = kc_schema_find(cases[i].schema);
        assert_non_null(sc);
        json_t *obj = json_loads(cases[i].body, 0, NULL);
        assert_non_null(obj);
        char *err = NULL;
        int rc = kc_strict_types(obj, sc, NULL, &err);
        if (!cases[i].want) {
            if (rc != 0)
                fail_msg("case %zu: refused: %s", i, err ? err : "?");
        } else if (rc != KC_EINVALID || !err || strcmp(err, cases[i].want) != 0) {
            fail_msg("case %zu: rc %d\n  got  %s\n  want %s", i, rc, err ? err : "(none)", cases[i].want);
        }
        free(err);
        json_decref(obj);
    }
    /* out of memory anywhere: -ENOMEM, nothing leaked */
    const struct kc_schema *pod = kc_schema_find("io.k8s.api.core.v1.Pod");
    json_t *obj = json_loads(cases[0].body, 0, NULL);
    int ooms = 0;
    for (long nth = 1; nth < 64; nth++) {
        char *err = NULL;
        kc_fault_arm(KC_FAULT_ALLOC, nth, ENOMEM, false);
        int rc = kc_strict_types(obj, pod, NULL, &err);
        long injected = kc_fault_injected(KC_FAULT_ALLOC);
        kc_fault_disarm(KC_FAULT_ALLOC);
        free(err);
        if (!injected) {
            assert_int_equal(rc, KC_EINVALID);
            break;
        }
        assert_int_equal(rc, -ENOMEM);
        ooms++;
    }
    assert_true(ooms > 0);
    json_decref(obj);
}

/* kc_strict_types' unknown flag says exactly when kc_strict_scan finds unknown fields and kc_strict_prune has
 * something to remove (what lets api_strict_body skip both for a body without repeated keys). */
static void
test_types_unknown(void **state)
{
    (void)state;
    static const struct {
        const char *schema, *body;
        bool unknown;
    } cases[] = {
        { "io.k8s.api.core.v1.Pod", "{\"metadata\":{\"name\":\"a\",\"labels\":{\"x\":\"y\"}}}", false },
        { "io.k8s.api.core.v1.Pod", "{\"metadata\":{\"nosuch\":1}}", true },
        { "io.k8s.api.core.v1.Pod", "{\"nosuch\":{\"a\":1}}", true },
        { "io.k8s.api.core.v1.Pod", "{\"spec\":{\"containers\":[{\"name\":\"c\"},{\"name\":\"d\",\"x\":1}]}}", true },
        { "io.k8s.api.core.v1.Pod",
          "{\"spec\":{\"containers\":[{\"name\":\"c\",\"resources\":{\"limits\":"
          "{\"cpu\":\"1\"}}}],\"nodeSelector\":{\"nosuch\":\"v\"}}}",
          false },
        { "io.k8s.api.core.v1.Pod", "{\"spec\":null,\"status\":{}}", false },
        /* a map of structs: the structs' members are judged */
        { "io.k8s.api.core.v1.ResourceQuota", "{\"spec\":{\"hard\":{\"pods\":\"2\"}}}", false },
        { "io.k8s.api.core.v1.Secret", "{\"data\":{\"k\":\"dg==\"},\"stringData\":{\"z\":\"y\"}}", false },
        /* RawExtension and JSON fields are not looked into */
        { "io.k8s.api.apps.v1.ControllerRevision", "{\"data\":{\"anything\":{\"goes\":1}},\"revision\":1}", false },
        { "io.k8s.api.apps.v1.ControllerRevision", "{\"data\":{\"a\":1},\"extra\":1}", true },
        { "io.k8s.api.apps.v1.Deployment",
          "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"env\":[{\"name\":\"A\","
          "\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"x\",\"bad\":1}}}]}]}}}}",
          true },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct kc_schema *sc = kc_schema_find(cases[i].schema);
        assert_non_null(sc);
        json_t *obj = json_loads(cases[i].body, 0, NULL);
        assert_non_null(obj);
        char *err = NULL;
        bool unknown = !cases[i].unknown;
        assert_int_equal(kc_strict_types(obj, sc, &unknown, &err), 0);
        if (unknown != cases[i].unknown)
            fail_msg("case %zu: unknown %d, want %d", i, unknown, cases[i].unknown);
        json_t *errs = NULL;
        assert_int_equal(kc_strict_scan(cases[i].body, strlen(cases[i].body), sc, KC_STRICT_UNKNOWN, NULL, &errs), 0);
        if ((json_array_size(errs) > 0) != unknown)
            fail_msg("case %zu: kc_strict_scan found %zu unknown fields", i, json_array_size(errs));
        json_decref(errs);
        json_t *pruned = json_deep_copy(obj);
        kc_strict_prune(pruned, sc);
        if (json_equal(pruned, obj) == unknown)
            fail_msg("case %zu: kc_strict_prune %s", i, unknown ? "removed nothing" : "removed something");
        json_decref(pruned);
        json_decref(obj);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_body), cmocka_unit_test(test_patch),         cmocka_unit_test(test_json_patch),
        cmocka_unit_test(test_yaml_lines),  cmocka_unit_test(test_scopes),        cmocka_unit_test(test_prune),
        cmocka_unit_test(test_malformed),   cmocka_unit_test(test_limit),         cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_types),       cmocka_unit_test(test_types_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
