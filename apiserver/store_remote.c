/* store_remote.c - the api_store backend over etcd v3's JSON gateway (a `k8c kvstore` or a real etcd 3.4): kvs
 * requests encoded as gateway JSON (bytes base64, int64 as strings), answers decoded into kvs structs that live
 * in one arena per response, etcd's error texts mapped back to kvs/KC codes, failover across servers, and
 * /v3/watch streams read by one thread per watch into a bounded queue signalled through an eventfd.
 */
#include "kc_crypto.h"
#include "kc_fault.h"
#include "kc_http.h"
#include "kc_jarena.h"
#include "kc_log.h"
#include "store_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 10000L
#define POOL_IDLE_MAX      16                         /* idle clients kept per server */
#define PEM_MAX            (1024 * 1024)              /* largest CA/cert/key file read */
#define QUEUE_BATCHES      1024                       /* default watch queue bound, as kvs */
#define QUEUE_BYTES        ((size_t)64 * 1024 * 1024) /* default watch queue bound in bytes, as kvs */
#define STREAM_STABLE_NS   (1000LL * 1000 * 1000)     /* a watch stream that lived this long earns fresh retries */

static const char reason_slow[] = "api_store: watch queue overflow (the consumer is too slow)";

static atomic_size_t queue_batches = QUEUE_BATCHES;
static atomic_size_t queue_bytes = QUEUE_BYTES;

void
api_store_remote_set_queue_limit(size_t batches, size_t bytes)
{
    atomic_store(&queue_batches, batches ? batches : QUEUE_BATCHES);
    atomic_store(&queue_bytes, bytes ? bytes : QUEUE_BYTES);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Arena: every decoded response or batch lives in one, freed at once. */

struct block {
    struct block *next;
    size_t used, cap;
    alignas(max_align_t) unsigned char data[];
};

struct arena {
    struct block *head;
};

static void
arena_free(struct arena *a)
{
    if (!a)
        return;
    for (struct block *b = a->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}

/* size zeroed bytes, aligned for any type; NULL when out of memory. */
static void *
arena_alloc(struct arena *a, size_t size)
{
    size = (size + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
    if (size == 0)
        size = alignof(max_align_t);
    struct block *b = a->head;
    if (!b || b->cap - b->used < size) {
        size_t cap = size > 8000 ? size : 8000;
        b = kc_malloc(sizeof(*b) + cap);
        if (!b)
            return NULL;
        b->used = 0;
        b->cap = cap;
        /* a big allocation gets a block of its own behind the current one, which keeps its free space */
        if (a->head && size > 8000) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    void *p = b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* JSON in: etcd writes int64 as strings, bytes as standard base64, and omits defaults. Errors are KC_EINTERNAL
 * (the server sent something no etcd sends). */

static int
j_int64(const json_t *v, int64_t *out)
{
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        errno = 0;
        long long n = strtoll(s, &end, 10);
        if (errno || end == s || *end)
            return KC_EINTERNAL;
        *out = n;
        return 0;
    }
    return KC_EINTERNAL;
}

static int
j_bool(const json_t *v, bool *out)
{
    *out = false;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_boolean(v))
        return KC_EINTERNAL;
    *out = json_is_true(v);
    return 0;
}

static int
b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* Decodes base64 (padding optional) into the arena; NUL-terminated for convenience (not counted). */
static int
j_bytes(struct arena *a, const json_t *v, const uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return KC_EINTERNAL;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    while (n > 0 && s[n - 1] == '=')
        n--;
    if (n == 0)
        return 0;
    uint8_t *out = arena_alloc(a, n / 4 * 3 + 3);
    if (!out)
        return -ENOMEM;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int d = b64_value((unsigned char)s[i]);
        if (d < 0)
            return KC_EINTERNAL;
        acc = (acc << 6) | (uint32_t)d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    out[o] = 0;
    *data = out;
    *len = o;
    return 0;
}

/* A field by its proto name or, as the gateway also writes, its lowerCamel JSON name. */
static json_t *
field(const json_t *o, const char *orig, const char *camel)
{
    json_t *v = json_object_get(o, orig);
    if (!v && camel)
        v = json_object_get(o, camel);
    return v;
}

static int
decode_kv(struct arena *a, const json_t *o, struct kvs_kv *kv)
{
    if (!json_is_object(o))
        return KC_EINTERNAL;
    int rc;
    if ((rc = j_bytes(a, json_object_get(o, "key"), &kv->key, &kv->key_len)) ||
        (rc = j_bytes(a, json_object_get(o, "value"), &kv->value, &kv->value_len)) ||
        (rc = j_int64(field(o, "create_revision", "createRevision"), &kv->create_revision)) ||
        (rc = j_int64(field(o, "mod_revision", "modRevision"), &kv->mod_revision)) ||
        (rc = j_int64(json_object_get(o, "version"), &kv->version)) ||
        (rc = j_int64(json_object_get(o, "lease"), &kv->lease)))
        return rc;
    return 0;
}

static int
decode_kvs(struct arena *a, const json_t *arr, struct kvs_kv **kvs, size_t *n)
{
    *kvs = NULL;
    *n = 0;
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return KC_EINTERNAL;
    size_t len = json_array_size(arr);
    if (len == 0)
        return 0;
    struct kvs_kv *v = arena_alloc(a, len * sizeof(*v));
    if (!v)
        return -ENOMEM;
    for (size_t i = 0; i < len; i++) {
        int rc = decode_kv(a, json_array_get(arr, i), &v[i]);
        if (rc)
            return rc;
    }
    *kvs = v;
    *n = len;
    return 0;
}

static int
decode_revision(const json_t *o, int64_t *rev)
{
    return j_int64(json_object_get(json_object_get(o, "header"), "revision"), rev);
}

static int
decode_resp(struct arena *a, const json_t *o, enum kvs_op_type type, struct kvs_resp *r)
{
    if (!json_is_object(o))
        return KC_EINTERNAL;
    int rc;
    r->type = type;
    if ((rc = decode_revision(o, &r->revision)))
        return rc;
    switch (type) {
    case KVS_OP_RANGE:
        if ((rc = decode_kvs(a, json_object_get(o, "kvs"), &r->kvs, &r->n_kvs)) ||
            (rc = j_bool(json_object_get(o, "more"), &r->more)) ||
            (rc = j_int64(json_object_get(o, "count"), &r->count)))
            return rc;
        break;
    case KVS_OP_PUT: {
        const json_t *p = field(o, "prev_kv", "prevKv");
        if (p && !json_is_null(p)) {
            if (!(r->prev_kv = arena_alloc(a, sizeof(*r->prev_kv))))
                return -ENOMEM;
            if ((rc = decode_kv(a, p, r->prev_kv)))
                return rc;
        }
        break;
    }
    case KVS_OP_DELETE_RANGE:
        if ((rc = j_int64(json_object_get(o, "deleted"), &r->deleted)) ||
            (rc = decode_kvs(a, field(o, "prev_kvs", "prevKvs"), &r->kvs, &r->n_kvs)))
            return rc;
        break;
    case KVS_OP_TXN: {
        if ((rc = j_bool(json_object_get(o, "succeeded"), &r->succeeded)))
            return rc;
        const json_t *arr = json_object_get(o, "responses");
        if (!arr || json_is_null(arr))
            break;
        if (!json_is_array(arr))
            return KC_EINTERNAL;
        size_t n = json_array_size(arr);
        if (n == 0)
            break;
        if (!(r->responses = arena_alloc(a, n * sizeof(*r->responses))))
            return -ENOMEM;
        r->n_responses = n;
        for (size_t i = 0; i < n; i++) {
            static const struct {
                const char *orig, *camel;
                enum kvs_op_type type;
            } kinds[] = {
                { "response_range", "responseRange", KVS_OP_RANGE },
                { "response_put", "responsePut", KVS_OP_PUT },
                { "response_delete_range", "responseDeleteRange", KVS_OP_DELETE_RANGE },
                { "response_txn", "responseTxn", KVS_OP_TXN },
            };
            const json_t *op = json_array_get(arr, i), *sub = NULL;
            size_t k;
            for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
                if ((sub = field(op, kinds[k].orig, kinds[k].camel)) && !json_is_null(sub))
                    break;
            if (k == sizeof(kinds) / sizeof(kinds[0]))
                return KC_EINTERNAL;
            if ((rc = decode_resp(a, sub, kinds[k].type, &r->responses[i])))
                return rc;
        }
        break;
    }
    case KVS_OP_NONE:
        break;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* JSON out: the gateway's field names, int64 as strings, bytes as base64, defaults left out. */

static int
set_new(json_t *o, const char *name, json_t *v)
{
    return v && json_object_set_new(o, name, v) == 0 ? 0 : -ENOMEM;
}

static int
set_int64(json_t *o, const char *name, int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%" PRId64, v);
    return set_new(o, name, json_string(buf));
}

static int
set_bytes(json_t *o, const char *name, struct kvs_buf b)
{
    if (b.len && !b.data)
        return KC_EINVALID;
    char *s = kc_base64_encode(b.data, b.len);
    if (!s)
        return -ENOMEM;
    int rc = set_new(o, name, json_string(s));
    free(s);
    return rc;
}

static int
set_bool(json_t *o, const char *name, bool v)
{
    return v ? set_new(o, name, json_true()) : 0;
}

static json_t *
enc_range(const struct kvs_range_req *r, int *rc)
{
    static const char *const orders[] = { "NONE", "ASCEND", "DESCEND" };
    static const char *const targets[] = { "KEY", "VERSION", "CREATE", "MOD", "VALUE" };
    json_t *o = json_object();
    if (!o) {
        *rc = -ENOMEM;
        return NULL;
    }
    if ((unsigned)r->sort_order > KVS_SORT_DESCEND || (unsigned)r->sort_target > KVS_SORT_VALUE)
        *rc = KC_EINVALID;
    if (!*rc && r->key.len)
        *rc = set_bytes(o, "key", r->key);
    if (!*rc && r->range_end.len)
        *rc = set_bytes(o, "range_end", r->range_end);
    if (!*rc && r->limit)
        *rc = set_int64(o, "limit", r->limit);
    if (!*rc && r->revision)
        *rc = set_int64(o, "revision", r->revision);
    if (!*rc && r->sort_order)
        *rc = set_new(o, "sort_order", json_string(orders[r->sort_order]));
    if (!*rc && r->sort_target)
        *rc = set_new(o, "sort_target", json_string(targets[r->sort_target]));
    if (!*rc)
        *rc = set_bool(o, "keys_only", r->keys_only);
    if (!*rc)
        *rc = set_bool(o, "count_only", r->count_only);
    if (!*rc && r->min_mod_revision)
        *rc = set_int64(o, "min_mod_revision", r->min_mod_revision);
    if (!*rc && r->max_mod_revision)
        *rc = set_int64(o, "max_mod_revision", r->max_mod_revision);
    if (!*rc && r->min_create_revision)
        *rc = set_int64(o, "min_create_revision", r->min_create_revision);
    if (!*rc && r->max_create_revision)
        *rc = set_int64(o, "max_create_revision", r->max_create_revision);
    return o;
}

static json_t *
enc_put(const struct kvs_put_req *r, int *rc)
{
    json_t *o = json_object();
    if (!o) {
        *rc = -ENOMEM;
        return NULL;
    }
    if (!*rc && r->key.len)
        *rc = set_bytes(o, "key", r->key);
    if (!*rc && r->value.len)
        *rc = set_bytes(o, "value", r->value);
    if (!*rc && r->lease)
        *rc = set_int64(o, "lease", r->lease);
    if (!*rc)
        *rc = set_bool(o, "prev_kv", r->prev_kv);
    if (!*rc)
        *rc = set_bool(o, "ignore_value", r->ignore_value);
    if (!*rc)
        *rc = set_bool(o, "ignore_lease", r->ignore_lease);
    return o;
}

static json_t *
enc_delete(const struct kvs_delete_req *r, int *rc)
{
    json_t *o = json_object();
    if (!o) {
        *rc = -ENOMEM;
        return NULL;
    }
    if (!*rc && r->key.len)
        *rc = set_bytes(o, "key", r->key);
    if (!*rc && r->range_end.len)
        *rc = set_bytes(o, "range_end", r->range_end);
    if (!*rc)
        *rc = set_bool(o, "prev_kv", r->prev_kv);
    return o;
}

static json_t *
enc_compare(const struct kvs_compare *c, int *rc)
{
    static const char *const results[] = { "EQUAL", "GREATER", "LESS", "NOT_EQUAL" };
    static const char *const targets[] = { "VERSION", "CREATE", "MOD", "VALUE", "LEASE" };
    static const char *const fields[] = { "version", "create_revision", "mod_revision", "value", "lease" };
    json_t *o = json_object();
    if (!o) {
        *rc = -ENOMEM;
        return NULL;
    }
    if ((unsigned)c->result > KVS_CMP_NOT_EQUAL || (unsigned)c->target > KVS_CMP_LEASE) {
        *rc = KC_EINVALID;
        return o;
    }
    *rc = set_new(o, "result", json_string(results[c->result]));
    if (!*rc)
        *rc = set_new(o, "target", json_string(targets[c->target]));
    if (!*rc && c->key.len)
        *rc = set_bytes(o, "key", c->key);
    if (!*rc && c->range_end.len)
        *rc = set_bytes(o, "range_end", c->range_end);
    /* the target_union member that matches target, always written (also when 0) */
    if (!*rc)
        *rc = c->target == KVS_CMP_VALUE ? set_bytes(o, "value", c->value) : set_int64(o, fields[c->target], c->number);
    return o;
}

static json_t *enc_txn(const struct kvs_txn_req *t, int *rc);

static json_t *
enc_ops(const struct kvs_op *ops, size_t n, int *rc)
{
    json_t *arr = json_array();
    if (!arr) {
        *rc = -ENOMEM;
        return NULL;
    }
    if (n && !ops)
        *rc = KC_EINVALID;
    for (size_t i = 0; !*rc && i < n; i++) {
        json_t *op = json_object(), *inner = NULL;
        const char *name = NULL;
        if (!op) {
            *rc = -ENOMEM;
            break;
        }
        switch (ops[i].type) {
        case KVS_OP_NONE:
            break;
        case KVS_OP_RANGE:
            name = "request_range";
            inner = enc_range(&ops[i].range, rc);
            break;
        case KVS_OP_PUT:
            name = "request_put";
            inner = enc_put(&ops[i].put, rc);
            break;
        case KVS_OP_DELETE_RANGE:
            name = "request_delete_range";
            inner = enc_delete(&ops[i].del, rc);
            break;
        case KVS_OP_TXN:
            name = "request_txn";
            if (!ops[i].txn)
                *rc = KC_EINVALID;
            else
                inner = enc_txn(ops[i].txn, rc);
            break;
        default:
            *rc = KC_EINVALID;
            break;
        }
        if (name && !*rc)
            *rc = set_new(op, name, inner);
        else
            json_decref(inner);
        if (json_array_append_new(arr, op) != 0 && !*rc)
            *rc = -ENOMEM;
    }
    return arr;
}

static json_t *
enc_txn(const struct kvs_txn_req *t, int *rc)
{
    json_t *o = json_object(), *cmp = json_array();
    if (!o || !cmp) {
        json_decref(cmp);
        *rc = -ENOMEM;
        return o;
    }
    if (t->n_compare && !t->compare)
        *rc = KC_EINVALID;
    for (size_t i = 0; !*rc && i < t->n_compare; i++)
        if (json_array_append_new(cmp, enc_compare(&t->compare[i], rc)) != 0 && !*rc)
            *rc = -ENOMEM;
    if (!*rc && t->n_compare)
        *rc = set_new(o, "compare", cmp);
    else
        json_decref(cmp);
    const struct kvs_op *branches[2] = { t->success, t->failure };
    size_t counts[2] = { t->n_success, t->n_failure };
    static const char *const names[2] = { "success", "failure" };
    for (int b = 0; b < 2 && !*rc; b++) {
        if (!counts[b])
            continue;
        json_t *ops = enc_ops(branches[b], counts[b], rc);
        if (*rc)
            json_decref(ops);
        else
            *rc = set_new(o, names[b], ops);
    }
    return o;
}

/* Whether a txn writes (a put or delete in either branch at any depth): only reads may be retried on another
 * server after a request was sent. */
static bool
txn_writes(const struct kvs_txn_req *t)
{
    const struct kvs_op *branches[2] = { t->success, t->failure };
    size_t counts[2] = { t->n_success, t->n_failure };
    for (int b = 0; b < 2; b++)
        for (size_t i = 0; branches[b] && i < counts[b]; i++) {
            const struct kvs_op *op = &branches[b][i];
            if (op->type == KVS_OP_PUT || op->type == KVS_OP_DELETE_RANGE ||
                (op->type == KVS_OP_TXN && op->txn && txn_writes(op->txn)))
                return true;
        }
    return false;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Errors */

/* etcd messages that kvs has no code of its own for (etcdserver/api/v3rpc/rpctypes). */
static const struct {
    const char *message;
    int err;
} etcd_messages[] = {
    { "etcdserver: no leader", KC_EUNAVAILABLE },
    { "etcdserver: leader changed", KC_EUNAVAILABLE },
    { "etcdserver: not capable", KC_EUNAVAILABLE },
    { "etcdserver: unhealthy cluster", KC_EUNAVAILABLE },
    { "etcdserver: corrupt cluster", KC_EUNAVAILABLE },
    { "etcdserver: rpc not supported for learner", KC_EUNAVAILABLE },
    { "etcdserver: too many requests", KC_ETOOMANY },
    { "etcdserver: request timed out, possibly due to previous leader failure", KC_ETIMEOUT },
    { "etcdserver: request timed out, possibly due to connection lost", KC_ETIMEOUT },
    { "etcdserver: request timed out, leader transfer took too long", KC_ETIMEOUT },
    { "etcdserver: request cancelled", KC_EUNAVAILABLE },
    { "etcdserver: permission denied", KC_EFORBIDDEN },
    { "etcdserver: invalid auth token", KC_EUNAUTHORIZED },
    { "etcdserver: user name is empty", KC_EUNAUTHORIZED },
    { "etcdserver: authentication failed, invalid user ID or password", KC_EUNAUTHORIZED },
    { "kvs: watcher queue overflow (the consumer is too slow)", -ENOBUFS },
    { "kvs: store closed", KC_EUNAVAILABLE },
};

/* The kvs/KC code of an etcd error: its exact text first (kvs_error_message's table inverted, then the texts
 * above), then its gRPC code. */
int
api_store_remote_map_error(const char *msg, long grpc_code)
{
    static const int kvs_codes[] = {
        KC_ECOMPACTED,   KC_EFUTUREREV, KC_ENOSPACE,      KC_ENOTFOUND,     KC_EEXIST,          KC_ETOOLARGE,
        KC_EUNAVAILABLE, KC_ETIMEOUT,   KVS_EEMPTYKEY,    KVS_EKEYNOTFOUND, KVS_EVALUEPROVIDED, KVS_ELEASEPROVIDED,
        KVS_ETOOMANYOPS, KVS_EDUPKEY,   KVS_ETTLTOOLARGE, KVS_EWATCHRANGE,  KVS_ENOTLEADER,
    };
    if (msg && *msg) {
        for (size_t i = 0; i < sizeof(kvs_codes) / sizeof(kvs_codes[0]); i++)
            if (strcmp(msg, kvs_error_message(kvs_codes[i], NULL)) == 0)
                return kvs_codes[i];
        for (size_t i = 0; i < sizeof(etcd_messages) / sizeof(etcd_messages[0]); i++)
            if (strcmp(msg, etcd_messages[i].message) == 0)
                return etcd_messages[i].err;
        if (strncmp(msg, "grpc: ", 6) == 0 && strstr(msg, "larger than max"))
            return KC_ETOOLARGE;
    }
    switch (grpc_code) {
    case 1:  /* Canceled */
    case 14: /* Unavailable */
        return KC_EUNAVAILABLE;
    case 3:  /* InvalidArgument */
    case 11: /* OutOfRange */
        return KC_EINVALID;
    case 4: /* DeadlineExceeded */
        return KC_ETIMEOUT;
    case 5: /* NotFound */
        return KC_ENOTFOUND;
    case 6: /* AlreadyExists */
        return KC_EEXIST;
    case 7: /* PermissionDenied */
        return KC_EFORBIDDEN;
    case 8: /* ResourceExhausted */
        return KC_ENOSPACE;
    case 9:  /* FailedPrecondition */
    case 10: /* Aborted */
        return KC_ECONFLICT;
    case 12: /* Unimplemented */
        return KC_ENOTIMPL;
    case 16: /* Unauthenticated */
        return KC_EUNAUTHORIZED;
    default:
        return KC_EINTERNAL;
    }
}

/* The error of a non-200 gateway answer: {"error","message","code"} (or a stream's {"error":{...}}), else by
 * HTTP status. */
static int
map_error_reply(const json_t *reply, long status)
{
    const json_t *e = json_object_get(reply, "error");
    if (json_is_object(e)) /* a stream error: {"error":{"grpc_code","http_code","message","http_status"}} */
        return api_store_remote_map_error(json_string_value(json_object_get(e, "message")),
                                          (long)json_integer_value(json_object_get(e, "grpc_code")));
    const char *msg = json_string_value(json_object_get(reply, "message"));
    if (!msg)
        msg = json_string_value(e);
    const json_t *code = json_object_get(reply, "code");
    if (msg || json_is_integer(code))
        return api_store_remote_map_error(msg, json_is_integer(code) ? (long)json_integer_value(code) : 2);
    switch (status) {
    case 429:
        return KC_ETOOMANY;
    case 503:
        return KC_EUNAVAILABLE;
    case 504:
        return KC_ETIMEOUT;
    default:
        return KC_EINTERNAL; /* e.g. a 404 "Not Found" page: not an etcd gateway */
    }
}

/* kc_http's transport errors as the store reports them: the server is unavailable, unless the time ran out. */
static int
map_transport(int rc)
{
    if (rc == -ENOMEM || rc == KC_ETIMEOUT || rc == KC_ETOOLARGE)
        return rc;
    if (rc == KC_EPARSE)
        return KC_EINTERNAL;
    return KC_EUNAVAILABLE;
}

/* Whether a request that failed with rc may go to the next server: reads always; writes only when nothing can
 * have reached the server (connect errors, refused TLS handshakes). */
static bool
retryable(int rc, bool writes)
{
    if (rc == -ENOMEM || rc == KC_ETOOLARGE || rc == -ECANCELED)
        return false;
    if (!writes)
        return true;
    return rc == -EPROTO || (rc < 0 && rc > -4096);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Servers and the client pool */

struct server {
    struct kc_http_config hc; /* server is ours; the PEM strings are the remote's */
    pthread_mutex_t lock;
    struct kc_http *idle[POOL_IDLE_MAX];
    size_t nidle;
};

struct remote {
    struct api_store base;
    struct server *servers;
    size_t nservers;
    atomic_size_t cur; /* the server that answered last: requests start there */
    char *ca_pem, *cert_pem, *key_pem;
    long timeout_ms;
};

static int
client_get(struct server *sv, struct kc_http **out)
{
    pthread_mutex_lock(&sv->lock);
    struct kc_http *h = sv->nidle ? sv->idle[--sv->nidle] : NULL;
    pthread_mutex_unlock(&sv->lock);
    if (h) {
        *out = h;
        return 0;
    }
    char err[256];
    int rc = kc_http_new(&sv->hc, out, err, sizeof(err));
    if (rc != 0)
        KC_LOG(KC_LOG_ERROR, "apiserver", "cannot make an etcd client", "server=%s err=\"%s\"", sv->hc.server, err);
    return rc;
}

static void
client_put(struct server *sv, struct kc_http *h)
{
    pthread_mutex_lock(&sv->lock);
    if (sv->nidle < POOL_IDLE_MAX) {
        sv->idle[sv->nidle++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&sv->lock);
    kc_http_free(h);
}

/* POSTs body to path on the first server that answers, starting with the one that answered last. *reply: the
 * 200 answer (caller decrefs). Errors: the mapped etcd error, KC_EUNAVAILABLE when no server answered,
 * KC_ETIMEOUT, -ENOMEM, KC_EINTERNAL for an answer that is not etcd's. */
static int
call(struct remote *r, const char *path, const json_t *body, bool writes, json_t **reply)
{
    size_t start = atomic_load(&r->cur), n = r->nservers;
    int err = KC_EUNAVAILABLE;
    for (size_t i = 0; i < n; i++) {
        size_t idx = (start + i) % n;
        struct server *sv = &r->servers[idx];
        struct kc_http *h;
        int rc = client_get(sv, &h);
        if (rc != 0)
            return rc;
        struct kc_http_request req = { .method = "POST", .path = path };
        struct kc_http_response resp;
        json_t *j = NULL;
        rc = kc_http_json(h, &req, body, &resp, &j);
        if (rc != 0) {
            KC_LOG(KC_LOG_WARN, "apiserver", "etcd request failed", "server=%s path=%s err=\"%s\"", sv->hc.server, path,
                   kc_http_errmsg(h));
            kc_http_response_close(&resp);
            json_decref(j);
            kc_http_free(h); /* drop its connection: the next try on this server connects afresh */
            err = map_transport(rc);
            if (!retryable(rc, writes))
                return err;
            continue;
        }
        long status = resp.status;
        kc_http_response_close(&resp);
        client_put(sv, h);
        if (status == 503 && !writes && i + 1 < n) { /* e.g. a member without a leader: ask another */
            err = map_error_reply(j, status);
            json_decref(j);
            continue;
        }
        if (idx != start)
            atomic_store(&r->cur, idx);
        if (status != 200) {
            err = map_error_reply(j, status);
            json_decref(j);
            return err;
        }
        if (!json_is_object(j)) {
            json_decref(j);
            return KC_EINTERNAL;
        }
        *reply = j;
        return 0;
    }
    return err;
}

/* A unary request whose answer is a kvs_resp of type. */
static int
call_resp(struct remote *r, const char *path, json_t *body, int enc_rc, bool writes, enum kvs_op_type type,
          struct kvs_resp **out)
{
    json_t *reply = NULL;
    int rc = enc_rc ? enc_rc : body ? call(r, path, body, writes, &reply) : -ENOMEM;
    json_decref(body);
    if (rc != 0)
        return rc;
    struct arena *a = kc_calloc(1, sizeof(*a));
    struct kvs_resp *resp = a ? arena_alloc(a, sizeof(*resp)) : NULL;
    rc = resp ? decode_resp(a, reply, type, resp) : -ENOMEM;
    json_decref(reply);
    if (rc != 0) {
        if (rc == KC_EINTERNAL)
            KC_LOG(KC_LOG_ERROR, "apiserver", "undecodable etcd answer", "path=%s", path);
        arena_free(a);
        return rc;
    }
    resp->priv = a;
    *out = resp;
    return 0;
}

static int
r_range(struct api_store *s, const struct kvs_range_req *req, struct kvs_resp **out)
{
    int rc = 0;
    json_t *body = enc_range(req, &rc);
    return call_resp((struct remote *)s, "/v3/kv/range", body, rc, false, KVS_OP_RANGE, out);
}

static int
r_txn(struct api_store *s, const struct kvs_txn_req *req, struct kvs_resp **out)
{
    int rc = 0;
    json_t *body = enc_txn(req, &rc);
    return call_resp((struct remote *)s, "/v3/kv/txn", body, rc, txn_writes(req), KVS_OP_TXN, out);
}

static void
r_resp_free(struct api_store *s, struct kvs_resp *resp)
{
    (void)s;
    arena_free(resp->priv);
}

/* A unary request whose answer only matters for a field or two. */
static int
call_simple(struct remote *r, const char *path, json_t *body, int enc_rc, bool writes, json_t **reply)
{
    int rc = enc_rc ? enc_rc : body ? call(r, path, body, writes, reply) : -ENOMEM;
    json_decref(body);
    return rc;
}

static int
r_lease_grant(struct api_store *s, int64_t ttl, int64_t *id)
{
    json_t *body = json_object(), *reply = NULL;
    int rc = body ? set_int64(body, "TTL", ttl) : -ENOMEM;
    rc = call_simple((struct remote *)s, "/v3/lease/grant", body, rc, true, &reply);
    if (rc != 0)
        return rc;
    const char *e = json_string_value(json_object_get(reply, "error"));
    int64_t v;
    if (e && *e)
        rc = api_store_remote_map_error(e, 2);
    else if (j_int64(json_object_get(reply, "ID"), &v) != 0 || v == 0)
        rc = KC_EINTERNAL;
    else
        *id = v;
    json_decref(reply);
    return rc;
}

static int
r_lease_revoke(struct api_store *s, int64_t id)
{
    json_t *body = json_object(), *reply = NULL;
    int rc = body ? set_int64(body, "ID", id) : -ENOMEM;
    rc = call_simple((struct remote *)s, "/v3/lease/revoke", body, rc, true, &reply);
    json_decref(reply);
    return rc;
}

static int
r_compact(struct api_store *s, int64_t revision)
{
    json_t *body = json_object(), *reply = NULL;
    int rc = body ? set_int64(body, "revision", revision) : -ENOMEM;
    rc = call_simple((struct remote *)s, "/v3/kv/compaction", body, rc, true, &reply);
    json_decref(reply);
    return rc;
}

static int
r_revision(struct api_store *s, int64_t *rev)
{
    /* count_only of the single key "\0": the cheapest read that carries the header revision */
    json_t *body = json_object(), *reply = NULL;
    int rc = body ? set_bytes(body, "key", (struct kvs_buf){ "", 1 }) : -ENOMEM;
    if (rc == 0)
        rc = set_bool(body, "count_only", true);
    rc = call_simple((struct remote *)s, "/v3/kv/range", body, rc, false, &reply);
    if (rc != 0)
        return rc;
    int64_t v;
    if (decode_revision(reply, &v) != 0 || v <= 0)
        rc = KC_EINTERNAL;
    else
        *rev = v;
    json_decref(reply);
    return rc;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Watches: a thread per watch reads the /v3/watch stream and queues its batches; a broken stream is re-created
 * from the next revision on the next server (each server once; a stream that worked earns another round). */

struct qnode {
    struct qnode *next;
    size_t bytes;
    struct kvs_watch_batch b; /* b.priv: the arena that holds the node */
};

enum wstate { W_STARTING, W_CREATED, W_FAILED };

struct rwatch {
    struct api_store_watch base;
    struct remote *r;
    struct kvs_buf key, range_end; /* copies (malloc'ed) */
    bool prev_kv, no_put, no_delete, progress_notify;
    int64_t next_rev; /* the start revision of the next create: 0 until the first create answered */
    size_t server;    /* the server of the current stream */
    size_t max_batches, max_bytes;
    int efd;
    pthread_t thread;

    /* the thread's own */
    bool stream_created;  /* the current stream answered created */
    bool stream_batches;  /* and delivered a batch */
    int stream_err;       /* an error the line callback found */
    char stream_why[256]; /* and its text */

    pthread_mutex_t lock; /* guards what follows */
    pthread_cond_t cond;  /* signalled when state leaves W_STARTING */
    struct kc_http *http; /* the client of the current stream, for kc_http_cancel */
    bool stopping;
    enum wstate state;
    int create_err;
    struct qnode *head, *tail;
    size_t qn, qbytes;
    bool ended;        /* the canceled batch is queued: nothing follows it */
    bool cancel_taken; /* and the consumer has it */
};

static void
efd_set(struct rwatch *w)
{
    uint64_t one = 1;
    ssize_t n = write(w->efd, &one, sizeof(one));
    (void)n; /* EAGAIN: the counter is already non-zero, which is all we need */
}

static void
efd_clear(struct rwatch *w)
{
    uint64_t v;
    ssize_t n = read(w->efd, &v, sizeof(v));
    (void)n;
}

/* Appends a batch (w->lock held) and makes the fd readable. */
static void
enqueue(struct rwatch *w, struct qnode *q)
{
    q->next = NULL;
    if (w->tail)
        w->tail->next = q;
    else
        w->head = q;
    w->tail = q;
    w->qn++;
    w->qbytes += q->bytes;
    if (q->b.canceled)
        w->ended = true;
    efd_set(w);
}

static struct qnode *
qnode_new(struct arena **ap)
{
    struct arena *a = kc_calloc(1, sizeof(*a));
    struct qnode *q = a ? arena_alloc(a, sizeof(*q)) : NULL;
    if (!q) {
        free(a);
        return NULL;
    }
    q->b.priv = a;
    *ap = a;
    return q;
}

/* Queues the last batch of a watch that ends for err (w->lock held). Without memory for it the consumer
 * still learns the end: poll returns -ECANCELED once the queue is empty. */
static void
queue_cancel(struct rwatch *w, int err, const char *reason)
{
    if (w->ended)
        return;
    struct arena *a = NULL;
    struct qnode *q = qnode_new(&a);
    if (!q) {
        w->ended = w->cancel_taken = true;
        efd_set(w);
        return;
    }
    q->b.canceled = true;
    q->b.cancel_err = err;
    size_t n = strlen(reason);
    char *text = arena_alloc(a, n + 1);
    if (text)
        memcpy(text, reason, n);
    q->b.cancel_reason = text ? text : "";
    enqueue(w, q);
}

static void
fail_create(struct rwatch *w, int err)
{
    pthread_mutex_lock(&w->lock);
    if (w->state == W_STARTING) {
        w->state = W_FAILED;
        w->create_err = err;
        pthread_cond_broadcast(&w->cond);
    }
    pthread_mutex_unlock(&w->lock);
}

static int
decode_event(struct arena *a, const json_t *o, struct kvs_event *e)
{
    if (!json_is_object(o))
        return KC_EINTERNAL;
    const json_t *t = json_object_get(o, "type");
    if (json_is_string(t))
        e->type = strcmp(json_string_value(t), "DELETE") == 0 ? KVS_EVENT_DELETE : KVS_EVENT_PUT;
    else if (json_is_integer(t))
        e->type = json_integer_value(t) == 1 ? KVS_EVENT_DELETE : KVS_EVENT_PUT;
    int rc = decode_kv(a, json_object_get(o, "kv"), &e->kv);
    if (rc)
        return rc;
    const json_t *p = field(o, "prev_kv", "prevKv");
    if (p && !json_is_null(p)) {
        if (!(e->prev_kv = arena_alloc(a, sizeof(*e->prev_kv))))
            return -ENOMEM;
        return decode_kv(a, p, e->prev_kv);
    }
    return 0;
}

static int
decode_batch(struct arena *a, const json_t *res, struct kvs_watch_batch *b)
{
    int rc;
    const char *reason = json_string_value(field(res, "cancel_reason", "cancelReason"));
    if ((rc = decode_revision(res, &b->revision)) || (rc = j_bool(json_object_get(res, "canceled"), &b->canceled)) ||
        (rc = j_int64(field(res, "compact_revision", "compactRevision"), &b->compact_revision)))
        return rc;
    const json_t *events = json_object_get(res, "events");
    if (events && !json_is_null(events)) {
        if (!json_is_array(events))
            return KC_EINTERNAL;
        size_t n = json_array_size(events);
        if (n) {
            if (!(b->events = arena_alloc(a, n * sizeof(*b->events))))
                return -ENOMEM;
            b->n_events = n;
            for (size_t i = 0; i < n; i++)
                if ((rc = decode_event(a, json_array_get(events, i), &b->events[i])))
                    return rc;
        }
    }
    if (b->canceled) {
        b->cancel_err = b->compact_revision ? 0
                        : reason && *reason ? api_store_remote_map_error(reason, 2)
                                            : KC_EUNAVAILABLE;
        size_t n = reason ? strlen(reason) : 0;
        char *text = arena_alloc(a, n + 1);
        if (!text)
            return -ENOMEM;
        if (n)
            memcpy(text, reason, n);
        b->cancel_reason = text;
    }
    return 0;
}

/* One line of the stream: {"result":WatchResponse} or {"error":{...}}. Returns 0 to go on, 1 to end the stream
 * (the watch is over), or a negative error (the stream is broken: reconnect). */
static int
on_line(void *arg, char *line, size_t len)
{
    struct rwatch *w = arg;
    if (len == 0)
        return 0;
    json_t *o = json_loadb(line, len, 0, NULL);
    const json_t *res = json_object_get(o, "result");
    if (!json_is_object(res)) {
        w->stream_err = json_is_object(o) ? map_error_reply(o, 0) : KC_EINTERNAL;
        const char *msg = json_string_value(json_object_get(json_object_get(o, "error"), "message"));
        snprintf(w->stream_why, sizeof(w->stream_why), "stream error: %.200s", msg ? msg : line);
        json_decref(o);
        return -EPROTO;
    }
    bool created = false, canceled = false;
    j_bool(json_object_get(res, "created"), &created);
    j_bool(json_object_get(res, "canceled"), &canceled);
    if (created) {
        int64_t rev = 0;
        decode_revision(res, &rev);
        if (canceled) { /* refused, e.g. "mvcc: watcher range is empty" */
            const char *reason = json_string_value(field(res, "cancel_reason", "cancelReason"));
            int err = api_store_remote_map_error(reason, 3);
            json_decref(o);
            pthread_mutex_lock(&w->lock);
            if (w->state == W_STARTING) {
                w->state = W_FAILED;
                w->create_err = err;
                pthread_cond_broadcast(&w->cond);
            } else {
                queue_cancel(w, err, reason ? reason : "");
            }
            pthread_mutex_unlock(&w->lock);
            return 1;
        }
        json_decref(o);
        w->stream_created = true;
        if (w->next_rev == 0)
            w->next_rev = rev + 1;
        pthread_mutex_lock(&w->lock);
        if (w->state == W_STARTING) {
            w->state = W_CREATED;
            pthread_cond_broadcast(&w->cond);
        }
        pthread_mutex_unlock(&w->lock);
        return 0;
    }

    struct arena *a = NULL;
    struct qnode *q = qnode_new(&a);
    int rc = q ? decode_batch(a, res, &q->b) : -ENOMEM;
    json_decref(o);
    if (rc != 0) {
        arena_free(a);
        w->stream_err = rc;
        snprintf(w->stream_why, sizeof(w->stream_why), "undecodable watch response: %.200s", line);
        return rc == -ENOMEM ? -ENOMEM : -EPROTO;
    }
    if (q->b.canceled && !q->b.compact_revision && q->b.cancel_err == KC_EUNAVAILABLE) {
        /* the server is going away (a kvs daemon closing its store): resume elsewhere */
        snprintf(w->stream_why, sizeof(w->stream_why), "server canceled the watch: %s", q->b.cancel_reason);
        arena_free(a);
        w->stream_err = KC_EUNAVAILABLE;
        return -EPROTO;
    }
    q->bytes = len;
    w->stream_batches = true;
    if (q->b.n_events)
        w->next_rev = q->b.events[q->b.n_events - 1].kv.mod_revision + 1;
    else if (!q->b.canceled && q->b.revision >= w->next_rev) /* progress: everything up to it was sent */
        w->next_rev = q->b.revision + 1;

    pthread_mutex_lock(&w->lock);
    if (w->state == W_STARTING) { /* a batch before created: the watch exists all the same */
        w->state = W_CREATED;
        pthread_cond_broadcast(&w->cond);
    }
    bool end = q->b.canceled;
    if (!end && (w->qn + 1 > w->max_batches || w->qbytes + q->bytes > w->max_bytes)) {
        arena_free(a);
        queue_cancel(w, -ENOBUFS, reason_slow);
        KC_LOG(KC_LOG_WARN, "apiserver", "etcd watch cancelled: consumer too slow", "queued=%zu", w->qn);
        end = true;
    } else {
        enqueue(w, q);
    }
    pthread_mutex_unlock(&w->lock);
    return end ? 1 : 0;
}

static json_t *
watch_body(struct rwatch *w)
{
    json_t *c = json_object(), *o = json_object();
    int rc = c && o ? 0 : -ENOMEM;
    if (!rc)
        rc = set_bytes(c, "key", w->key);
    if (!rc && w->range_end.len)
        rc = set_bytes(c, "range_end", w->range_end);
    if (!rc && w->next_rev)
        rc = set_int64(c, "start_revision", w->next_rev);
    if (!rc)
        rc = set_bool(c, "progress_notify", w->progress_notify);
    if (!rc && (w->no_put || w->no_delete)) {
        json_t *f = json_array();
        if (f && w->no_put)
            json_array_append_new(f, json_string("NOPUT"));
        if (f && w->no_delete)
            json_array_append_new(f, json_string("NODELETE"));
        rc = set_new(c, "filters", f);
    }
    if (!rc)
        rc = set_bool(c, "prev_kv", w->prev_kv);
    if (!rc) {
        rc = set_new(o, "create_request", c);
        c = NULL;
    }
    json_decref(c);
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int64_t
mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *
watch_main(void *arg)
{
    struct rwatch *w = arg;
    struct remote *r = w->r;
    size_t attempts = r->nservers; /* left before the watch gives up */
    char why[512] = "no server answered";
    for (;;) {
        struct server *sv = &r->servers[w->server];
        struct kc_http_config hc = sv->hc;
        hc.timeout_ms = 0; /* a stream lasts as long as the watch */
        struct kc_http *h = NULL;
        char err[256];
        pthread_mutex_lock(&w->lock);
        bool stop = w->stopping;
        int rc = stop ? 0 : kc_http_new(&hc, &h, err, sizeof(err));
        w->http = h;
        pthread_mutex_unlock(&w->lock);
        if (stop)
            break;
        json_t *body = rc == 0 ? watch_body(w) : NULL;
        int64_t started = mono_ns();
        long status = 0;
        w->stream_created = w->stream_batches = false;
        w->stream_err = 0;
        w->stream_why[0] = '\0';
        if (rc != 0) {
            snprintf(why, sizeof(why), "%s", err);
        } else if (!body) {
            rc = -ENOMEM;
        } else {
            struct kc_http_request req = { .method = "POST", .path = "/v3/watch", .timeout_ms = -1 };
            struct kc_http_response resp = { 0 };
            char *text = kc_jarena_dumps(body, JSON_COMPACT);
            req.body = text;
            req.body_len = text ? strlen(text) : 0;
            req.content_type = "application/json";
            rc = text ? kc_http_stream(h, &req, on_line, w, &resp) : -ENOMEM;
            free(text);
            status = resp.status;
            if (rc == 0 && status != 200) {
                json_t *j = resp.body ? json_loadb(resp.body, resp.body_len, 0, NULL) : NULL;
                w->stream_err = map_error_reply(j, status);
                json_decref(j);
                snprintf(why, sizeof(why), "/v3/watch answered %ld", status);
            } else if (rc != 0) {
                snprintf(why, sizeof(why), "%s", kc_http_errmsg(h));
            } else {
                snprintf(why, sizeof(why), "%s ended the watch stream", sv->hc.server);
            }
            kc_http_response_close(&resp);
            if (w->stream_why[0])
                snprintf(why, sizeof(why), "%s", w->stream_why);
        }
        json_decref(body);
        pthread_mutex_lock(&w->lock);
        w->http = NULL;
        stop = w->stopping || w->ended || w->state == W_FAILED;
        pthread_mutex_unlock(&w->lock);
        kc_http_free(h);
        if (stop)
            break;
        if (rc == -ENOMEM || (status != 200 && status != 0 && status != 503)) {
            /* not a server being away: an answer that another server would give the same way */
            int e = rc == -ENOMEM ? -ENOMEM : w->stream_err;
            fail_create(w, e);
            pthread_mutex_lock(&w->lock);
            queue_cancel(w, e, why);
            pthread_mutex_unlock(&w->lock);
            break;
        }
        /* A stream that worked (delivered something, or lived a while) earns every server another try, the one
         * it broke on last; one that failed at once counts as a failed try. */
        if (w->stream_created && (w->stream_batches || mono_ns() - started >= STREAM_STABLE_NS))
            attempts = r->nservers;
        else
            attempts--;
        KC_LOG(KC_LOG_WARN, "apiserver", "etcd watch stream lost", "server=%s next_revision=%" PRId64 " err=\"%s\"",
               sv->hc.server, w->next_rev, why);
        if (attempts == 0) {
            fail_create(w, KC_EUNAVAILABLE);
            pthread_mutex_lock(&w->lock);
            queue_cancel(w, KC_EUNAVAILABLE, why);
            pthread_mutex_unlock(&w->lock);
            break;
        }
        w->server = (w->server + 1) % r->nservers;
    }
    return NULL;
}

static int
rw_fd(struct api_store_watch *base)
{
    return ((struct rwatch *)base)->efd;
}

static int
rw_poll(struct api_store_watch *base, struct kvs_watch_batch **out)
{
    struct rwatch *w = (struct rwatch *)base;
    int rc;
    pthread_mutex_lock(&w->lock);
    struct qnode *q = w->head;
    if (q) {
        w->head = q->next;
        if (!w->head)
            w->tail = NULL;
        w->qn--;
        w->qbytes -= q->bytes;
        if (q->b.canceled)
            w->cancel_taken = true;
        if (!w->head)
            efd_clear(w);
        *out = &q->b;
        rc = 0;
    } else {
        efd_clear(w);
        rc = w->cancel_taken ? -ECANCELED : -EAGAIN;
    }
    pthread_mutex_unlock(&w->lock);
    return rc;
}

static void
rw_batch_free(struct api_store_watch *base, struct kvs_watch_batch *b)
{
    (void)base;
    arena_free(b->priv);
}

static void
rw_destroy(struct rwatch *w)
{
    for (struct qnode *q = w->head, *next; q; q = next) {
        next = q->next;
        arena_free(q->b.priv);
    }
    if (w->efd >= 0)
        close(w->efd);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free((void *)w->key.data);
    free((void *)w->range_end.data);
    free(w);
}

static void
rw_stop(struct rwatch *w)
{
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    if (w->http)
        kc_http_cancel(w->http);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
}

static void
rw_free(struct api_store_watch *base)
{
    struct rwatch *w = (struct rwatch *)base;
    rw_stop(w);
    rw_destroy(w);
}

static const struct api_store_watch_ops rwatch_ops = {
    .fd = rw_fd,
    .poll = rw_poll,
    .batch_free = rw_batch_free,
    .free = rw_free,
};

static int
copy_buf(struct kvs_buf in, struct kvs_buf *out)
{
    out->data = NULL;
    out->len = 0;
    if (!in.len)
        return 0;
    if (!in.data)
        return KC_EINVALID;
    void *p = kc_malloc(in.len);
    if (!p)
        return -ENOMEM;
    memcpy(p, in.data, in.len);
    out->data = p;
    out->len = in.len;
    return 0;
}

static int
r_watch(struct api_store *s, const struct kvs_watch_req *req, struct api_store_watch **out)
{
    struct remote *r = (struct remote *)s;
    struct rwatch *w = kc_calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->base.ops = &rwatch_ops;
    w->r = r;
    w->efd = -1;
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &ca);
    pthread_condattr_destroy(&ca);
    int rc = copy_buf(req->key.len ? req->key : (struct kvs_buf){ "", 1 }, &w->key);
    if (!rc)
        rc = copy_buf(req->range_end, &w->range_end);
    if (rc) {
        rw_destroy(w);
        return rc;
    }
    w->prev_kv = req->prev_kv;
    w->no_put = req->no_put;
    w->no_delete = req->no_delete;
    w->progress_notify = req->progress_notify;
    w->next_rev = req->start_revision;
    w->max_batches = atomic_load(&queue_batches);
    w->max_bytes = atomic_load(&queue_bytes);
    w->server = atomic_load(&r->cur);
    w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->efd < 0) {
        rc = -errno;
        rw_destroy(w);
        return rc;
    }
    if ((rc = pthread_create(&w->thread, NULL, watch_main, w)) != 0) {
        rw_destroy(w);
        return -rc;
    }

    /* Wait for etcd's created answer: from then on every event after the start revision reaches us. */
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += r->timeout_ms / 1000;
    dl.tv_nsec += (r->timeout_ms % 1000) * 1000000;
    if (dl.tv_nsec >= 1000000000) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&w->lock);
    while (w->state == W_STARTING && pthread_cond_timedwait(&w->cond, &w->lock, &dl) != ETIMEDOUT) {
    }
    enum wstate st = w->state;
    rc = st == W_CREATED ? 0 : st == W_FAILED ? w->create_err : KC_ETIMEOUT;
    pthread_mutex_unlock(&w->lock);
    if (rc != 0) {
        rw_stop(w);
        rw_destroy(w);
        return rc;
    }
    *out = &w->base;
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* The store */

static void
r_close(struct api_store *s)
{
    struct remote *r = (struct remote *)s;
    for (size_t i = 0; r->servers && i < r->nservers; i++) {
        struct server *sv = &r->servers[i];
        for (size_t k = 0; k < sv->nidle; k++)
            kc_http_free(sv->idle[k]);
        pthread_mutex_destroy(&sv->lock);
        free(sv->hc.server);
    }
    free(r->servers);
    free(r->ca_pem);
    free(r->cert_pem);
    if (r->key_pem) {
        explicit_bzero(r->key_pem, strlen(r->key_pem));
        free(r->key_pem);
    }
    free(r);
}

static const struct api_store_ops remote_ops = {
    .range = r_range,
    .txn = r_txn,
    .resp_free = r_resp_free,
    .lease_grant = r_lease_grant,
    .lease_revoke = r_lease_revoke,
    .compact = r_compact,
    .revision = r_revision,
    .watch = r_watch,
    .close = r_close,
};

/* Reads a PEM file into a NUL-terminated string. */
static int
read_pem(const char *path, char **out, char *err, size_t errlen)
{
    int fd = kc_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) {
        int rc = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        return rc;
    }
    struct stat st;
    int rc = 0;
    char *buf = NULL;
    if (fstat(fd, &st) != 0) {
        rc = -errno;
    } else if (st.st_size > PEM_MAX) {
        rc = KC_ETOOLARGE;
    } else if (!(buf = kc_malloc((size_t)st.st_size + 1))) {
        rc = -ENOMEM;
    } else {
        size_t got = 0;
        while (got < (size_t)st.st_size) {
            ssize_t n = kc_read(fd, buf + got, (size_t)st.st_size - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                rc = n < 0 ? -errno : -EIO;
                break;
            }
            got += (size_t)n;
        }
        buf[got] = '\0';
    }
    close(fd);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", path, rc == KC_ETOOLARGE ? "file over 1 MiB" : strerror(-rc));
        free(buf);
        return rc;
    }
    *out = buf;
    return 0;
}

/* Splits the comma-separated server list into r->servers. */
static int
parse_servers(struct remote *r, const char *list, char *err, size_t errlen)
{
    size_t n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    if (!(r->servers = kc_calloc(n, sizeof(*r->servers))))
        return -ENOMEM;
    const char *p = list;
    while (*p) {
        const char *e = strchr(p, ',');
        if (!e)
            e = p + strlen(p);
        const char *a = p, *b = e;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        while (b > a && b[-1] == '/') /* the paths below start with '/' */
            b--;
        if (b > a) {
            struct server *sv = &r->servers[r->nservers];
            if (!(sv->hc.server = kc_strndup(a, (size_t)(b - a))))
                return -ENOMEM;
            pthread_mutex_init(&sv->lock, NULL);
            r->nservers++;
        }
        p = *e ? e + 1 : e;
    }
    if (r->nservers == 0) {
        snprintf(err, errlen, "no etcd server given");
        return KC_EINVALID;
    }
    return 0;
}

int
api_store_remote(const struct api_store_remote_config *cfg, struct api_store **out, char *err, size_t errlen)
{
    char dummy[1];
    if (!err || errlen == 0) {
        err = dummy;
        errlen = sizeof(dummy);
    }
    err[0] = '\0';
    if (!cfg || !out || !cfg->servers) {
        snprintf(err, errlen, "no etcd servers configured");
        return KC_EINVALID;
    }
    if (!cfg->cert_file != !cfg->key_file) {
        snprintf(err, errlen, "an etcd client certificate needs its key and the reverse");
        return KC_EINVALID;
    }
    struct remote *r = kc_calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->base.ops = &remote_ops;
    r->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
    int rc = parse_servers(r, cfg->servers, err, errlen);
    if (!rc && cfg->ca_file)
        rc = read_pem(cfg->ca_file, &r->ca_pem, err, errlen);
    if (!rc && cfg->cert_file)
        rc = read_pem(cfg->cert_file, &r->cert_pem, err, errlen);
    if (!rc && cfg->key_file)
        rc = read_pem(cfg->key_file, &r->key_pem, err, errlen);
    for (size_t i = 0; !rc && i < r->nservers; i++) {
        struct kc_http_config *hc = &r->servers[i].hc;
        hc->ca_pem = r->ca_pem;
        hc->cert_pem = r->cert_pem;
        hc->key_pem = r->key_pem;
        hc->timeout_ms = r->timeout_ms;
        hc->connect_timeout_ms = r->timeout_ms < KC_HTTP_CONNECT_TIMEOUT_MS ? r->timeout_ms : 0;
        struct kc_http *h;
        char e[256];
        rc = kc_http_new(hc, &h, e, sizeof(e)); /* checks the URL and the PEMs up front */
        if (rc != 0)
            snprintf(err, errlen, "etcd server %s: %s", hc->server, e);
        else
            client_put(&r->servers[i], h);
    }
    if (rc != 0) {
        r_close(&r->base);
        return rc;
    }

    /* The first server that answers /health is where requests start. */
    rc = KC_EUNAVAILABLE;
    for (size_t i = 0; rc != 0 && i < r->nservers; i++) {
        struct server *sv = &r->servers[i];
        struct kc_http *h;
        if ((rc = client_get(sv, &h)) != 0)
            break;
        struct kc_http_request req = { .method = "GET", .path = "/health" };
        struct kc_http_response resp;
        json_t *j = NULL;
        int hrc = kc_http_do(h, &req, &resp);
        if (hrc == 0 && resp.body) /* etcd 3.4 sends it as text/plain */
            j = json_loadb(resp.body, resp.body_len, 0, NULL);
        const char *health = json_string_value(json_object_get(j, "health"));
        if (hrc != 0) {
            snprintf(err, errlen, "%s", kc_http_errmsg(h));
            rc = KC_EUNAVAILABLE;
        } else if (!health) {
            snprintf(err, errlen, "%s/health answered %ld without a health status: not etcd", sv->hc.server,
                     resp.status);
            rc = KC_EUNAVAILABLE;
        } else {
            if (strcmp(health, "true") != 0) /* e.g. a NOSPACE alarm: reads and deletes still work */
                KC_LOG(KC_LOG_WARN, "apiserver", "etcd reports itself unhealthy", "server=%s health=%s", sv->hc.server,
                       health);
            atomic_store(&r->cur, i);
            rc = 0;
        }
        json_decref(j);
        kc_http_response_close(&resp);
        if (hrc == 0)
            client_put(sv, h);
        else
            kc_http_free(h);
    }
    if (rc != 0) {
        if (rc == KC_EUNAVAILABLE) {
            char detail[512];
            snprintf(detail, sizeof(detail), "%s", err);
            snprintf(err, errlen, "no etcd server answers /health (last: %s)", detail);
        }
        r_close(&r->base);
        return rc;
    }
    err[0] = '\0';
    *out = &r->base;
    return 0;
}
