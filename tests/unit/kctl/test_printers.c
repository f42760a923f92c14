/* test_printers.c - kctl's pure printers against kubectl's output: the tab writer (widths, blocks, remembered
 * widths), Tables with their decorations, sorting, custom columns, -o json/yaml/name and the Go formatting rules
 * (fmt %v and %#v, encoding/json, HumanDuration, NaturalLess, FormatLabels). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc_error.h"
#include "kctl_print.h"

struct mem {
    FILE *f;
    char *buf;
    size_t len;
};

static void
mem_open(struct mem *m)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
}

static char *
mem_take(struct mem *m)
{
    fclose(m->f);
    return m->buf;
}

static json_t *
parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);
    if (!v)
        fail_msg("bad test JSON at %d: %s", e.position, e.text);
    return v;
}

static void
assert_text(char *got, const char *want)
{
    if (strcmp(got, want) != 0)
        fail_msg("got:\n%s\nwant:\n%s", got, want);
    free(got);
}

/* --- tab writer --- */

static void
test_tabwriter_columns(void **state)
{
    (void)state;
    struct mem m;
    mem_open(&m);
    struct kctl_tabwriter *tw = kctl_tabwriter_new(m.f);
    kctl_tabwriter_printf(tw, "NAME\tREADY\tAGE\n");
    kctl_tabwriter_printf(tw, "a\t1/1\t5s\n");
    kctl_tabwriter_printf(tw, "longer-name\t0/1\t10m\n");
    kctl_tabwriter_free(tw);
    /* widest cell + 3, at least 6; the last cell is not padded */
    assert_text(mem_take(&m), "NAME          READY   AGE\n"
                              "a             1/1     5s\n"
                              "longer-name   0/1     10m\n");

    mem_open(&m);
    tw = kctl_tabwriter_new(m.f);
    kctl_tabwriter_printf(tw, "a\tb\n\nccc\td\n"); /* an empty line ends the column block */
    kctl_tabwriter_printf(tw, "é\tx\n");           /* widths count runes, not bytes */
    kctl_tabwriter_free(tw);
    assert_text(mem_take(&m), "a     b\n\nccc   d\né     x\n");
}

static void
test_tabwriter_remembers_widths(void **state)
{
    (void)state;
    struct mem m;
    mem_open(&m);
    struct kctl_tabwriter *tw = kctl_tabwriter_new(m.f);
    kctl_tabwriter_printf(tw, "NAME-LONG\tX\n");
    kctl_tabwriter_flush(tw);
    kctl_tabwriter_printf(tw, "a\tY\n"); /* a watch event: keeps the column as wide as before */
    kctl_tabwriter_flush(tw);
    kctl_tabwriter_printf(tw, "even-longer-name\tZ\n"); /* grows */
    kctl_tabwriter_flush(tw);
    kctl_tabwriter_reset_widths(tw);
    kctl_tabwriter_printf(tw, "b\tW\n");
    kctl_tabwriter_free(tw);
    assert_text(mem_take(&m), "NAME-LONG   X\n"
                              "a           Y\n"
                              "even-longer-name   Z\n"
                              "b     W\n");
}

/* --- tables --- */

static const char pods_table[] =
    "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":{\"resourceVersion\":\"9\"},"
    "\"columnDefinitions\":["
    "{\"name\":\"Name\",\"type\":\"string\",\"format\":\"name\",\"priority\":0},"
    "{\"name\":\"Ready\",\"type\":\"string\",\"format\":\"\",\"priority\":0},"
    "{\"name\":\"Restarts\",\"type\":\"integer\",\"format\":\"\",\"priority\":0},"
    "{\"name\":\"IP\",\"type\":\"string\",\"format\":\"\",\"priority\":1},"
    "{\"name\":\"Nominated Node\",\"type\":\"string\",\"format\":\"\",\"priority\":1}],"
    "\"rows\":["
    "{\"cells\":[\"web-1\",\"1/1\",0,\"10.0.0.5\",\"<none>\"],\"object\":{\"metadata\":{\"name\":\"web-1\","
    "\"namespace\":\"shop\",\"labels\":{\"tier\":\"front\",\"app\":\"web\"}}}},"
    "{\"cells\":[\"db\",\"0/1\",12,null,\"line1\\nline2\"],\"object\":{\"metadata\":{\"name\":\"db\","
    "\"namespace\":\"data\"}}}]}";

static char *
print_table(const char *text, const struct kctl_table_opts *o)
{
    json_t *t = parse(text);
    struct mem m;
    mem_open(&m);
    struct kctl_tabwriter *tw = kctl_tabwriter_new(m.f);
    struct kctl_table_state st = { 0 };
    int n = kctl_table_print(tw, t, o, &st);
    assert_true(n >= 0);
    kctl_tabwriter_free(tw);
    kctl_table_state_close(&st);
    json_decref(t);
    return mem_take(&m);
}

static void
test_table_layout(void **state)
{
    (void)state;
    struct kctl_table_opts o = { 0 };
    assert_text(print_table(pods_table, &o), "NAME    READY   RESTARTS\n"
                                             "web-1   1/1     0\n"
                                             "db      0/1     12\n");
    o.wide = true;
    assert_text(print_table(pods_table, &o), "NAME    READY   RESTARTS   IP         NOMINATED NODE\n"
                                             "web-1   1/1     0          10.0.0.5   <none>\n"
                                             "db      0/1     12                    line1...\n");
    struct kctl_table_opts d = { .with_namespace = true, .show_labels = true, .kind = "pod", .label_columns = "app" };
    assert_text(print_table(pods_table, &d), "NAMESPACE   NAME        READY   RESTARTS   APP   LABELS\n"
                                             "shop        pod/web-1   1/1     0          web   app=web,tier=front\n"
                                             "data        pod/db      0/1     12               <none>\n");
    struct kctl_table_opts nh = { .no_headers = true };
    assert_text(print_table(pods_table, &nh), "web-1   1/1   0\n"
                                              "db      0/1   12\n");
    /* no rows: nothing at all, not even the header */
    assert_text(print_table("{\"kind\":\"Table\",\"columnDefinitions\":[{\"name\":\"Name\",\"priority\":0}],"
                            "\"rows\":[]}",
                            &o),
                "");
}

static void
test_table_watch_events(void **state)
{
    (void)state;
    struct mem m;
    mem_open(&m);
    struct kctl_tabwriter *tw = kctl_tabwriter_new(m.f);
    struct kctl_table_state st = { 0 };
    struct kctl_table_opts o = { 0 };
    json_t *list = parse(pods_table);
    json_t *ev = parse("{\"kind\":\"Table\",\"columnDefinitions\":null,\"rows\":[{\"cells\":[\"new\",\"0/1\",1,\"\","
                       "\"\"],\"object\":{\"metadata\":{\"name\":\"new\"}}}]}");
    assert_int_equal(kctl_table_print(tw, list, &o, &st), 2);
    kctl_tabwriter_flush(tw);
    assert_int_equal(kctl_table_print(tw, ev, &o, &st), 1); /* the list's columns, no second header */
    kctl_tabwriter_flush(tw);
    json_t *again = parse(pods_table);
    assert_int_equal(kctl_table_print(tw, again, &o, &st), 2); /* same columns: no header either */
    kctl_tabwriter_free(tw);
    kctl_table_state_close(&st);
    json_decref(list);
    json_decref(ev);
    json_decref(again);
    assert_text(mem_take(&m), "NAME    READY   RESTARTS\n"
                              "web-1   1/1     0\n"
                              "db      0/1     12\n"
                              "new     0/1     1\n"
                              "web-1   1/1     0\n"
                              "db      0/1     12\n");
    json_t *notab = parse("{\"kind\":\"PodList\"}");
    struct kctl_table_state st2 = { 0 };
    assert_int_equal(kctl_table_print(NULL, notab, &o, &st2), KC_EINVALID);
    json_decref(notab);
}

static void
test_table_sort(void **state)
{
    (void)state;
    json_t *t = parse(pods_table);
    json_t *objs = parse("[{\"spec\":{\"n\":10,\"s\":\"pod10\"}},{\"spec\":{\"n\":9,\"s\":\"pod9\"}}]");
    char err[256];
    assert_int_equal(kctl_table_sort(t, objs, ".spec.n", err, sizeof(err)), 0);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(json_array_get(json_object_get(t, "rows"), 0), "cells"), 0)),
        "db");
    /* natural order: pod9 before pod10 */
    json_t *t2 = parse(pods_table);
    assert_int_equal(kctl_table_sort(t2, objs, "{.spec.s}", err, sizeof(err)), 0);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(json_array_get(json_object_get(t2, "rows"), 0), "cells"), 0)),
        "db");
    assert_int_equal(kctl_table_sort(t2, objs, "{.a}{.b}", err, sizeof(err)), KC_EINVALID);
    json_decref(t);
    json_decref(t2);
    json_decref(objs);

    json_t *items = parse("[{\"n\":\"b\"},{\"x\":1},{\"n\":\"a\"},{\"n\":\"a2\"}]");
    assert_int_equal(kctl_objects_sort(items, ".n", err, sizeof(err)), 0);
    char *s = json_dumps(items, JSON_COMPACT);
    assert_string_equal(s, "[{\"x\":1},{\"n\":\"a\"},{\"n\":\"a2\"},{\"n\":\"b\"}]"); /* missing first */
    free(s);
    json_decref(items);
}

/* --- objects --- */

static void
test_json_yaml_name(void **state)
{
    (void)state;
    json_t *obj = parse("{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"x\",\"labels\":{}},"
                        "\"spec\":{\"a\":[],\"html\":\"<b>&\",\"r\":0.25,\"e\":1e-07,\"big\":1e21}}");
    struct mem m;
    mem_open(&m);
    kctl_print_json(obj, m.f);
    assert_text(mem_take(&m), "{\n"
                              "    \"apiVersion\": \"v1\",\n"
                              "    \"kind\": \"Pod\",\n"
                              "    \"metadata\": {\n"
                              "        \"labels\": {},\n"
                              "        \"name\": \"x\"\n"
                              "    },\n"
                              "    \"spec\": {\n"
                              "        \"a\": [],\n"
                              "        \"big\": 1e+21,\n"
                              "        \"e\": 1e-7,\n"
                              "        \"html\": \"\\u003cb\\u003e\\u0026\",\n"
                              "        \"r\": 0.25\n"
                              "    }\n"
                              "}\n");
    json_t *items = json_array();
    json_array_append(items, obj);
    json_t *list = kctl_list_wrap(items);
    mem_open(&m);
    kctl_print_yaml(list, m.f);
    assert_text(mem_take(&m), "apiVersion: v1\n"
                              "items:\n"
                              "- apiVersion: v1\n"
                              "  kind: Pod\n"
                              "  metadata:\n"
                              "    labels: {}\n"
                              "    name: x\n"
                              "  spec:\n"
                              "    a: []\n"
                              "    big: 1e+21\n"
                              "    e: 1e-07\n"
                              "    html: <b>&\n"
                              "    r: 0.25\n"
                              "kind: List\n"
                              "metadata:\n"
                              "  resourceVersion: \"\"\n");
    json_decref(list);
    json_decref(items);
    json_decref(obj);
    char buf[128];
    kctl_object_name("Deployment", "apps", "web", buf, sizeof(buf));
    assert_string_equal(buf, "deployment.apps/web");
    kctl_object_name("Pod", "", "x", buf, sizeof(buf));
    assert_string_equal(buf, "pod/x");
}

static void
test_custom_columns(void **state)
{
    (void)state;
    struct kctl_columns *cc;
    char err[256];
    assert_int_equal(
        kctl_columns_parse("NAME:.metadata.name,IMAGES:{.spec.containers[*].image},X:nope", &cc, err, sizeof(err)), 0);
    json_t *objs = parse("[{\"metadata\":{\"name\":\"a\"},\"spec\":{\"containers\":[{\"image\":\"i1\"},"
                         "{\"image\":\"i2\"}]}},{\"metadata\":{\"name\":\"bb\",\"labels\":{\"k\":\"v\"}}}]");
    struct mem m;
    mem_open(&m);
    struct kctl_tabwriter *tw = kctl_tabwriter_new(m.f);
    assert_int_equal(kctl_columns_print(cc, objs, false, tw, err, sizeof(err)), 0);
    kctl_tabwriter_free(tw);
    assert_text(mem_take(&m), "NAME   IMAGES   X\n"
                              "a      i1,i2    <none>\n"
                              "bb     <none>   <none>\n");
    kctl_columns_free(cc);
    json_decref(objs);
    assert_int_equal(kctl_columns_parse("NAME", &cc, err, sizeof(err)), KC_EINVALID);
    assert_string_equal(err, "unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>");
    assert_int_equal(kctl_columns_parse("", &cc, err, sizeof(err)), KC_EINVALID);
    assert_string_equal(err, "custom-columns format specified but no custom columns given");
    assert_int_equal(kctl_columns_parse("A:{.a}{.b}", &cc, err, sizeof(err)), KC_EINVALID);
}

/* --- Go formatting --- */

static char *
sprint(const char *json, bool sharp)
{
    json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
    struct mem m;
    mem_open(&m);
    if (sharp)
        kctl_go_gostring(v, m.f);
    else
        kctl_go_sprint(v, m.f);
    json_decref(v);
    return mem_take(&m);
}

static void
test_go_formatting(void **state)
{
    (void)state;
    assert_text(sprint("{\"b\":[1,\"x\",null],\"a\":true}", false), "map[a:true b:[1 x <nil>]]");
    assert_text(sprint("0.5", false), "0.5");
    assert_text(sprint("1000000.0", false), "1e+06");
    assert_text(sprint("123456.0", false), "123456");
    assert_text(sprint("0.00001", false), "1e-05");
    assert_text(sprint("{\"k\":\"a\\\"b\\n\",\"e\":[]}", true),
                "map[string]interface {}{\"e\":[]interface {}{}, \"k\":\"a\\\"b\\n\"}");
    assert_text(sprint("null", true), "interface {}(nil)");

    char buf[32];
    const struct {
        int64_t s;
        const char *want;
    } d[] = { { -5, "<invalid>" },
              { -1, "0s" },
              { 0, "0s" },
              { 119, "119s" },
              { 120, "2m" },
              { 150, "2m30s" },
              { 600, "10m" },
              { 10799, "179m" },
              { 10800, "3h" },
              { 11100, "3h5m" },
              { 8 * 3600, "8h" },
              { 47 * 3600 + 59, "47h" },
              { 48 * 3600, "2d" },
              { 50 * 3600, "2d2h" },
              { 8 * 86400, "8d" },
              { 730 * 86400, "2y" },
              { 731 * 86400, "2y1d" },
              { 9 * 365 * 86400, "9y" } };
    for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
        kctl_human_duration(d[i].s, buf, sizeof(buf));
        if (strcmp(buf, d[i].want) != 0)
            fail_msg("HumanDuration(%lld) = %s, want %s", (long long)d[i].s, buf, d[i].want);
    }
    kctl_age("2024-01-01T00:00:00Z", 1704067200 + 90, buf, sizeof(buf));
    assert_string_equal(buf, "90s");
    kctl_age("yesterday", 0, buf, sizeof(buf));
    assert_string_equal(buf, "<unknown>");
    kctl_age(NULL, 0, buf, sizeof(buf));
    assert_string_equal(buf, "<unknown>");

    assert_true(kctl_natural_less("pod2", "pod10"));
    assert_false(kctl_natural_less("pod10", "pod2"));
    assert_true(kctl_natural_less("a", "b"));
    assert_true(kctl_natural_less("1a", "a"));
    assert_true(kctl_natural_less("x01", "x001"));
    assert_true(kctl_natural_less("ab", "abc"));
    assert_false(kctl_natural_less("abc", "abc"));

    json_t *l = parse("{\"b\":\"2\",\"a\":\"1\"}");
    char *s = kctl_format_labels(l);
    assert_string_equal(s, "a=1,b=2");
    free(s);
    json_decref(l);
    s = kctl_format_labels(NULL);
    assert_string_equal(s, "<none>");
    free(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tabwriter_columns), cmocka_unit_test(test_tabwriter_remembers_widths),
        cmocka_unit_test(test_table_layout),      cmocka_unit_test(test_table_watch_events),
        cmocka_unit_test(test_table_sort),        cmocka_unit_test(test_json_yaml_name),
        cmocka_unit_test(test_custom_columns),    cmocka_unit_test(test_go_formatting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
