/* test_manifest.c - kctl_manifest_*: files, directories (with and without -R), standard input, YAML and JSON
 * streams, List kinds, and the error messages kubectl 1.33 prints for the same inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kc_error.h"
#include "kc_fault.h"
#include "kctl.h"

static char tmp[256];

static void
write_file(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", tmp, rel);
    FILE *f = fopen(path, "w");
    if (!f)
        fail_msg("cannot create %s", path);
    fputs(text, f);
    fclose(f);
}

static void
make_dir(const char *rel)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", tmp, rel);
    assert_int_equal(mkdir(path, 0755), 0);
}

static void
write_cm(const char *rel, const char *name)
{
    char text[256];
    snprintf(text, sizeof(text), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n", name);
    write_file(rel, text);
}

static int
setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof(tmp), "/tmp/kctl-manifest-XXXXXX");
    if (!mkdtemp(tmp))
        return -1;
    if (chdir(tmp) != 0)
        return -1;
    make_dir("d");
    make_dir("d/sub");
    make_dir("d/sub/deeper");
    write_cm("d/b.yaml", "b");
    write_cm("d/a.yml", "a");
    write_file("d/c.json", "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c1\"}}\n"
                           "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c2\"}}");
    write_file("d/readme.txt", "not: a manifest");
    write_cm("d/sub/s.yaml", "s");
    write_cm("d/sub/deeper/z.yaml", "z");
    write_cm("plain.txt", "plain");
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

/* "source:name/doc" of every object, comma-separated. */
static void
summary(const struct kctl_manifest *m, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < m->n && n < len; i++) {
        const char *name = json_string_value(json_object_get(json_object_get(m->objs[i].obj, "metadata"), "name"));
        n += (size_t)snprintf(buf + n, len - n, "%s%s:%s/%d", i ? "," : "", m->objs[i].source, name ? name : "-",
                              m->objs[i].doc);
    }
}

static void
expect_objects(const char *path, bool recursive, const char *want)
{
    struct kctl_manifest m = { 0 };
    char err[512] = "", got[2048];
    int rc = kctl_manifest_add(&m, path, recursive, NULL, err, sizeof(err));
    if (rc != 0)
        fail_msg("%s: rc %d: %s", path, rc, err);
    summary(&m, got, sizeof(got));
    if (strcmp(got, want) != 0)
        fail_msg("%s%s:\n got  %s\n want %s", path, recursive ? " -R" : "", got, want);
    kctl_manifest_close(&m);
    assert_null(m.objs);
}

static void
test_directories(void **state)
{
    (void)state;
    /* name order, manifest extensions only, no subdirectories without -R; names joined and cleaned as Go's
     * filepath.Join does */
    expect_objects("d", false, "d/a.yml:a/0,d/b.yaml:b/0,d/c.json:c1/0,d/c.json:c2/1");
    expect_objects("./d/", false, "d/a.yml:a/0,d/b.yaml:b/0,d/c.json:c1/0,d/c.json:c2/1");
    expect_objects("d", true,
                   "d/a.yml:a/0,d/b.yaml:b/0,d/c.json:c1/0,d/c.json:c2/1,d/sub/deeper/z.yaml:z/0,d/sub/s.yaml:s/0");
    expect_objects("d/sub/../sub", true, "d/sub/deeper/z.yaml:z/0,d/sub/s.yaml:s/0");
    /* a file named explicitly is read whatever its extension */
    expect_objects("plain.txt", false, "plain.txt:plain/0");
    expect_objects(tmp, false, "");
}

static void
expect_buffer(const char *text, const char *want)
{
    struct kctl_manifest m = { 0 };
    char err[512] = "", got[2048];
    int rc = kctl_manifest_add_buffer(&m, text, strlen(text), "x.yaml", err, sizeof(err));
    if (rc != 0)
        fail_msg("rc %d: %s\n%s", rc, err, text);
    summary(&m, got, sizeof(got));
    if (strcmp(got, want) != 0)
        fail_msg("got  %s\nwant %s\nfor:\n%s", got, want, text);
    kctl_manifest_close(&m);
}

static void
test_documents_and_lists(void **state)
{
    (void)state;
    /* empty documents and comments are skipped; the index counts non-empty documents */
    expect_buffer("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\n# only a comment\n---\n"
                  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
                  "x.yaml:a/0,x.yaml:b/1");
    /* a v1 List: every item, all from the same document */
    expect_buffer("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: l1}}\n"
                  "- {apiVersion: v1, kind: Secret, metadata: {name: l2}}\n---\n"
                  "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: after}\n",
                  "x.yaml:l1/0,x.yaml:l2/0,x.yaml:after/1");
    /* a typed list: items without apiVersion/kind take the list's (kubectl's UnstructuredList decoding) */
    struct kctl_manifest m = { 0 };
    char err[256];
    const char *typed = "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- metadata: {name: t1}\n"
                        "- apiVersion: apps/v1\n  kind: StatefulSet\n  metadata: {name: t2}\n";
    assert_int_equal(kctl_manifest_add_buffer(&m, typed, strlen(typed), "STDIN", err, sizeof(err)), 0);
    assert_int_equal(m.n, 2);
    assert_string_equal(json_string_value(json_object_get(m.objs[0].obj, "kind")), "Deployment");
    assert_string_equal(json_string_value(json_object_get(m.objs[0].obj, "apiVersion")), "apps/v1");
    assert_string_equal(json_string_value(json_object_get(m.objs[1].obj, "kind")), "StatefulSet");
    assert_int_equal(m.objs[1].ndocs, 1);
    /* an empty list adds nothing; a kind merely ending in "List" without items is an object */
    const char *empty = "apiVersion: v1\nkind: List\nitems: []\n";
    assert_int_equal(kctl_manifest_add_buffer(&m, empty, strlen(empty), "e", err, sizeof(err)), 0);
    assert_int_equal(m.n, 2);
    const char *nl = "apiVersion: v1\nkind: NetList\nmetadata: {name: netlist}\n";
    assert_int_equal(kctl_manifest_add_buffer(&m, nl, strlen(nl), "n", err, sizeof(err)), 0);
    assert_int_equal(m.n, 3);
    kctl_manifest_close(&m);
    /* JSON: one object, a stream of objects (kubectl's YAMLOrJSONDecoder) */
    expect_buffer("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"j\"}}", "x.yaml:j/0");
    expect_buffer(" {\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"j1\"}}\n"
                  "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"j2\"}}\n",
                  "x.yaml:j1/0,x.yaml:j2/1");
    expect_buffer("", "");
    expect_buffer("# nothing\n---\n", "");
}

static void
test_stdin(void **state)
{
    (void)state;
    static char text[] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-stdin}\n";
    FILE *in = fmemopen(text, strlen(text), "r");
    struct kctl_manifest m = { 0 };
    char err[256], got[256];
    assert_int_equal(kctl_manifest_add(&m, "-", false, in, err, sizeof(err)), 0);
    fclose(in);
    summary(&m, got, sizeof(got));
    assert_string_equal(got, "STDIN:from-stdin/0");
    assert_int_equal(kctl_manifest_add(&m, "-", false, NULL, err, sizeof(err)), KC_EINVALID);
    /* a later path adds to what is there */
    assert_int_equal(kctl_manifest_add(&m, "d/b.yaml", false, NULL, err, sizeof(err)), 0);
    summary(&m, got, sizeof(got));
    assert_string_equal(got, "STDIN:from-stdin/0,d/b.yaml:b/0");
    kctl_manifest_close(&m);
}

static void
expect_error(const char *text, int want_rc, const char *want)
{
    struct kctl_manifest m = { 0 };
    char err[512] = "";
    int rc = kctl_manifest_add_buffer(&m, text, strlen(text), "x.yaml", err, sizeof(err));
    if (rc != want_rc || strcmp(err, want) != 0)
        fail_msg("rc %d (want %d)\n got  %s\n want %s\nfor:\n%s", rc, want_rc, err, want, text);
    assert_int_equal(m.n, 0);
    kctl_manifest_close(&m);
}

static void
test_errors(void **state)
{
    (void)state;
    /* YAML syntax: kubectl's wording, with the line and column in the whole file */
    expect_error("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: y: z\n", KC_EPARSE,
                 "error parsing x.yaml: error converting YAML to JSON: yaml: line 5, column 2: did not find expected "
                 "key");
    expect_error("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\n"
                 "metadata:\n  name: b\ndata:\n  k: v: w\n",
                 KC_EPARSE,
                 "error parsing x.yaml: error converting YAML to JSON: yaml: line 11, column 7: mapping values are "
                 "not allowed in this context");
    /* kubectl's client-side validation (exact texts from kubectl 1.33) */
    expect_error("apiVersion: v1\nmetadata:\n  name: nokind\n", KC_EINVALID,
                 "error validating \"x.yaml\": error validating data: kind not set; if you choose to ignore these "
                 "errors, turn validation off with --validate=false");
    expect_error("kind: ConfigMap\nmetadata:\n  name: noav\n", KC_EINVALID,
                 "error validating \"x.yaml\": error validating data: apiVersion not set; if you choose to ignore "
                 "these errors, turn validation off with --validate=false");
    expect_error("metadata:\n  name: x\n", KC_EINVALID,
                 "error validating \"x.yaml\": error validating data: [apiVersion not set, kind not set]; if you "
                 "choose to ignore these errors, turn validation off with --validate=false");
    expect_error("[1, 2]\n", KC_EINVALID,
                 "error validating \"x.yaml\": error validating data: invalid object to validate; if you choose to "
                 "ignore these errors, turn validation off with --validate=false");
    expect_error("\"str\"\n", KC_EINVALID,
                 "error validating \"x.yaml\": error validating data: invalid object to validate; if you choose to "
                 "ignore these errors, turn validation off with --validate=false");
    /* YAML 1.1: y is true, which kubectl cannot decode into a name */
    expect_error("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n", KC_EINVALID,
                 "unable to decode \"x.yaml\": json: cannot unmarshal bool into Go struct field "
                 "ObjectMeta.metadata.name of type string");
    expect_error("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: {x: y}\n", KC_EINVALID,
                 "unable to decode \"x.yaml\": json: cannot unmarshal bool into Go struct field "
                 "ObjectMeta.metadata.labels of type string");
    /* a bad item in a List fails the whole file; earlier files stay */
    expect_error("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: ok}}\n"
                 "- {kind: ConfigMap, metadata: {name: bad}}\n",
                 KC_EINVALID,
                 "error validating \"x.yaml\": error validating data: apiVersion not set; if you choose to ignore "
                 "these errors, turn validation off with --validate=false");

    struct kctl_manifest m = { 0 };
    char err[512];
    assert_int_equal(kctl_manifest_add(&m, "d/a.yml", false, NULL, err, sizeof(err)), 0);
    assert_int_equal(kctl_manifest_add(&m, "nope.yaml", false, NULL, err, sizeof(err)), -ENOENT);
    assert_string_equal(err, "the path \"nope.yaml\" does not exist");
    assert_int_equal(kctl_manifest_add(&m, "d/a.yml/x", false, NULL, err, sizeof(err)), -ENOENT);
    assert_string_equal(err, "the path \"d/a.yml/x\" does not exist");
    assert_int_equal(kctl_manifest_add(&m, "https://example.com/x.yaml", false, NULL, err, sizeof(err)), KC_ENOTIMPL);
    assert_non_null(strstr(err, "URL"));
    write_file("d/sub/broken.yaml", "a: [\n");
    assert_int_equal(kctl_manifest_add(&m, "d", true, NULL, err, sizeof(err)), KC_EPARSE);
    assert_non_null(strstr(err, "error parsing d/sub/broken.yaml: error converting YAML to JSON: yaml: line 2"));
    char path[512];
    snprintf(path, sizeof(path), "%s/d/sub/broken.yaml", tmp);
    unlink(path);
    if (geteuid() != 0) { /* root reads anything */
        write_file("noread.yaml", "x: 1\n");
        chmod("noread.yaml", 0);
        assert_int_equal(kctl_manifest_add(&m, "noread.yaml", false, NULL, err, sizeof(err)), -EACCES);
        assert_string_equal(err, "open noread.yaml: Permission denied");
    }
    /* nothing of the failed paths was added */
    assert_int_equal(m.n, 1);
    kctl_manifest_close(&m);
}

/* Every allocation and read failure ends in an error with nothing added, or succeeds. */
static void
test_faults(void **state)
{
    (void)state;
    for (enum kc_fault_kind kind = KC_FAULT_ALLOC; kind <= KC_FAULT_IO; kind++) {
        bool done = false;
        for (long nth = 1; !done && nth < 5000; nth++) {
            struct kctl_manifest m = { 0 };
            char err[512] = "";
            kc_fault_arm(kind, nth, kind == KC_FAULT_IO ? EIO : 0, false);
            int rc = kctl_manifest_add(&m, "d", true, NULL, err, sizeof(err));
            done = kc_fault_injected(kind) == 0;
            kc_fault_disarm(kind);
            if (rc == 0)
                assert_int_equal(m.n, 6);
            else if (kind == KC_FAULT_ALLOC && rc != -ENOMEM)
                fail_msg("allocation %ld: rc %d: %s", nth, rc, err);
            else if (kind == KC_FAULT_IO && rc != -EIO)
                fail_msg("read %ld: rc %d: %s", nth, rc, err);
            if (rc != 0)
                assert_int_equal(m.n, 0);
            kctl_manifest_close(&m);
        }
        assert_true(done);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_directories), cmocka_unit_test(test_documents_and_lists),
        cmocka_unit_test(test_stdin),       cmocka_unit_test(test_errors),
        cmocka_unit_test(test_faults),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
