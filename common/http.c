/* http.c - kc_http over libcurl: one easy handle driven through a private multi handle.
 *
 * The multi handle is there for two reasons: its connection cache keeps connections alive from one request to
 * the next, and curl_multi_poll()/curl_multi_wakeup() let another thread interrupt a request at once, which
 * the easy interface cannot do (its progress callback runs about once a second).
 */
#include "kc_http.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_jarena.h"
#include "kc_json.h"
#include "kc_pki.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#ifndef K8C_VERSION
#define K8C_VERSION "0.1.0"
#endif

#define POLL_MS 1000 /* longest wait between checks of the loop when libcurl has no timer of its own */

struct kc_http {
    CURLM *multi;
    CURL *easy;
    char *base;                    /* server URL without a trailing '/', as configured (for messages) */
    char *curl_base;               /* the URL libcurl gets: base, or base with the tls_server_name as host */
    struct curl_slist *connect_to; /* with tls_server_name: "::host:port", where to connect really */
    char *host_header;             /* with tls_server_name: "Host: <the configured host>" */
    char *username;                /* basic auth, when there is no token */
    char *password;
    char *ca_pem; /* copies of the credentials; curl reads them in place (CURL_BLOB_NOCOPY) */
    char *cert_pem;
    char *key_pem;
    char *auth_header; /* "Authorization: Bearer ..." or NULL */
    char *user_agent;
    bool insecure;
    enum kc_http_version version;
    long connect_timeout_ms;
    long timeout_ms;
    size_t max_body;
    atomic_bool cancelled;
    char curl_err[CURL_ERROR_SIZE]; /* libcurl's detail for the current transfer */
    char errmsg[CURL_ERROR_SIZE + 512];
};

/* The state of one transfer, shared with libcurl's callbacks. */
struct xfer {
    struct kc_http *h;
    struct kc_http_response *resp;
    kc_http_line_fn fn; /* set for kc_http_stream */
    void *arg;
    int mode;  /* 0 = not decided yet, 1 = collect the body, 2 = deliver lines */
    char *buf; /* the body, or the partial line in line mode */
    size_t len, cap;
    size_t scanned;  /* line mode: bytes of buf already known to hold no '\n' */
    bool abort;      /* a callback wants the transfer ended: run() aborts it */
    bool stopped;    /* ... because the line callback said stop (a success) */
    int err;         /* ... otherwise this error */
    const char *why; /* the error's description for the message */
    size_t warn_cap;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void
global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void set_errmsg(struct kc_http *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
set_errmsg(struct kc_http *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->errmsg, sizeof(h->errmsg), fmt, ap);
    va_end(ap);
}

static void errbuf_set(char *errbuf, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
errbuf_set(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (!errbuf || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

void
kc_http_config_close(struct kc_http_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->server);
    free(cfg->ca_pem);
    free(cfg->cert_pem);
    if (cfg->key_pem) {
        memset(cfg->key_pem, 0, strlen(cfg->key_pem));
        free(cfg->key_pem);
    }
    free(cfg->token);
    free(cfg->tls_server_name);
    free(cfg->username);
    if (cfg->password) {
        memset(cfg->password, 0, strlen(cfg->password));
        free(cfg->password);
    }
    free(cfg->user_agent);
    memset(cfg, 0, sizeof(*cfg));
}

void
kc_http_response_close(struct kc_http_response *resp)
{
    if (!resp)
        return;
    free(resp->content_type);
    for (size_t i = 0; i < resp->nwarnings; i++)
        free(resp->warnings[i]);
    free(resp->warnings);
    free(resp->body);
    memset(resp, 0, sizeof(*resp));
}

/* True when s holds a byte a header line must not contain (CR, LF, other controls; a tab is fine). */
static bool
has_control(const char *s)
{
    for (; *s; s++)
        if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
            return true;
    return false;
}

/* Checks that a CA bundle, a certificate or a key parses, so a bad kubeconfig fails with a clear message. */
static int
check_pem(const char *what, const char *cert, const char *key, char *errbuf, size_t errlen)
{
    struct kc_pki_cert c = { 0 };
    int err = kc_pki_cert_from_pem(cert, 0, key, 0, &c);
    kc_pki_cert_close(&c);
    if (err == KC_EINVALID)
        errbuf_set(errbuf, errlen, key ? "%s: not a PEM certificate and matching private key" : "%s: not PEM", what);
    else if (err)
        errbuf_set(errbuf, errlen, "%s: %s", what, kc_strerror(err));
    return err;
}

static char *
dup_opt(const char *s, int *err)
{
    if (!s)
        return NULL;
    char *d = kc_strdup(s);
    if (!d)
        *err = -ENOMEM;
    return d;
}

static void
strip_slashes(char *url)
{
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        url[--n] = '\0';
}

/* kubeconfig's tls-server-name: the server's certificate is checked against (and SNI names) another host than
 * the URL's. libcurl takes both from the URL, so the URL gets that host, CURLOPT_CONNECT_TO sends the connection
 * to the real address, and a Host header keeps the request addressed as configured (as Go's client does). */
static int
use_server_name(struct kc_http *h, const char *name)
{
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL, *url = NULL, *explicit_port = NULL;
    int err = KC_EINVALID;

    if (!u)
        return -ENOMEM;
    if (curl_url_set(u, CURLUPART_URL, h->base, 0) || curl_url_get(u, CURLUPART_HOST, &host, 0) ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT))
        goto out;
    bool has_port = curl_url_get(u, CURLUPART_PORT, &explicit_port, 0) == CURLUE_OK;
    if (curl_url_set(u, CURLUPART_HOST, name, 0) || curl_url_get(u, CURLUPART_URL, &url, 0))
        goto out;
    size_t n = strlen(host) + strlen(port) + 16;
    char *ct = kc_malloc(n);
    h->host_header = kc_malloc(n);
    h->curl_base = kc_strdup(url);
    err = -ENOMEM;
    if (ct && h->host_header && h->curl_base) {
        snprintf(ct, n, "::%s:%s", host, port);
        if (has_port)
            snprintf(h->host_header, n, "Host: %s:%s", host, port);
        else
            snprintf(h->host_header, n, "Host: %s", host);
        if ((h->connect_to = curl_slist_append(NULL, ct)))
            err = 0;
        strip_slashes(h->curl_base);
    }
    free(ct);
out:
    curl_free(host);
    curl_free(port);
    curl_free(explicit_port);
    curl_free(url);
    curl_url_cleanup(u);
    return err;
}

int
kc_http_new(const struct kc_http_config *cfg, struct kc_http **out, char *errbuf, size_t errlen)
{
    struct kc_http *h;
    int err = 0;

    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK) {
        errbuf_set(errbuf, errlen, "libcurl: %s", curl_easy_strerror(global_rc));
        return KC_EINTERNAL;
    }
    if (!cfg || !cfg->server || (strncasecmp(cfg->server, "https://", 8) && strncasecmp(cfg->server, "http://", 7))) {
        errbuf_set(errbuf, errlen, "server: want an http:// or https:// URL, got \"%s\"",
                   cfg && cfg->server ? cfg->server : "");
        return KC_EINVALID;
    }
    CURLU *u = curl_url();
    if (!u)
        return -ENOMEM;
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, cfg->server, 0);
    curl_url_cleanup(u);
    if (uc != CURLUE_OK || has_control(cfg->server)) {
        errbuf_set(errbuf, errlen, "server: invalid URL \"%s\"", cfg->server);
        return uc == CURLUE_OUT_OF_MEMORY ? -ENOMEM : KC_EINVALID;
    }
    if (!cfg->cert_pem != !cfg->key_pem) {
        errbuf_set(errbuf, errlen,
                   cfg->cert_pem ? "client certificate given without its key"
                                 : "client key given without its certificate");
        return KC_EINVALID;
    }
    const char *bad = cfg->token && has_control(cfg->token)                       ? "token"
                      : cfg->user_agent && has_control(cfg->user_agent)           ? "user agent"
                      : cfg->tls_server_name && has_control(cfg->tls_server_name) ? "TLS server name"
                      : cfg->username && has_control(cfg->username)               ? "user name"
                      : cfg->password && has_control(cfg->password)               ? "password"
                                                                                  : NULL;
    if (bad) {
        errbuf_set(errbuf, errlen, "%s holds a control character", bad);
        return KC_EINVALID;
    }
    if (cfg->ca_pem && (err = check_pem("certificate authority", cfg->ca_pem, NULL, errbuf, errlen)))
        return err;
    if (cfg->cert_pem && (err = check_pem("client certificate", cfg->cert_pem, cfg->key_pem, errbuf, errlen)))
        return err;

    if (!(h = kc_calloc(1, sizeof(*h))))
        return -ENOMEM;
    h->insecure = cfg->insecure;
    h->version = cfg->version;
    h->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : KC_HTTP_CONNECT_TIMEOUT_MS;
    h->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 0;
    h->max_body = cfg->max_body ? cfg->max_body : KC_HTTP_MAX_BODY;
    atomic_init(&h->cancelled, false);
    h->base = dup_opt(cfg->server, &err);
    h->ca_pem = dup_opt(cfg->ca_pem, &err);
    h->cert_pem = dup_opt(cfg->cert_pem, &err);
    h->key_pem = dup_opt(cfg->key_pem, &err);
    h->user_agent = dup_opt(cfg->user_agent ? cfg->user_agent : "k8c/" K8C_VERSION, &err);
    if (!err && cfg->token) {
        size_t n = strlen(cfg->token) + sizeof("Authorization: Bearer ");
        if ((h->auth_header = kc_malloc(n)))
            snprintf(h->auth_header, n, "Authorization: Bearer %s", cfg->token);
        else
            err = -ENOMEM;
    }
    if (!cfg->token) {
        h->username = dup_opt(cfg->username, &err);
        h->password = dup_opt(cfg->password, &err);
    }
    if (err)
        goto fail;
    strip_slashes(h->base);
    if (cfg->tls_server_name && *cfg->tls_server_name) {
        if ((err = use_server_name(h, cfg->tls_server_name))) {
            if (err == KC_EINVALID)
                errbuf_set(errbuf, errlen, "TLS server name: \"%s\" cannot stand for the host of \"%s\"",
                           cfg->tls_server_name, cfg->server);
            else
                errbuf_set(errbuf, errlen, "%s", kc_strerror(err));
            kc_http_free(h);
            return err;
        }
    } else if (!(h->curl_base = kc_strdup(h->base))) {
        err = -ENOMEM;
        goto fail;
    }
    h->multi = curl_multi_init();
    h->easy = curl_easy_init();
    if (!h->multi || !h->easy) {
        err = -ENOMEM;
        goto fail;
    }
    *out = h;
    return 0;
fail:
    errbuf_set(errbuf, errlen, "%s", kc_strerror(err));
    kc_http_free(h);
    return err;
}

void
kc_http_free(struct kc_http *h)
{
    if (!h)
        return;
    if (h->easy)
        curl_easy_cleanup(h->easy);
    if (h->multi)
        curl_multi_cleanup(h->multi);
    free(h->base);
    free(h->curl_base);
    curl_slist_free_all(h->connect_to);
    free(h->host_header);
    free(h->username);
    if (h->password) {
        memset(h->password, 0, strlen(h->password));
        free(h->password);
    }
    free(h->ca_pem);
    free(h->cert_pem);
    if (h->key_pem) {
        memset(h->key_pem, 0, strlen(h->key_pem));
        free(h->key_pem);
    }
    if (h->auth_header) {
        memset(h->auth_header, 0, strlen(h->auth_header));
        free(h->auth_header);
    }
    free(h->user_agent);
    free(h);
}

void
kc_http_cancel(struct kc_http *h)
{
    atomic_store(&h->cancelled, true);
    curl_multi_wakeup(h->multi);
}

void
kc_http_cancel_clear(struct kc_http *h)
{
    atomic_store(&h->cancelled, false);
}

const char *
kc_http_errmsg(const struct kc_http *h)
{
    return h->errmsg;
}

/* Makes room for n more bytes (plus a NUL) in the transfer buffer, within max_body. */
static int
buf_reserve(struct xfer *x, size_t n)
{
    if (x->len + n > x->h->max_body)
        return KC_ETOOLARGE;
    if (x->len + n + 1 <= x->cap)
        return 0;
    size_t cap = x->cap ? x->cap : 4096;
    while (cap < x->len + n + 1)
        cap *= 2;
    char *nb = kc_realloc(x->buf, cap);
    if (!nb)
        return -ENOMEM;
    x->buf = nb;
    x->cap = cap;
    return 0;
}

/* Asks run() to end the transfer. The callbacks never fail a transfer themselves: a short write count would
 * make libcurl finish it at once, and an HTTP/2 connection would then keep the aborted stream's reset queued
 * until its next use, leaving the server streaming to nobody. */
static void
abort_xfer(struct xfer *x, int err, const char *why)
{
    if (x->abort)
        return;
    x->abort = true;
    x->err = err;
    x->why = why;
}

/* Hands every complete line in the buffer to the callback, then keeps the partial rest. */
static void
deliver_lines(struct xfer *x)
{
    size_t start = 0;
    int rc = 0;
    char *nl;
    while (!rc && (nl = memchr(x->buf + x->scanned, '\n', x->len - x->scanned))) {
        size_t end = (size_t)(nl - x->buf);
        size_t n = end - start;
        if (n > 0 && x->buf[start + n - 1] == '\r')
            n--;
        x->buf[start + n] = '\0';
        rc = x->fn(x->arg, x->buf + start, n);
        start = end + 1;
        x->scanned = start;
    }
    if (start > 0) {
        memmove(x->buf, x->buf + start, x->len - start);
        x->len -= start;
    }
    x->scanned = x->len;
    if (rc > 0) {
        x->stopped = true;
        abort_xfer(x, 0, NULL);
    } else if (rc < 0) {
        abort_xfer(x, rc, "stopped by the line callback");
    }
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct xfer *x = arg;
    size_t n = size * nmemb;
    int err;

    if (!x->mode) {
        long status = 0;
        curl_easy_getinfo(x->h->easy, CURLINFO_RESPONSE_CODE, &status);
        x->mode = x->fn && status >= 200 && status < 300 ? 2 : 1;
    }
    if (n == 0 || x->abort)
        return n; /* after an abort, the rest is dropped until run() ends the transfer */
    if ((err = buf_reserve(x, n))) {
        abort_xfer(x, err, err == KC_ETOOLARGE ? "response too large" : "out of memory");
        return n;
    }
    memcpy(x->buf + x->len, data, n);
    x->len += n;
    if (x->mode == 2)
        deliver_lines(x);
    return n;
}

/* Collects Warning headers; a new status line (after a 100 Continue) starts over. */
static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    struct xfer *x = arg;
    struct kc_http_response *r = x->resp;
    size_t n = size * nmemb;

    if (x->abort)
        return n;
    if (n >= 5 && !memcmp(data, "HTTP/", 5)) {
        for (size_t i = 0; i < r->nwarnings; i++)
            free(r->warnings[i]);
        r->nwarnings = 0;
        return n;
    }
    if (n < 8 || strncasecmp(data, "warning:", 8))
        return n;
    const char *v = data + 8, *e = data + n;
    while (v < e && (*v == ' ' || *v == '\t'))
        v++;
    while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ' || e[-1] == '\t'))
        e--;
    if (r->nwarnings == x->warn_cap) {
        size_t cap = x->warn_cap ? 2 * x->warn_cap : 4;
        char **nw = kc_realloc(r->warnings, cap * sizeof(*nw));
        if (!nw) {
            abort_xfer(x, -ENOMEM, "out of memory");
            return n;
        }
        r->warnings = nw;
        x->warn_cap = cap;
    }
    if (!(r->warnings[r->nwarnings] = kc_strndup(v, (size_t)(e - v)))) {
        abort_xfer(x, -ENOMEM, "out of memory");
        return n;
    }
    r->nwarnings++;
    return n;
}

static bool
method_ok(const char *m)
{
    if (!*m)
        return false;
    for (; *m; m++)
        if (!isupper((unsigned char)*m) && *m != '-' && *m != '_')
            return false;
    return true;
}

/* Appends a header to the list; false on allocation failure (the list stays valid). */
static bool
add_header(struct curl_slist **list, const char *line)
{
    struct curl_slist *l = curl_slist_append(*list, line);
    if (!l)
        return false;
    *list = l;
    return true;
}

static bool
add_header2(struct curl_slist **list, const char *name, const char *value)
{
    char buf[1024];
    if (snprintf(buf, sizeof(buf), "%s: %s", name, value) >= (int)sizeof(buf))
        return false;
    return add_header(list, buf);
}

/* Sets every option of one transfer on the reused easy handle (after a reset, so nothing leaks over). */
#define SETOPT(opt, val)                                      \
    do {                                                      \
        if ((rc = curl_easy_setopt(e, opt, val)) != CURLE_OK) \
            goto fail;                                        \
    } while (0)

static int
setup(struct kc_http *h, const struct kc_http_request *req, const char *url, struct curl_slist *headers, struct xfer *x)
{
    CURL *e = h->easy;
    CURLcode rc;
    const char *method = req->method ? req->method : "GET";

    curl_easy_reset(e);
    h->curl_err[0] = '\0';
    SETOPT(CURLOPT_ERRORBUFFER, h->curl_err);
    SETOPT(CURLOPT_URL, url);
    SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_USERAGENT, h->user_agent);
    SETOPT(CURLOPT_HTTPHEADER, headers);
    SETOPT(CURLOPT_ACCEPT_ENCODING, ""); /* whatever libcurl can decode: gzip, as kube-apiserver offers */
    SETOPT(CURLOPT_HTTP_VERSION,
           h->version == KC_HTTP_1_1 ? (long)CURL_HTTP_VERSION_1_1 : (long)CURL_HTTP_VERSION_2TLS);
    SETOPT(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
    SETOPT(CURLOPT_TCP_KEEPIDLE, 30L);
    SETOPT(CURLOPT_TCP_KEEPINTVL, 15L);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
    if (h->connect_to)
        SETOPT(CURLOPT_CONNECT_TO, h->connect_to);
    if (h->username) {
        SETOPT(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        SETOPT(CURLOPT_USERNAME, h->username);
        SETOPT(CURLOPT_PASSWORD, h->password ? h->password : "");
    }
    if (h->insecure) {
        SETOPT(CURLOPT_SSL_VERIFYPEER, 0L);
        SETOPT(CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (h->ca_pem) {
        /* The kubeconfig's CA replaces the system store, as in client-go. */
        struct curl_blob blob = { .data = h->ca_pem, .len = strlen(h->ca_pem), .flags = CURL_BLOB_NOCOPY };
        SETOPT(CURLOPT_CAINFO, NULL);
        SETOPT(CURLOPT_CAPATH, NULL);
        SETOPT(CURLOPT_CAINFO_BLOB, &blob);
    }
    if (h->cert_pem) {
        struct curl_blob cert = { .data = h->cert_pem, .len = strlen(h->cert_pem), .flags = CURL_BLOB_NOCOPY };
        struct curl_blob key = { .data = h->key_pem, .len = strlen(h->key_pem), .flags = CURL_BLOB_NOCOPY };
        SETOPT(CURLOPT_SSLCERTTYPE, "PEM");
        SETOPT(CURLOPT_SSLCERT_BLOB, &cert);
        SETOPT(CURLOPT_SSLKEYTYPE, "PEM");
        SETOPT(CURLOPT_SSLKEY_BLOB, &key);
    }
    if (!strcmp(method, "HEAD")) {
        SETOPT(CURLOPT_NOBODY, 1L);
    } else if (req->body) {
        SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        SETOPT(CURLOPT_POSTFIELDS, req->body);
        SETOPT(CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET")) {
        SETOPT(CURLOPT_CUSTOMREQUEST, method);
    }
    SETOPT(CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(CURLOPT_WRITEDATA, x);
    SETOPT(CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(CURLOPT_HEADERDATA, x);
    return 0;
fail:
    set_errmsg(h, "%s %s: libcurl option: %s", method, url, curl_easy_strerror(rc));
    return rc == CURLE_OUT_OF_MEMORY ? -ENOMEM : KC_EINTERNAL;
}

/* True when libcurl's message shows the failure came from TLS (an alert, a failed read of a record). */
static bool
tls_detail(const char *msg)
{
    return strstr(msg, "SSL") || strstr(msg, "TLS") || strstr(msg, "alert");
}

/* Turns a failed transfer into an error code and a message. */
static int
transfer_error(struct kc_http *h, const char *method, const char *url, CURLcode rc)
{
    long os_errno = 0;
    const char *what, *hint = "";
    int err;

    curl_easy_getinfo(h->easy, CURLINFO_OS_ERRNO, &os_errno);
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
        if (os_errno == ECONNREFUSED) {
            what = "connection refused";
            err = -ECONNREFUSED;
        } else if (os_errno) {
            what = strerror((int)os_errno);
            err = -(int)os_errno;
        } else {
            what = "could not connect";
            err = KC_EUNAVAILABLE;
        }
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
        what = "could not resolve host";
        err = KC_EUNAVAILABLE;
        break;
    case CURLE_OPERATION_TIMEDOUT:
        what = "timed out";
        err = KC_ETIMEOUT;
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
        what = "TLS: server certificate verification failed";
        err = -EPROTO;
        break;
    case CURLE_SSL_CONNECT_ERROR:
        what = "TLS handshake failed";
        err = -EPROTO;
        break;
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
        what = "TLS: client certificate, key or CA refused";
        err = KC_EINVALID;
        break;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        if (tls_detail(h->curl_err)) {
            what = "TLS error";
            err = -EPROTO;
        } else {
            what = "connection lost";
            err = KC_EUNAVAILABLE;
            /* TLS 1.3 finishes the handshake on the client's side before the server has checked the client's
             * certificate: a server that refuses it just closes, and the client sees a reset on its first read. */
            long connects = 0, status = 0;
            curl_easy_getinfo(h->easy, CURLINFO_NUM_CONNECTS, &connects);
            curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &status);
            if (h->cert_pem && connects > 0 && status == 0)
                hint = " (on a new connection before any response: the server may have refused the client "
                       "certificate)";
        }
        break;
    case CURLE_OUT_OF_MEMORY:
        what = "out of memory";
        err = -ENOMEM;
        break;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        what = "invalid URL";
        err = KC_EINVALID;
        break;
    default:
        what = "transfer failed";
        err = KC_EUNAVAILABLE;
        break;
    }
    set_errmsg(h, "%s %s: %s: %s%s", method, url, what, h->curl_err[0] ? h->curl_err : curl_easy_strerror(rc), hint);
    return err;
}

static uint64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Drives the transfer through the multi handle until it ends, a callback aborts it, the deadline passes
 * (timeout_ms > 0) or the client is cancelled. Returns 0 with *result set when libcurl finished the transfer;
 * otherwise the error (0 after a stop by the line callback) with *aborted set. */
static int
run(struct kc_http *h, struct xfer *x, long timeout_ms, CURLcode *result, bool *aborted)
{
    CURLMcode mc = curl_multi_add_handle(h->multi, h->easy);
    uint64_t deadline = timeout_ms > 0 ? now_ms() + (uint64_t)timeout_ms : 0;
    bool done = false;
    int err = 0, running = 0;

    *aborted = false;
    if (mc != CURLM_OK)
        return mc == CURLM_OUT_OF_MEMORY ? -ENOMEM : KC_EINTERNAL;
    for (;;) {
        mc = curl_multi_perform(h->multi, &running);
        if (mc != CURLM_OK) {
            err = mc == CURLM_OUT_OF_MEMORY ? -ENOMEM : KC_EINTERNAL;
            break;
        }
        CURLMsg *m;
        int queued;
        while ((m = curl_multi_info_read(h->multi, &queued)))
            if (m->msg == CURLMSG_DONE && m->easy_handle == h->easy) {
                *result = m->data.result;
                done = true;
            }
        if (x->abort) { /* also when the transfer finished in the same turn: the callback's verdict wins */
            err = x->err;
            *aborted = !done;
            break;
        }
        if (done)
            break;
        if (atomic_load(&h->cancelled)) {
            err = -ECANCELED;
            *aborted = true;
            break;
        }
        long wait = POLL_MS;
        if (deadline) {
            uint64_t now = now_ms();
            if (now >= deadline) {
                err = KC_ETIMEOUT;
                *aborted = true;
                break;
            }
            if (deadline - now < (uint64_t)wait)
                wait = (long)(deadline - now);
        }
        if (!running) { /* cannot happen: a finished transfer always leaves a DONE message */
            err = KC_EINTERNAL;
            break;
        }
        mc = curl_multi_poll(h->multi, NULL, 0, (int)wait, NULL);
        if (mc != CURLM_OK) {
            err = mc == CURLM_OUT_OF_MEMORY ? -ENOMEM : KC_EINTERNAL;
            break;
        }
    }
    /* Removing an unfinished transfer aborts it. Forbidding reuse makes libcurl close the connection then, which
     * the server sees at once; an HTTP/2 connection would otherwise stay open with the stream's reset unsent. */
    if (*aborted)
        curl_easy_setopt(h->easy, CURLOPT_FORBID_REUSE, 1L);
    curl_multi_remove_handle(h->multi, h->easy);
    return err;
}

static int
perform(struct kc_http *h, const struct kc_http_request *req, kc_http_line_fn fn, void *arg,
        struct kc_http_response *resp)
{
    const char *method = req && req->method ? req->method : "GET";
    struct curl_slist *headers = NULL;
    struct xfer x = { .h = h, .resp = resp, .fn = fn, .arg = arg };
    CURLcode rc = CURLE_OK;
    char *url = NULL, *curl_url = NULL; /* as configured, for messages; what libcurl gets */
    int err;

    memset(resp, 0, sizeof(*resp));
    h->errmsg[0] = '\0';
    if (!req || !req->path || req->path[0] != '/' || strpbrk(req->path, " \"<>\\^`{|}") || has_control(req->path) ||
        !method_ok(method) || (req->content_type && has_control(req->content_type)) ||
        (req->accept && has_control(req->accept))) {
        set_errmsg(h, "%s %s: invalid request (path must start with '/' and be escaped; method a token)", method,
                   req && req->path ? req->path : "(no path)");
        return KC_EINVALID;
    }
    for (const char *const *hp = req->headers; hp && *hp; hp++)
        if (has_control(*hp) || !strchr(*hp, ':')) {
            set_errmsg(h, "%s %s: invalid header \"%s\"", method, req->path, *hp);
            return KC_EINVALID;
        }
    if (atomic_load(&h->cancelled)) {
        set_errmsg(h, "%s %s%s: cancelled", method, h->base, req->path);
        return -ECANCELED;
    }
    size_t ul = strlen(h->base) + strlen(req->path) + 1;
    if (!(url = kc_malloc(ul))) {
        err = -ENOMEM;
        goto out;
    }
    snprintf(url, ul, "%s%s", h->base, req->path);
    ul = strlen(h->curl_base) + strlen(req->path) + 1;
    if (!(curl_url = kc_malloc(ul))) {
        err = -ENOMEM;
        goto out;
    }
    snprintf(curl_url, ul, "%s%s", h->curl_base, req->path);

    /* An explicit empty Expect: libcurl would otherwise wait for "100 Continue" before a large body. */
    bool ok = add_header(&headers, "Expect:");
    if (ok && h->auth_header)
        ok = add_header(&headers, h->auth_header);
    if (ok && h->host_header)
        ok = add_header(&headers, h->host_header);
    if (ok && req->content_type)
        ok = add_header2(&headers, "Content-Type", req->content_type);
    if (ok && req->accept)
        ok = add_header2(&headers, "Accept", req->accept);
    for (const char *const *hp = req->headers; ok && hp && *hp; hp++)
        ok = add_header(&headers, *hp);
    if (!ok) {
        err = -ENOMEM;
        set_errmsg(h, "%s %s: out of memory (or a header over 1 KiB)", method, url);
        goto out;
    }
    if ((err = setup(h, req, curl_url, headers, &x)))
        goto out;

    long timeout = req->timeout_ms > 0 ? req->timeout_ms : req->timeout_ms < 0 ? 0 : h->timeout_ms;
    bool aborted = false;
    err = run(h, &x, timeout, &rc, &aborted);
    if (err == -ECANCELED)
        set_errmsg(h, "%s %s: cancelled", method, url);
    else if (err == KC_ETIMEOUT)
        set_errmsg(h, "%s %s: timed out: no complete response within %ld ms", method, url, timeout);
    else if (err == KC_ETOOLARGE)
        set_errmsg(h, "%s %s: response too large: over the limit of %zu bytes", method, url, h->max_body);
    else if (err)
        set_errmsg(h, "%s %s: %s: %s", method, url, x.why ? x.why : "failed", kc_strerror(err));

    /* What arrived, also after a failure. */
    long status = 0, version = 0, connects = 0;
    char *ct = NULL;
    curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(h->easy, CURLINFO_HTTP_VERSION, &version);
    curl_easy_getinfo(h->easy, CURLINFO_NUM_CONNECTS, &connects);
    curl_easy_getinfo(h->easy, CURLINFO_CONTENT_TYPE, &ct);
    resp->status = status;
    resp->version = version == CURL_HTTP_VERSION_2_0   ? 20
                    : version == CURL_HTTP_VERSION_1_1 ? 11
                    : version == CURL_HTTP_VERSION_1_0 ? 10
                                                       : 0;
    resp->reused = status != 0 && connects == 0;
    if (ct && !(resp->content_type = kc_strdup(ct)) && !err)
        err = -ENOMEM;
    if (err)
        goto out;

    if (x.stopped) {
        /* The callback ended the stream: a success, and nothing more is delivered. */
    } else if (rc != CURLE_OK) {
        err = transfer_error(h, method, url, rc);
        goto out;
    } else if (x.mode == 2 && x.len > 0) {
        /* The final line had no '\n'. */
        x.buf[x.len] = '\0';
        int r = fn(arg, x.buf, x.len);
        if (r < 0) {
            err = r;
            set_errmsg(h, "%s %s: stopped by the line callback: %s", method, url, kc_strerror(r));
            goto out;
        }
    }
    if (x.mode == 1 && x.len > 0) {
        x.buf[x.len] = '\0';
        resp->body = x.buf;
        resp->body_len = x.len;
        x.buf = NULL;
    }
out:
    free(x.buf);
    curl_slist_free_all(headers);
    free(url);
    free(curl_url);
    return err;
}

int
kc_http_do(struct kc_http *h, const struct kc_http_request *req, struct kc_http_response *resp)
{
    return perform(h, req, NULL, NULL, resp);
}

int
kc_http_stream(struct kc_http *h, const struct kc_http_request *req, kc_http_line_fn fn, void *arg,
               struct kc_http_response *resp)
{
    if (!fn) {
        memset(resp, 0, sizeof(*resp));
        set_errmsg(h, "kc_http_stream: no line callback");
        return KC_EINVALID;
    }
    return perform(h, req, fn, arg, resp);
}

/* True when a Content-Type names JSON: application/json or any type with a +json suffix, parameters aside. */
static bool
is_json_type(const char *ct)
{
    size_t n = strcspn(ct, ";");
    while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    return (n == 16 && !strncasecmp(ct, "application/json", 16)) || (n > 5 && !strncasecmp(ct + n - 5, "+json", 5));
}

int
kc_http_json(struct kc_http *h, const struct kc_http_request *req, const json_t *body, struct kc_http_response *resp,
             json_t **reply)
{
    struct kc_http_request r = *req;
    char *text = NULL;
    int err;

    if (reply)
        *reply = NULL;
    if (body) {
        if (!(text = kc_jarena_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY))) {
            memset(resp, 0, sizeof(*resp));
            set_errmsg(h, "%s %s: cannot serialise the JSON body", req->method ? req->method : "GET",
                       req->path ? req->path : "");
            return -ENOMEM;
        }
        r.body = text;
        r.body_len = strlen(text);
        if (!r.content_type)
            r.content_type = "application/json";
    } else {
        r.body = NULL;
        r.body_len = 0;
    }
    if (!r.accept)
        r.accept = "application/json";
    err = perform(h, &r, NULL, NULL, resp);
    free(text);
    if (err || !reply || !resp->body || (resp->content_type && !is_json_type(resp->content_type)))
        return err;
    char perr[160];
    if ((err = kc_json_parse(resp->body, resp->body_len, reply, perr, sizeof(perr)))) {
        set_errmsg(h, "%s %s%s: response (HTTP %ld) is not JSON: %s", r.method ? r.method : "GET", h->base, r.path,
                   resp->status, perr);
        return err;
    }
    return 0;
}

char *
kc_http_warning_text(const char *value)
{
    const char *p = value;
    /* warn-code SP warn-agent SP warn-text, the text a quoted-string (RFC 7234 §5.5). */
    if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) || p[3] != ' ')
        return kc_strdup(value);
    p += 4;
    while (*p && *p != ' ')
        p++;
    if (p[0] != ' ' || p[1] != '"')
        return kc_strdup(value);
    p += 2;
    char *out = kc_malloc(strlen(p) + 1), *o = out;
    if (!out)
        return NULL;
    for (; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1])
            p++;
        *o++ = *p;
    }
    if (*p != '"') { /* unterminated: not the form we know */
        free(out);
        return kc_strdup(value);
    }
    *o = '\0';
    return out;
}
