/* api_openapi.h - the OpenAPI documents the API server publishes: v3, one per served group-version, with the
 * /openapi/v3 index and a content hash per document, and the whole v2 (Swagger 2.0) document at /openapi/v2, as JSON
 * and as gnostic's protobuf (what kubectl 1.20-1.26 read for explain, diff and client-side validation). All are
 * generated from the resource table (paths) and the kc_schema tables the server validates with (schemas), and
 * served with upstream's caching headers.
 *
 * Documents carry no description texts (the schema tables keep none), every named schema reachable from the
 * served kinds, and upstream's extensions (x-kubernetes-group-version-kind, -patch-strategy, -patch-merge-key,
 * -list-type, -list-map-keys, -map-type, -unions). Every PATCH, PUT and POST operation declares the dryRun and
 * fieldValidation query parameters, so kubectl 1.27+ leaves validation to the server and kubectl diff finds
 * server-side dry-run.
 */
#ifndef API_OPENAPI_H
#define API_OPENAPI_H

#include <jansson.h>
#include <stdbool.h>
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

/* Builds the whole OpenAPI v2 document: swagger "2.0", info {title "Kubernetes", version the server's gitVersion
 * ("v1.33.0+k8c-<version>")}, paths for every served group-version (the same operations, ids, actions, kinds and
 * parameters as the v3 documents, in v2's form: parameters with type instead of schema, the body as an in: body
 * parameter, consumes/produces/schemes on every operation), the discovery paths /api/, /apis/<group>/, /api/v1/
 * and /apis/<group>/<version>/ (not /apis/ and /version/, whose schemas the tables lack), definitions for every
 * schema reachable from them (references "#/definitions/<name>", written next to their siblings instead of in
 * allOf; IntOrString as {type: string, format: int-or-string} and Quantity as {type: string}, as upstream's v2),
 * and the BearerToken security definition. Parameters are written in each operation or path item, never as
 * "#/parameters/..." references (kubectl reads dryRun and fieldValidation from the operation itself). Returns a
 * new reference, or NULL when an allocation fails or a served kind names a schema the tables lack. Pure. */
json_t *api_openapi_v2_build(void);

/* The served v2 document: its JSON text (compact, keys sorted), the same as an openapi.v2.Document protobuf
 * (kc_gnostic_encode), and the hash of the JSON text. */
struct api_openapi_v2;

/* Builds, serialises and encodes the v2 document. *out is owned by the caller (api_openapi_v2_free; NULL is
 * accepted there). Returns 0; -ENOMEM; KC_EINVALID when the encoder refuses the document (a bug, logged). *out is
 * untouched on failure. */
int api_openapi_v2_new(struct api_openapi_v2 **out);
void api_openapi_v2_free(struct api_openapi_v2 *o);

/* The JSON text (proto false; not NUL-terminated) or the protobuf bytes (proto true) of o; *len gets the length,
 * *hash (may be NULL) the JSON text's hash, which both forms use as ETag. Valid until api_openapi_v2_free. */
const void *api_openapi_v2_get(const struct api_openapi_v2 *o, bool proto, size_t *len, const char **hash);

/* The Content-Type of the protobuf form, as kube-openapi writes it (a '.' where clients ask with '@': Go's mime
 * parser, which kubectl 1.20 runs on every Content-Type, rejects the '@'). */
#define API_OPENAPI_V2_PROTO_TYPE "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"

/* Answers GET /openapi/v2, /openapi/v3 and /openapi/v3/<group-version> on the loop thread (path without query and
 * without a trailing slash). Serves the process-wide documents, built on a worker thread on first use (v2 apart
 * from v3) and kept until exit. As upstream, every reply that can be cached carries a quoted ETag (the hash) and
 * Last-Modified (the build time; for the v3 index, now), and If-None-Match (a list, "*", weak tags) or, without
 * it, If-Modified-Since gives 304 (ETag and Vary only).
 *   v3: Content-Type application/json; for a document, Vary: Accept, 406 when Accept admits no JSON, and with
 *       ?hash=: the current hash gives Cache-Control "public, immutable" and Expires one year ahead, another hash
 *       a 301 to the current URL.
 *   v2: Vary: Accept; Accept is negotiated as kube-openapi's handler does (goautoneg: ranges by q, then concrete
 *       before wildcards; the first range that application/json, application/com.github.proto-openapi.spec.
 *       v2@v1.0+protobuf or the same with ".v1.0" matches wins; no Accept is any type, JSON); JSON is answered as
 *       application/json, protobuf as API_OPENAPI_V2_PROTO_TYPE, nothing acceptable as 406 with an empty body.
 * Other paths under /openapi/v2 or /openapi/v3 are a 404 Status, methods other than GET and HEAD a 405 Status, a
 * build that fails a 500 Status. */
void api_openapi_serve(kc_httpd_req *req, const char *path);

#endif
