/* cmd_version.c - `kctl version`: the client's version, and the server's from GET /version. */
#include "kctl.h"
#include "kc_yaml.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#ifndef K8C_VERSION
#define K8C_VERSION "0.1.0"
#endif

#define CLIENT_VERSION "v1.33.0+k8c-" K8C_VERSION

int
kctl_cmd_version(struct kctl_config *cfg)
{
    const char *o = cfg->output;
    if (o && strcmp(o, "json") != 0 && strcmp(o, "yaml") != 0) {
        fprintf(cfg->err, "error: --output must be 'yaml' or 'json'\n");
        return 1;
    }
    json_t *server = NULL;
    int rc = 0;
    struct kctl_client *c = NULL;
    if (!cfg->client_only) {
        if (kctl_client_new(cfg, &c) != 0)
            return 1;
        rc = kctl_request_json(c, "GET", "/version", NULL, NULL, &server);
        kctl_client_free(c);
    }
    if (o) {
        json_t *doc = json_pack("{s:{s:s}}", "clientVersion", "gitVersion", CLIENT_VERSION);
        if (server)
            json_object_set(doc, "serverVersion", server);
        char *text = NULL;
        if (strcmp(o, "json") == 0) {
            text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            if (text)
                fprintf(cfg->out, "%s\n", text);
        } else if (kc_yaml_dump(doc, KC_YAML_SORT_KEYS, &text) == 0) {
            fputs(text, cfg->out);
        }
        free(text);
        json_decref(doc);
    } else {
        fprintf(cfg->out, "Client Version: %s\n", CLIENT_VERSION);
        if (server) {
            const char *gv = json_string_value(json_object_get(server, "gitVersion"));
            fprintf(cfg->out, "Server Version: %s\n", gv ? gv : "unknown");
        }
    }
    json_decref(server);
    return rc;
}
