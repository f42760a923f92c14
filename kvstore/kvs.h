/* kvs.h - k8c's etcd-v3-exact MVCC key-value store on LMDB, used in-process.
 *
 * One global revision, per-key create/mod revision, version and lease, tombstones, compaction, leases, txns
 * and a watch hub, all with etcd 3.4's semantics and error texts. Every mutation is a serialized command applied
 * through one function with a log index (kvs_apply), which is the seam for the Raft layer; without Raft the store
 * numbers commands itself and group-commits concurrent writers. docs/kvstore.md describes the data model.
 *
 * Conventions: functions return 0, a negative errno, a KC_E* code (common/kc_error.h) or one of the KVS_E*
 * codes below; out-parameters are written only on success. kvs_error_message() gives etcd's gRPC code and exact
 * message for any of them. All functions are thread-safe unless stated otherwise.
 */
#ifndef KVS_H
#define KVS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kc_error.h"

/* Errors that etcd tells apart but no single KC_E* code names. They sit in [KVS_ERANGE_LAST, KVS_ERANGE_FIRST],
 * below the KC_E* range; kvs_error_kc() folds them into the KC_E* code of their class. Errors that have a KC_E*
 * code of their own are returned as that code:
 *   KC_ECOMPACTED  "etcdserver: mvcc: required revision has been compacted"        (OutOfRange 11)
 *   KC_EFUTUREREV  "etcdserver: mvcc: required revision is a future revision"      (OutOfRange 11)
 *   KC_ENOSPACE    "etcdserver: mvcc: database space exceeded"                      (ResourceExhausted 8)
 *   KC_ENOTFOUND   "etcdserver: requested lease not found"                          (NotFound 5)
 *   KC_EEXIST      "etcdserver: lease already exists"                               (FailedPrecondition 9)
 *   KC_ETOOLARGE   "etcdserver: request is too large"                               (InvalidArgument 3)
 *   KC_EUNAVAILABLE "etcdserver: server stopped"                                    (Unavailable 14) */
enum kvs_error_code {
    KVS_ERANGE_FIRST = -10300,
    KVS_EEMPTYKEY = -10300,      /* "etcdserver: key is not provided" (InvalidArgument) */
    KVS_EKEYNOTFOUND = -10301,   /* "etcdserver: key not found": ignore_value/ignore_lease on a missing key, or an
                                    empty op in a txn (InvalidArgument) */
    KVS_EVALUEPROVIDED = -10302, /* "etcdserver: value is provided" (InvalidArgument) */
    KVS_ELEASEPROVIDED = -10303, /* "etcdserver: lease is provided" (InvalidArgument) */
    KVS_ETOOMANYOPS = -10304,    /* "etcdserver: too many operations in txn request" (InvalidArgument) */
    KVS_EDUPKEY = -10305,        /* "etcdserver: duplicate key given in txn request" (InvalidArgument) */
    KVS_ETTLTOOLARGE = -10306,   /* "etcdserver: too large lease TTL" (OutOfRange) */
    KVS_EWATCHRANGE = -10307,    /* "mvcc: watcher range is empty" (a watch cancel_reason, InvalidArgument) */
    KVS_ENOTLEADER = -10308,     /* "etcdserver: not leader": lease keepalive on a non-primary (FailedPrecondition) */
    KVS_ERANGE_LAST = -10308,
};

/* etcd's answer for err: returns the exact gRPC status message (static) and stores the gRPC code in *grpc_code
 * (may be NULL): 0 for success, 3 InvalidArgument, 5 NotFound, 8 ResourceExhausted, 9 FailedPrecondition,
 * 11 OutOfRange, 14 Unavailable, 2 Unknown for anything etcd has no text for (the message is then kc_strerror's). */
const char *kvs_error_message(int err, int *grpc_code);

/* The KC_E* code of err's class: KVS_E* codes map to KC_EINVALID (KVS_EKEYNOTFOUND too, KVS_ETTLTOOLARGE
 * too) except KVS_ENOTLEADER (KC_EUNAVAILABLE); any other err is returned unchanged. */
int kvs_error_kc(int err);

/* ---------------------------------------------------------------------------------------------------------- */
/* Values */

/* A byte string that the caller owns; data may be NULL when len is 0. */
struct kvs_buf {
    const void *data;
    size_t len;
};

/* kvs_buf of a NUL-terminated string (without the NUL). */
static inline struct kvs_buf
kvs_str(const char *s)
{
    size_t n = 0;
    while (s && s[n])
        n++;
    return (struct kvs_buf){ s, n };
}

/* A key-value pair as etcd's mvccpb.KeyValue. In delete events only key and mod_revision are set. */
struct kvs_kv {
    const uint8_t *key;
    size_t key_len;
    const uint8_t *value; /* NULL with value_len 0 for keys_only, tombstones */
    size_t value_len;
    int64_t create_revision;
    int64_t mod_revision;
    int64_t version;
    int64_t lease;
};

/* ---------------------------------------------------------------------------------------------------------- */
/* Requests. Field meanings and defaults (all zero) are etcd's (etcdserverpb.RangeRequest etc.). A range_end of
 * length 0 means the single key; range_end = key+1 a prefix; the one byte "\0" every key >= key; key "\0" with
 * range_end "\0" every key. */

enum kvs_sort_order { KVS_SORT_NONE = 0, KVS_SORT_ASCEND = 1, KVS_SORT_DESCEND = 2 };
enum kvs_sort_target {
    KVS_SORT_KEY = 0,
    KVS_SORT_VERSION = 1,
    KVS_SORT_CREATE = 2,
    KVS_SORT_MOD = 3,
    KVS_SORT_VALUE = 4,
};

struct kvs_range_req {
    struct kvs_buf key, range_end;
    int64_t revision; /* <= 0: the current revision */
    int64_t limit;    /* <= 0: no limit */
    enum kvs_sort_order sort_order;
    enum kvs_sort_target sort_target; /* a target other than KEY with sort_order NONE sorts ascending, as etcd */
    bool keys_only, count_only;
    int64_t min_mod_revision, max_mod_revision;       /* 0: no filter */
    int64_t min_create_revision, max_create_revision; /* 0: no filter */
};

struct kvs_put_req {
    struct kvs_buf key, value;
    int64_t lease; /* 0: none */
    bool prev_kv, ignore_value, ignore_lease;
};

struct kvs_delete_req {
    struct kvs_buf key, range_end;
    bool prev_kv;
};

enum kvs_compare_result {
    KVS_CMP_EQUAL = 0,
    KVS_CMP_GREATER = 1,
    KVS_CMP_LESS = 2,
    KVS_CMP_NOT_EQUAL = 3,
};
enum kvs_compare_target {
    KVS_CMP_VERSION = 0,
    KVS_CMP_CREATE = 1,
    KVS_CMP_MOD = 2,
    KVS_CMP_VALUE = 3,
    KVS_CMP_LEASE = 4,
};

/* A txn compare. number is the version, create_revision, mod_revision or lease to compare with (etcd's target
 * union; pass 0 when the request named a different target than `target`, as etcd does); value is used only
 * for KVS_CMP_VALUE. A compare with range_end must hold for every key in the range; a VALUE compare on a range
 * with no key is false whatever the result operator, as in etcd 3.4. */
struct kvs_compare {
    enum kvs_compare_result result;
    enum kvs_compare_target target;
    struct kvs_buf key, range_end;
    int64_t number;
    struct kvs_buf value;
};

enum kvs_op_type {
    KVS_OP_NONE = 0, /* an empty RequestOp: a txn holding one fails with KVS_EKEYNOTFOUND, as etcd */
    KVS_OP_RANGE = 1,
    KVS_OP_PUT = 2,
    KVS_OP_DELETE_RANGE = 3,
    KVS_OP_TXN = 4,
};

struct kvs_txn_req;

/* One operation of a txn (etcd's RequestOp). */
struct kvs_op {
    enum kvs_op_type type;
    union {
        struct kvs_range_req range;
        struct kvs_put_req put;
        struct kvs_delete_req del;
        const struct kvs_txn_req *txn;
    };
};

struct kvs_txn_req {
    const struct kvs_compare *compare;
    size_t n_compare;
    const struct kvs_op *success;
    size_t n_success;
    const struct kvs_op *failure;
    size_t n_failure;
};

/* ---------------------------------------------------------------------------------------------------------- */
/* Responses. One type for range, put, delete_range and txn (and the responses nested in a txn); fields that do
 * not belong to `type` are zero. Everything a response points to lives until kvs_resp_free(). */
struct kvs_resp {
    enum kvs_op_type type;
    int64_t revision; /* etcd's header.revision (0 for a txn nested in a txn, as etcd) */
    /* KVS_OP_RANGE: the pairs; KVS_OP_DELETE_RANGE: prev_kvs (when prev_kv was asked) */
    struct kvs_kv *kvs;
    size_t n_kvs;
    int64_t count;              /* RANGE: keys in the range at the revision, ignoring limit and the min/max filters */
    bool more;                  /* RANGE: more pairs than limit */
    struct kvs_kv *prev_kv;     /* PUT: the previous pair when prev_kv was asked and the key existed */
    int64_t deleted;            /* DELETE_RANGE */
    bool succeeded;             /* TXN */
    struct kvs_resp *responses; /* TXN: one per op of the branch taken */
    size_t n_responses;
    void *priv; /* internal: the memory the response lives in */
};

/* Frees a response returned by kvs_range, kvs_put, kvs_delete_range or kvs_txn (NULL is fine). */
void kvs_resp_free(struct kvs_resp *resp);

/* ---------------------------------------------------------------------------------------------------------- */
/* The store */

struct kvs;

/* Proposes a serialized command to the replicated log (Raft mode). The log later hands the command back to
 * kvs_apply() on every member; the member that proposed it then wakes the caller waiting for the result. It is
 * called from the threads of kvs_put & co., of kvs_tick (lease revokes) and of kvs_apply (raising the NOSPACE
 * alarm, after the apply itself is done), never with a store lock held. It must not call kvs_put & co. itself
 * (kvs_apply is fine). Returns 0 or a negative error, which the waiting caller then gets. */
typedef int (*kvs_propose_fn)(void *ctx, const void *cmd, size_t len);

/* A monotonic clock in nanoseconds. */
typedef int64_t (*kvs_clock_fn)(void *ctx);

/* How a write becomes durable (docs/kvstore.md, "Durability"). Either way a write is acknowledged only once it
 * survives a power loss, and no crash or power loss can leave LMDB's file corrupt. */
enum kvs_durability {
    /* Commands are appended to a write-ahead log (DIR/wal, kvs_wal.h) and fdatasync'ed, one sync per batch, then
     * applied to LMDB without a sync; a checkpoint thread makes LMDB's state durable every
     * checkpoint_interval_ms (one data sync, the meta pages recorded in the log) and trims the log. Opening
     * restores the last checkpoint's meta pages and replays the log past its applied index. */
    KVS_DURABLE_WAL = 0,
    /* No log: every batch commit syncs LMDB itself (data pages, then the meta page: two syncs). */
    KVS_DURABLE_LMDB = 1,
};

struct kvs_options {
    const char *dir;           /* data directory, created (0700) when missing; holds data.mdb and lock.mdb */
    int64_t quota_bytes;       /* etcd's --quota-backend-bytes; default 2 GiB */
    int64_t initial_map_bytes; /* first LMDB map size; it grows by doubling up to the quota (+ a reserve for
                                  deletes); default 64 MiB */
    unsigned lmdb_flags;       /* extra mdb_env_open flags. MDB_NORDAHEAD and MDB_NOMEMINIT are passed on.
                                  MDB_NOSYNC, MDB_NOMETASYNC and MDB_MAPASYNC are accepted and change nothing
                                  with KVS_DURABLE_WAL (the store manages LMDB's syncs itself); with
                                  KVS_DURABLE_LMDB each of them makes the store run LMDB with MDB_NOMETASYNC
                                  and call mdb_env_sync(force) after each commit, before acknowledging (plain
                                  MDB_NOSYNC could corrupt the file on a power loss). MDB_WRITEMAP (no nested
                                  txns) and MDB_RDONLY are refused */
    unsigned max_readers;      /* LMDB reader slots; default 1024 */
    int max_txn_ops;           /* etcd's --max-txn-ops; default 128 */
    int64_t max_request_bytes; /* etcd's --max-request-bytes, checked on the serialized command; 1.5 MiB */
    int64_t min_lease_ttl;     /* seconds; a shorter TTL is raised to it (etcd: 2 with default timings) */
    int64_t lease_extend_ms;   /* added to every lease's expiry when the store opens or is promoted, as
                                  etcd's Promote(electionTimeout); default 1000 */
    kvs_clock_fn clock;        /* lease expiry and watch progress clock; default CLOCK_MONOTONIC */
    void *clock_ctx;
    int timer_interval_ms;        /* how often the store's timer runs kvs_tick(); default 500 (etcd's lessor
                                     loop); < 0: no timer thread, the caller calls kvs_tick() */
    int64_t progress_interval_ms; /* watch progress_notify interval; default 600000 (etcd: 10 min) */
    int watch_queue_batches;      /* per-watcher queue bound in batches; default 1024 */
    int64_t watch_queue_bytes;    /* per-watcher queue bound in bytes; default 64 MiB */
    int compact_batch_keys;       /* keys per physical compaction step (one LMDB txn each); default 1000 */
    kvs_propose_fn propose;       /* NULL: single node, the store numbers and applies commands itself */
    void *propose_ctx;
    bool primary;                   /* manages lease expiry (the Raft leader); kvs_options_init sets true */
    enum kvs_durability durability; /* how a write becomes durable before it is acknowledged; default WAL */
    int64_t wal_segment_bytes;      /* KVS_DURABLE_WAL: preallocated bytes per log segment; 0 = 8 MiB */
    int checkpoint_interval_ms;     /* KVS_DURABLE_WAL: at most this long between LMDB checkpoints while
                                       writes come in (sooner when LMDB's file grows); 0 = 100 */
};

/* Fills o with the defaults. */
void kvs_options_init(struct kvs_options *o);

/* Opens (creating if needed) the store in o->dir. A new store is at revision 1 with nothing compacted. Leases
 * found on disk get a fresh expiry of now + TTL + lease_extend_ms, as etcd does when a member becomes leader.
 * With KVS_DURABLE_WAL it first restores the log's last checkpoint and replays the log (docs/kvstore.md,
 * "Durability"); with KVS_DURABLE_LMDB a log left in the directory is replayed, then removed.
 * Returns 0 and *out, KC_EINVALID for bad options (no dir, MDB_WRITEMAP, an unknown durability, a log segment
 * under 64 KiB, ...), KC_EINTERNAL when the directory holds something that is not a kvs store of this format (or a
 * log that does not match the database), -EBUSY when the store is open elsewhere (its log is locked), -ENOMEM, or
 * a negative errno from LMDB / the file system. Free with kvs_close(). */
int kvs_open(const struct kvs_options *o, struct kvs **out);

/* Stops the timer and committer threads (commands already queued are applied first), checkpoints (with the log:
 * the next open replays nothing), wakes callers blocked on a proposal the log never applied (Raft mode) with
 * KC_EUNAVAILABLE (async ones get done with it), cancels every watcher (a last batch with cancel_err
 * KC_EUNAVAILABLE) and closes LMDB. Apart from those blocked callers, no other kvs_ call may run or
 * start on s during or after it, except kvs_watch_poll/wait/free on watchers, which stay valid until freed.
 * NULL is fine. */
void kvs_close(struct kvs *s);

/* ---------------------------------------------------------------------------------------------------------- */
/* KV. Writes return only after they are durable (synced to the log, or LMDB's commit synced) and visible to
 * reads. Errors, beyond those named: KC_EINVALID (a NULL argument, an enum out of range), KC_ETOOLARGE (the
 * command is over max_request_bytes), KC_EUNAVAILABLE (the store is closing), -ENOMEM, -EIO and other LMDB or
 * log errors (after a failed write or sync of the log or of LMDB's file every later write fails with that error
 * until the store is reopened: what the file holds is then unknown; reads go on). */

/* Reads keys at a revision (a serializable read of the last commit). Errors: KVS_EEMPTYKEY, KC_EFUTUREREV
 * (revision > current), KC_ECOMPACTED (revision < the compaction revision). *out: kvs_resp_free(). */
int kvs_range(struct kvs *s, const struct kvs_range_req *req, struct kvs_resp **out);

/* A range's result lent by kvs_range_lend: resp is what kvs_range would return (resp->priv NULL), but its keys and
 * values point into the store's memory map, valid during the call only (copy what must outlive it). Return 0, or
 * anything else to have kvs_range_lend return that. */
typedef int (*kvs_lend_fn)(void *arg, const struct kvs_resp *resp);

/* kvs_range without copying the pairs: reads in one read transaction and calls fn(arg, resp) once, inside it, with
 * the keys and values as LMDB holds them (only the array of pairs is allocated). Everything fn sees is one
 * revision's state, as with kvs_range. The transaction stays open while fn runs, which (as any reader) keeps LMDB
 * from reusing the pages freed by later commits and holds back a growth of the map (the writer that needs one
 * waits, and reads that start meanwhile wait behind it): fn should be quick (scan, copy, encode; no waiting on other
 * threads) and must not call kvs_ functions on s, which could deadlock behind such a growth. It does not affect
 * durability: the checkpoint's pinned state is held by its own transaction (docs/kvstore.md, "Durability").
 * Returns 0, kvs_range's errors (fn is then not called), KC_EINVALID (a NULL argument), or fn's nonzero return. */
int kvs_range_lend(struct kvs *s, const struct kvs_range_req *req, kvs_lend_fn fn, void *arg);

/* Puts a key. Errors: KVS_EEMPTYKEY, KVS_EVALUEPROVIDED (ignore_value with a value), KVS_ELEASEPROVIDED
 * (ignore_lease with a lease), KC_ENOTFOUND (the lease does not exist), KVS_EKEYNOTFOUND (ignore_value or
 * ignore_lease and the key does not exist), KC_ENOSPACE (over quota or the NOSPACE alarm is raised),
 * KC_ECONFLICT (a key over 479 bytes whose sha256 equals another stored key's; see docs). *out: kvs_resp_free(). */
int kvs_put(struct kvs *s, const struct kvs_put_req *req, struct kvs_resp **out);

/* Deletes a key or range (tombstones; no new revision when nothing is deleted). Errors: KVS_EEMPTYKEY.
 * Allowed under the NOSPACE alarm. *out: kvs_resp_free(). */
int kvs_delete_range(struct kvs *s, const struct kvs_delete_req *req, struct kvs_resp **out);

/* A transaction: compares, then the success or failure ops, nested txns included, all in one revision (none if
 * nothing is written). Every compare, nested ones too, is evaluated on the state before the txn. A txn without
 * puts or deletes in either branch at any depth is evaluated locally, without a command. Errors: KVS_ETOOMANYOPS
 * (more than max_txn_ops compares or ops in one branch, limits shrinking with depth as etcd), KVS_EEMPTYKEY,
 * KVS_EKEYNOTFOUND (an empty op, or ignore_* on a missing key), KVS_EVALUEPROVIDED, KVS_ELEASEPROVIDED,
 * KVS_EDUPKEY (etcd's put/put and put/delete overlap checks), KC_ENOTFOUND (a put's lease), KC_EFUTUREREV and
 * KC_ECOMPACTED (a range's revision), KC_ENOSPACE (the alarm is raised and a branch has a put). Only the taken
 * branch is checked for leases and revisions, as etcd. *out: kvs_resp_free(). */
int kvs_txn(struct kvs *s, const struct kvs_txn_req *req, struct kvs_resp **out);

/* Completion of an asynchronous write: err is what the synchronous call would have returned, resp (NULL on
 * error) is the caller's to kvs_resp_free. It runs on the store's committer thread (or, in Raft mode, on the
 * thread that applies the command or closes the store), after the write is durable and visible: it must be
 * quick and must not block or call back into the store's write functions; hand the result to your own thread. */
typedef void (*kvs_done_fn)(void *arg, int err, struct kvs_resp *resp);

/* kvs_put, kvs_delete_range and kvs_txn without waiting: the request is validated and encoded now (req may be
 * freed when the call returns) and queued for the committer; done(arg, ...) is called exactly once when the
 * command has been applied. Returns 0 (done will run), or an error of the synchronous call that is known at once
 * (then done is not called): the validation errors, KC_ETOOLARGE, KC_ENOSPACE over the quota, KC_EUNAVAILABLE,
 * -ENOMEM. A txn that writes nothing is evaluated at once: done runs on the calling thread before
 * kvs_txn_async returns 0. */
int kvs_put_async(struct kvs *s, const struct kvs_put_req *req, kvs_done_fn done, void *arg);
int kvs_delete_range_async(struct kvs *s, const struct kvs_delete_req *req, kvs_done_fn done, void *arg);
int kvs_txn_async(struct kvs *s, const struct kvs_txn_req *req, kvs_done_fn done, void *arg);

/* Compacts history up to rev: reads below rev fail with KC_ECOMPACTED from then on; each key keeps its latest
 * revision <= rev unless that is a tombstone. The older records are removed physically in the background, in
 * steps of compact_batch_keys keys; with physical the call waits for that too. *revision (may be NULL) gets the
 * header revision. Errors: KC_ECOMPACTED (rev <= the compaction revision), KC_EFUTUREREV (rev > current); with
 * physical also the error of a failed physical step (the logical compaction stands). Allowed under the NOSPACE
 * alarm. */
int kvs_compact(struct kvs *s, int64_t rev, bool physical, int64_t *revision);

/* The current revision, the compaction revision (-1 before the first compaction), the last applied log index. */
int64_t kvs_revision(struct kvs *s);
int64_t kvs_compact_revision(struct kvs *s);
uint64_t kvs_applied_index(struct kvs *s);

struct kvs_stats {
    int64_t revision, compact_revision;
    uint64_t applied_index;
    int64_t db_size;        /* bytes LMDB's file has grown to (etcd's dbSize) */
    int64_t db_size_in_use; /* db_size minus free pages (etcd's dbSizeInUse) */
    int64_t map_size;       /* current LMDB map size */
    bool nospace_alarm;
    int64_t leases;
    int64_t watchers;
    int64_t physical_compact_revision; /* history below this is physically gone */
    int64_t commits;     /* LMDB commits of command batches since open, each durable through the log or its own
                            sync (group commit: <= commands) */
    int64_t commands;    /* commands applied (or failed) in them since open */
    int64_t checkpoints; /* KVS_DURABLE_WAL: durable LMDB checkpoints since open */
    int64_t wal_syncs;   /* KVS_DURABLE_WAL: fdatasyncs of the log since open */
};

/* Fills *out. Returns 0 or an LMDB error. */
int kvs_stat(struct kvs *s, struct kvs_stats *out);

/* KVS_DURABLE_WAL: makes LMDB's current state durable now (one data sync, a checkpoint record in the log) and
 * trims the log up to it, so that an open after a crash replays nothing written before this call. The store
 * does this by itself; tests and the Raft layer's snapshots call it. With KVS_DURABLE_LMDB it does nothing.
 * Returns 0, KC_EUNAVAILABLE (closing), or the I/O error that stopped the store's writes (-EIO, ...). */
int kvs_checkpoint(struct kvs *s);

/* ---------------------------------------------------------------------------------------------------------- */
/* Quota alarm. When a write would take the database past quota_bytes, it fails with KC_ENOSPACE and the NOSPACE
 * alarm is raised (through the command log, persisted). While it is raised, puts, txns with a put in a
 * top-level branch and lease grants fail with KC_ENOSPACE; ranges, deletes, compaction, lease revoke, keepalive
 * and watches work, as in etcd. Disarm it after freeing space (compact); if still over quota, the next write
 * raises it again. */
bool kvs_alarm_active(struct kvs *s);
int kvs_alarm_disarm(struct kvs *s);

/* ---------------------------------------------------------------------------------------------------------- */
/* Leases. TTLs are in seconds. */

struct kvs_lease_grant_resp {
    int64_t id, ttl, revision;
};

/* Grants a lease. id 0 picks a random positive ID. ttl below min_lease_ttl becomes min_lease_ttl. Errors:
 * KVS_ETTLTOOLARGE (ttl > 9000000000), KC_EEXIST (the ID exists), KC_ENOSPACE (the alarm is raised). */
int kvs_lease_grant(struct kvs *s, int64_t id, int64_t ttl, struct kvs_lease_grant_resp *out);

/* Revokes a lease and deletes every key attached to it, all in one revision (none if it has no keys), keys in
 * byte order. *revision (may be NULL) gets the header revision. Errors: KC_ENOTFOUND. */
int kvs_lease_revoke(struct kvs *s, int64_t id, int64_t *revision);

/* Renews a lease to now + TTL and gives its granted TTL in *ttl. Not a command (leader-local, as etcd). Errors:
 * KC_ENOTFOUND (no such lease, or it has expired and is being revoked; etcd's keepalive stream then answers
 * TTL 0), KVS_ENOTLEADER (the store is not primary). */
int kvs_lease_keepalive(struct kvs *s, int64_t id, int64_t *ttl);

struct kvs_lease_ttl_resp {
    int64_t id;
    int64_t ttl;          /* whole seconds left, truncated as etcd; -1 when the lease does not exist */
    int64_t granted_ttl;  /* 0 when the lease does not exist */
    struct kvs_buf *keys; /* with keys: the attached keys in byte order */
    size_t n_keys;
    int64_t revision;
    void *priv;
};

/* etcd's LeaseTimeToLive: an unknown lease is not an error but ttl -1. *out: kvs_lease_ttl_free(). */
int kvs_lease_timetolive(struct kvs *s, int64_t id, bool keys, struct kvs_lease_ttl_resp **out);
void kvs_lease_ttl_free(struct kvs_lease_ttl_resp *r);

/* etcd's LeaseLeases: every lease ID, soonest expiry first (ties by ID). *ids is malloc'ed (caller frees, NULL
 * when *n is 0). *revision (may be NULL) gets the current revision. */
int kvs_lease_list(struct kvs *s, int64_t **ids, size_t *n, int64_t *revision);

/* Runs the timed work now: revokes expired leases (each a revoke command through the log; waits until they are
 * applied when single node) and sends due watch progress notifications. The timer thread calls it every
 * timer_interval_ms; tests with a fake clock call it after moving the clock. Returns the number of leases it
 * revoked or a negative error. */
int kvs_tick(struct kvs *s);

/* Raft layer: makes the store primary (it expires leases; every expiry becomes now + TTL + extend_ms, etcd's
 * Promote) or not (no expiry, keepalive fails with KVS_ENOTLEADER, etcd's Demote). */
void kvs_set_primary(struct kvs *s, bool primary, int64_t extend_ms);

/* ---------------------------------------------------------------------------------------------------------- */
/* The command log seam (Raft). kvs_put & co. serialize their request into a command (format: docs/kvstore.md)
 * and hand it to the log: options.propose, or without it the store's own committer, which numbers commands
 * applied+1, applied+2, ... and applies concurrent ones as one batch (one log sync, one LMDB txn). */

struct kvs_entry {
    uint64_t index; /* log index; entries of one call must be increasing */
    const void *data;
    size_t len;
};

/* Applies committed log entries in one LMDB transaction (more than one only when the map must grow), durable when
 * this returns (with KVS_DURABLE_WAL the entries are in the store's write-ahead log, synced, before LMDB applies
 * them).
 * An entry whose index is <= the applied index is skipped, so replaying a log after a crash applies each command
 * exactly once; the applied index is written in the same transaction as the changes. A command's own,
 * deterministic failure (a put on a missing lease, KVS_EDUPKEY, KC_ENOSPACE under the alarm, KC_EPARSE for bytes
 * that are not a command, ...) consumes its entry and does not affect the others. results (may be NULL) gets per
 * entry 0, that error, or KVS_APPLY_SKIPPED; a local caller waiting for the command gets its result.
 * Returns 0; KC_EINVALID (indexes 0 or not increasing) or KC_EUNAVAILABLE (closing) with nothing applied; or the
 * failure that stopped it outside any command's control (-ENOMEM, -EIO, KC_EINTERNAL, KC_ENOSPACE when the map
 * is full at its cap, which also proposes the NOSPACE alarm): the entries before it are applied, it and those
 * after are not (their results hold the error) and must be applied again, in order, later. */
#define KVS_APPLY_SKIPPED 1
int kvs_apply(struct kvs *s, const struct kvs_entry *entries, size_t n, int *results);

/* ---------------------------------------------------------------------------------------------------------- */
/* Snapshot: a consistent copy of the whole database (data, leases, applied index) for backup and Raft
 * InstallSnapshot. */

/* Streams a compacted LMDB copy of the last commit through write (called with chunks in order; returns 0 or a
 * negative error, which aborts the copy and is returned). Writes needing a map resize wait until it ends.
 * Returns 0, the callback's error, or an LMDB/system error. */
int kvs_snapshot(struct kvs *s, int (*write)(void *ctx, const void *buf, size_t len), void *ctx);

/* Creates a store in dir (which must not hold one) from a stream written by kvs_snapshot: read fills buf with up
 * to cap bytes and sets *got (0 at the end); returns 0 or a negative error. The file is synced before this
 * returns; open it with kvs_open. Returns 0, KC_EEXIST (dir holds a store), KC_EINTERNAL (the stream is not a kvs
 * snapshot), the callback's error, or a negative errno. Nothing is left in dir on failure. */
int kvs_restore(const char *dir, int (*read)(void *ctx, void *buf, size_t cap, size_t *got), void *ctx);

/* ---------------------------------------------------------------------------------------------------------- */
/* Watch. A watcher delivers batches in revision order; the events of one revision are always in one batch;
 * catching up from history may put several revisions in one batch (at most 1000, as etcd). History is read in
 * the consumer's thread inside kvs_watch_poll at full speed; once caught up, live events are fanned out from
 * memory after each commit into the watcher's bounded queue. A watcher whose queue is full is cancelled (a last
 * batch with canceled, cancel_err -ENOBUFS and a reason) instead of growing. Guarantees (etcd's): ordered,
 * unique, reliable (no gap short of a cancel), atomic (a revision is never split), resumable (re-watch from
 * last revision + 1), bookmarkable (a progress batch at R means every event <= R was delivered). */

enum kvs_event_type { KVS_EVENT_PUT = 0, KVS_EVENT_DELETE = 1 };

struct kvs_event {
    enum kvs_event_type type;
    struct kvs_kv kv;       /* DELETE: key and mod_revision only, as etcd */
    struct kvs_kv *prev_kv; /* with prev_kv: the key at mod_revision - 1, when that is readable and exists */
};

struct kvs_watch_batch {
    int64_t revision; /* etcd's header.revision: the event revision live, the store revision when catching up,
                         the store revision for progress; 0 for a compaction cancel, as etcd */
    struct kvs_event *events;
    size_t n_events;          /* 0 and not canceled: a progress notification */
    bool canceled;            /* the last batch of this watcher */
    int64_t compact_revision; /* canceled because the start revision was compacted (etcd's compact_revision) */
    int cancel_err; /* 0 (compaction), -ENOBUFS (too slow), -ENOMEM (no memory for its events), KC_EUNAVAILABLE */
    const char *cancel_reason; /* static text for cancel_err, "" for compaction */
    void *priv;
};

struct kvs_watch_req {
    struct kvs_buf key;       /* empty: "\0" (etcd's smallest key) */
    struct kvs_buf range_end; /* as in ranges */
    int64_t start_revision;   /* 0: current + 1; future revisions are fine; below the compaction revision (or
                                 negative below it) gives a compaction cancel */
    bool prev_kv, no_put, no_delete, progress_notify;
};

struct kvs_watch;

/* Creates a watcher. Returns 0 and *out, KVS_EWATCHRANGE (range_end set, not "\0", and <= key; etcd then
 * answers created+canceled with that reason), KC_EUNAVAILABLE, -ENOMEM, or -errno from eventfd. Free with
 * kvs_watch_free(). A watcher is used by one thread at a time. */
int kvs_watch_create(struct kvs *s, const struct kvs_watch_req *req, struct kvs_watch **out);

/* An eventfd (non-blocking) that is readable whenever kvs_watch_poll may return a batch; for an event loop. Do
 * not read or close it; kvs_watch_poll clears it. */
int kvs_watch_fd(const struct kvs_watch *w);

/* Takes the next batch without blocking: 0 and *out (kvs_watch_batch_free()), -EAGAIN when nothing is ready,
 * -ECANCELED after the canceled batch was taken, -ENOMEM, or an LMDB error while reading history (the watcher
 * stays usable). */
int kvs_watch_poll(struct kvs_watch *w, struct kvs_watch_batch **out);

/* Like kvs_watch_poll but waits up to timeout_ms (< 0: forever); -EAGAIN when the time ran out. */
int kvs_watch_wait(struct kvs_watch *w, int timeout_ms, struct kvs_watch_batch **out);

/* Asks for a progress batch: sent once every event up to the current revision has been queued. */
int kvs_watch_progress(struct kvs_watch *w);

/* The watcher's ID (unique in this process, from 1); the daemon keeps etcd's per-stream IDs itself. */
int64_t kvs_watch_id(const struct kvs_watch *w);

/* Cancels and frees a watcher and its queued batches (NULL is fine). Batches already taken stay valid. */
void kvs_watch_free(struct kvs_watch *w);

void kvs_watch_batch_free(struct kvs_watch_batch *b);

#endif
