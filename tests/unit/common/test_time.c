/* test_time.c - RFC 3339 in (Z, offsets, fractions, bad input) and out (Time, MicroTime, offsets). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kc_error.h"
#include "kc_time.h"

static void
test_parse(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t sec;
        int32_t nsec;
    } ok[] = {
        { "1970-01-01T00:00:00Z", 0, 0 },
        { "2026-12-01T20:30:05Z", 1796157005, 0 },
        { "2026-12-01T22:30:05+02:00", 1796157005, 0 },
        { "2026-12-01T20:30:05+00:00", 1796157005, 0 },
        { "2026-12-01T15:00:05-05:30", 1796157005, 0 },
        { "2024-02-29T00:00:00Z", 1709164800, 0 },
        { "2000-02-29T12:00:00.5Z", 951825600, 500000000 },
        { "2026-12-01T20:30:05.123456Z", 1796157005, 123456000 },
        { "2026-12-01T20:30:05.123456789Z", 1796157005, 123456789 },
        { "1969-12-31T23:59:59Z", -1, 0 },
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        struct kc_time t;
        if (kc_time_parse(ok[i].text, &t) != 0)
            fail_msg("%s did not parse", ok[i].text);
        assert_int_equal(t.sec, ok[i].sec);
        assert_int_equal(t.nsec, ok[i].nsec);
    }
    static const char *const bad[] = {
        "",
        "2026-12-01",
        "2026-12-01T20:30:05",
        "2026-12-01 20:30:05Z",
        "2026-12-01t20:30:05Z",
        "2026-13-01T20:30:05Z",
        "2026-02-29T00:00:00Z",
        "2100-02-29T00:00:00Z",
        "2026-12-01T24:00:00Z",
        "2026-12-01T20:60:00Z",
        "2026-12-01T20:30:60Z",
        "2026-12-01T20:30:05.Z",
        "2026-12-01T20:30:05.1234567890Z",
        "2026-12-01T20:30:05+0200",
        "2026-12-01T20:30:05+24:00",
        "2026-12-01T20:30:05Zjunk",
        "2026-1-01T20:30:05Z",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct kc_time t;
        if (kc_time_parse(bad[i], &t) != KC_EINVALID)
            fail_msg("%s parsed but should not", bad[i]);
    }
}

static void
test_format(void **state)
{
    (void)state;
    char buf[KC_TIME_BUF];
    struct kc_time t = { 1796157005, 123456789 };
    assert_string_equal(kc_time_format(t, buf), "2026-12-01T20:30:05Z");
    assert_string_equal(kc_time_format_micro(t, buf), "2026-12-01T20:30:05.123456Z");
    assert_string_equal(kc_time_format_offset(t, 0, buf), "2026-12-01T20:30:05Z");
    assert_string_equal(kc_time_format_offset(t, 120, buf), "2026-12-01T22:30:05+02:00");
    assert_string_equal(kc_time_format_offset(t, -330, buf), "2026-12-01T15:00:05-05:30");
    assert_string_equal(kc_time_format((struct kc_time){ -1, 0 }, buf), "1969-12-31T23:59:59Z");
    assert_string_equal(kc_time_format((struct kc_time){ 951782400, 0 }, buf), "2000-02-29T00:00:00Z");

    /* Round trip over a spread of instants, leap days and year boundaries included. */
    for (int64_t s = -86400LL * 800; s < 86400LL * 365 * 140; s += 86400LL * 17 + 3601) {
        struct kc_time in = { s, 0 }, back;
        assert_int_equal(kc_time_parse(kc_time_format(in, buf), &back), 0);
        assert_int_equal(back.sec, s);
        assert_int_equal(kc_time_parse(kc_time_format_offset(in, 345, buf), &back), 0);
        assert_int_equal(back.sec, s);
    }
}

static void
test_clocks(void **state)
{
    (void)state;
    struct kc_time now = kc_time_now();
    assert_true(now.sec > 1700000000);
    int64_t a = kc_time_mono_ns(), b = kc_time_mono_ns();
    assert_true(b >= a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_clocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
