/* test_log.c - line format, level filtering before formatting, K8C_LOG, escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "kc_error.h"
#include "kc_log.h"

static char *captured;
static size_t captured_len;
static FILE *capture;

static int
setup(void **state)
{
    (void)state;
    capture = open_memstream(&captured, &captured_len);
    kc_log_set_output(capture);
    kc_log_set_level(KC_LOG_INFO);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    kc_log_set_output(NULL);
    fclose(capture);
    free(captured);
    return 0;
}

static const char *
text(void)
{
    fflush(capture);
    return captured;
}

static void
test_format(void **state)
{
    (void)state;
    KC_LOG(KC_LOG_INFO, "kvstore", "listening", "url=%s clients=%d", "http://127.0.0.1:2379", 3);
    regex_t re;
    assert_int_equal(
        regcomp(&re,
                "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z info kvstore listening "
                "url=http://127\\.0\\.0\\.1:2379 clients=3\n$",
                REG_EXTENDED),
        0);
    if (regexec(&re, text(), 0, NULL, 0) != 0)
        fail_msg("unexpected line: %s", text());
    regfree(&re);
}

static void
test_quoting_and_one_line(void **state)
{
    (void)state;
    KC_LOG(KC_LOG_WARN, "api", "watch closed early", "reason=%s", "a\nb");
    const char *t = text();
    assert_non_null(strstr(t, " warn api \"watch closed early\" reason=a\\nb\n"));
    assert_int_equal(strchr(t, '\n') - t + 1, (long)strlen(t)); /* exactly one newline, at the end */
}

static int evaluated;

static int
count_evaluation(void)
{
    return ++evaluated;
}

static void
test_level_filter(void **state)
{
    (void)state;
    evaluated = 0;
    KC_LOG(KC_LOG_DEBUG, "x", "hidden", "n=%d", count_evaluation());
    assert_int_equal(evaluated, 0);      /* arguments not evaluated below the threshold */
    assert_int_equal(strlen(text()), 0); /* nothing written */
    kc_log_set_level(KC_LOG_DEBUG);
    KC_LOG(KC_LOG_DEBUG, "x", "shown", "n=%d", count_evaluation());
    assert_int_equal(evaluated, 1);
    assert_non_null(strstr(text(), " debug x shown n=1"));
    kc_log_set_level(KC_LOG_OFF);
    KC_LOG(KC_LOG_ERROR, "x", "off");
    assert_null(strstr(text(), "off"));
}

static void
test_env_and_parse(void **state)
{
    (void)state;
    enum kc_log_level l;
    assert_int_equal(kc_log_parse_level("WARNING", &l), 0);
    assert_int_equal(l, KC_LOG_WARN);
    assert_int_equal(kc_log_parse_level("Error", &l), 0);
    assert_int_equal(l, KC_LOG_ERROR);
    assert_int_equal(kc_log_parse_level("loud", &l), KC_EINVALID);

    setenv("K8C_LOG", "debug", 1);
    assert_int_equal(kc_log_init_from_env(), 0);
    assert_int_equal(kc_log_threshold, KC_LOG_DEBUG);
    setenv("K8C_LOG", "chatty", 1);
    assert_int_equal(kc_log_init_from_env(), KC_EINVALID);
    assert_int_equal(kc_log_threshold, KC_LOG_DEBUG); /* unchanged */
    unsetenv("K8C_LOG");
    assert_int_equal(kc_log_init_from_env(), 0);
    assert_string_equal(kc_log_level_name(KC_LOG_WARN), "warn");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quoting_and_one_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_level_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_and_parse, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
