/* kc_error.h - k8c's error convention and the one table that maps errors to HTTP and Kubernetes Status.
 *
 * Every k8c function that can fail returns an int: 0 on success, a negative errno (-ENOMEM, -EIO, ...) for
 * system errors, or a negative KC_E* domain code. The domain codes live in a reserved range far below any errno
 * value, so both kinds can travel through the same return value and be told apart.
 */
#ifndef KC_ERROR_H
#define KC_ERROR_H

#include <stdbool.h>

/* Domain codes. The range [KC_ERANGE_LAST, KC_ERANGE_FIRST] is reserved for them. */
enum kc_error_code {
    KC_ERANGE_FIRST = -10000,
    KC_ENOTFOUND = -10000,      /* the object or key does not exist (404 NotFound) */
    KC_EEXIST = -10001,         /* an object of that name already exists (409 AlreadyExists) */
    KC_ECONFLICT = -10002,      /* a precondition or resourceVersion did not match (409 Conflict) */
    KC_EINVALID = -10003,       /* the object fails validation (422 Invalid) */
    KC_EBADREQUEST = -10004,    /* the request itself is malformed (400 BadRequest) */
    KC_EGONE = -10005,          /* the resource is gone for good (410 Gone) */
    KC_EEXPIRED = -10006,       /* a resourceVersion or continue token is too old (410 Expired) */
    KC_ECOMPACTED = -10007,     /* the store revision was compacted (410 Expired) */
    KC_EFUTUREREV = -10008,     /* the requested revision is newer than the store's (400 BadRequest, etcd) */
    KC_EUNAUTHORIZED = -10009,  /* no valid credentials (401 Unauthorized) */
    KC_EFORBIDDEN = -10010,     /* authenticated but not allowed (403 Forbidden) */
    KC_ETOOMANY = -10011,       /* rate limited or overloaded (429 TooManyRequests) */
    KC_EINTERNAL = -10012,      /* a bug or an unexpected state (500 InternalError) */
    KC_EUNAVAILABLE = -10013,   /* the service cannot answer now (503 ServiceUnavailable) */
    KC_ENOSPACE = -10014,       /* the store reached its quota: "database space exceeded" (500 in k8s terms) */
    KC_ETOOLARGE = -10015,      /* a request body over the limit (413 RequestEntityTooLarge) */
    KC_EUNSUPPORTED = -10016,   /* an unsupported media type (415 UnsupportedMediaType) */
    KC_ENOTIMPL = -10017,       /* a feature k8c does not implement yet (501 NotImplemented) */
    KC_EMETHOD = -10018,        /* a verb the resource does not support (405 MethodNotAllowed) */
    KC_ETIMEOUT = -10019,       /* the operation did not finish in time (504 Timeout) */
    KC_EPARSE = -10020,         /* a syntax error in JSON, YAML or a selector (400 BadRequest) */
    KC_ENOTACCEPTABLE = -10021, /* no acceptable response media type (406 NotAcceptable) */
    KC_ERANGE_LAST = -10021,
};

/* [-10399, -10300] is reserved for the store's detail codes (kvstore/kvs.h, KVS_E*: invalid requests that etcd
 * tells apart); kvs_error_message() has their texts. kc_error_http() answers them as 400 BadRequest. */
#define KC_EKVS_RANGE_FIRST (-10300)
#define KC_EKVS_RANGE_LAST  (-10399)

/* True when err is one of the KC_E* domain codes. */
bool kc_is_domain_error(int err);

/* A static, human-readable description of err: a KC_E* code, a negative errno, or 0 ("success").
 * Never returns NULL; unknown codes give "unknown error". */
const char *kc_strerror(int err);

/* The HTTP status and Kubernetes Status reason (e.g. 404 and "NotFound") for err. Negative errnos map to
 * 500 "InternalError" except a few with an obvious meaning (-ENOENT 404, -EEXIST 409, -EINVAL 400,
 * -EACCES/-EPERM 403, -ETIMEDOUT 504, -ENOSPC 507). *reason is static. Returns the HTTP status. */
int kc_error_http(int err, const char **reason);

#endif
