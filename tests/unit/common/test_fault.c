/* test_fault.c - the Nth-call fault hook for allocations and I/O, one-shot and sticky; jansson routed through it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kc_fault.h"

static void
test_alloc_nth(void **state)
{
    (void)state;
    kc_fault_arm(KC_FAULT_ALLOC, 3, 0, false);
    void *a = kc_malloc(8), *b = kc_calloc(1, 8), *c = kc_strdup("x"), *d = kc_malloc(8);
    assert_non_null(a);
    assert_non_null(b);
    assert_null(c); /* the third call fails ... */
    assert_int_equal(errno, ENOMEM);
    assert_non_null(d); /* ... and only that one */
    assert_int_equal(kc_fault_injected(KC_FAULT_ALLOC), 1);
    free(a), free(b), free(d);
}

static void
test_sticky_and_disarm(void **state)
{
    (void)state;
    kc_fault_arm(KC_FAULT_ALLOC, 2, 0, true);
    void *a = kc_malloc(4);
    assert_non_null(a);
    for (int i = 0; i < 5; i++)
        assert_null(kc_realloc(a, 64));
    assert_int_equal(kc_fault_injected(KC_FAULT_ALLOC), 5);
    kc_fault_disarm(KC_FAULT_ALLOC);
    void *b = kc_realloc(a, 64);
    assert_non_null(b);
    free(b);
}

static void
test_io(void **state)
{
    (void)state;
    char path[] = "/tmp/kc-fault-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    kc_fault_arm(KC_FAULT_IO, 2, ENOSPC, false);
    assert_int_equal(kc_write(fd, "ab", 2), 2);
    assert_int_equal(kc_write(fd, "cd", 2), -1);
    assert_int_equal(errno, ENOSPC);
    assert_int_equal(kc_fsync(fd), 0);
    kc_fault_arm(KC_FAULT_IO, 1, 0, false);
    assert_int_equal(kc_write_all(fd, "ef", 2), -EIO);
    assert_int_equal(kc_write_all(fd, "gh", 2), 0);
    char buf[8] = { 0 };
    assert_int_equal(pread(fd, buf, sizeof(buf), 0), 4);
    assert_string_equal(buf, "abgh"); /* failed writes wrote nothing */
    close(fd);
    unlink(path);
}

/* jansson can allocate through the hook, so a test can fail its Nth allocation too. */
static void
test_jansson_through_hook(void **state)
{
    (void)state;
    json_set_alloc_funcs(kc_malloc, free);
    kc_fault_arm(KC_FAULT_ALLOC, 1, 0, false);
    json_t *o = json_object();
    assert_null(o);
    o = json_object();
    assert_non_null(o);
    json_decref(o);
    json_set_alloc_funcs(malloc, free);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_nth),
        cmocka_unit_test(test_sticky_and_disarm),
        cmocka_unit_test(test_io),
        cmocka_unit_test(test_jansson_through_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
