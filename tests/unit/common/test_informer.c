/* test_informer.c - kc_informer against a fake API server (tests/support/kts_server, real HTTPS on 127.0.0.1)
 * reached through a TCP relay the test can cut: paged list, watch events of every type, resume after a clean
 * end and after a dropped connection, relist on a 410 ERROR event and on a 410 answer, error events and bad
 * lines, list failures with backoff, resync, selectors, stop, and the key helpers. Every handler call is
 * recorded and compared exactly; waits are for conditions, with deadlines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kc_error.h"
#include "kc_http.h"
#include "kc_informer.h"
#include "kc_json.h"
#include "kc_pki.h"
#include "kc_time.h"
#include "kts_server.h"

#define WAIT_MS   10000 /* deadline of every wait for a condition */
#define MAX_CALLS 256
#define MAX_REQS  64
#define MAX_PAIRS 32
#define RESOURCE  "/api/v1/configmaps"

/* --- a TCP relay between the informer and the server, whose connections the test can cut --- */

struct relay {
    int lfd, target_port, port;
    int wake[2]; /* commands: 'd' drop every connection, 'q' quit */
    pthread_t thread;
    bool running;
    int pairs[MAX_PAIRS][2];
    int npairs;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int drops; /* drops done */
};

static void
relay_close_pair(struct relay *r, int i)
{
    shutdown(r->pairs[i][0], SHUT_RDWR);
    shutdown(r->pairs[i][1], SHUT_RDWR);
    close(r->pairs[i][0]);
    close(r->pairs[i][1]);
    r->pairs[i][0] = r->pairs[r->npairs - 1][0];
    r->pairs[i][1] = r->pairs[r->npairs - 1][1];
    r->npairs--;
}

static int
connect_target(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static void *
relay_main(void *arg)
{
    struct relay *r = arg;
    char buf[16384];
    for (;;) {
        struct pollfd p[2 + 2 * MAX_PAIRS];
        p[0] = (struct pollfd){ .fd = r->lfd, .events = POLLIN };
        p[1] = (struct pollfd){ .fd = r->wake[0], .events = POLLIN };
        int n = r->npairs;
        for (int i = 0; i < n; i++) {
            p[2 + 2 * i] = (struct pollfd){ .fd = r->pairs[i][0], .events = POLLIN };
            p[3 + 2 * i] = (struct pollfd){ .fd = r->pairs[i][1], .events = POLLIN };
        }
        if (poll(p, (nfds_t)(2 + 2 * n), -1) < 0)
            continue;
        if (p[1].revents) {
            char c = 0;
            if (read(r->wake[0], &c, 1) == 1 && c == 'q')
                break;
            if (c == 'd') {
                while (r->npairs > 0)
                    relay_close_pair(r, 0);
                pthread_mutex_lock(&r->mu);
                r->drops++;
                pthread_cond_broadcast(&r->cond);
                pthread_mutex_unlock(&r->mu);
            }
            continue;
        }
        if (p[0].revents) {
            int c = accept4(r->lfd, NULL, NULL, SOCK_CLOEXEC);
            int s = c >= 0 ? connect_target(r->target_port) : -1;
            if (c >= 0 && (s < 0 || r->npairs == MAX_PAIRS)) {
                close(c);
                if (s >= 0)
                    close(s);
            } else if (c >= 0) {
                r->pairs[r->npairs][0] = c;
                r->pairs[r->npairs][1] = s;
                r->npairs++;
            }
            continue;
        }
        for (int i = n - 1; i >= 0; i--) {
            for (int side = 0; side < 2; side++) {
                if (!p[2 + 2 * i + side].revents)
                    continue;
                ssize_t got = read(r->pairs[i][side], buf, sizeof(buf));
                bool ok = got > 0;
                for (ssize_t off = 0; ok && off < got;) {
                    ssize_t w = write(r->pairs[i][!side], buf + off, (size_t)(got - off));
                    ok = w > 0;
                    off += w > 0 ? w : 0;
                }
                if (!ok) {
                    relay_close_pair(r, i);
                    break;
                }
            }
        }
    }
    while (r->npairs > 0)
        relay_close_pair(r, 0);
    return NULL;
}

static void
relay_start(struct relay *r, int target_port)
{
    memset(r, 0, sizeof(*r));
    r->target_port = target_port;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cond, NULL);
    r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(r->lfd >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(r->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(r->lfd, 16), 0);
    socklen_t al = sizeof(a);
    assert_int_equal(getsockname(r->lfd, (struct sockaddr *)&a, &al), 0);
    r->port = ntohs(a.sin_port);
    assert_int_equal(pipe2(r->wake, O_CLOEXEC), 0);
    assert_int_equal(pthread_create(&r->thread, NULL, relay_main, r), 0);
    r->running = true;
}

/* Cuts every connection through the relay and waits until that is done. */
static void
relay_drop(struct relay *r)
{
    pthread_mutex_lock(&r->mu);
    int want = r->drops + 1;
    pthread_mutex_unlock(&r->mu);
    assert_int_equal(write(r->wake[1], "d", 1), 1);
    pthread_mutex_lock(&r->mu);
    while (r->drops < want)
        pthread_cond_wait(&r->cond, &r->mu);
    pthread_mutex_unlock(&r->mu);
}

static void
relay_stop(struct relay *r)
{
    if (!r->running)
        return;
    if (write(r->wake[1], "q", 1) != 1)
        abort();
    pthread_join(r->thread, NULL);
    close(r->lfd);
    close(r->wake[0]);
    close(r->wake[1]);
    r->running = false;
}

/* --- the fake API server: one collection of configmaps --- */

struct fake {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    json_t *items; /* what a list returns, without kind/apiVersion as in real lists */
    char list_rv[32];
    int list_fail;  /* the next list requests answered 500 */
    int watch_code; /* the next watch answered with this status instead of a stream (once) */
    int lists, watches;
    char list_q[MAX_REQS][512], watch_q[MAX_REQS][512];
    struct kts_stream *stream; /* the latest watch stream (touched on the server thread only) */
};

/* --- the fixture --- */

struct fx {
    char *ca_pem, *srv_cert, *srv_key;
    struct kts_server *srv;
    struct relay relay;
    struct fake fake;
    struct kc_informer *inf;
    char url[64];
    /* handler calls */
    pthread_mutex_t mu;
    pthread_cond_t cond;
    char calls[MAX_CALLS][160];
    int ncalls;
    int resyncs; /* on_update calls with old == new */
};

static int64_t
now_ms(void)
{
    return kc_time_mono_ns() / 1000000;
}

static struct timespec
abs_in(long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    return ts;
}

static json_t *
cm(const char *ns, const char *name, const char *rv)
{
    return json_pack("{s:{s:s,s:s,s:s},s:{s:s}}", "metadata", "name", name, "namespace", ns, "resourceVersion", rv,
                     "data", "k", rv);
}

static void
fake_set_list(struct fx *f, const char *rv, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    pthread_mutex_lock(&f->fake.mu);
    json_array_clear(f->fake.items);
    for (int i = 0; i < n; i++) {
        const char *ns = va_arg(ap, const char *), *name = va_arg(ap, const char *), *orv = va_arg(ap, const char *);
        json_array_append_new(f->fake.items, cm(ns, name, orv));
    }
    snprintf(f->fake.list_rv, sizeof(f->fake.list_rv), "%s", rv);
    pthread_mutex_unlock(&f->fake.mu);
    va_end(ap);
}

static void
respond_status(h2o_req_t *req, int code, const char *reason)
{
    char body[256];
    int n = snprintf(body, sizeof(body),
                     "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
                     "\"fake %d\",\"reason\":\"%s\",\"code\":%d}",
                     code, reason, code);
    kts_respond(req, code, "application/json", body, (size_t)n);
}

/* The value of query parameter name, or NULL (copied into buf). */
static const char *
query_param(const char *q, const char *name, char *buf, size_t size)
{
    size_t nl = strlen(name);
    for (const char *p = q; p && *p;) {
        if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
            const char *v = p + nl + 1, *e = strchr(v, '&');
            size_t l = e ? (size_t)(e - v) : strlen(v);
            if (l >= size)
                return NULL;
            memcpy(buf, v, l);
            buf[l] = '\0';
            return buf;
        }
        p = strchr(p, '&');
        p = p ? p + 1 : NULL;
    }
    return NULL;
}

/* Server thread: lists (paged by limit/continue "off:N") and watches of RESOURCE. */
static int
handle_resource(void *arg, h2o_req_t *req)
{
    struct fake *fk = arg;
    const char *q = kts_req_query(req);
    char v[64];
    pthread_mutex_lock(&fk->mu);
    if (query_param(q, "watch", v, sizeof(v))) {
        if (fk->watches < MAX_REQS)
            snprintf(fk->watch_q[fk->watches], sizeof(fk->watch_q[0]), "%s", q);
        int code = fk->watch_code;
        fk->watch_code = 0;
        if (code) {
            fk->watches++;
            pthread_cond_broadcast(&fk->cond);
            pthread_mutex_unlock(&fk->mu);
            respond_status(req, code, code == 410 ? "Expired" : "InternalError");
            return 0;
        }
        fk->stream = kts_stream_start(req, 200, "application/json");
        fk->watches++;
        pthread_cond_broadcast(&fk->cond);
        pthread_mutex_unlock(&fk->mu);
        return 0;
    }
    if (fk->lists < MAX_REQS)
        snprintf(fk->list_q[fk->lists], sizeof(fk->list_q[0]), "%s", q);
    fk->lists++;
    pthread_cond_broadcast(&fk->cond);
    if (fk->list_fail > 0) {
        fk->list_fail--;
        pthread_mutex_unlock(&fk->mu);
        respond_status(req, 500, "InternalError");
        return 0;
    }
    size_t n = json_array_size(fk->items), off = 0, limit = n;
    if (query_param(q, "limit", v, sizeof(v)))
        limit = (size_t)atol(v);
    if (query_param(q, "continue", v, sizeof(v)) && strncmp(v, "off%3A", 6) == 0)
        off = (size_t)atol(v + 6);
    json_t *items = json_array();
    for (size_t i = off; i < n && i < off + limit; i++)
        json_array_append_new(items, json_deep_copy(json_array_get(fk->items, i)));
    json_t *meta = json_pack("{s:s}", "resourceVersion", fk->list_rv);
    if (off + limit < n) {
        char c[32];
        snprintf(c, sizeof(c), "off:%zu", off + limit);
        json_object_set_new(meta, "continue", json_string(c));
    }
    pthread_mutex_unlock(&fk->mu);
    json_t *list =
        json_pack("{s:s,s:s,s:o,s:o}", "kind", "ConfigMapList", "apiVersion", "v1", "metadata", meta, "items", items);
    char *text = json_dumps(list, JSON_COMPACT);
    kts_respond(req, 200, "application/json", text, strlen(text));
    free(text);
    json_decref(list);
    return 0;
}

struct write_arg {
    struct fake *fk;
    const char *text;
    bool end;
    int rc;
};

static void
do_write(void *arg)
{
    struct write_arg *w = arg;
    w->rc = !w->fk->stream ? -ENOENT : *w->text ? kts_stream_write(w->fk->stream, w->text, strlen(w->text)) : 0;
    if (w->end && w->fk->stream)
        kts_stream_end(w->fk->stream);
}

/* Writes text to the latest watch stream (and ends it when end). */
static void
stream_write(struct fx *f, const char *text, bool end)
{
    struct write_arg w = { .fk = &f->fake, .text = text, .end = end };
    assert_int_equal(kts_server_call(f->srv, do_write, &w), 0);
    assert_int_equal(w.rc, 0);
}

/* --- waits --- */

/* Waits until the server saw n watch requests; returns the query of the nth. */
static const char *
wait_watches(struct fx *f, int n)
{
    struct timespec ts = abs_in(WAIT_MS);
    pthread_mutex_lock(&f->fake.mu);
    while (f->fake.watches < n)
        if (pthread_cond_timedwait(&f->fake.cond, &f->fake.mu, &ts) == ETIMEDOUT)
            break;
    int got = f->fake.watches;
    pthread_mutex_unlock(&f->fake.mu);
    if (got < n)
        fail_msg("waited %d ms for watch request %d, saw %d", WAIT_MS, n, got);
    return f->fake.watch_q[n - 1];
}

static void
wait_lists(struct fx *f, int n)
{
    struct timespec ts = abs_in(WAIT_MS);
    pthread_mutex_lock(&f->fake.mu);
    while (f->fake.lists < n)
        if (pthread_cond_timedwait(&f->fake.cond, &f->fake.mu, &ts) == ETIMEDOUT)
            break;
    int got = f->fake.lists;
    pthread_mutex_unlock(&f->fake.mu);
    if (got < n)
        fail_msg("waited %d ms for list request %d, saw %d", WAIT_MS, n, got);
}

static int
fake_count(struct fx *f, bool lists)
{
    pthread_mutex_lock(&f->fake.mu);
    int n = lists ? f->fake.lists : f->fake.watches;
    pthread_mutex_unlock(&f->fake.mu);
    return n;
}

/* Waits until n handler calls were recorded, then checks that the calls from first on are exactly want[]. */
static void
expect_calls(struct fx *f, int first, const char *const *want, int nwant)
{
    struct timespec ts = abs_in(WAIT_MS);
    pthread_mutex_lock(&f->mu);
    while (f->ncalls < first + nwant)
        if (pthread_cond_timedwait(&f->cond, &f->mu, &ts) == ETIMEDOUT)
            break;
    int got = f->ncalls;
    pthread_mutex_unlock(&f->mu);
    if (got != first + nwant) {
        for (int i = 0; i < got; i++)
            print_message("call %d: %s\n", i, f->calls[i]);
        fail_msg("want %d handler calls, got %d", first + nwant, got);
    }
    for (int i = 0; i < nwant; i++)
        if (strcmp(f->calls[first + i], want[i]) != 0)
            fail_msg("handler call %d: got \"%s\", want \"%s\"", first + i, f->calls[first + i], want[i]);
}

static int
ncalls(struct fx *f)
{
    pthread_mutex_lock(&f->mu);
    int n = f->ncalls;
    pthread_mutex_unlock(&f->mu);
    return n;
}

/* Waits until the informer would resume from rv (polling: the informer has no event for it). */
static void
wait_rv(struct fx *f, const char *rv)
{
    char got[64];
    int64_t deadline = now_ms() + WAIT_MS;
    for (;;) {
        kc_informer_resource_version(f->inf, got, sizeof(got));
        if (strcmp(got, rv) == 0)
            return;
        if (now_ms() > deadline)
            fail_msg("informer resourceVersion \"%s\", want \"%s\"", got, rv);
        nanosleep(&(struct timespec){ .tv_nsec = 2000000 }, NULL);
    }
}

/* --- handlers (dispatcher thread) --- */

static void record(struct fx *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
record(struct fx *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&f->mu);
    if (f->ncalls < MAX_CALLS)
        vsnprintf(f->calls[f->ncalls++], sizeof(f->calls[0]), fmt, ap);
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->mu);
    va_end(ap);
}

static const char *
key_of(const json_t *o, char *buf)
{
    if (kc_informer_key(o, buf, KC_INFORMER_KEY_MAX) != 0)
        snprintf(buf, KC_INFORMER_KEY_MAX, "?");
    return buf;
}

static const char *
rv_of(const json_t *o)
{
    const char *r = kc_json_get_string(o, "metadata.resourceVersion");
    return r ? r : "?";
}

static void
on_add(void *arg, const json_t *obj)
{
    char k[KC_INFORMER_KEY_MAX];
    record(arg, "add %s %s", key_of(obj, k), rv_of(obj));
}

static void
on_update(void *arg, const json_t *old, const json_t *obj)
{
    struct fx *f = arg;
    char k[KC_INFORMER_KEY_MAX];
    if (old == obj) {
        pthread_mutex_lock(&f->mu);
        f->resyncs++;
        pthread_cond_broadcast(&f->cond);
        pthread_mutex_unlock(&f->mu);
        return;
    }
    record(arg, "update %s %s->%s", key_of(obj, k), rv_of(old), rv_of(obj));
}

static void
on_delete(void *arg, const json_t *obj)
{
    char k[KC_INFORMER_KEY_MAX];
    record(arg, "delete %s %s", key_of(obj, k), rv_of(obj));
}

/* --- setup --- */

static int
setup(void **state)
{
    signal(SIGPIPE, SIG_IGN);
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    *state = f;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cond, NULL);
    pthread_mutex_init(&f->fake.mu, NULL);
    pthread_cond_init(&f->fake.cond, NULL);
    f->fake.items = json_array();

    struct kc_pki_cert ca = { 0 }, sc = { 0 };
    assert_int_equal(kc_pki_ca_new(&(struct kc_pki_req){ .cn = "test-ca" }, &ca), 0);
    const char *ips[] = { "127.0.0.1" };
    struct kc_pki_req sreq = { .cn = "kube-apiserver", .ips = ips, .nips = 1, .usage = KC_PKI_SERVER };
    assert_int_equal(kc_pki_cert_issue(&ca, &sreq, NULL, &sc), 0);
    assert_int_equal(kc_pki_cert_pem(ca.x509, &f->ca_pem, NULL), 0);
    assert_int_equal(kc_pki_cert_pem(sc.x509, &f->srv_cert, NULL), 0);
    assert_int_equal(kc_pki_key_pem(sc.key, &f->srv_key, NULL), 0);
    kc_pki_cert_close(&ca);
    kc_pki_cert_close(&sc);

    struct kts_server_opts o = { .cert_pem = f->srv_cert, .key_pem = f->srv_key };
    assert_int_equal(kts_server_new(&o, &f->srv), 0);
    assert_int_equal(kts_server_route(f->srv, RESOURCE, handle_resource, &f->fake), 0);
    assert_int_equal(kts_server_start(f->srv), 0);
    relay_start(&f->relay, kts_server_port(f->srv));
    snprintf(f->url, sizeof(f->url), "https://127.0.0.1:%d", f->relay.port);
    return 0;
}

/* The informer first (its threads and connection), then the relay, then the server. */
static int
teardown(void **state)
{
    struct fx *f = *state;
    kc_informer_free(f->inf);
    relay_stop(&f->relay);
    kts_server_free(f->srv);
    json_decref(f->fake.items);
    free(f->ca_pem);
    free(f->srv_cert);
    free(f->srv_key);
    free(f);
    return 0;
}

static struct kc_informer *
make_informer(struct fx *f, struct kc_informer_opts o)
{
    struct kc_http_config cfg = { .server = f->url, .ca_pem = f->ca_pem };
    if (!o.path)
        o.path = RESOURCE;
    if (!o.watch_timeout_s)
        o.watch_timeout_s = 30;
    if (!o.backoff_initial_ms)
        o.backoff_initial_ms = 10;
    if (!o.backoff_max_ms)
        o.backoff_max_ms = 40;
    o.handlers = (struct kc_informer_handlers){ on_add, on_update, on_delete, f };
    char err[256];
    int rc = kc_informer_new(&cfg, &o, &f->inf, err, sizeof(err));
    if (rc)
        fail_msg("kc_informer_new: %s: %s", kc_strerror(rc), err);
    return f->inf;
}

static void
expect_cache(struct fx *f, const char *ns, const char *want)
{
    json_t *l = kc_informer_list(f->inf, ns);
    assert_non_null(l);
    char got[1024] = "", *p = got;
    size_t i;
    json_t *o;
    json_array_foreach(l, i, o)
    {
        char k[KC_INFORMER_KEY_MAX];
        p += snprintf(p, sizeof(got) - (size_t)(p - got), "%s%s@%s", i ? " " : "", key_of(o, k), rv_of(o));
    }
    json_decref(l);
    if (strcmp(got, want) != 0)
        fail_msg("cache (ns %s): got \"%s\", want \"%s\"", ns ? ns : "all", got, want);
}

#define EVENT(type, ns, name, rv)                                                                                    \
    "{\"type\":\"" type "\",\"object\":{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"" name \
    "\",\"namespace\":\"" ns "\",\"resourceVersion\":\"" rv "\"}}}\n"

/* --- tests --- */

static void
test_list_watch_resume_relist(void **state)
{
    struct fx *f = *state;
    fake_set_list(f, "10", 3, "a", "one", "5", "a", "two", "6", "b", "three", "7");
    struct kc_informer *inf = make_informer(f, (struct kc_informer_opts){ .page_size = 2 });
    assert_false(kc_informer_has_synced(inf));
    assert_int_equal(kc_informer_start(inf), 0);
    assert_int_equal(kc_informer_start(inf), -EBUSY);
    assert_int_equal(kc_informer_wait_synced(inf, WAIT_MS), 0);
    assert_true(kc_informer_has_synced(inf));

    /* The list came in two pages; the cache holds all three with the list's type filled in. */
    assert_int_equal(fake_count(f, true), 2);
    assert_string_equal(f->fake.list_q[0], "limit=2");
    assert_string_equal(f->fake.list_q[1], "limit=2&continue=off%3A2");
    const char *c0[] = { "add a/one 5", "add a/two 6", "add b/three 7" };
    expect_calls(f, 0, c0, 3);
    expect_cache(f, NULL, "a/one@5 a/two@6 b/three@7");
    expect_cache(f, "a", "a/one@5 a/two@6");
    expect_cache(f, "zz", "");
    assert_int_equal(kc_informer_len(inf), 3);
    json_t *o = kc_informer_get(inf, "b", "three");
    assert_non_null(o);
    assert_string_equal(kc_json_get_string(o, "kind"), "ConfigMap");
    assert_string_equal(kc_json_get_string(o, "apiVersion"), "v1");
    json_decref(o);
    o = kc_informer_get_key(inf, "a/one");
    assert_non_null(o);
    json_decref(o);
    assert_null(kc_informer_get(inf, "b", "one"));
    assert_null(kc_informer_get(inf, NULL, "three"));

    /* The watch starts at the list's resourceVersion; every event type. */
    assert_string_equal(wait_watches(f, 1), "watch=true&resourceVersion=10&allowWatchBookmarks=true&timeoutSeconds=30");
    stream_write(
        f,
        EVENT("ADDED", "a", "four", "11") EVENT("MODIFIED", "a", "one", "12")
            EVENT("DELETED", "a", "two",
                  "13") "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{"
                        "\"resourceVersion\":\"14\"}}}\n",
        false);
    const char *c1[] = { "add a/four 11", "update a/one 5->12", "delete a/two 13" };
    expect_calls(f, 3, c1, 3);
    expect_cache(f, NULL, "a/four@11 a/one@12 b/three@7");
    wait_rv(f, "14");

    /* The server ends the watch (its timeout): resume from the bookmark, no relist. */
    stream_write(f, "", true);
    assert_string_equal(wait_watches(f, 2), "watch=true&resourceVersion=14&allowWatchBookmarks=true&timeoutSeconds=30");
    stream_write(f, EVENT("MODIFIED", "b", "three", "15"), false);
    const char *c2[] = { "update b/three 7->15" };
    expect_calls(f, 6, c2, 1);
    wait_rv(f, "15");

    /* The connection drops: resume from the last event, no relist. */
    relay_drop(&f->relay);
    assert_string_equal(wait_watches(f, 3), "watch=true&resourceVersion=15&allowWatchBookmarks=true&timeoutSeconds=30");
    assert_int_equal(fake_count(f, true), 2);
    assert_int_equal(ncalls(f), 7);

    /* A 410 ERROR event: relist (a/one changed, b/three did not, c/five is new, a/four is gone). */
    fake_set_list(f, "20", 3, "a", "one", "16", "b", "three", "15", "c", "five", "17");
    stream_write(
        f,
        "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
        "\"Failure\",\"message\":\"too old resource version: 15 (20)\",\"reason\":\"Expired\",\"code\":410}}\n",
        false);
    assert_string_equal(wait_watches(f, 4), "watch=true&resourceVersion=20&allowWatchBookmarks=true&timeoutSeconds=30");
    assert_int_equal(fake_count(f, true), 4);
    assert_string_equal(f->fake.list_q[2], "limit=2");
    const char *c3[] = { "update a/one 12->16", "add c/five 17", "delete a/four 11" };
    expect_calls(f, 7, c3, 3);
    expect_cache(f, NULL, "a/one@16 b/three@15 c/five@17");

    /* A watch answered 410 (not a stream): relist again; nothing changed, so no handler runs. */
    pthread_mutex_lock(&f->fake.mu);
    f->fake.watch_code = 410;
    pthread_mutex_unlock(&f->fake.mu);
    stream_write(f, "", true);
    wait_watches(f, 5);
    assert_string_equal(wait_watches(f, 6), "watch=true&resourceVersion=20&allowWatchBookmarks=true&timeoutSeconds=30");
    assert_int_equal(fake_count(f, true), 6);

    /* An ERROR event other than 410, then a line that is not JSON: resume from the same resourceVersion. */
    stream_write(f,
                 "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"boom\","
                 "\"code\":500}}\n",
                 false);
    assert_string_equal(wait_watches(f, 7), "watch=true&resourceVersion=20&allowWatchBookmarks=true&timeoutSeconds=30");
    stream_write(f, "this is not json\n", false);
    assert_string_equal(wait_watches(f, 8), "watch=true&resourceVersion=20&allowWatchBookmarks=true&timeoutSeconds=30");
    /* A 500 answer to the watch: back off, resume. */
    pthread_mutex_lock(&f->fake.mu);
    f->fake.watch_code = 500;
    pthread_mutex_unlock(&f->fake.mu);
    stream_write(f, "", true);
    wait_watches(f, 9);
    assert_string_equal(wait_watches(f, 10),
                        "watch=true&resourceVersion=20&allowWatchBookmarks=true&timeoutSeconds=30");
    stream_write(f, EVENT("ADDED", "c", "six", "21"), false);
    const char *c4[] = { "add c/six 21" };
    expect_calls(f, 10, c4, 1);
    assert_int_equal(fake_count(f, true), 6);

    /* Stop with the watch open: prompt, and the cache stays readable. */
    int64_t t0 = now_ms();
    kc_informer_stop(inf);
    kc_informer_stop(inf);
    if (now_ms() - t0 > 3000)
        fail_msg("stop took %lld ms", (long long)(now_ms() - t0));
    expect_cache(f, NULL, "a/one@16 b/three@15 c/five@17 c/six@21");
    assert_int_equal(kc_informer_wait_synced(inf, 0), 0);
    assert_int_equal(ncalls(f), 11);
}

/* Lists that fail are retried with backoff until one works. */
static void
test_list_failures_retry(void **state)
{
    struct fx *f = *state;
    fake_set_list(f, "3", 2, "ns", "x", "1", "ns", "y", "2");
    f->fake.list_fail = 2;
    struct kc_informer *inf = make_informer(f, (struct kc_informer_opts){ 0 });
    assert_int_equal(kc_informer_start(inf), 0);
    assert_int_equal(kc_informer_wait_synced(inf, WAIT_MS), 0);
    assert_int_equal(fake_count(f, true), 3);
    assert_string_equal(f->fake.list_q[2], "limit=500");
    const char *c[] = { "add ns/x 1", "add ns/y 2" };
    expect_calls(f, 0, c, 2);
    assert_string_equal(wait_watches(f, 1), "watch=true&resourceVersion=3&allowWatchBookmarks=true&timeoutSeconds=30");
}

static void
test_wait_synced_timeout_and_stop(void **state)
{
    struct fx *f = *state;
    f->fake.list_fail = 1000000;
    struct kc_informer *inf = make_informer(f, (struct kc_informer_opts){ 0 });
    assert_int_equal(kc_informer_wait_synced(inf, 10), -ECANCELED); /* not started */
    assert_int_equal(kc_informer_start(inf), 0);
    int64_t t0 = now_ms();
    assert_int_equal(kc_informer_wait_synced(inf, 100), KC_ETIMEOUT);
    assert_true(now_ms() - t0 >= 100);
    wait_lists(f, 3); /* retried meanwhile */
    kc_informer_stop(inf);
    assert_int_equal(kc_informer_wait_synced(inf, 10), -ECANCELED);
    assert_false(kc_informer_has_synced(inf));
    assert_int_equal(ncalls(f), 0);
    assert_int_equal(fake_count(f, false), 0);
}

static void
test_resync(void **state)
{
    struct fx *f = *state;
    fake_set_list(f, "3", 2, "ns", "x", "1", "ns", "y", "2");
    struct kc_informer *inf = make_informer(f, (struct kc_informer_opts){ .resync_ms = 20 });
    assert_int_equal(kc_informer_start(inf), 0);
    assert_int_equal(kc_informer_wait_synced(inf, WAIT_MS), 0);
    struct timespec ts = abs_in(WAIT_MS);
    pthread_mutex_lock(&f->mu);
    while (f->resyncs < 6)
        if (pthread_cond_timedwait(&f->cond, &f->mu, &ts) == ETIMEDOUT)
            break;
    int n = f->resyncs;
    pthread_mutex_unlock(&f->mu);
    if (n < 6)
        fail_msg("saw %d resync calls, want at least 6", n);
    kc_informer_stop(inf);
    /* Resyncs are on_update(obj, obj) only: no adds beyond the list's, no deletes. */
    const char *c[] = { "add ns/x 1", "add ns/y 2" };
    expect_calls(f, 0, c, 2);
}

static void
test_selectors_unpaged(void **state)
{
    struct fx *f = *state;
    fake_set_list(f, "9", 1, "ns", "x", "1");
    struct kc_informer *inf = make_informer(f, (struct kc_informer_opts){ .page_size = -1,
                                                                          .label_selector = "app=web,tier!=db",
                                                                          .field_selector = "metadata.name=x",
                                                                          .watch_timeout_s = 7 });
    assert_int_equal(kc_informer_start(inf), 0);
    assert_int_equal(kc_informer_wait_synced(inf, WAIT_MS), 0);
    assert_string_equal(f->fake.list_q[0], "labelSelector=app%3Dweb%2Ctier%21%3Ddb&fieldSelector=metadata.name%3Dx");
    assert_string_equal(wait_watches(f, 1), "watch=true&resourceVersion=9&allowWatchBookmarks=true&timeoutSeconds=7"
                                            "&labelSelector=app%3Dweb%2Ctier%21%3Ddb&fieldSelector=metadata.name%3Dx");
}

/* Without watch_timeout_s the timeout is random in [300, 600) s. */
static void
test_default_watch_timeout(void **state)
{
    struct fx *f = *state;
    struct kc_http_config cfg = { .server = f->url, .ca_pem = f->ca_pem };
    struct kc_informer_opts o = { .path = RESOURCE, .backoff_initial_ms = 10 };
    assert_int_equal(kc_informer_new(&cfg, &o, &f->inf, NULL, 0), 0);
    assert_int_equal(kc_informer_start(f->inf), 0);
    assert_int_equal(kc_informer_wait_synced(f->inf, WAIT_MS), 0);
    const char *q = wait_watches(f, 1);
    const char *t = strstr(q, "timeoutSeconds=");
    assert_non_null(t);
    long s = atol(t + strlen("timeoutSeconds="));
    if (s < 300 || s >= 600)
        fail_msg("timeoutSeconds=%ld", s);
    assert_string_equal(f->fake.list_q[0], "limit=500");
}

static void
test_bad_input_and_keys(void **state)
{
    struct fx *f = *state;
    struct kc_http_config cfg = { .server = f->url, .ca_pem = f->ca_pem };
    struct kc_informer *inf = NULL;
    char err[128];
    assert_int_equal(kc_informer_new(&cfg, &(struct kc_informer_opts){ 0 }, &inf, err, sizeof(err)), KC_EINVALID);
    assert_true(strlen(err) > 0);
    assert_int_equal(kc_informer_new(&cfg, &(struct kc_informer_opts){ .path = "api/v1/pods" }, &inf, NULL, 0),
                     KC_EINVALID);
    assert_int_equal(kc_informer_new(&cfg, &(struct kc_informer_opts){ .path = "/api/v1/pods?x=1" }, &inf, NULL, 0),
                     KC_EINVALID);
    assert_int_equal(
        kc_informer_new(&cfg, &(struct kc_informer_opts){ .path = "/api/v1/pods", .resync_ms = -1 }, &inf, NULL, 0),
        KC_EINVALID);
    struct kc_http_config bad = { .server = "ftp://x" };
    assert_int_equal(
        kc_informer_new(&bad, &(struct kc_informer_opts){ .path = "/api/v1/pods" }, &inf, err, sizeof(err)),
        KC_EINVALID);
    assert_null(inf);
    kc_informer_free(NULL);

    /* An informer never started stops and frees cleanly. */
    assert_int_equal(kc_informer_new(&cfg, &(struct kc_informer_opts){ .path = "/api/v1/pods" }, &inf, NULL, 0), 0);
    kc_informer_stop(inf);
    assert_int_equal(kc_informer_len(inf), 0);
    json_t *l = kc_informer_list(inf, NULL);
    assert_int_equal(json_array_size(l), 0);
    json_decref(l);
    kc_informer_free(inf);

    char k[KC_INFORMER_KEY_MAX], ns[64];
    const char *name;
    json_t *o = json_pack("{s:{s:s,s:s}}", "metadata", "name", "web", "namespace", "prod");
    assert_int_equal(kc_informer_key(o, k, sizeof(k)), 0);
    assert_string_equal(k, "prod/web");
    assert_int_equal(kc_informer_key(o, k, 8), KC_ETOOLARGE);
    json_decref(o);
    o = json_pack("{s:{s:s}}", "metadata", "name", "node1");
    assert_int_equal(kc_informer_key(o, k, sizeof(k)), 0);
    assert_string_equal(k, "node1");
    json_decref(o);
    o = json_pack("{s:{s:s}}", "metadata", "namespace", "x");
    assert_int_equal(kc_informer_key(o, k, sizeof(k)), KC_EINVALID);
    json_decref(o);
    assert_int_equal(kc_informer_key(NULL, k, sizeof(k)), KC_EINVALID);

    assert_int_equal(kc_informer_key_split("prod/web", ns, sizeof(ns), &name), 0);
    assert_string_equal(ns, "prod");
    assert_string_equal(name, "web");
    assert_int_equal(kc_informer_key_split("node1", ns, sizeof(ns), &name), 0);
    assert_string_equal(ns, "");
    assert_string_equal(name, "node1");
    assert_int_equal(kc_informer_key_split("a/b/c", ns, sizeof(ns), &name), KC_EINVALID);
    assert_int_equal(kc_informer_key_split("/b", ns, sizeof(ns), &name), KC_EINVALID);
    assert_int_equal(kc_informer_key_split("a/", ns, sizeof(ns), &name), KC_EINVALID);
    assert_int_equal(kc_informer_key_split("", ns, sizeof(ns), &name), KC_EINVALID);
    assert_int_equal(kc_informer_key_split("longnamespace/x", ns, 4, &name), KC_ETOOLARGE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list_watch_resume_relist, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_failures_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_synced_timeout_and_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_selectors_unpaged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_watch_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_and_keys, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
