/* table.c - meta.k8s.io Table responses (kubectl get): column definitions from the kind's table row, one row
 * per object with its cells and a PartialObjectMetadata. */
#include "api_list.h"
#include "kc_time.h"

#include <string.h>

static json_t *
partial_meta(const json_t *obj, const char *table_version)
{
    char av[32];
    snprintf(av, sizeof(av), "meta.k8s.io/%s", table_version);
    json_t *meta = json_deep_copy(json_object_get(obj, "metadata"));
    if (!meta)
        meta = json_object();
    json_object_del(meta, "managedFields");
    return json_pack("{s:s,s:s,s:o}", "kind", "PartialObjectMetadata", "apiVersion", av, "metadata", meta);
}

json_t *
api_table_columns(const struct api_resource *r)
{
    json_t *cols = json_array();
    for (const struct api_column *c = r->columns; c && c->name; c++)
        json_array_append_new(cols, json_pack("{s:s,s:s,s:s,s:s,s:i}", "name", c->name, "type", c->type, "format",
                                              c->format ? c->format : "", "description",
                                              c->description ? c->description : "", "priority", c->priority));
    return cols;
}

json_t *
api_table(const struct api_request *rq, const json_t *items, bool single, const json_t *list_meta, bool include_columns)
{
    const struct api_resource *r = rq->res;
    const char *tv = rq->table_version ? rq->table_version : "v1";
    char av[32];
    snprintf(av, sizeof(av), "meta.k8s.io/%s", tv);
    int64_t now = kc_time_now().sec;
    json_t *rows = json_array();
    size_t i;
    json_t *obj;
    json_array_foreach(items, i, obj)
    {
        json_t *cells = json_array();
        if (r->row)
            r->row(r, obj, now, cells);
        json_t *row = json_pack("{s:o}", "cells", cells);
        if (rq->include_object == API_INCLUDE_OBJECT) /* the whole object (kubectl --sort-by asks for it) */
            json_object_set_new(row, "object", json_deep_copy(obj));
        else if (rq->include_object != API_INCLUDE_NONE)
            json_object_set_new(row, "object", partial_meta(obj, tv));
        json_array_append_new(rows, row);
    }
    json_t *meta = list_meta ? json_deep_copy(list_meta) : json_object();
    if (single && !json_object_get(meta, "resourceVersion")) {
        const char *rv = json_string_value(
            json_object_get(json_object_get(json_array_get(items, 0), "metadata"), "resourceVersion"));
        if (rv)
            json_object_set_new(meta, "resourceVersion", json_string(rv));
    }
    json_t *t = json_pack("{s:s,s:s,s:o}", "kind", "Table", "apiVersion", av, "metadata", meta);
    json_object_set_new(t, "columnDefinitions", include_columns ? api_table_columns(r) : json_null());
    json_object_set_new(t, "rows", rows);
    return t;
}
