/* test_satoken.c - service account tokens (apiserver/satoken.c): key ids and exact token bytes against vectors
 * made with the openssl command line, sign/verify round trips for ES256/384/512 and RS256, every way a token can
 * fail (malformed, alg none, HMAC with the public key, wrong alg, bad signature, unknown kid, crit, wrong
 * issuer and audience, expiry and leeway, bad claim types), the authenticator's cache and existence checks on
 * an embedded store (deleted and recreated service accounts, bound pods, secrets and nodes), TokenRequest's
 * answers and errors (JSON, YAML and protobuf bodies), the flags, and out-of-memory loops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_int.h"
#include "api_satoken.h"
#include "kc_crypto.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_json.h"
#include "kc_pki.h"
#include "kc_time.h"
#include "kvs.h"

#define ISS    "https://kubernetes.default.svc.cluster.local"
#define NOW    1700000000LL
#define NOW_NS (NOW * 1000000000LL)

/* A P-256 key made with `openssl ecparam -genkey | openssl pkcs8 -topk8 -nocrypt`; its kid from
 * `openssl pkey -pubout -outform DER | openssl dgst -sha256 -binary | base64url`. */
static const char EC_PEM[] = "-----BEGIN PRIVATE KEY-----\n"
                             "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgEfNsKeT9agQpv/pC\n"
                             "wHhpf68VTe47dahfPAeYhuXyHB2hRANCAATzFkQMIWNMgymjebgKTl4v16kKoTUo\n"
                             "oFxm2rttNiHfB7VvZxqxtvVpFx7nVRmWIuV7cAn+3ORUVQAeIgZn/XCw\n"
                             "-----END PRIVATE KEY-----\n";
#define EC_KID "FEgm84A3HlCJOtGwIqXwqj2SxF6_IVa59-ogd5P4eXA"

/* An RSA 2048 key (openssl genrsa | openssl pkcs8 -topk8 -nocrypt) and its kid, the same way. */
static const char RSA_PEM[] = "-----BEGIN PRIVATE KEY-----\n"
                              "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCYoZVwfYSS1uOH\n"
                              "9vfuUmm7zOAupDk7ZoieTHR5Hlkgxi56EG2/Tk+p2KEbaHhW6C1WjLVTjqYkNy6+\n"
                              "RRcsUuElp8YU7pieswYuDJhz3S6jZi7t08QN9a2Vuv0KVc5wIa61O3338TkwRYGK\n"
                              "+NSrqA/N95Dpth8yqsnGvRTJ9/DujSWWjhq46/c7USbTnZZIHPjLRnUEieOE9zuy\n"
                              "WJVOBdiP0ifbXG0To6eXfYIllQkQmBZgVQ/Xh0dc/RexcFpvpdWUa3oMAoF83cbF\n"
                              "6WWg+Y8kDfpXeOlDOLyiegYuUuQPdPuTbWfa4EJb1ZN28XRQOAdovBuFQCGEov9w\n"
                              "Bn7uP9V9AgMBAAECggEAJKlVUaCYnkO3AfLgsTJC+uzWYWWpaJrzkGBpbqlLO8vW\n"
                              "oJO/JL88891Yr1Jr62YX88zXBiPCxPqrQ+EpFIiw02Bl/COmbaIvRxLX8KatW+rA\n"
                              "tXgTBM5g/FDelGOxcy4n/pi0ZICg3bcoS1cDEFtNNoozWOvZuQwcbNwAeRXQ3Z+T\n"
                              "Mbd8jU2fijkH0T1/ZlDHPNcvYRgFSOG1xFYND+9eGmVXBFBvXasKDrmP1LVY6lAt\n"
                              "x3yH7pjGdYtRNJz7hfEybKZKmkALjDPmHX2EjuL672MlYIhZvXzG42rRno/qSC2y\n"
                              "NOrSa0PmbeT8765rwSpRbQjCE349f3r3jnfq6COYwQKBgQDIs06ZGfjCg0PD7nKW\n"
                              "ig3cZdI0+Ze/AlpZ0BmkhUr+g61R3QgwYhcxTSgY9pmZpmQ2Jh6u+mPgIC6ODIOx\n"
                              "JuVzd4ct+GvhXCticnHsU44z3mLRpaxMVMKJtFgphrlWDL7m38xLt0pN1rNEJEQu\n"
                              "S5snSrPshfy+phQzFMRSrdR2wQKBgQDCr6TuW/+jGE8Nt0xusTRnbOhbT3cluCMG\n"
                              "btaIcbf14WYcYx/uEBBQjIlJjHCVhwbAA0XPCTj3Z0FpbOGAw2t/0qZn+3XonieY\n"
                              "M3v+eCcJYnGZABdgF5O6xYu+CMvL0IzK0svBw0xr0R4mP9GZ00mZDG/hKSiLjOqo\n"
                              "BN1Mdm9pvQKBgBgzvzOpNR1HtQFInNrYdQlx4eJvgsQO5ZRVCvKS/FMqz9jCXb1v\n"
                              "5roUQtSX0Df+H7GD8UlKeobJerO4gJz5QswkytFZVrELa1Po1yIXhVtt4t7DKr7d\n"
                              "rcPrUoJXc7wTt2Wh8UHkLXqrfFyoPuySQ3h+gqnwEmVvI5pxU6dgvPFBAoGBAJdq\n"
                              "elE0Vjdn4ZweUqDIy6Qg7PqPbHB2rS8Ep3AJWfUvL/amFaBW+AldtCzywGFbWiGe\n"
                              "qf2jA55PvW0cVKqL0qDgmbHHvmWEE/FpIWfB1UKUQRupGYUP8ULS/6N2PeKvucDJ\n"
                              "f9WcamR0iQlgm0kTLmuNY7pwA2u91oeE+QTOHErVAoGBAMdJsgpvMrTEOE7Z7BCF\n"
                              "OVLAJWzIhTvTM9CFwfeg7qN5gbbC7jYnrM0T32Keghp7gZ061DxfZtTV2JFsYtDI\n"
                              "4YrW8iRLcJY2K8frlenPYYKfdkNFRbWqPEbdHF64kgyuHcABCSLWB99wiydrulaa\n"
                              "CzJKT2hQ5GeVAJJ2Od5JlMnf\n"
                              "-----END PRIVATE KEY-----\n";
#define RSA_KID "nBSKqNhH04yykpDvbBzsfDOayuWk29XZF4LosSiExtQ"

/* The RS256 token for RS256_SPEC below, signed by `openssl dgst -sha256 -sign` over the header and payload that
 * go-jose writes (keys sorted, aud an array). RS256 (PKCS#1 v1.5) is deterministic, so the bytes must match. */
static const char RS256_TOKEN[] =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6Im5CU0txTmhIMDR5eWtwRHZiQnpzZkRPYXl1V2syOVhaRjRMb3NTaUV4dFEifQ."
    "eyJhdWQiOlsiaHR0cHM6Ly9rdWJlcm5ldGVzLmRlZmF1bHQuc3ZjLmNsdXN0ZXIubG9jYWwiLCJvdGhlciJdLCJleHAiOjE3MDAwMDM2MDAs"
    "ImlhdCI6MTcwMDAwMDAwMCwiaXNzIjoiaHR0cHM6Ly9rdWJlcm5ldGVzLmRlZmF1bHQuc3ZjLmNsdXN0ZXIubG9jYWwiLCJqdGkiOiJqLTEi"
    "LCJrdWJlcm5ldGVzLmlvIjp7Im5hbWVzcGFjZSI6ImRlZmF1bHQiLCJub2RlIjp7Im5hbWUiOiJuMSIsInVpZCI6Im51LTEifSwicG9kIjp7"
    "Im5hbWUiOiJwMSIsInVpZCI6InB1LTEifSwic2VydmljZWFjY291bnQiOnsibmFtZSI6ImJ1aWxkZXIiLCJ1aWQiOiJ1LTEifX0sIm5iZiI6"
    "MTcwMDAwMDAwMCwic3ViIjoic3lzdGVtOnNlcnZpY2VhY2NvdW50OmRlZmF1bHQ6YnVpbGRlciJ9."
    "X9EL7IJfDby3fD8UXVxNguiYUyrTenAmNf7fTpwV5X1VlAS7XKcFiL-56EbydDFYSugl_N5FQ1gvjTVscPmQAHpbEwTuByIJfj-0i3uD2B7o"
    "ulaQA5Su7PrAoTBWUJQCS1e683N4Wr_HCAtczx43MWuLgPD0ele4NtLcMdVixgbZ1d-cxuYJEAtVpgEIhUerpaPshD89b9Tk7LWF9wTmQke-"
    "6JYVvao5jO-gexCGqity6755XcEvAVEBi7zHPt0sPAS4Vs2LDpxbD1Rz6c_ljUz5s4rwyWWrzKkCx8rd4g9YaDwki5pD9aGYpIvGdTSXOwNA"
    "W8g0HuiZQIAEE1pUnQ";

/* --- fixtures --- */

struct env {
    char dir[64];
    char ec_key[128], ec_pub[128], rsa_key[128], p384_key[128], p521_key[128], other_key[128];
    struct kvs *kvs;
    struct api_store *s;
    int64_t now_ns; /* the fake clock */
    struct api_satoken *st;
    EVP_PKEY *ec, *rsa, *other; /* the same keys, for the test's own signer */
};

static struct env *E;

static int64_t
fake_clock(void *arg)
{
    return *(int64_t *)arg;
}

static void
write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    fclose(f);
}

static EVP_PKEY *
pem_key(const char *text)
{
    BIO *b = BIO_new_mem_buf(text, -1);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    assert_non_null(k);
    return k;
}

static void
write_key(const char *path, EVP_PKEY *k, bool pub)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(pub ? PEM_write_PUBKEY(f, k) : PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
}

/* A token state with the fake clock. key_files: a --service-account-key-file value (NULL: none). */
static struct api_satoken *
new_state(const char *signing, const char *key_files, const char *max_exp, const char *extend)
{
    struct api_sa_config c = { .signing_key_file = signing, .max_expiration = max_exp, .extend_expiration = extend };
    if (key_files) {
        c.key_files[0] = key_files;
        c.nkey_files = 1;
    }
    struct api_satoken *st = NULL;
    char err[512];
    int rc = api_satoken_new(&c, E->s, &st, err, sizeof(err));
    if (rc != 0)
        print_error("api_satoken_new: %s\n", err);
    assert_int_equal(rc, 0);
    api_satoken_set_clock(st, fake_clock, &E->now_ns);
    return st;
}

static int
setup(void **state)
{
    (void)state;
    E = calloc(1, sizeof(*E));
    snprintf(E->dir, sizeof(E->dir), "/tmp/api_satoken_test_XXXXXX");
    assert_non_null(mkdtemp(E->dir));
    snprintf(E->ec_key, sizeof(E->ec_key), "%s/ec.key", E->dir);
    snprintf(E->ec_pub, sizeof(E->ec_pub), "%s/ec.pub", E->dir);
    snprintf(E->rsa_key, sizeof(E->rsa_key), "%s/rsa.key", E->dir);
    snprintf(E->p384_key, sizeof(E->p384_key), "%s/p384.key", E->dir);
    snprintf(E->p521_key, sizeof(E->p521_key), "%s/p521.key", E->dir);
    snprintf(E->other_key, sizeof(E->other_key), "%s/other.key", E->dir);
    write_text(E->ec_key, EC_PEM);
    write_text(E->rsa_key, RSA_PEM);
    E->ec = pem_key(EC_PEM);
    E->rsa = pem_key(RSA_PEM);
    write_key(E->ec_pub, E->ec, true);
    EVP_PKEY *k = EVP_EC_gen("P-384");
    assert_non_null(k);
    write_key(E->p384_key, k, false);
    EVP_PKEY_free(k);
    k = EVP_EC_gen("P-521");
    assert_non_null(k);
    write_key(E->p521_key, k, false);
    EVP_PKEY_free(k);
    assert_int_equal(kc_pki_key_new(&E->other), 0);
    write_key(E->other_key, E->other, false);

    char kdir[128];
    snprintf(kdir, sizeof(kdir), "%s/kv", E->dir);
    struct kvs_options o;
    kvs_options_init(&o);
    o.dir = kdir;
    o.initial_map_bytes = 1 << 20;
    assert_int_equal(kvs_open(&o, &E->kvs), 0);
    assert_int_equal(api_store_embedded(E->kvs, &E->s), 0);
    E->now_ns = NOW_NS;
    char keys[300];
    snprintf(keys, sizeof(keys), "%s,%s", E->ec_pub, E->rsa_key);
    E->st = new_state(E->ec_key, keys, NULL, NULL);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    api_satoken_free(E->st);
    api_store_close(E->s);
    kvs_close(E->kvs);
    EVP_PKEY_free(E->ec);
    EVP_PKEY_free(E->rsa);
    EVP_PKEY_free(E->other);
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", E->dir);
    assert_int_equal(system(cmd), 0);
    free(E);
    return 0;
}

/* --- the test's own JWT maker (OpenSSL directly, independent of satoken.c) --- */

static char *
b64u(const void *data, size_t n)
{
    char *std = kc_base64_encode(data, n);
    assert_non_null(std);
    size_t k = 0;
    for (size_t i = 0; std[i]; i++) {
        if (std[i] == '=')
            break;
        std[k++] = std[i] == '+' ? '-' : std[i] == '/' ? '_' : std[i];
    }
    std[k] = '\0';
    return std;
}

static char *
b64u_str(const char *s)
{
    return b64u(s, strlen(s));
}

/* Decodes one base64url part into a NUL-terminated string (the test's own decoder). */
static char *
unb64u(const char *s, size_t n)
{
    char *std = calloc(1, n + 4);
    memcpy(std, s, n);
    for (size_t i = 0; i < n; i++)
        std[i] = std[i] == '-' ? '+' : std[i] == '_' ? '/' : std[i];
    while (n % 4)
        std[n++] = '=';
    uint8_t *out;
    size_t olen;
    assert_int_equal(kc_base64_decode(std, n, &out, &olen), 0);
    free(std);
    return (char *)out;
}

/* header.payload.signature with the signature of alg made by key: ES256/384/512 (r||s), RS256, PS256, HS256
 * (keyed by secret), "none" (empty). */
static char *
jwt(const char *header, const char *payload, EVP_PKEY *key, const char *alg, const char *secret)
{
    char *h = b64u_str(header), *p = b64u_str(payload);
    size_t n = strlen(h) + strlen(p) + 2;
    char *input = malloc(n);
    snprintf(input, n, "%s.%s", h, p);
    free(h);
    free(p);
    unsigned char sig[1024];
    size_t slen = 0;
    if (strcmp(alg, "HS256") == 0) {
        assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, strlen(secret), (unsigned char *)input,
                                  strlen(input), sig, sizeof(sig), &slen));
    } else if (strcmp(alg, "none") != 0) {
        const EVP_MD *md = strstr(alg, "384") ? EVP_sha384() : strstr(alg, "512") ? EVP_sha512() : EVP_sha256();
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pctx = NULL;
        assert_int_equal(EVP_DigestSignInit(ctx, &pctx, md, NULL, key), 1);
        if (alg[0] == 'P') {
            assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
            assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), 1);
        }
        unsigned char der[1024];
        size_t dlen = sizeof(der);
        assert_int_equal(EVP_DigestSign(ctx, der, &dlen, (unsigned char *)input, strlen(input)), 1);
        EVP_MD_CTX_free(ctx);
        if (alg[0] == 'E') {
            int bytes = strstr(alg, "384") ? 48 : strstr(alg, "512") ? 66 : 32;
            const unsigned char *q = der;
            ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)dlen);
            assert_non_null(es);
            BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, bytes);
            BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + bytes, bytes);
            ECDSA_SIG_free(es);
            slen = 2 * (size_t)bytes;
        } else {
            memcpy(sig, der, dlen);
            slen = dlen;
        }
    }
    char *s = slen ? b64u(sig, slen) : strdup("");
    n = strlen(input) + strlen(s) + 2;
    char *out = malloc(n);
    snprintf(out, n, "%s.%s", input, s);
    free(input);
    free(s);
    return out;
}

/* A payload as ours, at NOW, for default/builder uid u-1, with k8s the kubernetes.io claim (NULL: the default). */
static char *
payload(const char *iss, const char *aud, int64_t iat, int64_t nbf, int64_t exp, const char *k8s)
{
    char *p = malloc(2048);
    snprintf(p, 2048,
             "{\"aud\":%s,\"exp\":%lld,\"iat\":%lld,\"iss\":\"%s\",\"jti\":\"j-1\",\"kubernetes.io\":%s,\"nbf\":%lld,"
             "\"sub\":\"system:serviceaccount:default:builder\"}",
             aud, (long long)exp, (long long)iat, iss,
             k8s ? k8s : "{\"namespace\":\"default\",\"serviceaccount\":{\"name\":\"builder\",\"uid\":\"u-1\"}}",
             (long long)nbf);
    return p;
}

#define EC_HDR  "{\"alg\":\"ES256\",\"kid\":\"" EC_KID "\"}"
#define AUD_API "[\"" ISS "\"]"

/* Verifies token at NOW; returns the code and fills why. */
static int
verify(const char *token, char *why, size_t whylen)
{
    struct api_sa_claims c;
    return api_satoken_verify(E->st, token, strlen(token), NOW, &c, why, whylen);
}

#define EXPECT_VERIFY(token, want, why_part)                                                                \
    do {                                                                                                    \
        char why_[300];                                                                                     \
        int rc_ = verify(token, why_, sizeof(why_));                                                        \
        if (rc_ != (want) || !strstr(why_, why_part)) {                                                     \
            print_error("line %d: %s\n  got %d \"%s\", want %d \"...%s...\"\n", __LINE__, token, rc_, why_, \
                        (int)(want), why_part);                                                             \
            fail();                                                                                         \
        }                                                                                                   \
    } while (0)

/* --- tests --- */

static void
test_parse_duration(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int64_t secs;
    } ok[] = { { "1h", 3600 }, { "24h", 86400 },      { "1h30m", 5400 },     { "1.5h", 5400 },   { "90s", 90 },
               { "0", 0 },     { "300ms", 0 },        { "2m0.5s", 120 },     { "-1h", -3600 },   { "+2s", 2 },
               { "1.s", 1 },   { "8760h", 31536000 }, { "1000000000ns", 1 }, { "5\xc2\xb5s", 0 } };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int64_t s = -99;
        assert_int_equal(api_satoken_parse_duration(ok[i].in, &s), 0);
        if (s != ok[i].secs) {
            print_error("%s: got %lld, want %lld\n", ok[i].in, (long long)s, (long long)ok[i].secs);
            fail();
        }
    }
    static const char *const bad[] = { "", "1", "h", "1x", "1h ", ".s", "-", "1e3s", "3000000h", "1hh" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t s;
        if (api_satoken_parse_duration(bad[i], &s) != KC_EINVALID) {
            print_error("\"%s\" parsed\n", bad[i]);
            fail();
        }
    }
}

static void
expect_config_error(struct api_sa_config *c, const char *want)
{
    struct api_satoken *st = NULL;
    char err[512] = "";
    int rc = api_satoken_new(c, NULL, &st, err, sizeof(err));
    if (rc != KC_EINVALID || !strstr(err, want)) {
        print_error("got %d \"%s\", want \"...%s...\"\n", rc, err, want);
        api_satoken_free(st);
        fail();
    }
}

static void
test_config(void **state)
{
    (void)state;
    struct api_sa_config c = { .signing_key_file = "/nonexistent/sa.key" };
    expect_config_error(&c, "--service-account-signing-key-file: cannot read /nonexistent/sa.key");
    c.signing_key_file = E->ec_pub; /* a public key cannot sign */
    expect_config_error(&c, "no PEM private key");
    char notkey[160];
    snprintf(notkey, sizeof(notkey), "%s/notkey", E->dir);
    write_text(notkey, "hello\n");
    struct api_sa_config c2 = { .key_files = { notkey }, .nkey_files = 1 };
    expect_config_error(&c2, "data does not contain any valid RSA or ECDSA public keys");
    struct api_sa_config c3 = { .issuers = { "https://a", "" }, .nissuers = 2 };
    expect_config_error(&c3, "service-account-issuer should not be an empty string");
    struct api_sa_config c4 = { .issuers = { "https://a", "https://a" }, .nissuers = 2 };
    expect_config_error(&c4, "service-account-issuer \"https://a\" is already specified");
    struct api_sa_config c5 = { .max_expiration = "30m" };
    expect_config_error(&c5, "must be between 1 hour and 2^32 seconds");
    c5.max_expiration = "5000000000s";
    expect_config_error(&c5, "must be between 1 hour and 2^32 seconds");
    c5.max_expiration = "soon";
    expect_config_error(&c5, "invalid value \"soon\" for --service-account-max-token-expiration");
    struct api_sa_config c6 = { .extend_expiration = "maybe" };
    expect_config_error(&c6, "--service-account-extend-token-expiration");

    /* defaults: the default issuer, audiences = issuers, no keys: nothing issued or accepted */
    struct api_sa_config z = { 0 };
    struct api_satoken *st;
    char err[256];
    assert_int_equal(api_satoken_new(&z, NULL, &st, err, sizeof(err)), 0);
    assert_false(api_satoken_can_issue(st));
    assert_null(api_satoken_key_id(st));
    struct api_user u;
    assert_int_equal(api_satoken_authenticate(st, RS256_TOKEN, strlen(RS256_TOKEN), &u), API_SATOKEN_NONE);
    api_satoken_free(st);
    assert_false(api_satoken_can_issue(NULL));
    assert_int_equal(api_satoken_authenticate(NULL, RS256_TOKEN, strlen(RS256_TOKEN), &u), API_SATOKEN_NONE);

    /* a key file may hold several keys, and certificates; the signing key alone verifies without key files */
    char multi[160];
    snprintf(multi, sizeof(multi), "%s/multi.pem", E->dir);
    FILE *f = fopen(multi, "w");
    fputs("-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n", f);
    PEM_write_PUBKEY(f, E->ec);
    PEM_write_PrivateKey(f, E->rsa, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    struct api_sa_config c7 = { .key_files = { multi }, .nkey_files = 1, .signing_key_file = E->p384_key };
    assert_int_equal(api_satoken_new(&c7, NULL, &st, err, sizeof(err)), 0);
    assert_string_equal(api_satoken_alg(st), "ES384");
    api_satoken_free(st);
}

static void
test_key_ids_and_algs(void **state)
{
    (void)state;
    assert_true(api_satoken_can_issue(E->st));
    assert_string_equal(api_satoken_key_id(E->st), EC_KID);
    assert_string_equal(api_satoken_alg(E->st), "ES256");
    struct api_satoken *st = new_state(E->rsa_key, NULL, NULL, NULL);
    assert_string_equal(api_satoken_key_id(st), RSA_KID);
    assert_string_equal(api_satoken_alg(st), "RS256");
    api_satoken_free(st);
    st = new_state(E->p521_key, NULL, NULL, NULL);
    assert_string_equal(api_satoken_alg(st), "ES512");
    api_satoken_free(st);
}

static const char *const RS256_AUDS[] = { ISS, "other" };

static const struct api_sa_token_spec RS256_SPEC = {
    .ns = "default",
    .sa_name = "builder",
    .sa_uid = "u-1",
    .pod_name = "p1",
    .pod_uid = "pu-1",
    .node_name = "n1",
    .node_uid = "nu-1",
    .audiences = RS256_AUDS,
    .naudiences = 2,
    .now = NOW,
    .exp_s = 3600,
    .jti = "j-1",
};

static void
test_rs256_exact_bytes(void **state)
{
    (void)state;
    struct api_satoken *st = new_state(E->rsa_key, NULL, NULL, NULL);
    char *tok = NULL;
    assert_int_equal(api_satoken_sign(st, &RS256_SPEC, &tok), 0);
    assert_string_equal(tok, RS256_TOKEN);
    struct api_sa_claims c;
    char why[200];
    assert_int_equal(api_satoken_verify(st, tok, strlen(tok), NOW, &c, why, sizeof(why)), 0);
    free(tok);
    /* the default state verifies it too: its key list has the RSA key */
    assert_int_equal(api_satoken_verify(E->st, RS256_TOKEN, strlen(RS256_TOKEN), NOW, &c, why, sizeof(why)), 0);
    assert_string_equal(c.ns, "default");
    assert_string_equal(c.sa_name, "builder");
    assert_string_equal(c.sa_uid, "u-1");
    assert_true(c.pod && c.node && !c.secret);
    assert_string_equal(c.pod_name, "p1");
    assert_string_equal(c.pod_uid, "pu-1");
    assert_string_equal(c.node_name, "n1");
    assert_string_equal(c.node_uid, "nu-1");
    assert_string_equal(c.jti, "j-1");
    assert_true(c.has_exp && c.exp == NOW + 3600 && c.nbf == NOW && c.iat == NOW);
    api_satoken_free(st);
}

static void
test_es256_round_trip(void **state)
{
    (void)state;
    const char *auds[] = { ISS };
    struct api_sa_token_spec spec = { .ns = "kube-system",
                                      .sa_name = "s",
                                      .sa_uid = "u-2",
                                      .secret_name = "sec",
                                      .secret_uid = "su",
                                      .audiences = auds,
                                      .naudiences = 1,
                                      .now = NOW,
                                      .exp_s = 600,
                                      .warnafter_s = 60 };
    char *tok = NULL;
    assert_int_equal(api_satoken_sign(E->st, &spec, &tok), 0);
    const char *d1 = strchr(tok, '.'), *d2 = strchr(d1 + 1, '.');
    char *h = unb64u(tok, (size_t)(d1 - tok)), *p = unb64u(d1 + 1, (size_t)(d2 - d1 - 1));
    assert_string_equal(h, EC_HDR);
    assert_string_equal(p,
                        "{\"aud\":[\"" ISS "\"],\"exp\":1700000600,\"iat\":1700000000,\"iss\":\"" ISS "\","
                        "\"kubernetes.io\":{\"namespace\":\"kube-system\",\"secret\":{\"name\":\"sec\",\"uid\":\"su\"},"
                        "\"serviceaccount\":{\"name\":\"s\",\"uid\":\"u-2\"},\"warnafter\":1700000060},"
                        "\"nbf\":1700000000,\"sub\":\"system:serviceaccount:kube-system:s\"}");
    assert_int_equal(strlen(d2 + 1), 86); /* 64 bytes of r||s */
    free(h);
    free(p);
    /* the test's own verifier accepts it: DER from r||s, EVP_DigestVerify */
    uint8_t *raw;
    size_t rawlen;
    char *sig = unb64u(d2 + 1, strlen(d2 + 1));
    raw = (uint8_t *)sig;
    rawlen = 64;
    ECDSA_SIG *es = ECDSA_SIG_new();
    ECDSA_SIG_set0(es, BN_bin2bn(raw, 32, NULL), BN_bin2bn(raw + 32, 32, NULL));
    unsigned char *der = NULL;
    int dlen = i2d_ECDSA_SIG(es, &der);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, E->ec), 1);
    assert_int_equal(EVP_DigestVerify(ctx, der, (size_t)dlen, (unsigned char *)tok, (size_t)(d2 - tok)), 1);
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    free(sig);
    (void)rawlen;

    struct api_sa_claims c;
    char why[200];
    assert_int_equal(api_satoken_verify(E->st, tok, strlen(tok), NOW, &c, why, sizeof(why)), 0);
    assert_true(c.secret && !c.pod && !c.node);
    assert_string_equal(c.secret_name, "sec");
    assert_string_equal(c.jti, "");
    free(tok);

    /* ES384 and ES512 signers verify with their own keys */
    const char *files[] = { E->p384_key, E->p521_key };
    for (int i = 0; i < 2; i++) {
        struct api_satoken *st = new_state(files[i], NULL, NULL, NULL);
        assert_int_equal(api_satoken_sign(st, &spec, &tok), 0);
        assert_int_equal(api_satoken_verify(st, tok, strlen(tok), NOW, &c, why, sizeof(why)), 0);
        /* not by the default state, which does not have that key: no key with its kid */
        assert_int_equal(api_satoken_verify(E->st, tok, strlen(tok), NOW, &c, why, sizeof(why)), KC_EUNAUTHORIZED);
        assert_string_equal(why, "invalid signature, no keys found");
        free(tok);
        api_satoken_free(st);
    }
    /* a spec without a service account is refused; a state without a signing key cannot sign */
    struct api_sa_token_spec none = { .ns = "x" };
    assert_int_equal(api_satoken_sign(E->st, &none, &tok), KC_EINVALID);
    struct api_sa_config z = { 0 };
    struct api_satoken *st;
    assert_int_equal(api_satoken_new(&z, NULL, &st, why, sizeof(why)), 0);
    assert_int_equal(api_satoken_sign(st, &spec, &tok), KC_EINVALID);
    api_satoken_free(st);
}

static void
test_verify_failures(void **state)
{
    (void)state;
    char why[300];
    char *p = payload(ISS, AUD_API, NOW, NOW, NOW + 3600, NULL), *t;

    /* well formed and valid first, so each failure below differs in one thing */
    t = jwt(EC_HDR, p, E->ec, "ES256", NULL);
    EXPECT_VERIFY(t, 0, "");
    /* without kid every key is tried */
    free(t);
    t = jwt("{\"alg\":\"ES256\"}", p, E->ec, "ES256", NULL);
    EXPECT_VERIFY(t, 0, "");
    free(t);
    /* PS256 and RS256 with the RSA key */
    t = jwt("{\"alg\":\"PS256\",\"kid\":\"" RSA_KID "\"}", p, E->rsa, "PS256", NULL);
    EXPECT_VERIFY(t, 0, "");
    free(t);

    /* not JWTs at all: another authenticator's business */
    EXPECT_VERIFY("abc", KC_ENOTFOUND, "not a JWT");
    EXPECT_VERIFY("a.b.c.d", KC_ENOTFOUND, "compact serialization");
    EXPECT_VERIFY("{\"a\":1}.b.c", KC_ENOTFOUND, "not a JWT");
    EXPECT_VERIFY("eyJ.e*J.abc", KC_ENOTFOUND, "payload is not base64url");
    EXPECT_VERIFY("eyJ.eyJ=.abc", KC_ENOTFOUND, "payload is not base64url");
    EXPECT_VERIFY("eyJ.e.abc", KC_ENOTFOUND, "payload is not base64url"); /* length 1 mod 4 */
    EXPECT_VERIFY("eyJ.eyJ9.abc", KC_ENOTFOUND, "accepted issuer");       /* "{" is no JSON */
    char *other = payload("https://elsewhere", AUD_API, NOW, NOW, NOW + 3600, NULL);
    t = jwt(EC_HDR, other, E->ec, "ES256", NULL);
    EXPECT_VERIFY(t, KC_ENOTFOUND, "accepted issuer");
    free(t);
    free(other);
    char *huge = malloc(API_SATOKEN_MAX_LEN + 10);
    memset(huge, 'a', API_SATOKEN_MAX_LEN + 9);
    huge[1] = huge[5] = '.';
    huge[API_SATOKEN_MAX_LEN + 9] = '\0';
    EXPECT_VERIFY(huge, KC_ENOTFOUND, "not a JWT");
    free(huge);

    /* ours, but bad */
    t = jwt(EC_HDR, p, E->ec, "ES256", NULL);
    char *dot = strrchr(t, '.');
    /* a flipped bit in the signature, a signature one byte short, bad base64 in header and signature, nonzero
       trailing bits */
    char was = dot[5];
    dot[5] = was == 'A' ? 'B' : 'A';
    EXPECT_VERIFY(t, KC_EUNAUTHORIZED, "error in cryptographic primitive");
    dot[5] = was;
    EXPECT_VERIFY(t, 0, "");
    char *short_sig = strndup(t, strlen(t) - 2);
    EXPECT_VERIFY(short_sig, KC_EUNAUTHORIZED, "error in cryptographic primitive");
    free(short_sig);
    char *badsig = malloc(strlen(t) + 2);
    snprintf(badsig, strlen(t) + 2, "%.*s*", (int)(dot - t + 1), t);
    EXPECT_VERIFY(badsig, KC_EUNAUTHORIZED, "three parts");
    free(badsig);
    char *last = t + strlen(t) - 1; /* 64 bytes: 86 characters, the last one carries 4 zero bits */
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char keep = *last;
    size_t idx = (size_t)(strchr(alphabet, keep) - alphabet);
    assert_int_equal(idx & 15, 0);
    *last = alphabet[idx | 1]; /* same bytes, a nonzero bit after them */
    EXPECT_VERIFY(t, KC_EUNAUTHORIZED, "three parts");
    *last = keep;
    t[0] = '*';
    EXPECT_VERIFY(t, KC_EUNAUTHORIZED, "three parts");
    free(t);

    /* alg none, HS256 keyed by the public key's PEM (the classic confusion), algs that do not fit the key */
    t = jwt("{\"alg\":\"none\"}", p, NULL, "none", NULL);
    EXPECT_VERIFY(t, KC_EUNAUTHORIZED, "");
    free(t);
    t = jwt("{\"alg\":\"none\",\"kid\":\"" EC_KID "\"}", p, NULL, "none", NULL);
    EXPECT_VERIFY(t, KC_EUNAUTHORIZED, "unknown or unsupported algorithm");
    free(t);
    char pub[1024];
    FILE *f = fopen(E->ec_pub, "r");
    size_t n = fread(pub, 1, sizeof(pub) - 1, f);
    fclose(f);
    pub[n] = '\0';
    t = jwt("{\"alg\":\"HS256\",\"kid\":\"" EC_KID "\"}", p, NULL, "HS256", pub);
    EXPECT_VERIFY(t, KC_EUNAUTHORIZED, "unknown or unsupported algorithm");
    free(t);
    t = jwt("{\"alg\":\"ES384\",\"kid\":\"" EC_KID "\"}", p, E->ec, "ES256", NULL);
    EXPECT_VERIFY(t, KC_EUNAUTHORIZED, "cryptographic primitive");
    free(t);
    t = jwt("{\"alg\":\"RS256\",\"kid\":\"" EC_KID "\"}", p, E->ec, "ES256", NULL);
    EXPECT_VERIFY(t, KC_EUNAUTHORIZED, "cryptographic primitive");
    free(t);
    t = jwt("{\"alg\":\"ES256\",\"kid\":\"" RSA_KID "\"}", p, E->ec, "ES256", NULL); /* the RSA key's kid */
    EXPECT_VERIFY(t, KC_EUNAUTHORIZED, "cryptographic primitive");
    free(t);
    /* a key we do not have: by kid, and without one */
    t = jwt("{\"alg\":\"ES256\",\"kid\":\"nope\"}", p, E->other, "ES256", NULL);
    EXPECT_VERIFY(t, KC_EUNAUTHORIZED, "invalid signature, no keys found");
    free(t);
    t = jwt("{\"alg\":\"ES256\"}", p, E->other, "ES256", NULL);
    EXPECT_VERIFY(t, KC_EUNAUTHORIZED, "cryptographic primitive");
    free(t);
    /* headers: crit, no alg, a kid that is no string, not JSON, not an object */
    t = jwt("{\"alg\":\"ES256\",\"crit\":[\"exp\"],\"kid\":\"" EC_KID "\"}", p, E->ec, "ES256", NULL);
    EXPECT_VERIFY(t, KC_EUNAUTHORIZED, "unsupported crit header");
    free(t);
    const char *bad_headers[] = { "{\"kid\":\"" EC_KID "\"}", "{\"alg\":\"ES256\",\"kid\":7}", "{alg", "[]",
                                  "{\"alg\":\"ES256\",\"alg\":\"none\"}" };
    for (size_t i = 0; i < sizeof(bad_headers) / sizeof(bad_headers[0]); i++) {
        t = jwt(bad_headers[i], p, E->ec, "ES256", NULL);
        EXPECT_VERIFY(t, KC_EUNAUTHORIZED, "protected header");
        free(t);
    }
    free(p);

    /* times, with go-jose's 60 s of leeway on each side */
    struct {
        int64_t iat, nbf, exp;
        int want;
        const char *why;
    } times[] = {
        { NOW - 7200, NOW - 7200, NOW - 61, KC_EUNAUTHORIZED, "service account token has expired" },
        { NOW - 7200, NOW - 7200, NOW - 60, 0, "" },
        { NOW + 60, NOW + 60, NOW + 3600, 0, "" },
        { NOW, NOW + 61, NOW + 3600, KC_EUNAUTHORIZED, "service account token is not valid yet" },
        { NOW + 61, NOW, NOW + 3600, KC_EUNAUTHORIZED, "service account token is issued in the future" },
    };
    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        p = payload(ISS, AUD_API, times[i].iat, times[i].nbf, times[i].exp, NULL);
        t = jwt(EC_HDR, p, E->ec, "ES256", NULL);
        EXPECT_VERIFY(t, times[i].want, times[i].why);
        free(t);
        free(p);
    }

    /* audiences: one of the API's (a plain string counts, none at all is taken as the API's), else refused */
    const char *auds[] = { "[\"other\",\"" ISS "\"]", "\"" ISS "\"", "[]", "null" };
    for (size_t i = 0; i < 4; i++) {
        p = payload(ISS, auds[i], NOW, NOW, NOW + 3600, NULL);
        t = jwt(EC_HDR, p, E->ec, "ES256", NULL);
        EXPECT_VERIFY(t, 0, "");
        free(t);
        free(p);
    }
    p = payload(ISS, "[\"vault\"]", NOW, NOW, NOW + 3600, NULL);
    t = jwt(EC_HDR, p, E->ec, "ES256", NULL);
    EXPECT_VERIFY(t, KC_EUNAUTHORIZED, "token audiences [\"vault\"] is invalid for the target audiences");
    free(t);
    free(p);

    /* claims of the wrong types or missing */
    static const char *const bad_claims[] = {
        "{\"aud\":7,\"iss\":\"" ISS
        "\",\"kubernetes.io\":{\"namespace\":\"default\",\"serviceaccount\":{\"name\":\"b\",\"uid\":\"u\"}}}",
        "{\"aud\":[7],\"iss\":\"" ISS
        "\",\"kubernetes.io\":{\"namespace\":\"default\",\"serviceaccount\":{\"name\":\"b\",\"uid\":\"u\"}}}",
        "{\"exp\":\"soon\",\"iss\":\"" ISS
        "\",\"kubernetes.io\":{\"namespace\":\"default\",\"serviceaccount\":{\"name\":\"b\",\"uid\":\"u\"}}}",
        "{\"exp\":1e300,\"iss\":\"" ISS
        "\",\"kubernetes.io\":{\"namespace\":\"default\",\"serviceaccount\":{\"name\":\"b\",\"uid\":\"u\"}}}",
        "{\"jti\":5,\"iss\":\"" ISS
        "\",\"kubernetes.io\":{\"namespace\":\"default\",\"serviceaccount\":{\"name\":\"b\",\"uid\":\"u\"}}}",
        "{\"sub\":5,\"iss\":\"" ISS
        "\",\"kubernetes.io\":{\"namespace\":\"default\",\"serviceaccount\":{\"name\":\"b\",\"uid\":\"u\"}}}",
        "{\"iss\":\"" ISS "\"}",
        "{\"iss\":\"" ISS "\",\"kubernetes.io\":\"x\"}",
        "{\"iss\":\"" ISS "\",\"kubernetes.io\":{\"namespace\":\"default\"}}",
        "{\"iss\":\"" ISS "\",\"kubernetes.io\":{\"namespace\":\"default\",\"serviceaccount\":{\"name\":5}}}",
        "{\"iss\":\"" ISS "\",\"kubernetes.io\":{\"namespace\":\"default\",\"serviceaccount\":\"b\"}}",
        "{\"iss\":\"" ISS "\",\"kubernetes.io\":{\"namespace\":\"default\",\"serviceaccount\":{\"name\":\"b\"},\"pod\":"
        "{\"name\":\"p\"},\"secret\":{\"name\":\"s\"}}}",
        "{\"iss\":\"" ISS
        "\",\"kubernetes.io\":{\"namespace\":\"default\",\"serviceaccount\":{\"name\":\"b\"},\"pod\":[]}}",
        "{\"iss\":\"" ISS "\",\"kubernetes.io\":{\"namespace\":\"a-namespace-name-that-is-too-long-for-any-namespace-"
        "xxxxxxxxxxxxxxxxxx\",\"serviceaccount\":{\"name\":\"b\"}}}",
    };
    for (size_t i = 0; i < sizeof(bad_claims) / sizeof(bad_claims[0]); i++) {
        t = jwt(EC_HDR, bad_claims[i], E->ec, "ES256", NULL);
        EXPECT_VERIFY(t, KC_EUNAUTHORIZED, "");
        free(t);
    }
    /* a token without exp never expires (go-jose checks only what is there), as upstream */
    t = jwt(EC_HDR,
            "{\"iss\":\"" ISS "\",\"kubernetes.io\":{\"namespace\":\"default\",\"serviceaccount\":{\"name\":\"b\"}}}",
            E->ec, "ES256", NULL);
    EXPECT_VERIFY(t, 0, "");
    free(t);
    (void)why;
}

/* Random bytes around the dots never crash or verify. */
static void
test_verify_garbage(void **state)
{
    (void)state;
    unsigned seed = 12345;
    char buf[200];
    struct api_sa_claims c;
    char why[200];
    for (int round = 0; round < 3000; round++) {
        size_t n = 5 + (size_t)(rand_r(&seed) % 190);
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)(rand_r(&seed) % 256);
        buf[1 + rand_r(&seed) % 2] = '.';
        buf[n - 2 - rand_r(&seed) % 2] = '.';
        assert_int_not_equal(api_satoken_verify(E->st, buf, n, NOW, &c, why, sizeof(why)), 0);
        struct api_user u;
        assert_int_not_equal(api_satoken_authenticate(E->st, buf, n, &u), API_SATOKEN_OK);
    }
    /* a valid payload with random headers and signatures */
    char *p = payload(ISS, AUD_API, NOW, NOW, NOW + 3600, NULL), *ph = b64u_str(p);
    for (int round = 0; round < 500; round++) {
        char h[40], s[100];
        for (size_t i = 0; i < sizeof(h) - 1; i++)
            h[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[rand_r(&seed) % 64];
        h[rand_r(&seed) % 38 + 1] = '\0';
        for (size_t i = 0; i < sizeof(s) - 1; i++)
            s[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[rand_r(&seed) % 64];
        s[86] = '\0';
        char tok[2000];
        snprintf(tok, sizeof(tok), "%s.%s.%s", h, ph, s);
        assert_int_not_equal(api_satoken_verify(E->st, tok, strlen(tok), NOW, &c, why, sizeof(why)), 0);
    }
    free(ph);
    free(p);
}

/* --- the store --- */

static void
put(const char *key, const char *json)
{
    json_t *o = json_loads(json, 0, NULL);
    assert_non_null(o);
    int64_t rev;
    api_obj_delete(E->s, key, 0, &rev);
    assert_int_equal(api_obj_create(E->s, key, o, 0, &rev), 0);
    json_decref(o);
}

static void
del(const char *key)
{
    int64_t rev;
    assert_int_equal(api_obj_delete(E->s, key, 0, &rev), 0);
}

#define SA_KEY "/registry/serviceaccounts/default/builder"
#define SA_JSON(uid)                                                                                       \
    "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"builder\",\"namespace\":" \
    "\"default\",\"uid\":\"" uid "\"}}"

static char *
sign_for(const char *sa_uid, const char *pod, const char *pod_uid, const char *secret, const char *node,
         const char *node_uid)
{
    const char *auds[] = { ISS };
    struct api_sa_token_spec spec = { .ns = "default",
                                      .sa_name = "builder",
                                      .sa_uid = sa_uid,
                                      .pod_name = pod,
                                      .pod_uid = pod_uid,
                                      .secret_name = secret,
                                      .secret_uid = secret ? "sec-uid" : NULL,
                                      .node_name = node,
                                      .node_uid = node_uid,
                                      .audiences = auds,
                                      .naudiences = 1,
                                      .now = E->now_ns / 1000000000LL,
                                      .exp_s = 3600,
                                      .jti = "jti-1" };
    char *tok = NULL;
    assert_int_equal(api_satoken_sign(E->st, &spec, &tok), 0);
    return tok;
}

/* authenticate; when it asks for the lookup, run it; returns the final answer */
static enum api_satoken_auth
authn(struct api_satoken *st, const char *tok, struct api_user *u)
{
    enum api_satoken_auth a = api_satoken_authenticate(st, tok, strlen(tok), u);
    if (a != API_SATOKEN_LOOKUP)
        return a;
    int rc = api_satoken_lookup(st, tok, strlen(tok), NULL);
    a = api_satoken_authenticate(st, tok, strlen(tok), u);
    assert_true(a == API_SATOKEN_OK || a == API_SATOKEN_REJECTED);
    assert_int_equal(rc == 0, a == API_SATOKEN_OK);
    return a;
}

static void
test_authenticate(void **state)
{
    (void)state;
    E->now_ns = NOW_NS;
    struct api_satoken *st = new_state(E->ec_key, NULL, NULL, NULL);
    put(SA_KEY, SA_JSON("sa-uid-1"));
    char *tok = sign_for("sa-uid-1", NULL, NULL, NULL, NULL, NULL);
    struct api_user u;
    memset(&u, 0, sizeof(u));
    /* first sight: verified, then the lookup must run */
    assert_int_equal(api_satoken_authenticate(st, tok, strlen(tok), &u), API_SATOKEN_LOOKUP);
    assert_int_equal(api_satoken_authenticate(st, tok, strlen(tok), &u), API_SATOKEN_LOOKUP);
    struct api_user lu;
    assert_int_equal(api_satoken_lookup(st, tok, strlen(tok), &lu), 0);
    assert_string_equal(lu.name, "system:serviceaccount:default:builder");
    assert_int_equal(api_satoken_authenticate(st, tok, strlen(tok), &u), API_SATOKEN_OK);
    assert_string_equal(u.name, "system:serviceaccount:default:builder");
    assert_string_equal(u.uid, "sa-uid-1");
    assert_int_equal(u.ngroups, 3);
    assert_string_equal(u.groups[0], "system:serviceaccounts");
    assert_string_equal(u.groups[1], "system:serviceaccounts:default");
    assert_string_equal(u.groups[2], "system:authenticated");
    assert_int_equal(u.nextra, 1);
    assert_string_equal(u.extra_keys[0], "authentication.kubernetes.io/credential-id");
    assert_string_equal(u.extra_values[0], "JTI=jti-1");

    /* the check is trusted for API_SATOKEN_OK_TTL_MS, then done again */
    E->now_ns += (API_SATOKEN_OK_TTL_MS - 1) * 1000000LL;
    assert_int_equal(api_satoken_authenticate(st, tok, strlen(tok), &u), API_SATOKEN_OK);
    E->now_ns += 2000000LL;
    assert_int_equal(api_satoken_authenticate(st, tok, strlen(tok), &u), API_SATOKEN_LOOKUP);
    /* the service account is deleted: refused, and the refusal is kept for API_SATOKEN_FAIL_TTL_MS */
    del(SA_KEY);
    assert_int_equal(api_satoken_lookup(st, tok, strlen(tok), NULL), KC_EUNAUTHORIZED);
    assert_int_equal(api_satoken_authenticate(st, tok, strlen(tok), &u), API_SATOKEN_REJECTED);
    E->now_ns += API_SATOKEN_FAIL_TTL_MS * 1000000LL;
    assert_int_equal(api_satoken_authenticate(st, tok, strlen(tok), &u), API_SATOKEN_LOOKUP);
    /* recreated under the same name: a new uid, the old token stays refused */
    put(SA_KEY, SA_JSON("sa-uid-2"));
    assert_int_equal(authn(st, tok, &u), API_SATOKEN_REJECTED);
    free(tok);
    tok = sign_for("sa-uid-2", NULL, NULL, NULL, NULL, NULL);
    E->now_ns += API_SATOKEN_FAIL_TTL_MS * 1000000LL;
    assert_int_equal(authn(st, tok, &u), API_SATOKEN_OK);
    /* being deleted (deletionTimestamp) counts after the leeway only */
    char json[400];
    snprintf(json, sizeof(json),
             "{\"metadata\":{\"name\":\"builder\",\"namespace\":\"default\",\"uid\":\"sa-uid-2\","
             "\"deletionTimestamp\":\"%s\"}}",
             "2023-11-14T22:12:50Z"); /* NOW + 2 minutes of this test's clock, minus 30 s */
    struct kc_time dt = { .sec = E->now_ns / 1000000000LL - 30 };
    char ts[KC_TIME_BUF];
    kc_time_format(dt, ts);
    snprintf(json, sizeof(json),
             "{\"metadata\":{\"name\":\"builder\",\"namespace\":\"default\",\"uid\":\"sa-uid-2\",\"deletionTimestamp\":"
             "\"%s\"}}",
             ts);
    put(SA_KEY, json);
    E->now_ns += API_SATOKEN_OK_TTL_MS * 1000000LL;
    assert_int_equal(authn(st, tok, &u), API_SATOKEN_OK);
    E->now_ns += 31 * 1000000000LL + API_SATOKEN_OK_TTL_MS * 1000000LL;
    assert_int_equal(authn(st, tok, &u), API_SATOKEN_REJECTED);
    put(SA_KEY, SA_JSON("sa-uid-2"));
    /* an expired token is refused at once from the cache, without a lookup */
    E->now_ns += API_SATOKEN_FAIL_TTL_MS * 1000000LL;
    assert_int_equal(authn(st, tok, &u), API_SATOKEN_OK);
    E->now_ns += (3600 + 61) * 1000000000LL;
    assert_int_equal(api_satoken_authenticate(st, tok, strlen(tok), &u), API_SATOKEN_REJECTED);
    assert_int_equal(api_satoken_lookup(st, tok, strlen(tok), NULL), KC_EUNAUTHORIZED);
    free(tok);
    /* tokens that are not ours, or garbage */
    assert_int_equal(api_satoken_authenticate(st, "secret-token", 12, &u), API_SATOKEN_NONE);
    assert_int_equal(api_satoken_authenticate(st, "a.b.c", 5, &u), API_SATOKEN_NONE);
    assert_int_equal(api_satoken_lookup(st, "a.b.c", 5, NULL), KC_EUNAUTHORIZED);
    api_satoken_free(st);
    del(SA_KEY);
}

static void
test_authenticate_bound(void **state)
{
    (void)state;
    E->now_ns = NOW_NS;
    struct api_satoken *st = new_state(E->ec_key, NULL, NULL, NULL);
    put(SA_KEY, SA_JSON("sa-1"));
    put("/registry/pods/default/p1", "{\"metadata\":{\"name\":\"p1\",\"namespace\":\"default\",\"uid\":\"pod-1\"},"
                                     "\"spec\":{\"serviceAccountName\":\"builder\",\"nodeName\":\"n1\"}}");
    put("/registry/secrets/default/s1",
        "{\"metadata\":{\"name\":\"s1\",\"namespace\":\"default\",\"uid\":\"sec-uid\"}}");
    put("/registry/nodes/n1", "{\"metadata\":{\"name\":\"n1\",\"uid\":\"node-1\"}}");
    struct api_user u;

    /* pod-bound, with its node: the extras upstream sets, in key order */
    char *tok = sign_for("sa-1", "p1", "pod-1", NULL, "n1", "node-1");
    assert_int_equal(authn(st, tok, &u), API_SATOKEN_OK);
    assert_int_equal(u.nextra, 5);
    const char *keys[] = { "credential-id", "node-name", "node-uid", "pod-name", "pod-uid" };
    const char *vals[] = { "JTI=jti-1", "n1", "node-1", "p1", "pod-1" };
    for (int i = 0; i < 5; i++) {
        char k[64];
        snprintf(k, sizeof(k), "authentication.kubernetes.io/%s", keys[i]);
        assert_string_equal(u.extra_keys[i], k);
        assert_string_equal(u.extra_values[i], vals[i]);
    }
    /* a pod's node is not checked (only reported): its deletion changes nothing; the pod's does */
    del("/registry/nodes/n1");
    E->now_ns += API_SATOKEN_OK_TTL_MS * 1000000LL;
    assert_int_equal(authn(st, tok, &u), API_SATOKEN_OK);
    put("/registry/pods/default/p1", "{\"metadata\":{\"name\":\"p1\",\"namespace\":\"default\",\"uid\":\"pod-2\"}}");
    E->now_ns += API_SATOKEN_OK_TTL_MS * 1000000LL;
    assert_int_equal(authn(st, tok, &u), API_SATOKEN_REJECTED);
    del("/registry/pods/default/p1");
    E->now_ns += API_SATOKEN_FAIL_TTL_MS * 1000000LL;
    assert_int_equal(authn(st, tok, &u), API_SATOKEN_REJECTED);
    free(tok);

    /* secret-bound */
    tok = sign_for("sa-1", NULL, NULL, "s1", NULL, NULL);
    assert_int_equal(authn(st, tok, &u), API_SATOKEN_OK);
    assert_int_equal(u.nextra, 1);
    del("/registry/secrets/default/s1");
    E->now_ns += API_SATOKEN_OK_TTL_MS * 1000000LL;
    assert_int_equal(authn(st, tok, &u), API_SATOKEN_REJECTED);
    free(tok);

    /* node-bound: the node is checked */
    put("/registry/nodes/n1", "{\"metadata\":{\"name\":\"n1\",\"uid\":\"node-1\"}}");
    tok = sign_for("sa-1", NULL, NULL, NULL, "n1", "node-1");
    assert_int_equal(authn(st, tok, &u), API_SATOKEN_OK);
    assert_int_equal(u.nextra, 3);
    assert_string_equal(u.extra_keys[1], "authentication.kubernetes.io/node-name");
    put("/registry/nodes/n1", "{\"metadata\":{\"name\":\"n1\",\"uid\":\"node-2\"}}");
    E->now_ns += API_SATOKEN_OK_TTL_MS * 1000000LL;
    assert_int_equal(authn(st, tok, &u), API_SATOKEN_REJECTED);
    free(tok);
    del("/registry/nodes/n1");
    del(SA_KEY);
    api_satoken_free(st);
}

/* --- TokenRequest --- */

struct call {
    struct api_server *srv;
    struct api_request *rq;
    struct api_reply rep;
};

static void
call_free(struct call *c)
{
    json_decref(c->rep.body);
    for (int i = 0; i < c->rep.nwarnings; i++)
        free(c->rep.warnings[i]);
    free(c->rq);
    free(c->srv);
}

/* POSTs body (ctype: NULL = JSON) to default/serviceaccounts/<sa>/token with st. */
static void
token_request(struct call *c, struct api_satoken *st, const char *sa, const char *body, size_t len, const char *ctype,
              const char *verb)
{
    memset(c, 0, sizeof(*c));
    c->srv = calloc(1, sizeof(*c->srv));
    c->rq = calloc(1, sizeof(*c->rq));
    c->srv->store = E->s;
    c->srv->satoken = st;
    c->srv->cfg.max_body = 3 << 20;
    c->rq->srv = c->srv;
    c->rq->res = api_resource_find("", "v1", "serviceaccounts");
    assert_non_null(c->rq->res);
    snprintf(c->rq->namespace, sizeof(c->rq->namespace), "default");
    snprintf(c->rq->name, sizeof(c->rq->name), "%s", sa);
    snprintf(c->rq->sub, sizeof(c->rq->sub), "token");
    snprintf(c->rq->verb, sizeof(c->rq->verb), "%s", verb ? verb : "create");
    c->rq->body = body;
    c->rq->body_len = len;
    c->rq->content_type = ctype ? ctype : "application/json";
    api_satoken_request(c->rq, &c->rep);
}

static void
post(struct call *c, struct api_satoken *st, const char *body)
{
    token_request(c, st, "builder", body, strlen(body), NULL, NULL);
}

static void
expect_status(struct call *c, int code, const char *reason, const char *message)
{
    const char *m = kc_json_get_string(c->rep.body, "message");
    const char *r = kc_json_get_string(c->rep.body, "reason");
    if (c->rep.status != code || !r || strcmp(r, reason) != 0 || !m || strcmp(m, message) != 0) {
        char *t = json_dumps(c->rep.body, JSON_COMPACT);
        print_error("got %d %s\nwant %d %s \"%s\"\n", c->rep.status, t ? t : "(null)", code, reason, message);
        free(t);
        fail();
    }
}

static json_t *
claims_of(const char *tok)
{
    const char *d1 = strchr(tok, '.'), *d2 = strchr(d1 + 1, '.');
    char *p = unb64u(d1 + 1, (size_t)(d2 - d1 - 1));
    json_t *j = json_loads(p, 0, NULL);
    free(p);
    assert_non_null(j);
    return j;
}

static void
test_token_request(void **state)
{
    (void)state;
    E->now_ns = NOW_NS;
    struct api_satoken *st = new_state(E->ec_key, NULL, NULL, NULL);
    struct call c;

    post(&c, st, "{}");
    expect_status(&c, 404, "NotFound", "serviceaccounts \"builder\" not found");
    assert_string_equal(kc_json_get_string(c.rep.body, "details.kind"), "serviceaccounts");
    call_free(&c);
    put(SA_KEY, SA_JSON("sa-1"));

    /* defaults: the API audiences and an hour; the answer is the request with its status */
    post(&c, st, "{\"kind\":\"TokenRequest\",\"apiVersion\":\"authentication.k8s.io/v1\",\"spec\":{}}");
    assert_int_equal(c.rep.status, 201);
    const char *tok = kc_json_get_string(c.rep.body, "status.token");
    assert_non_null(tok);
    json_t *want = json_pack("{s:s,s:s,s:{s:s,s:s,s:s},s:{s:[s],s:I,s:n},s:{s:s,s:s}}", "kind", "TokenRequest",
                             "apiVersion", "authentication.k8s.io/v1", "metadata", "name", "builder", "namespace",
                             "default", "creationTimestamp", "2023-11-14T22:13:20Z", "spec", "audiences", ISS,
                             "expirationSeconds", (json_int_t)3600, "boundObjectRef", "status", "token", tok,
                             "expirationTimestamp", "2023-11-14T23:13:20Z");
    if (!json_equal(c.rep.body, want)) {
        char *g = json_dumps(c.rep.body, JSON_COMPACT);
        print_error("got %s\n", g);
        free(g);
        fail();
    }
    /* ... in Go's field order */
    char *text = json_dumps(c.rep.body, JSON_COMPACT);
    assert_non_null(strstr(text, "{\"kind\":\"TokenRequest\",\"apiVersion\":\"authentication.k8s.io/v1\",\"metadata\":{"
                                 "\"name\":\"builder\",\"namespace\":\"default\",\"creationTimestamp\":"));
    assert_non_null(
        strstr(text, "\"spec\":{\"audiences\":[\"" ISS "\"],\"expirationSeconds\":3600,\"boundObjectRef\":null}"));
    free(text);
    json_decref(want);
    json_t *cl = claims_of(tok);
    assert_int_equal(json_integer_value(json_object_get(cl, "exp")), NOW + 3600);
    assert_int_equal(json_integer_value(json_object_get(cl, "iat")), NOW);
    assert_string_equal(kc_json_get_string(cl, "sub"), "system:serviceaccount:default:builder");
    assert_string_equal(kc_json_get_string(json_object_get(cl, "kubernetes.io"), "serviceaccount.uid"), "sa-1");
    assert_int_equal(strlen(kc_json_get_string(cl, "jti")), KC_UUID_LEN);
    json_decref(cl);
    struct api_user u;
    assert_int_equal(authn(st, tok, &u), API_SATOKEN_OK);
    call_free(&c);

    /* given audiences and lifetime; metadata the client sent (labels) comes back, system fields do not */
    post(&c, st,
         "{\"metadata\":{\"name\":\"builder\",\"namespace\":\"default\",\"uid\":\"x\",\"labels\":{\"a\":\"b\"}},"
         "\"spec\":{\"audiences\":[\"vault\",\"" ISS "\"],\"expirationSeconds\":7200}}");
    assert_int_equal(c.rep.status, 201);
    assert_null(kc_json_get(c.rep.body, "metadata.uid"));
    assert_string_equal(kc_json_get_string(c.rep.body, "metadata.labels.a"), "b");
    cl = claims_of(kc_json_get_string(c.rep.body, "status.token"));
    assert_int_equal(json_array_size(json_object_get(cl, "aud")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(cl, "aud"), 0)), "vault");
    assert_int_equal(json_integer_value(json_object_get(cl, "exp")), NOW + 7200);
    json_decref(cl);
    call_free(&c);
    /* a token for another audience only does not authenticate here */
    post(&c, st, "{\"spec\":{\"audiences\":[\"vault\"]}}");
    assert_int_equal(c.rep.status, 201);
    assert_int_equal(api_satoken_authenticate(st, kc_json_get_string(c.rep.body, "status.token"),
                                              strlen(kc_json_get_string(c.rep.body, "status.token")), &u),
                     API_SATOKEN_REJECTED);
    call_free(&c);

    /* validation: 422 with causes, as ValidateTokenRequest */
    post(&c, st, "{\"spec\":{\"expirationSeconds\":599}}");
    expect_status(&c, 422, "Invalid",
                  "TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 599: may "
                  "not specify a duration less than 10 minutes");
    assert_string_equal(kc_json_get_string(c.rep.body, "details.group"), "authentication.k8s.io");
    assert_string_equal(kc_json_get_string(c.rep.body, "details.kind"), "TokenRequest");
    json_t *cause = json_array_get(kc_json_get(c.rep.body, "details.causes"), 0);
    assert_string_equal(kc_json_get_string(cause, "reason"), "FieldValueInvalid");
    assert_string_equal(kc_json_get_string(cause, "field"), "spec.expirationSeconds");
    call_free(&c);
    post(&c, st, "{\"spec\":{\"expirationSeconds\":4294967297}}");
    expect_status(&c, 422, "Invalid",
                  "TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: "
                  "4294967297: may not specify a duration larger than 2^32 seconds");
    call_free(&c);
    post(&c, st, "{\"spec\":{\"expirationSeconds\":0}}");
    assert_int_equal(c.rep.status, 422);
    call_free(&c);
    post(&c, st, "{\"spec\":{\"expirationSeconds\":600}}");
    assert_int_equal(c.rep.status, 201);
    call_free(&c);
    post(&c, st, "{\"metadata\":{\"name\":\"other\"}}");
    expect_status(&c, 422, "Invalid",
                  "TokenRequest.authentication.k8s.io \"builder\" is invalid: metadata.name: Invalid value: \"other\": "
                  "must match the service account name if specified");
    call_free(&c);
    post(&c, st, "{\"metadata\":{\"namespace\":\"kube-system\"}}");
    expect_status(&c, 400, "BadRequest",
                  "the namespace of the provided object does not match the namespace sent on the request");
    call_free(&c);

    /* bodies that do not decode: 400 in the decoder's words */
    static const struct {
        const char *body, *msg;
    } bad[] = {
        { "{\"spec\":{\"expirationSeconds\":\"1h\"}}", "json: cannot unmarshal string into Go struct field "
                                                       "TokenRequestSpec.spec.expirationSeconds of type int64" },
        { "{\"spec\":{\"expirationSeconds\":1.5}}", "json: cannot unmarshal number 1.5 into Go struct field "
                                                    "TokenRequestSpec.spec.expirationSeconds of type int64" },
        { "{\"spec\":{\"audiences\":\"a\"}}",
          "json: cannot unmarshal string into Go struct field TokenRequestSpec.spec.audiences of type []string" },
        { "{\"spec\":{\"audiences\":[1]}}",
          "json: cannot unmarshal number into Go struct field TokenRequestSpec.spec.audiences of type string" },
        { "{\"spec\":[]}", "json: cannot unmarshal array into Go struct field TokenRequest.spec of type "
                           "v1.TokenRequestSpec" },
        { "{\"spec\":{\"boundObjectRef\":\"p\"}}",
          "json: cannot unmarshal string into Go struct field "
          "TokenRequestSpec.spec.boundObjectRef of type v1.BoundObjectReference" },
        { "{\"spec\":{\"boundObjectRef\":{\"uid\":5}}}",
          "json: cannot unmarshal number into Go struct field "
          "BoundObjectReference.spec.boundObjectRef.uid of type types.UID" },
        { "{\"metadata\":{\"name\":true}}",
          "json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.name of type string" },
        /* a fraction where a string goes is a plain "number" (only integer fields quote it) */
        { "{\"metadata\":{\"name\":1.5}}",
          "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char msg[600];
        snprintf(msg, sizeof(msg),
                 "TokenRequest.authentication.k8s.io in version \"v1\" cannot be handled as a TokenRequest: %s",
                 bad[i].msg);
        post(&c, st, bad[i].body);
        expect_status(&c, 400, "BadRequest", msg);
        call_free(&c);
    }
    post(&c, st, "{\"kind\":\"Pod\"}");
    expect_status(&c, 400, "BadRequest", "the kind in the data (Pod) does not match the expected kind (TokenRequest)");
    call_free(&c);
    post(&c, st, "{\"apiVersion\":\"v1\",\"kind\":\"TokenRequest\"}");
    expect_status(
        &c, 400, "BadRequest",
        "the API version in the data (v1) does not match the expected API version (authentication.k8s.io/v1)");
    call_free(&c);
    post(&c, st, "{nope");
    assert_int_equal(c.rep.status, 400);
    call_free(&c);
    /* unknown fields: a warning by default (fieldValidation=Warn), the token all the same */
    post(&c, st, "{\"spec\":{\"expirationSecs\":1}}");
    assert_int_equal(c.rep.status, 201);
    assert_int_equal(c.rep.nwarnings, 1);
    assert_non_null(strstr(c.rep.warnings[0], "unknown field \\\"spec.expirationSecs\\\""));
    call_free(&c);

    /* verbs and configuration */
    token_request(&c, st, "builder", NULL, 0, NULL, "get");
    expect_status(&c, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    call_free(&c);
    struct api_sa_config z = { .key_files = { E->ec_pub }, .nkey_files = 1 };
    struct api_satoken *verify_only;
    char err[200];
    assert_int_equal(api_satoken_new(&z, E->s, &verify_only, err, sizeof(err)), 0);
    post(&c, verify_only, "{}");
    expect_status(&c, 404, "NotFound", "the server could not find the requested resource");
    call_free(&c);
    api_satoken_free(verify_only);

    /* YAML */
    const char *yaml = "apiVersion: authentication.k8s.io/v1\nkind: TokenRequest\nspec:\n  expirationSeconds: 1200\n";
    token_request(&c, st, "builder", yaml, strlen(yaml), "application/yaml", NULL);
    assert_int_equal(c.rep.status, 201);
    assert_int_equal(json_integer_value(kc_json_get(c.rep.body, "spec.expirationSeconds")), 1200);
    call_free(&c);

    /* protobuf: "k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw = TokenRequest{spec{audiences: "a",
       expirationSeconds: 900}}} */
    static const uint8_t spec_pb[] = { 0x0a, 0x01, 'a', 0x20, 0x84, 0x07 };
    uint8_t tr[64], env[200];
    size_t n = 0, m = 0;
    tr[n++] = 0x12;
    tr[n++] = sizeof(spec_pb);
    memcpy(tr + n, spec_pb, sizeof(spec_pb));
    n += sizeof(spec_pb);
    const char av[] = "authentication.k8s.io/v1", kind[] = "TokenRequest";
    memcpy(env, "k8s\0", 4);
    m = 4;
    env[m++] = 0x0a;
    env[m++] = (uint8_t)(2 + strlen(av) + 2 + strlen(kind));
    env[m++] = 0x0a;
    env[m++] = (uint8_t)strlen(av);
    memcpy(env + m, av, strlen(av));
    m += strlen(av);
    env[m++] = 0x12;
    env[m++] = (uint8_t)strlen(kind);
    memcpy(env + m, kind, strlen(kind));
    m += strlen(kind);
    env[m++] = 0x12;
    env[m++] = (uint8_t)n;
    memcpy(env + m, tr, n);
    m += n;
    token_request(&c, st, "builder", (const char *)env, m, "application/vnd.kubernetes.protobuf", NULL);
    if (c.rep.status != 201) {
        char *t = json_dumps(c.rep.body, JSON_COMPACT);
        print_error("protobuf: %d %s\n", c.rep.status, t);
        free(t);
        fail();
    }
    assert_int_equal(json_integer_value(kc_json_get(c.rep.body, "spec.expirationSeconds")), 900);
    assert_string_equal(json_string_value(json_array_get(kc_json_get(c.rep.body, "spec.audiences"), 0)), "a");
    call_free(&c);
    /* the body kubectl 1.33 sends for `create token sa1 --audience=api --duration=1h` (tests/unit/data/proto) */
    char path[1024];
    snprintf(path, sizeof(path), "%s/proto/token.pb", getenv("K8C_TEST_DATA") ? getenv("K8C_TEST_DATA") : ".");
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char pb[4096];
    size_t pblen = fread(pb, 1, sizeof(pb), f);
    fclose(f);
    token_request(&c, st, "builder", pb, pblen, "application/vnd.kubernetes.protobuf", NULL);
    assert_int_equal(c.rep.status, 201);
    assert_int_equal(json_integer_value(kc_json_get(c.rep.body, "spec.expirationSeconds")), 3600);
    assert_string_equal(json_string_value(json_array_get(kc_json_get(c.rep.body, "spec.audiences"), 0)), "api");
    call_free(&c);
    api_satoken_free(st);
}

static void
test_token_request_bound(void **state)
{
    (void)state;
    E->now_ns = NOW_NS;
    struct api_satoken *st = new_state(E->ec_key, NULL, NULL, NULL);
    struct call c;
    put(SA_KEY, SA_JSON("sa-1"));

    post(&c, st, "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"name\":\"p1\"}}}");
    expect_status(&c, 404, "NotFound", "pods \"p1\" not found");
    call_free(&c);
    put("/registry/pods/default/p1", "{\"metadata\":{\"name\":\"p1\",\"namespace\":\"default\",\"uid\":\"pod-1\"},"
                                     "\"spec\":{\"serviceAccountName\":\"other\"}}");
    post(&c, st, "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"name\":\"p1\"}}}");
    expect_status(
        &c, 400, "BadRequest",
        "cannot bind token for serviceaccount \"builder\" to pod running with different serviceaccount name.");
    call_free(&c);
    /* a pod that names no service account runs as "default" (what upstream's admission stores) */
    put("/registry/pods/default/p2", "{\"metadata\":{\"name\":\"p2\",\"namespace\":\"default\",\"uid\":\"pod-2\"}}");
    post(&c, st, "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Pod\",\"name\":\"p2\"}}}");
    assert_int_equal(c.rep.status, 400);
    call_free(&c);
    put("/registry/serviceaccounts/default/default", "{\"metadata\":{\"name\":\"default\",\"namespace\":\"default\","
                                                     "\"uid\":\"sa-d\"}}");
    const char *p2 = "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Pod\",\"name\":\"p2\"}}}";
    token_request(&c, st, "default", p2, strlen(p2), NULL, NULL);
    assert_int_equal(c.rep.status, 201);
    call_free(&c);
    del("/registry/pods/default/p2");
    del("/registry/serviceaccounts/default/default");
    put("/registry/pods/default/p1", "{\"metadata\":{\"name\":\"p1\",\"namespace\":\"default\",\"uid\":\"pod-1\"},"
                                     "\"spec\":{\"serviceAccountName\":\"builder\",\"nodeName\":\"n1\"}}");
    /* the pod's node is not there: its name only */
    post(&c, st,
         "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"name\":\"p1\",\"uid\":\"pod-1\"}}}");
    assert_int_equal(c.rep.status, 201);
    json_t *cl = claims_of(kc_json_get_string(c.rep.body, "status.token"));
    assert_string_equal(kc_json_get_string(json_object_get(cl, "kubernetes.io"), "pod.uid"), "pod-1");
    assert_string_equal(kc_json_get_string(json_object_get(cl, "kubernetes.io"), "node.name"), "n1");
    assert_null(kc_json_get(json_object_get(cl, "kubernetes.io"), "node.uid"));
    json_decref(cl);
    assert_string_equal(kc_json_get_string(c.rep.body, "spec.boundObjectRef.uid"), "pod-1");
    call_free(&c);
    put("/registry/nodes/n1", "{\"metadata\":{\"name\":\"n1\",\"uid\":\"node-1\"}}");
    post(&c, st, "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Pod\",\"name\":\"p1\"}}}"); /* no apiVersion: core */
    assert_int_equal(c.rep.status, 201);
    cl = claims_of(kc_json_get_string(c.rep.body, "status.token"));
    assert_string_equal(kc_json_get_string(json_object_get(cl, "kubernetes.io"), "node.uid"), "node-1");
    json_decref(cl);
    struct api_user u;
    assert_int_equal(authn(st, kc_json_get_string(c.rep.body, "status.token"), &u), API_SATOKEN_OK);
    assert_string_equal(u.extra_values[3], "p1");
    call_free(&c);
    post(&c, st,
         "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"name\":\"p1\",\"uid\":\"old\"}}}");
    expect_status(&c, 409, "Conflict",
                  "Operation cannot be fulfilled on Pod \"p1\": the UID in the bound object reference (old) does not "
                  "match the UID in record. The object might have been deleted and then recreated");
    assert_string_equal(kc_json_get_string(c.rep.body, "details.kind"), "Pod");
    call_free(&c);

    /* the kubelet's 3607 s for the API audiences: a year, warning after the hour; the status says 3607 s */
    post(&c, st, "{\"spec\":{\"expirationSeconds\":3607,\"boundObjectRef\":{\"kind\":\"Pod\",\"name\":\"p1\"}}}");
    assert_int_equal(c.rep.status, 201);
    cl = claims_of(kc_json_get_string(c.rep.body, "status.token"));
    assert_int_equal(json_integer_value(json_object_get(cl, "exp")), NOW + API_SATOKEN_EXTENDED_EXP_S);
    assert_int_equal(json_integer_value(kc_json_get(json_object_get(cl, "kubernetes.io"), "warnafter")), NOW + 3607);
    json_decref(cl);
    assert_string_equal(kc_json_get_string(c.rep.body, "status.expirationTimestamp"), "2023-11-14T23:13:27Z");
    call_free(&c);
    /* not for other audiences, nor unbound, nor with the flag off */
    post(&c, st,
         "{\"spec\":{\"expirationSeconds\":3607,\"audiences\":[\"x\"],\"boundObjectRef\":{\"kind\":\"Pod\","
         "\"name\":\"p1\"}}}");
    cl = claims_of(kc_json_get_string(c.rep.body, "status.token"));
    assert_int_equal(json_integer_value(json_object_get(cl, "exp")), NOW + 3607);
    json_decref(cl);
    call_free(&c);
    post(&c, st, "{\"spec\":{\"expirationSeconds\":3607}}");
    cl = claims_of(kc_json_get_string(c.rep.body, "status.token"));
    assert_int_equal(json_integer_value(json_object_get(cl, "exp")), NOW + 3607);
    json_decref(cl);
    call_free(&c);
    struct api_satoken *noext = new_state(E->ec_key, NULL, NULL, "false");
    post(&c, noext, "{\"spec\":{\"expirationSeconds\":3607,\"boundObjectRef\":{\"kind\":\"Pod\",\"name\":\"p1\"}}}");
    cl = claims_of(kc_json_get_string(c.rep.body, "status.token"));
    assert_int_equal(json_integer_value(json_object_get(cl, "exp")), NOW + 3607);
    assert_null(kc_json_get(json_object_get(cl, "kubernetes.io"), "warnafter"));
    json_decref(cl);
    call_free(&c);
    api_satoken_free(noext);

    /* --service-account-max-token-expiration caps with a warning */
    struct api_satoken *capped = new_state(E->ec_key, NULL, "2h", NULL);
    post(&c, capped, "{\"spec\":{\"expirationSeconds\":86400}}");
    assert_int_equal(c.rep.status, 201);
    assert_int_equal(json_integer_value(kc_json_get(c.rep.body, "spec.expirationSeconds")), 7200);
    assert_int_equal(c.rep.nwarnings, 1);
    assert_string_equal(c.rep.warnings[0], "299 - \"requested expiration of 86400 seconds shortened to 7200 seconds\"");
    call_free(&c);
    api_satoken_free(capped);

    /* secrets and nodes; other kinds are refused */
    post(&c, st, "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"name\":\"s1\"}}}");
    expect_status(&c, 404, "NotFound", "secrets \"s1\" not found");
    call_free(&c);
    put("/registry/secrets/default/s1", "{\"metadata\":{\"name\":\"s1\",\"namespace\":\"default\",\"uid\":\"sec-1\"}}");
    post(&c, st, "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"name\":\"s1\"}}}");
    assert_int_equal(c.rep.status, 201);
    cl = claims_of(kc_json_get_string(c.rep.body, "status.token"));
    assert_string_equal(kc_json_get_string(json_object_get(cl, "kubernetes.io"), "secret.uid"), "sec-1");
    json_decref(cl);
    call_free(&c);
    post(&c, st, "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"name\":\"n1\"}}}");
    assert_int_equal(c.rep.status, 201);
    cl = claims_of(kc_json_get_string(c.rep.body, "status.token"));
    assert_string_equal(kc_json_get_string(json_object_get(cl, "kubernetes.io"), "node.uid"), "node-1");
    assert_null(kc_json_get(json_object_get(cl, "kubernetes.io"), "pod"));
    json_decref(cl);
    call_free(&c);
    post(&c, st, "{\"spec\":{\"boundObjectRef\":{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"name\":\"c\"}}}");
    expect_status(&c, 400, "BadRequest", "cannot bind token to object of type /v1, Kind=ConfigMap");
    call_free(&c);
    post(&c, st, "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Pod\",\"apiVersion\":\"apps/v1\",\"name\":\"p1\"}}}");
    expect_status(&c, 400, "BadRequest", "cannot bind token to object of type apps/v1, Kind=Pod");
    call_free(&c);
    post(&c, st, "{\"spec\":{\"boundObjectRef\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\"}}}");
    expect_status(&c, 400, "BadRequest", "Name parameter required.");
    call_free(&c);

    del("/registry/pods/default/p1");
    del("/registry/secrets/default/s1");
    del("/registry/nodes/n1");
    del(SA_KEY);
    api_satoken_free(st);
}

/* Every allocation that can fail, failing in turn: errors, never crashes or leaks. */
static void
test_out_of_memory(void **state)
{
    (void)state;
    E->now_ns = NOW_NS;
    put(SA_KEY, SA_JSON("sa-1"));
    struct api_satoken *st = new_state(E->ec_key, NULL, NULL, NULL);
    int done = 0;
    for (long nth = 1; nth < 200 && !done; nth++) {
        kc_fault_arm(KC_FAULT_ALLOC, nth, ENOMEM, false);
        char *tok = NULL;
        int rc = api_satoken_sign(st, &RS256_SPEC, &tok);
        struct api_sa_claims cl;
        char why[100];
        int vrc = rc == 0 ? api_satoken_verify(st, tok, strlen(tok), NOW, &cl, why, sizeof(why)) : 0;
        int lrc = rc == 0 ? api_satoken_lookup(st, tok, strlen(tok), NULL) : 0;
        struct call c;
        post(&c, st, "{\"spec\":{\"audiences\":[\"" ISS "\"]}}");
        long injected = kc_fault_injected(KC_FAULT_ALLOC);
        kc_fault_disarm(KC_FAULT_ALLOC);
        assert_true(rc == 0 || rc == -ENOMEM);
        assert_true(vrc == 0 || vrc == -ENOMEM);
        assert_true(lrc == 0 || lrc == -ENOMEM || lrc == KC_EUNAUTHORIZED);
        assert_true(c.rep.status == 201 || c.rep.status == 500);
        call_free(&c);
        free(tok);
        if (!injected)
            done = 1;
    }
    assert_true(done);
    /* and the configuration */
    done = 0;
    for (long nth = 1; nth < 200 && !done; nth++) {
        char keys[300];
        snprintf(keys, sizeof(keys), "%s,%s", E->ec_pub, E->rsa_key);
        struct api_sa_config c = { .signing_key_file = E->ec_key,
                                   .key_files = { keys },
                                   .nkey_files = 1,
                                   .audiences = { "a,b" },
                                   .naudiences = 1 };
        struct api_satoken *s2 = NULL;
        char err[200];
        kc_fault_arm(KC_FAULT_ALLOC, nth, ENOMEM, false);
        int rc = api_satoken_new(&c, E->s, &s2, err, sizeof(err));
        long injected = kc_fault_injected(KC_FAULT_ALLOC);
        kc_fault_disarm(KC_FAULT_ALLOC);
        assert_true(rc == 0 || rc == -ENOMEM);
        api_satoken_free(rc == 0 ? s2 : NULL);
        if (!injected)
            done = 1;
    }
    assert_true(done);
    api_satoken_free(st);
    del(SA_KEY);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_duration),      cmocka_unit_test(test_config),
        cmocka_unit_test(test_key_ids_and_algs),    cmocka_unit_test(test_rs256_exact_bytes),
        cmocka_unit_test(test_es256_round_trip),    cmocka_unit_test(test_verify_failures),
        cmocka_unit_test(test_verify_garbage),      cmocka_unit_test(test_authenticate),
        cmocka_unit_test(test_authenticate_bound),  cmocka_unit_test(test_token_request),
        cmocka_unit_test(test_token_request_bound), cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
