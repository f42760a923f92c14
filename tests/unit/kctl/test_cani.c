/* test_cani.c - `auth can-i --list`'s table (kctl_can_i_table) against what kubectl 1.33 printed for the same
 * SelfSubjectRulesReview status from a stub server: BreakdownRule, CompactRules (verbs merged once each, in the
 * order first seen), the sort by PolicyRule.String(), CombineResourceGroup and the tab writer; plus the empty and
 * --no-headers cases. Pure: no server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kctl.h"

/* The status the stub answered kubectl with. */
static const char status[] =
    "{\"incomplete\":true,\"evaluationError\":\"rbac says hmm\",\"resourceRules\":["
    "{\"verbs\":[\"watch\",\"list\"],\"apiGroups\":[\"\"],\"resources\":[\"pods\",\"pods/log\"]},"
    "{\"verbs\":[\"get\",\"watch\"],\"apiGroups\":[\"\"],\"resources\":[\"pods\"]},"
    "{\"verbs\":[\"watch\"],\"apiGroups\":[\"\"],\"resources\":[\"pods\"]},"
    "{\"verbs\":[\"get\"],\"apiGroups\":[\"apps\"],\"resources\":[\"deployments\"],\"resourceNames\":[\"web\",\"api\"]}"
    ","
    "{\"verbs\":[\"create\",\"delete\"],\"apiGroups\":[\"batch\",\"apps\"],\"resources\":[\"jobs\"]},"
    "{\"verbs\":[\"*\"],\"apiGroups\":[\"*\"],\"resources\":[\"*\"],\"resourceNames\":[\"x\"]},"
    "{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"pods\"]}],"
    "\"nonResourceRules\":[{\"verbs\":[\"get\",\"head\"],\"nonResourceURLs\":[\"/healthz\",\"/api/*\"]},"
    "{\"verbs\":[\"*\"],\"nonResourceURLs\":[\"/logs\"]}]}";

static const char kubectl_table[] = "Resources          Non-Resource URLs   Resource Names   Verbs\n"
                                    "*.*                []                  [x]              [*]\n"
                                    "                   [/logs]             []               [*]\n"
                                    "jobs.apps          []                  []               [create delete]\n"
                                    "jobs.batch         []                  []               [create delete]\n"
                                    "                   [/api/*]            []               [get]\n"
                                    "                   [/healthz]          []               [get]\n"
                                    "deployments.apps   []                  [api]            [get]\n"
                                    "deployments.apps   []                  [web]            [get]\n"
                                    "                   [/api/*]            []               [head]\n"
                                    "                   [/healthz]          []               [head]\n"
                                    "pods               []                  []               [watch list get]\n"
                                    "pods/log           []                  []               [watch list]\n";

static char *
table(const char *text, bool no_headers)
{
    json_error_t e;
    json_t *st = json_loads(text, 0, &e);
    if (!st)
        fail_msg("bad test JSON: %s", e.text);
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    assert_non_null(m);
    assert_int_equal(kctl_can_i_table(st, no_headers, m), 0);
    fclose(m);
    json_decref(st);
    return out;
}

static void
assert_text(char *got, const char *want)
{
    if (strcmp(got, want) != 0)
        fail_msg("got:\n%s\nwant:\n%s", got, want);
    free(got);
}

static void
test_kubectl_table(void **state)
{
    (void)state;
    assert_text(table(status, false), kubectl_table);
}

/* --no-headers: the same rows; the columns narrow to the rows (kubectl's output for it). */
static void
test_no_headers(void **state)
{
    (void)state;
    assert_text(table(status, true), "*.*                []           [x]     [*]\n"
                                     "                   [/logs]      []      [*]\n"
                                     "jobs.apps          []           []      [create delete]\n"
                                     "jobs.batch         []           []      [create delete]\n"
                                     "                   [/api/*]     []      [get]\n"
                                     "                   [/healthz]   []      [get]\n"
                                     "deployments.apps   []           [api]   [get]\n"
                                     "deployments.apps   []           [web]   [get]\n"
                                     "                   [/api/*]     []      [head]\n"
                                     "                   [/healthz]   []      [head]\n"
                                     "pods               []           []      [watch list get]\n"
                                     "pods/log           []           []      [watch list]\n");
}

/* A server that grants everything (k8c's admin): kubectl's two rows. */
static void
test_admin(void **state)
{
    (void)state;
    assert_text(table("{\"resourceRules\":[{\"verbs\":[\"*\"],\"apiGroups\":[\"*\"],\"resources\":[\"*\"]}],"
                      "\"nonResourceRules\":[{\"verbs\":[\"*\"],\"nonResourceURLs\":[\"*\"]}]}",
                      false),
                "Resources   Non-Resource URLs   Resource Names   Verbs\n"
                "*.*         []                  []               [*]\n"
                "            [*]                 []               [*]\n");
}

/* No rules at all: the header alone; a missing status field is no rule. */
static void
test_empty(void **state)
{
    (void)state;
    assert_text(table("{}", false), "Resources   Non-Resource URLs   Resource Names   Verbs\n");
    assert_text(table("{\"resourceRules\":[{\"verbs\":[],\"apiGroups\":[\"\"],\"resources\":[\"pods\"]}]}", true), "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kubectl_table),
        cmocka_unit_test(test_no_headers),
        cmocka_unit_test(test_admin),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
