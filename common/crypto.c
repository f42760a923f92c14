/* crypto.c - base64 (standard, and base64url for JWTs), sha256 and UUIDs over OpenSSL's EVP and RAND interfaces. */
#include "kc_crypto.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_sb.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
kc_base64_encode(const void *data, size_t len)
{
    size_t cap = 4 * ((len + 2) / 3) + 1;
    char *out = malloc(cap);
    size_t done = 0;

    if (!out)
        return NULL;
    /* EVP_EncodeBlock takes an int length: encode in chunks that are multiples of 3 bytes. */
    const unsigned char *p = data;
    while (len > 0) {
        size_t chunk = len > (size_t)3 * 1024 * 1024 ? (size_t)3 * 1024 * 1024 : len;
        done += (size_t)EVP_EncodeBlock((unsigned char *)out + done, p, (int)chunk);
        p += chunk;
        len -= chunk;
    }
    out[done] = '\0';
    return out;
}

/* The value of base64 digit c: standard (c62 '+', c63 '/') or base64url ('-', '_'); -1 for anything else. */
static int
b64_value(unsigned char c, unsigned char c62, unsigned char c63)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == c62)
        return 62;
    if (c == c63)
        return 63;
    return -1;
}

int
kc_base64_decode(const char *text, size_t len, uint8_t **out, size_t *out_len)
{
    if (len % 4 != 0)
        return KC_EINVALID;
    uint8_t *buf = malloc(len / 4 * 3 + 1);
    size_t n = 0;

    if (!buf)
        return -ENOMEM;
    for (size_t i = 0; i < len; i += 4) {
        int v[4], pad = 0;
        for (int j = 0; j < 4; j++) {
            unsigned char c = (unsigned char)text[i + j];
            if (c == '=' && i + 4 == len && j >= 2) {
                v[j] = 0;
                pad++;
                continue;
            }
            if (pad) /* data after padding */
                goto bad;
            v[j] = b64_value(c, '+', '/');
            if (v[j] < 0)
                goto bad;
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        /* Like Go's strict decoding, the unused bits before padding must be zero. */
        if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
            goto bad;
        buf[n++] = (uint8_t)(w >> 16);
        if (pad < 2)
            buf[n++] = (uint8_t)(w >> 8);
        if (pad < 1)
            buf[n++] = (uint8_t)w;
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return 0;
bad:
    free(buf);
    return KC_EINVALID;
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void
kc_sb_base64url(struct kc_sb *b, const void *data, size_t n)
{
    const uint8_t *p = data;
    char q[4];
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        size_t k = n - i;
        if (k > 1)
            v |= (uint32_t)p[i + 1] << 8;
        if (k > 2)
            v |= p[i + 2];
        q[0] = b64url[(v >> 18) & 63];
        q[1] = b64url[(v >> 12) & 63];
        q[2] = b64url[(v >> 6) & 63];
        q[3] = b64url[v & 63];
        kc_sb_add(b, q, k > 2 ? 4 : k + 1);
    }
}

int
kc_base64url_decode(const char *s, size_t n, uint8_t **out, size_t *outlen)
{
    if (n % 4 == 1)
        return KC_EINVALID;
    uint8_t *buf = kc_malloc(n / 4 * 3 + 3);
    if (!buf)
        return -ENOMEM;
    size_t k = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value((unsigned char)s[i], '-', '_');
        if (v < 0) {
            free(buf);
            return KC_EINVALID;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[k++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) { /* leftover bits must be zero */
        free(buf);
        return KC_EINVALID;
    }
    buf[k] = '\0';
    *out = buf;
    *outlen = k;
    return 0;
}

void
kc_sha256(const void *data, size_t len, uint8_t digest[KC_SHA256_LEN])
{
    SHA256(data, len, digest);
}

void
kc_sha256_hex(const void *data, size_t len, char hex[KC_SHA256_HEX_LEN + 1])
{
    uint8_t d[KC_SHA256_LEN];
    kc_sha256(data, len, d);
    for (int i = 0; i < KC_SHA256_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* Random bytes for UUIDs, taken from OpenSSL a pool at a time per thread (one RAND_bytes call per 16 UUIDs instead
 * of one each; its DRBG locking showed in the create path). A forked child starts with an empty pool, so it never
 * hands out its parent's bytes. */
#define UUID_POOL 256
static __thread uint8_t uuid_pool[UUID_POOL];
static __thread size_t uuid_left;
static pthread_once_t uuid_once = PTHREAD_ONCE_INIT;

static void
uuid_pool_forget(void)
{
    explicit_bzero(uuid_pool, sizeof(uuid_pool));
    uuid_left = 0;
}

static void
uuid_at_fork(void)
{
    pthread_atfork(NULL, NULL, uuid_pool_forget);
}

int
kc_uuid_v4(char out[KC_UUID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    pthread_once(&uuid_once, uuid_at_fork);
    if (uuid_left < 16) {
        if (RAND_bytes(uuid_pool, UUID_POOL) != 1)
            return KC_EINTERNAL;
        uuid_left = UUID_POOL;
    }
    uint8_t *b = uuid_pool + UUID_POOL - uuid_left;
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = '\0';
    explicit_bzero(b, 16); /* handed out: not kept */
    uuid_left -= 16;
    return 0;
}
