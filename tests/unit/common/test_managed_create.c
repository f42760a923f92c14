/* test_managed_create.c - the create path of managedFields (kc_managed_create, kc_managed_create_encode and the
 * walk under them, kc_typed_compare_changes and its FieldsV1 form, as objects and as text) against the general path it
 * replaces (kc_managed_update against the kind's empty object, kc_typed_compare): the same entries, FieldsV1 and bytes
 * for the benchmark pod, hand-written pods, deployments, services, jobs, config maps and more (associative lists of one
 * and several keys, sets, atomic lists, maps, nulls, empty values, values equal to the empty object's, client-sent
 * managedFields), then for seeded random mutations of them (deleted, nulled, emptied, retyped, duplicated and
 * unknown members, reals for integers, odd map keys), under several ignored sets and subresources; deep nesting;
 * out of memory. The memo of creates' FieldsV1 (kc_typed_create_changes_v1_text): every object's twin (its values
 * changed where the memo's signature leaves them out) is answered from the memo with what the walk gives the twin;
 * objects the walk tells apart are kept apart; its bound, objects too big to keep, threads, out of memory. Run with
 * K8C_MANAGED_CREATE_SEEDS=N to try more mutations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc_error.h"
#include "kc_fault.h"
#include "kc_fieldset.h"
#include "kc_json.h"
#include "kc_managed.h"
#include "kc_sb.h"
#include "kc_schema.h"
#include "kc_typed.h"

#include "../json_fixture.h"

static struct kc_fieldset *
set_of(const char *fields_v1)
{
    json_t *j = parse(fields_v1);
    struct kc_fieldset *s = NULL;
    assert_int_equal(kc_fieldset_from_fields_v1(j, &s, NULL, 0), 0);
    json_decref(j);
    return s;
}

/* JSON text of v, compact (NULL: "<none>"); the caller frees it. */
static char *
dump(const json_t *v)
{
    char *t = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("<none>");
    assert_non_null(t);
    return t;
}

/* The bytes the API server's storage writes for v (Go's encoding/json). */
static char *
go_bytes(const json_t *v)
{
    struct kc_sb b = { 0 };
    if (v)
        kc_sb_go_json(&b, v);
    else
        kc_sb_str(&b, "<none>");
    char *t = kc_sb_take(&b);
    assert_non_null(t);
    return t;
}

static char *
set_text(const struct kc_fieldset *s)
{
    json_t *j = NULL;
    assert_int_equal(kc_fieldset_to_fields_v1(s, &j), 0);
    char *t = dump(j);
    json_decref(j);
    return t;
}

static void
assert_same_json(const json_t *got, const json_t *want, const char *what)
{
    char *g = dump(got), *w = dump(want), *gb = go_bytes(got), *wb = go_bytes(want);
    if (strcmp(g, w) != 0 || strcmp(gb, wb) != 0)
        fail_msg("%s:\n  got  %s\n  want %s", what, g, w);
    free(g);
    free(w);
    free(gb);
    free(wb);
}

static void
assert_same_set(const struct kc_fieldset *got, const struct kc_fieldset *want, const char *what)
{
    char *g = set_text(got), *w = set_text(want);
    if (strcmp(g, w) != 0 || !kc_fieldset_equal(got, want) || kc_fieldset_size(got) != kc_fieldset_size(want))
        fail_msg("%s:\n  got  %s\n  want %s", what, g, w);
    free(g);
    free(w);
}

/* --- the objects --- */

struct kind {
    const char *group, *version, *kind, *api_version;
    bool status_sub; /* the kind has a status subresource: the main resource ignores .status */
};

static const struct kind kinds[] = {
    { "", "v1", "Pod", "v1", true },
    { "apps", "v1", "Deployment", "apps/v1", true },
    { "", "v1", "Service", "v1", true },
    { "batch", "v1", "Job", "batch/v1", true },
    { "", "v1", "ConfigMap", "v1", false },
    { "apps", "v1", "ControllerRevision", "apps/v1", false },
    { "", "v1", "Namespace", "v1", true },
    { "", "v1", "Node", "v1", true },
    { "apps", "v1", "StatefulSet", "apps/v1", true },
    { "", "v1", "Event", "v1", false },
    { "", "v1", "PersistentVolumeClaim", "v1", true },
    { "batch", "v1", "CronJob", "batch/v1", true },
    { "apps", "v1", "DaemonSet", "apps/v1", true },
};

static const struct kind *
kind_of(const char *k)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i].kind, k) == 0)
            return &kinds[i];
    fail_msg("unknown kind %s", k);
    return NULL;
}

/* The benchmark pod as the API server hands it to the field manager (bench/managedbench dump: apibench's body,
 * server metadata, defaults). */
static const char bench_pod[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"bench-00000\",\"namespace\":\"defau"
    "lt\",\"labels\":{\"app\":\"web\",\"tier\":\"frontend\",\"pod-template-hash\":\"5d9c8f7b6\",\"release"
    "\":\"stable\"},\"annotations\":{\"prometheus.io/scrape\":\"true\",\"prometheus.io/port\":\"9102\"},\""
    "uid\":\"0b7e6c1e-3c5e-4a53-9d7e-5f1f2b6c9a10\",\"creationTimestamp\":\"2026-01-02T15:04:05Z\"},\"spe"
    "c\":{\"initContainers\":[{\"name\":\"init-config\",\"image\":\"busybox:1.36\",\"command\":[\"sh\",\""
    "-c\",\"cp /src/config.yaml /config/config.yaml\"],\"volumeMounts\":[{\"name\":\"config\",\"mountPath"
    "\":\"/config\"}],\"imagePullPolicy\":\"IfNotPresent\",\"terminationMessagePath\":\"/dev/termination-"
    "log\",\"terminationMessagePolicy\":\"File\",\"resources\":{}}],\"containers\":[{\"name\":\"web\",\"i"
    "mage\":\"registry.example.com/team/web:1.27.3\",\"imagePullPolicy\":\"IfNotPresent\",\"args\":[\"--p"
    "ort=8080\",\"--metrics-port=9102\",\"--log-level=info\"],\"ports\":[{\"name\":\"http\",\"containerPo"
    "rt\":8080,\"protocol\":\"TCP\"},{\"name\":\"metrics\",\"containerPort\":9102,\"protocol\":\"TCP\"}],"
    "\"env\":[{\"name\":\"APP_ENV\",\"value\":\"production\"},{\"name\":\"APP_REGION\",\"value\":\"eu-wes"
    "t-1\"},{\"name\":\"POD_NAME\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"metadata.name\",\"apiVers"
    "ion\":\"v1\"}}},{\"name\":\"POD_IP\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"status.podIP\",\"a"
    "piVersion\":\"v1\"}}}],\"resources\":{\"requests\":{\"cpu\":\"250m\",\"memory\":\"256Mi\"},\"limits\""
    ":{\"cpu\":\"1\",\"memory\":\"512Mi\"}},\"readinessProbe\":{\"httpGet\":{\"path\":\"/healthz\",\"port"
    "\":8080,\"scheme\":\"HTTP\"},\"initialDelaySeconds\":5,\"periodSeconds\":10,\"timeoutSeconds\":1,\"s"
    "uccessThreshold\":1,\"failureThreshold\":3},\"livenessProbe\":{\"httpGet\":{\"path\":\"/livez\",\"po"
    "rt\":8080,\"scheme\":\"HTTP\"},\"initialDelaySeconds\":15,\"periodSeconds\":20,\"failureThreshold\":"
    "3,\"timeoutSeconds\":1,\"successThreshold\":1},\"volumeMounts\":[{\"name\":\"config\",\"mountPath\":"
    "\"/etc/web\",\"readOnly\":true},{\"name\":\"cache\",\"mountPath\":\"/var/cache/web\"}],\"termination"
    "MessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\"}],\"volumes\":[{\"name\""
    ":\"config\",\"emptyDir\":{}},{\"name\":\"cache\",\"emptyDir\":{\"sizeLimit\":\"1Gi\"}}],\"restartPol"
    "icy\":\"Always\",\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\",\"serviceAccoun"
    "tName\":\"default\",\"nodeSelector\":{\"kubernetes.io/os\":\"linux\"},\"tolerations\":[{\"key\":\"no"
    "de.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":"
    "300},{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\""
    "tolerationSeconds\":300}],\"securityContext\":{},\"schedulerName\":\"default-scheduler\",\"enableSer"
    "viceLinks\":true},\"status\":{\"phase\":\"Pending\",\"qosClass\":\"Burstable\"}}";
/* The other objects, each with its kind (for the schema). */
struct object {
    const char *name, *kind, *json;
};

/* apibench's pod body as the client sends it (no defaults, no server metadata) */
static const char obj_raw_pod[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"bench-00000\",\"namespace\":\"defau"
    "lt\",\"labels\":{\"app\":\"web\",\"tier\":\"frontend\",\"pod-template-hash\":\"5d9c8f7b6\",\"release"
    "\":\"stable\"},\"annotations\":{\"prometheus.io/scrape\":\"true\",\"prometheus.io/port\":\"9102\"}},"
    "\"spec\":{\"initContainers\":[{\"name\":\"init-config\",\"image\":\"busybox:1.36\",\"command\":[\"sh"
    "\",\"-c\",\"cp /src/config.yaml /config/config.yaml\"],\"volumeMounts\":[{\"name\":\"config\",\"moun"
    "tPath\":\"/config\"}]}],\"containers\":[{\"name\":\"web\",\"image\":\"registry.example.com/team/web:"
    "1.27.3\",\"imagePullPolicy\":\"IfNotPresent\",\"args\":[\"--port=8080\",\"--metrics-port=9102\",\"--"
    "log-level=info\"],\"ports\":[{\"name\":\"http\",\"containerPort\":8080,\"protocol\":\"TCP\"},{\"name"
    "\":\"metrics\",\"containerPort\":9102,\"protocol\":\"TCP\"}],\"env\":[{\"name\":\"APP_ENV\",\"value\""
    ":\"production\"},{\"name\":\"APP_REGION\",\"value\":\"eu-west-1\"},{\"name\":\"POD_NAME\",\"valueFro"
    "m\":{\"fieldRef\":{\"fieldPath\":\"metadata.name\"}}},{\"name\":\"POD_IP\",\"valueFrom\":{\"fieldRef"
    "\":{\"fieldPath\":\"status.podIP\"}}}],\"resources\":{\"requests\":{\"cpu\":\"250m\",\"memory\":\"25"
    "6Mi\"},\"limits\":{\"cpu\":\"1\",\"memory\":\"512Mi\"}},\"readinessProbe\":{\"httpGet\":{\"path\":\""
    "/healthz\",\"port\":8080},\"initialDelaySeconds\":5,\"periodSeconds\":10},\"livenessProbe\":{\"httpG"
    "et\":{\"path\":\"/livez\",\"port\":8080},\"initialDelaySeconds\":15,\"periodSeconds\":20,\"failureTh"
    "reshold\":3},\"volumeMounts\":[{\"name\":\"config\",\"mountPath\":\"/etc/web\",\"readOnly\":true},{\""
    "name\":\"cache\",\"mountPath\":\"/var/cache/web\"}]}],\"volumes\":[{\"name\":\"config\",\"emptyDir\""
    ":{}},{\"name\":\"cache\",\"emptyDir\":{\"sizeLimit\":\"1Gi\"}}],\"restartPolicy\":\"Always\",\"termi"
    "nationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\",\"serviceAccountName\":\"default\",\"no"
    "deSelector\":{\"kubernetes.io/os\":\"linux\"},\"tolerations\":[{\"key\":\"node.kubernetes.io/not-rea"
    "dy\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300},{\"key\":\"node.kub"
    "ernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300}"
    "]}}";

/* A pod with every kind of list: keyed by one field (containers, env, volumes, imagePullSecrets), by two (ports:
 * containerPort and protocol, one left to its default TCP; topologySpreadConstraints), sets (finalizers), atomic lists
 * (args, command, tolerations), items without their key, duplicates, a real number key, nulls and empty values */
static const char obj_pod_lists[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"default\",\"uid"
    "\":\"u\",\"creationTimestamp\":null,\"generation\":3,\"resourceVersion\":\"12\",\"finalizers\":[\"a."
    "example/f\",\"b.example/f\",\"a.example/f\"],\"labels\":{\"app\":\"a\",\"weird <k>&\\\"q\\\\\":\"v\""
    ",\"\\u00e9\\u2028\":\"x\"},\"annotations\":{},\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kin"
    "d\":\"ReplicaSet\",\"name\":\"rs\",\"uid\":\"u-rs\",\"controller\":true},{\"apiVersion\":\"apps/v1\""
    ",\"kind\":\"ReplicaSet\",\"name\":\"rs2\",\"uid\":\"u-rs2\"}]},\"spec\":{\"containers\":[{\"name\":\""
    "c\",\"image\":\"nginx\",\"args\":[\"a\",\"b\"],\"command\":[],\"ports\":[{\"containerPort\":80,\"pro"
    "tocol\":\"TCP\",\"name\":\"http\"},{\"containerPort\":80,\"protocol\":\"UDP\"},{\"containerPort\":44"
    "3},{\"containerPort\":8080.0,\"protocol\":\"TCP\"},{\"containerPort\":8080,\"protocol\":\"TCP\",\"na"
    "me\":\"dup\"},{\"name\":\"no-port\"}],\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"va"
    "lueFrom\":{\"secretKeyRef\":{\"name\":\"s\",\"key\":\"k\",\"optional\":null}}},{\"name\":\"A\",\"val"
    "ue\":\"dup\"},{\"value\":\"no name\"},null,{\"name\":\"C\",\"value\":\"\"}],\"resources\":{\"limits\""
    ":{\"cpu\":\"1\",\"memory\":null},\"requests\":{}},\"volumeMounts\":[],\"securityContext\":{\"capabil"
    "ities\":{\"add\":[\"NET_ADMIN\"],\"drop\":null},\"runAsUser\":0}},{\"name\":\"d\",\"image\":null},{\""
    "image\":\"no-name\"},{\"name\":\"c\",\"image\":\"dup\"}],\"initContainers\":null,\"ephemeralContaine"
    "rs\":[],\"volumes\":[{\"name\":\"v1\",\"configMap\":{\"name\":\"cm\",\"items\":[{\"key\":\"k\",\"pat"
    "h\":\"p\"}]}},{\"name\":\"v2\",\"emptyDir\":{}}],\"imagePullSecrets\":[{\"name\":\"reg\"},{\"name\":"
    "\"reg\"}],\"tolerations\":[{\"key\":\"k\",\"operator\":\"Exists\"},{\"key\":\"k\",\"operator\":\"Exi"
    "sts\"}],\"topologySpreadConstraints\":[{\"maxSkew\":1,\"topologyKey\":\"zone\",\"whenUnsatisfiable\""
    ":\"DoNotSchedule\",\"labelSelector\":{\"matchLabels\":{\"app\":\"a\"}}},{\"maxSkew\":2,\"topologyKey"
    "\":\"zone\",\"whenUnsatisfiable\":\"ScheduleAnyway\"},{\"maxSkew\":3,\"topologyKey\":\"host\"}],\"ho"
    "stAliases\":[{\"ip\":\"10.0.0.1\",\"hostnames\":[\"a\",\"b\"]}],\"nodeSelector\":null,\"affinity\":{"
    "},\"dnsConfig\":{\"nameservers\":[\"1.1.1.1\"],\"options\":[{\"name\":\"ndots\",\"value\":\"2\"}]},\""
    "readinessGates\":[{\"conditionType\":\"x\"}],\"overhead\":{\"cpu\":\"10m\"}},\"status\":{\"phase\":\""
    "Pending\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}]}}";

/* A deployment as stored (server metadata, Go's empty structs), with selector and strategy values */
static const char obj_deployment[] =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\",\"namespace\":\"def"
    "ault\",\"uid\":\"u1\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\",\"generation\":1,\"labels\":{\""
    "app\":\"a\"},\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":\"{\\\"x\\\":1}\\n"
    "\"}},\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"a\"},\"matchExpressions\":[{\""
    "key\":\"k\",\"operator\":\"In\",\"values\":[\"x\"]}]},\"strategy\":{\"type\":\"RollingUpdate\",\"rol"
    "lingUpdate\":{\"maxSurge\":\"25%\",\"maxUnavailable\":0}},\"revisionHistoryLimit\":10,\"progressDead"
    "lineSeconds\":600,\"paused\":false,\"template\":{\"metadata\":{\"creationTimestamp\":null,\"labels\""
    ":{\"app\":\"a\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\",\"resources\":{},\"p"
    "orts\":[{\"containerPort\":80}],\"livenessProbe\":{\"tcpSocket\":{\"port\":\"http\"}}}],\"restartPol"
    "icy\":\"Always\",\"securityContext\":{},\"schedulerName\":\"default-scheduler\"}}},\"status\":{\"rep"
    "licas\":0,\"conditions\":[]}}";

/* A deployment whose values are the empty object's own: selector and strategy {}, template metadata with
 * creationTimestamp null, containers null */
static const char obj_deployment_empty_values[] =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\",\"creationTimestamp"
    "\":null},\"spec\":{\"selector\":{},\"strategy\":{},\"template\":{\"metadata\":{\"creationTimestamp\""
    ":null},\"spec\":{\"containers\":null}}},\"status\":{}}";

/* A deployment with nothing but its name */
static const char obj_deployment_min[] =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"}}";

/* A deployment of nulls and retyped values where the empty object has structs */
static const char obj_deployment_nulls[] =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":null,\"spec\":{\"selector\":null,\""
    "strategy\":\"x\",\"template\":{\"metadata\":[],\"spec\":{\"containers\":{}}}},\"status\":null}";

/* A service: ports keyed by port and protocol, a selector map, atomic lists, status */
static const char obj_service[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"s\",\"namespace\":\"default\",\""
    "labels\":{\"app\":\"a\"}},\"spec\":{\"type\":\"LoadBalancer\",\"selector\":{\"app\":\"a\",\"tier\":\""
    "web\"},\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":8080,\"protocol\":\"TCP\"},{\"name\""
    ":\"dns\",\"port\":53,\"protocol\":\"UDP\"},{\"name\":\"dns-tcp\",\"port\":53,\"protocol\":\"TCP\"},{"
    "\"port\":443}],\"clusterIP\":\"10.0.0.10\",\"clusterIPs\":[\"10.0.0.10\"],\"ipFamilies\":[\"IPv4\"],"
    "\"externalIPs\":[\"1.2.3.4\"],\"sessionAffinity\":\"None\",\"sessionAffinityConfig\":null,\"loadBala"
    "ncerSourceRanges\":[],\"externalTrafficPolicy\":\"Cluster\",\"allocateLoadBalancerNodePorts\":true},"
    "\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"1.2.3.4\",\"ports\":[{\"port\":80,\"protocol\":"
    "\"TCP\"}]}]}}}";

/* A job: a pod template with required structs, a pod failure policy (atomic rules), status */
static const char obj_job[] =
    "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"j\",\"namespace\":\"default\""
    ",\"labels\":{\"batch.kubernetes.io/job-name\":\"j\"}},\"spec\":{\"completions\":3,\"parallelism\":2,"
    "\"backoffLimit\":6,\"completionMode\":\"Indexed\",\"suspend\":false,\"podFailurePolicy\":{\"rules\":"
    "[{\"action\":\"FailJob\",\"onExitCodes\":{\"operator\":\"In\",\"values\":[1,2]}}]},\"selector\":{\"m"
    "atchLabels\":{\"controller-uid\":\"x\"}},\"template\":{\"metadata\":{\"labels\":{\"job-name\":\"j\"}"
    "},\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"w\",\"image\":\"busybox\",\"comm"
    "and\":[\"sh\",\"-c\",\"true\"]}]}}},\"status\":{\"active\":1,\"conditions\":[{\"type\":\"Complete\","
    "\"status\":\"True\"}],\"uncountedTerminatedPods\":{}}}";

/* A config map with many data keys (sorted several ways), binary data, odd keys */
static const char obj_configmap[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\",\"namespace\":\"default\""
    ",\"annotations\":{\"z\":\"1\",\"a\":\"2\",\"m\":\"3\"}},\"data\":{\"key-00\":\"v0\",\"key-37\":\"v1\""
    ",\"key-34\":\"v2\",\"key-31\":\"v3\",\"key-28\":\"v4\",\"key-25\":\"v5\",\"key-22\":\"v6\",\"key-19\""
    ":\"v7\",\"key-16\":\"v8\",\"key-13\":\"v9\",\"key-10\":\"v10\",\"key-07\":\"v11\",\"key-04\":\"v12\""
    ",\"key-01\":\"v13\",\"key-38\":\"v14\",\"key-35\":\"v15\",\"key-32\":\"v16\",\"key-29\":\"v17\",\"ke"
    "y-26\":\"v18\",\"key-23\":\"v19\",\"key-20\":\"v20\",\"key-17\":\"v21\",\"key-14\":\"v22\",\"key-11\""
    ":\"v23\",\"key-08\":\"v24\",\"key-05\":\"v25\",\"key-02\":\"v26\",\"key-39\":\"v27\",\"key-36\":\"v2"
    "8\",\"key-33\":\"v29\",\"key-30\":\"v30\",\"key-27\":\"v31\",\"key-24\":\"v32\",\"key-21\":\"v33\",\""
    "key-18\":\"v34\",\"key-15\":\"v35\",\"key-12\":\"v36\",\"key-09\":\"v37\",\"key-06\":\"v38\",\"key-0"
    "3\":\"v39\",\"\":\"empty key\",\"<&>\":\"html\",\"\\u00e9\":\"utf8\"},\"binaryData\":{\"b\":\"AAEC\""
    "},\"immutable\":false}";

/* A config map with empty and null maps */
static const char obj_configmap_empty[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\",\"labels\":{},\"annotati"
    "ons\":null},\"data\":{},\"binaryData\":null}";

/* A controller revision: data is any JSON (maps of deduced values, arrays atomic) */
static const char obj_revision[] =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"ControllerRevision\",\"metadata\":{\"name\":\"r\",\"namespace"
    "\":\"default\"},\"revision\":2,\"data\":{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\""
    ":\"c\"}],\"x\":null,\"y\":{},\"z\":[],\"n\":1.5}}},\"\":{\"<\":\">\"}}}";

/* A namespace: spec.finalizers is a set */
static const char obj_namespace[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"ns\",\"labels\":{\"kubernetes"
    ".io/metadata.name\":\"ns\"}},\"spec\":{\"finalizers\":[\"kubernetes\",\"x.example/y\",\"kubernetes\""
    "]},\"status\":{\"phase\":\"Active\"}}";

/* A node: keyed status lists (addresses by type, conditions by type), a set (podCIDRs), taints */
static const char obj_node[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\",\"labels\":{\"kubernetes.io/h"
    "ostname\":\"n1\"}},\"spec\":{\"podCIDR\":\"10.1.0.0/24\",\"podCIDRs\":[\"10.1.0.0/24\",\"fd00::/64\""
    "],\"taints\":[{\"key\":\"k\",\"effect\":\"NoSchedule\"}],\"unschedulable\":false},\"status\":{\"addr"
    "esses\":[{\"type\":\"InternalIP\",\"address\":\"10.0.0.1\"},{\"type\":\"Hostname\",\"address\":\"n1\""
    "}],\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"},{\"type\":\"MemoryPressure\",\"status\":"
    "\"False\"}],\"capacity\":{\"cpu\":\"4\",\"memory\":\"8Gi\"},\"images\":[{\"names\":[\"a\"],\"sizeByt"
    "es\":1}],\"nodeInfo\":{\"kubeletVersion\":\"v1.33.0\"}}}";

/* A stateful set: claim templates, update strategy, status with its required replicas */
static const char obj_statefulset[] =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"ss\",\"namespace\":\"d"
    "efault\"},\"spec\":{\"serviceName\":\"ss\",\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"s"
    "s\"}},\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"partition\":0}},\"template"
    "\":{\"metadata\":{\"labels\":{\"app\":\"ss\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\""
    "i\",\"volumeMounts\":[{\"name\":\"data\",\"mountPath\":\"/d\"}]}]}},\"volumeClaimTemplates\":[{\"met"
    "adata\":{\"name\":\"data\"},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{\"requests\""
    ":{\"storage\":\"1Gi\"}}}}]},\"status\":{\"replicas\":0}}";

/* An event: optional structs Go writes as values, times Go writes as null */
static const char obj_event[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{\"name\":\"e\",\"namespace\":\"default\"},\""
    "involvedObject\":{\"kind\":\"Pod\",\"name\":\"p\",\"namespace\":\"default\"},\"reason\":\"Started\","
    "\"message\":\"m\",\"source\":{\"component\":\"kubelet\"},\"firstTimestamp\":null,\"lastTimestamp\":\""
    "2026-01-01T00:00:00Z\",\"count\":1,\"type\":\"Normal\",\"eventTime\":null,\"reportingComponent\":\"\""
    ",\"reportingInstance\":\"\"}";

/* A claim: resources (a value struct), access modes, status */
static const char obj_pvc[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"name\":\"c\",\"namespace\""
    ":\"default\"},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],\"resources\":{\"requests\":{\"storage\""
    ":\"1Gi\"}},\"storageClassName\":\"std\",\"volumeMode\":\"Filesystem\"},\"status\":{\"phase\":\"Pendi"
    "ng\"}}";

/* A cron job: a job template inside, schedule (required, null in the empty object) */
static const char obj_cronjob[] =
    "{\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\",\"metadata\":{\"name\":\"cj\",\"namespace\":\"defa"
    "ult\"},\"spec\":{\"schedule\":\"*/5 * * * *\",\"concurrencyPolicy\":\"Forbid\",\"jobTemplate\":{\"me"
    "tadata\":{\"creationTimestamp\":null},\"spec\":{\"template\":{\"metadata\":{},\"spec\":{\"restartPol"
    "icy\":\"OnFailure\",\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}}}},\"status\":{}}";

/* A daemon set: status fields the empty object has as null */
static const char obj_daemonset[] =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"ds\",\"namespace\":\"kub"
    "e-system\"},\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"ds\"}},\"template\":{\"metadata\":{\""
    "labels\":{\"app\":\"ds\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}],\"hostNetwork"
    "\":true}},\"updateStrategy\":{\"type\":\"OnDelete\"}},\"status\":{\"currentNumberScheduled\":0,\"des"
    "iredNumberScheduled\":null,\"numberMisscheduled\":0,\"numberReady\":0}}";

/* List keys and set values of every kind a key text takes: plain strings, strings with what either encoder
 * escapes (quote, backslash, '<', '>', '&', DEL, a control character, non-ASCII), negative and large integers,
 * booleans, reals */
static const char obj_pod_key_texts[] =
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"finalizers\":[\"a/b\",\"q\\\"\","
    "\"<x>\",\"&\",\"\\u007f\",\"\\u0001\",\"\\u00e9\",\"\\\\\"]},\"spec\":{\"containers\":[{\"name\":\"c"
    "\",\"image\":\"i\",\"ports\":[{\"containerPort\":-8080,\"protocol\":\"TCP\"},{\"containerPort\":"
    "9223372036854775807,\"protocol\":\"U\\\"DP\"},{\"containerPort\":-9223372036854775808},{\"containerPort"
    "\":80.5,\"protocol\":\"SCTP\"},{\"containerPort\":true,\"protocol\":false}],\"env\":[{\"name\":\"A&B\"},"
    "{\"name\":\"\\u00e9t\\u00e9\"},{\"name\":\"plain_1\"}]}]}}";

static const struct object objects[] = {
    { "pod_key_texts", "Pod", obj_pod_key_texts },
    { "bench_pod", "Pod", bench_pod },
    { "raw_pod", "Pod", obj_raw_pod },
    { "pod_lists", "Pod", obj_pod_lists },
    { "deployment", "Deployment", obj_deployment },
    { "deployment_empty_values", "Deployment", obj_deployment_empty_values },
    { "deployment_min", "Deployment", obj_deployment_min },
    { "deployment_nulls", "Deployment", obj_deployment_nulls },
    { "service", "Service", obj_service },
    { "job", "Job", obj_job },
    { "configmap", "ConfigMap", obj_configmap },
    { "configmap_empty", "ConfigMap", obj_configmap_empty },
    { "revision", "ControllerRevision", obj_revision },
    { "namespace", "Namespace", obj_namespace },
    { "node", "Node", obj_node },
    { "statefulset", "StatefulSet", obj_statefulset },
    { "event", "Event", obj_event },
    { "pvc", "PersistentVolumeClaim", obj_pvc },
    { "cronjob", "CronJob", obj_cronjob },
    { "daemonset", "DaemonSet", obj_daemonset },
};

/* --- mutations --- */

static uint64_t rng_state;

static uint64_t
rnd(void)
{
    uint64_t x = rng_state; /* xorshift64* */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 2685821657736338717ULL;
}

static unsigned
pct(void)
{
    return (unsigned)(rnd() % 100);
}

static json_t *
odd_value(void)
{
    switch (rnd() % 9) {
    case 0:
        return json_null();
    case 1:
        return json_object();
    case 2:
        return json_array();
    case 3:
        return json_string("x<&>\"\\\xc3\xa9");
    case 4:
        return json_integer(80);
    case 5:
        return json_real(80.0);
    case 6:
        return json_true();
    case 7:
        return json_pack("{s:s}", "name", "c");
    default:
        return json_pack("[s,i]", "a", 1);
    }
}

static const char *const odd_keys[] = { "zz-unknown", "name",     "a<b>&\"q\\",    "\xc3\xa9\xe2\x80\xa8",
                                        "",           "protocol", "containerPort", "key",
                                        "type",       "metadata" };

/* Changes v in place at random (deeper values less often). */
static void
mutate(json_t *v, int depth)
{
    if (json_is_object(v)) {
        const char *keys[256];
        size_t n = 0;
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x)
        {
            if (n < 256)
                keys[n++] = k;
        }
        char *owned[256];
        for (size_t i = 0; i < n; i++)
            owned[i] = strdup(keys[i]);
        for (size_t i = 0; i < n; i++) {
            unsigned p = pct();
            if (p < 4)
                json_object_del(v, owned[i]);
            else if (p < 8)
                json_object_set_new(v, owned[i], odd_value());
            else if ((int)p < 70 - depth * 4)
                mutate(json_object_get(v, owned[i]), depth + 1);
            free(owned[i]);
        }
        if (pct() < 8)
            json_object_set_new(v, odd_keys[rnd() % (sizeof(odd_keys) / sizeof(odd_keys[0]))], odd_value());
        return;
    }
    if (json_is_array(v)) {
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n; i++) {
            unsigned p = pct();
            json_t *x = json_array_get(v, i);
            if (p < 4) {
                json_array_remove(v, i);
                n--;
                i--;
            } else if (p < 7) {
                json_array_set_new(v, i, odd_value());
            } else if (p < 11) {
                json_array_insert_new(v, i + 1, json_deep_copy(x)); /* a duplicate right after */
                n++;
                i++;
            } else if ((int)p < 70 - depth * 4) {
                mutate(x, depth + 1);
            }
        }
        if (n > 1 && pct() < 10) { /* the items the other way round */
            json_t *rev = json_array();
            for (size_t i = n; i-- > 0;)
                json_array_append(rev, json_array_get(v, i));
            json_array_clear(v);
            json_array_extend(v, rev);
            json_decref(rev);
        }
        return;
    }
    /* scalars are changed by their parent (above) and by realify */
}

/* Integers (list keys among them) as reals, at random: 80 and 80.0 are the same key. */
static void
realify(json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach(v, k, x)
        {
            if (json_is_integer(x) && pct() < 30)
                json_object_set_new(v, k, json_real((double)json_integer_value(x)));
            else
                realify(x);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x)
        {
            if (json_is_integer(x) && pct() < 30)
                json_array_set_new(v, i, json_real((double)json_integer_value(x)));
            else
                realify(x);
        }
    }
}

static json_t *
mutated(const json_t *base)
{
    json_t *v = json_deep_copy(base);
    mutate(v, 0);
    if (pct() < 20)
        realify(v);
    return v;
}

/* --- one comparison --- */

/* What the endpoint ignores, as the API server's ignored_fields makes it. */
enum endpoint { EP_MAIN, EP_NOTHING_IGNORED, EP_STATUS, EP_SCALE };

static struct kc_fieldset *
ignored_for(const struct kc_schema *sc, const struct kind *k, enum endpoint ep)
{
    struct kc_fieldset *s = kc_fieldset_new();
    struct kc_pe pe[2] = { { .type = KC_PE_FIELD }, { .type = KC_PE_FIELD } };
    assert_non_null(s);
    if (ep == EP_MAIN && k->status_sub) {
        pe[0].field = "status";
        assert_int_equal(kc_fieldset_insert(s, pe, 1), 0);
    } else if (ep == EP_STATUS) {
        for (size_t i = 0; i < sc->nprops; i++)
            if (strcmp(sc->props[i].name, "status") != 0) {
                pe[0].field = sc->props[i].name;
                assert_int_equal(kc_fieldset_insert(s, pe, 1), 0);
            }
    } else if (ep == EP_SCALE) {
        const struct kc_schema_prop *spec = kc_schema_prop_find(sc, "spec");
        for (size_t i = 0; i < sc->nprops; i++)
            if (strcmp(sc->props[i].name, "spec") != 0) {
                pe[0].field = sc->props[i].name;
                assert_int_equal(kc_fieldset_insert(s, pe, 1), 0);
            }
        pe[0].field = "spec";
        for (size_t i = 0; spec && i < spec->schema->nprops; i++)
            if (strcmp(spec->schema->props[i].name, "replicas") != 0) {
                pe[1].field = spec->schema->props[i].name;
                assert_int_equal(kc_fieldset_insert(s, pe, 2), 0);
            }
    }
    if (kc_fieldset_empty(s)) {
        kc_fieldset_free(s);
        return NULL;
    }
    return s;
}

static const char *const subresource_of[] = { "", "", "status", "scale" };

static struct kc_managed
decoded(const json_t *mf)
{
    struct kc_managed m;
    kc_managed_init(&m);
    char err[256];
    if (kc_managed_decode(mf, &m, err, sizeof(err)) != 0)
        fail_msg("decode: %s", err);
    return m;
}

static json_t *
encoded(const struct kc_managed *m)
{
    json_t *j = NULL;
    if (m->n == 0)
        return NULL; /* store_managed drops managedFields */
    assert_int_equal(kc_managed_encode(m, &j), 0);
    return j;
}

static long checks;

static const struct kc_fieldset *strip_like(void);

/* A copy of r with each value the create memo's signature leaves out (common/typed_memo.c) changed, to one of
 * another type: the scalars outside lists where the empty object l has nothing. The walk must give it the same
 * FieldsV1 as r. */
static json_t *
twin(const json_t *l, const json_t *r)
{
    if (json_is_object(r) && (!l || json_is_object(l))) {
        json_t *o = json_object();
        const char *k;
        size_t klen;
        json_t *v;
        json_object_keylen_foreach((json_t *)r, k, klen, v)
        {
            assert_int_equal(json_object_setn_new_nocheck(o, k, klen, twin(l ? json_object_getn(l, k, klen) : NULL, v)),
                             0);
        }
        return o;
    }
    if (l || json_is_array(r) || json_is_null(r))
        return json_deep_copy(r);
    if (json_is_string(r))
        return json_integer((json_int_t)json_string_length(r) + 7);
    if (json_is_number(r))
        return json_true();
    return json_string("twin");
}

static uint64_t
memo_hits(void)
{
    uint64_t h, m;
    kc_typed_create_memo_stats(&h, &m);
    return h;
}

static uint64_t
memo_misses(void)
{
    uint64_t h, m;
    kc_typed_create_memo_stats(&h, &m);
    return m;
}

/* kc_typed_create_changes_v1_text(obj) is the walk's text; then obj's twin is found in the memo (a hit) with the
 * walk's text for the twin. */
static void
check_memo(const char *what, const struct kc_schema *sc, const json_t *obj, const struct kc_fieldset *skip)
{
    const json_t *empty = kc_typed_empty_object_shared(sc);
    json_t *t = twin(empty, obj);
    const json_t *objs[2] = { obj, t };
    for (int i = 0; i < 2; i++) {
        struct kc_sb want = { 0 }, got = { 0 };
        assert_int_equal(kc_typed_compare_changes_v1_text(empty, objs[i], sc, true, skip, strip_like(), &want), 0);
        uint64_t hits = memo_hits();
        kc_sb_str(&got, "x"); /* appended to what is there */
        assert_int_equal(kc_typed_create_changes_v1_text(objs[i], sc, skip, strip_like(), &got), 0);
        if (i == 1 && memo_hits() != hits + 1)
            fail_msg("%s: the twin was walked, not found in the memo", what);
        if (strcmp(got.p + 1, want.p) != 0) {
            char *o = dump(objs[i]);
            fail_msg("%s: %s from the memo\n got  %s\n want %s\n object %s", what, i ? "twin" : "object", got.p + 1,
                     want.p, o);
        }
        kc_sb_free(&want);
        kc_sb_free(&got);
    }
    json_decref(t);
}

/* The three create paths agree on obj with the entries mf (a managedFields array, or NULL) in the request. */
static void
check_create(const char *what, const struct kind *k, const json_t *obj, enum endpoint ep, const json_t *mf,
             const char *manager, const char *now)
{
    const struct kc_schema *sc = kc_schema_find_gvk(k->group, k->version, k->kind);
    assert_non_null(sc);
    struct kc_fieldset *ignored = ignored_for(sc, k, ep);
    struct kc_managed_ctx ctx = {
        .schema = sc, .api_version = k->api_version, .subresource = subresource_of[ep], .ignored = ignored, .now = now
    };
    const json_t *empty = kc_typed_empty_object_shared(sc);
    assert_non_null(empty);
    struct kc_managed general = decoded(mf), create = decoded(mf), request = decoded(mf);
    json_t *before = encoded(&request), *direct = NULL;
    assert_int_equal(kc_managed_update(&general, &ctx, manager, empty, obj), 0);
    assert_int_equal(kc_managed_create(&create, &ctx, manager, obj), 0);
    assert_int_equal(kc_managed_create_encode(&request, &ctx, manager, obj, &direct), 0);
    json_t *want = encoded(&general), *got = encoded(&create), *after = encoded(&request);
    char label[512];
    snprintf(label, sizeof(label), "%s (endpoint %d): kc_managed_create", what, (int)ep);
    assert_same_json(got, want, label);
    snprintf(label, sizeof(label), "%s (endpoint %d): kc_managed_create_encode", what, (int)ep);
    assert_same_json(direct, want, label);
    snprintf(label, sizeof(label), "%s (endpoint %d): kc_managed_create_encode changed m", what, (int)ep);
    assert_same_json(after, before, label);
    /* the text form: json_dumps of that array byte for byte (nothing when it is NULL), or refused with entries */
    struct kc_sb text = { 0 };
    kc_sb_str(&text, "x"); /* appended to what is there */
    int rc = kc_managed_create_encode_text(&request, &ctx, manager, obj, &text);
    if (request.n) {
        assert_int_equal(rc, KC_EUNSUPPORTED);
        assert_string_equal(text.p, "x");
    } else {
        assert_int_equal(rc, 0);
        char *want_text = direct ? json_dumps(direct, JSON_COMPACT) : strdup("");
        assert_non_null(want_text);
        if (strcmp(text.p + 1, want_text) != 0)
            fail_msg("%s (endpoint %d): kc_managed_create_encode_text\n got  %s\n want %s", what, (int)ep, text.p + 1,
                     want_text);
        free(want_text);
    }
    kc_sb_free(&text);
    check_memo(label, sc, obj, ignored);
    /* entry by entry too: times and sets */
    assert_int_equal(create.n, general.n);
    for (size_t i = 0; i < general.n; i++) {
        const struct kc_managed_entry *g = &general.v[i], *c = &create.v[i];
        assert_string_equal(c->manager, g->manager);
        assert_int_equal(c->operation, g->operation);
        assert_string_equal(c->api_version, g->api_version);
        assert_string_equal(c->subresource, g->subresource);
        assert_true((c->time == NULL) == (g->time == NULL));
        if (g->time)
            assert_string_equal(c->time, g->time);
        assert_same_set(c->set, g->set, label);
    }
    json_decref(before);
    json_decref(direct);
    json_decref(want);
    json_decref(got);
    json_decref(after);
    kc_managed_close(&general);
    kc_managed_close(&create);
    kc_managed_close(&request);
    kc_fieldset_free(ignored);
    checks++;
}

/* kc_typed_compare_changes (and its FieldsV1 form) against kc_typed_compare for any two values. */
static void
check_typed(const char *what, const struct kc_schema *sc, const json_t *lhs, const json_t *rhs,
            const struct kc_fieldset *skip, const struct kc_fieldset *unmark)
{
    struct kc_fieldset *a, *mo, *r, *am, *t;
    assert_int_equal(kc_typed_compare(lhs, rhs, sc, &a, &mo, &r), 0);
    assert_int_equal(kc_fieldset_union(a, mo, &am), 0);
    struct kc_fieldset **want[] = { &a, &am, &r };
    for (size_t i = 0; i < 3; i++) { /* without skip (recursively), then without unmark */
        assert_int_equal(kc_fieldset_recursive_difference(*want[i], skip, &t), 0);
        kc_fieldset_free(*want[i]);
        assert_int_equal(kc_fieldset_difference(t, unmark, want[i]), 0);
        kc_fieldset_free(t);
    }
    struct kc_fieldset *got_a, *got_am, *got_r;
    assert_int_equal(kc_typed_compare_changes(lhs, rhs, sc, false, skip, unmark, &got_a), 0);
    assert_int_equal(kc_typed_compare_changes(lhs, rhs, sc, true, skip, unmark, &got_am), 0);
    assert_int_equal(kc_typed_compare_changes(rhs, lhs, sc, false, skip, unmark, &got_r), 0);
    char label[512];
    snprintf(label, sizeof(label), "%s: added", what);
    assert_same_set(got_a, a, label);
    snprintf(label, sizeof(label), "%s: added and modified", what);
    assert_same_set(got_am, am, label);
    snprintf(label, sizeof(label), "%s: removed", what);
    assert_same_set(got_r, r, label);
    json_t *v1 = NULL, *want_v1 = NULL;
    assert_int_equal(kc_typed_compare_changes_v1(lhs, rhs, sc, true, skip, unmark, &v1), 0);
    assert_int_equal(kc_fieldset_to_fields_v1(am, &want_v1), 0);
    snprintf(label, sizeof(label), "%s: FieldsV1", what);
    assert_same_json(v1, want_v1, label);
    struct kc_sb text = { 0 };
    assert_int_equal(kc_typed_compare_changes_v1_text(lhs, rhs, sc, true, skip, unmark, &text), 0);
    char *want_text = json_dumps(v1, JSON_COMPACT);
    assert_non_null(want_text);
    if (strcmp(text.p, want_text) != 0)
        fail_msg("%s: FieldsV1 text\n got  %s\n want %s", what, text.p, want_text);
    free(want_text);
    kc_sb_free(&text);
    json_decref(v1);
    json_decref(want_v1);
    kc_fieldset_free(a);
    kc_fieldset_free(mo);
    kc_fieldset_free(r);
    kc_fieldset_free(am);
    kc_fieldset_free(got_a);
    kc_fieldset_free(got_am);
    kc_fieldset_free(got_r);
    checks++;
}

/* Entries a request can bring: another updater, an applier, the creating manager's own entry (so the create
 * merges into it), all made from other objects of the kind; with many, eleven more updaters (so the create's
 * entry makes capManagers merge the oldest). */
static json_t *
client_entries(const struct kind *k, const json_t *a, const json_t *b, bool many)
{
    const struct kc_schema *sc = kc_schema_find_gvk(k->group, k->version, k->kind);
    struct kc_managed m;
    kc_managed_init(&m);
    struct kc_managed_ctx ctx = { .schema = sc, .api_version = k->api_version, .subresource = "", .now = NULL };
    const json_t *empty = kc_typed_empty_object_shared(sc);
    ctx.now = "2025-01-01T00:00:00Z";
    assert_int_equal(kc_managed_update(&m, &ctx, "kubectl-client-side-apply", empty, a), 0);
    ctx.now = "2025-01-02T00:00:00Z";
    assert_int_equal(kc_managed_update(&m, &ctx, "mgr", a, b), 0);
    json_t *live = json_object(), *out = NULL;
    bool changed;
    struct kc_managed_conflicts conf = { 0 };
    ctx.now = "2025-01-03T00:00:00Z";
    if (json_is_object(b)) {
        int rc = kc_managed_apply(&m, &ctx, "kubectl", live, b, true, &out, &changed, &conf);
        assert_true(rc == 0 || rc == KC_EINVALID);
        kc_managed_conflicts_close(&conf);
        json_decref(out);
    }
    json_decref(live);
    for (int i = 0; many && i < 11; i++) {
        char name[32], now[32];
        snprintf(name, sizeof(name), "updater-%02d", i);
        snprintf(now, sizeof(now), "2025-02-%02dT00:00:00Z", 1 + i % 5);
        ctx.now = now;
        json_t *o = json_pack("{s:{s:{s:s}}}", "metadata", "labels", name, "x");
        assert_int_equal(kc_managed_update(&m, &ctx, name, empty, o), 0);
        json_decref(o);
    }
    json_t *mf = NULL;
    if (m.n)
        assert_int_equal(kc_managed_encode(&m, &mf), 0);
    kc_managed_close(&m);
    return mf;
}

static const struct kc_fieldset *
strip_like(void)
{
    static struct kc_fieldset *s;
    if (!s)
        s = set_of("{\"f:apiVersion\":{},\"f:kind\":{},\"f:metadata\":{\".\":{},\"f:name\":{},\"f:namespace\":{},"
                   "\"f:creationTimestamp\":{},\"f:uid\":{},\"f:generation\":{},\"f:managedFields\":{},"
                   "\"f:resourceVersion\":{}}}");
    return s;
}

/* Every check on one object: the create paths on each endpoint, with and without client entries, with several
 * managers and times; the typed walk against the empty object, against another object (lists on both sides),
 * against nothing. */
static void
check_object(const char *what, const struct kind *k, const json_t *obj, const json_t *other, bool entries)
{
    const struct kc_schema *sc = kc_schema_find_gvk(k->group, k->version, k->kind);
    for (int ep = EP_MAIN; ep <= EP_SCALE; ep++)
        check_create(what, k, obj, (enum endpoint)ep, NULL, "kubectl-create", "2026-01-02T15:04:05Z");
    check_create(what, k, obj, EP_MAIN, NULL, "", NULL); /* "unknown", no time */
    if (entries) {
        json_t *mf = client_entries(k, other, obj, false), *many = client_entries(k, obj, other, true);
        check_create(what, k, obj, EP_MAIN, mf, "mgr", "2026-01-02T15:04:05Z");
        check_create(what, k, obj, EP_STATUS, mf, "kubectl-client-side-apply", "2026-01-02T15:04:05Z");
        check_create(what, k, obj, EP_MAIN, many, "mgr", "2026-01-02T15:04:05Z");
        json_decref(mf);
        json_decref(many);
    }
    struct kc_fieldset *status = set_of("{\"f:status\":{}}"),
                       *odd = set_of("{\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"c\\\"}\":{}}},\"f:"
                                     "metadata\":{\"f:labels\":{\".\":{}}}}");
    const json_t *empty = kc_typed_empty_object_shared(sc);
    check_typed(what, sc, empty, obj, status, strip_like());
    check_typed(what, sc, empty, obj, NULL, NULL);
    check_typed(what, sc, empty, obj, odd, odd);
    check_typed(what, sc, other, obj, status, strip_like());
    check_typed(what, sc, obj, other, odd, NULL);
    check_typed(what, sc, NULL, obj, NULL, strip_like());
    check_typed(what, sc, obj, NULL, NULL, NULL);
    kc_fieldset_free(status);
    kc_fieldset_free(odd);
}

static long
seeds(void)
{
    const char *e = getenv("K8C_MANAGED_CREATE_SEEDS");
    return e && atol(e) > 0 ? atol(e) : 24;
}

/* --- tests --- */

/* The benchmark pod: its exact managedFields, the same on every path. */
static void
test_bench_pod(void **state)
{
    (void)state;
    const struct kind *k = kind_of("Pod");
    json_t *obj = parse(bench_pod);
    check_object("bench_pod", k, obj, obj, true);
    /* what upstream records for it (one Update entry; status ignored; stripMeta) */
    struct kc_managed m;
    kc_managed_init(&m);
    struct kc_fieldset *ignored = ignored_for(kc_schema_find_gvk("", "v1", "Pod"), k, EP_MAIN);
    struct kc_managed_ctx ctx = { .schema = kc_schema_find_gvk("", "v1", "Pod"),
                                  .api_version = "v1",
                                  .subresource = "",
                                  .ignored = ignored,
                                  .now = "2026-01-02T15:04:05Z" };
    json_t *enc = NULL;
    assert_int_equal(kc_managed_create_encode(&m, &ctx, "kubectl-create", obj, &enc), 0);
    char *t = dump(enc);
    assert_non_null(strstr(t, "\"manager\":\"kubectl-create\",\"operation\":\"Update\",\"apiVersion\":\"v1\","
                              "\"time\":\"2026-01-02T15:04:05Z\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{"
                              "\"f:metadata\":{\"f:annotations\":{\".\":{},\"f:prometheus.io/port\":{},"));
    assert_non_null(strstr(t, "\"f:containers\":{\"k:{\\\"name\\\":\\\"web\\\"}\":{\".\":{},\"f:args\":{},"));
    assert_non_null(strstr(t, "\"f:ports\":{\".\":{},\"k:{\\\"containerPort\\\":8080,\\\"protocol\\\":\\\"TCP\\\"}\":"
                              "{\".\":{},\"f:containerPort\":{},\"f:name\":{},\"f:protocol\":{}},"));
    assert_null(strstr(t, "f:status"));
    assert_null(strstr(t, "f:uid"));
    free(t);
    json_decref(enc);
    kc_fieldset_free(ignored);
    json_decref(obj);
}

/* Each hand-written object as it is. */
static void
test_objects(void **state)
{
    (void)state;
    size_t n = sizeof(objects) / sizeof(objects[0]);
    for (size_t i = 0; i < n; i++) {
        json_t *obj = parse(objects[i].json);
        const struct kind *k = kind_of(objects[i].kind);
        json_t *other = NULL; /* another object of the kind, or the same */
        for (size_t j = 0; j < n && !other; j++)
            if (j != i && strcmp(objects[j].kind, objects[i].kind) == 0)
                other = parse(objects[j].json);
        check_object(objects[i].name, k, obj, other ? other : obj, true);
        json_decref(other);
        json_decref(obj);
    }
}

/* Seeded mutations of each object, compared with the other paths, and with each other (update-like compares). */
static void
test_mutations(void **state)
{
    (void)state;
    size_t n = sizeof(objects) / sizeof(objects[0]);
    long rounds = seeds();
    long before = checks;
    for (size_t i = 0; i < n; i++) {
        json_t *base = parse(objects[i].json);
        const struct kind *k = kind_of(objects[i].kind);
        for (long s = 0; s < rounds; s++) {
            rng_state = 0x9e3779b97f4a7c15ULL * (uint64_t)(i * 1000 + (size_t)s + 1);
            json_t *a = mutated(base), *b = mutated(base);
            char what[128];
            snprintf(what, sizeof(what), "%s, seed %ld", objects[i].name, s);
            check_object(what, k, a, b, s % 4 == 0);
            json_decref(a);
            json_decref(b);
        }
        json_decref(base);
    }
    print_message("%ld comparisons\n", checks - before);
}

/* The checks can fail: different objects give different managedFields, and a compare with a different empty
 * object gives a different set. */
static void
test_checks_discriminate(void **state)
{
    (void)state;
    const struct kind *k = kind_of("Deployment");
    const struct kc_schema *sc = kc_schema_find_gvk("apps", "v1", "Deployment");
    json_t *a = parse(obj_deployment), *b = parse(obj_deployment);
    kc_json_set(b, "metadata.labels.extra", json_string("y"));
    struct kc_managed_ctx ctx = { .schema = sc, .api_version = k->api_version, .subresource = "", .now = "t" };
    json_t *ea = NULL, *eb = NULL;
    struct kc_managed m;
    kc_managed_init(&m);
    assert_int_equal(kc_managed_create_encode(&m, &ctx, "x", a, &ea), 0);
    assert_int_equal(kc_managed_create_encode(&m, &ctx, "x", b, &eb), 0);
    char *ta = dump(ea), *tb = dump(eb);
    assert_string_not_equal(ta, tb);
    free(ta);
    free(tb);
    /* against {} instead of the empty object, selector and strategy are new: "." entries appear */
    struct kc_fieldset *s1, *s2;
    json_t *none = json_object();
    assert_int_equal(kc_typed_compare_changes(kc_typed_empty_object_shared(sc), a, sc, true, NULL, NULL, &s1), 0);
    assert_int_equal(kc_typed_compare_changes(none, a, sc, true, NULL, NULL, &s2), 0);
    assert_false(kc_fieldset_equal(s1, s2));
    kc_fieldset_free(s1);
    kc_fieldset_free(s2);
    json_decref(none);
    json_decref(ea);
    json_decref(eb);
    json_decref(a);
    json_decref(b);
}

struct grow_ctx {
    struct kc_fieldset *a, *b;
};

/* Inserts path + one field sorting first and one sorting last into both sets. */
static int
grow_both(const struct kc_pe *path, size_t n, void *arg)
{
    struct grow_ctx *g = arg;
    struct kc_pe p[64];
    if (n + 1 > 64)
        return 0;
    memcpy(p, path, n * sizeof(*p));
    static const char *const names[] = { "!first", "~last" };
    for (size_t i = 0; i < 2; i++) {
        p[n] = (struct kc_pe){ .type = KC_PE_FIELD, .field = names[i] };
        assert_int_equal(kc_fieldset_insert(g->a, p, n + 1), 0);
        assert_int_equal(kc_fieldset_insert(g->b, p, n + 1), 0);
    }
    return 0;
}

/* The walk's sets (nodes made in one allocation, names borrowed) behave as any set afterwards: they grow, shrink,
 * copy and take part in later updates as the general path's do. */
static void
test_walk_sets_change(void **state)
{
    (void)state;
    size_t n = sizeof(objects) / sizeof(objects[0]);
    for (size_t i = 0; i < n; i++) {
        json_t *obj = parse(objects[i].json);
        const struct kind *k = kind_of(objects[i].kind);
        const struct kc_schema *sc = kc_schema_find_gvk(k->group, k->version, k->kind);
        const json_t *empty = kc_typed_empty_object_shared(sc);
        struct kc_fieldset *walk, *a, *mo, *r, *general, *members;
        assert_int_equal(kc_typed_compare_changes(empty, obj, sc, true, NULL, NULL, &walk), 0);
        assert_int_equal(kc_typed_compare(empty, obj, sc, &a, &mo, &r), 0);
        assert_int_equal(kc_fieldset_union(a, mo, &general), 0);
        assert_int_equal(kc_fieldset_copy(general, &members), 0);
        struct grow_ctx g = { walk, general };
        assert_int_equal(kc_fieldset_iterate(members, grow_both, &g), 0); /* every node grows, front and back */
        assert_same_set(walk, general, objects[i].name);
        struct kc_fieldset *d1, *d2, *c1;
        assert_int_equal(kc_fieldset_difference(walk, members, &d1), 0);
        assert_int_equal(kc_fieldset_difference(general, members, &d2), 0);
        assert_same_set(d1, d2, objects[i].name);
        assert_int_equal(kc_fieldset_copy(walk, &c1), 0);
        assert_same_set(c1, general, objects[i].name);
        /* a later update of the created object, on both results */
        struct kc_fieldset *ignored = ignored_for(sc, k, EP_MAIN);
        struct kc_managed_ctx ctx = { .schema = sc,
                                      .api_version = k->api_version,
                                      .subresource = "",
                                      .ignored = ignored,
                                      .now = "2026-01-01T00:00:00Z" };
        struct kc_managed m1, m2;
        kc_managed_init(&m1);
        kc_managed_init(&m2);
        assert_int_equal(kc_managed_create(&m1, &ctx, "creator", obj), 0);
        assert_int_equal(kc_managed_update(&m2, &ctx, "creator", empty, obj), 0);
        rng_state = 0x5851f42d4c957f2dULL * (i + 1);
        json_t *next = mutated(obj);
        ctx.now = "2026-01-01T00:01:00Z";
        assert_int_equal(kc_managed_update(&m1, &ctx, "editor", obj, next), 0);
        assert_int_equal(kc_managed_update(&m2, &ctx, "editor", obj, next), 0);
        ctx.now = "2026-01-01T00:02:00Z";
        assert_int_equal(kc_managed_update(&m1, &ctx, "creator", next, obj), 0);
        assert_int_equal(kc_managed_update(&m2, &ctx, "creator", next, obj), 0);
        json_t *e1 = encoded(&m1), *e2 = encoded(&m2);
        assert_same_json(e1, e2, objects[i].name);
        json_decref(e1);
        json_decref(e2);
        json_decref(next);
        kc_managed_close(&m1);
        kc_managed_close(&m2);
        kc_fieldset_free(ignored);
        kc_fieldset_free(walk);
        kc_fieldset_free(a);
        kc_fieldset_free(mo);
        kc_fieldset_free(r);
        kc_fieldset_free(general);
        kc_fieldset_free(members);
        kc_fieldset_free(d1);
        kc_fieldset_free(d2);
        kc_fieldset_free(c1);
        json_decref(obj);
    }
}

/* Values nested far deeper than the walk's first scratch block reaches, and wide ones (one value's children in
 * heap blocks): RawExtension data is any JSON. */
static void
test_deep_and_wide(void **state)
{
    (void)state;
    const struct kind *k = kind_of("ControllerRevision");
    json_t *obj = json_pack("{s:s,s:s,s:{s:s},s:i}", "apiVersion", "apps/v1", "kind", "ControllerRevision", "metadata",
                            "name", "r", "revision", 1);
    json_t *deep = json_object(), *cur = deep;
    for (int i = 0; i < 1500; i++) {
        json_t *next = json_object();
        char key[16];
        snprintf(key, sizeof(key), "k%d", i % 7);
        json_object_set_new(cur, key, next);
        json_object_set_new(cur, "leaf", json_integer(i));
        cur = next;
    }
    json_object_set_new(obj, "data", deep);
    check_object("deep", k, obj, obj, false);
    json_t *wide = json_object();
    for (int i = 0; i < 3000; i++) {
        char key[16];
        snprintf(key, sizeof(key), "w%d", (i * 7919) % 3000);
        json_object_set_new(wide, key, i % 3 ? json_integer(i) : json_pack("{s:i,s:[i]}", "a", i, "b", i));
    }
    json_object_set_new(obj, "data", wide);
    check_object("wide", k, obj, obj, false);
    json_t *cm =
        json_pack("{s:s,s:s,s:{s:s},s:{}}", "apiVersion", "v1", "kind", "ConfigMap", "metadata", "name", "cm", "data");
    json_t *data = json_object_get(cm, "data");
    for (int i = 0; i < 500; i++) {
        char key[16];
        snprintf(key, sizeof(key), "key%d", (i * 31) % 500);
        json_object_set_new(data, key, json_string("v"));
    }
    check_object("wide config map", kind_of("ConfigMap"), cm, cm, true);
    json_decref(cm);
    json_decref(obj);
}

/* Out of memory at each allocation of the create paths: -ENOMEM and m as it was, or success and the same
 * result as without faults. */
static int
oom_once(long nth, int which, const json_t *obj, const json_t *mf, const char *want)
{
    const struct kind *k = kind_of("Pod");
    const struct kc_schema *sc = kc_schema_find_gvk("", "v1", "Pod");
    struct kc_fieldset *ignored = ignored_for(sc, k, EP_MAIN);
    struct kc_managed_ctx ctx = {
        .schema = sc, .api_version = "v1", .subresource = "", .ignored = ignored, .now = "t"
    };
    struct kc_managed m = decoded(mf);
    json_t *before = encoded(&m), *enc = NULL;
    struct kc_fieldset *s = NULL;
    kc_fault_arm(KC_FAULT_ALLOC, nth, ENOMEM, false);
    int rc;
    if (which == 0)
        rc = kc_managed_create(&m, &ctx, "mgr", obj);
    else if (which == 1)
        rc = kc_managed_create_encode(&m, &ctx, "mgr", obj, &enc);
    else
        rc = kc_typed_compare_changes(kc_typed_empty_object_shared(sc), obj, sc, true, ignored, ignored, &s);
    long injected = kc_fault_injected(KC_FAULT_ALLOC);
    kc_fault_disarm(KC_FAULT_ALLOC);
    if (s) {
        assert_int_equal(kc_fieldset_to_fields_v1(s, &enc), 0);
        kc_fieldset_free(s);
    }
    if ((injected && rc != -ENOMEM) || (!injected && rc != 0))
        fail_msg("path %d, allocation %ld: rc %d, %ld faults injected", which, nth, rc, injected);
    json_t *after = which == 0 ? encoded(&m) : NULL;
    char *t = NULL;
    if (rc != 0) {
        json_t *now = encoded(&m);
        assert_same_json(now, before, "m after a failure");
        json_decref(now);
    } else if (want) {
        t = dump(which == 0 ? after : enc);
        if (strcmp(t, want) != 0)
            fail_msg("path %d, allocation %ld: a different result", which, nth);
    }
    free(t);
    json_decref(after);
    json_decref(before);
    json_decref(enc);
    kc_managed_close(&m);
    kc_fieldset_free(ignored);
    return (int)injected;
}

/* The walk's text for obj against the pod's empty object, and the memo's (checked equal); returns the text. */
static char *
memo_text(const json_t *obj, const struct kc_fieldset *skip, const char *what)
{
    const struct kc_schema *sc = kc_schema_find_gvk("", "v1", "Pod");
    struct kc_sb want = { 0 }, got = { 0 };
    assert_int_equal(
        kc_typed_compare_changes_v1_text(kc_typed_empty_object_shared(sc), obj, sc, true, skip, strip_like(), &want),
        0);
    assert_int_equal(kc_typed_create_changes_v1_text(obj, sc, skip, strip_like(), &got), 0);
    if (strcmp(got.p, want.p) != 0)
        fail_msg("%s: from the memo\n got  %s\n want %s", what, got.p, want.p);
    kc_sb_free(&got);
    return kc_sb_take(&want);
}

/* Objects whose FieldsV1 differ are never answered with one another's: a list key's value, a member's name, an
 * added member, a null for a value, a set, a different set to skip; and each pair really differs. */
static void
test_memo_apart(void **state)
{
    (void)state;
    kc_typed_create_memo_clear();
    json_t *base = parse(bench_pod);
    struct kc_fieldset *status = set_of("{\"f:status\":{}}");
    char *first = memo_text(base, status, "bench pod");
    static const struct {
        const char *what, *path, *value; /* value: JSON text set at path (a path of member names) */
    } changes[] = {
        { "a container's name (a list key)", NULL, NULL },
        { "a port's protocol (a key with another)", NULL, NULL },
        { "a label's name", "metadata.labels.apps", "\"web\"" },
        { "an added annotation", "metadata.annotations.added", "\"x\"" },
        { "a map set to null", "metadata.annotations", "null" },
        { "a list of one value (a set)", "metadata.finalizers", "[\"example.com/f\"]" },
        { "an empty struct", "spec.securityContext", "{\"runAsUser\":1}" },
    };
    for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
        json_t *o = json_deep_copy(base);
        if (i == 0)
            json_object_set_new(json_array_get(kc_json_get(o, "spec.containers"), 0), "name", json_string("api"));
        else if (i == 1)
            json_object_set_new(
                json_array_get(json_object_get(json_array_get(kc_json_get(o, "spec.containers"), 0), "ports"), 1),
                "protocol", json_string("UDP"));
        else {
            if (strcmp(changes[i].path, "metadata.labels.apps") == 0)
                json_object_del(kc_json_get(o, "metadata.labels"), "app");
            assert_int_equal(kc_json_set(o, changes[i].path, parse(changes[i].value)), 0);
        }
        uint64_t misses = memo_misses();
        char *t = memo_text(o, status, changes[i].what);
        if (memo_misses() != misses + 1 || strcmp(t, first) == 0)
            fail_msg("%s: not told apart (%s)", changes[i].what, t);
        free(t);
        json_decref(o);
    }
    /* the same object with another set to skip: its own entry */
    uint64_t misses = memo_misses();
    char *t = memo_text(base, NULL, "no skip");
    assert_int_equal(memo_misses(), misses + 1);
    assert_string_not_equal(t, first);
    free(t);
    /* and the first object again, from the memo */
    uint64_t hits = memo_hits();
    t = memo_text(base, status, "again");
    assert_int_equal(memo_hits(), hits + 1);
    assert_string_equal(t, first);
    free(t);
    free(first);
    kc_fieldset_free(status);
    json_decref(base);
}

/* The memo holds 32 structures, the least recently used making room; an object whose signature is over 64 KB is
 * walked every time. */
static void
test_memo_bounds(void **state)
{
    (void)state;
    kc_typed_create_memo_clear();
    json_t *base = parse(bench_pod);
    char *want[40];
    for (int i = 0; i < 40; i++) {
        json_t *o = json_deep_copy(base);
        char key[32];
        snprintf(key, sizeof(key), "k%02d", i);
        json_object_set_new(kc_json_get(o, "metadata.labels"), key, json_string("v"));
        uint64_t misses = memo_misses();
        want[i] = memo_text(o, NULL, key);
        assert_int_equal(memo_misses(), misses + 1);
        if (i >= 8) { /* the most recent eight found again: kept */
            json_t *again = json_deep_copy(base);
            snprintf(key, sizeof(key), "k%02d", i - 8);
            json_object_set_new(kc_json_get(again, "metadata.labels"), key, json_string("other"));
            uint64_t hits = memo_hits();
            char *t = memo_text(again, NULL, key);
            assert_int_equal(memo_hits(), hits + 1);
            assert_string_equal(t, want[i - 8]);
            free(t);
            json_decref(again);
        }
        json_decref(o);
    }
    /* structure 0 was last used 40 structures ago: walked again, with the same text */
    json_t *o = json_deep_copy(base);
    json_object_set_new(kc_json_get(o, "metadata.labels"), "k00", json_string("v"));
    uint64_t misses = memo_misses();
    char *t = memo_text(o, NULL, "k00 again");
    assert_int_equal(memo_misses(), misses + 1);
    assert_string_equal(t, want[0]);
    free(t);
    json_decref(o);
    for (int i = 0; i < 40; i++)
        free(want[i]);
    /* a signature over 64 KB (3,000 label names of 24 bytes): not kept, walked each time */
    json_t *big = json_deep_copy(base);
    for (int i = 0; i < 3000; i++) {
        char key[32];
        snprintf(key, sizeof(key), "example.com/label-%05d", i);
        json_object_set_new(kc_json_get(big, "metadata.labels"), key, json_string("v"));
    }
    misses = memo_misses();
    uint64_t hits = memo_hits();
    char *a = memo_text(big, NULL, "big"), *b = memo_text(big, NULL, "big again");
    assert_int_equal(memo_misses(), misses + 2);
    assert_int_equal(memo_hits(), hits);
    assert_string_equal(a, b);
    free(a);
    free(b);
    json_decref(big);
    json_decref(base);
}

/* Threads sharing the memo: each object's text is its own, whatever the others put in or evict meanwhile. */
struct memo_job {
    json_t *objs[48];
    char *want[48];
    int seed;
    int bad;
};

static void *
memo_worker(void *arg)
{
    struct memo_job *j = arg;
    const struct kc_schema *sc = kc_schema_find_gvk("", "v1", "Pod");
    for (int i = 0; i < 600; i++) {
        int k = (i * 7 + j->seed) % 48;
        struct kc_sb got = { 0 };
        if (kc_typed_create_changes_v1_text(j->objs[k], sc, NULL, strip_like(), &got) != 0 ||
            strcmp(got.p, j->want[k]) != 0)
            j->bad++;
        kc_sb_free(&got);
    }
    return NULL;
}

static void
test_memo_threads(void **state)
{
    (void)state;
    kc_typed_create_memo_clear();
    json_t *base = parse(bench_pod);
    const struct kc_schema *sc = kc_schema_find_gvk("", "v1", "Pod");
    struct memo_job jobs[4];
    for (int k = 0; k < 48; k++) { /* 48 structures: more than the memo holds, so threads also evict */
        json_t *o = json_deep_copy(base);
        char name[32];
        snprintf(name, sizeof(name), "c%02d", k);
        json_object_set_new(json_array_get(kc_json_get(o, "spec.containers"), 0), "name", json_string(name));
        struct kc_sb want = { 0 };
        assert_int_equal(
            kc_typed_compare_changes_v1_text(kc_typed_empty_object_shared(sc), o, sc, true, NULL, strip_like(), &want),
            0);
        for (int t = 0; t < 4; t++) {
            jobs[t].objs[k] = t ? twin(kc_typed_empty_object_shared(sc), o) : json_incref(o);
            jobs[t].want[k] = strdup(want.p);
        }
        kc_sb_free(&want);
        json_decref(o);
    }
    pthread_t th[4];
    for (int t = 0; t < 4; t++) {
        jobs[t].seed = t * 5;
        jobs[t].bad = 0;
        assert_int_equal(pthread_create(&th[t], NULL, memo_worker, &jobs[t]), 0);
    }
    for (int t = 0; t < 4; t++) {
        assert_int_equal(pthread_join(th[t], NULL), 0);
        assert_int_equal(jobs[t].bad, 0);
        for (int k = 0; k < 48; k++) {
            json_decref(jobs[t].objs[k]);
            free(jobs[t].want[k]);
        }
    }
    assert_true(memo_hits() > 0);
    json_decref(base);
}

/* The text form out of memory at each allocation: -ENOMEM with out as it was (or out->oom), or the same text. */
static void
test_out_of_memory_text(void **state)
{
    (void)state;
    json_t *wide = parse(obj_pod_lists);
    json_t *labels = kc_json_get(wide, "metadata.labels");
    for (int i = 0; i < 200; i++) {
        char key[16];
        snprintf(key, sizeof(key), "l%03d", i);
        json_object_set_new(labels, key, json_string("v"));
    }
    const struct kc_schema *sc = kc_schema_find_gvk("", "v1", "Pod");
    struct kc_fieldset *ignored = ignored_for(sc, kind_of("Pod"), EP_MAIN);
    struct kc_managed_ctx ctx = {
        .schema = sc, .api_version = "v1", .subresource = "", .ignored = ignored, .now = "t"
    };
    struct kc_managed m;
    kc_managed_init(&m);
    assert_non_null(kc_typed_empty_object_shared(sc));
    struct kc_sb want = { 0 };
    assert_int_equal(kc_managed_create_encode_text(&m, &ctx, "mgr", wide, &want), 0);
    assert_true(want.len > 0);
    int failed = 0;
    for (long nth = 1;; nth++) {
        struct kc_sb out = { 0 };
        kc_sb_str(&out, "prefix");
        kc_typed_create_memo_clear(); /* the walk runs (and the memo keeps its text) each time */
        kc_fault_arm(KC_FAULT_ALLOC, nth, ENOMEM, false);
        int rc = kc_managed_create_encode_text(&m, &ctx, "mgr", wide, &out);
        long injected = kc_fault_injected(KC_FAULT_ALLOC);
        kc_fault_disarm(KC_FAULT_ALLOC);
        if (!injected) {
            assert_int_equal(rc, 0);
            assert_string_equal(out.p + 6, want.p);
            kc_sb_free(&out);
            break;
        }
        if (rc == 0) { /* the fault was in the memo's keeping of the text: not kept, no error */
            assert_string_equal(out.p + 6, want.p);
            kc_sb_free(&out);
            continue;
        }
        if (rc != -ENOMEM)
            fail_msg("allocation %ld: rc %d", nth, rc);
        assert_true(out.oom || (out.len == 6 && strcmp(out.p, "prefix") == 0));
        kc_sb_free(&out);
        failed++;
    }
    assert_true(failed > 3);
    kc_sb_free(&want);
    kc_managed_close(&m);
    kc_fieldset_free(ignored);
    json_decref(wide);
}

static void
test_out_of_memory(void **state)
{
    (void)state;
    json_t *obj = parse(obj_pod_lists), *other = parse(bench_pod);
    json_t *mf = client_entries(kind_of("Pod"), other, obj, true);
    for (int which = 0; which < 3; which++) {
        json_t *wide = json_deep_copy(obj); /* a map big enough for a scratch block on the heap */
        json_t *labels = kc_json_get(wide, "metadata.labels");
        for (int i = 0; i < 200; i++) {
            char key[16];
            snprintf(key, sizeof(key), "l%03d", i);
            json_object_set_new(labels, key, json_string("v"));
        }
        for (int with_entries = 0; with_entries < 2; with_entries++) {
            const json_t *req = with_entries && which < 2 ? mf : NULL;
            oom_once(0, which, wide, req, NULL); /* nth 0: no fault; the result to expect */
            struct kc_managed m = decoded(req);
            json_t *enc = NULL;
            const struct kc_schema *sc = kc_schema_find_gvk("", "v1", "Pod");
            struct kc_fieldset *ignored = ignored_for(sc, kind_of("Pod"), EP_MAIN);
            struct kc_managed_ctx ctx = {
                .schema = sc, .api_version = "v1", .subresource = "", .ignored = ignored, .now = "t"
            };
            struct kc_fieldset *s = NULL;
            if (which == 0) {
                assert_int_equal(kc_managed_create(&m, &ctx, "mgr", wide), 0);
                enc = encoded(&m);
            } else if (which == 1) {
                assert_int_equal(kc_managed_create_encode(&m, &ctx, "mgr", wide, &enc), 0);
            } else {
                assert_int_equal(
                    kc_typed_compare_changes(kc_typed_empty_object_shared(sc), wide, sc, true, ignored, ignored, &s),
                    0);
                assert_int_equal(kc_fieldset_to_fields_v1(s, &enc), 0);
                kc_fieldset_free(s);
            }
            char *want = dump(enc);
            json_decref(enc);
            kc_managed_close(&m);
            kc_fieldset_free(ignored);
            long n = 1;
            while (oom_once(n, which, wide, req, want))
                n++;
            assert_true(n > 3);
            free(want);
        }
        json_decref(wide);
    }
    json_decref(mf);
    json_decref(obj);
    json_decref(other);
}

static int
teardown(void **state)
{
    (void)state;
    kc_fieldset_free((struct kc_fieldset *)strip_like());
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bench_pod),        cmocka_unit_test(test_objects),
        cmocka_unit_test(test_mutations),        cmocka_unit_test(test_checks_discriminate),
        cmocka_unit_test(test_walk_sets_change), cmocka_unit_test(test_deep_and_wide),
        cmocka_unit_test(test_out_of_memory),    cmocka_unit_test(test_out_of_memory_text),
        cmocka_unit_test(test_memo_apart),       cmocka_unit_test(test_memo_bounds),
        cmocka_unit_test(test_memo_threads),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
