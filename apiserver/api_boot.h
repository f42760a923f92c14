/* api_boot.h - first-start PKI and kubeconfig files for a k8c cluster (bootstrap.c). */
#ifndef API_BOOT_H
#define API_BOOT_H

#include <stddef.h>

/* Makes <data_dir>/pki/{ca,apiserver,admin}.{crt,key} where missing: a CA, a serving certificate for
 * localhost, the host name, 127.0.0.1, bind_address and the kubernetes service names, and an admin client
 * certificate (CN=admin, O=system:masters); and sa.key/sa.pub, the P-256 key pair of service account tokens.
 * Existing files are kept. Returns 0 or an error with err filled. */
int api_pki_bootstrap(const char *data_dir, const char *bind_address, char *err, size_t errlen);

/* Issues <pki_dir>/<name>.{crt,key} signed by <pki_dir>/ca.{crt,key}. usage: KC_PKI_SERVER and/or
 * KC_PKI_CLIENT (common/kc_pki.h). */
int api_pki_issue(const char *pki_dir, const char *name, const char *cn, const char *const *orgs, size_t norgs,
                  const char *const *dns, size_t ndns, const char *const *ips, size_t nips, unsigned usage, char *err,
                  size_t errlen);

/* Writes a kubeconfig (mode 0600) for user at server with the CA and client certificate embedded as *-data. */
int api_write_kubeconfig(const char *path, const char *server, const char *ca_file, const char *cert_file,
                         const char *key_file, const char *user, char *err, size_t errlen);

#endif
