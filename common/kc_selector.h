/* kc_selector.h - label selectors (k8s.io/apimachinery/pkg/labels) and field selectors (pkg/fields): upstream's
 * string syntax and error texts, the structured metav1.LabelSelector form, matching against JSON objects, and
 * the canonical String() upstream prints (Scale.status.selector, describe). Pure code, immutable once built.
 */
#ifndef KC_SELECTOR_H
#define KC_SELECTOR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* No I/O, no globals, no clock; a compiled selector is immutable, so threads may share it.
 *
 * Error texts follow the long-standing upstream releases: length limits read "must be no more than 63
 * characters" and a key with two '/' reads "a qualified name must consist of ..." (the newest apimachinery
 * says "bytes" and "a valid label key"). Keys and values inside messages are quoted like Go's %q; non-ASCII
 * runes are kept as UTF-8 except a short list of non-printable ones (approximating Go's unicode.IsPrint).
 */

/* ---- label selectors ---- */

/* Requirement operators, as upstream's selection.Operator. */
enum kc_label_op {
    KC_LABEL_OP_IN,             /* key in (a,b) */
    KC_LABEL_OP_NOT_IN,         /* key notin (a,b) */
    KC_LABEL_OP_EQUALS,         /* key=a */
    KC_LABEL_OP_DOUBLE_EQUALS,  /* key==a */
    KC_LABEL_OP_NOT_EQUALS,     /* key!=a */
    KC_LABEL_OP_EXISTS,         /* key */
    KC_LABEL_OP_DOES_NOT_EXIST, /* !key */
    KC_LABEL_OP_GT,             /* key>5 (string form only; both sides must be int64) */
    KC_LABEL_OP_LT,             /* key<5 */
};

/* A compiled label selector: requirements ANDed, sorted by key. Ties keep their input order (upstream's
 * sort.Sort does so up to 12 requirements and is unstable beyond, so only there may upstream differ). "Everything"
 * (no requirements) matches all label sets; "nothing" (from a null LabelSelector) matches none. */
struct kc_label_selector;

/* Parses the string form exactly as labels.Parse:
 *     <selector> ::= <requirement> ("," <requirement>)*      (or empty: everything)
 *     <requirement> ::= "!"? KEY ( ("in"|"notin") "(" VALUE? ("," VALUE?)* ")" | ("="|"=="|"!="|">"|"<") VALUE? )?
 * Whitespace (space, tab, CR, LF) may separate tokens; "in" and "notin" are keywords only where an operator is
 * expected. Values of a set are sorted and de-duplicated; "()" and empty items mean the empty value (one quirk
 * kept: upstream rejects ",," right before ")", as in "a in (,,)" or "a in (b,,)").
 * Gt/Lt are accepted as upstream accepts them ("x>1"): the value must be a decimal int64 and a valid label
 * value. Keys must be qualified names, values valid label values (see kc_label_key_check / _value_check).
 * Returns 0 and *out (free with kc_label_selector_free), -ENOMEM, or KC_EPARSE with upstream's message in
 * errbuf (when given; truncated to errlen), for example:
 *   "found ',', expected: !, identifier, or 'end of string'"                      (",a")
 *   "found '', expected: identifier after ','"                                    ("a,")
 *   "found '=', expected: ',' or 'end of string'"                                 ("!a=b")
 *   "unable to parse requirement: found '', expected: identifier"                 ("!")
 *   "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"   ("a b")
 *   "unable to parse requirement: found 'c', expected: ',' or ')'"                ("a in (b c)")
 *   "unable to parse requirement: <nil>: Invalid value: \"-a\": name part must consist of ..."
 *   "unable to parse requirement: values[0][app]: Invalid value: \"-x\": a valid label must be ..."
 *   "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be
 *    an integer"
 * Several errors of one requirement are joined as upstream's aggregate: "[first, second]". *out is written
 * only on success; the message reports the first failing requirement in input order. */
int kc_label_selector_parse(const char *s, struct kc_label_selector **out, char *errbuf, size_t errlen);

/* Compiles a metav1.LabelSelector JSON object as metav1.LabelSelectorAsSelector: NULL or JSON null gives
 * "nothing"; {} (no matchLabels and no matchExpressions) gives "everything"; matchLabels become "key=value"
 * requirements (checked in key order; upstream's order is Go's random map order), then matchExpressions with
 * operators In, NotIn, Exists, DoesNotExist. Expression values keep duplicates (sorted for printing).
 * Returns 0 and *out, -ENOMEM, or KC_EINVALID with upstream's message, for example:
 *   "\"Gt\" is not a valid label selector operator"
 *   "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty"
 *   "values: Invalid value: []string{\"a\"}: values set must be empty for exists and does not exist"
 *   "key: Invalid value: \"-a\": name part must consist of ..."
 *   "values[0][app]: Invalid value: \"-x\": a valid label must be ..."
 * or, for JSON of the wrong shape (which upstream rejects while decoding, with Go's own words), one of k8c's:
 *   "label selector must be an object", "matchLabels must be an object of strings",
 *   "matchExpressions must be an array of objects", "matchExpressions[N].key must be a string",
 *   "matchExpressions[N].operator must be a string", "matchExpressions[N].values must be an array of strings". */
int kc_label_selector_from_json(const json_t *selector, struct kc_label_selector **out, char *errbuf, size_t errlen);

/* A selector matching exactly the labels of set, a JSON object of strings (labels.SelectorFromSet, as used for
 * Service.spec.selector): one "key=value" requirement per entry, not validated, like upstream. NULL, JSON null
 * and {} give "everything". Returns 0 and *out, KC_EINVALID when set is not an object of strings, -ENOMEM. */
int kc_label_selector_from_set(const json_t *set, struct kc_label_selector **out);

/* Frees sel (NULL is fine). */
void kc_label_selector_free(struct kc_label_selector *sel);

/* Whether labels (a JSON object of strings; NULL, null or any non-object means no labels; a non-string value
 * counts as absent) satisfy every requirement of sel. NULL sel is "everything".
 *   in, =, ==: the key is present with one of the values;   notin, !=: the key is absent or has none of them;
 *   exists / !: present / absent;   >, <: present, its value parses as int64, and compares as required. */
bool kc_label_selector_matches(const struct kc_label_selector *sel, const json_t *labels);

/* True when sel has no requirements and is not "nothing" (upstream's Empty()). NULL is empty. */
bool kc_label_selector_empty(const struct kc_label_selector *sel);

/* True for the "nothing" selector (from a null LabelSelector). */
bool kc_label_selector_is_nothing(const struct kc_label_selector *sel);

/* Upstream's String(): requirements in key order joined by ",", each as "key=v", "key==v", "key!=v",
 * "key in (a,b)", "key notin (a,b)", "key", "!key", "key>v", "key<v", set values sorted. "" for everything and
 * for nothing. Returns a malloc'ed string the caller frees, or NULL on allocation failure. NULL sel gives "". */
char *kc_label_selector_string(const struct kc_label_selector *sel);

/* The number of requirements. */
size_t kc_label_selector_count(const struct kc_label_selector *sel);

/* Requirement i (0 <= i < count) in key order: its key, operator and values (sorted; nvalues may be 0). The
 * pointers are borrowed and live as long as sel. Any out-parameter may be NULL. Returns 0 or KC_ENOTFOUND. */
int kc_label_selector_requirement(const struct kc_label_selector *sel, size_t i, const char **key, enum kc_label_op *op,
                                  const char *const **values, size_t *nvalues);

/* Upstream's RequiresExactMatch: the value that the first requirement on key demands when it is "=", "==" or
 * "in" with one value; NULL otherwise. Borrowed from sel. */
const char *kc_label_selector_exact(const struct kc_label_selector *sel, const char *key);

/* The operator as upstream spells selection.Operator: "in", "notin", "=", "==", "!=", "exists", "!", "gt",
 * "lt"; "" for a value outside the enum. Static. */
const char *kc_label_op_name(enum kc_label_op op);

/* Checks a label key (validation.IsQualifiedName: an optional DNS-1123 subdomain prefix of at most 253
 * characters and '/', then a name of 1-63 characters of [-A-Za-z0-9_.] starting and ending alphanumeric).
 * Returns 0, or KC_EINVALID with upstream's messages joined by "; " in msg (when given), e.g.
 * "name part must be no more than 63 characters; name part must consist of ...". */
int kc_label_key_check(const char *key, char *msg, size_t msglen);

/* Checks a label value (validation.IsValidLabelValue: empty, or at most 63 characters of [-A-Za-z0-9_.]
 * starting and ending alphanumeric). Returns 0 or KC_EINVALID with upstream's messages as above. */
int kc_label_value_check(const char *value, char *msg, size_t msglen);

/* ---- field selectors ---- */

enum kc_field_op {
    KC_FIELD_OP_EQUALS,        /* field=value */
    KC_FIELD_OP_DOUBLE_EQUALS, /* field==value (the same test; printed as "=") */
    KC_FIELD_OP_NOT_EQUALS,    /* field!=value */
};

/* A compiled field selector: terms ANDed, in the byte order of their source text (as upstream sorts them). */
struct kc_field_selector;

/* Parses the string form exactly as fields.ParseSelector: terms split at commas not escaped by '\', empty terms
 * skipped, each split at its first "!=", "==" or "=" (tried in that order at each position). The field is taken
 * as written (no trimming, no escapes); in the value "\\", "\," and "\=" stand for '\', ',' and '='. A term with
 * an empty field and an empty value ("=") is dropped, as upstream's Transform drops it. Returns 0 and *out (free
 * with kc_field_selector_free), -ENOMEM, or KC_EPARSE with upstream's message in errbuf:
 *   "invalid selector: 'a,b=c'; can't understand 'a'"
 *   "invalid field selector: invalid escape sequence: \x"      ("a=\x")
 *   "invalid field selector: invalid escape sequence: \"      ("a=b\")
 *   "invalid field selector: unescaped character in value: 61" ("a=b=c"; upstream prints the rune's number) */
int kc_field_selector_parse(const char *s, struct kc_field_selector **out, char *errbuf, size_t errlen);

/* Frees sel (NULL is fine). */
void kc_field_selector_free(struct kc_field_selector *sel);

/* Whether obj satisfies every term. Each field is a kc_json_get path into obj ("metadata.name", "spec.nodeName",
 * "involvedObject.kind"). Its text is: a string as is; "" when missing or null (or obj is NULL); "true"/"false";
 * an integer in decimal; a real in the shortest form that reads back ("0.5"). Objects and arrays have no text:
 * they equal no value (so "=" fails and "!=" holds). NULL sel matches everything. */
bool kc_field_selector_matches(const struct kc_field_selector *sel, const json_t *obj);

/* True when sel has no terms (matches everything). NULL is empty. */
bool kc_field_selector_empty(const struct kc_field_selector *sel);

/* Upstream's String(): terms joined by ",", each "field=value" or "field!=value" with the value escaped again.
 * Returns a malloc'ed string the caller frees, or NULL on allocation failure. NULL sel gives "". */
char *kc_field_selector_string(const struct kc_field_selector *sel);

/* The number of terms. */
size_t kc_field_selector_count(const struct kc_field_selector *sel);

/* Term i (0 <= i < count): field, operator and unescaped value, borrowed from sel; out-parameters may be NULL.
 * Returns 0 or KC_ENOTFOUND. An API server lists the fields this way to reject unsupported ones. */
int kc_field_selector_term(const struct kc_field_selector *sel, size_t i, const char **field, enum kc_field_op *op,
                           const char **value);

/* The first field of sel that is not in allowed (a NULL-terminated list), or NULL when all are allowed.
 * Borrowed from sel. For the API server's "field label not supported: <field>" (400). */
const char *kc_field_selector_unsupported(const struct kc_field_selector *sel, const char *const *allowed);

/* Upstream's RequiresExactMatch: the value of the first "=" or "==" term on field, or NULL. Borrowed. */
const char *kc_field_selector_exact(const struct kc_field_selector *sel, const char *field);

/* fields.EscapeValue: '\' -> "\\", ',' -> "\,", '=' -> "\=". Returns a malloc'ed string, or NULL on
 * allocation failure. */
char *kc_field_escape_value(const char *value);

#endif
