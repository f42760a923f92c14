/* ws.c - WebSocket (RFC 6455) for kc_httpd: pure framing and handshake helpers, connections on an h2o socket
 * (accepted from an HTTP/1.1 request through h2o_http1_upgrade, or dialled over a connected socket with optional
 * TLS), bounded output with pause/drain for relays, and the status JSON of Kubernetes' channel protocol.
 *
 * Why not h2o's own h2o_upgrade_to_websocket (exported by Debian's libh2o-evloop, and it works over TLS): it feeds
 * every byte that arrives to wslay at once and restarts reading after each write, so a relay cannot stop reading
 * one side while the other side's queue is full. Parsing frame by frame here leaves unread bytes in the socket
 * buffer, and TCP pushes back on the sender.
 */
#include "kc_error.h"
#include "kc_httpd.h"
#include "kc_jarena.h"
#include "kc_log.h"
#include "httpd_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <h2o/http1.h>

#define WS_GUID          "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define DEF_MAX_MESSAGE  (4u << 20)
#define DEF_MAX_PENDING  (1u << 20)
#define CLOSE_TIMEOUT_MS 5000
#define DEF_DIAL_TIMEOUT 30000
#define MAX_HEAD         16384
#define MAX_REFUSAL_BODY 65536

/* --- framing --- */

size_t
kc_ws_frame_header(uint8_t out[KC_WS_MAX_HEADER], int opcode, bool fin, uint64_t len, const uint8_t *mask)
{
    size_t n = 0;
    uint8_t m = mask ? 0x80 : 0;

    out[n++] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0f));
    if (len < 126) {
        out[n++] = (uint8_t)(m | len);
    } else if (len <= 0xffff) {
        out[n++] = m | 126;
        out[n++] = (uint8_t)(len >> 8);
        out[n++] = (uint8_t)len;
    } else {
        out[n++] = m | 127;
        for (int i = 7; i >= 0; i--)
            out[n++] = (uint8_t)(len >> (8 * i));
    }
    if (mask) {
        memcpy(out + n, mask, 4);
        n += 4;
    }
    return n;
}

void
kc_ws_mask(uint8_t *data, size_t len, const uint8_t mask[4], size_t offset)
{
    for (size_t i = 0; i < len; i++)
        data[i] ^= mask[(offset + i) & 3];
}

static bool
opcode_known(int op)
{
    return op == KC_WS_CONTINUATION || op == KC_WS_TEXT || op == KC_WS_BINARY || op == KC_WS_CLOSE ||
           op == KC_WS_PING || op == KC_WS_PONG;
}

int
kc_ws_frame_parse(uint8_t *buf, size_t len, int want_mask, uint64_t max_payload, struct kc_ws_frame *f, size_t *used)
{
    if (len < 2)
        return -EAGAIN;
    int op = buf[0] & 0x0f;
    bool fin = (buf[0] & 0x80) != 0, masked = (buf[1] & 0x80) != 0;
    if ((buf[0] & 0x70) || !opcode_known(op))
        return KC_EBADREQUEST; /* no extension was negotiated: reserved bits must be 0 */
    if (want_mask >= 0 && masked != (want_mask != 0))
        return KC_EBADREQUEST;
    uint64_t plen = buf[1] & 0x7f;
    size_t h = 2;
    if (plen == 126) {
        if (len < 4)
            return -EAGAIN;
        plen = (uint64_t)buf[2] << 8 | buf[3];
        h = 4;
    } else if (plen == 127) {
        if (len < 10)
            return -EAGAIN;
        plen = 0;
        for (int i = 0; i < 8; i++)
            plen = plen << 8 | buf[2 + i];
        if (plen >> 63)
            return KC_EBADREQUEST;
        h = 10;
    }
    if (op >= KC_WS_CLOSE && (plen > 125 || !fin))
        return KC_EBADREQUEST;
    if (plen > max_payload)
        return -EMSGSIZE;
    const uint8_t *mask = NULL;
    if (masked) {
        if (len < h + 4)
            return -EAGAIN;
        mask = buf + h;
        h += 4;
    }
    if (len - h < plen)
        return -EAGAIN;
    if (mask) {
        uint8_t key[4];
        memcpy(key, mask, 4);
        kc_ws_mask(buf + h, (size_t)plen, key, 0);
    }
    f->opcode = op;
    f->fin = fin;
    f->masked = masked;
    f->len = plen;
    f->payload = buf + h;
    *used = h + (size_t)plen;
    return 0;
}

void
kc_ws_reader_init(struct kc_ws_reader *r, int want_mask, size_t max_message)
{
    memset(r, 0, sizeof(*r));
    r->want_mask = want_mask;
    r->max_message = max_message;
}

void
kc_ws_reader_close(struct kc_ws_reader *r)
{
    free(r->msg);
    r->msg = NULL;
    r->msg_len = r->msg_cap = 0;
    r->frag_opcode = 0;
}

int
kc_ws_reader_next(struct kc_ws_reader *r, uint8_t *buf, size_t len, size_t *used, struct kc_ws_message *m)
{
    size_t off = 0;
    for (;;) {
        struct kc_ws_frame f;
        size_t n;
        int rc = kc_ws_frame_parse(buf + off, len - off, r->want_mask, r->max_message, &f, &n);
        if (rc != 0) {
            *used = off;
            return rc;
        }
        off += n;
        *used = off;
        if (f.opcode >= KC_WS_CLOSE) { /* control frames come whole, also between fragments */
            m->opcode = f.opcode;
            m->data = f.payload;
            m->len = (size_t)f.len;
            return 0;
        }
        if (f.opcode == KC_WS_CONTINUATION) {
            if (!r->frag_opcode)
                return KC_EBADREQUEST;
        } else if (r->frag_opcode) {
            return KC_EBADREQUEST;
        } else if (f.fin) {
            m->opcode = f.opcode;
            m->data = f.payload;
            m->len = (size_t)f.len;
            return 0;
        } else {
            r->frag_opcode = f.opcode;
            r->msg_len = 0;
        }
        if (f.len > r->max_message - r->msg_len)
            return -EMSGSIZE;
        if (r->msg_len + f.len > r->msg_cap) {
            size_t cap = r->msg_cap ? r->msg_cap : 4096;
            while (cap < r->msg_len + f.len)
                cap *= 2;
            uint8_t *b = realloc(r->msg, cap);
            if (!b)
                return -ENOMEM;
            r->msg = b;
            r->msg_cap = cap;
        }
        if (f.len)
            memcpy(r->msg + r->msg_len, f.payload, (size_t)f.len);
        r->msg_len += (size_t)f.len;
        if (f.fin) {
            m->opcode = r->frag_opcode;
            m->data = r->msg;
            m->len = r->msg_len;
            r->frag_opcode = 0;
            return 0;
        }
    }
}

int
kc_ws_close_parse(const uint8_t *payload, size_t len, int *code, const char **reason, size_t *reason_len)
{
    if (len == 0) {
        *code = KC_WS_NO_STATUS;
        *reason = "";
        *reason_len = 0;
        return 0;
    }
    if (len == 1)
        return KC_EBADREQUEST;
    int c = payload[0] << 8 | payload[1];
    bool ok = (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
    if (!ok)
        return KC_EBADREQUEST;
    *code = c;
    *reason = (const char *)payload + 2;
    *reason_len = len - 2;
    return 0;
}

void
kc_ws_accept_key(const char *key, size_t key_len, char out[29])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    out[0] = '\0';
    if (!md)
        return;
    if (EVP_DigestInit_ex(md, EVP_sha1(), NULL) == 1 && EVP_DigestUpdate(md, key, key_len) == 1 &&
        EVP_DigestUpdate(md, WS_GUID, sizeof(WS_GUID) - 1) == 1 && EVP_DigestFinal_ex(md, digest, &dlen) == 1 &&
        dlen == 20)
        EVP_EncodeBlock((unsigned char *)out, digest, 20); /* 28 characters and a NUL */
    EVP_MD_CTX_free(md);
}

bool
kc_ws_protocol_listed(const char *list, size_t len, const char *protocol)
{
    size_t plen = strlen(protocol), i = 0;
    while (i < len) {
        while (i < len && (list[i] == ' ' || list[i] == '\t' || list[i] == ','))
            i++;
        size_t start = i;
        while (i < len && list[i] != ',')
            i++;
        size_t end = i;
        while (end > start && (list[end - 1] == ' ' || list[end - 1] == '\t'))
            end--;
        if (end > start && end - start == plen && memcmp(list + start, protocol, plen) == 0)
            return true;
    }
    return false;
}

/* --- HTTP response heads (the client side of the handshake) --- */

static void
copy_value(char *dst, size_t cap, const char *v, size_t len)
{
    size_t n = len < cap - 1 ? len : cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

/* Whether the comma-separated header value v[0..len) has token (case-insensitive). */
static bool
has_token(const char *v, size_t len, const char *token)
{
    size_t tlen = strlen(token), i = 0;
    while (i < len) {
        while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t start = i;
        while (i < len && v[i] != ',')
            i++;
        size_t end = i;
        while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
            end--;
        if (end - start == tlen && strncasecmp(v + start, token, tlen) == 0)
            return true;
    }
    return false;
}

int
kc_ws_http_head_parse(const char *buf, size_t len, struct kc_ws_http_head *h, size_t *head_len)
{
    const char *end = NULL;
    for (size_t i = 0; i + 3 < len; i++) {
        if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
            end = buf + i + 4;
            break;
        }
    }
    if (!end)
        return len >= MAX_HEAD ? -EMSGSIZE : -EAGAIN;
    if ((size_t)(end - buf) > MAX_HEAD)
        return -EMSGSIZE;

    memset(h, 0, sizeof(*h));
    h->content_length = -1;
    const char *p = buf, *eol = memchr(p, '\r', (size_t)(end - p));
    /* HTTP/1.x SP 3DIGIT [SP reason] */
    if ((size_t)(eol - p) < 12 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') || p[8] != ' ')
        return KC_EBADREQUEST;
    for (int i = 9; i < 12; i++)
        if (p[i] < '0' || p[i] > '9')
            return KC_EBADREQUEST;
    if ((size_t)(eol - p) > 12 && p[12] != ' ')
        return KC_EBADREQUEST;
    h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');

    for (p = eol + 2; p < end - 2; p = eol + 2) {
        eol = memchr(p, '\r', (size_t)(end - p));
        if (!eol || eol[1] != '\n')
            return KC_EBADREQUEST;
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (!colon || colon == p)
            return KC_EBADREQUEST;
        size_t nlen = (size_t)(colon - p);
        const char *v = colon + 1, *ve = eol;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        size_t vlen = (size_t)(ve - v);
#define IS(name) (nlen == sizeof(name) - 1 && strncasecmp(p, name, nlen) == 0)
        if (IS("sec-websocket-protocol")) {
            copy_value(h->protocol, sizeof(h->protocol), v, vlen);
        } else if (IS("sec-websocket-accept")) {
            copy_value(h->accept, sizeof(h->accept), v, vlen);
        } else if (IS("content-type")) {
            copy_value(h->content_type, sizeof(h->content_type), v, vlen);
        } else if (IS("content-length")) {
            int64_t n = 0;
            if (vlen == 0 || vlen > 15)
                return KC_EBADREQUEST;
            for (size_t i = 0; i < vlen; i++) {
                if (v[i] < '0' || v[i] > '9')
                    return KC_EBADREQUEST;
                n = n * 10 + (v[i] - '0');
            }
            h->content_length = n;
        } else if (IS("transfer-encoding")) {
            h->chunked = has_token(v, vlen, "chunked");
        } else if (IS("upgrade")) {
            h->upgrade_websocket = has_token(v, vlen, "websocket");
        } else if (IS("connection")) {
            h->connection_upgrade = has_token(v, vlen, "upgrade");
        }
#undef IS
    }
    *head_len = (size_t)(end - buf);
    return 0;
}

int
kc_ws_chunked_decode(const char *buf, size_t len, char *out, size_t cap, size_t *out_len)
{
    size_t i = 0, n = 0;
    *out_len = 0;
    for (;;) {
        /* chunk-size [; extensions] CRLF */
        uint64_t size = 0;
        size_t digits = 0;
        while (i < len) {
            char c = buf[i];
            int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (d < 0)
                break;
            if (++digits > 15)
                return KC_EBADREQUEST;
            size = size * 16 + (uint64_t)d;
            i++;
        }
        if (i == len)
            return -EAGAIN;
        if (digits == 0)
            return KC_EBADREQUEST;
        const char *lf = memchr(buf + i, '\n', len - i);
        if (!lf)
            return -EAGAIN;
        if (lf == buf + i || lf[-1] != '\r')
            return KC_EBADREQUEST;
        i = (size_t)(lf - buf) + 1;
        if (size == 0) {
            /* trailers, each CRLF-terminated, then an empty line */
            for (;;) {
                lf = memchr(buf + i, '\n', len - i);
                if (!lf)
                    return -EAGAIN;
                size_t line = (size_t)(lf - (buf + i));
                i = (size_t)(lf - buf) + 1;
                if (line == 1 && buf[i - 2] == '\r')
                    return 0;
                if (line == 0)
                    return KC_EBADREQUEST;
            }
        }
        if (len - i < size + 2)
            return -EAGAIN;
        size_t keep = n < cap ? (cap - n < size ? cap - n : (size_t)size) : 0;
        memcpy(out + n, buf + i, keep);
        n += keep;
        *out_len = n;
        i += (size_t)size;
        if (buf[i] != '\r' || buf[i + 1] != '\n')
            return KC_EBADREQUEST;
        i += 2;
    }
}

/* --- the Kubernetes channel protocol --- */

int
kc_ws_k8s_version(const char *protocol, bool *base64)
{
    static const struct {
        const char *name;
        int version;
    } names[] = {
        { KC_WS_K8S_V5, 5 }, { KC_WS_K8S_V4, 4 }, { KC_WS_K8S_V3, 3 }, { KC_WS_K8S_V2, 2 }, { KC_WS_K8S_V1, 1 }
    };
    bool b64 = strncmp(protocol, "base64.", 7) == 0;
    const char *p = b64 ? protocol + 7 : protocol;
    if (base64)
        *base64 = b64;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(p, names[i].name) == 0)
            return names[i].version;
    if (base64)
        *base64 = false;
    return 0;
}

char *
kc_ws_k8s_status(int exit_code, const char *message)
{
    json_t *st = json_object();
    char *text = NULL;
    if (!st)
        return NULL;
    json_object_set_new(st, "metadata", json_object());
    if (exit_code == 0) {
        json_object_set_new(st, "status", json_string("Success"));
    } else if (exit_code > 0) {
        char msg[1024], code[16];
        if (message)
            snprintf(msg, sizeof(msg), "command terminated with non-zero exit code: %s", message);
        else
            snprintf(msg, sizeof(msg), "command terminated with non-zero exit code: exit status %d", exit_code);
        snprintf(code, sizeof(code), "%d", exit_code);
        json_object_set_new(st, "status", json_string("Failure"));
        json_object_set_new(st, "message", json_string(msg));
        json_object_set_new(st, "reason", json_string("NonZeroExitCode"));
        json_object_set_new(st, "details",
                            json_pack("{s:[{s:s,s:s}]}", "causes", "reason", "ExitCode", "message", code));
    } else {
        char msg[1024];
        snprintf(msg, sizeof(msg), "Internal error occurred: %s", message ? message : "unknown error");
        json_object_set_new(st, "status", json_string("Failure"));
        json_object_set_new(st, "message", json_string(msg));
        json_object_set_new(st, "reason", json_string("InternalError"));
        json_object_set_new(st, "details", json_pack("{s:[{s:s}]}", "causes", "message", message ? message : ""));
        json_object_set_new(st, "code", json_integer(500));
    }
    text = kc_jarena_dumps(st, JSON_COMPACT);
    json_decref(st);
    return text;
}

/* --- requests: take-over watches --- */

struct kc_httpd_req_watch {
    void (*gone)(void *arg);
    void *arg;
};

static void
req_watch_dispose(void *p)
{
    kc_httpd_req_watch *w = p;
    void (*gone)(void *) = w->gone;
    w->gone = NULL;
    if (gone)
        gone(w->arg);
}

kc_httpd_req_watch *
kc_httpd_req_watch_start(kc_httpd_req *req, void (*gone)(void *arg), void *arg)
{
    kc_httpd_req_watch *w = h2o_mem_alloc_shared(&req->r->pool, sizeof(*w), req_watch_dispose);
    if (!w)
        return NULL;
    w->gone = gone;
    w->arg = arg;
    return w;
}

void
kc_httpd_req_watch_cancel(kc_httpd_req_watch *w)
{
    if (w)
        w->gone = NULL;
}

/* --- connections --- */

enum ws_state {
    WS_CONNECTING, /* server: the 101 is being written; client: TLS / handshake in progress */
    WS_OPEN,
    WS_CLOSE_SENT, /* our close frame is queued or sent; waiting for the peer's */
    WS_DONE,       /* on_close ran (the struct is about to be freed) */
};

struct obuf {
    uint8_t *data;
    size_t len, cap;
};

struct kc_ws {
    kc_httpd_loop *loop;
    h2o_socket_t *sock;  /* NULL until the upgrade is written (server), and after the end */
    h2o_linklist_t link; /* in loop->websockets */
    bool client;         /* we mask our frames; the peer's must not be masked */
    enum ws_state state;
    struct kc_ws_callbacks cb;
    void *arg;
    size_t max_pending;
    struct kc_ws_reader reader;
    struct obuf pending, inflight; /* queued frames, and the bytes of the write in flight */
    bool writing;
    bool full; /* kc_ws_full() was seen true: on_drain when the queue falls to half */
    bool paused;
    bool close_after_write;         /* end the connection once the output is written */
    int end_code;                   /* on_close's code for an end after the write */
    int close_code;                 /* close requested before the upgrade finished (0 = none) */
    bool abandoned;                 /* server stopping while the 101 was in flight */
    struct kc_httpd_timer deadline; /* handshake or close timeout: only schedules soon (deadline_due) */
    bool deadline_dial;             /* the deadline is the client handshake's (else the close's) */
    bool deadline_due;              /* the deadline passed: soon acts on it */
    h2o_timeout_entry_t soon;       /* deferred work on the context's zero timeout (see arm_soon) */
    bool soon_abort;                /* soon ends the connection */
    /* client handshake */
    SSL_CTX *ssl_ctx;
    char *request;
    size_t request_len;
    char key[32];
    char *offered; /* the protocols we offered */
    bool head_done;
    struct kc_ws_http_head head;
};

static void on_read(h2o_socket_t *sock, const char *err);
static void flush(kc_ws *ws);

static size_t
cfg_max_message(const struct kc_ws_config *cfg)
{
    return cfg && cfg->max_message ? cfg->max_message : DEF_MAX_MESSAGE;
}

static size_t
cfg_max_pending(const struct kc_ws_config *cfg)
{
    return cfg && cfg->max_pending ? cfg->max_pending : DEF_MAX_PENDING;
}

/* Ends the connection: closes the socket, runs on_close, frees ws. Only called from ws's own event handlers (socket
 * callbacks, timers, shutdown), never from a function the user called, so no caller ever holds a freed ws. */
static void
finish(kc_ws *ws, int code)
{
    if (ws->state == WS_DONE)
        return;
    ws->state = WS_DONE;
    kc_httpd_timer_cancel(&ws->deadline);
    if (h2o_timeout_is_linked(&ws->soon))
        h2o_timeout_unlink(&ws->soon);
    if (ws->sock) {
        h2o_socket_close(ws->sock);
        ws->sock = NULL;
    }
    if (h2o_linklist_is_linked(&ws->link))
        h2o_linklist_unlink(&ws->link);
    ws->cb.on_close(ws, code, ws->arg);
    kc_ws_reader_close(&ws->reader);
    free(ws->pending.data);
    free(ws->inflight.data);
    free(ws->request);
    free(ws->offered);
    if (ws->ssl_ctx)
        SSL_CTX_free(ws->ssl_ctx);
    free(ws);
}

static int
obuf_reserve(struct obuf *b, size_t more)
{
    if (b->len + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more)
        cap *= 2;
    uint8_t *d = realloc(b->data, cap);
    if (!d)
        return -ENOMEM;
    b->data = d;
    b->cap = cap;
    return 0;
}

/* Appends one frame to the output queue (masked when we are the client). */
static int
queue_frame(kc_ws *ws, int opcode, const void *data, size_t len)
{
    uint8_t hdr[KC_WS_MAX_HEADER], mask[4];
    if (ws->client && RAND_bytes(mask, sizeof(mask)) != 1)
        return -EIO;
    size_t hlen = kc_ws_frame_header(hdr, opcode, true, len, ws->client ? mask : NULL);
    if (obuf_reserve(&ws->pending, hlen + len) != 0)
        return -ENOMEM;
    memcpy(ws->pending.data + ws->pending.len, hdr, hlen);
    ws->pending.len += hlen;
    if (len) {
        memcpy(ws->pending.data + ws->pending.len, data, len);
        if (ws->client)
            kc_ws_mask(ws->pending.data + ws->pending.len, len, mask, 0);
        ws->pending.len += len;
    }
    return 0;
}

static void
queue_close(kc_ws *ws, int code, const char *reason)
{
    uint8_t payload[125];
    size_t n = 0;
    if (code != KC_WS_NO_STATUS) {
        payload[n++] = (uint8_t)(code >> 8);
        payload[n++] = (uint8_t)code;
        size_t rlen = reason ? strlen(reason) : 0;
        if (rlen > sizeof(payload) - 2)
            rlen = sizeof(payload) - 2;
        if (rlen)
            memcpy(payload + n, reason, rlen);
        n += rlen;
    }
    queue_frame(ws, KC_WS_CLOSE, payload, n);
}

/* Deferred work runs from h2o's zero timeout, inside h2o_evloop_run. kc_httpd timers run after it returns, and
 * socket work started there (a read_start on a socket with data already waiting, a write that completes at once)
 * is only noticed after the next poll, which may sleep a second: a relay resumed from a timer would crawl. */
static void
arm_soon(kc_ws *ws)
{
    if (!h2o_timeout_is_linked(&ws->soon))
        h2o_timeout_link(ws->loop->ctx.loop, &ws->loop->ctx.zero_timeout, &ws->soon);
}

static void
on_deadline(void *arg)
{
    kc_ws *ws = arg;
    ws->deadline_due = true;
    arm_soon(ws);
}

static void
arm_deadline(kc_ws *ws, bool dial, int64_t ms)
{
    ws->deadline.fn = on_deadline;
    ws->deadline.arg = ws;
    ws->deadline_dial = dial;
    kc_httpd_timer_arm(ws->loop, &ws->deadline, ms);
}

/* Fails the connection: a close frame with code (unless ours went out already), then the end (RFC 6455 7.1.7).
 * Called from ws's own handlers only. Returns false when ws is gone (nothing was left to write). */
static bool
fail(kc_ws *ws, int code, const char *reason)
{
    if (ws->state == WS_OPEN)
        queue_close(ws, code, reason);
    ws->state = WS_CLOSE_SENT;
    ws->close_after_write = true;
    ws->end_code = code;
    if (!ws->writing && ws->pending.len == 0) {
        finish(ws, code);
        return false;
    }
    arm_deadline(ws, false, CLOSE_TIMEOUT_MS);
    flush(ws);
    return true;
}

static void
on_write_complete(h2o_socket_t *sock, const char *err)
{
    kc_ws *ws = sock->data;
    ws->writing = false;
    ws->inflight.len = 0;
    if (err) {
        finish(ws, KC_WS_ABNORMAL);
        return;
    }
    if (ws->pending.len) {
        flush(ws);
    } else if (ws->close_after_write) {
        finish(ws, ws->end_code);
        return;
    }
    if (ws->full && kc_ws_pending(ws) <= ws->max_pending / 2) {
        ws->full = false;
        if (ws->cb.on_drain && ws->state == WS_OPEN)
            ws->cb.on_drain(ws, ws->arg);
    }
}

static void
flush(kc_ws *ws)
{
    if (!ws->sock || ws->writing || ws->pending.len == 0 || ws->state == WS_CONNECTING)
        return;
    struct obuf t = ws->inflight;
    ws->inflight = ws->pending;
    ws->pending = t;
    ws->pending.len = 0;
    ws->writing = true;
    h2o_iovec_t iov = h2o_iovec_init(ws->inflight.data, ws->inflight.len);
    h2o_socket_write(ws->sock, &iov, 1, on_write_complete);
}

/* Reads with on_read unless paused. Always (re)sets the callback: after an upgrade or a client handshake the socket
 * may still carry the previous reader's. */
static void
update_reading(kc_ws *ws)
{
    if (!ws->sock || ws->state == WS_DONE)
        return;
    if (ws->paused)
        h2o_socket_read_stop(ws->sock);
    else
        h2o_socket_read_start(ws->sock, on_read);
}

/* Delivers the messages buffered in the socket's input until it runs dry, the user pauses, or the connection
 * ends. Returns false when ws is gone. */
static bool
process_input(kc_ws *ws)
{
    while (!ws->paused && (ws->state == WS_OPEN || ws->state == WS_CLOSE_SENT) && !ws->close_after_write) {
        h2o_buffer_t *in = ws->sock->input;
        struct kc_ws_message m;
        size_t used = 0;
        int rc = kc_ws_reader_next(&ws->reader, (uint8_t *)in->bytes, in->size, &used, &m);
        if (rc == -EAGAIN) {
            if (used)
                h2o_buffer_consume(&ws->sock->input, used);
            break;
        }
        if (rc != 0) {
            if (used)
                h2o_buffer_consume(&ws->sock->input, used);
            return fail(ws,
                        rc == -EMSGSIZE ? KC_WS_TOO_BIG
                        : rc == -ENOMEM ? KC_WS_INTERNAL_ERROR
                                        : KC_WS_PROTOCOL_ERROR,
                        rc == -EMSGSIZE ? "message too big" : "protocol error");
        }
        switch (m.opcode) {
        case KC_WS_PING:
            queue_frame(ws, KC_WS_PONG, m.data, m.len);
            flush(ws);
            break;
        case KC_WS_PONG:
            break;
        case KC_WS_CLOSE: {
            int code;
            const char *reason;
            size_t rlen;
            if (kc_ws_close_parse(m.data, m.len, &code, &reason, &rlen) != 0) {
                h2o_buffer_consume(&ws->sock->input, used);
                return fail(ws, KC_WS_PROTOCOL_ERROR, "bad close frame");
            }
            if (ws->state == WS_OPEN)
                queue_close(ws, code, NULL); /* echo the code (RFC 6455 5.5.1) */
            ws->state = WS_CLOSE_SENT;
            ws->close_after_write = true;
            ws->end_code = code;
            h2o_buffer_consume(&ws->sock->input, used);
            if (!ws->writing && ws->pending.len == 0) {
                finish(ws, code);
                return false;
            }
            flush(ws);
            return true;
        }
        default:
            if (ws->state == WS_OPEN)
                ws->cb.on_message(ws, m.opcode, m.data, m.len, ws->arg);
            break;
        }
        h2o_buffer_consume(&ws->sock->input, used);
    }
    return true;
}

static void
on_read(h2o_socket_t *sock, const char *err)
{
    kc_ws *ws = sock->data;
    if (err) {
        /* the peer is gone: after its close frame that is the normal end */
        finish(ws, ws->close_after_write ? ws->end_code : KC_WS_ABNORMAL);
        return;
    }
    if (process_input(ws))
        update_reading(ws);
}

static void open_failed(kc_ws *ws, int status, const char *error, const char *body, size_t body_len);

static void
on_soon(h2o_timeout_entry_t *entry)
{
    kc_ws *ws = H2O_STRUCT_FROM_MEMBER(kc_ws, soon, entry);
    if (ws->soon_abort) {
        finish(ws, KC_WS_ABNORMAL);
        return;
    }
    if (ws->deadline_due) {
        ws->deadline_due = false;
        if (ws->deadline_dial)
            open_failed(ws, 0, "timeout", NULL, 0);
        else
            finish(ws, KC_WS_ABNORMAL);
        return;
    }
    if (ws->state == WS_CONNECTING || !ws->sock)
        return;
    if (process_input(ws))
        update_reading(ws);
}

static kc_ws *
ws_new(kc_httpd_loop *loop, bool client, const struct kc_ws_config *cfg, const struct kc_ws_callbacks *cb, void *arg)
{
    kc_ws *ws = calloc(1, sizeof(*ws));
    if (!ws)
        return NULL;
    ws->loop = loop;
    ws->client = client;
    ws->state = WS_CONNECTING;
    ws->cb = *cb;
    ws->arg = arg;
    ws->max_pending = cfg_max_pending(cfg);
    kc_ws_reader_init(&ws->reader, client ? 0 : 1, cfg_max_message(cfg));
    ws->soon.cb = on_soon;
    ws->deadline.arg = ws;
    h2o_linklist_insert(&loop->websockets, &ws->link);
    return ws;
}

/* The socket is ours and the handshake is done: start reading and writing. */
static void
ws_open(kc_ws *ws)
{
    ws->state = WS_OPEN;
    kc_httpd_timer_cancel(&ws->deadline);
    if (ws->close_code) {
        int code = ws->close_code;
        ws->close_code = 0;
        kc_ws_close(ws, code, NULL);
    }
    flush(ws);
    update_reading(ws);
    if (ws->sock->input->size) /* frames that came right behind the handshake */
        arm_soon(ws);
}

int
kc_ws_send(kc_ws *ws, int opcode, const void *data, size_t len)
{
    if (opcode != KC_WS_TEXT && opcode != KC_WS_BINARY)
        return KC_EINVALID;
    if (ws->state != WS_OPEN && ws->state != WS_CONNECTING)
        return -EPIPE;
    if (ws->close_code || ws->close_after_write)
        return -EPIPE;
    int rc = queue_frame(ws, opcode, data, len);
    if (rc != 0)
        return rc;
    if (kc_ws_full(ws))
        ws->full = true;
    flush(ws);
    return 0;
}

size_t
kc_ws_pending(const kc_ws *ws)
{
    return ws->pending.len + ws->inflight.len;
}

bool
kc_ws_full(const kc_ws *ws)
{
    return kc_ws_pending(ws) > ws->max_pending;
}

void
kc_ws_pause(kc_ws *ws, bool paused)
{
    if (ws->paused == paused || ws->state == WS_DONE)
        return;
    ws->paused = paused;
    if (paused) {
        if (ws->sock && ws->state != WS_CONNECTING)
            h2o_socket_read_stop(ws->sock);
    } else if (ws->sock && ws->state != WS_CONNECTING) {
        /* deliver what is buffered from the loop, not from inside the caller's callback */
        arm_soon(ws);
    }
}

void
kc_ws_close(kc_ws *ws, int code, const char *reason)
{
    if (ws->state == WS_DONE || ws->state == WS_CLOSE_SENT)
        return;
    if (ws->state == WS_CONNECTING && !ws->client) {
        if (code == KC_WS_ABNORMAL)
            ws->abandoned = true; /* the 101 is h2o's until it is written: end then */
        else if (!ws->close_code)
            ws->close_code = code; /* sent once the 101 is out */
        return;
    }
    if (code == KC_WS_ABNORMAL || ws->state == WS_CONNECTING) { /* at once; a client handshake is aborted */
        ws->soon_abort = true;
        arm_soon(ws);
        return;
    }
    queue_close(ws, code, reason);
    ws->state = WS_CLOSE_SENT;
    ws->end_code = KC_WS_ABNORMAL;
    arm_deadline(ws, false, CLOSE_TIMEOUT_MS);
    flush(ws);
}

/* Ends every connection of a stopping loop (httpd.c calls it when the loop begins its shutdown). */
void
kc_httpd_ws_loop_shutdown(kc_httpd_loop *loop)
{
    h2o_linklist_t later;
    h2o_linklist_init_anchor(&later);
    while (!h2o_linklist_is_empty(&loop->websockets)) {
        kc_ws *ws = H2O_STRUCT_FROM_MEMBER(kc_ws, link, loop->websockets.next);
        if (!ws->client && ws->state == WS_CONNECTING) {
            /* the 101 is still h2o's: end it when the upgrade completes */
            ws->abandoned = true;
            h2o_linklist_unlink(&ws->link);
            h2o_linklist_insert(&later, &ws->link);
            continue;
        }
        finish(ws, KC_WS_ABNORMAL);
    }
    while (!h2o_linklist_is_empty(&later)) {
        h2o_linklist_t *l = later.next;
        h2o_linklist_unlink(l);
        h2o_linklist_insert(&loop->websockets, l);
    }
}

/* --- the server side: upgrading a request --- */

bool
kc_httpd_ws_is_handshake(kc_httpd_req *req)
{
    h2o_req_t *r = req->r;
    if (r->version != 0x101 || !h2o_memis(r->method.base, r->method.len, H2O_STRLIT("GET")))
        return false;
    if (!r->upgrade.base || !has_token(r->upgrade.base, r->upgrade.len, "websocket"))
        return false;
    size_t len;
    const char *v = kc_httpd_req_header(req, "sec-websocket-version", &len);
    if (!v || len != 2 || memcmp(v, "13", 2) != 0)
        return false;
    v = kc_httpd_req_header(req, "sec-websocket-key", &len);
    return v && len == 24;
}

const char *
kc_httpd_req_upgrade(kc_httpd_req *req, size_t *len)
{
    h2o_req_t *r = req->r;
    if (r->upgrade.base) {
        *len = r->upgrade.len;
        return r->upgrade.base;
    }
    return kc_httpd_req_header(req, "upgrade", len);
}

size_t
kc_httpd_ws_protocols(kc_httpd_req *req, char *buf, size_t cap)
{
    h2o_headers_t *hs = &req->r->headers;
    size_t n = 0;
    buf[0] = '\0';
    for (ssize_t i = -1; (i = h2o_find_header_by_str(hs, H2O_STRLIT("sec-websocket-protocol"), i)) >= 0;) {
        h2o_iovec_t v = hs->entries[i].value;
        int w = snprintf(buf + n, cap - n, "%s%.*s", n ? ", " : "", (int)v.len, v.base);
        if (w < 0 || (size_t)w >= cap - n) {
            n = strlen(buf);
            break;
        }
        n += (size_t)w;
    }
    return n;
}

static void
on_upgrade_complete(void *user_data, h2o_socket_t *sock, size_t reqsize)
{
    kc_ws *ws = user_data;
    if (!sock) {
        finish(ws, KC_WS_ABNORMAL);
        return;
    }
    ws->sock = sock;
    sock->data = ws;
    h2o_buffer_consume(&sock->input, reqsize);
    if (ws->abandoned) {
        finish(ws, KC_WS_ABNORMAL);
        return;
    }
    ws_open(ws);
}

int
kc_httpd_ws_accept(kc_httpd_req *req, const char *protocol, const struct kc_ws_config *cfg,
                   const struct kc_ws_callbacks *cb, void *arg, kc_ws **out)
{
    if (!kc_httpd_ws_is_handshake(req))
        return KC_EBADREQUEST;
    size_t klen;
    const char *key = kc_httpd_req_header(req, "sec-websocket-key", &klen);
    char accept[29];
    kc_ws_accept_key(key, klen, accept);
    kc_ws *ws = ws_new(req->loop, false, cfg, cb, arg);
    if (!ws)
        return -ENOMEM;

    h2o_req_t *r = req->r;
    r->res.status = 101;
    r->res.reason = "Switching Protocols";
    h2o_add_header(&r->pool, &r->res.headers, H2O_TOKEN_UPGRADE, NULL, H2O_STRLIT("websocket"));
    h2o_iovec_t acc = h2o_strdup(&r->pool, accept, strlen(accept));
    h2o_add_header_by_str(&r->pool, &r->res.headers, H2O_STRLIT("sec-websocket-accept"), 0, NULL, acc.base, acc.len);
    if (protocol && *protocol) {
        h2o_iovec_t p = h2o_strdup(&r->pool, protocol, strlen(protocol));
        h2o_add_header_by_str(&r->pool, &r->res.headers, H2O_STRLIT("sec-websocket-protocol"), 0, NULL, p.base, p.len);
    }
    h2o_http1_upgrade(r, NULL, 0, on_upgrade_complete, ws);
    *out = ws;
    return 0;
}

/* --- the client side: dialling --- */

/* Ends a client handshake with resp, then the connection. */
static void
open_failed(kc_ws *ws, int status, const char *error, const char *body, size_t body_len)
{
    struct kc_ws_response resp = {
        .status = status,
        .error = error,
        .protocol = "",
        .content_type = ws->head_done ? ws->head.content_type : "",
        .body = body ? body : "",
        .body_len = body_len,
    };
    ws->cb.on_open(ws, &resp, ws->arg);
    finish(ws, KC_WS_ABNORMAL);
}

/* A refused handshake: collects the response body (Content-Length, chunked, or up to EOF), then reports it. */
static void
refusal_progress(kc_ws *ws, bool eof)
{
    h2o_buffer_t *in = ws->sock->input;
    if (ws->head.chunked) {
        char *body = malloc(MAX_REFUSAL_BODY);
        size_t n = 0;
        int rc = body ? kc_ws_chunked_decode(in->bytes, in->size, body, MAX_REFUSAL_BODY, &n) : -ENOMEM;
        if (rc == 0 || eof || in->size > 4 * MAX_REFUSAL_BODY || (rc != -EAGAIN)) {
            open_failed(ws, ws->head.status, NULL, body, rc == 0 || rc == -EAGAIN ? n : 0);
            free(body);
            return;
        }
        free(body);
        return;
    }
    size_t want = ws->head.content_length >= 0 ? (size_t)ws->head.content_length : MAX_REFUSAL_BODY;
    if (want > MAX_REFUSAL_BODY)
        want = MAX_REFUSAL_BODY;
    if (in->size >= want || eof || ws->head.status == 204 || ws->head.status == 304)
        open_failed(ws, ws->head.status, NULL, in->bytes, in->size < want ? in->size : want);
}

static void
on_handshake_read(h2o_socket_t *sock, const char *err)
{
    kc_ws *ws = sock->data;
    if (!ws->head_done) {
        if (err) {
            open_failed(ws, 0, "the server closed the connection before answering the upgrade", NULL, 0);
            return;
        }
        size_t hlen;
        int rc = kc_ws_http_head_parse(sock->input->bytes, sock->input->size, &ws->head, &hlen);
        if (rc == -EAGAIN)
            return;
        if (rc != 0) {
            open_failed(ws, 0, "malformed HTTP response to the upgrade", NULL, 0);
            return;
        }
        ws->head_done = true;
        h2o_buffer_consume(&sock->input, hlen);
        if (ws->head.status == 101) {
            char want[29];
            kc_ws_accept_key(ws->key, strlen(ws->key), want);
            const char *why = NULL;
            if (!ws->head.upgrade_websocket || !ws->head.connection_upgrade)
                why = "the 101 response lacks Upgrade: websocket or Connection: Upgrade";
            else if (strcmp(ws->head.accept, want) != 0)
                why = "the 101 response has a wrong Sec-WebSocket-Accept";
            else if (ws->head.protocol[0] &&
                     (!ws->offered || !kc_ws_protocol_listed(ws->offered, strlen(ws->offered), ws->head.protocol)))
                why = "the server chose a subprotocol that was not offered";
            if (why) {
                open_failed(ws, 0, why, NULL, 0);
                return;
            }
            struct kc_ws_response resp = {
                .status = 101, .protocol = ws->head.protocol, .content_type = "", .body = ""
            };
            ws->state = WS_OPEN; /* so that on_open may send */
            kc_httpd_timer_cancel(&ws->deadline);
            ws->deadline_due = false;
            ws->cb.on_open(ws, &resp, ws->arg);
            if (ws->soon_abort) { /* closed from on_open */
                finish(ws, KC_WS_ABNORMAL);
                return;
            }
            flush(ws);
            if (process_input(ws))
                update_reading(ws);
            return;
        }
    }
    refusal_progress(ws, err != NULL);
}

/* The request's write may complete after the 101 has been read (h2o runs write callbacks late): frames queued
 * meanwhile wait for it. */
static void
on_request_written(h2o_socket_t *sock, const char *err)
{
    kc_ws *ws = sock->data;
    ws->writing = false;
    if (err) {
        if (ws->state == WS_CONNECTING)
            open_failed(ws, 0, "the connection failed while sending the upgrade request", NULL, 0);
        else
            finish(ws, KC_WS_ABNORMAL);
        return;
    }
    flush(ws);
}

static void
send_request(kc_ws *ws)
{
    h2o_iovec_t iov = h2o_iovec_init(ws->request, ws->request_len);
    ws->writing = true;
    h2o_socket_write(ws->sock, &iov, 1, on_request_written);
    h2o_socket_read_start(ws->sock, on_handshake_read);
}

static void
on_tls_done(h2o_socket_t *sock, const char *err)
{
    kc_ws *ws = sock->data;
    /* h2o compares the certificate with server_name by DNS name only; the caller's SSL_CTX checks host or IP */
    if (err && err != h2o_socket_error_ssl_cert_name_mismatch) {
        char buf[300], detail[256];
        unsigned long e = ERR_get_error();
        if (e) {
            ERR_error_string_n(e, detail, sizeof(detail));
            snprintf(buf, sizeof(buf), "tls: %s", detail);
        } else {
            snprintf(buf, sizeof(buf), "tls: %s", err);
        }
        ERR_clear_error();
        open_failed(ws, 0, buf, NULL, 0);
        return;
    }
    send_request(ws);
}

/* A Sec-WebSocket-Key: 16 random bytes in base64. */
static int
make_key(char out[32])
{
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return -EIO;
    EVP_EncodeBlock((unsigned char *)out, raw, sizeof(raw));
    return 0;
}

int
kc_ws_connect(kc_httpd_loop *loop, const struct kc_ws_dial *d, const struct kc_ws_config *cfg,
              const struct kc_ws_callbacks *cb, void *arg, kc_ws **out)
{
    kc_ws *ws = ws_new(loop, true, cfg, cb, arg);
    int rc = -ENOMEM;
    if (!ws)
        goto fail;
    rc = make_key(ws->key);
    if (rc != 0)
        goto fail;
    if (d->protocols && !(ws->offered = strdup(d->protocols))) {
        rc = -ENOMEM;
        goto fail;
    }
    size_t cap = 256 + strlen(d->path) + strlen(d->host) + (d->protocols ? strlen(d->protocols) : 0);
    for (const char *const *h = d->headers; h && *h; h++)
        cap += strlen(*h) + 2;
    ws->request = malloc(cap);
    if (!ws->request)
        goto fail;
    int n = snprintf(ws->request, cap,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n",
                     d->path, d->host, ws->key);
    if (d->protocols)
        n += snprintf(ws->request + n, cap - (size_t)n, "Sec-WebSocket-Protocol: %s\r\n", d->protocols);
    for (const char *const *h = d->headers; h && *h; h++)
        n += snprintf(ws->request + n, cap - (size_t)n, "%s\r\n", *h);
    n += snprintf(ws->request + n, cap - (size_t)n, "\r\n");
    ws->request_len = (size_t)n;

    int fl = fcntl(d->fd, F_GETFL);
    if (fl < 0 || fcntl(d->fd, F_SETFL, fl | O_NONBLOCK) != 0) {
        rc = -errno;
        goto fail;
    }
    ws->sock = h2o_evloop_socket_create(loop->ctx.loop, d->fd, 0);
    if (!ws->sock)
        goto fail;
    ws->sock->data = ws;
    ws->ssl_ctx = d->ssl_ctx;
    arm_deadline(ws, true, d->timeout_ms > 0 ? d->timeout_ms : DEF_DIAL_TIMEOUT);
    if (ws->ssl_ctx)
        h2o_socket_ssl_handshake(ws->sock, ws->ssl_ctx, d->server_name ? d->server_name : d->host, on_tls_done);
    else
        send_request(ws);
    *out = ws;
    return 0;
fail:
    if (ws) {
        if (!ws->sock)
            close(d->fd);
        else
            h2o_socket_close(ws->sock);
        h2o_linklist_unlink(&ws->link);
        kc_ws_reader_close(&ws->reader);
        free(ws->request);
        free(ws->offered);
        free(ws);
    } else {
        close(d->fd);
    }
    if (d->ssl_ctx)
        SSL_CTX_free(d->ssl_ctx);
    return rc;
}
