/* api_test_kinds.h - the kinds as struct api_resource values built by hand, for the validation and defaulting
 * tests (which call the per-kind functions directly rather than through the resource table). */
#ifndef API_TEST_KINDS_H
#define API_TEST_KINDS_H

#include "api_kinds.h"
#include "api_res.h"

#define RES(g, v, k, p, ns, fn)                                                                            \
    {                                                                                                      \
        .group = g, .version = v, .kind = k, .plural = p, .namespaced = ns, .validate = api_validate_##fn, \
        .defaults = api_default_##fn                                                                       \
    }

static const struct api_resource R_NS = RES("", "v1", "Namespace", "namespaces", false, core_namespace);
static const struct api_resource R_POD = RES("", "v1", "Pod", "pods", true, core_pod);
static const struct api_resource R_SVC = RES("", "v1", "Service", "services", true, core_service);
static const struct api_resource R_EP = RES("", "v1", "Endpoints", "endpoints", true, core_endpoints);
static const struct api_resource R_NODE = RES("", "v1", "Node", "nodes", false, core_node);
static const struct api_resource R_PV =
    RES("", "v1", "PersistentVolume", "persistentvolumes", false, core_persistentvolume);
static const struct api_resource R_PVC =
    RES("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, core_persistentvolumeclaim);
static const struct api_resource R_CM = RES("", "v1", "ConfigMap", "configmaps", true, core_configmap);
static const struct api_resource R_SECRET = RES("", "v1", "Secret", "secrets", true, core_secret);
static const struct api_resource R_SA = RES("", "v1", "ServiceAccount", "serviceaccounts", true, core_serviceaccount);
static const struct api_resource R_EVENT = RES("", "v1", "Event", "events", true, core_event);
static const struct api_resource R_DEPLOY = RES("apps", "v1", "Deployment", "deployments", true, apps_deployment);
static const struct api_resource R_RS = RES("apps", "v1", "ReplicaSet", "replicasets", true, apps_replicaset);
static const struct api_resource R_DS = RES("apps", "v1", "DaemonSet", "daemonsets", true, apps_daemonset);
static const struct api_resource R_STS = RES("apps", "v1", "StatefulSet", "statefulsets", true, apps_statefulset);
static const struct api_resource R_JOB = RES("batch", "v1", "Job", "jobs", true, batch_job);
static const struct api_resource R_CJ = RES("batch", "v1", "CronJob", "cronjobs", true, batch_cronjob);
static const struct api_resource R_ING =
    RES("networking.k8s.io", "v1", "Ingress", "ingresses", true, networking_ingress);
static const struct api_resource R_INGC =
    RES("networking.k8s.io", "v1", "IngressClass", "ingressclasses", false, networking_ingressclass);
static const struct api_resource R_EPS =
    RES("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true, discovery_endpointslice);
static const struct api_resource R_LEASE =
    RES("coordination.k8s.io", "v1", "Lease", "leases", true, coordination_lease);
static const struct api_resource R_SC =
    RES("storage.k8s.io", "v1", "StorageClass", "storageclasses", false, storage_storageclass);
static const struct api_resource R_HPA = RES("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
                                             true, autoscaling_horizontalpodautoscaler);
static const struct api_resource R_EVV1 = RES("events.k8s.io", "v1", "Event", "events", true, events_event);

#endif
