/* apibench.c - load client for the API server benchmark (bench/apiserver_bench.py): HTTPS with the admin client
 * certificate (OpenSSL directly, HTTP/1.1, keep-alive), one blocking thread per client connection.
 *
 *   apibench podjson FILE                               -> writes the create body of one pod (the store anchor's value)
 *   apibench create URL PKI_DIR CLIENTS PODS            -> ops/s, p50/p99 of POST .../namespaces/default/pods
 *   apibench list   URL PKI_DIR ITERATIONS LIMIT [QUERY [table]]
 *                                                       -> p50/p99 of a whole list (LIMIT 0: one request; else pages),
 *                                                          QUERY added to it ("labelSelector=app%3Dweb"), as a Table
 *   apibench get    URL PKI_DIR ITERATIONS              -> p50/p99 of GET of one pod
 *   apibench watch  URL PKI_DIR WATCHERS EVENTS         -> p50/p99 lag, write acknowledged -> event received
 * PKI_DIR holds ca.crt, admin.crt, admin.key (`k8c server` writes them to <data-dir>/pki). Each command prints one
 * line of key=value pairs.
 */
#include "bench_pod.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

static char host[64] = "127.0.0.1";
static int port = 6443;
static SSL_CTX *ctx;
static const char *accept_hdr = "application/json"; /* the Accept header of every request */

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what)
{
    fprintf(stderr, "apibench: %s: %s\n", what, errno ? strerror(errno) : "failed");
    ERR_print_errors_fp(stderr);
    exit(1);
}

/* --- TLS connections --- */

struct conn {
    int fd;
    SSL *ssl;
    char buf[1 << 16];
    size_t start, end;
};

/* A growable body buffer, reused across requests on one connection. */
struct body {
    char *p;
    size_t len, cap;
};

static void
body_add(struct body *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1 << 16;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p)
            die("realloc");
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void
init_tls(const char *pki)
{
    char ca[1024], crt[1024], key[1024];
    snprintf(ca, sizeof(ca), "%s/ca.crt", pki);
    snprintf(crt, sizeof(crt), "%s/admin.crt", pki);
    snprintf(key, sizeof(key), "%s/admin.key", pki);
    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx || SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1 ||
        SSL_CTX_use_certificate_chain_file(ctx, crt) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
        die("loading the client certificate");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_read_ahead(ctx, 1); /* one read for what has arrived, not two per TLS record (header, body) */
}

static struct conn *
dial(double rcv_timeout_s)
{
    struct conn *c = calloc(1, sizeof(*c));
    if (!c)
        die("calloc");
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, host, &sa.sin_addr);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        die("connect");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (rcv_timeout_s > 0) {
        struct timeval tv = { (time_t)rcv_timeout_s, 0 };
        setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    }
    c->ssl = SSL_new(ctx);
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_tlsext_host_name(c->ssl, "localhost");
    if (SSL_connect(c->ssl) != 1)
        die("TLS handshake");
    return c;
}

static void
conn_close(struct conn *c)
{
    SSL_free(c->ssl);
    close(c->fd);
    free(c);
}

static int
fill(struct conn *c)
{
    if (c->start == c->end)
        c->start = c->end = 0;
    if (c->end == sizeof(c->buf)) {
        memmove(c->buf, c->buf + c->start, c->end - c->start);
        c->end -= c->start;
        c->start = 0;
    }
    int n = SSL_read(c->ssl, c->buf + c->end, (int)(sizeof(c->buf) - c->end));
    if (n <= 0)
        return -1;
    c->end += (size_t)n;
    return 0;
}

/* Reads one CRLF-terminated line into out (without CRLF). */
static int
read_line(struct conn *c, char *out, size_t cap)
{
    for (;;) {
        char *nl = memchr(c->buf + c->start, '\n', c->end - c->start);
        if (nl) {
            size_t len = (size_t)(nl - (c->buf + c->start));
            size_t copy = len < cap - 1 ? len : cap - 1;
            memcpy(out, c->buf + c->start, copy);
            if (copy > 0 && out[copy - 1] == '\r')
                copy--;
            out[copy] = '\0';
            c->start += len + 1;
            return 0;
        }
        if (fill(c) != 0)
            return -1;
    }
}

/* Appends len bytes of the stream to b (or drops them when b is NULL). */
static int
read_exact(struct conn *c, struct body *b, size_t len)
{
    while (len > 0) {
        if (c->start == c->end && fill(c) != 0)
            return -1;
        size_t n = c->end - c->start < len ? c->end - c->start : len;
        if (b)
            body_add(b, c->buf + c->start, n);
        c->start += n;
        len -= n;
    }
    return 0;
}

/* Reads response headers: returns the status; *clen is the Content-Length, -1 when chunked. */
static int
read_head(struct conn *c, long *clen)
{
    char line[8192];
    int status = 0;
    *clen = -1;
    if (read_line(c, line, sizeof(line)) != 0 || sscanf(line, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    while (read_line(c, line, sizeof(line)) == 0 && line[0]) {
        if (strncasecmp(line, "content-length:", 15) == 0)
            *clen = atol(line + 15);
    }
    return status;
}

/* Reads one chunk of a chunked body into b; returns its size (0 for the last chunk) or -1. */
static long
read_chunk(struct conn *c, struct body *b)
{
    char line[128];
    if (read_line(c, line, sizeof(line)) != 0)
        return -1;
    long n = strtol(line, NULL, 16);
    if (n == 0) {
        read_line(c, line, sizeof(line)); /* the empty trailer */
        return 0;
    }
    if (read_exact(c, b, (size_t)n) != 0 || read_line(c, line, sizeof(line)) != 0)
        return -1;
    return n;
}

static void
send_all(struct conn *c, const char *p, size_t len)
{
    while (len > 0) {
        int n = SSL_write(c->ssl, p, (int)len);
        if (n <= 0)
            die("write");
        p += n;
        len -= (size_t)n;
    }
}

/* The head and the body go out in one write (one TLS record when it fits), as Go's and Python's clients send a
 * small request from their buffered writers: two writes would wake the server twice per request. */
static void
send_request(struct conn *c, const char *method, const char *path, const char *ctype, const char *body)
{
    char req[16384];
    size_t blen = body ? strlen(body) : 0;
    int n;
    if (body)
        n = snprintf(req, sizeof(req),
                     "%s %s HTTP/1.1\r\nHost: %s:%d\r\nAccept: %s\r\nContent-Type: %s\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     method, path, host, port, accept_hdr, ctype, blen);
    else
        n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: %s:%d\r\nAccept: %s\r\n\r\n", method, path, host, port,
                     accept_hdr);
    if (blen && (size_t)n + blen <= sizeof(req)) {
        memcpy(req + n, body, blen);
        send_all(c, req, (size_t)n + blen);
        return;
    }
    send_all(c, req, (size_t)n);
    if (blen)
        send_all(c, body, blen);
}

/* One request and its whole response body (into b, reset first). Returns the HTTP status or -1. */
static int
request(struct conn *c, const char *method, const char *path, const char *ctype, const char *body, struct body *b)
{
    long clen;
    b->len = 0;
    body_add(b, "", 0);
    send_request(c, method, path, ctype, body);
    int status = read_head(c, &clen);
    if (status < 0)
        return -1;
    if (clen >= 0) {
        if (read_exact(c, b, (size_t)clen) != 0)
            return -1;
    } else {
        long n;
        while ((n = read_chunk(c, b)) > 0)
            ;
        if (n < 0)
            return -1;
    }
    return status;
}

/* --- statistics --- */

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The p-th percentile of v (sorted in place). */
static double
pct(double *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof(*v), cmp_double);
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i];
}

/* --- the pod --- */

/* The create body of one pod (bench_pod.h). */
static int
pod_json(char *out, size_t cap, const char *ns, const char *name)
{
    return snprintf(out, cap, BENCH_POD_FORMAT, name, ns);
}

static int
cmd_podjson(const char *file)
{
    char body[8192];
    int n = pod_json(body, sizeof(body), "default", "bench-00000");
    FILE *f = fopen(file, "wb");
    if (!f || fwrite(body, 1, (size_t)n, f) != (size_t)n || fclose(f) != 0)
        die(file);
    printf("bytes=%d\n", n);
    return 0;
}

/* --- create --- */

struct create_job {
    int id, first, count;
    double *lat;
    pthread_barrier_t *ready; /* every client connected (TLS handshake done): the clock starts */
};

static void *
create_worker(void *arg)
{
    struct create_job *j = arg;
    struct conn *c = dial(60);
    struct body b = { 0 };
    char body[8192], name[64];
    /* one round trip first: the server has finished its side of the handshake (the client certificate's check
     * comes after SSL_connect returns here) */
    if (request(c, "GET", "/version", NULL, NULL, &b) != 200) {
        fprintf(stderr, "apibench: GET /version failed\n");
        exit(1);
    }
    pthread_barrier_wait(j->ready);
    for (int i = 0; i < j->count; i++) {
        snprintf(name, sizeof(name), "bench-%05d", j->first + i);
        pod_json(body, sizeof(body), "default", name);
        double t0 = now_s();
        int st = request(c, "POST", "/api/v1/namespaces/default/pods", "application/json", body, &b);
        if (st != 201) {
            fprintf(stderr, "apibench: create %s: HTTP %d: %.300s\n", name, st, b.p);
            exit(1);
        }
        j->lat[i] = now_s() - t0;
    }
    conn_close(c);
    free(b.p);
    return NULL;
}

static int
cmd_create(int clients, int pods)
{
    int per = pods / clients;
    pthread_t *t = calloc((size_t)clients, sizeof(*t));
    struct create_job *jobs = calloc((size_t)clients, sizeof(*jobs));
    double *lat = calloc((size_t)pods, sizeof(double));
    /* The clients connect first (each a TLS handshake with a client certificate, ~1 ms of the server's CPU and as
     * much of the client's in OpenSSL 3) and the rate is of the creates, from when all are connected: 64
     * handshakes in a window of 0.6 s were a tenth of the server's CPU in it, a cost of connecting, not of
     * creating. connect_ms is how long the connecting took. */
    pthread_barrier_t ready;
    pthread_barrier_init(&ready, NULL, (unsigned)clients + 1);
    double c0 = now_s();
    int first = 0;
    for (int i = 0; i < clients; i++) {
        int count = per + (i < pods % clients);
        jobs[i] = (struct create_job){ i, first, count, lat + first, &ready };
        first += count;
        pthread_create(&t[i], NULL, create_worker, &jobs[i]);
    }
    pthread_barrier_wait(&ready);
    double t0 = now_s();
    for (int i = 0; i < clients; i++)
        pthread_join(t[i], NULL);
    double el = now_s() - t0;
    pthread_barrier_destroy(&ready);
    printf("ops_per_s=%.0f p50_ms=%.3f p99_ms=%.3f seconds=%.3f connect_ms=%.3f\n", (double)pods / el,
           pct(lat, (size_t)pods, 0.5) * 1e3, pct(lat, (size_t)pods, 0.99) * 1e3, el, (t0 - c0) * 1e3);
    free(t);
    free(jobs);
    free(lat);
    return 0;
}

/* --- list and get --- */

/* The percent-encoding of a continue token for a query value. */
static void
url_escape(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    for (; *s && o + 4 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || strchr("-_.~", ch))
            out[o++] = (char)ch;
        else
            o += (size_t)snprintf(out + o, cap - o, "%%%02X", ch);
    }
    out[o] = '\0';
}

/* The list's metadata.continue ("" when none), found without parsing the whole body. */
static void
find_continue(const char *body, char *out, size_t cap)
{
    out[0] = '\0';
    const char *p = strstr(body, "\"continue\":\"");
    if (!p)
        return;
    p += 12;
    const char *e = strchr(p, '"');
    if (!e || (size_t)(e - p) >= cap)
        return;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = '\0';
}

static size_t
count_items(const char *body)
{
    json_error_t err;
    json_t *j = json_loads(body, 0, &err);
    size_t n = json_array_size(json_object_get(j, "items")) + json_array_size(json_object_get(j, "rows"));
    json_decref(j);
    return n;
}

static int
cmd_list(int iterations, int limit, const char *query)
{
    struct conn *c = dial(60);
    struct body b = { 0 };
    double *lat = calloc((size_t)iterations, sizeof(double));
    size_t items = 0, bytes = 0;
    int pages = 0;
    for (int i = 0; i < iterations; i++) {
        char path[8192], token[2048], esc[3 * 2048 + 1];
        token[0] = '\0';
        size_t it = 0, by = 0;
        int pg = 0;
        double t0 = now_s();
        do {
            const char *amp = *query ? "&" : "";
            if (!limit)
                snprintf(path, sizeof(path), "/api/v1/namespaces/default/pods%s%s", *query ? "?" : "", query);
            else if (!token[0])
                snprintf(path, sizeof(path), "/api/v1/namespaces/default/pods?limit=%d%s%s", limit, amp, query);
            else {
                url_escape(token, esc, sizeof(esc));
                snprintf(path, sizeof(path), "/api/v1/namespaces/default/pods?limit=%d&continue=%s%s%s", limit, esc,
                         amp, query);
            }
            int st = request(c, "GET", path, NULL, NULL, &b);
            if (st != 200) {
                fprintf(stderr, "apibench: list: HTTP %d: %.300s\n", st, b.p);
                exit(1);
            }
            by += b.len;
            pg++;
            if (i == 0) { /* counted outside the timing of later iterations */
                double p0 = now_s();
                it += count_items(b.p);
                t0 += now_s() - p0;
            }
            find_continue(b.p, token, sizeof(token));
        } while (limit && token[0]);
        lat[i] = now_s() - t0;
        if (i == 0)
            items = it;
        bytes = by;
        pages = pg;
    }
    printf("p50_ms=%.3f p99_ms=%.3f items=%zu bytes=%zu pages=%d\n", pct(lat, (size_t)iterations, 0.5) * 1e3,
           pct(lat, (size_t)iterations, 0.99) * 1e3, items, bytes, pages);
    conn_close(c);
    free(b.p);
    free(lat);
    return 0;
}

static int
cmd_get(int iterations)
{
    struct conn *c = dial(60);
    struct body b = { 0 };
    double *lat = calloc((size_t)iterations, sizeof(double));
    for (int i = 0; i < iterations; i++) {
        double t0 = now_s();
        int st = request(c, "GET", "/api/v1/namespaces/default/pods/bench-00042", NULL, NULL, &b);
        if (st != 200) {
            fprintf(stderr, "apibench: get: HTTP %d: %.300s\n", st, b.p);
            exit(1);
        }
        lat[i] = now_s() - t0;
    }
    printf("p50_ms=%.3f p99_ms=%.3f bytes=%zu\n", pct(lat, (size_t)iterations, 0.5) * 1e3,
           pct(lat, (size_t)iterations, 0.99) * 1e3, b.len);
    conn_close(c);
    free(b.p);
    free(lat);
    return 0;
}

/* --- watch --- */

#define WATCH_NS "bench-watch"

static int64_t watch_rv;       /* the watchers start after this revision */
static int watch_events;       /* events each watcher waits for */
static int64_t *ack_rv;        /* per write: the resourceVersion it got */
static double *ack_t;          /* per write: when its response arrived */
static double *sent_t;         /* per write: when its request was sent */
static atomic_int watch_ready; /* watchers whose response headers arrived */
static atomic_int watch_failed;

struct watcher {
    int64_t *rv; /* per received MODIFIED event */
    double *t;
    int got;
};

static int64_t
rv_of(const char *json)
{
    const char *p = strstr(json, "\"resourceVersion\":\"");
    return p ? strtoll(p + 19, NULL, 10) : -1;
}

static void *
watch_worker(void *arg)
{
    struct watcher *w = arg;
    struct conn *c = dial(120);
    char path[256];
    snprintf(path, sizeof(path), "/api/v1/namespaces/" WATCH_NS "/pods?watch=1&resourceVersion=%lld",
             (long long)watch_rv);
    send_request(c, "GET", path, NULL, NULL);
    long clen;
    int st = read_head(c, &clen);
    if (st != 200 || clen >= 0) {
        fprintf(stderr, "apibench: watch: HTTP %d\n", st);
        atomic_fetch_add(&watch_failed, 1);
        atomic_fetch_add(&watch_ready, 1);
        conn_close(c);
        return NULL;
    }
    atomic_fetch_add(&watch_ready, 1);
    struct body chunk = { 0 }, line = { 0 };
    while (w->got < watch_events) {
        chunk.len = 0;
        long n = read_chunk(c, &chunk);
        if (n <= 0)
            break;
        double t = now_s();
        for (size_t i = 0; i < chunk.len; i++) {
            if (chunk.p[i] != '\n') {
                body_add(&line, chunk.p + i, 1);
                continue;
            }
            if (line.len && strstr(line.p, "\"type\":\"MODIFIED\"") && w->got < watch_events) {
                w->rv[w->got] = rv_of(line.p);
                w->t[w->got] = t;
                w->got++;
            }
            line.len = 0;
        }
    }
    free(chunk.p);
    free(line.p);
    conn_close(c);
    return NULL;
}

static int64_t
create_target(struct conn *c, struct body *b)
{
    char body[8192];
    request(c, "POST", "/api/v1/namespaces", "application/json",
            "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" WATCH_NS "\"}}", b);
    pod_json(body, sizeof(body), WATCH_NS, "target");
    int st = request(c, "POST", "/api/v1/namespaces/" WATCH_NS "/pods", "application/json", body, b);
    if (st == 409)
        st = request(c, "GET", "/api/v1/namespaces/" WATCH_NS "/pods/target", NULL, NULL, b);
    if (st != 201 && st != 200) {
        fprintf(stderr, "apibench: watch target: HTTP %d: %.300s\n", st, b->p);
        exit(1);
    }
    return rv_of(b->p);
}

static int
cmd_watch(int watchers, int events)
{
    struct conn *c = dial(60);
    struct body b = { 0 };
    watch_rv = create_target(c, &b);
    watch_events = events;
    ack_rv = calloc((size_t)events, sizeof(*ack_rv));
    ack_t = calloc((size_t)events, sizeof(*ack_t));
    sent_t = calloc((size_t)events, sizeof(*sent_t));
    struct watcher *ws = calloc((size_t)watchers, sizeof(*ws));
    pthread_t *t = calloc((size_t)watchers, sizeof(*t));
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    double s0 = now_s();
    for (int i = 0; i < watchers; i++) {
        ws[i].rv = calloc((size_t)events, sizeof(int64_t));
        ws[i].t = calloc((size_t)events, sizeof(double));
        if (pthread_create(&t[i], &attr, watch_worker, &ws[i]) != 0)
            die("pthread_create");
    }
    /* The watchers are all established (their headers arrived) before the first write. */
    while (atomic_load(&watch_ready) < watchers) {
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
        if (now_s() - s0 > 120) {
            fprintf(stderr, "apibench: only %d of %d watchers established in 120 s\n", atomic_load(&watch_ready),
                    watchers);
            exit(1);
        }
    }
    double setup = now_s() - s0;
    double w0 = now_s();
    for (int i = 0; i < events; i++) {
        char patch[128];
        snprintf(patch, sizeof(patch), "{\"metadata\":{\"labels\":{\"bench-seq\":\"%d\"}}}", i);
        sent_t[i] = now_s();
        int st = request(c, "PATCH", "/api/v1/namespaces/" WATCH_NS "/pods/target", "application/merge-patch+json",
                         patch, &b);
        ack_t[i] = now_s();
        if (st != 200) {
            fprintf(stderr, "apibench: patch: HTTP %d: %.300s\n", st, b.p);
            exit(1);
        }
        ack_rv[i] = rv_of(b.p);
    }
    double write_s = now_s() - w0;
    for (int i = 0; i < watchers; i++)
        pthread_join(t[i], NULL);
    double deliver_s = now_s() - w0;
    size_t n = 0, missing = 0, mismatched = 0, early = 0;
    double *lag = calloc((size_t)watchers * (size_t)events, sizeof(double));
    double *from_sent = calloc((size_t)watchers * (size_t)events, sizeof(double));
    for (int i = 0; i < watchers; i++) {
        missing += (size_t)(events - ws[i].got);
        for (int k = 0; k < ws[i].got; k++) {
            if (ws[i].rv[k] != ack_rv[k]) {
                mismatched++;
                continue;
            }
            from_sent[n] = ws[i].t[k] - sent_t[k];
            double l = ws[i].t[k] - ack_t[k];
            if (l < 0) { /* the event came before the writer read its own response */
                early++;
                l = 0;
            }
            lag[n++] = l;
        }
        free(ws[i].rv);
        free(ws[i].t);
    }
    /* p50/p99: from the write's acknowledgement (0 when the event came first); sent_*: from the write's request. */
    double p50 = pct(lag, n, 0.5), p99 = pct(lag, n, 0.99), max = pct(lag, n, 1.0);
    printf("p50_ms=%.3f p99_ms=%.3f max_ms=%.3f sent_p50_ms=%.3f sent_p99_ms=%.3f pairs=%zu missing=%zu "
           "mismatched=%zu early=%zu setup_s=%.3f write_s=%.3f deliver_s=%.3f failed=%d\n",
           p50 * 1e3, p99 * 1e3, max * 1e3, pct(from_sent, n, 0.5) * 1e3, pct(from_sent, n, 0.99) * 1e3, n, missing,
           mismatched, early, setup, write_s, deliver_s, atomic_load(&watch_failed));
    free(from_sent);
    free(sent_t);
    conn_close(c);
    free(b.p);
    free(lag);
    free(ws);
    free(t);
    free(ack_rv);
    free(ack_t);
    return missing || mismatched || atomic_load(&watch_failed) ? 1 : 0;
}

/* Raises the descriptor limit to the hard limit (a watcher is one connection). */
static void
raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "podjson") == 0)
        return cmd_podjson(argv[2]);
    if (argc < 4) {
        fprintf(stderr, "usage: apibench podjson FILE | create|list|get|watch URL PKI_DIR ARGS...\n");
        return 2;
    }
    if (sscanf(argv[2], "https://%63[^:]:%d", host, &port) != 2) {
        fprintf(stderr, "apibench: URL must be https://IP:PORT\n");
        return 2;
    }
    raise_nofile();
    signal(SIGPIPE, SIG_IGN);
    init_tls(argv[3]);
    if (strcmp(argv[1], "create") == 0 && argc == 6)
        return cmd_create(atoi(argv[4]), atoi(argv[5]));
    if (strcmp(argv[1], "list") == 0 && argc >= 6 && argc <= 8) {
        if (argc == 8 && strcmp(argv[7], "table") == 0)
            accept_hdr = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
        return cmd_list(atoi(argv[4]), atoi(argv[5]), argc >= 7 ? argv[6] : "");
    }
    if (strcmp(argv[1], "get") == 0 && argc == 5)
        return cmd_get(atoi(argv[4]));
    if (strcmp(argv[1], "watch") == 0 && argc == 6)
        return cmd_watch(atoi(argv[4]), atoi(argv[5]));
    fprintf(stderr, "apibench: bad arguments\n");
    return 2;
}
