/* peer.c - the client certificate's identity (CN = user, O = groups) from an h2o 2.2.5 socket.
 *
 * h2o 2.2.5 has no accessor for a connection's SSL object. Its private struct st_h2o_socket_ssl_t starts with
 * `SSL_CTX *ssl_ctx; SSL *ossl;` in this exact version (lib/common/socket.c); we read those two members and
 * nothing else. Keep this file the only place that knows it; tests/unit/common/test_httpd.c checks it over
 * HTTP/1.1 and HTTP/2.
 */
#include "httpd_internal.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct h2o_225_socket_ssl_prefix {
    SSL_CTX *ssl_ctx;
    SSL *ossl;
};

static void
copy_entry(X509_NAME_ENTRY *e, char *out, size_t cap)
{
    const ASN1_STRING *s = X509_NAME_ENTRY_get_data(e);
    unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, s);
    out[0] = '\0';
    if (n < 0)
        return;
    size_t len = (size_t)n < cap - 1 ? (size_t)n : cap - 1;
    memcpy(out, utf8, len);
    out[len] = '\0';
    OPENSSL_free(utf8);
}

/* The identity is read from the certificate once per connection and kept with its SSL object (freed with it):
 * every request asks for it. Keyed by the certificate, which a TLS 1.3 connection cannot change (and OpenSSL 3
 * refuses client-initiated renegotiation). */
struct cached_peer {
    const X509 *cert;
    struct kc_httpd_peer peer;
};

static int peer_index = -1;
static pthread_once_t peer_once = PTHREAD_ONCE_INIT;

static void
free_cached(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent;
    (void)ad;
    (void)idx;
    (void)argl;
    (void)argp;
    free(ptr);
}

static void
peer_index_init(void)
{
    peer_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, free_cached);
}

const struct kc_httpd_peer *
kc_httpd_peer_from_socket(h2o_socket_t *sock)
{
    if (!sock->ssl)
        return NULL;
    SSL *ssl = ((struct h2o_225_socket_ssl_prefix *)sock->ssl)->ossl;
    if (!ssl)
        return NULL;
    X509 *cert = SSL_get0_peer_certificate(ssl);
    if (!cert || SSL_get_verify_result(ssl) != X509_V_OK)
        return NULL;
    pthread_once(&peer_once, peer_index_init);
    if (peer_index < 0)
        return NULL;
    struct cached_peer *c = SSL_get_ex_data(ssl, peer_index);
    if (c && c->cert == cert)
        return &c->peer;
    if (!c) {
        if (!(c = calloc(1, sizeof(*c))))
            return NULL;
        if (!SSL_set_ex_data(ssl, peer_index, c)) {
            free(c);
            return NULL;
        }
    }
    struct kc_httpd_peer *peer = &c->peer;
    X509_NAME *name = X509_get_subject_name(cert);
    memset(peer, 0, sizeof(*peer));
    int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (i >= 0)
        copy_entry(X509_NAME_get_entry(name, i), peer->user, sizeof(peer->user));
    for (i = -1; (i = X509_NAME_get_index_by_NID(name, NID_organizationName, i)) >= 0;) {
        if (peer->ngroups == (int)(sizeof(peer->groups) / sizeof(peer->groups[0])))
            break;
        copy_entry(X509_NAME_get_entry(name, i), peer->groups[peer->ngroups], sizeof(peer->groups[0]));
        peer->ngroups++;
    }
    c->cert = cert;
    return peer;
}
