/* kc_httpd.h - the HTTP(S) server every k8c daemon serves with: h2o event loops, TLS with ALPN (HTTP/2 and
 * HTTP/1.1), routes, complete and streaming responses, blocking work moved off the loop, and client certificates.
 *
 * Threading: a server runs N event-loop threads that accept on one port (SO_REUSEPORT). A request, its replies and
 * its stream belong to the loop thread that accepted it: call the kc_httpd_req_* / reply / stream functions only
 * from that thread (inside a handler, a done callback, a posted function or a timer). kc_httpd_post() is the one
 * way in from other threads.
 */
#ifndef KC_HTTPD_H
#define KC_HTTPD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kc_httpd kc_httpd;               /* a server: listener, loops, routes */
typedef struct kc_httpd_loop kc_httpd_loop;     /* one event-loop thread of a server */
typedef struct kc_httpd_req kc_httpd_req;       /* one request, valid until its reply is complete */
typedef struct kc_httpd_stream kc_httpd_stream; /* a streaming response (watch, logs -f) */

struct kc_httpd_config {
    const char *bind_address;   /* numeric IPv4 or IPv6 address; NULL = 127.0.0.1 */
    int port;                   /* 0 = pick a free one (see kc_httpd_port) */
    int threads;                /* event-loop threads; 0 = 2 */
    int workers;                /* threads for kc_httpd_defer work; 0 = 64 */
    size_t max_body;            /* request bodies above this get 413; 0 = 3 MiB */
    const char *cert_file;      /* serving certificate (PEM); NULL = plain HTTP */
    const char *key_file;       /* its private key (PEM) */
    const char *client_ca_file; /* verify client certificates against this CA when one is sent; NULL = none */
    bool require_client_cert;   /* fail the handshake without a valid client certificate (etcd's
                                   --client-cert-auth); kube-apiserver style servers leave it false */
};

/* Who the client is, from a verified client certificate: user = CN, groups = O. */
struct kc_httpd_peer {
    char user[256];
    char groups[16][256];
    int ngroups;
};

/* A route handler, called on the loop thread. It must answer now (kc_httpd_reply*), later (kc_httpd_defer, or a
 * stream), and return 0; or return -1 to let the next matching route try. */
typedef int (*kc_httpd_handler_fn)(kc_httpd_req *req, void *arg);

/* Creates a server and binds its port (so kc_httpd_port works before kc_httpd_start). Returns 0, -errno from
 * socket/bind, KC_EINVALID for a bad address, KC_EINTERNAL when the certificate or key cannot be loaded (the
 * OpenSSL reason is logged). *out is freed with kc_httpd_free. */
int kc_httpd_new(const struct kc_httpd_config *cfg, kc_httpd **out);

/* Routes requests whose path is prefix or starts with prefix + "/" to fn. The longest registered prefix that
 * matches wins; handlers added for the same prefix are tried in the order they were added (a handler returning
 * -1 passes to the next). Add them all before kc_httpd_start. Returns 0, -ENOMEM, -ENOSPC beyond 64 prefixes. */
int kc_httpd_route(kc_httpd *srv, const char *prefix, kc_httpd_handler_fn fn, void *arg);

/* Starts the loop and worker threads. Returns 0 or -errno. */
int kc_httpd_start(kc_httpd *srv);

/* The bound TCP port. */
int kc_httpd_port(const kc_httpd *srv);

/* Stops accepting, ends every open stream (their close callbacks run), gives requests in flight up to
 * grace_ms to finish, and joins all threads. Safe to call from any thread except the server's own. */
void kc_httpd_stop(kc_httpd *srv, int grace_ms);

/* Stops (if running) and frees the server. */
void kc_httpd_free(kc_httpd *srv);

/* --- requests (loop thread only) --- */

/* The method, path without the query, and raw query (without '?'; "" when none). Not NUL-terminated: use the
 * lengths. Valid until the reply is complete. */
const char *kc_httpd_req_method(const kc_httpd_req *req, size_t *len);
bool kc_httpd_req_method_is(const kc_httpd_req *req, const char *method);
const char *kc_httpd_req_path(const kc_httpd_req *req, size_t *len);
const char *kc_httpd_req_query(const kc_httpd_req *req, size_t *len);

/* The body (NULL and 0 when none). */
const char *kc_httpd_req_body(const kc_httpd_req *req, size_t *len);

/* The first value of header name (case-insensitive), or NULL. */
const char *kc_httpd_req_header(const kc_httpd_req *req, const char *name, size_t *len);

/* The value of query parameter name, percent-decoded, NUL-terminated, in the request's memory; NULL when
 * absent. With several occurrences, index picks one (0 = first). */
const char *kc_httpd_req_param(kc_httpd_req *req, const char *name, int index);

/* The verified client certificate's identity, or NULL when the client sent none (or over plain HTTP). */
const struct kc_httpd_peer *kc_httpd_req_peer(kc_httpd_req *req);

/* "h2" or "http/1.1". */
const char *kc_httpd_req_protocol(const kc_httpd_req *req);

/* The loop the request runs on (for kc_httpd_post and timers). */
kc_httpd_loop *kc_httpd_req_loop(const kc_httpd_req *req);

/* --- replies (loop thread only) --- */

/* Adds a response header; call before the reply. name and value are copied. */
void kc_httpd_add_header(kc_httpd_req *req, const char *name, const char *value);

/* Sends a complete response with Content-Length; body is copied. ctype may be NULL (no Content-Type). */
void kc_httpd_reply(kc_httpd_req *req, int status, const char *ctype, const char *body, size_t len);

/* Sends v as compact JSON (application/json) followed by a newline when nl. Does not take the reference. */
void kc_httpd_reply_json(kc_httpd_req *req, int status, const json_t *v, bool nl);

/* Runs work(arg) on a worker thread (where it may block: store writes waiting for their fsync), then
 * done(req, arg) on the request's loop thread to reply. When the client went away meanwhile, done gets req ==
 * NULL and must only free arg. Returns 0 or -ENOMEM (then nothing runs and the caller still owns the reply). */
int kc_httpd_defer(kc_httpd_req *req, void (*work)(void *arg), void (*done)(kc_httpd_req *req, void *arg), void *arg);

/* --- streaming responses (loop thread only) --- */

/* Starts a streaming response (chunked on HTTP/1.1, DATA frames on HTTP/2) and flushes the headers. At most
 * max_pending bytes may wait unsent; on_close(arg) runs exactly once on the loop thread when the stream is over
 * for any reason (client left, kc_httpd_stream_end, server stop); the stream pointer is invalid after it. */
kc_httpd_stream *kc_httpd_stream_begin(kc_httpd_req *req, int status, const char *ctype, size_t max_pending,
                                       void (*on_close)(void *arg), void *arg);

/* Queues bytes. Returns 0, -EPIPE when the client is gone or the stream ended, -ENOBUFS when the pending bytes
 * would exceed max_pending (nothing is queued then: the caller decides to end the stream). */
int kc_httpd_stream_write(kc_httpd_stream *st, const void *data, size_t len);

/* Bytes queued and not yet handed to the connection. */
size_t kc_httpd_stream_pending(const kc_httpd_stream *st);

/* Ends the stream after the queued bytes are sent (on_close follows). */
void kc_httpd_stream_end(kc_httpd_stream *st);

/* The stream's loop. */
kc_httpd_loop *kc_httpd_stream_loop(const kc_httpd_stream *st);

/* --- cross-thread calls and timers --- */

/* Runs fn(arg) on loop's thread soon. Callable from any thread. Returns 0 or -ENOMEM. If the server stops first,
 * fn still runs once, on the stopping thread, with the loop shutting down (so arg is never leaked). */
int kc_httpd_post(kc_httpd_loop *loop, void (*fn)(void *arg), void *arg);

/* A one-shot timer on a loop. Embed it, set fn/arg, arm it with kc_httpd_timer_arm (loop thread only). */
struct kc_httpd_timer {
    void (*fn)(void *arg);
    void *arg;
    int64_t due_ms;              /* private */
    struct kc_httpd_timer *next; /* private */
    kc_httpd_loop *loop;         /* private */
};

/* Arms (or re-arms) t to fire after ms milliseconds on loop. */
void kc_httpd_timer_arm(kc_httpd_loop *loop, struct kc_httpd_timer *t, int64_t ms);

/* Disarms t if armed. */
void kc_httpd_timer_cancel(struct kc_httpd_timer *t);

/* Calls fn(arg) on loop's thread whenever fd is readable (level-triggered: fn should drain whatever fd signals,
 * e.g. poll a queue until it is empty). The loop works on a duplicate of fd and may read from it (an eventfd's
 * counter is then cleared: harmless when fn drains its queue). Loop thread only. Returns the watch or NULL on
 * failure; kc_httpd_fd_unwatch() stops it and closes the duplicate. */
typedef struct kc_httpd_fd_watch kc_httpd_fd_watch;
kc_httpd_fd_watch *kc_httpd_fd_watch_start(kc_httpd_loop *loop, int fd, void (*fn)(void *arg), void *arg);
void kc_httpd_fd_unwatch(kc_httpd_fd_watch *w);

#endif
