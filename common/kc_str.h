/* kc_str.h - bounded string copies for the request path, where snprintf(dst, size, "%s", src) cost hundreds of
 * instructions a call. */
#ifndef KC_STR_H
#define KC_STR_H

#include <stddef.h>
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

#endif
