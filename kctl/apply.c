/* apply.c - the client-side apply computation, pure: the last-applied-configuration annotation byte for byte as
 * kubectl writes it (Go's encoding/json), and the three-way patch from that annotation, the manifest and the
 * live object (strategic merge patch for kinds with a schema, JSON merge patch for the others). */
#include "kctl.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_json.h"
#include "kc_patch.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A growing output buffer; on allocation failure it stays failed and the result is NULL. */
struct buf {
    char *p;
    size_t n, cap;
    bool oom;
};

static void
put(struct buf *b, const char *s, size_t len)
{
    if (b->oom)
        return;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *p = kc_realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
}

static void
puts_(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (n bytes left) and its code point, or 0 when invalid (Go's
 * utf8.DecodeRuneInString rules: no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t
utf8_seq(const unsigned char *s, size_t n, unsigned *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len;
    unsigned c, min;
    if ((s[0] & 0xE0) == 0xC0)
        len = 2, c = s[0] & 0x1F, min = 0x80;
    else if ((s[0] & 0xF0) == 0xE0)
        len = 3, c = s[0] & 0x0F, min = 0x800;
    else if ((s[0] & 0xF8) == 0xF0)
        len = 4, c = s[0] & 0x07, min = 0x10000;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

/* A string as encoding/json writes it with HTML escaping on (json.Marshal, json.Encoder's default). */
static void
go_string(struct buf *b, const char *str, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    put(b, "\"", 1);
    size_t start = 0, i = 0;
    while (i < len) {
        unsigned cp;
        size_t l = utf8_seq(s + i, len - i, &cp);
        const char *esc = NULL;
        char u[7];
        if (l == 1 && cp >= 0x20 && cp != '"' && cp != '\\' && cp != '<' && cp != '>' && cp != '&') {
            i++;
            continue;
        }
        if (l > 1 && cp != 0x2028 && cp != 0x2029) {
            i += l;
            continue;
        }
        put(b, str + start, i - start);
        if (l == 0) {
            esc = "\\ufffd";
            l = 1;
        } else if (cp == '"') {
            esc = "\\\"";
        } else if (cp == '\\') {
            esc = "\\\\";
        } else if (cp == '\n') {
            esc = "\\n";
        } else if (cp == '\r') {
            esc = "\\r";
        } else if (cp == '\t') {
            esc = "\\t";
        } else if (cp == '\b') {
            esc = "\\b";
        } else if (cp == '\f') {
            esc = "\\f";
        } else {
            snprintf(u, sizeof(u), "\\u%c%c%c%c", hex[(cp >> 12) & 15], hex[(cp >> 8) & 15], hex[(cp >> 4) & 15],
                     hex[cp & 15]);
            esc = u;
        }
        puts_(b, esc);
        i += l;
        start = i;
    }
    put(b, str + start, len - start);
    put(b, "\"", 1);
}

/* A float64 as encoding/json writes it: the shortest decimal that reads back as the same value, in %f form for
 * 1e-6 <= |f| < 1e21 and in %e form otherwise with a one-digit negative exponent unpadded ("1e-7"). */
static void
go_float(struct buf *b, double f)
{
    char e[40], out[400];
    if (!isfinite(f)) { /* encoding/json refuses these; a decoded manifest never holds them */
        puts_(b, "null");
        return;
    }
    int prec = 1;
    for (; prec <= 17; prec++) {
        snprintf(e, sizeof(e), "%.*e", prec - 1, f);
        if (strtod(e, NULL) == f)
            break;
    }
    /* e is "[-]d[.ddd]e[+-]XX": split into sign, digits and the decimal exponent */
    const char *p = e;
    bool neg = *p == '-';
    if (neg)
        p++;
    char digits[24];
    size_t nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    int exp = atoi(p + 1);
    double a = fabs(f);
    size_t n = 0;
    if (neg)
        out[n++] = '-';
    if (a != 0 && (a < 1e-6 || a >= 1e21)) {
        out[n++] = digits[0];
        if (nd > 1) {
            out[n++] = '.';
            memcpy(out + n, digits + 1, nd - 1);
            n += nd - 1;
        }
        n += (size_t)snprintf(out + n, sizeof(out) - n, exp < 0 ? "e-%d" : "e+%02d", abs(exp));
    } else if (f == 0) {
        out[n++] = '0';
    } else if (exp < 0) {
        out[n++] = '0';
        out[n++] = '.';
        for (int z = -1; z > exp; z--)
            out[n++] = '0';
        memcpy(out + n, digits, nd);
        n += nd;
    } else {
        for (int i = 0; i <= exp || (size_t)i < nd; i++) {
            if (i == exp + 1)
                out[n++] = '.';
            out[n++] = (size_t)i < nd ? digits[i] : '0';
        }
    }
    out[n] = '\0';
    puts_(b, out);
}

static int
cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
go_value(struct buf *b, const json_t *v)
{
    char num[32];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        const char **keys = kc_malloc((n ? n : 1) * sizeof(*keys));
        if (!keys) {
            b->oom = true;
            return;
        }
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x)
        {
            keys[i++] = k;
        }
        qsort(keys, n, sizeof(*keys), cmp_keys); /* Go sorts map keys byte-wise */
        put(b, "{", 1);
        for (i = 0; i < n; i++) {
            if (i)
                put(b, ",", 1);
            go_string(b, keys[i], strlen(keys[i]));
            put(b, ":", 1);
            go_value(b, json_object_get(v, keys[i]));
        }
        put(b, "}", 1);
        free(keys);
        break;
    }
    case JSON_ARRAY: {
        put(b, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                put(b, ",", 1);
            go_value(b, json_array_get(v, i));
        }
        put(b, "]", 1);
        break;
    }
    case JSON_STRING:
        go_string(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        puts_(b, num);
        break;
    case JSON_REAL:
        go_float(b, json_real_value(v));
        break;
    case JSON_TRUE:
        puts_(b, "true");
        break;
    case JSON_FALSE:
        puts_(b, "false");
        break;
    case JSON_NULL:
        puts_(b, "null");
        break;
    }
}

char *
kctl_json_go(const json_t *v)
{
    struct buf b = { 0 };
    if (!v)
        v = json_null();
    go_value(&b, v);
    if (b.oom || !b.p) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* A copy of obj whose metadata.annotations is the object's annotations without the last-applied one ({} when
 * there are none), as GetModifiedConfiguration leaves it before encoding. */
static json_t *
without_annotation(const json_t *obj)
{
    json_t *c = json_deep_copy(obj);
    if (!c)
        return NULL;
    json_t *md = json_object_get(c, "metadata");
    if (!json_is_object(md)) {
        md = json_object();
        if (!md || json_object_set_new(c, "metadata", md) != 0) {
            json_decref(c);
            return NULL;
        }
    }
    json_t *ann = json_object_get(md, "annotations");
    if (!json_is_object(ann)) {
        ann = json_object();
        if (!ann || json_object_set_new(md, "annotations", ann) != 0) {
            json_decref(c);
            return NULL;
        }
    }
    json_object_del(ann, KCTL_LAST_APPLIED);
    return c;
}

int
kctl_apply_config(const json_t *obj, char **out)
{
    if (!json_is_object(obj) || !out)
        return KC_EINVALID;
    json_t *c = without_annotation(obj);
    char *s = c ? kctl_json_go(c) : NULL;
    json_decref(c);
    if (!s)
        return -ENOMEM;
    size_t n = strlen(s);
    char *t = kc_realloc(s, n + 2);
    if (!t) {
        free(s);
        return -ENOMEM;
    }
    t[n] = '\n';
    t[n + 1] = '\0';
    *out = t;
    return 0;
}

int
kctl_apply_annotated(const json_t *obj, json_t **out)
{
    char *cfg;
    int rc = kctl_apply_config(obj, &cfg);
    if (rc != 0)
        return rc;
    json_t *c = without_annotation(obj);
    json_t *s = json_string(cfg);
    free(cfg);
    if (!c || !s ||
        json_object_set_new(json_object_get(json_object_get(c, "metadata"), "annotations"), KCTL_LAST_APPLIED, s) !=
            0) {
        if (!c)
            json_decref(s);
        json_decref(c);
        return -ENOMEM;
    }
    *out = c;
    return 0;
}

int
kctl_apply_patch(const json_t *obj, const json_t *live, const struct kc_schema *schema, char **patch_out,
                 const char **ctype, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!json_is_object(obj) || !json_is_object(live) || !patch_out)
        return KC_EINVALID;
    json_t *original = NULL, *modified = NULL, *patch = NULL;
    const char *last = kc_json_get_string(live, "metadata.annotations.kubectl\\.kubernetes\\.io/"
                                                "last-applied-configuration");
    int rc = 0;
    if (last && *last) {
        char perr[200];
        rc = kc_json_parse(last, strlen(last), &original, perr, sizeof(perr));
        if (rc == -ENOMEM)
            return rc;
        if (rc != 0) {
            if (err && errlen)
                snprintf(err, errlen, "the %s annotation of the live object is not JSON: %s", KCTL_LAST_APPLIED, perr);
            return KC_EPARSE;
        }
    }
    if ((rc = kctl_apply_annotated(obj, &modified)) == 0)
        rc = kc_patch_strategic_create(original, modified, live, schema, &patch, err, errlen);
    json_decref(original);
    json_decref(modified);
    if (rc != 0)
        return rc;
    char *text = NULL;
    if (json_object_size(patch) > 0 && !(text = kctl_json_go(patch))) {
        json_decref(patch);
        return -ENOMEM;
    }
    json_decref(patch);
    *patch_out = text;
    if (ctype)
        *ctype = schema ? "application/strategic-merge-patch+json" : "application/merge-patch+json";
    return 0;
}
