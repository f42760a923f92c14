/* fault.c - the allocation and I/O wrappers and their test-armed fault injection. */
#include "kc_fault.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fault {
    long armed;    /* countdown to the failing call; 0 = disarmed */
    long injected; /* faults injected since arming */
    int err;       /* errno to report */
    bool sticky;   /* keep failing after the first */
};

static struct fault faults[KC_FAULT_NKINDS];

void
kc_fault_arm(enum kc_fault_kind kind, long nth, int err, bool sticky)
{
    struct fault *f = &faults[kind];
    __atomic_store_n(&f->injected, 0, __ATOMIC_SEQ_CST);
    f->err = err ? err : (kind == KC_FAULT_ALLOC ? ENOMEM : EIO);
    f->sticky = sticky;
    __atomic_store_n(&f->armed, nth > 0 ? nth : 0, __ATOMIC_SEQ_CST);
}

void
kc_fault_disarm(enum kc_fault_kind kind)
{
    __atomic_store_n(&faults[kind].armed, 0, __ATOMIC_SEQ_CST);
}

long
kc_fault_injected(enum kc_fault_kind kind)
{
    return __atomic_load_n(&faults[kind].injected, __ATOMIC_SEQ_CST);
}

/* True when this call must fail; sets errno. The countdown reaches 1 on the failing call; a sticky fault stays
 * at 1 so that every later call fails too. */
static bool
should_fail(enum kc_fault_kind kind)
{
    struct fault *f = &faults[kind];
    long left = __atomic_load_n(&f->armed, __ATOMIC_RELAXED);

    while (left > 0) {
        long next = left == 1 ? (f->sticky ? 1 : 0) : left - 1;
        if (__atomic_compare_exchange_n(&f->armed, &left, next, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
            if (left != 1)
                return false;
            __atomic_add_fetch(&f->injected, 1, __ATOMIC_SEQ_CST);
            errno = f->err;
            return true;
        }
    }
    return false;
}

void *
kc_malloc(size_t size)
{
    return should_fail(KC_FAULT_ALLOC) ? NULL : malloc(size);
}

void *
kc_calloc(size_t n, size_t size)
{
    return should_fail(KC_FAULT_ALLOC) ? NULL : calloc(n, size);
}

void *
kc_realloc(void *p, size_t size)
{
    return should_fail(KC_FAULT_ALLOC) ? NULL : realloc(p, size);
}

char *
kc_strdup(const char *s)
{
    return should_fail(KC_FAULT_ALLOC) ? NULL : strdup(s);
}

char *
kc_strndup(const char *s, size_t n)
{
    return should_fail(KC_FAULT_ALLOC) ? NULL : strndup(s, n);
}

int
kc_open(const char *path, int flags, int mode)
{
    return should_fail(KC_FAULT_IO) ? -1 : open(path, flags, mode);
}

ssize_t
kc_read(int fd, void *buf, size_t len)
{
    return should_fail(KC_FAULT_IO) ? -1 : read(fd, buf, len);
}

ssize_t
kc_write(int fd, const void *buf, size_t len)
{
    return should_fail(KC_FAULT_IO) ? -1 : write(fd, buf, len);
}

ssize_t
kc_pwrite(int fd, const void *buf, size_t len, off_t off)
{
    return should_fail(KC_FAULT_IO) ? -1 : pwrite(fd, buf, len, off);
}

int
kc_fsync(int fd)
{
    return should_fail(KC_FAULT_IO) ? -1 : fsync(fd);
}

int
kc_fdatasync(int fd)
{
    return should_fail(KC_FAULT_IO) ? -1 : fdatasync(fd);
}

int
kc_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = kc_write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
