/* print_table.c - kubectl's human-readable output: its tab writer (cli-runtime's fork of text/tabwriter with
 * remembered widths: min width 6, padding 3, blanks), the Table printer with its decorations (NAMESPACE first,
 * label columns and LABELS last, kind/name), and --sort-by over the rows. Pure. */
#include "kctl_print.h"
#include "kc_error.h"
#include "kc_fault.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TW_MINWIDTH 6
#define TW_PADDING  3

struct cell {
    size_t off, size; /* bytes in the buffer */
    size_t width;     /* runes */
};

struct line {
    struct cell *cells;
    size_t n, cap;
};

struct kctl_tabwriter {
    FILE *out;
    size_t minwidth, padding; /* kubectl's get: 6 and 3; describe (plain text/tabwriter): 0 and 2 */
    bool remember;            /* RememberWidths (cli-runtime's fork) */
    char *buf;                /* everything written since the last flush */
    size_t len, cap;
    size_t *maxwidths; /* remembered column widths */
    size_t nmax;
    /* during flush */
    struct line *lines;
    size_t nlines;
    size_t *widths;
    size_t nwidths, capwidths;
};

struct kctl_tabwriter *
kctl_tabwriter_new_opts(FILE *out, size_t minwidth, size_t padding, bool remember)
{
    struct kctl_tabwriter *tw = kc_calloc(1, sizeof(*tw));
    if (tw) {
        tw->out = out;
        tw->minwidth = minwidth;
        tw->padding = padding;
        tw->remember = remember;
    }
    return tw;
}

struct kctl_tabwriter *
kctl_tabwriter_new(FILE *out)
{
    return kctl_tabwriter_new_opts(out, TW_MINWIDTH, TW_PADDING, true);
}

int
kctl_tabwriter_write(struct kctl_tabwriter *tw, const char *text, size_t len)
{
    if (tw->len + len + 1 > tw->cap) {
        size_t cap = tw->cap ? tw->cap : 4096;
        while (cap < tw->len + len + 1)
            cap *= 2;
        char *nb = kc_realloc(tw->buf, cap);
        if (!nb)
            return -ENOMEM;
        tw->buf = nb;
        tw->cap = cap;
    }
    memcpy(tw->buf + tw->len, text, len);
    tw->len += len;
    tw->buf[tw->len] = '\0';
    return 0;
}

int
kctl_tabwriter_printf(struct kctl_tabwriter *tw, const char *fmt, ...)
{
    va_list ap;
    char *s;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -ENOMEM;
    int rc = kctl_tabwriter_write(tw, s, (size_t)n);
    free(s);
    return rc;
}

static size_t
runes(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            w++;
    return w;
}

static void
pad(FILE *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fputc(' ', out);
}

static void
write_lines(struct kctl_tabwriter *tw, size_t line0, size_t line1)
{
    for (size_t i = line0; i < line1; i++) {
        const struct line *ln = &tw->lines[i];
        for (size_t j = 0; j < ln->n; j++) {
            const struct cell *c = &ln->cells[j];
            fwrite(tw->buf + c->off, 1, c->size, tw->out);
            if (j < tw->nwidths && j + 1 < ln->n)
                pad(tw->out, tw->widths[j] > c->width ? tw->widths[j] - c->width : 0);
        }
        if (i + 1 < tw->nlines || tw->len == 0 || tw->buf[tw->len - 1] == '\n')
            fputc('\n', tw->out);
    }
}

static int
push_width(struct kctl_tabwriter *tw, size_t w)
{
    if (tw->nwidths == tw->capwidths) {
        size_t cap = tw->capwidths ? tw->capwidths * 2 : 16;
        size_t *nw = kc_realloc(tw->widths, cap * sizeof(*nw));
        if (!nw)
            return -ENOMEM;
        tw->widths = nw;
        tw->capwidths = cap;
    }
    tw->widths[tw->nwidths++] = w;
    return 0;
}

/* text/tabwriter's format: the width of a column is decided per block of adjacent lines that have a
 * tab-terminated cell in it; the blocks to its right are formatted recursively. */
static void
format(struct kctl_tabwriter *tw, size_t line0, size_t line1)
{
    size_t column = tw->nwidths;
    for (size_t cur = line0; cur < line1; cur++) {
        if (column + 1 >= tw->lines[cur].n)
            continue;
        write_lines(tw, line0, cur);
        line0 = cur;
        size_t width = tw->minwidth;
        for (; cur < line1; cur++) {
            const struct line *ln = &tw->lines[cur];
            if (column + 1 >= ln->n)
                break;
            size_t w = ln->cells[column].width + tw->padding;
            if (w > width)
                width = w;
        }
        if (!tw->remember) {
            /* plain text/tabwriter */
        } else if (tw->nmax > column) {
            /* RememberWidths: a column never gets narrower than it was */
            if (tw->maxwidths[column] > width)
                width = tw->maxwidths[column];
            else
                tw->maxwidths[column] = width;
        } else {
            size_t *nm = kc_realloc(tw->maxwidths, (column + 1) * sizeof(*nm));
            if (nm) {
                for (size_t k = tw->nmax; k < column; k++)
                    nm[k] = 0;
                nm[column] = width;
                tw->maxwidths = nm;
                tw->nmax = column + 1;
            }
        }
        if (push_width(tw, width) != 0)
            return;
        format(tw, line0, cur);
        tw->nwidths--;
        line0 = cur; /* the line that ended the block has no cell in this column: the loop steps over it */
    }
    write_lines(tw, line0, line1);
}

void
kctl_tabwriter_flush(struct kctl_tabwriter *tw)
{
    if (!tw || tw->len == 0)
        return;
    /* split into lines and cells */
    size_t nl = 1;
    for (size_t i = 0; i < tw->len; i++)
        if (tw->buf[i] == '\n')
            nl++;
    tw->lines = kc_calloc(nl, sizeof(*tw->lines));
    if (!tw->lines) {
        fwrite(tw->buf, 1, tw->len, tw->out);
        tw->len = 0;
        return;
    }
    tw->nlines = 0;
    size_t start = 0;
    for (size_t i = 0; i <= tw->len; i++) {
        if (i < tw->len && tw->buf[i] != '\n')
            continue;
        if (i == tw->len && start == tw->len)
            break; /* text ended with '\n' */
        struct line *ln = &tw->lines[tw->nlines++];
        size_t cs = start;
        for (size_t k = start; k <= i; k++) {
            if (k < i && tw->buf[k] != '\t')
                continue;
            if (ln->n == ln->cap) {
                size_t cap = ln->cap ? ln->cap * 2 : 8;
                struct cell *c = kc_realloc(ln->cells, cap * sizeof(*c));
                if (!c)
                    break;
                ln->cells = c;
                ln->cap = cap;
            }
            ln->cells[ln->n++] = (struct cell){ cs, k - cs, runes(tw->buf + cs, k - cs) };
            cs = k + 1;
        }
        start = i + 1;
    }
    tw->nwidths = 0;
    format(tw, 0, tw->nlines);
    for (size_t i = 0; i < tw->nlines; i++)
        free(tw->lines[i].cells);
    free(tw->lines);
    tw->lines = NULL;
    tw->nlines = 0;
    tw->len = 0;
    fflush(tw->out);
}

void
kctl_tabwriter_reset_widths(struct kctl_tabwriter *tw)
{
    free(tw->maxwidths);
    tw->maxwidths = NULL;
    tw->nmax = 0;
}

void
kctl_tabwriter_free(struct kctl_tabwriter *tw)
{
    if (!tw)
        return;
    kctl_tabwriter_flush(tw);
    free(tw->buf);
    free(tw->maxwidths);
    free(tw->widths);
    free(tw);
}

/* --- Tables -------------------------------------------------------------------------------------------------- */

void
kctl_table_state_close(struct kctl_table_state *st)
{
    json_decref(st->columns);
    st->columns = NULL;
    st->printed_header = false;
}

/* One cell as printTable writes it: strings cut at the first line break (with "..."), ESC shown as ^[, other
 * values as fmt.Sprint, nil as nothing. */
static void
put_cell(struct kctl_tabwriter *tw, const json_t *cell)
{
    if (!cell || json_is_null(cell))
        return;
    char *text = NULL;
    size_t len = 0;
    if (json_is_string(cell)) {
        const char *s = json_string_value(cell);
        size_t n = strcspn(s, "\f\n\r");
        text = kc_strndup(s, n);
        if (text && s[n]) {
            char *t2;
            if (asprintf(&t2, "%s...", text) >= 0) {
                free(text);
                text = t2;
            }
        }
        len = text ? strlen(text) : 0;
    } else {
        FILE *m = open_memstream(&text, &len);
        if (!m)
            return;
        kctl_go_sprint(cell, m);
        fclose(m);
    }
    if (!text)
        return;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\x1b')
            kctl_tabwriter_write(tw, "^[", 2);
        else if (text[i] == '\t')
            kctl_tabwriter_write(tw, " ", 1); /* a tab would split the cell */
        else
            kctl_tabwriter_write(tw, text + i, 1);
    }
    free(text);
}

static void
to_upper(char *s)
{
    for (; *s; s++)
        if (*s >= 'a' && *s <= 'z')
            *s = (char)(*s - 'a' + 'A');
}

int
kctl_table_print(struct kctl_tabwriter *tw, const json_t *table, const struct kctl_table_opts *o,
                 struct kctl_table_state *st)
{
    const char *kind = json_string_value(json_object_get(table, "kind"));
    if (!json_is_object(table) || !kind || strcmp(kind, "Table") != 0)
        return KC_EINVALID;
    const json_t *cols = json_object_get(table, "columnDefinitions");
    const json_t *rows = json_object_get(table, "rows");
    bool no_headers = o->no_headers;
    if (st->printed_header && (json_array_size(cols) == 0 || json_equal((json_t *)cols, st->columns)))
        no_headers = true;
    if (json_array_size(cols) == 0) {
        cols = st->columns;
    } else if (!st->columns || !json_equal((json_t *)cols, st->columns)) {
        json_decref(st->columns);
        st->columns = json_deep_copy(cols);
        st->printed_header = false;
    }
    size_t nrows = json_array_size(rows);
    if (nrows > 0)
        st->printed_header = true;
    if (nrows == 0)
        return 0;

    /* the label keys of -L */
    char *lc = o->label_columns ? kc_strdup(o->label_columns) : NULL;
    const char *keys[32];
    size_t nkeys = 0;
    for (char *save = NULL, *t = lc ? strtok_r(lc, ",", &save) : NULL; t && nkeys < 32; t = strtok_r(NULL, ",", &save))
        keys[nkeys++] = t;

    int name_col = -1;
    if (o->kind) {
        size_t i;
        const json_t *c;
        json_array_foreach(cols, i, c)
        {
            const char *f = json_string_value(json_object_get(c, "format"));
            const char *t = json_string_value(json_object_get(c, "type"));
            if (f && t && strcmp(f, "name") == 0 && strcmp(t, "string") == 0) {
                name_col = (int)i;
                break;
            }
        }
    }
    size_t ncols = json_array_size(cols);
    if (!no_headers) {
        bool first = true;
        if (o->with_namespace) {
            kctl_tabwriter_write(tw, "NAMESPACE", 9);
            first = false;
        }
        for (size_t i = 0; i < ncols; i++) {
            const json_t *c = json_array_get(cols, i);
            if (!o->wide && json_integer_value(json_object_get(c, "priority")) != 0)
                continue;
            char *name = kc_strdup(json_string_value(json_object_get(c, "name")) ?: "");
            if (!name)
                continue;
            to_upper(name);
            if (!first)
                kctl_tabwriter_write(tw, "\t", 1);
            first = false;
            kctl_tabwriter_write(tw, name, strlen(name));
            free(name);
        }
        for (size_t k = 0; k < nkeys; k++) {
            const char *slash = strrchr(keys[k], '/');
            char *h = kc_strdup(slash ? slash + 1 : keys[k]);
            if (!h)
                continue;
            to_upper(h);
            kctl_tabwriter_printf(tw, "%s%s", first ? "" : "\t", h);
            first = false;
            free(h);
        }
        if (o->show_labels)
            kctl_tabwriter_printf(tw, "%sLABELS", first ? "" : "\t");
        kctl_tabwriter_write(tw, "\n", 1);
    }
    size_t r;
    const json_t *row;
    json_array_foreach(rows, r, row)
    {
        const json_t *cells = json_object_get(row, "cells");
        const json_t *meta = json_object_get(json_object_get(row, "object"), "metadata");
        bool first = true;
        if (o->with_namespace) {
            const char *ns = json_string_value(json_object_get(meta, "namespace"));
            if (ns)
                kctl_tabwriter_write(tw, ns, strlen(ns));
            first = false;
        }
        for (size_t i = 0; i < json_array_size(cells) && i < ncols; i++) {
            const json_t *c = json_array_get(cols, i);
            if (!o->wide && json_integer_value(json_object_get(c, "priority")) != 0)
                continue;
            if (!first)
                kctl_tabwriter_write(tw, "\t", 1);
            first = false;
            if ((int)i == name_col)
                kctl_tabwriter_printf(tw, "%s/", o->kind);
            put_cell(tw, json_array_get(cells, i));
        }
        const json_t *labels = json_object_get(meta, "labels");
        for (size_t k = 0; k < nkeys; k++) {
            const char *v = json_string_value(json_object_get(labels, keys[k]));
            kctl_tabwriter_printf(tw, "%s%s", first ? "" : "\t", v ? v : "");
            first = false;
        }
        if (o->show_labels) {
            char *l = kctl_format_labels(labels);
            kctl_tabwriter_printf(tw, "%s%s", first ? "" : "\t", l ? l : "<none>");
            free(l);
        }
        kctl_tabwriter_write(tw, "\n", 1);
    }
    free(lc);
    return (int)nrows;
}

/* --- sorting ------------------------------------------------------------------------------------------------- */

/* isLess of kubectl's sorters for two found values: numbers by value, strings naturally; a missing value is
 * less than anything. */
static bool
value_less(const json_t *a, const json_t *b)
{
    if (!a)
        return true;
    if (!b)
        return false;
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) < json_number_value(b);
    if (json_is_string(a) && json_is_string(b))
        return kctl_natural_less(json_string_value(a), json_string_value(b));
    if (json_is_boolean(a) && json_is_boolean(b))
        return !json_is_true(a) && json_is_true(b);
    return false;
}

/* Stable merge sort of idx[0..n) by keys. */
static void
merge_sort(size_t *idx, size_t *tmp, size_t n, json_t *const *keys)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    merge_sort(idx, tmp, h, keys);
    merge_sort(idx + h, tmp, n - h, keys);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        if (value_less(keys[idx[j]], keys[idx[i]]) && !value_less(keys[idx[i]], keys[idx[j]]))
            tmp[k++] = idx[j++];
        else
            tmp[k++] = idx[i++];
    }
    while (i < h)
        tmp[k++] = idx[i++];
    while (j < n)
        tmp[k++] = idx[j++];
    memcpy(idx, tmp, n * sizeof(*idx));
}

/* The order of objs by sort_by: *order gets a malloc'ed permutation. */
static int
sort_order(const json_t *objs, const char *sort_by, size_t **order, char *err, size_t errlen)
{
    char path[1024];
    int rc = kctl_jsonpath_relaxed(sort_by, path, sizeof(path));
    if (rc) {
        if (err && errlen)
            snprintf(err, errlen,
                     "unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or "
                     "'{.name1.name2}'");
        return KC_EINVALID;
    }
    struct kctl_jsonpath *jp;
    if ((rc = kctl_jsonpath_parse(path, &jp, err, errlen)) != 0)
        return rc == KC_EPARSE ? KC_EINVALID : rc;
    size_t n = json_array_size(objs);
    json_t **keys = kc_calloc(n ? n : 1, sizeof(*keys));
    size_t *idx = kc_calloc(n ? n : 1, sizeof(*idx)), *tmp = kc_calloc(n ? n : 1, sizeof(*tmp));
    if (!keys || !idx || !tmp)
        rc = -ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        json_t *res;
        rc = kctl_jsonpath_find(jp, json_array_get(objs, i), &res, err, errlen);
        if (rc == 0) {
            keys[i] = json_incref(json_array_get(res, 0));
            json_decref(res);
        }
        idx[i] = i;
    }
    if (rc == 0)
        merge_sort(idx, tmp, n, keys);
    for (size_t i = 0; keys && i < n; i++)
        json_decref(keys[i]);
    free(keys);
    free(tmp);
    kctl_jsonpath_free(jp);
    if (rc) {
        free(idx);
        return rc;
    }
    *order = idx;
    return 0;
}

static int
permute(json_t *arr, const size_t *order)
{
    size_t n = json_array_size(arr);
    json_t *copy = json_array();
    if (!copy)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        json_array_append(copy, json_array_get(arr, order[i]));
    json_array_clear(arr);
    json_array_extend(arr, copy);
    json_decref(copy);
    return 0;
}

int
kctl_table_sort(json_t *table, const json_t *objs, const char *sort_by, char *err, size_t errlen)
{
    json_t *rows = json_object_get(table, "rows");
    if (json_array_size(rows) != json_array_size(objs)) {
        if (err && errlen)
            snprintf(err, errlen, "the rows and their objects do not match");
        return KC_EINVALID;
    }
    size_t *order;
    int rc = sort_order(objs, sort_by, &order, err, errlen);
    if (rc)
        return rc;
    rc = permute(rows, order);
    free(order);
    return rc;
}

int
kctl_objects_sort(json_t *items, const char *sort_by, char *err, size_t errlen)
{
    size_t *order;
    int rc = sort_order(items, sort_by, &order, err, errlen);
    if (rc)
        return rc;
    rc = permute(items, order);
    free(order);
    return rc;
}
