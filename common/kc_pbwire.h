/* kc_pbwire.h - protobuf's varint, shared by the encoders that write the wire format themselves (common/gnostic.c,
 * the openapi/v2 document) or size it (kvstore/etcdapi/codec.c, etcd's gRPC receive limit). */
#ifndef KC_PBWIRE_H
#define KC_PBWIRE_H

#include <stddef.h>
#include <stdint.h>

/* The bytes v takes as a varint (1 to 10). */
static inline size_t
kc_pb_varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Writes v as a varint at p (room for kc_pb_varint_len(v) bytes); returns the bytes written. */
static inline size_t
kc_pb_varint_put(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

#endif
