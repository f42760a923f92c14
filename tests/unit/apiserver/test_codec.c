/* test_codec.c - the stored-object codec (apiserver/codec.c): JSON texts compressed with dictionary 1 and back,
 * byte for byte; what is left as it is (not an object, too short, no gain); damaged values refused without
 * reading past their bounds; the dictionary's bytes frozen; and the object helpers on the embedded store writing
 * compressed values and reading those, plain JSON written by others, and a damaged value (500, not a crash).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_codec.h"
#include "api_store.h"
#include "kc_crypto.h"
#include "kc_error.h"
#include "kc_json.h"

#include "embedded_store.h"

/* A pod as the API server stores it (defaults, status, managedFields). */
#define POD                                                                                                         \
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web-1\",\"namespace\":\"shop\",\"uid\":"      \
    "\"0b7c6a52-0d5f-4b59-9f7e-3c1b1f7b9e01\",\"creationTimestamp\":\"2026-12-04T10:00:00Z\",\"labels\":{\"app\":"  \
    "\"web\"},\"managedFields\":[{\"manager\":\"kubectl-create\",\"operation\":\"Update\",\"apiVersion\":\"v1\","   \
    "\"time\":\"2026-12-04T10:00:00Z\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:metadata\":{\"f:labels\":{"    \
    "\".\":{},\"f:app\":{}}},\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"web\\\"}\":{\".\":{},\"f:image\":" \
    "{},\"f:imagePullPolicy\":{},\"f:name\":{},\"f:resources\":{},\"f:terminationMessagePath\":{},"                 \
    "\"f:terminationMessagePolicy\":{}}},\"f:dnsPolicy\":{},\"f:enableServiceLinks\":{},\"f:restartPolicy\":{},"    \
    "\"f:schedulerName\":{},\"f:securityContext\":{},\"f:terminationGracePeriodSeconds\":{}}}}]},\"spec\":{"        \
    "\"containers\":[{\"name\":\"web\",\"image\":\"shop/web:2.1\",\"resources\":{},\"terminationMessagePath\":"     \
    "\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\",\"imagePullPolicy\":\"IfNotPresent\"}],"        \
    "\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\","             \
    "\"serviceAccountName\":\"default\",\"securityContext\":{},\"schedulerName\":\"default-scheduler\","            \
    "\"enableServiceLinks\":true},\"status\":{\"phase\":\"Pending\",\"qosClass\":\"BestEffort\"}}"

static char *
encode(const char *text, size_t *len)
{
    char *z = NULL;
    assert_int_equal(api_codec_encode(text, strlen(text), &z, len), 0);
    return z;
}

static void
test_round_trip(void **state)
{
    (void)state;
    size_t n = strlen(POD), zn = 0;
    char *z = encode(POD, &zn);
    assert_non_null(z);
    assert_true(zn < n / 2); /* the dictionary's pods share most of it */
    assert_memory_equal(z, "k8z\001", 4);
    assert_true(api_codec_packed(z, zn));
    assert_int_equal(api_codec_text_len(z, zn), n);
    char *back = malloc(n);
    assert_int_equal(api_codec_decode(z, zn, back), 0);
    assert_memory_equal(back, POD, n);
    free(back);

    const char *t;
    size_t tl;
    char *owned;
    assert_int_equal(api_codec_open(z, zn, &t, &tl, &owned), 0);
    assert_non_null(owned);
    assert_ptr_equal(t, owned);
    assert_int_equal(tl, n);
    assert_string_equal(t, POD); /* NUL terminated */
    free(owned);

    /* one buffer for many values: grown once, reused; a plain value leaves it alone */
    char *buf = NULL;
    size_t cap = 0;
    assert_int_equal(api_codec_open_buf(z, zn, &t, &tl, &buf, &cap), 0);
    assert_ptr_equal(t, buf);
    assert_int_equal(cap, n + 1);
    assert_string_equal(t, POD);
    char *first = buf;
    assert_int_equal(api_codec_open_buf(z, zn, &t, &tl, &buf, &cap), 0);
    assert_ptr_equal(buf, first);
    assert_int_equal(api_codec_open_buf(POD, n, &t, &tl, &buf, &cap), 0);
    assert_ptr_equal(t, POD);
    assert_ptr_equal(buf, first);
    free(buf);
    free(z);

    /* plain JSON is read as it is, without a copy */
    assert_false(api_codec_packed(POD, n));
    assert_int_equal(api_codec_open(POD, n, &t, &tl, &owned), 0);
    assert_null(owned);
    assert_ptr_equal(t, POD);
    assert_int_equal(tl, n);
}

/* The same bytes every time, from any thread's first use: the dictionary's state is built once and copied. */
static void
test_deterministic(void **state)
{
    (void)state;
    size_t an, bn;
    char *a = encode(POD, &an), *b = encode(POD, &bn);
    assert_int_equal(an, bn);
    assert_memory_equal(a, b, an);
    free(a);
    free(b);
}

static void
test_left_as_is(void **state)
{
    (void)state;
    size_t zn;
    assert_null(encode("[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]", &zn)); /* not an object */
    assert_null(encode("{\"a\":1}", &zn));                                /* too short to gain */
    /* incompressible: random base64 in one string */
    char text[4096];
    strcpy(text, "{\"data\":\"");
    size_t at = strlen(text);
    uint32_t x = 2463534242u;
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    while (at < sizeof(text) - 3) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        text[at++] = b64[x % 64];
    }
    strcpy(text + at, "\"}");
    char *z = encode(text, &zn);
    assert_true(!z || zn < strlen(text)); /* never stored longer than the text */
    free(z);
}

static void
test_damaged(void **state)
{
    (void)state;
    size_t n = strlen(POD), zn;
    char *z = encode(POD, &zn);
    char *dst = malloc(n);
    char *bad = malloc(zn);
    const char *t;
    size_t tl;
    char *owned;

    /* an unknown dictionary (0, 2, 255): not decodable, said so at once */
    for (int v = 0; v < 256; v++) {
        if (v == 1)
            continue;
        memcpy(bad, z, zn);
        bad[3] = (char)v;
        assert_int_equal(api_codec_text_len(bad, zn), 0);
        assert_int_equal(api_codec_decode(bad, zn, dst), KC_EINTERNAL);
        assert_int_equal(api_codec_open(bad, zn, &t, &tl, &owned), KC_EINTERNAL);
        assert_null(owned);
        char *buf = NULL;
        size_t cap = 0;
        assert_int_equal(api_codec_open_buf(bad, zn, &t, &tl, &buf, &cap), KC_EINTERNAL);
        free(buf);
    }
    /* a length that does not match the block: longer and shorter */
    memcpy(bad, z, zn);
    bad[4] = (char)(bad[4] + 1);
    char *big = malloc(n + 1);
    assert_int_equal(api_codec_decode(bad, zn, big), KC_EINTERNAL);
    free(big);
    memcpy(bad, z, zn);
    bad[4] = (char)(bad[4] - 1);
    assert_int_equal(api_codec_decode(bad, zn, dst), KC_EINTERNAL);
    /* a length beyond the limit */
    memcpy(bad, z, zn);
    bad[7] = (char)0x7f;
    assert_int_equal(api_codec_text_len(bad, zn), 0);
    /* truncated blocks, and a header alone: refused (LZ4's safe decoder stays within both buffers; ASan checks) */
    for (size_t cut = API_CODEC_HEADER; cut < zn; cut += 7)
        assert_int_equal(api_codec_decode(z, cut, dst), KC_EINTERNAL);
    /* shorter than a header: not a compressed value at all */
    assert_false(api_codec_packed(z, API_CODEC_HEADER - 1));
    /* bit flips in the block decode to something or are refused, never past dst */
    for (size_t i = API_CODEC_HEADER; i < zn; i += 5) {
        memcpy(bad, z, zn);
        bad[i] = (char)(bad[i] ^ 0x5a);
        int rc = api_codec_decode(bad, zn, dst);
        assert_true(rc == 0 || rc == KC_EINTERNAL);
    }
    free(bad);
    free(dst);
    free(z);
}

/* Values stored with dictionary 1 decode only with exactly its bytes: they must never change. */
static void
test_dictionary_frozen(void **state)
{
    (void)state;
    char hex[KC_SHA256_HEX_LEN + 1];
    kc_sha256_hex(api_store_dict_1, api_store_dict_1_len, hex);
    assert_int_equal(api_store_dict_1_len, 13617);
    assert_string_equal(hex, "dc7a004b87a67708bb23a55fdf47777aefb4ac07859687e1a516c65772dde915");
}

/* --- the object helpers on the embedded store --- */

static int
setup_store(void **state)
{
    struct test_store *e = calloc(1, sizeof(*e));
    assert_non_null(e);
    test_store_open(e, "/tmp/api_codec_test_XXXXXX", NULL);
    *state = e;
    return 0;
}

static int
teardown_store(void **state)
{
    test_store_close(*state);
    free(*state);
    return 0;
}

/* The raw bytes under key (malloc'ed), or NULL. */
static char *
raw(struct test_store *e, const char *key, size_t *len)
{
    struct kvs_range_req r = { .key = kvs_str(key) };
    struct kvs_resp *resp;
    assert_int_equal(api_store_range(e->s, &r, &resp), 0);
    char *v = NULL;
    if (resp->n_kvs) {
        *len = resp->kvs[0].value_len;
        v = malloc(*len);
        memcpy(v, resp->kvs[0].value, *len);
    }
    api_store_resp_free(e->s, resp);
    return v;
}

static void
put_raw(struct test_store *e, const char *key, const void *v, size_t n)
{
    struct kvs_op put = { .type = KVS_OP_PUT, .put = { .key = kvs_str(key), .value = { v, n } } };
    struct kvs_txn_req t = { .success = &put, .n_success = 1 };
    struct kvs_resp *resp;
    assert_int_equal(api_store_txn(e->s, &t, &resp), 0);
    api_store_resp_free(e->s, resp);
}

struct seen {
    int n;
    char names[4][32];
};

static int
seen_raw(const char *key, size_t key_len, const char *value, size_t value_len, int64_t rev, void *arg)
{
    (void)key, (void)key_len, (void)rev;
    struct seen *s = arg;
    json_t *o = json_loadb(value, value_len, 0, NULL); /* JSON text, whichever way it was stored */
    assert_non_null(o);
    snprintf(s->names[s->n++], 32, "%s", json_string_value(json_object_get(json_object_get(o, "metadata"), "name")));
    json_decref(o);
    return 0;
}

static void
test_store_writes_and_reads(void **state)
{
    struct test_store *e = *state;
    json_t *pod = json_loads(POD, 0, NULL);
    assert_int_equal(api_obj_create(e->s, "/registry/pods/shop/web-1", pod, 0, NULL), 0);
    size_t n;
    char *v = raw(e, "/registry/pods/shop/web-1", &n);
    assert_true(api_codec_packed(v, n));
    assert_true(n < strlen(POD) / 2);
    free(v);

    json_t *got;
    int64_t rev;
    assert_int_equal(api_obj_get(e->s, "/registry/pods/shop/web-1", &got, &rev), 0);
    json_object_set_new(json_object_get(pod, "metadata"), "resourceVersion", json_sprintf("%lld", (long long)rev));
    assert_true(kc_json_equal(got, pod));
    json_decref(got);

    /* an update is stored compressed too */
    json_object_set_new(json_object_get(pod, "metadata"), "labels", json_pack("{s:s}", "app", "web2"));
    assert_int_equal(api_obj_update(e->s, "/registry/pods/shop/web-1", pod, rev, &rev), 0);
    v = raw(e, "/registry/pods/shop/web-1", &n);
    assert_true(api_codec_packed(v, n));
    free(v);
    assert_int_equal(api_obj_get(e->s, "/registry/pods/shop/web-1", &got, NULL), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(json_object_get(got, "metadata"), "labels"), "app")), "web2");
    json_decref(got);

    /* plain JSON another writer stored (an older k8c, etcdctl) is read as it is */
    const char *plain = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"old\"}}";
    put_raw(e, "/registry/pods/shop/old", plain, strlen(plain));
    assert_int_equal(api_obj_get(e->s, "/registry/pods/shop/old", &got, NULL), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(got, "metadata"), "name")), "old");
    json_decref(got);

    /* the list helpers hand JSON text of both */
    struct seen s = { 0 };
    int64_t list_rev;
    bool more;
    assert_int_equal(api_obj_list_raw(e->s, "/registry/pods/shop/", 0, 0, NULL, seen_raw, &s, &list_rev, &more), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.names[0], "old");
    assert_string_equal(s.names[1], "web-1");
    json_t *items;
    assert_int_equal(api_obj_list(e->s, "/registry/pods/shop/", 0, 0, NULL, &items, &list_rev, &more), 0);
    assert_int_equal(json_array_size(items), 2);
    json_decref(items);

    /* a damaged compressed value: an internal error for that key, the others still read */
    v = raw(e, "/registry/pods/shop/web-1", &n);
    v[n / 2] = (char)(v[n / 2] ^ 0xff);
    v[4] = (char)(v[4] + 3); /* and a length that cannot match */
    put_raw(e, "/registry/pods/shop/web-1", v, n);
    free(v);
    assert_int_equal(api_obj_get(e->s, "/registry/pods/shop/web-1", &got, NULL), KC_EINTERNAL);
    assert_int_equal(api_obj_get(e->s, "/registry/pods/shop/old", &got, NULL), 0);
    json_decref(got);
    s.n = 0;
    assert_int_equal(api_obj_list_raw(e->s, "/registry/pods/shop/", 0, 0, NULL, seen_raw, &s, &list_rev, &more),
                     KC_EINTERNAL);
    json_decref(pod);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_left_as_is),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_dictionary_frozen),
        cmocka_unit_test_setup_teardown(test_store_writes_and_reads, setup_store, teardown_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
