/* gojson.h - a JSON reader that fails exactly as etcd's gateway does: Go's encoding/json Decoder for syntax
 * (same error texts: "invalid character 'x' looking for beginning of value", "unexpected EOF") and the
 * golang/protobuf jsonpb rules for turning values into bytes, int64, bool, enums (same "json: cannot unmarshal
 * ..." texts), so that `k8c kvstore` answers bad input with etcd 3.4's very message.
 *
 * The tree keeps each number's literal text (Go reports it in errors) and decodes strings as Go does (invalid
 * UTF-8 and lone surrogates become U+FFFD). Objects keep every member in order; lookups take the last duplicate,
 * as Go's map decoding does.
 */
#ifndef KVS_GOJSON_H
#define KVS_GOJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gj_type { GJ_NULL, GJ_FALSE, GJ_TRUE, GJ_NUMBER, GJ_STRING, GJ_ARRAY, GJ_OBJECT };

struct gj_value {
    enum gj_type type;
    char *str;              /* STRING: decoded bytes (NUL-terminated, may contain NULs); NUMBER: the literal text */
    size_t len;             /* of str */
    struct gj_value *items; /* ARRAY: elements; OBJECT: values */
    char **keys;            /* OBJECT: decoded keys, parallel to items */
    size_t *key_lens;
    size_t n;
};

#define GJ_ERR_LEN 256

/* Decodes the first JSON value of buf as Go's json.Decoder does (trailing bytes are not read). Returns 0 and
 * *out (gj_free), 1 when buf holds only whitespace (Go's io.EOF: the gateway treats it as an empty request), or -1
 * with Go's error text in err. */
int gj_parse(const char *buf, size_t len, struct gj_value **out, char err[GJ_ERR_LEN]);

/* Like gj_parse, and *used gets how many bytes of buf the value (and the whitespace before it) took, so that a
 * stream of values (the body of /v3/watch) can be read one after the other. */
int gj_parse_next(const char *buf, size_t len, size_t *used, struct gj_value **out, char err[GJ_ERR_LEN]);

void gj_free(struct gj_value *v);

/* The member of an object named by the proto field's original name or its lowerCamel JSON name (jsonpb accepts
 * both; the JSON name wins when both are there, as etcd 3.4 shows). NULL when absent or when v is not an object. */
const struct gj_value *gj_field(const struct gj_value *v, const char *orig, const char *camel);

/* jsonpb conversions. Each returns 0, or -1 with etcd's error text in err. A missing (NULL) or null value gives
 * the default (empty, 0, false). */
int gj_bytes(const struct gj_value *v, uint8_t **data, size_t *len, char err[GJ_ERR_LEN]); /* malloc'ed */
int gj_int64(const struct gj_value *v, int64_t *out, char err[GJ_ERR_LEN]);
int gj_bool(const struct gj_value *v, bool *out, char err[GJ_ERR_LEN]);
/* An enum: a name from names[0..n) (its index is the value) or a number. type is the Go type for errors, e.g.
 * "etcdserverpb.RangeRequest_SortOrder". */
int gj_enum(const struct gj_value *v, const char *const *names, int n, const char *type, int *out,
            char err[GJ_ERR_LEN]);
/* A nested message: an object, or absent/null (*present false). */
int gj_message(const struct gj_value *v, bool *present, char err[GJ_ERR_LEN]);
/* A repeated field: an array (elements in v->items), or absent/null (n = 0). */
int gj_array(const struct gj_value *v, size_t *n, char err[GJ_ERR_LEN]);

#endif
