/* kc_managed.h - metadata.managedFields and the two operations that change it, as kube-apiserver 1.33 runs them
 * (k8s.io/apimachinery managedfields over sigs.k8s.io/structured-merge-diff): Update (create, PUT, JSON/merge/
 * strategic PATCH: the manager takes the fields it changed) and Apply (server-side apply: the applied
 * configuration is merged into the live object, the manager owns exactly what it applied, fields it stopped
 * applying are removed unless someone else owns them, and changing fields another manager owns is a conflict
 * unless forced). Pure: the caller passes the time; no I/O, no globals.
 *
 * The managers
 *   Each entry is one manager, identified by (manager, operation, subresource) for appliers and by
 *   (manager, operation, apiVersion, subresource) for updaters, with its field set (kc_fieldset.h) and the time
 *   of its last change. On output entries are sorted as upstream sorts them: Apply entries first, then by time
 *   (entries without one first), manager, apiVersion, subresource. Sets never hold apiVersion, kind, metadata
 *   itself, metadata.name, namespace, creationTimestamp, selfLink, uid, clusterName, generation, managedFields
 *   or resourceVersion (upstream's stripMeta). At most 10 Update entries are kept: beyond that the oldest are
 *   merged into one "ancient-changes" entry per apiVersion (upstream's capManagers).
 *
 * Ownership: struct kc_managed is caller-allocated (kc_managed_init / kc_managed_close) and owns its entries;
 * objects passed as const json_t * are not modified; returned objects are new references.
 */
#ifndef KC_MANAGED_H
#define KC_MANAGED_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct kc_schema;
struct kc_fieldset;
struct kc_sb;

#define KC_MANAGED_MAX_UPDATERS 10                /* upstream's DefaultMaxUpdateManagers */
#define KC_MANAGED_ANCIENT      "ancient-changes" /* the manager the oldest Update entries are merged into */
#define KC_LAST_APPLIED         "kubectl.kubernetes.io/last-applied-configuration"

enum kc_managed_op {
    KC_MANAGED_UPDATE = 0,
    KC_MANAGED_APPLY,
};

struct kc_managed_entry {
    char *manager; /* the field manager ("kubectl", "kube-controller-manager"); may be "" */
    enum kc_managed_op operation;
    char *api_version;       /* "apps/v1" */
    char *subresource;       /* "" or "status", "scale" */
    char *time;              /* RFC 3339 ("2026-01-02T15:04:05Z"), or NULL when the entry has none */
    struct kc_fieldset *set; /* never NULL (empty only when decoded so; operations drop empty entries) */
};

struct kc_managed {
    struct kc_managed_entry *v;
    size_t n, cap;
};

/* What one request changes: the kind, the endpoint and the time. */
struct kc_managed_ctx {
    const struct kc_schema *schema;    /* the kind's schema (kc_schema_find); NULL: deduced from the values */
    const char *api_version;           /* the request's group/version: "v1", "apps/v1" */
    const char *subresource;           /* "" (or NULL) for the main resource, "status" */
    const struct kc_fieldset *ignored; /* fields this endpoint never tracks (upstream's reset fields, e.g.
                                          .status on the main resource); NULL: none */
    const char *now;                   /* the time stamped on entries that change, RFC 3339 */
};

/* Conflicts of an Apply, ready for a 409 Status: upstream's message ("Apply failed with 1 conflict: conflict
 * with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas"; several: "Apply failed with 2 conflicts:
 * conflicts with \"a\":\n- .spec.x\n- .spec.y") and details.causes ([{"reason":"FieldManagerConflict",
 * "message":"conflict with \"a\" using v1","field":".spec.x"}], by manager then path). */
struct kc_managed_conflicts {
    char *message;  /* malloc'ed */
    json_t *causes; /* a JSON array */
};

void kc_managed_init(struct kc_managed *m);
void kc_managed_close(struct kc_managed *m);
void kc_managed_conflicts_close(struct kc_managed_conflicts *c);

/* Whether managed_fields (an object's metadata.managedFields) asks for a reset, as upstream reads it: an empty
 * list, or a list of one empty object. Absent (NULL or JSON null) is no reset. */
bool kc_managed_is_reset(const json_t *managed_fields);

/* Decodes metadata.managedFields (an array, or NULL/null for none) into m (which must be empty). Entries with
 * the same identity: the last wins. Returns 0; KC_EINVALID with upstream's message in err when an entry is not
 * an object, its operation is not "Apply" or "Update" ("operation must be `Apply` or `Update`"), apiVersion is
 * empty ("apiVersion must not be empty"), fieldsType is missing ("missing fieldsType in managed fields entry
 * 0") or not "FieldsV1" ("invalid fieldsType \"x\" in managed fields entry 0"), or fieldsV1 does not parse
 * (m is left empty); -ENOMEM. */
int kc_managed_decode(const json_t *managed_fields, struct kc_managed *m, char *err, size_t errlen);

/* The metadata.managedFields array of m in upstream's order and field order (manager, operation, apiVersion,
 * time, fieldsType, fieldsV1, subresource). Returns 0 with a new array in *out, or -ENOMEM. */
int kc_managed_encode(const struct kc_managed *m, json_t **out);

/* The entry of (manager, op, api_version, subresource) in m, or NULL. api_version is ignored for appliers. */
struct kc_managed_entry *kc_managed_find(const struct kc_managed *m, const char *manager, enum kc_managed_op op,
                                         const char *api_version, const char *subresource);

/* An Update by manager that turned live into obj (for a create, live is kc_typed_empty_object()): fields obj
 * changes or adds move to manager's Update entry (merged with its earlier one, time ctx->now), fields it removes
 * leave every entry; nothing changed leaves the entries as they were. manager "" is recorded as "unknown".
 * Returns 0 or -ENOMEM (m is then unchanged). */
int kc_managed_update(struct kc_managed *m, const struct kc_managed_ctx *ctx, const char *manager, const json_t *live,
                      const json_t *obj);

/* A create's Update by manager: exactly what kc_managed_update(m, ctx, manager,
 * kc_typed_empty_object_shared(ctx->schema), obj) does (the same entries, sets and times), computed by one walk of
 * obj that builds manager's set directly instead of comparing obj with the empty object. m holds what the request
 * brought (decoded client-sent entries; usually nothing). Returns 0 or -ENOMEM (m is then unchanged). */
int kc_managed_create(struct kc_managed *m, const struct kc_managed_ctx *ctx, const char *manager, const json_t *obj);

/* kc_managed_create on a copy of m followed by kc_managed_encode, m unchanged: *out is the metadata.managedFields
 * array of the create (a new reference), or NULL when it has no entries. When m is empty (the request brought no
 * entries: the usual create) the one entry's FieldsV1 is written directly by the walk, with no field set built.
 * Returns 0 or -ENOMEM. */
int kc_managed_create_encode(const struct kc_managed *m, const struct kc_managed_ctx *ctx, const char *manager,
                             const json_t *obj, json_t **out);
/* kc_managed_create_encode's array as compact JSON text appended to out (what json_dumps writes for it; nothing
 * when it has no entries), for the usual create only: KC_EUNSUPPORTED when m holds entries (use
 * kc_managed_create_encode). Returns 0, KC_EUNSUPPORTED or -ENOMEM (out then as it was, or out->oom set). */
int kc_managed_create_encode_text(const struct kc_managed *m, const struct kc_managed_ctx *ctx, const char *manager,
                                  const json_t *obj, struct kc_sb *out);

/* An Apply of config by manager to live (an empty object {} when creating). On success *out is the new object
 * (a new reference: the merge of config into live with the fields manager stopped applying removed unless
 * another manager owns them; nulls are kept where upstream keeps them, see kc_typed_drop_nulls) and *changed
 * says whether it differs from live; manager's Apply entry holds exactly what config sets (minus ctx->ignored),
 * stamped ctx->now when the object changed. Fields config changes that other managers own are conflicts: with
 * force they move to manager, else nothing changes and KC_ECONFLICT is returned with *conflicts filled (the
 * caller closes it). With manager "kubectl", conflicts on fields whose live value is what the object's
 * kubectl.kubernetes.io/last-applied-configuration annotation says are allowed (upstream's upgrade path from
 * client-side apply), and an existing annotation is rewritten to config (Go's JSON of it, annotation removed,
 * plus a newline). config and live must be objects; metadata.managedFields in either is ignored (the caller
 * rejects it in config). Returns 0, KC_ECONFLICT, KC_EINVALID (not objects), -ENOMEM. */
int kc_managed_apply(struct kc_managed *m, const struct kc_managed_ctx *ctx, const char *manager, const json_t *live,
                     const json_t *config, bool force, json_t **out, bool *changed,
                     struct kc_managed_conflicts *conflicts);

#endif
