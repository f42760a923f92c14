/* bootstrap.c - the cluster's first-start PKI under <data-dir>/pki (CA, serving certificate, admin client
 * certificate, the service account token key pair sa.key/sa.pub) and the admin kubeconfig with embedded *-data,
 * as `k8c server` and `k8c pki` make them. */
#include "api_boot.h"
#include "kc_crypto.h"
#include "kc_error.h"
#include "kc_log.h"
#include "kc_pki.h"

#include <errno.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
read_all(const char *path, char **out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return -EIO;
    }
    buf[n] = '\0';
    fclose(f);
    *out = buf;
    return 0;
}

static bool
exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* <pki>/sa.key (PKCS#8 P-256, 0600) and sa.pub (its PUBLIC KEY, 0644) where missing, under kubeadm's names: the
 * key that signs service account tokens (ES256) and the one that verifies them. An existing sa.key is kept and
 * sa.pub made from it. */
static int
sa_keypair(const char *pki, char *err, size_t errlen)
{
    char key[1100], pub[1100];
    snprintf(key, sizeof(key), "%s/sa.key", pki);
    snprintf(pub, sizeof(pub), "%s/sa.pub", pki);
    if (exists(key) && exists(pub))
        return 0;
    EVP_PKEY *k = NULL;
    char *pem = NULL;
    size_t len = 0;
    int rc = 0;
    if (!exists(key)) {
        rc = kc_pki_key_new(&k);
        if (rc == 0)
            rc = kc_pki_key_pem(k, &pem, &len);
        if (rc == 0)
            rc = kc_pki_write_file(key, pem, len, 0600);
        if (pem)
            OPENSSL_cleanse(pem, len);
        free(pem);
    } else {
        FILE *f = fopen(key, "r");
        k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
        if (f)
            fclose(f);
        rc = k ? 0 : KC_EINVALID;
    }
    BIO *b = rc == 0 ? BIO_new(BIO_s_mem()) : NULL;
    if (rc == 0 && (!b || PEM_write_bio_PUBKEY(b, k) != 1))
        rc = KC_EINTERNAL;
    if (rc == 0) {
        char *data;
        long n = BIO_get_mem_data(b, &data);
        rc = kc_pki_write_file(pub, data, (size_t)n, 0644);
    }
    BIO_free(b);
    EVP_PKEY_free(k);
    if (rc != 0)
        snprintf(err, errlen, "cannot create the service account key pair %s/sa.{key,pub}: %s", pki, kc_strerror(rc));
    else
        KC_LOG(KC_LOG_INFO, "pki", "created the service account key pair", "dir=%s", pki);
    return rc;
}

int
api_pki_issue(const char *pki_dir, const char *name, const char *cn, const char *const *orgs, size_t norgs,
              const char *const *dns, size_t ndns, const char *const *ips, size_t nips, unsigned usage, char *err,
              size_t errlen)
{
    char ca_crt[1024], ca_key[1024], crt[1024], key[1024];
    snprintf(ca_crt, sizeof(ca_crt), "%s/ca.crt", pki_dir);
    snprintf(ca_key, sizeof(ca_key), "%s/ca.key", pki_dir);
    snprintf(crt, sizeof(crt), "%s/%s.crt", pki_dir, name);
    snprintf(key, sizeof(key), "%s/%s.key", pki_dir, name);
    struct kc_pki_cert ca = { 0 }, leaf = { 0 };
    int rc = kc_pki_cert_load(ca_crt, ca_key, &ca);
    if (rc != 0) {
        snprintf(err, errlen, "cannot load the cluster CA from %s: %s", pki_dir, kc_strerror(rc));
        return rc;
    }
    struct kc_pki_req req = {
        .cn = cn, .orgs = orgs, .norgs = norgs, .dns_names = dns, .ndns = ndns, .ips = ips, .nips = nips, .usage = usage
    };
    rc = kc_pki_cert_issue(&ca, &req, NULL, &leaf);
    if (rc == 0)
        rc = kc_pki_cert_write(&leaf, crt, key);
    if (rc != 0)
        snprintf(err, errlen, "cannot issue %s: %s", crt, kc_strerror(rc));
    kc_pki_cert_close(&leaf);
    kc_pki_cert_close(&ca);
    return rc;
}

int
api_pki_bootstrap(const char *data_dir, const char *bind_address, char *err, size_t errlen)
{
    char pki[1024], path[1100];
    snprintf(pki, sizeof(pki), "%s/pki", data_dir);
    if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", data_dir, strerror(errno));
        return -errno;
    }
    if (mkdir(pki, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", pki, strerror(errno));
        return -errno;
    }
    snprintf(path, sizeof(path), "%s/ca.crt", pki);
    if (!exists(path)) {
        struct kc_pki_cert ca = { 0 };
        struct kc_pki_req req = { .cn = "k8c-ca" };
        char key[1100];
        snprintf(key, sizeof(key), "%s/ca.key", pki);
        int rc = kc_pki_ca_new(&req, &ca);
        if (rc == 0)
            rc = kc_pki_cert_write(&ca, path, key);
        kc_pki_cert_close(&ca);
        if (rc != 0) {
            snprintf(err, errlen, "cannot create the cluster CA in %s: %s", pki, kc_strerror(rc));
            return rc;
        }
        KC_LOG(KC_LOG_INFO, "pki", "created the cluster CA", "dir=%s", pki);
    }
    snprintf(path, sizeof(path), "%s/apiserver.crt", pki);
    if (!exists(path)) {
        char host[256] = "localhost";
        gethostname(host, sizeof(host) - 1);
        const char *dns[] = { "localhost",
                              host,
                              "kubernetes",
                              "kubernetes.default",
                              "kubernetes.default.svc",
                              "kubernetes.default.svc.cluster.local" };
        const char *ips[] = { "127.0.0.1", bind_address, "10.96.0.1" };
        size_t nips = strcmp(bind_address, "127.0.0.1") == 0 ? 1 : 2;
        if (nips == 2 && strcmp(bind_address, "0.0.0.0") == 0)
            nips = 1;
        ips[nips++] = "10.96.0.1";
        int rc = api_pki_issue(pki, "apiserver", "kube-apiserver", NULL, 0, dns, sizeof(dns) / sizeof(dns[0]), ips,
                               nips, KC_PKI_SERVER, err, errlen);
        if (rc != 0)
            return rc;
    }
    snprintf(path, sizeof(path), "%s/admin.crt", pki);
    if (!exists(path)) {
        const char *orgs[] = { "system:masters" };
        int rc = api_pki_issue(pki, "admin", "admin", orgs, 1, NULL, 0, NULL, 0, KC_PKI_CLIENT, err, errlen);
        if (rc != 0)
            return rc;
    }
    return sa_keypair(pki, err, errlen);
}

int
api_write_kubeconfig(const char *path, const char *server, const char *ca_file, const char *cert_file,
                     const char *key_file, const char *user, char *err, size_t errlen)
{
    char *ca = NULL, *cert = NULL, *key = NULL;
    int rc = read_all(ca_file, &ca);
    if (rc == 0)
        rc = read_all(cert_file, &cert);
    if (rc == 0)
        rc = read_all(key_file, &key);
    if (rc != 0) {
        snprintf(err, errlen, "cannot read the certificates for %s: %s", path, kc_strerror(rc));
        free(ca), free(cert), free(key);
        return rc;
    }
    char *ca64 = kc_base64_encode(ca, strlen(ca)), *cert64 = kc_base64_encode(cert, strlen(cert)),
         *key64 = kc_base64_encode(key, strlen(key));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fprintf(f,
            "apiVersion: v1\n"
            "kind: Config\n"
            "clusters:\n"
            "- name: k8c\n"
            "  cluster:\n"
            "    server: %s\n"
            "    certificate-authority-data: %s\n"
            "users:\n"
            "- name: %s\n"
            "  user:\n"
            "    client-certificate-data: %s\n"
            "    client-key-data: %s\n"
            "contexts:\n"
            "- name: %s@k8c\n"
            "  context:\n"
            "    cluster: k8c\n"
            "    user: %s\n"
            "current-context: %s@k8c\n"
            "preferences: {}\n",
            server, ca64, user, cert64, key64, user, user, user);
    fclose(f);
    rc = kc_pki_write_file(path, text, len, 0600);
    if (rc != 0)
        snprintf(err, errlen, "cannot write %s: %s", path, kc_strerror(rc));
    free(text);
    free(ca64), free(cert64), free(key64);
    free(ca), free(cert), free(key);
    return rc;
}
