/* embedded_store.h - the apiserver unit tests' embedded store: a kvs in a fresh directory under /tmp with the
 * api_store over it, removed again on close. Include after <cmocka.h>. */
#ifndef K8C_TESTS_EMBEDDED_STORE_H
#define K8C_TESTS_EMBEDDED_STORE_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_store.h"
#include "kvs.h"

struct test_store {
    char *dir;
    struct kvs *kvs;
    struct api_store *s;
};

static inline int
test_store_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* Opens t in a new directory made from tmpl ("/tmp/name_XXXXXX"); o: the kvs options to open with (its dir is
 * set here), or NULL for the defaults. */
static inline void
test_store_open(struct test_store *t, const char *tmpl, struct kvs_options *o)
{
    struct kvs_options defaults;
    if (!o) {
        kvs_options_init(&defaults);
        o = &defaults;
    }
    t->dir = strdup(tmpl);
    assert_non_null(t->dir);
    assert_non_null(mkdtemp(t->dir));
    o->dir = t->dir;
    assert_int_equal(kvs_open(o, &t->kvs), 0);
    assert_int_equal(api_store_embedded(t->kvs, &t->s), 0);
}

/* Closes what test_store_open opened and removes its directory. */
static inline void
test_store_close(struct test_store *t)
{
    api_store_close(t->s);
    kvs_close(t->kvs);
    nftw(t->dir, test_store_rm, 16, FTW_DEPTH | FTW_PHYS);
    free(t->dir);
    memset(t, 0, sizeof(*t));
}

#endif
