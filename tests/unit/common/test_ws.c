/* test_ws.c - kc_httpd's WebSocket: the pure framing (headers, masking, parsing, reassembly, close payloads,
 * accept keys, protocol lists, response heads, chunked bodies, the exec status JSON), then connections end to
 * end on 127.0.0.1: a raw client against kc_httpd_ws_accept (echo, fragments, ping, close both ways, protocol
 * errors, oversized messages, backpressure), kc_ws_connect against the same server over plain TCP and TLS
 * (open, refusal, certificate mismatch), and kc_httpd_defer_take. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <jansson.h>

#include "kc_error.h"
#include "kc_httpd.h"
#include "kc_pki.h"
#include "kc_time.h"

/* ------------------------------------------------------------------------------------------- pure framing */

static void
test_header_lengths(void **state)
{
    (void)state;
    uint8_t h[KC_WS_MAX_HEADER];
    static const uint8_t mask[4] = { 1, 2, 3, 4 };
    assert_int_equal(kc_ws_frame_header(h, KC_WS_BINARY, true, 0, NULL), 2);
    assert_int_equal(h[0], 0x82);
    assert_int_equal(h[1], 0x00);
    assert_int_equal(kc_ws_frame_header(h, KC_WS_TEXT, false, 125, NULL), 2);
    assert_int_equal(h[0], 0x01);
    assert_int_equal(h[1], 125);
    assert_int_equal(kc_ws_frame_header(h, KC_WS_BINARY, true, 126, NULL), 4);
    assert_int_equal(h[1], 126);
    assert_int_equal(h[2] << 8 | h[3], 126);
    assert_int_equal(kc_ws_frame_header(h, KC_WS_BINARY, true, 65535, NULL), 4);
    assert_int_equal(h[2] << 8 | h[3], 65535);
    assert_int_equal(kc_ws_frame_header(h, KC_WS_BINARY, true, 65536, NULL), 10);
    assert_int_equal(h[1], 127);
    assert_int_equal(h[7], 1); /* 0x00 00 00 00 00 01 00 00 */
    assert_int_equal(h[8], 0);
    assert_int_equal(kc_ws_frame_header(h, KC_WS_PING, true, 5, mask), 6);
    assert_int_equal(h[0], 0x89);
    assert_int_equal(h[1], 0x85);
    assert_memory_equal(h + 2, mask, 4);
    assert_int_equal(kc_ws_frame_header(h, KC_WS_BINARY, true, 70000, mask), 14);
}

/* The RFC 6455 5.7 examples: a single-frame unmasked and masked "Hello". */
static void
test_parse_rfc_examples(void **state)
{
    (void)state;
    uint8_t unmasked[] = { 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };
    uint8_t masked[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
    struct kc_ws_frame f;
    size_t used;
    assert_int_equal(kc_ws_frame_parse(unmasked, sizeof(unmasked), 0, 1000, &f, &used), 0);
    assert_int_equal(used, sizeof(unmasked));
    assert_int_equal(f.opcode, KC_WS_TEXT);
    assert_true(f.fin);
    assert_false(f.masked);
    assert_int_equal(f.len, 5);
    assert_memory_equal(f.payload, "Hello", 5);
    assert_int_equal(kc_ws_frame_parse(masked, sizeof(masked), 1, 1000, &f, &used), 0);
    assert_int_equal(used, sizeof(masked));
    assert_true(f.masked);
    assert_memory_equal(f.payload, "Hello", 5);
    /* every proper prefix is incomplete and leaves the bytes alone */
    uint8_t copy[sizeof(masked)];
    uint8_t again[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
    for (size_t n = 0; n < sizeof(again); n++) {
        memcpy(copy, again, sizeof(again));
        assert_int_equal(kc_ws_frame_parse(copy, n, 1, 1000, &f, &used), -EAGAIN);
        assert_memory_equal(copy, again, sizeof(again));
    }
    /* masking is its own inverse, also from an offset */
    uint8_t data[10] = "abcdefghi";
    static const uint8_t key[4] = { 0x11, 0x22, 0x33, 0x44 };
    kc_ws_mask(data, 3, key, 0);
    kc_ws_mask(data + 3, 6, key, 3);
    assert_int_not_equal(data[0], 'a');
    kc_ws_mask(data, 9, key, 0);
    assert_memory_equal(data, "abcdefghi", 9);
}

/* Builds one frame into buf; returns its length. */
static size_t
build(uint8_t *buf, int opcode, bool fin, const void *payload, size_t len, bool masked)
{
    static const uint8_t key[4] = { 0xa1, 0xb2, 0xc3, 0xd4 };
    size_t h = kc_ws_frame_header(buf, opcode, fin, len, masked ? key : NULL);
    memcpy(buf + h, payload, len);
    if (masked)
        kc_ws_mask(buf + h, len, key, 0);
    return h + len;
}

static void
test_parse_errors(void **state)
{
    (void)state;
    uint8_t b[300];
    struct kc_ws_frame f;
    size_t used, n;

    n = build(b, KC_WS_BINARY, true, "x", 1, true);
    b[0] |= 0x40; /* RSV1 without an extension */
    assert_int_equal(kc_ws_frame_parse(b, n, 1, 100, &f, &used), KC_EBADREQUEST);
    n = build(b, 0x3, true, "x", 1, true); /* reserved opcode */
    assert_int_equal(kc_ws_frame_parse(b, n, 1, 100, &f, &used), KC_EBADREQUEST);
    n = build(b, 0xb, true, "x", 1, true); /* reserved control opcode */
    assert_int_equal(kc_ws_frame_parse(b, n, 1, 100, &f, &used), KC_EBADREQUEST);
    n = build(b, KC_WS_BINARY, true, "x", 1, false); /* a client must mask */
    assert_int_equal(kc_ws_frame_parse(b, n, 1, 100, &f, &used), KC_EBADREQUEST);
    n = build(b, KC_WS_BINARY, true, "x", 1, true); /* a server must not */
    assert_int_equal(kc_ws_frame_parse(b, n, 0, 100, &f, &used), KC_EBADREQUEST);
    assert_int_equal(kc_ws_frame_parse(b, n, -1, 100, &f, &used), 0); /* either */
    uint8_t big[200];
    memset(big, 'p', sizeof(big));
    n = build(b, KC_WS_PING, true, big, 126, true); /* control frames carry at most 125 bytes */
    assert_int_equal(kc_ws_frame_parse(b, n, 1, 1000, &f, &used), KC_EBADREQUEST);
    n = build(b, KC_WS_PING, false, "x", 1, true); /* and are never fragmented */
    assert_int_equal(kc_ws_frame_parse(b, n, 1, 100, &f, &used), KC_EBADREQUEST);
    n = build(b, KC_WS_BINARY, true, big, 101, true);
    assert_int_equal(kc_ws_frame_parse(b, n, 1, 100, &f, &used), -EMSGSIZE);
    /* a 64-bit length with the top bit set; and an oversized one is refused before its bytes arrive */
    uint8_t huge[] = { 0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1 };
    assert_int_equal(kc_ws_frame_parse(huge, sizeof(huge), 0, 100, &f, &used), KC_EBADREQUEST);
    uint8_t long_[] = { 0x82, 0x7f, 0, 0, 0, 0, 0, 0x10, 0, 0 };
    assert_int_equal(kc_ws_frame_parse(long_, sizeof(long_), 0, 100, &f, &used), -EMSGSIZE);
}

static void
test_reader_fragments(void **state)
{
    (void)state;
    uint8_t b[512];
    size_t n = 0;
    n += build(b + n, KC_WS_TEXT, false, "Hel", 3, true);
    n += build(b + n, KC_WS_PING, true, "p1", 2, true); /* a control frame between fragments */
    n += build(b + n, KC_WS_CONTINUATION, false, "lo ", 3, true);
    n += build(b + n, KC_WS_CONTINUATION, true, "world", 5, true);
    n += build(b + n, KC_WS_BINARY, true, "\x01hi", 3, true);
    n += build(b + n, KC_WS_CLOSE, true, "\x03\xe8", 2, true);

    /* whole buffer at once */
    uint8_t copy[512];
    memcpy(copy, b, n);
    struct kc_ws_reader r;
    struct kc_ws_message m;
    size_t used, off = 0;
    kc_ws_reader_init(&r, 1, 64);
    assert_int_equal(kc_ws_reader_next(&r, copy + off, n - off, &used, &m), 0);
    off += used;
    assert_int_equal(m.opcode, KC_WS_PING);
    assert_int_equal(m.len, 2);
    assert_memory_equal(m.data, "p1", 2);
    assert_int_equal(kc_ws_reader_next(&r, copy + off, n - off, &used, &m), 0);
    off += used;
    assert_int_equal(m.opcode, KC_WS_TEXT);
    assert_int_equal(m.len, 11);
    assert_memory_equal(m.data, "Hello world", 11);
    assert_int_equal(kc_ws_reader_next(&r, copy + off, n - off, &used, &m), 0);
    off += used;
    assert_int_equal(m.opcode, KC_WS_BINARY);
    assert_memory_equal(m.data, "\x01hi", 3);
    assert_int_equal(kc_ws_reader_next(&r, copy + off, n - off, &used, &m), 0);
    off += used;
    assert_int_equal(m.opcode, KC_WS_CLOSE);
    assert_int_equal(off, n);
    assert_int_equal(kc_ws_reader_next(&r, copy + off, n - off, &used, &m), -EAGAIN);
    assert_int_equal(used, 0);
    kc_ws_reader_close(&r);

    /* one byte at a time, the way a socket may deliver it: the same four messages in the same order */
    memcpy(copy, b, n);
    kc_ws_reader_init(&r, 1, 64);
    uint8_t window[512];
    size_t have = 0, fed = 0;
    int got[4], ngot = 0;
    char text[32] = "";
    while (fed < n || have) {
        if (fed < n)
            window[have++] = copy[fed++];
        int rc = kc_ws_reader_next(&r, window, have, &used, &m);
        memmove(window, window + used, have - used);
        have -= used;
        if (rc == -EAGAIN) {
            if (fed == n)
                break;
            continue;
        }
        assert_int_equal(rc, 0);
        assert_true(ngot < 4);
        got[ngot++] = m.opcode;
        if (m.opcode == KC_WS_TEXT)
            memcpy(text, m.data, m.len);
    }
    assert_int_equal(ngot, 4);
    assert_int_equal(got[0], KC_WS_PING);
    assert_int_equal(got[1], KC_WS_TEXT);
    assert_int_equal(got[2], KC_WS_BINARY);
    assert_int_equal(got[3], KC_WS_CLOSE);
    assert_string_equal(text, "Hello world");
    kc_ws_reader_close(&r);
}

static void
test_reader_errors(void **state)
{
    (void)state;
    uint8_t b[512];
    size_t n, used;
    struct kc_ws_reader r;
    struct kc_ws_message m;

    /* a continuation without a message */
    kc_ws_reader_init(&r, 1, 64);
    n = build(b, KC_WS_CONTINUATION, true, "x", 1, true);
    assert_int_equal(kc_ws_reader_next(&r, b, n, &used, &m), KC_EBADREQUEST);
    kc_ws_reader_close(&r);
    /* a new message while one is fragmented */
    kc_ws_reader_init(&r, 1, 64);
    n = build(b, KC_WS_TEXT, false, "a", 1, true);
    n += build(b + n, KC_WS_BINARY, true, "b", 1, true);
    assert_int_equal(kc_ws_reader_next(&r, b, n, &used, &m), KC_EBADREQUEST);
    kc_ws_reader_close(&r);
    /* fragments adding up beyond max_message, each of them small enough */
    kc_ws_reader_init(&r, 1, 8);
    n = build(b, KC_WS_BINARY, false, "12345", 5, true);
    n += build(b + n, KC_WS_CONTINUATION, true, "67890", 5, true);
    assert_int_equal(kc_ws_reader_next(&r, b, n, &used, &m), -EMSGSIZE);
    kc_ws_reader_close(&r);
    /* fragments consumed on -EAGAIN are reported in used */
    kc_ws_reader_init(&r, 1, 64);
    n = build(b, KC_WS_BINARY, false, "12345", 5, true);
    size_t first = n;
    n += build(b + n, KC_WS_CONTINUATION, true, "67890", 5, true);
    assert_int_equal(kc_ws_reader_next(&r, b, n - 1, &used, &m), -EAGAIN);
    assert_int_equal(used, first);
    assert_int_equal(kc_ws_reader_next(&r, b + used, n - used, &used, &m), 0);
    assert_int_equal(m.len, 10);
    assert_memory_equal(m.data, "1234567890", 10);
    kc_ws_reader_close(&r);
}

static void
test_close_payload(void **state)
{
    (void)state;
    int code;
    const char *reason;
    size_t rlen;
    assert_int_equal(kc_ws_close_parse(NULL, 0, &code, &reason, &rlen), 0);
    assert_int_equal(code, KC_WS_NO_STATUS);
    assert_int_equal(kc_ws_close_parse((const uint8_t *)"\x03\xe8"
                                                        "bye",
                                       5, &code, &reason, &rlen),
                     0);
    assert_int_equal(code, 1000);
    assert_int_equal(rlen, 3);
    assert_memory_equal(reason, "bye", 3);
    assert_int_equal(kc_ws_close_parse((const uint8_t *)"\x0f\xa0", 2, &code, &reason, &rlen), 0);
    assert_int_equal(code, 4000);
    assert_int_equal(kc_ws_close_parse((const uint8_t *)"\x03", 1, &code, &reason, &rlen), KC_EBADREQUEST);
    static const int bad[] = { 999, 1004, 1005, 1006, 1015, 2999, 5000 };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t p[2] = { (uint8_t)(bad[i] >> 8), (uint8_t)bad[i] };
        assert_int_equal(kc_ws_close_parse(p, 2, &code, &reason, &rlen), KC_EBADREQUEST);
    }
}

static void
test_accept_key_and_protocols(void **state)
{
    (void)state;
    char out[29];
    kc_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", 24, out); /* RFC 6455 1.3 */
    assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    const char *l = "v5.channel.k8s.io, v4.channel.k8s.io,v3.channel.k8s.io ,\tv2.channel.k8s.io";
    assert_true(kc_ws_protocol_listed(l, strlen(l), KC_WS_K8S_V5));
    assert_true(kc_ws_protocol_listed(l, strlen(l), KC_WS_K8S_V4));
    assert_true(kc_ws_protocol_listed(l, strlen(l), KC_WS_K8S_V3));
    assert_true(kc_ws_protocol_listed(l, strlen(l), KC_WS_K8S_V2));
    assert_false(kc_ws_protocol_listed(l, strlen(l), KC_WS_K8S_V1)); /* no substring matches */
    assert_false(kc_ws_protocol_listed(l, strlen(l), "v5"));
    assert_false(kc_ws_protocol_listed("", 0, KC_WS_K8S_V5));
    bool b64;
    assert_int_equal(kc_ws_k8s_version(KC_WS_K8S_V5, &b64), 5);
    assert_false(b64);
    assert_int_equal(kc_ws_k8s_version("base64.v4.channel.k8s.io", &b64), 4);
    assert_true(b64);
    assert_int_equal(kc_ws_k8s_version("channel.k8s.io", &b64), 1);
    assert_int_equal(kc_ws_k8s_version("v6.channel.k8s.io", &b64), 0);
    assert_false(b64);
    assert_int_equal(kc_ws_k8s_version("", NULL), 0);
}

static void
test_http_head(void **state)
{
    (void)state;
    struct kc_ws_http_head h;
    size_t hl;
    const char *ok = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
                     "Sec-WebSocket-Accept:  s3pPLMBiTxaQ9kYGzzhZRbK+xOo= \r\nSec-WebSocket-Protocol: v5.channel.k8s.io"
                     "\r\n\r\n\x82\x01\x01";
    assert_int_equal(kc_ws_http_head_parse(ok, strlen(ok), &h, &hl), 0);
    assert_int_equal(hl, strlen(ok) - 3);
    assert_int_equal(h.status, 101);
    assert_true(h.upgrade_websocket);
    assert_true(h.connection_upgrade);
    assert_string_equal(h.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_string_equal(h.protocol, "v5.channel.k8s.io");
    assert_int_equal(h.content_length, -1);
    for (size_t n = 0; n < hl; n++)
        assert_int_equal(kc_ws_http_head_parse(ok, n, &h, &hl), -EAGAIN);

    const char *refused = "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n";
    assert_int_equal(kc_ws_http_head_parse(refused, strlen(refused), &h, &hl), 0);
    assert_int_equal(h.status, 404);
    assert_string_equal(h.content_type, "application/json");
    assert_int_equal(h.content_length, 12);
    assert_false(h.upgrade_websocket);
    const char *chunked = "HTTP/1.1 500 Oops\r\nTransfer-Encoding: gzip, chunked\r\n\r\n";
    assert_int_equal(kc_ws_http_head_parse(chunked, strlen(chunked), &h, &hl), 0);
    assert_true(h.chunked);

    static const char *const bad[] = { "HTTP/2 101 x\r\n\r\n",
                                       "HTTP/1.1 1x1 x\r\n\r\n",
                                       "SPDY/3 101\r\n\r\n",
                                       "HTTP/1.1 101 x\r\nno colon here\r\n\r\n",
                                       "HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n",
                                       "HTTP/1.1 2000 x\r\n\r\n" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(kc_ws_http_head_parse(bad[i], strlen(bad[i]), &h, &hl), KC_EBADREQUEST);
    char *flood = malloc(20000);
    memset(flood, 'a', 20000);
    memcpy(flood, "HTTP/1.1 200 OK\r\nX: ", 20);
    assert_int_equal(kc_ws_http_head_parse(flood, 20000, &h, &hl), -EMSGSIZE);
    free(flood);
}

static void
test_chunked(void **state)
{
    (void)state;
    char out[64];
    size_t n;
    const char *body = "4\r\nWiki\r\n5;ext=1\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\n";
    assert_int_equal(kc_ws_chunked_decode(body, strlen(body), out, sizeof(out), &n), 0);
    assert_int_equal(n, 23);
    assert_memory_equal(out, "Wikipedia in\r\n\r\nchunks.", 23);
    for (size_t len = 0; len < strlen(body); len++)
        assert_int_equal(kc_ws_chunked_decode(body, len, out, sizeof(out), &n), -EAGAIN);
    assert_int_equal(kc_ws_chunked_decode(body, strlen(body), out, 5, &n), 0); /* truncated to cap */
    assert_int_equal(n, 5);
    assert_memory_equal(out, "Wikip", 5);
    assert_int_equal(kc_ws_chunked_decode("zz\r\n", 4, out, sizeof(out), &n), KC_EBADREQUEST);
    assert_int_equal(kc_ws_chunked_decode("3\r\nabcX\r\n0\r\n\r\n", 15, out, sizeof(out), &n), KC_EBADREQUEST);
    assert_int_equal(kc_ws_chunked_decode("0\r\n\r\n", 5, out, sizeof(out), &n), 0);
    assert_int_equal(n, 0);
}

static void
test_k8s_status(void **state)
{
    (void)state;
    char *s = kc_ws_k8s_status(0, NULL);
    assert_string_equal(s, "{\"metadata\":{},\"status\":\"Success\"}");
    free(s);
    s = kc_ws_k8s_status(3, NULL);
    json_t *j = json_loads(s, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "Failure");
    assert_string_equal(json_string_value(json_object_get(j, "reason")), "NonZeroExitCode");
    assert_string_equal(json_string_value(json_object_get(j, "message")),
                        "command terminated with non-zero exit code: exit status 3");
    json_t *cause = json_array_get(json_object_get(json_object_get(j, "details"), "causes"), 0);
    assert_string_equal(json_string_value(json_object_get(cause, "reason")), "ExitCode");
    assert_string_equal(json_string_value(json_object_get(cause, "message")), "3");
    json_decref(j);
    free(s);
    s = kc_ws_k8s_status(-1, "the node went away");
    j = json_loads(s, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(j, "reason")), "InternalError");
    assert_string_equal(json_string_value(json_object_get(j, "message")),
                        "Internal error occurred: the node went away");
    assert_int_equal(json_integer_value(json_object_get(j, "code")), 500);
    json_decref(j);
    free(s);
}

/* --------------------------------------------------------------------------------- a server to talk to */

#define MAX_PENDING (64 * 1024)
#define MAX_MESSAGE (128 * 1024)

static int closes, last_close_code, paused_seen, taken_null_done;
static size_t max_queued;

static bool
wait_for(int *flag, int want, int ms)
{
    int64_t deadline = kc_time_mono_ns() + (int64_t)ms * 1000000;
    while (__atomic_load_n(flag, __ATOMIC_SEQ_CST) < want) {
        if (kc_time_mono_ns() > deadline)
            return false;
        usleep(1000);
    }
    return true;
}

/* The echo side: every message comes back; "close-me" makes the server start the close with 4000. While its own
 * queue is full it stops reading, until it drains. */
static void
echo_message(kc_ws *ws, int opcode, const uint8_t *data, size_t len, void *arg)
{
    (void)arg;
    if (len == 8 && memcmp(data, "close-me", 8) == 0) {
        kc_ws_close(ws, 4000, "bye");
        assert_int_equal(kc_ws_send(ws, KC_WS_TEXT, "late", 4), -EPIPE);
        return;
    }
    assert_int_equal(kc_ws_send(ws, opcode, data, len), 0);
    if (kc_ws_pending(ws) > max_queued)
        max_queued = kc_ws_pending(ws);
    if (kc_ws_full(ws)) {
        kc_ws_pause(ws, true);
        __atomic_store_n(&paused_seen, 1, __ATOMIC_SEQ_CST);
    }
}

static void
echo_drain(kc_ws *ws, void *arg)
{
    (void)arg;
    kc_ws_pause(ws, false);
}

static void
echo_close(kc_ws *ws, int code, void *arg)
{
    (void)ws, (void)arg;
    __atomic_store_n(&last_close_code, code, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&closes, 1, __ATOMIC_SEQ_CST);
}

static const struct kc_ws_callbacks echo_cb = { .on_message = echo_message,
                                                .on_drain = echo_drain,
                                                .on_close = echo_close };

static int
h_ws(kc_httpd_req *req, void *arg)
{
    (void)arg;
    if (!kc_httpd_ws_is_handshake(req)) {
        kc_httpd_reply(req, 400, "text/plain", "not a websocket handshake", 25);
        return 0;
    }
    char offered[256];
    size_t n = kc_httpd_ws_protocols(req, offered, sizeof(offered));
    const char *proto = kc_ws_protocol_listed(offered, n, KC_WS_K8S_V5)   ? KC_WS_K8S_V5
                        : kc_ws_protocol_listed(offered, n, KC_WS_K8S_V4) ? KC_WS_K8S_V4
                                                                          : NULL;
    struct kc_ws_config cfg = { .max_message = MAX_MESSAGE, .max_pending = MAX_PENDING };
    kc_ws *ws;
    assert_int_equal(kc_httpd_ws_accept(req, proto, &cfg, &echo_cb, NULL, &ws), 0);
    return 0;
}

static int
h_refuse(kc_httpd_req *req, void *arg)
{
    (void)arg;
    kc_httpd_reply(req, 403, "application/json", "{\"reason\":\"Forbidden\"}", 22);
    return 0;
}

/* kc_ws_connect from a server loop: GET /dial?port=P[&tls=1&ip=A][&path=/ws] dials P and records the outcome. */
struct dial_result {
    int done;
    int opened;
    bool hold; /* send nothing: the connection stays open */
    int status;
    char protocol[64];
    char error[300];
    char body[128];
    char ctype[64];
    char echo[64];
    int close_code;
};

static struct dial_result dial;
static char tls_ca[128];

static void
dial_open(kc_ws *ws, const struct kc_ws_response *resp, void *arg)
{
    struct dial_result *d = arg;
    d->status = resp->status;
    snprintf(d->protocol, sizeof(d->protocol), "%s", resp->protocol ? resp->protocol : "");
    snprintf(d->error, sizeof(d->error), "%s", resp->error ? resp->error : "");
    snprintf(d->body, sizeof(d->body), "%.*s", (int)resp->body_len, resp->body);
    snprintf(d->ctype, sizeof(d->ctype), "%s", resp->content_type);
    if (resp->status == 101 && !d->hold)
        assert_int_equal(kc_ws_send(ws, KC_WS_BINARY, "\x01hello", 6), 0);
    if (resp->status == 101)
        __atomic_store_n(&d->opened, 1, __ATOMIC_SEQ_CST);
}

static void
dial_message(kc_ws *ws, int opcode, const uint8_t *data, size_t len, void *arg)
{
    struct dial_result *d = arg;
    assert_int_equal(opcode, KC_WS_BINARY);
    snprintf(d->echo, sizeof(d->echo), "%.*s", (int)len, (const char *)data);
    kc_ws_close(ws, KC_WS_NORMAL, "done");
}

static void
dial_close(kc_ws *ws, int code, void *arg)
{
    (void)ws;
    struct dial_result *d = arg;
    d->close_code = code;
    __atomic_store_n(&d->done, 1, __ATOMIC_SEQ_CST);
}

static int
connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = { .tv_sec = 10 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int
h_dial(kc_httpd_req *req, void *arg)
{
    (void)arg;
    const char *port = kc_httpd_req_param(req, "port", 0), *ip = kc_httpd_req_param(req, "ip", 0);
    const char *path = kc_httpd_req_param(req, "path", 0);
    dial.hold = kc_httpd_req_param(req, "hold", 0) != NULL;
    int fd = connect_to(atoi(port));
    assert_true(fd >= 0);
    struct kc_ws_dial d = { .fd = fd,
                            .host = "127.0.0.1",
                            .path = path ? path : "/ws",
                            .protocols = "v5.channel.k8s.io, v4.channel.k8s.io",
                            .timeout_ms = 5000 };
    if (ip) {
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        assert_int_equal(SSL_CTX_load_verify_locations(ctx, tls_ca, NULL), 1);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        X509_VERIFY_PARAM_set1_ip_asc(SSL_CTX_get0_param(ctx), ip);
        d.ssl_ctx = ctx;
        d.server_name = ip;
    }
    struct kc_ws_callbacks cb = { .on_open = dial_open, .on_message = dial_message, .on_close = dial_close };
    kc_ws *ws;
    assert_int_equal(kc_ws_connect(kc_httpd_req_loop(req), &d, NULL, &cb, &dial, &ws), 0);
    kc_httpd_reply(req, 200, "text/plain", "dialling", 8);
    return 0;
}

/* kc_httpd_defer_take: the work hands the request to take, done sees NULL. */
static void
take_reply(kc_httpd_req *req, void *arg)
{
    assert_non_null(req);
    kc_httpd_reply(req, 200, "text/plain", arg, strlen(arg));
}

static void
take_work(void *arg)
{
    (void)arg;
    assert_int_equal(kc_httpd_defer_take(take_reply, "taken"), 0);
}

static void
take_done(kc_httpd_req *req, void *arg)
{
    (void)arg;
    if (!req)
        __atomic_add_fetch(&taken_null_done, 1, __ATOMIC_SEQ_CST);
}

static int
h_take(kc_httpd_req *req, void *arg)
{
    (void)arg;
    assert_int_equal(kc_httpd_defer_take(take_reply, "x"), KC_EINVALID); /* not from a work function */
    assert_int_equal(kc_httpd_defer(req, take_work, take_done, NULL), 0);
    return 0;
}

struct fixture {
    kc_httpd *srv, *tls_srv;
    char dir[64];
};

static int
write_pem(const char *path, X509 *x, EVP_PKEY *k)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = x ? PEM_write_X509(f, x) : PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    return ok == 1 ? 0 : -1;
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    *state = f;
    closes = last_close_code = paused_seen = taken_null_done = 0;
    max_queued = 0;
    memset(&dial, 0, sizeof(dial));
    struct kc_httpd_config cfg = { .threads = 2, .workers = 4 };
    if (kc_httpd_new(&cfg, &f->srv) != 0)
        return -1;
    kc_httpd_route(f->srv, "/ws", h_ws, NULL);
    kc_httpd_route(f->srv, "/refuse", h_refuse, NULL);
    kc_httpd_route(f->srv, "/dial", h_dial, NULL);
    kc_httpd_route(f->srv, "/take", h_take, NULL);
    if (kc_httpd_start(f->srv) != 0)
        return -1;

    /* a TLS server for the TLS client: serving certificate for IP 127.0.0.1 from a fresh CA */
    strcpy(f->dir, "/tmp/kc-ws-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    struct kc_pki_cert ca, leaf;
    struct kc_pki_req cr = { .cn = "ws-test-ca" };
    const char *ips[] = { "127.0.0.1" };
    struct kc_pki_req lr = { .cn = "server", .ips = ips, .nips = 1, .usage = KC_PKI_SERVER };
    if (kc_pki_ca_new(&cr, &ca) != 0 || kc_pki_cert_issue(&ca, &lr, NULL, &leaf) != 0)
        return -1;
    char crt[128], key[128];
    snprintf(tls_ca, sizeof(tls_ca), "%s/ca.crt", f->dir);
    snprintf(crt, sizeof(crt), "%s/srv.crt", f->dir);
    snprintf(key, sizeof(key), "%s/srv.key", f->dir);
    if (write_pem(tls_ca, ca.x509, NULL) || write_pem(crt, leaf.x509, NULL) || write_pem(key, NULL, leaf.key))
        return -1;
    kc_pki_cert_close(&ca);
    kc_pki_cert_close(&leaf);
    struct kc_httpd_config tc = { .threads = 1, .workers = 2, .cert_file = crt, .key_file = key };
    if (kc_httpd_new(&tc, &f->tls_srv) != 0)
        return -1;
    kc_httpd_route(f->tls_srv, "/ws", h_ws, NULL);
    return kc_httpd_start(f->tls_srv);
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    kc_httpd_free(f->srv);
    kc_httpd_free(f->tls_srv);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

/* --------------------------------------------------------------------------------- a raw client */

static void
send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        assert_true(w > 0);
        c += w;
        n -= (size_t)w;
    }
}

/* Sends the handshake and reads the response head into head (NUL-terminated). Returns the parsed head. */
static struct kc_ws_http_head
handshake(int fd, const char *path, const char *protocols, char *head, size_t cap)
{
    char req[512];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s%s%s\r\n",
                     path, protocols ? "Sec-WebSocket-Protocol: " : "", protocols ? protocols : "",
                     protocols ? "\r\n" : "");
    send_all(fd, req, (size_t)n);
    size_t len = 0;
    struct kc_ws_http_head h;
    size_t hl;
    for (;;) {
        /* one byte at a time: nothing of the frames behind the head may be taken */
        ssize_t r = read(fd, head + len, 1);
        assert_true(r == 1);
        len++;
        head[len] = '\0';
        assert_true(len < cap - 1);
        int rc = kc_ws_http_head_parse(head, len, &h, &hl);
        if (rc == 0)
            return h;
        assert_int_equal(rc, -EAGAIN);
    }
}

static void
send_frame(int fd, int opcode, bool fin, const void *data, size_t len)
{
    uint8_t *b = malloc(len + KC_WS_MAX_HEADER);
    size_t n = build(b, opcode, fin, data, len, true);
    send_all(fd, b, n);
    free(b);
}

/* Reads one frame from the server (unmasked); returns its opcode, payload in *data (malloc'ed) and *len. */
static int
recv_frame(int fd, uint8_t **data, size_t *len)
{
    size_t cap = 1 << 16, have = 0;
    uint8_t *b = malloc(cap);
    for (;;) {
        struct kc_ws_frame f;
        size_t used;
        int rc = kc_ws_frame_parse(b, have, 0, 1 << 30, &f, &used);
        if (rc == 0) {
            assert_int_equal(used, have); /* we read exactly one frame (see below) */
            *data = malloc(f.len + 1);
            memcpy(*data, f.payload, f.len);
            (*data)[f.len] = 0;
            *len = f.len;
            free(b);
            return f.opcode;
        }
        assert_int_equal(rc, -EAGAIN);
        /* read just what the header says is missing, so that the next frame stays in the socket */
        size_t want = 1;
        if (have >= 2) {
            size_t hl = (b[1] & 0x7f) == 126 ? 4 : (b[1] & 0x7f) == 127 ? 10 : 2;
            if (have >= hl) {
                uint64_t pl = b[1] & 0x7f;
                if (pl == 126)
                    pl = (uint64_t)b[2] << 8 | b[3];
                else if (pl == 127)
                    for (int i = 0, j = 2; i < 8; i++, j++)
                        pl = (i ? pl << 8 : 0) | b[j];
                want = hl + (size_t)pl - have;
            }
        }
        if (have + want > cap) {
            cap = have + want;
            b = realloc(b, cap);
        }
        ssize_t r = read(fd, b + have, want);
        if (r <= 0) {
            free(b);
            return -1;
        }
        have += (size_t)r;
    }
}

static bool
at_eof(int fd)
{
    char c;
    return read(fd, &c, 1) == 0;
}

static int
port_of(kc_httpd *s)
{
    return kc_httpd_port(s);
}

/* ----------------------------------------------------------------------------------- connection tests */

static void
test_echo_ping_close(void **state)
{
    struct fixture *f = *state;
    int fd = connect_to(port_of(f->srv));
    char head[2048];
    struct kc_ws_http_head h = handshake(fd, "/ws", "v4.channel.k8s.io, v5.channel.k8s.io", head, sizeof(head));
    assert_int_equal(h.status, 101);
    assert_true(h.upgrade_websocket);
    assert_true(h.connection_upgrade);
    assert_string_equal(h.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_string_equal(h.protocol, "v5.channel.k8s.io"); /* the server's choice among the offers */

    uint8_t *d;
    size_t n;
    send_frame(fd, KC_WS_BINARY, true, "\x01out", 4);
    assert_int_equal(recv_frame(fd, &d, &n), KC_WS_BINARY);
    assert_int_equal(n, 4);
    assert_memory_equal(d, "\x01out", 4);
    free(d);
    /* a fragmented text message with a ping in between: the pong comes first, then the whole message */
    send_frame(fd, KC_WS_TEXT, false, "frag", 4);
    send_frame(fd, KC_WS_PING, true, "are you there", 13);
    send_frame(fd, KC_WS_CONTINUATION, true, "mented", 6);
    assert_int_equal(recv_frame(fd, &d, &n), KC_WS_PONG);
    assert_string_equal((char *)d, "are you there");
    free(d);
    assert_int_equal(recv_frame(fd, &d, &n), KC_WS_TEXT);
    assert_string_equal((char *)d, "fragmented");
    free(d);
    /* a 70,000-byte message (64-bit length) */
    uint8_t *big = malloc(70000);
    for (int i = 0; i < 70000; i++)
        big[i] = (uint8_t)(i * 7);
    send_frame(fd, KC_WS_BINARY, true, big, 70000);
    assert_int_equal(recv_frame(fd, &d, &n), KC_WS_BINARY);
    assert_int_equal(n, 70000);
    assert_memory_equal(d, big, 70000);
    free(d);
    free(big);
    /* the client closes: the server echoes the code, then ends the connection */
    send_frame(fd, KC_WS_CLOSE, true,
               "\x03\xe8"
               "done",
               6);
    assert_int_equal(recv_frame(fd, &d, &n), KC_WS_CLOSE);
    assert_int_equal(n, 2);
    assert_int_equal(d[0] << 8 | d[1], 1000);
    free(d);
    assert_true(at_eof(fd));
    assert_true(wait_for(&closes, 1, 5000));
    assert_int_equal(last_close_code, 1000);
    close(fd);
}

static void
test_server_closes(void **state)
{
    struct fixture *f = *state;
    int fd = connect_to(port_of(f->srv));
    char head[2048];
    struct kc_ws_http_head h = handshake(fd, "/ws", "v4.channel.k8s.io", head, sizeof(head));
    assert_int_equal(h.status, 101);
    assert_string_equal(h.protocol, "v4.channel.k8s.io");
    uint8_t *d;
    size_t n;
    send_frame(fd, KC_WS_TEXT, true, "close-me", 8);
    assert_int_equal(recv_frame(fd, &d, &n), KC_WS_CLOSE);
    assert_int_equal(d[0] << 8 | d[1], 4000);
    assert_memory_equal(d + 2, "bye", 3);
    free(d);
    assert_int_equal(closes, 0); /* it waits for our close frame */
    send_frame(fd, KC_WS_CLOSE, true, "\x0f\xa0", 2);
    assert_true(at_eof(fd));
    assert_true(wait_for(&closes, 1, 5000));
    assert_int_equal(last_close_code, 4000);
    close(fd);

    /* a protocol error after the server's close went out ends the connection at once: no second close frame */
    fd = connect_to(port_of(f->srv));
    assert_int_equal(handshake(fd, "/ws", NULL, head, sizeof(head)).status, 101);
    send_frame(fd, KC_WS_TEXT, true, "close-me", 8);
    assert_int_equal(recv_frame(fd, &d, &n), KC_WS_CLOSE);
    free(d);
    uint8_t b[16];
    n = build(b, KC_WS_BINARY, true, "x", 1, false); /* unmasked */
    send_all(fd, b, n);
    int64_t t0 = kc_time_mono_ns();
    assert_true(at_eof(fd));
    assert_true(kc_time_mono_ns() - t0 < 2000000000LL); /* not the 5 s close timeout */
    assert_true(wait_for(&closes, 2, 2000));
    assert_int_equal(last_close_code, KC_WS_PROTOCOL_ERROR);
    close(fd);

    /* no protocol offered: none echoed */
    fd = connect_to(port_of(f->srv));
    h = handshake(fd, "/ws", NULL, head, sizeof(head));
    assert_int_equal(h.status, 101);
    assert_string_equal(h.protocol, "");
    assert_null(strcasestr(head, "sec-websocket-protocol"));
    close(fd); /* gone without a close frame */
    assert_true(wait_for(&closes, 3, 5000));
    assert_int_equal(last_close_code, KC_WS_ABNORMAL);
}

static void
test_protocol_errors(void **state)
{
    struct fixture *f = *state;
    char head[2048];
    uint8_t *d, b[64];
    size_t n;
    /* an unmasked frame from a client: 1002 */
    int fd = connect_to(port_of(f->srv));
    assert_int_equal(handshake(fd, "/ws", NULL, head, sizeof(head)).status, 101);
    n = build(b, KC_WS_BINARY, true, "x", 1, false);
    send_all(fd, b, n);
    assert_int_equal(recv_frame(fd, &d, &n), KC_WS_CLOSE);
    assert_int_equal(d[0] << 8 | d[1], KC_WS_PROTOCOL_ERROR);
    free(d);
    assert_true(at_eof(fd)); /* a failed connection is ended right after the close frame */
    close(fd);
    assert_true(wait_for(&closes, 1, 7000));
    assert_int_equal(last_close_code, KC_WS_PROTOCOL_ERROR);

    /* a message above max_message: 1009, decided from the header alone */
    fd = connect_to(port_of(f->srv));
    assert_int_equal(handshake(fd, "/ws", NULL, head, sizeof(head)).status, 101);
    static const uint8_t key[4] = { 9, 9, 9, 9 };
    n = kc_ws_frame_header(b, KC_WS_BINARY, true, MAX_MESSAGE + 1, key);
    send_all(fd, b, n);
    assert_int_equal(recv_frame(fd, &d, &n), KC_WS_CLOSE);
    assert_int_equal(d[0] << 8 | d[1], KC_WS_TOO_BIG);
    free(d);
    assert_true(at_eof(fd));
    close(fd);
    assert_true(wait_for(&closes, 2, 7000));
    assert_int_equal(last_close_code, KC_WS_TOO_BIG);

    /* a bad close code: 1002 */
    fd = connect_to(port_of(f->srv));
    assert_int_equal(handshake(fd, "/ws", NULL, head, sizeof(head)).status, 101);
    send_frame(fd, KC_WS_CLOSE, true, "\x03\xed", 2); /* 1005 must not be sent */
    assert_int_equal(recv_frame(fd, &d, &n), KC_WS_CLOSE);
    assert_int_equal(d[0] << 8 | d[1], KC_WS_PROTOCOL_ERROR);
    free(d);
    assert_true(at_eof(fd));
    close(fd);

    /* not a handshake: the handler answers itself */
    fd = connect_to(port_of(f->srv));
    const char *get = "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n";
    send_all(fd, get, strlen(get));
    char resp[512];
    ssize_t r = read(fd, resp, sizeof(resp) - 1);
    assert_true(r > 0);
    resp[r] = '\0';
    assert_non_null(strstr(resp, "HTTP/1.1 400"));
    close(fd);
}

/* Sends 16 MiB in 64 KiB messages while nobody reads the echoes: the server's queue stays bounded (it stops
 * reading us), then everything comes back intact. */
struct sender {
    int fd;
    size_t total, chunk;
};

static void *
sender_main(void *p)
{
    struct sender *s = p;
    uint8_t *msg = malloc(s->chunk);
    for (size_t off = 0; off < s->total; off += s->chunk) {
        for (size_t i = 0; i < s->chunk; i++)
            msg[i] = (uint8_t)((off + i) * 31 >> 3);
        send_frame(s->fd, KC_WS_BINARY, true, msg, s->chunk);
    }
    free(msg);
    return NULL;
}

static void
test_backpressure(void **state)
{
    struct fixture *f = *state;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int small = 16384;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)); /* the server's writes stall early */
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port_of(f->srv)) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = { .tv_sec = 20 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    char head[2048];
    assert_int_equal(handshake(fd, "/ws", NULL, head, sizeof(head)).status, 101);

    struct sender s = { .fd = fd, .total = 16u << 20, .chunk = 64u << 10 };
    pthread_t t;
    pthread_create(&t, NULL, sender_main, &s);
    assert_true(wait_for(&paused_seen, 1, 20000)); /* the server paused reading */
    size_t got = 0;
    bool intact = true;
    while (got < s.total) {
        uint8_t *d;
        size_t n;
        int op = recv_frame(fd, &d, &n);
        assert_int_equal(op, KC_WS_BINARY);
        assert_int_equal(n, s.chunk);
        for (size_t i = 0; i < n && intact; i++)
            intact = d[i] == (uint8_t)((got + i) * 31 >> 3);
        free(d);
        got += n;
    }
    pthread_join(t, NULL);
    assert_true(intact);
    /* bounded: at most max_pending plus one message (and its header) was ever queued */
    assert_true(max_queued <= MAX_PENDING + s.chunk + KC_WS_MAX_HEADER);
    send_frame(fd, KC_WS_CLOSE, true, "\x03\xe8", 2);
    uint8_t *d;
    size_t n;
    assert_int_equal(recv_frame(fd, &d, &n), KC_WS_CLOSE);
    free(d);
    close(fd);
    assert_true(wait_for(&closes, 1, 5000));
}

/* GET path on the plain server (no WebSocket), returning the status. */
static int
http_get(int port, const char *path, char *body, size_t cap)
{
    int fd = connect_to(port);
    char req[512];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    send_all(fd, req, (size_t)n);
    size_t len = 0;
    ssize_t r;
    while (len < cap - 1 && (r = read(fd, body + len, cap - 1 - len)) > 0)
        len += (size_t)r;
    body[len] = '\0';
    close(fd);
    int status = 0;
    sscanf(body, "HTTP/1.1 %d", &status);
    return status;
}

static void
test_client_plain_and_refused(void **state)
{
    struct fixture *f = *state;
    char body[1024], path[128];
    int port = port_of(f->srv);
    snprintf(path, sizeof(path), "/dial?port=%d", port);
    assert_int_equal(http_get(port, path, body, sizeof(body)), 200);
    assert_true(wait_for(&dial.done, 1, 10000));
    assert_int_equal(dial.status, 101);
    assert_string_equal(dial.protocol, "v5.channel.k8s.io");
    assert_string_equal(dial.echo, "\x01hello");
    assert_int_equal(dial.close_code, 1000); /* our close, echoed by the server */
    assert_true(wait_for(&closes, 1, 5000)); /* the server side ended too */

    memset(&dial, 0, sizeof(dial));
    snprintf(path, sizeof(path), "/dial?port=%d&path=/refuse", port);
    assert_int_equal(http_get(port, path, body, sizeof(body)), 200);
    assert_true(wait_for(&dial.done, 1, 10000));
    assert_int_equal(dial.status, 403);
    assert_string_equal(dial.body, "{\"reason\":\"Forbidden\"}");
    assert_string_equal(dial.ctype, "application/json");
    assert_string_equal(dial.error, "");
    assert_int_equal(dial.close_code, KC_WS_ABNORMAL);
}

static void
test_client_tls(void **state)
{
    struct fixture *f = *state;
    char body[1024], path[128];
    int port = port_of(f->srv);
    snprintf(path, sizeof(path), "/dial?port=%d&ip=127.0.0.1", port_of(f->tls_srv));
    assert_int_equal(http_get(port, path, body, sizeof(body)), 200);
    assert_true(wait_for(&dial.done, 1, 10000));
    assert_int_equal(dial.status, 101);
    assert_string_equal(dial.error, "");
    assert_string_equal(dial.echo, "\x01hello");
    assert_int_equal(dial.close_code, 1000);

    /* the certificate is for 127.0.0.1, not 127.0.0.2: the handshake fails with OpenSSL's reason */
    memset(&dial, 0, sizeof(dial));
    snprintf(path, sizeof(path), "/dial?port=%d&ip=127.0.0.2", port_of(f->tls_srv));
    assert_int_equal(http_get(port, path, body, sizeof(body)), 200);
    assert_true(wait_for(&dial.done, 1, 10000));
    assert_int_equal(dial.status, 0);
    assert_non_null(strstr(dial.error, "tls: "));
    assert_non_null(strstr(dial.error, "certificate verify failed"));
    assert_int_equal(dial.close_code, KC_WS_ABNORMAL);
}

/* Stopping the server ends open connections: the raw client sees EOF, both ends of a dialled connection get
 * on_close with 1006, and nothing leaks (ASan). */
static void
test_stop_with_open_connections(void **state)
{
    struct fixture *f = *state;
    int fd = connect_to(port_of(f->srv));
    char head[2048], body[1024], path[128];
    assert_int_equal(handshake(fd, "/ws", NULL, head, sizeof(head)).status, 101);
    snprintf(path, sizeof(path), "/dial?port=%d&hold=1", port_of(f->srv));
    assert_int_equal(http_get(port_of(f->srv), path, body, sizeof(body)), 200);
    assert_true(wait_for(&dial.opened, 1, 10000));
    kc_httpd_stop(f->srv, 2000);
    assert_true(at_eof(fd));
    close(fd);
    assert_int_equal(dial.done, 1);
    assert_int_equal(dial.close_code, KC_WS_ABNORMAL);
    assert_int_equal(closes, 2); /* the raw client's and the dialled one's server sides */
    assert_int_equal(last_close_code, KC_WS_ABNORMAL);
}

static void
test_defer_take(void **state)
{
    struct fixture *f = *state;
    char body[1024];
    assert_int_equal(http_get(port_of(f->srv), "/take", body, sizeof(body)), 200);
    assert_non_null(strstr(body, "\r\n\r\ntaken"));
    assert_true(wait_for(&taken_null_done, 1, 5000));
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_lengths),
        cmocka_unit_test(test_parse_rfc_examples),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_reader_fragments),
        cmocka_unit_test(test_reader_errors),
        cmocka_unit_test(test_close_payload),
        cmocka_unit_test(test_accept_key_and_protocols),
        cmocka_unit_test(test_http_head),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_k8s_status),
        cmocka_unit_test_setup_teardown(test_echo_ping_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_closes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_protocol_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backpressure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_plain_and_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_tls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defer_take, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_with_open_connections, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
