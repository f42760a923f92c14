/* kctl_fake.h - a fake API server for kctl's unit tests: a real HTTPS server (tests/support/kts_server) with a
 * throw-away CA, a kubeconfig that points at it, canned answers by path and a log of the requests it got.
 * Header-only (static functions) so each test executable carries its own copy. */
#ifndef KCTL_FAKE_H
#define KCTL_FAKE_H

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kc_crypto.h"
#include "kc_pki.h"
#include "kctl.h"
#include "kts_server.h"

#define FAKE_MAX_ROUTES 64
#define FAKE_MAX_LOG    128

struct fake_route {
    char path[512]; /* exact path with query, or a path without query that matches any query */
    int status;
    char ctype[160];
    char *body;
    char *accept_has; /* only when the request's Accept contains this */
    char **lines;     /* a streamed answer: these lines, each with '\n', then the end of the body */
    int nlines;
    int uses; /* > 0: answers that many requests, then is skipped; 0: forever */
};

struct fake {
    char dir[64];
    char kubeconfig[128];
    char *ca_pem;
    struct kts_server *srv;
    pthread_mutex_t mu;
    struct fake_route routes[FAKE_MAX_ROUTES];
    int nroutes;
    char *log[FAKE_MAX_LOG]; /* "GET /api/v1 accept=..." */
    int nlog;
    char *last_body; /* the body of the last request with one */
};

static inline char *
fake_read_file(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return NULL;
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

static inline int
fake_handle(void *arg, h2o_req_t *req)
{
    struct fake *f = arg;
    const char *path = kts_req_path(req);
    const char *accept = kts_req_header(req, "accept");
    char method[16];
    snprintf(method, sizeof(method), "%.*s", (int)req->method.len, req->method.base);
    pthread_mutex_lock(&f->mu);
    if (f->nlog < FAKE_MAX_LOG) {
        char *line;
        if (asprintf(&line, "%s %s", method, path) >= 0)
            f->log[f->nlog++] = line;
    }
    if (req->entity.base) {
        free(f->last_body);
        f->last_body = strndup(req->entity.base, req->entity.len);
    }
    struct fake_route *hit = NULL;
    size_t plen = strcspn(path, "?");
    for (int i = 0; i < f->nroutes && !hit; i++) {
        struct fake_route *r = &f->routes[i];
        if (r->accept_has && (!accept || !strstr(accept, r->accept_has)))
            continue;
        if (r->uses < 0)
            continue; /* used up */
        if (strcmp(r->path, path) == 0 ||
            (!strchr(r->path, '?') && strlen(r->path) == plen && strncmp(r->path, path, plen) == 0))
            hit = r;
    }
    if (!hit) {
        pthread_mutex_unlock(&f->mu);
        static const char nf[] = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
                                 "\"message\":\"the server could not find the requested resource\",\"reason\":"
                                 "\"NotFound\",\"details\":{},\"code\":404}";
        kts_respond(req, 404, "application/json", nf, sizeof(nf) - 1);
        return 0;
    }
    if (hit->uses > 0 && --hit->uses == 0)
        hit->uses = -1;
    if (hit->lines) {
        struct kts_stream *st = kts_stream_start(req, hit->status, hit->ctype[0] ? hit->ctype : NULL);
        for (int i = 0; i < hit->nlines; i++) {
            char *l;
            if (asprintf(&l, "%s\n", hit->lines[i]) >= 0) {
                kts_stream_write(st, l, strlen(l));
                free(l);
            }
        }
        kts_stream_end(st);
        pthread_mutex_unlock(&f->mu);
        return 0;
    }
    kts_respond(req, hit->status, hit->ctype[0] ? hit->ctype : NULL, hit->body, hit->body ? strlen(hit->body) : 0);
    pthread_mutex_unlock(&f->mu);
    return 0;
}

/* Adds a canned answer. accept_has may be NULL. Later routes for the same path are tried after earlier ones. */
static inline void
fake_route(struct fake *f, const char *path, int status, const char *ctype, const char *body, const char *accept_has)
{
    pthread_mutex_lock(&f->mu);
    if (f->nroutes < FAKE_MAX_ROUTES) {
        struct fake_route *r = &f->routes[f->nroutes++];
        memset(r, 0, sizeof(*r));
        snprintf(r->path, sizeof(r->path), "%s", path);
        r->status = status;
        snprintf(r->ctype, sizeof(r->ctype), "%s", ctype ? ctype : "");
        r->body = body ? strdup(body) : NULL;
        r->accept_has = accept_has ? strdup(accept_has) : NULL;
    }
    pthread_mutex_unlock(&f->mu);
}

/* A streamed answer of n lines. */
static inline void
fake_route_lines(struct fake *f, const char *path, int status, const char *ctype, const char *const *lines, int n)
{
    pthread_mutex_lock(&f->mu);
    if (f->nroutes < FAKE_MAX_ROUTES) {
        struct fake_route *r = &f->routes[f->nroutes++];
        memset(r, 0, sizeof(*r));
        snprintf(r->path, sizeof(r->path), "%s", path);
        r->status = status;
        snprintf(r->ctype, sizeof(r->ctype), "%s", ctype ? ctype : "");
        r->lines = calloc((size_t)n + 1, sizeof(char *));
        for (int i = 0; i < n; i++)
            r->lines[i] = strdup(lines[i]);
        r->nlines = n;
    }
    pthread_mutex_unlock(&f->mu);
}

/* Limits the route added last to n requests. */
static inline void
fake_limit_last(struct fake *f, int n)
{
    pthread_mutex_lock(&f->mu);
    if (f->nroutes > 0)
        f->routes[f->nroutes - 1].uses = n;
    pthread_mutex_unlock(&f->mu);
}

static inline void
fake_clear_routes(struct fake *f)
{
    pthread_mutex_lock(&f->mu);
    for (int i = 0; i < f->nroutes; i++) {
        free(f->routes[i].body);
        free(f->routes[i].accept_has);
        for (int j = 0; j < f->routes[i].nlines; j++)
            free(f->routes[i].lines[j]);
        free(f->routes[i].lines);
    }
    f->nroutes = 0;
    pthread_mutex_unlock(&f->mu);
}

static inline void
fake_clear_log(struct fake *f)
{
    pthread_mutex_lock(&f->mu);
    for (int i = 0; i < f->nlog; i++)
        free(f->log[i]);
    f->nlog = 0;
    pthread_mutex_unlock(&f->mu);
}

/* The request log joined with '\n' (caller frees). */
static inline char *
fake_log(struct fake *f)
{
    pthread_mutex_lock(&f->mu);
    size_t n = 1;
    for (int i = 0; i < f->nlog; i++)
        n += strlen(f->log[i]) + 1;
    char *s = calloc(1, n), *p = s;
    for (int i = 0; i < f->nlog; i++)
        p += sprintf(p, "%s\n", f->log[i]);
    pthread_mutex_unlock(&f->mu);
    return s;
}

static inline int
fake_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* Writes a kubeconfig for server (with CA data when ca_pem is given) to path. */
static inline void
fake_write_kubeconfig(const char *path, const char *server, const char *ca_pem, const char *ns)
{
    FILE *fp = fopen(path, "w");
    char *ca = ca_pem ? kc_base64_encode(ca_pem, strlen(ca_pem)) : NULL;
    fprintf(fp,
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: %s\n%s%s%s"
            "users:\n- name: u\n  user:\n    token: tok\ncontexts:\n- name: ctx\n  context:\n    cluster: c\n"
            "    user: u\n%s%s%scurrent-context: ctx\n",
            server, ca ? "    certificate-authority-data: " : "", ca ? ca : "", ca ? "\n" : "",
            ns ? "    namespace: " : "", ns ? ns : "", ns ? "\n" : "");
    fclose(fp);
    free(ca);
}

/* Starts the fake server; returns 0 or fails the test. */
static inline struct fake *
fake_start(void)
{
    struct fake *f = calloc(1, sizeof(*f));
    pthread_mutex_init(&f->mu, NULL);
    snprintf(f->dir, sizeof(f->dir), "/tmp/k8c-test-kctl-XXXXXX");
    if (!mkdtemp(f->dir))
        abort();
    struct kc_pki_cert ca = { 0 }, srv = { 0 };
    if (kc_pki_ca_new(&(struct kc_pki_req){ .cn = "kctl-test-ca" }, &ca) != 0)
        abort();
    const char *ips[] = { "127.0.0.1" };
    struct kc_pki_req sreq = { .cn = "kube-apiserver", .ips = ips, .nips = 1, .usage = KC_PKI_SERVER };
    if (kc_pki_cert_issue(&ca, &sreq, NULL, &srv) != 0)
        abort();
    char *cert = NULL, *key = NULL;
    kc_pki_cert_pem(ca.x509, &f->ca_pem, NULL);
    kc_pki_cert_pem(srv.x509, &cert, NULL);
    kc_pki_key_pem(srv.key, &key, NULL);
    kc_pki_cert_close(&ca);
    kc_pki_cert_close(&srv);
    struct kts_server_opts o = { .cert_pem = cert, .key_pem = key };
    if (kts_server_new(&o, &f->srv) != 0 || kts_server_route(f->srv, "/", fake_handle, f) != 0 ||
        kts_server_start(f->srv) != 0)
        abort();
    free(cert);
    free(key);
    snprintf(f->kubeconfig, sizeof(f->kubeconfig), "%s/config", f->dir);
    fake_write_kubeconfig(f->kubeconfig, kts_server_url(f->srv), f->ca_pem, NULL);
    return f;
}

static inline void
fake_stop(struct fake *f)
{
    if (!f)
        return;
    kts_server_free(f->srv);
    fake_clear_routes(f);
    fake_clear_log(f);
    free(f->last_body);
    free(f->ca_pem);
    nftw(f->dir, fake_rm, 8, FTW_DEPTH | FTW_PHYS);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

/* Output of one kctl run. */
struct fake_run {
    int rc;
    char *out, *err;
};

/* Runs kctl with args (NULL-terminated) and --kubeconfig f's file. */
static inline struct fake_run
fake_kctl(struct fake *f, const char *const *args)
{
    char *argv[64];
    int argc = 0;
    argv[argc++] = "kctl";
    for (; *args && argc < 60; args++)
        argv[argc++] = (char *)*args;
    char kc[160];
    if (f) {
        snprintf(kc, sizeof(kc), "--kubeconfig=%s", f->kubeconfig);
        argv[argc++] = kc;
    }
    struct fake_run r = { 0 };
    size_t olen, elen;
    FILE *out = open_memstream(&r.out, &olen), *err = open_memstream(&r.err, &elen);
    r.rc = kctl_main(argc, argv, out, err);
    fclose(out);
    fclose(err);
    return r;
}

static inline void
fake_run_free(struct fake_run *r)
{
    free(r->out);
    free(r->err);
}

/* A kctl_config writing into memory streams, with f's kubeconfig. */
struct fake_cfg {
    struct kctl_config cfg;
    char *out, *err;
    size_t olen, elen;
};

static inline void
fake_cfg_init(struct fake_cfg *fc, struct fake *f)
{
    memset(fc, 0, sizeof(*fc));
    fc->cfg.out = open_memstream(&fc->out, &fc->olen);
    fc->cfg.err = open_memstream(&fc->err, &fc->elen);
    fc->cfg.kubeconfig = f ? f->kubeconfig : NULL;
    fc->cfg.dash = -1;
}

/* Flushes the streams so out/err hold what was written so far. */
static inline void
fake_cfg_flush(struct fake_cfg *fc)
{
    fflush(fc->cfg.out);
    fflush(fc->cfg.err);
}

static inline void
fake_cfg_close(struct fake_cfg *fc)
{
    fclose(fc->cfg.out);
    fclose(fc->cfg.err);
    free(fc->out);
    free(fc->err);
}

#endif
