/* kc_sb.h - a growing string buffer and Go's text encodings of JSON values (encoding/json, %q, %v), shared by
 * server-side apply (common/fieldset.c and friends) and kctl's apply (the last-applied annotation). */
#ifndef KC_SB_H
#define KC_SB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* A growing NUL-terminated string; oom is set (and further appends ignored) when it cannot grow. */
struct kc_sb {
    char *p;
    size_t len, cap;
    bool oom;
};

/* Appends n bytes: the common case (room left) inline, growing in kc_sb_grow_add. */
void kc_sb_grow_add(struct kc_sb *b, const char *s, size_t n);
static inline void
kc_sb_add(struct kc_sb *b, const char *s, size_t n)
{
    if (!b->oom && b->len + n < b->cap) { /* room for them and the NUL */
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = '\0';
        return;
    }
    kc_sb_grow_add(b, s, n);
}
void kc_sb_str(struct kc_sb *b, const char *s);
void kc_sb_printf(struct kc_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Takes the string (never NULL unless out of memory, then the buffer is freed); the buffer is reset. */
char *kc_sb_take(struct kc_sb *b);
void kc_sb_free(struct kc_sb *b);

/* Drops what was appended after len (len <= b->len). */
void kc_sb_truncate(struct kc_sb *b, size_t len);
/* Appends s (n bytes, valid UTF-8) as a JSON string the way jansson's json_dumps writes one: '"', '\\' and
 * control characters escaped (\b \f \n \r \t, else \u00XX in capitals), everything else as it is. */
void kc_sb_json_string(struct kc_sb *b, const char *s, size_t n);
/* The same without the quotes around it (what goes between them). */
void kc_sb_json_chars(struct kc_sb *b, const char *s, size_t n);

/* Appends v as Go's encoding/json (Go 1.22+) writes it: compact, HTML-escaped, \b and \f as such, invalid UTF-8
 * as \ufffd, shortest reals; object keys in the object's order (a Go struct's fields). */
void kc_sb_go_json(struct kc_sb *b, const json_t *v);
/* Appends s (n bytes) as a JSON string the way kc_sb_go_json writes one (Go's encoding/json). */
void kc_sb_go_json_string(struct kc_sb *b, const char *s, size_t n);
/* The same with every object's keys sorted byte-wise, as encoding/json writes a map[string]interface{}. */
void kc_sb_go_json_sorted(struct kc_sb *b, const json_t *v);
/* Appends s as Go's %q writes it. */
void kc_sb_go_quote(struct kc_sb *b, const char *s, size_t n);
/* Appends a float64 as Go's %v (strconv 'g' shortest, with Go's exponent form: 1e+21, 1e-07). */
void kc_sb_go_float(struct kc_sb *b, double d);
/* Appends v as Go's %v prints a decoded JSON value (map[a:1 b:x], [a b], <nil>). */
void kc_sb_go_v(struct kc_sb *b, const json_t *v);
/* Appends v as upstream's value.ToString does (null, %v numbers, %q strings, [a,b] lists, {k=v;...} maps). */
void kc_sb_value_string(struct kc_sb *b, const json_t *v);

#endif
