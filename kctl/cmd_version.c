/* cmd_version.c - `kctl version`: the client's version, and the server's from GET /version. */
#include "kctl.h"
#include "kc_http.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#ifndef K8C_VERSION
#define K8C_VERSION "0.1.0"
#endif

int
kctl_cmd_version(struct kctl_config *cfg)
{
    fprintf(cfg->out, "Client Version: v1.33.0+k8c-%s\n", K8C_VERSION);
    if (cfg->client_only)
        return 0;

    struct kc_kubeconfig *kc;
    struct kc_kubeconfig_client cl;
    char err[512];
    if (kctl_load_config(cfg, &kc) != 0)
        return 1;
    int rc = kc_kubeconfig_resolve(kc, &cfg->ov, &cl, err, sizeof(err));
    kc_kubeconfig_free(kc);
    if (rc != 0) {
        fprintf(cfg->err, "error: %s\n", err);
        return 1;
    }
    struct kc_http_config hc = {
        .server = cl.server,
        .ca_pem = cl.ca_pem,
        .cert_pem = cl.cert_pem,
        .key_pem = cl.key_pem,
        .token = cl.token,
        .username = cl.username,
        .password = cl.password,
        .tls_server_name = cl.tls_server_name,
        .insecure = cl.insecure,
        .timeout_ms = 32000,
    };
    struct kc_http *h;
    struct kc_http_response resp;
    struct kc_http_request req = { .method = "GET", .path = "/version", .accept = "application/json" };
    json_t *reply = NULL;
    rc = kc_http_new(&hc, &h, err, sizeof(err));
    if (rc == 0) {
        rc = kc_http_json(h, &req, NULL, &resp, &reply);
        if (rc != 0)
            snprintf(err, sizeof(err), "%s", kc_http_errmsg(h));
        else if (resp.status != 200)
            snprintf(err, sizeof(err), "the server answered %ld to GET /version", (long)resp.status), rc = 1;
        kc_http_response_close(&resp);
        kc_http_free(h);
    }
    kc_kubeconfig_client_close(&cl);
    if (rc != 0) {
        fprintf(cfg->err, "Unable to connect to the server: %s\n", err);
        json_decref(reply);
        return 1;
    }
    const char *gv = json_string_value(json_object_get(reply, "gitVersion"));
    fprintf(cfg->out, "Server Version: %s\n", gv ? gv : "unknown");
    json_decref(reply);
    return 0;
}
