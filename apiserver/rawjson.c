/* rawjson.c - stored objects as JSON text (api_rawjson.h): a validating scanner as strict as jansson's decoder,
 * the shape of an object (its top-level and metadata members), list items, watch objects and Table metadata
 * assembled from the shape, and selector lookups in place. */
#include "api_rawjson.h"
#include "api_int.h"
#include "kc_fault.h"
#include "kc_json.h"
#include "kc_selector.h"
#include "kc_str.h"
#include "kc_time.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MAX_NUMBER  320       /* longer number tokens are left to the parser */
#define HUGE_BUFFER (8 << 20) /* output buffers from this size on ask for huge pages */

/* --- the output buffer --- */

/* One spare big buffer: a LIST of thousands of objects writes tens of MB into fresh memory, and in a VM the first
 * touch of each page (the host backing it, the guest zeroing it) cost as much as building the list. The buffer of
 * the last big reply is kept (api_rawbuf_free) for the next one to start in: one at most, the largest. It stays
 * until a big buffer takes it; one asked for or given back after SPARE_IDLE_S without any frees it instead (so
 * memory is held for at most one buffer, and between LISTs of that size). */
#define SPARE_IDLE_S 60
static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static char *spare;
static size_t spare_cap;
static int64_t spare_used_ns;

/* Takes the spare when it holds need bytes (lock held by the caller); drops it when idle too long. */
static char *
spare_take_locked(size_t need, size_t *cap, int64_t now)
{
    char *p = NULL;
    if (spare && now - spare_used_ns > (int64_t)SPARE_IDLE_S * 1000000000) {
        free(spare);
        spare = NULL;
    } else if (spare && spare_cap >= need) {
        p = spare;
        *cap = spare_cap;
        spare = NULL;
    }
    spare_used_ns = now;
    return p;
}

void
api_rawbuf_free(char *p)
{
    size_t cap = p ? malloc_usable_size(p) : 0;
    if (cap < HUGE_BUFFER) {
        free(p);
        return;
    }
    int64_t now = kc_time_mono_ns();
    pthread_mutex_lock(&spare_lock);
    char *drop = NULL;
    if (spare && now - spare_used_ns > (int64_t)SPARE_IDLE_S * 1000000000) {
        drop = spare;
        spare = NULL;
    }
    if (!spare || spare_cap < cap) { /* keep the larger */
        if (spare)
            drop = spare;
        spare = p;
        spare_cap = cap;
        p = NULL;
    }
    spare_used_ns = now;
    pthread_mutex_unlock(&spare_lock);
    free(drop);
    free(p);
}

bool
api_rawbuf_grow(struct api_rawbuf *b, size_t n)
{
    if (b->oom)
        return false;
    if (b->len + n <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n)
        cap *= 2;
    if (!b->p && cap >= HUGE_BUFFER) { /* a big reply from its first reserve: the spare when it holds it */
        size_t got = 0;
        pthread_mutex_lock(&spare_lock);
        char *p = spare_take_locked(b->len + n, &got, kc_time_mono_ns());
        pthread_mutex_unlock(&spare_lock);
        if (p) {
            b->p = p;
            b->cap = got;
            return true;
        }
    }
    char *p = kc_realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    /* A big buffer (a LIST of thousands of objects) is fresh memory each time: huge pages make its first touch
     * 512 times fewer page faults. Only advice: where transparent huge pages are off nothing changes. */
    if (cap >= HUGE_BUFFER) {
        uintptr_t a = ((uintptr_t)p + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1);
        uintptr_t e = ((uintptr_t)p + cap) & ~(uintptr_t)((2u << 20) - 1);
        if (e > a)
            (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
    }
    b->p = p;
    b->cap = cap;
    return true;
}

static void
add_str(struct api_rawbuf *b, const char *s)
{
    api_rawbuf_add(b, s, strlen(s));
}

/* --- the scanner: what jansson's decoder accepts, nothing more --- */

enum { C_PLAIN, C_CTRL, C_QUOTE, C_ESC, C_HIGH };

static const unsigned char str_class[256] = {
    [0 ... 0x1f] = C_CTRL,
    ['"'] = C_QUOTE,
    ['\\'] = C_ESC,
    [0x80 ... 0xff] = C_HIGH,
};

static size_t
skip_ws(const char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

static int
hex4(const unsigned char *u, size_t n, size_t i, unsigned *v)
{
    if (i + 4 > n)
        return -1;
    unsigned x = 0;
    for (size_t k = i; k < i + 4; k++) {
        unsigned c = u[k], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        x = x << 4 | d;
    }
    *v = x;
    return 0;
}

/* An escape at u[i] ('\\'): the index after it, 0 when jansson refuses it (unknown escape, \u0000, a lone or
 * mismatched surrogate). */
static size_t
scan_escape(const unsigned char *u, size_t n, size_t i)
{
    if (i + 1 >= n)
        return 0;
    switch (u[i + 1]) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
        return i + 2;
    case 'u':
        break;
    default:
        return 0;
    }
    unsigned v, lo;
    if (hex4(u, n, i + 2, &v) != 0 || v == 0)
        return 0;
    if (v >= 0xDC00 && v <= 0xDFFF)
        return 0;
    if (v < 0xD800 || v > 0xDBFF)
        return i + 6;
    if (i + 12 > n || u[i + 6] != '\\' || u[i + 7] != 'u' || hex4(u, n, i + 8, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
        return 0;
    return i + 12;
}

/* A UTF-8 sequence starting at u[i] (>= 0x80): the index after it, 0 when jansson's utf8 checks refuse it
 * (a stray continuation byte, overlong forms, surrogates, beyond U+10FFFF, truncation). */
static size_t
scan_utf8(const unsigned char *u, size_t n, size_t i)
{
    unsigned c = u[i], len, v;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        v = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (i + len > n)
        return 0;
    for (unsigned k = 1; k < len; k++) {
        unsigned cc = u[i + k];
        if (cc < 0x80 || cc > 0xBF)
            return 0;
        v = v << 6 | (cc & 0x3F);
    }
    if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000) || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    return i + len;
}

/* The index after the string starting at s[i] ('"'), 0 when invalid. *esc (may be NULL) is set when it has
 * escapes. */
static size_t
scan_string(const char *s, size_t n, size_t i, bool *esc)
{
    const unsigned char *u = (const unsigned char *)s;
    for (i++; i < n;) {
        if ((i = kc_json_plain_end(s, n, i, true)) >= n)
            return 0;
        switch (str_class[u[i]]) {
        case C_PLAIN:
            i++;
            break;
        case C_QUOTE:
            return i + 1;
        case C_CTRL:
            return 0;
        case C_ESC:
            if (esc)
                *esc = true;
            if (!(i = scan_escape(u, n, i)))
                return 0;
            break;
        default:
            if (!(i = scan_utf8(u, n, i)))
                return 0;
            break;
        }
    }
    return 0;
}

/* A number at s[i]: the index after it, 0 when jansson refuses it (syntax, an integer outside int64, a real
 * that overflows), or when it is too long to check here. */
static size_t
scan_number(const char *s, size_t n, size_t i)
{
    size_t start = i;
    bool real = false;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n)
        return 0;
    if (s[i] == '0') {
        i++;
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    } else {
        return 0;
    }
    if (i < n && s[i] == '.') {
        real = true;
        size_t d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        real = true;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return 0;
    }
    size_t len = i - start;
    if (!real && len <= 18)
        return i; /* fits in int64 */
    if (len >= MAX_NUMBER)
        return 0;
    char tmp[MAX_NUMBER];
    memcpy(tmp, s + start, len);
    tmp[len] = '\0';
    errno = 0;
    if (!real) {
        (void)strtoll(tmp, NULL, 10);
        return errno == ERANGE ? 0 : i;
    }
    double d = strtod(tmp, NULL);
    return errno == ERANGE && isinf(d) ? 0 : i;
}

static size_t
scan_literal(const char *s, size_t n, size_t i, const char *lit, size_t len)
{
    return i + len <= n && memcmp(s + i, lit, len) == 0 ? i + len : 0;
}

static size_t scan_value(const char *s, size_t n, size_t i, int depth);

/* The object or array at s[i]: the index after it, 0 when invalid. */
static size_t
scan_container(const char *s, size_t n, size_t i, int depth)
{
    if (depth > API_RAW_DEPTH)
        return 0;
    bool obj = s[i] == '{';
    char close = obj ? '}' : ']';
    i = skip_ws(s, n, i + 1);
    if (i < n && s[i] == close)
        return i + 1;
    for (;;) {
        if (obj) {
            if (i >= n || s[i] != '"' || !(i = scan_string(s, n, i, NULL)))
                return 0;
            i = skip_ws(s, n, i);
            if (i >= n || s[i] != ':')
                return 0;
            i = skip_ws(s, n, i + 1);
        }
        if (!(i = scan_value(s, n, i, depth + 1)))
            return 0;
        i = skip_ws(s, n, i);
        if (i >= n)
            return 0;
        if (s[i] == close)
            return i + 1;
        if (s[i] != ',')
            return 0;
        i = skip_ws(s, n, i + 1);
    }
}

/* The index after the JSON value at s[i], 0 when it is invalid for jansson or too deep. */
static size_t
scan_value(const char *s, size_t n, size_t i, int depth)
{
    if (i >= n)
        return 0;
    switch (s[i]) {
    case '"':
        return scan_string(s, n, i, NULL);
    case '{':
    case '[':
        return scan_container(s, n, i, depth);
    case 't':
        return scan_literal(s, n, i, "true", 4);
    case 'f':
        return scan_literal(s, n, i, "false", 5);
    case 'n':
        return scan_literal(s, n, i, "null", 4);
    default:
        return scan_number(s, n, i);
    }
}

/* --- building jansson values from validated text --- */

/* Appends the UTF-8 of code point c. */
static size_t
put_utf8(char *o, unsigned c)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | c >> 6);
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | c >> 12);
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | c >> 18);
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* The contents of the (validated) string s[a..e) (quotes excluded) with escapes decoded, into out (at least e - a
 * bytes: decoding never grows). Returns the length. */
static size_t
unescape(const char *s, size_t a, size_t e, char *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0;
    for (size_t i = a; i < e;) {
        if (u[i] != '\\') {
            out[o++] = (char)u[i++];
            continue;
        }
        char c = (char)u[i + 1];
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *p = c != 'u' ? strchr(from, c) : NULL;
        if (p) {
            out[o++] = to[p - from];
            i += 2;
            continue;
        }
        unsigned v = 0, lo = 0xDC00; /* set by hex4: the text was validated */
        hex4(u, e, i + 2, &v);
        i += 6;
        if (v >= 0xD800 && v <= 0xDBFF) {
            hex4(u, e, i + 2, &lo);
            v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
        }
        o += put_utf8(out + o, v);
    }
    return o;
}

static json_t *build_value(const char *s, size_t n, size_t *i, int depth, bool rejdup);

/* A string value at s[*i] ('"'); *i moves past it. */
static json_t *
build_string(const char *s, size_t n, size_t *i)
{
    bool esc = false;
    size_t e = scan_string(s, n, *i, &esc);
    if (!e)
        return NULL;
    size_t a = *i + 1, len = e - 1 - a;
    *i = e;
    if (!esc)
        return json_stringn_nocheck(s + a, len);
    char stack[256], *buf = len <= sizeof(stack) ? stack : kc_malloc(len);
    if (!buf)
        return NULL;
    json_t *v = json_stringn_nocheck(buf, unescape(s, a, a + len, buf));
    if (buf != stack)
        free(buf);
    return v;
}

static json_t *
build_number(const char *s, size_t n, size_t *i)
{
    size_t e = scan_number(s, n, *i);
    if (!e)
        return NULL;
    size_t len = e - *i;
    const char *p = s + *i;
    size_t k = p[0] == '-';
    if (len - k <= 18) { /* an integer of up to 18 digits (no '.' or exponent) fits in int64: its digits, read here */
        int64_t v = 0;
        for (; k < len && p[k] >= '0' && p[k] <= '9'; k++)
            v = v * 10 + (p[k] - '0');
        if (k == len) {
            *i = e;
            return json_integer((json_int_t)(p[0] == '-' ? -v : v));
        }
    }
    char tmp[MAX_NUMBER];
    memcpy(tmp, s + *i, len);
    tmp[len] = '\0';
    *i = e;
    if (!strpbrk(tmp, ".eE"))
        return json_integer((json_int_t)strtoll(tmp, NULL, 10));
    return json_real(strtod(tmp, NULL));
}

static json_t *
build_container(const char *s, size_t n, size_t *i, int depth, bool rejdup)
{
    if (depth > API_RAW_DEPTH)
        return NULL;
    bool obj = s[*i] == '{';
    char close = obj ? '}' : ']';
    json_t *c = obj ? json_object() : json_array();
    size_t j = skip_ws(s, n, *i + 1);
    if (!c)
        return NULL;
    if (j < n && s[j] == close) {
        *i = j + 1;
        return c;
    }
    for (;;) {
        /* the key: in the text when it has no escapes (jansson copies it), else unescaped into kstack or owned */
        char kstack[128], *owned = NULL;
        const char *key = NULL;
        size_t klen = 0;
        if (obj) {
            bool esc = false;
            size_t ke = j < n && s[j] == '"' ? scan_string(s, n, j, &esc) : 0;
            if (!ke)
                goto fail;
            klen = ke - j - 2;
            if (!esc) {
                key = s + j + 1;
            } else {
                char *buf = klen <= sizeof(kstack) ? kstack : (owned = kc_malloc(klen));
                if (!buf)
                    goto fail;
                klen = unescape(s, j + 1, ke - 1, buf);
                key = buf;
            }
            j = skip_ws(s, n, ke);
            if (j >= n || s[j] != ':') {
                free(owned);
                goto fail;
            }
            j = skip_ws(s, n, j + 1);
        }
        json_t *v = build_value(s, n, &j, depth + 1, rejdup);
        size_t members = obj ? json_object_size(c) : 0;
        int rc = !v ? -1 : obj ? json_object_setn_new_nocheck(c, key, klen, v) : json_array_append_new(c, v);
        if (rc == 0 && rejdup && obj && json_object_size(c) == members)
            rc = -1; /* a duplicate: jansson replaced the first one's value (one hash per member, not two) */
        if (owned)   /* (free(NULL) is not free of cost, and this runs for every member) */
            free(owned);
        if (rc != 0)
            goto fail;
        j = skip_ws(s, n, j);
        if (j >= n)
            goto fail;
        if (s[j] == close) {
            *i = j + 1;
            return c;
        }
        if (s[j] != ',')
            goto fail;
        j = skip_ws(s, n, j + 1);
    }
fail:
    json_decref(c);
    return NULL;
}

static json_t *
build_value(const char *s, size_t n, size_t *i, int depth, bool rejdup)
{
    if (*i >= n)
        return NULL;
    size_t e;
    switch (s[*i]) {
    case '"':
        return build_string(s, n, i);
    case '{':
    case '[':
        return build_container(s, n, i, depth, rejdup);
    case 't':
        if (!(e = scan_literal(s, n, *i, "true", 4)))
            return NULL;
        *i = e;
        return json_true();
    case 'f':
        if (!(e = scan_literal(s, n, *i, "false", 5)))
            return NULL;
        *i = e;
        return json_false();
    case 'n':
        if (!(e = scan_literal(s, n, *i, "null", 4)))
            return NULL;
        *i = e;
        return json_null();
    default:
        return build_number(s, n, i);
    }
}

json_t *
api_raw_parse(const char *s, size_t n, bool reject_duplicates)
{
    if (!s)
        return NULL;
    size_t i = skip_ws(s, n, 0);
    json_t *v = build_value(s, n, &i, 1, reject_duplicates);
    if (v && skip_ws(s, n, i) != n) {
        json_decref(v);
        return NULL;
    }
    return v;
}

/* --- encoding jansson values --- */

static void
dump_string(struct api_rawbuf *b, const char *s, size_t n)
{
    /* room for the quotes and the plain bytes; each escape makes room for itself and what is left */
    if (!api_rawbuf_reserve(b, n + 2))
        return;
    size_t len = b->len;
    b->p[len++] = '"';
    for (size_t run = 0, i;; run = i + 1) {
        i = kc_json_plain_end(s, n, run, false);
        memcpy(b->p + len, s + run, i - run);
        len += i - run;
        if (i == n)
            break;
        b->len = len;
        if (!api_rawbuf_reserve(b, 6 + (n - i - 1) + 1))
            return;
        b->nul |= s[i] == 0;
        len += kc_json_escape((unsigned char)s[i], b->p + len);
    }
    b->p[len++] = '"';
    b->len = len;
}

/* A real as jansson writes it (jsonp_dtostr with precision 17): "%.17g", ".0" added when it reads as an
 * integer, the exponent's '+' and leading zeros dropped. */
static void
dump_real(struct api_rawbuf *b, double d)
{
    char buf[64];
    int len = snprintf(buf, sizeof(buf), "%.17g", d);
    if (len < 0 || (size_t)len + 3 >= sizeof(buf)) {
        b->oom = true;
        return;
    }
    if (!strchr(buf, '.') && !strchr(buf, 'e')) {
        memcpy(buf + len, ".0", 3);
        len += 2;
    }
    char *start = strchr(buf, 'e');
    if (start) {
        start++;
        char *end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, (size_t)len - (size_t)(end - buf) + 1);
            len -= (int)(end - start);
        }
    }
    api_rawbuf_add(b, buf, (size_t)len);
}

static void
dump_value(struct api_rawbuf *b, const json_t *v, int depth)
{
    char num[32];
    if (depth > 2048) { /* jansson's own limit */
        b->oom = true;
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (depth > b->depth)
            b->depth = depth;
        api_rawbuf_add(b, "{", 1);
        const char *k;
        size_t klen;
        json_t *m;
        bool first = true;
        json_object_keylen_foreach((json_t *)v, k, klen, m)
        {
            if (!first)
                api_rawbuf_add(b, ",", 1);
            first = false;
            dump_string(b, k, klen);
            api_rawbuf_add(b, ":", 1);
            dump_value(b, m, depth + 1);
        }
        api_rawbuf_add(b, "}", 1);
        break;
    }
    case JSON_ARRAY:
        if (depth > b->depth)
            b->depth = depth;
        api_rawbuf_add(b, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                api_rawbuf_add(b, ",", 1);
            dump_value(b, json_array_get(v, i), depth + 1);
        }
        api_rawbuf_add(b, "]", 1);
        break;
    case JSON_STRING:
        dump_string(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER: { /* decimal digits, as "%" JSON_INTEGER_FORMAT writes them (without snprintf) */
        char *e = num + sizeof(num), *p = kc_i64_digits(e, json_integer_value(v));
        api_rawbuf_add(b, p, (size_t)(e - p));
        break;
    }
    case JSON_REAL:
        dump_real(b, json_real_value(v));
        break;
    case JSON_TRUE:
        api_rawbuf_add(b, "true", 4);
        break;
    case JSON_FALSE:
        api_rawbuf_add(b, "false", 5);
        break;
    default:
        api_rawbuf_add(b, "null", 4);
        break;
    }
}

void
api_raw_dump(struct api_rawbuf *b, const json_t *v)
{
    if (!v) {
        b->oom = true;
        return;
    }
    dump_value(b, v, 0);
}

char *
api_raw_dumps(const json_t *v, size_t *len)
{
    struct api_rawbuf b = { 0 };
    api_rawbuf_reserve(&b, 1024);
    api_raw_dump(&b, v);
    api_rawbuf_reserve(&b, 1); /* the NUL */
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    b.p[b.len] = '\0';
    if (len)
        *len = b.len;
    return b.p;
}

/* Writes the object v at depth as dump_value does, recording its members in out (*count of them) as scan_members
 * would find them in the text; meta (the top level only): where metadata is, its members go to sh->meta_m. False
 * when api_raw_shape would refuse the text: more than API_RAW_MEMBERS members, a key that needs an escape,
 * metadata not an object. */
static bool
dump_members_shaped(struct api_rawbuf *b, const json_t *v, int depth, struct api_raw_member *out, size_t *count,
                    struct api_raw_shape *sh, const char *managed, size_t managed_len)
{
    bool ok = true;
    size_t k = 0;
    const char *key;
    size_t klen;
    json_t *m;
    if (depth > b->depth)
        b->depth = depth;
    api_rawbuf_add(b, "{", 1);
    json_object_keylen_foreach((json_t *)v, key, klen, m)
    {
        if (k)
            api_rawbuf_add(b, ",", 1);
        size_t start = b->len;
        dump_string(b, key, klen);
        bool plain = b->len - start == klen + 2;
        api_rawbuf_add(b, ":", 1);
        size_t value = b->len;
        if (sh && klen == 8 && memcmp(key, "metadata", 8) == 0) {
            if (json_is_object(m) &&
                dump_members_shaped(b, m, depth + 1, sh->meta_m, &sh->nmeta, NULL, managed, managed_len))
                sh->meta = (int)k;
            else if (json_is_object(m))
                ok = false;
            else {
                dump_value(b, m, depth + 1);
                ok = false;
            }
        } else {
            dump_value(b, m, depth + 1);
        }
        if (k < API_RAW_MEMBERS && plain)
            out[k] = (struct api_raw_member){
                .key = start + 1, .key_len = klen, .start = start, .value = value, .end = b->len
            };
        else
            ok = false;
        k++;
    }
    if (managed && !sh) { /* metadata's last member, its value as given */
        if (k)
            api_rawbuf_add(b, ",", 1);
        size_t start = b->len;
        api_rawbuf_add(b, "\"managedFields\":", 16);
        api_rawbuf_add(b, managed, managed_len);
        if (k < API_RAW_MEMBERS)
            out[k] = (struct api_raw_member){
                .key = start + 1, .key_len = 13, .start = start, .value = start + 16, .end = b->len
            };
        else
            ok = false;
        k++;
    }
    api_rawbuf_add(b, "}", 1);
    *count = k;
    return ok;
}

char *
api_raw_dumps_shape(const json_t *v, size_t *len, struct api_raw_shape *sh, bool *shaped)
{
    return api_raw_dumps_shape_managed(v, NULL, 0, len, sh, shaped);
}

char *
api_raw_dumps_shape_managed(const json_t *v, const char *managed, size_t managed_len, size_t *len,
                            struct api_raw_shape *sh, bool *shaped)
{
    *shaped = false;
    if (managed) {
        const json_t *meta = json_object_get(v, "metadata");
        if (!json_is_object(meta) || json_object_get(meta, "managedFields"))
            return NULL;
    }
    if (!json_is_object(v)) {
        return api_raw_dumps(v, len);
    }
    struct api_rawbuf b = { 0 };
    api_rawbuf_reserve(&b, 1024 + managed_len);
    sh->ntop = sh->nmeta = 0;
    sh->meta = -1;
    bool ok = dump_members_shaped(&b, v, 0, sh->top, &sh->ntop, sh, managed, managed_len);
    if (managed) {
        /* the text's nesting, bounded: FieldsV1 holds the object's containers 4 levels deeper (below metadata,
         * managedFields, the entry, fieldsV1; a list and its items become one level) and a {} for each leaf, one
         * more; a \u0000 anywhere in it counts as one */
        b.depth += 5;
        b.nul |= memmem(managed, managed_len, "\\u0000", 6) != NULL;
    }
    api_rawbuf_reserve(&b, 1); /* the NUL */
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    b.p[b.len] = '\0';
    if (len)
        *len = b.len;
    /* the scanner's depth counts from 1 at the top and refuses \u0000 */
    *shaped = ok && !b.nul && b.depth + 1 <= API_RAW_DEPTH;
    sh->s = b.p;
    sh->n = b.len;
    return b.p;
}

/* --- the shape --- */

static bool
key_eq(const char *s, const struct api_raw_member *m, const char *lit, size_t len)
{
    return m->key_len == len && memcmp(s + m->key, lit, len) == 0;
}

/* Reads the members of the object at s[i] ('{') into out (at most API_RAW_MEMBERS), rejecting escaped and
 * duplicate keys. Returns the index after the object, 0 when invalid or not handled. */
static size_t
scan_members(const char *s, size_t n, size_t i, int depth, struct api_raw_member *out, size_t *count)
{
    size_t k = 0;
    i = skip_ws(s, n, i + 1);
    if (i < n && s[i] == '}') {
        *count = 0;
        return i + 1;
    }
    for (;;) {
        if (i >= n || s[i] != '"' || k == API_RAW_MEMBERS)
            return 0;
        bool esc = false;
        size_t ke = scan_string(s, n, i, &esc);
        if (!ke || esc)
            return 0;
        struct api_raw_member *m = &out[k];
        m->start = i;
        m->key = i + 1;
        m->key_len = ke - i - 2;
        for (size_t j = 0; j < k; j++)
            if (out[j].key_len == m->key_len && memcmp(s + out[j].key, s + m->key, m->key_len) == 0)
                return 0; /* a duplicate: the parser keeps the last value at the first place */
        i = skip_ws(s, n, ke);
        if (i >= n || s[i] != ':')
            return 0;
        i = skip_ws(s, n, i + 1);
        m->value = i;
        if (!(i = scan_value(s, n, i, depth + 1)))
            return 0;
        m->end = i;
        k++;
        i = skip_ws(s, n, i);
        if (i >= n)
            return 0;
        if (s[i] == '}') {
            *count = k;
            return i + 1;
        }
        if (s[i] != ',')
            return 0;
        i = skip_ws(s, n, i + 1);
    }
}

int
api_raw_shape(const char *s, size_t n, struct api_raw_shape *sh)
{
    sh->s = s;
    sh->n = n;
    sh->ntop = sh->nmeta = 0;
    sh->meta = -1;
    if (!s)
        return -1;
    size_t i = skip_ws(s, n, 0);
    if (i >= n || s[i] != '{')
        return -1;
    i = scan_members(s, n, i, 1, sh->top, &sh->ntop);
    if (!i || skip_ws(s, n, i) != n)
        return -1;
    for (size_t k = 0; k < sh->ntop; k++) {
        if (!key_eq(s, &sh->top[k], "metadata", 8))
            continue;
        const struct api_raw_member *m = &sh->top[k];
        if (s[m->value] != '{' || !scan_members(s, m->end, m->value, 2, sh->meta_m, &sh->nmeta))
            return -1;
        sh->meta = (int)k;
    }
    return 0;
}

/* --- assembly --- */

static void
add_rv(struct api_rawbuf *b, int64_t rev)
{
    /* every item of a LIST writes one: the digits by hand, not snprintf */
    char digits[24], *e = digits + sizeof(digits), *p = kc_i64_digits(e, rev);
    api_rawbuf_add(b, "\"resourceVersion\":\"", 19);
    api_rawbuf_add(b, p, (size_t)(e - p));
    api_rawbuf_add(b, "\"", 1);
}

/* metadata with resourceVersion first; skip_managed leaves managedFields out */
static void
add_meta(struct api_rawbuf *b, const struct api_raw_shape *sh, int64_t rev, bool skip_managed)
{
    api_rawbuf_add(b, "{", 1);
    add_rv(b, rev);
    for (size_t k = 0; k < sh->nmeta; k++) {
        const struct api_raw_member *m = &sh->meta_m[k];
        if (key_eq(sh->s, m, "resourceVersion", 15) || (skip_managed && key_eq(sh->s, m, "managedFields", 13)))
            continue;
        api_rawbuf_add(b, ",", 1);
        api_rawbuf_add(b, sh->s + m->start, m->end - m->start);
    }
    api_rawbuf_add(b, "}", 1);
}

void
api_raw_object(struct api_rawbuf *b, const struct api_raw_shape *sh, int64_t rev, bool keep_type)
{
    /* room for the object and what is added to it, so that the copies below do not reallocate */
    if (!api_rawbuf_reserve(b, sh->n + 64))
        return;
    api_rawbuf_add(b, "{", 1);
    bool first = true;
    for (size_t k = 0; k < sh->ntop; k++) {
        const struct api_raw_member *m = &sh->top[k];
        if (!keep_type && (key_eq(sh->s, m, "kind", 4) || key_eq(sh->s, m, "apiVersion", 10)))
            continue;
        if (!first)
            api_rawbuf_add(b, ",", 1);
        first = false;
        if ((int)k == sh->meta) {
            api_rawbuf_add(b, "\"metadata\":", 11);
            add_meta(b, sh, rev, false);
        } else {
            api_rawbuf_add(b, sh->s + m->start, m->end - m->start);
        }
    }
    if (sh->meta < 0) {
        add_str(b, first ? "\"metadata\":{" : ",\"metadata\":{");
        add_rv(b, rev);
        api_rawbuf_add(b, "}", 1);
    }
    api_rawbuf_add(b, "}", 1);
}

void
api_raw_meta(struct api_rawbuf *b, const struct api_raw_shape *sh, int64_t rev)
{
    add_meta(b, sh, rev, true);
}

/* --- lookups --- */

/* The last member named key[0..klen) of the (valid) object at s[i], in *vs and *ve. 1 found, 0 not, -1 an escaped
 * key in it (it might be the one). */
static int
find_member(const char *s, size_t n, size_t i, const char *key, size_t klen, size_t *vs, size_t *ve)
{
    int found = 0;
    i = skip_ws(s, n, i + 1);
    if (i < n && s[i] == '}')
        return 0;
    for (;;) {
        bool esc = false;
        size_t ke = scan_string(s, n, i, &esc);
        if (!ke)
            return -1;
        if (esc)
            return -1;
        bool match = ke - i - 2 == klen && memcmp(s + i + 1, key, klen) == 0;
        i = skip_ws(s, n, ke);
        i = skip_ws(s, n, i + 1); /* the ':' */
        size_t e = scan_value(s, n, i, 1);
        if (!e)
            return -1;
        if (match) { /* the parser keeps the last of duplicates */
            *vs = i;
            *ve = e;
            found = 1;
        }
        i = skip_ws(s, n, e);
        if (i >= n || s[i] == '}')
            return found;
        i = skip_ws(s, n, i + 1); /* the ',' */
    }
}

int
api_raw_get(const struct api_raw_shape *sh, const char *path, size_t *vs, size_t *ve)
{
    if (!path || !*path || strpbrk(path, "\\["))
        return -1;
    const char *s = sh->s;
    const char *dot = strchr(path, '.');
    size_t seg = dot ? (size_t)(dot - path) : strlen(path);
    /* the first segment from the top level, the second from metadata's members when it is metadata */
    const struct api_raw_member *m = NULL;
    for (size_t k = 0; k < sh->ntop; k++)
        if (sh->top[k].key_len == seg && memcmp(s + sh->top[k].key, path, seg) == 0)
            m = &sh->top[k];
    if (!m)
        return 0;
    size_t a = m->value, e = m->end;
    const char *p = dot ? dot + 1 : NULL;
    if (p && (int)(m - sh->top) == sh->meta) {
        dot = strchr(p, '.');
        seg = dot ? (size_t)(dot - p) : strlen(p);
        const struct api_raw_member *mm = NULL;
        for (size_t k = 0; k < sh->nmeta; k++)
            if (sh->meta_m[k].key_len == seg && memcmp(s + sh->meta_m[k].key, p, seg) == 0)
                mm = &sh->meta_m[k];
        if (!mm)
            return 0;
        a = mm->value;
        e = mm->end;
        p = dot ? dot + 1 : NULL;
    }
    while (p) {
        if (s[a] == '[')
            return -1; /* kc_json_get indexes arrays with numeric segments */
        if (s[a] != '{')
            return 0;
        dot = strchr(p, '.');
        seg = dot ? (size_t)(dot - p) : strlen(p);
        int r = find_member(s, e, a, p, seg, &a, &e);
        if (r <= 0)
            return r;
        p = dot ? dot + 1 : NULL;
    }
    *vs = a;
    *ve = e;
    return 1;
}

bool
api_raw_top_string_is(const struct api_raw_shape *sh, const char *key, const char *value)
{
    size_t klen = strlen(key), vlen = strlen(value);
    const struct api_raw_member *m = NULL;
    for (size_t k = 0; k < sh->ntop; k++)
        if (key_eq(sh->s, &sh->top[k], key, klen))
            m = &sh->top[k];
    return m && m->end - m->value == vlen + 2 && sh->s[m->value] == '"' &&
           memcmp(sh->s + m->value + 1, value, vlen) == 0;
}

/* Copies the value at path into mini (at the same path), parsed. 0, or -1 when it cannot tell. */
static int
copy_path(const struct api_raw_shape *sh, const char *path, json_t *mini)
{
    size_t vs, ve;
    int r = api_raw_get(sh, path, &vs, &ve);
    if (r <= 0)
        return r;
    json_t *v = api_raw_parse(sh->s + vs, ve - vs, false);
    if (!v)
        v = json_loadb(sh->s + vs, ve - vs, JSON_DECODE_ANY, NULL);
    if (!v || kc_json_set(mini, path, v) != 0)
        return -1;
    return 0;
}

/* Whether the object may be an Event: its kind is "Event", or a string with escapes (which might spell it). */
static bool
maybe_event(const struct api_raw_shape *sh)
{
    if (api_raw_top_string_is(sh, "kind", "Event"))
        return true;
    for (size_t k = 0; k < sh->ntop; k++)
        if (key_eq(sh->s, &sh->top[k], "kind", 4) && sh->s[sh->top[k].value] == '"' &&
            memchr(sh->s + sh->top[k].value, '\\', sh->top[k].end - sh->top[k].value))
            return true;
    return false;
}

int
api_raw_selectors_match(const struct kc_label_selector *ls, const struct kc_field_selector *fs,
                        const struct api_raw_shape *sh)
{
    if (!ls && !fs)
        return 1;
    /* an Event's field selectors read fields computed from several members (api_selectors_match) */
    if (fs && maybe_event(sh))
        return -1;
    /* the members the selectors read, at their paths, in an otherwise empty object */
    json_t *mini = json_object();
    if (!mini)
        return -1;
    int rc = 0;
    if (ls)
        rc = copy_path(sh, "metadata.labels", mini);
    for (size_t i = 0; rc == 0 && fs && i < kc_field_selector_count(fs); i++) {
        const char *field;
        kc_field_selector_term(fs, i, &field, NULL, NULL);
        rc = copy_path(sh, field, mini);
    }
    if (rc == 0)
        rc = api_selectors_match(ls, fs, mini) ? 1 : 0;
    json_decref(mini);
    return rc;
}
