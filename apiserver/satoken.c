/* satoken.c - service account tokens (api_satoken.h): JWT signing and verification over OpenSSL 3 (EVP), the
 * bearer-token authenticator with its cache of verified tokens and existence checks, and the TokenRequest
 * subresource, after kube-apiserver's pkg/serviceaccount and pkg/registry/core/serviceaccount/storage/token.go. */
#include "api_satoken.h"
#include "api_int.h"
#include "kc_crypto.h"
#include "kc_error.h"
#include "kc_fault.h"
#include "kc_jarena.h"
#include "kc_json.h"
#include "kc_log.h"
#include "kc_sb.h"
#include "kc_strict.h"
#include "kc_time.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS 1024 /* direct-mapped by the token's hash: a colliding token evicts the older one */
#define MAX_KEYS    64   /* verification keys over all --service-account-key-file files */
#define MAX_KEYFILE (1024 * 1024)

/* --- keys --- */

enum key_type { KEY_EC, KEY_RSA };

struct sa_key {
    EVP_PKEY *pkey;
    int type;           /* KEY_EC or KEY_RSA */
    int ec_bytes;       /* EC: the length of r and of s in a JWS signature (32, 48, 66) */
    const char *ec_alg; /* EC: the one alg its curve signs ("ES256", "ES384", "ES512") */
    char kid[48];       /* base64url(sha256(DER SubjectPublicKeyInfo)), as upstream's keyIDFromPublicKey */
};

/* One cached token: its verified claims and the last existence check. */
struct entry {
    uint8_t hash[KC_SHA256_LEN]; /* sha256 of the token */
    struct api_sa_claims c;
    int state;          /* 0: not checked yet, 1: its objects exist, -1: they do not */
    int64_t checked_ns; /* when state was set (the server's clock) */
};

struct api_satoken {
    struct api_store *store;
    struct sa_key signer;
    bool can_sign;
    struct sa_key keys[MAX_KEYS];
    int nkeys;
    char *issuers[API_SA_MAX_FLAGS];
    int nissuers;
    char **auds;
    int nauds;
    int64_t max_exp_s; /* 0: no cap */
    bool extend;       /* --service-account-extend-token-expiration */
    int64_t (*now_ns)(void *arg);
    void *now_arg;
    pthread_mutex_t lock; /* the cache */
    struct entry *slots[CACHE_SLOTS];
};

/* The outcome of a deferred existence check, which api_satoken_authenticate answers on the loop thread while the
 * request's handler runs again (api_satoken_defer): set and cleared around that one call. */
struct resume {
    uint8_t hash[KC_SHA256_LEN];
    int rc;
    struct api_user user;
};
static _Thread_local const struct resume *resuming;

static int64_t
real_now_ns(void *arg)
{
    (void)arg;
    struct kc_time t = kc_time_now();
    return t.sec * 1000000000LL + t.nsec;
}

static int64_t
now_ns(const struct api_satoken *st)
{
    return st->now_ns(st->now_arg);
}

static int64_t
now_s(const struct api_satoken *st)
{
    int64_t ns = now_ns(st);
    return ns >= 0 ? ns / 1000000000LL : -((-ns + 999999999LL) / 1000000000LL);
}

/* --- keys --- */

/* Fills k from pkey (taking the reference): EC keys of P-256, P-384 and P-521, and RSA keys. Returns 0 or
 * KC_EINVALID (another kind of key, which the caller frees). */
static int
key_init(struct sa_key *k, EVP_PKEY *pkey)
{
    memset(k, 0, sizeof(*k));
    int id = EVP_PKEY_get_base_id(pkey);
    if (id == EVP_PKEY_RSA) {
        k->type = KEY_RSA;
    } else if (id == EVP_PKEY_EC) {
        char group[64] = "";
        if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), NULL) != 1) {
            ERR_clear_error();
            return KC_EINVALID;
        }
        k->type = KEY_EC;
        if (strcmp(group, SN_X9_62_prime256v1) == 0 || strcmp(group, "P-256") == 0) {
            k->ec_bytes = 32;
            k->ec_alg = "ES256";
        } else if (strcmp(group, SN_secp384r1) == 0 || strcmp(group, "P-384") == 0) {
            k->ec_bytes = 48;
            k->ec_alg = "ES384";
        } else if (strcmp(group, SN_secp521r1) == 0 || strcmp(group, "P-521") == 0) {
            k->ec_bytes = 66;
            k->ec_alg = "ES512";
        } else {
            return KC_EINVALID;
        }
    } else {
        return KC_EINVALID;
    }
    unsigned char *der = NULL;
    int dlen = i2d_PUBKEY(pkey, &der);
    if (dlen <= 0) {
        ERR_clear_error();
        return KC_EINVALID;
    }
    uint8_t h[KC_SHA256_LEN];
    kc_sha256(der, (size_t)dlen, h);
    OPENSSL_free(der);
    struct kc_sb b = { 0 };
    kc_sb_base64url(&b, h, sizeof(h));
    if (b.oom || b.len >= sizeof(k->kid)) {
        kc_sb_free(&b);
        return -ENOMEM;
    }
    memcpy(k->kid, b.p, b.len + 1);
    kc_sb_free(&b);
    k->pkey = pkey;
    return 0;
}

static int
read_file(const char *path, char **out, size_t *len, char *err, size_t errlen, const char *flag)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "%s: cannot read %s: %s", flag, path, strerror(e));
        return KC_EINVALID;
    }
    char *buf = kc_malloc(MAX_KEYFILE + 1);
    if (!buf) {
        fclose(f);
        return -ENOMEM;
    }
    size_t n = fread(buf, 1, MAX_KEYFILE + 1, f);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad || n > MAX_KEYFILE) {
        snprintf(err, errlen, "%s: cannot read %s: %s", flag, path, bad ? "read error" : "larger than 1 MiB");
        free(buf);
        return KC_EINVALID;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

/* One PEM block's key (the public half of a private key or certificate), or NULL for a block of another kind. */
static EVP_PKEY *
block_key(const char *name, const unsigned char *data, long len)
{
    const unsigned char *p = data;
    EVP_PKEY *k = NULL;
    if (strcmp(name, "PUBLIC KEY") == 0) {
        k = d2i_PUBKEY(NULL, &p, len);
    } else if (strcmp(name, "RSA PUBLIC KEY") == 0) {
        k = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, len);
    } else if (strcmp(name, "PRIVATE KEY") == 0) {
        k = d2i_AutoPrivateKey(NULL, &p, len);
    } else if (strcmp(name, "RSA PRIVATE KEY") == 0) {
        k = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, len);
    } else if (strcmp(name, "EC PRIVATE KEY") == 0) {
        k = d2i_PrivateKey(EVP_PKEY_EC, NULL, &p, len);
    } else if (strcmp(name, "CERTIFICATE") == 0) {
        X509 *x = d2i_X509(NULL, &p, len);
        if (x)
            k = X509_get_pubkey(x);
        X509_free(x);
    }
    ERR_clear_error();
    return k;
}

/* Adds every RSA and EC (P-256/384/521) key of a PEM file to st->keys, as upstream's keyutil.PublicKeysFromFile
 * (other blocks are skipped; a file without any such key is an error). */
static int
load_key_file(struct api_satoken *st, const char *path, char *err, size_t errlen)
{
    char *text;
    size_t len;
    int rc = read_file(path, &text, &len, err, errlen, "--service-account-key-file");
    if (rc != 0)
        return rc;
    BIO *bio = BIO_new_mem_buf(text, (int)len);
    if (!bio) {
        free(text);
        return -ENOMEM;
    }
    int found = 0;
    rc = 0;
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *data = NULL;
        long dlen = 0;
        if (PEM_read_bio(bio, &name, &header, &data, &dlen) != 1) {
            ERR_clear_error();
            break;
        }
        EVP_PKEY *k = header && *header ? NULL : block_key(name, data, dlen); /* encrypted blocks are skipped */
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        if (!k)
            continue;
        if (st->nkeys == MAX_KEYS) {
            EVP_PKEY_free(k);
            snprintf(err, errlen, "--service-account-key-file: more than %d keys", MAX_KEYS);
            rc = KC_EINVALID;
            break;
        }
        int krc = key_init(&st->keys[st->nkeys], k);
        if (krc == 0) {
            st->nkeys++;
            found++;
        } else {
            EVP_PKEY_free(k);
            if (krc == -ENOMEM) {
                rc = krc;
                break;
            }
        }
    }
    BIO_free(bio);
    OPENSSL_cleanse(text, len); /* the file may hold private keys */
    free(text);
    if (rc == 0 && !found) {
        snprintf(err, errlen,
                 "--service-account-key-file: %s: data does not contain any valid RSA or ECDSA public keys", path);
        rc = KC_EINVALID;
    }
    return rc;
}

static int
load_signing_key(struct api_satoken *st, const char *path, char *err, size_t errlen)
{
    char *text;
    size_t len;
    int rc = read_file(path, &text, &len, err, errlen, "--service-account-signing-key-file");
    if (rc != 0)
        return rc;
    BIO *bio = BIO_new_mem_buf(text, (int)len);
    EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    ERR_clear_error();
    BIO_free(bio);
    OPENSSL_cleanse(text, len);
    free(text);
    if (!k) {
        snprintf(err, errlen, "--service-account-signing-key-file: %s: no PEM private key (RSA, EC or PKCS#8)", path);
        return KC_EINVALID;
    }
    rc = key_init(&st->signer, k);
    if (rc != 0) {
        EVP_PKEY_free(k);
        if (rc == KC_EINVALID)
            snprintf(
                err, errlen,
                "--service-account-signing-key-file: %s: unsupported key (RSA, or ECDSA on the 256, 384 or 521-bit "
                "NIST curve)",
                path);
        return rc;
    }
    st->can_sign = true;
    return 0;
}

/* --- configuration --- */

int
api_satoken_parse_duration(const char *s, int64_t *secs)
{
    /* Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, or "0" */
    if (!s || !*s)
        return KC_EINVALID;
    const char *p = s;
    bool neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    if (strcmp(p, "0") == 0) {
        *secs = 0;
        return 0;
    }
    if (!*p)
        return KC_EINVALID;
    long double total = 0; /* nanoseconds */
    while (*p) {
        long double v = 0, scale = 1;
        bool digits = false, dot = false;
        while ((*p >= '0' && *p <= '9') || (*p == '.' && !dot)) {
            if (*p == '.') {
                dot = true;
            } else {
                digits = true;
                if (dot) {
                    scale /= 10;
                    v += (*p - '0') * scale;
                } else {
                    v = v * 10 + (*p - '0');
                }
            }
            p++;
        }
        if (!digits)
            return KC_EINVALID;
        static const struct {
            const char *unit;
            long double ns;
        } units[] = { { "ns", 1 },   { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "\xce\xbcs", 1e3 },
                      { "ms", 1e6 }, { "s", 1e9 },  { "m", 60e9 },        { "h", 3600e9 } };
        size_t best = 0, blen = 0;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            size_t n = strlen(units[i].unit);
            if (n > blen && strncmp(p, units[i].unit, n) == 0) {
                best = i;
                blen = n;
            }
        }
        if (!blen)
            return KC_EINVALID;
        p += blen;
        total += v * units[best].ns;
        if (total > 9223372036854775807.0L) /* Go: "invalid duration" beyond int64 nanoseconds */
            return KC_EINVALID;
    }
    int64_t whole = (int64_t)(total / 1e9L);
    *secs = neg ? -whole : whole;
    return 0;
}

/* Appends the comma-separated values of v to a string array (pflag's StringSlice splits on commas); with split
 * false, v as one value. */
static int
add_values(char ***arr, int *n, const char *v, bool split)
{
    const char *p = v;
    for (;;) {
        size_t len = split ? strcspn(p, ",") : strlen(p);
        char **a = kc_realloc(*arr, sizeof(char *) * (size_t)(*n + 1));
        if (!a)
            return -ENOMEM;
        *arr = a;
        if (!(a[*n] = kc_strndup(p, len)))
            return -ENOMEM;
        (*n)++;
        if (!p[len])
            return 0;
        p += len + 1;
    }
}

int
api_satoken_new(const struct api_sa_config *cfg, struct api_store *store, struct api_satoken **out, char *err,
                size_t errlen)
{
    struct api_satoken *st = kc_calloc(1, sizeof(*st));
    int rc = 0;
    if (!st)
        return -ENOMEM;
    st->store = store;
    st->now_ns = real_now_ns;
    st->extend = true;
    pthread_mutex_init(&st->lock, NULL);
    if (err && errlen)
        err[0] = '\0';

    /* issuers: the first signs, all are accepted (upstream's validation: none empty, none repeated) */
    int ni = cfg->nissuers > 0 ? cfg->nissuers : 1;
    if (ni > API_SA_MAX_FLAGS)
        ni = API_SA_MAX_FLAGS;
    for (int i = 0; i < ni; i++) {
        const char *iss = cfg->nissuers > 0 ? cfg->issuers[i] : API_SA_DEFAULT_ISSUER;
        if (!iss || !*iss) {
            snprintf(err, errlen, "service-account-issuer should not be an empty string");
            rc = KC_EINVALID;
            goto fail;
        }
        for (int j = 0; j < st->nissuers; j++)
            if (strcmp(st->issuers[j], iss) == 0) {
                snprintf(err, errlen, "service-account-issuer \"%s\" is already specified", iss);
                rc = KC_EINVALID;
                goto fail;
            }
        if (!(st->issuers[st->nissuers] = kc_strdup(iss))) {
            rc = -ENOMEM;
            goto fail;
        }
        st->nissuers++;
    }
    /* API audiences: --api-audiences, else the issuers */
    for (int i = 0; i < cfg->naudiences && i < API_SA_MAX_FLAGS; i++)
        if (cfg->audiences[i] && (rc = add_values(&st->auds, &st->nauds, cfg->audiences[i], true)) != 0)
            goto fail;
    if (st->nauds == 0)
        for (int i = 0; i < st->nissuers; i++)
            if ((rc = add_values(&st->auds, &st->nauds, st->issuers[i], false)) != 0)
                goto fail;

    if (cfg->max_expiration) {
        int64_t s;
        if (api_satoken_parse_duration(cfg->max_expiration, &s) != 0) {
            snprintf(err, errlen, "invalid value \"%s\" for --service-account-max-token-expiration: invalid duration",
                     cfg->max_expiration);
            rc = KC_EINVALID;
            goto fail;
        }
        if (s != 0 && (s < 3600 || s > (1LL << 32))) {
            snprintf(err, errlen, "the service-account-max-token-expiration must be between 1 hour and 2^32 seconds");
            rc = KC_EINVALID;
            goto fail;
        }
        st->max_exp_s = s;
    }
    if (cfg->extend_expiration) {
        /* strconv.ParseBool, as pflag reads a bool flag */
        static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
        static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
        int v = -1;
        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
            if (strcmp(cfg->extend_expiration, yes[i]) == 0)
                v = 1;
            if (strcmp(cfg->extend_expiration, no[i]) == 0)
                v = 0;
        }
        if (v >= 0)
            st->extend = v == 1;
        else {
            snprintf(err, errlen, "invalid value \"%s\" for --service-account-extend-token-expiration",
                     cfg->extend_expiration);
            rc = KC_EINVALID;
            goto fail;
        }
    }

    if (cfg->signing_key_file && (rc = load_signing_key(st, cfg->signing_key_file, err, errlen)) != 0)
        goto fail;
    for (int i = 0; i < cfg->nkey_files && i < API_SA_MAX_FLAGS; i++) {
        if (!cfg->key_files[i])
            continue;
        char **files = NULL;
        int nfiles = 0;
        rc = add_values(&files, &nfiles, cfg->key_files[i], true);
        for (int j = 0; rc == 0 && j < nfiles; j++)
            rc = load_key_file(st, files[j], err, errlen);
        for (int j = 0; j < nfiles; j++)
            free(files[j]);
        free(files);
        if (rc != 0)
            goto fail;
    }
    if (st->nkeys == 0 && st->can_sign) {
        /* no --service-account-key-file: the signing key verifies (upstream requires the flag) */
        if (EVP_PKEY_up_ref(st->signer.pkey) != 1) {
            rc = -ENOMEM;
            goto fail;
        }
        st->keys[0] = st->signer;
        st->nkeys = 1;
    }
    if (st->can_sign)
        KC_LOG(KC_LOG_INFO, "apiserver", "service account tokens", "issuer=%s alg=%s kid=%s keys=%d", st->issuers[0],
               api_satoken_alg(st), st->signer.kid, st->nkeys);
    *out = st;
    return 0;
fail:
    if (rc == -ENOMEM && err && errlen && !err[0])
        snprintf(err, errlen, "service account tokens: out of memory");
    api_satoken_free(st);
    return rc;
}

void
api_satoken_free(struct api_satoken *st)
{
    if (!st)
        return;
    EVP_PKEY_free(st->signer.pkey);
    for (int i = 0; i < st->nkeys; i++)
        EVP_PKEY_free(st->keys[i].pkey);
    for (int i = 0; i < st->nissuers; i++)
        free(st->issuers[i]);
    for (int i = 0; i < st->nauds; i++)
        free(st->auds[i]);
    free(st->auds);
    for (int i = 0; i < CACHE_SLOTS; i++)
        free(st->slots[i]);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

void
api_satoken_set_clock(struct api_satoken *st, int64_t (*fn)(void *arg), void *arg)
{
    st->now_ns = fn ? fn : real_now_ns;
    st->now_arg = fn ? arg : NULL;
}

bool
api_satoken_can_issue(const struct api_satoken *st)
{
    return st && st->can_sign;
}

const char *
api_satoken_key_id(const struct api_satoken *st)
{
    return st && st->can_sign ? st->signer.kid : NULL;
}

const char *
api_satoken_alg(const struct api_satoken *st)
{
    if (!st || !st->can_sign)
        return NULL;
    return st->signer.type == KEY_EC ? st->signer.ec_alg : "RS256";
}

/* --- JWS algorithms (RFC 7518 §3) --- */

struct alg {
    const char *name;
    int type; /* KEY_EC or KEY_RSA */
    bool pss;
    int ec_bytes; /* EC: r and s length of the curve */
    const EVP_MD *(*md)(void);
};

static const struct alg algs[] = {
    { "ES256", KEY_EC, false, 32, EVP_sha256 }, { "ES384", KEY_EC, false, 48, EVP_sha384 },
    { "ES512", KEY_EC, false, 66, EVP_sha512 }, { "RS256", KEY_RSA, false, 0, EVP_sha256 },
    { "RS384", KEY_RSA, false, 0, EVP_sha384 }, { "RS512", KEY_RSA, false, 0, EVP_sha512 },
    { "PS256", KEY_RSA, true, 0, EVP_sha256 },  { "PS384", KEY_RSA, true, 0, EVP_sha384 },
    { "PS512", KEY_RSA, true, 0, EVP_sha512 },
};

static const struct alg *
alg_find(const char *name)
{
    for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
        if (strcmp(algs[i].name, name) == 0)
            return &algs[i];
    return NULL;
}

/* Whether sig (JWS form: r||s for ECDSA) over msg verifies with k under a. */
static bool
sig_verifies(const struct sa_key *k, const struct alg *a, const char *msg, size_t mlen, const uint8_t *sig, size_t slen)
{
    if (k->type != a->type || (a->type == KEY_EC && k->ec_bytes != a->ec_bytes))
        return false;
    unsigned char *der = NULL;
    const unsigned char *s = sig;
    size_t dlen = slen;
    bool ok = false;
    if (a->type == KEY_EC) {
        /* go-jose: "invalid signature size" unless exactly 2 * the curve's byte length */
        if (slen != 2 * (size_t)a->ec_bytes)
            return false;
        ECDSA_SIG *es = ECDSA_SIG_new();
        BIGNUM *r = BN_bin2bn(sig, a->ec_bytes, NULL), *ss = BN_bin2bn(sig + a->ec_bytes, a->ec_bytes, NULL);
        if (!es || !r || !ss || ECDSA_SIG_set0(es, r, ss) != 1) {
            BN_free(r);
            BN_free(ss);
            ECDSA_SIG_free(es);
            ERR_clear_error();
            return false;
        }
        int n = i2d_ECDSA_SIG(es, &der);
        ECDSA_SIG_free(es);
        if (n <= 0) {
            ERR_clear_error();
            return false;
        }
        s = der;
        dlen = (size_t)n;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    if (ctx && EVP_DigestVerifyInit(ctx, &pctx, a->md(), NULL, k->pkey) == 1 &&
        (!a->pss || (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
                     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) == 1)))
        ok = EVP_DigestVerify(ctx, s, dlen, (const unsigned char *)msg, mlen) == 1;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    ERR_clear_error();
    return ok;
}

/* Signs msg with the signing key into b as base64url (ECDSA as r||s, RS256 as PKCS#1 v1.5). */
static int
sign_add(struct api_satoken *st, const char *msg, size_t mlen, struct kc_sb *b)
{
    const struct sa_key *k = &st->signer;
    const struct alg *a = alg_find(api_satoken_alg(st));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *sig = NULL;
    size_t slen = 0;
    int rc = KC_EINTERNAL;
    if (!a || !ctx || EVP_DigestSignInit(ctx, NULL, a->md(), NULL, k->pkey) != 1 ||
        EVP_DigestSign(ctx, NULL, &slen, (const unsigned char *)msg, mlen) != 1)
        goto out;
    if (!(sig = kc_malloc(slen))) {
        rc = -ENOMEM;
        goto out;
    }
    if (EVP_DigestSign(ctx, sig, &slen, (const unsigned char *)msg, mlen) != 1)
        goto out;
    if (k->type == KEY_EC) {
        const unsigned char *p = sig;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)slen);
        uint8_t raw[2 * 66];
        const BIGNUM *r, *s;
        if (!es)
            goto out;
        ECDSA_SIG_get0(es, &r, &s);
        int ok = BN_bn2binpad(r, raw, k->ec_bytes) == k->ec_bytes &&
                 BN_bn2binpad(s, raw + k->ec_bytes, k->ec_bytes) == k->ec_bytes;
        ECDSA_SIG_free(es);
        if (!ok)
            goto out;
        kc_sb_base64url(b, raw, 2 * (size_t)k->ec_bytes);
    } else {
        kc_sb_base64url(b, sig, slen);
    }
    rc = b->oom ? -ENOMEM : 0;
out:
    EVP_MD_CTX_free(ctx);
    free(sig);
    ERR_clear_error();
    return rc;
}

/* --- signing --- */

static int
oset(json_t *o, const char *key, json_t *v)
{
    return v && json_object_set_new(o, key, v) == 0 ? 0 : -1;
}

/* {"name":...,"uid":...} with empty members left out (omitempty), or NULL when name is unset. */
static json_t *
ref_json(const char *name, const char *uid, int *bad)
{
    json_t *r = json_object();
    if (!r) {
        (*bad)++;
        return NULL;
    }
    if (name && *name && oset(r, "name", json_string(name)) != 0)
        (*bad)++;
    if (uid && *uid && oset(r, "uid", json_string(uid)) != 0)
        (*bad)++;
    return r;
}

int
api_satoken_sign(struct api_satoken *st, const struct api_sa_token_spec *spec, char **token)
{
    if (!st || !st->can_sign || !spec->ns || !spec->sa_name)
        return KC_EINVALID;
    int bad = 0;
    json_t *claims = json_object(), *k8s = json_object(), *aud = json_array();
    char sub[600];
    snprintf(sub, sizeof(sub), "system:serviceaccount:%s:%s", spec->ns, spec->sa_name);
    for (size_t i = 0; aud && i < spec->naudiences; i++)
        if (json_array_append_new(aud, json_string(spec->audiences[i])) != 0)
            bad++;
    if (!claims || !k8s || !aud) {
        json_decref(claims);
        json_decref(k8s);
        json_decref(aud);
        return -ENOMEM;
    }
    bad += oset(claims, "aud", aud) != 0;
    bad += oset(claims, "exp", json_integer(spec->now + spec->exp_s)) != 0;
    bad += oset(claims, "iat", json_integer(spec->now)) != 0;
    bad += oset(claims, "iss", json_string(st->issuers[0])) != 0;
    if (spec->jti && *spec->jti)
        bad += oset(claims, "jti", json_string(spec->jti)) != 0;
    if (*spec->ns)
        bad += oset(k8s, "namespace", json_string(spec->ns)) != 0;
    if (spec->node_name && *spec->node_name)
        bad += oset(k8s, "node", ref_json(spec->node_name, spec->node_uid, &bad)) != 0;
    if (spec->pod_name && *spec->pod_name)
        bad += oset(k8s, "pod", ref_json(spec->pod_name, spec->pod_uid, &bad)) != 0;
    if (spec->secret_name && *spec->secret_name)
        bad += oset(k8s, "secret", ref_json(spec->secret_name, spec->secret_uid, &bad)) != 0;
    bad += oset(k8s, "serviceaccount", ref_json(spec->sa_name, spec->sa_uid, &bad)) != 0;
    if (spec->warnafter_s)
        bad += oset(k8s, "warnafter", json_integer(spec->now + spec->warnafter_s)) != 0;
    bad += oset(claims, "kubernetes.io", k8s) != 0;
    bad += oset(claims, "nbf", json_integer(spec->now)) != 0;
    bad += oset(claims, "sub", json_string(sub)) != 0;
    if (bad) {
        json_decref(claims);
        return -ENOMEM;
    }

    /* go-jose writes the header and the merged claims as Go maps: keys sorted, Go's escaping */
    struct kc_sb hdr = { 0 }, payload = { 0 }, out = { 0 };
    kc_sb_printf(&hdr, "{\"alg\":\"%s\",\"kid\":\"%s\"}", api_satoken_alg(st), st->signer.kid);
    kc_sb_go_json_sorted(&payload, claims);
    json_decref(claims);
    kc_sb_base64url(&out, (const uint8_t *)hdr.p, hdr.len);
    kc_sb_add(&out, ".", 1);
    kc_sb_base64url(&out, (const uint8_t *)payload.p, payload.len);
    int rc = hdr.oom || payload.oom || out.oom ? -ENOMEM : 0;
    kc_sb_free(&hdr);
    kc_sb_free(&payload);
    if (rc == 0) {
        size_t signed_len = out.len;
        kc_sb_add(&out, ".", 1);
        rc = sign_add(st, out.p, signed_len, &out);
    }
    if (rc == 0 && out.oom)
        rc = -ENOMEM;
    if (rc != 0) {
        kc_sb_free(&out);
        return rc;
    }
    *token = kc_sb_take(&out);
    return *token ? 0 : -ENOMEM;
}

/* --- verifying --- */

static void whyf(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
whyf(char *why, size_t len, const char *fmt, ...)
{
    if (!why || !len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
}

/* Copies an optional string member (absent or null: ""); false when it has another type or does not fit. */
static bool
str_claim(const json_t *o, const char *key, char *dst, size_t cap)
{
    const json_t *v = json_object_get(o, key);
    dst[0] = '\0';
    if (!v || json_is_null(v))
        return true;
    if (!json_is_string(v) || json_string_length(v) >= cap || strlen(json_string_value(v)) != json_string_length(v))
        return false;
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return true;
}

/* A NumericDate (go-jose accepts any JSON number and truncates it); false for another type or a value beyond any
 * real date. */
static bool
date_claim(const json_t *o, const char *key, bool *has, int64_t *out)
{
    const json_t *v = json_object_get(o, key);
    *has = false;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_number(v))
        return false;
    double d = json_number_value(v);
    if (!(d > -1e15 && d < 1e15))
        return false;
    *has = true;
    *out = (int64_t)d;
    return true;
}

/* A {name, uid} reference of the kubernetes.io claim: absent or null leaves *present false. */
static bool
ref_claim(const json_t *k8s, const char *key, bool *present, char *name, size_t nlen, char *uid, size_t ulen)
{
    const json_t *r = json_object_get(k8s, key);
    *present = false;
    name[0] = uid[0] = '\0';
    if (!r || json_is_null(r))
        return true;
    if (!json_is_object(r))
        return false;
    *present = true;
    return str_claim(r, "name", name, nlen) && str_claim(r, "uid", uid, ulen);
}

static bool
issuer_ok(const struct api_satoken *st, const char *iss)
{
    for (int i = 0; iss && i < st->nissuers; i++)
        if (strcmp(st->issuers[i], iss) == 0)
            return true;
    return false;
}

/* go-jose's Claims.ValidateWithLeeway(Expected{Time: now}, DefaultLeeway) as upstream's validator reports it. */
static bool
times_ok(const struct api_sa_claims *c, int64_t now, char *why, size_t whylen)
{
    if (c->has_nbf && now + API_SATOKEN_LEEWAY_S < c->nbf) {
        whyf(why, whylen, "service account token is not valid yet");
        return false;
    }
    if (c->has_exp && now - API_SATOKEN_LEEWAY_S > c->exp) {
        whyf(why, whylen, "service account token has expired");
        return false;
    }
    if (c->has_iat && now + API_SATOKEN_LEEWAY_S < c->iat) {
        whyf(why, whylen, "service account token is issued in the future");
        return false;
    }
    return true;
}

static int
parse_claims(const struct api_satoken *st, const json_t *p, int64_t now, struct api_sa_claims *c, char *why,
             size_t whylen)
{
    memset(c, 0, sizeof(*c));
    const json_t *aud = json_object_get(p, "aud"), *k8s = json_object_get(p, "kubernetes.io"),
                 *sub = json_object_get(p, "sub");
    bool sub_ok = !sub || json_is_string(sub) || json_is_null(sub);
    if (!sub_ok || !str_claim(p, "jti", c->jti, sizeof(c->jti)) || !date_claim(p, "exp", &c->has_exp, &c->exp) ||
        !date_claim(p, "nbf", &c->has_nbf, &c->nbf) || !date_claim(p, "iat", &c->has_iat, &c->iat) ||
        (aud && !json_is_null(aud) && !json_is_string(aud) && !json_is_array(aud))) {
        whyf(why, whylen, "square/go-jose/jwt: the token's claims do not decode");
        return KC_EUNAUTHORIZED;
    }
    size_t i;
    const json_t *a;
    json_array_foreach(aud, i, a)
    {
        if (!json_is_string(a)) {
            whyf(why, whylen, "square/go-jose/jwt: expected string or array value to unmarshal to Audience");
            return KC_EUNAUTHORIZED;
        }
    }
    bool sa;
    bool bad_k8s = k8s && !json_is_null(k8s) && !json_is_object(k8s);
    if (bad_k8s || !str_claim(k8s, "namespace", c->ns, sizeof(c->ns)) ||
        !ref_claim(k8s, "serviceaccount", &sa, c->sa_name, sizeof(c->sa_name), c->sa_uid, sizeof(c->sa_uid)) ||
        !ref_claim(k8s, "pod", &c->pod, c->pod_name, sizeof(c->pod_name), c->pod_uid, sizeof(c->pod_uid)) ||
        !ref_claim(k8s, "secret", &c->secret, c->secret_name, sizeof(c->secret_name), c->secret_uid,
                   sizeof(c->secret_uid)) ||
        !ref_claim(k8s, "node", &c->node, c->node_name, sizeof(c->node_name), c->node_uid, sizeof(c->node_uid))) {
        whyf(why, whylen, "the token's kubernetes.io claim does not decode");
        return KC_EUNAUTHORIZED;
    }
    if (!c->ns[0] || !c->sa_name[0]) {
        /* upstream then fails looking up the service account "" */
        whyf(why, whylen, "the token names no service account");
        return KC_EUNAUTHORIZED;
    }
    if (strlen("system:serviceaccount::") + strlen(c->ns) + strlen(c->sa_name) >=
        sizeof(((struct api_user *)0)->name)) {
        whyf(why, whylen, "the service account's user name is longer than 255 bytes");
        return KC_EUNAUTHORIZED;
    }
    if (c->secret && (c->pod || c->node)) {
        whyf(why, whylen, "the token is bound to more than one object");
        return KC_EUNAUTHORIZED;
    }
    if (!times_ok(c, now, why, whylen))
        return KC_EUNAUTHORIZED;
    /* the token's audiences (none: the API's, as for legacy tokens) must meet the API audiences */
    if (json_is_string(aud) || json_array_size(aud) > 0) {
        bool met = false;
        for (int k = 0; k < st->nauds && !met; k++) {
            if (json_is_string(aud))
                met = strcmp(json_string_value(aud), st->auds[k]) == 0;
            json_array_foreach(aud, i, a) met = met || strcmp(json_string_value(a), st->auds[k]) == 0;
        }
        if (!met && st->nauds > 0) {
            char *t = kc_jarena_dumps(aud, JSON_COMPACT);
            whyf(why, whylen, "token audiences %s is invalid for the target audiences", t ? t : "");
            free(t);
            return KC_EUNAUTHORIZED;
        }
    }
    return 0;
}

int
api_satoken_verify(const struct api_satoken *st, const char *token, size_t len, int64_t now, struct api_sa_claims *out,
                   char *why, size_t whylen)
{
    whyf(why, whylen, "%s", "");
    if (!st || !token || len == 0 || len > API_SATOKEN_MAX_LEN || token[0] == '{') {
        whyf(why, whylen, "not a JWT");
        return KC_ENOTFOUND;
    }
    const char *d1 = memchr(token, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (!d1 || !d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token))) {
        whyf(why, whylen, "not a JWT in compact serialization");
        return KC_ENOTFOUND;
    }
    uint8_t *hdr = NULL, *pl = NULL, *sig = NULL;
    size_t hlen, plen, slen;
    json_t *h = NULL, *p = NULL;
    int rc = kc_base64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &pl, &plen);
    if (rc != 0) {
        whyf(why, whylen, "the payload is not base64url");
        return rc == -ENOMEM ? rc : KC_ENOTFOUND;
    }
    /* upstream's hasCorrectIssuer: an unverified look at iss decides whether the token is ours at all */
    p = json_loadb((const char *)pl, plen, JSON_REJECT_DUPLICATES, NULL);
    const char *iss = json_string_value(json_object_get(p, "iss"));
    if (!json_is_object(p) || !issuer_ok(st, iss)) {
        whyf(why, whylen, "not a token of an accepted issuer");
        rc = KC_ENOTFOUND;
        goto out;
    }
    rc = kc_base64url_decode(token, (size_t)(d1 - token), &hdr, &hlen);
    if (rc == 0)
        rc = kc_base64url_decode(d2 + 1, len - (size_t)(d2 + 1 - token), &sig, &slen);
    if (rc != 0) {
        whyf(why, whylen, "square/go-jose: compact JWS format must have three parts");
        if (rc != -ENOMEM)
            rc = KC_EUNAUTHORIZED;
        goto out;
    }
    rc = KC_EUNAUTHORIZED;
    h = json_loadb((const char *)hdr, hlen, JSON_REJECT_DUPLICATES, NULL);
    const char *alg = json_string_value(json_object_get(h, "alg"));
    const json_t *kid = json_object_get(h, "kid");
    if (!json_is_object(h) || !alg || (kid && !json_is_string(kid))) {
        whyf(why, whylen, "square/go-jose: the protected header does not decode");
        goto out;
    }
    if (json_object_get(h, "crit")) {
        whyf(why, whylen, "square/go-jose: unsupported crit header");
        goto out;
    }
    const struct alg *a = alg_find(alg);
    bool any = false, ok = false;
    for (int i = 0; i < st->nkeys && !ok; i++) {
        if (kid && json_string_length(kid) && strcmp(st->keys[i].kid, json_string_value(kid)) != 0)
            continue;
        any = true;
        ok = a && sig_verifies(&st->keys[i], a, token, (size_t)(d2 - token), sig, slen);
    }
    if (!any) {
        whyf(why, whylen, "invalid signature, no keys found");
        goto out;
    }
    if (!ok) {
        whyf(why, whylen,
             a ? "square/go-jose: error in cryptographic primitive"
               : "square/go-jose: unknown or unsupported algorithm");
        goto out;
    }
    rc = parse_claims(st, p, now, out, why, whylen);
out:
    json_decref(h);
    json_decref(p);
    free(hdr);
    free(pl);
    free(sig);
    return rc;
}

/* --- the cache, authentication, existence checks --- */

static void
add_extra(struct api_user *u, const char *key, const char *value)
{
    if (u->nextra >= (int)(sizeof(u->extra_keys) / sizeof(u->extra_keys[0])))
        return;
    snprintf(u->extra_keys[u->nextra], sizeof(u->extra_keys[0]), "authentication.kubernetes.io/%s", key);
    snprintf(u->extra_values[u->nextra], sizeof(u->extra_values[0]), "%s", value);
    u->nextra++;
}

/* upstream's ServiceAccountInfo.UserInfo(), plus the system:authenticated group the authenticator adds (the
 * claims fit struct api_user: parse_claims refuses a user name over its 255 bytes) */
static void
user_of(const struct api_sa_claims *c, struct api_user *u)
{
    char name[sizeof(c->ns) + sizeof(c->sa_name) + 32];
    int n = snprintf(name, sizeof(name), "system:serviceaccount:%s:%s", c->ns, c->sa_name);
    memset(u, 0, sizeof(*u));
    if (n > 0 && (size_t)n < sizeof(u->name))
        memcpy(u->name, name, (size_t)n + 1);
    snprintf(u->uid, sizeof(u->uid), "%.127s", c->sa_uid);
    snprintf(u->groups[u->ngroups++], sizeof(u->groups[0]), "system:serviceaccounts");
    snprintf(u->groups[u->ngroups++], sizeof(u->groups[0]), "system:serviceaccounts:%.63s", c->ns);
    snprintf(u->groups[u->ngroups++], sizeof(u->groups[0]), "system:authenticated");
    /* Extra is a Go map: written in key order */
    if (c->jti[0]) {
        char cred[160];
        snprintf(cred, sizeof(cred), "JTI=%s", c->jti);
        add_extra(u, "credential-id", cred);
    }
    if (c->node && c->node_name[0]) {
        add_extra(u, "node-name", c->node_name);
        if (c->node_uid[0])
            add_extra(u, "node-uid", c->node_uid);
    }
    if (c->pod && c->pod_name[0] && c->pod_uid[0]) {
        add_extra(u, "pod-name", c->pod_name);
        add_extra(u, "pod-uid", c->pod_uid);
    }
}

static size_t
slot_of(const uint8_t h[KC_SHA256_LEN])
{
    return ((size_t)h[0] << 8 | h[1]) % CACHE_SLOTS;
}

/* The cached entry of a token hash, copied out. */
static bool
cache_get(struct api_satoken *st, const uint8_t h[KC_SHA256_LEN], struct entry *out)
{
    pthread_mutex_lock(&st->lock);
    const struct entry *e = st->slots[slot_of(h)];
    bool hit = e && CRYPTO_memcmp(e->hash, h, KC_SHA256_LEN) == 0;
    if (hit)
        *out = *e;
    pthread_mutex_unlock(&st->lock);
    return hit;
}

/* Puts (or updates) a token's entry; a colliding entry is replaced. Out of memory only loses the caching. */
static void
cache_put(struct api_satoken *st, const uint8_t h[KC_SHA256_LEN], const struct api_sa_claims *c, int state,
          int64_t checked_ns)
{
    size_t i = slot_of(h);
    pthread_mutex_lock(&st->lock);
    if (!st->slots[i])
        st->slots[i] = kc_malloc(sizeof(struct entry));
    struct entry *e = st->slots[i];
    if (e) {
        memcpy(e->hash, h, KC_SHA256_LEN);
        e->c = *c;
        e->state = state;
        e->checked_ns = checked_ns;
    }
    pthread_mutex_unlock(&st->lock);
}

/* A quick look before hashing: three dot-separated parts and not a JSON object (hasCorrectIssuer's first tests). */
static bool
looks_like_jwt(const char *t, size_t len)
{
    if (!t || len < 5 || len > API_SATOKEN_MAX_LEN || t[0] == '{')
        return false;
    int dots = 0;
    for (size_t i = 0; i < len; i++)
        dots += t[i] == '.';
    return dots == 2;
}

enum api_satoken_auth
api_satoken_authenticate(struct api_satoken *st, const char *token, size_t len, struct api_user *u)
{
    if (!st || st->nkeys == 0 || !looks_like_jwt(token, len))
        return API_SATOKEN_NONE;
    uint8_t h[KC_SHA256_LEN];
    kc_sha256(token, len, h);
    if (resuming && CRYPTO_memcmp(resuming->hash, h, KC_SHA256_LEN) == 0) {
        if (resuming->rc != 0)
            return API_SATOKEN_REJECTED;
        *u = resuming->user;
        return API_SATOKEN_OK;
    }
    int64_t t = now_ns(st), now = now_s(st);
    char why[256];
    struct entry ent, *e = &ent;
    enum api_satoken_auth res;
    if (!cache_get(st, h, e)) {
        int rc = api_satoken_verify(st, token, len, now, &e->c, why, sizeof(why));
        if (rc == KC_ENOTFOUND) {
            res = API_SATOKEN_NONE;
        } else if (rc != 0) {
            KC_LOG(KC_LOG_DEBUG, "apiserver", "service account token rejected", "reason=\"%s\"", why);
            res = API_SATOKEN_REJECTED;
        } else {
            cache_put(st, h, &e->c, 0, 0);
            res = API_SATOKEN_LOOKUP;
        }
    } else if (!times_ok(&e->c, now, why, sizeof(why))) {
        KC_LOG(KC_LOG_DEBUG, "apiserver", "service account token rejected", "reason=\"%s\"", why);
        res = API_SATOKEN_REJECTED;
    } else {
        int64_t age = t - e->checked_ns;
        if (e->state > 0 && age >= 0 && age < API_SATOKEN_OK_TTL_MS * 1000000LL) {
            user_of(&e->c, u);
            res = API_SATOKEN_OK;
        } else if (e->state < 0 && age >= 0 && age < API_SATOKEN_FAIL_TTL_MS * 1000000LL) {
            res = API_SATOKEN_REJECTED;
        } else {
            res = API_SATOKEN_LOOKUP;
        }
    }
    return res;
}

/* Reads one object the token names and checks it as upstream's validator does: it exists, has the token's uid
 * and was not deleted before now minus the leeway. Returns 0, KC_EUNAUTHORIZED (why filled), -ENOMEM. */
static int
check_object(struct api_satoken *st, const char *plural, const char *ns, const char *name, const char *uid, int64_t now,
             const char *what, char *why, size_t whylen)
{
    const struct api_resource *r = api_resource_find("", "v1", plural);
    char key[1024];
    json_t *obj = NULL;
    int64_t rev;
    if (!r || !st->store)
        return KC_EUNAUTHORIZED;
    api_storage_key(r, ns, name, key, sizeof(key));
    int rc = api_obj_get(st->store, key, &obj, &rev);
    if (rc == -ENOMEM)
        return rc;
    if (rc != 0) {
        whyf(why, whylen, "%s %s/%s: %s", what, ns ? ns : "", name, kc_strerror(rc));
        return KC_EUNAUTHORIZED;
    }
    const char *have = kc_json_get_string(obj, "metadata.uid");
    const char *dt = kc_json_get_string(obj, "metadata.deletionTimestamp");
    struct kc_time t;
    rc = 0;
    if (!have || strcmp(have, uid) != 0) {
        whyf(why, whylen, "%s UID (%s) does not match claim (%s)", what, have ? have : "", uid);
        rc = KC_EUNAUTHORIZED;
    } else if (dt && kc_time_parse(dt, &t) == 0 && t.sec < now - API_SATOKEN_LEEWAY_S) {
        whyf(why, whylen, "%s %s/%s has been deleted", what, ns ? ns : "", name);
        rc = KC_EUNAUTHORIZED;
    }
    json_decref(obj);
    return rc;
}

int
api_satoken_lookup(struct api_satoken *st, const char *token, size_t len, struct api_user *u)
{
    if (!st || !looks_like_jwt(token, len))
        return KC_EUNAUTHORIZED;
    uint8_t h[KC_SHA256_LEN];
    kc_sha256(token, len, h);
    int64_t now = now_s(st);
    char why[512] = "";
    struct entry *e = kc_malloc(sizeof(*e));
    if (!e)
        return -ENOMEM;
    int rc = 0;
    if (!cache_get(st, h, e)) {
        rc = api_satoken_verify(st, token, len, now, &e->c, why, sizeof(why));
        if (rc == KC_ENOTFOUND)
            rc = KC_EUNAUTHORIZED;
    } else if (!times_ok(&e->c, now, why, sizeof(why))) {
        rc = KC_EUNAUTHORIZED;
    }
    if (rc != 0) {
        free(e);
        return rc == -ENOMEM ? rc : KC_EUNAUTHORIZED;
    }
    const struct api_sa_claims *c = &e->c;
    rc = check_object(st, "serviceaccounts", c->ns, c->sa_name, c->sa_uid, now, "service account", why, sizeof(why));
    if (rc == 0 && c->secret)
        rc = check_object(st, "secrets", c->ns, c->secret_name, c->secret_uid, now, "secret", why, sizeof(why));
    if (rc == 0 && c->pod)
        rc = check_object(st, "pods", c->ns, c->pod_name, c->pod_uid, now, "pod", why, sizeof(why));
    if (rc == 0 && c->node && !c->pod) /* a pod's node is only reported, a node-bound token's is checked */
        rc = check_object(st, "nodes", NULL, c->node_name, c->node_uid, now, "node", why, sizeof(why));
    if (rc == -ENOMEM) {
        free(e);
        return rc;
    }
    cache_put(st, h, c, rc == 0 ? 1 : -1, now_ns(st));
    if (rc != 0)
        KC_LOG(KC_LOG_DEBUG, "apiserver", "service account token rejected", "reason=\"%s\"", why);
    else if (u)
        user_of(c, u);
    free(e);
    return rc == 0 ? 0 : KC_EUNAUTHORIZED;
}

struct defer_job {
    struct api_satoken *st;
    kc_httpd_handler_fn again;
    void *arg;
    struct resume res;
    size_t len;
    char token[];
};

static void
defer_work(void *arg)
{
    struct defer_job *j = arg;
    j->res.rc = api_satoken_lookup(j->st, j->token, j->len, &j->res.user);
}

static void
defer_done(kc_httpd_req *req, void *arg)
{
    struct defer_job *j = arg;
    if (req) {
        const struct resume *prev = resuming;
        resuming = &j->res;
        j->again(req, j->arg);
        resuming = prev;
    }
    OPENSSL_cleanse(j->token, j->len);
    free(j);
}

int
api_satoken_defer(struct api_satoken *st, kc_httpd_req *req, const char *token, size_t len, kc_httpd_handler_fn again,
                  void *arg)
{
    struct defer_job *j = kc_malloc(sizeof(*j) + len + 1);
    if (!j)
        return -ENOMEM;
    memset(j, 0, sizeof(*j));
    j->st = st;
    j->again = again;
    j->arg = arg;
    j->len = len;
    memcpy(j->token, token, len);
    j->token[len] = '\0';
    kc_sha256(token, len, j->res.hash);
    j->res.rc = KC_EUNAUTHORIZED;
    if (kc_httpd_defer(req, defer_work, defer_done, j) != 0) {
        free(j);
        return -ENOMEM;
    }
    return 0;
}

/* --- TokenRequest --- */

/* The TokenRequest kind as a resource row, for decoding (protobuf, field validation) and its 422 Status. */
static const struct api_resource token_request_res = {
    .group = "authentication.k8s.io",
    .version = "v1",
    .kind = "TokenRequest",
    .plural = "tokenrequests",
    .singular = "tokenrequest",
    .namespaced = true,
    .verbs = API_VERB_CREATE,
    .schema = "io.k8s.api.authentication.v1.TokenRequest",
};

/* 400 as upstream's decoder answers a member of the wrong JSON type. */
static void
reply_type(struct api_reply *rep, const json_t *v, const char *field, const char *type)
{
    struct kc_sb t = { 0 };
    kc_strict_go_value_kind(&t, v, strcmp(type, "int64") == 0);
    api_reply_statusf(rep, 400, "BadRequest",
                      "TokenRequest.authentication.k8s.io in version \"v1\" cannot be handled as a TokenRequest: json: "
                      "cannot unmarshal %s into Go struct field %s of type %s",
                      t.p ? t.p : "", field, type);
    kc_sb_free(&t);
}

/* An optional member of o: NULL when absent or null; *ok false after replying when it is not of the JSON type
 * want (JSON_OBJECT, JSON_ARRAY, JSON_STRING, JSON_INTEGER). */
static json_t *
member(json_t *o, const char *key, json_type want, const char *field, const char *type, struct api_reply *rep, bool *ok)
{
    json_t *v = o ? json_object_get(o, key) : NULL;
    if (!*ok || !v || json_is_null(v))
        return NULL;
    if (json_typeof(v) != want) {
        reply_type(rep, v, field, type);
        *ok = false;
        return NULL;
    }
    return v;
}

/* What the request's body says, decoded and type-checked. Pointers into the body's JSON. */
struct token_req {
    json_t *obj, *meta, *spec, *auds, *ref;
    const char *name, *namespace;
    bool exp_set;
    int64_t exp;
    const char *ref_kind, *ref_api_version, *ref_name, *ref_uid;
};

/* Decodes rq's body as a TokenRequest. Returns 0, or -1 after replying. */
static int
decode_request(struct api_request *rq, struct api_reply *rep, struct token_req *t)
{
    memset(t, 0, sizeof(*t));
    if (api_parse_body(rq, rep, &t->obj) != 0)
        return -1;
    const char *kind = json_string_value(json_object_get(t->obj, "kind"));
    const char *apiv = json_string_value(json_object_get(t->obj, "apiVersion"));
    if (apiv && *apiv && strcmp(apiv, "authentication.k8s.io/v1") != 0) {
        api_reply_statusf(rep, 400, "BadRequest",
                          "the API version in the data (%s) does not match the expected API version "
                          "(authentication.k8s.io/v1)",
                          apiv);
        return -1;
    }
    if (kind && *kind && strcmp(kind, "TokenRequest") != 0) {
        api_reply_statusf(rep, 400, "BadRequest",
                          "the kind in the data (%s) does not match the expected kind (TokenRequest)", kind);
        return -1;
    }
    bool ok = true; /* the members' types first (as the decoder), then field validation (api_strict_body) */
    t->meta = member(t->obj, "metadata", JSON_OBJECT, "TokenRequest.metadata", "v1.ObjectMeta", rep, &ok);
    json_t *name = member(t->meta, "name", JSON_STRING, "ObjectMeta.metadata.name", "string", rep, &ok);
    json_t *ns = member(t->meta, "namespace", JSON_STRING, "ObjectMeta.metadata.namespace", "string", rep, &ok);
    t->spec = member(t->obj, "spec", JSON_OBJECT, "TokenRequest.spec", "v1.TokenRequestSpec", rep, &ok);
    t->auds = member(t->spec, "audiences", JSON_ARRAY, "TokenRequestSpec.spec.audiences", "[]string", rep, &ok);
    json_t *exp = member(t->spec, "expirationSeconds", JSON_INTEGER, "TokenRequestSpec.spec.expirationSeconds", "int64",
                         rep, &ok);
    t->ref = member(t->spec, "boundObjectRef", JSON_OBJECT, "TokenRequestSpec.spec.boundObjectRef",
                    "v1.BoundObjectReference", rep, &ok);
    static const char *const ref_fields[] = { "kind", "apiVersion", "name", "uid" };
    const char **ref_vals[] = { &t->ref_kind, &t->ref_api_version, &t->ref_name, &t->ref_uid };
    for (size_t i = 0; i < 4; i++) {
        char field[96];
        snprintf(field, sizeof(field), "BoundObjectReference.spec.boundObjectRef.%s", ref_fields[i]);
        json_t *v = member(t->ref, ref_fields[i], JSON_STRING, field, i == 3 ? "types.UID" : "string", rep, &ok);
        *ref_vals[i] = v ? json_string_value(v) : "";
    }
    size_t i;
    json_t *a;
    json_array_foreach(t->auds, i, a)
    {
        if (ok && !json_is_string(a)) {
            reply_type(rep, a, "TokenRequestSpec.spec.audiences", "string");
            ok = false;
        }
    }
    if (!ok || api_strict_body(rq, rep, t->obj) != 0)
        return -1;
    t->name = name ? json_string_value(name) : "";
    t->namespace = ns ? json_string_value(ns) : "";
    t->exp_set = exp != NULL;
    t->exp = exp ? json_integer_value(exp) : 0;
    return 0;
}

/* A 409 Conflict as upstream's NewConflict(GroupResource{Resource: kind}, name, err). */
static void
reply_conflict(struct api_reply *rep, const char *kind, const char *name, const char *detail)
{
    char msg[1024];
    snprintf(msg, sizeof(msg), "Operation cannot be fulfilled on %s \"%s\": %s", kind, name, detail);
    json_decref(rep->body);
    rep->status = 409;
    rep->body = api_status(409, "Conflict", msg, name, NULL, kind);
}

/* Reads the object plural/ns/name for TokenRequest, answering its errors as upstream's getters do (404
 * `pods "x" not found`, 400 "Name parameter required."). Returns the object (new reference) or NULL after
 * replying. */
static json_t *
get_object(struct api_request *rq, struct api_reply *rep, const char *plural, const char *ns, const char *name)
{
    if (!name || !*name) {
        api_reply_statusf(rep, 400, "BadRequest", "Name parameter required.");
        return NULL;
    }
    struct api_request *q = kc_malloc(sizeof(*q));
    if (!q) {
        api_reply_statusf(rep, 500, "InternalError", "out of memory");
        return NULL;
    }
    memset(q, 0, sizeof(*q));
    q->srv = rq->srv;
    q->res = api_resource_find("", "v1", plural);
    snprintf(q->name, sizeof(q->name), "%s", name);
    char key[1024];
    json_t *obj = NULL;
    int64_t rev;
    api_storage_key(q->res, ns, name, key, sizeof(key));
    int rc = api_obj_get(rq->srv->store, key, &obj, &rev);
    if (rc != 0)
        api_reply_error(rep, q, rc);
    free(q);
    return rc == 0 ? obj : NULL;
}

static const char *
uid_of(const json_t *obj)
{
    const char *u = kc_json_get_string(obj, "metadata.uid");
    return u ? u : "";
}

/* The request's metadata as the response echoes it: what the client sent but the system fields, then name,
 * namespace and creationTimestamp, in ObjectMeta's field order. */
static json_t *
response_meta(const json_t *sent, const char *name, const char *ns, const char *created)
{
    json_t *m = json_object();
    if (!m)
        return NULL;
    int bad = 0;
    bad += oset(m, "name", json_string(name)) != 0;
    const json_t *g = json_object_get(sent, "generateName");
    if (json_is_string(g) && json_string_length(g))
        bad += json_object_set(m, "generateName", (json_t *)g) != 0;
    bad += oset(m, "namespace", json_string(ns)) != 0;
    bad += oset(m, "creationTimestamp", json_string(created)) != 0;
    static const char *const kept[] = { "labels", "annotations", "ownerReferences", "finalizers" };
    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
        json_t *v = json_object_get(sent, kept[i]);
        if (v && !json_is_null(v) && json_object_set(m, kept[i], v) != 0)
            bad++;
    }
    if (bad) {
        json_decref(m);
        return NULL;
    }
    return m;
}

/* The claims' bound objects, read and checked as TokenREST.Create does. Fills the spec's references (pointing
 * into the objects, which *hold keeps). Returns 0, or -1 after replying. */
static int
bind_object(struct api_request *rq, struct api_reply *rep, const struct token_req *t, struct api_sa_token_spec *spec,
            json_t *hold)
{
    const char *av = t->ref_api_version;
    const char *slash = strchr(av, '/');
    /* schema.FromAPIVersionAndKind: "v1" is the core group; a version that does not parse leaves the group "" */
    char group[256] = "", version[256] = "";
    if (!slash) {
        snprintf(version, sizeof(version), "%s", av);
    } else if (!strchr(slash + 1, '/')) {
        snprintf(group, sizeof(group), "%.*s", (int)(slash - av), av);
        snprintf(version, sizeof(version), "%s", slash + 1);
    }
    const char *kind = t->ref_kind, *uid = NULL;
    json_t *obj = NULL;
    if (!group[0] && strcmp(kind, "Pod") == 0) {
        if (!(obj = get_object(rq, rep, "pods", rq->namespace, t->ref_name)))
            return -1;
        /* upstream's ServiceAccount admission stores "default" for a pod that names none; k8c stores it as sent */
        const char *san = kc_json_get_string(obj, "spec.serviceAccountName");
        if (!san || !*san)
            san = "default";
        if (strcmp(san, rq->name) != 0) {
            api_reply_statusf(rep, 400, "BadRequest",
                              "cannot bind token for serviceaccount \"%s\" to pod running with different "
                              "serviceaccount name.",
                              rq->name);
            json_decref(obj);
            return -1;
        }
        uid = uid_of(obj);
        spec->pod_name = kc_json_get_string(obj, "metadata.name");
        spec->pod_uid = uid;
        /* ServiceAccountTokenPodNodeInfo: the pod's node goes into the claims, its uid when the node exists */
        const char *node = kc_json_get_string(obj, "spec.nodeName");
        if (node && *node) {
            spec->node_name = node;
            const struct api_resource *nr = api_resource_find("", "v1", "nodes");
            char key[1024];
            json_t *n = NULL;
            int64_t rev;
            api_storage_key(nr, NULL, node, key, sizeof(key));
            int rc = api_obj_get(rq->srv->store, key, &n, &rev);
            if (rc == 0 && json_array_append_new(hold, n) != 0) {
                api_reply_statusf(rep, 500, "InternalError", "out of memory");
                json_decref(obj);
                return -1;
            }
            if (rc == 0) {
                spec->node_uid = uid_of(n); /* n is held */
            } else if (rc != KC_ENOTFOUND) {
                api_reply_statusf(rep, 500, "InternalError", "Internal error occurred: %s", kc_strerror(rc));
                json_decref(obj);
                return -1;
            }
        }
    } else if (!group[0] && strcmp(kind, "Node") == 0) {
        if (!(obj = get_object(rq, rep, "nodes", NULL, t->ref_name)))
            return -1;
        uid = uid_of(obj);
        spec->node_name = kc_json_get_string(obj, "metadata.name");
        spec->node_uid = uid;
    } else if (!group[0] && strcmp(kind, "Secret") == 0) {
        if (!(obj = get_object(rq, rep, "secrets", rq->namespace, t->ref_name)))
            return -1;
        uid = uid_of(obj);
        spec->secret_name = kc_json_get_string(obj, "metadata.name");
        spec->secret_uid = uid;
    } else {
        api_reply_statusf(rep, 400, "BadRequest", "cannot bind token to object of type %s/%s, Kind=%s", group, version,
                          kind);
        return -1;
    }
    if (json_array_append_new(hold, obj) != 0) {
        api_reply_statusf(rep, 500, "InternalError", "out of memory");
        return -1;
    }
    if (t->ref_uid[0] && strcmp(uid, t->ref_uid) != 0) {
        char detail[600];
        snprintf(detail, sizeof(detail),
                 "the UID in the bound object reference (%s) does not match the UID in record. The object might have "
                 "been deleted and then recreated",
                 t->ref_uid);
        reply_conflict(rep, kind, t->ref_name, detail);
        return -1;
    }
    return 0;
}

/* Whether every audience of the request is an API audience (upstream's isKubeAudiences). */
static bool
kube_audiences(const struct api_satoken *st, const char *const *auds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (int k = 0; k < st->nauds && !found; k++)
            found = strcmp(auds[i], st->auds[k]) == 0;
        if (!found)
            return false;
    }
    return true;
}

void
api_satoken_request(struct api_request *rq, struct api_reply *rep)
{
    struct api_satoken *st = rq->srv->satoken;
    if (!api_satoken_can_issue(st) || !rq->namespace[0]) {
        api_reply_statusf(rep, 404, "NotFound", "the server could not find the requested resource");
        return;
    }
    if (strcmp(rq->verb, "create") != 0) {
        api_reply_statusf(rep, 405, "MethodNotAllowed",
                          "the server does not allow this method on the requested resource");
        return;
    }
    if (api_check_options(rq, rep, "CreateOptions", false) != 0)
        return;
    const struct api_resource *sa_res = rq->res;
    struct token_req t;
    json_t *sa = NULL, *hold = json_array(), *resp = NULL;
    const char **auds = NULL;
    char *token = NULL;
    if (!hold) {
        api_reply_statusf(rep, 500, "InternalError", "out of memory");
        return;
    }
    rq->res = &token_request_res; /* decoding and field validation see a TokenRequest */
    int rc = decode_request(rq, rep, &t);
    rq->res = sa_res;
    if (rc != 0)
        goto out;
    /* the create handler: the object's namespace, when set, must be the URL's */
    if (t.namespace[0] && strcmp(t.namespace, rq->namespace) != 0) {
        api_reply_statusf(rep, 400, "BadRequest",
                          "the namespace of the provided object does not match the namespace sent on the request");
        goto out;
    }
    if (t.name[0] && strcmp(t.name, rq->name) != 0) {
        struct api_errors errs = { 0 };
        api_errors_addf(&errs, API_REASON_INVALID, "metadata.name",
                        "Invalid value: \"%s\": must match the service account name if specified", t.name);
        rq->res = &token_request_res;
        api_reply_invalid(rep, rq, rq->name, &errs);
        rq->res = sa_res;
        goto out;
    }
    if (!(sa = get_object(rq, rep, "serviceaccounts", rq->namespace, rq->name)))
        goto out;

    /* defaults: the API audiences, an hour (SetDefaults_TokenRequestSpec) */
    size_t nauds = json_array_size(t.auds);
    auds = kc_calloc(nauds ? nauds : (size_t)st->nauds + 1, sizeof(*auds));
    if (!auds) {
        api_reply_statusf(rep, 500, "InternalError", "out of memory");
        goto out;
    }
    if (nauds) {
        for (size_t i = 0; i < nauds; i++)
            auds[i] = json_string_value(json_array_get(t.auds, i));
    } else {
        for (int i = 0; i < st->nauds; i++)
            auds[i] = st->auds[i];
        nauds = (size_t)st->nauds;
    }
    int64_t exp = t.exp_set ? t.exp : API_SATOKEN_DEFAULT_EXP_S;
    int64_t now_sec = now_s(st);
    char created[KC_TIME_BUF], expires[KC_TIME_BUF];
    kc_time_format((struct kc_time){ .sec = now_sec }, created);

    /* ValidateTokenRequest */
    struct api_errors errs = { 0 };
    if (exp < API_SATOKEN_MIN_EXP_S)
        api_errors_addf(&errs, API_REASON_INVALID, "spec.expirationSeconds",
                        "Invalid value: %" PRId64 ": may not specify a duration less than 10 minutes", exp);
    if (exp > (1LL << 32))
        api_errors_addf(&errs, API_REASON_INVALID, "spec.expirationSeconds",
                        "Invalid value: %" PRId64 ": may not specify a duration larger than 2^32 seconds", exp);
    if (errs.n) {
        rq->res = &token_request_res;
        api_reply_invalid(rep, rq, "", &errs);
        rq->res = sa_res;
        goto out;
    }

    struct api_sa_token_spec spec = {
        .ns = rq->namespace,
        .sa_name = rq->name,
        .sa_uid = uid_of(sa),
        .audiences = auds,
        .naudiences = nauds,
        .now = now_sec,
    };
    if (t.ref && bind_object(rq, rep, &t, &spec, hold) != 0)
        goto out;
    if (st->max_exp_s > 0 && exp > st->max_exp_s) {
        char w[160];
        snprintf(w, sizeof(w), "requested expiration of %" PRId64 " seconds shortened to %" PRId64 " seconds", exp,
                 st->max_exp_s);
        api_reply_warn(rep, w);
        exp = st->max_exp_s;
    }
    /* the kubelet's projected tokens (3607 s, pod-bound, API audiences) last a year, and warn after the hour */
    spec.exp_s = exp;
    if (st->extend && spec.pod_name && exp == API_SATOKEN_WARN_ONLY_EXP_S && kube_audiences(st, auds, nauds)) {
        spec.warnafter_s = exp;
        spec.exp_s = API_SATOKEN_EXTENDED_EXP_S;
    }
    char jti[KC_UUID_LEN + 1];
    if (kc_uuid_v4(jti) != 0) {
        api_reply_statusf(rep, 500, "InternalError", "failed to generate token: no randomness");
        goto out;
    }
    spec.jti = jti;
    rc = api_satoken_sign(st, &spec, &token);
    if (rc != 0) {
        api_reply_statusf(rep, 500, "InternalError", "failed to generate token: %s", kc_strerror(rc));
        goto out;
    }
    kc_time_format((struct kc_time){ .sec = now_sec + exp }, expires);

    /* the answer: the request, defaulted, with the status */
    json_t *aud_json = json_array(), *ref_json_v = json_null();
    for (size_t i = 0; aud_json && i < nauds; i++)
        if (json_array_append_new(aud_json, json_string(auds[i])) != 0) {
            json_decref(aud_json);
            aud_json = NULL;
        }
    if (t.ref) {
        json_decref(ref_json_v);
        ref_json_v = json_object();
        const char *vals[] = { t.ref_kind, t.ref_api_version, t.ref_name, t.ref_uid };
        static const char *const keys[] = { "kind", "apiVersion", "name", "uid" };
        for (size_t i = 0; ref_json_v && i < 4; i++)
            if (*vals[i] && oset(ref_json_v, keys[i], json_string(vals[i])) != 0) {
                json_decref(ref_json_v);
                ref_json_v = NULL;
            }
    }
    json_t *meta = response_meta(t.meta, rq->name, rq->namespace, created);
    if (aud_json && ref_json_v && meta)
        resp = json_pack("{s:s,s:s,s:o,s:{s:o,s:I,s:o},s:{s:s,s:s}}", "kind", "TokenRequest", "apiVersion",
                         "authentication.k8s.io/v1", "metadata", meta, "spec", "audiences", aud_json,
                         "expirationSeconds", (json_int_t)exp, "boundObjectRef", ref_json_v, "status", "token", token,
                         "expirationTimestamp", expires);
    else {
        json_decref(aud_json);
        json_decref(ref_json_v);
        json_decref(meta);
    }
    if (!resp) {
        api_reply_statusf(rep, 500, "InternalError", "out of memory");
        goto out;
    }
    json_decref(rep->body);
    rep->status = 201;
    rep->body = resp;
out:
    if (token) {
        OPENSSL_cleanse(token, strlen(token));
        free(token);
    }
    free(auds);
    json_decref(sa);
    json_decref(hold);
    json_decref(t.obj);
}
