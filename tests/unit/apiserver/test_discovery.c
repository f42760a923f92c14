/* test_discovery.c - discovery (apiserver/discovery.c): the served resources (table + review kinds), Accept
 * negotiation between the legacy and the aggregated forms, the APIGroupDiscoveryList shapes (v2 and v2beta1) for
 * /api and /apis, and agreement of the aggregated form with the legacy APIResourceList of every group-version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_authz.h"
#include "api_discovery.h"
#include "api_int.h"
#include "kc_json.h"

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

/* The element of array arr whose member key equals value, or NULL. */
static json_t *
find_by(const json_t *arr, const char *key, const char *value)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        const char *v = json_string_value(json_object_get(e, key));
        if (v && strcmp(v, value) == 0)
            return e;
    }
    return NULL;
}

static void
test_served(void **state)
{
    (void)state;
    size_t n = 0, table = 0;
    while (api_resources[table].kind)
        table++;
    while (api_served_at(n))
        n++;
    assert_int_equal(n, table + 3);
    assert_ptr_equal(api_served_at(0), &api_resources[0]);
    assert_ptr_equal(api_served_at(table), &api_review_resources[0]);
    assert_null(api_served_at(n));
    assert_null(api_served_at((size_t)-1));
    assert_true(api_gv_served("", "v1"));
    assert_true(api_gv_served("apps", "v1"));
    assert_true(api_gv_served("authorization.k8s.io", "v1"));
    assert_true(api_gv_served("authentication.k8s.io", "v1"));
    assert_false(api_gv_served("apps", "v2"));
    assert_false(api_gv_served("policy", "v1"));
    assert_false(api_gv_served("", "v2"));
}

#define KUBECTL_ACCEPT                                                                                             \
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;" \
    "v=v2beta1;as=APIGroupDiscoveryList,application/json"

static void
test_negotiate(void **state)
{
    (void)state;
    static const struct {
        const char *accept;
        enum api_discovery_form want;
    } cases[] = {
        { NULL, API_DISCOVERY_LEGACY },
        { "", API_DISCOVERY_LEGACY },
        { "application/json", API_DISCOVERY_LEGACY },
        { "*/*", API_DISCOVERY_LEGACY },
        { "application/json, */*", API_DISCOVERY_LEGACY },
        { KUBECTL_ACCEPT, API_DISCOVERY_V2 },
        /* client-go 1.27-1.29 put v2beta1 first */
        { "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
          API_DISCOVERY_V2BETA1 },
        { "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", API_DISCOVERY_V2 },
        /* spaces around parameters, upper-case type */
        { "Application/JSON ; g=apidiscovery.k8s.io ; v=v2 ; as=APIGroupDiscoveryList", API_DISCOVERY_V2 },
        /* q decides before order; equal q: the first */
        { "application/json;q=0.5,application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
          API_DISCOVERY_V2 },
        { "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0.4,application/json;q=0.9",
          API_DISCOVERY_LEGACY },
        { "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0", API_DISCOVERY_LEGACY },
        /* what this server cannot produce is skipped */
        { "application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json",
          API_DISCOVERY_LEGACY },
        { "application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
          "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList",
          API_DISCOVERY_V2BETA1 },
        { "application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,application/json",
          API_DISCOVERY_LEGACY },
        { "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupList", API_DISCOVERY_LEGACY },
        { "application/json;as=Table;v=v1;g=meta.k8s.io,application/json", API_DISCOVERY_LEGACY },
        { "text/html", API_DISCOVERY_LEGACY },
        { ",,;;=,", API_DISCOVERY_LEGACY },
        { "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;g", API_DISCOVERY_V2 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum api_discovery_form got = api_discovery_negotiate(cases[i].accept);
        if (got != cases[i].want) {
            print_error("Accept %s: got form %d, want %d\n", cases[i].accept ? cases[i].accept : "(none)", got,
                        cases[i].want);
            fail();
        }
    }
}

static void
test_aggregated_core(void **state)
{
    (void)state;
    json_t *doc = api_discovery_aggregated_doc("/api", API_DISCOVERY_V2);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "kind")), "APIGroupDiscoveryList");
    assert_string_equal(json_string_value(json_object_get(doc, "apiVersion")), "apidiscovery.k8s.io/v2");
    EXPECT_JSON(json_object_get(doc, "metadata"), "{}");
    json_t *items = json_object_get(doc, "items");
    assert_int_equal(json_array_size(items), 1);
    json_t *core = json_array_get(items, 0);
    EXPECT_JSON(json_object_get(core, "metadata"), "{'creationTimestamp':null}"); /* the core group has no name */
    json_t *versions = json_object_get(core, "versions");
    assert_int_equal(json_array_size(versions), 1);
    json_t *v1 = json_array_get(versions, 0);
    assert_string_equal(json_string_value(json_object_get(v1, "version")), "v1");
    assert_string_equal(json_string_value(json_object_get(v1, "freshness")), "Current");
    json_t *res = json_object_get(v1, "resources");
    EXPECT_JSON(find_by(res, "resource", "pods"),
                "{'resource':'pods','responseKind':{'group':'','version':'v1','kind':'Pod'},'scope':'Namespaced',"
                "'singularResource':'pod','verbs':['create','delete','deletecollection','get','list','patch',"
                "'update','watch'],'shortNames':['po'],'categories':['all'],'subresources':["
                "{'subresource':'binding','responseKind':{'group':'','version':'v1','kind':'Binding'},"
                "'verbs':['create']},"
                "{'subresource':'eviction','responseKind':{'group':'policy','version':'v1','kind':'Eviction'},"
                "'verbs':['create']},"
                "{'subresource':'log','responseKind':{'group':'','version':'v1','kind':'Pod'},'verbs':['get']},"
                "{'subresource':'status','responseKind':{'group':'','version':'v1','kind':'Pod'},"
                "'verbs':['get','patch','update']}]}");
    EXPECT_JSON(find_by(res, "resource", "namespaces"),
                "{'resource':'namespaces','responseKind':{'group':'','version':'v1','kind':'Namespace'},"
                "'scope':'Cluster','singularResource':'namespace','verbs':['create','delete',"
                "'get','list','patch','update','watch'],'shortNames':['ns'],'subresources':["
                "{'subresource':'finalize','responseKind':{'group':'','version':'v1','kind':'Namespace'},"
                "'verbs':['update']},"
                "{'subresource':'status','responseKind':{'group':'','version':'v1','kind':'Namespace'},"
                "'verbs':['get','patch','update']}]}");
    /* a resource without subresources, short names or categories has none of those members */
    json_t *sa = find_by(res, "resource", "serviceaccounts");
    assert_non_null(sa);
    assert_null(json_object_get(sa, "subresources"));
    assert_null(json_object_get(sa, "categories"));
    assert_null(find_by(res, "resource", "deployments"));
    json_decref(doc);
}

static void
test_aggregated_groups(void **state)
{
    (void)state;
    json_t *doc = api_discovery_aggregated_doc("/apis", API_DISCOVERY_V2BETA1);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "apiVersion")), "apidiscovery.k8s.io/v2beta1");
    json_t *items = json_object_get(doc, "items");
    /* every served group but core, once each */
    size_t i;
    json_t *g;
    json_array_foreach(items, i, g)
    {
        const char *name = json_string_value(json_object_get(json_object_get(g, "metadata"), "name"));
        assert_non_null(name);
        assert_true(name[0]);
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(
                json_string_value(json_object_get(json_object_get(json_array_get(items, k), "metadata"), "name")),
                name);
    }
    json_t *apps = NULL, *authz = NULL, *authn = NULL;
    json_array_foreach(items, i, g)
    {
        const char *name = json_string_value(json_object_get(json_object_get(g, "metadata"), "name"));
        if (strcmp(name, "apps") == 0)
            apps = g;
        else if (strcmp(name, "authorization.k8s.io") == 0)
            authz = g;
        else if (strcmp(name, "authentication.k8s.io") == 0)
            authn = g;
    }
    assert_non_null(apps);
    json_t *deploy = find_by(json_object_get(json_array_get(json_object_get(apps, "versions"), 0), "resources"),
                             "resource", "deployments");
    EXPECT_JSON(find_by(json_object_get(deploy, "subresources"), "subresource", "scale"),
                "{'subresource':'scale','responseKind':{'group':'autoscaling','version':'v1','kind':'Scale'},"
                "'verbs':['get','patch','update']}");
    EXPECT_JSON(json_object_get(deploy, "shortNames"), "['deploy']");
    assert_non_null(authz);
    json_t *ar = json_object_get(json_array_get(json_object_get(authz, "versions"), 0), "resources");
    EXPECT_JSON(find_by(ar, "resource", "selfsubjectaccessreviews"),
                "{'resource':'selfsubjectaccessreviews','responseKind':{'group':'authorization.k8s.io',"
                "'version':'v1','kind':'SelfSubjectAccessReview'},'scope':'Cluster',"
                "'singularResource':'selfsubjectaccessreview','verbs':['create']}");
    assert_non_null(find_by(ar, "resource", "selfsubjectrulesreviews"));
    assert_non_null(authn);
    EXPECT_JSON(json_object_get(authn, "versions"),
                "[{'version':'v1','freshness':'Current','resources':[{'resource':'selfsubjectreviews',"
                "'responseKind':{'group':'authentication.k8s.io','version':'v1','kind':'SelfSubjectReview'},"
                "'scope':'Cluster','singularResource':'selfsubjectreview','verbs':['create']}]}]");
    json_decref(doc);

    json_t *v2 = api_discovery_aggregated_doc("/apis", API_DISCOVERY_V2);
    assert_string_equal(json_string_value(json_object_get(v2, "apiVersion")), "apidiscovery.k8s.io/v2");
    json_decref(v2);
    assert_null(api_discovery_aggregated_doc("/apis", API_DISCOVERY_LEGACY));
    assert_null(api_discovery_aggregated_doc("/api/v1", API_DISCOVERY_V2));
    assert_null(api_discovery_aggregated_doc("/apis/apps", API_DISCOVERY_V2));
    assert_null(api_discovery_aggregated_doc("/apis/", API_DISCOVERY_V2));
}

/* Both forms say the same about every group-version: the legacy APIResourceList's entries (resources and
 * "plural/sub" subresources) are exactly the aggregated resources and subresources, with the same verbs, kinds,
 * scopes, singular names, short names and categories. */
static void
test_forms_agree(void **state)
{
    (void)state;
    json_t *core = api_discovery_aggregated_doc("/api", API_DISCOVERY_V2);
    json_t *groups = api_discovery_aggregated_doc("/apis", API_DISCOVERY_V2);
    json_t *all = json_array();
    json_array_extend(all, json_object_get(core, "items"));
    json_array_extend(all, json_object_get(groups, "items"));
    size_t i, checked = 0;
    json_t *g;
    json_array_foreach(all, i, g)
    {
        const char *group = json_string_value(json_object_get(json_object_get(g, "metadata"), "name"));
        json_t *ver = json_array_get(json_object_get(g, "versions"), 0);
        const char *version = json_string_value(json_object_get(ver, "version"));
        char path[200];
        if (group)
            snprintf(path, sizeof(path), "/apis/%s/%s", group, version);
        else
            snprintf(path, sizeof(path), "/api/%s", version);
        struct api_reply rep = { 0 };
        assert_true(api_discovery(NULL, path, NULL, &rep)); /* srv is only read for /api */
        assert_int_equal(rep.status, 200);
        json_t *legacy = json_object_get(rep.body, "resources");
        size_t nagg = 0, k, s;
        json_t *r, *sub;
        json_array_foreach(json_object_get(ver, "resources"), k, r)
        {
            const char *plural = json_string_value(json_object_get(r, "resource"));
            json_t *l = find_by(legacy, "name", plural);
            if (!l) {
                print_error("%s: %s only in the aggregated form\n", path, plural);
                fail();
            }
            nagg++;
            assert_true(json_equal(json_object_get(l, "verbs"), json_object_get(r, "verbs")));
            assert_string_equal(json_string_value(json_object_get(l, "kind")),
                                json_string_value(json_object_get(json_object_get(r, "responseKind"), "kind")));
            assert_string_equal(json_string_value(json_object_get(l, "singularName")),
                                json_string_value(json_object_get(r, "singularResource")));
            assert_int_equal(json_is_true(json_object_get(l, "namespaced")),
                             strcmp(json_string_value(json_object_get(r, "scope")), "Namespaced") == 0);
            assert_true(json_equal(json_object_get(l, "shortNames"), json_object_get(r, "shortNames")) ||
                        (!json_object_get(l, "shortNames") && !json_object_get(r, "shortNames")));
            assert_true(json_equal(json_object_get(l, "categories"), json_object_get(r, "categories")) ||
                        (!json_object_get(l, "categories") && !json_object_get(r, "categories")));
            json_array_foreach(json_object_get(r, "subresources"), s, sub)
            {
                char name[160];
                snprintf(name, sizeof(name), "%s/%s", plural, json_string_value(json_object_get(sub, "subresource")));
                json_t *ls = find_by(legacy, "name", name);
                if (!ls) {
                    print_error("%s: %s only in the aggregated form\n", path, name);
                    fail();
                }
                nagg++;
                assert_true(json_equal(json_object_get(ls, "verbs"), json_object_get(sub, "verbs")));
                assert_string_equal(json_string_value(json_object_get(ls, "kind")),
                                    json_string_value(json_object_get(json_object_get(sub, "responseKind"), "kind")));
            }
        }
        assert_int_equal(nagg, json_array_size(legacy));
        json_decref(rep.body);
        checked++;
    }
    assert_true(checked >= 10);
    json_decref(all);
    json_decref(core);
    json_decref(groups);
}

/* The legacy documents list the review kinds too. */
static void
test_legacy_reviews(void **state)
{
    (void)state;
    struct api_reply rep = { 0 };
    assert_true(api_discovery(NULL, "/apis", NULL, &rep));
    json_t *groups = json_object_get(rep.body, "groups");
    EXPECT_JSON(find_by(groups, "name", "authorization.k8s.io"),
                "{'name':'authorization.k8s.io','versions':[{'groupVersion':'authorization.k8s.io/v1','version':'v1'}],"
                "'preferredVersion':{'groupVersion':'authorization.k8s.io/v1','version':'v1'}}");
    assert_non_null(find_by(groups, "name", "authentication.k8s.io"));
    assert_null(find_by(groups, "name", ""));
    json_decref(rep.body);

    rep = (struct api_reply){ 0 };
    assert_true(api_discovery(NULL, "/apis/authorization.k8s.io/v1", NULL, &rep));
    EXPECT_JSON(rep.body, "{'kind':'APIResourceList','apiVersion':'v1','groupVersion':'authorization.k8s.io/v1',"
                          "'resources':[{'name':'selfsubjectaccessreviews','singularName':'selfsubjectaccessreview',"
                          "'namespaced':false,'kind':'SelfSubjectAccessReview','verbs':['create']},"
                          "{'name':'selfsubjectrulesreviews','singularName':'selfsubjectrulesreview',"
                          "'namespaced':false,'kind':'SelfSubjectRulesReview','verbs':['create']}]}");
    json_decref(rep.body);
    rep = (struct api_reply){ 0 };
    assert_true(api_discovery(NULL, "/apis/authentication.k8s.io", NULL, &rep));
    assert_string_equal(json_string_value(json_object_get(rep.body, "kind")), "APIGroup");
    json_decref(rep.body);
    rep = (struct api_reply){ 0 };
    assert_false(api_discovery(NULL, "/apis/policy/v1", NULL, &rep));
    assert_false(api_discovery(NULL, "/apis/policy", NULL, &rep));
    assert_null(rep.body);
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

/* Every failure makes the whole document fail (NULL, or a 500 for the legacy ones): never one with a resource left
 * out, never a crash or (under ASan) a leak. */
static void
test_allocation_failure(void **state)
{
    (void)state;
    static const char *const legacy[] = { "/apis", "/api/v1", "/apis/apps/v1", "/apis/authorization.k8s.io" };
    json_set_alloc_funcs(failing_malloc, free);
    for (int form = API_DISCOVERY_V2; form <= API_DISCOVERY_V2BETA1; form++) {
        for (int p = 0; p < 2; p++) {
            const char *path = p ? "/apis" : "/api";
            fail_at = 1L << 30;
            calls = 0;
            json_t *doc = api_discovery_aggregated_doc(path, (enum api_discovery_form)form);
            long total = calls;
            assert_non_null(doc);
            json_decref(doc);
            for (long at = 0; at < total; at += total / 150 + 1) {
                fail_at = at;
                calls = 0;
                doc = api_discovery_aggregated_doc(path, (enum api_discovery_form)form);
                if (doc) {
                    print_error("%s: allocation %ld of %ld failed, the document was still built\n", path, at, total);
                    fail();
                }
            }
        }
    }
    for (size_t i = 0; i < sizeof(legacy) / sizeof(legacy[0]); i++) {
        fail_at = 1L << 30;
        calls = 0;
        struct api_reply rep = { 0 };
        assert_true(api_discovery(NULL, legacy[i], NULL, &rep));
        long total = calls;
        json_decref(rep.body);
        for (long at = 0; at < total; at += total / 100 + 1) {
            fail_at = at;
            calls = 0;
            rep = (struct api_reply){ 0 };
            assert_true(api_discovery(NULL, legacy[i], NULL, &rep));
            fail_at = -1;
            if (rep.status != 500) {
                print_error("%s: allocation %ld of %ld failed, status %d\n", legacy[i], at, total, rep.status);
                fail();
            }
            json_decref(rep.body);
        }
    }
    fail_at = -1;
    json_set_alloc_funcs(malloc, free);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_served),
        cmocka_unit_test(test_negotiate),
        cmocka_unit_test(test_aggregated_core),
        cmocka_unit_test(test_aggregated_groups),
        cmocka_unit_test(test_forms_agree),
        cmocka_unit_test(test_legacy_reviews),
        cmocka_unit_test(test_allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
