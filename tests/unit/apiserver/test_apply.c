/* test_apply.c - the API server's server-side apply glue (apiserver/apply.c), driven in-process with hand-built
 * requests: option checks and their 422 Statuses, the default field manager, field validation of create/update
 * bodies and of patches (Strict/Warn/Ignore, pruning), the managedFields of Update operations (create, reset,
 * subresources, untracked objects) and apply itself (create, update, conflicts, the 400/500 answers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "kc_json.h"

#include "../json_fixture.h"

/* A request on group/version/plural; body is kept as given (it must outlive the request). */
static struct api_request
request(const char *group, const char *version, const char *plural, const char *name, const char *body,
        const char *ctype)
{
    struct api_request rq;
    memset(&rq, 0, sizeof(rq));
    rq.res = api_resource_find(group, version, plural);
    assert_non_null(rq.res);
    snprintf(rq.namespace, sizeof(rq.namespace), "default");
    snprintf(rq.name, sizeof(rq.name), "%s", name ? name : "");
    rq.body = body;
    rq.body_len = body ? strlen(body) : 0;
    rq.content_type = ctype;
    return rq;
}

static void
reply_close(struct api_reply *rep)
{
    for (int i = 0; i < rep->nwarnings; i++)
        free(rep->warnings[i]);
    json_decref(rep->body);
    memset(rep, 0, sizeof(*rep));
}

static const char *
message(const struct api_reply *rep)
{
    const char *m = json_string_value(json_object_get(rep->body, "message"));
    return m ? m : "";
}

static void
assert_warnings(const struct api_reply *rep, const char *const *want, int n)
{
    if (rep->nwarnings != n)
        fail_msg("%d warnings, want %d (first: %s)", rep->nwarnings, n, rep->nwarnings ? rep->warnings[0] : "-");
    for (int i = 0; i < n; i++) {
        /* the header value: 299 - "text", quotes and backslashes escaped */
        char h[512];
        size_t k = (size_t)snprintf(h, sizeof(h), "299 - \"");
        for (const char *p = want[i]; *p && k + 3 < sizeof(h); p++) {
            if (*p == '"' || *p == '\\')
                h[k++] = '\\';
            h[k++] = *p;
        }
        h[k++] = '"';
        h[k] = '\0';
        assert_string_equal(rep->warnings[i], h);
    }
}

/* --- options --- */

static void
test_options(void **state)
{
    (void)state;
    static const struct {
        const char *kind, *fm, *fv, *force;
        bool apply;
        int status;
        const char *message;
    } cases[] = {
        { "PatchOptions", NULL, NULL, NULL, true, 422,
          "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch" },
        { "PatchOptions", "m", NULL, "true", false, 422,
          "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch" },
        { "PatchOptions", "m", NULL, "maybe", true, 400, "strconv.ParseBool: parsing \"maybe\": invalid syntax" },
        { "CreateOptions", "a\tb", NULL, NULL, false, 422,
          "CreateOptions.meta.k8s.io \"\" is invalid: fieldManager: Invalid value: \"a\\tb\": invalid character "
          "U+0009 (at position 1)" },
        { "UpdateOptions", NULL, "warn", NULL, false, 422,
          "UpdateOptions.meta.k8s.io \"\" is invalid: fieldValidation: Unsupported value: \"warn\": supported values: "
          "\"\", \"Ignore\", \"Strict\", \"Warn\"" },
        { "PatchOptions", NULL, "x", "1", false, 422,
          "PatchOptions.meta.k8s.io \"\" is invalid: [force: Forbidden: may not be specified for non-apply patch, "
          "fieldValidation: Unsupported value: \"x\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"]" },
        { "PatchOptions", "kubectl", "Strict", "false", true, 0, NULL },
        { "CreateOptions", NULL, "Ignore", NULL, false, 0, NULL },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct api_request rq = request("apps", "v1", "deployments", "d", NULL, NULL);
        rq.field_manager = cases[i].fm;
        rq.field_validation = cases[i].fv;
        rq.force = cases[i].force;
        struct api_reply rep = { 0 };
        int rc = api_check_options(&rq, &rep, cases[i].kind, cases[i].apply);
        if (!cases[i].status) {
            assert_int_equal(rc, 0);
            assert_null(rep.body);
            continue;
        }
        assert_int_equal(rc, -1);
        assert_int_equal(rep.status, cases[i].status);
        assert_string_equal(message(&rep), cases[i].message);
        if (cases[i].status == 422)
            assert_string_equal(kc_json_get_string(rep.body, "details.group"), "meta.k8s.io");
        reply_close(&rep);
    }
    /* a 129-byte manager */
    char long_name[130];
    memset(long_name, 'x', 129);
    long_name[129] = '\0';
    struct api_request rq = request("", "v1", "configmaps", "c", NULL, NULL);
    rq.field_manager = long_name;
    struct api_reply rep = { 0 };
    assert_int_equal(api_check_options(&rq, &rep, "CreateOptions", false), -1);
    assert_non_null(strstr(message(&rep), "fieldManager: Too long: may not be more than 128 bytes"));
    reply_close(&rep);
}

static void
test_field_manager(void **state)
{
    (void)state;
    struct api_request rq = request("", "v1", "configmaps", "c", NULL, NULL);
    char buf[160];
    assert_string_equal(api_field_manager(&rq, buf, sizeof(buf)), "");
    rq.user_agent = "kubectl/v1.33.0 (linux/amd64) kubernetes/abc";
    assert_string_equal(api_field_manager(&rq, buf, sizeof(buf)), "kubectl");
    rq.user_agent = "odd\x01name";
    assert_string_equal(api_field_manager(&rq, buf, sizeof(buf)), "oddname");
    rq.field_manager = "explicit";
    assert_string_equal(api_field_manager(&rq, buf, sizeof(buf)), "explicit");
    assert_int_equal(api_field_validation(&rq), API_FV_WARN);
    rq.field_validation = "Strict";
    assert_int_equal(api_field_validation(&rq), API_FV_STRICT);
    rq.field_validation = "Ignore";
    assert_int_equal(api_field_validation(&rq), API_FV_IGNORE);
}

/* --- field validation --- */

static const char body[] = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"x\":1},"
                           "\"data\":{\"a\":\"1\",\"a\":\"2\"},\"spek\":{\"deep\":1}}";

static void
test_strict_body(void **state)
{
    (void)state;
    static const char *const want[] = { "unknown field \"metadata.x\"", "duplicate field \"data.a\"",
                                        "unknown field \"spek\"" };
    const char *modes[] = { "Strict", "Warn", NULL, "Ignore" };
    for (int m = 0; m < 4; m++) {
        struct api_request rq = request("", "v1", "configmaps", "", body, "application/json");
        rq.field_validation = modes[m];
        json_t *obj = json_loadb(body, strlen(body), 0, NULL);
        assert_non_null(obj);
        struct api_reply rep = { 0 };
        int rc = api_strict_body(&rq, &rep, obj);
        if (m == 0) {
            assert_int_equal(rc, -1);
            assert_int_equal(rep.status, 400);
            assert_string_equal(message(&rep), "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict "
                                               "decoding error: unknown field \"metadata.x\", duplicate field "
                                               "\"data.a\", unknown field \"spek\"");
        } else {
            assert_int_equal(rc, 0);
            assert_warnings(&rep, want, m == 3 ? 0 : 3);
            /* pruned in every mode; the last duplicate won */
            char *t = json_dumps(obj, JSON_COMPACT);
            assert_string_equal(t,
                                "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},\"data\":"
                                "{\"a\":\"2\"}}");
            free(t);
        }
        json_decref(obj);
        reply_close(&rep);
    }
}

/* A body the fast parser took (no repeated key): with no unknown field nothing is reported or removed; with
 * one, it is still reported (in document order) and pruned. */
static void
test_strict_body_unique_keys(void **state)
{
    (void)state;
    static const char clean[] = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},"
                                "\"data\":{\"a\":\"1\"}}";
    static const char unknown[] = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"x\":1},"
                                  "\"data\":{\"a\":\"1\"},\"spek\":2}";
    static const char *const want[] = { "unknown field \"metadata.x\"", "unknown field \"spek\"" };
    for (int k = 0; k < 2; k++) {
        const char *text = k ? unknown : clean;
        struct api_request rq = request("", "v1", "configmaps", "", text, "application/json");
        rq.body_unique_keys = true;
        json_t *obj = json_loadb(text, strlen(text), 0, NULL);
        assert_non_null(obj);
        struct api_reply rep = { 0 };
        assert_int_equal(api_strict_body(&rq, &rep, obj), 0);
        assert_warnings(&rep, want, k ? 2 : 0);
        char *t = json_dumps(obj, JSON_COMPACT);
        assert_string_equal(t, clean);
        free(t);
        json_decref(obj);
        reply_close(&rep);
    }
}

static void
test_strict_patch(void **state)
{
    (void)state;
    static const char patch_text[] = "{\"spec\":{\"replicas\":2,\"replicas\":3,\"bogus\":true}}";
    struct api_request rq =
        request("apps", "v1", "deployments", "d", patch_text, "application/strategic-merge-patch+json");
    rq.field_validation = "Strict";
    json_t *patch = json_loadb(patch_text, strlen(patch_text), 0, NULL);
    json_t *doc = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"},\"spec\":{"
                        "\"replicas\":3,\"bogus\":true}}");
    struct api_reply rep = { 0 };
    assert_int_equal(api_strict_patch_result(&rq, &rep, api_strict_patch_scan(&rq, API_PATCH_STRATEGIC), doc, patch,
                                             API_PATCH_STRATEGIC),
                     -1);
    assert_int_equal(rep.status, 422);
    assert_string_equal(message(&rep), " \"\" is invalid: patch: Invalid value: \"map[spec:map[bogus:true "
                                       "replicas:3]]\": strict decoding error: duplicate field \"spec.replicas\", "
                                       "unknown field \"spec.bogus\"");
    assert_string_equal(kc_json_get_string(rep.body, "reason"), "Invalid");
    json_t *cause = json_array_get(kc_json_get(rep.body, "details.causes"), 0);
    assert_string_equal(json_string_value(json_object_get(cause, "field")), "patch");
    assert_string_equal(json_string_value(json_object_get(cause, "reason")), "FieldValueInvalid");
    reply_close(&rep);
    /* Warn: warnings, and the stray field is gone */
    rq.field_validation = NULL;
    assert_int_equal(api_strict_patch_result(&rq, &rep, api_strict_patch_scan(&rq, API_PATCH_STRATEGIC), doc, patch,
                                             API_PATCH_STRATEGIC),
                     0);
    static const char *const want[] = { "duplicate field \"spec.replicas\"", "unknown field \"spec.bogus\"" };
    assert_warnings(&rep, want, 2);
    assert_null(kc_json_get(doc, "spec.bogus"));
    reply_close(&rep);
    json_decref(doc);
    json_decref(patch);
}

/* --- managedFields of updates --- */

static void
test_managed_update(void **state)
{
    (void)state;
    struct api_request rq = request("", "v1", "configmaps", "c", NULL, NULL);
    rq.field_manager = "creator";
    json_t *obj = parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"namespace\":"
                        "\"default\",\"uid\":\"u\"},\"data\":{\"a\":\"1\"}}");
    /* as text first (the asynchronous create's form): obj gets none, the text is what the array dumps to */
    struct kc_sb text = { 0 };
    api_managed_update(&rq, NULL, NULL, obj, &text);
    assert_null(kc_json_get(obj, "metadata.managedFields"));
    api_managed_update(&rq, NULL, NULL, obj, NULL);
    char *want_text = json_dumps(kc_json_get(obj, "metadata.managedFields"), JSON_COMPACT);
    assert_non_null(text.p);
    assert_string_equal(text.p, want_text);
    free(want_text);
    kc_sb_free(&text);
    /* with client-sent entries the text form is not taken: obj gets the array */
    json_t *sent = json_deep_copy(obj);
    api_managed_update(&rq, NULL, NULL, sent, &text);
    assert_int_equal(text.len, 0);
    assert_int_equal(json_array_size(kc_json_get(sent, "metadata.managedFields")), 1);
    kc_sb_free(&text);
    json_decref(sent);
    json_t *e = json_array_get(kc_json_get(obj, "metadata.managedFields"), 0);
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "manager")), "creator");
    assert_string_equal(json_string_value(json_object_get(e, "operation")), "Update");
    assert_string_equal(json_string_value(json_object_get(e, "apiVersion")), "v1");
    char *t = json_dumps(json_object_get(e, "fieldsV1"), JSON_COMPACT);
    assert_string_equal(t, "{\"f:data\":{\".\":{},\"f:a\":{}}}");
    free(t);
    /* an update by another manager; the request's managedFields absent: the live ones are kept */
    json_t *next = json_deep_copy(obj);
    kc_json_del(next, "metadata.managedFields");
    kc_json_set(next, "data.b", json_string("2"));
    rq.field_manager = "editor";
    api_managed_update(&rq, obj, NULL, next, NULL);
    assert_int_equal(json_array_size(kc_json_get(next, "metadata.managedFields")), 2);
    /* a reset, then an untracked object stays untracked */
    json_t *reset = json_deep_copy(next);
    kc_json_set(reset, "metadata.managedFields", json_array());
    api_managed_update(&rq, next, NULL, reset, NULL);
    assert_null(kc_json_get(reset, "metadata.managedFields"));
    json_t *later = json_deep_copy(reset);
    kc_json_set(later, "data.c", json_string("3"));
    api_managed_update(&rq, reset, NULL, later, NULL);
    assert_null(kc_json_get(later, "metadata.managedFields"));
    /* a subresource never takes the request's managedFields */
    struct api_request st = request("apps", "v1", "deployments", "d", NULL, NULL);
    snprintf(st.sub, sizeof(st.sub), "status");
    st.field_manager = "ctrl";
    json_t *d0 = parse("{\"metadata\":{\"name\":\"d\",\"managedFields\":[{\"manager\":\"m\",\"operation\":\"Apply\","
                       "\"apiVersion\":\"apps/v1\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:spec\":{\"f:paused\":"
                       "{}}}}]},\"spec\":{\"paused\":true}}");
    json_t *d1 = parse("{\"metadata\":{\"name\":\"d\",\"managedFields\":[]},\"spec\":{\"paused\":true},\"status\":{"
                       "\"replicas\":1}}");
    api_managed_update(&st, d0, NULL, d1, NULL);
    json_t *mf = kc_json_get(d1, "metadata.managedFields");
    assert_int_equal(json_array_size(mf), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(mf, 1), "subresource")), "status");
    json_decref(d0);
    json_decref(d1);
    json_decref(later);
    json_decref(reset);
    json_decref(next);
    json_decref(obj);
}

/* --- apply --- */

static void
test_apply(void **state)
{
    (void)state;
    static const char cfg[] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: \"1\"\n";
    struct api_request rq = request("", "v1", "configmaps", "c", cfg, "application/apply-patch+yaml");
    rq.field_manager = "one";
    struct api_reply rep = { 0 };
    json_t *created = NULL;
    assert_int_equal(api_apply_patch(&rq, &rep, NULL, false, &created), 0);
    assert_null(rep.body);
    assert_string_equal(kc_json_get_string(created, "data.a"), "1");
    json_t *e = json_array_get(kc_json_get(created, "metadata.managedFields"), 0);
    assert_string_equal(json_string_value(json_object_get(e, "operation")), "Apply");
    /* the stored object, as rest.c would have stored it */
    kc_json_set(created, "metadata.uid", json_string("u1"));
    kc_json_set(created, "metadata.resourceVersion", json_string("5"));
    /* another manager changing a: 409 with causes */
    static const char cfg2[] = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},\"data\":"
                               "{\"a\":\"2\"}}";
    struct api_request rq2 = request("", "v1", "configmaps", "c", cfg2, "application/apply-patch+yaml");
    rq2.field_manager = "two";
    json_t *out = NULL;
    assert_int_equal(api_apply_patch(&rq2, &rep, created, false, &out), -1);
    assert_int_equal(rep.status, 409);
    assert_string_equal(message(&rep), "Apply failed with 1 conflict: conflict with \"one\": .data.a");
    char *t = json_dumps(json_object_get(rep.body, "details"), JSON_COMPACT);
    assert_string_equal(t,
                        "{\"causes\":[{\"reason\":\"FieldManagerConflict\",\"message\":\"conflict with \\\"one\\\"\","
                        "\"field\":\".data.a\"}]}");
    free(t);
    reply_close(&rep);
    /* forced: the stored uid stays, no resourceVersion is carried */
    rq2.force = "true";
    assert_int_equal(api_apply_patch(&rq2, &rep, created, false, &out), 0);
    assert_string_equal(kc_json_get_string(out, "data.a"), "2");
    assert_string_equal(kc_json_get_string(out, "metadata.uid"), "u1");
    assert_null(kc_json_get(out, "metadata.resourceVersion"));
    json_decref(out);
    json_decref(created);
    /* the 400s and the 500 */
    static const struct {
        const char *body;
        int status;
        const char *message;
    } bad[] = {
        { "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"c\"}}", 400,
          "invalid object type: /v1, Kind=Secret" },
        { "", 400, "invalid object type: /, Kind=" },
        { "[1]", 400,
          "error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go "
          "value "
          "of type map[string]interface {}" },
        { "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"managedFields\":[]}}", 400,
          "metadata.managedFields must be nil" },
        { "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"}}", 400,
          "the name of the object (x) does not match the name on the URL (c)" },
        { "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"uid\":\"u9\"}}", 409,
          "Operation cannot be fulfilled on configmaps \"c\": uid mismatch: the provided object specified uid u9, and "
          "no existing object was found" },
        { "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},\"data\":{\"a\":1},\"x\":2}",
          500,
          "failed to create typed patch object (/c; /v1, Kind=ConfigMap): errors:\n  .data.a: expected string, got "
          "&value.valueUnstructured{Value:1}\n  .x: field not declared in schema" },
        { "a: [", 400, NULL },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct api_request r = request("", "v1", "configmaps", "c", bad[i].body, "application/apply-patch+yaml");
        r.field_manager = "m";
        assert_int_equal(api_apply_patch(&r, &rep, NULL, false, &out), -1);
        if (rep.status != bad[i].status)
            fail_msg("case %zu: status %d, want %d (%s)", i, rep.status, bad[i].status, message(&rep));
        if (bad[i].message)
            assert_string_equal(message(&rep), bad[i].message);
        else
            assert_non_null(strstr(message(&rep), "error decoding YAML: "));
        if (bad[i].status == 500)
            assert_null(json_object_get(rep.body, "reason")); /* upstream's plain error: no reason */
        reply_close(&rep);
    }
    /* duplicate keys: Strict refuses after the apply, Warn warns, Ignore says nothing */
    static const char dup[] = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\n\"metadata\":{\"name\":\"c\"},\n"
                              "\"data\":{\"a\":\"1\",\n\"a\":\"2\"}}";
    const char *modes[] = { "Strict", "Warn", "Ignore" };
    for (int m = 0; m < 3; m++) {
        struct api_request r = request("", "v1", "configmaps", "c", dup, "application/apply-patch+yaml");
        r.field_manager = "m";
        r.field_validation = modes[m];
        int rc = api_apply_patch(&r, &rep, NULL, false, &out);
        if (m == 0) {
            assert_int_equal(rc, -1);
            assert_string_equal(message(&rep), "error strict decoding YAML: error converting YAML to JSON: yaml: "
                                               "unmarshal errors:\n  line 4: key \"a\" already set in map");
        } else {
            assert_int_equal(rc, 0);
            static const char *const w[] = { "line 4: key \"a\" already set in map" };
            assert_warnings(&rep, w, m == 1 ? 1 : 0);
            assert_string_equal(kc_json_get_string(out, "data.a"), "2");
            json_decref(out);
        }
        reply_close(&rep);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options),      cmocka_unit_test(test_field_manager),
        cmocka_unit_test(test_strict_body),  cmocka_unit_test(test_strict_body_unique_keys),
        cmocka_unit_test(test_strict_patch), cmocka_unit_test(test_managed_update),
        cmocka_unit_test(test_apply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
