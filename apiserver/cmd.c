/* cmd.c - the subcommands `k8c server` (the control plane in one process on the embedded store), `k8c apiserver`
 * (the API server alone on a remote etcd-compatible store) and `k8c pki` (certificates and kubeconfigs). */
#include "api.h"
#include "api_boot.h"
#include "api_cmd.h"
#include "api_exec.h"
#include "ctrl.h"
#include "kc_http.h"
#include "kc_error.h"
#include "kc_jarena.h"
#include "kc_log.h"
#include "kc_pki.h"
#include "kvs.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct flags {
    const char *data_dir, *bind_address, *token_auth_file, *service_range, *event_ttl;
    int64_t tolerations[2]; /* --default-not-ready-toleration-seconds, --default-unreachable-toleration-seconds */
    bool tolerations_set[2];
    const char *etcd_servers, *etcd_ca, *etcd_cert, *etcd_key;
    const char *tls_cert, *tls_key, *client_ca, *log_level;
    const char *kubelet_cert, *kubelet_key, *kubelet_ca; /* exec/attach: the kubelet client (exec.c) */
    bool kubelet_insecure_loopback;
    int port;
    int max_inflight, max_mutating_inflight; /* -1: the default */
    /* service account tokens (api_satoken.h): the repeatable flags keep each value */
    const char *sa_signing_key, *sa_max_expiration, *sa_extend;
    const char *sa_key_files[API_SA_MAX_FLAGS], *sa_issuers[API_SA_MAX_FLAGS], *api_audiences[API_SA_MAX_FLAGS];
    int nsa_key_files, nsa_issuers, napi_audiences;
};

/* --name value / --name=value; returns the value or NULL. */
static const char *
flag_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0)
        return NULL;
    if (a[2 + n] == '=')
        return a + 3 + n;
    if (a[2 + n] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

static int
parse_flags(int argc, char **argv, struct flags *f, bool remote)
{
    for (int i = 1; i < argc; i++) {
        const char *v;
#define F(name, field)                            \
    if ((v = flag_value(argc, argv, &i, name))) { \
        f->field = v;                             \
        continue;                                 \
    }
        F("data-dir", data_dir)
        F("bind-address", bind_address)
        F("token-auth-file", token_auth_file)
        F("service-cluster-ip-range", service_range)
        F("event-ttl", event_ttl)
        F("tls-cert-file", tls_cert)
        F("tls-private-key-file", tls_key)
        F("client-ca-file", client_ca)
        F("log-level", log_level)
        F("kubelet-client-certificate", kubelet_cert)
        F("kubelet-client-key", kubelet_key)
        F("kubelet-certificate-authority", kubelet_ca)
        F("service-account-signing-key-file", sa_signing_key)
        F("service-account-max-token-expiration", sa_max_expiration)
#define FA(name, arr, n)                                                          \
    if ((v = flag_value(argc, argv, &i, name))) {                                 \
        if (f->n == API_SA_MAX_FLAGS) {                                           \
            fprintf(stderr, "--%s: at most %d values\n", name, API_SA_MAX_FLAGS); \
            return 2;                                                             \
        }                                                                         \
        f->arr[f->n++] = v;                                                       \
        continue;                                                                 \
    }
        FA("service-account-key-file", sa_key_files, nsa_key_files)
        FA("service-account-issuer", sa_issuers, nsa_issuers)
        FA("api-audiences", api_audiences, napi_audiences)
#undef FA
        if (remote) {
            F("etcd-servers", etcd_servers)
            F("etcd-cafile", etcd_ca)
            F("etcd-certfile", etcd_cert)
            F("etcd-keyfile", etcd_key)
        }
#undef F
        if (strcmp(argv[i], "--kubelet-insecure-loopback") == 0 ||
            strcmp(argv[i], "--kubelet-insecure-loopback=true") == 0) {
            f->kubelet_insecure_loopback = true;
            continue;
        }
        if (strcmp(argv[i], "--kubelet-insecure-loopback=false") == 0) {
            f->kubelet_insecure_loopback = false;
            continue;
        }
        static const char extend[] = "--service-account-extend-token-expiration"; /* a bool: no separate value */
        size_t xn = sizeof(extend) - 1;
        if (strncmp(argv[i], extend, xn) == 0 && (argv[i][xn] == '\0' || argv[i][xn] == '=')) {
            f->sa_extend = argv[i][xn] ? argv[i] + xn + 1 : "true";
            continue;
        }
        int *limit = NULL;
        const char *lname = NULL;
        if ((v = flag_value(argc, argv, &i, lname = "max-requests-inflight")))
            limit = &f->max_inflight;
        else if ((v = flag_value(argc, argv, &i, lname = "max-mutating-requests-inflight")))
            limit = &f->max_mutating_inflight;
        if (limit) {
            char *end;
            long n = strtol(v, &end, 10);
            if (!*v || *end || n < 0 || n > 1000000) {
                fprintf(stderr, "invalid value \"%s\" for --%s (a number of requests, 0 = no limit)\n", v, lname);
                return 2;
            }
            *limit = (int)n;
            continue;
        }
        static const char *const toleration_flags[2] = { "default-not-ready-toleration-seconds",
                                                         "default-unreachable-toleration-seconds" };
        int tf = -1;
        for (int k = 0; k < 2 && tf < 0; k++)
            if ((v = flag_value(argc, argv, &i, toleration_flags[k])))
                tf = k;
        if (tf >= 0) {
            char *end;
            errno = 0;
            long long n = strtoll(v, &end, 10);
            if (!*v || *end || errno) {
                fprintf(stderr, "invalid value \"%s\" for --%s (a number of seconds)\n", v, toleration_flags[tf]);
                return 2;
            }
            f->tolerations[tf] = n;
            f->tolerations_set[tf] = true;
            continue;
        }
        if ((v = flag_value(argc, argv, &i, "secure-port"))) {
            char *end;
            long p = strtol(v, &end, 10);
            if (*end || p < 0 || p > 65535) {
                fprintf(stderr, "invalid value \"%s\" for --secure-port\n", v);
                return 2;
            }
            f->port = (int)p;
            continue;
        }
        fprintf(stderr, "unknown flag %s\n", argv[i]);
        return 2;
    }
    if (f->log_level) {
        enum kc_log_level l;
        if (kc_log_parse_level(f->log_level, &l) != 0) {
            fprintf(stderr, "invalid value \"%s\" for --log-level\n", f->log_level);
            return 2;
        }
        kc_log_set_level(l);
    }
    return 0;
}

static int64_t
parse_duration_s(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s)
        return -1;
    if (*end == '\0' || strcmp(end, "s") == 0)
        return (int64_t)v;
    if (strcmp(end, "m") == 0)
        return (int64_t)(v * 60);
    if (strcmp(end, "h") == 0)
        return (int64_t)(v * 3600);
    return -1;
}

static sigset_t
block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    return set;
}

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = '\0';
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* The controllers that run with the API server (the namespace lifecycle), talking to it over HTTPS as admin. */
static struct ctrl_namespace *
start_controllers(const char *url, const char *ca, const char *crt, const char *key)
{
    struct kc_http_config hc = {
        .server = strdup(url), .ca_pem = slurp(ca), .cert_pem = slurp(crt), .key_pem = slurp(key)
    };
    struct ctrl_namespace *nsc = NULL;
    int rc = hc.ca_pem && hc.cert_pem && hc.key_pem ? ctrl_namespace_start(&hc, NULL, &nsc) : KC_EINVALID;
    if (rc != 0)
        KC_LOG(KC_LOG_ERROR, "apiserver", "cannot start the namespace controller", "err=\"%s\"", kc_strerror(rc));
    kc_http_config_close(&hc);
    return nsc;
}

/* Serves until SIGTERM/SIGINT over store; writes the admin kubeconfig when data_dir holds the PKI. */
static int
serve(struct flags *f, struct api_store *store, const char *what)
{
    struct api_config c;
    char err[1024], crt[1024], key[1024], ca[1024], kcrt[1200], kkey[1200], sa_key[1200], sa_pub[1200];
    api_config_init(&c);
    if (f->bind_address)
        c.bind_address = f->bind_address;
    c.secure_port = f->port >= 0 ? f->port : 6443;
    if (f->token_auth_file)
        c.token_auth_file = f->token_auth_file;
    if (f->service_range)
        c.service_cluster_ip_range = f->service_range;
    if (f->max_inflight >= 0)
        c.max_requests_inflight = f->max_inflight;
    if (f->max_mutating_inflight >= 0)
        c.max_mutating_requests_inflight = f->max_mutating_inflight;
    if (f->event_ttl && (c.event_ttl_s = parse_duration_s(f->event_ttl)) <= 0) {
        fprintf(stderr, "k8c %s: invalid value \"%s\" for --event-ttl\n", what, f->event_ttl);
        return 2;
    }
    if (f->tolerations_set[0])
        c.default_not_ready_toleration_s = f->tolerations[0];
    if (f->tolerations_set[1])
        c.default_unreachable_toleration_s = f->tolerations[1];
    if (f->tls_cert || f->tls_key || f->client_ca) {
        if (!f->tls_cert || !f->tls_key) {
            fprintf(stderr, "k8c %s: --tls-cert-file and --tls-private-key-file go together\n", what);
            return 2;
        }
        c.cert_file = f->tls_cert;
        c.key_file = f->tls_key;
        c.client_ca_file = f->client_ca;
    } else {
        if (api_pki_bootstrap(f->data_dir, c.bind_address, err, sizeof(err)) != 0) {
            fprintf(stderr, "k8c %s: %s\n", what, err);
            return 1;
        }
        snprintf(crt, sizeof(crt), "%s/pki/apiserver.crt", f->data_dir);
        snprintf(key, sizeof(key), "%s/pki/apiserver.key", f->data_dir);
        snprintf(ca, sizeof(ca), "%s/pki/ca.crt", f->data_dir);
        c.cert_file = crt;
        c.key_file = key;
        c.client_ca_file = ca;
        /* exec/attach reach kubelets with a client certificate of the cluster CA, and check theirs against it */
        char pki[1100];
        snprintf(pki, sizeof(pki), "%s/pki", f->data_dir);
        if (!f->kubelet_cert) {
            if (api_exec_kubelet_client_pki(pki, kcrt, sizeof(kcrt), kkey, sizeof(kkey), err, sizeof(err)) != 0) {
                fprintf(stderr, "k8c %s: %s\n", what, err);
                return 1;
            }
            c.kubelet_client_cert = kcrt;
            c.kubelet_client_key = kkey;
        }
        if (!f->kubelet_ca)
            c.kubelet_ca_file = ca;
        /* service account tokens: unless --service-account-signing-key-file says otherwise, <data-dir>/pki/sa.key
           signs and sa.pub is among the keys that verify */
        snprintf(sa_key, sizeof(sa_key), "%s/sa.key", pki);
        snprintf(sa_pub, sizeof(sa_pub), "%s/sa.pub", pki);
        if (!f->sa_signing_key) {
            c.sa.signing_key_file = sa_key;
            c.sa.key_files[c.sa.nkey_files++] = sa_pub;
        }
    }
    if (f->sa_signing_key)
        c.sa.signing_key_file = f->sa_signing_key;
    for (int i = 0; i < f->nsa_key_files; i++) {
        if (c.sa.nkey_files == API_SA_MAX_FLAGS) {
            fprintf(stderr, "k8c %s: --service-account-key-file: at most %d values\n", what, API_SA_MAX_FLAGS - 1);
            return 2;
        }
        c.sa.key_files[c.sa.nkey_files++] = f->sa_key_files[i];
    }
    for (int i = 0; i < f->nsa_issuers; i++)
        c.sa.issuers[c.sa.nissuers++] = f->sa_issuers[i];
    for (int i = 0; i < f->napi_audiences; i++)
        c.sa.audiences[c.sa.naudiences++] = f->api_audiences[i];
    c.sa.max_expiration = f->sa_max_expiration;
    c.sa.extend_expiration = f->sa_extend;
    if (f->kubelet_cert || f->kubelet_key) {
        if (!f->kubelet_cert || !f->kubelet_key) {
            fprintf(stderr, "k8c %s: --kubelet-client-certificate and --kubelet-client-key go together\n", what);
            return 2;
        }
        c.kubelet_client_cert = f->kubelet_cert;
        c.kubelet_client_key = f->kubelet_key;
    }
    if (f->kubelet_ca)
        c.kubelet_ca_file = f->kubelet_ca;
    c.kubelet_insecure_loopback = f->kubelet_insecure_loopback;
    struct api_server *srv;
    if (api_server_start(&c, store, &srv, err, sizeof(err)) != 0) {
        fprintf(stderr, "k8c %s: %s\n", what, err);
        return 1;
    }
    if (!f->tls_cert) {
        char kc[1100], url[300], acrt[1100], akey[1100];
        snprintf(kc, sizeof(kc), "%s/admin.kubeconfig", f->data_dir);
        snprintf(acrt, sizeof(acrt), "%s/pki/admin.crt", f->data_dir);
        snprintf(akey, sizeof(akey), "%s/pki/admin.key", f->data_dir);
        const char *host = strcmp(c.bind_address, "0.0.0.0") == 0 ? "127.0.0.1" : c.bind_address;
        snprintf(url, sizeof(url), "https://%s:%d", host, api_server_port(srv));
        if (api_write_kubeconfig(kc, url, ca, acrt, akey, "admin", err, sizeof(err)) != 0)
            fprintf(stderr, "k8c %s: %s\n", what, err);
        else {
            char *abs = realpath(kc, NULL); /* a line that works from any directory */
            fprintf(stderr,
                    "k8c %s: serving the Kubernetes API on %s\n  export KUBECONFIG=%s\n  kctl get ns   (or kubectl)\n",
                    what, url, abs ? abs : kc);
            free(abs);
        }
        struct ctrl_namespace *nsc = start_controllers(url, ca, acrt, akey);
        int rc = api_cmd_wait(srv, nsc);
        return rc;
    }
    KC_LOG(KC_LOG_WARN, "apiserver", "no admin credentials from --data-dir: the namespace controller does not run");
    return api_cmd_wait(srv, NULL);
}

int
api_cmd_wait(struct api_server *srv, struct ctrl_namespace *nsc)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int sig;
    sigwait(&set, &sig);
    KC_LOG(KC_LOG_INFO, "apiserver", "shutting down", "signal=%d", sig);
    ctrl_namespace_stop(nsc);
    api_server_stop(srv);
    return 0;
}

int
api_cmd_server(int argc, char **argv)
{
    struct flags f = { .data_dir = ".k8c", .port = -1, .max_inflight = -1, .max_mutating_inflight = -1 };
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: k8c server [--data-dir .k8c] [--bind-address 127.0.0.1] [--secure-port 6443]\n"
               "                  [--token-auth-file FILE] [--service-cluster-ip-range 10.96.0.0/12] [--event-ttl 1h]\n"
               "                  [--default-not-ready-toleration-seconds 300]\n"
               "                  [--default-unreachable-toleration-seconds 300]\n"
               "                  [--max-requests-inflight 400] [--max-mutating-requests-inflight 200]\n"
               "                  [--kubelet-client-certificate F --kubelet-client-key F]\n"
               "                  [--kubelet-certificate-authority F] [--kubelet-insecure-loopback]\n"
               "                  [--service-account-signing-key-file F] [--service-account-key-file F]...\n"
               "                  [--service-account-issuer URL]... [--api-audiences A,B]\n"
               "                  [--service-account-max-token-expiration 24h]\n"
               "                  [--service-account-extend-token-expiration=false]\n"
               "The whole control plane in one process on the embedded store (data and PKI in --data-dir).\n");
        return 0;
    }
    if (parse_flags(argc, argv, &f, false) != 0)
        return 2;
    block_signals();
    kc_jarena_install(); /* before any thread: a create's values come from its arena (server.c) */
    char err[1024], dir[1100];
    if (api_pki_bootstrap(f.data_dir, f.bind_address ? f.bind_address : "127.0.0.1", err, sizeof(err)) != 0) {
        fprintf(stderr, "k8c server: %s\n", err);
        return 1;
    }
    snprintf(dir, sizeof(dir), "%s/kvstore", f.data_dir);
    struct kvs_options o;
    struct kvs *kvs;
    kvs_options_init(&o);
    o.dir = dir;
    int rc = kvs_open(&o, &kvs);
    if (rc != 0) {
        fprintf(stderr, "k8c server: cannot open the store in %s: %s\n", dir, kvs_error_message(rc, NULL));
        return 1;
    }
    struct api_store *store;
    rc = api_store_embedded(kvs, &store);
    if (rc == 0)
        rc = serve(&f, store, "server");
    else
        fprintf(stderr, "k8c server: %s\n", kc_strerror(rc));
    api_store_close(store);
    kvs_close(kvs);
    return rc;
}

int
api_cmd_apiserver(int argc, char **argv)
{
    struct flags f = { .data_dir = ".k8c", .port = -1, .max_inflight = -1, .max_mutating_inflight = -1 };
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf(
            "usage: k8c apiserver --etcd-servers URLS [--etcd-cafile F --etcd-certfile F --etcd-keyfile F]\n"
            "                     [--data-dir .k8c | --tls-cert-file F --tls-private-key-file F --client-ca-file F]\n"
            "                     [--bind-address 127.0.0.1] [--secure-port 6443] [--token-auth-file FILE]\n"
            "                     [--service-cluster-ip-range 10.96.0.0/12] [--event-ttl 1h]\n"
            "                     [--default-not-ready-toleration-seconds 300]\n"
            "                     [--default-unreachable-toleration-seconds 300]\n"
            "                     [--max-requests-inflight 400] [--max-mutating-requests-inflight 200]\n"
            "                     [--kubelet-client-certificate F --kubelet-client-key F]\n"
            "                     [--kubelet-certificate-authority F] [--kubelet-insecure-loopback]\n"
            "                     [--service-account-signing-key-file F] [--service-account-key-file F]...\n"
            "                     [--service-account-issuer URL]... [--api-audiences A,B]\n"
            "                     [--service-account-max-token-expiration 24h]\n"
            "                     [--service-account-extend-token-expiration=false]\n"
            "The API server alone, on a remote etcd v3 store (k8c kvstore or etcd).\n");
        return 0;
    }
    if (parse_flags(argc, argv, &f, true) != 0)
        return 2;
    if (!f.etcd_servers) {
        fprintf(stderr, "k8c apiserver: --etcd-servers is required\n");
        return 2;
    }
    block_signals();
    kc_jarena_install();
    struct api_store_remote_config rc_ = {
        .servers = f.etcd_servers, .ca_file = f.etcd_ca, .cert_file = f.etcd_cert, .key_file = f.etcd_key
    };
    struct api_store *store;
    char err[1024];
    /* The store may still be starting: retry for a while, as kube-apiserver does. */
    int rc;
    for (int attempt = 0;; attempt++) {
        rc = api_store_remote(&rc_, &store, err, sizeof(err));
        if (rc == 0 || rc != KC_EUNAVAILABLE || attempt == 60)
            break;
        if (attempt == 0)
            KC_LOG(KC_LOG_WARN, "apiserver", "waiting for the store", "err=\"%s\"", err);
        struct timespec ts = { 0, 500 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    if (rc != 0) {
        fprintf(stderr, "k8c apiserver: %s\n", err);
        return 1;
    }
    rc = serve(&f, store, "apiserver");
    api_store_close(store);
    return rc;
}

int
api_cmd_pki(int argc, char **argv)
{
    const char *data_dir = ".k8c", *name = NULL, *cn = NULL, *server = NULL, *out = NULL;
    const char *orgs[16], *dns[16], *ips[16];
    size_t norgs = 0, ndns = 0, nips = 0;
    unsigned usage = 0;
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        printf("usage: k8c pki init [--data-dir D]\n"
               "       k8c pki issue --name N --cn CN [--org O]... [--dns NAME]... [--ip IP]... [--client] [--server]\n"
               "       k8c pki kubeconfig --name N --server URL --out FILE   (a kubeconfig for an issued client)\n");
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *v;
        if ((v = flag_value(argc, argv, &i, "data-dir")))
            data_dir = v;
        else if ((v = flag_value(argc, argv, &i, "name")))
            name = v;
        else if ((v = flag_value(argc, argv, &i, "cn")))
            cn = v;
        else if ((v = flag_value(argc, argv, &i, "org")) && norgs < 16)
            orgs[norgs++] = v;
        else if ((v = flag_value(argc, argv, &i, "dns")) && ndns < 16)
            dns[ndns++] = v;
        else if ((v = flag_value(argc, argv, &i, "ip")) && nips < 16)
            ips[nips++] = v;
        else if ((v = flag_value(argc, argv, &i, "server")))
            server = v;
        else if ((v = flag_value(argc, argv, &i, "out")))
            out = v;
        else if (strcmp(argv[i], "--client") == 0)
            usage |= KC_PKI_CLIENT;
        else if (strcmp(argv[i], "--server") == 0)
            usage |= KC_PKI_SERVER;
        else {
            fprintf(stderr, "k8c pki: unknown flag %s\n", argv[i]);
            return 2;
        }
    }
    char err[1024], pki[1100];
    snprintf(pki, sizeof(pki), "%s/pki", data_dir);
    if (strcmp(sub, "init") == 0) {
        if (api_pki_bootstrap(data_dir, "127.0.0.1", err, sizeof(err)) != 0) {
            fprintf(stderr, "k8c pki: %s\n", err);
            return 1;
        }
        printf("%s\n", pki);
        return 0;
    }
    if (strcmp(sub, "issue") == 0) {
        if (!name || !cn) {
            fprintf(stderr, "k8c pki issue: --name and --cn are required\n");
            return 2;
        }
        if (!usage)
            usage = KC_PKI_CLIENT;
        if (api_pki_issue(pki, name, cn, orgs, norgs, dns, ndns, ips, nips, usage, err, sizeof(err)) != 0) {
            fprintf(stderr, "k8c pki: %s\n", err);
            return 1;
        }
        printf("%s/%s.crt\n%s/%s.key\n", pki, name, pki, name);
        return 0;
    }
    if (strcmp(sub, "kubeconfig") == 0) {
        if (!name || !server || !out) {
            fprintf(stderr, "k8c pki kubeconfig: --name, --server and --out are required\n");
            return 2;
        }
        char ca[1200], crt[1200], key[1200];
        snprintf(ca, sizeof(ca), "%s/ca.crt", pki);
        snprintf(crt, sizeof(crt), "%s/%s.crt", pki, name);
        snprintf(key, sizeof(key), "%s/%s.key", pki, name);
        if (api_write_kubeconfig(out, server, ca, crt, key, name, err, sizeof(err)) != 0) {
            fprintf(stderr, "k8c pki: %s\n", err);
            return 1;
        }
        return 0;
    }
    fprintf(stderr, "k8c pki: unknown subcommand \"%s\"\n", sub);
    return 2;
}
