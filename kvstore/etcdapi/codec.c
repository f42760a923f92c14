/* codec.c - decoding gateway JSON into kvs requests (fields in proto order, so that the first bad field is the
 * one etcd names) and encoding kvs responses as jsonpb does (OrigName, no defaults). */
#include "codec.h"
#include "kc_crypto.h"
#include "kc_pbwire.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
ea_arena_free(struct ea_arena *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->ptrs[i]);
    free(a->ptrs);
    a->ptrs = NULL;
    a->n = a->cap = 0;
}

static void *
arena_keep(struct ea_arena *a, void *p)
{
    if (!p)
        return NULL;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        void **ptrs = realloc(a->ptrs, cap * sizeof(*ptrs));
        if (!ptrs) {
            free(p);
            return NULL;
        }
        a->ptrs = ptrs;
        a->cap = cap;
    }
    a->ptrs[a->n++] = p;
    return p;
}

static int
oom(char err[GJ_ERR_LEN])
{
    snprintf(err, GJ_ERR_LEN, "out of memory");
    return -1;
}

int
ea_field_bytes(const struct gj_value *o, const char *orig, const char *camel, struct kvs_buf *out, struct ea_arena *a,
               char err[GJ_ERR_LEN])
{
    uint8_t *data;
    size_t len;
    if (gj_bytes(gj_field(o, orig, camel), &data, &len, err) != 0)
        return -1;
    if (data && !arena_keep(a, data))
        return oom(err);
    out->data = data;
    out->len = len;
    return 0;
}

int
ea_field_int64(const struct gj_value *o, const char *orig, const char *camel, int64_t *out, char err[GJ_ERR_LEN])
{
    return gj_int64(gj_field(o, orig, camel), out, err);
}

int
ea_field_bool(const struct gj_value *o, const char *orig, const char *camel, bool *out, char err[GJ_ERR_LEN])
{
    return gj_bool(gj_field(o, orig, camel), out, err);
}

static const char *const sort_orders[] = { "NONE", "ASCEND", "DESCEND" };
static const char *const sort_targets[] = { "KEY", "VERSION", "CREATE", "MOD", "VALUE" };
static const char *const cmp_results[] = { "EQUAL", "GREATER", "LESS", "NOT_EQUAL" };
static const char *const cmp_targets[] = { "VERSION", "CREATE", "MOD", "VALUE", "LEASE" };
static const char *const filter_types[] = { "NOPUT", "NODELETE" };

int
ea_decode_range(const struct gj_value *o, struct kvs_range_req *r, struct ea_arena *a, char err[GJ_ERR_LEN])
{
    int order, target;
    bool serializable;
    memset(r, 0, sizeof(*r));
    if (ea_field_bytes(o, "key", NULL, &r->key, a, err) ||
        ea_field_bytes(o, "range_end", "rangeEnd", &r->range_end, a, err) ||
        ea_field_int64(o, "limit", NULL, &r->limit, err) || ea_field_int64(o, "revision", NULL, &r->revision, err) ||
        gj_enum(gj_field(o, "sort_order", "sortOrder"), sort_orders, 3, "etcdserverpb.RangeRequest_SortOrder", &order,
                err) ||
        gj_enum(gj_field(o, "sort_target", "sortTarget"), sort_targets, 5, "etcdserverpb.RangeRequest_SortTarget",
                &target, err) ||
        ea_field_bool(o, "serializable", NULL, &serializable, err) ||
        ea_field_bool(o, "keys_only", "keysOnly", &r->keys_only, err) ||
        ea_field_bool(o, "count_only", "countOnly", &r->count_only, err) ||
        ea_field_int64(o, "min_mod_revision", "minModRevision", &r->min_mod_revision, err) ||
        ea_field_int64(o, "max_mod_revision", "maxModRevision", &r->max_mod_revision, err) ||
        ea_field_int64(o, "min_create_revision", "minCreateRevision", &r->min_create_revision, err) ||
        ea_field_int64(o, "max_create_revision", "maxCreateRevision", &r->max_create_revision, err))
        return -1;
    if (order < 0 || order > 2) {
        /* etcd accepts any number: an unknown order sorts nothing and still applies limit, which is what key
         * order with no sort gives. */
        order = 0;
        target = 0;
    }
    r->sort_order = (enum kvs_sort_order)order;
    r->sort_target = (enum kvs_sort_target)target;
    return 0;
}

int
ea_decode_put(const struct gj_value *o, struct kvs_put_req *r, struct ea_arena *a, char err[GJ_ERR_LEN])
{
    memset(r, 0, sizeof(*r));
    return ea_field_bytes(o, "key", NULL, &r->key, a, err) || ea_field_bytes(o, "value", NULL, &r->value, a, err) ||
                   ea_field_int64(o, "lease", NULL, &r->lease, err) ||
                   ea_field_bool(o, "prev_kv", "prevKv", &r->prev_kv, err) ||
                   ea_field_bool(o, "ignore_value", "ignoreValue", &r->ignore_value, err) ||
                   ea_field_bool(o, "ignore_lease", "ignoreLease", &r->ignore_lease, err)
               ? -1
               : 0;
}

int
ea_decode_delete(const struct gj_value *o, struct kvs_delete_req *r, struct ea_arena *a, char err[GJ_ERR_LEN])
{
    memset(r, 0, sizeof(*r));
    return ea_field_bytes(o, "key", NULL, &r->key, a, err) ||
                   ea_field_bytes(o, "range_end", "rangeEnd", &r->range_end, a, err) ||
                   ea_field_bool(o, "prev_kv", "prevKv", &r->prev_kv, err)
               ? -1
               : 0;
}

static int
decode_compare(const struct gj_value *o, struct kvs_compare *c, struct ea_arena *a, char err[GJ_ERR_LEN])
{
    int result, target;
    bool present;
    memset(c, 0, sizeof(*c));
    if (gj_message(o, &present, err) ||
        gj_enum(gj_field(o, "result", NULL), cmp_results, 4, "etcdserverpb.Compare_CompareResult", &result, err) ||
        gj_enum(gj_field(o, "target", NULL), cmp_targets, 5, "etcdserverpb.Compare_CompareTarget", &target, err) ||
        ea_field_bytes(o, "key", NULL, &c->key, a, err) ||
        ea_field_bytes(o, "range_end", "rangeEnd", &c->range_end, a, err))
        return -1;
    if (result < 0 || result > 3 || target < 0 || target > 4) {
        /* etcd 3.4 treats a compare with an unknown result or target number as true: "version > -1" is true for
         * every key, present or not. */
        c->result = KVS_CMP_GREATER;
        c->target = KVS_CMP_VERSION;
        c->number = -1;
        return 0;
    }
    c->result = (enum kvs_compare_result)result;
    c->target = (enum kvs_compare_target)target;

    /* target_union: etcd reads the member that matches target; a different member counts as the zero value. */
    int64_t version = 0, create = 0, mod = 0, lease = 0;
    struct kvs_buf value = { 0 };
    const struct gj_value *fv = gj_field(o, "version", NULL), *fc = gj_field(o, "create_revision", "createRevision"),
                          *fm = gj_field(o, "mod_revision", "modRevision"), *fl = gj_field(o, "lease", NULL);
    if (gj_int64(fv, &version, err) || gj_int64(fc, &create, err) || gj_int64(fm, &mod, err) ||
        ea_field_bytes(o, "value", NULL, &value, a, err) || gj_int64(fl, &lease, err))
        return -1;
    switch (c->target) {
    case KVS_CMP_VERSION:
        c->number = version;
        break;
    case KVS_CMP_CREATE:
        c->number = create;
        break;
    case KVS_CMP_MOD:
        c->number = mod;
        break;
    case KVS_CMP_VALUE:
        c->value = value;
        break;
    case KVS_CMP_LEASE:
        c->number = lease;
        break;
    }
    return 0;
}

static int decode_ops(const struct gj_value *list, const struct kvs_op **ops, size_t *n, struct ea_arena *a,
                      char err[GJ_ERR_LEN]);

static int
decode_op(const struct gj_value *o, struct kvs_op *op, struct ea_arena *a, char err[GJ_ERR_LEN])
{
    bool present;
    memset(op, 0, sizeof(*op));
    if (gj_message(o, &present, err))
        return -1;
    const struct gj_value *f;
    if ((f = gj_field(o, "request_range", "requestRange")) && f->type != GJ_NULL) {
        op->type = KVS_OP_RANGE;
        return gj_message(f, &present, err) || ea_decode_range(f, &op->range, a, err) ? -1 : 0;
    }
    if ((f = gj_field(o, "request_put", "requestPut")) && f->type != GJ_NULL) {
        op->type = KVS_OP_PUT;
        return gj_message(f, &present, err) || ea_decode_put(f, &op->put, a, err) ? -1 : 0;
    }
    if ((f = gj_field(o, "request_delete_range", "requestDeleteRange")) && f->type != GJ_NULL) {
        op->type = KVS_OP_DELETE_RANGE;
        return gj_message(f, &present, err) || ea_decode_delete(f, &op->del, a, err) ? -1 : 0;
    }
    if ((f = gj_field(o, "request_txn", "requestTxn")) && f->type != GJ_NULL) {
        struct kvs_txn_req *t = arena_keep(a, calloc(1, sizeof(*t)));
        if (!t)
            return oom(err);
        op->type = KVS_OP_TXN;
        op->txn = t;
        return gj_message(f, &present, err) || ea_decode_txn(f, t, a, err) ? -1 : 0;
    }
    op->type = KVS_OP_NONE;
    return 0;
}

static int
decode_ops(const struct gj_value *list, const struct kvs_op **ops, size_t *n, struct ea_arena *a, char err[GJ_ERR_LEN])
{
    if (gj_array(list, n, err))
        return -1;
    *ops = NULL;
    if (*n == 0)
        return 0;
    struct kvs_op *v = arena_keep(a, calloc(*n, sizeof(*v)));
    if (!v)
        return oom(err);
    for (size_t i = 0; i < *n; i++)
        if (decode_op(&list->items[i], &v[i], a, err))
            return -1;
    *ops = v;
    return 0;
}

int
ea_decode_txn(const struct gj_value *o, struct kvs_txn_req *r, struct ea_arena *a, char err[GJ_ERR_LEN])
{
    memset(r, 0, sizeof(*r));
    const struct gj_value *cmp = gj_field(o, "compare", NULL);
    if (gj_array(cmp, &r->n_compare, err))
        return -1;
    if (r->n_compare) {
        struct kvs_compare *c = arena_keep(a, calloc(r->n_compare, sizeof(*c)));
        if (!c)
            return oom(err);
        for (size_t i = 0; i < r->n_compare; i++)
            if (decode_compare(&cmp->items[i], &c[i], a, err))
                return -1;
        r->compare = c;
    }
    return decode_ops(gj_field(o, "success", NULL), &r->success, &r->n_success, a, err) ||
                   decode_ops(gj_field(o, "failure", NULL), &r->failure, &r->n_failure, a, err)
               ? -1
               : 0;
}

int
ea_decode_watch_create(const struct gj_value *o, struct kvs_watch_req *r, struct ea_arena *a, char err[GJ_ERR_LEN])
{
    memset(r, 0, sizeof(*r));
    if (ea_field_bytes(o, "key", NULL, &r->key, a, err) ||
        ea_field_bytes(o, "range_end", "rangeEnd", &r->range_end, a, err) ||
        ea_field_int64(o, "start_revision", "startRevision", &r->start_revision, err) ||
        ea_field_bool(o, "progress_notify", "progressNotify", &r->progress_notify, err))
        return -1;
    const struct gj_value *filters = gj_field(o, "filters", NULL);
    size_t n;
    if (gj_array(filters, &n, err))
        return -1;
    for (size_t i = 0; i < n; i++) {
        int f;
        if (gj_enum(&filters->items[i], filter_types, 2, "etcdserverpb.WatchCreateRequest_FilterType", &f, err))
            return -1;
        if (f == 0)
            r->no_put = true;
        else if (f == 1)
            r->no_delete = true;
    }
    return ea_field_bool(o, "prev_kv", "prevKv", &r->prev_kv, err);
}

json_t *
ea_int64(int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRId64, v);
    return json_string(buf);
}

json_t *
ea_uint64(uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRIu64, v);
    return json_string(buf);
}

json_t *
ea_b64(const void *data, size_t len)
{
    char *s = kc_base64_encode(data, len);
    json_t *j = s ? json_string(s) : NULL;
    free(s);
    return j;
}

json_t *
ea_header(const struct ea_ids *ids, int64_t revision)
{
    json_t *h = json_object();
    if (ids && ids->cluster_id)
        json_object_set_new(h, "cluster_id", ea_uint64(ids->cluster_id));
    if (ids && ids->member_id)
        json_object_set_new(h, "member_id", ea_uint64(ids->member_id));
    if (revision)
        json_object_set_new(h, "revision", ea_int64(revision));
    if (ids && ids->raft_term)
        json_object_set_new(h, "raft_term", ea_uint64(ids->raft_term));
    return h;
}

json_t *
ea_kv(const struct kvs_kv *kv)
{
    json_t *o = json_object();
    if (kv->key_len)
        json_object_set_new(o, "key", ea_b64(kv->key, kv->key_len));
    if (kv->create_revision)
        json_object_set_new(o, "create_revision", ea_int64(kv->create_revision));
    if (kv->mod_revision)
        json_object_set_new(o, "mod_revision", ea_int64(kv->mod_revision));
    if (kv->version)
        json_object_set_new(o, "version", ea_int64(kv->version));
    if (kv->value_len)
        json_object_set_new(o, "value", ea_b64(kv->value, kv->value_len));
    if (kv->lease)
        json_object_set_new(o, "lease", ea_int64(kv->lease));
    return o;
}

static json_t *
kv_array(const struct kvs_kv *kvs, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, ea_kv(&kvs[i]));
    return arr;
}

json_t *
ea_resp(const struct ea_ids *ids, const struct kvs_resp *resp)
{
    json_t *o = json_object();
    json_object_set_new(o, "header", ea_header(ids, resp->revision));
    switch (resp->type) {
    case KVS_OP_RANGE:
        if (resp->n_kvs)
            json_object_set_new(o, "kvs", kv_array(resp->kvs, resp->n_kvs));
        if (resp->more)
            json_object_set_new(o, "more", json_true());
        if (resp->count)
            json_object_set_new(o, "count", ea_int64(resp->count));
        break;
    case KVS_OP_PUT:
        if (resp->prev_kv)
            json_object_set_new(o, "prev_kv", ea_kv(resp->prev_kv));
        break;
    case KVS_OP_DELETE_RANGE:
        if (resp->deleted)
            json_object_set_new(o, "deleted", ea_int64(resp->deleted));
        if (resp->n_kvs)
            json_object_set_new(o, "prev_kvs", kv_array(resp->kvs, resp->n_kvs));
        break;
    case KVS_OP_TXN:
        if (resp->succeeded)
            json_object_set_new(o, "succeeded", json_true());
        if (resp->n_responses) {
            json_t *arr = json_array();
            for (size_t i = 0; i < resp->n_responses; i++) {
                static const char *const names[] = { "", "response_range", "response_put", "response_delete_range",
                                                     "response_txn" };
                const struct kvs_resp *r = &resp->responses[i];
                json_t *op = json_object();
                json_object_set_new(op, names[r->type], ea_resp(NULL, r));
                json_array_append_new(arr, op);
            }
            json_object_set_new(o, "responses", arr);
        }
        break;
    case KVS_OP_NONE:
        break;
    }
    return o;
}

json_t *
ea_error(const char *msg, int code)
{
    return json_pack("{s:s,s:s,s:i}", "error", msg, "message", msg, "code", code);
}

int
ea_http_status(int grpc_code)
{
    /* grpc-gateway v1's HTTPStatusFromCode */
    static const int map[] = {
        [0] = 200,  /* OK */
        [1] = 408,  /* Canceled */
        [2] = 500,  /* Unknown */
        [3] = 400,  /* InvalidArgument */
        [4] = 504,  /* DeadlineExceeded */
        [5] = 404,  /* NotFound */
        [6] = 409,  /* AlreadyExists */
        [7] = 403,  /* PermissionDenied */
        [8] = 429,  /* ResourceExhausted */
        [9] = 412,  /* FailedPrecondition */
        [10] = 409, /* Aborted */
        [11] = 400, /* OutOfRange */
        [12] = 501, /* Unimplemented */
        [13] = 500, /* Internal */
        [14] = 503, /* Unavailable */
        [15] = 500, /* DataLoss */
        [16] = 401, /* Unauthenticated */
    };
    return grpc_code >= 0 && grpc_code <= 16 ? map[grpc_code] : 500;
}

/* --- protobuf sizes: etcd's gRPC server refuses requests whose protobuf encoding exceeds its receive limit, and
 * its error names that size, so the gateway's answer depends on it. --- */

static size_t
tag_len(unsigned field)
{
    return kc_pb_varint_len((uint64_t)field << 3);
}

static size_t
pb_bytes(unsigned field, size_t len)
{
    return len ? tag_len(field) + kc_pb_varint_len(len) + len : 0;
}

static size_t
pb_int(unsigned field, int64_t v)
{
    return v ? tag_len(field) + kc_pb_varint_len((uint64_t)v) : 0;
}

static size_t
pb_bool(unsigned field, bool v)
{
    return v ? tag_len(field) + 1 : 0;
}

static size_t
pb_msg(unsigned field, size_t size)
{
    return tag_len(field) + kc_pb_varint_len(size) + size;
}

size_t
ea_pb_range(const struct kvs_range_req *r)
{
    return pb_bytes(1, r->key.len) + pb_bytes(2, r->range_end.len) + pb_int(3, r->limit) + pb_int(4, r->revision) +
           pb_int(5, r->sort_order) + pb_int(6, r->sort_target) + pb_bool(8, r->keys_only) + pb_bool(9, r->count_only) +
           pb_int(10, r->min_mod_revision) + pb_int(11, r->max_mod_revision) + pb_int(12, r->min_create_revision) +
           pb_int(13, r->max_create_revision);
}

size_t
ea_pb_put(const struct kvs_put_req *r)
{
    return pb_bytes(1, r->key.len) + pb_bytes(2, r->value.len) + pb_int(3, r->lease) + pb_bool(4, r->prev_kv) +
           pb_bool(5, r->ignore_value) + pb_bool(6, r->ignore_lease);
}

size_t
ea_pb_delete(const struct kvs_delete_req *r)
{
    return pb_bytes(1, r->key.len) + pb_bytes(2, r->range_end.len) + pb_bool(3, r->prev_kv);
}

static size_t
pb_ops(unsigned field, const struct kvs_op *ops, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t inner = 0;
        switch (ops[i].type) {
        case KVS_OP_RANGE:
            inner = pb_msg(1, ea_pb_range(&ops[i].range));
            break;
        case KVS_OP_PUT:
            inner = pb_msg(2, ea_pb_put(&ops[i].put));
            break;
        case KVS_OP_DELETE_RANGE:
            inner = pb_msg(3, ea_pb_delete(&ops[i].del));
            break;
        case KVS_OP_TXN:
            inner = pb_msg(4, ea_pb_txn(ops[i].txn));
            break;
        case KVS_OP_NONE:
            break;
        }
        total += pb_msg(field, inner);
    }
    return total;
}

size_t
ea_pb_txn(const struct kvs_txn_req *t)
{
    size_t total = 0;
    for (size_t i = 0; i < t->n_compare; i++) {
        const struct kvs_compare *c = &t->compare[i];
        size_t inner = pb_int(1, c->result) + pb_int(2, c->target) + pb_bytes(3, c->key.len) +
                       (c->target == KVS_CMP_VALUE ? pb_bytes(7, c->value.len) : pb_int(4 + c->target, c->number)) +
                       pb_bytes(64, c->range_end.len);
        total += pb_msg(1, inner);
    }
    return total + pb_ops(2, t->success, t->n_success) + pb_ops(3, t->failure, t->n_failure);
}

size_t
ea_pb_watch_create(const struct kvs_watch_req *r, int64_t watch_id)
{
    size_t filters = (r->no_put ? 1 : 0) + (r->no_delete ? 1 : 0); /* packed enum values, one byte each */
    size_t inner = pb_bytes(1, r->key.len) + pb_bytes(2, r->range_end.len) + pb_int(3, r->start_revision) +
                   pb_bool(4, r->progress_notify) + pb_bytes(5, filters) + pb_bool(6, r->prev_kv) + pb_int(7, watch_id);
    return pb_msg(1, inner);
}

/* --- responses written directly: the same bytes as json_dumps(ea_resp(...), JSON_COMPACT). Every string written
 * here is a field name, decimal digits or base64, none of which JSON escapes. --- */

void
ea_buf_free(struct ea_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* Room for n more bytes; NULL (and oom) when out of memory. */
static char *
buf_room(struct ea_buf *b, size_t n)
{
    if (b->oom)
        return NULL;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return NULL;
        }
        b->p = p;
        b->cap = cap;
    }
    return b->p + b->len;
}

static void
buf_put(struct ea_buf *b, const char *s, size_t n)
{
    char *p = buf_room(b, n);
    if (p) {
        memcpy(p, s, n);
        b->len += n;
    }
}

#define BUF_LIT(b, s) buf_put((b), (s), sizeof(s) - 1)

/* "name": with the separating comma unless it is the object's first member. */
static void
buf_name(struct ea_buf *b, bool *first, const char *name)
{
    if (!*first)
        BUF_LIT(b, ",");
    *first = false;
    BUF_LIT(b, "\"");
    buf_put(b, name, strlen(name));
    BUF_LIT(b, "\":");
}

static void
buf_u64str(struct ea_buf *b, uint64_t v, bool neg)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    char *p = buf_room(b, n + 3);
    if (!p)
        return;
    *p++ = '"';
    if (neg)
        *p++ = '-';
    while (n)
        *p++ = tmp[--n];
    *p++ = '"';
    b->len = (size_t)(p - b->p);
}

static void
buf_i64str(struct ea_buf *b, int64_t v)
{
    buf_u64str(b, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
}

static void
buf_b64(struct ea_buf *b, const uint8_t *d, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *p = buf_room(b, (n + 2) / 3 * 4 + 2);
    if (!p)
        return;
    *p++ = '"';
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8 | d[i + 2];
        *p++ = tab[v >> 18];
        *p++ = tab[(v >> 12) & 63];
        *p++ = tab[(v >> 6) & 63];
        *p++ = tab[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)d[i] << 16;
        *p++ = tab[v >> 18];
        *p++ = tab[(v >> 12) & 63];
        *p++ = '=';
        *p++ = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)d[i] << 16 | (uint32_t)d[i + 1] << 8;
        *p++ = tab[v >> 18];
        *p++ = tab[(v >> 12) & 63];
        *p++ = tab[(v >> 6) & 63];
        *p++ = '=';
    }
    *p++ = '"';
    b->len = (size_t)(p - b->p);
}

static void
write_header(struct ea_buf *b, const struct ea_ids *ids, int64_t revision)
{
    bool first = true;
    BUF_LIT(b, "{");
    if (ids && ids->cluster_id) {
        buf_name(b, &first, "cluster_id");
        buf_u64str(b, ids->cluster_id, false);
    }
    if (ids && ids->member_id) {
        buf_name(b, &first, "member_id");
        buf_u64str(b, ids->member_id, false);
    }
    if (revision) {
        buf_name(b, &first, "revision");
        buf_i64str(b, revision);
    }
    if (ids && ids->raft_term) {
        buf_name(b, &first, "raft_term");
        buf_u64str(b, ids->raft_term, false);
    }
    BUF_LIT(b, "}");
}

static void
write_kv(struct ea_buf *b, const struct kvs_kv *kv)
{
    bool first = true;
    BUF_LIT(b, "{");
    if (kv->key_len) {
        buf_name(b, &first, "key");
        buf_b64(b, kv->key, kv->key_len);
    }
    if (kv->create_revision) {
        buf_name(b, &first, "create_revision");
        buf_i64str(b, kv->create_revision);
    }
    if (kv->mod_revision) {
        buf_name(b, &first, "mod_revision");
        buf_i64str(b, kv->mod_revision);
    }
    if (kv->version) {
        buf_name(b, &first, "version");
        buf_i64str(b, kv->version);
    }
    if (kv->value_len) {
        buf_name(b, &first, "value");
        buf_b64(b, kv->value, kv->value_len);
    }
    if (kv->lease) {
        buf_name(b, &first, "lease");
        buf_i64str(b, kv->lease);
    }
    BUF_LIT(b, "}");
}

static void
write_kvs(struct ea_buf *b, const struct kvs_kv *kvs, size_t n)
{
    BUF_LIT(b, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            BUF_LIT(b, ",");
        write_kv(b, &kvs[i]);
    }
    BUF_LIT(b, "]");
}

int
ea_write_resp(struct ea_buf *b, const struct ea_ids *ids, const struct kvs_resp *resp)
{
    bool first = true;
    BUF_LIT(b, "{");
    buf_name(b, &first, "header");
    write_header(b, ids, resp->revision);
    switch (resp->type) {
    case KVS_OP_RANGE:
        if (resp->n_kvs) {
            buf_name(b, &first, "kvs");
            write_kvs(b, resp->kvs, resp->n_kvs);
        }
        if (resp->more) {
            buf_name(b, &first, "more");
            BUF_LIT(b, "true");
        }
        if (resp->count) {
            buf_name(b, &first, "count");
            buf_i64str(b, resp->count);
        }
        break;
    case KVS_OP_PUT:
        if (resp->prev_kv) {
            buf_name(b, &first, "prev_kv");
            write_kv(b, resp->prev_kv);
        }
        break;
    case KVS_OP_DELETE_RANGE:
        if (resp->deleted) {
            buf_name(b, &first, "deleted");
            buf_i64str(b, resp->deleted);
        }
        if (resp->n_kvs) {
            buf_name(b, &first, "prev_kvs");
            write_kvs(b, resp->kvs, resp->n_kvs);
        }
        break;
    case KVS_OP_TXN:
        if (resp->succeeded) {
            buf_name(b, &first, "succeeded");
            BUF_LIT(b, "true");
        }
        if (resp->n_responses) {
            static const char *const names[] = { "", "response_range", "response_put", "response_delete_range",
                                                 "response_txn" };
            buf_name(b, &first, "responses");
            BUF_LIT(b, "[");
            for (size_t i = 0; i < resp->n_responses; i++) {
                const struct kvs_resp *r = &resp->responses[i];
                bool f = true;
                if (i)
                    BUF_LIT(b, ",");
                BUF_LIT(b, "{");
                buf_name(b, &f, names[r->type]);
                ea_write_resp(b, NULL, r);
                BUF_LIT(b, "}");
            }
            BUF_LIT(b, "]");
        }
        break;
    case KVS_OP_NONE:
        break;
    }
    BUF_LIT(b, "}");
    return b->oom ? -ENOMEM : 0;
}
