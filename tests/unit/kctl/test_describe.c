/* test_describe.c - kubectl describe's layouts from print_describe.c against goldens in kubectl's format: a running
 * pod with statuses, probes, env from a secret, volumes, tolerations and events (their own tab block), the generic
 * describer with smartLabelFor's labels, and a node with pods and a lease. Pure: no server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kctl_print.h"

static char *
describe(const char *kind, const char *group, const char *obj_text, const struct kctl_describe_ctx *ctx)
{
    json_error_t e;
    json_t *obj = json_loads(obj_text, 0, &e);
    if (!obj)
        fail_msg("bad test JSON: %s", e.text);
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    assert_int_equal(kctl_describe_object(kind, group, obj, ctx, m), 0);
    fclose(m);
    json_decref(obj);
    return out;
}

static void
assert_text(char *got, const char *want)
{
    if (strcmp(got, want) != 0)
        fail_msg("got:\n%s\nwant:\n%s", got, want);
    free(got);
}

static const char pod[] =
    "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\",\"labels\":{\"b\":\"2\",\"a\":\""
    "1\"},\"annotations\":{\"note\":\"line1\\nline2\",\"kubectl.kubernetes.io/last-applied-configuration\""
    ":\"{}\"},\"ownerReferences\":[{\"kind\":\"ReplicaSet\",\"name\":\"rs1\",\"controller\":true}]},\"spe"
    "c\":{\"nodeName\":\"n1\",\"serviceAccountName\":\"sa\",\"priority\":0,\"containers\":[{\"name\":\"c\""
    ",\"image\":\"img\",\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"},{\"containerPort\":443,\"p"
    "rotocol\":\"TCP\"}],\"args\":[\"--x\"],\"env\":[{\"name\":\"S\",\"valueFrom\":{\"secretKeyRef\":{\"n"
    "ame\":\"sec\",\"key\":\"k\"}}}],\"readinessProbe\":{\"httpGet\":{\"path\":\"/ready\",\"port\":8080,\""
    "scheme\":\"HTTP\"},\"timeoutSeconds\":1,\"periodSeconds\":10,\"successThreshold\":1,\"failureThresho"
    "ld\":3},\"resources\":{\"limits\":{\"memory\":\"128Mi\"},\"requests\":{\"cpu\":\"0.5\"}},\"volumeMou"
    "nts\":[{\"name\":\"v\",\"mountPath\":\"/data\",\"readOnly\":true}]}],\"volumes\":[{\"name\":\"v\",\""
    "emptyDir\":{}}],\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\""
    "effect\":\"NoExecute\",\"tolerationSeconds\":300}]},\"status\":{\"phase\":\"Running\",\"hostIP\":\"1"
    "0.0.0.1\",\"podIP\":\"10.1.0.5\",\"podIPs\":[{\"ip\":\"10.1.0.5\"}],\"startTime\":\"2024-01-01T00:00"
    ":00Z\",\"qosClass\":\"Burstable\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],\"contai"
    "nerStatuses\":[{\"name\":\"c\",\"containerID\":\"crun://abc\",\"imageID\":\"sha256:1\",\"ready\":tru"
    "e,\"restartCount\":2,\"state\":{\"running\":{\"startedAt\":\"2024-01-01T00:00:05Z\"}}}]}}";

static const char events[] =
    "[{\"type\":\"Warning\",\"reason\":\"BackOff\",\"message\":\" back off \",\"source\":{\"component\":\""
    "kubelet\"},\"firstTimestamp\":\"2024-01-01T00:00:00Z\",\"lastTimestamp\":\"2024-01-01T00:01:00Z\",\""
    "count\":3}]";

static void
test_pod(void **state)
{
    (void)state;
    json_t *ev = json_loads(events, 0, NULL);
    struct kctl_describe_ctx ctx = { .now = 1704067200 + 120, .events = ev };
    assert_text(describe("Pod", "", pod, &ctx),
                "Name:             p\n"
                "Namespace:        ns\n"
                "Priority:         0\n"
                "Service Account:  sa\n"
                "Node:             n1/10.0.0.1\n"
                "Start Time:       Mon, 01 Jan 2024 00:00:00 +0000\n"
                "Labels:           a=1\n"
                "                  b=2\n"
                "Annotations:      note:\n"
                "                    line1\n"
                "                    line2\n"
                "Status:           Running\n"
                "IP:               10.1.0.5\n"
                "IPs:\n"
                "  IP:           10.1.0.5\n"
                "Controlled By:  ReplicaSet/rs1\n"
                "Containers:\n"
                "  c:\n"
                "    Container ID:  crun://abc\n"
                "    Image:         img\n"
                "    Image ID:      sha256:1\n"
                "    Ports:         80/TCP, 443/TCP\n"
                "    Host Ports:    0/TCP, 0/TCP\n"
                "    Args:\n"
                "      --x\n"
                "    State:          Running\n"
                "      Started:      Mon, 01 Jan 2024 00:00:05 +0000\n"
                "    Ready:          True\n"
                "    Restart Count:  2\n"
                "    Limits:\n"
                "      memory:  128Mi\n"
                "    Requests:\n"
                "      cpu:      500m\n"
                "    Readiness:  http-get http://:8080/ready delay=0s timeout=1s period=10s #success=1 #failure=3\n"
                "    Environment:\n"
                "      S:  <set to the key 'k' in secret 'sec'>  Optional: false\n"
                "    Mounts:\n"
                "      /data from v (ro)\n"
                "Conditions:\n"
                "  Type    Status\n"
                "  Ready   True \n"
                "Volumes:\n"
                "  v:\n"
                "    Type:        EmptyDir (a temporary directory that shares a pod's lifetime)\n"
                "    Medium:      \n"
                "    SizeLimit:   <unset>\n"
                "QoS Class:       Burstable\n"
                "Node-Selectors:  <none>\n"
                "Tolerations:     node.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n"
                "Events:\n"
                "  Type     Reason   Age               From     Message\n"
                "  ----     ------   ----              ----     -------\n"
                "  Warning  BackOff  60s (x3 over 2m)  kubelet  back off\n");
    /* --show-events=false: no Events block at all */
    struct kctl_describe_ctx quiet = { .now = 1704067200 + 120 };
    char *out = describe("Pod", "", pod, &quiet);
    assert_null(strstr(out, "Events"));
    free(out);
    json_decref(ev);
}

static void
test_generic_and_smart_labels(void **state)
{
    (void)state;
    json_t *none = json_array();
    struct kctl_describe_ctx ctx = { .now = 0, .events = none };
    assert_text(describe("Widget", "example.com",
                         "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"w\","
                         "\"namespace\":\"ns\",\"uid\":\"u1\",\"managedFields\":[{}]},\"spec\":{\"podCIDRs\":"
                         "[\"10.0.0.0/24\"],\"hostIP\":\"1.2.3.4\",\"max-surge\":2,\"x.y\":true,\"items\":[{"
                         "\"a\":1},{\"b\":null}]}}",
                         &ctx),
                "Name:         w\n"
                "Namespace:    ns\n"
                "Labels:       <none>\n"
                "Annotations:  <none>\n"
                "API Version:  example.com/v1\n"
                "Kind:         Widget\n"
                "Metadata:\n"
                "  UID:  u1\n"
                "Spec:\n"
                "  Host IP:  1.2.3.4\n"
                "  Items:\n"
                "    A:          1\n"
                "    B:          <nil>\n"
                "  Max - Surge:  2\n"
                "  Pod CIDRs:\n"
                "    10.0.0.0/24\n"
                "  x.y:   true\n"
                "Events:  <none>\n");
    json_decref(none);
    assert_true(kctl_describe_has("Pod", ""));
    assert_true(kctl_describe_has("Deployment", "apps"));
    assert_false(kctl_describe_has("Deployment", ""));
    assert_false(kctl_describe_has("Widget", "example.com"));
}

static void
test_node(void **state)
{
    (void)state;
    json_t *pods = json_loads("[{\"metadata\":{\"name\":\"p1\",\"namespace\":\"default\",\"creationTimestamp\":"
                              "\"1970-01-01T00:00:00Z\"},\"spec\":{\"containers\":[{\"resources\":{\"requests\":{"
                              "\"cpu\":\"250m\",\"memory\":\"1Gi\"}}}]}}]",
                              0, NULL);
    json_t *lease =
        json_loads("{\"spec\":{\"holderIdentity\":\"n1\",\"renewTime\":\"1970-01-01T00:00:10Z\"}}", 0, NULL);
    struct kctl_describe_ctx ctx = { .now = 60, .pods = pods, .lease = lease };
    char *out = describe("Node", "",
                         "{\"metadata\":{\"name\":\"n1\",\"labels\":{\"node-role.kubernetes.io/worker\":\"\","
                         "\"kubernetes.io/role\":\"edge\"},\"creationTimestamp\":\"1970-01-01T00:00:00Z\"},"
                         "\"spec\":{\"taints\":[{\"key\":\"k\",\"value\":\"v\",\"effect\":\"NoSchedule\"}]},"
                         "\"status\":{\"allocatable\":{\"cpu\":\"2\",\"memory\":\"4Gi\"},\"addresses\":[{\"type\":"
                         "\"InternalIP\",\"address\":\"10.0.0.1\"}]}}",
                         &ctx);
    const char *want[] = {
        "Roles:              edge,worker\n",
        "Taints:             k=v:NoSchedule\n",
        "Lease:\n  HolderIdentity:  n1\n  AcquireTime:     <unset>\n",
        "Addresses:\n  InternalIP:  10.0.0.1\n",
        "Non-terminated Pods:          (1 in total)\n",
        "  default                     p1      250m (12%)    0 (0%)      1Gi (25%)        0 (0%)         60s\n",
        "  cpu                250m (12%)  0 (0%)\n",
        "  memory             1Gi (25%)   0 (0%)\n",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(out, want[i]))
            fail_msg("missing:\n%s\nin:\n%s", want[i], out);
    assert_null(strstr(out, "Events"));
    free(out);
    json_decref(pods);
    json_decref(lease);
}

int
main(void)
{
    setenv("TZ", "UTC", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pod),
        cmocka_unit_test(test_generic_and_smart_labels),
        cmocka_unit_test(test_node),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
