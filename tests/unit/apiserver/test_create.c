/* test_create.c - creates through the REST layer (apiserver/rest.c) on an embedded store in a temp dir: names from
 * metadata.generateName as upstream's SimpleNameGenerator makes them, and upstream's RetryGenerateName (GA in
 * 1.32): a create whose generated name is taken is attempted again with a new one, up to 8 attempts, before the
 * 409 AlreadyExists reaches the client - on a worker (the store write waited for) and on the loop (the write
 * started, api_rest_finish telling the caller to run the create again). The random bytes of the names come from
 * the test, so that names collide when it wants them to. kube-apiserver's DefaultTolerationSeconds (pods) and
 * DefaultStorageClass (claims) admission plugins, and its storage's refusal of a resourceVersion on create. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_int.h"
#include "kc_error.h"
#include "kc_json.h"
#include "kvs.h"

struct env {
    char dir[64];
    struct kvs *kvs;
    struct api_server srv;
};

static struct env *E;

/* The test's random bytes: the first `zeros` calls give zeros (suffix "bbbbb"), the later ones a counter. */
static int zeros, rand_calls;

static int
test_random(unsigned char *buf, int n)
{
    rand_calls++;
    if (zeros > 0) {
        zeros--;
        memset(buf, 0, (size_t)n);
        return 1;
    }
    for (int i = 0; i < n; i++)
        buf[i] = (unsigned char)(rand_calls * 7 + i);
    return 1;
}

static void
free_reply(struct api_reply *rep)
{
    json_decref(rep->body);
    free(rep->raw);
    for (int i = 0; i < rep->nwarnings; i++)
        free(rep->warnings[i]);
    memset(rep, 0, sizeof(*rep));
}

static void
init_request(struct api_request *rq, const char *plural, const char *ns, const char *body)
{
    memset(rq, 0, sizeof(*rq));
    rq->srv = &E->srv;
    rq->res = api_resource_find("", "v1", plural);
    assert_non_null(rq->res);
    snprintf(rq->namespace, sizeof(rq->namespace), "%s", ns);
    snprintf(rq->verb, sizeof(rq->verb), "create");
    rq->body = body;
    rq->body_len = strlen(body);
    rq->content_type = "application/json";
}

/* The object a 201/200 reply carries (a new reference), or fails. */
static json_t *
reply_object(const struct api_reply *rep)
{
    if (rep->body)
        return json_incref(rep->body);
    json_t *obj = NULL;
    assert_non_null(rep->raw);
    assert_int_equal(kc_json_parse(rep->raw, rep->raw_len, &obj, NULL, 0), 0);
    return obj;
}

/* The name of the object a 201 reply carries (a static buffer), or fails. */
static const char *
created_name(const struct api_reply *rep)
{
    static char name[256];
    assert_int_equal(rep->status, 201);
    json_t *obj = reply_object(rep);
    const char *n = kc_json_get_string(obj, "metadata.name");
    assert_non_null(n);
    snprintf(name, sizeof(name), "%s", n);
    json_decref(obj);
    return name;
}

static int
setup(void **state)
{
    (void)state;
    E = calloc(1, sizeof(*E));
    snprintf(E->dir, sizeof(E->dir), "/tmp/k8c-test-create-XXXXXX");
    assert_non_null(mkdtemp(E->dir));
    struct kvs_options o;
    kvs_options_init(&o);
    o.dir = E->dir;
    o.initial_map_bytes = 1 << 20;
    assert_int_equal(kvs_open(&o, &E->kvs), 0);
    api_config_init(&E->srv.cfg);
    assert_int_equal(api_store_embedded(E->kvs, &E->srv.store), 0);
    pthread_mutex_init(&E->srv.ip_lock, NULL);
    api_name_random = test_random;
    zeros = rand_calls = 0;
    struct api_request rq;
    struct api_reply rep = { 0 };
    init_request(&rq, "namespaces", "", "{\"metadata\":{\"name\":\"ns\"}}");
    api_rest_handle(&rq, &rep);
    assert_int_equal(rep.status, 201);
    free_reply(&rep);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    api_store_close(E->srv.store);
    kvs_close(E->kvs);
    pthread_mutex_destroy(&E->srv.ip_lock);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", E->dir);
    assert_int_equal(system(cmd), 0);
    free(E);
    return 0;
}

static const char CM_GEN[] = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"generateName\":\"web-\"}}";

/* The prefix is cut to 58 bytes so that the name fits 63, whatever the kind allows; the suffix's characters come
 * from the random bytes through upstream's alphabet. */
static void
test_generate_name(void **state)
{
    (void)state;
    char out[300];
    const unsigned char zero[API_NAME_SUFFIX_LEN] = { 0 }, mix[API_NAME_SUFFIX_LEN] = { 0, 1, 26, 27, 255 };
    api_generate_name("web-", zero, out, sizeof(out));
    assert_string_equal(out, "web-bbbbb");
    api_generate_name("web-", mix, out, sizeof(out));
    assert_string_equal(out, "web-bc9bq"); /* 0 -> b, 1 -> c, 26 -> 9, 27 -> b, 255 % 27 = 12 -> q */
    char prefix[80];
    memset(prefix, 'a', sizeof(prefix) - 1);
    prefix[sizeof(prefix) - 1] = '\0';
    api_generate_name(prefix, zero, out, sizeof(out));
    assert_int_equal(strlen(out), 63);
    assert_int_equal(strspn(out, "a"), API_NAME_PREFIX_MAX);
    assert_string_equal(out + API_NAME_PREFIX_MAX, "bbbbb");
    prefix[API_NAME_PREFIX_MAX] = '\0'; /* exactly 58: kept whole */
    api_generate_name(prefix, zero, out, sizeof(out));
    assert_int_equal(strlen(out), 63);
}

/* On a worker (the write waited for): taken names are generated again, the create answers 201 with the first free
 * one; eight taken names in a row answer 409 AlreadyExists, and no ninth is tried; a dry run finds names taken as
 * well. A name the client gave is never retried. */
static void
test_retry_generated_name_sync(void **state)
{
    (void)state;
    struct api_request rq;
    struct api_reply rep = { 0 };
    zeros = 1;
    init_request(&rq, "configmaps", "ns", CM_GEN);
    api_rest_handle(&rq, &rep);
    assert_string_equal(created_name(&rep), "web-bbbbb");
    free_reply(&rep);

    zeros = 3;
    rand_calls = 0;
    init_request(&rq, "configmaps", "ns", CM_GEN);
    api_rest_handle(&rq, &rep);
    const char *name = created_name(&rep);
    assert_string_not_equal(name, "web-bbbbb");
    assert_int_equal(strncmp(name, "web-", 4), 0);
    assert_int_equal(rand_calls, 4);
    assert_string_equal(rq.name, name);
    free_reply(&rep);

    zeros = 100;
    rand_calls = 0;
    init_request(&rq, "configmaps", "ns", CM_GEN);
    api_rest_handle(&rq, &rep);
    assert_int_equal(rep.status, 409);
    assert_string_equal(json_string_value(json_object_get(rep.body, "reason")), "AlreadyExists");
    assert_string_equal(json_string_value(json_object_get(rep.body, "message")),
                        "configmaps \"web-bbbbb\" already exists");
    assert_int_equal(rand_calls, API_NAME_ATTEMPTS);
    free_reply(&rep);

    /* a dry run finds the name taken too (upstream's DryRunnableStorage.Create), so it also generates again */
    zeros = 1;
    rand_calls = 0;
    init_request(&rq, "configmaps", "ns", CM_GEN);
    rq.dry_run = "All";
    api_rest_handle(&rq, &rep);
    char dry[256];
    snprintf(dry, sizeof(dry), "%s", created_name(&rep));
    assert_string_not_equal(dry, "web-bbbbb");
    assert_int_equal(rand_calls, 2);
    free_reply(&rep);
    init_request(&rq, "configmaps", "ns", ""); /* and nothing was stored */
    snprintf(rq.verb, sizeof(rq.verb), "get");
    snprintf(rq.name, sizeof(rq.name), "%s", dry);
    rq.body = NULL;
    rq.body_len = 0;
    api_rest_handle(&rq, &rep);
    assert_int_equal(rep.status, 404);
    free_reply(&rep);
    init_request(&rq, "configmaps", "ns", "{\"metadata\":{\"name\":\"web-bbbbb\"}}");
    rq.dry_run = "All";
    api_rest_handle(&rq, &rep);
    assert_int_equal(rep.status, 409);
    free_reply(&rep);

    rand_calls = 0;
    init_request(&rq, "configmaps", "ns",
                 "{\"metadata\":{\"name\":\"web-bbbbb\",\"generateName\":\"web-\"}}"); /* named: no retry */
    api_rest_handle(&rq, &rep);
    assert_int_equal(rep.status, 409);
    assert_int_equal(rand_calls, 0);
    free_reply(&rep);
}

static sem_t committed;

static void
on_committed(void *arg)
{
    (void)arg;
    sem_post(&committed);
}

/* One create as server.c runs it on the loop: started, then finished once committed; api_rest_finish asks for
 * another attempt while the generated names are taken, without replying. Returns the attempts run. */
static int
create_on_loop(struct api_request *rq, struct api_reply *rep)
{
    int runs = 0;
    for (;;) {
        rq->async_done = on_committed;
        api_rest_handle(rq, rep);
        runs++;
        if (!rq->pending)
            return runs;
        sem_wait(&committed);
        if (!api_rest_finish(rq, rep))
            return runs;
        assert_int_equal(rep->status, 0); /* no reply yet */
        assert_null(rep->body);
        assert_string_equal(rq->name, ""); /* the next attempt generates its own */
    }
}

/* On the loop (the write started, finished when committed): the same retries through api_rest_finish. */
static void
test_retry_generated_name_on_loop(void **state)
{
    (void)state;
    sem_init(&committed, 0, 0);
    struct api_request rq;
    struct api_reply rep = { 0 };
    zeros = 1;
    init_request(&rq, "configmaps", "ns", CM_GEN);
    assert_true(api_rest_on_loop(&rq));
    assert_int_equal(create_on_loop(&rq, &rep), 1);
    assert_string_equal(created_name(&rep), "web-bbbbb");
    free_reply(&rep);

    zeros = 2;
    rand_calls = 0;
    init_request(&rq, "configmaps", "ns", CM_GEN);
    assert_int_equal(create_on_loop(&rq, &rep), 3);
    assert_string_not_equal(created_name(&rep), "web-bbbbb");
    assert_int_equal(rand_calls, 3);
    free_reply(&rep);

    zeros = 100;
    rand_calls = 0;
    init_request(&rq, "configmaps", "ns", CM_GEN);
    assert_int_equal(create_on_loop(&rq, &rep), API_NAME_ATTEMPTS);
    assert_int_equal(rep.status, 409);
    assert_string_equal(json_string_value(json_object_get(rep.body, "reason")), "AlreadyExists");
    assert_int_equal(rand_calls, API_NAME_ATTEMPTS);
    free_reply(&rep);
    sem_destroy(&committed);
}

/* Creates (or with verb "update", replaces) pod `name` in ns from body; returns the stored object. */
static json_t *
write_pod(const char *verb, const char *name, const char *body, int want)
{
    struct api_request rq;
    struct api_reply rep = { 0 };
    init_request(&rq, "pods", "ns", body);
    snprintf(rq.verb, sizeof(rq.verb), "%s", verb);
    if (strcmp(verb, "update") == 0)
        snprintf(rq.name, sizeof(rq.name), "%s", name);
    api_rest_handle(&rq, &rep);
    if (rep.status != want) {
        char *t = rep.body ? json_dumps(rep.body, JSON_COMPACT) : NULL;
        print_error("%s %s: status %d, want %d: %s\n", verb, name, rep.status, want, t ? t : "");
        free(t);
        fail();
    }
    json_t *obj = reply_object(&rep);
    free_reply(&rep);
    return obj;
}

#define NOT_READY(s)                 \
    "{\"key\":\"node.kubernetes.io/" \
    "not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":" s "}"
#define UNREACHABLE(s)               \
    "{\"key\":\"node.kubernetes.io/" \
    "unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":" s "}"

static void
expect_tolerations(const json_t *pod, const char *want)
{
    char *got = json_dumps(kc_json_get(pod, "spec.tolerations"), JSON_COMPACT | JSON_ENCODE_ANY);
    if (!got || strcmp(got, want) != 0) {
        print_error("tolerations: got %s\n  want %s\n", got ? got : "(none)", want);
        free(got);
        fail();
    }
    free(got);
}

/* kube-apiserver's DefaultTolerationSeconds admission: pods that tolerate neither NoExecute taint of a node that is
 * not ready or unreachable get a toleration of each (300 s, or the flags' values), in Go's member order; a
 * toleration of every key or every effect counts, one of another effect does not; the additions are nobody's in
 * managedFields; an update through the main endpoint adds them again. */
static void
test_default_tolerations(void **state)
{
    (void)state;
    static const char spec[] = "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]";
    char body[1024];
    snprintf(body, sizeof(body), "{\"metadata\":{\"name\":\"p1\"},%s}}", spec);
    json_t *p = write_pod("create", "p1", body, 201);
    expect_tolerations(p, "[" NOT_READY("300") "," UNREACHABLE("300") "]");
    char *mf = json_dumps(kc_json_get(p, "metadata.managedFields"), JSON_COMPACT);
    assert_non_null(mf);
    assert_null(strstr(mf, "f:tolerations"));
    assert_non_null(strstr(mf, "f:containers"));
    free(mf);
    json_decref(p);

    /* every key and effect (operator Exists): nothing to add */
    snprintf(body, sizeof(body), "{\"metadata\":{\"name\":\"p2\"},%s,\"tolerations\":[{\"operator\":\"Exists\"}]}}",
             spec);
    p = write_pod("create", "p2", body, 201);
    expect_tolerations(p, "[{\"operator\":\"Exists\"}]");
    json_decref(p);

    /* not-ready tolerated already (its seconds kept); unreachable only for NoSchedule, which does not count */
    snprintf(
        body, sizeof(body),
        "{\"metadata\":{\"name\":\"p3\"},%s,\"tolerations\":[" NOT_READY(
            "60") ","
                  "{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]}}",
        spec);
    p = write_pod("create", "p3", body, 201);
    expect_tolerations(p, "[" NOT_READY("60") ",{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\","
                                              "\"effect\":\"NoSchedule\"}," UNREACHABLE("300") "]");
    json_decref(p);

    /* every effect of the not-ready key (no effect given) */
    snprintf(body, sizeof(body),
             "{\"metadata\":{\"name\":\"p4\"},%s,\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\","
             "\"operator\":\"Exists\"}]}}",
             spec);
    p = write_pod("create", "p4", body, 201);
    expect_tolerations(p,
                       "[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\"}," UNREACHABLE("300") "]");
    json_decref(p);

    /* the flags' values */
    E->srv.cfg.default_not_ready_toleration_s = 45;
    E->srv.cfg.default_unreachable_toleration_s = 90;
    snprintf(body, sizeof(body), "{\"metadata\":{\"name\":\"p5\"},%s}}", spec);
    p = write_pod("create", "p5", body, 201);
    expect_tolerations(p, "[" NOT_READY("45") "," UNREACHABLE("90") "]");
    json_decref(p);

    /* a pod stored without them (before this admission existed) takes them on its next update: validation lets
     * tolerations be added */
    {
        snprintf(body, sizeof(body), "{\"metadata\":{\"name\":\"p6\"},%s}}", spec);
        json_t *o = write_pod("create", "p6", body, 201);
        int64_t rev = strtoll(kc_json_get_string(o, "metadata.resourceVersion"), NULL, 10), nrev;
        kc_json_del(o, "spec.tolerations");
        kc_json_del(o, "metadata.resourceVersion");
        char key[256];
        api_storage_key(api_resource_find("", "v1", "pods"), "ns", "p6", key, sizeof(key));
        assert_int_equal(api_obj_update(E->srv.store, key, o, rev, &nrev), 0);
        json_object_set_new(json_object_get(o, "metadata"), "labels", json_pack("{s:s}", "x", "y"));
        char *text = json_dumps(o, JSON_COMPACT);
        p = write_pod("update", "p6", text, 200);
        expect_tolerations(p, "[" NOT_READY("45") "," UNREACHABLE("90") "]");
        assert_string_equal(kc_json_get_string(p, "metadata.labels.x"), "y");
        free(text);
        json_decref(p);
        json_decref(o);
    }

    /* an update that leaves them out gets them back */
    snprintf(body, sizeof(body), "{\"metadata\":{\"name\":\"p5\"},%s}}", spec);
    p = write_pod("update", "p5", body, 200);
    expect_tolerations(p, "[" NOT_READY("45") "," UNREACHABLE("90") "]");
    json_decref(p);
}

/* A StorageClass written straight into the store (its creationTimestamp the test's), default or not. */
static void
put_class(const char *name, const char *created, const char *annotation)
{
    char text[512], key[256];
    snprintf(text, sizeof(text),
             "{\"apiVersion\":\"storage.k8s.io/v1\",\"kind\":\"StorageClass\",\"metadata\":{\"name\":\"%s\","
             "\"creationTimestamp\":\"%s\",\"annotations\":{\"%s\":\"true\"}},\"provisioner\":\"k8c.io/local\"}",
             name, created, annotation);
    json_t *obj = NULL;
    assert_int_equal(kc_json_parse(text, strlen(text), &obj, NULL, 0), 0);
    api_storage_key(api_resource_find("storage.k8s.io", "v1", "storageclasses"), NULL, name, key, sizeof(key));
    int64_t rev;
    assert_int_equal(api_obj_create(E->srv.store, key, obj, 0, &rev), 0);
    json_decref(obj);
}

/* Creates claim `name` (spec `extra` added to its spec, `meta` to its metadata); returns its stored class or "-". */
static const char *
claim_class(const char *name, const char *meta, const char *extra)
{
    static char out[128];
    char body[1024];
    snprintf(body, sizeof(body),
             "{\"metadata\":{\"name\":\"%s\"%s},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],"
             "\"resources\":{\"requests\":{\"storage\":\"1Gi\"}}%s}}",
             name, meta, extra);
    struct api_request rq;
    struct api_reply rep = { 0 };
    init_request(&rq, "persistentvolumeclaims", "ns", body);
    api_rest_handle(&rq, &rep);
    assert_int_equal(rep.status, 201);
    json_t *obj = reply_object(&rep);
    const char *sc = kc_json_get_string(obj, "spec.storageClassName");
    snprintf(out, sizeof(out), "%s", sc ? sc : "-");
    char *mf = json_dumps(kc_json_get(obj, "metadata.managedFields"), JSON_COMPACT);
    assert_true(!mf || !strstr(mf, "f:storageClassName") || strstr(extra, "storageClassName"));
    free(mf);
    json_decref(obj);
    free_reply(&rep);
    return out;
}

/* kube-apiserver's DefaultStorageClass admission: a claim that asks for no class gets the default one's name (the
 * GA or the beta annotation); with several the newest, then the first by name; "" and the beta class annotation
 * ask for a class (or none) and are kept; no default, no class. The name is in no manager's managedFields. */
static void
test_default_storage_class(void **state)
{
    (void)state;
    assert_string_equal(claim_class("c0", "", ""), "-");
    put_class("slow", "2026-01-01T00:00:00Z", "example.com/not-default");
    assert_string_equal(claim_class("c1", "", ""), "-");
    put_class("fast", "2026-01-01T00:00:00Z", "storageclass.kubernetes.io/is-default-class");
    assert_string_equal(claim_class("c2", "", ""), "fast");
    assert_string_equal(claim_class("c3", "", ",\"storageClassName\":\"\""), "");
    assert_string_equal(claim_class("c4", "", ",\"storageClassName\":\"slow\""), "slow");
    assert_string_equal(
        claim_class("c5", ",\"annotations\":{\"volume.beta.kubernetes.io/storage-class\":\"slow\"}", ""), "-");
    put_class("beta", "2026-01-01T00:00:00Z", "storageclass.beta.kubernetes.io/is-default-class"); /* a tie */
    assert_string_equal(claim_class("c6", "", ""), "beta");
    put_class("newest", "2026-06-01T00:00:00Z", "storageclass.kubernetes.io/is-default-class");
    assert_string_equal(claim_class("c7", "", ""), "newest");
}

/* Creates configmap `name` with metadata.resourceVersion `rv` (dry run or not); returns the status. */
static int
create_with_rv(const char *name, const char *rv, bool dry)
{
    char body[256];
    snprintf(body, sizeof(body), "{\"metadata\":{\"name\":\"%s\",\"resourceVersion\":\"%s\"}}", name, rv);
    struct api_request rq;
    struct api_reply rep = { 0 };
    init_request(&rq, "configmaps", "ns", body);
    rq.dry_run = dry ? "All" : NULL;
    api_rest_handle(&rq, &rep);
    int status = rep.status;
    if (status == 500) {
        assert_string_equal(json_string_value(json_object_get(rep.body, "message")),
                            "resourceVersion should not be set on objects to be created");
        assert_null(json_object_get(rep.body, "reason"));
    }
    free_reply(&rep);
    return status;
}

/* A create that sets a resourceVersion upstream's storage reads as a number is refused as upstream's etcd3 store
 * refuses it (a 500 without a reason) and stores nothing; "0" and what does not parse pass; a dry run does not
 * reach the storage's check. */
static void
test_resource_version_on_create(void **state)
{
    (void)state;
    assert_int_equal(create_with_rv("rv1", "5", false), 500);
    assert_int_equal(create_with_rv("rv1", "18446744073709551615", false), 500);
    assert_int_equal(create_with_rv("rv1", "5", true), 201);
    struct api_request rq;
    struct api_reply rep = { 0 };
    init_request(&rq, "configmaps", "ns", "");
    snprintf(rq.verb, sizeof(rq.verb), "get");
    snprintf(rq.name, sizeof(rq.name), "rv1");
    rq.body = NULL;
    rq.body_len = 0;
    api_rest_handle(&rq, &rep);
    assert_int_equal(rep.status, 404);
    free_reply(&rep);
    assert_int_equal(create_with_rv("rv2", "0", false), 201);
    assert_int_equal(create_with_rv("rv3", "-1", false), 201);
    assert_int_equal(create_with_rv("rv4", "abc", false), 201);
    assert_int_equal(create_with_rv("rv5", "18446744073709551616", false), 201); /* past 64 bits: unreadable */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_name),
        cmocka_unit_test_setup_teardown(test_retry_generated_name_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_generated_name_on_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_tolerations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_storage_class, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resource_version_on_create, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
