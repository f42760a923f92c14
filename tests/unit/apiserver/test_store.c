/* test_store.c - the api_store interface and the api_obj helpers, one scenario suite run against three backends:
 * the embedded kvs store in a temp dir, a real etcd 3.4 (/usr/bin/etcd) and the `k8c kvstore` daemon ($K8C_BIN),
 * both started here on 127.0.0.1 with free ports and stopped by PID. Remote-only tests cover TLS with client
 * certificates, failover, a watch resuming over a dropped connection (through an in-process TCP proxy) and a
 * watch whose server goes away.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api_codec.h"
#include "api_store.h"
#include "kc_fault.h"
#include "kc_json.h"
#include "kc_log.h"
#include "kc_pki.h"
#include "store_int.h"

#define ETCD_BIN    "/usr/bin/etcd"
#define WAIT_MS     10000 /* deadline of every wait for a watch batch */
#define START_MS    20000 /* deadline for a server to become healthy */
#define QUEUE_LIMIT 16    /* watch queue bound in batches, both backends, for the slow-consumer test */
#define SLOW_WRITES 100   /* writes the slow consumer does not read: far more than QUEUE_LIMIT */
#define WRITERS     8
#define WRITES_EACH 20

/* ---------------------------------------------------------------------------------------------------------- */
/* Files and processes */

static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *
mkdtemp_dup(void)
{
    char *d = strdup("/tmp/api_store_test_XXXXXX");
    assert_non_null(d);
    assert_non_null(mkdtemp(d));
    return d;
}

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void
rmrf(const char *dir)
{
    if (dir)
        nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* n distinct free ports on 127.0.0.1 (bound to port 0 together, then released for the server to take). */
static void
free_ports(int *ports, int n)
{
    int fds[4];
    assert_true(n <= 4);
    for (int i = 0; i < n; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(fds[i] >= 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        assert_int_equal(bind(fds[i], (struct sockaddr *)&a, sizeof(a)), 0);
        socklen_t len = sizeof(a);
        assert_int_equal(getsockname(fds[i], (struct sockaddr *)&a, &len), 0);
        ports[i] = ntohs(a.sin_port);
    }
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

/* A server process this test started: stopped by its PID in teardown, and killed by the kernel should this
 * process die first (PR_SET_PDEATHSIG). */
struct proc {
    pid_t pid;
    char *dir;     /* its temp dir (data, log, certificates) */
    int port;      /* client port */
    int peer_port; /* etcd's peer port */
    char url[96];  /* client URL */
    bool tls;
    char log[512];
};

static void
proc_spawn(struct proc *p, char *const argv[])
{
    pid_t parent = getpid();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int fd = open(p->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, 0);
        execv(argv[0], argv);
        _exit(127);
    }
    p->pid = pid;
}

static void
print_log_tail(const struct proc *p)
{
    FILE *f = fopen(p->log, "r");
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size > 3000 ? size - 3000 : 0, SEEK_SET);
    char buf[3001];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    fclose(f);
    print_message("--- %s (tail) ---\n%s\n---\n", p->log, buf);
}

/* Waits up to ms for the process to exit; true when it did (and was reaped). */
static bool
proc_wait(struct proc *p, int ms)
{
    int pfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
    int64_t deadline = now_ms() + ms;
    for (;;) {
        int st;
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid || (r < 0 && errno == ECHILD)) {
            if (pfd >= 0)
                close(pfd);
            return true;
        }
        int64_t left = deadline - now_ms();
        if (left <= 0)
            break;
        if (pfd >= 0) {
            struct pollfd pl = { .fd = pfd, .events = POLLIN };
            poll(&pl, 1, (int)left);
        } else {
            poll(NULL, 0, left < 20 ? (int)left : 20); /* no pidfd: re-check the exit at intervals */
        }
    }
    if (pfd >= 0)
        close(pfd);
    return false;
}

static void
proc_stop(struct proc *p)
{
    if (p->pid <= 0)
        return;
    kill(p->pid, SIGTERM);
    if (!proc_wait(p, 10000)) {
        kill(p->pid, SIGKILL);
        proc_wait(p, 10000);
    }
    p->pid = 0;
}

static void
proc_free(struct proc *p)
{
    proc_stop(p);
    if (p->dir) {
        rmrf(p->dir);
        free(p->dir);
        p->dir = NULL;
    }
}

enum kind { K_EMBEDDED, K_ETCD, K_K8C };

static void write_pki(const char *dir);

static void
proc_start(struct proc *p, enum kind kind, bool tls)
{
    memset(p, 0, sizeof(*p));
    p->dir = mkdtemp_dup();
    p->tls = tls;
    int ports[2];
    free_ports(ports, 2);
    p->port = ports[0];
    p->peer_port = ports[1];
    snprintf(p->url, sizeof(p->url), "%s://127.0.0.1:%d", tls ? "https" : "http", p->port);
    snprintf(p->log, sizeof(p->log), "%s/server.log", p->dir);
    char data[300], peer[96], cluster[128], cert[300], key[300], ca[300];
    snprintf(data, sizeof(data), "%s/data", p->dir);
    snprintf(peer, sizeof(peer), "http://127.0.0.1:%d", p->peer_port);
    snprintf(cluster, sizeof(cluster), "t=%s", peer);
    snprintf(cert, sizeof(cert), "%s/server.crt", p->dir);
    snprintf(key, sizeof(key), "%s/server.key", p->dir);
    snprintf(ca, sizeof(ca), "%s/ca.crt", p->dir);
    char *argv[40];
    int n = 0;
    if (kind == K_ETCD) {
        char *a[] = { ETCD_BIN, "--name",
                      "t",      "--data-dir",
                      data,     "--listen-client-urls",
                      p->url,   "--advertise-client-urls",
                      p->url,   "--listen-peer-urls",
                      peer,     "--initial-advertise-peer-urls",
                      peer,     "--initial-cluster",
                      cluster,  "--initial-cluster-state",
                      "new",    "--logger",
                      "zap",    "--log-outputs",
                      "stderr", "--log-level",
                      "warn",   "--unsafe-no-fsync" };
        for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)
            argv[n++] = a[i];
    } else {
        char *a[] = {
            getenv("K8C_BIN"),         "kvstore", "--name", "t", "--data-dir", data, "--listen-client-urls", p->url,
            "--advertise-client-urls", p->url
        };
        for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)
            argv[n++] = a[i];
    }
    if (tls) {
        char *a[] = { "--cert-file", cert, "--key-file", key, "--trusted-ca-file", ca, "--client-cert-auth" };
        for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)
            argv[n++] = a[i];
    }
    argv[n] = NULL;
    if (tls)
        write_pki(p->dir);
    proc_spawn(p, argv);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* TLS material: a CA, a serving certificate for 127.0.0.1 and a client certificate, as files in dir. */

static void
write_pki(const char *dir)
{
    struct kc_pki_cert ca = { 0 }, srv = { 0 }, cli = { 0 };
    struct kc_pki_req cr = { .cn = "test-ca" };
    assert_int_equal(kc_pki_ca_new(&cr, &ca), 0);
    const char *ips[] = { "127.0.0.1" };
    const char *dns[] = { "localhost" };
    struct kc_pki_req sr = {
        .cn = "etcd", .ips = ips, .nips = 1, .dns_names = dns, .ndns = 1, .usage = KC_PKI_SERVER | KC_PKI_CLIENT
    };
    assert_int_equal(kc_pki_cert_issue(&ca, &sr, NULL, &srv), 0);
    struct kc_pki_req clr = { .cn = "apiserver", .usage = KC_PKI_CLIENT };
    assert_int_equal(kc_pki_cert_issue(&ca, &clr, NULL, &cli), 0);
    char a[300], b[300];
    snprintf(a, sizeof(a), "%s/ca.crt", dir);
    assert_int_equal(kc_pki_cert_write(&ca, a, NULL), 0);
    snprintf(a, sizeof(a), "%s/server.crt", dir);
    snprintf(b, sizeof(b), "%s/server.key", dir);
    assert_int_equal(kc_pki_cert_write(&srv, a, b), 0);
    snprintf(a, sizeof(a), "%s/client.crt", dir);
    snprintf(b, sizeof(b), "%s/client.key", dir);
    assert_int_equal(kc_pki_cert_write(&cli, a, b), 0);
    /* a second CA that signed nothing here: trusting it must fail */
    struct kc_pki_cert other = { 0 };
    struct kc_pki_req orq = { .cn = "other-ca" };
    assert_int_equal(kc_pki_ca_new(&orq, &other), 0);
    snprintf(a, sizeof(a), "%s/other-ca.crt", dir);
    assert_int_equal(kc_pki_cert_write(&other, a, NULL), 0);
    kc_pki_cert_close(&ca);
    kc_pki_cert_close(&srv);
    kc_pki_cert_close(&cli);
    kc_pki_cert_close(&other);
}

/* Connects to a started server, retrying until it answers /health or START_MS pass (the process may still be
 * starting: the condition is polled, bounded by the deadline). NULL with the reason in why (and the server's log
 * printed) when it does not. */
static struct api_store *
proc_try_connect(struct proc *p, const struct api_store_remote_config *cfg, char *why, size_t whylen)
{
    int64_t deadline = now_ms() + START_MS;
    char err[512] = "";
    for (;;) {
        struct api_store *s = NULL;
        int rc = api_store_remote(cfg, &s, err, sizeof(err));
        if (rc == 0)
            return s;
        int st;
        if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
            p->pid = 0;
            print_log_tail(p);
            snprintf(why, whylen, "server exited (status 0x%x) before answering: %s", st, err);
            return NULL;
        }
        if (now_ms() > deadline) {
            print_log_tail(p);
            snprintf(why, whylen, "server at %s not healthy after %d ms: %s", p->url, START_MS, err);
            return NULL;
        }
        poll(NULL, 0, 20); /* interval between health checks while waiting for the start, bounded above */
    }
}

static struct api_store *
proc_connect(struct proc *p, const struct api_store_remote_config *cfg)
{
    char why[700];
    struct api_store *s = proc_try_connect(p, cfg, why, sizeof(why));
    if (!s)
        fail_msg("%s", why);
    return s;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* The backend under test, and what a test must release even when it fails */

struct backend {
    enum kind kind;
    const char *name;
    char *dir;        /* embedded: the kvs dir */
    struct kvs *kvs;  /* embedded */
    struct proc proc; /* remote: the server */
    struct api_store *s;
};

static struct backend *B;

struct proxy;
static void proxy_free(struct proxy *p);

static struct {
    struct api_store_watch *w[16];
    struct api_store *s[8];
    struct proc *p[4];
    struct proxy *proxy;
} reg;

static struct api_store_watch *
reg_watch(struct api_store_watch *w)
{
    for (int i = 0; i < 16; i++)
        if (!reg.w[i]) {
            reg.w[i] = w;
            return w;
        }
    fail_msg("too many watches");
    return NULL;
}

static void
watch_close(struct api_store_watch *w)
{
    for (int i = 0; i < 16; i++)
        if (reg.w[i] == w)
            reg.w[i] = NULL;
    api_store_watch_free(w);
}

static struct api_store *
reg_store(struct api_store *s)
{
    for (int i = 0; i < 8; i++)
        if (!reg.s[i]) {
            reg.s[i] = s;
            return s;
        }
    fail_msg("too many stores");
    return NULL;
}

static void
store_close(struct api_store *s)
{
    for (int i = 0; i < 8; i++)
        if (reg.s[i] == s)
            reg.s[i] = NULL;
    api_store_close(s);
}

static struct proc *
reg_proc(void)
{
    for (int i = 0; i < 4; i++)
        if (!reg.p[i]) {
            reg.p[i] = calloc(1, sizeof(struct proc));
            assert_non_null(reg.p[i]);
            return reg.p[i];
        }
    fail_msg("too many processes");
    return NULL;
}

static int
test_teardown(void **state)
{
    (void)state;
    for (int i = 0; i < 16; i++) {
        api_store_watch_free(reg.w[i]);
        reg.w[i] = NULL;
    }
    for (int i = 0; i < 8; i++) {
        api_store_close(reg.s[i]);
        reg.s[i] = NULL;
    }
    if (reg.proxy) {
        proxy_free(reg.proxy);
        reg.proxy = NULL;
    }
    for (int i = 0; i < 4; i++) {
        if (reg.p[i]) {
            proc_free(reg.p[i]);
            free(reg.p[i]);
            reg.p[i] = NULL;
        }
    }
    return 0;
}

static int
setup_embedded(void **state)
{
    (void)state;
    static struct backend b = { .kind = K_EMBEDDED, .name = "embedded" };
    b.dir = mkdtemp_dup();
    struct kvs_options o;
    kvs_options_init(&o);
    o.dir = b.dir;
    o.watch_queue_batches = QUEUE_LIMIT;
    o.initial_map_bytes = 1 << 20;
    if (kvs_open(&o, &b.kvs) != 0 || api_store_embedded(b.kvs, &b.s) != 0)
        return -1;
    B = &b;
    return 0;
}

static int
teardown_embedded(void **state)
{
    (void)state;
    api_store_close(B->s);
    kvs_close(B->kvs);
    rmrf(B->dir);
    free(B->dir);
    B = NULL;
    return 0;
}

static struct backend remote_backend;

static int
setup_remote(enum kind kind, const char *name)
{
    struct backend *b = &remote_backend;
    memset(b, 0, sizeof(*b));
    b->kind = kind;
    b->name = name;
    B = b;
    proc_start(&b->proc, kind, false);
    struct api_store_remote_config cfg = { .servers = b->proc.url };
    char why[700];
    b->s = proc_try_connect(&b->proc, &cfg, why, sizeof(why));
    if (!b->s) {
        print_message("%s backend does not start: %s\n", name, why);
        proc_free(&b->proc);
        return -1;
    }
    return 0;
}

static int
setup_etcd(void **state)
{
    (void)state;
    return setup_remote(K_ETCD, "etcd");
}

static int
setup_k8c(void **state)
{
    (void)state;
    return setup_remote(K_K8C, "k8c kvstore");
}

static int
teardown_remote(void **state)
{
    (void)state;
    api_store_close(B->s);
    proc_free(&B->proc);
    B = NULL;
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Helpers */

/* A key unique to this test and backend run: /t/<test>/<name>. */
static const char *
key(const char *test, const char *name)
{
    static char buf[8][256];
    static int i;
    char *k = buf[i++ % 8];
    snprintf(k, 256, "/t/%s/%s", test, name);
    return k;
}

static json_t *
obj(const char *name, const char *value)
{
    json_t *o = json_pack("{s:s,s:{s:s,s:s},s:{s:s}}", "kind", "ConfigMap", "metadata", "name", name, "resourceVersion",
                          "12345", "data", "v", value);
    assert_non_null(o);
    return o;
}

static int64_t
create(struct api_store *s, const char *k, const char *value, int64_t lease)
{
    const char *slash = strrchr(k, '/');
    json_t *o = obj(slash && slash[1] ? slash + 1 : k, value);
    int64_t rev = 0;
    int rc = api_obj_create(s, k, o, lease, &rev);
    json_decref(o);
    assert_int_equal(rc, 0);
    assert_true(rev > 0);
    return rev;
}

static const char *
data_v(const json_t *o)
{
    const char *v = kc_json_get_string(o, "data.v");
    assert_non_null(v);
    return v;
}

static int64_t
rv_of(const json_t *o)
{
    const char *rv = kc_json_get_string(o, "metadata.resourceVersion");
    assert_non_null(rv);
    return strtoll(rv, NULL, 10);
}

/* Puts a raw value with one txn (no compare). */
static int64_t
raw_put(struct api_store *s, const char *k, const char *value)
{
    struct kvs_op op = { .type = KVS_OP_PUT, .put = { .key = kvs_str(k), .value = kvs_str(value) } };
    struct kvs_txn_req t = { .success = &op, .n_success = 1 };
    struct kvs_resp *r = NULL;
    assert_int_equal(api_store_txn(s, &t, &r), 0);
    assert_true(r->succeeded);
    int64_t rev = r->revision;
    api_store_resp_free(s, r);
    return rev;
}

/* The next batch within the deadline, waiting on the watch fd with poll(). */
static struct kvs_watch_batch *
next_batch(struct api_store_watch *w, int64_t deadline)
{
    for (;;) {
        struct kvs_watch_batch *b = NULL;
        int rc = api_store_watch_poll(w, &b);
        if (rc == 0)
            return b;
        if (rc != -EAGAIN)
            fail_msg("api_store_watch_poll: %d (%s)", rc, kc_strerror(rc));
        int64_t left = deadline - now_ms();
        if (left <= 0)
            fail_msg("no watch batch within %d ms", WAIT_MS);
        struct pollfd p = { .fd = api_store_watch_fd(w), .events = POLLIN };
        int n = poll(&p, 1, (int)left);
        assert_true(n >= 0);
    }
}

struct ev {
    enum kvs_event_type type;
    char key[128];
    char value[256];
    int64_t mod_revision;
    bool has_prev;
    char prev_value[256];
};

/* src's text (a stored object's: decoded when the object helpers stored it compressed) into dst. */
static void
copy_str(char *dst, size_t cap, const uint8_t *src, size_t len)
{
    const char *t;
    char *owned;
    assert_int_equal(api_codec_open(src, len, &t, &len, &owned), 0);
    if (len >= cap)
        len = cap - 1;
    if (len)
        memcpy(dst, t, len);
    dst[len] = 0;
    free(owned);
}

/* Collects n events (failing on a cancel), checking that batches come in revision order. */
static void
collect(struct api_store_watch *w, struct ev *out, size_t n)
{
    int64_t deadline = now_ms() + WAIT_MS, last = 0;
    size_t got = 0;
    while (got < n) {
        struct kvs_watch_batch *b = next_batch(w, deadline);
        if (b->canceled) {
            int err = b->cancel_err;
            api_store_watch_batch_free(w, b);
            fail_msg("watch canceled after %zu of %zu events: %d (%s)", got, n, err, kc_strerror(err));
        }
        for (size_t i = 0; i < b->n_events; i++) {
            const struct kvs_event *e = &b->events[i];
            assert_true(got < n);
            assert_true(e->kv.mod_revision > last);
            last = e->kv.mod_revision;
            struct ev *o = &out[got++];
            memset(o, 0, sizeof(*o));
            o->type = e->type;
            copy_str(o->key, sizeof(o->key), e->kv.key, e->kv.key_len);
            copy_str(o->value, sizeof(o->value), e->kv.value, e->kv.value_len);
            o->mod_revision = e->kv.mod_revision;
            if (e->prev_kv) {
                o->has_prev = true;
                copy_str(o->prev_value, sizeof(o->prev_value), e->prev_kv->value, e->prev_kv->value_len);
            }
        }
        api_store_watch_batch_free(w, b);
    }
}

/* The canceled batch, skipping events; returns it (caller frees). */
static struct kvs_watch_batch *
expect_cancel(struct api_store_watch *w, size_t *events_before)
{
    int64_t deadline = now_ms() + WAIT_MS;
    size_t n = 0;
    for (;;) {
        struct kvs_watch_batch *b = next_batch(w, deadline);
        if (b->canceled) {
            if (events_before)
                *events_before = n;
            return b;
        }
        n += b->n_events;
        api_store_watch_batch_free(w, b);
    }
}

static struct kvs_watch_req
prefix_watch(const char *prefix, char *end_buf, int64_t start, bool prev_kv)
{
    size_t n = strlen(prefix);
    memcpy(end_buf, prefix, n);
    end_buf[n - 1]++;
    return (struct kvs_watch_req){
        .key = { prefix, n }, .range_end = { end_buf, n }, .start_revision = start, .prev_kv = prev_kv
    };
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Scenarios (every backend) */

static void
test_obj_crud(void **state)
{
    (void)state;
    struct api_store *s = B->s;
    const char *k = key("crud", "a");
    json_t *o = obj("a", "one");
    int64_t rev = 0, rev2 = 0, got_rev = 0;

    assert_int_equal(api_obj_create(s, k, o, 0, &rev), 0);
    assert_true(rev > 0);
    /* the caller's object is untouched, resourceVersion included */
    assert_string_equal(kc_json_get_string(o, "metadata.resourceVersion"), "12345");
    assert_int_equal(api_obj_create(s, k, o, 0, &rev2), KC_EEXIST);

    /* stored without resourceVersion; read back with it = mod_revision */
    struct kvs_range_req rr = { .key = kvs_str(k) };
    struct kvs_resp *r = NULL;
    assert_int_equal(api_store_range(s, &rr, &r), 0);
    assert_int_equal(r->n_kvs, 1);
    assert_int_equal(r->kvs[0].mod_revision, rev);
    assert_int_equal(r->kvs[0].create_revision, rev);
    assert_int_equal(r->kvs[0].version, 1);
    assert_null(memmem(r->kvs[0].value, r->kvs[0].value_len, "resourceVersion", 15));
    assert_non_null(memmem(r->kvs[0].value, r->kvs[0].value_len, "\"one\"", 5));
    api_store_resp_free(s, r);

    json_t *g = NULL;
    assert_int_equal(api_obj_get(s, k, &g, &got_rev), 0);
    assert_int_equal(got_rev, rev);
    assert_int_equal(rv_of(g), rev);
    assert_string_equal(data_v(g), "one");
    assert_string_equal(kc_json_get_string(g, "kind"), "ConfigMap");
    json_decref(g);

    /* update with the right revision, then with the now stale one */
    json_t *o2 = obj("a", "two");
    assert_int_equal(api_obj_update(s, k, o2, rev, &rev2), 0);
    assert_true(rev2 > rev);
    int64_t unused = -7;
    assert_int_equal(api_obj_update(s, k, o2, rev, &unused), KC_ECONFLICT);
    assert_int_equal(unused, -7);
    assert_int_equal(api_obj_get(s, k, &g, &got_rev), 0);
    assert_int_equal(got_rev, rev2);
    assert_string_equal(data_v(g), "two");
    json_decref(g);

    /* unconditional update (0) */
    int64_t rev3 = 0;
    json_t *o3 = obj("a", "three");
    assert_int_equal(api_obj_update(s, k, o3, 0, &rev3), 0);
    assert_true(rev3 > rev2);

    /* missing keys */
    const char *missing = key("crud", "missing");
    assert_int_equal(api_obj_get(s, missing, &g, NULL), KC_ENOTFOUND);
    assert_int_equal(api_obj_update(s, missing, o3, 0, NULL), KC_ENOTFOUND);
    assert_int_equal(api_obj_update(s, missing, o3, rev3, NULL), KC_ENOTFOUND);
    assert_int_equal(api_obj_delete(s, missing, 0, NULL), KC_ENOTFOUND);
    assert_int_equal(api_obj_delete(s, missing, rev3, NULL), KC_ENOTFOUND);

    /* delete with a stale precondition, then the right one */
    assert_int_equal(api_obj_delete(s, k, rev2, NULL), KC_ECONFLICT);
    int64_t drev = 0;
    assert_int_equal(api_obj_delete(s, k, rev3, &drev), 0);
    assert_true(drev > rev3);
    assert_int_equal(api_obj_get(s, k, &g, NULL), KC_ENOTFOUND);
    assert_int_equal(api_obj_delete(s, k, 0, NULL), KC_ENOTFOUND);

    /* re-create after delete: a new create_revision; unconditional delete */
    int64_t rev4 = create(s, k, "four", 0);
    assert_true(rev4 > drev);
    assert_int_equal(api_obj_delete(s, k, 0, &drev), 0);
    assert_true(drev > rev4);

    json_decref(o);
    json_decref(o2);
    json_decref(o3);
}

static void
test_obj_bad_input(void **state)
{
    (void)state;
    struct api_store *s = B->s;
    const char *k = key("bad", "array");
    json_t *g = NULL;
    raw_put(s, k, "[1,2]");
    assert_int_equal(api_obj_get(s, k, &g, NULL), KC_EINTERNAL);
    raw_put(s, k, "not json");
    assert_int_equal(api_obj_get(s, k, &g, NULL), KC_EINTERNAL);
    raw_put(s, k, "{\"metadata\":7}");
    assert_int_equal(api_obj_get(s, k, &g, NULL), KC_EINTERNAL);
    /* an object without metadata gets one */
    int64_t rev = raw_put(s, k, "{\"kind\":\"X\"}");
    assert_int_equal(api_obj_get(s, k, &g, NULL), 0);
    assert_int_equal(rv_of(g), rev);
    json_decref(g);

    json_t *arr = json_array();
    assert_int_equal(api_obj_create(s, key("bad", "x"), arr, 0, NULL), KC_EINVALID);
    assert_int_equal(api_obj_update(s, k, arr, 0, NULL), KC_EINVALID);
    json_decref(arr);
    json_t *o = obj("x", "y");
    assert_int_equal(api_obj_create(s, "", o, 0, NULL), KC_EINVALID);
    assert_int_equal(api_obj_create(s, NULL, o, 0, NULL), KC_EINVALID);
    assert_int_equal(api_obj_update(s, k, o, -1, NULL), KC_EINVALID);
    json_decref(o);
    json_t *items = NULL;
    assert_int_equal(api_obj_list(s, key("bad", ""), -1, 0, NULL, &items, NULL, NULL), KC_EINVALID);
    /* a list over a non-object value fails as a get does */
    raw_put(s, k, "[]");
    assert_int_equal(api_obj_list(s, key("bad", ""), 0, 0, NULL, &items, NULL, NULL), KC_EINTERNAL);
}

static void
test_txn_errors(void **state)
{
    (void)state;
    struct api_store *s = B->s;
    const char *k = key("txn", "k");
    struct kvs_resp *r = NULL;

    /* two puts of one key: etcd's duplicate key error, mapped back to KVS_EDUPKEY */
    struct kvs_op dup[2] = {
        { .type = KVS_OP_PUT, .put = { .key = kvs_str(k), .value = kvs_str("1") } },
        { .type = KVS_OP_PUT, .put = { .key = kvs_str(k), .value = kvs_str("2") } },
    };
    struct kvs_txn_req t = { .success = dup, .n_success = 2 };
    assert_int_equal(api_store_txn(s, &t, &r), KVS_EDUPKEY);

    struct kvs_op empty = { .type = KVS_OP_PUT, .put = { .key = { NULL, 0 }, .value = kvs_str("1") } };
    t = (struct kvs_txn_req){ .success = &empty, .n_success = 1 };
    assert_int_equal(api_store_txn(s, &t, &r), KVS_EEMPTYKEY);

    struct kvs_range_req rr = { .key = { NULL, 0 } };
    assert_int_equal(api_store_range(s, &rr, &r), KVS_EEMPTYKEY);

    /* a nested txn and every response type come back decoded */
    int64_t rev1 = raw_put(s, k, "v1");
    struct kvs_op inner_ops[1] = { { .type = KVS_OP_RANGE, .range = { .key = kvs_str(k) } } };
    struct kvs_txn_req inner = { .success = inner_ops, .n_success = 1 };
    struct kvs_compare c = {
        .result = KVS_CMP_EQUAL, .target = KVS_CMP_VALUE, .key = kvs_str(k), .value = kvs_str("v1")
    };
    struct kvs_op ops[4] = {
        { .type = KVS_OP_PUT, .put = { .key = kvs_str(k), .value = kvs_str("v2"), .prev_kv = true } },
        { .type = KVS_OP_RANGE, .range = { .key = kvs_str(k), .count_only = true } },
        { .type = KVS_OP_DELETE_RANGE, .del = { .key = kvs_str(key("txn", "other")), .prev_kv = true } },
        { .type = KVS_OP_TXN, .txn = &inner },
    };
    t = (struct kvs_txn_req){ .compare = &c, .n_compare = 1, .success = ops, .n_success = 4 };
    assert_int_equal(api_store_txn(s, &t, &r), 0);
    assert_true(r->succeeded);
    assert_int_equal(r->type, KVS_OP_TXN);
    assert_int_equal(r->revision, rev1 + 1);
    assert_int_equal(r->n_responses, 4);
    assert_int_equal(r->responses[0].type, KVS_OP_PUT);
    assert_non_null(r->responses[0].prev_kv);
    assert_int_equal(r->responses[0].prev_kv->value_len, 2);
    assert_memory_equal(r->responses[0].prev_kv->value, "v1", 2);
    assert_int_equal(r->responses[0].prev_kv->mod_revision, rev1);
    assert_int_equal(r->responses[1].type, KVS_OP_RANGE);
    assert_int_equal(r->responses[1].count, 1);
    assert_int_equal(r->responses[1].n_kvs, 0);
    assert_int_equal(r->responses[2].type, KVS_OP_DELETE_RANGE);
    assert_int_equal(r->responses[2].deleted, 0);
    assert_int_equal(r->responses[3].type, KVS_OP_TXN);
    assert_true(r->responses[3].succeeded);
    assert_int_equal(r->responses[3].n_responses, 1);
    assert_int_equal(r->responses[3].responses[0].type, KVS_OP_RANGE);
    /* ops run in order: the nested range sees the put before it (only compares see the state before) */
    assert_int_equal(r->responses[3].responses[0].n_kvs, 1);
    assert_int_equal(r->responses[3].responses[0].kvs[0].value_len, 2);
    assert_memory_equal(r->responses[3].responses[0].kvs[0].value, "v2", 2);
    assert_int_equal(r->responses[3].responses[0].kvs[0].mod_revision, rev1 + 1);
    api_store_resp_free(s, r);

    /* the failure branch */
    t.n_success = 0;
    t.success = NULL;
    assert_int_equal(api_store_txn(s, &t, &r), 0);
    assert_false(r->succeeded);
    assert_int_equal(r->n_responses, 0);
    api_store_resp_free(s, r);

    /* binary keys and values survive the base64 round trip */
    const uint8_t bin[] = { 0, 0xff, 0x80, '\n', '"', 0 };
    struct kvs_op bp = { .type = KVS_OP_PUT,
                         .put = { .key = { "/t/txn/bin\xff", 11 }, .value = { bin, sizeof(bin) } } };
    t = (struct kvs_txn_req){ .success = &bp, .n_success = 1 };
    assert_int_equal(api_store_txn(s, &t, &r), 0);
    api_store_resp_free(s, r);
    rr = (struct kvs_range_req){ .key = { "/t/txn/bin\xff", 11 } };
    assert_int_equal(api_store_range(s, &rr, &r), 0);
    assert_int_equal(r->n_kvs, 1);
    assert_int_equal(r->kvs[0].key_len, 11);
    assert_memory_equal(r->kvs[0].key, "/t/txn/bin\xff", 11);
    assert_int_equal(r->kvs[0].value_len, sizeof(bin));
    assert_memory_equal(r->kvs[0].value, bin, sizeof(bin));
    api_store_resp_free(s, r);
}

static void
test_revision(void **state)
{
    (void)state;
    struct api_store *s = B->s;
    int64_t rev = create(s, key("rev", "a"), "x", 0), cur = 0;
    assert_int_equal(api_store_revision(s, &cur), 0);
    assert_true(cur >= rev);
    int64_t rev2 = create(s, key("rev", "b"), "x", 0);
    assert_int_equal(rev2, cur + 1);
    assert_int_equal(api_store_revision(s, &cur), 0);
    assert_int_equal(cur, rev2);
    assert_int_equal(api_store_revision(s, NULL), KC_EINVALID);
}

static const char *
item_name(const json_t *items, size_t i)
{
    const char *n = kc_json_get_string(json_array_get(items, i), "metadata.name");
    assert_non_null(n);
    return n;
}

static void
test_list_pages(void **state)
{
    (void)state;
    struct api_store *s = B->s;
    const char *prefix = "/t/list/";
    const char *names[] = { "a", "b", "c", "d", "e" };
    int64_t revs[5];
    for (int i = 0; i < 5; i++) {
        json_t *o = obj(names[i], "v0");
        assert_int_equal(api_obj_create(s, key("list", names[i]), o, 0, &revs[i]), 0);
        json_decref(o);
    }
    /* neighbours outside the prefix */
    create(s, "/t/lisu", "x", 0);
    create(s, "/t/list", "x", 0);
    create(s, "/t/list0", "x", 0);

    json_t *items = NULL;
    int64_t list_rev = 0;
    bool more = false;
    assert_int_equal(api_obj_list(s, prefix, 0, 2, NULL, &items, &list_rev, &more), 0);
    assert_true(more);
    assert_true(list_rev >= revs[4]);
    assert_int_equal(json_array_size(items), 2);
    assert_string_equal(item_name(items, 0), "a");
    assert_string_equal(item_name(items, 1), "b");
    assert_int_equal(rv_of(json_array_get(items, 0)), revs[0]);
    json_decref(items);

    /* writes between the pages: the later pages still show the snapshot at list_rev */
    const char *kc = key("list", "c"), *kd = key("list", "d"), *ke = key("list", "e");
    json_t *o = obj("c", "changed");
    assert_int_equal(api_obj_update(s, kc, o, 0, NULL), 0);
    json_decref(o);
    assert_int_equal(api_obj_delete(s, kd, 0, NULL), 0);
    create(s, key("list", "c2"), "new", 0);

    int64_t rev2 = 0;
    assert_int_equal(api_obj_list(s, prefix, list_rev, 2, key("list", "b"), &items, &rev2, &more), 0);
    assert_int_equal(rev2, list_rev);
    assert_true(more);
    assert_int_equal(json_array_size(items), 2);
    assert_string_equal(item_name(items, 0), "c");
    assert_string_equal(data_v(json_array_get(items, 0)), "v0");
    assert_string_equal(item_name(items, 1), "d");
    json_decref(items);

    assert_int_equal(api_obj_list(s, prefix, list_rev, 2, kd, &items, &rev2, &more), 0);
    assert_false(more);
    assert_int_equal(json_array_size(items), 1);
    assert_string_equal(item_name(items, 0), "e");
    assert_int_equal(rv_of(json_array_get(items, 0)), revs[4]);
    json_decref(items);

    /* after the last key: empty, no more */
    assert_int_equal(api_obj_list(s, prefix, list_rev, 2, ke, &items, &rev2, &more), 0);
    assert_int_equal(json_array_size(items), 0);
    assert_false(more);
    json_decref(items);

    /* now, without limit: c changed, c2 new, d gone */
    assert_int_equal(api_obj_list(s, prefix, 0, 0, NULL, &items, &rev2, &more), 0);
    assert_false(more);
    assert_true(rev2 > list_rev);
    assert_int_equal(json_array_size(items), 5);
    const char *want[] = { "a", "b", "c", "c2", "e" };
    for (int i = 0; i < 5; i++)
        assert_string_equal(item_name(items, (size_t)i), want[i]);
    assert_string_equal(data_v(json_array_get(items, 2)), "changed");
    json_decref(items);

    /* `after` before the prefix starts at the prefix; a prefix with no keys is empty */
    assert_int_equal(api_obj_list(s, prefix, 0, 1, "/a", &items, NULL, &more), 0);
    assert_int_equal(json_array_size(items), 1);
    assert_string_equal(item_name(items, 0), "a");
    assert_true(more);
    json_decref(items);
    assert_int_equal(api_obj_list(s, "/t/nothing-here/", 0, 0, NULL, &items, NULL, &more), 0);
    assert_int_equal(json_array_size(items), 0);
    assert_false(more);
    json_decref(items);

    /* a future revision */
    assert_int_equal(api_obj_list(s, prefix, rev2 + 1000, 0, NULL, &items, NULL, NULL), KC_EFUTUREREV);
}

/* What api_obj_list_raw handed over. */
struct raw_seen {
    int n, stop_at; /* stop_at: the call that returns 7 (0: none) */
    char keys[8][64];
    int64_t revs[8];
    bool plain[8]; /* the value is the stored object: JSON with data.v and no metadata.resourceVersion */
};

static int
raw_collect(const char *k, size_t klen, const char *v, size_t vlen, int64_t rev, void *arg)
{
    struct raw_seen *r = arg;
    if (r->stop_at && r->n + 1 == r->stop_at)
        return 7;
    if (r->n >= 8 || klen >= sizeof(r->keys[0]))
        return -1;
    memcpy(r->keys[r->n], k, klen);
    r->keys[r->n][klen] = '\0';
    r->revs[r->n] = rev;
    json_t *o = json_loadb(v, vlen, 0, NULL);
    json_t *meta = json_object_get(o, "metadata");
    r->plain[r->n] = json_is_object(meta) && !json_object_get(meta, "resourceVersion") &&
                     json_is_string(json_object_get(json_object_get(o, "data"), "v"));
    json_decref(o);
    r->n++;
    return 0;
}

static void
test_list_raw(void **state)
{
    (void)state;
    struct api_store *s = B->s;
    const char *prefix = "/t/rawlist/";
    int64_t revs[3];
    const char *names[] = { "a", "b", "c" };
    for (int i = 0; i < 3; i++)
        revs[i] = create(s, key("rawlist", names[i]), "v", 0);
    create(s, "/t/rawlisu", "x", 0);
    create(s, "/t/rawlist", "x", 0);

    struct raw_seen r = { 0 };
    int64_t list_rev = 0;
    bool more = false;
    assert_int_equal(api_obj_list_raw(s, prefix, 0, 2, NULL, raw_collect, &r, &list_rev, &more), 0);
    assert_int_equal(r.n, 2);
    assert_true(more);
    assert_true(list_rev >= revs[2]);
    assert_string_equal(r.keys[0], key("rawlist", "a"));
    assert_string_equal(r.keys[1], key("rawlist", "b"));
    assert_int_equal(r.revs[0], revs[0]);
    assert_int_equal(r.revs[1], revs[1]);
    assert_true(r.plain[0] && r.plain[1]);

    /* the next page after b, at the same revision, with a key written since */
    create(s, key("rawlist", "d"), "v", 0);
    memset(&r, 0, sizeof(r));
    int64_t rev2 = 0;
    assert_int_equal(api_obj_list_raw(s, prefix, list_rev, 2, key("rawlist", "b"), raw_collect, &r, &rev2, &more), 0);
    assert_int_equal(rev2, list_rev);
    assert_false(more);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.keys[0], key("rawlist", "c"));
    assert_int_equal(r.revs[0], revs[2]);

    /* everything now: a, b, c, d and no neighbour */
    memset(&r, 0, sizeof(r));
    assert_int_equal(api_obj_list_raw(s, prefix, 0, 0, NULL, raw_collect, &r, NULL, &more), 0);
    assert_int_equal(r.n, 4);
    assert_false(more);
    assert_string_equal(r.keys[3], key("rawlist", "d"));

    /* the callback stops the list: its value comes back, the outputs are untouched */
    memset(&r, 0, sizeof(r));
    r.stop_at = 2;
    list_rev = -5;
    assert_int_equal(api_obj_list_raw(s, prefix, 0, 0, NULL, raw_collect, &r, &list_rev, &more), 7);
    assert_int_equal(r.n, 1);
    assert_int_equal(list_rev, -5);

    /* bad arguments, a future revision */
    assert_int_equal(api_obj_list_raw(s, prefix, 0, 0, NULL, NULL, &r, NULL, NULL), KC_EINVALID);
    assert_int_equal(api_obj_list_raw(s, prefix, -1, 0, NULL, raw_collect, &r, NULL, NULL), KC_EINVALID);
    assert_int_equal(api_obj_list_raw(s, prefix, 0, -1, NULL, raw_collect, &r, NULL, NULL), KC_EINVALID);
    assert_int_equal(api_obj_list_raw(NULL, prefix, 0, 0, NULL, raw_collect, &r, NULL, NULL), KC_EINVALID);
    assert_int_equal(api_obj_list_raw(s, prefix, rev2 + 1000, 0, NULL, raw_collect, &r, NULL, NULL), KC_EFUTUREREV);
}

static void
test_list_compacted(void **state)
{
    (void)state;
    struct api_store *s = B->s;
    int64_t r1 = create(s, key("compact", "a"), "1", 0);
    json_t *o = obj("a", "2");
    int64_t r2 = 0;
    assert_int_equal(api_obj_update(s, key("compact", "a"), o, r1, &r2), 0);
    json_decref(o);
    assert_int_equal(api_store_compact(s, r2), 0);
    json_t *items = NULL;
    assert_int_equal(api_obj_list(s, "/t/compact/", r1, 0, NULL, &items, NULL, NULL), KC_ECOMPACTED);
    struct kvs_range_req rr = { .key = kvs_str(key("compact", "a")), .revision = r1 };
    struct kvs_resp *r = NULL;
    assert_int_equal(api_store_range(s, &rr, &r), KC_ECOMPACTED);
    /* at the compaction revision itself the data is there */
    int64_t lr = 0;
    assert_int_equal(api_obj_list(s, "/t/compact/", r2, 0, NULL, &items, &lr, NULL), 0);
    assert_int_equal(lr, r2);
    assert_int_equal(json_array_size(items), 1);
    assert_string_equal(data_v(json_array_get(items, 0)), "2");
    json_decref(items);
    /* compacting again at or below it, or in the future */
    assert_int_equal(api_store_compact(s, r2), KC_ECOMPACTED);
    assert_int_equal(api_store_compact(s, r2 + 1000), KC_EFUTUREREV);
}

static void
test_watch_order(void **state)
{
    (void)state;
    struct api_store *s = B->s;
    const char *k = key("watch", "k"), *k2 = key("watch", "k2");
    int64_t r0 = create(s, key("watch", "before"), "0", 0);
    /* events before the watch is created, from its start revision on */
    int64_t r1 = create(s, k, "v1", 0);
    char end[64];
    struct kvs_watch_req req = prefix_watch("/t/watch/", end, r1, true);
    struct api_store_watch *w = NULL;
    assert_int_equal(api_store_watch(s, &req, &w), 0);
    reg_watch(w);
    assert_true(api_store_watch_fd(w) >= 0);

    json_t *o = obj("k", "v2");
    int64_t r2 = 0, r3 = 0;
    assert_int_equal(api_obj_update(s, k, o, r1, &r2), 0);
    json_decref(o);
    assert_int_equal(api_obj_delete(s, k, r2, &r3), 0);
    int64_t r5 = create(s, k2, "w1", 0);
    create(s, "/t/watch", "outside", 0); /* outside the range */
    int64_t r6 = create(s, key("watch", "k3"), "w3", 0);

    struct ev ev[5];
    collect(w, ev, 5);
    assert_true(r0 < r1);
    assert_int_equal(ev[0].type, KVS_EVENT_PUT);
    assert_string_equal(ev[0].key, k);
    assert_int_equal(ev[0].mod_revision, r1);
    assert_false(ev[0].has_prev); /* a create: nothing before it */
    assert_non_null(strstr(ev[0].value, "v1"));
    assert_int_equal(ev[1].type, KVS_EVENT_PUT);
    assert_int_equal(ev[1].mod_revision, r2);
    assert_true(ev[1].has_prev);
    assert_non_null(strstr(ev[1].prev_value, "v1"));
    assert_non_null(strstr(ev[1].value, "v2"));
    assert_int_equal(ev[2].type, KVS_EVENT_DELETE);
    assert_string_equal(ev[2].key, k);
    assert_int_equal(ev[2].mod_revision, r3);
    assert_string_equal(ev[2].value, "");
    assert_true(ev[2].has_prev);
    assert_non_null(strstr(ev[2].prev_value, "v2"));
    assert_string_equal(ev[3].key, k2);
    assert_int_equal(ev[3].mod_revision, r5);
    assert_int_equal(ev[4].mod_revision, r6); /* "/t/watch" was skipped */

    /* nothing more is pending */
    struct kvs_watch_batch *b = NULL;
    assert_int_equal(api_store_watch_poll(w, &b), -EAGAIN);
    watch_close(w);

    /* a watch from now (0) sees only later writes */
    req = prefix_watch("/t/watch/", end, 0, false);
    assert_int_equal(api_store_watch(s, &req, &w), 0);
    reg_watch(w);
    int64_t r7 = create(s, key("watch", "k4"), "x", 0);
    collect(w, ev, 1);
    assert_int_equal(ev[0].mod_revision, r7);
    assert_false(ev[0].has_prev);
    watch_close(w);
}

static void
test_watch_compacted(void **state)
{
    (void)state;
    struct api_store *s = B->s;
    int64_t r1 = create(s, key("wcompact", "a"), "1", 0);
    int64_t r2 = create(s, key("wcompact", "b"), "2", 0);
    assert_int_equal(api_store_compact(s, r2), 0);
    char end[64];
    struct kvs_watch_req req = prefix_watch("/t/wcompact/", end, r1, false);
    struct api_store_watch *w = NULL;
    assert_int_equal(api_store_watch(s, &req, &w), 0);
    reg_watch(w);
    size_t events = 99;
    struct kvs_watch_batch *b = expect_cancel(w, &events);
    assert_int_equal(events, 0);
    assert_true(b->canceled);
    assert_int_equal(b->compact_revision, r2);
    assert_int_equal(b->cancel_err, 0);
    assert_int_equal(b->n_events, 0);
    api_store_watch_batch_free(w, b);
    assert_int_equal(api_store_watch_poll(w, &b), -ECANCELED);
    assert_int_equal(api_store_watch_poll(w, &b), -ECANCELED);
    watch_close(w);

    /* from the compaction revision itself the watch works */
    req = prefix_watch("/t/wcompact/", end, r2, false);
    assert_int_equal(api_store_watch(s, &req, &w), 0);
    reg_watch(w);
    struct ev ev[1];
    collect(w, ev, 1);
    assert_int_equal(ev[0].mod_revision, r2);
    watch_close(w);
}

static void
test_watch_bad_range(void **state)
{
    (void)state;
    struct kvs_watch_req req = { .key = kvs_str("/t/b"), .range_end = kvs_str("/t/a") };
    struct api_store_watch *w = NULL;
    assert_int_equal(api_store_watch(B->s, &req, &w), KVS_EWATCHRANGE);
    assert_null(w);
}

static void
test_watch_slow(void **state)
{
    (void)state;
    struct api_store *s = B->s;
    char end[64];
    struct kvs_watch_req req = prefix_watch("/t/slow/", end, 0, false);
    struct api_store_watch *w = NULL;
    assert_int_equal(api_store_watch(s, &req, &w), 0);
    reg_watch(w);
    for (int i = 0; i < SLOW_WRITES; i++)
        raw_put(s, key("slow", "k"), "v");
    size_t events = 0;
    struct kvs_watch_batch *b = expect_cancel(w, &events);
    assert_int_equal(b->cancel_err, -ENOBUFS);
    assert_int_equal(b->compact_revision, 0);
    assert_non_null(b->cancel_reason);
    assert_true(strlen(b->cancel_reason) > 0);
    assert_true(events <= QUEUE_LIMIT);
    api_store_watch_batch_free(w, b);
    assert_int_equal(api_store_watch_poll(w, &b), -ECANCELED);
    watch_close(w);
}

static void
test_lease(void **state)
{
    (void)state;
    struct api_store *s = B->s;
    int64_t id = 0;
    assert_int_equal(api_store_lease_grant(s, 60, &id), 0);
    assert_true(id > 0);
    const char *k = key("lease", "a"), *k2 = key("lease", "b");
    create(s, k, "1", id);
    int64_t rk2 = create(s, k2, "no lease", 0);

    struct kvs_range_req rr = { .key = kvs_str(k) };
    struct kvs_resp *r = NULL;
    assert_int_equal(api_store_range(s, &rr, &r), 0);
    assert_int_equal(r->n_kvs, 1);
    assert_int_equal(r->kvs[0].lease, id);
    api_store_resp_free(s, r);

    /* an update keeps the lease */
    json_t *o = obj("a", "2");
    assert_int_equal(api_obj_update(s, k, o, 0, NULL), 0);
    json_decref(o);
    assert_int_equal(api_store_range(s, &rr, &r), 0);
    assert_int_equal(r->kvs[0].lease, id);
    api_store_resp_free(s, r);

    /* revoke: the attached key disappears, the other stays; a watch sees the delete */
    char end[64];
    struct kvs_watch_req req = prefix_watch("/t/lease/", end, 0, false);
    struct api_store_watch *w = NULL;
    assert_int_equal(api_store_watch(s, &req, &w), 0);
    reg_watch(w);
    assert_int_equal(api_store_lease_revoke(s, id), 0);
    json_t *g = NULL;
    assert_int_equal(api_obj_get(s, k, &g, NULL), KC_ENOTFOUND);
    int64_t got = 0;
    assert_int_equal(api_obj_get(s, k2, &g, &got), 0);
    assert_int_equal(got, rk2);
    json_decref(g);
    struct ev ev[1];
    collect(w, ev, 1);
    assert_int_equal(ev[0].type, KVS_EVENT_DELETE);
    assert_string_equal(ev[0].key, k);
    watch_close(w);

    /* the lease is gone */
    assert_int_equal(api_store_lease_revoke(s, id), KC_ENOTFOUND);
    o = obj("c", "x");
    assert_int_equal(api_obj_create(s, key("lease", "c"), o, id, NULL), KC_ENOTFOUND);
    json_decref(o);
    assert_int_equal(api_obj_get(s, key("lease", "c"), &g, NULL), KC_ENOTFOUND);
    assert_int_equal(api_store_lease_grant(s, 9000000001LL, &id), KVS_ETTLTOOLARGE);
}

static void
test_watch_filters(void **state)
{
    (void)state;
    struct api_store *s = B->s;
    char end[64];
    struct kvs_watch_req req = prefix_watch("/t/filter/", end, 0, false);
    req.no_put = true;
    struct api_store_watch *w = NULL;
    assert_int_equal(api_store_watch(s, &req, &w), 0);
    reg_watch(w);
    req.no_put = false;
    req.no_delete = true;
    struct api_store_watch *w2 = NULL;
    assert_int_equal(api_store_watch(s, &req, &w2), 0);
    reg_watch(w2);
    int64_t r1 = create(s, key("filter", "a"), "1", 0), r2 = 0;
    assert_int_equal(api_obj_delete(s, key("filter", "a"), r1, &r2), 0);
    int64_t r3 = create(s, key("filter", "b"), "1", 0);
    struct ev ev[2];
    collect(w, ev, 1); /* deletes only */
    assert_int_equal(ev[0].type, KVS_EVENT_DELETE);
    assert_int_equal(ev[0].mod_revision, r2);
    collect(w2, ev, 2); /* puts only */
    assert_int_equal(ev[0].mod_revision, r1);
    assert_int_equal(ev[1].mod_revision, r3);
    assert_int_equal(ev[1].type, KVS_EVENT_PUT);
    watch_close(w);
    watch_close(w2);
}

/* Every allocation of an operation failing in turn: the operation fails cleanly (no crash, no leak: ASan and
 * LSan check) with an out-of-memory error, until it succeeds with no fault left to hit. Runs last: a fault may
 * also hit a background thread of the store. */
static int
fault_op(int op, int64_t *rev)
{
    struct api_store *s = B->s;
    json_t *o = NULL, *items = NULL;
    int rc = 0;
    switch (op) {
    case 0:
        o = obj("a", "x");
        rc = api_obj_update(s, key("fault", "a"), o, 0, rev);
        break;
    case 1:
        rc = api_obj_get(s, key("fault", "a"), &o, NULL);
        break;
    case 2:
        rc = api_obj_list(s, "/t/fault/", 0, 2, NULL, &items, NULL, NULL);
        break;
    case 3: {
        struct api_store_watch *w = NULL;
        struct kvs_watch_req req = { .key = kvs_str(key("fault", "a")), .start_revision = *rev, .prev_kv = true };
        rc = api_store_watch(s, &req, &w);
        if (rc == 0) {
            reg_watch(w);
            /* kvs_watch_poll may fail with -ENOMEM reading history; the watcher stays usable */
            struct kvs_watch_batch *b = NULL;
            int64_t deadline = now_ms() + WAIT_MS;
            int prc;
            while ((prc = api_store_watch_poll(w, &b)) != 0) {
                assert_true(prc == -EAGAIN || prc == -ENOMEM);
                assert_true(now_ms() < deadline);
                struct pollfd p = { .fd = api_store_watch_fd(w), .events = POLLIN };
                poll(&p, 1, prc == -ENOMEM ? 0 : (int)(deadline - now_ms()));
            }
            if (b->canceled)
                rc = b->cancel_err;
            else
                assert_true(b->n_events >= 1);
            api_store_watch_batch_free(w, b);
            watch_close(w);
        }
        break;
    }
    }
    json_decref(o);
    json_decref(items);
    return rc;
}

static void
test_alloc_faults(void **state)
{
    (void)state;
    int64_t rev = create(B->s, key("fault", "a"), "0", 0);
    create(B->s, key("fault", "b"), "0", 0);
    create(B->s, key("fault", "c"), "0", 0);
    for (int op = 0; op < 4; op++) {
        int n;
        for (n = 1; n < 10000; n++) {
            kc_fault_arm(KC_FAULT_ALLOC, n, 0, false);
            int rc = fault_op(op, &rev);
            long hit = kc_fault_injected(KC_FAULT_ALLOC);
            kc_fault_disarm(KC_FAULT_ALLOC);
            if (rc == 0 && hit == 0)
                break;
            /* the failure is the injected one, or (a fault in a kvs background thread) kvs's own report of it */
            if (rc != 0 && rc != -ENOMEM && rc != KC_EUNAVAILABLE)
                fail_msg("op %d, allocation %d failing: %d (%s)", op, n, rc, kc_strerror(rc));
        }
        assert_true(n > 1); /* the operation allocates through kc_malloc at all */
        assert_true(n < 10000);
    }
    /* the store still works */
    int64_t r2 = create(B->s, key("fault", "d"), "0", 0);
    assert_true(r2 > rev);
}

struct writer {
    int idx;
    int64_t revs[WRITES_EACH];
    int rc;
};

static void *
writer_main(void *arg)
{
    struct writer *wr = arg;
    for (int i = 0; i < WRITES_EACH && wr->rc == 0; i++) {
        char k[64];
        snprintf(k, sizeof(k), "/t/conc/w%d-%d", wr->idx, i);
        json_t *o = json_pack("{s:{s:s}}", "metadata", "name", k);
        wr->rc = api_obj_create(B->s, k, o, 0, &wr->revs[i]);
        json_decref(o);
    }
    return NULL;
}

static int
cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void
test_concurrent_writers(void **state)
{
    (void)state;
    struct writer wr[WRITERS];
    pthread_t th[WRITERS];
    int64_t before = 0, after = 0;
    assert_int_equal(api_store_revision(B->s, &before), 0);
    for (int i = 0; i < WRITERS; i++) {
        memset(&wr[i], 0, sizeof(wr[i]));
        wr[i].idx = i;
        assert_int_equal(pthread_create(&th[i], NULL, writer_main, &wr[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++)
        pthread_join(th[i], NULL);
    int64_t all[WRITERS * WRITES_EACH];
    for (int i = 0; i < WRITERS; i++) {
        assert_int_equal(wr[i].rc, 0);
        for (int k = 0; k < WRITES_EACH; k++) {
            all[i * WRITES_EACH + k] = wr[i].revs[k];
            if (k)
                assert_true(wr[i].revs[k] > wr[i].revs[k - 1]); /* one writer's writes are ordered */
        }
    }
    qsort(all, WRITERS * WRITES_EACH, sizeof(all[0]), cmp_i64);
    for (int i = 1; i < WRITERS * WRITES_EACH; i++)
        assert_true(all[i] > all[i - 1]);
    assert_true(all[0] > before);
    assert_int_equal(api_store_revision(B->s, &after), 0);
    assert_int_equal(after, before + WRITERS * WRITES_EACH); /* nothing else wrote: exactly one each */
    json_t *items = NULL;
    assert_int_equal(api_obj_list(B->s, "/t/conc/", 0, 0, NULL, &items, NULL, NULL), 0);
    assert_int_equal(json_array_size(items), WRITERS * WRITES_EACH);
    json_decref(items);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Remote only */

static void
test_remote_config(void **state)
{
    (void)state;
    struct api_store *s = NULL;
    char err[512];
    int dead[1];
    free_ports(dead, 1);

    /* failover: the dead first server is skipped, here and for every request */
    char servers[256];
    snprintf(servers, sizeof(servers), " http://127.0.0.1:%d , %s/ ", dead[0], B->proc.url);
    struct api_store_remote_config cfg = { .servers = servers, .timeout_ms = 5000 };
    assert_int_equal(api_store_remote(&cfg, &s, err, sizeof(err)), 0);
    reg_store(s);
    int64_t rev = create(s, key("config", "a"), "x", 0);
    json_t *g = NULL;
    assert_int_equal(api_obj_get(B->s, key("config", "a"), &g, NULL), 0);
    json_decref(g);
    int64_t cur = 0;
    assert_int_equal(api_store_revision(s, &cur), 0);
    assert_true(cur >= rev);
    char end[64];
    struct kvs_watch_req req = prefix_watch("/t/config/", end, rev, false);
    struct api_store_watch *w = NULL;
    assert_int_equal(api_store_watch(s, &req, &w), 0);
    reg_watch(w);
    struct ev ev[1];
    collect(w, ev, 1);
    assert_int_equal(ev[0].mod_revision, rev);
    watch_close(w);
    store_close(s);

    /* nothing answers */
    snprintf(servers, sizeof(servers), "http://127.0.0.1:%d", dead[0]);
    s = NULL;
    assert_int_equal(api_store_remote(&cfg, &s, err, sizeof(err)), KC_EUNAVAILABLE);
    assert_null(s);
    assert_non_null(strstr(err, "/health"));

    /* bad configurations */
    cfg = (struct api_store_remote_config){ .servers = " , " };
    assert_int_equal(api_store_remote(&cfg, &s, err, sizeof(err)), KC_EINVALID);
    cfg = (struct api_store_remote_config){ .servers = "ftp://127.0.0.1:1" };
    assert_int_equal(api_store_remote(&cfg, &s, err, sizeof(err)), KC_EINVALID);
    assert_non_null(strstr(err, "ftp://"));
    cfg = (struct api_store_remote_config){ .servers = B->proc.url, .cert_file = "/nonexistent.crt" };
    assert_int_equal(api_store_remote(&cfg, &s, err, sizeof(err)), KC_EINVALID);
    cfg = (struct api_store_remote_config){ .servers = B->proc.url, .ca_file = "/nonexistent/ca.crt" };
    assert_int_equal(api_store_remote(&cfg, &s, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "/nonexistent/ca.crt"));
    cfg = (struct api_store_remote_config){ .servers = B->proc.url, .ca_file = "/etc/hostname" };
    assert_int_equal(api_store_remote(&cfg, &s, err, sizeof(err)), KC_EINVALID); /* not PEM */
    assert_int_equal(api_store_remote(NULL, &s, err, sizeof(err)), KC_EINVALID);
    assert_null(s);
}

/* A TCP proxy on 127.0.0.1 that can drop every connection it carries, to break watch streams on demand. */
struct proxy {
    int lfd, wake[2];
    int port, target;
    pthread_t thread;
    pthread_mutex_t lock;
    bool drop, stop;
    int pairs[64][2];
    int npairs;
};

static void
pair_close(struct proxy *p, int i)
{
    close(p->pairs[i][0]);
    close(p->pairs[i][1]);
    p->pairs[i][0] = p->pairs[i][1] = -1;
}

static void *
proxy_main(void *arg)
{
    struct proxy *p = arg;
    for (;;) {
        struct pollfd fds[2 + 128];
        int map[2 + 128][2];
        int n = 0;
        fds[n++] = (struct pollfd){ .fd = p->wake[0], .events = POLLIN };
        fds[n++] = (struct pollfd){ .fd = p->lfd, .events = POLLIN };
        for (int i = 0; i < p->npairs; i++)
            for (int k = 0; k < 2; k++)
                if (p->pairs[i][k] >= 0) {
                    map[n][0] = i;
                    map[n][1] = k;
                    fds[n++] = (struct pollfd){ .fd = p->pairs[i][k], .events = POLLIN };
                }
        if (poll(fds, (nfds_t)n, -1) < 0 && errno != EINTR)
            break;
        if (fds[0].revents) {
            char c;
            while (read(p->wake[0], &c, 1) == 1) {
            }
            pthread_mutex_lock(&p->lock);
            bool drop = p->drop, stop = p->stop;
            p->drop = false;
            pthread_mutex_unlock(&p->lock);
            if (drop || stop)
                for (int i = 0; i < p->npairs; i++)
                    if (p->pairs[i][0] >= 0)
                        pair_close(p, i);
            if (stop)
                break;
            continue;
        }
        if (fds[1].revents & POLLIN) {
            int a = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);
            if (a >= 0) {
                int b = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                struct sockaddr_in sa = { .sin_family = AF_INET,
                                          .sin_port = htons((uint16_t)p->target),
                                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
                if (b < 0 || connect(b, (struct sockaddr *)&sa, sizeof(sa)) != 0 || p->npairs == 64) {
                    close(a);
                    if (b >= 0)
                        close(b);
                } else {
                    p->pairs[p->npairs][0] = a;
                    p->pairs[p->npairs][1] = b;
                    p->npairs++;
                }
            }
        }
        for (int j = 2; j < n; j++) {
            if (!fds[j].revents)
                continue;
            int i = map[j][0], k = map[j][1];
            if (p->pairs[i][k] < 0)
                continue;
            char buf[65536];
            ssize_t got = read(p->pairs[i][k], buf, sizeof(buf));
            bool ok = got > 0;
            for (ssize_t off = 0; ok && off < got;) {
                ssize_t w = send(p->pairs[i][1 - k], buf + off, (size_t)(got - off), MSG_NOSIGNAL);
                ok = w > 0;
                off += w > 0 ? w : 0;
            }
            if (!ok)
                pair_close(p, i);
        }
    }
    return NULL;
}

static void
proxy_poke(struct proxy *p, bool drop, bool stop)
{
    pthread_mutex_lock(&p->lock);
    p->drop |= drop;
    p->stop |= stop;
    pthread_mutex_unlock(&p->lock);
    char c = 1;
    ssize_t n = write(p->wake[1], &c, 1);
    (void)n;
}

static struct proxy *
proxy_new(int target)
{
    struct proxy *p = calloc(1, sizeof(*p));
    assert_non_null(p);
    p->target = target;
    pthread_mutex_init(&p->lock, NULL);
    assert_int_equal(pipe2(p->wake, O_NONBLOCK | O_CLOEXEC), 0);
    p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(p->lfd >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(bind(p->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(p->lfd, 16), 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(p->lfd, (struct sockaddr *)&a, &len), 0);
    p->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&p->thread, NULL, proxy_main, p), 0);
    reg.proxy = p;
    return p;
}

static void
proxy_free(struct proxy *p)
{
    proxy_poke(p, false, true);
    pthread_join(p->thread, NULL);
    close(p->lfd);
    close(p->wake[0]);
    close(p->wake[1]);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static void
test_watch_resume(void **state)
{
    (void)state;
    struct proxy *px = proxy_new(B->proc.port);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", px->port);
    struct api_store_remote_config cfg = { .servers = url };
    struct api_store *s = NULL;
    char err[512];
    assert_int_equal(api_store_remote(&cfg, &s, err, sizeof(err)), 0);
    reg_store(s);

    char end[64];
    struct kvs_watch_req req = prefix_watch("/t/resume/", end, 0, true);
    struct api_store_watch *w = NULL;
    assert_int_equal(api_store_watch(s, &req, &w), 0);
    reg_watch(w);
    int64_t r1 = create(B->s, key("resume", "a"), "1", 0);
    struct ev ev[3];
    collect(w, ev, 1);
    assert_int_equal(ev[0].mod_revision, r1);

    /* every connection through the proxy breaks: the watch re-creates itself from r1 + 1 */
    proxy_poke(px, true, false);
    json_t *o = obj("a", "2");
    int64_t r2 = 0;
    assert_int_equal(api_obj_update(B->s, key("resume", "a"), o, r1, &r2), 0);
    json_decref(o);
    int64_t r3 = create(B->s, key("resume", "b"), "3", 0);
    collect(w, ev, 2);
    assert_int_equal(ev[0].mod_revision, r2);
    if (!ev[0].has_prev) /* prev_kv asked again on the new stream (seen failing once under a loaded make test) */
        fail_msg("the update's event came without prev_kv: type %d key %s value %s rev %" PRId64 " (r1 %" PRId64
                 " r2 %" PRId64 " r3 %" PRId64 "); next event rev %" PRId64 " has_prev %d",
                 (int)ev[0].type, ev[0].key, ev[0].value, ev[0].mod_revision, r1, r2, r3, ev[1].mod_revision,
                 (int)ev[1].has_prev);
    assert_non_null(strstr(ev[0].prev_value, "\"1\""));
    assert_int_equal(ev[1].mod_revision, r3);
    struct kvs_watch_batch *b = NULL;
    assert_int_equal(api_store_watch_poll(w, &b), -EAGAIN);

    /* unary requests through the proxy work again too */
    int64_t r4 = create(s, key("resume", "c"), "4", 0);
    collect(w, ev, 1);
    assert_int_equal(ev[0].mod_revision, r4);
    watch_close(w);
    store_close(s);
}

/* Requests and a watch move to the second server when the first goes away mid-life. */
static void
test_failover(void **state)
{
    (void)state;
    struct proxy *px = proxy_new(B->proc.port);
    char servers[200];
    snprintf(servers, sizeof(servers), "http://127.0.0.1:%d,%s", px->port, B->proc.url);
    struct api_store_remote_config cfg = { .servers = servers };
    struct api_store *s = NULL;
    char err[512];
    assert_int_equal(api_store_remote(&cfg, &s, err, sizeof(err)), 0);
    reg_store(s);
    char end[64];
    struct kvs_watch_req req = prefix_watch("/t/failover/", end, 0, false);
    struct api_store_watch *w = NULL;
    assert_int_equal(api_store_watch(s, &req, &w), 0);
    reg_watch(w);
    int64_t r1 = create(s, key("failover", "a"), "1", 0);
    struct ev ev[2];
    collect(w, ev, 1);
    assert_int_equal(ev[0].mod_revision, r1);

    /* the first server (the proxy) is gone: connections refused from now on */
    proxy_free(px);
    reg.proxy = NULL;
    int64_t r2 = create(s, key("failover", "b"), "2", 0); /* a write: nothing was sent to the dead one */
    json_t *g = NULL;
    assert_int_equal(api_obj_get(s, key("failover", "b"), &g, NULL), 0);
    json_decref(g);
    int64_t r3 = create(s, key("failover", "c"), "3", 0);
    collect(w, ev, 2);
    assert_int_equal(ev[0].mod_revision, r2);
    assert_int_equal(ev[1].mod_revision, r3);
    watch_close(w);
    store_close(s);
}

static void
test_error_map(void **state)
{
    (void)state;
    static const struct {
        const char *msg;
        long code;
        int want;
    } rows[] = {
        { "etcdserver: mvcc: required revision has been compacted", 11, KC_ECOMPACTED },
        { "etcdserver: mvcc: required revision is a future revision", 11, KC_EFUTUREREV },
        { "etcdserver: mvcc: database space exceeded", 8, KC_ENOSPACE },
        { "etcdserver: requested lease not found", 5, KC_ENOTFOUND },
        { "etcdserver: lease already exists", 9, KC_EEXIST },
        { "etcdserver: duplicate key given in txn request", 3, KVS_EDUPKEY },
        { "etcdserver: too many operations in txn request", 3, KVS_ETOOMANYOPS },
        { "etcdserver: key is not provided", 3, KVS_EEMPTYKEY },
        { "etcdserver: key not found", 3, KVS_EKEYNOTFOUND },
        { "etcdserver: too large lease TTL", 11, KVS_ETTLTOOLARGE },
        { "etcdserver: request is too large", 3, KC_ETOOLARGE },
        { "grpc: received message larger than max (3145767 vs. 2097152)", 8, KC_ETOOLARGE },
        { "etcdserver: too many requests", 8, KC_ETOOMANY },
        { "etcdserver: server stopped", 14, KC_EUNAVAILABLE },
        { "etcdserver: no leader", 14, KC_EUNAVAILABLE },
        { "etcdserver: request timed out", 14, KC_ETIMEOUT },
        { "etcdserver: request timed out, possibly due to previous leader failure", 14, KC_ETIMEOUT },
        { "etcdserver: permission denied", 7, KC_EFORBIDDEN },
        { "etcdserver: invalid auth token", 16, KC_EUNAUTHORIZED },
        { "mvcc: watcher range is empty", 3, KVS_EWATCHRANGE },
        { "kvs: watcher queue overflow (the consumer is too slow)", 2, -ENOBUFS },
        /* unknown texts fall back on the gRPC code */
        { "something new", 8, KC_ENOSPACE },
        { "something new", 3, KC_EINVALID },
        { "something new", 5, KC_ENOTFOUND },
        { "something new", 14, KC_EUNAVAILABLE },
        { "something new", 4, KC_ETIMEOUT },
        { NULL, 9, KC_ECONFLICT },
        { "", 2, KC_EINTERNAL },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int got = api_store_remote_map_error(rows[i].msg, rows[i].code);
        if (got != rows[i].want)
            fail_msg("\"%s\" code %ld: got %d (%s), want %d (%s)", rows[i].msg ? rows[i].msg : "(null)", rows[i].code,
                     got, kc_strerror(got), rows[i].want, kc_strerror(rows[i].want));
    }
}

static void
test_watch_server_gone(void **state)
{
    (void)state;
    struct proc *p = reg_proc();
    proc_start(p, B->kind, false);
    struct api_store_remote_config cfg = { .servers = p->url, .timeout_ms = 3000 };
    struct api_store *s = reg_store(proc_connect(p, &cfg));
    char end[64];
    struct kvs_watch_req req = prefix_watch("/t/gone/", end, 0, false);
    struct api_store_watch *w = NULL;
    assert_int_equal(api_store_watch(s, &req, &w), 0);
    reg_watch(w);
    int64_t r1 = create(s, key("gone", "a"), "1", 0);
    struct ev ev[1];
    collect(w, ev, 1);
    assert_int_equal(ev[0].mod_revision, r1);

    proc_stop(p);
    size_t events = 0;
    struct kvs_watch_batch *b = expect_cancel(w, &events);
    assert_int_equal(events, 0);
    assert_int_equal(b->cancel_err, KC_EUNAVAILABLE);
    assert_int_equal(b->compact_revision, 0);
    api_store_watch_batch_free(w, b);
    assert_int_equal(api_store_watch_poll(w, &b), -ECANCELED);
    watch_close(w);

    json_t *g = NULL;
    assert_int_equal(api_obj_get(s, key("gone", "a"), &g, NULL), KC_EUNAVAILABLE);
    json_t *o = obj("b", "x");
    assert_int_equal(api_obj_create(s, key("gone", "b"), o, 0, NULL), KC_EUNAVAILABLE);
    json_decref(o);
    struct api_store_watch *w2 = NULL;
    assert_int_equal(api_store_watch(s, &req, &w2), KC_EUNAVAILABLE);
    store_close(s);
}

static void
test_tls(void **state)
{
    (void)state;
    struct proc *p = reg_proc();
    proc_start(p, B->kind, true);
    char ca[300], cert[300], keyf[300], other[300], err[512];
    snprintf(ca, sizeof(ca), "%s/ca.crt", p->dir);
    snprintf(cert, sizeof(cert), "%s/client.crt", p->dir);
    snprintf(keyf, sizeof(keyf), "%s/client.key", p->dir);
    snprintf(other, sizeof(other), "%s/other-ca.crt", p->dir);
    struct api_store_remote_config cfg = { .servers = p->url, .ca_file = ca, .cert_file = cert, .key_file = keyf };
    struct api_store *s = reg_store(proc_connect(p, &cfg));

    int64_t rev = create(s, key("tls", "a"), "secure", 0);
    json_t *g = NULL;
    int64_t got = 0;
    assert_int_equal(api_obj_get(s, key("tls", "a"), &g, &got), 0);
    assert_int_equal(got, rev);
    assert_string_equal(data_v(g), "secure");
    json_decref(g);
    char end[64];
    struct kvs_watch_req req = prefix_watch("/t/tls/", end, rev, false);
    struct api_store_watch *w = NULL;
    assert_int_equal(api_store_watch(s, &req, &w), 0);
    reg_watch(w);
    int64_t rev2 = create(s, key("tls", "b"), "2", 0);
    struct ev ev[2];
    collect(w, ev, 2);
    assert_int_equal(ev[0].mod_revision, rev);
    assert_int_equal(ev[1].mod_revision, rev2);
    watch_close(w);

    /* without a client certificate the server refuses us; trusting another CA, we refuse the server */
    struct api_store *s2 = NULL;
    struct api_store_remote_config nocert = { .servers = p->url, .ca_file = ca };
    assert_int_equal(api_store_remote(&nocert, &s2, err, sizeof(err)), KC_EUNAVAILABLE);
    assert_null(s2);
    struct api_store_remote_config wrongca = {
        .servers = p->url, .ca_file = other, .cert_file = cert, .key_file = keyf
    };
    assert_int_equal(api_store_remote(&wrongca, &s2, err, sizeof(err)), KC_EUNAVAILABLE);
    assert_null(s2);
    assert_non_null(strstr(err, "certificate"));
    /* plain http to a TLS port: no etcd answer */
    char http_url[96];
    snprintf(http_url, sizeof(http_url), "http://127.0.0.1:%d", p->port);
    struct api_store_remote_config plain = { .servers = http_url };
    assert_int_equal(api_store_remote(&plain, &s2, err, sizeof(err)), KC_EUNAVAILABLE);
    assert_null(s2);
    store_close(s);
}

/* ---------------------------------------------------------------------------------------------------------- */

#define T(f) cmocka_unit_test_teardown(f, test_teardown)
#define COMMON_TESTS                                                                                   \
    T(test_obj_crud), T(test_obj_bad_input), T(test_txn_errors), T(test_revision), T(test_list_pages), \
        T(test_list_raw), T(test_list_compacted), T(test_watch_order), T(test_watch_compacted),        \
        T(test_watch_bad_range), T(test_watch_slow), T(test_watch_filters), T(test_lease), T(test_concurrent_writers)
#define REMOTE_TESTS \
    T(test_remote_config), T(test_failover), T(test_watch_resume), T(test_watch_server_gone), T(test_tls)

static bool
executable(const char *path)
{
    return path && *path && access(path, X_OK) == 0;
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    kc_log_init_from_env();
    api_store_remote_set_queue_limit(QUEUE_LIMIT, 0);
    const struct CMUnitTest embedded[] = { COMMON_TESTS, cmocka_unit_test(test_error_map), T(test_alloc_faults) };
    const struct CMUnitTest remote[] = { COMMON_TESTS, REMOTE_TESTS, T(test_alloc_faults) };
    int failed = cmocka_run_group_tests_name("embedded", embedded, setup_embedded, teardown_embedded);
    if (executable(ETCD_BIN))
        failed += cmocka_run_group_tests_name("etcd", remote, setup_etcd, teardown_remote);
    else
        print_message("SKIP etcd backend: %s not found\n", ETCD_BIN);
    const char *bin = getenv("K8C_BIN");
    if (executable(bin))
        failed += cmocka_run_group_tests_name("k8c_kvstore", remote, setup_k8c, teardown_remote);
    else
        print_message("SKIP k8c kvstore backend: K8C_BIN is %s%s%s (set it to the k8c binary)\n", bin ? "\"" : "unset",
                      bin ? bin : "", bin ? "\" (not executable)" : "");
    return failed;
}
