/* cmd_exec.c - `kctl exec POD [-c C] [-i] [-t] -- CMD...` and the session code attach shares: pods/NAME/exec|attach
 * over a WebSocket speaking
 * v5.channel.k8s.io (channel 0 stdin, 1 stdout, 2 stderr, 3 status, 4 resize, 255 close), on its own TLS
 * connection (OpenSSL, HTTP/1.1 upgrade) with the kubeconfig's credentials, since kc_http's libcurl has no
 * WebSocket support. Exit codes as kubectl: the command's own on NonZeroExitCode. */
#include "kctl.h"
#include "kc_crypto.h"
#include "kc_fault.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#define WS_MAX_FRAME ((uint64_t)64 << 20) /* larger frames than this are a protocol error here */

struct ws {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;   /* NULL for http:// */
    char *rbuf; /* bytes read past the HTTP head */
    size_t rlen, roff;
};

static void
ws_close(struct ws *w)
{
    if (w->ssl) {
        SSL_shutdown(w->ssl);
        SSL_free(w->ssl);
    }
    if (w->ctx)
        SSL_CTX_free(w->ctx);
    if (w->fd >= 0)
        close(w->fd);
    free(w->rbuf);
    memset(w, 0, sizeof(*w));
    w->fd = -1;
}

static int
ws_write(struct ws *w, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = w->ssl ? SSL_write(w->ssl, p, (int)len) : write(w->fd, p, len);
        if (n <= 0) {
            if (!w->ssl && n < 0 && errno == EINTR)
                continue;
            return -EPIPE;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads up to len bytes (at least one). Returns the count, 0 at the end, -1 on error. */
static ssize_t
ws_read_some(struct ws *w, void *buf, size_t len)
{
    if (w->roff < w->rlen) {
        size_t n = w->rlen - w->roff < len ? w->rlen - w->roff : len;
        memcpy(buf, w->rbuf + w->roff, n);
        w->roff += n;
        return (ssize_t)n;
    }
    for (;;) {
        ssize_t n = w->ssl ? SSL_read(w->ssl, buf, (int)len) : read(w->fd, buf, len);
        if (n > 0)
            return n;
        if (w->ssl) {
            int e = SSL_get_error(w->ssl, (int)n);
            return e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL ? 0 : -1;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return n;
    }
}

static int
ws_read_exact(struct ws *w, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = ws_read_some(w, p, len);
        if (n <= 0)
            return -EPIPE;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* True when a read would not block (buffered or TLS-pending bytes). */
static bool
ws_pending(const struct ws *w)
{
    return w->roff < w->rlen || (w->ssl && SSL_pending(w->ssl) > 0);
}

static int
ws_send(struct ws *w, int opcode, const void *payload, size_t len)
{
    unsigned char head[14];
    size_t h = 0;
    head[h++] = (unsigned char)(0x80 | opcode);
    if (len < 126) {
        head[h++] = (unsigned char)(0x80 | len);
    } else if (len < 65536) {
        head[h++] = 0x80 | 126;
        head[h++] = (unsigned char)(len >> 8);
        head[h++] = (unsigned char)len;
    } else {
        head[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            head[h++] = (unsigned char)((uint64_t)len >> (8 * i));
    }
    unsigned char key[4];
    RAND_bytes(key, 4);
    memcpy(head + h, key, 4);
    h += 4;
    unsigned char *buf = kc_malloc(h + len);
    if (!buf)
        return -ENOMEM;
    memcpy(buf, head, h);
    for (size_t i = 0; i < len; i++)
        buf[h + i] = ((const unsigned char *)payload)[i] ^ key[i & 3];
    int rc = ws_write(w, buf, h + len);
    free(buf);
    return rc;
}

/* One message (continuations joined): its opcode and payload (caller frees). Returns 0, or -EPIPE at the end. */
static int
ws_recv(struct ws *w, int *opcode, unsigned char **out, size_t *outlen)
{
    unsigned char *msg = NULL;
    size_t mlen = 0;
    int op = -1;
    for (;;) {
        unsigned char h[2];
        if (ws_read_exact(w, h, 2) != 0)
            goto eof;
        int fop = h[0] & 0x0f;
        bool fin = h[0] & 0x80, masked = h[1] & 0x80;
        uint64_t n = h[1] & 0x7f;
        unsigned char ext[8], key[4];
        if (n == 126) {
            if (ws_read_exact(w, ext, 2) != 0)
                goto eof;
            n = ((uint64_t)ext[0] << 8) | ext[1];
        } else if (n == 127) {
            if (ws_read_exact(w, ext, 8) != 0)
                goto eof;
            n = 0;
            for (int i = 0; i < 8; i++)
                n = (n << 8) | ext[i];
        }
        if (n > WS_MAX_FRAME || (masked && ws_read_exact(w, key, 4) != 0))
            goto eof;
        unsigned char *payload = kc_malloc(n ? n : 1);
        if (!payload || ws_read_exact(w, payload, n) != 0) {
            free(payload);
            goto eof;
        }
        if (masked)
            for (uint64_t i = 0; i < n; i++)
                payload[i] ^= key[i & 3];
        if (fop >= 8) { /* a control frame may come between fragments */
            if (fop == 9) {
                ws_send(w, 10, payload, n);
                free(payload);
                continue;
            }
            if (fop == 10) {
                free(payload);
                continue;
            }
            free(msg);
            *opcode = fop;
            *out = payload;
            *outlen = n;
            return 0;
        }
        if (op < 0)
            op = fop;
        unsigned char *nm = kc_realloc(msg, mlen + n + 1);
        if (!nm) {
            free(payload);
            goto eof;
        }
        msg = nm;
        memcpy(msg + mlen, payload, n);
        mlen += n;
        free(payload);
        if (fin)
            break;
    }
    *opcode = op;
    *out = msg;
    *outlen = mlen;
    return 0;
eof:
    free(msg);
    return -EPIPE;
}

/* The scheme, host, port and path prefix of a server URL. */
static int
split_url(const char *url, bool *tls, char *host, size_t hlen, char *port, size_t plen, char *prefix, size_t xlen)
{
    const char *p;
    if (strncasecmp(url, "https://", 8) == 0) {
        *tls = true;
        p = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        *tls = false;
        p = url + 7;
    } else {
        return -EINVAL;
    }
    const char *slash = strchr(p, '/');
    size_t hp = slash ? (size_t)(slash - p) : strlen(p);
    snprintf(prefix, xlen, "%s", slash ? slash : "");
    size_t pl = strlen(prefix);
    while (pl > 0 && prefix[pl - 1] == '/')
        prefix[--pl] = '\0';
    if (p[0] == '[') {
        const char *close = memchr(p, ']', hp);
        if (!close)
            return -EINVAL;
        snprintf(host, hlen, "%.*s", (int)(close - p - 1), p + 1);
        snprintf(port, plen, "%s", close[1] == ':' ? close + 2 : (*tls ? "443" : "80"));
        port[strcspn(port, "/")] = '\0';
        return 0;
    }
    const char *colon = memchr(p, ':', hp);
    snprintf(host, hlen, "%.*s", (int)(colon ? (size_t)(colon - p) : hp), p);
    if (colon)
        snprintf(port, plen, "%.*s", (int)(hp - (size_t)(colon - p) - 1), colon + 1);
    else
        snprintf(port, plen, "%s", *tls ? "443" : "80");
    return 0;
}

static int
load_pem_certs(X509_STORE *store, const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    int n = 0;
    X509 *x;
    while (b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
        X509_STORE_add_cert(store, x);
        X509_free(x);
        n++;
    }
    ERR_clear_error();
    BIO_free(b);
    return n;
}

/* Connects, upgrades, checks the protocol. Returns 0, or 1 with the error printed (as kubectl prints it). */
static int
ws_open(struct kctl_client *c, const char *path, struct ws *w)
{
    struct kctl_config *cfg = kctl_client_config(c);
    const struct kc_kubeconfig_client *k = kctl_client_credentials(c);
    char host[256], port[16], prefix[512];
    bool tls;
    memset(w, 0, sizeof(*w));
    w->fd = -1;
    if (split_url(k->server, &tls, host, sizeof(host), port, sizeof(port), prefix, sizeof(prefix)) != 0) {
        fprintf(cfg->err, "error: invalid server URL \"%s\"\n", k->server);
        return 1;
    }
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
    if (getaddrinfo(host, port, &hints, &ai) != 0) {
        fprintf(cfg->err, "Unable to connect to the server: dial tcp: lookup %s: no such host\n", host);
        return 1;
    }
    int err = ECONNREFUSED;
    for (struct addrinfo *a = ai; a && w->fd < 0; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
            w->fd = fd;
        } else {
            err = errno;
            close(fd);
        }
    }
    freeaddrinfo(ai);
    if (w->fd < 0) {
        if (err == ECONNREFUSED)
            fprintf(cfg->err,
                    "The connection to the server %s:%s was refused - did you specify the right host or port?\n", host,
                    port);
        else
            fprintf(cfg->err, "Unable to connect to the server: dial tcp %s:%s: %s\n", host, port, strerror(err));
        return 1;
    }
    if (tls) {
        w->ctx = SSL_CTX_new(TLS_client_method());
        if (!w->ctx)
            goto tls_fail;
        SSL_CTX_set_min_proto_version(w->ctx, TLS1_2_VERSION);
        if (k->insecure) {
            SSL_CTX_set_verify(w->ctx, SSL_VERIFY_NONE, NULL);
        } else {
            SSL_CTX_set_verify(w->ctx, SSL_VERIFY_PEER, NULL);
            if (k->ca_pem)
                load_pem_certs(SSL_CTX_get_cert_store(w->ctx), k->ca_pem);
            else
                SSL_CTX_set_default_verify_paths(w->ctx);
        }
        if (k->cert_pem && k->key_pem) {
            BIO *cb = BIO_new_mem_buf(k->cert_pem, -1), *kb = BIO_new_mem_buf(k->key_pem, -1);
            X509 *x = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
            EVP_PKEY *pk = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
            bool ok = x && pk && SSL_CTX_use_certificate(w->ctx, x) == 1 && SSL_CTX_use_PrivateKey(w->ctx, pk) == 1;
            X509_free(x);
            EVP_PKEY_free(pk);
            BIO_free(cb);
            BIO_free(kb);
            if (!ok)
                goto tls_fail;
        }
        static const unsigned char alpn[] = "\x08http/1.1";
        SSL_CTX_set_alpn_protos(w->ctx, alpn, sizeof(alpn) - 1);
        w->ssl = SSL_new(w->ctx);
        if (!w->ssl)
            goto tls_fail;
        const char *name = k->tls_server_name && *k->tls_server_name ? k->tls_server_name : host;
        struct in6_addr a6;
        struct in_addr a4;
        bool ip = inet_pton(AF_INET, name, &a4) == 1 || inet_pton(AF_INET6, name, &a6) == 1;
        if (!ip)
            SSL_set_tlsext_host_name(w->ssl, name);
        X509_VERIFY_PARAM *vp = SSL_get0_param(w->ssl);
        if (ip)
            X509_VERIFY_PARAM_set1_ip_asc(vp, name);
        else
            X509_VERIFY_PARAM_set1_host(vp, name, 0);
        SSL_set_fd(w->ssl, w->fd);
        if (SSL_connect(w->ssl) != 1) {
            long vr = SSL_get_verify_result(w->ssl);
            if (vr == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY || vr == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
                vr == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN || vr == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT)
                fprintf(cfg->err, "Unable to connect to the server: tls: failed to verify certificate: x509: "
                                  "certificate signed by unknown authority\n");
            else if (vr != X509_V_OK)
                fprintf(cfg->err, "Unable to connect to the server: tls: failed to verify certificate: %s\n",
                        X509_verify_cert_error_string(vr));
            else
                fprintf(cfg->err, "Unable to connect to the server: TLS handshake failed\n");
            ws_close(w);
            return 1;
        }
    }
    goto upgrade;
tls_fail:
    fprintf(cfg->err, "error: the TLS setup failed (client certificate, key or CA)\n");
    ws_close(w);
    return 1;
upgrade:;
    /* the upgrade request */
    unsigned char nonce[16];
    RAND_bytes(nonce, sizeof(nonce));
    char *key = kc_base64_encode(nonce, sizeof(nonce));
    char *req = NULL;
    char auth[4200] = "";
    if (k->token)
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n", k->token);
    else if (k->username) {
        char up[1024];
        snprintf(up, sizeof(up), "%s:%s", k->username, k->password ? k->password : "");
        char *b = kc_base64_encode(up, strlen(up));
        snprintf(auth, sizeof(auth), "Authorization: Basic %s\r\n", b ? b : "");
        free(b);
    }
    int n = asprintf(&req,
                     "GET %s%s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: kctl/v1.33.0 k8c\r\n%sUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                     "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n",
                     prefix, path, host, port, auth, key ? key : "");
    free(key);
    if (n < 0 || ws_write(w, req, (size_t)n) != 0) {
        free(req);
        fprintf(cfg->err, "Unable to connect to the server: connection lost\n");
        ws_close(w);
        return 1;
    }
    free(req);
    /* the head, then whatever came with it */
    size_t cap = 8192, len = 0;
    char *buf = kc_malloc(cap);
    char *end = NULL;
    while (buf && !end) {
        if (len + 1024 > cap) {
            char *nb = cap < (1u << 20) ? kc_realloc(buf, cap * 2) : NULL;
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
        ssize_t r = ws_read_some(w, buf + len, cap - len - 1);
        if (r <= 0)
            break;
        len += (size_t)r;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (!end) {
        free(buf);
        fprintf(cfg->err, "error: unable to upgrade connection: the connection ended before a response\n");
        ws_close(w);
        return 1;
    }
    long status = strtol(strchr(buf, ' ') ? strchr(buf, ' ') + 1 : "0", NULL, 10);
    size_t head = (size_t)(end - buf) + 4;
    if (status != 101) {
        /* a Status in the body: read it whole (Content-Length, else to the end) */
        const char *cl = strcasestr(buf, "\r\ncontent-length:");
        size_t want = cl ? strtoul(cl + 17, NULL, 10) : (size_t)-1;
        while (len - head < want) {
            if (len + 4096 > cap) {
                char *nb = kc_realloc(buf, cap * 2);
                if (!nb)
                    break;
                buf = nb;
                cap *= 2;
            }
            ssize_t r = ws_read_some(w, buf + len, cap - len - 1);
            if (r <= 0)
                break;
            len += (size_t)r;
        }
        buf[len] = '\0';
        const char *ct = strcasestr(buf, "\r\ncontent-type:");
        char ctype[128] = "";
        if (ct && ct < end)
            sscanf(ct + 15, " %127[^\r\n]", ctype);
        struct kctl_response resp = {
            .status = status, .body = buf + head, .len = len - head, .content_type = ctype[0] ? ctype : NULL
        };
        kctl_print_error(cfg, &resp);
        free(buf);
        ws_close(w);
        return 1;
    }
    const char *proto = strcasestr(buf, "\r\nsec-websocket-protocol:");
    if (!proto || proto > end || !strstr(proto, "v5.channel.k8s.io")) {
        free(buf);
        fprintf(cfg->err, "error: unable to upgrade connection: the server did not agree to v5.channel.k8s.io\n");
        ws_close(w);
        return 1;
    }
    w->rbuf = buf;
    w->roff = head;
    w->rlen = len;
    return 0;
}

/* The exit code of a v5 status message: 0 for Success, the command's code for NonZeroExitCode (with kubectl's
 * message), 1 otherwise (message printed). */
static int
handle_status(struct kctl_config *cfg, const unsigned char *p, size_t n)
{
    json_t *st = json_loadb((const char *)p, n, 0, NULL);
    const char *status = json_string_value(json_object_get(st, "status"));
    int rc = 0;
    if (!status || strcmp(status, "Success") != 0) {
        const char *reason = json_string_value(json_object_get(st, "reason"));
        const char *msg = json_string_value(json_object_get(st, "message"));
        rc = 1;
        if (reason && strcmp(reason, "NonZeroExitCode") == 0) {
            size_t i;
            json_t *cause;
            json_array_foreach(json_object_get(json_object_get(st, "details"), "causes"), i, cause)
            {
                const char *cr = json_string_value(json_object_get(cause, "reason"));
                const char *cm = json_string_value(json_object_get(cause, "message"));
                if (cr && cm && strcmp(cr, "ExitCode") == 0)
                    rc = atoi(cm);
            }
            fprintf(cfg->err, "command terminated with exit code %d\n", rc);
        } else {
            fprintf(cfg->err, "error: %s\n", msg ? msg : "the command failed");
        }
    }
    json_decref(st);
    return rc;
}

static struct termios saved_tty;
static bool tty_raw;

static void
tty_restore(void)
{
    if (tty_raw)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
    tty_raw = false;
}

static int
session(struct kctl_config *cfg, struct ws *w, bool stdin_, bool tty)
{
    bool in_open = stdin_;
    int rc = 0;
    bool got_status = false;
    if (tty && isatty(STDIN_FILENO)) {
        struct winsize ws;
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0) {
            char msg[64];
            int n = snprintf(msg + 1, sizeof(msg) - 1, "{\"Width\":%u,\"Height\":%u}", ws.ws_col, ws.ws_row);
            msg[0] = 4;
            ws_send(w, 2, msg, (size_t)n + 1);
        }
        if (stdin_ && tcgetattr(STDIN_FILENO, &saved_tty) == 0) {
            struct termios raw = saved_tty;
            cfmakeraw(&raw);
            if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
                tty_raw = true;
        }
    }
    for (;;) {
        if (!ws_pending(w)) {
            struct pollfd pf[2] = { { .fd = w->fd, .events = POLLIN }, { .fd = STDIN_FILENO, .events = POLLIN } };
            if (poll(pf, in_open ? 2 : 1, -1) < 0) {
                if (errno == EINTR)
                    continue;
                break;
            }
            if (in_open && (pf[1].revents & (POLLIN | POLLHUP | POLLERR))) {
                unsigned char buf[1 + 32768];
                ssize_t n = read(STDIN_FILENO, buf + 1, sizeof(buf) - 1);
                if (n > 0) {
                    buf[0] = 0;
                    if (ws_send(w, 2, buf, (size_t)n + 1) != 0)
                        break;
                } else if (n == 0 || errno != EINTR) {
                    /* v5: close stdin */
                    unsigned char closemsg[2] = { 255, 0 };
                    ws_send(w, 2, closemsg, 2);
                    in_open = false;
                }
            }
            if (!(pf[0].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
        }
        int op;
        unsigned char *p;
        size_t n;
        if (ws_recv(w, &op, &p, &n) != 0)
            break;
        if (op == 8) {
            ws_send(w, 8, p, n > 2 ? 2 : n);
            free(p);
            break;
        }
        if ((op == 2 || op == 1) && n > 0) {
            switch (p[0]) {
            case 1:
                fwrite(p + 1, 1, n - 1, cfg->out);
                fflush(cfg->out);
                break;
            case 2:
                fwrite(p + 1, 1, n - 1, cfg->err);
                fflush(cfg->err);
                break;
            case 3:
                tty_restore();
                rc = handle_status(cfg, p + 1, n - 1);
                got_status = true;
                break;
            default:
                break;
            }
        }
        free(p);
    }
    tty_restore();
    (void)got_status;
    return rc;
}

int
kctl_ws_session(struct kctl_client *c, const char *path, bool stdin_, bool tty)
{
    struct ws w;
    if (ws_open(c, path, &w) != 0)
        return 1;
    int rc = session(kctl_client_config(c), &w, stdin_, tty);
    ws_close(&w);
    return rc;
}

const char *
kctl_pod_default_container(struct kctl_config *cfg, const json_t *pod, bool quiet)
{
    const json_t *spec = json_object_get(pod, "spec");
    const json_t *cs = json_object_get(spec, "containers");
    const char *def = json_string_value(json_object_get(
        json_object_get(json_object_get(pod, "metadata"), "annotations"), "kubectl.kubernetes.io/default-container"));
    static const char *const lists[] = { "containers", "initContainers", "ephemeralContainers" };
    static const char *const suffix[] = { "", " (init)", " (ephem)" };
    if (def) {
        for (int k = 0; k < 3; k++) {
            size_t i;
            json_t *ct;
            json_array_foreach(json_object_get(spec, lists[k]), i, ct)
            {
                const char *n = json_string_value(json_object_get(ct, "name"));
                if (n && strcmp(n, def) == 0)
                    return n;
            }
        }
    }
    const char *first = json_string_value(json_object_get(json_array_get(cs, 0), "name"));
    size_t total = json_array_size(cs) + json_array_size(json_object_get(spec, "initContainers")) +
                   json_array_size(json_object_get(spec, "ephemeralContainers"));
    if (first && total > 1 && !quiet) {
        fprintf(cfg->err, "Defaulted container \"%s\" out of: ", first);
        bool any = false;
        for (int k = 0; k < 3; k++) {
            size_t i;
            json_t *ct;
            json_array_foreach(json_object_get(spec, lists[k]), i, ct)
            {
                fprintf(cfg->err, "%s%s%s", any ? ", " : "", json_string_value(json_object_get(ct, "name")) ?: "",
                        suffix[k]);
                any = true;
            }
        }
        fprintf(cfg->err, "\n");
    }
    return first;
}

int
kctl_cmd_exec(struct kctl_config *cfg)
{
    if (cfg->nargs == 0) {
        fprintf(cfg->err, "error: expected 'exec (POD | TYPE/NAME) COMMAND [ARG1] [ARG2] ... [ARGN]'.\nPOD or "
                          "TYPE/NAME is a required argument for the exec command\nSee 'kctl exec -h' for help and "
                          "examples\n");
        return 1;
    }
    if (cfg->dash < 0 && cfg->nargs > 1) {
        fprintf(cfg->err, "error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] "
                          "instead\nSee 'kctl exec -h' for help and examples\n");
        return 1;
    }
    if (cfg->dash < 0 || cfg->dash >= cfg->nargs) {
        fprintf(cfg->err, "error: you must specify at least one command for the container\n");
        return 1;
    }
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    const char *ns = kctl_client_namespace(c);
    const char *name = cfg->args[0];
    if (strncmp(name, "pod/", 4) == 0 || strncmp(name, "pods/", 5) == 0)
        name = strchr(name, '/') + 1;
    char ens[256], en[512], path[8192];
    kctl_escape(ns, ens, sizeof(ens));
    kctl_escape(name, en, sizeof(en));
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", ens, en);
    json_t *pod = NULL;
    int rc = 1;
    if (kctl_request_json(c, "GET", path, NULL, NULL, &pod) != 0)
        goto out;
    const char *phase = json_string_value(json_object_get(json_object_get(pod, "status"), "phase"));
    if (phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0)) {
        fprintf(cfg->err, "error: cannot exec into a container in a completed pod; current phase is %s\n", phase);
        goto out;
    }
    /* the container: -c, the default-container annotation, else the first (said out loud when there are more) */
    const char *container = cfg->container ? cfg->container : kctl_pod_default_container(cfg, pod, cfg->quiet);
    /* StreamOptions.SetupTTY: a TTY needs -i and a terminal on stdin */
    bool tty = cfg->tty && cfg->stdin_;
    if (tty && !isatty(STDIN_FILENO)) {
        tty = false;
        if (!cfg->quiet)
            fprintf(cfg->err, "Unable to use a TTY - input is not a terminal or the right kind of file\n");
    }
    /* the query, keys sorted as kubectl sends them */
    size_t o = (size_t)snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s/exec?", ens, en);
    for (int i = cfg->dash; i < cfg->nargs && o < sizeof(path); i++) {
        char ea[2048];
        kctl_escape(cfg->args[i], ea, sizeof(ea));
        o += (size_t)snprintf(path + o, sizeof(path) - o, "%scommand=%s", i > cfg->dash ? "&" : "", ea);
    }
    if (container && o < sizeof(path)) {
        char ec[512];
        kctl_escape(container, ec, sizeof(ec));
        o += (size_t)snprintf(path + o, sizeof(path) - o, "&container=%s", ec);
    }
    if (o < sizeof(path))
        snprintf(path + o, sizeof(path) - o, "%s%s&stdout=true%s", tty ? "" : "&stderr=true",
                 cfg->stdin_ ? "&stdin=true" : "", tty ? "&tty=true" : "");
    rc = kctl_ws_session(c, path, cfg->stdin_, tty);
out:
    json_decref(pod);
    kctl_client_free(c);
    return rc;
}
