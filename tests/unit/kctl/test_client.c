/* test_client.c - kctl's REST client against a real HTTPS server (kctl_fake.h): kubeconfig and flag resolution,
 * JSON requests, kubectl's wording for every kind of failed answer and for transport errors, warnings, streams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "kctl_fake.h"

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

/* Makes a client on f's kubeconfig; namespace and server may override. */
static struct kctl_client *
client(struct fake_cfg *fc, struct fake *f)
{
    fake_cfg_init(fc, f);
    struct kctl_client *c = NULL;
    assert_int_equal(kctl_client_new(&fc->cfg, &c), 0);
    return c;
}

static void
test_namespace_from_flag_context_default(void **state)
{
    struct fake *f = *state;
    struct fake_cfg fc;
    struct kctl_client *c = client(&fc, f);
    assert_string_equal(kctl_client_namespace(c), "default");
    assert_string_equal(kctl_client_server(c), kts_server_url(f->srv));
    kctl_client_free(c);
    fake_cfg_close(&fc);

    fake_write_kubeconfig(f->kubeconfig, kts_server_url(f->srv), f->ca_pem, "team-a");
    c = client(&fc, f);
    assert_string_equal(kctl_client_namespace(c), "team-a");
    kctl_client_free(c);
    fake_cfg_close(&fc);

    fake_cfg_init(&fc, f);
    fc.cfg.ov.namespace = "flagged";
    assert_int_equal(kctl_client_new(&fc.cfg, &c), 0);
    assert_string_equal(kctl_client_namespace(c), "flagged");
    kctl_client_free(c);
    fake_cfg_close(&fc);
}

static void
test_bad_kubeconfig_and_context(void **state)
{
    struct fake *f = *state;
    struct fake_cfg fc;
    struct kctl_client *c = NULL;
    fake_cfg_init(&fc, f);
    fc.cfg.kubeconfig = "/nonexistent/kubeconfig";
    assert_int_equal(kctl_client_new(&fc.cfg, &c), 1);
    assert_null(c);
    fake_cfg_flush(&fc);
    assert_string_equal(fc.err, "Error: stat /nonexistent/kubeconfig: no such file or directory\n");
    fake_cfg_close(&fc);

    fake_cfg_init(&fc, f);
    fc.cfg.ov.context = "nope";
    assert_int_equal(kctl_client_new(&fc.cfg, &c), 1);
    fake_cfg_flush(&fc);
    assert_string_equal(fc.err, "error: context \"nope\" does not exist\n");
    fake_cfg_close(&fc);

    char path[160];
    snprintf(path, sizeof(path), "%s/broken", f->dir);
    FILE *fp = fopen(path, "w");
    fputs("clusters: [\n", fp);
    fclose(fp);
    fake_cfg_init(&fc, f);
    fc.cfg.kubeconfig = path;
    assert_int_equal(kctl_client_new(&fc.cfg, &c), 1);
    fake_cfg_flush(&fc);
    assert_non_null(strstr(fc.err, "error: error loading config file"));
    fake_cfg_close(&fc);

    fake_cfg_init(&fc, f);
    fc.cfg.request_timeout = "5 minutes";
    assert_int_equal(kctl_client_new(&fc.cfg, &c), 1);
    fake_cfg_flush(&fc);
    assert_non_null(strstr(fc.err, "error: invalid timeout value"));
    fake_cfg_close(&fc);

    fake_cfg_init(&fc, f);
    fc.cfg.request_timeout = "1m30s";
    assert_int_equal(kctl_client_new(&fc.cfg, &c), 0);
    assert_int_equal(fc.cfg.request_timeout_ms, 90000);
    kctl_client_free(c);
    fake_cfg_close(&fc);
}

static void
test_request_json_ok_and_warnings(void **state)
{
    struct fake *f = *state;
    fake_route(f, "/api/v1/namespaces/default/pods/x", 200, "application/json",
               "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"x\"}}", NULL);
    struct fake_cfg fc;
    struct kctl_client *c = client(&fc, f);
    json_t *out = NULL;
    assert_int_equal(kctl_request_json(c, "GET", "/api/v1/namespaces/default/pods/x", NULL, NULL, &out), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(out, "metadata"), "name")), "x");
    json_decref(out);

    /* a body goes out as JSON */
    json_t *body = json_pack("{s:s}", "kind", "Pod");
    assert_int_equal(kctl_request_json(c, "GET", "/api/v1/namespaces/default/pods/x", NULL, body, NULL), 0);
    json_decref(body);
    pthread_mutex_lock(&f->mu);
    assert_string_equal(f->last_body, "{\"kind\":\"Pod\"}");
    pthread_mutex_unlock(&f->mu);
    kctl_client_free(c);
    fake_cfg_close(&fc);
}

/* Answers path with status/ctype/body and returns what kctl printed for the failure. */
static char *
error_for(struct fake *f, int status, const char *ctype, const char *body)
{
    fake_clear_routes(f);
    fake_route(f, "/api/v1/namespaces/default/pods/x", status, ctype, body, NULL);
    struct fake_cfg fc;
    struct kctl_client *c = client(&fc, f);
    json_t *out = NULL;
    assert_int_equal(kctl_request_json(c, "GET", "/api/v1/namespaces/default/pods/x", NULL, NULL, &out), 1);
    assert_null(out);
    kctl_client_free(c);
    fake_cfg_flush(&fc);
    char *err = strdup(fc.err);
    fake_cfg_close(&fc);
    return err;
}

static void
test_status_errors_in_kubectl_wording(void **state)
{
    struct fake *f = *state;
    char *e = error_for(f, 404, "application/json",
                        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
                        "\"pods \\\"x\\\" not found\",\"reason\":\"NotFound\",\"details\":{\"name\":\"x\",\"kind\":"
                        "\"pods\"},\"code\":404}");
    assert_string_equal(e, "Error from server (NotFound): pods \"x\" not found\n");
    free(e);

    e = error_for(f, 422, "application/json",
                  "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"x\",\"reason\":\"Invalid\",\"details\":"
                  "{\"name\":\"web\",\"kind\":\"Deployment\",\"causes\":[{\"reason\":\"FieldValueInvalid\",\"message\":"
                  "\"Invalid value: -5: must be greater than or equal to 0\",\"field\":\"spec.replicas\"}]},"
                  "\"code\":422}");
    assert_string_equal(e, "The Deployment \"web\" is invalid: spec.replicas: Invalid value: -5: must be greater than "
                           "or equal to 0\n");
    free(e);

    /* several causes: one per line after a header with kubectl's trailing space; duplicates dropped */
    e = error_for(f, 422, "application/json",
                  "{\"kind\":\"Status\",\"reason\":\"Invalid\",\"details\":{\"name\":\"p\",\"kind\":\"Pod\",\"causes\":"
                  "[{\"field\":\"spec.containers\",\"message\":\"Required value\"},{\"field\":\"metadata.name\","
                  "\"message\":\"Invalid value\"},{\"field\":\"spec.containers\",\"message\":\"Required value\"}]},"
                  "\"code\":422}");
    assert_string_equal(e, "The Pod \"p\" is invalid: \n* spec.containers: Required value\n* metadata.name: Invalid "
                           "value\n");
    free(e);

    e = error_for(f, 401, "application/json",
                  "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"Unauthorized\",\"reason\":"
                  "\"Unauthorized\",\"code\":401}");
    assert_string_equal(e, "error: You must be logged in to the server (Unauthorized)\n");
    free(e);

    e = error_for(f, 409, "application/json", "{\"kind\":\"Status\",\"message\":\"no reason here\",\"code\":409}");
    assert_string_equal(e, "Error from server: no reason here\n");
    free(e);
}

static void
test_errors_without_status(void **state)
{
    struct fake *f = *state;
    char *e = error_for(f, 500, "text/plain", "  boom\n");
    assert_string_equal(e, "Error from server (InternalError): an error on the server (\"boom\") has prevented the "
                           "request from succeeding (get pods x)\n");
    free(e);
    e = error_for(f, 404, "text/plain", "404 page not found");
    assert_string_equal(e, "Error from server (NotFound): the server could not find the requested resource (get pods "
                           "x)\n");
    free(e);
    e = error_for(f, 418, "application/json", "{\"not\":\"a status\"}");
    assert_string_equal(e, "Error from server (Unknown): the server responded with the status code 418 but did not "
                           "return more information (get pods x)\n");
    free(e);
    e = error_for(f, 503, NULL, NULL);
    assert_string_equal(e, "Error from server (ServiceUnavailable): the server is currently unable to handle the "
                           "request (get pods x)\n");
    free(e);
}

static void
test_raw_request_keeps_answer(void **state)
{
    struct fake *f = *state;
    fake_route(f, "/api/v1/namespaces/default/pods/x/log", 200, "text/plain", "line1\nline2\n", NULL);
    struct fake_cfg fc;
    struct kctl_client *c = client(&fc, f);
    struct kctl_response resp;
    assert_int_equal(kctl_request(c, "GET", "/api/v1/namespaces/default/pods/x/log", NULL, NULL, 0, "*/*", &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.body, "line1\nline2\n");
    assert_string_equal(resp.content_type, "text/plain");
    assert_string_equal(resp.what, "get pods x");
    kctl_response_free(&resp);
    assert_null(resp.body);
    kctl_client_free(c);
    fake_cfg_close(&fc);
}

static void
test_warnings_are_printed(void **state)
{
    struct fake *f = *state;
    struct fake_cfg fc;
    fake_cfg_init(&fc, f);
    char *w[] = { "299 - \"unknown field \\\"spek\\\"\"", "299 - \"deprecated\"" };
    struct kctl_response resp = { .status = 200, .warnings = w, .nwarnings = 2 };
    kctl_print_warnings(&fc.cfg, &resp);
    fake_cfg_flush(&fc);
    assert_string_equal(fc.err, "Warning: unknown field \"spek\"\nWarning: deprecated\n");
    fake_cfg_close(&fc);
}

/* A port with nothing listening: bound, never listened on, then closed. */
static int
dead_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    close(s);
    return ntohs(a.sin_port);
}

static void
test_transport_errors(void **state)
{
    struct fake *f = *state;
    char url[64], want[200];
    int port = dead_port();
    snprintf(url, sizeof(url), "https://127.0.0.1:%d", port);
    struct fake_cfg fc;
    fake_cfg_init(&fc, f);
    fc.cfg.ov.server = url;
    struct kctl_client *c = NULL;
    assert_int_equal(kctl_client_new(&fc.cfg, &c), 0);
    assert_int_equal(kctl_request_json(c, "GET", "/api", NULL, NULL, NULL), 1);
    kctl_client_free(c);
    fake_cfg_flush(&fc);
    snprintf(want, sizeof(want),
             "The connection to the server 127.0.0.1:%d was refused - did you specify the right host or port?\n", port);
    assert_string_equal(fc.err, want);
    fake_cfg_close(&fc);

    /* a server whose certificate the kubeconfig's CA did not sign */
    char path[160];
    snprintf(path, sizeof(path), "%s/noca", f->dir);
    fake_write_kubeconfig(path, kts_server_url(f->srv), NULL, NULL);
    fake_cfg_init(&fc, f);
    fc.cfg.kubeconfig = path;
    assert_int_equal(kctl_client_new(&fc.cfg, &c), 0);
    struct kctl_response resp;
    assert_int_equal(kctl_request(c, "GET", "/api", NULL, NULL, 0, NULL, &resp), 1);
    kctl_client_free(c);
    fake_cfg_flush(&fc);
    assert_string_equal(fc.err, "Unable to connect to the server: tls: failed to verify certificate: x509: "
                                "certificate signed by unknown authority\n");
    fake_cfg_close(&fc);

    /* --insecure-skip-tls-verify with that kubeconfig works */
    fake_route(f, "/api", 200, "application/json", "{\"kind\":\"APIVersions\"}", NULL);
    fake_cfg_init(&fc, f);
    fc.cfg.kubeconfig = path;
    fc.cfg.ov.insecure_skip_tls_verify = true;
    assert_int_equal(kctl_client_new(&fc.cfg, &c), 0);
    assert_int_equal(kctl_request_json(c, "GET", "/api", NULL, NULL, NULL), 0);
    kctl_client_free(c);
    fake_cfg_close(&fc);
}

static void
test_nothing_configured_uses_localhost_8080(void **state)
{
    struct fake *f = *state;
    /* skipped when something really listens on localhost:8080 on this machine */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons(8080),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    bool busy = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(s);
    if (busy)
        skip();
    char *old_kc = getenv("KUBECONFIG") ? strdup(getenv("KUBECONFIG")) : NULL;
    char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    unsetenv("KUBECONFIG");
    setenv("HOME", f->dir, 1);
    struct fake_cfg fc;
    fake_cfg_init(&fc, NULL);
    struct kctl_client *c = NULL;
    assert_int_equal(kctl_client_new(&fc.cfg, &c), 0);
    assert_int_equal(kctl_request_json(c, "GET", "/api", NULL, NULL, NULL), 1);
    kctl_client_free(c);
    fake_cfg_flush(&fc);
    assert_string_equal(fc.err, "The connection to the server localhost:8080 was refused - did you specify the right "
                                "host or port?\n");
    fake_cfg_close(&fc);
    if (old_kc)
        setenv("KUBECONFIG", old_kc, 1);
    if (old_home)
        setenv("HOME", old_home, 1);
    free(old_kc);
    free(old_home);
}

struct lines {
    char got[8][64];
    int n, stop_after;
};

static int
on_line(void *arg, const char *line, size_t len)
{
    struct lines *l = arg;
    if (l->n < 8)
        snprintf(l->got[l->n++], 64, "%.*s", (int)len, line);
    return l->stop_after && l->n >= l->stop_after;
}

static void
test_stream(void **state)
{
    struct fake *f = *state;
    const char *lines[] = { "{\"type\":\"ADDED\"}", "", "{\"type\":\"DELETED\"}" };
    fake_route_lines(f, "/api/v1/pods", 200, "application/json", lines, 3);
    struct fake_cfg fc;
    struct kctl_client *c = client(&fc, f);
    struct lines l = { 0 };
    assert_int_equal(kctl_stream(c, "/api/v1/pods?watch=true", NULL, on_line, &l), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.got[0], "{\"type\":\"ADDED\"}");
    assert_string_equal(l.got[1], "");
    assert_string_equal(l.got[2], "{\"type\":\"DELETED\"}");

    struct lines l2 = { .stop_after = 1 };
    assert_int_equal(kctl_stream(c, "/api/v1/pods?watch=true", NULL, on_line, &l2), 0);
    assert_int_equal(l2.n, 1);

    /* a failed answer is printed, the callback never runs */
    struct lines l3 = { 0 };
    assert_int_equal(kctl_stream(c, "/api/v1/nothing", NULL, on_line, &l3), 1);
    assert_int_equal(l3.n, 0);
    kctl_client_free(c);
    fake_cfg_flush(&fc);
    assert_string_equal(fc.err, "Error from server (NotFound): the server could not find the requested resource\n");
    fake_cfg_close(&fc);
}

static void
test_stream_quiet_drop(void **state)
{
    (void)state;
    char url[64];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d", dead_port());
    struct fake_cfg fc;
    fake_cfg_init(&fc, *state);
    fc.cfg.ov.server = url;
    fc.cfg.ov.insecure_skip_tls_verify = true;
    fc.cfg.kubeconfig = NULL;
    unsetenv("KUBECONFIG");
    struct kctl_client *c = NULL;
    assert_int_equal(kctl_client_new(&fc.cfg, &c), 0);
    struct lines l = { 0 };
    assert_int_equal(kctl_stream_ex(c, "/api/v1/pods?watch=true", NULL, KCTL_STREAM_QUIET_DROP, on_line, &l), 2);
    kctl_client_free(c);
    fake_cfg_flush(&fc);
    assert_string_equal(fc.err, "");
    fake_cfg_close(&fc);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_namespace_from_flag_context_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_kubeconfig_and_context, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_json_ok_and_warnings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_errors_in_kubectl_wording, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_without_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raw_request_keeps_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warnings_are_printed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transport_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_configured_uses_localhost_8080, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_quiet_drop, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
