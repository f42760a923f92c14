/* httpd_internal.h - kc_httpd's private structures, shared by httpd.c and peer.c. */
#ifndef KC_HTTPD_INTERNAL_H
#define KC_HTTPD_INTERNAL_H

#include "kc_httpd.h"

#include <h2o.h>
#include <pthread.h>

struct work_item;

struct kc_httpd_loop {
    kc_httpd *srv;
    pthread_t thread;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listener;
    int listen_fd; /* the listener's descriptor (a dup of srv->fd) */
    h2o_multithread_receiver_t recv;
    pthread_rwlock_t alive_lock;   /* guards alive against posts from other threads */
    bool alive;                    /* the loop still takes messages */
    struct kc_httpd_timer *timers; /* armed timers, soonest first */
    h2o_linklist_t streams;        /* open kc_httpd_stream, for shutdown */
    h2o_linklist_t websockets;     /* open kc_ws (ws.c), for shutdown */
    long inflight;                 /* deferred work items not yet done (atomic) */
    int nconns;                    /* open connections: accepted for this loop, not yet closed (atomic) */
    bool ready;                    /* set up (under srv->work_lock) */
    int setup_rc;                  /* its result */
};

struct kc_httpd {
    struct kc_httpd_config cfg;
    int fd;   /* the listening socket, shared by every loop (each has a dup) */
    int port; /* bound port */
    SSL_CTX *ssl_ctx;
    h2o_globalconf_t h2o_cfg;
    h2o_hostconf_t *host;
    struct {
        char *prefix;
        h2o_pathconf_t *pc;
    } paths[64]; /* registered prefixes: handlers on one prefix share its pathconf */
    int npaths;
    kc_httpd_loop *loops;
    int nloops;
    pthread_t *workers;
    int nworkers;
    pthread_mutex_t work_lock;
    pthread_cond_t work_cond;
    pthread_cond_t ready_cond; /* a loop finished its setup */
    struct work_item *work_head, *work_tail;
    bool workers_stop;
    bool started;
    int loops_started, workers_started; /* threads created, for stop after a partial start */
    bool stopped;
    int stopping; /* set by kc_httpd_stop; read by the loops (atomic) */
    int grace_ms;
    long suspended;              /* suspended requests not yet done (under work_lock) */
    pthread_cond_t resumed_cond; /* signalled when suspended drops to 0 */
};

/* What h2o 2.2.5 counts as written before it writes 16 KB TLS records (adopt sets a connection's count to it). */
#define KC_HTTPD_TLS_FULL_RECORDS_AFTER (200 * 1024)

struct kc_httpd_req {
    h2o_req_t *r;
    kc_httpd_loop *loop;
};

/* The verified client certificate's identity on sock, read once per connection and kept with it; NULL when the
 * connection has no TLS or no verified client certificate (or, once, when memory is short). */
const struct kc_httpd_peer *kc_httpd_peer_from_socket(h2o_socket_t *sock);

/* Ends the loop's WebSocket connections (ws.c); called when the loop begins its shutdown. */
void kc_httpd_ws_loop_shutdown(kc_httpd_loop *loop);

#endif
