/* store.c - opening and closing the store, the single-node committer (group commit), submitting commands and
 * waiting for their results, and the public KV, compaction, alarm, stats and apply entry points.
 */
#include "kvs_int.h"
#include "kvs_wal.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "kc_fault.h"
#include "kc_log.h"

#define BATCH_MAX_CMDS  1024
#define BATCH_MAX_BYTES (16 << 20)
#define ALLOWED_FLAGS   (MDB_NOSYNC | MDB_NOMETASYNC | MDB_MAPASYNC | MDB_NORDAHEAD | MDB_NOMEMINIT)
#define SYNC_FLAGS      (MDB_NOSYNC | MDB_NOMETASYNC | MDB_MAPASYNC)

void
kvs_options_init(struct kvs_options *o)
{
    memset(o, 0, sizeof(*o));
    o->quota_bytes = 2LL << 30;
    o->initial_map_bytes = 64LL << 20;
    o->max_readers = 1024;
    o->max_txn_ops = 128;
    o->max_request_bytes = 1572864;
    o->min_lease_ttl = 2;
    o->lease_extend_ms = 1000;
    o->timer_interval_ms = 500;
    o->progress_interval_ms = 600000;
    o->watch_queue_batches = 1024;
    o->watch_queue_bytes = 64LL << 20;
    o->compact_batch_keys = 1000;
    o->primary = true;
    o->durability = KVS_DURABLE_WAL;
    o->checkpoint_interval_ms = 100;
}

int64_t
kvs_now(struct kvs *s)
{
    if (s->o.clock)
        return s->o.clock(s->o.clock_ctx);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Meta and read txns */

int
meta_get_i64(struct kvs *s, MDB_txn *txn, const char *name, int64_t *out)
{
    MDB_val k = { strlen(name), (void *)name }, v;
    int rc = mdb_get(txn, s->dbi_meta, &k, &v);
    if (rc == MDB_NOTFOUND)
        return KC_ENOTFOUND;
    if (rc)
        return lmdb_err(rc, "get meta");
    if (v.mv_size != 8)
        return KC_EINTERNAL;
    *out = (int64_t)get_le64(v.mv_data);
    return 0;
}

int
meta_put_i64(struct kvs *s, MDB_txn *txn, const char *name, int64_t val)
{
    uint8_t b[8];
    put_le64(b, (uint64_t)val);
    MDB_val k = { strlen(name), (void *)name }, v = { 8, b };
    return lmdb_err(mdb_put(txn, s->dbi_meta, &k, &v, 0), "put meta");
}

int
rtxn_begin(struct kvs *s, MDB_txn **txn)
{
    pthread_rwlock_rdlock(&s->maplock);
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
    if (rc) {
        pthread_rwlock_unlock(&s->maplock);
        return lmdb_err(rc, "txn_begin read");
    }
    return 0;
}

void
rtxn_end(struct kvs *s, MDB_txn *txn)
{
    mdb_txn_abort(txn);
    pthread_rwlock_unlock(&s->maplock);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Waiters */

static size_t
wbucket(uint64_t id)
{
    return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 56) % KVS_WAIT_BUCKETS;
}

static void
waiter_register(struct kvs *s, struct waiter *w)
{
    pthread_mutex_lock(&s->waitlock);
    size_t b = wbucket(w->req_id);
    w->next = s->wbuckets[b];
    s->wbuckets[b] = w;
    pthread_mutex_unlock(&s->waitlock);
}

struct waiter *
waiter_take(struct kvs *s, uint64_t req_id)
{
    if (req_id == 0)
        return NULL;
    pthread_mutex_lock(&s->waitlock);
    struct waiter **pp = &s->wbuckets[wbucket(req_id)];
    while (*pp && (*pp)->req_id != req_id)
        pp = &(*pp)->next;
    struct waiter *w = *pp;
    if (w)
        *pp = w->next;
    pthread_mutex_unlock(&s->waitlock);
    return w;
}

uint64_t
next_req_id(struct kvs *s)
{
    uint64_t id;
    do
        id = atomic_fetch_add(&s->next_req, 1);
    while (id == 0);
    return id;
}

void
waiter_complete(struct kvs *s, struct waiter *w, int err)
{
    w->err = err;
    atomic_fetch_sub(&s->inflight, w->cost);
    if (!w->done) {
        sem_post(&w->sem);
        return;
    }
    struct kvs_resp *resp = w->resp;
    if (err) {
        kvs_resp_free(resp);
        resp = NULL;
    }
    w->done(w->done_arg, err, resp);
    free(w);
}

int
waiter_wait(struct kvs *s, struct waiter *w)
{
    (void)s;
    while (sem_wait(&w->sem) != 0 && errno == EINTR)
        ;
    sem_destroy(&w->sem);
    return w->err;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Submitting */

static int
enqueue(struct kvs *s, uint8_t *data, size_t len, struct waiter *w)
{
    struct pending *p = kc_malloc(sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->next = NULL;
    p->data = data;
    p->len = len;
    p->w = w;
    pthread_mutex_lock(&s->qlock);
    if (s->stopping) {
        pthread_mutex_unlock(&s->qlock);
        free(p);
        return KC_EUNAVAILABLE;
    }
    *s->qtail = p;
    s->qtail = &p->next;
    pthread_cond_signal(&s->qcond);
    pthread_mutex_unlock(&s->qlock);
    return 0;
}

void
raise_alarm_async(struct kvs *s)
{
    if (atomic_load(&s->alarm) || atomic_exchange(&s->alarm_raising, true))
        return;
    KC_LOG(KC_LOG_WARN, "kvstore", "alarm raised", "alarm=NOSPACE quota=%lld", (long long)s->o.quota_bytes);
    struct bbuf b = { 0 };
    cmd_simple(&b, CMD_ALARM, next_req_id(s), 1, 0);
    if (b.oom) {
        free(b.p);
        atomic_store(&s->alarm_raising, false);
        return;
    }
    int rc;
    if (s->o.propose) {
        rc = s->o.propose(s->o.propose_ctx, b.p, b.len);
        free(b.p);
    } else {
        rc = enqueue(s, b.p, b.len, NULL);
        if (rc)
            free(b.p);
    }
    if (rc)
        atomic_store(&s->alarm_raising, false);
}

int
submit_start(struct kvs *s, struct bbuf *cmd, int64_t cost, struct waiter *w)
{
    if (cmd->oom) {
        free(cmd->p);
        return -ENOMEM;
    }
    if ((int64_t)cmd->len > s->o.max_request_bytes) {
        free(cmd->p);
        return KC_ETOOLARGE;
    }
    if (cost > 0 && atomic_load(&s->used_bytes) + atomic_load(&s->inflight) + cost >= s->o.quota_bytes) {
        /* etcd's quotaKVServer: refuse before proposing and raise the alarm */
        free(cmd->p);
        raise_alarm_async(s);
        return KC_ENOSPACE;
    }
    uint64_t req_id = cmd_req_id(cmd->p, cmd->len);
    bool async = w->done != NULL;
    w->req_id = req_id;
    w->cost = cost;
    w->err = 0;
    w->resp = NULL;
    if (!async)
        sem_init(&w->sem, 0, 0);
    atomic_fetch_add(&s->inflight, cost);
    if (!s->o.propose) {
        /* single node: the waiter travels with the command to the committer */
        int rc = enqueue(s, cmd->p, cmd->len, w);
        if (rc) {
            free(cmd->p);
            atomic_fetch_sub(&s->inflight, cost);
            if (!async)
                sem_destroy(&w->sem);
        }
        cmd->p = NULL;
        return rc;
    }
    waiter_register(s, w);
    int rc = s->o.propose(s->o.propose_ctx, cmd->p, cmd->len);
    free(cmd->p);
    cmd->p = NULL;
    if (rc) {
        /* not proposed; unless the log applied it already (then the waiter was taken and completed: an async one
         * is gone, its done has run) */
        if (waiter_take(s, req_id) == w) {
            atomic_fetch_sub(&s->inflight, cost);
            if (!async)
                sem_destroy(&w->sem);
            return rc;
        }
        if (async)
            return 0;
        waiter_wait(s, w);
        return rc;
    }
    return 0;
}

int
submit_wait(struct kvs *s, struct bbuf *cmd, int64_t cost, struct waiter *w)
{
    int rc = submit_start(s, cmd, cost, w);
    if (rc)
        return rc;
    return waiter_wait(s, w);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* The committer: takes every queued command, applies them as one batch (logging them first with
 * KVS_DURABLE_WAL), repeats; between batches it advances physical compaction and, when idle, finishes a
 * checkpoint whose record no batch carried. */

/* Waits (qlock held) for commands, stopping, compaction or checkpoint work; the latter sets *ck. */
static void
committer_wait(struct kvs *s, bool *ck)
{
    *ck = false;
    while (!s->qhead && !s->stopping && !s->compact_wanted) {
        int64_t wait_ns;
        if (ckpt_pending(s, &wait_ns)) {
            *ck = true;
            return;
        }
        if (wait_ns < 0) {
            pthread_cond_wait(&s->qcond, &s->qlock);
        } else {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            int64_t ns = (int64_t)ts.tv_nsec + wait_ns;
            ts.tv_sec += ns / 1000000000;
            ts.tv_nsec = ns % 1000000000;
            pthread_cond_timedwait(&s->qcond, &s->qlock, &ts);
        }
    }
}

static void *
committer_main(void *arg)
{
    struct kvs *s = arg;
    struct slot *slots = kc_calloc(BATCH_MAX_CMDS, sizeof(*slots));
    struct pending *taken[BATCH_MAX_CMDS];
    for (;;) {
        bool ck;
        pthread_mutex_lock(&s->qlock);
        committer_wait(s, &ck);
        if (!s->qhead && s->stopping) {
            pthread_mutex_unlock(&s->qlock);
            break;
        }
        size_t n = 0, bytes = 0;
        while (s->qhead && n < BATCH_MAX_CMDS && (n == 0 || bytes + s->qhead->len <= BATCH_MAX_BYTES)) {
            struct pending *p = s->qhead;
            s->qhead = p->next;
            bytes += p->len;
            taken[n++] = p;
        }
        if (!s->qhead)
            s->qtail = &s->qhead;
        bool compact = s->compact_wanted;
        pthread_mutex_unlock(&s->qlock);
        if (ck && n == 0) {
            ckpt_finish_idle(s);
            if (!compact)
                continue;
        }
        if (n && !slots) {
            /* no memory for the slot array: fail the commands one by one */
            for (size_t i = 0; i < n; i++) {
                if (taken[i]->w)
                    waiter_complete(s, taken[i]->w, -ENOMEM);
                free(taken[i]->data);
                free(taken[i]);
            }
            slots = kc_calloc(BATCH_MAX_CMDS, sizeof(*slots));
            continue;
        }
        if (n) {
            for (size_t i = 0; i < n; i++) {
                memset(&slots[i], 0, sizeof(slots[i]));
                slots[i].data = taken[i]->data;
                slots[i].len = taken[i]->len;
                slots[i].w = taken[i]->w;
            }
            apply_batch(s, slots, n);
            for (size_t i = 0; i < n; i++) {
                if (slots[i].w) /* refused before anything was applied (closing) */
                    waiter_complete(s, slots[i].w, KC_EUNAVAILABLE);
                arena_free(&slots[i].ar);
                arena_free(&slots[i].evar);
                free(taken[i]->data);
                free(taken[i]);
            }
            /* interleave physical compaction with batches, and retry a step that failed */
            if (atomic_load(&s->phys_rev) < atomic_load(&s->compact_rev))
                compact = true;
        }
        if (compact && compact_work(s) == 0) {
            pthread_mutex_lock(&s->qlock);
            if (atomic_load(&s->phys_rev) >= atomic_load(&s->compact_rev))
                s->compact_wanted = false;
            else if (!s->qhead)
                s->compact_wanted = false; /* a step failed: retry on the next compaction or batch */
            pthread_mutex_unlock(&s->qlock);
        }
    }
    free(slots);
    return NULL;
}

static void *
timer_main(void *arg)
{
    struct kvs *s = arg;
    pthread_mutex_lock(&s->tlock);
    while (!s->timer_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t ns = (int64_t)ts.tv_nsec + (int64_t)s->o.timer_interval_ms * 1000000;
        ts.tv_sec += ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        pthread_cond_timedwait(&s->tcond, &s->tlock, &ts);
        if (s->timer_stop)
            break;
        pthread_mutex_unlock(&s->tlock);
        kvs_tick(s);
        pthread_mutex_lock(&s->tlock);
    }
    pthread_mutex_unlock(&s->tlock);
    return NULL;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Open and close */

static int
init_meta(struct kvs *s, MDB_txn *txn)
{
    int64_t format = 0;
    int rc = meta_get_i64(s, txn, "format", &format);
    if (rc == KC_ENOTFOUND) {
        static const struct {
            const char *name;
            int64_t v;
        } init[] = { { "format", KVS_FORMAT }, { "rev", 1 },   { "compact_rev", -1 },
                     { "applied", 0 },         { "alarm", 0 }, { "phys_rev", -1 } };
        rc = 0;
        for (size_t i = 0; i < sizeof(init) / sizeof(init[0]) && !rc; i++)
            rc = meta_put_i64(s, txn, init[i].name, init[i].v);
        if (rc)
            return rc;
        format = KVS_FORMAT;
    } else if (rc) {
        return rc;
    }
    if (format != KVS_FORMAT) {
        KC_LOG(KC_LOG_ERROR, "kvstore", "unknown data format", "dir=%s format=%lld", s->dir, (long long)format);
        return KC_EINTERNAL;
    }
    int64_t rev = 0, compact = 0, applied = 0, alarm = 0, phys = 0;
    rc = meta_get_i64(s, txn, "rev", &rev);
    if (!rc)
        rc = meta_get_i64(s, txn, "compact_rev", &compact);
    if (!rc)
        rc = meta_get_i64(s, txn, "applied", &applied);
    if (!rc)
        rc = meta_get_i64(s, txn, "alarm", &alarm);
    if (!rc)
        rc = meta_get_i64(s, txn, "phys_rev", &phys);
    if (rc)
        return rc == KC_ENOTFOUND ? KC_EINTERNAL : rc;
    atomic_store(&s->rev, rev);
    atomic_store(&s->compact_rev, compact);
    atomic_store(&s->applied, (uint64_t)applied);
    atomic_store(&s->alarm, alarm != 0);
    atomic_store(&s->phys_rev, phys);
    s->compact_wanted = phys < compact;
    return 0;
}

static int
open_env(struct kvs *s)
{
    int rc = mdb_env_create(&s->env);
    if (rc)
        return lmdb_err(rc, "env_create");
    mdb_env_set_maxdbs(s->env, 8);
    mdb_env_set_maxreaders(s->env, s->o.max_readers);

    int64_t reserve = s->o.quota_bytes / 16;
    if (reserve < (4 << 20))
        reserve = 4 << 20;
    s->map_cap = s->o.quota_bytes + reserve;
    int64_t initial = s->o.initial_map_bytes < s->map_cap ? s->o.initial_map_bytes : s->map_cap;
    char path[4096];
    snprintf(path, sizeof(path), "%s/data.mdb", s->dir);
    struct stat st;
    if (stat(path, &st) == 0 && st.st_size > initial) {
        initial = ((int64_t)st.st_size + (1 << 20) - 1) & ~(int64_t)((1 << 20) - 1);
        if (initial > s->map_cap)
            s->map_cap = initial; /* a store already past its quota opens, full */
    }
    mdb_env_set_mapsize(s->env, (size_t)initial);
    /* The sync flags are the store's business. With the log, LMDB syncs itself until recovery is done and the
     * first checkpoint is in the log (wal_recover), then runs with MDB_NOSYNC. Without it, a sync flag asks for an
     * explicit sync after each commit, with MDB_NOMETASYNC, which keeps the file consistent on a power loss
     * (MDB_NOSYNC alone would not). */
    unsigned flags = MDB_NOTLS | (s->o.lmdb_flags & ~(unsigned)SYNC_FLAGS);
    if (!s->wal && (s->o.lmdb_flags & SYNC_FLAGS))
        flags |= MDB_NOMETASYNC;
    rc = mdb_env_open(s->env, s->dir, flags, 0600);
    if (rc)
        return lmdb_err(rc, "env_open");
    int dead = 0;
    mdb_reader_check(s->env, &dead);
    MDB_envinfo info;
    MDB_stat mst;
    mdb_env_info(s->env, &info);
    mdb_env_stat(s->env, &mst);
    s->map_size = (int64_t)info.me_mapsize;
    if (s->map_size > s->map_cap)
        s->map_cap = s->map_size;
    s->psize = mst.ms_psize;
    int maxkey = mdb_env_get_maxkeysize(s->env);
    if (maxkey < 128)
        return KC_EINTERNAL;
    s->maxkey = maxkey > 511 ? 511 : (size_t)maxkey; /* the index code uses 512-byte key buffers */
    s->prefix_len = s->maxkey - KVS_HASH_LEN;

    MDB_txn *txn;
    rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (rc)
        return lmdb_err(rc, "txn_begin");
    rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->dbi_meta);
    if (!rc)
        rc = mdb_dbi_open(txn, "rev", MDB_CREATE, &s->dbi_rev);
    if (!rc)
        rc = mdb_dbi_open(txn, "idx", MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED, &s->dbi_idx);
    if (!rc)
        rc = mdb_dbi_open(txn, "lease", MDB_CREATE, &s->dbi_lease);
    if (!rc)
        rc = mdb_dbi_open(txn, "lkeys", MDB_CREATE, &s->dbi_lkeys);
    rc = lmdb_err(rc, "dbi_open");
    if (!rc)
        rc = init_meta(s, txn);
    if (!rc)
        rc = lmdb_err(mdb_txn_commit(txn), "commit");
    else
        mdb_txn_abort(txn);
    return rc == MDB_MAP_FULL ? KC_ENOSPACE : rc;
}

int
kvs_open(const struct kvs_options *o, struct kvs **out)
{
    if (!o || !o->dir || !*o->dir || !out || o->quota_bytes <= 0 || o->max_txn_ops < 0 ||
        (o->lmdb_flags & ~(unsigned)ALLOWED_FLAGS) || o->max_request_bytes <= 0 ||
        (o->durability != KVS_DURABLE_WAL && o->durability != KVS_DURABLE_LMDB) ||
        (o->wal_segment_bytes && o->wal_segment_bytes < KVS_WAL_SEGMENT_MIN))
        return KC_EINVALID;
    struct kvs *s = kc_calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->o = *o;
    if (s->o.initial_map_bytes <= 0)
        s->o.initial_map_bytes = 64LL << 20;
    if (!s->o.max_readers)
        s->o.max_readers = 1024;
    if (s->o.watch_queue_batches <= 0)
        s->o.watch_queue_batches = 1024;
    if (s->o.watch_queue_bytes <= 0)
        s->o.watch_queue_bytes = 64LL << 20;
    if (s->o.compact_batch_keys <= 0)
        s->o.compact_batch_keys = 1000;
    if (s->o.progress_interval_ms <= 0)
        s->o.progress_interval_ms = 600000;
    s->explicit_sync = o->durability == KVS_DURABLE_LMDB && (o->lmdb_flags & SYNC_FLAGS) != 0;
    s->data_fd = -1;
    s->dir = kc_strdup(o->dir);
    s->qtail = &s->qhead;
    s->primary = o->primary;
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&s->maplock, &ra);
    pthread_rwlockattr_destroy(&ra);
    pthread_mutex_init(&s->wlock, NULL);
    pthread_mutex_init(&s->qlock, NULL);
    pthread_cond_init(&s->compact_cond, NULL);
    pthread_cond_init(&s->ck_cond, NULL);
    pthread_mutex_init(&s->waitlock, NULL);
    pthread_mutex_init(&s->lease_lock, NULL);
    pthread_mutex_init(&s->tlock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->tcond, &ca);
    pthread_cond_init(&s->qcond, &ca);
    pthread_condattr_destroy(&ca);
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
        seed = (uint64_t)kvs_now(s) ^ (uint64_t)(uintptr_t)s;
    atomic_store(&s->next_req, seed | 1);

    int rc = s->dir ? 0 : -ENOMEM;
    if (!rc && mkdir(s->dir, 0700) != 0 && errno != EEXIST)
        rc = -errno;
    if (!rc) {
        /* with KVS_DURABLE_LMDB too, a log left by a KVS_DURABLE_WAL use is replayed (and then removed) */
        char walpath[4096];
        struct stat wst;
        snprintf(walpath, sizeof(walpath), "%s/wal", s->dir);
        if (o->durability == KVS_DURABLE_WAL || stat(walpath, &wst) == 0)
            rc = wal_open_restore(s);
    }
    if (!rc)
        rc = open_env(s);
    if (!rc)
        rc = lease_mem_load(s);
    if (!rc)
        rc = hub_new(s, &s->hub);
    if (!rc)
        rc = wal_recover(s);
    if (!rc) {
        update_usage(s);
        s->last_progress = kvs_now(s);
        if (pthread_create(&s->committer, NULL, committer_main, s) != 0)
            rc = -EAGAIN;
        else
            s->committer_started = true;
    }
    if (!rc && o->timer_interval_ms >= 0) {
        if (pthread_create(&s->timer, NULL, timer_main, s) != 0)
            rc = -EAGAIN;
        else
            s->timer_started = true;
    }
    if (rc) {
        kvs_close(s);
        return rc;
    }
    KC_LOG(KC_LOG_INFO, "kvstore", "opened", "dir=%s rev=%lld applied=%llu", s->dir, (long long)atomic_load(&s->rev),
           (unsigned long long)atomic_load(&s->applied));
    *out = s;
    return 0;
}

void
kvs_close(struct kvs *s)
{
    if (!s)
        return;
    if (s->timer_started) {
        pthread_mutex_lock(&s->tlock);
        s->timer_stop = true;
        pthread_cond_broadcast(&s->tcond);
        pthread_mutex_unlock(&s->tlock);
        pthread_join(s->timer, NULL);
    }
    pthread_mutex_lock(&s->qlock);
    s->stopping = true;
    pthread_cond_broadcast(&s->qcond);
    pthread_cond_broadcast(&s->compact_cond);
    pthread_mutex_unlock(&s->qlock);
    if (s->committer_started)
        pthread_join(s->committer, NULL);
    wal_close(s);
    pthread_mutex_lock(&s->wlock);
    s->closed = true;
    pthread_mutex_unlock(&s->wlock);
    /* callers still waiting (Raft mode: proposed, never applied) */
    pthread_mutex_lock(&s->waitlock);
    for (size_t b = 0; b < KVS_WAIT_BUCKETS; b++) {
        struct waiter *w = s->wbuckets[b];
        s->wbuckets[b] = NULL;
        while (w) {
            struct waiter *next = w->next;
            waiter_complete(s, w, KC_EUNAVAILABLE);
            w = next;
        }
    }
    pthread_mutex_unlock(&s->waitlock);
    while (s->qhead) { /* only if the committer never started */
        struct pending *p = s->qhead;
        s->qhead = p->next;
        if (p->w)
            waiter_complete(s, p->w, KC_EUNAVAILABLE);
        free(p->data);
        free(p);
    }
    if (s->hub)
        hub_close(s->hub);
    if (s->env)
        mdb_env_close(s->env);
    lease_mem_free(s);
    pthread_rwlock_destroy(&s->maplock);
    pthread_mutex_destroy(&s->wlock);
    pthread_mutex_destroy(&s->qlock);
    pthread_cond_destroy(&s->qcond);
    pthread_cond_destroy(&s->compact_cond);
    pthread_cond_destroy(&s->ck_cond);
    pthread_mutex_destroy(&s->waitlock);
    pthread_mutex_destroy(&s->lease_lock);
    pthread_mutex_destroy(&s->tlock);
    pthread_cond_destroy(&s->tcond);
    free(s->dir);
    free(s);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* KV */

void
kvs_resp_free(struct kvs_resp *resp)
{
    if (resp)
        arena_free_self(resp->priv);
}

int
kvs_range_lend(struct kvs *s, const struct kvs_range_req *req, kvs_lend_fn fn, void *arg)
{
    if (!s || !req || !fn)
        return KC_EINVALID;
    int rc = check_range(req);
    if (rc)
        return rc;
    MDB_txn *txn;
    rc = rtxn_begin(s, &txn);
    if (rc)
        return rc;
    struct view v;
    rc = view_open_read(&v, s, txn);
    if (rc) {
        rtxn_end(s, txn);
        return rc;
    }
    struct arena ra = { 0 }; /* the array of pairs; the bytes stay LMDB's */
    struct kvs_resp resp = { 0 };
    rc = mvcc_range_lend(&v, v.rev, req, &ra, &resp);
    if (rc == 0)
        rc = fn(arg, &resp);
    view_close(&v);
    rtxn_end(s, txn);
    arena_free(&ra);
    return rc;
}

int
kvs_range(struct kvs *s, const struct kvs_range_req *req, struct kvs_resp **out)
{
    if (!s || !req || !out)
        return KC_EINVALID;
    int rc = check_range(req);
    if (rc)
        return rc;
    MDB_txn *txn;
    rc = rtxn_begin(s, &txn);
    if (rc)
        return rc;
    struct view v;
    rc = view_open_read(&v, s, txn);
    if (rc) {
        rtxn_end(s, txn);
        return rc;
    }
    struct arena *ra = arena_new();
    struct kvs_resp *resp = ra ? arena_alloc(ra, sizeof(*resp)) : NULL;
    if (!resp) {
        rc = -ENOMEM;
    } else {
        resp->priv = ra;
        rc = mvcc_range(&v, v.rev, req, ra, resp);
    }
    view_close(&v);
    rtxn_end(s, txn);
    if (rc) {
        arena_free_self(ra);
        return rc;
    }
    *out = resp;
    return 0;
}

static int
submit_kv(struct kvs *s, struct bbuf *b, int64_t cost, struct kvs_resp **out)
{
    struct waiter w = { 0 };
    int rc = submit_wait(s, b, cost, &w);
    if (rc) {
        kvs_resp_free(w.resp);
        return rc;
    }
    *out = w.resp;
    return 0;
}

static int
submit_async(struct kvs *s, struct bbuf *b, int64_t cost, kvs_done_fn done, void *arg)
{
    struct waiter *w = kc_calloc(1, sizeof(*w));
    if (!w) {
        free(b->p);
        return -ENOMEM;
    }
    w->done = done;
    w->done_arg = arg;
    int rc = submit_start(s, b, cost, w);
    if (rc)
        free(w);
    return rc;
}

int
kvs_put_async(struct kvs *s, const struct kvs_put_req *req, kvs_done_fn done, void *arg)
{
    if (!s || !req || !done)
        return KC_EINVALID;
    int rc = check_put(req);
    if (rc)
        return rc;
    struct bbuf b = { 0 };
    cmd_put(&b, next_req_id(s), req);
    struct cmd c = { .type = CMD_PUT, .put = *req };
    return submit_async(s, &b, cmd_cost(&c), done, arg);
}

int
kvs_delete_range_async(struct kvs *s, const struct kvs_delete_req *req, kvs_done_fn done, void *arg)
{
    if (!s || !req || !done)
        return KC_EINVALID;
    int rc = check_delete(req);
    if (rc)
        return rc;
    struct bbuf b = { 0 };
    cmd_delete(&b, next_req_id(s), req);
    return submit_async(s, &b, 0, done, arg);
}

int
kvs_txn_async(struct kvs *s, const struct kvs_txn_req *req, kvs_done_fn done, void *arg)
{
    if (!s || !req || !done)
        return KC_EINVALID;
    int rc = check_txn(req, s->o.max_txn_ops);
    if (rc)
        return rc;
    if (txn_is_readonly(req)) {
        struct kvs_resp *resp;
        rc = txn_readonly(s, req, &resp);
        if (rc)
            return rc;
        done(arg, 0, resp);
        return 0;
    }
    struct bbuf b = { 0 };
    cmd_txn(&b, next_req_id(s), req);
    return submit_async(s, &b, txn_cost(req), done, arg);
}

int
kvs_put(struct kvs *s, const struct kvs_put_req *req, struct kvs_resp **out)
{
    if (!s || !req || !out)
        return KC_EINVALID;
    int rc = check_put(req);
    if (rc)
        return rc;
    struct bbuf b = { 0 };
    cmd_put(&b, next_req_id(s), req);
    struct cmd c = { .type = CMD_PUT, .put = *req };
    return submit_kv(s, &b, cmd_cost(&c), out);
}

int
kvs_delete_range(struct kvs *s, const struct kvs_delete_req *req, struct kvs_resp **out)
{
    if (!s || !req || !out)
        return KC_EINVALID;
    int rc = check_delete(req);
    if (rc)
        return rc;
    struct bbuf b = { 0 };
    cmd_delete(&b, next_req_id(s), req);
    return submit_kv(s, &b, 0, out);
}

int
kvs_txn(struct kvs *s, const struct kvs_txn_req *req, struct kvs_resp **out)
{
    if (!s || !req || !out)
        return KC_EINVALID;
    int rc = check_txn(req, s->o.max_txn_ops);
    if (rc)
        return rc;
    if (txn_is_readonly(req))
        return txn_readonly(s, req, out);
    struct bbuf b = { 0 };
    cmd_txn(&b, next_req_id(s), req);
    return submit_kv(s, &b, txn_cost(req), out);
}

int
kvs_compact(struct kvs *s, int64_t rev, bool physical, int64_t *revision)
{
    if (!s)
        return KC_EINVALID;
    struct bbuf b = { 0 };
    cmd_simple(&b, CMD_COMPACT, next_req_id(s), rev, 0);
    struct waiter w = { 0 };
    int rc = submit_wait(s, &b, 0, &w);
    if (rc)
        return rc;
    if (physical) {
        /* etcd's physical flag: wait until the history is gone from the database (or a step fails) */
        pthread_mutex_lock(&s->qlock);
        s->compact_err = 0;
        s->compact_wanted = true; /* (re)start the steps: an earlier failure must not leave us waiting */
        pthread_cond_broadcast(&s->qcond);
        while (atomic_load(&s->phys_rev) < rev && !s->stopping && !s->compact_err)
            pthread_cond_wait(&s->compact_cond, &s->qlock);
        rc = atomic_load(&s->phys_rev) >= rev ? 0 : s->stopping ? KC_EUNAVAILABLE : s->compact_err;
        pthread_mutex_unlock(&s->qlock);
        if (rc)
            return rc;
    }
    if (revision)
        *revision = w.rev;
    return 0;
}

int64_t
kvs_revision(struct kvs *s)
{
    return atomic_load(&s->rev);
}

int64_t
kvs_compact_revision(struct kvs *s)
{
    return atomic_load(&s->compact_rev);
}

uint64_t
kvs_applied_index(struct kvs *s)
{
    return atomic_load(&s->applied);
}

bool
kvs_alarm_active(struct kvs *s)
{
    return atomic_load(&s->alarm);
}

int
kvs_alarm_disarm(struct kvs *s)
{
    if (!s)
        return KC_EINVALID;
    struct bbuf b = { 0 };
    cmd_simple(&b, CMD_ALARM, next_req_id(s), 0, 0);
    struct waiter w = { 0 };
    return submit_wait(s, &b, 0, &w);
}

int
kvs_stat(struct kvs *s, struct kvs_stats *out)
{
    if (!s || !out)
        return KC_EINVALID;
    pthread_mutex_lock(&s->wlock);
    update_usage(s);
    int64_t map = s->map_size;
    pthread_mutex_unlock(&s->wlock);
    memset(out, 0, sizeof(*out));
    out->revision = atomic_load(&s->rev);
    out->compact_revision = atomic_load(&s->compact_rev);
    out->applied_index = atomic_load(&s->applied);
    out->db_size = atomic_load(&s->db_size);
    out->db_size_in_use = atomic_load(&s->used_bytes);
    if (out->db_size_in_use == out->db_size) {
        /* update_usage only walks the free list near the quota; stats always want it */
        MDB_txn *txn;
        if (rtxn_begin(s, &txn) == 0) {
            MDB_cursor *c;
            int64_t pages = 0;
            if (mdb_cursor_open(txn, 0, &c) == 0) {
                MDB_val k, v;
                while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0)
                    if (v.mv_size >= sizeof(size_t))
                        pages += (int64_t) * (const size_t *)v.mv_data;
                mdb_cursor_close(c);
            }
            rtxn_end(s, txn);
            out->db_size_in_use = out->db_size - pages * (int64_t)s->psize;
        }
    }
    out->map_size = map;
    out->nospace_alarm = atomic_load(&s->alarm);
    pthread_mutex_lock(&s->lease_lock);
    out->leases = (int64_t)s->leases.n;
    pthread_mutex_unlock(&s->lease_lock);
    out->watchers = hub_watchers(s->hub);
    out->physical_compact_revision = atomic_load(&s->phys_rev);
    out->commits = atomic_load(&s->commits);
    out->commands = atomic_load(&s->commands);
    out->checkpoints = atomic_load(&s->checkpoints);
    pthread_mutex_lock(&s->wlock);
    out->wal_syncs = s->wal ? kvs_wal_syncs(s->wal) : 0;
    pthread_mutex_unlock(&s->wlock);
    return 0;
}

int
kvs_checkpoint(struct kvs *s)
{
    if (!s)
        return KC_EINVALID;
    pthread_mutex_lock(&s->wlock);
    int rc = s->closed ? KC_EUNAVAILABLE : ckpt_now(s, true);
    pthread_mutex_unlock(&s->wlock);
    return rc;
}

int
kvs_apply(struct kvs *s, const struct kvs_entry *entries, size_t n, int *results)
{
    if (!s || (n && !entries))
        return KC_EINVALID;
    if (n == 0)
        return 0;
    for (size_t i = 1; i < n; i++)
        if (entries[i].index <= entries[i - 1].index)
            return KC_EINVALID;
    if (entries[0].index == 0)
        return KC_EINVALID;
    struct slot *slots = kc_calloc(n, sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        slots[i].index = entries[i].index;
        slots[i].data = entries[i].data;
        slots[i].len = entries[i].len;
    }
    int rc = apply_batch(s, slots, n);
    bool none = rc == KC_EINVALID || rc == KC_EUNAVAILABLE; /* refused before anything */
    for (size_t i = 0; i < n; i++) {
        if (results)
            results[i] = none ? rc : slots[i].skipped ? KVS_APPLY_SKIPPED : slots[i].err;
        arena_free(&slots[i].ar);
        arena_free(&slots[i].evar);
    }
    free(slots);
    return rc;
}
