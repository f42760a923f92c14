/* kc_fault.h - allocation and I/O wrappers with a fault hook for tests.
 *
 * Code that must survive out-of-memory or I/O errors allocates and does I/O through these wrappers. A test
 * arms a fault with kc_fault_arm(): the Nth call of that kind from then on fails (allocations return NULL,
 * I/O returns -1 with errno set). Disarmed, each wrapper costs one relaxed atomic load. Thread-safe.
 */
#ifndef KC_FAULT_H
#define KC_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum kc_fault_kind {
    KC_FAULT_ALLOC, /* kc_malloc, kc_calloc, kc_realloc, kc_strdup, kc_strndup */
    KC_FAULT_IO,    /* kc_open, kc_read, kc_write, kc_pwrite, kc_fsync, kc_fdatasync */
    KC_FAULT_NKINDS,
};

/* Makes the nth call (1 = the next one) of kind fail with errno err (ENOMEM for allocations when err is 0).
 * When sticky, every call from the nth on fails until kc_fault_disarm(). */
void kc_fault_arm(enum kc_fault_kind kind, long nth, int err, bool sticky);

/* Stops injecting faults of kind. */
void kc_fault_disarm(enum kc_fault_kind kind);

/* How many faults of kind have been injected since the last kc_fault_arm(). */
long kc_fault_injected(enum kc_fault_kind kind);

/* Wrappers with the libc semantics of their namesakes. */
void *kc_malloc(size_t size);
void *kc_calloc(size_t n, size_t size);
void *kc_realloc(void *p, size_t size);
char *kc_strdup(const char *s);
char *kc_strndup(const char *s, size_t n);
int kc_open(const char *path, int flags, int mode);
ssize_t kc_read(int fd, void *buf, size_t len);
ssize_t kc_write(int fd, const void *buf, size_t len);
ssize_t kc_pwrite(int fd, const void *buf, size_t len, off_t off);
int kc_fsync(int fd);
int kc_fdatasync(int fd);

/* Writes all len bytes (retrying short writes and EINTR). Returns 0 or -errno. */
int kc_write_all(int fd, const void *buf, size_t len);

#endif
