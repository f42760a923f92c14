/* httpd.c - kc_httpd on h2o 2.2.5: loop threads sharing one listening socket (each connection served by the loop
 * with the fewest), routes as h2o handlers, deferred work on a worker pool, streaming generators with a bounded
 * double buffer, bodies sent from the caller's buffer a slice at a time, cross-thread posts and timers. */
#include "kc_httpd.h"
#include "httpd_internal.h"
#include "kc_error.h"
#include "kc_jarena.h"
#include "kc_log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct route {
    h2o_handler_t super; /* first: h2o calls on_req with it */
    kc_httpd_handler_fn fn;
    void *arg;
};

/* Every message a loop receives starts with this header; kind says which struct it is. */
enum msg_kind { MSG_WORK_DONE, MSG_POST, MSG_WAKE, MSG_RESUME, MSG_ADOPT };

struct loop_msg {
    h2o_multithread_message_t super; /* first: h2o links it */
    enum msg_kind kind;
};

/* A connection accepted on one loop for another (on_accept). */
struct adopt_msg {
    struct loop_msg m; /* first */
    kc_httpd_loop *loop;
    int fd;
};

struct work_item {
    struct loop_msg m;      /* first: posted back to the loop when the work is done */
    struct work_item *next; /* worker queue link */
    kc_httpd_loop *loop;
    kc_httpd_req *req; /* NULL once the request is gone */
    struct req_guard *guard;
    void (*work)(void *arg);
    void (*done)(kc_httpd_req *req, void *arg);
    void *arg;
    void (*take)(kc_httpd_req *req, void *arg); /* kc_httpd_defer_take: answers instead of done */
    void *take_arg;
};

/* The work item whose work function runs on this worker thread (for kc_httpd_defer_take). */
static __thread struct work_item *current_work;

/* Lives in the request's pool: its dispose tells a pending work item that the request is gone. */
struct req_guard {
    struct work_item *item;
};

struct post_msg {
    struct loop_msg m; /* first */
    void (*fn)(void *arg);
    void *arg;
};

struct kc_httpd_stream {
    h2o_generator_t super; /* first: h2o calls proceed/stop with it */
    h2o_req_t *r;
    kc_httpd_loop *loop;
    h2o_linklist_t link; /* in loop->streams while open */
    char *pending, *inflight;
    size_t plen, pcap, ilen, icap;
    size_t max_pending;
    bool sending;    /* an h2o_send is outstanding */
    bool ended;      /* kc_httpd_stream_end called */
    bool final_sent; /* the FINAL send went out */
    bool gone;       /* client left (stop) */
    bool closed;     /* on_close ran */
    void (*on_close)(void *arg);
    void (*on_drain)(void *arg); /* kc_httpd_stream_on_drain */
    void *arg;
};

static kc_httpd_loop *
loop_of_ctx(h2o_context_t *ctx)
{
    return H2O_STRUCT_FROM_MEMBER(kc_httpd_loop, ctx, ctx);
}

/* Sends m to loop unless the loop has stopped taking messages. Returns 0 or -EPIPE. */
static int
loop_send(kc_httpd_loop *loop, struct loop_msg *m)
{
    int rc = -EPIPE;
    pthread_rwlock_rdlock(&loop->alive_lock);
    if (loop->alive) {
        h2o_multithread_send_message(&loop->recv, &m->super);
        rc = 0;
    }
    pthread_rwlock_unlock(&loop->alive_lock);
    return rc;
}

/* --- requests --- */

static int
on_req(h2o_handler_t *self, h2o_req_t *r)
{
    struct route *route = (struct route *)self;
    kc_httpd_req *req = h2o_mem_alloc_pool(&r->pool, sizeof(*req));

    memset(req, 0, sizeof(*req));
    req->r = r;
    req->loop = loop_of_ctx(r->conn->ctx);
    return route->fn(req, route->arg);
}

const char *
kc_httpd_req_method(const kc_httpd_req *req, size_t *len)
{
    *len = req->r->method.len;
    return req->r->method.base;
}

bool
kc_httpd_req_method_is(const kc_httpd_req *req, const char *method)
{
    return h2o_memis(req->r->method.base, req->r->method.len, method, strlen(method));
}

const char *
kc_httpd_req_path(const kc_httpd_req *req, size_t *len)
{
    const h2o_req_t *r = req->r;
    *len = r->query_at == SIZE_MAX ? r->path.len : r->query_at;
    return r->path.base;
}

const char *
kc_httpd_req_query(const kc_httpd_req *req, size_t *len)
{
    const h2o_req_t *r = req->r;
    if (r->query_at == SIZE_MAX) {
        *len = 0;
        return "";
    }
    *len = r->path.len - r->query_at - 1;
    return r->path.base + r->query_at + 1;
}

const char *
kc_httpd_req_body(const kc_httpd_req *req, size_t *len)
{
    *len = req->r->entity.base ? req->r->entity.len : 0;
    return req->r->entity.base;
}

const char *
kc_httpd_req_header(const kc_httpd_req *req, const char *name, size_t *len)
{
    ssize_t i = h2o_find_header_by_str(&req->r->headers, name, strlen(name), -1);
    if (i < 0)
        return NULL;
    if (len)
        *len = req->r->headers.entries[i].value.len;
    return req->r->headers.entries[i].value.base;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..len) into out (room for len + 1 bytes), '+' as a space as Go's url.ParseQuery does; a
 * malformed escape is kept as written. Returns the decoded length. */
static size_t
url_decode(const char *s, size_t len, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out[n++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            out[n++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    out[n] = '\0';
    return n;
}

const char *
kc_httpd_req_param(kc_httpd_req *req, const char *name, int index)
{
    size_t qlen, nlen = strlen(name);
    const char *q = kc_httpd_req_query(req, &qlen), *end = q + qlen;

    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *pend = amp ? amp : end;
        const char *eq = memchr(q, '=', (size_t)(pend - q));
        const char *kend = eq ? eq : pend;
        char *key = h2o_mem_alloc_pool(&req->r->pool, (size_t)(kend - q) + 1);
        size_t klen = url_decode(q, (size_t)(kend - q), key);
        if (klen == nlen && memcmp(key, name, nlen) == 0 && index-- == 0) {
            const char *v = eq ? eq + 1 : pend;
            char *val = h2o_mem_alloc_pool(&req->r->pool, (size_t)(pend - v) + 1);
            url_decode(v, (size_t)(pend - v), val);
            return val;
        }
        q = pend + 1;
    }
    return NULL;
}

const struct kc_httpd_peer *
kc_httpd_req_peer(kc_httpd_req *req)
{
    h2o_conn_t *conn = req->r->conn;
    h2o_socket_t *sock = conn->callbacks->get_socket ? conn->callbacks->get_socket(conn) : NULL;
    return sock ? kc_httpd_peer_from_socket(sock) : NULL;
}

const char *
kc_httpd_req_protocol(const kc_httpd_req *req)
{
    return req->r->version >= 0x200 ? "h2" : "http/1.1";
}

kc_httpd_loop *
kc_httpd_req_loop(const kc_httpd_req *req)
{
    return req->loop;
}

/* --- replies --- */

/* h2o 2.2.5 writes what res.reason holds, and "HTTP/1.1 201 " with none, which some clients' parsers take for a
 * response without a status (h2load counts every such reply as failed). HTTP/2 has no reason phrase. */
const char *
kc_httpd_reason_phrase(int status)
{
    switch (status) {
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Request Entity Too Large";
    case 414:
        return "Request URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Requested Range Not Satisfiable";
    case 417:
        return "Expectation Failed";
    case 422:
        return "Unprocessable Entity";
    case 425:
        return "Too Early";
    case 426:
        return "Upgrade Required";
    case 428:
        return "Precondition Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "";
    }
}

void
kc_httpd_add_header(kc_httpd_req *req, const char *name, const char *value)
{
    h2o_iovec_t n = h2o_strdup(&req->r->pool, name, strlen(name));
    h2o_strtolower(n.base, n.len); /* HTTP/2 forbids upper-case field names (RFC 9113 8.2.1): "Warning" → "warning" */
    h2o_iovec_t v = h2o_strdup(&req->r->pool, value, strlen(value));
    h2o_add_header_by_str(&req->r->pool, &req->r->res.headers, n.base, n.len, 1, NULL, v.base, v.len);
}

void
kc_httpd_reply(kc_httpd_req *req, int status, const char *ctype, const char *body, size_t len)
{
    h2o_req_t *r = req->r;
    r->res.status = status;
    r->res.reason = kc_httpd_reason_phrase(status);
    if (ctype)
        h2o_add_header(&r->pool, &r->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ctype, strlen(ctype));
    r->res.content_length = len;
    h2o_iovec_t copy = h2o_strdup(&r->pool, body ? body : "", len);
    h2o_send_inline(r, copy.base, copy.len);
}

void
kc_httpd_reply_json(kc_httpd_req *req, int status, const json_t *v, bool nl)
{
    char *text = kc_jarena_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text) {
        static const char oom[] = "{\"error\":\"out of memory\"}";
        kc_httpd_reply(req, 500, "application/json", oom, sizeof(oom) - 1);
        return;
    }
    size_t len = strlen(text);
    h2o_iovec_t body = h2o_strdup(&req->r->pool, text, len + 1);
    free(text);
    if (nl)
        body.base[len++] = '\n';
    kc_httpd_reply(req, status, "application/json", body.base, len);
}

/* --- replies that own their body --- */

/* A body handed over by kc_httpd_reply_take/lend, sent a slice at a time: h2o's HTTP/1.1 TLS path encrypts all it
 * is given into fresh records at once and HTTP/2 frames it into the connection's buffer, so one h2o_send of 50 MB
 * would need 50 MB more; a slice at a time reuses the same few hundred KiB. It lives in the request's pool: its
 * dispose (the response sent, the client gone, the connection closed) releases the body, never earlier, because
 * h2o may read a slice until it calls proceed or disposes the request. */
struct owned_body {
    h2o_generator_t super; /* first: h2o calls proceed/stop with it */
    const char *body;
    size_t len, off;
    void (*release)(void *arg);
    void *arg;
};

static void
owned_send_next(struct owned_body *ob, h2o_req_t *r)
{
    size_t n = ob->len - ob->off;
    if (n > KC_HTTPD_SLICE)
        n = KC_HTTPD_SLICE;
    h2o_iovec_t iov = h2o_iovec_init(ob->body + ob->off, n);
    ob->off += n;
    h2o_send(r, &iov, n ? 1 : 0, ob->off == ob->len ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

static void
owned_proceed(h2o_generator_t *gen, h2o_req_t *r)
{
    owned_send_next((struct owned_body *)gen, r);
}

static void
owned_stop(h2o_generator_t *gen, h2o_req_t *r)
{
    (void)gen; /* the client left: nothing more is sent; the body goes with the pool (owned_dispose) */
    (void)r;
}

static void
owned_dispose(void *p)
{
    struct owned_body *ob = p;
    if (ob->release)
        ob->release(ob->arg);
    ob->release = NULL;
}

static void
free_body(void *body)
{
    free(body);
}

void
kc_httpd_reply_lend(kc_httpd_req *req, int status, const char *ctype, const char *body, size_t len,
                    void (*release)(void *arg), void *arg)
{
    h2o_req_t *r = req->r;
    struct owned_body *ob = h2o_mem_alloc_shared(&r->pool, sizeof(*ob), owned_dispose);
    memset(ob, 0, sizeof(*ob));
    ob->super.proceed = owned_proceed;
    ob->super.stop = owned_stop;
    ob->body = body ? body : "";
    ob->len = body ? len : 0;
    ob->release = release;
    ob->arg = arg;
    r->res.status = status;
    r->res.reason = kc_httpd_reason_phrase(status);
    if (ctype)
        h2o_add_header(&r->pool, &r->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ctype, strlen(ctype));
    r->res.content_length = ob->len;
    h2o_start_response(r, &ob->super);
    if (h2o_memis(r->input.method.base, r->input.method.len, H2O_STRLIT("HEAD"))) {
        /* the headers say how long the body is; the body is not sent (as h2o_send_inline does) */
        ob->off = ob->len;
        h2o_send(r, NULL, 0, H2O_SEND_STATE_FINAL);
        return;
    }
    owned_send_next(ob, r);
}

void
kc_httpd_reply_take(kc_httpd_req *req, int status, const char *ctype, char *body, size_t len)
{
    kc_httpd_reply_lend(req, status, ctype, body, len, body ? free_body : NULL, body);
}

/* --- deferred work --- */

static void
guard_dispose(void *p)
{
    struct req_guard *g = p;
    if (g->item)
        g->item->req = NULL;
}

static void
work_finish(struct work_item *it)
{
    kc_httpd_req *req = it->req;
    if (req)
        it->guard->item = NULL;
    __atomic_sub_fetch(&it->loop->inflight, 1, __ATOMIC_SEQ_CST);
    if (it->take) {
        it->take(req, it->take_arg);
        req = NULL;
    }
    it->done(req, it->arg);
    free(it);
}

int
kc_httpd_defer_take(void (*take)(kc_httpd_req *req, void *arg), void *arg)
{
    struct work_item *it = current_work;
    if (!it)
        return KC_EINVALID;
    it->take = take;
    it->take_arg = arg;
    return 0;
}

int
kc_httpd_defer(kc_httpd_req *req, void (*work)(void *arg), void (*done)(kc_httpd_req *req, void *arg), void *arg)
{
    struct work_item *it = calloc(1, sizeof(*it));
    if (!it)
        return -ENOMEM;
    struct req_guard *g = h2o_mem_alloc_shared(&req->r->pool, sizeof(*g), guard_dispose);
    g->item = it;
    it->m.kind = MSG_WORK_DONE;
    it->loop = req->loop;
    it->req = req;
    it->guard = g;
    it->work = work;
    it->done = done;
    it->arg = arg;
    __atomic_add_fetch(&req->loop->inflight, 1, __ATOMIC_SEQ_CST);

    kc_httpd *srv = req->loop->srv;
    pthread_mutex_lock(&srv->work_lock);
    if (srv->work_tail)
        srv->work_tail->next = it;
    else
        srv->work_head = it;
    srv->work_tail = it;
    pthread_cond_signal(&srv->work_cond);
    pthread_mutex_unlock(&srv->work_lock);
    return 0;
}

static void *
worker_main(void *p)
{
    kc_httpd *srv = p;
    for (;;) {
        pthread_mutex_lock(&srv->work_lock);
        while (!srv->work_head && !srv->workers_stop)
            pthread_cond_wait(&srv->work_cond, &srv->work_lock);
        struct work_item *it = srv->work_head;
        if (!it) { /* stopping and drained */
            pthread_mutex_unlock(&srv->work_lock);
            return NULL;
        }
        srv->work_head = it->next;
        if (!srv->work_head)
            srv->work_tail = NULL;
        pthread_mutex_unlock(&srv->work_lock);

        current_work = it;
        it->work(it->arg);
        current_work = NULL;
        if (loop_send(it->loop, &it->m) != 0) { /* the loop is gone, and the request with it */
            __atomic_sub_fetch(&it->loop->inflight, 1, __ATOMIC_SEQ_CST);
            if (it->take)
                it->take(NULL, it->take_arg);
            it->done(NULL, it->arg);
            free(it);
        }
    }
}

/* --- suspended requests --- */

/* A suspended request. Two references: the guard's (in the request's pool, dropped when the pool goes or when
 * the loop finishes the request) and the resume's; the last one frees it, so that neither a guard disposed late
 * (the loop tearing down) nor a resume from another thread touches freed memory. */
struct kc_httpd_suspended {
    struct loop_msg m; /* first: posted to the loop by kc_httpd_resume */
    kc_httpd_loop *loop;
    kc_httpd_req *req; /* NULL once the request is gone (loop thread) */
    struct susp_guard *guard;
    void (*done)(kc_httpd_req *req, void *arg);
    void *arg;
    int refs; /* atomic */
};

struct susp_guard {
    kc_httpd_suspended *s;
};

static void
susp_unref(kc_httpd_suspended *s)
{
    if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
        free(s);
}

static void
susp_guard_dispose(void *p)
{
    struct susp_guard *g = p;
    if (g->s) {
        g->s->req = NULL;
        susp_unref(g->s);
    }
}

static void
suspended_end(kc_httpd *srv)
{
    pthread_mutex_lock(&srv->work_lock);
    if (--srv->suspended == 0)
        pthread_cond_broadcast(&srv->resumed_cond);
    pthread_mutex_unlock(&srv->work_lock);
}

kc_httpd_suspended *
kc_httpd_suspend(kc_httpd_req *req, void (*done)(kc_httpd_req *req, void *arg), void *arg)
{
    kc_httpd_suspended *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    struct susp_guard *g = h2o_mem_alloc_shared(&req->r->pool, sizeof(*g), susp_guard_dispose);
    g->s = s;
    s->m.kind = MSG_RESUME;
    s->loop = req->loop;
    s->req = req;
    s->guard = g;
    s->done = done;
    s->arg = arg;
    s->refs = 2;
    __atomic_add_fetch(&req->loop->inflight, 1, __ATOMIC_SEQ_CST);
    kc_httpd *srv = req->loop->srv;
    pthread_mutex_lock(&srv->work_lock);
    srv->suspended++;
    pthread_mutex_unlock(&srv->work_lock);
    return s;
}

/* On the loop thread: the request is answered (or gone). */
static void
resume_finish(kc_httpd_suspended *s)
{
    kc_httpd *srv = s->loop->srv;
    kc_httpd_req *req = s->req;
    int refs = 1; /* the resume's */
    if (req) {
        s->guard->s = NULL; /* the guard lets go: its reference is dropped with ours, below */
        refs++;
    }
    __atomic_sub_fetch(&s->loop->inflight, 1, __ATOMIC_SEQ_CST);
    s->done(req, s->arg);
    if (__atomic_sub_fetch(&s->refs, refs, __ATOMIC_ACQ_REL) == 0)
        free(s);
    suspended_end(srv);
}

void
kc_httpd_resume(kc_httpd_suspended *s)
{
    kc_httpd_loop *loop = s->loop;
    if (loop_send(loop, &s->m) == 0)
        return;
    /* the loop has stopped taking messages; it may still be disposing the request (the guard's reference) */
    kc_httpd *srv = loop->srv;
    __atomic_sub_fetch(&loop->inflight, 1, __ATOMIC_SEQ_CST);
    s->done(NULL, s->arg);
    susp_unref(s);
    suspended_end(srv);
}

/* --- posts --- */

int
kc_httpd_post(kc_httpd_loop *loop, void (*fn)(void *arg), void *arg)
{
    struct post_msg *pm = calloc(1, sizeof(*pm));
    if (!pm)
        return -ENOMEM;
    pm->m.kind = MSG_POST;
    pm->fn = fn;
    pm->arg = arg;
    if (loop_send(loop, &pm->m) != 0) {
        fn(arg);
        free(pm);
    }
    return 0;
}

static void adopt_finish(struct adopt_msg *am);

static void
on_messages(h2o_multithread_receiver_t *recv, h2o_linklist_t *messages)
{
    (void)recv;
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *hm = H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        struct loop_msg *m = (struct loop_msg *)hm;
        h2o_linklist_unlink(&hm->link);
        switch (m->kind) {
        case MSG_WORK_DONE:
            work_finish((struct work_item *)m);
            break;
        case MSG_POST: {
            struct post_msg *pm = (struct post_msg *)m;
            pm->fn(pm->arg);
            free(pm);
            break;
        }
        case MSG_WAKE:
            free(m);
            break;
        case MSG_RESUME:
            resume_finish((kc_httpd_suspended *)m);
            break;
        case MSG_ADOPT:
            adopt_finish((struct adopt_msg *)m);
            break;
        }
    }
}

/* --- timers --- */

void
kc_httpd_timer_cancel(struct kc_httpd_timer *t)
{
    if (!t->loop)
        return;
    for (struct kc_httpd_timer **p = &t->loop->timers; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    t->loop = NULL;
    t->next = NULL;
}

void
kc_httpd_timer_arm(kc_httpd_loop *loop, struct kc_httpd_timer *t, int64_t ms)
{
    kc_httpd_timer_cancel(t);
    t->due_ms = (int64_t)h2o_now(loop->ctx.loop) + (ms > 0 ? ms : 0);
    t->loop = loop;
    struct kc_httpd_timer **p = &loop->timers;
    while (*p && (*p)->due_ms <= t->due_ms)
        p = &(*p)->next;
    t->next = *p;
    *p = t;
}

/* Runs the timers that are due. A timer's callback may re-arm it or arm others. */
static void
run_timers(kc_httpd_loop *loop)
{
    int64_t now = (int64_t)h2o_now(loop->ctx.loop);
    while (loop->timers && loop->timers->due_ms <= now) {
        struct kc_httpd_timer *t = loop->timers;
        loop->timers = t->next;
        t->next = NULL;
        t->loop = NULL;
        t->fn(t->arg);
    }
}

/* --- fd watches --- */

struct kc_httpd_fd_watch {
    h2o_socket_t *sock;
    void (*fn)(void *arg);
    void *arg;
};

static void
on_fd_readable(h2o_socket_t *sock, const char *err)
{
    kc_httpd_fd_watch *w = sock->data;
    if (sock->input->size)
        h2o_buffer_consume(&sock->input, sock->input->size);
    (void)err; /* an error (EOF) still calls fn, which notices its source is gone */
    w->fn(w->arg);
}

kc_httpd_fd_watch *
kc_httpd_fd_watch_start(kc_httpd_loop *loop, int fd, void (*fn)(void *arg), void *arg)
{
    kc_httpd_fd_watch *w = calloc(1, sizeof(*w));
    int dupfd = dup(fd);
    if (!w || dupfd < 0) {
        free(w);
        if (dupfd >= 0)
            close(dupfd);
        return NULL;
    }
    w->fn = fn;
    w->arg = arg;
    w->sock = h2o_evloop_socket_create(loop->ctx.loop, dupfd, 0);
    w->sock->data = w;
    h2o_socket_read_start(w->sock, on_fd_readable);
    return w;
}

void
kc_httpd_fd_unwatch(kc_httpd_fd_watch *w)
{
    if (!w)
        return;
    h2o_socket_read_stop(w->sock);
    h2o_socket_close(w->sock);
    free(w);
}

/* --- streams --- */

static void
stream_close(kc_httpd_stream *st)
{
    if (st->closed)
        return;
    st->closed = true;
    h2o_linklist_unlink(&st->link);
    if (st->on_close)
        st->on_close(st->arg);
}

static void
stream_flush(kc_httpd_stream *st)
{
    if (st->sending || st->gone || st->final_sent)
        return;
    if (st->plen > 0) {
        char *b = st->inflight;
        size_t cap = st->icap;
        st->inflight = st->pending, st->icap = st->pcap, st->ilen = st->plen;
        st->pending = b, st->pcap = cap, st->plen = 0;
        h2o_iovec_t iov = h2o_iovec_init(st->inflight, st->ilen);
        st->sending = true;
        h2o_send(st->r, &iov, 1, st->ended ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
        if (st->ended)
            st->final_sent = true;
    } else if (st->ended) {
        st->sending = true;
        st->final_sent = true;
        h2o_send(st->r, NULL, 0, H2O_SEND_STATE_FINAL);
    }
}

static void
stream_proceed(h2o_generator_t *gen, h2o_req_t *r)
{
    (void)r;
    kc_httpd_stream *st = (kc_httpd_stream *)gen;
    st->sending = false;
    st->ilen = 0;
    stream_flush(st);
    if (st->on_drain && st->plen == 0 && !st->ended && !st->gone)
        st->on_drain(st->arg); /* the last call here: it may end the stream */
}

static void
stream_stop(h2o_generator_t *gen, h2o_req_t *r)
{
    (void)r;
    kc_httpd_stream *st = (kc_httpd_stream *)gen;
    st->gone = true;
    stream_close(st);
}

static void
stream_dispose(void *p)
{
    kc_httpd_stream *st = p;
    stream_close(st);
    free(st->pending);
    free(st->inflight);
}

kc_httpd_stream *
kc_httpd_stream_begin(kc_httpd_req *req, int status, const char *ctype, size_t max_pending, void (*on_close)(void *arg),
                      void *arg)
{
    h2o_req_t *r = req->r;
    kc_httpd_stream *st = h2o_mem_alloc_shared(&r->pool, sizeof(*st), stream_dispose);

    memset(st, 0, sizeof(*st));
    st->super.proceed = stream_proceed;
    st->super.stop = stream_stop;
    st->r = r;
    st->loop = req->loop;
    st->max_pending = max_pending;
    st->on_close = on_close;
    st->arg = arg;
    h2o_linklist_insert(&req->loop->streams, &st->link);

    r->res.status = status;
    r->res.reason = kc_httpd_reason_phrase(status);
    if (ctype)
        h2o_add_header(&r->pool, &r->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ctype, strlen(ctype));
    h2o_start_response(r, &st->super);
    st->sending = true;
    h2o_send(r, NULL, 0, H2O_SEND_STATE_IN_PROGRESS); /* headers now (HTTP/2); HTTP/1.1 needs a first byte */
    return st;
}

int
kc_httpd_stream_write(kc_httpd_stream *st, const void *data, size_t len)
{
    if (st->gone || st->ended)
        return -EPIPE;
    if (st->plen + len > st->max_pending)
        return -ENOBUFS;
    if (st->plen + len > st->pcap) {
        size_t cap = st->pcap ? st->pcap : 4096;
        while (cap < st->plen + len)
            cap *= 2;
        char *b = realloc(st->pending, cap);
        if (!b)
            return -ENOMEM;
        st->pending = b;
        st->pcap = cap;
    }
    memcpy(st->pending + st->plen, data, len);
    st->plen += len;
    stream_flush(st);
    return 0;
}

void
kc_httpd_stream_on_drain(kc_httpd_stream *st, void (*on_drain)(void *arg))
{
    st->on_drain = on_drain;
}

size_t
kc_httpd_stream_pending(const kc_httpd_stream *st)
{
    return st->plen;
}

void
kc_httpd_stream_end(kc_httpd_stream *st)
{
    if (st->ended || st->gone)
        return;
    st->ended = true;
    stream_flush(st);
}

kc_httpd_loop *
kc_httpd_stream_loop(const kc_httpd_stream *st)
{
    return st->loop;
}

/* --- server --- */

static SSL_CTX *
make_ssl_ctx(const struct kc_httpd_config *cfg)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* The cipher kube-apiserver (Go's crypto/tls) picks: AES-128-GCM first where the client prefers AES-GCM (as
     * OpenSSL's clients and Go's do on AES hardware), ChaCha20-Poly1305 where the client puts it first
     * (SSL_OP_PRIORITIZE_CHACHA). OpenSSL's own server order would take AES-256-GCM: ~40% slower to encrypt, which
     * shows in every large response. TLS 1.2: Go's ECDHE AEAD order, then OpenSSL's defaults as before. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_PRIORITIZE_CHACHA);
    if (SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256") !=
            1 ||
        SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                     "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                     "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
                                     "ALL:!COMPLEMENTOFDEFAULT:!eNULL") /* the rest of DEFAULT */
            != 1)
        goto fail;
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, cfg->key_file, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1)
        goto fail;
    if (cfg->client_ca_file) {
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->client_ca_file);
        if (!names || SSL_CTX_load_verify_locations(ctx, cfg->client_ca_file, NULL) != 1) {
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            goto fail;
        }
        SSL_CTX_set_client_CA_list(ctx, names);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (cfg->require_client_cert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                           NULL);
        static const unsigned char sid[] = "k8c";
        SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1);
    }
    h2o_ssl_register_alpn_protocols(ctx, h2o_http2_alpn_protocols);
    return ctx;
fail : {
    char buf[256];
    ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
    KC_LOG(KC_LOG_ERROR, "httpd", "cannot load TLS material", "cert=%s key=%s ca=%s error=\"%s\"", cfg->cert_file,
           cfg->key_file, cfg->client_ca_file ? cfg->client_ca_file : "-", buf);
}
    SSL_CTX_free(ctx);
    return NULL;
}

static int
bind_listener(const char *addr, int port, int *fd_out, int *port_out)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

    if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        sslen = sizeof(*sin);
    } else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        sslen = sizeof(*sin6);
    } else {
        return KC_EINVALID;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, sslen) != 0 || listen(fd, 1024) != 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    getsockname(fd, (struct sockaddr *)&ss, &sslen);
    *port_out = ntohs(ss.ss_family == AF_INET ? sin->sin_port : sin6->sin6_port);
    *fd_out = fd;
    return 0;
}

int
kc_httpd_new(const struct kc_httpd_config *cfg, kc_httpd **out)
{
    kc_httpd *srv = calloc(1, sizeof(*srv));
    int rc;

    if (!srv)
        return -ENOMEM;
    srv->cfg = *cfg;
    if (!srv->cfg.bind_address)
        srv->cfg.bind_address = "127.0.0.1";
    if (srv->cfg.threads <= 0)
        srv->cfg.threads = 2;
    if (srv->cfg.workers <= 0)
        srv->cfg.workers = 64;
    if (srv->cfg.max_body == 0)
        srv->cfg.max_body = 3 * 1024 * 1024;
    srv->fd = -1;
    pthread_mutex_init(&srv->work_lock, NULL);
    pthread_cond_init(&srv->work_cond, NULL);
    pthread_cond_init(&srv->ready_cond, NULL);
    pthread_cond_init(&srv->resumed_cond, NULL);

    if (cfg->cert_file) {
        srv->ssl_ctx = make_ssl_ctx(cfg);
        if (!srv->ssl_ctx) {
            rc = KC_EINTERNAL;
            goto fail;
        }
    }
    rc = bind_listener(srv->cfg.bind_address, cfg->port, &srv->fd, &srv->port);
    if (rc != 0)
        goto fail;

    h2o_config_init(&srv->h2o_cfg);
    srv->h2o_cfg.max_request_entity_size = srv->cfg.max_body;
    srv->h2o_cfg.server_name = h2o_iovec_init(H2O_STRLIT("k8c"));
    srv->host = h2o_config_register_host(&srv->h2o_cfg, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    *out = srv;
    return 0;
fail:
    if (srv->ssl_ctx)
        SSL_CTX_free(srv->ssl_ctx);
    pthread_mutex_destroy(&srv->work_lock);
    pthread_cond_destroy(&srv->work_cond);
    pthread_cond_destroy(&srv->ready_cond);
    pthread_cond_destroy(&srv->resumed_cond);
    free(srv);
    return rc;
}

int
kc_httpd_route(kc_httpd *srv, const char *prefix, kc_httpd_handler_fn fn, void *arg)
{
    h2o_pathconf_t *pc = NULL;
    for (int i = 0; i < srv->npaths && !pc; i++)
        if (strcmp(srv->paths[i].prefix, prefix) == 0)
            pc = srv->paths[i].pc;
    if (!pc) {
        if (srv->npaths == (int)(sizeof(srv->paths) / sizeof(srv->paths[0])))
            return -ENOSPC;
        char *copy = strdup(prefix);
        if (!copy)
            return -ENOMEM;
        pc = h2o_config_register_path(srv->host, prefix, 0);
        srv->paths[srv->npaths].prefix = copy;
        srv->paths[srv->npaths++].pc = pc;
    }
    struct route *route = (struct route *)h2o_create_handler(pc, sizeof(*route));
    if (!route)
        return -ENOMEM;
    route->super.on_req = on_req;
    route->fn = fn;
    route->arg = arg;
    return 0;
}

int
kc_httpd_port(const kc_httpd *srv)
{
    return srv->port;
}

static void
on_socket_close(void *data)
{
    kc_httpd_loop *loop = data;
    __atomic_sub_fetch(&loop->nconns, 1, __ATOMIC_RELAXED);
}

/* Serves an accepted connection on loop (its thread), which already counts it. h2o leaves a socket's on_close to
 * the acceptor (its own server counts connections this way). */
static void
adopt(kc_httpd_loop *loop, int fd)
{
    if (!loop->listener) { /* shutting down: as if it had come after the listener closed */
        close(fd);
        __atomic_sub_fetch(&loop->nconns, 1, __ATOMIC_RELAXED);
        return;
    }
    h2o_socket_t *sock = h2o_evloop_socket_create(loop->ctx.loop, fd, H2O_SOCKET_FLAG_IS_ACCEPTED_CONNECTION);
    /* h2o 2.2.5 cuts what it writes over TLS into records of 1,368 bytes until the connection has written 200 KiB
     * (h2o_socket_write: a browser's first bytes sooner), so an API reply of a few KB costs several records to
     * encrypt, send and decrypt. Go's crypto/tls, kube-apiserver's, grows its records to 16 KB within the first
     * dozen. The count starts at that threshold instead: full records from the first reply (h2o's socket.c reads
     * the count only for this choice; k8c nowhere). test_httpd's test_tls_full_records checks the record sizes a
     * client receives. */
    sock->bytes_written = KC_HTTPD_TLS_FULL_RECORDS_AFTER;
    sock->on_close.cb = on_socket_close;
    sock->on_close.data = loop;
    h2o_accept(&loop->accept_ctx, sock);
}

static void
adopt_finish(struct adopt_msg *am)
{
    kc_httpd_loop *loop = am->loop;
    int fd = am->fd;
    free(am);
    adopt(loop, fd);
}

/* The loop with the fewest connections, this one when it ties. */
static kc_httpd_loop *
least_loaded(kc_httpd_loop *self)
{
    kc_httpd *srv = self->srv;
    kc_httpd_loop *best = self;
    int least = __atomic_load_n(&self->nconns, __ATOMIC_RELAXED);
    for (int i = 0; i < srv->nloops; i++) {
        int n = __atomic_load_n(&srv->loops[i].nconns, __ATOMIC_RELAXED);
        if (n < least) { /* one not taking messages yet (or any more) fails loop_send: on_accept keeps it */
            least = n;
            best = &srv->loops[i];
        }
    }
    return best;
}

/* Every loop polls the shared listening socket; whichever wakes takes the connection and gives it to the loop with
 * the fewest, so that a burst of connections (64 clients starting at once) is not all served by the one loop that
 * happened to wake first while the other sits idle. */
static void
on_accept(h2o_socket_t *listener, const char *err)
{
    kc_httpd_loop *loop = listener->data;
    if (err)
        return;
    for (int i = 0; i < 16; i++) { /* drain a few pending connections per wake-up */
        int fd = accept4(loop->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        int one = 1; /* as h2o_evloop_socket_accept does */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        kc_httpd_loop *to = least_loaded(loop);
        __atomic_add_fetch(&to->nconns, 1, __ATOMIC_RELAXED);
        if (to != loop) {
            struct adopt_msg *am = calloc(1, sizeof(*am)); /* h2o asserts the link is unlinked */
            if (am) {
                am->m.kind = MSG_ADOPT;
                am->loop = to;
                am->fd = fd;
                if (loop_send(to, &am->m) == 0)
                    continue;
                free(am);
            }
            __atomic_sub_fetch(&to->nconns, 1, __ATOMIC_RELAXED);
            __atomic_add_fetch(&loop->nconns, 1, __ATOMIC_RELAXED);
        }
        adopt(loop, fd);
    }
}

/* Begins the loop's shutdown: no new connections, streams ended, GOAWAY / idle connections closed. */
static void
loop_begin_shutdown(kc_httpd_loop *loop)
{
    if (loop->listener) {
        h2o_socket_read_stop(loop->listener);
        h2o_socket_close(loop->listener);
        loop->listener = NULL;
    }
    while (!h2o_linklist_is_empty(&loop->streams)) {
        kc_httpd_stream *st = H2O_STRUCT_FROM_MEMBER(kc_httpd_stream, link, loop->streams.next);
        h2o_linklist_unlink(&st->link);
        h2o_linklist_init_anchor(&st->link); /* so that stream_close's unlink is harmless */
        kc_httpd_stream_end(st);
    }
    kc_httpd_ws_loop_shutdown(loop);
    h2o_context_request_shutdown(&loop->ctx);
}

/* Everything h2o allocates for a loop is created on the loop's own thread: h2o 2.2.5 keeps per-thread buffer
 * recycling lists, and a socket made on one thread (the context's message queue, the listener) would return its
 * buffers to that thread's list from another thread. */
static int
loop_setup(kc_httpd_loop *loop)
{
    kc_httpd *srv = loop->srv;
    h2o_context_init(&loop->ctx, h2o_evloop_create(), &srv->h2o_cfg);
    loop->accept_ctx.ctx = &loop->ctx;
    loop->accept_ctx.hosts = srv->h2o_cfg.hosts;
    loop->accept_ctx.ssl_ctx = srv->ssl_ctx;
    h2o_linklist_init_anchor(&loop->streams);
    h2o_linklist_init_anchor(&loop->websockets);
    h2o_multithread_register_receiver(loop->ctx.queue, &loop->recv, on_messages);
    int fd = dup(srv->fd);
    if (fd < 0)
        return -errno;
    loop->listen_fd = fd;
    loop->listener = h2o_evloop_socket_create(loop->ctx.loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    loop->listener->data = loop;
    h2o_socket_read_start(loop->listener, on_accept);
    pthread_rwlock_wrlock(&loop->alive_lock);
    loop->alive = true;
    pthread_rwlock_unlock(&loop->alive_lock);
    return 0;
}

/* The loop's last steps, on its thread: refuse new messages, deliver those already sent, free h2o's state. */
static void
loop_teardown(kc_httpd_loop *loop)
{
    pthread_rwlock_wrlock(&loop->alive_lock);
    loop->alive = false;
    pthread_rwlock_unlock(&loop->alive_lock);
    h2o_evloop_run(loop->ctx.loop, 0); /* posts must never be lost */
    h2o_multithread_unregister_receiver(loop->ctx.queue, &loop->recv);
    int nconns = __atomic_load_n(&loop->nconns, __ATOMIC_RELAXED);
    if (nconns > 0) {
        /* h2o 2.2.5 cannot close connections it still owns from outside; disposing the context under them would
         * crash. They end with the process. */
        KC_LOG(KC_LOG_WARN, "httpd", "connections still open after the grace period", "count=%d", nconns);
        return;
    }
    /* HTTP/2's graceful-shutdown timer stays linked even with no connection left. */
    if (h2o_timeout_is_linked(&loop->ctx.http2._graceful_shutdown_timeout))
        h2o_timeout_unlink(&loop->ctx.http2._graceful_shutdown_timeout);
    h2o_context_dispose(&loop->ctx);
    h2o_evloop_destroy(loop->ctx.loop);
}

static void *
loop_main(void *p)
{
    kc_httpd_loop *loop = p;
    kc_httpd *srv = loop->srv;
    int64_t deadline = -1;

    int rc = loop_setup(loop);
    pthread_mutex_lock(&srv->work_lock);
    loop->setup_rc = rc;
    loop->ready = true;
    pthread_cond_broadcast(&srv->ready_cond);
    pthread_mutex_unlock(&srv->work_lock);
    if (rc != 0)
        return NULL;

    for (;;) {
        if (deadline < 0 && __atomic_load_n(&srv->stopping, __ATOMIC_SEQ_CST)) {
            loop_begin_shutdown(loop);
            deadline = (int64_t)h2o_now(loop->ctx.loop) + srv->grace_ms;
        }
        if (deadline >= 0) {
            int64_t now = (int64_t)h2o_now(loop->ctx.loop);
            if (now >= deadline ||
                (__atomic_load_n(&loop->inflight, __ATOMIC_SEQ_CST) == 0 && h2o_linklist_is_empty(&loop->streams) &&
                 __atomic_load_n(&loop->nconns, __ATOMIC_RELAXED) == 0 && h2o_linklist_is_empty(&loop->websockets)))
                break;
        }
        int64_t wait = 1000;
        if (loop->timers) {
            wait = loop->timers->due_ms - (int64_t)h2o_now(loop->ctx.loop);
            if (wait < 0)
                wait = 0;
        }
        if (deadline >= 0 && wait > 10)
            wait = 10;
        if (h2o_evloop_run(loop->ctx.loop, (int32_t)wait) != 0 && errno != EINTR)
            KC_LOG(KC_LOG_WARN, "httpd", "event loop error", "errno=%d", errno);
        run_timers(loop);
    }
    loop_teardown(loop);
    return NULL;
}

int
kc_httpd_start(kc_httpd *srv)
{
    srv->nloops = srv->cfg.threads;
    srv->loops = calloc((size_t)srv->nloops, sizeof(*srv->loops));
    srv->nworkers = srv->cfg.workers;
    srv->workers = calloc((size_t)srv->nworkers, sizeof(*srv->workers));
    if (!srv->loops || !srv->workers)
        return -ENOMEM;

    for (int i = 0; i < srv->nworkers; i++) {
        if (pthread_create(&srv->workers[i], NULL, worker_main, srv) != 0)
            return -EAGAIN;
        srv->workers_started++;
    }
    for (int i = 0; i < srv->nloops; i++) {
        kc_httpd_loop *loop = &srv->loops[i];
        loop->srv = srv;
        pthread_rwlock_init(&loop->alive_lock, NULL);
        if (pthread_create(&loop->thread, NULL, loop_main, loop) != 0)
            return -EAGAIN;
        srv->loops_started++;
    }
    int rc = 0;
    pthread_mutex_lock(&srv->work_lock);
    for (int i = 0; i < srv->nloops; i++) {
        while (!srv->loops[i].ready)
            pthread_cond_wait(&srv->ready_cond, &srv->work_lock);
        if (srv->loops[i].setup_rc != 0)
            rc = srv->loops[i].setup_rc;
    }
    pthread_mutex_unlock(&srv->work_lock);
    srv->started = true;
    return rc;
}

void
kc_httpd_stop(kc_httpd *srv, int grace_ms)
{
    if (srv->stopped || (!srv->loops_started && !srv->workers_started))
        return;
    srv->stopped = true;
    srv->grace_ms = grace_ms > 0 ? grace_ms : 1;
    __atomic_store_n(&srv->stopping, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < srv->loops_started; i++) { /* wake each loop so that it sees the flag */
        struct loop_msg *m = calloc(1, sizeof(*m));
        if (m) {
            m->kind = MSG_WAKE;
            if (loop_send(&srv->loops[i], m) != 0)
                free(m);
        }
    }
    /* Each loop ends its streams, waits out its requests (up to the grace period) and frees itself. */
    for (int i = 0; i < srv->loops_started; i++)
        pthread_join(srv->loops[i].thread, NULL);
    /* Work still queued finishes with done(NULL): its loop is gone. */
    pthread_mutex_lock(&srv->work_lock);
    srv->workers_stop = true;
    pthread_cond_broadcast(&srv->work_cond);
    pthread_mutex_unlock(&srv->work_lock);
    for (int i = 0; i < srv->workers_started; i++)
        pthread_join(srv->workers[i], NULL);
    /* Requests still suspended finish with done(NULL) on the thread that resumes them, which still sends to the
     * loop first: wait for them before the loops' locks go. */
    pthread_mutex_lock(&srv->work_lock);
    while (srv->suspended > 0)
        pthread_cond_wait(&srv->resumed_cond, &srv->work_lock);
    pthread_mutex_unlock(&srv->work_lock);
    for (int i = 0; i < srv->loops_started; i++)
        pthread_rwlock_destroy(&srv->loops[i].alive_lock);
}

void
kc_httpd_free(kc_httpd *srv)
{
    if (!srv)
        return;
    kc_httpd_stop(srv, 100);
    if (srv->fd >= 0)
        close(srv->fd);
    free(srv->loops);
    free(srv->workers);
    for (int i = 0; i < srv->npaths; i++)
        free(srv->paths[i].prefix);
    h2o_config_dispose(&srv->h2o_cfg);
    if (srv->ssl_ctx)
        SSL_CTX_free(srv->ssl_ctx);
    pthread_mutex_destroy(&srv->work_lock);
    pthread_cond_destroy(&srv->work_cond);
    pthread_cond_destroy(&srv->ready_cond);
    pthread_cond_destroy(&srv->resumed_cond);
    free(srv);
}
