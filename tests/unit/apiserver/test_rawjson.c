/* test_rawjson.c - the stored-bytes paths (apiserver/rawjson.c) against the parsing path they stand in for: what
 * the scanner accepts jansson accepts (a corpus of edge cases and 30,000 seeded mutations of real objects), the
 * fast parser builds jansson's own tree and the fast encoder writes jansson's own bytes, items
 * and Table metadata assembled in place equal the parsed objects, lookups equal kc_json_get, and selectors decided
 * on the bytes equal api_selectors_match on the parsed object; plus out-of-memory in the output buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "api_rawjson.h"
#include "kc_sb.h"
#include "api_store.h"
#include "kc_fault.h"
#include "kc_json.h"
#include "kc_selector.h"

/* What the parsing path (store.c's decode) makes of text: the object with resourceVersion rev, or NULL. */
static json_t *
parsed(const char *text, size_t len, int64_t rev)
{
    json_t *o;
    return api_obj_decode(text, len, rev, &o) == 0 ? o : NULL;
}

static struct api_raw_shape sh;

/* The fast parser gives jansson's tree, member order and duplicates' places included, or nothing. */
static void
check_parse(const char *text, size_t len)
{
    for (int rej = 0; rej < 2; rej++) {
        json_t *fast = api_raw_parse(text, len, rej);
        json_t *slow = json_loadb(text, len, JSON_DECODE_ANY | (rej ? JSON_REJECT_DUPLICATES : 0), NULL);
        if (!fast) {
            json_decref(slow);
            continue;
        }
        if (!slow)
            fail_msg("parsed fast, refused by jansson (duplicates %s): %.*s", rej ? "refused" : "kept", (int)len, text);
        char *a = json_dumps(fast, JSON_COMPACT | JSON_ENCODE_ANY),
             *b = json_dumps(slow, JSON_COMPACT | JSON_ENCODE_ANY);
        if (strcmp(a, b) != 0)
            fail_msg("%.*s\n  fast:    %s\n  jansson: %s", (int)len, text, a, b);
        size_t clen;
        char *c = api_raw_dumps(slow, &clen); /* the fast encoder writes jansson's bytes */
        if (!c || strcmp(c, b) != 0 || clen != strlen(b))
            fail_msg("%.*s\n  encoded: %s\n  jansson: %s", (int)len, text, c ? c : "(null)", b);
        free(c);
        free(a);
        free(b);
        json_decref(fast);
        json_decref(slow);
    }
}

/* Checks the contract on one text: accepted in place => the parser accepts it, and every product of the
 * shape equals the parsed object's. Returns whether the shape accepted it. */
static bool
check_text(const char *text, size_t len)
{
    check_parse(text, len);
    json_t *p = parsed(text, len, 42);
    if (api_raw_shape(text, len, &sh) != 0) {
        json_decref(p);
        return false;
    }
    if (!p)
        fail_msg("accepted in place, refused by the parser: %.*s", (int)len, text);
    for (int keep = 0; keep < 2; keep++) {
        struct api_rawbuf b = { 0 };
        api_raw_object(&b, &sh, 42, keep);
        assert_false(b.oom);
        /* duplicates below the top level and metadata pass through as stored: read them as the parser does
         * (the last one wins), as clients do */
        json_t *got = json_loadb(b.p, b.len, 0, NULL);
        json_t *want = json_deep_copy(p);
        if (!keep) {
            json_object_del(want, "kind");
            json_object_del(want, "apiVersion");
        }
        if (!got || !kc_json_equal(got, want)) {
            char *w = json_dumps(want, JSON_COMPACT);
            fail_msg("item of %.*s\n  in place: %.*s\n  parsed:   %s", (int)len, text, (int)b.len, b.p, w);
        }
        json_decref(got);
        json_decref(want);
        free(b.p);
    }
    struct api_rawbuf b = { 0 };
    api_raw_meta(&b, &sh, 42);
    json_t *got = json_loadb(b.p, b.len, 0, NULL);
    json_t *want = json_deep_copy(json_object_get(p, "metadata"));
    json_object_del(want, "managedFields");
    if (!got || !kc_json_equal(got, want))
        fail_msg("metadata of %.*s: %.*s", (int)len, text, (int)b.len, b.p);
    json_decref(got);
    json_decref(want);
    free(b.p);
    json_decref(p);
    return true;
}

static void
must_accept(const char *text)
{
    if (!check_text(text, strlen(text)))
        fail_msg("not handled in place: %s", text);
}

static void
must_refuse(const char *text)
{
    check_parse(text, strlen(text));
    if (api_raw_shape(text, strlen(text), &sh) == 0)
        fail_msg("handled in place, should not be: %s", text);
}

static void
test_scanner_is_as_strict_as_jansson(void **state)
{
    (void)state;
    must_accept("{}");
    must_accept(" {\"metadata\":{}} \n\t\r");
    must_accept("{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"9\"},"
                "\"spec\":{\"x\":[1,-2,3.5,-0.25e-3,1E+2,0,-0,true,false,null,\"\",{},[]]}}");
    must_accept("{\"a\":\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0001 \\u00e9 \\uFFFF \\ud83d\\ude00\"}");
    must_accept("{\"a\":\"\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf \xed\x9f\xbf\"}");
    must_accept("{\"n\":-9223372036854775808,\"m\":9223372036854775807,\"r\":1.7976931348623157e308}");
    must_accept("{\"r\":1e-400}"); /* underflow is 0 for jansson too */
    must_accept("{\"metadata\":{\"managedFields\":[{\"manager\":\"x\"}],\"name\":\"m\"}}");
    /* refused by jansson: must be refused here */
    static const char *const bad[] = {
        "",
        "[]",
        "\"x\"",
        "1",
        "{",
        "{}}",
        "{} x",
        "{\"a\"}",
        "{\"a\" 1}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{,}",
        "{\"a\":1 \"b\":2}",
        "{\"a\":[1,]}",
        "{\"a\":[1 2]}",
        "{\"a\":tru}",
        "{\"a\":truex}",
        "{\"a\":nul}",
        "{\"a\":01}",
        "{\"a\":1.}",
        "{\"a\":.5}",
        "{\"a\":-}",
        "{\"a\":1e}",
        "{\"a\":1e+}",
        "{\"a\":+1}",
        "{\"a\":0x1}",
        "{\"a\":9223372036854775808}",
        "{\"a\":-9223372036854775809}",
        "{\"a\":1e400}",
        "{\"a\":-1e400}",
        "{\"a\":\"\\u0000\"}",
        "{\"a\":\"\\ud83d\"}",
        "{\"a\":\"\\ude00\"}",
        "{\"a\":\"\\ud83d\\u0041\"}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12\"}",
        "{\"a\":\"\x01\"}",
        "{\"a\":\"\n\"}",
        "{\"a\":\"\xc0\x80\"}",
        "{\"a\":\"\xc3\"}",
        "{\"a\":\"\x80\"}",
        "{\"a\":\"\xed\xa0\x80\"}",
        "{\"a\":\"\xf4\x90\x80\x80\"}",
        "{\"a\":\"\xf8\x88\x80\x80\x80\"}",
        "{\"a\":\"\xe0\x80\xaf\"}",
        "{\"a\":\"b}",
        "{\"a\":\"b\\\"}",
        "{'a':1}",
        "\xef\xbb\xbf{}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *p = parsed(bad[i], strlen(bad[i]), 1);
        if (p)
            fail_msg("the corpus is wrong: jansson accepts %s", bad[i]);
        must_refuse(bad[i]);
    }
    /* accepted by jansson, but not rewritten in place (the caller parses these) */
    must_refuse("{\"kin\\u0064\":\"Pod\"}");                         /* an escaped key at the top */
    must_refuse("{\"metadata\":{\"resourceVers\\u0069on\":\"1\"}}"); /* ... or in metadata */
    must_refuse("{\"a\":1,\"a\":2}");                                /* a duplicate member at the top */
    must_refuse("{\"metadata\":{\"name\":\"a\",\"name\":\"b\"}}");   /* ... or in metadata */
    must_refuse("{\"metadata\":{},\"metadata\":{\"name\":\"f\"}}");  /* ... metadata itself */
    must_refuse("{\"metadata\":\"e\"}");                             /* metadata not an object: 500 */
    must_refuse("{\"metadata\":null}");
    char deep[300];
    size_t k = 0;
    deep[k++] = '{';
    deep[k++] = '"';
    deep[k++] = 'a';
    deep[k++] = '"';
    deep[k++] = ':';
    for (int i = 0; i < API_RAW_DEPTH + 2; i++)
        deep[k++] = '[';
    for (int i = 0; i < API_RAW_DEPTH + 2; i++)
        deep[k++] = ']';
    deep[k++] = '}';
    deep[k] = '\0';
    must_refuse(deep); /* deeper than handled in place (jansson takes it) */
    char wide[4096];
    int off = snprintf(wide, sizeof(wide), "{");
    for (int i = 0; i <= API_RAW_MEMBERS; i++)
        off += snprintf(wide + off, sizeof(wide) - (size_t)off, "%s\"k%d\":%d", i ? "," : "", i, i);
    snprintf(wide + off, sizeof(wide) - (size_t)off, "}");
    must_refuse(wide);
}

static void
test_fast_parse_is_jansson(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "{}",
        "[]",
        "1",
        "-0",
        "1.5e3",
        "\"x\"",
        "true",
        "null",
        " [1,{\"a\":[]},\"\\u00e9\\ud83d\\ude00\"] ",
        "{\"a\":1,\"b\":2,\"a\":3}",
        "{\"k\\u0065y\":\"v\\n\\t\\\"\",\"key\":1}",
        "{\"long\":\"0123456789012345678901234567890123456789012345678901234567890123456789\\n0123456789\"}",
        "{\"n\":[9223372036854775807,-9223372036854775808,1e-400,0.1,1E2]}",
        /* integers of up to 18 digits are read here, longer ones by strtoll */
        "[999999999999999999,-999999999999999999,1000000000000000000,-1000000000000000000,123456789012345678,7,-7,0]",
        "[0.0,-0.0,1.5,1e300,-1e-300,1.2345678901234567e29,1e21,1e-7,3.14159265358979,2.5e-5,100.0]",
        "\"\\u0001\\u001f\\u007f\\b\\f\\n\\r\\t\\\"\\\\\\/\u00e9\"",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        json_t *fast = api_raw_parse(texts[i], strlen(texts[i]), false);
        if (!fast)
            fail_msg("not parsed fast: %s", texts[i]);
        json_decref(fast);
        check_parse(texts[i], strlen(texts[i]));
    }
    /* a long key and a long escaped string take the heap */
    char big[1200];
    int off = snprintf(big, sizeof(big), "{\"");
    for (int i = 0; i < 300; i++)
        big[off++] = 'k';
    off += snprintf(big + off, sizeof(big) - (size_t)off, "\":\"");
    for (int i = 0; i < 300; i++)
        off += snprintf(big + off, sizeof(big) - (size_t)off, "\\n");
    snprintf(big + off, sizeof(big) - (size_t)off, "\"}");
    check_parse(big, strlen(big));
    json_t *v = api_raw_parse(big, strlen(big), false);
    assert_non_null(v);
    assert_int_equal(json_string_length(json_object_iter_value(json_object_iter(v))), 300);
    json_decref(v);
    assert_null(api_raw_parse("{\"a\":1,\"a\":2}", 13, true)); /* duplicates refused when asked */
    assert_null(api_raw_parse("{\"a\":1} x", 10, false));
    assert_null(api_raw_parse(NULL, 0, false));
    kc_fault_arm(KC_FAULT_ALLOC, 1, 0, true);
    assert_null(api_raw_parse(big, strlen(big), false)); /* the escaped string's buffer */
    kc_fault_disarm(KC_FAULT_ALLOC);
}

/* Realistic stored objects (as the server writes them, and as others might). */
static const char *const objects[] = {
    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web-1\",\"namespace\":\"default\","
    "\"uid\":\"u1\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\",\"labels\":{\"app\":\"web\",\"tier\":\"a\"},"
    "\"annotations\":{\"q\":\"\\\"metadata\\\":{\\\"labels\\\":{}}\"},\"managedFields\":[{\"manager\":\"kubectl\"}]},"
    "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"c\",\"image\":\"busybox\",\"ports\":[{\"containerPort\":"
    "80}]}],\"restartPolicy\":\"Always\"},\"status\":{\"phase\":\"Running\",\"podIP\":\"10.0.0.1\"}}",
    "{\"metadata\":{\"name\":\"cm\",\"namespace\":\"ns\",\"labels\":{\"a\\u0062\":\"x\",\"app\":\"db\"}},\"data\":{"
    "\"k\":\"\xc3\xa9\xe4\xb8\xad\\n\"}}",
    " { \"spec\" : { \"nodeName\" : \"n2\" , \"nodeName\" : \"n3\" } , \"metadata\" : { \"name\" : \"dup\" } ,"
    " \"status\" : { \"phase\" : 7 } } ",
    "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"arr\",\"labels\":{\"x\":\"1\",\"x\":\"2\"}},\"spec\":[1,2],"
    "\"status\":{\"phase\":null}}",
    "{\"kind\":\"Event\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"ev\"},\"source\":{\"component\":\"k\"},"
    "\"involvedObject\":{\"name\":\"p\"},\"reportingComponent\":\"\"}",
    "{\"data\":{\"a\":\"b\"},\"spec\":{\"nodeName\":{\"x\":1}},\"status\":\"s\"}",
    "{\"metadata\":{\"name\":\"esc\"},\"spec\":{\"node\\u004eame\":\"n1\"},\"status\":{\"phase\":1.5}}",
    "{\"kind\":\"Ev\\u0065nt\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"ev2\"},\"source\":{\"component\":\"k\"}}",
};
#define NOBJECTS (sizeof(objects) / sizeof(objects[0]))

static void
test_items_and_metadata_equal_the_parsed_objects(void **state)
{
    (void)state;
    for (size_t i = 0; i < NOBJECTS; i++)
        must_accept(objects[i]);
}

static void
test_lookups_equal_kc_json_get(void **state)
{
    (void)state;
    static const char *const paths[] = { "metadata.name",
                                         "metadata.labels",
                                         "metadata.labels.app",
                                         "metadata",
                                         "spec.nodeName",
                                         "spec.containers",
                                         "status.phase",
                                         "status.podIP",
                                         "data.a",
                                         "source.component",
                                         "spec",
                                         "kind",
                                         "nope",
                                         "metadata.nope",
                                         "spec.nodeName.x",
                                         "status.phase.deeper" };
    int answered = 0, unsure = 0;
    for (size_t i = 0; i < NOBJECTS; i++) {
        assert_int_equal(api_raw_shape(objects[i], strlen(objects[i]), &sh), 0);
        json_t *p = parsed(objects[i], strlen(objects[i]), 42);
        for (size_t k = 0; k < sizeof(paths) / sizeof(paths[0]); k++) {
            size_t vs, ve;
            int r = api_raw_get(&sh, paths[k], &vs, &ve);
            const json_t *want = kc_json_get(p, paths[k]);
            if (r < 0) {
                unsure++;
                continue;
            }
            answered++;
            if (r == 0) {
                if (want && strcmp(paths[k], "metadata") != 0)
                    fail_msg("%s in %s: absent in place, present parsed", paths[k], objects[i]);
                continue;
            }
            json_t *got = json_loadb(objects[i] + vs, ve - vs, JSON_DECODE_ANY, NULL);
            /* metadata differs by the injected resourceVersion only */
            if (strcmp(paths[k], "metadata") != 0 && (!want || !kc_json_equal(got, want)))
                fail_msg("%s in %s: %.*s", paths[k], objects[i], (int)(ve - vs), objects[i] + vs);
            json_decref(got);
        }
        json_decref(p);
    }
    assert_true(answered > 80);
    assert_true(unsure > 0 && unsure < 10); /* the arrays and escaped keys on the way */
    assert_int_equal(api_raw_get(&sh, "a\\.b", &(size_t){ 0 }, &(size_t){ 0 }), -1);
    assert_int_equal(api_raw_get(&sh, "spec.[0]", &(size_t){ 0 }, &(size_t){ 0 }), -1);
    assert_int_equal(api_raw_get(&sh, "", &(size_t){ 0 }, &(size_t){ 0 }), -1);
    assert_true(api_raw_top_string_is(&sh, "kind", "Event") == false);
    assert_int_equal(api_raw_shape(objects[4], strlen(objects[4]), &sh), 0);
    assert_true(api_raw_top_string_is(&sh, "kind", "Event"));
    assert_false(api_raw_top_string_is(&sh, "kind", "Even"));
    assert_false(api_raw_top_string_is(&sh, "metadata", "Event"));
}

static void
test_selectors_equal_api_selectors_match(void **state)
{
    (void)state;
    static const char *const labels[] = {
        NULL,  "app=web",        "app!=web", "app in (web,db)", "tier notin (a)", "app", "!app", "ab=x",
        "x=2", "app=web,tier=a", "x",        "nope=nope"
    };
    static const char *const fields[] = { NULL,
                                          "metadata.name=web-1",
                                          "metadata.name!=web-1",
                                          "spec.nodeName=n1",
                                          "spec.nodeName=n3",
                                          "spec.nodeName=",
                                          "spec.nodeName!=n2",
                                          "status.phase=Running",
                                          "status.phase=7",
                                          "status.phase=1.5",
                                          "status.phase=",
                                          "metadata.namespace=default,status.phase!=x",
                                          "source=k",
                                          "involvedObject.name=p" };
    int decided = 0, undecided = 0;
    for (size_t i = 0; i < NOBJECTS; i++) {
        json_t *p = parsed(objects[i], strlen(objects[i]), 42);
        assert_int_equal(api_raw_shape(objects[i], strlen(objects[i]), &sh), 0);
        for (size_t a = 0; a < sizeof(labels) / sizeof(labels[0]); a++) {
            for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
                struct kc_label_selector *ls = NULL;
                struct kc_field_selector *fs = NULL;
                if (labels[a])
                    assert_int_equal(kc_label_selector_parse(labels[a], &ls, NULL, 0), 0);
                if (fields[f])
                    assert_int_equal(kc_field_selector_parse(fields[f], &fs, NULL, 0), 0);
                int r = api_raw_selectors_match(ls, fs, &sh);
                bool want = api_selectors_match(ls, fs, p);
                if (r < 0) {
                    undecided++;
                } else {
                    decided++;
                    if ((r == 1) != want)
                        fail_msg("labels %s fields %s on %s: in place %d, parsed %d", labels[a] ? labels[a] : "-",
                                 fields[f] ? fields[f] : "-", objects[i], r, want);
                }
                kc_label_selector_free(ls);
                kc_field_selector_free(fs);
            }
        }
        json_decref(p);
    }
    /* the Event's field selectors and the lookups through arrays and escaped keys are left to the parser */
    assert_true(decided > 400);
    assert_true(undecided > 0 && undecided < decided);
}

/* A small deterministic generator (xorshift). */
static uint64_t seed = 0x9e3779b97f4a7c15ULL;

static uint64_t
next_rand(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

static void
test_mutations_never_accept_what_jansson_refuses(void **state)
{
    (void)state;
    static const char alphabet[] = "{}[]\":,\\ 0123456789-+.eEtrufalsn\x01\x7f\x80\xc3\xa9\xed\xf4u";
    char buf[2048];
    int accepted = 0, refused = 0;
    for (int iter = 0; iter < 30000; iter++) {
        const char *src = objects[next_rand() % NOBJECTS];
        size_t len = strlen(src);
        memcpy(buf, src, len);
        int edits = 1 + (int)(next_rand() % 3);
        for (int e = 0; e < edits && len > 0; e++) {
            size_t at = next_rand() % len;
            switch (next_rand() % 4) {
            case 0: /* replace a byte */
                buf[at] = alphabet[next_rand() % (sizeof(alphabet) - 1)];
                break;
            case 1: /* delete one */
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
                break;
            case 2: /* insert one */
                if (len + 1 < sizeof(buf)) {
                    memmove(buf + at + 1, buf + at, len - at);
                    buf[at] = alphabet[next_rand() % (sizeof(alphabet) - 1)];
                    len++;
                }
                break;
            default: /* truncate */
                len = at;
                break;
            }
        }
        if (check_text(buf, len))
            accepted++;
        else
            refused++;
    }
    assert_true(accepted > 1000 && refused > 1000); /* both sides of the contract were exercised */
}

/* The encoder's strings, 16 bytes at a time where nothing needs an escape: one character of each kind at every
 * place of strings up to 48 bytes, against jansson. */
static void
test_dump_strings(void **state)
{
    (void)state;
    static const char *const specials[] = { "\"", "\\", "\n", "\x01", "\x1f", "\x7f", " ", "\xc3\xa9", "/" };
    for (size_t k = 0; k < sizeof(specials) / sizeof(specials[0]); k++) {
        for (size_t n = 0; n <= 48; n++) {
            for (size_t at = 0; at <= n; at++) {
                char buf[64];
                size_t len = 0;
                for (size_t i = 0; i < n; i++) {
                    if (i == at)
                        for (const char *c = specials[k]; *c; c++)
                            buf[len++] = *c;
                    buf[len++] = (char)('a' + i % 26);
                }
                json_t *v = json_stringn(buf, len);
                assert_non_null(v);
                char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY), *got = api_raw_dumps(v, NULL);
                if (!want || !got || strcmp(want, got) != 0)
                    fail_msg("special %zu at %zu of %zu:\n  got  %s\n  want %s", k, at, n, got, want);
                free(want);
                free(got);
                json_decref(v);
            }
        }
    }
}

/* The same member spans (the texts they point into may differ). */
static void
assert_same_shape(const struct api_raw_shape *got, const struct api_raw_shape *want)
{
    assert_int_equal(got->n, want->n);
    assert_int_equal(got->ntop, want->ntop);
    assert_int_equal(got->nmeta, want->nmeta);
    assert_int_equal(got->meta, want->meta);
    assert_memory_equal(got->top, want->top, want->ntop * sizeof(want->top[0]));
    assert_memory_equal(got->meta_m, want->meta_m, want->nmeta * sizeof(want->meta_m[0]));
}

/* api_raw_dumps_shape writes api_raw_dumps' bytes and, when it says so, the shape api_raw_shape finds in them;
 * when it does not, api_raw_shape refuses them. */
static void
check_dump_shape(const json_t *v)
{
    static struct api_raw_shape got;
    bool shaped = true;
    size_t len = 0, want_len = 0;
    char *text = api_raw_dumps_shape(v, &len, &got, &shaped);
    char *want = api_raw_dumps(v, &want_len);
    assert_non_null(text);
    assert_non_null(want);
    assert_int_equal(len, want_len);
    assert_string_equal(text, want);
    int scanned = api_raw_shape(want, want_len, &sh);
    if (!shaped) {
        if (scanned == 0)
            fail_msg("not shaped, but api_raw_shape takes it: %s", want);
    } else {
        if (scanned != 0)
            fail_msg("shaped, but api_raw_shape refuses it: %s", want);
        assert_ptr_equal(got.s, text);
        assert_same_shape(&got, &sh);
    }
    free(text);
    free(want);
    /* with managedFields as text: the bytes of v with them set as metadata's last member, and the shape of those
     * (which may be refused where the text's nesting is unknown: never wrongly given) */
    const json_t *meta = json_object_get(v, "metadata");
    if (!json_is_object(v) || !json_is_object(meta) || json_object_get(meta, "managedFields")) {
        assert_null(api_raw_dumps_shape_managed(v, "[]", 2, &len, &got, &shaped));
        return;
    }
    static const char managed[] =
        "[{\"manager\":\"m\",\"fieldsV1\":{\"f:metadata\":{\"f:name\":{}},\"k:{\\\"a\\\":1}\":{}}}]";
    json_t *with = json_deep_copy(v);
    json_object_set_new(json_object_get(with, "metadata"), "managedFields", json_loads(managed, 0, NULL));
    want = api_raw_dumps(with, &want_len);
    text = api_raw_dumps_shape_managed(v, managed, strlen(managed), &len, &got, &shaped);
    assert_non_null(text);
    assert_non_null(want);
    assert_string_equal(text, want);
    assert_int_equal(len, want_len);
    if (shaped) {
        assert_int_equal(api_raw_shape(want, want_len, &sh), 0);
        assert_same_shape(&got, &sh);
    }
    free(text);
    free(want);
    json_decref(with);
}

static void
test_dump_with_shape(void **state)
{
    (void)state;
    for (size_t i = 0; i < NOBJECTS; i++) {
        json_t *v = json_loads(objects[i], 0, NULL);
        assert_non_null(v);
        check_dump_shape(v);
        json_decref(v);
    }
    static const char *const texts[] = {
        "{}",
        "{\"metadata\":{}}",
        "{\"metadata\":5,\"a\":1}", /* metadata not an object */
        "{\"metadata\":[1]}",
        "{\"a\\\"b\":1,\"metadata\":{}}",          /* a key that needs an escape, at the top */
        "{\"metadata\":{\"x\\ny\":1}}",            /* in metadata */
        "{\"spec\":{\"a\\ny\":1}}",                /* deeper: no matter */
        "{\"metadata\":{\"name\":\"a\\u0000b\"}}", /* a NUL in a string */
        "[1,2]",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        json_t *v = json_loads(texts[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        assert_non_null(v);
        check_dump_shape(v);
        json_decref(v);
    }
    /* members: API_RAW_MEMBERS at the top and in metadata are taken, one more is not */
    for (int extra = 0; extra < 2; extra++) {
        json_t *top = json_object(), *meta = json_object();
        json_object_set_new(top, "metadata", meta);
        for (int k = 0; k < API_RAW_MEMBERS - 1 + extra; k++) {
            char key[16];
            snprintf(key, sizeof(key), "k%d", k);
            json_object_set_new(top, key, json_integer(k));
            json_object_set_new(meta, key, json_integer(k));
        }
        json_object_set_new(meta, "last", json_true());
        check_dump_shape(top);
        json_decref(top);
    }
    /* nesting with managedFields as text: never shaped where api_raw_shape would refuse the text */
    for (int depth = API_RAW_DEPTH - 9; depth <= API_RAW_DEPTH; depth++) {
        /* spec {"x":{"x":...{"y":1}}} and its FieldsV1 {"f:spec":{"f:x":{"f:x":...{"f:y":{}}}}} */
        json_t *inner = json_pack("{s:i}", "y", 1);
        struct kc_sb mf = { 0 };
        kc_sb_str(&mf, "[{\"fieldsV1\":{\"f:spec\":");
        for (int d = 0; d < depth; d++) {
            json_t *o = json_object();
            json_object_set_new(o, "x", inner);
            inner = o;
            kc_sb_str(&mf, "{\"f:x\":");
        }
        kc_sb_str(&mf, "{\"f:y\":{}}");
        for (int d = 0; d < depth; d++)
            kc_sb_str(&mf, "}");
        kc_sb_str(&mf, "}}]");
        json_t *top = json_pack("{s:{s:s},s:o}", "metadata", "name", "n", "spec", inner);
        struct api_raw_shape got;
        bool shaped;
        size_t len;
        char *text = api_raw_dumps_shape_managed(top, mf.p, mf.len, &len, &got, &shaped);
        assert_non_null(text);
        if (shaped && api_raw_shape(text, len, &sh) != 0)
            fail_msg("depth %d: shaped, but api_raw_shape refuses it", depth);
        free(text);
        kc_sb_free(&mf);
        json_decref(top);
    }
    /* nesting: up to API_RAW_DEPTH levels in all */
    for (int depth = API_RAW_DEPTH - 2; depth <= API_RAW_DEPTH + 1; depth++) {
        json_t *inner = json_array();
        for (int d = 0; d < depth; d++) {
            json_t *o = json_object();
            json_object_set_new(o, "x", inner);
            inner = o;
        }
        check_dump_shape(inner);
        json_decref(inner);
    }
}

/* A big buffer given back is where the next big one starts (no fresh pages); one spare at most, the largest;
 * small buffers are freed. */
static void
test_spare_buffer(void **state)
{
    (void)state;
    const size_t big = 16u << 20;
    struct api_rawbuf a = { 0 };
    assert_true(api_rawbuf_reserve(&a, big));
    char *first = a.p;
    memset(a.p, 'x', 4096);
    api_rawbuf_free(a.p);
    struct api_rawbuf b = { 0 };
    assert_true(api_rawbuf_reserve(&b, big / 2)); /* fits in the spare: takes it */
    assert_ptr_equal(b.p, first);
    assert_true(b.cap >= big);
    struct api_rawbuf c = { 0 };
    assert_true(api_rawbuf_reserve(&c, big / 2)); /* the spare is taken: a new one */
    assert_ptr_not_equal(c.p, first);
    api_rawbuf_free(c.p); /* kept */
    api_rawbuf_free(b.p); /* larger: kept instead of c's */
    struct api_rawbuf d = { 0 };
    assert_true(api_rawbuf_reserve(&d, big));
    assert_ptr_equal(d.p, first);
    struct api_rawbuf e = { 0 };
    assert_true(api_rawbuf_reserve(&e, 4 * big)); /* more than the spare holds (none now): fresh */
    api_rawbuf_free(e.p);                         /* the larger one stays */
    struct api_rawbuf f = { 0 };
    assert_true(api_rawbuf_reserve(&f, 100)); /* small buffers never take the spare */
    assert_true(f.cap < big);
    api_rawbuf_free(f.p);
    api_rawbuf_free(d.p);
    api_rawbuf_free(NULL);
}

static void
test_out_of_memory(void **state)
{
    (void)state;
    assert_int_equal(api_raw_shape(objects[0], strlen(objects[0]), &sh), 0);
    struct api_rawbuf b = { 0 };
    kc_fault_arm(KC_FAULT_ALLOC, 1, 0, true);
    api_raw_object(&b, &sh, 1, false);
    api_rawbuf_add(&b, "x", 1);
    kc_fault_disarm(KC_FAULT_ALLOC);
    assert_true(b.oom);
    assert_null(b.p);
    assert_int_equal(b.len, 0);
    assert_false(api_rawbuf_reserve(&b, 1)); /* stays failed */
    struct api_rawbuf ok = { 0 };
    assert_true(api_rawbuf_reserve(&ok, 10));
    api_rawbuf_add(&ok, "0123456789", 10);
    assert_int_equal(ok.cap, 4096); /* room made once, not per add */
    kc_fault_arm(KC_FAULT_ALLOC, 1, 0, true);
    api_rawbuf_add(&ok, "more", 4); /* fits: no allocation */
    assert_false(ok.oom);
    char big[8192] = { 0 };
    api_rawbuf_add(&ok, big, sizeof(big)); /* must grow: fails, the bytes so far stay */
    kc_fault_disarm(KC_FAULT_ALLOC);
    assert_true(ok.oom);
    assert_int_equal(ok.len, 14);
    assert_memory_equal(ok.p, "0123456789more", 14);
    free(ok.p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scanner_is_as_strict_as_jansson),
        cmocka_unit_test(test_fast_parse_is_jansson),
        cmocka_unit_test(test_items_and_metadata_equal_the_parsed_objects),
        cmocka_unit_test(test_lookups_equal_kc_json_get),
        cmocka_unit_test(test_selectors_equal_api_selectors_match),
        cmocka_unit_test(test_mutations_never_accept_what_jansson_refuses),
        cmocka_unit_test(test_dump_strings),
        cmocka_unit_test(test_dump_with_shape),
        cmocka_unit_test(test_spare_buffer),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
