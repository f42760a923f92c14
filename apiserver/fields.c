/* fields.c - field errors (api_errors_*), upstream's validation texts (k8s.io/apimachinery/pkg/util/validation),
 * Go-style value printing, field paths, JSON accessors, label selector checks and the generic metadata validation
 * (ValidateObjectMeta / ValidateObjectMetaUpdate) every kind gets.
 */
#include "api_kinds.h"
#include "api_res.h"
#include "api_validate.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_json.h"
#include "kc_quantity.h"
#include "kc_selector.h"
#include "kc_str.h"
#include "kc_time.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- upstream's texts ---- */

#define DNS1123_LABEL_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define DNS1123_SUB_FMT   DNS1123_LABEL_FMT "(\\." DNS1123_LABEL_FMT ")*"
#define DNS1123_LABEL_ERR                                                                                       \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and " \
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "          \
    "'" DNS1123_LABEL_FMT "')"
#define DNS1123_SUB_ERR                                                                                              \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start " \
    "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '" DNS1123_SUB_FMT "')"
#define DNS1035_ERR                                                                                                \
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "        \
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation " \
    "is '[a-z]([-a-z0-9]*[a-z0-9])?')"
#define WILDCARD_ERR                                                                                                \
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of " \
    "lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', " \
    "regex used for validation is '\\*\\." DNS1123_SUB_FMT "')"
#define CONFIGMAP_KEY_ERR                                                                                \
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or " \
    "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
#define PERCENT_ERR                                                                                     \
    "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', " \
    "regex used for validation is '[0-9]+%')"
#define HTTP_HEADER_ERR                                                                                \
    "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex " \
    "used for validation is '[-A-Za-z0-9]+')"
#define ENV_NAME_ERR "a valid environment variable name must consist only of printable ASCII characters other than '='"

/* ---- field errors ---- */

void
api_errors_add(struct api_errors *e, const char *reason, const char *field, const char *message)
{
    if (!e)
        return;
    e->n++; /* counted even when recording it fails: the object must still be rejected */
    if (!e->causes && !(e->causes = json_array()))
        return;
    json_t *c = json_pack("{s:s,s:s,s:s}", "reason", reason ? reason : API_REASON_INVALID, "message",
                          message ? message : "", "field", field ? field : "");
    if (c)
        json_array_append_new(e->causes, c);
}

void
api_errors_addf(struct api_errors *e, const char *reason, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n < 0) {
        if (e)
            e->n++;
        return;
    }
    api_errors_add(e, reason, field, msg);
    free(msg);
}

void
api_errors_free(struct api_errors *e)
{
    if (!e)
        return;
    json_decref(e->causes);
    e->causes = NULL;
    e->n = 0;
}

/* ---- string builder ---- */

void
api_sb_putn(struct api_sb *sb, const char *s, size_t n)
{
    if (sb->oom)
        return;
    if (sb->len + n + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 64;
        while (cap < sb->len + n + 1)
            cap *= 2;
        char *p = kc_realloc(sb->s, cap);
        if (!p) {
            sb->oom = true;
            return;
        }
        sb->s = p;
        sb->cap = cap;
    }
    memcpy(sb->s + sb->len, s, n);
    sb->len += n;
    sb->s[sb->len] = '\0';
}

void
api_sb_puts(struct api_sb *sb, const char *s)
{
    api_sb_putn(sb, s, strlen(s));
}

void
api_sb_printf(struct api_sb *sb, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) {
        sb->oom = true;
        return;
    }
    if ((size_t)n < sizeof(tmp)) {
        api_sb_putn(sb, tmp, (size_t)n);
        return;
    }
    char *big = kc_malloc((size_t)n + 1);
    if (!big) {
        sb->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    api_sb_putn(sb, big, (size_t)n);
    free(big);
}

const char *
api_sb_str(const struct api_sb *sb)
{
    return sb->s && !sb->oom ? sb->s : "";
}

void
api_sb_free(struct api_sb *sb)
{
    free(sb->s);
    sb->s = NULL;
    sb->len = sb->cap = 0;
    sb->oom = false;
}

/* ---- Go quoting ---- */

/* Decodes one UTF-8 rune at s (n bytes left). Returns its width, or 0 for an invalid sequence. */
static size_t
utf8_rune(const unsigned char *s, size_t n, uint32_t *r)
{
    if (s[0] < 0x80) {
        *r = s[0];
        return 1;
    }
    size_t w;
    uint32_t min;
    if ((s[0] & 0xe0) == 0xc0) {
        w = 2, min = 0x80, *r = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        w = 3, min = 0x800, *r = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        w = 4, min = 0x10000, *r = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n < w)
        return 0;
    for (size_t i = 1; i < w; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        *r = *r << 6 | (s[i] & 0x3f);
    }
    if (*r < min || *r > 0x10ffff || (*r >= 0xd800 && *r <= 0xdfff))
        return 0;
    return w;
}

/* An approximation of Go's unicode.IsPrint: control characters, the C1 block, soft hyphen, the line and paragraph
 * separators, surrogates and non-characters are not printable; everything else is. */
static bool
rune_printable(uint32_t r)
{
    if (r < 0x20 || (r >= 0x7f && r <= 0xa0) || r == 0xad || r == 0x2028 || r == 0x2029)
        return false;
    if ((r >= 0x200b && r <= 0x200f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2060 && r <= 0x2064) || r == 0xfeff ||
        (r & 0xfffe) == 0xfffe)
        return false;
    return true;
}

void
api_go_quote(struct api_sb *sb, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p);
    api_sb_putn(sb, "\"", 1);
    for (size_t i = 0; i < n;) {
        uint32_t r;
        size_t w = utf8_rune(p + i, n - i, &r);
        if (w == 0) {
            api_sb_printf(sb, "\\x%02x", p[i]);
            i++;
            continue;
        }
        switch (r) {
        case '"':
            api_sb_puts(sb, "\\\"");
            break;
        case '\\':
            api_sb_puts(sb, "\\\\");
            break;
        case '\a':
            api_sb_puts(sb, "\\a");
            break;
        case '\b':
            api_sb_puts(sb, "\\b");
            break;
        case '\f':
            api_sb_puts(sb, "\\f");
            break;
        case '\n':
            api_sb_puts(sb, "\\n");
            break;
        case '\r':
            api_sb_puts(sb, "\\r");
            break;
        case '\t':
            api_sb_puts(sb, "\\t");
            break;
        case '\v':
            api_sb_puts(sb, "\\v");
            break;
        default:
            if (rune_printable(r))
                api_sb_putn(sb, (const char *)p + i, w);
            else if (r < 0x80)
                api_sb_printf(sb, "\\x%02x", (unsigned)r);
            else if (r < 0x10000)
                api_sb_printf(sb, "\\u%04x", (unsigned)r);
            else
                api_sb_printf(sb, "\\U%08x", (unsigned)r);
        }
        i += w;
    }
    api_sb_putn(sb, "\"", 1);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void
api_go_string_map(struct api_sb *sb, const json_t *map)
{
    if (!json_is_object(map)) {
        api_sb_puts(sb, "map[string]string(nil)");
        return;
    }
    size_t n = json_object_size(map), i = 0;
    const char **keys = n ? kc_calloc(n, sizeof(*keys)) : NULL;
    if (n && !keys) {
        sb->oom = true;
        return;
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)map, k, v)
    {
        keys[i++] = k;
    }
    qsort(keys, n, sizeof(*keys), cmp_str);
    api_sb_puts(sb, "map[string]string{");
    for (i = 0; i < n; i++) {
        if (i)
            api_sb_puts(sb, ", ");
        api_go_quote(sb, keys[i]);
        api_sb_puts(sb, ":");
        api_go_quote(sb, json_string_value(json_object_get(map, keys[i])));
    }
    api_sb_puts(sb, "}");
    free(keys);
}

void
api_go_string_slice(struct api_sb *sb, const json_t *arr)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        api_sb_puts(sb, "[]string(nil)");
        return;
    }
    api_sb_puts(sb, "[]string{");
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (i)
            api_sb_puts(sb, ", ");
        api_go_quote(sb, json_string_value(v));
    }
    api_sb_puts(sb, "}");
}

void
api_go_label_selector(struct api_sb *sb, const json_t *sel)
{
    api_sb_puts(sb, "v1.LabelSelector{MatchLabels:");
    api_go_string_map(sb, api_jobj(sel, "matchLabels"));
    api_sb_puts(sb, ", MatchExpressions:");
    json_t *exprs = api_jarr(sel, "matchExpressions");
    if (!exprs || json_array_size(exprs) == 0) {
        api_sb_puts(sb, "[]v1.LabelSelectorRequirement(nil)");
    } else {
        api_sb_puts(sb, "[]v1.LabelSelectorRequirement{");
        size_t i;
        json_t *x;
        json_array_foreach(exprs, i, x)
        {
            if (i)
                api_sb_puts(sb, ", ");
            api_sb_puts(sb, "v1.LabelSelectorRequirement{Key:");
            api_go_quote(sb, api_jstr(x, "key"));
            api_sb_puts(sb, ", Operator:");
            api_go_quote(sb, api_jstr(x, "operator"));
            api_sb_puts(sb, ", Values:");
            api_go_string_slice(sb, api_jarr(x, "values"));
            api_sb_puts(sb, "}");
        }
        api_sb_puts(sb, "}");
    }
    api_sb_puts(sb, "}");
}

/* ---- error helpers ---- */

/* Adds reason/path with "<type>" or "<type>: <value>" and ": <detail>" when detail is not empty. */
static void
add_body(struct api_errors *e, const char *reason, const char *type, const char *path, const char *value,
         const char *detail)
{
    struct api_sb sb = { 0 };
    api_sb_puts(&sb, type);
    if (value) {
        api_sb_puts(&sb, ": ");
        api_sb_puts(&sb, value);
    }
    if (detail && *detail) {
        api_sb_puts(&sb, ": ");
        api_sb_puts(&sb, detail);
    }
    if (sb.oom)
        e->n++;
    else
        api_errors_add(e, reason, path, api_sb_str(&sb));
    api_sb_free(&sb);
}

static void
add_quoted(struct api_errors *e, const char *reason, const char *type, const char *path, const char *value,
           const char *detail)
{
    struct api_sb q = { 0 };
    api_go_quote(&q, value);
    if (q.oom)
        e->n++;
    else
        add_body(e, reason, type, path, api_sb_str(&q), detail);
    api_sb_free(&q);
}

void
api_err_required(struct api_errors *e, const char *path, const char *detail)
{
    add_body(e, API_REASON_REQUIRED, "Required value", path, NULL, detail);
}

void
api_err_forbidden(struct api_errors *e, const char *path, const char *detail)
{
    add_body(e, API_REASON_FORBIDDEN, "Forbidden", path, NULL, detail);
}

void
api_err_too_long(struct api_errors *e, const char *path, long max)
{
    char d[64];
    snprintf(d, sizeof(d), "may not be more than %ld %s", max, max == 1 ? "byte" : "bytes");
    add_body(e, API_REASON_TOO_LONG, "Too long", path, NULL, d);
}

void
api_err_too_many(struct api_errors *e, const char *path, long actual, long max)
{
    char v[32], d[64];
    snprintf(v, sizeof(v), "%ld", actual);
    snprintf(d, sizeof(d), "must have at most %ld %s", max, max == 1 ? "item" : "items");
    add_body(e, API_REASON_TOO_MANY, "Too many", path, v, d);
}

void
api_err_invalid_str(struct api_errors *e, const char *path, const char *value, const char *detail)
{
    add_quoted(e, API_REASON_INVALID, "Invalid value", path, value, detail);
}

void
api_err_invalid_int(struct api_errors *e, const char *path, long long value, const char *detail)
{
    char v[32];
    snprintf(v, sizeof(v), "%lld", value);
    add_body(e, API_REASON_INVALID, "Invalid value", path, v, detail);
}

void
api_err_invalid_raw(struct api_errors *e, const char *path, const char *value, const char *detail)
{
    add_body(e, API_REASON_INVALID, "Invalid value", path, value, detail);
}

void
api_err_invalid_omit(struct api_errors *e, const char *path, const char *detail)
{
    add_body(e, API_REASON_INVALID, "Invalid value", path, NULL, detail);
}

void
api_err_invalid_each(struct api_errors *e, const char *path, const char *value, const struct api_msgs *msgs)
{
    for (size_t i = 0; i < msgs->n; i++)
        api_err_invalid_str(e, path, value, msgs->msg[i]);
}

static void
supported_list(struct api_sb *sb, const char *const *valid)
{
    for (size_t i = 0; valid && valid[i]; i++) {
        api_sb_puts(sb, i ? ", " : "supported values: ");
        api_go_quote(sb, valid[i]);
    }
}

void
api_err_not_supported_raw(struct api_errors *e, const char *path, const char *value, const char *const *valid)
{
    struct api_sb d = { 0 };
    supported_list(&d, valid);
    if (d.oom)
        e->n++;
    else
        add_body(e, API_REASON_NOT_SUPPORTED, "Unsupported value", path, value, api_sb_str(&d));
    api_sb_free(&d);
}

void
api_err_not_supported(struct api_errors *e, const char *path, const char *value, const char *const *valid)
{
    struct api_sb q = { 0 };
    api_go_quote(&q, value);
    if (q.oom)
        e->n++;
    else
        api_err_not_supported_raw(e, path, api_sb_str(&q), valid);
    api_sb_free(&q);
}

void
api_err_duplicate_str(struct api_errors *e, const char *path, const char *value)
{
    add_quoted(e, API_REASON_DUPLICATE, "Duplicate value", path, value, NULL);
}

void
api_err_duplicate_raw(struct api_errors *e, const char *path, const char *value, const char *detail)
{
    add_body(e, API_REASON_DUPLICATE, "Duplicate value", path, value, detail);
}

void
api_err_not_found_str(struct api_errors *e, const char *path, const char *value, const char *detail)
{
    add_quoted(e, API_REASON_NOT_FOUND, "Not found", path, value, detail);
}

/* ---- paths ---- */

/* Writes the pieces (those not NULL) into buf, truncating silently at API_PATH_MAX - 1 bytes. The path helpers
 * may be given buf itself as base ("p = p.child"): a, when it is buf, is in place already; the other pieces are
 * never inside buf. */
static const char *
path_join(char buf[API_PATH_MAX], const char *a, const char *b, const char *c, const char *d)
{
    const char *parts[4] = { a, b, c, d };
    size_t len = 0, i = 0;
    if (a == buf) {
        len = strnlen(buf, API_PATH_MAX - 1);
        i = 1;
    }
    for (; i < 4; i++) {
        if (!parts[i])
            continue;
        size_t n = strlen(parts[i]);
        if (n > API_PATH_MAX - 1 - len)
            n = API_PATH_MAX - 1 - len;
        memmove(buf + len, parts[i], n);
        len += n;
    }
    buf[len] = '\0';
    return buf;
}

const char *
api_path_child(char buf[API_PATH_MAX], const char *base, const char *child)
{
    /* path_join's work without its loop: validation builds a child path for every field it may look at */
    size_t bl = base ? strnlen(base, API_PATH_MAX - 1) : 0, cl = strlen(child);
    if (bl && base != buf)
        memmove(buf, base, bl);
    if (bl)
        buf[bl++] = '.';
    if (bl >= API_PATH_MAX)
        bl = API_PATH_MAX - 1;
    if (cl > API_PATH_MAX - 1 - bl)
        cl = API_PATH_MAX - 1 - bl;
    memmove(buf + bl, child, cl);
    buf[bl + cl] = '\0';
    return buf;
}

const char *
api_path_index(char buf[API_PATH_MAX], const char *base, size_t i)
{
    char num[24];
    num[sizeof(num) - 1] = '\0';
    return path_join(buf, base ? base : "", "[", kc_u64_digits(num + sizeof(num) - 1, i), "]");
}

const char *
api_path_key(char buf[API_PATH_MAX], const char *base, const char *key)
{
    return path_join(buf, base ? base : "", "[", key, "]");
}

/* ---- JSON accessors ---- */

bool
api_jint(const json_t *obj, const char *key, long long *out)
{
    json_t *v = api_jget(obj, key);
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d == (double)(long long)d) {
            *out = (long long)d;
            return true;
        }
    }
    return false;
}

/* ---- checks (pkg/util/validation) ---- */

static void
msg_add(struct api_msgs *m, const char *s)
{
    if (m->n < API_MSGS_MAX)
        m->msg[m->n++] = s;
}

static bool
lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
is_alnum(char c)
{
    return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n) */
static bool
label_ok(const char *s, size_t n)
{
    if (n == 0 || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
        return false;
    for (size_t i = 1; i + 1 < n; i++)
        if (!lower_alnum(s[i]) && s[i] != '-')
            return false;
    return true;
}

static bool
subdomain_ok(const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.')
            continue;
        if (!label_ok(s + start, i - start))
            return false;
        start = i + 1;
    }
    return true;
}

void
api_msgs_dns1123_label(const char *s, struct api_msgs *out)
{
    size_t n = strlen(s);
    out->n = 0;
    if (n > 63)
        msg_add(out, "must be no more than 63 characters");
    if (!label_ok(s, n))
        msg_add(out, subdomain_ok(s, n) ? "must not contain dots" : DNS1123_LABEL_ERR);
}

void
api_msgs_dns1123_subdomain(const char *s, struct api_msgs *out)
{
    size_t n = strlen(s);
    out->n = 0;
    if (n > 253)
        msg_add(out, "must be no more than 253 characters");
    if (!subdomain_ok(s, n))
        msg_add(out, DNS1123_SUB_ERR);
}

void
api_msgs_dns1035_label(const char *s, struct api_msgs *out)
{
    size_t n = strlen(s);
    out->n = 0;
    if (n > 63)
        msg_add(out, "must be no more than 63 characters");
    if (!(n > 0 && s[0] >= 'a' && s[0] <= 'z' && label_ok(s, n)))
        msg_add(out, DNS1035_ERR);
}

void
api_msgs_wildcard_subdomain(const char *s, struct api_msgs *out)
{
    size_t n = strlen(s);
    out->n = 0;
    if (n > 253)
        msg_add(out, "must be no more than 253 characters");
    if (!(n > 2 && s[0] == '*' && s[1] == '.' && subdomain_ok(s + 2, n - 2)))
        msg_add(out, WILDCARD_ERR);
}

/* Splits kc_selector's "; "-joined messages into out. */
static void
split_msgs(const char *joined, struct api_msgs *out)
{
    snprintf(out->buf, sizeof(out->buf), "%s", joined);
    char *p = out->buf;
    while (*p) {
        char *sep = strstr(p, "; ");
        if (sep)
            *sep = '\0';
        msg_add(out, p);
        if (!sep)
            break;
        p = sep + 2;
    }
}

void
api_msgs_qualified_name(const char *s, struct api_msgs *out)
{
    char msg[sizeof(out->buf)];
    out->n = 0;
    if (kc_label_key_check(s, msg, sizeof(msg)) != 0)
        split_msgs(msg, out);
}

void
api_msgs_label_value(const char *s, struct api_msgs *out)
{
    char msg[sizeof(out->buf)];
    out->n = 0;
    if (kc_label_value_check(s, msg, sizeof(msg)) != 0)
        split_msgs(msg, out);
}

void
api_msgs_config_map_key(const char *s, struct api_msgs *out)
{
    size_t n = strlen(s);
    out->n = 0;
    if (n > 253)
        msg_add(out, "must be no more than 253 characters");
    bool ok = n > 0;
    for (size_t i = 0; i < n && ok; i++)
        ok = is_alnum(s[i]) || s[i] == '-' || s[i] == '.' || s[i] == '_';
    if (!ok)
        msg_add(out, CONFIGMAP_KEY_ERR);
    if (strcmp(s, ".") == 0)
        msg_add(out, "must not be '.'");
    else if (strcmp(s, "..") == 0)
        msg_add(out, "must not be '..'");
    else if (strncmp(s, "..", 2) == 0)
        msg_add(out, "must not start with '..'");
}

void
api_msgs_port_name(const char *s, struct api_msgs *out)
{
    size_t n = strlen(s);
    out->n = 0;
    if (n > 15)
        msg_add(out, "must be no more than 15 characters");
    bool charset = n > 0, letter = false;
    for (size_t i = 0; i < n; i++) {
        if (!lower_alnum(s[i]) && s[i] != '-')
            charset = false;
        if (s[i] >= 'a' && s[i] <= 'z')
            letter = true;
    }
    if (!charset)
        msg_add(out, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    if (!letter)
        msg_add(out, "must contain at least one letter (a-z)");
    if (strstr(s, "--"))
        msg_add(out, "must not contain consecutive hyphens");
    if (n > 0 && (s[0] == '-' || s[n - 1] == '-'))
        msg_add(out, "must not begin or end with a hyphen");
}

void
api_msgs_percent(const char *s, struct api_msgs *out)
{
    size_t n = strlen(s);
    out->n = 0;
    bool ok = n >= 2 && s[n - 1] == '%';
    for (size_t i = 0; ok && i + 1 < n; i++)
        ok = s[i] >= '0' && s[i] <= '9';
    if (!ok)
        msg_add(out, PERCENT_ERR);
}

void
api_msgs_env_var_name(const char *s, struct api_msgs *out)
{
    out->n = 0;
    if (!*s)
        msg_add(out, "environment variable name must be non-empty");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p > 0x7e || *p < 0x20 || *p == '=') {
            msg_add(out, ENV_NAME_ERR);
            break;
        }
    }
}

void
api_msgs_path_segment(const char *s, struct api_msgs *out)
{
    out->n = 0;
    if (strcmp(s, ".") == 0) {
        msg_add(out, "may not be '.'");
        return;
    }
    if (strcmp(s, "..") == 0) {
        msg_add(out, "may not be '..'");
        return;
    }
    if (strchr(s, '/'))
        msg_add(out, "may not contain '/'");
    if (strchr(s, '%'))
        msg_add(out, "may not contain '%'");
}

void
api_msgs_http_header_name(const char *s, struct api_msgs *out)
{
    out->n = 0;
    bool ok = *s != '\0';
    for (const char *p = s; *p && ok; p++)
        ok = is_alnum(*p) || *p == '-';
    if (!ok)
        msg_add(out, HTTP_HEADER_ERR);
}

void
api_msgs_name(enum api_name_rule rule, const char *name, bool prefix, struct api_msgs *out)
{
    char masked[512];
    const char *s = name;
    size_t n = strlen(name);
    if (prefix && n > 0 && name[n - 1] == '-' && rule != API_NAME_PATH_SEGMENT) {
        /* maskTrailingDash: name[:len-2] + "a" (upstream drops the character before the dash too) */
        if (n + 1 < sizeof(masked)) {
            size_t keep = n >= 2 ? n - 2 : 0;
            memcpy(masked, name, keep);
            masked[keep] = 'a';
            masked[keep + 1] = '\0';
            s = masked;
        }
    }
    switch (rule) {
    case API_NAME_LABEL:
        api_msgs_dns1123_label(s, out);
        break;
    case API_NAME_DNS1035:
        api_msgs_dns1035_label(s, out);
        break;
    case API_NAME_PATH_SEGMENT:
        api_msgs_path_segment(s, out);
        break;
    case API_NAME_SUBDOMAIN:
    default:
        api_msgs_dns1123_subdomain(s, out);
        break;
    }
}

const char *
api_check_dns1123_label(const char *s)
{
    struct api_msgs m;
    api_msgs_dns1123_label(s ? s : "", &m);
    /* the label and subdomain messages are static text (never in m.buf) */
    return m.n ? m.msg[0] : NULL;
}

const char *
api_check_dns1123_subdomain(const char *s)
{
    struct api_msgs m;
    api_msgs_dns1123_subdomain(s ? s : "", &m);
    return m.n ? m.msg[0] : NULL;
}

/* ---- IP addresses ---- */

/* Sloppy dotted-quad IPv4 (leading zeros allowed). */
static bool
parse_ipv4(const char *s, uint8_t out[4])
{
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (*s != '.')
                return false;
            s++;
        }
        unsigned v = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (unsigned)(*s - '0');
            if (v > 255)
                return false;
            s++;
            digits++;
        }
        if (digits == 0)
            return false;
        out[part] = (uint8_t)v;
    }
    return *s == '\0';
}

int
api_parse_ip(const char *s, uint8_t bytes[16])
{
    uint8_t b[16] = { 0 };
    if (!s || !*s)
        return 0;
    if (strchr(s, ':') == NULL) {
        if (!parse_ipv4(s, b + 12))
            return 0;
        b[10] = b[11] = 0xff;
    } else {
        if (strchr(s, '%') || inet_pton(AF_INET6, s, b) != 1)
            return 0;
    }
    if (bytes)
        memcpy(bytes, b, 16);
    static const uint8_t v4prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    return memcmp(b, v4prefix, 12) == 0 ? 4 : 6;
}

int
api_parse_cidr(const char *s)
{
    if (!s)
        return 0;
    const char *slash = strchr(s, '/');
    if (!slash || slash == s || !slash[1])
        return 0;
    char ip[128];
    size_t n = (size_t)(slash - s);
    if (n >= sizeof(ip))
        return 0;
    memcpy(ip, s, n);
    ip[n] = '\0';
    int fam = strchr(ip, ':') ? 6 : (parse_ipv4(ip, (uint8_t[4]){ 0 }) ? 4 : 0);
    if (fam == 6 && api_parse_ip(ip, NULL) == 0)
        return 0;
    if (!fam)
        return 0;
    long bits = 0;
    for (const char *p = slash + 1; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        bits = bits * 10 + (*p - '0');
        if (bits > 128)
            return 0;
    }
    if (bits > (fam == 4 ? 32 : 128))
        return 0;
    return fam;
}

/* ---- quantities ---- */

int
api_quantity(const json_t *v, struct kc_quantity *q, char *str, size_t strlen_, char *err, size_t errlen)
{
    int rc = kc_quantity_from_json(v, q, err, errlen);
    if (rc != 0)
        return rc;
    if (str && strlen_) {
        const char *t;
        size_t n;
        char buf[KC_QUANTITY_STRLEN];
        if (q->verbatim && json_is_string(v)) {
            /* upstream keeps the trimmed input text */
            t = json_string_value(v);
            while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
                t++;
            n = strlen(t);
            while (n && (t[n - 1] == ' ' || t[n - 1] == '\t' || t[n - 1] == '\n' || t[n - 1] == '\r'))
                n--;
        } else {
            t = kc_quantity_string(q, buf);
            n = strlen(t);
        }
        if (n > strlen_ - 1)
            n = strlen_ - 1;
        memcpy(str, t, n);
        str[n] = '\0';
    }
    return 0;
}

/* ---- pod volume sources ---- */

const struct api_volume_source api_volume_sources[API_VOLUME_SOURCES] = {
    { "emptyDir", "emptyDir" },
    { "hostPath", "hostPath" },
    { "gitRepo", "gitRepo" },
    { "gcePersistentDisk", "gcePersistentDisk" },
    { "awsElasticBlockStore", "awsElasticBlockStore" },
    { "secret", "secret" },
    { "nfs", "nfs" },
    { "iscsi", "iscsi" },
    { "glusterfs", "glusterfs" },
    { "flocker", "flocker" },
    { "persistentVolumeClaim", "persistentVolumeClaim" },
    { "rbd", "rbd" },
    { "cinder", "cinder" },
    { "cephfs", "cephFS" },
    { "quobyte", "quobyte" },
    { "downwardAPI", "downwarAPI" },
    { "fc", "fc" },
    { "flexVolume", "flexVolume" },
    { "configMap", "configMap" },
    { "azureFile", "azureFile" },
    { "vsphereVolume", "vsphereVolume" },
    { "photonPersistentDisk", "photonPersistentDisk" },
    { "portworxVolume", "portworxVolume" },
    { "azureDisk", "azureDisk" },
    { "storageos", "storageos" },
    { "projected", "projected" },
    { "scaleIO", "scaleIO" },
    { "csi", "csi" },
    { "ephemeral", "ephemeral" },
    { "image", "image" },
};

int
api_volume_sources_of(const json_t *vol, const json_t *present[API_VOLUME_SOURCES])
{
    int n = 0;
    memset(present, 0, API_VOLUME_SOURCES * sizeof(*present));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)vol, key, v)
    {
        for (size_t i = 0; i < API_VOLUME_SOURCES && !json_is_null(v); i++)
            if (key[0] == api_volume_sources[i].key[0] && strcmp(key, api_volume_sources[i].key) == 0) {
                present[i] = v;
                n++;
                break;
            }
    }
    return n;
}

/* ---- duplicate checks ---- */

static bool
seen_find(const struct api_seen *s, const char *key, size_t len)
{
    if (s->big)
        return json_object_getn(s->big, key, len) != NULL;
    for (size_t i = 0; i < s->n; i++)
        if (s->len[i] == len && memcmp(s->buf + s->off[i], key, len) == 0)
            return true;
    return false;
}

bool
api_seen_has(const struct api_seen *s, const char *key)
{
    return seen_find(s, key, strlen(key));
}

bool
api_seen_add(struct api_seen *s, const char *key)
{
    size_t len = strlen(key);
    if (seen_find(s, key, len))
        return true;
    if (!s->big) {
        if (s->n < API_SEEN_SMALL && len <= API_SEEN_BYTES - s->used) {
            memcpy(s->buf + s->used, key, len);
            s->off[s->n] = (uint16_t)s->used;
            s->len[s->n++] = (uint16_t)len;
            s->used += len;
            return false;
        }
        if (!(s->big = json_object()))
            return false;
        for (size_t i = 0; i < s->n; i++)
            json_object_setn_new(s->big, s->buf + s->off[i], s->len[i], json_true());
    }
    json_object_setn_new(s->big, key, len, json_true());
    return false;
}

void
api_seen_free(struct api_seen *s)
{
    json_decref(s->big);
    s->big = NULL;
    s->n = s->used = 0;
}

/* ---- labels and selectors (apis/meta/v1/validation) ---- */

static void
validate_label_name(const char *key, const char *path, struct api_errors *e)
{
    struct api_msgs m;
    api_msgs_qualified_name(key, &m);
    api_err_invalid_each(e, path, key, &m);
}

void
api_validate_labels(const json_t *labels, const char *path, struct api_errors *e)
{
    const char *k;
    json_t *v;
    if (!json_is_object(labels))
        return;
    json_object_foreach((json_t *)labels, k, v)
    {
        validate_label_name(k, path, e);
        struct api_msgs m;
        const char *val = json_is_string(v) ? json_string_value(v) : "";
        api_msgs_label_value(val, &m);
        api_err_invalid_each(e, path, val, &m);
    }
}

void
api_validate_label_selector(const json_t *sel, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], px[API_PATH_MAX], pv[API_PATH_MAX];
    if (!json_is_object(sel))
        return;
    api_validate_labels(api_jobj(sel, "matchLabels"), api_path_child(p, path, "matchLabels"), e);
    json_t *exprs = api_jarr(sel, "matchExpressions");
    size_t i;
    json_t *x;
    json_array_foreach(exprs, i, x)
    {
        api_path_index(px, api_path_child(p, path, "matchExpressions"), i);
        const char *op = api_jstr(x, "operator");
        json_t *values = api_jarr(x, "values");
        size_t nv = json_array_size(values);
        if (op && (strcmp(op, "In") == 0 || strcmp(op, "NotIn") == 0)) {
            if (nv == 0)
                api_err_required(e, api_path_child(pv, px, "values"),
                                 "must be specified when `operator` is 'In' or 'NotIn'");
        } else if (op && (strcmp(op, "Exists") == 0 || strcmp(op, "DoesNotExist") == 0)) {
            if (nv > 0)
                api_err_forbidden(e, api_path_child(pv, px, "values"),
                                  "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
        } else {
            api_err_invalid_str(e, api_path_child(pv, px, "operator"), op ? op : "", "not a valid selector operator");
        }
        const char *key = api_jstr(x, "key");
        validate_label_name(key ? key : "", api_path_child(pv, px, "key"), e);
        size_t j;
        json_t *val;
        json_array_foreach(values, j, val)
        {
            char pvi[API_PATH_MAX];
            const char *s = json_is_string(val) ? json_string_value(val) : "";
            struct api_msgs m;
            api_msgs_label_value(s, &m);
            api_err_invalid_each(e, api_path_index(pvi, api_path_child(pv, px, "values"), j), s, &m);
        }
    }
}

/* ---- metadata (api/validation/objectmeta.go) ---- */

enum api_name_rule
api_name_rule_for(const struct api_resource *r)
{
    if (!r || !r->kind)
        return API_NAME_SUBDOMAIN;
    if (!r->group[0]) {
        if (strcmp(r->kind, "Namespace") == 0)
            return API_NAME_LABEL;
        if (strcmp(r->kind, "Service") == 0)
            return API_NAME_DNS1035;
        if (strcmp(r->kind, "Event") == 0)
            return API_NAME_PATH_SEGMENT;
    } else if (strcmp(r->group, "apps") == 0 && strcmp(r->kind, "StatefulSet") == 0) {
        return API_NAME_LABEL;
    } else if (strcmp(r->group, "rbac.authorization.k8s.io") == 0) {
        return API_NAME_PATH_SEGMENT; /* upstream's rbac validation: ValidateRBACName is path.IsValidPathSegmentName */
    }
    return API_NAME_SUBDOMAIN;
}

static bool
is_kind(const struct api_resource *r, const char *group, const char *kind)
{
    return r && r->kind && strcmp(r->group, group) == 0 && strcmp(r->kind, kind) == 0;
}

/* Go's time.Time.String() of an RFC 3339 timestamp in UTC ("2006-01-02 15:04:05 +0000 UTC"), as metav1.Time
 * prints in errors (the API server runs in UTC). NULL or unparsable: Go's zero time. */
static void
go_time(struct api_sb *sb, const char *rfc3339)
{
    struct kc_time t;
    if (!rfc3339 || kc_time_parse(rfc3339, &t) != 0) {
        api_sb_puts(sb, "0001-01-01 00:00:00 +0000 UTC");
        return;
    }
    char buf[KC_TIME_BUF];
    kc_time_format(t, buf); /* 2006-01-02T15:04:05Z */
    buf[10] = ' ';
    buf[19] = '\0';
    api_sb_puts(sb, buf);
    if (t.nsec) {
        char frac[16];
        snprintf(frac, sizeof(frac), ".%09d", (int)t.nsec);
        size_t n = strlen(frac);
        while (n > 1 && frac[n - 1] == '0')
            frac[--n] = '\0';
        api_sb_puts(sb, frac);
    }
    api_sb_puts(sb, " +0000 UTC");
}

static bool
json_same(const json_t *a, const json_t *b)
{
    if (json_is_null(a))
        a = NULL;
    if (json_is_null(b))
        b = NULL;
    return kc_json_equal(a, b);
}

static void
immutable_str(const json_t *nm, const json_t *om, const char *key, const char *path, struct api_errors *e)
{
    const json_t *nv = json_object_get(nm, key), *ov = json_object_get(om, key);
    if (json_same(nv, ov))
        return;
    const char *s = json_string_value(nv);
    api_err_invalid_str(e, path, s ? s : "", "field is immutable");
}

static void
immutable_time(const json_t *nm, const json_t *om, const char *key, const char *path, bool pointer,
               struct api_errors *e)
{
    const json_t *nv = json_object_get(nm, key), *ov = json_object_get(om, key);
    struct kc_time a, b;
    const char *ns = json_string_value(nv), *os = json_string_value(ov);
    bool na = ns && kc_time_parse(ns, &a) == 0, ob = os && kc_time_parse(os, &b) == 0;
    if (na == ob && (!na || a.sec == b.sec)) /* metav1.Time compares at second precision */
        return;
    struct api_sb sb = { 0 };
    if (pointer && !na)
        api_sb_puts(&sb, "null");
    else
        go_time(&sb, ns);
    api_err_invalid_raw(e, path, api_sb_str(&sb), "field is immutable");
    api_sb_free(&sb);
}

/* %#v of a metav1.OwnerReference. Its pointer fields print as addresses upstream, which k8c cannot reproduce:
 * a set pointer prints as (*bool)(0xc000000000). */
static void
go_owner_ref(struct api_sb *v, const json_t *ref)
{
    const char *av = api_jstr(ref, "apiVersion"), *kind = api_jstr(ref, "kind");
    const char *name = api_jstr(ref, "name"), *uid = api_jstr(ref, "uid");
    api_sb_puts(v, "v1.OwnerReference{APIVersion:");
    api_go_quote(v, av ? av : "");
    api_sb_puts(v, ", Kind:");
    api_go_quote(v, kind ? kind : "");
    api_sb_puts(v, ", Name:");
    api_go_quote(v, name ? name : "");
    api_sb_puts(v, ", UID:");
    api_go_quote(v, uid ? uid : "");
    api_sb_printf(v, ", Controller:%s, BlockOwnerDeletion:%s}",
                  api_jhas(ref, "controller") ? "(*bool)(0xc000000000)" : "(*bool)(nil)",
                  api_jhas(ref, "blockOwnerDeletion") ? "(*bool)(0xc000000000)" : "(*bool)(nil)");
}

static void
validate_owner_refs(const json_t *refs, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    size_t i;
    json_t *ref;
    struct api_sb first = { 0 };
    bool have_first = false;
    json_array_foreach(refs, i, ref)
    {
        const char *av = api_jstr(ref, "apiVersion"), *kind = api_jstr(ref, "kind");
        const char *name = api_jstr(ref, "name"), *uid = api_jstr(ref, "uid");
        /* schema.ParseGroupVersion: "", "v", "g/v"; anything else fails and leaves the version empty */
        const char *version = "";
        char group[256] = "";
        if (av && *av) {
            const char *slash = strchr(av, '/');
            if (!slash) {
                version = av;
            } else if (!strchr(slash + 1, '/')) {
                version = slash + 1;
                snprintf(group, sizeof(group), "%.*s", (int)(slash - av), av);
            }
        }
        /* the errors are at the list's path, not at an index (upstream's) */
        if (!*version)
            api_err_invalid_str(e, api_path_child(p, path, "apiVersion"), av ? av : "", "version must not be empty");
        if (!kind || !*kind)
            api_err_invalid_str(e, api_path_child(p, path, "kind"), kind ? kind : "", "must not be empty");
        if (!name || !*name)
            api_err_invalid_str(e, api_path_child(p, path, "name"), name ? name : "", "must not be empty");
        if (!uid || !*uid)
            api_err_invalid_str(e, api_path_child(p, path, "uid"), uid ? uid : "", "must not be empty");
        if (!group[0] && strcmp(version, "v1") == 0 && kind && strcmp(kind, "Event") == 0) {
            struct api_sb v = { 0 };
            go_owner_ref(&v, ref);
            api_err_invalid_raw(e, path, api_sb_str(&v), "/v1, Kind=Event is disallowed from being an owner");
            api_sb_free(&v);
        }
        bool controller = false;
        if (api_jbool(ref, "controller", &controller) && controller) {
            if (have_first) {
                struct api_sb d = { 0 }, v = { 0 };
                api_sb_printf(&d,
                              "Only one reference can have Controller set to true. Found \"true\" in references for "
                              "%s and %s/%s",
                              api_sb_str(&first), kind ? kind : "", name ? name : "");
                size_t j;
                json_t *r2;
                api_sb_puts(&v, "[]v1.OwnerReference{");
                json_array_foreach(refs, j, r2)
                {
                    if (j)
                        api_sb_puts(&v, ", ");
                    go_owner_ref(&v, r2);
                }
                api_sb_puts(&v, "}");
                api_err_invalid_raw(e, path, api_sb_str(&v), api_sb_str(&d));
                api_sb_free(&d);
                api_sb_free(&v);
            } else {
                api_sb_printf(&first, "%s/%s", kind ? kind : "", name ? name : "");
                have_first = true;
            }
        }
    }
    api_sb_free(&first);
}

static bool
standard_finalizer(const char *f)
{
    return strcmp(f, "kubernetes") == 0 || strcmp(f, "orphan") == 0 || strcmp(f, "foregroundDeletion") == 0;
}

/* ValidateFinalizers: qualified names (errors at the list path) and the orphan+foregroundDeletion conflict. */
static void
validate_finalizers(const json_t *fins, const char *path, struct api_errors *e)
{
    size_t i;
    json_t *f;
    bool orphan = false, foreground = false;
    json_array_foreach(fins, i, f)
    {
        const char *s = json_is_string(f) ? json_string_value(f) : "";
        struct api_msgs m;
        api_msgs_qualified_name(s, &m);
        api_err_invalid_each(e, path, s, &m);
        if (strcmp(s, "orphan") == 0)
            orphan = true;
        if (strcmp(s, "foregroundDeletion") == 0)
            foreground = true;
    }
    if (orphan && foreground) {
        struct api_sb v = { 0 };
        api_go_string_slice(&v, fins);
        api_err_invalid_raw(e, path, api_sb_str(&v), "finalizer orphan and foregroundDeletion cannot be both set");
        api_sb_free(&v);
    }
}

/* core's validateKubeFinalizerName, run after the generic checks on create and update, at each index. */
static void
validate_kube_finalizers(const json_t *fins, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX];
    size_t i;
    json_t *f;
    json_array_foreach(fins, i, f)
    {
        const char *s = json_is_string(f) ? json_string_value(f) : "";
        if (!strchr(s, '/') && !standard_finalizer(s))
            api_err_invalid_str(e, api_path_index(p, path, i), s,
                                "name is neither a standard finalizer name nor is it fully qualified");
    }
}

static void
validate_annotations(const json_t *ann, const char *path, struct api_errors *e)
{
    const char *k;
    json_t *v;
    size_t total = 0;
    if (!json_is_object(ann))
        return;
    json_object_foreach((json_t *)ann, k, v)
    {
        char lower[512];
        size_t n = strlen(k);
        struct api_msgs m;
        if (n < sizeof(lower)) {
            for (size_t i = 0; i <= n; i++)
                lower[i] = (k[i] >= 'A' && k[i] <= 'Z') ? (char)(k[i] - 'A' + 'a') : k[i];
            api_msgs_qualified_name(lower, &m);
        } else {
            api_msgs_qualified_name(k, &m); /* too long either way; the length message is what matters */
        }
        api_err_invalid_each(e, path, k, &m);
        total += n + (json_is_string(v) ? json_string_length(v) : 0);
    }
    if (total > 256 * 1024)
        api_err_too_long(e, path, 256 * 1024);
}

static void
validate_managed_fields(const json_t *mf, const char *path, struct api_errors *e)
{
    char p[API_PATH_MAX], q[API_PATH_MAX];
    size_t i;
    json_t *m;
    json_array_foreach(mf, i, m)
    {
        api_path_index(p, path, i);
        const char *op = api_jstr(m, "operation");
        if (!op || (strcmp(op, "Apply") != 0 && strcmp(op, "Update") != 0))
            api_err_invalid_str(e, api_path_child(q, p, "operation"), op ? op : "", "must be `Apply` or `Update`");
        const char *ft = api_jstr(m, "fieldsType");
        if (ft && *ft && strcmp(ft, "FieldsV1") != 0)
            api_err_invalid_str(e, api_path_child(q, p, "fieldsType"), ft, "must be `FieldsV1`");
        const char *sub = api_jstr(m, "subresource");
        if (sub && strlen(sub) > 256)
            api_err_too_long(e, api_path_child(q, p, "subresource"), 256);
    }
}

static void
validate_resource_version(const json_t *meta, struct api_errors *e)
{
    const char *rv = api_jstr(meta, "resourceVersion");
    if (!rv || !*rv)
        return;
    /* APIObjectVersioner.ParseResourceVersion: strconv.ParseUint(rv, 10, 64) */
    bool digits = true;
    for (const char *p = rv; *p; p++)
        if (*p < '0' || *p > '9')
            digits = false;
    char msg[600];
    struct api_sb q = { 0 };
    api_go_quote(&q, rv);
    if (!digits) {
        snprintf(msg, sizeof(msg), "strconv.ParseUint: parsing %s: invalid syntax", api_sb_str(&q));
        api_err_invalid_str(e, "resourceVersion", rv, msg);
    } else {
        errno = 0;
        (void)strtoull(rv, NULL, 10);
        if (errno == ERANGE) {
            snprintf(msg, sizeof(msg), "strconv.ParseUint: parsing %s: value out of range", api_sb_str(&q));
            api_err_invalid_str(e, "resourceVersion", rv, msg);
        }
    }
    api_sb_free(&q);
}

/* The checks both paths end with: core's finalizer-name rule (not for Lease, whose validation uses
 * apimachinery's ValidateObjectMeta directly) and the storage's resourceVersion parse. */
static void
validate_meta_tail(const struct api_resource *r, const json_t *meta, struct api_errors *e)
{
    if (!is_kind(r, "coordination.k8s.io", "Lease"))
        validate_kube_finalizers(api_jarr(meta, "finalizers"), "metadata.finalizers", e);
    validate_resource_version(meta, e);
}

static void
validate_meta_create(const struct api_resource *r, const json_t *meta, struct api_errors *errs)
{
    enum api_name_rule rule = api_name_rule_for(r);
    bool namespaced = r ? r->namespaced : true;
    const char *name = api_jstr(meta, "name"), *gen = api_jstr(meta, "generateName");
    const char *ns = api_jstr(meta, "namespace");

    if (gen && *gen) {
        struct api_msgs m;
        api_msgs_name(rule, gen, true, &m);
        api_err_invalid_each(errs, "metadata.generateName", gen, &m);
    }
    if (!name || !*name) {
        api_err_required(errs, "metadata.name", "name or generateName is required");
    } else {
        struct api_msgs m;
        api_msgs_name(rule, name, false, &m);
        api_err_invalid_each(errs, "metadata.name", name, &m);
        /* The cronjob controller appends an 11-character suffix to the jobs it creates. */
        if (is_kind(r, "batch", "CronJob") && strlen(name) > 52)
            api_err_invalid_str(errs, "metadata.name", name, "must be no more than 52 characters");
    }
    if (namespaced) {
        if (!ns || !*ns) {
            api_err_required(errs, "metadata.namespace", "");
        } else {
            struct api_msgs m;
            api_msgs_dns1123_label(ns, &m);
            api_err_invalid_each(errs, "metadata.namespace", ns, &m);
        }
    } else if (ns && *ns) {
        api_err_forbidden(errs, "metadata.namespace", "not allowed on this type");
    }
    long long generation;
    if (api_jint(meta, "generation", &generation) && generation < 0)
        api_err_invalid_int(errs, "metadata.generation", generation, "must be greater than or equal to 0");
    api_validate_labels(api_jobj(meta, "labels"), "metadata.labels", errs);
    validate_annotations(api_jobj(meta, "annotations"), "metadata.annotations", errs);
    validate_owner_refs(api_jarr(meta, "ownerReferences"), "metadata.ownerReferences", errs);
    validate_finalizers(api_jarr(meta, "finalizers"), "metadata.finalizers", errs);
    validate_managed_fields(api_jarr(meta, "managedFields"), "metadata.managedFields", errs);
}

/* ValidateObjectMetaAccessorUpdate. Its "resourceVersion: must be specified for an update" is left to the REST
 * layer, which handles the precondition itself. */
static void
validate_meta_update(const json_t *meta, const json_t *om, struct api_errors *errs)
{
    /* No new finalizers on an object being deleted. */
    if (api_jhas(om, "deletionTimestamp")) {
        json_t *nf = api_jarr(meta, "finalizers"), *of = api_jarr(om, "finalizers");
        struct api_sb extra = { 0 };
        size_t i, j, count = 0;
        json_t *f, *g;
        /* sets.String.List(): sorted, unique */
        const char **names = json_array_size(nf) ? kc_calloc(json_array_size(nf), sizeof(*names)) : NULL;
        json_array_foreach(nf, i, f)
        {
            bool found = false;
            json_array_foreach(of, j, g)
            {
                if (json_equal(f, g))
                    found = true;
            }
            for (size_t k = 0; names && k < count && !found; k++)
                if (strcmp(names[k], json_string_value(f) ? json_string_value(f) : "") == 0)
                    found = true;
            if (!found && names)
                names[count++] = json_string_value(f) ? json_string_value(f) : "";
        }
        if (json_array_size(nf) && !names)
            api_err_forbidden(errs, "metadata.finalizers",
                              "no new finalizers can be added if the object is being "
                              "deleted");
        if (count) {
            qsort(names, count, sizeof(*names), cmp_str);
            api_sb_puts(&extra, "no new finalizers can be added if the object is being deleted, found new finalizers "
                                "[]string{");
            for (size_t k = 0; k < count; k++) {
                if (k)
                    api_sb_puts(&extra, ", ");
                api_go_quote(&extra, names[k]);
            }
            api_sb_puts(&extra, "}");
            api_err_forbidden(errs, "metadata.finalizers", api_sb_str(&extra));
        }
        free(names);
        api_sb_free(&extra);
    }
    long long og = 0, ng = 0;
    api_jint(meta, "generation", &ng);
    api_jint(om, "generation", &og);
    if (ng < og)
        api_err_invalid_int(errs, "metadata.generation", ng, "must not be decremented");
    immutable_str(meta, om, "name", "metadata.name", errs);
    immutable_str(meta, om, "namespace", "metadata.namespace", errs);
    immutable_str(meta, om, "uid", "metadata.uid", errs);
    immutable_time(meta, om, "creationTimestamp", "metadata.creationTimestamp", false, errs);
    immutable_time(meta, om, "deletionTimestamp", "metadata.deletionTimestamp", true, errs);
    const json_t *nd = json_object_get(meta, "deletionGracePeriodSeconds");
    const json_t *od = json_object_get(om, "deletionGracePeriodSeconds");
    if (!json_same(nd, od)) {
        if (json_is_integer(nd))
            api_err_invalid_int(errs, "metadata.deletionGracePeriodSeconds", json_integer_value(nd),
                                "field is immutable");
        else
            api_err_invalid_raw(errs, "metadata.deletionGracePeriodSeconds", "null", "field is immutable");
    }
    api_validate_labels(api_jobj(meta, "labels"), "metadata.labels", errs);
    validate_annotations(api_jobj(meta, "annotations"), "metadata.annotations", errs);
    validate_owner_refs(api_jarr(meta, "ownerReferences"), "metadata.ownerReferences", errs);
    validate_managed_fields(api_jarr(meta, "managedFields"), "metadata.managedFields", errs);
}

void
api_validate_meta(const struct api_resource *r, const json_t *obj, const json_t *old, struct api_errors *errs)
{
    const json_t *meta = api_jobj(obj, "metadata");
    if (old)
        validate_meta_update(meta, api_jobj(old, "metadata"), errs);
    else
        validate_meta_create(r, meta, errs);
    validate_meta_tail(r, meta, errs);
}
