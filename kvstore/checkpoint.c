/* checkpoint.c - the store's durability on the write-ahead log (KVS_DURABLE_WAL): each batch is logged and synced
 * before LMDB applies it without a sync; checkpoints make LMDB's state durable in the background and trim the log;
 * opening restores the last checkpoint and replays the log. docs/kvstore.md ("Durability") has the argument why
 * neither kill -9 nor a power loss can lose an acknowledged write or corrupt LMDB's file.
 *
 * Why it is safe, in short: LMDB never overwrites a page of a tree that a read txn still sees. The store keeps
 * such a txn (the pin) on the state of the last checkpoint, whose pages were fdatasync'ed and whose two meta pages
 * are copied into the checkpoint record of the log. Whatever a crash leaves of LMDB's later, unsynced writes, the
 * pinned tree is intact on disk; opening writes the recorded meta pages back, which makes LMDB see exactly that
 * tree, and replays the commands logged after it (each command is in the log, synced, before LMDB applies it).
 */
#include "kvs_int.h"
#include "kvs_wal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "kc_fault.h"
#include "kc_log.h"

#define CKPT_VERSION        1
#define CKPT_FIXED          16 /* version u32, page size u32, LMDB txn id u64 */
#define REPLAY_CHUNK        1024
#define CKPT_DEFAULT_MS     100
#define CKPT_GROWTH_MIN_PGS 256 /* LMDB pages allocated past the pinned state that trigger a checkpoint early */

static int64_t
mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t
interval_ns(const struct kvs *s)
{
    int ms = s->o.checkpoint_interval_ms > 0 ? s->o.checkpoint_interval_ms : CKPT_DEFAULT_MS;
    return (int64_t)ms * 1000000;
}

static size_t
last_pgno(struct kvs *s)
{
    MDB_envinfo info;
    return mdb_env_info(s->env, &info) == 0 ? info.me_last_pgno : 0;
}

static int
pin_current(struct kvs *s, MDB_txn **out)
{
    return lmdb_err(mdb_txn_begin(s->env, NULL, MDB_RDONLY, out), "txn_begin pin");
}

static void
unpin(MDB_txn **t)
{
    if (*t) {
        mdb_txn_abort(*t);
        *t = NULL;
    }
}

static void
fail_stop(struct kvs *s, int err, const char *what)
{
    if (!s->wal_err)
        KC_LOG(KC_LOG_ERROR, "kvstore", "writes stopped: durability lost", "dir=%s what=\"%s\" err=\"%s\"", s->dir,
               what, kc_strerror(err));
    s->wal_err = err;
}

/* The checkpoint record of the current state: LMDB's two meta pages read through its file (the page cache holds
 * the last commit's). */
static int
ck_build(struct kvs *s, uint8_t **rec, size_t *len)
{
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    size_t n = CKPT_FIXED + 2 * s->psize;
    uint8_t *r = kc_malloc(n);
    if (!r)
        return -ENOMEM;
    put_le32(r, CKPT_VERSION);
    put_le32(r + 4, (uint32_t)s->psize);
    put_le64(r + 8, (uint64_t)info.me_last_txnid);
    ssize_t got = pread(s->data_fd, r + CKPT_FIXED, 2 * s->psize, 0);
    if (got != (ssize_t)(2 * s->psize)) {
        int e = got < 0 ? -errno : -EIO;
        free(r);
        return e;
    }
    *rec = r;
    *len = n;
    return 0;
}

static void
ck_abandon(struct kvs *s)
{
    unpin(&s->ck_pin);
    free(s->ck_rec);
    s->ck_rec = NULL;
    pthread_mutex_lock(&s->qlock);
    s->ck_state = CK_IDLE;
    pthread_mutex_unlock(&s->qlock);
}

/* The synced checkpoint's record is durable: its state becomes the pinned one, the log before it goes. */
static void
ck_install(struct kvs *s)
{
    unpin(&s->pin);
    s->pin = s->ck_pin;
    s->ck_pin = NULL;
    s->pin_applied = s->ck_applied;
    s->pin_pgno = s->ck_pgno;
    free(s->ck_rec);
    s->ck_rec = NULL;
    kvs_wal_trim(s->wal, (struct kvs_wal_pos){ s->ck_pos.seq, s->ck_pos.off });
    atomic_fetch_add(&s->checkpoints, 1);
    pthread_mutex_lock(&s->qlock);
    s->ck_state = CK_IDLE;
    pthread_mutex_unlock(&s->qlock);
}

int
wal_log_batch(struct kvs *s, const struct slot *slots, size_t n)
{
    if (!s->wal || s->replaying)
        return 0;
    if (s->wal_err)
        return s->wal_err;
    pthread_mutex_lock(&s->qlock);
    bool ck = s->ck_state == CK_SYNCED;
    int ck_err = s->ck_err;
    pthread_mutex_unlock(&s->qlock);
    if (ck && ck_err) {
        /* LMDB's file could not be synced: it must never be trusted past the last good checkpoint again */
        ck_abandon(s);
        fail_stop(s, ck_err, "checkpoint data sync");
        return ck_err;
    }
    uint64_t applied = atomic_load(&s->applied);
    size_t recs = ck ? 1 : 0, bytes = ck ? s->ck_len : 0;
    for (size_t i = 0; i < n; i++)
        if (slots[i].index > applied) {
            recs++;
            bytes += slots[i].len;
        }
    if (recs == 0)
        return 0;
    int rc = kvs_wal_reserve(s->wal, recs, bytes);
    if (rc)
        return rc; /* no memory: nothing logged, the batch fails, the store goes on */
    if (ck)
        rc = kvs_wal_append(s->wal, WAL_REC_CKPT, s->ck_applied, s->ck_rec, s->ck_len);
    for (size_t i = 0; i < n && !rc; i++)
        if (slots[i].index > applied)
            rc = kvs_wal_append(s->wal, WAL_REC_CMD, slots[i].index, slots[i].data, slots[i].len);
    if (!rc)
        rc = kvs_wal_sync(s->wal);
    if (rc) {
        if (ck)
            ck_abandon(s);
        fail_stop(s, rc, "log write");
        return rc;
    }
    if (ck)
        ck_install(s);
    return 0;
}

int
wal_log_void(struct kvs *s, uint64_t index)
{
    if (!s->wal || s->replaying || s->wal_err)
        return s->wal_err;
    int rc = kvs_wal_reserve(s->wal, 1, 0);
    if (!rc)
        rc = kvs_wal_append(s->wal, WAL_REC_VOID, index, NULL, 0);
    if (!rc)
        rc = kvs_wal_sync(s->wal);
    if (rc)
        fail_stop(s, rc, "log write"); /* the entries would come back at replay: stop rather than risk it */
    return rc;
}

void
ckpt_maybe_start(struct kvs *s)
{
    if (!s->wal || s->wal_err || s->replaying || !atomic_load(&s->ck_dirty))
        return;
    pthread_mutex_lock(&s->qlock);
    bool idle = s->ck_state == CK_IDLE;
    pthread_mutex_unlock(&s->qlock);
    if (!idle)
        return;
    int64_t now = mono_ns();
    size_t pgno = last_pgno(s);
    size_t trigger = (size_t)(s->map_size / (int64_t)s->psize / 16);
    if (trigger < CKPT_GROWTH_MIN_PGS)
        trigger = CKPT_GROWTH_MIN_PGS;
    if (now - atomic_load(&s->ck_last_ns) < interval_ns(s) && pgno < s->pin_pgno + trigger)
        return;
    uint8_t *rec;
    size_t len;
    MDB_txn *pin = NULL;
    if (ck_build(s, &rec, &len) != 0) {
        atomic_store(&s->ck_last_ns, now); /* tried again after an interval */
        return;
    }
    if (pin_current(s, &pin) != 0) {
        free(rec);
        atomic_store(&s->ck_last_ns, now);
        return;
    }
    s->ck_rec = rec;
    s->ck_len = len;
    s->ck_pin = pin;
    s->ck_applied = atomic_load(&s->applied);
    s->ck_pgno = pgno;
    struct kvs_wal_pos e = kvs_wal_end(s->wal);
    s->ck_pos = (struct wal_pos){ e.seq, e.off };
    atomic_store(&s->ck_last_ns, now);
    atomic_store(&s->ck_dirty, false);
    /* past half the active segment, the checkpoint thread also prepares the next one (not at once after an open:
     * writing a segment's zeros would slow the first writes' syncs) */
    bool spare = e.off > (uint64_t)(s->o.wal_segment_bytes ? s->o.wal_segment_bytes : KVS_WAL_SEGMENT_DEFAULT) / 2;
    pthread_mutex_lock(&s->qlock);
    s->ck_state = CK_SYNCING;
    s->ck_spare = spare;
    s->ck_gen++;
    pthread_cond_signal(&s->ck_cond);
    pthread_mutex_unlock(&s->qlock);
}

bool
ckpt_pending(struct kvs *s, int64_t *wait_ns)
{
    *wait_ns = -1;
    if (!s->wal || s->wal_err)
        return false;
    if (s->ck_state == CK_SYNCED)
        return true;
    if (s->ck_state != CK_IDLE || !atomic_load(&s->ck_dirty))
        return false;
    int64_t left = atomic_load(&s->ck_last_ns) + interval_ns(s) - mono_ns();
    if (left <= 0)
        return true;
    *wait_ns = left;
    return false;
}

void
ckpt_finish_idle(struct kvs *s)
{
    pthread_mutex_lock(&s->wlock);
    if (!s->closed) {
        pthread_mutex_lock(&s->qlock);
        bool synced = s->ck_state == CK_SYNCED;
        pthread_mutex_unlock(&s->qlock);
        if (synced)
            wal_log_batch(s, NULL, 0);
        else
            ckpt_maybe_start(s);
    }
    pthread_mutex_unlock(&s->wlock);
}

/* The checkpoint thread: syncs LMDB's file for each captured state (the only slow step of a checkpoint, kept off
 * the committer) and keeps a spare log segment ready. */
static void *
ckpt_main(void *arg)
{
    struct kvs *s = arg;
    uint64_t taken = 0;
    pthread_mutex_lock(&s->qlock);
    for (;;) {
        while (!s->ck_stop && !(s->ck_state == CK_SYNCING && s->ck_gen != taken))
            pthread_cond_wait(&s->ck_cond, &s->qlock);
        if (s->ck_stop)
            break;
        uint64_t gen = taken = s->ck_gen;
        bool spare = s->ck_spare;
        pthread_mutex_unlock(&s->qlock);
        int rc = kc_fdatasync(s->data_fd) == 0 ? 0 : -errno;
        if (spare)
            kvs_wal_prepare(s->wal); /* the next segment, before the active one is full */
        pthread_mutex_lock(&s->qlock);
        if (s->ck_gen == gen && s->ck_state == CK_SYNCING) {
            s->ck_state = CK_SYNCED;
            s->ck_err = rc;
            pthread_cond_signal(&s->qcond);
        }
    }
    pthread_mutex_unlock(&s->qlock);
    return NULL;
}

int
ckpt_now(struct kvs *s, bool repin)
{
    if (!s->wal)
        return 0;
    if (s->wal_err)
        return s->wal_err;
    /* supersedes a checkpoint in flight: its thread's result is ignored (generation) */
    pthread_mutex_lock(&s->qlock);
    s->ck_gen++;
    s->ck_state = CK_IDLE;
    pthread_mutex_unlock(&s->qlock);
    unpin(&s->ck_pin);
    free(s->ck_rec);
    s->ck_rec = NULL;
    if (kc_fdatasync(s->data_fd) != 0) {
        int rc = -errno;
        fail_stop(s, rc, "checkpoint data sync");
        return rc;
    }
    uint8_t *rec = NULL;
    size_t len = 0;
    int rc = ck_build(s, &rec, &len);
    if (!rc)
        rc = kvs_wal_reserve(s->wal, 1, len);
    if (rc) {
        free(rec);
        return rc;
    }
    struct kvs_wal_pos before = kvs_wal_end(s->wal);
    uint64_t applied = atomic_load(&s->applied);
    rc = kvs_wal_append(s->wal, WAL_REC_CKPT, applied, rec, len);
    free(rec);
    if (!rc)
        rc = kvs_wal_sync(s->wal);
    if (rc) {
        fail_stop(s, rc, "log write");
        return rc;
    }
    unpin(&s->pin);
    s->pin_applied = applied;
    s->pin_pgno = last_pgno(s);
    if (repin && (rc = ckpt_repin(s)) != 0)
        return rc;
    kvs_wal_trim(s->wal, before);
    atomic_fetch_add(&s->checkpoints, 1);
    atomic_store(&s->ck_last_ns, mono_ns());
    atomic_store(&s->ck_dirty, false);
    return 0;
}

int
ckpt_repin(struct kvs *s)
{
    if (!s->wal)
        return 0;
    int rc = pin_current(s, &s->pin);
    if (rc)
        fail_stop(s, rc, "pin the checkpoint"); /* unpinned, its tree could be overwritten */
    return rc;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Opening and closing */

int
wal_open_restore(struct kvs *s)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/wal", s->dir);
    struct kvs_wal_options wo = { .dir = path, .segment_bytes = s->o.wal_segment_bytes };
    int rc = kvs_wal_open(&wo, &s->wal);
    if (rc) {
        KC_LOG(KC_LOG_ERROR, "kvstore", "cannot open the write-ahead log", "dir=%s err=\"%s\"", path, kc_strerror(rc));
        return rc;
    }
    const struct kvs_wal_rec *recs;
    size_t n;
    kvs_wal_records(s->wal, &recs, &n);
    const struct kvs_wal_rec *ck = NULL;
    bool cmds = false;
    for (size_t i = 0; i < n; i++) {
        if (recs[i].type == WAL_REC_CKPT)
            ck = &recs[i];
        else if (recs[i].type == WAL_REC_CMD)
            cmds = true;
    }
    if (!ck) {
        /* no checkpoint yet: LMDB has only been written with its own syncs (NOSYNC comes after the first one) */
        if (cmds) {
            KC_LOG(KC_LOG_ERROR, "kvstore", "write-ahead log has commands but no checkpoint", "dir=%s", path);
            return KC_EINTERNAL;
        }
        return 0;
    }
    uint32_t psize = ck->len >= CKPT_FIXED ? get_le32(ck->data + 4) : 0;
    if (ck->len < CKPT_FIXED || get_le32(ck->data) != CKPT_VERSION || psize < 512 || psize > 65536 ||
        ck->len != CKPT_FIXED + 2 * (size_t)psize) {
        KC_LOG(KC_LOG_ERROR, "kvstore", "unknown checkpoint record", "dir=%s len=%zu", path, ck->len);
        return KC_EINTERNAL;
    }
    snprintf(path, sizeof(path), "%s/data.mdb", s->dir);
    int fd = kc_open(path, O_RDWR | O_CLOEXEC, 0);
    if (fd < 0) {
        rc = -errno;
        KC_LOG(KC_LOG_ERROR, "kvstore", "the log's checkpoint has no database", "path=%s err=\"%s\"", path,
               kc_strerror(rc));
        return rc == -ENOENT ? KC_EINTERNAL : rc;
    }
    size_t mlen = 2 * (size_t)psize;
    uint8_t *cur = kc_malloc(mlen);
    rc = cur ? 0 : -ENOMEM;
    ssize_t got = rc ? 0 : pread(fd, cur, mlen, 0);
    const uint8_t *want = ck->data + CKPT_FIXED;
    if (!rc && (got != (ssize_t)mlen || memcmp(cur, want, mlen) != 0)) {
        /* the meta pages on disk may name a later, partly written tree: go back to the checkpoint's */
        ssize_t w = kc_pwrite(fd, want, mlen, 0);
        if (w != (ssize_t)mlen)
            rc = w < 0 ? -errno : -EIO;
        else if (kc_fdatasync(fd) != 0)
            rc = -errno;
        if (!rc)
            KC_LOG(KC_LOG_INFO, "kvstore", "restored the last checkpoint", "dir=%s applied=%llu txn=%llu", s->dir,
                   (unsigned long long)ck->index, (unsigned long long)get_le64(ck->data + 8));
    }
    free(cur);
    close(fd);
    s->pin_applied = ck->index;
    return rc;
}

struct entry {
    uint64_t index;
    const uint8_t *data;
    size_t len;
};

/* The logged commands past the applied index, in order, without those a VOID record or a later entry of the same
 * index superseded. *out is malloc'ed. */
static int
collect(struct kvs *s, uint64_t applied, struct entry **out, size_t *nout)
{
    const struct kvs_wal_rec *recs;
    size_t n, k = 0;
    kvs_wal_records(s->wal, &recs, &n);
    struct entry *v = n ? kc_calloc(n, sizeof(*v)) : NULL;
    if (n && !v)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const struct kvs_wal_rec *r = &recs[i];
        if (r->type == WAL_REC_VOID) {
            while (k && v[k - 1].index >= r->index)
                k--;
        } else if (r->type == WAL_REC_CMD && r->index > applied) {
            while (k && v[k - 1].index >= r->index)
                k--;
            v[k++] = (struct entry){ r->index, r->data, r->len };
        }
    }
    *out = v;
    *nout = k;
    return 0;
}

int
wal_recover(struct kvs *s)
{
    if (!s->wal)
        return 0;
    uint64_t applied = atomic_load(&s->applied);
    const struct kvs_wal_rec *recs;
    size_t nrecs;
    kvs_wal_records(s->wal, &recs, &nrecs);
    bool had_ckpt = false;
    for (size_t i = 0; i < nrecs; i++)
        had_ckpt |= recs[i].type == WAL_REC_CKPT;
    if (had_ckpt && applied != s->pin_applied) {
        KC_LOG(KC_LOG_ERROR, "kvstore", "database does not match the log's checkpoint", "dir=%s applied=%llu", s->dir,
               (unsigned long long)applied);
        return KC_EINTERNAL;
    }
    int rc = lmdb_err(mdb_env_get_fd(s->env, &s->data_fd), "env_get_fd");
    /* the checkpoint's tree stays intact while the replay commits (a crash now must find it again) */
    if (!rc)
        rc = pin_current(s, &s->pin);
    struct entry *v = NULL;
    size_t n = 0;
    if (!rc)
        rc = collect(s, applied, &v, &n);
    struct slot *slots = n ? kc_calloc(n < REPLAY_CHUNK ? n : REPLAY_CHUNK, sizeof(*slots)) : NULL;
    if (!rc && n && !slots)
        rc = -ENOMEM;
    s->replaying = true;
    for (size_t i = 0; !rc && i < n; i += REPLAY_CHUNK) {
        size_t k = n - i < REPLAY_CHUNK ? n - i : REPLAY_CHUNK;
        for (size_t j = 0; j < k; j++)
            slots[j] = (struct slot){ .index = v[i + j].index, .data = v[i + j].data, .len = v[i + j].len };
        rc = apply_batch(s, slots, k);
        for (size_t j = 0; j < k; j++) {
            arena_free(&slots[j].ar);
            arena_free(&slots[j].evar);
        }
    }
    s->replaying = false;
    free(slots);
    free(v);
    if (rc) {
        KC_LOG(KC_LOG_ERROR, "kvstore", "cannot replay the write-ahead log", "dir=%s err=\"%s\"", s->dir,
               kc_strerror(rc));
        return rc;
    }
    if (n)
        KC_LOG(KC_LOG_INFO, "kvstore", "replayed the write-ahead log", "dir=%s commands=%zu applied=%llu", s->dir, n,
               (unsigned long long)atomic_load(&s->applied));
    /* a checkpoint of what is now in LMDB (synced by its own commits so far) makes the old segments unneeded */
    bool keep = s->o.durability == KVS_DURABLE_WAL;
    pthread_mutex_lock(&s->wlock);
    rc = ckpt_now(s, keep);
    pthread_mutex_unlock(&s->wlock);
    kvs_wal_records_release(s->wal);
    if (rc)
        return rc;
    if (!keep) {
        /* KVS_DURABLE_LMDB on a store that had a log: LMDB is now durable and complete, the log goes */
        unpin(&s->pin);
        kvs_wal_close(s->wal);
        s->wal = NULL;
        char path[4096];
        snprintf(path, sizeof(path), "%s/wal", s->dir);
        rc = kvs_wal_destroy(path);
        if (!rc && s->explicit_sync)
            rc = lmdb_err(mdb_env_set_flags(s->env, MDB_NOMETASYNC, 1), "env_set_flags");
        if (!rc)
            KC_LOG(KC_LOG_INFO, "kvstore", "write-ahead log replayed and removed", "dir=%s", s->dir);
        return rc;
    }
    /* from here on LMDB commits without syncing: the log makes writes durable, checkpoints LMDB's file */
    rc = lmdb_err(mdb_env_set_flags(s->env, MDB_NOSYNC, 1), "env_set_flags");
    if (!rc && pthread_create(&s->ckpt_thread, NULL, ckpt_main, s) != 0)
        rc = -EAGAIN;
    if (!rc)
        s->ckpt_started = true;
    return rc;
}

void
wal_close(struct kvs *s)
{
    if (!s->wal)
        return;
    bool recovered = s->ckpt_started; /* a failed open must not checkpoint (and trim) a partial replay */
    if (s->ckpt_started) {
        pthread_mutex_lock(&s->qlock);
        s->ck_stop = true;
        pthread_cond_broadcast(&s->ck_cond);
        pthread_mutex_unlock(&s->qlock);
        pthread_join(s->ckpt_thread, NULL);
        s->ckpt_started = false;
    }
    pthread_mutex_lock(&s->wlock);
    if (recovered && !s->wal_err)
        ckpt_now(s, false); /* the next open has nothing to replay */
    unpin(&s->pin);
    unpin(&s->ck_pin);
    free(s->ck_rec);
    s->ck_rec = NULL;
    pthread_mutex_unlock(&s->wlock);
    kvs_wal_close(s->wal);
    s->wal = NULL;
}
