/* api_list.h - LIST responses (list.c) assembled from the stored bytes: plain lists, lists filtered by label and
 * field selectors, and Table lists, with limit/continue and resourceVersion as upstream; and the Table pieces
 * (table.c) they are built from. Private to the apiserver library.
 */
#ifndef API_LIST_H
#define API_LIST_H

#include "api_int.h"

struct api_raw_shape;

/* Answers the list request rq (on a worker: it reads the store) into rep: 200 with rep->raw the list (a
 * <Kind>List, or a meta.k8s.io Table when rq->want_table), or the error Status (400 bad selectors, continue token
 * or resourceVersion; 410 compacted; 504 future revision; 500 a stored value that is not a JSON object). */
void api_list(struct api_request *rq, struct api_reply *rep);

/* Gives the lists' shape cache the shape of bytes just written under key at mod_revision rev (only for a store
 * whose records are stable, api_obj_page.stable): a create already scans what it stores, so the next list of the
 * object need not. sh describes value (api_raw_shape's result 0). */
void api_list_shape_seed(const char *key, size_t key_len, int64_t rev, const char *value, size_t value_len,
                         const struct api_raw_shape *sh);

/* The Table's columnDefinitions for r (a new JSON array). */
json_t *api_table_columns(const struct api_resource *r);

#endif
