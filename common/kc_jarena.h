/* kc_jarena.h - a request's jansson values from one arena, released together (h2o's request pool, for jansson).
 *
 * A create decodes its body into a tree of a few hundred small jansson values, adds defaults, validates and encodes
 * it, and frees every value when the request is done: a malloc and a free per value. With an arena entered on the
 * thread, jansson's allocations (through the functions kc_jarena_install sets) come from the arena's chunks instead,
 * their frees do nothing, and kc_jarena_free gives all of it back at once.
 *
 * Rules for code that runs with an arena entered:
 *  - No value allocated then may be used after kc_jarena_free: nothing allocated in an arena goes into a cache or
 *    to another thread that keeps it past the request. (Values from anywhere may go into the request's tree; their
 *    frees are real ones.) Builds with AddressSanitizer poison a freed arena's memory, so a late use is reported.
 *  - Memory jansson hands out for the caller to free (json_dumps) is allocated in the arena too: use kc_jarena_dumps,
 *    whose text is malloc'ed, wherever code may run with an arena entered.
 * Threads: an arena is entered on one thread at a time; allocation and free functions are thread-safe.
 */
#ifndef KC_JARENA_H
#define KC_JARENA_H

#include <jansson.h>
#include <stddef.h>

struct kc_jarena;

/* Makes jansson allocate through the arena functions (json_set_alloc_funcs): allocations outside an arena are
 * malloc's, frees of them free's, so values allocated before stay valid. Call before the threads that use jansson
 * start (again after json_set_alloc_funcs, to put the arena functions back). Returns 0, or -ENOMEM when the address
 * space for the chunks cannot be reserved (jansson keeps malloc; kc_jarena_new returns NULL). */
int kc_jarena_install(void);

/* A new, empty arena, or NULL (not installed, jansson's allocation functions changed since, no memory): callers go
 * on without one, which is always correct. Free it with kc_jarena_free. */
struct kc_jarena *kc_jarena_new(void);

/* Makes a (may be NULL: none) the calling thread's arena and returns the one it replaces, for kc_jarena_leave. */
struct kc_jarena *kc_jarena_enter(struct kc_jarena *a);

/* Makes prev (kc_jarena_enter's result) the thread's arena again. */
void kc_jarena_leave(struct kc_jarena *prev);

/* Gives back a's memory. a must not be entered on any thread, and no value allocated in it may be used any more.
 * NULL is a no-op. */
void kc_jarena_free(struct kc_jarena *a);

/* json_dumps(v, flags) with the text allocated by malloc whatever arena is entered; free() it. NULL on failure. */
char *kc_jarena_dumps(const json_t *v, size_t flags);

/* For tests: the bytes a has handed out and the chunks it holds. */
void kc_jarena_stats(const struct kc_jarena *a, size_t *bytes, size_t *chunks);

/* For tests: no more than max_chunks chunks of 64 KiB are ever made (0: as many as the reserved range holds, 16,384);
 * an arena that needs one more then allocates with malloc. Call with no thread using arenas. */
void kc_jarena_set_limit(size_t max_chunks);

#endif
