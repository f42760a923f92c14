/* api_openapi.h - the OpenAPI v3 documents the API server publishes: one per served group-version, generated
 * from the resource table (paths) and the kc_schema tables the server validates with (components.schemas), plus
 * the /openapi/v3 index with a content hash per document, and their HTTP serving with upstream's caching headers.
 *
 * Documents carry no description texts (the schema tables keep none), every named schema reachable from the
 * served kinds, and upstream's extensions (x-kubernetes-group-version-kind, -patch-strategy, -patch-merge-key,
 * -list-type, -list-map-keys, -map-type, -unions). Every PATCH, PUT and POST operation declares the
 * fieldValidation query parameter, so kubectl 1.27+ leaves validation to the server.
 */
#ifndef API_OPENAPI_H
#define API_OPENAPI_H

#include <jansson.h>
#include <stddef.h>

#include "kc_httpd.h"

#define API_OPENAPI_HASH_LEN 128 /* SHA-512 as upper-case hex, as kube-openapi writes its hashes */

/* The served documents, each serialised once (compact JSON, keys sorted) with its hash. */
struct api_openapi;

/* Builds the document of one group-version (group "" for the core group, e.g. ("apps", "v1")) from the resource
 * table and the schema tables. Returns a new reference (the caller decrefs), or NULL when an argument is NULL, no
 * served resource is in that group-version, an allocation fails (never a document with a member left out), or a
 * served kind names a schema the tables lack (a bug the unit tests catch). Pure: no I/O, no clock. */
json_t *api_openapi_build(const char *group, const char *version);

/* Builds and serialises every served group-version's document and the /openapi/v3 index. *out is owned by the
 * caller (api_openapi_free; NULL is accepted there). Returns 0, or -ENOMEM when a build or an allocation failed
 * (then *out is untouched). */
int api_openapi_new(struct api_openapi **out);
void api_openapi_free(struct api_openapi *o);

/* The serialised document at path: "" for the /openapi/v3 index ({"paths":{"api/v1":{"serverRelativeURL":
 * "/openapi/v3/api/v1?hash=<HASH>"},...}}), else a group-version path such as "api/v1" or "apis/apps/v1". *len
 * gets its length and *hash (may be NULL) its NUL-terminated hash; both point into o and stay valid until
 * api_openapi_free. Returns the text (not NUL-terminated) or NULL when path is not served. */
const char *api_openapi_get(const struct api_openapi *o, const char *path, size_t *len, const char **hash);

/* Answers GET /openapi/v3 and /openapi/v3/<group-version> on the loop thread (path without query and without a
 * trailing slash). Serves the process-wide documents, built on a worker thread on first use and kept until exit.
 * As upstream: Content-Type application/json, a quoted ETag (the hash), If-None-Match answered 304; for a
 * document, Vary: Accept, 406 when Accept admits no JSON, and with ?hash=: the current hash gives Cache-Control
 * "public, immutable" and Expires one year ahead, another hash a 301 to the current URL. Unknown paths are a 404
 * Status, methods other than GET and HEAD a 405 Status. */
void api_openapi_serve(kc_httpd_req *req, const char *path);

#endif
