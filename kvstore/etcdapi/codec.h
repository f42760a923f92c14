/* codec.h - etcd v3 JSON gateway messages <-> kvs requests and responses, as etcd 3.4's grpc-gateway writes and
 * reads them: field names snake_case out (lowerCamel accepted in), int64 as strings, bytes base64, defaults
 * omitted, fields in proto order; errors as {"error","message","code"}. */
#ifndef KVS_ETCDAPI_CODEC_H
#define KVS_ETCDAPI_CODEC_H

#include <jansson.h>

#include "gojson.h"
#include "kvs.h"

/* The identity fields of every response header. */
struct ea_ids {
    uint64_t cluster_id, member_id, raft_term;
};

/* Owns what decoding allocates (byte strings, op arrays); freed together. */
struct ea_arena {
    void **ptrs;
    size_t n, cap;
};

void ea_arena_free(struct ea_arena *a);

/* Decoders: o is the request object (NULL for an empty body). Return 0, or -1 with etcd's error text in err. */
int ea_decode_range(const struct gj_value *o, struct kvs_range_req *r, struct ea_arena *a, char err[GJ_ERR_LEN]);
int ea_decode_put(const struct gj_value *o, struct kvs_put_req *r, struct ea_arena *a, char err[GJ_ERR_LEN]);
int ea_decode_delete(const struct gj_value *o, struct kvs_delete_req *r, struct ea_arena *a, char err[GJ_ERR_LEN]);
int ea_decode_txn(const struct gj_value *o, struct kvs_txn_req *r, struct ea_arena *a, char err[GJ_ERR_LEN]);
int ea_decode_watch_create(const struct gj_value *o, struct kvs_watch_req *r, struct ea_arena *a, char err[GJ_ERR_LEN]);
/* Reads field orig/camel of o as bytes/int64/bool (absent = default). */
int ea_field_bytes(const struct gj_value *o, const char *orig, const char *camel, struct kvs_buf *out,
                   struct ea_arena *a, char err[GJ_ERR_LEN]);
int ea_field_int64(const struct gj_value *o, const char *orig, const char *camel, int64_t *out, char err[GJ_ERR_LEN]);
int ea_field_bool(const struct gj_value *o, const char *orig, const char *camel, bool *out, char err[GJ_ERR_LEN]);

/* A response header: cluster_id, member_id, revision, raft_term, each omitted when 0. */
json_t *ea_header(const struct ea_ids *ids, int64_t revision);

/* A KeyValue. */
json_t *ea_kv(const struct kvs_kv *kv);

/* The response to a range, put, deleterange or txn (ids is NULL for responses nested in a txn: their header then
 * carries the revision alone, or nothing for a nested txn, as etcd). */
json_t *ea_resp(const struct ea_ids *ids, const struct kvs_resp *resp);

/* A growable output buffer; after a failed allocation oom is set and appends are dropped. */
struct ea_buf {
    char *p;
    size_t len, cap;
    bool oom;
};

void ea_buf_free(struct ea_buf *b);

/* Appends the response that ea_resp builds, written straight into b: byte for byte what json_dumps(ea_resp(ids,
 * resp), JSON_COMPACT) gives, without building a jansson tree (a 1,000-key range is 1,000 objects). Returns 0 or
 * -ENOMEM (b->oom). */
int ea_write_resp(struct ea_buf *b, const struct ea_ids *ids, const struct kvs_resp *resp);

/* {"error":msg,"message":msg,"code":code}. */
json_t *ea_error(const char *msg, int code);

/* grpc-gateway's HTTP status for a gRPC code. */
int ea_http_status(int grpc_code);

/* A JSON string holding v in decimal (jsonpb writes 64-bit integers as strings). */
json_t *ea_int64(int64_t v);
json_t *ea_uint64(uint64_t v);

/* A JSON string holding base64(data). */
json_t *ea_b64(const void *data, size_t len);

/* The size of the request's protobuf encoding (etcdserverpb.RangeRequest etc.), as etcd's gRPC server measures
 * it against its receive limit. */
size_t ea_pb_range(const struct kvs_range_req *r);
size_t ea_pb_put(const struct kvs_put_req *r);
size_t ea_pb_delete(const struct kvs_delete_req *r);
size_t ea_pb_txn(const struct kvs_txn_req *t);
/* A WatchRequest holding this create_request. */
size_t ea_pb_watch_create(const struct kvs_watch_req *r, int64_t watch_id);

#endif
