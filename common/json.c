/* json.c - dotted-path access, deep equality and canonical dumps over jansson; jansson's string escaping. */
#include "kc_jarena.h"
#include "kc_json.h"
#include "kc_error.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define KC_JSON_MAX_SEGMENT 512

/* Copies the next path segment of *p into seg (unescaping) and advances *p past it and its dot. Sets *is_index
 * and *index when the segment is written "[N]". Returns 0, or KC_EINVAL when a segment is too long. */
static int
next_segment(const char **p, char *seg, bool *is_index, size_t *index)
{
    const char *s = *p;
    size_t n = 0;
    bool escaped = false;

    while (*s && (escaped || *s != '.')) {
        if (!escaped && *s == '\\') {
            escaped = true;
            s++;
            continue;
        }
        escaped = false;
        if (n + 1 >= KC_JSON_MAX_SEGMENT)
            return KC_EINVALID;
        seg[n++] = *s++;
    }
    seg[n] = '\0';
    if (*s == '.')
        s++;
    *p = s;

    *is_index = false;
    if (n >= 3 && seg[0] == '[' && seg[n - 1] == ']') {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(seg + 1, &end, 10);
        if (end == seg + n - 1 && errno == 0) {
            *is_index = true;
            *index = (size_t)v;
        }
    }
    return 0;
}

/* Looks a segment up in v: a key of an object, or an index of an array ("[N]" or a plain number). */
static json_t *
lookup(const json_t *v, const char *seg, bool is_index, size_t index)
{
    if (json_is_object(v) && !is_index)
        return json_object_get(v, seg);
    if (json_is_array(v)) {
        if (!is_index) {
            char *end;
            unsigned long long u = strtoull(seg, &end, 10);
            if (*seg == '\0' || *end != '\0')
                return NULL;
            index = (size_t)u;
        }
        return json_array_get(v, index);
    }
    return NULL;
}

json_t *
kc_json_get(const json_t *root, const char *path)
{
    char seg[KC_JSON_MAX_SEGMENT];
    const json_t *v = root;
    const char *p = path;

    if (!root || !path)
        return NULL;
    while (*p && v) {
        bool is_index;
        size_t index = 0;
        if (next_segment(&p, seg, &is_index, &index) != 0)
            return NULL;
        v = lookup(v, seg, is_index, index);
    }
    return (json_t *)v;
}

const char *
kc_json_get_string(const json_t *root, const char *path)
{
    return json_string_value(kc_json_get(root, path));
}

int
kc_json_get_int(const json_t *root, const char *path, long long *out)
{
    json_t *v = kc_json_get(root, path);
    if (!v)
        return KC_ENOTFOUND;
    if (!json_is_integer(v))
        return KC_EINVALID;
    *out = json_integer_value(v);
    return 0;
}

int
kc_json_set(json_t *root, const char *path, json_t *value)
{
    char seg[KC_JSON_MAX_SEGMENT];
    json_t *v = root;
    const char *p = path;
    int rc = KC_EINVALID;

    if (!value)
        return -ENOMEM;
    if (!root || !path || !*path)
        goto fail;
    for (;;) {
        bool is_index;
        size_t index = 0;
        if (next_segment(&p, seg, &is_index, &index) != 0)
            goto fail;
        if (*p == '\0') { /* last segment: store */
            if (json_is_array(v) && is_index) {
                if (index >= json_array_size(v))
                    goto fail;
                return json_array_set_new(v, index, value) == 0 ? 0 : -ENOMEM;
            }
            if (!json_is_object(v))
                goto fail;
            return json_object_set_new(v, seg, value) == 0 ? 0 : -ENOMEM;
        }
        json_t *child = lookup(v, seg, is_index, index);
        if (!child) {
            if (!json_is_object(v) || is_index)
                goto fail;
            child = json_object();
            if (!child || json_object_set_new(v, seg, child) != 0) {
                rc = -ENOMEM;
                goto fail;
            }
        } else if (!json_is_object(child) && !json_is_array(child)) {
            goto fail;
        }
        v = child;
    }
fail:
    json_decref(value);
    return rc;
}

int
kc_json_del(json_t *root, const char *path)
{
    char seg[KC_JSON_MAX_SEGMENT];
    json_t *v = root;
    const char *p = path;

    if (!root || !path || !*path)
        return KC_ENOTFOUND;
    for (;;) {
        bool is_index;
        size_t index = 0;
        if (next_segment(&p, seg, &is_index, &index) != 0)
            return KC_ENOTFOUND;
        if (*p == '\0') {
            if (json_is_object(v) && !is_index)
                return json_object_del(v, seg) == 0 ? 0 : KC_ENOTFOUND;
            if (json_is_array(v) && is_index)
                return json_array_remove(v, index) == 0 ? 0 : KC_ENOTFOUND;
            return KC_ENOTFOUND;
        }
        v = lookup(v, seg, is_index, index);
        if (!v)
            return KC_ENOTFOUND;
    }
}

bool
kc_json_equal(const json_t *a, const json_t *b)
{
    if (!a || !b)
        return a == b;
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        return json_number_value(a) == json_number_value(b);
    }
    if (json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *va;
        if (json_object_size(a) != json_object_size(b))
            return false;
        json_object_foreach((json_t *)a, key, va)
        {
            if (!kc_json_equal(va, json_object_get(b, key)))
                return false;
        }
        return true;
    }
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!kc_json_equal(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    default: /* true, false, null */
        return true;
    }
}

char *
kc_json_canonical(const json_t *v)
{
    return kc_jarena_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
}

int
kc_json_parse(const char *buf, size_t len, json_t **out, char *errbuf, size_t errlen)
{
    json_error_t jerr;
    json_t *v = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);

    if (!v) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        return KC_EPARSE;
    }
    *out = v;
    return 0;
}

#ifdef __SSE2__
/* Bit j set: byte j of the 16 at p is one kc_json_plain_end stops at. Not instrumented: see below. */
__attribute__((no_sanitize("address"))) static inline unsigned
special16(const unsigned char *p, bool non_ascii)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i ctl = non_ascii ? _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)) /* signed: non-ASCII is below 0x20 */
                            : _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1f)), _mm_set1_epi8(0x1f));
    __m128i special =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))), ctl);
    return (unsigned)_mm_movemask_epi8(special);
}
#endif

/* Not instrumented by AddressSanitizer: the last bytes of a string are read with one 16-byte load that may reach
 * past its end (never past its page, so never into unmapped memory); what lies beyond n is masked off. Most
 * strings here are short, and a byte at a time was most of this function's cost. */
__attribute__((no_sanitize("address"))) size_t
kc_json_plain_end(const char *s, size_t n, size_t i, bool non_ascii)
{
    const unsigned char *u = (const unsigned char *)s;
#ifdef __SSE2__
    while (i + 16 <= n) { /* 16 bytes at a time */
        unsigned mask = special16(u + i, non_ascii);
        if (mask)
            return i + (size_t)__builtin_ctz(mask);
        i += 16;
    }
    if (i < n && ((uintptr_t)(u + i) & 4095) <= 4096 - 16) {
        unsigned mask = special16(u + i, non_ascii) & ((1u << (n - i)) - 1);
        return mask ? i + (size_t)__builtin_ctz(mask) : n;
    }
#endif
    for (; i < n; i++)
        if (u[i] < 0x20 || u[i] == '"' || u[i] == '\\' || (non_ascii && u[i] >= 0x80))
            return i;
    return n;
}

size_t
kc_json_escape(unsigned char c, char out[6])
{
    static const char hex[] = "0123456789ABCDEF";
    static const char short_form[] = { ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't' };
    out[0] = '\\';
    if (c == '"' || c == '\\') {
        out[1] = (char)c;
        return 2;
    }
    if (c < sizeof(short_form) && short_form[c]) {
        out[1] = short_form[c];
        return 2;
    }
    out[1] = 'u';
    out[2] = '0';
    out[3] = '0';
    out[4] = hex[c >> 4];
    out[5] = hex[c & 15];
    return 6;
}
