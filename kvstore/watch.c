/* watch.c - the watch hub: watchers catch up from the revision history in LMDB (read in the consumer's thread,
 * inside kvs_watch_poll, as fast as it consumes), then switch to live events that the committer fans out from
 * memory after each commit into each watcher's bounded queue. An eventfd per watcher makes it pollable.
 *
 * The switch from history to live is the delicate part: a watcher that has read history up to snapshot S
 * becomes live only if the hub has not published anything past what it read (published < next); live events
 * below its next revision are skipped. So no event is lost or delivered twice.
 */
#include "kvs_int.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "kc_fault.h"

#define SCAN_BUDGET  65536     /* history records read per poll */
#define BYTES_BUDGET (8 << 20) /* event bytes per catch-up batch (at a revision boundary) */

static const char reason_slow[] = "kvs: watcher queue overflow (the consumer is too slow)";
static const char reason_closed[] = "kvs: store closed";
static const char reason_nomem[] = "kvs: out of memory";

struct wb {
    struct kvs_watch_batch pub; /* first: &pub is what the consumer frees */
    struct wb *next;
    int64_t bytes;
};

struct hub {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct kvs *s; /* NULL once closed */
    struct kvs_watch *head;
    int64_t published; /* every revision up to this has been fanned out */
    int64_t next_id;
    int64_t nwatchers;
    int refs;   /* the store + one per watcher */
    int active; /* polls reading history */
    bool closed;
};

enum wstate {
    W_UNSYNCED, /* reading history from next_rev */
    W_SYNCED,   /* live; events below next_rev are skipped */
    W_CANCELED, /* the last batch is queued */
    W_DONE,     /* the last batch was taken */
};

struct kvs_watch {
    struct hub *h;
    struct kvs_watch *prev, *next;
    int64_t id;
    uint8_t *key, *end;
    size_t klen, elen;
    enum range_mode mode;
    bool prev_kv, no_put, no_delete, progress_notify;
    int efd;
    enum wstate state;
    int64_t next_rev;
    struct wb *qhead, *qtail;
    size_t qn;
    int64_t qbytes;
    struct wb *final; /* preallocated last batch, so a cancel never needs memory */
    bool sent_since_tick, progress_pending;
    int64_t hdr_rev; /* the highest header revision handed out: progress never goes below it */
};

/* ---------------------------------------------------------------------------------------------------------- */

static struct wb *
wb_new(void)
{
    struct arena *a = arena_new();
    if (!a)
        return NULL;
    struct wb *b = arena_alloc(a, sizeof(*b));
    if (!b) {
        arena_free_self(a);
        return NULL;
    }
    b->pub.priv = a;
    return b;
}

void
kvs_watch_batch_free(struct kvs_watch_batch *b)
{
    if (b)
        arena_free_self(b->priv);
}

/* A batch being built. */
struct bld {
    struct wb *b;
    size_t cap;
    int64_t bytes;
    int err;
};

static struct kvs_event *
bld_push(struct bld *x)
{
    if (x->err)
        return NULL;
    if (!x->b && !(x->b = wb_new())) {
        x->err = -ENOMEM;
        return NULL;
    }
    struct kvs_watch_batch *p = &x->b->pub;
    if (p->n_events == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 8;
        struct kvs_event *nv = arena_alloc(p->priv, cap * sizeof(*nv));
        if (!nv) {
            x->err = -ENOMEM;
            return NULL;
        }
        if (p->n_events)
            memcpy(nv, p->events, p->n_events * sizeof(*nv));
        p->events = nv;
        x->cap = cap;
    }
    x->bytes += (int64_t)sizeof(struct kvs_event);
    return &p->events[p->n_events++];
}

static int
ev_fill(struct bld *x, struct kvs_event *out, uint8_t type, const uint8_t *key, size_t klen, const uint8_t *val,
        size_t vlen, int64_t create, int64_t mod, int64_t version, int64_t lease)
{
    struct arena *a = x->b->pub.priv;
    out->type = type;
    out->kv.key = arena_dup(a, key, klen);
    out->kv.key_len = klen;
    out->kv.mod_revision = mod;
    if (type == KVS_EVENT_PUT) {
        if (vlen) {
            out->kv.value = arena_dup(a, val, vlen);
            out->kv.value_len = vlen;
            if (!out->kv.value)
                return -ENOMEM;
        }
        out->kv.create_revision = create;
        out->kv.version = version;
        out->kv.lease = lease;
    }
    x->bytes += (int64_t)(klen + vlen);
    return out->kv.key ? 0 : -ENOMEM;
}

/* etcd's prev_kv: the key at mod - 1, read then; nothing when that is compacted or the key did not exist, and
 * never for a create event (a put whose create_revision is its mod_revision: etcd's IsCreateEvent), even when an
 * older generation of the key, deleted since, could still be read. */
static int
prev_fill(struct bld *x, struct view *v, int64_t mod, int64_t pm, uint32_t ps, int64_t compact, struct kvs_event *out)
{
    if (pm == 0 || mod - 1 < compact)
        return 0;
    if (out->type == KVS_EVENT_PUT && out->kv.create_revision == out->kv.mod_revision)
        return 0;
    struct rec r;
    int rc = rec_get(v, pm, ps, &r);
    if (rc == KC_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    struct arena *a = x->b->pub.priv;
    out->prev_kv = arena_alloc(a, sizeof(*out->prev_kv));
    if (!out->prev_kv)
        return -ENOMEM;
    x->bytes += (int64_t)(r.klen + r.vlen + sizeof(struct kvs_kv));
    return kv_from_rec(a, &r, pm, false, out->prev_kv);
}

static bool
w_match(const struct kvs_watch *w, const uint8_t *k, size_t klen)
{
    return range_contains((struct kvs_buf){ w->key, w->klen }, (struct kvs_buf){ w->end, w->elen }, w->mode, k, klen);
}

static bool
w_filtered(const struct kvs_watch *w, uint8_t type)
{
    return (type == KVS_EVENT_PUT && w->no_put) || (type == KVS_EVENT_DELETE && w->no_delete);
}

static void
efd_set(int fd)
{
    uint64_t one = 1;
    ssize_t n = write(fd, &one, sizeof(one));
    (void)n; /* EAGAIN only when the counter is near 2^64: still readable */
}

static void
efd_clear(int fd)
{
    uint64_t v;
    ssize_t n = read(fd, &v, sizeof(v));
    (void)n;
}

/* Hub lock held. */
static void
q_push(struct kvs_watch *w, struct wb *b)
{
    b->next = NULL;
    if (w->qtail)
        w->qtail->next = b;
    else
        w->qhead = b;
    w->qtail = b;
    w->qn++;
    w->qbytes += b->bytes;
    efd_set(w->efd);
}

static struct wb *
q_pop(struct kvs_watch *w)
{
    struct wb *b = w->qhead;
    if (!b)
        return NULL;
    w->qhead = b->next;
    if (!w->qhead)
        w->qtail = NULL;
    w->qn--;
    w->qbytes -= b->bytes;
    b->next = NULL;
    return b;
}

/* Hub lock held: queue the last batch. */
static void
w_cancel(struct hub *h, struct kvs_watch *w, int err, const char *reason)
{
    if (w->state == W_CANCELED || w->state == W_DONE || !w->final)
        return;
    struct wb *b = w->final;
    w->final = NULL;
    b->pub.canceled = true;
    b->pub.cancel_err = err;
    b->pub.cancel_reason = reason;
    b->pub.revision = h->published > w->hdr_rev ? h->published : w->hdr_rev;
    b->bytes = 0;
    q_push(w, b);
    w->state = W_CANCELED;
}

/* Hub lock held. */
static void
push_progress(struct hub *h, struct kvs_watch *w)
{
    struct wb *b = wb_new();
    if (!b)
        return; /* a progress notification is advisory */
    b->pub.revision = h->published > w->hdr_rev ? h->published : w->hdr_rev;
    w->hdr_rev = b->pub.revision;
    q_push(w, b);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* The hub */

int
hub_new(struct kvs *s, struct hub **out)
{
    struct hub *h = kc_calloc(1, sizeof(*h));
    if (!h)
        return -ENOMEM;
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    h->s = s;
    h->published = atomic_load(&s->rev);
    h->refs = 1;
    *out = h;
    return 0;
}

static void
hub_unref(struct hub *h)
{
    /* hub lock held; releases it */
    bool last = --h->refs == 0;
    pthread_mutex_unlock(&h->lock);
    if (last) {
        pthread_mutex_destroy(&h->lock);
        pthread_cond_destroy(&h->cond);
        free(h);
    }
}

void
hub_close(struct hub *h)
{
    pthread_mutex_lock(&h->lock);
    h->closed = true;
    for (struct kvs_watch *w = h->head; w; w = w->next)
        w_cancel(h, w, KC_EUNAVAILABLE, reason_closed);
    while (h->active)
        pthread_cond_wait(&h->cond, &h->lock);
    h->s = NULL;
    hub_unref(h);
}

int64_t
hub_watchers(struct hub *h)
{
    pthread_mutex_lock(&h->lock);
    int64_t n = h->nwatchers;
    pthread_mutex_unlock(&h->lock);
    return n;
}

static void
enqueue_live(struct kvs *s, struct hub *h, struct kvs_watch *w, struct bld *x)
{
    x->b->bytes = x->bytes;
    if (w->qn + 1 > (size_t)s->o.watch_queue_batches || w->qbytes + x->bytes > s->o.watch_queue_bytes) {
        kvs_watch_batch_free(&x->b->pub);
        w_cancel(h, w, -ENOBUFS, reason_slow);
        return;
    }
    q_push(w, x->b);
    w->sent_since_tick = true;
    w->hdr_rev = x->b->pub.revision;
}

void
hub_publish(struct kvs *s, struct slot *slots, size_t n, int64_t rev)
{
    struct hub *h = s->hub;
    MDB_txn *txn = NULL;
    struct view v;
    int64_t compact = atomic_load(&s->compact_rev);
    pthread_mutex_lock(&h->lock);
    for (size_t i = 0; i < n; i++) {
        const struct slot *sl = &slots[i];
        if (sl->err || sl->skipped || !sl->nevs)
            continue;
        for (struct kvs_watch *w = h->head; w; w = w->next) {
            if (w->state != W_SYNCED || sl->ev_rev < w->next_rev)
                continue;
            struct bld x = { 0 };
            for (size_t j = 0; j < sl->nevs && !x.err; j++) {
                const struct ev *e = &sl->evs[j];
                if (!w_match(w, e->key, e->klen) || w_filtered(w, e->type))
                    continue;
                struct kvs_event *ke = bld_push(&x);
                if (!ke)
                    break;
                x.err = ev_fill(&x, ke, e->type, e->key, e->klen, e->val, e->vlen, e->create, sl->ev_rev, e->version,
                                e->lease);
                if (!x.err && w->prev_kv && e->prev_main) {
                    if (!txn) {
                        if (rtxn_begin(s, &txn) == 0 && view_open(&v, s, txn, rev, compact) != 0) {
                            rtxn_end(s, txn);
                            txn = NULL;
                        }
                        if (!txn) {
                            x.err = -ENOMEM;
                            break;
                        }
                    }
                    x.err = prev_fill(&x, &v, sl->ev_rev, e->prev_main, e->prev_sub, compact, ke);
                }
            }
            if (x.err) {
                if (x.b)
                    kvs_watch_batch_free(&x.b->pub);
                w_cancel(h, w, x.err, reason_nomem);
                continue;
            }
            if (!x.b)
                continue;
            x.b->pub.revision = sl->ev_rev;
            enqueue_live(s, h, w, &x);
        }
    }
    if (rev > h->published)
        h->published = rev;
    pthread_mutex_unlock(&h->lock);
    if (txn) {
        view_close(&v);
        rtxn_end(s, txn);
    }
}

void
hub_progress_tick(struct kvs *s)
{
    struct hub *h = s->hub;
    pthread_mutex_lock(&h->lock);
    for (struct kvs_watch *w = h->head; w; w = w->next) {
        if (w->state != W_SYNCED || !w->progress_notify)
            continue;
        if (!w->sent_since_tick)
            push_progress(h, w);
        w->sent_since_tick = false;
    }
    pthread_mutex_unlock(&h->lock);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Watchers */

int
kvs_watch_create(struct kvs *s, const struct kvs_watch_req *req, struct kvs_watch **out)
{
    if (!s || !req || !out)
        return KC_EINVALID;
    static const uint8_t zero = 0;
    struct kvs_buf key = req->key.len ? req->key : (struct kvs_buf){ &zero, 1 };
    enum range_mode mode = range_mode_of(req->range_end);
    if (mode == RANGE_BETWEEN && bytes_cmp(key.data, key.len, req->range_end.data, req->range_end.len) >= 0)
        return KVS_EWATCHRANGE;
    struct kvs_watch *w = kc_calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->efd = -1;
    w->key = kc_malloc(key.len);
    w->end = kc_malloc(req->range_end.len ? req->range_end.len : 1);
    w->final = wb_new();
    int rc = (w->key && w->end && w->final) ? 0 : -ENOMEM;
    if (!rc) {
        w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (w->efd < 0)
            rc = -errno;
    }
    if (rc) {
        if (w->efd >= 0)
            close(w->efd);
        if (w->final)
            kvs_watch_batch_free(&w->final->pub);
        free(w->key);
        free(w->end);
        free(w);
        return rc;
    }
    memcpy(w->key, key.data, key.len);
    w->klen = key.len;
    if (req->range_end.len)
        memcpy(w->end, req->range_end.data, req->range_end.len);
    w->elen = req->range_end.len;
    w->mode = mode;
    w->prev_kv = req->prev_kv;
    w->no_put = req->no_put;
    w->no_delete = req->no_delete;
    w->progress_notify = req->progress_notify;

    struct hub *h = s->hub;
    pthread_mutex_lock(&h->lock);
    if (h->closed) {
        pthread_mutex_unlock(&h->lock);
        w->h = NULL;
        kvs_watch_free(w);
        return KC_EUNAVAILABLE;
    }
    w->h = h;
    w->id = ++h->next_id;
    int64_t start = req->start_revision;
    if (start == 0) {
        w->state = W_SYNCED;
        w->next_rev = h->published + 1;
    } else if (start > h->published) {
        w->state = W_SYNCED; /* a future revision: live, skipping what comes before it */
        w->next_rev = start;
    } else {
        w->state = W_UNSYNCED;
        w->next_rev = start;
        efd_set(w->efd);
    }
    w->next = h->head;
    if (h->head)
        h->head->prev = w;
    h->head = w;
    h->refs++;
    h->nwatchers++;
    pthread_mutex_unlock(&h->lock);
    *out = w;
    return 0;
}

int
kvs_watch_fd(const struct kvs_watch *w)
{
    return w ? w->efd : -1;
}

int64_t
kvs_watch_id(const struct kvs_watch *w)
{
    return w ? w->id : 0;
}

/* Reads the history of w from `from` in one read txn: at most KVS_WATCH_MAX_REVS revisions with events, about
 * SCAN_BUDGET records and BYTES_BUDGET bytes, always ending at a revision boundary. */
static int
catchup(struct kvs *s, struct kvs_watch *w, int64_t from, struct wb **out, int64_t *next, int64_t *snap,
        int64_t *compact)
{
    *out = NULL;
    MDB_txn *txn;
    int rc = rtxn_begin(s, &txn);
    if (rc)
        return rc;
    struct view v;
    rc = view_open_read(&v, s, txn);
    if (rc) {
        rtxn_end(s, txn);
        return rc;
    }
    *snap = v.rev;
    *compact = v.compact_rev;
    *next = from;
    struct bld x = { 0 };
    MDB_cursor *c = NULL;
    if (from < v.compact_rev)
        goto done;
    if (from < 1) {
        /* etcd reads history from revToBytes(from): a negative revision is 0xff... big-endian, an empty range */
        *next = v.rev + 1;
        goto done;
    }
    rc = lmdb_err(mdb_cursor_open(txn, s->dbi_rev, &c), "cursor_open");
    if (rc)
        goto done;
    uint8_t k0[12];
    put_be64(k0, (uint64_t)from);
    put_be32(k0 + 8, 0);
    MDB_val k = { sizeof(k0), k0 }, d;
    int mrc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
    int64_t cur_main = 0, last_ev = 0, stop_at = 0;
    int revs = 0;
    size_t scanned = 0;
    while (mrc == 0) {
        if (k.mv_size != 12) {
            rc = KC_EINTERNAL;
            break;
        }
        int64_t main = (int64_t)get_be64(k.mv_data);
        if (main > v.rev)
            break;
        if (main != cur_main) {
            if (scanned >= SCAN_BUDGET || x.bytes >= BYTES_BUDGET) {
                stop_at = main;
                break;
            }
            cur_main = main;
        }
        scanned++;
        struct rec r;
        rc = rec_decode(&d, &r);
        if (rc)
            break;
        if (w_match(w, r.key, r.klen)) {
            if (main != last_ev) {
                if (revs == KVS_WATCH_MAX_REVS) {
                    stop_at = main;
                    break;
                }
                revs++;
                last_ev = main;
            }
            uint8_t type = r.tomb ? KVS_EVENT_DELETE : KVS_EVENT_PUT;
            if (!w_filtered(w, type)) {
                struct kvs_event *ke = bld_push(&x);
                if (!ke) {
                    rc = x.err;
                    break;
                }
                rc = ev_fill(&x, ke, type, r.key, r.klen, r.val, r.vlen, r.create, main, r.version, r.lease);
                if (!rc && w->prev_kv)
                    rc = prev_fill(&x, &v, main, r.prev_main, r.prev_sub, v.compact_rev, ke);
                if (rc)
                    break;
            }
        }
        mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT);
    }
    if (!rc && mrc && mrc != MDB_NOTFOUND)
        rc = lmdb_err(mrc, "history walk");
    *next = stop_at ? stop_at : v.rev + 1;
done:
    if (c)
        mdb_cursor_close(c);
    view_close(&v);
    rtxn_end(s, txn);
    if (rc || !x.b || x.b->pub.n_events == 0) {
        if (x.b)
            kvs_watch_batch_free(&x.b->pub);
        return rc;
    }
    x.b->pub.revision = *snap; /* etcd: catch-up responses carry the current revision */
    x.b->bytes = x.bytes;
    *out = x.b;
    return 0;
}

int
kvs_watch_poll(struct kvs_watch *w, struct kvs_watch_batch **out)
{
    if (!w || !out)
        return KC_EINVALID;
    struct hub *h = w->h;
    for (int round = 0; round < 4; round++) {
        pthread_mutex_lock(&h->lock);
        struct wb *b = q_pop(w);
        if (b) {
            if (b->pub.canceled)
                w->state = W_DONE;
            else if (!w->qhead && w->state != W_UNSYNCED)
                efd_clear(w->efd);
            pthread_mutex_unlock(&h->lock);
            *out = &b->pub;
            return 0;
        }
        if (w->state == W_DONE) {
            efd_clear(w->efd);
            pthread_mutex_unlock(&h->lock);
            return -ECANCELED;
        }
        if (w->state != W_UNSYNCED) {
            efd_clear(w->efd);
            pthread_mutex_unlock(&h->lock);
            return -EAGAIN;
        }
        struct kvs *s = h->s;
        int64_t from = w->next_rev;
        h->active++;
        pthread_mutex_unlock(&h->lock);

        int64_t next = from, snap = 0, compact = 0;
        int rc = catchup(s, w, from, &b, &next, &snap, &compact);

        pthread_mutex_lock(&h->lock);
        if (--h->active == 0 && h->closed)
            pthread_cond_broadcast(&h->cond);
        if (rc || w->state != W_UNSYNCED) {
            pthread_mutex_unlock(&h->lock);
            if (b)
                kvs_watch_batch_free(&b->pub);
            if (rc)
                return rc;
            continue; /* cancelled meanwhile: the loop takes the last batch */
        }
        if (from < compact) {
            /* etcd: a watcher below the compaction revision gets compact_revision and is cancelled */
            struct wb *f = w->final;
            w->final = NULL;
            f->pub.canceled = true;
            f->pub.compact_revision = compact;
            f->pub.cancel_reason = "";
            w->state = W_DONE;
            pthread_mutex_unlock(&h->lock);
            if (b)
                kvs_watch_batch_free(&b->pub);
            *out = &f->pub;
            return 0;
        }
        w->next_rev = next;
        if (b && b->pub.revision > w->hdr_rev)
            w->hdr_rev = b->pub.revision; /* before any progress queued below */
        if (next > snap && h->published < next) {
            w->state = W_SYNCED;
            if (w->progress_pending) {
                w->progress_pending = false;
                push_progress(h, w);
            }
        }
        if (b) {
            w->sent_since_tick = true;
            if (w->state == W_SYNCED && !w->qhead)
                efd_clear(w->efd);
            pthread_mutex_unlock(&h->lock);
            *out = &b->pub;
            return 0;
        }
        pthread_mutex_unlock(&h->lock);
    }
    return -EAGAIN; /* still catching up: the eventfd stays readable */
}

int
kvs_watch_wait(struct kvs_watch *w, int timeout_ms, struct kvs_watch_batch **out)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        int rc = kvs_watch_poll(w, out);
        if (rc != -EAGAIN)
            return rc;
        int left = -1;
        if (timeout_ms >= 0) {
            struct timespec t;
            clock_gettime(CLOCK_MONOTONIC, &t);
            int64_t spent = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
            if (spent >= timeout_ms)
                return -EAGAIN;
            left = (int)(timeout_ms - spent);
        }
        struct pollfd p = { .fd = w->efd, .events = POLLIN };
        if (poll(&p, 1, left) < 0 && errno != EINTR)
            return -errno;
    }
}

int
kvs_watch_progress(struct kvs_watch *w)
{
    if (!w)
        return KC_EINVALID;
    struct hub *h = w->h;
    pthread_mutex_lock(&h->lock);
    int rc = 0;
    if (w->state == W_SYNCED)
        push_progress(h, w);
    else if (w->state == W_UNSYNCED)
        w->progress_pending = true;
    else
        rc = -ECANCELED;
    pthread_mutex_unlock(&h->lock);
    return rc;
}

void
kvs_watch_free(struct kvs_watch *w)
{
    if (!w)
        return;
    struct hub *h = w->h;
    if (h) {
        pthread_mutex_lock(&h->lock);
        if (w->prev)
            w->prev->next = w->next;
        else
            h->head = w->next;
        if (w->next)
            w->next->prev = w->prev;
        h->nwatchers--;
        struct wb *b;
        while ((b = q_pop(w)))
            kvs_watch_batch_free(&b->pub);
        hub_unref(h);
    }
    if (w->final)
        kvs_watch_batch_free(&w->final->pub);
    if (w->efd >= 0)
        close(w->efd);
    free(w->key);
    free(w->end);
    free(w);
}
