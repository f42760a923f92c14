/* test_k8sproto.c - kc_k8sproto: the generated field table (checked against kc_schema), the bodies real kubectl
 * 1.33 sends (tests/unit/data/proto, recorded by capture.py) against the objects its client dry run prints, and
 * hand-encoded messages for every wire rule, special type, error path, truncation, mutation and allocation
 * failure. */
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
#include "kc_json.h"
#include "kc_k8sproto.h"
#include "kc_schema.h"

#define CORE "k8s.io.api.core.v1."
#define APPS "k8s.io.api.apps.v1."
#define META "k8s.io.apimachinery.pkg.apis.meta.v1."

/* --- a tiny protobuf encoder --- */

struct buf {
    uint8_t b[8192];
    size_t n;
};

static void
put(struct buf *b, const void *p, size_t n)
{
    assert_true(b->n + n <= sizeof(b->b));
    memcpy(b->b + b->n, p, n);
    b->n += n;
}

static void
varint(struct buf *b, uint64_t v)
{
    do {
        uint8_t c = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            c |= 0x80;
        put(b, &c, 1);
    } while (v);
}

static void
key(struct buf *b, uint32_t num, int wt)
{
    varint(b, (uint64_t)num << 3 | (uint64_t)wt);
}

static void
f_varint(struct buf *b, uint32_t num, uint64_t v)
{
    key(b, num, 0);
    varint(b, v);
}

static void
f_bytes(struct buf *b, uint32_t num, const void *p, size_t n)
{
    key(b, num, 2);
    varint(b, n);
    put(b, p, n);
}

static void
f_str(struct buf *b, uint32_t num, const char *s)
{
    f_bytes(b, num, s, strlen(s));
}

static void
f_msg(struct buf *b, uint32_t num, const struct buf *m)
{
    f_bytes(b, num, m->b, m->n);
}

static void
f_fixed(struct buf *b, uint32_t num, uint64_t v, int bytes)
{
    key(b, num, bytes == 8 ? 1 : 5);
    for (int i = 0; i < bytes; i++) {
        uint8_t c = (uint8_t)(v >> (8 * i));
        put(b, &c, 1);
    }
}

/* A map entry {1 k, 2 v} with string value as field num. */
static void
f_entry(struct buf *b, uint32_t num, const char *k, const char *v)
{
    struct buf e = { .n = 0 };
    if (k)
        f_str(&e, 1, k);
    if (v)
        f_str(&e, 2, v);
    f_msg(b, num, &e);
}

/* The envelope: magic, Unknown{1 TypeMeta{1 apiVersion, 2 kind}, 2 raw}. */
static void
envelope(struct buf *out, const char *av, const char *kind, const struct buf *raw)
{
    struct buf tm = { .n = 0 }, unk = { .n = 0 };
    if (av)
        f_str(&tm, 1, av);
    if (kind)
        f_str(&tm, 2, kind);
    f_msg(&unk, 1, &tm);
    if (raw)
        f_msg(&unk, 2, raw);
    out->n = 0;
    put(out, "k8s\0", 4);
    put(out, unk.b, unk.n);
}

/* --- helpers --- */

static void
assert_json(const json_t *got, const char *want_text)
{
    json_t *want;
    char err[256];
    assert_int_equal(kc_json_parse(want_text, strlen(want_text), &want, err, sizeof(err)), 0);
    if (!kc_json_equal(got, want)) {
        char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
        print_error("got  %s\nwant %s\n", g ? g : "(null)", want_text);
        free(g);
        json_decref(want);
        fail();
    }
    json_decref(want);
}

/* Decodes an envelope and checks the result. */
static void
decode_ok(const struct buf *b, const char *want)
{
    json_t *o = NULL;
    char err[512];
    int rc = kc_k8sproto_decode(b->b, b->n, NULL, NULL, &o, err, sizeof(err));
    if (rc != 0)
        print_error("decode failed: %d %s\n", rc, err);
    assert_int_equal(rc, 0);
    assert_json(o, want);
    json_decref(o);
}

static void
decode_fails(const struct buf *b, int code, const char *msg_part)
{
    json_t *o = (json_t *)0x1;
    char err[512];
    int rc = kc_k8sproto_decode(b->b, b->n, NULL, NULL, &o, err, sizeof(err));
    if (rc != code || !strstr(err, msg_part))
        print_error("rc %d (want %d), message \"%s\" (want it to contain \"%s\")\n", rc, code, err, msg_part);
    assert_int_equal(rc, code);
    assert_non_null(strstr(err, msg_part));
    assert_ptr_equal(o, (json_t *)0x1); /* untouched */
}

/* Decodes one message of type name (no envelope). */
static void
message_ok(const char *name, const struct buf *b, const char *want)
{
    const struct kc_k8sproto_msg *m = kc_k8sproto_find(name);
    json_t *o = NULL;
    char err[512];
    assert_non_null(m);
    int rc = kc_k8sproto_decode_message(m, b->b, b->n, &o, err, sizeof(err));
    if (rc != 0)
        print_error("decode of %s failed: %d %s\n", name, rc, err);
    assert_int_equal(rc, 0);
    assert_json(o, want);
    json_decref(o);
}

static void
message_fails(const char *name, const struct buf *b, const char *msg_part)
{
    const struct kc_k8sproto_msg *m = kc_k8sproto_find(name);
    json_t *o = NULL;
    char err[512];
    int rc = kc_k8sproto_decode_message(m, b->b, b->n, &o, err, sizeof(err));
    if (rc != KC_EPARSE || !strstr(err, msg_part))
        print_error("rc %d, message \"%s\" (want it to contain \"%s\")\n", rc, err, msg_part);
    assert_int_equal(rc, KC_EPARSE);
    assert_non_null(strstr(err, msg_part));
    assert_null(o);
}

static const struct kc_k8sproto_field *
field_by_json(const struct kc_k8sproto_msg *m, const char *name)
{
    for (size_t i = 0; m && i < m->nfields; i++) {
        const struct kc_k8sproto_field *f = &m->fields[i];
        if (f->flags & KC_K8SPROTO_F_INLINE) {
            const struct kc_k8sproto_field *g = field_by_json(f->msg, name);
            if (g)
                return g;
        } else if (strcmp(f->json, name) == 0) {
            return f;
        }
    }
    return NULL;
}

/* --- the table --- */

static void
test_table_sorted_and_linked(void **state)
{
    (void)state;
    assert_true(kc_k8sproto_gen_nmsgs > 500);
    for (size_t i = 0; i < kc_k8sproto_gen_nmsgs; i++) {
        const struct kc_k8sproto_msg *m = &kc_k8sproto_gen_msgs[i];
        if (i > 0)
            assert_true(strcmp(kc_k8sproto_gen_msgs[i - 1].name, m->name) < 0);
        assert_ptr_equal(kc_k8sproto_find(m->name), m);
        for (size_t j = 0; j < m->nfields; j++) {
            const struct kc_k8sproto_field *f = &m->fields[j];
            if (j > 0)
                assert_true(m->fields[j - 1].number < f->number);
            assert_ptr_equal(kc_k8sproto_field_find(m, f->number), f);
            assert_non_null(f->json);
            assert_true((f->type == KC_K8SPROTO_MESSAGE) == (f->msg != NULL));
            if (f->flags & KC_K8SPROTO_F_MAP) {
                assert_true(f->flags & KC_K8SPROTO_F_REPEATED);
                assert_int_equal(f->msg->special, KC_K8SPROTO_SP_MAP_ENTRY);
            }
            if (f->flags & KC_K8SPROTO_F_REPEATED)
                assert_false(f->flags & KC_K8SPROTO_F_NULLABLE);
        }
    }
    assert_null(kc_k8sproto_find(NULL));
    assert_null(kc_k8sproto_find("k8s.io.api.core.v1.NoSuchThing"));
    assert_null(kc_k8sproto_field_find(NULL, 1));
}

/* The numbers ../shared/KUBE_API_NOTES.md quotes, and a few every body uses. */
static void
test_table_known_numbers(void **state)
{
    (void)state;
    static const struct {
        const char *msg, *json;
        uint32_t number;
        uint8_t flags;
    } cases[] = {
        { META "ObjectMeta", "name", 1, 0 },
        { META "ObjectMeta", "generateName", 2, 0 },
        { META "ObjectMeta", "namespace", 3, 0 },
        { META "ObjectMeta", "labels", 11, KC_K8SPROTO_F_REPEATED | KC_K8SPROTO_F_MAP },
        { META "ObjectMeta", "annotations", 12, KC_K8SPROTO_F_REPEATED | KC_K8SPROTO_F_MAP },
        { META "ObjectMeta", "deletionGracePeriodSeconds", 10, KC_K8SPROTO_F_NULLABLE },
        { CORE "ConfigMap", "data", 2, KC_K8SPROTO_F_REPEATED | KC_K8SPROTO_F_MAP },
        { APPS "DeploymentSpec", "replicas", 1, KC_K8SPROTO_F_NULLABLE },
        { CORE "Volume", "volumeSource", 2, KC_K8SPROTO_F_INLINE },
        { CORE "Probe", "handler", 1, KC_K8SPROTO_F_INLINE },
        { "k8s.io.api.networking.v1.IngressClassParametersReference", "apiGroup", 1, KC_K8SPROTO_F_NULLABLE },
        { "k8s.io.api.authentication.v1.BoundObjectReference", "uid", 4, 0 },
        { "k8s.io.apimachinery.pkg.runtime.Unknown", "raw", 2, KC_K8SPROTO_F_NULLABLE }, /* []byte */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct kc_k8sproto_field *f = kc_k8sproto_field_find(kc_k8sproto_find(cases[i].msg), cases[i].number);
        assert_non_null(f);
        assert_string_equal(f->json, cases[i].json);
        assert_int_equal(f->flags, cases[i].flags);
    }
    assert_int_equal(kc_k8sproto_find(META "Time")->special, KC_K8SPROTO_SP_TIME);
    assert_int_equal(kc_k8sproto_find(META "Verbs")->special, KC_K8SPROTO_SP_SLICE);
    assert_int_equal(kc_k8sproto_find("k8s.io.api.authentication.v1.ExtraValue")->special, KC_K8SPROTO_SP_SLICE);
    assert_int_equal(kc_k8sproto_find("k8s.io.apimachinery.pkg.util.intstr.IntOrString")->special,
                     KC_K8SPROTO_SP_INTORSTRING);
}

/* Every JSON name of every message that has an OpenAPI schema is one of its properties, and every property
 * but apiVersion/kind has a field: the same check the generator does, here against the compiled kc_schema. */
static void
test_table_matches_schema(void **state)
{
    (void)state;
    size_t checked = 0;
    for (size_t i = 0; i < kc_k8sproto_gen_nmsgs; i++) {
        const struct kc_k8sproto_msg *m = &kc_k8sproto_gen_msgs[i];
        char oname[300];
        snprintf(oname, sizeof(oname), "io.k8s.%s", m->name + 7);
        const struct kc_schema *s = kc_schema_find(oname);
        if (!s || s->type != KC_SCHEMA_OBJECT || m->special != KC_K8SPROTO_SP_NONE)
            continue;
        checked++;
        for (size_t p = 0; p < s->nprops; p++) {
            const char *pn = s->props[p].name;
            if (strcmp(pn, "apiVersion") == 0 || strcmp(pn, "kind") == 0)
                continue;
            if (!field_by_json(m, pn))
                print_error("%s: property %s has no field\n", m->name, pn);
            assert_non_null(field_by_json(m, pn));
        }
        for (size_t j = 0; j < m->nfields; j++) {
            const struct kc_k8sproto_field *f = &m->fields[j];
            if (!(f->flags & KC_K8SPROTO_F_INLINE) && !kc_schema_prop_find(s, f->json))
                print_error("%s: field %s is no property\n", m->name, f->json);
            assert_true((f->flags & KC_K8SPROTO_F_INLINE) || kc_schema_prop_find(s, f->json));
        }
    }
    assert_true(checked > 400);
}

static void
test_find_kind(void **state)
{
    (void)state;
    static const struct {
        const char *av, *kind, *msg;
    } cases[] = {
        { "v1", "ConfigMap", CORE "ConfigMap" },
        { "v1", "Namespace", CORE "Namespace" },
        { "apps/v1", "Deployment", APPS "Deployment" },
        { "batch/v1", "CronJob", "k8s.io.api.batch.v1.CronJob" },
        { "networking.k8s.io/v1", "Ingress", "k8s.io.api.networking.v1.Ingress" },
        { "rbac.authorization.k8s.io/v1", "Role", "k8s.io.api.rbac.v1.Role" },
        { "authorization.k8s.io/v1", "SelfSubjectAccessReview", "k8s.io.api.authorization.v1.SelfSubjectAccessReview" },
        { "authentication.k8s.io/v1", "SelfSubjectReview", "k8s.io.api.authentication.v1.SelfSubjectReview" },
        { "authentication.k8s.io/v1", "TokenRequest", "k8s.io.api.authentication.v1.TokenRequest" },
        { "policy/v1", "Eviction", "k8s.io.api.policy.v1.Eviction" },
        { "autoscaling/v2", "HorizontalPodAutoscaler", "k8s.io.api.autoscaling.v2.HorizontalPodAutoscaler" },
        { "apps/v1", "DeleteOptions", META "DeleteOptions" },
        { "v1", "DeleteOptions", META "DeleteOptions" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct kc_k8sproto_msg *m = kc_k8sproto_find_kind(cases[i].av, cases[i].kind);
        if (!m)
            print_error("%s %s not found\n", cases[i].av, cases[i].kind);
        assert_non_null(m);
        assert_string_equal(m->name, cases[i].msg);
    }
    assert_null(kc_k8sproto_find_kind("scheduling.k8s.io/v1", "PriorityClass"));
    assert_null(kc_k8sproto_find_kind("example.com/v1", "Foo"));
    assert_null(kc_k8sproto_find_kind("v1", "Deployment"));
    assert_null(kc_k8sproto_find_kind(NULL, "Pod"));
    assert_null(kc_k8sproto_find_kind("v1", NULL));
}

static void
test_media_type(void **state)
{
    (void)state;
    assert_true(kc_k8sproto_is_media_type("application/vnd.kubernetes.protobuf"));
    assert_true(kc_k8sproto_is_media_type("Application/VND.Kubernetes.Protobuf ; charset=x"));
    assert_true(kc_k8sproto_is_media_type(" application/vnd.kubernetes.protobuf;stream=watch"));
    assert_false(kc_k8sproto_is_media_type("application/vnd.kubernetes.protobuf2"));
    assert_false(kc_k8sproto_is_media_type("application/json"));
    assert_false(kc_k8sproto_is_media_type(""));
    assert_false(kc_k8sproto_is_media_type(NULL));
}

/* --- real kubectl bodies --- */

static char *
read_data(const char *name, size_t *len)
{
    const char *dir = getenv("K8C_TEST_DATA");
    char path[1024];
    assert_non_null(dir);
    snprintf(path, sizeof(path), "%s/proto/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *b = malloc(1 << 20);
    assert_non_null(b);
    *len = fread(b, 1, (1 << 20) - 1, f);
    b[*len] = '\0';
    fclose(f);
    return b;
}

/* Removes from an object of message m what a protobuf body cannot say apart from absence: nulls, and zero
 * values ("", 0, false, {}) of value (non-pointer) fields; recursing into messages, lists of them and maps. */
static void
normalize(json_t *v, const struct kc_k8sproto_msg *m)
{
    const char *k;
    json_t *x;
    void *tmp;
    if (!json_is_object(v) || !m || m->special != KC_K8SPROTO_SP_NONE)
        return;
    json_object_foreach_safe(v, tmp, k, x)
    {
        const struct kc_k8sproto_field *f = field_by_json(m, k);
        if (!f)
            continue; /* apiVersion, kind */
        if (f->flags & KC_K8SPROTO_F_MAP) {
            continue;
        } else if (f->flags & KC_K8SPROTO_F_REPEATED) {
            size_t i;
            json_t *e;
            json_array_foreach(x, i, e) normalize(e, f->msg);
            continue;
        }
        normalize(x, f->msg);
        bool zero = json_is_null(x) || (json_is_string(x) && json_string_length(x) == 0) ||
                    (json_is_integer(x) && json_integer_value(x) == 0) || json_is_false(x) ||
                    (json_is_object(x) && json_object_size(x) == 0);
        if (json_is_null(x) || (zero && !(f->flags & KC_K8SPROTO_F_NULLABLE)))
            json_object_del(v, k);
    }
}

static void
test_kubectl_bodies(void **state)
{
    (void)state;
    static const char *names[] = { "namespace", "configmap", "secret",         "service", "deployment", "job",
                                   "cronjob",   "ingress",   "serviceaccount", "quota",   "pdb" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char fn[64], err[512];
        size_t plen, jlen;
        snprintf(fn, sizeof(fn), "%s.pb", names[i]);
        char *pb = read_data(fn, &plen);
        snprintf(fn, sizeof(fn), "%s.json", names[i]);
        char *js = read_data(fn, &jlen);
        assert_non_null(pb);
        assert_non_null(js);
        json_t *want, *got = NULL;
        assert_int_equal(kc_json_parse(js, jlen, &want, err, sizeof(err)), 0);
        int rc = kc_k8sproto_decode(pb, plen, NULL, NULL, &got, err, sizeof(err));
        if (rc != 0)
            print_error("%s: %d %s\n", names[i], rc, err);
        assert_int_equal(rc, 0);
        const struct kc_k8sproto_msg *m = kc_k8sproto_find_kind(json_string_value(json_object_get(want, "apiVersion")),
                                                                json_string_value(json_object_get(want, "kind")));
        assert_non_null(m);
        normalize(want, m);
        if (!kc_json_equal(got, want)) {
            char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT),
                 *w = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
            print_error("%s:\ngot  %s\nwant %s\n", names[i], g, w);
            free(g);
            free(w);
            fail();
        }
        /* the pointer fields kubectl set to zero survive */
        if (strcmp(names[i], "deployment") == 0) {
            long long r = -1;
            assert_int_equal(kc_json_get_int(got, "spec.replicas", &r), 0);
            assert_int_equal(r, 0);
        }
        json_decref(got);
        json_decref(want);
        free(pb);
        free(js);
    }
}

static void
test_kubectl_bodies_without_dry_run(void **state)
{
    (void)state;
    size_t len;
    json_t *o = NULL;
    char err[512];
    char *pb = read_data("token.pb", &len);
    assert_non_null(pb);
    assert_int_equal(kc_k8sproto_decode(pb, len, NULL, NULL, &o, err, sizeof(err)), 0);
    /* the name is in the URL only; metadata and status are all zero values */
    assert_json(o, "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\",\"spec\":"
                   "{\"audiences\":[\"api\"],\"expirationSeconds\":3600}}");
    json_decref(o);
    free(pb);

    pb = read_data("whoami.pb", &len);
    assert_non_null(pb);
    assert_int_equal(kc_k8sproto_decode(pb, len, NULL, NULL, &o, err, sizeof(err)), 0);
    assert_json(o, "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}");
    json_decref(o);
    free(pb);

    /* scheduling.k8s.io is not served: 415 material, naming the kind */
    pb = read_data("priorityclass.pb", &len);
    assert_non_null(pb);
    o = (json_t *)0x1;
    assert_int_equal(kc_k8sproto_decode(pb, len, NULL, NULL, &o, err, sizeof(err)), KC_EUNSUPPORTED);
    assert_string_equal(err, "no protobuf schema for kind \"PriorityClass\" in version \"scheduling.k8s.io/v1\"");
    assert_ptr_equal(o, (json_t *)0x1);
    free(pb);
}

/* Every prefix of a real body either decodes (a cut between envelope fields) or fails cleanly; ASan checks
 * that no byte past the end is read. Then seeded single-byte mutations. */
static void
test_truncation_and_mutation(void **state)
{
    (void)state;
    size_t len;
    char *pb = read_data("deployment.pb", &len);
    assert_non_null(pb);
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1); /* exact size, so ASan sees overreads */
        assert_non_null(copy);
        memcpy(copy, pb, cut);
        json_t *o = NULL;
        char err[512];
        int rc = kc_k8sproto_decode(copy, cut, NULL, NULL, &o, err, sizeof(err));
        if (rc == 0)
            json_decref(o);
        else
            assert_true(rc == KC_EPARSE && err[0] != '\0');
        free(copy);
    }
    uint32_t seed = 12345;
    for (int iter = 0; iter < 20000; iter++) {
        uint8_t *copy = malloc(len);
        assert_non_null(copy);
        memcpy(copy, pb, len);
        for (int k = 0; k < 1 + iter % 3; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = 4 + (seed >> 8) % (len - 4);
            seed = seed * 1103515245u + 12345u;
            copy[at] = (uint8_t)(seed >> 16);
        }
        json_t *o = NULL;
        char err[512];
        int rc = kc_k8sproto_decode(copy, len, NULL, NULL, &o, err, sizeof(err));
        if (rc == 0)
            json_decref(o);
        else
            assert_true((rc == KC_EPARSE || rc == KC_EUNSUPPORTED) && err[0] != '\0');
        free(copy);
    }
    free(pb);
}

/* --- hand-encoded messages --- */

static void
test_envelope(void **state)
{
    (void)state;
    struct buf b = { .n = 0 }, raw = { .n = 0 }, meta = { .n = 0 };
    json_t *o = NULL;
    char err[256];

    f_str(&meta, 1, "cm");
    f_msg(&raw, 1, &meta);
    f_entry(&raw, 2, "a", "b");
    envelope(&b, "v1", "ConfigMap", &raw);
    decode_ok(&b,
              "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\"},\"data\":{\"a\":\"b\"}}");

    /* no TypeMeta: the defaults fill in, as the API server fills them from the URL */
    envelope(&b, NULL, NULL, &raw);
    assert_int_equal(kc_k8sproto_decode(b.b, b.n, "v1", "ConfigMap", &o, err, sizeof(err)), 0);
    assert_json(o,
                "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\"},\"data\":{\"a\":\"b\"}}");
    json_decref(o);
    decode_fails(&b, KC_EPARSE, "Object 'Kind' is missing");
    envelope(&b, NULL, "ConfigMap", &raw);
    decode_fails(&b, KC_EPARSE, "Object 'apiVersion' is missing");
    /* the envelope's kind wins over the default */
    envelope(&b, "v1", "Secret", &raw);
    assert_int_equal(kc_k8sproto_decode(b.b, b.n, "v1", "ConfigMap", &o, err, sizeof(err)), 0);
    assert_string_equal(json_string_value(json_object_get(o, "kind")), "Secret");
    json_decref(o);

    /* no raw: an empty object; contentEncoding/contentType and unknown envelope fields are ignored */
    envelope(&b, "v1", "Namespace", NULL);
    f_str(&b, 3, "gzip");
    f_str(&b, 4, "application/vnd.kubernetes.protobuf");
    f_varint(&b, 9, 7);
    decode_ok(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\"}");

    struct buf bad = { .n = 0 };
    decode_fails(&bad, KC_EPARSE, "empty data");
    put(&bad, "k8s", 3);
    decode_fails(&bad, KC_EPARSE, "expected prefix [107 56 115 0]");
    put(&bad, "\0", 1);
    decode_fails(&bad, KC_EPARSE, "empty body");
    bad.n = 0;
    put(&bad, "{\"kind\":\"Pod\"}", 14);
    decode_fails(&bad, KC_EPARSE, "does not appear to be a protobuf message");

    envelope(&b, "example.com/v1", "Widget", &raw);
    decode_fails(&b, KC_EUNSUPPORTED, "no protobuf schema for kind \"Widget\" in version \"example.com/v1\"");
    envelope(&b, "v1", "Time", &raw); /* not a kind */
    decode_fails(&b, KC_EUNSUPPORTED, "kind \"Time\"");
    envelope(&b, "v1", "Con\xff", &raw);
    decode_fails(&b, KC_EPARSE, "kind is not a valid name");
    char longname[300];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    envelope(&b, longname, "ConfigMap", &raw);
    decode_fails(&b, KC_EPARSE, "apiVersion longer than 255 bytes");
    /* TypeMeta's strings with the wrong wire type */
    b.n = 0;
    put(&b, "k8s\0", 4);
    struct buf tm = { .n = 0 };
    f_varint(&tm, 2, 5);
    f_msg(&b, 1, &tm);
    decode_fails(&b, KC_EPARSE, "typeMeta.kind: wrong wire type 0");

    assert_int_equal(kc_k8sproto_decode(NULL, 0, NULL, NULL, &o, NULL, 0), KC_EPARSE);
}

/* Value fields holding zero are left out, pointer fields kept; empty value messages left out, empty pointer
 * messages kept; last scalar wins; messages given twice merge. */
static void
test_zero_values_and_merging(void **state)
{
    (void)state;
    struct buf b = { .n = 0 }, raw = { .n = 0 }, meta = { .n = 0 }, spec = { .n = 0 }, strat = { .n = 0 },
               tmpl = { .n = 0 }, pspec = { .n = 0 }, sc = { .n = 0 }, ts = { .n = 0 };
    f_str(&meta, 1, "first");
    f_str(&meta, 2, "");    /* generateName "" */
    f_varint(&meta, 7, 0);  /* generation 0 */
    f_msg(&meta, 8, &ts);   /* creationTimestamp: empty = zero time */
    f_varint(&meta, 10, 0); /* deletionGracePeriodSeconds: a pointer, 0 kept */
    f_msg(&raw, 1, &meta);
    meta.n = 0;
    f_str(&meta, 1, "web"); /* the second metadata merges: name replaced, labels added */
    f_entry(&meta, 11, "app", "web");
    f_msg(&raw, 1, &meta);
    f_varint(&spec, 1, 0);   /* replicas: pointer, 0 kept */
    f_msg(&spec, 4, &strat); /* strategy: value struct, empty, left out */
    f_varint(&spec, 5, 0);   /* minReadySeconds 0: left out */
    f_varint(&spec, 6, 0);   /* revisionHistoryLimit: pointer, kept */
    f_varint(&spec, 7, 0);   /* paused false: left out */
    f_msg(&pspec, 14, &sc);  /* securityContext: pointer to an empty struct, kept */
    f_msg(&tmpl, 2, &pspec);
    f_msg(&spec, 3, &tmpl);
    f_msg(&raw, 2, &spec);
    envelope(&b, "apps/v1", "Deployment", &raw);
    decode_ok(&b, "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\","
                  "\"deletionGracePeriodSeconds\":0,\"labels\":{\"app\":\"web\"}},\"spec\":{\"replicas\":0,"
                  "\"revisionHistoryLimit\":0,\"template\":{\"spec\":{\"securityContext\":{}}}}}");

    /* a non-zero value then a zero one: the zero one wins and the field goes */
    raw.n = meta.n = 0;
    f_str(&meta, 1, "x");
    f_varint(&meta, 7, 5);
    f_varint(&meta, 7, 0);
    f_msg(&raw, 1, &meta);
    envelope(&b, "v1", "ConfigMap", &raw);
    decode_ok(&b, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"}}");
}

static void
test_maps_and_lists(void **state)
{
    (void)state;
    struct buf b = { .n = 0 }, raw = { .n = 0 }, e = { .n = 0 };
    f_entry(&raw, 2, "k", NULL); /* no value: "" */
    f_entry(&raw, 2, NULL, "v"); /* no key: "" */
    f_entry(&raw, 2, "dup", "one");
    f_entry(&raw, 2, "dup", "two"); /* the last wins */
    f_str(&e, 1, "z");
    f_varint(&e, 7, 1); /* an unknown field inside an entry */
    f_str(&e, 2, "zv");
    f_msg(&raw, 2, &e);
    f_varint(&raw, 4, 1); /* immutable: pointer bool */
    envelope(&b, "v1", "ConfigMap", &raw);
    decode_ok(&b, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"data\":{\"k\":\"\",\"\":\"v\",\"dup\":\"two\","
                  "\"z\":\"zv\"},\"immutable\":true}");

    /* Secret.data: map of bytes, base64; an empty value is "" */
    raw.n = e.n = 0;
    f_str(&e, 1, "bin");
    f_bytes(&e, 2, "\x00\xff\x10", 3);
    f_msg(&raw, 2, &e);
    e.n = 0;
    f_str(&e, 1, "empty");
    f_msg(&raw, 2, &e);
    f_str(&raw, 3, "Opaque");
    envelope(&b, "v1", "Secret", &raw);
    decode_ok(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"data\":{\"bin\":\"AP8Q\",\"empty\":\"\"},"
                  "\"type\":\"Opaque\"}");

    /* Namespace spec.finalizers: repeated strings, elements kept even when empty */
    struct buf spec = { .n = 0 };
    raw.n = 0;
    f_str(&spec, 1, "kubernetes");
    f_str(&spec, 1, "");
    f_msg(&raw, 2, &spec);
    envelope(&b, "v1", "Namespace", &raw);
    decode_ok(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"spec\":{\"finalizers\":[\"kubernetes\",\"\"]}}");

    /* repeated int32, packed and not, mixed */
    struct buf m = { .n = 0 }, packed = { .n = 0 };
    f_varint(&m, 1, 80);
    varint(&packed, 443);
    varint(&packed, 0);
    varint(&packed, (uint64_t)-1); /* int32 -1 is sent as a 10-byte varint */
    f_bytes(&m, 1, packed.b, packed.n);
    f_bytes(&m, 1, "", 0); /* an empty packed run adds nothing */
    message_ok(CORE "PodPortForwardOptions", &m, "{\"ports\":[80,443,0,-1]}");
    m.n = 0;
    f_bytes(&m, 1, "", 0);
    message_ok(CORE "PodPortForwardOptions", &m, "{}");
    m.n = 0;
    f_bytes(&m, 1, "\x80", 1); /* a truncated varint inside the packed run */
    message_fails(CORE "PodPortForwardOptions", &m, "ports: truncated varint");

    /* map of messages: ResourceQuotaSpec.hard is map<string, Quantity> */
    struct buf q = { .n = 0 };
    m.n = e.n = 0;
    f_str(&q, 1, "1Gi");
    f_str(&e, 1, "memory");
    f_msg(&e, 2, &q);
    f_msg(&m, 1, &e);
    e.n = 0;
    f_str(&e, 1, "pods");
    f_msg(&m, 1, &e); /* no value: the zero Quantity, "0" */
    message_ok(CORE "ResourceQuotaSpec", &m, "{\"hard\":{\"memory\":\"1Gi\",\"pods\":\"0\"}}");
}

static void
test_special_types(void **state)
{
    (void)state;
    struct buf m = { .n = 0 };
    /* Time: seconds only (nanos dropped as Go drops them) */
    f_varint(&m, 1, 1704164645);
    f_varint(&m, 2, 999);
    message_ok(META "Time", &m, "\"2024-01-02T03:04:05Z\"");
    m.n = 0;
    message_ok(META "Time", &m, "null");
    f_varint(&m, 1, 0); /* the epoch is not the zero time */
    message_ok(META "Time", &m, "\"1970-01-01T00:00:00Z\"");
    m.n = 0;
    f_varint(&m, 1, (uint64_t)-62135596800LL); /* 0001-01-01: Go's zero time */
    message_ok(META "Time", &m, "null");
    m.n = 0;
    f_varint(&m, 1, 253402300800ULL);
    message_fails(META "Time", &m, "outside years 1-9999");
    m.n = 0;
    f_fixed(&m, 1, 5, 8);
    message_fails(META "Time", &m, "seconds: wrong wire type 1");

    /* MicroTime: microseconds, nanos normalised like time.Unix */
    m.n = 0;
    f_varint(&m, 1, 1704164645);
    f_varint(&m, 2, 123456789);
    message_ok(META "MicroTime", &m, "\"2024-01-02T03:04:05.123456Z\"");
    m.n = 0;
    f_varint(&m, 1, 1704164645);
    f_varint(&m, 2, (uint64_t)(int64_t)-1000); /* -1µs */
    message_ok(META "MicroTime", &m, "\"2024-01-02T03:04:04.999999Z\"");
    m.n = 0;
    f_varint(&m, 1, 1704164645);
    f_varint(&m, 2, 2500000000u); /* as int32: -1794967296 ns */
    message_ok(META "MicroTime", &m, "\"2024-01-02T03:04:03.205032Z\"");

    /* Duration: Go's String() */
    static const struct {
        int64_t ns;
        const char *s;
    } durs[] = {
        { 0, "\"0s\"" },
        { 1, "\"1ns\"" },
        { 1500, "\"1.5\xc2\xb5s\"" },
        { 2000000, "\"2ms\"" },
        { 1500000000, "\"1.5s\"" },
        { 60000000000LL, "\"1m0s\"" },
        { 3723000000000LL, "\"1h2m3s\"" },
        { -90000000000LL, "\"-1m30s\"" },
        { 3600000000001LL, "\"1h0m0.000000001s\"" },
        { INT64_MIN, "\"-2562047h47m16.854775808s\"" },
        { INT64_MAX, "\"2562047h47m16.854775807s\"" },
    };
    for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
        m.n = 0;
        f_varint(&m, 1, (uint64_t)durs[i].ns);
        message_ok(META "Duration", &m, durs[i].s);
    }

    /* IntOrString */
    const char *ios = "k8s.io.apimachinery.pkg.util.intstr.IntOrString";
    m.n = 0;
    f_varint(&m, 2, 8080);
    message_ok(ios, &m, "8080");
    m.n = 0;
    f_varint(&m, 1, 1);
    f_str(&m, 3, "http");
    message_ok(ios, &m, "\"http\"");
    m.n = 0;
    f_varint(&m, 1, 1);
    message_ok(ios, &m, "\"\"");
    m.n = 0;
    f_varint(&m, 1, 2);
    message_fails(ios, &m, "invalid IntOrString type 2");

    /* Quantity and QuantityValue */
    m.n = 0;
    f_str(&m, 1, "100m");
    message_ok("k8s.io.apimachinery.pkg.api.resource.Quantity", &m, "\"100m\"");
    message_ok("k8s.io.apimachinery.pkg.api.resource.QuantityValue", &m, "\"100m\"");

    /* FieldsV1 and RawExtension: embedded JSON */
    m.n = 0;
    f_str(&m, 1, "{\"f:data\":{\".\":{}}}");
    message_ok(META "FieldsV1", &m, "{\"f:data\":{\".\":{}}}");
    m.n = 0;
    message_ok("k8s.io.apimachinery.pkg.runtime.RawExtension", &m, "null");
    f_str(&m, 1, "[1,2]");
    message_ok("k8s.io.apimachinery.pkg.runtime.RawExtension", &m, "[1,2]");
    m.n = 0;
    f_str(&m, 1, "{nope");
    message_fails("k8s.io.apimachinery.pkg.runtime.RawExtension", &m, "neither JSON nor a protobuf envelope");

    /* slice wrappers: UserInfo.extra is map<string, ExtraValue> */
    struct buf e = { .n = 0 }, ev = { .n = 0 };
    m.n = 0;
    f_str(&ev, 1, "a");
    f_str(&ev, 1, "b");
    f_str(&e, 1, "scopes");
    f_msg(&e, 2, &ev);
    f_str(&m, 1, "alice");
    f_msg(&m, 4, &e);
    e.n = 0;
    f_str(&e, 1, "none");
    f_msg(&m, 4, &e);
    message_ok("k8s.io.api.authentication.v1.UserInfo", &m,
               "{\"username\":\"alice\",\"extra\":{\"scopes\":[\"a\",\"b\"],\"none\":[]}}");
}

/* IntOrString, Time and embedded objects as fields of kinds. */
static void
test_special_fields(void **state)
{
    (void)state;
    struct buf b = { .n = 0 }, raw = { .n = 0 }, spec = { .n = 0 }, port = { .n = 0 }, ios = { .n = 0 };
    /* ServicePort.targetPort: a value IntOrString; 0 is left out, 8080 and "http" kept */
    f_str(&port, 1, "a");
    f_varint(&port, 3, 80);
    f_msg(&port, 4, &ios); /* empty: int 0 */
    f_msg(&spec, 1, &port);
    port.n = ios.n = 0;
    f_varint(&port, 3, 81);
    f_varint(&ios, 2, 8080);
    f_msg(&port, 4, &ios);
    f_msg(&spec, 1, &port);
    port.n = ios.n = 0;
    f_varint(&port, 3, 82);
    f_varint(&ios, 1, 1);
    f_str(&ios, 3, "http");
    f_msg(&port, 4, &ios);
    f_msg(&spec, 1, &port);
    f_msg(&raw, 2, &spec);
    envelope(&b, "v1", "Service", &raw);
    decode_ok(&b, "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"spec\":{\"ports\":[{\"name\":\"a\",\"port\":80},"
                  "{\"port\":81,\"targetPort\":8080},{\"port\":82,\"targetPort\":\"http\"}]}}");

    /* RollingUpdateDeployment.maxSurge is a pointer: an explicit 0 is kept */
    struct buf ru = { .n = 0 }, strat = { .n = 0 };
    raw.n = spec.n = ios.n = 0;
    f_msg(&ru, 2, &ios);
    f_str(&strat, 1, "RollingUpdate");
    f_msg(&strat, 2, &ru);
    f_msg(&spec, 4, &strat);
    f_msg(&raw, 2, &spec);
    envelope(&b, "apps/v1", "Deployment", &raw);
    decode_ok(&b, "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":{\"strategy\":"
                  "{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":0}}}}");

    /* ControllerRevision.data: RawExtension holding JSON, then holding an envelope of its own */
    struct buf data = { .n = 0 }, inner = { .n = 0 }, env = { .n = 0 }, meta = { .n = 0 };
    raw.n = 0;
    f_str(&data, 1, "{\"spec\":{\"x\":1}}");
    f_msg(&raw, 2, &data);
    f_varint(&raw, 3, 4);
    envelope(&b, "apps/v1", "ControllerRevision", &raw);
    decode_ok(&b, "{\"apiVersion\":\"apps/v1\",\"kind\":\"ControllerRevision\",\"data\":{\"spec\":{\"x\":1}},"
                  "\"revision\":4}");
    f_str(&meta, 1, "cm");
    f_msg(&inner, 1, &meta);
    envelope(&env, "v1", "ConfigMap", &inner);
    raw.n = data.n = 0;
    f_msg(&data, 1, &env);
    f_msg(&raw, 2, &data);
    envelope(&b, "apps/v1", "ControllerRevision", &raw);
    decode_ok(&b, "{\"apiVersion\":\"apps/v1\",\"kind\":\"ControllerRevision\",\"data\":{\"apiVersion\":\"v1\","
                  "\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\"}}}");

    /* managedFields: Time and FieldsV1 inside a repeated message */
    struct buf mf = { .n = 0 }, t = { .n = 0 }, fv = { .n = 0 };
    raw.n = meta.n = 0;
    f_str(&mf, 1, "kubectl");
    f_str(&mf, 2, "Update");
    f_varint(&t, 1, 1704164645);
    f_msg(&mf, 4, &t);
    f_str(&mf, 6, "FieldsV1");
    f_str(&fv, 1, "{\"f:data\":{}}");
    f_msg(&mf, 7, &fv);
    f_msg(&meta, 17, &mf);
    f_msg(&raw, 1, &meta);
    envelope(&b, "v1", "ConfigMap", &raw);
    decode_ok(&b, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"managedFields\":[{\"manager\":"
                  "\"kubectl\",\"operation\":\"Update\",\"time\":\"2024-01-02T03:04:05Z\",\"fieldsType\":"
                  "\"FieldsV1\",\"fieldsV1\":{\"f:data\":{}}}]}}");
}

/* Go's embedded structs are inlined; renamed fields take their JSON names. */
static void
test_inline_and_renamed(void **state)
{
    (void)state;
    struct buf vol = { .n = 0 }, src = { .n = 0 }, cm = { .n = 0 }, lor = { .n = 0 };
    f_str(&lor, 1, "settings");
    f_msg(&cm, 1, &lor);
    f_varint(&cm, 3, 0644);
    f_msg(&src, 19, &cm); /* VolumeSource.configMap */
    f_str(&vol, 1, "v");
    f_msg(&vol, 2, &src);
    message_ok(CORE "Volume", &vol, "{\"name\":\"v\",\"configMap\":{\"name\":\"settings\",\"defaultMode\":420}}");

    struct buf probe = { .n = 0 }, h = { .n = 0 }, ex = { .n = 0 };
    f_str(&ex, 1, "true");
    f_msg(&h, 1, &ex);
    f_msg(&probe, 1, &h);
    f_varint(&probe, 3, 5);
    message_ok(CORE "Probe", &probe, "{\"exec\":{\"command\":[\"true\"]},\"timeoutSeconds\":5}");

    struct buf ref = { .n = 0 };
    f_str(&ref, 4, "1234");
    message_ok("k8s.io.api.authentication.v1.BoundObjectReference", &ref, "{\"uid\":\"1234\"}");
}

static void
test_strings(void **state)
{
    (void)state;
    struct buf m = { .n = 0 };
    f_bytes(&m, 1,
            "a\xff"
            "b\xc3\xa9\xed\xa0\x80",
            8); /* a stray byte and a surrogate: one U+FFFD per byte */
    message_ok(CORE "LocalObjectReference", &m,
               "{\"name\":\"a\xef\xbf\xbd"
               "b\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"}");
    m.n = 0;
    f_bytes(&m, 1, "a\0b", 3); /* NUL kept, as JSON bodies may carry \u0000 */
    const struct kc_k8sproto_msg *lor = kc_k8sproto_find(CORE "LocalObjectReference");
    json_t *o = NULL;
    assert_int_equal(kc_k8sproto_decode_message(lor, m.b, m.n, &o, NULL, 0), 0);
    assert_int_equal(json_string_length(json_object_get(o, "name")), 3);
    json_decref(o);
}

static void
test_wire_errors(void **state)
{
    (void)state;
    struct buf m = { .n = 0 }, sub = { .n = 0 };
    const char *lor = CORE "LocalObjectReference", *om = META "ObjectMeta";

    /* unknown fields of every wire type are skipped, groups included */
    f_varint(&m, 99, 1);
    f_fixed(&m, 98, 1, 8);
    f_fixed(&m, 97, 1, 4);
    f_str(&m, 96, "x");
    key(&m, 95, 3);
    f_varint(&m, 1, 7);
    key(&m, 94, 3);
    key(&m, 94, 4);
    key(&m, 95, 4);
    f_str(&m, 1, "n");
    message_ok(lor, &m, "{\"name\":\"n\"}");

    m.n = 0;
    key(&m, 95, 3);
    f_varint(&m, 1, 7);
    message_fails(lor, &m, "unterminated group 95");
    m.n = 0;
    key(&m, 95, 3);
    key(&m, 96, 4);
    message_fails(lor, &m, "group 95 ended by end-group 96");
    m.n = 0;
    key(&m, 95, 4);
    message_fails(lor, &m, "unexpected end-group 95");
    m.n = 0;
    key(&m, 95, 6);
    message_fails(lor, &m, "illegal wire type 6 for field 95");
    m.n = 0;
    key(&m, 95, 7);
    message_fails(lor, &m, "illegal wire type 7");
    m.n = 0;
    f_varint(&m, 0, 1);
    message_fails(lor, &m, "illegal tag 0");
    m.n = 0;
    key(&m, 99, 0);
    put(&m, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11);
    message_fails(lor, &m, "varint longer than 10 bytes");
    m.n = 0;
    put(&m,
        "\x0a\x05"
        "ab",
        4);
    message_fails(lor, &m, "name: truncated length-delimited field 1 (5 bytes, 2 left");
    m.n = 0;
    put(&m, "\x0a\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10); /* a length near 2^63 */
    message_fails(lor, &m, "truncated length-delimited field 1");
    m.n = 0;
    key(&m, 99, 1); /* an unknown fixed64 cut short */
    put(&m, "\x01\x02", 2);
    message_fails(lor, &m, "truncated 8-byte fixed field");

    /* a known field with the wrong wire type, with its path */
    m.n = 0;
    f_varint(&m, 1, 3);
    message_fails(lor, &m, "name: wrong wire type 0 for field 1 (expected 2)");
    m.n = 0;
    f_varint(&sub, 1, 3);
    f_msg(&m, 11, &sub); /* a labels entry whose key is a varint */
    message_fails(om, &m, "labels: wrong wire type 0 for map entry field 1");
    m.n = sub.n = 0;
    f_str(&sub, 5, "x"); /* ManagedFieldsEntry's field 5 is retired: unknown, skipped */
    f_msg(&m, 17, &sub);
    message_ok(om, &m, "{\"managedFields\":[{}]}");
    m.n = sub.n = 0;
    f_varint(&sub, 4, 1); /* managedFields[0].time as a varint */
    f_msg(&m, 17, &sub);
    message_fails(om, &m, "managedFields.time: wrong wire type 0 for field 4 (expected 2)");

    /* decode_message argument checks */
    json_t *o = NULL;
    char err[128];
    assert_int_equal(kc_k8sproto_decode_message(NULL, "", 0, &o, err, sizeof(err)), KC_EINVALID);
    assert_int_equal(
        kc_k8sproto_decode_message(kc_k8sproto_find(META "ObjectMeta.LabelsEntry"), "", 0, &o, err, sizeof(err)),
        KC_EINVALID);
    assert_null(o);
    /* a too-small error buffer is still NUL-terminated */
    m.n = 0;
    f_varint(&m, 1, 3);
    char tiny[8];
    assert_int_equal(kc_k8sproto_decode_message(kc_k8sproto_find(lor), m.b, m.n, &o, tiny, sizeof(tiny)), KC_EPARSE);
    assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

/* Nesting deeper than KC_K8SPROTO_MAX_DEPTH fails: envelopes inside RawExtensions, and groups. */
static void
test_depth_limit(void **state)
{
    (void)state;
    static struct buf cur, next, raw, data;
    struct buf meta = { .n = 0 };
    f_str(&meta, 1, "leaf");
    raw.n = 0;
    f_msg(&raw, 1, &meta);
    envelope(&cur, "v1", "ConfigMap", &raw);
    int levels = 0;
    for (; levels < KC_K8SPROTO_MAX_DEPTH; levels++) {
        data.n = raw.n = 0;
        f_msg(&data, 1, &cur);
        f_msg(&raw, 2, &data);
        envelope(&next, "apps/v1", "ControllerRevision", &raw);
        cur = next;
        json_t *o = NULL;
        char err[256];
        int rc = kc_k8sproto_decode(cur.b, cur.n, NULL, NULL, &o, err, sizeof(err));
        if (rc != 0) {
            assert_int_equal(rc, KC_EPARSE);
            assert_non_null(strstr(err, "nested deeper than 64"));
            break;
        }
        json_decref(o);
    }
    assert_true(levels > 10 && levels < KC_K8SPROTO_MAX_DEPTH);

    struct buf g = { .n = 0 };
    for (int i = 0; i < KC_K8SPROTO_MAX_DEPTH + 2; i++)
        key(&g, 90, 3);
    for (int i = 0; i < KC_K8SPROTO_MAX_DEPTH + 2; i++)
        key(&g, 90, 4);
    message_fails(CORE "LocalObjectReference", &g, "groups nested deeper than 64");
}

/* Scalar kinds the Kubernetes table does not use, through a hand-made message. */
static void
test_all_scalar_kinds(void **state)
{
    (void)state;
    static const struct kc_k8sproto_field fields[] = {
        { 1, "d", KC_K8SPROTO_DOUBLE, KC_K8SPROTO_F_NULLABLE, NULL },
        { 2, "f", KC_K8SPROTO_FLOAT, KC_K8SPROTO_F_NULLABLE, NULL },
        { 3, "u64", KC_K8SPROTO_UINT64, KC_K8SPROTO_F_NULLABLE, NULL },
        { 4, "fx64", KC_K8SPROTO_FIXED64, KC_K8SPROTO_F_NULLABLE, NULL },
        { 5, "fx32", KC_K8SPROTO_FIXED32, KC_K8SPROTO_F_NULLABLE, NULL },
        { 6, "sfx32", KC_K8SPROTO_SFIXED32, KC_K8SPROTO_F_NULLABLE, NULL },
        { 7, "sfx64", KC_K8SPROTO_SFIXED64, KC_K8SPROTO_F_NULLABLE, NULL },
        { 8, "s32", KC_K8SPROTO_SINT32, KC_K8SPROTO_F_NULLABLE, NULL },
        { 9, "s64", KC_K8SPROTO_SINT64, KC_K8SPROTO_F_NULLABLE, NULL },
        { 10, "u32", KC_K8SPROTO_UINT32, KC_K8SPROTO_F_NULLABLE, NULL },
        { 11, "i32", KC_K8SPROTO_INT32, 0, NULL },
        { 12, "ds", KC_K8SPROTO_DOUBLE, KC_K8SPROTO_F_REPEATED, NULL },
        { 13, "b", KC_K8SPROTO_BYTES, 0, NULL },
    };
    static const struct kc_k8sproto_msg msg = { "test.Scalars", fields, 13, KC_K8SPROTO_SP_NONE };
    struct buf m = { .n = 0 }, packed = { .n = 0 };
    double dv = 1.5;
    float fv = -0.25f;
    uint64_t bits;
    uint32_t bits32;
    memcpy(&bits, &dv, sizeof(bits));
    memcpy(&bits32, &fv, sizeof(bits32));
    f_fixed(&m, 1, bits, 8);
    f_fixed(&m, 2, bits32, 4);
    f_varint(&m, 3, 1ULL << 62);
    f_fixed(&m, 4, 7, 8);
    f_fixed(&m, 5, 0xffffffffu, 4);
    f_fixed(&m, 6, 0xffffffffu, 4);
    f_fixed(&m, 7, (uint64_t)-2, 8);
    f_varint(&m, 8, 3);               /* zigzag: -2 */
    f_varint(&m, 9, 4);               /* zigzag: 2 */
    f_varint(&m, 10, 0x1ffffffffULL); /* truncated to 32 bits */
    f_varint(&m, 11, 0);              /* value field zero: left out */
    for (int i = 0; i < 2; i++) {
        uint64_t x;
        double y = i ? -2.0 : 0.5;
        memcpy(&x, &y, sizeof(x));
        for (int k = 0; k < 8; k++) {
            uint8_t c = (uint8_t)(x >> (8 * k));
            put(&packed, &c, 1);
        }
    }
    f_bytes(&m, 12, packed.b, packed.n);
    f_bytes(&m, 13, "", 0); /* empty bytes in a value field: left out */
    json_t *o = NULL;
    char err[256];
    int rc = kc_k8sproto_decode_message(&msg, m.b, m.n, &o, err, sizeof(err));
    if (rc)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_json(o, "{\"d\":1.5,\"f\":-0.25,\"u64\":4611686018427387904,\"fx64\":7,\"fx32\":4294967295,\"sfx32\":-1,"
                   "\"sfx64\":-2,\"s32\":-2,\"s64\":2,\"u32\":4294967295,\"ds\":[0.5,-2.0]}");
    json_decref(o);

    m.n = 0;
    f_varint(&m, 3, UINT64_MAX);
    o = NULL;
    assert_int_equal(kc_k8sproto_decode_message(&msg, m.b, m.n, &o, err, sizeof(err)), KC_EPARSE);
    assert_string_equal(err, "u64: value 18446744073709551615 out of range");
    m.n = 0;
    dv = 1.0 / 0.0;
    memcpy(&bits, &dv, sizeof(bits));
    f_fixed(&m, 1, bits, 8);
    assert_int_equal(kc_k8sproto_decode_message(&msg, m.b, m.n, &o, err, sizeof(err)), KC_EPARSE);
    assert_non_null(strstr(err, "non-finite"));
    assert_null(o);
}

/* Every allocation of a real decode can fail: -ENOMEM, nothing leaked (LSan), *out untouched. */
static void
test_alloc_failure(void **state)
{
    (void)state;
    size_t len;
    char *pb = read_data("deployment.pb", &len);
    assert_non_null(pb);
    json_set_alloc_funcs(kc_malloc, free);
    int failures = 0;
    for (long nth = 1; nth < 10000; nth++) {
        json_t *o = (json_t *)0x1;
        char err[256];
        kc_fault_arm(KC_FAULT_ALLOC, nth, 0, false);
        int rc = kc_k8sproto_decode(pb, len, NULL, NULL, &o, err, sizeof(err));
        long injected = kc_fault_injected(KC_FAULT_ALLOC);
        kc_fault_disarm(KC_FAULT_ALLOC);
        if (injected == 0) {
            assert_int_equal(rc, 0);
            json_decref(o);
            break;
        }
        assert_int_equal(rc, -ENOMEM);
        assert_non_null(strstr(err, "out of memory"));
        assert_ptr_equal(o, (json_t *)0x1);
        failures++;
    }
    json_set_alloc_funcs(malloc, free);
    assert_true(failures > 20);

    /* the U+FFFD copy allocates through kc_malloc too (jansson is back on malloc here) */
    struct buf m = { .n = 0 };
    f_bytes(&m, 1, "\xff", 1);
    const struct kc_k8sproto_msg *lor = kc_k8sproto_find(CORE "LocalObjectReference");
    json_t *o = NULL;
    kc_fault_arm(KC_FAULT_ALLOC, 1, 0, true);
    assert_int_equal(kc_k8sproto_decode_message(lor, m.b, m.n, &o, NULL, 0), -ENOMEM);
    kc_fault_disarm(KC_FAULT_ALLOC);
    assert_null(o);
    free(pb);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_sorted_and_linked),
        cmocka_unit_test(test_table_known_numbers),
        cmocka_unit_test(test_table_matches_schema),
        cmocka_unit_test(test_find_kind),
        cmocka_unit_test(test_media_type),
        cmocka_unit_test(test_kubectl_bodies),
        cmocka_unit_test(test_kubectl_bodies_without_dry_run),
        cmocka_unit_test(test_truncation_and_mutation),
        cmocka_unit_test(test_envelope),
        cmocka_unit_test(test_zero_values_and_merging),
        cmocka_unit_test(test_maps_and_lists),
        cmocka_unit_test(test_special_types),
        cmocka_unit_test(test_special_fields),
        cmocka_unit_test(test_inline_and_renamed),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_wire_errors),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_all_scalar_kinds),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
