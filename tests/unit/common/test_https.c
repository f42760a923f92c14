/* test_https.c - kc_https against a real HTTPS server (tests/support/kts_server: h2o on 127.0.0.1) with certificates
 * made by kc_pki at start, and against a scripted plain-HTTP server in this file for the framing h2o never sends
 * (byte-wise replies, chunk extensions and trailers, 100 Continue, read-until-close, early closes, garbage).
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
#include <netinet/tcp.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kc_error.h"
#include "kc_fault.h"
#include "kc_https.h"
#include "kc_json.h"
#include "kc_pki.h"
#include "kts_server.h"

#define BIG_LEN   ((size_t)3 * 1024 * 1024 + 17)
#define MAX_LINES 16
#define RAW_STEPS 16
#define RAW_LOG   16

/* The scripted plain-HTTP server: each request it reads gets the next step. */
struct raw_step {
    const char *reply; /* what to write back; NULL = close the connection without answering */
    bool close_after;  /* close the connection after the reply */
    bool bytewise;     /* write the reply one byte per send() */
    bool any_input;    /* answer after the first bytes of whatever comes (a TLS ClientHello), not a request */
};

struct raw {
    int lfd, port;
    int stop[2]; /* a pipe: written to stop the thread */
    pthread_t thread;
    struct raw_step steps[RAW_STEPS];
    int nsteps, next;
    char *log[RAW_LOG]; /* each request as received, head and body */
    int nlog;
    int accepted;
};

struct fx {
    char dir[64];
    char *ca_pem, *other_ca_pem;
    char *srv_cert, *srv_key;
    char *cli_cert, *cli_key;     /* CN=alice, O=system:masters, O=dev, from the server's CA */
    char *rogue_cert, *rogue_key; /* CN=mallory from another CA */
    struct kc_pki_cert ca;
    struct kts_server *srv;
    struct kts_server *extra, *extra2; /* more servers some tests start */
    struct kc_https *clients[16];
    int nclients;
    struct raw *raw;
    struct kts_stream *stream; /* the latest stream (server thread) */
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

/* Issues a certificate with ca (for key, or a fresh P-256 key when NULL), returns both as PEM. */
static void
make_cert(struct fx *f, const struct kc_pki_cert *ca, const char *name, const struct kc_pki_req *req, EVP_PKEY *key,
          char **cert, char **keypem)
{
    struct kc_pki_cert c = { 0 };
    char cp[128], kp[128];
    assert_int_equal(kc_pki_cert_issue(ca, req, key, &c), 0);
    snprintf(cp, sizeof(cp), "%s/%s.crt", f->dir, name);
    snprintf(kp, sizeof(kp), "%s/%s.key", f->dir, name);
    assert_int_equal(kc_pki_cert_write(&c, cp, kp), 0);
    kc_pki_cert_close(&c);
    *cert = read_file(cp);
    *keypem = read_file(kp);
}

static int handle_echo(void *arg, h2o_req_t *req);
static int handle_status(void *arg, h2o_req_t *req);
static int handle_big(void *arg, h2o_req_t *req);
static int handle_stream(void *arg, h2o_req_t *req);

static struct kts_server *
start_server(struct fx *f, const char *cert, const char *key)
{
    struct kts_server_opts o = { .cert_pem = cert, .key_pem = key, .client_ca_pem = f->ca_pem };
    struct kts_server *s = NULL;
    assert_int_equal(kts_server_new(&o, &s), 0);
    assert_int_equal(kts_server_route(s, "/echo", handle_echo, f), 0);
    assert_int_equal(kts_server_route(s, "/status", handle_status, f), 0);
    assert_int_equal(kts_server_route(s, "/big", handle_big, f), 0);
    assert_int_equal(kts_server_route(s, "/stream", handle_stream, f), 0);
    assert_int_equal(kts_server_start(s), 0);
    return s;
}

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/k8c-test-https-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    struct kc_pki_cert other = { 0 };
    assert_int_equal(kc_pki_ca_new(&(struct kc_pki_req){ .cn = "k8c-ca" }, &f->ca), 0);
    assert_int_equal(kc_pki_cert_pem(f->ca.x509, &f->ca_pem, NULL), 0);
    assert_int_equal(kc_pki_ca_new(&(struct kc_pki_req){ .cn = "other-ca" }, &other), 0);
    assert_int_equal(kc_pki_cert_pem(other.x509, &f->other_ca_pem, NULL), 0);
    const char *dns[] = { "localhost" }, *ips[] = { "127.0.0.1", "::1" };
    struct kc_pki_req sreq = {
        .cn = "kube-apiserver", .dns_names = dns, .ndns = 1, .ips = ips, .nips = 2, .usage = KC_PKI_SERVER
    };
    make_cert(f, &f->ca, "server", &sreq, NULL, &f->srv_cert, &f->srv_key);
    const char *orgs[] = { "system:masters", "dev" };
    struct kc_pki_req creq = { .cn = "alice", .orgs = orgs, .norgs = 2, .usage = KC_PKI_CLIENT };
    make_cert(f, &f->ca, "client", &creq, NULL, &f->cli_cert, &f->cli_key);
    struct kc_pki_req rreq = { .cn = "mallory", .usage = KC_PKI_CLIENT };
    make_cert(f, &other, "rogue", &rreq, NULL, &f->rogue_cert, &f->rogue_key);
    kc_pki_cert_close(&other);
    f->srv = start_server(f, f->srv_cert, f->srv_key);
    *state = f;
    return 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void raw_free(struct raw *r);

/* Clients first, so that the servers see their connections close; then the servers and files. */
static int
teardown(void **state)
{
    struct fx *f = *state;
    kc_fault_disarm(KC_FAULT_ALLOC);
    for (int i = 0; i < f->nclients; i++)
        kc_https_free(f->clients[i]);
    raw_free(f->raw);
    kts_server_free(f->extra2);
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
static struct kc_https *
client(struct fx *f, struct kc_https_config cfg)
{
    char err[256] = "";
    struct kc_https *h = NULL;
    if (!cfg.server)
        cfg.server = kts_server_url(f->srv);
    if (!cfg.ca_pem && !cfg.insecure && !strncmp(cfg.server, "https:", 6))
        cfg.ca_pem = f->ca_pem;
    int rc = kc_https_new(&cfg, &h, err, sizeof(err));
    if (rc)
        fail_msg("kc_https_new: %s: %s", kc_strerror(rc), err);
    assert_true(f->nclients < (int)(sizeof(f->clients) / sizeof(f->clients[0])));
    f->clients[f->nclients++] = h;
    return h;
}

/* Fails with the error message unless rc == want. */
static void
assert_rc(struct kc_https *h, int rc, int want)
{
    if (rc != want)
        fail_msg("got %d (%s), want %d (%s); error message \"%s\"", rc, kc_strerror(rc), want, kc_strerror(want),
                 kc_https_errmsg(h));
}

/* Fails with both texts unless kc_https_errmsg(h) contains want. */
static void
assert_errmsg_has(struct kc_https *h, const char *want)
{
    if (!strstr(kc_https_errmsg(h), want))
        fail_msg("error message \"%s\" lacks \"%s\"", kc_https_errmsg(h), want);
}

/* GET (or method) path; asserts success and a 200, returns the parsed JSON body. */
static json_t *
get_json(struct kc_https *h, const char *method, const char *path, const char *body, struct kc_https_response *resp)
{
    struct kc_https_request req = { .method = method, .path = path, .body = body, .body_len = body ? strlen(body) : 0 };
    assert_rc(h, kc_https_do(h, &req, resp), 0);
    assert_int_equal(resp->status, 200);
    json_t *j = NULL;
    char perr[160];
    if (kc_json_parse(resp->body, resp->body_len, &j, perr, sizeof(perr)))
        fail_msg("not JSON: %s: %s", perr, resp->body ? resp->body : "(none)");
    return j;
}

static void
assert_json_str(const json_t *o, const char *key, const char *want)
{
    const char *got = json_string_value(json_object_get(o, key));
    if (!got || strcmp(got, want))
        fail_msg("%s: got \"%s\", want \"%s\"", key, got ? got : "(null)", want);
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
    json_object_set_new(o, "protocol", json_string(kts_req_protocol(req)));
    json_object_set_new(o, "authority", json_stringn(req->authority.base, req->authority.len));
    json_object_set_new(o, "authorization", str_or_null(kts_req_header(req, "authorization")));
    json_object_set_new(o, "content_type", str_or_null(kts_req_header(req, "content-type")));
    json_object_set_new(o, "accept", str_or_null(kts_req_header(req, "accept")));
    json_object_set_new(o, "x_test", str_or_null(kts_req_header(req, "x-test")));
    json_object_set_new(o, "user_agent", str_or_null(kts_req_header(req, "user-agent")));
    json_object_set_new(o, "body_len", json_integer(req->entity.base ? (json_int_t)req->entity.len : -1));
    json_object_set_new(o, "body",
                        req->entity.base && req->entity.len < 1000 ? json_stringn(req->entity.base, req->entity.len)
                                                                   : json_null());
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

/* /status/<code>[?warn]: that status with a small Status body (none for 204), two warnings on request. */
static int
handle_status(void *arg, h2o_req_t *req)
{
    (void)arg;
    int code = atoi(kts_req_path(req) + strlen("/status/"));
    if (code < 200)
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

/* /stream?script=...: the scripted streams the tests drive (chunked on HTTP/1.1). */
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
    if (strstr(q, "script=split")) {
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
    kts_stream_write(p->f->stream, "\n", 1); /* HTTP/1.1 servers notice a departed client only when they write */
    p->gone = kts_stream_client_gone(p->f->stream);
}

/* Waits (up to 5 s) until the server sees the stream's client gone. */
static void
assert_stream_client_gone(struct fx *f)
{
    struct gone_probe p = { .f = f };
    uint64_t deadline = now_ms() + 5000;
    while (!p.gone && now_ms() < deadline) {
        assert_int_equal(kts_server_call(f->srv, probe_gone, &p), 0);
        if (!p.gone)
            nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL); /* polling a condition */
    }
    assert_true(p.gone);
}

/* --- the scripted plain-HTTP server --- */

/* Reads one request (head and Content-Length body) from fd into a new string; NULL at EOF or a stop. */
static char *
raw_read_request(struct raw *r, int fd)
{
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        char *end = len ? memmem(buf, len, "\r\n\r\n", 4) : NULL;
        if (end) {
            size_t head = (size_t)(end - buf) + 4, body = 0;
            char *cl = memmem(buf, head, "Content-Length: ", 16);
            if (cl)
                body = strtoul(cl + 16, NULL, 10);
            if (len >= head + body) {
                buf[head + body] = '\0';
                return buf;
            }
        }
        struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = r->stop[0], .events = POLLIN } };
        if (poll(p, 2, 10000) <= 0 || p[1].revents || len + 1 >= cap)
            break;
        ssize_t n = recv(fd, buf + len, cap - len - 1, 0);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    free(buf);
    return NULL;
}

static void *
raw_main(void *arg)
{
    struct raw *r = arg;
    for (;;) {
        struct pollfd p[2] = { { .fd = r->lfd, .events = POLLIN }, { .fd = r->stop[0], .events = POLLIN } };
        if (poll(p, 2, 10000) <= 0 || p[1].revents)
            return NULL;
        int fd = accept(r->lfd, NULL, NULL);
        if (fd < 0)
            return NULL;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        r->accepted++;
        char *req;
        if (r->next < r->nsteps && r->steps[r->next].any_input) {
            char junk[4096];
            struct pollfd p1[2] = { { .fd = fd, .events = POLLIN }, { .fd = r->stop[0], .events = POLLIN } };
            if (poll(p1, 2, 10000) > 0 && !p1[1].revents && recv(fd, junk, sizeof(junk), 0) > 0) {
                const char *reply = r->steps[r->next++].reply;
                if (send(fd, reply, strlen(reply), MSG_NOSIGNAL) < 0)
                    r->next = r->nsteps;
            }
            close(fd);
            continue;
        }
        while ((req = raw_read_request(r, fd))) {
            if (r->nlog < RAW_LOG)
                r->log[r->nlog++] = req;
            else
                free(req);
            if (r->next >= r->nsteps)
                break;
            struct raw_step *s = &r->steps[r->next++];
            if (!s->reply)
                break;
            size_t n = strlen(s->reply);
            for (size_t off = 0; off < n;) {
                ssize_t w = send(fd, s->reply + off, s->bytewise ? 1 : n - off, MSG_NOSIGNAL);
                if (w <= 0)
                    break;
                off += (size_t)w;
            }
            if (s->close_after)
                break;
        }
        close(fd);
    }
}

/* Starts the scripted server with n steps; its URL goes to url. */
static struct raw *
raw_start(struct fx *f, const struct raw_step *steps, int n, char *url, size_t len)
{
    struct raw *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    assert_true(n <= RAW_STEPS);
    for (; r->nsteps < n; r->nsteps++)
        r->steps[r->nsteps] = steps[r->nsteps];
    r->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof(sa);
    assert_int_equal(bind(r->lfd, (void *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(r->lfd, 8), 0);
    assert_int_equal(getsockname(r->lfd, (void *)&sa, &sl), 0);
    r->port = ntohs(sa.sin_port);
    assert_int_equal(pipe(r->stop), 0);
    assert_int_equal(pthread_create(&r->thread, NULL, raw_main, r), 0);
    snprintf(url, len, "http://127.0.0.1:%d", r->port);
    raw_free(f->raw);
    f->raw = r;
    return r;
}

static void
raw_free(struct raw *r)
{
    if (!r)
        return;
    assert_int_equal(write(r->stop[1], "x", 1), 1);
    pthread_join(r->thread, NULL);
    close(r->stop[0]);
    close(r->stop[1]);
    close(r->lfd);
    for (int i = 0; i < r->nlog; i++)
        free(r->log[i]);
    free(r);
}

/* --- line collection --- */

struct lines {
    char *v[MAX_LINES];
    int n;
    int stop_at; /* return 1 after this many lines (0 = never) */
    int fail_at; /* return -EIO after this many lines */
    int kick_at; /* after this many lines, ask the server for the rest of the split script */
    struct fx *f;
};

static int
on_line(void *arg, char *line, size_t len)
{
    struct lines *l = arg;
    assert_int_equal(strlen(line), len);
    assert_true(l->n < MAX_LINES);
    l->v[l->n++] = strdup(line);
    if (l->kick_at && l->n == l->kick_at)
        assert_int_equal(kts_server_call(l->f->srv, send_rest_of_split, l->f), 0);
    if (l->fail_at && l->n == l->fail_at)
        return -EIO;
    return l->stop_at && l->n >= l->stop_at ? 1 : 0;
}

static void
lines_close(struct lines *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
}

/* --- tests --- */

static void
test_request_and_response(void **state)
{
    struct fx *f = *state;
    struct kc_https_response resp;
    struct kc_https *h = client(f, (struct kc_https_config){ 0 });

    const char *hdrs[] = { "X-Test: yes", NULL };
    struct kc_https_request req = { .path = "/echo/a?b=c", .accept = "application/json;as=Table", .headers = hdrs };
    assert_rc(h, kc_https_do(h, &req, &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.version, 11);
    assert_false(resp.reused);
    assert_string_equal(resp.content_type, "application/json");
    assert_int_equal(resp.body[resp.body_len], '\0');
    json_t *r;
    char perr[160];
    assert_int_equal(kc_json_parse(resp.body, resp.body_len, &r, perr, sizeof(perr)), 0);
    assert_json_str(r, "method", "GET");
    assert_json_str(r, "path", "/echo/a?b=c");
    assert_json_str(r, "protocol", "HTTP/1.1");
    assert_json_str(r, "accept", "application/json;as=Table");
    assert_json_str(r, "x_test", "yes");
    assert_int_equal(strncmp(json_string_value(json_object_get(r, "user_agent")), "k8c/", 4), 0);
    assert_json_str(r, "authority", kts_server_url(f->srv) + strlen("https://"));
    assert_true(json_is_null(json_object_get(r, "authorization")));
    assert_int_equal(json_integer_value(json_object_get(r, "body_len")), -1); /* no body, no Content-Length */
    json_decref(r);
    kc_https_response_close(&resp);
    assert_string_equal(kc_https_errmsg(h), "");
    const struct kc_https_timing *t = kc_https_timing(h);
    assert_true(t->connected_us > 0 && t->tls_us >= t->connected_us && t->sent_us >= t->tls_us &&
                t->headers_us >= t->sent_us && t->done_us >= t->headers_us);

    /* A body with its type, and a large one (written after the head, not copied into it). */
    h = client(f, (struct kc_https_config){ .user_agent = "kctl/v1.33.0" });
    req = (struct kc_https_request){ .method = "PATCH",
                                     .path = "/echo",
                                     .body = "{\"a\":1}",
                                     .body_len = 7,
                                     .content_type = "application/merge-patch+json" };
    assert_rc(h, kc_https_do(h, &req, &resp), 0);
    assert_int_equal(kc_json_parse(resp.body, resp.body_len, &r, perr, sizeof(perr)), 0);
    assert_json_str(r, "method", "PATCH");
    assert_json_str(r, "body", "{\"a\":1}");
    assert_json_str(r, "content_type", "application/merge-patch+json");
    assert_json_str(r, "user_agent", "kctl/v1.33.0");
    json_decref(r);
    kc_https_response_close(&resp);
    size_t big = 200000;
    char *body = malloc(big);
    memset(body, 'b', big);
    req = (struct kc_https_request){ .method = "PUT", .path = "/echo", .body = body, .body_len = big };
    r = get_json(h, NULL, "/echo", NULL, &resp); /* (a GET in between: the connection is reused) */
    json_decref(r);
    kc_https_response_close(&resp);
    assert_rc(h, kc_https_do(h, &req, &resp), 0);
    assert_true(resp.reused);
    assert_int_equal(kc_json_parse(resp.body, resp.body_len, &r, perr, sizeof(perr)), 0);
    assert_int_equal(json_integer_value(json_object_get(r, "body_len")), (json_int_t)big);
    json_decref(r);
    kc_https_response_close(&resp);
    free(body);
    /* An empty body is still a body: Content-Length: 0. */
    req = (struct kc_https_request){ .method = "POST", .path = "/echo", .body = "", .body_len = 0 };
    assert_rc(h, kc_https_do(h, &req, &resp), 0);
    assert_int_equal(kc_json_parse(resp.body, resp.body_len, &r, perr, sizeof(perr)), 0);
    assert_int_equal(json_integer_value(json_object_get(r, "body_len")), 0);
    json_decref(r);
    kc_https_response_close(&resp);

    /* HEAD: headers only, and the connection stays usable. */
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .method = "HEAD", .path = "/echo" }, &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_null(resp.body);
    kc_https_response_close(&resp);
    r = get_json(h, NULL, "/echo", NULL, &resp);
    assert_true(resp.reused);
    json_decref(r);
    kc_https_response_close(&resp);
}

static void
test_status_and_warnings(void **state)
{
    struct fx *f = *state;
    struct kc_https_response resp;
    struct kc_https *h = client(f, (struct kc_https_config){ 0 });

    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/status/404?warn" }, &resp), 0);
    assert_int_equal(resp.status, 404);
    assert_string_equal(resp.body, "{\"kind\":\"Status\",\"code\":404}");
    assert_int_equal(resp.nwarnings, 2);
    assert_string_equal(resp.warnings[0], "299 - \"unknown field \\\"spek\\\"\"");
    char *t = kc_https_warning_text(resp.warnings[0]);
    assert_string_equal(t, "unknown field \"spek\"");
    free(t);
    t = kc_https_warning_text(resp.warnings[1]);
    assert_string_equal(t, "second");
    free(t);
    kc_https_response_close(&resp);
    assert_null(resp.warnings);

    /* Other forms come back whole. */
    const char *odd[] = { "not a warning", "299 agent unquoted", "299 - \"unterminated", "29 - \"x\"" };
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        t = kc_https_warning_text(odd[i]);
        assert_string_equal(t, odd[i]);
        free(t);
    }

    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/status/204" }, &resp), 0);
    assert_int_equal(resp.status, 204);
    assert_null(resp.body);
    assert_int_equal(resp.nwarnings, 0);
    assert_true(resp.reused);
    kc_https_response_close(&resp);
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/status/503" }, &resp), 0);
    assert_int_equal(resp.status, 503);
    kc_https_response_close(&resp);
    kc_https_response_close(NULL);
}

static void
test_authentication(void **state)
{
    struct fx *f = *state;
    struct kc_https_response resp;
    struct kc_https *h = client(f, (struct kc_https_config){ .token = "s3cret" });
    json_t *r = get_json(h, NULL, "/echo", NULL, &resp);
    assert_json_str(r, "authorization", "Bearer s3cret");
    json_decref(r);
    kc_https_response_close(&resp);

    h = client(f, (struct kc_https_config){ .username = "admin", .password = "pa:ss" });
    r = get_json(h, NULL, "/echo", NULL, &resp);
    assert_json_str(r, "authorization", "Basic YWRtaW46cGE6c3M="); /* base64("admin:pa:ss") */
    json_decref(r);
    kc_https_response_close(&resp);

    /* A token wins over basic auth, as in kubectl. */
    h = client(f, (struct kc_https_config){ .token = "t", .username = "admin", .password = "p" });
    r = get_json(h, NULL, "/echo", NULL, &resp);
    assert_json_str(r, "authorization", "Bearer t");
    json_decref(r);
    kc_https_response_close(&resp);
}

static void
check_identity(struct kc_https *h, const char *user)
{
    struct kc_https_response resp;
    json_t *r = get_json(h, NULL, "/echo", NULL, &resp);
    assert_json_str(r, "user", user);
    json_t *groups = json_object_get(r, "groups");
    assert_int_equal(json_array_size(groups), 2);
    assert_string_equal(json_string_value(json_array_get(groups, 0)), "system:masters");
    assert_string_equal(json_string_value(json_array_get(groups, 1)), "dev");
    json_decref(r);
    kc_https_response_close(&resp);
}

/* The key of pem in another PEM form: "type-specific" is SEC1's "EC PRIVATE KEY" for an EC key. */
static char *
rewrite_key(const char *pem, const char *structure)
{
    BIO *in = BIO_new_mem_buf(pem, -1), *out = BIO_new(BIO_s_mem());
    EVP_PKEY *key = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
    assert_non_null(key);
    OSSL_ENCODER_CTX *ec = OSSL_ENCODER_CTX_new_for_pkey(key, EVP_PKEY_KEYPAIR, "PEM", structure, NULL);
    assert_non_null(ec);
    assert_int_equal(OSSL_ENCODER_to_bio(ec, out), 1);
    char *data;
    long n = BIO_get_mem_data(out, &data);
    char *s = strndup(data, (size_t)n);
    OSSL_ENCODER_CTX_free(ec);
    EVP_PKEY_free(key);
    BIO_free(in);
    BIO_free(out);
    return s;
}

static void
test_client_certificate(void **state)
{
    struct fx *f = *state;
    struct kc_https_response resp;

    /* The PKCS#8 key kc_pki writes, twice over one connection. */
    struct kc_https *h = client(f, (struct kc_https_config){ .cert_pem = f->cli_cert, .key_pem = f->cli_key });
    check_identity(h, "alice");
    check_identity(h, "alice");

    /* SEC1 "EC PRIVATE KEY" (the fast path too), and the certificate followed by its chain. */
    char *sec1 = rewrite_key(f->cli_key, "type-specific");
    assert_non_null(strstr(sec1, "BEGIN EC PRIVATE KEY"));
    char *chained = malloc(strlen(f->cli_cert) + strlen(f->ca_pem) + 1);
    strcpy(chained, f->cli_cert);
    strcat(chained, f->ca_pem);
    h = client(f, (struct kc_https_config){ .cert_pem = chained, .key_pem = sec1 });
    check_identity(h, "alice");
    free(sec1);
    free(chained);

    /* A key OpenSSL's generic decoder reads (RSA), with its certificate. */
    EVP_PKEY *rsa = EVP_RSA_gen(2048);
    assert_non_null(rsa);
    const char *orgs[] = { "system:masters", "dev" };
    struct kc_pki_req req = { .cn = "bob", .orgs = orgs, .norgs = 2, .usage = KC_PKI_CLIENT };
    char *rcert, *rkey;
    make_cert(f, &f->ca, "rsa", &req, rsa, &rcert, &rkey);
    EVP_PKEY_free(rsa);
    h = client(f, (struct kc_https_config){ .cert_pem = rcert, .key_pem = rkey });
    check_identity(h, "bob");
    free(rcert);
    free(rkey);

    /* No certificate: accepted anonymously (the server asks, does not require). */
    h = client(f, (struct kc_https_config){ 0 });
    json_t *r = get_json(h, NULL, "/echo", NULL, &resp);
    assert_true(json_is_null(json_object_get(r, "user")));
    json_decref(r);
    kc_https_response_close(&resp);

    /* A certificate from a CA the server does not trust: the server refuses it, during the handshake (TLS 1.2)
     * or at the first read (TLS 1.3, whose client side of the handshake is over first), with an alert or by
     * just closing (then the message says what that probably means). */
    h = client(f, (struct kc_https_config){ .cert_pem = f->rogue_cert, .key_pem = f->rogue_key });
    int rc = kc_https_do(h, &(struct kc_https_request){ .path = "/echo" }, &resp);
    if (rc != -EPROTO) {
        assert_rc(h, rc, KC_EUNAVAILABLE);
        assert_errmsg_has(h, "the server may have refused the client certificate");
    }
    assert_int_equal(resp.status, 0);
    assert_errmsg_has(h, "GET https://127.0.0.1:");
    kc_https_response_close(&resp);
}

static void
test_tls_verification(void **state)
{
    struct fx *f = *state;
    struct kc_https_response resp;

    /* The wrong CA: the server's chain (leaf + its CA) ends in a root the client does not trust. */
    struct kc_https *h = client(f, (struct kc_https_config){ .ca_pem = f->other_ca_pem });
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/echo" }, &resp), -EPROTO);
    assert_int_equal(resp.status, 0);
    assert_errmsg_has(h, "TLS: server certificate verification failed: self-signed certificate in certificate chain; "
                         "x509: certificate signed by unknown authority");
    kc_https_response_close(&resp);

    /* A bundle: the other CA first, ours second. */
    char *both = malloc(strlen(f->other_ca_pem) + strlen(f->ca_pem) + 1);
    strcpy(both, f->other_ca_pem);
    strcat(both, f->ca_pem);
    h = client(f, (struct kc_https_config){ .ca_pem = both });
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/echo" }, &resp), 0);
    kc_https_response_close(&resp);
    free(both);

    /* The system store does not know our CA either. */
    char err[256];
    assert_int_equal(kc_https_new(&(struct kc_https_config){ .server = kts_server_url(f->srv) }, &h, err, sizeof(err)),
                     0);
    f->clients[f->nclients++] = h;
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/echo" }, &resp), -EPROTO);
    assert_errmsg_has(h, "verification failed");
    kc_https_response_close(&resp);

    /* insecure skips verification. */
    h = client(f, (struct kc_https_config){ .ca_pem = f->other_ca_pem, .insecure = true });
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/echo" }, &resp), 0);
    assert_int_equal(resp.status, 200);
    kc_https_response_close(&resp);

    /* A certificate of the right CA for another name: the name check fails; tls_server_name fixes it. */
    char *cert, *key;
    const char *dns[] = { "kubernetes.example" };
    struct kc_pki_req req = { .cn = "elsewhere", .dns_names = dns, .ndns = 1, .usage = KC_PKI_SERVER };
    make_cert(f, &f->ca, "elsewhere", &req, NULL, &cert, &key);
    f->extra = start_server(f, cert, key);
    free(cert);
    free(key);
    h = client(f, (struct kc_https_config){ .server = kts_server_url(f->extra) });
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/echo" }, &resp), -EPROTO);
    /* OpenSSL's reason, then Go's text for it (what kubectl prints), here and below. */
    assert_errmsg_has(h, "server certificate verification failed: IP address mismatch; x509: cannot validate "
                         "certificate for 127.0.0.1 because it doesn't contain any IP SANs");
    kc_https_response_close(&resp);
    h = client(f,
               (struct kc_https_config){ .server = kts_server_url(f->extra), .tls_server_name = "kubernetes.example" });
    json_t *r = get_json(h, NULL, "/echo", NULL, &resp);
    assert_json_str(r, "authority", kts_server_url(f->extra) + strlen("https://")); /* addressed as configured */
    json_decref(r);
    kc_https_response_close(&resp);
    h = client(f, (struct kc_https_config){ .server = kts_server_url(f->extra), .tls_server_name = "wrong.example" });
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/echo" }, &resp), -EPROTO);
    assert_errmsg_has(h, "verification failed: hostname mismatch; x509: certificate is valid for "
                         "kubernetes.example, not wrong.example");
    assert_errmsg_has(h, kts_server_url(f->extra)); /* the message names the configured URL */
    kc_https_response_close(&resp);

    /* An expired certificate: Go's text with both times (now in local time, the bound in UTC). */
    const char *ips[] = { "127.0.0.1" };
    struct kc_pki_req old = { .cn = "old",
                              .ips = ips,
                              .nips = 1,
                              .usage = KC_PKI_SERVER,
                              .not_before = (long long)time(NULL) - 2 * 86400,
                              .valid_secs = 86400 };
    make_cert(f, &f->ca, "old", &old, NULL, &cert, &key);
    f->extra2 = start_server(f, cert, key);
    free(cert);
    free(key);
    h = client(f, (struct kc_https_config){ .server = kts_server_url(f->extra2) });
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/echo" }, &resp), -EPROTO);
    assert_errmsg_has(h, "verification failed: certificate has expired; x509: certificate has expired or is not yet "
                         "valid: current time 2");
    assert_errmsg_has(h, "Z"); /* the notAfter bound, in UTC */
    assert_errmsg_has(h, " is after ");
    kc_https_response_close(&resp);

    /* By DNS name (resolved, sent as SNI, checked against the certificate's DNS SAN) and by IPv6 address. */
    char url[64];
    snprintf(url, sizeof(url), "https://localhost:%d/", kts_server_port(f->srv));
    h = client(f, (struct kc_https_config){ .server = url });
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/echo" }, &resp), 0);
    assert_int_equal(resp.status, 200);
    kc_https_response_close(&resp);
    int fd6 = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    bool have6 = fd6 >= 0 && bind(fd6, (void *)&a6, sizeof(a6)) == 0;
    if (fd6 >= 0)
        close(fd6);
    if (have6) { /* kts listens on 127.0.0.1 only: [::1] is refused, after the URL parsed */
        snprintf(url, sizeof(url), "https://[::1]:%d", kts_server_port(f->srv));
        h = client(f, (struct kc_https_config){ .server = url });
        assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/echo" }, &resp), -ECONNREFUSED);
        kc_https_response_close(&resp);
    }
}

/* A port that was free a moment ago and has no listener now. */
static int
dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sa);
    assert_int_equal(bind(fd, (void *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (void *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static void
test_connection_errors(void **state)
{
    struct fx *f = *state;
    struct kc_https_response resp;
    char url[96], want[160];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d", dead_port());
    struct kc_https *h = client(f, (struct kc_https_config){ .server = url });
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/api" }, &resp), -ECONNREFUSED);
    assert_int_equal(resp.status, 0);
    snprintf(want, sizeof(want), "GET %s/api: connection refused", url);
    assert_string_equal(kc_https_errmsg(h), want);
    kc_https_response_close(&resp);

    /* "localhost" resolves to ::1 and 127.0.0.1: refused on both is refused. */
    snprintf(url, sizeof(url), "http://localhost:%d", dead_port());
    h = client(f, (struct kc_https_config){ .server = url });
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/api" }, &resp), -ECONNREFUSED);
    kc_https_response_close(&resp);

    h = client(f, (struct kc_https_config){ .server = "https://no-such-host.invalid:6443" });
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/api" }, &resp), KC_EUNAVAILABLE);
    assert_errmsg_has(h, "could not resolve host: no-such-host.invalid");
    kc_https_response_close(&resp);
}

static void
test_timeouts(void **state)
{
    struct fx *f = *state;
    struct kc_https_response resp;
    struct kc_https *h = client(f, (struct kc_https_config){ .timeout_ms = 250 });

    /* The client's limit, then a per-request one that overrides it; the client works afterwards. */
    uint64_t t0 = now_ms();
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/stream?script=hang" }, &resp), KC_ETIMEOUT);
    uint64_t took = now_ms() - t0;
    assert_true(took >= 240 && took < 5000);
    assert_errmsg_has(h, ": timed out: no complete response within 250 ms");
    kc_https_response_close(&resp);
    t0 = now_ms();
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/stream?script=hang", .timeout_ms = 600 }, &resp),
              KC_ETIMEOUT);
    took = now_ms() - t0;
    assert_true(took >= 590 && took < 5000);
    kc_https_response_close(&resp);
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/status/200" }, &resp), 0);
    assert_int_equal(resp.status, 200);
    kc_https_response_close(&resp);

    /* A listener that never accepts: TCP connects (the kernel queues it), the TLS handshake never ends. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sa);
    assert_int_equal(bind(fd, (void *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (void *)&sa, &len), 0);
    char url[64];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d", ntohs(sa.sin_port));
    h = client(f, (struct kc_https_config){ .server = url, .connect_timeout_ms = 300 });
    t0 = now_ms();
    int rc = kc_https_do(h, &(struct kc_https_request){ .path = "/api" }, &resp);
    took = now_ms() - t0;
    close(fd);
    assert_rc(h, rc, KC_ETIMEOUT);
    assert_true(took >= 290 && took < 5000);
    assert_errmsg_has(h, "timed out during the TLS handshake");
    kc_https_response_close(&resp);
}

static void
test_keepalive(void **state)
{
    struct fx *f = *state;
    struct kc_https *h = client(f, (struct kc_https_config){ 0 });
    struct kc_https_response resp;
    long before = kts_server_accepted(f->srv);
    const char *paths[] = { "/echo", "/status/404", "/status/500", "/status/204", "/echo" };
    for (int i = 0; i < 5; i++) {
        assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = paths[i] }, &resp), 0);
        assert_int_equal(resp.reused, i > 0);
        kc_https_response_close(&resp);
    }
    assert_int_equal(kts_server_accepted(f->srv) - before, 1); /* one connection for all five */
}

static void
test_big_body_and_limit(void **state)
{
    struct fx *f = *state;
    struct kc_https *h = client(f, (struct kc_https_config){ 0 });
    struct kc_https_response resp;
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/big" }, &resp), 0);
    assert_int_equal(resp.body_len, BIG_LEN);
    assert_int_equal(resp.body[BIG_LEN], '\0');
    for (size_t i = 0; i < BIG_LEN; i += 4099)
        assert_int_equal(resp.body[i], 'a' + i % 26);
    assert_int_equal(resp.body[BIG_LEN - 1], 'a' + (BIG_LEN - 1) % 26);
    kc_https_response_close(&resp);

    h = client(f, (struct kc_https_config){ .max_body = 1000 });
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/big" }, &resp), KC_ETOOLARGE);
    assert_errmsg_has(h, "response too large: over the limit of 1000 bytes");
    assert_null(resp.body);
    kc_https_response_close(&resp);
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/status/200" }, &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_false(resp.reused); /* the abandoned response closed its connection */
    kc_https_response_close(&resp);

    /* A body over the server's limit (4 MiB): it answers 413 and closes while the client still sends. The
     * answer is read when it arrived before the connection broke; either way no SIGPIPE (this test does not
     * ignore it) and the client goes on. */
    size_t big = 16 * 1024 * 1024;
    char *body = malloc(big);
    memset(body, 'x', big);
    int rc = kc_https_do(
        h, &(struct kc_https_request){ .method = "PUT", .path = "/echo", .body = body, .body_len = big }, &resp);
    free(body);
    if (rc == 0)
        assert_int_equal(resp.status, 413);
    else
        assert_rc(h, rc, KC_EUNAVAILABLE);
    kc_https_response_close(&resp);
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/status/200" }, &resp), 0);
    kc_https_response_close(&resp);
}

static void
test_stream(void **state)
{
    struct fx *f = *state;
    struct kc_https *h = client(f, (struct kc_https_config){ .timeout_ms = 60000 });
    struct kc_https_response resp;
    struct lines l = { .f = f, .kick_at = 2 };

    /* Lines split across chunks, CRLF, an empty line, a last line without '\n'. */
    assert_rc(h, kc_https_stream(h, &(struct kc_https_request){ .path = "/stream?script=split" }, on_line, &l, &resp),
              0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.content_type, "application/json");
    assert_null(resp.body);
    static const char *want[] = { "{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "", "{\"n\":4}" };
    assert_int_equal(l.n, 5);
    for (int i = 0; i < 5; i++)
        assert_string_equal(l.v[i], want[i]);
    kc_https_response_close(&resp);
    lines_close(&l);

    /* A stop: nothing more is delivered, the server sees the client leave, the client goes on. */
    l = (struct lines){ .f = f, .stop_at = 2 };
    assert_rc(h, kc_https_stream(h, &(struct kc_https_request){ .path = "/stream?script=many" }, on_line, &l, &resp),
              0);
    assert_int_equal(l.n, 2);
    assert_string_equal(kc_https_errmsg(h), "");
    kc_https_response_close(&resp);
    lines_close(&l);
    assert_stream_client_gone(f);
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/status/200" }, &resp), 0);
    kc_https_response_close(&resp);

    /* A negative return aborts with that error. */
    l = (struct lines){ .f = f, .fail_at = 1 };
    assert_rc(h, kc_https_stream(h, &(struct kc_https_request){ .path = "/stream?script=many" }, on_line, &l, &resp),
              -EIO);
    assert_int_equal(l.n, 1);
    assert_errmsg_has(h, "stopped by the line callback");
    kc_https_response_close(&resp);
    lines_close(&l);

    /* The request's deadline ends a stream; what arrived is kept. */
    l = (struct lines){ .f = f };
    uint64_t t0 = now_ms();
    assert_rc(h,
              kc_https_stream(h, &(struct kc_https_request){ .path = "/stream?script=hold", .timeout_ms = 300 },
                              on_line, &l, &resp),
              KC_ETIMEOUT);
    uint64_t took = now_ms() - t0;
    assert_true(took >= 290 && took < 5000);
    assert_int_equal(l.n, 1);
    assert_int_equal(resp.status, 200);
    kc_https_response_close(&resp);
    lines_close(&l);

    /* An error status is collected, not streamed. */
    l = (struct lines){ .f = f };
    assert_rc(h, kc_https_stream(h, &(struct kc_https_request){ .path = "/stream?script=gone" }, on_line, &l, &resp),
              0);
    assert_int_equal(resp.status, 410);
    assert_non_null(strstr(resp.body, "Expired"));
    assert_int_equal(l.n, 0);
    kc_https_response_close(&resp);

    /* One line over the limit. */
    h = client(f, (struct kc_https_config){ .max_body = 1000 });
    assert_rc(h,
              kc_https_stream(h, &(struct kc_https_request){ .path = "/stream?script=longline" }, on_line, &l, &resp),
              KC_ETOOLARGE);
    assert_int_equal(l.n, 0);
    kc_https_response_close(&resp);
    assert_rc(h, kc_https_stream(h, &(struct kc_https_request){ .path = "/stream" }, NULL, NULL, &resp), KC_EINVALID);
    kc_https_response_close(&resp);
}

static void
test_framing(void **state)
{
    struct fx *f = *state;
    struct kc_https_response resp;
    char url[80];
    static const struct raw_step steps[] = {
        /* 0: chunked, byte by byte, with a chunk extension, upper-case hex and trailers */
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\nwarning: 299 - \"w\"\r\n\r\n"
          "5;ext=1\r\nhello\r\nC\r\n, chunked wo\r\n3\r\nrld\r\n0\r\nX-Trailer: t\r\n\r\n",
          false, true, false },
        /* 1: 100 Continue first, then the answer with a Content-Length */
        { "HTTP/1.1 100 Continue\r\nWarning: 299 - \"dropped\"\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\n"
          "done",
          false, false, false },
        /* 2: an answer, then the server drops the idle connection: the next request opens a new one */
        { "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true, false, false },
        /* 3: HTTP/1.0 without a length: the body lasts until the close */
        { "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", true, false, false },
        /* 4: Connection: close */
        { "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbye", false, false, false },
        /* 5 + 6: the kept-alive connection closes on the second request without an answer: sent again */
        { "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst", false, false, false },
        { NULL, false, false, false },
        { "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond", true, false, false },
        { NULL, false, false, false }, /* 8: a fresh connection closed without an answer: an error, not sent again */
    };
    raw_start(f, steps, (int)(sizeof(steps) / sizeof(steps[0])), url, sizeof(url));
    strcat(url, "/base/"); /* a path prefix (the trailing '/' goes) */
    struct kc_https *h = client(f, (struct kc_https_config){ .server = url, .token = "tok" });

    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/x?y=1", .accept = "text/plain" }, &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.version, 11);
    assert_string_equal(resp.body, "hello, chunked world");
    assert_string_equal(resp.content_type, "text/plain");
    assert_int_equal(resp.nwarnings, 1);
    assert_string_equal(resp.warnings[0], "299 - \"w\"");
    kc_https_response_close(&resp);
    char head[256];
    snprintf(head, sizeof(head), "GET /base/x?y=1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: k8c/", f->raw->port);
    assert_int_equal(strncmp(f->raw->log[0], head, strlen(head)), 0);
    assert_non_null(strstr(f->raw->log[0], "\r\nAuthorization: Bearer tok\r\nAccept: text/plain\r\n\r\n"));

    assert_rc(
        h,
        kc_https_do(h, &(struct kc_https_request){ .method = "POST", .path = "/p", .body = "b", .body_len = 1 }, &resp),
        0);
    assert_int_equal(resp.status, 201);
    assert_string_equal(resp.body, "done");
    assert_int_equal(resp.nwarnings, 0); /* the interim answer's headers are not the answer's */
    assert_true(resp.reused);
    kc_https_response_close(&resp);
    assert_non_null(strstr(f->raw->log[1], "Content-Length: 1\r\n\r\nb"));

    for (int i = 2; i <= 4; i++) {
        assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/q" }, &resp), 0);
        assert_int_equal(resp.status, 200);
        assert_string_equal(resp.body, i == 2 ? "ok" : i == 3 ? "until the end" : "bye");
        assert_int_equal(resp.version, i == 3 ? 10 : 11);
        kc_https_response_close(&resp);
    }
    assert_int_equal(f->raw->accepted, 3); /* a new connection after each close */

    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/r" }, &resp), 0);
    assert_string_equal(resp.body, "first");
    kc_https_response_close(&resp);
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/r2" }, &resp), 0);
    assert_string_equal(resp.body, "second");
    assert_false(resp.reused);
    kc_https_response_close(&resp);
    assert_int_equal(f->raw->nlog, 8); /* /r2 arrived twice */
    assert_non_null(strstr(f->raw->log[7], "GET /base/r2 "));

    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/s" }, &resp), KC_EUNAVAILABLE);
    assert_errmsg_has(h, "connection closed before the end of the response");
    assert_int_equal(resp.status, 0);
    kc_https_response_close(&resp);
}

static void
test_malformed_answers(void **state)
{
    struct fx *f = *state;
    struct kc_https_response resp;
    char url[64];
    /* A chunk-size line of 5000 bytes, and headers over KC_HTTPS_MAX_HEADER. */
    char *long_chunk = malloc(6000), *huge_head = malloc(KC_HTTPS_MAX_HEADER + 100);
    snprintf(long_chunk, 6000, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;%05000d\r\nx\r\n0\r\n\r\n", 0);
    size_t n = (size_t)snprintf(huge_head, 100, "HTTP/1.1 200 OK\r\nX-Big: ");
    memset(huge_head + n, 'b', KC_HTTPS_MAX_HEADER);
    strcpy(huge_head + n + KC_HTTPS_MAX_HEADER, "\r\n\r\n");
    const struct raw_step steps[] = {
        { "SPDY/3 200 OK\r\n\r\n", true, false, false },
        { "HTTP/1.1 2x0 OK\r\n\r\n", true, false, false },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", true, false, false },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", true, false, false },
        { "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true, false, false },
        { "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", true, false, false },
        { "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", true, false, false },
        { long_chunk, true, false, false },
        { huge_head, true, false, false },
        { "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcEXTRA", false, false, false },
        { "HTTP/1.1 204 No Content\r\n\r\n", false, false, false },
    };
    raw_start(f, steps, (int)(sizeof(steps) / sizeof(steps[0])), url, sizeof(url));
    struct kc_https *h = client(f, (struct kc_https_config){ .server = url });
    struct {
        int rc;
        const char *msg;
    } want[] = {
        { -EPROTO, "not HTTP/1.x" },
        { -EPROTO, "not HTTP/1.x" },
        { -EPROTO, "bad chunked encoding" },
        { -EPROTO, "bad chunked encoding" },
        { KC_EUNAVAILABLE, "connection closed in the middle of the body" },
        { -EPROTO, "bad Content-Length" },
        { -EPROTO, "bad Content-Length" },
        { -EPROTO, "bad chunked encoding" },
        { KC_ETOOLARGE, "response too large: over the limit of 1048576 bytes" },
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/" }, &resp), want[i].rc);
        assert_errmsg_has(h, want[i].msg);
        kc_https_response_close(&resp);
    }
    /* Bytes after the announced body make the connection unusable: closed, the next request opens another. */
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/" }, &resp), 0);
    assert_string_equal(resp.body, "abc");
    kc_https_response_close(&resp);
    int accepted = f->raw->accepted;
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/" }, &resp), 0);
    assert_int_equal(resp.status, 204);
    assert_false(resp.reused);
    kc_https_response_close(&resp);
    assert_int_equal(f->raw->accepted, accepted + 1);
    free(long_chunk); /* every step has been sent */
    free(huge_head);
}

/* https:// to servers that do not speak TLS: Go's words, which kubectl prints. */
static void
test_not_tls(void **state)
{
    struct fx *f = *state;
    struct kc_https_response resp;
    char url[64];
    static const struct raw_step steps[] = {
        { "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", true, false, true },
        { "<!DOCTYPE HTML>\n<html>nope</html>\n", true, false, true },
    };
    raw_start(f, steps, (int)(sizeof(steps) / sizeof(steps[0])), url, sizeof(url));
    char https_url[80];
    snprintf(https_url, sizeof(https_url), "https://%s", url + strlen("http://"));
    struct kc_https *h = client(f, (struct kc_https_config){ .server = https_url });
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/api" }, &resp), -EPROTO);
    assert_errmsg_has(h, ": http: server gave HTTP response to HTTPS client");
    kc_https_response_close(&resp);
    assert_rc(h, kc_https_do(h, &(struct kc_https_request){ .path = "/api" }, &resp), -EPROTO);
    assert_errmsg_has(h, ": tls: first record does not look like a TLS handshake");
    kc_https_response_close(&resp);
}

static void
test_bad_config_and_requests(void **state)
{
    struct fx *f = *state;
    struct kc_https *h = NULL;
    char err[512];
    const char *url = kts_server_url(f->srv);
    const char *cert_block = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    const char *junk_key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    const char *other_block = "-----BEGIN THING-----\nAAAA\n-----END THING-----\n";
    char *key_and_other = malloc(strlen(f->cli_key) + strlen(other_block) + 1);
    strcpy(key_and_other, other_block);
    strcat(key_and_other, f->cli_key);
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    assert_non_null(ed);
    char *ed_pem;
    assert_int_equal(kc_pki_key_pem(ed, &ed_pem, NULL), 0);
    EVP_PKEY_free(ed);
    struct {
        struct kc_https_config cfg;
        const char *msg;
    } bad[] = {
        { { .server = NULL }, "server: want an http:// or https:// URL" },
        { { .server = "ftp://127.0.0.1/" }, "server: want an http:// or https:// URL" },
        { { .server = "https://exa mple:x/" }, "server: invalid URL" },
        { { .server = "https://h:0" }, "server: invalid URL" },
        { { .server = "https://h:65536" }, "server: invalid URL" },
        { { .server = "https://h:" }, "server: invalid URL" },
        { { .server = "https://" }, "server: invalid URL" },
        { { .server = "https://[::1" }, "server: invalid URL" },
        { { .server = "https://[nope]:1" }, "server: invalid URL" },
        { { .server = "https://user@h/" }, "server: invalid URL" },
        { { .server = "https://h/?q" }, "server: invalid URL" },
        { { .server = url, .cert_pem = f->cli_cert }, "client certificate given without its key" },
        { { .server = url, .key_pem = f->cli_key }, "client key given without its certificate" },
        /* client-go's words, as kubectl prints them */
        { { .server = url, .ca_pem = "garbage\n" },
          "unable to load root certificates: unable to parse bytes as PEM block" },
        { { .server = url, .ca_pem = cert_block },
          "unable to load root certificates: failed to parse certificate: x509: malformed certificate" },
        { { .server = url, .ca_pem = other_block },
          "unable to load root certificates: no valid certificate authority data seen" },
        { { .server = url, .cert_pem = "garbage", .key_pem = f->cli_key },
          "tls: failed to find any PEM data in certificate input" },
        { { .server = url, .cert_pem = f->cli_key, .key_pem = f->cli_cert },
          "tls: failed to find certificate PEM data in certificate input, but did find a private key; PEM inputs "
          "may have been switched" },
        { { .server = url, .cert_pem = other_block, .key_pem = f->cli_key },
          "tls: failed to find \"CERTIFICATE\" PEM block in certificate input after skipping PEM blocks of the "
          "following types: [THING]" },
        { { .server = url, .cert_pem = cert_block, .key_pem = f->cli_key }, "x509: malformed certificate" },
        { { .server = url, .cert_pem = f->cli_cert, .key_pem = "garbage" },
          "tls: failed to find any PEM data in key input" },
        { { .server = url, .cert_pem = f->cli_cert, .key_pem = f->cli_cert },
          "tls: found a certificate rather than a key in the PEM for the private key" },
        { { .server = url, .cert_pem = f->cli_cert, .key_pem = other_block },
          "tls: failed to find PEM block with type ending in \"PRIVATE KEY\" in key input after skipping PEM blocks "
          "of the following types: [THING]" },
        { { .server = url, .cert_pem = f->cli_cert, .key_pem = junk_key }, "tls: failed to parse private key" },
        { { .server = url, .cert_pem = f->cli_cert, .key_pem = f->rogue_key },
          "tls: private key does not match public key" },
        { { .server = url, .cert_pem = f->cli_cert, .key_pem = ed_pem },
          "tls: private key type does not match public key type" },
        { { .server = url, .token = "abc\r\nX-Evil: 1" }, "token holds a control character" },
        { { .server = url, .password = "p\n" }, "password holds a control character" },
        { { .server = url, .user_agent = "a\tb" }, "user agent holds a control character" },
        { { .server = url, .tls_server_name = "a b" }, "TLS server name: \"a b\" cannot stand for the host" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        h = NULL;
        assert_int_equal(kc_https_new(&bad[i].cfg, &h, err, sizeof(err)), KC_EINVALID);
        assert_null(h);
        if (strncmp(err, bad[i].msg, strlen(bad[i].msg)))
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, bad[i].msg);
    }
    assert_int_equal(kc_https_new(NULL, &h, NULL, 0), KC_EINVALID);
    free(ed_pem);

    /* Blocks of other types before the key are skipped. */
    h = client(f, (struct kc_https_config){ .cert_pem = f->cli_cert, .key_pem = key_and_other });
    check_identity(h, "alice");
    free(key_and_other);

    h = client(f, (struct kc_https_config){ 0 });
    struct kc_https_response resp;
    const char *crlf[] = { "X-A: 1\r\nX-B: 2", NULL }, *noname[] = { "no colon", NULL };
    struct kc_https_request reqs[] = {
        { .path = "api" },
        { .path = NULL },
        { .path = "/api v1" },
        { .path = "/api\n" },
        { .path = "/api", .method = "get" },
        { .path = "/api", .method = "" },
        { .path = "/api", .headers = crlf },
        { .path = "/api", .headers = noname },
        { .path = "/api", .content_type = "a\nb" },
        { .path = "/api", .accept = "a\rb" },
    };
    long accepted = kts_server_accepted(f->srv);
    for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
        resp.status = 99;
        assert_rc(h, kc_https_do(h, &reqs[i], &resp), KC_EINVALID);
        assert_int_equal(resp.status, 0);
        assert_errmsg_has(h, "invalid");
        kc_https_response_close(&resp);
    }
    assert_rc(h, kc_https_do(h, NULL, &resp), KC_EINVALID);
    assert_int_equal(kts_server_accepted(f->srv), accepted); /* nothing was sent */
}

static void
test_allocation_failures(void **state)
{
    struct fx *f = *state;
    struct kc_https_config cfg = { .server = kts_server_url(f->srv),
                                   .ca_pem = f->ca_pem,
                                   .cert_pem = f->cli_cert,
                                   .key_pem = f->cli_key,
                                   .username = "u",
                                   .password = "p" };
    struct kc_https *h = NULL;
    int n, rc;
    for (n = 1;; n++) {
        kc_fault_arm(KC_FAULT_ALLOC, n, 0, false);
        rc = kc_https_new(&cfg, &h, NULL, 0);
        long injected = kc_fault_injected(KC_FAULT_ALLOC);
        kc_fault_disarm(KC_FAULT_ALLOC);
        if (!injected) {
            assert_int_equal(rc, 0);
            break;
        }
        assert_int_equal(rc, -ENOMEM);
        assert_true(n < 100);
    }
    assert_true(n > 5);
    f->clients[f->nclients++] = h;

    /* Each of our allocations in a request with warnings and a body fails in turn; then it succeeds. Without a
     * client certificate: the server (in this process) would allocate for its identity in every handshake. */
    h = client(f, (struct kc_https_config){ .token = "t" });
    struct kc_https_response resp;
    for (n = 1;; n++) {
        kc_fault_arm(KC_FAULT_ALLOC, n, 0, false);
        rc = kc_https_do(h, &(struct kc_https_request){ .path = "/status/200?warn" }, &resp);
        long injected = kc_fault_injected(KC_FAULT_ALLOC);
        kc_fault_disarm(KC_FAULT_ALLOC);
        if (!injected) {
            assert_int_equal(rc, 0);
            break;
        }
        assert_int_equal(rc, -ENOMEM);
        kc_https_response_close(&resp);
        assert_true(n < 100);
    }
    assert_true(n > 4); /* url, request head, read buffer, warnings, body, content type */
    assert_int_equal(resp.nwarnings, 2);
    kc_https_response_close(&resp);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_request_and_response, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_and_warnings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authentication, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_certificate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls_verification, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keepalive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_body_and_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_framing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_tls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_config_and_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_allocation_failures, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
