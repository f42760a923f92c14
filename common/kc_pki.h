/* kc_pki.h - the small PKI k8c needs, over OpenSSL 3: keys, a self-signed CA, serving and client certificates.
 *
 * Keys are ECDSA P-256 (kubectl, client-go and the Python client accept them). Certificates follow what
 * kubeadm issues: the CA has basicConstraints CA:TRUE; leaves carry keyUsage, extendedKeyUsage, SANs and SKI/AKI.
 * Kubernetes reads a client certificate's subject as user = CN and groups = every O. No global state: thread-safe.
 */
#ifndef KC_PKI_H
#define KC_PKI_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

#define KC_PKI_CA_VALID_SECS   (10LL * 365 * 24 * 3600) /* default CA lifetime: 10 years, as kubeadm */
#define KC_PKI_CERT_VALID_SECS (365LL * 24 * 3600)      /* default leaf lifetime: 1 year, as kubeadm */
#define KC_PKI_BACKDATE_SECS   300 /* default notBefore is now minus this, to tolerate clock skew */

/* What a leaf certificate may be used for (extendedKeyUsage); OR them for a certificate that does both. */
enum kc_pki_usage {
    KC_PKI_SERVER = 1, /* serverAuth: a serving certificate */
    KC_PKI_CLIENT = 2, /* clientAuth: a client certificate */
};

/* What to put in a certificate. Every pointer is borrowed for the duration of the call. */
struct kc_pki_req {
    const char *cn;               /* subject commonName (the user, for a client certificate); required */
    const char *const *orgs;      /* subject organization values (the groups), in order; may be NULL */
    size_t norgs;                 /* number of orgs */
    const char *const *dns_names; /* subjectAltName DNS names, e.g. "localhost", "kubernetes.default.svc" */
    size_t ndns;                  /* number of dns_names */
    const char *const *ips;       /* subjectAltName IP addresses in text form, IPv4 or IPv6 ("10.96.0.1") */
    size_t nips;                  /* number of ips */
    unsigned usage;               /* enum kc_pki_usage bits (a leaf needs at least one); ignored for a CA */
    long long not_before;         /* validity start, Unix seconds; 0 = now - KC_PKI_BACKDATE_SECS */
    long long valid_secs;         /* lifetime from not_before; 0 = KC_PKI_CA_VALID_SECS or _CERT_VALID_SECS */
};

/* A certificate and its private key. Both are owned by the struct: release with kc_pki_cert_close(). */
struct kc_pki_cert {
    X509 *x509;
    EVP_PKEY *key;
};

/* The identity a client certificate carries, as Kubernetes reads it. Owned: release with
 * kc_pki_identity_close(). */
struct kc_pki_identity {
    char *cn;     /* subject commonName (the user name); "" when the subject has none */
    char **orgs;  /* subject organization values (the groups), in subject order; NULL when norgs is 0 */
    size_t norgs; /* number of orgs */
};

/* Generates an ECDSA P-256 key into *out (the caller frees it with EVP_PKEY_free). Returns 0 or KC_EINTERNAL
 * when OpenSSL fails (including out of memory inside OpenSSL). */
int kc_pki_key_new(EVP_PKEY **out);

/* Makes a self-signed CA with a fresh key: subject CN=req->cn (plus O=req->orgs), basicConstraints critical
 * CA:TRUE, keyUsage critical digitalSignature+keyEncipherment+keyCertSign+cRLSign, SKI, AKI = its own SKI, a
 * random 16-octet serial (126 random bits), validity from req->not_before/valid_secs, SHA-256 signature. SANs
 * and usage in req are ignored. Names are stored as UTF8String with no length cap (Kubernetes names may exceed
 * X.520's 64). On success fills *out (caller closes it). Returns 0, KC_EINVALID (no or empty CN, an empty O, a
 * name that is not valid UTF-8, valid_secs < 0), KC_EINTERNAL (OpenSSL failed). */
int kc_pki_ca_new(const struct kc_pki_req *req, struct kc_pki_cert *out);

/* Issues a leaf certificate signed by ca (its x509 and key are both needed). The subject is O=orgs... CN=cn;
 * the certificate has basicConstraints critical CA:FALSE, keyUsage critical digitalSignature (plus
 * keyEncipherment for an RSA key), extendedKeyUsage from req->usage, subjectAltName from dns_names and ips
 * (omitted when both are empty), SKI, AKI = the CA's SKI, issuer = the CA's subject, a random serial, SHA-256.
 * key is the subject's key: when NULL a fresh P-256 key is generated; otherwise a reference is taken (the caller
 * still frees its own). On success fills *out. Returns 0, KC_EINVALID (missing CN, names as for
 * kc_pki_ca_new(), usage 0 or unknown bits, an IP that does not parse, an empty DNS name or one with a comma,
 * space or control character, ca without a key or a key that does not match its certificate, valid_secs < 0),
 * KC_EINTERNAL (OpenSSL failed). */
int kc_pki_cert_issue(const struct kc_pki_cert *ca, const struct kc_pki_req *req, EVP_PKEY *key,
                      struct kc_pki_cert *out);

/* Frees both halves and zeroes the struct. NULL and an already closed struct are fine. */
void kc_pki_cert_close(struct kc_pki_cert *c);

/* The certificate as PEM ("-----BEGIN CERTIFICATE-----"). *pem is malloc'ed and NUL-terminated (the NUL is not
 * counted in *len, which may be NULL); the caller frees it. Returns 0, -ENOMEM, KC_EINTERNAL. */
int kc_pki_cert_pem(X509 *x509, char **pem, size_t *len);

/* The private key as unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----", accepted by Go's tls and
 * Python's ssl). Ownership and errors as kc_pki_cert_pem(). The buffer holds a secret: free it when done. */
int kc_pki_key_pem(EVP_PKEY *key, char **pem, size_t *len);

/* Writes len bytes to path atomically: a temporary file in the same directory created with mode, fsync'ed and
 * renamed over path, so the file never exists with wider permissions or partial content. Use 0600 for keys and
 * 0644 for certificates. Returns 0 or -errno (the temporary file is removed on failure). */
int kc_pki_write_file(const char *path, const void *data, size_t len, int mode);

/* Writes c's certificate to cert_path (mode 0644) and its key to key_path (mode 0600), as PEM. Either path may
 * be NULL to skip that half. Returns 0, -errno, -ENOMEM, KC_EINTERNAL. */
int kc_pki_cert_write(const struct kc_pki_cert *c, const char *cert_path, const char *key_path);

/* Parses a certificate and, when key_pem is not NULL, its private key (PKCS#8, SEC1 "EC PRIVATE KEY" or PKCS#1
 * "RSA PRIVATE KEY") from PEM text; only the first certificate of a bundle is read. Lengths may be 0 to use
 * strlen(). With a key, checks that it matches the certificate. On success fills *out (key NULL when none was
 * given). Returns 0, KC_EINVALID (not PEM, not a certificate or key, the key does not match), -ENOMEM. */
int kc_pki_cert_from_pem(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                         struct kc_pki_cert *out);

/* Loads a certificate and key written by kc_pki_cert_write() (or any PEM pair), e.g. the cluster CA. key_path may
 * be NULL to load only the certificate. Returns 0, -errno from reading the files (-ENOENT, -EACCES, ...),
 * KC_ETOOLARGE (a file over 1 MiB), and the errors of kc_pki_cert_from_pem(). */
int kc_pki_cert_load(const char *cert_path, const char *key_path, struct kc_pki_cert *out);

/* Checks cert against the single trust anchor ca (chain, signature, validity at the current time) for the given
 * usage (KC_PKI_SERVER or KC_PKI_CLIENT; 0 = any purpose). When it fails and errbuf is given, writes OpenSSL's
 * reason ("certificate has expired", "unable to get local issuer certificate", ...). Returns 0, KC_EINVALID when
 * the certificate is not valid, -ENOMEM / KC_EINTERNAL when the check itself could not run. */
int kc_pki_verify(X509 *ca, X509 *cert, unsigned usage, char *errbuf, size_t errlen);

/* Reads the identity of a (peer) certificate: the subject's CN and every O, as UTF-8. Fills *out on success;
 * the caller closes it. Returns 0, KC_EINVALID (a CN or O that is not valid text or holds a NUL byte), -ENOMEM. */
int kc_pki_identity_get(X509 *x509, struct kc_pki_identity *out);

/* Frees the identity's strings and zeroes it. NULL is fine. */
void kc_pki_identity_close(struct kc_pki_identity *id);

#endif
