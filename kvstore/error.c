/* error.c - etcd's gRPC status (code and exact message) for every error the store returns, so the etcd JSON
 * daemon answers as etcd 3.4 does (etcdserver/api/v3rpc/rpctypes/error.go).
 */
#include "kvs_int.h"

enum {
    GRPC_OK = 0,
    GRPC_UNKNOWN = 2,
    GRPC_INVALID_ARGUMENT = 3,
    GRPC_NOT_FOUND = 5,
    GRPC_RESOURCE_EXHAUSTED = 8,
    GRPC_FAILED_PRECONDITION = 9,
    GRPC_OUT_OF_RANGE = 11,
    GRPC_UNAVAILABLE = 14,
};

static const struct {
    int err;
    int code;
    const char *message;
} rows[] = {
    { KC_ECOMPACTED, GRPC_OUT_OF_RANGE, "etcdserver: mvcc: required revision has been compacted" },
    { KC_EFUTUREREV, GRPC_OUT_OF_RANGE, "etcdserver: mvcc: required revision is a future revision" },
    { KC_ENOSPACE, GRPC_RESOURCE_EXHAUSTED, "etcdserver: mvcc: database space exceeded" },
    { KC_ENOTFOUND, GRPC_NOT_FOUND, "etcdserver: requested lease not found" },
    { KC_EEXIST, GRPC_FAILED_PRECONDITION, "etcdserver: lease already exists" },
    { KC_ETOOLARGE, GRPC_INVALID_ARGUMENT, "etcdserver: request is too large" },
    { KC_EUNAVAILABLE, GRPC_UNAVAILABLE, "etcdserver: server stopped" },
    { KC_ETIMEOUT, GRPC_UNAVAILABLE, "etcdserver: request timed out" },
    { KVS_EEMPTYKEY, GRPC_INVALID_ARGUMENT, "etcdserver: key is not provided" },
    { KVS_EKEYNOTFOUND, GRPC_INVALID_ARGUMENT, "etcdserver: key not found" },
    { KVS_EVALUEPROVIDED, GRPC_INVALID_ARGUMENT, "etcdserver: value is provided" },
    { KVS_ELEASEPROVIDED, GRPC_INVALID_ARGUMENT, "etcdserver: lease is provided" },
    { KVS_ETOOMANYOPS, GRPC_INVALID_ARGUMENT, "etcdserver: too many operations in txn request" },
    { KVS_EDUPKEY, GRPC_INVALID_ARGUMENT, "etcdserver: duplicate key given in txn request" },
    { KVS_ETTLTOOLARGE, GRPC_OUT_OF_RANGE, "etcdserver: too large lease TTL" },
    { KVS_EWATCHRANGE, GRPC_INVALID_ARGUMENT, "mvcc: watcher range is empty" },
    { KVS_ENOTLEADER, GRPC_FAILED_PRECONDITION, "etcdserver: not leader" },
};

const char *
kvs_error_message(int err, int *grpc_code)
{
    int code = GRPC_UNKNOWN;
    const char *msg = NULL;
    if (err == 0) {
        code = GRPC_OK;
        msg = "";
    }
    for (size_t i = 0; !msg && i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (rows[i].err == err) {
            code = rows[i].code;
            msg = rows[i].message;
        }
    }
    if (!msg)
        msg = kc_strerror(err);
    if (grpc_code)
        *grpc_code = code;
    return msg;
}

int
kvs_error_kc(int err)
{
    if (err == KVS_ENOTLEADER)
        return KC_EUNAVAILABLE;
    if (err >= KVS_ERANGE_LAST && err <= KVS_ERANGE_FIRST)
        return KC_EINVALID;
    return err;
}
