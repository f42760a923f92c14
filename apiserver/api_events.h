/* api_events.h - the Event kind in its two served versions: core/v1 is the form stored at
 * /registry/events/<ns>/<name>, events.k8s.io/v1 is converted from and to it (upstream's field mapping), and the
 * fields a field selector reads of either (upstream's ToSelectableFields). Pure code. Private to the apiserver.
 */
#ifndef API_EVENTS_H
#define API_EVENTS_H

#include <jansson.h>

/* events.k8s.io/v1 -> core/v1: note -> message, regarding -> involvedObject, deprecatedSource -> source,
 * deprecatedFirstTimestamp -> firstTimestamp, deprecatedLastTimestamp -> lastTimestamp, deprecatedCount ->
 * count, reportingController -> reportingComponent, apiVersion "v1"; metadata, eventTime, series, related,
 * action, reason, type, reportingInstance and unknown members as they are, in their order; members that are core
 * names of mapped fields (unknown to events.k8s.io, which would drop them) are dropped. api_event_from_core is the
 * reverse. Both return a new object sharing the member values with ev (treat it as read-only where ev is
 * shared), or NULL when ev is not an object or memory is short. */
json_t *api_event_to_core(const json_t *ev);
json_t *api_event_from_core(const json_t *ev);

/* The selectable fields of an Event as a small object that field selector paths read: metadata.name,
 * metadata.namespace, reason, type, and for core/v1 involvedObject.{kind,namespace,name,uid,apiVersion,
 * resourceVersion,fieldPath}, reportingComponent, source (source.component, or reportingComponent when that is
 * empty); for events.k8s.io/v1 regarding.* , reportingController, source (deprecatedSource.component, or
 * reportingController). NULL when obj is not an Event of either version (kind and apiVersion decide) or memory
 * is short. A new reference. */
json_t *api_event_fields(const json_t *obj);

#endif
