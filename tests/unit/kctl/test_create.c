/* test_create.c - the pure part of kctl's create generators: the .dockerconfigjson of `create secret
 * docker-registry` (kctl_dockerconfigjson) byte for byte against what kubectl 1.33 stored for the same flags: field
 * order, empty fields left out, Go's escaping of <, >, & and quotes, the auth of user:password. Pure: no server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kctl.h"

static void
assert_config(const char *server, const char *user, const char *password, const char *email, const char *want)
{
    char *got = kctl_dockerconfigjson(server, user, password, email);
    assert_non_null(got);
    if (strcmp(got, want) != 0)
        fail_msg("got:  %s\nwant: %s", got, want);
    free(got);
}

/* kubectl create secret docker-registry d1 --docker-server=reg.example.com --docker-username=u
 * --docker-password=p@ss --docker-email=u@example.com */
static void
test_all_fields(void **state)
{
    (void)state;
    assert_config("reg.example.com", "u", "p@ss", "u@example.com",
                  "{\"auths\":{\"reg.example.com\":{\"username\":\"u\",\"password\":\"p@ss\",\"email\":"
                  "\"u@example.com\",\"auth\":\"dTpwQHNz\"}}}");
}

/* No --docker-email: the field is left out (omitempty); the default server. */
static void
test_no_email(void **state)
{
    (void)state;
    assert_config("https://index.docker.io/v1/", "u", "p", "",
                  "{\"auths\":{\"https://index.docker.io/v1/\":{\"username\":\"u\",\"password\":\"p\",\"auth\":"
                  "\"dTpw\"}}}");
    assert_config("https://index.docker.io/v1/", "u", "p", NULL,
                  "{\"auths\":{\"https://index.docker.io/v1/\":{\"username\":\"u\",\"password\":\"p\",\"auth\":"
                  "\"dTpw\"}}}");
}

/* --docker-server='r<1>' --docker-username='ü&' --docker-password='p<&>"s\': Go's HTML-safe escaping, UTF-8 kept,
 * the auth of the raw bytes. */
static void
test_escaping(void **state)
{
    (void)state;
    assert_config("r<1>", "\xc3\xbc&", "p<&>\"s\\", NULL,
                  "{\"auths\":{\"r\\u003c1\\u003e\":{\"username\":\"\xc3\xbc\\u0026\",\"password\":"
                  "\"p\\u003c\\u0026\\u003e\\\"s\\\\\",\"auth\":\"w7wmOnA8Jj4ic1w=\"}}}");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_fields),
        cmocka_unit_test(test_no_email),
        cmocka_unit_test(test_escaping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
