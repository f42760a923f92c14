/* validate.c - the kind-specific validation of every kind the API server serves, following upstream's
 * pkg/apis/{core,apps,batch,networking,storage,autoscaling,coordination,discovery,rbac}/validation for 1.33
 * (feature gates at their 1.33 defaults): the same checks, field paths and message texts, in upstream's order.
 * Metadata is validated separately (api_validate_meta, fields.c). Where k8c simplifies, a comment says so.
 */
#include "api_kinds.h"
#include "api_res.h"
#include "api_validate.h"
#include "kc_crypto.h"
#include "kc_fault.h"
#include "kc_jarena.h"
#include "kc_json.h"
#include "kc_quantity.h"
#include "kc_selector.h"
#include "kc_time.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CH(buf, base, name) api_path_child(buf, base, name)
#define IX(buf, base, i)    api_path_index(buf, base, i)
#define NONNEG              "must be greater than or equal to 0"
#define IMMUTABLE           "field is immutable"
#define RANGE_PORT          "must be between 1 and 65535, inclusive"

/* ---- small helpers ---- */

static const char *
str_or(const json_t *o, const char *k, const char *dflt)
{
    const char *s = api_jstr(o, k);
    return s ? s : dflt;
}

static bool
streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static bool
in_list(const char *s, const char *const *list)
{
    for (size_t i = 0; s && list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

/* An enum field: "" or absent is Required when required, any other value outside valid is NotSupported. */
static void
check_enum(const json_t *o, const char *key, const char *path, const char *const *valid, bool required,
           struct api_errors *e)
{
    const char *s = api_jstr(o, key);
    if (!s || !*s) {
        if (required)
            api_err_required(e, path, "");
        return;
    }
    if (!in_list(s, valid))
        api_err_not_supported(e, path, s, valid);
}

static void
nonneg(const json_t *o, const char *key, const char *path, struct api_errors *e)
{
    long long v;
    if (api_jint(o, key, &v) && v < 0)
        api_err_invalid_int(e, path, v, NONNEG);
}

static void
check_name_list(enum api_name_rule rule, const char *value, const char *path, struct api_errors *e)
{
    struct api_msgs m;
    api_msgs_name(rule, value, false, &m);
    api_err_invalid_each(e, path, value, &m);
}

static void
check_label(const char *value, const char *path, struct api_errors *e)
{
    struct api_msgs m;
    api_msgs_dns1123_label(value, &m);
    api_err_invalid_each(e, path, value, &m);
}

static void
check_subdomain(const char *value, const char *path, struct api_errors *e)
{
    struct api_msgs m;
    api_msgs_dns1123_subdomain(value, &m);
    api_err_invalid_each(e, path, value, &m);
}

static void
check_qualified(const char *value, const char *path, struct api_errors *e)
{
    struct api_msgs m;
    api_msgs_qualified_name(value, &m);
    api_err_invalid_each(e, path, value, &m);
}

/* IsValidPortNum */
static bool
port_ok(long long p)
{
    return p >= 1 && p <= 65535;
}

/* ValidatePortNumOrName on an IntOrString JSON value. */
static void
check_port_num_or_name(const json_t *v, const char *path, struct api_errors *e)
{
    if (json_is_integer(v)) {
        if (!port_ok(json_integer_value(v)))
            api_err_invalid_int(e, path, json_integer_value(v), RANGE_PORT);
    } else if (json_is_string(v)) {
        struct api_msgs m;
        api_msgs_port_name(json_string_value(v), &m);
        api_err_invalid_each(e, path, json_string_value(v), &m);
    } else {
        /* a missing IntOrString is the integer 0 */
        api_err_invalid_int(e, path, 0, RANGE_PORT);
    }
}

/* Go's zero-value semantics for comparisons (apiequality.Semantic): a missing key equals null, false, 0, "",
 * an empty list or an empty object; lists compare element-wise, numbers by value. (Upstream tells a nil pointer
 * from a pointer to a zero value; k8c's JSON view cannot, which only matters for pointer-to-bool or pointer-to-int
 * fields set to zero.) */
static bool
is_zero(const json_t *v)
{
    if (!v || json_is_null(v) || json_is_false(v))
        return true;
    if (json_is_string(v))
        return json_string_length(v) == 0;
    if (json_is_integer(v))
        return json_integer_value(v) == 0;
    if (json_is_real(v))
        return json_real_value(v) == 0;
    if (json_is_array(v))
        return json_array_size(v) == 0;
    if (json_is_object(v))
        return json_object_size(v) == 0;
    return false;
}

static bool
sem_equal(const json_t *a, const json_t *b)
{
    if (is_zero(a) && is_zero(b))
        return true;
    if (!a || !b)
        return false;
    if (json_is_object(a) && json_is_object(b)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)a, k, v)
        {
            if (!sem_equal(v, api_jget(b, k)))
                return false;
        }
        json_object_foreach((json_t *)b, k, v)
        {
            if (!api_jget(a, k) && !is_zero(v))
                return false;
        }
        return true;
    }
    if (json_is_array(a) && json_is_array(b)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!sem_equal(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    }
    return kc_json_equal(a, b);
}

/* The lines after upstream's "...\n" in immutability messages, where upstream prints go-cmp's diff of the Go
 * structs. k8c cannot reproduce that text; it lists the differing JSON paths with their old and new values. */
static void
diff_lines(struct api_sb *sb, const json_t *a, const json_t *b, const char *path, int *budget)
{
    if (*budget <= 0 || sem_equal(a, b))
        return;
    char p[API_PATH_MAX];
    if (json_is_object(a) && json_is_object(b)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)a, k, v)
        {
            diff_lines(sb, v, api_jget(b, k), CH(p, path, k), budget);
        }
        json_object_foreach((json_t *)b, k, v)
        {
            if (!api_jget(a, k))
                diff_lines(sb, NULL, v, CH(p, path, k), budget);
        }
        return;
    }
    if (json_is_array(a) && json_is_array(b) && json_array_size(a) == json_array_size(b)) {
        for (size_t i = 0; i < json_array_size(a); i++)
            diff_lines(sb, json_array_get(a, i), json_array_get(b, i), IX(p, path, i), budget);
        return;
    }
    char *as = a ? kc_jarena_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    char *bs = b ? kc_jarena_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    api_sb_printf(sb, "  %s: %s -> %s\n", path, as ? as : "<nil>", bs ? bs : "<nil>");
    free(as);
    free(bs);
    (*budget)--;
}

static void
forbidden_diff(struct api_errors *e, const char *path, const char *msg, const json_t *old, const json_t *new_,
               const char *root)
{
    struct api_sb sb = { 0 };
    int budget = 20;
    api_sb_puts(&sb, msg);
    api_sb_puts(&sb, "\n");
    diff_lines(&sb, old, new_, root, &budget);
    api_err_forbidden(e, path, api_sb_str(&sb));
    api_sb_free(&sb);
}

static void
immutable_json(const json_t *nv, const json_t *ov, const char *path, struct api_errors *e)
{
    if (sem_equal(nv, ov))
        return;
    if (json_is_string(nv)) {
        api_err_invalid_str(e, path, json_string_value(nv), IMMUTABLE);
    } else if (json_is_integer(nv)) {
        api_err_invalid_int(e, path, json_integer_value(nv), IMMUTABLE);
    } else if (!nv || json_is_null(nv)) {
        api_err_invalid_raw(e, path, "null", IMMUTABLE);
    } else {
        char *s = kc_jarena_dumps(nv, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        api_err_invalid_raw(e, path, s ? s : "", IMMUTABLE);
        free(s);
    }
}

/* ---- quantities and resources ---- */

/* Parses a quantity field; an unparsable one is reported at path with the parse message (upstream rejects it
 * while decoding, with a 400). */
static bool
quantity_at(const json_t *v, const char *path, struct kc_quantity *q, char str[64], struct api_errors *e)
{
    char err[256];
    if (api_quantity(v, q, str, 64, err, sizeof(err)) == 0)
        return true;
    if (json_is_string(v))
        api_err_invalid_str(e, path, json_string_value(v), err);
    else
        api_err_invalid_raw(e, path, "", err);
    return false;
}

static bool
is_hugepages(const char *name)
{
    return strncmp(name, "hugepages-", 10) == 0;
}

/* IsNativeResource: no domain, or a kubernetes.io domain. */
static bool
is_native(const char *name)
{
    return !strchr(name, '/') || strstr(name, "kubernetes.io/") != NULL;
}

static bool
overcommit_allowed(const char *name)
{
    return is_native(name) && !is_hugepages(name);
}

/* IsExtendedResourceName */
static bool
is_extended(const char *name)
{
    if (is_native(name) || strncmp(name, "requests.", 9) == 0)
        return false;
    char q[600];
    snprintf(q, sizeof(q), "requests.%s", name);
    struct api_msgs m;
    api_msgs_qualified_name(q, &m);
    return m.n == 0;
}

/* IsStandardResourceName */
static bool
is_standard_resource(const char *name)
{
    static const char *const std[] = { "cpu",
                                       "memory",
                                       "ephemeral-storage",
                                       "requests.cpu",
                                       "requests.memory",
                                       "requests.ephemeral-storage",
                                       "limits.cpu",
                                       "limits.memory",
                                       "limits.ephemeral-storage",
                                       "pods",
                                       "services",
                                       "replicationcontrollers",
                                       "resourcequotas",
                                       "secrets",
                                       "persistentvolumeclaims",
                                       "storage",
                                       "requests.storage",
                                       "configmaps",
                                       "services.nodeports",
                                       "services.loadbalancers",
                                       NULL };
    return in_list(name, std) || is_hugepages(name) || strncmp(name, "requests.hugepages-", 19) == 0;
}

/* validateContainerResourceName (after validateResourceName). A core.ResourceName value is a fmt.Stringer, so
 * it prints unquoted; the qualified-name messages print it as a string (quoted). */
static void
validate_container_resource_name(const char *name, const char *path, struct api_errors *e)
{
    struct api_msgs m;
    api_msgs_qualified_name(name, &m);
    api_err_invalid_each(e, path, name, &m);
    bool plain = !strchr(name, '/');
    if (!m.n && plain && !is_standard_resource(name))
        api_err_invalid_raw(e, path, name, "must be a standard resource type or fully qualified");
    if (plain) {
        static const char *const cont[] = { "cpu", "memory", "ephemeral-storage", NULL };
        if (!in_list(name, cont) && !is_hugepages(name))
            api_err_invalid_raw(e, path, name, "must be a standard resource for containers");
    } else if (!is_native(name) && !is_extended(name)) {
        api_err_invalid_raw(e, path, name, "doesn't follow extended resource name standard");
    }
}

/* ValidateResourceQuantityValue: not negative; integer resources (extended ones) whole. */
static void
validate_quantity_value(const char *name, const struct kc_quantity *q, const char *str, const char *path,
                        struct api_errors *e)
{
    if (q->milli < 0)
        api_err_invalid_str(e, path, str, NONNEG);
    if (is_extended(name) && q->milli % 1000 != 0)
        api_err_invalid_raw(e, path, str, "must be an integer");
}

/* validateResourceRequirements for containers (and the pod overhead, limits only). Hugepage divisibility and
 * resource claims are not checked. */
static void
validate_resources(const json_t *res, const char *path, struct api_errors *e)
{
    char lp[API_PATH_MAX], rp[API_PATH_MAX], p[API_PATH_MAX];
    CH(lp, path, "limits");
    CH(rp, path, "requests");
    const json_t *lim = api_jobj(res, "limits"), *req = api_jobj(res, "requests");
    bool lim_cm = false, req_cm = false, lim_hp = false, req_hp = false;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)lim, k, v)
    {
        api_path_key(p, lp, k);
        validate_container_resource_name(k, p, e);
        struct kc_quantity q;
        char s[64];
        if (quantity_at(v, p, &q, s, e))
            validate_quantity_value(k, &q, s, p, e);
        if (is_hugepages(k))
            lim_hp = true;
        if (streq(k, "cpu") || streq(k, "memory"))
            lim_cm = true;
    }
    json_object_foreach((json_t *)req, k, v)
    {
        api_path_key(p, rp, k);
        validate_container_resource_name(k, p, e);
        struct kc_quantity q;
        char s[64];
        if (!quantity_at(v, p, &q, s, e))
            continue;
        validate_quantity_value(k, &q, s, p, e);
        json_t *lv = api_jget(lim, k);
        if (lv) {
            struct kc_quantity lq;
            char ls[64];
            if (api_quantity(lv, &lq, ls, sizeof(ls), NULL, 0) == 0) {
                char msg[256];
                int c = kc_quantity_cmp(&q, &lq);
                if (c != 0 && !overcommit_allowed(k)) {
                    snprintf(msg, sizeof(msg), "must be equal to %s limit of %s", k, ls);
                    api_err_invalid_str(e, rp, s, msg);
                } else if (c > 0) {
                    snprintf(msg, sizeof(msg), "must be less than or equal to %s limit of %s", k, ls);
                    api_err_invalid_str(e, rp, s, msg);
                }
            }
        } else if (!overcommit_allowed(k)) {
            api_err_required(e, lp, "Limit must be set for non overcommitable resources");
        }
        if (is_hugepages(k))
            req_hp = true;
        if (streq(k, "cpu") || streq(k, "memory"))
            req_cm = true;
    }
    if (!lim_cm && !req_cm && (req_hp || lim_hp))
        api_err_forbidden(e, path, "HugePages require cpu or memory");
}

/* ---- paths (ValidateLocalDescendingPath and friends) ---- */

static bool
has_backstep(const char *s)
{
    const char *p = s;
    while (true) {
        const char *slash = strpbrk(p, "/\\");
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return true;
        if (!slash)
            return false;
        p = slash + 1;
    }
}

static void
validate_no_backsteps(const char *s, const char *path, struct api_errors *e)
{
    if (has_backstep(s))
        api_err_invalid_str(e, path, s, "must not contain '..'");
}

static void
validate_local_descending_path(const char *s, const char *path, struct api_errors *e)
{
    if (s[0] == '/')
        api_err_invalid_str(e, path, s, "must be a relative path");
    validate_no_backsteps(s, path, e);
}

static void
validate_local_non_reserved_path(const char *s, const char *path, struct api_errors *e)
{
    validate_local_descending_path(s, path, e);
    if (strncmp(s, "..", 2) == 0 && strncmp(s, "../", 3) != 0)
        api_err_invalid_str(e, path, s, "must not start with '..'");
}

#define FILE_MODE_ERR "must be a number between 0 and 0777 (octal), both inclusive"

static void
check_mode(const json_t *o, const char *key, const char *path, struct api_errors *e)
{
    long long m;
    if (api_jint(o, key, &m) && (m > 0777 || m < 0))
        api_err_invalid_int(e, path, m, FILE_MODE_ERR);
}

static void
validate_key_to_path(const json_t *kp, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    const char *key = str_or(kp, "key", ""), *pth = str_or(kp, "path", "");
    if (!*key)
        api_err_required(e, CH(p, path, "key"), "");
    if (!*pth)
        api_err_required(e, CH(p, path, "path"), "");
    validate_local_non_reserved_path(pth, CH(p, path, "path"), e);
    check_mode(kp, "mode", CH(p, path, "mode"), e);
}

static void
validate_items(const json_t *src, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], ip[API_PATH_MAX];
    size_t i;
    json_t *it;
    json_array_foreach(api_jarr(src, "items"), i, it)
    {
        validate_key_to_path(it, IX(ip, CH(p, path, "items"), i), e);
    }
}

/* ---- downward API ---- */

/* podshelper.ConvertDownwardAPIFieldLabel for apiVersion v1: returns false with the error text. */
static bool
convert_field_label(const char *label, char *err, size_t errlen)
{
    const char *br = strchr(label, '[');
    if (br) {
        size_t n = (size_t)(br - label);
        size_t len = strlen(label);
        bool ok = len > n + 1 && label[len - 1] == ']';
        if (ok && ((n == 20 && strncmp(label, "metadata.annotations", n) == 0) ||
                   (n == 15 && strncmp(label, "metadata.labels", n) == 0)))
            return true;
        if (ok) {
            snprintf(err, errlen, "field label does not support subscript: %s", label);
            return false;
        }
    }
    static const char *const ok[] = {
        "metadata.annotations", "metadata.labels", "metadata.name",      "metadata.namespace",
        "metadata.uid",         "spec.nodeName",   "spec.restartPolicy", "spec.serviceAccountName",
        "spec.schedulerName",   "status.phase",    "status.hostIP",      "status.hostIPs",
        "status.podIP",         "status.podIPs",   "spec.host",          NULL
    };
    if (in_list(label, ok))
        return true;
    snprintf(err, errlen, "field label not supported: %s", label);
    return false;
}

static void
validate_object_field_selector(const json_t *fs, const char *const *expressions, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    const char *av = str_or(fs, "apiVersion", ""), *fp = str_or(fs, "fieldPath", "");
    if (!*av) {
        api_err_required(e, CH(p, path, "apiVersion"), "");
        return;
    }
    if (!*fp) {
        api_err_required(e, CH(p, path, "fieldPath"), "");
        return;
    }
    char err[512], msg[600];
    if (!streq(av, "v1")) {
        snprintf(msg, sizeof(msg), "error converting fieldPath: unsupported pod version: %s", av);
        api_err_invalid_str(e, CH(p, path, "fieldPath"), fp, msg);
        return;
    }
    if (!convert_field_label(fp, err, sizeof(err))) {
        snprintf(msg, sizeof(msg), "error converting fieldPath: %s", err);
        api_err_invalid_str(e, CH(p, path, "fieldPath"), fp, msg);
        return;
    }
    const char *internal = streq(fp, "spec.host") ? "spec.nodeName" : fp;
    const char *br = strchr(internal, '[');
    if (br) {
        /* metadata.annotations['x'] / metadata.labels['x']: the subscript must be a qualified name */
        char sub[512];
        size_t len = strlen(br);
        const char *s = br + 1;
        size_t n = len - 2;
        if (n >= 2 && (s[0] == '\'' || s[0] == '"') && s[n - 1] == s[0]) {
            s++;
            n -= 2;
        }
        snprintf(sub, sizeof(sub), "%.*s", (int)n, s);
        if (strncmp(internal, "metadata.annotations", 20) == 0)
            for (char *c = sub; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        check_qualified(sub, path, e);
        return;
    }
    if (!in_list(internal, expressions))
        api_err_not_supported(e, CH(p, path, "fieldPath"), internal, expressions);
}

static const char *const env_field_paths[] = {
    "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName",
    "status.hostIP", "status.hostIPs",     "status.podIP", "status.podIPs", NULL
};
static const char *const volume_field_paths[] = { "metadata.annotations", "metadata.labels", "metadata.name",
                                                  "metadata.namespace",   "metadata.uid",    NULL };
static const char *const resource_field_paths[] = { "limits.cpu",
                                                    "limits.ephemeral-storage",
                                                    "limits.memory",
                                                    "requests.cpu",
                                                    "requests.ephemeral-storage",
                                                    "requests.memory",
                                                    NULL };

/* validateContainerResourceFieldSelector (divisor values are not checked). */
static void
validate_resource_field_selector(const json_t *fs, bool volume, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    const char *cn = str_or(fs, "containerName", ""), *res = str_or(fs, "resource", "");
    if (volume && !*cn) {
        api_err_required(e, CH(p, path, "containerName"), "");
    } else if (!*res) {
        api_err_required(e, CH(p, path, "resource"), "");
    } else if (!in_list(res, resource_field_paths) && strncmp(res, "requests.hugepages-", 19) != 0 &&
               strncmp(res, "limits.hugepages-", 17) != 0) {
        api_err_not_supported(e, CH(p, path, "resource"), res, resource_field_paths);
    }
}

/* ---- volumes ---- */

struct vol {
    const char *name;
    const json_t *v;
};

struct vols {
    struct vol *v;
    size_t n;
};

static const json_t *
vols_find(const struct vols *vs, const char *name)
{
    for (size_t i = 0; i < vs->n; i++)
        if (streq(vs->v[i].name, name))
            return vs->v[i].v;
    return NULL;
}

static void validate_pvc_spec(const json_t *spec, const char *path, struct api_errors *e);

static void
validate_downward_file(const json_t *f, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    const char *pth = str_or(f, "path", "");
    if (!*pth)
        api_err_required(e, CH(p, path, "path"), "");
    validate_local_non_reserved_path(pth, CH(p, path, "path"), e);
    const json_t *fr = api_jobj(f, "fieldRef"), *rr = api_jobj(f, "resourceFieldRef");
    if (fr) {
        validate_object_field_selector(fr, volume_field_paths, CH(p, path, "fieldRef"), e);
        if (rr)
            api_err_invalid_str(e, path, "resource",
                                "fieldRef and resourceFieldRef can not be specified simultaneously");
    } else if (rr) {
        validate_resource_field_selector(rr, true, CH(p, path, "resourceFieldRef"), e);
    } else {
        api_err_required(e, path, "one of fieldRef and resourceFieldRef is required");
    }
    check_mode(f, "mode", CH(p, path, "mode"), e);
}

static void
validate_projected(const json_t *pj, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], sp[API_PATH_MAX], q[API_PATH_MAX], r[API_PATH_MAX];
    check_mode(pj, "defaultMode", CH(p, path, "defaultMode"), e);
    size_t i;
    json_t *src;
    /* paths across sources must be unique */
    struct api_seen seen = { 0 };
    json_array_foreach(api_jarr(pj, "sources"), i, src)
    {
        IX(sp, CH(p, path, "sources"), i);
        int n = 0;
        static const char *const kinds[] = { "secret", "configMap", NULL };
        for (int k = 0; kinds[k]; k++) {
            const json_t *s = api_jobj(src, kinds[k]);
            if (!s)
                continue;
            n++;
            CH(q, sp, kinds[k]);
            if (!*str_or(s, "name", ""))
                api_err_required(e, CH(r, q, "name"), "");
            size_t j;
            json_t *it;
            json_array_foreach(api_jarr(s, "items"), j, it)
            {
                char ip[API_PATH_MAX];
                validate_key_to_path(it, IX(ip, CH(r, q, "items"), j), e);
                const char *ipath = str_or(it, "path", "");
                if (*ipath) {
                    if (api_seen_add(&seen, ipath))
                        api_err_invalid_str(e, path, str_or(s, "name", ""), "conflicting duplicate paths");
                }
            }
        }
        const json_t *d = api_jobj(src, "downwardAPI");
        if (d) {
            n++;
            size_t j;
            json_t *f;
            json_array_foreach(api_jarr(d, "items"), j, f)
            {
                validate_downward_file(f, CH(q, sp, "downwardAPI"), e);
                const char *fpath = str_or(f, "path", "");
                if (*fpath) {
                    if (api_seen_add(&seen, fpath))
                        api_err_invalid_str(e, path, fpath, "conflicting duplicate paths");
                }
            }
        }
        const json_t *t = api_jobj(src, "serviceAccountToken");
        if (t) {
            n++;
            long long exp = 0;
            api_jint(t, "expirationSeconds", &exp);
            if (exp < 600)
                api_err_invalid_int(e, CH(r, CH(q, sp, "serviceAccountToken"), "expirationSeconds"), exp,
                                    "may not specify a duration less than 10 minutes");
            if (exp > (1LL << 32))
                api_err_invalid_int(e, CH(r, CH(q, sp, "serviceAccountToken"), "expirationSeconds"), exp,
                                    "may not specify a duration larger than 2^32 seconds");
            const char *tp = str_or(t, "path", "");
            if (!*tp)
                api_err_required(e, CH(q, path, "path"), "");
            else
                validate_local_non_reserved_path(tp, CH(q, path, "path"), e);
        }
        if (api_jobj(src, "clusterTrustBundle"))
            n++; /* ClusterTrustBundleProjection is off by default in 1.33 */
        if (n > 1)
            api_err_forbidden(e, sp, "may not specify more than 1 volume type per source");
    }
    api_seen_free(&seen);
}

/* validateVolumeSource for one volume; returns the number of errors it added. */
static int
validate_volume_source(const json_t *vol, const char *path, struct api_errors *e)
{
    int before = e->n;
    char p[API_PATH_MAX], q[API_PATH_MAX];
    int num = 0;
    const json_t *present[API_VOLUME_SOURCES];
    api_volume_sources_of(vol, present);
    for (size_t s = 0; s < API_VOLUME_SOURCES; s++) { /* in upstream's order */
        const json_t *src = present[s];
        if (!src)
            continue;
        if (num > 0) {
            api_err_forbidden(e, CH(p, path, api_volume_sources[s].err_child),
                              "may not specify more than 1 volume type");
            continue;
        }
        num++;
        const char *key = api_volume_sources[s].key;
        CH(p, path, key);
        if (streq(key, "emptyDir")) {
            const json_t *sl = api_jget(src, "sizeLimit");
            struct kc_quantity qt;
            if (sl && !json_is_null(sl) && api_quantity(sl, &qt, NULL, 0, NULL, 0) == 0 && qt.milli < 0)
                api_err_forbidden(e, CH(q, p, "sizeLimit"), "SizeLimit field must be a valid resource quantity");
        } else if (streq(key, "hostPath")) {
            const char *hp = str_or(src, "path", "");
            if (!*hp) {
                api_err_required(e, CH(q, p, "path"), "");
            } else {
                validate_no_backsteps(hp, CH(q, p, "path"), e);
                static const char *const types[] = {
                    "",     "BlockDevice",  "CharDevice", "Directory", "DirectoryOrCreate",
                    "File", "FileOrCreate", "Socket",     NULL
                };
                const char *t = api_jstr(src, "type");
                if (t && !in_list(t, types))
                    api_err_not_supported(e, CH(q, p, "type"), t, types);
            }
        } else if (streq(key, "gitRepo")) {
            if (!*str_or(src, "repository", ""))
                api_err_required(e, CH(q, p, "repository"), "");
            validate_local_descending_path(str_or(src, "directory", ""), CH(q, p, "directory"), e);
        } else if (streq(key, "secret")) {
            if (!*str_or(src, "secretName", ""))
                api_err_required(e, CH(q, p, "secretName"), "");
            check_mode(src, "defaultMode", CH(q, p, "defaultMode"), e);
            validate_items(src, p, e);
        } else if (streq(key, "configMap")) {
            if (!*str_or(src, "name", ""))
                api_err_required(e, CH(q, p, "name"), "");
            check_mode(src, "defaultMode", CH(q, p, "defaultMode"), e);
            validate_items(src, p, e);
        } else if (streq(key, "persistentVolumeClaim")) {
            if (!*str_or(src, "claimName", ""))
                api_err_required(e, CH(q, p, "claimName"), "");
        } else if (streq(key, "nfs")) {
            const char *np = str_or(src, "path", "");
            if (!*str_or(src, "server", ""))
                api_err_required(e, CH(q, p, "server"), "");
            if (!*np)
                api_err_required(e, CH(q, p, "path"), "");
            if (np[0] != '/')
                api_err_invalid_str(e, CH(q, p, "path"), np, "must be an absolute path");
        } else if (streq(key, "downwardAPI")) {
            check_mode(src, "defaultMode", CH(q, p, "defaultMode"), e);
            size_t i;
            json_t *f;
            json_array_foreach(api_jarr(src, "items"), i, f)
            {
                validate_downward_file(f, p, e);
            }
        } else if (streq(key, "projected")) {
            validate_projected(src, p, e);
        } else if (streq(key, "csi")) {
            const char *d = str_or(src, "driver", "");
            if (!*d)
                api_err_required(e, CH(q, p, "driver"), "");
            if (strlen(d) > 63)
                api_err_too_long(e, CH(q, p, "driver"), 63);
            char lower[300];
            snprintf(lower, sizeof(lower), "%s", d);
            for (char *c = lower; *c; c++)
                *c = (char)tolower((unsigned char)*c);
            struct api_msgs m;
            api_msgs_dns1123_subdomain(lower, &m);
            api_err_invalid_each(e, CH(q, p, "driver"), d, &m);
        } else if (streq(key, "ephemeral")) {
            const json_t *t = api_jobj(src, "volumeClaimTemplate");
            if (!t) {
                api_err_required(e, CH(q, p, "volumeClaimTemplate"), "");
            } else {
                CH(q, p, "volumeClaimTemplate");
                char mp[API_PATH_MAX];
                api_validate_labels(api_jobj(api_jobj(t, "metadata"), "labels"),
                                    CH(mp, CH(mp, q, "metadata"), "labels"), e);
                validate_pvc_spec(api_jobj(t, "spec"), CH(mp, q, "spec"), e);
            }
        }
        /* The other (legacy, cloud) sources are counted but their fields are not checked. */
    }
    if (num == 0)
        api_err_required(e, path, "must specify a volume type");
    return e->n - before;
}

static void
validate_volumes(const json_t *volumes, const char *path, struct vols *out, struct api_errors *e)
{
    char p[API_PATH_MAX], np[API_PATH_MAX];
    size_t n = json_array_size(volumes), i;
    json_t *vol;
    out->v = n ? kc_calloc(n, sizeof(*out->v)) : NULL;
    out->n = 0;
    json_array_foreach(volumes, i, vol)
    {
        IX(p, path, i);
        CH(np, p, "name");
        struct api_errors el = { 0 };
        validate_volume_source(vol, p, &el);
        const char *name = str_or(vol, "name", "");
        if (!*name)
            api_err_required(&el, np, "");
        else
            check_label(name, np, &el);
        if (vols_find(out, name))
            api_err_duplicate_str(&el, np, name);
        if (el.n == 0) {
            if (out->v)
                out->v[out->n++] = (struct vol){ name, vol };
        } else {
            size_t k;
            json_t *c;
            json_array_foreach(el.causes, k, c)
            {
                api_errors_add(e, api_jstr(c, "reason"), api_jstr(c, "field"), api_jstr(c, "message"));
            }
            e->n += el.n - (int)json_array_size(el.causes);
        }
        api_errors_free(&el);
    }
}

/* ---- containers ---- */

static const char *const protocols[] = { "SCTP", "TCP", "UDP", NULL };

static void
validate_container_ports(const json_t *ports, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    size_t i;
    json_t *port;
    struct api_seen names = { 0 };
    json_array_foreach(ports, i, port)
    {
        IX(p, path, i);
        const char *name = str_or(port, "name", "");
        if (*name) {
            struct api_msgs m;
            api_msgs_port_name(name, &m);
            if (m.n)
                api_err_invalid_each(e, CH(q, p, "name"), name, &m);
            else if (api_seen_add(&names, name))
                api_err_duplicate_str(e, CH(q, p, "name"), name);
        }
        long long cp = 0, hp = 0;
        api_jint(port, "containerPort", &cp);
        if (cp == 0)
            api_err_required(e, CH(q, p, "containerPort"), "");
        else if (!port_ok(cp))
            api_err_invalid_int(e, CH(q, p, "containerPort"), cp, RANGE_PORT);
        if (api_jint(port, "hostPort", &hp) && hp != 0 && !port_ok(hp))
            api_err_invalid_int(e, CH(q, p, "hostPort"), hp, RANGE_PORT);
        check_enum(port, "protocol", CH(q, p, "protocol"), protocols, true, e);
    }
    api_seen_free(&names);
}

static void
validate_config_map_key(const char *key, const char *path, struct api_errors *e)
{
    struct api_msgs m;
    api_msgs_config_map_key(key, &m);
    api_err_invalid_each(e, path, key, &m);
}

static void
validate_key_selector(const json_t *s, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    const char *name = str_or(s, "name", ""), *key = str_or(s, "key", "");
    check_name_list(API_NAME_SUBDOMAIN, name, CH(p, path, "name"), e);
    if (!*key)
        api_err_required(e, CH(p, path, "key"), "");
    else
        validate_config_map_key(key, CH(p, path, "key"), e);
}

static void
validate_env(const json_t *env, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX], r[API_PATH_MAX];
    size_t i;
    json_t *ev;
    json_array_foreach(env, i, ev)
    {
        IX(p, path, i);
        const char *name = str_or(ev, "name", "");
        if (!*name) {
            api_err_required(e, CH(q, p, "name"), "");
        } else {
            struct api_msgs m;
            api_msgs_env_var_name(name, &m);
            api_err_invalid_each(e, CH(q, p, "name"), name, &m);
        }
        const json_t *vf = api_jobj(ev, "valueFrom");
        if (!vf)
            continue;
        CH(q, p, "valueFrom");
        int n = 0;
        if (api_jobj(vf, "fieldRef")) {
            n++;
            validate_object_field_selector(api_jobj(vf, "fieldRef"), env_field_paths, CH(r, q, "fieldRef"), e);
        }
        if (api_jobj(vf, "resourceFieldRef")) {
            n++;
            validate_resource_field_selector(api_jobj(vf, "resourceFieldRef"), false, CH(r, q, "resourceFieldRef"), e);
        }
        if (api_jobj(vf, "configMapKeyRef")) {
            n++;
            validate_key_selector(api_jobj(vf, "configMapKeyRef"), CH(r, q, "configMapKeyRef"), e);
        }
        if (api_jobj(vf, "secretKeyRef")) {
            n++;
            validate_key_selector(api_jobj(vf, "secretKeyRef"), CH(r, q, "secretKeyRef"), e);
        }
        if (n == 0)
            api_err_invalid_str(
                e, q, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`");
        else if (*str_or(ev, "value", ""))
            api_err_invalid_str(e, q, "", "may not be specified when `value` is not empty");
        else if (n > 1)
            api_err_invalid_str(e, q, "", "may not have more than one field specified at a time");
    }
}

static void
validate_env_from(const json_t *env_from, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    size_t i;
    json_t *ev;
    json_array_foreach(env_from, i, ev)
    {
        IX(p, path, i);
        const char *prefix = str_or(ev, "prefix", "");
        if (*prefix) {
            struct api_msgs m;
            api_msgs_env_var_name(prefix, &m);
            api_err_invalid_each(e, CH(q, p, "prefix"), prefix, &m);
        }
        int n = 0;
        static const char *const refs[] = { "configMapRef", "secretRef", NULL };
        for (int k = 0; refs[k]; k++) {
            const json_t *ref = api_jobj(ev, refs[k]);
            if (!ref)
                continue;
            n++;
            char np[API_PATH_MAX];
            CH(np, CH(q, p, refs[k]), "name");
            const char *name = str_or(ref, "name", "");
            if (!*name) {
                api_err_required(e, np, "");
            } else {
                struct api_msgs m;
                api_msgs_name(API_NAME_SUBDOMAIN, name, true, &m);
                api_err_invalid_each(e, np, name, &m);
            }
        }
        if (n == 0)
            api_err_invalid_str(e, path, "", "must specify one of: `configMapRef` or `secretRef`");
        else if (n > 1)
            api_err_invalid_str(e, path, "", "may not have more than one field specified at a time");
    }
}

static void
validate_volume_mounts(const json_t *mounts, const struct vols *vols, const json_t *ctr, const char *path,
                       struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    size_t i;
    json_t *mnt;
    struct api_seen points = { 0 };
    json_array_foreach(mounts, i, mnt)
    {
        IX(p, path, i);
        const char *name = str_or(mnt, "name", ""), *mp = str_or(mnt, "mountPath", "");
        if (!*name)
            api_err_required(e, CH(q, p, "name"), "");
        if (!vols_find(vols, name))
            api_err_not_found_str(e, CH(q, p, "name"), name, NULL);
        if (!*mp)
            api_err_required(e, CH(q, p, "mountPath"), "");
        if (api_seen_add(&points, mp))
            api_err_invalid_str(e, CH(q, p, "mountPath"), mp, "must be unique");
        const char *sub = str_or(mnt, "subPath", ""), *subx = str_or(mnt, "subPathExpr", "");
        if (*sub)
            validate_local_descending_path(sub, CH(q, path, "subPath"), e);
        if (*subx) {
            if (*sub)
                api_err_invalid_str(e, CH(q, p, "subPathExpr"), subx, "subPathExpr and subPath are mutually exclusive");
            validate_local_descending_path(subx, CH(q, path, "subPathExpr"), e);
        }
        const char *prop = api_jstr(mnt, "mountPropagation");
        if (prop) {
            static const char *const props[] = { "Bidirectional", "HostToContainer", "None", NULL };
            if (!in_list(prop, props)) {
                api_err_not_supported(e, CH(q, path, "mountPropagation"), prop, props);
            } else if (streq(prop, "Bidirectional")) {
                bool priv = false;
                api_jbool(api_jobj(ctr, "securityContext"), "privileged", &priv);
                if (!priv)
                    api_err_forbidden(e, CH(q, path, "mountPropagation"),
                                      "Bidirectional mount propagation is available only to privileged containers");
            }
        }
        const char *rro = api_jstr(mnt, "recursiveReadOnly");
        if (rro) {
            bool ro = false;
            api_jbool(mnt, "readOnly", &ro);
            static const char *const rros[] = { "Disabled", "Enabled", "IfPossible", NULL };
            if (streq(rro, "Enabled") || streq(rro, "IfPossible")) {
                if (!ro)
                    api_err_forbidden(e, CH(q, path, "recursiveReadOnly"),
                                      "may only be specified when readOnly is true");
                if (prop && !streq(prop, "None"))
                    api_err_forbidden(e, CH(q, path, "recursiveReadOnly"),
                                      "may only be specified when mountPropagation is None or not specified");
            } else if (!streq(rro, "Disabled")) {
                api_err_not_supported(e, CH(q, path, "recursiveReadOnly"), rro, rros);
            }
        }
    }
    api_seen_free(&points);
}

static const char *const pull_policies[] = { "Always", "IfNotPresent", "Never", NULL };

/* validateHandler for probes (exec, httpGet, tcpSocket, grpc) and lifecycle hooks (exec, httpGet, tcpSocket,
 * sleep). */
static void
validate_handler(const json_t *h, bool lifecycle, long long grace, bool have_grace, const char *path,
                 struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    int n = 0;
    static const char *const probe_kinds[] = { "exec", "httpGet", "tcpSocket", "grpc", NULL };
    static const char *const hook_kinds[] = { "exec", "httpGet", "tcpSocket", "sleep", NULL };
    const char *const *kinds = lifecycle ? hook_kinds : probe_kinds;
    for (int k = 0; kinds[k]; k++) {
        const json_t *a = api_jobj(h, kinds[k]);
        if (!a)
            continue;
        CH(p, path, kinds[k]);
        if (n++ > 0) {
            api_err_forbidden(e, p, "may not specify more than 1 handler type");
            continue;
        }
        if (streq(kinds[k], "exec")) {
            if (json_array_size(api_jarr(a, "command")) == 0)
                api_err_required(e, CH(q, p, "command"), "");
        } else if (streq(kinds[k], "httpGet")) {
            if (!*str_or(a, "path", ""))
                api_err_required(e, CH(q, p, "path"), "");
            check_port_num_or_name(api_jget(a, "port"), CH(q, p, "port"), e);
            static const char *const schemes[] = { "HTTP", "HTTPS", NULL };
            const char *s = str_or(a, "scheme", "");
            if (!in_list(s, schemes))
                api_err_not_supported(e, CH(q, p, "scheme"), s, schemes);
            size_t i;
            json_t *hd;
            json_array_foreach(api_jarr(a, "httpHeaders"), i, hd)
            {
                struct api_msgs m;
                const char *hn = str_or(hd, "name", "");
                api_msgs_http_header_name(hn, &m);
                api_err_invalid_each(e, CH(q, p, "httpHeaders"), hn, &m);
            }
        } else if (streq(kinds[k], "tcpSocket")) {
            check_port_num_or_name(api_jget(a, "port"), CH(q, p, "port"), e);
        } else if (streq(kinds[k], "grpc")) {
            long long port = 0;
            api_jint(a, "port", &port);
            if (!port_ok(port))
                api_err_invalid_int(e, CH(q, p, "port"), port, RANGE_PORT);
        } else if (streq(kinds[k], "sleep")) {
            /* PodLifecycleSleepActionAllowZero is on by default in 1.33 */
            long long secs = 0;
            api_jint(a, "seconds", &secs);
            if (have_grace && (secs < 0 || secs > grace)) {
                char msg[160];
                snprintf(msg, sizeof(msg), "must be non-negative and less than terminationGracePeriodSeconds (%lld)",
                         grace);
                api_err_invalid_int(e, p, secs, msg);
            }
        }
    }
    if (n == 0)
        api_err_required(e, path, "must specify a handler type");
}

enum probe_kind { PROBE_LIVENESS, PROBE_READINESS, PROBE_STARTUP };

static void
validate_probe(const json_t *probe, enum probe_kind kind, long long grace, bool have_grace, const char *path,
               struct api_errors *e)
{
    char p[API_PATH_MAX];
    if (!json_is_object(probe))
        return;
    validate_handler(probe, false, grace, have_grace, path, e);
    nonneg(probe, "initialDelaySeconds", CH(p, path, "initialDelaySeconds"), e);
    nonneg(probe, "timeoutSeconds", CH(p, path, "timeoutSeconds"), e);
    nonneg(probe, "periodSeconds", CH(p, path, "periodSeconds"), e);
    nonneg(probe, "successThreshold", CH(p, path, "successThreshold"), e);
    nonneg(probe, "failureThreshold", CH(p, path, "failureThreshold"), e);
    long long t;
    if (api_jint(probe, "terminationGracePeriodSeconds", &t) && t <= 0)
        api_err_invalid_int(e, CH(p, path, "terminationGracePeriodSeconds"), t, "must be greater than 0");
    long long st = 0;
    api_jint(probe, "successThreshold", &st);
    if (kind != PROBE_READINESS && st != 1)
        api_err_invalid_int(e, CH(p, path, "successThreshold"), st, "must be 1");
    if (kind == PROBE_READINESS && api_jint(probe, "terminationGracePeriodSeconds", &t))
        api_err_invalid_int(e, CH(p, path, "terminationGracePeriodSeconds"), t, "must not be set for readinessProbes");
}

static void
validate_lifecycle(const json_t *lc, long long grace, bool have_grace, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    if (api_jobj(lc, "postStart"))
        validate_handler(api_jobj(lc, "postStart"), true, grace, have_grace, CH(p, path, "postStart"), e);
    if (api_jobj(lc, "preStop"))
        validate_handler(api_jobj(lc, "preStop"), true, grace, have_grace, CH(p, path, "preStop"), e);
}

#define UID_RANGE "must be between 0 and 4294967295, inclusive"

static void
check_id(const json_t *o, const char *key, const char *path, struct api_errors *e)
{
    long long v;
    if (api_jint(o, key, &v) && (v < 0 || v > 4294967295LL))
        api_err_invalid_int(e, path, v, UID_RANGE);
}

static void
validate_seccomp(const json_t *sp, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    if (!json_is_object(sp))
        return;
    const char *t = str_or(sp, "type", "");
    static const char *const types[] = { "Localhost", "RuntimeDefault", "Unconfined", NULL };
    if (!*t)
        api_err_required(e, CH(p, path, "type"), "type is required when seccompProfile is set");
    else if (!in_list(t, types))
        api_err_not_supported(e, CH(p, path, "type"), t, types);
    const char *lp = api_jstr(sp, "localhostProfile");
    if (streq(t, "Localhost")) {
        if (!lp)
            api_err_required(e, CH(p, path, "localhostProfile"), "must be set when seccomp type is Localhost");
        else
            validate_local_descending_path(lp, CH(p, path, "localhostProfile"), e);
    } else if (lp) {
        api_err_invalid_raw(e, CH(p, path, "localhostProfile"), "core.SeccompProfile{...}",
                            "can only be set when seccomp type is Localhost");
    }
}

static void
validate_container_security_context(const json_t *sc, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    if (!json_is_object(sc))
        return;
    /* --allow-privileged is assumed (kubeadm's setting): privileged containers are not rejected. */
    check_id(sc, "runAsUser", CH(p, path, "runAsUser"), e);
    check_id(sc, "runAsGroup", CH(p, path, "runAsGroup"), e);
    const char *pm = api_jstr(sc, "procMount");
    static const char *const pms[] = { "Default", "Unmasked", NULL };
    if (pm && !in_list(pm, pms))
        api_err_not_supported(e, CH(p, path, "procMount"), pm, pms);
    else if (streq(pm, "Unmasked"))
        api_err_invalid_str(e, CH(p, path, "procMount"), pm, "`hostUsers` must be false to use `Unmasked`");
    validate_seccomp(api_jobj(sc, "seccompProfile"), CH(p, path, "seccompProfile"), e);
    bool ape = true, priv = false;
    if (api_jbool(sc, "allowPrivilegeEscalation", &ape) && !ape) {
        if (api_jbool(sc, "privileged", &priv) && priv)
            api_err_invalid_raw(e, path, "core.SecurityContext{...}",
                                "cannot set `allowPrivilegeEscalation` to false and `privileged` to true");
        size_t i;
        json_t *c;
        json_array_foreach(api_jarr(api_jobj(sc, "capabilities"), "add"), i, c)
        {
            if (streq(json_string_value(c), "CAP_SYS_ADMIN"))
                api_err_invalid_raw(e, path, "core.SecurityContext{...}",
                                    "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` "
                                    "CAP_SYS_ADMIN");
        }
    }
}

static void
validate_resize_policy(const json_t *list, const char *path, const char *restart, struct api_errors *e)
{
    char p[API_PATH_MAX];
    size_t i;
    json_t *pol;
    static const char *const res[] = { "cpu", "memory", NULL };
    static const char *const pols[] = { "NotRequired", "RestartContainer", NULL };
    struct api_seen seen = { 0 };
    json_array_foreach(list, i, pol)
    {
        const char *rn = str_or(pol, "resourceName", ""), *rp = str_or(pol, "restartPolicy", "");
        if (api_seen_add(&seen, rn))
            api_err_duplicate_str(e, IX(p, path, i), rn);
        if (!*rn)
            api_err_required(e, path, "");
        else if (!in_list(rn, res))
            api_err_not_supported(e, path, rn, res);
        if (!*rp)
            api_err_required(e, path, "");
        else if (!in_list(rp, pols))
            api_err_not_supported(e, path, rp, pols);
        if (streq(restart, "Never") && !streq(rp, "NotRequired"))
            api_err_invalid_str(e, path, rp, "must be 'NotRequired' when `restartPolicy` is 'Never'");
    }
    api_seen_free(&seen);
}

/* validateContainerCommon */
static void
validate_container_common(const json_t *c, const struct vols *vols, const char *restart, const char *path,
                          struct api_errors *e)
{
    char p[API_PATH_MAX];
    const char *name = str_or(c, "name", "");
    if (!*name)
        api_err_required(e, CH(p, path, "name"), "");
    else
        check_label(name, CH(p, path, "name"), e);
    if (!*str_or(c, "image", ""))
        api_err_required(e, CH(p, path, "image"), "");
    static const char *const tmps[] = { "File", "FallbackToLogsOnError", NULL };
    check_enum(c, "terminationMessagePolicy", CH(p, path, "terminationMessagePolicy"), tmps, true, e);
    validate_container_ports(api_jarr(c, "ports"), CH(p, path, "ports"), e);
    validate_env(api_jarr(c, "env"), CH(p, path, "env"), e);
    validate_env_from(api_jarr(c, "envFrom"), CH(p, path, "envFrom"), e);
    validate_volume_mounts(api_jarr(c, "volumeMounts"), vols, c, CH(p, path, "volumeMounts"), e);
    check_enum(c, "imagePullPolicy", CH(p, path, "imagePullPolicy"), pull_policies, true, e);
    validate_resources(api_jobj(c, "resources"), CH(p, path, "resources"), e);
    validate_resize_policy(api_jarr(c, "resizePolicy"), CH(p, path, "resizePolicy"), restart, e);
    validate_container_security_context(api_jobj(c, "securityContext"), CH(p, path, "securityContext"), e);
}

/* checkHostPortConflicts's loop body for container c, path[ci] (each "<protocol>/<hostIP>/<port>" once). */
static void
host_port_conflicts(const json_t *c, const char *path, size_t ci, struct api_seen *seen, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    size_t pi;
    json_t *port;
    json_array_foreach(api_jarr(c, "ports"), pi, port)
    {
        long long hp = 0;
        if (!api_jint(port, "hostPort", &hp) || hp == 0)
            continue;
        char key[300];
        snprintf(key, sizeof(key), "%s/%s/%lld", str_or(port, "protocol", ""), str_or(port, "hostIP", ""), hp);
        IX(q, CH(p, IX(p, path, ci), "ports"), pi);
        CH(p, q, "hostPort");
        if (api_seen_add(seen, key))
            api_err_duplicate_str(e, p, key);
    }
}

static void
validate_containers(const json_t *containers, const struct vols *vols, const char *restart, long long grace,
                    bool have_grace, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    if (json_array_size(containers) == 0) {
        api_err_required(e, path, "");
        return;
    }
    struct api_seen names = { 0 };
    size_t i;
    json_t *c;
    json_array_foreach(containers, i, c)
    {
        IX(p, path, i);
        validate_container_common(c, vols, restart, p, e);
        const char *name = str_or(c, "name", "");
        if (api_seen_add(&names, name))
            api_err_duplicate_str(e, CH(q, p, "name"), name);
        if (api_jobj(c, "lifecycle"))
            validate_lifecycle(api_jobj(c, "lifecycle"), grace, have_grace, CH(q, p, "lifecycle"), e);
        validate_probe(api_jobj(c, "livenessProbe"), PROBE_LIVENESS, grace, have_grace, CH(q, p, "livenessProbe"), e);
        validate_probe(api_jobj(c, "readinessProbe"), PROBE_READINESS, grace, have_grace, CH(q, p, "readinessProbe"),
                       e);
        validate_probe(api_jobj(c, "startupProbe"), PROBE_STARTUP, grace, have_grace, CH(q, p, "startupProbe"), e);
        if (api_jhas(c, "restartPolicy"))
            api_err_forbidden(e, CH(q, p, "restartPolicy"), "may not be set for non-init containers");
    }
    struct api_seen seen = { 0 };
    json_array_foreach(containers, i, c)
    {
        host_port_conflicts(c, path, i, &seen, e);
    }
    api_seen_free(&seen);
    api_seen_free(&names);
}

static void
validate_init_containers(const json_t *inits, const json_t *regular, const struct vols *vols, const char *restart,
                         long long grace, bool have_grace, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    struct api_seen names = { 0 };
    size_t i;
    json_t *c;
    json_array_foreach(regular, i, c)
    {
        api_seen_add(&names, str_or(c, "name", ""));
    }
    json_array_foreach(inits, i, c)
    {
        IX(p, path, i);
        validate_container_common(c, vols, restart, p, e);
        bool always = false;
        const char *rp = api_jstr(c, "restartPolicy");
        if (rp) {
            static const char *const only[] = { "Always", NULL };
            if (!streq(rp, "Always"))
                api_err_not_supported(e, CH(q, p, "restartPolicy"), rp, only);
            always = streq(rp, "Always");
        }
        const char *name = str_or(c, "name", "");
        if (*name ? api_seen_add(&names, name) : api_seen_has(&names, name))
            api_err_duplicate_str(e, CH(q, p, "name"), name);
        struct api_seen seen = { 0 }; /* upstream checks each init container alone, as its list's item 0 */
        host_port_conflicts(c, path, 0, &seen, e);
        api_seen_free(&seen);
        if (always) {
            if (api_jobj(c, "lifecycle"))
                validate_lifecycle(api_jobj(c, "lifecycle"), grace, have_grace, CH(q, p, "lifecycle"), e);
            validate_probe(api_jobj(c, "livenessProbe"), PROBE_LIVENESS, grace, have_grace, CH(q, p, "livenessProbe"),
                           e);
            validate_probe(api_jobj(c, "readinessProbe"), PROBE_READINESS, grace, have_grace,
                           CH(q, p, "readinessProbe"), e);
            validate_probe(api_jobj(c, "startupProbe"), PROBE_STARTUP, grace, have_grace, CH(q, p, "startupProbe"), e);
        } else {
            static const char *const fields[] = { "lifecycle", "livenessProbe", "readinessProbe", "startupProbe",
                                                  NULL };
            for (int k = 0; fields[k]; k++)
                if (api_jhas(c, fields[k]))
                    api_err_forbidden(e, CH(q, p, fields[k]),
                                      "may not be set for init containers without restartPolicy=Always");
        }
    }
    api_seen_free(&names);
}

/* ---- tolerations, affinity, dns, spread ---- */

static void
join_label_value_msgs(const char *v, char *out, size_t n)
{
    struct api_msgs m;
    api_msgs_label_value(v, &m);
    out[0] = '\0';
    size_t len = 0;
    for (size_t i = 0; i < m.n && len < n; i++)
        len += (size_t)snprintf(out + len, n - len, "%s%s", i ? ";" : "", m.msg[i]);
}

static const char *const taint_effects[] = { "NoSchedule", "PreferNoSchedule", "NoExecute", NULL };

static void
validate_tolerations(const json_t *tols, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    size_t i;
    json_t *t;
    json_array_foreach(tols, i, t)
    {
        IX(p, path, i);
        const char *key = str_or(t, "key", ""), *op = str_or(t, "operator", ""), *val = str_or(t, "value", "");
        const char *eff = str_or(t, "effect", "");
        if (*key)
            check_qualified(key, CH(q, p, "key"), e);
        if (!*key && !streq(op, "Exists"))
            api_err_invalid_str(e, CH(q, p, "operator"), op,
                                "operator must be Exists when `key` is empty, which means \"match all values and all "
                                "keys\"");
        if (api_jhas(t, "tolerationSeconds") && !streq(eff, "NoExecute"))
            api_err_invalid_str(e, CH(q, p, "effect"), eff,
                                "effect must be 'NoExecute' when `tolerationSeconds` is set");
        if (streq(op, "Equal") || !*op) {
            char msg[1024];
            join_label_value_msgs(val, msg, sizeof(msg));
            if (*msg)
                api_err_invalid_str(e, CH(q, p, "operator"), val, msg);
        } else if (streq(op, "Exists")) {
            if (*val)
                api_err_invalid_str(e, CH(q, p, "operator"), val, "value must be empty when `operator` is 'Exists'");
        } else {
            static const char *const ops[] = { "Equal", "Exists", NULL };
            api_err_not_supported(e, CH(q, p, "operator"), op, ops);
        }
        if (*eff && !in_list(eff, taint_effects))
            api_err_not_supported(e, CH(q, p, "effect"), eff, taint_effects);
    }
}

static void
validate_node_selector_term(const json_t *term, bool check_values, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX], r[API_PATH_MAX];
    size_t j;
    json_t *rq;
    json_array_foreach(api_jarr(term, "matchExpressions"), j, rq)
    {
        IX(p, CH(q, path, "matchExpressions"), j);
        const char *op = str_or(rq, "operator", "");
        size_t nv = json_array_size(api_jarr(rq, "values"));
        if (streq(op, "In") || streq(op, "NotIn")) {
            if (nv == 0)
                api_err_required(e, CH(q, p, "values"), "must be specified when `operator` is 'In' or 'NotIn'");
        } else if (streq(op, "Exists") || streq(op, "DoesNotExist")) {
            if (nv > 0)
                api_err_forbidden(e, CH(q, p, "values"),
                                  "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
        } else if (streq(op, "Gt") || streq(op, "Lt")) {
            if (nv != 1)
                api_err_required(e, CH(q, p, "values"),
                                 "must be specified single value when `operator` is 'Lt' or 'Gt'");
        } else {
            api_err_invalid_str(e, CH(q, p, "operator"), op, "not a valid selector operator");
        }
        check_qualified(str_or(rq, "key", ""), CH(q, p, "key"), e);
        if (check_values) {
            size_t k;
            json_t *v;
            json_array_foreach(api_jarr(rq, "values"), k, v)
            {
                const char *s = json_is_string(v) ? json_string_value(v) : "";
                struct api_msgs m;
                api_msgs_label_value(s, &m);
                api_err_invalid_each(e, IX(r, CH(q, p, "values"), k), s, &m);
            }
        }
    }
    json_array_foreach(api_jarr(term, "matchFields"), j, rq)
    {
        IX(p, CH(q, path, "matchFields"), j);
        const char *op = str_or(rq, "operator", "");
        if (streq(op, "In") || streq(op, "NotIn")) {
            if (json_array_size(api_jarr(rq, "values")) != 1)
                api_err_required(e, CH(q, p, "values"),
                                 "must be only one value when `operator` is 'In' or 'NotIn' for node field selector");
        } else {
            api_err_invalid_str(e, CH(q, p, "operator"), op, "not a valid selector operator");
        }
        const char *key = str_or(rq, "key", "");
        if (!streq(key, "metadata.name")) {
            api_err_invalid_str(e, CH(q, p, "key"), key, "not a valid field selector key");
        } else {
            size_t k;
            json_t *v;
            json_array_foreach(api_jarr(rq, "values"), k, v)
            {
                check_subdomain(json_is_string(v) ? json_string_value(v) : "", IX(r, CH(q, p, "values"), k), e);
            }
        }
    }
}

static void
validate_node_selector(const json_t *ns, bool check_values, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    CH(p, path, "nodeSelectorTerms");
    json_t *terms = api_jarr(ns, "nodeSelectorTerms");
    if (json_array_size(terms) == 0) {
        api_err_required(e, p, "must have at least one node selector term");
        return;
    }
    size_t i;
    json_t *t;
    json_array_foreach(terms, i, t)
    {
        validate_node_selector_term(t, check_values, IX(q, p, i), e);
    }
}

static void
validate_pod_affinity_term(const json_t *term, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    api_validate_label_selector(api_jobj(term, "labelSelector"), CH(p, path, "labelSelector"), e);
    api_validate_label_selector(api_jobj(term, "namespaceSelector"), CH(p, path, "namespaceSelector"), e);
    size_t i;
    json_t *ns;
    json_array_foreach(api_jarr(term, "namespaces"), i, ns)
    {
        check_label(json_is_string(ns) ? json_string_value(ns) : "", CH(p, path, "namespace"), e);
    }
    const char *tk = str_or(term, "topologyKey", "");
    if (!*tk)
        api_err_required(e, CH(p, path, "topologyKey"), "can not be empty");
    check_qualified(tk, CH(p, path, "topologyKey"), e);
}

static void
validate_pod_affinity(const json_t *pa, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX], r[API_PATH_MAX];
    size_t i;
    json_t *t;
    json_array_foreach(api_jarr(pa, "requiredDuringSchedulingIgnoredDuringExecution"), i, t)
    {
        validate_pod_affinity_term(t, IX(q, CH(p, path, "requiredDuringSchedulingIgnoredDuringExecution"), i), e);
    }
    json_array_foreach(api_jarr(pa, "preferredDuringSchedulingIgnoredDuringExecution"), i, t)
    {
        IX(q, CH(p, path, "preferredDuringSchedulingIgnoredDuringExecution"), i);
        long long w = 0;
        api_jint(t, "weight", &w);
        if (w <= 0 || w > 100)
            api_err_invalid_int(e, CH(r, q, "weight"), w, "must be in the range 1-100");
        validate_pod_affinity_term(api_jobj(t, "podAffinityTerm"), CH(r, q, "podAffinityTerm"), e);
    }
}

static void
validate_affinity(const json_t *aff, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX], r[API_PATH_MAX];
    const json_t *na = api_jobj(aff, "nodeAffinity");
    if (na) {
        CH(p, path, "nodeAffinity");
        const json_t *req = api_jobj(na, "requiredDuringSchedulingIgnoredDuringExecution");
        if (req)
            validate_node_selector(req, true, CH(q, p, "requiredDuringSchedulingIgnoredDuringExecution"), e);
        size_t i;
        json_t *t;
        json_array_foreach(api_jarr(na, "preferredDuringSchedulingIgnoredDuringExecution"), i, t)
        {
            IX(q, CH(q, p, "preferredDuringSchedulingIgnoredDuringExecution"), i);
            long long w = 0;
            api_jint(t, "weight", &w);
            if (w <= 0 || w > 100)
                api_err_invalid_int(e, CH(r, q, "weight"), w, "must be in the range 1-100");
            validate_node_selector_term(api_jobj(t, "preference"), false, CH(r, q, "preference"), e);
        }
    }
    if (api_jobj(aff, "podAffinity"))
        validate_pod_affinity(api_jobj(aff, "podAffinity"), CH(p, path, "podAffinity"), e);
    if (api_jobj(aff, "podAntiAffinity"))
        validate_pod_affinity(api_jobj(aff, "podAntiAffinity"), CH(p, path, "podAntiAffinity"), e);
}

/* DNS-1123 subdomain allowing '_' (RelaxedDNSSearchValidation is on by default in 1.33). */
static void
check_subdomain_underscore(const char *s, const char *path, struct api_errors *e)
{
    size_t n = strlen(s);
    bool ok = n > 0;
    size_t start = 0;
    for (size_t i = 0; ok && i <= n; i++) {
        if (i < n && s[i] != '.')
            continue;
        /* _?[a-z0-9]([-_a-z0-9]*[a-z0-9])? */
        const char *l = s + start;
        size_t len = i - start;
        if (len && l[0] == '_') {
            l++;
            len--;
        }
        if (len == 0 || !((l[0] >= 'a' && l[0] <= 'z') || isdigit((unsigned char)l[0])) ||
            !((l[len - 1] >= 'a' && l[len - 1] <= 'z') || isdigit((unsigned char)l[len - 1])))
            ok = false;
        for (size_t k = 1; ok && k + 1 < len; k++)
            if (!((l[k] >= 'a' && l[k] <= 'z') || isdigit((unsigned char)l[k]) || l[k] == '-' || l[k] == '_'))
                ok = false;
        start = i + 1;
    }
    if (n > 253)
        api_err_invalid_str(e, path, s, "must be no more than 253 characters");
    if (!ok)
        api_err_invalid_str(e, path, s,
                            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', "
                            "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
                            "regex used for validation is '_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\\._?[a-z0-9]([-_a-z0-9]*"
                            "[a-z0-9])?)*')");
}

static void
validate_dns_config(const json_t *cfg, const char *policy, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    if (streq(policy, "None")) {
        if (!json_is_object(cfg)) {
            api_err_required(e, path, "must provide `dnsConfig` when `dnsPolicy` is None");
            return;
        }
        if (json_array_size(api_jarr(cfg, "nameservers")) == 0) {
            api_err_required(e, CH(p, path, "nameservers"),
                             "must provide at least one DNS nameserver when `dnsPolicy` is None");
            return;
        }
    }
    if (!json_is_object(cfg))
        return;
    json_t *ns = api_jarr(cfg, "nameservers");
    if (json_array_size(ns) > 3) {
        struct api_sb v = { 0 };
        api_go_string_slice(&v, ns);
        api_err_invalid_raw(e, CH(p, path, "nameservers"), api_sb_str(&v), "must not have more than 3 nameservers");
        api_sb_free(&v);
    }
    size_t i;
    json_t *s;
    json_array_foreach(ns, i, s)
    {
        const char *ip = json_is_string(s) ? json_string_value(s) : "";
        if (!api_parse_ip(ip, NULL))
            api_err_invalid_str(e, IX(q, CH(p, path, "nameservers"), i), ip,
                                "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
    }
    json_t *searches = api_jarr(cfg, "searches");
    size_t total = 0;
    json_array_foreach(searches, i, s)
    {
        total += (i ? 1 : 0) + (json_is_string(s) ? json_string_length(s) : 0);
    }
    if (json_array_size(searches) > 32 || total > 2048) {
        struct api_sb v = { 0 };
        api_go_string_slice(&v, searches);
        if (json_array_size(searches) > 32)
            api_err_invalid_raw(e, CH(p, path, "searches"), api_sb_str(&v), "must not have more than 32 search paths");
        if (total > 2048)
            api_err_invalid_raw(e, CH(p, path, "searches"), api_sb_str(&v),
                                "must not have more than 2048 characters (including spaces) in the search list");
        api_sb_free(&v);
    }
    json_array_foreach(searches, i, s)
    {
        const char *sv = json_is_string(s) ? json_string_value(s) : "";
        if (streq(sv, "."))
            continue;
        char trimmed[512];
        snprintf(trimmed, sizeof(trimmed), "%s", sv);
        size_t n = strlen(trimmed);
        if (n && trimmed[n - 1] == '.')
            trimmed[n - 1] = '\0';
        check_subdomain_underscore(trimmed, IX(q, CH(p, path, "searches"), i), e);
    }
    json_t *opt;
    json_array_foreach(api_jarr(cfg, "options"), i, opt)
    {
        if (!*str_or(opt, "name", ""))
            api_err_required(e, IX(q, CH(p, path, "options"), i), "must not be empty");
    }
}

static void
validate_spread_constraints(const json_t *list, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c)
    {
        IX(p, path, i);
        long long skew = 0;
        api_jint(c, "maxSkew", &skew);
        if (skew <= 0)
            api_err_invalid_int(e, CH(q, p, "maxSkew"), skew, "must be greater than zero");
        const char *tk = str_or(c, "topologyKey", ""), *wu = str_or(c, "whenUnsatisfiable", "");
        if (!*tk)
            api_err_required(e, CH(q, p, "topologyKey"), "can not be empty");
        static const char *const actions[] = { "DoNotSchedule", "ScheduleAnyway", NULL };
        if (!in_list(wu, actions))
            api_err_not_supported(e, CH(q, p, "whenUnsatisfiable"), wu, actions);
        for (size_t j = i + 1; j < json_array_size(list); j++) {
            json_t *o = json_array_get(list, j);
            if (streq(str_or(o, "topologyKey", ""), tk) && streq(str_or(o, "whenUnsatisfiable", ""), wu)) {
                char v[600];
                snprintf(v, sizeof(v), "{%s, %s}", tk, wu);
                api_err_duplicate_str(e, CH(q, p, "{topologyKey, whenUnsatisfiable}"), v);
                break;
            }
        }
        long long md;
        if (api_jint(c, "minDomains", &md)) {
            if (md <= 0)
                api_err_invalid_int(e, CH(q, p, "minDomains"), md, "must be greater than zero");
            if (!streq(wu, "DoNotSchedule")) {
                char msg[200];
                snprintf(msg, sizeof(msg), "can only use minDomains if whenUnsatisfiable=DoNotSchedule, not %s", wu);
                api_err_invalid_int(e, CH(q, p, "minDomains"), md, msg);
            }
        }
        static const char *const pols[] = { "Honor", "Ignore", NULL };
        const char *nap = api_jstr(c, "nodeAffinityPolicy"), *ntp = api_jstr(c, "nodeTaintsPolicy");
        if (nap && !in_list(nap, pols))
            api_err_not_supported(e, CH(q, p, "nodeAffinityPolicy"), nap, pols);
        if (ntp && !in_list(ntp, pols))
            api_err_not_supported(e, CH(q, p, "nodeTaintsPolicy"), ntp, pols);
        api_validate_label_selector(api_jobj(c, "labelSelector"), CH(q, p, "labelSelector"), e);
    }
}

static void
validate_pod_security_context(const json_t *sc, const json_t *spec, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    if (!json_is_object(sc))
        return;
    check_id(sc, "fsGroup", CH(p, path, "fsGroup"), e);
    check_id(sc, "runAsUser", CH(p, path, "runAsUser"), e);
    check_id(sc, "runAsGroup", CH(p, path, "runAsGroup"), e);
    size_t i;
    json_t *g;
    json_array_foreach(api_jarr(sc, "supplementalGroups"), i, g)
    {
        if (json_is_integer(g) && (json_integer_value(g) < 0 || json_integer_value(g) > 4294967295LL))
            api_err_invalid_int(e, IX(q, CH(p, path, "supplementalGroups"), i), json_integer_value(g), UID_RANGE);
    }
    bool share = false, hostpid = false;
    if (api_jbool(spec, "shareProcessNamespace", &share) && share && api_jbool(spec, "hostPID", &hostpid) && hostpid)
        api_err_invalid_raw(e, CH(p, path, "shareProcessNamespace"), "true",
                            "ShareProcessNamespace and HostPID cannot both be enabled");
    struct api_seen names = { 0 };
    json_t *s;
    json_array_foreach(api_jarr(sc, "sysctls"), i, s)
    {
        IX(q, CH(p, path, "sysctls"), i);
        char np[API_PATH_MAX];
        CH(np, q, "name");
        const char *n = str_or(s, "name", "");
        bool dup = api_seen_add(&names, n);
        /* (SysctlSegmentFmt[./])*SysctlSegmentFmt with segments [a-z0-9]([-_a-z0-9]*[a-z0-9])? */
        bool ok = *n && strlen(n) <= 253;
        size_t start = 0, len = strlen(n);
        for (size_t k = 0; ok && k <= len; k++) {
            if (k < len && n[k] != '.' && n[k] != '/')
                continue;
            const char *seg = n + start;
            size_t sl = k - start;
            if (sl == 0 || !((seg[0] >= 'a' && seg[0] <= 'z') || isdigit((unsigned char)seg[0])) ||
                !((seg[sl - 1] >= 'a' && seg[sl - 1] <= 'z') || isdigit((unsigned char)seg[sl - 1])))
                ok = false;
            for (size_t m = 1; ok && m + 1 < sl; m++)
                if (!((seg[m] >= 'a' && seg[m] <= 'z') || isdigit((unsigned char)seg[m]) || seg[m] == '-' ||
                      seg[m] == '_'))
                    ok = false;
            start = k + 1;
        }
        if (!*n)
            api_err_required(e, np, "");
        else if (!ok)
            api_err_invalid_str(e, np, n,
                                "must have at most 253 characters and match regex "
                                "^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$");
        else if (dup)
            api_err_duplicate_str(e, np, n);
    }
    api_seen_free(&names);
    const char *fcp = api_jstr(sc, "fsGroupChangePolicy");
    static const char *const fcps[] = { "Always", "OnRootMismatch", NULL };
    if (fcp && !in_list(fcp, fcps))
        api_err_not_supported(e, CH(p, path, "fsGroupChangePolicy"), fcp, fcps);
    validate_seccomp(api_jobj(sc, "seccompProfile"), CH(p, path, "seccompProfile"), e);
    const char *sgp = api_jstr(sc, "supplementalGroupsPolicy");
    static const char *const sgps[] = { "Merge", "Strict", NULL };
    if (sgp && !in_list(sgp, sgps))
        api_err_not_supported(e, CH(p, path, "supplementalGroupsPolicy"), sgp, sgps);
    const char *slc = api_jstr(sc, "seLinuxChangePolicy");
    static const char *const slcs[] = { "MountOption", "Recursive", NULL };
    if (slc && !in_list(slc, slcs))
        api_err_not_supported(e, CH(p, path, "seLinuxChangePolicy"), slc, slcs);
}

/* ---- pod spec ---- */

static const char *const restart_policies[] = { "Always", "OnFailure", "Never", NULL };
static const char *const dns_policies[] = { "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None", NULL };

/* ValidatePodSpec. is_pod: the PodSpec of a Pod (not a template): hostPort must equal containerPort under
 * hostNetwork. Not checked: resource claims, pod-level resources (off by default in 1.33), Windows host-process
 * rules, user namespaces, AppArmor and seccomp annotation/field agreement, sysctls vs host namespaces. */
static void
validate_pod_spec(const json_t *spec, bool is_pod, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX], r[API_PATH_MAX];
    long long grace = 0;
    bool have_grace = api_jint(spec, "terminationGracePeriodSeconds", &grace);
    if (!have_grace)
        api_err_required(e, CH(p, path, "terminationGracePeriodSeconds"), "");
    struct vols vols;
    validate_volumes(api_jarr(spec, "volumes"), CH(p, path, "volumes"), &vols, e);
    const char *restart = str_or(spec, "restartPolicy", "");
    validate_containers(api_jarr(spec, "containers"), &vols, restart, grace, have_grace, CH(p, path, "containers"), e);
    validate_init_containers(api_jarr(spec, "initContainers"), api_jarr(spec, "containers"), &vols, restart, grace,
                             have_grace, CH(p, path, "initContainers"), e);
    /* ephemeral containers: only through the ephemeralcontainers subresource (see the callers) */
    free(vols.v);

    bool host_net = false;
    if (api_jbool(spec, "hostNetwork", &host_net) && host_net) {
        size_t i, j;
        json_t *c, *port;
        json_array_foreach(api_jarr(spec, "containers"), i, c)
        {
            json_array_foreach(api_jarr(c, "ports"), j, port)
            {
                long long hp = 0, cp = 0;
                api_jint(port, "hostPort", &hp);
                api_jint(port, "containerPort", &cp);
                if ((is_pod || hp != 0) && hp != cp) {
                    IX(q, CH(p, IX(p, CH(r, path, "containers"), i), "ports"), j);
                    api_err_invalid_int(e, CH(p, q, "hostPort"), hp,
                                        "must match `containerPort` when `hostNetwork` is true");
                }
            }
        }
    }
    check_enum(spec, "restartPolicy", CH(p, path, "restartPolicy"), restart_policies, true, e);
    check_enum(spec, "dnsPolicy", CH(p, path, "dnsPolicy"), dns_policies, true, e);
    api_validate_labels(api_jobj(spec, "nodeSelector"), CH(p, path, "nodeSelector"), e);
    validate_pod_security_context(api_jobj(spec, "securityContext"), spec, CH(p, path, "securityContext"), e);
    validate_affinity(api_jobj(spec, "affinity"), CH(p, path, "affinity"), e);
    validate_dns_config(api_jobj(spec, "dnsConfig"), api_jstr(spec, "dnsPolicy"), CH(p, path, "dnsConfig"), e);
    size_t i;
    json_t *g;
    json_array_foreach(api_jarr(spec, "readinessGates"), i, g)
    {
        check_qualified(str_or(g, "conditionType", ""), CH(q, IX(p, CH(r, path, "readinessGates"), i), "conditionType"),
                        e);
    }
    struct api_seen gates = { 0 };
    json_array_foreach(api_jarr(spec, "schedulingGates"), i, g)
    {
        const char *n = str_or(g, "name", "");
        IX(p, CH(r, path, "schedulingGates"), i);
        check_qualified(n, p, e);
        if (api_seen_add(&gates, n))
            api_err_duplicate_str(e, p, n);
    }
    api_seen_free(&gates);
    validate_spread_constraints(api_jarr(spec, "topologySpreadConstraints"), CH(p, path, "topologySpreadConstraints"),
                                e);
    const char *s;
    if ((s = api_jstr(spec, "serviceAccountName")) && *s)
        check_subdomain(s, CH(p, path, "serviceAccountName"), e);
    if ((s = api_jstr(spec, "nodeName")) && *s)
        check_subdomain(s, CH(p, path, "nodeName"), e);
    long long ads;
    if (api_jint(spec, "activeDeadlineSeconds", &ads) && (ads < 1 || ads > INT_MAX))
        api_err_invalid_int(e, CH(p, path, "activeDeadlineSeconds"), ads,
                            "must be between 1 and 2147483647, inclusive");
    if ((s = api_jstr(spec, "hostname")) && *s)
        check_label(s, CH(p, path, "hostname"), e);
    if ((s = api_jstr(spec, "subdomain")) && *s)
        check_label(s, CH(p, path, "subdomain"), e);
    validate_tolerations(api_jarr(spec, "tolerations"), CH(p, path, "tolerations"), e);
    json_t *ha;
    json_array_foreach(api_jarr(spec, "hostAliases"), i, ha)
    {
        IX(p, CH(r, path, "hostAliases"), i);
        const char *ip = str_or(ha, "ip", "");
        if (!api_parse_ip(ip, NULL))
            api_err_invalid_str(e, CH(q, p, "ip"), ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
        size_t j;
        json_t *hn;
        json_array_foreach(api_jarr(ha, "hostnames"), j, hn)
        {
            char hp[API_PATH_MAX];
            check_subdomain(json_is_string(hn) ? json_string_value(hn) : "", IX(hp, CH(q, p, "hostnames"), j), e);
        }
    }
    if ((s = api_jstr(spec, "priorityClassName")) && *s)
        check_subdomain(s, CH(p, path, "priorityClassName"), e);
    if ((s = api_jstr(spec, "runtimeClassName")))
        check_subdomain(s, CH(p, path, "runtimeClassName"), e);
    static const char *const preempt[] = { "PreemptLowerPriority", "Never", NULL };
    if (api_jhas(spec, "preemptionPolicy"))
        check_enum(spec, "preemptionPolicy", CH(p, path, "preemptionPolicy"), preempt, true, e);
    if (api_jobj(spec, "overhead")) {
        json_t *wrap = json_pack("{s:O}", "limits", api_jobj(spec, "overhead"));
        /* upstream reuses the container check on {Limits: overhead}: errors name overhead.limits[...] */
        validate_resources(wrap, CH(p, path, "overhead"), e);
        json_decref(wrap);
    }
    const json_t *os = api_jobj(spec, "os");
    if (os) {
        const char *n = str_or(os, "name", "");
        static const char *const oses[] = { "linux", "windows", NULL };
        if (!*n)
            api_err_required(e, CH(q, CH(p, path, "os"), "name"), "cannot be empty");
        else if (!in_list(n, oses))
            api_err_not_supported(e, CH(p, path, "os"), n, oses);
    }
}

/* ValidatePodTemplateSpec: template labels and annotations, the pod spec, no ephemeral containers. */
static void
validate_pod_template(const json_t *tmpl, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    const json_t *meta = api_jobj(tmpl, "metadata");
    api_validate_labels(api_jobj(meta, "labels"), CH(p, path, "labels"), e);
    /* annotations: the same rule as metadata.annotations */
    const json_t *ann = api_jobj(meta, "annotations");
    const char *k;
    json_t *v;
    size_t total = 0;
    json_object_foreach((json_t *)ann, k, v)
    {
        char lower[512];
        snprintf(lower, sizeof(lower), "%s", k);
        for (char *c = lower; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        struct api_msgs m;
        api_msgs_qualified_name(lower, &m);
        api_err_invalid_each(e, CH(p, path, "annotations"), k, &m);
        total += strlen(k) + (json_is_string(v) ? json_string_length(v) : 0);
    }
    if (total > 256 * 1024)
        api_err_too_long(e, CH(p, path, "annotations"), 256 * 1024);
    const json_t *spec = api_jobj(tmpl, "spec");
    validate_pod_spec(spec, false, CH(p, path, "spec"), e);
    if (json_array_size(api_jarr(spec, "ephemeralContainers")) > 0)
        api_err_forbidden(e, CH(q, CH(p, path, "spec"), "ephemeralContainers"),
                          "ephemeral containers not allowed in pod template");
}

/* Images of a Pod (not a template) must not have surrounding whitespace. */
static void
images_trimmed(const json_t *containers, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    size_t i;
    json_t *c;
    json_array_foreach(containers, i, c)
    {
        const char *img = str_or(c, "image", "");
        size_t n = strlen(img);
        if (n && (isspace((unsigned char)img[0]) || isspace((unsigned char)img[n - 1])))
            api_err_invalid_str(e, CH(q, IX(p, path, i), "image"), img, "must not have leading or trailing whitespace");
    }
}

/* ---- Pod ---- */

static const char *const pod_updatable_fields =
    "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
    "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/* ValidatePodSpecificAnnotations: mirror pods need a node, the deletion cost is an int32. (The deprecated
 * tolerations, seccomp and AppArmor annotations are not checked.) */
static void
validate_pod_annotations(const json_t *ann, const json_t *spec, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    const char *mirror = api_jstr(ann, "kubernetes.io/config.mirror");
    if (mirror && !*str_or(spec, "nodeName", ""))
        api_err_invalid_str(e, api_path_key(p, path, "kubernetes.io/config.mirror"), mirror,
                            "must set spec.nodeName if mirror pod annotation is set");
    const char *cost = api_jstr(ann, "controller.kubernetes.io/pod-deletion-cost");
    if (cost) {
        bool ok = *cost == '-' || isdigit((unsigned char)*cost);
        char *end = NULL;
        errno = 0;
        long long v = ok ? strtoll(cost, &end, 10) : 0;
        if (!ok || errno || !end || *end || end == cost || v < INT_MIN || v > INT_MAX || (*cost == '-' && !cost[1]))
            api_err_invalid_str(e, api_path_key(p, path, "controller.kubernetes.io/pod-deletion-cost"), cost,
                                "must be a 32bit integer");
    }
}

static void
validate_pod_metadata_and_spec(const json_t *pod, struct api_errors *e)
{
    const json_t *spec = api_jobj(pod, "spec");
    validate_pod_annotations(api_jobj(api_jobj(pod, "metadata"), "annotations"), spec, "metadata.annotations", e);
    validate_pod_spec(spec, true, "spec", e);
    images_trimmed(api_jarr(spec, "containers"), "spec.containers", e);
    images_trimmed(api_jarr(spec, "initContainers"), "spec.initContainers", e);
}

/* ValidateContainerUpdates: returns false when the container lists differ in length (validation stops). */
static bool
container_updates(const json_t *nc, const json_t *oc, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    if (json_array_size(nc) != json_array_size(oc)) {
        api_err_forbidden(e, path, "pod updates may not add or remove containers");
        return false;
    }
    size_t i;
    json_t *c;
    json_array_foreach(nc, i, c)
    {
        IX(p, path, i);
        const char *img = str_or(c, "image", "");
        if (!*img)
            api_err_required(e, CH(q, p, "image"), "");
        size_t n = strlen(img);
        if (n && (isspace((unsigned char)img[0]) || isspace((unsigned char)img[n - 1])))
            api_err_invalid_str(e, CH(q, p, "image"), img, "must not have leading or trailing whitespace");
    }
    return true;
}

static void
validate_pod_update(const json_t *pod, const json_t *old, struct api_errors *e)
{
    const json_t *ns = api_jobj(pod, "spec"), *os = api_jobj(old, "spec");
    if (!container_updates(api_jarr(ns, "containers"), api_jarr(os, "containers"), "spec.containers", e))
        return;
    if (!container_updates(api_jarr(ns, "initContainers"), api_jarr(os, "initContainers"), "spec.initContainers", e))
        return;
    long long na, oa;
    bool hn = api_jint(ns, "activeDeadlineSeconds", &na), ho = api_jint(os, "activeDeadlineSeconds", &oa);
    if (hn) {
        if (na < 0 || na > INT_MAX) {
            api_err_invalid_int(e, "spec.activeDeadlineSeconds", na, "must be between 0 and 2147483647, inclusive");
            return;
        }
        if (ho && oa < na) {
            api_err_invalid_int(e, "spec.activeDeadlineSeconds", na, "must be less than or equal to previous value");
            return;
        }
    } else if (ho) {
        api_err_invalid_raw(e, "spec.activeDeadlineSeconds", "null",
                            "must not update from a positive integer to nil value");
    }
    /* Only additions to tolerations (an existing one may change its tolerationSeconds). */
    size_t i, j;
    json_t *ot, *nt;
    bool tol_ok = true;
    json_array_foreach(api_jarr(os, "tolerations"), i, ot)
    {
        bool found = false;
        json_array_foreach(api_jarr(ns, "tolerations"), j, nt)
        {
            json_t *a = json_deep_copy(ot), *b = json_deep_copy(nt);
            if (a && b) {
                json_object_del(a, "tolerationSeconds");
                json_object_del(b, "tolerationSeconds");
                if (sem_equal(a, b))
                    found = true;
            }
            json_decref(a);
            json_decref(b);
        }
        if (!found) {
            api_err_forbidden(e, "spec.tolerations",
                              "existing toleration can not be modified except its tolerationSeconds");
            tol_ok = false;
            break;
        }
    }
    if (tol_ok)
        validate_tolerations(api_jarr(ns, "tolerations"), "spec.tolerations", e);
    /* Only deletions of scheduling gates. */
    json_t *g;
    json_array_foreach(api_jarr(ns, "schedulingGates"), i, g)
    {
        bool found = false;
        json_t *og;
        json_array_foreach(api_jarr(os, "schedulingGates"), j, og)
        {
            if (streq(str_or(g, "name", ""), str_or(og, "name", "")))
                found = true;
        }
        if (!found) {
            char p[API_PATH_MAX], msg[512];
            snprintf(msg, sizeof(msg), "only deletion is allowed, but found new scheduling gate '%s'",
                     str_or(g, "name", ""));
            api_err_forbidden(e, CH(p, IX(p, "spec.schedulingGates", i), "name"), msg);
        }
    }
    if (sem_equal(ns, os))
        return;
    /* Munge the updatable fields to the old values and compare the rest. */
    json_t *m = json_deep_copy(ns);
    if (!m) {
        e->n++;
        return;
    }
    static const char *const lists[] = { "containers", "initContainers", NULL };
    for (int k = 0; lists[k]; k++) {
        json_t *mc = api_jarr(m, lists[k]), *oc = api_jarr(os, lists[k]);
        json_t *c;
        json_array_foreach(mc, i, c)
        {
            json_t *img = api_jget(json_array_get(oc, i), "image");
            if (img)
                json_object_set(c, "image", img);
            else
                json_object_del(c, "image");
        }
    }
    static const char *const keep[] = { "activeDeadlineSeconds", "schedulingGates", "tolerations", NULL };
    for (int k = 0; keep[k]; k++) {
        json_t *v = api_jget(os, keep[k]);
        if (v)
            json_object_set(m, keep[k], v);
        else
            json_object_del(m, keep[k]);
    }
    long long og = 0, mg = 0;
    if (api_jint(os, "terminationGracePeriodSeconds", &og) && og < 0 &&
        api_jint(m, "terminationGracePeriodSeconds", &mg) && mg == 1)
        json_object_set_new(m, "terminationGracePeriodSeconds", json_integer(og));
    /* Gated pods may add node selectors. (Node affinity changes of gated pods are not special-cased.) */
    if (json_array_size(api_jarr(os, "schedulingGates")) > 0) {
        json_t *nsel = api_jobj(m, "nodeSelector"), *osel = api_jobj(os, "nodeSelector");
        if (!sem_equal(nsel, osel)) {
            const char *k;
            json_t *v;
            json_object_foreach(osel, k, v)
            {
                json_t *nv = api_jget(nsel, k);
                if (!nv || !json_equal(nv, v)) {
                    struct api_sb sb = { 0 };
                    api_go_string_map(&sb, nsel);
                    api_err_invalid_raw(e, "spec.nodeSelector", api_sb_str(&sb),
                                        "only additions to spec.nodeSelector are allowed (no mutations or deletions)");
                    api_sb_free(&sb);
                    break;
                }
            }
            if (osel)
                json_object_set(m, "nodeSelector", osel);
            else
                json_object_del(m, "nodeSelector");
        }
    }
    if (!sem_equal(m, os))
        forbidden_diff(e, "spec", pod_updatable_fields, os, m, "spec");
    json_decref(m);
}

void
api_validate_core_pod(const struct api_resource *r, const json_t *obj, const json_t *old, struct api_errors *errs)
{
    (void)r;
    validate_pod_metadata_and_spec(obj, errs);
    const json_t *spec = api_jobj(obj, "spec");
    if (!old) {
        if (json_array_size(api_jarr(spec, "ephemeralContainers")) > 0)
            api_err_forbidden(errs, "spec.ephemeralContainers", "cannot be set on create");
        if (*str_or(spec, "nodeName", "") && json_array_size(api_jarr(spec, "schedulingGates")) != 0)
            api_err_forbidden(errs, "spec.nodeName", "cannot be set until all schedulingGates have been cleared");
        return;
    }
    validate_pod_update(obj, old, errs);
}

/* ---- Service ---- */

static const char *const service_types[] = { "ClusterIP", "ExternalName", "LoadBalancer", "NodePort", NULL };
#define BAD_IP   "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
#define BAD_CIDR "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"

static void
non_special_ip(const char *ip, const char *path, struct api_errors *e)
{
    uint8_t b[16];
    int fam = api_parse_ip(ip, b);
    if (!fam) {
        api_err_invalid_str(e, path, ip, "must be a valid IP address");
        return;
    }
    static const uint8_t zero[16] = { 0 };
    bool unspecified = fam == 4 ? (b[12] | b[13] | b[14] | b[15]) == 0 : memcmp(b, zero, 16) == 0;
    bool loopback = fam == 4 ? b[12] == 127 : (memcmp(b, zero, 15) == 0 && b[15] == 1);
    bool ll_unicast = fam == 4 ? (b[12] == 169 && b[13] == 254) : (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
    bool ll_multicast = fam == 4 ? (b[12] == 224 && b[13] == 0 && b[14] == 0) : (b[0] == 0xff && (b[1] & 0x0f) == 0x02);
    char msg[128];
    if (unspecified) {
        snprintf(msg, sizeof(msg), "may not be unspecified (%s)", ip);
        api_err_invalid_str(e, path, ip, msg);
    }
    if (loopback)
        api_err_invalid_str(e, path, ip, "may not be in the loopback range (127.0.0.0/8, ::1/128)");
    if (ll_unicast)
        api_err_invalid_str(e, path, ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)");
    if (ll_multicast)
        api_err_invalid_str(e, path, ip, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)");
}

static bool
is_headless(const json_t *spec)
{
    json_t *ips = api_jarr(spec, "clusterIPs");
    return json_array_size(ips) == 1 && streq(json_string_value(json_array_get(ips, 0)), "None");
}

static void
string_slice_raw(struct api_sb *sb, const json_t *arr)
{
    api_go_string_slice(sb, arr);
}

static void
validate_service_cluster_ips(const json_t *spec, struct api_errors *e)
{
    char p[API_PATH_MAX];
    if (streq(api_jstr(spec, "type"), "ExternalName"))
        return;
    const char *cip = str_or(spec, "clusterIP", "");
    json_t *ips = api_jarr(spec, "clusterIPs");
    size_t nips = json_array_size(ips);
    struct api_sb v = { 0 };
    string_slice_raw(&v, ips);
    if (*cip) {
        if (nips == 0)
            api_err_required(e, "spec.clusterIPs", "");
        else if (!streq(json_string_value(json_array_get(ips, 0)), cip))
            api_err_invalid_raw(e, "spec.clusterIPs", api_sb_str(&v), "first value must match `clusterIP`");
    } else if (nips != 0) {
        api_err_invalid_raw(e, "spec.clusterIPs", api_sb_str(&v), "must be empty when `clusterIP` is not specified");
    }
    static const char *const families[] = { "IPv4", "IPv6", NULL };
    size_t i;
    json_t *f;
    json_array_foreach(api_jarr(spec, "ipFamilies"), i, f)
    {
        const char *fs = json_is_string(f) ? json_string_value(f) : "";
        IX(p, "spec.ipFamilies", i);
        if (!in_list(fs, families))
            api_err_not_supported(e, p, fs, families);
        for (size_t j = 0; j < i; j++)
            if (streq(json_string_value(json_array_get(api_jarr(spec, "ipFamilies"), j)), fs)) {
                api_err_duplicate_str(e, p, fs);
                break;
            }
    }
    static const char *const policies[] = { "PreferDualStack", "RequireDualStack", "SingleStack", NULL };
    const char *pol = api_jstr(spec, "ipFamilyPolicy");
    if (pol && !in_list(pol, policies))
        api_err_not_supported(e, "spec.ipFamilyPolicy", pol, policies);
    bool invalid = false;
    json_t *ip;
    int fams[2] = { 0, 0 };
    json_array_foreach(ips, i, ip)
    {
        const char *s = json_is_string(ip) ? json_string_value(ip) : "";
        if (i == 0 && streq(s, "None")) {
            if (nips > 1) {
                invalid = true;
                api_err_invalid_raw(e, "spec.clusterIPs", api_sb_str(&v), "'None' must be the first and only value");
            }
            continue;
        }
        int fam = api_parse_ip(s, NULL);
        if (!fam) {
            invalid = true;
            api_err_invalid_str(e, IX(p, "spec.clusterIPs", i), s, BAD_IP);
        } else if (i < 2) {
            fams[i] = fam;
        }
    }
    if (nips > 2)
        api_err_invalid_raw(e, "spec.clusterIPs", api_sb_str(&v), "may only hold up to 2 values");
    if (!invalid) {
        if (nips > 1 && (nips > 2 || fams[0] == fams[1]))
            api_err_invalid_raw(e, "spec.clusterIPs", api_sb_str(&v),
                                "may specify no more than one IP for each IP family");
        if (!is_headless(spec) && nips > 0) {
            json_array_foreach(ips, i, ip)
            {
                json_t *fam = json_array_get(api_jarr(spec, "ipFamilies"), i);
                if (!fam)
                    break;
                const char *s = json_string_value(ip);
                int got = api_parse_ip(s, NULL);
                char msg[128];
                if (streq(json_string_value(fam), "IPv4") && got == 6) {
                    snprintf(msg, sizeof(msg), "expected an IPv4 value as indicated by `ipFamilies[%zu]`", i);
                    api_err_invalid_str(e, IX(p, "spec.clusterIPs", i), s, msg);
                }
                if (streq(json_string_value(fam), "IPv6") && got != 6) {
                    snprintf(msg, sizeof(msg), "expected an IPv6 value as indicated by `ipFamilies[%zu]`", i);
                    api_err_invalid_str(e, IX(p, "spec.clusterIPs", i), s, msg);
                }
            }
        }
    }
    api_sb_free(&v);
}

/* %#v of the core.ServicePort key upstream uses for duplicate (protocol, port) pairs. */
static void
service_port_key(struct api_sb *sb, const char *protocol, long long port)
{
    api_sb_puts(sb, "core.ServicePort{Name:\"\", Protocol:");
    api_go_quote(sb, protocol);
    api_sb_printf(sb,
                  ", AppProtocol:(*string)(nil), Port:%lld, TargetPort:intstr.IntOrString{Type:0, IntVal:0, "
                  "StrVal:\"\"}, NodePort:0}",
                  port);
}

static void
validate_service(const json_t *svc, const json_t *old, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    const json_t *spec = api_jobj(svc, "spec"), *meta = api_jobj(svc, "metadata");
    const json_t *ann = api_jobj(meta, "annotations");
    const char *hints = api_jstr(ann, "service.kubernetes.io/topology-aware-hints");
    const char *mode = api_jstr(ann, "service.kubernetes.io/topology-mode");
    if (hints && mode && !streq(hints, mode))
        api_err_invalid_str(
            e, "metadata.annotations[service.kubernetes.io/topology-mode]", mode,
            "must match annotations[service.kubernetes.io/topology-aware-hints] when both are specified");
    const char *type = str_or(spec, "type", "");
    json_t *ports = api_jarr(spec, "ports");
    bool headless = is_headless(spec);
    if (json_array_size(ports) == 0 && !headless && !streq(type, "ExternalName"))
        api_err_required(e, "spec.ports", "");
    if (streq(type, "LoadBalancer") && headless)
        api_err_invalid_str(e, "spec.clusterIPs[0]", "None", "may not be set to 'None' for LoadBalancer services");
    else if (streq(type, "NodePort") && headless)
        api_err_invalid_str(e, "spec.clusterIPs[0]", "None", "may not be set to 'None' for NodePort services");
    else if (streq(type, "ExternalName")) {
        if (json_array_size(api_jarr(spec, "clusterIPs")) > 0)
            api_err_forbidden(e, "spec.clusterIPs", "may not be set for ExternalName services");
        if (json_array_size(api_jarr(spec, "ipFamilies")) > 0)
            api_err_forbidden(e, "spec.ipFamilies", "may not be set for ExternalName services");
        if (api_jhas(spec, "ipFamilyPolicy"))
            api_err_forbidden(e, "spec.ipFamilyPolicy", "may not be set for ExternalName services");
        char cname[300];
        snprintf(cname, sizeof(cname), "%s", str_or(spec, "externalName", ""));
        size_t n = strlen(cname);
        if (n && cname[n - 1] == '.')
            cname[--n] = '\0';
        if (n)
            check_subdomain(cname, "spec.externalName", e);
        else
            api_err_required(e, "spec.externalName", "");
    }
    struct api_seen names = { 0 };
    size_t i;
    json_t *port;
    json_array_foreach(ports, i, port)
    {
        IX(p, "spec.ports", i);
        const char *name = str_or(port, "name", "");
        if (json_array_size(ports) > 1 && !*name) {
            api_err_required(e, CH(q, p, "name"), "");
        } else if (*name) {
            check_label(name, CH(q, p, "name"), e);
            if (api_seen_add(&names, name))
                api_err_duplicate_str(e, CH(q, p, "name"), name);
        }
        long long pn = 0;
        api_jint(port, "port", &pn);
        if (!port_ok(pn))
            api_err_invalid_int(e, CH(q, p, "port"), pn, RANGE_PORT);
        check_enum(port, "protocol", CH(q, p, "protocol"), protocols, true, e);
        check_port_num_or_name(api_jget(port, "targetPort"), CH(q, p, "targetPort"), e);
        const char *ap = api_jstr(port, "appProtocol");
        if (ap)
            check_qualified(ap, CH(q, p, "appProtocol"), e);
    }
    api_seen_free(&names);
    if (api_jhas(spec, "selector"))
        api_validate_labels(api_jobj(spec, "selector"), "spec.selector", e);
    static const char *const affinities[] = { "ClientIP", "None", NULL };
    const char *aff = str_or(spec, "sessionAffinity", "");
    check_enum(spec, "sessionAffinity", "spec.sessionAffinity", affinities, true, e);
    if (streq(aff, "ClientIP")) {
        const json_t *cfg = api_jobj(spec, "sessionAffinityConfig");
        const json_t *cip = api_jobj(cfg, "clientIP");
        long long t;
        if (!cfg)
            api_err_required(e, "spec.sessionAffinityConfig", "when session affinity type is ClientIP");
        else if (!cip)
            api_err_required(e, "spec.sessionAffinityConfig.clientIP", "when session affinity type is ClientIP");
        else if (!api_jint(cip, "timeoutSeconds", &t))
            api_err_required(e, "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
                             "when session affinity type is ClientIP");
        else if (t <= 0 || t > 86400)
            api_err_invalid_int(e, "spec.sessionAffinityConfig.clientIP.timeoutSeconds", t,
                                "must be greater than 0 and less than 86400");
    } else if (streq(aff, "None") && api_jhas(spec, "sessionAffinityConfig")) {
        api_err_forbidden(e, "spec.sessionAffinityConfig", "must not be set when session affinity is None");
    }
    validate_service_cluster_ips(spec, e);
    json_t *ip;
    json_array_foreach(api_jarr(spec, "externalIPs"), i, ip)
    {
        const char *s = json_is_string(ip) ? json_string_value(ip) : "";
        IX(p, "spec.externalIPs", i);
        if (!api_parse_ip(s, NULL))
            api_err_invalid_str(e, p, s, BAD_IP);
        else
            non_special_ip(s, p, e);
    }
    check_enum(spec, "type", "spec.type", service_types, true, e);
    json_array_foreach(ports, i, port)
    {
        long long np = 0;
        api_jint(port, "nodePort", &np);
        if (streq(type, "ClusterIP") && np != 0)
            api_err_forbidden(e, CH(q, IX(p, "spec.ports", i), "nodePort"),
                              "may not be used when `type` is 'ClusterIP'");
        else if (np != 0 && (streq(type, "NodePort") || streq(type, "LoadBalancer")) && (np < 30000 || np > 32767))
            /* the allocator's check (--service-node-port-range 30000-32767) */
            api_err_invalid_int(e, CH(q, IX(p, "spec.ports", i), "nodePort"), np,
                                "provided port is not in the valid range. The range of valid ports is 30000-32767");
    }
    /* duplicate (protocol, nodePort) and (protocol, port) pairs */
    for (i = 0; i < json_array_size(ports); i++) {
        json_t *a = json_array_get(ports, i);
        long long anp = 0, ap = 0;
        api_jint(a, "nodePort", &anp);
        api_jint(a, "port", &ap);
        bool dup_np = false, dup_p = false;
        for (size_t j = 0; j < i; j++) {
            json_t *b = json_array_get(ports, j);
            long long bnp = 0, bp = 0;
            api_jint(b, "nodePort", &bnp);
            api_jint(b, "port", &bp);
            bool same_proto = streq(str_or(a, "protocol", ""), str_or(b, "protocol", ""));
            if (anp != 0 && same_proto && anp == bnp)
                dup_np = true;
            if (same_proto && ap == bp)
                dup_p = true;
        }
        IX(p, "spec.ports", i);
        if (dup_np) {
            char v[32];
            snprintf(v, sizeof(v), "%lld", anp);
            api_err_duplicate_raw(e, CH(q, p, "nodePort"), v, NULL);
        }
        if (dup_p) {
            struct api_sb k = { 0 };
            service_port_key(&k, str_or(a, "protocol", ""), ap);
            api_err_duplicate_raw(e, p, api_sb_str(&k), NULL);
            api_sb_free(&k);
        }
    }
    json_t *ranges = api_jarr(spec, "loadBalancerSourceRanges");
    const char *ann_ranges = api_jstr(ann, "service.beta.kubernetes.io/load-balancer-source-ranges");
    if (json_array_size(ranges) > 0) {
        if (!streq(type, "LoadBalancer"))
            api_err_forbidden(e, "spec.LoadBalancerSourceRanges", "may only be used when `type` is 'LoadBalancer'");
        json_t *rg;
        json_array_foreach(ranges, i, rg)
        {
            char t[256];
            const char *s = json_is_string(rg) ? json_string_value(rg) : "";
            while (*s == ' ')
                s++;
            snprintf(t, sizeof(t), "%s", s);
            size_t n = strlen(t);
            while (n && t[n - 1] == ' ')
                t[--n] = '\0';
            if (!api_parse_cidr(t))
                api_err_invalid_str(e, IX(p, "spec.LoadBalancerSourceRanges", i), t, BAD_CIDR);
        }
    } else if (ann_ranges) {
        const char *fp = "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]";
        if (!streq(type, "LoadBalancer"))
            api_err_forbidden(e, fp, "may only be used when `type` is 'LoadBalancer'");
        char buf[2048];
        snprintf(buf, sizeof(buf), "%s", ann_ranges);
        char *save = NULL;
        bool any = false;
        for (const char *c = buf; *c; c++)
            if (*c != ' ')
                any = true;
        for (char *tok = any ? strtok_r(buf, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
            while (*tok == ' ')
                tok++;
            size_t n = strlen(tok);
            while (n && tok[n - 1] == ' ')
                tok[--n] = '\0';
            if (!api_parse_cidr(tok))
                api_err_invalid_str(e, fp, tok, BAD_CIDR);
        }
    }
    if (api_jhas(spec, "allocateLoadBalancerNodePorts") && !streq(type, "LoadBalancer"))
        api_err_forbidden(e, "spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'");
    if (streq(type, "LoadBalancer") && !api_jhas(spec, "allocateLoadBalancerNodePorts"))
        api_err_required(e, "allocateLoadBalancerNodePorts", "");
    const char *lbc = api_jstr(spec, "loadBalancerClass");
    if (old && streq(type, "LoadBalancer") && streq(api_jstr(api_jobj(old, "spec"), "type"), "LoadBalancer") &&
        !sem_equal(api_jget(spec, "loadBalancerClass"), api_jget(api_jobj(old, "spec"), "loadBalancerClass"))) {
        if (lbc)
            api_err_invalid_str(e, "spec.loadBalancerClass", lbc, "may not change once set");
        else
            api_err_invalid_raw(e, "spec.loadBalancerClass", "null", "may not change once set");
    }
    if (streq(type, "LoadBalancer")) {
        if (lbc)
            check_qualified(lbc, "spec.loadBalancerClass", e);
    } else if (lbc) {
        api_err_forbidden(e, "spec.loadBalancerClass", "may only be used when `type` is 'LoadBalancer'");
    }
    bool external = streq(type, "LoadBalancer") || streq(type, "NodePort") ||
                    (streq(type, "ClusterIP") && json_array_size(api_jarr(spec, "externalIPs")) > 0);
    const char *etp = str_or(spec, "externalTrafficPolicy", "");
    static const char *const etps[] = { "Cluster", "Local", NULL };
    if (!external) {
        if (*etp)
            api_err_invalid_str(e, "spec.externalTrafficPolicy", etp,
                                "may only be set for externally-accessible services");
    } else {
        check_enum(spec, "externalTrafficPolicy", "spec.externalTrafficPolicy", etps, true, e);
    }
    long long hc = 0;
    api_jint(spec, "healthCheckNodePort", &hc);
    bool needs_hc = streq(type, "LoadBalancer") && streq(etp, "Local");
    if (!needs_hc) {
        if (hc != 0)
            api_err_invalid_int(e, "spec.healthCheckNodePort", hc,
                                "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'");
    } else if (hc != 0 && !port_ok(hc)) {
        api_err_invalid_int(e, "spec.healthCheckNodePort", hc, RANGE_PORT);
    }
    /* (a missing healthCheckNodePort is allocated by the server after validation, so it is not required here) */
    static const char *const itps[] = { "Cluster", "Local", NULL };
    const char *itp = api_jstr(spec, "internalTrafficPolicy");
    if (!api_jhas(spec, "internalTrafficPolicy")) {
        if (streq(type, "NodePort") || streq(type, "LoadBalancer") || streq(type, "ClusterIP"))
            api_err_required(e, "spec.internalTrafficPolicy", "");
    } else if (itp && !in_list(itp, itps)) {
        api_err_not_supported(e, "spec.internalTrafficPolicy", itp, itps);
    }
    const char *td = api_jstr(spec, "trafficDistribution");
    static const char *const tds[] = { "PreferClose", NULL };
    if (td && !streq(td, "PreferClose"))
        api_err_not_supported(e, "spec.trafficDistribution", td, tds);
}

/* Upstream patches the allocated values of the old object into an update that leaves them out
 * (patchAllocatedValues) before validating; the same view here. */
static json_t *
service_effective_ips(const json_t *spec, const json_t *ospec)
{
    json_t *ips = api_jarr(spec, "clusterIPs");
    if (json_array_size(ips) == 0 && !*str_or(spec, "clusterIP", "") &&
        !streq(api_jstr(spec, "type"), "ExternalName") && !streq(api_jstr(ospec, "type"), "ExternalName"))
        return api_jarr(ospec, "clusterIPs");
    return ips;
}

static void
validate_service_update(const json_t *svc, const json_t *old, struct api_errors *e)
{
    const json_t *spec = api_jobj(svc, "spec"), *ospec = api_jobj(old, "spec");
    const char *type = str_or(spec, "type", ""), *otype = str_or(ospec, "type", "");
    if (streq(type, "ExternalName") || streq(otype, "ExternalName"))
        goto hc;
    json_t *nips = service_effective_ips(spec, ospec), *oips = api_jarr(ospec, "clusterIPs");
    bool nh = json_array_size(nips) == 1 && streq(json_string_value(json_array_get(nips, 0)), "None");
    bool oh = is_headless(ospec);
    if (!(nh && oh)) {
        size_t nn = json_array_size(nips), on = json_array_size(oips);
        struct api_sb v = { 0 };
        api_go_string_slice(&v, nips);
        char p[API_PATH_MAX];
        if (nn == on) {
            for (size_t i = 0; i < on; i++)
                if (!json_equal(json_array_get(oips, i), json_array_get(nips, i)))
                    api_err_invalid_raw(e, IX(p, "spec.clusterIPs", i), api_sb_str(&v), "may not change once set");
        } else if (on > nn) {
            if (nn == 0)
                api_err_invalid_raw(e, "spec.clusterIPs[0]", api_sb_str(&v), "primary clusterIP can not be unset");
            if (on > 0 && nn > 0 && !json_equal(json_array_get(oips, 0), json_array_get(nips, 0)))
                api_err_invalid_raw(e, "spec.clusterIPs[0]", api_sb_str(&v), "may not change once set");
            if (nn == 1 && !streq(api_jstr(spec, "ipFamilyPolicy"), "SingleStack")) {
                const char *pol = api_jstr(spec, "ipFamilyPolicy");
                struct api_sb pv = { 0 };
                if (pol)
                    api_go_quote(&pv, pol);
                else
                    api_sb_puts(&pv, "null");
                api_err_invalid_raw(e, "spec.ipFamilyPolicy", api_sb_str(&pv),
                                    "must be set to 'SingleStack' when releasing the secondary clusterIP");
                api_sb_free(&pv);
            }
        } else if (on > 0 && !json_equal(json_array_get(oips, 0), json_array_get(nips, 0))) {
            api_err_invalid_raw(e, "spec.clusterIPs[0]", api_sb_str(&v), "may not change once set");
        }
        api_sb_free(&v);
    }
    /* ipFamilies: the primary family may not change (headless services may change families) */
    if (nh == oh && !nh) {
        json_t *nf = api_jarr(spec, "ipFamilies"), *of = api_jarr(ospec, "ipFamilies");
        if (json_array_size(nf) && json_array_size(of) && json_array_size(nf) <= json_array_size(of) &&
            !json_equal(json_array_get(nf, 0), json_array_get(of, 0))) {
            struct api_sb v = { 0 };
            api_go_string_slice(&v, nf);
            api_err_invalid_raw(e, "spec.ipFamilies[0]", api_sb_str(&v), "may not change once set");
            api_sb_free(&v);
        }
    }
hc:;
    long long nhc = 0, ohc = 0;
    api_jint(spec, "healthCheckNodePort", &nhc);
    api_jint(ospec, "healthCheckNodePort", &ohc);
    bool need_n = streq(type, "LoadBalancer") && streq(api_jstr(spec, "externalTrafficPolicy"), "Local");
    bool need_o = streq(otype, "LoadBalancer") && streq(api_jstr(ospec, "externalTrafficPolicy"), "Local");
    if (need_n && need_o && nhc != 0 && nhc != ohc)
        api_err_forbidden(e, "spec.healthCheckNodePort", IMMUTABLE);
}

void
api_validate_core_service(const struct api_resource *r, const json_t *obj, const json_t *old, struct api_errors *errs)
{
    (void)r;
    if (old)
        validate_service_update(obj, old, errs);
    validate_service(obj, old, errs);
}

/* ---- Endpoints ---- */

static void
validate_endpoint_port(const json_t *port, bool require_name, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    const char *name = str_or(port, "name", "");
    if (require_name && !*name)
        api_err_required(e, CH(p, path, "name"), "");
    else if (*name)
        check_label(name, CH(p, path, "name"), e);
    long long pn = 0;
    api_jint(port, "port", &pn);
    if (!port_ok(pn))
        api_err_invalid_int(e, CH(p, path, "port"), pn, RANGE_PORT);
    check_enum(port, "protocol", CH(p, path, "protocol"), protocols, true, e);
    const char *ap = api_jstr(port, "appProtocol");
    if (ap)
        check_qualified(ap, CH(p, path, "appProtocol"), e);
}

static void
validate_endpoint_address(const json_t *a, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    const char *ip = str_or(a, "ip", "");
    CH(p, path, "ip");
    if (!api_parse_ip(ip, NULL))
        api_err_invalid_str(e, p, ip, BAD_IP);
    const char *hn = str_or(a, "hostname", "");
    if (*hn)
        check_label(hn, CH(p, path, "hostname"), e);
    const char *node = api_jstr(a, "nodeName");
    if (node)
        check_subdomain(node, CH(p, path, "nodeName"), e);
    non_special_ip(ip, CH(p, path, "ip"), e);
}

void
api_validate_core_endpoints(const struct api_resource *r, const json_t *obj, const json_t *old, struct api_errors *errs)
{
    (void)r;
    (void)old;
    char p[API_PATH_MAX], q[API_PATH_MAX], s[API_PATH_MAX];
    size_t i, j;
    json_t *ss, *a;
    json_array_foreach(api_jarr(obj, "subsets"), i, ss)
    {
        IX(p, "subsets", i);
        json_t *addrs = api_jarr(ss, "addresses"), *nr = api_jarr(ss, "notReadyAddresses");
        if (json_array_size(addrs) == 0 && json_array_size(nr) == 0)
            api_err_required(errs, p, "must specify `addresses` or `notReadyAddresses`");
        json_array_foreach(addrs, j, a)
        {
            validate_endpoint_address(a, IX(s, CH(q, p, "addresses"), j), errs);
        }
        json_array_foreach(nr, j, a)
        {
            validate_endpoint_address(a, IX(s, CH(q, p, "notReadyAddresses"), j), errs);
        }
        json_t *ports = api_jarr(ss, "ports");
        json_array_foreach(ports, j, a)
        {
            validate_endpoint_port(a, json_array_size(ports) > 1, IX(s, CH(q, p, "ports"), j), errs);
        }
    }
}

/* ---- Node ---- */

static void
validate_taints(const json_t *taints, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    size_t i;
    json_t *t;
    json_array_foreach(taints, i, t)
    {
        IX(p, path, i);
        const char *key = str_or(t, "key", ""), *val = str_or(t, "value", ""), *eff = str_or(t, "effect", "");
        check_qualified(key, CH(q, p, "key"), e);
        char msg[1024];
        join_label_value_msgs(val, msg, sizeof(msg));
        if (*msg)
            api_err_invalid_str(e, CH(q, p, "value"), val, msg);
        if (!*eff)
            api_err_required(e, CH(q, p, "effect"), "");
        else if (!in_list(eff, taint_effects))
            api_err_not_supported(e, CH(q, p, "effect"), eff, taint_effects);
        for (size_t j = 0; j < i; j++) {
            json_t *o = json_array_get(taints, j);
            if (streq(str_or(o, "key", ""), key) && streq(str_or(o, "effect", ""), eff)) {
                struct api_sb v = { 0 };
                api_sb_puts(&v, "core.Taint{Key:");
                api_go_quote(&v, key);
                api_sb_puts(&v, ", Value:");
                api_go_quote(&v, val);
                api_sb_puts(&v, ", Effect:");
                api_go_quote(&v, eff);
                api_sb_puts(&v, api_jhas(t, "timeAdded") ? ", TimeAdded:(*v1.Time)(0xc000000000)}"
                                                         : ", TimeAdded:(*v1.Time)(nil)}");
                api_err_duplicate_raw(e, p, api_sb_str(&v), "taints must be unique by key and effect pair");
                api_sb_free(&v);
                break;
            }
        }
    }
}

static void
validate_node_resources(const json_t *node, struct api_errors *e)
{
    static const char *const lists[] = { "capacity", "allocatable", NULL };
    for (int k = 0; lists[k]; k++) {
        const char *name;
        json_t *v;
        json_object_foreach(api_jobj(api_jobj(node, "status"), lists[k]), name, v)
        {
            char p[API_PATH_MAX];
            snprintf(p, sizeof(p), "status.%s.%s", lists[k], name);
            struct kc_quantity q;
            char s[64];
            if (quantity_at(v, p, &q, s, e))
                validate_quantity_value(name, &q, s, p, e);
        }
    }
}

void
api_validate_core_node(const struct api_resource *r, const json_t *obj, const json_t *old, struct api_errors *errs)
{
    (void)r;
    const json_t *spec = api_jobj(obj, "spec");
    /* upstream reports taints under metadata (its field path starts from metadata) */
    validate_taints(api_jarr(spec, "taints"), "metadata.taints", errs);
    validate_node_resources(obj, errs);
    json_t *cidrs = api_jarr(spec, "podCIDRs");
    char p[API_PATH_MAX];
    size_t i;
    json_t *c;
    int fams[3] = { 0 };
    json_array_foreach(cidrs, i, c)
    {
        const char *s = json_is_string(c) ? json_string_value(c) : "";
        int fam = api_parse_cidr(s);
        if (!fam)
            api_err_invalid_str(errs, IX(p, "spec.podCIDRs", i), s, BAD_CIDR);
        if (i < 3)
            fams[i] = fam;
    }
    if (json_array_size(cidrs) > 1) {
        bool all_ok = true;
        for (i = 0; i < json_array_size(cidrs) && i < 3; i++)
            all_ok = all_ok && fams[i];
        if (all_ok && (json_array_size(cidrs) > 2 || fams[0] == fams[1])) {
            struct api_sb v = { 0 };
            api_go_string_slice(&v, cidrs);
            api_err_invalid_raw(errs, "spec.podCIDRs", api_sb_str(&v),
                                "may specify no more than one CIDR for each IP family");
            api_sb_free(&v);
        }
        json_array_foreach(cidrs, i, c)
        {
            for (size_t j = 0; j < i; j++)
                if (json_equal(json_array_get(cidrs, j), c)) {
                    api_err_duplicate_str(errs, IX(p, "spec.podCIDRs", i), json_string_value(c));
                    break;
                }
        }
    }
    if (!old)
        return;
    const json_t *ospec = api_jobj(old, "spec");
    json_t *ocidrs = api_jarr(ospec, "podCIDRs");
    if (json_array_size(ocidrs) > 0) {
        if (json_array_size(ocidrs) != json_array_size(cidrs)) {
            api_err_forbidden(errs, "spec.podCIDRs", "node updates may not change podCIDR except from \"\" to valid");
        } else {
            json_array_foreach(ocidrs, i, c)
            {
                if (!json_equal(c, json_array_get(cidrs, i)))
                    api_err_forbidden(errs, "spec.podCIDRs",
                                      "node updates may not change podCIDR except from \"\" to valid");
            }
        }
    }
    const char *opid = str_or(ospec, "providerID", "");
    if (*opid && !streq(opid, str_or(spec, "providerID", "")))
        api_err_forbidden(errs, "spec.providerID", "node updates may not change providerID except from \"\" to valid");
    if (!streq(str_or(spec, "externalID", ""), str_or(ospec, "externalID", "")))
        api_err_forbidden(errs, "spec.externalID", "may not be updated");
    json_t *addrs = api_jarr(api_jobj(obj, "status"), "addresses"), *a;
    json_array_foreach(addrs, i, a)
    {
        for (size_t j = 0; j < i; j++) {
            json_t *b = json_array_get(addrs, j);
            if (streq(str_or(a, "type", ""), str_or(b, "type", "")) &&
                streq(str_or(a, "address", ""), str_or(b, "address", ""))) {
                struct api_sb v = { 0 };
                api_sb_puts(&v, "core.NodeAddress{Type:");
                api_go_quote(&v, str_or(a, "type", ""));
                api_sb_puts(&v, ", Address:");
                api_go_quote(&v, str_or(a, "address", ""));
                api_sb_puts(&v, "}");
                api_err_duplicate_raw(errs, IX(p, "status.addresses", i), api_sb_str(&v), NULL);
                api_sb_free(&v);
                break;
            }
        }
    }
}

/* ---- PersistentVolume, PersistentVolumeClaim ---- */

static const char *const access_modes[] = { "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod",
                                            NULL };
static const char *const volume_modes[] = { "Block", "Filesystem", NULL };

static void
validate_access_modes(const json_t *modes, const char *path, struct api_errors *e)
{
    bool rwop = false, other = false;
    size_t i;
    json_t *m;
    json_array_foreach(modes, i, m)
    {
        const char *s = json_is_string(m) ? json_string_value(m) : "";
        if (!in_list(s, access_modes))
            api_err_not_supported(e, path, s, access_modes);
        if (streq(s, "ReadWriteOncePod"))
            rwop = true;
        else if (in_list(s, access_modes))
            other = true;
    }
    if (rwop && other)
        api_err_forbidden(e, path, "may not use ReadWriteOncePod with other access modes");
}

/* %#v of a core.ResourceList: exact for an empty list ("core.ResourceList(nil)"); upstream prints each
 * Quantity's internal fields, which k8c abbreviates to its string. */
static void
resource_list_raw(struct api_sb *sb, const json_t *list)
{
    if (!json_is_object(list) || json_object_size(list) == 0) {
        api_sb_puts(sb, "core.ResourceList(nil)");
        return;
    }
    api_sb_puts(sb, "core.ResourceList{");
    const char *k;
    json_t *v;
    bool first = true;
    json_object_foreach((json_t *)list, k, v)
    {
        if (!first)
            api_sb_puts(sb, ", ");
        first = false;
        api_go_quote(sb, k);
        api_sb_puts(sb, ":");
        api_go_quote(sb, json_is_string(v) ? json_string_value(v) : "");
    }
    api_sb_puts(sb, "}");
}

static void
validate_typed_ref(const json_t *ref, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    if (!*str_or(ref, "name", ""))
        api_err_required(e, CH(p, path, "name"), "");
    const char *kind = str_or(ref, "kind", "");
    if (!*kind)
        api_err_required(e, CH(p, path, "kind"), "");
    const char *group = str_or(ref, "apiGroup", "");
    if (!*group && !streq(kind, "PersistentVolumeClaim"))
        api_err_invalid_str(e, path, kind, "must be 'PersistentVolumeClaim' when referencing the default apiGroup");
    if (*group)
        check_subdomain(group, CH(p, path, "apiGroup"), e);
}

static void
validate_pvc_spec(const json_t *spec, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    json_t *modes = api_jarr(spec, "accessModes");
    if (json_array_size(modes) == 0)
        api_err_required(e, CH(p, path, "accessModes"), "at least 1 access mode is required");
    if (api_jobj(spec, "selector"))
        api_validate_label_selector(api_jobj(spec, "selector"), CH(p, path, "selector"), e);
    validate_access_modes(modes, CH(p, path, "accessModes"), e);
    char rp[API_PATH_MAX];
    api_path_key(rp, CH(p, path, "resources"), "storage");
    json_t *st = api_jget(api_jobj(api_jobj(spec, "resources"), "requests"), "storage");
    if (!st) {
        api_err_required(e, rp, "");
    } else {
        struct kc_quantity q;
        char s[64];
        if (quantity_at(st, rp, &q, s, e)) {
            if (q.milli <= 0)
                api_err_invalid_str(e, rp, s, "must be greater than zero");
        }
    }
    const char *sc = api_jstr(spec, "storageClassName");
    if (sc && *sc)
        check_subdomain(sc, CH(p, path, "storageClassName"), e);
    const char *vm = api_jstr(spec, "volumeMode");
    if (vm && !in_list(vm, volume_modes))
        api_err_not_supported(e, CH(p, path, "volumeMode"), vm, volume_modes);
    const json_t *ds = api_jobj(spec, "dataSource"), *dsr = api_jobj(spec, "dataSourceRef");
    if (ds)
        validate_typed_ref(ds, CH(p, path, "dataSource"), e);
    if (dsr) {
        validate_typed_ref(dsr, CH(p, path, "dataSourceRef"), e);
        const char *ns = api_jstr(dsr, "namespace");
        if (ns && *ns)
            check_label(ns, CH(p, path, "dataSourceRef.namespace"), e);
    }
    if (dsr && *str_or(dsr, "namespace", "")) {
        if (ds)
            api_err_invalid_raw(e, path, CH(p, path, "dataSource"),
                                "may not be specified when dataSourceRef.namespace is specified");
    } else if (ds && dsr) {
        if (!streq(str_or(ds, "apiGroup", ""), str_or(dsr, "apiGroup", "")) ||
            !streq(str_or(ds, "kind", ""), str_or(dsr, "kind", "")) ||
            !streq(str_or(ds, "name", ""), str_or(dsr, "name", "")))
            api_err_invalid_raw(e, path, CH(p, path, "dataSource"), "must match dataSourceRef");
    }
    const char *vac = api_jstr(spec, "volumeAttributesClassName");
    if (vac && *vac)
        check_subdomain(vac, CH(p, path, "volumeAttributesClassName"), e);
}

/* The PersistentVolumeSource members in upstream's check order (err_child as upstream names them). */
static const struct {
    const char *key, *err_child;
} pv_sources[] = {
    { "hostPath", "hostPath" },
    { "gcePersistentDisk", "gcePersistentDisk" },
    { "awsElasticBlockStore", "awsElasticBlockStore" },
    { "glusterfs", "glusterfs" },
    { "flocker", "flocker" },
    { "nfs", "nfs" },
    { "rbd", "rbd" },
    { "quobyte", "quobyte" },
    { "cephfs", "cephFS" },
    { "iscsi", "iscsi" },
    { "cinder", "cinder" },
    { "fc", "fc" },
    { "flexVolume", NULL }, /* never "more than 1" upstream: it is counted without the check */
    { "azureFile", "azureFile" },
    { "vsphereVolume", "vsphereVolume" },
    { "photonPersistentDisk", "photonPersistentDisk" },
    { "portworxVolume", "portworxVolume" },
    { "azureDisk", "azureDisk" },
    { "scaleIO", "scaleIO" },
    { "local", "local" },
    { "storageos", "storageos" },
    { "csi", "csi" },
};

static void
validate_pv_secret_ref(const json_t *ref, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    const char *name = str_or(ref, "name", ""), *ns = str_or(ref, "namespace", "");
    if (!*name)
        api_err_required(e, CH(p, path, "name"), "");
    else
        check_subdomain(name, CH(p, path, "name"), e);
    if (!*ns)
        api_err_required(e, CH(p, path, "namespace"), "");
    else
        check_label(ns, CH(p, path, "namespace"), e);
}

static void
validate_pv_spec(const json_t *spec, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    json_t *modes = api_jarr(spec, "accessModes");
    if (json_array_size(modes) == 0)
        api_err_required(e, CH(p, path, "accessModes"), "");
    validate_access_modes(modes, CH(p, path, "accessModes"), e);
    const json_t *cap = api_jobj(spec, "capacity");
    if (json_object_size(cap) == 0)
        api_err_required(e, CH(p, path, "capacity"), "");
    if (!api_jget(cap, "storage") || json_object_size(cap) > 1) {
        struct api_sb v = { 0 };
        resource_list_raw(&v, cap);
        static const char *const only[] = { "storage", NULL };
        api_err_not_supported_raw(e, CH(p, path, "capacity"), api_sb_str(&v), only);
        api_sb_free(&v);
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)cap, k, v)
    {
        api_path_key(q, CH(p, path, "capacity"), k);
        struct kc_quantity qt;
        char s[64];
        if (!quantity_at(v, q, &qt, s, e))
            continue;
        if (qt.milli < 0)
            api_err_invalid_int(e, q, (long long)kc_quantity_value(&qt), "must be a valid resource quantity");
        if (qt.milli <= 0)
            api_err_invalid_str(e, q, s, "must be greater than zero");
    }
    static const char *const policies[] = { "Delete", "Recycle", "Retain", NULL };
    const char *rp = str_or(spec, "persistentVolumeReclaimPolicy", "");
    if (*rp && !in_list(rp, policies))
        api_err_not_supported(e, CH(p, path, "persistentVolumeReclaimPolicy"), rp, policies);
    bool affinity = false;
    const json_t *na = api_jobj(spec, "nodeAffinity");
    if (na) {
        affinity = true;
        const json_t *req = api_jobj(na, "required");
        if (req)
            validate_node_selector(req, true, CH(q, CH(p, path, "nodeAffinity"), "required"), e);
        else
            api_err_required(e, CH(q, CH(p, path, "nodeAffinity"), "required"),
                             "must specify required node constraints");
    }
    int num = 0;
    for (size_t s = 0; s < sizeof(pv_sources) / sizeof(pv_sources[0]); s++) {
        const json_t *src = api_jget(spec, pv_sources[s].key);
        if (!src || json_is_null(src))
            continue;
        if (num > 0 && pv_sources[s].err_child) {
            api_err_forbidden(e, CH(p, path, pv_sources[s].err_child), "may not specify more than 1 volume type");
            continue;
        }
        num++;
        const char *key = pv_sources[s].key;
        CH(p, path, key);
        if (streq(key, "hostPath") || streq(key, "local")) {
            const char *hp = str_or(src, "path", "");
            if (!*hp) {
                api_err_required(e, CH(q, p, "path"), "");
            } else {
                validate_no_backsteps(hp, CH(q, p, "path"), e);
                if (streq(key, "hostPath")) {
                    static const char *const types[] = {
                        "",     "BlockDevice",  "CharDevice", "Directory", "DirectoryOrCreate",
                        "File", "FileOrCreate", "Socket",     NULL
                    };
                    const char *t = api_jstr(src, "type");
                    if (t && !in_list(t, types))
                        api_err_not_supported(e, CH(q, p, "type"), t, types);
                }
            }
            if (streq(key, "local") && !affinity)
                api_err_required(e, CH(q, path, "nodeAffinity"), "Local volume requires node affinity");
        } else if (streq(key, "nfs")) {
            const char *np = str_or(src, "path", "");
            if (!*str_or(src, "server", ""))
                api_err_required(e, CH(q, p, "server"), "");
            if (!*np)
                api_err_required(e, CH(q, p, "path"), "");
            if (np[0] != '/')
                api_err_invalid_str(e, CH(q, p, "path"), np, "must be an absolute path");
        } else if (streq(key, "csi")) {
            const char *d = str_or(src, "driver", "");
            if (!*d)
                api_err_required(e, CH(q, p, "driver"), "");
            if (strlen(d) > 63)
                api_err_too_long(e, CH(q, p, "driver"), 63);
            char lower[300];
            snprintf(lower, sizeof(lower), "%s", d);
            for (char *c = lower; *c; c++)
                *c = (char)tolower((unsigned char)*c);
            struct api_msgs m;
            api_msgs_dns1123_subdomain(lower, &m);
            api_err_invalid_each(e, CH(q, p, "driver"), d, &m);
            if (!*str_or(src, "volumeHandle", ""))
                api_err_required(e, CH(q, p, "volumeHandle"), "");
            static const char *const refs[] = { "controllerPublishSecretRef", "controllerExpandSecretRef",
                                                "nodePublishSecretRef", "nodeExpandSecretRef", NULL };
            for (int r = 0; refs[r]; r++)
                if (api_jobj(src, refs[r]))
                    validate_pv_secret_ref(api_jobj(src, refs[r]), CH(q, p, refs[r]), e);
        }
    }
    if (num == 0)
        api_err_required(e, path, "must specify a volume type");
    if (api_jobj(spec, "hostPath") && streq(rp, "Recycle")) {
        /* path.Clean(path) == "/" */
        const char *hp = str_or(api_jobj(spec, "hostPath"), "path", "");
        bool root = *hp == '/';
        for (const char *c = hp; *c && root; c++)
            root = *c == '/' || (*c == '.' && (c[-1] == '/') && (c[1] == '/' || !c[1]));
        if (root)
            api_err_forbidden(e, CH(p, path, "persistentVolumeReclaimPolicy"),
                              "may not be 'recycle' for a hostPath mount of '/'");
    }
    const char *sc = api_jstr(spec, "storageClassName");
    if (sc && *sc)
        check_subdomain(sc, CH(p, path, "storageClassName"), e);
    const char *vm = api_jstr(spec, "volumeMode");
    if (vm && !in_list(vm, volume_modes))
        api_err_not_supported(e, CH(p, path, "volumeMode"), vm, volume_modes);
}

static json_t *
pv_source(const json_t *spec)
{
    json_t *src = json_object();
    for (size_t s = 0; src && s < sizeof(pv_sources) / sizeof(pv_sources[0]); s++) {
        json_t *v = api_jget(spec, pv_sources[s].key);
        if (v)
            json_object_set(src, pv_sources[s].key, v);
    }
    return src;
}

void
api_validate_core_persistentvolume(const struct api_resource *r, const json_t *obj, const json_t *old,
                                   struct api_errors *errs)
{
    (void)r;
    const json_t *spec = api_jobj(obj, "spec");
    validate_pv_spec(spec, "spec", errs);
    if (!old)
        return;
    const json_t *ospec = api_jobj(old, "spec");
    json_t *ns = pv_source(spec), *os = pv_source(ospec);
    /* a CSI volume may gain a controllerExpandSecretRef */
    json_t *ncsi = api_jobj(ns, "csi"), *ocsi = api_jobj(os, "csi");
    if (ncsi && ocsi && !api_jobj(ocsi, "controllerExpandSecretRef") && api_jobj(ncsi, "controllerExpandSecretRef")) {
        json_t *c = json_deep_copy(ncsi);
        if (c) {
            json_object_del(c, "controllerExpandSecretRef");
            json_object_set_new(ns, "csi", c);
        }
    }
    if (!sem_equal(ns, os))
        forbidden_diff(errs, "spec.persistentvolumesource", "spec.persistentvolumesource is immutable after creation",
                       os, ns, "spec");
    json_decref(ns);
    json_decref(os);
    immutable_json(api_jget(spec, "volumeMode"), api_jget(ospec, "volumeMode"), "volumeMode", errs);
    if (api_jobj(ospec, "nodeAffinity") && !sem_equal(api_jget(spec, "nodeAffinity"), api_jget(ospec, "nodeAffinity")))
        api_err_invalid_raw(errs, "nodeAffinity", "core.VolumeNodeAffinity{...}",
                            "field is immutable, except for updating from beta label to GA");
}

void
api_validate_core_persistentvolumeclaim(const struct api_resource *r, const json_t *obj, const json_t *old,
                                        struct api_errors *errs)
{
    (void)r;
    const json_t *spec = api_jobj(obj, "spec");
    validate_pvc_spec(spec, "spec", errs);
    if (!old)
        return;
    const json_t *ospec = api_jobj(old, "spec");
    json_t *n = json_deep_copy(spec), *o = json_deep_copy(ospec);
    if (!n || !o) {
        errs->n++;
        json_decref(n);
        json_decref(o);
        return;
    }
    if (!*str_or(ospec, "volumeName", "")) {
        json_t *vn = api_jget(n, "volumeName");
        if (vn)
            json_object_set(o, "volumeName", vn);
    }
    if (!api_jhas(ospec, "storageClassName") && api_jhas(spec, "storageClassName"))
        json_object_set(o, "storageClassName", api_jget(spec, "storageClassName"));
    bool bound = streq(api_jstr(api_jobj(obj, "status"), "phase"), "Bound");
    if (bound) {
        json_t *nst = api_jget(api_jobj(api_jobj(ospec, "resources"), "requests"), "storage");
        json_t *req = api_jobj(api_jobj(n, "resources"), "requests");
        if (req && nst)
            json_object_set(req, "storage", nst);
        json_t *vac = api_jget(ospec, "volumeAttributesClassName");
        if (vac)
            json_object_set(n, "volumeAttributesClassName", vac);
        else
            json_object_del(n, "volumeAttributesClassName");
    }
    if (!sem_equal(n, o))
        forbidden_diff(errs, "spec",
                       "spec is immutable after creation except resources.requests and volumeAttributesClassName for "
                       "bound claims",
                       o, n, "spec");
    json_decref(n);
    json_decref(o);
    struct kc_quantity nq, oq, sq = { 0 };
    json_t *nsv = api_jget(api_jobj(api_jobj(spec, "resources"), "requests"), "storage");
    json_t *osv = api_jget(api_jobj(api_jobj(ospec, "resources"), "requests"), "storage");
    json_t *ssv = api_jget(api_jobj(api_jobj(old, "status"), "capacity"), "storage");
    if (nsv && osv && api_quantity(nsv, &nq, NULL, 0, NULL, 0) == 0 && api_quantity(osv, &oq, NULL, 0, NULL, 0) == 0 &&
        kc_quantity_cmp(&nq, &oq) < 0) {
        /* RecoverVolumeExpansionFailure is on by default in 1.33: down to (not including) status.capacity */
        if (ssv)
            api_quantity(ssv, &sq, NULL, 0, NULL, 0);
        if (kc_quantity_cmp(&nq, &sq) <= 0)
            api_err_forbidden(errs, "spec.resources.requests.storage", "field can not be less than status.capacity");
    }
    immutable_json(api_jget(spec, "volumeMode"), api_jget(ospec, "volumeMode"), "volumeMode", errs);
}

/* ---- ConfigMap, Secret ---- */

#define MAX_SECRET_SIZE (1024 * 1024)

/* The decoded length of standard base64 (padding required), or -1 with *bad set to the offset Go's
 * base64.StdEncoding reports ("illegal base64 data at input byte N"). */
static long
base64_decoded_len(const char *s, long *bad)
{
    size_t n = strlen(s), i;
    for (i = 0; i < n && s[i] != '='; i++) {
        if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '/') {
            *bad = (long)i;
            return -1;
        }
    }
    size_t data = i, pad = n - i;
    for (size_t j = i; j < n; j++) {
        if (s[j] != '=') {
            *bad = (long)j;
            return -1;
        }
    }
    if (pad == 0) {
        if (n % 4) {
            *bad = (long)(n - n % 4);
            return -1;
        }
        return (long)(n / 4 * 3);
    }
    if ((data % 4 == 2 && pad == 2) || (data % 4 == 3 && pad == 1))
        return (long)(data / 4 * 3 + (data % 4 == 2 ? 1 : 2));
    *bad = (long)(data % 4 < 2 ? data : n);
    return -1;
}

void
api_validate_core_configmap(const struct api_resource *r, const json_t *obj, const json_t *old, struct api_errors *errs)
{
    (void)r;
    char p[API_PATH_MAX];
    const json_t *data = api_jobj(obj, "data"), *bin = api_jobj(obj, "binaryData");
    long total = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)data, k, v)
    {
        api_path_key(p, "data", k);
        validate_config_map_key(k, p, errs);
        if (api_jget(bin, k))
            api_err_invalid_str(errs, p, k, "duplicate of key present in binaryData");
        total += json_is_string(v) ? (long)json_string_length(v) : 0;
    }
    json_object_foreach((json_t *)bin, k, v)
    {
        api_path_key(p, "binaryData", k);
        validate_config_map_key(k, p, errs);
        long bad = 0, n = json_is_string(v) ? base64_decoded_len(json_string_value(v), &bad) : 0;
        if (n < 0) {
            char msg[80];
            snprintf(msg, sizeof(msg), "illegal base64 data at input byte %ld", bad);
            api_err_invalid_str(errs, p, "<binary data redacted>", msg);
        } else {
            total += n;
        }
    }
    if (total > MAX_SECRET_SIZE)
        api_err_too_long(errs, "", MAX_SECRET_SIZE);
    if (!old)
        return;
    bool oimm = false, nimm = false;
    if (api_jbool(old, "immutable", &oimm) && oimm) {
        if (!api_jbool(obj, "immutable", &nimm) || !nimm)
            api_err_forbidden(errs, "immutable", "field is immutable when `immutable` is set");
        if (!sem_equal(data, api_jobj(old, "data")))
            api_err_forbidden(errs, "data", "field is immutable when `immutable` is set");
        if (!sem_equal(bin, api_jobj(old, "binaryData")))
            api_err_forbidden(errs, "binaryData", "field is immutable when `immutable` is set");
    }
}

/* ---- Go's encoding/json syntax errors (json.Unmarshal's checkValid) ---- */

struct gojson {
    const uint8_t *s;
    size_t n, i;
    char *err;
    size_t errlen;
};

/* Go's quoteChar: 'x', '\'' , '"', or strconv.Quote's escape of the byte as a rune. */
static void
gojson_fail(struct gojson *g, const char *context)
{
    if (g->i >= g->n) {
        snprintf(g->err, g->errlen, "unexpected end of JSON input");
        return;
    }
    uint8_t c = g->s[g->i];
    char q[16];
    if (c == '\'')
        snprintf(q, sizeof(q), "'\\''");
    else if (c == '"')
        snprintf(q, sizeof(q), "'\"'");
    else if (c >= 0x20 && c < 0x7f)
        snprintf(q, sizeof(q), "'%c'", c);
    else if (c >= 7 && c <= 13)
        snprintf(q, sizeof(q), "'\\%c'", "abtnvfr"[c - 7]);
    else if (c < 0x80)
        snprintf(q, sizeof(q), "'\\x%02x'", c);
    else if (c >= 0xa0 && c != 0xad) /* the byte is taken as the rune U+00XX, printed as UTF-8 */
        snprintf(q, sizeof(q), "'%c%c'", 0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else
        snprintf(q, sizeof(q), "'\\u00%02x'", c);
    snprintf(g->err, g->errlen, "invalid character %s %s", q, context);
}

static void
gojson_ws(struct gojson *g)
{
    while (g->i < g->n && (g->s[g->i] == ' ' || g->s[g->i] == '\t' || g->s[g->i] == '\n' || g->s[g->i] == '\r'))
        g->i++;
}

static bool gojson_value(struct gojson *g);

static bool
gojson_string(struct gojson *g)
{
    g->i++; /* the opening quote */
    while (g->i < g->n) {
        uint8_t c = g->s[g->i];
        if (c == '"') {
            g->i++;
            return true;
        }
        if (c < 0x20) {
            gojson_fail(g, "in string literal");
            return false;
        }
        if (c == '\\') {
            g->i++;
            if (g->i >= g->n)
                break;
            c = g->s[g->i];
            if (c == 'u') {
                for (int k = 0; k < 4; k++) {
                    g->i++;
                    if (g->i >= g->n)
                        break;
                    if (!isxdigit(g->s[g->i])) {
                        gojson_fail(g, "in \\u hexadecimal character escape");
                        return false;
                    }
                }
            } else if (!strchr("\"\\/bfnrt", c)) {
                gojson_fail(g, "in string escape code");
                return false;
            }
        }
        g->i++;
    }
    gojson_fail(g, "");
    return false;
}

static bool
gojson_digits(struct gojson *g)
{
    bool any = false;
    while (g->i < g->n && isdigit(g->s[g->i])) {
        g->i++;
        any = true;
    }
    return any;
}

static bool
gojson_number(struct gojson *g)
{
    if (g->s[g->i] == '-') {
        g->i++;
        if (g->i >= g->n || !isdigit(g->s[g->i])) {
            gojson_fail(g, "in numeric literal");
            return false;
        }
    }
    if (g->s[g->i] == '0')
        g->i++;
    else
        gojson_digits(g);
    if (g->i < g->n && g->s[g->i] == '.') {
        g->i++;
        if (!gojson_digits(g)) {
            gojson_fail(g, "after decimal point in numeric literal");
            return false;
        }
    }
    if (g->i < g->n && (g->s[g->i] == 'e' || g->s[g->i] == 'E')) {
        g->i++;
        if (g->i < g->n && (g->s[g->i] == '+' || g->s[g->i] == '-'))
            g->i++;
        if (!gojson_digits(g)) {
            gojson_fail(g, "in exponent of numeric literal");
            return false;
        }
    }
    return true;
}

static bool
gojson_literal(struct gojson *g, const char *word)
{
    char ctx[48];
    for (size_t k = 0; word[k]; k++, g->i++) {
        if (g->i >= g->n || g->s[g->i] != (uint8_t)word[k]) {
            snprintf(ctx, sizeof(ctx), "in literal %s (expecting '%c')", word, word[k]);
            gojson_fail(g, ctx);
            return false;
        }
    }
    return true;
}

static bool
gojson_value(struct gojson *g)
{
    gojson_ws(g);
    if (g->i >= g->n) {
        gojson_fail(g, "");
        return false;
    }
    uint8_t c = g->s[g->i];
    if (c == '{') {
        g->i++;
        gojson_ws(g);
        if (g->i < g->n && g->s[g->i] == '}') {
            g->i++;
            return true;
        }
        for (;;) {
            gojson_ws(g);
            if (g->i >= g->n || g->s[g->i] != '"') {
                gojson_fail(g, "looking for beginning of object key string");
                return false;
            }
            if (!gojson_string(g))
                return false;
            gojson_ws(g);
            if (g->i >= g->n || g->s[g->i] != ':') {
                gojson_fail(g, "after object key");
                return false;
            }
            g->i++;
            if (!gojson_value(g))
                return false;
            gojson_ws(g);
            if (g->i < g->n && g->s[g->i] == ',') {
                g->i++;
                continue;
            }
            if (g->i < g->n && g->s[g->i] == '}') {
                g->i++;
                return true;
            }
            gojson_fail(g, "after object key:value pair");
            return false;
        }
    }
    if (c == '[') {
        g->i++;
        gojson_ws(g);
        if (g->i < g->n && g->s[g->i] == ']') {
            g->i++;
            return true;
        }
        for (;;) {
            if (!gojson_value(g))
                return false;
            gojson_ws(g);
            if (g->i < g->n && g->s[g->i] == ',') {
                g->i++;
                continue;
            }
            if (g->i < g->n && g->s[g->i] == ']') {
                g->i++;
                return true;
            }
            gojson_fail(g, "after array element");
            return false;
        }
    }
    if (c == '"')
        return gojson_string(g);
    if (c == '-' || isdigit(c))
        return gojson_number(g);
    if (c == 't')
        return gojson_literal(g, "true");
    if (c == 'f')
        return gojson_literal(g, "false");
    if (c == 'n')
        return gojson_literal(g, "null");
    gojson_fail(g, "looking for beginning of value");
    return false;
}

/* Whether the base64 value b64 decodes to JSON that unmarshals into a map[string]interface{} (upstream's
 * dockercfg check): an object or null. Otherwise err gets Go's error text. */
static bool
base64_json_object(const char *b64, char *err, size_t errlen)
{
    uint8_t *raw = NULL;
    size_t len = 0;
    if (kc_base64_decode(b64, strlen(b64), &raw, &len) != 0) {
        snprintf(err, errlen, "unexpected end of JSON input");
        return false;
    }
    struct gojson g = { raw, len, 0, err, errlen };
    bool ok = gojson_value(&g);
    if (ok) {
        gojson_ws(&g);
        if (g.i < g.n) {
            gojson_fail(&g, "after top-level value");
            ok = false;
        }
    }
    if (ok) {
        size_t i = 0;
        while (i < len && isspace(raw[i]))
            i++;
        uint8_t c = raw[i];
        const char *type = c == '[' ? "array" : c == '"' ? "string" : c == 't' || c == 'f' ? "bool" : "number";
        if (c != '{' && c != 'n') {
            snprintf(err, errlen, "json: cannot unmarshal %s into Go value of type map[string]interface {}", type);
            ok = false;
        }
    }
    free(raw);
    return ok;
}

void
api_validate_core_secret(const struct api_resource *r, const json_t *obj, const json_t *old, struct api_errors *errs)
{
    (void)r;
    char p[API_PATH_MAX];
    const json_t *data = api_jobj(obj, "data");
    long total = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)data, k, v)
    {
        api_path_key(p, "data", k);
        validate_config_map_key(k, p, errs);
        long bad = 0, n = json_is_string(v) ? base64_decoded_len(json_string_value(v), &bad) : 0;
        if (n < 0) {
            char msg[80];
            snprintf(msg, sizeof(msg), "illegal base64 data at input byte %ld", bad);
            api_err_invalid_str(errs, p, "<secret contents redacted>", msg);
        } else {
            total += n;
        }
    }
    if (total > MAX_SECRET_SIZE)
        api_err_too_long(errs, "data", MAX_SECRET_SIZE);
    const char *type = str_or(obj, "type", "");
    const json_t *ann = api_jobj(api_jobj(obj, "metadata"), "annotations");
    char err[256];
    if (streq(type, "kubernetes.io/service-account-token")) {
        if (!*str_or(ann, "kubernetes.io/service-account.name", ""))
            api_err_required(errs, "metadata.annotations[kubernetes.io/service-account.name]", "");
    } else if (streq(type, "kubernetes.io/dockercfg") || streq(type, "kubernetes.io/dockerconfigjson")) {
        const char *key = streq(type, "kubernetes.io/dockercfg") ? ".dockercfg" : ".dockerconfigjson";
        api_path_key(p, "data", key);
        const char *val = api_jstr(data, key);
        if (!val)
            api_err_required(errs, p, "");
        else if (!base64_json_object(val, err, sizeof(err)))
            api_err_invalid_str(errs, p, "<secret contents redacted>", err);
    } else if (streq(type, "kubernetes.io/basic-auth")) {
        if (!api_jget(data, "username") && !api_jget(data, "password")) {
            api_err_required(errs, "data[username]", "");
            api_err_required(errs, "data[password]", "");
        }
    } else if (streq(type, "kubernetes.io/ssh-auth")) {
        if (!*str_or(data, "ssh-privatekey", ""))
            api_err_required(errs, "data[ssh-privatekey]", "");
    } else if (streq(type, "kubernetes.io/tls")) {
        if (!api_jget(data, "tls.crt"))
            api_err_required(errs, "data[tls.crt]", "");
        if (!api_jget(data, "tls.key"))
            api_err_required(errs, "data[tls.key]", "");
    }
    if (!old)
        return;
    immutable_json(api_jget(obj, "type"), api_jget(old, "type"), "type", errs);
    bool oimm = false, nimm = false;
    if (api_jbool(old, "immutable", &oimm) && oimm) {
        if (!api_jbool(obj, "immutable", &nimm) || !nimm)
            api_err_forbidden(errs, "immutable", "field is immutable when `immutable` is set");
        if (!sem_equal(data, api_jobj(old, "data")))
            api_err_forbidden(errs, "data", "field is immutable when `immutable` is set");
    }
}

void
api_validate_core_serviceaccount(const struct api_resource *r, const json_t *obj, const json_t *old,
                                 struct api_errors *errs)
{
    /* ValidateServiceAccount checks the metadata only (api_validate_meta). */
    (void)r;
    (void)obj;
    (void)old;
    (void)errs;
}

/* ---- Namespace ---- */

void
api_validate_core_namespace(const struct api_resource *r, const json_t *obj, const json_t *old, struct api_errors *errs)
{
    (void)r;
    if (old)
        return; /* ValidateNamespaceUpdate checks the metadata only; spec changes go through /finalize */
    size_t i;
    json_t *f;
    json_array_foreach(api_jarr(api_jobj(obj, "spec"), "finalizers"), i, f)
    {
        const char *s = json_is_string(f) ? json_string_value(f) : "";
        check_qualified(s, "spec.finalizers", errs);
        if (!strchr(s, '/') && !streq(s, "kubernetes") && !streq(s, "orphan") && !streq(s, "foregroundDeletion"))
            api_err_invalid_str(errs, "spec.finalizers", s,
                                "name is neither a standard finalizer name nor is it fully qualified");
    }
}

/* ---- Events (core/v1 and events.k8s.io/v1) ---- */

/* The internal core.Event fields of an event, whichever API version it came in: events.k8s.io/v1 names them
 * regarding, note, deprecatedSource, deprecatedFirstTimestamp, deprecatedLastTimestamp, deprecatedCount.
 * Upstream validates the internal object, so its field paths use the core/v1 names in both APIs. */
struct event_view {
    const json_t *involved, *source, *series, *related;
    const char *ns, *reason, *message, *type, *action, *rctl, *rinst, *event_time, *first_ts, *last_ts;
    long long count;
    bool core; /* requested through core/v1 */
};

static void
event_view(const json_t *ev, bool events_v1, struct event_view *v)
{
    const json_t *meta = api_jobj(ev, "metadata");
    v->ns = str_or(meta, "namespace", "");
    v->involved = api_jobj(ev, events_v1 ? "regarding" : "involvedObject");
    v->source = api_jobj(ev, events_v1 ? "deprecatedSource" : "source");
    v->series = api_jobj(ev, "series");
    v->related = api_jobj(ev, "related");
    v->reason = str_or(ev, "reason", "");
    v->message = str_or(ev, events_v1 ? "note" : "message", "");
    v->type = str_or(ev, "type", "");
    v->action = str_or(ev, "action", "");
    v->rctl = str_or(ev, events_v1 ? "reportingController" : "reportingComponent", "");
    v->rinst = str_or(ev, "reportingInstance", "");
    v->event_time = api_jstr(ev, "eventTime");
    v->first_ts = api_jstr(ev, events_v1 ? "deprecatedFirstTimestamp" : "firstTimestamp");
    v->last_ts = api_jstr(ev, events_v1 ? "deprecatedLastTimestamp" : "lastTimestamp");
    v->count = 0;
    api_jint(ev, events_v1 ? "deprecatedCount" : "count", &v->count);
    v->core = !events_v1;
}

static bool
time_set(const char *t)
{
    struct kc_time kt;
    return t && *t && kc_time_parse(t, &kt) == 0 && kt.sec != -62135596800LL; /* not Go's zero time */
}

/* legacyValidateEvent */
static void
legacy_validate_event(const struct event_view *v, struct api_errors *e)
{
    const char *ins = str_or(v->involved, "namespace", "");
    if (!time_set(v->event_time)) {
        if (!*ins) {
            if (*v->ns && !streq(v->ns, "default"))
                api_err_invalid_str(e, "involvedObject.namespace", ins, "does not match event.namespace");
        } else if (!streq(v->ns, ins)) {
            api_err_invalid_str(e, "involvedObject.namespace", ins, "does not match event.namespace");
        }
    } else {
        if (!*ins && !streq(v->ns, "default") && !streq(v->ns, "kube-system"))
            api_err_invalid_str(e, "involvedObject.namespace", ins, "does not match event.namespace");
        /* through core/v1 upstream names the field "source" */
        const char *rc = v->core ? "source" : "reportingController";
        if (!*v->rctl)
            api_err_required(e, rc, "");
        check_qualified(v->rctl, rc, e);
        if (!*v->rinst)
            api_err_required(e, "reportingInstance", "");
        if (strlen(v->rinst) > 128)
            api_err_invalid_str(e, "reportingInstance", "", "can have at most 128 characters");
        if (!*v->action)
            api_err_required(e, "action", "");
        if (strlen(v->action) > 128)
            api_err_invalid_str(e, "action", "", "can have at most 128 characters");
        if (!*v->reason)
            api_err_required(e, "reason", "");
        if (strlen(v->reason) > 128)
            api_err_invalid_str(e, "reason", "", "can have at most 128 characters");
        if (strlen(v->message) > 1024)
            api_err_invalid_str(e, "message", "", "can have at most 1024 characters");
    }
    check_subdomain(v->ns, "namespace", e);
}

static void
validate_event_series(const struct event_view *v, struct api_errors *e)
{
    if (!v->series)
        return;
    long long c = 0;
    api_jint(v->series, "count", &c);
    if (c < 2)
        api_err_invalid_str(e, "series.count", "", "should be at least 2");
    if (!time_set(api_jstr(v->series, "lastObservedTime")))
        api_err_required(e, "series.lastObservedTime", "");
}

void
api_validate_core_event(const struct api_resource *r, const json_t *obj, const json_t *old, struct api_errors *errs)
{
    (void)r;
    (void)old; /* core/v1 updates get the legacy checks only, as creates */
    struct event_view v;
    event_view(obj, false, &v);
    legacy_validate_event(&v, errs);
}

void
api_validate_events_event(const struct api_resource *r, const json_t *obj, const json_t *old, struct api_errors *errs)
{
    (void)r;
    struct event_view v;
    event_view(obj, true, &v);
    legacy_validate_event(&v, errs);
    if (!old) {
        validate_event_series(&v, errs);
        if (!time_set(v.event_time))
            api_err_required(errs, "eventTime", "");
        if (!streq(v.type, "Normal") && !streq(v.type, "Warning")) {
            char msg[300];
            snprintf(msg, sizeof(msg), "has invalid value: %s", v.type);
            api_err_invalid_str(errs, "type", "", msg);
        }
        if (time_set(v.first_ts))
            api_err_invalid_str(errs, "firstTimestamp", "", "needs to be unset");
        if (time_set(v.last_ts))
            api_err_invalid_str(errs, "lastTimestamp", "", "needs to be unset");
        if (v.count != 0)
            api_err_invalid_str(errs, "count", "", "needs to be unset");
        if (*str_or(v.source, "component", "") || *str_or(v.source, "host", ""))
            api_err_invalid_str(errs, "source", "", "needs to be unset");
        return;
    }
    struct event_view o;
    event_view(old, true, &o);
    if (!sem_equal(v.series, o.series))
        validate_event_series(&v, errs);
    static const struct {
        const char *v1, *core;
    } fields[] = {
        { "regarding", "involvedObject" },
        { "reason", "reason" },
        { "note", "message" },
        { "deprecatedSource", "source" },
        { "deprecatedFirstTimestamp", "firstTimestamp" },
        { "deprecatedLastTimestamp", "lastTimestamp" },
        { "deprecatedCount", "count" },
        { "reason", "reason" },
        { "type", "type" },
        { "eventTime", "eventTime" },
        { "action", "action" },
        { "related", "related" },
        { "reportingController", "reportingController" },
        { "reportingInstance", "reportingInstance" },
    };
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        immutable_json(api_jget(obj, fields[i].v1), api_jget(old, fields[i].v1), fields[i].core, errs);
}

/* ---- apps ---- */

/* Parses a selector for template matching; NULL (and *bad) when it does not compile. */
static struct kc_label_selector *
compile_selector(const json_t *sel, bool *bad)
{
    struct kc_label_selector *ls = NULL;
    *bad = kc_label_selector_from_json(sel, &ls, NULL, 0) != 0;
    return *bad ? NULL : ls;
}

static void
template_labels_match(const struct kc_label_selector *ls, const json_t *tmpl, const char *path, struct api_errors *e)
{
    const json_t *labels = api_jobj(api_jobj(tmpl, "metadata"), "labels");
    if (kc_label_selector_empty(ls) || kc_label_selector_matches(ls, labels))
        return;
    struct api_sb v = { 0 };
    api_go_string_map(&v, labels);
    api_err_invalid_raw(e, path, api_sb_str(&v), "`selector` does not match template `labels`");
    api_sb_free(&v);
}

static void
label_selector_raw(struct api_sb *sb, const json_t *sel)
{
    api_go_label_selector(sb, sel);
}

/* The selector checks shared by Deployment, ReplicaSet and StatefulSet: required, valid, not empty. */
static void
validate_workload_selector(const json_t *spec, const char *kind, struct api_errors *e)
{
    const json_t *sel = api_jobj(spec, "selector");
    if (!sel) {
        api_err_required(e, "spec.selector", "");
        return;
    }
    api_validate_label_selector(sel, "spec.selector", e);
    if (json_object_size(api_jobj(sel, "matchLabels")) + json_array_size(api_jarr(sel, "matchExpressions")) == 0) {
        struct api_sb v = { 0 };
        char msg[64];
        snprintf(msg, sizeof(msg), "empty selector is invalid for %s", kind);
        label_selector_raw(&v, sel);
        api_err_invalid_raw(e, "spec.selector", api_sb_str(&v), msg);
        api_sb_free(&v);
    }
}

/* ValidatePodTemplateSpecForReplicaSet (Deployment and ReplicaSet). */
static void
validate_rs_template(const json_t *spec, const char *kind_name, struct api_errors *e)
{
    const json_t *sel = api_jobj(spec, "selector");
    bool bad;
    struct kc_label_selector *ls = compile_selector(sel, &bad);
    const json_t *tmpl = api_jobj(spec, "template");
    if (bad) {
        struct api_sb v = { 0 };
        label_selector_raw(&v, sel);
        api_err_invalid_raw(e, "spec.selector", api_sb_str(&v), "invalid label selector");
        api_sb_free(&v);
    } else {
        template_labels_match(ls, tmpl, "spec.template.metadata.labels", e);
        validate_pod_template(tmpl, "spec.template", e);
        const json_t *ps = api_jobj(tmpl, "spec");
        const char *rp = str_or(ps, "restartPolicy", "");
        static const char *const always[] = { "Always", NULL };
        if (!streq(rp, "Always"))
            api_err_not_supported(e, "spec.template.spec.restartPolicy", rp, always);
        if (api_jhas(ps, "activeDeadlineSeconds")) {
            char msg[80];
            snprintf(msg, sizeof(msg), "activeDeadlineSeconds in %s is not Supported", kind_name);
            api_err_forbidden(e, "spec.template.spec.activeDeadlineSeconds", msg);
        }
    }
    kc_label_selector_free(ls);
}

static long long
int_or_percent(const json_t *v, bool *percent)
{
    *percent = false;
    if (json_is_integer(v))
        return json_integer_value(v);
    if (json_is_string(v)) {
        struct api_msgs m;
        api_msgs_percent(json_string_value(v), &m);
        if (m.n)
            return 0;
        *percent = true;
        return strtoll(json_string_value(v), NULL, 10);
    }
    return 0;
}

/* An intstr.IntOrString as errors print it: its String() has a pointer receiver, so the value (also a
 * dereferenced pointer) is not a Stringer and prints as %#v: intstr.IntOrString{Type:1, IntVal:0, StrVal:"25%"}. */
static void
intstr_raw(struct api_sb *sb, const json_t *v)
{
    if (json_is_string(v)) {
        api_sb_puts(sb, "intstr.IntOrString{Type:1, IntVal:0, StrVal:");
        api_go_quote(sb, json_string_value(v));
        api_sb_puts(sb, "}");
    } else {
        api_sb_printf(sb, "intstr.IntOrString{Type:0, IntVal:%lld, StrVal:\"\"}",
                      json_is_integer(v) ? (long long)json_integer_value(v) : 0LL);
    }
}

static void
invalid_intstr(struct api_errors *e, const char *path, const json_t *v, const char *detail)
{
    struct api_sb sb = { 0 };
    intstr_raw(&sb, v);
    api_err_invalid_raw(e, path, api_sb_str(&sb), detail);
    api_sb_free(&sb);
}

/* ValidatePositiveIntOrPercent: a string must be a percentage, an integer not negative. */
static void
positive_int_or_percent(const json_t *v, const char *path, struct api_errors *e)
{
    if (json_is_string(v)) {
        struct api_msgs m;
        api_msgs_percent(json_string_value(v), &m);
        for (size_t i = 0; i < m.n; i++)
            invalid_intstr(e, path, v, m.msg[i]);
    } else if (json_is_integer(v) && json_integer_value(v) < 0) {
        api_err_invalid_int(e, path, json_integer_value(v), NONNEG);
    }
}

/* IsNotMoreThan100Percent */
static void
not_more_than_100(const json_t *v, const char *path, struct api_errors *e)
{
    bool pct;
    long long n = int_or_percent(v, &pct);
    if (pct && n > 100)
        invalid_intstr(e, path, v, "must not be greater than 100%");
}

void
api_validate_apps_deployment(const struct api_resource *r, const json_t *obj, const json_t *old,
                             struct api_errors *errs)
{
    (void)r;
    const json_t *spec = api_jobj(obj, "spec");
    nonneg(spec, "replicas", "spec.replicas", errs);
    validate_workload_selector(spec, "deployment", errs);
    validate_rs_template(spec, "ReplicaSet", errs);
    const json_t *st = api_jobj(spec, "strategy");
    const char *type = str_or(st, "type", "");
    if (streq(type, "Recreate")) {
        if (api_jhas(st, "rollingUpdate"))
            api_err_forbidden(errs, "spec.strategy.rollingUpdate",
                              "may not be specified when strategy `type` is 'Recreate'");
    } else if (streq(type, "RollingUpdate")) {
        const json_t *ru = api_jobj(st, "rollingUpdate");
        if (!ru) {
            api_err_required(errs, "spec.strategy.rollingUpdate", "this should be defaulted and never be nil");
        } else {
            const json_t *mu = api_jget(ru, "maxUnavailable"), *ms = api_jget(ru, "maxSurge");
            positive_int_or_percent(mu, "spec.strategy.rollingUpdate.maxUnavailable", errs);
            positive_int_or_percent(ms, "spec.strategy.rollingUpdate.maxSurge", errs);
            bool p1, p2;
            if (int_or_percent(mu, &p1) == 0 && int_or_percent(ms, &p2) == 0) {
                struct api_sb v = { 0 };
                intstr_raw(&v, mu);
                api_err_invalid_raw(errs, "spec.strategy.rollingUpdate.maxUnavailable", api_sb_str(&v),
                                    "may not be 0 when `maxSurge` is 0");
                api_sb_free(&v);
            }
            not_more_than_100(mu, "spec.strategy.rollingUpdate.maxUnavailable", errs);
        }
    } else {
        static const char *const types[] = { "Recreate", "RollingUpdate", NULL };
        struct api_sb v = { 0 };
        api_sb_puts(&v, "apps.DeploymentStrategy{Type:");
        api_go_quote(&v, type);
        api_sb_puts(&v, api_jhas(st, "rollingUpdate") ? ", RollingUpdate:(*apps.RollingUpdateDeployment)(0xc000000000)}"
                                                      : ", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}");
        api_err_not_supported_raw(errs, "spec.strategy", api_sb_str(&v), types);
        api_sb_free(&v);
    }
    nonneg(spec, "minReadySeconds", "spec.minReadySeconds", errs);
    nonneg(spec, "revisionHistoryLimit", "spec.revisionHistoryLimit", errs);
    if (api_jobj(spec, "rollbackTo"))
        nonneg(api_jobj(spec, "rollbackTo"), "revision", "spec.rollback.version", errs);
    long long pds, mrs = 0;
    if (api_jint(spec, "progressDeadlineSeconds", &pds)) {
        nonneg(spec, "progressDeadlineSeconds", "spec.progressDeadlineSeconds", errs);
        api_jint(spec, "minReadySeconds", &mrs);
        if (pds <= mrs)
            api_err_invalid_int(errs, "spec.progressDeadlineSeconds", pds, "must be greater than minReadySeconds");
    }
    /* apps/v1: the selector is immutable (the registry strategy's check) */
    if (old) {
        const json_t *ns = api_jget(spec, "selector"), *os = api_jget(api_jobj(old, "spec"), "selector");
        if (!sem_equal(ns, os)) {
            struct api_sb v = { 0 };
            label_selector_raw(&v, ns);
            api_err_invalid_raw(errs, "spec.selector", api_sb_str(&v), IMMUTABLE);
            api_sb_free(&v);
        }
    }
}

void
api_validate_apps_replicaset(const struct api_resource *r, const json_t *obj, const json_t *old,
                             struct api_errors *errs)
{
    (void)r;
    const json_t *spec = api_jobj(obj, "spec");
    nonneg(spec, "replicas", "spec.replicas", errs);
    nonneg(spec, "minReadySeconds", "spec.minReadySeconds", errs);
    /* upstream's ReplicaSet message says "deployment" too */
    validate_workload_selector(spec, "deployment", errs);
    validate_rs_template(spec, "ReplicaSet", errs);
    if (old) {
        const json_t *ns = api_jget(spec, "selector"), *os = api_jget(api_jobj(old, "spec"), "selector");
        if (!sem_equal(ns, os)) {
            struct api_sb v = { 0 };
            label_selector_raw(&v, ns);
            api_err_invalid_raw(errs, "spec.selector", api_sb_str(&v), IMMUTABLE);
            api_sb_free(&v);
        }
    }
}

static void
validate_pvc_retention(const json_t *pol, struct api_errors *e)
{
    static const char *const types[] = { "Retain", "Delete", NULL };
    if (!pol)
        return;
    const char *wd = str_or(pol, "whenDeleted", ""), *ws = str_or(pol, "whenScaled", "");
    if (!in_list(wd, types))
        api_err_not_supported(e, "spec.persistentVolumeClaimRetentionPolicy.whenDeleted", wd, types);
    if (!in_list(ws, types))
        api_err_not_supported(e, "spec.persistentVolumeClaimRetentionPolicy.whenScaled", ws, types);
}

void
api_validate_apps_statefulset(const struct api_resource *r, const json_t *obj, const json_t *old,
                              struct api_errors *errs)
{
    (void)r;
    const json_t *spec = api_jobj(obj, "spec");
    const char *pmp = str_or(spec, "podManagementPolicy", "");
    if (!*pmp)
        api_err_required(errs, "spec.podManagementPolicy", "");
    else if (!streq(pmp, "OrderedReady") && !streq(pmp, "Parallel"))
        api_err_invalid_str(errs, "spec.podManagementPolicy", pmp, "must be 'OrderedReady' or 'Parallel'");
    const json_t *us = api_jobj(spec, "updateStrategy");
    const char *ut = str_or(us, "type", "");
    const json_t *ru = api_jobj(us, "rollingUpdate");
    if (!*ut) {
        api_err_required(errs, "spec.updateStrategy", "");
    } else if (streq(ut, "OnDelete")) {
        if (ru) {
            long long part = 0;
            api_jint(ru, "partition", &part);
            struct api_sb v = { 0 };
            api_sb_printf(&v, "apps.RollingUpdateStatefulSetStrategy{Partition:%lld, MaxUnavailable:%s}", part,
                          api_jhas(ru, "maxUnavailable") ? "(*intstr.IntOrString)(0xc000000000)"
                                                         : "(*intstr.IntOrString)(nil)");
            api_err_invalid_raw(errs, "spec.updateStrategy.rollingUpdate", api_sb_str(&v),
                                "only allowed for updateStrategy 'RollingUpdate'");
            api_sb_free(&v);
        }
    } else if (streq(ut, "RollingUpdate")) {
        if (ru) {
            nonneg(ru, "partition", "spec.updateStrategy.rollingUpdate.partition", errs);
            const json_t *mu = api_jget(ru, "maxUnavailable");
            if (mu && !json_is_null(mu)) {
                positive_int_or_percent(mu, "spec.updateStrategy.rollingUpdate.maxUnavailable", errs);
                bool pct;
                if (int_or_percent(mu, &pct) == 0) {
                    struct api_sb v = { 0 };
                    intstr_raw(&v, mu);
                    api_err_invalid_raw(errs, "spec.updateStrategy.rollingUpdate.maxUnavailable", api_sb_str(&v),
                                        "cannot be 0");
                    api_sb_free(&v);
                }
                not_more_than_100(mu, "spec.updateStrategy.rollingUpdate.maxUnavailable", errs);
            }
        }
    } else {
        struct api_sb v = { 0 };
        api_sb_puts(&v, "apps.StatefulSetUpdateStrategy{Type:");
        api_go_quote(&v, ut);
        api_sb_puts(&v, ru ? ", RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(0xc000000000)}"
                           : ", RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}");
        api_err_invalid_raw(errs, "spec.updateStrategy", api_sb_str(&v), "must be 'RollingUpdate' or 'OnDelete'");
        api_sb_free(&v);
    }
    validate_pvc_retention(api_jobj(spec, "persistentVolumeClaimRetentionPolicy"), errs);
    nonneg(spec, "replicas", "spec.replicas", errs);
    nonneg(spec, "minReadySeconds", "spec.minReadySeconds", errs);
    if (api_jobj(spec, "ordinals"))
        nonneg(api_jobj(spec, "ordinals"), "start", "spec.ordinals.start", errs);
    const json_t *sel = api_jobj(spec, "selector");
    if (!sel) {
        api_err_required(errs, "spec.selector", "");
    } else {
        api_validate_label_selector(sel, "spec.selector", errs);
        if (json_object_size(api_jobj(sel, "matchLabels")) + json_array_size(api_jarr(sel, "matchExpressions")) == 0) {
            struct api_sb v = { 0 };
            label_selector_raw(&v, sel);
            api_err_invalid_raw(errs, "spec.selector", api_sb_str(&v), "empty selector is invalid for statefulset");
            api_sb_free(&v);
        }
    }
    bool bad;
    struct kc_label_selector *ls = compile_selector(sel, &bad);
    const json_t *tmpl = api_jobj(spec, "template");
    if (bad) {
        struct api_sb v = { 0 };
        label_selector_raw(&v, sel);
        api_err_invalid_raw(errs, "spec.selector", api_sb_str(&v), "");
        api_sb_free(&v);
    } else {
        /* ValidatePodTemplateSpecForStatefulSet: labels and annotations only (upstream does not validate the pod
         * spec of a StatefulSet template) */
        template_labels_match(ls, tmpl, "spec.template.metadata.labels", errs);
        api_validate_labels(api_jobj(api_jobj(tmpl, "metadata"), "labels"), "spec.template.labels", errs);
        validate_pod_annotations(api_jobj(api_jobj(tmpl, "metadata"), "annotations"), api_jobj(tmpl, "spec"),
                                 "spec.template.annotations", errs);
    }
    kc_label_selector_free(ls);
    const json_t *ps = api_jobj(tmpl, "spec");
    const char *rp = str_or(ps, "restartPolicy", "");
    static const char *const always[] = { "Always", NULL };
    if (!streq(rp, "Always"))
        api_err_not_supported(errs, "spec.template.spec.restartPolicy", rp, always);
    if (api_jhas(ps, "activeDeadlineSeconds"))
        api_err_forbidden(errs, "spec.template.spec.activeDeadlineSeconds",
                          "activeDeadlineSeconds in StatefulSet is not Supported");
    if (!old)
        return;
    json_t *n = json_deep_copy(spec), *o = api_jobj(old, "spec");
    if (!n) {
        errs->n++;
        return;
    }
    static const char *const mutable_[] = {
        "replicas", "template", "updateStrategy", "minReadySeconds", "ordinals", "persistentVolumeClaimRetentionPolicy",
        NULL
    };
    for (int k = 0; mutable_[k]; k++) {
        json_t *v = api_jget(o, mutable_[k]);
        if (v)
            json_object_set(n, mutable_[k], v);
        else
            json_object_del(n, mutable_[k]);
    }
    if (!sem_equal(n, o))
        api_err_forbidden(
            errs, "spec",
            "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
            "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");
    json_decref(n);
}

void
api_validate_apps_daemonset(const struct api_resource *r, const json_t *obj, const json_t *old, struct api_errors *errs)
{
    (void)r;
    const json_t *spec = api_jobj(obj, "spec");
    if (old) {
        long long ntg = 0, otg = 0;
        api_jint(spec, "templateGeneration", &ntg);
        api_jint(api_jobj(old, "spec"), "templateGeneration", &otg);
        bool changed = !sem_equal(api_jobj(spec, "template"), api_jobj(api_jobj(old, "spec"), "template"));
        if (ntg < otg)
            api_err_invalid_int(errs, "spec.templateGeneration", ntg, "must not be decremented");
        if (ntg == otg && changed && api_jhas(spec, "templateGeneration"))
            api_err_invalid_int(errs, "spec.templateGeneration", ntg, "must be incremented upon template update");
        else if (ntg > otg && !changed)
            api_err_invalid_int(errs, "spec.templateGeneration", ntg,
                                "must not be incremented without template update");
    }
    const json_t *sel = api_jobj(spec, "selector");
    api_validate_label_selector(sel, "spec.selector", errs);
    const json_t *tmpl = api_jobj(spec, "template");
    bool bad;
    struct kc_label_selector *ls = sel ? compile_selector(sel, &bad) : NULL;
    if (!sel) {
        /* a nil selector selects nothing: the labels never match */
        struct api_sb v = { 0 };
        api_go_string_map(&v, api_jobj(api_jobj(tmpl, "metadata"), "labels"));
        api_err_invalid_raw(errs, "spec.template.metadata.labels", api_sb_str(&v),
                            "`selector` does not match template `labels`");
        api_sb_free(&v);
    } else if (!bad && !kc_label_selector_matches(ls, api_jobj(api_jobj(tmpl, "metadata"), "labels"))) {
        struct api_sb v = { 0 };
        api_go_string_map(&v, api_jobj(api_jobj(tmpl, "metadata"), "labels"));
        api_err_invalid_raw(errs, "spec.template.metadata.labels", api_sb_str(&v),
                            "`selector` does not match template `labels`");
        api_sb_free(&v);
    }
    kc_label_selector_free(ls);
    if (sel &&
        json_object_size(api_jobj(sel, "matchLabels")) + json_array_size(api_jarr(sel, "matchExpressions")) == 0) {
        struct api_sb v = { 0 };
        label_selector_raw(&v, sel);
        api_err_invalid_raw(errs, "spec.selector", api_sb_str(&v), "empty selector is invalid for daemonset");
        api_sb_free(&v);
    }
    validate_pod_template(tmpl, "spec.template", errs);
    const json_t *ps = api_jobj(tmpl, "spec");
    const char *rp = str_or(ps, "restartPolicy", "");
    static const char *const always[] = { "Always", NULL };
    if (!streq(rp, "Always"))
        api_err_not_supported(errs, "spec.template.spec.restartPolicy", rp, always);
    if (api_jhas(ps, "activeDeadlineSeconds"))
        api_err_forbidden(errs, "spec.template.spec.activeDeadlineSeconds",
                          "activeDeadlineSeconds in DaemonSet is not Supported");
    nonneg(spec, "minReadySeconds", "spec.minReadySeconds", errs);
    nonneg(spec, "templateGeneration", "spec.templateGeneration", errs);
    const json_t *us = api_jobj(spec, "updateStrategy");
    const char *ut = str_or(us, "type", "");
    if (streq(ut, "RollingUpdate")) {
        const json_t *ru = api_jobj(us, "rollingUpdate");
        if (!ru) {
            api_err_required(errs, "spec.updateStrategy.rollingUpdate", "");
        } else {
            const json_t *mu = api_jget(ru, "maxUnavailable"), *ms = api_jget(ru, "maxSurge");
            positive_int_or_percent(mu, "spec.updateStrategy.rollingUpdate.maxUnavailable", errs);
            positive_int_or_percent(ms, "spec.updateStrategy.rollingUpdate.maxSurge", errs);
            not_more_than_100(mu, "spec.updateStrategy.rollingUpdate.maxUnavailable", errs);
            not_more_than_100(ms, "spec.updateStrategy.rollingUpdate.maxSurge", errs);
            bool p;
            bool has_u = int_or_percent(mu, &p) != 0, has_s = int_or_percent(ms, &p) != 0;
            if (has_u && has_s) {
                struct api_sb v = { 0 };
                intstr_raw(&v, ms);
                api_err_invalid_raw(errs, "spec.updateStrategy.rollingUpdate.maxSurge", api_sb_str(&v),
                                    "may not be set when maxUnavailable is non-zero");
                api_sb_free(&v);
            } else if (!has_u && !has_s) {
                api_err_required(errs, "spec.updateStrategy.rollingUpdate.maxUnavailable",
                                 "cannot be 0 when maxSurge is 0");
            }
        }
    } else if (!streq(ut, "OnDelete")) {
        static const char *const types[] = { "RollingUpdate", "OnDelete", NULL };
        struct api_sb v = { 0 };
        api_sb_puts(&v, "apps.DaemonSetUpdateStrategy{Type:");
        api_go_quote(&v, ut);
        api_sb_puts(&v, api_jhas(us, "rollingUpdate") ? ", RollingUpdate:(*apps.RollingUpdateDaemonSet)(0xc000000000)}"
                                                      : ", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}");
        api_err_not_supported_raw(errs, "spec.updateStrategy", api_sb_str(&v), types);
        api_sb_free(&v);
    }
    nonneg(spec, "revisionHistoryLimit", "spec.revisionHistoryLimit", errs);
    if (old) {
        const json_t *ns = api_jget(spec, "selector"), *os = api_jget(api_jobj(old, "spec"), "selector");
        if (!sem_equal(ns, os)) {
            struct api_sb v = { 0 };
            label_selector_raw(&v, ns);
            api_err_invalid_raw(errs, "spec.selector", api_sb_str(&v), IMMUTABLE);
            api_sb_free(&v);
        }
    }
}

/* ---- batch ---- */

static const char *const job_restart[] = { "OnFailure", "Never", NULL };

/* validateJobSpec (without the selector): counts, completion mode, pod failure and replacement policies, the
 * template (restartPolicy OnFailure or Never). */
static void
validate_job_spec(const json_t *spec, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    nonneg(spec, "parallelism", CH(p, path, "parallelism"), e);
    nonneg(spec, "completions", CH(p, path, "completions"), e);
    nonneg(spec, "activeDeadlineSeconds", CH(p, path, "activeDeadlineSeconds"), e);
    nonneg(spec, "backoffLimit", CH(p, path, "backoffLimit"), e);
    nonneg(spec, "ttlSecondsAfterFinished", CH(p, path, "ttlSecondsAfterFinished"), e);
    nonneg(spec, "backoffLimitPerIndex", CH(p, path, "backoffLimitPerIndex"), e);
    long long mfi, blpi, comp = 0, par = 0;
    bool has_mfi = api_jint(spec, "maxFailedIndexes", &mfi), has_blpi = api_jint(spec, "backoffLimitPerIndex", &blpi);
    bool has_comp = api_jint(spec, "completions", &comp), has_par = api_jint(spec, "parallelism", &par);
    if (has_mfi) {
        nonneg(spec, "maxFailedIndexes", CH(p, path, "maxFailedIndexes"), e);
        if (!has_blpi)
            api_err_required(e, CH(p, path, "backoffLimitPerIndex"), "when maxFailedIndexes is specified");
    }
    const char *mb = api_jstr(spec, "managedBy");
    if (mb) {
        const char *slash = strchr(mb, '/');
        if (!*mb) {
            api_err_required(e, CH(p, path, "managedBy"), "");
        } else if (!slash || slash == mb || !slash[1]) {
            api_err_invalid_str(e, CH(p, path, "managedBy"), mb,
                                "must be a domain-prefixed path (such as \"acme.io/foo\")");
        } else {
            char host[300];
            snprintf(host, sizeof(host), "%.*s", (int)(slash - mb), mb);
            check_subdomain(host, CH(p, path, "managedBy"), e);
            bool ok = true;
            for (const char *c = slash + 1; *c; c++)
                if (!isalnum((unsigned char)*c) && !strchr("/-._~%!$&'()*+,;=:", *c))
                    ok = false;
            if (!ok)
                api_err_invalid_str(e, CH(p, path, "managedBy"), slash + 1,
                                    "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')");
        }
        if (strlen(mb) > 63)
            api_err_too_long(e, CH(p, path, "managedBy"), 63);
    }
    const char *cm = api_jstr(spec, "completionMode");
    bool indexed = streq(cm, "Indexed");
    if (cm) {
        static const char *const modes[] = { "NonIndexed", "Indexed", NULL };
        if (!in_list(cm, modes))
            api_err_not_supported(e, CH(p, path, "completionMode"), cm, modes);
        if (indexed) {
            if (!has_comp)
                api_err_required(e, CH(p, path, "completions"), "when completion mode is Indexed");
            if (has_par && par > 100000)
                api_err_invalid_int(e, CH(p, path, "parallelism"), par,
                                    "must be less than or equal to 100000 when completion mode is Indexed");
            if (has_comp && has_mfi && mfi > comp)
                api_err_invalid_int(e, CH(p, path, "maxFailedIndexes"), mfi,
                                    "must be less than or equal to completions");
            if (has_mfi && mfi > 100000)
                api_err_invalid_int(e, CH(p, path, "maxFailedIndexes"), mfi, "must be less than or equal to 100000");
            if (has_comp && comp > 100000 && has_blpi) {
                if (!has_mfi)
                    api_err_required(e, CH(p, path, "maxFailedIndexes"),
                                     "must be specified when completions is above 100000");
                if (has_par && par > 10000)
                    api_err_invalid_int(
                        e, CH(p, path, "parallelism"), par,
                        "must be less than or equal to 10000 when completions are above 100000 and used "
                        "with backoff limit per index");
                if (has_mfi && mfi > 10000)
                    api_err_invalid_int(
                        e, CH(p, path, "maxFailedIndexes"), mfi,
                        "must be less than or equal to 10000 when completions are above 100000 and used "
                        "with backoff limit per index");
            }
        }
    }
    if (!indexed) {
        if (has_blpi)
            api_err_invalid_int(e, CH(p, path, "backoffLimitPerIndex"), blpi, "requires indexed completion mode");
        if (has_mfi)
            api_err_invalid_int(e, CH(p, path, "maxFailedIndexes"), mfi, "requires indexed completion mode");
    }
    const json_t *pfp = api_jobj(spec, "podFailurePolicy");
    if (pfp) {
        /* rule actions and their required parts (the rule contents are not checked further) */
        json_t *rules = api_jarr(pfp, "rules");
        CH(p, path, "podFailurePolicy.rules");
        if (json_array_size(rules) > 20)
            api_err_too_many(e, p, (long)json_array_size(rules), 20);
        size_t i;
        json_t *rule;
        static const char *const actions[] = { "Count", "FailIndex", "FailJob", "Ignore", NULL };
        json_array_foreach(rules, i, rule)
        {
            IX(q, p, i);
            char ap[API_PATH_MAX];
            const char *act = str_or(rule, "action", "");
            CH(ap, q, "action");
            if (!*act)
                api_err_required(e, ap, "valid values: [\"Count\" \"FailIndex\" \"FailJob\" \"Ignore\"]");
            else if (streq(act, "FailIndex") && !has_blpi)
                api_err_invalid_str(e, ap, act, "requires the backoffLimitPerIndex to be set");
            else if (!in_list(act, actions))
                api_err_not_supported(e, ap, act, actions);
            bool oec = api_jhas(rule, "onExitCodes"), opc = json_array_size(api_jarr(rule, "onPodConditions")) > 0;
            if (oec && opc)
                api_err_invalid_omit(e, q, "specifying both OnExitCodes and OnPodConditions is not supported");
            if (!oec && !opc)
                api_err_invalid_omit(e, q, "specifying one of OnExitCodes and OnPodConditions is required");
        }
    }
    if (api_jobj(spec, "successPolicy") && !indexed)
        api_err_invalid_raw(e, CH(p, path, "successPolicy"), "batch.SuccessPolicy{...}",
                            "requires indexed completion mode");
    const char *prp = api_jstr(spec, "podReplacementPolicy");
    if (prp) {
        static const char *const failed_only[] = { "Failed", NULL };
        static const char *const prps[] = { "Failed", "TerminatingOrFailed", NULL };
        if (pfp) {
            if (!streq(prp, "Failed"))
                api_err_not_supported(e, CH(p, path, "podReplacementPolicy"), prp, failed_only);
        } else if (!in_list(prp, prps)) {
            api_err_not_supported(e, CH(p, path, "podReplacementPolicy"), prp, prps);
        }
    }
    const json_t *tmpl = api_jobj(spec, "template");
    validate_pod_template(tmpl, CH(p, path, "template"), e);
    const char *rp = str_or(api_jobj(tmpl, "spec"), "restartPolicy", "");
    CH(p, path, "template.spec.restartPolicy");
    if (streq(rp, "Always") || !*rp)
        api_err_required(e, p, "valid values: \"OnFailure\", \"Never\"");
    else if (!in_list(rp, job_restart))
        api_err_not_supported(e, p, rp, job_restart);
    else if (pfp && !streq(rp, "Never"))
        api_err_invalid_str(e, p, rp, "only \"Never\" is supported when podFailurePolicy is specified");
}

static void
has_label(const json_t *tmpl_meta, const char *key, const char *want, struct api_errors *e)
{
    char p[API_PATH_MAX], msg[400];
    const json_t *labels = api_jobj(tmpl_meta, "labels");
    const char *got = api_jstr(labels, key);
    api_path_key(p, "spec.template.metadata.labels", key);
    snprintf(msg, sizeof(msg), "must be '%s'", want);
    if (!got) {
        api_err_required(e, p, msg);
    } else if (!streq(got, want)) {
        struct api_sb v = { 0 };
        api_go_string_map(&v, labels);
        api_err_invalid_raw(e, p, api_sb_str(&v), msg);
        api_sb_free(&v);
    }
}

void
api_validate_batch_job(const struct api_resource *r, const json_t *obj, const json_t *old, struct api_errors *errs)
{
    (void)r;
    const json_t *meta = api_jobj(obj, "metadata"), *spec = api_jobj(obj, "spec");
    const json_t *tmpl = api_jobj(spec, "template"), *sel = api_jobj(spec, "selector");
    bool manual = false;
    api_jbool(spec, "manualSelector", &manual);
    /* validateGeneratedSelector (RequirePrefixedLabels on create, and on updates of jobs that had them) */
    if (!manual && sel) {
        const char *uid = str_or(meta, "uid", ""), *name = str_or(meta, "name", "");
        if (!*uid)
            api_err_required(errs, "metadata.uid", "");
        const json_t *tm = api_jobj(tmpl, "metadata");
        bool prefixed = true;
        if (old) {
            const json_t *ol = api_jobj(api_jobj(api_jobj(api_jobj(old, "spec"), "template"), "metadata"), "labels");
            prefixed =
                api_jget(ol, "batch.kubernetes.io/job-name") && api_jget(ol, "batch.kubernetes.io/controller-uid");
        }
        has_label(tm, "controller-uid", uid, errs);
        has_label(tm, "job-name", name, errs);
        json_t *expected = json_object();
        if (prefixed) {
            has_label(tm, "batch.kubernetes.io/controller-uid", uid, errs);
            has_label(tm, "batch.kubernetes.io/job-name", name, errs);
            json_object_set_new(expected, "batch.kubernetes.io/controller-uid", json_string(uid));
            json_object_set_new(expected, "batch.kubernetes.io/job-name", json_string(name));
        }
        json_object_set_new(expected, "controller-uid", json_string(uid));
        json_object_set_new(expected, "job-name", json_string(name));
        bool bad;
        struct kc_label_selector *ls = compile_selector(sel, &bad);
        if (!bad && !kc_label_selector_matches(ls, expected)) {
            struct api_sb v = { 0 };
            label_selector_raw(&v, sel);
            api_err_invalid_raw(errs, "spec.selector", api_sb_str(&v), "`selector` not auto-generated");
            api_sb_free(&v);
        }
        kc_label_selector_free(ls);
        json_decref(expected);
    }
    validate_job_spec(spec, "spec", errs);
    if (!sel)
        api_err_required(errs, "spec.selector", "");
    else
        api_validate_label_selector(sel, "spec.selector", errs);
    bool bad;
    struct kc_label_selector *ls = sel ? compile_selector(sel, &bad) : NULL;
    if (sel && !bad)
        template_labels_match(ls, tmpl, "spec.template.metadata.labels", errs);
    kc_label_selector_free(ls);
    long long comp;
    if (streq(api_jstr(spec, "completionMode"), "Indexed") && api_jint(spec, "completions", &comp) && comp > 0) {
        char host[400], msg[500];
        snprintf(host, sizeof(host), "%s-%lld", str_or(meta, "name", ""), comp - 1);
        struct api_msgs m;
        api_msgs_dns1123_label(host, &m);
        if (m.n) {
            snprintf(msg, sizeof(msg), "will not able to create pod with invalid DNS label: %s", host);
            api_err_invalid_str(errs, "metadata.name", str_or(meta, "name", ""), msg);
        }
    }
    if (!old)
        return;
    /* ValidateJobSpecUpdate */
    const json_t *ospec = api_jobj(old, "spec");
    if (!streq(api_jstr(spec, "completionMode"), "Indexed")) {
        immutable_json(api_jget(spec, "completions"), api_jget(ospec, "completions"), "spec.completions", errs);
    } else if (!sem_equal(api_jget(spec, "completions"), api_jget(ospec, "completions"))) {
        long long c, p;
        if (api_jint(spec, "completions", &c) && (!api_jint(spec, "parallelism", &p) || c != p))
            api_err_invalid_int(errs, "spec.completions", c, "can only be modified in tandem with spec.parallelism");
    }
    if (!sem_equal(sel, api_jobj(ospec, "selector"))) {
        struct api_sb v = { 0 };
        label_selector_raw(&v, sel);
        api_err_invalid_raw(errs, "spec.selector", api_sb_str(&v), IMMUTABLE);
        api_sb_free(&v);
    }
    /* The template is immutable, except scheduling directives, labels and annotations of a suspended job that
     * never started. */
    json_t *nt = json_deep_copy(tmpl), *ot = json_deep_copy(api_jobj(ospec, "template"));
    bool suspended = false;
    api_jbool(ospec, "suspend", &suspended);
    if (nt && ot && suspended && !api_jhas(api_jobj(old, "status"), "startTime")) {
        json_t *on = api_jget(nt, "metadata"), *oo = api_jget(ot, "metadata");
        static const char *const mk[] = { "labels", "annotations", NULL };
        for (int k = 0; mk[k] && oo; k++) {
            json_t *v = api_jget(on, mk[k]);
            if (v)
                json_object_set(oo, mk[k], v);
            else
                json_object_del(oo, mk[k]);
        }
        json_t *ns = api_jget(nt, "spec"), *os = api_jget(ot, "spec");
        static const char *const sk[] = { "nodeSelector", "tolerations", "schedulingGates", NULL };
        for (int k = 0; sk[k] && os; k++) {
            json_t *v = api_jget(ns, sk[k]);
            if (v)
                json_object_set(os, sk[k], v);
            else
                json_object_del(os, sk[k]);
        }
        json_t *na = api_jobj(ns, "affinity"), *oa = api_jobj(os, "affinity");
        if (oa) {
            json_object_del(oa, "nodeAffinity");
            if (na && api_jget(na, "nodeAffinity"))
                json_object_set(oa, "nodeAffinity", api_jget(na, "nodeAffinity"));
        } else if (na && os) {
            json_object_set_new(os, "affinity", json_pack("{s:O}", "nodeAffinity", api_jget(na, "nodeAffinity")));
        }
    }
    if (!sem_equal(nt, ot))
        api_err_invalid_raw(errs, "spec.template", "core.PodTemplateSpec{...}", IMMUTABLE);
    json_decref(nt);
    json_decref(ot);
    static const char *const imm[] = { "completionMode", "podFailurePolicy", "backoffLimitPerIndex",
                                       "managedBy",      "successPolicy",    NULL };
    char p[API_PATH_MAX];
    for (int k = 0; imm[k]; k++)
        immutable_json(api_jget(spec, imm[k]), api_jget(ospec, imm[k]), CH(p, "spec", imm[k]), errs);
}

/* A cron schedule as robfig/cron/v3 ParseStandard (minute hour dom month dow, or a descriptor). Returns true, or
 * false with the parser's error text. TZ=/CRON_TZ= prefixes are accepted syntactically (the zone is not looked
 * up). */
static bool cron_range(const char *expr, unsigned lo, unsigned hi, const char *const *names, char *err, size_t errlen);

static bool
cron_parse_int(const char *s, size_t n, const char *const *names, unsigned lo, unsigned *out, char *err, size_t errlen)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%.*s", (int)n, s);
    for (size_t i = 0; names && names[i]; i++) {
        if (strcasecmp(buf, names[i]) == 0) {
            *out = (unsigned)i + lo;
            return true;
        }
    }
    /* strconv.Atoi */
    const char *p = buf;
    bool neg = false;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    bool ok = *p != '\0';
    long long v = 0;
    bool range = false;
    for (; *p && ok; p++) {
        if (*p < '0' || *p > '9')
            ok = false;
        else if (v > (LLONG_MAX - (*p - '0')) / 10)
            range = true;
        else
            v = v * 10 + (*p - '0');
    }
    if (!ok || range) {
        snprintf(err, errlen, "failed to parse int from %s: strconv.Atoi: parsing \"%s\": %s", buf, buf,
                 range && ok ? "value out of range" : "invalid syntax");
        return false;
    }
    if (neg && v != 0) {
        snprintf(err, errlen, "negative number (%lld) not allowed: %s", -v, buf);
        return false;
    }
    *out = v > UINT_MAX ? UINT_MAX : (unsigned)v;
    return true;
}

static bool
cron_range(const char *expr, unsigned lo, unsigned hi, const char *const *names, char *err, size_t errlen)
{
    unsigned start, end, step = 1;
    const char *slash = strchr(expr, '/');
    size_t rlen = slash ? (size_t)(slash - expr) : strlen(expr);
    if (slash && strchr(slash + 1, '/')) {
        snprintf(err, errlen, "too many slashes: %s", expr);
        return false;
    }
    const char *dash = memchr(expr, '-', rlen);
    bool single = !dash;
    if ((rlen == 1 && (expr[0] == '*' || expr[0] == '?'))) {
        start = lo;
        end = hi;
    } else {
        size_t l1 = dash ? (size_t)(dash - expr) : rlen;
        if (!cron_parse_int(expr, l1, names, lo, &start, err, errlen))
            return false;
        if (!dash) {
            end = start;
        } else {
            const char *d2 = memchr(dash + 1, '-', rlen - l1 - 1);
            if (d2) {
                snprintf(err, errlen, "too many hyphens: %s", expr);
                return false;
            }
            if (!cron_parse_int(dash + 1, rlen - l1 - 1, names, lo, &end, err, errlen))
                return false;
        }
    }
    if (slash) {
        if (!cron_parse_int(slash + 1, strlen(slash + 1), NULL, 0, &step, err, errlen))
            return false;
        if (single && !(rlen == 1 && (expr[0] == '*' || expr[0] == '?')))
            end = hi;
    }
    if (start < lo) {
        snprintf(err, errlen, "beginning of range (%u) below minimum (%u): %s", start, lo, expr);
        return false;
    }
    if (end > hi) {
        snprintf(err, errlen, "end of range (%u) above maximum (%u): %s", end, hi, expr);
        return false;
    }
    if (start > end) {
        snprintf(err, errlen, "beginning of range (%u) beyond end of range (%u): %s", start, end, expr);
        return false;
    }
    if (step == 0) {
        snprintf(err, errlen, "step of range should be a positive number: %s", expr);
        return false;
    }
    return true;
}

/* Go's time.ParseDuration, as far as validity goes. */
static bool
go_duration_ok(const char *s, char *err, size_t errlen)
{
    const char *orig = s;
    if (*s == '+' || *s == '-')
        s++;
    if (strcmp(s, "0") == 0)
        return true;
    if (!*s) {
        snprintf(err, errlen, "time: invalid duration \"%s\"", orig);
        return false;
    }
    while (*s) {
        bool digits = false;
        while (isdigit((unsigned char)*s)) {
            s++;
            digits = true;
        }
        if (*s == '.') {
            s++;
            while (isdigit((unsigned char)*s)) {
                s++;
                digits = true;
            }
        }
        if (!digits) {
            snprintf(err, errlen, "time: invalid duration \"%s\"", orig);
            return false;
        }
        const char *u = s;
        while (*s && *s != '.' && !isdigit((unsigned char)*s))
            s++;
        size_t ul = (size_t)(s - u);
        if (ul == 0) {
            snprintf(err, errlen, "time: missing unit in duration \"%s\"", orig);
            return false;
        }
        static const char *const units[] = { "ns", "us", "\xc2\xb5s", "\xce\xbcs", "ms", "s", "m", "h", NULL };
        bool known = false;
        for (int k = 0; units[k]; k++)
            if (strlen(units[k]) == ul && strncmp(u, units[k], ul) == 0)
                known = true;
        if (!known) {
            snprintf(err, errlen, "time: unknown unit \"%.*s\" in duration \"%s\"", (int)ul, u, orig);
            return false;
        }
    }
    return true;
}

static bool
cron_parse(const char *spec, char *err, size_t errlen)
{
    char buf[1024];
    if (!*spec) {
        snprintf(err, errlen, "empty spec string");
        return false;
    }
    snprintf(buf, sizeof(buf), "%s", spec);
    char *s = buf;
    if (strncmp(s, "TZ=", 3) == 0 || strncmp(s, "CRON_TZ=", 8) == 0) {
        char *sp = strchr(s, ' ');
        if (!sp) {
            /* robfig/cron slices with a -1 index and panics; upstream recovers the panic */
            snprintf(err, errlen, "invalid schedule format: runtime error: slice bounds out of range [:-1]");
            return false;
        }
        s = sp;
        while (*s == ' ' || *s == '\t' || *s == '\n')
            s++;
    }
    if (*s == '@') {
        static const char *const desc[] = { "@yearly", "@annually", "@monthly", "@weekly",
                                            "@daily",  "@midnight", "@hourly",  NULL };
        if (in_list(s, desc))
            return true;
        if (strncmp(s, "@every ", 7) == 0) {
            char derr[256];
            if (go_duration_ok(s + 7, derr, sizeof(derr)))
                return true;
            snprintf(err, errlen, "failed to parse duration %.200s: %.200s", s, derr);
            return false;
        }
        snprintf(err, errlen, "unrecognized descriptor: %.300s", s);
        return false;
    }
    char *fields[64];
    size_t n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(s, " \t\n\r\v\f", &save); tok; tok = strtok_r(NULL, " \t\n\r\v\f", &save))
        if (n < 64)
            fields[n++] = tok;
    if (n != 5) {
        struct api_sb sb = { 0 };
        for (size_t i = 0; i < n; i++) {
            if (i)
                api_sb_puts(&sb, " ");
            api_sb_puts(&sb, fields[i]);
        }
        snprintf(err, errlen, "expected exactly 5 fields, found %zu: [%s]", n, api_sb_str(&sb));
        api_sb_free(&sb);
        return false;
    }
    static const char *const months[] = { "jan", "feb", "mar", "apr", "may", "jun", "jul",
                                          "aug", "sep", "oct", "nov", "dec", NULL };
    static const char *const days[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL };
    static const struct {
        unsigned lo, hi;
        const char *const *names;
    } bounds[5] = { { 0, 59, NULL }, { 0, 23, NULL }, { 1, 31, NULL }, { 1, 12, months }, { 0, 6, days } };
    for (size_t f = 0; f < 5; f++) {
        char *save2 = NULL;
        for (char *expr = strtok_r(fields[f], ",", &save2); expr; expr = strtok_r(NULL, ",", &save2))
            if (!cron_range(expr, bounds[f].lo, bounds[f].hi, bounds[f].names, err, errlen))
                return false;
    }
    return true;
}

/* ValidateJobTemplateSpec */
static void
validate_job_template(const json_t *jt, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    const json_t *spec = api_jobj(jt, "spec");
    validate_job_spec(spec, CH(p, path, "spec"), e);
    if (api_jhas(spec, "selector")) {
        struct api_sb v = { 0 };
        label_selector_raw(&v, api_jobj(spec, "selector"));
        api_err_invalid_raw(e, CH(q, p, "selector"), api_sb_str(&v), "`selector` will be auto-generated");
        api_sb_free(&v);
    }
    bool manual = false;
    if (api_jbool(spec, "manualSelector", &manual) && manual) {
        static const char *const vals[] = { "nil", "false", NULL };
        api_err_not_supported_raw(e, CH(q, p, "manualSelector"), "true", vals);
    }
}

void
api_validate_batch_cronjob(const struct api_resource *r, const json_t *obj, const json_t *old, struct api_errors *errs)
{
    (void)r;
    const json_t *spec = api_jobj(obj, "spec"), *ospec = old ? api_jobj(old, "spec") : NULL;
    const char *sched = str_or(spec, "schedule", "");
    const char *tz = api_jstr(spec, "timeZone");
    if (!*sched) {
        api_err_required(errs, "spec.schedule", "");
    } else {
        char err[512];
        if (!cron_parse(sched, err, sizeof(err)))
            api_err_invalid_str(errs, "spec.schedule", sched, err);
        bool allow_tz = ospec && strstr(str_or(ospec, "schedule", ""), "TZ");
        if (allow_tz && strstr(sched, "TZ") && tz)
            api_err_invalid_str(errs, "spec.schedule", sched,
                                "cannot use both timeZone field and TZ or CRON_TZ in schedule");
        else if (!allow_tz && strstr(sched, "TZ"))
            api_err_invalid_str(errs, "spec.schedule", sched,
                                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
    }
    nonneg(spec, "startingDeadlineSeconds", "spec.startingDeadlineSeconds", errs);
    if (tz && (!ospec || !sem_equal(api_jget(spec, "timeZone"), api_jget(ospec, "timeZone")))) {
        /* validateTimeZone; the zone database is not consulted (a syntactically valid name is accepted) */
        char msg[400];
        if (!*tz) {
            api_err_invalid_str(errs, "spec.timeZone", tz, "timeZone must be nil or non-empty string");
        } else {
            bool ok = true;
            char buf[300];
            snprintf(buf, sizeof(buf), "%s", tz);
            char *save = NULL;
            bool any = false;
            for (char *part = strtok_r(buf, "/", &save); part && ok; part = strtok_r(NULL, "/", &save)) {
                any = true;
                size_t n = strlen(part);
                if (streq(part, ".") || streq(part, "..") || part[0] == '-' || n > 14)
                    ok = false;
                for (size_t i = 0; i < n && ok; i++)
                    if (!isalnum((unsigned char)part[i]) && !strchr(".-_+", part[i]))
                        ok = false;
            }
            if (!any || strstr(tz, "//") || tz[0] == '/' || tz[strlen(tz) - 1] == '/')
                ok = false;
            if (!ok) {
                snprintf(msg, sizeof(msg), "unknown time zone %s", tz);
                api_err_invalid_str(errs, "spec.timeZone", tz, msg);
            } else if (strcasecmp(tz, "Local") == 0) {
                api_err_invalid_str(
                    errs, "spec.timeZone", tz,
                    "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones");
            }
        }
    }
    static const char *const policies[] = { "Allow", "Forbid", "Replace", NULL };
    check_enum(spec, "concurrencyPolicy", "spec.concurrencyPolicy", policies, true, errs);
    validate_job_template(api_jobj(spec, "jobTemplate"), "spec.jobTemplate", errs);
    nonneg(spec, "successfulJobsHistoryLimit", "spec.successfulJobsHistoryLimit", errs);
    nonneg(spec, "failedJobsHistoryLimit", "spec.failedJobsHistoryLimit", errs);
}

/* ---- networking ---- */

static void
validate_ingress_backend(const json_t *b, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    const json_t *res = api_jobj(b, "resource"), *svc = api_jobj(b, "service");
    if (res && svc) {
        api_err_invalid_str(e, path, "", "cannot set both resource and service backends");
        return;
    }
    if (res) {
        const char *g = api_jstr(res, "apiGroup");
        CH(p, path, "resource");
        char q[API_PATH_MAX];
        if (g)
            check_subdomain(g, CH(q, p, "apiGroup"), e);
        static const char *const fields[] = { "kind", "name", NULL };
        for (int k = 0; fields[k]; k++) {
            const char *v = str_or(res, fields[k], "");
            CH(q, p, fields[k]);
            if (!*v) {
                api_err_required(e, q, "");
            } else {
                struct api_msgs m;
                api_msgs_path_segment(v, &m);
                api_err_invalid_each(e, q, v, &m);
            }
        }
    } else if (svc) {
        const char *name = str_or(svc, "name", "");
        if (!*name) {
            api_err_required(e, CH(p, path, "service.name"), "");
        } else {
            /* RelaxedServiceNameValidation is off in 1.33: a DNS-1035 label */
            struct api_msgs m;
            api_msgs_dns1035_label(name, &m);
            api_err_invalid_each(e, CH(p, path, "service.name"), name, &m);
        }
        const json_t *port = api_jobj(svc, "port");
        const char *pn = str_or(port, "name", "");
        long long num = 0;
        api_jint(port, "number", &num);
        if (*pn && num != 0) {
            api_err_invalid_str(e, path, "", "cannot set both port name & port number");
        } else if (*pn) {
            struct api_msgs m;
            api_msgs_port_name(pn, &m);
            api_err_invalid_each(e, CH(p, path, "service.port.name"), pn, &m);
        } else if (num != 0) {
            if (!port_ok(num))
                api_err_invalid_int(e, CH(p, path, "service.port.number"), num, RANGE_PORT);
        } else {
            api_err_required(e, path, "port name or number is required");
        }
    } else {
        api_err_invalid_str(e, path, "", "resource or service backend is required");
    }
}

static void
check_host(const char *host, const char *path, struct api_errors *e, bool *wildcard)
{
    *wildcard = false;
    if (api_parse_ip(host, NULL))
        api_err_invalid_str(e, path, host, "must be a DNS name, not an IP address");
    struct api_msgs m;
    if (strchr(host, '*')) {
        api_msgs_wildcard_subdomain(host, &m);
        *wildcard = true;
    } else {
        api_msgs_dns1123_subdomain(host, &m);
    }
    api_err_invalid_each(e, path, host, &m);
}

static void
validate_ingress_spec(const json_t *spec, const json_t *old_spec, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX], r[API_PATH_MAX];
    json_t *rules = api_jarr(spec, "rules");
    if (json_array_size(rules) == 0 && !api_jobj(spec, "defaultBackend"))
        api_err_invalid_raw(e, "spec",
                            json_array_size(rules) == 0 && !rules ? "[]networking.IngressRule(nil)"
                                                                  : "[]networking.IngressRule{}",
                            "either `defaultBackend` or `rules` must be specified");
    if (api_jobj(spec, "defaultBackend"))
        validate_ingress_backend(api_jobj(spec, "defaultBackend"), "spec.defaultBackend", e);
    /* Wildcard rules with invalid paths are tolerated on update when the old object had them already. */
    bool allow_bad_wildcard = false;
    size_t i, j;
    json_t *rule;
    json_array_foreach(old_spec ? api_jarr(old_spec, "rules") : NULL, i, rule)
    {
        if (strchr(str_or(rule, "host", ""), '*')) {
            struct api_errors tmp = { 0 };
            const json_t *http = api_jobj(rule, "http");
            if (http) {
                json_t *pth;
                json_array_foreach(api_jarr(http, "paths"), j, pth)
                {
                    if (!api_jhas(pth, "pathType"))
                        tmp.n++;
                }
            }
            if (tmp.n)
                allow_bad_wildcard = true;
            api_errors_free(&tmp);
        }
    }
    json_array_foreach(rules, i, rule)
    {
        IX(p, "spec.rules", i);
        const char *host = str_or(rule, "host", "");
        bool wildcard = false;
        if (*host)
            check_host(host, CH(q, p, "host"), e, &wildcard);
        if (wildcard && allow_bad_wildcard)
            continue;
        const json_t *http = api_jobj(rule, "http");
        if (!http)
            continue;
        CH(q, p, "http");
        json_t *paths = api_jarr(http, "paths");
        if (json_array_size(paths) == 0)
            api_err_required(e, CH(r, q, "paths"), "");
        json_t *pth;
        json_array_foreach(paths, j, pth)
        {
            char pp[API_PATH_MAX], x[API_PATH_MAX];
            IX(pp, CH(r, q, "paths"), j);
            const char *pt = api_jstr(pth, "pathType");
            if (!pt) {
                api_err_required(e, CH(x, pp, "pathType"), "pathType must be specified");
                continue;
            }
            const char *path = str_or(pth, "path", "");
            if (streq(pt, "Exact") || streq(pt, "Prefix")) {
                if (path[0] != '/')
                    api_err_invalid_str(e, CH(x, pp, "path"), path, "must be an absolute path");
                if (*path) {
                    static const char *const seqs[] = { "//", "/./", "/../", "%2f", "%2F", NULL };
                    for (int k = 0; seqs[k]; k++) {
                        if (strstr(path, seqs[k])) {
                            char msg[64];
                            snprintf(msg, sizeof(msg), "must not contain '%s'", seqs[k]);
                            api_err_invalid_str(e, CH(x, pp, "path"), path, msg);
                        }
                    }
                    static const char *const sufs[] = { "/..", "/.", NULL };
                    size_t n = strlen(path);
                    for (int k = 0; sufs[k]; k++) {
                        size_t sl = strlen(sufs[k]);
                        if (n >= sl && strcmp(path + n - sl, sufs[k]) == 0) {
                            char msg[64];
                            snprintf(msg, sizeof(msg), "cannot end with '%s'", sufs[k]);
                            api_err_invalid_str(e, CH(x, pp, "path"), path, msg);
                        }
                    }
                }
            } else if (streq(pt, "ImplementationSpecific")) {
                if (*path && path[0] != '/')
                    api_err_invalid_str(e, CH(x, pp, "path"), path, "must be an absolute path");
            } else {
                static const char *const types[] = { "Exact", "ImplementationSpecific", "Prefix", NULL };
                api_err_not_supported(e, CH(x, pp, "pathType"), pt, types);
            }
            validate_ingress_backend(api_jobj(pth, "backend"), CH(x, pp, "backend"), e);
        }
    }
    /* Invalid TLS secret names are tolerated on update when the old object had one. */
    bool allow_bad_secret = false;
    json_t *tls;
    json_array_foreach(old_spec ? api_jarr(old_spec, "tls") : NULL, i, tls)
    {
        const char *sn = str_or(tls, "secretName", "");
        struct api_msgs m;
        api_msgs_dns1123_subdomain(sn, &m);
        if (*sn && m.n)
            allow_bad_secret = true;
    }
    json_array_foreach(api_jarr(spec, "tls"), i, tls)
    {
        IX(p, "spec.tls", i);
        json_t *h;
        json_array_foreach(api_jarr(tls, "hosts"), j, h)
        {
            const char *host = json_is_string(h) ? json_string_value(h) : "";
            struct api_msgs m;
            if (strchr(host, '*'))
                api_msgs_wildcard_subdomain(host, &m);
            else
                api_msgs_dns1123_subdomain(host, &m);
            api_err_invalid_each(e, IX(r, CH(q, p, "hosts"), j), host, &m);
        }
        const char *sn = str_or(tls, "secretName", "");
        if (!allow_bad_secret && *sn)
            check_subdomain(sn, CH(q, p, "secretName"), e);
    }
    const char *icn = api_jstr(spec, "ingressClassName");
    if (icn)
        check_subdomain(icn, "spec.ingressClassName", e);
}

void
api_validate_networking_ingress(const struct api_resource *r, const json_t *obj, const json_t *old,
                                struct api_errors *errs)
{
    (void)r;
    const json_t *spec = api_jobj(obj, "spec");
    validate_ingress_spec(spec, old ? api_jobj(old, "spec") : NULL, errs);
    if (!old) {
        const char *ann = api_jstr(api_jobj(api_jobj(obj, "metadata"), "annotations"), "kubernetes.io/ingress.class");
        const char *icn = api_jstr(spec, "ingressClassName");
        if (ann && icn && !streq(ann, icn))
            api_err_invalid_str(errs, "annotations.kubernetes.io/ingress.class", ann,
                                "must match `ingressClassName` when both are specified");
    }
}

void
api_validate_networking_ingressclass(const struct api_resource *r, const json_t *obj, const json_t *old,
                                     struct api_errors *errs)
{
    (void)r;
    const json_t *spec = api_jobj(obj, "spec");
    const char *ctl = str_or(spec, "controller", "");
    if (old)
        immutable_json(api_jget(spec, "controller"), api_jget(api_jobj(old, "spec"), "controller"), "spec.controller",
                       errs);
    if (!*ctl) {
        api_err_required(errs, "spec.controller", "");
    } else {
        if (strlen(ctl) > 250)
            api_err_too_long(errs, "spec.controller", 250);
        /* IsDomainPrefixedPath */
        const char *slash = strchr(ctl, '/');
        if (!slash || slash == ctl || !slash[1]) {
            api_err_invalid_str(errs, "spec.controller", ctl,
                                "must be a domain-prefixed path (such as \"acme.io/foo\")");
        } else {
            char host[300];
            snprintf(host, sizeof(host), "%.*s", (int)(slash - ctl), ctl);
            check_subdomain(host, "spec.controller", errs);
            bool ok = true;
            for (const char *c = slash + 1; *c; c++)
                if (!isalnum((unsigned char)*c) && !strchr("/-._~%!$&'()*+,;=:", *c))
                    ok = false;
            if (!ok)
                api_err_invalid_str(errs, "spec.controller", slash + 1,
                                    "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')");
        }
    }
    const json_t *params = api_jobj(spec, "parameters");
    if (!params)
        return;
    const char *g = api_jstr(params, "apiGroup");
    if (g)
        check_subdomain(g, "spec.parameters.apiGroup", errs);
    static const char *const fields[] = { "kind", "name", NULL };
    for (int k = 0; fields[k]; k++) {
        char p[API_PATH_MAX];
        const char *v = str_or(params, fields[k], "");
        CH(p, "spec.parameters", fields[k]);
        if (!*v) {
            api_err_required(errs, p, "");
        } else {
            struct api_msgs m;
            api_msgs_path_segment(v, &m);
            api_err_invalid_each(errs, p, v, &m);
        }
    }
    const char *scope = api_jstr(params, "scope");
    static const char *const scopes[] = { "Cluster", "Namespace", NULL };
    if (!scope) {
        api_err_required(errs, "spec.parameters.scope", "");
        return;
    }
    if (!in_list(scope, scopes)) {
        api_err_not_supported(errs, "spec.parameters.scope", scope, scopes);
    } else if (streq(scope, "Namespace")) {
        const char *ns = api_jstr(params, "namespace");
        if (!ns)
            api_err_required(errs, "spec.parameters.namespace", "`parameters.scope` is set to 'Namespace'");
        else
            check_label(ns, "spec.parameters.namespace", errs);
    } else if (api_jhas(params, "namespace")) {
        api_err_forbidden(errs, "spec.parameters.namespace", "`parameters.scope` is set to 'Cluster'");
    }
}

/* ---- discovery.k8s.io EndpointSlice ---- */

void
api_validate_discovery_endpointslice(const struct api_resource *r, const json_t *obj, const json_t *old,
                                     struct api_errors *errs)
{
    (void)r;
    char p[API_PATH_MAX], q[API_PATH_MAX], s[API_PATH_MAX];
    const char *at = str_or(obj, "addressType", "");
    static const char *const create_types[] = { "FQDN", "IPv4", "IPv6", NULL };
    static const char *const update_types[] = { "FQDN", "IP", "IPv4", "IPv6", NULL };
    if (!*at)
        api_err_required(errs, "addressType", "");
    else if (!in_list(at, old ? update_types : create_types))
        api_err_not_supported(errs, "addressType", at, old ? update_types : create_types);
    json_t *eps = api_jarr(obj, "endpoints");
    if (json_array_size(eps) > 1000) {
        api_err_too_many(errs, "endpoints", (long)json_array_size(eps), 1000);
    } else {
        size_t i, j;
        json_t *ep, *a;
        json_array_foreach(eps, i, ep)
        {
            IX(p, "endpoints", i);
            CH(q, p, "addresses");
            json_t *addrs = api_jarr(ep, "addresses");
            if (json_array_size(addrs) == 0)
                api_err_required(errs, q, "must contain at least 1 address");
            else if (json_array_size(addrs) > 100)
                api_err_too_many(errs, q, (long)json_array_size(addrs), 100);
            json_array_foreach(addrs, j, a)
            {
                const char *addr = json_is_string(a) ? json_string_value(a) : "";
                IX(s, q, j);
                int fam = api_parse_ip(addr, NULL);
                if (streq(at, "IP")) {
                    if (!fam)
                        api_err_invalid_str(errs, s, addr, BAD_IP);
                } else if (streq(at, "IPv4")) {
                    if (fam != 4)
                        api_err_invalid_str(errs, s, addr, "must be a valid IPv4 address");
                    non_special_ip(addr, s, errs);
                } else if (streq(at, "IPv6")) {
                    if (fam != 6)
                        api_err_invalid_str(errs, s, addr, "must be a valid IPv6 address");
                    non_special_ip(addr, s, errs);
                } else if (streq(at, "FQDN")) {
                    /* IsFullyQualifiedDomainName */
                    char name[300];
                    snprintf(name, sizeof(name), "%s", addr);
                    size_t n = strlen(name);
                    if (n && name[n - 1] == '.')
                        name[--n] = '\0';
                    struct api_msgs m;
                    api_msgs_dns1123_subdomain(name, &m);
                    if (!n) {
                        api_err_required(errs, s, "");
                    } else if (m.n) {
                        char joined[1100] = "";
                        for (size_t k = 0; k < m.n; k++)
                            snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s", k ? "," : "",
                                     m.msg[k]);
                        api_err_invalid_str(errs, s, name, joined);
                    } else if (!strchr(name, '.')) {
                        api_err_invalid_str(errs, s, name,
                                            "should be a domain with at least two segments separated by dots");
                    } else {
                        char buf[300];
                        snprintf(buf, sizeof(buf), "%s", name);
                        char *save = NULL;
                        for (char *l = strtok_r(buf, ".", &save); l; l = strtok_r(NULL, ".", &save)) {
                            struct api_msgs lm;
                            api_msgs_dns1123_label(l, &lm);
                            if (lm.n) {
                                char jl[1100] = "";
                                for (size_t k = 0; k < lm.n; k++)
                                    snprintf(jl + strlen(jl), sizeof(jl) - strlen(jl), "%s%s", k ? "," : "", lm.msg[k]);
                                api_err_invalid_str(errs, s, l, jl);
                                break;
                            }
                        }
                    }
                }
            }
            const json_t *topo = api_jobj(ep, "deprecatedTopology");
            CH(q, p, "topology");
            if (json_object_size(topo) > 16)
                api_err_too_many(errs, q, (long)json_object_size(topo), 16);
            api_validate_labels(topo, q, errs);
            const char *hn = api_jstr(ep, "hostname");
            if (hn)
                check_label(hn, CH(q, p, "hostname"), errs);
        }
    }
    json_t *ports = api_jarr(obj, "ports");
    if (json_array_size(ports) > 100) {
        api_err_too_many(errs, "ports", (long)json_array_size(ports), 100);
    } else {
        struct api_seen names = { 0 };
        size_t i;
        json_t *port;
        json_array_foreach(ports, i, port)
        {
            IX(p, "ports", i);
            const char *name = str_or(port, "name", "");
            if (*name)
                check_label(name, CH(q, p, "name"), errs);
            if (api_seen_add(&names, name))
                api_err_duplicate_str(errs, CH(q, p, "name"), name);
            const char *proto = api_jstr(port, "protocol");
            if (!proto)
                api_err_required(errs, CH(q, p, "protocol"), "");
            else if (!in_list(proto, protocols))
                api_err_not_supported(errs, CH(q, p, "protocol"), proto, protocols);
            const char *ap = api_jstr(port, "appProtocol");
            if (ap)
                check_qualified(ap, CH(q, p, "appProtocol"), errs);
        }
        api_seen_free(&names);
    }
    if (old)
        immutable_json(api_jget(obj, "addressType"), api_jget(old, "addressType"), "addressType", errs);
}

/* ---- coordination.k8s.io Lease ---- */

void
api_validate_coordination_lease(const struct api_resource *r, const json_t *obj, const json_t *old,
                                struct api_errors *errs)
{
    (void)r;
    (void)old;
    const json_t *spec = api_jobj(obj, "spec");
    long long v;
    if (api_jint(spec, "leaseDurationSeconds", &v) && v <= 0)
        api_err_invalid_int(errs, "spec.leaseDurationSeconds", v, "must be greater than 0");
    if (api_jint(spec, "leaseTransitions", &v) && v < 0)
        api_err_invalid_int(errs, "spec.leaseTransitions", v, NONNEG);
    const char *st = api_jstr(spec, "strategy");
    if (st) {
        static const char *const strategies[] = { "OldestEmulationVersion", NULL };
        if (!strchr(st, '/')) {
            if (!in_list(st, strategies))
                api_err_not_supported(errs, "spec.strategy.strategy", st, strategies);
        } else {
            check_qualified(st, "spec.strategy.strategy", errs);
        }
    }
    const char *ph = api_jstr(spec, "preferredHolder");
    if (ph && *ph && (!st || !*st))
        api_err_forbidden(errs, "spec.preferredHolder", "may only be specified if `strategy` is defined");
}

/* ---- storage.k8s.io StorageClass ---- */

void
api_validate_storage_storageclass(const struct api_resource *r, const json_t *obj, const json_t *old,
                                  struct api_errors *errs)
{
    (void)r;
    if (old) {
        /* ValidateStorageClassUpdate: metadata plus these (the fields themselves are not re-validated) */
        if (!sem_equal(api_jget(obj, "parameters"), api_jget(old, "parameters")))
            api_err_forbidden(errs, "parameters", "updates to parameters are forbidden.");
        if (!streq(str_or(obj, "provisioner", ""), str_or(old, "provisioner", "")))
            api_err_forbidden(errs, "provisioner", "updates to provisioner are forbidden.");
        if (!streq(str_or(obj, "reclaimPolicy", ""), str_or(old, "reclaimPolicy", "")))
            api_err_forbidden(errs, "reclaimPolicy", "updates to reclaimPolicy are forbidden.");
        immutable_json(api_jget(obj, "volumeBindingMode"), api_jget(old, "volumeBindingMode"), "volumeBindingMode",
                       errs);
        return;
    }
    const char *prov = str_or(obj, "provisioner", "");
    if (!*prov) {
        api_err_required(errs, "provisioner", "");
    } else {
        char lower[600];
        snprintf(lower, sizeof(lower), "%s", prov);
        for (char *c = lower; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        check_qualified(lower, "provisioner", errs);
    }
    const json_t *params = api_jobj(obj, "parameters");
    if (json_object_size(params) > 512) {
        api_err_too_long(errs, "parameters", 512);
    } else {
        size_t total = 0;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)params, k, v)
        {
            if (!*k)
                api_err_invalid_str(errs, "parameters", k, "field can not be empty.");
            total += strlen(k) + (json_is_string(v) ? json_string_length(v) : 0);
        }
        if (total > 256 * 1024)
            api_err_too_long(errs, "parameters", 256 * 1024);
    }
    static const char *const policies[] = { "Delete", "Retain", NULL };
    const char *rp = str_or(obj, "reclaimPolicy", "");
    if (*rp && !in_list(rp, policies))
        api_err_not_supported(errs, "reclaimPolicy", rp, policies);
    static const char *const modes[] = { "Immediate", "WaitForFirstConsumer", NULL };
    const char *vbm = api_jstr(obj, "volumeBindingMode");
    if (!vbm)
        api_err_required(errs, "volumeBindingMode", "");
    else if (!in_list(vbm, modes))
        api_err_not_supported(errs, "volumeBindingMode", vbm, modes);
    size_t i, j;
    json_t *term, *req;
    json_array_foreach(api_jarr(obj, "allowedTopologies"), i, term)
    {
        char p[API_PATH_MAX], q[API_PATH_MAX], x[API_PATH_MAX];
        IX(p, "allowedTopologies", i);
        struct api_seen keys = { 0 };
        json_array_foreach(api_jarr(term, "matchLabelExpressions"), j, req)
        {
            IX(q, CH(x, p, "matchLabelExpressions"), j);
            json_t *vals = api_jarr(req, "values");
            if (json_array_size(vals) == 0)
                api_err_required(errs, CH(x, q, "values"), "");
            for (size_t a = 0; a < json_array_size(vals); a++)
                for (size_t b = 0; b < a; b++)
                    if (json_equal(json_array_get(vals, a), json_array_get(vals, b))) {
                        char vp[API_PATH_MAX];
                        api_err_duplicate_str(errs, IX(vp, CH(x, q, "values"), a),
                                              json_string_value(json_array_get(vals, a)));
                        break;
                    }
            const char *key = str_or(req, "key", "");
            check_qualified(key, CH(x, q, "key"), errs);
            if (api_seen_add(&keys, key))
                api_err_duplicate_str(errs, CH(x, q, "key"), key);
        }
        api_seen_free(&keys);
        for (j = 0; j < i; j++) {
            if (sem_equal(api_jarr(json_array_get(api_jarr(obj, "allowedTopologies"), j), "matchLabelExpressions"),
                          api_jarr(term, "matchLabelExpressions"))) {
                api_err_duplicate_str(errs, CH(q, p, "matchLabelExpressions"), "");
                break;
            }
        }
    }
}

/* ---- autoscaling/v2 HorizontalPodAutoscaler ---- */

static void
validate_cross_version_ref(const json_t *ref, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    static const char *const fields[] = { "kind", "name", NULL };
    for (int k = 0; fields[k]; k++) {
        const char *v = str_or(ref, fields[k], "");
        CH(p, path, fields[k]);
        if (!*v) {
            api_err_required(e, p, "");
        } else {
            struct api_msgs m;
            api_msgs_path_segment(v, &m);
            api_err_invalid_each(e, p, v, &m);
        }
    }
}

static void
validate_metric_target(const json_t *mt, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    const char *t = str_or(mt, "type", "");
    if (!*t)
        api_err_required(e, CH(p, path, "type"), "must specify a metric target type");
    if (!streq(t, "Utilization") && !streq(t, "Value") && !streq(t, "AverageValue"))
        api_err_invalid_str(e, CH(p, path, "type"), t, "must be either Utilization, Value, or AverageValue");
    static const char *const qs[] = { "value", "averageValue", NULL };
    for (int k = 0; qs[k]; k++) {
        json_t *v = api_jget(mt, qs[k]);
        if (!v || json_is_null(v))
            continue;
        struct kc_quantity q;
        char s[64];
        CH(p, path, qs[k]);
        if (quantity_at(v, p, &q, s, e) && q.milli <= 0)
            api_err_invalid_raw(e, p, s, "must be positive");
    }
    long long u;
    if (api_jint(mt, "averageUtilization", &u) && u < 1)
        api_err_invalid_int(e, CH(p, path, "averageUtilization"), u, "must be greater than 0");
}

static void
validate_metric_identifier(const json_t *id, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    const char *n = str_or(id, "name", "");
    CH(p, path, "name");
    if (!*n) {
        api_err_required(e, p, "must specify a metric name");
    } else {
        struct api_msgs m;
        api_msgs_path_segment(n, &m);
        api_err_invalid_each(e, p, n, &m);
    }
    if (api_jobj(id, "selector"))
        api_validate_label_selector(api_jobj(id, "selector"), CH(p, path, "selector"), e);
}

static void
validate_metric_spec(const json_t *ms, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    static const char *const types[] = { "ContainerResource", "External", "Object", "Pods", "Resource", NULL };
    const char *t = str_or(ms, "type", "");
    if (!*t)
        api_err_required(e, CH(p, path, "type"), "must specify a metric source type");
    if (!in_list(t, types))
        api_err_not_supported(e, CH(p, path, "type"), t, types);
    static const char *const keys[] = { "object", "external", "pods", "resource", "containerResource", NULL };
    int present = 0;
    for (int k = 0; keys[k]; k++) {
        const json_t *src = api_jobj(ms, keys[k]);
        if (!src)
            continue;
        if (present++ > 0)
            continue; /* only the first present source is validated, as upstream */
        CH(p, path, keys[k]);
        const json_t *target = api_jobj(src, "target");
        if (streq(keys[k], "object")) {
            validate_cross_version_ref(api_jobj(src, "describedObject"), CH(q, p, "describedObject"), e);
            validate_metric_identifier(api_jobj(src, "metric"), CH(q, p, "metric"), e);
            validate_metric_target(target, CH(q, p, "target"), e);
            if (!api_jhas(target, "value") && !api_jhas(target, "averageValue"))
                api_err_required(e, CH(q, p, "target.averageValue"), "must set either a target value or averageValue");
        } else if (streq(keys[k], "external")) {
            validate_metric_identifier(api_jobj(src, "metric"), CH(q, p, "metric"), e);
            validate_metric_target(target, CH(q, p, "target"), e);
            if (!api_jhas(target, "value") && !api_jhas(target, "averageValue"))
                api_err_required(e, CH(q, p, "target.averageValue"),
                                 "must set either a target value for metric or a per-pod target");
            if (api_jhas(target, "value") && api_jhas(target, "averageValue"))
                api_err_forbidden(e, CH(q, p, "target.value"),
                                  "may not set both a target value for metric and a per-pod target");
        } else if (streq(keys[k], "pods")) {
            validate_metric_identifier(api_jobj(src, "metric"), CH(q, p, "metric"), e);
            validate_metric_target(target, CH(q, p, "target"), e);
            if (!api_jhas(target, "averageValue"))
                api_err_required(e, CH(q, p, "target.averageValue"), "must specify a positive target averageValue");
        } else {
            if (!*str_or(src, "name", ""))
                api_err_required(e, CH(q, p, "name"), "must specify a resource name");
            if (streq(keys[k], "containerResource")) {
                const char *c = str_or(src, "container", "");
                if (!*c)
                    api_err_required(e, CH(q, p, "container"), "must specify a container");
                else
                    check_label(c, CH(q, p, "container"), e);
            }
            validate_metric_target(target, CH(q, p, "target"), e);
            if (!api_jhas(target, "averageUtilization") && !api_jhas(target, "averageValue"))
                api_err_required(e, CH(q, p, "target.averageUtilization"),
                                 "must set either a target raw value or a target utilization");
            if (api_jhas(target, "averageUtilization") && api_jhas(target, "averageValue"))
                api_err_forbidden(e, CH(q, p, "target.averageValue"),
                                  "may not set both a target raw value and a target utilization");
        }
    }
    static const struct {
        const char *type, *key;
    } expect[] = { { "Object", "object" },
                   { "Pods", "pods" },
                   { "Resource", "resource" },
                   { "ContainerResource", "containerResource" },
                   { "External", "external" } };
    const char *expected = NULL;
    for (size_t k = 0; k < sizeof(expect) / sizeof(expect[0]); k++) {
        if (streq(t, expect[k].type)) {
            expected = expect[k].key;
            if (!api_jobj(ms, expected))
                api_err_required(e, CH(p, path, expected), "must populate information for the given metric source");
        }
    }
    if (!expected) /* upstream's switch default: a second NotSupported */
        api_err_not_supported(e, CH(p, path, "type"), t, types);
    if (present != 1) {
        for (int k = 0; keys[k]; k++)
            if (api_jobj(ms, keys[k]) && !streq(keys[k], expected))
                api_err_forbidden(e, CH(p, path, keys[k]), "must populate the given metric source only");
    }
}

static void
validate_scaling_rules(const json_t *rules, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX], x[API_PATH_MAX];
    if (!json_is_object(rules))
        return;
    long long sw;
    if (api_jint(rules, "stabilizationWindowSeconds", &sw)) {
        if (sw < 0)
            api_err_invalid_int(e, CH(p, path, "stabilizationWindowSeconds"), sw,
                                "must be greater than or equal to zero");
        if (sw > 3600)
            api_err_invalid_int(e, CH(p, path, "stabilizationWindowSeconds"), sw, "must be less than or equal to 3600");
    }
    static const char *const selects[] = { "Disabled", "Max", "Min", NULL };
    const char *sel = api_jstr(rules, "selectPolicy");
    if (sel && !in_list(sel, selects))
        api_err_not_supported(e, CH(p, path, "selectPolicy"), sel, selects);
    json_t *pols = api_jarr(rules, "policies");
    CH(p, path, "policies");
    if (json_array_size(pols) == 0)
        api_err_required(e, p, "must specify at least one Policy");
    size_t i;
    json_t *pol;
    static const char *const ptypes[] = { "Percent", "Pods", NULL };
    json_array_foreach(pols, i, pol)
    {
        IX(q, p, i);
        const char *t = str_or(pol, "type", "");
        if (!in_list(t, ptypes))
            api_err_not_supported(e, CH(x, q, "type"), t, ptypes);
        long long v = 0, ps = 0;
        api_jint(pol, "value", &v);
        api_jint(pol, "periodSeconds", &ps);
        if (v <= 0)
            api_err_invalid_int(e, CH(x, q, "value"), v, "must be greater than zero");
        if (ps <= 0)
            api_err_invalid_int(e, CH(x, q, "periodSeconds"), ps, "must be greater than zero");
        if (ps > 1800)
            api_err_invalid_int(e, CH(x, q, "periodSeconds"), ps, "must be less than or equal to 1800");
    }
}

void
api_validate_autoscaling_horizontalpodautoscaler(const struct api_resource *r, const json_t *obj, const json_t *old,
                                                 struct api_errors *errs)
{
    (void)r;
    (void)old;
    const json_t *spec = api_jobj(obj, "spec");
    long long minr = 0, maxr = 0;
    bool has_min = api_jint(spec, "minReplicas", &minr);
    api_jint(spec, "maxReplicas", &maxr);
    /* HPAScaleToZero is off in 1.33: minReplicas >= 1 */
    if (has_min && minr < 1)
        api_err_invalid_int(errs, "spec.minReplicas", minr, "must be greater than or equal to 1");
    if (maxr < 1)
        api_err_invalid_int(errs, "spec.maxReplicas", maxr, "must be greater than 0");
    if (has_min && maxr < minr)
        api_err_invalid_int(errs, "spec.maxReplicas", maxr, "must be greater than or equal to `minReplicas`");
    validate_cross_version_ref(api_jobj(spec, "scaleTargetRef"), "spec.scaleTargetRef", errs);
    char p[API_PATH_MAX];
    size_t i;
    json_t *m;
    json_array_foreach(api_jarr(spec, "metrics"), i, m)
    {
        validate_metric_spec(m, IX(p, "spec.metrics", i), errs);
    }
    const json_t *b = api_jobj(spec, "behavior");
    if (b) {
        validate_scaling_rules(api_jobj(b, "scaleUp"), "spec.behavior.scaleUp", errs);
        validate_scaling_rules(api_jobj(b, "scaleDown"), "spec.behavior.scaleDown", errs);
    }
}

/* ---- rbac.authorization.k8s.io/v1 (pkg/apis/rbac/validation) ---- */

#define RBAC_GROUP "rbac.authorization.k8s.io"

/* ValidatePolicyRule. A namespaced rule (Role) may not name non-resource URLs; a rule with them names nothing else
 * and needs no API groups or resources. */
static void
validate_policy_rule(const json_t *rule, bool namespaced, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    if (json_array_size(api_jarr(rule, "verbs")) == 0)
        api_err_required(e, CH(p, path, "verbs"), "verbs must contain at least one value");
    const json_t *urls = api_jarr(rule, "nonResourceURLs");
    if (json_array_size(urls) > 0) {
        struct api_sb v = { 0 };
        api_go_string_slice(&v, urls);
        CH(p, path, "nonResourceURLs");
        if (namespaced)
            api_err_invalid_raw(e, p, api_sb_str(&v), "namespaced rules cannot apply to non-resource URLs");
        if (json_array_size(api_jarr(rule, "apiGroups")) || json_array_size(api_jarr(rule, "resources")) ||
            json_array_size(api_jarr(rule, "resourceNames")))
            api_err_invalid_raw(e, p, api_sb_str(&v),
                                "rules cannot apply to both regular resources and non-resource URLs");
        api_sb_free(&v);
        return;
    }
    if (json_array_size(api_jarr(rule, "apiGroups")) == 0)
        api_err_required(e, CH(p, path, "apiGroups"), "resource rules must supply at least one api group");
    if (json_array_size(api_jarr(rule, "resources")) == 0)
        api_err_required(e, CH(p, path, "resources"), "resource rules must supply at least one resource");
}

static void
validate_rules(const json_t *obj, bool namespaced, struct api_errors *e)
{
    char p[API_PATH_MAX];
    size_t i;
    json_t *rule;
    json_array_foreach(api_jarr(obj, "rules"), i, rule)
    {
        validate_policy_rule(rule, namespaced, IX(p, "rules", i), e);
    }
}

/* ValidateRole (and ValidateRoleUpdate, which adds only the metadata checks). */
void
api_validate_rbac_role(const struct api_resource *r, const json_t *obj, const json_t *old, struct api_errors *errs)
{
    (void)r;
    (void)old;
    validate_rules(obj, true, errs);
}

/* ValidateClusterRole: the rules, and an aggregationRule, when present, with at least one selector, each a valid
 * label selector (AllowInvalidLabelValueInSelector is off for new objects; k8c applies it to updates as well).
 * A selector that LabelSelectorAsSelector rejects -- exactly the ones ValidateLabelSelector reports on -- also
 * gets upstream's "invalid label selector." with the nil Selector it got back ("null"). */
void
api_validate_rbac_clusterrole(const struct api_resource *r, const json_t *obj, const json_t *old,
                              struct api_errors *errs)
{
    (void)r;
    (void)old;
    validate_rules(obj, false, errs);
    const json_t *agg = api_jobj(obj, "aggregationRule");
    if (!agg)
        return;
    const json_t *sels = api_jarr(agg, "clusterRoleSelectors");
    if (json_array_size(sels) == 0)
        api_err_required(errs, "aggregationRule.clusterRoleSelectors",
                         "at least one clusterRoleSelector required if aggregationRule is non-nil");
    char p[API_PATH_MAX];
    size_t i;
    json_t *sel;
    json_array_foreach(sels, i, sel)
    {
        IX(p, "aggregationRule.clusterRoleSelectors", i);
        int before = errs->n;
        api_validate_label_selector(sel, p, errs);
        if (errs->n > before)
            api_err_invalid_str(errs, p, "null", "invalid label selector.");
    }
}

/* %#v of the internal rbac.RoleRef. */
static void
go_role_ref(struct api_sb *sb, const json_t *ref)
{
    api_sb_puts(sb, "rbac.RoleRef{APIGroup:");
    api_go_quote(sb, str_or(ref, "apiGroup", ""));
    api_sb_puts(sb, ", Kind:");
    api_go_quote(sb, str_or(ref, "kind", ""));
    api_sb_puts(sb, ", Name:");
    api_go_quote(sb, str_or(ref, "name", ""));
    api_sb_puts(sb, "}");
}

/* ValidateRoleBindingSubject. namespaced: a RoleBinding's subject (a ServiceAccount defaults to the binding's
 * namespace there, so its namespace is not required). */
static void
validate_subject(const json_t *s, bool namespaced, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    const char *name = str_or(s, "name", ""), *kind = str_or(s, "kind", ""), *group = str_or(s, "apiGroup", "");
    if (!*name)
        api_err_required(e, CH(p, path, "name"), "");
    static const char *const rbac_group[] = { RBAC_GROUP, NULL };
    if (streq(kind, "ServiceAccount")) {
        if (*name)
            check_name_list(API_NAME_SUBDOMAIN, name, CH(p, path, "name"), e); /* ValidateServiceAccountName */
        if (*group) {
            static const char *const core_group[] = { "", NULL };
            api_err_not_supported(e, CH(p, path, "apiGroup"), group, core_group);
        }
        if (!namespaced && !*str_or(s, "namespace", ""))
            api_err_required(e, CH(p, path, "namespace"), "");
    } else if (streq(kind, "User") || streq(kind, "Group")) {
        if (!streq(group, RBAC_GROUP))
            api_err_not_supported(e, CH(p, path, "apiGroup"), group, rbac_group);
    } else {
        static const char *const kinds[] = { "ServiceAccount", "User", "Group", NULL };
        api_err_not_supported(e, CH(p, path, "kind"), kind, kinds);
    }
}

/* ValidateRoleBinding / ValidateClusterRoleBinding and their updates: roleRef's group, kind (Role or ClusterRole;
 * only ClusterRole for a ClusterRoleBinding) and name (a path segment), the subjects, and roleRef unchanged on
 * update ("cannot change roleRef", with the new roleRef as Go prints the struct). */
static void
validate_binding(const json_t *obj, const json_t *old, bool namespaced, struct api_errors *e)
{
    const json_t *ref = api_jobj(obj, "roleRef");
    static const char *const rbac_group[] = { RBAC_GROUP, NULL };
    const char *group = str_or(ref, "apiGroup", ""), *kind = str_or(ref, "kind", ""), *name = str_or(ref, "name", "");
    if (!streq(group, RBAC_GROUP))
        api_err_not_supported(e, "roleRef.apiGroup", group, rbac_group);
    static const char *const ns_kinds[] = { "Role", "ClusterRole", NULL };
    static const char *const cluster_kinds[] = { "ClusterRole", NULL };
    const char *const *kinds = namespaced ? ns_kinds : cluster_kinds;
    if (!in_list(kind, kinds))
        api_err_not_supported(e, "roleRef.kind", kind, kinds);
    if (!*name)
        api_err_required(e, "roleRef.name", "");
    else
        check_name_list(API_NAME_PATH_SEGMENT, name, "roleRef.name", e); /* ValidateRBACName */
    char p[API_PATH_MAX];
    size_t i;
    json_t *s;
    json_array_foreach(api_jarr(obj, "subjects"), i, s)
    {
        validate_subject(s, namespaced, IX(p, "subjects", i), e);
    }
    if (old) {
        const json_t *oref = api_jobj(old, "roleRef");
        if (!streq(group, str_or(oref, "apiGroup", "")) || !streq(kind, str_or(oref, "kind", "")) ||
            !streq(name, str_or(oref, "name", ""))) {
            struct api_sb v = { 0 };
            go_role_ref(&v, ref);
            api_err_invalid_raw(e, "roleRef", api_sb_str(&v), "cannot change roleRef");
            api_sb_free(&v);
        }
    }
}

void
api_validate_rbac_rolebinding(const struct api_resource *r, const json_t *obj, const json_t *old,
                              struct api_errors *errs)
{
    (void)r;
    validate_binding(obj, old, true, errs);
}

void
api_validate_rbac_clusterrolebinding(const struct api_resource *r, const json_t *obj, const json_t *old,
                                     struct api_errors *errs)
{
    (void)r;
    validate_binding(obj, old, false, errs);
}

/* ---- ResourceQuota and LimitRange (core/v1) ---- */

/* %#v of a resource.Quantity as upstream decodes the text v holds: resource.Quantity{i:resource.int64Amount{
 * value:V, scale:S}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"S", Format:"F"}. i is ParseQuantity's
 * fast path (a mantissa and a power-of-ten scale); s is the text it caches (the input when that is already
 * canonical), or, with stringed, what String() returned -- upstream's messages that call String() on the value
 * they also report run that call first, and it caches its result. A value only upstream's slow path (inf.Dec)
 * holds -- a BinarySI fraction, more than 18 digits, finer than nano -- prints its String() quoted instead: its
 * Go form carries a heap pointer that cannot be reproduced. */
static void
go_quantity(struct api_sb *sb, const json_t *v, bool stringed)
{
    struct kc_quantity q;
    char canon[64], text[64];
    if (api_quantity(v, &q, canon, sizeof(canon), NULL, 0) != 0) {
        api_go_quote(sb, json_string_value(v) ? json_string_value(v) : "");
        return;
    }
    /* the text upstream parses: the string trimmed, or an integer's digits */
    if (json_is_string(v)) {
        const char *t = json_string_value(v);
        while (*t && strchr(" \t\n\r", *t))
            t++;
        size_t n = strlen(t);
        while (n && strchr(" \t\n\r", t[n - 1]))
            n--;
        if (n >= sizeof(text)) {
            api_go_quote(sb, canon);
            return;
        }
        memcpy(text, t, n);
        text[n] = '\0';
    } else if (json_is_integer(v)) {
        snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
    } else {
        api_go_quote(sb, canon);
        return;
    }
    long long value = 0;
    int scale = 0;
    bool cached = false, fast = false;
    if (strcmp(text, "0") == 0) {
        fast = cached = true;
    } else {
        /* parseQuantityString: a sign, leading zeros dropped, the numerator ("0" when nothing is left), the
         * denominator, the suffix */
        const char *s = text;
        bool negative = false;
        if (*s == '-' || *s == '+')
            negative = *s++ == '-';
        while (*s == '0')
            s++;
        size_t nn = strspn(s, "0123456789"), nd = 0;
        const char *denom = "", *rest = s + nn;
        if (*rest == '.') {
            denom = rest + 1;
            nd = strspn(denom, "0123456789");
            rest = denom + nd;
        }
        /* quantitySuffixer.interpret */
        static const struct {
            const char *suffix;
            int base, exponent;
        } suffixes[] = { { "", 10, 0 },   { "n", 10, -9 }, { "u", 10, -6 }, { "m", 10, -3 },
                         { "k", 10, 3 },  { "M", 10, 6 },  { "G", 10, 9 },  { "T", 10, 12 },
                         { "P", 10, 15 }, { "E", 10, 18 }, { "Ki", 2, 10 }, { "Mi", 2, 20 },
                         { "Gi", 2, 30 }, { "Ti", 2, 40 }, { "Pi", 2, 50 }, { "Ei", 2, 60 } };
        int base = 0, exponent = 0;
        for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
            if (strcmp(rest, suffixes[i].suffix) == 0) {
                base = suffixes[i].base;
                exponent = suffixes[i].exponent;
            }
        if (!base && (rest[0] == 'e' || rest[0] == 'E')) {
            base = 10;
            exponent = atoi(rest + 1);
        }
        size_t lnum = nn ? nn : 1;
        int precision = -1;
        if (base == 10) {
            scale = exponent;
            precision = 18 - (int)(lnum + nd);
        } else if (base == 2 && nd == 0) {
            precision = 15 - (int)lnum - (int)((float)exponent * 3 / 10) - 1;
        }
        if (precision >= 0 && scale - (int)nd >= -9) {
            scale -= (int)nd;
            char shifted[64]; /* precision >= 0: at most 18 digits */
            snprintf(shifted, sizeof(shifted), "%.*s%.*s", (int)(nn ? nn : 1), nn ? s : "0", (int)nd, denom);
            long long m = strtoll(shifted, NULL, 10);
            __int128 r = (__int128)m * (base == 2 ? ((__int128)1 << exponent) : 1);
            if (r <= INT64_MAX) {
                fast = true;
                value = negative ? -(long long)r : (long long)r;
                size_t ls = strlen(shifted);
                if (base == 2)
                    cached = exponent % 10 == 0 && (m & 7) != 0;
                else
                    cached = scale % 3 == 0 && !(ls >= 3 && strcmp(shifted + ls - 3, "000") == 0) && shifted[0] != '0';
            }
        }
    }
    if (!fast) {
        api_go_quote(sb, canon);
        return;
    }
    api_sb_printf(sb,
                  "resource.Quantity{i:resource.int64Amount{value:%lld, scale:%d}, "
                  "d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:",
                  value, scale);
    api_go_quote(sb, cached ? text : stringed ? canon : "");
    api_sb_printf(sb, ", Format:\"%s\"}", kc_quantity_format_name(q.format));
}

/* validateResourceName: a qualified name, and a standard resource unless it has a domain. core.ResourceName is a
 * fmt.Stringer, so upstream prints the value unquoted. */
static void
check_resource_name(const char *name, const char *path, struct api_errors *e)
{
    struct api_msgs m;
    api_msgs_qualified_name(name, &m);
    for (size_t i = 0; i < m.n; i++)
        api_err_invalid_raw(e, path, name, m.msg[i]);
    if (!m.n && !strchr(name, '/') && !is_standard_resource(name))
        api_err_invalid_raw(e, path, name, "must be a standard resource type or fully qualified");
}

/* IsStandardQuotaResourceName */
static bool
is_standard_quota_resource(const char *name)
{
    static const char *const std[] = { "cpu",
                                       "memory",
                                       "ephemeral-storage",
                                       "requests.cpu",
                                       "requests.memory",
                                       "requests.storage",
                                       "requests.ephemeral-storage",
                                       "limits.cpu",
                                       "limits.memory",
                                       "limits.ephemeral-storage",
                                       "pods",
                                       "resourcequotas",
                                       "services",
                                       "replicationcontrollers",
                                       "secrets",
                                       "persistentvolumeclaims",
                                       "configmaps",
                                       "services.nodeports",
                                       "services.loadbalancers",
                                       NULL };
    return in_list(name, std) || is_hugepages(name) || strncmp(name, "requests.hugepages-", 19) == 0;
}

/* IsIntegerResourceName */
static bool
is_integer_resource(const char *name)
{
    static const char *const ints[] = {
        "pods",       "resourcequotas",         "services",           "replicationcontrollers", "secrets",
        "configmaps", "persistentvolumeclaims", "services.nodeports", "services.loadbalancers", NULL
    };
    return in_list(name, ints) || is_extended(name);
}

/* ValidateResourceQuotaResourceName and ValidateResourceQuantityValue for every entry of a ResourceList. */
static void
validate_quota_list(const json_t *list, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)list, k, v)
    {
        api_path_key(p, path, k);
        check_resource_name(k, p, e);
        if (!strchr(k, '/') && !is_standard_quota_resource(k))
            api_err_invalid_raw(e, p, k, "must be a standard resource for quota");
        struct kc_quantity q;
        char s[64];
        if (!quantity_at(v, p, &q, s, e))
            continue;
        if (q.milli < 0)
            api_err_invalid_str(e, p, s, NONNEG);
        if (is_integer_resource(k) && q.milli % 1000 != 0) {
            struct api_sb g = { 0 };
            go_quantity(&g, v, false);
            api_err_invalid_raw(e, p, api_sb_str(&g), "must be an integer");
            api_sb_free(&g);
        }
    }
}

static const char *const quota_scopes[] = {
    "Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity", NULL
};

/* IsResourceQuotaScopeValidForResource */
static bool
scope_valid_for(const char *scope, const char *resource)
{
    static const char *const compute[] = { "pods",          "cpu",          "memory",          "limits.cpu",
                                           "limits.memory", "requests.cpu", "requests.memory", NULL };
    if (streq(scope, "BestEffort"))
        return streq(resource, "pods");
    if (in_list(scope, quota_scopes))
        return in_list(resource, compute);
    return true;
}

/* %#v of a []core.ResourceQuotaScope. */
static void
go_scopes(struct api_sb *sb, const json_t *scopes)
{
    if (!json_is_array(scopes)) {
        api_sb_puts(sb, "[]core.ResourceQuotaScope(nil)");
        return;
    }
    api_sb_puts(sb, "[]core.ResourceQuotaScope{");
    size_t i;
    json_t *s;
    json_array_foreach(scopes, i, s)
    {
        if (i)
            api_sb_puts(sb, ", ");
        api_go_quote(sb, json_is_string(s) ? json_string_value(s) : "");
    }
    api_sb_puts(sb, "}");
}

/* %#v of a []string where nil and empty differ (a decoded "[]" is an empty slice). */
static void
go_strings(struct api_sb *sb, const json_t *arr)
{
    if (!json_is_array(arr)) {
        api_sb_puts(sb, "[]string(nil)");
        return;
    }
    api_sb_puts(sb, "[]string{");
    size_t i;
    json_t *s;
    json_array_foreach(arr, i, s)
    {
        if (i)
            api_sb_puts(sb, ", ");
        api_go_quote(sb, json_is_string(s) ? json_string_value(s) : "");
    }
    api_sb_puts(sb, "}");
}

/* %#v of the core.ScopeSelector (the pointer is dereferenced by upstream's ErrorBody). */
static void
go_scope_selector(struct api_sb *sb, const json_t *sel)
{
    const json_t *exprs = api_jarr(sel, "matchExpressions");
    api_sb_puts(sb, "core.ScopeSelector{MatchExpressions:");
    if (!exprs) {
        api_sb_puts(sb, "[]core.ScopedResourceSelectorRequirement(nil)}");
        return;
    }
    api_sb_puts(sb, "[]core.ScopedResourceSelectorRequirement{");
    size_t i;
    json_t *x;
    json_array_foreach(exprs, i, x)
    {
        if (i)
            api_sb_puts(sb, ", ");
        api_sb_puts(sb, "core.ScopedResourceSelectorRequirement{ScopeName:");
        api_go_quote(sb, str_or(x, "scopeName", ""));
        api_sb_puts(sb, ", Operator:");
        api_go_quote(sb, str_or(x, "operator", ""));
        api_sb_puts(sb, ", Values:");
        go_strings(sb, api_jarr(x, "values"));
        api_sb_puts(sb, "}");
    }
    api_sb_puts(sb, "}}");
}

static int
cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of a JSON object, sorted (sets.List of the hard limits); NULL when empty or out of memory. */
static const char **
sorted_keys(const json_t *o, size_t *n)
{
    *n = 0;
    size_t size = json_object_size(o);
    const char **keys = size ? kc_calloc(size, sizeof(*keys)) : NULL;
    if (!keys)
        return NULL;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v)
    {
        keys[(*n)++] = k;
    }
    qsort(keys, *n, sizeof(*keys), cmp_cstr);
    return keys;
}

static bool
has_scope(const bool set[], const char *name)
{
    for (size_t i = 0; quota_scopes[i]; i++)
        if (streq(quota_scopes[i], name))
            return set[i];
    return false;
}

static void
mark_scope(bool set[], const char *name)
{
    for (size_t i = 0; quota_scopes[i]; i++)
        if (streq(quota_scopes[i], name))
            set[i] = true;
}

/* validateResourceQuotaScopes and validateScopeSelector (validateScopedResourceSelectorRequirement). */
static void
validate_quota_scopes(const json_t *spec, struct api_errors *e)
{
    const json_t *hard = api_jobj(spec, "hard"), *scopes = api_jarr(spec, "scopes");
    size_t nk;
    const char **keys = sorted_keys(hard, &nk);
    struct api_sb v = { 0 };
    go_scopes(&v, scopes);
    bool set[8] = { false };
    size_t i;
    json_t *sc;
    json_array_foreach(scopes, i, sc)
    {
        const char *scope = json_is_string(sc) ? json_string_value(sc) : "";
        if (!in_list(scope, quota_scopes))
            api_err_invalid_raw(e, "spec.scopes", api_sb_str(&v), "unsupported scope");
        for (size_t k = 0; k < nk; k++)
            if (is_standard_quota_resource(keys[k]) && !scope_valid_for(scope, keys[k]))
                api_err_invalid_raw(e, "spec.scopes", api_sb_str(&v), "unsupported scope applied to resource");
        mark_scope(set, scope);
    }
    if (json_array_size(scopes)) {
        if (has_scope(set, "BestEffort") && has_scope(set, "NotBestEffort"))
            api_err_invalid_raw(e, "spec.scopes", api_sb_str(&v), "conflicting scopes");
        if (has_scope(set, "Terminating") && has_scope(set, "NotTerminating"))
            api_err_invalid_raw(e, "spec.scopes", api_sb_str(&v), "conflicting scopes");
    }

    const json_t *sel = api_jobj(spec, "scopeSelector");
    if (sel) {
        const char *mp = "spec.scopeSelector.matchExpressions";
        bool sset[8] = { false };
        struct api_sb sv = { 0 };
        go_scope_selector(&sv, sel);
        json_t *x;
        json_array_foreach(api_jarr(sel, "matchExpressions"), i, x)
        {
            const char *scope = str_or(x, "scopeName", ""), *op = str_or(x, "operator", "");
            if (!in_list(scope, quota_scopes))
                api_err_invalid_str(e, "spec.scopeSelector.matchExpressions.scopeName", scope, "unsupported scope");
            for (size_t k = 0; k < nk; k++)
                if (is_standard_quota_resource(keys[k]) && !scope_valid_for(scope, keys[k]))
                    api_err_invalid_raw(e, mp, api_sb_str(&sv), "unsupported scope applied to resource");
            static const char *const exists_only[] = {
                "BestEffort", "NotBestEffort", "Terminating", "NotTerminating", "CrossNamespacePodAffinity", NULL
            };
            if (in_list(scope, exists_only) && !streq(op, "Exists"))
                api_err_invalid_str(e, "spec.scopeSelector.matchExpressions.operator", op,
                                    "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, "
                                    "ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, "
                                    "ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity");
            const json_t *values = api_jarr(x, "values");
            if (streq(op, "In") || streq(op, "NotIn")) {
                if (json_array_size(values) == 0)
                    api_err_required(e, "spec.scopeSelector.matchExpressions.values",
                                     "must be at least one value when `operator` is 'In' or 'NotIn' for scope "
                                     "selector");
            } else if (streq(op, "Exists") || streq(op, "DoesNotExist")) {
                if (json_array_size(values) != 0) {
                    struct api_sb vv = { 0 };
                    go_strings(&vv, values);
                    api_err_invalid_raw(e, "spec.scopeSelector.matchExpressions.values", api_sb_str(&vv),
                                        "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope "
                                        "selector");
                    api_sb_free(&vv);
                }
            } else {
                api_err_invalid_str(e, "spec.scopeSelector.matchExpressions.operator", op,
                                    "not a valid selector operator");
            }
            mark_scope(sset, scope);
        }
        /* upstream reports the conflict with spec.scopes as the value */
        if (has_scope(sset, "BestEffort") && has_scope(sset, "NotBestEffort"))
            api_err_invalid_raw(e, mp, api_sb_str(&v), "conflicting scopes");
        if (has_scope(sset, "Terminating") && has_scope(sset, "NotTerminating"))
            api_err_invalid_raw(e, mp, api_sb_str(&v), "conflicting scopes");
        api_sb_free(&sv);
    }
    api_sb_free(&v);
    free(keys);
}

/* ValidateResourceQuota / ValidateResourceQuotaUpdate / ValidateResourceQuotaStatusUpdate: spec.hard, the scopes
 * and the scope selector, status.hard and status.used; on update spec.scopes may not change (as a set). k8c checks
 * the spec and the status on every write: a main-resource update carries the stored status and a /status update
 * the stored spec, so each adds nothing upstream would not check. */
void
api_validate_core_resourcequota(const struct api_resource *r, const json_t *obj, const json_t *old,
                                struct api_errors *errs)
{
    (void)r;
    const json_t *spec = api_jobj(obj, "spec"), *status = api_jobj(obj, "status");
    validate_quota_list(api_jobj(spec, "hard"), "spec.hard", errs);
    validate_quota_scopes(spec, errs);
    validate_quota_list(api_jobj(status, "hard"), "status.hard", errs);
    validate_quota_list(api_jobj(status, "used"), "status.used", errs);
    if (!old)
        return;
    const json_t *ns = api_jarr(spec, "scopes"), *os = api_jarr(api_jobj(old, "spec"), "scopes");
    bool same = true;
    size_t i, j;
    json_t *a, *b;
    json_array_foreach(ns, i, a)
    {
        bool found = false;
        json_array_foreach(os, j, b)
        {
            found = found || json_equal(a, b);
        }
        same = same && found;
    }
    json_array_foreach(os, i, a)
    {
        bool found = false;
        json_array_foreach(ns, j, b)
        {
            found = found || json_equal(a, b);
        }
        same = same && found;
    }
    if (!same) {
        struct api_sb v = { 0 };
        go_scopes(&v, ns);
        api_err_invalid_raw(errs, "spec.scopes", api_sb_str(&v), IMMUTABLE);
        api_sb_free(&v);
    }
}

/* validateLimitRangeTypeName: a qualified name, one of Pod, Container and PersistentVolumeClaim unless it has a
 * domain (core.LimitType is no Stringer: its value prints quoted). */
static void
check_limit_type(const char *type, const char *path, struct api_errors *e)
{
    struct api_msgs m;
    api_msgs_qualified_name(type, &m);
    api_err_invalid_each(e, path, type, &m);
    static const char *const std[] = { "Pod", "Container", "PersistentVolumeClaim", NULL };
    if (!m.n && !strchr(type, '/') && !in_list(type, std))
        api_err_invalid_str(e, path, type, "must be a standard limit type or fully qualified");
}

/* validateLimitRangeResourceName: container resource names for Pod and Container limits, any resource name for
 * the others (PersistentVolumeClaim limits name storage). */
static void
check_limit_resource(const char *type, const char *name, const char *path, struct api_errors *e)
{
    if (!streq(type, "Pod") && !streq(type, "Container")) {
        check_resource_name(name, path, e);
        return;
    }
    check_resource_name(name, path, e);
    if (!strchr(name, '/')) {
        static const char *const cont[] = { "cpu", "memory", "ephemeral-storage", NULL };
        if (!in_list(name, cont) && !is_hugepages(name))
            api_err_invalid_raw(e, path, name, "must be a standard resource for containers");
    } else if (!is_native(name) && !is_extended(name)) {
        api_err_invalid_raw(e, path, name, "doesn't follow extended resource name standard");
    }
}

/* The quantity of key in one of a limit's maps; NULL when absent or unparsable (reported elsewhere). */
static const json_t *
limit_q(const json_t *map, const char *key, struct kc_quantity *q, char s[64])
{
    const json_t *v = api_jget(map, key);
    if (!v || json_is_null(v) || api_quantity(v, q, s, 64, NULL, 0) != 0)
        return NULL;
    return v;
}

/* One of ValidateLimitRange's comparisons: Invalid at map[key] with the Quantity value printed the Go way. */
static void
limit_err(struct api_errors *e, const char *item, const char *map, const char *key, const json_t *value,
          const char *msg)
{
    char p[API_PATH_MAX];
    struct api_sb g = { 0 };
    go_quantity(&g, value, true);
    api_err_invalid_raw(e, api_path_key(p, CH(p, item, map), key), api_sb_str(&g), msg);
    api_sb_free(&g);
}

static void
validate_limit_item(const json_t *limits, size_t index, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    const json_t *item = json_array_get(limits, index);
    const char *type = str_or(item, "type", "");
    check_limit_type(type, CH(p, path, "type"), e);
    for (size_t j = 0; j < index; j++)
        if (streq(str_or(json_array_get(limits, j), "type", ""), type)) {
            api_err_duplicate_str(e, p, type);
            break;
        }
    static const char *const maps[] = { "max", "min", "default", "defaultRequest", "maxLimitRequestRatio" };
    bool pod = streq(type, "Pod");
    /* the resource names, in upstream's order: max, min, (default, defaultRequest,) maxLimitRequestRatio */
    json_t *keys = json_object();
    for (size_t m = 0; m < 5; m++) {
        if (pod && m == 2 && json_object_size(api_jobj(item, "default")))
            api_err_forbidden(e, CH(p, path, "default"), "may not be specified when `type` is 'Pod'");
        if (pod && m == 3 && json_object_size(api_jobj(item, "defaultRequest")))
            api_err_forbidden(e, CH(p, path, "defaultRequest"), "may not be specified when `type` is 'Pod'");
        if (pod && (m == 2 || m == 3))
            continue;
        if (m == 4 && streq(type, "PersistentVolumeClaim") && !api_jget(api_jobj(item, "min"), "storage") &&
            !api_jget(api_jobj(item, "max"), "storage"))
            api_err_required(e, CH(p, path, "limits"),
                             "either minimum or maximum storage value is required, but neither was provided");
        const char *k;
        json_t *v;
        json_object_foreach(api_jobj(item, maps[m]), k, v)
        {
            check_limit_resource(type, k, api_path_key(q, CH(p, path, maps[m]), k), e);
            struct kc_quantity qq;
            char s[64];
            quantity_at(v, q, &qq, s, e);
            if (keys)
                json_object_set_new(keys, k, json_true());
        }
    }
    size_t nk;
    const char **names = sorted_keys(keys, &nk);
    for (size_t i = 0; i < nk; i++) {
        const char *k = names[i];
        struct kc_quantity mn, mx, df, dr, ra;
        char smn[64], smx[64], sdf[64], sdr[64], sra[64], msg[512];
        const json_t *vmn = limit_q(api_jobj(item, "min"), k, &mn, smn);
        const json_t *vmx = limit_q(api_jobj(item, "max"), k, &mx, smx);
        const json_t *vdf = pod ? NULL : limit_q(api_jobj(item, "default"), k, &df, sdf);
        const json_t *vdr = pod ? NULL : limit_q(api_jobj(item, "defaultRequest"), k, &dr, sdr);
        const json_t *vra = limit_q(api_jobj(item, "maxLimitRequestRatio"), k, &ra, sra);
        if (vmn && vmx && kc_quantity_cmp(&mn, &mx) > 0) {
            snprintf(msg, sizeof(msg), "min value %s is greater than max value %s", smn, smx);
            limit_err(e, path, "min", k, vmn, msg);
        }
        if (vdr && vmn && kc_quantity_cmp(&mn, &dr) > 0) {
            snprintf(msg, sizeof(msg), "min value %s is greater than default request value %s", smn, sdr);
            limit_err(e, path, "defaultRequest", k, vdr, msg);
        }
        if (vdr && vmx && kc_quantity_cmp(&dr, &mx) > 0) {
            snprintf(msg, sizeof(msg), "default request value %s is greater than max value %s", sdr, smx);
            limit_err(e, path, "defaultRequest", k, vdr, msg);
        }
        if (vdr && vdf && kc_quantity_cmp(&dr, &df) > 0) {
            snprintf(msg, sizeof(msg), "default request value %s is greater than default limit value %s", sdr, sdf);
            limit_err(e, path, "defaultRequest", k, vdr, msg);
        }
        if (vdf && vmn && kc_quantity_cmp(&mn, &df) > 0) {
            snprintf(msg, sizeof(msg), "min value %s is greater than default value %s", smn, sdf);
            limit_err(e, path, "default", k, vmn, msg);
        }
        if (vdf && vmx && kc_quantity_cmp(&df, &mx) > 0) {
            snprintf(msg, sizeof(msg), "default value %s is greater than max value %s", sdf, smx);
            limit_err(e, path, "default", k, vmx, msg);
        }
        if (vra && ra.milli < 1000) {
            snprintf(msg, sizeof(msg), "ratio %s is less than 1", sra);
            limit_err(e, path, "maxLimitRequestRatio", k, vra, msg);
        }
        if (vra && vmn && vmx) {
            /* upstream compares in milli-units below MaxMilliValue, else in whole units */
            const int64_t max_milli = INT64_MAX / 1000;
            double ratio = (double)kc_quantity_value(&ra), lo = (double)kc_quantity_value(&mn),
                   hi = (double)kc_quantity_value(&mx);
            if (kc_quantity_value(&ra) < max_milli && kc_quantity_value(&mn) < max_milli &&
                kc_quantity_value(&mx) < max_milli) {
                ratio = (double)ra.milli / 1000;
                lo = (double)mn.milli;
                hi = (double)mx.milli;
            }
            double limit = hi / lo;
            if (ratio > limit) {
                snprintf(msg, sizeof(msg), "ratio %s is greater than max/min = %f", sra, limit);
                limit_err(e, path, "maxLimitRequestRatio", k, vra, msg);
            }
        }
        if (!overcommit_allowed(k) && vdf && vdr && kc_quantity_cmp(&df, &dr) != 0) {
            snprintf(msg, sizeof(msg), "default value %s must equal to defaultRequest value %s in %s", sdf, sdr, k);
            limit_err(e, path, "defaultRequest", k, vdr, msg);
        }
    }
    free(names);
    json_decref(keys);
}

/* ValidateLimitRange (updates check the same, plus the metadata): each limit's type, no type twice, the resource
 * names of its maps, and the min <= defaultRequest <= default <= max and ratio bounds per resource -- checked in
 * the resources' sorted order, where upstream walks a Go map. The quantities themselves are not checked for sign,
 * as upstream does not. */
void
api_validate_core_limitrange(const struct api_resource *r, const json_t *obj, const json_t *old,
                             struct api_errors *errs)
{
    (void)r;
    (void)old;
    char p[API_PATH_MAX];
    const json_t *limits = api_jarr(api_jobj(obj, "spec"), "limits");
    for (size_t i = 0; i < json_array_size(limits); i++)
        validate_limit_item(limits, i, IX(p, "spec.limits", i), errs);
}
