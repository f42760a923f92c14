/* test_write.c - the pure parts of kctl's writing commands: kubectl's rollout status messages and readiness,
 * kind.group/name names, --dry-run, write queries, durations and source labels. */
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
#include "kctl.h"

static json_t *
obj(const char *json)
{
    json_error_t e;
    json_t *o = json_loads(json, 0, &e);
    if (!o)
        fail_msg("%s: %s", json, e.text);
    return o;
}

static void
expect_status(const char *kind, const char *json, int want_rc, const char *want)
{
    json_t *o = obj(json);
    char msg[512] = "";
    int rc = kctl_rollout_status(kind, "apps", o, msg, sizeof(msg));
    if (rc != want_rc || strcmp(msg, want) != 0)
        fail_msg("%s %s:\n rc %d (want %d)\n got  %s\n want %s", kind, json, rc, want_rc, msg, want);
    json_decref(o);
}

static void
test_rollout_status(void **state)
{
    (void)state;
    const char *D = "Deployment";
    expect_status(D, "{\"metadata\":{\"name\":\"web\",\"generation\":2},\"status\":{\"observedGeneration\":1}}", 0,
                  "Waiting for deployment spec update to be observed...");
    expect_status(D,
                  "{\"metadata\":{\"name\":\"web\",\"generation\":1},\"spec\":{\"replicas\":3},\"status\":"
                  "{\"observedGeneration\":1,\"updatedReplicas\":1}}",
                  0, "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated...");
    expect_status(D,
                  "{\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":2},\"status\":{\"replicas\":3,"
                  "\"updatedReplicas\":2}}",
                  0, "Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending termination...");
    expect_status(D,
                  "{\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":2},\"status\":{\"replicas\":2,"
                  "\"updatedReplicas\":2,\"availableReplicas\":1}}",
                  0, "Waiting for deployment \"web\" rollout to finish: 1 of 2 updated replicas are available...");
    expect_status(D,
                  "{\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":2},\"status\":{\"replicas\":2,"
                  "\"updatedReplicas\":2,\"availableReplicas\":2}}",
                  KCTL_WAIT_DONE, "deployment \"web\" successfully rolled out");
    expect_status(D,
                  "{\"metadata\":{\"name\":\"web\"},\"status\":{\"conditions\":[{\"type\":\"Progressing\","
                  "\"status\":\"False\",\"reason\":\"ProgressDeadlineExceeded\"}]}}",
                  KCTL_WAIT_FAILED, "deployment \"web\" exceeded its progress deadline");

    const char *DS = "DaemonSet";
    expect_status(DS, "{\"metadata\":{\"name\":\"ag\"},\"spec\":{\"updateStrategy\":{\"type\":\"OnDelete\"}}}",
                  KCTL_WAIT_FAILED, "rollout status is only available for RollingUpdate strategy type");
    expect_status(DS,
                  "{\"metadata\":{\"name\":\"ag\"},\"status\":{\"desiredNumberScheduled\":3,"
                  "\"updatedNumberScheduled\":1}}",
                  0, "Waiting for daemon set \"ag\" rollout to finish: 1 out of 3 new pods have been updated...");
    expect_status(DS,
                  "{\"metadata\":{\"name\":\"ag\"},\"status\":{\"desiredNumberScheduled\":3,"
                  "\"updatedNumberScheduled\":3,\"numberAvailable\":2}}",
                  0, "Waiting for daemon set \"ag\" rollout to finish: 2 of 3 updated pods are available...");
    expect_status(DS,
                  "{\"metadata\":{\"name\":\"ag\"},\"status\":{\"desiredNumberScheduled\":1,"
                  "\"updatedNumberScheduled\":1,\"numberAvailable\":1}}",
                  KCTL_WAIT_DONE, "daemon set \"ag\" successfully rolled out");

    const char *S = "StatefulSet";
    expect_status(S, "{\"metadata\":{\"name\":\"db\",\"generation\":1},\"status\":{}}", 0,
                  "Waiting for statefulset spec update to be observed...");
    expect_status(S,
                  "{\"metadata\":{\"name\":\"db\",\"generation\":1},\"spec\":{\"replicas\":3},\"status\":"
                  "{\"observedGeneration\":1,\"readyReplicas\":1}}",
                  0, "Waiting for 2 pods to be ready...");
    expect_status(S,
                  "{\"metadata\":{\"name\":\"db\",\"generation\":1},\"spec\":{\"replicas\":3,\"updateStrategy\":"
                  "{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"partition\":1}}},\"status\":"
                  "{\"observedGeneration\":1,\"readyReplicas\":3,\"updatedReplicas\":1}}",
                  0, "Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...");
    expect_status(S,
                  "{\"metadata\":{\"name\":\"db\",\"generation\":1},\"spec\":{\"replicas\":1},\"status\":"
                  "{\"observedGeneration\":1,\"readyReplicas\":1,\"updatedReplicas\":1,\"updateRevision\":\"r2\","
                  "\"currentRevision\":\"r1\"}}",
                  0, "waiting for statefulset rolling update to complete 1 pods at revision r2...");
    expect_status(S,
                  "{\"metadata\":{\"name\":\"db\",\"generation\":1},\"spec\":{\"replicas\":1},\"status\":"
                  "{\"observedGeneration\":1,\"readyReplicas\":1,\"currentReplicas\":1,\"updateRevision\":\"r2\","
                  "\"currentRevision\":\"r2\"}}",
                  KCTL_WAIT_DONE, "statefulset rolling update complete 1 pods at revision r2...");

    char msg[256];
    json_t *o = obj("{}");
    assert_int_equal(kctl_rollout_status("ReplicaSet", "apps", o, msg, sizeof(msg)), KC_ENOTFOUND);
    assert_string_equal(msg, "no status viewer has been implemented for ReplicaSet.apps");
    assert_int_equal(kctl_rollout_status("Pod", "", o, msg, sizeof(msg)), KC_ENOTFOUND);
    assert_string_equal(msg, "no status viewer has been implemented for Pod");
    json_decref(o);
}

static void
test_ready_status(void **state)
{
    (void)state;
    char msg[256];
    json_t *job = obj("{\"metadata\":{\"name\":\"j\"},\"spec\":{\"completions\":2},\"status\":{\"succeeded\":1}}");
    assert_int_equal(kctl_ready_status("Job", "batch", job, msg, sizeof(msg)), 0);
    assert_string_equal(msg, "Waiting for job \"j\" to complete: 1 of 2 succeeded...");
    json_object_set_new(json_object_get(job, "status"), "conditions",
                        json_pack("[{s:s, s:s, s:s}]", "type", "Failed", "status", "True", "message", "backoff"));
    assert_int_equal(kctl_ready_status("Job", "batch", job, msg, sizeof(msg)), KCTL_WAIT_FAILED);
    assert_string_equal(msg, "job \"j\" failed: backoff");
    json_decref(job);
    json_t *pod = obj("{\"metadata\":{\"name\":\"p\"},\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":"
                      "\"Ready\",\"status\":\"False\"}]}}");
    assert_int_equal(kctl_ready_status("Pod", "", pod, msg, sizeof(msg)), 0);
    assert_string_equal(msg, "Waiting for pod \"p\" to be ready (phase Running)...");
    json_decref(pod);
    pod = obj("{\"metadata\":{\"name\":\"p\"},\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":"
              "\"Ready\",\"status\":\"True\"}]}}");
    assert_int_equal(kctl_ready_status("Pod", "", pod, msg, sizeof(msg)), KCTL_WAIT_DONE);
    json_decref(pod);
    json_t *cm = obj("{\"metadata\":{\"name\":\"c\"}}");
    assert_int_equal(kctl_ready_status("ConfigMap", "", cm, msg, sizeof(msg)), KCTL_WAIT_DONE);
    json_decref(cm);
}

static void
test_names_and_flags(void **state)
{
    (void)state;
    char buf[256];
    kctl_kind_name("Deployment", "apps", "web", buf, sizeof(buf));
    assert_string_equal(buf, "deployment.apps/web");
    kctl_kind_name("ConfigMap", "", "c", buf, sizeof(buf));
    assert_string_equal(buf, "configmap/c");
    kctl_kind_name("HorizontalPodAutoscaler", "autoscaling", "h", buf, sizeof(buf));
    assert_string_equal(buf, "horizontalpodautoscaler.autoscaling/h");

    struct kctl_config cfg = { 0 };
    size_t elen;
    char *etext = NULL;
    cfg.err = open_memstream(&etext, &elen);
    enum kctl_dry_run d;
    const char *modes[] = { NULL, "none", "client", "server", "false" };
    const enum kctl_dry_run want[] = { KCTL_DRY_NONE, KCTL_DRY_NONE, KCTL_DRY_CLIENT, KCTL_DRY_SERVER, KCTL_DRY_NONE };
    for (size_t i = 0; i < 5; i++) {
        cfg.dry_run = modes[i];
        assert_int_equal(kctl_dry_run_mode(&cfg, &d), 0);
        assert_int_equal(d, want[i]);
    }
    cfg.dry_run = "bogus";
    assert_int_equal(kctl_dry_run_mode(&cfg, &d), 1);
    fflush(cfg.err);
    assert_string_equal(etext, "error: Invalid dry-run value (bogus). Must be \"none\", \"server\", or \"client\".\n");
    fclose(cfg.err);
    free(etext);
    assert_string_equal(kctl_dry_run_suffix(KCTL_DRY_SERVER), " (server dry run)");
    assert_string_equal(kctl_dry_run_suffix(KCTL_DRY_CLIENT), " (dry run)");
    assert_string_equal(kctl_dry_run_suffix(KCTL_DRY_NONE), "");

    cfg.field_manager = NULL;
    kctl_write_query(&cfg, KCTL_DRY_SERVER, "kubectl-client-side-apply", true, buf, sizeof(buf));
    assert_string_equal(buf, "?fieldManager=kubectl-client-side-apply&dryRun=All&fieldValidation=Strict");
    cfg.field_manager = "my tool";
    cfg.validate = "false";
    kctl_write_query(&cfg, KCTL_DRY_NONE, "x", true, buf, sizeof(buf));
    assert_string_equal(buf, "?fieldManager=my%20tool&fieldValidation=Ignore");
    cfg.field_manager = NULL;
    kctl_write_query(&cfg, KCTL_DRY_SERVER, NULL, false, buf, sizeof(buf));
    assert_string_equal(buf, "?dryRun=All");

    struct kctl_object one = { .source = "x.yaml", .doc = 0, .ndocs = 1 },
                       two = { .source = "y.yaml", .doc = 1, .ndocs = 3 };
    kctl_source_label(&one, buf, sizeof(buf));
    assert_string_equal(buf, "\"x.yaml\"");
    kctl_source_label(&two, buf, sizeof(buf));
    assert_string_equal(buf, "\"y.yaml\" (document 2 of 3)");

    long long ms;
    assert_int_equal(kctl_parse_duration("30s", &ms), 0);
    assert_int_equal(ms, 30000);
    assert_int_equal(kctl_parse_duration("1m30s", &ms), 0);
    assert_int_equal(ms, 90000);
    assert_int_equal(kctl_parse_duration("250ms", &ms), 0);
    assert_int_equal(ms, 250);
    assert_int_equal(kctl_parse_duration("2h", &ms), 0);
    assert_int_equal(ms, 7200000);
    assert_int_equal(kctl_parse_duration("-1s", &ms), 0);
    assert_int_equal(ms, -1000);
    assert_int_equal(kctl_parse_duration("5", &ms), 0);
    assert_int_equal(ms, 5000);
    assert_int_equal(kctl_parse_duration("1.5s", &ms), 0);
    assert_int_equal(ms, 1500);
    assert_int_equal(kctl_parse_duration("", &ms), -EINVAL);
    assert_int_equal(kctl_parse_duration("abc", &ms), -EINVAL);
    assert_int_equal(kctl_parse_duration("5x", &ms), -EINVAL);
    assert_int_equal(kctl_parse_duration("1s5", &ms), -EINVAL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rollout_status),
        cmocka_unit_test(test_ready_status),
        cmocka_unit_test(test_names_and_flags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
