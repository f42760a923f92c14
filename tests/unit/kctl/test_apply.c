/* test_apply.c - the client-side apply computation against what the real kubectl 1.33 wrote and sent for the same
 * manifests (tests/unit/data/kctl/apply/cases.json, made by gen.py there), Go's JSON encoding, the JSON merge
 * patch for kinds without a schema, and the error paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc_error.h"
#include "kc_fault.h"
#include "kc_schema.h"
#include "kctl.h"

static json_t *
load_cases(void)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/kctl/apply/cases.json", getenv("K8C_TEST_DATA"));
    json_error_t je;
    json_t *cases = json_load_file(path, 0, &je);
    if (!cases)
        fail_msg("%s: %s", path, je.text);
    return cases;
}

/* The manifest's single object as apply sees it: decoded by kctl's reader, namespace defaulted. */
static json_t *
manifest_object(const char *text)
{
    struct kctl_manifest m = { 0 };
    char err[512];
    if (kctl_manifest_add_buffer(&m, text, strlen(text), "STDIN", err, sizeof(err)) != 0)
        fail_msg("manifest: %s", err);
    assert_int_equal(m.n, 1);
    json_t *obj = json_incref(m.objs[0].obj);
    kctl_manifest_close(&m);
    json_t *md = json_object_get(obj, "metadata");
    if (!json_object_get(md, "namespace"))
        json_object_set_new(md, "namespace", json_string("default"));
    return obj;
}

static const struct kc_schema *
schema_of(const json_t *obj)
{
    char group[64] = "";
    const char *av = json_string_value(json_object_get(obj, "apiVersion"));
    const char *slash = strchr(av, '/');
    if (slash)
        snprintf(group, sizeof(group), "%.*s", (int)(slash - av), av);
    return kc_schema_find_gvk(group, slash ? slash + 1 : av, json_string_value(json_object_get(obj, "kind")));
}

static void
test_matches_kubectl(void **state)
{
    (void)state;
    json_t *cases = load_cases(), *c;
    size_t i, patched = 0, unchanged = 0;
    json_array_foreach(cases, i, c)
    {
        const char *name = json_string_value(json_object_get(c, "case"));
        json_t *obj = manifest_object(json_string_value(json_object_get(c, "manifest")));
        char *cfg = NULL;
        assert_int_equal(kctl_apply_config(obj, &cfg), 0);
        const char *want_cfg = json_string_value(json_object_get(c, "annotation"));
        if (strcmp(cfg, want_cfg) != 0)
            fail_msg("%s: annotation\n got  %s\n want %s", name, cfg, want_cfg);
        free(cfg);

        /* what apply creates carries the same annotation, and the object is otherwise unchanged */
        json_t *created = NULL;
        assert_int_equal(kctl_apply_annotated(obj, &created), 0);
        const char *ann = json_string_value(
            json_object_get(json_object_get(json_object_get(created, "metadata"), "annotations"), KCTL_LAST_APPLIED));
        assert_non_null(ann);
        assert_string_equal(ann, want_cfg);
        json_decref(created);

        const json_t *live = json_object_get(c, "live");
        if (json_is_object(live)) {
            char *patch = (char *)"unset", err[256];
            const char *ctype = NULL;
            int rc = kctl_apply_patch(obj, live, schema_of(obj), &patch, &ctype, err, sizeof(err));
            if (rc != 0)
                fail_msg("%s: rc %d: %s", name, rc, err);
            const char *want = json_string_value(json_object_get(c, "patch"));
            const char *out = json_string_value(json_object_get(c, "output"));
            if (strstr(out, " unchanged")) {
                if (patch)
                    fail_msg("%s: kubectl says unchanged, kctl patches %s", name, patch);
                unchanged++;
            } else {
                if (!patch || strcmp(patch, want) != 0)
                    fail_msg("%s: patch\n got  %s\n want %s", name, patch ? patch : "(none)", want);
                assert_string_equal(ctype, "application/strategic-merge-patch+json");
                patched++;
            }
            free(patch);
        }
        json_decref(obj);
    }
    assert_true(patched >= 4);
    assert_true(unchanged >= 2);
    json_decref(cases);
}

static void
expect_go(const json_t *v, const char *want)
{
    char *s = kctl_json_go(v);
    assert_non_null(s);
    if (strcmp(s, want) != 0)
        fail_msg("got  %s\nwant %s", s, want);
    free(s);
}

static void
expect_real(double d, const char *want)
{
    json_t *v = json_real(d);
    expect_go(v, want);
    json_decref(v);
}

/* What Go's encoding/json prints for the same values (float64 shortest form, string escapes). */
static void
test_go_encoding(void **state)
{
    (void)state;
    expect_real(0.5, "0.5");
    expect_real(0.1, "0.1");
    expect_real(1e21, "1e+21");
    expect_real(1e20, "100000000000000000000");
    expect_real(123456789.125, "123456789.125");
    expect_real(1e-6, "0.000001");
    expect_real(1e-7, "1e-7");
    expect_real(1.5e-10, "1.5e-10");
    expect_real(-2.5e300, "-2.5e+300");
    expect_real(0.0, "0");
    expect_real(-0.0, "-0");
    expect_real(5.0, "5");
    expect_real(1.0 / 3.0, "0.3333333333333333");
    expect_real(NAN, "null");

    static const char raw[] = "q\"b\\s/<>&\x01\x1f\b\f\n\r\t\xe2\x80\xa8\xe2\x80\xa9\xc3\xa9\xff!\xc0\xaf\xed\xa0\x80"
                              "\xf0\x9f\x98\x80";
    json_t *s = json_stringn_nocheck(raw, sizeof(raw) - 1);
    expect_go(s, "\"q\\\"b\\\\s/\\u003c\\u003e\\u0026\\u0001\\u001f\\b\\f\\n\\r\\t\\u2028\\u2029\xc3\xa9\\ufffd!"
                 "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\xf0\x9f\x98\x80\"");
    json_decref(s);
    s = json_stringn("a\0b", 3);
    expect_go(s, "\"a\\u0000b\"");
    json_decref(s);

    json_t *v = json_pack("{s:i, s:[b, b, n, f], s:{}, s:[], s:s, s:I}", "b", 1, "a10", 1, 0, 2.0, "a2", "", "A", "Z",
                          "x", (json_int_t)-9007199254740993LL);
    expect_go(v, "{\"\":[],\"A\":\"Z\",\"a10\":[true,false,null,2],\"a2\":{},\"b\":1,\"x\":-9007199254740993}");
    json_decref(v);
    expect_go(NULL, "null");
}

static void
test_annotation_shape(void **state)
{
    (void)state;
    /* no annotations: {} appears; other annotations stay; an old last-applied is never nested */
    json_t *o = json_pack("{s:s, s:s, s:{s:s}}", "kind", "ConfigMap", "apiVersion", "v1", "metadata", "name", "x");
    char *cfg;
    assert_int_equal(kctl_apply_config(o, &cfg), 0);
    assert_string_equal(cfg, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"annotations\":{},"
                             "\"name\":\"x\"}}\n");
    free(cfg);
    json_object_set_new(json_object_get(o, "metadata"), "annotations",
                        json_pack("{s:s, s:s}", KCTL_LAST_APPLIED, "{\"old\":1}", "keep", "me"));
    assert_int_equal(kctl_apply_config(o, &cfg), 0);
    assert_string_equal(cfg, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"annotations\":{\"keep\":"
                             "\"me\"},\"name\":\"x\"}}\n");
    /* the input is not modified */
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(o, "metadata"), "annotations"), KCTL_LAST_APPLIED)),
                        "{\"old\":1}");
    free(cfg);
    /* metadata that is not an object is replaced, as Unstructured.SetAnnotations does */
    json_t *bare = json_pack("{s:s}", "kind", "X");
    assert_int_equal(kctl_apply_config(bare, &cfg), 0);
    assert_string_equal(cfg, "{\"kind\":\"X\",\"metadata\":{\"annotations\":{}}}\n");
    free(cfg);
    json_decref(bare);
    assert_int_equal(kctl_apply_config(NULL, &cfg), KC_EINVALID);
    assert_int_equal(kctl_apply_config(o, NULL), KC_EINVALID);
    json_decref(o);
}

/* A kind without a schema gets a JSON merge patch: lists replaced whole, removed fields null. */
static void
test_merge_patch_without_schema(void **state)
{
    (void)state;
    json_t *old = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:[{s:s}, {s:s}], s:i, s:s}}", "apiVersion", "x.io/v1", "kind",
                            "Widget", "metadata", "name", "w", "namespace", "default", "spec", "items", "name", "a",
                            "name", "b", "size", 1, "gone", "soon");
    json_t *live = NULL;
    assert_int_equal(kctl_apply_annotated(old, &live), 0);
    json_object_set_new(json_object_get(live, "metadata"), "uid", json_string("u-1"));
    json_object_set_new(live, "status", json_pack("{s:b}", "ready", 1));

    json_t *mod = json_deep_copy(old);
    json_t *spec = json_object_get(mod, "spec");
    json_object_del(spec, "gone");
    json_array_remove(json_object_get(spec, "items"), 0);
    char *patch = NULL, err[256];
    const char *ctype = NULL;
    assert_int_equal(kctl_apply_patch(mod, live, NULL, &patch, &ctype, err, sizeof(err)), 0);
    assert_string_equal(ctype, "application/merge-patch+json");
    char *cfg;
    assert_int_equal(kctl_apply_config(mod, &cfg), 0);
    json_t *ann = json_string(cfg);
    char *annq = kctl_json_go(ann);
    char want[2048];
    snprintf(want, sizeof(want),
             "{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":%s}},"
             "\"spec\":{\"gone\":null,\"items\":[{\"name\":\"b\"}]}}",
             annq);
    assert_string_equal(patch, want);
    free(patch);
    free(annq);
    free(cfg);
    json_decref(ann);

    /* the same configuration again: nothing to send (server-set fields do not matter) */
    patch = (char *)"unset";
    assert_int_equal(kctl_apply_patch(old, live, NULL, &patch, NULL, err, sizeof(err)), 0);
    assert_null(patch);

    /* errors */
    json_object_set_new(json_object_get(json_object_get(live, "metadata"), "annotations"), KCTL_LAST_APPLIED,
                        json_string("{not json"));
    assert_int_equal(kctl_apply_patch(old, live, NULL, &patch, NULL, err, sizeof(err)), KC_EPARSE);
    assert_non_null(strstr(err, "last-applied-configuration annotation of the live object is not JSON"));
    assert_int_equal(kctl_apply_patch(old, NULL, NULL, &patch, NULL, err, sizeof(err)), KC_EINVALID);
    assert_int_equal(kctl_apply_patch(NULL, live, NULL, &patch, NULL, err, sizeof(err)), KC_EINVALID);
    assert_int_equal(kctl_apply_patch(old, live, NULL, NULL, NULL, err, sizeof(err)), KC_EINVALID);
    /* a merge key missing from a keyed list is the patch library's error */
    json_t *pod = json_pack("{s:s, s:s, s:{s:s}, s:{s:[{s:s}]}}", "apiVersion", "v1", "kind", "Pod", "metadata", "name",
                            "p", "spec", "containers", "image", "x");
    json_t *plive = json_pack("{s:s, s:s, s:{s:s}, s:{s:[{s:s, s:s}]}}", "apiVersion", "v1", "kind", "Pod", "metadata",
                              "name", "p", "spec", "containers", "name", "c", "image", "y");
    assert_int_equal(kctl_apply_patch(pod, plive, kc_schema_find_gvk("", "v1", "Pod"), &patch, NULL, err, sizeof(err)),
                     KC_EBADREQUEST);
    assert_non_null(strstr(err, "does not contain declared merge key: name"));
    json_decref(pod);
    json_decref(plive);
    json_decref(mod);
    json_decref(old);
    json_decref(live);
}

/* Every allocation failure gives -ENOMEM or the same answer as without faults. */
static void
test_out_of_memory(void **state)
{
    (void)state;
    json_t *cases = load_cases();
    json_t *c = json_array_get(cases, 1); /* a deployment patch */
    json_t *obj = manifest_object(json_string_value(json_object_get(c, "manifest")));
    const json_t *live = json_object_get(c, "live");
    const char *want = json_string_value(json_object_get(c, "patch"));
    bool done = false;
    for (long nth = 1; !done && nth < 20000; nth++) {
        char *patch = NULL, *cfg = NULL, err[256];
        kc_fault_arm(KC_FAULT_ALLOC, nth, 0, false);
        int rc = kctl_apply_patch(obj, live, schema_of(obj), &patch, NULL, err, sizeof(err));
        int rc2 = kctl_apply_config(obj, &cfg);
        done = kc_fault_injected(KC_FAULT_ALLOC) == 0;
        kc_fault_disarm(KC_FAULT_ALLOC);
        if (rc == 0)
            assert_string_equal(patch, want);
        else
            assert_int_equal(rc, -ENOMEM);
        assert_true(rc2 == 0 || rc2 == -ENOMEM);
        free(patch);
        free(cfg);
    }
    assert_true(done);
    json_decref(obj);
    json_decref(cases);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_kubectl),  cmocka_unit_test(test_go_encoding),
        cmocka_unit_test(test_annotation_shape), cmocka_unit_test(test_merge_patch_without_schema),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
