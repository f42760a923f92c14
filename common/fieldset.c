/* fieldset.c - field sets of server-side apply (kc_fieldset.h): path elements and their order, the sorted set
 * tree and its algebra, FieldsV1 encoding and decoding, upstream's path text; plus the Go-compatible text
 * helpers the other apply files share (fieldset_int.h). */
#include "fieldset_int.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_json.h"
#include "kc_str.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- text helpers --- */

void
kc_sb_grow_add(struct kc_sb *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = kc_realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void
kc_sb_str(struct kc_sb *b, const char *s)
{
    kc_sb_add(b, s, strlen(s));
}

void
kc_sb_truncate(struct kc_sb *b, size_t len)
{
    if (len < b->len) {
        b->len = len;
        b->p[len] = '\0';
    }
}

void
kc_sb_json_string(struct kc_sb *b, const char *s, size_t n)
{
    kc_sb_add(b, "\"", 1);
    kc_sb_json_chars(b, s, n);
    kc_sb_add(b, "\"", 1);
}

void
kc_sb_json_chars(struct kc_sb *b, const char *s, size_t n)
{
    for (size_t run = 0, i; run < n; run = i + 1) {
        i = kc_json_plain_end(s, n, run, false);
        kc_sb_add(b, s + run, i - run);
        if (i == n)
            break;
        char esc[6];
        kc_sb_add(b, esc, kc_json_escape((unsigned char)s[i], esc));
    }
}

void
kc_sb_printf(struct kc_sb *b, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(buf)) {
        kc_sb_add(b, buf, (size_t)n);
        return;
    }
    char *big = kc_malloc((size_t)n + 1);
    if (!big) {
        b->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    kc_sb_add(b, big, (size_t)n);
    free(big);
}

char *
kc_sb_take(struct kc_sb *b)
{
    char *p;
    if (b->oom) {
        free(b->p);
        p = NULL;
    } else if (!b->p) {
        p = kc_strdup("");
    } else {
        p = b->p;
    }
    memset(b, 0, sizeof(*b));
    return p;
}

void
kc_sb_free(struct kc_sb *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

/* The shortest decimal digits of d (> 0, finite) that read back as d: digits (no dot), their count and the
 * position of the decimal point (value = 0.DIGITS x 10^dp). */
static void
shortest_digits(double d, char *digits, int *nd, int *dp)
{
    char buf[64];
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, sizeof(buf), "%.*e", p - 1, d);
        if (strtod(buf, NULL) == d || p == 17)
            break;
    }
    /* buf is "D.DDDDe[+-]XX" or "De[+-]XX" */
    int n = 0;
    const char *s = buf;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9')
            digits[n++] = *s;
    int e = *s == 'e' ? atoi(s + 1) : 0;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    *nd = n;
    *dp = e + 1;
}

/* Writes the digits in %f form (dp as above). */
static void
format_fixed(struct kc_sb *b, const char *digits, int nd, int dp)
{
    if (dp <= 0) {
        kc_sb_str(b, "0.");
        for (int i = 0; i < -dp; i++)
            kc_sb_add(b, "0", 1);
        kc_sb_add(b, digits, (size_t)nd);
        return;
    }
    if (dp >= nd) {
        kc_sb_add(b, digits, (size_t)nd);
        for (int i = nd; i < dp; i++)
            kc_sb_add(b, "0", 1);
        return;
    }
    kc_sb_add(b, digits, (size_t)dp);
    kc_sb_add(b, ".", 1);
    kc_sb_add(b, digits + dp, (size_t)(nd - dp));
}

/* Writes the digits in %e form with at least min_exp_digits exponent digits. */
static void
format_exp(struct kc_sb *b, const char *digits, int nd, int dp, int min_exp_digits)
{
    kc_sb_add(b, digits, 1);
    if (nd > 1) {
        kc_sb_add(b, ".", 1);
        kc_sb_add(b, digits + 1, (size_t)(nd - 1));
    }
    int e = dp - 1;
    kc_sb_printf(b, "e%c%0*d", e < 0 ? '-' : '+', min_exp_digits, e < 0 ? -e : e);
}

void
kc_sb_go_float(struct kc_sb *b, double d)
{
    if (isnan(d)) {
        kc_sb_str(b, "NaN");
        return;
    }
    if (isinf(d)) {
        kc_sb_str(b, d < 0 ? "-Inf" : "+Inf");
        return;
    }
    if (d == 0) {
        kc_sb_str(b, signbit(d) ? "-0" : "0");
        return;
    }
    if (d < 0) {
        kc_sb_add(b, "-", 1);
        d = -d;
    }
    char digits[32];
    int nd, dp;
    shortest_digits(d, digits, &nd, &dp);
    int exp = dp - 1;
    if (exp < -4 || exp >= 21) /* %v uses the shortest digits with the 'g' threshold of precision 21 */
        format_exp(b, digits, nd, dp, 2);
    else
        format_fixed(b, digits, nd, dp);
}

/* Go's encoding/json float64 form: %f between 1e-6 and 1e21, else %e with the exponent's leading zero dropped. */
static void
go_json_float(struct kc_sb *b, double d)
{
    if (d == 0 || !isfinite(d)) { /* encoding/json refuses non-finite values; a decoded document has none */
        kc_sb_str(b, signbit(d) && d == 0 ? "-0" : "0");
        return;
    }
    if (d < 0) {
        kc_sb_add(b, "-", 1);
        d = -d;
    }
    char digits[32];
    int nd, dp;
    shortest_digits(d, digits, &nd, &dp);
    if (d < 1e-6 || d >= 1e21)
        format_exp(b, digits, nd, dp, 1);
    else
        format_fixed(b, digits, nd, dp);
}

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0 when invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        len = 2;
        v = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3;
        v = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3f);
    }
    if ((len == 2 && v < 0x80) || (len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10ffff)) ||
        (v >= 0xd800 && v <= 0xdfff))
        return 0;
    *cp = v;
    return len;
}

/* An integer in decimal, as printf's %lld writes it (without printf: keys of list items are mostly numbers). */
static void
sb_int(struct kc_sb *b, json_int_t v)
{
    char buf[24], *p = kc_i64_digits(buf + sizeof(buf), v);
    kc_sb_add(b, p, (size_t)(buf + sizeof(buf) - p));
}

/* Whether Go's encoding/json writes byte c (ASCII) as it is inside a string. */
static inline bool
go_json_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&';
}

static void
go_json_string(struct kc_sb *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    kc_sb_add(b, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (go_json_plain(c)) { /* a run of bytes written as they are, in one go */
            size_t j = i + 1;
            while (j < n && go_json_plain((unsigned char)s[j]))
                j++;
            kc_sb_add(b, s + i, j - i);
            i = j;
            continue;
        }
        if (c >= 0x80) {
            uint32_t cp;
            size_t l = utf8_len((const unsigned char *)s + i, n - i, &cp);
            if (l == 0) {
                kc_sb_str(b, "\\ufffd");
                i++;
            } else if (cp == 0x2028 || cp == 0x2029) {
                kc_sb_printf(b, "\\u%04x", cp);
                i += l;
            } else {
                kc_sb_add(b, s + i, l);
                i += l;
            }
            continue;
        }
        i++;
        switch (c) {
        case '"':
            kc_sb_str(b, "\\\"");
            break;
        case '\\':
            kc_sb_str(b, "\\\\");
            break;
        case '\n':
            kc_sb_str(b, "\\n");
            break;
        case '\r':
            kc_sb_str(b, "\\r");
            break;
        case '\t':
            kc_sb_str(b, "\\t");
            break;
        case '\b': /* Go 1.22+; earlier releases wrote \u0008 and \u000c */
            kc_sb_str(b, "\\b");
            break;
        case '\f':
            kc_sb_str(b, "\\f");
            break;
        default:
            if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
                kc_sb_add(b, e, 6);
            } else {
                kc_sb_add(b, (const char *)&c, 1);
            }
        }
    }
    kc_sb_add(b, "\"", 1);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
go_json(struct kc_sb *b, const json_t *v, bool sorted)
{
    size_t i;
    const char *k;
    json_t *x;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v), j = 0;
        const char *few[8], **keys = n <= 8 ? few : kc_malloc(n * sizeof(*keys));
        if (!keys) {
            b->oom = true;
            return;
        }
        json_object_foreach((json_t *)v, k, x)
        {
            keys[j++] = k;
        }
        if (sorted)
            qsort(keys, n, sizeof(*keys), cmp_str); /* Go sorts map keys byte-wise */
        kc_sb_add(b, "{", 1);
        for (j = 0; j < n; j++) {
            if (j)
                kc_sb_add(b, ",", 1);
            go_json_string(b, keys[j], strlen(keys[j]));
            kc_sb_add(b, ":", 1);
            go_json(b, json_object_get(v, keys[j]), sorted);
        }
        kc_sb_add(b, "}", 1);
        if (keys != few)
            free(keys);
        break;
    }
    case JSON_ARRAY:
        kc_sb_add(b, "[", 1);
        json_array_foreach(v, i, x)
        {
            if (i)
                kc_sb_add(b, ",", 1);
            go_json(b, x, sorted);
        }
        kc_sb_add(b, "]", 1);
        break;
    case JSON_STRING:
        go_json_string(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        sb_int(b, json_integer_value(v));
        break;
    case JSON_REAL:
        go_json_float(b, json_real_value(v));
        break;
    case JSON_TRUE:
        kc_sb_str(b, "true");
        break;
    case JSON_FALSE:
        kc_sb_str(b, "false");
        break;
    case JSON_NULL:
        kc_sb_str(b, "null");
        break;
    }
}

void
kc_sb_go_json_string(struct kc_sb *b, const char *s, size_t n)
{
    go_json_string(b, s, n);
}

void
kc_sb_go_json(struct kc_sb *b, const json_t *v)
{
    go_json(b, v, false);
}

void
kc_sb_go_json_sorted(struct kc_sb *b, const json_t *v)
{
    go_json(b, v, true);
}

void
kc_sb_go_quote(struct kc_sb *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    kc_sb_add(b, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            uint32_t cp;
            size_t l = utf8_len((const unsigned char *)s + i, n - i, &cp);
            if (l == 0) {
                char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
                kc_sb_add(b, e, 4);
                i++;
            } else {
                kc_sb_add(b, s + i, l);
                i += l;
            }
            continue;
        }
        i++;
        switch (c) {
        case '"':
            kc_sb_str(b, "\\\"");
            break;
        case '\\':
            kc_sb_str(b, "\\\\");
            break;
        case '\a':
            kc_sb_str(b, "\\a");
            break;
        case '\b':
            kc_sb_str(b, "\\b");
            break;
        case '\f':
            kc_sb_str(b, "\\f");
            break;
        case '\n':
            kc_sb_str(b, "\\n");
            break;
        case '\r':
            kc_sb_str(b, "\\r");
            break;
        case '\t':
            kc_sb_str(b, "\\t");
            break;
        case '\v':
            kc_sb_str(b, "\\v");
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
                kc_sb_add(b, e, 4);
            } else {
                kc_sb_add(b, (const char *)&c, 1);
            }
        }
    }
    kc_sb_add(b, "\"", 1);
}

void
kc_sb_value_string(struct kc_sb *b, const json_t *v)
{
    size_t i;
    const char *k;
    json_t *x;
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_NULL:
        kc_sb_str(b, "null");
        break;
    case JSON_REAL:
        kc_sb_go_float(b, json_real_value(v));
        break;
    case JSON_INTEGER:
        kc_sb_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_STRING:
        kc_sb_go_quote(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_TRUE:
        kc_sb_str(b, "true");
        break;
    case JSON_FALSE:
        kc_sb_str(b, "false");
        break;
    case JSON_ARRAY:
        kc_sb_add(b, "[", 1);
        json_array_foreach(v, i, x)
        {
            if (i)
                kc_sb_add(b, ",", 1);
            kc_sb_value_string(b, x);
        }
        kc_sb_add(b, "]", 1);
        break;
    case JSON_OBJECT: {
        kc_sb_add(b, "{", 1);
        bool first = true;
        json_object_foreach((json_t *)v, k, x)
        {
            if (!first)
                kc_sb_add(b, ";", 1);
            first = false;
            kc_sb_str(b, k);
            kc_sb_add(b, "=", 1);
            kc_sb_value_string(b, x);
        }
        kc_sb_add(b, "}", 1);
        break;
    }
    }
}

/* --- order --- */

static int
type_rank(const json_t *v)
{
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_INTEGER:
    case JSON_REAL:
        return 0;
    case JSON_STRING:
        return 1;
    case JSON_TRUE:
    case JSON_FALSE:
        return 2;
    case JSON_ARRAY:
        return 3;
    case JSON_OBJECT:
        return 4;
    default:
        return 5;
    }
}

static int
cmp_num(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b)) {
        json_int_t x = json_integer_value(a), y = json_integer_value(b);
        return x < y ? -1 : x > y;
    }
    double x = json_number_value(a), y = json_number_value(b);
    return x < y ? -1 : x > y;
}

static int
strcmp_sort(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
kc_json_value_compare(const json_t *a, const json_t *b)
{
    int ra = type_rank(a), rb = type_rank(b);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    switch (ra) {
    case 0:
        return cmp_num(a, b);
    case 1: {
        size_t la = json_string_length(a), lb = json_string_length(b);
        int c = memcmp(json_string_value(a), json_string_value(b), la < lb ? la : lb);
        return c ? (c < 0 ? -1 : 1) : (la < lb ? -1 : la > lb);
    }
    case 2:
        return json_is_true(a) == json_is_true(b) ? 0 : json_is_true(a) ? 1 : -1;
    case 3: {
        size_t na = json_array_size(a), nb = json_array_size(b);
        for (size_t i = 0; i < na && i < nb; i++) {
            int c = kc_json_value_compare(json_array_get(a, i), json_array_get(b, i));
            if (c)
                return c;
        }
        return na < nb ? -1 : na > nb;
    }
    case 4: {
        /* maps: by sorted keys, then values (upstream's MapCompare) */
        size_t na = json_object_size(a), nb = json_object_size(b);
        const char **ka = kc_calloc(na + 1, sizeof(*ka)), **kb = kc_calloc(nb + 1, sizeof(*kb));
        int c = 0;
        if (!ka || !kb) {
            free(ka);
            free(kb);
            return na < nb ? -1 : na > nb;
        }
        size_t i = 0;
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)a, k, x) ka[i++] = k;
        i = 0;
        json_object_foreach((json_t *)b, k, x) kb[i++] = k;
        qsort(ka, na, sizeof(*ka), strcmp_sort);
        qsort(kb, nb, sizeof(*kb), strcmp_sort);
        for (i = 0; i < na && i < nb && !c; i++) {
            c = strcmp(ka[i], kb[i]);
            if (c)
                c = c < 0 ? -1 : 1;
            else
                c = kc_json_value_compare(json_object_get(a, ka[i]), json_object_get(b, kb[i]));
        }
        if (!c)
            c = na < nb ? -1 : na > nb;
        free(ka);
        free(kb);
        return c;
    }
    default:
        return 0;
    }
}

/* Key field lists compare field by field: name, then value; a shorter list first. */
static int
cmp_key(const json_t *a, const json_t *b)
{
    void *ia = json_object_iter((json_t *)a), *ib = json_object_iter((json_t *)b);
    for (;;) {
        if (!ia && !ib)
            return 0;
        if (!ia)
            return -1;
        if (!ib)
            return 1;
        int c = strcmp(json_object_iter_key(ia), json_object_iter_key(ib));
        if (c)
            return c < 0 ? -1 : 1;
        c = kc_json_value_compare(json_object_iter_value(ia), json_object_iter_value(ib));
        if (c)
            return c;
        ia = json_object_iter_next((json_t *)a, ia);
        ib = json_object_iter_next((json_t *)b, ib);
    }
}

int
kc_pe_compare(const struct kc_pe *a, const struct kc_pe *b)
{
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    switch (a->type) {
    case KC_PE_FIELD: {
        int c = strcmp(a->field, b->field);
        return c < 0 ? -1 : c > 0;
    }
    case KC_PE_KEY:
        return cmp_key(a->key, b->key);
    case KC_PE_VALUE:
        return kc_json_value_compare(a->value, b->value);
    case KC_PE_INDEX:
        return a->index < b->index ? -1 : a->index > b->index;
    }
    return 0;
}

/* Go's %v of a decoded JSON value (map[a:1 b:x], [a b], <nil>). */
void
kc_sb_go_v(struct kc_sb *b, const json_t *v)
{
    size_t i, n;
    json_t *x;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        n = json_object_size(v);
        const char **keys = kc_calloc(n + 1, sizeof(*keys));
        if (!keys) {
            b->oom = true;
            return;
        }
        const char *k;
        i = 0;
        json_object_foreach((json_t *)v, k, x) keys[i++] = k;
        qsort(keys, n, sizeof(*keys), strcmp_sort);
        kc_sb_str(b, "map[");
        for (i = 0; i < n; i++) {
            if (i)
                kc_sb_add(b, " ", 1);
            kc_sb_str(b, keys[i]);
            kc_sb_add(b, ":", 1);
            kc_sb_go_v(b, json_object_get(v, keys[i]));
        }
        kc_sb_add(b, "]", 1);
        free(keys);
        break;
    }
    case JSON_ARRAY:
        kc_sb_add(b, "[", 1);
        json_array_foreach(v, i, x)
        {
            if (i)
                kc_sb_add(b, " ", 1);
            kc_sb_go_v(b, x);
        }
        kc_sb_add(b, "]", 1);
        break;
    case JSON_STRING:
        kc_sb_add(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        kc_sb_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        kc_sb_go_float(b, json_real_value(v));
        break;
    case JSON_TRUE:
        kc_sb_str(b, "true");
        break;
    case JSON_FALSE:
        kc_sb_str(b, "false");
        break;
    case JSON_NULL:
        kc_sb_str(b, "<nil>");
        break;
    }
}

/* --- elements --- */

static bool
pe_valid(const struct kc_pe *pe)
{
    switch (pe->type) {
    case KC_PE_FIELD:
        return pe->field != NULL;
    case KC_PE_KEY:
        return json_is_object(pe->key);
    case KC_PE_VALUE:
        return pe->value != NULL;
    case KC_PE_INDEX:
        return true;
    }
    return false;
}

void
kc_pe_clear(struct kc_pe *pe)
{
    free((char *)pe->field);
    json_decref((json_t *)pe->key);
    json_decref((json_t *)pe->value);
    memset(pe, 0, sizeof(*pe));
}

/* Releases what an element of a set owns of its pe (a borrowed FIELD name is not its to free). */
static void
elem_pe_clear(struct kc_fs_elem *e)
{
    if (e->borrowed_field)
        e->pe.field = NULL;
    e->borrowed_field = e->schema_field = false;
    kc_pe_clear(&e->pe);
}

/* A copy of a key object with its fields in name order. */
static json_t *
sorted_key(const json_t *key)
{
    size_t n = json_object_size(key), i = 0;
    const char **names = kc_calloc(n + 1, sizeof(*names));
    json_t *out = json_object();
    if (!names || !out) {
        free(names);
        json_decref(out);
        return NULL;
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)key, k, v) names[i++] = k;
    qsort(names, n, sizeof(*names), strcmp_sort);
    for (i = 0; i < n; i++) {
        json_t *c = json_deep_copy(json_object_get(key, names[i]));
        if (!c || json_object_set_new(out, names[i], c) != 0) {
            json_decref(out);
            free(names);
            return NULL;
        }
    }
    free(names);
    return out;
}

int
kc_pe_copy(struct kc_pe *dst, const struct kc_pe *src)
{
    if (!pe_valid(src))
        return KC_EINVALID;
    memset(dst, 0, sizeof(*dst));
    dst->type = src->type;
    dst->index = src->index;
    switch (src->type) {
    case KC_PE_FIELD:
        dst->field = kc_strdup(src->field);
        if (!dst->field)
            return -ENOMEM;
        break;
    case KC_PE_KEY:
        dst->key = sorted_key(src->key);
        if (!dst->key)
            return -ENOMEM;
        break;
    case KC_PE_VALUE:
        dst->value = json_deep_copy(src->value);
        if (!dst->value)
            return -ENOMEM;
        break;
    case KC_PE_INDEX:
        break;
    }
    return 0;
}

static int grow(struct kc_fieldset *s);

/* Binary search: the index of pe in s, or -(insertion point) - 1. */
static long
find_index(const struct kc_fieldset *s, const struct kc_pe *pe)
{
    size_t lo = 0, hi = s ? s->n : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = kc_pe_compare(pe, &s->v[mid].pe);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -(long)lo - 1;
}

struct kc_fs_elem *
kc_fs_find(const struct kc_fieldset *s, const struct kc_pe *pe)
{
    if (!s || !pe_valid(pe))
        return NULL;
    long i = find_index(s, pe);
    return i >= 0 ? &s->v[i] : NULL;
}

struct kc_fs_elem *
kc_fs_get(struct kc_fieldset *s, const struct kc_pe *pe)
{
    if (!pe_valid(pe))
        return NULL;
    long i = find_index(s, pe);
    if (i >= 0)
        return &s->v[i];
    size_t at = (size_t)(-i - 1);
    if (grow(s) != 0)
        return NULL;
    struct kc_fs_elem e = { 0 };
    if (kc_pe_copy(&e.pe, pe) != 0) {
        kc_pe_clear(&e.pe);
        return NULL;
    }
    memmove(&s->v[at + 1], &s->v[at], (s->n - at) * sizeof(*s->v));
    s->v[at] = e;
    s->n++;
    return &s->v[at];
}

/* --- sets --- */

struct kc_fieldset *
kc_fieldset_new(void)
{
    return kc_calloc(1, sizeof(struct kc_fieldset));
}

/* Where the elements of a node from kc_fs_node_new start (after the header, aligned for them). */
#define NODE_ELEMS_AT                                                                               \
    ((sizeof(struct kc_fieldset) + _Alignof(struct kc_fs_elem) - 1) / _Alignof(struct kc_fs_elem) * \
     _Alignof(struct kc_fs_elem))

struct kc_fieldset *
kc_fs_node_new(size_t cap, size_t text_len, char **text)
{
    if (cap > (SIZE_MAX - NODE_ELEMS_AT - text_len) / sizeof(struct kc_fs_elem))
        return NULL;
    char *p = kc_malloc(NODE_ELEMS_AT + cap * sizeof(struct kc_fs_elem) + text_len);
    if (!p)
        return NULL;
    struct kc_fieldset *s = (struct kc_fieldset *)p;
    memset(s, 0, sizeof(*s));
    s->v = (struct kc_fs_elem *)(p + NODE_ELEMS_AT);
    s->cap = cap;
    s->v_inline = true;
    if (text)
        *text = text_len ? p + NODE_ELEMS_AT + cap * sizeof(struct kc_fs_elem) : NULL;
    return s;
}

/* Makes room for one more element of s (s->n < s->cap after). Returns 0 or -ENOMEM. */
static int
grow(struct kc_fieldset *s)
{
    if (s->n < s->cap)
        return 0;
    size_t cap = s->cap ? s->cap * 2 : 4;
    struct kc_fs_elem *v = s->v_inline ? kc_malloc(cap * sizeof(*v)) : kc_realloc(s->v, cap * sizeof(*v));
    if (!v)
        return -ENOMEM;
    if (s->v_inline && s->n)
        memcpy(v, s->v, s->n * sizeof(*v));
    s->v = v;
    s->cap = cap;
    s->v_inline = false;
    return 0;
}

void
kc_fieldset_free(struct kc_fieldset *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        elem_pe_clear(&s->v[i]);
        kc_fieldset_free(s->v[i].child);
    }
    if (!s->v_inline)
        free(s->v);
    free(s);
}

/* Drops the element at i (used when it ended up neither member nor parent). */
static void
drop_at(struct kc_fieldset *s, size_t i)
{
    elem_pe_clear(&s->v[i]);
    kc_fieldset_free(s->v[i].child);
    memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
    s->n--;
}

int
kc_fieldset_insert(struct kc_fieldset *s, const struct kc_pe *path, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!pe_valid(&path[i]))
            return KC_EINVALID;
    struct kc_fieldset *cur = s;
    for (size_t i = 0; i < n; i++) {
        struct kc_fs_elem *e = kc_fs_get(cur, &path[i]);
        if (!e)
            return -ENOMEM;
        if (i + 1 == n) {
            e->member = true;
            return 0;
        }
        if (!e->child && !(e->child = kc_fieldset_new())) {
            if (!e->member)
                drop_at(cur, (size_t)(e - cur->v));
            return -ENOMEM;
        }
        cur = e->child;
    }
    return 0;
}

int
kc_fs_cursor_insert(struct kc_fs_cursor *c, const struct kc_pe *path, const uint64_t *gen, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!pe_valid(&path[i]))
            return KC_EINVALID;
    if (n - 1 > c->cap) {
        size_t cap = n + 16;
        struct kc_fieldset **at = kc_realloc(c->at, cap * sizeof(*at));
        if (!at)
            return -ENOMEM;
        c->at = at;
        uint64_t *g = kc_realloc(c->gen, cap * sizeof(*g));
        if (!g)
            return -ENOMEM;
        c->gen = g;
        c->cap = cap;
    }
    size_t k = 0; /* the levels the last path shares with this one */
    while (k < c->n && k + 1 < n && c->gen[k] == gen[k])
        k++;
    struct kc_fieldset *cur = k ? c->at[k - 1] : c->root;
    c->n = k;
    for (size_t i = k; i + 1 < n; i++) {
        struct kc_fs_elem *e = kc_fs_get(cur, &path[i]);
        if (!e)
            return -ENOMEM;
        if (!e->child && !(e->child = kc_fieldset_new())) {
            if (!e->member)
                drop_at(cur, (size_t)(e - cur->v));
            return -ENOMEM;
        }
        cur = c->at[i] = e->child;
        c->gen[i] = gen[i];
        c->n = i + 1;
    }
    struct kc_fs_elem *e = kc_fs_get(cur, &path[n - 1]);
    if (!e)
        return -ENOMEM;
    e->member = true;
    return 0;
}

void
kc_fs_cursor_close(struct kc_fs_cursor *c)
{
    free(c->at);
    free(c->gen);
    c->at = NULL;
    c->gen = NULL;
    c->n = c->cap = 0;
}

bool
kc_fieldset_has(const struct kc_fieldset *s, const struct kc_pe *path, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        const struct kc_fs_elem *e = kc_fs_find(s, &path[i]);
        if (!e)
            return false;
        if (i + 1 == n)
            return e->member;
        s = e->child;
    }
    return false;
}

bool
kc_fieldset_empty(const struct kc_fieldset *s)
{
    if (!s)
        return true;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].member || !kc_fieldset_empty(s->v[i].child))
            return false;
    return true;
}

size_t
kc_fieldset_size(const struct kc_fieldset *s)
{
    size_t n = 0;
    for (size_t i = 0; s && i < s->n; i++)
        n += (s->v[i].member ? 1 : 0) + kc_fieldset_size(s->v[i].child);
    return n;
}

bool
kc_fieldset_equal(const struct kc_fieldset *a, const struct kc_fieldset *b)
{
    size_t na = a ? a->n : 0, nb = b ? b->n : 0, i = 0, j = 0;
    for (;;) {
        /* skip elements that hold nothing (cannot happen in sets built here, but keep equality semantic) */
        while (i < na && !a->v[i].member && kc_fieldset_empty(a->v[i].child))
            i++;
        while (j < nb && !b->v[j].member && kc_fieldset_empty(b->v[j].child))
            j++;
        if (i == na || j == nb)
            return i == na && j == nb;
        if (kc_pe_compare(&a->v[i].pe, &b->v[j].pe) != 0 || a->v[i].member != b->v[j].member ||
            !kc_fieldset_equal(a->v[i].child, b->v[j].child))
            return false;
        i++;
        j++;
    }
}

const struct kc_fieldset *
kc_fieldset_child(const struct kc_fieldset *s, const struct kc_pe *pe)
{
    const struct kc_fs_elem *e = kc_fs_find(s, pe);
    return e && !kc_fieldset_empty(e->child) ? e->child : NULL;
}

/* Appends an element (copying pe) to out, which is built in order. child is taken (freed on failure). */
static int
append_elem(struct kc_fieldset *out, const struct kc_pe *pe, bool member, struct kc_fieldset *child)
{
    if (child && kc_fieldset_empty(child)) {
        kc_fieldset_free(child);
        child = NULL;
    }
    if (!member && !child)
        return 0;
    if (grow(out) != 0) {
        kc_fieldset_free(child);
        return -ENOMEM;
    }
    struct kc_fs_elem *e = &out->v[out->n];
    memset(e, 0, sizeof(*e));
    int rc = kc_pe_copy(&e->pe, pe);
    if (rc != 0) {
        kc_pe_clear(&e->pe);
        kc_fieldset_free(child);
        return rc;
    }
    e->member = member;
    e->child = child;
    out->n++;
    return 0;
}

enum setop { OP_UNION, OP_DIFF, OP_RDIFF, OP_INTER };

static int setop(const struct kc_fieldset *a, const struct kc_fieldset *b, enum setop op, struct kc_fieldset **out);

/* The child of one side combined with the other's (NULL sides are empty). */
static int
child_op(const struct kc_fs_elem *x, const struct kc_fs_elem *y, enum setop op, struct kc_fieldset **out)
{
    *out = NULL;
    const struct kc_fieldset *xc = x ? x->child : NULL, *yc = y ? y->child : NULL;
    if (!xc && !yc)
        return 0;
    return setop(xc, yc, op, out);
}

static int
setop(const struct kc_fieldset *a, const struct kc_fieldset *b, enum setop op, struct kc_fieldset **out)
{
    struct kc_fieldset *r = kc_fieldset_new();
    if (!r)
        return -ENOMEM;
    size_t na = a ? a->n : 0, nb = b ? b->n : 0, i = 0, j = 0;
    int rc = 0;
    while (rc == 0 && (i < na || j < nb)) {
        const struct kc_fs_elem *x = i < na ? &a->v[i] : NULL, *y = j < nb ? &b->v[j] : NULL;
        int c = !x ? 1 : !y ? -1 : kc_pe_compare(&x->pe, &y->pe);
        const struct kc_fs_elem *ex = c <= 0 ? x : NULL, *ey = c >= 0 ? y : NULL;
        const struct kc_pe *pe = ex ? &ex->pe : &ey->pe;
        struct kc_fieldset *child = NULL;
        bool member = false;
        switch (op) {
        case OP_UNION:
            member = (ex && ex->member) || (ey && ey->member);
            rc = child_op(ex, ey, OP_UNION, &child);
            break;
        case OP_DIFF:
            if (ex) {
                member = ex->member && !(ey && ey->member);
                if (ex->child)
                    rc = ey && ey->child ? setop(ex->child, ey->child, OP_DIFF, &child)
                                         : kc_fieldset_copy(ex->child, &child);
            }
            break;
        case OP_RDIFF:
            if (ex) {
                member = ex->member && !(ey && ey->member);
                if (ex->child && !(ey && ey->member))
                    rc = ey && ey->child ? setop(ex->child, ey->child, OP_RDIFF, &child)
                                         : kc_fieldset_copy(ex->child, &child);
            }
            break;
        case OP_INTER:
            if (ex && ey) {
                member = ex->member && ey->member;
                if (ex->child && ey->child)
                    rc = setop(ex->child, ey->child, OP_INTER, &child);
            }
            break;
        }
        if (rc == 0)
            rc = append_elem(r, pe, member, child);
        else
            kc_fieldset_free(child);
        if (c <= 0)
            i++;
        if (c >= 0)
            j++;
    }
    if (rc != 0) {
        kc_fieldset_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int
kc_fieldset_union(const struct kc_fieldset *a, const struct kc_fieldset *b, struct kc_fieldset **out)
{
    return setop(a, b, OP_UNION, out);
}

int
kc_fieldset_difference(const struct kc_fieldset *a, const struct kc_fieldset *b, struct kc_fieldset **out)
{
    return setop(a, b, OP_DIFF, out);
}

int
kc_fieldset_recursive_difference(const struct kc_fieldset *a, const struct kc_fieldset *b, struct kc_fieldset **out)
{
    return setop(a, b, OP_RDIFF, out);
}

int
kc_fieldset_intersection(const struct kc_fieldset *a, const struct kc_fieldset *b, struct kc_fieldset **out)
{
    return setop(a, b, OP_INTER, out);
}

void
kc_fs_subtract(struct kc_fieldset *s, const struct kc_fieldset *x, bool recursive)
{
    if (!s || !x)
        return;
    size_t j = 0, w = 0;
    for (size_t i = 0; i < s->n; i++) {
        struct kc_fs_elem *e = &s->v[i];
        int c = 1;
        while (j < x->n && (c = kc_pe_compare(&x->v[j].pe, &e->pe)) < 0)
            j++;
        const struct kc_fs_elem *y = j < x->n && c == 0 ? &x->v[j] : NULL;
        if (y && y->member)
            e->member = false;
        if (y && e->child && ((recursive && y->member) || y->child)) {
            if (recursive && y->member) {
                kc_fieldset_free(e->child);
                e->child = NULL;
            } else {
                kc_fs_subtract(e->child, y->child, recursive);
            }
            if (e->child && kc_fieldset_empty(e->child)) {
                kc_fieldset_free(e->child);
                e->child = NULL;
            }
        }
        if (!e->member && !e->child) {
            elem_pe_clear(e);
            continue;
        }
        s->v[w++] = *e;
    }
    s->n = w;
}

int
kc_fs_add(struct kc_fieldset *dst, const struct kc_fieldset *src)
{
    for (size_t i = 0; src && i < src->n; i++) {
        const struct kc_fs_elem *e = &src->v[i];
        if (!e->member && kc_fieldset_empty(e->child))
            continue;
        struct kc_fs_elem *d = kc_fs_get(dst, &e->pe);
        if (!d)
            return -ENOMEM;
        d->member |= e->member;
        int rc = 0;
        if (e->child && !d->child)
            rc = kc_fieldset_copy(e->child, &d->child);
        else if (e->child)
            rc = kc_fs_add(d->child, e->child);
        if (rc != 0) {
            if (!d->member && kc_fieldset_empty(d->child))
                drop_at(dst, (size_t)(d - dst->v));
            return rc;
        }
    }
    return 0;
}

int
kc_fieldset_copy(const struct kc_fieldset *s, struct kc_fieldset **out)
{
    return setop(s, NULL, OP_UNION, out);
}

/* --- iteration --- */

struct iter {
    struct kc_pe *path;
    size_t n, cap;
    int (*fn)(const struct kc_pe *, size_t, void *);
    void *arg;
};

static int
iterate(const struct kc_fieldset *s, struct iter *it)
{
    for (size_t i = 0; s && i < s->n; i++) {
        if (it->n == it->cap) {
            size_t cap = it->cap ? it->cap * 2 : 16;
            struct kc_pe *p = kc_realloc(it->path, cap * sizeof(*p));
            if (!p)
                return -ENOMEM;
            it->path = p;
            it->cap = cap;
        }
        it->path[it->n++] = s->v[i].pe;
        int rc = 0;
        if (s->v[i].member)
            rc = it->fn(it->path, it->n, it->arg);
        if (rc == 0)
            rc = iterate(s->v[i].child, it);
        it->n--;
        if (rc != 0)
            return rc;
    }
    return 0;
}

int
kc_fieldset_iterate(const struct kc_fieldset *s, int (*fn)(const struct kc_pe *path, size_t n, void *arg), void *arg)
{
    struct iter it = { .fn = fn, .arg = arg };
    int rc = iterate(s, &it);
    free(it.path);
    return rc;
}

/* --- FieldsV1 --- */

static void
pe_key_text(struct kc_sb *b, const struct kc_pe *pe)
{
    switch (pe->type) {
    case KC_PE_FIELD:
        kc_sb_str(b, "f:");
        kc_sb_str(b, pe->field);
        break;
    case KC_PE_KEY:
        kc_sb_str(b, "k:");
        kc_sb_go_json(b, pe->key);
        break;
    case KC_PE_VALUE:
        kc_sb_str(b, "v:");
        kc_sb_go_json(b, pe->value);
        break;
    case KC_PE_INDEX:
        kc_sb_printf(b, "i:%ld", pe->index);
        break;
    }
}

char *
kc_pe_fields_v1_key(const struct kc_pe *pe)
{
    struct kc_sb b = { 0 };
    pe_key_text(&b, pe);
    return kc_sb_take(&b);
}

/* key: a scratch buffer for the element keys (one allocation for the whole walk); leaf: one empty object that
 * every "{}" of the tree shares (most of a FieldsV1 tree is leaves; nothing changes a built tree, and jansson
 * counts the references). */
static int
to_v1(const struct kc_fieldset *s, json_t *obj, struct kc_sb *key, json_t *leaf)
{
    for (size_t i = 0; s && i < s->n; i++) {
        const struct kc_fs_elem *e = &s->v[i];
        bool kids = !kc_fieldset_empty(e->child);
        if (!e->member && !kids)
            continue;
        json_t *o = kids ? json_object() : json_incref(leaf);
        int rc = o ? 0 : -ENOMEM;
        if (rc == 0 && e->member && kids && json_object_set_nocheck(o, ".", leaf) != 0)
            rc = -ENOMEM;
        if (rc == 0 && kids)
            rc = to_v1(e->child, o, key, leaf);
        if (rc == 0) {
            key->len = 0;
            pe_key_text(key, &e->pe);
            if (key->oom)
                json_decref(o);
            /* keys, values and indices are written as valid UTF-8 and the schema's field names are ASCII: only
             * other field names are checked (a set built by hand may hold any bytes) */
            if (key->oom || (e->pe.type == KC_PE_FIELD && !e->schema_field
                                 ? json_object_setn_new(obj, key->p, key->len, o)
                                 : json_object_setn_new_nocheck(obj, key->p, key->len, o)) != 0) /* takes o */
                rc = -ENOMEM;
        } else {
            json_decref(o);
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}

int
kc_fieldset_to_fields_v1(const struct kc_fieldset *s, json_t **out)
{
    json_t *o = json_object(), *leaf = json_object();
    if (!o || !leaf) {
        json_decref(o);
        json_decref(leaf);
        return -ENOMEM;
    }
    struct kc_sb key = { 0 };
    int rc = to_v1(s, o, &key, leaf);
    kc_sb_free(&key);
    json_decref(leaf);
    if (rc != 0) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}

/* Parses one FieldsV1 key into pe (owned). Returns 0, 1 for an unknown prefix (ignored), KC_EINVALID, -ENOMEM. */
static int
parse_key(const char *k, struct kc_pe *pe, char *err, size_t errlen)
{
    memset(pe, 0, sizeof(*pe));
    if (strlen(k) < 2 || k[1] != ':')
        return 1;
    const char *rest = k + 2;
    json_t *v;
    switch (k[0]) {
    case 'f':
        pe->type = KC_PE_FIELD;
        pe->field = kc_strdup(rest);
        return pe->field ? 0 : -ENOMEM;
    case 'k':
        v = NULL;
        if (kc_json_parse(rest, strlen(rest), &v, NULL, 0) != 0 || !json_is_object(v)) {
            json_decref(v);
            if (err && errlen)
                snprintf(err, errlen, "parsing key as path element: %s", k);
            return KC_EINVALID;
        }
        pe->type = KC_PE_KEY;
        pe->key = sorted_key(v);
        json_decref(v);
        return pe->key ? 0 : -ENOMEM;
    case 'v':
        if (kc_json_parse(rest, strlen(rest), &v, NULL, 0) != 0) {
            if (err && errlen)
                snprintf(err, errlen, "parsing key as path element: %s", k);
            return KC_EINVALID;
        }
        pe->type = KC_PE_VALUE;
        pe->value = v;
        return 0;
    case 'i': {
        char *end;
        errno = 0;
        long i = strtol(rest, &end, 10);
        if (!*rest || *end || errno) {
            if (err && errlen)
                snprintf(err, errlen, "parsing key as path element: %s", k);
            return KC_EINVALID;
        }
        pe->type = KC_PE_INDEX;
        pe->index = i;
        return 0;
    }
    default:
        return 1;
    }
}

/* Reads the entries of obj into s. *member says whether obj makes its own path a member. */
static int
from_v1(const json_t *obj, struct kc_fieldset *s, bool *member, char *err, size_t errlen)
{
    const char *k;
    json_t *v;
    bool any = false;
    *member = false;
    if (!json_is_object(obj)) {
        if (err && errlen)
            snprintf(err, errlen, "a FieldsV1 entry must be an object");
        return KC_EINVALID;
    }
    json_object_foreach((json_t *)obj, k, v)
    {
        if (strcmp(k, ".") == 0) {
            *member = true;
            continue;
        }
        struct kc_pe pe;
        int rc = parse_key(k, &pe, err, errlen);
        if (rc == 1)
            continue;
        if (rc != 0) {
            kc_pe_clear(&pe);
            return rc;
        }
        struct kc_fs_elem *e = kc_fs_get(s, &pe);
        if (!e) {
            kc_pe_clear(&pe);
            return -ENOMEM;
        }
        kc_pe_clear(&pe);
        size_t idx = (size_t)(e - s->v);
        struct kc_fieldset *child = kc_fieldset_new();
        bool cm;
        rc = child ? from_v1(v, child, &cm, err, errlen) : -ENOMEM;
        e = &s->v[idx];
        if (rc != 0) {
            kc_fieldset_free(child);
            if (!e->member && !e->child)
                drop_at(s, idx);
            return rc;
        }
        if (cm)
            e->member = true;
        if (!kc_fieldset_empty(child)) {
            struct kc_fieldset *u;
            if (e->child) {
                rc = kc_fieldset_union(e->child, child, &u);
                kc_fieldset_free(child);
                if (rc != 0)
                    return rc;
                kc_fieldset_free(e->child);
                e->child = u;
            } else {
                e->child = child;
            }
        } else {
            kc_fieldset_free(child);
        }
        any = true;
    }
    if (!any)
        *member = true; /* {} (or only unknown entries): the path itself */
    return 0;
}

int
kc_fieldset_from_fields_v1(const json_t *fields, struct kc_fieldset **out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    struct kc_fieldset *s = kc_fieldset_new();
    if (!s)
        return -ENOMEM;
    bool member;
    int rc = from_v1(fields, s, &member, err, errlen);
    if (rc != 0) {
        kc_fieldset_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* --- path text --- */

static void
pe_text(struct kc_sb *b, const struct kc_pe *pe)
{
    const char *k;
    json_t *v;
    bool first = true;
    switch (pe->type) {
    case KC_PE_FIELD:
        kc_sb_add(b, ".", 1);
        kc_sb_str(b, pe->field);
        break;
    case KC_PE_KEY:
        kc_sb_add(b, "[", 1);
        json_object_foreach((json_t *)pe->key, k, v)
        {
            if (!first)
                kc_sb_add(b, ",", 1);
            first = false;
            kc_sb_str(b, k);
            kc_sb_add(b, "=", 1);
            kc_sb_value_string(b, v);
        }
        kc_sb_add(b, "]", 1);
        break;
    case KC_PE_VALUE:
        kc_sb_add(b, "[=", 2);
        kc_sb_value_string(b, pe->value);
        kc_sb_add(b, "]", 1);
        break;
    case KC_PE_INDEX:
        kc_sb_printf(b, "[%ld]", pe->index);
        break;
    }
}

char *
kc_pe_string(const struct kc_pe *pe)
{
    struct kc_sb b = { 0 };
    pe_text(&b, pe);
    return kc_sb_take(&b);
}

char *
kc_path_string(const struct kc_pe *path, size_t n)
{
    struct kc_sb b = { 0 };
    for (size_t i = 0; i < n; i++)
        pe_text(&b, &path[i]);
    return kc_sb_take(&b);
}
