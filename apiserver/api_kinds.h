/* api_kinds.h - the per-kind functions the resource table (resources.c) points to: validation and
 * defaulting (validate.c, defaults.c) and Table rows and columns (tables.c). Every kind has all four; a kind
 * without checks of its own may leave its validate function empty. Column arrays end with a {NULL} column. */
#ifndef API_KINDS_H
#define API_KINDS_H

#include "api_res.h"

void api_validate_core_namespace(const struct api_resource *r, const json_t *obj, const json_t *old,
                                 struct api_errors *errs);
void api_default_core_namespace(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_core_namespace[];
void api_row_core_namespace(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_core_pod(const struct api_resource *r, const json_t *obj, const json_t *old, struct api_errors *errs);
void api_default_core_pod(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_core_pod[];
void api_row_core_pod(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_core_service(const struct api_resource *r, const json_t *obj, const json_t *old,
                               struct api_errors *errs);
void api_default_core_service(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_core_service[];
void api_row_core_service(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_core_endpoints(const struct api_resource *r, const json_t *obj, const json_t *old,
                                 struct api_errors *errs);
void api_default_core_endpoints(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_core_endpoints[];
void api_row_core_endpoints(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_core_node(const struct api_resource *r, const json_t *obj, const json_t *old,
                            struct api_errors *errs);
void api_default_core_node(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_core_node[];
void api_row_core_node(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_core_persistentvolume(const struct api_resource *r, const json_t *obj, const json_t *old,
                                        struct api_errors *errs);
void api_default_core_persistentvolume(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_core_persistentvolume[];
void api_row_core_persistentvolume(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_core_persistentvolumeclaim(const struct api_resource *r, const json_t *obj, const json_t *old,
                                             struct api_errors *errs);
void api_default_core_persistentvolumeclaim(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_core_persistentvolumeclaim[];
void api_row_core_persistentvolumeclaim(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_core_configmap(const struct api_resource *r, const json_t *obj, const json_t *old,
                                 struct api_errors *errs);
void api_default_core_configmap(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_core_configmap[];
void api_row_core_configmap(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_core_secret(const struct api_resource *r, const json_t *obj, const json_t *old,
                              struct api_errors *errs);
void api_default_core_secret(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_core_secret[];
void api_row_core_secret(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_core_serviceaccount(const struct api_resource *r, const json_t *obj, const json_t *old,
                                      struct api_errors *errs);
void api_default_core_serviceaccount(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_core_serviceaccount[];
void api_row_core_serviceaccount(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_core_event(const struct api_resource *r, const json_t *obj, const json_t *old,
                             struct api_errors *errs);
void api_default_core_event(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_core_event[];
void api_row_core_event(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_apps_deployment(const struct api_resource *r, const json_t *obj, const json_t *old,
                                  struct api_errors *errs);
void api_default_apps_deployment(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_apps_deployment[];
void api_row_apps_deployment(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_apps_replicaset(const struct api_resource *r, const json_t *obj, const json_t *old,
                                  struct api_errors *errs);
void api_default_apps_replicaset(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_apps_replicaset[];
void api_row_apps_replicaset(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_apps_daemonset(const struct api_resource *r, const json_t *obj, const json_t *old,
                                 struct api_errors *errs);
void api_default_apps_daemonset(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_apps_daemonset[];
void api_row_apps_daemonset(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_apps_statefulset(const struct api_resource *r, const json_t *obj, const json_t *old,
                                   struct api_errors *errs);
void api_default_apps_statefulset(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_apps_statefulset[];
void api_row_apps_statefulset(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_batch_job(const struct api_resource *r, const json_t *obj, const json_t *old,
                            struct api_errors *errs);
void api_default_batch_job(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_batch_job[];
void api_row_batch_job(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_batch_cronjob(const struct api_resource *r, const json_t *obj, const json_t *old,
                                struct api_errors *errs);
void api_default_batch_cronjob(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_batch_cronjob[];
void api_row_batch_cronjob(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_networking_ingress(const struct api_resource *r, const json_t *obj, const json_t *old,
                                     struct api_errors *errs);
void api_default_networking_ingress(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_networking_ingress[];
void api_row_networking_ingress(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_networking_ingressclass(const struct api_resource *r, const json_t *obj, const json_t *old,
                                          struct api_errors *errs);
void api_default_networking_ingressclass(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_networking_ingressclass[];
void api_row_networking_ingressclass(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_discovery_endpointslice(const struct api_resource *r, const json_t *obj, const json_t *old,
                                          struct api_errors *errs);
void api_default_discovery_endpointslice(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_discovery_endpointslice[];
void api_row_discovery_endpointslice(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_coordination_lease(const struct api_resource *r, const json_t *obj, const json_t *old,
                                     struct api_errors *errs);
void api_default_coordination_lease(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_coordination_lease[];
void api_row_coordination_lease(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_storage_storageclass(const struct api_resource *r, const json_t *obj, const json_t *old,
                                       struct api_errors *errs);
void api_default_storage_storageclass(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_storage_storageclass[];
void api_row_storage_storageclass(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_autoscaling_horizontalpodautoscaler(const struct api_resource *r, const json_t *obj,
                                                      const json_t *old, struct api_errors *errs);
void api_default_autoscaling_horizontalpodautoscaler(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_autoscaling_horizontalpodautoscaler[];
void api_row_autoscaling_horizontalpodautoscaler(const struct api_resource *r, const json_t *obj, int64_t now,
                                                 json_t *cells);

void api_validate_events_event(const struct api_resource *r, const json_t *obj, const json_t *old,
                               struct api_errors *errs);
void api_default_events_event(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_events_event[];
void api_row_events_event(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

/* rbac.authorization.k8s.io/v1 */

void api_validate_rbac_role(const struct api_resource *r, const json_t *obj, const json_t *old,
                            struct api_errors *errs);
void api_default_rbac_role(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_rbac_role[];
void api_row_rbac_role(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_rbac_clusterrole(const struct api_resource *r, const json_t *obj, const json_t *old,
                                   struct api_errors *errs);
void api_default_rbac_clusterrole(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_rbac_clusterrole[];
void api_row_rbac_clusterrole(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_rbac_rolebinding(const struct api_resource *r, const json_t *obj, const json_t *old,
                                   struct api_errors *errs);
void api_default_rbac_rolebinding(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_rbac_rolebinding[];
void api_row_rbac_rolebinding(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_rbac_clusterrolebinding(const struct api_resource *r, const json_t *obj, const json_t *old,
                                          struct api_errors *errs);
void api_default_rbac_clusterrolebinding(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_rbac_clusterrolebinding[];
void api_row_rbac_clusterrolebinding(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

/* core/v1, served after the others */

void api_validate_core_resourcequota(const struct api_resource *r, const json_t *obj, const json_t *old,
                                     struct api_errors *errs);
void api_default_core_resourcequota(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_core_resourcequota[];
void api_row_core_resourcequota(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

void api_validate_core_limitrange(const struct api_resource *r, const json_t *obj, const json_t *old,
                                  struct api_errors *errs);
void api_default_core_limitrange(const struct api_resource *r, json_t *obj);
extern const struct api_column api_columns_core_limitrange[];
void api_row_core_limitrange(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

#endif
