/* test_describe_more.c - the describers of DaemonSet, StatefulSet, CronJob, HPA (v2), Endpoints, EndpointSlice,
 * StorageClass, IngressClass, ServiceAccount (with its secrets), Secret and ConfigMap against what kubectl 1.33
 * printed for the same objects (tests/unit/data/kctl/describe/cases.json, made by gen.py there: statuses, owned
 * pods, empty lists), plus hand-made cases kubectl cannot be made to show (secrets that could not be listed) and
 * data keys with dots. Pure: no server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kctl.h"
#include "kctl_print.h"

static char *
describe_json(const char *kind, const char *group, const json_t *obj, const struct kctl_describe_ctx *ctx,
              const json_t *secrets)
{
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    assert_non_null(m);
    if (secrets)
        assert_int_equal(kctl_describe_service_account(obj, secrets, ctx, m), 0);
    else
        assert_int_equal(kctl_describe_object(kind, group, obj, ctx, m), 0);
    fclose(m);
    return out;
}

static char *
describe_text(const char *kind, const char *group, const char *text, const struct kctl_describe_ctx *ctx)
{
    json_error_t e;
    json_t *obj = json_loads(text, 0, &e);
    if (!obj)
        fail_msg("bad test JSON: %s", e.text);
    char *out = describe_json(kind, group, obj, ctx, NULL);
    json_decref(obj);
    return out;
}

static void
assert_text(char *got, const char *want, const char *what)
{
    if (strcmp(got, want) != 0)
        fail_msg("%s: got:\n%s\nwant:\n%s", what, got, want);
    free(got);
}

/* Every case of cases.json: kubectl's text for the object, its pods and secrets, no events. */
static void
test_kubectl_goldens(void **state)
{
    (void)state;
    char path[4096];
    const char *dir = getenv("K8C_TEST_DATA");
    snprintf(path, sizeof(path), "%s/kctl/describe/cases.json", dir ? dir : "tests/unit/data");
    json_error_t e;
    json_t *cases = json_load_file(path, 0, &e);
    if (!cases)
        fail_msg("%s: %s", path, e.text);
    assert_true(json_array_size(cases) >= 17);
    json_t *no_events = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(cases, i, c)
    {
        const char *kind = json_string_value(json_object_get(c, "kind"));
        const char *group = json_string_value(json_object_get(c, "group"));
        const json_t *obj = json_object_get(c, "object");
        struct kctl_describe_ctx ctx = { .now = time(NULL), .events = no_events, .pods = json_object_get(c, "pods") };
        char what[256];
        snprintf(what, sizeof(what), "%s %s", kind,
                 json_string_value(json_object_get(json_object_get(obj, "metadata"), "name")));
        assert_true(kctl_describe_has(kind, group));
        assert_text(describe_json(kind, group, obj, &ctx, json_object_get(c, "secrets")),
                    json_string_value(json_object_get(c, "want")), what);
    }
    json_decref(no_events);
    json_decref(cases);
}

/* Without the namespace's secrets (listing them failed) nothing is marked missing and there are no tokens. */
static void
test_serviceaccount_without_secrets(void **state)
{
    (void)state;
    struct kctl_describe_ctx ctx = { .now = 0 };
    assert_text(describe_text("ServiceAccount", "",
                              "{\"metadata\":{\"name\":\"sa\",\"namespace\":\"n\"},\"secrets\":[{\"name\":\"a\"},"
                              "{\"name\":\"b\"}]}",
                              &ctx),
                "Name:                sa\n"
                "Namespace:           n\n"
                "Labels:              <none>\n"
                "Annotations:         <none>\n"
                "Image pull secrets:  <none>\n"
                "Mountable secrets:   a\n"
                "                     b\n"
                "Tokens:              <none>\n",
                "sa without secrets");
}

/* Keys with dots are data keys, not paths; a service account token's token is shown, other values never. */
static void
test_secret_and_configmap_keys(void **state)
{
    (void)state;
    struct kctl_describe_ctx ctx = { .now = 0 };
    char *got = describe_text("Secret", "",
                              "{\"metadata\":{\"name\":\"s\",\"namespace\":\"n\"},\"type\":\"Opaque\",\"data\":{"
                              "\"token\":\"c2VjcmV0\",\"a.b\":\"YWI=\"}}",
                              &ctx);
    assert_non_null(strstr(got, "a.b:    2 bytes\n"));
    assert_non_null(strstr(got, "token:  6 bytes\n"));
    assert_null(strstr(got, "secret"));
    free(got);
    got = describe_text("ConfigMap", "",
                        "{\"metadata\":{\"name\":\"c\",\"namespace\":\"n\"},\"data\":{\"x.y\":\"v\"},\"binaryData\":{"
                        "\"b.bin\":\"AAECAw==\"}}",
                        &ctx);
    assert_non_null(strstr(got, "x.y:\n----\nv\n"));
    assert_non_null(strstr(got, "b.bin: 4 bytes\n"));
    free(got);
}

int
main(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kubectl_goldens),
        cmocka_unit_test(test_serviceaccount_without_secrets),
        cmocka_unit_test(test_secret_and_configmap_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
