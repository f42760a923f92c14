/* api_list.h - LIST responses (list.c) assembled from the stored bytes: plain lists, lists filtered by label and
 * field selectors, and Table lists, with limit/continue and resourceVersion as upstream; and the Table pieces
 * (table.c) they are built from. Private to the apiserver library.
 */
#ifndef API_LIST_H
#define API_LIST_H

#include "api_int.h"

/* Answers the list request rq (on a worker: it reads the store) into rep: 200 with rep->raw the list (a
 * <Kind>List, or a meta.k8s.io Table when rq->want_table), or the error Status (400 bad selectors, continue token
 * or resourceVersion; 410 compacted; 504 future revision; 500 a stored value that is not a JSON object). */
void api_list(struct api_request *rq, struct api_reply *rep);

/* The Table's columnDefinitions for r (a new JSON array). */
json_t *api_table_columns(const struct api_resource *r);

#endif
