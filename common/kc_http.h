/* kc_http.h - the HTTPS client every k8c component uses to talk to an API server (libcurl underneath).
 *
 * HTTP/2 over TLS through ALPN with HTTP/1.1 as the fallback (or forced), credentials from PEM bytes as a
 * kubeconfig carries them, connections kept alive across requests, JSON helpers, and line-streamed bodies for
 * watches. Threads: a kc_http serves one thread at a time (give each thread its own; they are cheap: one easy
 * handle and its connection cache), except kc_http_cancel(), which any thread may call while another is inside a
 * request on that client. Different clients may be used from different threads at once. libcurl runs with
 * CURLOPT_NOSIGNAL, as threaded programs need; like any network program, ignore SIGPIPE.
 */
#ifndef KC_HTTP_H
#define KC_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define KC_HTTP_CONNECT_TIMEOUT_MS 10000L                       /* default connect (TCP + TLS) timeout */
#define KC_HTTP_MAX_BODY           ((size_t)1024 * 1024 * 1024) /* default limit on a response body or line */

/* Which protocol to offer. */
enum kc_http_version {
    KC_HTTP_AUTO = 0, /* over https: offer h2 and http/1.1 in ALPN, use what the server picks; http: 1.1 */
    KC_HTTP_1_1 = 1,  /* HTTP/1.1 only (ALPN offers http/1.1 alone) */
};

/* Where and how to connect: what a kubeconfig cluster + user entry says. A plain struct that any code can fill:
 * every string is optional except server, and NUL-terminated. kc_http_new() copies what it needs, so the
 * config may be released right after. When the strings are malloc'ed, kc_http_config_close() frees them. */
struct kc_http_config {
    char *server;                 /* base URL, "https://host:port" with an optional path prefix; required */
    char *ca_pem;                 /* CA bundle (PEM) to trust instead of the system store; NULL = system store */
    char *cert_pem;               /* client certificate (PEM) for mTLS; needs key_pem */
    char *key_pem;                /* the client certificate's private key (PEM, unencrypted) */
    char *token;                  /* bearer token, sent as "Authorization: Bearer <token>" on every request */
    char *username;               /* HTTP basic auth user (kubeconfig username); ignored when token is set */
    char *password;               /* HTTP basic auth password */
    char *tls_server_name;        /* name for SNI and for checking the server's certificate instead of the
                                     URL's host (kubeconfig tls-server-name); the URL's host is still the Host */
    bool insecure;                /* skip verification of the server's certificate and host name */
    enum kc_http_version version; /* KC_HTTP_AUTO (default) or KC_HTTP_1_1 */
    long connect_timeout_ms;      /* 0 = KC_HTTP_CONNECT_TIMEOUT_MS */
    long timeout_ms;              /* default limit on a whole request, body included; 0 = none */
    size_t max_body;              /* limit on a response body (and on one streamed line); 0 = KC_HTTP_MAX_BODY */
    char *user_agent;             /* NULL = "k8c/<version>" */
};

/* Frees every string of cfg with free() and zeroes it. For configs whose strings were malloc'ed. */
void kc_http_config_close(struct kc_http_config *cfg);

/* One request. Every pointer is borrowed for the duration of the call. */
struct kc_http_request {
    const char *method;         /* "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", ...; NULL = "GET" */
    const char *path;           /* appended to the server URL: "/api/v1/pods?watch=1"; starts with '/', escaped */
    const void *body;           /* request body; with NULL nothing is sent (no Content-Length) */
    size_t body_len;            /* bytes of body */
    const char *content_type;   /* Content-Type of the body; NULL = none */
    const char *accept;         /* Accept header; NULL = none */
    const char *const *headers; /* further "Name: value" headers, NULL-terminated; may be NULL */
    long timeout_ms;            /* limit on this whole request from its start, connect included, and so the
                                   deadline of a stream; 0 = the client's timeout_ms, -1 = none */
};

/* What came back. Owned by the caller: release with kc_http_response_close(). */
struct kc_http_response {
    long status;        /* HTTP status; 0 when no response arrived */
    int version;        /* protocol used: 10 (HTTP/1.0), 11 (HTTP/1.1), 20 (HTTP/2); 0 when unknown */
    bool reused;        /* true when the request went over a connection an earlier request opened */
    char *content_type; /* the Content-Type header; NULL when absent */
    char **warnings;    /* the value of every Warning header, in order (e.g. `299 - "unknown field \"x\""`) */
    size_t nwarnings;   /* number of warnings */
    char *body;         /* the body, NUL-terminated (the NUL is not counted); NULL when empty or streamed */
    size_t body_len;    /* bytes of body */
};

/* Frees everything the response holds and zeroes it. NULL is fine. */
void kc_http_response_close(struct kc_http_response *resp);

struct kc_http;

/* Makes a client for cfg. Checks up front what can be checked: the server URL (http or https), and that the
 * CA, certificate and key parse as PEM and that the key belongs to the certificate. On failure, when errbuf is
 * given, writes the reason there. On success *out is the client; release it with kc_http_free(). Returns 0,
 * KC_EINVALID (bad URL, unparsable PEM, a certificate without key or the reverse, a key that does not match,
 * a token or user agent with a control character), -ENOMEM, KC_EINTERNAL (libcurl could not initialise). */
int kc_http_new(const struct kc_http_config *cfg, struct kc_http **out, char *errbuf, size_t errlen);

/* Closes the client's connections and frees it. NULL is fine. No thread may be in kc_http_cancel() on it. */
void kc_http_free(struct kc_http *h);

/* Sends req and collects the whole response in *resp. Requests reuse the client's open connection (keep-alive);
 * a request abandoned midway (time limit, kc_http_cancel, a line callback's stop) closes its connection, so that
 * the server sees the client leave at once, and the next request opens a new one. *resp is always initialised,
 * also on failure (then it holds what had arrived), and the caller always closes it. Any HTTP status counts as
 * success: check resp->status. On failure kc_http_errmsg() says what happened, with libcurl's detail.
 * Returns 0, or:
 *   KC_EINVALID      bad request (path not starting with '/', a control character in the path or a header,
 *                    a method that is not a token), or a client certificate or CA the TLS library refused
 *   -ECONNREFUSED    nothing listens at the server's address (other connect errors: their -errno)
 *   KC_EUNAVAILABLE  the host does not resolve, or the connection broke before a complete response (also
 *                    how a TLS 1.3 server's refusal of the client certificate shows: the message says so)
 *   KC_ETIMEOUT      the connect timeout or the request's time limit passed
 *   -EPROTO          TLS failed: the server's certificate did not verify (unknown CA, expired, host name
 *                    mismatch), the handshake failed, or the server sent a TLS alert
 *   -ECANCELED       kc_http_cancel() was called
 *   KC_ETOOLARGE     the body exceeded max_body
 *   -ENOMEM          out of memory */
int kc_http_do(struct kc_http *h, const struct kc_http_request *req, struct kc_http_response *resp);

/* Called with each complete line of a streamed body: line is the line without its '\n' (and without a '\r'
 * before it), NUL-terminated, len bytes; the buffer is the callback's to modify but only until it returns.
 * Empty lines are delivered too. Return 0 to go on, a positive value to stop the stream (kc_http_stream then
 * returns 0), or a negative error to abort it (kc_http_stream returns that error). */
typedef int (*kc_http_line_fn)(void *arg, char *line, size_t len);

/* Like kc_http_do(), but a 2xx response body is delivered line by line to fn as it arrives (one JSON object
 * per line for a watch), whatever the chunking: a line split across reads is joined, several lines in one read
 * are split, and a final line without '\n' is delivered when the body ends normally. A response with another
 * status is collected in resp->body instead (it is a Status object, not a stream), and fn is not called.
 * resp->body is NULL for a streamed response. The stream ends when the server ends it, when fn stops it, at
 * req->timeout_ms (KC_ETIMEOUT: the deadline of a watch), or at kc_http_cancel() (-ECANCELED). Errors as
 * kc_http_do(), plus what fn returns; a line over max_body is KC_ETOOLARGE. */
int kc_http_stream(struct kc_http *h, const struct kc_http_request *req, kc_http_line_fn fn, void *arg,
                   struct kc_http_response *resp);

/* A JSON request: body (may be NULL) is sent compact with Content-Type req->content_type or, when that is NULL,
 * application/json (use application/merge-patch+json etc. for PATCH); Accept is req->accept or
 * application/json; req->body is ignored. When reply is not NULL and the response has a body whose media type
 * is JSON (application/json, anything +json, or no Content-Type at all), *reply is the parsed document (the
 * caller json_decref()s it); otherwise *reply is NULL. Errors as kc_http_do(), plus KC_EPARSE when the reply
 * is not valid JSON (resp is still filled and kc_http_errmsg() gives line and column) and -ENOMEM when body
 * cannot be serialised. */
int kc_http_json(struct kc_http *h, const struct kc_http_request *req, const json_t *body,
                 struct kc_http_response *resp, json_t **reply);

/* Cancels: the request in progress on h (in any thread) ends with -ECANCELED within milliseconds, and so does
 * every later one, at once, until kc_http_cancel_clear(). Safe to call from any thread (not from a signal
 * handler); h must stay alive during the call. */
void kc_http_cancel(struct kc_http *h);

/* Clears a cancellation so that h can be used again. Call it from the thread that uses h. */
void kc_http_cancel_clear(struct kc_http *h);

/* A description of the last failure on h, e.g. "GET https://127.0.0.1:6443/api: TLS: server certificate
 * verification failed: SSL certificate problem: unable to get local issuer certificate". "" after a success.
 * Valid until the next call on h. */
const char *kc_http_errmsg(const struct kc_http *h);

/* The text of a Warning header value as Kubernetes sends it (`299 - "text"`, RFC 7234 quoting undone), or
 * the whole value when it does not have that form. Returns a malloc'ed string the caller frees, or NULL on
 * allocation failure. */
char *kc_http_warning_text(const char *value);

#endif
