/* exec.c - pods/exec and pods/attach: the client's WebSocket (v5.channel.k8s.io and older) proxied to the kubelet
 * of the pod's node, as kube-apiserver does. Three hops: the request's parameters on the loop, the pod, node and
 * TCP dial on a worker (they block), then on the loop again the kubelet's handshake, the client's 101 and a relay
 * of messages with bounded queues (a side is paused while the other side's queue is full). */
#include "api_boot.h"
#include "api_exec.h"
#include "api_int.h"
#include "kc_crypto.h"
#include "kc_error.h"
#include "kc_jarena.h"
#include "kc_json.h"
#include "kc_log.h"
#include "kc_pki.h"
#include "kc_time.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define DIAL_TIMEOUT_MS      10000 /* TCP connect */
#define HANDSHAKE_TIMEOUT_MS 30000 /* TLS and the kubelet's upgrade */
#define RELAY_MAX_MESSAGE    (1u << 20)
#define RELAY_MAX_PENDING    (1u << 20)
#define DEFAULT_KUBELET_PORT 10250
#define DEFAULT_CONTAINER    "kubectl.kubernetes.io/default-container"
#define RECALL_SLOTS         32
#define RECALL_MS            10000

struct session {
    struct api_server *srv;
    char user[256];
    char ns[256], pod[256], sub[32];
    /* from the request (loop) */
    char container[256];
    char *query;       /* the kubelet's query: command=…&error=1&input=1&output=1&tty=1 (malloc'ed) */
    bool websocket;    /* a WebSocket handshake (else SPDY or a plain GET/POST) */
    char offered[512]; /* the client's Sec-WebSocket-Protocol */
    /* from the worker */
    struct api_reply err; /* err.body set: answer this Status */
    int fd;
    SSL_CTX *ssl_ctx;
    char node[256];
    char hostport[300];    /* host:port of the kubelet, for Host and messages */
    char server_name[256]; /* the address dialled (TLS SNI) */
    char *path;            /* /exec/<ns>/<pod>/<container>?<query> (malloc'ed) */
    /* the relay (loop) */
    kc_httpd_req *req; /* while the kubelet's handshake runs */
    kc_httpd_req_watch *watch;
    kc_ws *client, *backend;
    int version; /* of the negotiated channel protocol (kc_ws_k8s_version) */
    bool base64;
    bool status_seen; /* a status-channel message went from the kubelet to the client */
};

static void
session_free(struct session *s)
{
    if (s->fd >= 0)
        close(s->fd);
    if (s->ssl_ctx)
        SSL_CTX_free(s->ssl_ctx);
    json_decref(s->err.body);
    free(s->query);
    free(s->path);
    free(s);
}

/* Frees s once nothing refers to it any more. */
static void
maybe_free(struct session *s)
{
    if (!s->client && !s->backend && !s->req)
        session_free(s);
}

static void reply_status(kc_httpd_req *req, int code, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
reply_status(kc_httpd_req *req, int code, const char *reason, const char *fmt, ...)
{
    char msg[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_t *st = api_status(code, reason, msg, NULL, NULL, NULL);
    kc_httpd_reply_json(req, code, st, false);
    json_decref(st);
}

/* --- the kubelet's query, as upstream's url.Values.Encode() writes it (keys sorted, QueryEscape'd values) --- */

static int
append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap * 2 : 256;
        while (c < *len + n + 1)
            c *= 2;
        char *b = realloc(*buf, c);
        if (!b)
            return -ENOMEM;
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

static int
append_escaped(char **buf, size_t *len, size_t *cap, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char e[4];
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            e[0] = (char)c;
            e[1] = '\0';
        } else if (c == ' ') {
            strcpy(e, "+");
        } else {
            snprintf(e, sizeof(e), "%%%02X", c);
        }
        if (append(buf, len, cap, e, strlen(e)) != 0)
            return -ENOMEM;
    }
    return 0;
}

/* strconv.ParseBool, which the API server's query decoding uses. Returns 0, or -1 for anything else. */
static int
parse_bool(const char *v, bool *out)
{
    static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
    static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False" };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        if (strcmp(v, t[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(v, f[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

/* --- failures of the WebSocket attempt, for kubectl's SPDY retry ---
 *
 * kubectl (1.30+) retries with SPDY when its WebSocket upgrade gets anything but a 101, and prints the SPDY
 * attempt's error. The checks and the TCP dial fail the same way twice, but a TLS failure or a kubelet's refusal
 * happens only on the WebSocket path: k8c does not speak SPDY, and upgrading at the kubelet again would start the
 * command. So each such failure is kept for a few seconds, keyed by the user and the request, and the SPDY retry
 * gets the same answer. Process-wide (every API server of the process shares it), under a lock. */

struct recall {
    char key[KC_SHA256_HEX_LEN + 1];
    int64_t until_ns;
    int status;
    char ctype[128];
    char *body;
    size_t len;
};

static struct recall recalls[RECALL_SLOTS];
static pthread_mutex_t recall_lock = PTHREAD_MUTEX_INITIALIZER;

static void
recall_key(const struct session *s, char key[KC_SHA256_HEX_LEN + 1])
{
    size_t n = strlen(s->user) + strlen(s->ns) + strlen(s->pod) + strlen(s->container) + strlen(s->query) + 64;
    char *k = malloc(n);
    if (!k) {
        key[0] = '\0';
        return;
    }
    int len = snprintf(k, n, "%s\n%s\n%s\n%s\n%s\n%s", s->user, s->ns, s->pod, s->sub, s->container, s->query);
    kc_sha256_hex(k, (size_t)len, key);
    free(k);
}

static void
remember_failure(const struct session *s, int status, const char *ctype, const char *body, size_t len)
{
    char key[KC_SHA256_HEX_LEN + 1];
    recall_key(s, key);
    char *copy = malloc(len + 1);
    if (!key[0] || !copy) {
        free(copy);
        return;
    }
    memcpy(copy, body, len);
    int64_t now = kc_time_mono_ns();
    pthread_mutex_lock(&recall_lock);
    struct recall *slot = &recalls[0];
    for (int i = 0; i < RECALL_SLOTS; i++) { /* the same key, else the oldest */
        if (strcmp(recalls[i].key, key) == 0) {
            slot = &recalls[i];
            break;
        }
        if (recalls[i].until_ns < slot->until_ns)
            slot = &recalls[i];
    }
    free(slot->body);
    snprintf(slot->key, sizeof(slot->key), "%s", key);
    slot->until_ns = now + (int64_t)RECALL_MS * 1000000;
    slot->status = status;
    snprintf(slot->ctype, sizeof(slot->ctype), "%s", ctype ? ctype : "");
    slot->body = copy;
    slot->len = len;
    pthread_mutex_unlock(&recall_lock);
}

/* Answers req with the WebSocket attempt's failure if one is remembered for s. Returns whether it did. */
static bool
recall_failure(const struct session *s, kc_httpd_req *req)
{
    char key[KC_SHA256_HEX_LEN + 1];
    recall_key(s, key);
    bool found = false;
    int64_t now = kc_time_mono_ns();
    pthread_mutex_lock(&recall_lock);
    for (int i = 0; i < RECALL_SLOTS && key[0]; i++) {
        struct recall *r = &recalls[i];
        if (r->body && r->until_ns > now && strcmp(r->key, key) == 0) {
            kc_httpd_reply(req, r->status, r->ctype[0] ? r->ctype : NULL, r->body, r->len);
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&recall_lock);
    return found;
}

/* --- hop 3: the relay (loop) --- */

static const struct kc_ws_config relay_cfg = { .max_message = RELAY_MAX_MESSAGE, .max_pending = RELAY_MAX_PENDING };

/* A close code that may go on the wire to the other side. */
static int
relay_code(int code)
{
    return code == KC_WS_ABNORMAL ? KC_WS_GOING_AWAY : code;
}

/* The kubelet left without a status: tell the client on the status channel, in its protocol's form. */
static void
send_lost_status(struct session *s, int code)
{
    char msg[512];
    snprintf(msg, sizeof(msg),
             "error proxying to the kubelet on node %s: its stream ended before the command's status "
             "(close code %d)",
             s->node, code);
    char *body = s->version >= 4 ? kc_ws_k8s_status(-1, msg) : strdup(msg);
    if (!body)
        return;
    size_t blen = strlen(body);
    if (s->base64) {
        size_t cap = 1 + 4 * ((blen + 2) / 3) + 1;
        char *b = malloc(cap);
        if (b) {
            b[0] = '0' + KC_WS_STATUS;
            int n = EVP_EncodeBlock((unsigned char *)b + 1, (const unsigned char *)body, (int)blen);
            kc_ws_send(s->client, KC_WS_TEXT, b, (size_t)n + 1);
            free(b);
        }
    } else {
        char *b = malloc(blen + 1);
        if (b) {
            b[0] = KC_WS_STATUS;
            memcpy(b + 1, body, blen);
            kc_ws_send(s->client, KC_WS_BINARY, b, blen + 1);
            free(b);
        }
    }
    free(body);
}

static void
client_message(kc_ws *ws, int opcode, const uint8_t *data, size_t len, void *arg)
{
    struct session *s = arg;
    if (!s->backend)
        return;
    if (kc_ws_send(s->backend, opcode, data, len) == 0 && kc_ws_full(s->backend))
        kc_ws_pause(ws, true);
}

static void
client_drain(kc_ws *ws, void *arg)
{
    (void)ws;
    struct session *s = arg;
    if (s->backend)
        kc_ws_pause(s->backend, false);
}

static void
client_close(kc_ws *ws, int code, void *arg)
{
    (void)ws;
    struct session *s = arg;
    s->client = NULL;
    if (s->backend)
        kc_ws_close(s->backend, relay_code(code), NULL);
    maybe_free(s);
}

static const struct kc_ws_callbacks client_cb = { .on_message = client_message,
                                                  .on_drain = client_drain,
                                                  .on_close = client_close };

static void
backend_message(kc_ws *ws, int opcode, const uint8_t *data, size_t len, void *arg)
{
    struct session *s = arg;
    if (!s->client)
        return;
    if (len > 0 && (s->base64 ? data[0] == '0' + KC_WS_STATUS : data[0] == KC_WS_STATUS))
        s->status_seen = true;
    if (kc_ws_send(s->client, opcode, data, len) == 0 && kc_ws_full(s->client))
        kc_ws_pause(ws, true);
}

static void
backend_drain(kc_ws *ws, void *arg)
{
    (void)ws;
    struct session *s = arg;
    if (s->client)
        kc_ws_pause(s->client, false);
}

static void
backend_close(kc_ws *ws, int code, void *arg)
{
    (void)ws;
    struct session *s = arg;
    s->backend = NULL;
    if (s->client) {
        if (!s->status_seen && s->version > 0)
            send_lost_status(s, code);
        kc_ws_close(s->client, s->status_seen ? relay_code(code) : KC_WS_NORMAL, NULL);
    }
    maybe_free(s);
}

/* The client left while the kubelet's handshake was running. */
static void
client_gone(void *arg)
{
    struct session *s = arg;
    s->req = NULL;
    s->watch = NULL;
    if (s->backend)
        kc_ws_close(s->backend, KC_WS_ABNORMAL, NULL);
    else
        maybe_free(s);
}

static void
backend_open(kc_ws *ws, const struct kc_ws_response *resp, void *arg)
{
    struct session *s = arg;
    kc_httpd_req *req = s->req;
    if (!req) {
        kc_ws_close(ws, KC_WS_GOING_AWAY, NULL);
        return;
    }
    kc_httpd_req_watch_cancel(s->watch);
    s->watch = NULL;
    s->req = NULL;
    if (resp->status == 101) {
        s->version = kc_ws_k8s_version(resp->protocol, &s->base64);
        int rc = kc_httpd_ws_accept(req, resp->protocol, &relay_cfg, &client_cb, s, &s->client);
        if (rc != 0) {
            reply_status(req, 500, "InternalError", "cannot upgrade the connection: %s", kc_strerror(rc));
            kc_ws_close(ws, KC_WS_INTERNAL_ERROR, NULL);
            return;
        }
        KC_LOG(KC_LOG_DEBUG, "apiserver", "exec proxied", "pod=%s/%s sub=%s node=%s kubelet=%s protocol=%s", s->ns,
               s->pod, s->sub, s->node, s->hostport, resp->protocol);
        return;
    }
    if (resp->status > 0) { /* the kubelet refused: its answer goes to the client as it is */
        kc_httpd_reply(req, resp->status, resp->content_type[0] ? resp->content_type : NULL, resp->body,
                       resp->body_len);
        remember_failure(s, resp->status, resp->content_type, resp->body, resp->body_len);
        return;
    }
    char msg[1024];
    snprintf(msg, sizeof(msg), "error dialing backend: %s", resp->error ? resp->error : "unknown error");
    json_t *st = api_status(500, "", msg, NULL, NULL, NULL);
    char *text = kc_jarena_dumps(st, JSON_COMPACT);
    kc_httpd_reply_json(req, 500, st, false);
    if (text)
        remember_failure(s, 500, "application/json", text, strlen(text));
    free(text);
    json_decref(st);
}

static const struct kc_ws_callbacks backend_cb = {
    .on_message = backend_message, .on_drain = backend_drain, .on_close = backend_close, .on_open = backend_open
};

/* --- hop 2: pod, container, node, dial (worker) --- */

static void errorf(struct session *s, int code, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
errorf(struct session *s, int code, const char *reason, const char *fmt, ...)
{
    va_list ap;
    char msg[1536];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_decref(s->err.body);
    s->err.status = code;
    s->err.body = api_status(code, reason, msg, NULL, NULL, NULL);
}

/* The store error for kind/name in upstream's words (404 `pods "x" not found`). */
static void
store_error(struct session *s, const char *plural, const char *name, int rc)
{
    struct api_request rq;
    memset(&rq, 0, sizeof(rq));
    rq.res = api_resource_find("", "v1", plural);
    snprintf(rq.plural, sizeof(rq.plural), "%s", plural);
    snprintf(rq.name, sizeof(rq.name), "%s", name);
    api_reply_error(&s->err, &rq, rc);
}

static bool
has_container(const json_t *pod, const char *name)
{
    static const char *const lists[] = { "spec.initContainers", "spec.containers", "spec.ephemeralContainers" };
    for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
        size_t i;
        json_t *c;
        json_array_foreach(kc_json_get(pod, lists[l]), i, c)
        {
            const char *n = json_string_value(json_object_get(c, "name"));
            if (n && strcmp(n, name) == 0)
                return true;
        }
    }
    return false;
}

/* upstream's validateContainer, plus the default-container annotation kubectl honours. Returns false after
 * setting the error. */
static bool
resolve_container(struct session *s, const json_t *pod)
{
    if (s->container[0]) {
        if (!has_container(pod, s->container)) {
            errorf(s, 400, "BadRequest", "container %s is not valid for pod %s", s->container, s->pod);
            return false;
        }
        return true;
    }
    /* (kc_json_get splits paths at dots: the annotation's key has some) */
    const char *def = json_string_value(json_object_get(kc_json_get(pod, "metadata.annotations"), DEFAULT_CONTAINER));
    if (def && *def && has_container(pod, def)) {
        snprintf(s->container, sizeof(s->container), "%s", def);
        return true;
    }
    json_t *cs = kc_json_get(pod, "spec.containers");
    size_t n = json_array_size(cs);
    if (n == 1) {
        const char *name = json_string_value(json_object_get(json_array_get(cs, 0), "name"));
        snprintf(s->container, sizeof(s->container), "%s", name ? name : "");
        return true;
    }
    if (n == 0) {
        errorf(s, 400, "BadRequest", "a container name must be specified for pod %s", s->pod);
        return false;
    }
    /* Go prints the []string of every container (init, regular, ephemeral) as [a b c] */
    char names[1024] = "";
    size_t len = 0;
    static const char *const lists[] = { "spec.initContainers", "spec.containers", "spec.ephemeralContainers" };
    for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
        size_t i;
        json_t *c;
        json_array_foreach(kc_json_get(pod, lists[l]), i, c)
        {
            const char *nm = json_string_value(json_object_get(c, "name"));
            int w = snprintf(names + len, sizeof(names) - len, "%s%s", len ? " " : "", nm ? nm : "");
            if (w > 0 && (size_t)w < sizeof(names) - len)
                len += (size_t)w;
        }
    }
    errorf(s, 400, "BadRequest", "a container name must be specified for pod %s, choose one of: [%s]", s->pod, names);
    return false;
}

/* upstream's GetPreferredNodeAddress with the default --kubelet-preferred-address-types. */
static const char *
node_address(const json_t *node, char *known, size_t klen)
{
    static const char *const types[] = { "Hostname", "InternalDNS", "InternalIP", "ExternalDNS", "ExternalIP" };
    json_t *addrs = kc_json_get(node, "status.addresses");
    for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
        size_t i;
        json_t *a;
        json_array_foreach(addrs, i, a)
        {
            const char *type = json_string_value(json_object_get(a, "type"));
            const char *addr = json_string_value(json_object_get(a, "address"));
            if (type && addr && *addr && strcmp(type, types[t]) == 0)
                return addr;
        }
        if (t == 0) { /* no Hostname address: the hostname label stands in */
            const char *h =
                json_string_value(json_object_get(kc_json_get(node, "metadata.labels"), "kubernetes.io/hostname"));
            if (h && *h)
                return h;
        }
    }
    size_t len = 0;
    size_t i;
    json_t *a;
    known[0] = '\0';
    json_array_foreach(addrs, i, a)
    {
        const char *type = json_string_value(json_object_get(a, "type"));
        const char *addr = json_string_value(json_object_get(a, "address"));
        int w = snprintf(known + len, klen - len, "%s{%s %s}", len ? " " : "", type ? type : "", addr ? addr : "");
        if (w > 0 && (size_t)w < klen - len)
            len += (size_t)w;
    }
    return NULL;
}

/* Go's syscall error texts are strerror in lower case. */
static void
lower_strerror(int err, char *buf, size_t len)
{
    snprintf(buf, len, "%s", strerror(err));
    for (char *p = buf; *p; p++)
        *p = (char)tolower((unsigned char)*p);
}

/* Connects to host:port within DIAL_TIMEOUT_MS. Returns the socket, or -1 with msg set as Go's dialer words it. */
static int
dial_tcp(const char *host, int port, const char *hostport, char *msg, size_t mlen)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
    char portstr[16];
    snprintf(portstr, sizeof(portstr), "%d", port);
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0) {
        snprintf(msg, mlen, "dial tcp: lookup %s: %s", host, rc == EAI_NONAME ? "no such host" : gai_strerror(rc));
        return -1;
    }
    int fd = -1, err = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            if (errno != EINPROGRESS) {
                err = errno;
            } else {
                struct pollfd p = { .fd = fd, .events = POLLOUT };
                int n = poll(&p, 1, DIAL_TIMEOUT_MS);
                socklen_t sl = sizeof(err);
                if (n == 0)
                    err = ETIMEDOUT;
                else if (n < 0)
                    err = errno;
                else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) != 0)
                    err = errno;
            }
            if (err) {
                close(fd);
                fd = -1;
            }
        }
    }
    freeaddrinfo(res);
    if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        return fd;
    }
    if (err == ETIMEDOUT) {
        snprintf(msg, mlen, "dial tcp %s: i/o timeout", hostport);
    } else {
        char e[128];
        lower_strerror(err, e, sizeof(e));
        snprintf(msg, mlen, "dial tcp %s: connect: %s", hostport, e);
    }
    return -1;
}

static void
openssl_reason(char *buf, size_t len)
{
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, buf, len);
    else
        snprintf(buf, len, "unknown error");
    ERR_clear_error();
}

/* The TLS client context for one kubelet: the kubelet client certificate, and, with a CA, verification of the
 * kubelet's certificate against it for this host or IP. Returns NULL with msg set. */
static SSL_CTX *
kubelet_tls(const struct api_config *c, const char *host, char *msg, size_t mlen)
{
    char why[256];
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        snprintf(msg, mlen, "cannot create a TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (c->kubelet_client_cert && c->kubelet_client_key &&
        (SSL_CTX_use_certificate_chain_file(ctx, c->kubelet_client_cert) != 1 ||
         SSL_CTX_use_PrivateKey_file(ctx, c->kubelet_client_key, SSL_FILETYPE_PEM) != 1)) {
        openssl_reason(why, sizeof(why));
        snprintf(msg, mlen, "cannot load the kubelet client certificate %s: %s", c->kubelet_client_cert, why);
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (c->kubelet_ca_file) {
        if (SSL_CTX_load_verify_locations(ctx, c->kubelet_ca_file, NULL) != 1) {
            openssl_reason(why, sizeof(why));
            snprintf(msg, mlen, "cannot load the kubelet certificate authority %s: %s", c->kubelet_ca_file, why);
            SSL_CTX_free(ctx);
            return NULL;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        X509_VERIFY_PARAM *p = SSL_CTX_get0_param(ctx);
        unsigned char ip[16];
        if (inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1)
            X509_VERIFY_PARAM_set1_ip_asc(p, host);
        else
            X509_VERIFY_PARAM_set1_host(p, host, 0);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL); /* kube-apiserver without --kubelet-certificate-authority */
    }
    return ctx;
}

static void
exec_work(void *arg)
{
    struct session *s = arg;
    const struct api_config *c = &s->srv->cfg;
    char key[1024];
    json_t *pod = NULL, *node = NULL;
    int64_t rev;

    const struct api_resource *pods = api_resource_find("", "v1", "pods");
    api_storage_key(pods, s->ns, s->pod, key, sizeof(key));
    int rc = api_obj_get(s->srv->store, key, &pod, &rev);
    if (rc != 0) {
        store_error(s, "pods", s->pod, rc);
        goto out;
    }
    if (!resolve_container(s, pod))
        goto out;
    const char *nodename = kc_json_get_string(pod, "spec.nodeName");
    if (!nodename || !*nodename) {
        errorf(s, 400, "BadRequest", "pod %s does not have a host assigned", s->pod);
        goto out;
    }
    snprintf(s->node, sizeof(s->node), "%s", nodename);
    api_storage_key(api_resource_find("", "v1", "nodes"), NULL, s->node, key, sizeof(key));
    rc = api_obj_get(s->srv->store, key, &node, &rev);
    if (rc != 0) {
        store_error(s, "nodes", s->node, rc);
        goto out;
    }
    char known[1024];
    const char *host = node_address(node, known, sizeof(known));
    if (!host) {
        errorf(s, 500, "", "no preferred addresses found; known addresses: [%s]", known);
        goto out;
    }
    long long port = 0;
    if (kc_json_get_int(node, "status.daemonEndpoints.kubeletEndpoint.Port", &port) != 0 || port <= 0 || port > 65535)
        port = DEFAULT_KUBELET_PORT;
    snprintf(s->server_name, sizeof(s->server_name), "%s", host);
    snprintf(s->hostport, sizeof(s->hostport), strchr(host, ':') ? "[%s]:%lld" : "%s:%lld", host, port);
    size_t plen = strlen(s->sub) + strlen(s->ns) + strlen(s->pod) + strlen(s->container) + strlen(s->query) + 8;
    s->path = malloc(plen);
    if (!s->path) {
        errorf(s, 500, "InternalError", "out of memory");
        goto out;
    }
    snprintf(s->path, plen, "/%s/%s/%s/%s%s%s", s->sub, s->ns, s->pod, s->container, s->query[0] ? "?" : "", s->query);

    char msg[600];
    bool plain = c->kubelet_insecure_loopback && strcmp(host, "127.0.0.1") == 0;
    if (!plain && !(s->ssl_ctx = kubelet_tls(c, host, msg, sizeof(msg)))) {
        errorf(s, 500, "", "error dialing backend: %s", msg);
        goto out;
    }
    s->fd = dial_tcp(host, (int)port, s->hostport, msg, sizeof(msg));
    if (s->fd < 0)
        errorf(s, 500, "", "error dialing backend: %s", msg);
out:
    json_decref(pod);
    json_decref(node);
}

static void
exec_done(kc_httpd_req *req, void *arg)
{
    struct session *s = arg;
    if (!req) {
        session_free(s);
        return;
    }
    if (s->err.body) {
        kc_httpd_reply_json(req, s->err.status, s->err.body, false);
        session_free(s);
        return;
    }
    if (!s->websocket) {
        /* kubectl tries SPDY after a failed WebSocket upgrade: give it the reason in a Status it prints */
        if (recall_failure(s, req)) {
            session_free(s);
            return;
        }
        size_t ulen;
        const char *up = kc_httpd_req_upgrade(req, &ulen);
        if (up && ulen >= 4 && strncasecmp(up, "SPDY", 4) == 0)
            reply_status(req, 400, "BadRequest",
                         "Upgrade request required: k8c serves %s over WebSocket (%s, %s) only, not SPDY", s->sub,
                         KC_WS_K8S_V5, KC_WS_K8S_V4);
        else
            reply_status(req, 400, "BadRequest", "Upgrade request required");
        session_free(s);
        return;
    }
    const char *headers[] = { "User-Agent: k8c-apiserver", NULL };
    struct kc_ws_dial d = {
        .fd = s->fd,
        .ssl_ctx = s->ssl_ctx,
        .server_name = s->server_name,
        .host = s->hostport,
        .path = s->path,
        .protocols = s->offered[0] ? s->offered : NULL,
        .headers = headers,
        .timeout_ms = HANDSHAKE_TIMEOUT_MS,
    };
    s->fd = -1;
    s->ssl_ctx = NULL; /* kc_ws_connect owns both now */
    s->req = req;
    int rc = kc_ws_connect(kc_httpd_req_loop(req), &d, &relay_cfg, &backend_cb, s, &s->backend);
    if (rc != 0) {
        s->req = NULL;
        s->backend = NULL;
        reply_status(req, 500, "", "error dialing backend: %s", kc_strerror(rc));
        session_free(s);
        return;
    }
    s->watch = kc_httpd_req_watch_start(req, client_gone, s);
}

/* --- hop 1: the request's parameters (loop) --- */

static void
exec_take(kc_httpd_req *req, void *arg)
{
    struct session *s = arg;
    if (!req) {
        session_free(s);
        return;
    }
    const char *v = kc_httpd_req_param(req, "container", 0);
    snprintf(s->container, sizeof(s->container), "%s", v ? v : "");
    static const struct {
        const char *param, *kubelet;
    } flags[] = { { "stderr", "error" }, { "stdin", "input" }, { "stdout", "output" }, { "tty", "tty" } };
    bool on[4] = { false, false, false, false };
    for (size_t i = 0; i < 4; i++) {
        v = kc_httpd_req_param(req, flags[i].param, 0);
        if (v && parse_bool(v, &on[i]) != 0) {
            reply_status(req, 400, "BadRequest", "strconv.ParseBool: parsing \"%s\": invalid syntax", v);
            session_free(s);
            return;
        }
    }
    size_t len = 0, cap = 0;
    int rc = append(&s->query, &len, &cap, "", 0);
    if (strcmp(s->sub, "exec") == 0) {
        for (int i = 0; rc == 0 && (v = kc_httpd_req_param(req, "command", i)); i++) {
            rc = append(&s->query, &len, &cap, len ? "&command=" : "command=", len ? 9 : 8);
            if (rc == 0)
                rc = append_escaped(&s->query, &len, &cap, v);
        }
    }
    for (size_t i = 0; rc == 0 && i < 4; i++) {
        if (!on[i])
            continue;
        char kv[32];
        int n = snprintf(kv, sizeof(kv), "%s%s=1", len ? "&" : "", flags[i].kubelet);
        rc = append(&s->query, &len, &cap, kv, (size_t)n);
    }
    if (rc != 0) {
        reply_status(req, 500, "InternalError", "out of memory");
        session_free(s);
        return;
    }
    s->websocket = kc_httpd_ws_is_handshake(req);
    kc_httpd_ws_protocols(req, s->offered, sizeof(s->offered));
    if (kc_httpd_defer(req, exec_work, exec_done, s) != 0) {
        reply_status(req, 500, "InternalError", "out of memory");
        session_free(s);
    }
}

void
api_exec_handle(struct api_request *rq, struct api_reply *rep)
{
    if (strcmp(rq->verb, "get") != 0 && strcmp(rq->verb, "create") != 0) {
        api_reply_statusf(rep, 405, "MethodNotAllowed",
                          "the server does not allow this method on the requested "
                          "resource");
        return;
    }
    struct session *s = calloc(1, sizeof(*s));
    if (!s) {
        api_reply_statusf(rep, 500, "InternalError", "out of memory");
        return;
    }
    s->srv = rq->srv;
    s->fd = -1;
    snprintf(s->user, sizeof(s->user), "%s", rq->user.name);
    snprintf(s->ns, sizeof(s->ns), "%s", rq->namespace);
    snprintf(s->pod, sizeof(s->pod), "%s", rq->name);
    snprintf(s->sub, sizeof(s->sub), "%s", rq->sub);
    if (kc_httpd_defer_take(exec_take, s) != 0) {
        free(s);
        api_reply_statusf(rep, 500, "InternalError", "pods/%s must be served from a deferred request", rq->sub);
        return;
    }
    rep->status = 101;
}

int
api_exec_kubelet_client_pki(const char *pki_dir, char *crt, size_t crtlen, char *key, size_t keylen, char *err,
                            size_t errlen)
{
    snprintf(crt, crtlen, "%s/apiserver-kubelet-client.crt", pki_dir);
    snprintf(key, keylen, "%s/apiserver-kubelet-client.key", pki_dir);
    if (access(crt, R_OK) == 0 && access(key, R_OK) == 0)
        return 0;
    static const char *const orgs[] = { "system:masters" };
    return api_pki_issue(pki_dir, "apiserver-kubelet-client", "kube-apiserver-kubelet-client", orgs, 1, NULL, 0, NULL,
                         0, KC_PKI_CLIENT, err, errlen);
}
