/* yaml.c - YAML → JSON over libyaml's event parser with go-yaml v2's resolution rules, and JSON → YAML over
 * libyaml's emitter with go-yaml v2's (hence kubectl's) choice of styles and number formats.
 *
 * Loading builds a small node tree per document (as go-yaml does) so that aliases and merges can be expanded
 * with go-yaml's semantics and limits, then converts the tree into jansson values.
 */
#include "kc_yaml.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_crypto.h"

#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>
#include <yaml.h>

#define TAG_PREFIX    "tag:yaml.org,2002:"
#define TAG_STR       TAG_PREFIX "str"
#define TAG_BOOL      TAG_PREFIX "bool"
#define TAG_INT       TAG_PREFIX "int"
#define TAG_FLOAT     TAG_PREFIX "float"
#define TAG_NULL      TAG_PREFIX "null"
#define TAG_TIMESTAMP TAG_PREFIX "timestamp"
#define TAG_BINARY    TAG_PREFIX "binary"
#define TAG_MERGE     TAG_PREFIX "merge"

/* ---------------------------------------------------------------------------------------------------------
 * Locale: number formatting and parsing below must use '.' whatever the process locale says. */

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;
static locale_t utf8_locale;

static void
init_locales(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* Switches this thread to the C locale; returns the previous one for restore_locale(). */
static locale_t
enter_c_locale(void)
{
    pthread_once(&c_locale_once, init_locales);
    return c_locale ? uselocale(c_locale) : (locale_t)0;
}

static void
restore_locale(locale_t old)
{
    if (old)
        uselocale(old);
}

/* ---------------------------------------------------------------------------------------------------------
 * Go number formatting (strconv.FormatFloat and encoding/json), needed both for keys and for the emitter. */

struct digits {
    char d[32]; /* shortest decimal digits, no leading zeros */
    int nd;     /* number of digits */
    int dp;     /* decimal point position: value = 0.d[0]d[1]... × 10^dp */
};

/* The shortest digits that read back as d at the given precision (32 or 64 bits). d must be finite, not 0.
 * glibc's %e rounds correctly, so the first precision that round-trips gives Go's shortest digits. */
static void
shortest_digits(double d, int bits, struct digits *out)
{
    char buf[48];
    int maxp = bits == 32 ? 9 : 17;

    for (int p = 1; p <= maxp; p++) {
        snprintf(buf, sizeof(buf), "%.*e", p - 1, fabs(d));
        if (bits == 32 ? strtof(buf, NULL) == (float)fabs(d) : strtod(buf, NULL) == fabs(d))
            break;
    }
    out->nd = 0;
    const char *p = buf;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            out->d[out->nd++] = *p;
    int exp = *p == 'e' ? atoi(p + 1) : 0;
    while (out->nd > 1 && out->d[out->nd - 1] == '0')
        out->nd--;
    out->d[out->nd] = '\0';
    out->dp = exp + 1;
}

/* Go's fmtE: d.ddde±XX with prec digits after the point. */
static void
fmt_e(char *out, bool neg, const struct digits *g, int prec)
{
    char *o = out;
    if (neg)
        *o++ = '-';
    *o++ = g->nd ? g->d[0] : '0';
    if (prec > 0) {
        *o++ = '.';
        int i = 1;
        int m = g->nd < prec + 1 ? g->nd : prec + 1;
        for (; i < m; i++)
            *o++ = g->d[i];
        for (; i <= prec; i++)
            *o++ = '0';
    }
    *o++ = 'e';
    int exp = g->nd ? g->dp - 1 : 0;
    *o++ = exp < 0 ? '-' : '+';
    if (exp < 0)
        exp = -exp;
    if (exp < 10)
        o += sprintf(o, "0%d", exp);
    else
        o += sprintf(o, "%d", exp);
    *o = '\0';
}

/* Go's fmtF: plain decimal with prec digits after the point. */
static void
fmt_f(char *out, bool neg, const struct digits *g, int prec)
{
    char *o = out;
    if (neg)
        *o++ = '-';
    if (g->dp > 0) {
        int m = g->nd < g->dp ? g->nd : g->dp;
        for (int i = 0; i < m; i++)
            *o++ = g->d[i];
        for (int i = m; i < g->dp; i++)
            *o++ = '0';
    } else {
        *o++ = '0';
    }
    if (prec > 0) {
        *o++ = '.';
        for (int i = 1; i <= prec; i++) {
            int j = g->dp + i - 1;
            *o++ = j >= 0 && j < g->nd ? g->d[j] : '0';
        }
    }
    *o = '\0';
}

/* strconv.FormatFloat(d, 'g', -1, bits), with go-yaml's spellings of the infinities and NaN. out holds 40. */
static void
go_format_g(double d, int bits, char *out)
{
    if (isnan(d)) {
        strcpy(out, ".nan");
        return;
    }
    if (isinf(d)) {
        strcpy(out, d > 0 ? ".inf" : "-.inf");
        return;
    }
    if (bits == 32)
        d = (float)d;
    if (d == 0) {
        strcpy(out, signbit(d) ? "-0" : "0");
        return;
    }
    struct digits g;
    shortest_digits(d, bits, &g);
    int exp = g.dp - 1;
    if (exp < -4 || exp >= 6) /* shortest 'g' switches to %e at 1e-5 and 1e+06 */
        fmt_e(out, d < 0, &g, g.nd - 1);
    else
        fmt_f(out, d<0, &g, g.nd - g.dp> 0 ? g.nd - g.dp : 0);
}

/* The text encoding/json writes for a float64: 'f' between 1e-6 and 1e21, else 'e' with e-07 tidied to e-7. */
static void
go_json_float(double d, char *out)
{
    double a = fabs(d);
    if (d == 0) {
        strcpy(out, signbit(d) ? "-0" : "0");
        return;
    }
    struct digits g;
    shortest_digits(d, 64, &g);
    if (a < 1e-6 || a >= 1e21) {
        fmt_e(out, d < 0, &g, g.nd - 1);
        size_t n = strlen(out);
        if (n >= 4 && out[n - 4] == 'e' && out[n - 3] == '-' && out[n - 2] == '0') {
            out[n - 2] = out[n - 1];
            out[n - 1] = '\0';
        }
    } else {
        fmt_f(out, d<0, &g, g.nd - g.dp> 0 ? g.nd - g.dp : 0);
    }
}

/* ---------------------------------------------------------------------------------------------------------
 * Scalar resolution, after go-yaml v2's resolve.go. */

enum rkind {
    R_NULL,
    R_BOOL,
    R_INT,   /* fits int64 */
    R_UINT,  /* in (INT64_MAX, UINT64_MAX] */
    R_FLOAT, /* float64, possibly ±Inf or NaN */
    R_STR,
    R_TIMESTAMP, /* a string that looks like a timestamp; decodes as the string */
    R_MERGE,
};

struct resolved {
    enum rkind kind;
    bool b;
    long long i;
    unsigned long long u;
    double f;
};

/* Go's strconv.ParseUint(s, 0, 64) on s (no underscores left): 0 ok, 1 syntax error, 2 out of range. */
static int
go_parse_uint0(const char *s, size_t n, unsigned long long *out)
{
    unsigned base = 10;
    size_t i = 0;

    if (n == 0)
        return 1;
    if (s[0] == '0') {
        char c1 = n >= 3 ? (char)(s[1] | 0x20) : 0;
        if (c1 == 'b') {
            base = 2;
            i = 2;
        } else if (c1 == 'o') {
            base = 8;
            i = 2;
        } else if (c1 == 'x') {
            base = 16;
            i = 2;
        } else {
            base = 8;
            i = 1;
        }
    }
    unsigned long long v = 0;
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
            d = (unsigned)((c | 0x20) - 'a' + 10);
        else
            return 1;
        if (d >= base)
            return 1;
        if (v > (UINT64_MAX - d) / base)
            return 2; /* Go stops at the first overflow, before looking at later characters */
        v = v * base + d;
    }
    *out = v;
    return 0;
}

/* Go's strconv.ParseInt(s, 0, 64): 0 ok, 1 syntax error, 2 out of range. */
static int
go_parse_int0(const char *s, size_t n, long long *out)
{
    bool neg = false;
    unsigned long long u;

    if (n == 0)
        return 1;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        s++;
        n--;
    }
    int rc = go_parse_uint0(s, n, &u);
    if (rc)
        return rc;
    if (!neg && u > (unsigned long long)INT64_MAX)
        return 2;
    if (neg && u > (unsigned long long)INT64_MAX + 1)
        return 2;
    *out = neg ? (long long)(0 - u) : (long long)u;
    return 0;
}

/* go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool
yaml_style_float(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i < n && s[i] == '.') {
        i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    } else {
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
        if (i < n && s[i] == '.') {
            i++;
            while (i < n && s[i] >= '0' && s[i] <= '9')
                i++;
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    return i == n;
}

/* Go's underscoreOK for a decimal number: every '_' sits between two digits. */
static bool
go_underscore_ok(const char *s, size_t n)
{
    char saw = '^';
    size_t i = 0;
    if (n >= 1 && (s[0] == '+' || s[0] == '-'))
        i = 1;
    for (; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            saw = '0';
            continue;
        }
        if (s[i] == '_') {
            if (saw != '0')
                return false;
            saw = '_';
            continue;
        }
        if (saw == '_')
            return false;
        saw = '!';
    }
    return saw != '_';
}

/* ParseFloat for NUL-terminated text that yaml_style_float accepted: false when out of range (Go's ErrRange;
 * underflow to zero is fine, as in Go). */
static bool
parse_float_text(const char *s, double *out)
{
    errno = 0;
    double d = strtod(s, NULL);
    *out = d;
    return !(isinf(d) && errno == ERANGE);
}

/* 1 or 2 digits, as time.Parse's getnum(value, false). */
static bool
ts_num(const char *s, size_t n, size_t *i, int *v)
{
    if (*i >= n || s[*i] < '0' || s[*i] > '9')
        return false;
    *v = s[(*i)++] - '0';
    if (*i < n && s[*i] >= '0' && s[*i] <= '9')
        *v = *v * 10 + (s[(*i)++] - '0');
    return true;
}

static int
days_in(int month, int year)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (month == 2 && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
        return 29;
    return days[month - 1];
}

/* go-yaml v2's parseTimestamp: time.Parse with "2006-1-2T15:4:5.999999999Z07:00" (also with 't'),
 * "2006-1-2 15:4:5.999999999" and "2006-1-2". */
static bool
is_timestamp(const char *s, size_t n)
{
    size_t i = 0;
    int year = 0, month, day, hour, min, sec;

    for (; i < n && i < 5 && s[i] >= '0' && s[i] <= '9'; i++)
        year = year * 10 + (s[i] - '0');
    if (i != 4 || i == n || s[i] != '-')
        return false;
    i++;
    if (!ts_num(s, n, &i, &month) || i >= n || s[i] != '-')
        return false;
    i++;
    if (!ts_num(s, n, &i, &day))
        return false;
    if (month < 1 || month > 12 || day < 1 || day > days_in(month, year))
        return false;
    if (i == n)
        return true;
    char sep = s[i++];
    if (sep != 'T' && sep != 't' && sep != ' ')
        return false;
    if (!ts_num(s, n, &i, &hour) || i >= n || s[i++] != ':' || !ts_num(s, n, &i, &min) || i >= n || s[i++] != ':' ||
        !ts_num(s, n, &i, &sec))
        return false;
    if (hour > 23 || min > 59 || sec > 59)
        return false;
    if (i + 1 < n && (s[i] == '.' || s[i] == ',') && s[i + 1] >= '0' && s[i + 1] <= '9') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (sep == ' ')
        return i == n;
    if (i < n && s[i] == 'Z')
        return i + 1 == n;
    if (n - i != 6 || (s[i] != '+' && s[i] != '-') || s[i + 3] != ':')
        return false;
    for (size_t k = i + 1; k < n; k++)
        if (k != i + 3 && (s[k] < '0' || s[k] > '9'))
            return false;
    int tzh = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
    int tzm = (s[i + 4] - '0') * 10 + (s[i + 5] - '0');
    return tzh <= 24 && tzm <= 60;
}

/* Resolves an untagged plain scalar (or one tagged with a resolvable tag) like go-yaml v2's resolve("", in). */
static int
resolve_plain(const char *s, size_t n, bool try_timestamp, struct resolved *r)
{
    static const struct {
        const char *text;
        enum rkind kind;
        bool b;
    } map[] = {
        { "y", R_BOOL, true },      { "Y", R_BOOL, true },      { "yes", R_BOOL, true },    { "Yes", R_BOOL, true },
        { "YES", R_BOOL, true },    { "true", R_BOOL, true },   { "True", R_BOOL, true },   { "TRUE", R_BOOL, true },
        { "on", R_BOOL, true },     { "On", R_BOOL, true },     { "ON", R_BOOL, true },     { "n", R_BOOL, false },
        { "N", R_BOOL, false },     { "no", R_BOOL, false },    { "No", R_BOOL, false },    { "NO", R_BOOL, false },
        { "false", R_BOOL, false }, { "False", R_BOOL, false }, { "FALSE", R_BOOL, false }, { "off", R_BOOL, false },
        { "Off", R_BOOL, false },   { "OFF", R_BOOL, false },   { "~", R_NULL, false },     { "null", R_NULL, false },
        { "Null", R_NULL, false },  { "NULL", R_NULL, false },
    };
    static const struct {
        const char *text;
        double v;
    } specials[] = {
        { ".nan", NAN },       { ".NaN", NAN },        { ".NAN", NAN },        { ".inf", INFINITY },
        { ".Inf", INFINITY },  { ".INF", INFINITY },   { "+.inf", INFINITY },  { "+.Inf", INFINITY },
        { "+.INF", INFINITY }, { "-.inf", -INFINITY }, { "-.Inf", -INFINITY }, { "-.INF", -INFINITY },
    };

    memset(r, 0, sizeof(*r));
    r->kind = R_STR;
    if (n == 0) {
        r->kind = R_NULL;
        return 0;
    }
    unsigned char c = (unsigned char)s[0];
    bool hint_m = strchr("yYnNtTfFoO~", c) != NULL && c != 0;
    bool hint_d = (c >= '0' && c <= '9') || c == '+' || c == '-';
    bool hint_dot = c == '.';
    if (!hint_m && !hint_d && !hint_dot)
        return 0;

    for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++) {
        if (strlen(map[k].text) == n && memcmp(map[k].text, s, n) == 0) {
            r->kind = map[k].kind;
            r->b = map[k].b;
            return 0;
        }
    }
    for (size_t k = 0; k < sizeof(specials) / sizeof(specials[0]); k++) {
        if (strlen(specials[k].text) == n && memcmp(specials[k].text, s, n) == 0) {
            r->kind = R_FLOAT;
            r->f = specials[k].v;
            return 0;
        }
    }
    if (hint_m)
        return 0;
    /* Underscores: the '.' path is ParseFloat, which allows them between digits; the number path drops them
     * all before parsing. */
    if (hint_dot && !go_underscore_ok(s, n))
        return 0;
    if (!hint_dot && try_timestamp && is_timestamp(s, n)) {
        r->kind = R_TIMESTAMP;
        return 0;
    }
    char sbuf[128];
    char *plain = sbuf;
    if (n >= sizeof(sbuf)) {
        plain = kc_malloc(n + 1);
        if (!plain)
            return -ENOMEM;
    }
    size_t pn = 0;
    for (size_t k = 0; k < n; k++)
        if (s[k] != '_')
            plain[pn++] = s[k];
    plain[pn] = '\0';

    long long iv;
    unsigned long long uv;
    double d;
    if (hint_dot) {
        if (yaml_style_float(plain, pn) && parse_float_text(plain, &d)) {
            r->kind = R_FLOAT;
            r->f = d;
        }
    } else if (go_parse_int0(plain, pn, &iv) == 0) {
        r->kind = R_INT;
        r->i = iv;
    } else if (go_parse_uint0(plain, pn, &uv) == 0) {
        r->kind = R_UINT;
        r->u = uv;
    } else if (yaml_style_float(plain, pn) && parse_float_text(plain, &d)) {
        r->kind = R_FLOAT;
        r->f = d;
    }
    if (plain != sbuf)
        free(plain);
    return 0;
}

static const char *
rkind_tag(enum rkind k)
{
    switch (k) {
    case R_NULL:
        return "!!null";
    case R_BOOL:
        return "!!bool";
    case R_INT:
    case R_UINT:
        return "!!int";
    case R_FLOAT:
        return "!!float";
    case R_TIMESTAMP:
        return "!!timestamp";
    case R_MERGE:
        return "!!merge";
    default:
        return "!!str";
    }
}

/* ---------------------------------------------------------------------------------------------------------
 * Errors. */

struct ctx {
    struct kc_yaml_error *err;
    int doc;        /* index of the last document started (-1 before the first) */
    bool in_doc;    /* between its start and end: errors outside belong to the next one */
    unsigned flags; /* enum kc_yaml_load_flags */
    json_t *dups;   /* with KC_YAML_ALLOW_DUPLICATES: the repeated keys' messages, or NULL (not wanted) */
};

static int fail_at(struct ctx *c, int line0, int col0, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Fills the error with a 0-based libyaml position (negative: unknown) and returns KC_EPARSE. */
static int
fail_at(struct ctx *c, int line0, int col0, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    if (!c->err)
        return KC_EPARSE;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    c->err->doc = c->in_doc ? c->doc : c->doc + 1;
    if (line0 >= 0) {
        c->err->line = line0 + 1;
        c->err->column = col0 + 1;
        snprintf(c->err->message, sizeof(c->err->message), "yaml: line %d, column %d: %s", line0 + 1, col0 + 1, msg);
    } else {
        c->err->line = 0;
        c->err->column = 0;
        snprintf(c->err->message, sizeof(c->err->message), "yaml: %s", msg);
    }
    return KC_EPARSE;
}

static int
fail_oom(struct ctx *c)
{
    if (c->err) {
        c->err->line = 0;
        c->err->column = 0;
        c->err->doc = c->in_doc ? c->doc : c->doc + 1;
        snprintf(c->err->message, sizeof(c->err->message), "yaml: out of memory");
    }
    return -ENOMEM;
}

/* Writes a short, printable excerpt of s for an error message. */
static void
excerpt(const char *s, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < outlen; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (i >= 40) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        out[o++] = ch < 0x20 ? '?' : (char)ch;
    }
    out[o] = '\0';
}

/* ---------------------------------------------------------------------------------------------------------
 * The node tree of one document. */

enum nkind { N_SCALAR, N_SEQ, N_MAP, N_ALIAS };

struct node {
    enum nkind kind;
    bool implicit;      /* scalar: plain and untagged (libyaml's plain_implicit) */
    bool active;        /* alias: being expanded right now */
    int line, col;      /* 0-based start mark */
    char *tag;          /* explicit tag, or NULL */
    char *value;        /* scalar text, or the anchor name of an alias */
    size_t len;         /* length of value */
    struct node *alias; /* alias: the anchored node */
    struct node **kids; /* sequence items, or mapping key, value, key, value... */
    size_t nkids, cap;
};

struct tree {
    struct node **all; /* every node, for freeing */
    size_t nall, capall;
    json_t *anchors; /* anchor name → index in all; a later anchor of the same name wins */
    struct node *root;
};

static void
tree_free(struct tree *t)
{
    for (size_t i = 0; i < t->nall; i++) {
        free(t->all[i]->tag);
        free(t->all[i]->value);
        free(t->all[i]->kids);
        free(t->all[i]);
    }
    free(t->all);
    json_decref(t->anchors);
    memset(t, 0, sizeof(*t));
}

static struct node *
tree_node(struct tree *t, enum nkind kind, const yaml_mark_t *mark)
{
    if (t->nall == t->capall) {
        size_t cap = t->capall ? t->capall * 2 : 64;
        struct node **all = kc_realloc(t->all, cap * sizeof(*all));
        if (!all)
            return NULL;
        t->all = all;
        t->capall = cap;
    }
    struct node *n = kc_calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->kind = kind;
    n->line = (int)mark->line;
    n->col = (int)mark->column;
    t->all[t->nall++] = n;
    return n;
}

static int
node_add_kid(struct node *parent, struct node *kid)
{
    if (parent->nkids == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 8;
        struct node **kids = kc_realloc(parent->kids, cap * sizeof(*kids));
        if (!kids)
            return -ENOMEM;
        parent->kids = kids;
        parent->cap = cap;
    }
    parent->kids[parent->nkids++] = kid;
    return 0;
}

/* A NUL-terminated copy of n bytes that may themselves contain NULs ("\0" escapes). */
static char *
dup_bytes(const char *s, size_t n)
{
    char *p = kc_malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static int
node_set_tag(struct node *n, const yaml_char_t *tag)
{
    if (!tag)
        return 0;
    n->tag = kc_strdup((const char *)tag);
    return n->tag ? 0 : -ENOMEM;
}

static int
tree_anchor(struct tree *t, const yaml_char_t *anchor)
{
    if (!anchor)
        return 0;
    if (!t->anchors && !(t->anchors = json_object()))
        return -ENOMEM;
    json_t *idx = json_integer((json_int_t)(t->nall - 1));
    if (!idx || json_object_set_new(t->anchors, (const char *)anchor, idx) != 0)
        return -ENOMEM;
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------
 * Tree → JSON, after go-yaml v2's decoder (for interface{}) followed by sigs.k8s.io/yaml's key conversion. */

struct dec {
    struct ctx *c;
    long decode_count; /* nodes visited */
    long alias_count;  /* of those, visited through an alias */
    int alias_depth;
};

/* go-yaml v2's defence against alias bombs ("billion laughs"): a share of alias-driven decoding that shrinks
 * from 99% to 10% as the document grows from 400k to 4M decoded nodes. */
static double
allowed_alias_ratio(long count)
{
    if (count <= 400000)
        return 0.99;
    if (count >= 4000000)
        return 0.10;
    return 0.99 - 0.89 * ((double)(count - 400000) / (double)(4000000 - 400000));
}

static int
dec_count(struct dec *d, const struct node *n)
{
    d->decode_count++;
    if (d->alias_depth > 0)
        d->alias_count++;
    if (d->alias_count > 100 && d->decode_count > 1000 &&
        (double)d->alias_count / (double)d->decode_count > allowed_alias_ratio(d->decode_count))
        return fail_at(d->c, n->line, n->col, "document contains excessive aliasing");
    return 0;
}

/* Resolves a scalar node the way go-yaml's decoder.scalar does before storing into interface{}. */
static int
resolve_node(struct dec *d, const struct node *n, struct resolved *r)
{
    const char *tag = n->tag;

    memset(r, 0, sizeof(*r));
    if (!tag && !n->implicit) {
        r->kind = R_STR; /* quoted or block scalar */
        return 0;
    }
    if (tag && strcmp(tag, TAG_BINARY) == 0) {
        r->kind = R_STR; /* decoded by the caller */
        return 0;
    }
    bool resolvable = !tag || strcmp(tag, TAG_STR) == 0 || strcmp(tag, TAG_BOOL) == 0 || strcmp(tag, TAG_INT) == 0 ||
                      strcmp(tag, TAG_FLOAT) == 0 || strcmp(tag, TAG_NULL) == 0 || strcmp(tag, TAG_TIMESTAMP) == 0;
    if (!resolvable || (tag && strcmp(tag, TAG_STR) == 0)) {
        r->kind = R_STR; /* "!foo", "!", "!!str" ...: the text as it is */
        return 0;
    }
    int rc = resolve_plain(n->value, n->len, !tag || strcmp(tag, TAG_TIMESTAMP) == 0, r);
    if (rc)
        return fail_oom(d->c);
    if (!tag)
        return 0;
    const char *want = tag + strlen(TAG_PREFIX);
    const char *got = rkind_tag(r->kind) + 2;
    if (strcmp(want, got) == 0)
        return 0;
    if (strcmp(want, "float") == 0 && r->kind == R_INT) {
        r->kind = R_FLOAT;
        r->f = (double)r->i;
        return 0;
    }
    char ex[64];
    excerpt(n->value, n->len, ex, sizeof(ex));
    return fail_at(d->c, n->line, n->col, "cannot decode %s `%s` as a !!%s", rkind_tag(r->kind), ex, want);
}

/* Appends the UTF-8 bytes of s to a buffer, turning every byte that is not part of a valid sequence into
 * U+FFFD as Go's encoding/json does. Returns a malloc'ed copy and its length, or NULL. */
static char *
utf8_sanitize(const char *s, size_t n, size_t *outlen)
{
    char *o = kc_malloc(n * 3 + 1);
    size_t k = 0;
    if (!o)
        return NULL;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t len = 0;
        uint32_t cp = 0;
        if (c < 0x80) {
            len = 1;
            cp = c;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        }
        bool ok = len > 0 && i + len <= n;
        for (size_t j = 1; ok && j < len; j++) {
            unsigned char cc = (unsigned char)s[i + j];
            if ((cc & 0xC0) != 0x80)
                ok = false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if (ok && ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
                   (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))))
            ok = false;
        if (!ok) {
            memcpy(o + k, "\xEF\xBF\xBD", 3);
            k += 3;
            i++;
            continue;
        }
        memcpy(o + k, s + i, len);
        k += len;
        i += len;
    }
    o[k] = '\0';
    *outlen = k;
    return o;
}

/* The string a !!binary scalar decodes to: base64 (newlines ignored, as Go's decoder does). */
static int
decode_binary(struct dec *d, const struct node *n, json_t **out)
{
    char *clean = kc_malloc(n->len + 1);
    size_t k = 0;
    uint8_t *bytes = NULL;
    size_t blen = 0;

    if (!clean)
        return fail_oom(d->c);
    for (size_t i = 0; i < n->len; i++)
        if (n->value[i] != '\n' && n->value[i] != '\r')
            clean[k++] = n->value[i];
    int rc = kc_base64_decode(clean, k, &bytes, &blen);
    free(clean);
    if (rc == -ENOMEM)
        return fail_oom(d->c);
    if (rc)
        return fail_at(d->c, n->line, n->col, "!!binary value contains invalid base64 data");
    size_t slen;
    char *s = utf8_sanitize((const char *)bytes, blen, &slen);
    free(bytes);
    if (!s)
        return fail_oom(d->c);
    *out = json_stringn(s, slen);
    free(s);
    return *out ? 0 : fail_oom(d->c);
}

/* The JSON value of a resolved scalar: what sigs.k8s.io/yaml's json.Marshal writes, read back by jansson. */
static int
scalar_json(struct dec *d, const struct node *n, json_t **out)
{
    struct resolved r;
    int rc = resolve_node(d, n, &r);
    if (rc)
        return rc;
    if (n->tag && strcmp(n->tag, TAG_BINARY) == 0)
        return decode_binary(d, n, out);

    switch (r.kind) {
    case R_NULL:
        *out = json_null();
        break;
    case R_BOOL:
        *out = json_boolean(r.b);
        break;
    case R_INT:
        *out = json_integer(r.i);
        break;
    case R_UINT:
        *out = json_real((double)r.u); /* beyond int64: jansson cannot hold it as an integer */
        break;
    case R_FLOAT: {
        if (isinf(r.f) || isnan(r.f))
            return fail_at(d->c, n->line, n->col, "json: unsupported value: %s",
                           isnan(r.f) ? "NaN"
                           : r.f > 0  ? "+Inf"
                                      : "-Inf");
        /* encoding/json writes an integral float below 1e21 as digits, which then decode as an integer. */
        char text[48];
        go_json_float(r.f, text);
        long long iv;
        if (!strpbrk(text, ".e") && go_parse_int0(text, strlen(text), &iv) == 0)
            *out = json_integer(iv);
        else
            *out = json_real(r.f);
        break;
    }
    default: /* strings and timestamps keep their text */
        *out = json_stringn(n->value, n->len);
        break;
    }
    return *out ? 0 : fail_oom(d->c);
}

static int decode(struct dec *d, struct node *n, int depth, json_t **out);
static int decode_map_into(struct dec *d, struct node *m, json_t *obj, int depth);

/* Follows an alias with go-yaml's cycle check and alias accounting, calling fn on the anchored node. */
static int
enter_alias(struct dec *d, struct node *a)
{
    if (a->active)
        return fail_at(d->c, a->line, a->col, "anchor '%s' value contains itself", a->value);
    a->active = true;
    d->alias_depth++;
    return 0;
}

static void
leave_alias(struct dec *d, struct node *a)
{
    a->active = false;
    d->alias_depth--;
}

/* The string a mapping key becomes: sigs.k8s.io/yaml converts int, float (as float32 'g'), bool keys and
 * rejects null and uint64 keys; go-yaml rejects collections as keys. *key is malloc'ed; *is_str tells a key that
 * was a string from one that was a number or a bool (go-yaml's %#v of it is quoted only in the first case). */
static int
key_string(struct dec *d, struct node *k, int depth, char **key, size_t *klen, bool *is_str)
{
    *is_str = true;
    struct node *a = NULL;
    int rc = dec_count(d, k);
    if (rc)
        return rc;
    if (k->kind == N_ALIAS) {
        a = k;
        if ((rc = enter_alias(d, a)) != 0)
            return rc;
        k = a->alias;
        if ((rc = dec_count(d, k)) != 0)
            goto out;
    }
    if (k->kind != N_SCALAR) {
        /* Decode it anyway first: go-yaml reports errors inside the key before rejecting it. */
        json_t *tmp = NULL;
        rc = decode(d, k, depth + 1, &tmp);
        json_decref(tmp);
        if (rc == 0)
            rc = fail_at(d->c, k->line, k->col, "invalid map key: a %s cannot be a key",
                         k->kind == N_MAP ? "mapping" : "sequence");
        goto out;
    }

    char buf[48];
    const char *s = NULL;
    size_t n = 0;
    if (k->tag && strcmp(k->tag, TAG_BINARY) == 0) {
        json_t *v = NULL;
        if ((rc = decode_binary(d, k, &v)) != 0)
            goto out;
        *key = dup_bytes(json_string_value(v), json_string_length(v));
        *klen = json_string_length(v);
        json_decref(v);
        rc = *key ? 0 : fail_oom(d->c);
        goto out;
    }
    struct resolved r;
    if ((rc = resolve_node(d, k, &r)) != 0)
        goto out;
    switch (r.kind) {
    case R_NULL:
        rc = fail_at(d->c, k->line, k->col, "unsupported map key of type: <nil>, key: null");
        goto out;
    case R_UINT: {
        char ex[64];
        excerpt(k->value, k->len, ex, sizeof(ex));
        rc = fail_at(d->c, k->line, k->col, "unsupported map key of type: uint64, key: %s", ex);
        goto out;
    }
    case R_BOOL:
        s = r.b ? "true" : "false";
        n = strlen(s);
        *is_str = false;
        break;
    case R_INT:
        n = (size_t)snprintf(buf, sizeof(buf), "%lld", r.i);
        s = buf;
        *is_str = false;
        break;
    case R_FLOAT:
        go_format_g(r.f, 32, buf);
        s = buf;
        n = strlen(buf);
        *is_str = false;
        break;
    default:
        s = k->value;
        n = k->len;
        break;
    }
    *key = dup_bytes(s, n);
    *klen = n;
    rc = *key ? 0 : fail_oom(d->c);
out:
    if (a)
        leave_alias(d, a);
    return rc;
}

static bool
is_merge(const struct node *k)
{
    return k->kind == N_SCALAR && k->len == 2 && memcmp(k->value, "<<", 2) == 0 &&
           (k->implicit || (k->tag && strcmp(k->tag, TAG_MERGE) == 0));
}

static int
merge_fail(struct dec *d, const struct node *n)
{
    return fail_at(d->c, n->line, n->col, "map merge requires map or sequence of maps as the value");
}

/* Merges one mapping (or alias of one) into obj. */
static int
merge_one(struct dec *d, struct node *v, json_t *obj, int depth)
{
    int rc = dec_count(d, v);
    if (rc)
        return rc;
    if (v->kind == N_MAP)
        return decode_map_into(d, v, obj, depth);
    if (v->kind != N_ALIAS || v->alias->kind != N_MAP)
        return merge_fail(d, v);
    if ((rc = enter_alias(d, v)) != 0)
        return rc;
    rc = dec_count(d, v->alias);
    if (rc == 0)
        rc = decode_map_into(d, v->alias, obj, depth);
    leave_alias(d, v);
    return rc;
}

/* '<<' with go-yaml v2's semantics: the merged entries are set in place, in order, so keys written after the
 * merge override merged ones (and merged ones override keys written before it). In a sequence of maps, earlier
 * maps take precedence. */
static int
merge(struct dec *d, struct node *v, json_t *obj, int depth)
{
    if (v->kind != N_SEQ)
        return merge_one(d, v, obj, depth);
    int rc = dec_count(d, v);
    if (rc)
        return rc;
    for (size_t i = v->nkids; i-- > 0;) {
        struct node *e = v->kids[i];
        if (e->kind != N_MAP && !(e->kind == N_ALIAS && e->alias->kind == N_MAP))
            return merge_fail(d, e);
        if ((rc = merge_one(d, e, obj, depth)) != 0)
            return rc;
    }
    return 0;
}

/* Records `line N: key "k" already set in map` (go-yaml v2's strict wording: Go's %#v of the key, so a number or
 * bool key is not quoted) in c->dups. */
static int
note_duplicate(struct ctx *c, int line, const char *key, size_t klen, bool is_str)
{
    char msg[600];
    size_t n = (size_t)snprintf(msg, sizeof(msg), "line %d: key ", line);
    if (is_str && n + 1 < sizeof(msg))
        msg[n++] = '"';
    for (size_t i = 0; i < klen && n + 8 < sizeof(msg); i++) {
        unsigned char ch = (unsigned char)key[i];
        if (is_str && (ch == '"' || ch == '\\')) {
            msg[n++] = '\\';
            msg[n++] = (char)ch;
        } else if (is_str && (ch == '\n' || ch == '\t')) {
            msg[n++] = '\\';
            msg[n++] = ch == '\n' ? 'n' : 't';
        } else if (is_str && ch < 0x20) {
            n += (size_t)snprintf(msg + n, sizeof(msg) - n, "\\x%02x", ch);
        } else {
            msg[n++] = (char)ch;
        }
    }
    if (is_str && n + 1 < sizeof(msg))
        msg[n++] = '"';
    msg[n] = '\0';
    snprintf(msg + n, sizeof(msg) - n, " already set in map");
    if (json_array_append_new(c->dups, json_string(msg)) != 0)
        return fail_oom(c);
    return 0;
}

static int
decode_map_into(struct dec *d, struct node *m, json_t *obj, int depth)
{
    json_t *seen = json_object(); /* keys written explicitly in this mapping */
    int rc = 0;

    if (!seen)
        return fail_oom(d->c);
    if (depth > KC_YAML_MAX_DEPTH) {
        rc = fail_at(d->c, m->line, m->col, "exceeded max depth of %d", KC_YAML_MAX_DEPTH);
        goto out;
    }
    for (size_t i = 0; i + 1 < m->nkids; i += 2) {
        struct node *k = m->kids[i], *v = m->kids[i + 1];
        if (is_merge(k)) {
            if ((rc = merge(d, v, obj, depth + 1)) != 0)
                goto out;
            continue;
        }
        char *key = NULL;
        size_t klen = 0;
        bool is_str;
        if ((rc = key_string(d, k, depth, &key, &klen, &is_str)) != 0)
            goto out;
        if (json_object_getn(seen, key, klen)) {
            char ex[64];
            excerpt(key, klen, ex, sizeof(ex));
            if (!(d->c->flags & KC_YAML_ALLOW_DUPLICATES)) {
                free(key);
                rc = fail_at(d->c, k->line, k->col, "key \"%s\" already set in map", ex);
                goto out;
            }
            /* go-yaml v2 without strict mode: the last value wins; its strict decoder's message (at the line of
             * the value) is kept for the caller */
            if (d->c->dups && (rc = note_duplicate(d->c, v->line + 1, key, klen, is_str)) != 0) {
                free(key);
                goto out;
            }
        }
        json_t *val = NULL;
        if ((rc = decode(d, v, depth + 1, &val)) != 0) {
            free(key);
            goto out;
        }
        if (json_object_setn_new(obj, key, klen, val) != 0 || json_object_setn_new(seen, key, klen, json_true())) {
            free(key);
            rc = fail_oom(d->c);
            goto out;
        }
        free(key);
    }
out:
    json_decref(seen);
    return rc;
}

static int
decode(struct dec *d, struct node *n, int depth, json_t **out)
{
    int rc = dec_count(d, n);
    if (rc)
        return rc;
    if (depth > KC_YAML_MAX_DEPTH)
        return fail_at(d->c, n->line, n->col, "exceeded max depth of %d", KC_YAML_MAX_DEPTH);
    switch (n->kind) {
    case N_ALIAS:
        if ((rc = enter_alias(d, n)) != 0)
            return rc;
        rc = decode(d, n->alias, depth, out);
        leave_alias(d, n);
        return rc;
    case N_SCALAR:
        return scalar_json(d, n, out);
    case N_SEQ: {
        json_t *arr = json_array();
        if (!arr)
            return fail_oom(d->c);
        for (size_t i = 0; i < n->nkids; i++) {
            json_t *v = NULL;
            if ((rc = decode(d, n->kids[i], depth + 1, &v)) != 0) {
                json_decref(arr);
                return rc;
            }
            if (json_array_append_new(arr, v) != 0) {
                json_decref(arr);
                return fail_oom(d->c);
            }
        }
        *out = arr;
        return 0;
    }
    case N_MAP: {
        json_t *obj = json_object();
        if (!obj)
            return fail_oom(d->c);
        if ((rc = decode_map_into(d, n, obj, depth)) != 0) {
            json_decref(obj);
            return rc;
        }
        *out = obj;
        return 0;
    }
    }
    return KC_EINTERNAL;
}

/* ---------------------------------------------------------------------------------------------------------
 * The event loop: libyaml events → one tree per document → JSON. */

/* Line and column (0-based, in characters) of a byte offset, for reader errors that only give an offset. */
static void
offset_mark(const char *buf, size_t len, size_t off, int *line, int *col)
{
    *line = 0;
    *col = 0;
    for (size_t i = 0; i < off && i < len; i++) {
        unsigned char ch = (unsigned char)buf[i];
        if (ch == '\n') {
            (*line)++;
            *col = 0;
        } else if ((ch & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

static int
parser_fail(struct ctx *c, yaml_parser_t *p, const char *buf, size_t len)
{
    if (p->error == YAML_MEMORY_ERROR)
        return fail_oom(c);
    const char *problem = p->problem ? p->problem : "unknown problem parsing YAML content";
    if (p->error == YAML_READER_ERROR) {
        int line, col;
        offset_mark(buf, len, p->problem_offset, &line, &col);
        return fail_at(c, line, col, "%s", problem);
    }
    return fail_at(c, (int)p->problem_mark.line, (int)p->problem_mark.column, "%s", problem);
}

/* Decodes a finished document and appends it to docs unless it is null. */
static int
finish_document(struct ctx *c, struct tree *t, json_t *docs, size_t *count, const yaml_mark_t *start, bool one)
{
    struct dec d = { .c = c };
    json_t *v = NULL;
    int rc;

    if (!t->root)
        return 0;
    d.decode_count = 1; /* the document node */
    if ((rc = decode(&d, t->root, 1, &v)) != 0)
        return rc;
    if (json_is_null(v)) {
        json_decref(v);
        return 0;
    }
    if (one && *count >= 1) {
        json_decref(v);
        return fail_at(c, (int)start->line, (int)start->column,
                       "expected a single document in the stream, found a second one");
    }
    if (json_array_append_new(docs, v) != 0)
        return fail_oom(c);
    (*count)++;
    return 0;
}

static void offset_mark(const char *buf, size_t len, size_t off, int *line, int *col);

/* kubectl reads input whose first non-space character is '{' as a stream of JSON values (YAMLOrJSONDecoder),
 * which matters where JSON and YAML differ (surrogate-pair escapes, tabs). Returns 0 with *out set, 1 when the
 * input is not such a stream (the caller then parses it as YAML, which also gives the better error message),
 * or -ENOMEM. */
static int
load_json_stream(struct ctx *c, const char *buf, size_t len, json_t **out, bool one)
{
    size_t off = 0;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        off = 3;
    while (off < len && strchr(" \t\r\n", buf[off]) && buf[off])
        off++;
    if (off >= len || buf[off] != '{')
        return 1;
    json_t *docs = json_array();
    if (!docs)
        return fail_oom(c);
    c->doc = -1;
    for (;;) {
        while (off < len && strchr(" \t\r\n", buf[off]) && buf[off])
            off++;
        if (off >= len)
            break;
        json_error_t je;
        json_t *v = json_loadb(buf + off, len - off,
                               JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
        if (!v) {
            json_decref(docs);
            return 1;
        }
        size_t start = off;
        off += (size_t)je.position;
        c->doc++;
        c->in_doc = true;
        if (json_is_null(v)) {
            json_decref(v);
            continue;
        }
        if (one && json_array_size(docs) >= 1) {
            int line, col;
            json_decref(v);
            json_decref(docs);
            offset_mark(buf, len, start, &line, &col);
            return fail_at(c, line, col, "expected a single document in the stream, found a second one");
        }
        if (json_array_append_new(docs, v) != 0) {
            json_decref(docs);
            return fail_oom(c);
        }
    }
    *out = docs;
    return 0;
}

static int
load(const char *buf, size_t len, json_t **out, struct kc_yaml_error *err, bool one, unsigned flags, json_t *dups)
{
    struct ctx c = { .err = err, .doc = -1, .flags = flags, .dups = dups };
    yaml_parser_t parser;
    yaml_event_t ev;
    struct tree t = { 0 };
    struct node **stack = NULL;
    size_t depth = 0, cap = 0, count = 0;
    yaml_mark_t doc_start = { 0 };
    json_t *docs;
    int rc = 0;
    bool done = false;

    if (err)
        memset(err, 0, sizeof(*err));
    if (!buf && len)
        return fail_at(&c, -1, 0, "no input");
    if (buf && (rc = load_json_stream(&c, buf, len, out, one)) <= 0)
        return rc;
    rc = 0;
    c.doc = -1;
    c.in_doc = false;
    if (!(docs = json_array()))
        return fail_oom(&c);
    if (!yaml_parser_initialize(&parser)) {
        json_decref(docs);
        return fail_oom(&c);
    }
    locale_t old = enter_c_locale();
    yaml_parser_set_input_string(&parser, (const unsigned char *)(buf ? buf : ""), len);

    while (!done && rc == 0) {
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = parser_fail(&c, &parser, buf, len);
            break;
        }
        struct node *n = NULL;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            c.doc++;
            c.in_doc = true;
            doc_start = ev.start_mark;
            break;
        case YAML_DOCUMENT_END_EVENT:
            rc = finish_document(&c, &t, docs, &count, &doc_start, one);
            c.in_doc = false;
            tree_free(&t);
            break;
        case YAML_ALIAS_EVENT: {
            json_t *idx = t.anchors ? json_object_get(t.anchors, (const char *)ev.data.alias.anchor) : NULL;
            if (!idx) {
                rc = fail_at(&c, (int)ev.start_mark.line, (int)ev.start_mark.column, "unknown anchor '%s' referenced",
                             (const char *)ev.data.alias.anchor);
                break;
            }
            if (!(n = tree_node(&t, N_ALIAS, &ev.start_mark)) ||
                !(n->value = kc_strdup((const char *)ev.data.alias.anchor))) {
                rc = fail_oom(&c);
                break;
            }
            n->alias = t.all[json_integer_value(idx)];
            break;
        }
        case YAML_SCALAR_EVENT:
            if (!(n = tree_node(&t, N_SCALAR, &ev.start_mark)) ||
                !(n->value = dup_bytes((const char *)ev.data.scalar.value, ev.data.scalar.length)) ||
                node_set_tag(n, ev.data.scalar.tag) || tree_anchor(&t, ev.data.scalar.anchor)) {
                rc = fail_oom(&c);
                break;
            }
            n->len = ev.data.scalar.length;
            n->implicit = ev.data.scalar.plain_implicit;
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            bool seq = ev.type == YAML_SEQUENCE_START_EVENT;
            if (depth >= KC_YAML_MAX_DEPTH) {
                rc = fail_at(&c, (int)ev.start_mark.line, (int)ev.start_mark.column, "exceeded max depth of %d",
                             KC_YAML_MAX_DEPTH);
                break;
            }
            if (!(n = tree_node(&t, seq ? N_SEQ : N_MAP, &ev.start_mark)) ||
                node_set_tag(n, seq ? ev.data.sequence_start.tag : ev.data.mapping_start.tag) ||
                tree_anchor(&t, seq ? ev.data.sequence_start.anchor : ev.data.mapping_start.anchor)) {
                rc = fail_oom(&c);
                break;
            }
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth > 0)
                depth--;
            break;
        default:
            break;
        }
        if (rc == 0 && n) {
            /* Attach to the open collection (or make it the root), then open it if it is one. */
            if (depth > 0)
                rc = node_add_kid(stack[depth - 1], n) ? fail_oom(&c) : 0;
            else
                t.root = n;
            if (rc == 0 && (n->kind == N_SEQ || n->kind == N_MAP)) {
                if (depth == cap) {
                    size_t ncap = cap ? cap * 2 : 16;
                    struct node **ns = kc_realloc(stack, ncap * sizeof(*ns));
                    if (!ns)
                        rc = fail_oom(&c);
                    else {
                        stack = ns;
                        cap = ncap;
                    }
                }
                if (rc == 0)
                    stack[depth++] = n;
            }
        }
        yaml_event_delete(&ev);
    }

    restore_locale(old);
    yaml_parser_delete(&parser);
    tree_free(&t);
    free(stack);
    if (rc) {
        json_decref(docs);
        return rc;
    }
    *out = docs;
    return 0;
}

int
kc_yaml_load(const char *buf, size_t len, json_t **docs_out, struct kc_yaml_error *err)
{
    return load(buf, len, docs_out, err, false, 0, NULL);
}

int
kc_yaml_load_one(const char *buf, size_t len, json_t **doc_out, struct kc_yaml_error *err)
{
    return kc_yaml_load_one_flags(buf, len, 0, doc_out, NULL, err);
}

int
kc_yaml_load_flags(const char *buf, size_t len, unsigned flags, json_t **docs_out, json_t **dups_out,
                   struct kc_yaml_error *err)
{
    json_t *dups = NULL, *docs = NULL;
    if (dups_out && (flags & KC_YAML_ALLOW_DUPLICATES) && !(dups = json_array())) {
        struct ctx c = { .err = err, .doc = -1 };
        if (err)
            memset(err, 0, sizeof(*err));
        return fail_oom(&c);
    }
    int rc = load(buf, len, &docs, err, false, flags, dups);
    if (rc) {
        json_decref(dups);
        return rc;
    }
    if (dups_out && !dups && !(dups = json_array())) {
        json_decref(docs);
        return -ENOMEM;
    }
    *docs_out = docs;
    if (dups_out)
        *dups_out = dups;
    return 0;
}

int
kc_yaml_load_one_flags(const char *buf, size_t len, unsigned flags, json_t **doc_out, json_t **dups_out,
                       struct kc_yaml_error *err)
{
    json_t *docs = NULL, *dups = NULL;
    if (dups_out && (flags & KC_YAML_ALLOW_DUPLICATES) && !(dups = json_array())) {
        struct ctx c = { .err = err, .doc = -1 };
        if (err)
            memset(err, 0, sizeof(*err));
        return fail_oom(&c);
    }
    int rc = load(buf, len, &docs, err, true, flags, dups);
    if (rc) {
        json_decref(dups);
        return rc;
    }
    json_t *v = json_array_size(docs) ? json_incref(json_array_get(docs, 0)) : json_null();
    json_decref(docs);
    if (dups_out && !dups && !(dups = json_array())) {
        json_decref(v);
        return -ENOMEM;
    }
    *doc_out = v;
    if (dups_out)
        *dups_out = dups;
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------
 * JSON → YAML. */

struct outbuf {
    char *p;
    size_t len, cap;
    bool oom;
};

static int
write_handler(void *data, unsigned char *buffer, size_t size)
{
    struct outbuf *o = data;
    if (o->len + size + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap < o->len + size + 1)
            cap *= 2;
        char *p = kc_realloc(o->p, cap);
        if (!p) {
            o->oom = true;
            return 0;
        }
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, buffer, size);
    o->len += size;
    o->p[o->len] = '\0';
    return 1;
}

/* go-yaml's isBase60Float: such strings are quoted on output for other YAML 1.1 parsers. */
static bool
is_base60_float(const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0 || !memchr(s, ':', n))
        return false;
    if (s[i] == '+' || s[i] == '-')
        i++;
    if (i >= n || s[i] < '0' || s[i] > '9')
        return false;
    i++;
    while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
        i++;
    /* (?::[0-5]?[0-9])+ */
    int groups = 0;
    while (i < n && s[i] == ':') {
        i++;
        if (i + 1 < n && s[i] >= '0' && s[i] <= '5' && s[i + 1] >= '0' && s[i + 1] <= '9')
            i += 2;
        else if (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        else
            return false;
        groups++;
    }
    if (groups == 0)
        return false;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            i++;
    }
    return i == n;
}

struct emit {
    yaml_emitter_t em;
    unsigned flags;
};

static int
emit_event(struct emit *e, yaml_event_t *ev)
{
    if (!yaml_emitter_emit(&e->em, ev))
        return e->em.error == YAML_MEMORY_ERROR || e->em.error == YAML_WRITER_ERROR ? -ENOMEM : KC_EINTERNAL;
    return 0;
}

static int
emit_scalar(struct emit *e, const char *s, size_t n, yaml_scalar_style_t style)
{
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)n, 1, 1, style))
        return -ENOMEM;
    return emit_event(e, &ev);
}

/* go-yaml's stringv: plain when the text would read back as the same string, a literal block when it has a
 * newline, double-quoted otherwise. The emitter may still fall back to quotes when plain is not allowed. */
static int
emit_string(struct emit *e, const char *s, size_t n)
{
    size_t clen;
    char *clean = utf8_sanitize(s, n, &clen);
    if (!clean)
        return -ENOMEM;
    yaml_scalar_style_t style;
    struct resolved r;
    int rc = resolve_plain(clean, clen, true, &r);
    if (rc == 0) {
        if (memchr(clean, '\n', clen))
            style = YAML_LITERAL_SCALAR_STYLE;
        else if (r.kind == R_STR && !is_base60_float(clean, clen))
            style = YAML_PLAIN_SCALAR_STYLE;
        else
            style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        rc = emit_scalar(e, clean, clen, style);
    }
    free(clean);
    return rc;
}

/* A real as json.Marshal writes it and go-yaml then reads and prints it: integral values below 1e21 come back
 * as integers when they fit 64 bits, everything else as strconv 'g' shortest. */
static int
emit_real(struct emit *e, double d)
{
    char text[48];
    go_json_float(d, text);
    long long iv;
    unsigned long long uv;
    size_t n = strlen(text);
    if (go_parse_int0(text, n, &iv) == 0)
        snprintf(text, sizeof(text), "%lld", iv);
    else if (go_parse_uint0(text, n, &uv) == 0)
        snprintf(text, sizeof(text), "%llu", uv);
    else
        go_format_g(d, 64, text);
    return emit_scalar(e, text, strlen(text), YAML_PLAIN_SCALAR_STYLE);
}

/* UTF-8 → code points for the key sort. */
static size_t
to_runes(const char *s, size_t n, uint32_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
        for (size_t j = 1; j < len && i + j < n; j++)
            cp = (cp << 6) | ((unsigned char)s[i + j] & 0x3Fu);
        out[k++] = cp;
        i += len;
    }
    return k;
}

static bool
rune_is_letter(uint32_t r)
{
    if (r < 0x80)
        return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
    return utf8_locale ? iswalpha_l((wint_t)r, utf8_locale) != 0 : true;
}

static bool
rune_is_digit(uint32_t r)
{
    return r >= '0' && r <= '9';
}

struct skey {
    const char *key;
    size_t len;
    uint32_t *runes;
    size_t nr;
};

/* go-yaml's keyList.Less for two string keys: letters compare as runes and sort after non-letters, runs of
 * digits compare by numeric value ("a2" < "a10"). */
static int
natural_cmp(const void *pa, const void *pb)
{
    const struct skey *ka = pa, *kb = pb;
    const uint32_t *ar = ka->runes, *br = kb->runes;
    size_t an = ka->nr, bn = kb->nr;

    for (size_t i = 0; i < an && i < bn; i++) {
        if (ar[i] == br[i])
            continue;
        bool al = rune_is_letter(ar[i]), bl = rune_is_letter(br[i]);
        if (al && bl)
            return ar[i] < br[i] ? -1 : 1;
        if (al || bl)
            return bl ? -1 : 1;
        long long anum = 0, bnum = 0;
        size_t ai, bi;
        if (ar[i] == '0' || br[i] == '0') {
            for (size_t j = i; j-- > 0 && rune_is_digit(ar[j]);) {
                if (ar[j] != '0') {
                    anum = 1;
                    bnum = 1;
                    break;
                }
            }
        }
        for (ai = i; ai < an && rune_is_digit(ar[ai]); ai++)
            anum = anum * 10 + (long long)(ar[ai] - '0');
        for (bi = i; bi < bn && rune_is_digit(br[bi]); bi++)
            bnum = bnum * 10 + (long long)(br[bi] - '0');
        if (anum != bnum)
            return anum < bnum ? -1 : 1;
        if (ai != bi)
            return ai < bi ? -1 : 1;
        return ar[i] < br[i] ? -1 : 1;
    }
    if (an != bn)
        return an < bn ? -1 : 1;
    return 0;
}

/* A merge sort: go-yaml's order is not transitive for some key sets ("x01", "x10", "x1y2" form a cycle; Go's
 * own output then depends on map iteration order), and unlike qsort a merge sort stays well-behaved with such
 * a comparator. For transitive inputs every correct sort gives Go's order. */
static int
sort_keys(struct skey *keys, size_t n)
{
    struct skey *tmp = kc_malloc(n * sizeof(*tmp));
    if (!tmp)
        return -ENOMEM;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = natural_cmp(&keys[j], &keys[i]) < 0 ? keys[j++] : keys[i++];
            while (i < mid)
                tmp[k++] = keys[i++];
            while (j < hi)
                tmp[k++] = keys[j++];
        }
        memcpy(keys, tmp, n * sizeof(*keys));
    }
    free(tmp);
    return 0;
}

static int emit_value(struct emit *e, const json_t *v, int depth);

static int
emit_object(struct emit *e, const json_t *v, int depth)
{
    yaml_event_t ev;
    size_t n = json_object_size(v);
    struct skey *keys = NULL;
    uint32_t *runes = NULL;
    int rc;

    if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE))
        return -ENOMEM;
    if ((rc = emit_event(e, &ev)) != 0)
        return rc;
    if (n) {
        keys = kc_calloc(n, sizeof(*keys));
        if (!keys)
            return -ENOMEM;
        size_t i = 0, total = 0;
        const char *key;
        json_t *val;
        void *iter;
        for (iter = json_object_iter((json_t *)v); iter; iter = json_object_iter_next((json_t *)v, iter)) {
            keys[i].key = json_object_iter_key(iter);
            keys[i].len = json_object_iter_key_len(iter);
            total += keys[i].len;
            i++;
        }
        if (e->flags & KC_YAML_SORT_KEYS) {
            runes = kc_malloc((total + 1) * sizeof(*runes));
            if (!runes) {
                free(keys);
                return -ENOMEM;
            }
            size_t off = 0;
            for (i = 0; i < n; i++) {
                keys[i].runes = runes + off;
                keys[i].nr = to_runes(keys[i].key, keys[i].len, keys[i].runes);
                off += keys[i].nr;
            }
            if ((rc = sort_keys(keys, n)) != 0) {
                free(runes);
                free(keys);
                return rc;
            }
        }
        for (i = 0; i < n && rc == 0; i++) {
            key = keys[i].key;
            val = json_object_getn(v, key, keys[i].len);
            rc = emit_string(e, key, keys[i].len);
            if (rc == 0)
                rc = emit_value(e, val, depth + 1);
        }
        free(runes);
        free(keys);
        if (rc)
            return rc;
    }
    if (!yaml_mapping_end_event_initialize(&ev))
        return -ENOMEM;
    return emit_event(e, &ev);
}

static int
emit_value(struct emit *e, const json_t *v, int depth)
{
    yaml_event_t ev;
    char buf[32];
    int rc;

    if (depth > KC_YAML_MAX_DEPTH)
        return KC_EINVALID;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return emit_object(e, v, depth);
    case JSON_ARRAY:
        if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE))
            return -ENOMEM;
        if ((rc = emit_event(e, &ev)) != 0)
            return rc;
        for (size_t i = 0; i < json_array_size(v); i++)
            if ((rc = emit_value(e, json_array_get(v, i), depth + 1)) != 0)
                return rc;
        if (!yaml_sequence_end_event_initialize(&ev))
            return -ENOMEM;
        return emit_event(e, &ev);
    case JSON_STRING:
        return emit_string(e, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return emit_scalar(e, buf, strlen(buf), YAML_PLAIN_SCALAR_STYLE);
    case JSON_REAL:
        return emit_real(e, json_real_value(v));
    case JSON_TRUE:
        return emit_scalar(e, "true", 4, YAML_PLAIN_SCALAR_STYLE);
    case JSON_FALSE:
        return emit_scalar(e, "false", 5, YAML_PLAIN_SCALAR_STYLE);
    case JSON_NULL:
        return emit_scalar(e, "null", 4, YAML_PLAIN_SCALAR_STYLE);
    }
    return KC_EINVALID;
}

/* One document, as go-yaml's Marshal writes it: implicit start and end, no "..." marker. */
static int
dump_doc(const json_t *v, unsigned flags, struct outbuf *o)
{
    struct emit e = { .flags = flags };
    yaml_event_t ev;
    size_t start = o->len;
    int rc;

    if (!yaml_emitter_initialize(&e.em))
        return -ENOMEM;
    yaml_emitter_set_output(&e.em, write_handler, o);
    yaml_emitter_set_unicode(&e.em, 1);
    yaml_emitter_set_indent(&e.em, 2);
    yaml_emitter_set_width(&e.em, flags & KC_YAML_NO_WRAP ? -1 : 80);
    yaml_emitter_set_break(&e.em, YAML_LN_BREAK);

    rc = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) ? emit_event(&e, &ev) : -ENOMEM;
    if (rc == 0)
        rc = yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) ? emit_event(&e, &ev) : -ENOMEM;
    if (rc == 0)
        rc = emit_value(&e, v, 0);
    if (rc == 0)
        rc = yaml_document_end_event_initialize(&ev, 1) ? emit_event(&e, &ev) : -ENOMEM;
    if (rc == 0)
        rc = yaml_stream_end_event_initialize(&ev) ? emit_event(&e, &ev) : -ENOMEM;
    if (rc == 0 && !yaml_emitter_flush(&e.em))
        rc = -ENOMEM;
    yaml_emitter_delete(&e.em);
    if (o->oom)
        rc = -ENOMEM;
    if (rc)
        return rc;
    /* libyaml ends an open-ended document (a root scalar, a |+ block) with "...", go-yaml's Marshal does not. */
    if (o->len - start >= 4 && memcmp(o->p + o->len - 4, "...\n", 4) == 0 &&
        (o->len - start == 4 || o->p[o->len - 5] == '\n')) {
        o->len -= 4;
        o->p[o->len] = '\0';
    }
    return 0;
}

static int
dump(const json_t *docs, bool all, unsigned flags, char **out)
{
    struct outbuf o = { 0 };
    int rc = 0;

    if (!docs || (all && !json_is_array(docs)))
        return KC_EINVALID;
    locale_t old = enter_c_locale();
    if (!all) {
        rc = dump_doc(docs, flags, &o);
    } else {
        for (size_t i = 0; i < json_array_size(docs) && rc == 0; i++) {
            if (i > 0)
                rc = write_handler(&o, (unsigned char *)"---\n", 4) ? 0 : -ENOMEM;
            if (rc == 0)
                rc = dump_doc(json_array_get(docs, i), flags, &o);
        }
    }
    restore_locale(old);
    if (rc == 0 && !o.p) {
        o.p = kc_strdup("");
        if (!o.p)
            rc = -ENOMEM;
    }
    if (rc) {
        free(o.p);
        return rc;
    }
    *out = o.p;
    return 0;
}

int
kc_yaml_dump(const json_t *v, unsigned flags, char **out)
{
    return dump(v, false, flags, out);
}

int
kc_yaml_dump_all(const json_t *docs, unsigned flags, char **out)
{
    return dump(docs, true, flags, out);
}
