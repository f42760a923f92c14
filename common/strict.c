/* strict.c - field validation (kc_strict.h): a document-order scan of request bytes for unknown and duplicate
 * fields against the kind's schema (sigs.k8s.io/json's strict errors, or go-yaml's duplicate-key lines), the
 * sorted-order unknown-field walk of decoded objects, and the pruning of unknown fields. */
#include "fieldset_int.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_schema.h"
#include "kc_strict.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 2048

/* What a position of the schema is, for strict checks. */
enum pos {
    P_STRUCT,  /* declared fields; others are unknown (unless the struct preserves them) */
    P_MAP,     /* any key; values of elem */
    P_LIST,    /* items of elem */
    P_UNTYPED, /* decoded into interface{}: duplicates are found, nothing is unknown */
    P_OPAQUE,  /* RawExtension and scalars: not looked into */
};

static enum pos
pos_of(const struct kc_schema *s, bool untyped)
{
    if (untyped || !s)
        return P_UNTYPED;
    switch ((enum kc_schema_type)s->type) {
    case KC_SCHEMA_ANY:
        /* a RawExtension keeps its bytes; an interface{} (preserve-unknown-fields) decodes them */
        return (s->flags & KC_SCHEMA_F_PRESERVE_UNKNOWN) ? P_UNTYPED : P_OPAQUE;
    case KC_SCHEMA_OBJECT:
        return P_STRUCT;
    case KC_SCHEMA_MAP:
        return P_MAP;
    case KC_SCHEMA_ARRAY:
        return P_LIST;
    default:
        return P_OPAQUE;
    }
}

/* --- messages --- */

struct errs {
    json_t *list;
    const char *prefix;
    int rc;
};

static void
add_msg(struct errs *e, const char *what, const char *path, size_t len)
{
    if (e->rc || json_array_size(e->list) >= KC_STRICT_MAX_ERRORS)
        return;
    struct kc_sb b = { 0 };
    if (e->prefix)
        kc_sb_str(&b, e->prefix);
    kc_sb_str(&b, what);
    kc_sb_go_quote(&b, path, len);
    char *m = kc_sb_take(&b);
    if (!m) {
        e->rc = -ENOMEM;
        return;
    }
    size_t i;
    json_t *x;
    json_array_foreach(e->list, i, x)
    {
        if (strcmp(json_string_value(x), m) == 0) {
            free(m);
            return;
        }
    }
    if (json_array_append_new(e->list, json_string(m)) != 0)
        e->rc = -ENOMEM;
    free(m);
}

/* Path steps: a field (joined with '.') or an index. Returns the length to restore. */
static size_t
path_field(struct kc_sb *p, const char *k, size_t klen)
{
    size_t old = p->len;
    if (p->len)
        kc_sb_add(p, ".", 1);
    kc_sb_add(p, k, klen);
    return old;
}

static void
path_restore(struct kc_sb *p, size_t len)
{
    if (p->p && !p->oom) {
        p->len = len;
        p->p[len] = '\0';
    }
}

/* --- the scan of raw JSON --- */

struct scan {
    const char *s;
    size_t n, i;
    int line;
    unsigned flags;
    struct errs e;
    struct kc_sb path;
};

static void
ws(struct scan *c)
{
    while (c->i < c->n) {
        char ch = c->s[c->i];
        if (ch == '\n')
            c->line++;
        else if (ch != ' ' && ch != '\t' && ch != '\r')
            break;
        c->i++;
    }
}

static int
hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static bool
hex4(const char *s, uint32_t *v)
{
    *v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(s[k]);
        if (h < 0)
            return false;
        *v = *v << 4 | (uint32_t)h;
    }
    return true;
}

static void
put_utf8(struct kc_sb *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | cp >> 12);
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | cp >> 18);
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    kc_sb_add(b, u, n);
}

/* Reads the string at c->i ('"'); its decoded text goes to out when out is given. */
static int
string(struct scan *c, struct kc_sb *out)
{
    c->i++;
    while (c->i < c->n) {
        char ch = c->s[c->i++];
        if (ch == '"')
            return out && out->oom ? -ENOMEM : 0;
        if ((unsigned char)ch < 0x20)
            return KC_EPARSE;
        if (ch != '\\') {
            size_t start = c->i - 1; /* copy the run of plain characters at once */
            while (c->i < c->n && c->s[c->i] != '"' && c->s[c->i] != '\\' && (unsigned char)c->s[c->i] >= 0x20)
                c->i++;
            if (out)
                kc_sb_add(out, c->s + start, c->i - start);
            continue;
        }
        if (c->i >= c->n)
            return KC_EPARSE;
        ch = c->s[c->i++];
        const char *simple = strchr("\"\\/bfnrt", ch);
        if (simple && ch) {
            static const char map[] = "\"\\/\b\f\n\r\t";
            if (out)
                kc_sb_add(out, &map[simple - "\"\\/bfnrt"], 1);
            continue;
        }
        if (ch != 'u' || c->i + 4 > c->n)
            return KC_EPARSE;
        uint32_t cp;
        if (!hex4(c->s + c->i, &cp))
            return KC_EPARSE;
        c->i += 4;
        if (cp >= 0xd800 && cp < 0xdc00 && c->i + 6 <= c->n && c->s[c->i] == '\\' && c->s[c->i + 1] == 'u') {
            uint32_t lo;
            if (hex4(c->s + c->i + 2, &lo) && lo >= 0xdc00 && lo < 0xe000) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                c->i += 6;
            }
        }
        if (cp >= 0xd800 && cp < 0xe000)
            cp = 0xfffd;
        if (out)
            put_utf8(out, cp);
    }
    return KC_EPARSE;
}

static int value(struct scan *c, const struct kc_schema *s, enum pos pos, int depth);

/* The schema and position of field key in an object at pos (schema s). *unknown: a struct field that does not
 * exist. */
static void
member_pos(const struct kc_schema *s, enum pos pos, const char *key, const struct kc_schema **ms, enum pos *mp,
           bool *unknown)
{
    *unknown = false;
    *ms = NULL;
    switch (pos) {
    case P_STRUCT: {
        const struct kc_schema_prop *p = kc_schema_prop_find(s, key);
        if (p) {
            *ms = p->schema;
            *mp = pos_of(p->schema, false);
        } else if (s->flags & KC_SCHEMA_F_PRESERVE_UNKNOWN) {
            *mp = P_UNTYPED;
        } else {
            *unknown = true;
            *mp = P_OPAQUE;
        }
        return;
    }
    case P_MAP:
        *ms = s->elem;
        *mp = pos_of(s->elem, s->elem == NULL);
        return;
    case P_UNTYPED:
        *mp = P_UNTYPED;
        return;
    default:
        *mp = P_OPAQUE;
        return;
    }
}

static int
object(struct scan *c, const struct kc_schema *s, enum pos pos, int depth)
{
    c->i++;
    char **keys = NULL;
    size_t nkeys = 0, cap = 0;
    int rc = 0;
    bool yaml = c->flags & KC_STRICT_YAML_LINES;
    ws(c);
    if (c->i < c->n && c->s[c->i] == '}') {
        c->i++;
        return 0;
    }
    for (;;) {
        ws(c);
        if (c->i >= c->n || c->s[c->i] != '"') {
            rc = KC_EPARSE;
            break;
        }
        int key_line = c->line;
        struct kc_sb k = { 0 };
        if ((rc = string(c, &k)) != 0) {
            kc_sb_free(&k);
            break;
        }
        char *key = kc_sb_take(&k);
        if (!key) {
            rc = -ENOMEM;
            break;
        }
        size_t klen = strlen(key);
        bool dup = false;
        for (size_t j = 0; j < nkeys && !dup; j++)
            dup = strcmp(keys[j], key) == 0;
        const struct kc_schema *ms;
        enum pos mp;
        bool unknown;
        member_pos(s, pos, key, &ms, &mp, &unknown);
        size_t old = path_field(&c->path, key, klen);
        if (yaml) {
            if (dup) {
                char what[64];
                snprintf(what, sizeof(what), "line %d: key ", key_line + 1);
                struct kc_sb m = { 0 };
                kc_sb_str(&m, what);
                kc_sb_go_quote(&m, key, klen);
                kc_sb_str(&m, " already set in map");
                char *text = kc_sb_take(&m);
                if (!text || json_array_size(c->e.list) >= KC_STRICT_MAX_ERRORS ||
                    json_array_append_new(c->e.list, json_string(text)) != 0)
                    c->e.rc = text ? c->e.rc : -ENOMEM;
                free(text);
            }
        } else if (unknown) {
            if (c->flags & KC_STRICT_UNKNOWN)
                add_msg(&c->e, "unknown field ", c->path.p ? c->path.p : "", c->path.len);
        } else if (dup && (c->flags & KC_STRICT_DUPLICATES) && (pos == P_STRUCT || pos == P_MAP || pos == P_UNTYPED)) {
            add_msg(&c->e, "duplicate field ", c->path.p ? c->path.p : "", c->path.len);
        }
        if (!dup) {
            if (nkeys == cap) {
                size_t ncap = cap ? cap * 2 : 8;
                char **nk = kc_realloc(keys, ncap * sizeof(*nk));
                if (!nk) {
                    free(key);
                    rc = -ENOMEM;
                    break;
                }
                keys = nk;
                cap = ncap;
            }
            keys[nkeys++] = key;
        } else {
            free(key);
        }
        ws(c);
        if (c->i >= c->n || c->s[c->i] != ':') {
            rc = KC_EPARSE;
            break;
        }
        c->i++;
        ws(c);
        rc = value(c, ms, yaml ? P_UNTYPED : mp, depth + 1);
        path_restore(&c->path, old);
        if (rc != 0)
            break;
        ws(c);
        if (c->i < c->n && c->s[c->i] == ',') {
            c->i++;
            continue;
        }
        if (c->i < c->n && c->s[c->i] == '}') {
            c->i++;
            break;
        }
        rc = KC_EPARSE;
        break;
    }
    for (size_t j = 0; j < nkeys; j++)
        free(keys[j]);
    free(keys);
    return rc;
}

static int
array(struct scan *c, const struct kc_schema *s, enum pos pos, int depth)
{
    c->i++;
    ws(c);
    if (c->i < c->n && c->s[c->i] == ']') {
        c->i++;
        return 0;
    }
    const struct kc_schema *es = pos == P_LIST ? s->elem : NULL;
    enum pos ep = pos == P_LIST ? pos_of(s->elem, s->elem == NULL) : pos == P_UNTYPED ? P_UNTYPED : P_OPAQUE;
    for (size_t idx = 0;; idx++) {
        size_t old = c->path.len;
        kc_sb_printf(&c->path, "[%zu]", idx);
        ws(c);
        int rc = value(c, es, ep, depth + 1);
        path_restore(&c->path, old);
        if (rc != 0)
            return rc;
        ws(c);
        if (c->i < c->n && c->s[c->i] == ',') {
            c->i++;
            continue;
        }
        if (c->i < c->n && c->s[c->i] == ']') {
            c->i++;
            return 0;
        }
        return KC_EPARSE;
    }
}

static int
value(struct scan *c, const struct kc_schema *s, enum pos pos, int depth)
{
    if (depth > MAX_DEPTH)
        return KC_EPARSE;
    if (c->e.rc)
        return c->e.rc;
    ws(c);
    if (c->i >= c->n)
        return KC_EPARSE;
    char ch = c->s[c->i];
    if (ch == '{')
        return object(c, s, pos, depth);
    if (ch == '[')
        return array(c, s, pos, depth);
    if (ch == '"')
        return string(c, NULL);
    size_t start = c->i;
    while (c->i < c->n &&
           (strchr("+-.eE", c->s[c->i]) || (c->s[c->i] >= '0' && c->s[c->i] <= '9') ||
            (c->s[c->i] >= 'a' && c->s[c->i] <= 'z')) &&
           c->s[c->i])
        c->i++;
    return c->i > start ? 0 : KC_EPARSE;
}

int
kc_strict_scan(const char *buf, size_t len, const struct kc_schema *root, unsigned flags, const char *prefix,
               json_t **errors)
{
    struct scan c = { .s = buf, .n = len, .flags = flags, .e = { .list = json_array(), .prefix = prefix } };
    if (!c.e.list)
        return -ENOMEM;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        c.i = 3;
    int rc = value(&c, root, pos_of(root, root == NULL), 0);
    if (rc == 0)
        rc = c.e.rc;
    if (rc == 0) {
        ws(&c);
        if (c.i != c.n)
            rc = KC_EPARSE;
    }
    if (rc == 0 && c.path.oom)
        rc = -ENOMEM;
    kc_sb_free(&c.path);
    if (rc != 0) {
        json_decref(c.e.list);
        return rc;
    }
    *errors = c.e.list;
    return 0;
}

/* --- decoded objects --- */

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
unknown_rec(struct errs *e, struct kc_sb *path, const json_t *v, const struct kc_schema *s, enum pos pos)
{
    if (e->rc)
        return;
    if (json_is_array(v) && pos == P_LIST) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            size_t old = path->len;
            kc_sb_printf(path, "[%zu]", i);
            unknown_rec(e, path, x, s->elem, pos_of(s->elem, s->elem == NULL));
            path_restore(path, old);
        }
        return;
    }
    if (!json_is_object(v) || (pos != P_STRUCT && pos != P_MAP))
        return;
    size_t n = json_object_size(v), i = 0;
    const char **keys = kc_calloc(n + 1, sizeof(*keys));
    if (!keys) {
        e->rc = -ENOMEM;
        return;
    }
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)v, k, x) keys[i++] = k;
    qsort(keys, n, sizeof(*keys), cmp_str);
    for (i = 0; i < n && !e->rc; i++) {
        const struct kc_schema *ms;
        enum pos mp;
        bool unknown;
        member_pos(s, pos, keys[i], &ms, &mp, &unknown);
        size_t old = path_field(path, keys[i], strlen(keys[i]));
        if (unknown)
            add_msg(e, "unknown field ", path->p ? path->p : "", path->len);
        else
            unknown_rec(e, path, json_object_get(v, keys[i]), ms, mp);
        path_restore(path, old);
    }
    free(keys);
}

int
kc_strict_unknown(const json_t *obj, const struct kc_schema *root, json_t *errors)
{
    struct errs e = { .list = errors };
    struct kc_sb path = { 0 };
    if (root)
        unknown_rec(&e, &path, obj, root, pos_of(root, false));
    int rc = e.rc ? e.rc : path.oom ? -ENOMEM : 0;
    kc_sb_free(&path);
    return rc;
}

static void
prune_rec(json_t *v, const struct kc_schema *s, enum pos pos)
{
    if (json_is_array(v) && pos == P_LIST) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) prune_rec(x, s->elem, pos_of(s->elem, s->elem == NULL));
        return;
    }
    if (!json_is_object(v) || (pos != P_STRUCT && pos != P_MAP))
        return;
    const char *k;
    json_t *x;
    void *tmp;
    json_object_foreach_safe(v, tmp, k, x)
    {
        const struct kc_schema *ms;
        enum pos mp;
        bool unknown;
        member_pos(s, pos, k, &ms, &mp, &unknown);
        if (unknown)
            json_object_del(v, k);
        else
            prune_rec(x, ms, mp);
    }
}

void
kc_strict_prune(json_t *obj, const struct kc_schema *root)
{
    if (obj && root)
        prune_rec(obj, root, pos_of(root, false));
}

/* --- JSON patch --- */

static const struct kc_schema any_schema = { .type = KC_SCHEMA_ANY, .flags = KC_SCHEMA_F_PRESERVE_UNKNOWN };
static const struct kc_schema string_schema = { .type = KC_SCHEMA_STRING, .oa_type = KC_SCHEMA_OA_STRING };
static const struct kc_schema_prop op_props[] = {
    { .name = "from", .schema = &string_schema },
    { .name = "op", .schema = &string_schema },
    { .name = "path", .schema = &string_schema },
    { .name = "value", .schema = &any_schema },
};
static const struct kc_schema op_schema = { .type = KC_SCHEMA_OBJECT, .props = op_props, .nprops = 4 };
static const struct kc_schema ops_schema = { .type = KC_SCHEMA_ARRAY, .elem = &op_schema };

const struct kc_schema *
kc_strict_json_patch_schema(void)
{
    return &ops_schema;
}

char *
kc_strict_error_text(const json_t *errors)
{
    struct kc_sb b = { 0 };
    size_t i;
    json_t *x;
    kc_sb_str(&b, "strict decoding error: ");
    json_array_foreach(errors, i, x)
    {
        if (i)
            kc_sb_str(&b, ", ");
        kc_sb_str(&b, json_string_value(x) ? json_string_value(x) : "");
    }
    return kc_sb_take(&b);
}

char *
kc_strict_go_value(const json_t *v)
{
    struct kc_sb b = { 0 };
    kc_sb_go_v(&b, v);
    return kc_sb_take(&b);
}

/* --- Go's decoding types (kc_strict_types) --- */

/* The Go name of a schema's type, as reflect's Type.String() gives it: "string", "int32", "v1.PodSpec" (the
 * package's last element and the type's name), "[]v1.Container", "map[string]string". */
static void
go_type_name(struct kc_sb *b, const struct kc_schema *s)
{
    switch (s->type) {
    case KC_SCHEMA_ARRAY:
        kc_sb_str(b, "[]");
        go_type_name(b, s->elem);
        return;
    case KC_SCHEMA_MAP:
        kc_sb_str(b, "map[string]");
        go_type_name(b, s->elem);
        return;
    case KC_SCHEMA_STRING:
        kc_sb_str(b, "string");
        return;
    case KC_SCHEMA_BYTES:
        kc_sb_str(b, "[]uint8");
        return;
    case KC_SCHEMA_INTEGER:
        kc_sb_str(b, s->format == KC_SCHEMA_FMT_INT32 ? "int32" : s->format == KC_SCHEMA_FMT_INT64 ? "int64" : "int");
        return;
    case KC_SCHEMA_NUMBER:
        kc_sb_str(b, "float64");
        return;
    case KC_SCHEMA_BOOLEAN:
        kc_sb_str(b, "bool");
        return;
    default:
        break;
    }
    const char *n = s->name ? s->name : "";
    const char *last = strrchr(n, '.');
    if (!last) {
        kc_sb_str(b, n);
        return;
    }
    const char *pkg = last; /* the element before the type's name */
    while (pkg > n && pkg[-1] != '.')
        pkg--;
    kc_sb_add(b, pkg, (size_t)(last - pkg) + 1);
    kc_sb_str(b, last + 1);
}

void
kc_strict_go_value_kind(struct kc_sb *b, const json_t *v, bool integer)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        kc_sb_str(b, "object");
        break;
    case JSON_ARRAY:
        kc_sb_str(b, "array");
        break;
    case JSON_STRING:
        kc_sb_str(b, "string");
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        kc_sb_str(b, "bool");
        break;
    case JSON_INTEGER:
        if (integer) {
            kc_sb_printf(b, "number %" JSON_INTEGER_FORMAT, json_integer_value(v));
            break;
        }
        kc_sb_str(b, "number");
        break;
    case JSON_REAL:
        if (integer) {
            kc_sb_str(b, "number ");
            kc_sb_go_json(b, v);
            break;
        }
        kc_sb_str(b, "number");
        break;
    default:
        kc_sb_str(b, "null");
        break;
    }
}

/* A step of the path from the top to the value being checked, on the C stack: the path is written only when a
 * value fails (Go's path has struct fields only, no map keys or indices). */
struct step {
    const struct step *up;
    const char *key;
};

struct types {
    const struct kc_schema *strukt_schema; /* the innermost struct */
    bool unknown;                          /* a member some struct does not declare (and does not preserve) */
    char *err;
};

static void
add_path(struct kc_sb *b, const struct step *st)
{
    if (!st)
        return;
    add_path(b, st->up);
    if (st->up)
        kc_sb_str(b, ".");
    kc_sb_str(b, st->key);
}

/* Whether Go could store v in a field of schema s (without looking inside: see check_value). */
static bool
fits(const json_t *v, const struct kc_schema *s, bool *integer)
{
    *integer = false;
    if (json_is_null(v))
        return true;
    switch (s->type) {
    case KC_SCHEMA_OBJECT:
    case KC_SCHEMA_MAP:
        return json_is_object(v);
    case KC_SCHEMA_ARRAY:
        return json_is_array(v);
    case KC_SCHEMA_STRING:
    case KC_SCHEMA_BYTES:
        return json_is_string(v);
    case KC_SCHEMA_BOOLEAN:
        return json_is_boolean(v);
    case KC_SCHEMA_NUMBER:
        return json_is_number(v);
    case KC_SCHEMA_INTEGER:
        *integer = json_is_number(v);
        if (!json_is_integer(v))
            return false;
        if (s->format == KC_SCHEMA_FMT_INT32)
            return json_integer_value(v) >= INT32_MIN && json_integer_value(v) <= INT32_MAX;
        return true;
    default: /* Quantity, IntOrString, Time, MicroTime, any: their own decoders */
        return true;
    }
}

static int check_value(struct types *t, const json_t *v, const struct kc_schema *s, const struct step *at);

static int
fail_at(struct types *t, const json_t *v, const struct kc_schema *s, bool integer, const struct step *at)
{
    struct kc_sb b = { 0 };
    kc_sb_str(&b, "json: cannot unmarshal ");
    kc_strict_go_value_kind(&b, v, integer);
    kc_sb_str(&b, " into Go struct field ");
    struct kc_sb st = { 0 };
    go_type_name(&st, t->strukt_schema);
    const char *dot = st.p ? strchr(st.p, '.') : NULL; /* the struct without its package */
    kc_sb_str(&b, dot ? dot + 1 : st.p ? st.p : "");
    b.oom |= st.oom;
    kc_sb_free(&st);
    kc_sb_str(&b, ".");
    add_path(&b, at);
    kc_sb_str(&b, " of type ");
    go_type_name(&b, s);
    if (b.oom) {
        kc_sb_free(&b);
        return -ENOMEM;
    }
    t->err = kc_sb_take(&b);
    return KC_EINVALID;
}

static int
check_struct(struct types *t, const json_t *obj, const struct kc_schema *s, const struct step *at)
{
    const struct kc_schema *outer = t->strukt_schema;
    t->strukt_schema = s;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v)
    {
        const struct kc_schema_prop *p = kc_schema_prop_find(s, k);
        if (!p) { /* unknown (kc_strict_scan words it), or kept by a struct that preserves unknown fields */
            t->unknown |= !(s->flags & KC_SCHEMA_F_PRESERVE_UNKNOWN);
            continue;
        }
        struct step st = { at, k };
        int rc = check_value(t, v, p->schema, &st);
        if (rc != 0)
            return rc;
    }
    t->strukt_schema = outer;
    return 0;
}

static int
check_value(struct types *t, const json_t *v, const struct kc_schema *s, const struct step *at)
{
    bool integer;
    if (!fits(v, s, &integer))
        return fail_at(t, v, s, integer, at);
    if (json_is_null(v))
        return 0;
    int rc = 0;
    size_t i;
    const char *k;
    json_t *x;
    switch (s->type) {
    case KC_SCHEMA_OBJECT:
        return check_struct(t, v, s, at);
    case KC_SCHEMA_ARRAY:
        json_array_foreach(v, i, x)
        {
            if ((rc = check_value(t, x, s->elem, at)) != 0)
                return rc;
        }
        return 0;
    case KC_SCHEMA_MAP:
        json_object_foreach((json_t *)v, k, x)
        {
            if ((rc = check_value(t, x, s->elem, at)) != 0)
                return rc;
        }
        return 0;
    default:
        return 0;
    }
}

int
kc_strict_types(const json_t *obj, const struct kc_schema *root, bool *unknown, char **err)
{
    *err = NULL;
    if (unknown)
        *unknown = false;
    if (!root || !json_is_object(obj) || root->type != KC_SCHEMA_OBJECT)
        return 0;
    struct types t = { .strukt_schema = root };
    int rc = check_struct(&t, obj, root, NULL);
    if (rc == KC_EINVALID)
        *err = t.err;
    else
        free(t.err);
    if (rc == 0 && unknown)
        *unknown = t.unknown;
    return rc;
}
