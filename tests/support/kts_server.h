/* kts_server.h - a real HTTPS server for tests: h2o 2.2.5 on 127.0.0.1, a free port, its own thread.
 *
 * TLS with ALPN h2 + http/1.1, optional client-certificate verification (SSL_VERIFY_PEER only, like
 * kube-apiserver), path handlers written against h2o's own request type, helpers to answer, to stream a body
 * in pieces and to run code on the server's thread. Every test that starts one stops it in its teardown.
 */
#ifndef KTS_SERVER_H
#define KTS_SERVER_H

#include <h2o.h>
#include <stdbool.h>
#include <stddef.h>

#include "kc_pki.h"

#define KTS_MAX_REQUEST_BODY ((size_t)4 * 1024 * 1024) /* default limit on a request body (413 above) */
#define KTS_DRAIN_MS         5000                      /* how long kts_server_free waits for connections to close */

struct kts_server_opts {
    const char *cert_pem;      /* serving certificate (PEM); required */
    const char *key_pem;       /* its private key (PEM); required */
    const char *client_ca_pem; /* when set, ask for a client certificate and verify it against this CA if one
                                  is sent; a connection without one is still accepted */
    bool http1_only;           /* ALPN selects http/1.1 only (as for a client that offers no h2) */
    size_t max_request_body;   /* 0 = KTS_MAX_REQUEST_BODY */
};

struct kts_server;

/* Handles a request on the server's thread. Return 0 when the request is answered (now, or later through a
 * kts_stream or kts_server_call), -1 to leave it to the next matching path (in the end: 404). */
typedef int (*kts_handler_fn)(void *arg, h2o_req_t *req);

/* Prepares a server: TLS context, h2o configuration. Add paths with kts_server_route(), then start it. Returns
 * 0, -EINVAL (missing or unparsable certificate/key/CA), -ENOMEM. */
int kts_server_new(const struct kts_server_opts *opts, struct kts_server **out);

/* Routes requests whose path starts with prefix (on a '/' boundary; the first registered match wins) to fn.
 * Only before kts_server_start(). Returns 0, -EBUSY (already started), -ENOMEM. */
int kts_server_route(struct kts_server *srv, const char *prefix, kts_handler_fn fn, void *arg);

/* Binds 127.0.0.1 on a free port and starts the server thread. Returns 0 or -errno. */
int kts_server_start(struct kts_server *srv);

/* The port and the base URL ("https://127.0.0.1:PORT"), once started. */
int kts_server_port(const struct kts_server *srv);
const char *kts_server_url(const struct kts_server *srv);

/* Connections accepted since the start, and those open now. */
long kts_server_accepted(const struct kts_server *srv);
long kts_server_open_connections(const struct kts_server *srv);

/* Runs fn(arg) on the server thread and waits until it returned. For touching streams and handler state from
 * the test thread. Returns 0, or -ESHUTDOWN when the server is not running. */
int kts_server_call(struct kts_server *srv, void (*fn)(void *arg), void *arg);

/* Stops the server: ends every open stream, stops accepting, waits up to KTS_DRAIN_MS for the connections to
 * close (close the clients first), then frees everything. Never started or NULL is fine. */
void kts_server_free(struct kts_server *srv);

/* --- on the server thread, inside a handler or a kts_server_call --- */

/* Adds a response header (before kts_respond or kts_stream_start). */
void kts_add_header(h2o_req_t *req, const char *name, const char *value);

/* Answers with a complete body (copied; NULL with len 0 for none). content_type may be NULL. */
void kts_respond(h2o_req_t *req, int status, const char *content_type, const void *body, size_t len);

/* The value of a request header as a NUL-terminated string in the request's pool, or NULL. */
const char *kts_req_header(h2o_req_t *req, const char *name);

/* The request's path with its query, NUL-terminated in the request's pool. */
const char *kts_req_path(h2o_req_t *req);

/* The query string without '?' (NUL-terminated in the pool), or "" when there is none. */
const char *kts_req_query(h2o_req_t *req);

/* "HTTP/2", "HTTP/1.1" or "HTTP/1.0", as the request arrived. */
const char *kts_req_protocol(h2o_req_t *req);

/* The identity in the client certificate the connection presented (verified against client_ca_pem), or
 * NULL when it presented none. Valid while the request is. */
const struct kc_pki_identity *kts_req_identity(h2o_req_t *req);

/* A response body sent in pieces (a watch). Owned by the server: the pointer stays valid until
 * kts_server_free(), also after the request is gone. */
struct kts_stream;

/* Starts a streamed response (no Content-Length: chunked on HTTP/1.1, DATA frames on HTTP/2). The status line
 * and headers go out with the first bytes written, so write something at once when the client should see
 * the status right away. content_type may be NULL. */
struct kts_stream *kts_stream_start(h2o_req_t *req, int status, const char *content_type);

/* Queues len bytes; they are sent as one piece as soon as the previous piece has left. Returns 0, -EPIPE when
 * the client is gone or the stream has ended, -ENOMEM. */
int kts_stream_write(struct kts_stream *st, const void *data, size_t len);

/* Ends the body once everything queued has been sent. */
void kts_stream_end(struct kts_stream *st);

/* True once the client has gone (h2o called stop: a reset HTTP/2 stream, a failed write on HTTP/1.1). */
bool kts_stream_client_gone(const struct kts_stream *st);

/* --- the TLS peer identity plumbing (kts_tls_peer.c; relies on h2o 2.2.5 internals) --- */

/* Installs the handshake hook on ctx that records the peer certificate's identity per connection. */
int kts_tls_peer_setup(SSL_CTX *ctx);

/* The identity recorded for sock, or NULL. */
const struct kc_pki_identity *kts_tls_peer_identity(h2o_socket_t *sock);

#endif
