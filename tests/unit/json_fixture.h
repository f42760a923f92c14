/* json_fixture.h - the unit tests' JSON literals: parse() fails the test on text that is not JSON.
 * Include after <cmocka.h>. */
#ifndef K8C_TESTS_JSON_FIXTURE_H
#define K8C_TESTS_JSON_FIXTURE_H

#include <string.h>

#include <jansson.h>

#include "kc_json.h"

static inline json_t *
parse(const char *text)
{
    json_t *v = NULL;
    char err[256];
    if (kc_json_parse(text, strlen(text), &v, err, sizeof(err)) != 0)
        fail_msg("parse %s: %s", text, err);
    return v;
}

#endif
