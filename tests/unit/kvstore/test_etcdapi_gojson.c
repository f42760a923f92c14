/* test_etcdapi_gojson.c - the gateway's JSON reader fails with Go's very texts: encoding/json syntax errors,
 * jsonpb type errors, Go's base64 offsets; and decodes strings as Go does. Expected texts are Go's (and were
 * checked against etcd 3.4.23's answers where the differential suite covers them). Also the daemon's other
 * pieces that need no store: responses written straight into a buffer are byte for byte the jansson tree's, and
 * kc_httpd's suspended requests as the daemon uses them (this executable links the daemon's library). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "gojson.h"
#include "kc_httpd.h"

static void
test_syntax_errors(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *err; /* NULL: parses; "EOF": only whitespace */
    } cases[] = {
        { "", "EOF" },
        { " \t\r\n", "EOF" },
        { "{", "unexpected EOF" },
        { "{\"a\"", "unexpected EOF" },
        { "{\"a\":", "unexpected EOF" },
        { "[1,", "unexpected EOF" },
        { "\"abc", "unexpected EOF" },
        { "x", "invalid character 'x' looking for beginning of value" },
        { "{a}", "invalid character 'a' looking for beginning of object key string" },
        { "{\"a\" 1}", "invalid character '1' after object key" },
        { "{\"a\":1 \"b\":2}", "invalid character '\"' after object key:value pair" },
        { "{\"a\":1,}", "invalid character '}' looking for beginning of object key string" },
        { "[1 2]", "invalid character '2' after array element" },
        { "[1,]", "invalid character ']' looking for beginning of value" },
        { "\"a\x01\"", "invalid character '\\x01' in string literal" },
        { "\"a\tb\"", "invalid character '\\t' in string literal" },
        { "\"\\x\"", "invalid character 'x' in string escape code" },
        { "\"\\u12g4\"", "invalid character 'g' in \\u hexadecimal character escape" },
        { "-x", "invalid character 'x' in numeric literal" },
        { "1.x", "invalid character 'x' after decimal point in numeric literal" },
        { "1ex", "invalid character 'x' in exponent of numeric literal" },
        { "tru", "unexpected EOF" },
        { "trux", "invalid character 'x' in literal true (expecting 'e')" },
        { "nul1", "invalid character '1' in literal null (expecting 'l')" },
        { "fals", "unexpected EOF" },
        { "{'a':1}", "invalid character '\\'' looking for beginning of object key string" },
        { "\xe9", "invalid character '\xc3\xa9' looking for beginning of value" },
        { "\x80", "invalid character '\\u0080' looking for beginning of value" },
        { "{\"a\":1}garbage", NULL }, /* the decoder stops after the first value */
        { "01", NULL },               /* "0", then trailing bytes that are not read */
        { "[]", NULL },
        { "null", NULL },
        { "{\"a\":[1,{\"b\":null}],\"c\":-1.5e+3}", NULL },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct gj_value *v = NULL;
        char err[GJ_ERR_LEN] = "";
        int rc = gj_parse(cases[i].in, strlen(cases[i].in), &v, err);
        if (!cases[i].err) {
            if (rc != 0)
                fail_msg("case %zu (%s): unexpected error %s", i, cases[i].in, err);
            gj_free(v);
        } else if (strcmp(cases[i].err, "EOF") == 0) {
            assert_int_equal(rc, 1);
        } else {
            if (rc != -1 || strcmp(err, cases[i].err) != 0)
                fail_msg("case %zu (%s): got rc %d \"%s\", want \"%s\"", i, cases[i].in, rc, err, cases[i].err);
        }
    }
}

static void
test_strings(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        { "\"a\\u00e9\"", "a\xc3\xa9" },     { "\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80" },
        { "\"\\ud83d\"", "\xef\xbf\xbd" },                                   /* a lone surrogate becomes U+FFFD */
        { "\"\\ude00x\"", "\xef\xbf\xbdx" }, { "\"\xff\"", "\xef\xbf\xbd" }, /* invalid UTF-8 too */
        { "\"\xc3\"", "\xef\xbf\xbd" },      { "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct gj_value *v;
        char err[GJ_ERR_LEN];
        assert_int_equal(gj_parse(cases[i].in, strlen(cases[i].in), &v, err), 0);
        assert_int_equal(v->type, GJ_STRING);
        assert_string_equal(v->str, cases[i].out);
        gj_free(v);
    }
    /* A NUL inside a string is kept, with the length telling. */
    struct gj_value *v;
    char err[GJ_ERR_LEN];
    assert_int_equal(gj_parse("\"a\\u0000b\"", 10, &v, err), 0);
    assert_int_equal(v->len, 3);
    assert_memory_equal(v->str, "a\0b", 3);
    gj_free(v);
}

/* Parses "{"f": <json>}" and returns the member. */
static struct gj_value *
wrap(const char *json, const struct gj_value **field)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "{\"f\":%s}", json);
    struct gj_value *v;
    char err[GJ_ERR_LEN];
    if (gj_parse(buf, strlen(buf), &v, err) != 0)
        fail_msg("cannot parse %s: %s", buf, err);
    *field = gj_field(v, "f", NULL);
    return v;
}

static void
test_int64(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int64_t want;
        const char *err;
    } cases[] = {
        { "5", 5, NULL },
        { "\"5\"", 5, NULL },
        { "-9223372036854775808", INT64_MIN, NULL },
        { "\"9223372036854775807\"", INT64_MAX, NULL },
        { "null", 0, NULL },
        { "\"abc\"", 0, "invalid character 'a' looking for beginning of value" },
        { "\"\"", 0, "unexpected end of JSON input" },
        { "\" 1\"", 1, NULL },
        { "\"0x10\"", 0, "invalid character 'x' after top-level value" },
        { "\"01\"", 0, "invalid character '1' after top-level value" },
        { "\"+1\"", 0, "invalid character '+' looking for beginning of value" },
        { "\"-0\"", 0, NULL },
        { "\"9223372036854775808\"", 0,
          "json: cannot unmarshal number 9223372036854775808 into Go value of type int64" },
        { "1.5", 0, "json: cannot unmarshal number 1.5 into Go value of type int64" },
        { "\"1.5\"", 0, "json: cannot unmarshal number 1.5 into Go value of type int64" },
        { "1e3", 0, "json: cannot unmarshal number 1e3 into Go value of type int64" },
        { "99999999999999999999", 0, "json: cannot unmarshal number 99999999999999999999 into Go value of type int64" },
        { "true", 0, "json: cannot unmarshal bool into Go value of type int64" },
        { "{}", 0, "json: cannot unmarshal object into Go value of type int64" },
        { "[1]", 0, "json: cannot unmarshal array into Go value of type int64" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct gj_value *f;
        struct gj_value *v = wrap(cases[i].in, &f);
        int64_t out = 42;
        char err[GJ_ERR_LEN] = "";
        int rc = gj_int64(f, &out, err);
        if (cases[i].err) {
            if (rc != -1 || strcmp(err, cases[i].err) != 0)
                fail_msg("int64 %s: got \"%s\", want \"%s\"", cases[i].in, err, cases[i].err);
        } else {
            assert_int_equal(rc, 0);
            assert_true(out == cases[i].want);
        }
        gj_free(v);
    }
    int64_t out;
    char err[GJ_ERR_LEN];
    assert_int_equal(gj_int64(NULL, &out, err), 0); /* absent: the default */
    assert_true(out == 0);
}

static void
test_bytes(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *want;
        const char *err;
    } cases[] = {
        { "\"YQ==\"", "a", NULL },
        { "\"YWJj\"", "abc", NULL },
        { "\"YW\\nJj\"", "abc", NULL }, /* newlines are skipped */
        { "\"\"", "", NULL },
        { "null", "", NULL },
        { "[97,98]", "ab", NULL }, /* encoding/json takes []byte from an array of numbers too */
        { "\"Y\"", NULL, "illegal base64 data at input byte 0" },
        { "\"YQ\"", NULL, "illegal base64 data at input byte 0" },
        { "\"YQ=\"", NULL, "illegal base64 data at input byte 3" },
        { "\"Y===\"", NULL, "illegal base64 data at input byte 1" },
        { "\"YQ==x\"", NULL, "illegal base64 data at input byte 4" },
        { "\"Y!==\"", NULL, "illegal base64 data at input byte 1" },
        { "\"YQ=x\"", NULL, "illegal base64 data at input byte 2" },
        { "5", NULL, "json: cannot unmarshal number into Go value of type []uint8" },
        { "true", NULL, "json: cannot unmarshal bool into Go value of type []uint8" },
        { "{}", NULL, "json: cannot unmarshal object into Go value of type []uint8" },
        { "[300]", NULL, "json: cannot unmarshal number 300 into Go value of type uint8" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct gj_value *f;
        struct gj_value *v = wrap(cases[i].in, &f);
        uint8_t *data = NULL;
        size_t len = 0;
        char err[GJ_ERR_LEN] = "";
        int rc = gj_bytes(f, &data, &len, err);
        if (cases[i].err) {
            if (rc != -1 || strcmp(err, cases[i].err) != 0)
                fail_msg("bytes %s: got \"%s\", want \"%s\"", cases[i].in, err, cases[i].err);
        } else {
            if (rc != 0)
                fail_msg("bytes %s: %s", cases[i].in, err);
            assert_int_equal(len, strlen(cases[i].want));
            assert_memory_equal(data ? (const char *)data : "", cases[i].want, len);
        }
        free(data);
        gj_free(v);
    }
}

static void
test_bool_enum_message(void **state)
{
    (void)state;
    const struct gj_value *f;
    char err[GJ_ERR_LEN];
    bool b;
    struct gj_value *v = wrap("\"true\"", &f);
    assert_int_equal(gj_bool(f, &b, err), -1);
    assert_string_equal(err, "json: cannot unmarshal string into Go value of type bool");
    gj_free(v);
    v = wrap("1", &f);
    assert_int_equal(gj_bool(f, &b, err), -1);
    assert_string_equal(err, "json: cannot unmarshal number into Go value of type bool");
    gj_free(v);

    static const char *const names[] = { "NONE", "ASCEND", "DESCEND" };
    int e;
    v = wrap("\"DESCEND\"", &f);
    assert_int_equal(gj_enum(f, names, 3, "etcdserverpb.RangeRequest_SortOrder", &e, err), 0);
    assert_int_equal(e, 2);
    gj_free(v);
    v = wrap("1", &f);
    assert_int_equal(gj_enum(f, names, 3, "etcdserverpb.RangeRequest_SortOrder", &e, err), 0);
    assert_int_equal(e, 1);
    gj_free(v);
    v = wrap("\"FOO\"", &f);
    assert_int_equal(gj_enum(f, names, 3, "etcdserverpb.RangeRequest_SortOrder", &e, err), -1);
    assert_string_equal(err, "unknown value \"FOO\" for enum etcdserverpb.RangeRequest_SortOrder");
    gj_free(v);

    bool present;
    v = wrap("[]", &f);
    assert_int_equal(gj_message(f, &present, err), -1);
    assert_string_equal(err, "json: cannot unmarshal array into Go value of type map[string]json.RawMessage");
    gj_free(v);
    size_t n;
    v = wrap("{}", &f);
    assert_int_equal(gj_array(f, &n, err), -1);
    assert_string_equal(err, "json: cannot unmarshal object into Go value of type []json.RawMessage");
    gj_free(v);
}

static void
test_field_lookup(void **state)
{
    (void)state;
    struct gj_value *v;
    char err[GJ_ERR_LEN];
    const char *text = "{\"rangeEnd\":\"YQ==\",\"limit\":1,\"limit\":2,\"range_end\":\"Yg==\"}";
    assert_int_equal(gj_parse(text, strlen(text), &v, err), 0);
    const struct gj_value *f = gj_field(v, "range_end", "rangeEnd");
    assert_string_equal(f->str, "YQ=="); /* the JSON name wins over the proto name, as etcd's jsonpb */
    int64_t limit;
    assert_int_equal(gj_int64(gj_field(v, "limit", NULL), &limit, err), 0);
    assert_true(limit == 2); /* the last duplicate wins */
    assert_null(gj_field(v, "nope", NULL));
    gj_free(v);
}

/* --- ea_write_resp: the same bytes as json_dumps(ea_resp(...), JSON_COMPACT) --- */

static void
assert_same_json(const struct ea_ids *ids, const struct kvs_resp *resp)
{
    json_t *tree = ea_resp(ids, resp);
    char *want = json_dumps(tree, JSON_COMPACT);
    json_decref(tree);
    struct ea_buf b = { 0 };
    assert_int_equal(ea_write_resp(&b, ids, resp), 0);
    char *got = strndup(b.p, b.len);
    assert_string_equal(got, want);
    free(got);
    free(want);
    ea_buf_free(&b);
}

#define KV(k, v, c, m, ver, l)                                                                         \
    {                                                                                                  \
        (const uint8_t *)(k), sizeof(k) - 1, (const uint8_t *)(v), sizeof(v) - 1, (c), (m), (ver), (l) \
    }

static void
test_write_resp(void **state)
{
    (void)state;
    struct ea_ids ids = { 123456789012345678ull, 18446744073709551615ull, 7 }, none = { 0 };
    struct kvs_kv kvs[] = {
        KV("a", "", 2, 3, 1, 0),                                     /* no value */
        KV("ab", "x", 0, 0, 0, 0),                                   /* only key and value */
        KV("abc", "xy", 1, 1, 1, -5),                                /* a negative lease */
        KV("\x00\xff\x80\x01", "\x00", INT64_MAX, INT64_MIN, 9, 77), /* binary, extremes */
        KV("", "", 0, 0, 0, 0),                                      /* nothing at all */
        KV("abcde", "abcdef", 10, 20, 30, 40),
    };
    struct kvs_resp range = { .type = KVS_OP_RANGE, .revision = 99, .kvs = kvs, .n_kvs = 6, .count = 1000, .more = 1 };
    assert_same_json(&ids, &range);
    assert_same_json(&none, &range);
    assert_same_json(NULL, &range);
    struct kvs_resp empty = { .type = KVS_OP_RANGE };
    assert_same_json(&none, &empty); /* {"header":{}} */
    assert_same_json(&ids, &empty);
    struct kvs_resp put = { .type = KVS_OP_PUT, .revision = -3, .prev_kv = &kvs[5] };
    assert_same_json(&ids, &put);
    put.prev_kv = NULL;
    assert_same_json(&ids, &put);
    struct kvs_resp del = { .type = KVS_OP_DELETE_RANGE, .revision = 5, .deleted = 2, .kvs = kvs, .n_kvs = 2 };
    assert_same_json(&ids, &del);
    struct kvs_resp nested_ops[] = {
        { .type = KVS_OP_PUT, .revision = 8 },
        { .type = KVS_OP_RANGE, .revision = 8, .kvs = kvs + 2, .n_kvs = 1, .count = 1 },
    };
    struct kvs_resp ops[] = {
        range,
        { .type = KVS_OP_PUT, .revision = 8, .prev_kv = &kvs[0] },
        del,
        { .type = KVS_OP_TXN, .succeeded = 1, .responses = nested_ops, .n_responses = 2 },
        { .type = KVS_OP_TXN },
        { .type = KVS_OP_NONE },
    };
    struct kvs_resp txn = { .type = KVS_OP_TXN, .revision = 8, .succeeded = 1, .responses = ops, .n_responses = 6 };
    assert_same_json(&ids, &txn);
    txn.succeeded = 0;
    txn.n_responses = 0;
    assert_same_json(&ids, &txn);
    /* a big one, as a 1,000-key range */
    static struct kvs_kv many[1000];
    static char keys[1000][32];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(keys[i], sizeof(keys[i]), "/registry/pods/ns/pod-%d", i);
        many[i] =
            (struct kvs_kv){ (uint8_t *)keys[i], (size_t)n, (uint8_t *)keys[i], (size_t)n / 2, i + 1, i + 2, 1, 0 };
    }
    struct kvs_resp big = { .type = KVS_OP_RANGE, .revision = 1001, .kvs = many, .n_kvs = 1000, .count = 1000 };
    assert_same_json(&ids, &big);
}

/* --- kc_httpd_suspend / kc_httpd_resume --- */

struct susp_srv {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    kc_httpd_suspended *pending[64];
    int npending;
    int done_calls, done_null;
    bool stop_returned; /* set after kc_httpd_stop returns */
    bool done_after_stop;
    _Atomic int counter;
};

static void
susp_done(kc_httpd_req *req, void *arg)
{
    struct susp_srv *s = arg;
    char body[32];
    pthread_mutex_lock(&s->lock);
    int n = snprintf(body, sizeof(body), "resumed %d", atomic_fetch_add(&s->counter, req != NULL));
    s->done_calls++;
    s->done_null += req == NULL;
    s->done_after_stop |= s->stop_returned;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    if (req)
        kc_httpd_reply(req, 200, "text/plain", body, (size_t)n);
}

static int
susp_handler(kc_httpd_req *req, void *arg)
{
    struct susp_srv *s = arg;
    kc_httpd_suspended *h = kc_httpd_suspend(req, susp_done, s);
    assert_non_null(h);
    pthread_mutex_lock(&s->lock);
    s->pending[s->npending++] = h;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/* Waits up to 10 s until *counter reaches n (under s->lock). */
static void
susp_wait(struct susp_srv *s, const int *counter, int n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 10;
    pthread_mutex_lock(&s->lock);
    while (*counter < n && pthread_cond_timedwait(&s->cond, &s->lock, &ts) == 0)
        ;
    int got = *counter;
    pthread_mutex_unlock(&s->lock);
    assert_int_equal(got, n);
}

static kc_httpd_suspended *
susp_take(struct susp_srv *s)
{
    pthread_mutex_lock(&s->lock);
    kc_httpd_suspended *h = s->pending[0];
    memmove(s->pending, s->pending + 1, (size_t)(--s->npending) * sizeof(s->pending[0]));
    pthread_mutex_unlock(&s->lock);
    return h;
}

static int
dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    static const char rq[] = "GET /s HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(write(fd, rq, sizeof(rq) - 1), (ssize_t)(sizeof(rq) - 1));
    return fd;
}

/* Reads one response (headers and a body of Content-Length) and returns its body. */
static void
read_reply(int fd, char *body, size_t cap)
{
    char buf[4096] = { 0 };
    size_t len = 0;
    char *end = NULL;
    while (!(end = strstr(buf, "\r\n\r\n"))) {
        ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
        assert_true(n > 0);
        len += (size_t)n;
        buf[len] = 0;
    }
    assert_true(strncmp(buf, "HTTP/1.1 200", 12) == 0);
    const char *cl = strcasestr(buf, "content-length:");
    assert_non_null(cl);
    size_t want = (size_t)atoi(cl + 15), have = len - (size_t)(end + 4 - buf);
    assert_true(want < cap);
    memcpy(body, end + 4, have);
    while (have < want) {
        ssize_t n = read(fd, body + have, want - have);
        assert_true(n > 0);
        have += (size_t)n;
    }
    body[want] = 0;
}

static void *
resume_later(void *arg)
{
    kc_httpd_resume(arg); /* from a thread of no loop */
    return NULL;
}

static void *
stop_server(void *arg)
{
    kc_httpd *srv = ((void **)arg)[0];
    struct susp_srv *s = ((void **)arg)[1];
    kc_httpd_stop(srv, 5000);
    pthread_mutex_lock(&s->lock);
    s->stop_returned = true;
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static void
test_httpd_suspend(void **state)
{
    (void)state;
    static struct susp_srv s;
    memset(&s, 0, sizeof(s));
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.cond, NULL);
    struct kc_httpd_config cfg = { .port = 0, .threads = 2 };
    kc_httpd *srv;
    assert_int_equal(kc_httpd_new(&cfg, &srv), 0);
    assert_int_equal(kc_httpd_route(srv, "/s", susp_handler, &s), 0);
    assert_int_equal(kc_httpd_start(srv), 0);
    int port = kc_httpd_port(srv);

    /* two requests wait; each is answered when resumed from another thread, in the order resumed */
    int a = dial(port), b = dial(port);
    susp_wait(&s, &s.npending, 2);
    kc_httpd_suspended *ha = susp_take(&s), *hb = susp_take(&s);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, resume_later, hb), 0);
    pthread_join(th, NULL);
    susp_wait(&s, &s.done_calls, 1);
    kc_httpd_resume(ha);
    char body[64], body2[64];
    read_reply(a, body, sizeof(body));
    read_reply(b, body2, sizeof(body2));
    /* which connection's request was resumed first is up to the loops that took them */
    assert_true((strcmp(body, "resumed 0") == 0 && strcmp(body2, "resumed 1") == 0) ||
                (strcmp(body, "resumed 1") == 0 && strcmp(body2, "resumed 0") == 0));
    assert_int_equal(s.done_null, 0);
    /* the connection goes on (keep-alive) */
    static const char rq[] = "GET /s HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(write(a, rq, sizeof(rq) - 1), (ssize_t)(sizeof(rq) - 1));
    susp_wait(&s, &s.npending, 1);
    kc_httpd_resume(susp_take(&s));
    read_reply(a, body, sizeof(body));
    assert_string_equal(body, "resumed 2");
    close(a);
    close(b);

    /* a client that leaves while suspended: done still runs exactly once */
    int c = dial(port);
    susp_wait(&s, &s.npending, 1);
    close(c);
    kc_httpd_resume(susp_take(&s));
    susp_wait(&s, &s.done_calls, 4);

    /* stopping with requests suspended: kc_httpd_stop waits until they are resumed; done runs before it returns.
     * One client waits for its answer (it comes within the grace period), one has left. */
    int d = dial(port), e = dial(port);
    susp_wait(&s, &s.npending, 2);
    close(e);
    void *args[2] = { srv, &s };
    pthread_t st;
    assert_int_equal(pthread_create(&st, NULL, stop_server, args), 0);
    kc_httpd_resume(susp_take(&s));
    kc_httpd_resume(susp_take(&s));
    susp_wait(&s, &s.done_calls, 6);
    read_reply(d, body, sizeof(body)); /* answered within the grace period */
    assert_true(strncmp(body, "resumed ", 8) == 0);
    close(d); /* the loops end once no connection is left */
    pthread_join(st, NULL);
    assert_false(s.done_after_stop);
    kc_httpd_free(srv);
    pthread_mutex_destroy(&s.lock);
    pthread_cond_destroy(&s.cond);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_resp),
        cmocka_unit_test(test_httpd_suspend),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_int64),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_bool_enum_message),
        cmocka_unit_test(test_field_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
