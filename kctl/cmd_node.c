/* cmd_node.c - `kctl cordon|uncordon NODE` (spec.unschedulable) and `kctl drain NODE`: cordon, then evict (or
 * delete) the node's pods with kubectl's filters (DaemonSet-managed pods need --ignore-daemonsets, pods without a
 * controller --force, emptyDir pods --delete-emptydir-data; mirror pods are left) and wait until they are gone. */
#include "kctl.h"
#include "kc_json.h"

#include <stdlib.h>
#include <string.h>

static int
node_target(struct kctl_client *c, const char *name, struct kctl_target *t)
{
    memset(t, 0, sizeof(*t));
    if (kctl_resolve(c, "nodes", &t->r) != 0)
        return 1;
    snprintf(t->name, sizeof(t->name), "%s", name);
    return 0;
}

/* Sets spec.unschedulable on one node; prints kubectl's line. Returns 0 or 1. */
static int
set_unschedulable(struct kctl_client *c, const struct kctl_target *t, bool on, enum kctl_dry_run dry)
{
    struct kctl_config *cfg = kctl_client_config(c);
    json_t *node;
    if (kctl_get_object(c, t, &node) != 0)
        return 1;
    bool now = json_is_true(kc_json_get(node, "spec.unschedulable"));
    json_decref(node);
    const char *verb = on ? "cordoned" : "uncordoned";
    if (now == on) {
        fprintf(cfg->out, "node/%s already %s\n", t->name, verb);
        return 0;
    }
    if (dry != KCTL_DRY_CLIENT) {
        char path[1024], q[256];
        kctl_target_path(t, NULL, path, sizeof(path));
        kctl_write_query(cfg, dry, "kubectl-cordon", false, q, sizeof(q));
        strncat(path, q, sizeof(path) - strlen(path) - 1);
        const char *body = on ? "{\"spec\":{\"unschedulable\":true}}" : "{\"spec\":{\"unschedulable\":null}}";
        struct kctl_response resp;
        if (kctl_request(c, "PATCH", path, "application/strategic-merge-patch+json", body, strlen(body), NULL, &resp) !=
            0)
            return 1;
        if (resp.status < 200 || resp.status > 299) {
            kctl_print_error(cfg, &resp);
            kctl_response_free(&resp);
            return 1;
        }
        kctl_print_warnings(cfg, &resp);
        kctl_response_free(&resp);
    }
    fprintf(cfg->out, "node/%s %s%s\n", t->name, verb, kctl_dry_run_suffix(dry));
    return 0;
}

static int
cordon(struct kctl_config *cfg, bool on)
{
    enum kctl_dry_run dry;
    if (kctl_dry_run_mode(cfg, &dry) != 0)
        return 1;
    int n = cfg->dash >= 0 ? cfg->dash : cfg->nargs;
    if (n < 1 && !(cfg->selector && *cfg->selector)) {
        fprintf(cfg->err, "error: USAGE: %s NODE [flags]\nSee 'kctl %s -h' for help and examples\n",
                on ? "cordon" : "uncordon", on ? "cordon" : "uncordon");
        return 1;
    }
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    int rc = 0;
    if (n >= 1) {
        for (int i = 0; i < n; i++) {
            struct kctl_target t;
            if (node_target(c, cfg->args[i], &t) != 0 || set_unschedulable(c, &t, on, dry) != 0)
                rc = 1;
        }
    } else {
        /* -l: the nodes matching the selector */
        struct kctl_targets ts = { 0 };
        const char *saved[1] = { cfg->args[0] };
        int saved_n = cfg->nargs;
        cfg->args[0] = "nodes";
        cfg->nargs = 1;
        rc = kctl_targets_collect(c, &ts, 0);
        cfg->args[0] = saved[0];
        cfg->nargs = saved_n;
        for (size_t i = 0; rc == 0 && i < ts.n; i++)
            rc = set_unschedulable(c, &ts.v[i], on, dry);
        kctl_targets_close(&ts);
    }
    kctl_client_free(c);
    return rc;
}

int
kctl_cmd_cordon(struct kctl_config *cfg)
{
    return cordon(cfg, true);
}

int
kctl_cmd_uncordon(struct kctl_config *cfg)
{
    return cordon(cfg, false);
}

/* ------------------------------------------------------------------------------------------ drain */

static const char *
controller_kind(const json_t *pod)
{
    size_t i;
    json_t *ref;
    json_array_foreach(kc_json_get(pod, "metadata.ownerReferences"), i, ref)
    {
        if (json_is_true(json_object_get(ref, "controller")))
            return json_string_value(json_object_get(ref, "kind"));
    }
    return NULL;
}

static bool
has_emptydir(const json_t *pod)
{
    size_t i;
    json_t *v;
    json_array_foreach(kc_json_get(pod, "spec.volumes"), i, v)
    {
        if (json_object_get(v, "emptyDir"))
            return true;
    }
    return false;
}

static bool
finished(const json_t *pod)
{
    const char *phase = kc_json_get_string(pod, "status.phase");
    return phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0);
}

/* Appends "ns/name" to a comma-separated list. */
static void
add_name(char *buf, size_t len, const json_t *pod)
{
    size_t n = strlen(buf);
    snprintf(buf + n, len - n, "%s%s/%s", n ? ", " : "", kc_json_get_string(pod, "metadata.namespace"),
             kc_json_get_string(pod, "metadata.name"));
}

struct gone {
    char uid[128];
};

static int
pod_gone(void *arg, const json_t *obj, char *msg, size_t len)
{
    const struct gone *g = arg;
    const char *uid = kc_json_get_string(obj, "metadata.uid");
    (void)msg, (void)len;
    return !obj || (uid && strcmp(uid, g->uid) != 0) ? KCTL_WAIT_DONE : 0;
}

int
kctl_cmd_drain(struct kctl_config *cfg)
{
    enum kctl_dry_run dry;
    if (kctl_dry_run_mode(cfg, &dry) != 0)
        return 1;
    int n = cfg->dash >= 0 ? cfg->dash : cfg->nargs;
    if (n != 1) {
        fprintf(cfg->err, "error: USAGE: drain NODE [flags]\nSee 'kctl drain -h' for help and examples\n");
        return 1;
    }
    long long timeout = -1, grace = -1;
    if (cfg->timeout && kctl_parse_duration(cfg->timeout, &timeout) != 0) {
        fprintf(cfg->err, "error: invalid argument \"%s\" for \"--timeout\" flag: time: invalid duration \"%s\"\n",
                cfg->timeout, cfg->timeout);
        return 1;
    }
    if (timeout == 0)
        timeout = -1;
    if (cfg->grace_period)
        grace = strtoll(cfg->grace_period, NULL, 10);
    struct kctl_client *c;
    if (kctl_client_new(cfg, &c) != 0)
        return 1;
    struct kctl_target node;
    int rc = node_target(c, cfg->args[0], &node);
    if (rc == 0)
        rc = set_unschedulable(c, &node, true, dry);
    json_t *pods = NULL;
    if (rc == 0) {
        char path[1024], esc[600], fs[700];
        kctl_escape(node.name, esc, sizeof(esc));
        snprintf(fs, sizeof(fs), "spec.nodeName%%3D%s", esc);
        snprintf(path, sizeof(path), "/api/v1/pods?fieldSelector=%s", fs);
        rc = kctl_request_json(c, "GET", path, NULL, NULL, &pods);
    }
    /* kubectl's filters: what may go, what blocks the drain, what is only warned about */
    json_t *go = json_array();
    char ds[4096] = "", unmanaged[4096] = "", local[4096] = "";
    size_t i;
    json_t *pod;
    json_array_foreach(rc == 0 ? json_object_get(pods, "items") : NULL, i, pod)
    {
        if (kc_json_get(pod, "metadata.annotations.kubernetes\\.io/config\\.mirror"))
            continue;
        const char *kind = controller_kind(pod);
        bool done = finished(pod);
        if (!done && kind && strcmp(kind, "DaemonSet") == 0) {
            add_name(ds, sizeof(ds), pod);
            continue;
        }
        if (!done && !kind)
            add_name(unmanaged, sizeof(unmanaged), pod);
        if (!done && has_emptydir(pod))
            add_name(local, sizeof(local), pod);
        json_array_append(go, pod);
    }
    if (rc == 0) {
        char errs[8192] = "";
        size_t el = 0;
        if (ds[0] && !cfg->ignore_daemonsets)
            el += (size_t)snprintf(errs + el, sizeof(errs) - el,
                                   "%scannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): %s",
                                   el ? ", " : "", ds);
        if (unmanaged[0] && !cfg->force && el < sizeof(errs))
            el += (size_t)snprintf(errs + el, sizeof(errs) - el,
                                   "%scannot delete cannot delete Pods that declare no controller (use --force to "
                                   "override): %s",
                                   el ? ", " : "", unmanaged);
        if (local[0] && !cfg->delete_emptydir_data && el < sizeof(errs))
            el += (size_t)snprintf(errs + el, sizeof(errs) - el,
                                   "%scannot delete Pods with local storage (use --delete-emptydir-data to override): "
                                   "%s",
                                   el ? ", " : "", local);
        if (el) {
            fprintf(cfg->err,
                    "error: unable to drain node \"%s\" due to error: %s, continuing command...\nThere are pending "
                    "nodes to be drained:\n %s\n%s\n",
                    node.name, errs, node.name, errs);
            rc = 1;
        } else {
            if (ds[0])
                fprintf(cfg->err, "Warning: ignoring DaemonSet-managed Pods: %s\n", ds);
            if (unmanaged[0])
                fprintf(cfg->err, "Warning: deleting Pods that declare no controller: %s\n", unmanaged);
        }
    }
    /* evict each pod when the server lists pods/eviction (kubectl's CheckEvictionSupport), else delete; an
     * eviction answered 404, 405 or 501 also falls back to deleting */
    bool evict = !cfg->disable_eviction;
    if (evict && rc == 0) {
        json_t *core = NULL;
        evict = false;
        if (kctl_request_json(c, "GET", "/api/v1", NULL, NULL, &core) == 0) {
            json_t *res;
            json_array_foreach(json_object_get(core, "resources"), i, res)
            {
                const char *rn = json_string_value(json_object_get(res, "name"));
                if (rn && strcmp(rn, "pods/eviction") == 0)
                    evict = true;
            }
        }
        json_decref(core);
        if (!evict && !cfg->disable_eviction && json_array_size(go))
            fprintf(cfg->err, "Warning: the server does not serve pods/eviction: deleting the pods instead of evicting "
                              "them, as kubectl does on such servers (PodDisruptionBudgets are not checked)\n");
    }
    struct gone *gone = calloc(json_array_size(go) + 1, sizeof(*gone));
    json_t *refs = json_array(); /* ns/name of the pods to wait for, parallel to gone */
    size_t ngone = 0;
    json_array_foreach(rc == 0 ? go : NULL, i, pod)
    {
        const char *ns = kc_json_get_string(pod, "metadata.namespace"),
                   *name = kc_json_get_string(pod, "metadata.name");
        char path[1024], ens[300], ename[600], body[1024], dry_q[64] = "";
        kctl_escape(ns, ens, sizeof(ens));
        kctl_escape(name, ename, sizeof(ename));
        char opts[256] = "";
        if (grace >= 0)
            snprintf(opts, sizeof(opts), ",\"gracePeriodSeconds\":%lld", grace);
        if (dry == KCTL_DRY_SERVER) {
            strncat(opts, ",\"dryRun\":[\"All\"]", sizeof(opts) - strlen(opts) - 1);
            snprintf(dry_q, sizeof(dry_q), "?dryRun=All");
        }
        if (dry == KCTL_DRY_CLIENT) {
            fprintf(cfg->out, "evicting pod %s/%s (dry run)\npod/%s evicted (dry run)\n", ns, name, name);
            continue;
        }
        struct kctl_response resp;
        if (evict) {
            fprintf(cfg->out, "evicting pod %s/%s\n", ns, name);
            fflush(cfg->out);
            snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s/eviction%s", ens, ename, dry_q);
            snprintf(body, sizeof(body),
                     "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"%s\",\"namespace\":"
                     "\"%s\"},\"deleteOptions\":{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\"%s}}",
                     name, ns, opts);
            if (kctl_request(c, "POST", path, "application/json", body, strlen(body), NULL, &resp) != 0) {
                rc = 1;
                break;
            }
            if (resp.status == 404 || resp.status == 405 || resp.status == 501) {
                bool pod_missing = resp.status == 404 && resp.body && strstr(resp.body, "\"pods\"");
                long status = resp.status;
                kctl_response_free(&resp);
                if (pod_missing)
                    continue; /* gone already */
                fprintf(cfg->err,
                        "Warning: the server answered %ld to the eviction: deleting the pods instead of "
                        "evicting them (PodDisruptionBudgets are not checked)\n",
                        status);
                evict = false;
            } else if (resp.status < 200 || resp.status > 299) {
                fprintf(cfg->err, "error when evicting pods/\"%s\" -n \"%s\": ", name, ns);
                kctl_print_error(cfg, &resp);
                kctl_response_free(&resp);
                rc = 1;
                continue;
            } else {
                kctl_response_free(&resp);
            }
        }
        if (!evict) {
            snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s%s", ens, ename, dry_q);
            snprintf(body, sizeof(body), "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\"%s}", opts);
            if (kctl_request(c, "DELETE", path, "application/json", body, strlen(body), NULL, &resp) != 0) {
                rc = 1;
                break;
            }
            if (resp.status == 404) {
                kctl_response_free(&resp);
                continue;
            }
            if (resp.status < 200 || resp.status > 299) {
                kctl_print_error(cfg, &resp);
                kctl_response_free(&resp);
                rc = 1;
                continue;
            }
            kctl_response_free(&resp);
        }
        if (dry == KCTL_DRY_SERVER)
            fprintf(cfg->out, "pod/%s %s (server dry run)\n", name, evict ? "evicted" : "deleted");
        if (dry == KCTL_DRY_NONE) {
            const char *uid = kc_json_get_string(pod, "metadata.uid");
            snprintf(gone[ngone].uid, sizeof(gone[ngone].uid), "%s", uid ? uid : "");
            json_t *ref = json_pack("{s:s, s:s, s:s}", "ns", ns, "name", name, "how", evict ? "evicted" : "deleted");
            json_array_append_new(refs, ref);
            ngone++;
        }
        fflush(cfg->out);
    }
    /* wait until the pods are gone (a pod bound to a node goes when its kubelet confirms or its grace ends) */
    long long start = kctl_now_ms();
    for (size_t k = 0; rc == 0 && k < ngone; k++) {
        const json_t *ref = json_array_get(refs, k);
        struct kctl_target pt = { 0 };
        if (kctl_resolve(c, "pods", &pt.r) != 0) {
            rc = 1;
            break;
        }
        snprintf(pt.ns, sizeof(pt.ns), "%s", json_string_value(json_object_get(ref, "ns")));
        snprintf(pt.name, sizeof(pt.name), "%s", json_string_value(json_object_get(ref, "name")));
        long long left = timeout < 0 ? -1 : timeout - (kctl_now_ms() - start);
        int v = kctl_wait_object(c, &pt, timeout >= 0 && left < 0 ? 0 : left, pod_gone, &gone[k], 0, NULL, 0);
        if (v == KCTL_WAIT_TIMEOUT) {
            fprintf(cfg->err,
                    "error: unable to drain node \"%s\" due to error: [error when waiting for pod \"%s\" in "
                    "namespace \"%s\" to terminate: global timeout reached], continuing command...\n",
                    node.name, pt.name, pt.ns);
            rc = 1;
        } else if (v != KCTL_WAIT_DONE) {
            rc = 1;
        } else {
            fprintf(cfg->out, "pod/%s %s\n", pt.name, json_string_value(json_object_get(ref, "how")));
        }
    }
    if (rc == 0)
        fprintf(cfg->out, "node/%s drained%s\n", node.name, kctl_dry_run_suffix(dry));
    free(gone);
    json_decref(refs);
    json_decref(go);
    json_decref(pods);
    kctl_client_free(c);
    return rc;
}
