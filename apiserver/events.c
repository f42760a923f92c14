/* events.c - the Event in its two versions (api_events.h): conversion between core/v1 (stored) and
 * events.k8s.io/v1 by renaming members, the storage map that makes store.c store both at /registry/events/, and
 * the selectable fields of either version. */
#include "api_events.h"
#include "api_store.h"
#include "kc_json.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* upstream's Convert_v1_Event_To_core_Event / Convert_core_Event_To_v1_Event, as member names */
static const struct {
    const char *v1, *core;
} renames[] = {
    { "note", "message" },
    { "regarding", "involvedObject" },
    { "deprecatedSource", "source" },
    { "deprecatedFirstTimestamp", "firstTimestamp" },
    { "deprecatedLastTimestamp", "lastTimestamp" },
    { "deprecatedCount", "count" },
    { "reportingController", "reportingComponent" },
};
#define NRENAMES (sizeof(renames) / sizeof(renames[0]))

static json_t *
convert(const json_t *ev, bool to_core)
{
    if (!json_is_object(ev))
        return NULL;
    json_t *out = json_object();
    if (!out)
        return NULL;
    const char *k;
    json_t *v;
    int rc = 0;
    json_object_foreach((json_t *)ev, k, v)
    {
        const char *name = k;
        if (strcmp(k, "apiVersion") == 0) {
            rc |= json_object_set_new(out, k, json_string(to_core ? "v1" : "events.k8s.io/v1"));
            continue;
        }
        bool drop = false;
        for (size_t i = 0; i < NRENAMES; i++) {
            const char *from = to_core ? renames[i].v1 : renames[i].core;
            const char *other = to_core ? renames[i].core : renames[i].v1;
            if (strcmp(k, from) == 0)
                name = other;
            else if (strcmp(k, other) == 0)
                drop = true; /* the other version's name: not a field of this one */
        }
        if (!drop)
            rc |= json_object_set(out, name, v);
    }
    if (rc != 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *
api_event_to_core(const json_t *ev)
{
    return convert(ev, true);
}

json_t *
api_event_from_core(const json_t *ev)
{
    return convert(ev, false);
}

static json_t *
to_core_stored(const json_t *obj)
{
    return api_event_to_core(obj);
}

static json_t *
from_core_stored(const json_t *obj)
{
    return api_event_from_core(obj);
}

static const struct api_storage_map maps[] = {
    { "/registry/events.k8s.io/events/", "/registry/events/", to_core_stored, from_core_stored },
};

const struct api_storage_map *
api_storage_map_find(const char *key)
{
    for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
        if (strncmp(key, maps[i].served, strlen(maps[i].served)) == 0)
            return &maps[i];
    return NULL;
}

/* Copies obj's value at path into f at path (nothing when absent). */
static int
copy(json_t *f, const json_t *obj, const char *path)
{
    json_t *v = kc_json_get(obj, path);
    return v ? kc_json_set(f, path, json_incref(v)) : 0;
}

json_t *
api_event_fields(const json_t *obj)
{
    const char *kind = kc_json_get_string(obj, "kind"), *av = kc_json_get_string(obj, "apiVersion");
    if (!kind || strcmp(kind, "Event") != 0 || !av)
        return NULL;
    bool core = strcmp(av, "v1") == 0;
    if (!core && strcmp(av, "events.k8s.io/v1") != 0)
        return NULL;
    static const char *const refs[] = {
        "kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"
    };
    const char *ref = core ? "involvedObject" : "regarding";
    const char *reporter = core ? "reportingComponent" : "reportingController";
    json_t *f = json_object();
    if (!f)
        return NULL;
    int rc = copy(f, obj, "metadata.name") | copy(f, obj, "metadata.namespace") | copy(f, obj, "reason") |
             copy(f, obj, "type") | copy(f, obj, reporter);
    for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
        char path[64];
        snprintf(path, sizeof(path), "%s.%s", ref, refs[i]);
        rc |= copy(f, obj, path);
    }
    /* source: the component of the (deprecated) source, else the reporting controller, as upstream */
    const char *src = kc_json_get_string(obj, core ? "source.component" : "deprecatedSource.component");
    if (!src || !*src)
        src = kc_json_get_string(obj, reporter);
    if (src)
        rc |= json_object_set_new(f, "source", json_string(src));
    if (rc != 0) {
        json_decref(f);
        return NULL;
    }
    return f;
}
