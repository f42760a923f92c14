/* pki.c - keys, CA and leaf certificates, PEM in and out, verification and identities over OpenSSL 3.
 *
 * Every OpenSSL failure is turned into a k8c code and the OpenSSL error queue is cleared, so a failed call never
 * leaves stale errors behind for the next user of the thread's queue (libcurl, h2o).
 */
#include "kc_pki.h"
#include "kc_error.h"
#include "kc_fault.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SERIAL_BYTES 16            /* 126 random bits; positive and under RFC 5280's 20 octets */
#define MAX_PEM_FILE (1024 * 1024) /* a certificate or key file larger than this is not one */

int
kc_pki_key_new(EVP_PKEY **out)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    if (!key) {
        ERR_clear_error();
        return KC_EINTERNAL;
    }
    *out = key;
    return 0;
}

void
kc_pki_cert_close(struct kc_pki_cert *c)
{
    if (!c)
        return;
    X509_free(c->x509);
    EVP_PKEY_free(c->key);
    c->x509 = NULL;
    c->key = NULL;
}

/* A random positive serial number. */
static int
set_random_serial(X509 *x)
{
    unsigned char b[SERIAL_BYTES];
    if (RAND_bytes(b, sizeof(b)) != 1)
        return KC_EINTERNAL;
    b[0] &= 0x7f;
    b[0] |= 0x40; /* keep the full length, so the serial is never zero and always 16 octets */
    BIGNUM *bn = BN_bin2bn(b, sizeof(b), NULL);
    if (!bn)
        return KC_EINTERNAL;
    int ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok ? 0 : KC_EINTERNAL;
}

static int
set_validity(X509 *x, const struct kc_pki_req *req, long long default_secs)
{
    long long nb = req->not_before ? req->not_before : (long long)time(NULL) - KC_PKI_BACKDATE_SECS;
    long long secs = req->valid_secs ? req->valid_secs : default_secs;
    if (!ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb) ||
        !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(nb + secs)))
        return KC_EINTERNAL;
    return 0;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF, no NUL. */
static bool
utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p++, n, min;
        if (c < 0x80)
            continue;
        if ((c & 0xe0) == 0xc0)
            n = 1, min = 0x80, c &= 0x1f;
        else if ((c & 0xf0) == 0xe0)
            n = 2, min = 0x800, c &= 0x0f;
        else if ((c & 0xf8) == 0xf0)
            n = 3, min = 0x10000, c &= 0x07;
        else
            return false;
        for (; n; n--, p++) {
            if ((*p & 0xc0) != 0x80)
                return false;
            c = c << 6 | (*p & 0x3fu);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return false;
    }
    return true;
}

/* Subject O=... (each in order), then CN, the order kubeadm and Go's crypto/x509 write. The values are stored as
 * UTF8String without OpenSSL's X.520 length table: Kubernetes names ("system:node:<253-char host>") exceed the
 * 64 characters X.520 suggests, and Go neither enforces nor expects that bound. */
static int
add_name(X509_NAME *name, int nid, const char *value)
{
    if (!value || !*value || !utf8_ok(value))
        return KC_EINVALID;
    if (!X509_NAME_add_entry_by_NID(name, nid, V_ASN1_UTF8STRING, (const unsigned char *)value, -1, -1, 0))
        return KC_EINTERNAL;
    return 0;
}

static int
set_subject(X509 *x, const struct kc_pki_req *req)
{
    X509_NAME *name = X509_get_subject_name(x);
    int err;
    for (size_t i = 0; i < req->norgs; i++)
        if ((err = add_name(name, NID_organizationName, req->orgs[i])))
            return err;
    return add_name(name, NID_commonName, req->cn);
}

static int
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    if (!ext)
        return KC_EINTERNAL;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : KC_EINTERNAL;
}

/* A DNS SAN must be IA5 text a resolver could look up; a comma or space would only ever come from a mistake. */
static bool
dns_name_ok(const char *s)
{
    if (!s || !*s)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p >= 0x7f || *p == ',')
            return false;
    return true;
}

static int
add_san(X509 *x, const struct kc_pki_req *req)
{
    if (req->ndns == 0 && req->nips == 0)
        return 0;
    int err = KC_EINTERNAL;
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    if (!gens)
        return KC_EINTERNAL;
    for (size_t i = 0; i < req->ndns; i++) {
        if (!dns_name_ok(req->dns_names[i])) {
            err = KC_EINVALID;
            goto out;
        }
        GENERAL_NAME *g = GENERAL_NAME_new();
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();
        if (!g || !s || !ASN1_STRING_set(s, req->dns_names[i], -1)) {
            GENERAL_NAME_free(g);
            ASN1_IA5STRING_free(s);
            goto out;
        }
        GENERAL_NAME_set0_value(g, GEN_DNS, s);
        if (!sk_GENERAL_NAME_push(gens, g)) {
            GENERAL_NAME_free(g);
            goto out;
        }
    }
    for (size_t i = 0; i < req->nips; i++) {
        ASN1_OCTET_STRING *ip = req->ips[i] ? a2i_IPADDRESS(req->ips[i]) : NULL;
        if (!ip) {
            err = KC_EINVALID;
            goto out;
        }
        GENERAL_NAME *g = GENERAL_NAME_new();
        if (!g) {
            ASN1_OCTET_STRING_free(ip);
            goto out;
        }
        GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
        if (!sk_GENERAL_NAME_push(gens, g)) {
            GENERAL_NAME_free(g);
            goto out;
        }
    }
    err = X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) == 1 ? 0 : KC_EINTERNAL;
out:
    GENERAL_NAMES_free(gens);
    return err;
}

static int
check_req(const struct kc_pki_req *req)
{
    if (!req || !req->cn || !*req->cn || req->valid_secs < 0 || (req->norgs && !req->orgs) ||
        (req->ndns && !req->dns_names) || (req->nips && !req->ips))
        return KC_EINVALID;
    return 0;
}

/* The parts every certificate shares: version 3, serial, validity, subject, public key. */
static int
cert_skeleton(const struct kc_pki_req *req, EVP_PKEY *key, long long default_secs, X509 **out)
{
    X509 *x = X509_new();
    int err;
    if (!x)
        return KC_EINTERNAL;
    if (!X509_set_version(x, X509_VERSION_3) || !X509_set_pubkey(x, key)) {
        err = KC_EINTERNAL;
        goto fail;
    }
    if ((err = set_random_serial(x)) || (err = set_validity(x, req, default_secs)) || (err = set_subject(x, req)))
        goto fail;
    *out = x;
    return 0;
fail:
    X509_free(x);
    return err;
}

int
kc_pki_ca_new(const struct kc_pki_req *req, struct kc_pki_cert *out)
{
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    X509V3_CTX ctx;
    int err;

    if ((err = check_req(req)))
        return err;
    if ((err = kc_pki_key_new(&key)))
        return err;
    if ((err = cert_skeleton(req, key, KC_PKI_CA_VALID_SECS, &x)))
        goto fail;
    if (!X509_set_issuer_name(x, X509_get_subject_name(x))) {
        err = KC_EINTERNAL;
        goto fail;
    }
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509V3_set_ctx_nodb(&ctx);
    /* SKI before AKI: a self-signed certificate's AKI key id is taken from its own SKI. */
    if ((err = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE")) ||
        (err = add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment,keyCertSign,cRLSign")) ||
        (err = add_ext(x, &ctx, NID_subject_key_identifier, "hash")) ||
        (err = add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always")))
        goto fail;
    if (X509_sign(x, key, EVP_sha256()) <= 0) {
        err = KC_EINTERNAL;
        goto fail;
    }
    out->x509 = x;
    out->key = key;
    return 0;
fail:
    X509_free(x);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return err;
}

int
kc_pki_cert_issue(const struct kc_pki_cert *ca, const struct kc_pki_req *req, EVP_PKEY *key, struct kc_pki_cert *out)
{
    X509 *x = NULL;
    X509V3_CTX ctx;
    int err;

    if ((err = check_req(req)))
        return err;
    if (!req->usage || (req->usage & ~(unsigned)(KC_PKI_SERVER | KC_PKI_CLIENT)))
        return KC_EINVALID;
    if (!ca || !ca->x509 || !ca->key)
        return KC_EINVALID;
    if (X509_check_private_key(ca->x509, ca->key) != 1) {
        ERR_clear_error();
        return KC_EINVALID;
    }
    if (key) {
        if (!EVP_PKEY_up_ref(key))
            return KC_EINTERNAL;
    } else if ((err = kc_pki_key_new(&key))) {
        return err;
    }
    if ((err = cert_skeleton(req, key, KC_PKI_CERT_VALID_SECS, &x)))
        goto fail;
    if (!X509_set_issuer_name(x, X509_get_subject_name(ca->x509))) {
        err = KC_EINTERNAL;
        goto fail;
    }
    /* keyEncipherment only means something for RSA key transport; an EC key signs. */
    const char *ku = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ? "critical,digitalSignature,keyEncipherment"
                                                               : "critical,digitalSignature";
    const char *eku = req->usage == (KC_PKI_SERVER | KC_PKI_CLIENT) ? "serverAuth,clientAuth"
                      : req->usage == KC_PKI_SERVER                 ? "serverAuth"
                                                                    : "clientAuth";
    X509V3_set_ctx(&ctx, ca->x509, x, NULL, NULL, 0);
    X509V3_set_ctx_nodb(&ctx);
    if ((err = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE")) ||
        (err = add_ext(x, &ctx, NID_key_usage, ku)) || (err = add_ext(x, &ctx, NID_ext_key_usage, eku)) ||
        (err = add_ext(x, &ctx, NID_subject_key_identifier, "hash")) ||
        (err = add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always")) || (err = add_san(x, req)))
        goto fail;
    if (X509_sign(x, ca->key, EVP_sha256()) <= 0) {
        err = KC_EINTERNAL;
        goto fail;
    }
    out->x509 = x;
    out->key = key;
    return 0;
fail:
    X509_free(x);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return err;
}

/* Copies a memory BIO's contents into a malloc'ed NUL-terminated string. */
static int
bio_to_string(BIO *bio, char **pem, size_t *len)
{
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    if (n <= 0)
        return KC_EINTERNAL;
    char *s = kc_malloc((size_t)n + 1);
    if (!s)
        return -ENOMEM;
    memcpy(s, data, (size_t)n);
    s[n] = '\0';
    *pem = s;
    if (len)
        *len = (size_t)n;
    return 0;
}

int
kc_pki_cert_pem(X509 *x509, char **pem, size_t *len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    int err = KC_EINTERNAL;
    if (bio && x509 && PEM_write_bio_X509(bio, x509))
        err = bio_to_string(bio, pem, len);
    BIO_free(bio);
    ERR_clear_error();
    return err;
}

int
kc_pki_key_pem(EVP_PKEY *key, char **pem, size_t *len)
{
    /* The secure-memory BIO wipes its buffer when freed, so the key leaves no copy in OpenSSL's heap. */
    BIO *bio = BIO_new(BIO_s_secmem());
    int err = KC_EINTERNAL;
    if (bio && key && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL))
        err = bio_to_string(bio, pem, len);
    BIO_free(bio);
    ERR_clear_error();
    return err;
}

int
kc_pki_write_file(const char *path, const void *data, size_t len, int mode)
{
    static atomic_uint counter;
    char tmp[4096];
    int fd, err = 0;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d.%u", path, (int)getpid(), atomic_fetch_add(&counter, 1)) >=
        (int)sizeof(tmp))
        return -ENAMETOOLONG;
    fd = kc_open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return -errno;
    /* The umask may have narrowed mode; set it exactly (0600 stays 0600, 0644 stays readable). */
    if (fchmod(fd, (mode_t)mode) < 0)
        err = -errno;
    if (!err)
        err = kc_write_all(fd, data, len);
    if (!err && kc_fsync(fd) < 0)
        err = -errno;
    if (close(fd) < 0 && !err)
        err = -errno;
    if (!err && rename(tmp, path) < 0)
        err = -errno;
    if (err) {
        unlink(tmp);
        return err;
    }
    /* Make the rename durable too. */
    char dirbuf[4096];
    snprintf(dirbuf, sizeof(dirbuf), "%s", path);
    int dfd = kc_open(dirname(dirbuf), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (dfd < 0)
        return -errno;
    if (kc_fsync(dfd) < 0)
        err = -errno;
    close(dfd);
    return err;
}

int
kc_pki_cert_write(const struct kc_pki_cert *c, const char *cert_path, const char *key_path)
{
    char *pem = NULL;
    size_t len = 0;
    int err;

    if (!c || (cert_path && !c->x509) || (key_path && !c->key))
        return KC_EINVALID;
    if (cert_path) {
        if ((err = kc_pki_cert_pem(c->x509, &pem, &len)))
            return err;
        err = kc_pki_write_file(cert_path, pem, len, 0644);
        free(pem);
        if (err)
            return err;
    }
    if (key_path) {
        if ((err = kc_pki_key_pem(c->key, &pem, &len)))
            return err;
        err = kc_pki_write_file(key_path, pem, len, 0600);
        OPENSSL_cleanse(pem, len);
        free(pem);
        if (err)
            return err;
    }
    return 0;
}

/* Refuses to prompt on the terminal for the passphrase of an encrypted key. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return 0;
}

int
kc_pki_cert_from_pem(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                     struct kc_pki_cert *out)
{
    X509 *x = NULL;
    EVP_PKEY *key = NULL;
    BIO *bio;
    int err = KC_EINVALID;

    if (!cert_pem)
        return KC_EINVALID;
    if (!cert_len)
        cert_len = strlen(cert_pem);
    if (cert_len > INT32_MAX || (key_pem && key_len > INT32_MAX))
        return KC_EINVALID;
    if (!(bio = BIO_new_mem_buf(cert_pem, (int)cert_len)))
        return -ENOMEM;
    x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    if (!x)
        goto fail;
    if (key_pem) {
        if (!(bio = BIO_new_mem_buf(key_pem, (int)(key_len ? key_len : strlen(key_pem))))) {
            err = -ENOMEM;
            goto fail;
        }
        key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
        BIO_free(bio);
        if (!key || X509_check_private_key(x, key) != 1)
            goto fail;
    }
    ERR_clear_error();
    out->x509 = x;
    out->key = key;
    return 0;
fail:
    X509_free(x);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return err;
}

/* Reads a whole (small) file into a malloc'ed NUL-terminated buffer. */
static int
read_small_file(const char *path, char **out, size_t *out_len)
{
    int fd = kc_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    size_t cap = 4096, len = 0;
    char *buf = kc_malloc(cap);
    int err = 0;
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    for (;;) {
        if (len + 1 >= cap) {
            if (cap > MAX_PEM_FILE) {
                err = KC_ETOOLARGE;
                break;
            }
            char *nb = kc_realloc(buf, cap * 2);
            if (!nb) {
                err = -ENOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t n = kc_read(fd, buf + len, cap - len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            err = -errno;
            break;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (!err && len > MAX_PEM_FILE)
        err = KC_ETOOLARGE;
    if (err) {
        OPENSSL_cleanse(buf, len);
        free(buf);
        return err;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return 0;
}

int
kc_pki_cert_load(const char *cert_path, const char *key_path, struct kc_pki_cert *out)
{
    char *cert = NULL, *key = NULL;
    size_t cert_len = 0, key_len = 0;
    int err;

    if (!cert_path)
        return KC_EINVALID;
    if ((err = read_small_file(cert_path, &cert, &cert_len)))
        return err;
    if (key_path && (err = read_small_file(key_path, &key, &key_len))) {
        free(cert);
        return err;
    }
    if (cert_len == 0 || (key && key_len == 0))
        err = KC_EINVALID;
    else
        err = kc_pki_cert_from_pem(cert, cert_len, key, key_len, out);
    free(cert);
    if (key) {
        OPENSSL_cleanse(key, key_len);
        free(key);
    }
    return err;
}

int
kc_pki_verify(X509 *ca, X509 *cert, unsigned usage, char *errbuf, size_t errlen)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int err = KC_EINTERNAL;

    if (!ca || !cert) {
        err = KC_EINVALID;
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "no certificate");
        goto out;
    }
    if (!store || !ctx) {
        err = -ENOMEM;
        goto out;
    }
    if (!X509_STORE_add_cert(store, ca) || !X509_STORE_CTX_init(ctx, store, cert, NULL))
        goto out;
    if (usage == KC_PKI_SERVER && !X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER))
        goto out;
    if (usage == KC_PKI_CLIENT && !X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT))
        goto out;
    if (X509_verify_cert(ctx) == 1) {
        err = 0;
    } else {
        err = KC_EINVALID;
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "%s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    }
out:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    ERR_clear_error();
    return err;
}

/* One name entry as a malloc'ed UTF-8 string. */
static int
entry_utf8(X509_NAME_ENTRY *e, char **out)
{
    unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    if (n < 0) {
        ERR_clear_error();
        return KC_EINVALID;
    }
    if (memchr(utf8, '\0', (size_t)n)) {
        OPENSSL_free(utf8);
        return KC_EINVALID;
    }
    *out = kc_strndup((const char *)utf8, (size_t)n);
    OPENSSL_free(utf8);
    return *out ? 0 : -ENOMEM;
}

void
kc_pki_identity_close(struct kc_pki_identity *id)
{
    if (!id)
        return;
    free(id->cn);
    for (size_t i = 0; i < id->norgs; i++)
        free(id->orgs[i]);
    free(id->orgs);
    memset(id, 0, sizeof(*id));
}

int
kc_pki_identity_get(X509 *x509, struct kc_pki_identity *out)
{
    struct kc_pki_identity id = { 0 };
    X509_NAME *name = x509 ? X509_get_subject_name(x509) : NULL;
    int err = 0, pos, n = 0;

    if (!name)
        return KC_EINVALID;
    /* Go's pkix.Name keeps the last CN of the subject; Kubernetes uses that one. */
    int last_cn = -1;
    for (pos = -1; (pos = X509_NAME_get_index_by_NID(name, NID_commonName, pos)) >= 0;)
        last_cn = pos;
    if (last_cn >= 0)
        err = entry_utf8(X509_NAME_get_entry(name, last_cn), &id.cn);
    else
        err = (id.cn = kc_strdup("")) ? 0 : -ENOMEM;
    if (err)
        goto fail;
    for (pos = -1; (pos = X509_NAME_get_index_by_NID(name, NID_organizationName, pos)) >= 0;)
        n++;
    if (n) {
        id.orgs = kc_calloc((size_t)n, sizeof(*id.orgs));
        if (!id.orgs) {
            err = -ENOMEM;
            goto fail;
        }
        for (pos = -1; (pos = X509_NAME_get_index_by_NID(name, NID_organizationName, pos)) >= 0;) {
            if ((err = entry_utf8(X509_NAME_get_entry(name, pos), &id.orgs[id.norgs])))
                goto fail;
            id.norgs++;
        }
    }
    *out = id;
    return 0;
fail:
    kc_pki_identity_close(&id);
    return err;
}
