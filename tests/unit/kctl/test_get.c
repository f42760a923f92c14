/* test_get.c - `kctl get` against a fake API server (kctl_fake.h): the table, the List of -o yaml, the one request a
 * built-in type costs, an assumed type the server does not serve, errors printed after the output, and -w: the
 * list, a watch that ends and is resumed from the last resourceVersion (a bookmark's included), a 410 answered by
 * listing again, and a failed watch ending kctl. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kctl_fake.h"

#define TABLE_CT "application/json;as=Table;v=v1;g=meta.k8s.io"

static const char cols[] =
    "\"columnDefinitions\":[{\"name\":\"Name\",\"type\":\"string\",\"format\":\"name\",\"priority\":0},"
    "{\"name\":\"Status\",\"type\":\"string\",\"format\":\"\",\"priority\":0}]";

static char *
table(const char *rv, const char *const *names, int n)
{
    char *s = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&s, &len);
    fprintf(m,
            "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":{\"resourceVersion\":\"%s\"},%s,"
            "\"rows\":[",
            rv, cols);
    for (int i = 0; i < n; i++)
        fprintf(m,
                "%s{\"cells\":[\"%s\",\"Running\"],\"object\":{\"metadata\":{\"name\":\"%s\",\"namespace\":"
                "\"default\",\"resourceVersion\":\"%s\"}}}",
                i ? "," : "", names[i], names[i], rv);
    fprintf(m, "]}");
    fclose(m);
    return s;
}

static int
setup(void **state)
{
    *state = fake_start();
    return 0;
}

static int
teardown(void **state)
{
    fake_stop(*state);
    return 0;
}

static void
check(struct fake_run r, int rc, const char *out, const char *err)
{
    if (r.rc != rc || strcmp(r.out, out) != 0 || strcmp(r.err, err) != 0)
        fail_msg("rc %d (want %d)\n--- out:\n%s--- want:\n%s--- err:\n%s--- want:\n%s", r.rc, rc, r.out, out, r.err,
                 err);
    fake_run_free(&r);
}

static void
test_table_with_one_request(void **state)
{
    struct fake *f = *state;
    const char *names[] = { "web-1", "a-much-longer-name" };
    char *t = table("7", names, 2);
    fake_route(f, "/api/v1/namespaces/default/pods", 200, TABLE_CT, t, "as=Table");
    free(t);
    check(fake_kctl(f, (const char *[]){ "get", "pods", NULL }), 0,
          "NAME                 STATUS\n"
          "web-1                Running\n"
          "a-much-longer-name   Running\n",
          "");
    /* the built-in type resolved without discovery: the list is the only request */
    char *log = fake_log(f);
    assert_string_equal(log, "GET /api/v1/namespaces/default/pods?limit=500\n");
    free(log);
}

static void
test_unserved_assumed_type(void **state)
{
    struct fake *f = *state;
    fake_route(f, "/api", 200, "application/json", "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"]}", NULL);
    fake_route(f, "/apis", 200, "application/json", "{\"kind\":\"APIGroupList\",\"groups\":[]}", NULL);
    fake_route(f, "/api/v1", 200, "application/json", "{\"kind\":\"APIResourceList\",\"resources\":[]}", NULL);
    /* the list 404s without naming an object: discovery says the type is not served */
    check(fake_kctl(f, (const char *[]){ "get", "deploy", NULL }), 1, "",
          "error: the server doesn't have a resource type \"deploy\"\n");
}

static void
test_errors_after_output_and_list_wrapper(void **state)
{
    struct fake *f = *state;
    const char *names[] = { "web-1" };
    char *t = table("7", names, 1);
    fake_route(f, "/api/v1/namespaces/default/pods/web-1", 200, TABLE_CT, t, "as=Table");
    free(t);
    fake_route(f, "/api/v1/namespaces/default/pods/nope", 404, "application/json",
               "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"pods \\\"nope\\\" not found\",\"reason\":"
               "\"NotFound\",\"details\":{\"name\":\"nope\",\"kind\":\"pods\"},\"code\":404}",
               NULL);
    check(fake_kctl(f, (const char *[]){ "get", "pods", "nope", "web-1", NULL }), 1,
          "NAME    STATUS\nweb-1   Running\n", "Error from server (NotFound): pods \"nope\" not found\n");
    fake_route(f, "/api/v1/namespaces/default/pods?limit=500", 200, "application/json",
               "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"9\"},\"items\":[{"
               "\"metadata\":{\"name\":\"x\",\"managedFields\":[{\"manager\":\"m\"}]}}]}",
               NULL);
    check(fake_kctl(f, (const char *[]){ "get", "pods", "-o", "yaml", NULL }), 0,
          "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: x\nkind: List\nmetadata:\n"
          "  resourceVersion: \"\"\n",
          "");
    check(fake_kctl(f, (const char *[]){ "get", "pods", "-o", "jsonpath={.items[0].metadata.managedFields[0].manager}",
                                         NULL }),
          0, "m", "");
}

static void
test_watch_resumes_and_relists(void **state)
{
    struct fake *f = *state;
    const char *first[] = { "a" }, *second[] = { "a", "b", "c" };
    char *t1 = table("10", first, 1), *t2 = table("20", second, 3);
    fake_route(f, "/api/v1/namespaces/default/pods?limit=500", 200, TABLE_CT, t1, "as=Table");
    fake_limit_last(f, 1);
    fake_route(f, "/api/v1/namespaces/default/pods?limit=500", 200, TABLE_CT, t2, "as=Table");
    free(t1);
    free(t2);
    /* the first watch: an event and a bookmark, then the server ends it */
    const char *w1[] = {
        "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Table\",\"columnDefinitions\":null,\"rows\":[{\"cells\":[\"b\","
        "\"Pending\"],\"object\":{\"metadata\":{\"name\":\"b\",\"resourceVersion\":\"11\"}}}]}}",
        "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"resourceVersion\":\"12\"}}}",
    };
    fake_route_lines(f, "/api/v1/namespaces/default/pods?watch=true&allowWatchBookmarks=true&resourceVersion=10", 200,
                     TABLE_CT, w1, 2);
    /* resumed from the bookmark: too old, so kctl lists again */
    const char *w2[] = { "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":"
                         "\"too old resource version: 12 (19)\",\"reason\":\"Expired\",\"code\":410}}" };
    fake_route_lines(f, "/api/v1/namespaces/default/pods?watch=true&allowWatchBookmarks=true&resourceVersion=12", 200,
                     TABLE_CT, w2, 1);
    /* from the new list's position: refused, which ends kctl */
    fake_route(f, "/api/v1/namespaces/default/pods?watch=true&allowWatchBookmarks=true&resourceVersion=20", 403,
               "application/json",
               "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"no watching\",\"reason\":\"Forbidden\","
               "\"code\":403}",
               NULL);
    check(fake_kctl(f, (const char *[]){ "get", "pods", "-w", NULL }), 1,
          "NAME   STATUS\n"
          "a      Running\n"
          "b      Pending\n"
          "a      Running\n"
          "b      Running\n"
          "c      Running\n",
          "Error from server (Forbidden): no watching\n");
    char *log = fake_log(f);
    assert_string_equal(log,
                        "GET /api/v1/namespaces/default/pods?limit=500\n"
                        "GET /api/v1/namespaces/default/pods?watch=true&allowWatchBookmarks=true&resourceVersion=10\n"
                        "GET /api/v1/namespaces/default/pods?watch=true&allowWatchBookmarks=true&resourceVersion=12\n"
                        "GET /api/v1/namespaces/default/pods?limit=500\n"
                        "GET /api/v1/namespaces/default/pods?watch=true&allowWatchBookmarks=true&resourceVersion=20\n");
    free(log);
}

static void
test_usage_errors(void **state)
{
    struct fake *f = *state;
    check(fake_kctl(f, (const char *[]){ "get", "pods", "x", "-l", "a=b", NULL }), 1, "",
          "error: name cannot be provided when a selector is specified\n");
    check(fake_kctl(f, (const char *[]){ "get", "pods", "x", "-A", NULL }), 1, "",
          "error: a resource cannot be retrieved by name across all namespaces\n");
    check(fake_kctl(f, (const char *[]){ "get", "pods", "pods/x", NULL }), 1, "",
          "error: there is no need to specify a resource type as a separate argument when passing arguments in "
          "resource/name form (e.g. 'kctl get resource/<resource_name>' instead of 'kctl get resource "
          "resource/<resource_name>'\nSee 'kctl get -h' for help and examples\n");
    check(fake_kctl(f, (const char *[]){ "get", "pods", "-o", "custom-columns=X", NULL }), 1, "",
          "error: unexpected custom-columns spec: X, expected <header>:<json-path-expr>\n");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_table_with_one_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unserved_assumed_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_after_output_and_list_wrapper, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_resumes_and_relists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
