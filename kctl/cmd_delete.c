/* cmd_delete.c - `kctl delete -f FILE | TYPE NAME... | TYPE/NAME | TYPE -l SEL | TYPE --all` with kubectl 1.33's
 * output (`pod "x" deleted`), --grace-period, --force, --now, --cascade, dry runs, and --wait (the default): each
 * object is waited for until it is gone (or replaced by one with another uid), with a live line on a terminal. */
#include "kctl.h"
#include "kc_json.h"
#include "kc_str.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct gone_arg {
    const struct kctl_target *t;
    char uid[128];
};

static int
gone_check(void *arg, const json_t *obj, char *msg, size_t len)
{
    const struct gone_arg *a = arg;
    const char *uid = kc_json_get_string(obj, "metadata.uid");
    if (!obj || (a->uid[0] && uid && strcmp(uid, a->uid) != 0))
        return KCTL_WAIT_DONE;
    const char *fin = json_array_size(kc_json_get(obj, "metadata.finalizers")) ? " (finalizers pending)" : "";
    snprintf(msg, len, "waiting for %s \"%s\" to be deleted%s...", a->t->r.singular[0] ? a->t->r.singular : "object",
             a->t->name, fin);
    return 0;
}

/* kubectl's kindString: "pod", "deployment.apps". */
static void
kind_string(const struct kctl_target *t, char *buf, size_t len)
{
    char name[600];
    kctl_target_name(t, name, sizeof(name));
    char *slash = strchr(name, '/');
    if (slash)
        *slash = '\0';
    kc_str_copy(buf, len, name); /* truncated as snprintf would, without its warning */
}

int
kctl_cmd_delete(struct kctl_config *cfg)
{
    enum kctl_dry_run dry;
    if (kctl_dry_run_mode(cfg, &dry) != 0)
        return 1;
    long long grace = -1;
    if (cfg->grace_period) {
        char *end;
        grace = strtoll(cfg->grace_period, &end, 10);
        if (*end || !*cfg->grace_period) {
            fprintf(cfg->err,
                    "error: invalid argument \"%s\" for \"--grace-period\" flag: strconv.ParseInt: parsing "
                    "\"%s\": invalid syntax\n",
                    cfg->grace_period, cfg->grace_period);
            return 1;
        }
    }
    if (cfg->now) {
        if (grace != -1) {
            fprintf(cfg->err, "error: --now and --grace-period cannot be specified together\n");
            return 1;
        }
        grace = 1;
    }
    if (cfg->force && grace > 0) {
        fprintf(cfg->err, "error: --force and --grace-period greater than 0 cannot be specified together\n");
        return 1;
    }
    if (grace == 0 && !cfg->force)
        grace = 1; /* kubectl: --grace-period=0 without --force means 1 */
    if (cfg->force && grace < 0)
        grace = 0;
    const char *policy = "Background";
    if (cfg->cascade) {
        if (strcmp(cfg->cascade, "background") == 0 || strcmp(cfg->cascade, "true") == 0)
            policy = "Background";
        else if (strcmp(cfg->cascade, "foreground") == 0)
            policy = "Foreground";
        else if (strcmp(cfg->cascade, "orphan") == 0 || strcmp(cfg->cascade, "false") == 0)
            policy = "Orphan";
        else {
            fprintf(cfg->err,
                    "error: invalid cascade value (%s). Must be \"background\", \"foreground\", or "
                    "\"orphan\".\n",
                    cfg->cascade);
            return 1;
        }
    }
    long long timeout = 0;
    if (cfg->timeout && kctl_parse_duration(cfg->timeout, &timeout) != 0) {
        fprintf(cfg->err, "error: invalid argument \"%s\" for \"--timeout\" flag: time: invalid duration \"%s\"\n",
                cfg->timeout, cfg->timeout);
        return 1;
    }
    if (timeout <= 0)
        timeout = 168LL * 3600 * 1000; /* kubectl: 0 means a week */
    bool name_only = cfg->output && strcmp(cfg->output, "name") == 0;
    if (cfg->output && *cfg->output && !name_only) {
        fprintf(cfg->err, "error: unexpected -o output mode: %s. We only support '-o name'\n", cfg->output);
        return 1;
    }
    if (cfg->all && cfg->selector && *cfg->selector) {
        fprintf(cfg->err, "error: cannot set --all and --selector at the same time\n");
        return 1;
    }

    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    struct kctl_targets t = { 0 };
    int rc = kctl_targets_collect(c, &t, 0);
    bool listed = t.m.n == 0 && cfg->nargs == 1 && !strchr(cfg->args[0], '/');
    if (cfg->force && grace == 0)
        fprintf(cfg->err, "Warning: Immediate deletion does not wait for confirmation that the running resource has "
                          "been terminated. The resource may continue to run on the cluster indefinitely.\n");
    json_t *opts =
        json_pack("{s:s, s:s, s:s}", "kind", "DeleteOptions", "apiVersion", "v1", "propagationPolicy", policy);
    if (grace >= 0)
        json_object_set_new(opts, "gracePeriodSeconds", json_integer(grace));
    if (dry == KCTL_DRY_SERVER)
        json_object_set_new(opts, "dryRun", json_pack("[s]", "All"));
    struct gone_arg *wait = calloc(t.n ? t.n : 1, sizeof(*wait));
    size_t nwait = 0, found = 0;
    for (size_t i = 0; i < t.n; i++) {
        const struct kctl_target *x = &t.v[i];
        char path[2048], kind[300];
        if (kctl_target_path(x, NULL, path, sizeof(path)) != 0) {
            rc = 1;
            continue;
        }
        json_t *answer = NULL;
        if (dry ==
            KCTL_DRY_SERVER) /* in the body as kubectl sends it, and in the query for servers that read it there */
            strncat(path, "?dryRun=All", sizeof(path) - strlen(path) - 1);
        if (dry != KCTL_DRY_CLIENT) {
            char *body = json_dumps(opts, JSON_COMPACT);
            struct kctl_response resp;
            int r = kctl_request(c, "DELETE", path, "application/json", body, body ? strlen(body) : 0, NULL, &resp);
            free(body);
            if (r != 0) {
                rc = 1;
                break; /* unreachable server: the rest would fail the same way */
            }
            if (resp.status == 404 && cfg->ignore_not_found) {
                kctl_response_free(&resp);
                continue;
            }
            if (resp.status < 200 || resp.status > 299) {
                if (x->src)
                    kctl_print_source_error(cfg, &resp, "deleting", x->src);
                else
                    kctl_print_error(cfg, &resp);
                kctl_response_free(&resp);
                rc = 1;
                continue;
            }
            kctl_print_warnings(cfg, &resp);
            answer = resp.body ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
            kctl_response_free(&resp);
        }
        found++;
        kind_string(x, kind, sizeof(kind));
        if (name_only)
            fprintf(cfg->out, "%s/%s\n", kind, x->name);
        else
            fprintf(cfg->out, "%s \"%s\" %s%s\n", kind, x->name, grace == 0 ? "force deleted" : "deleted",
                    kctl_dry_run_suffix(dry));
        fflush(cfg->out);
        /* the object itself comes back while it is still there (a Status when it is already gone) */
        const char *uid = kc_json_get_string(answer, "metadata.uid");
        const char *akind = json_string_value(json_object_get(answer, "kind"));
        if (!uid && x->obj)
            uid = kc_json_get_string(x->obj, "metadata.uid");
        if (dry == KCTL_DRY_NONE && cfg->delete_wait && !(akind && strcmp(akind, "Status") == 0)) {
            wait[nwait].t = x;
            snprintf(wait[nwait].uid, sizeof(wait[nwait].uid), "%s", uid ? uid : "");
            nwait++;
        }
        json_decref(answer);
    }
    if (listed && found == 0 && rc == 0)
        fprintf(cfg->out, "No resources found\n");
    long long start = kctl_now_ms();
    for (size_t i = 0; i < nwait; i++) {
        long long left = timeout - (kctl_now_ms() - start);
        int v = kctl_wait_object(c, wait[i].t, left < 0 ? 0 : left, gone_check, &wait[i],
                                 KCTL_WAIT_PROGRESS | KCTL_WAIT_TTY_ONLY, NULL, 0);
        if (v == KCTL_WAIT_TIMEOUT) {
            char gr[200];
            kctl_resource_gr(&wait[i].t->r, gr, sizeof(gr));
            fprintf(cfg->err, "error: timed out waiting for the condition on %s/%s\n", gr, wait[i].t->name);
            rc = 1;
        } else if (v != KCTL_WAIT_DONE) {
            rc = 1;
        }
    }
    free(wait);
    json_decref(opts);
    kctl_targets_close(&t);
    kctl_client_free(c);
    return rc;
}
