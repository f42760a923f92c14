/* cmd_scale.c - `kctl scale --replicas=N TYPE NAME | TYPE/NAME | -f FILE | TYPE -l SEL`: a JSON merge patch of
 * spec.replicas on the /scale subresource, as kubectl sends it. */
#include "kctl.h"

#include <stdlib.h>
#include <string.h>

int
kctl_cmd_scale(struct kctl_config *cfg)
{
    if (!cfg->replicas) {
        fprintf(cfg->err, "error: required flag(s) \"replicas\" not set\n");
        return 1;
    }
    char *end;
    long n = strtol(cfg->replicas, &end, 10);
    if (!*cfg->replicas || *end) {
        fprintf(cfg->err,
                "error: invalid argument \"%s\" for \"--replicas\" flag: strconv.ParseInt: parsing \"%s\": "
                "invalid syntax\n",
                cfg->replicas, cfg->replicas);
        return 1;
    }
    if (n < 0) {
        fprintf(cfg->err,
                "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0\n");
        return 1;
    }
    enum kctl_dry_run dry;
    if (kctl_dry_run_mode(cfg, &dry) != 0)
        return 1;
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    struct kctl_targets t = { 0 };
    int rc = kctl_targets_collect(c, &t, 0);
    char body[64];
    snprintf(body, sizeof(body), "{\"spec\":{\"replicas\":%ld}}", n);
    for (size_t i = 0; rc == 0 && i < t.n; i++) {
        char path[2048], q[256], name[600];
        kctl_target_name(&t.v[i], name, sizeof(name));
        if (dry == KCTL_DRY_CLIENT) {
            fprintf(cfg->out, "%s scaled (dry run)\n", name);
            continue;
        }
        if (kctl_target_path(&t.v[i], "scale", path, sizeof(path)) != 0) {
            rc = 1;
            break;
        }
        kctl_write_query(cfg, dry, NULL, false, q, sizeof(q));
        strncat(path, q, sizeof(path) - strlen(path) - 1);
        struct kctl_response resp;
        if (kctl_request(c, "PATCH", path, "application/merge-patch+json", body, strlen(body), NULL, &resp) != 0) {
            rc = 1;
            break;
        }
        if (resp.status < 200 || resp.status > 299) {
            if (t.v[i].src)
                kctl_print_source_error(cfg, &resp, "scaling", t.v[i].src);
            else
                kctl_print_error(cfg, &resp);
            rc = 1;
        } else {
            kctl_print_warnings(cfg, &resp);
            if (cfg->output && strcmp(cfg->output, "name") == 0)
                fprintf(cfg->out, "%s\n", name);
            else
                fprintf(cfg->out, "%s scaled%s\n", name, kctl_dry_run_suffix(dry));
        }
        kctl_response_free(&resp);
    }
    kctl_targets_close(&t);
    kctl_client_free(c);
    return rc;
}
