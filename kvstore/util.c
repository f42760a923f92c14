/* util.c - the kvstore's small helpers: arenas, byte buffers, byte comparison, range ends, a stable sort and
 * the mapping of LMDB errors to k8c's convention.
 */
#include "kvs_int.h"

#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>

#include "kc_fault.h"
#include "kc_log.h"

#define ARENA_MIN_CHUNK 4000

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    alignas(max_align_t) unsigned char data[];
};

static size_t
align_up(size_t n)
{
    return (n + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
}

void *
arena_alloc(struct arena *a, size_t n)
{
    n = align_up(n ? n : 1);
    struct arena_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > ARENA_MIN_CHUNK ? n : ARENA_MIN_CHUNK;
        if (c && cap < c->cap * 2 && c->cap * 2 <= 1u << 20)
            cap = c->cap * 2; /* grow chunk sizes for big responses */
        c = kc_malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->cap = cap;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

void *
arena_dup(struct arena *a, const void *p, size_t n)
{
    void *d = arena_alloc(a, n);
    if (d && n)
        memcpy(d, p, n);
    return d;
}

void
arena_free(struct arena *a)
{
    struct arena_chunk *c = a->head;
    while (c) {
        struct arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
}

struct arena *
arena_new(void)
{
    struct arena tmp = { NULL };
    struct arena *a = arena_alloc(&tmp, sizeof(*a));
    if (!a)
        return NULL;
    *a = tmp;
    return a;
}

void
arena_free_self(struct arena *a)
{
    if (!a)
        return;
    struct arena tmp = *a; /* a lives inside one of its chunks */
    arena_free(&tmp);
}

void
bbuf_put(struct bbuf *b, const void *p, size_t n)
{
    if (b->oom)
        return;
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n)
            cap *= 2;
        uint8_t *np = kc_realloc(b->p, cap);
        if (!np) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
}

void
bbuf_u8(struct bbuf *b, uint8_t v)
{
    bbuf_put(b, &v, 1);
}

void
bbuf_u32(struct bbuf *b, uint32_t v)
{
    uint8_t x[4];
    put_le32(x, v);
    bbuf_put(b, x, 4);
}

void
bbuf_i64(struct bbuf *b, int64_t v)
{
    uint8_t x[8];
    put_le64(x, (uint64_t)v);
    bbuf_put(b, x, 8);
}

void
bbuf_bytes(struct bbuf *b, struct kvs_buf v)
{
    if (v.len > UINT32_MAX) {
        b->oom = true;
        return;
    }
    bbuf_u32(b, (uint32_t)v.len);
    bbuf_put(b, v.data, v.len);
}

int
bytes_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

enum range_mode
range_mode_of(struct kvs_buf end)
{
    if (end.len == 0)
        return RANGE_SINGLE;
    if (end.len == 1 && ((const uint8_t *)end.data)[0] == 0)
        return RANGE_GTE;
    return RANGE_BETWEEN;
}

bool
range_contains(struct kvs_buf key0, struct kvs_buf end, enum range_mode m, const void *k, size_t klen)
{
    switch (m) {
    case RANGE_SINGLE:
        return bytes_cmp(k, klen, key0.data, key0.len) == 0;
    case RANGE_GTE:
        return bytes_cmp(k, klen, key0.data, key0.len) >= 0;
    case RANGE_BETWEEN:
        return bytes_cmp(k, klen, key0.data, key0.len) >= 0 && bytes_cmp(k, klen, end.data, end.len) < 0;
    }
    return false;
}

static void
merge_pass(unsigned char *src, unsigned char *dst, size_t n, size_t size, size_t width,
           int (*cmp)(const void *, const void *, void *), void *ctx)
{
    for (size_t lo = 0; lo < n; lo += 2 * width) {
        size_t mid = lo + width < n ? lo + width : n;
        size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
        size_t i = lo, j = mid, k = lo;
        while (i < mid && j < hi) {
            /* take from the right only when strictly smaller: stable */
            if (cmp(src + j * size, src + i * size, ctx) < 0)
                memcpy(dst + k++ * size, src + j++ * size, size);
            else
                memcpy(dst + k++ * size, src + i++ * size, size);
        }
        while (i < mid)
            memcpy(dst + k++ * size, src + i++ * size, size);
        while (j < hi)
            memcpy(dst + k++ * size, src + j++ * size, size);
    }
}

void
stable_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *, void *), void *ctx)
{
    if (n < 2)
        return;
    unsigned char *a = base;
    /* insertion sort for small inputs (no allocation) */
    if (n <= 16) {
        unsigned char tmp[256];
        unsigned char *t = size <= sizeof(tmp) ? tmp : kc_malloc(size);
        if (!t)
            return;
        for (size_t i = 1; i < n; i++) {
            memcpy(t, a + i * size, size);
            size_t j = i;
            while (j > 0 && cmp(t, a + (j - 1) * size, ctx) < 0) {
                memcpy(a + j * size, a + (j - 1) * size, size);
                j--;
            }
            memcpy(a + j * size, t, size);
        }
        if (t != tmp)
            free(t);
        return;
    }
    unsigned char *buf = kc_malloc(n * size);
    if (!buf) {
        /* fall back to the in-place insertion sort: slow but correct */
        for (size_t i = 1; i < n; i++) {
            for (size_t j = i; j > 0 && cmp(a + j * size, a + (j - 1) * size, ctx) < 0; j--) {
                unsigned char t[64];
                size_t done = 0;
                while (done < size) { /* swap in pieces */
                    size_t m = size - done < sizeof(t) ? size - done : sizeof(t);
                    memcpy(t, a + j * size + done, m);
                    memcpy(a + j * size + done, a + (j - 1) * size + done, m);
                    memcpy(a + (j - 1) * size + done, t, m);
                    done += m;
                }
            }
        }
        return;
    }
    unsigned char *src = a, *dst = buf;
    for (size_t width = 1; width < n; width *= 2) {
        merge_pass(src, dst, n, size, width, cmp, ctx);
        unsigned char *t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * size);
    free(buf);
}

int
lmdb_err(int rc, const char *what)
{
    if (rc == 0)
        return 0;
    if (rc == MDB_MAP_FULL)
        return MDB_MAP_FULL;
    if (rc > 0)
        return -rc;
    KC_LOG(KC_LOG_ERROR, "kvstore", "lmdb error", "op=%s err=\"%s\"", what, mdb_strerror(rc));
    return KC_EINTERNAL;
}
