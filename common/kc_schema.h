/* kc_schema.h - the Kubernetes 1.33 API schema as static tables: every schema of the OpenAPI v3 documents
 * (types, required fields, group-version-kinds, patch and list semantics, real defaults) and lookups by name,
 * by group/version/kind, by property and by dotted field path. Tables are generated; see below.
 *
 * Where the data comes from
 *   scripts/gen-k8s-schema.py reads the OpenAPI v3 documents of Kubernetes 1.33 (../shared/k8s-openapi/v3: the
 *   15 group-version documents such as api/v1 and apis/apps/v1, plus the 3 discovery index documents api,
 *   apis/apps, apis/batch) and writes common/k8s_schema_gen.c and common/k8s_schema_gen.h. Schemas are
 *   deduplicated by full name across documents (the generator fails if two documents disagree); every schema
 *   of every document's components.schemas is kept. That is everything reachable from the kinds (schemas with
 *   x-kubernetes-group-version-kind) plus meta.v1.Patch, which only PATCH request bodies reference.
 *   Description texts are not kept. Regenerate with `/usr/bin/python3 scripts/gen-k8s-schema.py`; `--check`
 *   fails when the committed files differ from what the documents give.
 *
 * Model
 *   Every value has a schema (struct kc_schema). Named schemas are the documents' components.schemas
 *   ("io.k8s.api.core.v1.PodSpec"). The inline types of properties (string, int32 integer, array of Container,
 *   map of Quantity, ...) are anonymous schemas (name NULL), shared by all properties of the same shape. So a
 *   property always points to a schema, an array schema to its item schema and a map schema to its value
 *   schema, through `elem`.
 *
 * Defaults
 *   A property's `default_json` is set only when the spec's "default" is a real value. The documents also write
 *   "default" to restate Go zero values: "" on strings, 0 on integers, false on booleans, {} on referenced
 *   structs and on array items. Those (any default equal to "", 0, false, {}, [] or null) are dropped. In 1.33
 *   18 properties keep one: ContainerPort.protocol and ServicePort.protocol "TCP",
 *   ReplicationControllerSpec.replicas 1, and 15 settings of the RBD, ScaleIO, AzureDisk and iSCSI volume
 *   sources. Most server-side defaulting (imagePullPolicy, restartPolicy, ...) is not in the spec at all.
 *
 * Property order is the documents' order, which is sorted by name (byte order; the documents are written with
 * sorted keys), so iterating props[0..nprops) gives the OpenAPI/explain order and lookups binary-search the same
 * array. Named schemas are sorted by name the same way.
 *
 * All tables are static const data: nothing is allocated, nothing to initialise or free, safe from any thread.
 * Every pointer returned stays valid for the life of the process.
 */
#ifndef KC_SCHEMA_H
#define KC_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a value is, for validation and for walking. Derived from the OpenAPI type, format and shape. */
enum kc_schema_type {
    KC_SCHEMA_OBJECT = 1,    /* a struct: a JSON object whose fields are the listed properties */
    KC_SCHEMA_MAP,           /* a JSON object with arbitrary keys; every value is of schema elem */
    KC_SCHEMA_ARRAY,         /* a JSON array; every item is of schema elem */
    KC_SCHEMA_STRING,        /* a string */
    KC_SCHEMA_BYTES,         /* a string holding base64 (format "byte"; Secret.data values, []byte fields) */
    KC_SCHEMA_INTEGER,       /* an integer; format is int32, int64 or none */
    KC_SCHEMA_NUMBER,        /* a number (not used by the 1.33 documents outside Quantity) */
    KC_SCHEMA_BOOLEAN,       /* true or false */
    KC_SCHEMA_INT_OR_STRING, /* intstr.IntOrString: an integer or a string (format "int-or-string") */
    KC_SCHEMA_QUANTITY,      /* resource.Quantity: a string or a number ("100m", "1Gi", 2) */
    KC_SCHEMA_TIME,          /* meta.v1.Time: an RFC 3339 date-time string, second precision */
    KC_SCHEMA_MICROTIME,     /* meta.v1.MicroTime: an RFC 3339 date-time string, microsecond precision */
    KC_SCHEMA_ANY,           /* any JSON: runtime.RawExtension, meta.v1.FieldsV1, meta.v1.Patch (objects without
                                declared properties) and anything with x-kubernetes-preserve-unknown-fields */
};

/* The OpenAPI "type" keyword as written in the document (for re-emitting documents). */
enum kc_schema_oa_type {
    KC_SCHEMA_OA_NONE = 0, /* no "type" (Quantity and IntOrString use oneOf instead) */
    KC_SCHEMA_OA_OBJECT,
    KC_SCHEMA_OA_ARRAY,
    KC_SCHEMA_OA_STRING,
    KC_SCHEMA_OA_INTEGER,
    KC_SCHEMA_OA_NUMBER,
    KC_SCHEMA_OA_BOOLEAN,
};

/* The OpenAPI "format" keyword. */
enum kc_schema_format {
    KC_SCHEMA_FMT_NONE = 0,
    KC_SCHEMA_FMT_INT32,
    KC_SCHEMA_FMT_INT64,
    KC_SCHEMA_FMT_BYTE,          /* base64 string */
    KC_SCHEMA_FMT_DATE_TIME,     /* Time, MicroTime */
    KC_SCHEMA_FMT_INT_OR_STRING, /* IntOrString */
};

/* x-kubernetes-patch-strategy, as bits: "merge" = MERGE, "merge,retainKeys" = MERGE|RETAIN_KEYS, "retainKeys"
 * (DeploymentSpec.strategy) = RETAIN_KEYS, "replace" (PodDisruptionBudgetSpec.selector) = REPLACE. 0 = not
 * stated: strategic merge patch then replaces lists whole and merges structs field by field. */
enum kc_schema_patch_strategy {
    KC_SCHEMA_PATCH_MERGE = 1 << 0,
    KC_SCHEMA_PATCH_RETAIN_KEYS = 1 << 1,
    KC_SCHEMA_PATCH_REPLACE = 1 << 2,
};

/* x-kubernetes-list-type (server-side apply's view of a list). NONE = not stated, which server-side apply
 * treats as atomic. It can disagree with the patch strategy: JobStatus.conditions and PodStatus.hostIPs are
 * "atomic" lists that strategic merge patch still merges by key. */
enum kc_schema_list_type {
    KC_SCHEMA_LIST_NONE = 0,
    KC_SCHEMA_LIST_ATOMIC,
    KC_SCHEMA_LIST_SET,
    KC_SCHEMA_LIST_MAP, /* keyed by list_map_keys */
};

/* x-kubernetes-map-type. Set on schemas (ObjectReference, LabelSelector, ... are atomic) and on a few
 * properties (maps, and PersistentVolumeSpec.claimRef, which is granular although ObjectReference is atomic). */
enum kc_schema_map_type {
    KC_SCHEMA_MAPTYPE_NONE = 0,
    KC_SCHEMA_MAPTYPE_ATOMIC,
    KC_SCHEMA_MAPTYPE_GRANULAR,
};

/* Property flags. */
enum kc_schema_prop_flag {
    KC_SCHEMA_PROP_REQUIRED = 1 << 0, /* named in the owning schema's "required" list */
};

/* Schema flags. */
enum kc_schema_flag {
    KC_SCHEMA_F_PRESERVE_UNKNOWN = 1 << 0, /* x-kubernetes-preserve-unknown-fields: true (none in 1.33) */
};

struct kc_schema;

/* One property of an object schema. */
struct kc_schema_prop {
    const char *name;                 /* the JSON field name */
    const struct kc_schema *schema;   /* the value's schema; never NULL */
    const char *merge_key;            /* x-kubernetes-patch-merge-key, or NULL */
    const char *const *list_map_keys; /* x-kubernetes-list-map-keys in spec order (nlist_map_keys), or NULL */
    const char *default_json;         /* the real spec default as compact JSON text ("\"TCP\"", "1"), or NULL;
                                         zero-value restatements are dropped (see the top of this file) */
    uint8_t nlist_map_keys;           /* entries in list_map_keys */
    uint8_t patch_strategy;           /* KC_SCHEMA_PATCH_* bits; 0 = not stated */
    uint8_t list_type;                /* enum kc_schema_list_type */
    uint8_t map_type;                 /* enum kc_schema_map_type stated on the property itself; see
                                         kc_schema_prop_map_type() for the effective one */
    uint8_t flags;                    /* KC_SCHEMA_PROP_* bits */
};

/* One x-kubernetes-group-version-kind entry. group is "" for the core group. */
struct kc_schema_gvk {
    const char *group;
    const char *version;
    const char *kind;
    const struct kc_schema *schema; /* the schema that carries it */
};

/* One member of an x-kubernetes-unions entry: field `field` is set when the discriminator has `value`. */
struct kc_schema_union_field {
    const char *field;
    const char *value;
};

/* One x-kubernetes-unions entry (AppArmorProfile, SeccompProfile). */
struct kc_schema_union {
    const char *discriminator;                  /* the discriminator field ("type") */
    const struct kc_schema_union_field *fields; /* fields-to-discriminateBy, sorted by field */
    size_t nfields;
};

/* A schema: named (components.schemas) or anonymous (an inline property type). */
struct kc_schema {
    const char *name;                     /* full name ("io.k8s.api.core.v1.PodSpec"), NULL when anonymous */
    const struct kc_schema *elem;         /* ARRAY: the item schema; MAP: the value schema; else NULL */
    const struct kc_schema_prop *props;   /* OBJECT: the properties sorted by name (nprops); else NULL */
    const char *const *required;          /* the "required" list in spec order (nrequired), or NULL */
    const struct kc_schema_gvk *gvks;     /* x-kubernetes-group-version-kind in spec order (ngvks), or NULL */
    const struct kc_schema_union *unions; /* x-kubernetes-unions (nunions), or NULL */
    uint16_t nprops;
    uint8_t nrequired;
    uint8_t ngvks; /* DeleteOptions and WatchEvent carry 62 each */
    uint8_t nunions;
    uint8_t type;     /* enum kc_schema_type */
    uint8_t oa_type;  /* enum kc_schema_oa_type */
    uint8_t format;   /* enum kc_schema_format */
    uint8_t map_type; /* enum kc_schema_map_type */
    uint8_t flags;    /* KC_SCHEMA_F_* bits */
};

/* One OpenAPI v3 document: which named schemas its components.schemas holds. */
struct kc_schema_doc {
    const char *path;                       /* the path under /openapi/v3/: "api/v1", "apis/apps/v1", "api",
                                               "apis/apps" */
    const char *group;                      /* "" for api/v1, "apps" for apis/apps/v1 and apis/apps; NULL for api */
    const char *version;                    /* "v1", or NULL for the index documents api, apis/apps, apis/batch */
    const struct kc_schema *const *schemas; /* the document's schemas, sorted by name (nschemas) */
    size_t nschemas;
};

/* The named schema called name (e.g. "io.k8s.api.core.v1.PodSpec"), or NULL when there is none (or name is
 * NULL). Binary search. */
const struct kc_schema *kc_schema_find(const char *name);

/* The schema whose x-kubernetes-group-version-kind includes (group, version, kind), or NULL. group is "" for
 * the core group; matching is exact and case-sensitive. Meta kinds are found under every group that lists
 * them: ("apps", "v1", "DeleteOptions") gives meta.v1.DeleteOptions, ("autoscaling", "v1", "Scale") gives
 * autoscaling.v1.Scale. NULL arguments give NULL. Binary search. */
const struct kc_schema *kc_schema_find_gvk(const char *group, const char *version, const char *kind);

#define KC_SCHEMA_PROP_NAME_MAX 256 /* every property name is shorter (test_schema checks) */

/* The property called name of schema s, or NULL when s is NULL, not an OBJECT, or has no such property. The
 * _n form takes a length-delimited name. Binary search over s->props. */
const struct kc_schema_prop *kc_schema_prop_find(const struct kc_schema *s, const char *name);
const struct kc_schema_prop *kc_schema_prop_findn(const struct kc_schema *s, const char *name, size_t len);
/* kc_schema_prop_find over props[*from, nprops) of an OBJECT s: *from becomes the index after name's place, so a
 * caller looking up names in ascending order searches what is left only. */
const struct kc_schema_prop *kc_schema_prop_find_from(const struct kc_schema *s, const char *name, size_t *from);

/* Walks the dotted field path from schema root (usually a kind's schema). Grammar:
 *     path    ::= "" | segment ("." segment)*
 *     segment ::= name ("[]")*            name: one or more characters other than '.', '[' and ']'
 * A name selects a property of the current OBJECT schema. When the current schema is an ARRAY or MAP, a name
 * first steps into its items/values (as kubectl explain does), so "spec.containers.ports" and
 * "spec.containers[].ports" are the same path. "[]" steps explicitly into the items of an ARRAY or the values
 * of a MAP: "spec.containers" ends on the array, "spec.containers[]" on Container.
 * On success *out_schema is the schema reached (root for the empty path) and *out_prop the property of the
 * last name (NULL for the empty path), so the patch code can read the list's merge key and strategy from
 * *out_prop. Either out-parameter may be NULL; both are written only on success.
 * Returns 0; KC_ENOTFOUND when a property does not exist or "[]"/a name is applied to a schema that has no
 * items or properties; KC_EINVALID when root or path is NULL or the path is malformed (empty segment, leading
 * or trailing '.', a '[' not followed by "]", text after "[]"). */
int kc_schema_walk(const struct kc_schema *root, const char *path, const struct kc_schema **out_schema,
                   const struct kc_schema_prop **out_prop);

/* kc_schema_walk from the schema of (group, version, kind). Returns KC_ENOTFOUND also when the kind is
 * unknown, KC_EINVALID when an argument is NULL. */
int kc_schema_walk_gvk(const char *group, const char *version, const char *kind, const char *path,
                       const struct kc_schema **out_schema, const struct kc_schema_prop **out_prop);

/* The effective x-kubernetes-map-type of property p: the property's own when stated, else that of its schema
 * (KC_SCHEMA_MAPTYPE_NONE when neither states one, or p is NULL). */
enum kc_schema_map_type kc_schema_prop_map_type(const struct kc_schema_prop *p);

/* True when p is in its schema's required list (p may be NULL: false). */
bool kc_schema_prop_required(const struct kc_schema_prop *p);

/* The last dotted component of a named schema's name ("PodSpec" for "io.k8s.api.core.v1.PodSpec"), as kubectl
 * explain prints type names; NULL for an anonymous schema or NULL s. Points into the name. */
const char *kc_schema_short_name(const struct kc_schema *s);

/* Number of schemas, named ones first: kc_schema_at(i) for i < kc_schema_named_count() are the named schemas
 * sorted by name, the rest anonymous (in a stable generated order). kc_schema_at returns NULL when i is out of
 * range. kc_schema_index gives the index of a schema from these tables (or -1 for any other pointer). */
size_t kc_schema_count(void);
size_t kc_schema_named_count(void);
const struct kc_schema *kc_schema_at(size_t i);
long kc_schema_index(const struct kc_schema *s);

/* All group-version-kinds of all schemas (each (group, version, kind) once), sorted by group, version, kind;
 * kc_schema_gvk_at returns NULL when i is out of range. */
size_t kc_schema_gvk_count(void);
const struct kc_schema_gvk *kc_schema_gvk_at(size_t i);

/* The OpenAPI documents the tables were generated from, in path order; kc_schema_doc_at returns NULL out of
 * range. kc_schema_doc_find("apis/apps/v1") finds one by its path (without "/openapi/v3/"), NULL if unknown. */
size_t kc_schema_doc_count(void);
const struct kc_schema_doc *kc_schema_doc_at(size_t i);
const struct kc_schema_doc *kc_schema_doc_find(const char *path);

/* Static names for the enum values, as the documents spell them: kc_schema_type_str gives "object", "map",
 * "array", "string", "bytes", "integer", "number", "boolean", "int-or-string", "quantity", "time", "microtime",
 * "any"; kc_schema_oa_type_str gives the OpenAPI "type" value or NULL for NONE; kc_schema_format_str the
 * "format" value or NULL; kc_schema_list_type_str "atomic"/"set"/"map" or NULL; kc_schema_map_type_str
 * "atomic"/"granular" or NULL; kc_schema_patch_strategy_str the x-kubernetes-patch-strategy text ("merge",
 * "merge,retainKeys", "retainKeys", "replace") or NULL for 0. Unknown values give NULL ("?" for the type). */
const char *kc_schema_type_str(enum kc_schema_type t);
const char *kc_schema_oa_type_str(enum kc_schema_oa_type t);
const char *kc_schema_format_str(enum kc_schema_format f);
const char *kc_schema_list_type_str(enum kc_schema_list_type t);
const char *kc_schema_map_type_str(enum kc_schema_map_type t);
const char *kc_schema_patch_strategy_str(unsigned strategy);

#endif
