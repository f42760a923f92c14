/* wal.c - the write-ahead log (kvs_wal.h): segments preallocated with zeros, records appended in memory and
 * written + fdatasync'ed together, read back at open up to the first record that does not check out.
 */
#include "kvs_wal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kc_error.h"
#include "kc_fault.h"
#include "kc_log.h"

#define SEG_MAGIC    "K8CWAL01"
#define SEG_HDR      KVS_WAL_HEADER_BYTES
#define REC_HDR      KVS_WAL_RECORD_OVERHEAD
#define REC_MAX      (1u << 30)
#define ZERO_CHUNK   (1 << 20)
#define RECYCLE_NAME "recycle.tmp"
#define PREP_SUFFIX  ".tmp"

/* ---------------------------------------------------------------------------------------------------------- */
/* CRC32C */

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static bool crc_hw;

static void
crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[i] = c;
    }
#if defined(__x86_64__)
    crc_hw = __builtin_cpu_supports("sse4.2");
#endif
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t
crc_sse42(uint32_t c, const uint8_t *p, size_t n)
{
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = (uint32_t)__builtin_ia32_crc32di(c, v);
        p += 8;
        n -= 8;
    }
    while (n--)
        c = __builtin_ia32_crc32qi(c, *p++);
    return c;
}
#endif

uint32_t
kvs_crc32c(uint32_t crc, const void *data, size_t len)
{
    pthread_once(&crc_once, crc_init);
    const uint8_t *p = data;
    uint32_t c = ~crc;
#if defined(__x86_64__)
    if (crc_hw)
        return ~crc_sse42(c, p, len);
#endif
    while (len--)
        c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* Little-endian helpers */

static void
le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

static void
le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint32_t
rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static size_t
pad8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* The log */

/* A segment read at open whose records are still referenced. */
struct map {
    void *p;
    size_t len;
};

struct kvs_wal {
    char *dir;
    int dirfd;
    int64_t seg_bytes;

    /* the active segment */
    int fd;
    uint64_t seq, epoch;
    uint64_t cap;     /* the file's preallocated size */
    uint64_t off;     /* end of the appended records (pending ones included) */
    uint64_t written; /* file offset where buf starts: everything before it has been written */
    uint64_t durable; /* synced up to here */
    uint8_t *buf;     /* appended records not yet written */
    size_t blen, bcap;
    int err; /* sticky I/O error */
    int64_t syncs;

    /* records found at open */
    struct kvs_wal_rec *recs;
    size_t nrecs, reccap;
    struct map *maps;
    size_t nmaps;

    /* shared with kvs_wal_prepare (lock) */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    uint64_t *segs; /* seqs of the segments on disk, ascending, the active one last */
    size_t nsegs, segcap;
    uint64_t next_seq; /* the seq the next prepared segment gets */
    bool preparing;
    bool spare_ready;
    int spare_fd;
    uint64_t spare_seq, spare_epoch, spare_cap;
};

static void
seg_path(const struct kvs_wal *w, uint64_t seq, const char *suffix, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%016" PRIx64 "%s", w->dir, seq, suffix);
}

static uint64_t
random_epoch(void)
{
    uint64_t e = 0;
    if (getrandom(&e, sizeof(e), 0) != (ssize_t)sizeof(e)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        e = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 40;
    }
    return e ? e : 1; /* 0 is what a zeroed region reads as */
}

static void
header_fill(uint8_t *h, uint64_t seq, uint64_t epoch)
{
    memset(h, 0, SEG_HDR);
    memcpy(h, SEG_MAGIC, 8);
    le64(h + 8, seq);
    le64(h + 16, epoch);
    le32(h + 24, kvs_crc32c(0, h, 24));
}

/* Checks a segment header; returns its epoch or 0 when it is not a valid header for seq. */
static uint64_t
header_epoch(const uint8_t *h, size_t len, uint64_t seq)
{
    if (len < SEG_HDR || memcmp(h, SEG_MAGIC, 8) != 0 || rd64(h + 8) != seq || rd32(h + 24) != kvs_crc32c(0, h, 24))
        return 0;
    return rd64(h + 16);
}

static int
pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = kc_pwrite(fd, p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EIO;
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

/* fsyncs the directory that holds path (its entry for path becomes durable). */
static int
fsync_parent(const char *path)
{
    char parent[4096];
    snprintf(parent, sizeof(parent), "%s", path);
    size_t n = strlen(parent);
    while (n > 1 && parent[n - 1] == '/')
        parent[--n] = '\0';
    char *slash = strrchr(parent, '/');
    if (!slash)
        snprintf(parent, sizeof(parent), ".");
    else if (slash == parent)
        parent[1] = '\0';
    else
        *slash = '\0';
    int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd >= 0 && kc_fsync(fd) == 0 ? 0 : -errno;
    if (fd >= 0)
        close(fd);
    return rc;
}

static int
fsync_dir(const struct kvs_wal *w)
{
    return kc_fsync(w->dirfd) == 0 ? 0 : -errno;
}

/* Writes zeros to [from, to) of fd: written, not fallocate'd, as writing into unwritten extents changes the file's
 * metadata at every later sync. */
static int
fill_zeros(int fd, uint64_t from, uint64_t to)
{
    uint8_t *z = kc_calloc(1, ZERO_CHUNK);
    if (!z)
        return -ENOMEM;
    int rc = 0;
    for (uint64_t o = from; !rc && o < to; o += ZERO_CHUNK)
        rc = pwrite_all(fd, z, to - o < ZERO_CHUNK ? (size_t)(to - o) : ZERO_CHUNK, o);
    free(z);
    return rc;
}

static int
segs_add(struct kvs_wal *w, uint64_t seq)
{
    if (w->nsegs == w->segcap) {
        size_t cap = w->segcap ? w->segcap * 2 : 8;
        uint64_t *n = kc_realloc(w->segs, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        w->segs = n;
        w->segcap = cap;
    }
    w->segs[w->nsegs++] = seq;
    return 0;
}

/* Creates the next segment: a recycled file (stale records carry another epoch) or a new one written with zeros,
 * with a header of a fresh epoch, synced, renamed to its name, the directory synced. Called without w->lock. */
static int
create_segment(struct kvs_wal *w, uint64_t seq, int *fd_out, uint64_t *epoch_out, uint64_t *cap_out)
{
    char tmp[4096], final[4096], rec[4096];
    seg_path(w, seq, PREP_SUFFIX, tmp, sizeof(tmp));
    seg_path(w, seq, ".wal", final, sizeof(final));
    snprintf(rec, sizeof(rec), "%s/%s", w->dir, RECYCLE_NAME);
    bool recycled = rename(rec, tmp) == 0;
    int fd = kc_open(tmp, O_RDWR | O_CREAT | O_CLOEXEC | (recycled ? 0 : O_TRUNC), 0600);
    if (fd < 0)
        return -errno;
    int rc = 0;
    struct stat st;
    uint64_t size = 0;
    if (recycled && fstat(fd, &st) == 0)
        size = (uint64_t)st.st_size;
    uint64_t want = (uint64_t)w->seg_bytes;
    if (size < want) {
        rc = fill_zeros(fd, size, want);
        size = want;
    }
    uint64_t epoch = random_epoch();
    uint8_t *h = rc ? NULL : kc_malloc(SEG_HDR);
    if (!rc && !h)
        rc = -ENOMEM;
    if (!rc) {
        header_fill(h, seq, epoch);
        rc = pwrite_all(fd, h, SEG_HDR, 0);
    }
    free(h);
    if (!rc && kc_fdatasync(fd) != 0)
        rc = -errno;
    if (!rc && rename(tmp, final) != 0)
        rc = -errno;
    if (!rc)
        rc = fsync_dir(w);
    if (rc) {
        close(fd);
        unlink(tmp);
        return rc;
    }
    *fd_out = fd;
    *epoch_out = epoch;
    *cap_out = size;
    return 0;
}

int
kvs_wal_prepare(struct kvs_wal *w)
{
    pthread_mutex_lock(&w->lock);
    if (w->spare_ready || w->preparing) {
        pthread_mutex_unlock(&w->lock);
        return 0;
    }
    w->preparing = true;
    uint64_t seq = w->next_seq++;
    pthread_mutex_unlock(&w->lock);
    int fd = -1;
    uint64_t epoch = 0, cap = 0;
    int rc = create_segment(w, seq, &fd, &epoch, &cap);
    pthread_mutex_lock(&w->lock);
    w->preparing = false;
    if (rc == 0) {
        w->spare_ready = true;
        w->spare_fd = fd;
        w->spare_seq = seq;
        w->spare_epoch = epoch;
        w->spare_cap = cap;
    }
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    if (rc)
        KC_LOG(KC_LOG_WARN, "kvstore", "cannot prepare a WAL segment", "dir=%s err=\"%s\"", w->dir, kc_strerror(rc));
    return rc;
}

/* Makes the spare the active segment (preparing one now if needed). The old one must be synced. */
static int
activate_spare(struct kvs_wal *w)
{
    pthread_mutex_lock(&w->lock);
    while (w->preparing)
        pthread_cond_wait(&w->cond, &w->lock);
    bool ready = w->spare_ready;
    pthread_mutex_unlock(&w->lock);
    if (!ready) {
        int rc = kvs_wal_prepare(w);
        if (rc)
            return rc;
    }
    pthread_mutex_lock(&w->lock);
    while (w->preparing)
        pthread_cond_wait(&w->cond, &w->lock);
    if (!w->spare_ready) {
        pthread_mutex_unlock(&w->lock);
        return -EIO;
    }
    int rc = segs_add(w, w->spare_seq);
    if (rc) {
        pthread_mutex_unlock(&w->lock);
        return rc;
    }
    w->spare_ready = false;
    if (w->fd >= 0)
        close(w->fd);
    w->fd = w->spare_fd;
    w->seq = w->spare_seq;
    w->epoch = w->spare_epoch;
    w->cap = w->spare_cap;
    w->off = w->written = w->durable = SEG_HDR;
    pthread_mutex_unlock(&w->lock);
    return 0;
}

/* Reads the records of segment seq (mapping it while they are referenced). *valid gets whether its header is
 * good, *nrec how many records it had. */
static int
read_segment(struct kvs_wal *w, uint64_t seq, bool *valid, size_t *nrec)
{
    char path[4096];
    seg_path(w, seq, ".wal", path, sizeof(path));
    *valid = false;
    *nrec = 0;
    int fd = kc_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    size_t size = (size_t)st.st_size;
    if (size < SEG_HDR) {
        close(fd);
        return 0;
    }
    void *p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return -errno;
    const uint8_t *b = p;
    uint64_t epoch = header_epoch(b, size, seq);
    if (epoch == 0) {
        munmap(p, size);
        return 0;
    }
    *valid = true;
    size_t off = SEG_HDR, n = 0;
    while (off + REC_HDR <= size) {
        const uint8_t *r = b + off;
        uint32_t len = rd32(r + 4);
        if (rd64(r + 8) != epoch || r[24] == 0 || len > size - off - REC_HDR ||
            kvs_crc32c(0, r + 4, REC_HDR - 4 + len) != rd32(r))
            break;
        if (w->nrecs == w->reccap) {
            size_t cap = w->reccap ? w->reccap * 2 : 256;
            struct kvs_wal_rec *nr = kc_realloc(w->recs, cap * sizeof(*nr));
            if (!nr) {
                munmap(p, size);
                return -ENOMEM;
            }
            w->recs = nr;
            w->reccap = cap;
        }
        w->recs[w->nrecs++] = (struct kvs_wal_rec){
            .type = r[24], .index = rd64(r + 16), .data = len ? r + REC_HDR : NULL, .len = len, .pos = { seq, off }
        };
        n++;
        off += REC_HDR + pad8(len);
    }
    if (n == 0) {
        munmap(p, size);
    } else {
        struct map *nm = kc_realloc(w->maps, (w->nmaps + 1) * sizeof(*nm));
        if (!nm) {
            munmap(p, size);
            return -ENOMEM;
        }
        w->maps = nm;
        w->maps[w->nmaps++] = (struct map){ p, size };
    }
    *nrec = n;
    return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Lists the segments (ascending) and removes leftovers of interrupted preparations. */
static int
list_segments(struct kvs_wal *w)
{
    DIR *d = fdopendir(dup(w->dirfd));
    if (!d)
        return -errno;
    struct dirent *de;
    int rc = 0;
    while (!rc && (de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        size_t len = strlen(name);
        char *end;
        if (len == 20 && strcmp(name + 16, ".wal") == 0) {
            uint64_t seq = strtoull(name, &end, 16);
            if (end == name + 16)
                rc = segs_add(w, seq);
        } else if (len == 20 && strcmp(name + 16, PREP_SUFFIX) == 0) {
            unlinkat(w->dirfd, name, 0); /* a preparation cut short */
        }
    }
    closedir(d);
    if (!rc && w->nsegs > 1)
        qsort(w->segs, w->nsegs, sizeof(w->segs[0]), cmp_u64);
    return rc;
}

/* Makes the last segment, which holds no record, the active one under a fresh epoch: bytes of its earlier use,
 * if any, then no longer check out. */
static int
reuse_segment(struct kvs_wal *w, uint64_t seq)
{
    char path[4096];
    seg_path(w, seq, ".wal", path, sizeof(path));
    int fd = kc_open(path, O_RDWR | O_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct stat st;
    int rc = fstat(fd, &st) == 0 ? 0 : -errno;
    uint64_t size = rc ? 0 : (uint64_t)st.st_size;
    if (!rc && size < (uint64_t)w->seg_bytes) {
        rc = fill_zeros(fd, size, (uint64_t)w->seg_bytes);
        size = (uint64_t)w->seg_bytes;
    }
    uint64_t epoch = random_epoch();
    uint8_t *h = rc ? NULL : kc_malloc(SEG_HDR);
    if (!rc && !h)
        rc = -ENOMEM;
    if (!rc) {
        header_fill(h, seq, epoch);
        rc = pwrite_all(fd, h, SEG_HDR, 0);
    }
    free(h);
    if (!rc && kc_fdatasync(fd) != 0)
        rc = -errno;
    if (rc) {
        close(fd);
        return rc;
    }
    w->fd = fd;
    w->seq = seq;
    w->epoch = epoch;
    w->cap = size;
    w->off = w->written = w->durable = SEG_HDR;
    return 0;
}

int
kvs_wal_open(const struct kvs_wal_options *o, struct kvs_wal **out)
{
    if (!o || !o->dir || !*o->dir || !out || (o->segment_bytes && o->segment_bytes < KVS_WAL_SEGMENT_MIN))
        return KC_EINVALID;
    struct kvs_wal *w = kc_calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->fd = w->dirfd = w->spare_fd = -1;
    w->seg_bytes = o->segment_bytes ? o->segment_bytes : KVS_WAL_SEGMENT_DEFAULT;
    w->seg_bytes = (w->seg_bytes + SEG_HDR - 1) / SEG_HDR * SEG_HDR;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->dir = kc_strdup(o->dir);
    int rc = w->dir ? 0 : -ENOMEM;
    if (!rc && mkdir(w->dir, 0700) == 0) {
        rc = fsync_parent(w->dir); /* a new directory: its entry is durable before anything in it counts */
    } else if (!rc && errno != EEXIST) {
        rc = -errno;
    }
    if (!rc) {
        w->dirfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (w->dirfd < 0)
            rc = -errno;
    }
    /* one writer: a second open (another process, or this one) would append behind the first one's back */
    if (!rc && flock(w->dirfd, LOCK_EX | LOCK_NB) != 0)
        rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
    if (!rc)
        rc = list_segments(w);
    bool last_empty = false;
    for (size_t i = 0; !rc && i < w->nsegs; i++) {
        bool valid;
        size_t n;
        rc = read_segment(w, w->segs[i], &valid, &n);
        if (!rc && !valid && i + 1 < w->nsegs) {
            KC_LOG(KC_LOG_ERROR, "kvstore", "WAL segment with a damaged header", "dir=%s seq=%" PRIu64, w->dir,
                   w->segs[i]);
            rc = KC_EINTERNAL;
        }
        if (!rc && i + 1 == w->nsegs)
            last_empty = n == 0;
    }
    w->next_seq = w->nsegs ? w->segs[w->nsegs - 1] + 1 : 1;
    if (!rc) {
        if (last_empty) {
            rc = reuse_segment(w, w->segs[w->nsegs - 1]);
        } else {
            w->fd = -1;
            rc = activate_spare(w);
        }
    }
    if (rc) {
        kvs_wal_close(w);
        return rc;
    }
    *out = w;
    return 0;
}

void
kvs_wal_records(const struct kvs_wal *w, const struct kvs_wal_rec **recs, size_t *n)
{
    *recs = w->recs;
    *n = w->nrecs;
}

void
kvs_wal_records_release(struct kvs_wal *w)
{
    for (size_t i = 0; i < w->nmaps; i++)
        munmap(w->maps[i].p, w->maps[i].len);
    free(w->maps);
    w->maps = NULL;
    w->nmaps = 0;
    free(w->recs);
    w->recs = NULL;
    w->nrecs = w->reccap = 0;
}

/* Writes the pending bytes to the active segment. */
static int
write_pending(struct kvs_wal *w)
{
    if (w->blen == 0)
        return 0;
    int rc = pwrite_all(w->fd, w->buf, w->blen, w->written);
    if (rc)
        return rc;
    w->written += w->blen;
    w->blen = 0;
    return 0;
}

int
kvs_wal_sync(struct kvs_wal *w)
{
    if (w->err)
        return w->err;
    int rc = write_pending(w);
    if (!rc && w->durable < w->written) {
        if (kc_fdatasync(w->fd) != 0)
            rc = -errno;
        else
            w->durable = w->written;
        w->syncs++;
    }
    if (rc) {
        w->err = rc;
        KC_LOG(KC_LOG_ERROR, "kvstore", "WAL write failed", "dir=%s seq=%" PRIu64 " err=\"%s\"", w->dir, w->seq,
               kc_strerror(rc));
    }
    return rc;
}

static int
reserve(struct kvs_wal *w, size_t need)
{
    if (w->blen + need <= w->bcap)
        return 0;
    size_t cap = w->bcap ? w->bcap : 64 << 10;
    while (cap < w->blen + need)
        cap *= 2;
    uint8_t *nb = kc_realloc(w->buf, cap);
    if (!nb)
        return -ENOMEM;
    w->buf = nb;
    w->bcap = cap;
    return 0;
}

int
kvs_wal_reserve(struct kvs_wal *w, size_t nrecs, size_t bytes)
{
    return reserve(w, nrecs * (REC_HDR + 7) + bytes);
}

int
kvs_wal_append(struct kvs_wal *w, uint8_t type, uint64_t index, const void *data, size_t len)
{
    if (w->err)
        return w->err;
    if (type == 0 || len > REC_MAX || (len && !data))
        return KC_EINVALID;
    size_t size = REC_HDR + pad8(len);
    if (w->off + size > w->cap && w->off > SEG_HDR) {
        /* the record does not fit: finish this segment (durably, so that no later segment ever holds records
         * after a torn tail of this one) and go on in the next */
        int rc = kvs_wal_sync(w);
        if (!rc)
            rc = activate_spare(w);
        if (rc) {
            w->err = rc;
            return rc;
        }
    }
    int rc = reserve(w, size);
    if (rc)
        return rc;
    uint8_t *r = w->buf + w->blen;
    memset(r, 0, REC_HDR);
    le32(r + 4, (uint32_t)len);
    le64(r + 8, w->epoch);
    le64(r + 16, index);
    r[24] = type;
    if (len)
        memcpy(r + REC_HDR, data, len);
    memset(r + REC_HDR + len, 0, size - REC_HDR - len);
    le32(r, kvs_crc32c(0, r + 4, REC_HDR - 4 + len));
    w->blen += size;
    w->off += size;
    return 0;
}

struct kvs_wal_pos
kvs_wal_end(const struct kvs_wal *w)
{
    return (struct kvs_wal_pos){ w->seq, w->off };
}

int
kvs_wal_trim(struct kvs_wal *w, struct kvs_wal_pos before)
{
    int rc = 0;
    pthread_mutex_lock(&w->lock);
    size_t keep = 0;
    for (size_t i = 0; i < w->nsegs; i++) {
        uint64_t seq = w->segs[i];
        if (seq >= before.seq || seq == w->seq) {
            w->segs[keep++] = seq;
            continue;
        }
        char path[4096], rec[4096];
        seg_path(w, seq, ".wal", path, sizeof(path));
        snprintf(rec, sizeof(rec), "%s/%s", w->dir, RECYCLE_NAME);
        struct stat st;
        int r = stat(rec, &st) != 0 ? rename(path, rec) : unlink(path);
        if (r != 0 && errno != ENOENT) {
            rc = -errno;
            w->segs[keep++] = seq;
        }
    }
    w->nsegs = keep;
    pthread_mutex_unlock(&w->lock);
    return rc;
}

int64_t
kvs_wal_syncs(const struct kvs_wal *w)
{
    return w->syncs;
}

size_t
kvs_wal_segments(const struct kvs_wal *w)
{
    return w->nsegs;
}

void
kvs_wal_close(struct kvs_wal *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    while (w->preparing)
        pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
    kvs_wal_records_release(w);
    if (w->fd >= 0)
        close(w->fd);
    if (w->spare_ready)
        close(w->spare_fd); /* stays on disk: an empty segment the next open reuses */
    if (w->dirfd >= 0)
        close(w->dirfd);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w->segs);
    free(w->buf);
    free(w->dir);
    free(w);
}

int
kvs_wal_destroy(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : -errno;
    int dfd = dirfd(d), rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        size_t len = strlen(name);
        bool ours = strcmp(name, RECYCLE_NAME) == 0 ||
                    (len == 20 && (strcmp(name + 16, ".wal") == 0 || strcmp(name + 16, PREP_SUFFIX) == 0));
        if (ours && unlinkat(dfd, name, 0) != 0 && errno != ENOENT)
            rc = -errno;
    }
    closedir(d);
    if (!rc && rmdir(dir) != 0)
        rc = -errno;
    if (!rc)
        rc = fsync_parent(dir);
    return rc;
}
