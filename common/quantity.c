/* quantity.c - Kubernetes resource quantities: upstream's scanner, suffixes, nano rounding and "keep the input
 * text" rule, step by step, then the value held as int64 milli-units and printed in upstream's canonical form.
 */
#include "kc_quantity.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_str.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_FORMAT  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
#define ERR_SUFFIX  "unable to parse quantity's suffix"
#define ERR_NUMERIC "unable to parse numeric part of quantity"

/* Upstream's maxInt64Factors: the fast path takes at most this many significant decimal digits. */
#define MAX_INT64_FACTORS 18

/* Largest |value| * 10^9 worth computing: 10^27 nano is 10^18 units, beyond the supported 9.2e15. Keeping
 * intermediate values at or below it means unsigned __int128 never overflows. */
#define NANO_LIMIT ((unsigned __int128)1000000000000000000ULL * 1000000000ULL)

/* Fraction digits kept on the stack when multiplying a fractional BinarySI value; longer ones are malloc'ed. */
#define FRAC_STACK 128

typedef unsigned __int128 u128;

/* What the scanner found, as upstream's parseQuantityString returns it. */
struct scan {
    bool negative;
    const char *num; /* integer digits without leading zeros; "0" when there are none */
    size_t num_len;
    const char *den; /* fraction digits (may be empty) */
    size_t den_len;
    const char *suf; /* the suffix text, e.g. "Ki", "e-3" (may be empty) */
    size_t suf_len;
    bool has_digit; /* the number part holds at least one digit (inf.Dec would parse it) */
};

static int fail(int rc, char *errbuf, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
fail(int rc, char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (errbuf && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errbuf, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_suffix_char(char c)
{
    switch (c) {
    case 'e':
    case 'E':
    case 'i':
    case 'n':
    case 'u':
    case 'm':
    case 'k':
    case 'K':
    case 'M':
    case 'G':
    case 'T':
    case 'P':
        return true;
    default:
        return false;
    }
}

/* Splits s into sign, integer digits, fraction digits and suffix exactly as upstream's scanner does, which is
 * more permissive than the grammar (the suffix is checked later). Returns false on a format error. */
static bool
scan_quantity(const char *s, size_t end, struct scan *sc)
{
    size_t pos = 0;

    memset(sc, 0, sizeof(*sc));
    sc->num = "0";
    sc->num_len = 1;
    sc->den = sc->suf = "";
    if (pos < end && (s[0] == '-' || s[0] == '+')) {
        sc->negative = s[0] == '-';
        pos++;
    }
    while (pos < end && s[pos] == '0')
        pos++;
    if (pos >= end) {
        /* Only a sign and zeros (or nothing after the sign): upstream returns "0" right here. */
        sc->has_digit = true;
        return true;
    }
    size_t start = pos;
    while (pos < end && is_digit(s[pos]))
        pos++;
    if (pos > start) {
        sc->num = s + start;
        sc->num_len = pos - start;
    }
    if (pos < end && s[pos] == '.') {
        pos++;
        start = pos;
        while (pos < end && is_digit(s[pos]))
            pos++;
        sc->den = s + start;
        sc->den_len = pos - start;
    }
    for (size_t i = 0; i < pos; i++)
        if (is_digit(s[i]))
            sc->has_digit = true;

    size_t suffix_start = pos;
    while (pos < end && is_suffix_char(s[pos]))
        pos++;
    if (pos < end) {
        if (s[pos] == '-' || s[pos] == '+')
            pos++;
        while (pos < end && is_digit(s[pos]))
            pos++;
        if (pos < end)
            return false;
    }
    sc->suf = s + suffix_start;
    sc->suf_len = end - suffix_start;
    return true;
}

/* Go's strconv.ParseInt(s, 10, 64) on n bytes: an optional sign and at least one digit, nothing else. */
static bool
parse_int64(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    uint64_t v = 0;
    uint64_t limit;

    if (i < n && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    if (i == n)
        return false;
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (limit - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* Upstream's suffixer.interpret: base 10 or 2, the exponent, and the format the suffix implies. */
static bool
interpret_suffix(const char *s, size_t n, int *base, int32_t *exponent, enum kc_quantity_format *format)
{
    static const struct {
        char text[3];
        int base;
        int32_t exponent;
    } table[] = {
        { "", 10, 0 },   { "n", 10, -9 }, { "u", 10, -6 }, { "m", 10, -3 }, { "k", 10, 3 },  { "M", 10, 6 },
        { "G", 10, 9 },  { "T", 10, 12 }, { "P", 10, 15 }, { "E", 10, 18 }, { "Ki", 2, 10 }, { "Mi", 2, 20 },
        { "Gi", 2, 30 }, { "Ti", 2, 40 }, { "Pi", 2, 50 }, { "Ei", 2, 60 },
    };
    /* every suffix is at most 2 bytes: compare them in place (strlen and memcmp per entry were most of a parse) */
    for (size_t i = 0; n <= 2 && i < sizeof(table) / sizeof(table[0]); i++) {
        const char *t = table[i].text;
        if ((n == 0 && !t[0]) || (n == 1 && t[0] == s[0] && !t[1]) || (n == 2 && t[0] == s[0] && t[1] == s[1])) {
            *base = table[i].base;
            *exponent = table[i].exponent;
            *format = table[i].base == 2 ? KC_QUANTITY_BINARY_SI : KC_QUANTITY_DECIMAL_SI;
            return true;
        }
    }
    if (n > 1 && (s[0] == 'e' || s[0] == 'E')) {
        int64_t v;
        /* Upstream parses 64 bits but keeps an int32 scale that it later negates: +-(2^31-1) only. */
        if (!parse_int64(s + 1, n - 1, &v) || v > INT32_MAX || v < -(int64_t)INT32_MAX)
            return false;
        *base = 10;
        *exponent = (int32_t)v;
        *format = KC_QUANTITY_DECIMAL_EXPONENT;
        return true;
    }
    return false;
}

/* The i-th digit of the concatenation num+den. */
static int
digit_at(const struct scan *sc, size_t i)
{
    return i < sc->num_len ? sc->num[i] - '0' : sc->den[i - sc->num_len] - '0';
}

/* |value| * 10^9, rounded away from zero (upstream rounds to nano with inf.RoundUp). Returns 0, KC_EINVALID
 * when the value is far outside the supported range, or -ENOMEM. */
static int
nano_magnitude(const struct scan *sc, int base, int32_t exponent, u128 *out)
{
    size_t total = sc->num_len + sc->den_len;
    size_t first = 0, last = total;

    while (first < total && digit_at(sc, first) == 0)
        first++;
    if (first == total) {
        *out = 0;
        return 0;
    }
    while (digit_at(sc, last - 1) == 0)
        last--;

    /* value * 10^9 = sig * 10^k (* 2^exponent for BinarySI), sig = the digits first..last as an integer. */
    int64_t sig_len = (int64_t)(last - first);
    int64_t k = (base == 10 ? exponent : 0) - (int64_t)sc->den_len + 9 + (int64_t)(total - last);
    int64_t int_len = sig_len + k; /* digits left of the decimal point */
    u128 n = 0;

    if (int_len > 28)
        return KC_EINVALID;
    for (int64_t i = 0; i < sig_len && i < int_len; i++)
        n = n * 10 + (u128)digit_at(sc, first + (size_t)i);
    for (int64_t i = sig_len; i < int_len; i++)
        n *= 10;
    bool fraction = k < 0; /* the last significant digit is non-zero and lies right of the point */

    if (base == 2 && !fraction) { /* an integer times 2^exponent: the doublings below are one shift */
        if (exponent >= 127 || n > (NANO_LIMIT >> exponent))
            return KC_EINVALID;
        n <<= exponent;
    } else if (base == 2) {
        /* Multiply integer and fraction by 2^exponent one doubling at a time; the fraction's carry moves into
         * the integer. The fraction has -k digits: zeros, then the significant digits right of the point. */
        char stack[FRAC_STACK];
        char *frac = stack;
        size_t flen = fraction ? (size_t)-k : 0;
        if (flen > sizeof(stack)) {
            frac = kc_malloc(flen);
            if (!frac)
                return -ENOMEM;
        }
        for (size_t i = 0; i < flen; i++) {
            int64_t sig_index = int_len + (int64_t)i; /* index into the significant digits */
            frac[i] = (char)(sig_index < 0 ? 0 : digit_at(sc, first + (size_t)sig_index));
        }
        for (int32_t step = 0; step < exponent; step++) {
            int carry = 0;
            for (size_t i = flen; i-- > 0;) {
                int d = frac[i] * 2 + carry;
                frac[i] = (char)(d % 10);
                carry = d / 10;
            }
            n = n * 2 + (u128)carry;
            if (n > NANO_LIMIT) {
                if (frac != stack)
                    free(frac);
                return KC_EINVALID;
            }
        }
        fraction = false;
        for (size_t i = 0; i < flen && !fraction; i++)
            fraction = frac[i] != 0;
        if (frac != stack)
            free(frac);
    }
    if (n > NANO_LIMIT)
        return KC_EINVALID;
    *out = n + (fraction ? 1 : 0);
    return 0;
}

/* Whether upstream's fast path takes this input and keeps the input string as the quantity's String(). */
static bool
upstream_keeps_text(const struct scan *sc, int base, int32_t exponent)
{
    if (base == 10) {
        if (MAX_INT64_FACTORS - (int64_t)(sc->num_len + sc->den_len) < 0)
            return false;
        int64_t scale = (int64_t)exponent - (int64_t)sc->den_len;
        if (scale < -9)
            return false;
        /* shifted = num + den: reused only when the scale is a multiple of 3, it does not end in "000" (which
         * a larger suffix would absorb) and it does not start with '0' (a fraction below one). */
        if (scale % 3 != 0 || sc->num[0] == '0')
            return false;
        size_t total = sc->num_len + sc->den_len;
        if (total >= 3 && digit_at(sc, total - 1) == 0 && digit_at(sc, total - 2) == 0 && digit_at(sc, total - 3) == 0)
            return false;
        return true;
    }
    /* BinarySI: no fraction, precision = 15 - len(num) - exponent*3/10 - 1 >= 0 (so num has at most 11 digits),
     * and the integer not a multiple of 8 (which a larger suffix might absorb). */
    if (sc->den_len > 0 || 14 - (int64_t)sc->num_len - (int64_t)exponent * 3 / 10 < 0)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < sc->num_len; i++)
        v = v * 10 + (uint64_t)digit_at(sc, i);
    return (v & 7) != 0;
}

int
kc_quantity_parsen(const char *s, size_t len, struct kc_quantity *out, char *errbuf, size_t errlen)
{
    struct scan sc;
    int base;
    int32_t exponent;
    enum kc_quantity_format format;
    u128 nano;
    int rc;

    if (len == 0)
        return fail(KC_EPARSE, errbuf, errlen, "%s", ERR_FORMAT);
    if (len == 1 && s[0] == '0') {
        *out = (struct kc_quantity){ .milli = 0, .format = KC_QUANTITY_DECIMAL_SI, .verbatim = true };
        return 0;
    }
    if (!scan_quantity(s, len, &sc))
        return fail(KC_EPARSE, errbuf, errlen, "%s", ERR_FORMAT);
    if (!interpret_suffix(sc.suf, sc.suf_len, &base, &exponent, &format))
        return fail(KC_EPARSE, errbuf, errlen, "%s", ERR_SUFFIX);
    bool keep = upstream_keeps_text(&sc, base, exponent);
    /* Upstream's slow path hands the number text to inf.Dec, which needs a digit. Only a decimal exponent
     * below nano sends a digit-less number there ("e-10"); everything else took the fast path. */
    if (!sc.has_digit && base == 10 && (int64_t)exponent - (int64_t)sc.den_len < -9)
        return fail(KC_EPARSE, errbuf, errlen, "%s", ERR_NUMERIC);

    rc = nano_magnitude(&sc, base, exponent, &nano);
    if (rc == -ENOMEM)
        return rc;
    u128 milli = nano / 1000000 + (nano % 1000000 != 0 ? 1 : 0);
    if (rc != 0 || milli > (u128)KC_QUANTITY_MAX_MILLI)
        return fail(KC_EINVALID, errbuf, errlen,
                    "quantity \"%.*s\" is out of range: k8c holds quantities as int64 milli-units, so |value| must "
                    "be at most 9223372036854775.807 (9223372036854775807m)",
                    (int)(len > 64 ? 64 : len), s);
    if (format == KC_QUANTITY_BINARY_SI && nano > 0 && nano < 1000000000)
        format = KC_QUANTITY_DECIMAL_SI; /* upstream: a BinarySI value strictly between 0 and 1 */
    out->milli = sc.negative ? -(int64_t)milli : (int64_t)milli;
    out->format = format;
    out->verbatim = keep;
    return 0;
}

int
kc_quantity_parse(const char *s, struct kc_quantity *out, char *errbuf, size_t errlen)
{
    return kc_quantity_parsen(s, strlen(s), out, errbuf, errlen);
}

static bool
is_ascii_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int
kc_quantity_from_json(const json_t *v, struct kc_quantity *out, char *errbuf, size_t errlen)
{
    char text[64];

    if (!v || json_is_null(v)) {
        *out = (struct kc_quantity){ .milli = 0, .format = KC_QUANTITY_DECIMAL_SI, .verbatim = false };
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        while (len > 0 && is_ascii_space(s[0])) {
            s++;
            len--;
        }
        while (len > 0 && is_ascii_space(s[len - 1]))
            len--;
        return kc_quantity_parsen(s, len, out, errbuf, errlen);
    }
    if (json_is_integer(v)) {
        snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return kc_quantity_parse(text, out, errbuf, errlen);
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(text, sizeof(text), "%.*g", prec, d);
            if (strtod(text, NULL) == d)
                break;
        }
        return kc_quantity_parse(text, out, errbuf, errlen);
    }
    return fail(KC_EPARSE, errbuf, errlen, "quantity must be a string or a number");
}

int
kc_quantity_from_milli(int64_t milli, enum kc_quantity_format format, struct kc_quantity *out)
{
    if (milli == INT64_MIN)
        return KC_EINVALID;
    *out = (struct kc_quantity){ .milli = milli, .format = format, .verbatim = false };
    return 0;
}

int
kc_quantity_from_value(int64_t value, enum kc_quantity_format format, struct kc_quantity *out)
{
    int64_t milli;
    if (__builtin_mul_overflow(value, (int64_t)1000, &milli))
        return KC_EINVALID;
    return kc_quantity_from_milli(milli, format, out);
}

/* buf = "-" when negative, a's decimal digits, then suffix: what snprintf("%s%" PRIu64 "%s") wrote, without its
 * cost (a create canonicalises several quantities). At most 1 + 20 + 11 bytes and the NUL. */
static const char *
quantity_text(char buf[KC_QUANTITY_STRLEN], bool negative, uint64_t a, const char *suffix)
{
    char digits[20], *d = kc_u64_digits(digits + sizeof(digits), a);
    char *p = buf;
    if (negative)
        *p++ = '-';
    size_t n = (size_t)(digits + sizeof(digits) - d), sl = strlen(suffix);
    if (n + sl > KC_QUANTITY_STRLEN - 2)
        sl = KC_QUANTITY_STRLEN - 2 - n;
    memcpy(p, d, n);
    memcpy(p + n, suffix, sl);
    p[n + sl] = '\0';
    return buf;
}

const char *
kc_quantity_string(const struct kc_quantity *q, char buf[KC_QUANTITY_STRLEN])
{
    static const char *const binary[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
    int64_t m = q->milli;
    uint64_t a = m < 0 ? (uint64_t)0 - (uint64_t)m : (uint64_t)m;
    enum kc_quantity_format format = q->format;

    if (m == 0) {
        strcpy(buf, "0");
        return buf;
    }
    if (format == KC_QUANTITY_BINARY_SI) {
        /* Small or fractional BinarySI values would need rounding: upstream shows them as DecimalSI. */
        if (a < 1024000 || a % 1000 != 0) {
            format = KC_QUANTITY_DECIMAL_SI;
        } else {
            uint64_t n = a / 1000;
            int k = 0;
            while (n >= 1024 && n % 1024 == 0 && k < 6) {
                n /= 1024;
                k++;
            }
            return quantity_text(buf, m < 0, n, binary[k]);
        }
    } else if (format != KC_QUANTITY_DECIMAL_SI && format != KC_QUANTITY_DECIMAL_EXPONENT) {
        format = KC_QUANTITY_DECIMAL_EXPONENT; /* upstream's default for an unknown format */
    }

    /* Move factors of ten into the exponent, then back down to a multiple of three. */
    int e = -3;
    while (a >= 10 && a % 10 == 0) {
        a /= 10;
        e++;
    }
    int r = ((e % 3) + 3) % 3;
    for (int i = 0; i < r; i++) {
        a *= 10;
        e--;
    }
    if (format == KC_QUANTITY_DECIMAL_EXPONENT) {
        char exp[16] = ""; /* "e<e>" */
        if (e != 0)
            snprintf(exp, sizeof(exp), "e%d", e);
        return quantity_text(buf, m < 0, a, exp);
    }
    static const char *const decimal[] = { "n", "u", "m", "", "k", "M", "G", "T", "P", "E" };
    return quantity_text(buf, m < 0, a, decimal[(e + 9) / 3]);
}

const char *
kc_quantity_format_name(enum kc_quantity_format format)
{
    switch (format) {
    case KC_QUANTITY_DECIMAL_SI:
        return "DecimalSI";
    case KC_QUANTITY_BINARY_SI:
        return "BinarySI";
    case KC_QUANTITY_DECIMAL_EXPONENT:
        return "DecimalExponent";
    }
    return "";
}

int
kc_quantity_cmp(const struct kc_quantity *a, const struct kc_quantity *b)
{
    return (a->milli > b->milli) - (a->milli < b->milli);
}

static int
combine(const struct kc_quantity *a, int64_t b_milli, enum kc_quantity_format b_format, struct kc_quantity *out)
{
    int64_t sum;
    if (__builtin_add_overflow(a->milli, b_milli, &sum) || sum == INT64_MIN)
        return KC_EINVALID;
    enum kc_quantity_format format = a->milli == 0 ? b_format : a->format;
    *out = (struct kc_quantity){ .milli = sum, .format = format, .verbatim = false };
    return 0;
}

int
kc_quantity_add(const struct kc_quantity *a, const struct kc_quantity *b, struct kc_quantity *out)
{
    return combine(a, b->milli, b->format, out);
}

int
kc_quantity_sub(const struct kc_quantity *a, const struct kc_quantity *b, struct kc_quantity *out)
{
    return combine(a, -b->milli, b->format, out); /* b->milli is never INT64_MIN, so this negation is safe */
}

int64_t
kc_quantity_milli_value(const struct kc_quantity *q)
{
    return q->milli;
}

int64_t
kc_quantity_value(const struct kc_quantity *q)
{
    int64_t v = q->milli / 1000;
    if (q->milli % 1000 != 0)
        v += q->milli > 0 ? 1 : -1;
    return v;
}
