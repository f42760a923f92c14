/* snapshot.c - streaming a consistent copy of the store out (mdb_env_copyfd2 into a pipe, read back and handed
 * to a callback) and creating a new store from such a stream.
 */
#include "kvs_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kc_fault.h"
#include "kc_log.h"

#define CHUNK (256 << 10)

struct copyjob {
    MDB_env *env;
    int fd;
    int rc;
};

static void *
copy_main(void *arg)
{
    struct copyjob *j = arg;
    /* the reader may stop early: get EPIPE instead of a process-wide SIGPIPE (LMDB's compacting writer thread
     * inherits this mask) */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    j->rc = mdb_env_copyfd2(j->env, j->fd, MDB_CP_COMPACT);
    close(j->fd);
    return NULL;
}

int
kvs_snapshot(struct kvs *s, int (*write)(void *ctx, const void *buf, size_t len), void *ctx)
{
    if (!s || !write)
        return KC_EINVALID;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -errno;
    uint8_t *buf = kc_malloc(CHUNK);
    if (!buf) {
        close(fds[0]);
        close(fds[1]);
        return -ENOMEM;
    }
    /* hold the map steady for the whole copy: LMDB's copy reads the map through its own read txn */
    pthread_rwlock_rdlock(&s->maplock);
    struct copyjob job = { s->env, fds[1], 0 };
    pthread_t t;
    int rc = 0;
    if (pthread_create(&t, NULL, copy_main, &job) != 0) {
        pthread_rwlock_unlock(&s->maplock);
        close(fds[0]);
        close(fds[1]);
        free(buf);
        return -EAGAIN;
    }
    for (;;) {
        ssize_t n = kc_read(fds[0], buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            break;
        }
        if (n == 0)
            break;
        rc = write(ctx, buf, (size_t)n);
        if (rc)
            break;
    }
    close(fds[0]); /* an early stop makes the copy fail with EPIPE */
    pthread_join(t, NULL);
    pthread_rwlock_unlock(&s->maplock);
    free(buf);
    if (rc)
        return rc;
    if (job.rc)
        return lmdb_err(job.rc, "env_copyfd2");
    return 0;
}

/* Checks that path is an LMDB file holding a kvs store of this format. */
static int
validate(const char *path)
{
    MDB_env *env;
    int rc = mdb_env_create(&env);
    if (rc)
        return lmdb_err(rc, "env_create");
    mdb_env_set_maxdbs(env, 8);
    rc = mdb_env_open(env, path, MDB_NOSUBDIR | MDB_RDONLY | MDB_NOLOCK, 0600);
    if (rc) {
        mdb_env_close(env);
        return KC_EINTERNAL;
    }
    MDB_txn *txn;
    MDB_dbi dbi;
    rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    if (rc == 0) {
        rc = mdb_dbi_open(txn, "meta", 0, &dbi);
        if (rc == 0) {
            MDB_val k = { 6, "format" }, v;
            rc = mdb_get(txn, dbi, &k, &v);
            if (rc == 0 && (v.mv_size != 8 || get_le64(v.mv_data) != KVS_FORMAT))
                rc = MDB_INCOMPATIBLE;
        }
        mdb_txn_abort(txn);
    }
    mdb_env_close(env);
    return rc ? KC_EINTERNAL : 0;
}

int
kvs_restore(const char *dir, int (*read)(void *ctx, void *buf, size_t cap, size_t *got), void *ctx)
{
    if (!dir || !*dir || !read)
        return KC_EINVALID;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -errno;
    char path[4096], tmp[4096];
    if (snprintf(path, sizeof(path), "%s/data.mdb", dir) >= (int)sizeof(path) ||
        snprintf(tmp, sizeof(tmp), "%s/data.mdb.restore", dir) >= (int)sizeof(tmp))
        return KC_EINVALID;
    struct stat st;
    if (stat(path, &st) == 0)
        return KC_EEXIST;
    int fd = kc_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    uint8_t *buf = kc_malloc(CHUNK);
    int rc = buf ? 0 : -ENOMEM;
    size_t total = 0;
    while (!rc) {
        size_t got = 0;
        rc = read(ctx, buf, CHUNK, &got);
        if (rc || got == 0)
            break;
        if (got > CHUNK) {
            rc = KC_EINVALID;
            break;
        }
        rc = kc_write_all(fd, buf, got);
        total += got;
    }
    free(buf);
    if (!rc && kc_fsync(fd) != 0)
        rc = -errno;
    if (close(fd) != 0 && !rc)
        rc = -errno;
    if (!rc && total == 0)
        rc = KC_EINTERNAL;
    if (!rc)
        rc = validate(tmp);
    if (!rc && rename(tmp, path) != 0)
        rc = -errno;
    if (!rc) {
        int dfd = kc_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        if (dfd >= 0) {
            if (kc_fsync(dfd) != 0)
                rc = -errno;
            close(dfd);
        }
    }
    if (rc) {
        unlink(tmp);
        KC_LOG(KC_LOG_WARN, "kvstore", "restore failed", "dir=%s err=\"%s\"", dir, kc_strerror(rc));
    }
    return rc;
}
