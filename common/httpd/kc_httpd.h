/* kc_httpd.h - the HTTP(S) server every k8c daemon serves with: h2o event loops, TLS with ALPN (HTTP/2 and
 * HTTP/1.1), routes, complete and streaming responses, blocking work moved off the loop, and client certificates.
 *
 * Threading: a server runs N event-loop threads that accept on one port (SO_REUSEPORT). A request, its replies and
 * its stream belong to the loop thread that accepted it: call the kc_httpd_req_* / reply / stream functions only
 * from that thread (inside a handler, a done callback, a posted function or a timer). kc_httpd_post() is the one
 * way in from other threads.
 *
 * Signals: h2o writes to sockets with writev(), so a client that leaves mid-response raises SIGPIPE; a process that
 * serves ignores it (signal(SIGPIPE, SIG_IGN)), as every server does.
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

/* The verified client certificate's identity, or NULL when the client sent none (or over plain HTTP). Read once
 * per connection; valid while the connection lives (copy what outlives the handler). */
const struct kc_httpd_peer *kc_httpd_req_peer(kc_httpd_req *req);

/* "h2" or "http/1.1". */
const char *kc_httpd_req_protocol(const kc_httpd_req *req);

/* The loop the request runs on (for kc_httpd_post and timers). */
kc_httpd_loop *kc_httpd_req_loop(const kc_httpd_req *req);

/* --- replies (loop thread only) --- */

/* Adds a response header; call before the reply. name and value are copied; the name is lower-cased (HTTP/2
 * requires it, HTTP/1.1 does not care). */
void kc_httpd_add_header(kc_httpd_req *req, const char *name, const char *value);

/* Sends a complete response with Content-Length; body is copied. ctype may be NULL (no Content-Type). */
void kc_httpd_reply(kc_httpd_req *req, int status, const char *ctype, const char *body, size_t len);

/* The reason phrase the replies' HTTP/1.1 status lines carry, as Go's net/http writes them (http.StatusText,
 * RFC 9110's phrases): "OK", "Created", "Not Found", ...; "" for a code it does not know. */
const char *kc_httpd_reason_phrase(int status);

#define KC_HTTPD_SLICE (256u << 10) /* bytes of a taken or lent body handed to the connection at a time */

/* Sends a complete response with Content-Length whose body is the malloc'ed body[0..len), without copying it: the
 * server owns body from the call on and free()s it on the loop thread when the response is over, whether sent,
 * abandoned because the client left mid-body, or ended by kc_httpd_stop (body may be NULL: an empty body). It goes
 * out KC_HTTPD_SLICE bytes at a time, each slice handed to the connection once the previous one was written, so
 * TLS and HTTP/2 framing hold at most a slice of it besides the body itself. For big bodies (a LIST); kc_httpd_reply
 * copies, which is as good for small ones. The request is answered when this returns. */
void kc_httpd_reply_take(kc_httpd_req *req, int status, const char *ctype, char *body, size_t len);

/* As kc_httpd_reply_take, for a body the caller keeps owning: body[0..len) must stay unchanged until
 * release(arg) runs (exactly once, on the loop thread, in the same cases as kc_httpd_reply_take's free; not at all
 * when release is NULL). For a buffer that goes back to a cache. */
void kc_httpd_reply_lend(kc_httpd_req *req, int status, const char *ctype, const char *body, size_t len,
                         void (*release)(void *arg), void *arg);

/* Sends v as compact JSON (application/json) followed by a newline when nl. Does not take the reference. */
void kc_httpd_reply_json(kc_httpd_req *req, int status, const json_t *v, bool nl);

/* Runs work(arg) on a worker thread (where it may block: store writes waiting for their fsync), then
 * done(req, arg) on the request's loop thread to reply. When the client went away meanwhile, done gets req ==
 * NULL and must only free arg. Returns 0 or -ENOMEM (then nothing runs and the caller still owns the reply). */
int kc_httpd_defer(kc_httpd_req *req, void (*work)(void *arg), void (*done)(kc_httpd_req *req, void *arg), void *arg);

/* A request whose reply waits for something that completes on another thread without blocking one (a store
 * write committed by the store's own thread): no worker thread is involved. */
typedef struct kc_httpd_suspended kc_httpd_suspended;

/* Suspends req: the handler returns 0 without replying, and the request waits until kc_httpd_resume(). Then
 * done(req, arg) runs on the request's loop thread to reply. When the client went away meanwhile, done gets req
 * == NULL and must only free arg. Returns the handle, or NULL when out of memory (nothing happens then and the
 * caller still owns the reply). Loop thread only. Every suspended request must be resumed: kc_httpd_stop waits
 * for it. */
kc_httpd_suspended *kc_httpd_suspend(kc_httpd_req *req, void (*done)(kc_httpd_req *req, void *arg), void *arg);

/* Resumes a suspended request: its done runs soon on the request's loop thread. Callable from any thread, once
 * per handle (the handle is gone afterwards). If the request's loop has already stopped, done(NULL, arg) runs at
 * once on the calling thread. */
void kc_httpd_resume(kc_httpd_suspended *h);

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

/* Asks for on_drain(arg) (arg: kc_httpd_stream_begin's) on the loop each time a send has completed and nothing
 * waits unsent: a writer that stopped at a bound of its own (a watch at its high-water mark) queues more then. */
void kc_httpd_stream_on_drain(kc_httpd_stream *st, void (*on_drain)(void *arg));

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

/* --- handing a deferred request back to the loop, and noticing a request that goes away --- */

/* Called from inside a kc_httpd_defer work function (on its worker thread): when the work returns, take(req, arg)
 * runs on the request's loop thread and answers the request in its own way (an upgrade, a proxied stream, a
 * second kc_httpd_defer); done then runs with req == NULL, so it only frees its state. take gets req == NULL when
 * the client went away meanwhile or the server is stopping (it must then only free arg). Returns 0, or
 * KC_EINVALID when not called from a work function (nothing is arranged then). */
int kc_httpd_defer_take(void (*take)(kc_httpd_req *req, void *arg), void *arg);

/* Calls gone(arg) on the loop thread if req is released (the client left, the server stopped) before it was
 * answered. Cancel the watch before answering: h2o releases every request after its reply, an upgrade included.
 * Loop thread only; the watch lives in the request's memory. Returns NULL on allocation failure. */
typedef struct kc_httpd_req_watch kc_httpd_req_watch;
kc_httpd_req_watch *kc_httpd_req_watch_start(kc_httpd_req *req, void (*gone)(void *arg), void *arg);
void kc_httpd_req_watch_cancel(kc_httpd_req_watch *w);

/* --- WebSocket (RFC 6455, ws.c): framing, connections on a loop, the Kubernetes channel protocol ---
 *
 * The framing functions are pure (no I/O, no allocation except the reader's reassembly buffer). A kc_ws is one
 * WebSocket connection on a loop, either accepted from a request (kc_httpd_ws_accept, HTTP/1.1 only) or dialled
 * over a connected socket (kc_ws_connect, plain or TLS). Every kc_ws function is for the connection's loop thread
 * only. Incoming pings are answered, fragmented messages reassembled, and the close handshake is done for the
 * user; text and binary messages reach on_message. Output is queued without limit per call, but kc_ws_full()
 * tells when more than max_pending bytes wait: a relay then pauses its source (kc_ws_pause) until on_drain. */

#define KC_WS_MAX_HEADER 14 /* the longest frame header: 2 + 8 (length) + 4 (mask) */

enum kc_ws_opcode {
    KC_WS_CONTINUATION = 0x0,
    KC_WS_TEXT = 0x1,
    KC_WS_BINARY = 0x2,
    KC_WS_CLOSE = 0x8,
    KC_WS_PING = 0x9,
    KC_WS_PONG = 0xa,
};

/* Close codes (RFC 6455 7.4.1). 1005 and 1006 are never sent: they describe a close without a code, and a
 * connection that ended without a close frame. */
enum kc_ws_close_code {
    KC_WS_NORMAL = 1000,
    KC_WS_GOING_AWAY = 1001,
    KC_WS_PROTOCOL_ERROR = 1002,
    KC_WS_NO_STATUS = 1005,
    KC_WS_ABNORMAL = 1006,
    KC_WS_TOO_BIG = 1009,
    KC_WS_INTERNAL_ERROR = 1011,
};

/* Writes the header of a frame with len payload bytes into out and returns its length (2 to 14). mask: the
 * 4-byte masking key a client must use (the caller masks the payload with kc_ws_mask), or NULL (server). */
size_t kc_ws_frame_header(uint8_t out[KC_WS_MAX_HEADER], int opcode, bool fin, uint64_t len, const uint8_t *mask);

/* XORs data[0..len) with mask, as if data started at byte offset of the payload (masking is its own inverse). */
void kc_ws_mask(uint8_t *data, size_t len, const uint8_t mask[4], size_t offset);

/* One parsed frame; payload points into the parsed buffer, unmasked in place. */
struct kc_ws_frame {
    int opcode;
    bool fin;
    bool masked;
    uint64_t len;
    uint8_t *payload;
};

/* Parses the frame at the start of buf[0..len). want_mask: 1 when frames must be masked (a server reading a
 * client), 0 when they must not be (a client reading a server), -1 to accept both. Returns 0 with *f and
 * *used (header + payload bytes) filled and the payload unmasked in place; -EAGAIN when buf holds only part of a
 * frame (nothing is changed); KC_EBADREQUEST for a protocol violation (reserved bits set, an unknown opcode, a
 * control frame that is fragmented or longer than 125 bytes, the wrong masking, a 64-bit length with its top bit
 * set); -EMSGSIZE when the payload is longer than max_payload. */
int kc_ws_frame_parse(uint8_t *buf, size_t len, int want_mask, uint64_t max_payload, struct kc_ws_frame *f,
                      size_t *used);

/* Turns frames into messages: reassembles fragmented text/binary messages up to max_message bytes and passes
 * control frames (which may arrive between fragments) through as they come. Caller-allocated; the fields are
 * private. */
struct kc_ws_reader {
    int want_mask;      /* as kc_ws_frame_parse */
    size_t max_message; /* the longest message (and frame) accepted */
    int frag_opcode;    /* the opcode of the fragmented message being assembled, 0 when none */
    uint8_t *msg;       /* its bytes so far */
    size_t msg_len, msg_cap;
};

/* A message: a complete text or binary message, or one control frame (close, ping, pong). */
struct kc_ws_message {
    int opcode;
    const uint8_t *data; /* valid until the next kc_ws_reader_next call or until buf changes */
    size_t len;
};

void kc_ws_reader_init(struct kc_ws_reader *r, int want_mask, size_t max_message);
void kc_ws_reader_close(struct kc_ws_reader *r);

/* Reads from buf[0..len) until a message is complete. *used is always set: the bytes consumed (the caller drops
 * them from its buffer, also on -EAGAIN, where whole fragments may have been taken into the reassembly buffer).
 * Returns 0 with *m filled; -EAGAIN for more bytes; KC_EBADREQUEST for a protocol violation (those of
 * kc_ws_frame_parse, a continuation without a message, a new message in the middle of a fragmented one);
 * -EMSGSIZE beyond max_message; -ENOMEM. After an error the connection must be failed. */
int kc_ws_reader_next(struct kc_ws_reader *r, uint8_t *buf, size_t len, size_t *used, struct kc_ws_message *m);

/* A close frame's payload: *code (1005 when empty) and the reason (not NUL-terminated). Returns 0, or
 * KC_EBADREQUEST for a 1-byte payload or a code that must not be sent (below 1000, 1004-1006, 1015, 1016-2999,
 * 5000 and above). */
int kc_ws_close_parse(const uint8_t *payload, size_t len, int *code, const char **reason, size_t *reason_len);

/* The Sec-WebSocket-Accept value for a Sec-WebSocket-Key (base64 of SHA-1 of key + the RFC's GUID), into out
 * (NUL-terminated). */
void kc_ws_accept_key(const char *key, size_t key_len, char out[29]);

/* Whether protocol is one of the comma-separated tokens of list[0..len) (spaces and tabs around tokens ignored,
 * exact match). */
bool kc_ws_protocol_listed(const char *list, size_t len, const char *protocol);

/* The head of an HTTP/1.1 response, as a WebSocket client reads it. */
struct kc_ws_http_head {
    int status;
    char protocol[128];      /* Sec-WebSocket-Protocol ("" when absent) */
    char accept[64];         /* Sec-WebSocket-Accept */
    char content_type[128];  /* Content-Type ("" when absent) */
    int64_t content_length;  /* -1 when absent */
    bool chunked;            /* Transfer-Encoding: chunked */
    bool upgrade_websocket;  /* Upgrade: websocket */
    bool connection_upgrade; /* Connection lists "upgrade" */
};

/* Parses the status line and headers at the start of buf[0..len). Returns 0 with *h and *head_len (through the
 * blank line) filled; -EAGAIN when the blank line is not in yet; -EMSGSIZE when 16 KiB hold no complete head;
 * KC_EBADREQUEST for a malformed status line or header. */
int kc_ws_http_head_parse(const char *buf, size_t len, struct kc_ws_http_head *h, size_t *head_len);

/* Decodes a complete chunked body in buf[0..len) into out (at most cap bytes are kept; *out_len tells how many).
 * Returns 0 once the last chunk and the trailers are in, -EAGAIN when more bytes are needed, KC_EBADREQUEST when
 * malformed. */
int kc_ws_chunked_decode(const char *buf, size_t len, char *out, size_t cap, size_t *out_len);

/* --- the Kubernetes channel protocol (exec, attach) --- */

#define KC_WS_K8S_V5 "v5.channel.k8s.io" /* v4 + closing one channel with the message {255, channel} */
#define KC_WS_K8S_V4 "v4.channel.k8s.io" /* the status channel carries a metav1.Status */
#define KC_WS_K8S_V3 "v3.channel.k8s.io" /* + the resize channel */
#define KC_WS_K8S_V2 "v2.channel.k8s.io"
#define KC_WS_K8S_V1 "channel.k8s.io"

/* The first byte of each binary message says its channel (base64.* protocols: an ASCII digit, then base64). */
enum kc_ws_k8s_channel {
    KC_WS_STDIN = 0,
    KC_WS_STDOUT = 1,
    KC_WS_STDERR = 2,
    KC_WS_STATUS = 3, /* the error/status channel */
    KC_WS_RESIZE = 4, /* {"Width":…,"Height":…} */
    KC_WS_CLOSE_CHANNEL = 255,
};

/* The version of a channel protocol name: 5, 4, 3, 2, or 1 for channel.k8s.io, each also with the "base64."
 * prefix (*base64 tells; may be NULL); 0 for anything else. */
int kc_ws_k8s_version(const char *protocol, bool *base64);

/* The JSON text of the status an exec or attach ends with on the status channel (v4 and v5): exit_code 0:
 * {"metadata":{},"status":"Success"}; exit_code > 0: a Failure with reason NonZeroExitCode, message "command
 * terminated with non-zero exit code: <message or 'exit status N'>" and details.causes [{reason ExitCode,
 * message "N"}] (kubectl then exits N); exit_code < 0: a 500 InternalError Status with message "Internal error
 * occurred: <message>". Returns a malloc'ed string (free it), NULL when out of memory. */
char *kc_ws_k8s_status(int exit_code, const char *message);

/* --- connections --- */

typedef struct kc_ws kc_ws;

/* What a client learns from the handshake (kc_ws_callbacks.on_open). */
struct kc_ws_response {
    int status;               /* 101 when open; the server's status when it refused; 0 when it never answered */
    const char *error;        /* why it failed ("connection refused", a TLS error, "timeout", ...); NULL on 101 */
    const char *protocol;     /* 101: the negotiated subprotocol ("" when none) */
    const char *content_type; /* refused: the response's Content-Type ("" when none) */
    const char *body;         /* refused: the response body (at most 64 KiB), not NUL-terminated */
    size_t body_len;
};

/* The callbacks of a connection, all on its loop thread. on_close runs exactly once per connection, last; the
 * kc_ws is freed when it returns. */
struct kc_ws_callbacks {
    /* A complete text or binary message; data is valid during the call. */
    void (*on_message)(kc_ws *ws, int opcode, const uint8_t *data, size_t len, void *arg);
    /* The queued output fell to max_pending / 2 after kc_ws_full() had been true: resume a paused source. May be
     * NULL. */
    void (*on_drain)(kc_ws *ws, void *arg);
    /* The connection ended: code is the peer's close code (1005 when its close frame had none), 1006 when it ended
     * without one (peer gone, I/O error, handshake failed, server stopping, close timeout), or our own code when we
     * failed the connection (1002 protocol error, 1009 message too big). */
    void (*on_close)(kc_ws *ws, int code, void *arg);
    /* kc_ws_connect only: the handshake's outcome. When resp->status is not 101 the connection is over (on_close
     * follows). */
    void (*on_open)(kc_ws *ws, const struct kc_ws_response *resp, void *arg);
};

struct kc_ws_config {
    size_t max_message; /* longer messages fail the connection with 1009; 0 = 4 MiB */
    size_t max_pending; /* the output queue size above which kc_ws_full() is true; 0 = 1 MiB */
};

/* Whether req is a WebSocket handshake this server can accept: GET over HTTP/1.1 with Upgrade: websocket,
 * Sec-WebSocket-Version: 13 and a 24-character Sec-WebSocket-Key. */
bool kc_httpd_ws_is_handshake(kc_httpd_req *req);

/* The value of req's Upgrade header (h2o keeps it apart from the other headers), not NUL-terminated; NULL when
 * none (and always over HTTP/2). */
const char *kc_httpd_req_upgrade(kc_httpd_req *req, size_t *len);

/* Every Sec-WebSocket-Protocol header of req, joined with ", ", into buf (NUL-terminated, truncated to cap).
 * Returns the length ("" and 0 when none). */
size_t kc_httpd_ws_protocols(kc_httpd_req *req, char *buf, size_t cap);

/* Answers req with 101 Switching Protocols (echoing protocol as Sec-WebSocket-Protocol unless NULL or "") and
 * makes it a WebSocket connection. Messages sent before the 101 is written are queued. Returns 0 (req is then
 * consumed: never touch it again), or KC_EBADREQUEST when req is not a handshake (kc_httpd_ws_is_handshake;
 * nothing was sent: reply yourself), -ENOMEM. cfg may be NULL for the defaults. */
int kc_httpd_ws_accept(kc_httpd_req *req, const char *protocol, const struct kc_ws_config *cfg,
                       const struct kc_ws_callbacks *cb, void *arg, kc_ws **out);

/* A client connection to dial. */
struct kc_ws_dial {
    int fd;                     /* a connected TCP socket; kc_ws_connect owns it from the call on */
    struct ssl_ctx_st *ssl_ctx; /* TLS over fd when not NULL: owned from the call on (SSL_CTX_free at the end);
                                   its verification settings (CA, host or IP check) are the caller's */
    const char *server_name;    /* TLS: the SNI name */
    const char *host;           /* the Host header */
    const char *path;           /* path and query of the GET */
    const char *protocols;      /* Sec-WebSocket-Protocol to offer (comma-separated), or NULL */
    const char *const *headers; /* extra "Name: value" lines, NULL-terminated, or NULL */
    int timeout_ms;             /* for the TLS and WebSocket handshakes; 0 = 30 s */
};

/* Starts a client handshake over d->fd on loop; its outcome comes to cb->on_open (required), then messages.
 * Returns 0 with *out set, or -ENOMEM / -errno (d->fd and d->ssl_ctx are released then too; no callback runs). */
int kc_ws_connect(kc_httpd_loop *loop, const struct kc_ws_dial *d, const struct kc_ws_config *cfg,
                  const struct kc_ws_callbacks *cb, void *arg, kc_ws **out);

/* Queues a message (KC_WS_TEXT or KC_WS_BINARY; a client masks it). Returns 0, KC_EINVALID for another opcode,
 * -EPIPE when the connection is closing or closed, -ENOMEM, -EIO (no randomness for a client's mask). */
int kc_ws_send(kc_ws *ws, int opcode, const void *data, size_t len);

/* Bytes queued and not yet written. */
size_t kc_ws_pending(const kc_ws *ws);

/* Whether more than max_pending bytes wait: stop feeding this connection until on_drain. */
bool kc_ws_full(const kc_ws *ws);

/* Stops (true) or resumes (false) reading: a paused connection delivers no messages, and TCP pushes back on the
 * peer. Pings are not answered while paused. */
void kc_ws_pause(kc_ws *ws, bool paused);

/* Starts the close handshake with code (1005 sends a close frame without a code; 1006 ends the connection at once,
 * without one) after the queued messages; on_close follows when the peer answers, or after 5 s. Before a client
 * handshake has finished, aborts it (on_open is not called then); before an accepted connection's 101 is
 * written, the close follows the 101. Never calls on_close from inside the call. Idempotent. */
void kc_ws_close(kc_ws *ws, int code, const char *reason);

#endif
