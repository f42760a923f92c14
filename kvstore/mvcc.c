/* mvcc.c - the MVCC layer on LMDB: index and revision records, ranges at a revision (copied, or lent from the
 * map), puts and deletes with tombstones, physical compaction, and the lease tables.
 *
 * rev DB:   main revision (8 bytes BE) + sub revision (4 bytes BE) -> record (header, key, value). In revision
 *           order, so it is also the watch history.
 * idx DB:   DUPSORT|DUPFIXED index key -> 16-byte entries (~main BE, ~sub BE, flags), newest first, so
 *           MDB_GET_BOTH_RANGE with ~R finds the latest revision <= R in one seek. Index keys longer than
 *           maxkey - 32 bytes are their first maxkey - 32 bytes + sha256(key): order is kept between groups and
 *           restored inside a group (same prefix) by sorting on the full key from the record.
 * lease DB: lease ID (8 bytes BE) -> TTL (i64 LE). lkeys DB: lease ID + key (or its sha256 when long) -> full
 *           key when hashed, else empty.
 */
#include "kvs_int.h"

#include <errno.h>
#include <stdlib.h>

#include "kc_crypto.h"

#define REV_KEY_LEN 12
#define DUP_LEN     16
#define REC_HDR     48

static void
rev_key(uint8_t out[REV_KEY_LEN], int64_t main, uint32_t sub)
{
    put_be64(out, (uint64_t)main);
    put_be32(out + 8, sub);
}

static void
dup_enc(uint8_t out[DUP_LEN], int64_t main, uint32_t sub, bool tomb)
{
    put_be64(out, UINT64_MAX - (uint64_t)main);
    put_be32(out + 8, UINT32_MAX - sub);
    put_be32(out + 12, tomb ? 1 : 0);
}

static void
dup_dec(const uint8_t *p, struct ientry *e)
{
    e->main = (int64_t)(UINT64_MAX - get_be64(p));
    e->sub = UINT32_MAX - get_be32(p + 8);
    e->tomb = get_be32(p + 12) & 1;
}

/* The index key of key into out (maxkey bytes); returns its length. */
static size_t
idx_key(const struct kvs *s, const void *key, size_t klen, uint8_t *out)
{
    if (klen <= s->prefix_len) {
        memcpy(out, key, klen);
        return klen;
    }
    memcpy(out, key, s->prefix_len);
    kc_sha256(key, klen, out + s->prefix_len);
    return s->prefix_len + KVS_HASH_LEN;
}

static bool
idx_long(const struct kvs *s, size_t ilen)
{
    return ilen > s->prefix_len;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Views */

int
view_open(struct view *v, struct kvs *s, MDB_txn *txn, int64_t rev, int64_t compact_rev)
{
    memset(v, 0, sizeof(*v));
    v->s = s;
    v->txn = txn;
    v->rev = rev;
    v->compact_rev = compact_rev;
    int rc = mdb_cursor_open(txn, s->dbi_idx, &v->kc);
    if (rc == 0)
        rc = mdb_cursor_open(txn, s->dbi_idx, &v->dc);
    if (rc) {
        view_close(v);
        return lmdb_err(rc, "cursor_open");
    }
    return 0;
}

int
view_open_read(struct view *v, struct kvs *s, MDB_txn *txn)
{
    int64_t rev = 1, compact = -1;
    int rc = meta_get_i64(s, txn, "rev", &rev);
    if (rc == 0)
        rc = meta_get_i64(s, txn, "compact_rev", &compact);
    if (rc)
        return rc;
    return view_open(v, s, txn, rev, compact);
}

void
view_close(struct view *v)
{
    if (v->kc)
        mdb_cursor_close(v->kc);
    if (v->dc)
        mdb_cursor_close(v->dc);
    v->kc = v->dc = NULL;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Records */

int
rec_decode(const MDB_val *val, struct rec *out)
{
    const uint8_t *p = val->mv_data;
    if (val->mv_size < REC_HDR)
        return KC_EINTERNAL;
    uint32_t klen = get_le32(p + 4);
    if (val->mv_size - REC_HDR < klen)
        return KC_EINTERNAL;
    out->tomb = p[0] & 1;
    out->klen = klen;
    out->key = p + REC_HDR;
    out->val = p + REC_HDR + klen;
    out->vlen = val->mv_size - REC_HDR - klen;
    out->create = (int64_t)get_le64(p + 8);
    out->version = (int64_t)get_le64(p + 16);
    out->lease = (int64_t)get_le64(p + 24);
    out->prev_main = (int64_t)get_le64(p + 32);
    out->prev_sub = get_le32(p + 40);
    return 0;
}

int
rec_get(struct view *v, int64_t main, uint32_t sub, struct rec *out)
{
    uint8_t k[REV_KEY_LEN];
    rev_key(k, main, sub);
    MDB_val key = { sizeof(k), k }, val;
    int rc = mdb_get(v->txn, v->s->dbi_rev, &key, &val);
    if (rc == MDB_NOTFOUND)
        return KC_ENOTFOUND;
    if (rc)
        return lmdb_err(rc, "get rev");
    return rec_decode(&val, out);
}

static int
rec_write(struct actx *a, int64_t main, uint32_t sub, const struct rec *r)
{
    uint8_t k[REV_KEY_LEN];
    rev_key(k, main, sub);
    MDB_val key = { sizeof(k), k }, val = { REC_HDR + r->klen + r->vlen, NULL };
    int rc = mdb_put(a->v.txn, a->s->dbi_rev, &key, &val, MDB_APPEND | MDB_RESERVE);
    if (rc)
        return lmdb_err(rc, "put rev");
    uint8_t *p = val.mv_data;
    memset(p, 0, REC_HDR);
    p[0] = r->tomb ? 1 : 0;
    put_le32(p + 4, (uint32_t)r->klen);
    put_le64(p + 8, (uint64_t)r->create);
    put_le64(p + 16, (uint64_t)r->version);
    put_le64(p + 24, (uint64_t)r->lease);
    put_le64(p + 32, (uint64_t)r->prev_main);
    put_le32(p + 40, r->prev_sub);
    memcpy(p + REC_HDR, r->key, r->klen);
    if (r->vlen)
        memcpy(p + REC_HDR + r->klen, r->val, r->vlen);
    return 0;
}

int
kv_from_rec(struct arena *ra, const struct rec *r, int64_t main, bool keys_only, struct kvs_kv *out)
{
    out->key = arena_dup(ra, r->key, r->klen);
    out->key_len = r->klen;
    if (!keys_only && r->vlen) {
        out->value = arena_dup(ra, r->val, r->vlen);
        if (!out->value)
            return -ENOMEM;
        out->value_len = r->vlen;
    }
    out->create_revision = r->create;
    out->mod_revision = main;
    out->version = r->version;
    out->lease = r->lease;
    return out->key ? 0 : -ENOMEM;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Index lookups */

/* The latest entry of index key ik with main <= rev through cursor c. */
static int
idx_lookup(struct view *v, const uint8_t *ik, size_t ilen, int64_t rev, struct ientry *out)
{
    if (rev < 1)
        return KC_ENOTFOUND;
    uint8_t seek[DUP_LEN];
    dup_enc(seek, rev, UINT32_MAX, false);
    MDB_val k = { ilen, (void *)ik }, d = { sizeof(seek), seek };
    int rc = mdb_cursor_get(v->dc, &k, &d, MDB_GET_BOTH_RANGE);
    if (rc == MDB_NOTFOUND)
        return KC_ENOTFOUND;
    if (rc)
        return lmdb_err(rc, "idx lookup");
    dup_dec(d.mv_data, out);
    return 0;
}

/* Like idx_get, but tells a hash collision (KC_ECONFLICT: the index key belongs to another long key). */
static int
idx_get_exact(struct view *v, const void *key, size_t klen, int64_t rev, struct ientry *out)
{
    uint8_t ik[512];
    size_t ilen = idx_key(v->s, key, klen, ik);
    int rc = idx_lookup(v, ik, ilen, rev, out);
    if (rc == 0 && idx_long(v->s, ilen)) {
        struct rec r;
        rc = rec_get(v, out->main, out->sub, &r);
        if (rc == 0 && bytes_cmp(r.key, r.klen, key, klen) != 0)
            rc = KC_ECONFLICT;
    } else if (rc == KC_ENOTFOUND && idx_long(v->s, ilen)) {
        /* no entry <= rev; an entry of another key under this index key is still a collision for writers */
        struct ientry any;
        if (idx_lookup(v, ik, ilen, INT64_MAX, &any) == 0) {
            struct rec r;
            if (rec_get(v, any.main, any.sub, &r) == 0 && bytes_cmp(r.key, r.klen, key, klen) != 0)
                rc = KC_ECONFLICT;
        }
    }
    return rc;
}

int
idx_get(struct view *v, const void *key, size_t klen, int64_t rev, struct ientry *out)
{
    int rc = idx_get_exact(v, key, klen, rev, out);
    return rc == KC_ECONFLICT ? KC_ENOTFOUND : rc;
}

struct ghit {
    const uint8_t *key;
    size_t klen;
    struct ientry e;
};

static int
ghit_cmp(const void *a, const void *b, void *ctx)
{
    (void)ctx;
    const struct ghit *x = a, *y = b;
    return bytes_cmp(x->key, x->klen, y->key, y->klen);
}

int
idx_visit(struct view *v, struct kvs_buf key, struct kvs_buf end, int64_t rev, visit_fn fn, void *ctx)
{
    enum range_mode mode = range_mode_of(end);
    struct kvs *s = v->s;
    if (mode == RANGE_SINGLE) {
        struct ientry e;
        int rc = idx_get(v, key.data, key.len, rev, &e);
        if (rc == KC_ENOTFOUND)
            return 0;
        if (rc)
            return rc;
        if (e.tomb)
            return 0;
        rc = fn(ctx, key.data, key.len, &e);
        return rc > 0 ? 0 : rc;
    }
    if (rev < 1)
        return 0;
    size_t slen = key.len < s->prefix_len ? key.len : s->prefix_len;
    MDB_val k = { slen, (void *)key.data }, d;
    int rc = mdb_cursor_get(v->kc, &k, &d, MDB_SET_RANGE);
    struct ghit *group = NULL;
    size_t gcap = 0;
    int out = 0;
    while (rc == 0 && out == 0) {
        const uint8_t *ip = k.mv_data;
        size_t ilen = k.mv_size;
        if (!idx_long(s, ilen)) {
            if (mode == RANGE_BETWEEN && bytes_cmp(ip, ilen, end.data, end.len) >= 0)
                break;
            if (bytes_cmp(ip, ilen, key.data, key.len) >= 0) {
                struct ientry e;
                dup_dec(d.mv_data, &e);
                int lrc = 0;
                if (e.main > rev)
                    lrc = idx_lookup(v, ip, ilen, rev, &e);
                if (lrc == 0 && !e.tomb)
                    out = fn(ctx, ip, ilen, &e);
                else if (lrc && lrc != KC_ENOTFOUND)
                    out = lrc;
            }
            if (out)
                break;
            rc = mdb_cursor_get(v->kc, &k, &d, MDB_NEXT_NODUP);
            continue;
        }
        /* a group of long keys sharing a prefix */
        uint8_t prefix[512];
        memcpy(prefix, ip, s->prefix_len);
        if (mode == RANGE_BETWEEN && bytes_cmp(prefix, s->prefix_len, end.data, end.len) > 0)
            break;
        size_t gn = 0;
        while (rc == 0 && idx_long(s, k.mv_size) && memcmp(k.mv_data, prefix, s->prefix_len) == 0) {
            struct ientry e;
            dup_dec(d.mv_data, &e);
            int lrc = 0;
            if (e.main > rev)
                lrc = idx_lookup(v, k.mv_data, k.mv_size, rev, &e);
            if (lrc == 0 && !e.tomb) {
                struct rec r;
                lrc = rec_get(v, e.main, e.sub, &r);
                if (lrc == 0) {
                    if (gn == gcap) {
                        size_t ncap = gcap ? gcap * 2 : 8;
                        struct ghit *ng = realloc(group, ncap * sizeof(*ng));
                        if (!ng) {
                            out = -ENOMEM;
                            break;
                        }
                        group = ng;
                        gcap = ncap;
                    }
                    group[gn++] = (struct ghit){ r.key, r.klen, e };
                }
            }
            if (lrc && lrc != KC_ENOTFOUND) {
                out = lrc;
                break;
            }
            rc = mdb_cursor_get(v->kc, &k, &d, MDB_NEXT_NODUP);
        }
        if (out)
            break;
        stable_sort(group, gn, sizeof(*group), ghit_cmp, NULL);
        for (size_t i = 0; i < gn && out == 0; i++)
            if (range_contains(key, end, mode, group[i].key, group[i].klen))
                out = fn(ctx, group[i].key, group[i].klen, &group[i].e);
    }
    free(group);
    if (out)
        return out > 0 ? 0 : out;
    if (rc && rc != MDB_NOTFOUND)
        return lmdb_err(rc, "idx walk");
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Range */

struct hit {
    const uint8_t *key;
    size_t klen;
    struct ientry e;
};

struct collect {
    struct hit *v;
    size_t n, cap;
    int64_t count;
    size_t keep; /* 0: all */
    bool count_only;
};

static int
collect_cb(void *ctx, const uint8_t *key, size_t klen, const struct ientry *e)
{
    struct collect *c = ctx;
    c->count++;
    if (c->count_only || (c->keep && c->n >= c->keep))
        return 0;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct hit *nv = realloc(c->v, cap * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        c->v = nv;
        c->cap = cap;
    }
    c->v[c->n++] = (struct hit){ key, klen, *e };
    return 0;
}

struct item {
    struct rec r;
    int64_t main;
};

static int
item_cmp(const void *a, const void *b, void *ctx)
{
    const struct item *x = a, *y = b;
    int target = ((const int *)ctx)[0], desc = ((const int *)ctx)[1];
    int c = 0;
    switch (target) {
    case KVS_SORT_KEY:
        c = bytes_cmp(x->r.key, x->r.klen, y->r.key, y->r.klen);
        break;
    case KVS_SORT_VERSION:
        c = x->r.version < y->r.version ? -1 : x->r.version > y->r.version;
        break;
    case KVS_SORT_CREATE:
        c = x->r.create < y->r.create ? -1 : x->r.create > y->r.create;
        break;
    case KVS_SORT_MOD:
        c = x->main < y->main ? -1 : x->main > y->main;
        break;
    case KVS_SORT_VALUE:
        c = bytes_cmp(x->r.val, x->r.vlen, y->r.val, y->r.vlen);
        break;
    }
    return desc ? -c : c;
}

/* mvcc_range and mvcc_range_lend: with lend, out's keys and values are the records' own bytes in LMDB's map. */
static int
range_at(struct view *v, int64_t cur_rev, const struct kvs_range_req *r, struct arena *ra, struct kvs_resp *out,
         bool lend)
{
    int64_t rev = r->revision;
    if (rev > cur_rev)
        return KC_EFUTUREREV;
    if (rev <= 0)
        rev = cur_rev;
    if (rev < v->compact_rev)
        return KC_ECOMPACTED;
    bool filters = r->min_mod_revision || r->max_mod_revision || r->min_create_revision || r->max_create_revision;
    int64_t limit = r->limit;
    if (r->sort_order != KVS_SORT_NONE || filters)
        limit = 0; /* fetch everything; sort and truncate afterwards */
    if (limit > 0)
        limit++; /* one extra for `more` */
    struct collect c = { .keep = limit > 0 ? (size_t)limit : 0, .count_only = r->count_only };
    int rc = idx_visit(v, r->key, r->range_end, rev, collect_cb, &c);
    struct item *items = NULL;
    if (rc)
        goto done;
    out->type = KVS_OP_RANGE;
    out->revision = cur_rev;
    out->count = c.count;
    if (r->count_only || c.n == 0)
        goto done;
    items = malloc(c.n * sizeof(*items));
    if (!items) {
        rc = -ENOMEM;
        goto done;
    }
    size_t n = 0;
    for (size_t i = 0; i < c.n; i++) {
        rc = rec_get(v, c.v[i].e.main, c.v[i].e.sub, &items[n].r);
        if (rc)
            goto done;
        items[n].main = c.v[i].e.main;
        const struct item *it = &items[n];
        if (r->max_mod_revision && it->main > r->max_mod_revision)
            continue;
        if (r->min_mod_revision && it->main < r->min_mod_revision)
            continue;
        if (r->max_create_revision && it->r.create > r->max_create_revision)
            continue;
        if (r->min_create_revision && it->r.create < r->min_create_revision)
            continue;
        n++;
    }
    enum kvs_sort_order order = r->sort_order;
    if (r->sort_target != KVS_SORT_KEY && order == KVS_SORT_NONE)
        order = KVS_SORT_ASCEND; /* etcd: ascending by default only when the target is not KEY */
    if (order != KVS_SORT_NONE) {
        int sctx[2] = { (int)r->sort_target, order == KVS_SORT_DESCEND };
        stable_sort(items, n, sizeof(*items), item_cmp, sctx);
    }
    if (r->limit > 0 && n > (size_t)r->limit) {
        n = (size_t)r->limit;
        out->more = true;
    }
    out->kvs = arena_alloc(ra, n * sizeof(*out->kvs));
    if (!out->kvs) {
        rc = -ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!lend) {
            rc = kv_from_rec(ra, &items[i].r, items[i].main, r->keys_only, &out->kvs[i]);
            continue;
        }
        const struct rec *rr = &items[i].r;
        out->kvs[i] = (struct kvs_kv){
            .key = rr->key,
            .key_len = rr->klen,
            .value = r->keys_only || !rr->vlen ? NULL : rr->val,
            .value_len = r->keys_only ? 0 : rr->vlen,
            .create_revision = rr->create,
            .mod_revision = items[i].main,
            .version = rr->version,
            .lease = rr->lease,
        };
    }
    out->n_kvs = n;
done:
    free(items);
    free(c.v);
    return rc;
}

int
mvcc_range(struct view *v, int64_t cur_rev, const struct kvs_range_req *r, struct arena *ra, struct kvs_resp *out)
{
    return range_at(v, cur_rev, r, ra, out, false);
}

int
mvcc_range_lend(struct view *v, int64_t cur_rev, const struct kvs_range_req *r, struct arena *ra, struct kvs_resp *out)
{
    return range_at(v, cur_rev, r, ra, out, true);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Writes */

static int
ev_add(struct actx *a, uint8_t type, const struct rec *r, uint32_t sub)
{
    struct slot *sl = a->slot;
    if (sl->nevs == sl->evcap) {
        size_t cap = sl->evcap ? sl->evcap * 2 : 4;
        struct ev *nv = arena_alloc(&sl->evar, cap * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        if (sl->nevs)
            memcpy(nv, sl->evs, sl->nevs * sizeof(*nv));
        sl->evs = nv;
        sl->evcap = cap;
    }
    struct ev *e = &sl->evs[sl->nevs];
    memset(e, 0, sizeof(*e));
    e->type = type;
    e->sub = sub;
    e->key = arena_dup(&sl->evar, r->key, r->klen);
    e->klen = r->klen;
    if (r->vlen) {
        e->val = arena_dup(&sl->evar, r->val, r->vlen);
        e->vlen = r->vlen;
        if (!e->val)
            return -ENOMEM;
    }
    if (!e->key)
        return -ENOMEM;
    e->create = r->create;
    e->version = r->version;
    e->lease = r->lease;
    e->prev_main = r->prev_main;
    e->prev_sub = r->prev_sub;
    sl->nevs++;
    sl->ev_rev = a->begin_rev + 1;
    return 0;
}

static int
idx_add(struct actx *a, const void *key, size_t klen, int64_t main, uint32_t sub, bool tomb)
{
    uint8_t ik[512], dv[DUP_LEN];
    size_t ilen = idx_key(a->s, key, klen, ik);
    dup_enc(dv, main, sub, tomb);
    MDB_val k = { ilen, ik }, d = { sizeof(dv), dv };
    return lmdb_err(mdb_put(a->v.txn, a->s->dbi_idx, &k, &d, 0), "put idx");
}

/* The key's live record at begin_rev (what etcd's watch prev_kv reads at mod_revision - 1). */
static int
prev_at_begin(struct actx *a, const void *key, size_t klen, const struct ientry *latest, int64_t *pm, uint32_t *ps)
{
    *pm = 0;
    *ps = 0;
    struct ientry e = *latest;
    if (latest->main > a->begin_rev) {
        int rc = idx_get(&a->v, key, klen, a->begin_rev, &e);
        if (rc == KC_ENOTFOUND)
            return 0;
        if (rc)
            return rc;
    }
    if (!e.tomb) {
        *pm = e.main;
        *ps = e.sub;
    }
    return 0;
}

int
mvcc_put(struct actx *a, const void *key, size_t klen, const void *val, size_t vlen, int64_t lease)
{
    struct kvs *s = a->s;
    int64_t rev = a->begin_rev + 1;
    uint32_t sub = a->nchanges;
    struct rec nr = { .key = key, .klen = klen, .val = val, .vlen = vlen, .create = rev, .version = 1, .lease = lease };
    int64_t old_lease = 0;
    bool existed = false;
    struct ientry latest;
    int rc = idx_get_exact(&a->v, key, klen, INT64_MAX, &latest);
    if (rc == KC_ECONFLICT)
        return KC_ECONFLICT; /* two keys with one sha256: refuse (deterministically) rather than mix them */
    if (rc == 0) {
        if (!latest.tomb) {
            struct rec old;
            rc = rec_get(&a->v, latest.main, latest.sub, &old);
            if (rc)
                return rc;
            existed = true;
            nr.create = old.create;
            nr.version = old.version + 1;
            old_lease = old.lease;
        }
        rc = prev_at_begin(a, key, klen, &latest, &nr.prev_main, &nr.prev_sub);
        if (rc)
            return rc;
    } else if (rc != KC_ENOTFOUND) {
        return rc;
    }
    rc = rec_write(a, rev, sub, &nr);
    if (!rc)
        rc = idx_add(a, key, klen, rev, sub, false);
    if (!rc && existed && old_lease)
        rc = lkeys_del(s, a->v.txn, old_lease, key, klen);
    if (!rc && lease)
        rc = lkeys_add(s, a->v.txn, lease, key, klen);
    if (!rc)
        rc = ev_add(a, KVS_EVENT_PUT, &nr, sub);
    if (!rc)
        a->nchanges++;
    return rc;
}

static int
delete_one(struct actx *a, const void *key, size_t klen, const struct ientry *live)
{
    struct rec old;
    int rc = rec_get(&a->v, live->main, live->sub, &old);
    if (rc)
        return rc;
    int64_t old_lease = old.lease;
    struct rec tr = { .tomb = true, .key = key, .klen = klen };
    rc = prev_at_begin(a, key, klen, live, &tr.prev_main, &tr.prev_sub);
    if (rc)
        return rc;
    uint32_t sub = a->nchanges;
    rc = rec_write(a, a->begin_rev + 1, sub, &tr);
    if (!rc)
        rc = idx_add(a, key, klen, a->begin_rev + 1, sub, true);
    if (!rc && old_lease)
        rc = lkeys_del(a->s, a->v.txn, old_lease, key, klen);
    if (!rc)
        rc = ev_add(a, KVS_EVENT_DELETE, &tr, sub);
    if (!rc)
        a->nchanges++;
    return rc;
}

struct dkey {
    uint8_t *key;
    size_t klen;
    struct ientry e;
};

struct dcollect {
    struct dkey *v;
    size_t n, cap;
    struct arena *ar;
};

static int
dcollect_cb(void *ctx, const uint8_t *key, size_t klen, const struct ientry *e)
{
    struct dcollect *c = ctx;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        struct dkey *nv = realloc(c->v, cap * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        c->v = nv;
        c->cap = cap;
    }
    uint8_t *k = arena_dup(c->ar, key, klen);
    if (!k)
        return -ENOMEM;
    c->v[c->n++] = (struct dkey){ k, klen, *e };
    return 0;
}

int
mvcc_delete_range(struct actx *a, struct kvs_buf key, struct kvs_buf end, int64_t *n)
{
    int64_t rrev = a->begin_rev + (a->nchanges > 0);
    struct dcollect c = { .ar = &a->slot->evar };
    int rc = idx_visit(&a->v, key, end, rrev, dcollect_cb, &c);
    for (size_t i = 0; i < c.n && rc == 0; i++)
        rc = delete_one(a, c.v[i].key, c.v[i].klen, &c.v[i].e);
    if (rc == 0)
        *n = (int64_t)c.n;
    free(c.v);
    return rc;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Physical compaction */

int
mvcc_compact_step(struct kvs *s, MDB_txn *txn, int64_t rev, const uint8_t *resume, size_t rlen, int max_keys,
                  uint8_t **next, size_t *nlen)
{
    *next = NULL;
    *nlen = 0;
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->dbi_idx, &c);
    if (rc)
        return lmdb_err(rc, "cursor_open");
    MDB_val k, d;
    if (resume && rlen) {
        k = (MDB_val){ rlen, (void *)resume };
        rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
        if (rc == 0 && k.mv_size == rlen && memcmp(k.mv_data, resume, rlen) == 0)
            rc = mdb_cursor_get(c, &k, &d, MDB_NEXT_NODUP);
    } else {
        rc = mdb_cursor_get(c, &k, &d, MDB_FIRST);
    }
    uint8_t ik[512];
    size_t ilen = 0;
    struct ientry *ents = NULL;
    size_t ecap = 0;
    int done_keys = 0;
    int out = 0;
    while (rc == 0 && done_keys < max_keys) {
        ilen = k.mv_size;
        memcpy(ik, k.mv_data, ilen);
        size_t ne = 0;
        while (rc == 0) {
            if (ne == ecap) {
                size_t ncap = ecap ? ecap * 2 : 16;
                struct ientry *nv = realloc(ents, ncap * sizeof(*nv));
                if (!nv) {
                    out = -ENOMEM;
                    break;
                }
                ents = nv;
                ecap = ncap;
            }
            dup_dec(d.mv_data, &ents[ne++]);
            rc = mdb_cursor_get(c, &k, &d, MDB_NEXT_DUP);
        }
        if (out)
            break;
        if (rc != MDB_NOTFOUND) {
            out = lmdb_err(rc, "compact walk");
            break;
        }
        /* entries are newest first: the first one <= rev is kept unless it is a tombstone */
        size_t from = ne;
        for (size_t i = 0; i < ne; i++) {
            if (ents[i].main <= rev) {
                from = ents[i].tomb ? i : i + 1;
                break;
            }
        }
        for (size_t i = from; i < ne && !out; i++) {
            uint8_t dv[DUP_LEN], rk[REV_KEY_LEN];
            dup_enc(dv, ents[i].main, ents[i].sub, ents[i].tomb);
            rev_key(rk, ents[i].main, ents[i].sub);
            MDB_val kk = { ilen, ik }, dd = { sizeof(dv), dv }, rkk = { sizeof(rk), rk };
            int drc = mdb_del(txn, s->dbi_idx, &kk, &dd);
            if (drc == 0 || drc == MDB_NOTFOUND)
                drc = mdb_del(txn, s->dbi_rev, &rkk, NULL);
            if (drc && drc != MDB_NOTFOUND)
                out = lmdb_err(drc, "compact del");
        }
        if (out)
            break;
        done_keys++;
        /* reposition after ik (deletes may have moved the cursor) */
        k = (MDB_val){ ilen, ik };
        rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
        if (rc == 0 && k.mv_size == ilen && memcmp(k.mv_data, ik, ilen) == 0)
            rc = mdb_cursor_get(c, &k, &d, MDB_NEXT_NODUP);
    }
    mdb_cursor_close(c);
    free(ents);
    if (out)
        return out;
    if (rc == 0) {
        /* stopped at max_keys: resume after the last key handled */
        *next = malloc(ilen);
        if (!*next)
            return -ENOMEM;
        memcpy(*next, ik, ilen);
        *nlen = ilen;
        return 0;
    }
    if (rc != MDB_NOTFOUND)
        return lmdb_err(rc, "compact walk");
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Leases */

int
lease_db_get(struct kvs *s, MDB_txn *txn, int64_t id, int64_t *ttl)
{
    uint8_t kb[8];
    put_be64(kb, (uint64_t)id);
    MDB_val k = { 8, kb }, v;
    int rc = mdb_get(txn, s->dbi_lease, &k, &v);
    if (rc == MDB_NOTFOUND)
        return KC_ENOTFOUND;
    if (rc)
        return lmdb_err(rc, "get lease");
    if (v.mv_size < 8)
        return KC_EINTERNAL;
    if (ttl)
        *ttl = (int64_t)get_le64(v.mv_data);
    return 0;
}

int
lease_db_put(struct kvs *s, MDB_txn *txn, int64_t id, int64_t ttl)
{
    uint8_t kb[8], vb[8];
    put_be64(kb, (uint64_t)id);
    put_le64(vb, (uint64_t)ttl);
    MDB_val k = { 8, kb }, v = { 8, vb };
    return lmdb_err(mdb_put(txn, s->dbi_lease, &k, &v, 0), "put lease");
}

int
lease_db_del(struct kvs *s, MDB_txn *txn, int64_t id)
{
    uint8_t kb[8];
    put_be64(kb, (uint64_t)id);
    MDB_val k = { 8, kb };
    int rc = mdb_del(txn, s->dbi_lease, &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : lmdb_err(rc, "del lease");
}

static size_t
lkey(const struct kvs *s, int64_t id, const void *key, size_t klen, uint8_t *out, bool *hashed)
{
    put_be64(out, (uint64_t)id);
    if (klen <= s->maxkey - 8) {
        memcpy(out + 8, key, klen);
        *hashed = false;
        return 8 + klen;
    }
    kc_sha256(key, klen, out + 8);
    *hashed = true;
    return 8 + KVS_HASH_LEN;
}

int
lkeys_add(struct kvs *s, MDB_txn *txn, int64_t id, const void *key, size_t klen)
{
    uint8_t kb[520];
    bool hashed;
    size_t n = lkey(s, id, key, klen, kb, &hashed);
    MDB_val k = { n, kb }, v = { hashed ? klen : 0, (void *)key };
    return lmdb_err(mdb_put(txn, s->dbi_lkeys, &k, &v, 0), "put lkeys");
}

int
lkeys_del(struct kvs *s, MDB_txn *txn, int64_t id, const void *key, size_t klen)
{
    uint8_t kb[520];
    bool hashed;
    size_t n = lkey(s, id, key, klen, kb, &hashed);
    MDB_val k = { n, kb };
    int rc = mdb_del(txn, s->dbi_lkeys, &k, NULL);
    return rc == MDB_NOTFOUND ? 0 : lmdb_err(rc, "del lkeys");
}

static int
buf_cmp(const void *a, const void *b, void *ctx)
{
    (void)ctx;
    const struct kvs_buf *x = a, *y = b;
    return bytes_cmp(x->data, x->len, y->data, y->len);
}

int
lkeys_list(struct kvs *s, MDB_txn *txn, int64_t id, struct arena *ar, struct kvs_buf **keys, size_t *n)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->dbi_lkeys, &c);
    if (rc)
        return lmdb_err(rc, "cursor_open");
    uint8_t kb[8];
    put_be64(kb, (uint64_t)id);
    MDB_val k = { 8, kb }, v;
    struct kvs_buf *out = NULL;
    size_t cnt = 0, cap = 0;
    int err = 0;
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size >= 8 && memcmp(k.mv_data, kb, 8) == 0) {
        if (cnt == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct kvs_buf *nv = arena_alloc(ar, ncap * sizeof(*nv));
            if (!nv) {
                err = -ENOMEM;
                break;
            }
            if (cnt)
                memcpy(nv, out, cnt * sizeof(*nv));
            out = nv;
            cap = ncap;
        }
        const void *key = v.mv_size ? v.mv_data : (const uint8_t *)k.mv_data + 8;
        size_t klen = v.mv_size ? v.mv_size : k.mv_size - 8;
        out[cnt].data = arena_dup(ar, key, klen);
        out[cnt].len = klen;
        if (!out[cnt].data) {
            err = -ENOMEM;
            break;
        }
        cnt++;
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    if (err)
        return err;
    if (rc && rc != MDB_NOTFOUND)
        return lmdb_err(rc, "lkeys walk");
    stable_sort(out, cnt, sizeof(*out), buf_cmp, NULL);
    *keys = out;
    *n = cnt;
    return 0;
}
