/* kts_tls_peer.c - the client-certificate identity of a connection, for h2o 2.2.5, which has no accessor for it.
 *
 * An info callback on the SSL_CTX runs when a handshake completes; it takes the h2o_socket_t from the SSL's read
 * BIO (h2o 2.2.5 stores the socket as its BIO's data: an internal detail of exactly this version) and records
 * the peer certificate's CN/O under that socket. Handlers find it through req->conn->callbacks->get_socket().
 * The record hangs on the SSL as ex_data and is dropped when h2o frees the SSL, before the socket is freed, so
 * a socket address reused later never finds a stale identity. Tested over HTTP/1.1 and HTTP/2 in test_http.
 */
#include "kts_server.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdlib.h>

struct peer {
    struct peer *next;
    h2o_socket_t *sock;
    struct kc_pki_identity id;
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct peer *peers; /* every recorded connection of every server in the process */
static int ex_index = -1;

/* Runs inside SSL_free(): unlink and free the record. */
static void
peer_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    struct peer *p = ptr;
    if (!p)
        return;
    pthread_mutex_lock(&mu);
    for (struct peer **pp = &peers; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    pthread_mutex_unlock(&mu);
    kc_pki_identity_close(&p->id);
    free(p);
}

static void
init_index(void)
{
    ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, peer_free);
}

static void
on_info(const SSL *cssl, int where, int ret)
{
    (void)ret;
    SSL *ssl = (SSL *)cssl;
    if (!(where & SSL_CB_HANDSHAKE_DONE) || SSL_get_ex_data(ssl, ex_index))
        return; /* TLS 1.3 may report the end of the handshake again after session tickets */
    X509 *cert = SSL_get1_peer_certificate(ssl);
    if (!cert)
        return;
    BIO *rbio = SSL_get_rbio(ssl);
    h2o_socket_t *sock = rbio ? BIO_get_data(rbio) : NULL;
    struct peer *p = sock && SSL_get_verify_result(ssl) == X509_V_OK ? calloc(1, sizeof(*p)) : NULL;
    if (p && kc_pki_identity_get(cert, &p->id) == 0) {
        p->sock = sock;
        SSL_set_ex_data(ssl, ex_index, p);
        pthread_mutex_lock(&mu);
        p->next = peers;
        peers = p;
        pthread_mutex_unlock(&mu);
    } else {
        free(p);
    }
    X509_free(cert);
}

int
kts_tls_peer_setup(SSL_CTX *ctx)
{
    pthread_once(&once, init_index);
    if (ex_index < 0)
        return -ENOMEM;
    SSL_CTX_set_info_callback(ctx, on_info);
    return 0;
}

const struct kc_pki_identity *
kts_tls_peer_identity(h2o_socket_t *sock)
{
    const struct kc_pki_identity *id = NULL;
    pthread_mutex_lock(&mu);
    for (struct peer *p = peers; p; p = p->next)
        if (p->sock == sock) {
            id = &p->id;
            break;
        }
    pthread_mutex_unlock(&mu);
    return id;
}
