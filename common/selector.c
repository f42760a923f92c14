/* selector.c - label and field selectors: ports of labels.Parse (same tokens, lookahead and messages) and
 * fields.ParseSelector, upstream's validation texts, matching and String(). Errors are written through a bounded
 * writer straight into the caller's buffer, so reporting one never allocates.
 */
#include "kc_selector.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Upstream's validation texts (k8s.io/apimachinery/pkg/util/validation). RegexError puts two spaces before
 * each " or": "(e.g. 'MyName',  or 'my.name', ...". */
#define QNAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define QNAME_MSG \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
#define QNAME_REGEX_ERR \
    QNAME_MSG " (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '" QNAME_FMT "')"
#define LABEL_VALUE_ERR                                                                                               \
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start "   \
    "and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation " \
    "is '(" QNAME_FMT ")?')"
#define DNS1123_SUB_ERR                                                                                              \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start " \
    "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "                      \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define QNAME_SLASH_ERR \
    "a qualified name " QNAME_REGEX_ERR " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
#define EMPTY_ERR     "must be non-empty"
#define LABEL_MAX     63
#define SUBDOMAIN_MAX 253

/* ---- a bounded writer ---- */

/* Keeps what fits in buf (cap bytes plus a NUL) and counts the whole length, so the same code measures a text
 * (no buffer) and then writes it, and error messages need no allocation. */
struct w {
    char *buf;  /* NULL: only count */
    size_t cap; /* text bytes buf can hold (its size minus the NUL) */
    size_t len; /* bytes written so far, including those that did not fit */
};

static void
w_init(struct w *w, char *buf, size_t size)
{
    w->buf = size ? buf : NULL;
    w->cap = size ? size - 1 : 0;
    w->len = 0;
    if (w->buf)
        w->buf[0] = '\0';
}

static void
w_putn(struct w *w, const char *s, size_t n)
{
    if (w->buf && w->len < w->cap) {
        size_t room = w->cap - w->len;
        memcpy(w->buf + w->len, s, n < room ? n : room);
    }
    w->len += n;
    if (w->buf)
        w->buf[w->len < w->cap ? w->len : w->cap] = '\0';
}

static void
w_puts(struct w *w, const char *s)
{
    w_putn(w, s, strlen(s));
}

static void
w_putc(struct w *w, char c)
{
    w_putn(w, &c, 1);
}

static void
w_putu(struct w *w, uint64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
    w_putn(w, tmp, (size_t)n);
}

/* Forgets everything written after mark. */
static void
w_truncate(struct w *w, size_t mark)
{
    w->len = mark;
    if (w->buf)
        w->buf[mark < w->cap ? mark : w->cap] = '\0';
}

/* A malloc'ed copy of what write(w, arg) produces, measured first; NULL on allocation failure. */
static char *
w_render(void (*write)(struct w *, const void *), const void *arg)
{
    struct w w;
    w_init(&w, NULL, 0);
    write(&w, arg);
    char *out = kc_malloc(w.len + 1);
    if (!out)
        return NULL;
    w_init(&w, out, w.len + 1);
    write(&w, arg);
    return out;
}

/* ---- Go's %q ---- */

/* Decodes one rune of s[0..n) as Go does: an invalid byte gives U+FFFD with width 1. */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *r)
{
    unsigned c = s[0];
    size_t need;
    uint32_t v, min;

    if (c < 0x80) {
        *r = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3, v = c & 0x07, min = 0x10000;
    } else {
        goto bad;
    }
    if (n < need + 1)
        goto bad;
    for (size_t i = 1; i <= need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            goto bad;
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        goto bad;
    *r = v;
    return need + 1;
bad:
    *r = 0xfffd;
    return 1;
}

/* An approximation of Go's strconv.IsPrint: ASCII graphics and space, and every other rune except the
 * C1 controls, the non-ASCII spaces, the common format characters, private use and noncharacters. */
static bool
go_printable(uint32_t r)
{
    if (r < 0x20 || r == 0x7f)
        return false;
    if (r < 0x7f)
        return true;
    if (r <= 0xa0 || r == 0xad || (r >= 0x600 && r <= 0x605) || r == 0x61c || r == 0x6dd || r == 0x70f || r == 0x8e2 ||
        r == 0x1680 || r == 0x180e || (r >= 0x2000 && r <= 0x200f) || (r >= 0x2028 && r <= 0x202f) ||
        (r >= 0x205f && r <= 0x206f) || r == 0x3000 || (r >= 0xd800 && r <= 0xf8ff) || (r >= 0xfdd0 && r <= 0xfdef) ||
        r == 0xfeff || (r >= 0xfff9 && r <= 0xfffb) || (r & 0xfffe) == 0xfffe || r == 0xe0001 ||
        (r >= 0xe0020 && r <= 0xe007f) || r >= 0xf0000)
        return false;
    return true;
}

/* Writes s[0..n) quoted like Go's %q (strconv.Quote). */
static void
w_quote(struct w *w, const char *s, size_t n)
{
    char tmp[16];

    w_putc(w, '"');
    for (size_t i = 0; i < n;) {
        uint32_t r;
        size_t width = utf8_decode((const unsigned char *)s + i, n - i, &r);
        if (width == 1 && r == 0xfffd) {
            snprintf(tmp, sizeof(tmp), "\\x%02x", (unsigned char)s[i]);
            w_puts(w, tmp);
        } else if (r == '"' || r == '\\') {
            w_putc(w, '\\');
            w_putc(w, (char)r);
        } else if (go_printable(r)) {
            w_putn(w, s + i, width);
        } else {
            switch (r) {
            case '\a':
                w_puts(w, "\\a");
                break;
            case '\b':
                w_puts(w, "\\b");
                break;
            case '\f':
                w_puts(w, "\\f");
                break;
            case '\n':
                w_puts(w, "\\n");
                break;
            case '\r':
                w_puts(w, "\\r");
                break;
            case '\t':
                w_puts(w, "\\t");
                break;
            case '\v':
                w_puts(w, "\\v");
                break;
            default:
                if (r < 0x20 || r == 0x7f)
                    snprintf(tmp, sizeof(tmp), "\\x%02x", (unsigned)r);
                else if (r < 0x10000)
                    snprintf(tmp, sizeof(tmp), "\\u%04x", (unsigned)r);
                else
                    snprintf(tmp, sizeof(tmp), "\\U%08x", (unsigned)r);
                w_puts(w, tmp);
            }
        }
        i += width;
    }
    w_putc(w, '"');
}

/* Go's %#v of a []string: "[]string(nil)" when empty (upstream always passes a nil slice then), else
 * []string{"a", "b"}. */
static void
w_string_slice(struct w *w, char *const *values, size_t n)
{
    if (n == 0) {
        w_puts(w, "[]string(nil)");
        return;
    }
    w_puts(w, "[]string{");
    for (size_t i = 0; i < n; i++) {
        if (i)
            w_puts(w, ", ");
        w_quote(w, values[i], strlen(values[i]));
    }
    w_putc(w, '}');
}

/* ---- validation (pkg/util/validation) ---- */

static bool
is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool
is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* ^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$ */
static bool
qualified_name_ok(const char *s, size_t n)
{
    if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
        return false;
    for (size_t i = 1; i + 1 < n; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

/* ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ */
static bool
dns1123_subdomain_ok(const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.')
            continue;
        if (i == start || !is_lower_alnum(s[start]) || !is_lower_alnum(s[i - 1]))
            return false;
        for (size_t j = start + 1; j + 1 < i; j++)
            if (!is_lower_alnum(s[j]) && s[j] != '-')
                return false;
        start = i + 1;
    }
    return true;
}

/* A list of messages joined by sep, as strings.Join(errs, sep). */
struct msgs {
    struct w *w;
    const char *sep;
    size_t n;
};

static void
emit(struct msgs *m, const char *prefix, const char *msg)
{
    if (m->n++)
        w_puts(m->w, m->sep);
    w_puts(m->w, prefix);
    w_puts(m->w, msg);
}

/* validation.IsQualifiedName's messages joined by "; "; returns how many. */
static size_t
key_errors(const char *s, size_t n, struct w *w)
{
    struct msgs m = { w, "; ", 0 };
    const char *slash = memchr(s, '/', n);
    const char *name = s;
    size_t name_len = n;

    if (slash) {
        size_t prefix_len = (size_t)(slash - s);
        if (memchr(slash + 1, '/', n - prefix_len - 1)) {
            emit(&m, "", QNAME_SLASH_ERR);
            return m.n;
        }
        if (prefix_len == 0) {
            emit(&m, "prefix part ", EMPTY_ERR);
        } else {
            if (prefix_len > SUBDOMAIN_MAX)
                emit(&m, "prefix part ", "must be no more than 253 characters");
            if (!dns1123_subdomain_ok(s, prefix_len))
                emit(&m, "prefix part ", DNS1123_SUB_ERR);
        }
        name = slash + 1;
        name_len = n - prefix_len - 1;
    }
    if (name_len == 0)
        emit(&m, "name part ", EMPTY_ERR);
    else if (name_len > LABEL_MAX)
        emit(&m, "name part ", "must be no more than 63 characters");
    if (!qualified_name_ok(name, name_len))
        emit(&m, "name part ", QNAME_REGEX_ERR);
    return m.n;
}

/* validation.IsValidLabelValue's messages joined by "; "; returns how many. */
static size_t
value_errors(const char *s, size_t n, struct w *w)
{
    struct msgs m = { w, "; ", 0 };
    if (n > LABEL_MAX)
        emit(&m, "", "must be no more than 63 characters");
    if (n != 0 && !qualified_name_ok(s, n))
        emit(&m, "", LABEL_VALUE_ERR);
    return m.n;
}

int
kc_label_key_check(const char *key, char *msg, size_t msglen)
{
    struct w w;
    w_init(&w, msg, msg ? msglen : 0);
    return key_errors(key, strlen(key), &w) ? KC_EINVALID : 0;
}

int
kc_label_value_check(const char *value, char *msg, size_t msglen)
{
    struct w w;
    w_init(&w, msg, msg ? msglen : 0);
    return value_errors(value, strlen(value), &w) ? KC_EINVALID : 0;
}

/* Go's strconv.ParseInt(s, 10, 64). */
static bool
parse_int64(const char *s, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    uint64_t v = 0, limit;

    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i++;
    }
    if (s[i] == '\0')
        return false;
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* ---- label selectors ---- */

struct req {
    char *key;
    enum kc_label_op op;
    char **values; /* sorted byte-wise */
    size_t nvalues;
    size_t order; /* input position: sorting by key keeps ties in this order */
};

struct kc_label_selector {
    bool nothing;
    size_t n;
    struct req *reqs;
};

static void
req_free(struct req *r)
{
    for (size_t i = 0; i < r->nvalues; i++)
        free(r->values[i]);
    free(r->values);
    free(r->key);
    memset(r, 0, sizeof(*r));
}

void
kc_label_selector_free(struct kc_label_selector *sel)
{
    if (!sel)
        return;
    for (size_t i = 0; i < sel->n; i++)
        req_free(&sel->reqs[i]);
    free(sel->reqs);
    free(sel);
}

/* NewRequirement's checks, written as the items of its aggregate error joined by ", "; returns how many. The
 * key is checked only when check_key (the parser has checked it already, with another path). */
static size_t
requirement_errors(const struct req *r, bool check_key, struct w *w)
{
    struct w sink;
    size_t n = 0;

    w_init(&sink, NULL, 0);
#define NEXT_ITEM()          \
    do {                     \
        if (n++)             \
            w_puts(w, ", "); \
    } while (0)
    if (check_key && key_errors(r->key, strlen(r->key), &sink)) {
        NEXT_ITEM();
        w_puts(w, "key: Invalid value: ");
        w_quote(w, r->key, strlen(r->key));
        w_puts(w, ": ");
        key_errors(r->key, strlen(r->key), w);
    }
    const char *count_msg = NULL;
    switch (r->op) {
    case KC_LABEL_OP_IN:
    case KC_LABEL_OP_NOT_IN:
        if (r->nvalues == 0)
            count_msg = "for 'in', 'notin' operators, values set can't be empty";
        break;
    case KC_LABEL_OP_EQUALS:
    case KC_LABEL_OP_DOUBLE_EQUALS:
    case KC_LABEL_OP_NOT_EQUALS:
        if (r->nvalues != 1)
            count_msg = "exact-match compatibility requires one single value";
        break;
    case KC_LABEL_OP_EXISTS:
    case KC_LABEL_OP_DOES_NOT_EXIST:
        if (r->nvalues != 0)
            count_msg = "values set must be empty for exists and does not exist";
        break;
    case KC_LABEL_OP_GT:
    case KC_LABEL_OP_LT:
        if (r->nvalues != 1)
            count_msg = "for 'Gt', 'Lt' operators, exactly one value is required";
        break;
    }
    if (count_msg) {
        NEXT_ITEM();
        w_puts(w, "values: Invalid value: ");
        w_string_slice(w, r->values, r->nvalues);
        w_puts(w, ": ");
        w_puts(w, count_msg);
    }
    if (r->op == KC_LABEL_OP_GT || r->op == KC_LABEL_OP_LT) {
        for (size_t i = 0; i < r->nvalues; i++) {
            int64_t v;
            if (parse_int64(r->values[i], &v))
                continue;
            NEXT_ITEM();
            w_puts(w, "values[");
            w_putu(w, i);
            w_puts(w, "]: Invalid value: ");
            w_quote(w, r->values[i], strlen(r->values[i]));
            w_puts(w, ": for 'Gt', 'Lt' operators, the value must be an integer");
        }
    }
    for (size_t i = 0; i < r->nvalues; i++) {
        size_t len = strlen(r->values[i]);
        if (!value_errors(r->values[i], len, &sink))
            continue;
        NEXT_ITEM();
        w_puts(w, "values[");
        w_putu(w, i);
        w_puts(w, "][");
        w_puts(w, r->key);
        w_puts(w, "]: Invalid value: ");
        w_quote(w, r->values[i], len);
        w_puts(w, ": ");
        value_errors(r->values[i], len, w);
    }
#undef NEXT_ITEM
    return n;
}

/* Checks r as NewRequirement does; on failure writes upstream's aggregate text ("[a, b]" for several). */
static bool
requirement_check(const struct req *r, bool check_key, struct w *err)
{
    struct w sink;
    w_init(&sink, NULL, 0);
    size_t n = requirement_errors(r, check_key, &sink);
    if (n == 0)
        return true;
    if (n > 1)
        w_putc(err, '[');
    requirement_errors(r, check_key, err);
    if (n > 1)
        w_putc(err, ']');
    return false;
}

/* A string slice of (pointer, length) pieces, e.g. values pointing into the input. */
struct piece {
    const char *s;
    size_t len;
};

static int
piece_cmp(const void *a, const void *b)
{
    const struct piece *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    if (c)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

static int
cstr_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Fills r with copies of key and values: sorted and de-duplicated when set (the parser's sets.String), else in
 * the given order (metav1's slice, which upstream validates unsorted). Returns 0 or -ENOMEM (then r is empty). */
static int
req_build(struct req *r, struct piece key, enum kc_label_op op, struct piece *values, size_t n, bool set)
{
    memset(r, 0, sizeof(*r));
    r->op = op;
    if (set && n > 1)
        qsort(values, n, sizeof(*values), piece_cmp);
    r->key = kc_strndup(key.s, key.len);
    if (!r->key)
        goto nomem;
    if (n) {
        r->values = kc_calloc(n, sizeof(*r->values));
        if (!r->values)
            goto nomem;
    }
    for (size_t i = 0; i < n; i++) {
        if (set && r->nvalues && piece_cmp(&values[i], &values[i - 1]) == 0)
            continue;
        r->values[r->nvalues] = kc_strndup(values[i].s, values[i].len);
        if (!r->values[r->nvalues])
            goto nomem;
        r->nvalues++;
    }
    return 0;
nomem:
    req_free(r);
    return -ENOMEM;
}

static int
req_cmp(const void *a, const void *b)
{
    const struct req *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return (x->order > y->order) - (x->order < y->order);
}

/* Appends r (taking it over) to sel, growing the array. Returns 0 or -ENOMEM (then r is freed). */
static int
sel_append(struct kc_label_selector *sel, size_t *cap, struct req *r)
{
    if (sel->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        struct req *n = kc_realloc(sel->reqs, ncap * sizeof(*n));
        if (!n) {
            req_free(r);
            return -ENOMEM;
        }
        sel->reqs = n;
        *cap = ncap;
    }
    r->order = sel->n;
    sel->reqs[sel->n++] = *r;
    return 0;
}

/* Lexer tokens (labels.Token). */
enum tok {
    T_END,
    T_CPAR,
    T_COMMA,
    T_NOT,
    T_DEQ,
    T_EQ,
    T_GT,
    T_ID,
    T_IN,
    T_LT,
    T_NEQ,
    T_NOTIN,
    T_OPAR,
};

struct token {
    enum tok t;
    struct piece lit; /* the literal text ("" at the end) */
};

static bool
is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
is_special(char c)
{
    return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

/* The operator token spelled s[0..n), or T_END when none. */
static enum tok
special_token(const char *s, size_t n)
{
    if (n == 1) {
        switch (s[0]) {
        case '(':
            return T_OPAR;
        case ')':
            return T_CPAR;
        case ',':
            return T_COMMA;
        case '!':
            return T_NOT;
        case '=':
            return T_EQ;
        case '>':
            return T_GT;
        case '<':
            return T_LT;
        }
    } else if (n == 2 && s[1] == '=') {
        if (s[0] == '=')
            return T_DEQ;
        if (s[0] == '!')
            return T_NEQ;
    }
    return T_END;
}

/* Scans all of s into tokens ending with T_END (Parser.scan). Every special character is a token by itself,
 * so upstream's ErrorToken cannot occur. Returns 0 or -ENOMEM. */
static int
lex(const char *s, struct token **out, size_t *nout)
{
    size_t n = strlen(s), pos = 0, k = 0;
    struct token *toks = kc_calloc(n + 1, sizeof(*toks));

    if (!toks)
        return -ENOMEM;
    for (;;) {
        while (pos < n && is_ws(s[pos]))
            pos++;
        if (pos >= n) {
            toks[k++] = (struct token){ T_END, { s + n, 0 } };
            break;
        }
        if (is_special(s[pos])) {
            size_t len = pos + 1 < n && special_token(s + pos, 2) != T_END ? 2 : 1;
            toks[k++] = (struct token){ special_token(s + pos, len), { s + pos, len } };
            pos += len;
            continue;
        }
        size_t start = pos;
        while (pos < n && !is_special(s[pos]) && !is_ws(s[pos]))
            pos++;
        struct piece lit = { s + start, pos - start };
        enum tok t = T_ID;
        if (lit.len == 2 && memcmp(lit.s, "in", 2) == 0)
            t = T_IN;
        else if (lit.len == 5 && memcmp(lit.s, "notin", 5) == 0)
            t = T_NOTIN;
        toks[k++] = (struct token){ t, lit };
    }
    *out = toks;
    *nout = k;
    return 0;
}

struct parser {
    const struct token *toks;
    size_t n, pos;
    struct w *err;
    struct piece *vals; /* values of the requirement being parsed */
    size_t nvals, capvals;
};

/* The current token; in the Values context the keywords "in" and "notin" are identifiers. */
static struct token
lookahead(const struct parser *p, bool values)
{
    struct token t = p->toks[p->pos < p->n ? p->pos : p->n - 1];
    if (values && (t.t == T_IN || t.t == T_NOTIN))
        t.t = T_ID;
    return t;
}

static struct token
consume(struct parser *p, bool values)
{
    struct token t = lookahead(p, values);
    if (p->pos < p->n)
        p->pos++;
    return t;
}

/* Writes "found '<lit>'<rest>" and returns KC_EPARSE. */
static int
found(struct parser *p, struct token t, const char *rest)
{
    w_puts(p->err, "found '");
    w_putn(p->err, t.lit.s, t.lit.len);
    w_puts(p->err, "'");
    w_puts(p->err, rest);
    return KC_EPARSE;
}

static int
push_value(struct parser *p, struct piece v)
{
    if (p->nvals == p->capvals) {
        size_t ncap = p->capvals ? p->capvals * 2 : 4;
        struct piece *n = kc_realloc(p->vals, ncap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        p->vals = n;
        p->capvals = ncap;
    }
    p->vals[p->nvals++] = v;
    return 0;
}

static const struct piece empty_value = { "", 0 };

/* parseIdentifiersList: a possibly empty, comma separated list of possibly empty values, up to ')'. */
static int
parse_identifiers_list(struct parser *p)
{
    int rc;
    for (;;) {
        struct token t = consume(p, true);
        struct token la;
        switch (t.t) {
        case T_ID:
            if ((rc = push_value(p, t.lit)) != 0)
                return rc;
            la = lookahead(p, true);
            if (la.t == T_COMMA)
                continue;
            if (la.t == T_CPAR)
                return 0;
            return found(p, la, ", expected: ',' or ')'");
        case T_COMMA:
            if (p->nvals == 0 && (rc = push_value(p, empty_value)) != 0) /* "(," */
                return rc;
            la = lookahead(p, true);
            if (la.t == T_CPAR) /* ",)" */
                return push_value(p, empty_value);
            if (la.t == T_COMMA) { /* ",," */
                consume(p, true);
                if ((rc = push_value(p, empty_value)) != 0)
                    return rc;
            }
            break;
        default:
            return found(p, t, ", expected: ',', or identifier");
        }
    }
}

/* parseValues: "(" values ")". */
static int
parse_values(struct parser *p)
{
    struct token t = consume(p, true);
    if (t.t != T_OPAR)
        return found(p, t, " expected: '('");
    struct token la = lookahead(p, true);
    switch (la.t) {
    case T_ID:
    case T_COMMA: {
        int rc = parse_identifiers_list(p);
        if (rc)
            return rc;
        if (consume(p, true).t != T_CPAR)
            return found(p, la, ", expected: ')'");
        return 0;
    }
    case T_CPAR: /* "()" */
        consume(p, true);
        return push_value(p, empty_value);
    default:
        return found(p, la, ", expected: ',', ')' or identifier");
    }
}

/* parseExactValue: one value, possibly empty. */
static int
parse_exact_value(struct parser *p)
{
    struct token la = lookahead(p, true);
    if (la.t == T_END || la.t == T_COMMA)
        return push_value(p, empty_value);
    struct token t = consume(p, true);
    if (t.t == T_ID)
        return push_value(p, t.lit);
    return found(p, t, ", expected: identifier");
}

/* parseRequirement: [!] KEY [ operator values ]. */
static int
parse_requirement(struct parser *p, struct req *out)
{
    enum kc_label_op op = KC_LABEL_OP_EXISTS;
    bool unary = false;
    struct token t = consume(p, true);
    int rc;

    if (t.t == T_NOT) {
        op = KC_LABEL_OP_DOES_NOT_EXIST;
        unary = true;
        t = consume(p, true);
    }
    if (t.t != T_ID)
        return found(p, t, ", expected: identifier");
    struct piece key = t.lit;
    struct w sink;
    w_init(&sink, NULL, 0);
    if (key_errors(key.s, key.len, &sink)) {
        w_puts(p->err, "<nil>: Invalid value: ");
        w_quote(p->err, key.s, key.len);
        w_puts(p->err, ": ");
        key_errors(key.s, key.len, p->err);
        return KC_EPARSE;
    }
    struct token la = lookahead(p, true);
    if (la.t == T_END || la.t == T_COMMA)
        unary = true; /* "key" alone is Exists; "!key" stays DoesNotExist */

    p->nvals = 0;
    if (!unary) {
        t = consume(p, false);
        switch (t.t) {
        case T_IN:
            op = KC_LABEL_OP_IN;
            break;
        case T_EQ:
            op = KC_LABEL_OP_EQUALS;
            break;
        case T_DEQ:
            op = KC_LABEL_OP_DOUBLE_EQUALS;
            break;
        case T_GT:
            op = KC_LABEL_OP_GT;
            break;
        case T_LT:
            op = KC_LABEL_OP_LT;
            break;
        case T_NOTIN:
            op = KC_LABEL_OP_NOT_IN;
            break;
        case T_NEQ:
            op = KC_LABEL_OP_NOT_EQUALS;
            break;
        default:
            return found(p, t, ", expected: in, notin, =, ==, !=, gt, lt");
        }
        rc = op == KC_LABEL_OP_IN || op == KC_LABEL_OP_NOT_IN ? parse_values(p) : parse_exact_value(p);
        if (rc)
            return rc;
    }
    if ((rc = req_build(out, key, op, p->vals, p->nvals, true)) != 0)
        return rc;
    if (!requirement_check(out, false, p->err)) {
        req_free(out);
        return KC_EPARSE;
    }
    return 0;
}

static int
parse_selector(struct parser *p, struct kc_label_selector *sel)
{
    size_t cap = 0;
    for (;;) {
        struct token la = lookahead(p, true);
        switch (la.t) {
        case T_ID:
        case T_NOT: {
            struct req r;
            size_t mark = p->err->len;
            w_puts(p->err, "unable to parse requirement: ");
            int rc = parse_requirement(p, &r);
            if (rc) {
                if (rc == -ENOMEM)
                    w_truncate(p->err, mark);
                return rc;
            }
            w_truncate(p->err, mark);
            if ((rc = sel_append(sel, &cap, &r)) != 0)
                return rc;
            struct token t = consume(p, true);
            if (t.t == T_END)
                return 0;
            if (t.t != T_COMMA)
                return found(p, t, ", expected: ',' or 'end of string'");
            struct token next = lookahead(p, true);
            if (next.t != T_ID && next.t != T_NOT)
                return found(p, next, ", expected: identifier after ','");
            break;
        }
        case T_END:
            return 0;
        default:
            return found(p, la, ", expected: !, identifier, or 'end of string'");
        }
    }
}

static struct kc_label_selector *
sel_new(void)
{
    return kc_calloc(1, sizeof(struct kc_label_selector));
}

int
kc_label_selector_parse(const char *s, struct kc_label_selector **out, char *errbuf, size_t errlen)
{
    struct w err;
    struct parser p = { 0 };
    struct kc_label_selector *sel;
    struct token *toks;
    size_t ntoks;
    int rc;

    w_init(&err, errbuf, errbuf ? errlen : 0);
    if ((rc = lex(s, &toks, &ntoks)) != 0)
        return rc;
    sel = sel_new();
    if (!sel) {
        free(toks);
        return -ENOMEM;
    }
    p.toks = toks;
    p.n = ntoks;
    p.err = &err;
    rc = parse_selector(&p, sel);
    free(p.vals);
    free(toks);
    if (rc) {
        kc_label_selector_free(sel);
        return rc;
    }
    if (sel->n > 1)
        qsort(sel->reqs, sel->n, sizeof(*sel->reqs), req_cmp);
    *out = sel;
    return 0;
}

/* A JSON string without embedded NUL: its value, else NULL. */
static const char *
plain_string(const json_t *v)
{
    const char *s = json_string_value(v);
    return s && strlen(s) == json_string_length(v) ? s : NULL;
}

/* A key of a JSON object (from json_object_foreach) without embedded NUL. */
static bool
plain_key(const char *key)
{
    return strlen(key) == json_object_iter_key_len(json_object_key_to_iter(key));
}

static int
shape_error(struct w *err, const char *what, size_t index, const char *rest)
{
    w_puts(err, what);
    if (index != (size_t)-1) {
        w_putc(err, '[');
        w_putu(err, index);
        w_putc(err, ']');
    }
    w_puts(err, rest);
    return KC_EINVALID;
}

/* Adds the matchLabels requirements (in key order) to sel. */
static int
add_match_labels(struct kc_label_selector *sel, size_t *cap, const json_t *ml, struct w *err)
{
    size_t n = json_object_size(ml), k = 0;
    const char *key;
    json_t *value;
    int rc = 0;

    if (n == 0)
        return 0;
    const char **keys = kc_calloc(n, sizeof(*keys));
    if (!keys)
        return -ENOMEM;
    json_object_foreach((json_t *)ml, key, value)
    {
        if (!plain_string(value) || !plain_key(key)) {
            free(keys);
            return shape_error(err, "matchLabels must be an object of strings", (size_t)-1, "");
        }
        keys[k++] = key;
    }
    qsort(keys, n, sizeof(*keys), cstr_cmp);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *v = json_string_value(json_object_get(ml, keys[i]));
        struct piece val = { v, strlen(v) };
        struct req r;
        if ((rc = req_build(&r, (struct piece){ keys[i], strlen(keys[i]) }, KC_LABEL_OP_EQUALS, &val, 1, false)))
            break;
        if (!requirement_check(&r, true, err)) {
            req_free(&r);
            rc = KC_EINVALID;
            break;
        }
        rc = sel_append(sel, cap, &r);
    }
    free(keys);
    return rc;
}

/* Adds one matchExpressions element to sel. */
static int
add_expression(struct kc_label_selector *sel, size_t *cap, const json_t *e, size_t index, struct w *err)
{
    static const struct {
        const char *name;
        enum kc_label_op op;
    } ops[] = {
        { "In", KC_LABEL_OP_IN },
        { "NotIn", KC_LABEL_OP_NOT_IN },
        { "Exists", KC_LABEL_OP_EXISTS },
        { "DoesNotExist", KC_LABEL_OP_DOES_NOT_EXIST },
    };
    const json_t *jk, *jo, *jv;
    const char *key = "", *opname = "";
    struct piece *vals = NULL;
    size_t nvals = 0;
    int rc;

    if (!json_is_object(e))
        return shape_error(err, "matchExpressions must be an array of objects", (size_t)-1, "");
    jk = json_object_get(e, "key");
    jo = json_object_get(e, "operator");
    jv = json_object_get(e, "values");
    if (jk && !json_is_null(jk) && !(key = plain_string(jk)))
        return shape_error(err, "matchExpressions", index, ".key must be a string");
    if (jo && !json_is_null(jo) && !(opname = plain_string(jo)))
        return shape_error(err, "matchExpressions", index, ".operator must be a string");
    if (jv && !json_is_null(jv)) {
        if (!json_is_array(jv))
            return shape_error(err, "matchExpressions", index, ".values must be an array of strings");
        for (size_t i = 0; i < json_array_size(jv); i++)
            if (!plain_string(json_array_get(jv, i)))
                return shape_error(err, "matchExpressions", index, ".values must be an array of strings");
        nvals = json_array_size(jv);
    }

    enum kc_label_op op = KC_LABEL_OP_IN;
    size_t i;
    for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strcmp(ops[i].name, opname) == 0)
            break;
    if (i == sizeof(ops) / sizeof(ops[0])) {
        w_quote(err, opname, strlen(opname));
        w_puts(err, " is not a valid label selector operator");
        return KC_EINVALID;
    }
    op = ops[i].op;

    if (nvals) {
        vals = kc_calloc(nvals, sizeof(*vals));
        if (!vals)
            return -ENOMEM;
        for (i = 0; i < nvals; i++) {
            const char *v = json_string_value(json_array_get(jv, i));
            vals[i] = (struct piece){ v, strlen(v) };
        }
    }
    struct req r;
    rc = req_build(&r, (struct piece){ key, strlen(key) }, op, vals, nvals, false);
    free(vals);
    if (rc)
        return rc;
    if (!requirement_check(&r, true, err)) {
        req_free(&r);
        return KC_EINVALID;
    }
    if (r.nvalues > 1)
        qsort(r.values, r.nvalues, sizeof(*r.values), cstr_cmp); /* String() prints them sorted */
    return sel_append(sel, cap, &r);
}

int
kc_label_selector_from_json(const json_t *selector, struct kc_label_selector **out, char *errbuf, size_t errlen)
{
    struct w err;
    struct kc_label_selector *sel;
    const json_t *ml, *me;
    size_t cap = 0;
    int rc = 0;

    w_init(&err, errbuf, errbuf ? errlen : 0);
    if (selector && !json_is_null(selector) && !json_is_object(selector))
        return shape_error(&err, "label selector must be an object", (size_t)-1, "");
    ml = selector ? json_object_get(selector, "matchLabels") : NULL;
    me = selector ? json_object_get(selector, "matchExpressions") : NULL;
    if (ml && !json_is_null(ml) && !json_is_object(ml))
        return shape_error(&err, "matchLabels must be an object of strings", (size_t)-1, "");
    if (me && !json_is_null(me) && !json_is_array(me))
        return shape_error(&err, "matchExpressions must be an array of objects", (size_t)-1, "");

    sel = sel_new();
    if (!sel)
        return -ENOMEM;
    if (!selector || json_is_null(selector)) {
        sel->nothing = true; /* a nil *LabelSelector selects nothing */
        *out = sel;
        return 0;
    }
    if (json_is_object(ml))
        rc = add_match_labels(sel, &cap, ml, &err);
    for (size_t i = 0; rc == 0 && json_is_array(me) && i < json_array_size(me); i++)
        rc = add_expression(sel, &cap, json_array_get(me, i), i, &err);
    if (rc) {
        kc_label_selector_free(sel);
        return rc;
    }
    if (sel->n > 1)
        qsort(sel->reqs, sel->n, sizeof(*sel->reqs), req_cmp);
    *out = sel;
    return 0;
}

int
kc_label_selector_from_set(const json_t *set, struct kc_label_selector **out)
{
    struct kc_label_selector *sel;
    const char *key;
    json_t *value;
    size_t cap = 0;

    if (set && !json_is_null(set) && !json_is_object(set))
        return KC_EINVALID;
    if (json_is_object(set)) {
        json_object_foreach((json_t *)set, key, value)
        {
            if (!plain_string(value) || !plain_key(key))
                return KC_EINVALID;
        }
    }
    sel = sel_new();
    if (!sel)
        return -ENOMEM;
    if (json_is_object(set)) {
        json_object_foreach((json_t *)set, key, value)
        {
            const char *v = json_string_value(value);
            struct piece val = { v, strlen(v) };
            struct req r;
            if (req_build(&r, (struct piece){ key, strlen(key) }, KC_LABEL_OP_EQUALS, &val, 1, false) != 0 ||
                sel_append(sel, &cap, &r) != 0) {
                kc_label_selector_free(sel);
                return -ENOMEM;
            }
        }
    }
    if (sel->n > 1)
        qsort(sel->reqs, sel->n, sizeof(*sel->reqs), req_cmp);
    *out = sel;
    return 0;
}

/* The value of label key, or NULL when absent or not a string. */
static const char *
label_get(const json_t *labels, const char *key, size_t *len)
{
    const json_t *v = json_is_object(labels) ? json_object_get(labels, key) : NULL;
    if (!json_is_string(v))
        return NULL;
    *len = json_string_length(v);
    return json_string_value(v);
}

static bool
req_has_value(const struct req *r, const char *v, size_t len)
{
    for (size_t i = 0; i < r->nvalues; i++)
        if (strlen(r->values[i]) == len && memcmp(r->values[i], v, len) == 0)
            return true;
    return false;
}

static bool
req_matches(const struct req *r, const json_t *labels)
{
    size_t len = 0;
    const char *v = label_get(labels, r->key, &len);
    int64_t have, want;

    switch (r->op) {
    case KC_LABEL_OP_IN:
    case KC_LABEL_OP_EQUALS:
    case KC_LABEL_OP_DOUBLE_EQUALS:
        return v && req_has_value(r, v, len);
    case KC_LABEL_OP_NOT_IN:
    case KC_LABEL_OP_NOT_EQUALS:
        return !v || !req_has_value(r, v, len);
    case KC_LABEL_OP_EXISTS:
        return v != NULL;
    case KC_LABEL_OP_DOES_NOT_EXIST:
        return v == NULL;
    case KC_LABEL_OP_GT:
    case KC_LABEL_OP_LT:
        if (!v || strlen(v) != len || !parse_int64(v, &have) || r->nvalues != 1 || !parse_int64(r->values[0], &want))
            return false;
        return r->op == KC_LABEL_OP_GT ? have > want : have < want;
    }
    return false;
}

bool
kc_label_selector_matches(const struct kc_label_selector *sel, const json_t *labels)
{
    if (!sel)
        return true;
    if (sel->nothing)
        return false;
    for (size_t i = 0; i < sel->n; i++)
        if (!req_matches(&sel->reqs[i], labels))
            return false;
    return true;
}

bool
kc_label_selector_empty(const struct kc_label_selector *sel)
{
    return !sel || (!sel->nothing && sel->n == 0);
}

bool
kc_label_selector_is_nothing(const struct kc_label_selector *sel)
{
    return sel && sel->nothing;
}

static void
write_requirement(struct w *w, const struct req *r)
{
    if (r->op == KC_LABEL_OP_DOES_NOT_EXIST)
        w_putc(w, '!');
    w_puts(w, r->key);
    switch (r->op) {
    case KC_LABEL_OP_EQUALS:
        w_puts(w, "=");
        break;
    case KC_LABEL_OP_DOUBLE_EQUALS:
        w_puts(w, "==");
        break;
    case KC_LABEL_OP_NOT_EQUALS:
        w_puts(w, "!=");
        break;
    case KC_LABEL_OP_IN:
        w_puts(w, " in (");
        break;
    case KC_LABEL_OP_NOT_IN:
        w_puts(w, " notin (");
        break;
    case KC_LABEL_OP_GT:
        w_puts(w, ">");
        break;
    case KC_LABEL_OP_LT:
        w_puts(w, "<");
        break;
    case KC_LABEL_OP_EXISTS:
    case KC_LABEL_OP_DOES_NOT_EXIST:
        return;
    }
    for (size_t i = 0; i < r->nvalues; i++) {
        if (i)
            w_putc(w, ',');
        w_puts(w, r->values[i]);
    }
    if (r->op == KC_LABEL_OP_IN || r->op == KC_LABEL_OP_NOT_IN)
        w_putc(w, ')');
}

static void
write_label_selector(struct w *w, const void *arg)
{
    const struct kc_label_selector *sel = arg;
    if (!sel || sel->nothing)
        return;
    for (size_t i = 0; i < sel->n; i++) {
        if (i)
            w_putc(w, ',');
        write_requirement(w, &sel->reqs[i]);
    }
}

char *
kc_label_selector_string(const struct kc_label_selector *sel)
{
    return w_render(write_label_selector, sel);
}

size_t
kc_label_selector_count(const struct kc_label_selector *sel)
{
    return sel ? sel->n : 0;
}

int
kc_label_selector_requirement(const struct kc_label_selector *sel, size_t i, const char **key, enum kc_label_op *op,
                              const char *const **values, size_t *nvalues)
{
    if (!sel || i >= sel->n)
        return KC_ENOTFOUND;
    const struct req *r = &sel->reqs[i];
    if (key)
        *key = r->key;
    if (op)
        *op = r->op;
    if (values)
        *values = (const char *const *)r->values;
    if (nvalues)
        *nvalues = r->nvalues;
    return 0;
}

const char *
kc_label_selector_exact(const struct kc_label_selector *sel, const char *key)
{
    if (!sel || sel->nothing)
        return NULL;
    for (size_t i = 0; i < sel->n; i++) {
        const struct req *r = &sel->reqs[i];
        if (strcmp(r->key, key) != 0)
            continue;
        if ((r->op == KC_LABEL_OP_EQUALS || r->op == KC_LABEL_OP_DOUBLE_EQUALS || r->op == KC_LABEL_OP_IN) &&
            r->nvalues == 1)
            return r->values[0];
        return NULL;
    }
    return NULL;
}

const char *
kc_label_op_name(enum kc_label_op op)
{
    switch (op) {
    case KC_LABEL_OP_IN:
        return "in";
    case KC_LABEL_OP_NOT_IN:
        return "notin";
    case KC_LABEL_OP_EQUALS:
        return "=";
    case KC_LABEL_OP_DOUBLE_EQUALS:
        return "==";
    case KC_LABEL_OP_NOT_EQUALS:
        return "!=";
    case KC_LABEL_OP_EXISTS:
        return "exists";
    case KC_LABEL_OP_DOES_NOT_EXIST:
        return "!";
    case KC_LABEL_OP_GT:
        return "gt";
    case KC_LABEL_OP_LT:
        return "lt";
    }
    return "";
}

/* ---- field selectors ---- */

struct fterm {
    char *field;
    enum kc_field_op op;
    char *value; /* unescaped */
};

struct kc_field_selector {
    size_t n;
    struct fterm *terms;
};

void
kc_field_selector_free(struct kc_field_selector *sel)
{
    if (!sel)
        return;
    for (size_t i = 0; i < sel->n; i++) {
        free(sel->terms[i].field);
        free(sel->terms[i].value);
    }
    free(sel->terms);
    free(sel);
}

/* fields.UnescapeValue into out (at least n+1 bytes; the result is never longer than the input, except that an
 * invalid UTF-8 byte becomes U+FFFD, as Go's rune loop writes it: so 3n+1 bytes). Returns 0 or KC_EPARSE. */
static int
unescape_value(const char *s, size_t n, char *out, struct w *err)
{
    size_t k = 0;
    bool slash = false;

    if (!memchr(s, '\\', n) && !memchr(s, ',', n) && !memchr(s, '=', n)) {
        memcpy(out, s, n);
        out[n] = '\0';
        return 0;
    }
    for (size_t i = 0; i < n;) {
        uint32_t r;
        size_t width = utf8_decode((const unsigned char *)s + i, n - i, &r);
        const char *bytes = s + i;
        size_t nbytes = width;
        if (width == 1 && r == 0xfffd) {
            bytes = "\xef\xbf\xbd";
            nbytes = 3;
        }
        i += width;
        if (slash) {
            if (r != '\\' && r != ',' && r != '=') {
                w_puts(err, "invalid field selector: invalid escape sequence: \\");
                w_putn(err, bytes, nbytes);
                return KC_EPARSE;
            }
            out[k++] = (char)r;
            slash = false;
            continue;
        }
        if (r == '\\') {
            slash = true;
        } else if (r == ',' || r == '=') {
            w_puts(err, "invalid field selector: unescaped character in value: ");
            w_putu(err, r);
            return KC_EPARSE;
        } else {
            memcpy(out + k, bytes, nbytes);
            k += nbytes;
        }
    }
    if (slash) {
        w_puts(err, "invalid field selector: invalid escape sequence: \\");
        return KC_EPARSE;
    }
    out[k] = '\0';
    return 0;
}

/* splitTerm: the first position holding "!=", "==" or "=" (tried in that order). */
static bool
split_term(struct piece term, size_t *at, size_t *oplen, enum kc_field_op *op)
{
    for (size_t i = 0; i < term.len; i++) {
        if (i + 1 < term.len && term.s[i] == '!' && term.s[i + 1] == '=') {
            *at = i, *oplen = 2, *op = KC_FIELD_OP_NOT_EQUALS;
            return true;
        }
        if (i + 1 < term.len && term.s[i] == '=' && term.s[i + 1] == '=') {
            *at = i, *oplen = 2, *op = KC_FIELD_OP_DOUBLE_EQUALS;
            return true;
        }
        if (term.s[i] == '=') {
            *at = i, *oplen = 1, *op = KC_FIELD_OP_EQUALS;
            return true;
        }
    }
    return false;
}

int
kc_field_selector_parse(const char *s, struct kc_field_selector **out, char *errbuf, size_t errlen)
{
    struct w err;
    size_t n = strlen(s), nparts = 0, k = 0;
    struct piece *parts;
    struct kc_field_selector *sel;
    int rc = 0;

    w_init(&err, errbuf, errbuf ? errlen : 0);
    /* splitTerms: commas not escaped by a backslash */
    for (size_t i = 0; i < n; i++)
        nparts += s[i] == ',';
    nparts = n ? nparts + 1 : 0;
    parts = kc_calloc(nparts ? nparts : 1, sizeof(*parts));
    sel = kc_calloc(1, sizeof(*sel));
    if (!parts || !sel)
        goto nomem;
    if (n) {
        size_t start = 0;
        bool slash = false;
        for (size_t i = 0; i < n; i++) {
            if (slash)
                slash = false;
            else if (s[i] == '\\')
                slash = true;
            else if (s[i] == ',') {
                parts[k++] = (struct piece){ s + start, i - start };
                start = i + 1;
            }
        }
        parts[k++] = (struct piece){ s + start, n - start };
    }
    nparts = k;
    qsort(parts, nparts, sizeof(*parts), piece_cmp);
    sel->terms = kc_calloc(nparts ? nparts : 1, sizeof(*sel->terms));
    if (!sel->terms)
        goto nomem;

    for (size_t i = 0; i < nparts; i++) {
        struct piece part = parts[i];
        size_t at, oplen;
        enum kc_field_op op;
        if (part.len == 0)
            continue;
        if (!split_term(part, &at, &oplen, &op)) {
            w_puts(&err, "invalid selector: '");
            w_puts(&err, s);
            w_puts(&err, "'; can't understand '");
            w_putn(&err, part.s, part.len);
            w_puts(&err, "'");
            rc = KC_EPARSE;
            goto fail;
        }
        const char *rhs = part.s + at + oplen;
        size_t rhs_len = part.len - at - oplen;
        char *value = kc_malloc(3 * rhs_len + 1);
        if (!value)
            goto nomem;
        if ((rc = unescape_value(rhs, rhs_len, value, &err)) != 0) {
            free(value);
            goto fail;
        }
        if (at == 0 && value[0] == '\0') { /* Transform drops a term whose field and value are both empty */
            free(value);
            continue;
        }
        char *field = kc_strndup(part.s, at);
        if (!field) {
            free(value);
            goto nomem;
        }
        sel->terms[sel->n++] = (struct fterm){ field, op, value };
    }
    free(parts);
    *out = sel;
    return 0;
nomem:
    rc = -ENOMEM;
fail:
    free(parts);
    kc_field_selector_free(sel);
    return rc;
}

/* The text of the value at path in obj, as the field selector compares it; false for objects and arrays. */
static bool
field_text(const json_t *obj, const char *path, char *tmp, size_t tmplen, const char **text, size_t *len)
{
    const json_t *v = obj ? kc_json_get(obj, path) : NULL;

    *text = tmp;
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING:
        *text = json_string_value(v);
        *len = json_string_length(v);
        return true;
    case JSON_NULL:
        *len = 0;
        return true;
    case JSON_TRUE:
    case JSON_FALSE:
        *text = json_is_true(v) ? "true" : "false";
        *len = strlen(*text);
        return true;
    case JSON_INTEGER:
        *len = (size_t)snprintf(tmp, tmplen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return true;
    case JSON_REAL: {
        double d = json_real_value(v);
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(tmp, tmplen, "%.*g", prec, d);
            if (strtod(tmp, NULL) == d)
                break;
        }
        *len = strlen(tmp);
        return true;
    }
    default:
        return false;
    }
}

bool
kc_field_selector_matches(const struct kc_field_selector *sel, const json_t *obj)
{
    char tmp[64];
    if (!sel)
        return true;
    for (size_t i = 0; i < sel->n; i++) {
        const struct fterm *t = &sel->terms[i];
        const char *text;
        size_t len;
        bool equal = field_text(obj, t->field, tmp, sizeof(tmp), &text, &len) && len == strlen(t->value) &&
                     memcmp(text, t->value, len) == 0;
        if (equal != (t->op != KC_FIELD_OP_NOT_EQUALS))
            return false;
    }
    return true;
}

bool
kc_field_selector_empty(const struct kc_field_selector *sel)
{
    return !sel || sel->n == 0;
}

static void
write_escaped(struct w *w, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == ',' || *s == '=')
            w_putc(w, '\\');
        w_putc(w, *s);
    }
}

static void
write_field_selector(struct w *w, const void *arg)
{
    const struct kc_field_selector *sel = arg;
    for (size_t i = 0; sel && i < sel->n; i++) {
        if (i)
            w_putc(w, ',');
        w_puts(w, sel->terms[i].field);
        w_puts(w, sel->terms[i].op == KC_FIELD_OP_NOT_EQUALS ? "!=" : "=");
        write_escaped(w, sel->terms[i].value);
    }
}

char *
kc_field_selector_string(const struct kc_field_selector *sel)
{
    return w_render(write_field_selector, sel);
}

static void
write_escaped_arg(struct w *w, const void *arg)
{
    write_escaped(w, arg);
}

char *
kc_field_escape_value(const char *value)
{
    return w_render(write_escaped_arg, value);
}

size_t
kc_field_selector_count(const struct kc_field_selector *sel)
{
    return sel ? sel->n : 0;
}

int
kc_field_selector_term(const struct kc_field_selector *sel, size_t i, const char **field, enum kc_field_op *op,
                       const char **value)
{
    if (!sel || i >= sel->n)
        return KC_ENOTFOUND;
    if (field)
        *field = sel->terms[i].field;
    if (op)
        *op = sel->terms[i].op;
    if (value)
        *value = sel->terms[i].value;
    return 0;
}

const char *
kc_field_selector_unsupported(const struct kc_field_selector *sel, const char *const *allowed)
{
    for (size_t i = 0; sel && i < sel->n; i++) {
        size_t j = 0;
        while (allowed && allowed[j] && strcmp(allowed[j], sel->terms[i].field) != 0)
            j++;
        if (!allowed || !allowed[j])
            return sel->terms[i].field;
    }
    return NULL;
}

const char *
kc_field_selector_exact(const struct kc_field_selector *sel, const char *field)
{
    for (size_t i = 0; sel && i < sel->n; i++)
        if (sel->terms[i].op != KC_FIELD_OP_NOT_EQUALS && strcmp(sel->terms[i].field, field) == 0)
            return sel->terms[i].value;
    return NULL;
}
