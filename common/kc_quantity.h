/* kc_quantity.h - Kubernetes resource quantities ("100m", "1.5Gi", "129e6") as in k8s.io/apimachinery's
 * pkg/api/resource: the exact parse grammar and error texts, the canonical String() form, compare and add.
 * A quantity is held exactly as int64 milli-units plus the format upstream remembers for printing.
 */
#ifndef KC_QUANTITY_H
#define KC_QUANTITY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Range and precision (where k8c differs from upstream, which keeps arbitrary precision):
 *  - Supported values: |value| <= 9223372036854775.807, i.e. milli in [-(2^63-1), 2^63-1]. "8Pi" fits, "9Pi",
 *    "10P", "1E", "1Ei" and "1e16" do not: they are rejected with KC_EINVALID. (Upstream accepts them; it caps
 *    only BinarySI at 2^63-1 units.)
 *  - Sub-milli precision is rounded away from zero to whole milli-units, as upstream's MilliValue() does for
 *    positive values (ceil): "1n", "1u", "0.0001" and "0.0005" all become 1m, "1.0001" becomes 1001m, "-1u"
 *    becomes -1m. So kc_quantity_string() prints "1m" where upstream prints "1n". (Upstream's MilliValue on its
 *    inf.Dec path rounds some negative sub-milli values toward zero; k8c always rounds the magnitude up.)
 *  - Upstream rounds to nano before anything else; the BinarySI -> DecimalSI switch for 0 < |value| < 1 is
 *    decided on that nano-rounded value, exactly as upstream.
 * Pure code: no I/O, no globals, no allocation except the rare one documented at kc_quantity_parse().
 */

/* The three formats of upstream's Quantity.Format. */
enum kc_quantity_format {
    KC_QUANTITY_DECIMAL_SI,       /* "DecimalSI": 12M, 500m, 1k (also every suffix-less number) */
    KC_QUANTITY_BINARY_SI,        /* "BinarySI": 12Mi (12 * 2^20) */
    KC_QUANTITY_DECIMAL_EXPONENT, /* "DecimalExponent": 12e6 */
};

/* A quantity. A value type: copy it freely; nothing to free. */
struct kc_quantity {
    int64_t milli;                  /* the value times 1000, exact; never INT64_MIN */
    enum kc_quantity_format format; /* the format used when printing */
    bool verbatim;                  /* upstream's String()/MarshalJSON would return the parsed text unchanged
                                       (it caches "+5", "010", "1E3", "5.5e1" as given); kc_quantity_string()
                                       always prints the canonical form. Cleared by every arithmetic result. */
};

/* Buffer size that holds every kc_quantity_string() result, "-9223372036854775807m" and longer. */
#define KC_QUANTITY_STRLEN 32

/* The largest milli value; the smallest is its negation. */
#define KC_QUANTITY_MAX_MILLI INT64_MAX

/* Parses s with upstream's ParseQuantity grammar:
 *     <quantity> ::= <sign>? <number> <suffix>     <number> ::= digits | digits "." digits? | "." digits?
 *     <suffix>   ::= "" | n | u | m | k | M | G | T | P | E | Ki | Mi | Gi | Ti | Pi | Ei | (e|E) <sign>? digits
 * No whitespace anywhere. Upstream quirks are kept: "1.", ".5", "+", "-", "." and "Mi" (no digits) parse (the
 * last four as zero); "E" alone is the Exa suffix; the exponent must be within +-(2^31-1).
 * Errors, with upstream's messages written to errbuf (when given; truncated to errlen):
 *   KC_EPARSE   "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
 *               (empty input, stray characters, "1.5.5", " 1", "1 Gi"),
 *               "unable to parse quantity's suffix" ("1i", "0.1mi", "1e", "1ki", "1e4294967297"),
 *               "unable to parse numeric part of quantity" (no digit and a decimal exponent below -9: "e-10");
 *   KC_EINVALID  the value is outside the supported range (message names the input and the range);
 *   -ENOMEM      only for BinarySI input with more than 137 fraction digits (before trailing zeros), which
 *                needs a scratch buffer.
 * On success writes *out (format as upstream keeps it; verbatim as described above). s must not be NULL. */
int kc_quantity_parse(const char *s, struct kc_quantity *out, char *errbuf, size_t errlen);

/* Like kc_quantity_parse for the length-delimited text s[0..len); an embedded NUL is a format error. */
int kc_quantity_parsen(const char *s, size_t len, struct kc_quantity *out, char *errbuf, size_t errlen);

/* Decodes a quantity from a JSON value as upstream's Quantity.UnmarshalJSON: a string is trimmed of ASCII
 * whitespace (upstream trims Unicode whitespace) and parsed; an integer is parsed from its decimal text; null
 * gives zero (DecimalSI). A real is parsed from the shortest text that reads back as the same double, which
 * matches upstream for literals such as 0.5 or 1.25 but not for "1e3" written as a JSON number (jansson keeps no
 * source text: k8c sees 1000, upstream keeps DecimalExponent). Errors as kc_quantity_parse, plus KC_EPARSE
 * for other JSON types (message "quantity must be a string or a number"). v may be NULL (treated as null). */
int kc_quantity_from_json(const json_t *v, struct kc_quantity *out, char *errbuf, size_t errlen);

/* Makes a quantity of milli/1000 (NewMilliQuantity). Returns 0, or KC_EINVALID when milli is INT64_MIN. */
int kc_quantity_from_milli(int64_t milli, enum kc_quantity_format format, struct kc_quantity *out);

/* Makes a quantity of value (NewQuantity). Returns 0, or KC_EINVALID when value*1000 is out of range. */
int kc_quantity_from_value(int64_t value, enum kc_quantity_format format, struct kc_quantity *out);

/* Writes the canonical form of q into buf (upstream's CanonicalizeBytes, i.e. String() without its cache) and
 * returns buf. No precision is lost, no fraction digits are printed, and the suffix is as large as possible:
 * 0.5 -> "500m", 1000m -> "1", 1000 -> "1k", 1024Ki -> "1Mi", 1.5Gi -> "1536Mi", 129e6 -> "129e6",
 * 1e3 -> "1e3", 1e2 -> "100", zero -> "0". BinarySI values in (-1024, 1024), or not whole, print as DecimalSI.
 * DecimalExponent prints "<mantissa>e<exponent>" with the exponent a multiple of 3 (none when it is 0). */
const char *kc_quantity_string(const struct kc_quantity *q, char buf[KC_QUANTITY_STRLEN]);

/* "DecimalSI", "BinarySI" or "DecimalExponent"; "" for a value outside the enum. Static. */
const char *kc_quantity_format_name(enum kc_quantity_format format);

/* -1, 0 or 1 as a is less than, equal to or greater than b (by value; formats are ignored). */
int kc_quantity_cmp(const struct kc_quantity *a, const struct kc_quantity *b);

/* *out = a + b (Quantity.Add). The format is a's, or b's when a is zero. Returns 0, or KC_EINVALID when the
 * sum is out of range (then *out is not written). out may alias a or b. */
int kc_quantity_add(const struct kc_quantity *a, const struct kc_quantity *b, struct kc_quantity *out);

/* *out = a - b (Quantity.Sub); formats and errors as kc_quantity_add. */
int kc_quantity_sub(const struct kc_quantity *a, const struct kc_quantity *b, struct kc_quantity *out);

/* The value in milli-units (MilliValue; exact, since k8c keeps milli precision). */
int64_t kc_quantity_milli_value(const struct kc_quantity *q);

/* The value in whole units rounded away from zero (Value): "100m" -> 1, "1.5" -> 2, "-1.5" -> -2. */
int64_t kc_quantity_value(const struct kc_quantity *q);

#endif
