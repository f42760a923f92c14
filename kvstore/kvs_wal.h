/* kvs_wal.h - a write-ahead log of opaque, CRC32C-checked records in preallocated segment files: append in
 * memory, write and fdatasync together (kvs_wal_sync), read back after a crash up to the first record that does not
 * check out, drop whole segments once the caller no longer needs them. The store logs every command here before
 * applying it (docs/kvstore.md, "Durability"); the Raft log may reuse it.
 *
 * On disk: DIR/<seq as 16 hex digits>.wal, each preallocated to segment_bytes with zeros (overwriting written
 * blocks needs no file-system metadata change, so an fdatasync is one device flush). A segment starts with a
 * 4 KiB header (magic, seq, a random epoch); records follow, 8-byte aligned: crc32c u32 | len u32 | epoch u64 |
 * index u64 | type u8 | 7 zero bytes | payload | zero padding. The CRC covers everything after itself up to the end
 * of the payload. A record whose epoch is not its segment's (stale bytes of an earlier use of the file), whose CRC
 * fails (torn write) or whose length runs past the file ends that segment's log. After kvs_wal_open, appends go to
 * a segment with a fresh epoch, so a torn tail is never followed by new records in the same segment.
 *
 * Threading: one thread at a time may call the functions of a log, except kvs_wal_prepare, which may run
 * concurrently with the others. Errors: 0, a negative errno, KC_EINVALID (bad arguments), KC_EINTERNAL (a segment
 * that is not one of ours). After a failed write or fdatasync the log refuses further appends and syncs with the
 * same error: once a write-back has failed, what the file holds is unknown.
 */
#ifndef KVS_WAL_H
#define KVS_WAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KVS_WAL_SEGMENT_DEFAULT (8LL << 20) /* preallocated bytes per segment */
#define KVS_WAL_SEGMENT_MIN     (64LL << 10)
#define KVS_WAL_HEADER_BYTES    4096 /* records of a segment start at this offset */
#define KVS_WAL_RECORD_OVERHEAD 32   /* record header bytes before the payload */

struct kvs_wal;

struct kvs_wal_options {
    const char *dir;       /* the log's directory; created (0700, parent fsynced) when missing */
    int64_t segment_bytes; /* preallocated size of a segment; 0 = KVS_WAL_SEGMENT_DEFAULT; at least
                              KVS_WAL_SEGMENT_MIN. A record bigger than a segment gets a segment of its own, grown
                              to fit. */
};

/* A place in the log: the segment's sequence number and a byte offset in it. Positions order as (seq, off). */
struct kvs_wal_pos {
    uint64_t seq;
    uint64_t off;
};

/* A record read back by kvs_wal_open. */
struct kvs_wal_rec {
    uint8_t type;        /* the caller's, 1..255 */
    uint64_t index;      /* the caller's */
    const uint8_t *data; /* the payload (NULL when len is 0); valid until kvs_wal_records_release or close */
    size_t len;
    struct kvs_wal_pos pos; /* where the record starts */
};

/* Opens (creating if needed) the log in o->dir: reads every segment, keeps the records that check out (see
 * kvs_wal_records), and readies a segment with a fresh epoch for appending. The directory stays locked (flock)
 * until kvs_wal_close. Returns 0 and *out, KC_EINVALID, KC_EINTERNAL (a segment before the last has a damaged
 * header), -EBUSY (the log is open elsewhere), -ENOMEM or -errno. Free with kvs_wal_close. */
int kvs_wal_open(const struct kvs_wal_options *o, struct kvs_wal **out);

/* The records found at open, in log order (segments by seq, then offset). *recs belongs to the log. */
void kvs_wal_records(const struct kvs_wal *w, const struct kvs_wal_rec **recs, size_t *n);

/* Drops the records found at open (unmaps the old segments). Idempotent. */
void kvs_wal_records_release(struct kvs_wal *w);

/* Appends a record in memory; it reaches the file with the next kvs_wal_sync. When the record does not fit in the
 * active segment, that segment is written and synced first and the next one (the spare, or a new file) becomes
 * active. Returns 0, KC_EINVALID (type 0, len over 1 GiB), -ENOMEM, or the log's sticky I/O error. */
int kvs_wal_append(struct kvs_wal *w, uint8_t type, uint64_t index, const void *data, size_t len);

/* Makes room to append nrecs records with payloads of bytes in all without allocating, so that a batch can be
 * logged whole or not at all. Returns 0 or -ENOMEM. */
int kvs_wal_reserve(struct kvs_wal *w, size_t nrecs, size_t bytes);

/* Writes what was appended and fdatasyncs it: once this returns 0 every appended record survives a crash or a
 * power loss. Returns 0 or the (sticky) I/O error. */
int kvs_wal_sync(struct kvs_wal *w);

/* The position just after the last appended record (where the next one goes, unless it needs a new segment). */
struct kvs_wal_pos kvs_wal_end(const struct kvs_wal *w);

/* Removes the segments wholly before before.seq (never the active one): the caller has what they held elsewhere.
 * One of them is kept to be reused as the next spare. Returns 0 or -errno (what could not be removed stays). */
int kvs_wal_trim(struct kvs_wal *w, struct kvs_wal_pos before);

/* Makes sure a spare segment is ready (preallocated and synced, with its own epoch), so that the next switch does
 * not wait for one. May block for the preallocation (a few ms); may run concurrently with the other calls.
 * Returns 0 or -errno. */
int kvs_wal_prepare(struct kvs_wal *w);

/* How many fdatasyncs kvs_wal_sync did, and the segments on disk (the active one included). */
int64_t kvs_wal_syncs(const struct kvs_wal *w);
size_t kvs_wal_segments(const struct kvs_wal *w);

/* Closes the log (nothing is synced: call kvs_wal_sync first). NULL is fine. */
void kvs_wal_close(struct kvs_wal *w);

/* Removes the log in dir (its segments, spares and the directory itself; the parent is synced). The caller has
 * made everything the log held durable elsewhere. Returns 0 (also when there is no log) or -errno. */
int kvs_wal_destroy(const char *dir);

/* CRC32C (Castagnoli) of len bytes continuing from crc (0 to start), as iSCSI/ext4 compute it. */
uint32_t kvs_crc32c(uint32_t crc, const void *data, size_t len);

#endif
