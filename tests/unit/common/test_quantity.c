/* test_quantity.c - kc_quantity against the cases of upstream's quantity_test.go (values adapted to milli precision
 * where upstream keeps nano), plus the range limits, JSON decoding, arithmetic and allocation failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc_error.h"
#include "kc_fault.h"
#include "kc_quantity.h"

#define DSI KC_QUANTITY_DECIMAL_SI
#define BSI KC_QUANTITY_BINARY_SI
#define DEX KC_QUANTITY_DECIMAL_EXPONENT

#define ERR_FORMAT  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
#define ERR_SUFFIX  "unable to parse quantity's suffix"
#define ERR_NUMERIC "unable to parse numeric part of quantity"

#define OUT_OF_RANGE 1 /* marker: expect KC_EINVALID */

static const int64_t KI = 1024, MI = 1024 * 1024, GI = 1024LL * 1024 * 1024, TI = 1024LL * 1024 * 1024 * 1024,
                     PI = 1024LL * 1024 * 1024 * 1024 * 1024;

struct parse_case {
    const char *in;
    int64_t milli;
    enum kc_quantity_format format;
    int range_error; /* OUT_OF_RANGE when k8c rejects a value upstream accepts */
};

/* TestQuantityParse's table. Upstream keeps nano precision; k8c rounds sub-milli magnitudes up to 1m. */
static const struct parse_case parse_cases[] = {
    { "0", 0, DSI, 0 },
    { "0n", 0, DSI, 0 },
    { "0u", 0, DSI, 0 },
    { "0m", 0, DSI, 0 },
    { "0Ki", 0, BSI, 0 },
    { "0k", 0, DSI, 0 },
    { "0Mi", 0, BSI, 0 },
    { "0M", 0, DSI, 0 },
    { "0Gi", 0, BSI, 0 },
    { "0G", 0, DSI, 0 },
    { "0Ti", 0, BSI, 0 },
    { "0T", 0, DSI, 0 },
    { "1", 1000, DSI, 0 },
    /* Binary suffixes */
    { "1Ki", 1024 * 1000LL, BSI, 0 },
    { "8Ki", 8 * 1024 * 1000LL, BSI, 0 },
    { "7Mi", 7 * 1024 * 1024 * 1000LL, BSI, 0 },
    { "6Gi", 6 * 1024LL * 1024 * 1024 * 1000, BSI, 0 },
    { "5Ti", 5 * 1024LL * 1024 * 1024 * 1024 * 1000, BSI, 0 },
    { "4Pi", 4 * 1024LL * 1024 * 1024 * 1024 * 1024 * 1000, BSI, 0 },
    { "3Ei", 0, BSI, OUT_OF_RANGE },
    { "10Ti", 10 * 1024LL * 1024 * 1024 * 1024 * 1000, BSI, 0 },
    { "100Ti", 100 * 1024LL * 1024 * 1024 * 1024 * 1000, BSI, 0 },
    /* Decimal suffixes */
    { "5n", 1, DSI, 0 },
    { "4u", 1, DSI, 0 },
    { "3m", 3, DSI, 0 },
    { "9", 9000, DSI, 0 },
    { "8k", 8000000, DSI, 0 },
    { "50k", 50000000, DSI, 0 },
    { "7M", 7000000000LL, DSI, 0 },
    { "6G", 6000000000000LL, DSI, 0 },
    { "5T", 5000000000000000LL, DSI, 0 },
    { "40T", 40000000000000000LL, DSI, 0 },
    { "300T", 300000000000000000LL, DSI, 0 },
    { "2P", 2000000000000000000LL, DSI, 0 },
    { "1E", 0, DSI, OUT_OF_RANGE },
    /* Decimal exponents */
    { "1E-3", 1, DEX, 0 },
    { "1e3", 1000000, DEX, 0 },
    { "1E6", 1000000000LL, DEX, 0 },
    { "1e9", 1000000000000LL, DEX, 0 },
    { "1E12", 1000000000000000LL, DEX, 0 },
    { "1e15", 1000000000000000000LL, DEX, 0 },
    { "1E18", 0, DEX, OUT_OF_RANGE },
    /* Nonstandard but still parsable */
    { "1e14", 100000000000000000LL, DEX, 0 },
    { "1e13", 10000000000000000LL, DEX, 0 },
    { "100.035k", 100035000, DSI, 0 },
    /* Things that look like floating point */
    { "0.001", 1, DSI, 0 },
    { "0.0005k", 500, DSI, 0 },
    { "0.005", 5, DSI, 0 },
    { "0.05", 50, DSI, 0 },
    { "0.5", 500, DSI, 0 },
    { "0.00050k", 500, DSI, 0 },
    { "0.00500", 5, DSI, 0 },
    { "0.05000", 50, DSI, 0 },
    { "0.50000", 500, DSI, 0 },
    { "0.5e0", 500, DEX, 0 },
    { "0.5e-1", 50, DEX, 0 },
    { "0.5e-2", 5, DEX, 0 },
    { "10.035M", 10035000000LL, DSI, 0 },
    { "1.2e3", 1200000, DEX, 0 },
    { "1.3E+6", 1300000000LL, DEX, 0 },
    { "1.40e9", 1400000000000LL, DEX, 0 },
    { "1.53E12", 1530000000000000LL, DEX, 0 },
    { "1.6e15", 1600000000000000000LL, DEX, 0 },
    { "1.7E18", 0, DEX, OUT_OF_RANGE },
    { "9.01", 9010, DSI, 0 },
    { "8.1k", 8100000, DSI, 0 },
    { "7.123456M", 7123456000LL, DSI, 0 },
    { "6.987654321G", 6987654321000LL, DSI, 0 },
    { "5.444T", 5444000000000000LL, DSI, 0 },
    { "40.1T", 40100000000000000LL, DSI, 0 },
    { "300.2T", 300200000000000000LL, DSI, 0 },
    { "2.5P", 2500000000000000000LL, DSI, 0 },
    { "1.01E", 0, DSI, OUT_OF_RANGE },
    /* Things that saturate/round (upstream: to nano; k8c: then to milli) */
    { "3.001n", 1, DSI, 0 },
    { "1.1E-9", 1, DEX, 0 },
    { "0.0000000001", 1, DSI, 0 },
    { "0.0000000005", 1, DSI, 0 },
    { "0.00000000050", 1, DSI, 0 },
    { "0.5e-9", 1, DEX, 0 },
    { "0.9n", 1, DSI, 0 },
    { "0.00000012345", 1, DSI, 0 },
    { "0.00000012354", 1, DSI, 0 },
    { "9Ei", 0, BSI, OUT_OF_RANGE },
    { "9223372036854775807Ki", 0, BSI, OUT_OF_RANGE },
    { "12E", 0, DSI, OUT_OF_RANGE },
    /* Fractional binary */
    { "100.035Ki", 102435840, BSI, 0 },
    { "0.5Mi", 524288000, BSI, 0 },
    { "0.05Gi", 53687091200LL, BSI, 0 },
    { "0.025Ti", 27487790694400LL, BSI, 0 },
    /* Things written by trolls */
    { "0.000000000001Ki", 1, DSI, 0 }, /* upstream: 2n, and the format changes to DecimalSI */
    { ".001", 1, DSI, 0 },
    { ".0001k", 100, DSI, 0 },
    { "1.", 1000, DSI, 0 },
    { "1.G", 1000000000000LL, DSI, 0 },
    /* Quirks of upstream's scanner: no digits at all is zero. */
    { ".", 0, DSI, 0 },
    { "Mi", 0, BSI, 0 },
    { "00", 0, DSI, 0 },
    { "e-9", 0, DEX, 0 },
    /* More rounding and boundaries */
    { "0.0001", 1, DSI, 0 },
    { "1.0001", 1001, DSI, 0 },
    { "1.000000000000000000000000000000000001", 1001, DSI, 0 },
    { "1e-2147483647", 1, DEX, 0 },
    { "0e2147483647", 0, DEX, 0 },
    { "0.999999999Ki", 1024000, BSI, 0 }, /* 1023.999999 -> 1023999.999m -> 1024000m */
    { "0.0009765625Ki", 1000, BSI, 0 },   /* exactly 1 (nano-rounded 1.000000000: stays BinarySI) */
    { "0.0009765624Ki", 1000, DSI, 0 },   /* 0.9999998976: below one, becomes DecimalSI */
    { "9223372036854775807m", 9223372036854775807LL, DSI, 0 },
    { "9223372036854775.807", 9223372036854775807LL, DSI, 0 },
    { "9223372036854775808m", 0, DSI, OUT_OF_RANGE },
    { "9223372036854775.8071", 0, DSI, OUT_OF_RANGE },
    { "9223372036854775807", 0, DSI, OUT_OF_RANGE },
    { "8Pi", 8 * 1024LL * 1024 * 1024 * 1024 * 1024 * 1000, BSI, 0 },
    { "8191.99Ti", 9007188259624714240LL, BSI, 0 },         /* 8191.99 * 2^40, exact */
    { "8191.9999999999Ti", 9007199254740882049LL, BSI, 0 }, /* ...882048.837m rounds up */
    { "9Pi", 0, BSI, OUT_OF_RANGE },
    { "1e16", 0, DEX, OUT_OF_RANGE },
    { "1e2147483647", 0, DEX, OUT_OF_RANGE },
    { "100000000000000000000000000000000000000000000000000", 0, DSI, OUT_OF_RANGE },
};

static void
check_parse(const char *in, int64_t milli, enum kc_quantity_format format, int range_error)
{
    struct kc_quantity q = { .milli = 42 };
    char err[256] = "";
    int rc = kc_quantity_parse(in, &q, err, sizeof(err));

    if (range_error) {
        if (rc != KC_EINVALID)
            fail_msg("%s: expected KC_EINVALID, got %d (milli %lld)", in, rc, (long long)q.milli);
        if (!strstr(err, "is out of range: k8c holds quantities as int64 milli-units"))
            fail_msg("%s: unexpected message %s", in, err);
        assert_int_equal(q.milli, 42); /* not written */
        return;
    }
    if (rc != 0)
        fail_msg("%s: unexpected error %d: %s", in, rc, err);
    if (q.milli != milli || q.format != format)
        fail_msg("%s: expected %lld %s, got %lld %s", in, (long long)milli, kc_quantity_format_name(format),
                 (long long)q.milli, kc_quantity_format_name(q.format));
}

static void
test_parse_table(void **state)
{
    (void)state;
    char buf[512];
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const struct parse_case *c = &parse_cases[i];
        check_parse(c->in, c->milli, c->format, c->range_error);
        /* upstream tries the negative and the explicit + version of everything */
        snprintf(buf, sizeof(buf), "-%s", c->in);
        check_parse(buf, -c->milli, c->format, c->range_error);
        snprintf(buf, sizeof(buf), "+%s", c->in);
        check_parse(buf, c->milli, c->format, c->range_error);
    }
}

static void
test_parse_invalid(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *msg;
    } cases[] = {
        /* upstream's invalid list */
        { "1.1.M", ERR_FORMAT },
        { "1+1.0M", ERR_FORMAT },
        { "0.1mi", ERR_SUFFIX },
        { "0.1am", ERR_FORMAT },
        { "aoeu", ERR_FORMAT },
        { ".5i", ERR_SUFFIX },
        { "1i", ERR_SUFFIX },
        { "-3.01i", ERR_SUFFIX },
        { "-3.01e-", ERR_SUFFIX },
        { "1e4294967297", ERR_SUFFIX },
        { " 1", ERR_FORMAT },
        { "1 ", ERR_FORMAT },
        { "", ERR_FORMAT },
        /* more */
        { "1.5.5", ERR_FORMAT },
        { "1 Gi", ERR_FORMAT },
        { "1e", ERR_SUFFIX },
        { "1ki", ERR_SUFFIX },
        { "1K", ERR_SUFFIX },
        { "1Ki5", ERR_SUFFIX },
        { "1e3e", ERR_FORMAT },
        { "1e3.5", ERR_FORMAT },
        { "--1", ERR_SUFFIX }, /* the scanner reads "-1" as the suffix */
        { "1,5", ERR_FORMAT },
        { "0x10", ERR_FORMAT },
        { "1e2147483648", ERR_SUFFIX },
        { "1e-2147483648", ERR_SUFFIX },
        { "1e9223372036854775808", ERR_SUFFIX },
        { "1ee3", ERR_SUFFIX },
        { "1mm", ERR_SUFFIX },
        { "e-10", ERR_NUMERIC },
        { "-.e-10", ERR_NUMERIC },
        { ".5e-10x", ERR_FORMAT },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kc_quantity q = { .milli = 7 };
        char err[256] = "";
        int rc = kc_quantity_parse(cases[i].in, &q, err, sizeof(err));
        if (rc != KC_EPARSE)
            fail_msg("\"%s\": expected KC_EPARSE, got %d", cases[i].in, rc);
        if (strcmp(err, cases[i].msg) != 0)
            fail_msg("\"%s\": expected message \"%s\", got \"%s\"", cases[i].in, cases[i].msg, err);
        assert_int_equal(q.milli, 7);
    }
    /* no error buffer, a short one, and an embedded NUL */
    struct kc_quantity q;
    assert_int_equal(kc_quantity_parse("1x", &q, NULL, 0), KC_EPARSE);
    char small[8];
    assert_int_equal(kc_quantity_parse("1x", &q, small, sizeof(small)), KC_EPARSE);
    assert_string_equal(small, "quantit");
    assert_int_equal(kc_quantity_parsen("1\0"
                                        "0",
                                        3, &q, NULL, 0),
                     KC_EPARSE);
    assert_int_equal(kc_quantity_parsen("100m", 2, &q, NULL, 0), 0);
    assert_int_equal(q.milli, 10000);
}

/* TestQuantityString: the canonical form of values built directly, their negations, and parsed alternates. */
static void
test_string_table(void **state)
{
    (void)state;
    static const struct {
        int64_t milli;
        enum kc_quantity_format format;
        const char *expect;
        const char *alternate;
    } cases[] = {
        { 1024 * 1024 * 1024 * 1000LL, BSI, "1Gi", "1024Mi" },
        { 300 * 1024 * 1024 * 1000LL, BSI, "300Mi", "307200Ki" },
        { 6 * 1024 * 1000LL, BSI, "6Ki", NULL },
        { 1001 * 1024LL * 1024 * 1024 * 1000, BSI, "1001Gi", "1025024Mi" },
        { 1024LL * 1024 * 1024 * 1024 * 1000, BSI, "1Ti", "1024Gi" },
        { 5000, BSI, "5", "5000m" },
        { 500, BSI, "500m", "0.5" },
        { 1000000000000LL, DSI, "1G", "1000M" },
        { 1000000000000LL, DSI, "1G", "0.001T" },
        { 1, DSI, "1m", "1000u" },
        { 80, DSI, "80m", NULL },
        { 1080, DSI, "1080m", "1.08" },
        { 1080, DSI, "1080m", "1080000000n" },
        { 300000000000LL, DSI, "300M", NULL },
        { 1000000000000000LL, DSI, "1T", NULL },
        { 1234567000000000LL, DSI, "1234567M", NULL },
        { 1234567, BSI, "1234567m", NULL },
        { 3000000, DSI, "3k", NULL },
        { 1025000, BSI, "1025", NULL },
        { 0, DSI, "0", "00" },
        { 0, BSI, "0", NULL },
        { 1000000000000LL, DEX, "1e9", ".001e12" },
        { 1, DEX, "1e-3", "0.001e0" },
        { 80, DEX, "80e-3", NULL },
        { 300000000000LL, DEX, "300e6", NULL },
        { 1000000000000000LL, DEX, "1e12", NULL },
        { 1000000, DEX, "1e3", NULL },
        { 3000000, DEX, "3e3", NULL },
        { 0, DEX, "0", NULL },
        { 2000000, BSI, "2000", NULL }, /* TestBinarySIZeroExponentString */
        { 1024500, BSI, "1024500m", NULL },
        { 8 * 1024LL * 1024 * 1024 * 1024 * 1024 * 1000, BSI, "8Pi", NULL },
        { 9223372036854775807LL, DSI, "9223372036854775807m", NULL },
        { 9223372036854775807LL, BSI, "9223372036854775807m", NULL },
        { 9223372036854775000LL, DEX, "9223372036854775", NULL },
    };
    char buf[KC_QUANTITY_STRLEN], alt[KC_QUANTITY_STRLEN + 1];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kc_quantity q, p;
        assert_int_equal(kc_quantity_from_milli(cases[i].milli, cases[i].format, &q), 0);
        if (strcmp(kc_quantity_string(&q, buf), cases[i].expect) != 0)
            fail_msg("%lld %s: expected %s, got %s", (long long)cases[i].milli,
                     kc_quantity_format_name(cases[i].format), cases[i].expect, buf);
        /* the canonical text parses back to the same value, and prints the same in the same format */
        assert_int_equal(kc_quantity_parse(cases[i].expect, &p, NULL, 0), 0);
        assert_int_equal(p.milli, q.milli);
        if (p.format == q.format)
            assert_string_equal(kc_quantity_string(&p, buf), cases[i].expect);
        if (cases[i].alternate) {
            assert_int_equal(kc_quantity_parse(cases[i].alternate, &p, NULL, 0), 0);
            if (strcmp(kc_quantity_string(&p, buf), cases[i].expect) != 0)
                fail_msg("alternate %s: expected %s, got %s", cases[i].alternate, cases[i].expect, buf);
        }
        if (cases[i].milli != 0) {
            q.milli = -q.milli;
            snprintf(alt, sizeof(alt), "-%s", cases[i].expect);
            assert_string_equal(kc_quantity_string(&q, buf), alt);
        }
    }
}

/* Parse then print: TestQuantityParseEmit, the brief's examples, and where k8c's milli precision shows. */
static void
test_parse_emit(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        { "1Ki", "1Ki" },
        { "1Mi", "1Mi" },
        { "1Gi", "1Gi" },
        { "1024Mi", "1Gi" },
        { "1000M", "1G" },
        { ".001Ki", "1024m" },
        { ".000001Ki", "2m" },       /* upstream: 1024u */
        { ".000000001Ki", "1m" },    /* upstream: 1024n */
        { ".000000000001Ki", "1m" }, /* upstream: 2n */
        { "1n", "1m" },              /* upstream: 1n */
        { "1u", "1m" },              /* upstream: 1u */
        { "0.0001", "1m" },          /* upstream: 100u */
        { "100m", "100m" },
        { "0.5", "500m" },
        { "1000m", "1" },
        { "1024Ki", "1Mi" },
        { "1536Mi", "1536Mi" },
        { "1.5Gi", "1536Mi" },
        { "129e6", "129e6" },
        { "128974848", "128974848" },
        { "129M", "129M" },
        { "123Mi", "123Mi" },
        { "1e3", "1e3" },
        { "1000", "1k" },
        { "0", "0" },
        { "-0", "0" },
        { "100Mi", "100Mi" },
        { "12e3", "12e3" },
        { "1.5", "1500m" },
        { "-100m", "-100m" },
        { "-1", "-1" },
        { "+5", "5" },
        { ".5", "500m" },
        { "1.", "1" },
        { "1e2", "100" },
        { "1.5e3", "1500" },
        { "1e-2", "10e-3" },
        { "1E3", "1e3" },
        { "10", "10" },
        { "1024", "1024" },
        { "2048Ki", "2Mi" },
        { "1.25Ki", "1280" },
        { "0.5Ki", "512" },
        { "1023Ki", "1023Ki" },
        { "1.5k", "1500" },
        { "1500000", "1500k" },
        { "0.1", "100m" },
        { "250m", "250m" },
        { "2000m", "2" },
        { "1Pi", "1Pi" },
        { "1024Ti", "1Pi" },
        { "5P", "5P" },
        { "5000T", "5P" },
        { "01Ki", "1Ki" },
        { "-", "0" },
        { "+", "0" },
        { "0.5e0", "500e-3" },
    };
    char buf[KC_QUANTITY_STRLEN];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kc_quantity q;
        char err[256] = "";
        int rc = kc_quantity_parse(cases[i].in, &q, err, sizeof(err));
        if (rc != 0)
            fail_msg("%s: unexpected error %d: %s", cases[i].in, rc, err);
        if (strcmp(kc_quantity_string(&q, buf), cases[i].out) != 0)
            fail_msg("%s: expected %s, got %s", cases[i].in, cases[i].out, buf);
    }
}

/* When upstream's String() returns the input text as given (its fast path keeps the string). */
static void
test_verbatim(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        bool verbatim;
    } cases[] = {
        { "0", true },
        { "+5", true },
        { "010", true },
        { "1E3", true },
        { "5.5e1", true },
        { "1e03", true },
        { "100m", true },
        { "1n", true },
        { "1Ki", true },
        { "-1Ki", true },
        { "7Mi", true },
        { "12e3", true },
        { "129e6", true },
        { "128974848", true },
        { "1e300", true },
        { "1000", false },
        { "0.5", false },
        { ".5", false },
        { "1.5", false },
        { "8Ki", false },
        { "1024Ki", false },
        { "1Pi", false },
        { "1.5Gi", false },
        { "1e2", false },
        { "00", false },
        { "-0", false },
        { "1000m", false },
        { "0.0001", false },
        { "1.5e3", false },
        { "12345678901Ki", true },
        { "123456789012Ki", false },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct kc_quantity q;
        int rc = kc_quantity_parse(cases[i].in, &q, NULL, 0);
        if (cases[i].verbatim && strcmp(cases[i].in, "1e300") == 0) {
            assert_int_equal(rc, KC_EINVALID); /* upstream keeps it; k8c cannot hold it */
            continue;
        }
        assert_int_equal(rc, 0);
        if (q.verbatim != cases[i].verbatim)
            fail_msg("%s: expected verbatim %d", cases[i].in, cases[i].verbatim);
    }
    /* arithmetic results are never verbatim */
    struct kc_quantity a, b, c;
    assert_int_equal(kc_quantity_parse("+5", &a, NULL, 0), 0);
    assert_int_equal(kc_quantity_parse("0", &b, NULL, 0), 0);
    assert_int_equal(kc_quantity_add(&a, &b, &c), 0);
    assert_false(c.verbatim);
}

static void
test_cmp_add_sub(void **state)
{
    (void)state;
    static const struct {
        const char *x, *y;
        int cmp;
    } cmps[] = {
        { "0", "0", 0 },         { "100m", "50m", 1 }, { "50m", "100m", -1 }, { "1000T", "100Gi", 1 },
        { "1Ki", "1024", 0 },    { "1k", "1Ki", -1 },  { "-1", "1m", -1 },    { "1e3", "1k", 0 },
        { "0.5Gi", "512Mi", 0 }, { "1n", "1u", 0 }, /* both round to 1m */
    };
    for (size_t i = 0; i < sizeof(cmps) / sizeof(cmps[0]); i++) {
        struct kc_quantity x, y;
        assert_int_equal(kc_quantity_parse(cmps[i].x, &x, NULL, 0), 0);
        assert_int_equal(kc_quantity_parse(cmps[i].y, &y, NULL, 0), 0);
        if (kc_quantity_cmp(&x, &y) != cmps[i].cmp || kc_quantity_cmp(&y, &x) != -cmps[i].cmp)
            fail_msg("cmp(%s, %s) != %d", cmps[i].x, cmps[i].y, cmps[i].cmp);
    }

    /* TestQuantityAddZeroPreservesSuffix / TestQuantitySubZeroPreservesSuffix */
    static const char *const values[] = { "100m", "1Gi" };
    char buf[KC_QUANTITY_STRLEN];
    struct kc_quantity zero, v, r;
    assert_int_equal(kc_quantity_parse("0", &zero, NULL, 0), 0);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(kc_quantity_parse(values[i], &v, NULL, 0), 0);
        assert_int_equal(kc_quantity_add(&v, &zero, &r), 0);
        assert_string_equal(kc_quantity_string(&r, buf), values[i]);
        assert_int_equal(kc_quantity_add(&zero, &v, &r), 0);
        assert_string_equal(kc_quantity_string(&r, buf), values[i]);
        assert_int_equal(kc_quantity_sub(&v, &zero, &r), 0);
        assert_string_equal(kc_quantity_string(&r, buf), values[i]);
        assert_int_equal(kc_quantity_sub(&zero, &v, &r), 0);
        char neg[KC_QUANTITY_STRLEN + 1];
        snprintf(neg, sizeof(neg), "-%s", values[i]);
        assert_string_equal(kc_quantity_string(&r, buf), neg);
    }

    /* format of a sum is the first operand's; adding in place */
    struct kc_quantity a, b;
    assert_int_equal(kc_quantity_parse("1Gi", &a, NULL, 0), 0);
    assert_int_equal(kc_quantity_parse("512Mi", &b, NULL, 0), 0);
    assert_int_equal(kc_quantity_add(&a, &b, &a), 0);
    assert_string_equal(kc_quantity_string(&a, buf), "1536Mi");
    assert_int_equal(kc_quantity_parse("100m", &a, NULL, 0), 0);
    assert_int_equal(kc_quantity_parse("1Ki", &b, NULL, 0), 0);
    assert_int_equal(kc_quantity_add(&a, &b, &r), 0);
    assert_string_equal(kc_quantity_string(&r, buf), "1024100m");
    assert_int_equal(kc_quantity_sub(&b, &b, &r), 0);
    assert_int_equal(r.milli, 0);
    assert_string_equal(kc_quantity_string(&r, buf), "0");

    /* overflow leaves *out alone */
    struct kc_quantity max, one, neg_max;
    assert_int_equal(kc_quantity_from_milli(INT64_MAX, DSI, &max), 0);
    assert_int_equal(kc_quantity_from_milli(1, DSI, &one), 0);
    assert_int_equal(kc_quantity_from_milli(-INT64_MAX, DSI, &neg_max), 0);
    r.milli = 5;
    assert_int_equal(kc_quantity_add(&max, &one, &r), KC_EINVALID);
    assert_int_equal(kc_quantity_sub(&neg_max, &one, &r), KC_EINVALID); /* would be INT64_MIN */
    assert_int_equal(kc_quantity_sub(&one, &neg_max, &r), KC_EINVALID);
    assert_int_equal(r.milli, 5);
    assert_int_equal(kc_quantity_sub(&max, &one, &r), 0);
    assert_int_equal(r.milli, INT64_MAX - 1);
}

static void
test_constructors_and_values(void **state)
{
    (void)state;
    struct kc_quantity q;
    char buf[KC_QUANTITY_STRLEN];

    assert_int_equal(kc_quantity_from_milli(INT64_MIN, DSI, &q), KC_EINVALID);
    assert_int_equal(kc_quantity_from_value(9223372036854775LL, DSI, &q), 0);
    assert_int_equal(q.milli, 9223372036854775000LL);
    assert_int_equal(kc_quantity_from_value(9223372036854776LL, DSI, &q), KC_EINVALID);
    assert_int_equal(kc_quantity_from_value(-9223372036854776LL, DSI, &q), KC_EINVALID);
    assert_int_equal(kc_quantity_from_value(64 * MI, BSI, &q), 0);
    assert_string_equal(kc_quantity_string(&q, buf), "64Mi");
    assert_int_equal(kc_quantity_from_value(2 * GI + 512 * MI, BSI, &q), 0);
    assert_string_equal(kc_quantity_string(&q, buf), "2560Mi");
    assert_int_equal(kc_quantity_from_value(3 * TI, BSI, &q), 0);
    assert_string_equal(kc_quantity_string(&q, buf), "3Ti");
    assert_int_equal(kc_quantity_from_value(PI + KI, BSI, &q), 0);
    assert_string_equal(kc_quantity_string(&q, buf), "1099511627777Ki");
    assert_int_equal(kc_quantity_from_value(4, DEX, &q), 0);
    assert_string_equal(kc_quantity_string(&q, buf), "4");
    assert_int_equal(kc_quantity_from_milli(1500, (enum kc_quantity_format)99, &q), 0);
    assert_string_equal(kc_quantity_string(&q, buf), "1500e-3"); /* unknown format prints as DecimalExponent */

    static const struct {
        const char *in;
        int64_t value, milli;
    } values[] = {
        { "100m", 1, 100 }, { "1.5", 2, 1500 },    { "-1.5", -2, -1500 }, { "1Ki", 1024, 1024000 },
        { "0.0001", 1, 1 }, { "-0.0001", -1, -1 }, { "0", 0, 0 },         { "2", 2, 2000 },
        { "1n", 1, 1 },     { "999m", 1, 999 },    { "1001m", 2, 1001 },  { "-1001m", -2, -1001 },
    };
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        assert_int_equal(kc_quantity_parse(values[i].in, &q, NULL, 0), 0);
        if (kc_quantity_value(&q) != values[i].value || kc_quantity_milli_value(&q) != values[i].milli)
            fail_msg("%s: value %lld milli %lld", values[i].in, (long long)kc_quantity_value(&q),
                     (long long)kc_quantity_milli_value(&q));
    }
    assert_string_equal(kc_quantity_format_name(DSI), "DecimalSI");
    assert_string_equal(kc_quantity_format_name(BSI), "BinarySI");
    assert_string_equal(kc_quantity_format_name(DEX), "DecimalExponent");
    assert_string_equal(kc_quantity_format_name((enum kc_quantity_format)7), "");
}

static void
test_from_json(void **state)
{
    (void)state;
    struct kc_quantity q;
    char buf[KC_QUANTITY_STRLEN], err[256];
    json_t *v;

    v = json_string(" 1Gi\t");
    assert_int_equal(kc_quantity_from_json(v, &q, NULL, 0), 0);
    assert_string_equal(kc_quantity_string(&q, buf), "1Gi");
    json_decref(v);
    v = json_integer(5);
    assert_int_equal(kc_quantity_from_json(v, &q, NULL, 0), 0);
    assert_int_equal(q.milli, 5000);
    assert_true(q.verbatim);
    json_decref(v);
    v = json_integer(2000);
    assert_int_equal(kc_quantity_from_json(v, &q, NULL, 0), 0);
    assert_string_equal(kc_quantity_string(&q, buf), "2k");
    json_decref(v);
    v = json_real(0.5);
    assert_int_equal(kc_quantity_from_json(v, &q, NULL, 0), 0);
    assert_string_equal(kc_quantity_string(&q, buf), "500m");
    json_decref(v);
    v = json_real(0.1);
    assert_int_equal(kc_quantity_from_json(v, &q, NULL, 0), 0);
    assert_string_equal(kc_quantity_string(&q, buf), "100m");
    json_decref(v);
    v = json_string("1e3");
    assert_int_equal(kc_quantity_from_json(v, &q, NULL, 0), 0);
    assert_int_equal(q.format, DEX);
    json_decref(v);
    assert_int_equal(kc_quantity_from_json(NULL, &q, NULL, 0), 0);
    assert_int_equal(q.milli, 0);
    v = json_null();
    assert_int_equal(kc_quantity_from_json(v, &q, NULL, 0), 0);
    assert_int_equal(q.milli, 0);
    json_decref(v);
    v = json_object();
    assert_int_equal(kc_quantity_from_json(v, &q, err, sizeof(err)), KC_EPARSE);
    assert_string_equal(err, "quantity must be a string or a number");
    json_decref(v);
    v = json_true();
    assert_int_equal(kc_quantity_from_json(v, &q, NULL, 0), KC_EPARSE);
    json_decref(v);
    v = json_string("1 Gi");
    assert_int_equal(kc_quantity_from_json(v, &q, err, sizeof(err)), KC_EPARSE);
    assert_string_equal(err, ERR_FORMAT);
    json_decref(v);
    v = json_stringn("1\0", 2);
    assert_int_equal(kc_quantity_from_json(v, &q, NULL, 0), KC_EPARSE);
    json_decref(v);
}

/* Long inputs: the digit loops are linear and a long binary fraction takes the heap path. */
static void
test_long_inputs_and_alloc_failure(void **state)
{
    (void)state;
    char in[4096];
    struct kc_quantity q;
    char buf[KC_QUANTITY_STRLEN];

    /* 0.000...0001 with 3000 zeros: 1m */
    strcpy(in, "0.");
    memset(in + 2, '0', 3000);
    strcpy(in + 3002, "1");
    assert_int_equal(kc_quantity_parse(in, &q, NULL, 0), 0);
    assert_int_equal(q.milli, 1);
    /* 3000 leading zeros before 5: still 5 */
    memset(in, '0', 3000);
    strcpy(in + 3000, "5");
    assert_int_equal(kc_quantity_parse(in, &q, NULL, 0), 0);
    assert_int_equal(q.milli, 5000);
    assert_true(q.verbatim); /* upstream keeps "000...05" as its String() */

    /* 0.111...1Ki with 200 ones = 1024/9 minus a little = 113.777...: 113778m */
    strcpy(in, "0.");
    memset(in + 2, '1', 200);
    strcpy(in + 202, "Ki");
    assert_int_equal(kc_quantity_parse(in, &q, NULL, 0), 0);
    assert_int_equal(q.milli, 113778);
    assert_int_equal(q.format, BSI);
    assert_string_equal(kc_quantity_string(&q, buf), "113778m");

    kc_fault_arm(KC_FAULT_ALLOC, 1, ENOMEM, false);
    assert_int_equal(kc_quantity_parse(in, &q, NULL, 0), -ENOMEM);
    kc_fault_disarm(KC_FAULT_ALLOC);
    assert_int_equal(kc_quantity_parse(in, &q, NULL, 0), 0);

    /* 0.5Ki with 150 trailing zeros is exact and needs no buffer */
    strcpy(in, "0.5");
    memset(in + 3, '0', 150);
    strcpy(in + 153, "Ki");
    kc_fault_arm(KC_FAULT_ALLOC, 1, ENOMEM, true);
    assert_int_equal(kc_quantity_parse(in, &q, NULL, 0), 0);
    kc_fault_disarm(KC_FAULT_ALLOC);
    assert_int_equal(q.milli, 512000);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_string_table),
        cmocka_unit_test(test_parse_emit),
        cmocka_unit_test(test_verbatim),
        cmocka_unit_test(test_cmp_add_sub),
        cmocka_unit_test(test_constructors_and_values),
        cmocka_unit_test(test_from_json),
        cmocka_unit_test(test_long_inputs_and_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
