/* lease.c - leases: grant and revoke go through the command log; expiry times live in memory on the primary
 * (as etcd's lessor keeps them), keepalive and time-to-live read them, and the timer revokes expired leases
 * with ordinary revoke commands.
 */
#include "kvs_int.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "kc_fault.h"

#define NS_PER_S             1000000000LL
#define NS_PER_MS            1000000LL
#define MAX_REVOKES_PER_TICK 1000 /* etcd revokes up to leaseRevokeRate/2 = 500 per 500 ms loop */

static size_t
lm_slot(const struct lease_map *m, int64_t id)
{
    return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ull) >> 20) & (m->cap - 1);
}

static struct lease_mem *
lm_find(struct lease_map *m, int64_t id)
{
    if (!m->cap)
        return NULL;
    for (size_t i = lm_slot(m, id);; i = (i + 1) & (m->cap - 1)) {
        if (!m->slots[i].used)
            return NULL;
        if (m->slots[i].id == id)
            return &m->slots[i];
    }
}

static int
lm_grow(struct lease_map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    struct lease_mem *slots = kc_calloc(cap, sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    struct lease_map nm = { slots, cap, 0 };
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].used)
            continue;
        size_t j = lm_slot(&nm, m->slots[i].id);
        while (slots[j].used)
            j = (j + 1) & (cap - 1);
        slots[j] = m->slots[i];
        nm.n++;
    }
    free(m->slots);
    *m = nm;
    return 0;
}

static int
lm_put(struct lease_map *m, int64_t id, int64_t ttl, int64_t expiry)
{
    struct lease_mem *l = lm_find(m, id);
    if (!l) {
        if ((m->n + 1) * 10 > m->cap * 7) {
            int rc = lm_grow(m);
            if (rc)
                return rc;
        }
        size_t i = lm_slot(m, id);
        while (m->slots[i].used)
            i = (i + 1) & (m->cap - 1);
        l = &m->slots[i];
        l->used = true;
        l->id = id;
        m->n++;
    }
    l->ttl = ttl;
    l->expiry = expiry;
    l->retry_at = 0;
    return 0;
}

static void
lm_del(struct lease_map *m, int64_t id)
{
    struct lease_mem *l = lm_find(m, id);
    if (!l)
        return;
    size_t i = (size_t)(l - m->slots);
    m->slots[i].used = false;
    m->n--;
    /* backward-shift the cluster after i so lookups need no tombstones */
    for (size_t j = (i + 1) & (m->cap - 1); m->slots[j].used; j = (j + 1) & (m->cap - 1)) {
        size_t home = lm_slot(m, m->slots[j].id);
        bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            m->slots[i] = m->slots[j];
            m->slots[j].used = false;
            i = j;
        }
    }
}

static int64_t
expiry_of(struct kvs *s, int64_t now, int64_t ttl, int64_t extend_ns)
{
    if (!s->primary)
        return KVS_FOREVER;
    return now + ttl * NS_PER_S + extend_ns;
}

int
lease_mem_load(struct kvs *s)
{
    MDB_txn *txn;
    int rc = rtxn_begin(s, &txn);
    if (rc)
        return rc;
    MDB_cursor *c;
    rc = mdb_cursor_open(txn, s->dbi_lease, &c);
    if (rc) {
        rtxn_end(s, txn);
        return lmdb_err(rc, "cursor_open");
    }
    int64_t now = kvs_now(s);
    MDB_val k, v;
    pthread_mutex_lock(&s->lease_lock);
    while (rc == 0 && mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0) {
        if (k.mv_size != 8 || v.mv_size < 8)
            continue;
        int64_t id = (int64_t)get_be64(k.mv_data), ttl = (int64_t)get_le64(v.mv_data);
        if (ttl < s->o.min_lease_ttl)
            ttl = s->o.min_lease_ttl;
        rc = lm_put(&s->leases, id, ttl, expiry_of(s, now, ttl, s->o.lease_extend_ms * NS_PER_MS));
    }
    pthread_mutex_unlock(&s->lease_lock);
    mdb_cursor_close(c);
    rtxn_end(s, txn);
    return rc;
}

void
lease_mem_free(struct kvs *s)
{
    free(s->leases.slots);
    s->leases = (struct lease_map){ 0 };
}

void
lease_mem_effect(struct kvs *s, const struct slot *sl)
{
    if (!sl->lease_kind)
        return;
    pthread_mutex_lock(&s->lease_lock);
    if (sl->lease_kind == CMD_LEASE_GRANT)
        lm_put(&s->leases, sl->lease_id, sl->lease_ttl, expiry_of(s, kvs_now(s), sl->lease_ttl, 0));
    else
        lm_del(&s->leases, sl->lease_id);
    pthread_mutex_unlock(&s->lease_lock);
}

int
kvs_lease_grant(struct kvs *s, int64_t id, int64_t ttl, struct kvs_lease_grant_resp *out)
{
    if (!s || !out)
        return KC_EINVALID;
    bool pick = id == 0;
    int rc = 0;
    for (int attempt = 0; attempt < 16; attempt++) {
        if (pick) {
            /* etcd: a random positive ID from the request ID generator */
            uint64_t r = 0;
            while (r == 0) {
                if (getrandom(&r, sizeof(r), 0) != sizeof(r))
                    r = next_req_id(s) * 0x9E3779B97F4A7C15ull;
                r &= INT64_MAX;
            }
            id = (int64_t)r;
        }
        struct bbuf b = { 0 };
        cmd_simple(&b, CMD_LEASE_GRANT, next_req_id(s), id, ttl);
        struct waiter w = { 0 };
        rc = submit_wait(s, &b, 64, &w);
        if (rc == KC_EEXIST && pick)
            continue;
        if (rc == 0)
            *out = (struct kvs_lease_grant_resp){ w.a, w.b, w.rev };
        break;
    }
    return rc;
}

int
kvs_lease_revoke(struct kvs *s, int64_t id, int64_t *revision)
{
    if (!s)
        return KC_EINVALID;
    struct bbuf b = { 0 };
    cmd_simple(&b, CMD_LEASE_REVOKE, next_req_id(s), id, 0);
    struct waiter w = { 0 };
    int rc = submit_wait(s, &b, 0, &w);
    if (rc == 0 && revision)
        *revision = w.rev;
    return rc;
}

int
kvs_lease_keepalive(struct kvs *s, int64_t id, int64_t *ttl)
{
    if (!s)
        return KC_EINVALID;
    int64_t now = kvs_now(s);
    pthread_mutex_lock(&s->lease_lock);
    int rc = 0;
    struct lease_mem *l = NULL;
    if (!s->primary)
        rc = KVS_ENOTLEADER;
    else if (!(l = lm_find(&s->leases, id)) || l->expiry <= now)
        rc = KC_ENOTFOUND; /* unknown, or expired and about to be revoked */
    else
        l->expiry = now + l->ttl * NS_PER_S;
    int64_t t = l ? l->ttl : 0;
    pthread_mutex_unlock(&s->lease_lock);
    if (rc == 0 && ttl)
        *ttl = t;
    return rc;
}

void
kvs_lease_ttl_free(struct kvs_lease_ttl_resp *r)
{
    if (r)
        arena_free_self(r->priv);
}

int
kvs_lease_timetolive(struct kvs *s, int64_t id, bool keys, struct kvs_lease_ttl_resp **out)
{
    if (!s || !out)
        return KC_EINVALID;
    struct arena *ra = arena_new();
    struct kvs_lease_ttl_resp *r = ra ? arena_alloc(ra, sizeof(*r)) : NULL;
    if (!r) {
        arena_free_self(ra);
        return -ENOMEM;
    }
    r->priv = ra;
    r->id = id;
    MDB_txn *txn;
    int rc = rtxn_begin(s, &txn);
    if (rc) {
        arena_free_self(ra);
        return rc;
    }
    int64_t ttl = 0;
    rc = meta_get_i64(s, txn, "rev", &r->revision);
    if (!rc)
        rc = lease_db_get(s, txn, id, &ttl);
    if (rc == KC_ENOTFOUND) {
        r->ttl = -1; /* etcd answers an unknown lease with TTL -1, not an error */
        rc = 0;
    } else if (rc == 0) {
        r->granted_ttl = ttl;
        int64_t now = kvs_now(s);
        pthread_mutex_lock(&s->lease_lock);
        struct lease_mem *l = lm_find(&s->leases, id);
        int64_t expiry = l ? l->expiry : expiry_of(s, now, ttl, 0);
        pthread_mutex_unlock(&s->lease_lock);
        /* etcd: int64(Remaining().Seconds()), truncated toward zero; forever is MaxInt64 nanoseconds */
        r->ttl = expiry == KVS_FOREVER ? INT64_MAX / NS_PER_S : (expiry - now) / NS_PER_S;
        if (keys)
            rc = lkeys_list(s, txn, id, ra, &r->keys, &r->n_keys);
    }
    rtxn_end(s, txn);
    if (rc) {
        arena_free_self(ra);
        return rc;
    }
    *out = r;
    return 0;
}

struct lexp {
    int64_t id, expiry;
};

static int
lexp_cmp(const void *a, const void *b, void *ctx)
{
    (void)ctx;
    const struct lexp *x = a, *y = b;
    if (x->expiry != y->expiry)
        return x->expiry < y->expiry ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

int
kvs_lease_list(struct kvs *s, int64_t **ids, size_t *n, int64_t *revision)
{
    if (!s || !ids || !n)
        return KC_EINVALID;
    MDB_txn *txn;
    int rc = rtxn_begin(s, &txn);
    if (rc)
        return rc;
    int64_t rev = 0;
    rc = meta_get_i64(s, txn, "rev", &rev);
    MDB_cursor *c = NULL;
    if (!rc)
        rc = lmdb_err(mdb_cursor_open(txn, s->dbi_lease, &c), "cursor_open");
    struct lexp *v = NULL;
    size_t cnt = 0, cap = 0;
    int64_t now = kvs_now(s);
    MDB_val k, d;
    while (!rc && mdb_cursor_get(c, &k, &d, MDB_NEXT) == 0) {
        if (k.mv_size != 8 || d.mv_size < 8)
            continue;
        if (cnt == cap) {
            cap = cap ? cap * 2 : 32;
            struct lexp *nv = realloc(v, cap * sizeof(*nv));
            if (!nv) {
                rc = -ENOMEM;
                break;
            }
            v = nv;
        }
        int64_t id = (int64_t)get_be64(k.mv_data), ttl = (int64_t)get_le64(d.mv_data);
        pthread_mutex_lock(&s->lease_lock);
        struct lease_mem *l = lm_find(&s->leases, id);
        v[cnt++] = (struct lexp){ id, l ? l->expiry : expiry_of(s, now, ttl, 0) };
        pthread_mutex_unlock(&s->lease_lock);
    }
    if (c)
        mdb_cursor_close(c);
    rtxn_end(s, txn);
    int64_t *out = NULL;
    if (!rc && cnt) {
        stable_sort(v, cnt, sizeof(*v), lexp_cmp, NULL);
        out = kc_malloc(cnt * sizeof(*out));
        if (!out)
            rc = -ENOMEM;
        for (size_t i = 0; out && i < cnt; i++)
            out[i] = v[i].id;
    }
    free(v);
    if (rc)
        return rc;
    *ids = out;
    *n = cnt;
    if (revision)
        *revision = rev;
    return 0;
}

void
kvs_set_primary(struct kvs *s, bool primary, int64_t extend_ms)
{
    int64_t now = kvs_now(s);
    pthread_mutex_lock(&s->lease_lock);
    s->primary = primary;
    for (size_t i = 0; i < s->leases.cap; i++) {
        struct lease_mem *l = &s->leases.slots[i];
        if (l->used) {
            l->expiry = expiry_of(s, now, l->ttl, extend_ms * NS_PER_MS);
            l->retry_at = 0;
        }
    }
    pthread_mutex_unlock(&s->lease_lock);
}

int
kvs_tick(struct kvs *s)
{
    if (!s)
        return KC_EINVALID;
    int64_t now = kvs_now(s);
    int64_t expired[MAX_REVOKES_PER_TICK];
    size_t n = 0;
    pthread_mutex_lock(&s->lease_lock);
    if (s->primary) {
        for (size_t i = 0; i < s->leases.cap && n < MAX_REVOKES_PER_TICK; i++) {
            struct lease_mem *l = &s->leases.slots[i];
            if (l->used && l->expiry <= now && l->retry_at <= now) {
                l->retry_at = now + KVS_REVOKE_RETRY; /* etcd rechecks an unrevoked expiry after 3 s */
                expired[n++] = l->id;
            }
        }
    }
    pthread_mutex_unlock(&s->lease_lock);
    int revoked = 0;
    if (n) {
        struct waiter *ws = kc_calloc(n, sizeof(*ws));
        bool *started = kc_calloc(n, sizeof(*started));
        if (!ws || !started) {
            free(ws);
            free(started);
            return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
            struct bbuf b = { 0 };
            cmd_simple(&b, CMD_LEASE_REVOKE, next_req_id(s), expired[i], 0);
            started[i] = submit_start(s, &b, 0, &ws[i]) == 0;
        }
        for (size_t i = 0; i < n; i++)
            if (started[i] && waiter_wait(s, &ws[i]) == 0)
                revoked++;
        free(ws);
        free(started);
    }
    pthread_mutex_lock(&s->lease_lock);
    bool progress = now - s->last_progress >= s->o.progress_interval_ms * NS_PER_MS;
    if (progress)
        s->last_progress = now;
    pthread_mutex_unlock(&s->lease_lock);
    if (progress)
        hub_progress_tick(s);
    return revoked;
}
