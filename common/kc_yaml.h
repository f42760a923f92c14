/* kc_yaml.h - YAML ⇄ JSON (jansson) the way kubectl sees YAML: sigs.k8s.io/yaml over go-yaml v2.
 *
 * Loading resolves plain scalars with go-yaml v2's YAML 1.1 table (yes/no/on/off/y/n are booleans, 0x/0o/0b/
 * leading-0 integers, '_' separators), follows anchors, aliases and '<<' merge keys, turns non-string keys into
 * strings and skips empty documents. Dumping prints what `kubectl -o yaml` prints: block style, 2-space indent,
 * sequences under a key not indented, strings quoted only when go-yaml v2 would, lines folded at 80 columns.
 * All functions are thread-safe: they keep no state between calls.
 */
#ifndef KC_YAML_H
#define KC_YAML_H

#include <jansson.h>
#include <stddef.h>

#define KC_YAML_MAX_DEPTH 2048 /* nesting limit of collections (and of alias expansion), as jansson's parser */

/* Where and why loading failed. Filled on KC_EPARSE (and, with what is known, on -ENOMEM). */
struct kc_yaml_error {
    int line;          /* 1-based line of the problem in the whole buffer; 0 when unknown */
    int column;        /* 1-based column (in characters); 0 when unknown */
    int doc;           /* 0-based index of the document in the stream, counting empty documents too */
    char message[320]; /* e.g. "yaml: line 3, column 5: mapping values are not allowed in this context" */
};

/* Parses every document of the YAML stream buf (len bytes, need not be NUL-terminated; UTF-8, or UTF-16 with
 * a BOM) into *docs_out, a new JSON array the caller owns (json_decref). Input whose first non-space character
 * is '{' is first read as a stream of JSON values, as kubectl's YAMLOrJSONDecoder reads it (so JSON-only syntax
 * such as surrogate-pair escapes works); when that fails it is parsed as YAML, which JSON mostly is.
 *
 * Documents that are empty or null ("", "---", "~", comments only) are skipped, as kubectl's resource builder
 * skips them. Scalars resolve as go-yaml v2 resolves them for interface{}: quoted and block scalars are strings;
 * plain ones may be null, bool, int (int64 range; larger integers become reals), float (integral floats below
 * 1e21 that fit int64 become JSON integers, as their JSON text would decode) or string (timestamps stay
 * strings). Explicit tags !!str !!int !!float !!bool !!null !!timestamp !!binary are honoured; other tags are
 * ignored. Map keys become strings (1 → "1", true → "true", 1.5 → "1.5" formatted as a float32 like
 * sigs.k8s.io/yaml). '<<' merges apply in order, later entries overwriting earlier ones as go-yaml v2 does.
 * Object keys keep document order.
 *
 * Errors, all KC_EPARSE with err filled (err may be NULL):
 *   - syntax errors, with libyaml's problem text ("mapping values are not allowed in this context");
 *   - a key given twice in one mapping: `key "a" already set in map` at the second key (go-yaml v2's strict
 *     wording; plain go-yaml v2 would keep the last value, which kc_yaml_load_flags with
 *     KC_YAML_ALLOW_DUPLICATES does);
 *   - unknown anchor, an alias inside its own anchor, excessive aliasing (go-yaml v2's ratio limit), nesting
 *     deeper than KC_YAML_MAX_DEPTH;
 *   - a tag that does not fit the value ("cannot decode !!str `abc` as a !!int"), invalid !!binary;
 *   - .inf/.nan values (JSON cannot hold them; sigs.k8s.io/yaml fails the same way), null/uint64/collection
 *     keys, a merge of something that is not a mapping.
 * Returns 0, KC_EPARSE or -ENOMEM. On failure *docs_out is untouched. */
int kc_yaml_load(const char *buf, size_t len, json_t **docs_out, struct kc_yaml_error *err);

/* Like kc_yaml_load for a stream that must hold at most one non-empty document: *doc_out is that document, or
 * JSON null when there is none. More than one non-empty document is KC_EPARSE ("expected a single document in
 * the stream, found a second one" with the position of the second). Returns 0, KC_EPARSE or -ENOMEM. */
int kc_yaml_load_one(const char *buf, size_t len, json_t **doc_out, struct kc_yaml_error *err);

/* Flags of kc_yaml_load_flags and kc_yaml_load_one_flags. */
enum kc_yaml_load_flags {
    KC_YAML_ALLOW_DUPLICATES = 1u << 0, /* a key given twice in one mapping is no error: the last value wins (its
                                           key keeps the first one's place), as sigs.k8s.io/yaml's non-strict
                                           Unmarshal over go-yaml v2 reads it (what kube-apiserver does with
                                           fieldValidation Ignore or Warn) */
};

/* kc_yaml_load with flags (enum kc_yaml_load_flags; 0 is kc_yaml_load). With KC_YAML_ALLOW_DUPLICATES and dups
 * non-NULL, *dups gets a new JSON array (the caller owns it, possibly empty) of go-yaml v2's strict-mode message
 * for every repeated key in document order, `line 7: key "paused" already set in map` (the 1-based line of the
 * repeated key's value; Go's %#v of the key: a number or bool key is not quoted, `line 3: key 1 already set in
 * map`) -- the lines kube-apiserver reports or warns about. dups may be NULL; without the flag *dups (when
 * dups is non-NULL) is an empty array. Same errors as kc_yaml_load but for the duplicate one. Outputs are
 * untouched on failure. */
int kc_yaml_load_flags(const char *buf, size_t len, unsigned flags, json_t **docs_out, json_t **dups,
                       struct kc_yaml_error *err);

/* kc_yaml_load_one with flags, as kc_yaml_load_flags. */
int kc_yaml_load_one_flags(const char *buf, size_t len, unsigned flags, json_t **doc_out, json_t **dups,
                           struct kc_yaml_error *err);

/* Flags of kc_yaml_dump. */
enum kc_yaml_dump_flags {
    KC_YAML_SORT_KEYS = 1u << 0, /* sort object keys like go-yaml sorts Go map keys ("a2" before "a10"); kubectl
                                    output is sorted because it marshals maps. Default: object order. */
    KC_YAML_NO_WRAP = 1u << 1,   /* never fold long scalars (go-yaml v2 folds at 80 columns, kubectl too) */
};

/* Writes v as one YAML document in kubectl's `-o yaml` style into *out, a malloc'ed NUL-terminated string the
 * caller frees; it ends with a newline. Integers print as integers; reals print as Go's encoding/json followed
 * by go-yaml v2 would print them (0.5, 1e+21, 1.2345675e+06, and 5.0 as 5). Strings that would read back as
 * something else ("true", "123", "", "null", "y", "2001-12-14") are double-quoted, multi-line strings are
 * literal blocks (|, |-, |+), others plain unless YAML forbids it, then single- or double-quoted as the emitter
 * decides. Invalid UTF-8 in strings is written as U+FFFD per bad byte, as Go's json.Marshal does.
 * Returns 0, KC_EINVALID when v is NULL or nested deeper than KC_YAML_MAX_DEPTH, -ENOMEM. */
int kc_yaml_dump(const json_t *v, unsigned flags, char **out);

/* Writes every element of the array docs as its own document, separated by "---\n" lines as kubectl separates
 * objects. An empty array gives "". Returns 0, KC_EINVALID when docs is not an array, -ENOMEM. */
int kc_yaml_dump_all(const json_t *docs, unsigned flags, char **out);

#endif
