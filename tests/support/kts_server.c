/* kts_server.c - the h2o test server: one evloop thread, TLS, path handlers, cross-thread calls, streams.
 *
 * Everything h2o touches runs on the server thread; other threads reach it only through kts_server_call()
 * (an h2o multithread message plus a condition variable). Shutdown ends the open streams, closes the listener
 * and keeps the loop running until the clients' connections have closed, so that nothing is left for
 * LeakSanitizer to report.
 */
#include "kts_server.h"
#include "kc_httpd.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct route {
    h2o_handler_t super; /* first: h2o hands us this pointer */
    kts_handler_fn fn;
    void *arg;
};

struct kts_server {
    h2o_globalconf_t cfg;
    h2o_hostconf_t *host;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_evloop_t *loop;
    h2o_socket_t *listener;
    SSL_CTX *ssl;
    h2o_multithread_receiver_t receiver;
    pthread_t thread;
    bool started;        /* the thread runs (or ran) */
    atomic_bool running; /* kts_server_call is allowed */
    bool stopping;       /* server thread only */
    int port;
    char url[64];
    atomic_long accepted;
    atomic_long open;
    pthread_mutex_t mu; /* with cond: completion of kts_server_call messages */
    pthread_cond_t cond;
    struct kts_stream *streams; /* every stream ever started (server thread only) */
};

struct call {
    h2o_multithread_message_t super;
    void (*fn)(void *arg);
    void *arg;
    bool done;
};

struct gen {
    h2o_generator_t super; /* first: h2o hands us this pointer */
    struct kts_stream *st;
};

struct kts_stream {
    struct kts_stream *next;
    struct kts_server *srv;
    h2o_req_t *req; /* NULL once the request's pool is gone */
    struct gen *gen;
    char *pending, *inflight; /* bytes queued / bytes h2o is sending (untouched until proceed) */
    size_t pending_len, pending_cap, inflight_cap;
    bool sending;  /* an h2o_send is outstanding */
    bool end;      /* kts_stream_end was called */
    bool finished; /* the final h2o_send was made */
    bool gone;     /* h2o called stop */
};

static uint64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
on_req(h2o_handler_t *self, h2o_req_t *req)
{
    struct route *r = (struct route *)self;
    return r->fn(r->arg, req);
}

int
kts_server_new(const struct kts_server_opts *opts, struct kts_server **out)
{
    struct kc_pki_cert cert = { 0 }, ca = { 0 };
    struct kts_server *srv;

    if (!opts || !opts->cert_pem || !opts->key_pem)
        return -EINVAL;
    if (kc_pki_cert_from_pem(opts->cert_pem, 0, opts->key_pem, 0, &cert))
        return -EINVAL;
    if (opts->client_ca_pem && kc_pki_cert_from_pem(opts->client_ca_pem, 0, NULL, 0, &ca)) {
        kc_pki_cert_close(&cert);
        return -EINVAL;
    }
    if (!(srv = calloc(1, sizeof(*srv)))) {
        kc_pki_cert_close(&cert);
        kc_pki_cert_close(&ca);
        return -ENOMEM;
    }
    pthread_mutex_init(&srv->mu, NULL);
    pthread_cond_init(&srv->cond, NULL);

    SSL_CTX *ssl = SSL_CTX_new(TLS_server_method());
    int ok = ssl && SSL_CTX_set_min_proto_version(ssl, TLS1_2_VERSION) && SSL_CTX_use_certificate(ssl, cert.x509) &&
             SSL_CTX_use_PrivateKey(ssl, cert.key) && SSL_CTX_check_private_key(ssl) && kts_tls_peer_setup(ssl) == 0;
    if (ok && ca.x509) {
        /* Ask for a certificate, verify one if sent, accept the connection without one (kube-apiserver's way);
         * the CA list in the request lets Go clients pick their certificate. */
        ok = X509_STORE_add_cert(SSL_CTX_get_cert_store(ssl), ca.x509) && SSL_CTX_add_client_CA(ssl, ca.x509) &&
             SSL_CTX_set_session_id_context(ssl, (const unsigned char *)"kts", 3);
        SSL_CTX_set_verify(ssl, SSL_VERIFY_PEER, NULL);
    }
    kc_pki_cert_close(&cert);
    kc_pki_cert_close(&ca);
    if (!ok) {
        ERR_clear_error();
        SSL_CTX_free(ssl);
        pthread_mutex_destroy(&srv->mu);
        pthread_cond_destroy(&srv->cond);
        free(srv);
        return -EINVAL;
    }
    /* ALPN: h2 (and its drafts) then http/1.1, the server picking in that order; or http/1.1 alone. */
    static const h2o_iovec_t http1_alpn[] = { { H2O_STRLIT("http/1.1") }, { NULL, 0 } };
    h2o_ssl_register_alpn_protocols(ssl, opts->http1_only ? http1_alpn : h2o_alpn_protocols);
    srv->ssl = ssl;

    h2o_config_init(&srv->cfg);
    srv->cfg.max_request_entity_size = opts->max_request_body ? opts->max_request_body : KTS_MAX_REQUEST_BODY;
    srv->host = h2o_config_register_host(&srv->cfg, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    *out = srv;
    return 0;
}

int
kts_server_route(struct kts_server *srv, const char *prefix, kts_handler_fn fn, void *arg)
{
    if (srv->started)
        return -EBUSY;
    h2o_pathconf_t *pc = h2o_config_register_path(srv->host, prefix, 0);
    struct route *r = (struct route *)h2o_create_handler(pc, sizeof(*r));
    r->super.on_req = on_req;
    r->fn = fn;
    r->arg = arg;
    return 0;
}

static void
on_sock_close(void *data)
{
    struct kts_server *srv = data;
    atomic_fetch_sub(&srv->open, 1);
}

static void
on_accept(h2o_socket_t *listener, const char *err)
{
    struct kts_server *srv = listener->data;
    h2o_socket_t *sock;
    if (err)
        return;
    while ((sock = h2o_evloop_socket_accept(listener)) != NULL) {
        atomic_fetch_add(&srv->accepted, 1);
        atomic_fetch_add(&srv->open, 1);
        sock->on_close.cb = on_sock_close;
        sock->on_close.data = srv;
        h2o_accept(&srv->accept_ctx, sock);
    }
}

static void
on_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    struct kts_server *srv = H2O_STRUCT_FROM_MEMBER(struct kts_server, receiver, receiver);
    while (!h2o_linklist_is_empty(messages)) {
        struct call *c = H2O_STRUCT_FROM_MEMBER(struct call, super.link, messages->next);
        h2o_linklist_unlink(&c->super.link);
        c->fn(c->arg);
        pthread_mutex_lock(&srv->mu);
        c->done = true; /* the caller may return (and free c) as soon as the lock is released */
        pthread_cond_broadcast(&srv->cond);
        pthread_mutex_unlock(&srv->mu);
    }
}

static void *
server_main(void *arg)
{
    struct kts_server *srv = arg;
    /* h2o 2.2.5 writes with writev(): a client that went away would raise SIGPIPE. The signal goes to the
     * writing thread, so blocking it here turns it into EPIPE without touching the rest of the process. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    while (!srv->stopping)
        h2o_evloop_run(srv->loop, INT32_MAX); /* -1 with EINTR: just go round */
    uint64_t deadline = now_ms() + KTS_DRAIN_MS;
    while (atomic_load(&srv->open) > 0 && now_ms() < deadline)
        h2o_evloop_run(srv->loop, 10);
    if (atomic_load(&srv->open) > 0)
        fprintf(stderr, "kts_server: %ld connection(s) still open after %d ms; were the clients closed first?\n",
                atomic_load(&srv->open), KTS_DRAIN_MS);
    return NULL;
}

int
kts_server_start(struct kts_server *srv)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t salen = sizeof(sa);
    int fd, one = 1, err;

    if (srv->started)
        return -EBUSY;
    if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
        return -errno;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 || bind(fd, (void *)&sa, sizeof(sa)) < 0 ||
        listen(fd, 128) < 0 || getsockname(fd, (void *)&sa, &salen) < 0) {
        err = -errno;
        close(fd);
        return err;
    }
    srv->port = ntohs(sa.sin_port);
    snprintf(srv->url, sizeof(srv->url), "https://127.0.0.1:%d", srv->port);

    srv->loop = h2o_evloop_create();
    h2o_context_init(&srv->ctx, srv->loop, &srv->cfg);
    srv->accept_ctx.ctx = &srv->ctx;
    srv->accept_ctx.hosts = srv->cfg.hosts;
    srv->accept_ctx.ssl_ctx = srv->ssl;
    h2o_multithread_register_receiver(srv->ctx.queue, &srv->receiver, on_messages);
    srv->listener = h2o_evloop_socket_create(srv->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    srv->listener->data = srv;
    h2o_socket_read_start(srv->listener, on_accept);

    srv->started = true;
    atomic_store(&srv->running, true);
    if ((err = pthread_create(&srv->thread, NULL, server_main, srv)) != 0) {
        srv->started = false;
        atomic_store(&srv->running, false);
        return -err; /* kts_server_free() cleans up the loop */
    }
    return 0;
}

int
kts_server_port(const struct kts_server *srv)
{
    return srv->port;
}

const char *
kts_server_url(const struct kts_server *srv)
{
    return srv->url;
}

long
kts_server_accepted(const struct kts_server *srv)
{
    return atomic_load(&((struct kts_server *)srv)->accepted);
}

long
kts_server_open_connections(const struct kts_server *srv)
{
    return atomic_load(&((struct kts_server *)srv)->open);
}

int
kts_server_call(struct kts_server *srv, void (*fn)(void *arg), void *arg)
{
    struct call c = { .fn = fn, .arg = arg };
    if (!atomic_load(&srv->running))
        return -ESHUTDOWN;
    h2o_multithread_send_message(&srv->receiver, &c.super);
    pthread_mutex_lock(&srv->mu);
    while (!c.done)
        pthread_cond_wait(&srv->cond, &srv->mu);
    pthread_mutex_unlock(&srv->mu);
    return 0;
}

static void stream_flush(struct kts_stream *st);

static void
begin_stop(void *arg)
{
    struct kts_server *srv = arg;
    srv->stopping = true;
    h2o_context_request_shutdown(&srv->ctx);
    /* Open streams would hold their connections (and h2o notices a departed HTTP/1.1 client only on a write). */
    for (struct kts_stream *st = srv->streams; st; st = st->next)
        if (!st->end) {
            st->end = true;
            stream_flush(st);
        }
    h2o_socket_read_stop(srv->listener);
    h2o_socket_close(srv->listener);
    srv->listener = NULL;
}

void
kts_server_free(struct kts_server *srv)
{
    if (!srv)
        return;
    if (srv->started) {
        kts_server_call(srv, begin_stop, srv);
        atomic_store(&srv->running, false);
        pthread_join(srv->thread, NULL);
    }
    if (srv->loop) {
        if (srv->listener)
            h2o_socket_close(srv->listener);
        h2o_evloop_run(srv->loop, 0); /* frees the sockets closed above */
        h2o_multithread_unregister_receiver(srv->ctx.queue, &srv->receiver);
        if (atomic_load(&srv->open) == 0) {
            /* HTTP/2's graceful-shutdown timer stays linked with no connection left; h2o_context_dispose
             * asserts on linked timers. */
            if (h2o_timeout_is_linked(&srv->ctx.http2._graceful_shutdown_timeout))
                h2o_timeout_unlink(&srv->ctx.http2._graceful_shutdown_timeout);
            h2o_context_dispose(&srv->ctx);
            h2o_evloop_destroy(srv->loop);
        }
        /* else: h2o 2.2.5 cannot close the connections it still owns from outside, and disposing the context
         * under them would crash; the loop is left to the process (server_main reported it). */
    }
    h2o_config_dispose(&srv->cfg);
    SSL_CTX_free(srv->ssl);
    while (srv->streams) {
        struct kts_stream *st = srv->streams;
        srv->streams = st->next;
        free(st->pending);
        free(st->inflight);
        free(st);
    }
    pthread_mutex_destroy(&srv->mu);
    pthread_cond_destroy(&srv->cond);
    free(srv);
}

/* --- request helpers --- */

void
kts_add_header(h2o_req_t *req, const char *name, const char *value)
{
    size_t nl = strlen(name);
    h2o_iovec_t n = h2o_strdup(&req->pool, name, nl);
    for (size_t i = 0; i < nl; i++) /* HTTP/2 allows only lowercase names; h2o looks tokens up in lowercase */
        n.base[i] = (char)tolower((unsigned char)n.base[i]);
    h2o_iovec_t v = h2o_strdup(&req->pool, value, strlen(value));
    h2o_add_header_by_str(&req->pool, &req->res.headers, n.base, n.len, 1, NULL, v.base, v.len);
}

void
kts_respond(h2o_req_t *req, int status, const char *content_type, const void *body, size_t len)
{
    req->res.status = status;
    req->res.reason = kc_httpd_reason_phrase(status);
    if (content_type)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                       h2o_strdup(&req->pool, content_type, strlen(content_type)).base, strlen(content_type));
    /* Always a Content-Length: without it h2o closes HTTP/1.1 connections after non-200 answers. */
    req->res.content_length = len;
    h2o_iovec_t copy = h2o_strdup(&req->pool, body ? body : "", len);
    h2o_send_inline(req, copy.base, copy.len);
}

const char *
kts_req_header(h2o_req_t *req, const char *name)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, name, strlen(name), -1);
    if (i < 0)
        return NULL;
    h2o_iovec_t v = req->headers.entries[i].value;
    return h2o_strdup(&req->pool, v.base, v.len).base;
}

const char *
kts_req_path(h2o_req_t *req)
{
    return h2o_strdup(&req->pool, req->path.base, req->path.len).base;
}

const char *
kts_req_query(h2o_req_t *req)
{
    if (req->query_at == SIZE_MAX)
        return "";
    return h2o_strdup(&req->pool, req->path.base + req->query_at + 1, req->path.len - req->query_at - 1).base;
}

const char *
kts_req_protocol(h2o_req_t *req)
{
    return req->version >= 0x200 ? "HTTP/2" : req->version == 0x101 ? "HTTP/1.1" : "HTTP/1.0";
}

const struct kc_pki_identity *
kts_req_identity(h2o_req_t *req)
{
    h2o_socket_t *sock = req->conn->callbacks->get_socket ? req->conn->callbacks->get_socket(req->conn) : NULL;
    return sock ? kts_tls_peer_identity(sock) : NULL;
}

/* --- streams --- */

static void
stream_flush(struct kts_stream *st)
{
    if (!st->req || st->gone || st->sending || st->finished)
        return;
    if (st->pending_len == 0 && !st->end)
        return;
    /* Swap the buffers: h2o owns the in-flight bytes until it calls proceed. */
    char *b = st->inflight;
    size_t cap = st->inflight_cap;
    st->inflight = st->pending;
    st->inflight_cap = st->pending_cap;
    st->pending = b;
    st->pending_cap = cap;
    h2o_iovec_t iov = h2o_iovec_init(st->inflight, st->pending_len);
    st->pending_len = 0;
    h2o_send_state_t state = st->end ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS;
    if (state == H2O_SEND_STATE_FINAL)
        st->finished = true;
    else
        st->sending = true;
    h2o_send(st->req, &iov, iov.len ? 1 : 0, state);
}

static void
gen_proceed(h2o_generator_t *self, h2o_req_t *req)
{
    (void)req;
    struct kts_stream *st = ((struct gen *)self)->st;
    st->sending = false;
    stream_flush(st);
}

static void
gen_stop(h2o_generator_t *self, h2o_req_t *req)
{
    (void)req;
    struct kts_stream *st = ((struct gen *)self)->st;
    st->gone = true;
}

static void
gen_dispose(void *p)
{
    struct gen *g = p;
    if (g->st) {
        g->st->req = NULL;
        g->st->gen = NULL;
    }
}

struct kts_stream *
kts_stream_start(h2o_req_t *req, int status, const char *content_type)
{
    struct kts_server *srv = H2O_STRUCT_FROM_MEMBER(struct kts_server, ctx, req->conn->ctx);
    struct kts_stream *st = calloc(1, sizeof(*st));
    if (!st)
        return NULL;
    struct gen *g = h2o_mem_alloc_shared(&req->pool, sizeof(*g), gen_dispose);
    g->super.proceed = gen_proceed;
    g->super.stop = gen_stop;
    g->st = st;
    st->srv = srv;
    st->req = req;
    st->gen = g;
    st->next = srv->streams;
    srv->streams = st;
    req->res.status = status;
    req->res.reason = kc_httpd_reason_phrase(status);
    if (content_type)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                       h2o_strdup(&req->pool, content_type, strlen(content_type)).base, strlen(content_type));
    h2o_start_response(req, &g->super);
    return st;
}

int
kts_stream_write(struct kts_stream *st, const void *data, size_t len)
{
    if (!st->req || st->gone || st->end)
        return -EPIPE;
    if (st->pending_len + len > st->pending_cap) {
        size_t cap = st->pending_cap ? st->pending_cap : 4096;
        while (cap < st->pending_len + len)
            cap *= 2;
        char *nb = realloc(st->pending, cap);
        if (!nb)
            return -ENOMEM;
        st->pending = nb;
        st->pending_cap = cap;
    }
    memcpy(st->pending + st->pending_len, data, len);
    st->pending_len += len;
    stream_flush(st);
    return 0;
}

void
kts_stream_end(struct kts_stream *st)
{
    if (st->end)
        return;
    st->end = true;
    stream_flush(st);
}

bool
kts_stream_client_gone(const struct kts_stream *st)
{
    return st->gone || !st->req;
}
