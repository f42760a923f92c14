/* kc_patch.h - the three Kubernetes patch formats (JSON merge patch, JSON patch, strategic merge patch) and the
 * three-way strategic patch kubectl apply computes. Pure functions: no I/O, no globals, no clock; used by the API
 * server (PATCH requests) and by the CLI (client-side apply).
 *
 * Ownership: every function that changes a document takes `json_t **doc`. On success the old value is released
 * and *doc holds a new reference to the result (which may be a different json_t); on any error *doc is left
 * exactly as it was (all-or-nothing). Inputs passed as `const json_t *` are never modified and never referenced
 * by the result (values are copied).
 *
 * Errors: 0 on success; -ENOMEM when an allocation fails; otherwise a KC_E* code with a message in err (when err
 * is non-NULL and errlen > 0; always NUL-terminated, truncated to errlen). The messages are upstream's texts
 * (evanphx/json-patch v4 for JSON patch, k8s.io/apimachinery strategicpatch and mergepatch for strategic merge
 * patch), Go formatting included ("map[$patch:delete name:x]"), so logs and Status messages read like a real
 * cluster's. Which code to answer with is documented per function; the API server maps the code with
 * kc_error_http().
 *
 * Numbers: an integer (jansson integer) and a real (jansson real) are different values here even when they are
 * numerically equal (1 vs 1.0), as in the apimachinery code, which decodes JSON into int64 and float64.
 */
#ifndef KC_PATCH_H
#define KC_PATCH_H

#include <jansson.h>
#include <stddef.h>

struct kc_schema;

/* kube-apiserver's limit on the number of operations of one JSON patch (maxJSONPatchOperations). */
#define KC_PATCH_JSON_MAX_OPS 10000

/* The Status message kube-apiserver answers (422, reason Invalid) when a JSON patch fails to apply: upstream
 * wraps the json-patch error in NewGenericServerResponse(422, ...), which drops the detail. kubectl prints
 * "The request is invalid: the server rejected our request due to an error in our request". The detailed
 * reason is what kc_patch_json writes into err (for logs and for a Status cause if the server wants one). */
#define KC_PATCH_JSON_INVALID_MESSAGE "the server rejected our request due to an error in our request"

/* Applies an RFC 7386 JSON merge patch to *doc: when patch is an object, its members are merged recursively
 * into *doc (a non-object *doc is first replaced by {}); a member whose value is null removes that member;
 * any other patch value (array, string, number, true/false, null) replaces *doc entirely. Nulls inside
 * objects that the patch adds are dropped, nulls inside arrays are kept, exactly as RFC 7386 specifies.
 * (Upstream kube-apiserver uses evanphx/json-patch v4's MergePatch, which in addition drops null members of
 * objects inside arrays the patch adds, and fails on a null or scalar patch body; the API server only ever
 * passes objects.)
 * doc: in/out, *doc must not be NULL. patch: not modified.
 * Returns 0, KC_EINVALID when doc, *doc or patch is NULL, -ENOMEM. */
int kc_patch_merge(json_t **doc, const json_t *patch);

/* Applies an RFC 6902 JSON patch (an array of operations) to *doc, all-or-nothing, with the semantics of
 * gopkg.in/evanphx/json-patch.v4 as vendored by Kubernetes 1.33 (what kube-apiserver runs), which differs from
 * the RFC in a few places, all reproduced here:
 *   - "add", "remove", "replace", "move", "copy", "test"; pointers per RFC 6901 ("~1" is "/", "~0" is "~",
 *     decoded in one left-to-right pass), "-" appends to an array in "add" (and "move"/"copy" targets).
 *   - Negative array indices count from the end (-1 is the last element; for "add", -1 inserts at the end).
 *     Indices are parsed like Go's strconv.Atoi (a leading "+" or zeros are accepted).
 *   - "replace" of a missing object member adds it (only array indices are checked to exist).
 *   - A member whose value is null counts as missing for "test" (so testing a missing member against null
 *     succeeds) and as a missing parent in a path; "copy" from a missing member copies null.
 *   - A path without a leading "/" addresses the last segment only ("a/b" is the member "b" of the root).
 *   - The root (path "") can only be replaced (by an object or array) or tested; "add" of "" fails.
 *   - Unknown members of an operation are ignored; an operation without a "value" uses null.
 *   - Values compare by JSON value ("test"); upstream compares scalars by their compacted source bytes, so
 *     1e2 and 100 (or "\u0041" and "A") differ there but not here (1 and 1.0 differ in both).
 * ops: a JSON array of operation objects, or null (no operations). Not modified.
 * err: the evanphx message, e.g. `testing value /spec/replicas failed: test failed`,
 *   `add operation does not apply: doc is missing path: "/a/b": missing value`,
 *   `error in remove for path: '/x': Unable to remove nonexistent key: x: missing value`,
 *   `Unexpected kind: frobnicate`.
 * Returns 0;
 *   KC_EINVALID when an operation fails (upstream: 422 Invalid with KC_PATCH_JSON_INVALID_MESSAGE; a failed
 *     "test" is also 422, not 409), or when *doc is not an object or array;
 *   KC_EBADREQUEST when ops is not an array or an element is not an object or null (upstream: 400, the JSON
 *     decoding error, e.g. "json: cannot unmarshal object into Go value of type jsonpatch.Patch");
 *   KC_ETOOLARGE when ops has more than KC_PATCH_JSON_MAX_OPS operations (upstream: 413, message
 *     "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got N");
 *   KC_EINVALID also when doc, *doc or ops is NULL; -ENOMEM. */
int kc_patch_json(json_t **doc, const json_t *ops, char *err, size_t errlen);

/* Applies a Kubernetes strategic merge patch to *doc, as k8s.io/apimachinery/pkg/util/strategicpatch
 * StrategicMergeMapPatch does on the server (MergeParallelList and IgnoreUnmatchedNulls on), with the merge keys
 * and patch strategies of schema (x-kubernetes-patch-merge-key / x-kubernetes-patch-strategy; never the list
 * map keys). schema is the object's root schema, e.g. kc_schema_find_gvk("apps", "v1", "Deployment"); NULL
 * means no schema (everything below is merged as plain maps, lists replaced). Properties the schema does not
 * know (and values of "any" schemas) are treated the same way.
 * Semantics, as upstream:
 *   - objects merge key by key; a null value deletes the key; a value of another type replaces.
 *   - "$patch": "replace" in an object replaces the object by the patch's object (minus the directive);
 *     "$patch": "delete" in an object makes it {}; any other "$patch" value in an object being merged is an
 *     error ("unknown patch type: merge in map: map[$patch:merge]"); an object with a "$patch" that is added
 *     where the document has nothing is dropped.
 *   - lists with strategy "merge" and a merge key merge item by item on the key's value: a matching item is
 *     merged recursively, a new item is added; {"$patch": "delete", <key>: v} removes every item with key v;
 *     an item {"$patch": "replace"} makes the list exactly the patch's other items; {"$patch": "merge"} in a
 *     list is an error ("merging lists cannot yet be specified in the patch").
 *   - Order: the result keeps the patch's items in the patch's order, and interleaves the items only the
 *     document has by their old positions; items the document never had sort before document items they meet
 *     (upstream's mergeSortedSlice: patching containers [a, b] with [{"name":"c"}] gives [c, a, b]).
 *     "$setElementOrder/<list>" then fixes the order of the listed items, the other document items keep their
 *     relative positions around them (as upstream, with the document's list as Go's in-place deletions and
 *     appends left it, which decides where document-only items land when a patch both deletes and adds); the
 *     patch list must follow the order list ("The order in patch list... doesn't match $setElementOrder list")
 *     and may be absent (pure reorder). Primitive merge lists (finalizers) are unions without duplicates under
 *     the same ordering rules; "$deleteFromPrimitiveList/<list>" removes values (from any primitive list, merge
 *     strategy or not).
 *   - "$retainKeys": [...] in an object drops the document's keys not listed (every non-null key of the patch
 *     object must be listed, else "invalid patch format of retainKeys").
 *   - lists without strategy "merge" (command, args, tolerations, Ingress rules, ...) are replaced whole by
 *     the patch's list, verbatim; objects with strategy "replace" (PodDisruptionBudgetSpec.selector) likewise.
 *   - values added where the document has nothing lose their null members and "$patch" objects; other
 *     directives ("$setElementOrder/...", "$retainKeys") nested in such values, and nulls inside list items
 *     that are appended or inside replaced lists, stay in the result as upstream leaves them (upstream's typed
 *     decoding drops or reports them afterwards).
 * patch: a JSON object (null patches nothing). Not modified. Key order of patch objects is the processing
 * order where upstream's is Go's random map order (only observable for contradictory patches).
 * Returns 0;
 *   KC_EBADREQUEST for a malformed patch: a non-object patch ("json: cannot unmarshal array into Go value of
 *     type map[string]interface {}"), "invalid patch format of primitive list", "... of retainKeys",
 *     "... of setElementOrder list" (upstream 400); and for the errors upstream lets through as 500
 *     InternalError ("map: map[image:x] does not contain declared merge key: name", unknown patch types,
 *     element type mismatches, "doesn't match $setElementOrder list", ...), which are the request's fault;
 *   KC_EINVALID for "lists of lists are not supported" (upstream 422), and when *doc is not an object
 *     ("invalid JSON document");
 *   KC_EINVALID also when doc, *doc or patch is NULL; -ENOMEM. */
int kc_patch_strategic(json_t **doc, const json_t *patch, const struct kc_schema *schema, char *err, size_t errlen);

/* Computes the strategic merge patch `kubectl apply` sends (strategicpatch.CreateThreeWayMergePatch with
 * overwrite, as kubectl calls it): the changes and additions from current to modified (deletions ignored)
 * merged with the deletions from original to modified (changes ignored). Fields of original missing from
 * modified become null; keyed list items removed become {"$patch":"delete", <key>: v}; primitive merge list
 * values removed go to "$deleteFromPrimitiveList/<list>"; merge-keyed lists get "$setElementOrder/<list>" when
 * their content or order changed; objects of "retainKeys" fields (DeploymentSpec.strategy, items of
 * PodSpec.volumes) get "$retainKeys"; lists without a merge strategy are sent whole. Identical inputs give {}.
 * Dumped with sorted keys (kc_json_canonical) the result is kubectl's body byte for byte (except where Go's
 * encoder differs from jansson's: Go escapes <, > and & as \u003c, \u003e, \u0026 and prints reals in their
 * shortest form), e.g. changing a container's image: {"spec":{"template":{"spec":{"$setElementOrder/containers":
 * [{"name":"c"}],"containers":[{"image":"nginx:1.20","name":"c"}]}}}}. List orders follow upstream exactly,
 * including the order of deletions ({"$patch":"delete"} items sorted by the %v text of their key) and of
 * "$deleteFromPrimitiveList" values (sorted by their text).
 * original: the last-applied configuration (the kubectl.kubernetes.io/last-applied-configuration annotation);
 * modified: the new configuration (kubectl includes the new annotation in it); current: the live object. Each
 * may be NULL or null (treated as {}); otherwise each must be an object. None is modified.
 * kubectl's preconditions (apiVersion, kind and metadata.name unchanged) and its conflict check (only without
 * --overwrite) are the caller's business. Upstream quirks kept: an unchanged primitive merge list whose order
 * is not sorted still yields "$setElementOrder/<list>" (upstream sorts the live list in place before comparing);
 * replace-strategy objects are always sent.
 * *patch: on success a new reference the caller releases with json_decref.
 * Returns 0; KC_EINVALID when an input is not an object ("invalid JSON document"), when patch is NULL, or for
 * "lists of lists are not supported"; KC_EBADREQUEST when the inputs break the schema's merge rules (e.g. "map:
 * map[image:x] does not contain declared merge key: name", mixed element types); -ENOMEM. */
int kc_patch_strategic_create(const json_t *original, const json_t *modified, const json_t *current,
                              const struct kc_schema *schema, json_t **patch, char *err, size_t errlen);

#endif
