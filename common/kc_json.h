/* kc_json.h - helpers over jansson: dotted-path get/set/delete, deep equality and the canonical dump.
 *
 * Paths are dot-separated object keys ("metadata.labels"). A backslash escapes the next character, so
 * label keys with dots can be addressed: "metadata.labels.app\.kubernetes\.io/name". A segment "[N]" (or a
 * plain number when the value there is an array) indexes an array.
 */
#ifndef KC_JSON_H
#define KC_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The value at path under root, or NULL when any segment is missing or of the wrong type. The reference is
 * borrowed: valid as long as root holds it. An empty path returns root. */
json_t *kc_json_get(const json_t *root, const char *path);

/* The string at path, or NULL when missing or not a string. Borrowed like kc_json_get. */
const char *kc_json_get_string(const json_t *root, const char *path);

/* The integer at path in *out. Returns 0, KC_ENOTFOUND when missing, KC_EINVALID when not an integer. */
int kc_json_get_int(const json_t *root, const char *path, long long *out);

/* Sets the value at path, creating missing intermediate objects. Steals the reference to value, also on
 * failure. Returns 0, KC_EINVALID when an intermediate value exists and is not an object (or the path is
 * empty or ends in an array index that is out of range), -ENOMEM. */
int kc_json_set(json_t *root, const char *path, json_t *value);

/* Removes the value at path. Returns 0 or KC_ENOTFOUND. */
int kc_json_del(json_t *root, const char *path);

/* Deep equality: objects regardless of key order, arrays element-wise, and numbers by value (the integer 1
 * equals the real 1.0, as two decoded Kubernetes objects compare). NULL equals only NULL. */
bool kc_json_equal(const json_t *a, const json_t *b);

/* The canonical text of v: compact, object keys sorted byte-wise, no trailing newline; the form used for
 * hashing and golden tests. Returns a malloc'ed string the caller frees, or NULL on allocation failure. */
char *kc_json_canonical(const json_t *v);

/* Parses one JSON document from buf (len bytes, not necessarily NUL-terminated). Duplicate object keys are
 * rejected. On failure returns KC_EPARSE and, when errbuf is given, writes "line L, column C: message". */
int kc_json_parse(const char *buf, size_t len, json_t **out, char *errbuf, size_t errlen);

/* How jansson writes strings (json_dumps without flags), shared by the encoders that write JSON text themselves. */

/* The index of the first byte at or after i that JSON text must escape ('"', '\\', a control character) or, with
 * non_ascii, that is not ASCII (a parser's next byte to look at); n when there is none. */
size_t kc_json_plain_end(const char *s, size_t n, size_t i, bool non_ascii);

/* The escape jansson writes for c, a byte kc_json_plain_end stopped at without non_ascii ("\\n", "\\u001F",
 * ...), in out; returns its length (2 or 6). */
size_t kc_json_escape(unsigned char c, char out[6]);

#endif
