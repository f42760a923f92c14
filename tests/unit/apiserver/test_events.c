/* test_events.c - the Event in two versions (apiserver/events.c): conversion between core/v1 and
 * events.k8s.io/v1 both ways (upstream's field mapping, round trips, the other version's names dropped), the
 * selectable fields of either version, and the object helpers on the embedded store keeping both in the one key
 * space /registry/events/ (get, create, update, delete, lists and pages through either version).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_codec.h"
#include "api_events.h"
#include "api_int.h"
#include "api_store.h"
#include "kc_error.h"
#include "kc_json.h"
#include "kc_selector.h"

#include "embedded_store.h"

static json_t *
load(const char *text)
{
    json_error_t err;
    json_t *o = json_loads(text, 0, &err);
    if (!o)
        fail_msg("bad test JSON: %s: %s", err.text, text);
    return o;
}

static void
assert_json(const json_t *got, const char *want_text)
{
    json_t *want = load(want_text);
    if (!kc_json_equal(got, want)) {
        char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
        fail_msg("got %s\nwant %s", g, want_text);
    }
    json_decref(want);
}

#define CORE_EVENT                                                                                                   \
    "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{\"name\":\"e1\",\"namespace\":\"default\"},"            \
    "\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"p1\",\"namespace\":\"default\",\"uid\":\"u1\"},"                \
    "\"reason\":\"Started\",\"message\":\"hello\",\"source\":{\"component\":\"kubelet\",\"host\":\"n1\"},"           \
    "\"firstTimestamp\":\"2026-01-01T00:00:00Z\",\"lastTimestamp\":\"2026-01-01T00:00:01Z\",\"count\":3,"            \
    "\"type\":\"Normal\",\"eventTime\":null,\"series\":{\"count\":2,\"lastObservedTime\":\"2026-01-01T00:00:02Z\"}," \
    "\"action\":\"Pulling\",\"related\":{\"kind\":\"Node\",\"name\":\"n1\"},\"reportingComponent\":\"kubelet\","     \
    "\"reportingInstance\":\"n1\",\"x-unknown\":[1]}"

#define V1_EVENT                                                                                                  \
    "{\"apiVersion\":\"events.k8s.io/v1\",\"kind\":\"Event\",\"metadata\":{\"name\":\"e1\",\"namespace\":"        \
    "\"default\"},\"regarding\":{\"kind\":\"Pod\",\"name\":\"p1\",\"namespace\":\"default\",\"uid\":\"u1\"},"     \
    "\"reason\":\"Started\",\"note\":\"hello\",\"deprecatedSource\":{\"component\":\"kubelet\",\"host\":\"n1\"}," \
    "\"deprecatedFirstTimestamp\":\"2026-01-01T00:00:00Z\",\"deprecatedLastTimestamp\":\"2026-01-01T00:00:01Z\"," \
    "\"deprecatedCount\":3,\"type\":\"Normal\",\"eventTime\":null,\"series\":{\"count\":2,\"lastObservedTime\":"  \
    "\"2026-01-01T00:00:02Z\"},\"action\":\"Pulling\",\"related\":{\"kind\":\"Node\",\"name\":\"n1\"},"           \
    "\"reportingController\":\"kubelet\",\"reportingInstance\":\"n1\",\"x-unknown\":[1]}"

static void
test_conversion_both_ways(void **state)
{
    (void)state;
    json_t *core = load(CORE_EVENT), *v1 = load(V1_EVENT);
    json_t *a = api_event_from_core(core), *b = api_event_to_core(v1);
    assert_json(a, V1_EVENT);
    assert_json(b, CORE_EVENT);
    /* member order is kept, renamed in place */
    const char *first = json_object_iter_key(json_object_iter(a));
    assert_string_equal(first, "apiVersion");
    void *it = json_object_iter_next(a, json_object_iter_next(a, json_object_iter_next(a, json_object_iter(a))));
    assert_string_equal(json_object_iter_key(it), "regarding");
    /* round trips are the identity */
    json_t *back = api_event_to_core(a);
    assert_true(kc_json_equal(back, core));
    json_decref(back);
    back = api_event_from_core(b);
    assert_true(kc_json_equal(back, v1));
    json_decref(back);
    /* values are shared, not copied */
    assert_ptr_equal(json_object_get(a, "regarding"), json_object_get(core, "involvedObject"));
    json_decref(a);
    json_decref(b);
    json_decref(core);
    json_decref(v1);
    /* names of the other version are not fields of this one: dropped, as a typed decoder drops them */
    json_t *mixed = load("{\"apiVersion\":\"events.k8s.io/v1\",\"kind\":\"Event\",\"note\":\"n\",\"message\":\"m\","
                         "\"involvedObject\":{},\"count\":1,\"reportingComponent\":\"x\"}");
    json_t *c = api_event_to_core(mixed);
    assert_json(c, "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"message\":\"n\"}");
    json_decref(c);
    json_decref(mixed);
    mixed = load("{\"apiVersion\":\"v1\",\"message\":\"m\",\"note\":\"n\",\"regarding\":{},\"deprecatedCount\":2}");
    c = api_event_from_core(mixed);
    assert_json(c, "{\"apiVersion\":\"events.k8s.io/v1\",\"note\":\"m\"}");
    json_decref(c);
    json_decref(mixed);
    /* not an object */
    json_t *arr = json_array();
    assert_null(api_event_to_core(arr));
    assert_null(api_event_from_core(NULL));
    json_decref(arr);
}

static bool
fsel(const char *sel, const json_t *obj)
{
    struct kc_field_selector *fs;
    assert_int_equal(kc_field_selector_parse(sel, &fs, NULL, 0), 0);
    bool m = api_selectors_match(NULL, fs, obj);
    kc_field_selector_free(fs);
    return m;
}

static void
test_selectable_fields(void **state)
{
    (void)state;
    json_t *core = load(CORE_EVENT), *v1 = load(V1_EVENT);
    json_t *f = api_event_fields(core);
    assert_json(f, "{\"metadata\":{\"name\":\"e1\",\"namespace\":\"default\"},\"reason\":\"Started\",\"type\":"
                   "\"Normal\",\"reportingComponent\":\"kubelet\",\"involvedObject\":{\"kind\":\"Pod\",\"name\":"
                   "\"p1\",\"namespace\":\"default\",\"uid\":\"u1\"},\"source\":\"kubelet\"}");
    json_decref(f);
    f = api_event_fields(v1);
    assert_json(f, "{\"metadata\":{\"name\":\"e1\",\"namespace\":\"default\"},\"reason\":\"Started\",\"type\":"
                   "\"Normal\",\"reportingController\":\"kubelet\",\"regarding\":{\"kind\":\"Pod\",\"name\":"
                   "\"p1\",\"namespace\":\"default\",\"uid\":\"u1\"},\"source\":\"kubelet\"}");
    json_decref(f);
    /* "source" is the source's component, else the reporting controller (upstream's ToSelectableFields) */
    assert_true(fsel("source=kubelet", core));
    assert_true(fsel("source=kubelet", v1));
    assert_true(fsel("involvedObject.name=p1,involvedObject.uid=u1,reason=Started", core));
    assert_true(fsel("regarding.name=p1,regarding.uid=u1,type=Normal", v1));
    assert_false(fsel("regarding.name=p1", core)); /* a core event has no regarding */
    assert_true(fsel("involvedObject.fieldPath=", core));
    json_object_set_new(json_object_get(core, "source"), "component", json_string(""));
    json_object_set_new(core, "reportingComponent", json_string("ctl"));
    assert_true(fsel("source=ctl", core));
    json_object_del(v1, "deprecatedSource");
    json_object_set_new(v1, "reportingController", json_string("ctl2"));
    assert_true(fsel("source=ctl2,reportingController=ctl2", v1));
    json_object_del(v1, "reportingController");
    assert_true(fsel("source=", v1));
    /* other kinds and versions: plain paths */
    json_t *pod = load("{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"source\":\"x\"}");
    assert_null(api_event_fields(pod));
    assert_true(fsel("source=x", pod));
    json_t *other = load("{\"kind\":\"Event\",\"apiVersion\":\"example.com/v1\",\"source\":\"x\"}");
    assert_null(api_event_fields(other));
    assert_true(fsel("source=x", other));
    json_decref(pod);
    json_decref(other);
    json_decref(core);
    json_decref(v1);
}

/* --- the one key space, on the embedded store --- */

static int
teardown(void **state)
{
    struct test_store *e = *state;
    if (!e)
        return 0;
    test_store_close(e);
    free(e);
    return 0;
}

/* The stored bytes of key (NULL when absent) as a new JSON object. */
static json_t *
stored(struct test_store *e, const char *key)
{
    struct kvs_range_req r = { .key = kvs_str(key) };
    struct kvs_resp *resp;
    assert_int_equal(api_store_range(e->s, &r, &resp), 0);
    json_t *o = NULL;
    if (resp->n_kvs) { /* the stored text: decoded when the object helpers stored it compressed */
        const char *t;
        size_t n;
        char *owned;
        assert_int_equal(api_codec_open(resp->kvs[0].value, resp->kvs[0].value_len, &t, &n, &owned), 0);
        o = json_loadb(t, n, 0, NULL);
        free(owned);
    }
    api_store_resp_free(e->s, resp);
    return o;
}

#define SERVED "/registry/events.k8s.io/events/"

static void
test_one_key_space(void **state)
{
    struct test_store *e = *state = calloc(1, sizeof(*e));
    assert_non_null(e);
    struct kvs_options o;
    kvs_options_init(&o);
    o.initial_map_bytes = 1 << 20;
    test_store_open(e, "/tmp/api_events_test_XXXXXX", &o);

    const struct api_storage_map *m = api_storage_map_find(SERVED "default/x");
    assert_non_null(m);
    assert_string_equal(m->stored, "/registry/events/");
    assert_null(api_storage_map_find("/registry/events/default/x"));
    assert_null(api_storage_map_find("/registry/events.k8s.io/other/"));
    char buf[64];
    assert_string_equal(api_storage_map_key(m, SERVED "default/x", buf, sizeof(buf)), "/registry/events/default/x");
    assert_null(api_storage_map_key(m, SERVED "default/a-rather-long-name-that-does-not-fit", buf, 32));

    /* created through events.k8s.io: stored as the core event, read back in either version */
    json_t *v1 = load(V1_EVENT), *core = load(CORE_EVENT);
    int64_t rev;
    char *json;
    size_t json_len;
    assert_int_equal(api_obj_create_json(e->s, SERVED "default/e1", v1, 0, &rev, &json, &json_len), 0);
    json_t *reply = json_loadb(json, json_len, 0, NULL);
    free(json);
    assert_string_equal(kc_json_get_string(reply, "apiVersion"), "events.k8s.io/v1");
    json_object_del(json_object_get(reply, "metadata"), "resourceVersion");
    assert_true(kc_json_equal(reply, v1));
    json_decref(reply);
    json_t *raw = stored(e, "/registry/events/default/e1");
    assert_non_null(raw);
    assert_true(kc_json_equal(raw, core));
    json_decref(raw);
    assert_null(stored(e, SERVED "default/e1"));
    json_t *got;
    int64_t got_rev;
    assert_int_equal(api_obj_get(e->s, SERVED "default/e1", &got, &got_rev), 0);
    assert_int_equal(got_rev, rev);
    json_object_del(json_object_get(got, "metadata"), "resourceVersion");
    assert_true(kc_json_equal(got, v1));
    json_decref(got);
    assert_int_equal(api_obj_get(e->s, "/registry/events/default/e1", &got, NULL), 0);
    json_object_del(json_object_get(got, "metadata"), "resourceVersion");
    assert_true(kc_json_equal(got, core));
    json_decref(got);
    assert_int_equal(api_obj_create(e->s, "/registry/events/default/e1", core, 0, NULL), KC_EEXIST);

    /* a second one through core; lists and pages of the served prefix see both, converted, with served keys */
    json_object_set_new(json_object_get(core, "metadata"), "name", json_string("e2"));
    assert_int_equal(api_obj_create(e->s, "/registry/events/default/e2", core, 0, NULL), 0);
    json_t *items;
    bool more;
    assert_int_equal(api_obj_list(e->s, SERVED "default/", 0, 0, NULL, &items, NULL, &more), 0);
    assert_int_equal(json_array_size(items), 2);
    assert_string_equal(kc_json_get_string(json_array_get(items, 1), "note"), "hello");
    json_decref(items);
    assert_int_equal(api_obj_list(e->s, SERVED, 0, 1, SERVED "default/e1", &items, NULL, &more), 0);
    assert_int_equal(json_array_size(items), 1);
    assert_string_equal(kc_json_get_string(json_array_get(items, 0), "metadata.name"), "e2");
    json_decref(items);
    struct api_obj_page *p;
    assert_int_equal(api_obj_list_page(e->s, SERVED, 0, 0, NULL, &p), 0);
    assert_int_equal(p->n, 2);
    for (size_t i = 0; i < p->n; i++) {
        char want[64];
        snprintf(want, sizeof(want), SERVED "default/e%zu", i + 1);
        assert_int_equal(p->kvs[i].key_len, strlen(want));
        assert_memory_equal(p->kvs[i].key, want, strlen(want));
        json_t *v = json_loadb(p->kvs[i].value, p->kvs[i].value_len, 0, NULL);
        assert_string_equal(kc_json_get_string(v, "apiVersion"), "events.k8s.io/v1");
        assert_null(json_object_get(v, "message"));
        json_decref(v);
    }
    api_obj_page_free(p);
    assert_int_equal(api_obj_list_page(e->s, SERVED, 0, 1, SERVED "default/e1", &p), 0);
    assert_int_equal(p->n, 1);
    assert_false(p->more);
    api_obj_page_free(p);

    /* a value that is not JSON stays as stored in a page (the list's parser reports it), and fails a get */
    struct kvs_op put = { .type = KVS_OP_PUT,
                          .put = { .key = kvs_str("/registry/events/default/e3"), .value = kvs_str("{broken") } };
    struct kvs_txn_req t = { .success = &put, .n_success = 1 };
    struct kvs_resp *resp;
    assert_int_equal(api_store_txn(e->s, &t, &resp), 0);
    api_store_resp_free(e->s, resp);
    assert_int_equal(api_obj_list_page(e->s, SERVED, 0, 0, NULL, &p), 0);
    assert_int_equal(p->n, 3);
    assert_memory_equal(p->kvs[2].value, "{broken", 7);
    api_obj_page_free(p);
    assert_int_equal(api_obj_get(e->s, SERVED "default/e3", &got, NULL), KC_EINTERNAL);
    assert_int_equal(api_obj_list(e->s, SERVED, 0, 0, NULL, &items, NULL, NULL), KC_EINTERNAL);

    /* update and delete through the served key change the stored one */
    json_object_set_new(v1, "note", json_string("changed"));
    int64_t rev2;
    assert_int_equal(api_obj_update(e->s, SERVED "default/e1", v1, rev, &rev2), 0);
    raw = stored(e, "/registry/events/default/e1");
    assert_string_equal(kc_json_get_string(raw, "message"), "changed");
    json_decref(raw);
    assert_int_equal(api_obj_update(e->s, SERVED "default/e1", v1, rev, NULL), KC_ECONFLICT);
    assert_int_equal(api_obj_delete(e->s, SERVED "default/e1", rev2, NULL), 0);
    assert_null(stored(e, "/registry/events/default/e1"));
    assert_int_equal(api_obj_delete(e->s, SERVED "default/e1", 0, NULL), KC_ENOTFOUND);
    json_decref(v1);
    json_decref(core);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conversion_both_ways),
        cmocka_unit_test(test_selectable_fields),
        cmocka_unit_test_teardown(test_one_key_space, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
