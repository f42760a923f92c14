/* api_validate.h - the generic metadata validation every kind gets, the create-time preparation upstream's
 * strategies do (PrepareForCreate), and the helpers the per-kind validation (validate.c) and defaulting
 * (defaults.c) share: upstream's message texts, Go-style value printing, field paths and JSON accessors.
 */
#ifndef API_VALIDATE_H
#define API_VALIDATE_H

#include "api_res.h"
#include "kc_quantity.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Everything here is pure: no I/O, no clock, no globals. Errors are appended to a struct api_errors (api_res.h);
 * when recording one fails for lack of memory, the error still counts in errs->n (so the object is still
 * rejected) but may be missing from errs->causes.
 *
 * Field paths are written as upstream's field.Path.String(): "spec.containers[0].image", "data[tls.crt]",
 * "metadata.labels". Messages are upstream's ErrorBody(): "Required value", "Invalid value: \"x\": detail",
 * "Unsupported value: \"x\": supported values: \"a\", \"b\"", "Forbidden: detail", "Too long: may not be more than
 * 262144 bytes", "Duplicate value: \"x\"", "Not found: \"x\"", "Too many: 5: must have at most 3 items". Values
 * are printed as Go's fmt does for the type upstream passes (quoted strings, bare numbers, %#v for maps and
 * structs) -- see api_go_quote() and the api_err_* helpers. */

/* ---- generic metadata validation ---- */

/* Validates obj's metadata as upstream does for r's kind: on create (old NULL) ValidateObjectMeta with the kind's
 * name rule (see api_name_rule_for), on update ValidateObjectMetaUpdate against old's metadata, both followed by
 * core's finalizer-name rule. In upstream's order:
 *  - create: metadata.generateName (when given) checked as a name prefix (a trailing '-' is allowed);
 *    metadata.name required ("Required value: name or generateName is required"; the caller generates the name
 *    from generateName first, as upstream) and valid for the kind (DNS-1123 subdomain, DNS-1123 label for
 *    Namespace and StatefulSet, DNS-1035 label for Service, path segment for core/v1 Event; CronJob names at most
 *    52 characters); metadata.namespace required and a DNS-1123 label for namespaced kinds, forbidden for
 *    cluster-scoped ones; metadata.generation not negative; labels (keys qualified names, values valid label
 *    values); annotations (keys qualified names in any case, total size at most 256 KiB); ownerReferences
 *    (apiVersion with a version, kind, name, uid, no v1 Event owner, at most one controller); finalizers
 *    (qualified names, not both orphan and foregroundDeletion); managedFields operation and fieldsType;
 *  - update: no new finalizers while old is being deleted; generation not decremented; name, namespace, uid,
 *    creationTimestamp, deletionTimestamp and deletionGracePeriodSeconds immutable ("field is immutable"); labels,
 *    annotations, ownerReferences and managedFields as on create (upstream checks neither the name, the namespace
 *    format nor the finalizer names' format on update);
 *  - both: each finalizer without a '/' must be a standard one ("kubernetes", "orphan", "foregroundDeletion"):
 *    "name is neither a standard finalizer name nor is it fully qualified" at metadata.finalizers[i] (not for
 *    Lease); metadata.resourceVersion, when present and not empty, a decimal uint64 (upstream's storage check,
 *    reported at field "resourceVersion" as upstream does).
 * "resourceVersion: must be specified for an update" is left to the REST layer. r must be one of the kinds of
 * api_kinds.h (any other is treated as a namespaced or cluster-scoped kind with DNS-1123 subdomain names). */
void api_validate_meta(const struct api_resource *r, const json_t *obj, const json_t *old, struct api_errors *errs);

/* The create-only steps of upstream's registry strategies (PrepareForCreate) that must not run again on update,
 * so they are not part of the kind's defaults (which run on every write):
 *  - Namespace: spec.finalizers gets "kubernetes" appended when missing; status.phase becomes "Active";
 *  - Pod: status becomes {"phase": "Pending", "qosClass": <BestEffort|Burstable|Guaranteed>} (the QoS class
 *    computed from the containers' cpu and memory requests and limits, as upstream's qos.GetPodQOS).
 * Other kinds: nothing. obj is modified in place; allocation failures leave it partly prepared. */
void api_prepare_create(const struct api_resource *r, json_t *obj);

/* ---- names ---- */

enum api_name_rule {
    API_NAME_SUBDOMAIN,    /* NameIsDNSSubdomain: most kinds */
    API_NAME_LABEL,        /* NameIsDNSLabel: Namespace, StatefulSet */
    API_NAME_DNS1035,      /* NameIsDNS1035Label: Service */
    API_NAME_PATH_SEGMENT, /* path.ValidatePathSegmentName: core/v1 Event (legacy events allow more) */
};

/* The metadata.name rule upstream applies to r's kind on create. */
enum api_name_rule api_name_rule_for(const struct api_resource *r);

/* ---- upstream's message lists (k8s.io/apimachinery/pkg/util/validation) ---- */

#define API_MSGS_MAX 6

/* The messages one upstream check returns ([]string), in upstream's order. Messages point at static text or into
 * buf; n == 0 means valid. */
struct api_msgs {
    size_t n;
    const char *msg[API_MSGS_MAX];
    char buf[1024];
};

/* IsDNS1123Label: "must be no more than 63 characters", then "must not contain dots" (a valid subdomain) or the
 * "a lowercase RFC 1123 label must consist of ..." regex message. */
void api_msgs_dns1123_label(const char *s, struct api_msgs *out);
/* IsDNS1123Subdomain: "must be no more than 253 characters", "a lowercase RFC 1123 subdomain must consist of ...". */
void api_msgs_dns1123_subdomain(const char *s, struct api_msgs *out);
/* IsDNS1035Label: 63 characters, "a DNS-1035 label must consist of ...". */
void api_msgs_dns1035_label(const char *s, struct api_msgs *out);
/* IsWildcardDNS1123Subdomain ("*.example.com"). */
void api_msgs_wildcard_subdomain(const char *s, struct api_msgs *out);
/* IsQualifiedName (label keys): via kc_label_key_check, one message per problem. */
void api_msgs_qualified_name(const char *s, struct api_msgs *out);
/* IsValidLabelValue: via kc_label_value_check. */
void api_msgs_label_value(const char *s, struct api_msgs *out);
/* IsConfigMapKey: 253 characters, "a valid config key must consist of alphanumeric characters, '-', '_' or '.'
 * (e.g. ...)", and "must not be '.'", "must not be '..'", "must not start with '..'". */
void api_msgs_config_map_key(const char *s, struct api_msgs *out);
/* IsValidPortName (IANA_SVC_NAME): 15 characters, charset, a letter, no "--", no leading/trailing '-'. */
void api_msgs_port_name(const char *s, struct api_msgs *out);
/* IsValidPercent: "a valid percent string must be a numeric string followed by an ending '%' (e.g. ...)". */
void api_msgs_percent(const char *s, struct api_msgs *out);
/* IsRelaxedEnvVarName (RelaxedEnvironmentVariableValidation is on by default in 1.33): empty, or not printable
 * ASCII other than '='. */
void api_msgs_env_var_name(const char *s, struct api_msgs *out);
/* IsValidPathSegmentName: "may not be '.'", "may not be '..'", "may not contain '/'", "may not contain '%'". */
void api_msgs_path_segment(const char *s, struct api_msgs *out);
/* IsHTTPHeaderName. */
void api_msgs_http_header_name(const char *s, struct api_msgs *out);
/* The name rule as upstream's ValidateNameFunc(name, prefix): with prefix, a trailing '-' is masked first. */
void api_msgs_name(enum api_name_rule rule, const char *name, bool prefix, struct api_msgs *out);

/* ---- IP addresses (netutils.ParseIPSloppy: IPv4 with leading zeros allowed, IPv6, no zones) ---- */

/* 4 when s is an IPv4 address (also "::ffff:a.b.c.d", as Go's To4() sees it), 6 for other IPv6, 0 otherwise.
 * When bytes is not NULL it receives the 16-byte form (IPv4 as ::ffff:a.b.c.d). */
int api_parse_ip(const char *s, uint8_t bytes[16]);
/* CIDR "a.b.c.d/n" or "x::/n" (Go's ParseCIDR, sloppy IPv4). Returns 4, 6 or 0. */
int api_parse_cidr(const char *s);

/* ---- recording errors, as upstream's field.* constructors ---- */

void api_err_required(struct api_errors *e, const char *path, const char *detail); /* detail "" or NULL: none */
void api_err_forbidden(struct api_errors *e, const char *path, const char *detail);
void api_err_too_long(struct api_errors *e, const char *path, long max); /* "may not be more than N bytes" */
void api_err_too_many(struct api_errors *e, const char *path, long actual, long max);
/* Invalid with a string value (printed quoted, as Go's %q). */
void api_err_invalid_str(struct api_errors *e, const char *path, const char *value, const char *detail);
/* Invalid with an integer value. */
void api_err_invalid_int(struct api_errors *e, const char *path, long long value, const char *detail);
/* Invalid with a value already printed the Go way (map, struct, unquoted Stringer output, "null"). */
void api_err_invalid_raw(struct api_errors *e, const char *path, const char *value, const char *detail);
/* Invalid with the value omitted (field.OmitValueType): "Invalid value: detail". */
void api_err_invalid_omit(struct api_errors *e, const char *path, const char *detail);
/* Invalid once per message of msgs, with a quoted string value. */
void api_err_invalid_each(struct api_errors *e, const char *path, const char *value, const struct api_msgs *msgs);
/* NotSupported: value quoted, valid (NULL-terminated, may be empty) listed as "supported values: \"a\", ...". */
void api_err_not_supported(struct api_errors *e, const char *path, const char *value, const char *const *valid);
/* NotSupported with a raw (already printed) value. */
void api_err_not_supported_raw(struct api_errors *e, const char *path, const char *value, const char *const *valid);
void api_err_duplicate_str(struct api_errors *e, const char *path, const char *value);
void api_err_duplicate_raw(struct api_errors *e, const char *path, const char *value, const char *detail);
void api_err_not_found_str(struct api_errors *e, const char *path, const char *value, const char *detail);

/* ---- Go-style printing ---- */

/* A growable string. Functions append; on allocation failure oom is set and the text is dropped. Free with
 * api_sb_free (the struct itself is the caller's). */
struct api_sb {
    char *s;
    size_t len, cap;
    bool oom;
};
void api_sb_puts(struct api_sb *sb, const char *s);
void api_sb_putn(struct api_sb *sb, const char *s, size_t n);
void api_sb_printf(struct api_sb *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text so far ("" when empty or after a failure). */
const char *api_sb_str(const struct api_sb *sb);
void api_sb_free(struct api_sb *sb);

/* Appends s quoted as Go's strconv.Quote / %q (escapes \a\b\f\n\r\t\v\\\", keeps printable UTF-8, \xNN for
 * invalid bytes, \u/\U for non-printable runes). */
void api_go_quote(struct api_sb *sb, const char *s);
/* Appends a JSON object of strings as Go's %#v of a map[string]string: map[string]string{"a":"1", "b":"2"}
 * (keys sorted), "map[string]string(nil)" for NULL/null/absent, "map[string]string{}" for {}. */
void api_go_string_map(struct api_sb *sb, const json_t *map);
/* Appends a JSON array of strings as %#v of []string: []string{"a", "b"}, "[]string(nil)" when NULL or empty. */
void api_go_string_slice(struct api_sb *sb, const json_t *arr);
/* Appends a metav1.LabelSelector (JSON) as %#v: v1.LabelSelector{MatchLabels:..., MatchExpressions:...}. */
void api_go_label_selector(struct api_sb *sb, const json_t *sel);

/* ---- field paths ---- */

#define API_PATH_MAX 1024

/* base + "." + child (just child when base is ""). Returns buf. Truncates silently at API_PATH_MAX. base may be
 * buf itself. */
const char *api_path_child(char buf[API_PATH_MAX], const char *base, const char *child);
/* base + "[i]". */
const char *api_path_index(char buf[API_PATH_MAX], const char *base, size_t i);
/* base + "[key]" (field.Path.Key). */
const char *api_path_key(char buf[API_PATH_MAX], const char *base, const char *key);

/* ---- JSON accessors (NULL-safe; a value of the wrong JSON type counts as absent) ---- */

/* The member key of obj. Inline, and by length: validation and defaults look up hundreds of (mostly absent)
 * fields per object, and with a literal key the length is a constant, not a strlen in json_object_get. */
static inline json_t *
api_jget(const json_t *obj, const char *key)
{
    return key ? json_object_getn(obj, key, strlen(key)) : NULL;
}

static inline const char * /* string or NULL */
api_jstr(const json_t *obj, const char *key)
{
    return json_string_value(api_jget(obj, key));
}

static inline json_t * /* object or NULL */
api_jobj(const json_t *obj, const char *key)
{
    json_t *v = api_jget(obj, key);
    return json_is_object(v) ? v : NULL;
}

static inline json_t * /* array or NULL */
api_jarr(const json_t *obj, const char *key)
{
    json_t *v = api_jget(obj, key);
    return json_is_array(v) ? v : NULL;
}

static inline bool /* present and not null */
api_jhas(const json_t *obj, const char *key)
{
    json_t *v = api_jget(obj, key);
    return v && !json_is_null(v);
}

static inline bool
api_jbool(const json_t *obj, const char *key, bool *out)
{
    json_t *v = api_jget(obj, key);
    if (!json_is_boolean(v))
        return false;
    *out = json_is_true(v);
    return true;
}

bool api_jint(const json_t *obj, const char *key, long long *out); /* integer (or integral real) */

/* ---- quantities ---- */

/* Parses a Quantity-typed JSON value (string or number). On success fills q and, when str is given, the text
 * upstream's String() prints for the decoded value (the input when upstream keeps it verbatim, else the
 * canonical form). On failure writes upstream's parse message into err (when given) and returns the kc error. */
int api_quantity(const json_t *v, struct kc_quantity *q, char *str, size_t strlen_, char *err, size_t errlen);

/* ---- pod volume sources ---- */

/* The volume sources in upstream's check order (validateVolumeSource; defaulting's "no source: emptyDir" checks
 * the same names): key, and the child upstream names in the "more than 1 volume type" error (its own spellings,
 * typos included). */
#define API_VOLUME_SOURCES 30
struct api_volume_source {
    const char *key, *err_child;
};
extern const struct api_volume_source api_volume_sources[API_VOLUME_SOURCES];
/* present[i]: vol's member api_volume_sources[i].key when it is there and not null, else NULL; found from vol's
 * members (a name and a source, usually) rather than by a lookup of each source. Returns how many it has. */
int api_volume_sources_of(const json_t *vol, const json_t *present[API_VOLUME_SOURCES]);

/* ---- duplicate checks ---- */

/* The strings a duplicate check has seen (names in a list, paths, keys). The first API_SEEN_SMALL, up to
 * API_SEEN_BYTES bytes together, are kept here and compared one by one (a pod's lists are short); past that they
 * move to a jansson object. Zero-initialise; api_seen_free when done. */
#define API_SEEN_SMALL 16
#define API_SEEN_BYTES 512
struct api_seen {
    size_t n, used;
    uint16_t off[API_SEEN_SMALL], len[API_SEEN_SMALL];
    char buf[API_SEEN_BYTES];
    json_t *big;
};
/* Adds key; true when it was added before. (Out of memory, it forgets keys, never reports false duplicates.) */
bool api_seen_add(struct api_seen *s, const char *key);
/* Whether key was added (without adding it). */
bool api_seen_has(const struct api_seen *s, const char *key);
void api_seen_free(struct api_seen *s);

/* ---- label selectors ---- */

/* metav1 ValidateLabelSelector (AllowInvalidLabelValueInSelector false): matchLabels as labels, each
 * matchExpressions[i] operator (In/NotIn need values, Exists/DoesNotExist forbid them, others "not a valid
 * selector operator"), key a qualified name, values valid label values. sel may be NULL/null (nothing to check). */
void api_validate_label_selector(const json_t *sel, const char *path, struct api_errors *e);
/* ValidateLabels: every key a qualified name, every value a valid label value; errors at path (no key). */
void api_validate_labels(const json_t *labels, const char *path, struct api_errors *e);

#endif
