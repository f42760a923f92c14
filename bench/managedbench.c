/* managedbench.c - the CPU of a create's managedFields, by hand: the general Update path (kc_managed_update
 * against the kind's empty object, then kc_managed_encode) against the create path the API server takes
 * (kc_managed_create_encode), each with the freeing of what it made, on the pod apibench creates (defaulted as the
 * API server defaults it before tracking).
 *
 *   managedbench [ITERATIONS [POD_JSON]]   -> us per create for both paths (best and median of 21 interleaved
 *                                             rounds), and whether their output agrees
 *   MANAGEDBENCH_ONLY=old|new managedbench  -> one path only (to profile it)
 *   managedbench dump [POD_JSON]           -> the defaulted pod as the server tracks it (JSON on stdout)
 */
#include "api_res.h"
#include "api_validate.h"
#include "kc_fieldset.h"
#include "kc_json.h"
#include "kc_managed.h"
#include "kc_schema.h"
#include "kc_typed.h"

#include "bench_pod.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* apibench's pod body (bench_pod.h), named bench-00000 in default. */
static char pod_body[4096];

static double
now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* The pod as rest.c's prepare_create hands it to the field manager: server metadata, status, defaults. */
static json_t *
defaulted_pod(const char *file)
{
    json_t *obj;
    json_error_t err;
    snprintf(pod_body, sizeof(pod_body), BENCH_POD_FORMAT, "bench-00000", "default");
    obj = file ? json_load_file(file, 0, &err) : json_loads(pod_body, 0, &err);
    if (!obj) {
        fprintf(stderr, "managedbench: %s\n", err.text);
        exit(1);
    }
    const struct api_resource *r = api_resource_find("", "v1", "pods");
    json_t *meta = json_object_get(obj, "metadata");
    json_object_set_new(meta, "uid", json_string("0b7e6c1e-3c5e-4a53-9d7e-5f1f2b6c9a10"));
    json_object_set_new(meta, "creationTimestamp", json_string("2026-01-02T15:04:05Z"));
    json_object_del(obj, "status");
    json_object_set_new(obj, "status", json_pack("{s:s}", "phase", "Pending"));
    api_prepare_create(r, obj);
    if (r->defaults)
        r->defaults(r, obj);
    return obj;
}

/* One create's managedFields, by either path; returns the encoded array. */
static json_t *
one(bool create, const struct kc_managed_ctx *ctx, const json_t *obj)
{
    struct kc_managed m;
    json_t *enc = NULL;
    kc_managed_init(&m);
    int rc = create ? kc_managed_create_encode(&m, ctx, "kubectl-create", obj, &enc)
                    : kc_managed_update(&m, ctx, "kubectl-create", kc_typed_empty_object_shared(ctx->schema), obj);
    if (rc == 0 && !create)
        rc = kc_managed_encode(&m, &enc);
    kc_managed_close(&m);
    if (rc != 0) {
        fprintf(stderr, "managedbench: rc=%d\n", rc);
        exit(1);
    }
    return enc;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "dump") == 0) {
        json_t *obj = defaulted_pod(argc >= 3 ? argv[2] : NULL);
        char *t = json_dumps(obj, JSON_COMPACT);
        printf("%s\n", t);
        free(t);
        json_decref(obj);
        return 0;
    }
    long iters = argc >= 2 ? atol(argv[1]) : 20000;
    const char *mode = getenv("MANAGEDBENCH_ONLY"); /* "old" or "new": run one path only (for perf) */
    json_t *obj = defaulted_pod(argc >= 3 ? argv[2] : NULL);
    struct kc_fieldset *ignored = kc_fieldset_new();
    struct kc_pe pe = { .type = KC_PE_FIELD, .field = "status" };
    kc_fieldset_insert(ignored, &pe, 1);
    struct kc_managed_ctx ctx = { .schema = kc_schema_find("io.k8s.api.core.v1.Pod"),
                                  .api_version = "v1",
                                  .subresource = "",
                                  .ignored = ignored,
                                  .now = "2026-01-02T15:04:05Z" };
    json_t *a = one(false, &ctx, obj), *b = one(true, &ctx, obj);
    char *ta = json_dumps(a, JSON_COMPACT), *tb = json_dumps(b, JSON_COMPACT);
    bool same = strcmp(ta, tb) == 0;
    printf("managedFields: %zu bytes, paths agree: %s\n", strlen(ta), same ? "yes" : "NO");
    free(ta);
    free(tb);
    json_decref(a);
    json_decref(b);
    /* rounds of both paths in turn, so that a noisy neighbour slows both alike; the best and the median round */
    enum { ROUNDS = 21 };
    double us[2][ROUNDS];
    long batch = iters / ROUNDS > 0 ? iters / ROUNDS : 1;
    for (long i = 0; i < batch; i++) /* warm up */
        for (int pass = 0; pass < 2; pass++)
            if (!mode || strcmp(mode, pass ? "new" : "old") == 0)
                json_decref(one(pass == 1, &ctx, obj));
    for (int r = 0; r < ROUNDS; r++) {
        for (int pass = 0; pass < 2; pass++) {
            bool create = pass == 1;
            us[pass][r] = 0;
            if (mode && strcmp(mode, create ? "new" : "old") != 0)
                continue;
            double t0 = now_us();
            for (long i = 0; i < batch; i++)
                json_decref(one(create, &ctx, obj));
            us[pass][r] = (now_us() - t0) / (double)batch;
        }
    }
    for (int pass = 0; pass < 2; pass++) {
        qsort(us[pass], ROUNDS, sizeof(double), cmp_double);
        printf("%-42s best %6.2f us, median %6.2f us per create (%d rounds of %ld)\n",
               pass ? "create path (kc_managed_create_encode):" : "general path (kc_managed_update vs empty):",
               us[pass][0], us[pass][ROUNDS / 2], ROUNDS, batch);
    }
    if (!mode)
        printf("create path / general path: %.2f (best), %.2f (median)\n", us[1][0] / us[0][0],
               us[1][ROUNDS / 2] / us[0][ROUNDS / 2]);
    kc_fieldset_free(ignored);
    json_decref(obj);
    return same ? 0 : 1;
}
