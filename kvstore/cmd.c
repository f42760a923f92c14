/* cmd.c - the command format (what goes through the log) and etcd's gRPC-layer request checks.
 *
 * A command is a header (version, type, req_id) and a little-endian body; docs/kvstore.md lists the layout.
 * Decoding is zero-copy: byte strings point into the command, arrays live in an arena.
 */
#include "kvs_int.h"

#include <errno.h>
#include <stdlib.h>

/* ---------------------------------------------------------------------------------------------------------- */
/* Encoding */

static void
header(struct bbuf *b, uint8_t type, uint64_t req_id)
{
    uint8_t h[CMD_HEADER_LEN];
    h[0] = CMD_VERSION;
    h[1] = type;
    put_le64(h + 2, req_id);
    bbuf_put(b, h, sizeof(h));
}

static void
enc_range(struct bbuf *b, const struct kvs_range_req *r)
{
    bbuf_bytes(b, r->key);
    bbuf_bytes(b, r->range_end);
    bbuf_i64(b, r->revision);
    bbuf_i64(b, r->limit);
    bbuf_u8(b, (uint8_t)r->sort_order);
    bbuf_u8(b, (uint8_t)r->sort_target);
    bbuf_u8(b, (uint8_t)((r->keys_only ? 1 : 0) | (r->count_only ? 2 : 0)));
    bbuf_i64(b, r->min_mod_revision);
    bbuf_i64(b, r->max_mod_revision);
    bbuf_i64(b, r->min_create_revision);
    bbuf_i64(b, r->max_create_revision);
}

static void
enc_put(struct bbuf *b, const struct kvs_put_req *r)
{
    bbuf_bytes(b, r->key);
    bbuf_bytes(b, r->value);
    bbuf_i64(b, r->lease);
    bbuf_u8(b, (uint8_t)((r->prev_kv ? 1 : 0) | (r->ignore_value ? 2 : 0) | (r->ignore_lease ? 4 : 0)));
}

static void
enc_delete(struct bbuf *b, const struct kvs_delete_req *r)
{
    bbuf_bytes(b, r->key);
    bbuf_bytes(b, r->range_end);
    bbuf_u8(b, r->prev_kv ? 1 : 0);
}

static void enc_txn(struct bbuf *b, const struct kvs_txn_req *t);

static void
enc_ops(struct bbuf *b, const struct kvs_op *ops, size_t n)
{
    bbuf_u32(b, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        bbuf_u8(b, (uint8_t)ops[i].type);
        switch (ops[i].type) {
        case KVS_OP_RANGE:
            enc_range(b, &ops[i].range);
            break;
        case KVS_OP_PUT:
            enc_put(b, &ops[i].put);
            break;
        case KVS_OP_DELETE_RANGE:
            enc_delete(b, &ops[i].del);
            break;
        case KVS_OP_TXN:
            enc_txn(b, ops[i].txn);
            break;
        case KVS_OP_NONE:
            break;
        }
    }
}

static void
enc_txn(struct bbuf *b, const struct kvs_txn_req *t)
{
    bbuf_u32(b, (uint32_t)t->n_compare);
    for (size_t i = 0; i < t->n_compare; i++) {
        const struct kvs_compare *c = &t->compare[i];
        bbuf_u8(b, (uint8_t)c->result);
        bbuf_u8(b, (uint8_t)c->target);
        bbuf_bytes(b, c->key);
        bbuf_bytes(b, c->range_end);
        bbuf_i64(b, c->number);
        bbuf_bytes(b, c->value);
    }
    enc_ops(b, t->success, t->n_success);
    enc_ops(b, t->failure, t->n_failure);
}

void
cmd_put(struct bbuf *b, uint64_t req_id, const struct kvs_put_req *r)
{
    header(b, CMD_PUT, req_id);
    enc_put(b, r);
}

void
cmd_delete(struct bbuf *b, uint64_t req_id, const struct kvs_delete_req *r)
{
    header(b, CMD_DELETE, req_id);
    enc_delete(b, r);
}

void
cmd_txn(struct bbuf *b, uint64_t req_id, const struct kvs_txn_req *r)
{
    header(b, CMD_TXN, req_id);
    enc_txn(b, r);
}

void
cmd_simple(struct bbuf *b, uint8_t type, uint64_t req_id, int64_t a, int64_t b2)
{
    header(b, type, req_id);
    bbuf_i64(b, a);
    bbuf_i64(b, b2);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Decoding */

struct dec {
    const uint8_t *p, *end;
    struct arena *ar;
    bool bad;
    bool oom; /* an allocation failed: not the command's fault */
};

static uint8_t
d_u8(struct dec *d)
{
    if (d->bad || d->end - d->p < 1) {
        d->bad = true;
        return 0;
    }
    return *d->p++;
}

static uint32_t
d_u32(struct dec *d)
{
    if (d->bad || d->end - d->p < 4) {
        d->bad = true;
        return 0;
    }
    uint32_t v = get_le32(d->p);
    d->p += 4;
    return v;
}

static int64_t
d_i64(struct dec *d)
{
    if (d->bad || d->end - d->p < 8) {
        d->bad = true;
        return 0;
    }
    int64_t v = (int64_t)get_le64(d->p);
    d->p += 8;
    return v;
}

static struct kvs_buf
d_bytes(struct dec *d)
{
    uint32_t n = d_u32(d);
    if (d->bad || (size_t)(d->end - d->p) < n) {
        d->bad = true;
        return (struct kvs_buf){ NULL, 0 };
    }
    struct kvs_buf b = { d->p, n };
    d->p += n;
    return b;
}

static void
d_range(struct dec *d, struct kvs_range_req *r)
{
    r->key = d_bytes(d);
    r->range_end = d_bytes(d);
    r->revision = d_i64(d);
    r->limit = d_i64(d);
    uint8_t order = d_u8(d), target = d_u8(d), flags = d_u8(d);
    if (order > KVS_SORT_DESCEND || target > KVS_SORT_VALUE)
        d->bad = true;
    r->sort_order = (enum kvs_sort_order)order;
    r->sort_target = (enum kvs_sort_target)target;
    r->keys_only = flags & 1;
    r->count_only = flags & 2;
    r->min_mod_revision = d_i64(d);
    r->max_mod_revision = d_i64(d);
    r->min_create_revision = d_i64(d);
    r->max_create_revision = d_i64(d);
}

static void
d_put(struct dec *d, struct kvs_put_req *r)
{
    r->key = d_bytes(d);
    r->value = d_bytes(d);
    r->lease = d_i64(d);
    uint8_t f = d_u8(d);
    r->prev_kv = f & 1;
    r->ignore_value = f & 2;
    r->ignore_lease = f & 4;
}

static void
d_delete(struct dec *d, struct kvs_delete_req *r)
{
    r->key = d_bytes(d);
    r->range_end = d_bytes(d);
    r->prev_kv = d_u8(d) & 1;
}

static void d_txn(struct dec *d, struct kvs_txn_req *t, int depth);

/* Each element takes at least one byte, so n is bounded by what is left: no huge allocation from a bad count. */
static bool
count_ok(struct dec *d, uint32_t n)
{
    if (d->bad || (size_t)(d->end - d->p) < n) {
        d->bad = true;
        return false;
    }
    return true;
}

static const struct kvs_op *
d_ops(struct dec *d, size_t *n_out, int depth)
{
    uint32_t n = d_u32(d);
    *n_out = 0;
    if (!count_ok(d, n) || n == 0)
        return NULL;
    struct kvs_op *ops = arena_alloc(d->ar, sizeof(*ops) * n);
    if (!ops) {
        d->bad = d->oom = true;
        return NULL;
    }
    for (uint32_t i = 0; i < n && !d->bad; i++) {
        uint8_t type = d_u8(d);
        ops[i].type = (enum kvs_op_type)type;
        switch (type) {
        case KVS_OP_NONE:
            break;
        case KVS_OP_RANGE:
            d_range(d, &ops[i].range);
            break;
        case KVS_OP_PUT:
            d_put(d, &ops[i].put);
            break;
        case KVS_OP_DELETE_RANGE:
            d_delete(d, &ops[i].del);
            break;
        case KVS_OP_TXN: {
            struct kvs_txn_req *t = arena_alloc(d->ar, sizeof(*t));
            if (!t || depth >= CMD_MAX_DEPTH) {
                d->bad = true;
                d->oom = !t;
                break;
            }
            d_txn(d, t, depth + 1);
            ops[i].txn = t;
            break;
        }
        default:
            d->bad = true;
        }
    }
    *n_out = n;
    return ops;
}

static void
d_txn(struct dec *d, struct kvs_txn_req *t, int depth)
{
    uint32_t nc = d_u32(d);
    if (count_ok(d, nc) && nc) {
        struct kvs_compare *c = arena_alloc(d->ar, sizeof(*c) * nc);
        if (!c) {
            d->bad = d->oom = true;
            return;
        }
        for (uint32_t i = 0; i < nc && !d->bad; i++) {
            uint8_t result = d_u8(d), target = d_u8(d);
            if (result > KVS_CMP_NOT_EQUAL || target > KVS_CMP_LEASE)
                d->bad = true;
            c[i].result = (enum kvs_compare_result)result;
            c[i].target = (enum kvs_compare_target)target;
            c[i].key = d_bytes(d);
            c[i].range_end = d_bytes(d);
            c[i].number = d_i64(d);
            c[i].value = d_bytes(d);
        }
        t->compare = c;
        t->n_compare = nc;
    }
    t->success = d_ops(d, &t->n_success, depth);
    t->failure = d_ops(d, &t->n_failure, depth);
}

int
cmd_decode(const void *data, size_t len, struct arena *ar, struct cmd *out)
{
    struct dec d = { data, (const uint8_t *)data + len, ar, false, false };
    memset(out, 0, sizeof(*out));
    if (len < CMD_HEADER_LEN || d.p[0] != CMD_VERSION)
        return KC_EPARSE;
    out->type = d.p[1];
    out->req_id = get_le64(d.p + 2);
    d.p += CMD_HEADER_LEN;
    switch (out->type) {
    case CMD_PUT:
        d_put(&d, &out->put);
        break;
    case CMD_DELETE:
        d_delete(&d, &out->del);
        break;
    case CMD_TXN:
        d_txn(&d, &out->txn, 0);
        break;
    case CMD_COMPACT:
    case CMD_LEASE_GRANT:
    case CMD_LEASE_REVOKE:
    case CMD_ALARM:
        out->a = d_i64(&d);
        out->b = d_i64(&d);
        break;
    default:
        return KC_EPARSE;
    }
    if (d.oom)
        return -ENOMEM;
    if (d.bad || d.p != d.end)
        return KC_EPARSE;
    return 0;
}

uint64_t
cmd_req_id(const void *data, size_t len)
{
    if (len < CMD_HEADER_LEN)
        return 0;
    return get_le64((const uint8_t *)data + 2);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Quota cost */

static int64_t
put_cost(const struct kvs_put_req *p)
{
    /* the key is stored twice (index, record), the value once, plus record and index overhead */
    return (int64_t)(2 * p->key.len + p->value.len) + 128;
}

int64_t
txn_cost(const struct kvs_txn_req *t)
{
    /* etcd's costTxn: the larger branch, counting only its own puts (not those of nested txns) */
    int64_t s = 0, f = 0;
    for (size_t i = 0; i < t->n_success; i++)
        if (t->success[i].type == KVS_OP_PUT)
            s += put_cost(&t->success[i].put);
    for (size_t i = 0; i < t->n_failure; i++)
        if (t->failure[i].type == KVS_OP_PUT)
            f += put_cost(&t->failure[i].put);
    return s > f ? s : f;
}

int64_t
cmd_cost(const struct cmd *c)
{
    switch (c->type) {
    case CMD_PUT:
        return put_cost(&c->put);
    case CMD_TXN:
        return txn_cost(&c->txn);
    case CMD_LEASE_GRANT:
        return 64;
    default:
        return 0;
    }
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Request checks, as etcd's v3rpc/key.go */

int
check_range(const struct kvs_range_req *r)
{
    if (r->key.len == 0)
        return KVS_EEMPTYKEY;
    if ((unsigned)r->sort_order > KVS_SORT_DESCEND || (unsigned)r->sort_target > KVS_SORT_VALUE)
        return KC_EINVALID;
    return 0;
}

int
check_put(const struct kvs_put_req *r)
{
    if (r->key.len == 0)
        return KVS_EEMPTYKEY;
    if (r->ignore_value && r->value.len != 0)
        return KVS_EVALUEPROVIDED;
    if (r->ignore_lease && r->lease != 0)
        return KVS_ELEASEPROVIDED;
    return 0;
}

int
check_delete(const struct kvs_delete_req *r)
{
    return r->key.len == 0 ? KVS_EEMPTYKEY : 0;
}

static int check_txn_req(const struct kvs_txn_req *t, int max_ops, int depth);

static int
check_op(const struct kvs_op *op, int max_ops, int depth)
{
    switch (op->type) {
    case KVS_OP_RANGE:
        return check_range(&op->range);
    case KVS_OP_PUT:
        return check_put(&op->put);
    case KVS_OP_DELETE_RANGE:
        return check_delete(&op->del);
    case KVS_OP_TXN:
        if (!op->txn)
            return KC_EINVALID;
        return check_txn_req(op->txn, max_ops, depth + 1);
    case KVS_OP_NONE:
        return KVS_EKEYNOTFOUND; /* etcd: an empty RequestOp is ErrGRPCKeyNotFound */
    }
    return KC_EINVALID;
}

/* etcd's checkTxnRequest: the largest of compares/success/failure against max_ops; nested txns get what is
 * left. */
static int
check_txn_req(const struct kvs_txn_req *t, int max_ops, int depth)
{
    if (depth > CMD_MAX_DEPTH)
        return KC_EINVALID;
    if ((t->n_compare && !t->compare) || (t->n_success && !t->success) || (t->n_failure && !t->failure))
        return KC_EINVALID;
    size_t opc = t->n_compare;
    if (opc < t->n_success)
        opc = t->n_success;
    if (opc < t->n_failure)
        opc = t->n_failure;
    if (opc > (size_t)(max_ops < 0 ? 0 : max_ops))
        return KVS_ETOOMANYOPS;
    for (size_t i = 0; i < t->n_compare; i++) {
        if (t->compare[i].key.len == 0)
            return KVS_EEMPTYKEY;
        if ((unsigned)t->compare[i].result > KVS_CMP_NOT_EQUAL || (unsigned)t->compare[i].target > KVS_CMP_LEASE)
            return KC_EINVALID;
    }
    for (size_t i = 0; i < t->n_success; i++) {
        int rc = check_op(&t->success[i], max_ops - (int)opc, depth);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < t->n_failure; i++) {
        int rc = check_op(&t->failure[i], max_ops - (int)opc, depth);
        if (rc)
            return rc;
    }
    return 0;
}

/* checkIntervals: a put may not overlap another put or a delete of the same txn level or of the nested txns
 * checked before it, reproduced step by step from etcd 3.4 (including its order dependence and its literal
 * treatment of a "\0" range end). */
struct ivl {
    struct kvs_buf b, e; /* e.len 0: the point b */
};

struct ivset {
    struct ivl *v;
    size_t n, cap;
    bool oom;
};

struct keyset {
    struct kvs_buf *v;
    size_t n, cap;
    bool oom;
};

static void
iv_add(struct ivset *s, struct ivl iv)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        struct ivl *nv = realloc(s->v, cap * sizeof(*nv));
        if (!nv) {
            s->oom = true;
            return;
        }
        s->v = nv;
        s->cap = cap;
    }
    s->v[s->n++] = iv;
}

static bool
iv_hits(const struct ivset *s, struct kvs_buf k)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct ivl *iv = &s->v[i];
        if (iv->e.len == 0) {
            if (bytes_cmp(k.data, k.len, iv->b.data, iv->b.len) == 0)
                return true;
        } else if (bytes_cmp(k.data, k.len, iv->b.data, iv->b.len) >= 0 &&
                   bytes_cmp(k.data, k.len, iv->e.data, iv->e.len) < 0) {
            return true;
        }
    }
    return false;
}

static bool
ks_has(const struct keyset *s, struct kvs_buf k)
{
    for (size_t i = 0; i < s->n; i++)
        if (bytes_cmp(k.data, k.len, s->v[i].data, s->v[i].len) == 0)
            return true;
    return false;
}

static void
ks_add(struct keyset *s, struct kvs_buf k)
{
    if (ks_has(s, k))
        return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        struct kvs_buf *nv = realloc(s->v, cap * sizeof(*nv));
        if (!nv) {
            s->oom = true;
            return;
        }
        s->v = nv;
        s->cap = cap;
    }
    s->v[s->n++] = k;
}

static int
check_intervals(const struct kvs_op *ops, size_t n, struct keyset *puts, struct ivset *dels)
{
    for (size_t i = 0; i < n; i++)
        if (ops[i].type == KVS_OP_DELETE_RANGE)
            iv_add(dels, (struct ivl){ ops[i].del.key, ops[i].del.range_end });
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (ops[i].type != KVS_OP_TXN || !ops[i].txn)
            continue;
        struct keyset pt = { 0 }, pe = { 0 };
        struct ivset dt = { 0 }, de = { 0 };
        rc = check_intervals(ops[i].txn->success, ops[i].txn->n_success, &pt, &dt);
        if (!rc)
            rc = check_intervals(ops[i].txn->failure, ops[i].txn->n_failure, &pe, &de);
        for (size_t j = 0; j < pt.n && !rc; j++) {
            if (ks_has(puts, pt.v[j]) || iv_hits(dels, pt.v[j]))
                rc = KVS_EDUPKEY;
            else
                ks_add(puts, pt.v[j]);
        }
        for (size_t j = 0; j < pe.n && !rc; j++) {
            if (ks_has(puts, pe.v[j]) && !ks_has(&pt, pe.v[j]))
                rc = KVS_EDUPKEY; /* then/else are exclusive: the same key in both is fine */
            else if (iv_hits(dels, pe.v[j]))
                rc = KVS_EDUPKEY;
            else
                ks_add(puts, pe.v[j]);
        }
        for (size_t j = 0; j < dt.n && !rc; j++)
            iv_add(dels, dt.v[j]);
        for (size_t j = 0; j < de.n && !rc; j++)
            iv_add(dels, de.v[j]);
        if (!rc && (pt.oom || pe.oom || dt.oom || de.oom))
            rc = -ENOMEM;
        free(pt.v);
        free(pe.v);
        free(dt.v);
        free(de.v);
    }
    for (size_t i = 0; i < n && !rc; i++) {
        if (ops[i].type != KVS_OP_PUT)
            continue;
        if (ks_has(puts, ops[i].put.key) || iv_hits(dels, ops[i].put.key))
            rc = KVS_EDUPKEY;
        else
            ks_add(puts, ops[i].put.key);
    }
    if (!rc && (puts->oom || dels->oom))
        rc = -ENOMEM;
    return rc;
}

int
check_txn(const struct kvs_txn_req *t, int max_ops)
{
    int rc = check_txn_req(t, max_ops, 0);
    if (rc)
        return rc;
    for (int branch = 0; branch < 2 && !rc; branch++) {
        struct keyset puts = { 0 };
        struct ivset dels = { 0 };
        rc = branch == 0 ? check_intervals(t->success, t->n_success, &puts, &dels)
                         : check_intervals(t->failure, t->n_failure, &puts, &dels);
        free(puts.v);
        free(dels.v);
    }
    return rc;
}

bool
txn_is_readonly(const struct kvs_txn_req *t)
{
    for (int branch = 0; branch < 2; branch++) {
        const struct kvs_op *ops = branch ? t->failure : t->success;
        size_t n = branch ? t->n_failure : t->n_success;
        for (size_t i = 0; i < n; i++) {
            if (ops[i].type == KVS_OP_PUT || ops[i].type == KVS_OP_DELETE_RANGE)
                return false;
            if (ops[i].type == KVS_OP_TXN && ops[i].txn && !txn_is_readonly(ops[i].txn))
                return false;
        }
    }
    return true;
}
