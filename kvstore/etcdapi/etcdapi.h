/* etcdapi.h - `k8c kvstore`: the kvs store served over etcd 3.4's v3 JSON gateway API (POST /v3/kv/..., the
 * /v3/watch and /v3/lease/keepalive streams, leases, maintenance, member list, /health, /version, /metrics).
 * docs/kvstore.md lists the endpoints and flags; the differential tests in tests/compat/ hold it to real etcd. */
#ifndef KVS_ETCDAPI_H
#define KVS_ETCDAPI_H

#include <stdbool.h>
#include <stdint.h>

#include "kvs.h"

struct ea_config {
    const char *name;                        /* --name (member name) */
    const char *data_dir;                    /* --data-dir */
    const char *listen_client_urls;          /* --listen-client-urls, comma-separated http(s)://IP:PORT */
    const char *advertise_client_urls;       /* --advertise-client-urls, reported by member list */
    const char *initial_advertise_peer_urls; /* reported by member list as peerURLs (etcd's default
                                                http://localhost:2380); k8c serves no peer traffic yet */
    const char *cert_file, *key_file;        /* --cert-file, --key-file: serving certificate for https URLs */
    const char *trusted_ca_file;             /* --trusted-ca-file: CA for client certificates */
    bool client_cert_auth;                   /* --client-cert-auth: require a valid client certificate */
    int64_t quota_backend_bytes;             /* --quota-backend-bytes (0 = etcd's default, 2 GiB) */
    const char *auto_compaction_retention;   /* --auto-compaction-retention ("0" = off; hours or a duration) */
    const char *auto_compaction_mode;        /* --auto-compaction-mode: periodic (default) or revision */
    int64_t max_request_bytes;               /* --max-request-bytes (0 = etcd's default, 1.5 MiB) */
    int max_txn_ops;                         /* --max-txn-ops (0 = 128) */
    int threads;                             /* event-loop threads per listener (0 = 2) */
};

/* Fills c with etcd's defaults (name "default", data dir "default.etcd", http://127.0.0.1:2379). */
void ea_config_init(struct ea_config *c);

/* Parses etcd-style flags (--flag value or --flag=value) into c. Returns 0, or KC_EINVALID with a message in
 * err naming the flag. */
int ea_config_parse(struct ea_config *c, int argc, char **argv, char *err, size_t errlen);

/* A running server. */
struct ea_server;

/* Opens the store in data_dir and starts listening. Refuses plain http on a non-loopback address and https without
 * --cert-file/--key-file (KC_EINVALID with err filled). Returns 0 and *out, or an error with err filled. */
int ea_server_start(const struct ea_config *c, struct ea_server **out, char *err, size_t errlen);

/* The first listener's port (for tests that listen on port 0). */
int ea_server_port(const struct ea_server *s);

/* Stops listening, ends every stream, closes the store. */
void ea_server_stop(struct ea_server *s);

/* The `k8c kvstore` subcommand: parses flags, runs until SIGTERM or SIGINT, shuts down cleanly. */
int ea_main(int argc, char **argv);

#endif
