/* test_managed.c - managedFields and server-side apply on the Deployment schema, step by step as a cluster sees
 * them: a create's Update entry (with upstream's "." placement), applies that create and update, conflicts with
 * upstream's message and causes, force, removal of fields a manager stopped applying (and what keeps them),
 * shared ownership, Update entries merging and moving fields, ignored status, the ancient-changes cap, kubectl's
 * last-applied upgrade path, decoding errors, reset, entry order, and out-of-memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc_error.h"
#include "kc_fault.h"
#include "kc_fieldset.h"
#include "kc_json.h"
#include "kc_managed.h"
#include "kc_schema.h"
#include "kc_typed.h"

#include "../json_fixture.h"

static struct kc_fieldset *status_set;

static struct kc_managed_ctx
ctx_at(const char *now)
{
    struct kc_managed_ctx c = { .schema = kc_schema_find_gvk("apps", "v1", "Deployment"),
                                .api_version = "apps/v1",
                                .subresource = "",
                                .ignored = status_set,
                                .now = now };
    return c;
}

static int
setup(void **state)
{
    (void)state;
    json_t *j = parse("{\"f:status\":{}}");
    assert_int_equal(kc_fieldset_from_fields_v1(j, &status_set, NULL, 0), 0);
    json_decref(j);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    kc_fieldset_free(status_set);
    return 0;
}

/* The encoded managedFields, compact. */
static char *
encoded(const struct kc_managed *m)
{
    json_t *j = NULL;
    assert_int_equal(kc_managed_encode(m, &j), 0);
    char *t = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return t;
}

static void
assert_managed(const struct kc_managed *m, const char *want, const char *what)
{
    char *got = encoded(m);
    if (strcmp(got, want) != 0)
        fail_msg("%s:\n  got  %s\n  want %s", what, got, want);
    free(got);
}

static void
assert_fields(const struct kc_managed *m, const char *manager, enum kc_managed_op op, const char *want,
              const char *what)
{
    const struct kc_managed_entry *e = kc_managed_find(m, manager, op, "apps/v1", "");
    if (!want) {
        if (e)
            fail_msg("%s: %s still has an entry", what, manager);
        return;
    }
    if (!e)
        fail_msg("%s: no entry for %s", what, manager);
    json_t *j = NULL;
    assert_int_equal(kc_fieldset_to_fields_v1(e->set, &j), 0);
    char *got = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (strcmp(got, want) != 0)
        fail_msg("%s (%s):\n  got  %s\n  want %s", what, manager, got, want);
    free(got);
}

#define DEPLOY(replicas, labels)                                                                                     \
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\",\"labels\":" labels "},"       \
    "\"spec\":{\"replicas\":" replicas ",\"selector\":{\"matchLabels\":{\"app\":\"a\"}},\"template\":{\"metadata\":" \
    "{\"labels\":{\"app\":\"a\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}}}"

/* The same as the API server stores it: server metadata and Go's empty structs. */
#define STORED(replicas)                                                                                             \
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\",\"namespace\":\"default\","    \
    "\"uid\":\"u1\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\",\"generation\":1,\"labels\":{\"app\":\"a\"}},"    \
    "\"spec\":{\"replicas\":" replicas ",\"selector\":{\"matchLabels\":{\"app\":\"a\"}},\"template\":{\"metadata\":" \
    "{\"creationTimestamp\":null,\"labels\":{\"app\":\"a\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":"   \
    "\"nginx\",\"resources\":{}}]}}},\"status\":{\"replicas\":0}}"

#define CREATE_FIELDS                                                                                         \
    "{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:app\":{}}},\"f:spec\":{\"f:replicas\":{},\"f:selector\":{}," \
    "\"f:template\":{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:app\":{}}},\"f:spec\":{\"f:containers\":{"    \
    "\"k:{\\\"name\\\":\\\"c\\\"}\":{\".\":{},\"f:image\":{},\"f:name\":{},\"f:resources\":{}}}}}}}"

#define APPLY_FIELDS                                                                                                 \
    "{\"f:metadata\":{\"f:labels\":{\"f:app\":{}}},\"f:spec\":{\"f:replicas\":{},\"f:selector\":{},\"f:template\":{" \
    "\"f:metadata\":{\"f:labels\":{\"f:app\":{}}},\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"c\\\"}\":{"    \
    "\".\":{},\"f:image\":{},\"f:name\":{}}}}}}}"

static void
test_create_update_entry(void **state)
{
    (void)state;
    struct kc_managed m;
    kc_managed_init(&m);
    struct kc_managed_ctx c = ctx_at("2026-01-01T00:00:00Z");
    json_t *empty = kc_typed_empty_object(c.schema), *obj = parse(STORED("1"));
    assert_int_equal(kc_managed_update(&m, &c, "kubectl-create", empty, obj), 0);
    assert_managed(&m,
                   "[{\"manager\":\"kubectl-create\",\"operation\":\"Update\",\"apiVersion\":\"apps/v1\",\"time\":"
                   "\"2026-01-01T00:00:00Z\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":" CREATE_FIELDS "}]",
                   "create");
    /* a no-op update changes nothing, not even the time */
    struct kc_managed_ctx later = ctx_at("2026-01-01T00:05:00Z");
    assert_int_equal(kc_managed_update(&m, &later, "kubectl-create", obj, obj), 0);
    assert_int_equal(m.n, 1);
    assert_string_equal(m.v[0].time, "2026-01-01T00:00:00Z");
    /* status is never tracked on the main resource; an empty manager is "unknown" */
    json_t *st = parse(STORED("1"));
    kc_json_set(st, "status.replicas", json_integer(3));
    assert_int_equal(kc_managed_update(&m, &later, "", obj, st), 0);
    assert_int_equal(m.n, 1);
    kc_json_set(st, "spec.paused", json_true());
    assert_int_equal(kc_managed_update(&m, &later, "", obj, st), 0);
    assert_fields(&m, "unknown", KC_MANAGED_UPDATE, "{\"f:spec\":{\"f:paused\":{}}}", "unknown manager");
    json_decref(st);
    json_decref(empty);
    json_decref(obj);
    kc_managed_close(&m);
}

static void
test_apply_create_update(void **state)
{
    (void)state;
    struct kc_managed m;
    kc_managed_init(&m);
    struct kc_managed_ctx c = ctx_at("2026-01-01T00:00:00Z");
    json_t *live = json_object(), *cfg = parse(DEPLOY("2", "{\"app\":\"a\"}")), *out = NULL;
    bool changed = false;
    struct kc_managed_conflicts conf = { 0 };
    assert_int_equal(kc_managed_apply(&m, &c, "kubectl", live, cfg, false, &out, &changed, &conf), 0);
    assert_true(changed);
    assert_true(kc_json_equal(out, cfg));
    assert_managed(&m,
                   "[{\"manager\":\"kubectl\",\"operation\":\"Apply\",\"apiVersion\":\"apps/v1\",\"time\":"
                   "\"2026-01-01T00:00:00Z\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":" APPLY_FIELDS "}]",
                   "apply create");
    /* the same config again: unchanged, the time stays */
    json_t *stored = parse(STORED("2"));
    struct kc_managed_ctx later = ctx_at("2026-01-01T00:01:00Z");
    json_t *out2 = NULL;
    assert_int_equal(kc_managed_apply(&m, &later, "kubectl", stored, cfg, false, &out2, &changed, &conf), 0);
    assert_false(changed);
    assert_true(kc_json_equal(out2, stored));
    assert_string_equal(m.v[0].time, "2026-01-01T00:00:00Z");
    json_decref(out2);
    /* a new value: changed and stamped */
    json_t *cfg3 = parse(DEPLOY("3", "{\"app\":\"a\"}"));
    assert_int_equal(kc_managed_apply(&m, &later, "kubectl", stored, cfg3, false, &out2, &changed, &conf), 0);
    assert_true(changed);
    assert_int_equal(json_integer_value(kc_json_get(out2, "spec.replicas")), 3);
    assert_string_equal(kc_json_get_string(out2, "metadata.uid"), "u1"); /* live fields stay */
    assert_string_equal(m.v[0].time, "2026-01-01T00:01:00Z");
    json_decref(out2);
    json_decref(cfg3);
    json_decref(stored);
    json_decref(out);
    json_decref(live);
    json_decref(cfg);
    kc_managed_close(&m);
}

static void
test_conflict_force(void **state)
{
    (void)state;
    struct kc_managed m;
    kc_managed_init(&m);
    struct kc_managed_ctx c = ctx_at("2026-01-01T00:00:00Z");
    json_t *empty = kc_typed_empty_object(c.schema), *stored = parse(STORED("1"));
    assert_int_equal(kc_managed_update(&m, &c, "kubectl-client-side-apply", empty, stored), 0);
    /* same values: no conflict, shared ownership */
    json_t *cfg = parse(DEPLOY("1", "{\"app\":\"a\"}")), *out = NULL;
    bool changed;
    struct kc_managed_conflicts conf = { 0 };
    assert_int_equal(kc_managed_apply(&m, &c, "mgr", stored, cfg, false, &out, &changed, &conf), 0);
    assert_false(changed);
    assert_int_equal(m.n, 2);
    json_decref(out);
    /* a new value of a field someone else owns: 409 with upstream's texts, nothing changes */
    json_t *cfg2 = parse(DEPLOY("5", "{\"app\":\"a\"}"));
    char *before = encoded(&m);
    assert_int_equal(kc_managed_apply(&m, &c, "other", stored, cfg2, false, &out, &changed, &conf), KC_ECONFLICT);
    assert_string_equal(conf.message, "Apply failed with 2 conflicts: conflicts with \"kubectl-client-side-apply\" "
                                      "using apps/v1:\n- .spec.replicas\nconflicts with \"mgr\":\n- .spec.replicas");
    char *causes = json_dumps(conf.causes, JSON_COMPACT);
    assert_string_equal(causes, "[{\"reason\":\"FieldManagerConflict\",\"message\":\"conflict with "
                                "\\\"kubectl-client-side-apply\\\" using apps/v1\",\"field\":\".spec.replicas\"},{"
                                "\"reason\":\"FieldManagerConflict\",\"message\":\"conflict with \\\"mgr\\\"\","
                                "\"field\":\".spec.replicas\"}]");
    free(causes);
    kc_managed_conflicts_close(&conf);
    char *after = encoded(&m);
    assert_string_equal(before, after);
    free(before);
    free(after);
    /* one conflict only */
    json_t *cfg3 = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"},\"spec\":{"
                         "\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"other\"}]}}}}");
    assert_int_equal(kc_managed_apply(&m, &c, "x", stored, cfg3, false, &out, &changed, &conf), KC_ECONFLICT);
    assert_string_equal(conf.message, "Apply failed with 2 conflicts: conflicts with \"kubectl-client-side-apply\" "
                                      "using apps/v1:\n- .spec.template.spec.containers[name=\"c\"].image\n"
                                      "conflicts with \"mgr\":\n- .spec.template.spec.containers[name=\"c\"].image");
    kc_managed_conflicts_close(&conf);
    /* force: the field moves to the applier */
    assert_int_equal(kc_managed_apply(&m, &c, "other", stored, cfg2, true, &out, &changed, &conf), 0);
    assert_true(changed);
    assert_int_equal(json_integer_value(kc_json_get(out, "spec.replicas")), 5);
    assert_fields(&m, "other", KC_MANAGED_APPLY, APPLY_FIELDS, "forced");
    const struct kc_managed_entry *csa =
        kc_managed_find(&m, "kubectl-client-side-apply", KC_MANAGED_UPDATE, "apps/v1", "");
    assert_non_null(csa);
    struct kc_pe rp[2] = { { .type = KC_PE_FIELD, .field = "spec" }, { .type = KC_PE_FIELD, .field = "replicas" } };
    assert_false(kc_fieldset_has(csa->set, rp, 2));
    assert_false(kc_fieldset_has(kc_managed_find(&m, "mgr", KC_MANAGED_APPLY, NULL, "")->set, rp, 2));
    json_decref(out);
    json_decref(cfg3);
    json_decref(cfg2);
    json_decref(cfg);
    json_decref(stored);
    json_decref(empty);
    kc_managed_close(&m);
}

static void
test_single_conflict_message(void **state)
{
    (void)state;
    struct kc_managed m;
    kc_managed_init(&m);
    struct kc_managed_ctx c = ctx_at("2026-01-01T00:00:00Z");
    json_t *empty = kc_typed_empty_object(c.schema), *stored = parse(STORED("1"));
    assert_int_equal(kc_managed_update(&m, &c, "kubectl-client-side-apply", empty, stored), 0);
    json_t *cfg = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"},\"spec\":{"
                        "\"replicas\":3}}"),
           *out = NULL;
    bool changed;
    struct kc_managed_conflicts conf = { 0 };
    assert_int_equal(kc_managed_apply(&m, &c, "kubectl", stored, cfg, false, &out, &changed, &conf), KC_ECONFLICT);
    assert_string_equal(conf.message, "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using "
                                      "apps/v1: .spec.replicas");
    kc_managed_conflicts_close(&conf);
    json_decref(cfg);
    json_decref(stored);
    json_decref(empty);
    kc_managed_close(&m);
}

static void
test_prune(void **state)
{
    (void)state;
    struct kc_managed m;
    kc_managed_init(&m);
    struct kc_managed_ctx c = ctx_at("2026-01-01T00:00:00Z");
    json_t *live = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"}}");
    json_t *ab = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\",\"labels\":{"
                       "\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}}}");
    json_t *a = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\",\"labels\":{"
                      "\"a\":\"1\"}}}");
    json_t *b = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\",\"labels\":{"
                      "\"b\":\"2\"}}}");
    json_t *o1 = NULL, *o2 = NULL, *o3 = NULL, *o4 = NULL;
    bool changed;
    struct kc_managed_conflicts conf = { 0 };
    assert_int_equal(kc_managed_apply(&m, &c, "one", live, ab, false, &o1, &changed, &conf), 0);
    /* another applier also owns b */
    assert_int_equal(kc_managed_apply(&m, &c, "two", o1, b, false, &o2, &changed, &conf), 0);
    assert_false(changed);
    /* one stops applying b and c: c goes (nobody else owns it), b stays (two owns it) */
    assert_int_equal(kc_managed_apply(&m, &c, "one", o2, a, false, &o3, &changed, &conf), 0);
    assert_true(changed);
    char *t = json_dumps(kc_json_get(o3, "metadata.labels"), JSON_COMPACT);
    assert_string_equal(t, "{\"a\":\"1\",\"b\":\"2\"}");
    free(t);
    assert_fields(&m, "one", KC_MANAGED_APPLY, "{\"f:metadata\":{\"f:labels\":{\"f:a\":{}}}}", "one after prune");
    /* a field an updater changed is not removed when the applier drops it */
    json_t *upd = json_deep_copy(o3);
    kc_json_set(upd, "metadata.labels.a", json_string("9"));
    assert_int_equal(kc_managed_update(&m, &c, "editor", o3, upd), 0);
    assert_fields(&m, "one", KC_MANAGED_APPLY, NULL, "one lost a to the editor");
    json_t *none = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"}}");
    assert_int_equal(kc_managed_apply(&m, &c, "one", upd, none, false, &o4, &changed, &conf), 0);
    t = json_dumps(kc_json_get(o4, "metadata.labels"), JSON_COMPACT);
    assert_string_equal(t, "{\"a\":\"9\",\"b\":\"2\"}");
    free(t);
    json_decref(o4);
    json_decref(none);
    json_decref(upd);
    json_decref(o1);
    json_decref(o2);
    json_decref(o3);
    json_decref(live);
    json_decref(ab);
    json_decref(a);
    json_decref(b);
    kc_managed_close(&m);
}

static void
test_prune_list_item(void **state)
{
    (void)state;
    struct kc_managed m;
    kc_managed_init(&m);
    struct kc_managed_ctx c = ctx_at("2026-01-01T00:00:00Z");
    json_t *two = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"},\"spec\":{"
                        "\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x\"},{\"name\":\"b\","
                        "\"image\":\"y\"}]}}}}");
    json_t *one = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"},\"spec\":{"
                        "\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x\"}]}}}}");
    json_t *live = json_object(), *o1 = NULL, *o2 = NULL;
    bool changed;
    struct kc_managed_conflicts conf = { 0 };
    assert_int_equal(kc_managed_apply(&m, &c, "m", live, two, false, &o1, &changed, &conf), 0);
    assert_int_equal(kc_managed_apply(&m, &c, "m", o1, one, false, &o2, &changed, &conf), 0);
    assert_true(kc_json_equal(o2, one));
    json_decref(o1);
    json_decref(o2);
    json_decref(live);
    json_decref(two);
    json_decref(one);
    kc_managed_close(&m);
}

static void
test_update_moves_and_merges(void **state)
{
    (void)state;
    struct kc_managed m;
    kc_managed_init(&m);
    struct kc_managed_ctx c = ctx_at("2026-01-01T00:00:00Z");
    json_t *live = json_object(), *cfg = parse(DEPLOY("2", "{\"app\":\"a\",\"x\":\"1\"}")), *o = NULL;
    bool changed;
    struct kc_managed_conflicts conf = { 0 };
    assert_int_equal(kc_managed_apply(&m, &c, "applier", live, cfg, false, &o, &changed, &conf), 0);
    /* an update that changes replicas and removes label x: the applier loses both */
    json_t *n = json_deep_copy(o);
    kc_json_set(n, "spec.replicas", json_integer(7));
    kc_json_del(n, "metadata.labels.x");
    struct kc_managed_ctx t1 = ctx_at("2026-01-01T00:02:00Z");
    assert_int_equal(kc_managed_update(&m, &t1, "scaler", o, n), 0);
    assert_fields(&m, "scaler", KC_MANAGED_UPDATE, "{\"f:spec\":{\"f:replicas\":{}}}", "scaler");
    const struct kc_managed_entry *ap = kc_managed_find(&m, "applier", KC_MANAGED_APPLY, NULL, "");
    struct kc_pe rp[2] = { { .type = KC_PE_FIELD, .field = "spec" }, { .type = KC_PE_FIELD, .field = "replicas" } };
    struct kc_pe xp[3] = { { .type = KC_PE_FIELD, .field = "metadata" },
                           { .type = KC_PE_FIELD, .field = "labels" },
                           { .type = KC_PE_FIELD, .field = "x" } };
    assert_false(kc_fieldset_has(ap->set, rp, 2));
    assert_false(kc_fieldset_has(ap->set, xp, 3));
    /* a second update by the same manager merges into its entry */
    json_t *n2 = json_deep_copy(n);
    kc_json_set(n2, "spec.paused", json_true());
    struct kc_managed_ctx t2 = ctx_at("2026-01-01T00:03:00Z");
    assert_int_equal(kc_managed_update(&m, &t2, "scaler", n, n2), 0);
    assert_fields(&m, "scaler", KC_MANAGED_UPDATE, "{\"f:spec\":{\"f:paused\":{},\"f:replicas\":{}}}", "merged");
    /* Apply entries sort first, then by time */
    char *e = encoded(&m);
    assert_non_null(strstr(e, "[{\"manager\":\"applier\",\"operation\":\"Apply\""));
    assert_non_null(strstr(e, "\"time\":\"2026-01-01T00:03:00Z\""));
    free(e);
    json_decref(n2);
    json_decref(n);
    json_decref(o);
    json_decref(cfg);
    json_decref(live);
    kc_managed_close(&m);
}

static void
test_cap(void **state)
{
    (void)state;
    struct kc_managed m;
    kc_managed_init(&m);
    json_t *cur = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"}}");
    for (int i = 0; i < 12; i++) {
        char mgr[16], now[32], label[8];
        snprintf(mgr, sizeof(mgr), "m%02d", i);
        snprintf(now, sizeof(now), "2026-01-01T00:%02d:00Z", i);
        snprintf(label, sizeof(label), "l%02d", i);
        json_t *next = json_deep_copy(cur);
        char path[64];
        snprintf(path, sizeof(path), "metadata.labels.%s", label);
        kc_json_set(next, path, json_string("v"));
        struct kc_managed_ctx c = ctx_at(now);
        assert_int_equal(kc_managed_update(&m, &c, mgr, cur, next), 0);
        json_decref(cur);
        cur = next;
    }
    /* 12 updaters: the three oldest became one ancient-changes entry holding their fields */
    assert_int_equal(m.n, 10);
    assert_null(kc_managed_find(&m, "m00", KC_MANAGED_UPDATE, "apps/v1", ""));
    assert_null(kc_managed_find(&m, "m02", KC_MANAGED_UPDATE, "apps/v1", ""));
    assert_non_null(kc_managed_find(&m, "m03", KC_MANAGED_UPDATE, "apps/v1", ""));
    const struct kc_managed_entry *a = kc_managed_find(&m, KC_MANAGED_ANCIENT, KC_MANAGED_UPDATE, "apps/v1", "");
    assert_non_null(a);
    assert_int_equal(kc_fieldset_size(a->set), 4); /* labels (".") and l00..l02 */
    assert_string_equal(a->time, "2026-01-01T00:02:00Z");
    json_decref(cur);
    kc_managed_close(&m);
}

static void
test_last_applied(void **state)
{
    (void)state;
    struct kc_managed m;
    kc_managed_init(&m);
    struct kc_managed_ctx c = ctx_at("2026-01-01T00:00:00Z");
    /* what kubectl's client-side apply left: the annotation, and its Update entry */
    json_t *stored = parse(STORED("2"));
    kc_json_set(
        stored, "metadata.annotations",
        json_pack("{s:s}", KC_LAST_APPLIED,
                  "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"annotations\":{},"
                  "\"labels\":{\"app\":\"a\"},\"name\":\"d\",\"namespace\":\"default\"},\"spec\":{\"replicas\":2}}\n"));
    json_t *empty = kc_typed_empty_object(c.schema);
    assert_int_equal(kc_managed_update(&m, &c, "kubectl-client-side-apply", empty, stored), 0);
    /* kubectl's server-side apply takes over the fields last applied with unchanged values: no conflict */
    json_t *cfg = parse(DEPLOY("3", "{\"app\":\"a\"}")), *out = NULL;
    bool changed;
    struct kc_managed_conflicts conf = { 0 };
    assert_int_equal(kc_managed_apply(&m, &c, "kubectl", stored, cfg, false, &out, &changed, &conf), 0);
    assert_int_equal(json_integer_value(kc_json_get(out, "spec.replicas")), 3);
    /* and the annotation now holds the applied configuration */
    const char *ann =
        kc_json_get_string(out, "metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration");
    assert_non_null(ann);
    assert_string_equal(ann, "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"labels\":{\"app\":"
                             "\"a\"},\"name\":\"d\"},\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":"
                             "\"a\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"a\"}},\"spec\":{\"containers\":"
                             "[{\"image\":\"nginx\",\"name\":\"c\"}]}}}}\n");
    /* any other manager name gets the conflicts */
    struct kc_managed m2;
    kc_managed_init(&m2);
    assert_int_equal(kc_managed_update(&m2, &c, "kubectl-client-side-apply", empty, stored), 0);
    json_t *out2 = NULL;
    assert_int_equal(kc_managed_apply(&m2, &c, "foo", stored, cfg, false, &out2, &changed, &conf), KC_ECONFLICT);
    assert_string_equal(conf.message, "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using "
                                      "apps/v1: .spec.replicas");
    kc_managed_conflicts_close(&conf);
    /* a live value that drifted from the annotation is a conflict for kubectl too */
    kc_json_set(stored, "spec.replicas", json_integer(5));
    assert_int_equal(kc_managed_apply(&m2, &c, "kubectl", stored, cfg, false, &out2, &changed, &conf), KC_ECONFLICT);
    kc_managed_conflicts_close(&conf);
    kc_managed_close(&m2);
    json_decref(out);
    json_decref(cfg);
    json_decref(empty);
    json_decref(stored);
    kc_managed_close(&m);
}

static void
test_subresource_entry(void **state)
{
    (void)state;
    struct kc_managed m;
    kc_managed_init(&m);
    struct kc_managed_ctx c = ctx_at("2026-01-01T00:00:00Z");
    c.subresource = "status";
    c.ignored = NULL;
    json_t *a = parse("{\"status\":{\"replicas\":1}}"), *b = parse("{\"status\":{\"replicas\":2}}");
    assert_int_equal(kc_managed_update(&m, &c, "ctrl", a, b), 0);
    assert_managed(
        &m,
        "[{\"manager\":\"ctrl\",\"operation\":\"Update\",\"apiVersion\":\"apps/v1\",\"time\":"
        "\"2026-01-01T00:00:00Z\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:status\":{\"f:replicas\":{}}},"
        "\"subresource\":\"status\"}]",
        "status entry");
    struct kc_managed_conflicts conf = { 0 };
    json_t *cfg = parse("{\"status\":{\"replicas\":3}}"), *out = NULL;
    bool changed;
    assert_int_equal(kc_managed_apply(&m, &c, "other", b, cfg, false, &out, &changed, &conf), KC_ECONFLICT);
    assert_string_equal(conf.message, "Apply failed with 1 conflict: conflict with \"ctrl\" with subresource "
                                      "\"status\" using apps/v1: .status.replicas");
    kc_managed_conflicts_close(&conf);
    json_decref(cfg);
    json_decref(a);
    json_decref(b);
    kc_managed_close(&m);
}

static void
test_decode(void **state)
{
    (void)state;
    static const struct {
        const char *in, *err;
    } cases[] = {
        { "[{\"manager\":\"m\",\"operation\":\"Patch\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\"}]",
          "operation must be `Apply` or `Update`" },
        { "[{\"manager\":\"m\",\"operation\":\"Apply\",\"fieldsType\":\"FieldsV1\"}]", "apiVersion must not be empty" },
        { "[{\"manager\":\"m\",\"operation\":\"Apply\",\"apiVersion\":\"v1\"}]",
          "missing fieldsType in managed fields entry 0" },
        { "[{}, {\"manager\":\"m\",\"operation\":\"Apply\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV2\"}]",
          "operation must be `Apply` or `Update`" },
        { "[{\"manager\":\"m\",\"operation\":\"Apply\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV2\"}]",
          "invalid fieldsType \"FieldsV2\" in managed fields entry 0" },
        { "[{\"manager\":\"m\",\"operation\":\"Apply\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":"
          "{\"k:x\":{}}}]",
          "error decoding versioned set: parsing key as path element: k:x" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *j = parse(cases[i].in);
        struct kc_managed m;
        kc_managed_init(&m);
        char err[256];
        assert_int_equal(kc_managed_decode(j, &m, err, sizeof(err)), KC_EINVALID);
        assert_string_equal(err, cases[i].err);
        assert_int_equal(m.n, 0);
        json_decref(j);
    }
    /* a round trip, and the last of two entries with the same identity wins */
    json_t *j =
        parse("[{\"manager\":\"b\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"time\":\"2026-01-01T00:00:01Z\","
              "\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:x\":{}}},{\"manager\":\"a\",\"operation\":\"Apply\","
              "\"apiVersion\":\"v2\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:y\":{}}},{\"manager\":\"a\","
              "\"operation\":\"Apply\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:z\":"
              "{}}}]");
    struct kc_managed m;
    kc_managed_init(&m);
    assert_int_equal(kc_managed_decode(j, &m, NULL, 0), 0);
    assert_managed(&m,
                   "[{\"manager\":\"a\",\"operation\":\"Apply\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
                   "\"fieldsV1\":{\"f:z\":{}}},{\"manager\":\"b\",\"operation\":\"Update\",\"apiVersion\":\"v1\","
                   "\"time\":\"2026-01-01T00:00:01Z\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:x\":{}}}]",
                   "decode order");
    kc_managed_close(&m);
    json_decref(j);
    /* reset */
    json_t *r1 = parse("[]"), *r2 = parse("[{}]"), *r3 = parse("[{},{}]"), *r4 = parse("[{\"manager\":\"x\"}]");
    assert_true(kc_managed_is_reset(r1));
    assert_true(kc_managed_is_reset(r2));
    assert_false(kc_managed_is_reset(r3));
    assert_false(kc_managed_is_reset(r4));
    assert_false(kc_managed_is_reset(NULL));
    json_decref(r1);
    json_decref(r2);
    json_decref(r3);
    json_decref(r4);
}

/* --- out of memory --- */

static int
oom_once(long nth)
{
    struct kc_managed m;
    kc_managed_init(&m);
    struct kc_managed_ctx c = ctx_at("2026-01-01T00:00:00Z");
    json_t *empty = kc_typed_empty_object(c.schema), *stored = parse(STORED("2"));
    json_t *cfg = parse(DEPLOY("3", "{\"app\":\"a\",\"x\":\"y\"}")), *less = parse(DEPLOY("3", "{\"app\":\"a\"}"));
    json_t *out = NULL, *out2 = NULL, *enc = NULL;
    bool changed;
    struct kc_managed_conflicts conf = { 0 };
    assert_int_equal(kc_managed_update(&m, &c, "csa", empty, stored), 0);
    kc_fault_arm(KC_FAULT_ALLOC, nth, ENOMEM, false);
    int rc = kc_managed_apply(&m, &c, "kubectl", stored, cfg, false, &out, &changed, &conf);
    if (rc == KC_ECONFLICT)
        rc = kc_managed_apply(&m, &c, "kubectl", stored, cfg, true, &out, &changed, &conf);
    if (rc == 0)
        rc = kc_managed_apply(&m, &c, "kubectl", out, less, false, &out2, &changed, &conf);
    if (rc == 0)
        rc = kc_managed_update(&m, &c, "csa", out, stored);
    if (rc == 0)
        rc = kc_managed_encode(&m, &enc);
    long injected = kc_fault_injected(KC_FAULT_ALLOC);
    kc_fault_disarm(KC_FAULT_ALLOC);
    if ((injected && rc != -ENOMEM) || (!injected && rc != 0))
        fail_msg("allocation %ld: rc %d, %ld faults injected", nth, rc, injected);
    kc_managed_conflicts_close(&conf);
    kc_managed_close(&m);
    json_decref(enc);
    json_decref(out);
    json_decref(out2);
    json_decref(empty);
    json_decref(stored);
    json_decref(cfg);
    json_decref(less);
    return (int)injected;
}

static void
test_out_of_memory(void **state)
{
    (void)state;
    long n = 1;
    while (oom_once(n))
        n++;
    assert_true(n > 50);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_update_entry),
        cmocka_unit_test(test_apply_create_update),
        cmocka_unit_test(test_conflict_force),
        cmocka_unit_test(test_single_conflict_message),
        cmocka_unit_test(test_prune),
        cmocka_unit_test(test_prune_list_item),
        cmocka_unit_test(test_update_moves_and_merges),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_last_applied),
        cmocka_unit_test(test_subresource_entry),
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
