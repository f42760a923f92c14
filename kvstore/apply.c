/* apply.c - the one apply path: a batch of commands in one durable LMDB transaction, each command in a nested
 * transaction of its own (so one command's failure leaves the others alone), then the post-commit work in a
 * fixed order: committed state, lease timers, watch fan-out, waking the callers.
 *
 * Command semantics follow etcd 3.4's etcdserver/apply.go and mvcc/kvstore_txn.go.
 */
#include "kvs_int.h"

#include <errno.h>
#include <stdlib.h>

#include "kc_log.h"

/* The store state a batch carries from command to command. */
struct bstate {
    int64_t rev, compact;
    uint64_t applied;
    bool alarm;
};

/* ---------------------------------------------------------------------------------------------------------- */
/* Txn evaluation */

struct path {
    bool *v;
    size_t n, cap;
};

static int
path_push(struct path *p, bool b)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        bool *nv = realloc(p->v, cap * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        p->v = nv;
        p->cap = cap;
    }
    p->v[p->n++] = b;
    return 0;
}

static int
cmp_int(int64_t a, int64_t b)
{
    return a < b ? -1 : a > b;
}

static bool
compare_kv(const struct kvs_compare *c, const uint8_t *val, size_t vlen, int64_t version, int64_t create, int64_t mod,
           int64_t lease)
{
    int r = 0;
    switch (c->target) {
    case KVS_CMP_VALUE:
        r = bytes_cmp(val, vlen, c->value.data, c->value.len);
        break;
    case KVS_CMP_CREATE:
        r = cmp_int(create, c->number);
        break;
    case KVS_CMP_MOD:
        r = cmp_int(mod, c->number);
        break;
    case KVS_CMP_VERSION:
        r = cmp_int(version, c->number);
        break;
    case KVS_CMP_LEASE:
        r = cmp_int(lease, c->number);
        break;
    }
    switch (c->result) {
    case KVS_CMP_EQUAL:
        return r == 0;
    case KVS_CMP_NOT_EQUAL:
        return r != 0;
    case KVS_CMP_GREATER:
        return r > 0;
    case KVS_CMP_LESS:
        return r < 0;
    }
    return true;
}

struct cmpctx {
    struct view *v;
    const struct kvs_compare *c;
    bool res, any;
};

static int
compare_cb(void *ctx, const uint8_t *key, size_t klen, const struct ientry *e)
{
    (void)key;
    (void)klen;
    struct cmpctx *x = ctx;
    struct rec r;
    int rc = rec_get(x->v, e->main, e->sub, &r);
    if (rc)
        return rc;
    x->any = true;
    if (!compare_kv(x->c, r.val, r.vlen, r.version, r.create, e->main, r.lease)) {
        x->res = false;
        return 1;
    }
    return 0;
}

/* etcd's applyCompare: every key in the range must satisfy it; no key compares a zero KeyValue, except VALUE,
 * which is then false. */
static int
eval_compare(struct view *v, const struct kvs_compare *c, bool *res)
{
    struct cmpctx x = { v, c, true, false };
    int rc = idx_visit(v, c->key, c->range_end, v->rev, compare_cb, &x);
    if (rc)
        return rc;
    if (!x.any)
        x.res = c->target == KVS_CMP_VALUE ? false : compare_kv(c, NULL, 0, 0, 0, 0, 0);
    *res = x.res;
    return 0;
}

/* etcd's compareToPath: the outcome of every txn on the taken path, preorder, all on the state before. */
static int
txn_path(struct view *v, const struct kvs_txn_req *t, struct path *p)
{
    bool ok = true;
    for (size_t i = 0; i < t->n_compare && ok; i++) {
        int rc = eval_compare(v, &t->compare[i], &ok);
        if (rc)
            return rc;
    }
    int rc = path_push(p, ok);
    const struct kvs_op *ops = ok ? t->success : t->failure;
    size_t n = ok ? t->n_success : t->n_failure;
    for (size_t i = 0; i < n && !rc; i++)
        if (ops[i].type == KVS_OP_TXN && ops[i].txn)
            rc = txn_path(v, ops[i].txn, p);
    return rc;
}

/* etcd's checkRequests with checkRequestPut (puts) or checkRequestRange, on the taken path, state before. */
static int
check_reqs(struct kvs *s, struct view *v, const struct kvs_txn_req *t, const struct path *p, size_t *pos, bool puts)
{
    if (*pos >= p->n)
        return KC_EINTERNAL;
    bool ok = p->v[(*pos)++];
    const struct kvs_op *ops = ok ? t->success : t->failure;
    size_t n = ok ? t->n_success : t->n_failure;
    for (size_t i = 0; i < n; i++) {
        const struct kvs_op *op = &ops[i];
        int rc = 0;
        if (op->type == KVS_OP_TXN && op->txn) {
            rc = check_reqs(s, v, op->txn, p, pos, puts);
        } else if (puts && op->type == KVS_OP_PUT) {
            if (op->put.ignore_value || op->put.ignore_lease) {
                struct ientry e;
                rc = idx_get(v, op->put.key.data, op->put.key.len, v->rev, &e);
                if (rc == KC_ENOTFOUND || (rc == 0 && e.tomb))
                    rc = KVS_EKEYNOTFOUND;
            }
            if (!rc && op->put.lease)
                rc = lease_db_get(s, v->txn, op->put.lease, NULL);
        } else if (!puts && op->type == KVS_OP_RANGE) {
            int64_t r = op->range.revision;
            if (r == 0)
                rc = 0;
            else if (r > v->rev)
                rc = KC_EFUTUREREV;
            else if (r < v->compact_rev)
                rc = KC_ECOMPACTED;
        } else if (op->type == KVS_OP_NONE) {
            rc = KVS_EKEYNOTFOUND;
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int64_t
txn_rev(const struct actx *a)
{
    return a->begin_rev + (a->nchanges > 0);
}

static int
do_put(struct actx *a, const struct kvs_put_req *p, bool in_txn, struct kvs_resp *r)
{
    struct kvs *s = a->s;
    if (!in_txn && p->lease) {
        int rc = lease_db_get(s, a->v.txn, p->lease, NULL);
        if (rc)
            return rc;
    }
    const void *val = p->value.data;
    size_t vlen = p->value.len;
    int64_t lease = p->lease;
    if (p->ignore_value || p->ignore_lease || p->prev_kv) {
        struct ientry e;
        int rc = idx_get(&a->v, p->key.data, p->key.len, txn_rev(a), &e);
        bool found = rc == 0 && !e.tomb;
        if (rc && rc != KC_ENOTFOUND)
            return rc;
        if ((p->ignore_value || p->ignore_lease) && !found)
            return KVS_EKEYNOTFOUND;
        if (found) {
            struct rec old;
            rc = rec_get(&a->v, e.main, e.sub, &old);
            if (rc)
                return rc;
            if (p->ignore_value) {
                /* copy: the record's memory is not stable across the write below */
                val = arena_dup(&a->slot->evar, old.val, old.vlen);
                vlen = old.vlen;
                if (!val)
                    return -ENOMEM;
            }
            if (p->ignore_lease)
                lease = old.lease;
            if (p->prev_kv) {
                r->prev_kv = arena_alloc(a->ra, sizeof(*r->prev_kv));
                if (!r->prev_kv)
                    return -ENOMEM;
                rc = kv_from_rec(a->ra, &old, e.main, false, r->prev_kv);
                if (rc)
                    return rc;
            }
        }
    }
    int rc = mvcc_put(a, p->key.data, p->key.len, val, vlen, lease);
    if (rc)
        return rc;
    r->type = KVS_OP_PUT;
    r->revision = a->begin_rev + 1;
    return 0;
}

static int
do_delete(struct actx *a, const struct kvs_delete_req *d, struct kvs_resp *r)
{
    if (d->prev_kv) {
        struct kvs_range_req rr = { .key = d->key, .range_end = d->range_end };
        struct kvs_resp tmp = { 0 };
        int rc = mvcc_range(&a->v, txn_rev(a), &rr, a->ra, &tmp);
        if (rc)
            return rc;
        r->kvs = tmp.kvs;
        r->n_kvs = tmp.n_kvs;
    }
    int64_t n = 0;
    int rc = mvcc_delete_range(a, d->key, d->range_end, &n);
    if (rc)
        return rc;
    r->type = KVS_OP_DELETE_RANGE;
    r->deleted = n;
    r->revision = txn_rev(a);
    return 0;
}

static int
apply_ops(struct actx *a, const struct kvs_txn_req *t, const struct path *p, size_t *pos, struct kvs_resp *resp)
{
    if (*pos >= p->n)
        return KC_EINTERNAL;
    bool ok = p->v[(*pos)++];
    const struct kvs_op *ops = ok ? t->success : t->failure;
    size_t n = ok ? t->n_success : t->n_failure;
    resp->type = KVS_OP_TXN;
    resp->succeeded = ok;
    resp->n_responses = n;
    if (n) {
        resp->responses = arena_alloc(a->ra, n * sizeof(*resp->responses));
        if (!resp->responses)
            return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const struct kvs_op *op = &ops[i];
        struct kvs_resp *r = &resp->responses[i];
        int rc = 0;
        switch (op->type) {
        case KVS_OP_RANGE:
            rc = mvcc_range(&a->v, txn_rev(a), &op->range, a->ra, r);
            break;
        case KVS_OP_PUT:
            rc = do_put(a, &op->put, true, r);
            break;
        case KVS_OP_DELETE_RANGE:
            rc = do_delete(a, &op->del, r);
            break;
        case KVS_OP_TXN:
            rc = op->txn ? apply_ops(a, op->txn, p, pos, r) : KC_EINVALID;
            r->revision = 0; /* etcd leaves nested txn headers empty */
            break;
        case KVS_OP_NONE:
            rc = KVS_EKEYNOTFOUND;
            break;
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int
eval_txn(struct actx *a, const struct kvs_txn_req *t, struct kvs_resp *resp)
{
    struct path p = { 0 };
    int rc = txn_path(&a->v, t, &p);
    size_t pos = 0;
    if (!rc && !txn_is_readonly(t))
        rc = check_reqs(a->s, &a->v, t, &p, &pos, true);
    pos = 0;
    if (!rc)
        rc = check_reqs(a->s, &a->v, t, &p, &pos, false);
    pos = 0;
    if (!rc)
        rc = apply_ops(a, t, &p, &pos, resp);
    if (!rc)
        resp->revision = txn_rev(a);
    free(p.v);
    return rc;
}

int
txn_readonly(struct kvs *s, const struct kvs_txn_req *t, struct kvs_resp **out)
{
    MDB_txn *txn;
    int rc = rtxn_begin(s, &txn);
    if (rc)
        return rc;
    struct actx a = { .s = s };
    rc = view_open_read(&a.v, s, txn);
    if (rc) {
        rtxn_end(s, txn);
        return rc;
    }
    a.begin_rev = a.v.rev;
    struct arena *ra = arena_new();
    struct kvs_resp *resp = ra ? arena_alloc(ra, sizeof(*resp)) : NULL;
    if (!resp) {
        rc = -ENOMEM;
    } else {
        resp->priv = ra;
        a.ra = ra;
        rc = eval_txn(&a, t, resp);
    }
    view_close(&a.v);
    rtxn_end(s, txn);
    if (rc) {
        arena_free_self(ra);
        return rc;
    }
    *out = resp;
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Commands */

static int
apply_lease_revoke(struct actx *a, int64_t id)
{
    struct kvs *s = a->s;
    int rc = lease_db_get(s, a->v.txn, id, NULL);
    if (rc)
        return rc;
    struct kvs_buf *keys = NULL;
    size_t n = 0;
    rc = lkeys_list(s, a->v.txn, id, &a->slot->evar, &keys, &n);
    for (size_t i = 0; i < n && !rc; i++) {
        int64_t cnt = 0;
        rc = mvcc_delete_range(a, keys[i], (struct kvs_buf){ NULL, 0 }, &cnt);
        if (!rc && cnt == 0)
            rc = lkeys_del(s, a->v.txn, id, keys[i].data, keys[i].len); /* a stale attachment */
    }
    if (!rc)
        rc = lease_db_del(s, a->v.txn, id);
    return rc;
}

/* Applies one decoded command in child txn. st is updated only as the command would leave it. */
static int
apply_cmd(struct kvs *s, MDB_txn *child, struct slot *sl, struct bstate *st)
{
    struct actx a = { .s = s, .begin_rev = st->rev, .slot = sl };
    int rc = view_open(&a.v, s, child, st->rev, st->compact);
    if (rc)
        return rc;
    const struct cmd *c = &sl->cmd;
    struct kvs_resp *resp = NULL;
    if (c->type == CMD_PUT || c->type == CMD_DELETE || c->type == CMD_TXN) {
        a.ra = arena_new();
        resp = a.ra ? arena_alloc(a.ra, sizeof(*resp)) : NULL;
        if (!resp) {
            arena_free_self(a.ra);
            view_close(&a.v);
            return -ENOMEM;
        }
        resp->priv = a.ra;
    }
    switch (c->type) {
    case CMD_PUT:
        rc = st->alarm ? KC_ENOSPACE : do_put(&a, &c->put, false, resp);
        break;
    case CMD_DELETE:
        rc = do_delete(&a, &c->del, resp);
        break;
    case CMD_TXN:
        rc = st->alarm && txn_cost(&c->txn) > 0 ? KC_ENOSPACE : eval_txn(&a, &c->txn, resp);
        break;
    case CMD_COMPACT:
        if (c->a <= st->compact)
            rc = KC_ECOMPACTED;
        else if (c->a > st->rev)
            rc = KC_EFUTUREREV;
        else
            st->compact = c->a;
        sl->rev = st->rev;
        break;
    case CMD_LEASE_GRANT: {
        int64_t ttl = c->b;
        if (st->alarm)
            rc = KC_ENOSPACE;
        else if (c->a == 0)
            rc = KC_ENOTFOUND; /* etcd's lessor.Grant; the API never sends 0 */
        else if (ttl > KVS_MAX_LEASE_TTL)
            rc = KVS_ETTLTOOLARGE;
        else if ((rc = lease_db_get(s, child, c->a, NULL)) == 0)
            rc = KC_EEXIST;
        else if (rc == KC_ENOTFOUND) {
            if (ttl < s->o.min_lease_ttl)
                ttl = s->o.min_lease_ttl;
            rc = lease_db_put(s, child, c->a, ttl);
        }
        if (!rc) {
            sl->ra = c->a;
            sl->rb = ttl;
            sl->rev = st->rev;
            sl->lease_kind = CMD_LEASE_GRANT;
            sl->lease_id = c->a;
            sl->lease_ttl = ttl;
        }
        break;
    }
    case CMD_LEASE_REVOKE:
        rc = apply_lease_revoke(&a, c->a);
        if (!rc) {
            sl->rev = txn_rev(&a);
            sl->lease_kind = CMD_LEASE_REVOKE;
            sl->lease_id = c->a;
        }
        break;
    case CMD_ALARM:
        st->alarm = c->a != 0;
        sl->rev = st->rev;
        break;
    default:
        rc = KC_EPARSE;
    }
    view_close(&a.v);
    if (rc) {
        if (resp)
            kvs_resp_free(resp);
        return rc;
    }
    if (resp) {
        sl->resp = resp;
        sl->rev = resp->revision;
    }
    st->rev = txn_rev(&a);
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Batches */

static void
slot_reset(struct slot *sl)
{
    kvs_resp_free(sl->resp);
    sl->resp = NULL;
    arena_free(&sl->evar);
    sl->evs = NULL;
    sl->nevs = sl->evcap = 0;
    sl->ev_rev = 0;
    sl->lease_kind = 0;
    sl->err = 0;
    sl->skipped = false;
    sl->rev = sl->ra = sl->rb = 0;
}

static int
write_meta(struct kvs *s, MDB_txn *txn, const struct bstate *st)
{
    int rc = meta_put_i64(s, txn, "rev", st->rev);
    if (!rc)
        rc = meta_put_i64(s, txn, "compact_rev", st->compact);
    if (!rc)
        rc = meta_put_i64(s, txn, "applied", (int64_t)st->applied);
    if (!rc)
        rc = meta_put_i64(s, txn, "alarm", st->alarm);
    return rc;
}

static void
deliver(struct kvs *s, struct slot *sl)
{
    struct waiter *w = sl->w;
    if (!w) {
        kvs_resp_free(sl->resp);
        sl->resp = NULL;
        return;
    }
    sl->w = NULL;
    w->resp = sl->resp;
    sl->resp = NULL;
    w->rev = sl->rev;
    w->a = sl->ra;
    w->b = sl->rb;
    waiter_complete(s, w, sl->skipped ? KC_EINTERNAL : sl->err);
}

static void
post_commit(struct kvs *s, struct slot *slots, size_t n, const struct bstate *st)
{
    atomic_store(&s->rev, st->rev);
    atomic_store(&s->applied, st->applied);
    atomic_store(&s->alarm, st->alarm);
    if (st->alarm == false)
        atomic_store(&s->alarm_raising, false);
    bool compacted = st->compact != atomic_load(&s->compact_rev);
    atomic_store(&s->compact_rev, st->compact);
    for (size_t i = 0; i < n; i++)
        if (!slots[i].err && !slots[i].skipped)
            lease_mem_effect(s, &slots[i]);
    hub_publish(s, slots, n, st->rev);
    update_usage(s);
    if (compacted) {
        pthread_mutex_lock(&s->qlock);
        s->compact_wanted = true;
        pthread_cond_broadcast(&s->qcond);
        pthread_mutex_unlock(&s->qlock);
    }
    for (size_t i = 0; i < n; i++)
        deliver(s, &slots[i]);
}

static void
fail_slots(struct kvs *s, struct slot *slots, size_t n, int err)
{
    for (size_t i = 0; i < n; i++) {
        slot_reset(&slots[i]);
        slots[i].err = err;
        deliver(s, &slots[i]);
    }
}

/* Whether err is the command's own, deterministic outcome, so that its log entry is consumed with it as the
 * result, rather than the environment's (memory, I/O, a full map, corruption): then the entry and the ones after
 * it are left unapplied, for the log to hand over again, and replicas stay identical. */
static bool
deterministic(int err)
{
    if (err == KC_EINTERNAL)
        return false;
    return kc_is_domain_error(err) || (err >= KVS_ERANGE_LAST && err <= KVS_ERANGE_FIRST);
}

int
apply_batch(struct kvs *s, struct slot *slots, size_t n)
{
    pthread_mutex_lock(&s->wlock);
    if (s->closed) {
        pthread_mutex_unlock(&s->wlock);
        return KC_EUNAVAILABLE;
    }
    uint64_t next = atomic_load(&s->applied) + 1, prev = 0;
    for (size_t i = 0; i < n; i++) {
        if (slots[i].index == 0)
            slots[i].index = next;
        if (i > 0 && slots[i].index <= prev) {
            pthread_mutex_unlock(&s->wlock);
            return KC_EINVALID;
        }
        prev = slots[i].index;
        next = slots[i].index + 1;
    }
    for (size_t i = 0; i < n; i++) {
        slots[i].decode_err = cmd_decode(slots[i].data, slots[i].len, &slots[i].ar, &slots[i].cmd);
        if (!slots[i].w)
            slots[i].w = waiter_take(s, cmd_req_id(slots[i].data, slots[i].len));
    }
    /* durable before anything is visible: logged and synced (KVS_DURABLE_WAL), then applied without a sync */
    int lrc = s->wal_err ? s->wal_err : wal_log_batch(s, slots, n);
    if (lrc) {
        fail_slots(s, slots, n, lrc);
        pthread_mutex_unlock(&s->wlock);
        return lrc;
    }
    uint64_t logged = s->wal && !s->replaying ? slots[n - 1].index : 0;
    int ret = 0;
    bool raise = false;
    size_t start = 0;
    while (start < n) {
        struct bstate st = { atomic_load(&s->rev), atomic_load(&s->compact_rev), atomic_load(&s->applied),
                             atomic_load(&s->alarm) };
        size_t end = n;
        bool grow = false;
        int stop = 0; /* an environmental failure at slot `end` */
        pthread_rwlock_rdlock(&s->maplock);
        MDB_txn *parent;
        int rc = lmdb_err(mdb_txn_begin(s->env, NULL, 0, &parent), "txn_begin");
        if (rc) {
            pthread_rwlock_unlock(&s->maplock);
            fail_slots(s, slots + start, n - start, rc);
            ret = rc;
            break;
        }
        for (size_t i = start; i < n; i++) {
            struct slot *sl = &slots[i];
            slot_reset(sl);
            if (sl->index <= st.applied) {
                sl->skipped = true;
                continue;
            }
            if (sl->decode_err) {
                rc = sl->decode_err;
            } else {
                struct bstate tmp = st;
                MDB_txn *child;
                rc = mdb_txn_begin(s->env, parent, 0, &child);
                if (rc) {
                    rc = lmdb_err(rc, "txn_begin nested");
                } else {
                    rc = apply_cmd(s, child, sl, &tmp);
                    if (rc == 0)
                        rc = lmdb_err(mdb_txn_commit(child), "commit nested");
                    else
                        mdb_txn_abort(child);
                }
                if (rc == 0) {
                    st = tmp;
                    st.applied = sl->index;
                    continue;
                }
                slot_reset(sl);
            }
            /* room may come from a larger map, or (with the log) from a checkpoint releasing what the pin holds */
            if (rc == MDB_MAP_FULL && (s->map_size < s->map_cap || (s->wal && s->pin_applied != st.applied))) {
                end = i;
                grow = true;
                break;
            }
            if (!deterministic(rc)) {
                /* the map is full at its cap (quota + reserve), or memory or I/O failed */
                stop = rc == MDB_MAP_FULL ? KC_ENOSPACE : rc;
                end = i;
                break;
            }
            sl->err = rc;
            st.applied = sl->index;
        }
        rc = write_meta(s, parent, &st);
        if (rc == 0)
            rc = lmdb_err(mdb_txn_commit(parent), "commit");
        else
            mdb_txn_abort(parent);
        int sync_rc = 0;
        if (rc == 0 && s->explicit_sync)
            sync_rc = lmdb_err(mdb_env_sync(s->env, 1), "env_sync");
        pthread_rwlock_unlock(&s->maplock);
        if (rc == MDB_MAP_FULL && grow_map(s) == 0)
            continue; /* the commit itself did not fit: retry the whole batch with a larger map */
        if (rc) {
            rc = rc == MDB_MAP_FULL ? KC_ENOSPACE : rc;
            raise = raise || rc == KC_ENOSPACE;
            fail_slots(s, slots + start, n - start, rc);
            ret = rc;
            break;
        }
        if (sync_rc) {
            /* committed but not known durable: do not acknowledge success */
            for (size_t i = start; i < end; i++)
                if (!slots[i].err)
                    slots[i].err = sync_rc;
        }
        atomic_fetch_add(&s->commits, 1);
        atomic_fetch_add(&s->commands, (int64_t)(end - start));
        atomic_store(&s->ck_dirty, true);
        post_commit(s, slots + start, end - start, &st);
        if (stop) {
            /* later entries must not be applied before this one */
            raise = raise || stop == KC_ENOSPACE;
            fail_slots(s, slots + end, n - end, stop);
            ret = stop;
            break;
        }
        if (grow && grow_map(s) != 0) {
            fail_slots(s, slots + end, n - end, KC_ENOSPACE); /* cannot happen: there was room to make */
            ret = KC_ENOSPACE;
            break;
        }
        start = end;
    }
    if (ret && logged > atomic_load(&s->applied))
        wal_log_void(s, atomic_load(&s->applied) + 1); /* logged but not applied: replay must not apply them */
    ckpt_maybe_start(s);
    pthread_mutex_unlock(&s->wlock);
    if (raise)
        raise_alarm_async(s); /* through the log, as etcd raises NOSPACE; not under wlock (propose may apply) */
    return ret;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Map growth, usage, physical compaction */

int
grow_map(struct kvs *s)
{
    /* With the log, the pinned checkpoint keeps the pages freed since from being reused: a checkpoint of the
     * current state releases them (and drops every txn of ours, as mdb_env_set_mapsize needs). */
    bool released = false;
    if (s->wal) {
        uint64_t before = s->pin_applied;
        int rc = ckpt_now(s, false);
        if (rc)
            return rc;
        released = s->pin_applied != before;
    }
    pthread_rwlock_wrlock(&s->maplock);
    if (s->map_size >= s->map_cap) {
        pthread_rwlock_unlock(&s->maplock);
        int rc = ckpt_repin(s);
        return rc ? rc : released ? 0 : KC_ENOSPACE;
    }
    int64_t size = s->map_size * 2;
    if (size > s->map_cap)
        size = s->map_cap;
    int rc = mdb_env_set_mapsize(s->env, (size_t)size);
    if (rc == 0)
        s->map_size = size;
    pthread_rwlock_unlock(&s->maplock);
    int prc = ckpt_repin(s);
    if (rc)
        return lmdb_err(rc, "set_mapsize");
    if (prc)
        return prc;
    KC_LOG(KC_LOG_INFO, "kvstore", "map grown", "bytes=%lld", (long long)size);
    return 0;
}

static int64_t
free_pages(struct kvs *s)
{
    MDB_txn *txn;
    if (rtxn_begin(s, &txn))
        return 0;
    MDB_cursor *c;
    int64_t pages = 0;
    if (mdb_cursor_open(txn, 0, &c) == 0) {
        MDB_val k, v;
        while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0)
            if (v.mv_size >= sizeof(size_t))
                pages += (int64_t) * (const size_t *)v.mv_data; /* an IDL: count, then page numbers */
        mdb_cursor_close(c);
    }
    rtxn_end(s, txn);
    return pages;
}

void
update_usage(struct kvs *s)
{
    MDB_envinfo info;
    if (mdb_env_info(s->env, &info))
        return;
    int64_t db = (int64_t)(info.me_last_pgno + 1) * (int64_t)s->psize;
    int64_t used = db;
    if (db + (1 << 20) >= s->o.quota_bytes)
        used = db - free_pages(s) * (int64_t)s->psize; /* near the quota: count what is reusable */
    atomic_store(&s->db_size, db);
    atomic_store(&s->used_bytes, used);
}

static int
meta_get_raw(struct kvs *s, MDB_txn *txn, const char *name, MDB_val *out)
{
    MDB_val k = { strlen(name), (void *)name };
    int rc = mdb_get(txn, s->dbi_meta, &k, out);
    if (rc == MDB_NOTFOUND)
        return KC_ENOTFOUND;
    return lmdb_err(rc, "get meta");
}

int
compact_work(struct kvs *s)
{
    pthread_mutex_lock(&s->wlock);
    int64_t target = atomic_load(&s->compact_rev);
    if (s->closed || atomic_load(&s->phys_rev) >= target) {
        pthread_mutex_unlock(&s->wlock);
        return 0;
    }
    int more = 0;
    for (int attempt = 0; attempt < 8; attempt++) {
        pthread_rwlock_rdlock(&s->maplock);
        MDB_txn *txn;
        int rc = lmdb_err(mdb_txn_begin(s->env, NULL, 0, &txn), "txn_begin");
        uint8_t *next = NULL;
        size_t nlen = 0;
        if (rc == 0) {
            int64_t scan_target = 0;
            MDB_val resume = { 0, NULL };
            if (meta_get_i64(s, txn, "cscan_target", &scan_target) != 0 || scan_target != target ||
                meta_get_raw(s, txn, "cscan_key", &resume) != 0)
                resume = (MDB_val){ 0, NULL };
            rc = mvcc_compact_step(s, txn, target, resume.mv_data, resume.mv_size, s->o.compact_batch_keys, &next,
                                   &nlen);
            if (rc == 0 && next) {
                MDB_val k = { strlen("cscan_key"), "cscan_key" }, v = { nlen, next };
                rc = lmdb_err(mdb_put(txn, s->dbi_meta, &k, &v, 0), "put meta");
                if (rc == 0)
                    rc = meta_put_i64(s, txn, "cscan_target", target);
            } else if (rc == 0) {
                MDB_val k = { strlen("cscan_key"), "cscan_key" };
                int drc = mdb_del(txn, s->dbi_meta, &k, NULL);
                rc = drc == MDB_NOTFOUND ? 0 : lmdb_err(drc, "del meta");
                if (rc == 0)
                    rc = meta_put_i64(s, txn, "phys_rev", target);
            }
            if (rc == 0)
                rc = lmdb_err(mdb_txn_commit(txn), "commit");
            else
                mdb_txn_abort(txn);
            if (rc == 0)
                atomic_store(&s->ck_dirty, true);
            if (rc == 0 && s->explicit_sync)
                rc = lmdb_err(mdb_env_sync(s->env, 1), "env_sync");
        }
        pthread_rwlock_unlock(&s->maplock);
        bool done = rc == 0 && !next;
        free(next);
        if (rc == MDB_MAP_FULL && grow_map(s) == 0)
            continue;
        if (rc) {
            if (rc == MDB_MAP_FULL)
                rc = KC_ENOSPACE;
            KC_LOG(KC_LOG_ERROR, "kvstore", "compaction step failed", "rev=%lld err=\"%s\"", (long long)target,
                   kc_strerror(rc));
            pthread_mutex_lock(&s->qlock);
            s->compact_err = rc;
            pthread_cond_broadcast(&s->compact_cond);
            pthread_mutex_unlock(&s->qlock);
            break;
        }
        pthread_mutex_lock(&s->qlock);
        s->compact_err = 0;
        pthread_mutex_unlock(&s->qlock);
        if (done) {
            atomic_store(&s->phys_rev, target);
            pthread_mutex_lock(&s->qlock);
            pthread_cond_broadcast(&s->compact_cond);
            pthread_mutex_unlock(&s->qlock);
        } else {
            more = 1;
        }
        break;
    }
    update_usage(s);
    ckpt_maybe_start(s);
    pthread_mutex_unlock(&s->wlock);
    return more;
}
