/* test_pki.c - kc_pki: CA and leaf certificates checked with OpenSSL's own verifier and the openssl CLI, SANs,
 * identities, extensions, PEM and file round trips, bad input and allocation/I/O faults.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kc_error.h"
#include "kc_fault.h"
#include "kc_pki.h"

struct fixture {
    struct kc_pki_cert ca;
    char dir[64];
};

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    struct kc_pki_req req = { .cn = "k8c-test-ca" };
    if (kc_pki_ca_new(&req, &f->ca) != 0)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/k8c-test-pki-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    *state = f;
    return 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    kc_fault_disarm(KC_FAULT_ALLOC);
    kc_fault_disarm(KC_FAULT_IO);
    kc_pki_cert_close(&f->ca);
    nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* X509_verify_cert against ca alone, for purpose (0 = none); returns the X509_V_* result. */
static int
openssl_verify(X509 *ca, X509 *cert, int purpose)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    assert_non_null(store);
    assert_non_null(ctx);
    assert_int_equal(X509_STORE_add_cert(store, ca), 1);
    assert_int_equal(X509_STORE_CTX_init(ctx, store, cert, NULL), 1);
    if (purpose)
        assert_int_equal(X509_STORE_CTX_set_purpose(ctx, purpose), 1);
    int ok = X509_verify_cert(ctx);
    int res = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return res;
}

static const ASN1_OCTET_STRING *
ski_of(X509 *x)
{
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(x);
    assert_non_null(ski);
    return ski;
}

static void
assert_aki_is(X509 *x, X509 *issuer)
{
    const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(x);
    assert_non_null(aki);
    assert_int_equal(ASN1_OCTET_STRING_cmp(aki, ski_of(issuer)), 0);
}

/* Runs a shell command, returns its exit status and its first line of output in out. */
static int
run(const char *cmd, char *out, size_t outlen)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    out[0] = '\0';
    if (!fgets(out, (int)outlen, p))
        out[0] = '\0';
    out[strcspn(out, "\n")] = '\0';
    while (fgetc(p) != EOF) {
    }
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
test_ca(void **state)
{
    struct fixture *f = *state;
    X509 *ca = f->ca.x509;

    assert_int_equal(X509_get_version(ca), X509_VERSION_3);
    assert_int_equal(X509_check_ca(ca), 1);
    assert_int_equal(X509_check_issued(ca, ca), X509_V_OK); /* self-signed */
    assert_int_equal(X509_verify(ca, f->ca.key), 1);
    assert_int_equal(openssl_verify(ca, ca, 0), X509_V_OK);
    assert_int_equal(X509_check_private_key(ca, f->ca.key), 1);
    assert_int_equal(EVP_PKEY_get_base_id(f->ca.key), EVP_PKEY_EC);
    assert_int_equal(EVP_PKEY_get_bits(f->ca.key), 256);

    /* basicConstraints critical CA:TRUE, keyUsage critical with keyCertSign, SKI and AKI = SKI. */
    int crit = -1;
    BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(ca, NID_basic_constraints, &crit, NULL);
    assert_non_null(bc);
    assert_true(bc->ca);
    assert_int_equal(crit, 1);
    BASIC_CONSTRAINTS_free(bc);
    assert_true(X509_get_extension_flags(ca) & EXFLAG_KUSAGE);
    assert_true(X509_get_key_usage(ca) & KU_KEY_CERT_SIGN);
    assert_true(X509_get_key_usage(ca) & KU_CRL_SIGN);
    assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(ca, X509_get_ext_by_NID(ca, NID_key_usage, -1))), 1);
    assert_aki_is(ca, ca);

    /* Subject CN; a 16-octet positive serial from the RNG (two CAs never share one). */
    char cn[64];
    assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(ca), NID_commonName, cn, sizeof(cn)) > 0);
    assert_string_equal(cn, "k8c-test-ca");
    const ASN1_INTEGER *serial = X509_get0_serialNumber(ca);
    assert_int_equal(serial->type, V_ASN1_INTEGER); /* not V_ASN1_NEG_INTEGER */
    assert_int_equal(serial->length, 16);
    struct kc_pki_cert other = { 0 };
    struct kc_pki_req req = { .cn = "other-ca" };
    assert_int_equal(kc_pki_ca_new(&req, &other), 0);
    assert_int_not_equal(ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(other.x509)), 0);
    kc_pki_cert_close(&other);
    kc_pki_cert_close(&other); /* idempotent */

    /* Default validity: about ten years, starting a little in the past. */
    time_t now = time(NULL);
    int days = 0, secs = 0;
    assert_int_equal(X509_cmp_time(X509_get0_notBefore(ca), &now), -1);
    assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(ca), X509_get0_notAfter(ca)), 1);
    assert_int_equal(days, 3650);
}

static void
test_serving_cert(void **state)
{
    struct fixture *f = *state;
    const char *dns[] = { "localhost", "kubernetes.default.svc", "*.apps.example" };
    const char *ips[] = { "127.0.0.1", "10.96.0.1", "::1" };
    struct kc_pki_req req = {
        .cn = "kube-apiserver", .dns_names = dns, .ndns = 3, .ips = ips, .nips = 3, .usage = KC_PKI_SERVER
    };
    struct kc_pki_cert c = { 0 };
    assert_int_equal(kc_pki_cert_issue(&f->ca, &req, NULL, &c), 0);
    X509 *x = c.x509;

    assert_int_equal(openssl_verify(f->ca.x509, x, X509_PURPOSE_SSL_SERVER), X509_V_OK);
    assert_int_equal(openssl_verify(f->ca.x509, x, X509_PURPOSE_SSL_CLIENT), X509_V_ERR_INVALID_PURPOSE);
    assert_int_equal(kc_pki_verify(f->ca.x509, x, KC_PKI_SERVER, NULL, 0), 0);
    char why[128];
    assert_int_equal(kc_pki_verify(f->ca.x509, x, KC_PKI_CLIENT, why, sizeof(why)), KC_EINVALID);
    assert_string_equal(why, "unsuitable certificate purpose");

    assert_int_equal(X509_check_ca(x), 0);
    assert_int_equal(X509_check_private_key(x, c.key), 1);
    assert_int_equal(X509_check_issued(f->ca.x509, x), X509_V_OK);
    assert_aki_is(x, f->ca.x509);
    assert_int_not_equal(ASN1_OCTET_STRING_cmp(ski_of(x), ski_of(f->ca.x509)), 0);
    assert_true(X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
    assert_false(X509_get_extended_key_usage(x) & XKU_SSL_CLIENT);
    assert_true(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE);
    assert_false(X509_get_key_usage(x) & KU_KEY_CERT_SIGN);

    /* The SANs, in order, with their types. */
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    assert_non_null(gens);
    assert_int_equal(sk_GENERAL_NAME_num(gens), 6);
    for (int i = 0; i < 3; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        assert_int_equal(g->type, GEN_DNS);
        assert_string_equal((const char *)ASN1_STRING_get0_data(g->d.dNSName), dns[i]);
    }
    const GENERAL_NAME *g4 = sk_GENERAL_NAME_value(gens, 3), *g6 = sk_GENERAL_NAME_value(gens, 5);
    assert_int_equal(g4->type, GEN_IPADD);
    assert_int_equal(ASN1_STRING_length(g4->d.iPAddress), 4);
    assert_memory_equal(ASN1_STRING_get0_data(g4->d.iPAddress), "\x7f\0\0\x01", 4);
    assert_int_equal(g6->type, GEN_IPADD);
    assert_int_equal(ASN1_STRING_length(g6->d.iPAddress), 16);
    GENERAL_NAMES_free(gens);

    /* What a TLS client checks. */
    assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(x, "kubernetes.default.svc", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(x, "web.apps.example", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(x, "example.com", 0, 0, NULL), 0);
    assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
    assert_int_equal(X509_check_ip_asc(x, "10.96.0.1", 0), 1);
    assert_int_equal(X509_check_ip_asc(x, "::1", 0), 1);
    assert_int_equal(X509_check_ip_asc(x, "127.0.0.2", 0), 0);

    /* Issued by the CA, not by another one. */
    struct kc_pki_cert other = { 0 };
    struct kc_pki_req oreq = { .cn = "other-ca" };
    assert_int_equal(kc_pki_ca_new(&oreq, &other), 0);
    assert_int_equal(openssl_verify(other.x509, x, 0), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    assert_int_equal(kc_pki_verify(other.x509, x, 0, why, sizeof(why)), KC_EINVALID);
    assert_string_equal(why, "unable to get local issuer certificate");
    kc_pki_cert_close(&other);

    int days = 0, secs = 0;
    assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)), 1);
    assert_int_equal(days, 365);
    kc_pki_cert_close(&c);
}

static void
test_client_cert_identity(void **state)
{
    struct fixture *f = *state;
    const char *orgs[] = { "system:masters", "dev", "ünïcode team" };
    struct kc_pki_req req = { .cn = "kubernetes-admin", .orgs = orgs, .norgs = 3, .usage = KC_PKI_CLIENT };
    struct kc_pki_cert c = { 0 };
    assert_int_equal(kc_pki_cert_issue(&f->ca, &req, NULL, &c), 0);

    assert_int_equal(openssl_verify(f->ca.x509, c.x509, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
    assert_int_equal(openssl_verify(f->ca.x509, c.x509, X509_PURPOSE_SSL_SERVER), X509_V_ERR_INVALID_PURPOSE);
    assert_true(X509_get_extended_key_usage(c.x509) & XKU_SSL_CLIENT);
    assert_false(X509_get_extended_key_usage(c.x509) & XKU_SSL_SERVER);
    assert_null(X509_get_ext_d2i(c.x509, NID_subject_alt_name, NULL, NULL)); /* no SANs asked, none written */

    struct kc_pki_identity id = { 0 };
    assert_int_equal(kc_pki_identity_get(c.x509, &id), 0);
    assert_string_equal(id.cn, "kubernetes-admin");
    assert_int_equal(id.norgs, 3);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(id.orgs[i], orgs[i]);
    kc_pki_identity_close(&id);
    assert_null(id.cn);
    kc_pki_identity_close(&id);

    /* Subject order as Go writes it: O=..., then CN. */
    char line[256];
    X509_NAME_oneline(X509_get_subject_name(c.x509), line, sizeof(line));
    assert_string_equal(line, "/O=system:masters/O=dev/O=\\xC3\\xBCn\\xC3\\xAFcode team/CN=kubernetes-admin");
    kc_pki_cert_close(&c);

    /* Both usages at once, and a name far over X.520's 64 characters (a node name can be 253). */
    char longcn[200];
    memset(longcn, 'n', sizeof(longcn) - 1);
    longcn[sizeof(longcn) - 1] = '\0';
    memcpy(longcn, "system:node:", 12);
    struct kc_pki_req both = { .cn = longcn, .usage = KC_PKI_SERVER | KC_PKI_CLIENT };
    assert_int_equal(kc_pki_cert_issue(&f->ca, &both, NULL, &c), 0);
    assert_int_equal(X509_get_extended_key_usage(c.x509) & (XKU_SSL_SERVER | XKU_SSL_CLIENT),
                     XKU_SSL_SERVER | XKU_SSL_CLIENT);
    assert_int_equal(kc_pki_identity_get(c.x509, &id), 0);
    assert_string_equal(id.cn, longcn);
    assert_int_equal(id.norgs, 0);
    assert_null(id.orgs);
    kc_pki_identity_close(&id);
    kc_pki_cert_close(&c);
}

/* A certificate built by hand: subject without CN, or with two CNs (Go keeps the last). */
static void
test_identity_odd_subjects(void **state)
{
    (void)state;
    X509 *x = X509_new();
    assert_non_null(x);
    X509_NAME *n = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"g1", -1, -1, 0), 1);
    struct kc_pki_identity id = { 0 };
    assert_int_equal(kc_pki_identity_get(x, &id), 0);
    assert_string_equal(id.cn, "");
    assert_int_equal(id.norgs, 1);
    assert_string_equal(id.orgs[0], "g1");
    kc_pki_identity_close(&id);

    assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"first", -1, -1, 0), 1);
    assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"last", -1, -1, 0), 1);
    assert_int_equal(kc_pki_identity_get(x, &id), 0);
    assert_string_equal(id.cn, "last");
    kc_pki_identity_close(&id);

    /* A NUL inside a name is an attack on string comparisons: refused. */
    assert_int_equal(X509_NAME_add_entry_by_txt(n, "O", V_ASN1_UTF8STRING, (const unsigned char *)"a\0b", 3, -1, 0), 1);
    assert_int_equal(kc_pki_identity_get(x, &id), KC_EINVALID);
    assert_int_equal(kc_pki_identity_get(NULL, &id), KC_EINVALID);
    X509_free(x);
}

static void
test_given_key_and_validity(void **state)
{
    struct fixture *f = *state;
    EVP_PKEY *key = NULL;
    assert_int_equal(kc_pki_key_new(&key), 0);
    time_t now = time(NULL);
    struct kc_pki_req req = {
        .cn = "kubelet", .usage = KC_PKI_CLIENT, .not_before = (long long)now - 7200, .valid_secs = 3600
    };
    struct kc_pki_cert c = { 0 };
    assert_int_equal(kc_pki_cert_issue(&f->ca, &req, key, &c), 0);
    assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(c.x509), key), 1);
    assert_ptr_equal(c.key, key);
    EVP_PKEY_free(key); /* the cert holds its own reference */

    /* Valid from two hours ago for one hour: expired. */
    assert_int_equal(openssl_verify(f->ca.x509, c.x509, 0), X509_V_ERR_CERT_HAS_EXPIRED);
    char why[128];
    assert_int_equal(kc_pki_verify(f->ca.x509, c.x509, KC_PKI_CLIENT, why, sizeof(why)), KC_EINVALID);
    assert_string_equal(why, "certificate has expired");
    kc_pki_cert_close(&c);

    /* Not yet valid. */
    req.not_before = (long long)now + 3600;
    assert_int_equal(kc_pki_cert_issue(&f->ca, &req, NULL, &c), 0);
    assert_int_equal(openssl_verify(f->ca.x509, c.x509, 0), X509_V_ERR_CERT_NOT_YET_VALID);
    kc_pki_cert_close(&c);
}

static void
test_pem_files_and_openssl_cli(void **state)
{
    struct fixture *f = *state;
    const char *ips[] = { "127.0.0.1" };
    struct kc_pki_req req = { .cn = "server", .ips = ips, .nips = 1, .usage = KC_PKI_SERVER };
    struct kc_pki_cert c = { 0 };
    assert_int_equal(kc_pki_cert_issue(&f->ca, &req, NULL, &c), 0);

    char *pem = NULL;
    size_t len = 0;
    assert_int_equal(kc_pki_cert_pem(c.x509, &pem, &len), 0);
    assert_int_equal(strlen(pem), len);
    assert_non_null(strstr(pem, "-----BEGIN CERTIFICATE-----\n"));
    free(pem);
    assert_int_equal(kc_pki_key_pem(c.key, &pem, NULL), 0);
    assert_int_equal(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28), 0);
    free(pem);

    char ca_crt[128], ca_key[128], crt[128], key[128];
    snprintf(ca_crt, sizeof(ca_crt), "%s/ca.crt", f->dir);
    snprintf(ca_key, sizeof(ca_key), "%s/ca.key", f->dir);
    snprintf(crt, sizeof(crt), "%s/server.crt", f->dir);
    snprintf(key, sizeof(key), "%s/server.key", f->dir);
    mode_t old = umask(077); /* the modes are exact, whatever the umask */
    assert_int_equal(kc_pki_cert_write(&f->ca, ca_crt, ca_key), 0);
    umask(old);
    assert_int_equal(kc_pki_cert_write(&c, crt, key), 0);
    struct stat st;
    assert_int_equal(stat(ca_key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(ca_crt, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    /* Rewriting replaces the file (atomically) and leaves no temporary behind. */
    assert_int_equal(kc_pki_cert_write(&c, crt, key), 0);
    char cmd[512], out[512];
    snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", f->dir);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    assert_string_equal(out, "4");

    /* Load the CA back and issue with it: the new certificate verifies against the original. */
    struct kc_pki_cert loaded = { 0 };
    assert_int_equal(kc_pki_cert_load(ca_crt, ca_key, &loaded), 0);
    assert_int_equal(X509_cmp(loaded.x509, f->ca.x509), 0);
    assert_int_equal(EVP_PKEY_eq(loaded.key, f->ca.key), 1);
    struct kc_pki_req creq = { .cn = "alice", .usage = KC_PKI_CLIENT };
    struct kc_pki_cert c2 = { 0 };
    assert_int_equal(kc_pki_cert_issue(&loaded, &creq, NULL, &c2), 0);
    assert_int_equal(openssl_verify(f->ca.x509, c2.x509, X509_PURPOSE_SSL_CLIENT), X509_V_OK);
    kc_pki_cert_close(&c2);
    kc_pki_cert_close(&loaded);
    assert_int_equal(kc_pki_cert_load(crt, NULL, &loaded), 0);
    assert_null(loaded.key);
    kc_pki_cert_close(&loaded);

    /* The openssl CLI agrees. */
    if (access("/usr/bin/openssl", X_OK) == 0) {
        snprintf(cmd, sizeof(cmd), "/usr/bin/openssl verify -CAfile %s -purpose sslserver %s 2>&1", ca_crt, crt);
        assert_int_equal(run(cmd, out, sizeof(out)), 0);
        char want[256];
        snprintf(want, sizeof(want), "%s: OK", crt);
        assert_string_equal(out, want);
        snprintf(cmd, sizeof(cmd), "/usr/bin/openssl verify -CAfile %s -purpose sslclient %s >/dev/null 2>&1", ca_crt,
                 crt);
        assert_int_not_equal(run(cmd, out, sizeof(out)), 0);
        snprintf(cmd, sizeof(cmd), "/usr/bin/openssl pkey -in %s -noout 2>&1 && echo parsed", key);
        assert_int_equal(run(cmd, out, sizeof(out)), 0);
        assert_string_equal(out, "parsed");
        snprintf(cmd, sizeof(cmd), "/usr/bin/openssl x509 -in %s -noout -ext subjectAltName 2>&1 | tail -1", crt);
        assert_int_equal(run(cmd, out, sizeof(out)), 0);
        assert_non_null(strstr(out, "IP Address:127.0.0.1"));
    }
    kc_pki_cert_close(&c);
}

static void
test_bad_input(void **state)
{
    struct fixture *f = *state;
    struct kc_pki_cert c = { 0 };
    struct kc_pki_req req = { .cn = "x", .usage = KC_PKI_SERVER };
    const char *bad_ip[] = { "300.1.1.1" }, *bad_dns[] = { "a,b" }, *empty[] = { "" }, *bad_utf8[] = { "\xc3(" };

    assert_int_equal(kc_pki_ca_new(&(struct kc_pki_req){ .cn = "" }, &c), KC_EINVALID);
    assert_int_equal(kc_pki_ca_new(&(struct kc_pki_req){ .cn = NULL }, &c), KC_EINVALID);
    assert_int_equal(kc_pki_ca_new(&(struct kc_pki_req){ .cn = "ca", .valid_secs = -1 }, &c), KC_EINVALID);
    assert_int_equal(kc_pki_ca_new(&(struct kc_pki_req){ .cn = "\xff" }, &c), KC_EINVALID);
    assert_int_equal(kc_pki_ca_new(&(struct kc_pki_req){ .cn = "\xed\xa0\x80" }, &c), KC_EINVALID); /* surrogate */
    assert_int_equal(kc_pki_ca_new(&(struct kc_pki_req){ .cn = "\xc0\xaf" }, &c), KC_EINVALID);     /* overlong */
    assert_null(c.x509);

    req.usage = 0;
    assert_int_equal(kc_pki_cert_issue(&f->ca, &req, NULL, &c), KC_EINVALID);
    req.usage = 4;
    assert_int_equal(kc_pki_cert_issue(&f->ca, &req, NULL, &c), KC_EINVALID);
    req.usage = KC_PKI_SERVER;
    req.ips = bad_ip;
    req.nips = 1;
    assert_int_equal(kc_pki_cert_issue(&f->ca, &req, NULL, &c), KC_EINVALID);
    req.nips = 0;
    req.dns_names = bad_dns;
    req.ndns = 1;
    assert_int_equal(kc_pki_cert_issue(&f->ca, &req, NULL, &c), KC_EINVALID);
    req.dns_names = empty;
    assert_int_equal(kc_pki_cert_issue(&f->ca, &req, NULL, &c), KC_EINVALID);
    req.ndns = 0;
    req.orgs = empty;
    req.norgs = 1;
    assert_int_equal(kc_pki_cert_issue(&f->ca, &req, NULL, &c), KC_EINVALID);
    req.orgs = bad_utf8;
    assert_int_equal(kc_pki_cert_issue(&f->ca, &req, NULL, &c), KC_EINVALID);
    req.norgs = 0;
    assert_null(c.x509);

    /* A CA whose key is not its certificate's, or without a key at all. */
    struct kc_pki_cert other = { 0 };
    assert_int_equal(kc_pki_ca_new(&(struct kc_pki_req){ .cn = "other" }, &other), 0);
    struct kc_pki_cert mixed = { .x509 = f->ca.x509, .key = other.key };
    assert_int_equal(kc_pki_cert_issue(&mixed, &req, NULL, &c), KC_EINVALID);
    struct kc_pki_cert keyless = { .x509 = f->ca.x509 };
    assert_int_equal(kc_pki_cert_issue(&keyless, &req, NULL, &c), KC_EINVALID);

    /* PEM parsing: garbage, a key that does not match, an encrypted key (never prompts). */
    char *cert_pem = NULL, *key_pem = NULL, *other_key = NULL;
    assert_int_equal(kc_pki_cert_pem(f->ca.x509, &cert_pem, NULL), 0);
    assert_int_equal(kc_pki_key_pem(f->ca.key, &key_pem, NULL), 0);
    assert_int_equal(kc_pki_key_pem(other.key, &other_key, NULL), 0);
    assert_int_equal(kc_pki_cert_from_pem("not pem", 0, NULL, 0, &c), KC_EINVALID);
    assert_int_equal(kc_pki_cert_from_pem(key_pem, 0, NULL, 0, &c), KC_EINVALID);
    assert_int_equal(kc_pki_cert_from_pem(cert_pem, 0, cert_pem, 0, &c), KC_EINVALID);
    assert_int_equal(kc_pki_cert_from_pem(cert_pem, 0, other_key, 0, &c), KC_EINVALID);
    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(
        PEM_write_bio_PrivateKey(bio, f->ca.key, EVP_aes_128_cbc(), (unsigned char *)"secret", 6, NULL, NULL), 1);
    char *enc;
    long enclen = BIO_get_mem_data(bio, &enc);
    assert_int_equal(kc_pki_cert_from_pem(cert_pem, 0, enc, (size_t)enclen, &c), KC_EINVALID);
    BIO_free(bio);
    assert_int_equal(kc_pki_cert_from_pem(cert_pem, 0, key_pem, 0, &c), 0);
    kc_pki_cert_close(&c);
    assert_int_equal(ERR_peek_error(), 0); /* failures leave OpenSSL's error queue clean */
    free(cert_pem);
    free(key_pem);
    free(other_key);
    kc_pki_cert_close(&other);

    char path[128];
    snprintf(path, sizeof(path), "%s/missing.crt", f->dir);
    assert_int_equal(kc_pki_cert_load(path, NULL, &c), -ENOENT);
    snprintf(path, sizeof(path), "%s/empty.crt", f->dir);
    assert_int_equal(kc_pki_write_file(path, "", 0, 0644), 0);
    assert_int_equal(kc_pki_cert_load(path, NULL, &c), KC_EINVALID);
    assert_int_equal(kc_pki_write_file("/nonexistent-dir/x.crt", "x", 1, 0644), -ENOENT);
    assert_int_equal(kc_pki_verify(NULL, f->ca.x509, 0, NULL, 0), KC_EINVALID);
}

static void
test_faults(void **state)
{
    struct fixture *f = *state;
    const char *orgs[] = { "a", "b", "c" };
    struct kc_pki_req req = { .cn = "u", .orgs = orgs, .norgs = 3, .usage = KC_PKI_CLIENT };
    struct kc_pki_cert c = { 0 };
    assert_int_equal(kc_pki_cert_issue(&f->ca, &req, NULL, &c), 0);

    /* Every allocation of kc_pki_identity_get failing in turn: -ENOMEM and nothing leaks (ASan checks). */
    struct kc_pki_identity id;
    int n, rc;
    for (n = 1;; n++) {
        kc_fault_arm(KC_FAULT_ALLOC, n, 0, false);
        rc = kc_pki_identity_get(c.x509, &id);
        kc_fault_disarm(KC_FAULT_ALLOC);
        if (rc == 0)
            break;
        assert_int_equal(rc, -ENOMEM);
    }
    assert_int_equal(n, 6); /* cn, the array, three orgs, then success */
    assert_string_equal(id.orgs[2], "c");
    kc_pki_identity_close(&id);

    /* I/O failures while writing: the error comes back and no file (or temporary) is left. */
    char path[128], cmd[256], out[64];
    snprintf(path, sizeof(path), "%s/faulty.key", f->dir);
    for (n = 1;; n++) {
        kc_fault_arm(KC_FAULT_IO, n, EIO, false);
        rc = kc_pki_cert_write(&c, NULL, path);
        long injected = kc_fault_injected(KC_FAULT_IO);
        kc_fault_disarm(KC_FAULT_IO);
        if (!injected) {
            assert_int_equal(rc, 0);
            break;
        }
        assert_int_equal(rc, -EIO);
        if (n < 4) { /* open, write, fsync of the temporary file: nothing exists yet */
            assert_int_equal(access(path, F_OK), -1);
        }
    }
    assert_true(n >= 4);
    snprintf(cmd, sizeof(cmd), "ls -A %s | tr '\\n' ' '", f->dir);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    assert_string_equal(out, "faulty.key ");
    kc_pki_cert_close(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ca, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serving_cert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_cert_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identity_odd_subjects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_given_key_and_validity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pem_files_and_openssl_cli, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_faults, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
