/* test_http.c - kc_http against a real HTTPS server (tests/support/kts_server: h2o 2.2.5 on 127.0.0.1) with
 * certificates made by kc_pki at start: JSON round trips, statuses, warnings, bearer tokens, client
 * certificates, HTTP/2 and HTTP/1.1, TLS and connection errors, timeouts, keep-alive and line streaming.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kc_error.h"
#include "kc_fault.h"
#include "kc_http.h"
#include "kc_json.h"
#include "kc_pki.h"
#include "kts_server.h"

#define BIG_LEN   ((size_t)3 * 1024 * 1024 + 17)
#define MAX_LINES 16

struct fx {
    char dir[64];
    char *ca_pem, *other_ca_pem;
    char *srv_cert, *srv_key;
    char *cli_cert, *cli_key;     /* CN=alice, O=system:masters, O=dev, from the server's CA */
    char *rogue_cert, *rogue_key; /* CN=mallory from another CA */
    struct kc_pki_cert ca;
    struct kts_server *srv;
    struct kts_server *extra; /* a second server some tests start */
    struct kc_http *clients[12];
    int nclients;
    /* Server-thread state: the latest stream and how many were started. */
    struct kts_stream *stream;
    int streams;
};

/* --- helpers --- */

static uint64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static char *
read_file(const char *path)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char *buf = calloc(1, 65536);
    assert_non_null(buf);
    size_t n = fread(buf, 1, 65535, fp);
    fclose(fp);
    assert_true(n > 0);
    return buf;
}

/* Issues a certificate with ca, writes it to dir/name.crt and .key, reads both back as PEM. */
static void
make_cert(struct fx *f, const struct kc_pki_cert *ca, const char *name, const struct kc_pki_req *req, char **cert,
          char **key)
{
    struct kc_pki_cert c = { 0 };
    char cp[128], kp[128];
    assert_int_equal(kc_pki_cert_issue(ca, req, NULL, &c), 0);
    snprintf(cp, sizeof(cp), "%s/%s.crt", f->dir, name);
    snprintf(kp, sizeof(kp), "%s/%s.key", f->dir, name);
    assert_int_equal(kc_pki_cert_write(&c, cp, kp), 0);
    kc_pki_cert_close(&c);
    *cert = read_file(cp);
    *key = read_file(kp);
}

static int handle_echo(void *arg, h2o_req_t *req);
static int handle_status(void *arg, h2o_req_t *req);
static int handle_big(void *arg, h2o_req_t *req);
static int handle_text(void *arg, h2o_req_t *req);
static int handle_stream(void *arg, h2o_req_t *req);

static struct kts_server *
start_server(struct fx *f, const char *cert, const char *key, bool http1_only)
{
    struct kts_server_opts o = {
        .cert_pem = cert, .key_pem = key, .client_ca_pem = f->ca_pem, .http1_only = http1_only
    };
    struct kts_server *s = NULL;
    assert_int_equal(kts_server_new(&o, &s), 0);
    assert_int_equal(kts_server_route(s, "/echo", handle_echo, f), 0);
    assert_int_equal(kts_server_route(s, "/status", handle_status, f), 0);
    assert_int_equal(kts_server_route(s, "/big", handle_big, f), 0);
    assert_int_equal(kts_server_route(s, "/text", handle_text, f), 0);
    assert_int_equal(kts_server_route(s, "/stream", handle_stream, f), 0);
    assert_int_equal(kts_server_start(s), 0);
    assert_int_equal(kts_server_route(s, "/late", handle_text, f), -EBUSY);
    return s;
}

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/k8c-test-http-XXXXXX");
    assert_non_null(mkdtemp(f->dir));

    /* The cluster CA on disk, loaded back the way a server would. */
    struct kc_pki_cert ca = { 0 }, other = { 0 };
    char cp[128], kp[128];
    assert_int_equal(kc_pki_ca_new(&(struct kc_pki_req){ .cn = "k8c-ca" }, &ca), 0);
    snprintf(cp, sizeof(cp), "%s/ca.crt", f->dir);
    snprintf(kp, sizeof(kp), "%s/ca.key", f->dir);
    assert_int_equal(kc_pki_cert_write(&ca, cp, kp), 0);
    kc_pki_cert_close(&ca);
    assert_int_equal(kc_pki_cert_load(cp, kp, &f->ca), 0);
    f->ca_pem = read_file(cp);
    assert_int_equal(kc_pki_ca_new(&(struct kc_pki_req){ .cn = "other-ca" }, &other), 0);
    assert_int_equal(kc_pki_cert_pem(other.x509, &f->other_ca_pem, NULL), 0);

    const char *dns[] = { "localhost" }, *ips[] = { "127.0.0.1", "::1" };
    struct kc_pki_req sreq = {
        .cn = "kube-apiserver", .dns_names = dns, .ndns = 1, .ips = ips, .nips = 2, .usage = KC_PKI_SERVER
    };
    make_cert(f, &f->ca, "server", &sreq, &f->srv_cert, &f->srv_key);
    const char *orgs[] = { "system:masters", "dev" };
    struct kc_pki_req creq = { .cn = "alice", .orgs = orgs, .norgs = 2, .usage = KC_PKI_CLIENT };
    make_cert(f, &f->ca, "client", &creq, &f->cli_cert, &f->cli_key);
    struct kc_pki_req rreq = { .cn = "mallory", .orgs = orgs, .norgs = 1, .usage = KC_PKI_CLIENT };
    make_cert(f, &other, "rogue", &rreq, &f->rogue_cert, &f->rogue_key);
    kc_pki_cert_close(&other);

    f->srv = start_server(f, f->srv_cert, f->srv_key, false);
    *state = f;
    return 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* Clients first, so that the servers see their connections close; then the servers and files. */
static int
teardown(void **state)
{
    struct fx *f = *state;
    kc_fault_disarm(KC_FAULT_ALLOC);
    for (int i = 0; i < f->nclients; i++)
        kc_http_free(f->clients[i]);
    kts_server_free(f->extra);
    kts_server_free(f->srv);
    kc_pki_cert_close(&f->ca);
    free(f->ca_pem);
    free(f->other_ca_pem);
    free(f->srv_cert);
    free(f->srv_key);
    free(f->cli_cert);
    free(f->cli_key);
    free(f->rogue_cert);
    free(f->rogue_key);
    nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* A client for cfg; server and CA default to the fixture's. Freed by the teardown. */
static struct kc_http *
client(struct fx *f, struct kc_http_config cfg)
{
    char err[256] = "";
    struct kc_http *h = NULL;
    if (!cfg.server)
        cfg.server = (char *)kts_server_url(f->srv);
    if (!cfg.ca_pem && !cfg.insecure)
        cfg.ca_pem = f->ca_pem;
    int rc = kc_http_new(&cfg, &h, err, sizeof(err));
    if (rc)
        fail_msg("kc_http_new: %s: %s", kc_strerror(rc), err);
    assert_true(f->nclients < (int)(sizeof(f->clients) / sizeof(f->clients[0])));
    f->clients[f->nclients++] = h;
    return h;
}

/* kc_http_json with a GET (or method) on path; asserts the transfer worked and returns the parsed reply. */
static json_t *
get_json(struct kc_http *h, const char *method, const char *path, const json_t *body, struct kc_http_response *resp)
{
    json_t *reply = NULL;
    struct kc_http_request req = { .method = method, .path = path };
    int rc = kc_http_json(h, &req, body, resp, &reply);
    if (rc)
        fail_msg("%s %s: %s (%s)", method ? method : "GET", path, kc_strerror(rc), kc_http_errmsg(h));
    return reply;
}

/* Fails with both texts unless kc_http_errmsg(h) contains want. */
static void
assert_errmsg_has(struct kc_http *h, const char *want)
{
    if (!strstr(kc_http_errmsg(h), want))
        fail_msg("error message \"%s\" lacks \"%s\"", kc_http_errmsg(h), want);
}

/* Fails with the error message unless rc == want. */
static void
assert_rc(struct kc_http *h, int rc, int want)
{
    if (rc != want)
        fail_msg("got %d (%s), want %d (%s); error message \"%s\"", rc, kc_strerror(rc), want, kc_strerror(want),
                 kc_http_errmsg(h));
}

/* --- server handlers (server thread) --- */

static json_t *
str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static int
handle_echo(void *arg, h2o_req_t *req)
{
    (void)arg;
    json_t *o = json_object();
    json_object_set_new(o, "method", json_stringn(req->method.base, req->method.len));
    json_object_set_new(o, "path", json_string(kts_req_path(req)));
    json_object_set_new(o, "query", json_string(kts_req_query(req)));
    json_object_set_new(o, "protocol", json_string(kts_req_protocol(req)));
    json_object_set_new(o, "authority", json_stringn(req->authority.base, req->authority.len));
    json_object_set_new(o, "authorization", str_or_null(kts_req_header(req, "authorization")));
    json_object_set_new(o, "content_type", str_or_null(kts_req_header(req, "content-type")));
    json_object_set_new(o, "accept", str_or_null(kts_req_header(req, "accept")));
    json_object_set_new(o, "x_test", str_or_null(kts_req_header(req, "x-test")));
    json_object_set_new(o, "user_agent", str_or_null(kts_req_header(req, "user-agent")));
    json_object_set_new(o, "body", req->entity.base ? json_stringn(req->entity.base, req->entity.len) : json_null());
    const struct kc_pki_identity *id = kts_req_identity(req);
    json_object_set_new(o, "user", str_or_null(id ? id->cn : NULL));
    json_t *groups = json_array();
    for (size_t i = 0; id && i < id->norgs; i++)
        json_array_append_new(groups, json_string(id->orgs[i]));
    json_object_set_new(o, "groups", groups);
    char *text = json_dumps(o, JSON_COMPACT);
    kts_respond(req, 200, "application/json", text, strlen(text));
    free(text);
    json_decref(o);
    return 0;
}

/* /status/<code>[?warn]: that status with a small Status body (none for 204), warnings on request. */
static int
handle_status(void *arg, h2o_req_t *req)
{
    (void)arg;
    const char *path = kts_req_path(req);
    int code = atoi(path + strlen("/status/"));
    if (code < 100)
        code = 400;
    if (strstr(kts_req_query(req), "warn")) {
        kts_add_header(req, "Warning", "299 - \"unknown field \\\"spek\\\"\"");
        kts_add_header(req, "Warning", "299 - \"second\"");
    }
    char body[128];
    int n = code == 204 ? 0 : snprintf(body, sizeof(body), "{\"kind\":\"Status\",\"code\":%d}", code);
    kts_respond(req, code, code == 204 ? NULL : "application/json", body, (size_t)n);
    return 0;
}

static int
handle_big(void *arg, h2o_req_t *req)
{
    (void)arg;
    char *buf = malloc(BIG_LEN);
    for (size_t i = 0; i < BIG_LEN; i++)
        buf[i] = (char)('a' + i % 26);
    kts_respond(req, 200, "application/octet-stream", buf, BIG_LEN);
    free(buf);
    return 0;
}

/* /text: plain text; /text?badjson: claims JSON, is not. */
static int
handle_text(void *arg, h2o_req_t *req)
{
    (void)arg;
    if (strstr(kts_req_query(req), "badjson"))
        kts_respond(req, 200, "application/json; charset=utf-8", "{\"kind\": nope}", 14);
    else
        kts_respond(req, 200, "text/plain", "hello", 5);
    return 0;
}

/* /stream?script=...: the scripted streams the tests drive. */
static int
handle_stream(void *arg, h2o_req_t *req)
{
    struct fx *f = arg;
    const char *q = kts_req_query(req);
    if (strstr(q, "script=gone")) {
        const char *s = "{\"kind\":\"Status\",\"reason\":\"Expired\",\"code\":410}";
        kts_respond(req, 410, "application/json", s, strlen(s));
        return 0;
    }
    struct kts_stream *st = kts_stream_start(req, 200, "application/json");
    if (!st) { /* no cmocka asserts on the server thread */
        kts_respond(req, 500, NULL, NULL, 0);
        return 0;
    }
    f->stream = st;
    f->streams++;
    if (strstr(q, "script=split")) {
        /* Two lines (one with CRLF) and the start of a third; the rest follows when the client asks. */
        kts_stream_write(st, "{\"n\":1}\n{\"n\":2}\r\n{\"n\":", 22);
    } else if (strstr(q, "script=many")) {
        kts_stream_write(st, "{\"n\":1}\n", 8);
        kts_stream_write(st, "{\"n\":2}\n", 8);
        kts_stream_write(st, "{\"n\":3}\n", 8);
    } else if (strstr(q, "script=hold")) {
        kts_stream_write(st, "{\"n\":1}\n", 8);
    } else if (strstr(q, "script=longline")) {
        char junk[2000];
        memset(junk, 'x', sizeof(junk));
        kts_stream_write(st, junk, sizeof(junk));
    } /* script=hang: nothing at all */
    return 0;
}

/* Server-thread functions for kts_server_call. */
static void
send_rest_of_split(void *arg)
{
    struct fx *f = arg;
    kts_stream_write(f->stream, "3}\n\n{\"n\":4}", 11); /* ends line 3, an empty line, a last line without \n */
    kts_stream_end(f->stream);
}

struct gone_probe {
    struct fx *f;
    bool gone;
};

static void
probe_gone(void *arg)
{
    struct gone_probe *p = arg;
    /* A heartbeat: HTTP/1.1 servers notice a departed client only when they write. */
    kts_stream_write(p->f->stream, "\n", 1);
    p->gone = kts_stream_client_gone(p->f->stream);
}

/* Waits (up to 5 s) until the server sees the stream's client gone. */
static void
assert_stream_client_gone(struct fx *f, struct kts_server *srv)
{
    struct gone_probe p = { .f = f };
    uint64_t deadline = now_ms() + 5000;
    while (!p.gone && now_ms() < deadline) {
        assert_int_equal(kts_server_call(srv, probe_gone, &p), 0);
        if (!p.gone)
            nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
    }
    assert_true(p.gone);
}

/* --- line collection --- */

struct lines {
    char *v[MAX_LINES];
    int n;
    int stop_at; /* return 1 after this many lines (0 = never) */
    int fail_at; /* return -EIO after this many lines */
    int kick_at; /* after this many lines, ask the server for the rest of the split script */
    struct fx *f;
    pthread_mutex_t mu; /* for the canceller thread */
    pthread_cond_t cond;
};

static int
on_line(void *arg, char *line, size_t len)
{
    struct lines *l = arg;
    assert_int_equal(strlen(line), len);
    assert_true(l->n < MAX_LINES);
    pthread_mutex_lock(&l->mu);
    l->v[l->n++] = strdup(line);
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->mu);
    if (l->kick_at && l->n == l->kick_at)
        assert_int_equal(kts_server_call(l->f->srv, send_rest_of_split, l->f), 0);
    if (l->fail_at && l->n == l->fail_at)
        return -EIO;
    return l->stop_at && l->n >= l->stop_at ? 1 : 0;
}

static void
lines_init(struct lines *l, struct fx *f)
{
    memset(l, 0, sizeof(*l));
    l->f = f;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cond, NULL);
}

static void
lines_close(struct lines *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cond);
}

/* --- tests --- */

static void
test_json_round_trip(void **state)
{
    struct fx *f = *state;
    struct kc_http *h = client(f, (struct kc_http_config){ 0 });
    struct kc_http_response resp;

    json_t *r = get_json(h, NULL, "/echo?labelSelector=app%3Dweb", NULL, &resp);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "application/json");
    assert_string_equal(kc_json_get_string(r, "method"), "GET");
    assert_string_equal(kc_json_get_string(r, "path"), "/echo?labelSelector=app%3Dweb");
    assert_string_equal(kc_json_get_string(r, "query"), "labelSelector=app%3Dweb");
    assert_string_equal(kc_json_get_string(r, "accept"), "application/json");
    assert_string_equal(kc_json_get_string(r, "user_agent"), "k8c/0.1.0");
    assert_true(json_is_null(kc_json_get(r, "body")));
    assert_true(json_is_null(kc_json_get(r, "content_type")));
    json_decref(r);
    kc_http_response_close(&resp);

    json_t *pod = json_pack("{s:s, s:{s:s}, s:i}", "kind", "Pod", "metadata", "name", "web-ü", "n", 42);
    r = get_json(h, "POST", "/echo", pod, &resp);
    assert_int_equal(resp.status, 200);
    assert_string_equal(kc_json_get_string(r, "method"), "POST");
    assert_string_equal(kc_json_get_string(r, "content_type"), "application/json");
    json_t *sent = NULL;
    const char *body = kc_json_get_string(r, "body");
    assert_non_null(body);
    assert_int_equal(kc_json_parse(body, strlen(body), &sent, NULL, 0), 0);
    assert_true(kc_json_equal(sent, pod));
    json_decref(sent);
    json_decref(r);
    kc_http_response_close(&resp);

    /* PATCH with its own media type, a plain PUT with raw bytes and extra headers, DELETE, HEAD. */
    json_t *patch = json_pack("{s:{s:{s:s}}}", "metadata", "labels", "a", "b");
    json_t *reply = NULL;
    struct kc_http_request preq = { .method = "PATCH",
                                    .path = "/echo",
                                    .content_type = "application/merge-patch+json" };
    assert_rc(h, kc_http_json(h, &preq, patch, &resp, &reply), 0);
    assert_string_equal(kc_json_get_string(reply, "method"), "PATCH");
    assert_string_equal(kc_json_get_string(reply, "content_type"), "application/merge-patch+json");
    assert_string_equal(kc_json_get_string(reply, "body"), "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}");
    json_decref(reply);
    json_decref(patch);
    kc_http_response_close(&resp);

    const char *hdrs[] = { "X-Test: 1 2 3", NULL };
    struct kc_http_request put = { .method = "PUT",
                                   .path = "/echo",
                                   .body = "",
                                   .body_len = 0,
                                   .content_type = "application/octet-stream",
                                   .headers = hdrs };
    assert_rc(h, kc_http_do(h, &put, &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_int_equal(kc_json_parse(resp.body, resp.body_len, &reply, NULL, 0), 0);
    assert_string_equal(kc_json_get_string(reply, "method"), "PUT");
    assert_string_equal(kc_json_get_string(reply, "x_test"), "1 2 3");
    assert_string_equal(kc_json_get_string(reply, "content_type"), "application/octet-stream");
    json_decref(reply);
    kc_http_response_close(&resp);

    r = get_json(h, "DELETE", "/echo", NULL, &resp);
    assert_string_equal(kc_json_get_string(r, "method"), "DELETE");
    json_decref(r);
    kc_http_response_close(&resp);

    assert_rc(h, kc_http_do(h, &(struct kc_http_request){ .method = "HEAD", .path = "/text" }, &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_null(resp.body);
    kc_http_response_close(&resp);
    kc_http_response_close(&resp); /* idempotent */
    json_decref(pod);
}

static void
test_status_and_warnings(void **state)
{
    struct fx *f = *state;
    struct kc_http *h = client(f, (struct kc_http_config){ 0 });
    struct kc_http_response resp;
    static const int codes[] = { 201, 400, 404, 409, 410, 422, 500, 503 };

    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        char path[32], want[64];
        snprintf(path, sizeof(path), "/status/%d", codes[i]);
        json_t *r = get_json(h, NULL, path, NULL, &resp);
        assert_int_equal(resp.status, codes[i]);
        snprintf(want, sizeof(want), "{\"kind\":\"Status\",\"code\":%d}", codes[i]);
        assert_string_equal(resp.body, want);
        assert_int_equal(resp.body_len, strlen(want));
        long long code = 0;
        assert_int_equal(kc_json_get_int(r, "code", &code), 0);
        assert_int_equal(code, codes[i]);
        assert_int_equal(resp.nwarnings, 0);
        json_decref(r);
        kc_http_response_close(&resp);
    }
    json_t *r = get_json(h, "DELETE", "/status/204", NULL, &resp);
    assert_int_equal(resp.status, 204);
    assert_null(r);
    assert_null(resp.body);
    assert_null(resp.content_type);
    kc_http_response_close(&resp);

    assert_rc(h, kc_http_do(h, &(struct kc_http_request){ .path = "/status/200?warn" }, &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.nwarnings, 2);
    assert_string_equal(resp.warnings[0], "299 - \"unknown field \\\"spek\\\"\"");
    assert_string_equal(resp.warnings[1], "299 - \"second\"");
    char *text = kc_http_warning_text(resp.warnings[0]);
    assert_string_equal(text, "unknown field \"spek\"");
    free(text);
    kc_http_response_close(&resp);

    /* Unusual Warning values come back whole. */
    const char *odd[] = { "plain text", "299 - \"unterminated", "29 - \"x\"", "" };
    for (size_t i = 0; i < 4; i++) {
        text = kc_http_warning_text(odd[i]);
        assert_string_equal(text, odd[i]);
        free(text);
    }
    text = kc_http_warning_text("299 k8c \"a\\\\b\" \"Sat, 01 Jan 2000 00:00:00 GMT\"");
    assert_string_equal(text, "a\\b");
    free(text);
}

static void
test_bearer_token(void **state)
{
    struct fx *f = *state;
    struct kc_http *with = client(f, (struct kc_http_config){ .token = "s3cr3t.t0ken" });
    struct kc_http *without = client(f, (struct kc_http_config){ 0 });
    struct kc_http_response resp;

    for (int i = 0; i < 2; i++) { /* on every request, not only the first */
        json_t *r = get_json(with, NULL, "/echo", NULL, &resp);
        assert_string_equal(kc_json_get_string(r, "authorization"), "Bearer s3cr3t.t0ken");
        assert_true(json_is_null(kc_json_get(r, "user")));
        json_decref(r);
        kc_http_response_close(&resp);
    }
    json_t *r = get_json(without, NULL, "/echo", NULL, &resp);
    assert_true(json_is_null(kc_json_get(r, "authorization")));
    json_decref(r);
    kc_http_response_close(&resp);

    /* Basic auth from a kubeconfig's username/password; a token wins over it. */
    struct kc_http *basic = client(f, (struct kc_http_config){ .username = "bob", .password = "pa:ss" });
    r = get_json(basic, NULL, "/echo", NULL, &resp);
    assert_string_equal(kc_json_get_string(r, "authorization"), "Basic Ym9iOnBhOnNz"); /* bob:pa:ss */
    json_decref(r);
    kc_http_response_close(&resp);
    struct kc_http *both = client(f, (struct kc_http_config){ .token = "tok", .username = "bob", .password = "x" });
    r = get_json(both, NULL, "/echo", NULL, &resp);
    assert_string_equal(kc_json_get_string(r, "authorization"), "Bearer tok");
    json_decref(r);
    kc_http_response_close(&resp);
}

static void
check_identity(struct kc_http *h, const char *protocol)
{
    struct kc_http_response resp;
    json_t *r = get_json(h, NULL, "/echo", NULL, &resp);
    assert_string_equal(kc_json_get_string(r, "protocol"), protocol);
    assert_string_equal(kc_json_get_string(r, "user"), "alice");
    json_t *groups = kc_json_get(r, "groups");
    assert_int_equal(json_array_size(groups), 2);
    assert_string_equal(json_string_value(json_array_get(groups, 0)), "system:masters");
    assert_string_equal(json_string_value(json_array_get(groups, 1)), "dev");
    json_decref(r);
    kc_http_response_close(&resp);
}

static void
test_client_certificate(void **state)
{
    struct fx *f = *state;
    struct kc_http_response resp;

    /* Accepted and seen by the server, over both protocols, and on a reused connection too. */
    struct kc_http *h2 = client(f, (struct kc_http_config){ .cert_pem = f->cli_cert, .key_pem = f->cli_key });
    check_identity(h2, "HTTP/2");
    check_identity(h2, "HTTP/2");
    struct kc_http *h1 =
        client(f, (struct kc_http_config){ .cert_pem = f->cli_cert, .key_pem = f->cli_key, .version = KC_HTTP_1_1 });
    check_identity(h1, "HTTP/1.1");
    check_identity(h1, "HTTP/1.1");

    /* No certificate: the connection is still accepted (SSL_VERIFY_PEER only), anonymously. */
    struct kc_http *anon = client(f, (struct kc_http_config){ 0 });
    json_t *r = get_json(anon, NULL, "/echo", NULL, &resp);
    assert_true(json_is_null(kc_json_get(r, "user")));
    assert_int_equal(json_array_size(kc_json_get(r, "groups")), 0);
    json_decref(r);
    kc_http_response_close(&resp);

    /* A certificate from a CA the server does not trust: the server refuses the handshake. */
    struct kc_http *rogue = client(f, (struct kc_http_config){ .cert_pem = f->rogue_cert, .key_pem = f->rogue_key });
    int rc = kc_http_do(rogue, &(struct kc_http_request){ .path = "/echo" }, &resp);
    /* With TLS 1.2 the refusal is an alert during the handshake (-EPROTO); with TLS 1.3 the client's side of
     * the handshake is already over and the server just closes (KC_EUNAVAILABLE, with a hint). */
    if (rc != -EPROTO)
        assert_rc(rogue, rc, KC_EUNAVAILABLE);
    if (!strstr(kc_http_errmsg(rogue), "TLS"))
        assert_errmsg_has(rogue, "the server may have refused the client certificate");
    assert_int_equal(resp.status, 0);
    assert_errmsg_has(rogue, "GET https://127.0.0.1:");
    kc_http_response_close(&resp);
}

static void
test_protocol_negotiation(void **state)
{
    struct fx *f = *state;
    struct kc_http_response resp;

    struct kc_http *h = client(f, (struct kc_http_config){ 0 });
    json_t *r = get_json(h, NULL, "/echo", NULL, &resp);
    assert_int_equal(resp.version, 20);
    assert_string_equal(kc_json_get_string(r, "protocol"), "HTTP/2");
    json_decref(r);
    kc_http_response_close(&resp);

    h = client(f, (struct kc_http_config){ .version = KC_HTTP_1_1 });
    r = get_json(h, NULL, "/echo", NULL, &resp);
    assert_int_equal(resp.version, 11);
    assert_string_equal(kc_json_get_string(r, "protocol"), "HTTP/1.1");
    json_decref(r);
    kc_http_response_close(&resp);

    /* A server that offers no h2 gets HTTP/1.1 from a client that prefers HTTP/2. */
    f->extra = start_server(f, f->srv_cert, f->srv_key, true);
    h = client(f, (struct kc_http_config){ .server = (char *)kts_server_url(f->extra) });
    r = get_json(h, NULL, "/echo", NULL, &resp);
    assert_int_equal(resp.version, 11);
    assert_string_equal(kc_json_get_string(r, "protocol"), "HTTP/1.1");
    json_decref(r);
    kc_http_response_close(&resp);
}

static void
test_tls_verification(void **state)
{
    struct fx *f = *state;
    struct kc_http_response resp;

    /* The wrong CA. */
    struct kc_http *h = client(f, (struct kc_http_config){ .ca_pem = f->other_ca_pem });
    assert_rc(h, kc_http_do(h, &(struct kc_http_request){ .path = "/echo" }, &resp), -EPROTO);
    assert_int_equal(resp.status, 0);
    assert_errmsg_has(h, "TLS: server certificate verification failed");
    /* The server sends its chain (leaf + its CA), which the other CA does not anchor. */
    assert_errmsg_has(h, "SSL certificate problem: self-signed certificate in certificate chain");
    kc_http_response_close(&resp);

    /* The system store does not know our CA either. */
    struct kc_http_config sys = { .server = (char *)kts_server_url(f->srv) };
    char err[256];
    assert_int_equal(kc_http_new(&sys, &h, err, sizeof(err)), 0);
    f->clients[f->nclients++] = h;
    assert_rc(h, kc_http_do(h, &(struct kc_http_request){ .path = "/echo" }, &resp), -EPROTO);
    kc_http_response_close(&resp);

    /* insecure skips verification. */
    h = client(f, (struct kc_http_config){ .ca_pem = f->other_ca_pem, .insecure = true });
    assert_rc(h, kc_http_do(h, &(struct kc_http_request){ .path = "/echo" }, &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(kc_http_errmsg(h), "");
    kc_http_response_close(&resp);

    /* A certificate from the right CA for other names: the host name check fails; by DNS name it works. */
    char *cert, *key;
    const char *dns[] = { "kubernetes.example" };
    struct kc_pki_req req = { .cn = "elsewhere", .dns_names = dns, .ndns = 1, .usage = KC_PKI_SERVER };
    make_cert(f, &f->ca, "elsewhere", &req, &cert, &key);
    f->extra = start_server(f, cert, key, false);
    h = client(f, (struct kc_http_config){ .server = (char *)kts_server_url(f->extra) });
    assert_rc(h, kc_http_do(h, &(struct kc_http_request){ .path = "/echo" }, &resp), -EPROTO);
    assert_errmsg_has(h, "verification failed");
    assert_errmsg_has(h, "127.0.0.1");
    kc_http_response_close(&resp);
    free(cert);
    free(key);

    /* tls-server-name: checked against that name, connected to the URL's address, addressed as configured. */
    for (int v = 0; v < 2; v++) {
        h = client(f, (struct kc_http_config){ .server = (char *)kts_server_url(f->extra),
                                               .tls_server_name = "kubernetes.example",
                                               .version = v ? KC_HTTP_1_1 : KC_HTTP_AUTO });
        json_t *r = get_json(h, NULL, "/echo", NULL, &resp);
        assert_int_equal(resp.version, v ? 11 : 20);
        assert_string_equal(kc_json_get_string(r, "authority"), kts_server_url(f->extra) + strlen("https://"));
        json_decref(r);
        kc_http_response_close(&resp);
    }
    h = client(
        f, (struct kc_http_config){ .server = (char *)kts_server_url(f->extra), .tls_server_name = "wrong.example" });
    assert_rc(h, kc_http_do(h, &(struct kc_http_request){ .path = "/echo" }, &resp), -EPROTO);
    assert_errmsg_has(h, "verification failed");
    assert_errmsg_has(h, kts_server_url(f->extra)); /* the message names the configured URL */
    kc_http_response_close(&resp);

    char url[64];
    snprintf(url, sizeof(url), "https://localhost:%d/", kts_server_port(f->srv));
    h = client(f, (struct kc_http_config){ .server = url });
    assert_rc(h, kc_http_do(h, &(struct kc_http_request){ .path = "/echo" }, &resp), 0);
    assert_int_equal(resp.status, 200);
    kc_http_response_close(&resp);
}

static void
test_connection_refused(void **state)
{
    struct fx *f = *state;
    /* A port that was free a moment ago and has no listener now. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sa);
    assert_int_equal(bind(fd, (void *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (void *)&sa, &len), 0);
    close(fd);
    char url[64];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d", ntohs(sa.sin_port));

    struct kc_http *h = client(f, (struct kc_http_config){ .server = url });
    struct kc_http_response resp;
    assert_rc(h, kc_http_do(h, &(struct kc_http_request){ .path = "/api" }, &resp), -ECONNREFUSED);
    assert_int_equal(resp.status, 0);
    char want[128];
    snprintf(want, sizeof(want), "GET %s/api: connection refused: ", url);
    assert_int_equal(strncmp(kc_http_errmsg(h), want, strlen(want)), 0);
    kc_http_response_close(&resp);
}

static void
test_timeout(void **state)
{
    struct fx *f = *state;
    struct kc_http *h = client(f, (struct kc_http_config){ .timeout_ms = 250 });
    struct kc_http_response resp;

    /* The client default, then a per-request limit that overrides it. */
    uint64_t t0 = now_ms();
    assert_rc(h, kc_http_do(h, &(struct kc_http_request){ .path = "/stream?script=hang" }, &resp), KC_ETIMEOUT);
    uint64_t took = now_ms() - t0;
    assert_true(took >= 240 && took < 5000);
    assert_errmsg_has(h, ": timed out: ");
    kc_http_response_close(&resp);

    t0 = now_ms();
    assert_rc(h, kc_http_do(h, &(struct kc_http_request){ .path = "/stream?script=hang", .timeout_ms = 600 }, &resp),
              KC_ETIMEOUT);
    took = now_ms() - t0;
    assert_true(took >= 590 && took < 5000);
    kc_http_response_close(&resp);

    /* The client still works afterwards. */
    assert_rc(h, kc_http_do(h, &(struct kc_http_request){ .path = "/text" }, &resp), 0);
    assert_string_equal(resp.body, "hello");
    kc_http_response_close(&resp);
}

/* A listener that never accepts: TCP connects (the kernel queues it), the TLS handshake never starts. */
static void
test_connect_timeout(void **state)
{
    struct fx *f = *state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sa);
    assert_int_equal(bind(fd, (void *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (void *)&sa, &len), 0);
    char url[64];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d", ntohs(sa.sin_port));

    struct kc_http *h = client(f, (struct kc_http_config){ .server = url, .connect_timeout_ms = 300 });
    struct kc_http_response resp;
    uint64_t t0 = now_ms();
    int rc = kc_http_do(h, &(struct kc_http_request){ .path = "/api" }, &resp);
    uint64_t took = now_ms() - t0;
    close(fd);
    assert_rc(h, rc, KC_ETIMEOUT);
    assert_true(took >= 290 && took < 5000);
    assert_errmsg_has(h, ": timed out: ");
    kc_http_response_close(&resp);
}

static void
check_keepalive(struct fx *f, enum kc_http_version version, int want_version)
{
    struct kc_http *h = client(f, (struct kc_http_config){ .version = version });
    struct kc_http_response resp;
    long before = kts_server_accepted(f->srv);
    const char *paths[] = { "/echo", "/status/404", "/status/500", "/text", "/echo" };
    for (int i = 0; i < 5; i++) {
        assert_rc(h, kc_http_do(h, &(struct kc_http_request){ .path = paths[i] }, &resp), 0);
        assert_int_equal(resp.version, want_version);
        assert_int_equal(resp.reused, i > 0);
        kc_http_response_close(&resp);
    }
    assert_int_equal(kts_server_accepted(f->srv) - before, 1); /* one connection for all five */
}

static void
test_keepalive(void **state)
{
    struct fx *f = *state;
    check_keepalive(f, KC_HTTP_AUTO, 20);
    check_keepalive(f, KC_HTTP_1_1, 11);
}

static void
test_big_body_and_limit(void **state)
{
    struct fx *f = *state;
    struct kc_http *h = client(f, (struct kc_http_config){ 0 });
    struct kc_http_response resp;

    assert_rc(h, kc_http_do(h, &(struct kc_http_request){ .path = "/big" }, &resp), 0);
    assert_int_equal(resp.body_len, BIG_LEN);
    assert_int_equal(resp.body[BIG_LEN], '\0');
    for (size_t i = 0; i < BIG_LEN; i += 4099)
        assert_int_equal(resp.body[i], 'a' + i % 26);
    assert_int_equal(resp.body[BIG_LEN - 1], 'a' + (BIG_LEN - 1) % 26);
    kc_http_response_close(&resp);

    h = client(f, (struct kc_http_config){ .max_body = 1000, .version = KC_HTTP_1_1 });
    assert_rc(h, kc_http_do(h, &(struct kc_http_request){ .path = "/big" }, &resp), KC_ETOOLARGE);
    assert_errmsg_has(h, "response too large");
    assert_null(resp.body);
    kc_http_response_close(&resp);
    assert_rc(h, kc_http_do(h, &(struct kc_http_request){ .path = "/text" }, &resp), 0);
    assert_string_equal(resp.body, "hello");
    kc_http_response_close(&resp);
}

static void
check_stream_split(struct fx *f, enum kc_http_version version)
{
    struct kc_http *h = client(f, (struct kc_http_config){ .version = version });
    struct kc_http_response resp;
    struct lines l;
    lines_init(&l, f);
    l.kick_at = 2;
    assert_rc(h, kc_http_stream(h, &(struct kc_http_request){ .path = "/stream?script=split" }, on_line, &l, &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.version, version == KC_HTTP_1_1 ? 11 : 20);
    assert_string_equal(resp.content_type, "application/json");
    assert_null(resp.body);
    static const char *want[] = { "{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "", "{\"n\":4}" };
    assert_int_equal(l.n, 5);
    for (int i = 0; i < 5; i++)
        assert_string_equal(l.v[i], want[i]);
    kc_http_response_close(&resp);
    lines_close(&l);
}

static void
test_stream_lines(void **state)
{
    struct fx *f = *state;
    check_stream_split(f, KC_HTTP_AUTO);
    check_stream_split(f, KC_HTTP_1_1);
}

static void
check_stream_stop(struct fx *f, enum kc_http_version version)
{
    struct kc_http *h = client(f, (struct kc_http_config){ .version = version });
    struct kc_http_response resp;
    struct lines l;
    lines_init(&l, f);
    l.stop_at = 2;
    assert_rc(h, kc_http_stream(h, &(struct kc_http_request){ .path = "/stream?script=many" }, on_line, &l, &resp), 0);
    assert_int_equal(l.n, 2); /* nothing after the stop, not even line 3 when it came in the same read */
    assert_string_equal(l.v[1], "{\"n\":2}");
    assert_string_equal(kc_http_errmsg(h), "");
    kc_http_response_close(&resp);
    lines_close(&l);
    assert_stream_client_gone(f, f->srv);

    /* The client goes on working. */
    assert_rc(h, kc_http_do(h, &(struct kc_http_request){ .path = "/text" }, &resp), 0);
    assert_string_equal(resp.body, "hello");
    kc_http_response_close(&resp);
}

static void
test_stream_stop_from_callback(void **state)
{
    struct fx *f = *state;
    check_stream_stop(f, KC_HTTP_AUTO);
    check_stream_stop(f, KC_HTTP_1_1);

    /* A negative return aborts with that error. */
    struct kc_http *h = client(f, (struct kc_http_config){ 0 });
    struct kc_http_response resp;
    struct lines l;
    lines_init(&l, f);
    l.fail_at = 1;
    assert_rc(h, kc_http_stream(h, &(struct kc_http_request){ .path = "/stream?script=many" }, on_line, &l, &resp),
              -EIO);
    assert_int_equal(l.n, 1);
    kc_http_response_close(&resp);
    lines_close(&l);
}

static void
test_stream_deadline(void **state)
{
    struct fx *f = *state;
    struct kc_http *h = client(f, (struct kc_http_config){ .timeout_ms = 60000 });
    struct kc_http_response resp;
    struct lines l;
    lines_init(&l, f);
    uint64_t t0 = now_ms();
    assert_rc(h,
              kc_http_stream(h, &(struct kc_http_request){ .path = "/stream?script=hold", .timeout_ms = 300 }, on_line,
                             &l, &resp),
              KC_ETIMEOUT);
    uint64_t took = now_ms() - t0;
    assert_true(took >= 290 && took < 5000);
    assert_int_equal(l.n, 1);
    assert_int_equal(resp.status, 200); /* what had arrived is kept */
    assert_errmsg_has(h, "timed out");
    kc_http_response_close(&resp);
    lines_close(&l);
}

struct canceller {
    struct kc_http *h;
    struct lines *l;
    uint64_t cancelled_at;
    bool saw_line;
};

static void *
cancel_main(void *arg)
{
    struct canceller *c = arg;
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 10;
    pthread_mutex_lock(&c->l->mu);
    while (c->l->n == 0)
        if (pthread_cond_timedwait(&c->l->cond, &c->l->mu, &dl) == ETIMEDOUT)
            break;
    c->saw_line = c->l->n > 0;
    pthread_mutex_unlock(&c->l->mu);
    c->cancelled_at = now_ms();
    kc_http_cancel(c->h);
    return NULL;
}

static void
test_stream_cancel_from_thread(void **state)
{
    struct fx *f = *state;
    struct kc_http *h = client(f, (struct kc_http_config){ 0 });
    struct kc_http_response resp;
    struct lines l;
    lines_init(&l, f);
    struct canceller c = { .h = h, .l = &l };
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, cancel_main, &c), 0);
    int rc = kc_http_stream(h, &(struct kc_http_request){ .path = "/stream?script=hold" }, on_line, &l, &resp);
    uint64_t ended = now_ms();
    pthread_join(t, NULL);
    assert_true(c.saw_line);
    assert_int_equal(rc, -ECANCELED);
    assert_true(ended - c.cancelled_at < 800); /* woken at once, not at the next poll timeout (1 s) */
    assert_int_equal(l.n, 1);
    assert_errmsg_has(h, "cancelled");
    kc_http_response_close(&resp);
    lines_close(&l);
    assert_stream_client_gone(f, f->srv);

    /* Cancellation sticks until cleared: no new connection is even tried. */
    long accepted = kts_server_accepted(f->srv);
    assert_rc(h, kc_http_do(h, &(struct kc_http_request){ .path = "/text" }, &resp), -ECANCELED);
    kc_http_response_close(&resp);
    assert_int_equal(kts_server_accepted(f->srv), accepted);
    kc_http_cancel_clear(h);
    assert_rc(h, kc_http_do(h, &(struct kc_http_request){ .path = "/text" }, &resp), 0);
    assert_string_equal(resp.body, "hello");
    kc_http_response_close(&resp);
}

static void
test_stream_error_status_and_long_line(void **state)
{
    struct fx *f = *state;
    struct kc_http *h = client(f, (struct kc_http_config){ .max_body = 1000 });
    struct kc_http_response resp;
    struct lines l;
    lines_init(&l, f);

    /* A 410 is a Status, not a stream: collected in the body, no line delivered. */
    assert_rc(h, kc_http_stream(h, &(struct kc_http_request){ .path = "/stream?script=gone" }, on_line, &l, &resp), 0);
    assert_int_equal(resp.status, 410);
    assert_int_equal(l.n, 0);
    assert_non_null(resp.body);
    assert_non_null(strstr(resp.body, "\"reason\":\"Expired\""));
    kc_http_response_close(&resp);

    assert_rc(h, kc_http_stream(h, &(struct kc_http_request){ .path = "/stream?script=longline" }, on_line, &l, &resp),
              KC_ETOOLARGE);
    assert_int_equal(l.n, 0);
    kc_http_response_close(&resp);
    lines_close(&l);

    assert_rc(h, kc_http_stream(h, &(struct kc_http_request){ .path = "/stream" }, NULL, NULL, &resp), KC_EINVALID);
    kc_http_response_close(&resp);
}

static void
test_json_reply_kinds(void **state)
{
    struct fx *f = *state;
    struct kc_http *h = client(f, (struct kc_http_config){ 0 });
    struct kc_http_response resp;
    json_t *reply = (json_t *)1;

    assert_rc(h, kc_http_json(h, &(struct kc_http_request){ .path = "/text" }, NULL, &resp, &reply), 0);
    assert_null(reply); /* text/plain is not parsed */
    assert_string_equal(resp.body, "hello");
    kc_http_response_close(&resp);

    assert_rc(h, kc_http_json(h, &(struct kc_http_request){ .path = "/text?badjson" }, NULL, &resp, &reply), KC_EPARSE);
    assert_null(reply);
    assert_int_equal(resp.status, 200);
    assert_errmsg_has(h, "is not JSON: line 1, column");
    kc_http_response_close(&resp);

    /* No reply wanted: not parsed at all. */
    assert_rc(h, kc_http_json(h, &(struct kc_http_request){ .path = "/text?badjson" }, NULL, &resp, NULL), 0);
    kc_http_response_close(&resp);
}

static void
test_bad_config_and_requests(void **state)
{
    struct fx *f = *state;
    struct kc_http *h = NULL;
    char err[256];
    char *url = (char *)kts_server_url(f->srv);
    struct {
        struct kc_http_config cfg;
        const char *msg;
    } bad[] = {
        { { .server = NULL }, "server: want an http:// or https:// URL" },
        { { .server = "ftp://127.0.0.1/" }, "server: want an http:// or https:// URL" },
        { { .server = "https://exa mple:x/" }, "server: invalid URL" },
        { { .server = url, .cert_pem = f->cli_cert }, "client certificate given without its key" },
        { { .server = url, .key_pem = f->cli_key }, "client key given without its certificate" },
        { { .server = url, .ca_pem = "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n" },
          "certificate authority: not PEM" },
        { { .server = url, .cert_pem = f->cli_cert, .key_pem = f->rogue_key },
          "client certificate: not a PEM certificate and matching private key" },
        { { .server = url, .token = "abc\r\nX-Evil: 1" }, "token holds a control character" },
        { { .server = url, .password = "p\n" }, "password holds a control character" },
        { { .server = url, .tls_server_name = "a b" }, "TLS server name: \"a b\" cannot stand for the host" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(kc_http_new(&bad[i].cfg, &h, err, sizeof(err)), KC_EINVALID);
        if (strncmp(err, bad[i].msg, strlen(bad[i].msg)))
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, bad[i].msg);
    }
    assert_int_equal(kc_http_new(NULL, &h, NULL, 0), KC_EINVALID);

    h = client(f, (struct kc_http_config){ 0 });
    struct kc_http_response resp;
    const char *crlf[] = { "X-A: 1\r\nX-B: 2", NULL }, *noname[] = { "no colon", NULL };
    struct kc_http_request reqs[] = {
        { .path = "api" },
        { .path = NULL },
        { .path = "/api v1" },
        { .path = "/api\n" },
        { .path = "/api", .method = "get" },
        { .path = "/api", .method = "" },
        { .path = "/api", .headers = crlf },
        { .path = "/api", .headers = noname },
        { .path = "/api", .content_type = "a\nb" },
    };
    long accepted = kts_server_accepted(f->srv);
    for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
        resp.status = 99;
        assert_rc(h, kc_http_do(h, &reqs[i], &resp), KC_EINVALID);
        assert_int_equal(resp.status, 0);
        assert_errmsg_has(h, "invalid");
        kc_http_response_close(&resp);
    }
    assert_rc(h, kc_http_do(h, NULL, &resp), KC_EINVALID);
    assert_int_equal(kts_server_accepted(f->srv), accepted); /* nothing was sent */

    /* A config with malloc'ed strings is released by kc_http_config_close. */
    struct kc_http_config cfg = { .server = strdup(url),
                                  .ca_pem = strdup(f->ca_pem),
                                  .cert_pem = strdup(f->cli_cert),
                                  .key_pem = strdup(f->cli_key),
                                  .token = strdup("t"),
                                  .user_agent = strdup("k/1"),
                                  .username = strdup("u"),
                                  .password = strdup("p"),
                                  .tls_server_name = strdup("localhost") };
    assert_int_equal(kc_http_new(&cfg, &h, err, sizeof(err)), 0);
    kc_http_config_close(&cfg); /* the client keeps its own copies */
    assert_null(cfg.server);
    f->clients[f->nclients++] = h;
    json_t *r = get_json(h, NULL, "/echo", NULL, &resp);
    assert_string_equal(kc_json_get_string(r, "user_agent"), "k/1");
    assert_string_equal(kc_json_get_string(r, "user"), "alice");
    assert_string_equal(kc_json_get_string(r, "authorization"), "Bearer t");
    json_decref(r);
    kc_http_response_close(&resp);
    kc_http_config_close(NULL);
}

static void
test_allocation_failures(void **state)
{
    struct fx *f = *state;
    struct kc_http_config cfg = { .server = (char *)kts_server_url(f->srv), .ca_pem = f->ca_pem, .token = "t" };
    struct kc_http *h = NULL;
    int n, rc;

    for (n = 1;; n++) {
        kc_fault_arm(KC_FAULT_ALLOC, n, 0, false);
        rc = kc_http_new(&cfg, &h, NULL, 0);
        kc_fault_disarm(KC_FAULT_ALLOC);
        if (rc == 0)
            break;
        assert_int_equal(rc, -ENOMEM);
        assert_true(n < 100);
    }
    f->clients[f->nclients++] = h;

    /* Each of our allocations in a request with warnings and a body fails in turn; then it succeeds. */
    struct kc_http_response resp;
    for (n = 1;; n++) {
        kc_fault_arm(KC_FAULT_ALLOC, n, 0, false);
        rc = kc_http_do(h, &(struct kc_http_request){ .path = "/status/200?warn" }, &resp);
        long injected = kc_fault_injected(KC_FAULT_ALLOC);
        kc_fault_disarm(KC_FAULT_ALLOC);
        if (!injected) {
            assert_int_equal(rc, 0);
            break;
        }
        assert_int_equal(rc, -ENOMEM);
        kc_http_response_close(&resp);
        assert_true(n < 100);
    }
    assert_true(n > 4); /* url, warnings array, two warnings, body, content type */
    assert_int_equal(resp.nwarnings, 2);
    kc_http_response_close(&resp);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_json_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_and_warnings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bearer_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_certificate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_protocol_negotiation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_verification, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keepalive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_body_and_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_stop_from_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_cancel_from_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_error_status_and_long_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_reply_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_config_and_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allocation_failures, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
