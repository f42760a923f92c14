/* test_discovery_reviews.c - the authorizer (apiserver/authz.c) and the create-only review kinds it answers
 * (apiserver/reviews.c): SelfSubjectAccessReview (resource and non-resource attributes, upstream's validation
 * messages, decode errors), SelfSubjectRulesReview (AlwaysAllow's rules, the namespace requirement) and
 * SelfSubjectReview (username, uid, groups), for authenticated and unauthenticated callers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_authz.h"
#include "kc_json.h"
#include "kc_time.h"

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

static void
set_user(struct api_user *u, const char *name, const char *g1, const char *g2)
{
    memset(u, 0, sizeof(*u));
    snprintf(u->name, sizeof(u->name), "%s", name);
    if (g1)
        snprintf(u->groups[u->ngroups++], sizeof(u->groups[0]), "%s", g1);
    if (g2)
        snprintf(u->groups[u->ngroups++], sizeof(u->groups[0]), "%s", g2);
}

/* Runs one review: body is test JSON (single quotes) or NULL for an empty body. Returns the reply (the caller
 * decrefs rep->body). */
static void
review(const char *plural, const struct api_user *u, const char *uid, const char *body, struct api_reply *rep)
{
    static struct api_request rq;
    static char text[4096];
    memset(&rq, 0, sizeof(rq));
    const char *group = strcmp(plural, "selfsubjectreviews") == 0 ? "authentication.k8s.io" : "authorization.k8s.io";
    rq.res = api_review_find(group, "v1", plural);
    assert_non_null(rq.res);
    snprintf(rq.verb, sizeof(rq.verb), "create");
    rq.user = *u;
    rq.content_type = "application/json";
    if (body) {
        snprintf(text, sizeof(text), "%s", body);
        for (char *p = text; *p; p++)
            if (*p == '\'')
                *p = '"';
        rq.body = text;
        rq.body_len = strlen(text);
    }
    memset(rep, 0, sizeof(*rep));
    api_review_handle(&rq, uid, rep);
    assert_non_null(rep->body);
}

static const char *
message(const struct api_reply *rep)
{
    return json_string_value(json_object_get(rep->body, "message"));
}

static void
test_authorize(void **state)
{
    (void)state;
    struct api_user u;
    char reason[256];
    set_user(&u, "admin", "system:masters", "system:authenticated");
    struct api_authz_attrs a = { .resource_request = true, .verb = "delete", .resource = "pods", .namespace = "x" };
    assert_int_equal(api_authorize(&u, &a, reason, sizeof(reason)), API_AUTHZ_ALLOW);
    assert_true(strlen(reason) > 0);
    struct api_authz_attrs n = { .resource_request = false, .verb = "get", .path = "/healthz" };
    assert_int_equal(api_authorize(&u, &n, reason, sizeof(reason)), API_AUTHZ_ALLOW);
    /* a reason buffer of one byte or none */
    char one[1] = { 'x' };
    assert_int_equal(api_authorize(&u, &n, one, 1), API_AUTHZ_ALLOW);
    assert_int_equal(one[0], '\0');
    assert_int_equal(api_authorize(&u, &n, NULL, 0), API_AUTHZ_ALLOW);
    /* nobody */
    set_user(&u, "", NULL, NULL);
    assert_int_equal(api_authorize(&u, &a, reason, sizeof(reason)), API_AUTHZ_NO_OPINION);
    assert_string_equal(reason, "");
    assert_int_equal(api_authorize(NULL, &a, reason, sizeof(reason)), API_AUTHZ_NO_OPINION);

    json_t *res, *nonres;
    bool incomplete = true;
    set_user(&u, "alice", "devs", "system:authenticated");
    assert_int_equal(api_authz_rules(&u, "default", &res, &nonres, &incomplete), 0);
    EXPECT_JSON(res, "[{'verbs':['*'],'apiGroups':['*'],'resources':['*']}]");
    EXPECT_JSON(nonres, "[{'verbs':['*'],'nonResourceURLs':['*']}]");
    assert_false(incomplete);
    json_decref(res);
    json_decref(nonres);
    set_user(&u, "", NULL, NULL);
    assert_int_equal(api_authz_rules(&u, "default", &res, &nonres, &incomplete), 0);
    EXPECT_JSON(res, "[]");
    EXPECT_JSON(nonres, "[]");
    json_decref(res);
    json_decref(nonres);
}

static void
test_access_review(void **state)
{
    (void)state;
    struct api_user u;
    struct api_reply rep;
    set_user(&u, "admin", "system:masters", "system:authenticated");

    /* what kubectl auth can-i sends (as JSON) */
    review("selfsubjectaccessreviews", &u, "",
           "{'kind':'SelfSubjectAccessReview','apiVersion':'authorization.k8s.io/v1','metadata':"
           "{'creationTimestamp':null},'spec':{'resourceAttributes':{'namespace':'default','verb':'get',"
           "'resource':'pods'}},'status':{'allowed':false}}",
           &rep);
    assert_int_equal(rep.status, 201);
    EXPECT_JSON(json_object_get(rep.body, "spec"),
                "{'resourceAttributes':{'namespace':'default','verb':'get','resource':'pods'}}");
    EXPECT_JSON(json_object_get(rep.body, "metadata"), "{'creationTimestamp':null}");
    json_t *st = json_object_get(rep.body, "status");
    assert_true(json_is_true(json_object_get(st, "allowed")));
    assert_null(json_object_get(st, "denied"));
    assert_true(json_string_length(json_object_get(st, "reason")) > 0);
    json_decref(rep.body);

    /* kind and apiVersion filled in; non-resource attributes */
    review("selfsubjectaccessreviews", &u, "", "{'spec':{'nonResourceAttributes':{'path':'/healthz','verb':'get'}}}",
           &rep);
    assert_int_equal(rep.status, 201);
    assert_string_equal(json_string_value(json_object_get(rep.body, "kind")), "SelfSubjectAccessReview");
    assert_string_equal(json_string_value(json_object_get(rep.body, "apiVersion")), "authorization.k8s.io/v1");
    assert_true(json_is_true(json_object_get(json_object_get(rep.body, "status"), "allowed")));
    json_decref(rep.body);

    /* an unauthenticated caller: not allowed, no reason */
    struct api_user nobody;
    set_user(&nobody, "", NULL, NULL);
    review("selfsubjectaccessreviews", &nobody, "", "{'spec':{'resourceAttributes':{'verb':'list'}}}", &rep);
    assert_int_equal(rep.status, 201);
    EXPECT_JSON(json_object_get(rep.body, "status"), "{'allowed':false}");
    json_decref(rep.body);
}

static void
test_access_review_invalid(void **state)
{
    (void)state;
    struct api_user u;
    struct api_reply rep;
    set_user(&u, "admin", "system:masters", "system:authenticated");

    review("selfsubjectaccessreviews", &u, "", "{'spec':{}}", &rep);
    assert_int_equal(rep.status, 422);
    assert_string_equal(
        message(&rep), "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes: Invalid "
                       "value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified");
    EXPECT_JSON(json_object_get(rep.body, "details"),
                "{'group':'authorization.k8s.io','kind':'SelfSubjectAccessReview','causes':[{'reason':"
                "'FieldValueInvalid','message':'Invalid value: \\'null\\': exactly one of nonResourceAttributes or "
                "resourceAttributes must be specified','field':'spec.resourceAttributes'}]}");
    assert_string_equal(json_string_value(json_object_get(rep.body, "reason")), "Invalid");
    json_decref(rep.body);

    review("selfsubjectaccessreviews", &u, "", "{}", &rep); /* no spec at all: the same */
    assert_int_equal(rep.status, 422);
    json_decref(rep.body);

    review("selfsubjectaccessreviews", &u, "",
           "{'spec':{'resourceAttributes':{'verb':'get'},'nonResourceAttributes':{'path':'/x','verb':'get'}}}", &rep);
    assert_int_equal(rep.status, 422);
    assert_string_equal(message(&rep),
                        "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.nonResourceAttributes: "
                        "Invalid value: authorization.NonResourceAttributes{Path:\"/x\", Verb:\"get\"}: cannot be "
                        "specified in combination with resourceAttributes");
    json_decref(rep.body);

    review("selfsubjectaccessreviews", &u, "", "{'metadata':{'name':'x'},'spec':{'resourceAttributes':{}}}", &rep);
    assert_int_equal(rep.status, 422);
    assert_string_equal(message(&rep), "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: metadata: "
                                       "Invalid value: {\"name\":\"x\"}: must be empty");
    json_decref(rep.body);
    /* zero values are an empty ObjectMeta */
    review("selfsubjectaccessreviews", &u, "",
           "{'metadata':{'name':'','labels':{},'finalizers':[],'generation':0,'creationTimestamp':null},"
           "'spec':{'resourceAttributes':{}}}",
           &rep);
    assert_int_equal(rep.status, 201);
    json_decref(rep.body);
    /* both errors at once */
    review("selfsubjectaccessreviews", &u, "", "{'metadata':{'labels':{'a':'b'}}}", &rep);
    assert_int_equal(rep.status, 422);
    assert_int_equal(json_array_size(json_object_get(json_object_get(rep.body, "details"), "causes")), 2);
    json_decref(rep.body);

    /* decode errors: 400 */
    static const char *const bad[] = {
        "{'spec':{'resourceAttributes':'pods'}}",
        "{'spec':'x'}",
        "{'spec':{'resourceAttributes':{'verb':5}}}",
        "{'spec':{'nonResourceAttributes':{'path':[]}}}",
        "{'kind':'Pod','spec':{'resourceAttributes':{}}}",
        "{'apiVersion':'v1','spec':{'resourceAttributes':{}}}",
        "[1,2]",
        "{'spec':",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        review("selfsubjectaccessreviews", &u, "", bad[i], &rep);
        if (rep.status != 400) {
            print_error("body %s: status %d, want 400 (%s)\n", bad[i], rep.status, message(&rep));
            fail();
        }
        assert_string_equal(json_string_value(json_object_get(rep.body, "reason")), "BadRequest");
        json_decref(rep.body);
    }
    review("selfsubjectaccessreviews", &u, "", "{'kind':'Pod'}", &rep);
    assert_string_equal(message(&rep), "the kind in the data (Pod) does not match the expected kind "
                                       "(SelfSubjectAccessReview)");
    json_decref(rep.body);
    review("selfsubjectaccessreviews", &u, "", "{'apiVersion':'authorization.k8s.io/v1beta1'}", &rep);
    assert_string_equal(message(&rep), "the API version in the data (authorization.k8s.io/v1beta1) does not match the "
                                       "expected API version (authorization.k8s.io/v1)");
    json_decref(rep.body);
    review("selfsubjectaccessreviews", &u, "", NULL, &rep);
    assert_int_equal(rep.status, 400);
    assert_string_equal(message(&rep), "the request body is empty");
    json_decref(rep.body);
}

static void
test_rules_review(void **state)
{
    (void)state;
    struct api_user u;
    struct api_reply rep;
    set_user(&u, "admin", "system:masters", "system:authenticated");
    review("selfsubjectrulesreviews", &u, "",
           "{'kind':'SelfSubjectRulesReview','apiVersion':'authorization.k8s.io/v1','metadata':"
           "{'creationTimestamp':null},'spec':{'namespace':'default'},'status':{'resourceRules':null,"
           "'nonResourceRules':null,'incomplete':false}}",
           &rep);
    assert_int_equal(rep.status, 201);
    EXPECT_JSON(rep.body, "{'kind':'SelfSubjectRulesReview','apiVersion':'authorization.k8s.io/v1','metadata':"
                          "{'creationTimestamp':null},'spec':{},'status':{'resourceRules':[{'verbs':['*'],"
                          "'apiGroups':['*'],'resources':['*']}],'nonResourceRules':[{'verbs':['*'],"
                          "'nonResourceURLs':['*']}],'incomplete':false}}");
    json_decref(rep.body);

    static const char *const no_ns[] = { "{}", "{'spec':{}}", "{'spec':{'namespace':''}}", "{'spec':null}" };
    for (size_t i = 0; i < sizeof(no_ns) / sizeof(no_ns[0]); i++) {
        review("selfsubjectrulesreviews", &u, "", no_ns[i], &rep);
        assert_int_equal(rep.status, 400);
        assert_string_equal(message(&rep), "no namespace on request");
        json_decref(rep.body);
    }
    review("selfsubjectrulesreviews", &u, "", "{'spec':{'namespace':7}}", &rep);
    assert_int_equal(rep.status, 400);
    json_decref(rep.body);
}

static void
test_subject_review(void **state)
{
    (void)state;
    struct api_user u;
    struct api_reply rep;
    set_user(&u, "alice", "devs", "system:authenticated");
    review("selfsubjectreviews", &u, "uid-alice",
           "{'kind':'SelfSubjectReview','apiVersion':'authentication.k8s.io/v1','metadata':{'creationTimestamp':null},"
           "'status':{'userInfo':{}}}",
           &rep);
    assert_int_equal(rep.status, 201);
    assert_string_equal(json_string_value(json_object_get(rep.body, "kind")), "SelfSubjectReview");
    assert_string_equal(json_string_value(json_object_get(rep.body, "apiVersion")), "authentication.k8s.io/v1");
    EXPECT_JSON(json_object_get(rep.body, "status"),
                "{'userInfo':{'username':'alice','uid':'uid-alice','groups':['devs','system:authenticated']}}");
    const char *ts = json_string_value(json_object_get(json_object_get(rep.body, "metadata"), "creationTimestamp"));
    struct kc_time t;
    assert_non_null(ts);
    assert_int_equal(kc_time_parse(ts, &t), 0);
    assert_true(t.sec > 1700000000);
    json_decref(rep.body);

    /* a client certificate: no uid member */
    set_user(&u, "admin", "system:masters", "system:authenticated");
    review("selfsubjectreviews", &u, "", "{}", &rep);
    assert_int_equal(rep.status, 201);
    EXPECT_JSON(json_object_get(rep.body, "status"),
                "{'userInfo':{'username':'admin','groups':['system:masters','system:authenticated']}}");
    json_decref(rep.body);
    review("selfsubjectreviews", &u, NULL, "{'kind':'SelfSubjectAccessReview'}", &rep);
    assert_int_equal(rep.status, 400);
    json_decref(rep.body);
}

static void
test_find(void **state)
{
    (void)state;
    const struct api_resource *r = api_review_find("authorization.k8s.io", "v1", "selfsubjectaccessreviews");
    assert_non_null(r);
    assert_string_equal(r->kind, "SelfSubjectAccessReview");
    assert_false(r->namespaced);
    assert_int_equal(r->verbs, API_VERB_CREATE);
    assert_string_equal(r->schema, "io.k8s.api.authorization.v1.SelfSubjectAccessReview");
    assert_non_null(api_review_find("authentication.k8s.io", "v1", "selfsubjectreviews"));
    assert_null(api_review_find("authorization.k8s.io", "v1", "subjectaccessreviews"));
    assert_null(api_review_find("authorization.k8s.io", "v1beta1", "selfsubjectaccessreviews"));
    assert_null(api_review_find("", "v1", "pods"));
}

/* --- allocation failure: jansson's allocator fails once at the nth call --- */

static long fail_at = -1, calls;

static void *
failing_malloc(size_t n)
{
    if (fail_at >= 0 && calls++ == fail_at)
        return NULL;
    return malloc(n);
}

/* Each review with an allocation failing at every point after the body's parse (jansson 2.14's parser itself can
 * drop a character of a key when an allocation fails, which is api_parse_body's concern): an error Status, or the
 * complete answer; never a 201 with a member left out. Errors may come out with less detail (fields.c counts a cause
 * it could not record). */
static void
test_allocation_failure(void **state)
{
    (void)state;
    static const struct {
        const char *plural, *body;
    } cases[] = {
        { "selfsubjectaccessreviews", "{'spec':{'resourceAttributes':{'verb':'get','resource':'pods'}}}" },
        { "selfsubjectaccessreviews", "{'spec':{'nonResourceAttributes':{'verb':'get','path':'/x'}}}" },
        { "selfsubjectaccessreviews", "{'metadata':{'name':'x'},'spec':{}}" },
        { "selfsubjectrulesreviews", "{'spec':{'namespace':'default'}}" },
        { "selfsubjectreviews", "{}" },
    };
    struct api_user u;
    set_user(&u, "alice", "devs", "system:authenticated");
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct api_reply rep;
        review(cases[c].plural, &u, "uid-a", cases[c].body, &rep);
        json_t *want = rep.body;
        int want_status = rep.status;
        json_object_del(json_object_get(want, "metadata"), "creationTimestamp"); /* SelfSubjectReview: now */
        const char *group =
            strcmp(cases[c].plural, "selfsubjectreviews") == 0 ? "authentication.k8s.io" : "authorization.k8s.io";
        struct api_request rq = { .res = api_review_find(group, "v1", cases[c].plural), .user = u };
        long points = 0;
        for (long at = 0; at < 10000; at++) { /* until a run allocates fewer than at + 1 times */
            json_t *obj = J(cases[c].body);
            rep = (struct api_reply){ 0 };
            json_set_alloc_funcs(failing_malloc, free);
            fail_at = at;
            calls = 0;
            api_review_answer(&rq, "uid-a", obj, &rep);
            fail_at = -1;
            json_set_alloc_funcs(malloc, free);
            json_decref(obj);
            json_object_del(json_object_get(rep.body, "metadata"), "creationTimestamp");
            /* an error may lose detail (a cause the error list could not record); a success must be whole */
            bool ok = rep.status >= 400 ? rep.body != NULL : rep.status == want_status && json_equal(rep.body, want);
            if (!ok) {
                char *g = kc_json_canonical(rep.body);
                print_error("%s, allocation %ld failing: status %d %s\n", cases[c].plural, at, rep.status, g);
                free(g);
                json_decref(rep.body);
                json_decref(want);
                fail();
            }
            bool done = calls <= at;
            json_decref(rep.body);
            if (done)
                break;
            points++;
        }
        assert_true(points > 3);
        json_decref(want);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authorize),
        cmocka_unit_test(test_access_review),
        cmocka_unit_test(test_access_review_invalid),
        cmocka_unit_test(test_rules_review),
        cmocka_unit_test(test_subject_review),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
