/* kc_str.h - bounded string copies and decimal digits for the request path, where snprintf cost hundreds of
 * instructions a call. */
#ifndef KC_STR_H
#define KC_STR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Copies src into dst (size > 0 bytes, the NUL included), truncating as snprintf would; returns the length
 * written. */
static inline size_t
kc_str_copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n > size - 1)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return n;
}

/* v's decimal digits written backwards so that they end just before end (no NUL; at most 20 bytes); returns
 * the first. */
static inline char *
kc_u64_digits(char *end, uint64_t v)
{
    do
        *--end = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    return end;
}

/* The same for a signed v, '-' first when it is negative (what "%lld" writes; at most 20 bytes). */
static inline char *
kc_i64_digits(char *end, int64_t v)
{
    char *p = kc_u64_digits(end, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
    if (v < 0)
        *--p = '-';
    return p;
}

#endif
