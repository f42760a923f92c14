/* test_error.c - kc_strerror and the error → HTTP/Status-reason table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "kc_error.h"

static void
test_http_mapping(void **state)
{
    (void)state;
    static const struct {
        int err;
        int http;
        const char *reason;
    } cases[] = {
        { KC_ENOTFOUND, 404, "NotFound" },
        { KC_EEXIST, 409, "AlreadyExists" },
        { KC_ECONFLICT, 409, "Conflict" },
        { KC_EINVALID, 422, "Invalid" },
        { KC_EBADREQUEST, 400, "BadRequest" },
        { KC_EGONE, 410, "Gone" },
        { KC_EEXPIRED, 410, "Expired" },
        { KC_ECOMPACTED, 410, "Expired" },
        { KC_EUNAUTHORIZED, 401, "Unauthorized" },
        { KC_EFORBIDDEN, 403, "Forbidden" },
        { KC_ETOOMANY, 429, "TooManyRequests" },
        { KC_EINTERNAL, 500, "InternalError" },
        { KC_EUNAVAILABLE, 503, "ServiceUnavailable" },
        { KC_ETOOLARGE, 413, "RequestEntityTooLarge" },
        { KC_EUNSUPPORTED, 415, "UnsupportedMediaType" },
        { KC_ENOTIMPL, 501, "NotImplemented" },
        { KC_EMETHOD, 405, "MethodNotAllowed" },
        { KC_EPARSE, 400, "BadRequest" },
        { -ENOMEM, 500, "InternalError" },
        { -ENOENT, 404, "NotFound" },
        { -EIO, 500, "InternalError" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *reason = NULL;
        int http = kc_error_http(cases[i].err, &reason);
        assert_int_equal(http, cases[i].http);
        assert_string_equal(reason, cases[i].reason);
    }
    assert_int_equal(kc_error_http(KC_ENOTFOUND, NULL), 404);
    const char *reason;
    assert_int_equal(kc_error_http(-10305, &reason), 400); /* a store detail code (KVS_EDUPKEY) */
    assert_string_equal(reason, "BadRequest");
    assert_string_equal(kc_strerror(-10305), "invalid store request");
}

static void
test_strerror(void **state)
{
    (void)state;
    assert_string_equal(kc_strerror(0), "success");
    assert_string_equal(kc_strerror(-ENOENT), strerror(ENOENT));
    assert_string_equal(kc_strerror(KC_ENOSPACE), "database space exceeded");
    assert_string_equal(kc_strerror(KC_ECOMPACTED), "required revision has been compacted");
    assert_string_equal(kc_strerror(-123456), "unknown error");
    /* Every domain code has its own text. */
    for (int e = KC_ERANGE_LAST; e <= KC_ERANGE_FIRST; e++) {
        assert_true(kc_is_domain_error(e));
        assert_string_not_equal(kc_strerror(e), "unknown error");
    }
    assert_false(kc_is_domain_error(-ENOMEM));
    assert_false(kc_is_domain_error(0));
    assert_false(kc_is_domain_error(KC_ERANGE_LAST - 1));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_mapping),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
