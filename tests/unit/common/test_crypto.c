/* test_crypto.c - base64 and base64url (RFC 4648 vectors, strict decoding), sha256 vectors, UUID v4 shape and
 * uniqueness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kc_crypto.h"
#include "kc_error.h"
#include "kc_sb.h"

static void
test_base64(void **state)
{
    (void)state;
    static const char *const vec[][2] = {
        { "", "" },
        { "f", "Zg==" },
        { "fo", "Zm8=" },
        { "foo", "Zm9v" },
        { "foob", "Zm9vYg==" },
        { "fooba", "Zm9vYmE=" },
        { "foobar", "Zm9vYmFy" },
    };
    for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
        char *enc = kc_base64_encode(vec[i][0], strlen(vec[i][0]));
        assert_string_equal(enc, vec[i][1]);
        free(enc);
        uint8_t *dec;
        size_t n;
        assert_int_equal(kc_base64_decode(vec[i][1], strlen(vec[i][1]), &dec, &n), 0);
        assert_int_equal(n, strlen(vec[i][0]));
        assert_memory_equal(dec, vec[i][0], n);
        free(dec);
    }
    /* Binary data with every byte value. */
    uint8_t all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    char *enc = kc_base64_encode(all, sizeof(all));
    uint8_t *dec;
    size_t n;
    assert_int_equal(kc_base64_decode(enc, strlen(enc), &dec, &n), 0);
    assert_int_equal(n, 256);
    assert_memory_equal(dec, all, 256);
    free(dec);
    free(enc);

    static const char *const bad[] = { "Zg", "Zg=", "Z===", "Zm9v!A==", "Zm=v", "Zh==", "Zm9=", "Zm 9v", "=AAA" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (kc_base64_decode(bad[i], strlen(bad[i]), &dec, &n) != KC_EINVALID)
            fail_msg("\"%s\" decoded but should not", bad[i]);
    }
}

/* base64url without padding (RFC 4648 §5 vectors, '-' and '_' for 62 and 63), decoded strictly. */
static void
test_base64url(void **state)
{
    (void)state;
    static const char *const vec[][2] = {
        { "", "" },           { "f", "Zg" },          { "fo", "Zm8" },          { "foo", "Zm9v" },
        { "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" }, { "\xfb\xff\xbf", "-_-_" },
    };
    for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
        struct kc_sb b = { 0 };
        kc_sb_base64url(&b, vec[i][0], strlen(vec[i][0]));
        assert_false(b.oom);
        assert_int_equal(b.len, strlen(vec[i][1]));
        assert_memory_equal(b.len ? b.p : "", vec[i][1], b.len);
        kc_sb_free(&b);
        uint8_t *dec;
        size_t n;
        assert_int_equal(kc_base64url_decode(vec[i][1], strlen(vec[i][1]), &dec, &n), 0);
        assert_int_equal(n, strlen(vec[i][0]));
        assert_memory_equal(dec, vec[i][0], n);
        assert_int_equal(dec[n], 0);
        free(dec);
    }
    /* padding, the standard alphabet's '+' and '/', a length of 1 mod 4, nonzero bits after the last byte */
    static const char *const bad[] = { "Zg==", "Zm8=", "+/+/", "Zm9v/A", "Z", "Zm9vY", "Zh", "Zm9", "Zm 9v" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t *dec;
        size_t n;
        if (kc_base64url_decode(bad[i], strlen(bad[i]), &dec, &n) != KC_EINVALID)
            fail_msg("\"%s\" decoded but should not", bad[i]);
    }
}

static void
test_sha256(void **state)
{
    (void)state;
    char hex[KC_SHA256_HEX_LEN + 1];
    kc_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    kc_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    uint8_t d[KC_SHA256_LEN];
    kc_sha256("abc", 3, d);
    assert_int_equal(d[0], 0xba);
    assert_int_equal(d[31], 0xad);
}

static void
test_uuid(void **state)
{
    (void)state;
    char a[KC_UUID_LEN + 1], b[KC_UUID_LEN + 1];
    assert_int_equal(kc_uuid_v4(a), 0);
    assert_int_equal(kc_uuid_v4(b), 0);
    assert_int_equal(strlen(a), KC_UUID_LEN);
    assert_string_not_equal(a, b);
    for (int i = 0; i < KC_UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(a[i], '-');
        else
            assert_non_null(strchr("0123456789abcdef", a[i]));
    }
    assert_int_equal(a[14], '4');
    assert_non_null(strchr("89ab", a[19]));
}

static int
cmp_uuid(const void *x, const void *y)
{
    return strcmp(x, y);
}

/* Across the per-thread pool's refills: every one well formed, no two alike. */
static void
test_uuid_many(void **state)
{
    (void)state;
    enum { N = 1000 };
    static char u[N][KC_UUID_LEN + 1];
    for (int i = 0; i < N; i++) {
        assert_int_equal(kc_uuid_v4(u[i]), 0);
        assert_int_equal(strlen(u[i]), KC_UUID_LEN);
        assert_int_equal(u[i][14], '4');
        assert_non_null(strchr("89ab", u[i][19]));
    }
    qsort(u, N, sizeof(u[0]), cmp_uuid);
    for (int i = 1; i < N; i++)
        assert_string_not_equal(u[i - 1], u[i]);
}

/* A forked child does not hand out the bytes its parent's pool still holds. */
static void
test_uuid_after_fork(void **state)
{
    (void)state;
    char first[KC_UUID_LEN + 1], parent[KC_UUID_LEN + 1], child[KC_UUID_LEN + 1] = { 0 };
    assert_int_equal(kc_uuid_v4(first), 0); /* the pool holds more now */
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char c[KC_UUID_LEN + 1];
        int ok = kc_uuid_v4(c) == 0 && write(fd[1], c, KC_UUID_LEN) == KC_UUID_LEN;
        _exit(ok ? 0 : 1);
    }
    close(fd[1]);
    assert_int_equal(read(fd[0], child, KC_UUID_LEN), KC_UUID_LEN);
    close(fd[0]);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(kc_uuid_v4(parent), 0);
    assert_string_not_equal(parent, child);
    assert_string_not_equal(first, child);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64), cmocka_unit_test(test_base64url), cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_uuid),   cmocka_unit_test(test_uuid_many), cmocka_unit_test(test_uuid_after_fork),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
