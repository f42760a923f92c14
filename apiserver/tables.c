/* tables.c - server-side Table printing: each kind's column definitions and row cells exactly as Kubernetes 1.33
 * prints them for `kubectl get` (pkg/printers/internalversion, always with the wide columns, as the API server
 * does), and api_human_age() (duration.HumanDuration). Pure: no I/O, no clock (callers pass `now`), no globals. */
#include "api_kinds.h"
#include "api_res.h"
#include "kc_fault.h"
#include "kc_json.h"
#include "kc_quantity.h"
#include "kc_selector.h"
#include "kc_time.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Column descriptions. Upstream takes most of them from the API types' SwaggerDoc() maps of k8s.io/api 1.33,
 * often of an older group-version than the one served (extensions/v1beta1 for Deployment, ReplicaSet and
 * DaemonSet, autoscaling/v2beta1 for HorizontalPodAutoscaler, discovery/v1beta1 for EndpointSlice, batch/v1beta1
 * for CronJob); these are those texts, checked byte for byte against the strings of the kubectl 1.33.1 binary,
 * which carries the same k8s.io/api. */
#define D_CJ_ACTIVE   "A list of pointers to currently running jobs."
#define D_CJ_LAST     "Information when was the last time the job was successfully scheduled."
#define D_CJ_SCHEDULE "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."
#define D_CJ_SUSPEND                                                                                         \
    "This flag tells the controller to suspend subsequent executions, it does not apply to already started " \
    "executions.  Defaults to false."
#define D_CJ_TZ                                                                                                        \
    "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If " \
    "not specified, this will default to the time zone of the kube-controller-manager process. The set of valid time " \
    "zone names and the time zone offset is loaded from the system-wide time zone database by the API server during "  \
    "CronJob validation and the controller manager during execution. If no system-wide time zone database can be "     \
    "found a bundled version of the database is used instead. If the time zone name becomes invalid during the "       \
    "lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new Jobs "  \
    "and will create a system event with the reason UnknownTimeZone. More information can be found in "                \
    "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones"
#define D_CM_DATA                                                                                                      \
    "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values " \
    "with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the "  \
    "keys in the BinaryData field, this is enforced during validation process."
#define D_DEP_AVAILABLE \
    "Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment."
#define D_DEP_SELECTOR                                                                                                 \
    "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this " \
    "deployment."
#define D_DEP_UPDATED \
    "Total number of non-terminating pods targeted by this deployment that have the desired template spec."
#define D_DS_AVAILABLE                                                                                              \
    "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and " \
    "available (ready for at least spec.minReadySeconds)"
#define D_DS_CURRENT                                                                                                 \
    "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: " \
    "https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"
#define D_DS_DESIRED                                                                                                 \
    "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon " \
    "pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"
#define D_DS_READY                                                                                                  \
    "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and " \
    "ready."
#define D_DS_SELECTOR                                                                                              \
    "A label query over pods that are managed by the daemon set. Must match in order to be controlled. If empty, " \
    "defaulted to labels on Pod template. More info: "                                                             \
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"
#define D_DS_UPDATED "The total number of nodes that are running updated daemon pod"
#define D_EP_SUBSETS                                                                                                \
    "The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs " \
    "they share. A single address with multiple ports, some of which are ready and some of which are not (because " \
    "they come from different containers) will result in the address being displayed in different subsets for the " \
    "different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of "  \
    "addresses and ports that comprise a service."
#define D_ES_ADDRTYPE                                                                                                \
    "addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be "  \
    "the same type. This field is immutable after creation. The following address types are currently supported: * " \
    "IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified "    \
    "Domain Name."
#define D_ES_ENDPOINTS \
    "endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints."
#define D_ES_PORTS                                                                                                     \
    "ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique "  \
    "name. When ports is empty, it indicates that there are no defined ports. When a port is defined with a nil port " \
    "value, it indicates \"all ports\". Each slice may include a maximum of 100 ports."
#define D_EV_COUNT    "The number of times this event has occurred."
#define D_EV_FIRST    "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)"
#define D_EV_INVOLVED "The object that this event is about."
#define D_EV_LAST     "The time at which the most recent occurrence of this event was recorded."
#define D_EV_MESSAGE  "A human-readable description of the status of this operation."
#define D_EV_REASON                                                                                            \
    "This should be a short, machine understandable string that gives the reason for the transition into the " \
    "object's current status."
#define D_EV_SOURCE "The component reporting this event. Should be a short machine understandable string."
#define D_EV_TYPE   "Type of this event (Normal, Warning), new types could be added in the future"
#define D_HPA_CURRENT                                                                                        \
    "currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the " \
    "autoscaler."
#define D_HPA_MAX                                                                                                   \
    "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be " \
    "less that minReplicas."
#define D_HPA_METRICS                                                                                                  \
    "metrics contains the specifications for which to use to calculate the desired replica count (the maximum "        \
    "replica count across all metrics will be used).  The desired replica count is calculated multiplying the ratio "  \
    "between the target value and the current value by the current number of pods.  Ergo, metrics used must decrease " \
    "as the pod count is increased, and vice-versa.  See the individual metric source types for more information "     \
    "about how each type of metric must respond."
#define D_HPA_MIN                                                                                                     \
    "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.  It defaults " \
    "to 1 pod.  minReplicas is allowed to be 0 if the alpha feature gate HPAScaleToZero is enabled and at least one " \
    "Object or External metric is configured.  Scaling is active as long as at least one metric value is available."
#define D_HPA_REF                                                                                                 \
    "scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be " \
    "collected, as well as to actually change the replica count."
#define D_JOB_SELECTOR                                                                                             \
    "A label query over pods that should match the pod count. Normally, the system sets this field for you. More " \
    "info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"
#define D_JOB_SUCCEEDED                                                                                               \
    "The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, " \
    "it may decrease in reaction to scale down of elastic indexed jobs."
#define D_LEASE_HOLDER                                                                                                \
    "holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, " \
    "the holder identity must be equal to the elected LeaseCandidate.metadata.name field."
#define D_META_CTIME                                                                                                  \
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "          \
    "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is " \
    "represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "   \
    "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
#define D_META_NAME                                                                                                   \
    "Name must be unique within a namespace. Is required when creating resources, although some resources may allow " \
    "a client to request the generation of an appropriate name automatically. Name is primarily intended for "        \
    "creation idempotence and configuration definition. Cannot be updated. More info: "                               \
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
#define D_NODE_ADDRESSES                                                                                               \
    "List of addresses reachable to the node. Queried from cloud provider, if available. More info: "                  \
    "https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as mergeable, but " \
    "the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should "     \
    "instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that "  \
    "addresses can change during the lifetime of a Node. However, there are some exceptions where this may not be "    \
    "possible, such as Pods that inherit a Node's address in its own status or consumers of the downward API "         \
    "(status.hostIP)."
#define D_NODE_CR      "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2)."
#define D_NODE_KERNEL  "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."
#define D_NODE_KUBELET "Kubelet Version reported by the node."
#define D_NODE_OS      "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."
#define D_POD_NODENAME                                                                                                 \
    "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the " \
    "scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for "   \
    "the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a "   \
    "specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename"
#define D_POD_NODESEL                                                                                                 \
    "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's " \
    "labels for the pod to be scheduled on that node. More info: "                                                    \
    "https://kubernetes.io/docs/concepts/configuration/assign-pod-node/"
#define D_POD_NOMINATED                                                                                                \
    "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right "   \
    "away as preemption victims receive their graceful termination periods. This field does not guarantee that the "   \
    "pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become "       \
    "available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is " \
    "created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is "        \
    "scheduled."
#define D_POD_PODIP \
    "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."
#define D_POD_RGATES                                                                                                 \
    "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers " \
    "are ready AND all conditions specified in the readiness gates have status equal to \"True\" More info: "        \
    "https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates"
#define D_PV_ACCESS                                                        \
    "accessModes contains all ways the volume can be mounted. More info: " \
    "https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes"
#define D_PV_CAPACITY                                                                            \
    "capacity is the description of the persistent volume's resources and capacity. More info: " \
    "https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity"
#define D_PV_CLAIMREF                                                                                                  \
    "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim. Expected to be " \
    "non-nil when bound. claim.VolumeName is the authoritative bind between PV and PVC. More info: "                   \
    "https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding"
#define D_PV_PHASE                                                                                    \
    "phase indicates if a volume is available, bound to a claim, or released by a claim. More info: " \
    "https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase"
#define D_PV_REASON                                                                                                    \
    "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display " \
    "in the CLI."
#define D_PV_RECLAIM                                                                                                 \
    "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim. Valid " \
    "options are Retain (default for manually created PersistentVolumes), Delete (default for dynamically "          \
    "provisioned PersistentVolumes), and Recycle (deprecated). Recycle must be supported by the volume plugin "      \
    "underlying this PersistentVolume. More info: "                                                                  \
    "https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming"
#define D_PV_VOLMODE                                                                                               \
    "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block " \
    "state. Value of Filesystem is implied when not included in spec."
#define D_PVC_ACCESS                                                                           \
    "accessModes contains the actual access modes the volume backing the PVC has. More info: " \
    "https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1"
#define D_PVC_CAPACITY "capacity represents the actual resources of the underlying volume."
#define D_PVC_PHASE    "phase represents the current phase of PersistentVolumeClaim."
#define D_PVC_VOLMODE                                                                                           \
    "volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied when not " \
    "included in claim spec."
#define D_PVC_VOLNAME "volumeName is the binding reference to the PersistentVolume backing this claim."
#define D_REF_FIELDPATH                                                                                                \
    "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go "    \
    "field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is to " \
    "a container within a pod, this would take on a value like: \"spec.containers{name}\" (where \"name\" refers to "  \
    "the name of the container that triggered the event) or if no container name is specified \"spec.containers[2]\" " \
    "(container with index 2 in this pod). This syntax is chosen only to have some well-defined way of referencing a " \
    "part of an object."
#define D_RS_SPEC_REPLICAS                                                                                             \
    "Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. " \
    "Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset"
#define D_RS_SPEC_SELECTOR                                                                                       \
    "Selector is a label query over pods that should match the replica count. If the selector is empty, it is "  \
    "defaulted to the labels present on the pod template. Label keys and values that must match in order to be " \
    "controlled by this replica set. More info: "                                                                \
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors"
#define D_RS_ST_READY "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition."
#define D_RS_ST_REPLICAS                                                                 \
    "Replicas is the most recently observed number of non-terminating pods. More info: " \
    "https://kubernetes.io/docs/concepts/workloads/controllers/replicaset"
#define D_SA_SECRETS                                                                                                   \
    "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed "  \
    "to use. Pods are only limited to this list if this service account has a "                                        \
    "\"kubernetes.io/enforce-mountable-secrets\" annotation set to \"true\". The "                                     \
    "\"kubernetes.io/enforce-mountable-secrets\" annotation is deprecated since v1.32. Prefer separate namespaces to " \
    "isolate access to mounted secrets. This field should not be used to find auto-generated service account token "   \
    "secrets for use outside of pods. Instead, tokens can be requested directly using the TokenRequest API, or "       \
    "service account token secrets can be manually created. More info: "                                               \
    "https://kubernetes.io/docs/concepts/configuration/secret"
#define D_SC_BINDING                                                                                        \
    "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, " \
    "VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature."
#define D_SC_EXPAND "allowVolumeExpansion shows whether the storage class allow volume expand."
#define D_SC_PROV   "provisioner indicates the type of the provisioner."
#define D_SC_RECLAIM                                                                                                 \
    "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. " \
    "Defaults to Delete."
#define D_SECRET_DATA                                                                                                  \
    "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The "           \
    "serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) " \
    "data value here. Described in https://tools.ietf.org/html/rfc4648#section-4"
#define D_SECRET_TYPE                                                      \
    "Used to facilitate programmatic handling of secret data. More info: " \
    "https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"
#define D_SVC_CLUSTERIP                                                                                               \
    "clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified "        \
    "manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; "   \
    "otherwise creation of the service will fail. This field may not be changed through updates unless the type "     \
    "field is also being changed to ExternalName (which requires this field to be blank) or the type field is being " \
    "changed from ExternalName (in which case this field may optionally be specified, as describe above).  Valid "    \
    "values are \"None\", empty string (\"\"), or a valid IP address. Setting this to \"None\" makes a \"headless "   \
    "service\" (no virtual IP), which is useful when direct endpoint connections are preferred and proxying is not "  \
    "required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when "        \
    "creating a Service of type ExternalName, creation will fail. This field will be wiped when updating a Service "  \
    "to type ExternalName. More info: "                                                                               \
    "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"
#define D_SVC_EXTIPS                                                                                                   \
    "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service. " \
    " These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives at a node "  \
    "with this IP.  A common example is external load-balancers that are not part of the Kubernetes system."
#define D_SVC_PORTS                                                   \
    "The list of ports that are exposed by this service. More info: " \
    "https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies"
#define D_SVC_SELECTOR                                                                                               \
    "Route service traffic to pods with label keys and values matching this selector. If empty or not present, the " \
    "service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only " \
    "applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: "           \
    "https://kubernetes.io/docs/concepts/services-networking/service/"
#define D_SVC_TYPE                                                                                                    \
    "type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, "  \
    "NodePort, and LoadBalancer. \"ClusterIP\" allocates a cluster-internal IP address for load-balancing to "        \
    "endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an "  \
    "Endpoints object or EndpointSlice objects. If clusterIP is \"None\", no virtual IP is allocated and the "        \
    "endpoints are published as a set of endpoints rather than a virtual IP. \"NodePort\" builds on ClusterIP and "   \
    "allocates a port on every node which routes to the same endpoints as the clusterIP. \"LoadBalancer\" builds on " \
    "NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the same "    \
    "endpoints as the clusterIP. \"ExternalName\" aliases this service to the specified externalName. Several other " \
    "fields do not apply to ExternalName services. More info: "                                                       \
    "https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types"

/* The zero time.Time of Go (0001-01-01T00:00:00Z) in Unix seconds: metav1.Time's IsZero() instant. */
#define GO_ZERO_SEC (-62135596800LL)
#define NS_PER_SEC  1000000000LL

/* ---- reading the object ---- */

/* The value at path, or NULL when it is missing or JSON null (a nil pointer or empty field in Go). */
static const json_t *
get(const json_t *o, const char *path)
{
    const json_t *v = o ? kc_json_get(o, path) : NULL;
    return v && !json_is_null(v) ? v : NULL;
}

static bool
has(const json_t *o, const char *path)
{
    return get(o, path) != NULL;
}

/* The string at path; "" when missing or not a string (Go's zero string). */
static const char *
str(const json_t *o, const char *path)
{
    const char *s = o ? kc_json_get_string(o, path) : NULL;
    return s ? s : "";
}

/* The string at path, or dflt when it is missing or empty (where decoding applies a default). */
static const char *
str_default(const json_t *o, const char *path, const char *dflt)
{
    const char *s = str(o, path);
    return *s ? s : dflt;
}

/* The integer at path, or dflt when missing or not an integer. */
static long long
num(const json_t *o, const char *path, long long dflt)
{
    long long v;
    return o && kc_json_get_int(o, path, &v) == 0 ? v : dflt;
}

static bool
boolean(const json_t *o, const char *path)
{
    return json_is_true(get(o, path));
}

/* The array at path, or NULL. */
static const json_t *
arr(const json_t *o, const char *path)
{
    const json_t *v = get(o, path);
    return json_is_array(v) ? v : NULL;
}

/* Entries of the array or object at path (len() of a Go slice or map); 0 when missing. */
static size_t
count(const json_t *o, const char *path)
{
    const json_t *v = get(o, path);
    return json_is_array(v) ? json_array_size(v) : json_is_object(v) ? json_object_size(v) : 0;
}

/* The first element of array a whose string field key equals want, or NULL. */
static const json_t *
find_by(const json_t *a, const char *key, const char *want)
{
    size_t i;
    const json_t *e;
    json_array_foreach(a, i, e)
    {
        if (strcmp(str(e, key), want) == 0)
            return e;
    }
    return NULL;
}

/* ---- times ---- */

static const struct kc_time go_zero = { GO_ZERO_SEC, 0 };

static bool
time_is_zero(struct kc_time t)
{
    return t.sec == GO_ZERO_SEC && t.nsec == 0;
}

static bool
time_before(struct kc_time a, struct kc_time b)
{
    return a.sec < b.sec || (a.sec == b.sec && a.nsec < b.nsec);
}

/* The metav1.Time at path. A missing, null or unparsable value reads as Go's zero time (an unparsable one cannot
 * reach upstream's printers at all: decoding the object fails). Returns whether a valid value was present. */
static bool
time_at(const json_t *o, const char *path, struct kc_time *t)
{
    const char *s = o ? kc_json_get_string(o, path) : NULL;
    if (s && kc_time_parse(s, t) == 0)
        return true;
    *t = go_zero;
    return false;
}

/* a - b in nanoseconds, saturated to the int64 range as Go's Time.Sub does. */
static int64_t
time_sub(struct kc_time a, struct kc_time b)
{
    __int128 d = ((__int128)a.sec - b.sec) * NS_PER_SEC + ((__int128)a.nsec - b.nsec);
    if (d > INT64_MAX)
        return INT64_MAX;
    if (d < INT64_MIN)
        return INT64_MIN;
    return (int64_t)d;
}

#define HUMAN_BUF 32

/* duration.HumanDuration: about two significant figures ("59s", "2m5s", "10m", "3h20m", "8h", "2d3h", "30d",
 * "2y10d", "9y"), "0s" for up to two seconds in the future (clock skew) and "<invalid>" beyond. */
static const char *
human_duration(int64_t d, char buf[HUMAN_BUF])
{
    long long seconds = d / NS_PER_SEC; /* int(d.Seconds()) truncates toward zero */
    if (seconds < -1) {
        snprintf(buf, HUMAN_BUF, "<invalid>");
        return buf;
    }
    if (seconds < 0) {
        snprintf(buf, HUMAN_BUF, "0s");
        return buf;
    }
    if (seconds < 60 * 2) {
        snprintf(buf, HUMAN_BUF, "%llds", seconds);
        return buf;
    }
    long long minutes = d / (60 * NS_PER_SEC);
    if (minutes < 10) {
        long long s = seconds % 60;
        if (s == 0)
            snprintf(buf, HUMAN_BUF, "%lldm", minutes);
        else
            snprintf(buf, HUMAN_BUF, "%lldm%llds", minutes, s);
        return buf;
    }
    if (minutes < 60 * 3) {
        snprintf(buf, HUMAN_BUF, "%lldm", minutes);
        return buf;
    }
    long long hours = d / (3600 * NS_PER_SEC);
    if (hours < 8) {
        long long m = minutes % 60;
        if (m == 0)
            snprintf(buf, HUMAN_BUF, "%lldh", hours);
        else
            snprintf(buf, HUMAN_BUF, "%lldh%lldm", hours, m);
    } else if (hours < 48) {
        snprintf(buf, HUMAN_BUF, "%lldh", hours);
    } else if (hours < 24 * 8) {
        long long h = hours % 24;
        if (h == 0)
            snprintf(buf, HUMAN_BUF, "%lldd", hours / 24);
        else
            snprintf(buf, HUMAN_BUF, "%lldd%lldh", hours / 24, h);
    } else if (hours < 24 * 365 * 2) {
        snprintf(buf, HUMAN_BUF, "%lldd", hours / 24);
    } else if (hours < 24 * 365 * 8) {
        long long dy = hours / 24 % 365;
        if (dy == 0)
            snprintf(buf, HUMAN_BUF, "%lldy", hours / 24 / 365);
        else
            snprintf(buf, HUMAN_BUF, "%lldy%lldd", hours / 24 / 365, dy);
    } else {
        snprintf(buf, HUMAN_BUF, "%lldy", hours / 24 / 365);
    }
    return buf;
}

/* translateTimestampSince: "<unknown>" for the zero time, else the human duration from t to now. */
static const char *
since(struct kc_time t, int64_t now, char buf[HUMAN_BUF])
{
    if (time_is_zero(t)) {
        snprintf(buf, HUMAN_BUF, "<unknown>");
        return buf;
    }
    struct kc_time n = { now, 0 };
    return human_duration(time_sub(n, t), buf);
}

void
api_human_age(const char *created, int64_t now, char *buf, size_t len)
{
    struct kc_time t = go_zero;
    char tmp[HUMAN_BUF];
    if (!buf || len == 0)
        return;
    if (!created || kc_time_parse(created, &t) != 0)
        t = go_zero;
    snprintf(buf, len, "%s", since(t, now, tmp));
}

/* ---- building text ---- */

/* A growable string. Allocation failure sets oom; the text is then dropped and its cell left out, so a row that
 * lost a cell is recognisable by its short length. */
struct sb {
    char *p;
    size_t len, cap;
    bool oom;
};

static void
sb_addn(struct sb *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (n > SIZE_MAX / 4 - b->len) { /* cannot happen with real text; keeps the size arithmetic in range */
        b->oom = true;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = kc_realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void
sb_add(struct sb *b, const char *s)
{
    sb_addn(b, s, strlen(s));
}

static void sb_addf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sb_addf(struct sb *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        b->oom = true; /* only short numeric formats are used; longer text goes through sb_add */
        return;
    }
    sb_addn(b, tmp, (size_t)n);
}

static void
sb_reset(struct sb *b)
{
    b->len = 0;
    sb_addn(b, "", 0);
}

static const char *
sb_str(const struct sb *b)
{
    return b->p && !b->oom ? b->p : "";
}

static void
sb_free(struct sb *b)
{
    free(b->p);
    *b = (struct sb){ 0 };
}

/* ---- cells ---- */

static void
cell_str(json_t *cells, const char *s)
{
    json_array_append_new(cells, json_string(s ? s : ""));
}

/* Appends b's text as a string cell (nothing when b ran out of memory) and frees b. */
static void
cell_sb(json_t *cells, struct sb *b)
{
    if (!b->oom)
        json_array_append_new(cells, json_stringn(b->p ? b->p : "", b->len));
    sb_free(b);
}

static void
cell_int(json_t *cells, long long v)
{
    json_array_append_new(cells, json_integer(v));
}

static void
cell_bool(json_t *cells, bool v)
{
    json_array_append_new(cells, json_boolean(v));
}

static void
cell_since(json_t *cells, struct kc_time t, int64_t now)
{
    char buf[HUMAN_BUF];
    cell_str(cells, since(t, now, buf));
}

/* The Age cell: translateTimestampSince(metadata.creationTimestamp). */
static void
cell_age(json_t *cells, const json_t *obj, int64_t now)
{
    struct kc_time t;
    time_at(obj, "metadata.creationTimestamp", &t);
    cell_since(cells, t, now);
}

static void
cell_name(json_t *cells, const json_t *obj)
{
    cell_str(cells, str(obj, "metadata.name"));
}

/* ---- shared formatters ---- */

/* A sorted set of strings (sets.String's List()): borrowed pointers, sorted byte-wise, duplicates removed. */
struct strset {
    const char **v;
    size_t n, cap;
    bool oom;
};

static void
set_add(struct strset *s, const char *x)
{
    if (s->oom)
        return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        const char **v = kc_realloc(s->v, cap * sizeof(*v));
        if (!v) {
            s->oom = true;
            return;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = x;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts, removes duplicates and appends the members joined by sep to out. */
static void
set_join(struct strset *s, const char *sep, struct sb *out)
{
    if (s->oom) {
        out->oom = true;
        return;
    }
    if (s->n)
        qsort(s->v, s->n, sizeof(*s->v), cmp_str);
    for (size_t i = 0, k = 0; i < s->n; i++) {
        if (i > 0 && strcmp(s->v[i], s->v[i - 1]) == 0)
            continue;
        if (k++)
            sb_add(out, sep);
        sb_add(out, s->v[i]);
    }
}

static void
set_free(struct strset *s)
{
    free(s->v);
    *s = (struct strset){ 0 };
}

/* Compares "k1=v1" with "k2=v2" byte-wise without building them. */
static int
cmp_kv_text(const char *k1, const char *v1, const char *k2, const char *v2)
{
    const char *p[2][3] = { { k1, "=", v1 }, { k2, "=", v2 } };
    int part[2] = { 0, 0 };
    const char *c[2] = { k1, k2 };
    for (;;) {
        for (int i = 0; i < 2; i++) {
            while (*c[i] == '\0' && part[i] < 2)
                c[i] = p[i][++part[i]];
        }
        unsigned char a = (unsigned char)*c[0], b = (unsigned char)*c[1];
        if (a != b || a == '\0')
            return (int)a - (int)b;
        c[0]++;
        c[1]++;
    }
}

struct kv {
    const char *k, *v;
};

static int
cmp_kv(const void *a, const void *b)
{
    const struct kv *x = a, *y = b;
    return cmp_kv_text(x->k, x->v, y->k, y->v);
}

/* labels.FormatLabels: "k=v" pairs sorted as strings and joined by ",", "<none>" for an empty map. */
static void
format_labels(const json_t *map, struct sb *out)
{
    size_t n = json_is_object(map) ? json_object_size(map) : 0, i = 0;
    if (n == 0) {
        sb_add(out, "<none>");
        return;
    }
    struct kv *kv = kc_calloc(n, sizeof(*kv));
    if (!kv) {
        out->oom = true;
        return;
    }
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)map, key, val)
    {
        kv[i].k = key;
        kv[i].v = json_is_string(val) ? json_string_value(val) : "";
        i++;
    }
    qsort(kv, n, sizeof(*kv), cmp_kv);
    for (i = 0; i < n; i++) {
        if (i)
            sb_add(out, ",");
        sb_add(out, kv[i].k);
        sb_add(out, "=");
        sb_add(out, kv[i].v);
    }
    free(kv);
}

static void
cell_labels(json_t *cells, const json_t *map)
{
    struct sb b = { 0 };
    format_labels(map, &b);
    cell_sb(cells, &b);
}

/* A metav1.LabelSelector as text: metav1.FormatLabelSelector (on_error "<error>", on_empty "<none>") or the
 * plain LabelSelectorAsSelector(...).String() of printDeployment (on_error "<invalid>", on_empty ""). */
static void
cell_selector(json_t *cells, const json_t *selector, const char *on_error, const char *on_empty)
{
    struct kc_label_selector *sel = NULL;
    int rc = kc_label_selector_from_json(selector, &sel, NULL, 0);
    if (rc == -ENOMEM)
        return;
    if (rc != 0) {
        cell_str(cells, on_error);
        return;
    }
    char *s = kc_label_selector_string(sel);
    kc_label_selector_free(sel);
    if (!s)
        return;
    cell_str(cells, *s ? s : on_empty);
    free(s);
}

/* layoutContainerCells: the containers' names and images, each joined by ",". */
static void
cells_containers(json_t *cells, const json_t *containers)
{
    struct sb names = { 0 }, images = { 0 };
    size_t i;
    const json_t *c;
    sb_add(&names, "");
    sb_add(&images, "");
    json_array_foreach(containers, i, c)
    {
        if (i) {
            sb_add(&names, ",");
            sb_add(&images, ",");
        }
        sb_add(&names, str(c, "name"));
        sb_add(&images, str(c, "image"));
    }
    cell_sb(cells, &names);
    cell_sb(cells, &images);
}

/* Quantity.String() of the quantity v: the text as given when upstream would keep it (a canonical value), else
 * the canonical form. missing is what a missing value prints: "0" for a map entry (the zero Quantity), "<nil>"
 * for a nil *Quantity. */
static void
quantity(const json_t *v, const char *missing, struct sb *out)
{
    struct kc_quantity q;
    char buf[KC_QUANTITY_STRLEN];
    if (!v) {
        sb_add(out, missing);
        return;
    }
    if (kc_quantity_from_json(v, &q, NULL, 0) != 0) {
        sb_add(out, json_is_string(v) ? json_string_value(v) : missing); /* cannot happen upstream */
        return;
    }
    if (q.verbatim && json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = strlen(s);
        while (n && strchr(" \t\r\n\v\f", s[n - 1]))
            n--;
        while (n && strchr(" \t\r\n\v\f", *s)) {
            s++;
            n--;
        }
        sb_addn(out, s, n);
        return;
    }
    sb_add(out, kc_quantity_string(&q, buf));
}

/* helper.GetAccessModesAsString: the modes present, always in the order RWO,ROX,RWX,RWOP. */
static void
access_modes(const json_t *modes, struct sb *out)
{
    static const struct {
        const char *mode, *abbr;
    } order[] = { { "ReadWriteOnce", "RWO" },
                  { "ReadOnlyMany", "ROX" },
                  { "ReadWriteMany", "RWX" },
                  { "ReadWriteOncePod", "RWOP" } };
    size_t k = 0;
    sb_add(out, "");
    for (size_t m = 0; m < sizeof(order) / sizeof(order[0]); m++) {
        size_t i;
        const json_t *e;
        json_array_foreach(modes, i, e)
        {
            if (json_is_string(e) && strcmp(json_string_value(e), order[m].mode) == 0) {
                if (k++)
                    sb_add(out, ",");
                sb_add(out, order[m].abbr);
                break;
            }
        }
    }
}

/* Whether metadata.deletionTimestamp is set. */
static bool
deleting(const json_t *obj)
{
    return has(obj, "metadata.deletionTimestamp");
}

/* The annotation key's value, or NULL when absent. */
static const char *
annotation(const json_t *obj, const char *key)
{
    const json_t *a = get(obj, "metadata.annotations");
    const json_t *v = json_is_object(a) ? json_object_get(a, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The status of the first condition of type in conds ("True", ...), or NULL when there is none. */
static const char *
condition_status(const json_t *conds, const char *type)
{
    const json_t *c = find_by(conds, "type", type);
    return c ? str(c, "status") : NULL;
}

static bool
condition_true(const json_t *conds, const char *type)
{
    const char *s = condition_status(conds, type);
    return s && strcmp(s, "True") == 0;
}

/* ---- columns shared by many kinds ---- */

#define COL_NAME                                 \
    {                                            \
        "Name", "string", "name", D_META_NAME, 0 \
    }
#define COL_AGE                              \
    {                                        \
        "Age", "string", "", D_META_CTIME, 0 \
    }
#define COL_CONTAINERS                                                            \
    {                                                                             \
        "Containers", "string", "", "Names of each container in the template.", 1 \
    }
#define COL_IMAGES                                                                        \
    {                                                                                     \
        "Images", "string", "", "Images referenced by each container in the template.", 1 \
    }
#define COL_END                   \
    {                             \
        NULL, NULL, NULL, NULL, 0 \
    }

/* ==== core/v1 ==== */

/* ---- Namespace ---- */

const struct api_column api_columns_core_namespace[] = {
    COL_NAME,
    { "Status", "string", "", "The status of the namespace", 0 },
    COL_AGE,
    COL_END,
};

void
api_row_core_namespace(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells)
{
    (void)r;
    cell_name(cells, obj);
    cell_str(cells, str_default(obj, "status.phase", "Active")); /* SetDefaults_NamespaceStatus */
    cell_age(cells, obj, now);
}

/* ---- Pod ---- */

const struct api_column api_columns_core_pod[] = {
    COL_NAME,
    { "Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic.", 0 },
    { "Status", "string", "", "The aggregate status of the containers in this pod.", 0 },
    { "Restarts", "string", "",
      "The number of times the containers in this pod have been restarted and when the last container in this pod "
      "has restarted.",
      0 },
    COL_AGE,
    { "IP", "string", "", D_POD_PODIP, 1 },
    { "Node", "string", "", D_POD_NODENAME, 1 },
    { "Nominated Node", "string", "", D_POD_NOMINATED, 1 },
    { "Readiness Gates", "string", "", D_POD_RGATES, 1 },
    COL_END,
};

/* podutil.IsRestartableInitContainer for the init container named name (the last of that name, as a Go map
 * built from the list keeps). */
static bool
restartable_init(const json_t *inits, const char *name)
{
    size_t i;
    const json_t *c;
    bool found = false, restartable = false;
    json_array_foreach(inits, i, c)
    {
        if (strcmp(str(c, "name"), name) == 0) {
            found = true;
            restartable = strcmp(str(c, "restartPolicy"), "Always") == 0;
        }
    }
    return found && restartable;
}

/* Keeps in *last the later of *last and the container's lastState.terminated.finishedAt. */
static void
note_restart(const json_t *cs, struct kc_time *last)
{
    if (!has(cs, "lastState.terminated"))
        return;
    struct kc_time t;
    time_at(cs, "lastState.terminated.finishedAt", &t);
    if (time_before(*last, t))
        *last = t;
}

static void
set_reason(struct sb *reason, const char *prefix, const char *text)
{
    sb_reset(reason);
    sb_add(reason, prefix);
    sb_add(reason, text);
}

/* The pod's Status column, restart count and ready count, as printPod works them out. */
void
api_row_core_pod(const struct api_resource *r, const json_t *pod, int64_t now, json_t *cells)
{
    (void)r;
    const json_t *spec = get(pod, "spec"), *status = get(pod, "status");
    const json_t *inits = arr(spec, "initContainers"), *conds = arr(status, "conditions");
    const json_t *init_statuses = arr(status, "initContainerStatuses"), *statuses = arr(status, "containerStatuses");
    long long restarts = 0, restartable_restarts = 0, ready = 0;
    size_t total = count(spec, "containers"), i;
    struct kc_time last = go_zero, restartable_last = go_zero;
    const char *phase = str(status, "phase");
    struct sb reason = { 0 };
    const json_t *c;

    set_reason(&reason, "", *str(status, "reason") ? str(status, "reason") : phase);
    json_array_foreach(conds, i, c)
    {
        if (strcmp(str(c, "type"), "PodScheduled") == 0 && strcmp(str(c, "reason"), "SchedulingGated") == 0)
            set_reason(&reason, "", "SchedulingGated");
    }
    json_array_foreach(inits, i, c)
    {
        if (strcmp(str(c, "restartPolicy"), "Always") == 0)
            total++;
    }

    bool initializing = false;
    json_array_foreach(init_statuses, i, c)
    {
        bool restartable = restartable_init(inits, str(c, "name"));
        long long rc = num(c, "restartCount", 0);
        restarts += rc;
        note_restart(c, &last);
        if (restartable) {
            restartable_restarts += rc;
            note_restart(c, &restartable_last);
        }
        bool terminated = has(c, "state.terminated");
        if (terminated && num(c, "state.terminated.exitCode", 0) == 0)
            continue;
        if (restartable && boolean(c, "started")) {
            if (boolean(c, "ready"))
                ready++;
            continue;
        }
        if (terminated) {
            const char *why = str(c, "state.terminated.reason");
            sb_reset(&reason);
            if (*why)
                set_reason(&reason, "Init:", why);
            else if (num(c, "state.terminated.signal", 0) != 0)
                sb_addf(&reason, "Init:Signal:%lld", num(c, "state.terminated.signal", 0));
            else
                sb_addf(&reason, "Init:ExitCode:%lld", num(c, "state.terminated.exitCode", 0));
        } else if (has(c, "state.waiting") && *str(c, "state.waiting.reason") &&
                   strcmp(str(c, "state.waiting.reason"), "PodInitializing") != 0) {
            set_reason(&reason, "Init:", str(c, "state.waiting.reason"));
        } else {
            sb_reset(&reason);
            sb_addf(&reason, "Init:%zu/%zu", i, count(spec, "initContainers"));
        }
        initializing = true;
        break;
    }

    const json_t *init_cond = find_by(conds, "type", "Initialized");
    if (!initializing || (init_cond && strcmp(str(init_cond, "status"), "True") == 0)) {
        restarts = restartable_restarts;
        last = restartable_last;
        bool running = false;
        for (size_t k = json_array_size(statuses); k-- > 0;) {
            c = json_array_get(statuses, k);
            restarts += num(c, "restartCount", 0);
            note_restart(c, &last);
            if (has(c, "state.waiting") && *str(c, "state.waiting.reason")) {
                set_reason(&reason, "", str(c, "state.waiting.reason"));
            } else if (has(c, "state.terminated") && *str(c, "state.terminated.reason")) {
                set_reason(&reason, "", str(c, "state.terminated.reason"));
            } else if (has(c, "state.terminated")) {
                sb_reset(&reason);
                if (num(c, "state.terminated.signal", 0) != 0)
                    sb_addf(&reason, "Signal:%lld", num(c, "state.terminated.signal", 0));
                else
                    sb_addf(&reason, "ExitCode:%lld", num(c, "state.terminated.exitCode", 0));
            } else if (boolean(c, "ready") && has(c, "state.running")) {
                running = true;
                ready++;
            }
        }
        /* a pod whose containers completed but one still runs is shown by its readiness */
        if (running && strcmp(sb_str(&reason), "Completed") == 0) {
            bool pod_ready = false;
            json_array_foreach(conds, i, c)
            {
                if (strcmp(str(c, "type"), "Ready") == 0 && strcmp(str(c, "status"), "True") == 0)
                    pod_ready = true;
            }
            set_reason(&reason, "", pod_ready ? "Running" : "NotReady");
        }
    }

    if (deleting(pod) && strcmp(str(status, "reason"), "NodeLost") == 0)
        set_reason(&reason, "", "Unknown");
    else if (deleting(pod) && strcmp(phase, "Failed") != 0 && strcmp(phase, "Succeeded") != 0)
        set_reason(&reason, "", "Terminating");

    struct sb b = { 0 };
    cell_name(cells, pod);
    sb_addf(&b, "%lld/%zu", ready, total);
    cell_sb(cells, &b);
    sb_add(&reason, "");
    cell_sb(cells, &reason);
    if (restarts != 0 && !time_is_zero(last)) {
        char h[HUMAN_BUF];
        sb_addf(&b, "%lld (%s ago)", restarts, since(last, now, h));
    } else {
        sb_addf(&b, "%lld", restarts);
    }
    cell_sb(cells, &b);
    cell_age(cells, pod, now);

    /* wide: IP, Node, Nominated Node, Readiness Gates */
    /* decoding fills podIPs from podIP */
    const json_t *ips = arr(status, "podIPs");
    const char *ip = json_array_size(ips) > 0 ? str(json_array_get(ips, 0), "ip") : str(status, "podIP");
    cell_str(cells, *ip ? ip : "<none>");
    cell_str(cells, str_default(spec, "nodeName", "<none>"));
    cell_str(cells, str_default(status, "nominatedNodeName", "<none>"));
    const json_t *gates = arr(spec, "readinessGates");
    if (json_array_size(gates) == 0) {
        cell_str(cells, "<none>");
    } else {
        size_t yes = 0;
        const json_t *g;
        json_array_foreach(gates, i, g)
        {
            const char *st = condition_status(conds, str(g, "conditionType"));
            if (st && strcmp(st, "True") == 0)
                yes++;
        }
        sb_addf(&b, "%zu/%zu", yes, json_array_size(gates));
        cell_sb(cells, &b);
    }
}

/* ---- Service ---- */

const struct api_column api_columns_core_service[] = {
    COL_NAME,
    { "Type", "string", "", D_SVC_TYPE, 0 },
    { "Cluster-IP", "string", "", D_SVC_CLUSTERIP, 0 },
    { "External-IP", "string", "", D_SVC_EXTIPS, 0 },
    { "Port(s)", "string", "", D_SVC_PORTS, 0 },
    COL_AGE,
    { "Selector", "string", "", D_SVC_SELECTOR, 1 },
    COL_END,
};

/* loadBalancerStatusStringer (wide): the ingress points' IPs, or hostnames where there is no IP, sorted and
 * de-duplicated, joined by ",". */
static void
lb_ingress(const json_t *ingress, struct sb *out)
{
    struct strset set = { 0 };
    size_t i;
    const json_t *e;
    json_array_foreach(ingress, i, e)
    {
        if (*str(e, "ip"))
            set_add(&set, str(e, "ip"));
        else if (*str(e, "hostname"))
            set_add(&set, str(e, "hostname"));
    }
    set_join(&set, ",", out);
    set_free(&set);
}

static void
join_strings(const json_t *a, const char *sep, struct sb *out)
{
    size_t i;
    const json_t *e;
    json_array_foreach(a, i, e)
    {
        if (i)
            sb_add(out, sep);
        sb_add(out, json_is_string(e) ? json_string_value(e) : "");
    }
}

void
api_row_core_service(const struct api_resource *r, const json_t *svc, int64_t now, json_t *cells)
{
    (void)r;
    const json_t *spec = get(svc, "spec");
    const char *type = str_default(spec, "type", "ClusterIP"); /* SetDefaults_Service */
    const json_t *ext = arr(spec, "externalIPs");
    struct sb b = { 0 };

    cell_name(cells, svc);
    cell_str(cells, type);
    if (json_array_size(arr(spec, "clusterIPs")) > 0)
        cell_str(cells, json_string_value(json_array_get(arr(spec, "clusterIPs"), 0)));
    else /* decoding fills clusterIPs from clusterIP */
        cell_str(cells, str_default(spec, "clusterIP", "<none>"));

    if (strcmp(type, "ClusterIP") == 0 || strcmp(type, "NodePort") == 0) {
        if (json_array_size(ext) > 0)
            join_strings(ext, ",", &b);
        else
            sb_add(&b, "<none>");
    } else if (strcmp(type, "LoadBalancer") == 0) {
        struct sb lb = { 0 };
        lb_ingress(arr(svc, "status.loadBalancer.ingress"), &lb);
        if (json_array_size(ext) > 0) {
            if (lb.len > 0) {
                sb_add(&b, sb_str(&lb));
                sb_add(&b, ",");
            }
            join_strings(ext, ",", &b);
        } else {
            sb_add(&b, lb.len > 0 ? sb_str(&lb) : "<pending>");
        }
        if (lb.oom)
            b.oom = true;
        sb_free(&lb);
    } else if (strcmp(type, "ExternalName") == 0) {
        sb_add(&b, str(spec, "externalName"));
    } else {
        sb_add(&b, "<unknown>");
    }
    cell_sb(cells, &b);

    size_t i;
    const json_t *p;
    json_array_foreach(arr(spec, "ports"), i, p)
    {
        const char *proto = str_default(p, "protocol", "TCP");
        if (i)
            sb_add(&b, ",");
        if (num(p, "nodePort", 0) > 0)
            sb_addf(&b, "%lld:%lld/", num(p, "port", 0), num(p, "nodePort", 0));
        else
            sb_addf(&b, "%lld/", num(p, "port", 0));
        sb_add(&b, proto);
    }
    if (b.len == 0)
        sb_add(&b, "<none>");
    cell_sb(cells, &b);
    cell_age(cells, svc, now);
    cell_labels(cells, get(spec, "selector"));
}

/* ---- Endpoints ---- */

const struct api_column api_columns_core_endpoints[] = {
    COL_NAME,
    { "Endpoints", "string", "", D_EP_SUBSETS, 0 },
    COL_AGE,
    COL_END,
};

/* net.JoinHostPort(ip, port): brackets around hosts that contain a colon. */
static void
host_port(struct sb *b, const char *ip, long long port)
{
    if (strchr(ip, ':')) {
        sb_add(b, "[");
        sb_add(b, ip);
        sb_add(b, "]");
    } else {
        sb_add(b, ip);
    }
    sb_addf(b, ":%lld", port);
}

void
api_row_core_endpoints(const struct api_resource *r, const json_t *ep, int64_t now, json_t *cells)
{
    (void)r;
    const json_t *subsets = arr(ep, "subsets");
    struct sb b = { 0 };
    cell_name(cells, ep);
    if (json_array_size(subsets) == 0) {
        sb_add(&b, "<none>");
    } else {
        const size_t max = 3;
        size_t n = 0, total = 0, i, j, k;
        bool more = false;
        const json_t *ss, *a, *p;
        sb_add(&b, "");
        json_array_foreach(subsets, i, ss)
        {
            const json_t *addrs = arr(ss, "addresses"), *ports = arr(ss, "ports");
            if (json_array_size(ports) == 0) { /* headless services may have no ports */
                total += json_array_size(addrs);
                json_array_foreach(addrs, j, a)
                {
                    if (n == max) {
                        more = true;
                        break;
                    }
                    if (n++)
                        sb_add(&b, ",");
                    sb_add(&b, str(a, "ip"));
                }
                continue;
            }
            json_array_foreach(ports, k, p)
            {
                total += json_array_size(addrs);
                json_array_foreach(addrs, j, a)
                {
                    if (n == max) {
                        more = true;
                        break;
                    }
                    if (n++)
                        sb_add(&b, ",");
                    host_port(&b, str(a, "ip"), num(p, "port", 0));
                }
            }
        }
        if (more)
            sb_addf(&b, " + %zu more...", total - max);
    }
    cell_sb(cells, &b);
    cell_age(cells, ep, now);
}

/* ---- Node ---- */

const struct api_column api_columns_core_node[] = {
    COL_NAME,
    { "Status", "string", "", "The status of the node", 0 },
    { "Roles", "string", "", "The roles of the node", 0 },
    COL_AGE,
    { "Version", "string", "", D_NODE_KUBELET, 0 },
    { "Internal-IP", "string", "", D_NODE_ADDRESSES, 1 },
    { "External-IP", "string", "", D_NODE_ADDRESSES, 1 },
    { "OS-Image", "string", "", D_NODE_OS, 1 },
    { "Kernel-Version", "string", "", D_NODE_KERNEL, 1 },
    { "Container-Runtime", "string", "", D_NODE_CR, 1 },
    COL_END,
};

static const char *
node_address(const json_t *node, const char *type)
{
    const json_t *a = find_by(arr(node, "status.addresses"), "type", type);
    return a ? str(a, "address") : "<none>";
}

void
api_row_core_node(const struct api_resource *r, const json_t *node, int64_t now, json_t *cells)
{
    (void)r;
    struct sb b = { 0 };
    const json_t *ready = NULL, *c;
    size_t i;
    json_array_foreach(arr(node, "status.conditions"), i, c)
    {
        if (strcmp(str(c, "type"), "Ready") == 0)
            ready = c; /* a map by type: the last one wins */
    }
    if (!ready)
        sb_add(&b, "Unknown");
    else if (strcmp(str(ready, "status"), "True") == 0)
        sb_add(&b, "Ready");
    else
        sb_add(&b, "NotReady");
    if (boolean(node, "spec.unschedulable"))
        sb_add(&b, ",SchedulingDisabled");
    cell_name(cells, node);
    cell_sb(cells, &b);

    /* roles: node-role.kubernetes.io/<role> labels and the kubernetes.io/role=<role> label */
    struct strset roles = { 0 };
    const json_t *labels = get(node, "metadata.labels");
    const char *key;
    json_t *val;
    if (json_is_object(labels)) {
        json_object_foreach((json_t *)labels, key, val)
        {
            static const char prefix[] = "node-role.kubernetes.io/";
            const char *v = json_is_string(val) ? json_string_value(val) : "";
            if (strncmp(key, prefix, sizeof(prefix) - 1) == 0) {
                if (key[sizeof(prefix) - 1])
                    set_add(&roles, key + sizeof(prefix) - 1);
            } else if (strcmp(key, "kubernetes.io/role") == 0 && *v) {
                set_add(&roles, v);
            }
        }
    }
    set_join(&roles, ",", &b);
    set_free(&roles);
    if (b.len == 0)
        sb_add(&b, "<none>");
    cell_sb(cells, &b);
    cell_age(cells, node, now);
    cell_str(cells, str(node, "status.nodeInfo.kubeletVersion"));
    cell_str(cells, node_address(node, "InternalIP"));
    cell_str(cells, node_address(node, "ExternalIP"));
    cell_str(cells, str_default(node, "status.nodeInfo.osImage", "<unknown>"));
    cell_str(cells, str_default(node, "status.nodeInfo.kernelVersion", "<unknown>"));
    cell_str(cells, str_default(node, "status.nodeInfo.containerRuntimeVersion", "<unknown>"));
}

/* ---- PersistentVolume ---- */

const struct api_column api_columns_core_persistentvolume[] = {
    COL_NAME,
    { "Capacity", "string", "", D_PV_CAPACITY, 0 },
    { "Access Modes", "string", "", D_PV_ACCESS, 0 },
    { "Reclaim Policy", "string", "", D_PV_RECLAIM, 0 },
    { "Status", "string", "", D_PV_PHASE, 0 },
    { "Claim", "string", "", D_PV_CLAIMREF, 0 },
    { "StorageClass", "string", "", "StorageClass of the pv", 0 },
    { "VolumeAttributesClass", "string", "", "VolumeAttributesClass of the pv", 0 },
    { "Reason", "string", "", D_PV_REASON, 0 },
    COL_AGE,
    { "VolumeMode", "string", "", D_PV_VOLMODE, 1 },
    COL_END,
};

/* The storage class: the beta annotation first (helper.GetPersistentVolume[Claim]Class), else the field. */
static const char *
storage_class(const json_t *obj)
{
    const char *a = annotation(obj, "volume.beta.kubernetes.io/storage-class");
    return a ? a : str(obj, "spec.storageClassName");
}

void
api_row_core_persistentvolume(const struct api_resource *r, const json_t *pv, int64_t now, json_t *cells)
{
    (void)r;
    struct sb b = { 0 };
    cell_name(cells, pv);
    const json_t *cap = get(pv, "spec.capacity");
    quantity(json_is_object(cap) ? json_object_get(cap, "storage") : NULL, "0", &b);
    cell_sb(cells, &b);
    access_modes(arr(pv, "spec.accessModes"), &b);
    cell_sb(cells, &b);
    cell_str(cells, str_default(pv, "spec.persistentVolumeReclaimPolicy", "Retain")); /* SetDefaults_PV */
    cell_str(cells, deleting(pv) ? "Terminating" : str_default(pv, "status.phase", "Pending"));
    if (has(pv, "spec.claimRef")) {
        sb_add(&b, str(pv, "spec.claimRef.namespace"));
        sb_add(&b, "/");
        sb_add(&b, str(pv, "spec.claimRef.name"));
    } else {
        sb_add(&b, "");
    }
    cell_sb(cells, &b);
    cell_str(cells, storage_class(pv));
    cell_str(cells, has(pv, "spec.volumeAttributesClassName") ? str(pv, "spec.volumeAttributesClassName") : "<unset>");
    cell_str(cells, str(pv, "status.reason"));
    cell_age(cells, pv, now);
    cell_str(cells, has(pv, "spec.volumeMode") ? str(pv, "spec.volumeMode") : "Filesystem");
}

/* ---- PersistentVolumeClaim ---- */

const struct api_column api_columns_core_persistentvolumeclaim[] = {
    COL_NAME,
    { "Status", "string", "", D_PVC_PHASE, 0 },
    { "Volume", "string", "", D_PVC_VOLNAME, 0 },
    { "Capacity", "string", "", D_PVC_CAPACITY, 0 },
    { "Access Modes", "string", "", D_PVC_ACCESS, 0 },
    { "StorageClass", "string", "", "StorageClass of the pvc", 0 },
    { "VolumeAttributesClass", "string", "", "VolumeAttributesClass of the pvc", 0 },
    COL_AGE,
    { "VolumeMode", "string", "", D_PVC_VOLMODE, 1 },
    COL_END,
};

void
api_row_core_persistentvolumeclaim(const struct api_resource *r, const json_t *pvc, int64_t now, json_t *cells)
{
    (void)r;
    struct sb b = { 0 };
    const char *volume = str(pvc, "spec.volumeName");
    cell_name(cells, pvc);
    cell_str(cells, deleting(pvc) ? "Terminating" : str_default(pvc, "status.phase", "Pending"));
    cell_str(cells, volume);
    sb_add(&b, "");
    if (*volume) { /* capacity and access modes only once bound */
        const json_t *cap = get(pvc, "status.capacity");
        quantity(json_is_object(cap) ? json_object_get(cap, "storage") : NULL, "0", &b);
    }
    cell_sb(cells, &b);
    if (*volume)
        access_modes(arr(pvc, "status.accessModes"), &b);
    else
        sb_add(&b, "");
    cell_sb(cells, &b);
    const char *a = annotation(pvc, "volume.beta.kubernetes.io/storage-class");
    cell_str(cells, a ? a : str(pvc, "spec.storageClassName"));
    cell_str(cells,
             has(pvc, "spec.volumeAttributesClassName") ? str(pvc, "spec.volumeAttributesClassName") : "<unset>");
    cell_age(cells, pvc, now);
    cell_str(cells, has(pvc, "spec.volumeMode") ? str(pvc, "spec.volumeMode") : "Filesystem");
}

/* ---- ConfigMap, Secret, ServiceAccount ---- */

const struct api_column api_columns_core_configmap[] = {
    COL_NAME,
    { "Data", "string", "", D_CM_DATA, 0 },
    COL_AGE,
    COL_END,
};

void
api_row_core_configmap(const struct api_resource *r, const json_t *cm, int64_t now, json_t *cells)
{
    (void)r;
    cell_name(cells, cm);
    cell_int(cells, (long long)(count(cm, "data") + count(cm, "binaryData")));
    cell_age(cells, cm, now);
}

const struct api_column api_columns_core_secret[] = {
    COL_NAME, { "Type", "string", "", D_SECRET_TYPE, 0 }, { "Data", "string", "", D_SECRET_DATA, 0 }, COL_AGE, COL_END,
};

void
api_row_core_secret(const struct api_resource *r, const json_t *secret, int64_t now, json_t *cells)
{
    (void)r;
    cell_name(cells, secret);
    cell_str(cells, str_default(secret, "type", "Opaque")); /* SetDefaults_Secret */
    cell_int(cells, (long long)count(secret, "data"));
    cell_age(cells, secret, now);
}

const struct api_column api_columns_core_serviceaccount[] = {
    COL_NAME,
    { "Secrets", "string", "", D_SA_SECRETS, 0 },
    COL_AGE,
    COL_END,
};

void
api_row_core_serviceaccount(const struct api_resource *r, const json_t *sa, int64_t now, json_t *cells)
{
    (void)r;
    cell_name(cells, sa);
    cell_int(cells, (long long)count(sa, "secrets"));
    cell_age(cells, sa, now);
}

/* ---- Event (core/v1; events.k8s.io/v1 events are converted to the same internal type and print alike) ---- */

#define EVENT_COLUMNS                                                                                  \
    { "Last Seen", "string", "", D_EV_LAST, 0 }, { "Type", "string", "", D_EV_TYPE, 0 },               \
        { "Reason", "string", "", D_EV_REASON, 0 }, { "Object", "string", "", D_EV_INVOLVED, 0 },      \
        { "Subobject", "string", "", D_REF_FIELDPATH, 1 }, { "Source", "string", "", D_EV_SOURCE, 1 }, \
        { "Message", "string", "", D_EV_MESSAGE, 0 }, { "First Seen", "string", "", D_EV_FIRST, 1 },   \
        { "Count", "string", "", D_EV_COUNT, 1 }, { "Name", "string", "name", D_META_NAME, 1 }, COL_END

const struct api_column api_columns_core_event[] = { EVENT_COLUMNS };
const struct api_column api_columns_events_event[] = { EVENT_COLUMNS };

/* The fields printEvent reads, named for either API version. */
struct event_fields {
    const char *regarding, *message, *source, *first, *last, *count;
};

static const struct event_fields core_event = { "involvedObject", "message",       "source",
                                                "firstTimestamp", "lastTimestamp", "count" };
static const struct event_fields events_event = {
    "regarding", "note", "deprecatedSource", "deprecatedFirstTimestamp", "deprecatedLastTimestamp", "deprecatedCount"
};

/* The length of the UTF-8 space character (unicode.IsSpace) at s, or 0. */
static size_t
space_at(const unsigned char *s, size_t n)
{
    if (n >= 1 && (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')))
        return 1;
    if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
        return 2;
    if (n >= 3 && s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80) /* U+1680 */
        return 3;
    if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] <= 0x8a || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf))
        return 3;                                               /* U+2000..U+200A, U+2028, U+2029, U+202F */
    if (n >= 3 && s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f) /* U+205F */
        return 3;
    if (n >= 3 && s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80) /* U+3000 */
        return 3;
    return 0;
}

/* The length of the UTF-8 space character ending at s + n, or 0. */
static size_t
space_before(const unsigned char *s, size_t n)
{
    for (size_t k = 1; k <= 3 && k <= n; k++) {
        if (space_at(s + n - k, k) == k)
            return k;
    }
    return 0;
}

/* strings.TrimSpace */
static void
trim_space(const char *text, struct sb *out)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t n = strlen(text), k;
    while (n && (k = space_at(s, n)) > 0) {
        s += k;
        n -= k;
    }
    while (n && (k = space_before(s, n)) > 0)
        n -= k;
    sb_addn(out, (const char *)s, n);
}

/* translateMicroTimestampSince of the MicroTime at path. */
static const char *
micro_since(const json_t *ev, const char *path, int64_t now, char buf[HUMAN_BUF])
{
    struct kc_time t;
    time_at(ev, path, &t);
    return since(t, now, buf);
}

static void
event_row(const struct event_fields *f, const json_t *ev, int64_t now, json_t *cells)
{
    char first[HUMAN_BUF], last[HUMAN_BUF];
    struct kc_time t;
    struct sb b = { 0 };
    const json_t *ref = get(ev, f->regarding), *src = get(ev, f->source);

    time_at(ev, f->first, &t);
    if (time_is_zero(t))
        micro_since(ev, "eventTime", now, first);
    else
        since(t, now, first);
    time_at(ev, f->last, &t);
    if (time_is_zero(t))
        snprintf(last, sizeof(last), "%s", first);
    else
        since(t, now, last);
    long long n = num(ev, f->count, 0);
    if (has(ev, "series")) {
        micro_since(ev, "series.lastObservedTime", now, last);
        n = num(ev, "series.count", 0);
    } else if (n == 0) {
        n = 1; /* singleton events have no count in the new API */
    }

    cell_str(cells, last);
    cell_str(cells, str(ev, "type"));
    cell_str(cells, str(ev, "reason"));
    for (const char *k = str(ref, "kind"); *k; k++) {
        char c = *k >= 'A' && *k <= 'Z' ? (char)(*k - 'A' + 'a') : *k;
        sb_addn(&b, &c, 1);
    }
    if (*str(ref, "name")) {
        sb_add(&b, "/");
        sb_add(&b, str(ref, "name"));
    }
    sb_add(&b, "");
    cell_sb(cells, &b);
    cell_str(cells, str(ref, "fieldPath"));
    /* formatEventSource: the component (or reporting controller), then ", host" (or reporting instance) */
    const char *component = str_default(src, "component", str(ev, "reportingController"));
    const char *instance = str_default(src, "host", str(ev, "reportingInstance"));
    sb_add(&b, component);
    if (*instance) {
        sb_add(&b, ", ");
        sb_add(&b, instance);
    }
    cell_sb(cells, &b);
    trim_space(str(ev, f->message), &b);
    sb_add(&b, "");
    cell_sb(cells, &b);
    cell_str(cells, first);
    cell_int(cells, n);
    cell_name(cells, ev);
}

void
api_row_core_event(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells)
{
    (void)r;
    event_row(&core_event, obj, now, cells);
}

void
api_row_events_event(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells)
{
    (void)r;
    event_row(&events_event, obj, now, cells);
}

/* ==== apps/v1 ==== */

const struct api_column api_columns_apps_deployment[] = {
    COL_NAME,
    { "Ready", "string", "", "Number of the pod with ready state", 0 },
    { "Up-to-date", "string", "", D_DEP_UPDATED, 0 },
    { "Available", "string", "", D_DEP_AVAILABLE, 0 },
    COL_AGE,
    COL_CONTAINERS,
    COL_IMAGES,
    { "Selector", "string", "", D_DEP_SELECTOR, 1 },
    COL_END,
};

void
api_row_apps_deployment(const struct api_resource *r, const json_t *d, int64_t now, json_t *cells)
{
    (void)r;
    struct sb b = { 0 };
    cell_name(cells, d);
    /* spec.replicas defaults to 1 when the object is decoded */
    sb_addf(&b, "%lld/%lld", num(d, "status.readyReplicas", 0), num(d, "spec.replicas", 1));
    cell_sb(cells, &b);
    cell_int(cells, num(d, "status.updatedReplicas", 0));
    cell_int(cells, num(d, "status.availableReplicas", 0));
    cell_age(cells, d, now);
    cells_containers(cells, arr(d, "spec.template.spec.containers"));
    cell_selector(cells, get(d, "spec.selector"), "<invalid>", "");
}

const struct api_column api_columns_apps_replicaset[] = {
    COL_NAME,
    { "Desired", "integer", "", D_RS_SPEC_REPLICAS, 0 },
    { "Current", "integer", "", D_RS_ST_REPLICAS, 0 },
    { "Ready", "integer", "", D_RS_ST_READY, 0 },
    COL_AGE,
    COL_CONTAINERS,
    COL_IMAGES,
    { "Selector", "string", "", D_RS_SPEC_SELECTOR, 1 },
    COL_END,
};

void
api_row_apps_replicaset(const struct api_resource *r, const json_t *rs, int64_t now, json_t *cells)
{
    (void)r;
    cell_name(cells, rs);
    cell_int(cells, num(rs, "spec.replicas", 1));
    cell_int(cells, num(rs, "status.replicas", 0));
    cell_int(cells, num(rs, "status.readyReplicas", 0));
    cell_age(cells, rs, now);
    cells_containers(cells, arr(rs, "spec.template.spec.containers"));
    cell_selector(cells, get(rs, "spec.selector"), "<error>", "<none>");
}

const struct api_column api_columns_apps_daemonset[] = {
    COL_NAME,
    { "Desired", "integer", "", D_DS_DESIRED, 0 },
    { "Current", "integer", "", D_DS_CURRENT, 0 },
    { "Ready", "integer", "", D_DS_READY, 0 },
    { "Up-to-date", "integer", "", D_DS_UPDATED, 0 },
    { "Available", "integer", "", D_DS_AVAILABLE, 0 },
    { "Node Selector", "string", "", D_POD_NODESEL, 0 },
    COL_AGE,
    COL_CONTAINERS,
    COL_IMAGES,
    { "Selector", "string", "", D_DS_SELECTOR, 1 },
    COL_END,
};

void
api_row_apps_daemonset(const struct api_resource *r, const json_t *ds, int64_t now, json_t *cells)
{
    (void)r;
    cell_name(cells, ds);
    cell_int(cells, num(ds, "status.desiredNumberScheduled", 0));
    cell_int(cells, num(ds, "status.currentNumberScheduled", 0));
    cell_int(cells, num(ds, "status.numberReady", 0));
    cell_int(cells, num(ds, "status.updatedNumberScheduled", 0));
    cell_int(cells, num(ds, "status.numberAvailable", 0));
    cell_labels(cells, get(ds, "spec.template.spec.nodeSelector"));
    cell_age(cells, ds, now);
    cells_containers(cells, arr(ds, "spec.template.spec.containers"));
    cell_selector(cells, get(ds, "spec.selector"), "<error>", "<none>");
}

const struct api_column api_columns_apps_statefulset[] = {
    COL_NAME, { "Ready", "string", "", "Number of the pod with ready state", 0 }, COL_AGE, COL_CONTAINERS, COL_IMAGES,
    COL_END,
};

void
api_row_apps_statefulset(const struct api_resource *r, const json_t *sts, int64_t now, json_t *cells)
{
    (void)r;
    struct sb b = { 0 };
    cell_name(cells, sts);
    sb_addf(&b, "%lld/%lld", num(sts, "status.readyReplicas", 0), num(sts, "spec.replicas", 1));
    cell_sb(cells, &b);
    cell_age(cells, sts, now);
    cells_containers(cells, arr(sts, "spec.template.spec.containers"));
}

/* ==== batch/v1 ==== */

const struct api_column api_columns_batch_job[] = {
    COL_NAME,
    { "Status", "string", "", "Status of the job.", 0 },
    { "Completions", "string", "", D_JOB_SUCCEEDED, 0 },
    { "Duration", "string", "", "Time required to complete the job.", 0 },
    COL_AGE,
    COL_CONTAINERS,
    COL_IMAGES,
    { "Selector", "string", "", D_JOB_SELECTOR, 1 },
    COL_END,
};

void
api_row_batch_job(const struct api_resource *r, const json_t *job, int64_t now, json_t *cells)
{
    (void)r;
    const json_t *conds = arr(job, "status.conditions");
    long long succeeded = num(job, "status.succeeded", 0);
    struct sb b = { 0 };
    const char *status;

    if (condition_true(conds, "Complete"))
        status = "Complete";
    else if (condition_true(conds, "Failed"))
        status = "Failed";
    else if (deleting(job))
        status = "Terminating";
    else if (condition_true(conds, "Suspended"))
        status = "Suspended";
    else if (condition_true(conds, "FailureTarget"))
        status = "FailureTarget";
    else
        status = "Running";
    cell_name(cells, job);
    cell_str(cells, status);

    if (has(job, "spec.completions")) {
        sb_addf(&b, "%lld/%lld", succeeded, num(job, "spec.completions", 0));
    } else {
        long long parallelism = num(job, "spec.parallelism", 0);
        if (parallelism > 1)
            sb_addf(&b, "%lld/1 of %lld", succeeded, parallelism);
        else
            sb_addf(&b, "%lld/1", succeeded);
    }
    cell_sb(cells, &b);

    struct kc_time start, end;
    char h[HUMAN_BUF];
    if (!time_at(job, "status.startTime", &start)) {
        cell_str(cells, "");
    } else if (!time_at(job, "status.completionTime", &end)) {
        struct kc_time n = { now, 0 };
        cell_str(cells, human_duration(time_sub(n, start), h));
    } else {
        cell_str(cells, human_duration(time_sub(end, start), h));
    }
    cell_age(cells, job, now);
    cells_containers(cells, arr(job, "spec.template.spec.containers"));
    cell_selector(cells, get(job, "spec.selector"), "<error>", "<none>");
}

const struct api_column api_columns_batch_cronjob[] = {
    COL_NAME,
    { "Schedule", "string", "", D_CJ_SCHEDULE, 0 },
    { "Timezone", "string", "", D_CJ_TZ, 0 },
    { "Suspend", "boolean", "", D_CJ_SUSPEND, 0 },
    { "Active", "integer", "", D_CJ_ACTIVE, 0 },
    { "Last Schedule", "string", "", D_CJ_LAST, 0 },
    COL_AGE,
    COL_CONTAINERS,
    COL_IMAGES,
    { "Selector", "string", "", D_JOB_SELECTOR, 1 },
    COL_END,
};

void
api_row_batch_cronjob(const struct api_resource *r, const json_t *cj, int64_t now, json_t *cells)
{
    (void)r;
    cell_name(cells, cj);
    cell_str(cells, str(cj, "spec.schedule"));
    cell_str(cells, has(cj, "spec.timeZone") ? str(cj, "spec.timeZone") : "<none>");
    /* printBoolPtr; spec.suspend defaults to false when the object is decoded, so "<unset>" never shows */
    cell_str(cells, boolean(cj, "spec.suspend") ? "True" : "False");
    cell_int(cells, (long long)count(cj, "status.active"));
    if (has(cj, "status.lastScheduleTime")) {
        struct kc_time t;
        time_at(cj, "status.lastScheduleTime", &t);
        cell_since(cells, t, now);
    } else {
        cell_str(cells, "<none>");
    }
    cell_age(cells, cj, now);
    cells_containers(cells, arr(cj, "spec.jobTemplate.spec.template.spec.containers"));
    cell_selector(cells, get(cj, "spec.jobTemplate.spec.selector"), "<error>", "<none>");
}

/* ==== networking.k8s.io/v1 ==== */

const struct api_column api_columns_networking_ingress[] = {
    COL_NAME,
    { "Class", "string", "", "The name of the IngressClass resource that should be used for additional configuration",
      0 },
    { "Hosts", "string", "", "Hosts that incoming requests are matched against before the ingress rule", 0 },
    { "Address", "string", "", "Address is a list containing ingress points for the load-balancer", 0 },
    { "Ports", "string", "", "Ports of TLS configurations that open", 0 },
    COL_AGE,
    COL_END,
};

void
api_row_networking_ingress(const struct api_resource *r, const json_t *ing, int64_t now, json_t *cells)
{
    (void)r;
    struct sb b = { 0 };
    const json_t *rules = arr(ing, "spec.rules"), *rule;
    const size_t max = 3;
    size_t n = 0, i;
    bool more = false;

    cell_name(cells, ing);
    cell_str(cells, has(ing, "spec.ingressClassName") ? str(ing, "spec.ingressClassName") : "<none>");
    /* formatHosts: up to three hosts, then "+ N more..." counting every rule */
    json_array_foreach(rules, i, rule)
    {
        if (n == max)
            more = true;
        if (!more && *str(rule, "host")) {
            if (n++)
                sb_add(&b, ",");
            sb_add(&b, str(rule, "host"));
        }
    }
    if (n == 0)
        sb_add(&b, "*");
    else if (more)
        sb_addf(&b, " + %zu more...", json_array_size(rules) - max);
    cell_sb(cells, &b);
    lb_ingress(arr(ing, "status.loadBalancer.ingress"), &b);
    sb_add(&b, "");
    cell_sb(cells, &b);
    cell_str(cells, count(ing, "spec.tls") ? "80, 443" : "80");
    cell_age(cells, ing, now);
}

const struct api_column api_columns_networking_ingressclass[] = {
    COL_NAME,
    { "Controller", "string", "", "Controller that is responsible for handling this class", 0 },
    { "Parameters", "string", "", "A reference to a resource with additional parameters", 0 },
    COL_AGE,
    COL_END,
};

void
api_row_networking_ingressclass(const struct api_resource *r, const json_t *ic, int64_t now, json_t *cells)
{
    (void)r;
    struct sb b = { 0 };
    cell_name(cells, ic);
    cell_str(cells, str(ic, "spec.controller"));
    if (has(ic, "spec.parameters")) {
        sb_add(&b, str(ic, "spec.parameters.kind"));
        if (has(ic, "spec.parameters.apiGroup")) {
            sb_add(&b, ".");
            sb_add(&b, str(ic, "spec.parameters.apiGroup"));
        }
        sb_add(&b, "/");
        sb_add(&b, str(ic, "spec.parameters.name"));
    } else {
        sb_add(&b, "<none>");
    }
    cell_sb(cells, &b);
    cell_age(cells, ic, now);
}

/* ==== discovery.k8s.io/v1 ==== */

const struct api_column api_columns_discovery_endpointslice[] = {
    COL_NAME,
    { "AddressType", "string", "", D_ES_ADDRTYPE, 0 },
    { "Ports", "string", "", D_ES_PORTS, 0 },
    { "Endpoints", "string", "", D_ES_ENDPOINTS, 0 },
    COL_AGE,
    COL_END,
};

/* listWithMoreString: the items, " + N more..." past three, "<unset>" for none. */
static void
more_string(struct sb *b, bool more, size_t total, size_t max)
{
    if (more)
        sb_addf(b, " + %zu more...", total - max);
    else if (b->len == 0)
        sb_add(b, "<unset>");
}

void
api_row_discovery_endpointslice(const struct api_resource *r, const json_t *es, int64_t now, json_t *cells)
{
    (void)r;
    struct sb b = { 0 };
    const size_t max = 3;
    size_t n = 0, total = 0, i, j;
    bool more = false;
    const json_t *p, *e, *a;

    cell_name(cells, es);
    cell_str(cells, str(es, "addressType"));
    json_array_foreach(arr(es, "ports"), i, p)
    {
        if (n < max) {
            if (n++)
                sb_add(&b, ",");
            if (has(p, "port"))
                sb_addf(&b, "%lld", num(p, "port", 0));
            else if (has(p, "name"))
                sb_add(&b, str(p, "name"));
            else
                sb_add(&b, "*");
        } else if (n == max) {
            more = true;
        }
        total++;
    }
    more_string(&b, more, total, max);
    cell_sb(cells, &b);

    n = total = 0;
    more = false;
    json_array_foreach(arr(es, "endpoints"), i, e)
    {
        json_array_foreach(arr(e, "addresses"), j, a)
        {
            if (n < max) {
                if (n++)
                    sb_add(&b, ",");
                sb_add(&b, json_is_string(a) ? json_string_value(a) : "");
            } else if (n == max) {
                more = true;
            }
            total++;
        }
    }
    more_string(&b, more, total, max);
    cell_sb(cells, &b);
    cell_age(cells, es, now);
}

/* ==== coordination.k8s.io/v1 ==== */

const struct api_column api_columns_coordination_lease[] = {
    COL_NAME,
    { "Holder", "string", "", D_LEASE_HOLDER, 0 },
    COL_AGE,
    COL_END,
};

void
api_row_coordination_lease(const struct api_resource *r, const json_t *lease, int64_t now, json_t *cells)
{
    (void)r;
    cell_name(cells, lease);
    cell_str(cells, str(lease, "spec.holderIdentity"));
    cell_age(cells, lease, now);
}

/* ==== storage.k8s.io/v1 ==== */

const struct api_column api_columns_storage_storageclass[] = {
    COL_NAME,
    { "Provisioner", "string", "", D_SC_PROV, 0 },
    { "ReclaimPolicy", "string", "", D_SC_RECLAIM, 0 },
    { "VolumeBindingMode", "string", "", D_SC_BINDING, 0 },
    { "AllowVolumeExpansion", "string", "", D_SC_EXPAND, 0 },
    COL_AGE,
    COL_END,
};

void
api_row_storage_storageclass(const struct api_resource *r, const json_t *sc, int64_t now, json_t *cells)
{
    (void)r;
    struct sb b = { 0 };
    const char *d = annotation(sc, "storageclass.kubernetes.io/is-default-class");
    const char *beta = annotation(sc, "storageclass.beta.kubernetes.io/is-default-class");
    sb_add(&b, str(sc, "metadata.name"));
    if ((d && strcmp(d, "true") == 0) || (beta && strcmp(beta, "true") == 0))
        sb_add(&b, " (default)");
    cell_sb(cells, &b);
    cell_str(cells, str(sc, "provisioner"));
    cell_str(cells, has(sc, "reclaimPolicy") ? str(sc, "reclaimPolicy") : "Delete");
    cell_str(cells, has(sc, "volumeBindingMode") ? str(sc, "volumeBindingMode") : "Immediate");
    cell_bool(cells, boolean(sc, "allowVolumeExpansion"));
    cell_age(cells, sc, now);
}

/* ==== autoscaling/v2 ==== */

const struct api_column api_columns_autoscaling_horizontalpodautoscaler[] = {
    COL_NAME,
    { "Reference", "string", "", D_HPA_REF, 0 },
    { "Targets", "string", "", D_HPA_METRICS, 0 },
    { "MinPods", "string", "", D_HPA_MIN, 0 },
    { "MaxPods", "string", "", D_HPA_MAX, 0 },
    { "Replicas", "string", "", D_HPA_CURRENT, 0 },
    COL_AGE,
    COL_END,
};

/* One metric's "current/target" text, as formatHPAMetrics writes it for the metric's source type. */
static void
hpa_metric(const json_t *spec, const json_t *status, struct sb *out)
{
    const char *type = str(spec, "type");
    if (strcmp(type, "External") == 0 || strcmp(type, "Object") == 0) {
        const char *src = type[0] == 'E' ? "external" : "object";
        const json_t *ms = get(spec, src), *st = get(status, src);
        if (has(ms, "target.averageValue")) {
            if (has(st, "current.averageValue"))
                quantity(get(st, "current.averageValue"), "<nil>", out);
            else
                sb_add(out, "<unknown>");
            sb_add(out, "/");
            quantity(get(ms, "target.averageValue"), "<nil>", out);
            sb_add(out, " (avg)");
        } else {
            if (st)
                quantity(get(st, "current.value"), "<nil>", out);
            else
                sb_add(out, "<unknown>");
            sb_add(out, "/");
            quantity(get(ms, "target.value"), "<nil>", out);
        }
    } else if (strcmp(type, "Pods") == 0) {
        const json_t *st = get(status, "pods");
        if (st)
            quantity(get(st, "current.averageValue"), "<nil>", out);
        else
            sb_add(out, "<unknown>");
        sb_add(out, "/");
        quantity(get(spec, "pods.target.averageValue"), "<nil>", out);
    } else if (strcmp(type, "Resource") == 0 || strcmp(type, "ContainerResource") == 0) {
        const char *src = type[0] == 'R' ? "resource" : "containerResource";
        const json_t *ms = get(spec, src), *st = get(status, src);
        sb_add(out, str(ms, "name"));
        sb_add(out, ": ");
        if (has(ms, "target.averageValue")) {
            if (st)
                quantity(get(st, "current.averageValue"), "<nil>", out);
            else
                sb_add(out, "<unknown>");
            sb_add(out, "/");
            quantity(get(ms, "target.averageValue"), "<nil>", out);
        } else {
            if (has(st, "current.averageUtilization"))
                sb_addf(out, "%lld%%", num(st, "current.averageUtilization", 0));
            else
                sb_add(out, "<unknown>");
            sb_add(out, "/");
            if (has(ms, "target.averageUtilization"))
                sb_addf(out, "%lld%%", num(ms, "target.averageUtilization", 0));
            else
                sb_add(out, "<auto>");
        }
    } else {
        sb_add(out, "<unknown type>");
    }
}

void
api_row_autoscaling_horizontalpodautoscaler(const struct api_resource *r, const json_t *hpa, int64_t now, json_t *cells)
{
    (void)r;
    struct sb b = { 0 };
    const json_t *specs = arr(hpa, "spec.metrics"), *statuses = arr(hpa, "status.currentMetrics"), *m;
    const size_t max = 2;
    size_t i;

    cell_name(cells, hpa);
    sb_add(&b, str(hpa, "spec.scaleTargetRef.kind"));
    sb_add(&b, "/");
    sb_add(&b, str(hpa, "spec.scaleTargetRef.name"));
    cell_sb(cells, &b);

    /* formatHPAMetrics: the first two metrics, statuses matched by position, then "+ N more..." */
    if (json_array_size(specs) == 0)
        sb_add(&b, "<none>");
    json_array_foreach(specs, i, m)
    {
        if (i >= max)
            break;
        if (i)
            sb_add(&b, ", ");
        hpa_metric(m, json_array_get(statuses, i), &b);
    }
    if (json_array_size(specs) > max)
        sb_addf(&b, " + %zu more...", json_array_size(specs) - max);
    cell_sb(cells, &b);

    sb_addf(&b, "%lld", num(hpa, "spec.minReplicas", 1)); /* SetDefaults_HorizontalPodAutoscaler */
    cell_sb(cells, &b);
    cell_int(cells, num(hpa, "spec.maxReplicas", 0));
    cell_int(cells, num(hpa, "status.currentReplicas", 0));
    cell_age(cells, hpa, now);
}

/* ---- rbac.authorization.k8s.io/v1, ResourceQuota, LimitRange ---- */

/* rbacv1beta1's RoleBinding and ClusterRoleBinding roleRef docs, which upstream's printer columns quote. */
#define D_RB_ROLEREF                                                                                          \
    "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the " \
    "RoleRef cannot be resolved, the Authorizer must return an error."
#define D_CRB_ROLEREF                                                                                           \
    "RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the " \
    "Authorizer must return an error."

/* Roles, ClusterRoles and LimitRanges have no printer of their own: upstream serves them through the default
 * table convertor (legacyResourcesWithDefaultTableConvertor), whose second column is the creation time itself. */
#define DEFAULT_COLUMNS COL_NAME, { "Created At", "date", "", D_META_CTIME, 0 }, COL_END

const struct api_column api_columns_rbac_role[] = { DEFAULT_COLUMNS };
const struct api_column api_columns_rbac_clusterrole[] = { DEFAULT_COLUMNS };
const struct api_column api_columns_core_limitrange[] = { DEFAULT_COLUMNS };

/* The default convertor's row: the name and metadata.creationTimestamp in RFC 3339, UTC (Go's zero time,
 * "0001-01-01T00:00:00Z", when it is missing). */
static void
default_row(const json_t *obj, json_t *cells)
{
    struct kc_time t;
    char buf[KC_TIME_BUF];
    cell_name(cells, obj);
    time_at(obj, "metadata.creationTimestamp", &t);
    cell_str(cells, kc_time_format(t, buf));
}

void
api_row_rbac_role(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells)
{
    (void)r;
    (void)now;
    default_row(obj, cells);
}

void
api_row_rbac_clusterrole(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells)
{
    (void)r;
    (void)now;
    default_row(obj, cells);
}

void
api_row_core_limitrange(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells)
{
    (void)r;
    (void)now;
    default_row(obj, cells);
}

const struct api_column api_columns_rbac_rolebinding[] = {
    COL_NAME,
    { "Role", "string", "", D_RB_ROLEREF, 0 },
    COL_AGE,
    { "Users", "string", "", "Users in the roleBinding", 1 },
    { "Groups", "string", "", "Groups in the roleBinding", 1 },
    { "ServiceAccounts", "string", "", "ServiceAccounts in the roleBinding", 1 },
    COL_END,
};

const struct api_column api_columns_rbac_clusterrolebinding[] = {
    COL_NAME,
    { "Role", "string", "", D_CRB_ROLEREF, 0 },
    COL_AGE,
    { "Users", "string", "", "Users in the clusterRoleBinding", 1 },
    { "Groups", "string", "", "Groups in the clusterRoleBinding", 1 },
    { "ServiceAccounts", "string", "", "ServiceAccounts in the clusterRoleBinding", 1 },
    COL_END,
};

/* printRoleBinding / printClusterRoleBinding: "Kind/Name" of the role, the age, then rbac.SubjectsStrings joined
 * by ", ": users, groups and service accounts ("namespace/name"); subjects of other kinds are not shown. */
static void
binding_row(const json_t *obj, int64_t now, json_t *cells)
{
    struct sb b = { 0 };
    cell_name(cells, obj);
    sb_add(&b, str(obj, "roleRef.kind"));
    sb_add(&b, "/");
    sb_add(&b, str(obj, "roleRef.name"));
    cell_sb(cells, &b);
    cell_age(cells, obj, now);
    static const char *const kinds[] = { "User", "Group", "ServiceAccount" };
    for (size_t k = 0; k < 3; k++) {
        size_t i, n = 0;
        const json_t *s;
        json_array_foreach(arr(obj, "subjects"), i, s)
        {
            if (strcmp(str(s, "kind"), kinds[k]) != 0)
                continue;
            if (n++)
                sb_add(&b, ", ");
            if (k == 2) {
                sb_add(&b, str(s, "namespace"));
                sb_add(&b, "/");
            }
            sb_add(&b, str(s, "name"));
        }
        cell_sb(cells, &b);
    }
}

void
api_row_rbac_rolebinding(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells)
{
    (void)r;
    binding_row(obj, now, cells);
}

void
api_row_rbac_clusterrolebinding(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells)
{
    (void)r;
    binding_row(obj, now, cells);
}

/* Kubernetes 1.33 moved Age to the end (kubernetes/kubernetes#129419; 1.32 and before: Name, Age, Request,
 * Limit). */
const struct api_column api_columns_core_resourcequota[] = {
    COL_NAME,
    { "Request", "string", "", "Request represents a minimum amount of cpu/memory that a container may consume.", 0 },
    { "Limit", "string", "",
      "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the "
      "node.",
      0 },
    COL_AGE,
    COL_END,
};

static int
cmp_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* printResourceQuota: every status.hard entry in sorted order as "name: used/hard", the limits.* ones in the Limit
 * column and the rest in the Request column, each joined by ", " (a missing used value prints "0"). No controller
 * fills in the status yet, so both are empty until a client writes it. */
void
api_row_core_resourcequota(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells)
{
    (void)r;
    const json_t *hard = get(obj, "status.hard"), *used = get(obj, "status.used");
    size_t n = json_is_object(hard) ? json_object_size(hard) : 0, k = 0;
    const char **keys = n ? kc_calloc(n, sizeof(*keys)) : NULL;
    if (n && !keys)
        return;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)hard, key, v)
    {
        keys[k++] = key;
    }
    if (k > 1)
        qsort(keys, k, sizeof(*keys), cmp_key);
    struct sb req = { 0 }, lim = { 0 };
    for (size_t i = 0; i < k; i++) {
        struct sb *w = strncmp(keys[i], "limits.", 7) == 0 ? &lim : &req;
        if (w->len)
            sb_add(w, ", ");
        sb_add(w, keys[i]);
        sb_add(w, ": ");
        quantity(json_is_object(used) ? json_object_get(used, keys[i]) : NULL, "0", w);
        sb_add(w, "/");
        quantity(json_object_get(hard, keys[i]), "0", w);
    }
    free(keys);
    cell_name(cells, obj);
    cell_sb(cells, &req);
    cell_sb(cells, &lim);
    cell_age(cells, obj, now);
}
