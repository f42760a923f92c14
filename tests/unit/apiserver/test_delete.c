/* test_delete.c - the pure parts of DELETE, pods/eviction and patch errors (apiserver/rest.c, apply.c): which kinds
 * answer a DELETE with the object (upstream's ReturnDeletedObject) and the Status the others answer, the
 * DeleteOptions as upstream's handlers read them (body or query, never both) and validate them, an Eviction's
 * checks and its dry-run propagation, dryRun validation of the write options, and the status each kc_patch
 * failure is answered with. The messages are kube-apiserver 1.33's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "kc_error.h"
#include "kc_json.h"

/* Test JSON with single quotes for double ones. */
static json_t *
J(const char *text)
{
    size_t n = strlen(text);
    char *s = malloc(n + 1), err[160];
    json_t *v = NULL;
    assert_non_null(s);
    for (size_t i = 0; i <= n; i++)
        s[i] = text[i] == '\'' ? '"' : text[i];
    if (kc_json_parse(s, n, &v, err, sizeof(err)) != 0) {
        print_error("bad test JSON %s: %s\n", s, err);
        free(s);
        fail();
    }
    free(s);
    return v;
}

static void
expect_json_at(const json_t *got, const char *want, const char *what, int line)
{
    json_t *w = J(want);
    bool ok = got && kc_json_equal(got, w);
    if (!ok) {
        char *g = got ? kc_json_canonical(got) : NULL, *e = kc_json_canonical(w);
        print_error("line %d, %s:\n  got  %s\n  want %s\n", line, what, g ? g : "(missing)", e);
        free(g);
        free(e);
    }
    json_decref(w);
    if (!ok)
        fail();
}
#define EXPECT_JSON(got, want) expect_json_at(got, want, #got, __LINE__)

static const char *
message(const struct api_reply *rep)
{
    return json_string_value(json_object_get(rep->body, "message"));
}

/* A request on pods in namespace ns (name "p"), with body text (single quotes) or NULL. */
static struct api_request *
pod_request(const char *body)
{
    static struct api_request rq;
    static char text[2048];
    memset(&rq, 0, sizeof(rq));
    rq.res = api_resource_find("", "v1", "pods");
    assert_non_null(rq.res);
    snprintf(rq.namespace, sizeof(rq.namespace), "ns");
    snprintf(rq.name, sizeof(rq.name), "p");
    rq.content_type = "application/json";
    if (body) {
        snprintf(text, sizeof(text), "%s", body);
        for (char *p = text; *p; p++)
            if (*p == '\'')
                *p = '"';
        rq.body = text;
        rq.body_len = strlen(text);
    }
    return &rq;
}

static void
reply_free(struct api_reply *rep)
{
    json_decref(rep->body);
    memset(rep, 0, sizeof(*rep));
}

/* --- the resource table --- */

static void
test_table_flags(void **state)
{
    (void)state;
    /* upstream's pkg/registry/<group>/<kind>/storage/storage.go set ReturnDeletedObject for exactly these */
    static const char *const with[] = { "namespaces",
                                        "pods",
                                        "services",
                                        "persistentvolumes",
                                        "persistentvolumeclaims",
                                        "serviceaccounts",
                                        "storageclasses",
                                        "resourcequotas",
                                        NULL };
    size_t n = 0, flagged = 0;
    for (const struct api_resource *r = api_resources; r->kind; r++, n++) {
        bool want = false;
        for (size_t i = 0; with[i]; i++)
            want = want || strcmp(r->plural, with[i]) == 0;
        if (r->delete_returns_object != want)
            fail_msg("%s/%s: delete_returns_object %d, upstream %d", r->group, r->plural, r->delete_returns_object,
                     want);
        flagged += r->delete_returns_object;
    }
    assert_int_equal(n, 30);
    assert_int_equal(flagged, 8);
    /* the namespace registry has no DeleteCollection; everything else has every verb */
    const struct api_resource *ns = api_resource_find("", "v1", "namespaces");
    assert_int_equal(ns->verbs, API_VERBS_ALL & ~API_VERB_DELETECOLLECTION);
    assert_int_equal(api_resource_find("", "v1", "configmaps")->verbs, API_VERBS_ALL);
    /* eviction is a pod subresource only */
    assert_true(api_resource_find("", "v1", "pods")->subs & API_SUB_EVICTION);
    for (const struct api_resource *r = api_resources; r->kind; r++)
        if (strcmp(r->plural, "pods") != 0)
            assert_false(r->subs & API_SUB_EVICTION);
}

/* --- what a DELETE answers --- */

static void
test_delete_result(void **state)
{
    (void)state;
    json_t *cm = J("{'kind':'ConfigMap','apiVersion':'v1','metadata':{'name':'c','namespace':'ns','uid':'u-1',"
                   "'resourceVersion':'7'},'data':{'a':'b'}}");
    json_t *st = api_delete_result(api_resource_find("", "v1", "configmaps"), cm);
    EXPECT_JSON(st, "{'kind':'Status','apiVersion':'v1','metadata':{},'status':'Success',"
                    "'details':{'name':'c','kind':'configmaps','uid':'u-1'}}");
    assert_null(json_object_get(st, "code")); /* upstream's registry Status carries none */
    json_decref(st);
    json_t *dep = J("{'metadata':{'name':'d','uid':'u-2'}}");
    st = api_delete_result(api_resource_find("apps", "v1", "deployments"), dep);
    EXPECT_JSON(json_object_get(st, "details"), "{'name':'d','group':'apps','kind':'deployments','uid':'u-2'}");
    json_decref(st);
    /* ReturnDeletedObject: a copy of the object */
    json_t *pod = J("{'kind':'Pod','apiVersion':'v1','metadata':{'name':'p','uid':'u-3'}}");
    json_t *got = api_delete_result(api_resource_find("", "v1", "pods"), pod);
    assert_ptr_not_equal(got, pod);
    EXPECT_JSON(got, "{'kind':'Pod','apiVersion':'v1','metadata':{'name':'p','uid':'u-3'}}");
    json_decref(got);
    json_decref(pod);
    json_decref(dep);
    json_decref(cm);
}

/* --- DeleteOptions --- */

static void
test_delete_opts_body(void **state)
{
    (void)state;
    struct api_reply rep = { 0 };
    struct api_delete_opts o;
    struct api_request *rq = pod_request("{'kind':'DeleteOptions','apiVersion':'v1','gracePeriodSeconds':0,"
                                         "'propagationPolicy':'Foreground','dryRun':['All'],"
                                         "'preconditions':{'uid':'u-1','resourceVersion':'9'}}");
    /* the query is not read when there is a body (upstream decodes one or the other) */
    rq->grace_period = "30";
    rq->propagation_policy = "Bogus";
    rq->dry_run = "Nope";
    assert_int_equal(api_delete_opts_parse(rq, &rep, &o), 0);
    assert_null(rep.body);
    assert_true(o.grace_set);
    assert_int_equal(o.grace, 0);
    assert_string_equal(o.propagation, "Foreground");
    assert_true(o.dry_run);
    assert_string_equal(o.pre_uid, "u-1");
    assert_string_equal(o.pre_rv, "9");
    assert_int_equal(o.orphan, -1);
    assert_non_null(o.body);
    api_delete_opts_close(&o);
    assert_null(o.body);

    /* an empty object and null: no options */
    rq = pod_request("{}");
    assert_int_equal(api_delete_opts_parse(rq, &rep, &o), 0);
    assert_false(o.grace_set || o.dry_run || o.propagation || o.pre_uid || o.pre_rv);
    api_delete_opts_close(&o);
    rq = pod_request("null");
    assert_int_equal(api_delete_opts_parse(rq, &rep, &o), 0);
    api_delete_opts_close(&o);

    /* YAML */
    rq = pod_request("gracePeriodSeconds: 5\ndryRun: [All]\n");
    rq->content_type = "application/yaml";
    assert_int_equal(api_delete_opts_parse(rq, &rep, &o), 0);
    assert_true(o.grace_set && o.grace == 5 && o.dry_run);
    api_delete_opts_close(&o);

    /* protobuf, as client-go's typed clients send it: envelope {typeMeta {v1, DeleteOptions}, raw
     * DeleteOptions {1 gracePeriodSeconds: 0, 5 dryRun: "All"}} */
    static const char pb[] = "k8s\0"
                             "\x0a\x13\x0a\x02v1\x12\x0d"
                             "DeleteOptions"
                             "\x12\x07\x08\x00\x2a\x03"
                             "All";
    rq = pod_request(NULL);
    rq->content_type = "application/vnd.kubernetes.protobuf";
    rq->body = pb;
    rq->body_len = sizeof(pb) - 1;
    assert_int_equal(api_delete_opts_parse(rq, &rep, &o), 0);
    assert_true(o.grace_set && o.grace == 0 && o.dry_run);
    api_delete_opts_close(&o);
    rq->body_len = 10; /* truncated */
    assert_int_equal(api_delete_opts_parse(rq, &rep, &o), -1);
    assert_int_equal(rep.status, 500);
    reply_free(&rep);
    api_delete_opts_close(&o);

    /* orphanDependents (body only) */
    rq = pod_request("{'orphanDependents':false}");
    assert_int_equal(api_delete_opts_parse(rq, &rep, &o), 0);
    assert_int_equal(o.orphan, 0);
    api_delete_opts_close(&o);
}

static void
test_delete_opts_query(void **state)
{
    (void)state;
    struct api_reply rep = { 0 };
    struct api_delete_opts o;
    struct api_request *rq = pod_request(NULL);
    rq->grace_period = "-3";
    rq->propagation_policy = "Orphan";
    rq->dry_run = "All";
    assert_int_equal(api_delete_opts_parse(rq, &rep, &o), 0);
    assert_true(o.grace_set && o.grace == -3 && o.dry_run);
    assert_string_equal(o.propagation, "Orphan");
    assert_null(o.body);
    api_delete_opts_close(&o);

    rq = pod_request(NULL);
    rq->grace_period = "soon";
    assert_int_equal(api_delete_opts_parse(rq, &rep, &o), -1);
    assert_int_equal(rep.status, 400);
    assert_string_equal(message(&rep), "strconv.ParseInt: parsing \"soon\": invalid syntax");
    reply_free(&rep);
    api_delete_opts_close(&o);

    rq = pod_request(NULL);
    rq->grace_period = "99999999999999999999";
    assert_int_equal(api_delete_opts_parse(rq, &rep, &o), -1);
    assert_string_equal(message(&rep), "strconv.ParseInt: parsing \"99999999999999999999\": value out of range");
    reply_free(&rep);
    api_delete_opts_close(&o);

    rq = pod_request(NULL);
    rq->dry_run = "true";
    assert_int_equal(api_delete_opts_parse(rq, &rep, &o), -1);
    assert_int_equal(rep.status, 422);
    EXPECT_JSON(rep.body, "{'kind':'Status','apiVersion':'v1','metadata':{},'status':'Failure',"
                          "'message':'DeleteOptions.meta.k8s.io \\'\\' is invalid: dryRun: Unsupported value: "
                          "[]string{\\'true\\'}: supported values: \\'All\\'','reason':'Invalid',"
                          "'details':{'group':'meta.k8s.io','kind':'DeleteOptions','causes':[{'reason':"
                          "'FieldValueNotSupported','message':'Unsupported value: []string{\\'true\\'}: supported "
                          "values: \\'All\\'','field':'dryRun'}]},'code':422}");
    reply_free(&rep);
    api_delete_opts_close(&o);
}

static void
test_delete_opts_validation(void **state)
{
    (void)state;
    struct api_reply rep = { 0 };
    struct api_delete_opts o;
    struct api_request *rq = pod_request("{'propagationPolicy':'Sideways'}");
    assert_int_equal(api_delete_opts_parse(rq, &rep, &o), -1);
    assert_int_equal(rep.status, 422);
    assert_string_equal(message(&rep), "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported "
                                       "value: \"Sideways\": supported values: \"Foreground\", \"Background\", "
                                       "\"Orphan\", \"nil\"");
    reply_free(&rep);
    api_delete_opts_close(&o);

    rq = pod_request("{'propagationPolicy':'Background','orphanDependents':true,'dryRun':['All','x']}");
    assert_int_equal(api_delete_opts_parse(rq, &rep, &o), -1);
    assert_string_equal(message(&rep), "DeleteOptions.meta.k8s.io \"\" is invalid: [propagationPolicy: Invalid "
                                       "value: \"Background\": orphanDependents and deletionPropagation cannot be "
                                       "both set, dryRun: Unsupported value: []string{\"All\", \"x\"}: supported "
                                       "values: \"All\"]");
    assert_int_equal(json_array_size(kc_json_get(rep.body, "details.causes")), 2);
    reply_free(&rep);
    api_delete_opts_close(&o);
}

/* A body that does not decode is upstream's decoder error, which is no Status: 500 without a reason. */
static void
test_delete_opts_decode_errors(void **state)
{
    (void)state;
    static const struct {
        const char *body, *prefix;
    } cases[] = {
        { "{not json", "couldn't get version/kind; json parse error: " },
        { "{'gracePeriodSeconds':'5'}",
          "json: cannot unmarshal string into Go struct field DeleteOptions.gracePeriodSeconds of type int64" },
        { "{'dryRun':'All'}", "json: cannot unmarshal string into Go struct field DeleteOptions.dryRun of type "
                              "[]string" },
        { "{'dryRun':[1]}", "json: cannot unmarshal number into Go struct field DeleteOptions.dryRun of type string" },
        { "{'orphanDependents':'no'}",
          "json: cannot unmarshal string into Go struct field DeleteOptions.orphanDependents of type bool" },
        { "{'preconditions':{'uid':5}}",
          "json: cannot unmarshal number into Go struct field Preconditions.preconditions.uid of type types.UID" },
        { "[1]", "json: cannot unmarshal array into Go value of type v1.DeleteOptions" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct api_reply rep = { 0 };
        struct api_delete_opts o;
        assert_int_equal(api_delete_opts_parse(pod_request(cases[i].body), &rep, &o), -1);
        assert_int_equal(rep.status, 500);
        assert_null(json_object_get(rep.body, "reason"));
        const char *m = message(&rep);
        if (!m || strncmp(m, cases[i].prefix, strlen(cases[i].prefix)) != 0)
            fail_msg("%s: got \"%s\", want \"%s...\"", cases[i].body, m ? m : "", cases[i].prefix);
        reply_free(&rep);
        api_delete_opts_close(&o);
    }
}

/* --- the write options' dryRun --- */

static void
test_write_options_dry_run(void **state)
{
    (void)state;
    struct api_reply rep = { 0 };
    struct api_request *rq = pod_request(NULL);
    rq->dry_run = "All";
    assert_int_equal(api_check_options(rq, &rep, "CreateOptions", false), 0);
    rq->dry_run = "server";
    rq->field_validation = "Loose";
    assert_int_equal(api_check_options(rq, &rep, "CreateOptions", false), -1);
    assert_int_equal(rep.status, 422);
    /* ValidateCreateOptions: dryRun before fieldValidation */
    assert_string_equal(message(&rep), "CreateOptions.meta.k8s.io \"\" is invalid: [dryRun: Unsupported value: "
                                       "[]string{\"server\"}: supported values: \"All\", fieldValidation: "
                                       "Unsupported value: \"Loose\": supported values: \"\", \"Ignore\", "
                                       "\"Strict\", \"Warn\"]");
    reply_free(&rep);
}

/* --- eviction --- */

static void
test_eviction_check(void **state)
{
    (void)state;
    struct api_reply rep = { 0 };
    struct api_delete_opts o;
    struct api_request *rq = pod_request(NULL);
    json_t *ev = J("{'apiVersion':'policy/v1','kind':'Eviction','metadata':{'name':'p','namespace':'ns'},"
                   "'deleteOptions':{'gracePeriodSeconds':0,'preconditions':{'uid':'u-1'}}}");
    assert_int_equal(api_eviction_check(rq, &rep, ev, &o), 0);
    assert_true(o.grace_set && o.grace == 0 && !o.dry_run);
    assert_string_equal(o.pre_uid, "u-1");
    api_delete_opts_close(&o);
    json_decref(ev);

    /* the type may be left out (the endpoint's is policy/v1 Eviction), so may the namespace and deleteOptions;
     * the request's dryRun applies when the content has none */
    rq->dry_run = "All";
    ev = J("{'metadata':{'name':'p'}}");
    assert_int_equal(api_eviction_check(rq, &rep, ev, &o), 0);
    assert_true(o.dry_run && !o.grace_set);
    api_delete_opts_close(&o);
    json_decref(ev);
    ev = J("{'apiVersion':'policy/v1beta1','metadata':{'name':'p'},'deleteOptions':{'dryRun':['All']}}");
    assert_int_equal(api_eviction_check(rq, &rep, ev, &o), 0);
    assert_true(o.dry_run);
    api_delete_opts_close(&o);
    json_decref(ev);
    rq->dry_run = NULL;
    ev = J("{'metadata':{'name':'p'},'deleteOptions':{'dryRun':['All']}}");
    assert_int_equal(api_eviction_check(rq, &rep, ev, &o), 0);
    assert_true(o.dry_run);
    api_delete_opts_close(&o);
    json_decref(ev);

    static const struct {
        const char *body, *dry_run;
        int status;
        const char *message;
    } bad[] = {
        { "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'}}", NULL, 400,
          "Pod in version \"v1\" cannot be handled as a Eviction: converting (v1.Pod) to (policy.Eviction): unknown "
          "conversion" },
        { "{'apiVersion':'v1','kind':'Eviction','metadata':{'name':'p'}}", NULL, 400,
          "Eviction in version \"v1\" cannot be handled as a Eviction: no kind \"Eviction\" is registered for "
          "version \"v1\" in scheme \"pkg/api/legacyscheme/scheme.go:30\"" },
        { "{'metadata':{'name':'p','namespace':'other'}}", NULL, 400,
          "the namespace of the provided object does not match the namespace sent on the request" },
        { "{'metadata':{'name':'q'}}", NULL, 400, "name in URL does not match name in Eviction object" },
        { "{'metadata':{}}", NULL, 400, "name in URL does not match name in Eviction object" },
        { "{'metadata':{'name':'p'},'deleteOptions':{'dryRun':['x']}}", "All", 500,
          "Non-matching dry-run options in request and content: [All] and [x]" },
        { "{'metadata':{'name':'p'},'deleteOptions':{'gracePeriodSeconds':'0'}}", NULL, 400,
          "Eviction in version \"v1\" cannot be handled as a Eviction: json: cannot unmarshal string into Go struct "
          "field Eviction.deleteOptions.gracePeriodSeconds of type int64" },
        { "{'metadata':{'name':'p'},'deleteOptions':{'propagationPolicy':'x'}}", NULL, 422,
          "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"x\": supported values: "
          "\"Foreground\", \"Background\", \"Orphan\", \"nil\"" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rq->dry_run = bad[i].dry_run;
        ev = J(bad[i].body);
        assert_int_equal(api_eviction_check(rq, &rep, ev, &o), -1);
        if (rep.status != bad[i].status || !message(&rep) || strcmp(message(&rep), bad[i].message) != 0)
            fail_msg("%s: got %d \"%s\", want %d \"%s\"", bad[i].body, rep.status, message(&rep) ?: "", bad[i].status,
                     bad[i].message);
        reply_free(&rep);
        api_delete_opts_close(&o);
        json_decref(ev);
    }
}

/* --- patch errors --- */

static void
test_patch_error(void **state)
{
    (void)state;
    struct api_reply rep = { 0 };
    /* a JSON patch operation that fails: the detail is dropped, as NewGenericServerResponse drops it */
    api_patch_error(&rep, API_PATCH_JSON, KC_EINVALID, "testing value /data/b failed: test failed");
    assert_int_equal(rep.status, 422);
    EXPECT_JSON(rep.body, "{'kind':'Status','apiVersion':'v1','metadata':{},'status':'Failure','message':"
                          "'the server rejected our request due to an error in our request','reason':'Invalid',"
                          "'details':{},'code':422}");
    reply_free(&rep);
    api_patch_error(&rep, API_PATCH_JSON, KC_EBADREQUEST,
                    "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
    assert_int_equal(rep.status, 400);
    assert_string_equal(json_string_value(json_object_get(rep.body, "reason")), "BadRequest");
    assert_string_equal(message(&rep), "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
    reply_free(&rep);
    api_patch_error(&rep, API_PATCH_JSON, KC_ETOOLARGE,
                    "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001");
    assert_int_equal(rep.status, 413);
    assert_string_equal(json_string_value(json_object_get(rep.body, "reason")), "RequestEntityTooLarge");
    reply_free(&rep);

    /* strategic merge patch: interpretStrategicMergePatchError */
    static const struct {
        const char *err;
        int status;
        const char *reason;
    } smp[] = {
        { "invalid patch format of primitive list", 400, "BadRequest" },
        { "invalid patch format of retainKeys", 400, "BadRequest" },
        { "invalid patch format of setElementOrder list", 400, "BadRequest" },
        { "json: cannot unmarshal array into Go value of type map[string]interface {}", 400, "BadRequest" },
        { "lists of lists are not supported", 422, "Invalid" },
        { "map: map[image:x] does not contain declared merge key: name", 500, NULL },
        { "unknown patch type: merge in map: map[$patch:merge]", 500, NULL },
    };
    for (size_t i = 0; i < sizeof(smp) / sizeof(smp[0]); i++) {
        api_patch_error(&rep, API_PATCH_STRATEGIC, strncmp(smp[i].err, "lists", 5) == 0 ? KC_EINVALID : KC_EBADREQUEST,
                        smp[i].err);
        assert_int_equal(rep.status, smp[i].status);
        const char *reason = json_string_value(json_object_get(rep.body, "reason"));
        if (smp[i].reason)
            assert_string_equal(reason, smp[i].reason);
        else
            assert_null(reason);
        if (smp[i].status == 422)
            assert_string_equal(message(&rep), "the server rejected our request due to an error in our request");
        else
            assert_string_equal(message(&rep), smp[i].err);
        reply_free(&rep);
    }
    api_patch_error(&rep, API_PATCH_MERGE, KC_EINVALID, "invalid arguments");
    assert_int_equal(rep.status, 500);
    reply_free(&rep);
    api_patch_error(&rep, API_PATCH_STRATEGIC, -ENOMEM, "");
    assert_int_equal(rep.status, 500);
    assert_string_equal(json_string_value(json_object_get(rep.body, "reason")), "InternalError");
    reply_free(&rep);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_flags),
        cmocka_unit_test(test_delete_result),
        cmocka_unit_test(test_delete_opts_body),
        cmocka_unit_test(test_delete_opts_query),
        cmocka_unit_test(test_delete_opts_validation),
        cmocka_unit_test(test_delete_opts_decode_errors),
        cmocka_unit_test(test_write_options_dry_run),
        cmocka_unit_test(test_eviction_check),
        cmocka_unit_test(test_patch_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
