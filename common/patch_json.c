/* patch_json.c - RFC 7386 JSON merge patch and RFC 6902 JSON patch. The JSON patch follows
 * gopkg.in/evanphx/json-patch.v4 as kube-apiserver runs it, quirks and messages included (see kc_patch.h). */
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_patch.h"
#include "patch_int.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 7386 MergePatch(target, patch); returns a new reference (NULL on -ENOMEM). target is a borrowed value of
 * the working copy (may be NULL). */
static json_t *
merge_patch(json_t *target, const json_t *patch)
{
    const char *k;
    json_t *v;

    if (!json_is_object(patch))
        return json_deep_copy(patch);
    json_t *t = json_is_object(target) ? json_incref(target) : json_object();
    if (!t)
        return NULL;
    json_object_foreach((json_t *)patch, k, v)
    {
        if (json_is_null(v)) {
            json_object_del(t, k);
            continue;
        }
        json_t *nv = merge_patch(json_object_get(t, k), v);
        if (!nv || json_object_set_new(t, k, nv) != 0) {
            json_decref(t);
            return NULL;
        }
    }
    return t;
}

int
kc_patch_merge(json_t **doc, const json_t *patch)
{
    if (!doc || !*doc || !patch)
        return KC_EINVALID;
    json_t *copy = json_deep_copy(*doc);
    if (!copy)
        return -ENOMEM;
    json_t *res = merge_patch(copy, patch);
    json_decref(copy);
    if (!res)
        return -ENOMEM;
    json_decref(*doc);
    *doc = res;
    return 0;
}

/* --- JSON patch (evanphx/json-patch v4) --- */

#define JP_MISSING       "missing value"
#define JP_INVALID_INDEX "invalid index referenced"

struct jp {
    struct pt_ctx c;
    char msg[512]; /* the message of a container operation, wrapped by the operation */
};

static int jp_fail(struct jp *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
jp_fail(struct jp *j, const char *fmt, ...)
{
    va_list ap;

    if (j->c.err && j->c.errlen) {
        va_start(ap, fmt);
        vsnprintf(j->c.err, j->c.errlen, fmt, ap);
        va_end(ap);
    }
    return KC_EINVALID;
}

/* Container errors are staged in j->msg; they return -1. */
static int jp_msg(struct jp *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
jp_msg(struct jp *j, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(j->msg, sizeof(j->msg), fmt, ap);
    va_end(ap);
    return -1;
}

/* strconv.Quote for the common cases. */
static void
go_quote(const char *s, char *out, size_t outlen)
{
    size_t n = 0;

#define PUT(ch)              \
    do {                     \
        if (n + 1 < outlen)  \
            out[n++] = (ch); \
    } while (0)
    PUT('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        static const char hex[] = "0123456789abcdef";
        switch (*p) {
        case '"':
        case '\\':
            PUT('\\');
            PUT((char)*p);
            break;
        case '\n':
            PUT('\\');
            PUT('n');
            break;
        case '\t':
            PUT('\\');
            PUT('t');
            break;
        case '\r':
            PUT('\\');
            PUT('r');
            break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                PUT('\\');
                PUT('x');
                PUT(hex[*p >> 4]);
                PUT(hex[*p & 15]);
            } else {
                PUT((char)*p);
            }
        }
    }
    PUT('"');
    out[n] = '\0';
#undef PUT
}

/* strconv.Atoi. Returns 0, or -1 with the Go error text in j->msg. */
static int
go_atoi(struct jp *j, const char *s, long long *out)
{
    char q[256];
    const char *p = s;
    bool neg = false;
    unsigned long long v = 0;

    go_quote(s, q, sizeof(q));
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    if (!*p)
        return jp_msg(j, "strconv.Atoi: parsing %s: invalid syntax", q);
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return jp_msg(j, "strconv.Atoi: parsing %s: invalid syntax", q);
        if (v > (unsigned long long)LLONG_MAX / 10 + 1) {
            v = (unsigned long long)LLONG_MAX + 2;
            continue;
        }
        v = v * 10 + (unsigned)(*p - '0');
    }
    if ((!neg && v > (unsigned long long)LLONG_MAX) || (neg && v > (unsigned long long)LLONG_MAX + 1))
        return jp_msg(j, "strconv.Atoi: parsing %s: value out of range", q);
    *out = neg ? (long long)(0 - v) : (long long)v;
    return 0;
}

/* partialArray.get: Go's negative-index handling, then the bounds check. */
static int
ary_index(struct jp *j, const json_t *a, const char *key, size_t *idx)
{
    long long i, n = (long long)json_array_size(a);

    if (go_atoi(j, key, &i) != 0)
        return -1;
    if (i < 0) {
        if (i < -n)
            return jp_msg(j, "Unable to access invalid index: %lld: " JP_INVALID_INDEX, i);
        i += n;
    }
    if (i >= n)
        return jp_msg(j, "Unable to access invalid index: %lld: " JP_INVALID_INDEX, i);
    *idx = (size_t)i;
    return 0;
}

/* container.get: *val is NULL for a missing member (and for a null one: Go's nil). */
static int
con_get(struct jp *j, json_t *con, const char *key, json_t **val)
{
    size_t i = 0;

    if (json_is_object(con)) {
        *val = json_object_get(con, key);
        if (json_is_null(*val))
            *val = NULL;
        return 0;
    }
    if (ary_index(j, con, key, &i) != 0)
        return -1;
    *val = json_array_get(con, i);
    if (json_is_null(*val))
        *val = NULL;
    return 0;
}

/* container.add; steals val (NULL: null). */
static int
con_add(struct jp *j, json_t *con, const char *key, json_t *val)
{
    long long i, sz;

    if (!val)
        val = json_null();
    if (json_is_object(con))
        return json_object_set_new(con, key, val) == 0 ? 0 : -ENOMEM;
    if (strcmp(key, "-") == 0)
        return json_array_append_new(con, val) == 0 ? 0 : -ENOMEM;
    if (go_atoi(j, key, &i) != 0) {
        char atoi_msg[sizeof(j->msg)];
        snprintf(atoi_msg, sizeof(atoi_msg), "%s", j->msg);
        json_decref(val);
        return jp_msg(j, "value was not a proper array index: '%s': %s", key, atoi_msg);
    }
    sz = (long long)json_array_size(con) + 1;
    if (i >= sz || (i < 0 && i < -sz)) {
        json_decref(val);
        return jp_msg(j, "Unable to access invalid index: %lld: " JP_INVALID_INDEX, i);
    }
    if (i < 0)
        i += sz;
    return json_array_insert_new(con, (size_t)i, val) == 0 ? 0 : -ENOMEM;
}

/* container.remove. */
static int
con_remove(struct jp *j, json_t *con, const char *key)
{
    long long i, n;

    if (json_is_object(con)) {
        if (!json_object_get(con, key))
            return jp_msg(j, "Unable to remove nonexistent key: %s: " JP_MISSING, key);
        json_object_del(con, key);
        return 0;
    }
    if (go_atoi(j, key, &i) != 0)
        return -1;
    n = (long long)json_array_size(con);
    if (i >= n)
        return jp_msg(j, "Unable to access invalid index: %lld: " JP_INVALID_INDEX, i);
    if (i < 0) {
        if (i < -n)
            return jp_msg(j, "Unable to access invalid index: %lld: " JP_INVALID_INDEX, i);
        i += n;
    }
    json_array_remove(con, (size_t)i);
    return 0;
}

/* container.set (replace, after a successful get); steals val. */
static int
con_set(struct jp *j, json_t *con, const char *key, json_t *val)
{
    size_t i = 0;

    if (!val)
        val = json_null();
    if (json_is_object(con))
        return json_object_set_new(con, key, val) == 0 ? 0 : -ENOMEM;
    if (ary_index(j, con, key, &i) != 0) {
        json_decref(val);
        return -1;
    }
    return json_array_set_new(con, i, val) == 0 ? 0 : -ENOMEM;
}

/* decodePatchKey: "~1" -> "/", "~0" -> "~", one left-to-right pass. Writes into out (len+1 bytes). */
static void
decode_key(const char *s, size_t len, char *out)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        if (s[i] == '~' && i + 1 < len && (s[i + 1] == '0' || s[i + 1] == '1')) {
            out[n++] = s[i + 1] == '1' ? '/' : '~';
            i++;
        } else {
            out[n++] = s[i];
        }
    }
    out[n] = '\0';
}

/* findObject: the container holding path's last segment, and that segment decoded into key (a buffer of
 * strlen(path)+1 bytes). *con is NULL when the path does not resolve. The first segment (before the first '/')
 * is ignored, as strings.Split(path, "/")[1:] does. */
static void
find_object(struct jp *j, json_t *root, const char *path, json_t **con, char *key)
{
    const char *first = strchr(path, '/');
    json_t *doc = root;

    *con = NULL;
    if (!first)
        return;
    const char *seg = first + 1;
    for (;;) {
        const char *end = strchr(seg, '/');
        if (!end)
            break;
        json_t *next;
        decode_key(seg, (size_t)(end - seg), key);
        if (con_get(j, doc, key, &next) != 0 || !next)
            return;
        if (!json_is_object(next) && !json_is_array(next))
            return;
        doc = next;
        seg = end + 1;
    }
    decode_key(seg, strlen(seg), key);
    *con = doc;
}

/* Operation.Path()/From(): 0 with *s, 1 when absent or null, 2 when not a string (msg: Go's error). */
static int
op_string(struct jp *j, const json_t *op, const char *field, const char **s)
{
    const json_t *v = json_object_get(op, field);

    if (!v || json_is_null(v))
        return 1;
    if (!json_is_string(v)) {
        const char *kind = json_is_object(v)    ? "object"
                           : json_is_array(v)   ? "array"
                           : json_is_boolean(v) ? "bool"
                                                : "number";
        jp_msg(j, "json: cannot unmarshal %s into Go value of type string", kind);
        return 2;
    }
    *s = json_string_value(v);
    return 0;
}

/* The error text of Path()/From() for rc 1 and 2. */
static const char *
op_string_err(struct jp *j, int rc, const char *field)
{
    if (rc == 1) {
        if (strcmp(field, "path") == 0)
            snprintf(j->msg, sizeof(j->msg), "operation missing path field: " JP_MISSING);
        else
            snprintf(j->msg, sizeof(j->msg), "operation, missing from field: " JP_MISSING);
    }
    return j->msg;
}

/* op["value"], deep-copied (NULL when absent or null, i.e. Go's nil node). */
static int
op_value(const json_t *op, json_t **out)
{
    const json_t *v = json_object_get(op, "value");

    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    *out = json_deep_copy(v);
    return *out ? 0 : -ENOMEM;
}

/* Buffers for a decoded key, sized for the path. */
static char *
key_buf(const char *path)
{
    return kc_malloc(strlen(path) + 1);
}

static int
op_add(struct jp *j, json_t *root, const json_t *op)
{
    const char *path;
    json_t *con, *val;
    int rc;

    if (op_string(j, op, "path", &path) != 0)
        return jp_fail(j, "add operation failed to decode path: " JP_MISSING);
    char *key = key_buf(path);
    if (!key)
        return -ENOMEM;
    find_object(j, root, path, &con, key);
    if (!con) {
        rc = jp_fail(j, "add operation does not apply: doc is missing path: \"%s\": " JP_MISSING, path);
    } else if ((rc = op_value(op, &val)) == 0 && (rc = con_add(j, con, key, val)) == -1) {
        rc = jp_fail(j, "error in add for path: '%s': %s", path, j->msg);
    }
    free(key);
    return rc;
}

static int
op_remove(struct jp *j, json_t *root, const json_t *op)
{
    const char *path;
    json_t *con;
    int rc = 0;

    if (op_string(j, op, "path", &path) != 0)
        return jp_fail(j, "remove operation failed to decode path: " JP_MISSING);
    char *key = key_buf(path);
    if (!key)
        return -ENOMEM;
    find_object(j, root, path, &con, key);
    if (!con)
        rc = jp_fail(j, "remove operation does not apply: doc is missing path: \"%s\": " JP_MISSING, path);
    else if (con_remove(j, con, key) != 0)
        rc = jp_fail(j, "error in remove for path: '%s': %s", path, j->msg);
    free(key);
    return rc;
}

static int
op_replace(struct jp *j, json_t **rootp, const json_t *op)
{
    const char *path;
    json_t *con, *val, *cur;
    int rc, prc;

    if ((prc = op_string(j, op, "path", &path)) != 0)
        return jp_fail(j, "replace operation failed to decode path: %s", op_string_err(j, prc, "path"));
    if (*path == '\0') {
        const json_t *v = json_object_get(op, "value");
        if (!json_is_object(v) && !json_is_array(v))
            return jp_fail(j, "replace operation value must be object or array: %%!w(<nil>)");
        json_t *copy = json_deep_copy(v);
        if (!copy)
            return -ENOMEM;
        json_decref(*rootp);
        *rootp = copy;
        return 0;
    }
    char *key = key_buf(path);
    if (!key)
        return -ENOMEM;
    find_object(j, *rootp, path, &con, key);
    if (!con)
        rc = jp_fail(j, "replace operation does not apply: doc is missing path: %s: " JP_MISSING, path);
    else if (con_get(j, con, key, &cur) != 0)
        rc = jp_fail(j, "replace operation does not apply: doc is missing key: %s: " JP_MISSING, path);
    else if ((rc = op_value(op, &val)) == 0 && (rc = con_set(j, con, key, val)) == -1)
        rc = jp_fail(j, "error in remove for path: '%s': %s", path, j->msg);
    free(key);
    return rc;
}

static int
op_move(struct jp *j, json_t *root, const json_t *op)
{
    const char *from, *path;
    json_t *con, *val = NULL;
    char *key = NULL, *fkey = NULL;
    int rc = 0, prc;

    if ((prc = op_string(j, op, "from", &from)) != 0)
        return jp_fail(j, "move operation failed to decode from: %s", op_string_err(j, prc, "from"));
    if (!(fkey = key_buf(from)))
        return -ENOMEM;
    find_object(j, root, from, &con, fkey);
    if (!con) {
        rc = jp_fail(j, "move operation does not apply: doc is missing from path: %s: " JP_MISSING, from);
        goto out;
    }
    if (con_get(j, con, fkey, &val) != 0) {
        rc = jp_fail(j, "error in move for path: '%s': %s", fkey, j->msg);
        goto out;
    }
    json_incref(val);
    if (con_remove(j, con, fkey) != 0) {
        rc = jp_fail(j, "error in move for path: '%s': %s", fkey, j->msg);
        goto out;
    }
    if ((prc = op_string(j, op, "path", &path)) != 0) {
        rc = jp_fail(j, "move operation failed to decode path: %s", op_string_err(j, prc, "path"));
        goto out;
    }
    if (!(key = key_buf(path))) {
        rc = -ENOMEM;
        goto out;
    }
    find_object(j, root, path, &con, key);
    if (!con) {
        rc = jp_fail(j, "move operation does not apply: doc is missing destination path: %s: " JP_MISSING, path);
        goto out;
    }
    rc = con_add(j, con, key, val);
    val = NULL;
    if (rc == -1)
        rc = jp_fail(j, "error in move for path: '%s': %s", path, j->msg);
out:
    json_decref(val);
    free(key);
    free(fkey);
    return rc;
}

static int
op_test(struct jp *j, json_t *root, const json_t *op)
{
    const char *path;
    const json_t *want = json_object_get(op, "value");
    json_t *con, *val;
    int rc = 0, prc;

    if ((prc = op_string(j, op, "path", &path)) != 0)
        return jp_fail(j, "test operation failed to decode path: %s", op_string_err(j, prc, "path"));
    if (*path == '\0') {
        if (want && pt_deep_equal(root, want))
            return 0;
        return jp_fail(j, "testing value %s failed: test failed", path);
    }
    char *key = key_buf(path);
    if (!key)
        return -ENOMEM;
    find_object(j, root, path, &con, key);
    if (!con)
        rc = jp_fail(j, "test operation does not apply: is missing path: %s: " JP_MISSING, path);
    else if (con_get(j, con, key, &val) != 0)
        rc = jp_fail(j, "error in test for path: '%s': %s", path, j->msg);
    else if (!val ? !(want == NULL || json_is_null(want)) : !(want && pt_deep_equal(val, want)))
        rc = jp_fail(j, "testing value %s failed: test failed", path);
    free(key);
    return rc;
}

static int
op_copy(struct jp *j, json_t *root, const json_t *op)
{
    const char *from, *path;
    json_t *con, *val, *copy = NULL;
    char *key = NULL, *fkey = NULL;
    int rc = 0, prc;

    if ((prc = op_string(j, op, "from", &from)) != 0)
        return jp_fail(j, "copy operation failed to decode from: %s", op_string_err(j, prc, "from"));
    if (!(fkey = key_buf(from)))
        return -ENOMEM;
    find_object(j, root, from, &con, fkey);
    if (!con) {
        rc = jp_fail(j, "copy operation does not apply: doc is missing from path: %s: " JP_MISSING, from);
        goto out;
    }
    if (con_get(j, con, fkey, &val) != 0) {
        rc = jp_fail(j, "error in copy for from: '%s': %s", from, j->msg);
        goto out;
    }
    if (op_string(j, op, "path", &path) != 0) {
        rc = jp_fail(j, "copy operation failed to decode path: " JP_MISSING);
        goto out;
    }
    if (!(key = key_buf(path))) {
        rc = -ENOMEM;
        goto out;
    }
    find_object(j, root, path, &con, key);
    if (!con) {
        rc = jp_fail(j, "copy operation does not apply: doc is missing destination path: %s: " JP_MISSING, path);
        goto out;
    }
    if (val && !(copy = json_deep_copy(val))) {
        rc = -ENOMEM;
        goto out;
    }
    rc = con_add(j, con, key, copy);
    if (rc == -1)
        rc = jp_fail(j, "error while adding value during copy: %s", j->msg);
out:
    free(key);
    free(fkey);
    return rc;
}

static const char *
go_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_TRUE:
    case JSON_FALSE:
        return "bool";
    default:
        return "number";
    }
}

int
kc_patch_json(json_t **doc, const json_t *ops, char *err, size_t errlen)
{
    struct jp j = { .c = { .err = err, .errlen = errlen } };
    json_t *root;
    int rc = 0;

    if (err && errlen)
        err[0] = '\0';
    if (!doc || !*doc || !ops)
        return jp_fail(&j, "invalid arguments");
    if (json_is_null(ops))
        return 0;
    if (!json_is_array(ops)) {
        if (err && errlen)
            snprintf(err, errlen, "json: cannot unmarshal %s into Go value of type jsonpatch.Patch", go_kind(ops));
        return KC_EBADREQUEST;
    }
    for (size_t i = 0; i < json_array_size(ops); i++) {
        const json_t *op = json_array_get(ops, i);
        if (!json_is_object(op) && !json_is_null(op)) {
            if (err && errlen)
                snprintf(err, errlen, "json: cannot unmarshal %s into Go value of type jsonpatch.Operation",
                         go_kind(op));
            return KC_EBADREQUEST;
        }
    }
    if (json_array_size(ops) > KC_PATCH_JSON_MAX_OPS) {
        if (err && errlen)
            snprintf(err, errlen,
                     "Request entity too large: The allowed maximum operations in a JSON patch is %d, got %zu",
                     KC_PATCH_JSON_MAX_OPS, json_array_size(ops));
        return KC_ETOOLARGE;
    }
    if (!json_is_object(*doc) && !json_is_array(*doc))
        return jp_fail(&j, "invalid JSON document");
    if (!(root = json_deep_copy(*doc)))
        return -ENOMEM;
    for (size_t i = 0; i < json_array_size(ops) && rc == 0; i++) {
        const json_t *op = json_array_get(ops, i);
        const json_t *kindv = json_object_get(op, "op");
        const char *kind = json_is_string(kindv) ? json_string_value(kindv) : "unknown";

        if (strcmp(kind, "add") == 0)
            rc = op_add(&j, root, op);
        else if (strcmp(kind, "remove") == 0)
            rc = op_remove(&j, root, op);
        else if (strcmp(kind, "replace") == 0)
            rc = op_replace(&j, &root, op);
        else if (strcmp(kind, "move") == 0)
            rc = op_move(&j, root, op);
        else if (strcmp(kind, "test") == 0)
            rc = op_test(&j, root, op);
        else if (strcmp(kind, "copy") == 0)
            rc = op_copy(&j, root, op);
        else
            rc = jp_fail(&j, "Unexpected kind: %s", kind);
    }
    if (rc != 0) {
        if (rc == -ENOMEM && err && errlen)
            snprintf(err, errlen, "out of memory");
        json_decref(root);
        return rc;
    }
    json_decref(*doc);
    *doc = root;
    return 0;
}
