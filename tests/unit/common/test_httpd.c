/* test_httpd.c - kc_httpd end to end on 127.0.0.1 with libcurl as the client: routes and query parameters,
 * body limits, deferred work running concurrently off the loop, streams (bounded, closed by the client, ended
 * by stop), posts from other threads, timers, TLS with ALPN and client-certificate identities, and bodies handed
 * over without a copy (kc_httpd_reply_take/lend: every byte, HTTP/1.1 and HTTP/2, clients that leave mid-body). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kc_error.h"
#include "kc_httpd.h"
#include "kc_time.h"

/* --- a tiny curl client --- */

struct buf {
    char *data;
    size_t len;
};

static size_t
collect(char *p, size_t size, size_t n, void *ud)
{
    struct buf *b = ud;
    b->data = realloc(b->data, b->len + size * n + 1);
    memcpy(b->data + b->len, p, size * n);
    b->len += size * n;
    b->data[b->len] = '\0';
    return size * n;
}

struct tls_files {
    char dir[64];
    char ca[96], cert[96], key[96], ccert[96], ckey[96];
};

static CURL *
easy(const char *url, struct buf *out, const struct tls_files *tls, bool client_cert, bool h2)
{
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (tls) {
        curl_easy_setopt(c, CURLOPT_CAINFO, tls->ca);
        if (client_cert) {
            curl_easy_setopt(c, CURLOPT_SSLCERT, tls->ccert);
            curl_easy_setopt(c, CURLOPT_SSLKEY, tls->ckey);
        }
    }
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, h2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1);
    return c;
}

static long
fetch(const char *url, struct buf *out, const struct tls_files *tls, bool client_cert, bool h2, long *httpver)
{
    CURL *c = easy(url, out, tls, client_cert, h2);
    long code = -1;
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        if (httpver)
            curl_easy_getinfo(c, CURLINFO_HTTP_VERSION, httpver);
    }
    curl_easy_cleanup(c);
    return code;
}

/* Waits up to ms for *flag to become nonzero. */
static bool
wait_flag(int *flag, int ms)
{
    int64_t deadline = kc_time_mono_ns() + (int64_t)ms * 1000000;
    while (!__atomic_load_n(flag, __ATOMIC_SEQ_CST)) {
        if (kc_time_mono_ns() > deadline)
            return false;
        usleep(1000);
    }
    return true;
}

/* --- handlers --- */

static int
h_hello(kc_httpd_req *req, void *arg)
{
    (void)arg;
    const char *name = kc_httpd_req_param(req, "name", 0);
    const char *second = kc_httpd_req_param(req, "name", 1);
    char body[512];
    size_t blen;
    const char *b = kc_httpd_req_body(req, &blen);
    int n = snprintf(body, sizeof(body), "hello %s|%s|%s|%zu|%.*s", name ? name : "-", second ? second : "-",
                     kc_httpd_req_method_is(req, "POST") ? "POST" : "other", blen, (int)(blen > 64 ? 64 : blen),
                     b ? b : "");
    kc_httpd_add_header(req, "X-Test", "yes");
    kc_httpd_reply(req, 200, "text/plain", body, (size_t)n);
    return 0;
}

static int
h_decline(kc_httpd_req *req, void *arg)
{
    (void)req, (void)arg;
    return -1; /* falls through to the next route */
}

static int
h_json(kc_httpd_req *req, void *arg)
{
    (void)arg;
    json_t *v = json_pack("{s:s,s:i}", "proto", kc_httpd_req_protocol(req), "n", 7);
    kc_httpd_reply_json(req, 201, v, true);
    json_decref(v);
    return 0;
}

static int
h_peer(kc_httpd_req *req, void *arg)
{
    (void)arg;
    const struct kc_httpd_peer *p = kc_httpd_req_peer(req);
    char body[1024];
    int n = p ? snprintf(body, sizeof(body), "%s %s user=%s groups=%d:%s,%s", kc_httpd_req_protocol(req), "cert",
                         p->user, p->ngroups, p->ngroups > 0 ? p->groups[0] : "", p->ngroups > 1 ? p->groups[1] : "")
              : snprintf(body, sizeof(body), "%s anonymous", kc_httpd_req_protocol(req));
    kc_httpd_reply(req, 200, "text/plain", body, (size_t)n);
    return 0;
}

/* Which loop thread serves the connection: its pthread_t as text. */
static int
h_thread(kc_httpd_req *req, void *arg)
{
    (void)arg;
    char body[32];
    int n = snprintf(body, sizeof(body), "%lx", (unsigned long)pthread_self());
    kc_httpd_reply(req, 200, "text/plain", body, (size_t)n);
    return 0;
}

/* Deferred work: every request blocks in its worker until `concurrency_goal` of them are blocked at once, which
 * can only happen when the work really runs off the loop and in parallel. */
static pthread_mutex_t barrier_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t barrier_cond = PTHREAD_COND_INITIALIZER;
static int barrier_count, concurrency_goal, max_seen;

struct slow {
    int value;
};

static void
slow_work(void *arg)
{
    struct slow *s = arg;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 5;
    pthread_mutex_lock(&barrier_lock);
    barrier_count++;
    if (barrier_count > max_seen)
        max_seen = barrier_count;
    pthread_cond_broadcast(&barrier_cond);
    while (barrier_count < concurrency_goal && max_seen < concurrency_goal)
        if (pthread_cond_timedwait(&barrier_cond, &barrier_lock, &ts) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&barrier_lock);
    s->value *= 2;
}

static void
slow_done(kc_httpd_req *req, void *arg)
{
    struct slow *s = arg;
    if (req) {
        char body[32];
        int n = snprintf(body, sizeof(body), "%d", s->value);
        kc_httpd_reply(req, 200, "text/plain", body, (size_t)n);
    }
    free(s);
}

static int
h_slow(kc_httpd_req *req, void *arg)
{
    (void)arg;
    struct slow *s = malloc(sizeof(*s));
    const char *v = kc_httpd_req_param(req, "v", 0);
    s->value = v ? atoi(v) : 0;
    assert_int_equal(kc_httpd_defer(req, slow_work, slow_done, s), 0);
    return 0;
}

/* Streams: /stream writes "tick N\n" from a timer every 5 ms up to 3, then ends; /hold writes one line and
 * keeps the stream open until the client leaves or the server stops. */
struct ticker {
    struct kc_httpd_timer timer;
    kc_httpd_stream *st;
    int n;
    bool closed;
};

static int stream_closes;
static int overflow_seen;

static void
ticker_close(void *arg)
{
    struct ticker *t = arg;
    t->closed = true;
    kc_httpd_timer_cancel(&t->timer);
    __atomic_add_fetch(&stream_closes, 1, __ATOMIC_SEQ_CST);
    free(t);
}

static void
tick(void *arg)
{
    struct ticker *t = arg;
    char line[32];
    int n = snprintf(line, sizeof(line), "tick %d\n", t->n++);
    assert_int_equal(kc_httpd_stream_write(t->st, line, (size_t)n), 0);
    if (t->n == 3)
        kc_httpd_stream_end(t->st);
    else
        kc_httpd_timer_arm(kc_httpd_stream_loop(t->st), &t->timer, 5);
}

static int
h_stream(kc_httpd_req *req, void *arg)
{
    (void)arg;
    struct ticker *t = calloc(1, sizeof(*t));
    t->timer.fn = tick;
    t->timer.arg = t;
    t->st = kc_httpd_stream_begin(req, 200, "application/json", 64, ticker_close, t);
    /* The bound: more than 64 pending bytes is refused without queueing anything. */
    char big[100];
    memset(big, 'x', sizeof(big));
    if (kc_httpd_stream_write(t->st, big, sizeof(big)) == -ENOBUFS)
        __atomic_store_n(&overflow_seen, 1, __ATOMIC_SEQ_CST);
    kc_httpd_timer_arm(kc_httpd_req_loop(req), &t->timer, 5);
    return 0;
}

/* /drain writes 4 MiB through a stream that may hold 128 KiB unsent: 64 KiB at a time, the next only from the
 * stream's on_drain, then ends. pattern_at's bytes, so the client can check every one. */
#define DRAIN_TOTAL (4u << 20)
#define DRAIN_PIECE (64u << 10)
static int drain_calls; /* on_drain callbacks (atomic) */
static char pattern_at(size_t i);

struct drainer {
    kc_httpd_stream *st;
    size_t sent;
};

static void
drainer_close(void *arg)
{
    __atomic_add_fetch(&stream_closes, 1, __ATOMIC_SEQ_CST);
    free(arg);
}

static void
drain_more(void *arg)
{
    struct drainer *d = arg;
    __atomic_add_fetch(&drain_calls, 1, __ATOMIC_SEQ_CST);
    char piece[DRAIN_PIECE];
    while (d->sent < DRAIN_TOTAL && kc_httpd_stream_pending(d->st) < DRAIN_PIECE) {
        for (size_t i = 0; i < sizeof(piece); i++)
            piece[i] = pattern_at(d->sent + i);
        assert_int_equal(kc_httpd_stream_write(d->st, piece, sizeof(piece)), 0);
        d->sent += sizeof(piece);
    }
    if (d->sent == DRAIN_TOTAL)
        kc_httpd_stream_end(d->st);
}

static int
h_drain(kc_httpd_req *req, void *arg)
{
    (void)arg;
    struct drainer *d = calloc(1, sizeof(*d));
    d->st = kc_httpd_stream_begin(req, 200, "application/octet-stream", 2 * DRAIN_PIECE, drainer_close, d);
    kc_httpd_stream_on_drain(d->st, drain_more);
    drain_more(d);
    return 0;
}

static int hold_open;

static int
h_hold(kc_httpd_req *req, void *arg)
{
    (void)arg;
    struct ticker *t = calloc(1, sizeof(*t));
    t->timer.fn = tick;
    t->timer.arg = t;
    t->st = kc_httpd_stream_begin(req, 200, "text/plain", 1 << 20, ticker_close, t);
    kc_httpd_stream_write(t->st, "open\n", 5);
    __atomic_store_n(&hold_open, 1, __ATOMIC_SEQ_CST);
    return 0;
}

/* Suspension: /suspend?n=N suspends the request, resumes it from another thread, and N times over suspends it again
 * from its done callback (as the API server's create does when a generated name was taken), then answers "rounds
 * N" from the last done callback. */
struct susp_state {
    int left, rounds;
};

static void susp_done(kc_httpd_req *req, void *arg);

static void *
resume_later(void *arg)
{
    kc_httpd_resume(arg);
    return NULL;
}

static bool
susp_start(kc_httpd_req *req, struct susp_state *st)
{
    kc_httpd_suspended *s = kc_httpd_suspend(req, susp_done, st);
    pthread_t t;
    if (!s || pthread_create(&t, NULL, resume_later, s) != 0)
        return false;
    pthread_detach(t);
    return true;
}

static void
susp_done(kc_httpd_req *req, void *arg)
{
    struct susp_state *st = arg;
    st->rounds++;
    if (req && --st->left > 0 && susp_start(req, st))
        return;
    if (req) {
        char body[32];
        int n = snprintf(body, sizeof(body), "rounds %d", st->rounds);
        kc_httpd_reply(req, 200, "text/plain", body, (size_t)n);
    }
    free(st);
}

static int
h_suspend(kc_httpd_req *req, void *arg)
{
    (void)arg;
    struct susp_state *st = calloc(1, sizeof(*st));
    const char *n = kc_httpd_req_param(req, "n", 0);
    st->left = n ? atoi(n) : 1;
    if (!susp_start(req, st)) {
        free(st);
        kc_httpd_reply(req, 500, "text/plain", "no suspension", 13);
    }
    return 0;
}

/* Bodies handed over with kc_httpd_reply_take / kc_httpd_reply_lend: /big?n=N[&lend=1][&status=S] answers N
 * pattern bytes (pattern_at), several slices long when N is; lent bodies count their releases. */
static int released;        /* lent bodies released (atomic) */
static long released_bytes; /* their sizes (atomic) */
static int big_started;     /* /big requests answered (atomic) */

static char
pattern_at(size_t i)
{
    return (char)('a' + (i * 7 + i / 4096) % 26);
}

struct lent {
    char *body;
    size_t len;
};

static void
lent_release(void *arg)
{
    struct lent *l = arg;
    __atomic_add_fetch(&released_bytes, (long)l->len, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&released, 1, __ATOMIC_SEQ_CST);
    free(l->body);
    free(l);
}

static int
h_big(kc_httpd_req *req, void *arg)
{
    (void)arg;
    const char *ns = kc_httpd_req_param(req, "n", 0), *st = kc_httpd_req_param(req, "status", 0);
    size_t n = ns ? strtoul(ns, NULL, 10) : 0;
    int status = st ? atoi(st) : 200;
    char *body = n ? malloc(n) : NULL;
    for (size_t i = 0; i < n; i++)
        body[i] = pattern_at(i);
    __atomic_add_fetch(&big_started, 1, __ATOMIC_SEQ_CST);
    if (kc_httpd_req_param(req, "lend", 0)) {
        struct lent *l = malloc(sizeof(*l));
        *l = (struct lent){ body, n };
        kc_httpd_reply_lend(req, status, "application/octet-stream", body, n, lent_release, l);
    } else {
        kc_httpd_reply_take(req, status, "application/octet-stream", body, n); /* ASan: freed, once */
    }
    return 0;
}

/* --- fixtures --- */

struct fixture {
    kc_httpd *srv;
    char base[128];
    struct tls_files tls;
};

static int
make_tls_files(struct tls_files *t)
{
    strcpy(t->dir, "/tmp/kc-httpd-XXXXXX");
    if (!mkdtemp(t->dir))
        return -1;
    snprintf(t->ca, sizeof(t->ca), "%s/ca.crt", t->dir);
    snprintf(t->cert, sizeof(t->cert), "%s/srv.crt", t->dir);
    snprintf(t->key, sizeof(t->key), "%s/srv.key", t->dir);
    snprintf(t->ccert, sizeof(t->ccert), "%s/cli.crt", t->dir);
    snprintf(t->ckey, sizeof(t->ckey), "%s/cli.key", t->dir);
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "cd %s && exec >/dev/null 2>&1 && "
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt "
             "-days 1 -subj /CN=test-ca && "
             "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr "
             "-subj /CN=localhost && "
             "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > san.ext && "
             "openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt -days 1 "
             "-extfile san.ext && "
             "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout cli.key -out cli.csr "
             "-subj '/O=system:masters/O=dev/CN=admin' && "
             "openssl x509 -req -in cli.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out cli.crt -days 1",
             t->dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int
start(struct fixture *f, bool tls)
{
    struct kc_httpd_config cfg = { .threads = 2, .workers = 40, .max_body = 1024 };
    if (tls) {
        if (make_tls_files(&f->tls) != 0)
            return -1;
        cfg.cert_file = f->tls.cert;
        cfg.key_file = f->tls.key;
        cfg.client_ca_file = f->tls.ca;
    }
    if (kc_httpd_new(&cfg, &f->srv) != 0)
        return -1;
    kc_httpd_route(f->srv, "/hello", h_decline, NULL);
    kc_httpd_route(f->srv, "/hello", h_hello, NULL);
    kc_httpd_route(f->srv, "/json", h_json, NULL);
    kc_httpd_route(f->srv, "/peer", h_peer, NULL);
    kc_httpd_route(f->srv, "/slow", h_slow, NULL);
    kc_httpd_route(f->srv, "/stream", h_stream, NULL);
    kc_httpd_route(f->srv, "/drain", h_drain, NULL);
    kc_httpd_route(f->srv, "/hold", h_hold, NULL);
    kc_httpd_route(f->srv, "/big", h_big, NULL);
    kc_httpd_route(f->srv, "/thread", h_thread, NULL);
    kc_httpd_route(f->srv, "/suspend", h_suspend, NULL);
    if (kc_httpd_start(f->srv) != 0)
        return -1;
    snprintf(f->base, sizeof(f->base), "%s://%s:%d", tls ? "https" : "http", tls ? "localhost" : "127.0.0.1",
             kc_httpd_port(f->srv));
    return 0;
}

static int
setup_plain(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    *state = f;
    return start(f, false);
}

static int
setup_tls(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    *state = f;
    return start(f, true);
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    kc_httpd_free(f->srv);
    if (f->tls.dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", f->tls.dir);
        if (system(cmd) != 0)
            return -1;
    }
    free(f);
    return 0;
}

/* --- tests --- */

static void
test_routes_and_params(void **state)
{
    struct fixture *f = *state;
    char url[256];
    struct buf b = { 0 };
    snprintf(url, sizeof(url), "%s/hello?x=1&name=a%%20b%%2Fc&name=second+one", f->base);
    assert_int_equal(fetch(url, &b, NULL, false, false, NULL), 200);
    assert_string_equal(b.data, "hello a b/c|second one|other|0|");
    free(b.data);

    b = (struct buf){ 0 };
    snprintf(url, sizeof(url), "%s/hello/deeper", f->base);
    assert_int_equal(fetch(url, &b, NULL, false, false, NULL), 200);
    free(b.data);

    b = (struct buf){ 0 };
    snprintf(url, sizeof(url), "%s/hellothere", f->base); /* not on a '/' boundary */
    assert_int_equal(fetch(url, &b, NULL, false, false, NULL), 404);
    free(b.data);

    b = (struct buf){ 0 };
    snprintf(url, sizeof(url), "%s/json", f->base);
    assert_int_equal(fetch(url, &b, NULL, false, false, NULL), 201);
    assert_string_equal(b.data, "{\"proto\":\"http/1.1\",\"n\":7}\n");
    free(b.data);
}

static void
test_body_and_limit(void **state)
{
    struct fixture *f = *state;
    char url[256];
    snprintf(url, sizeof(url), "%s/hello", f->base);
    struct buf b = { 0 };
    CURL *c = easy(url, &b, NULL, false, false);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "payload");
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    long code;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    assert_int_equal(code, 200);
    assert_string_equal(b.data, "hello -|-|POST|7|payload");
    curl_easy_cleanup(c);
    free(b.data);

    char *big = malloc(4096);
    memset(big, 'a', 4095);
    big[4095] = '\0';
    b = (struct buf){ 0 };
    c = easy(url, &b, NULL, false, false);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, big);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    assert_int_equal(code, 413);
    curl_easy_cleanup(c);
    free(b.data);
    free(big);
}

static void
test_defer_concurrent(void **state)
{
    struct fixture *f = *state;
    enum { N = 24 };
    barrier_count = 0, max_seen = 0, concurrency_goal = N;
    CURLM *m = curl_multi_init();
    CURL *h[N];
    struct buf b[N];
    for (int i = 0; i < N; i++) {
        char url[256];
        snprintf(url, sizeof(url), "%s/slow?v=%d", f->base, i);
        b[i] = (struct buf){ 0 };
        h[i] = easy(url, &b[i], NULL, false, false);
        curl_multi_add_handle(m, h[i]);
    }
    int running = N;
    int64_t deadline = kc_time_mono_ns() + 10000000000LL;
    while (running > 0 && kc_time_mono_ns() < deadline) {
        curl_multi_perform(m, &running);
        curl_multi_poll(m, NULL, 0, 50, NULL);
    }
    assert_int_equal(running, 0);
    for (int i = 0; i < N; i++) {
        char want[16];
        snprintf(want, sizeof(want), "%d", 2 * i);
        assert_non_null(b[i].data);
        assert_string_equal(b[i].data, want);
        curl_multi_remove_handle(m, h[i]);
        curl_easy_cleanup(h[i]);
        free(b[i].data);
    }
    curl_multi_cleanup(m);
    assert_int_equal(max_seen, N); /* all N were blocked in workers at once */
}

static void
test_stream(void **state)
{
    struct fixture *f = *state;
    char url[256];
    struct buf b = { 0 };
    stream_closes = 0, overflow_seen = 0;
    snprintf(url, sizeof(url), "%s/stream", f->base);
    long ver = 0;
    assert_int_equal(fetch(url, &b, NULL, false, false, &ver), 200);
    assert_string_equal(b.data, "tick 0\ntick 1\ntick 2\n");
    assert_true(overflow_seen);
    assert_true(wait_flag(&stream_closes, 5000));
    free(b.data);
}

/* A writer paced by on_drain gets everything through a stream bound far below the total. */
static void
test_stream_drain(void **state)
{
    struct fixture *f = *state;
    char url[256];
    struct buf b = { 0 };
    stream_closes = 0, drain_calls = 0;
    snprintf(url, sizeof(url), "%s/drain", f->base);
    long ver = 0;
    assert_int_equal(fetch(url, &b, NULL, false, false, &ver), 200);
    assert_int_equal(b.len, DRAIN_TOTAL);
    for (size_t i = 0; i < b.len; i++)
        if (b.data[i] != pattern_at(i))
            fail_msg("byte %zu differs", i);
    assert_true(__atomic_load_n(&drain_calls, __ATOMIC_SEQ_CST) >= (int)(DRAIN_TOTAL / (2 * DRAIN_PIECE)));
    assert_true(wait_flag(&stream_closes, 5000));
    free(b.data);
}

static size_t
abort_after_first(char *p, size_t size, size_t n, void *ud)
{
    (void)p, (void)ud;
    (void)size, (void)n;
    return 0; /* makes curl abort the transfer: the client leaves */
}

static void
test_stream_client_leaves(void **state)
{
    struct fixture *f = *state;
    char url[256];
    stream_closes = 0, hold_open = 0;
    snprintf(url, sizeof(url), "%s/hold", f->base);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, abort_after_first);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    assert_int_equal(curl_easy_perform(c), CURLE_WRITE_ERROR);
    curl_easy_cleanup(c);
    assert_true(hold_open);
    /* HTTP/1.1: h2o notices a departed client on its next write; the stream's close callback must follow. The
     * ticker is not running on /hold, so poke the stream by stopping the server: either way on_close runs once. */
    kc_httpd_stop(f->srv, 200);
    assert_true(wait_flag(&stream_closes, 5000));
    assert_int_equal(stream_closes, 1);
}

struct post_check {
    int ran;
    pthread_t thread;
};

static void
record_thread(void *arg)
{
    struct post_check *pc = arg;
    pc->thread = pthread_self();
    __atomic_store_n(&pc->ran, 1, __ATOMIC_SEQ_CST);
}

static kc_httpd_loop *captured_loop;

/* An eventfd watched on a loop: fn runs on the loop thread each time the fd becomes readable. */
struct fdw {
    int efd;
    kc_httpd_fd_watch *w;
    int fired;
    int stopped;
};

static void
fd_ready(void *arg)
{
    struct fdw *f = arg;
    uint64_t v;
    while (read(f->efd, &v, sizeof(v)) == sizeof(v))
        ;
    __atomic_add_fetch(&f->fired, 1, __ATOMIC_SEQ_CST);
}

static void
fd_start(void *arg)
{
    struct fdw *f = arg;
    f->w = kc_httpd_fd_watch_start(captured_loop, f->efd, fd_ready, f);
}

static void
fd_stop(void *arg)
{
    struct fdw *f = arg;
    kc_httpd_fd_unwatch(f->w);
    __atomic_store_n(&f->stopped, 1, __ATOMIC_SEQ_CST);
}

static int
h_capture(kc_httpd_req *req, void *arg)
{
    (void)arg;
    captured_loop = kc_httpd_req_loop(req);
    kc_httpd_reply(req, 204, NULL, NULL, 0);
    return 0;
}

static void
test_post_from_other_thread(void **state)
{
    (void)state;
    kc_httpd *srv;
    struct kc_httpd_config cfg = { .threads = 1, .workers = 1 };
    assert_int_equal(kc_httpd_new(&cfg, &srv), 0);
    kc_httpd_route(srv, "/", h_capture, NULL);
    assert_int_equal(kc_httpd_start(srv), 0);
    char url[128];
    struct buf b = { 0 };
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", kc_httpd_port(srv));
    assert_int_equal(fetch(url, &b, NULL, false, false, NULL), 204);
    free(b.data);
    assert_non_null(captured_loop);

    struct post_check pc = { 0 };
    assert_int_equal(kc_httpd_post(captured_loop, record_thread, &pc), 0);
    assert_true(wait_flag(&pc.ran, 5000));
    assert_false(pthread_equal(pc.thread, pthread_self()));

    struct fdw f = { .efd = eventfd(0, EFD_NONBLOCK) };
    assert_true(f.efd >= 0);
    assert_int_equal(kc_httpd_post(captured_loop, fd_start, &f), 0);
    uint64_t one = 1;
    assert_int_equal(write(f.efd, &one, sizeof(one)), sizeof(one));
    assert_true(wait_flag(&f.fired, 5000));
    int before = __atomic_load_n(&f.fired, __ATOMIC_SEQ_CST);
    assert_int_equal(write(f.efd, &one, sizeof(one)), sizeof(one));
    int64_t deadline = kc_time_mono_ns() + 5000000000LL;
    while (__atomic_load_n(&f.fired, __ATOMIC_SEQ_CST) == before && kc_time_mono_ns() < deadline)
        usleep(1000);
    assert_true(__atomic_load_n(&f.fired, __ATOMIC_SEQ_CST) > before);
    assert_int_equal(kc_httpd_post(captured_loop, fd_stop, &f), 0);
    assert_true(wait_flag(&f.stopped, 5000));
    close(f.efd);

    kc_httpd_stop(srv, 50);
    /* After stop, a post still runs (inline), so nothing is leaked. */
    struct post_check late = { 0 };
    assert_int_equal(kc_httpd_post(captured_loop, record_thread, &late), 0);
    assert_true(late.ran);
    kc_httpd_free(srv);
}

static void
test_tls_alpn_and_peer(void **state)
{
    struct fixture *f = *state;
    char url[256];
    struct buf b = { 0 };
    long ver = 0;
    snprintf(url, sizeof(url), "%s/peer", f->base);

    assert_int_equal(fetch(url, &b, &f->tls, true, true, &ver), 200);
    assert_int_equal(ver, CURL_HTTP_VERSION_2_0);
    assert_string_equal(b.data, "h2 cert user=admin groups=2:system:masters,dev");
    free(b.data);

    b = (struct buf){ 0 };
    assert_int_equal(fetch(url, &b, &f->tls, true, false, &ver), 200);
    assert_int_equal(ver, CURL_HTTP_VERSION_1_1);
    assert_string_equal(b.data, "http/1.1 cert user=admin groups=2:system:masters,dev");
    free(b.data);

    /* The identity is read once per connection and kept with it: later requests on the connection get it too. */
    for (int h2 = 0; h2 <= 1; h2++) {
        b = (struct buf){ 0 };
        CURL *k = easy(url, &b, &f->tls, true, h2);
        for (int i = 0; i < 3; i++) {
            b.len = 0;
            assert_int_equal(curl_easy_perform(k), CURLE_OK);
            long fresh = -1;
            curl_easy_getinfo(k, CURLINFO_NUM_CONNECTS, &fresh);
            assert_int_equal(fresh, i == 0 ? 1 : 0); /* the same connection after the first */
            assert_string_equal(b.data, h2 ? "h2 cert user=admin groups=2:system:masters,dev"
                                           : "http/1.1 cert user=admin groups=2:system:masters,dev");
        }
        curl_easy_cleanup(k);
        free(b.data);
    }

    /* Without a client certificate the handshake still succeeds (verify-if-sent) and the peer is anonymous. */
    b = (struct buf){ 0 };
    assert_int_equal(fetch(url, &b, &f->tls, false, true, &ver), 200);
    assert_string_equal(b.data, "h2 anonymous");
    free(b.data);

    /* A client that does not trust the server's CA fails the handshake. */
    b = (struct buf){ 0 };
    CURL *c = easy(url, &b, NULL, false, true);
    assert_int_equal(curl_easy_perform(c), CURLE_PEER_FAILED_VERIFICATION);
    curl_easy_cleanup(c);
    free(b.data);
}

/* A TCP connection to the fixture's port (its base URL's). */
static int
connect_fixture(const struct fixture *f)
{
    const char *port = strrchr(f->base, ':');
    assert_non_null(port);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port + 1)) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

/* The cipher a handshake with the fixture's TLS port settles on: suites13 / list12 are the client's offer
 * (NULL: OpenSSL's defaults), max its highest version. */
static const char *
negotiated(struct fixture *f, const char *suites13, const char *list12, int max)
{
    static char name[64];
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(ctx);
    SSL_CTX_set_max_proto_version(ctx, max);
    if (suites13)
        assert_int_equal(SSL_CTX_set_ciphersuites(ctx, suites13), 1);
    if (list12)
        assert_int_equal(SSL_CTX_set_cipher_list(ctx, list12), 1);
    int fd = connect_fixture(f);
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1) {
        char err[256];
        ERR_error_string_n(ERR_get_error(), err, sizeof(err));
        fail_msg("handshake (%s / %s, max %#x): %s", suites13 ? suites13 : "-", list12 ? list12 : "-", max, err);
    }
    snprintf(name, sizeof(name), "%s", SSL_get_cipher_name(ssl));
    SSL_shutdown(ssl);
    SSL_free(ssl);
    close(fd);
    SSL_CTX_free(ctx);
    return name;
}

/* The server picks the cipher as kube-apiserver (Go) does: AES-128-GCM unless the client puts ChaCha20 first. */
static void
test_tls_cipher_choice(void **state)
{
    struct fixture *f = *state;
    /* OpenSSL's client offers AES-256-GCM first: the server's order wins */
    assert_string_equal(negotiated(f, NULL, NULL, TLS1_3_VERSION), "TLS_AES_128_GCM_SHA256");
    assert_string_equal(negotiated(f, "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256", NULL, TLS1_3_VERSION),
                        "TLS_CHACHA20_POLY1305_SHA256");
    assert_string_equal(negotiated(f, "TLS_AES_256_GCM_SHA384", NULL, TLS1_3_VERSION), "TLS_AES_256_GCM_SHA384");
    assert_non_null(strstr(negotiated(f, NULL, NULL, TLS1_2_VERSION), "AES128-GCM-SHA256"));
    assert_non_null(
        strstr(negotiated(f, NULL, "ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA", TLS1_2_VERSION), "AES256-SHA"));
}

/* The largest TLS record a client receives while reading a 12,000-byte reply on a new connection. */
static int largest_record;

static void
on_record(int write_p, int version, int content_type, const void *buf, size_t len, SSL *ssl, void *arg)
{
    (void)version;
    (void)ssl;
    (void)arg;
    const unsigned char *h = buf;
    if (!write_p && content_type == SSL3_RT_HEADER && len == 5 && h[0] == SSL3_RT_APPLICATION_DATA) {
        int n = h[3] << 8 | h[4];
        if (n > largest_record)
            largest_record = n;
    }
}

/* Replies go out in full-size TLS records from a connection's first one (h2o 2.2.5 would cut them into records of
 * 1,368 bytes for the connection's first 200 KiB). */
static void
test_tls_full_records(void **state)
{
    struct fixture *f = *state;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(ctx);
    SSL_CTX_set_msg_callback(ctx, on_record);
    int fd = connect_fixture(f);
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    assert_int_equal(SSL_connect(ssl), 1);
    largest_record = 0; /* the handshake's own records do not count */
    static const char req[] = "GET /big?n=12000 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    assert_int_equal(SSL_write(ssl, req, (int)strlen(req)), (int)strlen(req));
    char buf[4096];
    size_t total = 0;
    int n;
    while ((n = SSL_read(ssl, buf, sizeof(buf))) > 0)
        total += (size_t)n;
    assert_true(total > 12000);               /* the head and the whole body */
    assert_true(largest_record > 12000 + 16); /* the body in one record (its payload, type byte and tag) */
    SSL_free(ssl);
    close(fd);
    SSL_CTX_free(ctx);
}

/* Waits up to ms for *counter to reach want. */
static bool
wait_count(int *counter, int want, int ms)
{
    int64_t deadline = kc_time_mono_ns() + (int64_t)ms * 1000000;
    while (__atomic_load_n(counter, __ATOMIC_SEQ_CST) < want) {
        if (kc_time_mono_ns() > deadline)
            return false;
        usleep(1000);
    }
    return true;
}

/* Fetches /big?n=N (lent or taken) and checks status, Content-Length, Content-Type and every byte. */
static void
check_big(struct fixture *f, size_t n, bool lend, const struct tls_files *tls, bool h2)
{
    char url[256];
    snprintf(url, sizeof(url), "%s/big?n=%zu%s", f->base, n, lend ? "&lend=1" : "");
    struct buf b = { 0 };
    CURL *c = easy(url, &b, tls, false, h2);
    int before = __atomic_load_n(&released, __ATOMIC_SEQ_CST);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    long code = 0, ver = 0;
    curl_off_t cl = -1;
    char *ctype = NULL;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(c, CURLINFO_HTTP_VERSION, &ver);
    curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ctype);
    assert_int_equal(code, 200);
    assert_int_equal(ver, h2 ? CURL_HTTP_VERSION_2_0 : CURL_HTTP_VERSION_1_1);
    assert_int_equal(cl, (curl_off_t)n);
    assert_string_equal(ctype, "application/octet-stream");
    curl_easy_cleanup(c);
    assert_int_equal(b.len, n);
    for (size_t i = 0; i < n; i++)
        if (b.data[i] != pattern_at(i))
            fail_msg("byte %zu of %zu: got 0x%02x, want 0x%02x", i, n, (unsigned char)b.data[i],
                     (unsigned char)pattern_at(i));
    free(b.data);
    if (lend) /* released once the response is over: right after the last byte, or soon after */
        assert_true(wait_count(&released, before + 1, 5000));
}

static void
test_reply_take(void **state)
{
    struct fixture *f = *state;
    const size_t sizes[] = {
        0, 1, 4096, KC_HTTPD_SLICE - 1, KC_HTTPD_SLICE, KC_HTTPD_SLICE + 1, 3 * KC_HTTPD_SLICE + 123
    };
    released = 0, released_bytes = 0;
    long want_bytes = 0;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        check_big(f, sizes[i], false, NULL, false);
        check_big(f, sizes[i], true, NULL, false);
        want_bytes += (long)sizes[i];
    }
    assert_int_equal(released, 7);
    assert_int_equal(released_bytes, want_bytes);

    /* not a 200, and the connection stays open: Content-Length is set, so h2o keeps it alive */
    char url[256];
    struct buf b = { 0 };
    snprintf(url, sizeof(url), "%s/big?n=1000&status=404", f->base);
    CURL *c = easy(url, &b, NULL, false, false);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    long code = 0, conns = -1;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    assert_int_equal(code, 404);
    assert_int_equal(b.len, 1000);
    snprintf(url, sizeof(url), "%s/big?n=10", f->base);
    curl_easy_setopt(c, CURLOPT_URL, url);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &conns);
    assert_int_equal(conns, 0); /* the second request reused the connection */
    assert_int_equal(b.len, 1010);
    curl_easy_cleanup(c);
    free(b.data);
}

static void
test_reply_take_tls(void **state)
{
    struct fixture *f = *state;
    released = 0;
    for (int h2 = 0; h2 <= 1; h2++) {
        check_big(f, 5 * KC_HTTPD_SLICE + 7, true, &f->tls, h2);
        check_big(f, 5 * KC_HTTPD_SLICE + 7, false, &f->tls, h2);
        check_big(f, 0, true, &f->tls, h2);
    }
    assert_int_equal(released, 4);
}

/* A client that reads a little of a big body and closes its socket: the body must be released (the lent one
 * counts it; ASan checks the taken one is freed, once, and never read after). */
static void
leave_mid_body(struct fixture *f, bool lend)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)kc_httpd_port(f->srv)) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    char req[128];
    int n = snprintf(req, sizeof(req), "GET /big?n=%d%s HTTP/1.1\r\nHost: t\r\n\r\n", 64 << 20, lend ? "&lend=1" : "");
    assert_int_equal(send(fd, req, (size_t)n, 0), n);
    char buf[65536];
    size_t got = 0;
    while (got < 256 * 1024) { /* more than the head: the body is being sent */
        ssize_t r = recv(fd, buf, sizeof(buf), 0);
        assert_true(r > 0);
        if (got == 0)
            assert_memory_equal(buf, "HTTP/1.1 200", 12);
        got += (size_t)r;
    }
    close(fd); /* unread bytes: the kernel resets the connection, the server's next write fails */
}

/* A suspended request resumed from another thread is answered from its done callback, also after being suspended
 * again from that callback, round after round; over HTTP/1.1 and HTTP/2. */
static void
test_suspend_again(void **state)
{
    struct fixture *f = *state;
    static const int rounds[] = { 1, 2, 5 };
    for (size_t i = 0; i < sizeof(rounds) / sizeof(rounds[0]); i++) {
        for (int h2 = 0; h2 < 2; h2++) {
            char url[256], want[32];
            snprintf(url, sizeof(url), "%s/suspend?n=%d", f->base, rounds[i]);
            snprintf(want, sizeof(want), "rounds %d", rounds[i]);
            struct buf b = { 0 };
            assert_int_equal(fetch(url, &b, &f->tls, true, h2 == 1, NULL), 200);
            assert_string_equal(b.data, want);
            free(b.data);
        }
    }
}

/* The status line of GET path on a new plain connection (without CRLF), read up to its end. */
static void
status_line(struct fixture *f, const char *path, char *out, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)kc_httpd_port(f->srv)) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    char req[256];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", path);
    assert_int_equal(send(fd, req, (size_t)n, 0), n);
    size_t got = 0;
    char *crlf = NULL;
    while (!crlf && got + 1 < cap) {
        ssize_t r = recv(fd, out + got, cap - 1 - got, 0);
        assert_true(r > 0);
        got += (size_t)r;
        out[got] = '\0';
        crlf = strstr(out, "\r\n");
    }
    assert_non_null(crlf);
    *crlf = '\0';
    close(fd);
}

/* HTTP/1.1 status lines carry the reason phrase Go's net/http writes (h2o 2.2.5 leaves it empty unless told), for
 * every way of replying: inline, taken, lent, streamed. */
static void
test_reason_phrases(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *path, *line;
    } cases[] = {
        { "/thread", "HTTP/1.1 200 OK" },
        { "/big?n=10&status=201", "HTTP/1.1 201 Created" },
        { "/big?n=10&status=404&lend=1", "HTTP/1.1 404 Not Found" },
        { "/big?n=10&status=409", "HTTP/1.1 409 Conflict" },
        { "/big?n=10&status=422&lend=1", "HTTP/1.1 422 Unprocessable Entity" },
        { "/big?n=10&status=429", "HTTP/1.1 429 Too Many Requests" },
        { "/big?n=10&status=503", "HTTP/1.1 503 Service Unavailable" },
        { "/stream", "HTTP/1.1 200 OK" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char line[4096];
        status_line(f, cases[i].path, line, sizeof(line));
        if (strcmp(line, cases[i].line) != 0) {
            print_error("%s: got \"%s\", want \"%s\"\n", cases[i].path, line, cases[i].line);
            fail();
        }
    }
}

/* Connections that arrive together are spread over the loops: on_accept gives each to the loop with the fewest,
 * whichever loop woke (before, the loop that woke took up to 16 at once and the other served none). */
static void
test_accept_spreads_connections(void **state)
{
    struct fixture *f = *state;
    enum { N = 8 };
    int fds[N];
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)kc_httpd_port(f->srv)) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < N; i++) { /* all connected before any request: the loops see them as one burst */
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fds[i] >= 0);
        assert_int_equal(connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
    }
    char threads[N][32];
    for (int i = 0; i < N; i++) {
        const char *req = "GET /thread HTTP/1.1\r\nHost: t\r\n\r\n";
        assert_int_equal(send(fds[i], req, strlen(req), 0), (ssize_t)strlen(req));
        char buf[1024];
        size_t got = 0;
        const char *body = NULL, *clen;
        while (!body || !(clen = strstr(buf, "Content-Length: ")) || strlen(body + 4) < (size_t)atoi(clen + 16)) {
            ssize_t r = recv(fds[i], buf + got, sizeof(buf) - 1 - got, 0);
            assert_true(r > 0);
            got += (size_t)r;
            buf[got] = '\0';
            body = strstr(buf, "\r\n\r\n");
        }
        assert_memory_equal(buf, "HTTP/1.1 200", 12);
        snprintf(threads[i], sizeof(threads[i]), "%s", body + 4);
    }
    int on_first = 0;
    for (int i = 0; i < N; i++)
        on_first += strcmp(threads[i], threads[0]) == 0;
    /* the fixture runs two loops; two loops deciding at the same instant may both pick the same one, so allow one
     * off even */
    assert_in_range(on_first, N / 2 - 1, N / 2 + 1);
    for (int i = 0; i < N; i++)
        close(fds[i]);
}

static void
test_reply_take_client_leaves(void **state)
{
    struct fixture *f = *state;
    released = 0;
    leave_mid_body(f, true);
    assert_true(wait_count(&released, 1, 10000));
    leave_mid_body(f, false);
    /* the server still serves, on a new connection */
    check_big(f, 2 * KC_HTTPD_SLICE, true, NULL, false);
    assert_int_equal(released, 2);
}

/* HTTP/2 over TLS: curl aborts the transfer after the first bytes (the stream is reset or the connection
 * closed); the server's stop and dispose release the body. */
static void
test_reply_take_client_leaves_h2(void **state)
{
    struct fixture *f = *state;
    released = 0, big_started = 0;
    for (int lend = 1; lend >= 0; lend--) {
        char url[256];
        snprintf(url, sizeof(url), "%s/big?n=%d%s", f->base, 32 << 20, lend ? "&lend=1" : "");
        CURL *c = easy(url, NULL, &f->tls, false, true);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, abort_after_first);
        assert_int_equal(curl_easy_perform(c), CURLE_WRITE_ERROR);
        long ver = 0;
        curl_easy_getinfo(c, CURLINFO_HTTP_VERSION, &ver);
        assert_int_equal(ver, CURL_HTTP_VERSION_2_0);
        curl_easy_cleanup(c);
    }
    assert_int_equal(big_started, 2);
    assert_true(wait_count(&released, 1, 10000));
}

static void
test_bad_config(void **state)
{
    (void)state;
    kc_httpd *srv;
    struct kc_httpd_config cfg = { .bind_address = "not-an-address" };
    assert_int_equal(kc_httpd_new(&cfg, &srv), KC_EINVALID);
    struct kc_httpd_config tls = { .cert_file = "/nonexistent.crt", .key_file = "/nonexistent.key" };
    assert_int_equal(kc_httpd_new(&tls, &srv), KC_EINTERNAL);
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN); /* as every server: a write to a client that left fails with EPIPE instead */
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_routes_and_params, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_reason_phrases, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_body_and_limit, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_defer_concurrent, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_stream, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_stream_drain, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_stream_client_leaves, setup_plain, teardown),
        cmocka_unit_test(test_post_from_other_thread),
        cmocka_unit_test_setup_teardown(test_tls_alpn_and_peer, setup_tls, teardown),
        cmocka_unit_test_setup_teardown(test_tls_cipher_choice, setup_tls, teardown),
        cmocka_unit_test_setup_teardown(test_tls_full_records, setup_tls, teardown),
        cmocka_unit_test_setup_teardown(test_suspend_again, setup_tls, teardown),
        cmocka_unit_test_setup_teardown(test_reply_take, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_reply_take_tls, setup_tls, teardown),
        cmocka_unit_test_setup_teardown(test_accept_spreads_connections, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_reply_take_client_leaves, setup_plain, teardown),
        cmocka_unit_test_setup_teardown(test_reply_take_client_leaves_h2, setup_tls, teardown),
        cmocka_unit_test(test_bad_config),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
