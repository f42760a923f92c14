/* cmd_attach.c - `kctl attach (POD | TYPE/NAME | TYPE NAME) [-c C] [-i] [-t] [-q]`: finds the pod (a controller's
 * first running pod), the container and whether a TTY can be used as kubectl 1.33 does, then upgrades
 * pods/NAME/attach to a WebSocket through cmd_exec.c's session code (kctl_ws_session). */
#include "kctl.h"
#include "kc_selector.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *
mstr(const json_t *o, const char *a, const char *b)
{
    const char *s = json_string_value(json_object_get(json_object_get(o, a), b));
    return s ? s : "";
}

/* The container of that name (regular, init or ephemeral), or NULL. */
static const json_t *
find_container(const json_t *pod, const char *name)
{
    static const char *const lists[] = { "containers", "initContainers", "ephemeralContainers" };
    for (int k = 0; k < 3; k++) {
        size_t i;
        const json_t *ct;
        json_array_foreach(json_object_get(json_object_get(pod, "spec"), lists[k]), i, ct)
        {
            const char *n = json_string_value(json_object_get(ct, "name"));
            if (n && strcmp(n, name) == 0)
                return ct;
        }
    }
    return NULL;
}

/* A controller's pod to attach to (AttachablePodForObject): its selector's pods, a Running one first, then the
 * oldest. Returns a new reference or NULL with the error printed. */
static json_t *
controller_pod(struct kctl_client *c, struct kctl_config *cfg, const char *ns, const char *type, const json_t *obj)
{
    const json_t *sel = json_object_get(json_object_get(obj, "spec"), "selector");
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    struct kc_label_selector *ls = NULL;
    bool set_based = kind && (strcmp(kind, "Service") == 0 || strcmp(kind, "ReplicationController") == 0);
    int rc = set_based ? kc_label_selector_from_set(sel, &ls) : kc_label_selector_from_json(sel, &ls, NULL, 0);
    char *s = rc == 0 && sel ? kc_label_selector_string(ls) : NULL;
    kc_label_selector_free(ls);
    if (!s || !*s) {
        fprintf(cfg->err, "error: cannot attach to %s: selector for %s not implemented\n", type, type);
        free(s);
        return NULL;
    }
    char esc[2048], ens[256], path[2400];
    kctl_escape(s, esc, sizeof(esc));
    kctl_escape(ns, ens, sizeof(ens));
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods?labelSelector=%s", ens, esc);
    free(s);
    json_t *list = NULL;
    if (kctl_request_json(c, "GET", path, NULL, NULL, &list) != 0)
        return NULL;
    json_t *best = NULL;
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(list, "items"), i, p)
    {
        bool running = strcmp(mstr(p, "status", "phase"), "Running") == 0;
        if (!best || (running && strcmp(mstr(best, "status", "phase"), "Running") != 0))
            best = p;
    }
    if (best)
        json_incref(best);
    else
        fprintf(cfg->err, "error: timed out waiting for the condition\n");
    json_decref(list);
    return best;
}

int
kctl_cmd_attach(struct kctl_config *cfg)
{
    if (cfg->nargs == 0) {
        fprintf(cfg->err, "error: at least 1 argument is required for attach\n");
        return 1;
    }
    if (cfg->nargs > 2) {
        fprintf(cfg->err, "error: expected POD, TYPE/NAME, or TYPE NAME, (at most 2 arguments) saw %d: [", cfg->nargs);
        for (int i = 0; i < cfg->nargs; i++)
            fprintf(cfg->err, "%s%s", i ? " " : "", cfg->args[i]);
        fprintf(cfg->err, "]\n");
        return 1;
    }
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    const char *ns = kctl_client_namespace(c);
    char type[256] = "pods", name[512];
    const char *slash = strchr(cfg->args[0], '/');
    if (cfg->nargs == 2) {
        snprintf(type, sizeof(type), "%s", cfg->args[0]);
        snprintf(name, sizeof(name), "%s", cfg->args[1]);
    } else if (slash) {
        snprintf(type, sizeof(type), "%.*s", (int)(slash - cfg->args[0]), cfg->args[0]);
        snprintf(name, sizeof(name), "%s", slash + 1);
    } else {
        snprintf(name, sizeof(name), "%s", cfg->args[0]);
    }
    int rc = 1;
    json_t *obj = NULL, *pod = NULL;
    struct kctl_resource r;
    char path[4096];
    if (kctl_resolve(c, type, &r) != 0 || kctl_resource_path(&r, ns, name, NULL, path, sizeof(path)) != 0 ||
        kctl_request_json(c, "GET", path, NULL, NULL, &obj) != 0)
        goto out;
    pod = !r.group[0] && strcmp(r.kind, "Pod") == 0 ? json_incref(obj) : controller_pod(c, cfg, ns, type, obj);
    if (!pod)
        goto out;
    const char *phase = mstr(pod, "status", "phase");
    if (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0) {
        fprintf(cfg->err, "error: cannot attach a container in a completed pod; current phase is %s\n", phase);
        goto out;
    }
    const json_t *ct;
    if (cfg->container) {
        ct = find_container(pod, cfg->container);
        if (!ct) {
            fprintf(cfg->err, "error: cannot attach to the container: container %s not found in pod %s\n",
                    cfg->container, mstr(pod, "metadata", "name"));
            goto out;
        }
    } else {
        const char *def = kctl_pod_default_container(cfg, pod, cfg->quiet);
        ct = def ? find_container(pod, def) : NULL;
        if (!ct) {
            fprintf(cfg->err, "error: cannot attach to the container: pod %s has no containers\n",
                    mstr(pod, "metadata", "name"));
            goto out;
        }
    }
    const char *cname = json_string_value(json_object_get(ct, "name")) ?: "";
    /* the container's own TTY decides; then StreamOptions.SetupTTY: a TTY needs -i and a terminal */
    bool ctty = json_is_true(json_object_get(ct, "tty")), tty = cfg->tty;
    if (tty && !ctty) {
        tty = false;
        if (!cfg->quiet)
            fprintf(cfg->err, "error: Unable to use a TTY - container %s did not allocate one\n", cname);
    } else if (!tty && ctty) {
        tty = true;
    }
    if (!cfg->stdin_) {
        tty = false;
    } else if (tty && !isatty(STDIN_FILENO)) {
        tty = false;
        if (!cfg->quiet)
            fprintf(cfg->err, "Unable to use a TTY - input is not a terminal or the right kind of file\n");
    }
    if (!cfg->quiet)
        fprintf(cfg->err, "If you don't see a command prompt, try pressing enter.\n");
    char ens[256], en[512], ec[512];
    kctl_escape(mstr(pod, "metadata", "namespace"), ens, sizeof(ens));
    kctl_escape(mstr(pod, "metadata", "name"), en, sizeof(en));
    kctl_escape(cname, ec, sizeof(ec));
    /* with a raw terminal kubectl leaves stderr out (it shares the TTY) */
    snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s/attach?container=%s%s%s&stdout=true%s", ens, en, ec,
             tty ? "" : "&stderr=true", cfg->stdin_ ? "&stdin=true" : "", tty ? "&tty=true" : "");
    rc = kctl_ws_session(c, path, cfg->stdin_, tty);
    if (rc == 0 && cfg->stdin_ && tty && strcmp(mstr(pod, "spec", "restartPolicy"), "Always") == 0)
        fprintf(cfg->out, "Session ended, resume using 'kctl attach %s -c %s -i -t' command when the pod is running\n",
                mstr(pod, "metadata", "name"), cname);
out:
    json_decref(obj);
    json_decref(pod);
    kctl_client_free(c);
    return rc;
}
