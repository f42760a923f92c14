/* test_tables.c - server-side Table printing (apiserver/tables.c) against upstream Kubernetes 1.33's printers:
 * every kind's column definitions and the exact cells of realistic stored objects (status included), the pod
 * Status reasons, duration.HumanDuration at each boundary, and the "<none>"/"<unknown>" texts of missing fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_kinds.h"
#include "api_res.h"
#include "kc_fault.h"
#include "kc_json.h"
#include "kc_time.h"

/* All ages are taken at this instant: 2025-06-01T12:00:00Z. */
static int64_t now_sec;

/* Parses test JSON written with single quotes (no apostrophes inside the texts). */
static json_t *
J(const char *text)
{
    size_t n = strlen(text);
    char *s = malloc(n + 1), err[160];
    json_t *v = NULL;
    assert_non_null(s);
    for (size_t i = 0; i <= n; i++)
        s[i] = text[i] == '\'' ? '"' : text[i];
    int rc = kc_json_parse(s, n, &v, err, sizeof(err));
    if (rc != 0) {
        print_error("bad test JSON %s: %s\n", s, err);
        free(s);
        fail();
    }
    free(s);
    return v;
}

static void
check_row_at(const char *what, api_row_fn fn, const char *object, const char *expected, int line)
{
    json_t *in = J(object), *want = J(expected), *cells = json_array();
    assert_non_null(cells);
    fn(NULL, in, now_sec, cells);
    bool ok = kc_json_equal(cells, want);
    if (!ok) {
        char *got = kc_json_canonical(cells), *exp = kc_json_canonical(want);
        print_error("line %d, %s:\n  got  %s\n  want %s\n", line, what, got, exp);
        free(got);
        free(exp);
    }
    json_decref(in);
    json_decref(want);
    json_decref(cells);
    if (!ok)
        fail();
}

#define ROW(fn, object, expected) check_row_at(#fn, fn, object, expected, __LINE__)

/* The columns as "Name/type/format/priority|...", for comparing a whole definition at once. */
static void
check_columns_at(const struct api_column *cols, const char *expected, int line)
{
    char got[2048] = "";
    size_t n = 0;
    for (const struct api_column *c = cols; c->name; c++) {
        n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%s/%s/%s/%d", c == cols ? "" : "|", c->name, c->type,
                              c->format, c->priority);
        assert_true(n < sizeof(got));
        if (!c->description || !*c->description) {
            print_error("line %d: column %s has no description\n", line, c->name);
            fail();
        }
    }
    if (strcmp(got, expected) != 0) {
        print_error("line %d:\n  got  %s\n  want %s\n", line, got, expected);
        fail();
    }
}

#define COLUMNS(cols, expected) check_columns_at(cols, expected, __LINE__)

static size_t
ncolumns(const struct api_column *cols)
{
    size_t n = 0;
    while (cols[n].name)
        n++;
    return n;
}

static const char *
description(const struct api_column *cols, const char *name)
{
    for (const struct api_column *c = cols; c->name; c++) {
        if (strcmp(c->name, name) == 0)
            return c->description;
    }
    fail_msg("no column %s", name);
    return NULL;
}

/* ---- human durations ---- */

static void
age_is(int64_t seconds_ago, const char *want)
{
    char created[KC_TIME_BUF], buf[32];
    struct kc_time t = { now_sec - seconds_ago, 0 };
    kc_time_format(t, created);
    api_human_age(created, now_sec, buf, sizeof(buf));
    if (strcmp(buf, want) != 0) {
        print_error("age of %lld s: got %s, want %s\n", (long long)seconds_ago, buf, want);
        fail();
    }
}

static void
test_human_age_boundaries(void **state)
{
    (void)state;
    const int64_t m = 60, h = 3600, d = 86400, y = 365 * 86400;
    age_is(0, "0s");
    age_is(1, "1s");
    age_is(59, "59s");
    age_is(60, "60s");
    age_is(119, "119s"); /* seconds below two minutes */
    age_is(120, "2m");
    age_is(121, "2m1s");
    age_is(150, "2m30s");
    age_is(9 * m + 59, "9m59s"); /* minutes and seconds below ten minutes */
    age_is(10 * m, "10m");
    age_is(10 * m + 59, "10m");
    age_is(3 * h - 1, "179m"); /* minutes below three hours */
    age_is(3 * h, "3h");
    age_is(3 * h + 59, "3h");
    age_is(3 * h + m, "3h1m");
    age_is(8 * h - 1, "7h59m"); /* hours and minutes below eight hours */
    age_is(8 * h, "8h");
    age_is(47 * h + 59 * m, "47h"); /* hours below two days */
    age_is(48 * h, "2d");
    age_is(49 * h, "2d1h");
    age_is(8 * d - 1, "7d23h"); /* days and hours below eight days */
    age_is(8 * d, "8d");
    age_is(2 * y - 1, "729d"); /* days below two years */
    age_is(2 * y, "2y");
    age_is(2 * y + d, "2y1d");
    age_is(8 * y - 1, "7y364d"); /* years and days below eight years */
    age_is(8 * y, "8y");
    age_is(8 * y + 100 * d, "8y");
    age_is(-1, "0s"); /* up to two seconds in the future is clock skew */
    age_is(-2, "<invalid>");
    age_is(-3600, "<invalid>");
}

static void
test_human_age_inputs(void **state)
{
    (void)state;
    char buf[32];
    api_human_age(NULL, now_sec, buf, sizeof(buf));
    assert_string_equal(buf, "<unknown>");
    api_human_age("", now_sec, buf, sizeof(buf));
    assert_string_equal(buf, "<unknown>");
    api_human_age("yesterday", now_sec, buf, sizeof(buf));
    assert_string_equal(buf, "<unknown>");
    api_human_age("2025-06-01 11:00:00", now_sec, buf, sizeof(buf));
    assert_string_equal(buf, "<unknown>");
    api_human_age("0001-01-01T00:00:00Z", now_sec, buf, sizeof(buf)); /* Go's zero time: IsZero */
    assert_string_equal(buf, "<unknown>");
    api_human_age("0001-01-01T01:00:00+01:00", now_sec, buf, sizeof(buf)); /* the same instant */
    assert_string_equal(buf, "<unknown>");
    api_human_age("0001-01-01T00:00:01Z", now_sec, buf, sizeof(buf)); /* Sub saturates at ~292 years */
    assert_string_equal(buf, "292y");
    api_human_age("2025-06-01T13:55:00+02:00", now_sec, buf, sizeof(buf)); /* offsets count */
    assert_string_equal(buf, "5m");
    api_human_age("2025-06-01T11:59:59.999Z", now_sec, buf, sizeof(buf)); /* fractions truncate */
    assert_string_equal(buf, "0s");
    api_human_age("2025-06-01T11:58:00.5Z", now_sec, buf, sizeof(buf));
    assert_string_equal(buf, "119s");
    api_human_age("2025-06-01T11:57:59.5Z", now_sec, buf, sizeof(buf));
    assert_string_equal(buf, "2m");
    api_human_age("2025-06-01T12:00:01.5Z", now_sec, buf, sizeof(buf)); /* -1.5s truncates to -1 */
    assert_string_equal(buf, "0s");
    api_human_age("2025-06-01T12:00:02Z", now_sec, buf, sizeof(buf));
    assert_string_equal(buf, "<invalid>");

    char small[4];
    api_human_age("2025-05-01T12:00:00Z", now_sec, small, sizeof(small)); /* "31d" fits exactly */
    assert_string_equal(small, "31d");
    api_human_age(NULL, now_sec, small, sizeof(small)); /* truncated, still terminated */
    assert_string_equal(small, "<un");
    api_human_age(NULL, now_sec, NULL, 0); /* no buffer: nothing written, no crash */
}

/* ---- column definitions ---- */

static void
test_columns(void **state)
{
    (void)state;
    COLUMNS(api_columns_core_pod,
            "Name/string/name/0|Ready/string//0|Status/string//0|Restarts/string//0|Age/string//0|"
            "IP/string//1|Node/string//1|Nominated Node/string//1|Readiness Gates/string//1");
    COLUMNS(api_columns_core_node, "Name/string/name/0|Status/string//0|Roles/string//0|Age/string//0|"
                                   "Version/string//0|Internal-IP/string//1|External-IP/string//1|"
                                   "OS-Image/string//1|Kernel-Version/string//1|Container-Runtime/string//1");
    COLUMNS(api_columns_core_service, "Name/string/name/0|Type/string//0|Cluster-IP/string//0|"
                                      "External-IP/string//0|Port(s)/string//0|Age/string//0|Selector/string//1");
    COLUMNS(api_columns_core_endpoints, "Name/string/name/0|Endpoints/string//0|Age/string//0");
    COLUMNS(api_columns_core_namespace, "Name/string/name/0|Status/string//0|Age/string//0");
    COLUMNS(api_columns_core_persistentvolume,
            "Name/string/name/0|Capacity/string//0|Access Modes/string//0|Reclaim Policy/string//0|"
            "Status/string//0|Claim/string//0|StorageClass/string//0|VolumeAttributesClass/string//0|"
            "Reason/string//0|Age/string//0|VolumeMode/string//1");
    COLUMNS(api_columns_core_persistentvolumeclaim,
            "Name/string/name/0|Status/string//0|Volume/string//0|Capacity/string//0|Access Modes/string//0|"
            "StorageClass/string//0|VolumeAttributesClass/string//0|Age/string//0|VolumeMode/string//1");
    COLUMNS(api_columns_core_configmap, "Name/string/name/0|Data/string//0|Age/string//0");
    COLUMNS(api_columns_core_secret, "Name/string/name/0|Type/string//0|Data/string//0|Age/string//0");
    COLUMNS(api_columns_core_serviceaccount, "Name/string/name/0|Secrets/string//0|Age/string//0");
    const char *events = "Last Seen/string//0|Type/string//0|Reason/string//0|Object/string//0|"
                         "Subobject/string//1|Source/string//1|Message/string//0|First Seen/string//1|"
                         "Count/string//1|Name/string/name/1";
    COLUMNS(api_columns_core_event, events);
    COLUMNS(api_columns_events_event, events);
    COLUMNS(api_columns_apps_deployment, "Name/string/name/0|Ready/string//0|Up-to-date/string//0|"
                                         "Available/string//0|Age/string//0|Containers/string//1|"
                                         "Images/string//1|Selector/string//1");
    COLUMNS(api_columns_apps_replicaset, "Name/string/name/0|Desired/integer//0|Current/integer//0|"
                                         "Ready/integer//0|Age/string//0|Containers/string//1|Images/string//1|"
                                         "Selector/string//1");
    COLUMNS(api_columns_apps_daemonset, "Name/string/name/0|Desired/integer//0|Current/integer//0|"
                                        "Ready/integer//0|Up-to-date/integer//0|Available/integer//0|"
                                        "Node Selector/string//0|Age/string//0|Containers/string//1|"
                                        "Images/string//1|Selector/string//1");
    COLUMNS(api_columns_apps_statefulset,
            "Name/string/name/0|Ready/string//0|Age/string//0|Containers/string//1|Images/string//1");
    COLUMNS(api_columns_batch_job, "Name/string/name/0|Status/string//0|Completions/string//0|"
                                   "Duration/string//0|Age/string//0|Containers/string//1|Images/string//1|"
                                   "Selector/string//1");
    COLUMNS(api_columns_batch_cronjob, "Name/string/name/0|Schedule/string//0|Timezone/string//0|"
                                       "Suspend/boolean//0|Active/integer//0|Last Schedule/string//0|"
                                       "Age/string//0|Containers/string//1|Images/string//1|Selector/string//1");
    COLUMNS(api_columns_networking_ingress, "Name/string/name/0|Class/string//0|Hosts/string//0|"
                                            "Address/string//0|Ports/string//0|Age/string//0");
    COLUMNS(api_columns_networking_ingressclass,
            "Name/string/name/0|Controller/string//0|Parameters/string//0|Age/string//0");
    COLUMNS(api_columns_discovery_endpointslice, "Name/string/name/0|AddressType/string//0|Ports/string//0|"
                                                 "Endpoints/string//0|Age/string//0");
    COLUMNS(api_columns_coordination_lease, "Name/string/name/0|Holder/string//0|Age/string//0");
    COLUMNS(api_columns_storage_storageclass, "Name/string/name/0|Provisioner/string//0|ReclaimPolicy/string//0|"
                                              "VolumeBindingMode/string//0|AllowVolumeExpansion/string//0|"
                                              "Age/string//0");
    COLUMNS(api_columns_autoscaling_horizontalpodautoscaler,
            "Name/string/name/0|Reference/string//0|Targets/string//0|MinPods/string//0|MaxPods/string//0|"
            "Replicas/string//0|Age/string//0");
}

static void
test_column_descriptions(void **state)
{
    (void)state;
    /* ObjectMeta's SwaggerDoc for the Name and Age columns of every kind */
    assert_string_equal(description(api_columns_core_pod, "Name"),
                        "Name must be unique within a namespace. Is required when creating resources, although "
                        "some resources may allow a client to request the generation of an appropriate name "
                        "automatically. Name is primarily intended for creation idempotence and configuration "
                        "definition. Cannot be updated. More info: "
                        "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names");
    assert_string_equal(description(api_columns_core_pod, "Age"),
                        "CreationTimestamp is a timestamp representing the server time when this object was "
                        "created. It is not guaranteed to be set in happens-before order across separate "
                        "operations. Clients may not set this value. It is represented in RFC3339 form and is in "
                        "UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
                        "https://git.k8s.io/community/contributors/devel/sig-architecture/"
                        "api-conventions.md#metadata");
    assert_string_equal(description(api_columns_core_pod, "Restarts"),
                        "The number of times the containers in this pod have been restarted and when the last "
                        "container in this pod has restarted.");
    assert_string_equal(description(api_columns_core_pod, "IP"),
                        "podIP address allocated to the pod. Routable at least within the cluster. Empty if not "
                        "yet allocated.");
    assert_string_equal(description(api_columns_core_node, "Version"), "Kubelet Version reported by the node.");
    assert_string_equal(description(api_columns_core_namespace, "Status"), "The status of the namespace");
    assert_string_equal(description(api_columns_apps_deployment, "Ready"), "Number of the pod with ready state");
    /* older group-versions' texts where upstream reads them (extensions/v1beta1, autoscaling/v2beta1) */
    assert_string_equal(description(api_columns_apps_deployment, "Selector"),
                        "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the "
                        "ones affected by this deployment.");
    assert_string_equal(description(api_columns_apps_daemonset, "Ready"),
                        "The number of nodes that should be running the daemon pod and have one or more of the "
                        "daemon pod running and ready.");
    assert_string_equal(description(api_columns_autoscaling_horizontalpodautoscaler, "MaxPods"),
                        "maxReplicas is the upper limit for the number of replicas to which the autoscaler can "
                        "scale up. It cannot be less that minReplicas.");
    assert_string_equal(description(api_columns_batch_job, "Status"), "Status of the job.");
    assert_string_equal(description(api_columns_core_event, "Object"), "The object that this event is about.");
    assert_string_equal(description(api_columns_core_persistentvolume, "StorageClass"), "StorageClass of the pv");
    assert_string_equal(description(api_columns_core_persistentvolumeclaim, "VolumeAttributesClass"),
                        "VolumeAttributesClass of the pvc");
    assert_string_equal(description(api_columns_apps_deployment, "Containers"),
                        "Names of each container in the template.");
    /* the shared Name and Age texts are one and the same everywhere */
    assert_string_equal(description(api_columns_storage_storageclass, "Name"),
                        description(api_columns_core_pod, "Name"));
    assert_string_equal(description(api_columns_core_event, "Name"), description(api_columns_core_pod, "Name"));
    assert_string_equal(description(api_columns_coordination_lease, "Age"), description(api_columns_core_pod, "Age"));
}

/* ---- every kind: one cell per column, for a full object and for an empty one ---- */

static const struct {
    const char *name;
    const struct api_column *columns;
    api_row_fn row;
} kinds[] = {
    { "namespace", api_columns_core_namespace, api_row_core_namespace },
    { "pod", api_columns_core_pod, api_row_core_pod },
    { "service", api_columns_core_service, api_row_core_service },
    { "endpoints", api_columns_core_endpoints, api_row_core_endpoints },
    { "node", api_columns_core_node, api_row_core_node },
    { "persistentvolume", api_columns_core_persistentvolume, api_row_core_persistentvolume },
    { "persistentvolumeclaim", api_columns_core_persistentvolumeclaim, api_row_core_persistentvolumeclaim },
    { "configmap", api_columns_core_configmap, api_row_core_configmap },
    { "secret", api_columns_core_secret, api_row_core_secret },
    { "serviceaccount", api_columns_core_serviceaccount, api_row_core_serviceaccount },
    { "event", api_columns_core_event, api_row_core_event },
    { "deployment", api_columns_apps_deployment, api_row_apps_deployment },
    { "replicaset", api_columns_apps_replicaset, api_row_apps_replicaset },
    { "daemonset", api_columns_apps_daemonset, api_row_apps_daemonset },
    { "statefulset", api_columns_apps_statefulset, api_row_apps_statefulset },
    { "job", api_columns_batch_job, api_row_batch_job },
    { "cronjob", api_columns_batch_cronjob, api_row_batch_cronjob },
    { "ingress", api_columns_networking_ingress, api_row_networking_ingress },
    { "ingressclass", api_columns_networking_ingressclass, api_row_networking_ingressclass },
    { "endpointslice", api_columns_discovery_endpointslice, api_row_discovery_endpointslice },
    { "lease", api_columns_coordination_lease, api_row_coordination_lease },
    { "storageclass", api_columns_storage_storageclass, api_row_storage_storageclass },
    { "hpa", api_columns_autoscaling_horizontalpodautoscaler, api_row_autoscaling_horizontalpodautoscaler },
    { "events.k8s.io event", api_columns_events_event, api_row_events_event },
};

static void
test_cell_counts(void **state)
{
    (void)state;
    /* objects with nothing, with JSON nulls and with fields of the wrong type must not crash and still fill
     * every column */
    const char *odd[] = { "{}", "{'metadata':null,'spec':null,'status':null}",
                          "{'metadata':{'name':7,'creationTimestamp':5},'spec':[],'status':'x'}", "[]", "null" };
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
            json_t *o = J(odd[i]), *cells = json_array();
            kinds[k].row(NULL, o, now_sec, cells);
            if (json_array_size(cells) != ncolumns(kinds[k].columns)) {
                print_error("%s with %s: %zu cells for %zu columns\n", kinds[k].name, odd[i], json_array_size(cells),
                            ncolumns(kinds[k].columns));
                fail();
            }
            json_decref(o);
            json_decref(cells);
        }
    }
}

/* ---- Pod ---- */

static void
test_pod_running(void **state)
{
    (void)state;
    ROW(api_row_core_pod,
        "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'web-7d4b9c-x2x1z','namespace':'default',"
        "'uid':'0c7d8e2a-1111-4d2c-9f00-5b3f2c1d0e9a','resourceVersion':'1234','creationTimestamp':'2025-06-01T11:55:"
        "00Z',"
        "'labels':{'app':'web','pod-template-hash':'7d4b9c'}},"
        "'spec':{'nodeName':'node-1','restartPolicy':'Always','containers':["
        "{'name':'web','image':'nginx:1.27','ports':[{'containerPort':80,'protocol':'TCP'}]},"
        "{'name':'metrics','image':'prom/nginx-exporter:1.1'}]},"
        "'status':{'phase':'Running','hostIP':'192.168.1.11','podIP':'10.244.1.5','podIPs':[{'ip':'10.244.1.5'}],"
        "'qosClass':'BestEffort','startTime':'2025-06-01T11:55:00Z','conditions':["
        "{'type':'Initialized','status':'True'},{'type':'Ready','status':'False'},"
        "{'type':'ContainersReady','status':'False'},{'type':'PodScheduled','status':'True'}],"
        "'containerStatuses':["
        "{'name':'web','ready':true,'started':true,'restartCount':0,'image':'nginx:1.27',"
        "'state':{'running':{'startedAt':'2025-06-01T11:55:10Z'}}},"
        "{'name':'metrics','ready':false,'started':true,'restartCount':0,"
        "'state':{'running':{'startedAt':'2025-06-01T11:55:11Z'}}}]}}",
        "['web-7d4b9c-x2x1z','1/2','Running','0','5m','10.244.1.5','node-1','<none>','<none>']");
}

static void
test_pod_restarts(void **state)
{
    (void)state;
    /* 1.33 form: the count and how long ago the last container terminated */
    ROW(api_row_core_pod,
        "{'metadata':{'name':'api','creationTimestamp':'2025-05-30T12:00:00Z'},"
        "'spec':{'nodeName':'node-2','containers':[{'name':'api','image':'api:2'}]},"
        "'status':{'phase':'Running','podIPs':[{'ip':'10.244.2.9'},{'ip':'fd00::9'}],"
        "'conditions':[{'type':'Ready','status':'True'}],'containerStatuses':[{'name':'api','ready':true,"
        "'restartCount':3,'state':{'running':{'startedAt':'2025-06-01T11:55:01Z'}},"
        "'lastState':{'terminated':{'exitCode':1,'reason':'Error','startedAt':'2025-06-01T11:50:00Z',"
        "'finishedAt':'2025-06-01T11:55:00Z'}}}]}}",
        "['api','1/1','Running','3 (5m ago)','2d','10.244.2.9','node-2','<none>','<none>']");
    /* restarts without a recorded last termination: the bare count */
    ROW(api_row_core_pod,
        "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Running',"
        "'containerStatuses':[{'name':'a','ready':true,'restartCount':2,'state':{'running':{}}}]}}",
        "['p','1/1','Running','2','<unknown>','<none>','<none>','<none>','<none>']");
    /* the latest termination of all containers counts */
    ROW(api_row_core_pod,
        "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'a'},{'name':'b'}]},'status':{'phase':'Running',"
        "'containerStatuses':["
        "{'name':'a','ready':true,'restartCount':1,'state':{'running':{}},"
        "'lastState':{'terminated':{'exitCode':1,'finishedAt':'2025-06-01T09:00:00Z'}}},"
        "{'name':'b','ready':true,'restartCount':4,'state':{'running':{}},"
        "'lastState':{'terminated':{'exitCode':1,'finishedAt':'2025-06-01T11:00:00Z'}}}]}}",
        "['p','2/2','Running','5 (60m ago)','<unknown>','<none>','<none>','<none>','<none>']");
}

static void
test_pod_waiting_reasons(void **state)
{
    (void)state;
    ROW(api_row_core_pod,
        "{'metadata':{'name':'crash','creationTimestamp':'2025-06-01T11:00:00Z'},"
        "'spec':{'nodeName':'node-1','containers':[{'name':'app','image':'app:1'}]},"
        "'status':{'phase':'Running','podIP':'10.244.1.7','containerStatuses':[{'name':'app','ready':false,"
        "'restartCount':5,'state':{'waiting':{'reason':'CrashLoopBackOff','message':'back-off 2m40s'}},"
        "'lastState':{'terminated':{'exitCode':2,'reason':'Error','finishedAt':'2025-06-01T11:58:30Z'}}}]}}",
        "['crash','0/1','CrashLoopBackOff','5 (90s ago)','60m','10.244.1.7','node-1','<none>','<none>']");
    ROW(api_row_core_pod,
        "{'metadata':{'name':'new','creationTimestamp':'2025-06-01T11:59:57Z'},"
        "'spec':{'nodeName':'node-1','containers':[{'name':'app','image':'app:1'}]},"
        "'status':{'phase':'Pending','conditions':[{'type':'PodScheduled','status':'True'}],"
        "'containerStatuses':[{'name':'app','ready':false,'restartCount':0,"
        "'state':{'waiting':{'reason':'ContainerCreating'}}}]}}",
        "['new','0/1','ContainerCreating','0','3s','<none>','node-1','<none>','<none>']");
    ROW(api_row_core_pod,
        "{'metadata':{'name':'img'},'spec':{'containers':[{'name':'a'},{'name':'b'}]},"
        "'status':{'phase':'Pending','containerStatuses':["
        "{'name':'a','ready':false,'restartCount':0,'state':{'waiting':{'reason':'ErrImagePull'}}},"
        "{'name':'b','ready':false,'restartCount':0,'state':{'waiting':{'reason':'ImagePullBackOff'}}}]}}",
        "['img','0/2','ErrImagePull','0','<unknown>','<none>','<none>','<none>','<none>']");
    /* unscheduled, and held back by scheduling gates */
    ROW(api_row_core_pod,
        "{'metadata':{'name':'pending','creationTimestamp':'2025-06-01T11:00:00Z'},"
        "'spec':{'containers':[{'name':'app','image':'app:1'}]},"
        "'status':{'phase':'Pending','conditions':[{'type':'PodScheduled','status':'False',"
        "'reason':'Unschedulable','message':'0/3 nodes are available'}]}}",
        "['pending','0/1','Pending','0','60m','<none>','<none>','<none>','<none>']");
    ROW(api_row_core_pod,
        "{'metadata':{'name':'gated'},'spec':{'schedulingGates':[{'name':'example.com/quota'}],"
        "'containers':[{'name':'app'}]},'status':{'phase':'Pending','conditions':[{'type':'PodScheduled',"
        "'status':'False','reason':'SchedulingGated'}]}}",
        "['gated','0/1','SchedulingGated','0','<unknown>','<none>','<none>','<none>','<none>']");
    /* a preempting pod waiting for its nominated node */
    ROW(api_row_core_pod,
        "{'metadata':{'name':'hi'},'spec':{'containers':[{'name':'app'}]},"
        "'status':{'phase':'Pending','nominatedNodeName':'node-3'}}",
        "['hi','0/1','Pending','0','<unknown>','<none>','<none>','node-3','<none>']");
}

static void
test_pod_terminated_reasons(void **state)
{
    (void)state;
    ROW(api_row_core_pod,
        "{'metadata':{'name':'job-x','creationTimestamp':'2025-06-01T10:00:00Z'},"
        "'spec':{'nodeName':'node-1','restartPolicy':'Never','containers':[{'name':'main','image':'perl'}]},"
        "'status':{'phase':'Succeeded','podIP':'10.244.1.9','conditions':[{'type':'Ready','status':'False',"
        "'reason':'PodCompleted'}],'containerStatuses':[{'name':'main','ready':false,'restartCount':0,"
        "'state':{'terminated':{'exitCode':0,'reason':'Completed','finishedAt':'2025-06-01T10:01:00Z'}}}]}}",
        "['job-x','0/1','Completed','0','120m','10.244.1.9','node-1','<none>','<none>']");
    ROW(api_row_core_pod,
        "{'metadata':{'name':'oom'},'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Running',"
        "'containerStatuses':[{'name':'a','ready':false,'restartCount':0,"
        "'state':{'terminated':{'exitCode':137,'reason':'OOMKilled'}}}]}}",
        "['oom','0/1','OOMKilled','0','<unknown>','<none>','<none>','<none>','<none>']");
    /* terminated without a reason: the signal, else the exit code */
    ROW(api_row_core_pod,
        "{'metadata':{'name':'sig'},'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Failed',"
        "'containerStatuses':[{'name':'a','ready':false,'restartCount':0,"
        "'state':{'terminated':{'exitCode':137,'signal':9}}}]}}",
        "['sig','0/1','Signal:9','0','<unknown>','<none>','<none>','<none>','<none>']");
    ROW(api_row_core_pod,
        "{'metadata':{'name':'code'},'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Failed',"
        "'containerStatuses':[{'name':'a','ready':false,'restartCount':0,'state':{'terminated':{'exitCode':3}}}]}}",
        "['code','0/1','ExitCode:3','0','<unknown>','<none>','<none>','<none>','<none>']");
    /* Completed while another container still runs: Running when the pod is Ready, else NotReady */
#define MIXED(ready)                                                                                             \
    "{'metadata':{'name':'mixed'},'spec':{'containers':[{'name':'once'},{'name':'srv'}]},"                       \
    "'status':{'phase':'Running','conditions':[{'type':'Ready','status':'" ready "'}],'containerStatuses':["     \
    "{'name':'once','ready':false,'restartCount':0,'state':{'terminated':{'exitCode':0,'reason':'Completed'}}}," \
    "{'name':'srv','ready':true,'restartCount':0,'state':{'running':{}}}]}}"
    ROW(api_row_core_pod, MIXED("False"),
        "['mixed','1/2','NotReady','0','<unknown>','<none>','<none>','<none>','<none>']");
    ROW(api_row_core_pod, MIXED("True"),
        "['mixed','1/2','Running','0','<unknown>','<none>','<none>','<none>','<none>']");
#undef MIXED
    /* evicted: the pod's reason */
    ROW(api_row_core_pod,
        "{'metadata':{'name':'ev'},'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Failed',"
        "'reason':'Evicted','message':'The node was low on resource: memory.'}}",
        "['ev','0/1','Evicted','0','<unknown>','<none>','<none>','<none>','<none>']");
}

static void
test_pod_init_containers(void **state)
{
    (void)state;
    /* the first init container runs: Init:0/1 (its PodInitializing neighbours do not count) */
    ROW(api_row_core_pod,
        "{'metadata':{'name':'init','creationTimestamp':'2025-06-01T11:59:00Z'},"
        "'spec':{'nodeName':'node-1','initContainers':[{'name':'migrate','image':'migrate:1'}],"
        "'containers':[{'name':'app','image':'app:1'}]},"
        "'status':{'phase':'Pending','podIP':'10.244.1.3','conditions':[{'type':'Initialized','status':'False'}],"
        "'initContainerStatuses':[{'name':'migrate','ready':false,'restartCount':0,'state':{'running':{}}}],"
        "'containerStatuses':[{'name':'app','ready':false,'restartCount':0,"
        "'state':{'waiting':{'reason':'PodInitializing'}}}]}}",
        "['init','0/1','Init:0/1','0','60s','10.244.1.3','node-1','<none>','<none>']");
    /* the first of two is done: Init:1/2 */
    ROW(api_row_core_pod,
        "{'metadata':{'name':'init2'},'spec':{'initContainers':[{'name':'a'},{'name':'b'}],"
        "'containers':[{'name':'app'}]},'status':{'phase':'Pending','initContainerStatuses':["
        "{'name':'a','ready':true,'restartCount':0,'state':{'terminated':{'exitCode':0,'reason':'Completed'}}},"
        "{'name':'b','ready':false,'restartCount':0,'state':{'waiting':{'reason':'PodInitializing'}}}]}}",
        "['init2','0/1','Init:1/2','0','<unknown>','<none>','<none>','<none>','<none>']");
    /* a crashing init container: its reason, and its restarts count while initializing */
    ROW(api_row_core_pod,
        "{'metadata':{'name':'initcrash'},'spec':{'initContainers':[{'name':'a'}],'containers':[{'name':'app'}]},"
        "'status':{'phase':'Pending','conditions':[{'type':'Initialized','status':'False'}],"
        "'initContainerStatuses':[{'name':'a','ready':false,'restartCount':4,"
        "'state':{'waiting':{'reason':'CrashLoopBackOff'}},"
        "'lastState':{'terminated':{'exitCode':1,'reason':'Error','finishedAt':'2025-06-01T11:58:00Z'}}}],"
        "'containerStatuses':[{'name':'app','ready':false,'restartCount':0,"
        "'state':{'waiting':{'reason':'PodInitializing'}}}]}}",
        "['initcrash','0/1','Init:CrashLoopBackOff','4 (2m ago)','<unknown>','<none>','<none>','<none>','<none>']");
    ROW(api_row_core_pod,
        "{'metadata':{'name':'initerr'},'spec':{'initContainers':[{'name':'a'}],'containers':[{'name':'app'}]},"
        "'status':{'phase':'Failed','initContainerStatuses':[{'name':'a','ready':false,'restartCount':0,"
        "'state':{'terminated':{'exitCode':1,'reason':'Error'}}}]}}",
        "['initerr','0/1','Init:Error','0','<unknown>','<none>','<none>','<none>','<none>']");
    ROW(api_row_core_pod,
        "{'metadata':{'name':'initcode'},'spec':{'initContainers':[{'name':'a'}],'containers':[{'name':'app'}]},"
        "'status':{'phase':'Pending','initContainerStatuses':[{'name':'a','ready':false,'restartCount':0,"
        "'state':{'terminated':{'exitCode':2}}}]}}",
        "['initcode','0/1','Init:ExitCode:2','0','<unknown>','<none>','<none>','<none>','<none>']");
    ROW(api_row_core_pod,
        "{'metadata':{'name':'initsig'},'spec':{'initContainers':[{'name':'a'}],'containers':[{'name':'app'}]},"
        "'status':{'phase':'Pending','initContainerStatuses':[{'name':'a','ready':false,'restartCount':0,"
        "'state':{'terminated':{'exitCode':137,'signal':9}}}]}}",
        "['initsig','0/1','Init:Signal:9','0','<unknown>','<none>','<none>','<none>','<none>']");
    /* initializing, but the Initialized condition is already True: the containers' restarts and readiness
     * count, the init reason stays */
    ROW(api_row_core_pod,
        "{'metadata':{'name':'initdone'},'spec':{'initContainers':[{'name':'a'}],'containers':[{'name':'app'}]},"
        "'status':{'phase':'Running','conditions':[{'type':'Initialized','status':'True'}],"
        "'initContainerStatuses':[{'name':'a','ready':false,'restartCount':7,'state':{'running':{}}}],"
        "'containerStatuses':[{'name':'app','ready':true,'restartCount':1,'state':{'running':{}}}]}}",
        "['initdone','1/1','Init:0/1','1','<unknown>','<none>','<none>','<none>','<none>']");
}

static void
test_pod_sidecars(void **state)
{
    (void)state;
    /* a restartable init container (sidecar) counts in Ready and Restarts */
    ROW(api_row_core_pod,
        "{'metadata':{'name':'mesh','creationTimestamp':'2025-06-01T11:00:00Z'},"
        "'spec':{'nodeName':'node-1','initContainers':[{'name':'setup'},"
        "{'name':'proxy','image':'envoy:1.30','restartPolicy':'Always'}],'containers':[{'name':'app'}]},"
        "'status':{'phase':'Running','podIP':'10.244.1.20','conditions':[{'type':'Initialized','status':'True'},"
        "{'type':'Ready','status':'True'}],'initContainerStatuses':["
        "{'name':'setup','ready':true,'restartCount':0,'state':{'terminated':{'exitCode':0,'reason':'Completed'}}},"
        "{'name':'proxy','ready':true,'started':true,'restartCount':1,'state':{'running':{}},"
        "'lastState':{'terminated':{'exitCode':1,'finishedAt':'2025-06-01T11:50:00Z'}}}],"
        "'containerStatuses':[{'name':'app','ready':true,'restartCount':2,'state':{'running':{}},"
        "'lastState':{'terminated':{'exitCode':1,'finishedAt':'2025-06-01T11:40:00Z'}}}]}}",
        "['mesh','2/2','Running','3 (10m ago)','60m','10.244.1.20','node-1','<none>','<none>']");
    /* a sidecar that has not started yet holds initialization: Init:1/2 */
    ROW(api_row_core_pod,
        "{'metadata':{'name':'mesh2'},'spec':{'initContainers':[{'name':'setup'},"
        "{'name':'proxy','restartPolicy':'Always'}],'containers':[{'name':'app'}]},"
        "'status':{'phase':'Pending','initContainerStatuses':["
        "{'name':'setup','ready':true,'restartCount':0,'state':{'terminated':{'exitCode':0}}},"
        "{'name':'proxy','ready':false,'started':false,'restartCount':0,'state':{'running':{}}}]}}",
        "['mesh2','0/2','Init:1/2','0','<unknown>','<none>','<none>','<none>','<none>']");
}

static void
test_pod_deletion(void **state)
{
    (void)state;
    ROW(api_row_core_pod,
        "{'metadata':{'name':'bye','creationTimestamp':'2025-06-01T11:00:00Z',"
        "'deletionTimestamp':'2025-06-01T12:00:30Z','deletionGracePeriodSeconds':30},"
        "'spec':{'nodeName':'node-1','containers':[{'name':'a'}]},'status':{'phase':'Running','podIP':'10.244.1.4',"
        "'containerStatuses':[{'name':'a','ready':true,'restartCount':0,'state':{'running':{}}}]}}",
        "['bye','1/1','Terminating','0','60m','10.244.1.4','node-1','<none>','<none>']");
    /* a finished pod being deleted keeps its reason */
    ROW(api_row_core_pod,
        "{'metadata':{'name':'done','deletionTimestamp':'2025-06-01T12:00:30Z'},'spec':{'containers':[{'name':'a'}]},"
        "'status':{'phase':'Succeeded','containerStatuses':[{'name':'a','ready':false,'restartCount':0,"
        "'state':{'terminated':{'exitCode':0,'reason':'Completed'}}}]}}",
        "['done','0/1','Completed','0','<unknown>','<none>','<none>','<none>','<none>']");
    /* a pod on an unreachable node: NodeLost, and Unknown once it is being deleted */
#define LOST(meta)                                                                                   \
    "{'metadata':{'name':'lost'" meta "},'spec':{'nodeName':'node-9','containers':[{'name':'a'}]},"  \
    "'status':{'phase':'Running','reason':'NodeLost','containerStatuses':[{'name':'a','ready':true," \
    "'restartCount':0,'state':{'running':{}}}]}}"
    ROW(api_row_core_pod, LOST(""), "['lost','1/1','NodeLost','0','<unknown>','<none>','node-9','<none>','<none>']");
    ROW(api_row_core_pod, LOST(",'deletionTimestamp':'2025-06-01T11:00:00Z'"),
        "['lost','1/1','Unknown','0','<unknown>','<none>','node-9','<none>','<none>']");
#undef LOST
}

static void
test_pod_wide_columns(void **state)
{
    (void)state;
    /* readiness gates: how many of them have a True condition */
    ROW(api_row_core_pod,
        "{'metadata':{'name':'gates'},'spec':{'readinessGates':[{'conditionType':'example.com/lb'},"
        "{'conditionType':'example.com/dns'},{'conditionType':'example.com/none'}],'containers':[{'name':'a'}]},"
        "'status':{'phase':'Running','podIP':'10.0.0.9','conditions':[{'type':'example.com/lb','status':'True'},"
        "{'type':'example.com/dns','status':'False'}],'containerStatuses':[{'name':'a','ready':true,"
        "'restartCount':0,'state':{'running':{}}}]}}",
        "['gates','1/1','Running','0','<unknown>','10.0.0.9','<none>','<none>','1/3']");
    /* nothing at all */
    ROW(api_row_core_pod, "{'metadata':{'name':'bare'}}",
        "['bare','0/0','','0','<unknown>','<none>','<none>','<none>','<none>']");
    /* an empty podIPs list falls back to podIP, as decoding does */
    ROW(api_row_core_pod, "{'metadata':{'name':'ip'},'status':{'podIP':'10.1.2.3','podIPs':[]}}",
        "['ip','0/0','','0','<unknown>','10.1.2.3','<none>','<none>','<none>']");
}

/* ---- Node ---- */

static void
test_node(void **state)
{
    (void)state;
    ROW(api_row_core_node,
        "{'apiVersion':'v1','kind':'Node','metadata':{'name':'cp-1','creationTimestamp':'2025-03-01T12:00:00Z',"
        "'labels':{'kubernetes.io/hostname':'cp-1','kubernetes.io/os':'linux',"
        "'node-role.kubernetes.io/master':'','node-role.kubernetes.io/control-plane':''}},"
        "'spec':{'podCIDR':'10.244.0.0/24','taints':[{'key':'node-role.kubernetes.io/control-plane',"
        "'effect':'NoSchedule'}]},"
        "'status':{'conditions':[{'type':'MemoryPressure','status':'False'},{'type':'DiskPressure','status':'False'},"
        "{'type':'PIDPressure','status':'False'},{'type':'Ready','status':'True','reason':'KubeletReady'}],"
        "'addresses':[{'type':'InternalIP','address':'192.168.1.10'},{'type':'Hostname','address':'cp-1'}],"
        "'capacity':{'cpu':'2','memory':'4026160Ki','pods':'110'},"
        "'nodeInfo':{'kubeletVersion':'v1.33.1','osImage':'Debian GNU/Linux 12 (bookworm)',"
        "'kernelVersion':'6.1.0-18-amd64','containerRuntimeVersion':'containerd://1.7.13',"
        "'operatingSystem':'linux','architecture':'amd64'}}}",
        "['cp-1','Ready','control-plane,master','92d','v1.33.1','192.168.1.10','<none>',"
        "'Debian GNU/Linux 12 (bookworm)','6.1.0-18-amd64','containerd://1.7.13']");
    /* cordoned and not ready; the kubernetes.io/role label; an empty node-role suffix is no role */
    ROW(api_row_core_node,
        "{'metadata':{'name':'w-1','creationTimestamp':'2025-06-01T07:30:00Z','labels':{'kubernetes.io/role':'worker',"
        "'node-role.kubernetes.io/':'','node-role.kubernetes.io/worker':''}},'spec':{'unschedulable':true},"
        "'status':{'conditions':[{'type':'Ready','status':'Unknown','reason':'NodeStatusUnknown'}],"
        "'addresses':[{'type':'ExternalIP','address':'203.0.113.5'},{'type':'InternalIP','address':'10.0.0.5'},"
        "{'type':'InternalIP','address':'10.0.0.6'}],'nodeInfo':{'kubeletVersion':'v1.32.4'}}}",
        "['w-1','NotReady,SchedulingDisabled','worker','4h30m','v1.32.4','10.0.0.5','203.0.113.5',"
        "'<unknown>','<unknown>','<unknown>']");
    /* no Ready condition yet; the last condition of a type wins */
    ROW(api_row_core_node, "{'metadata':{'name':'n'},'spec':{'unschedulable':true}}",
        "['n','Unknown,SchedulingDisabled','<none>','<unknown>','','<none>','<none>','<unknown>','<unknown>',"
        "'<unknown>']");
    ROW(api_row_core_node,
        "{'metadata':{'name':'n'},'status':{'conditions':[{'type':'Ready','status':'True'},"
        "{'type':'Ready','status':'False'}]}}",
        "['n','NotReady','<none>','<unknown>','','<none>','<none>','<unknown>','<unknown>','<unknown>']");
}

/* ---- Service ---- */

static void
test_service(void **state)
{
    (void)state;
    ROW(api_row_core_service,
        "{'apiVersion':'v1','kind':'Service','metadata':{'name':'web','namespace':'default',"
        "'creationTimestamp':'2025-06-01T09:00:00Z'},'spec':{'type':'ClusterIP','clusterIP':'10.96.12.34',"
        "'clusterIPs':['10.96.12.34'],'ipFamilies':['IPv4'],'ipFamilyPolicy':'SingleStack',"
        "'sessionAffinity':'None','internalTrafficPolicy':'Cluster','ports':["
        "{'name':'http','port':80,'protocol':'TCP','targetPort':8080},"
        "{'name':'https','port':443,'protocol':'TCP','targetPort':8443}],"
        "'selector':{'tier':'frontend','app':'web'}},'status':{'loadBalancer':{}}}",
        "['web','ClusterIP','10.96.12.34','<none>','80/TCP,443/TCP','3h','app=web,tier=frontend']");
    ROW(api_row_core_service,
        "{'metadata':{'name':'np','creationTimestamp':'2025-06-01T11:59:00Z'},'spec':{'type':'NodePort',"
        "'clusterIP':'10.96.0.50','clusterIPs':['10.96.0.50'],'externalIPs':['1.2.3.4','5.6.7.8'],"
        "'ports':[{'port':80,'protocol':'TCP','targetPort':80,'nodePort':30080},"
        "{'name':'dns','port':53,'protocol':'UDP','nodePort':30053}],'selector':{'app':'np'}}}",
        "['np','NodePort','10.96.0.50','1.2.3.4,5.6.7.8','80:30080/TCP,53:30053/UDP','60s','app=np']");
    /* LoadBalancer: pending until the status has ingress points */
    ROW(api_row_core_service,
        "{'metadata':{'name':'lb'},'spec':{'type':'LoadBalancer','clusterIP':'10.96.1.1','clusterIPs':['10.96.1.1'],"
        "'ports':[{'port':443,'protocol':'TCP','nodePort':31443}]},'status':{'loadBalancer':{}}}",
        "['lb','LoadBalancer','10.96.1.1','<pending>','443:31443/TCP','<unknown>','<none>']");
    /* ingress IPs (or hostnames) sorted, then the external IPs */
    ROW(api_row_core_service,
        "{'metadata':{'name':'lb'},'spec':{'type':'LoadBalancer','clusterIP':'10.96.1.1','clusterIPs':['10.96.1.1'],"
        "'externalIPs':['192.0.2.1'],'ports':[{'port':80,'protocol':'TCP','nodePort':30001}]},"
        "'status':{'loadBalancer':{'ingress':[{'ip':'203.0.113.10'},{'hostname':'lb.example.com'},"
        "{'ip':'198.51.100.7','hostname':'ignored.example.com'},{'ip':'203.0.113.10'}]}}}",
        "['lb','LoadBalancer','10.96.1.1','198.51.100.7,203.0.113.10,lb.example.com,192.0.2.1','80:30001/TCP',"
        "'<unknown>','<none>']");
    ROW(api_row_core_service,
        "{'metadata':{'name':'lb'},'spec':{'type':'LoadBalancer','clusterIPs':['10.96.1.1'],"
        "'ports':[{'port':80,'protocol':'TCP'}]},'status':{'loadBalancer':{'ingress':[{'hostname':'a.elb.example'}]}}}",
        "['lb','LoadBalancer','10.96.1.1','a.elb.example','80/TCP','<unknown>','<none>']");
    ROW(api_row_core_service,
        "{'metadata':{'name':'db'},'spec':{'type':'ExternalName','externalName':'db.example.com'}}",
        "['db','ExternalName','<none>','db.example.com','<none>','<unknown>','<none>']");
    /* headless; labels sort as "key=value" strings ("a.b=x" before "a=y") */
    ROW(api_row_core_service,
        "{'metadata':{'name':'hl'},'spec':{'clusterIP':'None','clusterIPs':['None'],"
        "'ports':[{'port':5432,'protocol':'TCP'}],'selector':{'a':'y','a.b':'x'}}}",
        "['hl','ClusterIP','None','<none>','5432/TCP','<unknown>','a.b=x,a=y']");
    /* decoding defaults: the type ClusterIP, the protocol TCP, clusterIPs from clusterIP */
    ROW(api_row_core_service, "{'metadata':{'name':'d'},'spec':{'clusterIP':'10.96.3.3','ports':[{'port':8080}]}}",
        "['d','ClusterIP','10.96.3.3','<none>','8080/TCP','<unknown>','<none>']");
    ROW(api_row_core_service, "{'metadata':{'name':'x'},'spec':{'type':'Weird'}}",
        "['x','Weird','<none>','<unknown>','<none>','<unknown>','<none>']");
}

/* ---- Endpoints and EndpointSlice ---- */

static void
test_endpoints(void **state)
{
    (void)state;
    ROW(api_row_core_endpoints,
        "{'apiVersion':'v1','kind':'Endpoints','metadata':{'name':'web','creationTimestamp':'2025-06-01T09:00:00Z'},"
        "'subsets':[{'addresses':[{'ip':'10.244.1.5','nodeName':'node-1','targetRef':{'kind':'Pod','name':'web-1'}},"
        "{'ip':'10.244.2.7'}],'notReadyAddresses':[{'ip':'10.244.3.1'}],"
        "'ports':[{'name':'http','port':8080,'protocol':'TCP'}]}]}",
        "['web','10.244.1.5:8080,10.244.2.7:8080','3h']");
    /* at most three, then how many more */
    ROW(api_row_core_endpoints,
        "{'metadata':{'name':'two'},'subsets':[{'addresses':[{'ip':'10.0.0.1'},{'ip':'10.0.0.2'}],"
        "'ports':[{'name':'a','port':80},{'name':'b','port':443}]},{'addresses':[{'ip':'10.0.1.1'}],"
        "'ports':[{'port':9090}]}]}",
        "['two','10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 2 more...','<unknown>']");
    /* headless without ports: bare IPs; IPv6 in brackets with a port */
    ROW(api_row_core_endpoints,
        "{'metadata':{'name':'hl'},'subsets':[{'addresses':[{'ip':'10.0.0.1'},{'ip':'10.0.0.2'}]}]}",
        "['hl','10.0.0.1,10.0.0.2','<unknown>']");
    ROW(api_row_core_endpoints,
        "{'metadata':{'name':'v6'},'subsets':[{'addresses':[{'ip':'fd00::5'}],'ports':[{'port':80}]}]}",
        "['v6','[fd00::5]:80','<unknown>']");
    ROW(api_row_core_endpoints, "{'metadata':{'name':'none'}}", "['none','<none>','<unknown>']");
    ROW(api_row_core_endpoints,
        "{'metadata':{'name':'nr'},'subsets':[{'notReadyAddresses':[{'ip':'10.0.0.1'}],'ports':[{'port':80}]}]}",
        "['nr','','<unknown>']");
}

static void
test_endpointslice(void **state)
{
    (void)state;
    ROW(api_row_discovery_endpointslice,
        "{'apiVersion':'discovery.k8s.io/v1','kind':'EndpointSlice','metadata':{'name':'web-abc12',"
        "'creationTimestamp':'2025-06-01T09:00:00Z','labels':{'kubernetes.io/service-name':'web'}},"
        "'addressType':'IPv4','ports':[{'name':'http','port':8080,'protocol':'TCP'}],'endpoints':["
        "{'addresses':['10.244.1.5'],'conditions':{'ready':true},'nodeName':'node-1'},"
        "{'addresses':['10.244.2.7'],'conditions':{'ready':false}}]}",
        "['web-abc12','IPv4','8080','10.244.1.5,10.244.2.7','3h']");
    /* a port without number shows its name, without both "*"; more than three */
    ROW(api_row_discovery_endpointslice,
        "{'metadata':{'name':'s'},'addressType':'IPv6','ports':[{'name':'dns'},{},{'port':53},{'port':54},{'port':55}],"
        "'endpoints':[{'addresses':['fd00::1','fd00::2']},{'addresses':['fd00::3']},{'addresses':['fd00::4']}]}",
        "['s','IPv6','dns,*,53 + 2 more...','fd00::1,fd00::2,fd00::3 + 1 more...','<unknown>']");
    ROW(api_row_discovery_endpointslice, "{'metadata':{'name':'e'},'addressType':'FQDN'}",
        "['e','FQDN','<unset>','<unset>','<unknown>']");
}

/* ---- Namespace, ConfigMap, Secret, ServiceAccount, Lease ---- */

static void
test_simple_kinds(void **state)
{
    (void)state;
    ROW(api_row_core_namespace,
        "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'default','creationTimestamp':'2025-03-01T12:00:00Z',"
        "'labels':{'kubernetes.io/metadata.name':'default'}},'spec':{'finalizers':['kubernetes']},"
        "'status':{'phase':'Active'}}",
        "['default','Active','92d']");
    ROW(api_row_core_namespace,
        "{'metadata':{'name':'old','deletionTimestamp':'2025-06-01T11:59:00Z'},'status':{'phase':'Terminating'}}",
        "['old','Terminating','<unknown>']");
    ROW(api_row_core_namespace, "{'metadata':{'name':'fresh'}}", "['fresh','Active','<unknown>']");

    ROW(api_row_core_configmap,
        "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'kube-root-ca.crt','namespace':'default',"
        "'creationTimestamp':'2025-05-01T12:00:00Z'},'data':{'ca.crt':'-----BEGIN CERTIFICATE-----','x':'y'},"
        "'binaryData':{'blob':'AAEC'}}",
        "['kube-root-ca.crt',3,'31d']");
    ROW(api_row_core_configmap, "{'metadata':{'name':'empty'}}", "['empty',0,'<unknown>']");

    ROW(api_row_core_secret,
        "{'apiVersion':'v1','kind':'Secret','metadata':{'name':'web-tls','creationTimestamp':'2025-06-01T11:00:00Z'},"
        "'type':'kubernetes.io/tls','data':{'tls.crt':'Y2VydA==','tls.key':'a2V5'}}",
        "['web-tls','kubernetes.io/tls',2,'60m']");
    ROW(api_row_core_secret, "{'metadata':{'name':'s'},'stringData':{'a':'b'}}", "['s','Opaque',0,'<unknown>']");

    ROW(api_row_core_serviceaccount,
        "{'apiVersion':'v1','kind':'ServiceAccount','metadata':{'name':'builder','creationTimestamp':"
        "'2025-06-01T11:59:30Z'},'secrets':[{'name':'builder-token'}],'imagePullSecrets':[{'name':'reg'}]}",
        "['builder',1,'30s']");
    ROW(api_row_core_serviceaccount, "{'metadata':{'name':'default'}}", "['default',0,'<unknown>']");

    ROW(api_row_coordination_lease,
        "{'apiVersion':'coordination.k8s.io/v1','kind':'Lease','metadata':{'name':'node-1','namespace':"
        "'kube-node-lease','creationTimestamp':'2025-06-01T02:00:00Z'},'spec':{'holderIdentity':'node-1',"
        "'leaseDurationSeconds':40,'renewTime':'2025-06-01T11:59:58.000000Z'}}",
        "['node-1','node-1','10h']");
    ROW(api_row_coordination_lease, "{'metadata':{'name':'free'},'spec':{}}", "['free','','<unknown>']");
}

/* ---- PersistentVolume and PersistentVolumeClaim ---- */

static void
test_persistentvolume(void **state)
{
    (void)state;
    ROW(api_row_core_persistentvolume,
        "{'apiVersion':'v1','kind':'PersistentVolume','metadata':{'name':'pv-data','creationTimestamp':"
        "'2025-05-31T00:00:00Z','finalizers':['kubernetes.io/pv-protection']},'spec':{'capacity':{'storage':'10Gi'},"
        "'accessModes':['ReadWriteMany','ReadWriteOnce','ReadWriteMany'],'persistentVolumeReclaimPolicy':'Delete',"
        "'storageClassName':'local-path','volumeMode':'Filesystem','hostPath':{'path':'/data','type':''},"
        "'claimRef':{'kind':'PersistentVolumeClaim','namespace':'default','name':'data-db-0','uid':'1'}},"
        "'status':{'phase':'Bound','lastPhaseTransitionTime':'2025-05-31T00:00:05Z'}}",
        "['pv-data','10Gi','RWO,RWX','Delete','Bound','default/data-db-0','local-path','<unset>','','36h',"
        "'Filesystem']");
    /* decoding defaults (Retain, Pending, Filesystem); quantities print canonically */
    ROW(api_row_core_persistentvolume, "{'metadata':{'name':'pv1'},'spec':{'capacity':{'storage':'1024Mi'}}}",
        "['pv1','1Gi','','Retain','Pending','','','<unset>','','<unknown>','Filesystem']");
    ROW(api_row_core_persistentvolume, "{'metadata':{'name':'pv0'}}",
        "['pv0','0','','Retain','Pending','','','<unset>','','<unknown>','Filesystem']");
    /* the beta storage-class annotation wins; being deleted shows Terminating */
    ROW(api_row_core_persistentvolume,
        "{'metadata':{'name':'pv2','deletionTimestamp':'2025-06-01T11:00:00Z','annotations':"
        "{'volume.beta.kubernetes.io/storage-class':'legacy'}},'spec':{'capacity':{'storage':'500M'},"
        "'accessModes':['ReadWriteOncePod','ReadOnlyMany'],'storageClassName':'ignored','volumeMode':'Block',"
        "'volumeAttributesClassName':'gold','persistentVolumeReclaimPolicy':'Recycle'},"
        "'status':{'phase':'Failed','reason':'VolumeFailedRecycle','message':'recycler failed'}}",
        "['pv2','500M','ROX,RWOP','Recycle','Terminating','','legacy','gold','VolumeFailedRecycle','<unknown>',"
        "'Block']");
}

static void
test_persistentvolumeclaim(void **state)
{
    (void)state;
    ROW(api_row_core_persistentvolumeclaim,
        "{'apiVersion':'v1','kind':'PersistentVolumeClaim','metadata':{'name':'data-db-0','namespace':'default',"
        "'creationTimestamp':'2025-05-31T00:00:00Z'},'spec':{'accessModes':['ReadWriteOnce'],"
        "'resources':{'requests':{'storage':'5Gi'}},'storageClassName':'standard','volumeMode':'Filesystem',"
        "'volumeName':'pvc-6a1f'},'status':{'phase':'Bound','accessModes':['ReadWriteOnce'],"
        "'capacity':{'storage':'5Gi'}}}",
        "['data-db-0','Bound','pvc-6a1f','5Gi','RWO','standard','<unset>','36h','Filesystem']");
    /* not bound yet: no capacity and no access modes, whatever the spec asks for */
    ROW(api_row_core_persistentvolumeclaim,
        "{'metadata':{'name':'claim'},'spec':{'accessModes':['ReadWriteMany'],'resources':{'requests':"
        "{'storage':'1Gi'}},'volumeAttributesClassName':'silver'},'status':{'phase':'Pending'}}",
        "['claim','Pending','','','','','silver','<unknown>','Filesystem']");
    ROW(api_row_core_persistentvolumeclaim,
        "{'metadata':{'name':'c','annotations':{'volume.beta.kubernetes.io/storage-class':'old'},"
        "'deletionTimestamp':'2025-06-01T11:00:00Z'},'spec':{'storageClassName':'new','volumeName':'pv9',"
        "'volumeMode':'Block'},'status':{'phase':'Bound'}}",
        "['c','Terminating','pv9','0','','old','<unset>','<unknown>','Block']");
}

/* ---- Event ---- */

static void
test_core_event(void **state)
{
    (void)state;
    ROW(api_row_core_event,
        "{'apiVersion':'v1','kind':'Event','metadata':{'name':'web-7d4b9c-x2x1z.17e1a2b3c4d5e6f7',"
        "'namespace':'default','creationTimestamp':'2025-06-01T11:55:00Z'},'involvedObject':{'kind':'Pod',"
        "'namespace':'default','name':'web-7d4b9c-x2x1z','uid':'0c7d','apiVersion':'v1','resourceVersion':'1',"
        "'fieldPath':'spec.containers{web}'},'reason':'Pulled','message':'  Successfully pulled image nginx:1.27 "
        "in 1.2s\\n','source':{'component':'kubelet','host':'node-1'},'firstTimestamp':'2025-06-01T11:55:00Z',"
        "'lastTimestamp':'2025-06-01T11:58:00Z','count':4,'type':'Normal','eventTime':null,"
        "'reportingComponent':'kubelet','reportingInstance':'node-1'}",
        "['2m','Normal','Pulled','pod/web-7d4b9c-x2x1z','spec.containers{web}','kubelet, node-1',"
        "'Successfully pulled image nginx:1.27 in 1.2s','5m',4,'web-7d4b9c-x2x1z.17e1a2b3c4d5e6f7']");
    /* written through the new API: eventTime only, reporting controller and instance, no count (1) */
    ROW(api_row_core_event,
        "{'metadata':{'name':'e2'},'involvedObject':{'kind':'Pod','name':'db-0','namespace':'default'},"
        "'reason':'Scheduled','message':'Successfully assigned default/db-0 to node-2','type':'Normal',"
        "'eventTime':'2025-06-01T11:59:30.123456Z','reportingComponent':'default-scheduler',"
        "'reportingController':'default-scheduler','reportingInstance':'default-scheduler-cp-1',"
        "'source':{},'count':0}",
        "['29s','Normal','Scheduled','pod/db-0','','default-scheduler, default-scheduler-cp-1',"
        "'Successfully assigned default/db-0 to node-2','29s',1,'e2']");
    /* a series: its last observation and count */
    ROW(api_row_core_event,
        "{'metadata':{'name':'e3'},'involvedObject':{'kind':'Node','name':'node-1'},'reason':'NodeNotReady',"
        "'type':'Warning','message':'Node is not ready','eventTime':'2025-06-01T11:00:00.000000Z',"
        "'series':{'count':7,'lastObservedTime':'2025-06-01T11:59:00.000000Z'},"
        "'reportingController':'node-controller'}",
        "['60s','Warning','NodeNotReady','node/node-1','','node-controller','Node is not ready','60m',7,'e3']");
    /* an object without a name prints its kind; the source component without host */
    ROW(api_row_core_event,
        "{'metadata':{'name':'e4'},'involvedObject':{'kind':'ClusterRole'},'source':{'component':'rbac'},"
        "'firstTimestamp':'2025-06-01T10:00:00Z','count':2,'message':'\\u3000 spaced \\u00a0\\t'}",
        "['120m','','','clusterrole','','rbac','spaced','120m',2,'e4']");
    ROW(api_row_core_event, "{'metadata':{'name':'e5'}}", "['<unknown>','','','','','','','<unknown>',1,'e5']");
}

static void
test_events_event(void **state)
{
    (void)state;
    ROW(api_row_events_event,
        "{'apiVersion':'events.k8s.io/v1','kind':'Event','metadata':{'name':'web.1','namespace':'default',"
        "'creationTimestamp':'2025-06-01T11:50:00Z'},'eventTime':'2025-06-01T11:50:00.000000Z',"
        "'reportingController':'kubelet','reportingInstance':'node-1','action':'Pulling','reason':'Pulling',"
        "'regarding':{'kind':'Pod','name':'web','namespace':'default','fieldPath':'spec.containers{web}'},"
        "'note':'Pulling image nginx:1.27','type':'Normal',"
        "'deprecatedSource':{'component':'kubelet','host':'node-1'},"
        "'deprecatedFirstTimestamp':'2025-06-01T11:50:00Z','deprecatedLastTimestamp':'2025-06-01T11:52:00Z',"
        "'deprecatedCount':2}",
        "['8m','Normal','Pulling','pod/web','spec.containers{web}','kubelet, node-1','Pulling image nginx:1.27',"
        "'10m',2,'web.1']");
    ROW(api_row_events_event,
        "{'metadata':{'name':'s.1'},'eventTime':'2025-06-01T11:00:00.000000Z','reportingController':"
        "'deployment-controller','reportingInstance':'','reason':'ScalingReplicaSet','type':'Normal',"
        "'regarding':{'kind':'Deployment','name':'web'},'note':'Scaled up replica set web-5d9c to 3',"
        "'series':{'count':3,'lastObservedTime':'2025-06-01T11:59:50.000000Z'}}",
        "['10s','Normal','ScalingReplicaSet','deployment/web','','deployment-controller',"
        "'Scaled up replica set web-5d9c to 3','60m',3,'s.1']");
}

/* ---- apps/v1 ---- */

static void
test_deployment(void **state)
{
    (void)state;
    ROW(api_row_apps_deployment,
        "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','namespace':'default','generation':2,"
        "'creationTimestamp':'2025-05-31T12:00:00Z'},'spec':{'replicas':3,'selector':{'matchLabels':{'app':'web'}},"
        "'template':{'metadata':{'labels':{'app':'web'}},'spec':{'containers':[{'name':'nginx','image':'nginx:1.27'},"
        "{'name':'log','image':'fluent-bit:3.0'}]}},'strategy':{'type':'RollingUpdate'}},"
        "'status':{'observedGeneration':2,'replicas':3,'updatedReplicas':3,'readyReplicas':2,"
        "'availableReplicas':2,'unavailableReplicas':1}}",
        "['web','2/3',3,2,'24h','nginx,log','nginx:1.27,fluent-bit:3.0','app=web']");
    /* no status yet; replicas default to 1; set-based selectors */
    ROW(api_row_apps_deployment,
        "{'metadata':{'name':'db'},'spec':{'selector':{'matchLabels':{'app':'db'},'matchExpressions':"
        "[{'key':'tier','operator':'In','values':['b','a']},{'key':'legacy','operator':'DoesNotExist'}]},"
        "'template':{'spec':{'containers':[{'name':'pg','image':'postgres:16'}]}}}}",
        "['db','0/1',0,0,'<unknown>','pg','postgres:16','app=db,!legacy,tier in (a,b)']");
    ROW(api_row_apps_deployment,
        "{'metadata':{'name':'zero'},'spec':{'replicas':0,'selector':{'matchExpressions':[{'key':'a',"
        "'operator':'Foo'}]}}}",
        "['zero','0/0',0,0,'<unknown>','','','<invalid>']");
    ROW(api_row_apps_deployment, "{'metadata':{'name':'nosel'},'spec':{'replicas':2}}",
        "['nosel','0/2',0,0,'<unknown>','','','']");
}

static void
test_replicaset(void **state)
{
    (void)state;
    ROW(api_row_apps_replicaset,
        "{'apiVersion':'apps/v1','kind':'ReplicaSet','metadata':{'name':'web-5d9c7b8f6','creationTimestamp':"
        "'2025-05-31T12:00:00Z','ownerReferences':[{'kind':'Deployment','name':'web','controller':true}]},"
        "'spec':{'replicas':3,'selector':{'matchLabels':{'app':'web','pod-template-hash':'5d9c7b8f6'}},"
        "'template':{'spec':{'containers':[{'name':'nginx','image':'nginx:1.27'}]}}},"
        "'status':{'replicas':3,'fullyLabeledReplicas':3,'readyReplicas':2,'availableReplicas':2}}",
        "['web-5d9c7b8f6',3,3,2,'24h','nginx','nginx:1.27','app=web,pod-template-hash=5d9c7b8f6']");
    ROW(api_row_apps_replicaset, "{'metadata':{'name':'rs'},'spec':{'selector':{}}}",
        "['rs',1,0,0,'<unknown>','','','<none>']");
    ROW(api_row_apps_replicaset,
        "{'metadata':{'name':'rs'},'spec':{'replicas':0,'selector':{'matchExpressions':[{'key':'a','operator':"
        "'In'}]}}}",
        "['rs',0,0,0,'<unknown>','','','<error>']");
}

static void
test_daemonset(void **state)
{
    (void)state;
    ROW(api_row_apps_daemonset,
        "{'apiVersion':'apps/v1','kind':'DaemonSet','metadata':{'name':'kube-proxy','namespace':'kube-system',"
        "'creationTimestamp':'2025-03-01T12:00:00Z'},'spec':{'selector':{'matchLabels':{'k8s-app':'kube-proxy'}},"
        "'template':{'metadata':{'labels':{'k8s-app':'kube-proxy'}},'spec':{'nodeSelector':"
        "{'kubernetes.io/os':'linux'},'containers':[{'name':'kube-proxy','image':"
        "'registry.k8s.io/kube-proxy:v1.33.1'}]}}},'status':{'currentNumberScheduled':3,'numberMisscheduled':0,"
        "'desiredNumberScheduled':3,'numberReady':2,'updatedNumberScheduled':3,'numberAvailable':2,"
        "'numberUnavailable':1}}",
        "['kube-proxy',3,3,2,3,2,'kubernetes.io/os=linux','92d','kube-proxy','registry.k8s.io/kube-proxy:v1.33.1',"
        "'k8s-app=kube-proxy']");
    ROW(api_row_apps_daemonset, "{'metadata':{'name':'ds'}}", "['ds',0,0,0,0,0,'<none>','<unknown>','','','<none>']");
}

static void
test_statefulset(void **state)
{
    (void)state;
    ROW(api_row_apps_statefulset,
        "{'apiVersion':'apps/v1','kind':'StatefulSet','metadata':{'name':'db','creationTimestamp':"
        "'2025-06-01T11:58:00Z'},'spec':{'replicas':3,'serviceName':'db','selector':{'matchLabels':{'app':'db'}},"
        "'template':{'spec':{'containers':[{'name':'postgres','image':'postgres:16'},{'name':'backup',"
        "'image':'wal-g:3'}]}}},'status':{'replicas':2,'readyReplicas':1,'currentReplicas':2}}",
        "['db','1/3','2m','postgres,backup','postgres:16,wal-g:3']");
    ROW(api_row_apps_statefulset, "{'metadata':{'name':'s'}}", "['s','0/1','<unknown>','','']");
}

/* ---- batch/v1 ---- */

static void
test_job(void **state)
{
    (void)state;
    ROW(api_row_batch_job,
        "{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'pi','creationTimestamp':'2025-06-01T11:00:00Z'},"
        "'spec':{'completions':1,'parallelism':1,'backoffLimit':4,'selector':{'matchLabels':"
        "{'batch.kubernetes.io/controller-uid':'4f6b'}},'template':{'spec':{'restartPolicy':'Never',"
        "'containers':[{'name':'pi','image':'perl:5.34.0'}]}}},'status':{'startTime':'2025-06-01T11:00:00Z',"
        "'completionTime':'2025-06-01T11:00:42Z','succeeded':1,'ready':0,'conditions':["
        "{'type':'SuccessCriteriaMet','status':'True'},{'type':'Complete','status':'True'}]}}",
        "['pi','Complete','1/1','42s','60m','pi','perl:5.34.0','batch.kubernetes.io/controller-uid=4f6b']");
    /* running: the duration so far */
    ROW(api_row_batch_job,
        "{'metadata':{'name':'run'},'spec':{'completions':5,'parallelism':2,'template':{'spec':{'containers':"
        "[{'name':'w','image':'w:1'}]}}},'status':{'startTime':'2025-06-01T11:57:30Z','active':2,'succeeded':3}}",
        "['run','Running','3/5','2m30s','<unknown>','w','w:1','<none>']");
    ROW(api_row_batch_job,
        "{'metadata':{'name':'f'},'spec':{'completions':1},'status':{'startTime':'2025-06-01T08:00:00Z',"
        "'failed':4,'conditions':[{'type':'FailureTarget','status':'True'},{'type':'Failed','status':'True',"
        "'reason':'BackoffLimitExceeded'}]}}",
        "['f','Failed','0/1','4h','<unknown>','','','<none>']");
    ROW(api_row_batch_job,
        "{'metadata':{'name':'s'},'spec':{'suspend':true,'completions':1},'status':{'conditions':"
        "[{'type':'Suspended','status':'True'}]}}",
        "['s','Suspended','0/1','','<unknown>','','','<none>']");
    ROW(api_row_batch_job,
        "{'metadata':{'name':'ft'},'status':{'conditions':[{'type':'FailureTarget','status':'True'}]}}",
        "['ft','FailureTarget','0/1','','<unknown>','','','<none>']");
    /* deletion is shown unless the job already finished */
    ROW(api_row_batch_job, "{'metadata':{'name':'t','deletionTimestamp':'2025-06-01T12:00:00Z'}}",
        "['t','Terminating','0/1','','<unknown>','','','<none>']");
    ROW(api_row_batch_job,
        "{'metadata':{'name':'t','deletionTimestamp':'2025-06-01T12:00:00Z'},'status':{'conditions':"
        "[{'type':'Complete','status':'True'}]}}",
        "['t','Complete','0/1','','<unknown>','','','<none>']");
    /* no completions: parallel work queues print "of N" */
    ROW(api_row_batch_job,
        "{'metadata':{'name':'q'},'spec':{'parallelism':3},'status':{'succeeded':2,'conditions':"
        "[{'type':'Complete','status':'False'}]}}",
        "['q','Running','2/1 of 3','','<unknown>','','','<none>']");
    ROW(api_row_batch_job, "{'metadata':{'name':'q'},'spec':{'parallelism':1}}",
        "['q','Running','0/1','','<unknown>','','','<none>']");
}

static void
test_cronjob(void **state)
{
    (void)state;
    ROW(api_row_batch_cronjob,
        "{'apiVersion':'batch/v1','kind':'CronJob','metadata':{'name':'backup','creationTimestamp':"
        "'2025-05-25T12:00:00Z'},'spec':{'schedule':'0 3 * * *','timeZone':'Europe/Berlin','suspend':false,"
        "'concurrencyPolicy':'Forbid','jobTemplate':{'spec':{'template':{'spec':{'restartPolicy':'OnFailure',"
        "'containers':[{'name':'backup','image':'restic:0.16'}]}}}}},'status':{'active':[{'kind':'Job',"
        "'name':'backup-29143620','namespace':'default'}],'lastScheduleTime':'2025-06-01T03:00:00Z',"
        "'lastSuccessfulTime':'2025-05-31T03:04:00Z'}}",
        "['backup','0 3 * * *','Europe/Berlin','False',1,'9h','7d','backup','restic:0.16','<none>']");
    ROW(api_row_batch_cronjob,
        "{'metadata':{'name':'tick'},'spec':{'schedule':'*/5 * * * *','suspend':true,'jobTemplate':{'spec':"
        "{'selector':{'matchLabels':{'job':'tick'}},'template':{'spec':{'containers':[{'name':'a','image':'a'},"
        "{'name':'b','image':'b'}]}}}}}}",
        "['tick','*/5 * * * *','<none>','True',0,'<none>','<unknown>','a,b','a,b','job=tick']");
    ROW(api_row_batch_cronjob, "{'metadata':{'name':'c'},'spec':{'schedule':'@hourly'}}",
        "['c','@hourly','<none>','False',0,'<none>','<unknown>','','','<none>']");
}

/* ---- networking.k8s.io/v1 ---- */

static void
test_ingress(void **state)
{
    (void)state;
    ROW(api_row_networking_ingress,
        "{'apiVersion':'networking.k8s.io/v1','kind':'Ingress','metadata':{'name':'web','creationTimestamp':"
        "'2025-06-01T11:00:00Z'},'spec':{'ingressClassName':'nginx','tls':[{'hosts':['example.com'],"
        "'secretName':'web-tls'}],'rules':[{'host':'example.com','http':{'paths':[{'path':'/','pathType':'Prefix',"
        "'backend':{'service':{'name':'web','port':{'number':80}}}}]}},{'host':'www.example.com'}]},"
        "'status':{'loadBalancer':{'ingress':[{'ip':'192.168.1.240'},{'hostname':'ing.example.net'}]}}}",
        "['web','nginx','example.com,www.example.com','192.168.1.240,ing.example.net','80, 443','60m']");
    ROW(api_row_networking_ingress,
        "{'metadata':{'name':'default-backend'},'spec':{'defaultBackend':{'service':{'name':'x','port':"
        "{'number':80}}}}}",
        "['default-backend','<none>','*','','80','<unknown>']");
    /* three hosts at most; the rest counted over all rules (with or without host) */
    ROW(api_row_networking_ingress,
        "{'metadata':{'name':'many'},'spec':{'rules':[{'host':'a.example'},{'host':'b.example'},{},"
        "{'host':'c.example'},{'host':'d.example'}]}}",
        "['many','<none>','a.example,b.example,c.example + 2 more...','','80','<unknown>']");
}

static void
test_ingressclass(void **state)
{
    (void)state;
    ROW(api_row_networking_ingressclass,
        "{'apiVersion':'networking.k8s.io/v1','kind':'IngressClass','metadata':{'name':'nginx','creationTimestamp':"
        "'2025-06-01T11:58:00Z','annotations':{'ingressclass.kubernetes.io/is-default-class':'true'}},"
        "'spec':{'controller':'k8s.io/ingress-nginx','parameters':{'apiGroup':'k8s.example.com',"
        "'kind':'IngressParameters','name':'external-lb','scope':'Cluster'}}}",
        "['nginx','k8s.io/ingress-nginx','IngressParameters.k8s.example.com/external-lb','2m']");
    ROW(api_row_networking_ingressclass,
        "{'metadata':{'name':'c'},'spec':{'controller':'example.com/ctl','parameters':{'kind':'ConfigMap',"
        "'name':'params','namespace':'ns','scope':'Namespace'}}}",
        "['c','example.com/ctl','ConfigMap/params','<unknown>']");
    ROW(api_row_networking_ingressclass, "{'metadata':{'name':'c'},'spec':{'controller':'example.com/ctl'}}",
        "['c','example.com/ctl','<none>','<unknown>']");
}

/* ---- storage.k8s.io/v1 ---- */

static void
test_storageclass(void **state)
{
    (void)state;
    ROW(api_row_storage_storageclass,
        "{'apiVersion':'storage.k8s.io/v1','kind':'StorageClass','metadata':{'name':'standard','creationTimestamp':"
        "'2025-03-01T12:00:00Z','annotations':{'storageclass.kubernetes.io/is-default-class':'true'}},"
        "'provisioner':'rancher.io/local-path','reclaimPolicy':'Delete','volumeBindingMode':'WaitForFirstConsumer',"
        "'allowVolumeExpansion':true}",
        "['standard (default)','rancher.io/local-path','Delete','WaitForFirstConsumer',true,'92d']");
    ROW(api_row_storage_storageclass, "{'metadata':{'name':'fast'},'provisioner':'csi.example.com'}",
        "['fast','csi.example.com','Delete','Immediate',false,'<unknown>']");
    ROW(api_row_storage_storageclass,
        "{'metadata':{'name':'old','annotations':{'storageclass.beta.kubernetes.io/is-default-class':'true'}},"
        "'provisioner':'p','reclaimPolicy':'Retain'}",
        "['old (default)','p','Retain','Immediate',false,'<unknown>']");
    ROW(api_row_storage_storageclass,
        "{'metadata':{'name':'no','annotations':{'storageclass.kubernetes.io/is-default-class':'True'}},"
        "'provisioner':'p','allowVolumeExpansion':false}",
        "['no','p','Delete','Immediate',false,'<unknown>']");
}

/* ---- autoscaling/v2 ---- */

static void
test_hpa(void **state)
{
    (void)state;
    ROW(api_row_autoscaling_horizontalpodautoscaler,
        "{'apiVersion':'autoscaling/v2','kind':'HorizontalPodAutoscaler','metadata':{'name':'web',"
        "'creationTimestamp':'2025-06-01T06:00:00Z'},'spec':{'scaleTargetRef':{'apiVersion':'apps/v1',"
        "'kind':'Deployment','name':'web'},'minReplicas':2,'maxReplicas':10,'metrics':[{'type':'Resource',"
        "'resource':{'name':'cpu','target':{'type':'Utilization','averageUtilization':80}}}]},"
        "'status':{'currentReplicas':3,'desiredReplicas':3,'currentMetrics':[{'type':'Resource','resource':"
        "{'name':'cpu','current':{'averageUtilization':45,'averageValue':'45m'}}}]}}",
        "['web','Deployment/web','cpu: 45%/80%','2',10,3,'6h']");
    /* no metrics read yet; minReplicas defaults to 1 */
    ROW(api_row_autoscaling_horizontalpodautoscaler,
        "{'metadata':{'name':'new'},'spec':{'scaleTargetRef':{'kind':'StatefulSet','name':'db'},'maxReplicas':5,"
        "'metrics':[{'type':'Resource','resource':{'name':'cpu','target':{'type':'Utilization',"
        "'averageUtilization':50}}}]}}",
        "['new','StatefulSet/db','cpu: <unknown>/50%','1',5,0,'<unknown>']");
    /* averages as quantities (canonical), pods metrics, more than two */
    ROW(api_row_autoscaling_horizontalpodautoscaler,
        "{'metadata':{'name':'multi'},'spec':{'scaleTargetRef':{'kind':'Deployment','name':'api'},'minReplicas':1,"
        "'maxReplicas':20,'metrics':[{'type':'Resource','resource':{'name':'memory','target':{'type':'AverageValue',"
        "'averageValue':'500Mi'}}},{'type':'Pods','pods':{'metric':{'name':'packets-per-second'},'target':"
        "{'type':'AverageValue','averageValue':'1k'}}},{'type':'External','external':{'metric':{'name':'queue'},"
        "'target':{'type':'Value','value':'30'}}}]},'status':{'currentReplicas':4,'currentMetrics':["
        "{'type':'Resource','resource':{'name':'memory','current':{'averageValue':'262144Ki'}}},"
        "{'type':'Pods','pods':{'metric':{'name':'packets-per-second'},'current':{'averageValue':'900'}}}]}}",
        "['multi','Deployment/api','memory: 256Mi/500Mi, 900/1k + 1 more...','1',20,4,'<unknown>']");
    ROW(api_row_autoscaling_horizontalpodautoscaler,
        "{'metadata':{'name':'ext'},'spec':{'scaleTargetRef':{'kind':'Deployment','name':'w'},'maxReplicas':3,"
        "'metrics':[{'type':'External','external':{'metric':{'name':'q'},'target':{'type':'Value','value':'30'}}},"
        "{'type':'Object','object':{'describedObject':{'kind':'Ingress','name':'main'},'metric':{'name':'rps'},"
        "'target':{'type':'AverageValue','averageValue':'10'}}}]},'status':{'currentMetrics':["
        "{'type':'External','external':{'metric':{'name':'q'},'current':{'value':'25'}}},"
        "{'type':'Object','object':{'metric':{'name':'rps'},'current':{'value':'4'}}}]}}",
        "['ext','Deployment/w','25/30, <unknown>/10 (avg)','1',3,0,'<unknown>']");
    ROW(api_row_autoscaling_horizontalpodautoscaler,
        "{'metadata':{'name':'odd'},'spec':{'scaleTargetRef':{'kind':'Deployment','name':'w'},'maxReplicas':3,"
        "'metrics':[{'type':'ContainerResource','containerResource':{'name':'cpu','container':'app','target':"
        "{'type':'Utilization'}}},{'type':'Foo'}]}}",
        "['odd','Deployment/w','cpu: <unknown>/<auto>, <unknown type>','1',3,0,'<unknown>']");
    ROW(api_row_autoscaling_horizontalpodautoscaler,
        "{'metadata':{'name':'none'},'spec':{'scaleTargetRef':{'kind':'Deployment','name':'w'},'maxReplicas':3}}",
        "['none','Deployment/w','<none>','1',3,0,'<unknown>']");
}

/* ---- allocation failure ---- */

static void
test_allocation_failure(void **state)
{
    (void)state;
    json_t *svc = J("{'metadata':{'name':'web'},'spec':{'ports':[{'port':80}],'selector':{'app':'web'}}}");
    json_t *pod = J("{'metadata':{'name':'p'},'spec':{'containers':[{'name':'a'}]},'status':{'phase':'Running'}}");
    json_t *cells = json_array();
    assert_non_null(cells);
    /* every k8c allocation fails: the cells built from text are left out (the row comes up short, which the
     * Table code can notice), nothing leaks and nothing crashes */
    kc_fault_arm(KC_FAULT_ALLOC, 1, 0, true);
    api_row_core_service(NULL, svc, now_sec, cells);
    api_row_core_pod(NULL, pod, now_sec, cells);
    kc_fault_disarm(KC_FAULT_ALLOC);
    assert_true(kc_fault_injected(KC_FAULT_ALLOC) > 0);
    assert_true(json_array_size(cells) < ncolumns(api_columns_core_service) + ncolumns(api_columns_core_pod));
    json_array_clear(cells);
    /* and once allocations work again, the same objects print in full */
    api_row_core_service(NULL, svc, now_sec, cells);
    assert_int_equal(json_array_size(cells), ncolumns(api_columns_core_service));
    assert_string_equal(json_string_value(json_array_get(cells, 4)), "80/TCP");
    json_decref(cells);
    json_decref(svc);
    json_decref(pod);
}

/* ---- rbac.authorization.k8s.io/v1, ResourceQuota, LimitRange ---- */

/* Rows of odd objects fill every column of these kinds too. */
static void
rbac_quota_cells_at(api_row_fn fn, const struct api_column *cols, const char *name)
{
    const char *odd[] = { "{}",
                          "{'metadata':null,'roleRef':null,'subjects':null,'status':null}",
                          "{'metadata':{'name':7},'roleRef':[],'subjects':[5,null,{}],'status':{'hard':[]}}",
                          "{'status':{'hard':{'cpu':7,'pods':null,'x':[]},'used':'x'}}",
                          "[]",
                          "null" };
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        json_t *o = J(odd[i]), *cells = json_array();
        assert_non_null(cells);
        fn(NULL, o, now_sec, cells);
        if (json_array_size(cells) != ncolumns(cols)) {
            print_error("%s with %s: %zu cells for %zu columns\n", name, odd[i], json_array_size(cells),
                        ncolumns(cols));
            fail();
        }
        json_decref(o);
        json_decref(cells);
    }
}

static void
test_rbac_quota_limitrange(void **state)
{
    (void)state;
    /* Role, ClusterRole and LimitRange go through upstream's default table convertor */
    COLUMNS(api_columns_rbac_role, "Name/string/name/0|Created At/date//0");
    COLUMNS(api_columns_rbac_clusterrole, "Name/string/name/0|Created At/date//0");
    COLUMNS(api_columns_core_limitrange, "Name/string/name/0|Created At/date//0");
    COLUMNS(api_columns_rbac_rolebinding,
            "Name/string/name/0|Role/string//0|Age/string//0|Users/string//1|Groups/string//1|"
            "ServiceAccounts/string//1");
    COLUMNS(api_columns_rbac_clusterrolebinding,
            "Name/string/name/0|Role/string//0|Age/string//0|Users/string//1|Groups/string//1|"
            "ServiceAccounts/string//1");
    COLUMNS(api_columns_core_resourcequota, "Name/string/name/0|Request/string//0|Limit/string//0|Age/string//0");
    assert_string_equal(description(api_columns_rbac_rolebinding, "Users"), "Users in the roleBinding");
    assert_string_equal(description(api_columns_rbac_clusterrolebinding, "Groups"), "Groups in the clusterRoleBinding");
    assert_string_equal(description(api_columns_rbac_clusterrolebinding, "Role"),
                        "RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be "
                        "resolved, the Authorizer must return an error.");
    assert_string_equal(description(api_columns_core_resourcequota, "Request"),
                        "Request represents a minimum amount of cpu/memory that a container may consume.");
    assert_string_equal(description(api_columns_rbac_role, "Created At"), description(api_columns_core_pod, "Age"));

    ROW(api_row_rbac_role,
        "{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'Role','metadata':{'name':'pod-reader','namespace':"
        "'default','creationTimestamp':'2025-05-31T09:08:07Z'},'rules':[{'apiGroups':[''],'resources':['pods'],"
        "'verbs':['get']}]}",
        "['pod-reader','2025-05-31T09:08:07Z']");
    /* a stored time with an offset prints in UTC; a missing one is Go's zero time */
    ROW(api_row_rbac_clusterrole, "{'metadata':{'name':'system:view','creationTimestamp':'2025-05-31T11:08:07+02:00'}}",
        "['system:view','2025-05-31T09:08:07Z']");
    ROW(api_row_core_limitrange, "{'metadata':{'name':'lr'}}", "['lr','0001-01-01T00:00:00Z']");

    ROW(api_row_rbac_rolebinding,
        "{'metadata':{'name':'rb','namespace':'dev','creationTimestamp':'2025-06-01T11:00:00Z'},'roleRef':{"
        "'apiGroup':'rbac.authorization.k8s.io','kind':'ClusterRole','name':'edit'},'subjects':["
        "{'kind':'User','name':'bob','apiGroup':'rbac.authorization.k8s.io'},{'kind':'ServiceAccount','name':'sa',"
        "'namespace':'dev'},{'kind':'User','name':'carol'},{'kind':'Group','name':'devs'},{'kind':'Other','name':'x'},"
        "{'kind':'ServiceAccount','name':'b'}]}",
        "['rb','ClusterRole/edit','60m','bob, carol','devs','dev/sa, /b']");
    ROW(api_row_rbac_clusterrolebinding, "{'metadata':{'name':'crb'},'roleRef':{'kind':'ClusterRole','name':'view'}}",
        "['crb','ClusterRole/view','<unknown>','','','']");
    ROW(api_row_rbac_clusterrolebinding, "{'metadata':{'name':'empty'}}", "['empty','/','<unknown>','','','']");

    /* status.hard in sorted order, limits.* apart, a missing used value as "0", quantities as String() */
    ROW(api_row_core_resourcequota,
        "{'metadata':{'name':'compute','creationTimestamp':'2025-06-01T11:59:30Z'},'spec':{'hard':{'cpu':'1'}},"
        "'status':{'hard':{'requests.memory':'1Gi','limits.cpu':'2','pods':'10','limits.memory':'2048Mi',"
        "'requests.cpu':'1000m','count/deployments.apps':'5'},'used':{'pods':'3','requests.cpu':'250m',"
        "'limits.memory':'1Gi'}}}",
        "['compute','count/deployments.apps: 0/5, pods: 3/10, requests.cpu: 250m/1, requests.memory: 0/1Gi',"
        "'limits.cpu: 0/2, limits.memory: 1Gi/2Gi','30s']");
    /* no status yet (no controller fills it in): both columns empty */
    ROW(api_row_core_resourcequota, "{'metadata':{'name':'q'},'spec':{'hard':{'pods':'2'}}}",
        "['q','','','<unknown>']");
    ROW(api_row_core_resourcequota, "{'metadata':{'name':'l'},'status':{'hard':{'limits':'1'}}}",
        "['l','limits: 0/1','','<unknown>']");

    rbac_quota_cells_at(api_row_rbac_role, api_columns_rbac_role, "Role");
    rbac_quota_cells_at(api_row_rbac_clusterrole, api_columns_rbac_clusterrole, "ClusterRole");
    rbac_quota_cells_at(api_row_rbac_rolebinding, api_columns_rbac_rolebinding, "RoleBinding");
    rbac_quota_cells_at(api_row_rbac_clusterrolebinding, api_columns_rbac_clusterrolebinding, "ClusterRoleBinding");
    rbac_quota_cells_at(api_row_core_resourcequota, api_columns_core_resourcequota, "ResourceQuota");
    rbac_quota_cells_at(api_row_core_limitrange, api_columns_core_limitrange, "LimitRange");

    /* allocation failures: rows come up short, nothing leaks */
    json_t *q = J("{'metadata':{'name':'q'},'status':{'hard':{'pods':'2','limits.cpu':'1'},'used':{'pods':'1'}}}");
    json_t *rb = J("{'metadata':{'name':'rb'},'roleRef':{'kind':'Role','name':'r'},'subjects':[{'kind':'User',"
                   "'name':'u'}]}");
    for (int i = 1; i < 12; i++) {
        json_t *cells = json_array();
        assert_non_null(cells);
        kc_fault_arm(KC_FAULT_ALLOC, i, 0, false);
        api_row_core_resourcequota(NULL, q, now_sec, cells);
        api_row_rbac_rolebinding(NULL, rb, now_sec, cells);
        kc_fault_disarm(KC_FAULT_ALLOC);
        assert_true(json_array_size(cells) <=
                    ncolumns(api_columns_core_resourcequota) + ncolumns(api_columns_rbac_rolebinding));
        json_decref(cells);
    }
    json_decref(q);
    json_decref(rb);
}

int
main(void)
{
    struct kc_time t;
    if (kc_time_parse("2025-06-01T12:00:00Z", &t) != 0)
        return 1;
    now_sec = t.sec;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_human_age_boundaries),
        cmocka_unit_test(test_human_age_inputs),
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_column_descriptions),
        cmocka_unit_test(test_cell_counts),
        cmocka_unit_test(test_pod_running),
        cmocka_unit_test(test_pod_restarts),
        cmocka_unit_test(test_pod_waiting_reasons),
        cmocka_unit_test(test_pod_terminated_reasons),
        cmocka_unit_test(test_pod_init_containers),
        cmocka_unit_test(test_pod_sidecars),
        cmocka_unit_test(test_pod_deletion),
        cmocka_unit_test(test_pod_wide_columns),
        cmocka_unit_test(test_node),
        cmocka_unit_test(test_service),
        cmocka_unit_test(test_endpoints),
        cmocka_unit_test(test_endpointslice),
        cmocka_unit_test(test_simple_kinds),
        cmocka_unit_test(test_persistentvolume),
        cmocka_unit_test(test_persistentvolumeclaim),
        cmocka_unit_test(test_core_event),
        cmocka_unit_test(test_events_event),
        cmocka_unit_test(test_deployment),
        cmocka_unit_test(test_replicaset),
        cmocka_unit_test(test_daemonset),
        cmocka_unit_test(test_statefulset),
        cmocka_unit_test(test_job),
        cmocka_unit_test(test_cronjob),
        cmocka_unit_test(test_ingress),
        cmocka_unit_test(test_ingressclass),
        cmocka_unit_test(test_storageclass),
        cmocka_unit_test(test_hpa),
        cmocka_unit_test(test_allocation_failure),
        cmocka_unit_test(test_rbac_quota_limitrange),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
