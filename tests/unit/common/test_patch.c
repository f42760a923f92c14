/* test_patch.c - JSON merge patch (RFC 7386 appendix A), JSON patch (RFC 6902 appendix A and the evanphx/json-patch
 * v4 behaviour kube-apiserver has), strategic merge patch on the Kubernetes 1.33 schemas and on a copy of
 * upstream's test schema (with upstream's fixture facts), and kubectl's three-way patch. The tables live in
 * tests/unit/data/patch/ (one JSON file per table). */
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
#include "kc_patch.h"
#include "kc_schema.h"

#include "../json_fixture.h"

/* --- helpers --- */

/* Reads and parses tests/unit/data/patch/<file>. */
static json_t *
load(const char *file)
{
    const char *dir = getenv("K8C_TEST_DATA");
    char path[1024], err[256];
    json_t *v = NULL;

    assert_non_null(dir);
    snprintf(path, sizeof(path), "%s/patch/%s", dir, file);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    if (kc_json_parse(buf, (size_t)n, &v, err, sizeof(err)) != 0)
        fail_msg("%s: %s", path, err);
    free(buf);
    assert_true(json_is_array(v));
    return v;
}

static char *
canon(const json_t *v)
{
    char *s = v ? kc_json_canonical(v) : strdup("(none)");
    assert_non_null(s);
    return s;
}

/* Fails with both sides printed unless got and want are the same JSON (arrays in order, integer != real). */
static void
expect_json(const char *name, const char *what, const json_t *got, const json_t *want)
{
    char *g = canon(got), *w = canon(want);
    if (strcmp(g, w) != 0) {
        print_error("%s: %s\n  got:  %s\n  want: %s\n", name, what, g, w);
        free(g);
        free(w);
        fail();
    }
    free(g);
    free(w);
}

static void
expect_text(const char *name, const json_t *got, const char *want)
{
    char *g = canon(got);
    if (strcmp(g, want) != 0) {
        print_error("%s\n  got:  %s\n  want: %s\n", name, g, want);
        free(g);
        fail();
    }
    free(g);
}

static int
code_of(const json_t *c)
{
    const char *s = json_string_value(json_object_get(c, "code"));
    if (!s || strcmp(s, "INVALID") == 0)
        return KC_EINVALID;
    if (strcmp(s, "BADREQUEST") == 0)
        return KC_EBADREQUEST;
    fail_msg("unknown code %s", s);
    return 0;
}

static void
expect_error(const char *name, int rc, int want_rc, const char *err, const char *want)
{
    if (rc != want_rc)
        fail_msg("%s: rc %d (%s), want %d (%s); err: %s", name, rc, kc_strerror(rc), want_rc, kc_strerror(want_rc),
                 err);
    if (!strstr(err, want))
        fail_msg("%s: error\n  got:  %s\n  want: %s", name, err, want);
}

static const struct kc_schema *
schema_of(const json_t *c)
{
    const json_t *g = json_object_get(c, "gvk");
    if (!json_is_array(g))
        return NULL;
    const struct kc_schema *s =
        kc_schema_find_gvk(json_string_value(json_array_get(g, 0)), json_string_value(json_array_get(g, 1)),
                           json_string_value(json_array_get(g, 2)));
    if (!s)
        fail_msg("no schema for %s", json_string_value(json_array_get(g, 2)));
    return s;
}

/* Applies a strategic patch to a copy of doc; the copy is returned (or NULL on error, with err set). */
static json_t *
smp(const json_t *doc, const json_t *patch, const struct kc_schema *s, int *rc, char *err, size_t errlen)
{
    json_t *d = json_deep_copy(doc);
    json_t *before = json_deep_copy(doc);
    json_t *orig_ptr = d;
    *rc = kc_patch_strategic(&d, patch, s, err, errlen);
    if (*rc != 0) {
        /* all-or-nothing: the document is untouched */
        assert_ptr_equal(d, orig_ptr);
        expect_json("error path", "document unchanged", d, before);
        json_decref(d);
        d = NULL;
    }
    json_decref(before);
    return d;
}

/* --- the upstream test schema (strategicpatch's mergeItem and retainKeysStruct) --- */

static const struct kc_schema t_string = { .type = KC_SCHEMA_STRING };
static const struct kc_schema t_int = { .type = KC_SCHEMA_INTEGER };
static const struct kc_schema t_any = { .type = KC_SCHEMA_ANY };
static const struct kc_schema t_string_map = { .type = KC_SCHEMA_MAP, .elem = &t_string };
static const struct kc_schema t_int_list = { .type = KC_SCHEMA_ARRAY, .elem = &t_int };
static const struct kc_schema t_item;
static const struct kc_schema t_item_list = { .type = KC_SCHEMA_ARRAY, .elem = &t_item };

#define MERGE KC_SCHEMA_PATCH_MERGE
static const struct kc_schema_prop t_retain_props[] = {
    { .name = "mergingIntList", .schema = &t_int_list, .patch_strategy = MERGE },
    { .name = "mergingList", .schema = &t_item_list, .merge_key = "name", .patch_strategy = MERGE },
    { .name = "name", .schema = &t_string },
    { .name = "nonMergingList", .schema = &t_item_list },
    { .name = "simpleMap", .schema = &t_string_map },
    { .name = "value", .schema = &t_string },
};
static const struct kc_schema t_retain = {
    .name = "test.retainKeysStruct", .type = KC_SCHEMA_OBJECT, .props = t_retain_props, .nprops = 6
};
static const struct kc_schema_prop t_item_props[] = {
    { .name = "mergeItemPtr", .schema = &t_item_list, .merge_key = "name", .patch_strategy = MERGE },
    { .name = "mergingIntList", .schema = &t_int_list, .patch_strategy = MERGE },
    { .name = "mergingList", .schema = &t_item_list, .merge_key = "name", .patch_strategy = MERGE },
    { .name = "name", .schema = &t_string },
    { .name = "nonMergingIntList", .schema = &t_int_list },
    { .name = "nonMergingList", .schema = &t_item_list },
    { .name = "other", .schema = &t_string },
    { .name = "replacingItem", .schema = &t_any, .patch_strategy = KC_SCHEMA_PATCH_REPLACE },
    { .name = "retainKeysMap", .schema = &t_retain, .patch_strategy = KC_SCHEMA_PATCH_RETAIN_KEYS },
    { .name = "retainKeysMergingList",
      .schema = &t_item_list,
      .merge_key = "name",
      .patch_strategy = MERGE | KC_SCHEMA_PATCH_RETAIN_KEYS },
    { .name = "simpleMap", .schema = &t_string_map },
    { .name = "value", .schema = &t_string },
};
static const struct kc_schema t_item = {
    .name = "test.mergeItem", .type = KC_SCHEMA_OBJECT, .props = t_item_props, .nprops = 12
};

/* --- JSON merge patch --- */

static void
test_merge_rfc7386(void **state)
{
    (void)state;
    json_t *cases = load("rfc7386.json");
    size_t i;
    json_t *c;

    json_array_foreach(cases, i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        const json_t *patch = json_object_get(c, "patch");
        json_t *doc = json_deep_copy(json_object_get(c, "target"));
        char *patch_before = canon(patch);
        assert_int_equal(kc_patch_merge(&doc, patch), 0);
        expect_json(name, "result", doc, json_object_get(c, "result"));
        char *patch_after = canon(patch);
        assert_string_equal(patch_before, patch_after); /* the patch is not modified */
        free(patch_before);
        free(patch_after);
        json_decref(doc);
    }
    json_decref(cases);
}

static void
test_merge_ownership(void **state)
{
    (void)state;
    json_t *doc = parse("{\"a\":{\"b\":1}}");
    json_t *patch = parse("{\"a\":{\"c\":[1,{\"d\":null}]}}");
    assert_int_equal(kc_patch_merge(&doc, patch), 0);
    /* the result shares nothing with the patch: changing the patch leaves the result alone */
    json_array_clear(json_object_get(json_object_get(patch, "a"), "c"));
    expect_text("merge copies values", doc, "{\"a\":{\"b\":1,\"c\":[1,{\"d\":null}]}}");
    assert_int_equal(json_object_get(doc, "a")->refcount, 1);
    json_decref(patch);
    assert_int_equal(kc_patch_merge(NULL, doc), KC_EINVALID);
    assert_int_equal(kc_patch_merge(&doc, NULL), KC_EINVALID);
    json_t *none = NULL;
    assert_int_equal(kc_patch_merge(&none, doc), KC_EINVALID);
    json_decref(doc);
}

/* --- JSON patch --- */

static void
test_json_rfc6902(void **state)
{
    (void)state;
    json_t *cases = load("rfc6902.json");
    size_t i;
    json_t *c;

    json_array_foreach(cases, i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        const json_t *want_err = json_object_get(c, "error");
        json_t *doc = json_deep_copy(json_object_get(c, "doc"));
        json_t *before = doc;
        char err[512] = "junk";
        int rc = kc_patch_json(&doc, json_object_get(c, "patch"), err, sizeof(err));
        if (want_err) {
            expect_error(name, rc, KC_EINVALID, err, json_string_value(want_err));
            assert_string_equal(err, json_string_value(want_err));
            assert_ptr_equal(doc, before);
            expect_json(name, "document unchanged", doc, json_object_get(c, "doc"));
        } else {
            if (rc != 0)
                fail_msg("%s: rc %d: %s", name, rc, err);
            assert_string_equal(err, "");
            expect_json(name, "result", doc, json_object_get(c, "result"));
        }
        json_decref(doc);
    }
    json_decref(cases);
}

static void
test_json_bad_requests(void **state)
{
    (void)state;
    json_t *doc = parse("{\"a\":1}");
    char err[256];

    /* A.13: an operation with two "op" members is not a valid JSON document here (duplicate keys rejected). */
    const char *dup = "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"op\":\"remove\"}]";
    json_t *v = NULL;
    assert_int_equal(kc_json_parse(dup, strlen(dup), &v, err, sizeof(err)), KC_EPARSE);
    assert_null(v);

    json_t *obj = parse("{\"op\":\"add\"}");
    assert_int_equal(kc_patch_json(&doc, obj, err, sizeof(err)), KC_EBADREQUEST);
    assert_string_equal(err, "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
    json_decref(obj);

    json_t *strs = parse("[\"add\"]");
    assert_int_equal(kc_patch_json(&doc, strs, err, sizeof(err)), KC_EBADREQUEST);
    assert_string_equal(err, "json: cannot unmarshal string into Go value of type jsonpatch.Operation");
    json_decref(strs);

    json_t *many = json_array();
    for (int i = 0; i < KC_PATCH_JSON_MAX_OPS + 1; i++)
        json_array_append_new(many, parse("{\"op\":\"test\",\"path\":\"/a\",\"value\":1}"));
    assert_int_equal(kc_patch_json(&doc, many, err, sizeof(err)), KC_ETOOLARGE);
    assert_string_equal(err, "Request entity too large: The allowed maximum operations in a JSON patch is 10000, "
                             "got 10001");
    json_array_remove(many, 0);
    assert_int_equal(kc_patch_json(&doc, many, err, sizeof(err)), 0);
    json_decref(many);

    assert_int_equal(kc_patch_json(&doc, json_null(), err, sizeof(err)), 0);
    expect_text("null ops", doc, "{\"a\":1}");
    assert_int_equal(kc_patch_json(&doc, NULL, err, sizeof(err)), KC_EINVALID);
    json_t *scalar = json_integer(5);
    json_t *ops = parse("[{\"op\":\"test\",\"path\":\"\",\"value\":5}]");
    assert_int_equal(kc_patch_json(&scalar, ops, err, sizeof(err)), KC_EINVALID);
    assert_string_equal(err, "invalid JSON document");
    json_decref(ops);
    json_decref(scalar);

    /* What the API server answers for these codes. */
    const char *reason;
    assert_int_equal(kc_error_http(KC_EINVALID, &reason), 422);
    assert_string_equal(reason, "Invalid");
    assert_int_equal(kc_error_http(KC_EBADREQUEST, &reason), 400);
    assert_string_equal(KC_PATCH_JSON_INVALID_MESSAGE,
                        "the server rejected our request due to an error in our request");

    /* a NULL err buffer is fine */
    json_t *bad = parse("[{\"op\":\"remove\",\"path\":\"/zz\"}]");
    assert_int_equal(kc_patch_json(&doc, bad, NULL, 0), KC_EINVALID);
    json_decref(bad);
    json_decref(doc);
}

/* --- strategic merge patch --- */

static void
test_smp_schema_cases(void **state)
{
    (void)state;
    json_t *cases = load("smp.json");
    size_t i;
    json_t *c;

    json_array_foreach(cases, i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        const json_t *patch = json_object_get(c, "patch");
        char err[1024] = "junk";
        int rc;
        char *patch_before = canon(patch);
        json_t *res = smp(json_object_get(c, "doc"), patch, schema_of(c), &rc, err, sizeof(err));
        if (json_object_get(c, "error")) {
            expect_error(name, rc, code_of(c), err, json_string_value(json_object_get(c, "error")));
        } else {
            if (rc != 0)
                fail_msg("%s: rc %d: %s", name, rc, err);
            assert_string_equal(err, "");
            expect_json(name, "result", res, json_object_get(c, "result"));
        }
        char *patch_after = canon(patch);
        assert_string_equal(patch_before, patch_after);
        free(patch_before);
        free(patch_after);
        json_decref(res);
    }
    json_decref(cases);
}

/* Upstream's fixtures on upstream's test schema: the two-way patch applied to original gives modified, the
 * three-way patch is upstream's, and applied to current it gives upstream's result. */
static void
test_smp_fixtures(void **state)
{
    (void)state;
    json_t *cases = load("fixtures.json");
    size_t i;
    json_t *c;

    json_array_foreach(cases, i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        const json_t *original = json_object_get(c, "original"), *modified = json_object_get(c, "modified");
        const json_t *current = json_object_get(c, "current"), *three = json_object_get(c, "threeWay");
        const json_t *two_result = json_object_get(c, "twoWayResult");
        char err[1024] = "";
        int rc;

        json_t *res = smp(original, json_object_get(c, "twoWay"), &t_item, &rc, err, sizeof(err));
        if (json_object_get(c, "error")) {
            expect_error(name, rc, code_of(c), err, json_string_value(json_object_get(c, "error")));
            continue;
        }
        if (rc != 0)
            fail_msg("%s: two-way apply: %s", name, err);
        expect_json(name, "two-way result", res, two_result ? two_result : modified);
        json_decref(res);
        if (!three)
            continue;

        json_t *patch = NULL;
        rc = kc_patch_strategic_create(original, modified, current, &t_item, &patch, err, sizeof(err));
        if (rc != 0)
            fail_msg("%s: three-way create: %s", name, err);
        expect_json(name, "three-way patch", patch, three);
        res = smp(current, patch, &t_item, &rc, err, sizeof(err));
        if (rc != 0)
            fail_msg("%s: three-way apply: %s", name, err);
        expect_json(name, "three-way result", res, json_object_get(c, "result"));
        json_decref(res);
        json_decref(patch);
    }
    json_decref(cases);
}

static void
test_smp_arguments(void **state)
{
    (void)state;
    const struct kc_schema *pod = kc_schema_find_gvk("", "v1", "Pod");
    json_t *doc = parse("{\"spec\":{}}"), *none = NULL;
    json_t *patch = parse("{\"spec\":{\"hostname\":\"h\"}}");
    char err[128];

    assert_non_null(pod);
    assert_int_equal(kc_patch_strategic(NULL, patch, pod, err, sizeof(err)), KC_EINVALID);
    assert_int_equal(kc_patch_strategic(&none, patch, pod, err, sizeof(err)), KC_EINVALID);
    assert_int_equal(kc_patch_strategic(&doc, NULL, pod, err, sizeof(err)), KC_EINVALID);
    assert_int_equal(kc_patch_strategic(&doc, patch, pod, NULL, 0), 0);
    expect_text("no err buffer", doc, "{\"spec\":{\"hostname\":\"h\"}}");
    /* a short err buffer truncates */
    json_t *bad = parse("{\"spec\":{\"containers\":[{\"image\":\"a-long-image-name\"}]}}");
    json_t *withc = parse("{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}");
    assert_int_equal(kc_patch_strategic(&withc, bad, pod, err, 16), KC_EBADREQUEST);
    assert_string_equal(err, "map: map[image:");
    /* with no container list to merge into, the list is simply taken */
    assert_int_equal(kc_patch_strategic(&doc, bad, pod, err, sizeof(err)), 0);
    expect_text("taken", doc, "{\"spec\":{\"containers\":[{\"image\":\"a-long-image-name\"}],\"hostname\":\"h\"}}");
    json_decref(withc);
    /* Go's %v of other scalar types */
    json_t *odd = parse("{\"spec\":{\"containers\":[{\"a\":1.5,\"b\":true,\"c\":null,\"d\":1000000.0,\"e\":0.0001,"
                        "\"f\":[1,\"x\"],\"g\":{\"h\":-2}}]}}");
    json_t *odddoc = parse("{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}");
    assert_int_equal(kc_patch_strategic(&odddoc, odd, pod, err, sizeof(err)), KC_EBADREQUEST);
    assert_string_equal(err, "map: map[a:1.5 b:true c:<nil> d:1e+06 e:0.0001 f:[1 x] g:map[h:-2]] does not contain "
                             "declared merge key: name");
    json_decref(odd);
    json_decref(odddoc);
    json_decref(bad);
    json_decref(patch);
    json_decref(doc);
}

/* --- the three-way patch --- */

static void
test_threeway_cases(void **state)
{
    (void)state;
    json_t *cases = load("threeway.json");
    size_t i;
    json_t *c;

    json_array_foreach(cases, i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        const struct kc_schema *s = schema_of(c);
        const json_t *o = json_object_get(c, "original"), *m = json_object_get(c, "modified");
        const json_t *cur = json_object_get(c, "current");
        char *before[3] = { canon(o), canon(m), canon(cur) };
        json_t *patch = NULL;
        char err[1024] = "junk";
        int rc = kc_patch_strategic_create(o, m, cur, s, &patch, err, sizeof(err));

        if (json_object_get(c, "error")) {
            expect_error(name, rc, code_of(c), err, json_string_value(json_object_get(c, "error")));
            assert_null(patch);
        } else {
            if (rc != 0)
                fail_msg("%s: rc %d: %s", name, rc, err);
            assert_string_equal(err, "");
            expect_json(name, "patch", patch, json_object_get(c, "patch"));
            if (json_object_get(c, "result")) {
                json_t *res = smp(cur, patch, s, &rc, err, sizeof(err));
                if (rc != 0)
                    fail_msg("%s: applying the patch: %s", name, err);
                expect_json(name, "patched live object", res, json_object_get(c, "result"));
                json_decref(res);
            }
        }
        /* the inputs are not modified */
        char *after[3] = { canon(o), canon(m), canon(cur) };
        for (int k = 0; k < 3; k++) {
            assert_string_equal(before[k], after[k]);
            free(before[k]);
            free(after[k]);
        }
        json_decref(patch);
    }
    json_decref(cases);
}

/* The exact bytes kubectl sends (KUBE_API_NOTES.md), as kc_json_canonical dumps the patch. */
static void
test_threeway_kubectl_bytes(void **state)
{
    (void)state;
    const struct kc_schema *deploy = kc_schema_find_gvk("apps", "v1", "Deployment");
    json_t *o =
        parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"},"
              "\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.19\"}]}}}}");
    json_t *m =
        parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"},"
              "\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.20\"}]}}}}");
    json_t *patch = NULL;
    char err[256];

    assert_int_equal(kc_patch_strategic_create(o, m, o, deploy, &patch, err, sizeof(err)), 0);
    expect_text("changed image", patch,
                "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"c\"}],"
                "\"containers\":[{\"image\":\"nginx:1.20\",\"name\":\"c\"}]}}}}");
    json_decref(patch);
    patch = NULL;
    assert_int_equal(kc_patch_strategic_create(m, m, m, deploy, &patch, err, sizeof(err)), 0);
    expect_text("unchanged", patch, "{}");
    json_decref(patch);
    /* NULL inputs are {} */
    patch = NULL;
    assert_int_equal(kc_patch_strategic_create(NULL, NULL, NULL, deploy, &patch, err, sizeof(err)), 0);
    expect_text("all empty", patch, "{}");
    json_decref(patch);
    assert_int_equal(kc_patch_strategic_create(o, m, o, deploy, NULL, err, sizeof(err)), KC_EINVALID);
    json_decref(o);
    json_decref(m);
}

/* Every allocation failure on our side ends in -ENOMEM with the document untouched, or succeeds. */
static void
test_out_of_memory(void **state)
{
    (void)state;
    const struct kc_schema *pod = kc_schema_find_gvk("", "v1", "Pod");
    json_t *doc =
        parse("{\"metadata\":{\"finalizers\":[\"a\",\"b\"],\"labels\":{\"a\":\"1\"}},\"spec\":{\"containers\":"
              "[{\"name\":\"a\",\"env\":[{\"name\":\"X\"}]},{\"name\":\"x\"},{\"name\":\"b\"}]}}");
    json_t *patch = parse("{\"metadata\":{\"$setElementOrder/finalizers\":[\"c\",\"b\"],\"finalizers\":[\"c\"],"
                          "\"labels\":{\"a\":null}},\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"b\"},"
                          "{\"name\":\"a\"}],\"containers\":[{\"name\":\"a\",\"env\":[{\"name\":\"Y\"}]},"
                          "{\"$patch\":\"delete\",\"name\":\"x\"}]}}");
    json_t *mod = parse("{\"metadata\":{\"finalizers\":[\"b\"]},\"spec\":{\"containers\":[{\"name\":\"b\"},"
                        "{\"name\":\"c\",\"image\":\"i\"}]}}");
    char *want_doc = NULL, *want_patch = NULL;
    char err[256];
    bool done_apply = false, done_create = false;

    for (long n = 1; n < 1000 && !(done_apply && done_create); n++) {
        json_t *d = json_deep_copy(doc), *p = NULL;
        kc_fault_arm(KC_FAULT_ALLOC, n, ENOMEM, false);
        int rc = kc_patch_strategic(&d, patch, pod, err, sizeof(err));
        kc_fault_disarm(KC_FAULT_ALLOC);
        if (rc == 0) {
            char *s = canon(d);
            if (!want_doc)
                want_doc = s;
            else {
                assert_string_equal(s, want_doc);
                free(s);
            }
            done_apply = true;
        } else {
            assert_int_equal(rc, -ENOMEM);
            expect_json("oom apply", "unchanged", d, doc);
        }
        json_decref(d);

        kc_fault_arm(KC_FAULT_ALLOC, n, ENOMEM, false);
        rc = kc_patch_strategic_create(doc, mod, doc, pod, &p, err, sizeof(err));
        kc_fault_disarm(KC_FAULT_ALLOC);
        if (rc == 0) {
            char *s = canon(p);
            if (!want_patch)
                want_patch = s;
            else {
                assert_string_equal(s, want_patch);
                free(s);
            }
            done_create = true;
            json_decref(p);
        } else {
            assert_int_equal(rc, -ENOMEM);
            assert_null(p);
        }
    }
    assert_true(done_apply && done_create);
    assert_string_equal(want_doc, "{\"metadata\":{\"finalizers\":[\"c\",\"a\",\"b\"],\"labels\":{}},\"spec\":{"
                                  "\"containers\":[{\"name\":\"b\"},{\"env\":[{\"name\":\"Y\"},{\"name\":\"X\"}],"
                                  "\"name\":\"a\"}]}}");
    /* the same failures reach the JSON patch and merge patch */
    json_t *ops = parse("[{\"op\":\"add\",\"path\":\"/spec/containers/-\",\"value\":{\"name\":\"z\"}},"
                        "{\"op\":\"copy\",\"from\":\"/spec\",\"path\":\"/copy\"}]");
    for (long n = 1; n < 50; n++) {
        json_t *d = json_deep_copy(doc);
        kc_fault_arm(KC_FAULT_ALLOC, n, ENOMEM, false);
        int rc = kc_patch_json(&d, ops, err, sizeof(err));
        kc_fault_disarm(KC_FAULT_ALLOC);
        assert_true(rc == 0 || rc == -ENOMEM);
        if (rc == -ENOMEM)
            expect_json("oom json patch", "unchanged", d, doc);
        json_decref(d);
        if (rc == 0)
            break;
    }
    json_decref(ops);
    free(want_doc);
    free(want_patch);
    json_decref(mod);
    json_decref(patch);
    json_decref(doc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_rfc7386),          cmocka_unit_test(test_merge_ownership),
        cmocka_unit_test(test_json_rfc6902),           cmocka_unit_test(test_json_bad_requests),
        cmocka_unit_test(test_smp_schema_cases),       cmocka_unit_test(test_smp_fixtures),
        cmocka_unit_test(test_smp_arguments),          cmocka_unit_test(test_threeway_cases),
        cmocka_unit_test(test_threeway_kubectl_bytes), cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
