/* fieldset_int.h - the layout of kc_fieldset shared by the server-side apply files (fieldset.c, typed.c,
 * managed.c, strict.c); their text helpers are kc_sb.h's. Private to common/: use kc_fieldset.h, kc_typed.h,
 * kc_managed.h. */
#ifndef FIELDSET_INT_H
#define FIELDSET_INT_H

#include "kc_fieldset.h"
#include "kc_sb.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One element of a set node. pe's strings and JSON are owned, except a borrowed FIELD name. A member, or a
 * parent with a non-empty child set, or both; never neither. */
struct kc_fs_elem {
    struct kc_pe pe;
    bool member;
    bool borrowed_field;       /* FIELD: pe.field is not the element's to free: static data (a kc_schema property
                                  name) or text in its set's own allocation (kc_fs_node_new) */
    bool schema_field;         /* FIELD: pe.field is a kc_schema property name (static, ASCII) */
    struct kc_fieldset *child; /* NULL when nothing below */
};

/* A set node: elements sorted by kc_pe_compare, each element once. */
struct kc_fieldset {
    struct kc_fs_elem *v;
    size_t n, cap;
    bool v_inline; /* v is the array allocated with the set (kc_fs_node_new): moved out when it grows, never freed */
};

/* A new empty set node made in one allocation with room for cap elements (v, not yet used: n is 0) and for
 * text_len bytes of element text at *text (for FIELD names its elements borrow; NULL when text_len is 0). Freed
 * by kc_fieldset_free like any set; the text lives as long as the set. NULL when out of memory. */
struct kc_fieldset *kc_fs_node_new(size_t cap, size_t text_len, char **text);

/* The element at pe in s, or NULL. */
struct kc_fs_elem *kc_fs_find(const struct kc_fieldset *s, const struct kc_pe *pe);
/* The element at pe in s, inserted (as neither member nor parent yet) when missing; NULL when out of memory or
 * pe is malformed. The caller must make it a member or give it children. */
struct kc_fs_elem *kc_fs_get(struct kc_fieldset *s, const struct kc_pe *pe);
/* Inserts the paths of a walk into one set, each at the cost of its last element when it shares its prefix with
 * the path before: the sets along the last path are remembered. The walk numbers every element it visits (gen[i]
 * for path[i]: a number it never gives another element), which is how a shared prefix is recognised. */
struct kc_fs_cursor {
    struct kc_fieldset *root; /* the set inserted into (the caller's) */
    struct kc_fieldset **at;  /* at[i]: the child set of the element path[i] of the last path */
    uint64_t *gen;            /* gen[i]: the number of that element */
    size_t n, cap;            /* n: levels of at/gen that are valid */
};

/* As kc_fieldset_insert(c->root, path, n). Returns 0, KC_EINVALID (a malformed element: nothing inserted),
 * -ENOMEM. */
int kc_fs_cursor_insert(struct kc_fs_cursor *c, const struct kc_pe *path, const uint64_t *gen, size_t n);
/* Frees what the cursor remembers (not the set). */
void kc_fs_cursor_close(struct kc_fs_cursor *c);

/* s minus x, in place: kc_fieldset_difference, or with recursive kc_fieldset_recursive_difference (a member of x
 * takes everything below it too). Elements left neither member nor parent are dropped. Allocates nothing. */
void kc_fs_subtract(struct kc_fieldset *s, const struct kc_fieldset *x, bool recursive);
/* dst united with src, in place (kc_fieldset_union). Returns 0 or -ENOMEM (dst then holds part of src). */
int kc_fs_add(struct kc_fieldset *dst, const struct kc_fieldset *src);

/* Copies pe into *dst (owned). Returns 0, KC_EINVALID, -ENOMEM. */
int kc_pe_copy(struct kc_pe *dst, const struct kc_pe *src);
void kc_pe_clear(struct kc_pe *pe);

#endif
