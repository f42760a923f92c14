/* kc_https.h - a small HTTP/1.1 client on OpenSSL alone (https:// and http://), for programs whose start-up
 * cost matters: kctl. kc_http (libcurl) stays the client of everything else; this one trades HTTP/2, proxies,
 * compression and cancellation for a process that does not load libcurl and its thirty shared libraries.
 *
 * What it does: credentials from PEM bytes as a kubeconfig carries them (CA, client certificate and key), bearer
 * token or basic auth, SNI and verification against tls-server-name, insecure mode, one connection kept alive
 * across requests (a dead kept-alive connection is replaced and the request sent again), Content-Length,
 * chunked and read-until-close bodies, Warning headers, per-request deadlines and line-streamed bodies for
 * watches and logs. A kc_https serves one thread at a time; different clients may be used from different threads.
 * It raises no SIGPIPE (it sends with MSG_NOSIGNAL, TLS included).
 */
#ifndef KC_HTTPS_H
#define KC_HTTPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KC_HTTPS_CONNECT_TIMEOUT_MS 10000L                       /* default connect (TCP + TLS) timeout */
#define KC_HTTPS_MAX_BODY           ((size_t)1024 * 1024 * 1024) /* default limit on a response body or line */
#define KC_HTTPS_MAX_HEADER         ((size_t)1024 * 1024)        /* limit on a response's status line + headers */

/* Where and how to connect: what a kubeconfig cluster + user entry says. Every string is optional except server,
 * and NUL-terminated; kc_https_new() copies what it needs, so the config may be released right after. */
struct kc_https_config {
    const char *server;          /* base URL, "https://host:port" or "http://host:port", optional path prefix */
    const char *ca_pem;          /* CA bundle (PEM, every certificate in it is trusted) instead of the system store */
    const char *cert_pem;        /* client certificate (PEM; further certificates are sent as its chain); needs key */
    const char *key_pem;         /* the client certificate's private key (PEM, unencrypted) */
    const char *token;           /* bearer token, sent as "Authorization: Bearer <token>" on every request */
    const char *username;        /* HTTP basic auth user; ignored when token is set */
    const char *password;        /* HTTP basic auth password */
    const char *tls_server_name; /* name for SNI and for checking the server's certificate instead of the URL's
                                    host (kubeconfig tls-server-name); the URL's host stays the Host header */
    bool insecure;               /* skip verification of the server's certificate and host name */
    long connect_timeout_ms;     /* 0 = KC_HTTPS_CONNECT_TIMEOUT_MS */
    long timeout_ms;             /* default limit on a whole request, body included; 0 = none */
    size_t max_body;             /* limit on a response body (and on one streamed line); 0 = KC_HTTPS_MAX_BODY */
    const char *user_agent;      /* NULL = "k8c/<version>" */
};

/* One request. Every pointer is borrowed for the duration of the call. */
struct kc_https_request {
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

/* What came back. Owned by the caller: release with kc_https_response_close(). */
struct kc_https_response {
    long status;        /* HTTP status; 0 when no response arrived */
    int version;        /* 10 (HTTP/1.0) or 11 (HTTP/1.1); 0 when no response arrived */
    bool reused;        /* true when the request went over a connection an earlier request opened */
    char *content_type; /* the Content-Type header; NULL when absent */
    char **warnings;    /* the value of every Warning header, in order (e.g. `299 - "unknown field \"x\""`) */
    size_t nwarnings;   /* number of warnings */
    char *body;         /* the body, NUL-terminated (the NUL is not counted); NULL when empty or streamed */
    size_t body_len;    /* bytes of body */
};

/* Where the last request's time went, in microseconds from the start of kc_https_do() / kc_https_stream();
 * a phase that did not happen (a reused connection has no connect) is 0. For start-up measurements. */
struct kc_https_timing {
    uint64_t connected_us; /* TCP connection established */
    uint64_t tls_us;       /* TLS handshake done (https only) */
    uint64_t sent_us;      /* request written */
    uint64_t headers_us;   /* response status line and headers read */
    uint64_t done_us;      /* response complete (or stream ended) */
};

/* Frees everything the response holds and zeroes it. NULL is fine. */
void kc_https_response_close(struct kc_https_response *resp);

struct kc_https;

/* Makes a client for cfg. Parses the URL and, for https, sets up TLS at once: the CA, the client certificate and
 * key (checked to belong together), TLS 1.2 or later, ALPN http/1.1. No connection is made until the first
 * request. On failure, when errbuf is given, writes the reason there; credential errors are client-go's texts,
 * as kubectl prints them after "error: " (`unable to load root certificates: unable to parse bytes as PEM block`,
 * `tls: failed to find any PEM data in key input`, `tls: private key does not match public key`, ...), others
 * kc_http's (`server: invalid URL "x"`, `token holds a control character`).
 * Process-wide effect: when kc_https is the first to initialise OpenSSL, it does so without OpenSSL's atexit
 * cleanup (the kernel frees the memory; about 0.5 ms saved at exit).
 * On success *out is the client; release it with kc_https_free(). Returns 0, KC_EINVALID (bad URL, unparsable
 * PEM, a certificate without key or the reverse, a key that does not match, a token, user name, password, server
 * name or user agent with a control character, a server name that is no host name), -ENOMEM, KC_EINTERNAL
 * (OpenSSL could not set up a context). */
int kc_https_new(const struct kc_https_config *cfg, struct kc_https **out, char *errbuf, size_t errlen);

/* Closes the connection and frees the client (secrets are wiped). NULL is fine. */
void kc_https_free(struct kc_https *h);

/* Sends req and collects the whole response in *resp. The client's connection is kept alive from one request to
 * the next; when a kept-alive connection turns out closed before any byte of the answer arrived, a new one is
 * opened and the request sent once more (as browsers and libcurl do). A request abandoned midway (time limit, a
 * line callback's stop, an error) closes the connection. A server that answers before the request is all sent
 * and closes (413 for a body over its limit) has that answer returned when it arrived intact. *resp is always
 * initialised, also on failure (then it holds what had arrived), and the caller always closes it. Any HTTP status
 * counts as success: check resp->status. On failure kc_https_errmsg() says what happened. Returns 0, or:
 *   KC_EINVALID      bad request (path not starting with '/', a control character in the path or a header,
 *                    a method that is not a token)
 *   -ECONNREFUSED    nothing listens at the server's address (other connect errors: their -errno)
 *   KC_EUNAVAILABLE  the host does not resolve ("could not resolve host"), or the connection broke before a
 *                    complete response (on a new TLS connection with a client certificate and no answer yet, the
 *                    message adds that the server may have refused the certificate)
 *   KC_ETIMEOUT      the connect timeout or the request's time limit passed
 *   -EPROTO          TLS failed: the server's certificate did not verify (the message holds "server certificate
 *                    verification failed: ", OpenSSL's reason and, after "; ", Go's x509 text for it when there is
 *                    one: "x509: certificate signed by unknown authority", "x509: certificate is valid for a, not
 *                    b", expiry), the server does not speak TLS (Go's "http: server gave HTTP response to HTTPS
 *                    client" or "tls: first record does not look like a TLS handshake"), the handshake failed, the
 *                    server sent a TLS alert; or the answer is not HTTP/1.x or its framing is broken (chunked
 *                    encoding, Content-Length)
 *   KC_ETOOLARGE     the body exceeded max_body, or the headers KC_HTTPS_MAX_HEADER
 *   -ENOMEM          out of memory */
int kc_https_do(struct kc_https *h, const struct kc_https_request *req, struct kc_https_response *resp);

/* Called with each complete line of a streamed body: line is the line without its '\n' (and without a '\r'
 * before it), NUL-terminated, len bytes; the buffer is the callback's to modify but only until it returns.
 * Empty lines are delivered too. Return 0 to go on, a positive value to stop the stream (kc_https_stream then
 * returns 0), or a negative error to abort it (kc_https_stream returns that error). */
typedef int (*kc_https_line_fn)(void *arg, char *line, size_t len);

/* Like kc_https_do(), but a 2xx response body is delivered line by line to fn as it arrives, whatever the
 * chunking: a line split across reads is joined, several lines in one read are split, and a final line without
 * '\n' is delivered when the body ends normally. A response with another status is collected in resp->body
 * instead, and fn is not called. resp->body is NULL for a streamed response. The stream ends when the server ends
 * it, when fn stops it (the connection is closed, so the server sees the client leave), or at req->timeout_ms
 * (KC_ETIMEOUT). Errors as kc_https_do(), plus what fn returns; a line over max_body is KC_ETOOLARGE. */
int kc_https_stream(struct kc_https *h, const struct kc_https_request *req, kc_https_line_fn fn, void *arg,
                    struct kc_https_response *resp);

/* A description of the last failure on h, e.g. "GET https://127.0.0.1:6443/api: TLS: server certificate
 * verification failed: unable to get local issuer certificate". "" after a success. Valid until the next call
 * on h. */
const char *kc_https_errmsg(const struct kc_https *h);

/* The phases of the last request on h (see struct kc_https_timing). */
const struct kc_https_timing *kc_https_timing(const struct kc_https *h);

/* The text of a Warning header value as Kubernetes sends it (`299 - "text"`, RFC 7234 quoting undone), or the
 * whole value when it does not have that form. Returns a malloc'ed string the caller frees, or NULL on allocation
 * failure. */
char *kc_https_warning_text(const char *value);

#endif
