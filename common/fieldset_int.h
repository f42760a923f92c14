/* fieldset_int.h - the layout of kc_fieldset shared by the server-side apply files (fieldset.c, typed.c,
 * managed.c, strict.c); their text helpers are kc_sb.h's. Private to common/: use kc_fieldset.h, kc_typed.h,
 * kc_managed.h. */
#ifndef FIELDSET_INT_H
#define FIELDSET_INT_H

#include "kc_fieldset.h"
#include "kc_sb.h"

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

/* The element at pe in s, or NULL. */
struct kc_fs_elem *kc_fs_find(const struct kc_fieldset *s, const struct kc_pe *pe);
/* The element at pe in s, inserted (as neither member nor parent yet) when missing; NULL when out of memory or
 * pe is malformed. The caller must make it a member or give it children. */
struct kc_fs_elem *kc_fs_get(struct kc_fieldset *s, const struct kc_pe *pe);
/* Copies pe into *dst (owned). Returns 0, KC_EINVALID, -ENOMEM. */
int kc_pe_copy(struct kc_pe *dst, const struct kc_pe *src);
void kc_pe_clear(struct kc_pe *pe);

#endif
