/* kvbench.c - one load client for any etcd-v3-JSON store (real etcd and `k8c kvstore` alike), so that both are
 * measured by the same code in the same run. Plain HTTP/1.1 with keep-alive on blocking sockets, one thread per
 * client connection.
 *
 *   kvbench put      URL CLIENTS REQUESTS VALUE_SIZE   -> ops/s, p50/p99 latency
 *   kvbench put      URL CLIENTS REQUESTS @FILE        -> the same, each value the bytes of FILE
 *   kvbench range    URL KEYS ITERATIONS               -> p50/p99 of a KEYS-key prefix range
 *   kvbench catchup  URL EVENTS                        -> seconds for a watch to deliver EVENTS past events
 *   kvbench watchlat URL ITERATIONS                    -> p50/p99 from put acknowledged to watch event
 *   kvbench disk     DIR [ROUNDS]                      -> what a durable write costs in DIR's file system:
 *                                                         overwrite vs append vs fallocate'd, fdatasync vs
 *                                                         O_DSYNC / RWF_DSYNC / O_DIRECT, two syncs at once
 * Each prints lines of key=value pairs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "kc_crypto.h"

static char host[64] = "127.0.0.1";
static int port = 2379;

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
    fprintf(stderr, "kvbench: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int
dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, host, &sa.sin_addr);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/* A connection with a read buffer, for responses with Content-Length or chunked bodies. */
struct conn {
    int fd;
    char buf[1 << 16];
    size_t start, end;
};

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
    ssize_t n = read(c->fd, c->buf + c->end, sizeof(c->buf) - c->end);
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

static int
read_exact(struct conn *c, char *out, size_t len)
{
    while (len > 0) {
        if (c->start == c->end && fill(c) != 0)
            return -1;
        size_t n = c->end - c->start < len ? c->end - c->start : len;
        if (out) {
            memcpy(out, c->buf + c->start, n);
            out += n;
        }
        c->start += n;
        len -= n;
    }
    return 0;
}

/* Reads response headers: returns the status, sets *clen (-1 when chunked). */
static int
read_head(struct conn *c, long *clen)
{
    char line[4096];
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

/* One request, headers and body in one writev: one TCP segment for a small request, as a client library sends
 * it (two writes on a TCP_NODELAY socket would make two, and load both the client and the server with it). */
static void
send_post(struct conn *c, const char *path, const char *body)
{
    char head[256];
    size_t blen = strlen(body);
    int n = snprintf(head, sizeof(head),
                     "POST %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                     path, host, port, blen);
    struct iovec iov[2] = { { head, (size_t)n }, { (void *)body, blen } };
    size_t left = (size_t)n + blen;
    while (left > 0) {
        ssize_t w = writev(c->fd, iov, 2);
        if (w <= 0)
            die("write");
        left -= (size_t)w;
        for (int i = 0; i < 2 && w > 0; i++) { /* a short write: skip what went */
            size_t k = (size_t)w < iov[i].iov_len ? (size_t)w : iov[i].iov_len;
            iov[i].iov_base = (char *)iov[i].iov_base + k;
            iov[i].iov_len -= k;
            w -= (ssize_t)k;
        }
    }
}

/* One unary POST; the body (Content-Length, or chunked read whole) goes to out when given. */
static int
post(struct conn *c, const char *path, const char *body, char *out, size_t cap)
{
    long clen;
    send_post(c, path, body);
    int status = read_head(c, &clen);
    if (status < 0)
        return -1;
    if (clen >= 0) {
        char *tmp = malloc((size_t)clen + 1);
        read_exact(c, tmp, (size_t)clen);
        tmp[clen] = '\0';
        if (out)
            snprintf(out, cap, "%s", tmp);
        free(tmp);
    } else { /* chunked */
        char line[64];
        for (;;) {
            read_line(c, line, sizeof(line));
            long n = strtol(line, NULL, 16);
            if (n == 0) {
                read_line(c, line, sizeof(line));
                break;
            }
            read_exact(c, NULL, (size_t)n);
            read_line(c, line, sizeof(line));
        }
    }
    return status;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
pct(double *v, size_t n, double p)
{
    qsort(v, n, sizeof(*v), cmp_double);
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i];
}

static char *
b64(const char *s)
{
    return kc_base64_encode(s, strlen(s));
}

/* --- put --- */

struct put_job {
    int id, requests, value_size;
    double *lat;
    pthread_barrier_t *ready; /* every client connected: the clock starts */
};

static char *value_file_bytes; /* the value of every put (`@FILE`), or NULL for VALUE_SIZE bytes of 'v' */

/* Reads FILE whole (NUL-terminated: the values are JSON text); exits on failure. */
static char *
read_value_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        die(path);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void *
put_worker(void *arg)
{
    struct put_job *j = arg;
    struct conn *c = calloc(1, sizeof(*c));
    c->fd = dial();
    char *value = malloc((size_t)j->value_size + 1);
    if (value_file_bytes)
        strcpy(value, value_file_bytes);
    else {
        memset(value, 'v', (size_t)j->value_size);
        value[j->value_size] = '\0';
    }
    char *v64 = b64(value);
    char *body = malloc(strlen(v64) + 256);
    pthread_barrier_wait(j->ready);
    for (int i = 0; i < j->requests; i++) {
        char key[64];
        snprintf(key, sizeof(key), "bench/put/%03d/%08d", j->id, i);
        char *k64 = b64(key);
        sprintf(body, "{\"key\":\"%s\",\"value\":\"%s\"}", k64, v64);
        free(k64);
        double t0 = now_s();
        if (post(c, "/v3/kv/put", body, NULL, 0) != 200) {
            fprintf(stderr, "kvbench: put failed\n");
            exit(1);
        }
        j->lat[i] = now_s() - t0;
    }
    close(c->fd);
    free(c);
    free(value);
    free(v64);
    free(body);
    return NULL;
}

static int
cmd_put(int clients, int total, int value_size)
{
    int per = total / clients;
    pthread_t *t = calloc((size_t)clients, sizeof(*t));
    struct put_job *jobs = calloc((size_t)clients, sizeof(*jobs));
    double *lat = calloc((size_t)per * (size_t)clients, sizeof(double));
    /* the clients connect first; the rate is of the puts, from when all are connected (as apibench's creates) */
    pthread_barrier_t ready;
    pthread_barrier_init(&ready, NULL, (unsigned)clients + 1);
    double c0 = now_s();
    for (int i = 0; i < clients; i++) {
        jobs[i] = (struct put_job){ i, per, value_size, lat + (size_t)i * (size_t)per, &ready };
        pthread_create(&t[i], NULL, put_worker, &jobs[i]);
    }
    pthread_barrier_wait(&ready);
    double t0 = now_s();
    for (int i = 0; i < clients; i++)
        pthread_join(t[i], NULL);
    double el = now_s() - t0;
    pthread_barrier_destroy(&ready);
    size_t n = (size_t)per * (size_t)clients;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += lat[i];
    printf("ops_per_s=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f mean_ms=%.3f connect_ms=%.3f\n",
           (double)n / el, pct(lat, n, 0.5) * 1e3, pct(lat, n, 0.9) * 1e3, pct(lat, n, 0.99) * 1e3,
           pct(lat, n, 1.0) * 1e3, sum / (double)n * 1e3, (t0 - c0) * 1e3);
    free(t);
    free(jobs);
    free(lat);
    return 0;
}

/* --- range --- */

static int
cmd_range(int keys, int iterations)
{
    struct conn *c = calloc(1, sizeof(*c));
    c->fd = dial();
    char body[512];
    for (int i = 0; i < keys; i++) {
        char key[64];
        snprintf(key, sizeof(key), "bench/range/%06d", i);
        char *k64 = b64(key), *v64 = b64("value-of-a-typical-object-0123456789");
        snprintf(body, sizeof(body), "{\"key\":\"%s\",\"value\":\"%s\"}", k64, v64);
        free(k64), free(v64);
        post(c, "/v3/kv/put", body, NULL, 0);
    }
    char *from = b64("bench/range/"), *to = b64("bench/range0");
    snprintf(body, sizeof(body), "{\"key\":\"%s\",\"range_end\":\"%s\"}", from, to);
    free(from), free(to);
    double *lat = calloc((size_t)iterations, sizeof(double));
    for (int i = 0; i < iterations; i++) {
        double t0 = now_s();
        if (post(c, "/v3/kv/range", body, NULL, 0) != 200)
            die("range");
        lat[i] = now_s() - t0;
    }
    printf("p50_ms=%.3f p99_ms=%.3f\n", pct(lat, (size_t)iterations, 0.5) * 1e3,
           pct(lat, (size_t)iterations, 0.99) * 1e3);
    return 0;
}

/* --- watch --- */

/* Opens a watch stream (chunked). Returns after the response headers. */
static struct conn *
watch_open(const char *key, const char *range_end, long start_rev)
{
    struct conn *c = calloc(1, sizeof(*c));
    c->fd = dial();
    char body[512];
    char *k64 = b64(key), *e64 = b64(range_end);
    snprintf(body, sizeof(body),
             "{\"create_request\":{\"key\":\"%s\",\"range_end\":\"%s\",\"start_revision\":\"%ld\"}}", k64, e64,
             start_rev);
    free(k64), free(e64);
    send_post(c, "/v3/watch", body);
    long clen;
    if (read_head(c, &clen) != 200)
        die("watch");
    return c;
}

/* Reads the next chunk of a watch stream into *out (malloc'ed, NUL-terminated). */
static int
watch_chunk(struct conn *c, char **out)
{
    char line[64];
    if (read_line(c, line, sizeof(line)) != 0)
        return -1;
    long n = strtol(line, NULL, 16);
    char *p = malloc((size_t)n + 1);
    if (read_exact(c, p, (size_t)n) != 0)
        return -1;
    p[n] = '\0';
    read_line(c, line, sizeof(line));
    *out = p;
    return 0;
}

static int
count_events(const char *s)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, "\"kv\":")); p += 5)
        n++;
    return n;
}

static long
current_revision(struct conn *c)
{
    char out[4096];
    char *k64 = b64("bench/none");
    char body[256];
    snprintf(body, sizeof(body), "{\"key\":\"%s\"}", k64);
    free(k64);
    post(c, "/v3/kv/range", body, out, sizeof(out));
    const char *r = strstr(out, "\"revision\":\"");
    return r ? atol(r + 12) : 0;
}

static int
cmd_catchup(int events)
{
    struct conn *c = calloc(1, sizeof(*c));
    c->fd = dial();
    long start = current_revision(c) + 1;
    char body[256];
    for (int i = 0; i < events; i++) {
        char key[64];
        snprintf(key, sizeof(key), "bench/catchup/%06d", i % 1000);
        char *k64 = b64(key), *v64 = b64("an-event-value");
        snprintf(body, sizeof(body), "{\"key\":\"%s\",\"value\":\"%s\"}", k64, v64);
        free(k64), free(v64);
        post(c, "/v3/kv/put", body, NULL, 0);
    }
    double t0 = now_s();
    struct conn *w = watch_open("bench/catchup/", "bench/catchup0", start);
    int got = 0;
    while (got < events) {
        char *chunk;
        if (watch_chunk(w, &chunk) != 0)
            die("watch stream");
        got += count_events(chunk);
        free(chunk);
    }
    printf("seconds=%.4f events=%d\n", now_s() - t0, got);
    return 0;
}

static int
cmd_watchlat(int iterations)
{
    struct conn *c = calloc(1, sizeof(*c));
    c->fd = dial();
    struct conn *w = watch_open("bench/lat/", "bench/lat0", 0);
    char *first = NULL;
    watch_chunk(w, &first); /* the "created" response */
    free(first);
    double *lat = calloc((size_t)iterations, sizeof(double));
    char body[256];
    for (int i = 0; i < iterations; i++) {
        char *k64 = b64("bench/lat/k"), *v64 = b64("x");
        snprintf(body, sizeof(body), "{\"key\":\"%s\",\"value\":\"%s\"}", k64, v64);
        free(k64), free(v64);
        double t0 = now_s();
        post(c, "/v3/kv/put", body, NULL, 0);
        int got = 0;
        while (!got) {
            char *chunk;
            if (watch_chunk(w, &chunk) != 0)
                die("watch stream");
            got = count_events(chunk);
            free(chunk);
        }
        lat[i] = now_s() - t0;
    }
    printf("p50_ms=%.3f p99_ms=%.3f\n", pct(lat, (size_t)iterations, 0.5) * 1e3,
           pct(lat, (size_t)iterations, 0.99) * 1e3);
    return 0;
}

/* --- disk: what a durable write costs on this file system (docs/kvstore.md, "Durability") --- */

enum disk_test {
    D_OVERWRITE_512,
    D_OVERWRITE_4K,
    D_APPEND_512,
    D_FALLOCATED_4K,
    D_RWF_DSYNC,
    D_O_DSYNC,
    D_DIRECT_DSYNC,
    D_SYNC_CLEAN,
    D_TWO_CONCURRENT,
    D_TWO_SERIAL,
    D_NTESTS,
};

static const char *const disk_names[D_NTESTS] = {
    "overwrite_512B+fdatasync(preallocated)",
    "overwrite_4KiB+fdatasync(preallocated)",
    "append_512B+fdatasync",
    "write_4KiB_into_fallocated+fdatasync",
    "pwritev2_RWF_DSYNC_512B(preallocated)",
    "O_DSYNC_pwrite_512B(preallocated)",
    "O_DIRECT|O_DSYNC_4KiB(preallocated)",
    "fdatasync_nothing_written",
    "two_fdatasyncs_two_files_concurrent(wall)",
    "two_fdatasyncs_two_files_serial(wall)",
};

#define DISK_SLOTS 512 /* 4 KiB blocks per preallocated file; offsets cycle through them */

struct disk_par {
    int fd;
    pthread_barrier_t *bar;
};

static void *
disk_par_sync(void *arg)
{
    struct disk_par *p = arg;
    pthread_barrier_wait(p->bar);
    fdatasync(p->fd);
    return NULL;
}

static int
disk_file(const char *dir, const char *name, int flags, bool prealloc)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        die(path);
    if (prealloc) {
        static char zero[DISK_SLOTS * 4096];
        if (write(fd, zero, sizeof(zero)) != (ssize_t)sizeof(zero))
            die("preallocate");
        fsync(fd);
    }
    if (flags) {
        close(fd);
        fd = open(path, O_RDWR | flags);
        if (fd < 0)
            die(path);
    }
    return fd;
}

static int
cmd_disk(const char *dir, int rounds)
{
    enum { PER_ROUND = 50 };
    size_t n = (size_t)rounds * PER_ROUND;
    double *lat[D_NTESTS];
    size_t got[D_NTESTS] = { 0 };
    for (int t = 0; t < D_NTESTS; t++)
        lat[t] = calloc(n, sizeof(double));
    static char buf[4096] __attribute__((aligned(4096)));
    memset(buf, 'w', sizeof(buf));
    int ow = disk_file(dir, "overwrite", 0, true), app = disk_file(dir, "append", 0, false);
    int fa = disk_file(dir, "fallocated", 0, false), ds = disk_file(dir, "odsync", O_DSYNC, true);
    int dd = disk_file(dir, "direct", O_DIRECT | O_DSYNC, true);
    int pa = disk_file(dir, "pair_a", 0, true), pb = disk_file(dir, "pair_b", 0, true);
    if (fallocate(fa, 0, 0, (off_t)n * 4096) != 0)
        die("fallocate");
    fsync(fa);
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, 2);
    off_t app_off = 0;
    for (int r = 0; r < rounds; r++) {
        /* the tests take turns, so that the machine's other load spreads over all of them alike */
        for (int t = 0; t < D_NTESTS; t++) {
            for (int i = 0; i < PER_ROUND; i++) {
                off_t slot = (off_t)((got[t] % DISK_SLOTS) * 4096);
                double t0 = now_s();
                ssize_t w = 0;
                struct iovec iov = { buf, 512 };
                switch (t) {
                case D_OVERWRITE_512:
                    w = pwrite(ow, buf, 512, slot) - 512;
                    fdatasync(ow);
                    break;
                case D_OVERWRITE_4K:
                    w = pwrite(ow, buf, 4096, slot) - 4096;
                    fdatasync(ow);
                    break;
                case D_APPEND_512:
                    w = pwrite(app, buf, 512, app_off) - 512;
                    app_off += 512;
                    fdatasync(app);
                    break;
                case D_FALLOCATED_4K:
                    w = pwrite(fa, buf, 4096, (off_t)got[t] * 4096) - 4096;
                    fdatasync(fa);
                    break;
                case D_RWF_DSYNC:
                    w = pwritev2(ow, &iov, 1, slot, RWF_DSYNC) - 512;
                    break;
                case D_O_DSYNC:
                    w = pwrite(ds, buf, 512, slot) - 512;
                    break;
                case D_DIRECT_DSYNC:
                    w = pwrite(dd, buf, 4096, slot) - 4096;
                    break;
                case D_SYNC_CLEAN:
                    fdatasync(ow);
                    break;
                case D_TWO_CONCURRENT:
                case D_TWO_SERIAL: {
                    pwrite(pa, buf, 512, slot);
                    pwrite(pb, buf, 4096, slot);
                    t0 = now_s();
                    if (t == D_TWO_SERIAL) {
                        fdatasync(pa);
                        fdatasync(pb);
                        break;
                    }
                    pthread_t th;
                    struct disk_par a = { pa, &bar }, b = { pb, &bar };
                    pthread_create(&th, NULL, disk_par_sync, &a);
                    disk_par_sync(&b);
                    pthread_join(th, NULL);
                    break;
                }
                }
                if (w != 0)
                    die(disk_names[t]);
                lat[t][got[t]++] = now_s() - t0;
            }
        }
    }
    for (int t = 0; t < D_NTESTS; t++) {
        printf("%s p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f\n", disk_names[t], pct(lat[t], got[t], 0.5) * 1e3,
               pct(lat[t], got[t], 0.9) * 1e3, pct(lat[t], got[t], 0.99) * 1e3);
        free(lat[t]);
    }
    const char *names[] = { "overwrite", "append", "fallocated", "odsync", "direct", "pair_a", "pair_b" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: kvbench put|range|catchup|watchlat URL ARGS... | kvbench disk DIR [ROUNDS]\n");
        return 2;
    }
    if (strcmp(argv[1], "disk") == 0 && (argc == 3 || argc == 4))
        return cmd_disk(argv[2], argc == 4 ? atoi(argv[3]) : 20);
    if (sscanf(argv[2], "http://%63[^:]:%d", host, &port) != 2) {
        fprintf(stderr, "kvbench: URL must be http://IP:PORT\n");
        return 2;
    }
    if (strcmp(argv[1], "put") == 0 && argc == 6 && argv[5][0] == '@') {
        value_file_bytes = read_value_file(argv[5] + 1);
        return cmd_put(atoi(argv[3]), atoi(argv[4]), (int)strlen(value_file_bytes));
    }
    if (strcmp(argv[1], "put") == 0 && argc == 6)
        return cmd_put(atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    if (strcmp(argv[1], "range") == 0 && argc == 5)
        return cmd_range(atoi(argv[3]), atoi(argv[4]));
    if (strcmp(argv[1], "catchup") == 0 && argc == 4)
        return cmd_catchup(atoi(argv[3]));
    if (strcmp(argv[1], "watchlat") == 0 && argc == 4)
        return cmd_watchlat(atoi(argv[3]));
    fprintf(stderr, "kvbench: bad arguments\n");
    return 2;
}
