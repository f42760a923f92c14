/* gojson.c - Go-compatible JSON decoding for the etcd gateway: a recursive-descent parser whose errors are the
 * texts of Go's encoding/json scanner, plus jsonpb's value conversions and their errors. */
#include "gojson.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
    const unsigned char *p, *end;
    char *err;
    int depth;
};

#define GJ_MAX_DEPTH 10000 /* Go's scanner limit ("exceeded max depth") */

/* Go's quoteChar: the byte as Go's strconv.Quote prints string(rune(c)), in single quotes. */
static void
quote_char(unsigned char c, char out[16])
{
    if (c == '\'') {
        strcpy(out, "'\\''");
    } else if (c == '"') {
        strcpy(out, "'\"'");
    } else if (c < 0x20 || c == 0x7f) {
        static const char esc[] = {
            ['\a'] = 'a', ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't', ['\v'] = 'v'
        };
        if (c < sizeof(esc) && esc[c])
            snprintf(out, 16, "'\\%c'", esc[c]);
        else
            snprintf(out, 16, "'\\x%02x'", c);
    } else if (c < 0x80) {
        snprintf(out, 16, "'%c'", c);
    } else if (c <= 0xa0 || c == 0xad) { /* not printable as a rune: \u00XX */
        snprintf(out, 16, "'\\u00%02x'", c);
    } else { /* U+00A1..U+00FF, printable: its UTF-8 */
        snprintf(out, 16, "'%c%c'", 0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    }
}

static int
syntax(struct parser *ps, const char *context)
{
    if (ps->p >= ps->end) {
        snprintf(ps->err, GJ_ERR_LEN, "unexpected EOF");
    } else {
        char q[16];
        quote_char(*ps->p, q);
        snprintf(ps->err, GJ_ERR_LEN, "invalid character %s %s", q, context);
    }
    return -1;
}

static void
skip_ws(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r' || *ps->p == '\n'))
        ps->p++;
}

static int parse_value(struct parser *ps, struct gj_value *v);

static int
hexv(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static size_t
put_utf8(char *o, unsigned r)
{
    if (r < 0x80) {
        o[0] = (char)r;
        return 1;
    }
    if (r < 0x800) {
        o[0] = (char)(0xc0 | (r >> 6));
        o[1] = (char)(0x80 | (r & 0x3f));
        return 2;
    }
    if (r < 0x10000) {
        o[0] = (char)(0xe0 | (r >> 12));
        o[1] = (char)(0x80 | ((r >> 6) & 0x3f));
        o[2] = (char)(0x80 | (r & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (r >> 18));
    o[1] = (char)(0x80 | ((r >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((r >> 6) & 0x3f));
    o[3] = (char)(0x80 | (r & 0x3f));
    return 4;
}

/* Length of the valid UTF-8 sequence at p (as Go's utf8.DecodeRune accepts it), or 0 when invalid. */
static size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, min = 0x10000;
    else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    unsigned r = c & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        r = (r << 6) | (p[i] & 0x3f);
    }
    if (r < min || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
        return 0;
    return n;
}

/* Reads 4 hex digits after "\u" at p (p points at the first digit). */
static int
read_hex4(const unsigned char *p, const unsigned char *end, unsigned *out)
{
    if (end - p < 4)
        return -1;
    unsigned r = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexv(p[i]);
        if (h < 0)
            return -1;
        r = r * 16 + (unsigned)h;
    }
    *out = r;
    return 0;
}

/* A string: validates with Go's messages, then decodes as Go's unquote does. ps->p is at the opening quote. */
static int
parse_string(struct parser *ps, char **out, size_t *out_len)
{
    const unsigned char *start = ++ps->p;
    for (;;) {
        if (ps->p >= ps->end)
            return syntax(ps, "");
        unsigned char c = *ps->p;
        if (c == '"')
            break;
        if (c < 0x20)
            return syntax(ps, "in string literal");
        if (c == '\\') {
            ps->p++;
            if (ps->p >= ps->end)
                return syntax(ps, "");
            c = *ps->p;
            if (c == 'u') {
                for (int i = 0; i < 4; i++) {
                    ps->p++;
                    if (ps->p >= ps->end)
                        return syntax(ps, "");
                    if (hexv(*ps->p) < 0)
                        return syntax(ps, "in \\u hexadecimal character escape");
                }
            } else if (!strchr("\"\\/bfnrt", c) || c == '\0') {
                return syntax(ps, "in string escape code");
            }
        }
        ps->p++;
    }
    const unsigned char *stop = ps->p++; /* past the closing quote */
    char *o = malloc((size_t)(stop - start) * 3 + 1), *w = o;
    if (!o) {
        snprintf(ps->err, GJ_ERR_LEN, "out of memory");
        return -1;
    }
    for (const unsigned char *s = start; s < stop;) {
        if (*s == '\\') {
            s++;
            switch (*s) {
            case 'b':
                *w++ = '\b', s++;
                break;
            case 'f':
                *w++ = '\f', s++;
                break;
            case 'n':
                *w++ = '\n', s++;
                break;
            case 'r':
                *w++ = '\r', s++;
                break;
            case 't':
                *w++ = '\t', s++;
                break;
            case 'u': {
                unsigned r = 0xfffd; /* the scanner checked the 4 digits: read_hex4 does not fail here */
                read_hex4(s + 1, stop, &r);
                s += 5;
                if (r >= 0xd800 && r < 0xdc00) { /* a high surrogate: combine with a following low one */
                    unsigned r2;
                    if (stop - s >= 6 && s[0] == '\\' && s[1] == 'u' && read_hex4(s + 2, stop, &r2) == 0 &&
                        r2 >= 0xdc00 && r2 < 0xe000) {
                        r = 0x10000 + ((r - 0xd800) << 10) + (r2 - 0xdc00);
                        s += 6;
                    } else {
                        r = 0xfffd;
                    }
                } else if (r >= 0xdc00 && r < 0xe000) {
                    r = 0xfffd;
                }
                w += put_utf8(w, r);
                break;
            }
            default: /* " \ / */
                *w++ = (char)*s++;
                break;
            }
        } else {
            size_t n = utf8_len(s, stop);
            if (n == 0) {
                w += put_utf8(w, 0xfffd);
                s++;
            } else {
                memcpy(w, s, n);
                w += n;
                s += n;
            }
        }
    }
    *w = '\0';
    *out = o;
    *out_len = (size_t)(w - o);
    return 0;
}

static bool
is_digit(const struct parser *ps)
{
    return ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9';
}

static int
parse_number(struct parser *ps, struct gj_value *v)
{
    const unsigned char *start = ps->p;
    if (*ps->p == '-') {
        ps->p++;
        if (!is_digit(ps))
            return syntax(ps, "in numeric literal");
    }
    if (*ps->p == '0') {
        ps->p++;
    } else {
        while (is_digit(ps))
            ps->p++;
    }
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        if (!is_digit(ps))
            return syntax(ps, "after decimal point in numeric literal");
        while (is_digit(ps))
            ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (!is_digit(ps))
            return syntax(ps, "in exponent of numeric literal");
        while (is_digit(ps))
            ps->p++;
    }
    v->type = GJ_NUMBER;
    v->len = (size_t)(ps->p - start);
    v->str = strndup((const char *)start, v->len);
    return v->str ? 0 : -1;
}

static int
parse_literal(struct parser *ps, const char *word, enum gj_type type, struct gj_value *v)
{
    ps->p++;
    for (const char *w = word + 1; *w; w++) {
        if (ps->p >= ps->end || *ps->p != (unsigned char)*w) {
            char ctx[64];
            snprintf(ctx, sizeof(ctx), "in literal %s (expecting '%c')", word, *w);
            return syntax(ps, ctx);
        }
        ps->p++;
    }
    v->type = type;
    return 0;
}

static int
push(struct gj_value *v, size_t *cap, bool object)
{
    if (v->n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 4;
    struct gj_value *items = realloc(v->items, nc * sizeof(*items));
    if (!items)
        return -1;
    v->items = items;
    if (object) {
        char **keys = realloc(v->keys, nc * sizeof(*keys));
        if (!keys)
            return -1;
        v->keys = keys;
        size_t *lens = realloc(v->key_lens, nc * sizeof(*lens));
        if (!lens)
            return -1;
        v->key_lens = lens;
    }
    *cap = nc;
    return 0;
}

static int
parse_object(struct parser *ps, struct gj_value *v)
{
    size_t cap = 0;
    v->type = GJ_OBJECT;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return 0;
    }
    for (;;) {
        if (ps->p >= ps->end || *ps->p != '"')
            return syntax(ps, "looking for beginning of object key string");
        if (push(v, &cap, true) != 0)
            return -1;
        char *key;
        size_t klen;
        if (parse_string(ps, &key, &klen) != 0)
            return -1;
        v->keys[v->n] = key;
        v->key_lens[v->n] = klen;
        memset(&v->items[v->n], 0, sizeof(v->items[0]));
        v->n++;
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':')
            return syntax(ps, "after object key");
        ps->p++;
        if (parse_value(ps, &v->items[v->n - 1]) != 0)
            return -1;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            skip_ws(ps);
            continue;
        }
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            return 0;
        }
        return syntax(ps, "after object key:value pair");
    }
}

static int
parse_array(struct parser *ps, struct gj_value *v)
{
    size_t cap = 0;
    v->type = GJ_ARRAY;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        return 0;
    }
    for (;;) {
        if (push(v, &cap, false) != 0)
            return -1;
        memset(&v->items[v->n], 0, sizeof(v->items[0]));
        v->n++;
        if (parse_value(ps, &v->items[v->n - 1]) != 0)
            return -1;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            return 0;
        }
        return syntax(ps, "after array element");
    }
}

static int
parse_value(struct parser *ps, struct gj_value *v)
{
    skip_ws(ps);
    if (ps->p >= ps->end)
        return syntax(ps, "");
    if (++ps->depth > GJ_MAX_DEPTH) {
        snprintf(ps->err, GJ_ERR_LEN, "exceeded max depth");
        return -1;
    }
    int rc;
    switch (*ps->p) {
    case '{':
        rc = parse_object(ps, v);
        break;
    case '[':
        rc = parse_array(ps, v);
        break;
    case '"':
        v->type = GJ_STRING;
        rc = parse_string(ps, &v->str, &v->len);
        break;
    case 't':
        rc = parse_literal(ps, "true", GJ_TRUE, v);
        break;
    case 'f':
        rc = parse_literal(ps, "false", GJ_FALSE, v);
        break;
    case 'n':
        rc = parse_literal(ps, "null", GJ_NULL, v);
        break;
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
            rc = parse_number(ps, v);
        else
            rc = syntax(ps, "looking for beginning of value");
        break;
    }
    ps->depth--;
    return rc;
}

static void
free_value(struct gj_value *v)
{
    free(v->str);
    for (size_t i = 0; i < v->n; i++) {
        free_value(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->key_lens);
}

void
gj_free(struct gj_value *v)
{
    if (!v)
        return;
    free_value(v);
    free(v);
}

/* json.Unmarshal of a whole buffer: one value and nothing but whitespace after it ("invalid character 'x'
 * after top-level value"); an empty buffer is "unexpected end of JSON input". */
static int
parse_whole(const char *buf, size_t len, struct gj_value **out, char err[GJ_ERR_LEN])
{
    struct parser ps = { (const unsigned char *)buf, (const unsigned char *)buf + len, err, 0 };
    skip_ws(&ps);
    if (ps.p >= ps.end) {
        snprintf(err, GJ_ERR_LEN, "unexpected end of JSON input");
        return -1;
    }
    struct gj_value *v = calloc(1, sizeof(*v));
    if (!v) {
        snprintf(err, GJ_ERR_LEN, "out of memory");
        return -1;
    }
    if (parse_value(&ps, v) != 0) {
        if (strcmp(err, "unexpected EOF") == 0)
            snprintf(err, GJ_ERR_LEN, "unexpected end of JSON input");
        gj_free(v);
        return -1;
    }
    skip_ws(&ps);
    if (ps.p < ps.end) {
        syntax(&ps, "after top-level value");
        gj_free(v);
        return -1;
    }
    *out = v;
    return 0;
}

int
gj_parse(const char *buf, size_t len, struct gj_value **out, char err[GJ_ERR_LEN])
{
    size_t used;
    return gj_parse_next(buf, len, &used, out, err);
}

int
gj_parse_next(const char *buf, size_t len, size_t *used, struct gj_value **out, char err[GJ_ERR_LEN])
{
    struct parser ps = { (const unsigned char *)buf, (const unsigned char *)buf + len, err, 0 };
    *used = 0;
    skip_ws(&ps);
    if (ps.p >= ps.end)
        return 1;
    struct gj_value *v = calloc(1, sizeof(*v));
    if (!v) {
        snprintf(err, GJ_ERR_LEN, "out of memory");
        return -1;
    }
    if (parse_value(&ps, v) != 0) {
        gj_free(v);
        return -1;
    }
    *used = (size_t)((const char *)ps.p - buf);
    *out = v;
    return 0;
}

const struct gj_value *
gj_field(const struct gj_value *v, const char *orig, const char *camel)
{
    if (!v || v->type != GJ_OBJECT)
        return NULL;
    /* jsonpb takes the lowerCamel JSON name over the original name when a body has both (observed of etcd 3.4). */
    const char *names[2] = { camel, orig };
    for (int k = 0; k < 2; k++) {
        if (!names[k])
            continue;
        size_t nlen = strlen(names[k]);
        for (size_t i = v->n; i-- > 0;) /* the last duplicate wins */
            if (v->key_lens[i] == nlen && memcmp(v->keys[i], names[k], nlen) == 0)
                return &v->items[i];
    }
    return NULL;
}

static const char *
go_kind(const struct gj_value *v)
{
    switch (v->type) {
    case GJ_NUMBER:
        return "number";
    case GJ_STRING:
        return "string";
    case GJ_TRUE:
    case GJ_FALSE:
        return "bool";
    case GJ_ARRAY:
        return "array";
    case GJ_OBJECT:
        return "object";
    default:
        return "null";
    }
}

/* Go's UnmarshalTypeError text. A number names its literal only when the target is a number type that cannot
 * hold it ("number 1.5 into ... int64"); into other kinds it is just "number". */
static int
type_error_ex(const struct gj_value *v, const char *go_type, bool numeric_target, char err[GJ_ERR_LEN])
{
    if (v->type == GJ_NUMBER && numeric_target)
        snprintf(err, GJ_ERR_LEN, "json: cannot unmarshal number %s into Go value of type %s", v->str, go_type);
    else
        snprintf(err, GJ_ERR_LEN, "json: cannot unmarshal %s into Go value of type %s", go_kind(v), go_type);
    return -1;
}

static int
type_error(const struct gj_value *v, const char *go_type, char err[GJ_ERR_LEN])
{
    return type_error_ex(v, go_type, false, err);
}

static int
num_error(const struct gj_value *v, const char *go_type, char err[GJ_ERR_LEN])
{
    return type_error_ex(v, go_type, true, err);
}

static int
b64v(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Go's base64.StdEncoding.DecodeString, error offsets included: '\r' and '\n' are skipped anywhere, padding is
 * required, bits after the last symbol are not checked (StdEncoding is not Strict), and the error names a byte
 * offset in the input: "illegal base64 data at input byte N". */
static int
go_base64(const char *src, size_t len, uint8_t **out, size_t *out_len, char err[GJ_ERR_LEN])
{
    uint8_t *buf = malloc(len / 4 * 3 + 4);
    size_t n = 0, si = 0, bad_at = 0;
    if (!buf) {
        snprintf(err, GJ_ERR_LEN, "out of memory");
        return -1;
    }
    for (;;) {
        unsigned q[4] = { 0 };
        size_t j, dlen = 4;
        bool end = false;
        for (j = 0; j < 4; j++) {
            if (si == len) {
                if (j == 0)
                    goto done;
                bad_at = si - j; /* a partial quantum */
                goto bad;
            }
            unsigned char in = (unsigned char)src[si++];
            int d = b64v(in);
            if (d >= 0) {
                q[j] = (unsigned)d;
                continue;
            }
            if (in == '\n' || in == '\r') {
                j--;
                continue;
            }
            if (in != '=' || j < 2) {
                bad_at = si - 1;
                goto bad;
            }
            if (j == 2) { /* "==" expected: the first '=' is consumed */
                while (si < len && (src[si] == '\n' || src[si] == '\r'))
                    si++;
                if (si == len) {
                    bad_at = len;
                    goto bad;
                }
                if (src[si] != '=') {
                    bad_at = si - 1;
                    goto bad;
                }
                si++;
            }
            while (si < len && (src[si] == '\n' || src[si] == '\r'))
                si++;
            if (si < len) { /* trailing garbage */
                bad_at = si;
                goto bad;
            }
            dlen = j;
            end = true;
            break;
        }
        unsigned w = q[0] << 18 | q[1] << 12 | q[2] << 6 | q[3];
        buf[n++] = (uint8_t)(w >> 16);
        if (dlen >= 3)
            buf[n++] = (uint8_t)(w >> 8);
        if (dlen == 4)
            buf[n++] = (uint8_t)w;
        if (end)
            break;
    }
done:
    buf[n] = 0;
    *out = buf;
    *out_len = n;
    return 0;
bad:
    snprintf(err, GJ_ERR_LEN, "illegal base64 data at input byte %zu", bad_at);
    free(buf);
    return -1;
}

int
gj_bytes(const struct gj_value *v, uint8_t **data, size_t *len, char err[GJ_ERR_LEN])
{
    if (!v || v->type == GJ_NULL) {
        *data = NULL;
        *len = 0;
        return 0;
    }
    if (v->type == GJ_STRING)
        return go_base64(v->str, v->len, data, len, err);
    if (v->type == GJ_ARRAY) { /* encoding/json decodes []byte from an array of numbers too */
        uint8_t *b = malloc(v->n + 1);
        if (!b)
            return -1;
        for (size_t i = 0; i < v->n; i++) {
            int64_t x;
            const struct gj_value *e = &v->items[i];
            char *end;
            if (e->type == GJ_NULL) {
                b[i] = 0;
                continue;
            }
            if (e->type != GJ_NUMBER) {
                free(b);
                return num_error(e, "uint8", err);
            }
            errno = 0;
            x = strtoll(e->str, &end, 10);
            if (*end || errno || x < 0 || x > 255) {
                free(b);
                return num_error(e, "uint8", err);
            }
            b[i] = (uint8_t)x;
        }
        *data = b;
        *len = v->n;
        return 0;
    }
    return type_error(v, "[]uint8", err);
}

/* Parses a Go int64 from literal JSON number text; -1 when it is not an integer or overflows. */
static int
int64_text(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (*s == '\0' || *end || errno)
        return -1;
    *out = x;
    return 0;
}

int
gj_int64(const struct gj_value *v, int64_t *out, char err[GJ_ERR_LEN])
{
    if (!v || v->type == GJ_NULL) {
        *out = 0;
        return 0;
    }
    if (v->type == GJ_NUMBER) {
        if (int64_text(v->str, out) != 0)
            return num_error(v, "int64", err);
        return 0;
    }
    if (v->type == GJ_STRING) {
        /* jsonpb unquotes the string and decodes its contents as JSON into an int64. */
        struct gj_value *inner;
        int rc = parse_whole(v->str, v->len, &inner, err);
        if (rc != 0)
            return -1;
        rc = inner->type == GJ_NUMBER ? int64_text(inner->str, out) : -1;
        if (rc != 0)
            (inner->type == GJ_NUMBER ? num_error : type_error)(inner, "int64", err);
        gj_free(inner);
        return rc;
    }
    return type_error(v, "int64", err);
}

int
gj_bool(const struct gj_value *v, bool *out, char err[GJ_ERR_LEN])
{
    if (!v || v->type == GJ_NULL) {
        *out = false;
        return 0;
    }
    if (v->type == GJ_TRUE || v->type == GJ_FALSE) {
        *out = v->type == GJ_TRUE;
        return 0;
    }
    return type_error(v, "bool", err);
}

int
gj_enum(const struct gj_value *v, const char *const *names, int n, const char *type, int *out, char err[GJ_ERR_LEN])
{
    if (!v || v->type == GJ_NULL) {
        *out = 0;
        return 0;
    }
    if (v->type == GJ_STRING) {
        for (int i = 0; i < n; i++) {
            if (strlen(names[i]) == v->len && memcmp(names[i], v->str, v->len) == 0) {
                *out = i;
                return 0;
            }
        }
        snprintf(err, GJ_ERR_LEN, "unknown value \"%s\" for enum %s", v->str, type);
        return -1;
    }
    if (v->type == GJ_NUMBER) {
        int64_t x;
        if (int64_text(v->str, &x) != 0 || x < INT32_MIN || x > INT32_MAX)
            return num_error(v, type, err);
        *out = (int)x;
        return 0;
    }
    return type_error(v, type, err);
}

int
gj_message(const struct gj_value *v, bool *present, char err[GJ_ERR_LEN])
{
    *present = false;
    if (!v || v->type == GJ_NULL)
        return 0;
    if (v->type != GJ_OBJECT)
        return type_error(v, "map[string]json.RawMessage", err);
    *present = true;
    return 0;
}

int
gj_array(const struct gj_value *v, size_t *n, char err[GJ_ERR_LEN])
{
    *n = 0;
    if (!v || v->type == GJ_NULL)
        return 0;
    if (v->type != GJ_ARRAY)
        return type_error(v, "[]json.RawMessage", err);
    *n = v->n;
    return 0;
}
