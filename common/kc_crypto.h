/* kc_crypto.h - base64 (standard and base64url), sha256 and v4 UUIDs through OpenSSL. */
#ifndef KC_CRYPTO_H
#define KC_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define KC_SHA256_LEN     32
#define KC_SHA256_HEX_LEN 64
#define KC_UUID_LEN       36 /* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" without the NUL */

/* Standard base64 (RFC 4648 §4, with '=' padding) of len bytes. Returns a malloc'ed NUL-terminated string the
 * caller frees, or NULL on allocation failure. */
char *kc_base64_encode(const void *data, size_t len);

/* Decodes standard base64 (padding required, no whitespace, as Go's base64.StdEncoding). *out is malloc'ed
 * (NUL-terminated for convenience, not counted in *out_len) and owned by the caller. Returns 0, KC_EINVALID on
 * malformed input, -ENOMEM. */
int kc_base64_decode(const char *text, size_t len, uint8_t **out, size_t *out_len);

struct kc_sb;

/* Appends base64url without padding (RFC 4648 §5; the form JWTs use, RFC 7515 §2) of n bytes to b (b->oom set when
 * memory is short). */
void kc_sb_base64url(struct kc_sb *b, const void *data, size_t n);

/* Decodes unpadded base64url strictly: only its alphabet, no '=', no length of 1 mod 4, and zero bits after the
 * last byte (so every value has one encoding). *out is kc_malloc'ed and NUL-terminated (not counted in *out_len).
 * Returns 0, KC_EINVALID, -ENOMEM. */
int kc_base64url_decode(const char *s, size_t n, uint8_t **out, size_t *out_len);

/* SHA-256 of len bytes into digest. */
void kc_sha256(const void *data, size_t len, uint8_t digest[KC_SHA256_LEN]);

/* SHA-256 as 64 lowercase hex digits plus NUL. */
void kc_sha256_hex(const void *data, size_t len, char hex[KC_SHA256_HEX_LEN + 1]);

/* A random (version 4, RFC 4122 variant) UUID in lowercase text from OpenSSL's CSPRNG. Returns 0 or
 * KC_EINTERNAL when the RNG fails. */
int kc_uuid_v4(char out[KC_UUID_LEN + 1]);

#endif
