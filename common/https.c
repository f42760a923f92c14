/* https.c - kc_https: HTTP/1.1 over a non-blocking socket and OpenSSL, every wait a poll() against the request's
 * deadline. The response is parsed from one read buffer: status line and headers, then a Content-Length, chunked
 * or read-until-close body handed to a sink that either collects it or splits it into lines.
 */
#include "kc_https.h"
#include "kc_crypto.h"
#include "kc_error.h"
#include "kc_fault.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef K8C_VERSION
#define K8C_VERSION "0.1.0"
#endif

#define READ_CHUNK    16384 /* one TLS record */
#define MAX_CHUNK_HDR 4096  /* limit on a chunk-size line or a trailer line */

struct kc_https {
    char *base;        /* server URL without trailing '/', for messages */
    char *host;        /* the URL's host, without brackets: what is resolved and connected to */
    char *port;        /* the port, as text */
    char *authority;   /* host[:port] as written in the URL: the Host header */
    char *prefix;      /* the URL's path without trailing '/' ("" when none), put before every request path */
    char *verify_name; /* tls_server_name, else host: SNI and the certificate check */
    bool tls;
    bool insecure;
    bool has_cert;     /* a client certificate is configured */
    SSL_CTX *ctx;      /* https only */
    BIO_METHOD *bio;   /* https only: the socket BIO of bio_write and bio_read */
    char *auth_header; /* "Authorization: ..." or NULL */
    char *user_agent;
    long connect_timeout_ms;
    long timeout_ms;
    size_t max_body;
    /* The connection. */
    int fd; /* -1 when none */
    SSL *ssl;
    bool ssl_failed; /* a fatal TLS error happened: no close_notify */
    char first[5];   /* the connection's first bytes from the server (telling a plain HTTP server) */
    size_t nfirst;
    char *rbuf; /* bytes read and not consumed yet: rbuf[roff, rlen) */
    size_t roff, rlen, rcap;
    struct kc_https_timing timing;
    char errmsg[1024];
};

/* The state of one response, shared by the body readers and the sink. */
struct xfer {
    struct kc_https *h;
    struct kc_https_response *resp;
    kc_https_line_fn fn; /* set for kc_https_stream */
    void *arg;
    bool lines;       /* deliver lines to fn (a 2xx answer of a stream) rather than collect */
    char *buf;        /* the body, or the partial line in line mode */
    size_t len, cap;  /* bytes in buf, its size */
    size_t scanned;   /* line mode: bytes of buf known to hold no '\n' */
    bool stopped;     /* fn asked to stop */
    bool got_any;     /* some byte of the answer arrived (no silent resend then) */
    uint64_t start;   /* µs, when the request started */
    uint64_t dl;      /* deadline in ms on the monotonic clock; 0 = none */
    const char *what; /* the reason of the last I/O error, for the message */
    bool tls_error;   /* ... which TLS reported (an alert, a bad record) */
    size_t warn_cap;
};

/* --- small helpers -------------------------------------------------------------------------------------- */

static uint64_t
now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t
now_ms(void)
{
    return now_us() / 1000;
}

static void set_errmsg(struct kc_https *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
set_errmsg(struct kc_https *h, const char *fmt, ...)
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

static bool
has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
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

static void
free_secret(char *s)
{
    if (s) {
        memset(s, 0, strlen(s));
        free(s);
    }
}

/* OpenSSL's reason for the most recent error in the thread's queue, or fallback. */
static const char *
ssl_reason(const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    if (!e)
        return fallback;
    const char *r = ERR_reason_error_string(e);
    return r ? r : fallback;
}

/* A growing string for the request head. */
struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
};

static void
sb_add(struct sbuf *b, const void *data, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 512;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *np = kc_realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void
sb_header(struct sbuf *b, const char *name, const char *value)
{
    sb_str(b, name);
    sb_add(b, ": ", 2);
    sb_str(b, value);
    sb_add(b, "\r\n", 2);
}

/* --- configuration -------------------------------------------------------------------------------------- */

void
kc_https_response_close(struct kc_https_response *resp)
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

/* Splits an http(s) URL into its parts. Returns 0 or KC_EINVALID / -ENOMEM. */
static int
parse_url(struct kc_https *h, const char *url)
{
    const char *p;
    if (!strncasecmp(url, "https://", 8)) {
        h->tls = true;
        p = url + 8;
    } else if (!strncasecmp(url, "http://", 7)) {
        p = url + 7;
    } else {
        return KC_EINVALID;
    }
    size_t alen = strcspn(p, "/?#");
    const char *path = p + alen;
    if (strpbrk(path, "?# \"<>\\^`{|}") || memchr(p, '@', alen) || has_control(url))
        return KC_EINVALID; /* no query, fragment or user info in a server URL */
    const char *hs = p, *he, *colon;
    if (*p == '[') {
        const char *rb = memchr(p, ']', alen);
        if (!rb)
            return KC_EINVALID;
        hs = p + 1;
        he = rb;
        colon = rb + 1 < p + alen ? rb + 1 : NULL;
        if (colon && *colon != ':')
            return KC_EINVALID;
        struct in6_addr a6;
        char tmp[INET6_ADDRSTRLEN + 1];
        if ((size_t)(he - hs) >= sizeof(tmp))
            return KC_EINVALID;
        snprintf(tmp, sizeof(tmp), "%.*s", (int)(he - hs), hs);
        if (inet_pton(AF_INET6, tmp, &a6) != 1)
            return KC_EINVALID;
    } else {
        colon = memchr(p, ':', alen);
        he = colon ? colon : p + alen;
    }
    if (he == hs)
        return KC_EINVALID;
    if (*p != '[') /* a name or an IPv4 address */
        for (const char *c = hs; c < he; c++)
            if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.' && *c != '_')
                return KC_EINVALID;
    long port = h->tls ? 443 : 80;
    if (colon) {
        const char *ps = colon + 1, *pe = p + alen;
        if (ps == pe || pe - ps > 5)
            return KC_EINVALID;
        port = 0;
        for (const char *c = ps; c < pe; c++) {
            if (!isdigit((unsigned char)*c))
                return KC_EINVALID;
            port = port * 10 + (*c - '0');
        }
        if (port < 1 || port > 65535)
            return KC_EINVALID;
    }
    char portbuf[8];
    snprintf(portbuf, sizeof(portbuf), "%ld", port);
    size_t plen = strlen(path);
    while (plen > 0 && path[plen - 1] == '/')
        plen--;
    h->host = kc_strndup(hs, (size_t)(he - hs));
    h->port = kc_strdup(portbuf);
    h->authority = kc_strndup(p, alen);
    h->prefix = kc_strndup(path, plen);
    h->base = kc_strndup(url, (size_t)(path - url) + plen);
    if (!h->host || !h->port || !h->authority || !h->prefix || !h->base)
        return -ENOMEM;
    return 0;
}

/* OpenSSL's socket BIO writes with write(): a server gone away would raise SIGPIPE in the caller. This one sends
 * with MSG_NOSIGNAL (and reads with recv), so that kc_https raises no signal, and keeps the first bytes the server
 * sent. The BIO's data is the client. */
static int
bio_write(BIO *b, const char *data, int len)
{
    struct kc_https *h = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t n = send(h->fd, data, (size_t)len, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_write(b);
    return (int)n;
}

static int
bio_read(BIO *b, char *buf, int len)
{
    struct kc_https *h = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t n = recv(h->fd, buf, (size_t)len, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_read(b);
    for (ssize_t i = 0; i < n && h->nfirst < sizeof(h->first); i++)
        h->first[h->nfirst++] = buf[i];
    return (int)n;
}

static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b, (void)num, (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int
bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

/* --- credentials ---------------------------------------------------------------------------------------
 * PEM is read block by block so that failures can be told as client-go tells them (kubectl users know those
 * texts), and the common private key, ECDSA as kc_pki makes it, skips OpenSSL 3.0's generic decoder: building
 * a decoder context walks every decoder and key manager of the providers, about 0.5 ms, a twentieth of
 * `kctl get pods`. */

/* One PEM block: its type ("CERTIFICATE") and its DER bytes, both OPENSSL_malloc'ed. */
struct pem_block {
    char *type;
    char *headers;
    unsigned char *der;
    long len;
};

static void
pem_block_free(struct pem_block *b)
{
    OPENSSL_free(b->type);
    OPENSSL_free(b->headers);
    OPENSSL_free(b->der);
    memset(b, 0, sizeof(*b));
}

/* The next block of bio into *b. Returns true, or false at the end (also when the rest is not PEM). */
static bool
pem_next(BIO *bio, struct pem_block *b)
{
    memset(b, 0, sizeof(*b));
    bool ok = PEM_read_bio(bio, &b->type, &b->headers, &b->der, &b->len) == 1;
    if (!ok)
        pem_block_free(b);
    ERR_clear_error(); /* the end of the input shows as an error */
    return ok;
}

/* Go's "[A B]" list of the PEM types skipped, for the messages. */
static void
add_skipped(char *list, size_t len, const char *type)
{
    size_t n = strlen(list);
    snprintf(list + n, len - n, "%s%s", n ? " " : "", type);
}

/* Adds every certificate of a PEM bundle to store, as client-go's rootCertPool: certificates that do not parse
 * are skipped; none at all is an error in its words. Returns 0, KC_EINVALID (with the message), -ENOMEM. */
static int
load_ca(X509_STORE *store, const char *pem, char *errbuf, size_t errlen)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    struct pem_block b;
    int added = 0, blocks = 0;
    bool bad_cert = false;
    if (!bio)
        return -ENOMEM;
    while (pem_next(bio, &b)) {
        blocks++;
        if (!strcmp(b.type, "CERTIFICATE") && !*b.headers) {
            const unsigned char *p = b.der;
            X509 *x = d2i_X509(NULL, &p, b.len);
            if (x && X509_STORE_add_cert(store, x) == 1)
                added++;
            else if (!added)
                bad_cert = true;
            X509_free(x);
        }
        pem_block_free(&b);
    }
    BIO_free(bio);
    ERR_clear_error();
    if (added)
        return 0;
    errbuf_set(errbuf, errlen, "unable to load root certificates: %s",
               bad_cert ? "failed to parse certificate: x509: malformed certificate"
               : blocks ? "no valid certificate authority data seen"
                        : "unable to parse bytes as PEM block");
    return KC_EINVALID;
}

/* A minimal DER reader for the one structure parsed by hand, SEC1's ECPrivateKey. */
struct der {
    const unsigned char *p, *end;
};

/* Reads one element with the given tag into *out (its contents). Returns true when it is there. */
static bool
der_take(struct der *d, unsigned tag, struct der *out)
{
    if (d->end - d->p < 2 || d->p[0] != tag)
        return false;
    const unsigned char *p = d->p + 1;
    size_t len = *p++;
    if (len & 0x80) {
        int n = (int)(len & 0x7f);
        if (n < 1 || n > 3 || d->end - p < n)
            return false;
        for (len = 0; n > 0; n--)
            len = len << 8 | *p++;
    }
    if ((size_t)(d->end - p) < len)
        return false;
    out->p = p;
    out->end = p + len;
    d->p = p + len;
    return true;
}

/* An EC private key from SEC1 ECPrivateKey DER with its public key included (as OpenSSL, Go and kc_pki write
 * it), made straight into a provider key. curve_nid is the curve from PKCS#8's algorithm parameters, NID_undef
 * when the structure itself must name it. Returns the key or NULL (the caller falls back to OpenSSL's decoder). */
static EVP_PKEY *
ec_key_from_sec1(const unsigned char *der, long len, int curve_nid)
{
    struct der d = { der, der + len }, seq, ver, priv, tagged, bits;
    if (!der_take(&d, 0x30, &seq) || !der_take(&seq, 0x02, &ver) || ver.end - ver.p != 1 || ver.p[0] != 1 ||
        !der_take(&seq, 0x04, &priv))
        return NULL;
    if (der_take(&seq, 0xa0, &tagged)) {
        const unsigned char *op = tagged.p;
        ASN1_OBJECT *obj = d2i_ASN1_OBJECT(NULL, &op, tagged.end - tagged.p);
        int nid = obj ? OBJ_obj2nid(obj) : NID_undef;
        ASN1_OBJECT_free(obj);
        if (nid == NID_undef || (curve_nid != NID_undef && nid != curve_nid))
            return NULL;
        curve_nid = nid;
    }
    if (curve_nid == NID_undef || !der_take(&seq, 0xa1, &tagged) || !der_take(&tagged, 0x03, &bits) ||
        bits.end - bits.p < 2 || bits.p[0] != 0)
        return NULL;
    const char *group = OSSL_EC_curve_nid2name(curve_nid);
    EVP_PKEY *key = NULL;
    BIGNUM *bn = BN_bin2bn(priv.p, (int)(priv.end - priv.p), NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pc = NULL;
    if (group && bn && bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn) &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, bits.p + 1, (size_t)(bits.end - bits.p - 1)) &&
        (params = OSSL_PARAM_BLD_to_param(bld)) && (pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) &&
        EVP_PKEY_fromdata_init(pc) == 1 && EVP_PKEY_fromdata(pc, &key, EVP_PKEY_KEYPAIR, params) != 1)
        key = NULL;
    EVP_PKEY_CTX_free(pc);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(bn);
    ERR_clear_error();
    return key;
}

/* The private key of a PEM block: EC keys (PKCS#8 "PRIVATE KEY" or SEC1 "EC PRIVATE KEY") directly, anything
 * else (RSA, Ed25519, ...) through OpenSSL's decoder. Returns the key or NULL. */
static EVP_PKEY *
parse_key(const struct pem_block *b)
{
    EVP_PKEY *key = NULL;
    const unsigned char *p = b->der;
    if (!strcmp(b->type, "EC PRIVATE KEY")) {
        key = ec_key_from_sec1(b->der, b->len, NID_undef);
    } else if (!strcmp(b->type, "PRIVATE KEY")) {
        PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, b->len);
        const unsigned char *pk;
        int pklen, ptype;
        const X509_ALGOR *alg;
        const ASN1_OBJECT *aobj;
        const void *pval;
        if (p8 && PKCS8_pkey_get0(NULL, &pk, &pklen, &alg, p8) == 1) {
            X509_ALGOR_get0(&aobj, &ptype, &pval, alg);
            if (OBJ_obj2nid(aobj) == NID_X9_62_id_ecPublicKey && ptype == V_ASN1_OBJECT)
                key = ec_key_from_sec1(pk, pklen, OBJ_obj2nid(pval));
        }
        PKCS8_PRIV_KEY_INFO_free(p8);
    }
    if (!key) {
        p = b->der;
        key = d2i_AutoPrivateKey(NULL, &p, b->len);
    }
    ERR_clear_error();
    return key;
}

/* The client certificate (plus its chain) and key into ctx, checked as Go's tls.X509KeyPair checks them and
 * failing in its words. Returns 0, KC_EINVALID (with the message), -ENOMEM. */
static int
load_client_cert(SSL_CTX *ctx, const char *cert_pem, const char *key_pem, char *errbuf, size_t errlen)
{
    BIO *cb = BIO_new_mem_buf(cert_pem, -1), *kb = BIO_new_mem_buf(key_pem, -1);
    X509 *leaf = NULL;
    EVP_PKEY *key = NULL;
    STACK_OF(X509) *chain = sk_X509_new_null();
    struct pem_block b;
    char skipped[256] = "";
    int err = -ENOMEM, nskipped = 0;
    bool key_first = false, found_cert = false;
    if (!cb || !kb || !chain)
        goto out;
    err = KC_EINVALID;
    while (pem_next(cb, &b)) {
        if (!strcmp(b.type, "CERTIFICATE")) {
            const unsigned char *p = b.der;
            X509 *x = d2i_X509(NULL, &p, b.len);
            found_cert = true;
            if (!x || (leaf && !sk_X509_push(chain, x))) {
                X509_free(x);
                pem_block_free(&b);
                errbuf_set(errbuf, errlen, "x509: malformed certificate");
                goto out;
            }
            if (!leaf)
                leaf = x;
        } else {
            add_skipped(skipped, sizeof(skipped), b.type);
            size_t tl = strlen(b.type);
            if (nskipped++ == 0)
                key_first = tl >= 11 && !strcmp(b.type + tl - 11, "PRIVATE KEY");
        }
        pem_block_free(&b);
    }
    if (!found_cert) {
        if (!nskipped)
            errbuf_set(errbuf, errlen, "tls: failed to find any PEM data in certificate input");
        else if (nskipped == 1 && key_first)
            errbuf_set(errbuf, errlen,
                       "tls: failed to find certificate PEM data in certificate input, but did find a private key; "
                       "PEM inputs may have been switched");
        else
            errbuf_set(errbuf, errlen,
                       "tls: failed to find \"CERTIFICATE\" PEM block in certificate input after skipping PEM blocks "
                       "of the following types: [%s]",
                       skipped);
        goto out;
    }
    skipped[0] = '\0';
    nskipped = 0;
    while (!key && pem_next(kb, &b)) {
        size_t tl = strlen(b.type);
        if (!strcmp(b.type, "PRIVATE KEY") || (tl > 12 && !strcmp(b.type + tl - 12, " PRIVATE KEY"))) {
            if (!(key = parse_key(&b))) {
                pem_block_free(&b);
                errbuf_set(errbuf, errlen, "tls: failed to parse private key");
                goto out;
            }
        } else {
            add_skipped(skipped, sizeof(skipped), b.type);
            nskipped++;
        }
        pem_block_free(&b);
    }
    if (!key) {
        if (!nskipped)
            errbuf_set(errbuf, errlen, "tls: failed to find any PEM data in key input");
        else if (nskipped == 1 && !strcmp(skipped, "CERTIFICATE"))
            errbuf_set(errbuf, errlen, "tls: found a certificate rather than a key in the PEM for the private key");
        else
            errbuf_set(errbuf, errlen,
                       "tls: failed to find PEM block with type ending in \"PRIVATE KEY\" in key input after skipping "
                       "PEM blocks of the following types: [%s]",
                       skipped);
        goto out;
    }
    EVP_PKEY *pub = X509_get0_pubkey(leaf);
    if (!pub || EVP_PKEY_get_base_id(pub) != EVP_PKEY_get_base_id(key)) {
        errbuf_set(errbuf, errlen, "tls: private key type does not match public key type");
        goto out;
    }
    if (EVP_PKEY_eq(pub, key) != 1) {
        errbuf_set(errbuf, errlen, "tls: private key does not match public key");
        goto out;
    }
    if (SSL_CTX_use_certificate(ctx, leaf) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1) {
        errbuf_set(errbuf, errlen, "tls: %s", ssl_reason("the certificate or key was refused"));
        goto out;
    }
    while (sk_X509_num(chain) > 0) {
        X509 *x = sk_X509_shift(chain);
        if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
            X509_free(x);
            errbuf_set(errbuf, errlen, "tls: %s", ssl_reason("the certificate chain was refused"));
            goto out;
        }
    }
    err = 0;
out:
    if (err == -ENOMEM)
        errbuf_set(errbuf, errlen, "%s", kc_strerror(err));
    ERR_clear_error();
    sk_X509_pop_free(chain, X509_free);
    X509_free(leaf);
    EVP_PKEY_free(key);
    BIO_free(cb);
    BIO_free(kb);
    return err;
}

static int
setup_tls(struct kc_https *h, const struct kc_https_config *cfg, char *errbuf, size_t errlen)
{
    static const unsigned char alpn[] = "\x08http/1.1";
    int err;
    /* kc_https serves short-lived processes: no cleanup of OpenSSL's global state at exit (about 0.5 ms that the
     * kernel does for free). This takes effect when kc_https is the first to initialise OpenSSL in the process.
     * (The error strings cannot be left out: once skipped, OpenSSL 3.0 never loads them.) */
    OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT | OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, NULL);
    if (!(h->ctx = SSL_CTX_new(TLS_client_method())) ||
        !(h->bio = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "kc_https socket")) ||
        !BIO_meth_set_write(h->bio, bio_write) || !BIO_meth_set_read(h->bio, bio_read) ||
        !BIO_meth_set_ctrl(h->bio, bio_ctrl) || !BIO_meth_set_create(h->bio, bio_create)) {
        errbuf_set(errbuf, errlen, "TLS: %s", ssl_reason("cannot make a context"));
        return KC_EINTERNAL;
    }
    SSL_CTX_set_min_proto_version(h->ctx, TLS1_2_VERSION);
    /* A server that closes without close_notify ends a read-until-close body; that is how HTTP/1.x works. */
    SSL_CTX_set_options(h->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_mode(h->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_read_ahead(h->ctx, 1); /* one recv for what has arrived, not two per TLS record */
    SSL_CTX_set_alpn_protos(h->ctx, alpn, sizeof(alpn) - 1);
    SSL_CTX_set_verify(h->ctx, cfg->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    if (cfg->ca_pem) {
        if ((err = load_ca(SSL_CTX_get_cert_store(h->ctx), cfg->ca_pem, errbuf, errlen)))
            return err;
    } else if (!cfg->insecure && SSL_CTX_set_default_verify_paths(h->ctx) != 1) {
        ERR_clear_error(); /* no system store: every server certificate fails to verify, as it should */
    }
    h->has_cert = cfg->cert_pem != NULL;
    if (cfg->cert_pem && (err = load_client_cert(h->ctx, cfg->cert_pem, cfg->key_pem, errbuf, errlen)))
        return err;
    return 0;
}

/* "Authorization: Bearer <token>" or "Authorization: Basic <base64(user:password)>". */
static int
make_auth(struct kc_https *h, const struct kc_https_config *cfg)
{
    if (cfg->token) {
        size_t n = strlen(cfg->token) + sizeof("Authorization: Bearer ");
        if (!(h->auth_header = kc_malloc(n)))
            return -ENOMEM;
        snprintf(h->auth_header, n, "Authorization: Bearer %s", cfg->token);
    } else if (cfg->username) {
        const char *pw = cfg->password ? cfg->password : "";
        size_t n = strlen(cfg->username) + strlen(pw) + 2;
        char *up = kc_malloc(n);
        if (!up)
            return -ENOMEM;
        snprintf(up, n, "%s:%s", cfg->username, pw);
        char *b64 = kc_base64_encode(up, n - 1);
        free_secret(up);
        if (!b64)
            return -ENOMEM;
        n = strlen(b64) + sizeof("Authorization: Basic ");
        if ((h->auth_header = kc_malloc(n)))
            snprintf(h->auth_header, n, "Authorization: Basic %s", b64);
        free_secret(b64);
        if (!h->auth_header)
            return -ENOMEM;
    }
    return 0;
}

int
kc_https_new(const struct kc_https_config *cfg, struct kc_https **out, char *errbuf, size_t errlen)
{
    struct kc_https *h;
    int err;

    if (!cfg || !cfg->server || (strncasecmp(cfg->server, "https://", 8) && strncasecmp(cfg->server, "http://", 7))) {
        errbuf_set(errbuf, errlen, "server: want an http:// or https:// URL, got \"%s\"",
                   cfg && cfg->server ? cfg->server : "");
        return KC_EINVALID;
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
    if (!(h = kc_calloc(1, sizeof(*h)))) {
        errbuf_set(errbuf, errlen, "%s", kc_strerror(-ENOMEM));
        return -ENOMEM;
    }
    h->fd = -1;
    h->insecure = cfg->insecure;
    h->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : KC_HTTPS_CONNECT_TIMEOUT_MS;
    h->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 0;
    h->max_body = cfg->max_body ? cfg->max_body : KC_HTTPS_MAX_BODY;
    if ((err = parse_url(h, cfg->server))) {
        if (err == KC_EINVALID)
            errbuf_set(errbuf, errlen, "server: invalid URL \"%s\"", cfg->server);
        else
            errbuf_set(errbuf, errlen, "%s", kc_strerror(err));
        goto fail;
    }
    const char *vn = cfg->tls_server_name && *cfg->tls_server_name ? cfg->tls_server_name : h->host;
    if (strspn(vn, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:") != strlen(vn)) {
        errbuf_set(errbuf, errlen, "TLS server name: \"%s\" cannot stand for the host of \"%s\"", vn, cfg->server);
        err = KC_EINVALID;
        goto fail;
    }
    h->verify_name = kc_strdup(vn);
    h->user_agent = kc_strdup(cfg->user_agent ? cfg->user_agent : "k8c/" K8C_VERSION);
    if (!h->verify_name || !h->user_agent || (err = make_auth(h, cfg))) {
        err = -ENOMEM;
        errbuf_set(errbuf, errlen, "%s", kc_strerror(err));
        goto fail;
    }
    if (h->tls && (err = setup_tls(h, cfg, errbuf, errlen)))
        goto fail;
    *out = h;
    return 0;
fail:
    kc_https_free(h);
    return err;
}

/* Closes the connection (with a close_notify when TLS is still healthy) and drops what was buffered. */
static void
conn_close(struct kc_https *h)
{
    if (h->ssl) {
        if (!h->ssl_failed)
            SSL_shutdown(h->ssl); /* one non-blocking attempt: the server sees a clean end */
        SSL_free(h->ssl);
        h->ssl = NULL;
    }
    if (h->fd >= 0)
        close(h->fd);
    h->fd = -1;
    h->ssl_failed = false;
    h->roff = h->rlen = 0;
    ERR_clear_error();
}

void
kc_https_free(struct kc_https *h)
{
    if (!h)
        return;
    conn_close(h);
    SSL_CTX_free(h->ctx);
    BIO_meth_free(h->bio);
    free(h->base);
    free(h->host);
    free(h->port);
    free(h->authority);
    free(h->prefix);
    free(h->verify_name);
    free_secret(h->auth_header);
    free(h->user_agent);
    free(h->rbuf);
    free(h);
}

const char *
kc_https_errmsg(const struct kc_https *h)
{
    return h->errmsg;
}

const struct kc_https_timing *
kc_https_timing(const struct kc_https *h)
{
    return &h->timing;
}

/* --- the connection ------------------------------------------------------------------------------------- */

/* Waits until fd is ready for events or the deadline (ms, 0 = none) passes. Returns 0, KC_ETIMEOUT, -errno. */
static int
wait_fd(int fd, short events, uint64_t deadline)
{
    for (;;) {
        int ms = -1;
        if (deadline) {
            uint64_t now = now_ms();
            if (now >= deadline)
                return KC_ETIMEOUT;
            ms = deadline - now > 3600000 ? 3600000 : (int)(deadline - now);
        }
        struct pollfd pfd = { .fd = fd, .events = events };
        int r = poll(&pfd, 1, ms);
        if (r > 0)
            return 0;
        if (r == 0)
            continue; /* the deadline check above ends it */
        if (errno != EINTR)
            return -errno;
    }
}

/* TCP to one address within the deadline. Returns the socket, or the error (-errno, KC_ETIMEOUT). */
static int
tcp_connect(const struct addrinfo *ai, uint64_t deadline)
{
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    int err = 0;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
            err = -errno;
        } else if (!(err = wait_fd(fd, POLLOUT, deadline))) {
            int soerr = 0;
            socklen_t sl = sizeof(soerr);
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
                err = -errno;
            else if (soerr)
                err = -soerr;
        }
    }
    if (err) {
        close(fd);
        return err;
    }
    /* Long watches over idle connections: notice a vanished peer as libcurl's TCP keepalive did. */
    int idle = 30, intvl = 15;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
    return fd;
}

static bool
is_ip(const char *s)
{
    unsigned char a[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* A time as Go's time.RFC3339 prints it: "2006-01-02T15:04:05Z" in UTC, else with the zone's offset. */
static void
rfc3339(const struct tm *tm, bool utc, char *buf, size_t len)
{
    char zone[8] = "Z";
    if (!utc && tm->tm_gmtoff != 0) {
        int off = (int)(tm->tm_gmtoff / 60), a = (off < 0 ? -off : off) % (24 * 60);
        snprintf(zone, sizeof(zone), "%c%02d:%02d", off < 0 ? '-' : '+', a / 60, a % 60);
    }
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%s", tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, tm->tm_hour,
             tm->tm_min, tm->tm_sec, zone);
}

/* Go's crypto/x509 text for a server certificate that failed OpenSSL's check vr, as kubectl prints it after
 * "tls: failed to verify certificate: ": unknown authority, a name the certificate is not for (HostnameError),
 * validity (CertificateInvalidError). Writes "" when the reason has no such counterpart. */
static void
go_verify_text(SSL *ssl, long vr, const char *name, char *buf, size_t len)
{
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    X509 *leaf = sk_X509_num(chain) > 0 ? sk_X509_value(chain, 0) : NULL;
    buf[0] = '\0';
    if (vr == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY || vr == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
        vr == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT || vr == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT) {
        snprintf(buf, len, "x509: certificate signed by unknown authority");
    } else if (leaf && (vr == X509_V_ERR_HOSTNAME_MISMATCH || vr == X509_V_ERR_IP_ADDRESS_MISMATCH)) {
        GENERAL_NAMES *sans = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
        bool ip = is_ip(name);
        size_t n = 0;
        char valid[512] = "";
        for (int i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
            const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
            char one[INET6_ADDRSTRLEN] = "";
            if (!ip && gn->type == GEN_DNS)
                snprintf(one, sizeof(one), "%.*s", ASN1_STRING_length(gn->d.dNSName),
                         (const char *)ASN1_STRING_get0_data(gn->d.dNSName));
            else if (ip && gn->type == GEN_IPADD && ASN1_STRING_length(gn->d.iPAddress) == 4)
                inet_ntop(AF_INET, ASN1_STRING_get0_data(gn->d.iPAddress), one, sizeof(one));
            else if (ip && gn->type == GEN_IPADD && ASN1_STRING_length(gn->d.iPAddress) == 16)
                inet_ntop(AF_INET6, ASN1_STRING_get0_data(gn->d.iPAddress), one, sizeof(one));
            if (one[0])
                n += (size_t)snprintf(valid + n, n < sizeof(valid) ? sizeof(valid) - n : 0, "%s%s", n ? ", " : "", one);
        }
        GENERAL_NAMES_free(sans);
        if (ip && !valid[0])
            snprintf(buf, len, "x509: cannot validate certificate for %s because it doesn't contain any IP SANs", name);
        else if (!valid[0])
            snprintf(buf, len, "x509: certificate is not valid for any names, but wanted to match %s", name);
        else
            snprintf(buf, len, "x509: certificate is valid for %s, not %s", valid, name);
    } else if (leaf && (vr == X509_V_ERR_CERT_HAS_EXPIRED || vr == X509_V_ERR_CERT_NOT_YET_VALID)) {
        bool expired = vr == X509_V_ERR_CERT_HAS_EXPIRED;
        struct tm bound, now;
        time_t t = time(NULL);
        char b1[40], b2[40];
        if (ASN1_TIME_to_tm(expired ? X509_get0_notAfter(leaf) : X509_get0_notBefore(leaf), &bound) != 1 ||
            !localtime_r(&t, &now))
            return;
        rfc3339(&now, false, b1, sizeof(b1));
        rfc3339(&bound, true, b2, sizeof(b2));
        snprintf(buf, len, "x509: certificate has expired or is not yet valid: current time %s is %s %s", b1,
                 expired ? "after" : "before", b2);
    }
}

/* The TLS handshake on h->fd within the deadline. Returns 0, -EPROTO, KC_ETIMEOUT, -ENOMEM. */
static int
tls_handshake(struct kc_https *h, const char *method, const char *url, uint64_t deadline)
{
    ERR_clear_error();
    BIO *bio = NULL;
    if (!(h->ssl = SSL_new(h->ctx)) || !(bio = BIO_new(h->bio))) {
        set_errmsg(h, "%s %s: TLS: %s", method, url, ssl_reason("out of memory"));
        return -ENOMEM;
    }
    BIO_set_data(bio, h);
    h->nfirst = 0;
    SSL_set_bio(h->ssl, bio, bio);
    if (!is_ip(h->verify_name))
        SSL_set_tlsext_host_name(h->ssl, h->verify_name); /* SNI carries names only (RFC 6066) */
    if (!h->insecure) {
        X509_VERIFY_PARAM *vp = SSL_get0_param(h->ssl);
        X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (is_ip(h->verify_name))
            X509_VERIFY_PARAM_set1_ip_asc(vp, h->verify_name);
        else
            X509_VERIFY_PARAM_set1_host(vp, h->verify_name, 0);
    }
    for (;;) {
        ERR_clear_error();
        int r = SSL_connect(h->ssl);
        if (r == 1)
            return 0;
        int e = SSL_get_error(h->ssl, r), err;
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if (!(err = wait_fd(h->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)))
                continue;
            set_errmsg(h, "%s %s: %s", method, url,
                       err == KC_ETIMEOUT ? "timed out during the TLS handshake" : kc_strerror(err));
            return err;
        }
        h->ssl_failed = true;
        long vr = SSL_get_verify_result(h->ssl);
        if (!h->insecure && vr != X509_V_OK) {
            char go[700];
            go_verify_text(h->ssl, vr, h->verify_name, go, sizeof(go));
            set_errmsg(h, "%s %s: TLS: server certificate verification failed: %s%s%s", method, url,
                       X509_verify_cert_error_string(vr), go[0] ? "; " : "", go);
        } else if (e == SSL_ERROR_SSL && h->nfirst > 0 && h->first[0] != 0x16 && h->first[0] != 0x15) {
            /* Not a TLS server: the first record is neither a handshake nor an alert. Go's words for it. */
            set_errmsg(h, "%s %s: %s", method, url,
                       h->nfirst == 5 && !memcmp(h->first, "HTTP/", 5)
                           ? "http: server gave HTTP response to HTTPS client"
                           : "tls: first record does not look like a TLS handshake");
        } else if (e == SSL_ERROR_SSL) {
            set_errmsg(h, "%s %s: TLS handshake failed: %s", method, url, ssl_reason("protocol error"));
        } else {
            set_errmsg(h, "%s %s: TLS handshake failed: %s", method, url,
                       errno ? strerror(errno) : "the server closed the connection");
        }
        return -EPROTO;
    }
}

/* Resolves, connects and (for https) shakes hands. Returns 0 or the error, with the message set. */
static int
conn_open(struct kc_https *h, const char *method, const char *url, struct xfer *x)
{
    uint64_t deadline = now_ms() + (uint64_t)h->connect_timeout_ms;
    if (x->dl && x->dl < deadline)
        deadline = x->dl;
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
    if (is_ip(h->host))
        hints.ai_flags |= AI_NUMERICHOST;
    struct addrinfo *res = NULL;
    int gr = getaddrinfo(h->host, h->port, &hints, &res);
    if (gr != 0) {
        int err = gr == EAI_MEMORY ? -ENOMEM : gr == EAI_SYSTEM && errno ? -errno : KC_EUNAVAILABLE;
        set_errmsg(h, "%s %s: could not resolve host: %s (%s)", method, url, h->host, gai_strerror(gr));
        return err;
    }
    int fd = KC_EUNAVAILABLE, first_refused = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = tcp_connect(ai, deadline);
        if (fd >= 0 || fd == KC_ETIMEOUT)
            break;
        if (fd == -ECONNREFUSED)
            first_refused = fd;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        int err = first_refused && fd != KC_ETIMEOUT ? first_refused : fd;
        if (err == -ECONNREFUSED)
            set_errmsg(h, "%s %s: connection refused", method, url);
        else if (err == KC_ETIMEOUT)
            set_errmsg(h, "%s %s: timed out while connecting", method, url);
        else
            set_errmsg(h, "%s %s: could not connect: %s", method, url, kc_strerror(err));
        return err;
    }
    h->fd = fd;
    h->timing.connected_us = now_us() - x->start;
    if (!h->tls)
        return 0;
    int err = tls_handshake(h, method, url, deadline);
    if (err) {
        conn_close(h);
        return err;
    }
    h->timing.tls_us = now_us() - x->start;
    return 0;
}

/* A kept-alive connection the server has closed (or written to, which an idle HTTP/1.1 server never does). */
static bool
conn_stale(struct kc_https *h)
{
    struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
    return (h->ssl && SSL_has_pending(h->ssl)) || poll(&pfd, 1, 0) != 0;
}

/* Writes all of data within the deadline. Returns 0, KC_EUNAVAILABLE (connection broken), -EPROTO, KC_ETIMEOUT. */
static int
io_write(struct kc_https *h, struct xfer *x, const char *data, size_t len)
{
    while (len > 0) {
        size_t n = 0;
        int e, err;
        if (h->ssl) {
            ERR_clear_error();
            if (SSL_write_ex(h->ssl, data, len, &n) == 1) {
                data += n, len -= n;
                continue;
            }
            e = SSL_get_error(h->ssl, 0);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                if ((err = wait_fd(h->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, x->dl)))
                    return x->what = "timed out while sending", err == KC_ETIMEOUT ? err : KC_EUNAVAILABLE;
                continue;
            }
            if (e == SSL_ERROR_SSL) {
                h->ssl_failed = true;
                x->what = ssl_reason("protocol error");
                x->tls_error = true;
                return -EPROTO;
            }
            x->what = "connection lost while sending"; /* what the server answered before leaving may be read */
            return KC_EUNAVAILABLE;
        }
        ssize_t w = send(h->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w >= 0) {
            data += w, len -= (size_t)w;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if ((err = wait_fd(h->fd, POLLOUT, x->dl)))
                return x->what = "timed out while sending", err == KC_ETIMEOUT ? err : KC_EUNAVAILABLE;
        } else if (errno != EINTR) {
            x->what = "connection lost while sending";
            return KC_EUNAVAILABLE;
        }
    }
    return 0;
}

/* Reads more bytes into rbuf. Returns 1 when some arrived, 0 at the end of the stream, or the error
 * (KC_EUNAVAILABLE, -EPROTO, KC_ETIMEOUT, -ENOMEM). */
static int
io_read(struct kc_https *h, struct xfer *x)
{
    if (h->roff > 0 && h->roff == h->rlen)
        h->roff = h->rlen = 0;
    if (h->rcap - h->rlen < READ_CHUNK) {
        if (h->roff > 0) {
            memmove(h->rbuf, h->rbuf + h->roff, h->rlen - h->roff);
            h->rlen -= h->roff;
            h->roff = 0;
        }
        if (h->rcap - h->rlen < READ_CHUNK) {
            size_t cap = h->rcap ? h->rcap * 2 : 2 * READ_CHUNK;
            char *nb = kc_realloc(h->rbuf, cap);
            if (!nb)
                return x->what = "out of memory", -ENOMEM;
            h->rbuf = nb;
            h->rcap = cap;
        }
    }
    for (;;) {
        size_t n = 0;
        int e, err;
        if (h->ssl) {
            ERR_clear_error();
            if (SSL_read_ex(h->ssl, h->rbuf + h->rlen, h->rcap - h->rlen, &n) == 1) {
                h->rlen += n;
                x->got_any = true;
                return 1;
            }
            e = SSL_get_error(h->ssl, 0);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                if ((err = wait_fd(h->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, x->dl)))
                    return x->what = "timed out", err == KC_ETIMEOUT ? err : KC_EUNAVAILABLE;
                continue;
            }
            if (e == SSL_ERROR_ZERO_RETURN)
                return 0;
            h->ssl_failed = true;
            if (e == SSL_ERROR_SSL) {
                x->what = ssl_reason("protocol error");
                x->tls_error = true;
                return -EPROTO;
            }
            if (errno == 0)
                return 0;
            x->what = "connection lost";
            return KC_EUNAVAILABLE;
        }
        ssize_t r = recv(h->fd, h->rbuf + h->rlen, h->rcap - h->rlen, MSG_DONTWAIT);
        if (r > 0) {
            h->rlen += (size_t)r;
            x->got_any = true;
            return 1;
        }
        if (r == 0)
            return 0;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if ((err = wait_fd(h->fd, POLLIN, x->dl)))
                return x->what = "timed out", err == KC_ETIMEOUT ? err : KC_EUNAVAILABLE;
        } else if (errno != EINTR) {
            x->what = "connection lost";
            return KC_EUNAVAILABLE;
        }
    }
}

/* --- the response --------------------------------------------------------------------------------------- */

/* Makes room for n more bytes (plus a NUL) in the body buffer, within max_body. */
static int
buf_reserve(struct xfer *x, size_t n)
{
    if (x->len + n > x->h->max_body)
        return x->what = "response too large", KC_ETOOLARGE;
    if (x->len + n + 1 <= x->cap)
        return 0;
    size_t cap = x->cap ? x->cap : 4096;
    while (cap < x->len + n + 1)
        cap *= 2;
    char *nb = kc_realloc(x->buf, cap);
    if (!nb)
        return x->what = "out of memory", -ENOMEM;
    x->buf = nb;
    x->cap = cap;
    return 0;
}

/* Hands every complete line in the buffer to the callback, then keeps the partial rest. Returns 0 or the
 * callback's error; a stop sets x->stopped. */
static int
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
    if (rc > 0)
        x->stopped = true;
    if (rc < 0)
        x->what = "stopped by the line callback";
    return rc < 0 ? rc : 0;
}

/* Takes n bytes of body. Returns 0 or an error; after a stop the caller ends the transfer. */
static int
sink(struct xfer *x, const char *data, size_t n)
{
    int err;
    if ((err = buf_reserve(x, n)))
        return err;
    memcpy(x->buf + x->len, data, n);
    x->len += n;
    return x->lines ? deliver_lines(x) : 0;
}

/* Makes sure rbuf holds a '\n' from roff on (reading as needed); *eol is its offset. Returns 0, KC_ETOOLARGE
 * past limit bytes, KC_EUNAVAILABLE at a premature end, or an I/O error. */
static int
need_line(struct kc_https *h, struct xfer *x, size_t limit, size_t *eol)
{
    size_t scanned = 0; /* bytes from roff on known to hold no '\n' (io_read may move them, not change them) */
    for (;;) {
        size_t avail = h->rlen - h->roff;
        char *nl = avail > scanned ? memchr(h->rbuf + h->roff + scanned, '\n', avail - scanned) : NULL;
        if (nl && (size_t)(nl - (h->rbuf + h->roff)) > limit)
            return x->what = "response headers too large", KC_ETOOLARGE;
        if (nl) {
            *eol = (size_t)(nl - h->rbuf);
            return 0;
        }
        scanned = avail;
        if (scanned > limit)
            return x->what = "response headers too large", KC_ETOOLARGE;
        int r = io_read(h, x);
        if (r < 0)
            return r;
        if (r == 0)
            return x->what = "connection closed before the end of the response", KC_EUNAVAILABLE;
    }
}

/* Copies header value [v, e) trimmed of blanks into a new string. */
static char *
header_value(const char *v, const char *e)
{
    while (v < e && (*v == ' ' || *v == '\t'))
        v++;
    while (e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    return kc_strndup(v, (size_t)(e - v));
}

/* True when the comma-separated header value list holds token (case-insensitively). */
static bool
has_token(const char *list, const char *token)
{
    size_t tl = strlen(token);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        size_t m = n;
        while (m > 0 && (p[m - 1] == ' ' || p[m - 1] == '\t'))
            m--;
        if (m == tl && !strncasecmp(p, token, tl))
            return true;
        p += n;
    }
    return false;
}

/* What the head of a response said about its body and the connection. */
struct head {
    long long content_length; /* -1 when absent */
    bool chunked;
    bool close; /* the server closes after this response */
};

static void
clear_warnings(struct kc_https_response *r)
{
    for (size_t i = 0; i < r->nwarnings; i++)
        free(r->warnings[i]);
    r->nwarnings = 0;
    free(r->content_type);
    r->content_type = NULL;
}

/* Reads and parses the status line and headers (skipping 1xx interim answers). Returns 0 or an error. */
static int
read_head(struct kc_https *h, struct xfer *x, struct head *hd)
{
    struct kc_https_response *r = x->resp;
    size_t used = 0; /* bytes of head read so far, against KC_HTTPS_MAX_HEADER */
    for (;;) {
        size_t eol;
        int err = need_line(h, x, KC_HTTPS_MAX_HEADER - used, &eol);
        if (err)
            return err;
        char *line = h->rbuf + h->roff, *end = h->rbuf + eol;
        used += (size_t)(end - line) + 1;
        h->roff = eol + 1;
        if (used > KC_HTTPS_MAX_HEADER) /* a line longer than the rest of the limit, found in one read */
            return x->what = "response headers too large", KC_ETOOLARGE;
        if (end > line && end[-1] == '\r')
            end--;
        *end = '\0';
        if (strncmp(line, "HTTP/1.", 7) || (line[7] != '0' && line[7] != '1') || line[8] != ' ' ||
            !isdigit((unsigned char)line[9]) || !isdigit((unsigned char)line[10]) ||
            !isdigit((unsigned char)line[11]) || (line[12] != ' ' && line[12] != '\0')) {
            x->what = "the server's answer is not HTTP/1.x";
            return -EPROTO;
        }
        r->version = line[7] == '0' ? 10 : 11;
        r->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
        clear_warnings(r);
        hd->content_length = -1;
        hd->chunked = false;
        hd->close = r->version == 10;
        for (;;) {
            if ((err = need_line(h, x, KC_HTTPS_MAX_HEADER - used, &eol)))
                return err;
            line = h->rbuf + h->roff;
            end = h->rbuf + eol;
            used += (size_t)(end - line) + 1;
            h->roff = eol + 1;
            if (used > KC_HTTPS_MAX_HEADER)
                return x->what = "response headers too large", KC_ETOOLARGE;
            if (end > line && end[-1] == '\r')
                end--;
            if (end == line)
                break;
            *end = '\0';
            char *colon = memchr(line, ':', (size_t)(end - line));
            if (!colon)
                continue; /* not a header (an obsolete continuation line): ignored */
            size_t nl = (size_t)(colon - line);
            const char *v = colon + 1;
            char *val = NULL;
#define IS(name) (nl == sizeof(name) - 1 && !strncasecmp(line, name, nl))
            if (IS("content-length")) {
                char *ep;
                while (*v == ' ' || *v == '\t')
                    v++;
                long long cl = strtoll(v, &ep, 10);
                while (*ep == ' ' || *ep == '\t')
                    ep++;
                if (!isdigit((unsigned char)*v) || *ep || cl < 0 ||
                    (hd->content_length >= 0 && hd->content_length != cl)) {
                    x->what = "bad Content-Length";
                    return -EPROTO;
                }
                hd->content_length = cl;
            } else if (IS("transfer-encoding")) {
                hd->chunked = has_token(v, "chunked");
            } else if (IS("connection")) {
                if (has_token(v, "close"))
                    hd->close = true;
                else if (has_token(v, "keep-alive"))
                    hd->close = false;
            } else if (IS("content-type")) {
                if (!r->content_type && !(r->content_type = header_value(v, end)))
                    return x->what = "out of memory", -ENOMEM;
            } else if (IS("warning")) {
                if (r->nwarnings == x->warn_cap) {
                    size_t cap = x->warn_cap ? 2 * x->warn_cap : 4;
                    char **nw = kc_realloc(r->warnings, cap * sizeof(*nw));
                    if (!nw)
                        return x->what = "out of memory", -ENOMEM;
                    r->warnings = nw;
                    x->warn_cap = cap;
                }
                if (!(val = header_value(v, end)))
                    return x->what = "out of memory", -ENOMEM;
                r->warnings[r->nwarnings++] = val;
            }
#undef IS
        }
        if (r->status >= 100 && r->status < 200 && r->status != 101)
            continue; /* 100 Continue and friends: the real answer follows */
        return 0;
    }
}

/* need_line() for the framing lines of a chunked body: one too long is bad framing, not large headers. */
static int
chunk_line(struct kc_https *h, struct xfer *x, size_t limit, size_t *eol)
{
    int err = need_line(h, x, limit, eol);
    if (err == KC_ETOOLARGE) {
        x->what = "bad chunked encoding";
        return -EPROTO;
    }
    return err;
}

/* The body of a chunked response. Returns 0 or an error. */
static int
read_chunked(struct kc_https *h, struct xfer *x)
{
    for (;;) {
        size_t eol;
        int err = chunk_line(h, x, MAX_CHUNK_HDR, &eol);
        if (err)
            return err;
        const char *p = h->rbuf + h->roff;
        unsigned long long size = 0;
        int digits = 0;
        for (; isxdigit((unsigned char)*p) && digits < 16; p++, digits++)
            size = size * 16 +
                   (unsigned long long)(isdigit((unsigned char)*p) ? *p - '0' : tolower((unsigned char)*p) - 'a' + 10);
        if (!digits || (*p != ';' && *p != '\r' && *p != '\n' && *p != ' ' && *p != '\t')) {
            x->what = "bad chunked encoding";
            return -EPROTO;
        }
        h->roff = eol + 1;
        if (size == 0) {
            for (;;) { /* trailers, up to the empty line */
                if ((err = chunk_line(h, x, MAX_CHUNK_HDR, &eol)))
                    return err;
                bool empty = eol == h->roff || (eol == h->roff + 1 && h->rbuf[h->roff] == '\r');
                h->roff = eol + 1;
                if (empty)
                    return 0;
            }
        }
        if (size > h->max_body)
            return x->what = "response too large", KC_ETOOLARGE;
        while (size > 0) {
            if (h->roff == h->rlen) {
                int r = io_read(h, x);
                if (r < 0)
                    return r;
                if (r == 0)
                    return x->what = "connection closed in the middle of the body", KC_EUNAVAILABLE;
            }
            size_t n = h->rlen - h->roff;
            if (n > size)
                n = (size_t)size;
            if ((err = sink(x, h->rbuf + h->roff, n)))
                return err;
            h->roff += n;
            size -= n;
            if (x->stopped)
                return 0;
        }
        if ((err = chunk_line(h, x, 2, &eol))) /* the CRLF after the chunk's data */
            return err;
        if (eol - h->roff > 1) {
            x->what = "bad chunked encoding";
            return -EPROTO;
        }
        h->roff = eol + 1;
    }
}

/* A body of known length (len >= 0) or one that lasts until the server closes (len < 0). Returns 0 or an error. */
static int
read_plain(struct kc_https *h, struct xfer *x, long long len)
{
    if (len > 0 && !x->lines) {
        int err = buf_reserve(x, (size_t)len);
        if (err)
            return err;
    }
    while (len != 0) {
        if (h->roff == h->rlen) {
            int r = io_read(h, x);
            if (r < 0)
                return r;
            if (r == 0) {
                if (len < 0)
                    return 0;
                return x->what = "connection closed in the middle of the body", KC_EUNAVAILABLE;
            }
        }
        size_t n = h->rlen - h->roff;
        if (len >= 0 && (unsigned long long)n > (unsigned long long)len)
            n = (size_t)len;
        int err = sink(x, h->rbuf + h->roff, n);
        if (err)
            return err;
        h->roff += n;
        if (len > 0)
            len -= (long long)n;
        if (x->stopped)
            return 0;
    }
    return 0;
}

/* Builds the request head (and a small body after it, in the same buffer). Returns 0 or -ENOMEM. */
static int
build_request(struct kc_https *h, const struct kc_https_request *req, const char *method, struct sbuf *b,
              bool *body_inline)
{
    char num[32];
    sb_str(b, method);
    sb_add(b, " ", 1);
    sb_str(b, h->prefix);
    sb_str(b, req->path);
    sb_str(b, " HTTP/1.1\r\n");
    sb_header(b, "Host", h->authority);
    sb_header(b, "User-Agent", h->user_agent);
    if (h->auth_header) {
        sb_str(b, h->auth_header);
        sb_add(b, "\r\n", 2);
    }
    if (req->accept)
        sb_header(b, "Accept", req->accept);
    if (req->content_type)
        sb_header(b, "Content-Type", req->content_type);
    if (req->body) {
        snprintf(num, sizeof(num), "%zu", req->body_len);
        sb_header(b, "Content-Length", num);
    }
    for (const char *const *hp = req->headers; hp && *hp; hp++) {
        sb_str(b, *hp);
        sb_add(b, "\r\n", 2);
    }
    sb_add(b, "\r\n", 2);
    *body_inline = req->body && req->body_len <= 65536;
    if (*body_inline)
        sb_add(b, req->body, req->body_len);
    return b->oom ? -ENOMEM : 0;
}

static int
perform(struct kc_https *h, const struct kc_https_request *req, kc_https_line_fn fn, void *arg,
        struct kc_https_response *resp)
{
    const char *method = req && req->method ? req->method : "GET";
    struct xfer x = { .h = h, .resp = resp, .fn = fn, .arg = arg, .start = now_us() };
    struct sbuf b = { 0 };
    char *url = NULL;
    int err;

    memset(resp, 0, sizeof(*resp));
    memset(&h->timing, 0, sizeof(h->timing));
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
    long timeout = req->timeout_ms > 0 ? req->timeout_ms : req->timeout_ms < 0 ? 0 : h->timeout_ms;
    x.dl = timeout > 0 ? now_ms() + (uint64_t)timeout : 0;
    size_t ul = strlen(h->base) + strlen(req->path) + 1;
    bool body_inline = false;
    if (!(url = kc_malloc(ul)) || build_request(h, req, method, &b, &body_inline)) {
        set_errmsg(h, "%s %s: out of memory", method, req->path);
        err = -ENOMEM;
        goto out;
    }
    snprintf(url, ul, "%s%s", h->base, req->path);

    struct head hd = { 0 };
    for (int attempt = 0;; attempt++) {
        bool reused = h->fd >= 0;
        if (reused && conn_stale(h)) {
            conn_close(h);
            reused = false;
        }
        if (!reused && (err = conn_open(h, method, url, &x)))
            goto out;
        resp->reused = reused;
        x.got_any = false;
        x.what = NULL;
        x.tls_error = false;
        err = io_write(h, &x, b.p, b.len);
        if (!err && req->body && !body_inline)
            err = io_write(h, &x, req->body, req->body_len);
        h->timing.sent_us = now_us() - x.start;
        /* A server may refuse a request before it is all sent (413 for a body too large) and close: its answer
         * is read all the same, and is the answer; the connection goes after it. */
        if (!err) {
            err = read_head(h, &x, &hd);
        } else if (err == KC_EUNAVAILABLE) {
            const char *what = x.what;
            if (read_head(h, &x, &hd) == 0) {
                err = 0;
                hd.close = true;
            } else {
                x.what = what;
            }
        }
        /* A kept-alive connection the server closed meanwhile: once more on a new one. */
        if (err == KC_EUNAVAILABLE && reused && !x.got_any && attempt == 0) {
            conn_close(h);
            clear_warnings(resp);
            resp->status = 0;
            resp->version = 0;
            continue;
        }
        break;
    }
    if (err)
        goto fail;
    h->timing.headers_us = now_us() - x.start;
    x.lines = fn && resp->status >= 200 && resp->status < 300;
    bool no_body = !strcmp(method, "HEAD") || resp->status == 204 || resp->status == 304 ||
                   (resp->status >= 100 && resp->status < 200);
    if (no_body)
        err = 0;
    else if (hd.chunked)
        err = read_chunked(h, &x);
    else
        err = read_plain(h, &x, hd.content_length);
    if (err)
        goto fail;
    if (x.stopped) {
        conn_close(h); /* the server sees the client leave */
    } else {
        if (x.lines && x.len > 0) { /* the final line had no '\n' */
            x.buf[x.len] = '\0';
            int r = fn(arg, x.buf, x.len);
            if (r < 0) {
                err = r;
                set_errmsg(h, "%s %s: stopped by the line callback: %s", method, url, kc_strerror(r));
                conn_close(h);
                goto out;
            }
        }
        if (hd.close || (!no_body && !hd.chunked && hd.content_length < 0) || h->roff != h->rlen ||
            resp->status == 101) /* a switched protocol is not HTTP/1.1 any more */
            conn_close(h);
    }
    if (!x.lines && x.len > 0) {
        x.buf[x.len] = '\0';
        resp->body = x.buf;
        resp->body_len = x.len;
        x.buf = NULL;
    }
    h->timing.done_us = now_us() - x.start;
    err = 0;
    goto out;
fail:
    conn_close(h);
    if (err == KC_ETIMEOUT)
        set_errmsg(h, "%s %s: timed out: no complete response within %ld ms", method, url, timeout);
    else if (err == KC_ETOOLARGE)
        set_errmsg(h, "%s %s: response too large: over the limit of %zu bytes", method, url,
                   x.what && strstr(x.what, "headers") ? KC_HTTPS_MAX_HEADER : h->max_body);
    else if (err == -EPROTO)
        set_errmsg(h, "%s %s: %s%s", method, url, x.tls_error ? "TLS error: " : "", x.what ? x.what : "protocol error");
    else
        set_errmsg(h, "%s %s: %s: %s%s", method, url, x.what ? x.what : "failed", kc_strerror(err),
                   /* TLS 1.3 ends the client's side of the handshake before the server has checked the client's
                    * certificate: a server that refuses it just closes, seen at the first read */
                   err == KC_EUNAVAILABLE && h->has_cert && !resp->reused && !x.got_any
                       ? " (on a new connection before any response: the server may have refused the client "
                         "certificate)"
                       : "");
    if (!x.lines && x.len > 0 && resp->status) { /* what had arrived */
        x.buf[x.len] = '\0';
        resp->body = x.buf;
        resp->body_len = x.len;
        x.buf = NULL;
    }
out:
    free(x.buf);
    free(b.p);
    free(url);
    return err;
}

int
kc_https_do(struct kc_https *h, const struct kc_https_request *req, struct kc_https_response *resp)
{
    return perform(h, req, NULL, NULL, resp);
}

int
kc_https_stream(struct kc_https *h, const struct kc_https_request *req, kc_https_line_fn fn, void *arg,
                struct kc_https_response *resp)
{
    if (!fn) {
        memset(resp, 0, sizeof(*resp));
        set_errmsg(h, "kc_https_stream: no line callback");
        return KC_EINVALID;
    }
    return perform(h, req, fn, arg, resp);
}

char *
kc_https_warning_text(const char *value)
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
    if (*p != '"') {
        free(out);
        return kc_strdup(value);
    }
    *o = '\0';
    return out;
}
