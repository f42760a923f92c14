/* fieldset_int.h - the layout of kc_fieldset and the small text helpers shared by the server-side apply files
 * (fieldset.c, typed.c, managed.c, strict.c). Private to common/: use kc_fieldset.h, kc_typed.h, kc_managed.h. */
#ifndef FIELDSET_INT_H
#define FIELDSET_INT_H

#include "kc_fieldset.h"

#include <stdbool.h>
#include <stddef.h>

/* One element of a set node. pe's strings and JSON are owned. A member, or a parent with a non-empty child
 * set, or both; never neither. */
struct kc_fs_elem {
    struct kc_pe pe;
    bool member;
    struct kc_fieldset *child; /* NULL when nothing below */
};

/* A set node: elements sorted by kc_pe_compare, each element once. */
struct kc_fieldset {
    struct kc_fs_elem *v;
    size_t n, cap;
};

/* A growing NUL-terminated string; oom is set (and further appends ignored) when it cannot grow. */
struct kc_sb {
    char *p;
    size_t len, cap;
    bool oom;
};

void kc_sb_add(struct kc_sb *b, const char *s, size_t n);
void kc_sb_str(struct kc_sb *b, const char *s);
void kc_sb_printf(struct kc_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Takes the string (never NULL unless out of memory, then the buffer is freed); the buffer is reset. */
char *kc_sb_take(struct kc_sb *b);
void kc_sb_free(struct kc_sb *b);

/* Appends v as Go's encoding/json writes it (compact, HTML-escaped, shortest reals, object keys in the
 * object's order). */
void kc_sb_go_json(struct kc_sb *b, const json_t *v);
/* Appends s as Go's %q writes it. */
void kc_sb_go_quote(struct kc_sb *b, const char *s, size_t n);
/* Appends a float64 as Go's %v (strconv 'g' shortest, with Go's exponent form: 1e+21, 1e-07). */
void kc_sb_go_float(struct kc_sb *b, double d);
/* Appends v as Go's %v prints a decoded JSON value (map[a:1 b:x], [a b], <nil>). */
void kc_sb_go_v(struct kc_sb *b, const json_t *v);
/* Appends v as upstream's value.ToString does (null, %v numbers, %q strings, [a,b] lists, {k=v;...} maps). */
void kc_sb_value_string(struct kc_sb *b, const json_t *v);

/* The element at pe in s, or NULL. */
struct kc_fs_elem *kc_fs_find(const struct kc_fieldset *s, const struct kc_pe *pe);
/* The element at pe in s, inserted (as neither member nor parent yet) when missing; NULL when out of memory or
 * pe is malformed. The caller must make it a member or give it children. */
struct kc_fs_elem *kc_fs_get(struct kc_fieldset *s, const struct kc_pe *pe);
/* Copies pe into *dst (owned). Returns 0, KC_EINVALID, -ENOMEM. */
int kc_pe_copy(struct kc_pe *dst, const struct kc_pe *src);
void kc_pe_clear(struct kc_pe *pe);

#endif
