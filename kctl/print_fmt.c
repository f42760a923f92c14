/* print_fmt.c - the small formatting rules kubectl's output inherits from Go: fmt's %v of decoded JSON, encoding/
 * json's Marshal (sorted keys, HTML escaping, float forms), duration.HumanDuration, sortorder.NaturalLess and
 * labels.FormatLabels. Pure. */
#include "kctl_print.h"
#include "kc_fault.h"
#include "kc_time.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Shortest decimal digits of d that read back as d: digits[] without a point, *nd of them, and the decimal
 * exponent such that d = 0.d1d2... x 10^dp (strconv's decimal form). */
static void
shortest(double d, char *digits, int *nd, int *dp)
{
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
        if (strtod(buf, NULL) == d || prec == 17)
            break;
    }
    /* buf is "[-]D.DDDDe[+-]XX" */
    const char *p = buf;
    if (*p == '-')
        p++;
    int n = 0;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[n++] = *p;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    *nd = n;
    *dp = atoi(p + 1) + 1;
}

/* Go's strconv.FormatFloat(f, fmt, -1, 64) for fmt 'e', 'f' or 'g' (the %v form). */
static void
go_float(double f, char mode, char *out, size_t len)
{
    if (isnan(f)) {
        snprintf(out, len, "NaN");
        return;
    }
    if (isinf(f)) {
        snprintf(out, len, f > 0 ? "+Inf" : "-Inf");
        return;
    }
    char digits[32];
    int nd, dp;
    if (f == 0) {
        snprintf(out, len, "%s0", signbit(f) ? "-" : "");
        if (mode == 'e')
            snprintf(out, len, "%s0e+00", signbit(f) ? "-" : "");
        return;
    }
    shortest(f, digits, &nd, &dp);
    int exp = dp - 1;
    if (mode == 'g')
        mode = (exp < -4 || exp >= 6) ? 'e' : 'f'; /* shortest %g decides with precision 6 */
    const char *sign = f < 0 ? "-" : "";
    if (mode == 'e') {
        snprintf(out, len, "%s%c%s%s%se%c%02d", sign, digits[0], nd > 1 ? "." : "", nd > 1 ? digits + 1 : "", "",
                 exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
        return;
    }
    /* 'f' with exactly the digits needed */
    char buf[400];
    size_t o = 0;
    if (dp <= 0) {
        buf[o++] = '0';
        buf[o++] = '.';
        for (int i = 0; i < -dp && o < sizeof(buf) - 2; i++)
            buf[o++] = '0';
        for (int i = 0; i < nd && o < sizeof(buf) - 1; i++)
            buf[o++] = digits[i];
    } else {
        for (int i = 0; i < dp && o < sizeof(buf) - 2; i++)
            buf[o++] = i < nd ? digits[i] : '0';
        if (nd > dp) {
            buf[o++] = '.';
            for (int i = dp; i < nd && o < sizeof(buf) - 1; i++)
                buf[o++] = digits[i];
        }
    }
    buf[o] = '\0';
    snprintf(out, len, "%s%s", sign, buf);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of an object, sorted (caller frees the array). */
static const char **
sorted_keys(const json_t *o, size_t *n)
{
    *n = json_object_size(o);
    const char **keys = kc_calloc(*n ? *n : 1, sizeof(*keys));
    if (!keys)
        return NULL;
    size_t k = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v) keys[k++] = key;
    qsort(keys, k, sizeof(*keys), cmp_str);
    return keys;
}

void
kctl_go_sprint(const json_t *v, FILE *out)
{
    char buf[64];
    if (!v || json_is_null(v)) {
        fputs("<nil>", out);
        return;
    }
    switch (json_typeof(v)) {
    case JSON_STRING:
        fwrite(json_string_value(v), 1, json_string_length(v), out);
        break;
    case JSON_INTEGER:
        fprintf(out, "%lld", (long long)json_integer_value(v));
        break;
    case JSON_REAL: {
        /* %v of a float64 is strconv's shortest %g: 0.5, 1e+06, 1.5e-07 */
        go_float(json_real_value(v), 'g', buf, sizeof(buf));
        fputs(buf, out);
        break;
    }
    case JSON_TRUE:
        fputs("true", out);
        break;
    case JSON_FALSE:
        fputs("false", out);
        break;
    case JSON_ARRAY:
        fputc('[', out);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                fputc(' ', out);
            kctl_go_sprint(json_array_get(v, i), out);
        }
        fputc(']', out);
        break;
    case JSON_OBJECT: {
        size_t n;
        const char **keys = sorted_keys(v, &n);
        fputs("map[", out);
        for (size_t i = 0; keys && i < n; i++) {
            if (i)
                fputc(' ', out);
            fprintf(out, "%s:", keys[i]);
            kctl_go_sprint(json_object_get(v, keys[i]), out);
        }
        fputc(']', out);
        free(keys);
        break;
    }
    default:
        break;
    }
}

/* encoding/json's string encoding with HTML escaping. */
static void
go_json_string(const char *s, size_t n, FILE *out)
{
    static const char hex[] = "0123456789abcdef";
    fputc('"', out);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            if (c == '"' || c == '\\') {
                fputc('\\', out);
                fputc(c, out);
            } else if (c == '\n') {
                fputs("\\n", out);
            } else if (c == '\r') {
                fputs("\\r", out);
            } else if (c == '\t') {
                fputs("\\t", out);
            } else if (c == '\b') {
                fputs("\\b", out);
            } else if (c == '\f') {
                fputs("\\f", out);
            } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                fprintf(out, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
            } else {
                fputc(c, out);
            }
            i++;
            continue;
        }
        /* UTF-8: validate; invalid bytes become U+FFFD; U+2028/2029 are escaped */
        int len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
        bool ok = len > 0 && i + (size_t)len <= n && c < 0xf5 && c >= 0xc2;
        for (int k = 1; ok && k < len; k++)
            ok = ((unsigned char)s[i + k] & 0xc0) == 0x80;
        if (ok && len == 3) {
            unsigned cp =
                ((c & 0x0fu) << 12) | (((unsigned char)s[i + 1] & 0x3fu) << 6) | ((unsigned char)s[i + 2] & 0x3fu);
            ok = cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff);
            if (ok && (cp == 0x2028 || cp == 0x2029)) {
                fprintf(out, "\\u%04x", cp);
                i += 3;
                continue;
            }
        }
        if (ok && len == 4) {
            unsigned cp = ((c & 0x07u) << 18) | (((unsigned char)s[i + 1] & 0x3fu) << 12);
            ok = cp >= 0x10000 && cp <= 0x10ffff;
        }
        if (!ok) {
            fputs("\\ufffd", out);
            i++;
            continue;
        }
        fwrite(s + i, 1, (size_t)len, out);
        i += (size_t)len;
    }
    fputc('"', out);
}

static void
indent_to(FILE *out, int indent, int level)
{
    fputc('\n', out);
    for (int i = 0; i < indent * level; i++)
        fputc(' ', out);
}

static int
go_json(const json_t *v, int indent, int level, FILE *out)
{
    char buf[64];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n;
        if (json_object_size(v) == 0) {
            fputs("{}", out);
            return 0;
        }
        const char **keys = sorted_keys(v, &n);
        if (!keys)
            return -ENOMEM;
        fputc('{', out);
        for (size_t i = 0; i < n; i++) {
            if (i)
                fputc(',', out);
            if (indent)
                indent_to(out, indent, level + 1);
            go_json_string(keys[i], strlen(keys[i]), out);
            fputs(indent ? ": " : ":", out);
            if (go_json(json_object_get(v, keys[i]), indent, level + 1, out)) {
                free(keys);
                return -ENOMEM;
            }
        }
        if (indent)
            indent_to(out, indent, level);
        fputc('}', out);
        free(keys);
        return 0;
    }
    case JSON_ARRAY:
        if (json_array_size(v) == 0) {
            fputs("[]", out);
            return 0;
        }
        fputc('[', out);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                fputc(',', out);
            if (indent)
                indent_to(out, indent, level + 1);
            if (go_json(json_array_get(v, i), indent, level + 1, out))
                return -ENOMEM;
        }
        if (indent)
            indent_to(out, indent, level);
        fputc(']', out);
        return 0;
    case JSON_STRING:
        go_json_string(json_string_value(v), json_string_length(v), out);
        return 0;
    case JSON_INTEGER:
        fprintf(out, "%lld", (long long)json_integer_value(v));
        return 0;
    case JSON_REAL: {
        double d = fabs(json_real_value(v));
        go_float(json_real_value(v), d != 0 && (d < 1e-6 || d >= 1e21) ? 'e' : 'f', buf, sizeof(buf));
        /* encoding/json writes e-07 as e-7 */
        char *e = strstr(buf, "e-0");
        if (e)
            memmove(e + 2, e + 3, strlen(e + 3) + 1);
        fputs(buf, out);
        return 0;
    }
    case JSON_TRUE:
        fputs("true", out);
        return 0;
    case JSON_FALSE:
        fputs("false", out);
        return 0;
    default:
        fputs("null", out);
        return 0;
    }
}

int
kctl_go_json(const json_t *v, int indent, FILE *out)
{
    if (!v) {
        fputs("null", out);
        return 0;
    }
    return go_json(v, indent, 0, out);
}

void
kctl_human_duration(int64_t seconds, char *buf, size_t len)
{
    int64_t s = seconds;
    if (s < -1) {
        snprintf(buf, len, "<invalid>");
        return;
    }
    if (s < 0) {
        snprintf(buf, len, "0s");
        return;
    }
    if (s < 120) {
        snprintf(buf, len, "%llds", (long long)s);
        return;
    }
    int64_t minutes = s / 60;
    if (minutes < 10) {
        if (s % 60 == 0)
            snprintf(buf, len, "%lldm", (long long)minutes);
        else
            snprintf(buf, len, "%lldm%llds", (long long)minutes, (long long)(s % 60));
        return;
    }
    if (minutes < 180) {
        snprintf(buf, len, "%lldm", (long long)minutes);
        return;
    }
    int64_t hours = s / 3600;
    if (hours < 8) {
        if (minutes % 60 == 0)
            snprintf(buf, len, "%lldh", (long long)hours);
        else
            snprintf(buf, len, "%lldh%lldm", (long long)hours, (long long)(minutes % 60));
    } else if (hours < 48) {
        snprintf(buf, len, "%lldh", (long long)hours);
    } else if (hours < 24 * 8) {
        if (hours % 24 == 0)
            snprintf(buf, len, "%lldd", (long long)(hours / 24));
        else
            snprintf(buf, len, "%lldd%lldh", (long long)(hours / 24), (long long)(hours % 24));
    } else if (hours < 24 * 365 * 2) {
        snprintf(buf, len, "%lldd", (long long)(hours / 24));
    } else if (hours < 24 * 365 * 8) {
        int64_t dy = (hours / 24) % 365;
        if (dy == 0)
            snprintf(buf, len, "%lldy", (long long)(hours / 24 / 365));
        else
            snprintf(buf, len, "%lldy%lldd", (long long)(hours / 24 / 365), (long long)dy);
    } else {
        snprintf(buf, len, "%lldy", (long long)(hours / 24 / 365));
    }
}

void
kctl_age(const char *timestamp, int64_t now, char *buf, size_t len)
{
    struct kc_time t;
    if (!timestamp || !*timestamp || kc_time_parse(timestamp, &t) != 0) {
        snprintf(buf, len, "<unknown>");
        return;
    }
    kctl_human_duration(now - t.sec, buf, len);
}

static bool
isdig(char c)
{
    return c >= '0' && c <= '9';
}

bool
kctl_natural_less(const char *a, const char *b)
{
    size_t i = 0, j = 0, la = strlen(a), lb = strlen(b);
    while (i < la && j < lb) {
        char c1 = a[i], c2 = b[j];
        bool d1 = isdig(c1), d2 = isdig(c2);
        if (d1 != d2)
            return d1;
        if (!d1) {
            if (c1 != c2)
                return (unsigned char)c1 < (unsigned char)c2;
            i++;
            j++;
            continue;
        }
        while (i < la && a[i] == '0')
            i++;
        while (j < lb && b[j] == '0')
            j++;
        size_t nz1 = i, nz2 = j;
        while (i < la && isdig(a[i]))
            i++;
        while (j < lb && isdig(b[j]))
            j++;
        size_t len1 = i - nz1, len2 = j - nz2;
        if (len1 != len2)
            return len1 < len2;
        int c = memcmp(a + nz1, b + nz2, len1);
        if (c != 0)
            return c < 0;
        if (nz1 != nz2)
            return nz1 < nz2;
    }
    return la < lb;
}

char *
kctl_format_labels(const json_t *labels)
{
    size_t n;
    if (!json_is_object(labels) || json_object_size(labels) == 0)
        return kc_strdup("<none>");
    const char **keys = sorted_keys(labels, &n);
    if (!keys)
        return NULL;
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    if (!m) {
        free(keys);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_object_get(labels, keys[i]);
        fprintf(m, "%s%s=", i ? "," : "", keys[i]);
        if (json_is_string(v))
            fputs(json_string_value(v), m);
        else
            kctl_go_sprint(v, m);
    }
    fclose(m);
    free(keys);
    return out;
}

/* strconv.Quote: a Go string literal. */
static void
go_quote(const char *s, size_t n, FILE *out)
{
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\a':
            fputs("\\a", out);
            break;
        case '\b':
            fputs("\\b", out);
            break;
        case '\f':
            fputs("\\f", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        case '\v':
            fputs("\\v", out);
            break;
        default:
            if (c < 0x20 || c == 0x7f)
                fprintf(out, "\\x%02x", c);
            else
                fputc(c, out);
        }
    }
    fputc('"', out);
}

void
kctl_go_gostring(const json_t *v, FILE *out)
{
    char buf[64];
    if (!v || json_is_null(v)) {
        fputs("interface {}(nil)", out);
        return;
    }
    switch (json_typeof(v)) {
    case JSON_STRING:
        go_quote(json_string_value(v), json_string_length(v), out);
        break;
    case JSON_INTEGER:
        fprintf(out, "%lld", (long long)json_integer_value(v));
        break;
    case JSON_REAL:
        go_float(json_real_value(v), 'g', buf, sizeof(buf));
        fputs(buf, out);
        break;
    case JSON_TRUE:
        fputs("true", out);
        break;
    case JSON_FALSE:
        fputs("false", out);
        break;
    case JSON_ARRAY:
        fputs("[]interface {}{", out);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                fputs(", ", out);
            kctl_go_gostring(json_array_get(v, i), out);
        }
        fputc('}', out);
        break;
    case JSON_OBJECT: {
        size_t n;
        const char **keys = sorted_keys(v, &n);
        fputs("map[string]interface {}{", out);
        for (size_t i = 0; keys && i < n; i++) {
            if (i)
                fputs(", ", out);
            go_quote(keys[i], strlen(keys[i]), out);
            fputc(':', out);
            kctl_go_gostring(json_object_get(v, keys[i]), out);
        }
        fputc('}', out);
        free(keys);
        break;
    }
    default:
        break;
    }
}
