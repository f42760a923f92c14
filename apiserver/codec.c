/* codec.c - stored objects compressed with LZ4 and a fixed dictionary (api_codec.h). The dictionary's hash
 * state is built once; each compression starts from a copy of it (one of the two ways lz4.h gives of reusing a
 * pre-loaded dictionary; the other, LZ4_attach_dictionary, is not exported by Debian's liblz4). */
#include "api_codec.h"
#include "kc_error.h"
#include "kc_fault.h"

#include <errno.h>
#include <lz4.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct dict {
    const char *bytes;
    const size_t *len;
} dicts[] = {
    [1] = { api_store_dict_1, &api_store_dict_1_len },
};

static LZ4_stream_t loaded; /* the state after loading dicts[API_CODEC_VERSION] */
static pthread_once_t loaded_once = PTHREAD_ONCE_INIT;

static void
load(void)
{
    const struct dict *d = &dicts[API_CODEC_VERSION];
    LZ4_initStream(&loaded, sizeof(loaded));
    LZ4_loadDict(&loaded, d->bytes, (int)*d->len);
}

int
api_codec_encode(const char *s, size_t n, char **out, size_t *out_len)
{
    *out = NULL;
    if (n < API_CODEC_HEADER * 2 || n > API_CODEC_MAX_TEXT || s[0] != '{')
        return 0;
    pthread_once(&loaded_once, load);
    int cap = LZ4_compressBound((int)n);
    char *z = kc_malloc(API_CODEC_HEADER + (size_t)cap);
    if (!z)
        return -ENOMEM;
    static __thread LZ4_stream_t work; /* 16 KB: not on the stack */
    memcpy(&work, &loaded, sizeof(work));
    int zn = LZ4_compress_fast_continue(&work, s, z + API_CODEC_HEADER, (int)n, cap, 1);
    if (zn <= 0 || API_CODEC_HEADER + (size_t)zn >= n) {
        free(z);
        return 0;
    }
    memcpy(z, "k8z", 3);
    z[3] = (char)API_CODEC_VERSION;
    for (int i = 0; i < 4; i++)
        z[4 + i] = (char)((n >> (8 * i)) & 0xff);
    *out = z;
    *out_len = API_CODEC_HEADER + (size_t)zn;
    return 0;
}

bool
api_codec_packed(const void *v, size_t n)
{
    return v && n >= API_CODEC_HEADER && memcmp(v, "k8z", 3) == 0;
}

size_t
api_codec_text_len(const void *v, size_t n)
{
    if (!api_codec_packed(v, n))
        return 0;
    const unsigned char *p = v;
    size_t len = (size_t)p[4] | (size_t)p[5] << 8 | (size_t)p[6] << 16 | (size_t)p[7] << 24;
    unsigned version = p[3];
    if (version >= sizeof(dicts) / sizeof(dicts[0]) || !dicts[version].bytes || len > API_CODEC_MAX_TEXT)
        return 0;
    return len;
}

int
api_codec_decode(const void *v, size_t n, char *dst)
{
    size_t len = api_codec_text_len(v, n);
    if (len == 0 || n - API_CODEC_HEADER > INT32_MAX)
        return KC_EINTERNAL;
    const struct dict *d = &dicts[((const unsigned char *)v)[3]];
    int got = LZ4_decompress_safe_usingDict((const char *)v + API_CODEC_HEADER, dst, (int)(n - API_CODEC_HEADER),
                                            (int)len, d->bytes, (int)*d->len);
    return got >= 0 && (size_t)got == len ? 0 : KC_EINTERNAL;
}

int
api_codec_open_buf(const void *v, size_t n, const char **text, size_t *len, char **buf, size_t *cap)
{
    if (!api_codec_packed(v, n)) {
        *text = v;
        *len = n;
        return 0;
    }
    size_t tl = api_codec_text_len(v, n);
    if (tl == 0)
        return KC_EINTERNAL;
    if (tl + 1 > *cap) {
        char *t = kc_realloc(*buf, tl + 1);
        if (!t)
            return -ENOMEM;
        *buf = t;
        *cap = tl + 1;
    }
    int rc = api_codec_decode(v, n, *buf);
    if (rc != 0)
        return rc;
    (*buf)[tl] = '\0';
    *text = *buf;
    *len = tl;
    return 0;
}

int
api_codec_open(const void *v, size_t n, const char **text, size_t *len, char **owned)
{
    size_t cap = 0;
    *owned = NULL;
    int rc = api_codec_open_buf(v, n, text, len, owned, &cap);
    if (rc != 0) {
        free(*owned);
        *owned = NULL;
    }
    return rc;
}
