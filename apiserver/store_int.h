/* store_int.h - what the two api_store backends (store_embedded.c, store_remote.c) share with the dispatch and
 * object code in store.c: the vtables every store and watch starts with, and the remote backend's test hooks.
 * Internal to the apiserver library (and its unit tests).
 */
#ifndef API_STORE_INT_H
#define API_STORE_INT_H

#include "api_store.h"

/* One backend's operations; semantics as the api_store_* function of the same name. */
struct api_store_ops {
    int (*range)(struct api_store *s, const struct kvs_range_req *req, struct kvs_resp **out);
    /* NULL: the backend cannot lend its bytes (the remote one); api_store_range_lend then copies through range */
    int (*range_lend)(struct api_store *s, const struct kvs_range_req *req, kvs_lend_fn fn, void *arg);
    int (*txn)(struct api_store *s, const struct kvs_txn_req *req, struct kvs_resp **out);
    /* NULL: the backend has no asynchronous writes (api_store_txn_async answers KC_EUNSUPPORTED) */
    int (*txn_async)(struct api_store *s, const struct kvs_txn_req *req, kvs_done_fn done, void *arg);
    void (*resp_free)(struct api_store *s, struct kvs_resp *resp);
    int (*lease_grant)(struct api_store *s, int64_t ttl, int64_t *id);
    int (*lease_revoke)(struct api_store *s, int64_t id);
    int (*compact)(struct api_store *s, int64_t revision);
    int (*revision)(struct api_store *s, int64_t *rev);
    int (*watch)(struct api_store *s, const struct kvs_watch_req *req, struct api_store_watch **out);
    void (*close)(struct api_store *s);
};

/* The first member of every backend's store struct. */
struct api_store {
    const struct api_store_ops *ops;
};

struct api_store_watch_ops {
    int (*fd)(struct api_store_watch *w);
    int (*poll)(struct api_store_watch *w, struct kvs_watch_batch **out);
    void (*batch_free)(struct api_store_watch *w, struct kvs_watch_batch *b);
    void (*free)(struct api_store_watch *w);
};

/* The first member of every backend's watch struct. */
struct api_store_watch {
    const struct api_store_watch_ops *ops;
};

/* The remote backend's bound on each watch's queue of undelivered batches (defaults 1024 batches and 64 MiB, as
 * kvs): a watch whose consumer lets more pile up is cancelled with -ENOBUFS. Affects watches created afterwards.
 * For tests; 0 restores a default. */
void api_store_remote_set_queue_limit(size_t batches, size_t bytes);

/* The kvs/KC code the remote backend gives an etcd error answer: msg is its message (may be NULL), grpc_code its
 * gRPC code. Exposed for tests. */
int api_store_remote_map_error(const char *msg, long grpc_code);

#endif
