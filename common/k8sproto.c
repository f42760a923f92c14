/* k8sproto.c - Kubernetes protobuf request bodies into JSON objects, driven by the generated field table
 * (k8s_proto_gen.c): a bounds-checked wire reader, the JSON forms of the special apimachinery types, and the
 * envelope (magic + runtime.Unknown). Pure: no I/O, no globals. The rules are in kc_k8sproto.h. */
#include "kc_k8sproto.h"
#include "kc_crypto.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_json.h"
#include "kc_schema.h"
#include "kc_time.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAGIC     "k8s\0"
#define MAGIC_LEN 4
#define MAX_SLOTS 4                               /* fields read by read_slots: runtime.Unknown has the most, 4 */
#define MAX_NAME  256                             /* apiVersion and kind longer than this are refused */
#define MAX_PATH  (2 * KC_K8SPROTO_MAX_DEPTH + 8) /* field names kept for error messages */
#define MIN_SEC   (-62135596800LL)                /* 0001-01-01T00:00:00Z, Go's zero time */
#define MAX_SEC   253402300799LL                  /* 9999-12-31T23:59:59Z */

/* Decoding state: where the first error goes and the JSON path of the field being decoded. */
struct dec {
    char *err;
    size_t errlen;
    bool failed;                /* an error message has been written */
    int depth;                  /* messages entered */
    int npath;                  /* entries in path */
    const char *path[MAX_PATH]; /* field names from the root; deeper ones are not kept */
};

struct rd {
    const uint8_t *p, *end;
};

/* One field's last value, as read by read_slots. */
struct slot {
    bool set;
    uint64_t v;       /* varint and fixed values */
    const uint8_t *p; /* length-delimited values */
    size_t n;
};

/* --- errors --- */

static int fail(struct dec *d, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Records the first error with the current path in front ("spec.ports: ...") and returns code. -ENOMEM gets its
 * message here too, so every failure leaves one. */
static int
fail(struct dec *d, int code, const char *fmt, ...)
{
    if (d->failed || !d->err || d->errlen == 0)
        return code;
    d->failed = true;
    size_t n = 0;
    int kept = d->npath < MAX_PATH ? d->npath : MAX_PATH;
    for (int i = 0; i < kept && n + 1 < d->errlen; i++) {
        int w = snprintf(d->err + n, d->errlen - n, "%s%s", i ? "." : "", d->path[i]);
        n = w < 0 ? n : n + (size_t)w;
    }
    if (n > 0 && n + 1 < d->errlen) {
        int w = snprintf(d->err + n, d->errlen - n, ": ");
        n = w < 0 ? n : n + (size_t)w;
    }
    if (n + 1 < d->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->err + n, d->errlen - n, fmt, ap);
        va_end(ap);
    }
    return code;
}

static int
nomem(struct dec *d)
{
    return fail(d, -ENOMEM, "out of memory");
}

static void
push(struct dec *d, const char *name)
{
    if (d->npath < MAX_PATH)
        d->path[d->npath] = name;
    d->npath++;
}

static void
pop(struct dec *d)
{
    d->npath--;
}

/* --- the wire reader --- */

static int
read_varint(struct dec *d, struct rd *r, uint64_t *out)
{
    uint64_t v = 0;
    *out = 0; /* set on failure too: gcc cannot tell that callers read it only after 0 */
    for (int shift = 0; shift < 70; shift += 7) {
        if (r->p >= r->end)
            return fail(d, KC_EPARSE, "truncated varint");
        uint8_t c = *r->p++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (c < 0x80) {
            *out = v;
            return 0;
        }
        if (shift == 63)
            break;
    }
    return fail(d, KC_EPARSE, "varint longer than 10 bytes");
}

static int
read_fixed(struct dec *d, struct rd *r, size_t n, uint64_t *out)
{
    if ((size_t)(r->end - r->p) < n)
        return fail(d, KC_EPARSE, "truncated %zu-byte fixed field", n);
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)r->p[i] << (8 * i);
    r->p += n;
    *out = v;
    return 0;
}

static int
read_bytes(struct dec *d, struct rd *r, uint32_t num, const uint8_t **p, size_t *n)
{
    uint64_t len;
    int rc = read_varint(d, r, &len);
    if (rc != 0)
        return rc;
    if (len > (uint64_t)(r->end - r->p))
        return fail(d, KC_EPARSE,
                    "truncated length-delimited field %" PRIu32 " (%" PRIu64 " bytes, %zu left in its message)", num,
                    len, (size_t)(r->end - r->p));
    *p = r->p;
    *n = (size_t)len;
    r->p += len;
    return 0;
}

static int
read_key(struct dec *d, struct rd *r, uint32_t *num, int *wt)
{
    uint64_t key;
    *num = 0;
    *wt = 0;
    int rc = read_varint(d, r, &key);
    if (rc != 0)
        return rc;
    if ((key >> 3) == 0 || (key >> 3) > 0x1fffffff)
        return fail(d, KC_EPARSE, "illegal tag %" PRIu64 " (wire type %d)", key >> 3, (int)(key & 7));
    *num = (uint32_t)(key >> 3);
    *wt = (int)(key & 7);
    return 0;
}

/* Skips one field whose key has been read, checking its encoding. Groups (3..4) nest up to the depth limit. */
static int
skip(struct dec *d, struct rd *r, uint32_t num, int wt, int level)
{
    uint64_t v;
    const uint8_t *p;
    size_t n;
    switch (wt) {
    case 0:
        return read_varint(d, r, &v);
    case 1:
        return read_fixed(d, r, 8, &v);
    case 5:
        return read_fixed(d, r, 4, &v);
    case 2:
        return read_bytes(d, r, num, &p, &n);
    case 3:
        if (level >= KC_K8SPROTO_MAX_DEPTH)
            return fail(d, KC_EPARSE, "groups nested deeper than %d", KC_K8SPROTO_MAX_DEPTH);
        for (;;) {
            uint32_t inum;
            int iwt, rc;
            if (r->p >= r->end)
                return fail(d, KC_EPARSE, "unterminated group %" PRIu32, num);
            if ((rc = read_key(d, r, &inum, &iwt)) != 0)
                return rc;
            if (iwt == 4) {
                if (inum != num)
                    return fail(d, KC_EPARSE, "group %" PRIu32 " ended by end-group %" PRIu32, num, inum);
                return 0;
            }
            if ((rc = skip(d, r, inum, iwt, level + 1)) != 0)
                return rc;
        }
    case 4:
        return fail(d, KC_EPARSE, "unexpected end-group %" PRIu32, num);
    default:
        return fail(d, KC_EPARSE, "illegal wire type %d for field %" PRIu32, wt, num);
    }
}

/* The wire type a (non-packed) value of type t uses. */
static int
wire_of(uint8_t t)
{
    switch (t) {
    case KC_K8SPROTO_DOUBLE:
    case KC_K8SPROTO_FIXED64:
    case KC_K8SPROTO_SFIXED64:
        return 1;
    case KC_K8SPROTO_FLOAT:
    case KC_K8SPROTO_FIXED32:
    case KC_K8SPROTO_SFIXED32:
        return 5;
    case KC_K8SPROTO_STRING:
    case KC_K8SPROTO_BYTES:
    case KC_K8SPROTO_MESSAGE:
        return 2;
    default:
        return 0;
    }
}

static int
read_scalar(struct dec *d, struct rd *r, uint8_t t, uint64_t *v)
{
    switch (wire_of(t)) {
    case 1:
        return read_fixed(d, r, 8, v);
    case 5:
        return read_fixed(d, r, 4, v);
    default:
        return read_varint(d, r, v);
    }
}

/* Reads the fields of a small message (a special type, the envelope) into slots indexed like m->fields: the
 * last value of each, wire types checked, unknown fields skipped. */
static int
read_slots(struct dec *d, const struct kc_k8sproto_msg *m, const uint8_t *p, size_t n, struct slot *s)
{
    struct rd r = { p, p + n };
    memset(s, 0, sizeof(*s) * MAX_SLOTS);
    while (r.p < r.end) {
        uint32_t num;
        int wt, rc;
        if ((rc = read_key(d, &r, &num, &wt)) != 0)
            return rc;
        const struct kc_k8sproto_field *f = kc_k8sproto_field_find(m, num);
        if (!f || f - m->fields >= MAX_SLOTS) {
            if ((rc = skip(d, &r, num, wt, 0)) != 0)
                return rc;
            continue;
        }
        struct slot *sl = &s[f - m->fields];
        push(d, f->json);
        if (wt != wire_of(f->type))
            rc =
                fail(d, KC_EPARSE, "wrong wire type %d for field %" PRIu32 " (expected %d)", wt, num, wire_of(f->type));
        else if (wt == 2)
            rc = read_bytes(d, &r, num, &sl->p, &sl->n);
        else
            rc = read_scalar(d, &r, f->type, &sl->v);
        pop(d);
        if (rc != 0)
            return rc;
        sl->set = true;
    }
    return 0;
}

/* --- scalars --- */

/* Length of the valid UTF-8 sequence at p (n bytes left), as Go's utf8.DecodeRune accepts it, or 0. */
static size_t
utf8_seq(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t cp, min;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2, cp = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, cp = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* A JSON string of n bytes at p; each byte that starts no valid UTF-8 sequence becomes U+FFFD. */
static int
string_json(struct dec *d, const uint8_t *p, size_t n, json_t **out)
{
    size_t bad = 0;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq(p + i, n - i);
        bad += l == 0;
        i += l ? l : 1;
    }
    json_t *s;
    if (bad == 0) {
        s = json_stringn_nocheck((const char *)p, n);
    } else {
        if (n > (SIZE_MAX - 1) / 3)
            return nomem(d);
        char *buf = kc_malloc(n + 2 * bad + 1), *w = buf;
        if (!buf)
            return nomem(d);
        for (size_t i = 0; i < n;) {
            size_t l = utf8_seq(p + i, n - i);
            if (l == 0) {
                memcpy(w, "\xef\xbf\xbd", 3);
                w += 3;
                i++;
            } else {
                memcpy(w, p + i, l);
                w += l;
                i += l;
            }
        }
        s = json_stringn_nocheck(buf, (size_t)(w - buf));
        free(buf);
    }
    if (!s)
        return nomem(d);
    *out = s;
    return 0;
}

static int
bytes_json(struct dec *d, const uint8_t *p, size_t n, json_t **out)
{
    char *b64 = kc_base64_encode(p, n);
    if (!b64)
        return nomem(d);
    json_t *s = json_string_nocheck(b64);
    free(b64);
    if (!s)
        return nomem(d);
    *out = s;
    return 0;
}

/* A scalar's JSON from its raw wire value; *zero tells whether it is the type's zero value. */
static int
scalar_json(struct dec *d, uint8_t t, uint64_t v, json_t **out, bool *zero)
{
    json_t *j;
    *zero = v == 0;
    switch (t) {
    case KC_K8SPROTO_BOOL:
        j = json_boolean(v != 0);
        break;
    case KC_K8SPROTO_INT32:
    case KC_K8SPROTO_SFIXED32:
        j = json_integer((int32_t)(uint32_t)v);
        *zero = (uint32_t)v == 0;
        break;
    case KC_K8SPROTO_UINT32:
    case KC_K8SPROTO_FIXED32:
        j = json_integer((uint32_t)v);
        *zero = (uint32_t)v == 0;
        break;
    case KC_K8SPROTO_SINT32: {
        uint32_t u = (uint32_t)v;
        j = json_integer((int32_t)(u >> 1) ^ -(int32_t)(u & 1));
        *zero = u == 0;
        break;
    }
    case KC_K8SPROTO_SINT64:
        j = json_integer((json_int_t)((int64_t)(v >> 1) ^ -(int64_t)(v & 1)));
        break;
    case KC_K8SPROTO_UINT64:
    case KC_K8SPROTO_FIXED64:
        if (v > INT64_MAX)
            return fail(d, KC_EPARSE, "value %" PRIu64 " out of range", v);
        j = json_integer((json_int_t)v);
        break;
    case KC_K8SPROTO_DOUBLE:
    case KC_K8SPROTO_FLOAT: {
        double x;
        if (t == KC_K8SPROTO_DOUBLE) {
            memcpy(&x, &v, sizeof(x));
        } else {
            uint32_t u = (uint32_t)v;
            float fl;
            memcpy(&fl, &u, sizeof(fl));
            x = fl;
        }
        if (!isfinite(x))
            return fail(d, KC_EPARSE, "a non-finite number cannot be written as JSON");
        j = json_real(x);
        break;
    }
    default: /* INT64, SFIXED64 */
        j = json_integer((json_int_t)(int64_t)v);
        break;
    }
    if (!j)
        return nomem(d);
    *out = j;
    return 0;
}

/* --- special messages --- */

/* Go's time.Duration.String() for n nanoseconds. buf holds at least 32 bytes. */
static void
duration_string(int64_t n, char *buf)
{
    char tmp[32];
    int w = (int)sizeof(tmp);
    uint64_t u = n < 0 ? -(uint64_t)n : (uint64_t)n;
    tmp[--w] = '\0';
    if (u == 0) {
        strcpy(buf, "0s");
        return;
    }
    int prec = 9;
    tmp[--w] = 's';
    if (u < 1000000000ULL) {
        if (u < 1000ULL) {
            prec = 0;
            tmp[--w] = 'n';
        } else if (u < 1000000ULL) {
            prec = 3;
            w -= 2;
            memcpy(tmp + w, "\xc2\xb5", 2); /* µ */
        } else {
            prec = 6;
            tmp[--w] = 'm';
        }
    }
    bool print = false;
    for (int i = 0; i < prec; i++) {
        int digit = (int)(u % 10);
        print = print || digit != 0;
        if (print)
            tmp[--w] = (char)('0' + digit);
        u /= 10;
    }
    if (print)
        tmp[--w] = '.';
    if (prec == 9) { /* u is whole seconds: minutes and hours above */
        uint64_t s = u % 60;
        do {
            tmp[--w] = (char)('0' + s % 10);
            s /= 10;
        } while (s);
        u /= 60;
        if (u > 0) {
            tmp[--w] = 'm';
            uint64_t m = u % 60;
            do {
                tmp[--w] = (char)('0' + m % 10);
                m /= 10;
            } while (m);
            u /= 60;
            if (u > 0) {
                tmp[--w] = 'h';
                do {
                    tmp[--w] = (char)('0' + u % 10);
                    u /= 10;
                } while (u);
            }
        }
    } else {
        do {
            tmp[--w] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
    }
    if (n < 0)
        tmp[--w] = '-';
    strcpy(buf, tmp + w);
}

static int decode_envelope(struct dec *d, const uint8_t *p, size_t n, const char *dav, const char *dkind, json_t **out);

/* The JSON of an embedded raw value (RawExtension, FieldsV1): null when empty, an envelope when it starts with
 * the magic, else JSON text. */
static int
raw_json(struct dec *d, const uint8_t *p, size_t n, json_t **out)
{
    if (n == 0) {
        *out = json_null();
        return 0;
    }
    if (n >= MAGIC_LEN && memcmp(p, MAGIC, MAGIC_LEN) == 0)
        return decode_envelope(d, p, n, NULL, NULL, out);
    char err[200];
    int rc = kc_json_parse((const char *)p, n, out, err, sizeof(err));
    if (rc == -ENOMEM)
        return nomem(d);
    if (rc != 0)
        return fail(d, KC_EPARSE, "the embedded object is neither JSON nor a protobuf envelope: %s", err);
    return 0;
}

static int decode_fields(struct dec *d, const struct kc_k8sproto_msg *m, const uint8_t *p, size_t n, json_t *obj);

/* The JSON of a special message's n bytes. *zero: the value is the zero value's JSON (null, 0, "0", "0s", []). */
static int
special_json(struct dec *d, const struct kc_k8sproto_msg *m, const uint8_t *p, size_t n, json_t **out, bool *zero)
{
    struct slot s[MAX_SLOTS];
    char buf[KC_TIME_BUF];
    int rc;
    *zero = false;
    if (m->special == KC_K8SPROTO_SP_SLICE) {
        json_t *tmp = json_object();
        if (!tmp)
            return nomem(d);
        if ((rc = decode_fields(d, m, p, n, tmp)) != 0) {
            json_decref(tmp);
            return rc;
        }
        json_t *arr = json_object_get(tmp, m->fields[0].json);
        arr = arr ? json_incref(arr) : json_array();
        json_decref(tmp);
        if (!arr)
            return nomem(d);
        *zero = json_array_size(arr) == 0;
        *out = arr;
        return 0;
    }
    if ((rc = read_slots(d, m, p, n, s)) != 0)
        return rc;
    json_t *j;
    switch (m->special) {
    case KC_K8SPROTO_SP_TIME:
    case KC_K8SPROTO_SP_MICROTIME: {
        if (n == 0) { /* Go: an empty message is the zero time */
            *zero = true;
            *out = json_null();
            return 0;
        }
        int64_t sec = (int64_t)s[0].v, nsec = m->special == KC_K8SPROTO_SP_TIME ? 0 : (int32_t)(uint32_t)s[1].v;
        /* time.Unix normalises nanoseconds outside [0, 1e9) into the seconds */
        if (nsec < 0 || nsec >= 1000000000) {
            int64_t q = nsec / 1000000000 - (nsec % 1000000000 < 0);
            nsec -= q * 1000000000;
            if ((q > 0 && sec > INT64_MAX - q) || (q < 0 && sec < INT64_MIN - q))
                return fail(d, KC_EPARSE, "time out of range");
            sec += q;
        }
        if (sec == MIN_SEC && nsec == 0) {
            *zero = true;
            *out = json_null();
            return 0;
        }
        if (sec < MIN_SEC || sec > MAX_SEC)
            return fail(d, KC_EPARSE, "time %" PRId64 "s is outside years 1-9999", sec);
        struct kc_time t = { .sec = sec, .nsec = (int32_t)nsec };
        j = json_string(m->special == KC_K8SPROTO_SP_TIME ? kc_time_format(t, buf) : kc_time_format_micro(t, buf));
        break;
    }
    case KC_K8SPROTO_SP_DURATION:
        duration_string((int64_t)s[0].v, buf);
        *zero = s[0].v == 0;
        j = json_string(buf);
        break;
    case KC_K8SPROTO_SP_INTORSTRING: {
        int64_t type = (int64_t)s[0].v;
        if (type == 0) {
            *zero = (int32_t)(uint32_t)s[1].v == 0;
            j = json_integer((int32_t)(uint32_t)s[1].v);
            break;
        }
        if (type != 1)
            return fail(d, KC_EPARSE, "invalid IntOrString type %" PRId64 " (0 int, 1 string)", type);
        return string_json(d, s[2].p ? s[2].p : (const uint8_t *)"", s[2].n, out);
    }
    case KC_K8SPROTO_SP_QUANTITY:
        if (!s[0].set) {
            *zero = true;
            j = json_string("0");
            break;
        }
        *zero = s[0].n == 1 && s[0].p[0] == '0';
        return string_json(d, s[0].p, s[0].n, out);
    case KC_K8SPROTO_SP_RAWJSON:
        if ((rc = raw_json(d, s[0].p, s[0].set ? s[0].n : 0, out)) != 0)
            return rc;
        *zero = json_is_null(*out);
        return 0;
    default:
        return fail(d, KC_EINTERNAL, "message %s has an unknown special form %d", m->name, m->special);
    }
    if (!j)
        return nomem(d);
    *out = j;
    return 0;
}

/* --- messages --- */

/* The JSON of one value of field f (not repeated-level, not inline) from the wire; *zero as in special_json
 * (for plain messages: an empty object). */
static int
value_json(struct dec *d, const struct kc_k8sproto_field *f, struct rd *r, json_t **out, bool *zero)
{
    const uint8_t *p;
    size_t n;
    int rc;
    if (wire_of(f->type) != 2) {
        uint64_t v;
        if ((rc = read_scalar(d, r, f->type, &v)) != 0)
            return rc;
        return scalar_json(d, f->type, v, out, zero);
    }
    if ((rc = read_bytes(d, r, f->number, &p, &n)) != 0)
        return rc;
    if (f->type == KC_K8SPROTO_STRING) {
        *zero = n == 0;
        return string_json(d, p, n, out);
    }
    if (f->type == KC_K8SPROTO_BYTES) {
        *zero = n == 0;
        return bytes_json(d, p, n, out);
    }
    if (d->depth >= KC_K8SPROTO_MAX_DEPTH)
        return fail(d, KC_EPARSE, "messages nested deeper than %d", KC_K8SPROTO_MAX_DEPTH);
    d->depth++;
    if (f->msg->special != KC_K8SPROTO_SP_NONE) {
        rc = special_json(d, f->msg, p, n, out, zero);
    } else {
        json_t *o = json_object();
        rc = o ? decode_fields(d, f->msg, p, n, o) : nomem(d);
        if (rc == 0) {
            *zero = json_object_size(o) == 0;
            *out = o;
        } else {
            json_decref(o);
        }
    }
    d->depth--;
    return rc;
}

/* The object or array under key in obj, created when missing. */
static json_t *
child(json_t *obj, const char *key, bool array)
{
    json_t *c = json_object_get(obj, key);
    if (c && (array ? json_is_array(c) : json_is_object(c)))
        return c;
    c = array ? json_array() : json_object();
    if (!c || json_object_set_new_nocheck(obj, key, c) != 0)
        return NULL;
    return c;
}

static int
append(struct dec *d, json_t *obj, const char *key, json_t *v)
{
    json_t *arr = child(obj, key, true);
    if (!arr || json_array_append_new(arr, v) != 0) {
        if (!arr)
            json_decref(v);
        return nomem(d);
    }
    return 0;
}

/* One map entry {1 key, 2 value} of field f into the object under f->json. */
static int
map_entry(struct dec *d, const struct kc_k8sproto_field *f, const uint8_t *p, size_t n, json_t *obj)
{
    const struct kc_k8sproto_msg *e = f->msg;
    const struct kc_k8sproto_field *kf = kc_k8sproto_field_find(e, 1), *vf = kc_k8sproto_field_find(e, 2);
    json_t *key = NULL, *val = NULL;
    struct rd r = { p, p + n };
    int rc = 0;
    if (!kf || !vf)
        return fail(d, KC_EINTERNAL, "map entry %s lacks key or value", e->name);
    while (rc == 0 && r.p < r.end) {
        uint32_t num;
        int wt;
        bool zero;
        if ((rc = read_key(d, &r, &num, &wt)) != 0)
            break;
        const struct kc_k8sproto_field *ef = num == 1 ? kf : num == 2 ? vf : NULL;
        if (!ef) {
            rc = skip(d, &r, num, wt, 0);
            continue;
        }
        if (wt != wire_of(ef->type)) {
            rc = fail(d, KC_EPARSE, "wrong wire type %d for map entry field %" PRIu32 " (expected %d)", wt, num,
                      wire_of(ef->type));
            break;
        }
        json_t *v;
        if ((rc = value_json(d, ef, &r, &v, &zero)) != 0)
            break;
        json_t **slot = num == 1 ? &key : &val;
        json_decref(*slot);
        *slot = v;
    }
    if (rc == 0 && !key && !(key = json_string("")))
        rc = nomem(d);
    if (rc == 0 && !val) { /* an absent value is the zero value: decode an empty one */
        bool zero;
        if (wire_of(vf->type) == 2) {
            static const uint8_t empty[1] = { 0 }; /* a zero length prefix */
            struct rd er = { empty, empty + 1 };
            rc = value_json(d, vf, &er, &val, &zero);
        } else {
            rc = scalar_json(d, vf->type, 0, &val, &zero);
        }
    }
    if (rc == 0) {
        json_t *m = child(obj, f->json, false);
        if (!m) {
            rc = nomem(d);
        } else {
            /* setn_new takes val even when it fails */
            if (json_object_setn_new_nocheck(m, json_string_value(key), json_string_length(key), val) != 0)
                rc = nomem(d);
            val = NULL;
        }
    }
    json_decref(key);
    json_decref(val);
    return rc;
}

/* One occurrence of field f (its key read, wire type wt) into obj. */
static int
decode_field(struct dec *d, const struct kc_k8sproto_field *f, int wt, struct rd *r, json_t *obj)
{
    int want = wire_of(f->type), rc;
    bool repeated = f->flags & KC_K8SPROTO_F_REPEATED, zero;
    const uint8_t *p;
    size_t n;
    json_t *v;

    if (repeated && want != 2 && wt == 2) { /* packed scalars */
        if ((rc = read_bytes(d, r, f->number, &p, &n)) != 0)
            return rc;
        struct rd pr = { p, p + n };
        while (pr.p < pr.end) {
            uint64_t raw;
            if ((rc = read_scalar(d, &pr, f->type, &raw)) != 0 || (rc = scalar_json(d, f->type, raw, &v, &zero)) != 0)
                return rc;
            if ((rc = append(d, obj, f->json, v)) != 0)
                return rc;
        }
        return 0;
    }
    if (wt != want)
        return fail(d, KC_EPARSE, "wrong wire type %d for field %" PRIu32 " (expected %d)", wt, f->number, want);
    if (f->flags & KC_K8SPROTO_F_MAP) {
        if ((rc = read_bytes(d, r, f->number, &p, &n)) != 0)
            return rc;
        if (d->depth >= KC_K8SPROTO_MAX_DEPTH)
            return fail(d, KC_EPARSE, "messages nested deeper than %d", KC_K8SPROTO_MAX_DEPTH);
        d->depth++;
        rc = map_entry(d, f, p, n, obj);
        d->depth--;
        return rc;
    }
    if (f->flags & KC_K8SPROTO_F_INLINE) {
        if ((rc = read_bytes(d, r, f->number, &p, &n)) != 0)
            return rc;
        if (d->depth >= KC_K8SPROTO_MAX_DEPTH)
            return fail(d, KC_EPARSE, "messages nested deeper than %d", KC_K8SPROTO_MAX_DEPTH);
        d->depth++;
        rc = decode_fields(d, f->msg, p, n, obj);
        d->depth--;
        return rc;
    }
    if (repeated) {
        if ((rc = value_json(d, f, r, &v, &zero)) != 0)
            return rc;
        return append(d, obj, f->json, v);
    }
    if (f->type == KC_K8SPROTO_MESSAGE && f->msg->special == KC_K8SPROTO_SP_NONE) {
        /* decoding into the object already there merges a repeated occurrence, as protobuf does */
        if ((rc = read_bytes(d, r, f->number, &p, &n)) != 0)
            return rc;
        if (d->depth >= KC_K8SPROTO_MAX_DEPTH)
            return fail(d, KC_EPARSE, "messages nested deeper than %d", KC_K8SPROTO_MAX_DEPTH);
        json_t *o = child(obj, f->json, false);
        if (!o)
            return nomem(d);
        d->depth++;
        rc = decode_fields(d, f->msg, p, n, o);
        d->depth--;
        if (rc == 0 && json_object_size(o) == 0 && !(f->flags & KC_K8SPROTO_F_NULLABLE))
            json_object_del(obj, f->json);
        return rc;
    }
    if ((rc = value_json(d, f, r, &v, &zero)) != 0)
        return rc;
    if (json_is_null(v) || (zero && !(f->flags & KC_K8SPROTO_F_NULLABLE))) {
        json_decref(v);
        json_object_del(obj, f->json);
        return 0;
    }
    return json_object_set_new_nocheck(obj, f->json, v) == 0 ? 0 : nomem(d);
}

/* Decodes the fields in [p, p + n) of message m into the object obj. */
static int
decode_fields(struct dec *d, const struct kc_k8sproto_msg *m, const uint8_t *p, size_t n, json_t *obj)
{
    struct rd r = { p, p + n };
    while (r.p < r.end) {
        uint32_t num;
        int wt, rc;
        if ((rc = read_key(d, &r, &num, &wt)) != 0)
            return rc;
        const struct kc_k8sproto_field *f = kc_k8sproto_field_find(m, num);
        if (!f) {
            rc = skip(d, &r, num, wt, 0);
        } else {
            push(d, f->json);
            rc = decode_field(d, f, wt, &r, obj);
            pop(d);
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* --- lookups --- */

static int
msg_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct kc_k8sproto_msg *)elem)->name);
}

const struct kc_k8sproto_msg *
kc_k8sproto_find(const char *name)
{
    if (!name)
        return NULL;
    return bsearch(name, kc_k8sproto_gen_msgs, kc_k8sproto_gen_nmsgs, sizeof(kc_k8sproto_gen_msgs[0]), msg_cmp);
}

const struct kc_k8sproto_field *
kc_k8sproto_field_find(const struct kc_k8sproto_msg *m, uint32_t number)
{
    if (!m)
        return NULL;
    size_t lo = 0, hi = m->nfields;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->fields[mid].number == number)
            return &m->fields[mid];
        if (m->fields[mid].number < number)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct kc_k8sproto_msg *
kc_k8sproto_find_kind(const char *api_version, const char *kind)
{
    char group[MAX_NAME], name[MAX_NAME + 16];
    if (!api_version || !kind)
        return NULL;
    const char *slash = strchr(api_version, '/'), *version = slash ? slash + 1 : api_version;
    size_t glen = slash ? (size_t)(slash - api_version) : 0;
    if (glen >= sizeof(group))
        return NULL;
    memcpy(group, api_version, glen);
    group[glen] = '\0';
    const struct kc_schema *s = kc_schema_find_gvk(group, version, kind);
    /* OpenAPI writes the Go package path reversed: io.k8s.api.core.v1.Pod is k8s.io/api/core/v1 Pod, which
     * gogo names k8s.io.api.core.v1.Pod */
    if (!s || !s->name || strncmp(s->name, "io.k8s.", 7) != 0 ||
        snprintf(name, sizeof(name), "k8s.io.%s", s->name + 7) >= (int)sizeof(name))
        return NULL;
    return kc_k8sproto_find(name);
}

int
kc_k8sproto_is_media_type(const char *ct)
{
    static const char mt[] = KC_K8SPROTO_MEDIA_TYPE;
    if (!ct)
        return 0;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = strcspn(ct, ";");
    while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    return n == sizeof(mt) - 1 && strncasecmp(ct, mt, n) == 0;
}

/* --- the envelope --- */

/* The index in m->fields of the field whose (proto) name is name, or -1. */
static int
field_named(const struct kc_k8sproto_msg *m, const char *name)
{
    for (int i = 0; m && i < m->nfields && i < MAX_SLOTS; i++)
        if (strcmp(m->fields[i].json, name) == 0)
            return i;
    return -1;
}

/* A TypeMeta string (apiVersion, kind) as a C string: valid UTF-8, no NUL, under MAX_NAME bytes; empty when
 * the slot is unset. */
static int
type_string(struct dec *d, const char *what, const struct slot *s, char out[MAX_NAME])
{
    size_t n = s->set ? s->n : 0;
    if (n >= MAX_NAME)
        return fail(d, KC_EPARSE, "%s longer than %d bytes", what, MAX_NAME - 1);
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq(s->p + i, n - i);
        if (l == 0 || s->p[i] == 0)
            return fail(d, KC_EPARSE, "%s is not a valid name (invalid UTF-8 or NUL)", what);
        i += l;
    }
    if (n)
        memcpy(out, s->p, n);
    out[n] = '\0';
    return 0;
}

static int
decode_envelope(struct dec *d, const uint8_t *p, size_t n, const char *dav, const char *dkind, json_t **out)
{
    const struct kc_k8sproto_msg *unk = kc_k8sproto_find("k8s.io.apimachinery.pkg.runtime.Unknown"),
                                 *tm = kc_k8sproto_find("k8s.io.apimachinery.pkg.runtime.TypeMeta");
    int i_tm = field_named(unk, "typeMeta"), i_raw = field_named(unk, "raw"), i_av = field_named(tm, "apiVersion"),
        i_kind = field_named(tm, "kind"), rc;
    struct slot us[MAX_SLOTS], ts[MAX_SLOTS];
    char av[MAX_NAME], kind[MAX_NAME];

    if (i_tm < 0 || i_raw < 0 || i_av < 0 || i_kind < 0)
        return fail(d, KC_EINTERNAL, "the protobuf table lacks runtime.Unknown or runtime.TypeMeta");
    if (n == 0)
        return fail(d, KC_EPARSE, "empty data");
    if (n < MAGIC_LEN || memcmp(p, MAGIC, MAGIC_LEN) != 0)
        return fail(d, KC_EPARSE,
                    "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]");
    if (n == MAGIC_LEN)
        return fail(d, KC_EPARSE, "empty body");
    if (d->depth >= KC_K8SPROTO_MAX_DEPTH)
        return fail(d, KC_EPARSE, "messages nested deeper than %d", KC_K8SPROTO_MAX_DEPTH);
    d->depth++;
    if ((rc = read_slots(d, unk, p + MAGIC_LEN, n - MAGIC_LEN, us)) != 0)
        goto out;
    push(d, unk->fields[i_tm].json);
    rc = read_slots(d, tm, us[i_tm].set ? us[i_tm].p : p, us[i_tm].set ? us[i_tm].n : 0, ts);
    if (rc == 0)
        rc = type_string(d, "apiVersion", &ts[i_av], av);
    if (rc == 0)
        rc = type_string(d, "kind", &ts[i_kind], kind);
    pop(d);
    if (rc != 0)
        goto out;
    if (!av[0] && dav && strlen(dav) < sizeof(av))
        strcpy(av, dav);
    if (!kind[0] && dkind && strlen(dkind) < sizeof(kind))
        strcpy(kind, dkind);
    if (!kind[0]) {
        rc = fail(d, KC_EPARSE, "Object 'Kind' is missing in the protobuf envelope");
        goto out;
    }
    if (!av[0]) {
        rc = fail(d, KC_EPARSE, "Object 'apiVersion' is missing in the protobuf envelope");
        goto out;
    }
    const struct kc_k8sproto_msg *m = kc_k8sproto_find_kind(av, kind);
    if (!m || m->special != KC_K8SPROTO_SP_NONE) {
        rc = fail(d, KC_EUNSUPPORTED, "no protobuf schema for kind \"%s\" in version \"%s\"", kind, av);
        goto out;
    }
    json_t *obj = json_object();
    if (!obj || json_object_set_new(obj, "apiVersion", json_string(av)) != 0 ||
        json_object_set_new(obj, "kind", json_string(kind)) != 0) {
        json_decref(obj);
        rc = nomem(d);
        goto out;
    }
    rc = decode_fields(d, m, us[i_raw].set ? us[i_raw].p : p, us[i_raw].set ? us[i_raw].n : 0, obj);
    if (rc != 0) {
        json_decref(obj);
        goto out;
    }
    *out = obj;
out:
    d->depth--;
    return rc;
}

int
kc_k8sproto_decode(const void *buf, size_t len, const char *default_api_version, const char *default_kind, json_t **out,
                   char *errbuf, size_t errlen)
{
    struct dec d = { .err = errbuf, .errlen = errlen };
    json_t *obj = NULL;
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (!buf && len > 0)
        return fail(&d, KC_EPARSE, "no data");
    int rc = decode_envelope(&d, buf ? buf : "", len, default_api_version, default_kind, &obj);
    if (rc == 0)
        *out = obj;
    return rc;
}

int
kc_k8sproto_decode_message(const struct kc_k8sproto_msg *m, const void *buf, size_t len, json_t **out, char *errbuf,
                           size_t errlen)
{
    struct dec d = { .err = errbuf, .errlen = errlen };
    const uint8_t *p = buf ? buf : (const uint8_t *)"";
    json_t *v = NULL;
    bool zero;
    int rc;
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (!m || m->special == KC_K8SPROTO_SP_MAP_ENTRY)
        return fail(&d, KC_EINVALID, "no message type, or a map entry");
    if (!buf && len > 0)
        return fail(&d, KC_EPARSE, "no data");
    d.depth = 1;
    if (m->special != KC_K8SPROTO_SP_NONE) {
        rc = special_json(&d, m, p, len, &v, &zero);
    } else if (!(v = json_object())) {
        rc = nomem(&d);
    } else if ((rc = decode_fields(&d, m, p, len, v)) != 0) {
        json_decref(v);
    }
    if (rc == 0)
        *out = v;
    return rc;
}
