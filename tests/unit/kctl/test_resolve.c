/* test_resolve.c - resource-type resolution against a fake API server (kctl_fake.h): what the user types maps to
 * the right group/version/resource, with the fewest requests (one group-version for known names), full legacy and
 * aggregated discovery otherwise, kubectl's errors, and the paths built from the result. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "kctl_fake.h"

static const char core_v1[] =
    "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":["
    "{\"name\":\"pods\",\"singularName\":\"pod\",\"namespaced\":true,\"kind\":\"Pod\",\"verbs\":[\"get\",\"list\"],"
    "\"shortNames\":[\"po\"],\"categories\":[\"all\"]},"
    "{\"name\":\"pods/log\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"Pod\",\"verbs\":[\"get\"]},"
    "{\"name\":\"events\",\"singularName\":\"event\",\"namespaced\":true,\"kind\":\"Event\",\"verbs\":[\"get\"],"
    "\"shortNames\":[\"ev\"]},"
    "{\"name\":\"nodes\",\"singularName\":\"node\",\"namespaced\":false,\"kind\":\"Node\",\"verbs\":[\"get\"],"
    "\"shortNames\":[\"no\"]}]}";
static const char apps_v1[] =
    "{\"kind\":\"APIResourceList\",\"groupVersion\":\"apps/v1\",\"resources\":["
    "{\"name\":\"deployments\",\"singularName\":\"deployment\",\"namespaced\":true,\"kind\":\"Deployment\","
    "\"verbs\":[\"get\"],\"shortNames\":[\"deploy\"],\"categories\":[\"all\"]},"
    "{\"name\":\"deployments/scale\",\"singularName\":\"\",\"namespaced\":true,\"group\":\"autoscaling\","
    "\"version\":\"v1\",\"kind\":\"Scale\",\"verbs\":[\"get\"]}]}";
static const char events_v1[] =
    "{\"kind\":\"APIResourceList\",\"groupVersion\":\"events.k8s.io/v1\",\"resources\":["
    "{\"name\":\"events\",\"singularName\":\"event\",\"namespaced\":true,\"kind\":\"Event\",\"verbs\":[\"get\"],"
    "\"shortNames\":[\"ev\"]}]}";
static const char widgets_v1[] =
    "{\"kind\":\"APIResourceList\",\"groupVersion\":\"example.com/v1\",\"resources\":["
    "{\"name\":\"widgets\",\"singularName\":\"widget\",\"namespaced\":false,\"kind\":\"Widget\",\"verbs\":[\"get\"],"
    "\"shortNames\":[\"wd\"]}]}";
static const char widgets_v2[] =
    "{\"kind\":\"APIResourceList\",\"groupVersion\":\"example.com/v2\",\"resources\":["
    "{\"name\":\"widgets\",\"singularName\":\"widget\",\"namespaced\":true,\"kind\":\"Widget\",\"verbs\":[\"get\"]}]}";
static const char api_legacy[] = "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"]}";
static const char apis_legacy[] =
    "{\"kind\":\"APIGroupList\",\"groups\":["
    "{\"name\":\"apps\",\"versions\":[{\"groupVersion\":\"apps/v1\",\"version\":\"v1\"}],"
    "\"preferredVersion\":{\"groupVersion\":\"apps/v1\",\"version\":\"v1\"}},"
    "{\"name\":\"events.k8s.io\",\"versions\":[{\"groupVersion\":\"events.k8s.io/v1\",\"version\":\"v1\"}],"
    "\"preferredVersion\":{\"groupVersion\":\"events.k8s.io/v1\",\"version\":\"v1\"}},"
    "{\"name\":\"example.com\",\"versions\":[{\"groupVersion\":\"example.com/v1\",\"version\":\"v1\"},"
    "{\"groupVersion\":\"example.com/v2\",\"version\":\"v2\"}],"
    "\"preferredVersion\":{\"groupVersion\":\"example.com/v1\",\"version\":\"v1\"}}]}";

static void
legacy_routes(struct fake *f)
{
    fake_route(f, "/api", 200, "application/json", api_legacy, NULL);
    fake_route(f, "/apis", 200, "application/json", apis_legacy, NULL);
    fake_route(f, "/api/v1", 200, "application/json", core_v1, NULL);
    fake_route(f, "/apis/apps/v1", 200, "application/json", apps_v1, NULL);
    fake_route(f, "/apis/events.k8s.io/v1", 200, "application/json", events_v1, NULL);
    fake_route(f, "/apis/example.com/v1", 200, "application/json", widgets_v1, NULL);
    fake_route(f, "/apis/example.com/v2", 200, "application/json", widgets_v2, NULL);
}

struct fx {
    struct fake *f;
    struct fake_cfg fc;
    struct kctl_client *c;
};

static int
setup(void **state)
{
    struct fx *x = calloc(1, sizeof(*x));
    x->f = fake_start();
    legacy_routes(x->f);
    fake_cfg_init(&x->fc, x->f);
    if (kctl_client_new(&x->fc.cfg, &x->c) != 0)
        return -1;
    *state = x;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *x = *state;
    kctl_client_free(x->c);
    fake_cfg_close(&x->fc);
    fake_stop(x->f);
    free(x);
    return 0;
}

static void
assert_log(struct fake *f, const char *want)
{
    char *log = fake_log(f);
    assert_string_equal(log, want);
    free(log);
}

static void
test_known_names_cost_one_request(void **state)
{
    struct fx *x = *state;
    struct kctl_resource r;
    assert_int_equal(kctl_resolve(x->c, "po", &r), 0);
    assert_string_equal(r.group, "");
    assert_string_equal(r.version, "v1");
    assert_string_equal(r.resource, "pods");
    assert_string_equal(r.kind, "Pod");
    assert_string_equal(r.singular, "pod");
    assert_true(r.namespaced);
    assert_int_equal(kctl_resolve(x->c, "PODS", &r), 0);
    assert_int_equal(kctl_resolve(x->c, "Pod", &r), 0);
    assert_int_equal(kctl_resolve(x->c, "no", &r), 0);
    assert_string_equal(r.resource, "nodes");
    assert_false(r.namespaced);
    assert_log(x->f, "GET /api/v1\n");

    assert_int_equal(kctl_resolve(x->c, "deploy", &r), 0);
    assert_string_equal(r.group, "apps");
    assert_string_equal(r.resource, "deployments");
    assert_int_equal(kctl_resolve(x->c, "Deployment", &r), 0);
    assert_int_equal(kctl_resolve(x->c, "deployments.apps", &r), 0);
    assert_int_equal(kctl_resolve(x->c, "deployments.v1.apps", &r), 0);
    assert_string_equal(r.version, "v1");
    assert_log(x->f, "GET /api/v1\nGET /apis/apps/v1\n");
}

static void
test_core_wins_over_other_groups(void **state)
{
    struct fx *x = *state;
    struct kctl_resource r;
    /* unknown name first: full discovery, then "ev" is core's although events.k8s.io has it too */
    assert_int_equal(kctl_resolve(x->c, "wd", &r), 0);
    assert_string_equal(r.group, "example.com");
    assert_string_equal(r.version, "v1");
    assert_false(r.namespaced);
    assert_int_equal(kctl_resolve(x->c, "ev", &r), 0);
    assert_string_equal(r.group, "");
    assert_int_equal(kctl_resolve(x->c, "events.events.k8s.io", &r), 0);
    assert_string_equal(r.group, "events.k8s.io");
    /* a version other than the preferred one, named explicitly */
    assert_int_equal(kctl_resolve(x->c, "widgets.v2.example.com", &r), 0);
    assert_string_equal(r.version, "v2");
    assert_true(r.namespaced);
    assert_log(x->f, "GET /api\nGET /api/v1\nGET /apis\nGET /apis/apps/v1\nGET /apis/events.k8s.io/v1\n"
                     "GET /apis/example.com/v1\nGET /apis/example.com/v2\n");
}

static void
test_unknown_type_error(void **state)
{
    struct fx *x = *state;
    struct kctl_resource r;
    assert_int_equal(kctl_resolve(x->c, "foos", &r), 1);
    assert_int_equal(kctl_resolve(x->c, "pods.nope", &r), 1);
    assert_int_equal(kctl_resolve(x->c, "pods/log", &r), 1);
    fake_cfg_flush(&x->fc);
    assert_string_equal(x->fc.err, "error: the server doesn't have a resource type \"foos\"\n"
                                   "error: the server doesn't have a resource type \"pods\" in group \"nope\"\n"
                                   "error: the server doesn't have a resource type \"pods/log\"\n");
}

static void
test_hint_missing_on_server_falls_back(void **state)
{
    struct fx *x = *state;
    /* a server without apps/v1: the hint's 404 leads to full discovery, which finds nothing */
    fake_clear_routes(x->f);
    fake_route(x->f, "/api", 200, "application/json", api_legacy, NULL);
    fake_route(x->f, "/apis", 200, "application/json", "{\"kind\":\"APIGroupList\",\"groups\":[]}", NULL);
    fake_route(x->f, "/api/v1", 200, "application/json", core_v1, NULL);
    struct kctl_resource r;
    assert_int_equal(kctl_resolve(x->c, "deploy", &r), 1);
    assert_log(x->f, "GET /apis/apps/v1\nGET /api\nGET /api/v1\nGET /apis\n");
}

static void
test_discovery_errors_are_printed(void **state)
{
    struct fx *x = *state;
    fake_clear_routes(x->f);
    fake_route(x->f, "/api/v1", 503, "application/json",
               "{\"kind\":\"Status\",\"message\":\"the server is shutting down\",\"reason\":\"ServiceUnavailable\","
               "\"code\":503}",
               NULL);
    struct kctl_resource r;
    assert_int_equal(kctl_resolve(x->c, "pods", &r), 1);
    fake_cfg_flush(&x->fc);
    assert_string_equal(x->fc.err, "Error from server (ServiceUnavailable): the server is shutting down\n");
}

static const char agg_api[] =
    "{\"kind\":\"APIGroupDiscoveryList\",\"apiVersion\":\"apidiscovery.k8s.io/v2\",\"items\":[{\"metadata\":{},"
    "\"versions\":[{\"version\":\"v1\",\"resources\":[{\"resource\":\"pods\",\"responseKind\":{\"group\":\"\","
    "\"version\":\"v1\",\"kind\":\"Pod\"},\"scope\":\"Namespaced\",\"singularResource\":\"pod\",\"verbs\":[\"get\"],"
    "\"shortNames\":[\"po\"],\"categories\":[\"all\"],\"subresources\":[{\"subresource\":\"log\"}]}]}]}]}";
static const char agg_apis[] =
    "{\"kind\":\"APIGroupDiscoveryList\",\"apiVersion\":\"apidiscovery.k8s.io/v2\",\"items\":[{\"metadata\":{"
    "\"name\":\"example.com\"},\"versions\":[{\"version\":\"v2\",\"resources\":[{\"resource\":\"gadgets\","
    "\"responseKind\":{\"group\":\"example.com\",\"version\":\"v2\",\"kind\":\"Gadget\"},\"scope\":\"Cluster\","
    "\"singularResource\":\"gadget\",\"verbs\":[\"get\",\"list\"],\"shortNames\":[\"gd\"]}]},{\"version\":\"v1\","
    "\"resources\":[]}]}]}";
#define AGG_CT "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

static void
test_aggregated_discovery(void **state)
{
    struct fx *x = *state;
    fake_clear_routes(x->f);
    fake_route(x->f, "/api", 200, AGG_CT, agg_api, "apidiscovery.k8s.io");
    fake_route(x->f, "/apis", 200, AGG_CT, agg_apis, "apidiscovery.k8s.io");
    struct kctl_resource r;
    assert_int_equal(kctl_resolve(x->c, "gd", &r), 0);
    assert_string_equal(r.group, "example.com");
    assert_string_equal(r.version, "v2"); /* the first version listed is the preferred one */
    assert_string_equal(r.kind, "Gadget");
    assert_false(r.namespaced);
    assert_int_equal(kctl_resolve(x->c, "po", &r), 0);
    assert_true(r.namespaced);
    /* no hint for "gd": the two aggregated documents say everything */
    assert_log(x->f, "GET /api\nGET /apis\n");

    const struct kctl_api_resource *all;
    size_t n;
    assert_int_equal(kctl_discover_all(x->c, &all, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(all[0].r.resource, "pods");
    assert_string_equal(json_string_value(json_array_get(json_object_get(all[0].entry, "categories"), 0)), "all");
    assert_string_equal(all[1].r.resource, "gadgets");
    assert_string_equal(json_string_value(json_array_get(json_object_get(all[1].entry, "verbs"), 1)), "list");
}

static void
test_discover_all_legacy_order(void **state)
{
    struct fx *x = *state;
    const struct kctl_api_resource *all;
    size_t n;
    assert_int_equal(kctl_discover_all(x->c, &all, &n), 0);
    const char *want[] = { "pods", "events", "nodes", "deployments", "events", "widgets" };
    assert_int_equal(n, 6);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(all[i].r.resource, want[i]);
    assert_string_equal(all[4].r.group, "events.k8s.io");
    /* cached: a second call asks nothing */
    fake_clear_log(x->f);
    assert_int_equal(kctl_discover_all(x->c, &all, &n), 0);
    assert_log(x->f, "");
}

static void
test_resolve_kind(void **state)
{
    struct fx *x = *state;
    struct kctl_resource r;
    assert_int_equal(kctl_resolve_kind(x->c, "apps/v1", "Deployment", "web", &r), 0);
    assert_string_equal(r.resource, "deployments");
    assert_int_equal(kctl_resolve_kind(x->c, "v1", "Pod", NULL, &r), 0);
    assert_string_equal(r.resource, "pods");
    assert_int_equal(kctl_resolve_kind(x->c, "v1", "Scale", NULL, &r), 1); /* subresource kinds do not count */
    assert_int_equal(kctl_resolve_kind(x->c, "example.com/v9", "Widget", "w", &r), 1);
    fake_cfg_flush(&x->fc);
    assert_string_equal(x->fc.err, "error: no matches for kind \"Scale\" in version \"v1\"\n"
                                   "error: resource mapping not found for name: \"w\": no matches for kind \"Widget\" "
                                   "in version \"example.com/v9\"\nensure CRDs are installed first\n");
}

static void
test_resource_path(void **state)
{
    (void)state;
    struct kctl_resource pod = { .group = "", .version = "v1", .resource = "pods", .namespaced = true };
    struct kctl_resource deploy = { .group = "apps", .version = "v1", .resource = "deployments", .namespaced = true };
    struct kctl_resource node = { .group = "", .version = "v1", .resource = "nodes", .namespaced = false };
    char buf[256];
    assert_int_equal(kctl_resource_path(&pod, "default", NULL, NULL, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "/api/v1/namespaces/default/pods");
    assert_int_equal(kctl_resource_path(&pod, NULL, NULL, NULL, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "/api/v1/pods");
    assert_int_equal(kctl_resource_path(&pod, "ns", "x", "log", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "/api/v1/namespaces/ns/pods/x/log");
    assert_int_equal(kctl_resource_path(&deploy, "ns", "web", "scale", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "/apis/apps/v1/namespaces/ns/deployments/web/scale");
    assert_int_equal(kctl_resource_path(&node, "ignored", "n 1", NULL, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "/api/v1/nodes/n%201");
    assert_int_equal(kctl_resource_path(&pod, "default", NULL, NULL, buf, 20), -ENAMETOOLONG);
    char gr[128];
    kctl_resource_gr(&deploy, gr, sizeof(gr));
    assert_string_equal(gr, "deployments.apps");
    kctl_resource_gr(&pod, gr, sizeof(gr));
    assert_string_equal(gr, "pods");
    assert_int_equal(kctl_escape("a=b,c/d", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "a%3Db%2Cc%2Fd");
    assert_int_equal(kctl_escape("abcdef", buf, 6), -ENAMETOOLONG);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_known_names_cost_one_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_core_wins_over_other_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_type_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hint_missing_on_server_falls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_discovery_errors_are_printed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aggregated_discovery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_discover_all_legacy_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolve_kind, setup, teardown),
        cmocka_unit_test(test_resource_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
