/* api_discovery.h - what the API server serves and how it is announced: the served resources (the resource table
 * plus the create-only review kinds) and aggregated discovery (apidiscovery.k8s.io v2 and v2beta1
 * APIGroupDiscoveryList for /api and /apis, chosen by the Accept header). The legacy documents are
 * api_discovery() in api_int.h; both come from the same rows (apiserver/discovery.c).
 */
#ifndef API_DISCOVERY_H
#define API_DISCOVERY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "api_res.h"
#include "kc_httpd.h"

/* The i-th served resource: the rows of api_resources, then those of api_review_resources (api_authz.h); NULL
 * past the last. Discovery and OpenAPI iterate this, so a kind is announced exactly when it is served. */
const struct api_resource *api_served_at(size_t i);

/* Whether any served resource is in (group, version); group "" is the core group. */
bool api_gv_served(const char *group, const char *version);

/* Which discovery form an Accept header asks for, as upstream negotiates /api and /apis: the media ranges in
 * order of their q values (stable), the first that this server can produce wins. */
enum api_discovery_form {
    API_DISCOVERY_LEGACY =
        0,                /* application/json, any type, no Accept, or nothing acceptable: APIVersions/APIGroupList */
    API_DISCOVERY_V2 = 1, /* application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList */
    API_DISCOVERY_V2BETA1 = 2, /* the same with v=v2beta1 */
};
enum api_discovery_form api_discovery_negotiate(const char *accept);

/* The APIGroupDiscoveryList for "/api" (the core group) or "/apis" (every other group), in apiVersion
 * apidiscovery.k8s.io/v2 or v2beta1 (form V2 or V2BETA1). Returns a new reference, or NULL for another path, form
 * LEGACY, or on allocation failure. Pure. */
json_t *api_discovery_aggregated_doc(const char *path, enum api_discovery_form form);

/* Answers /api and /apis on the loop thread when the request's Accept asks for aggregated discovery: 200 with
 * Content-Type echoing the chosen media type (application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList),
 * ETag (quoted SHA-512 of the document), Vary: Accept, Cache-Control: public, and 304 when If-None-Match carries
 * the ETag. Returns false, replying nothing, for other paths or when the legacy form is asked for. */
bool api_discovery_aggregated(kc_httpd_req *req, const char *path);

#endif
