/* api_res.h - the API server's resource table: one row per kind it serves (group, version, kind, names, scope,
 * verbs, subresources, validation, defaulting, Table columns, field selectors). Generic REST code serves every
 * row; adding a kind is adding a row and its few functions. The pure parts (validation, defaulting, Table rows)
 * do no I/O, read no clock (the caller passes `now`) and keep no globals, so they are unit-tested directly.
 */
#ifndef API_RES_H
#define API_RES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Verbs a resource supports (discovery lists them; the handler refuses the others with 405). */
enum api_verb {
    API_VERB_GET = 1u << 0,
    API_VERB_LIST = 1u << 1,
    API_VERB_WATCH = 1u << 2,
    API_VERB_CREATE = 1u << 3,
    API_VERB_UPDATE = 1u << 4,
    API_VERB_PATCH = 1u << 5,
    API_VERB_DELETE = 1u << 6,
    API_VERB_DELETECOLLECTION = 1u << 7,
};
#define API_VERBS_ALL 0xffu

/* Subresources. */
enum api_sub {
    API_SUB_STATUS = 1u << 0,  /* <plural>/status: GET, PUT, PATCH of .status only */
    API_SUB_SCALE = 1u << 1,   /* <plural>/scale: autoscaling/v1 Scale */
    API_SUB_BINDING = 1u << 2, /* pods/binding: POST a Binding */
    API_SUB_LOG = 1u << 3,     /* pods/log */
    API_SUB_EXEC = 1u << 4,    /* pods/exec, pods/attach (connect) */
    API_SUB_EVICTION = 1u << 5 /* pods/eviction */
};

/* Field errors collected by validation, reported as a 422 Invalid Status with details.causes. */
struct api_errors {
    json_t *causes; /* array of {"reason","message","field"}; NULL until the first error */
    int n;
};

/* Kubernetes' field.ErrorType reasons, as the API reports them in causes[].reason. */
#define API_REASON_REQUIRED      "FieldValueRequired"
#define API_REASON_INVALID       "FieldValueInvalid"
#define API_REASON_NOT_SUPPORTED "FieldValueNotSupported"
#define API_REASON_DUPLICATE     "FieldValueDuplicate"
#define API_REASON_FORBIDDEN     "FieldValueForbidden"
#define API_REASON_TOO_LONG      "FieldValueTooLong"
#define API_REASON_TOO_MANY      "FieldValueTooMany"
#define API_REASON_NOT_FOUND     "FieldValueNotFound"
#define API_REASON_TYPE_INVALID  "FieldValueTypeInvalid"

/* Records one field error. field is the path as Kubernetes writes it ("spec.containers[0].image",
 * "metadata.labels"); message is the whole text after the field, as upstream's field.Error.ErrorBody() gives it:
 * "Required value", "Invalid value: -5: must be greater than or equal to 0", "Unsupported value: \"Sometimes\":
 * supported values: \"Always\", \"Never\", \"OnFailure\"". The printf-style variant formats message. */
void api_errors_add(struct api_errors *e, const char *reason, const char *field, const char *message);
void api_errors_addf(struct api_errors *e, const char *reason, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void api_errors_free(struct api_errors *e);

/* One column of a kind's Table (meta.k8s.io/v1 TableColumnDefinition). */
struct api_column {
    const char *name;        /* "Name", "Ready", ... */
    const char *type;        /* "string", "integer", "date", ... */
    const char *format;      /* "name" for the Name column, "" otherwise */
    const char *description; /* short, as upstream's */
    int priority;            /* 0: always shown; 1: with -o wide */
};

struct api_resource;

/* Validates obj (the whole object after defaulting). old is the stored object for updates, NULL on create.
 * Adds every problem to errs (never stops at the first). Metadata (name, labels, annotations, ...) is validated
 * by the generic code; these functions check the kind's own fields. */
typedef void (*api_validate_fn)(const struct api_resource *r, const json_t *obj, const json_t *old,
                                struct api_errors *errs);

/* Fills in the defaults Kubernetes applies on create and update (obj is modified in place). Must be idempotent. */
typedef void (*api_default_fn)(const struct api_resource *r, json_t *obj);

/* Appends one Table row's cells for obj to cells (a JSON array), in the kind's column order. now is the current
 * time in seconds (for ages, formatted as upstream's duration.HumanDuration: "5s", "3m2s", "5h", "2d", ...). */
typedef void (*api_row_fn)(const struct api_resource *r, const json_t *obj, int64_t now, json_t *cells);

/* One row of the resource table. */
struct api_resource {
    const char *group;   /* "" for core */
    const char *version; /* "v1", "v2" */
    const char *kind;    /* "Pod" */
    const char *plural;  /* "pods": the URL segment and the storage folder */
    const char *singular;
    const char *short_names[4]; /* NULL-terminated: {"po", NULL} */
    const char *categories[2];  /* {"all", NULL} where upstream has it */
    bool namespaced;
    unsigned verbs;                     /* enum api_verb */
    unsigned subs;                      /* enum api_sub */
    bool generation_on_spec;            /* metadata.generation counts changes to everything but metadata and status */
    bool delete_returns_object;         /* a DELETE that removes the object answers the object, as upstream's
                                           registries with ReturnDeletedObject (pods, services, namespaces, ...);
                                           false: a Status {status: Success, details: {name, group, kind: <plural>,
                                           uid}}. An object that stays (finalizers, graceful deletion) is always
                                           answered as itself. */
    const char *schema;                 /* OpenAPI schema name (common/kc_schema.h), e.g. "io.k8s.api.core.v1.Pod" */
    const char *const *field_selectors; /* fields a fieldSelector may name besides metadata.name/namespace;
                                           NULL-terminated; NULL = none */
    api_validate_fn validate;           /* NULL: no kind-specific checks */
    api_default_fn defaults;            /* NULL: nothing to default */
    const struct api_column *columns;   /* Table columns, ending with a column whose name is NULL */
    api_row_fn row;
};

/* The table, ending with a row whose kind is NULL. */
extern const struct api_resource api_resources[];

/* Looks a row up by group, version and plural (the URL), or by group and kind. NULL when not served. */
const struct api_resource *api_resource_find(const char *group, const char *version, const char *plural);
const struct api_resource *api_resource_by_kind(const char *group, const char *kind);

/* "apps/v1" or "v1": the apiVersion of r's objects, in buf. */
const char *api_resource_api_version(const struct api_resource *r, char *buf, size_t len);

/* Age as upstream's printers write it: duration.HumanDuration of now - created, "<unknown>" when created is
 * missing or not RFC 3339 (apiserver/tables.c). */
void api_human_age(const char *created, int64_t now, char *buf, size_t len);

/* --- helpers for validation (apiserver/fields.c) --- */

/* DNS-1123 label (63 max, [a-z0-9]([-a-z0-9]*[a-z0-9])?) and subdomain (253 max, labels joined by dots) checks.
 * Return NULL when valid, else upstream's message ("a lowercase RFC 1123 label must consist of ..."). */
const char *api_check_dns1123_label(const char *s);
const char *api_check_dns1123_subdomain(const char *s);

#endif
