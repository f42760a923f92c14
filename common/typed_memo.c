/* typed_memo.c - the FieldsV1 of a create remembered by the object's structure (kc_typed.h,
 * kc_typed_create_changes_v1_text). Creates come in runs of one shape (a ReplicaSet's or a Job's pods from one
 * template, a component's events, a client's manifests): the walk against the kind's empty object gives the same
 * text for objects that differ only where it never looks, so its text is kept under a signature of everything it
 * does look at, and the next object of that structure costs the signature instead of the walk. */
#include "kc_fault.h"
#include "kc_fieldset.h"
#include "kc_sb.h"
#include "kc_typed.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* 32 structures at once (bounded memory: each text and signature at most 64 KB, usually a few KB), the least
 * recently used replaced; objects whose signature or text is larger are walked every time. */
#define MEMO_ENTRIES   32
#define MEMO_MAX_BYTES (64 * 1024)

struct memo_entry {
    const struct kc_schema *root;      /* NULL: the slot is free */
    struct kc_fieldset *skip, *unmark; /* copies of the walk's sets (NULL as given) */
    uint64_t hash;                     /* of sig */
    char *sig, *text;                  /* one allocation: sig_len bytes of signature, then text_len of FieldsV1 */
    size_t sig_len, text_len;
    uint64_t used; /* memo.clock at its last use */
};

static struct {
    pthread_mutex_t lock;
    struct memo_entry v[MEMO_ENTRIES];
    uint64_t clock, hits, misses;
} memo = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* --- the signature --- */

/* What the walk (typed.c changed_rec) reads of rhs, given the kind's empty object (lhs) and the sets, which the
 * entry's key holds:
 *   - every member name, in the object's order (the keys it emits and looks up in the schema and the sets);
 *   - every value's JSON type (how a deduced position resolves, whether lhs and rhs have the same shape);
 *   - the whole of every array (keyed lists' key values and their defaults' absence, sets' values, duplicates);
 *   - the whole value wherever the empty object has a value at that path (whether it equals it).
 * Everything else - a scalar outside arrays where the empty object has nothing - only ever makes its path a
 * member, whatever it is; those are what two objects of one structure differ in (names, labels' values,
 * images, uids). */

enum {
    T_NULL = 'n',
    T_TRUE = 't',
    T_FALSE = 'f',
    T_INT = 'i',
    T_REAL = 'r',
    T_STRING = 's',
    T_ARRAY = 'a',
    T_OBJECT = 'o',
    T_KEY = 'k',    /* a member's name */
    T_SCALAR = 'v', /* a scalar whose value does not count */
};

/* The signature's bytes: on the stack up to its size, then on the heap, up to MEMO_MAX_BYTES. Not a kc_sb: one
 * bounds check per element, no NUL after each append and no allocation for the usual object make the signature
 * 25k instructions for the benchmark pod where kc_sb_add gave 37k. */
struct sig {
    char *p;
    size_t len, cap;
    bool big; /* longer than MEMO_MAX_BYTES: not kept (what it holds is incomplete) */
    bool oom;
    char first[8192];
};

static void
sig_init(struct sig *b)
{
    b->p = b->first;
    b->len = 0;
    b->cap = sizeof(b->first);
    b->big = b->oom = false;
}

static void
sig_close(struct sig *b)
{
    if (b->p != b->first)
        free(b->p);
}

/* sig_room's growth: false (big or oom set) when there is no room. */
static bool
sig_grow(struct sig *b, size_t n)
{
    if (b->big || b->oom)
        return false;
    if (n > MEMO_MAX_BYTES || b->len + n > MEMO_MAX_BYTES) {
        b->big = true;
        return false;
    }
    size_t cap = b->cap * 2;
    while (cap < b->len + n)
        cap *= 2;
    char *p = kc_malloc(cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    memcpy(p, b->p, b->len);
    sig_close(b);
    b->p = p;
    b->cap = cap;
    return true;
}

/* Room for n more bytes (inline: every member and value asks). */
static inline bool
sig_room(struct sig *b, size_t n)
{
    return b->len + n <= b->cap || sig_grow(b, n);
}

/* A tag, then n as a varint, then n bytes of s (s NULL: just the tag and n). */
static inline void
sig_add(struct sig *b, char tag, const char *s, size_t n)
{
    if (!sig_room(b, 11 + (s ? n : 0)))
        return;
    char *o = b->p + b->len;
    *o++ = tag;
    size_t x = n;
    while (x > 0x7f) {
        *o++ = (char)((x & 0x7f) | 0x80);
        x >>= 7;
    }
    *o++ = (char)x;
    if (s) {
        memcpy(o, s, n);
        o += n;
    }
    b->len = (size_t)(o - b->p);
}

/* A tag alone, or with 8 bytes of value. */
static inline void
sig_add8(struct sig *b, char tag, const void *v)
{
    if (!sig_room(b, 9))
        return;
    b->p[b->len++] = tag;
    if (v) {
        memcpy(b->p + b->len, v, 8);
        b->len += 8;
    }
}

/* v entire: its type and content, unambiguously (lengths before bytes and counts before members). */
static void
sig_full(struct sig *b, const json_t *v)
{
    if (b->big || b->oom)
        return;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        sig_add(b, T_OBJECT, NULL, json_object_size(v));
        for (void *it = json_object_iter((json_t *)v); it; it = json_object_iter_next((json_t *)v, it)) {
            sig_add(b, T_KEY, json_object_iter_key(it), json_object_iter_key_len(it));
            sig_full(b, json_object_iter_value(it));
        }
        break;
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        sig_add(b, T_ARRAY, NULL, n);
        for (size_t i = 0; i < n; i++)
            sig_full(b, json_array_get(v, i));
        break;
    }
    case JSON_STRING:
        sig_add(b, T_STRING, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER: {
        json_int_t x = json_integer_value(v);
        sig_add8(b, T_INT, &x);
        break;
    }
    case JSON_REAL: {
        double x = json_real_value(v);
        sig_add8(b, T_REAL, &x);
        break;
    }
    case JSON_TRUE:
        sig_add8(b, T_TRUE, NULL);
        break;
    case JSON_FALSE:
        sig_add8(b, T_FALSE, NULL);
        break;
    case JSON_NULL:
        sig_add8(b, T_NULL, NULL);
        break;
    }
}

/* r at a path where the empty object has l (NULL: nothing). */
static void
sig_walk(struct sig *b, const json_t *l, const json_t *r)
{
    if (b->big || b->oom)
        return;
    if (json_is_object(r) && (!l || json_is_object(l))) {
        sig_add(b, T_OBJECT, NULL, json_object_size(r));
        for (void *it = json_object_iter((json_t *)r); it; it = json_object_iter_next((json_t *)r, it)) {
            const char *k = json_object_iter_key(it);
            size_t klen = json_object_iter_key_len(it);
            sig_add(b, T_KEY, k, klen);
            sig_walk(b, l ? json_object_getn(l, k, klen) : NULL, json_object_iter_value(it));
        }
    } else if (l || json_is_array(r)) {
        sig_full(b, r);
    } else {
        /* a null apart from other scalars: today's walk treats them alike, the signature need not rely on it */
        sig_add8(b, json_is_null(r) ? T_NULL : T_SCALAR, NULL);
    }
}

/* An FNV-1a-like hash over 8-byte words (with a shift to mix the high bits down): it only picks the entries worth
 * comparing byte for byte. */
static uint64_t
sig_hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    for (; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return h ^ n;
}

/* --- the memo --- */

static bool
same_set(const struct kc_fieldset *a, const struct kc_fieldset *b)
{
    return (a == NULL) == (b == NULL) && (!a || kc_fieldset_equal(a, b));
}

/* The entry for this key, or NULL. Under the lock. */
static struct memo_entry *
memo_find(const struct kc_schema *root, const struct kc_fieldset *skip, const struct kc_fieldset *unmark, uint64_t hash,
          const char *sig, size_t sig_len)
{
    for (size_t i = 0; i < MEMO_ENTRIES; i++) {
        struct memo_entry *e = &memo.v[i];
        if (e->root == root && e->hash == hash && e->sig_len == sig_len && memcmp(e->sig, sig, sig_len) == 0 &&
            same_set(e->skip, skip) && same_set(e->unmark, unmark))
            return e;
    }
    return NULL;
}

static void
entry_clear(struct memo_entry *e)
{
    kc_fieldset_free(e->skip);
    kc_fieldset_free(e->unmark);
    free(e->sig);
    memset(e, 0, sizeof(*e));
}

/* Keeps text for the key, in the least recently used slot. Nothing is kept when out of memory: the memo only
 * saves work, the text was made. */
static void
memo_put(const struct kc_schema *root, const struct kc_fieldset *skip, const struct kc_fieldset *unmark, uint64_t hash,
         const char *sig, size_t sig_len, const char *text, size_t text_len)
{
    struct memo_entry n = { .root = root, .hash = hash, .sig_len = sig_len, .text_len = text_len };
    if (!(n.sig = kc_malloc(sig_len + text_len)) || (skip && kc_fieldset_copy(skip, &n.skip) != 0) ||
        (unmark && kc_fieldset_copy(unmark, &n.unmark) != 0)) {
        entry_clear(&n);
        return;
    }
    memcpy(n.sig, sig, sig_len);
    n.text = n.sig + sig_len;
    memcpy(n.text, text, text_len);
    pthread_mutex_lock(&memo.lock);
    struct memo_entry *slot = memo_find(root, skip, unmark, hash, sig, sig_len); /* another thread's meanwhile */
    if (!slot) {
        slot = &memo.v[0];
        for (size_t i = 1; i < MEMO_ENTRIES && slot->root; i++)
            if (!memo.v[i].root || memo.v[i].used < slot->used)
                slot = &memo.v[i];
    }
    struct memo_entry old = *slot;
    n.used = ++memo.clock;
    *slot = n;
    pthread_mutex_unlock(&memo.lock);
    entry_clear(&old);
}

int
kc_typed_create_changes_v1_text(const json_t *rhs, const struct kc_schema *root, const struct kc_fieldset *skip,
                                const struct kc_fieldset *unmark, struct kc_sb *out)
{
    const json_t *empty = kc_typed_empty_object_shared(root);
    if (!empty)
        return -ENOMEM;
    struct sig sig;
    sig_init(&sig);
    sig_walk(&sig, empty, rhs);
    if (sig.oom) {
        sig_close(&sig);
        return -ENOMEM;
    }
    bool keep = !sig.big;
    uint64_t hash = keep ? sig_hash(sig.p, sig.len) : 0;
    pthread_mutex_lock(&memo.lock);
    struct memo_entry *e = keep ? memo_find(root, skip, unmark, hash, sig.p, sig.len) : NULL;
    if (e) {
        e->used = ++memo.clock;
        memo.hits++;
        kc_sb_add(out, e->text, e->text_len); /* under the lock: the entry may be replaced once it is released */
    } else {
        memo.misses++;
    }
    pthread_mutex_unlock(&memo.lock);
    if (e) {
        sig_close(&sig);
        return out->oom ? -ENOMEM : 0;
    }
    size_t start = out->len;
    int rc = kc_typed_compare_changes_v1_text(empty, rhs, root, true, skip, unmark, out);
    if (rc == 0 && keep && out->len - start <= MEMO_MAX_BYTES)
        memo_put(root, skip, unmark, hash, sig.p, sig.len, out->p + start, out->len - start);
    sig_close(&sig);
    return rc;
}

void
kc_typed_create_memo_stats(uint64_t *hits, uint64_t *misses)
{
    pthread_mutex_lock(&memo.lock);
    *hits = memo.hits;
    *misses = memo.misses;
    pthread_mutex_unlock(&memo.lock);
}

void
kc_typed_create_memo_clear(void)
{
    pthread_mutex_lock(&memo.lock);
    for (size_t i = 0; i < MEMO_ENTRIES; i++)
        entry_clear(&memo.v[i]);
    pthread_mutex_unlock(&memo.lock);
}
