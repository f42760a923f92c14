/* jsonpath.c - kubectl's JSONPath templates (k8s.io/client-go/util/jsonpath) over jansson values: the same parser
 * states, the same evaluation of fields, arrays, filters, unions, wildcards, recursive descent and range/end, and
 * the same printing of results. Pure: no I/O but the FILE it writes to. */
#include "kctl_print.h"
#include "kc_error.h"
#include "kc_fault.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum ntype {
    N_LIST,
    N_TEXT,
    N_FIELD,
    N_ARRAY,
    N_FILTER,
    N_INT,
    N_FLOAT,
    N_BOOL,
    N_WILDCARD,
    N_RECURSIVE,
    N_UNION,
    N_IDENT
};

struct param {
    long value;
    bool known, derived;
};

struct node {
    enum ntype type;
    struct node **kids; /* N_LIST: its nodes; N_UNION: its lists; N_FILTER: [left, right] */
    size_t nkids;
    char *str;         /* N_FIELD name, N_IDENT name, N_FILTER operator */
    json_t *value;     /* N_TEXT, N_INT, N_FLOAT, N_BOOL: the constant */
    struct param p[3]; /* N_ARRAY */
};

struct kctl_jsonpath {
    struct node *root;
};

/* --- parser -------------------------------------------------------------------------------------------------- */

struct parser {
    const char *input;
    size_t pos, start, len;
    struct node *root;
    char *err;
    size_t errlen;
    int rc;
};

#define EOF_RUNE (-1)

static int perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
perr(struct parser *p, const char *fmt, ...)
{
    if (p->err && p->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err, p->errlen, fmt, ap);
        va_end(ap);
    }
    return KC_EPARSE;
}

static void
node_free(struct node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nkids; i++)
        node_free(n->kids[i]);
    free(n->kids);
    free(n->str);
    json_decref(n->value);
    free(n);
}

static int
append(struct node *list, struct node *n)
{
    if (!n)
        return -ENOMEM;
    struct node **k = kc_realloc(list->kids, (list->nkids + 1) * sizeof(*k));
    if (!k) {
        node_free(n);
        return -ENOMEM;
    }
    list->kids = k;
    k[list->nkids++] = n;
    return 0;
}

static struct node *
new_typed(enum ntype t)
{
    struct node *n = kc_calloc(1, sizeof(struct node));
    if (n)
        n->type = t;
    return n;
}

static struct node *
new_text(const char *s, size_t len)
{
    struct node *n = new_typed(N_TEXT);
    if (n && !(n->value = json_stringn_nocheck(s, len))) {
        node_free(n);
        return NULL;
    }
    return n;
}

static struct node *
new_field(const char *s, size_t len)
{
    struct node *n = new_typed(N_FIELD);
    if (!n)
        return NULL;
    n->str = kc_malloc(len + 1);
    if (!n->str) {
        node_free(n);
        return NULL;
    }
    /* escapes are dropped: "a\.b" names the key "a.b" */
    size_t o = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] != '\\')
            n->str[o++] = s[i];
    n->str[o] = '\0';
    return n;
}

static int
next(struct parser *p)
{
    if (p->pos >= p->len) {
        p->pos = p->len + 1; /* so that backup() after EOF stays at the end */
        return EOF_RUNE;
    }
    return (unsigned char)p->input[p->pos++];
}

static void
backup(struct parser *p)
{
    p->pos--;
}

static int
peek(struct parser *p)
{
    return p->pos < p->len ? (unsigned char)p->input[p->pos] : EOF_RUNE;
}

/* The text since the last consume; p->start moves to p->pos. */
static void
consume(struct parser *p, const char **s, size_t *n)
{
    size_t end = p->pos > p->len ? p->len : p->pos;
    *s = p->input + p->start;
    *n = end - p->start;
    p->start = end;
}

static bool
has_prefix(const struct parser *p, const char *pre)
{
    size_t n = strlen(pre);
    return p->pos <= p->len && p->len - p->pos >= n && memcmp(p->input + p->pos, pre, n) == 0;
}

static bool
is_terminator(int r)
{
    switch (r) {
    case EOF_RUNE:
    case ' ':
    case '\t':
    case '\r':
    case '\n':
    case '.':
    case ',':
    case '[':
    case ']':
    case '$':
    case '@':
    case '{':
    case '}':
        return true;
    }
    return false;
}

static bool
is_alnum(int r)
{
    return r == '_' || (r >= 0 && r < 128 && isalnum(r)) || r >= 128;
}

static int parse_text(struct parser *p, struct node *cur);
static int parse_inside(struct parser *p, struct node *cur);

/* Parses text as one action ("{text}") and returns its list, as Go's parseAction. */
static int
parse_action(const char *text, size_t len, struct node **out, char *err, size_t errlen)
{
    char *buf = kc_malloc(len + 3);
    if (!buf)
        return -ENOMEM;
    buf[0] = '{';
    memcpy(buf + 1, text, len);
    buf[len + 1] = '}';
    buf[len + 2] = '\0';
    struct parser q = { .input = buf, .len = len + 2, .err = err, .errlen = errlen };
    q.root = new_typed(N_LIST);
    int rc = q.root ? parse_text(&q, q.root) : -ENOMEM;
    free(buf);
    if (rc) {
        node_free(q.root);
        return rc;
    }
    /* the action's list */
    struct node *list = q.root->nkids > 0 ? q.root->kids[0] : NULL;
    if (list)
        q.root->kids[0] = NULL;
    node_free(q.root);
    if (!list)
        return perr(&q, "empty action");
    *out = list;
    return 0;
}

/* Go's strconv.Unquote extended to single quotes: the usual escapes. */
static int
unquote(struct parser *p, const char *s, size_t n, struct node **out)
{
    if (n < 2 || s[n - 1] != s[0])
        return perr(p, "unquote string %.*s error invalid syntax", (int)n, s);
    char *buf = kc_malloc(n), *o = buf;
    if (!buf)
        return -ENOMEM;
    for (size_t i = 1; i + 1 < n; i++) {
        char c = s[i];
        if (c != '\\') {
            *o++ = c;
            continue;
        }
        if (i + 1 >= n - 1) {
            free(buf);
            return perr(p, "unquote string %.*s error invalid syntax", (int)n, s);
        }
        i++;
        switch (s[i]) {
        case 'n':
            *o++ = '\n';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 'a':
            *o++ = '\a';
            break;
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'v':
            *o++ = '\v';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '\'':
            *o++ = '\'';
            break;
        case '"':
            *o++ = '"';
            break;
        case 'x':
        case 'u':
        case 'U': {
            int digits = s[i] == 'x' ? 2 : s[i] == 'u' ? 4 : 8;
            unsigned long cp = 0;
            for (int d = 0; d < digits; d++) {
                char h = (size_t)(i + 1 + d) < n - 1 ? s[i + 1 + d] : 0;
                if (!isxdigit((unsigned char)h)) {
                    free(buf);
                    return perr(p, "unquote string %.*s error invalid syntax", (int)n, s);
                }
                cp = cp * 16 + (unsigned long)(isdigit((unsigned char)h) ? h - '0' : (tolower(h) - 'a' + 10));
            }
            i += (size_t)digits;
            if (digits == 2) {
                *o++ = (char)cp;
            } else if (cp < 0x80) {
                *o++ = (char)cp;
            } else if (cp < 0x800) {
                *o++ = (char)(0xc0 | (cp >> 6));
                *o++ = (char)(0x80 | (cp & 0x3f));
            } else if (cp < 0x10000) {
                *o++ = (char)(0xe0 | (cp >> 12));
                *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
                *o++ = (char)(0x80 | (cp & 0x3f));
            } else {
                *o++ = (char)(0xf0 | (cp >> 18));
                *o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
                *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
                *o++ = (char)(0x80 | (cp & 0x3f));
            }
            break;
        }
        default:
            free(buf);
            return perr(p, "unquote string %.*s error invalid syntax", (int)n, s);
        }
    }
    *out = new_text(buf, (size_t)(o - buf));
    free(buf);
    return *out ? 0 : -ENOMEM;
}

static int
parse_right_delim(struct parser *p, struct node *cur)
{
    (void)cur;
    p->pos += 1;
    const char *s;
    size_t n;
    consume(p, &s, &n);
    return parse_text(p, p->root);
}

static int
parse_left_delim(struct parser *p, struct node *cur)
{
    p->pos += 1;
    const char *s;
    size_t n;
    consume(p, &s, &n);
    struct node *list = new_typed(N_LIST);
    int rc = append(cur, list);
    if (rc)
        return rc;
    return parse_inside(p, list);
}

static int
parse_text(struct parser *p, struct node *cur)
{
    const char *s;
    size_t n;
    for (;;) {
        if (has_prefix(p, "{")) {
            if (p->pos > p->start) {
                consume(p, &s, &n);
                int rc = append(cur, new_text(s, n));
                if (rc)
                    return rc;
            }
            return parse_left_delim(p, cur);
        }
        if (next(p) == EOF_RUNE)
            break;
    }
    if (p->pos > p->len)
        p->pos = p->len;
    if (p->pos > p->start) {
        consume(p, &s, &n);
        return append(cur, new_text(s, n));
    }
    return 0;
}

static int
parse_field(struct parser *p, struct node *cur)
{
    const char *s;
    size_t n;
    consume(p, &s, &n);
    for (;;) {
        int r = next(p);
        if (r == '\\') {
            next(p);
        } else if (is_terminator(r)) {
            backup(p);
            break;
        }
    }
    consume(p, &s, &n);
    int rc;
    if (n == 1 && s[0] == '*')
        rc = append(cur, new_typed(N_WILDCARD));
    else
        rc = append(cur, new_field(s, n));
    return rc ? rc : parse_inside(p, cur);
}

static int
parse_recursive(struct parser *p, struct node *cur)
{
    if (cur->nkids > 0 && cur->kids[cur->nkids - 1]->type == N_RECURSIVE)
        return perr(p, "invalid multiple recursive descent");
    p->pos += 2;
    const char *s;
    size_t n;
    consume(p, &s, &n);
    int rc = append(cur, new_typed(N_RECURSIVE));
    if (rc)
        return rc;
    if (is_alnum(peek(p)))
        return parse_field(p, cur);
    return parse_inside(p, cur);
}

/* ^(-?[\d]*)(:-?[\d]*)?(:-?[\d]*)?$ split into three parts; returns false when text does not match. */
static bool
split_slice(const char *t, size_t n, const char *part[3], size_t plen[3])
{
    size_t i = 0;
    for (int k = 0; k < 3; k++) {
        part[k] = t + i;
        plen[k] = 0;
        if (i >= n)
            continue;
        size_t st = i;
        if (k > 0) {
            if (t[i] != ':')
                return false;
            i++;
        }
        if (i < n && t[i] == '-')
            i++;
        while (i < n && isdigit((unsigned char)t[i]))
            i++;
        plen[k] = i - st;
        if (k == 0 && plen[0] == 0 && i < n && t[i] != ':')
            return false;
    }
    return i == n;
}

static int
parse_array(struct parser *p, struct node *cur)
{
    for (;;) {
        int r = next(p);
        if (r == EOF_RUNE || r == '\n')
            return perr(p, "unterminated array");
        if (r == ']')
            break;
    }
    const char *s;
    size_t n;
    consume(p, &s, &n);
    const char *text = s + 1;
    size_t tlen = n - 2;
    if (tlen == 1 && text[0] == '*')
        text = ":";
    /* union */
    if (memchr(text, ',', tlen)) {
        struct node *u = new_typed(N_UNION);
        if (!u)
            return -ENOMEM;
        const char *a = text, *end = text + tlen;
        while (a <= end) {
            const char *c = memchr(a, ',', (size_t)(end - a));
            if (!c)
                c = end;
            const char *b = a, *e = c;
            while (b < e && *b == ' ')
                b++;
            while (e > b && e[-1] == ' ')
                e--;
            char *item;
            if (asprintf(&item, "[%.*s]", (int)(e - b), b) < 0) {
                node_free(u);
                return -ENOMEM;
            }
            struct node *list = NULL;
            int rc = parse_action(item, strlen(item), &list, p->err, p->errlen);
            free(item);
            if (rc == 0)
                rc = append(u, list);
            if (rc) {
                node_free(u);
                return rc;
            }
            a = c + 1;
        }
        int rc = append(cur, u);
        return rc ? rc : parse_inside(p, cur);
    }
    /* ['key'] */
    if (tlen >= 2 && ((text[0] == '\'' && text[tlen - 1] == '\'') || (text[0] == '"' && text[tlen - 1] == '"')) &&
        !memchr(text + 1, text[0], tlen - 2)) {
        struct node *f = new_typed(N_FIELD);
        if (!f || !(f->str = kc_strndup(text + 1, tlen - 2))) {
            node_free(f);
            return -ENOMEM;
        }
        int rc = append(cur, f);
        return rc ? rc : parse_inside(p, cur);
    }
    const char *part[3];
    size_t plen[3];
    if (!split_slice(text, tlen, part, plen))
        return perr(p, "invalid array index %.*s", (int)tlen, text);
    struct node *a = new_typed(N_ARRAY);
    if (!a)
        return -ENOMEM;
    for (int i = 0; i < 3; i++) {
        const char *v = part[i];
        size_t vl = plen[i];
        if (vl > 0) {
            if (i > 0)
                v++, vl--;
            if (i > 0 && vl == 0) {
                a->p[i].known = false;
            } else {
                char num[32];
                snprintf(num, sizeof(num), "%.*s", (int)(vl < 31 ? vl : 31), v);
                char *endp;
                a->p[i].value = strtol(num, &endp, 10);
                if (*endp || endp == num) {
                    node_free(a);
                    return perr(p, "array index %s is not a number", num);
                }
                a->p[i].known = true;
            }
        } else if (i == 1) {
            a->p[i].known = true;
            a->p[i].value = a->p[0].value + 1;
            a->p[i].derived = true;
        }
    }
    int rc = append(cur, a);
    return rc ? rc : parse_inside(p, cur);
}

static int
parse_filter(struct parser *p, struct node *cur)
{
    p->pos += 3;
    const char *s;
    size_t n;
    consume(p, &s, &n);
    bool begin = false, end = false;
    int pair = 0;
    for (;;) {
        int r = next(p);
        if (r == EOF_RUNE || r == '\n')
            return perr(p, "unterminated filter");
        if (r == '"' || r == '\'') {
            if (!begin) {
                begin = true;
                pair = r;
                continue;
            }
            if (p->input[p->pos - 2] != '\\' && r == pair)
                end = true;
        } else if (r == ')') {
            if (begin == end)
                break;
        }
    }
    if (next(p) != ']')
        return perr(p, "unclosed array expect ]");
    consume(p, &s, &n);
    n -= 2; /* the ")]" */
    /* ^([^!<>=]+)([!<>=]+)(.+?)$ */
    size_t i = 0;
    while (i < n && !strchr("!<>=", s[i]))
        i++;
    size_t j = i;
    while (j < n && strchr("!<>=", s[j]))
        j++;
    struct node *f = new_typed(N_FILTER);
    if (!f)
        return -ENOMEM;
    int rc;
    struct node *left = NULL, *right = NULL;
    if (i == 0 || i == n || j == n) {
        rc = parse_action(s, n, &left, p->err, p->errlen);
        if (rc == 0)
            right = new_typed(N_LIST);
        f->str = kc_strdup("exists");
    } else {
        rc = parse_action(s, i, &left, p->err, p->errlen);
        if (rc == 0)
            rc = parse_action(s + j, n - j, &right, p->err, p->errlen);
        f->str = kc_strndup(s + i, j - i);
    }
    if (rc == 0 && (!right || !f->str))
        rc = -ENOMEM;
    if (rc == 0)
        rc = append(f, left);
    else
        node_free(left);
    if (rc == 0)
        rc = append(f, right);
    else
        node_free(right);
    if (rc) {
        node_free(f);
        return rc;
    }
    rc = append(cur, f);
    return rc ? rc : parse_inside(p, cur);
}

static int
parse_quote(struct parser *p, struct node *cur, int endq)
{
    for (;;) {
        int r = next(p);
        if (r == EOF_RUNE || r == '\n')
            return perr(p, "unterminated quoted string");
        if (r == endq && p->input[p->pos - 2] != '\\')
            break;
    }
    const char *s;
    size_t n;
    consume(p, &s, &n);
    struct node *t = NULL;
    int rc = unquote(p, s, n, &t);
    if (rc == 0)
        rc = append(cur, t);
    return rc ? rc : parse_inside(p, cur);
}

static int
parse_number(struct parser *p, struct node *cur)
{
    int r = peek(p);
    if (r == '+' || r == '-')
        next(p);
    for (;;) {
        r = next(p);
        if (r != '.' && !(r >= '0' && r <= '9')) {
            backup(p);
            break;
        }
    }
    const char *s;
    size_t n;
    consume(p, &s, &n);
    char num[64];
    snprintf(num, sizeof(num), "%.*s", (int)(n < 63 ? n : 63), s);
    /* ^([+-]?\d+)(\.\d+)?$ */
    const char *q = num;
    if (*q == '+' || *q == '-')
        q++;
    size_t d = strspn(q, "0123456789");
    bool isfloat = q[d] == '.';
    if (d == 0 || (isfloat && (strspn(q + d + 1, "0123456789") == 0 || q[d + 1 + strspn(q + d + 1, "0123456789")])) ||
        (!isfloat && q[d]))
        return perr(p, "cannot parse number %s", num);
    struct node *nn = new_typed(isfloat ? N_FLOAT : N_INT);
    if (!nn)
        return -ENOMEM;
    nn->value = isfloat ? json_real(strtod(num, NULL)) : json_integer(strtoll(num, NULL, 10));
    int rc = append(cur, nn);
    return rc ? rc : parse_inside(p, cur);
}

static int
parse_identifier(struct parser *p, struct node *cur)
{
    for (;;) {
        int r = next(p);
        if (is_terminator(r) || r == ')' || r == '=' || r == '!' || r == '<' || r == '>') {
            backup(p);
            break;
        }
    }
    const char *s;
    size_t n;
    consume(p, &s, &n);
    struct node *id;
    if ((n == 4 && memcmp(s, "true", 4) == 0) || (n == 5 && memcmp(s, "false", 5) == 0)) {
        id = new_typed(N_BOOL);
        if (id && !(id->value = json_boolean(n == 4))) {
            node_free(id);
            id = NULL;
        }
    } else {
        id = new_typed(N_IDENT);
        if (id && !(id->str = kc_strndup(s, n))) {
            node_free(id);
            id = NULL;
        }
    }
    int rc = append(cur, id);
    return rc ? rc : parse_inside(p, cur);
}

static int
parse_inside(struct parser *p, struct node *cur)
{
    if (has_prefix(p, "}"))
        return parse_right_delim(p, cur);
    if (has_prefix(p, "[?("))
        return parse_filter(p, cur);
    if (has_prefix(p, ".."))
        return parse_recursive(p, cur);
    int r = next(p);
    const char *s;
    size_t n;
    if (r == EOF_RUNE || r == '\n' || r == '\r')
        return perr(p, "unclosed action");
    switch (r) {
    case ' ':
    case '@':
    case '$':
        consume(p, &s, &n);
        return parse_inside(p, cur);
    case '[':
        return parse_array(p, cur);
    case '"':
    case '\'':
        return parse_quote(p, cur, r);
    case '.':
        return parse_field(p, cur);
    }
    if (r == '+' || r == '-' || (r >= '0' && r <= '9')) {
        backup(p);
        return parse_number(p, cur);
    }
    if (is_alnum(r)) {
        backup(p);
        return parse_identifier(p, cur);
    }
    return perr(p, "unrecognized character in action: U+%04X '%c'", r, r);
}

int
kctl_jsonpath_parse(const char *tmpl, struct kctl_jsonpath **out, char *err, size_t errlen)
{
    struct kctl_jsonpath *jp = kc_calloc(1, sizeof(*jp));
    if (!jp)
        return -ENOMEM;
    struct parser p = { .input = tmpl, .len = strlen(tmpl), .err = err, .errlen = errlen };
    p.root = jp->root = new_typed(N_LIST);
    int rc = p.root ? parse_text(&p, p.root) : -ENOMEM;
    if (rc) {
        kctl_jsonpath_free(jp);
        if (rc == -ENOMEM && err && errlen)
            snprintf(err, errlen, "out of memory");
        return rc;
    }
    *out = jp;
    return 0;
}

void
kctl_jsonpath_free(struct kctl_jsonpath *jp)
{
    if (!jp)
        return;
    node_free(jp->root);
    free(jp);
}

/* --- evaluation ---------------------------------------------------------------------------------------------- */

/* A list of values; NULL entries stand for Go's nil (a range over nothing). */
struct vals {
    const json_t **v;
    size_t n, cap;
};

static int
vals_push(struct vals *vs, const json_t *v)
{
    if (vs->n == vs->cap) {
        size_t cap = vs->cap ? vs->cap * 2 : 8;
        const json_t **nv = kc_realloc(vs->v, cap * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        vs->v = nv;
        vs->cap = cap;
    }
    vs->v[vs->n++] = v;
    return 0;
}

static void
vals_free(struct vals *vs)
{
    free(vs->v);
    memset(vs, 0, sizeof(*vs));
}

struct exec {
    bool allow_missing;
    int begin_range, end_range, in_range;
    long last_end;
    char *err;
    size_t errlen;
    struct vals *full; /* one entry per node result list */
    size_t nfull, capfull;
};

static int xerr(struct exec *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
xerr(struct exec *x, const char *fmt, ...)
{
    if (x->err && x->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->err, x->errlen, fmt, ap);
        va_end(ap);
    }
    return KC_EINVALID;
}

static int walk(struct exec *x, const struct vals *in, const struct node *n, struct vals *out);

static const char *
type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "map[string]interface {}";
    case JSON_ARRAY:
        return "[]interface {}";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "int64";
    case JSON_REAL:
        return "float64";
    case JSON_TRUE:
    case JSON_FALSE:
        return "bool";
    default:
        return "interface {}";
    }
}

static int
eval_list(struct exec *x, const struct vals *in, const struct node *list, struct vals *out)
{
    struct vals cur = { 0 };
    int rc = 0;
    for (size_t i = 0; i < in->n && rc == 0; i++)
        rc = vals_push(&cur, in->v[i]);
    for (size_t i = 0; i < list->nkids && rc == 0; i++) {
        struct vals nx = { 0 };
        rc = walk(x, &cur, list->kids[i], &nx);
        vals_free(&cur);
        cur = nx;
    }
    if (rc) {
        vals_free(&cur);
        return rc;
    }
    *out = cur;
    return 0;
}

static int
eval_field(struct exec *x, const struct vals *in, const struct node *n, struct vals *out)
{
    if (in->n == 0)
        return 0;
    for (size_t i = 0; i < in->n; i++) {
        const json_t *v = in->v[i];
        if (!v || json_is_null(v))
            continue;
        if (!n->str[0]) {
            if (vals_push(out, v))
                return -ENOMEM;
            continue;
        }
        const json_t *r = json_is_object(v) ? json_object_get(v, n->str) : NULL;
        if (r && vals_push(out, r))
            return -ENOMEM;
    }
    if (out->n == 0 && !x->allow_missing)
        return xerr(x, "%s is not found", n->str);
    return 0;
}

static int
eval_array(struct exec *x, const struct vals *in, const struct node *n, struct vals *out)
{
    for (size_t i = 0; i < in->n; i++) {
        const json_t *v = in->v[i];
        if (!v || json_is_null(v))
            continue;
        if (!json_is_array(v))
            return xerr(x, "%s is not array or slice", type_name(v));
        long len = (long)json_array_size(v);
        struct param p[3] = { n->p[0], n->p[1], n->p[2] };
        if (!p[0].known)
            p[0].value = 0;
        if (p[0].value < 0)
            p[0].value += len;
        if (!p[1].known)
            p[1].value = len;
        if (p[1].value < 0 || (p[1].value == 0 && p[1].derived))
            p[1].value += len;
        if (p[1].value == p[0].value)
            continue; /* zero elements requested */
        if (p[0].value >= len || p[0].value < 0)
            return xerr(x, "array index out of bounds: index %ld, length %ld", p[0].value, len);
        if (p[1].value > len || p[1].value < 0)
            return xerr(x, "array index out of bounds: index %ld, length %ld", p[1].value - 1, len);
        if (p[0].value > p[1].value)
            return xerr(x, "starting index %ld is greater than ending index %ld", p[0].value, p[1].value);
        long step = 1;
        if (p[2].known) {
            if (p[2].value <= 0)
                return xerr(x, "step must be > 0");
            step = p[2].value;
        }
        for (long k = p[0].value; k < p[1].value; k += step)
            if (vals_push(out, json_array_get(v, (size_t)k)))
                return -ENOMEM;
    }
    return 0;
}

static int
cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The children of a map (by sorted key: Go's order is random, ours is stable) or a list. */
static int
children(const json_t *v, struct vals *out)
{
    if (json_is_object(v)) {
        size_t n = json_object_size(v), k = 0;
        const char **keys = kc_calloc(n ? n : 1, sizeof(*keys));
        if (!keys)
            return -ENOMEM;
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)v, key, val) keys[k++] = key;
        qsort(keys, k, sizeof(*keys), cmp_keys);
        for (size_t i = 0; i < k; i++)
            if (vals_push(out, json_object_get(v, keys[i]))) {
                free(keys);
                return -ENOMEM;
            }
        free(keys);
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (vals_push(out, json_array_get(v, i)))
                return -ENOMEM;
    }
    return 0;
}

static int
eval_wildcard(const struct vals *in, struct vals *out)
{
    for (size_t i = 0; i < in->n; i++)
        if (in->v[i] && children(in->v[i], out))
            return -ENOMEM;
    return 0;
}

static int
eval_recursive(const struct vals *in, struct vals *out)
{
    for (size_t i = 0; i < in->n; i++) {
        const json_t *v = in->v[i];
        if (!v)
            continue;
        struct vals kids = { 0 };
        if (children(v, &kids)) {
            vals_free(&kids);
            return -ENOMEM;
        }
        if (kids.n > 0) {
            int rc = vals_push(out, v);
            if (rc == 0)
                rc = eval_recursive(&kids, out);
            if (rc) {
                vals_free(&kids);
                return rc;
            }
        }
        vals_free(&kids);
    }
    return 0;
}

/* text/template's comparison: basic kinds only, ints with ints, floats with floats, strings with strings. */
static int
compare(struct exec *x, const char *op, const json_t *l, const json_t *r, bool *pass)
{
    int kl = json_is_integer(l) ? 1 : json_is_real(l) ? 2 : json_is_string(l) ? 3 : json_is_boolean(l) ? 4 : 0;
    int kr = json_is_integer(r) ? 1 : json_is_real(r) ? 2 : json_is_string(r) ? 3 : json_is_boolean(r) ? 4 : 0;
    bool eq = strcmp(op, "==") == 0, ne = strcmp(op, "!=") == 0;
    if (!kl || !kr)
        return xerr(x, "invalid type for comparison");
    if (kl != kr)
        return xerr(x, "incompatible types for comparison");
    int c;
    switch (kl) {
    case 1: {
        json_int_t a = json_integer_value(l), b = json_integer_value(r);
        c = a < b ? -1 : a > b;
        break;
    }
    case 2: {
        double a = json_real_value(l), b = json_real_value(r);
        c = a < b ? -1 : a > b;
        break;
    }
    case 3:
        c = strcmp(json_string_value(l), json_string_value(r));
        c = c < 0 ? -1 : c > 0;
        break;
    default:
        if (!eq && !ne)
            return xerr(x, "invalid type for comparison");
        c = json_is_true(l) == json_is_true(r) ? 0 : 1;
        break;
    }
    if (eq)
        *pass = c == 0;
    else if (ne)
        *pass = c != 0;
    else if (strcmp(op, "<") == 0)
        *pass = c < 0;
    else if (strcmp(op, ">") == 0)
        *pass = c > 0;
    else if (strcmp(op, "<=") == 0)
        *pass = c <= 0;
    else if (strcmp(op, ">=") == 0)
        *pass = c >= 0;
    else
        return xerr(x, "unrecognized filter operator %s", op);
    return 0;
}

static int
eval_filter(struct exec *x, const struct vals *in, const struct node *n, struct vals *out)
{
    for (size_t i = 0; i < in->n; i++) {
        const json_t *v = in->v[i];
        if (!json_is_array(v)) {
            char *txt = NULL;
            size_t len = 0;
            FILE *m = open_memstream(&txt, &len);
            if (m) {
                kctl_go_sprint(v, m);
                fclose(m);
            }
            int rc = xerr(x, "%s is not array or slice and cannot be filtered", txt ? txt : "");
            free(txt);
            return rc;
        }
        for (size_t k = 0; k < json_array_size(v); k++) {
            const json_t *el = json_array_get(v, k);
            struct vals one = { 0 }, lefts = { 0 }, rights = { 0 };
            if (vals_push(&one, el))
                return -ENOMEM;
            int rc = eval_list(x, &one, n->kids[0], &lefts);
            if (strcmp(n->str, "exists") == 0) {
                if (rc == 0 && lefts.n > 0 && vals_push(out, el))
                    rc = -ENOMEM;
                else if (rc == KC_EINVALID)
                    rc = 0;
                vals_free(&one);
                vals_free(&lefts);
                if (rc)
                    return rc;
                continue;
            }
            if (rc == 0 && lefts.n > 1)
                rc = xerr(x, "can only compare one element at a time");
            if (rc == 0 && lefts.n == 1) {
                rc = eval_list(x, &one, n->kids[1], &rights);
                if (rc == 0 && rights.n > 1)
                    rc = xerr(x, "can only compare one element at a time");
                bool pass = false;
                if (rc == 0 && rights.n == 1 && lefts.v[0] && rights.v[0])
                    rc = compare(x, n->str, lefts.v[0], rights.v[0], &pass);
                if (rc == 0 && pass && vals_push(out, el))
                    rc = -ENOMEM;
            }
            vals_free(&one);
            vals_free(&lefts);
            vals_free(&rights);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int
walk(struct exec *x, const struct vals *in, const struct node *n, struct vals *out)
{
    switch (n->type) {
    case N_LIST:
        return eval_list(x, in, n, out);
    case N_TEXT:
    case N_INT:
    case N_FLOAT:
    case N_BOOL:
        return vals_push(out, n->value);
    case N_FIELD:
        return eval_field(x, in, n, out);
    case N_ARRAY:
        return eval_array(x, in, n, out);
    case N_FILTER:
        return eval_filter(x, in, n, out);
    case N_WILDCARD:
        return eval_wildcard(in, out);
    case N_RECURSIVE:
        return eval_recursive(in, out);
    case N_UNION:
        for (size_t i = 0; i < n->nkids; i++) {
            struct vals r = { 0 };
            int rc = eval_list(x, in, n->kids[i], &r);
            for (size_t k = 0; rc == 0 && k < r.n; k++)
                rc = vals_push(out, r.v[k]);
            vals_free(&r);
            if (rc)
                return rc;
        }
        return 0;
    case N_IDENT:
        if (strcmp(n->str, "range") == 0) {
            x->begin_range++;
        } else if (strcmp(n->str, "end") == 0) {
            if (x->in_range <= 0)
                return xerr(x, "not in range, nothing to end");
            x->end_range++;
        } else {
            return xerr(x, "unrecognized identifier %s", n->str);
        }
        for (size_t i = 0; i < in->n; i++)
            if (vals_push(out, in->v[i]))
                return -ENOMEM;
        return 0;
    }
    return xerr(x, "unexpected node");
}

static int
full_push(struct exec *x, struct vals *v)
{
    if (!x->full) /* a range over nothing: results are dropped */
        return 0;
    if (x->nfull == x->capfull) {
        size_t cap = x->capfull ? x->capfull * 2 : 8;
        struct vals *nf = kc_realloc(x->full, cap * sizeof(*nf));
        if (!nf)
            return -ENOMEM;
        x->full = nf;
        x->capfull = cap;
    }
    x->full[x->nfull++] = *v;
    memset(v, 0, sizeof(*v));
    return 0;
}

/* Go's FindResults over the root's nodes from first on, with data as the current value. */
static int
find(struct exec *x, const struct node *root, const json_t *data, size_t first, bool keep)
{
    struct vals cur = { 0 };
    if (vals_push(&cur, data))
        return -ENOMEM;
    int rc = 0;
    for (size_t i = first; i < root->nkids && rc == 0; i++) {
        struct vals res = { 0 };
        rc = walk(x, &cur, root->kids[i], &res);
        if (rc) {
            vals_free(&res);
            break;
        }
        if (x->end_range > 0 && x->end_range <= x->in_range) {
            x->end_range--;
            x->last_end = (long)i;
            vals_free(&res);
            break;
        }
        if (x->begin_range > 0) {
            x->begin_range--;
            x->in_range++;
            if (res.n > 0) {
                for (size_t k = 0; k < res.n && rc == 0; k++)
                    rc = find(x, root, res.v[k], i + 1, keep);
            } else {
                struct vals *saved = x->full;
                size_t sn = x->nfull, sc = x->capfull;
                /* nothing to range over: walk to the end node, keep nothing */
                x->full = NULL;
                rc = find(x, root, NULL, i + 1, false);
                x->full = saved;
                x->nfull = sn;
                x->capfull = sc;
            }
            x->in_range--;
            vals_free(&res);
            for (size_t k = i + 1; k < root->nkids; k++)
                if ((long)k == x->last_end) {
                    i = k;
                    break;
                }
            continue;
        }
        if (keep)
            rc = full_push(x, &res);
        vals_free(&res);
    }
    vals_free(&cur);
    return rc;
}

static void
exec_free(struct exec *x)
{
    for (size_t i = 0; i < x->nfull; i++)
        vals_free(&x->full[i]);
    free(x->full);
}

/* PrintResults: one node's results, separated by spaces. */
static int
print_results(const struct vals *r, FILE *out)
{
    for (size_t i = 0; i < r->n; i++) {
        const json_t *v = r->v[i];
        if (v && (json_is_object(v) || json_is_array(v))) {
            if (kctl_go_json(v, 0, out))
                return -ENOMEM;
        } else {
            kctl_go_sprint(v, out);
        }
        if (i + 1 != r->n)
            fputc(' ', out);
    }
    return 0;
}

int
kctl_jsonpath_exec(const struct kctl_jsonpath *jp, const json_t *data, bool allow_missing, FILE *out, char *err,
                   size_t errlen)
{
    struct exec x = { .allow_missing = allow_missing, .last_end = -1, .err = err, .errlen = errlen };
    /* x.full starts NULL but must collect: give it a first slot */
    x.full = kc_calloc(1, sizeof(*x.full));
    x.capfull = 1;
    if (!x.full)
        return -ENOMEM;
    int rc = find(&x, jp->root, data, 0, true);
    for (size_t i = 0; rc == 0 && i < x.nfull; i++)
        rc = print_results(&x.full[i], out);
    exec_free(&x);
    return rc;
}

int
kctl_jsonpath_find(const struct kctl_jsonpath *jp, const json_t *data, json_t **results, char *err, size_t errlen)
{
    struct exec x = { .allow_missing = true, .last_end = -1, .err = err, .errlen = errlen };
    x.full = kc_calloc(1, sizeof(*x.full));
    x.capfull = 1;
    if (!x.full)
        return -ENOMEM;
    int rc = find(&x, jp->root, data, 0, true);
    json_t *arr = rc == 0 ? json_array() : NULL;
    if (rc == 0 && !arr)
        rc = -ENOMEM;
    /* every action's values in order (custom-columns joins them; --sort-by takes the first) */
    for (size_t i = 0; rc == 0 && i < x.nfull; i++)
        for (size_t k = 0; rc == 0 && k < x.full[i].n; k++)
            if (x.full[i].v[k] && json_array_append(arr, (json_t *)x.full[i].v[k]) != 0)
                rc = -ENOMEM;
    exec_free(&x);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *results = arr;
    return 0;
}

int
kctl_jsonpath_relaxed(const char *expr, char *buf, size_t len)
{
    /* ^\{\.?([^{}]+)\}$|^\.?([^{}]+)$ */
    size_t n = strlen(expr);
    const char *s = expr;
    if (n == 0) {
        if (len < 1)
            return -ENAMETOOLONG;
        buf[0] = '\0';
        return 0;
    }
    bool braces = n >= 2 && s[0] == '{' && s[n - 1] == '}';
    if (braces) {
        s++;
        n -= 2;
    }
    if (n > 0 && s[0] == '.')
        s++, n--;
    if (n == 0 || memchr(s, '{', n) || memchr(s, '}', n))
        return KC_EINVALID;
    if ((size_t)snprintf(buf, len, "{.%.*s}", (int)n, s) >= len)
        return -ENAMETOOLONG;
    return 0;
}
