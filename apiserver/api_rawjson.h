/* api_rawjson.h - stored objects handled as JSON text, without parsing them into a tree: one validating pass
 * records where an object's top-level and metadata members are; list items, watch events and Table rows are then
 * assembled from those spans (resourceVersion injected, kind/apiVersion dropped, managedFields left out) and the
 * few values a selector needs are looked up in place. Private to the apiserver library and its unit tests.
 *
 * The contract with the parsing path (jansson, as store.c decodes): whatever text this accepts, jansson accepts
 * too and means the same object; whatever it cannot handle exactly (escaped keys, duplicate members at the levels
 * it rewrites, arrays on a lookup path, nesting deeper than API_RAW_DEPTH, more than API_RAW_MEMBERS members) it
 * refuses, and the caller parses that one object instead. Pure code: no I/O, no globals, no clock.
 */
#ifndef API_RAWJSON_H
#define API_RAWJSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define API_RAW_MEMBERS 64 /* members of the top level and of metadata handled in place */
#define API_RAW_DEPTH   64 /* nesting handled in place (jansson allows 2048: deeper objects are parsed) */

struct kc_label_selector;
struct kc_field_selector;

/* A growing output buffer (malloc'ed p, owned by the caller: free(p)). oom is set, and further adds ignored, when
 * it cannot grow. */
struct api_rawbuf {
    char *p;
    size_t len, cap;
    bool oom;
    bool nul;  /* the dump wrote a \u0000 (a string with a NUL byte) */
    int depth; /* the deepest object or array the dump wrote (0: the value's own level) */
};

/* Frees a buffer an api_rawbuf grew (p, NULL or not), keeping a big one (a LIST's) as the spare the next big
 * buffer starts in: at most one is kept, the largest; a big buffer asked for or given back after a minute without
 * any frees the spare instead of using it. */
void api_rawbuf_free(char *p);

/* api_rawbuf_reserve when the room is not there yet (grows p, or sets oom). */
bool api_rawbuf_grow(struct api_rawbuf *b, size_t n);

/* Makes room for n more bytes without further allocation. Returns false (and sets oom) when it cannot. Inline:
 * an encoder calls it for every few bytes it writes. */
static inline bool
api_rawbuf_reserve(struct api_rawbuf *b, size_t n)
{
    if (__builtin_expect(!b->oom && n <= b->cap - b->len, 1))
        return true;
    return api_rawbuf_grow(b, n);
}

/* Appends n bytes (sets oom when out of memory). */
static inline void
api_rawbuf_add(struct api_rawbuf *b, const void *s, size_t n)
{
    if (n == 0 || !api_rawbuf_reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* Parses one JSON value (whitespace around it allowed) into a new jansson value, the same one json_loadb gives
 * with flags 0 (a duplicate member keeps the first one's place and the last one's value) or, with
 * reject_duplicates, JSON_REJECT_DUPLICATES (a duplicate fails) - but several times faster, from the validating
 * scanner above. Also any scalar at the top (JSON_DECODE_ANY). NULL when the text is invalid, nested deeper than
 * API_RAW_DEPTH or has a number longer than this checks, or memory is short: parse it with jansson then, to
 * learn which. */
json_t *api_raw_parse(const char *s, size_t n, bool reject_duplicates);

/* Appends v's compact JSON exactly as json_dumps(v, JSON_COMPACT) writes it (same escapes, number forms and
 * member order), several times faster. Sets oom when memory is short (or v is NULL or nested deeper than
 * jansson's 2048). */
void api_raw_dump(struct api_rawbuf *b, const json_t *v);

/* The same as a new NUL-terminated string (the caller frees it; *len, when given, gets its length), NULL when out
 * of memory. */
char *api_raw_dumps(const json_t *v, size_t *len);

struct api_raw_shape;
/* api_raw_dumps that also fills *sh as api_raw_shape(text, *len, sh) would (sh->s is the returned text) and sets
 * *shaped; *shaped false: api_raw_shape would refuse the text (see it), sh is not filled. */
char *api_raw_dumps_shape(const json_t *v, size_t *len, struct api_raw_shape *sh, bool *shaped);
/* The same with metadata.managedFields given as JSON text (managed_len bytes, compact, as api_raw_dump writes
 * it; v's metadata must have no managedFields): written as metadata's last member, where json_object_set_new
 * would have put it. NULL when v has no metadata object, its metadata has managedFields, or memory is short. */
char *api_raw_dumps_shape_managed(const json_t *v, const char *managed, size_t managed_len, size_t *len,
                                  struct api_raw_shape *sh, bool *shaped);

/* One member of an object: offsets into the text of the key (between its quotes), of the member's start (the
 * key's opening quote), of its value and of the end of its value. */
struct api_raw_member {
    size_t key, key_len, start, value, end;
};

/* Where an object's members are (api_raw_shape). The text is borrowed: it must outlive the shape. */
struct api_raw_shape {
    const char *s;
    size_t n;
    size_t ntop, nmeta;
    int meta; /* index of metadata in top, -1 when the object has none */
    struct api_raw_member top[API_RAW_MEMBERS];
    struct api_raw_member meta_m[API_RAW_MEMBERS]; /* metadata's members */
};

/* Validates s[0..n) as one JSON object exactly as jansson's decoder would (UTF-8, escapes, \u0000 refused,
 * surrogate pairs, number syntax and range, literals, nothing but whitespace after it) and records its members.
 * Returns 0, or -1 when the text is not valid JSON or not one this module handles in place: not an object, an
 * escaped key at the top level or in metadata, a duplicate member there, metadata present but not an object,
 * too many members, too deep. */
int api_raw_shape(const char *s, size_t n, struct api_raw_shape *sh);

/* Appends the object with metadata.resourceVersion set to rev (written first in metadata; a stored one is
 * dropped; a missing metadata is added at the end) and, unless keep_type, without its top-level kind and
 * apiVersion (list items). */
void api_raw_object(struct api_rawbuf *b, const struct api_raw_shape *sh, int64_t rev, bool keep_type);

/* Appends the object's metadata as PartialObjectMetadata carries it in a Table row: resourceVersion = rev first,
 * managedFields left out ({"resourceVersion":"<rev>"} when the object has no metadata). */
void api_raw_meta(struct api_rawbuf *b, const struct api_raw_shape *sh, int64_t rev);

/* The value at path (members separated by '.', as kc_json_get) of the object: returns 1 and its span [*vs, *ve)
 * in sh->s, 0 when absent (a member missing, or a string, number, literal on the way), -1 when this cannot tell
 * as kc_json_get would (an array on the way, an escaped key in an object on the way, '\\' or '[' in path). */
int api_raw_get(const struct api_raw_shape *sh, const char *path, size_t *vs, size_t *ve);

/* Whether the top-level member key is a string equal to value (false when absent or anything else). */
bool api_raw_top_string_is(const struct api_raw_shape *sh, const char *key, const char *value);

/* Whether the object passes the selectors (NULL passes all) as api_selectors_match on the parsed object decides:
 * 1 yes, 0 no, -1 cannot tell here (an Event with a field selector, whose selectable fields are computed; a
 * lookup api_raw_get cannot answer; out of memory): parse the object and ask api_selectors_match. */
int api_raw_selectors_match(const struct kc_label_selector *ls, const struct kc_field_selector *fs,
                            const struct api_raw_shape *sh);

#endif
