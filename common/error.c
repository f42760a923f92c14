/* error.c - kc_strerror and the single mapping from k8c error codes to HTTP status and Kubernetes reasons. */
#include "kc_error.h"

#include <errno.h>
#include <string.h>

struct error_row {
    int code;            /* KC_E* */
    int http;            /* HTTP status */
    const char *reason;  /* Kubernetes metav1.StatusReason */
    const char *message; /* kc_strerror text */
};

static const struct error_row error_rows[] = {
    { KC_ENOTFOUND, 404, "NotFound", "not found" },
    { KC_EEXIST, 409, "AlreadyExists", "already exists" },
    { KC_ECONFLICT, 409, "Conflict", "conflict" },
    { KC_EINVALID, 422, "Invalid", "invalid" },
    { KC_EBADREQUEST, 400, "BadRequest", "bad request" },
    { KC_EGONE, 410, "Gone", "gone" },
    { KC_EEXPIRED, 410, "Expired", "expired" },
    { KC_ECOMPACTED, 410, "Expired", "required revision has been compacted" },
    { KC_EFUTUREREV, 400, "BadRequest", "required revision is a future revision" },
    { KC_EUNAUTHORIZED, 401, "Unauthorized", "unauthorized" },
    { KC_EFORBIDDEN, 403, "Forbidden", "forbidden" },
    { KC_ETOOMANY, 429, "TooManyRequests", "too many requests" },
    { KC_EINTERNAL, 500, "InternalError", "internal error" },
    { KC_EUNAVAILABLE, 503, "ServiceUnavailable", "service unavailable" },
    { KC_ENOSPACE, 500, "InternalError", "database space exceeded" },
    { KC_ETOOLARGE, 413, "RequestEntityTooLarge", "request entity too large" },
    { KC_EUNSUPPORTED, 415, "UnsupportedMediaType", "unsupported media type" },
    { KC_ENOTIMPL, 501, "NotImplemented", "not implemented" },
    { KC_EMETHOD, 405, "MethodNotAllowed", "method not allowed" },
    { KC_ETIMEOUT, 504, "Timeout", "timeout" },
    { KC_EPARSE, 400, "BadRequest", "syntax error" },
    { KC_ENOTACCEPTABLE, 406, "NotAcceptable", "not acceptable" },
};

static const struct error_row *
find_row(int err)
{
    for (size_t i = 0; i < sizeof(error_rows) / sizeof(error_rows[0]); i++)
        if (error_rows[i].code == err)
            return &error_rows[i];
    return NULL;
}

bool
kc_is_domain_error(int err)
{
    return err >= KC_ERANGE_LAST && err <= KC_ERANGE_FIRST;
}

const char *
kc_strerror(int err)
{
    if (err == 0)
        return "success";
    if (kc_is_domain_error(err)) {
        const struct error_row *row = find_row(err);
        return row ? row->message : "unknown error";
    }
    if (err <= KC_EKVS_RANGE_FIRST && err >= KC_EKVS_RANGE_LAST)
        return "invalid store request";
    if (err < 0 && err > -4096)
        return strerror(-err); /* glibc's table is static and thread-safe for known values */
    return "unknown error";
}

int
kc_error_http(int err, const char **reason)
{
    const struct error_row *row = kc_is_domain_error(err) ? find_row(err) : NULL;
    int http = 500;
    const char *r = "InternalError";

    if (row) {
        http = row->http;
        r = row->reason;
    } else if (err <= KC_EKVS_RANGE_FIRST && err >= KC_EKVS_RANGE_LAST) {
        http = 400, r = "BadRequest";
    } else {
        switch (err) {
        case -ENOENT:
            http = 404, r = "NotFound";
            break;
        case -EEXIST:
            http = 409, r = "AlreadyExists";
            break;
        case -EINVAL:
            http = 400, r = "BadRequest";
            break;
        case -EACCES:
        case -EPERM:
            http = 403, r = "Forbidden";
            break;
        case -ETIMEDOUT:
            http = 504, r = "Timeout";
            break;
        case -ENOSPC:
            http = 507, r = "InternalError";
            break;
        default:
            break;
        }
    }
    if (reason)
        *reason = r;
    return http;
}
