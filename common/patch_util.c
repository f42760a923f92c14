/* patch_util.c - the Go-value helpers of the patch code: types, == and DeepEqual on jansson values, fmt's %v
 * text, the error context, kept temporaries, vectors, Go's stable sort and the schema lookups. */
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_schema.h"
#include "patch_int.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum pt_gotype
pt_gotype(const json_t *v)
{
    if (!v)
        return PT_NIL;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return PT_MAP;
    case JSON_ARRAY:
        return PT_SLICE;
    case JSON_STRING:
        return PT_STRING;
    case JSON_INTEGER:
        return PT_INT;
    case JSON_REAL:
        return PT_FLOAT;
    case JSON_TRUE:
    case JSON_FALSE:
        return PT_BOOL;
    case JSON_NULL:
    default:
        return PT_NIL;
    }
}

bool
pt_go_eq(const json_t *a, const json_t *b)
{
    enum pt_gotype ta = pt_gotype(a), tb = pt_gotype(b);

    if (ta != tb)
        return false;
    switch (ta) {
    case PT_NIL:
        return true;
    case PT_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case PT_INT:
        return json_integer_value(a) == json_integer_value(b);
    case PT_FLOAT:
        return json_real_value(a) == json_real_value(b);
    case PT_BOOL:
        return json_is_true(a) == json_is_true(b);
    default:
        return a == b;
    }
}

bool
pt_deep_equal(const json_t *a, const json_t *b)
{
    enum pt_gotype ta = pt_gotype(a), tb = pt_gotype(b);

    if (ta != tb)
        return false;
    if (ta == PT_MAP) {
        const char *k;
        json_t *va;
        if (json_object_size(a) != json_object_size(b))
            return false;
        json_object_foreach((json_t *)a, k, va)
        {
            json_t *vb = json_object_get(b, k);
            if (!vb || !pt_deep_equal(va, vb))
                return false;
        }
        return true;
    }
    if (ta == PT_SLICE) {
        size_t n = json_array_size(a);
        if (n != json_array_size(b))
            return false;
        for (size_t i = 0; i < n; i++)
            if (!pt_deep_equal(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    }
    return pt_go_eq(a, b);
}

void
pt_buf_putn(struct pt_buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = kc_realloc(b->s, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

void
pt_buf_puts(struct pt_buf *b, const char *s)
{
    pt_buf_putn(b, s, strlen(s));
}

void
pt_buf_free(struct pt_buf *b)
{
    free(b->s);
    b->s = NULL;
    b->n = b->cap = 0;
}

/* strconv.FormatFloat(d, 'g', -1, 64): the shortest digits that read back as d, in %e form when the decimal
 * exponent is below -4 or at least 6 (Go uses 6 as the precision for that decision in shortest mode). */
static void
put_go_float(struct pt_buf *b, double d)
{
    char tmp[64], digits[32];
    int prec, exp, nd = 0;

    if (isinf(d)) {
        pt_buf_puts(b, d > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (isnan(d)) {
        pt_buf_puts(b, "NaN");
        return;
    }
    if (d == 0) {
        pt_buf_puts(b, signbit(d) ? "-0" : "0");
        return;
    }
    for (prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    const char *p = tmp;
    if (*p == '-') {
        pt_buf_putn(b, "-", 1);
        p++;
    }
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    exp = *p == 'e' ? atoi(p + 1) : 0;
    if (exp < -4 || exp >= 6) {
        pt_buf_putn(b, digits, 1);
        if (nd > 1) {
            pt_buf_putn(b, ".", 1);
            pt_buf_putn(b, digits + 1, (size_t)nd - 1);
        }
        snprintf(tmp, sizeof(tmp), "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
        pt_buf_puts(b, tmp);
        return;
    }
    int dp = exp + 1; /* digits before the decimal point */
    if (dp <= 0) {
        pt_buf_puts(b, "0.");
        for (int i = 0; i < -dp; i++)
            pt_buf_putn(b, "0", 1);
        pt_buf_putn(b, digits, (size_t)nd);
        return;
    }
    for (int i = 0; i < dp; i++)
        pt_buf_putn(b, i < nd ? &digits[i] : "0", 1);
    if (nd > dp) {
        pt_buf_putn(b, ".", 1);
        pt_buf_putn(b, digits + dp, (size_t)(nd - dp));
    }
}

static int
cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
put_scalar_bad_verb(struct pt_buf *b, const json_t *v, const char *type)
{
    pt_buf_puts(b, "%!s(");
    pt_buf_puts(b, type);
    pt_buf_putn(b, "=", 1);
    pt_buf_go(b, v, 'v');
    pt_buf_putn(b, ")", 1);
}

void
pt_buf_go(struct pt_buf *b, const json_t *v, char verb)
{
    char tmp[32];

    switch (pt_gotype(v)) {
    case PT_NIL:
        pt_buf_puts(b, verb == 's' ? "%!s(<nil>)" : "<nil>");
        return;
    case PT_STRING:
        pt_buf_putn(b, json_string_value(v), json_string_length(v));
        return;
    case PT_INT:
        if (verb == 's') {
            put_scalar_bad_verb(b, v, "int64");
            return;
        }
        snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        pt_buf_puts(b, tmp);
        return;
    case PT_FLOAT:
        if (verb == 's') {
            put_scalar_bad_verb(b, v, "float64");
            return;
        }
        put_go_float(b, json_real_value(v));
        return;
    case PT_BOOL:
        if (verb == 's') {
            put_scalar_bad_verb(b, v, "bool");
            return;
        }
        pt_buf_puts(b, json_is_true(v) ? "true" : "false");
        return;
    case PT_SLICE:
        pt_buf_putn(b, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                pt_buf_putn(b, " ", 1);
            pt_buf_go(b, json_array_get(v, i), verb);
        }
        pt_buf_putn(b, "]", 1);
        return;
    case PT_MAP: {
        size_t n = json_object_size(v), i = 0;
        const char **keys = n ? kc_calloc(n, sizeof(*keys)) : NULL;
        const char *k;
        json_t *val;
        if (n && !keys) {
            b->oom = true;
            return;
        }
        json_object_foreach((json_t *)v, k, val)
        {
            keys[i++] = k;
        }
        qsort(keys, n, sizeof(*keys), cmp_keys);
        pt_buf_puts(b, "map[");
        for (i = 0; i < n; i++) {
            if (i)
                pt_buf_putn(b, " ", 1);
            pt_buf_puts(b, keys[i]);
            pt_buf_putn(b, ":", 1);
            pt_buf_go(b, json_object_get(v, keys[i]), verb);
        }
        pt_buf_putn(b, "]", 1);
        free(keys);
        return;
    }
    }
}

void
pt_buf_gotype(struct pt_buf *b, const json_t *v)
{
    static const char *const names[] = {
        [PT_NIL] = "%!s(<nil>)",
        [PT_MAP] = "map[string]interface {}",
        [PT_SLICE] = "[]interface {}",
        [PT_STRING] = "string",
        [PT_INT] = "int64",
        [PT_FLOAT] = "float64",
        [PT_BOOL] = "bool",
    };
    pt_buf_puts(b, names[pt_gotype(v)]);
}

int
pt_sprint_v(const json_t *v, char **out, size_t *len)
{
    struct pt_buf b = { 0 };

    pt_buf_go(&b, v, 'v');
    if (!b.oom && !b.s)
        pt_buf_putn(&b, "", 0);
    if (b.oom) {
        pt_buf_free(&b);
        return -ENOMEM;
    }
    *out = b.s;
    *len = b.n;
    return 0;
}

int
pt_fail(struct pt_ctx *c, int code, const char *fmt, ...)
{
    struct pt_buf b = { 0 };
    va_list ap;
    char tmp[32];

    if (!c->err || c->errlen == 0)
        return code;
    va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            pt_buf_putn(&b, p, 1);
            continue;
        }
        p++;
        switch (*p) {
        case 's':
            pt_buf_puts(&b, va_arg(ap, const char *));
            break;
        case 'd':
            snprintf(tmp, sizeof(tmp), "%d", va_arg(ap, int));
            pt_buf_puts(&b, tmp);
            break;
        case 'z': /* %zu */
            p++;
            snprintf(tmp, sizeof(tmp), "%zu", va_arg(ap, size_t));
            pt_buf_puts(&b, tmp);
            break;
        case 'l': /* %ld */
            p++;
            snprintf(tmp, sizeof(tmp), "%ld", va_arg(ap, long));
            pt_buf_puts(&b, tmp);
            break;
        case 'V':
            pt_buf_go(&b, va_arg(ap, const json_t *), 'v');
            break;
        case 'S':
            pt_buf_go(&b, va_arg(ap, const json_t *), 's');
            break;
        case 'T':
            pt_buf_gotype(&b, va_arg(ap, const json_t *));
            break;
        case '%':
            pt_buf_putn(&b, "%", 1);
            break;
        default:
            p--;
            pt_buf_putn(&b, "%", 1);
            break;
        }
    }
    va_end(ap);
    if (b.oom) {
        pt_buf_free(&b);
        c->err[0] = '\0';
        return -ENOMEM;
    }
    snprintf(c->err, c->errlen, "%s", b.s ? b.s : "");
    pt_buf_free(&b);
    return code;
}

json_t *
pt_keep_new(struct pt_ctx *c, json_t *v)
{
    if (!v)
        return NULL;
    if (json_array_append_new(c->keep, v) != 0)
        return NULL;
    return v;
}

int
pt_keep(struct pt_ctx *c, json_t *v)
{
    if (!v)
        return 0;
    return json_array_append(c->keep, v) == 0 ? 0 : -ENOMEM;
}

int
pt_obj_set(struct pt_ctx *c, json_t *obj, const char *key, json_t *val)
{
    json_t *old = json_object_get(obj, key);

    if (old == val)
        return 0;
    if (old && pt_keep(c, old) != 0)
        return -ENOMEM;
    return json_object_set(obj, key, val) == 0 ? 0 : -ENOMEM;
}

int
pt_obj_del(struct pt_ctx *c, json_t *obj, const char *key)
{
    json_t *old = json_object_get(obj, key);

    if (!old)
        return 0;
    if (pt_keep(c, old) != 0)
        return -ENOMEM;
    json_object_del(obj, key);
    return 0;
}

json_t *
pt_obj_keys(struct pt_ctx *c, const json_t *obj)
{
    json_t *keys = pt_keep_new(c, json_array());
    const char *k;
    json_t *v;

    if (!keys)
        return NULL;
    json_object_foreach((json_t *)obj, k, v)
    {
        if (json_array_append_new(keys, json_string(k)) != 0)
            return NULL;
    }
    return keys;
}

int
pt_vec_push(struct pt_vec *vec, json_t *v)
{
    if (vec->n == vec->cap) {
        size_t cap = vec->cap ? vec->cap * 2 : 8;
        json_t **p = kc_realloc(vec->v, cap * sizeof(*p));
        if (!p)
            return -ENOMEM;
        vec->v = p;
        vec->cap = cap;
    }
    vec->v[vec->n++] = v;
    return 0;
}

int
pt_vec_append_array(struct pt_vec *vec, const json_t *arr)
{
    for (size_t i = 0; i < json_array_size(arr); i++)
        if (pt_vec_push(vec, json_array_get(arr, i)) != 0)
            return -ENOMEM;
    return 0;
}

void
pt_vec_free(struct pt_vec *vec)
{
    free(vec->v);
    vec->v = NULL;
    vec->n = vec->cap = 0;
}

json_t *
pt_vec_array(struct pt_ctx *c, const struct pt_vec *vec)
{
    json_t *a = pt_keep_new(c, json_array());

    if (!a)
        return NULL;
    for (size_t i = 0; i < vec->n; i++)
        if (json_array_append(a, vec->v[i]) != 0)
            return NULL;
    return a;
}

/* Go's sort.SliceStable, transcribed as an algorithm: the less function is called on the same pairs in the same
 * order, so the result matches Go's even when less is not a strict weak order (normalizeSliceOrder's is not for
 * items missing from the order list). */
struct stable {
    json_t **v;
    bool (*less)(const json_t *, const json_t *, void *);
    void *arg;
};

static bool
st_less(struct stable *s, size_t i, size_t j)
{
    return s->less(s->v[i], s->v[j], s->arg);
}

static void
st_swap(struct stable *s, size_t i, size_t j)
{
    json_t *t = s->v[i];
    s->v[i] = s->v[j];
    s->v[j] = t;
}

static void
st_insertion(struct stable *s, size_t a, size_t b)
{
    for (size_t i = a + 1; i < b; i++)
        for (size_t j = i; j > a && st_less(s, j, j - 1); j--)
            st_swap(s, j, j - 1);
}

static void
st_swap_range(struct stable *s, size_t a, size_t b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        st_swap(s, a + i, b + i);
}

static void
st_rotate(struct stable *s, size_t a, size_t m, size_t b)
{
    size_t i = m - a, j = b - m;

    while (i != j) {
        if (i > j) {
            st_swap_range(s, m - i, m, j);
            i -= j;
        } else {
            st_swap_range(s, m - i, m + j - i, i);
            j -= i;
        }
    }
    st_swap_range(s, m - i, m, i);
}

static void
st_sym_merge(struct stable *s, size_t a, size_t m, size_t b)
{
    if (m - a == 1) {
        size_t i = m, j = b;
        while (i < j) {
            size_t h = (i + j) / 2;
            if (st_less(s, h, a))
                i = h + 1;
            else
                j = h;
        }
        for (size_t k = a; k + 1 < i; k++)
            st_swap(s, k, k + 1);
        return;
    }
    if (b - m == 1) {
        size_t i = a, j = m;
        while (i < j) {
            size_t h = (i + j) / 2;
            if (!st_less(s, m, h))
                i = h + 1;
            else
                j = h;
        }
        for (size_t k = m; k > i; k--)
            st_swap(s, k, k - 1);
        return;
    }
    size_t mid = (a + b) / 2, n = mid + m, start, r;
    if (m > mid) {
        start = n - b;
        r = mid;
    } else {
        start = a;
        r = m;
    }
    size_t p = n - 1;
    while (start < r) {
        size_t cc = (start + r) / 2;
        if (!st_less(s, p - cc, cc))
            start = cc + 1;
        else
            r = cc;
    }
    size_t end = n - start;
    if (start < m && m < end)
        st_rotate(s, start, m, end);
    if (a < start && start < mid)
        st_sym_merge(s, a, start, mid);
    if (mid < end && end < b)
        st_sym_merge(s, mid, end, b);
}

void
pt_stable_sort(json_t **v, size_t n, bool (*less)(const json_t *a, const json_t *b, void *arg), void *arg)
{
    struct stable s = { v, less, arg };
    size_t block = 20, a = 0, b = block;

    while (b <= n) {
        st_insertion(&s, a, b);
        a = b;
        b += block;
    }
    st_insertion(&s, a, n);
    while (block < n) {
        a = 0;
        b = 2 * block;
        while (b <= n) {
            st_sym_merge(&s, a, a + block, b);
            a = b;
            b += 2 * block;
        }
        if (a + block < n)
            st_sym_merge(&s, a, a + block, n);
        block *= 2;
    }
}

struct texted {
    json_t *v;
    char *text;
    size_t len;
};

static int
cmp_text(const struct texted *a, const struct texted *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int r = memcmp(a->text, b->text, n);
    if (r)
        return r;
    return a->len < b->len ? -1 : a->len > b->len;
}

int
pt_sort_by_text(json_t **v, size_t n, const char *merge_key)
{
    struct texted *t, *tmp;
    int rc = 0;

    if (n < 2)
        return 0;
    t = kc_calloc(n, sizeof(*t));
    tmp = kc_calloc(n, sizeof(*tmp));
    if (!t || !tmp) {
        rc = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *k = merge_key ? json_object_get(v[i], merge_key) : v[i];
        t[i].v = v[i];
        if ((rc = pt_sprint_v(k, &t[i].text, &t[i].len)) != 0)
            goto out;
    }
    /* Bottom-up merge sort: stable. */
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = cmp_text(&t[j], &t[i]) < 0 ? t[j++] : t[i++];
            while (i < mid)
                tmp[k++] = t[i++];
            while (j < hi)
                tmp[k++] = t[j++];
        }
        memcpy(t, tmp, n * sizeof(*t));
    }
    for (size_t i = 0; i < n; i++)
        v[i] = t[i].v;
out:
    if (t)
        for (size_t i = 0; i < n; i++)
            free(t[i].text);
    free(t);
    free(tmp);
    return rc;
}

void
pt_lookup_struct(const struct kc_schema *s, const char *key, struct pt_meta *m)
{
    m->sub = NULL;
    m->merge_key = NULL;
    m->strategy = 0;
    if (!s)
        return;
    if (s->type == KC_SCHEMA_OBJECT) {
        const struct kc_schema_prop *p = kc_schema_prop_find(s, key);
        if (p) {
            m->sub = p->schema;
            m->merge_key = p->merge_key;
            m->strategy = p->patch_strategy;
        }
    } else if (s->type == KC_SCHEMA_MAP) {
        m->sub = s->elem;
    }
}

void
pt_lookup_slice(const struct kc_schema *s, const char *key, struct pt_meta *m)
{
    pt_lookup_struct(s, key, m);
    if (m->sub)
        m->sub = m->sub->type == KC_SCHEMA_ARRAY ? m->sub->elem : NULL;
}
