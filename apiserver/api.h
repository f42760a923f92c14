/* api.h - the Kubernetes API server of k8c: HTTPS (HTTP/1.1 and HTTP/2), authentication by client
 * certificates and bearer tokens, the REST API of every kind in the resource table over a storage backend
 * (api_store.h), watch, discovery, Tables. docs/apiserver.md describes what is served and what is not yet.
 */
#ifndef API_H
#define API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api_satoken.h"
#include "api_store.h"

struct api_config {
    const char *bind_address;             /* --bind-address (default 127.0.0.1) */
    int secure_port;                      /* --secure-port (default 6443; 0 = any free port) */
    const char *cert_file;                /* serving certificate (PEM) */
    const char *key_file;                 /* its key */
    const char *client_ca_file;           /* CA for client certificates (user = CN, groups = O) */
    const char *token_auth_file;          /* --token-auth-file: CSV token,user,uid[,"group1,group2"] */
    const char *service_cluster_ip_range; /* --service-cluster-ip-range (default 10.96.0.0/12) */
    int64_t event_ttl_s;                  /* --event-ttl (default 3600) */
    /* the DefaultTolerationSeconds admission plugin (rest.c): tolerations of the NoExecute taints of a node that is
     * not ready or unreachable, added to pods that tolerate neither */
    int64_t default_not_ready_toleration_s;   /* --default-not-ready-toleration-seconds (default 300) */
    int64_t default_unreachable_toleration_s; /* --default-unreachable-toleration-seconds (default 300) */
    size_t max_body;                          /* request body limit (default 3 MiB, as kube-apiserver) */
    int threads;                              /* event-loop threads (default 2) */
    int max_requests_inflight;          /* --max-requests-inflight: get/list at once (default 400; 0 = no limit) */
    int max_mutating_requests_inflight; /* --max-mutating-requests-inflight: writes at once (default 200; 0 = none) */
    /* exec and attach (exec.c): how the API server reaches kubelets */
    const char *kubelet_client_cert; /* --kubelet-client-certificate: presented to kubelets (NULL = none) */
    const char *kubelet_client_key;  /* --kubelet-client-key */
    const char *kubelet_ca_file;     /* --kubelet-certificate-authority: verify kubelets' serving certificates
                                        against it (NULL = no verification, as kube-apiserver) */
    bool kubelet_insecure_loopback;  /* --kubelet-insecure-loopback: plain HTTP to a kubelet at 127.0.0.1 (tests) */
    struct api_sa_config sa;         /* service account tokens: the --service-account-* and --api-audiences flags */
};

void api_config_init(struct api_config *c);

struct api_server;

/* Starts serving over store (not owned). Creates the default namespaces if missing. Returns 0, or an error with
 * err filled (bad flags, unreadable certificates, port in use, store unavailable). */
int api_server_start(const struct api_config *c, struct api_store *store, struct api_server **out, char *err,
                     size_t errlen);

/* The port it listens on. */
int api_server_port(const struct api_server *s);

/* Stops listening, ends watches, frees the server (not the store). */
void api_server_stop(struct api_server *s);

#endif
