/* jarena.c - arenas for jansson's allocations, one per request (kc_jarena.h). Chunks come from one reserved range
 * of address space, so a free can tell an arena's pointer from malloc's by its address alone. */
#include "kc_jarena.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* A pod's create takes one chunk (the benchmark's pod: its tree, defaults and validation's values, 22 KB). */
#define CHUNK_BYTES ((size_t)64 << 10)
/* Reserved once without memory (PROT_NONE): 16,384 chunks. Past them, allocations are malloc's. */
#define REGION_BYTES ((size_t)1 << 30)
/* Larger allocations go to malloc: no chunk is spent on one long string. */
#define MAX_ALLOC ((size_t)8 << 10)
/* Free chunks kept resident (16 MiB); a chunk returned beyond them gives its pages back to the kernel, so that
 * memory taken by a burst of concurrent requests does not stay. */
#define KEEP_CHUNKS 256
#define ALIGN       16

struct chunk {
    struct chunk *next; /* the arena's previous chunk; in the free list, the next free one */
    size_t used;        /* bytes taken from the chunk's start, this header included */
};

struct kc_jarena {
    struct chunk *head; /* allocations come from it; the arena itself is in the last of the chain */
    size_t bytes;       /* handed out, rounded up to ALIGN */
    size_t chunks;
};

static char *region; /* set once by kc_jarena_install */
static size_t page_bytes;
static atomic_size_t carved;              /* bytes of the region made into chunks */
static size_t carve_limit = REGION_BYTES; /* kc_jarena_set_limit (tests) */
static pthread_mutex_t free_lock = PTHREAD_MUTEX_INITIALIZER;
static struct chunk *free_chunks;
static size_t n_free;
static _Thread_local struct kc_jarena *current;

static size_t
round_up(size_t n)
{
    return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

static struct chunk *
chunk_take(void)
{
    pthread_mutex_lock(&free_lock);
    struct chunk *c = free_chunks;
    if (c) {
        free_chunks = c->next;
        n_free--;
    }
    pthread_mutex_unlock(&free_lock);
    if (!c) {
        size_t off = atomic_fetch_add(&carved, CHUNK_BYTES);
        if (off + CHUNK_BYTES > carve_limit) {
            atomic_fetch_sub(&carved, CHUNK_BYTES);
            return NULL;
        }
        c = (struct chunk *)(region + off);
        if (mprotect(c, CHUNK_BYTES, PROT_READ | PROT_WRITE) != 0)
            return NULL; /* no memory for it: this piece of the range stays unused */
        POISON((char *)c + sizeof(*c), CHUNK_BYTES - sizeof(*c));
    }
    c->next = NULL;
    c->used = round_up(sizeof(*c));
    return c;
}

static void
chunk_give(struct chunk *c)
{
    pthread_mutex_lock(&free_lock);
    bool keep = n_free < KEEP_CHUNKS;
    pthread_mutex_unlock(&free_lock);
    if (!keep) /* the header's page stays: the chunk is still in the free list */
        madvise((char *)c + page_bytes, CHUNK_BYTES - page_bytes, MADV_DONTNEED);
    POISON((char *)c + sizeof(*c), CHUNK_BYTES - sizeof(*c));
    pthread_mutex_lock(&free_lock);
    c->next = free_chunks;
    free_chunks = c;
    n_free++;
    pthread_mutex_unlock(&free_lock);
}

static void *
arena_malloc(size_t size)
{
    struct kc_jarena *a = current;
    if (!a || size > MAX_ALLOC)
        return malloc(size);
    size_t n = round_up(size ? size : 1);
    struct chunk *c = a->head;
    if (c->used + n > CHUNK_BYTES) {
        struct chunk *d = chunk_take();
        if (!d)
            return malloc(size);
        d->next = c;
        a->head = c = d;
        a->chunks++;
    }
    void *p = (char *)c + c->used;
    c->used += n;
    a->bytes += n;
    UNPOISON(p, size);
    return p;
}

/* An arena's memory goes back with the arena: its frees do nothing, wherever they run. */
static void
arena_free(void *p)
{
    if ((uintptr_t)p - (uintptr_t)region < REGION_BYTES)
        return;
    free(p);
}

int
kc_jarena_install(void)
{
    if (region) { /* again: jansson's functions may have been changed since */
        json_set_alloc_funcs(arena_malloc, arena_free);
        return 0;
    }
    void *r = mmap(NULL, REGION_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r == MAP_FAILED)
        return -ENOMEM;
    long pg = sysconf(_SC_PAGESIZE);
    page_bytes = pg > 0 && (size_t)pg < CHUNK_BYTES ? (size_t)pg : 4096;
    region = r;
    json_set_alloc_funcs(arena_malloc, arena_free);
    return 0;
}

struct kc_jarena *
kc_jarena_new(void)
{
    json_malloc_t m;
    json_free_t f;
    json_get_alloc_funcs(&m, &f);
    if (!region || m != arena_malloc || f != arena_free)
        return NULL;
    struct chunk *c = chunk_take();
    if (!c)
        return NULL;
    struct kc_jarena *a = (struct kc_jarena *)((char *)c + c->used);
    UNPOISON(a, sizeof(*a));
    c->used += round_up(sizeof(*a));
    *a = (struct kc_jarena){ .head = c, .chunks = 1 };
    return a;
}

struct kc_jarena *
kc_jarena_enter(struct kc_jarena *a)
{
    struct kc_jarena *prev = current;
    current = a;
    return prev;
}

void
kc_jarena_leave(struct kc_jarena *prev)
{
    current = prev;
}

void
kc_jarena_free(struct kc_jarena *a)
{
    if (!a)
        return;
    struct chunk *c = a->head; /* a lives in the chain's last chunk: read before any chunk goes */
    while (c) {
        struct chunk *next = c->next;
        chunk_give(c);
        c = next;
    }
}

char *
kc_jarena_dumps(const json_t *v, size_t flags)
{
    struct kc_jarena *prev = kc_jarena_enter(NULL);
    char *s = json_dumps(v, flags);
    kc_jarena_leave(prev);
    return s;
}

void
kc_jarena_stats(const struct kc_jarena *a, size_t *bytes, size_t *chunks)
{
    *bytes = a ? a->bytes : 0;
    *chunks = a ? a->chunks : 0;
}

void
kc_jarena_set_limit(size_t max_chunks)
{
    carve_limit = max_chunks && max_chunks * CHUNK_BYTES < REGION_BYTES ? max_chunks * CHUNK_BYTES : REGION_BYTES;
}
