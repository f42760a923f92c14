/* store_embedded.c - the api_store backend over an in-process kvs store: every operation is the kvs call of the
 * same name, responses and watch batches are kvs's own (freed with kvs_resp_free / kvs_watch_batch_free).
 */
#include "kc_fault.h"
#include "store_int.h"

#include <errno.h>
#include <stdlib.h>

struct embedded {
    struct api_store base;
    struct kvs *kvs;
};

struct ewatch {
    struct api_store_watch base;
    struct kvs_watch *w;
};

static struct kvs *
kvs_of(struct api_store *s)
{
    return ((struct embedded *)s)->kvs;
}

static int
e_range(struct api_store *s, const struct kvs_range_req *req, struct kvs_resp **out)
{
    return kvs_range(kvs_of(s), req, out);
}

static int
e_range_lend(struct api_store *s, const struct kvs_range_req *req, kvs_lend_fn fn, void *arg)
{
    return kvs_range_lend(kvs_of(s), req, fn, arg);
}

static int
e_txn(struct api_store *s, const struct kvs_txn_req *req, struct kvs_resp **out)
{
    return kvs_txn(kvs_of(s), req, out);
}

static int
e_txn_async(struct api_store *s, const struct kvs_txn_req *req, kvs_done_fn done, void *arg)
{
    return kvs_txn_async(kvs_of(s), req, done, arg);
}

static void
e_resp_free(struct api_store *s, struct kvs_resp *resp)
{
    (void)s;
    kvs_resp_free(resp);
}

static int
e_lease_grant(struct api_store *s, int64_t ttl, int64_t *id)
{
    struct kvs_lease_grant_resp r;
    int rc = kvs_lease_grant(kvs_of(s), 0, ttl, &r);
    if (rc == 0)
        *id = r.id;
    return rc;
}

static int
e_lease_revoke(struct api_store *s, int64_t id)
{
    return kvs_lease_revoke(kvs_of(s), id, NULL);
}

static int
e_compact(struct api_store *s, int64_t revision)
{
    return kvs_compact(kvs_of(s), revision, false, NULL);
}

static int
e_revision(struct api_store *s, int64_t *rev)
{
    *rev = kvs_revision(kvs_of(s));
    return 0;
}

static int
ew_fd(struct api_store_watch *w)
{
    return kvs_watch_fd(((struct ewatch *)w)->w);
}

static int
ew_poll(struct api_store_watch *w, struct kvs_watch_batch **out)
{
    return kvs_watch_poll(((struct ewatch *)w)->w, out);
}

static void
ew_batch_free(struct api_store_watch *w, struct kvs_watch_batch *b)
{
    (void)w;
    kvs_watch_batch_free(b);
}

static void
ew_free(struct api_store_watch *w)
{
    kvs_watch_free(((struct ewatch *)w)->w);
    free(w);
}

static const struct api_store_watch_ops ewatch_ops = {
    .fd = ew_fd,
    .poll = ew_poll,
    .batch_free = ew_batch_free,
    .free = ew_free,
};

static int
e_watch(struct api_store *s, const struct kvs_watch_req *req, struct api_store_watch **out)
{
    struct ewatch *w = kc_calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->base.ops = &ewatch_ops;
    int rc = kvs_watch_create(kvs_of(s), req, &w->w);
    if (rc != 0) {
        free(w);
        return rc;
    }
    *out = &w->base;
    return 0;
}

static void
e_close(struct api_store *s)
{
    free(s);
}

static const struct api_store_ops embedded_ops = {
    .range = e_range,
    .range_lend = e_range_lend,
    .txn = e_txn,
    .txn_async = e_txn_async,
    .resp_free = e_resp_free,
    .lease_grant = e_lease_grant,
    .lease_revoke = e_lease_revoke,
    .compact = e_compact,
    .revision = e_revision,
    .watch = e_watch,
    .close = e_close,
};

int
api_store_embedded(struct kvs *kvs, struct api_store **out)
{
    if (!kvs || !out)
        return KC_EINVALID;
    struct embedded *e = kc_calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->base.ops = &embedded_ops;
    e->kvs = kvs;
    *out = &e->base;
    return 0;
}
