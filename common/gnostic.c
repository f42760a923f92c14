/* gnostic.c - the OpenAPI v2 document's JSON written as gnostic's openapi.v2 protobuf messages, driven by the
 * generated table in gnostic_gen.c (field numbers from kubectl's descriptor) and the per-message forms described
 * in kc_gnostic.h. */
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_gnostic.h"
#include "kc_pbwire.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WT_VARINT  0
#define WT_FIXED64 1
#define WT_LEN     2

const struct kc_gnostic_msg *
kc_gnostic_find(const char *name)
{
    if (!name)
        return NULL;
    size_t lo = 0, hi = kc_gnostic_gen_nmsgs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(kc_gnostic_gen_msgs[mid].name, name);
        if (c == 0)
            return &kc_gnostic_gen_msgs[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct kc_gnostic_field *
kc_gnostic_field_named(const struct kc_gnostic_msg *m, const char *name)
{
    if (!m || !name)
        return NULL;
    for (size_t i = 0; i < m->nfields; i++)
        if (strcmp(m->fields[i].name, name) == 0)
            return &m->fields[i];
    return NULL;
}

/* --- the output buffer and the JSON path for messages --- */

struct enc {
    unsigned char *p;
    size_t len, cap;
    int rc;    /* the first error (0 while all is well): KC_EINVALID or -ENOMEM */
    int depth; /* messages open */
    char *err; /* the caller's message buffer (may be NULL) */
    size_t errlen;
    char path[512]; /* the JSON path being encoded ("paths./api/v1/.get") */
    size_t plen;
};

static void
fail(struct enc *e, int rc, const char *fmt, ...)
{
    if (e->rc)
        return;
    e->rc = rc;
    if (!e->err || !e->errlen)
        return;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (e->plen)
        snprintf(e->err, e->errlen, "%s: %s", e->path, msg);
    else
        snprintf(e->err, e->errlen, "%s", msg);
}

/* Appends ".key" (or "key" at the top, "[i]" for an index) to the path; returns the length to restore. */
static size_t
path_push(struct enc *e, const char *key, long index)
{
    size_t old = e->plen;
    int n;
    if (key)
        n = snprintf(e->path + e->plen, sizeof(e->path) - e->plen, "%s%s", e->plen ? "." : "", key);
    else
        n = snprintf(e->path + e->plen, sizeof(e->path) - e->plen, "[%ld]", index);
    if (n > 0)
        e->plen += (size_t)n < sizeof(e->path) - e->plen ? (size_t)n : sizeof(e->path) - e->plen - 1;
    return old;
}

static void
path_pop(struct enc *e, size_t old)
{
    e->plen = old;
    e->path[old] = '\0';
}

static bool
reserve(struct enc *e, size_t n)
{
    if (e->rc)
        return false;
    if (e->cap - e->len >= n)
        return true;
    size_t cap = e->cap ? e->cap : 4096;
    while (cap - e->len < n) {
        if (cap > SIZE_MAX / 2) {
            fail(e, -ENOMEM, "out of memory");
            return false;
        }
        cap *= 2;
    }
    unsigned char *p = kc_realloc(e->p, cap);
    if (!p) {
        fail(e, -ENOMEM, "out of memory");
        return false;
    }
    e->p = p;
    e->cap = cap;
    return true;
}

static void
put_varint(struct enc *e, uint64_t v)
{
    if (reserve(e, 10))
        e->len += kc_pb_varint_put(e->p + e->len, v);
}

static void
put_key(struct enc *e, uint32_t number, unsigned wt)
{
    put_varint(e, ((uint64_t)number << 3) | wt);
}

static void
put_string(struct enc *e, uint32_t number, const char *s, size_t n)
{
    put_key(e, number, WT_LEN);
    put_varint(e, n);
    if (reserve(e, n)) {
        memcpy(e->p + e->len, s, n);
        e->len += n;
    }
}

/* A length-delimited field whose bytes are written after open_len: the length goes in front of them at
 * close_len (moving them by the length's size; messages nest only a few levels, so the copying stays small). */
static size_t
open_len(struct enc *e, uint32_t number)
{
    put_key(e, number, WT_LEN);
    return e->len;
}

static void
close_len(struct enc *e, size_t start)
{
    if (e->rc)
        return;
    size_t n = e->len - start, v = kc_pb_varint_len(n);
    if (!reserve(e, v))
        return;
    memmove(e->p + start + v, e->p + start, n);
    kc_pb_varint_put(e->p + start, n);
    e->len += v;
}

/* --- values --- */

static const char *
json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

static void enc_msg(struct enc *e, const struct kc_gnostic_msg *m, const json_t *v);

/* Writes one occurrence of field f (key and value) holding v. */
static void
enc_value(struct enc *e, const struct kc_gnostic_field *f, const json_t *v)
{
    switch (f->type) {
    case KC_GNOSTIC_STRING:
        if (!json_is_string(v)) {
            fail(e, KC_EINVALID, "%s where a string goes", json_kind(v));
            return;
        }
        put_string(e, f->number, json_string_value(v), json_string_length(v));
        return;
    case KC_GNOSTIC_BOOL:
        if (!json_is_boolean(v)) {
            fail(e, KC_EINVALID, "%s where a boolean goes", json_kind(v));
            return;
        }
        put_key(e, f->number, WT_VARINT);
        put_varint(e, json_is_true(v));
        return;
    case KC_GNOSTIC_INT64:
        if (!json_is_integer(v)) {
            fail(e, KC_EINVALID, "%s where an integer goes", json_kind(v));
            return;
        }
        put_key(e, f->number, WT_VARINT);
        put_varint(e, (uint64_t)json_integer_value(v)); /* negative: 10 bytes of two's complement, as protobuf */
        return;
    case KC_GNOSTIC_DOUBLE: {
        if (!json_is_number(v)) {
            fail(e, KC_EINVALID, "%s where a number goes", json_kind(v));
            return;
        }
        double d = json_number_value(v);
        uint64_t bits;
        memcpy(&bits, &d, sizeof(bits));
        put_key(e, f->number, WT_FIXED64);
        if (reserve(e, 8))
            for (int i = 0; i < 8; i++)
                e->p[e->len++] = (unsigned char)(bits >> (8 * i));
        return;
    }
    default: {
        if (!f->msg) {
            fail(e, KC_EINVALID, "field %s cannot be written", f->name);
            return;
        }
        size_t start = open_len(e, f->number);
        enc_msg(e, f->msg, v);
        close_len(e, start);
        return;
    }
    }
}

static bool
is_zero_scalar(const struct kc_gnostic_field *f, const json_t *v)
{
    switch (f->type) {
    case KC_GNOSTIC_STRING:
        return json_is_string(v) && json_string_length(v) == 0;
    case KC_GNOSTIC_BOOL:
        return json_is_false(v);
    case KC_GNOSTIC_INT64:
        return json_is_integer(v) && json_integer_value(v) == 0;
    case KC_GNOSTIC_DOUBLE:
        return json_is_number(v) && json_number_value(v) == 0;
    default:
        return false;
    }
}

/* A MEMBER or VALUES field holding v: each element of an array for a repeated field. */
static void
enc_field(struct enc *e, const struct kc_gnostic_field *f, const json_t *v)
{
    if (!(f->flags & KC_GNOSTIC_F_REPEATED)) {
        if (!is_zero_scalar(f, v))
            enc_value(e, f, v);
        return;
    }
    if (!json_is_array(v)) {
        fail(e, KC_EINVALID, "%s where a list goes", json_kind(v));
        return;
    }
    size_t i;
    const json_t *x;
    json_array_foreach(v, i, x)
    {
        size_t old = path_push(e, NULL, (long)i);
        enc_value(e, f, x);
        path_pop(e, old);
        if (e->rc)
            return;
    }
}

static int
key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool
is_vendor_key(const char *k)
{
    return k[0] == 'x' && k[1] == '-';
}

/* The keys of object v, sorted (byte order): a new array of n pointers into v, or NULL on failure (n == 0 gives
 * a valid empty result). */
static const char **
sorted_keys(struct enc *e, const json_t *v, size_t *n)
{
    *n = json_object_size(v);
    const char **keys = kc_malloc((*n ? *n : 1) * sizeof(*keys));
    if (!keys) {
        fail(e, -ENOMEM, "out of memory");
        return NULL;
    }
    size_t i = 0;
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x)
    {
        keys[i++] = k;
    }
    qsort(keys, *n, sizeof(*keys), key_cmp);
    return keys;
}

/* Which members of an object enc_entries writes. */
enum pick {
    PICK_VENDOR, /* the "x-" ones */
    PICK_OTHER,  /* the others */
    PICK_ALL,
};

/* The Named* entries of f (a VENDOR or ENTRIES field) for the members of v that pick selects, in key order. */
static void
enc_entries(struct enc *e, const struct kc_gnostic_field *f, const json_t *v, const char **keys, size_t n,
            enum pick pick)
{
    const struct kc_gnostic_msg *named = f->msg;
    const struct kc_gnostic_field *name = NULL, *value = NULL;
    for (size_t i = 0; named && i < named->nfields; i++) {
        if (named->fields[i].role == KC_GNOSTIC_ROLE_NAME)
            name = &named->fields[i];
        else if (named->fields[i].role == KC_GNOSTIC_ROLE_VALUE)
            value = &named->fields[i];
    }
    if (!named || named->form != KC_GNOSTIC_FORM_NAMED || !name || !value) {
        fail(e, KC_EINVALID, "field %s is not a list of named values", f->name);
        return;
    }
    for (size_t i = 0; i < n && !e->rc; i++) {
        if (pick != PICK_ALL && is_vendor_key(keys[i]) != (pick == PICK_VENDOR))
            continue;
        size_t old = path_push(e, keys[i], 0);
        size_t start = open_len(e, f->number);
        put_string(e, name->number, keys[i], strlen(keys[i]));
        enc_value(e, value, json_object_get(v, keys[i]));
        close_len(e, start);
        path_pop(e, old);
    }
}

static void
enc_object(struct enc *e, const struct kc_gnostic_msg *m, const json_t *v)
{
    size_t n;
    const char **keys = sorted_keys(e, v, &n);
    if (!keys)
        return;
    const struct kc_gnostic_field *vendor = NULL;
    for (size_t i = 0; i < m->nfields; i++)
        if (m->fields[i].role == KC_GNOSTIC_ROLE_VENDOR)
            vendor = &m->fields[i];
    /* every member must have a field: nothing of the document may be dropped silently */
    for (size_t i = 0; i < n && !e->rc; i++) {
        if (vendor && is_vendor_key(keys[i]))
            continue;
        bool known = false;
        for (size_t k = 0; k < m->nfields && !known; k++)
            known = m->fields[k].role == KC_GNOSTIC_ROLE_MEMBER && strcmp(m->fields[k].key, keys[i]) == 0;
        if (!known)
            fail(e, KC_EINVALID, "member \"%s\" is not a field of %s", keys[i], m->name);
    }
    for (size_t i = 0; i < m->nfields && !e->rc; i++) {
        const struct kc_gnostic_field *f = &m->fields[i];
        if (f->role == KC_GNOSTIC_ROLE_VENDOR) {
            enc_entries(e, f, v, keys, n, PICK_VENDOR);
        } else if (f->role == KC_GNOSTIC_ROLE_MEMBER) {
            const json_t *x = json_object_get(v, f->key);
            if (!x)
                continue;
            size_t old = path_push(e, f->key, 0);
            enc_field(e, f, x);
            path_pop(e, old);
        }
    }
    free(keys);
}

static void
enc_map(struct enc *e, const struct kc_gnostic_msg *m, const json_t *v)
{
    size_t n;
    const char **keys = sorted_keys(e, v, &n);
    if (!keys)
        return;
    bool has_vendor = false;
    for (size_t i = 0; i < m->nfields; i++)
        has_vendor |= m->fields[i].role == KC_GNOSTIC_ROLE_VENDOR;
    for (size_t i = 0; i < m->nfields && !e->rc; i++) {
        const struct kc_gnostic_field *f = &m->fields[i];
        if (f->role == KC_GNOSTIC_ROLE_VENDOR)
            enc_entries(e, f, v, keys, n, PICK_VENDOR);
        else if (f->role == KC_GNOSTIC_ROLE_ENTRIES) /* without a vendor field, "x-" members are entries too */
            enc_entries(e, f, v, keys, n, has_vendor ? PICK_OTHER : PICK_ALL);
    }
    free(keys);
}

static bool
member_is(const json_t *v, const char *key, const char *want)
{
    const char *s = json_string_value(json_object_get(v, key));
    return s && want && strcmp(s, want) == 0;
}

static bool
when_matches(const struct kc_gnostic_field *f, const json_t *v)
{
    switch (f->when) {
    case KC_GNOSTIC_WHEN_HAS_REF:
        return json_is_object(v) && json_object_get(v, "$ref");
    case KC_GNOSTIC_WHEN_IN:
        return json_is_object(v) && member_is(v, "in", f->when_value);
    case KC_GNOSTIC_WHEN_TYPE:
        return json_is_object(v) && member_is(v, "type", f->when_value);
    case KC_GNOSTIC_WHEN_FLOW:
        return json_is_object(v) && member_is(v, "type", "oauth2") && member_is(v, "flow", f->when_value);
    case KC_GNOSTIC_WHEN_IS_BOOL:
        return json_is_boolean(v);
    default:
        return false;
    }
}

static void
enc_oneof(struct enc *e, const struct kc_gnostic_msg *m, const json_t *v)
{
    const struct kc_gnostic_field *alt = NULL, *fallback = NULL;
    for (size_t i = 0; i < m->nfields && !alt; i++) {
        const struct kc_gnostic_field *f = &m->fields[i];
        if (f->when == KC_GNOSTIC_WHEN_ALWAYS)
            fallback = f;
        else if (when_matches(f, v))
            alt = f;
    }
    if (!alt)
        alt = fallback;
    if (!alt) {
        fail(e, KC_EINVALID, "%s matches no alternative of %s", json_kind(v), m->name);
        return;
    }
    enc_value(e, alt, v); /* an alternative is written even when it holds a zero value */
}

/* Any.yaml: the value as compact JSON text, written straight into the buffer. */
static void
enc_any(struct enc *e, const struct kc_gnostic_msg *m, const json_t *v)
{
    const struct kc_gnostic_field *yaml = NULL;
    for (size_t i = 0; i < m->nfields; i++)
        if (m->fields[i].role == KC_GNOSTIC_ROLE_YAML)
            yaml = &m->fields[i];
    if (!yaml) {
        fail(e, KC_EINVALID, "%s has no yaml field", m->name);
        return;
    }
    size_t flags = JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS, n = json_dumpb(v, NULL, 0, flags);
    if (n == 0) { /* every JSON value can be written: only an allocation (sorting the keys) can fail */
        fail(e, -ENOMEM, "out of memory");
        return;
    }
    put_key(e, yaml->number, WT_LEN);
    put_varint(e, n);
    if (!reserve(e, n))
        return;
    if (json_dumpb(v, (char *)e->p + e->len, n, flags) != n)
        fail(e, -ENOMEM, "out of memory");
    else
        e->len += n;
}

static void
enc_msg(struct enc *e, const struct kc_gnostic_msg *m, const json_t *v)
{
    if (e->rc)
        return;
    if (++e->depth > KC_GNOSTIC_MAX_DEPTH) {
        fail(e, KC_EINVALID, "nested deeper than %d", KC_GNOSTIC_MAX_DEPTH);
        e->depth--;
        return;
    }
    switch (m->form) {
    case KC_GNOSTIC_FORM_OBJECT:
    case KC_GNOSTIC_FORM_MAP:
        if (!json_is_object(v))
            fail(e, KC_EINVALID, "%s where an object (%s) goes", json_kind(v), m->name);
        else if (m->form == KC_GNOSTIC_FORM_OBJECT)
            enc_object(e, m, v);
        else
            enc_map(e, m, v);
        break;
    case KC_GNOSTIC_FORM_ONEOF:
        enc_oneof(e, m, v);
        break;
    case KC_GNOSTIC_FORM_ANY:
        enc_any(e, m, v);
        break;
    case KC_GNOSTIC_FORM_STRINGS:
    case KC_GNOSTIC_FORM_SCHEMAS: {
        const struct kc_gnostic_field *f = m->nfields == 1 ? &m->fields[0] : NULL;
        bool one = m->form == KC_GNOSTIC_FORM_STRINGS ? json_is_string(v) : json_is_object(v);
        if (!f || f->role != KC_GNOSTIC_ROLE_VALUES)
            fail(e, KC_EINVALID, "%s has no list field", m->name);
        else if (one)
            enc_value(e, f, v);
        else
            enc_field(e, f, v);
        break;
    }
    default:
        fail(e, KC_EINVALID, "%s cannot be written on its own", m->name);
        break;
    }
    e->depth--;
}

int
kc_gnostic_encode_message(const struct kc_gnostic_msg *m, const json_t *v, unsigned char **out, size_t *len,
                          char *errbuf, size_t errlen)
{
    struct enc e = { .err = errbuf, .errlen = errlen };
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (!m || !v || !out || !len) {
        fail(&e, KC_EINVALID, "no message or value");
        return KC_EINVALID;
    }
    if (m->form == KC_GNOSTIC_FORM_NAMED) {
        fail(&e, KC_EINVALID, "%s cannot be written on its own", m->name);
        return KC_EINVALID;
    }
    reserve(&e, 1); /* a buffer even for an empty message */
    enc_msg(&e, m, v);
    if (e.rc) {
        free(e.p);
        return e.rc;
    }
    *out = e.p;
    *len = e.len;
    return 0;
}

int
kc_gnostic_encode(const json_t *doc, unsigned char **out, size_t *len, char *errbuf, size_t errlen)
{
    if (!json_is_object(doc)) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "the document is %s, not an object", doc ? json_kind(doc) : "missing");
        return KC_EINVALID;
    }
    return kc_gnostic_encode_message(kc_gnostic_find("openapi.v2.Document"), doc, out, len, errbuf, errlen);
}
