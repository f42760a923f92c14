/* kvs_int.h - the kvstore's internal header: LMDB layout, the command format, the store struct and the
 * functions the kvstore files share. Nothing here is public API; see kvs.h and docs/kvstore.md.
 */
#ifndef KVS_INT_H
#define KVS_INT_H

#include <lmdb.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <string.h>

#include "kvs.h"

#define KVS_FORMAT         1            /* meta "format": the on-disk layout version */
#define KVS_MAX_LEASE_TTL  9000000000LL /* etcd's lease.MaxLeaseTTL */
#define KVS_WATCH_MAX_REVS 1000         /* etcd's watchBatchMaxRevs */
#define KVS_HASH_LEN       32           /* sha256 of long keys in index keys */
#define KVS_FOREVER        INT64_MAX    /* lease expiry of a non-primary store */
#define KVS_REVOKE_RETRY   3000000000LL /* etcd's expiredLeaseRetryInterval, ns */
#define KVS_WAIT_BUCKETS   256

/* ---------------------------------------------------------------------------------------------------------- */
/* Memory helpers (util.c) */

/* A bump allocator: many small allocations freed together. Allocations are zeroed and max_align_t aligned. */
struct arena_chunk;
struct arena {
    struct arena_chunk *head;
};
void *arena_alloc(struct arena *a, size_t n);
void *arena_dup(struct arena *a, const void *p, size_t n); /* n may be 0: returns a valid pointer */
void arena_free(struct arena *a);
/* An arena that lives in its own first chunk, for responses: *out is the arena to free with arena_free_self. */
struct arena *arena_new(void);
void arena_free_self(struct arena *a);

/* A growable byte buffer; after a failed allocation oom is set and further appends are ignored. */
struct bbuf {
    uint8_t *p;
    size_t len, cap;
    bool oom;
};
void bbuf_put(struct bbuf *b, const void *p, size_t n);
void bbuf_u8(struct bbuf *b, uint8_t v);
void bbuf_u32(struct bbuf *b, uint32_t v);
void bbuf_i64(struct bbuf *b, int64_t v);
void bbuf_bytes(struct bbuf *b, struct kvs_buf v); /* u32 length + bytes */

static inline void
put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}
static inline uint64_t
get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}
static inline void
put_be32(uint8_t *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}
static inline uint32_t
get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void
put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        p[i] = (uint8_t)v;
}
static inline uint64_t
get_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}
static inline void
put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++, v >>= 8)
        p[i] = (uint8_t)v;
}
static inline uint32_t
get_le32(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* Byte-wise comparison as Go's bytes.Compare. */
int bytes_cmp(const void *a, size_t alen, const void *b, size_t blen);

/* Range end modes after etcd's mkGteRange: a single key, every key >= key, or [key, end). */
enum range_mode { RANGE_SINGLE, RANGE_GTE, RANGE_BETWEEN };
enum range_mode range_mode_of(struct kvs_buf end);
/* Whether key lies in the range (key0, end) of mode m. */
bool range_contains(struct kvs_buf key0, struct kvs_buf end, enum range_mode m, const void *k, size_t klen);

/* A stable merge sort (Go's sort.Sort is stable for the small inputs etcd tests; see docs). */
void stable_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *, void *), void *ctx);

/* Maps an LMDB return code to k8c's convention: 0, -errno, or KC_EINTERNAL (logged) for MDB_* codes other than
 * MDB_MAP_FULL, which is returned as is. */
int lmdb_err(int rc, const char *what);

/* ---------------------------------------------------------------------------------------------------------- */
/* Commands (cmd.c): the serialized form of every mutation; docs/kvstore.md has the byte layout. */

enum cmd_type {
    CMD_PUT = 1,
    CMD_DELETE = 2,
    CMD_TXN = 3,
    CMD_COMPACT = 4,
    CMD_LEASE_GRANT = 5,
    CMD_LEASE_REVOKE = 6,
    CMD_ALARM = 7, /* a: 1 raise NOSPACE, 0 disarm */
};

#define CMD_VERSION    1
#define CMD_HEADER_LEN 10 /* version u8, type u8, req_id u64 */
#define CMD_MAX_DEPTH  64 /* nested txn depth accepted by the decoder */

struct cmd {
    uint8_t type;
    uint64_t req_id;
    struct kvs_put_req put;
    struct kvs_delete_req del;
    struct kvs_txn_req txn;
    int64_t a, b; /* COMPACT: a = revision; LEASE_*: a = id, b = ttl; ALARM: a = raise */
};

void cmd_put(struct bbuf *b, uint64_t req_id, const struct kvs_put_req *r);
void cmd_delete(struct bbuf *b, uint64_t req_id, const struct kvs_delete_req *r);
void cmd_txn(struct bbuf *b, uint64_t req_id, const struct kvs_txn_req *r);
void cmd_simple(struct bbuf *b, uint8_t type, uint64_t req_id, int64_t a, int64_t b2);
/* Decodes a command; byte strings point into data, arrays are allocated in ar. Returns 0, KC_EPARSE (not a
 * command: deterministic, so the entry is consumed) or -ENOMEM. */
int cmd_decode(const void *data, size_t len, struct arena *ar, struct cmd *out);
/* The req_id of a command, 0 if it is too short to have one. */
uint64_t cmd_req_id(const void *data, size_t len);
/* The quota cost of a command as etcd's backendQuota.Cost (0: allowed under the NOSPACE alarm). */
int64_t cmd_cost(const struct cmd *c);
int64_t txn_cost(const struct kvs_txn_req *t);

/* etcd's gRPC-layer request checks (v3rpc/key.go), done before a command is built. */
int check_range(const struct kvs_range_req *r);
int check_put(const struct kvs_put_req *r);
int check_delete(const struct kvs_delete_req *r);
int check_txn(const struct kvs_txn_req *t, int max_ops); /* checkTxnRequest + checkIntervals */
bool txn_is_readonly(const struct kvs_txn_req *t);

/* ---------------------------------------------------------------------------------------------------------- */
/* The store */

struct lease_mem {
    int64_t id;
    int64_t ttl;
    int64_t expiry;   /* clock ns; KVS_FOREVER when not primary */
    int64_t retry_at; /* no revoke resubmission before this */
    bool used;
};

struct lease_map {
    struct lease_mem *slots;
    size_t cap, n;
};

/* A caller waiting for its command to be applied: on the caller's stack (sem posted), or for kvs_*_async on the
 * heap (done called, then the waiter freed). */
struct waiter {
    uint64_t req_id;
    sem_t sem;
    kvs_done_fn done; /* async: called instead of posting sem */
    void *done_arg;
    int err;
    struct kvs_resp *resp; /* KV commands */
    int64_t rev, a, b;     /* header revision; lease grant: id, ttl */
    int64_t cost;          /* quota cost counted in s->inflight */
    struct waiter *next;
};

/* A command queued for the single-node committer, with its waiter (NULL for fire-and-forget commands). Single
 * node waiters are not in the req_id table: the committer hands each slot its waiter. */
struct pending {
    struct pending *next;
    uint8_t *data;
    size_t len;
    struct waiter *w;
};

struct hub;
struct kvs_wal;

/* A position in the write-ahead log (kvs_wal.h's struct kvs_wal_pos). */
struct wal_pos {
    uint64_t seq, off;
};

/* The state of the checkpoint in flight (KVS_DURABLE_WAL). */
enum ck_state {
    CK_IDLE,    /* none */
    CK_SYNCING, /* captured; the checkpoint thread is syncing LMDB's file */
    CK_SYNCED,  /* synced; its record goes into the log with the next batch (or on its own when idle) */
};

struct kvs {
    struct kvs_options o;
    char *dir;
    MDB_env *env;
    MDB_dbi dbi_meta, dbi_rev, dbi_idx, dbi_lease, dbi_lkeys;
    size_t maxkey;     /* LMDB's max key size */
    size_t psize;      /* LMDB page size */
    size_t prefix_len; /* index keys longer than this are prefix_len bytes + sha256 */
    bool explicit_sync;

    /* Readers hold maplock shared for the life of a read txn, the writer for its write txn; growing the map
     * takes it exclusive (mdb_env_set_mapsize needs no txn active). Writer-preferring. */
    pthread_rwlock_t maplock;
    int64_t map_size, map_cap;

    /* Serializes write txns (batches, compaction steps) and the post-commit work of each. */
    pthread_mutex_t wlock;

    /* Committed state, written under wlock after each commit. */
    _Atomic int64_t rev;
    _Atomic int64_t compact_rev;
    _Atomic int64_t phys_rev; /* physical compaction done up to */
    _Atomic uint64_t applied;
    _Atomic bool alarm;
    _Atomic bool alarm_raising;
    _Atomic int64_t db_size, used_bytes;
    _Atomic int64_t inflight;          /* quota cost of submitted, not yet applied commands */
    _Atomic int64_t commits, commands; /* batch commits and the commands in them */

    /* Single-node committer queue; qlock also guards stopping and compact_cond. */
    pthread_t committer;
    bool committer_started;
    pthread_mutex_t qlock;
    pthread_cond_t qcond, compact_cond;
    struct pending *qhead, **qtail;
    bool stopping, closed;
    bool compact_wanted;
    int compact_err; /* last physical compaction step error, 0 after a good step */

    /* Waiters by req_id. */
    pthread_mutex_t waitlock;
    struct waiter *wbuckets[KVS_WAIT_BUCKETS];
    _Atomic uint64_t next_req;

    /* Lease expiry state (the lease DB is authoritative for existence and TTL). */
    pthread_mutex_t lease_lock;
    struct lease_map leases;
    bool primary;

    /* Timer thread. */
    pthread_t timer;
    bool timer_started, timer_stop;
    pthread_mutex_t tlock;
    pthread_cond_t tcond;
    int64_t last_progress;

    struct hub *hub;

    /* KVS_DURABLE_WAL (checkpoint.c). The log and everything below is used under wlock, except the checkpoint
     * thread's ck_state hand-over (qlock). */
    struct kvs_wal *wal;  /* NULL with KVS_DURABLE_LMDB */
    int data_fd;          /* LMDB's data.mdb */
    bool replaying;       /* recovery applies logged commands without logging them again */
    int wal_err;          /* sticky: the log or a data sync failed; writes are refused */
    MDB_txn *pin;         /* a read txn holding the tree of the last durable checkpoint, which LMDB therefore
                             never overwrites: the log's checkpoint record can always restore it */
    uint64_t pin_applied; /* the applied index of that checkpoint */
    size_t pin_pgno;      /* LMDB's last page number then (growth since triggers a checkpoint) */
    _Atomic int64_t checkpoints;
    enum ck_state ck_state; /* under qlock */
    bool ck_spare;          /* the checkpoint thread prepares the next log segment too (qlock) */
    int ck_err;             /* the checkpoint thread's data sync result (qlock) */
    uint64_t ck_gen;        /* bumped by each capture and by a synchronous checkpoint (qlock) */
    MDB_txn *ck_pin;        /* pins the captured state */
    uint8_t *ck_rec;        /* the checkpoint record: applied index in the record's index, meta pages here */
    size_t ck_len;
    uint64_t ck_applied;
    size_t ck_pgno;
    struct wal_pos ck_pos;      /* the log's end at capture: segments before it go once the record is durable */
    _Atomic int64_t ck_last_ns; /* when the last checkpoint was captured (CLOCK_MONOTONIC) */
    _Atomic bool ck_dirty;      /* LMDB was written since the last capture */
    pthread_t ckpt_thread;
    bool ckpt_started, ck_stop;
    pthread_cond_t ck_cond; /* wakes the checkpoint thread (qlock) */
};

/* Clock (store.c). */
int64_t kvs_now(struct kvs *s);

/* Submitting commands (store.c): builds nothing, just queues or proposes cmd (taking ownership of cmd->p) for w
 * and waits. cost > 0 is checked against the quota first. */
int submit_wait(struct kvs *s, struct bbuf *cmd, int64_t cost, struct waiter *w);
int submit_start(struct kvs *s, struct bbuf *cmd, int64_t cost, struct waiter *w);
int waiter_wait(struct kvs *s, struct waiter *w);
/* Removes and returns the waiter of req_id, NULL if none. */
struct waiter *waiter_take(struct kvs *s, uint64_t req_id);
uint64_t next_req_id(struct kvs *s);
/* Fire-and-forget NOSPACE alarm raise. */
void raise_alarm_async(struct kvs *s);
/* Hands a waiter its result: posts a synchronous caller or calls and frees an asynchronous one. */
void waiter_complete(struct kvs *s, struct waiter *w, int err);

/* Read txns (store.c): begin/end with the maplock held shared. */
int rtxn_begin(struct kvs *s, MDB_txn **txn);
void rtxn_end(struct kvs *s, MDB_txn *txn);

/* Meta DB access. */
int meta_get_i64(struct kvs *s, MDB_txn *txn, const char *name, int64_t *out); /* KC_ENOTFOUND if absent */
int meta_put_i64(struct kvs *s, MDB_txn *txn, const char *name, int64_t v);

/* ---------------------------------------------------------------------------------------------------------- */
/* MVCC (mvcc.c) */

/* An index entry: a key's revision; tomb for a delete. */
struct ientry {
    int64_t main;
    uint32_t sub;
    bool tomb;
};

/* A revision record as stored in the rev DB (pointers into LMDB memory). */
struct rec {
    bool tomb;
    const uint8_t *key;
    size_t klen;
    const uint8_t *val;
    size_t vlen;
    int64_t create, version, lease;
    int64_t prev_main; /* the key's live record at mod_revision - 1, 0 if none */
    uint32_t prev_sub;
};

/* A read or write view of the store in one LMDB txn. */
struct view {
    struct kvs *s;
    MDB_txn *txn;
    MDB_cursor *kc, *dc; /* index key walk, index dup lookups */
    int64_t rev;         /* the revision reads see by default */
    int64_t compact_rev;
};

int view_open(struct view *v, struct kvs *s, MDB_txn *txn, int64_t rev, int64_t compact_rev);
/* Opens a view on a read txn, reading rev and compact_rev from its meta. */
int view_open_read(struct view *v, struct kvs *s, MDB_txn *txn);
void view_close(struct view *v);

int rec_get(struct view *v, int64_t main, uint32_t sub, struct rec *out);
int rec_decode(const MDB_val *val, struct rec *out);
/* The latest entry of key with main <= rev; KC_ENOTFOUND if none. */
int idx_get(struct view *v, const void *key, size_t klen, int64_t rev, struct ientry *out);
/* Calls fn for each key live at rev in the range (key, end per range_mode_of(end)), in key order. fn returns
 * 0 to go on, > 0 to stop (idx_visit then returns 0), < 0 an error (returned). key/klen stay valid until the
 * next write in the txn. */
typedef int (*visit_fn)(void *ctx, const uint8_t *key, size_t klen, const struct ientry *e);
int idx_visit(struct view *v, struct kvs_buf key, struct kvs_buf end, int64_t rev, visit_fn fn, void *ctx);

/* etcd's Range (apply.go + rangeKeys) on view v whose current revision is cur_rev; results copied into ra.
 * in_txn: the revision checks were done by the txn (as etcd's checkRequestRange). */
int mvcc_range(struct view *v, int64_t cur_rev, const struct kvs_range_req *r, struct arena *ra, struct kvs_resp *out);
/* mvcc_range without copying: out's keys and values point into LMDB's map (valid while v's txn lives); the array
 * of pairs is still allocated in ra. */
int mvcc_range_lend(struct view *v, int64_t cur_rev, const struct kvs_range_req *r, struct arena *ra,
                    struct kvs_resp *out);
/* Copies a record into a kvs_kv (main = mod_revision). */
int kv_from_rec(struct arena *ra, const struct rec *r, int64_t main, bool keys_only, struct kvs_kv *out);

/* Events of one command, kept for the watch hub until after the commit. */
struct ev {
    uint8_t type; /* KVS_EVENT_* */
    uint32_t sub;
    const uint8_t *key, *val;
    size_t klen, vlen;
    int64_t create, version, lease;
    int64_t prev_main;
    uint32_t prev_sub;
};

/* One command being applied inside a batch. */
struct slot {
    uint64_t index;
    const uint8_t *data;
    size_t len;
    struct cmd cmd;
    int decode_err;
    struct arena ar;   /* decoded command */
    struct arena evar; /* events and scratch copies; reset when the command is retried */
    struct waiter *w;  /* local caller or NULL */
    int err;           /* result */
    bool skipped;
    struct kvs_resp *resp; /* built response (its own arena) */
    int64_t rev;           /* header revision */
    int64_t ra, rb;        /* lease grant id, ttl */
    struct ev *evs;
    size_t nevs, evcap;
    int64_t ev_rev;     /* revision of evs */
    uint8_t lease_kind; /* 0, CMD_LEASE_GRANT, CMD_LEASE_REVOKE */
    int64_t lease_id, lease_ttl;
};

/* Apply context of one command. */
struct actx {
    struct kvs *s;
    struct view v;
    int64_t begin_rev;
    uint32_t nchanges;
    struct slot *slot;
    struct arena *ra; /* response memory */
};

int mvcc_put(struct actx *a, const void *key, size_t klen, const void *val, size_t vlen, int64_t lease);
/* Deletes the keys live in the range at the txn's current revision; *n gets their number. */
int mvcc_delete_range(struct actx *a, struct kvs_buf key, struct kvs_buf end, int64_t *n);
/* One step of physical compaction to rev: handles up to max_keys index keys after *resume (NULL/0: from the
 * start) in txn. *next gets the last index key handled (malloc'ed) or NULL when the scan is complete. */
int mvcc_compact_step(struct kvs *s, MDB_txn *txn, int64_t rev, const uint8_t *resume, size_t rlen, int max_keys,
                      uint8_t **next, size_t *nlen);

/* Leases in LMDB (mvcc.c). */
int lease_db_get(struct kvs *s, MDB_txn *txn, int64_t id, int64_t *ttl);
int lease_db_put(struct kvs *s, MDB_txn *txn, int64_t id, int64_t ttl);
int lease_db_del(struct kvs *s, MDB_txn *txn, int64_t id);
int lkeys_add(struct kvs *s, MDB_txn *txn, int64_t id, const void *key, size_t klen);
int lkeys_del(struct kvs *s, MDB_txn *txn, int64_t id, const void *key, size_t klen);
/* The keys attached to a lease, copied into ar, sorted. */
int lkeys_list(struct kvs *s, MDB_txn *txn, int64_t id, struct arena *ar, struct kvs_buf **keys, size_t *n);

/* ---------------------------------------------------------------------------------------------------------- */
/* Applying (apply.c) */

/* Applies slots [0, n) as described at kvs_apply (indexes 0 are assigned applied+1, ...). Takes wlock. */
int apply_batch(struct kvs *s, struct slot *slots, size_t n);
/* Evaluates a read-only txn on a read view. */
int txn_readonly(struct kvs *s, const struct kvs_txn_req *t, struct kvs_resp **out);
/* Runs one physical compaction step if one is due; returns 1 when more work remains. Takes wlock. */
int compact_work(struct kvs *s);
/* Recomputes db_size and used_bytes. */
void update_usage(struct kvs *s);
/* Grows the LMDB map (doubling, up to map_cap). Returns 0, or KC_ENOSPACE when already at the cap. Call with
 * wlock held and no txn of this thread open. */
int grow_map(struct kvs *s);

/* ---------------------------------------------------------------------------------------------------------- */
/* Durability on the write-ahead log (checkpoint.c): all under wlock unless said otherwise. */

#define WAL_REC_CMD 1 /* index: the command's log index; payload: the command */
#define WAL_REC_CKPT                                                                      \
    2 /* index: the applied index of the checkpoint; payload: version u32, page size u32, \
         LMDB txn id u64, then LMDB's two meta pages as they were */
#define WAL_REC_VOID                                                                            \
    3 /* index: entries logged with this index or above and not yet superseded were not applied \
         (a batch failed after logging): replay drops them */

/* Opening, before LMDB: reads the log in DIR/wal and writes the last checkpoint's meta pages back into
 * data.mdb. Not under wlock. */
int wal_open_restore(struct kvs *s);
/* Opening, after LMDB, the leases and the hub: replays the log past the checkpoint, checkpoints, switches LMDB
 * to MDB_NOSYNC and starts the checkpoint thread. Not under wlock. */
int wal_recover(struct kvs *s);
/* Logs the batch's entries that will be applied (index > applied), preceded by a finished checkpoint's record,
 * and syncs the log. 0 or the (sticky) error. */
int wal_log_batch(struct kvs *s, const struct slot *slots, size_t n);
/* Logs that entries from index on were not applied after all, and syncs. */
int wal_log_void(struct kvs *s, uint64_t index);
/* After a batch commit: captures a checkpoint when one is due. */
void ckpt_maybe_start(struct kvs *s);
/* Finishes a synced checkpoint when no batch comes to carry its record (the committer, idle). Takes wlock. */
void ckpt_finish_idle(struct kvs *s);
/* Whether the committer should wake for checkpoint work (qlock held); *wait_ns gets how long it may sleep. */
bool ckpt_pending(struct kvs *s, int64_t *wait_ns);
/* A checkpoint of the current state now, synchronously; repin: pin it afterwards (map growth drops every txn,
 * grows the map and pins again itself). */
int ckpt_now(struct kvs *s, bool repin);
/* Re-pins the current state after ckpt_now(s, false) (no write in between). */
int ckpt_repin(struct kvs *s);
/* Closing, after the committer stopped: stops the checkpoint thread, checkpoints, closes the log. Not under
 * wlock. */
void wal_close(struct kvs *s);

/* ---------------------------------------------------------------------------------------------------------- */
/* Leases in memory (lease.c) */

int lease_mem_load(struct kvs *s);
void lease_mem_free(struct kvs *s);
/* Post-commit effects of a batch slot. */
void lease_mem_effect(struct kvs *s, const struct slot *sl);

/* ---------------------------------------------------------------------------------------------------------- */
/* Watch hub (watch.c) */

int hub_new(struct kvs *s, struct hub **out);
/* Cancels every watcher, waits for polls reading history, drops the store's reference. */
void hub_close(struct hub *h);
/* Publishes the events of committed slots (after the commit, before waking callers); then every revision up
 * to rev is published. */
void hub_publish(struct kvs *s, struct slot *slots, size_t n, int64_t rev);
void hub_progress_tick(struct kvs *s);
int64_t hub_watchers(struct hub *h);

#endif
