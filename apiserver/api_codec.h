/* api_codec.h - the bytes an object is stored as: its JSON text, or that text LZ4-compressed with a fixed
 * dictionary of typical objects (what upstream's protobuf storage encoding is to it: the API server's own form,
 * never served). A compressed value is "k8z", the dictionary's version (one byte), the text's length (u32 little
 * endian) and the LZ4 block; any other value is taken as JSON text, so values written before the codec, by other
 * writers (tests, etcdctl) or too small to gain are read as they are. Pure code: no I/O, no clock.
 */
#ifndef API_CODEC_H
#define API_CODEC_H

#include <stdbool.h>
#include <stddef.h>

#define API_CODEC_HEADER   8           /* "k8z", version, length */
#define API_CODEC_VERSION  1           /* the dictionary new values are compressed with */
#define API_CODEC_MAX_TEXT (64u << 20) /* longer texts are stored as they are */

/* The dictionaries, by version (store_dict_<N>_gen.c, scripts/gen-store-dict.py). Never changed once released. */
extern const char api_store_dict_1[];
extern const size_t api_store_dict_1_len;

/* The stored form of the JSON text s[0, n): compressed into *out (malloc'ed, *out_len bytes) when that is
 * shorter; else *out is NULL and s is stored as it is. 0, or -ENOMEM. */
int api_codec_encode(const char *s, size_t n, char **out, size_t *out_len);

/* Whether v[0, n) is a compressed value (its header says so; the rest is checked by decoding). */
bool api_codec_packed(const void *v, size_t n);

/* The text length of a compressed value v[0, n), or 0 when its header is not one this reads. */
size_t api_codec_text_len(const void *v, size_t n);

/* Decodes the compressed value v[0, n) into dst, which holds api_codec_text_len(v, n) bytes. 0, or KC_EINTERNAL
 * when v is damaged or names an unknown dictionary. */
int api_codec_decode(const void *v, size_t n, char *dst);

/* The JSON text of the stored value v[0, n): v itself, or decoded into *buf, which is grown to *cap bytes as needed
 * (NUL terminated) and kept for the next value; the caller frees *buf. 0, KC_EINTERNAL (a damaged compressed
 * value) or -ENOMEM. */
int api_codec_open_buf(const void *v, size_t n, const char **text, size_t *len, char **buf, size_t *cap);

/* api_codec_open_buf for one value: *owned is the decoded copy (NULL when v is its own text, and on an error),
 * which the caller frees. */
int api_codec_open(const void *v, size_t n, const char **text, size_t *len, char **owned);

#endif
